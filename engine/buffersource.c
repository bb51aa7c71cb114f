/* AudioBufferSourceNode: plays an AudioBuffer with sub-sample start, loop points, duration,
 * and a k-rate playbackRate/detune pair, following the spec's "Playing the buffer" algorithm
 * with Chromium's linear interpolation.
 * control thread: init, attribute checks, check_start, fini.  render thread: process and the
 * attribute apply callbacks; no allocation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "node.h"

/* like Chromium: a sanity bound on the rate the playhead may move at (buffer frames/frame) */
#define MAX_RATE 1024.0

enum { P_PLAYBACK_RATE, P_DETUNE, N_PARAMS };

struct abs_node {
	struct node base;

	/* control model */
	struct audio_buffer *buffer_model;	/* alias of what `buffer` will be; no reference */
	bool buffer_set;			/* the spec's [[buffer set]] */
	bool loop_model;
	double loop_start_model, loop_end_model;	/* s */

	/* render */
	struct audio_buffer *buffer;	/* one reference, taken and dropped on the control side */
	bool loop;
	double loop_start, loop_end;	/* s, as set: the playback code derives the real bounds */
	bool started;			/* the playhead below is live */
	double playhead;		/* buffer frames (Chromium's virtual read index) */
	double played;			/* buffer frames consumed, against `duration` */

	/* render scratch: positions of a run of interpolated frames */
	uint32_t run_index[QUANTUM];
	float run_frac[QUANTUM];
};

/* loop region in buffer frames; the whole buffer when not looping or when the points are
 * unusable (the spec: "the loop is considered to include the entire buffer contents") */
struct loop_region {
	double start, end, delta;
};

static struct abs_node *abs_of(struct node *n)
{
	return (struct abs_node *)n;
}

/* ---- rendering --------------------------------------------------------------------------- */

static void region_get(const struct abs_node *a, const struct audio_buffer *b,
		       struct loop_region *r)
{
	double len = b->length;

	r->start = 0;
	r->end = len;
	r->delta = len;
	if (a->loop && a->loop_start >= 0 && a->loop_end > 0 && a->loop_start < a->loop_end) {
		double s = a->loop_start * b->sample_rate;
		double e = fmin(a->loop_end * b->sample_rate, len);
		if (s < e) {
			r->start = s;
			r->end = e;
			r->delta = e - s;
		}
	}
}

/* computedPlaybackRate times buffer-rate / context-rate: buffer frames per output frame */
static double rate_get(struct node *n, const struct audio_buffer *b, double context_rate)
{
	double rate = b->sample_rate / context_rate * n->params[P_PLAYBACK_RATE].values[0];
	float detune = n->params[P_DETUNE].values[0];

	/* the exponent is rounded to float as Chromium does (float detune / 1200): over
	 * thousands of frames the difference moves the playhead measurably */
	if (detune != 0.0f)
		rate *= pow(2.0, (double)(detune / 1200.0f));
	if (!(rate >= -MAX_RATE))	/* also NaN */
		rate = rate < 0 ? -MAX_RATE : 0;
	if (rate > MAX_RATE)
		rate = MAX_RATE;
	return rate;
}

/* the playhead at start(): offset clamped to the buffer.  Chromium rounds it to a frame
 * when the rate is nominal so that plain playback copies the buffer exactly. */
static double playhead_initial(struct node *n, const struct audio_buffer *b)
{
	double offset = isnan(n->sched.offset) ? 0 : n->sched.offset;
	double frames;

	if (offset < 0)
		offset = 0;
	frames = offset * b->sample_rate;
	if (frames > b->length)
		frames = b->length;
	if (n->params[P_PLAYBACK_RATE].values[0] == 1.0f && n->params[P_DETUNE].values[0] == 0.0f)
		frames = round(frames);
	return frames;
}

/* after each frame: wraps the playhead into the loop, or reports the buffer's end */
static bool wrap(const struct abs_node *a, double *ph, double rate, const struct loop_region *r)
{
	if (rate >= 0 && *ph >= r->end) {
		if (!a->loop)
			return true;
		*ph = r->end - r->delta + fmod(*ph - r->end, r->delta);
	} else if (rate < 0 && *ph < r->start) {
		if (!a->loop)
			return true;
		*ph = r->start + r->delta - fmod(r->start - *ph, r->delta);
	}
	return false;
}

