/* BiquadFilterNode: the spec's eight second-order filters, direct form I in double.
 * init, the type attribute's check/get and biquad_frequency_response: control thread.
 * process and the type attribute's apply: render thread; no allocation, no locks. */
#include <complex.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "biquad.h"
#include "engine.h"
#include "node.h"

enum { FREQUENCY, DETUNE, Q, GAIN, N_PARAMS };

/* the spec's nominal ranges: detune ±1200·log2(FLT_MAX), gain up to 40·log10(FLT_MAX);
 * frequency's maximum is the Nyquist frequency, set per node in init */
static const struct param_desc biquad_params[] = {
	[FREQUENCY] = { .name = "frequency", .def = 350.0f, .min = 0.0f, .max = FLT_MAX },
	[DETUNE] = { .name = "detune", .def = 0.0f, .min = -153600.0f, .max = 153600.0f },
	[Q] = { .name = "Q", .def = 1.0f, .min = -FLT_MAX, .max = FLT_MAX },
	[GAIN] = { .name = "gain", .def = 0.0f, .min = -FLT_MAX, .max = 1541.273576764145f },
};

/* lowpass and highpass read Q in dB; beyond ±Q_LIM 10^(Q/20) overflows a float */
#define Q_LIM 770.6367883820725

/* once the input is silent and every channel's output state is below this, the filter
 * has rung out: the state is cleared and the output goes silent (about -200 dBFS) */
#define TAIL_FLOOR 1e-10

static const char *const type_names[] = {
	"lowpass", "highpass", "bandpass", "lowshelf",
	"highshelf", "peaking", "notch", "allpass",
};
#define N_TYPES ((int)(sizeof(type_names) / sizeof(type_names[0])))

/* apply receives a pointer into this table as its staged value, so a type change needs no
 * allocation and does not depend on the lifetime of the string it was checked from */
static const enum biquad_type type_table[] = {
	BIQUAD_LOWPASS, BIQUAD_HIGHPASS, BIQUAD_BANDPASS, BIQUAD_LOWSHELF,
	BIQUAD_HIGHSHELF, BIQUAD_PEAKING, BIQUAD_NOTCH, BIQUAD_ALLPASS,
};

/* direct form I memory of one channel */
struct df1 {
	double x1, x2, y1, y2;
};

struct biquad {
	struct node node;
	struct param_desc freq_desc;	/* frequency, with max = Nyquist */
	enum biquad_type type_model;	/* control */
	/* render */
	enum biquad_type type;
	uint32_t chans;			/* channels the state belongs to */
	bool ringing;			/* some state is non-zero */
	bool cached;			/* `coef` holds the coefficients for the key below */
	float key[N_PARAMS];
	enum biquad_type key_type;
	struct biquad_coef coef;
	struct df1 st[MAX_CHANNELS];
	/* per-sample coefficients when a param varies within the quantum */
	double b0[QUANTUM], b1[QUANTUM], b2[QUANTUM], a1[QUANTUM], a2[QUANTUM];
};

static const float zeros[QUANTUM];

static struct biquad_coef coef_norm(double b0, double b1, double b2, double a0, double a1,
				    double a2)
{
	return (struct biquad_coef){ b0 / a0, b1 / a0, b2 / a0, a1 / a0, a2 / a0 };
}

/* H(z) = k, a constant gain */
static struct biquad_coef coef_gain(double k)
{
	return (struct biquad_coef){ k, 0, 0, 0, 0 };
}

/* what the coefficients need of Q and gain, computed once when those are constant */
struct shape {
	double q;	/* clamped to ±Q_LIM for lowpass and highpass */
	double qlin;	/* 10^(q/20): lowpass and highpass read Q in dB */
	double a;	/* 10^(gain/40) */
};

static struct shape shape_for(enum biquad_type type, double q, double g)
{
	struct shape sh = { q, 1, pow(10, g / 40) };

	if (type == BIQUAD_LOWPASS || type == BIQUAD_HIGHPASS) {
		sh.q = q < -Q_LIM ? -Q_LIM : q > Q_LIM ? Q_LIM : q;
		sh.qlin = pow(10, sh.q / 20);
	}
	return sh;
}

static struct biquad_coef coef_lowpass(double w0, double qlin, bool at_nyquist)
{
	double c = cos(w0), alpha;

