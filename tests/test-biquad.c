/* unit tests for engine/biquad.c: the spec's coefficient formulas for all eight types, the
 * frequency response, the direct-form output in double, per-sample coefficients, channels
 * and the tail.  nodes are made with node_new on a real engine and their process driven
 * directly; expectations come from the spec's formulas written out again here. */
#include <complex.h>
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/biquad.h"
#include "engine/engine.h"
#include "engine/node.h"

#define FS 48000.0

static const char *const names[] = {
	"lowpass", "highpass", "bandpass", "lowshelf", "highshelf", "peaking", "notch", "allpass",
};

struct coefs {
	double b0, b1, b2, a0, a1, a2;
};

/* the spec's "Filters characteristics", un-normalised, exactly as written there */
static struct coefs spec_coefs(int type, double f0, double q, double g, double fs)
{
	double A = pow(10, g / 40), w0 = 2 * M_PI * f0 / fs;
	double aq = sin(w0) / (2 * q), aqdb = sin(w0) / (2 * pow(10, q / 20));
	double S = 1, as = sin(w0) / 2 * sqrt((A + 1 / A) * (1 / S - 1) + 2), c = cos(w0);

	switch (type) {
	case 0: return (struct coefs){ (1 - c) / 2, 1 - c, (1 - c) / 2, 1 + aqdb, -2 * c, 1 - aqdb };
	case 1: return (struct coefs){ (1 + c) / 2, -(1 + c), (1 + c) / 2, 1 + aqdb, -2 * c,
				       1 - aqdb };
	case 2: return (struct coefs){ aq, 0, -aq, 1 + aq, -2 * c, 1 - aq };
	case 3: return (struct coefs){ A * ((A + 1) - (A - 1) * c + 2 * as * sqrt(A)),
				       2 * A * ((A - 1) - (A + 1) * c),
				       A * ((A + 1) - (A - 1) * c - 2 * as * sqrt(A)),
				       (A + 1) + (A - 1) * c + 2 * as * sqrt(A),
				       -2 * ((A - 1) + (A + 1) * c),
				       (A + 1) + (A - 1) * c - 2 * as * sqrt(A) };
	case 4: return (struct coefs){ A * ((A + 1) + (A - 1) * c + 2 * as * sqrt(A)),
				       -2 * A * ((A - 1) + (A + 1) * c),
				       A * ((A + 1) + (A - 1) * c - 2 * as * sqrt(A)),
				       (A + 1) - (A - 1) * c + 2 * as * sqrt(A),
				       2 * ((A - 1) - (A + 1) * c),
				       (A + 1) - (A - 1) * c - 2 * as * sqrt(A) };
	case 5: return (struct coefs){ 1 + aq * A, -2 * c, 1 - aq * A, 1 + aq / A, -2 * c,
				       1 - aq / A };
	case 6: return (struct coefs){ 1, -2 * c, 1, 1 + aq, -2 * c, 1 - aq };
	default: return (struct coefs){ 1 - aq, -2 * c, 1 + aq, 1 + aq, -2 * c, 1 - aq };
	}
}

static double complex spec_response(struct coefs k, double f, double fs)
{
	double complex z1 = cexp(-I * 2 * M_PI * f / fs);

	return (k.b0 + k.b1 * z1 + k.b2 * z1 * z1) / (k.a0 + k.a1 * z1 + k.a2 * z1 * z1);
}

static void assert_close(double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol)) {
		print_error("got %.17g, want %.17g (tol %g)\n", got, want, tol);
		fail();
	}
}

/* --- a node on a real engine, driven one quantum at a time ----------------------------- */

struct rig {
	struct engine *e;
	struct node *n;
	uint64_t frame;
};

static struct rig rig_new(const struct option *opts, size_t n_opts)
{
	struct error err;
	struct rig r = { 0 };

	r.e = engine_new(FS, 1, &err);
	assert_non_null(r.e);
	r.n = node_new(r.e, &biquad_kind, "f", 1, opts, n_opts, &err);
	assert_non_null(r.n);
	return r;
}

static void rig_free(struct rig *r)
{
	node_free(r->n);
	engine_free(r->e);
}

