/* the engine: a Web Audio graph rendered one 128-frame quantum at a time.
 *
 * every change is made in two steps.  engine_op_*() run on the control side: they validate
 * against the control-side model, update it, and build an op holding everything the change
 * needs (allocated here).  engine_commit() runs on the render side between quanta: it swaps
 * the op's objects in and leaves what they replaced in the op.  engine_op_free() then runs
 * on the control side and frees what came back.  offline, engine_exec() does all three.
 *
 * engine_render(), engine_commit() and engine_event_push() are render-side and never
 * allocate, free, lock or block.  everything else is control-side. */
#ifndef AUDIOD_ENGINE_H
#define AUDIOD_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "error.h"
#include "value.h"

struct engine;
struct engine_op;
struct node;

#define ENGINE_MIN_RATE 3000.0
#define ENGINE_MAX_RATE 768000.0

/* sample_rate 3000..768000 (the daemon and documents accept 8000..192000),
 * channels 1..32.  NULL with err set on bad arguments. */
struct engine *engine_new(double sample_rate, uint32_t channels, struct error *err);
void engine_free(struct engine *e);

/* what one client may make the engine hold (the daemon sets them; offline render keeps
 * the defaults: unlimited) */
struct engine_limits {
	uint32_t param_events;		/* automation events one AudioParam may have scheduled */
};
void engine_set_limits(struct engine *e, const struct engine_limits *l);

/* where HRTF panners get their filters (hrtf.h): load(data, rate, err) is called on the
 * control side the first time one needs them and returns a set with one reference for the
 * engine, or NULL with err set.  without a loader, panningModel "HRTF" is not_supported. */
struct hrtf_set;
void engine_set_hrtf_loader(struct engine *e,
			    struct hrtf_set *(*load)(void *data, double rate, struct error *err),
			    void *data);
/* control: the engine's set, one more reference for the caller; NULL with err set */
struct hrtf_set *engine_hrtf(struct engine *e, struct error *err);

/* where LV2Nodes get their plugins (plugin.h): instantiate(data, uri, rate, block, err) is
 * called on the control side for each one made.  without a host, LV2Node is not_supported. */
struct plugin_instance;
void engine_set_plugin_host(struct engine *e,
			    struct plugin_instance *(*instantiate)(void *data, const char *uri,
								   double rate, uint32_t block,
								   struct error *err),
			    void *data);
/* control: a new instance from the engine's host; NULL with err set */
struct plugin_instance *engine_plugin_instantiate(struct engine *e, const char *uri,
						  struct error *err);

/* where MediaStream nodes get their streams (media.h): open(data, request, err) is called on
 * the control side for each one made.  without a host those kinds are not_supported. */
struct media_request;
struct media_stream;
void engine_set_media_host(struct engine *e,
			   struct media_stream *(*open)(void *data, const struct media_request *rq,
							struct error *err),
			   void *data);
/* control: a new stream from the engine's host for a node of `kind` (for messages); sets
 * rq->rate.  NULL with err set */
struct media_stream *engine_media_open(struct engine *e, const char *kind,
				       struct media_request *rq, struct error *err);

double engine_sample_rate(const struct engine *e);
uint32_t engine_channels(const struct engine *e);
/* render side: the first frame of the next quantum; control side may read it (atomic) */
uint64_t engine_frame(const struct engine *e);

/* the context time (s) an op takes effect at, the `apply` of the *_at ops: ENGINE_NEXT for
 * the renderer's next quantum.  a later time makes a timed edit (the node exists, the
 * connection carries sound, from the first quantum at or after it; a delete or disconnect
 * ends them then) and is "now" for an automation op's checks and its `value`. */
#define ENGINE_NEXT (-1.0)

/* --- ops (control side) ----------------------------------------------------------------
 * each returns 0 and stores a new op in *op, or -1 with err set and the model unchanged. */

int engine_op_create_at(struct engine *e, double apply, const char *type, const char *name,
			const struct option *opts, size_t n_opts, struct engine_op **op,
			struct error *err);
int engine_op_delete_at(struct engine *e, double apply, const char *name,
			struct engine_op **op, struct error *err);
/* to: "node" or "node.param".  output/input: -1 for the default (0) */
int engine_op_connect_at(struct engine *e, double apply, const char *from, const char *to,
			 int output, int input, struct engine_op **op, struct error *err);
/* to NULL: every connection from `from` (optionally only `output`); else the overloads */
int engine_op_disconnect_at(struct engine *e, double apply, const char *from, const char *to,
			    int output, int input, struct engine_op **op, struct error *err);
/* attribute setter, including channelCount, channelCountMode, channelInterpretation */
int engine_op_set(struct engine *e, const char *name, const char *attr, const struct value *v,
		  struct engine_op **op, struct error *err);
/* target "node.param"; method as param_prepare.  for setValueCurveAtTime, curve holds the
 * values and args are [startTime, duration]; for automationRate, rate is the enum string. */
int engine_op_param_at(struct engine *e, double apply, const char *target, const char *method,
		       const double *args, size_t nargs, const float *curve, size_t ncurve,
		       const char *rate, struct engine_op **op, struct error *err);
/* the same ops, taking effect at the renderer's next quantum */
static inline int engine_op_create(struct engine *e, const char *type, const char *name,
				   const struct option *opts, size_t n_opts,
				   struct engine_op **op, struct error *err)
{
	return engine_op_create_at(e, ENGINE_NEXT, type, name, opts, n_opts, op, err);
}

static inline int engine_op_delete(struct engine *e, const char *name, struct engine_op **op,
				   struct error *err)
{
	return engine_op_delete_at(e, ENGINE_NEXT, name, op, err);
}

