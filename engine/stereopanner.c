/* StereoPannerNode: equal-power panning of a mono or stereo input into a stereo output.
 * check_channels: control thread.  process: render thread; no allocation, no locks.
 * gains are computed in double, as the spec's Math.cos/Math.sin are, then applied in float. */
#include <math.h>

#include "node.h"

enum { PAN };

static const struct param_desc stereo_panner_params[] = {
	[PAN] = { .name = "pan", .def = 0.0f, .min = -1.0f, .max = 1.0f },
};

/* the spec's channelCount and channelCountMode constraints, both NotSupportedError */
static int stereo_panner_check_channels(struct node *n, uint32_t count, enum count_mode mode,
					enum interp interp, struct error *err)
{
	(void)n;
	(void)interp;
	if (count > 2)
		return err_set(err, ERR_NOT_SUPPORTED,
			       "channelCount: StereoPannerNode takes at most 2 channels, not %u",
			       (unsigned)count);
	if (mode == COUNT_MAX)
		return err_set(err, ERR_NOT_SUPPORTED,
			       "channelCountMode: StereoPannerNode cannot use \"max\"");
	return 0;
}

struct stereo_coef {
	float ll, rl, rr, lr;
};

static double clamp_pan(float pan)
{
	double p = pan;

	return p < -1.0 ? -1.0 : p > 1.0 ? 1.0 : p;
}

/* gainL, gainR for normalised position x in [0, 1] */
static void pan_gains(double x, float *gl, float *gr)
{
	*gl = (float)cos(x * M_PI / 2);
	*gr = (float)sin(x * M_PI / 2);
}

static void mono_gains(float pan, float *gl, float *gr)
{
	pan_gains((clamp_pan(pan) + 1) / 2, gl, gr);
}

/* stereo: the side the pan moves away from is folded into the other with gain g; the
 * returned coefficients make outL = inL*ll + inR*rl and outR = inR*rr + inL*lr exact for both
 * signs of pan, since x*1 and x*0 + y are exact */
static struct stereo_coef stereo_gains(float pan)
{
	double p = clamp_pan(pan);
	struct stereo_coef k;
	float gl, gr;

	if (p <= 0) {
		pan_gains(p + 1, &gl, &gr);
		k = (struct stereo_coef){ .ll = 1.0f, .rl = gl, .rr = gr, .lr = 0.0f };
	} else {
		pan_gains(p, &gl, &gr);
		k = (struct stereo_coef){ .ll = gl, .rl = 0.0f, .rr = 1.0f, .lr = gr };
	}
	return k;
}

/* the gains of a constant pan.  they are a pure function of it, and a pan that stays put
 * would spend most of the node's work on their cos and sin every quantum: a one-entry memo
 * keeps the last ones (per thread, as engines may render on several) */
struct gains {
	bool valid;
	float pan;
	float gl, gr;			/* mono input */
	struct stereo_coef k;		/* stereo input */
};

static const struct gains *gains_for(float pan)
{
	static _Thread_local struct gains memo;

	if (!memo.valid || memo.pan != pan) {
		mono_gains(pan, &memo.gl, &memo.gr);
		memo.k = stereo_gains(pan);
		memo.pan = pan;
		memo.valid = true;
	}
	return &memo;
}

static void pan_mono_const(const float *restrict in, float *restrict l, float *restrict r,
			   float gl, float gr)
{
	for (int i = 0; i < QUANTUM; i++) {
		l[i] = in[i] * gl;
		r[i] = in[i] * gr;
	}
}

static void pan_mono_varying(const float *restrict in, float *restrict l, float *restrict r,
			     const float *pan)
{
	float gl[QUANTUM], gr[QUANTUM];

	for (int i = 0; i < QUANTUM; i++)
		mono_gains(pan[i], &gl[i], &gr[i]);
	for (int i = 0; i < QUANTUM; i++) {
		l[i] = in[i] * gl[i];
		r[i] = in[i] * gr[i];
	}
}

static void pan_stereo_const(const float *restrict il, const float *restrict ir,
			     float *restrict l, float *restrict r, float pan,
			     const struct stereo_coef *kp)
{
	const struct stereo_coef k = *kp;

	if (clamp_pan(pan) <= 0) {
		for (int i = 0; i < QUANTUM; i++) {
			l[i] = il[i] + ir[i] * k.rl;
			r[i] = ir[i] * k.rr;
		}
	} else {
		for (int i = 0; i < QUANTUM; i++) {
			l[i] = il[i] * k.ll;
			r[i] = ir[i] + il[i] * k.lr;
		}
	}
}

static void pan_stereo_varying(const float *restrict il, const float *restrict ir,
			       float *restrict l, float *restrict r, const float *pan)
{
	float ll[QUANTUM], rl[QUANTUM], rr[QUANTUM], lr[QUANTUM];

	for (int i = 0; i < QUANTUM; i++) {
		struct stereo_coef k = stereo_gains(pan[i]);
		ll[i] = k.ll;
		rl[i] = k.rl;
		rr[i] = k.rr;
		lr[i] = k.lr;
	}
	for (int i = 0; i < QUANTUM; i++) {
		l[i] = il[i] * ll[i] + ir[i] * rl[i];
		r[i] = ir[i] * rr[i] + il[i] * lr[i];
	}
}

static void stereo_panner_process(struct node *n, const struct render_ctx *ctx)
{
	const struct bus *in = &n->in[0];
	struct bus *out = &n->out[0];
	const struct param *pan = &n->params[PAN];
	float *l = out->data[0], *r = out->data[1];

	(void)ctx;
	if (in->silent) {
		bus_silence(out, 2);
		return;
	}
	out->channels = 2;
	out->silent = false;
	/* check_channels keeps the computed count at 1 or 2 */
	if (in->channels == 1) {
		if (pan->constant) {
			const struct gains *g = gains_for(pan->values[0]);

			pan_mono_const(in->data[0], l, r, g->gl, g->gr);
		} else {
			pan_mono_varying(in->data[0], l, r, pan->values);
		}
	} else {
		if (pan->constant)
			pan_stereo_const(in->data[0], in->data[1], l, r, pan->values[0],
					 &gains_for(pan->values[0])->k);
		else
			pan_stereo_varying(in->data[0], in->data[1], l, r, pan->values);
	}
}

const struct node_kind stereo_panner_kind = {
	.name = "StereoPannerNode",
	.size = sizeof(struct node),
	.inputs = 1,
	.outputs = 1,
	.channel_count = 2,
	.count_mode = COUNT_CLAMPED_MAX,
	.interp = INTERP_SPEAKERS,
	.params = stereo_panner_params,
	.n_params = 1,
	.check_channels = stereo_panner_check_channels,
	.process = stereo_panner_process,
};