/* channels [0, nch) of b from frame pos on start on a bus's alignment */
static bool buffer_aligned(const struct audio_buffer *b, uint32_t nch, uint32_t pos)
{
	for (uint32_t c = 0; c < nch; c++)
		if ((uintptr_t)(b->data[c] + pos) % 64 != 0)
			return false;
	return true;
}

/* rate 1 on whole frames: copies, wrapping at the loop end.  returns the next write index;
 * *ended when the buffer ran out */
static uint32_t play_copy(struct abs_node *a, const struct audio_buffer *b, struct bus *out,
			  uint32_t nch, uint32_t w, uint32_t frames, const struct loop_region *r,
			  bool *ended)
{
	uint32_t pos = (uint32_t)a->playhead;
	uint32_t end = (uint32_t)r->end, delta = (uint32_t)r->delta;

	while (frames > 0) {
		uint32_t n = pos < end ? end - pos : 0;

		if (n > frames)
			n = frames;
		/* a whole quantum of the buffer, aligned as buses are (a loop from the start of a
		 * buffer whose length is a multiple of 16 stays so): read in place, no copy */
		if (n == QUANTUM && buffer_aligned(b, nch, pos)) {
			float *at[MAX_CHANNELS];

			for (uint32_t c = 0; c < nch; c++)
				at[c] = b->data[c] + pos;
			bus_borrow_data(out, at, nch);
		} else {
			for (uint32_t c = 0; c < nch; c++)
				memcpy(out->data[c] + w, b->data[c] + pos, n * sizeof(float));
		}
		w += n;
		pos += n;
		frames -= n;
		if (pos >= end) {
			if (!a->loop) {
				*ended = true;
				break;
			}
			pos = end - delta + (pos - end) % delta;
		}
	}
	a->playhead = pos;
	return w;
}

/* one frame where the next sample is special: across the loop end it is the loop start's
 * neighbour, at the buffer's end Chromium extrapolates from the last two samples */
static bool frame_edge(const struct abs_node *a, const struct audio_buffer *b, struct bus *out,
		       uint32_t nch, uint32_t w, double ph, const struct loop_region *r)
{
	uint32_t len = b->length, i, i2;
	double f;

	if (ph < 0 || ph >= len)
		return false;
	i = (uint32_t)ph;
	f = ph - i;
	i2 = i + 1;
	if (a->loop && i < r->end && i2 >= r->end) {
		double next = ph + 1.0 - r->delta;
		i2 = next >= 0 ? (uint32_t)next : 0;
	} else if (i2 >= len) {
		i2 = i;
	}
	if (i2 >= len)
		return false;
	for (uint32_t c = 0; c < nch; c++) {
		const float *s = b->data[c];
		double v;

		if (i == i2 && i >= 1)
			v = s[i] + ((double)s[i] - s[i - 1]) * f;
		else
			v = (1.0 - f) * s[i] + f * s[i2];
		out->data[c][w] = (float)v;
	}
	return true;
}

/* a run of ordinary frames: the playhead at each, by repeated addition exactly as
 * Chromium's advances (where it lands on a frame boundary decides whether one more frame
 * plays), until it leaves [lo, hi) or `max` frames.  the additions are a chain, so this
 * loop does nothing else.  returns the count. */
static uint32_t run_positions(double *restrict pos, double *ph, double rate, double lo,
			      double hi, uint32_t max)
{
	double p = *ph;
	uint32_t k = 0;

	/* the playhead moves one way: only the bound it moves towards can end the run */
	if (rate >= 0) {
		if (!(p >= lo))
			return 0;
		/* the first `sure` steps stay a frame short of hi whatever the rounding of the
		 * sums (each is off by far less than 2^-20 below 2^32), so they need no test */
		if (rate > 0 && hi - p > 1) {
			double d = (hi - p - 1) / rate;
			uint32_t sure = d < max ? (uint32_t)d : max;

			for (; k < sure; k++, p += rate)
				pos[k] = p;
		}
		for (; k < max && p < hi; k++, p += rate)
			pos[k] = p;
	} else if (p < hi) {
		for (; k < max && p >= lo; k++, p += rate)
			pos[k] = p;
	}
	*ph = p;
	return k;
}

