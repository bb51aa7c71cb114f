/* media: the media host over PipeWire.  a MediaStreamAudioSourceNode's stream captures
 * (PW_DIRECTION_INPUT) into a ring the render thread reads a quantum at a time; a
 * MediaStreamAudioDestinationNode's stream (a source, media.class Audio/Source, or an app's
 * own playback stream) plays out of a ring the render thread writes a quantum at a time.
 * the host has its own pw_thread_loop and context, apart from the main output's.
 * every stream asks for the request's channel count (a capture stream too: PipeWire's
 * adapter converts and mixes whatever the target has), so open never waits for PipeWire: the
 * session manager links the stream in the background, and until frames come a capture node
 * is silent.
 * when PipeWire goes away the host reconnects as the main output does (a retry timer every
 * 0.5 s) and makes every stream it has again from its request, keeping its ring and
 * counters; a stream opened while PipeWire is away is made once it is back.
 * threads: media_host_*, media_open*, a stream's stats and close: control thread (it takes
 * the loop lock to touch PipeWire objects, and never waits on PipeWire there).  on_process:
 * the stream's PipeWire data thread; stream_read and stream_write: the render thread: both
 * only copy through the ring and store atomics: no allocation, lock, log or blocking call.
 * the other callbacks and the retry timer: the host's loop thread. */
#include "media.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pipewire/pipewire.h>
#include <spa/param/audio/format-utils.h>
#include <spa/utils/result.h>

#include "engine/bus.h"
#include "engine/media.h"
#include "log.h"
#include "ring.h"
#include "rtcheck.h"

#define MEDIA_RING_FRAMES 16384	/* > 4 device quanta of 2048 + slack, a power of two */
#define RETRY_NS (500 * SPA_NSEC_PER_MSEC)	/* between connection attempts */

struct media_host {
	uint32_t refs;			/* control thread */
	struct pw_thread_loop *tloop;
	struct pw_loop *loop;
	struct pw_context *context;
	struct spa_source *retry;	/* timer that rebuilds the connection and the streams */
	bool started;			/* control thread: the loop runs */
	/* under the loop lock */
	struct pw_core *core;		/* NULL: PipeWire is away, the timer runs */
	struct spa_hook core_listener;
	bool broken;			/* the server went away: the timer rebuilds */
	bool stopping;
	struct mstream *streams;	/* every open stream */
};

struct mstream {
	struct media_stream pub;
	struct media_host *host;
	struct mstream *next;		/* in host->streams, under the loop lock */
	struct media_request rq;	/* what the stream is made again from; its strings
					 * are the ones below */
	char *target, *name, *app, *role;
	enum media_dir dir;
	uint32_t channels;
	double rate;
	struct pw_stream *stream;
	struct spa_hook listener;
	struct ring ring;
	float *scratch;			/* render: QUANTUM interleaved frames */
	/* the reader's: waiting for a cushion before it takes frames (capture: the render
	 * thread; source and playback: the data thread) */
	bool primed;
	uint64_t seen_cycles;		/* render, source and playback: `cycles` at the last
					 * overflow */
	/* published */
	_Atomic bool ready;		/* the ring is there: the data thread may use it */
	_Atomic bool streaming;
	_Atomic uint32_t fmt_channels;	/* the negotiated format's */
	_Atomic uint32_t cycle;		/* frames the data thread moved in its last cycle */
	_Atomic uint64_t cycles;	/* the data thread's cycles so far */
	_Atomic uint32_t delay;		/* frames PipeWire adds */
	_Atomic uint64_t underruns, overruns;
};

/* --- data thread and render thread ----------------------------------------------------- */

static void count(_Atomic uint64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);	/* lock-free: two writers */
}

/* the cushion a reader waits for: two of the other side's bursts, at least two quanta */
static uint32_t cushion(uint32_t burst)
{
	return 2 * (burst > QUANTUM ? burst : QUANTUM);
}

/* the reader: beyond twice the cushion (clocks drifting apart, a stalled reader) the ring
 * is cut back to the cushion, so the latency stays bounded.  tmp holds `room` frames. */
