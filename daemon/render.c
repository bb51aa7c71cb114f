/* render: the producer thread.  render_main and everything it calls run on the render
 * thread and never allocate, free, lock, log or do I/O (it only waits on its eventfd); the
 * public functions other than render_wake are control-thread only.
 * the thread keeps the ring filled to (device quantum + lead) frames, one 128-frame quantum
 * at a time, committing due commands just before the quantum they take effect in. */
#include "render.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "engine/engine.h"
#include "engine/node.h"
#include "ring.h"
#include "rtcheck.h"
#include "spsc.h"

struct render {
	struct render_config cfg;
	struct engine *engine;
	struct ring *ring;
	struct spsc *cmds;		/* struct render_cmd, control -> render */
	struct spsc *rets;		/* struct render_ret, render -> control */
	double rate;			/* Hz */
	uint32_t channels;
	int wakefd;			/* eventfd: device cycles consumed, or stop */
	sem_t ready;			/* posted once the ring is prefilled */
	pthread_t thread;
	bool running;			/* control thread's view */
	_Atomic bool stop;

	/* render thread only */
	struct render_cmd *held;	/* popped but due later, by `at` (stable order) */
	uint32_t n_held, held_cap;	/* held_cap = command queue capacity */
	struct render_cmd *defer;	/* popped, untimed, over a quantum's budget: a FIFO
					 * of held_cap slots (held and defer are in flight, which
					 * the control side keeps to the queue's capacity) */
	uint32_t defer_head, n_defer;
	uint64_t seen_underruns;	/* ring underrun count at the last lead change */
	uint64_t calm_since;		/* frame of the last underrun or lead change */
	uint32_t fade_pos;		/* frames of the fade-out ramp written */
	uint64_t window_max_ns;		/* worst quantum in the current 1 s window */
	uint32_t window_quanta;		/* quanta in the current window */
	bool in_idle;			/* rendering by the clock: idle_f0 was at idle_t0 */
	uint64_t idle_f0, idle_t0;	/* frame, CLOCK_MONOTONIC ns */
	uint64_t quiet_from;		/* first frame of the current quiet run, or QUIET_NOT */

	/* published by the render thread (or, fade_len, by the control thread) */
	_Atomic uint32_t lead;		/* frames */
	_Atomic uint64_t quanta;
	_Atomic uint64_t applied;
	_Atomic uint64_t busy_ns;	/* sum of render time over all quanta */
	_Atomic uint64_t max_ns;	/* worst quantum */
	_Atomic uint64_t recent_max_ns;	/* worst quantum of the last completed window */
	_Atomic uint32_t fade_len;	/* frames; 0: no fade requested */
	_Atomic bool faded;
	_Atomic uint64_t beats;		/* loop iterations */
	_Atomic bool rt;
	_Atomic int priority;

	/* suspension: the control thread sets idle; the render thread publishes how long the
	 * output has been quiet and when something scheduled will sound next */
	_Atomic bool idle;
	_Atomic uint64_t quiet_since;	/* frame, or QUIET_NOT while something sounds */
	_Atomic uint64_t next_due;	/* frame: a scheduled start or held command; or NEVER */

	/* meters: nodes set by the control thread, levels published by the render thread */
	struct node *_Atomic meter_node[RENDER_METERS];
	_Atomic float meter_peak[RENDER_METERS];
	_Atomic float meter_rms[RENDER_METERS];
	struct node *meter_seen[RENDER_METERS];	/* render: the node the state below is of */
	float meter_ms[RENDER_METERS];		/* render: smoothed mean square */
	float meter_hold[RENDER_METERS];	/* render: falling peak */
	float meter_fall;			/* per quantum: exp(-quantum / 300 ms) */
};

#define QUIET_NOT UINT64_MAX
/* the ops of untimed commands committed in one quantum (render_budget) */
#define RENDER_APPLY_OPS 64

