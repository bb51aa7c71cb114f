/* graph model and processing plans.  control thread only: the render thread receives a
 * finished plan through an op and never sees the model. */
#include <assert.h>
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

/* does a path lead from `from` to `target`? */
static bool reaches(const struct adjacency *a, uint32_t n, uint32_t from, uint32_t target,
		    uint32_t *stack, uint8_t *seen)
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
			if (seen[w])
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

/* plan building: the state of one graph_plan.  vertices are the nodes by plan_index, then
 * one write step per DelayNode on a cycle (its read step keeps the node's own vertex).  with
 * those delays split, what cycles remain have no DelayNode: the spec mutes their nodes.
 * their strongly connected components (Tarjan) say which, and the order is that of the
 * graph without the edges inside a component, which has no cycle left. */
struct planner {
	struct graph *g;
	uint32_t n;			/* nodes */
	uint32_t nv;			/* vertices: nodes plus write steps */
	uint32_t n_edges;
	uint32_t listener;		/* the listener's node index, or UINT32_MAX */
	struct node **by_index;		/* n + 1 */
	uint32_t *write_of;		/* n + 1: a node's write-step vertex, or UINT32_MAX */
	uint32_t *stack;		/* n + 1: reaches() */
	uint8_t *seen;			/* n + 1: reaches() */
	struct adjacency a;
	uint32_t *node_of;		/* nv: a vertex's node index */
	uint32_t *indeg;		/* nv: edges not yet ordered, into each vertex */
	uint32_t *queue;		/* nv: Kahn's queue, which ends as the order */
	uint32_t *comp;			/* nv: a vertex's strongly connected component */
	uint32_t *low;			/* nv: Tarjan's index, then lowlink, of a vertex */
	uint32_t *call;			/* nv: Tarjan's path (its vertices) */
	uint32_t *cursor;		/* nv: the successor each vertex of the path is at */
	uint32_t *scc;			/* nv: Tarjan's stack of vertices not yet in a component */
	uint8_t *muted;			/* nv: on a cycle without a DelayNode */
	uint32_t *in_entry;		/* n + 1: the entry that holds a node's inputs */
	uint32_t *param_entry;		/* n + 1: the entry that holds a node's params */
};

static void planner_fini(struct planner *pl)
{
	adjacency_free(&pl->a);
	free(pl->by_index);
	free(pl->write_of);
	free(pl->stack);
	free(pl->seen);
	free(pl->indeg);
	free(pl->queue);
	free(pl->comp);
	free(pl->low);
	free(pl->call);
	free(pl->cursor);
	free(pl->scc);
	free(pl->muted);
	free(pl->node_of);
	free(pl->in_entry);
	free(pl->param_entry);
}

/* indexes the nodes and builds the adjacency; -1 when out of memory */
static int planner_init(struct planner *pl, struct graph *g)
{
	uint32_t n = (uint32_t)g->count;
	struct edge *e;

	*pl = (struct planner){ .g = g, .n = n, .listener = UINT32_MAX };
	pl->by_index = calloc(n + 1, sizeof(*pl->by_index));
	pl->write_of = calloc(n + 1, sizeof(*pl->write_of));
	pl->stack = calloc(n + 1, sizeof(*pl->stack));
	pl->seen = calloc(n + 1, 1);
	if (!pl->by_index || !pl->write_of || !pl->stack || !pl->seen)
		return -1;
	graph_index(g, pl->by_index);
	for (e = g->edges; e; e = e->next)
		pl->n_edges++;
	return adjacency_build(g, n, pl->n_edges, &pl->a);
}

/* delays on a cycle get a second vertex: the write step.  sets in_cycle_model */
static void planner_split_delays(struct planner *pl)
{
	uint32_t i;

	pl->nv = pl->n;
	for (i = 0; i < pl->n; i++) {
		struct node *x = pl->by_index[i];

		x->in_cycle_model = x->kind->breaks_cycles &&
				    reaches(&pl->a, pl->n, i, i, pl->stack, pl->seen);
		pl->write_of[i] = x->in_cycle_model ? pl->nv++ : UINT32_MAX;
	}
}

