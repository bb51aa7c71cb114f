/* WaveShaperNode: a curve applied to every sample, optionally at 2x or 4x the rate with
 * windowed-sinc up- and down-sampling filters so the shaping aliases less.
 * init, curve/oversample checks: control thread.  process and applies: render thread. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

/* the 2x stages are the reference engines' (so the 2x/4x latency, 64 frames of the lower
 * rate per stage each way, and the filtering agree with theirs): a 128-tap interpolator
 * sampling a Blackman-windowed sinc half a sample off its centre, and a 256-tap half-band
 * low-pass (Blackman-windowed) before dropping every other sample */
#define UP_TAPS 128		/* interpolating kernel; latency UP_TAPS/2 input frames */
#define DOWN_TAPS 256		/* half-band kernel; latency DOWN_TAPS/2 input frames */
#define HIST DOWN_TAPS		/* history kept per stage: >= both kernels */

enum oversample { OVER_NONE, OVER_2X, OVER_4X };
static const char *const over_names[] = { "none", "2x", "4x" };

struct curve {
	size_t n;
	float v[];
};

/* one 2x stage's filter memory for one channel: HIST frames of history then the block */
struct stage {
	float up[HIST + 2 * QUANTUM];
	float down[HIST + 4 * QUANTUM];
};

struct shaper {
	struct node node;
	/* control model */
	enum oversample over_model;
	struct curve *curve_model;	/* what `get` reports; owned by the render side too */
	/* render */
	enum oversample over;
	struct curve *curve;
	uint32_t chans;
	uint32_t ringing;		/* frames of filter tail still to play */
	float up_k[UP_TAPS];		/* interpolation kernel (half-sample shift) */
	float down_k[DOWN_TAPS / 2];	/* the half-band's odd taps (the even ones are 0 but
					 * the centre, which is 0.5) */
	struct stage (*st)[2];		/* [channel][stage] */
	float tmp[2][4 * QUANTUM];
};

static double sinc(double x)
{
	return x == 0 ? 1.0 : sin(M_PI * x) / (M_PI * x);
}

static double blackman(double i, double n)
{
	return 0.42 - 0.5 * cos(2 * M_PI * i / n) + 0.08 * cos(4 * M_PI * i / n);
}

static void design_kernels(struct shaper *s)
{
	int k;

	for (k = 0; k < UP_TAPS; k++)
		s->up_k[k] = (float)(sinc(k - UP_TAPS / 2 + 0.5) * blackman(k + 0.5, UP_TAPS));
	for (k = 1; k < DOWN_TAPS; k += 2)
		s->down_k[k / 2] = (float)(0.5 * sinc((k - DOWN_TAPS / 2) / 2.0) *
					   blackman(k, DOWN_TAPS));
}

/* x: n frames preceded by HIST frames of history in buf; writes 2n frames to y: the even
 * ones the input UP_TAPS/2 frames ago, the odd ones interpolated half a frame later */
static void upsample(const float *restrict k, float *restrict buf, const float *x, uint32_t n,
		     float *restrict y)
{
	uint32_t i, j;

	memcpy(buf + HIST, x, n * sizeof(float));
	for (i = 0; i < n; i++) {
		const float *h = buf + HIST + i;	/* h[-j] = x[i - j] */
		float acc = 0;
		for (j = 0; j < UP_TAPS; j++)
			acc += k[j] * h[-(int)j];
		y[2 * i] = h[-(UP_TAPS / 2)];
		y[2 * i + 1] = acc;
	}
	memmove(buf, buf + n, HIST * sizeof(float));
}

/* x: 2n frames; writes n frames to y: y[i] = sum_t h[t] x[2i - t] over the half-band */
static void downsample(const float *restrict k, float *restrict buf, const float *x, uint32_t n,
		       float *restrict y)
{
	uint32_t i, m;

	memcpy(buf + HIST, x, 2 * n * sizeof(float));
	for (i = 0; i < n; i++) {
		const float *h = buf + HIST + 2 * i;
		float acc = 0.5f * h[-(DOWN_TAPS / 2)];
		for (m = 0; m < DOWN_TAPS / 2; m++)
			acc += k[m] * h[-(int)(2 * m + 1)];
		y[i] = acc;
	}
	memmove(buf, buf + 2 * n, HIST * sizeof(float));
}