static void set_params(struct rig *r, float f, float detune, float q, float g)
{
	const float v[4] = { f, detune, q, g };

	for (int j = 0; j < 4; j++) {
		r->n->params[j].constant = true;
		for (int i = 0; i < QUANTUM; i++)
			r->n->params[j].values[i] = v[j];
	}
}

static void run(struct rig *r)
{
	struct render_ctx ctx = { r->frame, r->frame / FS, FS, r->e };

	r->n->kind->process(r->n, &ctx);
	r->frame += QUANTUM;
}

/* one channel of input: x(frame) for the rig's current quantum */
static void feed(struct rig *r, uint32_t channels, double (*x)(uint32_t c, uint64_t f))
{
	struct bus *in = &r->n->in[0];

	in->channels = channels;
	in->silent = false;
	for (uint32_t c = 0; c < channels; c++)
		for (int i = 0; i < QUANTUM; i++)
			in->data[c][i] = (float)x(c, r->frame + (uint64_t)i);
}

static double impulse(uint32_t c, uint64_t f)
{
	(void)c;
	return f == 0 ? 1 : 0;
}

static double noise(uint32_t c, uint64_t f)
{
	/* deterministic, different per channel, within [-1, 1] */
	uint32_t h = (uint32_t)(f * 2654435761u) ^ (c * 0x9e3779b9u);
	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return (double)(h & 0xffff) / 32768.0 - 1;
}

/* --- coefficients ------------------------------------------------------------------------ */

static void coefficients_of_every_type_follow_the_spec_formulas(void **state)
{
	static const double f0s[] = { 20, 350, 1000, 9000, 23000 };
	static const double qs[] = { 0.1, 1, 7.5, -3 };
	static const double gs[] = { -12, 0, 6, 30 };

	(void)state;
	for (int t = 0; t < 8; t++)
		for (size_t i = 0; i < 5; i++)
			for (size_t j = 0; j < 4; j++)
				for (size_t l = 0; l < 4; l++) {
					double q = qs[j];
					struct biquad_coef got;
					struct coefs w;
					/* linear Q must be positive for the formulas to hold */
					if (t >= 2 && q <= 0)
						continue;
					got = biquad_coefficients(t, f0s[i], q, gs[l], FS);
					w = spec_coefs(t, f0s[i], q, gs[l], FS);
					assert_close(got.b0, w.b0 / w.a0, 1e-12 * (1 + fabs(w.b0 / w.a0)));
					assert_close(got.b1, w.b1 / w.a0, 1e-12 * (1 + fabs(w.b1 / w.a0)));
					assert_close(got.b2, w.b2 / w.a0, 1e-12 * (1 + fabs(w.b2 / w.a0)));
					assert_close(got.a1, w.a1 / w.a0, 1e-12);
					assert_close(got.a2, w.a2 / w.a0, 1e-12);
				}
}

/* at f0 = 0 and f0 = Nyquist the formulas are 0/0; the limits of H(z) there */
static void coefficients_at_band_edges_are_the_limits_of_the_transfer_function(void **state)
{
	/* expected H at 0 Hz and at Nyquist; A^2 = 10^(6/20) for the shelves */
	double a2 = pow(10, 6.0 / 20);
	const double at0[8] = { 0, 1, 0, 1, a2, 1, 1, 1 };
	const double atn[8] = { 1, 0, 0, a2, 1, 1, 1, 1 };

	(void)state;
	for (int t = 0; t < 8; t++) {
		struct biquad_coef k0 = biquad_coefficients(t, 0, 1, 6, FS);
		struct biquad_coef kn = biquad_coefficients(t, FS / 2, 1, 6, FS);
		struct biquad_coef kover = biquad_coefficients(t, FS, 1, 6, FS);
		assert_close(k0.b0, at0[t], 1e-12);
		assert_close(k0.b1 + k0.b2 + k0.a1 + k0.a2, 0, 0);
		assert_close(kn.b0, atn[t], 1e-12);
		assert_close(kn.b1 + kn.b2 + kn.a1 + kn.a2, 0, 0);
		/* computedFrequency above Nyquist is clamped to it */
		assert_close(kover.b0, atn[t], 1e-12);
	}
}