static void trim(struct mstream *m, uint32_t burst, float *tmp, uint32_t room)
{
	uint32_t fill = ring_fill(&m->ring), want = cushion(burst), n;

	if (fill <= 2 * want)
		return;
	count(&m->overruns, fill - want);
	for (fill -= want; fill > 0; fill -= n)
		n = ring_read(&m->ring, tmp, fill < room ? fill : room);
}

static void track_delay(struct mstream *m)
{
	struct pw_time t;

	if (pw_stream_get_time_n(m->stream, &t, sizeof(t)) < 0 || t.rate.denom == 0 ||
	    t.delay < 0)
		return;
	atomic_store_explicit(&m->delay, (uint32_t)((uint64_t)t.delay * t.rate.num *
			      (uint64_t)m->rate / t.rate.denom), memory_order_relaxed);
}

static void capture_cycle(struct mstream *m, struct spa_data *d)
{
	uint32_t stride = m->channels * sizeof(float), off, n, w;

	if (atomic_load_explicit(&m->fmt_channels, memory_order_relaxed) != m->channels)
		return;		/* renegotiated to another layout: nothing we can carry */
	off = d->chunk->offset < d->maxsize ? d->chunk->offset : d->maxsize;
	n = (d->chunk->size < d->maxsize - off ? d->chunk->size : d->maxsize - off) / stride;
	w = ring_write(&m->ring, SPA_PTROFF(d->data, off, const float), n);
	if (w < n)
		count(&m->overruns, n - w);
	atomic_store_explicit(&m->cycle, n, memory_order_relaxed);
}

static uint32_t play_cycle(struct mstream *m, struct pw_buffer *b, struct spa_data *d)
{
	uint32_t stride = m->channels * sizeof(float), n = d->maxsize / stride, got = 0;
	float *dst = d->data;

	if (b->requested > 0 && b->requested < n)
		n = (uint32_t)b->requested;
	atomic_store_explicit(&m->cycle, n, memory_order_relaxed);
	if (!m->primed && ring_fill(&m->ring) >= cushion(n))
		m->primed = true;
	if (m->primed) {
		trim(m, n, dst, n);
		got = ring_read(&m->ring, dst, n);
		if (got < n) {
			count(&m->underruns, 1);
			m->primed = false;
		}
	}
	memset(dst + (size_t)got * m->channels, 0, (size_t)(n - got) * stride);
	return n * stride;
}