static void shape(const struct curve *c, float *x, uint32_t n)
{
	const float half = (float)(c->n - 1) / 2;
	const float last = c->v[c->n - 1];
	uint32_t i;

	for (i = 0; i < n; i++) {
		float v = half * (x[i] + 1);
		float k;
		if (!(v > 0)) {		/* also NaN input */
			x[i] = c->v[0];
			continue;
		}
		k = floorf(v);
		if (k >= (float)(c->n - 1)) {
			x[i] = last;
			continue;
		}
		{
			size_t ki = (size_t)k;
			float f = v - k;
			x[i] = (1 - f) * c->v[ki] + f * c->v[ki + 1];
		}
	}
}

static void shaper_process(struct node *n, const struct render_ctx *ctx)
{
	static const float zeros[QUANTUM];
	struct shaper *s = (struct shaper *)n;
	const struct bus *in = &n->in[0];
	struct bus *out = &n->out[0];
	uint32_t c, ch;

	(void)ctx;
	if (s->curve == NULL) {
		bus_copy_mix(out, in, INTERP_DISCRETE);
		out->channels = in->channels;
		if (in->silent)
			bus_silence(out, in->channels);
		return;
	}
	if (in->silent && s->ringing == 0) {
		/* a silent input still maps through the curve: curve(0) need not be 0 */
		if (s->over == OVER_NONE && s->curve->n % 2 == 1 && s->curve->v[s->curve->n / 2] == 0) {
			bus_silence(out, in->channels);
			return;
		}
	}
	ch = in->channels;
	if (in->silent && s->chans > ch)
		ch = s->chans;
	if (ch > s->chans)
		for (c = s->chans; c < ch; c++)
			memset(s->st[c], 0, sizeof(s->st[c]));
	s->chans = ch;
	out->channels = ch;
	out->silent = false;
	for (c = 0; c < ch; c++) {
		const float *x = in->silent || c >= in->channels ? zeros : in->data[c];
		float *y = out->data[c];
		switch (s->over) {
		case OVER_NONE:
			memcpy(y, x, sizeof(float) * QUANTUM);
			shape(s->curve, y, QUANTUM);
			break;
		case OVER_2X:
			upsample(s->up_k, s->st[c][0].up, x, QUANTUM, s->tmp[0]);
			shape(s->curve, s->tmp[0], 2 * QUANTUM);
			downsample(s->down_k, s->st[c][0].down, s->tmp[0], QUANTUM, y);
			break;
		case OVER_4X:
			upsample(s->up_k, s->st[c][0].up, x, QUANTUM, s->tmp[0]);
			upsample(s->up_k, s->st[c][1].up, s->tmp[0], 2 * QUANTUM, s->tmp[1]);
			shape(s->curve, s->tmp[1], 4 * QUANTUM);
			downsample(s->down_k, s->st[c][1].down, s->tmp[1], 2 * QUANTUM, s->tmp[0]);
			downsample(s->down_k, s->st[c][0].down, s->tmp[0], QUANTUM, y);
			break;
		}
	}
	if (!in->silent)
		s->ringing = s->over == OVER_NONE ? 0 : UP_TAPS + DOWN_TAPS;
	else if (s->ringing > QUANTUM)
		s->ringing -= QUANTUM;
	else
		s->ringing = 0;
	n->tail = s->ringing > 0;
}

/* curve: copied into a new allocation; NULL removes the curve */
static int curve_check(struct node *n, const struct value *v, void **staged, struct error *err)
{
	struct shaper *s = (struct shaper *)n;
	struct curve *c;
	size_t i;

	if (v->type == VALUE_NULL) {
		*staged = NULL;
		s->curve_model = NULL;
		return 0;
	}
	if (v->type != VALUE_ARRAY)
		return err_set(err, ERR_BAD_REQUEST, "expected an array of numbers or null, got %s",
			       value_type_name(v->type));
	if (v->arr.n < 2)
		return err_set(err, ERR_INVALID_STATE, "a curve needs at least 2 values, got %zu",
			       v->arr.n);
	if (v->arr.n > (1u << 24))
		return err_set(err, ERR_INVALID_VALUE, "a curve may have at most %u values",
			       1u << 24);
	c = malloc(sizeof(*c) + v->arr.n * sizeof(float));
	if (c == NULL)
		return err_set(err, ERR_INTERNAL, "out of memory");
	c->n = v->arr.n;
	for (i = 0; i < c->n; i++) {
		if (!isfinite(v->arr.v[i])) {
			free(c);
			return err_set(err, ERR_INVALID_VALUE, "[%zu]: must be finite", i);
		}
		c->v[i] = (float)v->arr.v[i];
	}
	*staged = c;
	s->curve_model = c;
	return 0;
}