	/* the limits of the transfer function at the band edges (poles and zeros cancel) */
	if (at_nyquist)
		return coef_gain(1);
	if (w0 <= 0)
		return coef_gain(0);
	alpha = sin(w0) / (2 * qlin);
	return coef_norm((1 - c) / 2, 1 - c, (1 - c) / 2, 1 + alpha, -2 * c, 1 - alpha);
}

static struct biquad_coef coef_highpass(double w0, double qlin, bool at_nyquist)
{
	double c = cos(w0), alpha;

	if (at_nyquist)
		return coef_gain(0);
	if (w0 <= 0)
		return coef_gain(1);
	alpha = sin(w0) / (2 * qlin);
	return coef_norm((1 + c) / 2, -(1 + c), (1 + c) / 2, 1 + alpha, -2 * c, 1 - alpha);
}

/* bandpass, notch, allpass and peaking share alpha_Q and their limits at Q <= 0 */
static struct biquad_coef coef_q(enum biquad_type t, double w0, double q, double a,
				 bool at_nyquist)
{
	double c = cos(w0), alpha;

	if (w0 <= 0 || at_nyquist)
		return coef_gain(t == BIQUAD_BANDPASS ? 0 : 1);
	if (q <= 0) {
		switch (t) {
		case BIQUAD_BANDPASS: return coef_gain(1);
		case BIQUAD_NOTCH: return coef_gain(0);
		case BIQUAD_ALLPASS: return coef_gain(-1);
		default: return coef_gain(a * a);	/* peaking */
		}
	}
	alpha = sin(w0) / (2 * q);
	switch (t) {
	case BIQUAD_BANDPASS:
		return coef_norm(alpha, 0, -alpha, 1 + alpha, -2 * c, 1 - alpha);
	case BIQUAD_NOTCH:
		return coef_norm(1, -2 * c, 1, 1 + alpha, -2 * c, 1 - alpha);
	case BIQUAD_ALLPASS:
		return coef_norm(1 - alpha, -2 * c, 1 + alpha, 1 + alpha, -2 * c, 1 - alpha);
	default:
		return coef_norm(1 + alpha * a, -2 * c, 1 - alpha * a, 1 + alpha / a, -2 * c,
				 1 - alpha / a);
	}
}

/* S = 1 makes the (A + 1/A)(1/S - 1) term of alpha_S zero; writing it out would turn an
 * infinite 1/A into NaN for very negative gains */
static struct biquad_coef coef_shelf(bool low, double w0, double a, bool at_nyquist)
{
	double c = cos(w0), alpha_s = sin(w0) / 2 * sqrt(2.0), k = 2 * alpha_s * sqrt(a);

	if (at_nyquist)
		return coef_gain(low ? a * a : 1);
	if (w0 <= 0)
		return coef_gain(low ? 1 : a * a);
	if (low)
		return coef_norm(a * ((a + 1) - (a - 1) * c + k), 2 * a * ((a - 1) - (a + 1) * c),
				 a * ((a + 1) - (a - 1) * c - k), (a + 1) + (a - 1) * c + k,
				 -2 * ((a - 1) + (a + 1) * c), (a + 1) + (a - 1) * c - k);
	return coef_norm(a * ((a + 1) + (a - 1) * c + k), -2 * a * ((a - 1) + (a + 1) * c),
			 a * ((a + 1) + (a - 1) * c - k), (a + 1) - (a - 1) * c + k,
			 2 * ((a - 1) - (a + 1) * c), (a + 1) - (a - 1) * c - k);
}

static struct biquad_coef coef_shaped(enum biquad_type type, double f0, const struct shape *sh,
				      double fs)
{
	double nyquist = fs / 2, w0;
	bool at_nyquist;

	/* the compound parameter's nominal range is [0, Nyquist]; NaN counts as 0 */
	if (!(f0 > 0))
		f0 = 0;
	at_nyquist = f0 >= nyquist;
	w0 = 2 * M_PI * (at_nyquist ? nyquist : f0) / fs;
	switch (type) {
	case BIQUAD_LOWPASS:
		return coef_lowpass(w0, sh->qlin, at_nyquist);
	case BIQUAD_HIGHPASS:
		return coef_highpass(w0, sh->qlin, at_nyquist);
	case BIQUAD_LOWSHELF:
	case BIQUAD_HIGHSHELF:
		return coef_shelf(type == BIQUAD_LOWSHELF, w0, sh->a, at_nyquist);
	default:
		return coef_q(type, w0, sh->q, sh->a, at_nyquist);
	}
}