static void on_process(void *data)
{
	struct mstream *m = data;
	struct pw_buffer *b;
	struct spa_data *d;

	rtcheck_enter();
	if (!atomic_load_explicit(&m->ready, memory_order_acquire) ||
	    (b = pw_stream_dequeue_buffer(m->stream)) == NULL)
		goto out;
	d = &b->buffer->datas[0];
	if (d->data != NULL && m->dir == MEDIA_CAPTURE) {
		capture_cycle(m, d);
	} else if (d->data != NULL) {
		d->chunk->offset = 0;
		d->chunk->stride = (int32_t)(m->channels * sizeof(float));
		d->chunk->size = play_cycle(m, b, d);
	}
	pw_stream_queue_buffer(m->stream, b);
	atomic_store_explicit(&m->cycles, atomic_load_explicit(&m->cycles, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	track_delay(m);
out:
	rtcheck_leave();
}

/* render, capture: a quantum from the ring once it holds a cushion; none (silence) while it
 * fills up again after running dry */
static bool stream_read(void *handle, float *const *data, uint32_t frames)
{
	struct mstream *m = handle;
	uint32_t burst = atomic_load_explicit(&m->cycle, memory_order_relaxed), c, i;
	const float *s = m->scratch;

	if (!m->primed && ring_fill(&m->ring) < cushion(burst))
		return false;
	m->primed = true;
	trim(m, burst, m->scratch, QUANTUM);
	if (ring_fill(&m->ring) < frames) {
		count(&m->underruns, 1);
		m->primed = false;
		return false;
	}
	ring_read(&m->ring, m->scratch, frames);
	for (i = 0; i < frames; i++)
		for (c = 0; c < m->channels; c++)
			data[c][i] = *s++;
	return true;
}

/* render, source and playback: a quantum into the ring; dropped when the ring is full,
 * counted only while the stream is read (nobody recording a source is no overrun) */
static void stream_write(void *handle, const float *const *data, uint32_t frames)
{
	struct mstream *m = handle;
	uint32_t c, i, w;
	float *d = m->scratch;

	if (data == NULL)
		memset(d, 0, (size_t)frames * m->channels * sizeof(float));
	else
		for (i = 0; i < frames; i++)
			for (c = 0; c < m->channels; c++)
				*d++ = data[c][i];
	w = ring_write(&m->ring, m->scratch, frames);
	if (w < frames) {
		uint64_t cycles = atomic_load_explicit(&m->cycles, memory_order_relaxed);

		if (cycles != m->seen_cycles)
			count(&m->overruns, frames - w);
		m->seen_cycles = cycles;
	}
}

/* --- loop thread, or the control thread under the loop lock ---------------------------------- */

static void on_state_changed(void *data, enum pw_stream_state old, enum pw_stream_state state,
			     const char *error)
{
	struct mstream *m = data;

	atomic_store(&m->streaming, state == PW_STREAM_STATE_STREAMING);
	if (state == PW_STREAM_STATE_ERROR)
		log_warn("media stream: %s", error ? error : "error");
}

static void on_param_changed(void *data, uint32_t id, const struct spa_pod *param)
{
	struct mstream *m = data;
	struct spa_audio_info info = { 0 };

	if (param == NULL || id != SPA_PARAM_Format ||
	    spa_format_parse(param, &info.media_type, &info.media_subtype) < 0 ||
	    info.media_type != SPA_MEDIA_TYPE_audio ||
	    info.media_subtype != SPA_MEDIA_SUBTYPE_raw ||
	    spa_format_audio_raw_parse(param, &info.info.raw) < 0)
		return;
	atomic_store(&m->fmt_channels, info.info.raw.channels);
}

static const struct pw_stream_events stream_events = {
	PW_VERSION_STREAM_EVENTS,
	.state_changed = on_state_changed,
	.param_changed = on_param_changed,
	.process = on_process,
};

static void set_position(uint32_t channels, struct spa_audio_info_raw *info)
{
	static const uint32_t pos[6] = { SPA_AUDIO_CHANNEL_FL, SPA_AUDIO_CHANNEL_FR,
					 SPA_AUDIO_CHANNEL_FC, SPA_AUDIO_CHANNEL_LFE,
					 SPA_AUDIO_CHANNEL_SL, SPA_AUDIO_CHANNEL_SR };
	static const uint32_t quad[4] = { SPA_AUDIO_CHANNEL_FL, SPA_AUDIO_CHANNEL_FR,
					  SPA_AUDIO_CHANNEL_RL, SPA_AUDIO_CHANNEL_RR };

	if (channels == 1)
		info->position[0] = SPA_AUDIO_CHANNEL_MONO;
	else if (channels == 2 || channels == 6)
		memcpy(info->position, pos, channels * sizeof(uint32_t));
	else if (channels == 4)
		memcpy(info->position, quad, sizeof(quad));
	else
		info->flags |= SPA_AUDIO_FLAG_UNPOSITIONED;
}

static struct pw_properties *stream_props(const struct media_request *rq)
{
	struct pw_properties *p = pw_properties_new(PW_KEY_MEDIA_TYPE, "Audio",
						    PW_KEY_APP_NAME, "audiod", NULL);

	if (p == NULL)
		return NULL;
	switch (rq->dir) {
	case MEDIA_CAPTURE:
		pw_properties_set(p, PW_KEY_MEDIA_CATEGORY, "Capture");
		pw_properties_set(p, PW_KEY_NODE_NAME, "audiod-capture");
		if (rq->capture_sink)
			pw_properties_set(p, PW_KEY_STREAM_CAPTURE_SINK, "true");
		break;
	case MEDIA_SOURCE:
		pw_properties_set(p, PW_KEY_MEDIA_CLASS, "Audio/Source");
		pw_properties_set(p, PW_KEY_NODE_NAME, rq->name ? rq->name : "audiod-source");
		pw_properties_set(p, PW_KEY_NODE_DESCRIPTION, rq->name ? rq->name : "audiod");
		break;
	case MEDIA_PLAYBACK:
		pw_properties_set(p, PW_KEY_MEDIA_CATEGORY, "Playback");
		pw_properties_set(p, PW_KEY_APP_NAME, rq->app ? rq->app : "audiod");
		pw_properties_set(p, PW_KEY_NODE_NAME, rq->name ? rq->name : "audiod-stream");
		if (rq->role)
			pw_properties_set(p, PW_KEY_MEDIA_ROLE, rq->role);
		break;
	}
	if (rq->target && rq->dir != MEDIA_SOURCE)
		pw_properties_set(p, PW_KEY_TARGET_OBJECT, rq->target);
	return p;
}

/* m's PipeWire stream on the host's core, from its request */
static int stream_connect(struct mstream *m)
{
	const struct media_request *rq = &m->rq;
	uint8_t buf[1024];
	struct spa_pod_builder pb = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
	struct spa_audio_info_raw info = { .format = SPA_AUDIO_FORMAT_F32,
					   .rate = (uint32_t)rq->rate,
					   .channels = rq->channels };
	const struct spa_pod *params[1];
	struct pw_properties *props = stream_props(rq);
	enum pw_stream_flags flags = PW_STREAM_FLAG_MAP_BUFFERS | PW_STREAM_FLAG_RT_PROCESS;

	if (props == NULL)
		return -ENOMEM;
	m->stream = pw_stream_new(m->host->core, "audiod media", props);
	if (m->stream == NULL)
		return -errno;
	pw_stream_add_listener(m->stream, &m->listener, &stream_events, m);
	set_position(rq->channels, &info);
	if (rq->dir != MEDIA_SOURCE)
		flags |= PW_STREAM_FLAG_AUTOCONNECT;
	params[0] = spa_format_audio_raw_build(&pb, SPA_PARAM_EnumFormat, &info);
	return pw_stream_connect(m->stream, rq->dir == MEDIA_CAPTURE ? PW_DIRECTION_INPUT :
				 PW_DIRECTION_OUTPUT, PW_ID_ANY, flags, params, 1);
}

/* the data thread is out of on_process once pw_stream_destroy returns */
static void stream_disconnect(struct mstream *m)
{
	if (m->stream == NULL)
		return;
	pw_stream_destroy(m->stream);
	m->stream = NULL;
	atomic_store(&m->streaming, false);
}

static void host_retry_in(struct media_host *h, uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / SPA_NSEC_PER_SEC), (long)(ns % SPA_NSEC_PER_SEC) };

	pw_loop_update_timer(h->loop, h->retry, &ts, NULL, false);
}