/* undo of a curve change: the model's curve pointer as it was */
static void *curve_memo(const struct node *n)
{
	return ((const struct shaper *)n)->curve_model;
}

static void curve_undo(struct node *n, const struct value *old, void *memo)
{
	(void)old;
	((struct shaper *)n)->curve_model = memo;
}

static void curve_apply(struct node *n, const struct value *v, void **staged)
{
	struct shaper *s = (struct shaper *)n;
	struct curve *old = s->curve;

	(void)v;
	s->curve = *staged;
	*staged = old;
}

static void curve_release(struct node *n, void *staged)
{
	(void)n;
	free(staged);
}

static void curve_get(const struct node *n, struct value *v)
{
	const struct shaper *s = (const struct shaper *)n;

	/* VALUE_ARRAY holds doubles; `get` reports the length and the codec reads floats
	 * through waveshaper_curve() */
	v->type = s->curve_model ? VALUE_NUMBER : VALUE_NULL;
	v->num = s->curve_model ? (double)s->curve_model->n : 0;
}

static int over_check(struct node *n, const struct value *v, void **staged, struct error *err)
{
	struct shaper *s = (struct shaper *)n;
	struct option o = { "oversample", *v };
	int k;

	if (option_enum(&o, over_names, 3, &k, err) < 0)
		return -1;
	s->over_model = (enum oversample)k;
	*staged = (void *)&over_names[k];	/* static: no allocation, nothing to release */
	return 0;
}

static void over_apply(struct node *n, const struct value *v, void **staged)
{
	struct shaper *s = (struct shaper *)n;
	enum oversample o = (enum oversample)((const char *const *)*staged - over_names);

	(void)v;
	if (o != s->over) {
		uint32_t c;
		for (c = 0; c < s->chans; c++)
			memset(s->st[c], 0, sizeof(s->st[c]));
	}
	s->over = o;
	*staged = NULL;
}

static void over_get(const struct node *n, struct value *v)
{
	const struct shaper *s = (const struct shaper *)n;

	v->type = VALUE_STRING;
	v->str = over_names[s->over_model];
}

static int shaper_init(struct node *n, const struct option *opts, size_t n_opts,
		       struct error *err)
{
	static const char *const valid[] = { "curve", "oversample", NULL };
	struct shaper *s = (struct shaper *)n;
	size_t i;

	s->st = calloc(MAX_CHANNELS, sizeof(*s->st));
	if (s->st == NULL)
		return err_set(err, ERR_INTERNAL, "out of memory");
	design_kernels(s);
	for (i = 0; i < n_opts; i++) {
		void *staged = NULL;
		if (strcmp(opts[i].name, "curve") == 0) {
			if (curve_check(n, &opts[i].value, &staged, err) < 0)
				return -1;
			free(s->curve);
			s->curve = staged;
		} else if (strcmp(opts[i].name, "oversample") == 0) {
			if (over_check(n, &opts[i].value, &staged, err) < 0)
				return -1;
			s->over = s->over_model;
		} else {
			return node_bad_option(n, opts[i].name, valid, err);
		}
	}
	return 0;
}

static void shaper_fini(struct node *n)
{
	struct shaper *s = (struct shaper *)n;

	free(s->curve);
	free(s->st);
}

/* control: the curve as the model has it (NULL when none), for `get` and `save` */
const float *waveshaper_curve(const struct node *n, size_t *len);
const float *waveshaper_curve(const struct node *n, size_t *len)
{
	const struct shaper *s = (const struct shaper *)n;

	*len = s->curve_model ? s->curve_model->n : 0;
	return s->curve_model ? s->curve_model->v : NULL;
}

static const struct attr_desc shaper_attrs[] = {
	{ "curve", curve_check, curve_apply, curve_release, curve_get, curve_memo, curve_undo },
	{ "oversample", over_check, over_apply, NULL, over_get, NULL, NULL },
};

const struct node_kind waveshaper_kind = {
	.name = "WaveShaperNode",
	.size = sizeof(struct shaper),
	.inputs = 1,
	.outputs = 1,
	.channel_count = 2,
	.count_mode = COUNT_MAX,
	.interp = INTERP_SPEAKERS,
	.attrs = shaper_attrs,
	.n_attrs = 2,
	.init = shaper_init,
	.process = shaper_process,
	.fini = shaper_fini,
};
