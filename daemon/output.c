/* output: the PipeWire playback stream that plays the audio ring.
 * public functions: control thread.  on_process: PipeWire's real-time data thread; no
 * allocation, lock, log or blocking call there.  other callbacks and the retry timer: the
 * output's pw_thread_loop thread.  the control thread takes the loop lock to touch
 * PipeWire objects. */
#include "output.h"

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <pipewire/pipewire.h>
#include <spa/param/audio/format-utils.h>
#include <spa/utils/result.h>

#include "log.h"
#include "ring.h"
#include "rtcheck.h"

#define RETRY_NS (500 * SPA_NSEC_PER_MSEC)	/* between connection attempts */

struct output {
	struct output_config cfg;	/* strings point into names[] */
	char names[2][256];
	struct ring *ring;
	output_wake_fn wake;
	void *wake_data;

	struct pw_thread_loop *tloop;
	struct pw_loop *loop;
	struct pw_context *context;
	struct pw_core *core;
	struct spa_hook core_listener;
	struct pw_stream *stream;
	struct spa_hook stream_listener;
	struct spa_source *retry;	/* timer that rebuilds the connection */
	bool started;
	bool stopping;			/* loop thread: stream going away on purpose */
	bool inactive;			/* suspended: streams are made (and kept) inactive;
					 * under the loop lock */

	/* data thread only; reset (loop thread) before each stream connects */
	uint64_t last_ticks;		/* pw_time ticks of the last cycle */
	uint32_t last_frames;		/* frames the last cycle played */
	bool have_ticks;
	bool sched_checked;

	/* written by the data or loop thread, read by get_stats */
	_Atomic uint64_t cycles;
	_Atomic uint64_t xruns;
	_Atomic uint64_t reconnects;
	_Atomic uint32_t quantum;
	_Atomic uint32_t delay;
	_Atomic bool streaming;
	_Atomic bool rt;
};

/* --- data thread ------------------------------------------------------------------------ */

/* the only writer of these counters is the data thread: a load and a store suffice */
static void counter_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

/* xruns: pw_time.ticks is the graph clock at this cycle (in time.rate units).  it advances by
 * one quantum per cycle; when the graph loses cycles it jumps by more.  a jump of more than
 * 1.5 times what the previous cycle played counts the missing cycles. */
static void output_track_time(struct output *o, uint32_t frames)
{
	struct pw_time t;
	uint64_t expect, delta;

	if (pw_stream_get_time_n(o->stream, &t, sizeof(t)) < 0 || t.rate.denom == 0)
		return;
	if (o->have_ticks && o->last_frames > 0) {
		expect = (uint64_t)o->last_frames * t.rate.denom /
			 ((uint64_t)t.rate.num * o->cfg.rate);
		delta = t.ticks - o->last_ticks;
		if (expect > 0 && delta > expect + expect / 2)
			counter_add(&o->xruns, (delta + expect / 2) / expect - 1);
	}
	o->last_ticks = t.ticks;
	o->last_frames = frames;
	o->have_ticks = true;
	if (t.delay >= 0)
		atomic_store_explicit(&o->delay, (uint32_t)((uint64_t)t.delay * t.rate.num *
				      o->cfg.rate / t.rate.denom), memory_order_relaxed);
}

static void output_check_sched(struct output *o)
{
	int policy = sched_getscheduler(0) & ~SCHED_RESET_ON_FORK;

	atomic_store_explicit(&o->rt, policy == SCHED_FIFO || policy == SCHED_RR,
			      memory_order_relaxed);
	o->sched_checked = true;
}

static void on_process(void *data)
{
	struct output *o = data;
	uint32_t stride = o->cfg.channels * sizeof(float), n;
	struct pw_buffer *b;
	struct spa_data *d;

	rtcheck_enter();
	if (!o->sched_checked)
		output_check_sched(o);
	b = pw_stream_dequeue_buffer(o->stream);
	if (b == NULL)
		goto out;
	d = &b->buffer->datas[0];
	if (d->data == NULL) {
		pw_stream_queue_buffer(o->stream, b);
		goto out;
	}
	n = d->maxsize / stride;
	if (b->requested > 0 && b->requested < n)
		n = (uint32_t)b->requested;
	ring_read_pad(o->ring, d->data, n);
	d->chunk->offset = 0;
	d->chunk->stride = stride;
	d->chunk->size = n * stride;
	pw_stream_queue_buffer(o->stream, b);

	counter_add(&o->cycles, 1);
	atomic_store_explicit(&o->quantum, n, memory_order_relaxed);
	output_track_time(o, n);
	o->wake(o->wake_data);
out:
	rtcheck_leave();
}

/* --- loop thread ------------------------------------------------------------------------- */

static void output_retry_in(struct output *o, uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / SPA_NSEC_PER_SEC), (long)(ns % SPA_NSEC_PER_SEC) };

	pw_loop_update_timer(o->loop, o->retry, &ts, NULL, false);
}

