/* IIRFilterNode: a general IIR filter of order up to 19, transposed direct form II in double.
 * init and iir_frequency_response: control thread.  process: render thread. */
#include <complex.h>
#include <math.h>
#include <string.h>

#include "iir.h"
#include "node.h"

#define MAX_COEF 20

/* once the input is silent and the state is below this the filter has rung out.  it must
 * not change what is played: a float rounds anything below 2^-150 to 0 (and below 2^-126
 * under the render's flush-to-zero), so with 2^50 of margin for a resonant filter's growth
 * on the way down the rest of the tail plays as zeros anyway.  an absolute floor as high
 * as 1e-12 cut tails that still had float values to play (WPT compares to 2.2e-38); this
 * one lets an idle filter ring 5x as many frames as 1e-12 did, still a few quanta for a
 * typical decay. */
#define TAIL_FLOOR 0x1p-200

struct iir {
	struct node node;
	uint32_t order;			/* max(len(b), len(a)) - 1 */
	uint32_t nb, na;		/* coefficients given */
	double b[MAX_COEF];		/* feedforward / feedback[0] */
	double a[MAX_COEF];		/* feedback / feedback[0]; a[0] = 1 */
	/* render */
	uint32_t chans;			/* channels the state belongs to */
	bool ringing;
	double s[MAX_CHANNELS][MAX_COEF];
};

extern const struct node_kind iir_kind;

static int coefs(const struct option *o, double *out, uint32_t *len, struct error *err)
{
	size_t i;

	if (o->value.type != VALUE_ARRAY)
		return err_set(err, ERR_BAD_REQUEST, "%s: expected an array of numbers, got %s",
			       o->name, value_type_name(o->value.type));
	if (o->value.arr.n < 1 || o->value.arr.n > MAX_COEF)
		return err_set(err, ERR_NOT_SUPPORTED, "%s: needs 1 to %d coefficients, got %zu",
			       o->name, MAX_COEF, o->value.arr.n);
	for (i = 0; i < o->value.arr.n; i++) {
		if (!isfinite(o->value.arr.v[i]))
			return err_set(err, ERR_INVALID_VALUE, "%s[%zu]: must be finite", o->name, i);
		out[i] = o->value.arr.v[i];
	}
	*len = (uint32_t)o->value.arr.n;
	return 0;
}

static int iir_init(struct node *n, const struct option *opts, size_t n_opts, struct error *err)
{
	static const char *const valid[] = { "feedforward", "feedback", NULL };
	struct iir *f = (struct iir *)n;
	double ff[MAX_COEF] = { 0 }, fb[MAX_COEF] = { 0 };
	uint32_t nff = 0, nfb = 0, i;
	bool nonzero = false;

	for (i = 0; i < n_opts; i++) {
		if (strcmp(opts[i].name, "feedforward") == 0) {
			if (coefs(&opts[i], ff, &nff, err) < 0)
				return -1;
		} else if (strcmp(opts[i].name, "feedback") == 0) {
			if (coefs(&opts[i], fb, &nfb, err) < 0)
				return -1;
		} else {
			return node_bad_option(n, opts[i].name, valid, err);
		}
	}
	if (nff == 0)
		return err_set(err, ERR_BAD_REQUEST, "feedforward: required");
	if (nfb == 0)
		return err_set(err, ERR_BAD_REQUEST, "feedback: required");
	for (i = 0; i < nff; i++)
		nonzero = nonzero || ff[i] != 0;
	if (!nonzero)
		return err_set(err, ERR_INVALID_STATE, "feedforward: all coefficients are zero");
	if (fb[0] == 0)
		return err_set(err, ERR_INVALID_STATE, "feedback: the first coefficient is zero");
	f->order = (nff > nfb ? nff : nfb) - 1;
	f->nb = nff;
	f->na = nfb;
	for (i = 0; i < MAX_COEF; i++) {
		f->b[i] = i < nff ? ff[i] / fb[0] : 0;
		f->a[i] = i < nfb ? fb[i] / fb[0] : 0;
	}
	return 0;
}

/* second order and below: the state in registers (the common case, and the benchmarks') */
static void filter_order2(const struct iir *f, double *restrict s, const float *restrict x,
			  float *restrict y)
{
	const double b0 = f->b[0], b1 = f->b[1], b2 = f->b[2], a1 = f->a[1], a2 = f->a[2];
	double s0 = s[0], s1 = s[1];
	uint32_t i;

	for (i = 0; i < QUANTUM; i++) {
		const double in = x[i];
		const double out = b0 * in + s0;
		s0 = b1 * in - a1 * out + s1;
		s1 = b2 * in - a2 * out;
		y[i] = (float)out;
	}
	s[0] = s0;
	s[1] = s1;
}

/* two channels of second order at once.  each sample's output waits on the previous one
 * (a multiply and three adds), so one channel at a time leaves the FPU idle most of the
 * time; the two recursions are independent and interleave.  the arithmetic per channel is
 * filter_order2's, in the same order. */
