/* unit tests for engine/oscillator.c: the spec's computedOscFrequency, phase from the exact
 * start time, the built-in shapes' levels, band-limiting, type and periodicWave attributes.
 * the kind is driven directly (params filled by hand, as param_compute would leave them);
 * expectations are the spec's formulas evaluated in double. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "engine/node.h"
#include "engine/wave.h"

extern const struct node_kind oscillator_kind;

#define RATE 48000.0

struct rig {
	struct engine *engine;
	struct node *n;
	uint64_t frame;
	/* per-frame frequency and detune; NULL: the constant below */
	double (*freq_at)(uint64_t frame);
	double (*detune_at)(uint64_t frame);
	float freq, detune;
};

static struct rig *rig_try(const struct option *opts, size_t n_opts, float freq, float detune,
			   struct error *err)
{
	struct rig *r = calloc(1, sizeof(*r));
	struct node *n = calloc(1, oscillator_kind.size);

	r->engine = engine_new(RATE, 1, err);
	assert_non_null(r->engine);
	n->kind = &oscillator_kind;
	n->engine = r->engine;
	n->sample_rate = RATE;
	n->n_outputs = 1;
	n->out = calloc(1, sizeof(*n->out));
	assert_int_equal(bus_init(n->out, 1), 0);
	n->params = calloc(2, sizeof(*n->params));
	for (int i = 0; i < 2; i++)
		n->params[i].desc = &oscillator_kind.params[i];
	n->sched.stop = INFINITY;
	n->sched.duration = INFINITY;
	r->n = n;
	r->freq = freq;
	r->detune = detune;
	if (oscillator_kind.init(n, opts, n_opts, err) < 0) {
		oscillator_kind.fini(n);
		bus_fini(n->out);
		free(n->out);
		free(n->params);
		free(n);
		engine_free(r->engine);
		free(r);
		return NULL;
	}
	return r;
}

static struct rig *rig_new(const struct option *opts, size_t n_opts, float freq, float detune)
{
	struct error err = { 0 };
	struct rig *r = rig_try(opts, n_opts, freq, detune, &err);

	if (!r)
		fail_msg("init: %s", err.msg);
	return r;
}

static void rig_free(struct rig *r)
{
	oscillator_kind.fini(r->n);
	bus_fini(r->n->out);
	free(r->n->out);
	free(r->n->params);
	free(r->n);
	engine_free(r->engine);
	free(r);
}

static void rig_start(struct rig *r, double when, double stop)
{
	r->n->sched.start_called = true;
	r->n->sched.state = SCHED_SCHEDULED;
	r->n->sched.start = when;
	r->n->sched.stop = stop;
}

/* fills the params the way param_compute would: clamped to the nominal range */
static void rig_params(struct rig *r)
{
	struct param *p = r->n->params;

	p[0].constant = !r->freq_at;
	p[1].constant = !r->detune_at;
	for (int i = 0; i < QUANTUM; i++) {
		double f = r->freq_at ? r->freq_at(r->frame + i) : r->freq;
		double d = r->detune_at ? r->detune_at(r->frame + i) : r->detune;

		p[0].values[i] = (float)fmin(fmax(f, p[0].desc->min), p[0].desc->max);
		p[1].values[i] = (float)fmin(fmax(d, p[1].desc->min), p[1].desc->max);
	}
}

/* renders `len` frames (a multiple of QUANTUM) into y */
static void rig_render(struct rig *r, float *y, size_t len)
{
	for (size_t q = 0; q < len; q += QUANTUM) {
		struct render_ctx ctx = { r->frame, r->frame / RATE, RATE, r->engine };
		const struct bus *out = r->n->out;

		rig_params(r);
		oscillator_kind.process(r->n, &ctx);
		assert_int_equal(out->channels, 1);
		for (int i = 0; i < QUANTUM; i++)
			y[q + i] = out->silent ? 0 : out->data[0][i];
		r->frame += QUANTUM;
	}
}

static struct option opt_str(const char *name, const char *s)
{
	struct option o = { .name = name, .value = { .type = VALUE_STRING, .str = s } };

	return o;
}

static struct option opt_wave(struct periodic_wave *w)
{
	struct option o = { .name = "periodicWave", .value = { .type = VALUE_WAVE, .wave = w } };

	return o;
}