static inline int engine_op_connect(struct engine *e, const char *from, const char *to,
				    int output, int input, struct engine_op **op,
				    struct error *err)
{
	return engine_op_connect_at(e, ENGINE_NEXT, from, to, output, input, op, err);
}

static inline int engine_op_disconnect(struct engine *e, const char *from, const char *to,
				       int output, int input, struct engine_op **op,
				       struct error *err)
{
	return engine_op_disconnect_at(e, ENGINE_NEXT, from, to, output, input, op, err);
}

static inline int engine_op_param(struct engine *e, const char *target, const char *method,
				  const double *args, size_t nargs, const float *curve,
				  size_t ncurve, const char *rate, struct engine_op **op,
				  struct error *err)
{
	return engine_op_param_at(e, ENGINE_NEXT, target, method, args, nargs, curve, ncurve,
				  rate, op, err);
}

/* start(when, offset, duration): NAN for an absent argument */
int engine_op_start(struct engine *e, const char *name, double when, double offset,
		    double duration, struct engine_op **op, struct error *err);
int engine_op_stop(struct engine *e, const char *name, double when, struct engine_op **op,
		   struct error *err);

/* batches: between begin and end, graph edits (create, delete, connect, disconnect) update
 * the model and are validated as usual, but their ops carry no processing plan; end builds
 * the one plan that makes them all current.  commit end's op after the batch's other ops,
 * in the same quantum.  begin/end nest.  end returns 0 with *op NULL when nothing changed. */
void engine_batch_begin(struct engine *e);
int engine_batch_end(struct engine *e, struct engine_op **op, struct error *err);

/* control: nodes and connections deleted or disconnected with `at` stay in the renderer's
 * plans, silent after their time, until collected: once the renderer is past that time this
 * builds the op (to commit like any other) that drops them and frees the nodes after it.
 * *op NULL when nothing is due.  engine_collect_pending says whether any wait. */
int engine_collect(struct engine *e, struct engine_op **op, struct error *err);
bool engine_collect_pending(const struct engine *e);

/* links b after a so both commit in the same quantum, in order; returns a */
struct engine_op *engine_op_chain(struct engine_op *a, struct engine_op *b);

/* render: applies an op chain; the op then holds what it replaced */
void engine_commit(struct engine *e, struct engine_op *op);
/* control: frees an op chain after commit, or instead of it.  an op dropped without commit
 * leaves the model ahead of the renderer: callers commit every op they prepared. */
void engine_op_free(struct engine *e, struct engine_op *op);
/* control: instead of committing, takes the changes of a chain of prepared ops out of the
 * model (newest first) and frees it: the model is as before the first of them.  only for
 * the newest ops prepared (nothing prepared after them may stay).  inside a batch the batch
 * stays open. */
void engine_op_undo(struct engine *e, struct engine_op *op);
/* the ops in a chain: a measure of the render side's work to commit it */
size_t engine_op_count(const struct engine_op *op);
/* the memory an op chain holds until it is freed (plans, automation copies, arrays) */
size_t engine_op_bytes(const struct engine_op *op);
/* single-threaded convenience: commit then free */
void engine_exec(struct engine *e, struct engine_op *op);

/* --- rendering (render side) -------------------------------------------------------------- */

/* renders one quantum; returns the destination's output bus (engine_channels channels,
 * planar; may be flagged silent).  advances engine_frame by QUANTUM. */
const struct bus *engine_render(struct engine *e);
/* interleaves a bus into out (bus->channels * QUANTUM floats) */
void engine_interleave(const struct bus *b, float *out);
/* interleaves the frames from..from+n-1 of a bus into out (bus->channels * n floats), for
 * a quantum that goes straight into a ring in two runs */
void engine_interleave_frames(const struct bus *b, uint32_t from, uint32_t n, float *out);
/* whether the last rendered quantum could be heard or leaves something to hear: a source
 * played in it, a node still rings (delay, reverb, filter tails) or the output was not
 * silent.  false means that, until a command changes the graph or a scheduled source
 * starts, every quantum renders silence. */
bool engine_sounding(const struct engine *e);
/* the first frame at which a source that start() scheduled begins to play (taking a node
 * created with `at` into account); UINT64_MAX when none is waiting */
uint64_t engine_next_start(const struct engine *e);

/* --- events (render -> control) ------------------------------------------------------------ */

enum engine_event_type { ENGINE_EVENT_ENDED };

struct engine_event {
	enum engine_event_type type;
	uint32_t node_id;
	double time;		/* context time (s) */
};

/* render: queues an event; false if the event ring is full (counted, not blocking) */
bool engine_event_push(struct engine *e, const struct engine_event *ev);
/* control: takes the oldest event; false when none */
bool engine_event_pop(struct engine *e, struct engine_event *ev);

/* --- inspection (control side) ------------------------------------------------------------- */

struct node *engine_node(struct engine *e, const char *name);
const char *engine_node_name(struct engine *e, uint32_t id);	/* NULL if deleted */
/* calls fn for every node in creation order */
void engine_foreach_node(struct engine *e, void (*fn)(struct node *n, void *data), void *data);
size_t engine_node_count(const struct engine *e);
/* calls fn for every connection, in connection order; param is NULL for node inputs */
void engine_foreach_connection(struct engine *e,
			       void (*fn)(const struct node *src, uint32_t output,
					  const struct node *dst, int input, const char *param,
					  void *data),
			       void *data);
/* the destination node (named "destination") */
struct node *engine_destination(struct engine *e);
/* the AudioListener, a hidden node named "listener" whose params PannerNodes read */
struct node *engine_listener(struct engine *e);
/* events the render side could not queue because the ring was full */
uint32_t engine_events_lost(struct engine *e);

#endif