static void on_state_changed(void *data, enum pw_stream_state old, enum pw_stream_state state,
			     const char *error)
{
	struct output *o = data;

	atomic_store(&o->streaming, state == PW_STREAM_STATE_STREAMING);
	log_debug("stream %s -> %s", pw_stream_state_as_string(old),
		  pw_stream_state_as_string(state));
	if (state == PW_STREAM_STATE_STREAMING)
		log_info("playing: %u Hz, %u channels, node %s", o->cfg.rate, o->cfg.channels,
			 o->cfg.node_name);
	if (o->stopping)
		return;
	if (state == PW_STREAM_STATE_ERROR || state == PW_STREAM_STATE_UNCONNECTED) {
		log_warn("stream %s%s%s; reconnecting", pw_stream_state_as_string(state),
			 error ? ": " : "", error ? error : "");
		/* never tear down inside the callback: the stream is still using itself */
		output_retry_in(o, SPA_NSEC_PER_MSEC);
	}
}

static const struct pw_stream_events stream_events = {
	PW_VERSION_STREAM_EVENTS,
	.state_changed = on_state_changed,
	.process = on_process,
};

static void on_core_error(void *data, uint32_t id, int seq, int res, const char *message)
{
	struct output *o = data;

	if (id != PW_ID_CORE)
		return;
	log_warn("pipewire: %s (%s)", message ? message : "error", spa_strerror(res));
	/* the server went away (EPIPE), or reset us while it was going (ECONNRESET) */
	if ((res == -EPIPE || res == -ECONNRESET) && !o->stopping)
		output_retry_in(o, SPA_NSEC_PER_MSEC);
}

static const struct pw_core_events core_events = {
	PW_VERSION_CORE_EVENTS,
	.error = on_core_error,
};

static void output_set_position(const struct output *o, struct spa_audio_info_raw *info)
{
	static const uint32_t stereo[] = { SPA_AUDIO_CHANNEL_FL, SPA_AUDIO_CHANNEL_FR };
	/* Web Audio's speaker layouts: quad L R SL SR, 5.1 L R C LFE SL SR */
	static const uint32_t quad[] = { SPA_AUDIO_CHANNEL_FL, SPA_AUDIO_CHANNEL_FR,
					 SPA_AUDIO_CHANNEL_RL, SPA_AUDIO_CHANNEL_RR };
	static const uint32_t surround[] = { SPA_AUDIO_CHANNEL_FL, SPA_AUDIO_CHANNEL_FR,
					     SPA_AUDIO_CHANNEL_FC, SPA_AUDIO_CHANNEL_LFE,
					     SPA_AUDIO_CHANNEL_SL, SPA_AUDIO_CHANNEL_SR };
	const uint32_t *pos = NULL;

	switch (o->cfg.channels) {
	case 1: info->position[0] = SPA_AUDIO_CHANNEL_MONO; return;
	case 2: pos = stereo; break;
	case 4: pos = quad; break;
	case 6: pos = surround; break;
	default: info->flags |= SPA_AUDIO_FLAG_UNPOSITIONED; return;
	}
	memcpy(info->position, pos, o->cfg.channels * sizeof(uint32_t));
}

static struct pw_properties *output_props(const struct output *o)
{
	struct pw_properties *p = pw_properties_new(
		PW_KEY_MEDIA_TYPE, "Audio",
		PW_KEY_MEDIA_CATEGORY, "Playback",
		PW_KEY_MEDIA_CLASS, "Stream/Output/Audio",
		PW_KEY_NODE_NAME, o->cfg.node_name,
		PW_KEY_APP_NAME, "audiod",
		NULL);

	if (p == NULL)
		return NULL;
	if (o->cfg.latency > 0)
		pw_properties_setf(p, PW_KEY_NODE_LATENCY, "%u/%u", o->cfg.latency, o->cfg.rate);
	if (o->cfg.auto_port_config)
		pw_properties_set(p, "adapter.auto-port-config",
				  "{ mode = dsp monitor = false position = preserve }");
	if (o->cfg.target != NULL)
		pw_properties_set(p, PW_KEY_TARGET_OBJECT, o->cfg.target);
	return p;
}

static int output_stream_new(struct output *o)
{
	uint8_t buf[1024];
	struct spa_pod_builder pb = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
	struct spa_audio_info_raw info = {
		.format = SPA_AUDIO_FORMAT_F32,
		.rate = o->cfg.rate,
		.channels = o->cfg.channels,
	};
	const struct spa_pod *params[1];
	struct pw_properties *props = output_props(o);

	if (props == NULL)
		return -errno;
	o->stream = pw_stream_new(o->core, o->cfg.node_name, props);
	if (o->stream == NULL)
		return -errno;
	o->have_ticks = false;
	o->sched_checked = false;
	pw_stream_add_listener(o->stream, &o->stream_listener, &stream_events, o);
	output_set_position(o, &info);
	params[0] = spa_format_audio_raw_build(&pb, SPA_PARAM_EnumFormat, &info);
	return pw_stream_connect(o->stream, PW_DIRECTION_OUTPUT, PW_ID_ANY,
				 PW_STREAM_FLAG_AUTOCONNECT | PW_STREAM_FLAG_MAP_BUFFERS |
				 PW_STREAM_FLAG_RT_PROCESS |
				 (o->inactive ? PW_STREAM_FLAG_INACTIVE : 0), params, 1);
}

