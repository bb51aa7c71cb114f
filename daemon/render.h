/* render: the producer thread.  it keeps the audio ring filled to one device quantum plus
 * a lead, applying due commands from the command queue before each 128-frame quantum and
 * returning every committed op through the return queue.
 * render_new/start/stop/free, render_fade, render_get_stats: control thread.
 * render_wake: any thread, real-time safe (PipeWire's process callback calls it). */
#ifndef AUDIOD_RENDER_H
#define AUDIOD_RENDER_H

#include <stdbool.h>
#include <stdint.h>

struct engine;
struct engine_op;
struct ring;
struct spsc;
struct render;

/* "apply in the next quantum" */
#define RENDER_AT_NOW 0
/* a frame that never comes */
#define RENDER_NEVER UINT64_MAX

/* one command queue item */
struct render_cmd {
	struct engine_op *op;		/* chain committed in one quantum */
	uint64_t at;			/* frame: applied in the first quantum starting at or
					 * after it; RENDER_AT_NOW for the next one */
	uint64_t tag;			/* the submitter's, handed back unchanged */
	uint64_t submit_ns;		/* CLOCK_MONOTONIC when submitted */
	uint32_t ops;			/* ops in the chain (engine_op_count): its weight in
					 * the per-quantum budget of untimed commands */
};

/* one return queue item: the op to free and where it took effect */
struct render_ret {
	struct engine_op *op;		/* committed: now holds what it replaced */
	uint64_t tag;
	uint64_t frame;			/* first frame of the quantum it was applied in */
	uint64_t latency_ns;		/* submit to the start of that quantum's render */
};

struct render_config {
	uint32_t lead;			/* frames kept in the ring beyond one device quantum;
					 * also the least the adaptive lead shrinks to */
	uint32_t lead_max;		/* frames the lead may grow to after underruns */
	uint32_t shrink_after;		/* seconds without underruns before it shrinks again */
	uint32_t quantum_guess;		/* frames per device cycle assumed before the first */
	int priority;			/* SCHED_FIFO priority to ask for; 0: don't */
	uint64_t (*clock)(void);	/* CLOCK_MONOTONIC ns for suspended rendering; NULL:
					 * the real one (tests pass their own) */
};

struct render_stats {
	uint64_t quanta;		/* rendered */
	uint64_t applied;		/* commands committed */
	uint64_t underruns;		/* device cycles the ring came up short */
	uint64_t underrun_frames;	/* frames of silence played instead */
	uint32_t lead;			/* frames, current (adaptive) */
	uint32_t fill;			/* frames in the ring now */
	double load_avg;		/* render time / audio time since start */
	double load_max;		/* worst single quantum since start */
	double load_recent_max;		/* worst quantum in the last completed second */
	bool rt;			/* got SCHED_FIFO */
	int priority;			/* the priority it runs at (0 when not real-time) */
};

/* the engine, ring and queues must outlive the render; the ring's channels must equal the
 * engine's.  cmds carries struct render_cmd, rets struct render_ret. */
struct render *render_new(const struct render_config *cfg, struct engine *engine,
			  struct ring *ring, struct spsc *cmds, struct spsc *rets);
void render_free(struct render *r);
/* loop iterations so far: wake the thread with render_wake and see this advance to know it
 * is alive (the watchdog), whether or not PipeWire is consuming */
uint64_t render_beats(const struct render *r);

/* starts the thread, which prefills the ring before returning.  0 or a negative errno. */
int render_start(struct render *r);
/* stops and joins the thread */
void render_stop(struct render *r);

/* real-time safe: another device cycle was consumed, refill */
void render_wake(void *r);

/* ramps the output to silence over `frames` and keeps it silent; render_faded() tells when
 * the ramp has been written to the ring */
void render_fade(struct render *r, uint32_t frames);
bool render_faded(const struct render *r);

void render_get_stats(const struct render *r, struct render_stats *st);

/* suspension (control thread).  idle: the ring is no longer consumed (the stream is
 * inactive); the thread then renders, each time it is woken, the quanta the clock says are
 * due, as long as they are sure to be silent, so context time goes on.  leave idle before
 * something is due to sound (render_get_quiet's next_due) or with a command to submit. */
void render_set_idle(struct render *r, bool idle);
/* quiet_since: the first frame of the run of quanta in which nothing sounded (no source
 * played, no tail rang), RENDER_NEVER while something sounds; next_due: while quiet, the
 * first frame at which something already scheduled may sound (a source's start, a held
 * command), RENDER_NEVER for none.  read without synchronisation: a hint that a later
 * reading corrects. */
void render_get_quiet(const struct render *r, uint64_t *quiet_since, uint64_t *next_due);

/* tests: one refill (or, idle, one catch-up with the clock) on the calling thread, as the
 * render thread does on each wake; the thread must not be running */
void render_step(struct render *r);

/* level meters: up to RENDER_METERS nodes whose first output the render thread measures
 * after each quantum (peak with a 300 ms fall, rms over about 300 ms).  control thread:
 * set a slot (NULL clears it) before the node can be deleted: clear it before submitting
 * the delete, so the renderer never reads a node it has retired. */
#define RENDER_METERS 64
struct node;
void render_meter_set(struct render *r, uint32_t slot, struct node *n);
void render_meter_get(const struct render *r, uint32_t slot, float *peak, float *rms);

#endif