/* the playing oscillator against A sin(2 pi f t) from t = 0 */
static void check_sine(struct rig *r, double f, double amp, double tol)
{
	static float y[QUANTUM * 40];

	rig_start(r, 0, INFINITY);
	rig_render(r, y, QUANTUM * 40);
	for (int i = 0; i < QUANTUM * 40; i++)
		assert_float_equal(y[i], amp * sin(2 * M_PI * f * i / RATE), tol);
}

static void sine_is_sin_of_two_pi_f_t(void **state)
{
	struct rig *r = rig_new(NULL, 0, 440, 0);

	check_sine(r, 440, 1, 1e-7);
	rig_free(r);
}

static void detune_multiplies_frequency_by_two_to_the_cents_over_1200(void **state)
{
	struct rig *r = rig_new(NULL, 0, 440, 700);

	check_sine(r, 440 * pow(2, 700 / 1200.0), 1, 1e-6);
	rig_free(r);
}

static void negative_frequency_runs_the_sine_backwards(void **state)
{
	struct rig *r = rig_new(NULL, 0, -100, 0);

	check_sine(r, -100, 1, 1e-7);
	rig_free(r);
}

static void frequency_nominal_range_is_plus_minus_nyquist(void **state)
{
	struct rig *r = rig_new(NULL, 0, 440, 0);
	const struct param_desc *f = r->n->params[0].desc, *d = r->n->params[1].desc;

	assert_string_equal(f->name, "frequency");
	assert_true(f->def == 440 && f->min == -24000 && f->max == 24000);
	assert_false(f->k_rate);
	assert_string_equal(d->name, "detune");
	assert_true(d->def == 0);
	assert_float_equal(d->max, 1200 * log2(FLT_MAX), 0.01);
	assert_float_equal(d->min, -1200 * log2(FLT_MAX), 0.01);
	assert_false(d->k_rate);
	rig_free(r);
}

static void frequency_is_clamped_before_detune_applies(void **state)
{
	/* frequency 30000 clamps to Nyquist (24000); an octave down plays 12000 */
	struct rig *r = rig_new(NULL, 0, 30000, -1200);

	check_sine(r, 12000, 1, 1e-6);
	rig_free(r);
}

/* the clamped frequency is Nyquist, where no partial of a band-limited waveform remains: a
 * start between frames gives a phase whose samples at Nyquist would be +-sin(phase) */
static void computed_frequency_at_or_above_nyquist_is_silent(void **state)
{
	static const float freqs[][2] = { { 20000, 1200 }, { -20000, 1200 }, { 24000, 0 } };
	static float y[QUANTUM * 4];

	for (size_t k = 0; k < sizeof(freqs) / sizeof(freqs[0]); k++) {
		struct rig *r = rig_new(NULL, 0, freqs[k][0], freqs[k][1]);

		rig_start(r, 10.25 / RATE, INFINITY);
		rig_render(r, y, QUANTUM * 4);
		for (int i = 0; i < QUANTUM * 4; i++)
			assert_true(y[i] == 0);
		rig_free(r);
	}
}

/* a-rate: 1000 Hz detuned up 100 cents a frame passes Nyquist (24000 = 1000 * 2^(i / 12)
 * at i = 55.02) inside the quantum; the frames from 56 on are silent, those before play
 * the integral of the frequency */
static double detune_100_per_frame(uint64_t i)
{
	return 100.0 * (double)i;
}

static void detune_sweep_past_nyquist_is_silent_from_that_frame(void **state)
{
	static float y[QUANTUM];

	for (int sign = -1; sign <= 1; sign += 2) {
		struct rig *r = rig_new(NULL, 0, (float)(sign * 1000), 0);
		double ph = 0;

		r->detune_at = detune_100_per_frame;
		rig_start(r, 0, INFINITY);
		rig_render(r, y, QUANTUM);
		for (int i = 0; i < QUANTUM; i++) {
			double f = sign * 1000 * pow(2, i / 12.0);

			if (i < 56)
				assert_float_equal(y[i], sin(2 * M_PI * ph), 1e-5);
			else
				assert_true(y[i] == 0);
			ph += (fabs(f) < 24000 ? f : sign * 24000) / RATE;
		}
		rig_free(r);
	}
}

