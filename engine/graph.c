/* graph model and processing plans.  control thread only: the render thread receives a
 * finished plan through an op and never sees the model. */
#include <stdlib.h>
#include <string.h>

#include "graph.h"

void graph_add(struct graph *g, struct node *n)
{
	n->model_next = NULL;
	if (g->tail)
		g->tail->model_next = n;
	else
		g->head = n;
	g->tail = n;
	g->count++;
}

void graph_remove(struct graph *g, struct node *n)
{
	struct node **pp, *prev = NULL;
	struct edge **ep = &g->edges;

	for (pp = &g->head; *pp; prev = *pp, pp = &(*pp)->model_next) {
		if (*pp == n) {
			*pp = n->model_next;
			if (g->tail == n)
				g->tail = prev;
			g->count--;
			break;
		}
	}
	while (*ep) {
		struct edge *e = *ep;
		if (e->src == n || e->dst == n) {
			*ep = e->next;
			free(e);
		} else {
			ep = &e->next;
		}
	}
}

static bool edge_same(const struct edge *a, const struct edge *b)
{
	return a->src == b->src && a->dst == b->dst && a->output == b->output &&
	       a->input == b->input && a->param == b->param;
}

bool graph_has_edge(const struct graph *g, const struct edge *e)
{
	const struct edge *x;

	for (x = g->edges; x; x = x->next)
		if (edge_same(x, e))
			return true;
	return false;
}

int graph_add_edge(struct graph *g, const struct edge *e)
{
	struct edge *x = malloc(sizeof(*x)), **tail = &g->edges;

	if (x == NULL)
		return -1;
	*x = *e;
	x->next = NULL;
	while (*tail)	/* append: mixing order follows connection order */
		tail = &(*tail)->next;
	*tail = x;
	return 0;
}

void graph_unlink_edge(struct graph *g, struct edge *e)
{
	struct edge **ep;

	for (ep = &g->edges; *ep; ep = &(*ep)->next) {
		if (*ep == e) {
			*ep = e->next;
			free(e);
			return;
		}
	}
}

/* does a path lead from `from` back to `target`?  iterative DFS over node indices */
static bool reaches(struct graph *g, struct node **by_index, uint32_t n, uint32_t from,
		    uint32_t target, uint32_t *stack, uint8_t *seen)
{
	uint32_t sp = 0;
	struct edge *e;

	memset(seen, 0, n);
	stack[sp++] = from;
	seen[from] = 1;
	while (sp) {
		uint32_t v = stack[--sp];
		for (e = g->edges; e; e = e->next) {
			uint32_t w;
			if (e->src != by_index[v])
				continue;
			w = e->dst->plan_index;
			if (w == target)
				return true;
			if (!seen[w]) {
				seen[w] = 1;
				stack[sp++] = w;
			}
		}
	}
	return false;
}

struct plan *graph_plan(struct graph *g, struct error *err)
{
	uint32_t n = (uint32_t)g->count, nv, i, k, head = 0, tail = 0, n_edges = 0;
	struct node **by_index = NULL, *x;
	uint32_t *indeg = NULL, *queue = NULL, *write_of = NULL, *stack = NULL;
	uint32_t *adj_start = NULL, *adj = NULL, *fill = NULL;
	uint8_t *seen = NULL;
	struct plan *plan = NULL;
	struct edge *e;
	size_t bytes;
	char *mem;

	by_index = calloc(n + 1, sizeof(*by_index));
	write_of = calloc(n + 1, sizeof(*write_of));
	stack = calloc(n + 1, sizeof(*stack));
	seen = calloc(n + 1, 1);
	if (!by_index || !write_of || !stack || !seen)
		goto oom;
	for (i = 0, x = g->head; x; x = x->model_next, i++) {
		x->plan_index = i;
		by_index[i] = x;
	}
	for (e = g->edges; e; e = e->next)
		n_edges++;

	/* delays on a cycle get a second vertex: the write step */
	nv = n;
	for (i = 0; i < n; i++) {
		x = by_index[i];
		x->in_cycle_model = x->kind->breaks_cycles &&
				    reaches(g, by_index, n, i, i, stack, seen);
		write_of[i] = x->in_cycle_model ? nv++ : UINT32_MAX;
	}

