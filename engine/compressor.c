/* DynamicsCompressorNode: the spec's internal graph (a 6 ms pre-delay, a gain driven by an
 * EnvelopeFollower) with its detector / compressor-gain / makeup-gain algorithm.
 * init, the reduction attribute's check/get: control thread.
 * process: render thread; no allocation, no locks. */
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "compressor.h"
#include "node.h"

enum { THRESHOLD, KNEE, RATIO, ATTACK, RELEASE, N_PARAMS };

/* all k-rate, and the rate may not change (InvalidStateError) */
static const struct param_desc compressor_params[] = {
	[THRESHOLD] = { "threshold", -24.0f, -100.0f, 0.0f, true, true },
	[KNEE] = { "knee", 30.0f, 0.0f, 40.0f, true, true },
	[RATIO] = { "ratio", 12.0f, 1.0f, 20.0f, true, true },
	[ATTACK] = { "attack", 0.003f, 0.0f, 1.0f, true, true },
	[RELEASE] = { "release", 0.25f, 0.0f, 1.0f, true, true },
};

#define PRE_DELAY 0.006			/* s: the internal DelayNode's delayTime */
#define DELAY_MAX 4608			/* PRE_DELAY at the engine's highest rate, 768 kHz */
#define SILENCE 0.0001			/* |input| below this: attenuation 1 */
/* detector release: the detector average climbs back toward 1 at this many dB per
 * DETECTOR_TIME seconds, at least, and faster the deeper the attenuation (adaptive release) */
#define DETECTOR_TIME 0.0025
#define DETECTOR_MIN_DB 2.0
#define DETECTOR_MIN_ATT 0.7943282347242815	/* 10^(-DETECTOR_MIN_DB / 20) */

struct compressor {
	struct node node;
	_Atomic float reduction;	/* [[internal reduction]], dB: written each quantum */
	/* render */
	struct compressor_curve curve;
	float key[3];			/* threshold, knee, ratio the curve was made for */
	bool have_curve;
	double makeup;
	double detector_average;	/* [[detector average]] */
	double compressor_gain;		/* [[compressor gain]] */
	uint32_t delay_len, pos, chans;
	bool delay_live;		/* the delay line holds non-zero samples */
	float delay[2][DELAY_MAX];
	float gain[QUANTUM];
	float level[QUANTUM];
};

static const float zeros[QUANTUM];

/* --- the static curve --------------------------------------------------------------------- */

/* the knee: T + (1 - e^(-k (x - T))) / k, which leaves the identity with slope 1 at T and
 * bends down monotonically; k is chosen so that at the knee's end its slope in dB equals
 * 1/ratio, where the linear part takes over: the whole curve is continuous and smooth */
static double knee_value(const struct compressor_curve *c, double x)
{
	if (c->k == 0)
		return x;
	return c->t + (1 - exp(-c->k * (x - c->t))) / c->k;
}

/* slope in dB/dB of the knee at its end, for u = k (K - T) */
static double knee_end_slope(double t, double kk, double u)
{
	double e = exp(-u), w = kk - t;

	return e * kk / (t + w * (u > 1e-12 ? (1 - e) / u : 1));
}

void compressor_curve_make(struct compressor_curve *c, double threshold_db, double knee_db,
			   double ratio)
{
	double lo, hi;

	c->t = pow(10, threshold_db / 20);
	c->kk = pow(10, (threshold_db + knee_db) / 20);
	c->inv_ratio = 1 / ratio;
	c->k = 0;
	if (knee_db > 0 && ratio > 1) {
		/* the slope falls from 1 (u -> 0) toward 0 as u grows: bisect on log u */
		lo = log(1e-9);
		hi = log(1e6);
		for (int i = 0; i < 100; i++) {
			double mid = (lo + hi) / 2;
			if (knee_end_slope(c->t, c->kk, exp(mid)) > c->inv_ratio)
				lo = mid;
			else
				hi = mid;
		}
		c->k = exp((lo + hi) / 2) / (c->kk - c->t);
	}
	c->yk = knee_value(c, c->kk);
}