/* each position's frame and the fraction to the next.  positions are >= 0; below 2^31 an
 * int32 conversion (which vectorises) truncates as the uint32 one does */
static void run_split(struct abs_node *a, const double *restrict pos, uint32_t k, bool small)
{
	uint32_t *restrict index = a->run_index;
	float *restrict frac = a->run_frac;

	if (small) {
		for (uint32_t j = 0; j < k; j++) {
			int32_t i = (int32_t)pos[j];
			index[j] = (uint32_t)i;
			frac[j] = (float)(pos[j] - i);
		}
		return;
	}
	for (uint32_t j = 0; j < k; j++) {
		uint32_t i = (uint32_t)pos[j];
		index[j] = i;
		frac[j] = (float)(pos[j] - i);
	}
}

/* the interpolating path: runs of ordinary frames are gathered first (positions once, then
 * one tight loop per channel), frames next to an edge go through frame_edge */
static uint32_t play_interp(struct abs_node *a, const struct audio_buffer *b, struct bus *out,
			    uint32_t nch, uint32_t w, uint32_t frames, double rate,
			    const struct loop_region *r, bool *ended)
{
	/* frames at ph in [lo, hi) read ph's frame and the next one, both inside the region */
	double hi = ceil(fmin(r->end, b->length) - 1);
	double lo = rate < 0 ? r->start : 0;
	double ph = a->playhead;
	double pos[QUANTUM];
	uint32_t done = 0;

	while (done < frames) {
		uint32_t k = run_positions(pos, &ph, rate, lo, hi, frames - done);

		if (k > 0) {
			const uint32_t *restrict index = a->run_index;
			const float *restrict frac = a->run_frac;

			run_split(a, pos, k, hi <= 0x1p31);
			for (uint32_t c = 0; c < nch; c++) {
				const float *restrict s = b->data[c];
				float *restrict d = out->data[c] + w;
				for (uint32_t j = 0; j < k; j++) {
					float s1 = s[index[j]], s2 = s[index[j] + 1];
					d[j] = s1 + frac[j] * (s2 - s1);
				}
			}
		} else {
			/* a frame the run could not take: it must make progress or stop */
			if (!frame_edge(a, b, out, nch, w, ph, r))
				break;
			ph += rate;
			k = 1;
		}
		w += k;
		done += k;
		if (wrap(a, &ph, rate, r)) {
			*ended = true;
			break;
		}
	}
	a->playhead = ph;
	return w;
}

/* the first playing quantum: start the playhead at the exact (fractional) start time, so
 * the first output frame, which is the one at or after it, reads `skip` frames further */
static void playhead_start(struct abs_node *a, const struct audio_buffer *b,
			   const struct render_ctx *ctx, uint32_t from, double rate,
			   const struct loop_region *r)
{
	struct node *n = &a->base;
	double start = fmax(n->sched.start * ctx->sample_rate, (double)ctx->frame);
	double skip = (double)(ctx->frame + from) - start;

	a->playhead = playhead_initial(n, b);
	a->played = 0;
	a->started = true;
	if (a->loop && rate >= 0 && a->playhead >= r->end)
		a->playhead = fmin(r->start, b->length - 1);
	if (a->loop && rate < 0 && a->playhead < r->start)
		a->playhead = r->start;
	if (skip > 0 && rate != 0) {
		a->playhead += skip * rate;
		a->played += skip * fabs(rate);
	}
}