	/* adjacency (CSR) over vertices */
	indeg = calloc(nv, sizeof(*indeg));
	queue = calloc(nv, sizeof(*queue));
	adj_start = calloc(nv + 1, sizeof(*adj_start));
	fill = calloc(nv + 1, sizeof(*fill));
	adj = calloc(n_edges + 1, sizeof(*adj));
	if (!indeg || !queue || !adj_start || !fill || !adj)
		goto oom;
	for (e = g->edges; e; e = e->next)
		adj_start[e->src->plan_index + 1]++;
	for (i = 0; i < nv; i++)
		adj_start[i + 1] += adj_start[i];
	for (e = g->edges; e; e = e->next) {
		uint32_t s = e->src->plan_index, d = e->dst->plan_index;
		if (write_of[d] != UINT32_MAX)
			d = write_of[d];
		adj[adj_start[s] + fill[s]++] = d;
		indeg[d]++;
	}
	for (i = 0; i < nv; i++)
		if (indeg[i] == 0)
			queue[tail++] = i;
	while (head < tail) {
		uint32_t v = queue[head++];
		if (v >= n)
			continue;	/* write steps have no outgoing edges */
		for (k = adj_start[v]; k < adj_start[v + 1]; k++)
			if (--indeg[adj[k]] == 0)
				queue[tail++] = adj[k];
	}
	if (tail < nv) {
		for (i = 0; i < nv && indeg[i] == 0; i++)
			;
		x = by_index[i < n ? i : 0];
		err_set(err, ERR_CYCLE, "the graph would contain a cycle without a DelayNode "
			"(through \"%s\")", x->name);
		goto error;
	}

	/* one block: plan, entries, per-entry input lists, source pointers */
	bytes = sizeof(*plan) + nv * sizeof(struct plan_entry);
	for (i = 0; i < n; i++)
		bytes += (by_index[i]->n_inputs + by_index[i]->kind->n_params) *
			 sizeof(struct plan_input);
	bytes += (n_edges + 1) * sizeof(struct bus *);
	mem = calloc(1, bytes);
	if (mem == NULL)
		goto oom;
	plan = (struct plan *)mem;
	mem += sizeof(*plan);
	plan->entries = (struct plan_entry *)mem;
	mem += nv * sizeof(struct plan_entry);
	plan->n = nv;
	for (k = 0; k < nv; k++) {
		uint32_t v = queue[k], j;
		struct plan_entry *pe = &plan->entries[k];
		bool write = v >= n;

		if (write) {
			for (j = 0; j < n && write_of[j] != v; j++)
				;
			v = j;
		}
		x = by_index[v];
		pe->node = x;
		pe->phase = write ? PHASE_WRITE : x->in_cycle_model ? PHASE_READ : PHASE_FULL;
		if (pe->phase != PHASE_READ) {
			pe->inputs = (struct plan_input *)mem;
			mem += x->n_inputs * sizeof(struct plan_input);
		}
		if (pe->phase != PHASE_WRITE) {
			pe->params = (struct plan_input *)mem;
			mem += x->kind->n_params * sizeof(struct plan_input);
		}
	}
	/* source lists, in connection order: count, then place */
	for (k = 0; k < nv; k++) {
		struct plan_entry *pe = &plan->entries[k];
		for (e = g->edges; e; e = e->next) {
			if (e->dst != pe->node)
				continue;
			if (e->input >= 0 && pe->inputs)
				pe->inputs[e->input].n++;
			else if (e->param >= 0 && pe->params)
				pe->params[e->param].n++;
		}
	}
	for (k = 0; k < nv; k++) {
		struct plan_entry *pe = &plan->entries[k];
		uint32_t j;
		for (j = 0; pe->inputs && j < pe->node->n_inputs; j++) {
			pe->inputs[j].srcs = (struct bus **)mem;
			mem += pe->inputs[j].n * sizeof(struct bus *);
			pe->inputs[j].n = 0;
		}
		for (j = 0; pe->params && j < pe->node->kind->n_params; j++) {
			pe->params[j].srcs = (struct bus **)mem;
			mem += pe->params[j].n * sizeof(struct bus *);
			pe->params[j].n = 0;
		}
		for (e = g->edges; e; e = e->next) {
			struct plan_input *pi;
			if (e->dst != pe->node)
				continue;
			if (e->input >= 0 && pe->inputs)
				pi = &pe->inputs[e->input];
			else if (e->param >= 0 && pe->params)
				pi = &pe->params[e->param];
			else
				continue;
			pi->srcs[pi->n++] = &e->src->out[e->output];
		}
	}
	goto done;

oom:
	err_set(err, ERR_INTERNAL, "out of memory");
error:
	plan = NULL;
done:
	free(by_index);
	free(write_of);
	free(stack);
	free(seen);
	free(indeg);
	free(queue);
	free(adj_start);
	free(fill);
	free(adj);
	return plan;
}

void plan_free(struct plan *p)
{
	free(p);
}