/* the vertex an edge into node d leads to: a split delay's write step, else d's own */
static uint32_t planner_sink(const struct planner *pl, uint32_t d)
{
	return pl->write_of[d] != UINT32_MAX ? pl->write_of[d] : d;
}

/* the arrays of the ordering, and each vertex's node; -1 when out of memory */
static int planner_alloc_order(struct planner *pl)
{
	uint32_t i;

	pl->node_of = calloc(pl->nv, sizeof(*pl->node_of));
	pl->indeg = calloc(pl->nv, sizeof(*pl->indeg));
	pl->queue = calloc(pl->nv, sizeof(*pl->queue));
	pl->comp = calloc(pl->nv, sizeof(*pl->comp));
	pl->low = calloc(pl->nv, sizeof(*pl->low));
	pl->call = calloc(pl->nv, sizeof(*pl->call));
	pl->cursor = calloc(pl->nv, sizeof(*pl->cursor));
	pl->scc = calloc(pl->nv, sizeof(*pl->scc));
	pl->muted = calloc(pl->nv, 1);
	pl->in_entry = calloc(pl->n + 1, sizeof(*pl->in_entry));
	pl->param_entry = calloc(pl->n + 1, sizeof(*pl->param_entry));
	if (!pl->node_of || !pl->indeg || !pl->queue || !pl->in_entry || !pl->param_entry ||
	    !pl->comp || !pl->low || !pl->call || !pl->cursor || !pl->scc || !pl->muted)
		return -1;
	for (i = 0; i < pl->n; i++) {
		pl->node_of[i] = i;
		if (pl->write_of[i] != UINT32_MAX)
			pl->node_of[pl->write_of[i]] = i;
	}
	return 0;
}

/* the successors of vertex v are numbered 0 .. planner_degree(v) - 1: its edges, then, for
 * the listener, every node (the spec makes the listener an input of every PannerNode: an
 * implicit edge, to those that use it) */
static uint32_t planner_degree(const struct planner *pl, uint32_t v)
{
	if (v >= pl->n)
		return 0;	/* write steps have no outgoing edges */
	return pl->a.start[v + 1] - pl->a.start[v] + (v == pl->listener ? pl->n : 0);
}

/* successor k of v, or UINT32_MAX for a node the listener does not feed */
static uint32_t planner_successor(const struct planner *pl, uint32_t v, uint32_t k)
{
	uint32_t edges = pl->a.start[v + 1] - pl->a.start[v];

	if (k < edges)
		return planner_sink(pl, pl->a.edge[pl->a.start[v] + k]->dst->plan_index);
	k -= edges;
	return pl->by_index[k]->kind->uses_listener ? k : UINT32_MAX;
}

/* Tarjan's strongly connected components, without recursion (a chain of thousands of nodes
 * is a fine graph).  low holds a vertex's index + 1 (0: not visited yet) until it is in a
 * component, then UINT32_MAX, which no other test catches */
static void planner_components(struct planner *pl)
{
	uint32_t r, next = 1, n_comp = 0, depth, top = 0;

	for (r = 0; r < pl->nv; r++) {
		if (pl->low[r])
			continue;
		depth = 0;
		pl->call[depth] = r;
		pl->cursor[depth++] = 0;
		pl->comp[r] = next;	/* its index, while it is on the path or stack */
		pl->low[r] = next++;
		pl->scc[top++] = r;
		while (depth) {
			uint32_t v = pl->call[depth - 1], w;

			if (pl->cursor[depth - 1] < planner_degree(pl, v)) {
				w = planner_successor(pl, v, pl->cursor[depth - 1]++);
				if (w == UINT32_MAX)
					continue;
				if (pl->low[w] == 0) {
					pl->call[depth] = w;
					pl->cursor[depth++] = 0;
					pl->comp[w] = next;
					pl->low[w] = next++;
					pl->scc[top++] = w;
				} else if (pl->low[w] != UINT32_MAX && pl->comp[w] < pl->low[v]) {
					pl->low[v] = pl->comp[w];	/* on the stack */
				}
				continue;
			}
			depth--;
			if (depth && pl->low[v] < pl->low[pl->call[depth - 1]])
				pl->low[pl->call[depth - 1]] = pl->low[v];
			if (pl->low[v] != pl->comp[v])
				continue;
			/* v is the root of a component: the stack down to it */
			do {
				w = pl->scc[--top];
				pl->low[w] = UINT32_MAX;
				pl->comp[w] = n_comp;
			} while (w != v);
			n_comp++;
		}
	}
}