/* --- render thread ------------------------------------------------------------------------ */

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	/* a vDSO call: no syscall, no lock */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t render_clock(const struct render *r)
{
	return r->cfg.clock ? r->cfg.clock() : monotonic_ns();
}

/* only this thread writes these: a relaxed load and store, no read-modify-write */
static void counter_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

/* denormals in feedback paths (filters, delays decaying to silence) cost 100x per op */
static void render_flush_denormals(void)
{
#if defined(__SSE__)
	_mm_setcsr(_mm_getcsr() | 0x8040);	/* FTZ | DAZ */
#elif defined(__aarch64__)
	uint64_t fpcr;

	__asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
	__asm__ volatile("msr fpcr, %0" : : "r"(fpcr | (1u << 24)));	/* FZ */
#endif
}

/* below PipeWire's data thread (88 with client-rt.conf), above everything ordinary */
static void render_set_priority(struct render *r)
{
	struct sched_param sp = { .sched_priority = r->cfg.priority };

	if (r->cfg.priority <= 0 ||
	    pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) != 0)
		return;
	atomic_store(&r->rt, true);
	atomic_store(&r->priority, r->cfg.priority);
}

/* grow the lead a quantum after any underrun; shrink it a quantum after shrink_after
 * seconds of audio without one */
static void render_adapt(struct render *r, uint64_t frame)
{
	uint64_t u = atomic_load_explicit(&r->ring->underruns, memory_order_relaxed);
	uint32_t lead = atomic_load_explicit(&r->lead, memory_order_relaxed);
	uint64_t calm = (uint64_t)r->cfg.shrink_after * (uint64_t)r->rate;

	if (u != r->seen_underruns) {
		r->seen_underruns = u;
		r->calm_since = frame;
		if (lead + QUANTUM <= r->cfg.lead_max)
			lead += QUANTUM;
	} else if (lead > r->cfg.lead && frame - r->calm_since >= calm) {
		r->calm_since = frame;
		lead = lead - r->cfg.lead > QUANTUM ? lead - QUANTUM : r->cfg.lead;
	}
	atomic_store_explicit(&r->lead, lead, memory_order_relaxed);
}

static void render_commit(struct render *r, const struct render_cmd *c, uint64_t frame,
			  uint64_t start_ns)
{
	struct render_ret ret;

	engine_commit(r->engine, c->op);
	ret.op = c->op;
	ret.tag = c->tag;
	ret.frame = frame;
	ret.latency_ns = start_ns > c->submit_ns ? start_ns - c->submit_ns : 0;
	spsc_push(r->rets, &ret);
	counter_add(&r->applied, 1);
}

/* keeps a command for its `at`, after those due at the same time or earlier */
static void render_hold(struct render *r, const struct render_cmd *c)
{
	uint32_t i = r->n_held;

	while (i > 0 && r->held[i - 1].at > c->at)
		i--;
	memmove(&r->held[i + 1], &r->held[i], (r->n_held - i) * sizeof(*c));
	r->held[i] = *c;
	r->n_held++;
}

/* untimed commands are weighed by their ops, so that a quantum's commit work (and the first
 * render of what it adds) stays bounded when many come at once.  a command is all one
 * quantum's change (a batch is all or nothing): one heavier than the budget is committed
 * alone, first in its quantum.  the heaviest a client can send, a batch of 4096 commands,
 * is a few microseconds of pointer swaps; what its nodes cost to render is bounded by the
 * render-load quotas. */
static bool render_budget(uint32_t *ops, const struct render_cmd *c)
{
	uint32_t w = c->ops ? c->ops : 1;

	if (*ops > 0 && *ops + w > RENDER_APPLY_OPS)
		return false;
	*ops += w;
	return true;
}

static void render_defer(struct render *r, const struct render_cmd *c)
{
	r->defer[(r->defer_head + r->n_defer++) % r->held_cap] = *c;
}

/* commits the commands due in this quantum: the held ones due first, then the deferred
 * untimed ones (both submitted before anything still queued), then the queue in order.  a
 * command with a later `at` waits in `held` without holding back the ones behind it; an
 * untimed one over the budget waits in `defer`, while timed ones behind it still go. */