static void start_between_frames_has_phase_zero_at_the_start_time(void **state)
{
	static float y[QUANTUM * 4];
	const double f = 220, start = 200.25 / RATE;
	struct rig *r = rig_new(NULL, 0, f, 0);

	rig_start(r, start, INFINITY);
	rig_render(r, y, QUANTUM * 4);
	for (int i = 0; i <= 200; i++)
		assert_true(y[i] == 0);
	for (int i = 201; i < QUANTUM * 4; i++)
		assert_float_equal(y[i], sin(2 * M_PI * f * (i / RATE - start)), 1e-6);
	rig_free(r);
}

static void output_is_silent_before_start_and_after_stop(void **state)
{
	static float y[QUANTUM * 6];
	const double f = 1000;
	struct rig *r = rig_new(NULL, 0, f, 0);

	/* plays frames 300 .. 500 (stop at 500.5 frames: 500 is the last before it) */
	rig_start(r, 300 / RATE, 500.5 / RATE);
	rig_render(r, y, QUANTUM * 6);
	for (int i = 0; i < QUANTUM * 6; i++) {
		double e = i >= 300 && i <= 500 ? sin(2 * M_PI * f * (i - 300) / RATE) : 0;

		assert_float_equal(y[i], e, 1e-7);
	}
	/* the first quantum is wholly before the start: flagged silent */
	r->frame = 0;
	rig_start(r, 300 / RATE, INFINITY);
	rig_params(r);
	{
		struct render_ctx ctx = { 0, 0, RATE, r->engine };

		oscillator_kind.process(r->n, &ctx);
	}
	assert_true(r->n->out->silent);
	rig_free(r);
}

/* a linear frequency ramp 100 -> 4100 Hz over 2000 frames and a detune ramp 0 -> -600 */
static double ramp_freq(uint64_t i)
{
	return i >= 2000 ? 4100 : 100 + 4000.0 * i / 2000;
}

static double ramp_detune(uint64_t i)
{
	return -600.0 * i / (QUANTUM * 20);
}

static void a_rate_frequency_and_detune_integrate_per_frame(void **state)
{
	static float y[QUANTUM * 20];
	struct rig *r = rig_new(NULL, 0, 0, 0);
	double phase = 0;

	r->freq_at = ramp_freq;
	r->detune_at = ramp_detune;
	rig_start(r, 0, INFINITY);
	rig_render(r, y, QUANTUM * 20);
	/* instantaneous phase: the time integral of computedOscFrequency, one frame at a time */
	for (int i = 0; i < QUANTUM * 20; i++) {
		double f = (float)ramp_freq(i) * pow(2, (float)ramp_detune(i) / 1200);

		assert_float_equal(y[i], sin(2 * M_PI * phase), 2e-6);
		phase += f / RATE;
	}
	rig_free(r);
}

/* the spec's b[1] for each shape, divided by the normalization factor max|x~(n)| over the
 * table size the engine uses */
static double normalized_b1(const char *type)
{
	uint32_t n = wave_table_size(RATE), half = n / 2;
	double *x = calloc(n, sizeof(double)), *s = malloc(n * sizeof(double)), m = 0, b1 = 0;

	for (uint32_t i = 0; i < n; i++)
		s[i] = sin(2 * M_PI * i / n);
	for (uint32_t k = 1; k < half; k++) {
		double b;

		if (strcmp(type, "square") == 0)
			b = 2 / (k * M_PI) * (1 - pow(-1, k));
		else if (strcmp(type, "sawtooth") == 0)
			b = pow(-1, k + 1) * 2 / (k * M_PI);
		else
			b = 8 * sin(k * M_PI / 2) / ((M_PI * k) * (M_PI * k));
		if (k == 1)
			b1 = b;
		for (uint32_t i = 0; i < n; i++)
			x[i] += b * s[(uint64_t)k * i % n];
	}
	for (uint32_t i = 0; i < n; i++)
		m = fmax(m, fabs(x[i]));
	free(x);
	free(s);
	return b1 / m;
}

/* sine and cosine coefficients of harmonic k of f, over `len` frames holding whole periods */
static void harmonic(const float *y, size_t len, double f, int k, double *sn, double *cs)
{
	double s = 0, c = 0;

	for (size_t i = 0; i < len; i++) {
		s += y[i] * sin(2 * M_PI * k * f * i / RATE);
		c += y[i] * cos(2 * M_PI * k * f * i / RATE);
	}
	*sn = 2 * s / len;
	*cs = 2 * c / len;
}