/* an edge between two vertices of one component is on a cycle without a DelayNode, and
 * so are both its ends (every vertex of a component of two or more has such an edge, one
 * alone has it when it feeds itself): they are muted, and the order ignores the edge */
static bool planner_internal(const struct planner *pl, uint32_t u, uint32_t w)
{
	return pl->comp[u] == pl->comp[w];
}

static void planner_mark_muted(struct planner *pl)
{
	uint32_t v, k, w;

	for (v = 0; v < pl->n; v++)
		for (k = 0; k < planner_degree(pl, v); k++)
			if ((w = planner_successor(pl, v, k)) != UINT32_MAX &&
			    planner_internal(pl, v, w))
				pl->muted[v] = pl->muted[w] = 1;
}

/* in-degrees of the vertices, edges inside a component left out */
static void planner_count_indegrees(struct planner *pl)
{
	uint32_t v, k, w;

	for (v = 0; v < pl->n; v++)
		for (k = 0; k < planner_degree(pl, v); k++)
			if ((w = planner_successor(pl, v, k)) != UINT32_MAX &&
			    !planner_internal(pl, v, w))
				pl->indeg[w]++;
}

/* Kahn's step for vertex v: queues what only waited for it */
static void planner_release(struct planner *pl, uint32_t v, uint32_t *tail)
{
	uint32_t k, w;

	for (k = 0; k < planner_degree(pl, v); k++)
		if ((w = planner_successor(pl, v, k)) != UINT32_MAX &&
		    !planner_internal(pl, v, w) && --pl->indeg[w] == 0)
			pl->queue[(*tail)++] = w;
}

/* the processing order into queue: Kahn, seeded in creation order, so the order is
 * deterministic.  without the edges inside components the graph has no cycle: every
 * vertex is ordered */
static void planner_order(struct planner *pl)
{
	uint32_t i, head = 0, tail = 0;

	for (i = 0; i < pl->n; i++)
		if (pl->by_index[i]->kind->listener)
			pl->listener = i;
	planner_components(pl);
	planner_mark_muted(pl);
	planner_count_indegrees(pl);
	for (i = 0; i < pl->nv; i++)
		if (pl->indeg[i] == 0)
			pl->queue[tail++] = i;
	while (head < tail)
		planner_release(pl, pl->queue[head++], &tail);
	assert(tail == pl->nv);
}

/* one block holds it all: plan, entries, idle bits, per-entry input lists, sources */
static size_t plan_size(const struct planner *pl)
{
	size_t bytes = sizeof(struct plan) + pl->nv * sizeof(struct plan_entry) +
		       (pl->nv + 63) / 64 * sizeof(uint64_t);
	uint32_t i;

	for (i = 0; i < pl->n; i++)
		bytes += (pl->by_index[i]->n_inputs + pl->by_index[i]->n_params) *
			 sizeof(struct plan_input);
	return bytes + (pl->n_edges + 1) * sizeof(struct plan_src);
}