static void q_at_or_below_zero_gives_the_limit_for_linear_q_types(void **state)
{
	(void)state;
	assert_close(biquad_coefficients(BIQUAD_BANDPASS, 1000, 0, 0, FS).b0, 1, 0);
	assert_close(biquad_coefficients(BIQUAD_NOTCH, 1000, 0, 0, FS).b0, 0, 0);
	assert_close(biquad_coefficients(BIQUAD_ALLPASS, 1000, -1, 0, FS).b0, -1, 0);
	assert_close(biquad_coefficients(BIQUAD_PEAKING, 1000, 0, 6, FS).b0, pow(10, 6.0 / 20),
		     1e-12);
}

/* --- frequency response ------------------------------------------------------------------- */

static void frequency_response_matches_the_transfer_function(void **state)
{
	static const float freqs[] = { 0, 100, 1000, 2500, 12000, 23999, 24000 };
	float mag[7], phase[7];

	(void)state;
	for (int t = 0; t < 8; t++) {
		struct option o[] = {
			{ "type", { .type = VALUE_STRING, .str = names[t] } },
			{ "frequency", { .type = VALUE_NUMBER, .num = 2000 } },
			{ "detune", { .type = VALUE_NUMBER, .num = 300 } },
			{ "Q", { .type = VALUE_NUMBER, .num = 4 } },
			{ "gain", { .type = VALUE_NUMBER, .num = -9 } },
		};
		struct rig r = rig_new(o, 5);
		/* computedFrequency = 2000 * 2^(300/1200) */
		struct coefs k = spec_coefs(t, 2000 * pow(2, 0.25), 4, -9, FS);

		assert_int_equal(biquad_frequency_response(r.n, freqs, 7, mag, phase), 0);
		for (int i = 0; i < 7; i++) {
			double complex h = spec_response(k, freqs[i], FS);
			assert_close(mag[i], cabs(h), 1e-5 * (1 + cabs(h)));
			if (cabs(h) > 1e-6)
				assert_close(phase[i], carg(h), 1e-5);
		}
		rig_free(&r);
	}
}

static void frequency_response_has_known_values_at_the_centre(void **state)
{
	float f = 1000, mag, phase;
	struct option o[] = {
		{ "type", { .type = VALUE_STRING, .str = "peaking" } },
		{ "frequency", { .type = VALUE_NUMBER, .num = 1000 } },
		{ "gain", { .type = VALUE_NUMBER, .num = 12 } },
	};
	struct rig r = rig_new(o, 3);

	(void)state;
	/* peaking: |H(f0)| = A^2 = 10^(G/20); notch: 0; allpass: 1 and phase -pi */
	biquad_frequency_response(r.n, &f, 1, &mag, &phase);
	assert_close(mag, pow(10, 12.0 / 20), 1e-5);
	rig_free(&r);
	o[0].value.str = "notch";
	r = rig_new(o, 3);
	biquad_frequency_response(r.n, &f, 1, &mag, &phase);
	assert_close(mag, 0, 1e-6);
	rig_free(&r);
	o[0].value.str = "allpass";
	r = rig_new(o, 3);
	biquad_frequency_response(r.n, &f, 1, &mag, &phase);
	assert_close(mag, 1, 1e-6);
	assert_close(fabs(phase), M_PI, 1e-5);
	rig_free(&r);
}

static void frequency_response_outside_zero_to_nyquist_is_nan(void **state)
{
	static const float freqs[] = { -1, 24000.5f, NAN };
	float mag[3], phase[3];
	struct rig r = rig_new(NULL, 0);

	(void)state;
	biquad_frequency_response(r.n, freqs, 3, mag, phase);
	for (int i = 0; i < 3; i++) {
		assert_true(isnan(mag[i]));
		assert_true(isnan(phase[i]));
	}
	rig_free(&r);
}

/* --- rendering ----------------------------------------------------------------------------- */