static void builtin_fundamental_is_the_normalized_fourier_coefficient(void **state)
{
	static const char *const types[] = { "square", "sawtooth", "triangle" };
	static float y[QUANTUM * 32];

	for (int t = 0; t < 3; t++) {
		struct option o = opt_str("type", types[t]);
		/* 375 Hz: a period of exactly 128 frames */
		struct rig *r = rig_new(&o, 1, 375, 0);
		double s, c;

		rig_start(r, 0, INFINITY);
		rig_render(r, y, QUANTUM * 32);
		harmonic(y, QUANTUM * 32, 375, 1, &s, &c);
		/* odd, with a positive slope at 0: all sine */
		assert_float_equal(s, normalized_b1(types[t]), 1e-4);
		assert_float_equal(c, 0, 1e-4);
		rig_free(r);
	}
}

static void sawtooth_has_every_partial_below_nyquist_and_no_alias(void **state)
{
	/* 3300 Hz: 11 periods in 160 frames, so harmonic k sits in DFT bin 11 k; an alias of a
	 * partial above Nyquist would land off those bins */
	static float y[QUANTUM * 10];
	const double f = 3300, norm = normalized_b1("sawtooth") / (2 / M_PI);
	const size_t len = 1120;	/* 7 windows of 160 frames */
	struct option o = opt_str("type", "sawtooth");
	struct rig *r = rig_new(&o, 1, (float)f, 0);

	rig_start(r, 0, INFINITY);
	rig_render(r, y, QUANTUM * 10);
	for (int bin = 1; bin < 80; bin++) {
		double s, c, bf = bin * RATE / 160;

		harmonic(y, len, bf, 1, &s, &c);
		if (bin % 11 == 0 && bf < RATE / 2 * pow(2, -1.0 / 3)) {
			int k = bin / 11;

			assert_float_equal(s, pow(-1, k + 1) * 2 / (k * M_PI) * norm, 1e-4);
			assert_float_equal(c, 0, 1e-4);
		} else if (bin % 11 != 0) {
			assert_float_equal(hypot(s, c), 0, 1e-4);
		}
	}
	rig_free(r);
}

static const struct attr_desc *attr(const char *name)
{
	for (uint32_t i = 0; i < oscillator_kind.n_attrs; i++)
		if (strcmp(oscillator_kind.attrs[i].name, name) == 0)
			return &oscillator_kind.attrs[i];
	fail_msg("no attribute %s", name);
	return NULL;
}

/* the engine's two steps for a `set`: check on the control side, apply + release */
static int rig_set(struct rig *r, const char *name, const struct value *v, struct error *err)
{
	const struct attr_desc *a = attr(name);
	void *staged = NULL;

	if (a->check(r->n, v, &staged, err) < 0)
		return -1;
	a->apply(r->n, v, &staged);
	if (a->release)
		a->release(r->n, staged);
	return 0;
}

static const char *rig_type(struct rig *r)
{
	struct value v;

	attr("type")->get(r->n, &v);
	assert_int_equal(v.type, VALUE_STRING);
	return v.str;
}

static void setting_type_keeps_the_phase(void **state)
{
	static float a[QUANTUM * 20], b[QUANTUM * 20];
	struct option o = opt_str("type", "triangle");
	struct value v = { .type = VALUE_STRING, .str = "triangle" };
	struct rig *ra = rig_new(NULL, 0, 1234, 0), *rb = rig_new(&o, 1, 1234, 0);
	struct error err = { 0 };

	rig_start(ra, 0, INFINITY);
	rig_start(rb, 0, INFINITY);
	rig_render(ra, a, QUANTUM * 10);
	assert_int_equal(rig_set(ra, "type", &v, &err), 0);
	assert_string_equal(rig_type(ra), "triangle");
	rig_render(ra, a + QUANTUM * 10, QUANTUM * 10);
	rig_render(rb, b, QUANTUM * 20);
	for (int i = QUANTUM * 10; i < QUANTUM * 20; i++)
		assert_float_equal(a[i], b[i], 1e-6);
	rig_free(ra);
	rig_free(rb);
}

static void setting_type_custom_is_an_invalid_state(void **state)
{
	struct rig *r = rig_new(NULL, 0, 440, 0);
	struct value v = { .type = VALUE_STRING, .str = "custom" };
	struct error err = { 0 };

	assert_int_equal(rig_set(r, "type", &v, &err), -1);
	assert_int_equal(err.code, ERR_INVALID_STATE);
	assert_string_equal(rig_type(r), "sine");
	v.str = "sawtooh";
	assert_int_equal(rig_set(r, "type", &v, &err), -1);
	assert_int_equal(err.code, ERR_INVALID_VALUE);
	rig_free(r);
}