struct biquad_coef biquad_coefficients(enum biquad_type type, double f0, double q, double g,
				       double fs)
{
	struct shape sh = shape_for(type, q, g);

	return coef_shaped(type, f0, &sh, fs);
}

/* computedFrequency = frequency · 2^(detune/1200) */
static double computed_frequency(double f, double detune)
{
	return detune == 0 ? f : f * exp2(detune / 1200);
}

static struct biquad_coef coef_for(const struct biquad *b, enum biquad_type t, const float k[])
{
	return biquad_coefficients(t, computed_frequency(k[FREQUENCY], k[DETUNE]), k[Q], k[GAIN],
				   b->node.sample_rate);
}

/* --- rendering ---------------------------------------------------------------------- */

static void run_const(struct df1 *s, const struct biquad_coef *k, const float *restrict x,
		      float *restrict y)
{
	double x1 = s->x1, x2 = s->x2, y1 = s->y1, y2 = s->y2;

	for (int i = 0; i < QUANTUM; i++) {
		double x0 = x[i];
		double y0 = k->b0 * x0 + k->b1 * x1 + k->b2 * x2 - k->a1 * y1 - k->a2 * y2;
		x2 = x1;
		x1 = x0;
		y2 = y1;
		y1 = y0;
		y[i] = (float)y0;
	}
	*s = (struct df1){ x1, x2, y1, y2 };
}

static void run_varying(struct df1 *s, const struct biquad *b, const float *restrict x,
			float *restrict y)
{
	double x1 = s->x1, x2 = s->x2, y1 = s->y1, y2 = s->y2;

	for (int i = 0; i < QUANTUM; i++) {
		double x0 = x[i];
		double y0 = b->b0[i] * x0 + b->b1[i] * x1 + b->b2[i] * x2 - b->a1[i] * y1 -
			    b->a2[i] * y2;
		x2 = x1;
		x1 = x0;
		y2 = y1;
		y1 = y0;
		y[i] = (float)y0;
	}
	*s = (struct df1){ x1, x2, y1, y2 };
}

/* two channels at once: each output waits on the one before (a multiply and two
 * subtractions), so one channel alone leaves the FPU idle most of the time; two
 * independent recursions interleave.  per channel the arithmetic is run_const's, in the
 * same order. */
static void run_const_pair(struct df1 *sa, struct df1 *sb, const struct biquad_coef *k,
			   const float *restrict xa, const float *restrict xb,
			   float *restrict ya, float *restrict yb)
{
	const double b0 = k->b0, b1 = k->b1, b2 = k->b2, a1 = k->a1, a2 = k->a2;
	double xa1 = sa->x1, xa2 = sa->x2, ya1 = sa->y1, ya2 = sa->y2;
	double xb1 = sb->x1, xb2 = sb->x2, yb1 = sb->y1, yb2 = sb->y2;

	for (int i = 0; i < QUANTUM; i++) {
		double xa0 = xa[i], xb0 = xb[i];
		double ya0 = b0 * xa0 + b1 * xa1 + b2 * xa2 - a1 * ya1 - a2 * ya2;
		double yb0 = b0 * xb0 + b1 * xb1 + b2 * xb2 - a1 * yb1 - a2 * yb2;

		xa2 = xa1;
		xa1 = xa0;
		ya2 = ya1;
		ya1 = ya0;
		xb2 = xb1;
		xb1 = xb0;
		yb2 = yb1;
		yb1 = yb0;
		ya[i] = (float)ya0;
		yb[i] = (float)yb0;
	}
	*sa = (struct df1){ xa1, xa2, ya1, ya2 };
	*sb = (struct df1){ xb1, xb2, yb1, yb2 };
}