/* frames left before `duration` (buffer seconds) is used up; *stop when that is this quantum */
static uint32_t duration_limit(const struct abs_node *a, const struct audio_buffer *b,
			       uint32_t frames, double rate, bool *stop)
{
	double left;

	if (isinf(a->base.sched.duration) || isnan(a->base.sched.duration))
		return frames;
	left = a->base.sched.duration * b->sample_rate - a->played;
	if (left <= 0) {
		*stop = true;
		return 0;
	}
	if (rate != 0 && ceil(left / fabs(rate)) < frames) {
		*stop = true;
		return (uint32_t)ceil(left / fabs(rate));
	}
	return frames;
}

/* x == floor(x), without a libm call for the usual case (every quantum asks it three times) */
static inline bool is_whole(double x)
{
	if (x >= 0 && x < 0x1p52)
		return x == (double)(int64_t)x;
	return x == floor(x);
}

/* renders [from, to); returns the first frame not rendered (to unless playback ended) */
static uint32_t play(struct abs_node *a, const struct audio_buffer *b, struct bus *out,
		     uint32_t nch, uint32_t from, uint32_t to, const struct render_ctx *ctx,
		     bool *ended)
{
	double rate = rate_get(&a->base, b, ctx->sample_rate);
	struct loop_region r;
	uint32_t w = from, frames = to - from;
	bool stop = false;

	region_get(a, b, &r);
	if (!a->started) {
		playhead_start(a, b, ctx, from, rate, &r);
	} else if (a->loop && rate >= 0 && a->playhead >= r.end) {
		/* the loop was switched on (or moved) behind the playhead: jump into it */
		a->playhead = fmin(r.start, b->length - 1);
	} else if (a->loop && rate < 0 && a->playhead < r.start) {
		a->playhead = r.start;
	}
	/* backwards from beyond the buffer: silence until the playhead comes in */
	while (rate < 0 && frames > 0 && a->playhead >= b->length) {
		for (uint32_t c = 0; c < nch; c++)
			out->data[c][w] = 0;
		w++;
		frames--;
		a->playhead += rate;
	}
	frames = duration_limit(a, b, frames, rate, &stop);
	if (rate == 1.0 && is_whole(a->playhead) && is_whole(r.delta) && is_whole(r.end))
		w = play_copy(a, b, out, nch, w, frames, &r, ended);
	else
		w = play_interp(a, b, out, nch, w, frames, rate, &r, ended);
	a->played += (w - from) * fabs(rate);
	if (stop)
		*ended = true;
	return w;
}

static void zero_range(struct bus *out, uint32_t nch, uint32_t from, uint32_t to)
{
	if (to <= from)
		return;
	for (uint32_t c = 0; c < nch; c++)
		memset(out->data[c] + from, 0, (to - from) * sizeof(float));
}

static void abs_process(struct node *n, const struct render_ctx *ctx)
{
	struct abs_node *a = abs_of(n);
	const struct audio_buffer *b = a->buffer;
	struct bus *out = &n->out[0];
	uint32_t from, to, w, nch;
	bool ended = false;

	if (b == NULL) {
		/* the spec: a null buffer forces stop = currentTime */
		if (n->sched.state == SCHED_SCHEDULED || n->sched.state == SCHED_PLAYING)
			node_ended(n, ctx, ctx->time);
		bus_silence(out, 1);
		return;
	}
	nch = b->channels < out->capacity ? b->channels : out->capacity;
	/* the last quantum may have read the buffer in place: write into our own channels */
	if (out->borrowed)
		bus_unborrow(out);
	if (n->sched.state == SCHED_ENDED || !node_sched_range(n, ctx, &from, &to)) {
		/* after the end the output turns into one channel of silence */
		bus_silence(out, n->sched.state == SCHED_ENDED ? 1 : nch);
		return;
	}
	out->channels = nch;
	out->silent = false;
	zero_range(out, nch, 0, from);
	w = play(a, b, out, nch, from, to, ctx, &ended);
	zero_range(out, nch, w, QUANTUM);
	if (ended && n->sched.state != SCHED_ENDED)
		node_ended(n, ctx, (double)(ctx->frame + w) / ctx->sample_rate);
}

/* ---- attributes (check: control; apply: render; release: control) ------------------------ */