static void output_teardown(struct output *o)
{
	if (o->stream != NULL) {
		pw_stream_destroy(o->stream);
		o->stream = NULL;
	}
	if (o->core != NULL) {
		spa_hook_remove(&o->core_listener);
		pw_core_disconnect(o->core);
		o->core = NULL;
	}
	atomic_store(&o->streaming, false);
}

/* one attempt: connect the core and build the stream; false means try again later */
static bool output_connect(struct output *o)
{
	int res;

	o->core = pw_context_connect(o->context, NULL, 0);
	if (o->core == NULL)
		return false;
	pw_core_add_listener(o->core, &o->core_listener, &core_events, o);
	res = output_stream_new(o);
	if (res < 0) {
		log_warn("cannot create the stream: %s", spa_strerror(res));
		output_teardown(o);
		return false;
	}
	return true;
}

static void on_retry(void *data, uint64_t expirations)
{
	struct output *o = data;
	bool was_up = o->core != NULL;

	if (o->stopping)
		return;
	output_teardown(o);
	if (!output_connect(o)) {
		if (was_up)
			log_warn("pipewire is gone; retrying every 0.5 s");
		output_retry_in(o, RETRY_NS);
		return;
	}
	atomic_fetch_add(&o->reconnects, 1);
	log_info("reconnected to pipewire");
}

/* --- control thread ---------------------------------------------------------------------- */

static const char *output_keep(char *dst, const char *src)
{
	if (src == NULL)
		return NULL;
	snprintf(dst, 256, "%s", src);
	return dst;
}

struct output *output_new(const struct output_config *cfg, struct ring *ring,
			  output_wake_fn wake, void *wake_data)
{
	struct output *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->cfg = *cfg;
	o->cfg.node_name = output_keep(o->names[0], cfg->node_name ? cfg->node_name : "audiod");
	o->cfg.target = output_keep(o->names[1], cfg->target);
	o->ring = ring;
	o->wake = wake;
	o->wake_data = wake_data;
	o->tloop = pw_thread_loop_new("audiod-pw", NULL);
	if (o->tloop == NULL)
		goto error;
	o->loop = pw_thread_loop_get_loop(o->tloop);
	/* client-rt.conf makes PipeWire's data thread (our process callback) SCHED_FIFO */
	o->context = pw_context_new(o->loop, pw_properties_new(PW_KEY_CONFIG_NAME,
							      "client-rt.conf", NULL), 0);
	if (o->context == NULL)
		goto error;
	o->retry = pw_loop_add_timer(o->loop, on_retry, o);
	if (o->retry == NULL)
		goto error;
	return o;
error:
	output_free(o);
	return NULL;
}

void output_free(struct output *o)
{
	if (o == NULL)
		return;
	output_stop(o);
	if (o->retry != NULL)
		pw_loop_destroy_source(o->loop, o->retry);
	if (o->context != NULL)
		pw_context_destroy(o->context);
	if (o->tloop != NULL)
		pw_thread_loop_destroy(o->tloop);
	free(o);
}

int output_start(struct output *o)
{
	int res;

	if (o->started)
		return 0;
	res = pw_thread_loop_start(o->tloop);
	if (res < 0)
		return res;
	o->started = true;
	pw_thread_loop_lock(o->tloop);
	o->stopping = false;
	if (!output_connect(o)) {
		log_warn("cannot connect to pipewire (%s); retrying every 0.5 s", strerror(errno));
		output_retry_in(o, RETRY_NS);
	}
	pw_thread_loop_unlock(o->tloop);
	return 0;
}

void output_stop(struct output *o)
{
	if (!o->started)
		return;
	pw_thread_loop_lock(o->tloop);
	o->stopping = true;
	output_retry_in(o, 0);
	output_teardown(o);
	pw_thread_loop_unlock(o->tloop);
	pw_thread_loop_stop(o->tloop);
	o->started = false;
}

void output_set_active(struct output *o, bool active)
{
	pw_thread_loop_lock(o->tloop);
	o->inactive = !active;
	if (o->stream != NULL)
		pw_stream_set_active(o->stream, active);
	pw_thread_loop_unlock(o->tloop);
}

void output_get_stats(const struct output *o, struct output_stats *st)
{
	st->cycles = atomic_load_explicit(&o->cycles, memory_order_relaxed);
	st->xruns = atomic_load_explicit(&o->xruns, memory_order_relaxed);
	st->reconnects = atomic_load_explicit(&o->reconnects, memory_order_relaxed);
	st->quantum = atomic_load_explicit(&o->quantum, memory_order_relaxed);
	st->delay = atomic_load_explicit(&o->delay, memory_order_relaxed);
	st->streaming = atomic_load_explicit(&o->streaming, memory_order_relaxed);
	st->rt = atomic_load_explicit(&o->rt, memory_order_relaxed);
}
