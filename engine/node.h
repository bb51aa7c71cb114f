/* the node base and the small vtable every node kind implements (one kind per file).
 * control thread: node_* constructors, attribute checks, fini.
 * render thread: process callbacks and the node_sched_* / node_ended helpers; no allocation. */
#ifndef AUDIOD_NODE_H
#define AUDIOD_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "error.h"
#include "param.h"
#include "value.h"

struct engine;
struct node;

#define NODE_MAX_ATTRS 15	/* attributes of one kind, besides the channel ones */

struct render_ctx {
	uint64_t frame;		/* first frame of this quantum */
	double time;		/* frame / sample_rate */
	double sample_rate;
	struct engine *engine;
};

struct attr_desc {
	const char *name;
	/* control: validate v; may allocate into *staged what apply will swap in; may update the
	 * node's model fields.  0 or -1 with err set. */
	int (*check)(struct node *n, const struct value *v, void **staged, struct error *err);
	/* render: make v / *staged current; leave in *staged whatever it replaced (or NULL) */
	void (*apply)(struct node *n, const struct value *v, void **staged);
	/* control: release what *staged holds after apply (or after an aborted check); may be NULL */
	void (*release)(struct node *n, void *staged);
	/* control: the model's current value, for `get` and `save` */
	void (*get)(const struct node *n, struct value *v);
	/* control, optional, for kinds whose model holds more than get reports (pointers to
	 * staged objects, set-once flags): memo captures it before a check, undo restores it
	 * (with what get returned then) when the op is undone instead of committed.  without
	 * them the engine runs check(old value) to put the model back. */
	void *(*memo)(const struct node *n);
	void (*undo)(struct node *n, const struct value *old, void *memo);
};

struct node_kind {
	const char *name;		/* "OscillatorNode" */
	size_t size;			/* of the kind's struct, which starts with struct node */
	uint32_t inputs, outputs;	/* defaults; init may change them */
	uint32_t channel_count;		/* defaults for channelCount, mode, interpretation */
	enum count_mode count_mode;
	enum interp interp;
	const struct param_desc *params;	/* every node's, unless describe gives its own */
	uint32_t n_params;
	const struct attr_desc *attrs;
	uint32_t n_attrs;
	bool source;			/* AudioScheduledSourceNode: start/stop */
	bool breaks_cycles;		/* DelayNode */
	bool listener;			/* the AudioListener */
	bool uses_listener;		/* reads the listener's params: processed after it */
	bool passive;			/* silent inputs give silent outputs of the input's
					 * channel count and leave no state: the engine skips
					 * params and process then */

	/* control, optional, for kinds whose params depend on an option (LV2Node: the plugin's
	 * ports): called first with every option, before params and channel options are taken.
	 * may set n->param_descs and n->n_params (the kind frees them in fini), n->n_inputs,
	 * n->n_outputs and n->cfg_model (the defaults the options then override).  the options
	 * that are neither params nor channel options still go to init after. */
	int (*describe)(struct node *n, const struct option *opts, size_t n_opts,
			struct error *err);
	/* control: handle the kind's own options (params and channel options are done);
	 * reject unknown names with node_bad_option().  may set n->n_inputs/n_outputs. */
	int (*init)(struct node *n, const struct option *opts, size_t n_opts, struct error *err);
	/* control: validate channelCount/mode/interpretation changes (NULL: any is fine) */
	int (*check_channels)(struct node *n, uint32_t count, enum count_mode mode,
			      enum interp interp, struct error *err);
	/* control: validate start() arguments beyond the generic checks (NULL: none) */
	int (*check_start)(struct node *n, double when, double offset, double duration,
			   struct error *err);
	/* render: n->in[] are mixed, params computed; write every n->out[] */
	void (*process)(struct node *n, const struct render_ctx *ctx);
	/* render, breaks_cycles only: when the node sits in a cycle the engine calls
	 * process_read (write n->out from state) early and process_write (consume n->in) late,
	 * instead of process */
	void (*process_read)(struct node *n, const struct render_ctx *ctx);
	void (*process_write)(struct node *n, const struct render_ctx *ctx);
	/* control, optional: the options fixed at construction (not attributes) that make the
	 * node again, for `save`: emit is called once for each */
	void (*options)(const struct node *n,
			void (*emit)(void *data, const char *name, const struct value *v),
			void *data);
	/* control: free what init and attributes allocated (may be NULL) */
	void (*fini)(struct node *n);
};