double compressor_curve_apply(const struct compressor_curve *c, double x)
{
	if (x <= c->t)
		return x;
	if (x < c->kk)
		return knee_value(c, x);
	/* linear in dB with slope 1/ratio from the knee's end */
	return c->yk * pow(x / c->kk, c->inv_ratio);
}

double compressor_makeup_gain(const struct compressor_curve *c)
{
	return pow(1 / compressor_curve_apply(c, 1.0), 0.6);
}

/* --- rendering ---------------------------------------------------------------------------- */

static void curve_update(struct compressor *x)
{
	const struct param *p = x->node.params;
	float k[3] = { p[THRESHOLD].values[0], p[KNEE].values[0], p[RATIO].values[0] };

	if (x->have_curve && memcmp(k, x->key, sizeof(k)) == 0)
		return;
	compressor_curve_make(&x->curve, k[0], k[1], k[2]);
	x->makeup = compressor_makeup_gain(&x->curve);
	memcpy(x->key, k, sizeof(k));
	x->have_curve = true;
}

/* the EnvelopeFollower over one quantum: level[] holds max |input| over channels; writes
 * gain[] = reduction gain (compressor gain * makeup) per sample */
static void envelope(struct compressor *x, double fs)
{
	const struct param *p = x->node.params;
	/* envelope rates: attacking closes 10 dB of the distance to the detector average per
	 * `attack` seconds; releasing raises the gain by 10 dB per `release` seconds */
	double atk_frames = fmax(p[ATTACK].values[0] * fs, 1);
	double rel_frames = fmax(p[RELEASE].values[0] * fs, 1);
	double atk_rate = 1 - pow(10, -0.5 / atk_frames);
	double rel_rate = pow(10, 0.5 / rel_frames);
	double det_frames = fmax(DETECTOR_TIME * fs, 1);
	double det_slow = pow(10, DETECTOR_MIN_DB / 20 / det_frames) - 1;
	double avg = x->detector_average, g = x->compressor_gain, makeup = x->makeup;

	for (int i = 0; i < QUANTUM; i++) {
		double in = x->level[i], att, rate;
		bool releasing;

		att = in < SILENCE ? 1 : compressor_curve_apply(&x->curve, in) / in;
		releasing = att > g;
		/* detector curve: follows a deeper attenuation at once (a peak detector), and
		 * recovers at a rate that grows with the attenuation's depth */
		if (att <= avg) {
			rate = 1;
		} else if (att >= DETECTOR_MIN_ATT) {
			rate = det_slow;
		} else {
			rate = pow(10, -log10(att) / det_frames) - 1;
			rate = rate > 1 ? 1 : rate;
		}
		avg += (att - avg) * rate;
		if (avg > 1)
			avg = 1;
		if (releasing) {
			g *= rel_rate;
			if (g > 1)
				g = 1;
		} else {
			g += (avg - g) * atk_rate;
		}
		x->gain[i] = (float)(g * makeup);
	}
	/* the average creeps toward 1 in silence; settle it so a quiet node stops working */
	if (1 - avg < 1e-9)
		avg = 1;
	x->detector_average = avg;
	x->compressor_gain = g;
	/* the attribute reports the compressor's gain reduction without the makeup stage: the
	 * spec's attribute text requires 0 dB for no signal, which makeup would contradict */
	atomic_store_explicit(&x->reduction, g > 0 ? (float)(20 * log10(g)) : -1000.0f,
			      memory_order_relaxed);
}

static bool settled(const struct compressor *x)
{
	return !x->delay_live && x->compressor_gain == 1 && x->detector_average == 1;
}