static void render_apply(struct render *r, uint64_t frame, uint64_t start_ns)
{
	struct render_cmd c;
	uint32_t done = 0, ops = 0;

	while (done < r->n_held && r->held[done].at <= frame && spsc_space(r->rets) > 0)
		render_commit(r, &r->held[done++], frame, start_ns);
	if (done) {
		r->n_held -= done;
		memmove(r->held, r->held + done, r->n_held * sizeof(*r->held));
	}
	while (r->n_defer > 0 && spsc_space(r->rets) > 0 &&
	       render_budget(&ops, &r->defer[r->defer_head])) {
		render_commit(r, &r->defer[r->defer_head], frame, start_ns);
		r->defer_head = (r->defer_head + 1) % r->held_cap;
		r->n_defer--;
	}
	while (spsc_space(r->rets) > 0 && r->n_held + r->n_defer < r->held_cap &&
	       spsc_pop(r->cmds, &c)) {
		if (c.at > frame)
			render_hold(r, &c);
		else if (c.at != RENDER_AT_NOW || (r->n_defer == 0 && render_budget(&ops, &c)))
			render_commit(r, &c, frame, start_ns);
		else
			render_defer(r, &c);
	}
}

/* linear ramp from 1 to 0 over fade_len frames, then silence: the next `frames` frames of
 * it applied in place to interleaved samples s (NULL: frames not written, only counted) */
static void render_fade_run(struct render *r, float *s, uint32_t frames, uint32_t len)
{
	for (uint32_t i = 0; i < frames; i++, r->fade_pos++) {
		float g = r->fade_pos < len ? 1.0f - (float)r->fade_pos / (float)len : 0.0f;

		for (uint32_t c = 0; s && c < r->channels; c++)
			*s++ *= g;
	}
}

/* one run of the quantum: reg->frames frames of b from frame `from`, interleaved straight
 * into ring space and faded there when a fade is under way */
static void render_output_run(struct render *r, const struct bus *b, uint32_t from,
			      const struct ring_region *reg, uint32_t fade)
{
	if (b->silent)
		memset(reg->data, 0, sizeof(float) * reg->frames * r->channels);
	else
		engine_interleave_frames(b, from, reg->frames, reg->data);
	if (fade > 0)
		render_fade_run(r, reg->data, reg->frames, fade);
}

/* writes the quantum into the ring in place: no copy through a scratch buffer.  the ring
 * has room for it (render_target leaves a quantum free); were it short, the frames that do
 * not fit are dropped, as a copying write would, and the fade still moves a whole quantum */
static void render_output(struct render *r, const struct bus *b, uint32_t fade)
{
	struct ring_region reg[2];
	uint32_t n = ring_write_regions(r->ring, QUANTUM, reg);

	render_output_run(r, b, 0, &reg[0], fade);
	render_output_run(r, b, reg[0].frames, &reg[1], fade);
	ring_write_done(r->ring, n);
	if (fade == 0)
		return;
	render_fade_run(r, NULL, QUANTUM - n, fade);
	if (r->fade_pos >= fade)
		atomic_store_explicit(&r->faded, true, memory_order_release);
}

static void render_measure(struct render *r, uint64_t ns)
{
	counter_add(&r->busy_ns, ns);
	counter_add(&r->quanta, 1);
	if (ns > atomic_load_explicit(&r->max_ns, memory_order_relaxed))
		atomic_store_explicit(&r->max_ns, ns, memory_order_relaxed);
	if (ns > r->window_max_ns)
		r->window_max_ns = ns;
	if (++r->window_quanta >= r->rate / QUANTUM) {
		atomic_store_explicit(&r->recent_max_ns, r->window_max_ns, memory_order_relaxed);
		r->window_max_ns = 0;
		r->window_quanta = 0;
	}
}