static void lowpass_impulse_response_matches_the_difference_equation_in_double(void **state)
{
	struct rig r = rig_new(NULL, 0);
	struct coefs k = spec_coefs(0, 350, 1, 0, FS);	/* the defaults */
	double x1 = 0, x2 = 0, y1 = 0, y2 = 0;

	(void)state;
	for (int q = 0; q < 8; q++) {
		set_params(&r, 350, 0, 1, 0);
		feed(&r, 1, impulse);
		run(&r);
		for (int i = 0; i < QUANTUM; i++) {
			double x0 = impulse(0, (uint64_t)(q * QUANTUM + i));
			double y0 = (k.b0 * x0 + k.b1 * x1 + k.b2 * x2 - k.a1 * y1 - k.a2 * y2) / k.a0;
			x2 = x1, x1 = x0, y2 = y1, y1 = y0;
			assert_close(r.n->out[0].data[0][i], y0, 1e-7 * fabs(y0) + 1e-12);
		}
	}
	rig_free(&r);
}

static double chirp_freq(uint64_t f)
{
	return 200 * pow(2, (double)f / 64);
}

/* a-rate: coefficients follow the params sample by sample */
static void automated_frequency_changes_coefficients_every_sample(void **state)
{
	struct option o[] = { { "type", { .type = VALUE_STRING, .str = "bandpass" } } };
	struct rig r = rig_new(o, 1);
	double x1 = 0, x2 = 0, y1 = 0, y2 = 0;

	(void)state;
	for (int q = 0; q < 3; q++) {
		set_params(&r, 0, 0, 5, 0);
		r.n->params[0].constant = false;
		for (int i = 0; i < QUANTUM; i++)
			r.n->params[0].values[i] = (float)chirp_freq(r.frame + (uint64_t)i);
		feed(&r, 1, noise);
		run(&r);
		for (int i = 0; i < QUANTUM; i++) {
			uint64_t f = (uint64_t)(q * QUANTUM + i);
			struct coefs k = spec_coefs(2, (float)chirp_freq(f), 5, 0, FS);
			double x0 = (float)noise(0, f);
			double y0 = (k.b0 * x0 + k.b1 * x1 + k.b2 * x2 - k.a1 * y1 - k.a2 * y2) / k.a0;
			x2 = x1, x1 = x0, y2 = y1, y1 = y0;
			assert_close(r.n->out[0].data[0][i], y0, 1e-6 * fabs(y0) + 1e-9);
		}
	}
	rig_free(&r);
}

static void detune_scales_the_frequency_by_cents(void **state)
{
	struct rig a = rig_new(NULL, 0), b = rig_new(NULL, 0);

	(void)state;
	/* 1000 Hz detuned by one octave down filters like 500 Hz */
	for (int q = 0; q < 2; q++) {
		set_params(&a, 1000, -1200, 1, 0);
		set_params(&b, 500, 0, 1, 0);
		feed(&a, 1, noise);
		feed(&b, 1, noise);
		run(&a);
		run(&b);
		for (int i = 0; i < QUANTUM; i++)
			assert_close(a.n->out[0].data[0][i], b.n->out[0].data[0][i], 1e-6);
	}
	rig_free(&a);
	rig_free(&b);
}

static void output_has_the_input_channel_count_and_channels_are_independent(void **state)
{
	struct rig r = rig_new(NULL, 0), m = rig_new(NULL, 0);

	(void)state;
	set_params(&r, 800, 0, 3, 0);
	feed(&r, 3, noise);
	run(&r);
	assert_int_equal(r.n->out[0].channels, 3);
	assert_false(r.n->out[0].silent);
	/* channel 2 filtered alone gives the same samples */
	set_params(&m, 800, 0, 3, 0);
	m.n->in[0].channels = 1;
	m.n->in[0].silent = false;
	memcpy(m.n->in[0].data[0], r.n->in[0].data[2], QUANTUM * sizeof(float));
	run(&m);
	assert_memory_equal(m.n->out[0].data[0], r.n->out[0].data[2], QUANTUM * sizeof(float));
	rig_free(&r);
	rig_free(&m);
}