static void run_varying_pair(struct df1 *sa, struct df1 *sb, const struct biquad *b,
			     const float *restrict xa, const float *restrict xb,
			     float *restrict ya, float *restrict yb)
{
	double xa1 = sa->x1, xa2 = sa->x2, ya1 = sa->y1, ya2 = sa->y2;
	double xb1 = sb->x1, xb2 = sb->x2, yb1 = sb->y1, yb2 = sb->y2;

	for (int i = 0; i < QUANTUM; i++) {
		const double b0 = b->b0[i], b1 = b->b1[i], b2 = b->b2[i], a1 = b->a1[i],
			     a2 = b->a2[i];
		double xa0 = xa[i], xb0 = xb[i];
		double ya0 = b0 * xa0 + b1 * xa1 + b2 * xa2 - a1 * ya1 - a2 * ya2;
		double yb0 = b0 * xb0 + b1 * xb1 + b2 * xb2 - a1 * yb1 - a2 * yb2;

		xa2 = xa1;
		xa1 = xa0;
		ya2 = ya1;
		ya1 = ya0;
		xb2 = xb1;
		xb1 = xb0;
		yb2 = yb1;
		yb1 = yb0;
		ya[i] = (float)ya0;
		yb[i] = (float)yb0;
	}
	*sa = (struct df1){ xa1, xa2, ya1, ya2 };
	*sb = (struct df1){ xb1, xb2, yb1, yb2 };
}

static void coef_store(struct biquad *b, int i, const struct biquad_coef *k)
{
	b->b0[i] = k->b0;
	b->b1[i] = k->b1;
	b->b2[i] = k->b2;
	b->a1[i] = k->a1;
	b->a2[i] = k->a2;
}

/* a lowpass or highpass sweep: coef_lowpass / coef_highpass for every frame, the same
 * arithmetic in the same order, but in passes: w0, then sin and cos (again only where the
 * frequency changed), then the six divisions, which vectorise and are most of the cost
 * beside sin and cos, then the band edges' constant gains */
static void coef_per_sample_lphp(struct biquad *b, const struct shape *sh, double det)
{
	const float *f = b->node.params[FREQUENCY].values;
	const double fs = b->node.sample_rate, nyquist = fs / 2, qlin2 = 2 * sh->qlin;
	const bool low = b->type == BIQUAD_LOWPASS;
	double w0[QUANTUM], c[QUANTUM], sn[QUANTUM];
	bool edge = false;

	for (int i = 0; i < QUANTUM; i++) {
		double f0 = computed_frequency(f[i], det);

		/* as coef_shaped: NaN counts as 0, the range is [0, Nyquist] */
		if (!(f0 > 0))
			f0 = 0;
		w0[i] = 2 * M_PI * (f0 >= nyquist ? nyquist : f0) / fs;
		edge = edge || f0 >= nyquist || w0[i] <= 0;
	}
	for (int i = 0; i < QUANTUM; i++) {
		if (i > 0 && f[i] == f[i - 1]) {
			c[i] = c[i - 1];
			sn[i] = sn[i - 1];
		} else {
			c[i] = cos(w0[i]);
			sn[i] = sin(w0[i]);
		}
	}
	for (int i = 0; i < QUANTUM; i++) {
		const double alpha = sn[i] / qlin2, a0 = 1 + alpha;
		const double h = low ? (1 - c[i]) / 2 : (1 + c[i]) / 2;

		b->b0[i] = h / a0;
		b->b1[i] = (low ? 1 - c[i] : -(1 + c[i])) / a0;
		b->b2[i] = h / a0;
		b->a1[i] = -2 * c[i] / a0;
		b->a2[i] = (1 - alpha) / a0;
	}
	for (int i = 0; edge && i < QUANTUM; i++) {
		double f0 = computed_frequency(f[i], det);
		struct biquad_coef k;

		if (!(f0 > 0))
			f0 = 0;
		if (f0 >= nyquist)
			k = coef_gain(low ? 1 : 0);
		else if (w0[i] <= 0)
			k = coef_gain(low ? 0 : 1);
		else
			continue;
		coef_store(b, i, &k);
	}
	b->cached = false;
}

/* the common automation: only frequency moves; Q, gain and detune are worked out once */
static void coef_per_sample_freq(struct biquad *b)
{
	const struct param *p = b->node.params;
	const float *f = p[FREQUENCY].values;
	const double det = p[DETUNE].values[0];
	const struct shape sh = shape_for(b->type, p[Q].values[0], p[GAIN].values[0]);
	struct biquad_coef k = { 0 };
	float prev = NAN;

	if (b->type == BIQUAD_LOWPASS || b->type == BIQUAD_HIGHPASS) {
		coef_per_sample_lphp(b, &sh, det);
		return;
	}

	for (int i = 0; i < QUANTUM; i++) {
		if (f[i] != prev) {
			k = coef_shaped(b->type, computed_frequency(f[i], det), &sh,
					b->node.sample_rate);
			prev = f[i];
		}
		coef_store(b, i, &k);
	}
	b->cached = false;
}

