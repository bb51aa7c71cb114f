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
	struct edge *e, *next;

	for (pp = &g->head; *pp; prev = *pp, pp = &(*pp)->model_next) {
		if (*pp == n) {
			*pp = n->model_next;
			if (g->tail == n)
				g->tail = prev;
			g->count--;
			break;
		}
	}
	for (e = g->edges; e; e = next) {
		next = e->next;
		if (e->src == n || e->dst == n)
			graph_unlink_edge(g, e);
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

	/* a node without edges (one just created) needs no search */
	if (e->src->model_out == 0 || e->dst->model_in == 0)
		return false;
	for (x = g->edges; x; x = x->next)
		if (x->until == FRAME_NEVER && edge_same(x, e))
			return true;
	return false;
}

struct edge *graph_add_edge(struct graph *g, const struct edge *e)
{
	struct edge *x = malloc(sizeof(*x));

	if (x == NULL)
		return NULL;
	*x = *e;
	graph_put_edge(g, x);
	return x;
}

void graph_put_edge(struct graph *g, struct edge *x)
{
	/* append: mixing order follows connection order */
	x->next = NULL;
	x->prev = g->edges_last;
	if (g->edges_last)
		g->edges_last->next = x;
	else
		g->edges = x;
	g->edges_last = x;
	x->src->model_out++;
	x->dst->model_in++;
}

void graph_take_edge(struct graph *g, struct edge *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		g->edges = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		g->edges_last = e->prev;
	e->next = e->prev = NULL;
	e->src->model_out--;
	e->dst->model_in--;
}

void graph_unlink_edge(struct graph *g, struct edge *e)
{
	graph_take_edge(g, e);
	free(e);
}

static uint64_t max3(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t m = a > b ? a : b;

	return m > c ? m : c;
}

static uint64_t min3(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t m = a < b ? a : b;

	return m < c ? m : c;
}

/* CSR adjacency over node indices (plan_index), edges in connection order */
struct adjacency {
	uint32_t *start;	/* n + 1 */
	struct edge **edge;	/* by source */
};

static int adjacency_build(struct graph *g, uint32_t n, uint32_t n_edges, struct adjacency *a)
{
	uint32_t *fill, i;
	struct edge *e;

	a->start = calloc(n + 2, sizeof(*a->start));
	a->edge = calloc(n_edges + 1, sizeof(*a->edge));
	fill = calloc(n + 1, sizeof(*fill));
	if (!a->start || !a->edge || !fill) {
		free(fill);
		return -1;
	}
	for (e = g->edges; e; e = e->next)
		a->start[e->src->plan_index + 1]++;
	for (i = 0; i < n; i++)
		a->start[i + 1] += a->start[i];
	for (e = g->edges; e; e = e->next) {
		uint32_t s = e->src->plan_index;
		a->edge[a->start[s] + fill[s]++] = e;
	}
	free(fill);
	return 0;
}

static void adjacency_free(struct adjacency *a)
{
	free(a->start);
	free(a->edge);
}

/* does a path lead from `from` to `target`?  with skip_delays, paths may not pass through
 * a node that breaks cycles (the endpoints excepted) */
static bool reaches(const struct adjacency *a, struct node **by_index, uint32_t n,
		    uint32_t from, uint32_t target, bool skip_delays, uint32_t *stack,
		    uint8_t *seen)
{
	uint32_t sp = 0, k;

	memset(seen, 0, n);
	stack[sp++] = from;
	seen[from] = 1;
	while (sp) {
		uint32_t v = stack[--sp];
		for (k = a->start[v]; k < a->start[v + 1]; k++) {
			uint32_t w = a->edge[k]->dst->plan_index;
			if (w == target)
				return true;
			if (seen[w] || (skip_delays && by_index[w]->kind->breaks_cycles))
				continue;
			seen[w] = 1;
			stack[sp++] = w;
		}
	}
	return false;
}

static uint32_t graph_index(struct graph *g, struct node **by_index)
{
	struct node *x;
	uint32_t i = 0;

	for (x = g->head; x; x = x->model_next, i++) {
		x->plan_index = i;
		if (by_index)
			by_index[i] = x;
	}
	return i;
}