static int buffer_check(struct node *n, const struct value *v, void **staged, struct error *err)
{
	struct abs_node *a = abs_of(n);

	if (v->type != VALUE_BUFFER && v->type != VALUE_NULL)
		return err_set(err, ERR_INVALID_VALUE, "buffer: expected a buffer or null, got %s",
			       value_type_name(v->type));
	if (v->type == VALUE_BUFFER && v->buf != NULL) {
		if (a->buffer_set)
			return err_set(err, ERR_INVALID_STATE,
				       "buffer: already set; it can be set to null but not replaced");
		a->buffer_set = true;
		a->buffer_model = v->buf;
		*staged = audio_buffer_ref(v->buf);
	} else {
		a->buffer_model = NULL;
		*staged = NULL;
	}
	return 0;
}

/* undo of a buffer change: [[buffer set]] as it was, the buffer from `get` */
static void *buffer_memo(const struct node *n)
{
	return (void *)(uintptr_t)abs_of((struct node *)n)->buffer_set;
}

static void buffer_undo(struct node *n, const struct value *old, void *memo)
{
	struct abs_node *a = abs_of(n);

	a->buffer_set = memo != NULL;
	a->buffer_model = old->type == VALUE_BUFFER ? old->buf : NULL;
}

static void buffer_apply(struct node *n, const struct value *v, void **staged)
{
	struct abs_node *a = abs_of(n);
	struct audio_buffer *old = a->buffer;

	(void)v;
	a->buffer = *staged;
	a->started = false;
	*staged = old;
}

static void buffer_release(struct node *n, void *staged)
{
	(void)n;
	audio_buffer_unref(staged);
}

static void buffer_get(const struct node *n, struct value *v)
{
	const struct abs_node *a = (const struct abs_node *)n;

	if (a->buffer_model != NULL) {
		v->type = VALUE_BUFFER;
		v->buf = a->buffer_model;
	} else {
		v->type = VALUE_NULL;
	}
}

static int loop_check(struct node *n, const struct value *v, void **staged, struct error *err)
{
	(void)staged;
	if (v->type != VALUE_BOOL)
		return err_set(err, ERR_INVALID_VALUE, "loop: expected a boolean, got %s",
			       value_type_name(v->type));
	abs_of(n)->loop_model = v->b;
	return 0;
}

static void loop_apply(struct node *n, const struct value *v, void **staged)
{
	(void)staged;
	abs_of(n)->loop = v->b;
}

static void loop_get(const struct node *n, struct value *v)
{
	v->type = VALUE_BOOL;
	v->b = ((const struct abs_node *)n)->loop_model;
}

static int seconds_check(const char *name, const struct value *v, struct error *err)
{
	if (v->type != VALUE_NUMBER)
		return err_set(err, ERR_INVALID_VALUE, "%s: expected a number, got %s", name,
			       value_type_name(v->type));
	if (!isfinite(v->num))
		return err_set(err, ERR_INVALID_VALUE, "%s: %g is not finite", name, v->num);
	return 0;
}

static int loop_start_check(struct node *n, const struct value *v, void **staged,
			    struct error *err)
{
	(void)staged;
	if (seconds_check("loopStart", v, err) < 0)
		return -1;
	abs_of(n)->loop_start_model = v->num;
	return 0;
}

static void loop_start_apply(struct node *n, const struct value *v, void **staged)
{
	(void)staged;
	abs_of(n)->loop_start = v->num;
}

static void loop_start_get(const struct node *n, struct value *v)
{
	v->type = VALUE_NUMBER;
	v->num = ((const struct abs_node *)n)->loop_start_model;
}

static int loop_end_check(struct node *n, const struct value *v, void **staged,
			  struct error *err)
{
	(void)staged;
	if (seconds_check("loopEnd", v, err) < 0)
		return -1;
	abs_of(n)->loop_end_model = v->num;
	return 0;
}

static void loop_end_apply(struct node *n, const struct value *v, void **staged)
{
	(void)staged;
	abs_of(n)->loop_end = v->num;
}

static void loop_end_get(const struct node *n, struct value *v)
{
	v->type = VALUE_NUMBER;
	v->num = ((const struct abs_node *)n)->loop_end_model;
}