/* coefficients for every sample; recomputed only where a param value changes */
static void coef_per_sample(struct biquad *b)
{
	const struct param *p = b->node.params;
	float prev[N_PARAMS] = { NAN, NAN, NAN, NAN };
	struct biquad_coef k = { 0 };

	if (p[DETUNE].constant && p[Q].constant && p[GAIN].constant) {
		coef_per_sample_freq(b);
		return;
	}

	for (int i = 0; i < QUANTUM; i++) {
		float cur[N_PARAMS];
		for (int j = 0; j < N_PARAMS; j++)
			cur[j] = p[j].values[p[j].constant ? 0 : i];
		if (memcmp(cur, prev, sizeof(cur)) != 0) {
			k = coef_for(b, b->type, cur);
			memcpy(prev, cur, sizeof(cur));
		}
		coef_store(b, i, &k);
	}
	b->cached = false;
}

static const struct biquad_coef *coef_const(struct biquad *b)
{
	const struct param *p = b->node.params;
	float cur[N_PARAMS];

	for (int j = 0; j < N_PARAMS; j++)
		cur[j] = p[j].values[0];
	if (!b->cached || b->key_type != b->type || memcmp(cur, b->key, sizeof(cur)) != 0) {
		b->coef = coef_for(b, b->type, cur);
		memcpy(b->key, cur, sizeof(cur));
		b->key_type = b->type;
		b->cached = true;
	}
	return &b->coef;
}

static bool params_constant(const struct node *n)
{
	for (int j = 0; j < N_PARAMS; j++)
		if (!n->params[j].constant)
			return false;
	return true;
}

/* the state of channels [from, to) starts from rest */
static void state_clear(struct biquad *b, uint32_t from, uint32_t to)
{
	for (uint32_t c = from; c < to; c++)
		b->st[c] = (struct df1){ 0, 0, 0, 0 };
}

/* after a silent quantum: rung out once every output is below the floor.  x1 and x2 are
 * already 0, so only y1, y2 matter; NaN state (an unstable automation) also ends here */
static bool state_rung_out(const struct biquad *b)
{
	for (uint32_t c = 0; c < b->chans; c++)
		if (fabs(b->st[c].y1) >= TAIL_FLOOR || fabs(b->st[c].y2) >= TAIL_FLOOR)
			return false;
	return true;
}

static void biquad_process(struct node *n, const struct render_ctx *ctx)
{
	struct biquad *b = (struct biquad *)n;
	const struct bus *in = &n->in[0];
	struct bus *out = &n->out[0];
	const struct biquad_coef *k = NULL;
	uint32_t nch;

	(void)ctx;
	if (in->silent && !b->ringing) {
		bus_silence(out, in->channels);
		n->tail = false;
		return;
	}
	/* a silent input keeps the channel count the ringing state was made with */
	nch = in->silent ? b->chans : in->channels;
	if (nch != b->chans) {
		state_clear(b, nch < b->chans ? nch : b->chans, nch > b->chans ? nch : b->chans);
		b->chans = nch;
	}
	if (params_constant(n))
		k = coef_const(b);
	else
		coef_per_sample(b);
	uint32_t c = 0;
	for (; c + 1 < nch; c += 2) {
		const float *xa = in->silent ? zeros : in->data[c];
		const float *xb = in->silent ? zeros : in->data[c + 1];
		if (k)
			run_const_pair(&b->st[c], &b->st[c + 1], k, xa, xb, out->data[c],
				       out->data[c + 1]);
		else
			run_varying_pair(&b->st[c], &b->st[c + 1], b, xa, xb, out->data[c],
					 out->data[c + 1]);
	}
	for (; c < nch; c++) {
		const float *x = in->silent ? zeros : in->data[c];
		if (k)
			run_const(&b->st[c], k, x, out->data[c]);
		else
			run_varying(&b->st[c], b, x, out->data[c]);
	}
	out->channels = nch;
	out->silent = false;
	b->ringing = true;
	if (in->silent && state_rung_out(b)) {
		state_clear(b, 0, b->chans);
		b->ringing = false;
	}
	n->tail = b->ringing;
}