static void on_core_error(void *data, uint32_t id, int seq, int res, const char *message)
{
	struct media_host *h = data;

	/* the server went away (EPIPE), or reset us while it was going (ECONNRESET); never
	 * tear down inside the callback */
	if (id == PW_ID_CORE && (res == -EPIPE || res == -ECONNRESET) && !h->broken &&
	    !h->stopping) {
		h->broken = true;
		host_retry_in(h, SPA_NSEC_PER_MSEC);
	}
}

static const struct pw_core_events core_events = {
	PW_VERSION_CORE_EVENTS,
	.error = on_core_error,
};

static void host_teardown(struct media_host *h)
{
	for (struct mstream *m = h->streams; m; m = m->next)
		stream_disconnect(m);
	if (h->core != NULL) {
		spa_hook_remove(&h->core_listener);
		pw_core_disconnect(h->core);
		h->core = NULL;
	}
	h->broken = false;
}

/* one attempt: the core, then every stream again; false: PipeWire is away */
static bool host_connect(struct media_host *h)
{
	int res;

	h->core = pw_context_connect(h->context, NULL, 0);
	if (h->core == NULL)
		return false;
	pw_core_add_listener(h->core, &h->core_listener, &core_events, h);
	for (struct mstream *m = h->streams; m; m = m->next)
		if ((res = stream_connect(m)) < 0)
			log_warn("media stream: cannot make it again: %s", spa_strerror(res));
	return true;
}

