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
#define SILENCE 0.0001f			/* |input| at or below this: attenuation 1 */
#define DIVISION 32			/* frames sharing one envelope rate */
#define DETECTOR_TIME 0.0025f		/* s: the detector's release time constant */
#define METER_TIME 0.325		/* s: the reduction meter's release time constant */

/* the envelope and detector curves the spec leaves to the implementation, chosen as the
 * reference engines have them so that levels agree:
 * - attack: per DIVISION frames, the rate that closes the gap to the detector's gain
 *   (pre-warped by asin, the output warped back by sin) from the largest difference seen
 *   so far in this attack, d dB, down to 0.25 dB over `attack` seconds;
 * - release: adaptive, 5 dB per a number of frames that a 4th-order polynomial gives from
 *   the depth of the compression, through 0.09, 0.16, 0.42 and 0.98 times `release` at
 *   -12, -8, -4 and 0 dB;
 * - detector: follows a deeper attenuation at once, recovers at the attenuation's depth
 *   (at least 2 dB) per DETECTOR_TIME. */
static const float release_zone[4] = { 0.09f, 0.16f, 0.42f, 0.98f };
/* the polynomial through (0, z1), (1, z2), (2, z3), (3, z4): coefficient j = sum_i m[j][i] zi */
static const double release_fit[5][4] = {
	{ 0.9999999999999998, 1.8432219684323923e-16, -1.9373394351676423e-16,
	  8.824516011816245e-18 },
	{ -1.5788320352845888, 2.3305837032074286, -0.9141194204840429, 0.1623677525612032 },
	{ 0.5334142869106424, -1.272736789213631, 0.9258856042207512, -0.18656310191776226 },
	{ 0.08783463138207234, -0.1694162967925622, 0.08588057951595272,
	  -0.00429891410546283 },
	{ -0.042416883008123074, 0.1115693827987602, -0.09764676325265872,
	  0.028494263462021576 },
};

struct compressor {
	struct node node;
	_Atomic float reduction;	/* [[internal reduction]], dB: written each quantum */
	/* render */
	struct compressor_curve curve;
	float key[3];			/* threshold, knee, ratio the curve was made for */
	bool have_curve;
	double makeup;
	float detector_average;		/* [[detector average]] */
	float compressor_gain;		/* [[compressor gain]] */
	float max_attack_db;		/* largest difference of this attack; -1: releasing */
	double meter;			/* reduction meter, dB (double: its slow release
					 * would stall in float steps near the target) */
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

static float to_db(float x)
{
	return x > 0 ? 20 * log10f(x) : -1000.0f;
}

/* the rate from the compressor gain g toward `scaled`, the pre-warped detector gain */
static float envelope_rate(struct compressor *x, float g, float scaled, const float poly[5],
			   float attack_frames)
{
	bool releasing = scaled > g;
	float diff = scaled == 0 ? (releasing ? -1 : 1) : to_db(g / scaled);

	if (releasing) {
		float u = diff < -12 ? -12 : diff > 0 ? 0 : diff, frames;
		x->max_attack_db = -1;
		u = 0.25f * (u + 12);
		frames = poly[0] + u * (poly[1] + u * (poly[2] + u * (poly[3] + u * poly[4])));
		return powf(10, 5 / frames / 20);
	}
	if (x->max_attack_db == -1 || x->max_attack_db < diff)
		x->max_attack_db = diff;
	return 1 - powf(0.25f / fmaxf(0.5f, x->max_attack_db), 1 / attack_frames);
}

/* the EnvelopeFollower over one quantum: level[] holds max |input| over channels; writes
 * gain[] = reduction gain (warped compressor gain * makeup) per sample */
static void envelope(struct compressor *x, double fs)
{
	const struct param *p = x->node.params;
	const float attack_frames = fmaxf(0.001f, p[ATTACK].values[0]) * (float)fs;
	const float release_frames = p[RELEASE].values[0] * (float)fs;
	const float detector_frames = DETECTOR_TIME * (float)fs;
	const double meter_k = 1 - exp(-1 / (fs * METER_TIME));
	const float half_pi = (float)(M_PI / 2), makeup = (float)x->makeup;
	float avg = x->detector_average, g = x->compressor_gain, poly[5];
	double meter = x->meter;

	for (int j = 0; j < 5; j++) {
		double c = 0;
		for (int i = 0; i < 4; i++)
			c += release_fit[j][i] * release_zone[i];
		poly[j] = release_frames * (float)c;
	}
	for (int d = 0; d < QUANTUM; d += DIVISION) {
		const float scaled = asinf(avg < 1 ? avg : 1) / half_pi;
		const float rate = envelope_rate(x, g, scaled, poly, attack_frames);

		for (int i = d; i < d + DIVISION; i++) {
			float in = x->level[i], att, warped;

			att = in <= SILENCE ? 1 : (float)compressor_curve_apply(&x->curve, in) / in;
			if (att > avg) {
				float db = fmaxf(2, -to_db(att));
				avg += (att - avg) * (powf(10, db / detector_frames / 20) - 1);
			} else {
				avg = att;
			}
			avg = avg > 1 ? 1 : avg;
			if (rate < 1) {
				g += (scaled - g) * rate;
			} else {
				g *= rate;
				g = g > 1 ? 1 : g;
			}
			warped = (float)sin((double)(half_pi * g));
			x->gain[i] = makeup * warped;
			/* the meter hits peaks at once and releases slowly */
			if (to_db(warped) < meter)
				meter = to_db(warped);
			else
				meter += (to_db(warped) - meter) * meter_k;
		}
	}
	x->detector_average = isfinite(avg) ? avg : 1;
	x->compressor_gain = isfinite(g) ? g : 1;
	x->meter = meter;
	atomic_store_explicit(&x->reduction, (float)meter, memory_order_relaxed);
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
	long len = (long)(PRE_DELAY * n->sample_rate);	/* whole frames, rounded down */

	if (n_opts)
		return node_bad_option(n, opts[0].name, NULL, err);
	x->delay_len = (uint32_t)(len < 1 ? 1 : len > DELAY_MAX ? DELAY_MAX : len);
	x->detector_average = 0.0f;
	x->compressor_gain = 1.0f;
	x->max_attack_db = -1;
	x->meter = 0;
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