static void filter_order2_pair(const struct iir *f, double *restrict sa, double *restrict sb,
			       const float *restrict xa, const float *restrict xb,
			       float *restrict ya, float *restrict yb)
{
	const double b0 = f->b[0], b1 = f->b[1], b2 = f->b[2], a1 = f->a[1], a2 = f->a[2];
	double sa0 = sa[0], sa1 = sa[1], sb0 = sb[0], sb1 = sb[1];
	uint32_t i;

	for (i = 0; i < QUANTUM; i++) {
		const double ina = xa[i], inb = xb[i];
		const double outa = b0 * ina + sa0, outb = b0 * inb + sb0;

		sa0 = b1 * ina - a1 * outa + sa1;
		sb0 = b1 * inb - a1 * outb + sb1;
		sa1 = b2 * ina - a2 * outa;
		sb1 = b2 * inb - a2 * outb;
		ya[i] = (float)outa;
		yb[i] = (float)outb;
	}
	sa[0] = sa0;
	sa[1] = sa1;
	sb[0] = sb0;
	sb[1] = sb1;
}

static void filter_channel(struct iir *f, double *restrict s, const float *restrict x,
			   float *restrict y)
{
	if (f->order <= 2) {
		filter_order2(f, s, x, y);	/* unused coefficients are 0 */
		return;
	}

	const uint32_t m = f->order;
	const double *b = f->b, *a = f->a;
	uint32_t i, k;

	for (i = 0; i < QUANTUM; i++) {
		const double in = x[i];
		const double out = b[0] * in + s[0];
		for (k = 0; k + 1 < m; k++)
			s[k] = b[k + 1] * in - a[k + 1] * out + s[k + 1];
		if (m)
			s[m - 1] = b[m] * in - a[m] * out;
		y[i] = (float)out;
	}
}

static bool state_small(const struct iir *f)
{
	uint32_t c, k;

	for (c = 0; c < f->chans; c++)
		for (k = 0; k < f->order; k++)
			if (fabs(f->s[c][k]) > TAIL_FLOOR)
				return false;
	return true;
}

static void iir_process(struct node *n, const struct render_ctx *ctx)
{
	static const float zeros[QUANTUM];
	struct iir *f = (struct iir *)n;
	const struct bus *in = &n->in[0];
	struct bus *out = &n->out[0];
	uint32_t c, ch;

	(void)ctx;
	if (in->silent && !f->ringing) {
		bus_silence(out, in->channels);
		return;
	}
	ch = in->silent ? f->chans : in->channels;
	if (ch > f->chans)
		for (c = f->chans; c < ch; c++)
			memset(f->s[c], 0, sizeof(f->s[c]));
	f->chans = ch;
	out->channels = ch;
	out->silent = false;
	c = 0;
	if (f->order <= 2) {
		for (; c + 1 < ch; c += 2)
			filter_order2_pair(f, f->s[c], f->s[c + 1],
					   in->silent ? zeros : in->data[c],
					   in->silent ? zeros : in->data[c + 1],
					   out->data[c], out->data[c + 1]);
	}
	for (; c < ch; c++)
		filter_channel(f, f->s[c], in->silent ? zeros : in->data[c], out->data[c]);
	f->ringing = !in->silent || !state_small(f);
	n->tail = f->ringing;
	if (!f->ringing)
		memset(f->s, 0, sizeof(f->s));
}

int iir_frequency_response(struct node *n, const float *freq_hz, size_t count, float *mag,
			   float *phase)
{
	const struct iir *f = (const struct iir *)n;
	double nyquist;
	size_t i;

	if (n->kind != &iir_kind)
		return -1;
	nyquist = n->sample_rate / 2;
	for (i = 0; i < count; i++) {
		double complex z, num = 0, den = 0;
		double w;
		int k;

		if (!(freq_hz[i] >= 0 && freq_hz[i] <= nyquist)) {
			mag[i] = NAN;
			phase[i] = NAN;
			continue;
		}
		w = M_PI * freq_hz[i] / nyquist;
		z = cexp(-I * w);	/* z^-1 */
		for (k = (int)f->order; k >= 0; k--) {
			num = num * z + f->b[k];
			den = den * z + f->a[k];
		}
		mag[i] = (float)cabs(num / den);
		phase[i] = (float)carg(num / den);
	}
	return 0;
}

/* normalised by feedback[0]: the same filter */
static void iir_options(const struct node *n,
			void (*emit)(void *data, const char *name, const struct value *v),
			void *data)
{
	const struct iir *f = (const struct iir *)n;
	struct value b = { .type = VALUE_ARRAY, .arr = { f->b, f->nb } };
	struct value a = { .type = VALUE_ARRAY, .arr = { f->a, f->na } };

	emit(data, "feedforward", &b);
	emit(data, "feedback", &a);
}

const struct node_kind iir_kind = {
	.options = iir_options,
	.name = "IIRFilterNode",
	.size = sizeof(struct iir),
	.inputs = 1,
	.outputs = 1,
	.channel_count = 2,
	.count_mode = COUNT_MAX,
	.interp = INTERP_SPEAKERS,
	.init = iir_init,
	.process = iir_process,
};