enum sched_state { SCHED_UNSTARTED, SCHED_SCHEDULED, SCHED_PLAYING, SCHED_ENDED };

struct sched {
	/* control model: what start() and stop() asked for */
	bool start_called;
	bool stop_called;
	double when_model, offset_model, duration_model;	/* start(); NAN when absent */
	double stop_model;					/* stop() */
	/* render */
	enum sched_state state;
	double start;		/* when (s) */
	double stop;		/* s; INFINITY until stop() */
	double offset;		/* AudioBufferSourceNode */
	double duration;	/* AudioBufferSourceNode; INFINITY when absent */
};

struct chan_cfg {
	uint32_t count;
	enum count_mode mode;
	enum interp interp;
};

struct node {
	const struct node_kind *kind;
	struct engine *engine;
	uint32_t id;			/* unique for the engine's life */
	char *name;			/* control */
	double sample_rate;

	struct chan_cfg cfg_model;	/* control */
	struct chan_cfg cfg;		/* render */

	uint32_t n_inputs, n_outputs;
	struct bus *in;			/* render: mixed input per input */
	struct bus *out;		/* render: output per output */
	const struct param_desc *param_descs;	/* kind->params, or the instance's (describe) */
	uint32_t n_params;
	struct param *params;		/* n_params, in param_descs order */

	struct sched sched;

	/* control-side graph model (graph.c) */
	struct node *model_next;
	struct node *hash_next;		/* engine's name table */
	bool in_cycle_model;
	uint32_t plan_index;		/* scratch for plan building */
	uint32_t mark;			/* scratch for plan building */
	uint32_t model_in, model_out;	/* edges into and out of this node */
	uint32_t op_refs;		/* ops that name this node and are not freed yet */
	uint64_t from, until;		/* control: frames the node exists for (create and
					 * delete with `at`); until FRAME_NEVER while alive */
	/* order of attribute and channel changes: one held for its `at` while a later change
	 * of the same attribute went ahead is skipped when it comes (the model has the later) */
	uint32_t attr_seq[NODE_MAX_ATTRS + 1];		/* control; [NODE_MAX_ATTRS]: channels */
	uint32_t attr_seq_r[NODE_MAX_ATTRS + 1];	/* render */
	bool dead;			/* deleted: freed when the last op naming it is */
	/* render */
	bool in_cycle;			/* breaks a cycle: process_read/process_write */
	bool tail;			/* set by kinds that still ring after input stops */
};

/* control: create a node of `kind` named `name` with an options dictionary */
struct node *node_new(struct engine *e, const struct node_kind *kind, const char *name,
		      uint32_t id, const struct option *opts, size_t n_opts, struct error *err);
void node_free(struct node *n);

/* control: look up a kind's param / attribute by name (NULL when unknown) */
struct param *node_param(struct node *n, const char *name);
const struct attr_desc *node_attr(const struct node *n, const char *name);

/* control: "unknown option" error naming the nearest valid option of the kind */
int node_bad_option(struct node *n, const char *opt, const char *const *valid, struct error *err);
/* control: option value helpers; return -1 with err set on a wrong type or a non-finite number */
int option_number(const struct option *o, double *out, struct error *err);
int option_bool(const struct option *o, bool *out, struct error *err);
int option_enum(const struct option *o, const char *const *names, int n, int *out,
		struct error *err);

/* render, for sources: the part [*from, *to) of this quantum during which the source plays;
 * false when it plays in none of it.  handles scheduled -> playing -> ended transitions for
 * stop(); the kind calls node_ended itself when it runs out earlier (buffer end). */
bool node_sched_range(struct node *n, const struct render_ctx *ctx, uint32_t *from, uint32_t *to);
/* render: the source ended at context time t: state ENDED and an `ended` event queued */
void node_ended(struct node *n, const struct render_ctx *ctx, double t);

/* control: validates a channelCount / channelCountMode / channelInterpretation change; cfg
 * receives the resulting configuration */
int node_channel_value(const struct node *n, const char *attr, const struct value *v,
		       struct chan_cfg *cfg, struct error *err);
const char *node_count_mode_name(enum count_mode m);
const char *node_interp_name(enum interp i);

/* every node kind, for lookup by name */
const struct node_kind *node_kind_find(const char *name);
extern const struct node_kind *const node_kinds[];
extern const int node_kinds_count;

#endif
