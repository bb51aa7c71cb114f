/* core: owns the engine, the command and return queues, the audio ring, the render thread
 * and the PipeWire output, and is the control thread's only way to reach them.
 * control thread only. */
#include "core.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "log.h"
#include "ring.h"
#include "spsc.h"

#define RING_FRAMES 16384	/* > max quantum (8192) + lead_max, a power of two */

struct core {
	struct core_config cfg;
	struct engine *engine;
	struct ring ring;
	struct spsc cmds;		/* struct render_cmd */
	struct spsc rets;		/* struct render_ret */
	uint32_t inflight;		/* submitted, not drained: queued or held for `at` */
	uint64_t beats_seen;		/* render_beats at the last core_alive */
	struct render *render;
	struct output *output;
	bool started;
	bool suspended;			/* stream inactive, renderer following the clock */
	uint64_t suspensions;
	uint64_t busy_frame;		/* engine frame at the latest command or resume: the
					 * quiet that counts starts after it */

	uint64_t last_frame;		/* applied frame of the newest drained command */
	uint64_t lat_last_ns;
	uint64_t lat_max_ns;
	uint64_t lat_sum_ns;
	uint64_t lat_count;
};

void core_config_defaults(struct core_config *cfg)
{
	*cfg = (struct core_config){
		.rate = 48000,
		.channels = 2,
		.latency = 256,
		.lead = 256,
		.lead_max = 2048,
		.shrink_after = 10,
		.queue = 1024,
		.priority = 70,
		.idle_suspend_ms = 3000,
	};
}

static uint64_t core_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int core_check(const struct core_config *cfg, struct error *err)
{
	if (cfg->rate < 8000 || cfg->rate > 192000)
		return err_set(err, ERR_INVALID_VALUE, "rate %u outside 8000..192000", cfg->rate);
	if (cfg->channels < 1 || cfg->channels > MAX_CHANNELS)
		return err_set(err, ERR_INVALID_VALUE, "channels %u outside 1..%u", cfg->channels,
			       MAX_CHANNELS);
	if (cfg->latency > 8192 || cfg->lead_max > RING_FRAMES - 8192 - 2 * QUANTUM)
		return err_set(err, ERR_INVALID_VALUE, "latency or lead too large");
	if (cfg->queue < 2 || (cfg->queue & (cfg->queue - 1)) != 0)
		return err_set(err, ERR_INVALID_VALUE, "queue size %u is not a power of two",
			       cfg->queue);
	return 0;
}

static struct render *core_render_new(struct core *c)
{
	struct render_config rc = {
		.lead = c->cfg.lead,
		.lead_max = c->cfg.lead_max,
		.shrink_after = c->cfg.shrink_after,
		.quantum_guess = c->cfg.latency ? c->cfg.latency : 1024,
		.priority = c->cfg.priority,
	};

	return render_new(&rc, c->engine, &c->ring, &c->cmds, &c->rets);
}

static struct output *core_output_new(struct core *c)
{
	struct output_config oc = {
		.rate = c->cfg.rate,
		.channels = c->cfg.channels,
		.latency = c->cfg.latency,
		.auto_port_config = c->cfg.auto_port_config,
		.node_name = c->cfg.node_name,
		.target = c->cfg.target,
	};

	return output_new(&oc, &c->ring, render_wake, c->render);
}

struct core *core_new(const struct core_config *cfg, struct error *err)
{
	struct core *c;