int graph_check_cycle(struct graph *g, struct node *src, struct node *dst, struct error *err)
{
	uint32_t n = (uint32_t)g->count, n_edges = 0, *stack;
	struct node **by_index;
	struct adjacency a;
	struct edge *e;
	uint8_t *seen;
	bool cyc;
	int r = 0;

	/* a cycle through the new edge passes through src and dst: a delay there breaks it */
	if (src->kind->breaks_cycles || dst->kind->breaks_cycles)
		return 0;
	if (src == dst)
		return err_set(err, ERR_CYCLE, "connecting \"%s\" to itself makes a cycle without "
			       "a DelayNode", src->name);
	for (e = g->edges; e; e = e->next)
		n_edges++;
	by_index = calloc(n + 1, sizeof(*by_index));
	stack = calloc(n + 1, sizeof(*stack));
	seen = calloc(n + 1, 1);
	if (by_index)
		graph_index(g, by_index);
	if (!by_index || !stack || !seen || adjacency_build(g, n, n_edges, &a) < 0) {
		free(by_index);
		free(stack);
		free(seen);
		return err_set(err, ERR_INTERNAL, "out of memory");
	}
	cyc = reaches(&a, by_index, n, dst->plan_index, src->plan_index, true, stack, seen);
	if (cyc)
		r = err_set(err, ERR_CYCLE, "connecting \"%s\" to \"%s\" makes a cycle without a "
			    "DelayNode", src->name, dst->name);
	adjacency_free(&a);
	free(by_index);
	free(stack);
	free(seen);
	return r;
}

struct plan *graph_plan(struct graph *g, struct error *err)
{
	uint32_t n = (uint32_t)g->count, nv, i, k, head = 0, tail = 0, n_edges = 0;
	uint32_t listener = UINT32_MAX;
	struct node **by_index = NULL, *x;
	uint32_t *indeg = NULL, *queue = NULL, *write_of = NULL, *stack = NULL;
	uint32_t *in_entry = NULL, *param_entry = NULL, *node_of = NULL;
	struct adjacency a = { NULL, NULL };
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
	graph_index(g, by_index);
	for (e = g->edges; e; e = e->next)
		n_edges++;
	if (adjacency_build(g, n, n_edges, &a) < 0)
		goto oom;

	/* delays on a cycle get a second vertex: the write step */
	nv = n;
	for (i = 0; i < n; i++) {
		x = by_index[i];
		x->in_cycle_model = x->kind->breaks_cycles &&
				    reaches(&a, by_index, n, i, i, false, stack, seen);
		write_of[i] = x->in_cycle_model ? nv++ : UINT32_MAX;
	}
	node_of = calloc(nv, sizeof(*node_of));
	indeg = calloc(nv, sizeof(*indeg));
	queue = calloc(nv, sizeof(*queue));
	in_entry = calloc(n + 1, sizeof(*in_entry));
	param_entry = calloc(n + 1, sizeof(*param_entry));
	if (!node_of || !indeg || !queue || !in_entry || !param_entry)
		goto oom;
	for (i = 0; i < n; i++) {
		node_of[i] = i;
		if (write_of[i] != UINT32_MAX)
			node_of[write_of[i]] = i;
	}
	for (e = g->edges; e; e = e->next) {
		uint32_t d = e->dst->plan_index;
		indeg[write_of[d] != UINT32_MAX ? write_of[d] : d]++;
	}
	/* the spec makes the listener an input of every PannerNode: an implicit edge */
	for (i = 0; i < n; i++)
		if (by_index[i]->kind->listener)
			listener = i;
	for (i = 0; listener != UINT32_MAX && i < n; i++)
		if (by_index[i]->kind->uses_listener)
			indeg[i]++;
	/* Kahn, seeded in creation order, so the order is deterministic */
	for (i = 0; i < nv; i++)
		if (indeg[i] == 0)
			queue[tail++] = i;
	while (head < tail) {
		uint32_t v = queue[head++];
		if (v >= n)
			continue;	/* write steps have no outgoing edges */
		for (i = 0; v == listener && i < n; i++)
			if (by_index[i]->kind->uses_listener && --indeg[i] == 0)
				queue[tail++] = i;
		for (k = a.start[v]; k < a.start[v + 1]; k++) {
			uint32_t d = a.edge[k]->dst->plan_index;
			if (write_of[d] != UINT32_MAX)
				d = write_of[d];
			if (--indeg[d] == 0)
				queue[tail++] = d;
		}
	}
	if (tail < nv) {
		for (i = 0; i < nv && indeg[i] == 0; i++)
			;
		x = by_index[node_of[i < nv ? i : 0]];
		err_set(err, ERR_CYCLE, "the graph would contain a cycle without a DelayNode "
			"(through \"%s\")", x->name);
		goto error;
	}

