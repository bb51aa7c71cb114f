/* engine internals, shared by its two sides: engine.c (control side: the model, ops, undo,
 * batches, collection) and render.c (render side: commit, the quantum loop, events).  not
 * for users of the engine, who see engine.h.  each field says which side owns it. */
#ifndef AUDIOD_ENGINE_PRIVATE_H
#define AUDIOD_ENGINE_PRIVATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "engine.h"
#include "graph.h"
#include "node.h"
#include "media.h"
#include "plugin.h"
#include "ringidx.h"

#define EVENT_CAP 1024	/* power of two */

enum op_kind { OP_PLAN, OP_CHANNELS, OP_ATTR, OP_PARAM, OP_START, OP_STOP };

/* built, undone and freed by the control side; between submit and return the render side
 * owns it, reads it in engine_commit and swaps into it what the commit replaced */
struct engine_op {
	struct engine_op *next;
	struct engine_op *last;		/* on a chain's head, once chained: a late link, from
					 * which the chain's end is near (chains grow at the end) */
	enum op_kind kind;
	struct node *node;
	struct plan *plan;		/* OP_PLAN: swapped with the engine's */
	struct node *dead;		/* OP_PLAN of a delete: freed after commit */
	struct chan_cfg cfg;		/* OP_CHANNELS */
	const struct attr_desc *attr;	/* OP_ATTR */
	struct value value;		/* OP_ATTR: strings and arrays are owned copies */
	void *staged;
	struct param *param;		/* OP_PARAM */
	struct param_update *update;
	double when, offset, duration;	/* OP_START, OP_STOP */
	uint32_t slot, seq;		/* OP_ATTR, OP_CHANNELS: node->attr_seq[slot] */

	/* what preparing changed in the model, for engine_op_undo */
	struct node *created;		/* create */
	struct node *deleted;		/* delete; its edges are in `removed` */
	struct edge *added;		/* connect: the model's edge */
	struct edge *removed;		/* delete, disconnect: the edges taken out */
	struct chan_cfg old_cfg;	/* OP_CHANNELS */
	struct value old_value;		/* OP_ATTR: the model's value before (owned copy) */
	void *memo;			/* OP_ATTR: attr->memo before the check */
	bool old_flag;			/* OP_START: start_called, OP_STOP: stop_called */
	struct node *deleted_at;	/* delete with `at`: the node, dying until then */
	struct retimed *retimed;	/* delete, disconnect with `at`: edges given an end */
	uint32_t n_retimed;
};

/* an edge's end as it was before an op with `at` set it */
struct retimed {
	struct edge *edge;
	uint64_t until;
};

struct engine {
	/* fixed at engine_new: both sides read them */
	double sample_rate;
	uint32_t channels;
	struct node *dest;
	struct node *listener;		/* the AudioListener (listener.c) */

	_Atomic uint64_t frame;		/* written by the render side only, read by both */

	/* control side */
	struct graph graph;
	struct node **names;		/* hash table by name, chained by hash_next */
	uint32_t names_cap;		/* buckets, a power of two */
	uint64_t plan_seq;		/* control: plans built so far */
	uint32_t dying;			/* nodes and edges ended with `at`, not collected yet */
	uint32_t batch;			/* open engine_batch_begin calls */
	bool batch_dirty;		/* the model changed since the last plan */
	struct node *batch_dead;	/* deleted during the batch, linked by model_next */
	uint32_t next_id;
	struct engine_limits limits;
	/* HRTF grid: loaded on first need by the maker's loader, shared by every panner */
	struct hrtf_set *(*hrtf_load)(void *data, double rate, struct error *err);
	void *hrtf_data;
	struct hrtf_set *hrtf;
	/* LV2Nodes' plugins: instantiated by the maker's host (plugin.h) */
	plugin_instantiate_fn plugin_new;
	void *plugin_data;
	/* MediaStream nodes' streams: opened by the maker's host (media.h) */
	media_open_fn media_open;
	void *media_data;

	/* render side */
	struct plan *plan;
	uint64_t render_seq;		/* seq of the plan in use */
	struct bus scratch;		/* param input sums (mono) */
	bool sounding;			/* the last quantum had a source playing or a node
					 * ringing (a tail), or a non-silent output */
	uint64_t idle_gen;		/* commits that may wake an idle node so far (start,
					 * stop, channel settings, attributes): the plan
					 * entries' idle states hold while it stays the same */
	uint64_t param_gen;		/* param commits so far, plus 1: likewise for the
					 * entries' params_still */
	struct bus silent_out;

	/* render -> control events: the render side writes them, the control side reads */
	struct engine_event ev[EVENT_CAP];
	struct ringidx ev_idx;
	_Atomic uint32_t ev_lost;	/* written by the render side only */
};

#endif