static void compressor_process(struct node *n, const struct render_ctx *ctx)
{
	struct compressor *x = (struct compressor *)n;
	const struct bus *in = &n->in[0];
	struct bus *out = &n->out[0];
	uint32_t nch, len = x->delay_len, pos = x->pos;
	bool live = false;

	if (in->silent && settled(x)) {
		bus_silence(out, in->channels);
		atomic_store_explicit(&x->reduction, 0.0f, memory_order_relaxed);
		n->tail = false;
		return;
	}
	curve_update(x);
	nch = in->silent ? (x->chans ? x->chans : 1) : in->channels;
	if (nch != x->chans) {
		memset(x->delay, 0, sizeof(x->delay));
		x->chans = nch;
	}
	/* the detector reads the undelayed input: the pre-delay is its look-ahead */
	if (in->silent) {
		memset(x->level, 0, sizeof(x->level));
	} else if (nch == 1) {
		for (int i = 0; i < QUANTUM; i++)
			x->level[i] = fabsf(in->data[0][i]);
	} else {
		for (int i = 0; i < QUANTUM; i++)
			x->level[i] = fmaxf(fabsf(in->data[0][i]), fabsf(in->data[1][i]));
	}
	envelope(x, ctx->sample_rate);
	for (uint32_t c = 0; c < nch; c++) {
		const float *s = in->silent ? zeros : in->data[c];
		float *restrict d = out->data[c], *restrict line = x->delay[c];
		uint32_t q = pos;
		for (int i = 0; i < QUANTUM; i++) {
			float v = line[q];
			line[q] = s[i];
			d[i] = v * x->gain[i];
			if (++q == len)
				q = 0;
		}
	}
	x->pos = (uint32_t)((pos + QUANTUM) % len);
	for (uint32_t c = 0; c < nch && !live; c++)
		for (uint32_t i = 0; i < len; i++)
			if (x->delay[c][i] != 0.0f) {
				live = true;
				break;
			}
	x->delay_live = live;
	out->channels = nch;
	out->silent = false;
	n->tail = !settled(x);
}

/* --- control side ------------------------------------------------------------------------- */

static int reduction_check(struct node *n, const struct value *v, void **staged,
			   struct error *err)
{
	(void)n;
	(void)v;
	(void)staged;
	return err_set(err, ERR_INVALID_VALUE, "read-only");
}

static void reduction_apply(struct node *n, const struct value *v, void **staged)
{
	(void)n;
	(void)v;
	(void)staged;
}

static void reduction_get(const struct node *n, struct value *v)
{
	struct compressor *x = (struct compressor *)n;

	v->type = VALUE_NUMBER;
	v->num = atomic_load_explicit(&x->reduction, memory_order_relaxed);
}

static const struct attr_desc compressor_attrs[] = {
	{ .name = "reduction", .check = reduction_check, .apply = reduction_apply,
	  .get = reduction_get },
};

static int compressor_check_channels(struct node *n, uint32_t count, enum count_mode mode,
				     enum interp interp, struct error *err)
{
	(void)n;
	(void)interp;
	if (count > 2)
		return err_set(err, ERR_NOT_SUPPORTED,
			       "channelCount: DynamicsCompressorNode takes at most 2 channels, "
			       "not %u", (unsigned)count);
	if (mode == COUNT_MAX)
		return err_set(err, ERR_NOT_SUPPORTED,
			       "channelCountMode: DynamicsCompressorNode cannot use \"max\"");
	return 0;
}

static int compressor_init(struct node *n, const struct option *opts, size_t n_opts,
			   struct error *err)
{
	struct compressor *x = (struct compressor *)n;
	long len = lround(PRE_DELAY * n->sample_rate);

	if (n_opts)
		return node_bad_option(n, opts[0].name, NULL, err);
	x->delay_len = (uint32_t)(len < 1 ? 1 : len > DELAY_MAX ? DELAY_MAX : len);
	x->detector_average = 0.0;
	x->compressor_gain = 1.0;
	atomic_store_explicit(&x->reduction, 0.0f, memory_order_relaxed);
	return 0;
}

const struct node_kind compressor_kind = {
	.name = "DynamicsCompressorNode",
	.size = sizeof(struct compressor),
	.inputs = 1,
	.outputs = 1,
	.channel_count = 2,
	.count_mode = COUNT_CLAMPED_MAX,
	.interp = INTERP_SPEAKERS,
	.params = compressor_params,
	.n_params = N_PARAMS,
	.attrs = compressor_attrs,
	.n_attrs = 1,
	.init = compressor_init,
	.check_channels = compressor_check_channels,
	.process = compressor_process,
};