/* --- control side ------------------------------------------------------------------- */

static int biquad_type_check(struct node *n, const struct value *v, void **staged,
			     struct error *err)
{
	struct biquad *b = (struct biquad *)n;
	int t;

	if (v->type != VALUE_STRING)
		return err_set(err, ERR_INVALID_VALUE, "type: expected a string, not %s",
			       value_type_name(v->type));
	for (t = 0; t < N_TYPES; t++)
		if (strcmp(v->str, type_names[t]) == 0)
			break;
	if (t == N_TYPES) {
		const char *s = err_suggest(v->str, type_names, N_TYPES);
		return err_set(err, ERR_INVALID_VALUE, "type: \"%s\" is not a BiquadFilterType%s%s%s",
			       v->str, s ? " (did you mean \"" : "", s ? s : "", s ? "\"?)" : "");
	}
	b->type_model = type_table[t];
	*staged = (void *)(uintptr_t)&type_table[t];
	return 0;
}

static void biquad_type_apply(struct node *n, const struct value *v, void **staged)
{
	struct biquad *b = (struct biquad *)n;

	(void)v;
	b->type = *(const enum biquad_type *)*staged;
	*staged = NULL;
}

static void biquad_type_get(const struct node *n, struct value *v)
{
	const struct biquad *b = (const struct biquad *)n;

	v->type = VALUE_STRING;
	v->str = type_names[b->type_model];
}

static const struct attr_desc biquad_attrs[] = {
	{ .name = "type", .check = biquad_type_check, .apply = biquad_type_apply,
	  .get = biquad_type_get },
};

static int biquad_init(struct node *n, const struct option *opts, size_t n_opts,
		       struct error *err)
{
	static const char *const valid[] = { "type", NULL };
	struct biquad *b = (struct biquad *)n;

	b->freq_desc = biquad_params[FREQUENCY];
	b->freq_desc.max = (float)(n->sample_rate / 2);
	n->params[FREQUENCY].desc = &b->freq_desc;
	for (size_t i = 0; i < n_opts; i++) {
		int t;
		if (strcmp(opts[i].name, "type") != 0)
			return node_bad_option(n, opts[i].name, valid, err);
		if (option_enum(&opts[i], type_names, N_TYPES, &t, err) < 0)
			return -1;
		b->type_model = type_table[t];
	}
	b->type = b->type_model;
	return 0;
}

/* the model value of a param at time t, clamped to its nominal range as computedValue is */
static double model_value(const struct param *p, double t)
{
	double v = param_model_value_at(p, t);

	return v < p->desc->min ? p->desc->min : v > p->desc->max ? p->desc->max : v;
}

int biquad_frequency_response(struct node *n, const float *freq_hz, size_t count, float *mag,
			      float *phase)
{
	const struct biquad *b = (const struct biquad *)n;
	double fs = n->sample_rate, t = 0;
	struct biquad_coef k;
	float cur[N_PARAMS];

	if (n->kind != &biquad_kind)
		return -1;
	if (n->engine)
		t = (double)engine_frame(n->engine) / fs;
	for (int j = 0; j < N_PARAMS; j++)
		cur[j] = (float)model_value(&n->params[j], t);
	k = coef_for(b, b->type_model, cur);
	for (size_t i = 0; i < count; i++) {
		double f = freq_hz[i];
		double complex z1, num, den, h;
		if (!(f >= 0 && f <= fs / 2)) {
			mag[i] = NAN;
			phase[i] = NAN;
			continue;
		}
		z1 = cexp(-I * (2 * M_PI * f / fs));	/* z^-1 on the unit circle */
		num = k.b0 + (k.b1 + k.b2 * z1) * z1;
		den = 1 + (k.a1 + k.a2 * z1) * z1;
		h = num / den;
		mag[i] = (float)cabs(h);
		phase[i] = (float)carg(h);
	}
	return 0;
}

const struct node_kind biquad_kind = {
	.name = "BiquadFilterNode",
	.size = sizeof(struct biquad),
	.inputs = 1,
	.outputs = 1,
	.channel_count = 2,
	.count_mode = COUNT_MAX,
	.interp = INTERP_SPEAKERS,
	.params = biquad_params,
	.n_params = N_PARAMS,
	.attrs = biquad_attrs,
	.n_attrs = 1,
	.init = biquad_init,
	.process = biquad_process,
};