/* peak and mean square of a bus over this quantum, all channels */
static void render_bus_level(const struct bus *b, float *peak, float *ms)
{
	float p = 0.0f, sum = 0.0f;

	*peak = *ms = 0.0f;
	if (b->silent || b->channels == 0)
		return;
	for (uint32_t c = 0; c < b->channels; c++) {
		const float *x = b->data[c];

		for (uint32_t i = 0; i < QUANTUM; i++) {
			float a = x[i] < 0 ? -x[i] : x[i];

			p = a > p ? a : p;
			sum += x[i] * x[i];
		}
	}
	*peak = p;
	*ms = sum / (float)(QUANTUM * b->channels);
}

static void render_meters(struct render *r)
{
	float peak, ms, k = r->meter_fall;

	for (uint32_t i = 0; i < RENDER_METERS; i++) {
		struct node *n = atomic_load_explicit(&r->meter_node[i], memory_order_acquire);

		if (n != r->meter_seen[i]) {
			r->meter_seen[i] = n;
			r->meter_ms[i] = r->meter_hold[i] = 0.0f;
		}
		if (n == NULL || n->n_outputs == 0)
			continue;
		render_bus_level(&n->out[0], &peak, &ms);
		r->meter_hold[i] = peak > r->meter_hold[i] * k ? peak : r->meter_hold[i] * k;
		r->meter_ms[i] += (1.0f - k) * (ms - r->meter_ms[i]);
		atomic_store_explicit(&r->meter_peak[i], r->meter_hold[i], memory_order_relaxed);
		atomic_store_explicit(&r->meter_rms[i], sqrtf(r->meter_ms[i]), memory_order_relaxed);
	}
}

/* after the quantum at `frame`: publishes since when nothing has sounded and, while so,
 * the first frame something already scheduled will */
static void render_track_quiet(struct render *r, uint64_t frame)
{
	uint64_t due, held;

	if (engine_sounding(r->engine)) {
		r->quiet_from = QUIET_NOT;
		atomic_store_explicit(&r->quiet_since, QUIET_NOT, memory_order_relaxed);
		return;
	}
	if (r->quiet_from == QUIET_NOT)
		r->quiet_from = frame;
	due = engine_next_start(r->engine);
	held = r->n_defer ? frame : r->n_held ? r->held[0].at : RENDER_NEVER;
	atomic_store_explicit(&r->next_due, held < due ? held : due, memory_order_relaxed);
	atomic_store_explicit(&r->quiet_since, r->quiet_from, memory_order_relaxed);
}

static void render_quantum(struct render *r)
{
	uint64_t start = monotonic_ns();
	uint64_t frame = engine_frame(r->engine);
	uint32_t fade = atomic_load_explicit(&r->fade_len, memory_order_relaxed);
	const struct bus *b;

	render_apply(r, frame, start);
	b = engine_render(r->engine);
	render_meters(r);
	render_output(r, b, fade);
	render_track_quiet(r, frame);
	render_measure(r, monotonic_ns() - start);
}

/* frames to keep in the ring: what the device takes per cycle plus the lead, leaving room
 * for one more quantum */
static uint32_t render_target(const struct render *r)
{
	uint32_t q = atomic_load_explicit(&r->ring->request, memory_order_relaxed);
	uint32_t t, cap = r->ring->frames - QUANTUM;

	if (q == 0)
		q = r->cfg.quantum_guess;
	t = q + atomic_load_explicit(&r->lead, memory_order_relaxed);
	return t < cap ? t : cap;
}

/* one quantum nobody hears (suspended): commands and time advance as when playing */
static void render_quantum_unheard(struct render *r)
{
	uint64_t frame = engine_frame(r->engine);

	render_apply(r, frame, monotonic_ns());
	engine_render(r->engine);
	render_meters(r);
	render_track_quiet(r, frame);
}

/* suspended: the stream is inactive and nothing sounds.  context time keeps moving with the
 * clock: render the quanta that are due by it, as long as each is sure to be silent (the
 * last one was quiet, no command waits, nothing scheduled starts in it).  when one might
 * not be, stop: the control thread resumes the stream before then, and time waits for it
 * rather than lose a sound. */