static void output_rings_after_input_stops_then_goes_silent(void **state)
{
	struct rig r = rig_new(NULL, 0);
	int q;

	(void)state;
	set_params(&r, 350, 0, 20, 0);	/* resonant: a long tail */
	feed(&r, 2, impulse);
	run(&r);
	r.n->in[0].silent = true;
	r.n->in[0].channels = 1;
	run(&r);
	assert_false(r.n->out[0].silent);
	assert_int_equal(r.n->out[0].channels, 2);	/* the ringing channels */
	assert_true(fabsf(r.n->out[0].data[0][0]) > 0);
	for (q = 0; q < 10000 && !r.n->out[0].silent; q++)
		run(&r);
	assert_true(r.n->out[0].silent);
	assert_false(r.n->tail);
	rig_free(&r);
}

static void silent_input_without_state_gives_silence(void **state)
{
	struct rig r = rig_new(NULL, 0);

	(void)state;
	set_params(&r, 350, 0, 1, 0);
	r.n->in[0].silent = true;
	run(&r);
	assert_true(r.n->out[0].silent);
	rig_free(&r);
}

static void type_option_and_attribute_accept_only_the_eight_types(void **state)
{
	struct option bad = { "type", { .type = VALUE_STRING, .str = "lowpas" } };
	struct value v = { .type = VALUE_STRING, .str = "notch" }, got;
	const struct attr_desc *a;
	struct rig r = rig_new(NULL, 0);
	struct error err;
	void *staged = NULL;

	(void)state;
	assert_null(node_new(r.e, &biquad_kind, "g", 2, &bad, 1, &err));
	assert_int_equal(err.code, ERR_INVALID_VALUE);
	bad.name = "kind";
	assert_null(node_new(r.e, &biquad_kind, "g", 2, &bad, 1, &err));
	assert_int_equal(err.code, ERR_BAD_REQUEST);
	a = node_attr(r.n, "type");
	assert_non_null(a);
	a->get(r.n, &got);
	assert_string_equal(got.str, "lowpass");
	assert_int_equal(a->check(r.n, &v, &staged, &err), 0);
	a->apply(r.n, &v, &staged);
	a->get(r.n, &got);
	assert_string_equal(got.str, "notch");
	v.str = "shelf";
	assert_int_equal(a->check(r.n, &v, &staged, &err), -1);
	assert_int_equal(err.code, ERR_INVALID_VALUE);
	rig_free(&r);
}

static void params_have_the_spec_defaults_and_ranges(void **state)
{
	struct rig r = rig_new(NULL, 0);
	const struct param *p = r.n->params;

	(void)state;
	assert_string_equal(p[0].desc->name, "frequency");
	assert_true(p[0].desc->def == 350.0f && p[0].desc->min == 0 &&
		    p[0].desc->max == (float)(FS / 2));
	assert_true(p[1].desc->def == 0 && p[1].desc->max == (float)(1200 * log2(FLT_MAX)));
	assert_true(p[2].desc->def == 1 && p[2].desc->max == FLT_MAX &&
		    p[2].desc->min == -FLT_MAX);
	assert_true(p[3].desc->def == 0 && p[3].desc->max == (float)(40 * log10(FLT_MAX)));
	for (int j = 0; j < 4; j++)
		assert_false(p[j].desc->k_rate);
	rig_free(&r);
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(coefficients_of_every_type_follow_the_spec_formulas),
		T(coefficients_at_band_edges_are_the_limits_of_the_transfer_function),
		T(q_at_or_below_zero_gives_the_limit_for_linear_q_types),
		T(frequency_response_matches_the_transfer_function),
		T(frequency_response_has_known_values_at_the_centre),
		T(frequency_response_outside_zero_to_nyquist_is_nan),
		T(lowpass_impulse_response_matches_the_difference_equation_in_double),
		T(automated_frequency_changes_coefficients_every_sample),
		T(detune_scales_the_frequency_by_cents),
		T(output_has_the_input_channel_count_and_channels_are_independent),
		T(output_rings_after_input_stops_then_goes_silent),
		T(silent_input_without_state_gives_silence),
		T(type_option_and_attribute_accept_only_the_eight_types),
		T(params_have_the_spec_defaults_and_ranges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