static const struct attr_desc abs_attrs[] = {
	{ "buffer", buffer_check, buffer_apply, buffer_release, buffer_get, buffer_memo, buffer_undo },
	{ "loop", loop_check, loop_apply, NULL, loop_get, NULL, NULL },
	{ "loopStart", loop_start_check, loop_start_apply, NULL, loop_start_get, NULL, NULL },
	{ "loopEnd", loop_end_check, loop_end_apply, NULL, loop_end_get, NULL, NULL },
};

/* playbackRate and detune: k-rate, and the spec forbids changing that */
static const struct param_desc abs_params[N_PARAMS] = {
	[P_PLAYBACK_RATE] = { "playbackRate", 1.0f, -3.4028235e38f, 3.4028235e38f, true, true },
	[P_DETUNE] = { "detune", 0.0f, -3.4028235e38f, 3.4028235e38f, true, true },
};

/* ---- lifecycle (control) ----------------------------------------------------------------- */

/* the kind's own options; node_bad_option adds the params and channel options */
static const char *const abs_options[] = { "buffer", "loop", "loopEnd", "loopStart", NULL };

/* options handled by node_new before init: the params and the channel options */
static bool option_done_elsewhere(struct node *n, const char *name)
{
	return node_param(n, name) != NULL || strcmp(name, "channelCount") == 0 ||
	       strcmp(name, "channelCountMode") == 0 || strcmp(name, "channelInterpretation") == 0;
}

static int option_apply(struct node *n, const struct option *o, struct error *err)
{
	struct abs_node *a = abs_of(n);
	void *staged = NULL;

	if (strcmp(o->name, "buffer") == 0) {
		if (buffer_check(n, &o->value, &staged, err) < 0)
			return -1;
		buffer_apply(n, &o->value, &staged);
		audio_buffer_unref(staged);	/* what it replaced: nothing */
	} else if (strcmp(o->name, "loop") == 0) {
		if (option_bool(o, &a->loop_model, err) < 0)
			return -1;
		a->loop = a->loop_model;
	} else if (strcmp(o->name, "loopStart") == 0) {
		if (option_number(o, &a->loop_start_model, err) < 0)
			return -1;
		a->loop_start = a->loop_start_model;
	} else if (strcmp(o->name, "loopEnd") == 0) {
		if (option_number(o, &a->loop_end_model, err) < 0)
			return -1;
		a->loop_end = a->loop_end_model;
	} else if (!option_done_elsewhere(n, o->name)) {
		return node_bad_option(n, o->name, abs_options, err);
	}
	return 0;
}

static int abs_init(struct node *n, const struct option *opts, size_t n_opts, struct error *err)
{
	for (size_t i = 0; i < n_opts; i++)
		if (option_apply(n, &opts[i], err) < 0)
			return -1;
	return 0;
}

static int abs_check_start(struct node *n, double when, double offset, double duration,
			   struct error *err)
{
	(void)n;
	(void)when;
	if (offset < 0)
		return err_set(err, ERR_INVALID_VALUE, "start: offset %g must not be negative",
			       offset);
	if (duration < 0)
		return err_set(err, ERR_INVALID_VALUE, "start: duration %g must not be negative",
			       duration);
	return 0;
}

static void abs_fini(struct node *n)
{
	struct abs_node *a = abs_of(n);

	audio_buffer_unref(a->buffer);
	a->buffer = NULL;
	a->buffer_model = NULL;
}

const struct node_kind buffer_source_kind = {
	.name = "AudioBufferSourceNode",
	.size = sizeof(struct abs_node),
	.inputs = 0,
	.outputs = 1,
	.channel_count = 2,
	.count_mode = COUNT_MAX,
	.interp = INTERP_SPEAKERS,
	.params = abs_params,
	.n_params = N_PARAMS,
	.attrs = abs_attrs,
	.n_attrs = sizeof(abs_attrs) / sizeof(abs_attrs[0]),
	.source = true,
	.init = abs_init,
	.check_start = abs_check_start,
	.process = abs_process,
	.fini = abs_fini,
};