static void custom_type_without_periodic_wave_is_an_invalid_state(void **state)
{
	struct option o = opt_str("type", "custom");
	struct error err = { 0 };

	assert_null(rig_try(&o, 1, 440, 0, &err));
	assert_int_equal(err.code, ERR_INVALID_STATE);
}

static void unknown_option_is_rejected(void **state)
{
	struct option o = opt_str("typ", "sine");
	struct error err = { 0 };

	assert_null(rig_try(&o, 1, 440, 0, &err));
	assert_int_equal(err.code, ERR_BAD_REQUEST);
}

/* imag = [0, 0.5]: a sine of amplitude 0.5, or 1 once normalized */
static void periodic_wave_level(bool disable, double amp)
{
	double b[2] = { 0, 0.5 };
	struct error err = { 0 };
	struct periodic_wave *w = wave_new(NULL, 0, b, 2, disable, &err);
	struct option o[2] = { opt_str("type", "square"), opt_wave(w) };
	struct rig *r = rig_new(o, 2, 375, 0);

	/* the wave was copied: the caller may free it */
	wave_free(w);
	assert_string_equal(rig_type(r), "custom");
	/* linear interpolation of a 4096-point table: (pi / 4096)^2 / 2 relative */
	check_sine(r, 375, amp, 3e-7 + amp * 3e-7);
	rig_free(r);
}

static void periodic_wave_normalized_peaks_at_one(void **state)
{
	periodic_wave_level(false, 1);
}

static void periodic_wave_without_normalization_keeps_its_levels(void **state)
{
	periodic_wave_level(true, 0.5);
}

static void setting_periodic_wave_makes_type_custom(void **state)
{
	static float y[QUANTUM * 8];
	double a[3] = { 0, 0.25, 0 }, b[3] = { 0, 0, 0.5 };
	struct error err = { 0 };
	struct periodic_wave *w = wave_new(a, 3, b, 3, true, &err);
	struct value v = { .type = VALUE_WAVE, .wave = w };
	struct rig *r = rig_new(NULL, 0, 375, 0);

	assert_int_equal(rig_set(r, "periodicWave", &v, &err), 0);
	wave_free(w);
	assert_string_equal(rig_type(r), "custom");
	rig_start(r, 0, INFINITY);
	rig_render(r, y, QUANTUM * 8);
	for (int i = 0; i < QUANTUM * 8; i++) {
		double t = 375.0 * i / RATE;

		assert_float_equal(y[i], 0.25 * cos(2 * M_PI * t) + 0.5 * sin(4 * M_PI * t), 2e-6);
	}
	v.type = VALUE_STRING;
	v.str = "x";
	assert_int_equal(rig_set(r, "periodicWave", &v, &err), -1);
	rig_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sine_is_sin_of_two_pi_f_t),
		cmocka_unit_test(detune_multiplies_frequency_by_two_to_the_cents_over_1200),
		cmocka_unit_test(negative_frequency_runs_the_sine_backwards),
		cmocka_unit_test(frequency_nominal_range_is_plus_minus_nyquist),
		cmocka_unit_test(frequency_is_clamped_before_detune_applies),
		cmocka_unit_test(computed_frequency_at_or_above_nyquist_is_silent),
		cmocka_unit_test(detune_sweep_past_nyquist_is_silent_from_that_frame),
		cmocka_unit_test(start_between_frames_has_phase_zero_at_the_start_time),
		cmocka_unit_test(output_is_silent_before_start_and_after_stop),
		cmocka_unit_test(a_rate_frequency_and_detune_integrate_per_frame),
		cmocka_unit_test(builtin_fundamental_is_the_normalized_fourier_coefficient),
		cmocka_unit_test(sawtooth_has_every_partial_below_nyquist_and_no_alias),
		cmocka_unit_test(setting_type_keeps_the_phase),
		cmocka_unit_test(setting_type_custom_is_an_invalid_state),
		cmocka_unit_test(custom_type_without_periodic_wave_is_an_invalid_state),
		cmocka_unit_test(unknown_option_is_rejected),
		cmocka_unit_test(periodic_wave_normalized_peaks_at_one),
		cmocka_unit_test(periodic_wave_without_normalization_keeps_its_levels),
		cmocka_unit_test(setting_periodic_wave_makes_type_custom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