/* entry k: the k-th vertex of the order, with its input and param lists carved from mem */
static char *plan_fill_entry(struct planner *pl, struct plan *plan, uint32_t k, char *mem)
{
	uint32_t v = pl->queue[k];
	struct plan_entry *pe = &plan->entries[k];
	struct node *x = pl->by_index[pl->node_of[v]];

	pe->node = x;
	pe->from = x->from;
	pe->until = x->until;
	pe->phase = v >= pl->n ? PHASE_WRITE : x->in_cycle_model ? PHASE_READ : PHASE_FULL;
	pe->muted = pl->muted[v];
	if (pe->phase != PHASE_READ) {
		pe->inputs = (struct plan_input *)mem;
		mem += x->n_inputs * sizeof(struct plan_input);
		pl->in_entry[x->plan_index] = k;
	}
	if (pe->phase != PHASE_WRITE) {
		pe->params = (struct plan_input *)mem;
		mem += x->n_params * sizeof(struct plan_input);
		pl->param_entry[x->plan_index] = k;
	}
	return mem;
}

/* the list an edge's source goes in: the input or param of its destination's entry */
static struct plan_input *plan_list_of(const struct planner *pl, struct plan *plan,
				       const struct edge *e)
{
	uint32_t d = e->dst->plan_index;

	if (e->input >= 0)
		return &plan->entries[pl->in_entry[d]].inputs[e->input];
	return &plan->entries[pl->param_entry[d]].params[e->param];
}

/* gives each of n lists its count of sources from mem, and empties it for filling */
static char *plan_carve_lists(struct plan_input *lists, uint32_t n, char *mem)
{
	uint32_t j;

	for (j = 0; lists && j < n; j++) {
		lists[j].srcs = (struct plan_src *)mem;
		mem += lists[j].n * sizeof(struct plan_src);
		lists[j].n = 0;
	}
	return mem;
}

/* source lists, in connection order: count, carve, fill */
static void plan_fill_sources(const struct planner *pl, struct plan *plan, char *mem)
{
	struct edge *e;
	uint32_t k;

	for (e = pl->g->edges; e; e = e->next)
		plan_list_of(pl, plan, e)->n++;
	for (k = 0; k < plan->n; k++) {
		struct plan_entry *pe = &plan->entries[k];

		mem = plan_carve_lists(pe->inputs, pe->node->n_inputs, mem);
		mem = plan_carve_lists(pe->params, pe->node->n_params, mem);
	}
	for (e = pl->g->edges; e; e = e->next) {
		struct plan_input *pi = plan_list_of(pl, plan, e);

		/* it carries sound while the edge and both its ends exist */
		pi->srcs[pi->n++] = (struct plan_src){
			.bus = &e->src->out[e->output],
			.from = max3(e->from, e->src->from, e->dst->from),
			.until = min3(e->until, e->src->until, e->dst->until),
			/* the one entry of a node that is not split in two (its idle state) */
			.producer = e->src->in_cycle_model ? NULL :
				&plan->entries[pl->param_entry[e->src->plan_index]],
		};
	}
}

/* the plan of an ordered planner; NULL when out of memory */
static struct plan *plan_build(struct planner *pl)
{
	size_t bytes = plan_size(pl);
	char *mem = calloc(1, bytes);
	struct plan *plan = (struct plan *)mem;
	uint32_t k;

	if (mem == NULL)
		return NULL;
	plan->bytes = bytes;
	mem += sizeof(*plan);
	plan->entries = (struct plan_entry *)mem;
	mem += pl->nv * sizeof(struct plan_entry);
	plan->idle = (uint64_t *)mem;
	mem += (pl->nv + 63) / 64 * sizeof(uint64_t);
	plan->n = pl->nv;
	for (k = 0; k < pl->nv; k++)
		mem = plan_fill_entry(pl, plan, k, mem);
	plan_fill_sources(pl, plan, mem);
	return plan;
}

struct plan *graph_plan(struct graph *g, struct error *err)
{
	struct plan *plan = NULL;
	struct planner pl;

	if (planner_init(&pl, g) < 0)
		goto oom;
	planner_split_delays(&pl);
	if (planner_alloc_order(&pl) < 0)
		goto oom;
	planner_order(&pl);
	plan = plan_build(&pl);
	if (plan == NULL)
		goto oom;
	goto done;

oom:
	err_set(err, ERR_INTERNAL, "out of memory");
done:
	planner_fini(&pl);
	return plan;
}

void plan_free(struct plan *p)
{
	free(p);
}