	/* one block: plan, entries, per-entry input lists, source pointers */
	bytes = sizeof(*plan) + nv * sizeof(struct plan_entry) + (nv + 63) / 64 * sizeof(uint64_t);
	for (i = 0; i < n; i++)
		bytes += (by_index[i]->n_inputs + by_index[i]->n_params) *
			 sizeof(struct plan_input);
	bytes += (n_edges + 1) * sizeof(struct plan_src);
	mem = calloc(1, bytes);
	if (mem == NULL)
		goto oom;
	plan = (struct plan *)mem;
	plan->bytes = bytes;
	mem += sizeof(*plan);
	plan->entries = (struct plan_entry *)mem;
	mem += nv * sizeof(struct plan_entry);
	plan->idle = (uint64_t *)mem;
	mem += (nv + 63) / 64 * sizeof(uint64_t);
	plan->n = nv;
	for (k = 0; k < nv; k++) {
		uint32_t v = queue[k];
		struct plan_entry *pe = &plan->entries[k];
		bool write = v >= n;

		x = by_index[node_of[v]];
		pe->node = x;
		pe->from = x->from;
		pe->until = x->until;
		pe->phase = write ? PHASE_WRITE : x->in_cycle_model ? PHASE_READ : PHASE_FULL;
		if (pe->phase != PHASE_READ) {
			pe->inputs = (struct plan_input *)mem;
			mem += x->n_inputs * sizeof(struct plan_input);
			in_entry[x->plan_index] = k;
		}
		if (pe->phase != PHASE_WRITE) {
			pe->params = (struct plan_input *)mem;
			mem += x->n_params * sizeof(struct plan_input);
			param_entry[x->plan_index] = k;
		}
	}
	/* source lists, in connection order: count, carve, fill */
	for (e = g->edges; e; e = e->next) {
		uint32_t d = e->dst->plan_index;
		if (e->input >= 0)
			plan->entries[in_entry[d]].inputs[e->input].n++;
		else
			plan->entries[param_entry[d]].params[e->param].n++;
	}
	for (k = 0; k < nv; k++) {
		struct plan_entry *pe = &plan->entries[k];
		uint32_t j;
		for (j = 0; pe->inputs && j < pe->node->n_inputs; j++) {
			pe->inputs[j].srcs = (struct plan_src *)mem;
			mem += pe->inputs[j].n * sizeof(struct plan_src);
			pe->inputs[j].n = 0;
		}
		for (j = 0; pe->params && j < pe->node->n_params; j++) {
			pe->params[j].srcs = (struct plan_src *)mem;
			mem += pe->params[j].n * sizeof(struct plan_src);
			pe->params[j].n = 0;
		}
	}
	for (e = g->edges; e; e = e->next) {
		uint32_t d = e->dst->plan_index;
		struct plan_input *pi = e->input >= 0 ?
			&plan->entries[in_entry[d]].inputs[e->input] :
			&plan->entries[param_entry[d]].params[e->param];
		/* it carries sound while the edge and both its ends exist */
		pi->srcs[pi->n++] = (struct plan_src){
			.bus = &e->src->out[e->output],
			.from = max3(e->from, e->src->from, e->dst->from),
			.until = min3(e->until, e->src->until, e->dst->until),
			/* the one entry of a node that is not split in two (its idle state) */
			.producer = e->src->in_cycle_model ? NULL :
				&plan->entries[param_entry[e->src->plan_index]],
		};
	}
	goto done;

oom:
	err_set(err, ERR_INTERNAL, "out of memory");
error:
	plan = NULL;
done:
	adjacency_free(&a);
	free(by_index);
	free(write_of);
	free(stack);
	free(seen);
	free(indeg);
	free(queue);
	free(node_of);
	free(in_entry);
	free(param_entry);
	return plan;
}

void plan_free(struct plan *p)
{
	free(p);
}
