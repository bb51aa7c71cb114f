/* core: the daemon's real-time machinery behind one seam: the engine, the command and
 * return queues, the audio ring, the render thread and the PipeWire output.
 * every function here is control-thread only (one thread: the queues are single-producer
 * and single-consumer on this side). */
#ifndef AUDIOD_CORE_H
#define AUDIOD_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/error.h"
#include "output.h"
#include "render.h"

struct core;
struct engine;
struct engine_op;
struct node;

struct core_config {
	uint32_t rate;			/* Hz, 8000..192000 */
	uint32_t channels;		/* 1..32 */
	uint32_t latency;		/* frames asked of PipeWire per cycle (node.latency);
					 * 0: the server's default */
	uint32_t lead;			/* frames kept beyond one cycle (minimum of the
					 * adaptive lead) */
	uint32_t lead_max;		/* frames */
	uint32_t shrink_after;		/* seconds without underruns before the lead shrinks */
	uint32_t queue;			/* command queue items, a power of two */
	int priority;			/* render thread SCHED_FIFO priority; 0: none */
	bool auto_port_config;		/* see struct output_config */
	const char *node_name;		/* NULL: "audiod" */
	const char *target;		/* NULL: session manager's choice */
	uint32_t idle_suspend_ms;	/* quiet this long with nothing due: suspend; 0: never */
};

/* a suspended core resumes this long before something scheduled is due to sound */
#define CORE_WAKE_AHEAD_MS 500

/* fills in the defaults: 48000 Hz, 2 channels, latency 256, lead 256, lead_max 2048,
 * shrink_after 10 s, queue 1024, priority 70, idle_suspend_ms 3000 */
void core_config_defaults(struct core_config *cfg);

struct core_stats {
	struct output_stats output;
	struct render_stats render;
	uint32_t queued;		/* commands waiting for their quantum */
	bool suspended;			/* idle: stream inactive, time following the clock */
	uint64_t suspensions;		/* times suspended since start */
	uint64_t frame;			/* first frame of the next quantum to render */
	uint64_t last_applied_frame;	/* of the newest command drained */
	uint64_t latency_last_ns;	/* submit to render start, newest drained command */
	uint64_t latency_max_ns;	/* worst since start */
	double latency_avg_ns;		/* mean since start */
	double base_latency;		/* s: ring (one cycle + lead), as Web Audio's baseLatency */
	double output_latency;		/* s: stream to device, as Web Audio's outputLatency */
};

/* builds everything, starts nothing.  NULL with err set. */
struct core *core_new(const struct core_config *cfg, struct error *err);
/* stops (without a fade) if running, frees the ops still queued, then everything else */
void core_free(struct core *c);

/* starts the render thread (prefilling the ring) then the PipeWire output.  0 or -errno. */
int core_start(struct core *c);
/* fades out over fade_ms (0: none), waits for the fade to play, then stops both threads */
void core_stop(struct core *c, uint32_t fade_ms);

/* the engine, for engine_op_*() and engine_event_pop(); never engine_render/commit */
struct engine *core_engine(struct core *c);

/* free command slots.  only the control thread adds, so a positive value stays true until
 * it submits: check before preparing an op, since an op prepared but never committed
 * leaves the engine's model ahead of the renderer. */
uint32_t core_space(const struct core *c);
/* queues an op (chain) to commit in the first quantum starting at or after frame `at`
 * (RENDER_AT_NOW: the next).  tag comes back from core_drain (0: a command nobody tracks).  0, or -EBUSY when the
 * queue is full (the op is still the caller's then).  commands commit in submission order:
 * a later command never overtakes one whose `at` is still in the future. */
int core_submit(struct core *c, struct engine_op *op, uint64_t at, uint64_t tag);

/* called for each command the renderer has applied, after its op was freed: the frame it
 * took effect at and the time from core_submit to the start of that quantum's render */
typedef void (*core_applied_fn)(void *data, uint64_t tag, uint64_t frame, uint64_t latency_ns);
/* frees the ops the renderer handed back and reports them; returns how many */
uint32_t core_drain(struct core *c, core_applied_fn fn, void *data);

void core_get_stats(struct core *c, struct core_stats *st);

/* every few tens of milliseconds: suspends the stream once nothing has sounded for
 * idle_suspend_ms and nothing is due within CORE_WAKE_AHEAD_MS (the device can then sleep
 * and the daemon idles), keeps a suspended renderer's context time moving with the clock,
 * and resumes ahead of anything scheduled.  any submitted command resumes at once. */
void core_tick(struct core *c);
bool core_suspended(const struct core *c);

/* the watchdog's view of the render thread: core_alive is true when the thread went round
 * its loop since the previous call; core_poke then wakes it for the next check */
bool core_alive(struct core *c);
void core_poke(struct core *c);

/* level meters on nodes (render_meter_set / render_meter_get) */
void core_meter_set(struct core *c, uint32_t slot, struct node *n);
void core_meter_get(struct core *c, uint32_t slot, float *peak, float *rms);
uint32_t core_queue_capacity(const struct core *c);

#endif