static void on_retry(void *data, uint64_t expirations)
{
	struct media_host *h = data;
	bool was_up = h->core != NULL;
	uint32_t n = 0;

	if (h->stopping)
		return;
	host_teardown(h);
	if (!host_connect(h)) {
		if (was_up)
			log_warn("media streams: pipewire is gone; retrying every 0.5 s");
		host_retry_in(h, RETRY_NS);
		return;
	}
	for (struct mstream *m = h->streams; m; m = m->next)
		n++;
	log_info("media streams: reconnected to pipewire, %u stream%s made again", n,
		 n == 1 ? "" : "s");
}

/* --- control thread ------------------------------------------------------------------------ */

struct media_host *media_host_new(void)
{
	struct media_host *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->refs = 1;
	return h;
}

void media_host_unref(struct media_host *h)
{
	if (h == NULL || --h->refs > 0)
		return;
	if (h->started) {
		pw_thread_loop_lock(h->tloop);
		h->stopping = true;
		host_retry_in(h, 0);
		host_teardown(h);
		pw_thread_loop_unlock(h->tloop);
		pw_thread_loop_stop(h->tloop);
	}
	if (h->retry != NULL)
		pw_loop_destroy_source(h->loop, h->retry);
	if (h->context != NULL)
		pw_context_destroy(h->context);
	if (h->tloop != NULL)
		pw_thread_loop_destroy(h->tloop);
	free(h);
}

/* the loop, context and retry timer, made on first use (what a failed attempt made stays
 * for the next) */
static int host_start(struct media_host *h, struct error *err)
{
	if (h->started)
		return 0;
	if (h->tloop == NULL)
		h->tloop = pw_thread_loop_new("audiod-media", NULL);
	if (h->tloop == NULL)
		return err_set(err, ERR_IO, "cannot make the media streams' PipeWire loop");
	h->loop = pw_thread_loop_get_loop(h->tloop);
	/* client-rt.conf makes the data thread (on_process) SCHED_FIFO */
	if (h->context == NULL)
		h->context = pw_context_new(h->loop, pw_properties_new(PW_KEY_CONFIG_NAME,
								      "client-rt.conf", NULL), 0);
	if (h->context != NULL && h->retry == NULL)
		h->retry = pw_loop_add_timer(h->loop, on_retry, h);
	if (h->context == NULL || h->retry == NULL || pw_thread_loop_start(h->tloop) < 0)
		return err_set(err, ERR_IO, "cannot start the media streams' PipeWire loop");
	h->started = true;
	pw_thread_loop_lock(h->tloop);
	if (!host_connect(h)) {
		log_warn("media streams: cannot reach pipewire; retrying every 0.5 s");
		host_retry_in(h, RETRY_NS);
	}
	pw_thread_loop_unlock(h->tloop);
	return 0;
}

static void stream_stats(void *handle, struct media_stats *st)
{
	struct mstream *m = handle;

	st->latency = (double)(ring_fill(&m->ring) +
			       atomic_load_explicit(&m->delay, memory_order_relaxed)) / m->rate;
	st->underruns = atomic_load_explicit(&m->underruns, memory_order_relaxed);
	st->overruns = atomic_load_explicit(&m->overruns, memory_order_relaxed);
}

static void stream_unlink(struct mstream *m)
{
	for (struct mstream **pp = &m->host->streams; *pp; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			return;
		}
}

static void stream_close(struct media_stream *ms)
{
	struct mstream *m = ms->handle;

	pw_thread_loop_lock(m->host->tloop);
	stream_unlink(m);
	stream_disconnect(m);
	pw_thread_loop_unlock(m->host->tloop);
	media_host_unref(m->host);
	ring_fini(&m->ring);
	free(m->scratch);
	free(m->target);
	free(m->name);
	free(m->app);
	free(m->role);
	free(m);
}