	if (core_check(cfg, err) < 0)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		err_set(err, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	c->cfg = *cfg;
	c->engine = engine_new(cfg->rate, cfg->channels, err);
	if (c->engine == NULL)
		goto error_engine;
	err_set(err, ERR_INTERNAL, "out of memory");
	if (ring_init(&c->ring, RING_FRAMES, cfg->channels) < 0)
		goto error_ring;
	if (spsc_init(&c->cmds, cfg->queue, sizeof(struct render_cmd)) < 0)
		goto error_cmds;
	/* as large as the command queue, so a full return queue never holds commands back
	 * unless the control thread stops draining */
	if (spsc_init(&c->rets, cfg->queue, sizeof(struct render_ret)) < 0)
		goto error_rets;
	c->render = core_render_new(c);
	if (c->render == NULL)
		goto error_render;
	c->output = core_output_new(c);
	if (c->output == NULL) {
		err_set(err, ERR_INTERNAL, "cannot create the PipeWire context");
		goto error_output;
	}
	err->code = ERR_OK;
	err->msg[0] = '\0';
	return c;

error_output:
	render_free(c->render);
error_render:
	spsc_fini(&c->rets);
error_rets:
	spsc_fini(&c->cmds);
error_cmds:
	ring_fini(&c->ring);
error_ring:
	engine_free(c->engine);
error_engine:
	free(c);
	return NULL;
}

void core_free(struct core *c)
{
	struct render_cmd cmd;

	if (c == NULL)
		return;
	core_stop(c, 0);
	core_drain(c, NULL, NULL);
	/* never committed: the model is ahead of a renderer that no longer exists, which
	 * only matters to an engine we are about to free */
	while (spsc_pop(&c->cmds, &cmd))
		engine_op_free(c->engine, cmd.op);
	output_free(c->output);
	render_free(c->render);
	spsc_fini(&c->rets);
	spsc_fini(&c->cmds);
	ring_fini(&c->ring);
	engine_free(c->engine);
	free(c);
}

int core_start(struct core *c)
{
	int res;

	if (c->started)
		return 0;
	res = render_start(c->render);
	if (res < 0)
		return res;
	res = output_start(c->output);
	if (res < 0) {
		render_stop(c->render);
		return res;
	}
	c->started = true;
	return 0;
}

static void core_sleep_until(uint64_t deadline)
{
	struct timespec tick = { 0, 5 * 1000000 };

	while (core_now_ns() < deadline)
		nanosleep(&tick, NULL);
}

/* waits (control thread, at shutdown only) until the ramp is in the ring, then for the
 * device to play what was queued ahead of and including it */
static void core_wait_fade(struct core *c, uint32_t fade_ms)
{
	struct output_stats os;
	uint64_t deadline = core_now_ns() + (uint64_t)(fade_ms + 500) * 1000000u;
	struct timespec tick = { 0, 5 * 1000000 };

	output_get_stats(c->output, &os);
	if (!os.streaming)
		return;	/* nothing is consuming: the ramp would never be rendered */
	while (!render_faded(c->render) && core_now_ns() < deadline)
		nanosleep(&tick, NULL);
	output_get_stats(c->output, &os);
	if (os.streaming)
		core_sleep_until(core_now_ns() + (uint64_t)(ring_fill(&c->ring) + os.quantum) *
				 1000000000u / c->cfg.rate);
}

void core_stop(struct core *c, uint32_t fade_ms)
{
	if (!c->started)
		return;
	if (fade_ms > 0) {
		render_fade(c->render, (uint32_t)((uint64_t)fade_ms * c->cfg.rate / 1000));
		core_wait_fade(c, fade_ms);
	}
	output_stop(c->output);
	render_stop(c->render);
	c->started = false;
}

struct engine *core_engine(struct core *c)
{
	return c->engine;
}

/* commands held by the renderer for a later `at` count: it holds at most a queue's worth */
uint32_t core_space(const struct core *c)
{
	uint32_t space = c->cfg.queue - c->inflight, q = spsc_space(&c->cmds);

	return q < space ? q : space;
}

/* the device is needed again: the stream first, so it is running by the time the
 * renderer, woken by the command or the tick, has something audible to give it */
static void core_resume(struct core *c)
{
	c->busy_frame = engine_frame(c->engine);
	if (!c->suspended)
		return;
	c->suspended = false;
	output_set_active(c->output, true);
	render_set_idle(c->render, false);
	log_info("resumed: the stream is active again");
}

static void core_suspend(struct core *c)
{
	c->suspended = true;
	c->suspensions++;
	render_set_idle(c->render, true);
	output_set_active(c->output, false);
	log_info("suspended: nothing has sounded for %u ms and nothing is due; the stream is "
		 "inactive until something is", c->cfg.idle_suspend_ms);
}

void core_tick(struct core *c)
{
	uint64_t quiet, due, frame = engine_frame(c->engine);
	uint64_t wake = (uint64_t)c->cfg.rate * CORE_WAKE_AHEAD_MS / 1000;
	bool soon, busy = spsc_count(&c->cmds) > 0;

	if (!c->started || c->cfg.idle_suspend_ms == 0)
		return;
	render_get_quiet(c->render, &quiet, &due);
	soon = due != RENDER_NEVER && due < frame + wake;
	if (c->suspended) {
		if (quiet == RENDER_NEVER || soon || busy)
			core_resume(c);
		else
			render_wake(c->render);	/* keep context time with the clock */
		return;
	}
	if (quiet == RENDER_NEVER || soon || busy)
		return;
	quiet = quiet > c->busy_frame ? quiet : c->busy_frame;
	if (frame > quiet && frame - quiet >= (uint64_t)c->cfg.rate * c->cfg.idle_suspend_ms / 1000)
		core_suspend(c);
}

bool core_suspended(const struct core *c)
{
	return c->suspended;
}

int core_submit(struct core *c, struct engine_op *op, uint64_t at, uint64_t tag)
{
	struct render_cmd cmd = {
		.op = op,
		.at = at,
		.tag = tag,
		.submit_ns = core_now_ns(),
		.ops = (uint32_t)engine_op_count(op),
	};

	if (core_space(c) == 0 || !spsc_push(&c->cmds, &cmd))
		return -EBUSY;
	c->inflight++;
	core_resume(c);
	return 0;
}

uint32_t core_drain(struct core *c, core_applied_fn fn, void *data)
{
	struct render_ret ret;
	uint32_t n = 0;

	while (spsc_pop(&c->rets, &ret)) {
		c->inflight--;
		engine_op_free(c->engine, ret.op);
		c->last_frame = ret.frame;
		c->lat_last_ns = ret.latency_ns;
		if (ret.latency_ns > c->lat_max_ns)
			c->lat_max_ns = ret.latency_ns;
		c->lat_sum_ns += ret.latency_ns;
		c->lat_count++;
		if (fn != NULL)
			fn(data, ret.tag, ret.frame, ret.latency_ns);
		n++;
	}
	return n;
}

void core_get_stats(struct core *c, struct core_stats *st)
{
	output_get_stats(c->output, &st->output);
	render_get_stats(c->render, &st->render);
	st->queued = c->inflight;	/* waiting in the queue or held for their `at` */
	st->suspended = c->suspended;
	st->suspensions = c->suspensions;
	st->frame = engine_frame(c->engine);
	st->last_applied_frame = c->last_frame;
	st->latency_last_ns = c->lat_last_ns;
	st->latency_max_ns = c->lat_max_ns;
	st->latency_avg_ns = c->lat_count ? (double)c->lat_sum_ns / (double)c->lat_count : 0.0;
	st->base_latency = (double)((st->output.quantum ? st->output.quantum : c->cfg.latency) +
				    st->render.lead) / c->cfg.rate;
	st->output_latency = (double)st->output.delay / c->cfg.rate;
}

void core_meter_set(struct core *c, uint32_t slot, struct node *n)
{
	render_meter_set(c->render, slot, n);
}

void core_meter_get(struct core *c, uint32_t slot, float *peak, float *rms)
{
	render_meter_get(c->render, slot, peak, rms);
}

uint32_t core_queue_capacity(const struct core *c)
{
	return c->cfg.queue;
}

bool core_alive(struct core *c)
{
	uint64_t b = render_beats(c->render);
	bool alive = b != c->beats_seen;

	c->beats_seen = b;
	return alive;
}

void core_poke(struct core *c)
{
	render_wake(c->render);
}