static void render_idle(struct render *r)
{
	uint64_t now = render_clock(r), frame = engine_frame(r->engine), target;

	if (!r->in_idle) {
		r->in_idle = true;
		r->idle_f0 = frame;
		r->idle_t0 = now;
	}
	target = r->idle_f0 + (uint64_t)((double)(now - r->idle_t0) * r->rate / 1e9);
	while (frame + QUANTUM <= target && !atomic_load_explicit(&r->stop, memory_order_relaxed) &&
	       !engine_sounding(r->engine) && spsc_count(r->cmds) == 0 &&
	       frame + QUANTUM <= atomic_load_explicit(&r->next_due, memory_order_relaxed)) {
		render_quantum_unheard(r);
		frame += QUANTUM;
	}
}

static void render_fill(struct render *r)
{
	uint32_t target;

	/* a device cycle still under way when we were suspended is served as usual */
	if (atomic_load_explicit(&r->idle, memory_order_acquire) &&
	    ring_fill(r->ring) >= render_target(r)) {
		render_idle(r);
		return;
	}
	r->in_idle = false;

	render_adapt(r, engine_frame(r->engine));
	target = render_target(r);
	while (ring_fill(r->ring) < target && !atomic_load_explicit(&r->stop, memory_order_relaxed))
		render_quantum(r);
}

static void render_wait(struct render *r)
{
	uint64_t v;
	ssize_t n = read(r->wakefd, &v, sizeof(v));

	(void)n;	/* EINTR or a spurious wake: the caller just refills and waits again */
}

static void *render_main(void *data)
{
	struct render *r = data;

	render_set_priority(r);
	render_flush_denormals();
	rtcheck_enter();
	render_fill(r);
	sem_post(&r->ready);
	while (!atomic_load(&r->stop)) {
		render_wait(r);
		render_fill(r);
		/* proof of life for the watchdog: the control thread wakes us now and then */
		atomic_fetch_add_explicit(&r->beats, 1, memory_order_relaxed);
	}
	rtcheck_leave();
	return NULL;
}

/* --- any thread ---------------------------------------------------------------------------- */

void render_wake(void *data)
{
	struct render *r = data;
	uint64_t one = 1;
	/* an eventfd write only blocks when the counter would pass 2^64 - 2 */
	ssize_t n = write(r->wakefd, &one, sizeof(one));

	(void)n;
}

/* --- control thread ------------------------------------------------------------------------ */

struct render *render_new(const struct render_config *cfg, struct engine *engine,
			  struct ring *ring, struct spsc *cmds, struct spsc *rets)
{
	struct render *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->cfg = *cfg;
	if (r->cfg.lead_max < r->cfg.lead)
		r->cfg.lead_max = r->cfg.lead;
	r->engine = engine;
	r->ring = ring;
	r->cmds = cmds;
	r->rets = rets;
	r->rate = engine_sample_rate(engine);
	r->channels = ring->channels;
	r->quiet_from = QUIET_NOT;
	atomic_init(&r->quiet_since, QUIET_NOT);
	atomic_init(&r->next_due, RENDER_NEVER);
	atomic_init(&r->lead, r->cfg.lead);
	r->meter_fall = expf(-(float)QUANTUM / (float)(r->rate * 0.3));
	r->wakefd = eventfd(0, EFD_CLOEXEC);
	r->held_cap = spsc_capacity(cmds);
	r->held = calloc(r->held_cap, sizeof(*r->held));
	r->defer = calloc(r->held_cap, sizeof(*r->defer));
	if (r->wakefd < 0 || r->held == NULL || r->defer == NULL ||
	    sem_init(&r->ready, 0, 0) < 0) {
		if (r->wakefd >= 0)
			close(r->wakefd);
		free(r->held);
		free(r->defer);
		free(r);
		return NULL;
	}
	return r;
}