/* the ring and scratch for `channels`; the stream may move frames once ready is set */
static int stream_buffers(struct mstream *m, uint32_t channels, struct error *err)
{
	m->channels = m->pub.channels = channels;
	m->scratch = calloc((size_t)QUANTUM * channels, sizeof(float));
	if (m->scratch == NULL || ring_init(&m->ring, MEDIA_RING_FRAMES, channels) < 0)
		return err_set(err, ERR_INTERNAL, "out of memory");
	atomic_store_explicit(&m->ready, true, memory_order_release);
	return 0;
}

/* a copy of s in *out (NULL stays NULL); false: out of memory */
static bool keep(char **out, const char *s)
{
	*out = s != NULL ? strdup(s) : NULL;
	return s == NULL || *out != NULL;
}

/* the request kept for making the stream again */
static bool stream_keep(struct mstream *m, const struct media_request *rq)
{
	m->rq = *rq;
	if (!keep(&m->target, rq->target) || !keep(&m->name, rq->name) ||
	    !keep(&m->app, rq->app) || !keep(&m->role, rq->role))
		return false;
	m->rq.target = m->target;
	m->rq.name = m->name;
	m->rq.app = m->app;
	m->rq.role = m->role;
	return true;
}

static struct mstream *stream_new(struct media_host *h, const struct media_request *rq,
				  struct error *err)
{
	struct mstream *m = calloc(1, sizeof(*m));

	if (m == NULL) {
		err_set(err, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	m->host = h;
	h->refs++;
	m->dir = rq->dir;
	m->rate = rq->rate;
	m->pub.handle = m;
	m->pub.read = stream_read;
	m->pub.write = stream_write;
	m->pub.stats = stream_stats;
	m->pub.close = stream_close;
	if (!stream_keep(m, rq) || stream_buffers(m, rq->channels, err) < 0) {
		err_set(err, ERR_INTERNAL, "out of memory");
		stream_close(&m->pub);
		return NULL;
	}
	return m;
}

/* on the host's list, and made now unless PipeWire is away (then once it is back) */
static int stream_start(struct mstream *m, struct error *err)
{
	struct media_host *h = m->host;
	int res = 0;

	pw_thread_loop_lock(h->tloop);
	m->next = h->streams;
	h->streams = m;
	if (h->core != NULL && !h->broken)
		res = stream_connect(m);
	pw_thread_loop_unlock(h->tloop);
	if (res < 0)
		return err_set(err, ERR_IO, "cannot make the PipeWire stream: %s",
			       spa_strerror(res));
	return 0;
}

struct media_stream *media_open(void *data, const struct media_request *rq, struct error *err)
{
	struct media_host *h = data;
	struct mstream *m;

	if (rq->channels < 1 || rq->channels > MAX_CHANNELS) {
		err_set(err, ERR_NOT_SUPPORTED, "channelCount: 1..%d", MAX_CHANNELS);
		return NULL;
	}
	if (host_start(h, err) < 0 || (m = stream_new(h, rq, err)) == NULL)
		return NULL;
	if (stream_start(m, err) < 0) {
		stream_close(&m->pub);
		return NULL;
	}
	log_info("media stream: %s%s%s, %u channels", rq->dir == MEDIA_CAPTURE ? "capturing" :
		 rq->dir == MEDIA_SOURCE ? "source" : "playback", rq->target ? " " : "",
		 rq->target ? rq->target : "", m->channels);
	return &m->pub;
}

/* --- dry streams: a document checked on an engine of its own carries nothing --------------- */

static bool dry_read(void *handle, float *const *data, uint32_t frames)
{
	return false;
}

static void dry_write(void *handle, const float *const *data, uint32_t frames)
{
}

static void dry_stats(void *handle, struct media_stats *st)
{
	memset(st, 0, sizeof(*st));
}

static void dry_close(struct media_stream *ms)
{
	free(ms);
}

struct media_stream *media_open_dry(void *data, const struct media_request *rq,
				    struct error *err)
{
	struct media_stream *ms = calloc(1, sizeof(*ms));

	if (ms == NULL) {
		err_set(err, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	ms->channels = rq->channels ? rq->channels : 2;
	ms->handle = ms;
	ms->read = dry_read;
	ms->write = dry_write;
	ms->stats = dry_stats;
	ms->close = dry_close;
	return ms;
}
