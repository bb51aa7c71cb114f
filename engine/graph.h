/* the graph model (control side) and processing plans (built on the control side, read on
 * the render side).  a plan is immutable once built, but for the idle state of its entries
 * that only the renderer uses; the renderer swaps whole plans. */
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
	struct edge *next, *prev;	/* the graph's list; next also links an op's removed edges */
};

struct graph {
	struct node *head, *tail;	/* creation order, linked by model_next */
	size_t count;
	struct edge *edges, *edges_last;	/* in connection order, doubly linked */
};

enum plan_phase { PHASE_FULL, PHASE_READ, PHASE_WRITE };

struct plan_entry;

/* a source of an input or param, with the frames during which it counts */
struct plan_src {
	struct bus *bus;
	uint64_t from, until;
	const struct plan_entry *producer;	/* the entry of the node (its idle state);
						 * NULL for a delay split in a cycle */
};

struct plan_input {
	uint32_t n;
	struct plan_src *srcs;
};

struct plan_entry {
	struct node *node;
	uint64_t from, until;		/* frames the node exists for the renderer */
	enum plan_phase phase;
	/* on a cycle without a DelayNode (the spec's "mute"): while the plan holds, the node's
	 * outputs are one silent channel, and it is not processed at all, like a node the
	 * spec's ordering removed from the graph: no input mixed, no param computed, its state
	 * (a source's playhead, a filter's memory) left as it was until the cycle is broken */
	bool muted;
	struct plan_input *inputs;	/* node->n_inputs, NULL for PHASE_READ */
	struct plan_input *params;	/* node->kind->n_params, NULL for PHASE_WRITE */
	/* render-side state, the one part of a plan the renderer writes: a node that cannot
	 * sound before frame `wake` (its one output silent, `idle_channels` wide), as long as
	 * nothing that could wake it was committed since (the engine's idle generation is
	 * `gen`): a source not started, finished or starting later, or a GainNode fed only by
	 * such.  kept here, next to the order, so that skipping a graph's many finished notes
	 * touches neither their nodes nor their buses. */
	uint64_t wake;
	uint64_t gen;
	uint32_t idle_channels;
	/* render: the node's params are all settled without inputs (param_settled) as long as
	 * no param change was committed since the engine's param generation was this (0: not
	 * known) */
	uint64_t params_still;
};

struct plan {
	uint64_t seq;		/* order of building: a renderer never swaps in an older plan */
	size_t bytes;		/* the one allocation holding it all */
	uint32_t n;
	struct plan_entry *entries;
	/* render: a bit per entry found idle (its wake and gen set), so that a quantum walks
	 * only the others; valid while the engine's idle generation is idle_gen and
	 * the frame is below idle_until (the earliest wake among them) */
	uint64_t *idle;		/* (n + 63) / 64 words */
	uint64_t idle_gen, idle_until;
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

/* builds the processing order: topological, with DelayNodes in cycles split into a read step
 * (first) and a write step (after their inputs).  the cycles left without a DelayNode are
 * allowed (the spec's connect()): their nodes' entries are muted, and ordered as if the edges
 * between them were not there.  sets node->in_cycle_model.  NULL only when out of memory. */
struct plan *graph_plan(struct graph *g, struct error *err);
void plan_free(struct plan *p);

#endif
