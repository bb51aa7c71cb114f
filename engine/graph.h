/* the graph model (control side) and processing plans (built on the control side, read on
 * the render side).  a plan is immutable once built; the renderer swaps whole plans. */
#ifndef AUDIOD_GRAPH_H
#define AUDIOD_GRAPH_H

#include <stdint.h>

#include "error.h"
#include "node.h"

#define FRAME_NEVER UINT64_MAX

struct edge {
	struct node *src;
	uint32_t output;
	struct node *dst;
	int32_t input;		/* -1 when the edge feeds a param */
	int32_t param;		/* index into dst->params, or -1 */
	uint64_t from;		/* first frame it carries sound (a connect with `at`) */
	uint64_t until;		/* first frame it no longer does; FRAME_NEVER: alive in the model */
	struct edge *next;
};

struct graph {
	struct node *head, *tail;	/* creation order, linked by model_next */
	size_t count;
	struct edge *edges;
};

enum plan_phase { PHASE_FULL, PHASE_READ, PHASE_WRITE };

/* a source of an input or param, with the frames during which it counts */
struct plan_src {
	struct bus *bus;
	uint64_t from, until;
};

struct plan_input {
	uint32_t n;
	struct plan_src *srcs;
};

struct plan_entry {
	struct node *node;
	uint64_t from, until;		/* frames the node exists for the renderer */
	enum plan_phase phase;
	struct plan_input *inputs;	/* node->n_inputs, NULL for PHASE_READ */
	struct plan_input *params;	/* node->kind->n_params, NULL for PHASE_WRITE */
};

struct plan {
	uint64_t seq;		/* order of building: a renderer never swaps in an older plan */
	size_t bytes;		/* the one allocation holding it all */
	uint32_t n;
	struct plan_entry *entries;
};

void graph_add(struct graph *g, struct node *n);
void graph_remove(struct graph *g, struct node *n);	/* and every edge touching it */
/* true when an identical edge exists */
bool graph_has_edge(const struct graph *g, const struct edge *e);
/* appends a copy of e; NULL when out of memory */
struct edge *graph_add_edge(struct graph *g, const struct edge *e);
/* appends an edge struct taken out before (graph_take_edge) */
void graph_put_edge(struct graph *g, struct edge *e);
/* unlinks e from the model without freeing it */
void graph_take_edge(struct graph *g, struct edge *e);
/* unlinks and frees e */
void graph_unlink_edge(struct graph *g, struct edge *e);

/* ERR_CYCLE when an edge src -> dst would close a cycle that passes through no DelayNode */
int graph_check_cycle(struct graph *g, struct node *src, struct node *dst, struct error *err);

/* builds the processing order: topological, with DelayNodes in cycles split into a read step
 * (first) and a write step (after their inputs).  NULL with ERR_CYCLE when a cycle has no
 * DelayNode.  sets node->in_cycle_model. */
struct plan *graph_plan(struct graph *g, struct error *err);
void plan_free(struct plan *p);

#endif