uint64_t render_beats(const struct render *r)
{
	return atomic_load_explicit(&((struct render *)r)->beats, memory_order_relaxed);
}

void render_free(struct render *r)
{
	if (r == NULL)
		return;
	render_stop(r);
	/* held for a later `at` and never committed: the engine goes with us */
	while (r->n_held)
		engine_op_free(r->engine, r->held[--r->n_held].op);
	for (; r->n_defer; r->n_defer--, r->defer_head = (r->defer_head + 1) % r->held_cap)
		engine_op_free(r->engine, r->defer[r->defer_head].op);
	sem_destroy(&r->ready);
	close(r->wakefd);
	free(r->held);
	free(r->defer);
	free(r);
}

int render_start(struct render *r)
{
	int res;

	if (r->running)
		return 0;
	atomic_store(&r->stop, false);
	r->seen_underruns = atomic_load(&r->ring->underruns);
	r->calm_since = engine_frame(r->engine);
	res = pthread_create(&r->thread, NULL, render_main, r);
	if (res != 0)
		return -res;
	pthread_setname_np(r->thread, "audiod-render");
	r->running = true;
	while (sem_wait(&r->ready) < 0 && errno == EINTR)
		;
	return 0;
}

void render_stop(struct render *r)
{
	if (!r->running)
		return;
	atomic_store(&r->stop, true);
	render_wake(r);
	pthread_join(r->thread, NULL);
	r->running = false;
}

void render_fade(struct render *r, uint32_t frames)
{
	atomic_store(&r->fade_len, frames > 0 ? frames : 1);
}

bool render_faded(const struct render *r)
{
	return atomic_load_explicit(&r->faded, memory_order_acquire);
}

void render_get_stats(const struct render *r, struct render_stats *st)
{
	double quantum_ns = QUANTUM * 1e9 / r->rate;

	st->quanta = atomic_load_explicit(&r->quanta, memory_order_relaxed);
	st->applied = atomic_load_explicit(&r->applied, memory_order_relaxed);
	st->underruns = atomic_load_explicit(&r->ring->underruns, memory_order_relaxed);
	st->underrun_frames = atomic_load_explicit(&r->ring->underrun_frames, memory_order_relaxed);
	st->lead = atomic_load_explicit(&r->lead, memory_order_relaxed);
	st->fill = ring_fill(r->ring);
	st->load_avg = st->quanta ?
		(double)atomic_load_explicit(&r->busy_ns, memory_order_relaxed) /
		((double)st->quanta * quantum_ns) : 0.0;
	st->load_max = (double)atomic_load_explicit(&r->max_ns, memory_order_relaxed) / quantum_ns;
	st->load_recent_max =
		(double)atomic_load_explicit(&r->recent_max_ns, memory_order_relaxed) / quantum_ns;
	st->rt = atomic_load(&r->rt);
	st->priority = atomic_load(&r->priority);
}

void render_meter_set(struct render *r, uint32_t slot, struct node *n)
{
	if (slot < RENDER_METERS)
		atomic_store_explicit(&r->meter_node[slot], n, memory_order_release);
}

void render_meter_get(const struct render *r, uint32_t slot, float *peak, float *rms)
{
	*peak = *rms = 0.0f;
	if (slot >= RENDER_METERS)
		return;
	*peak = atomic_load_explicit(&r->meter_peak[slot], memory_order_relaxed);
	*rms = atomic_load_explicit(&r->meter_rms[slot], memory_order_relaxed);
}

void render_set_idle(struct render *r, bool idle)
{
	atomic_store_explicit(&r->idle, idle, memory_order_release);
	render_wake(r);
}

void render_get_quiet(const struct render *r, uint64_t *quiet_since, uint64_t *next_due)
{
	struct render *w = (struct render *)r;

	*quiet_since = atomic_load_explicit(&w->quiet_since, memory_order_relaxed);
	*next_due = atomic_load_explicit(&w->next_due, memory_order_relaxed);
}

void render_step(struct render *r)
{
	assert(!r->running);
	render_fill(r);
}
