/* unit tests for engine/wave.c: the PeriodicWave constructor's rules, the spec's waveform
 * generation and normalization, the built-in shapes' Fourier coefficients, and band-limiting.
 * expectations are the spec's sums evaluated directly in double. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "engine/wave.h"

#define RATE 48000.0

/* x(n) = sum_{k=1}^{kmax} a[k] cos(2 pi k n / N) + b[k] sin(2 pi k n / N), for n < N */
static double *spec_sum(const double *a, const double *b, size_t kmax, uint32_t n)
{
	double *x = calloc(n, sizeof(double));
	double *c = malloc(n * sizeof(double)), *s = malloc(n * sizeof(double));

	for (uint32_t m = 0; m < n; m++) {
		c[m] = cos(2 * M_PI * m / n);
		s[m] = sin(2 * M_PI * m / n);
	}
	for (size_t k = 1; k <= kmax; k++)
		for (uint32_t i = 0; i < n; i++) {
			uint32_t m = (uint32_t)((k * i) % n);

			x[i] += (a ? a[k] * c[m] : 0) + b[k] * s[m];
		}
	free(c);
	free(s);
	return x;
}

static double peak(const double *x, uint32_t n)
{
	double m = 0;

	for (uint32_t i = 0; i < n; i++)
		m = fmax(m, fabs(x[i]));
	return m;
}

static void constructor_rejects_real_and_imag_of_different_lengths(void **state)
{
	double a[3] = { 0 }, b[4] = { 0 };
	struct error err = { 0 };

	assert_null(wave_new(a, 3, b, 4, false, &err));
	assert_int_equal(err.code, ERR_INDEX_SIZE);
}

static void constructor_rejects_fewer_than_two_terms(void **state)
{
	double a[1] = { 0 };
	struct error err = { 0 };

	assert_null(wave_new(a, 1, NULL, 0, false, &err));
	assert_int_equal(err.code, ERR_INDEX_SIZE);
	err.code = ERR_OK;
	assert_null(wave_new(NULL, 0, a, 1, false, &err));
	assert_int_equal(err.code, ERR_INDEX_SIZE);
	err.code = ERR_OK;
	assert_null(wave_new(a, 0, a, 0, false, &err));
	assert_int_equal(err.code, ERR_INDEX_SIZE);
}

static void constructor_without_arrays_gives_the_sine(void **state)
{
	struct error err = { 0 };
	struct periodic_wave *w = wave_new(NULL, 0, NULL, 0, false, &err);

	assert_non_null(w);
	assert_int_equal(w->len, 2);
	assert_true(w->real[0] == 0 && w->real[1] == 0);
	assert_true(w->imag[0] == 0 && w->imag[1] == 1);
	assert_true(w->normalize);
	wave_free(w);
}

static void constructor_with_one_array_zeroes_the_other(void **state)
{
	double b[3] = { 0, 0.25, 0.5 };
	struct error err = { 0 };
	struct periodic_wave *w = wave_new(NULL, 0, b, 3, true, &err);

	assert_non_null(w);
	assert_int_equal(w->len, 3);
	for (int k = 0; k < 3; k++) {
		assert_true(w->real[k] == 0);
		assert_true(w->imag[k] == (float)b[k]);
	}
	assert_false(w->normalize);
	wave_free(w);
}

static void constructor_zeroes_the_dc_terms(void **state)
{
	double a[2] = { 0.5, 0.25 }, b[2] = { 0.75, 1 };
	struct error err = { 0 };
	struct periodic_wave *w = wave_new(a, 2, b, 2, false, &err);

	assert_non_null(w);
	assert_true(w->real[0] == 0 && w->imag[0] == 0);
	assert_true(w->real[1] == 0.25f && w->imag[1] == 1);
	wave_free(w);
}

static void constructor_rejects_coefficients_that_are_not_finite_floats(void **state)
{
	double a[2] = { 0, NAN }, b[2] = { 0, 1e300 };
	struct error err = { 0 };

	assert_null(wave_new(a, 2, NULL, 0, false, &err));
	assert_int_equal(err.code, ERR_INVALID_VALUE);
	err.code = ERR_OK;
	assert_null(wave_new(NULL, 0, b, 2, false, &err));
	assert_int_equal(err.code, ERR_INVALID_VALUE);
}

/* a custom wave's widest table against the spec's x~(n) / max|x~(n)| (or x~(n) unscaled) */
static void check_custom_table(bool disable)
{
	double a[4] = { 0, 0.3, 0, 0.1 }, b[4] = { 0, 1, 0.5, 0.25 };
	struct error err = { 0 };
	struct periodic_wave *w = wave_new(a, 4, b, 4, disable, &err);
	struct wave_tables *t = wave_tables_new(w, RATE, &err);
	uint32_t n = wave_table_size(RATE);
	double *x = spec_sum(a, b, 3, n), f = disable ? 1 : peak(x, n);

	assert_non_null(t);
	assert_int_equal(t->size, n);
	for (uint32_t i = 0; i < n; i++)
		assert_float_equal(t->range[0][i], x[i] / f, 2e-6);
	assert_true(t->range[0][n] == t->range[0][0]);
	free(x);
	wave_tables_unref(t);
	wave_free(w);
}

static void normalized_table_is_the_coefficient_sum_divided_by_its_peak(void **state)
{
	check_custom_table(false);
}

static void disabled_normalization_keeps_the_coefficient_sum(void **state)
{
	check_custom_table(true);
}

/* the spec's "Oscillator Coefficients" */
static double builtin_b(enum wave_shape s, size_t n)
{
	switch (s) {
	case WAVE_SINE:
		return n == 1;
	case WAVE_SQUARE:
		return 2 / (n * M_PI) * (1 - pow(-1, (double)n));
	case WAVE_SAWTOOTH:
		return pow(-1, (double)n + 1) * 2 / (n * M_PI);
	case WAVE_TRIANGLE:
		return 8 * sin(n * M_PI / 2) / ((M_PI * n) * (M_PI * n));
	}
	return 0;
}

static void builtin_tables_are_the_spec_coefficients_normalized(void **state)
{
	static const enum wave_shape shapes[] = { WAVE_SQUARE, WAVE_SAWTOOTH, WAVE_TRIANGLE };
	uint32_t n = wave_table_size(RATE), half = n / 2;
	double *b = malloc(half * sizeof(double));
	struct error err = { 0 };

	for (size_t s = 0; s < 3; s++) {
		struct wave_tables *t = wave_tables_builtin(shapes[s], RATE, &err);
		double *x, f;

		for (size_t k = 1; k < half; k++)
			b[k] = builtin_b(shapes[s], k);
		/* range 0 holds every partial the table can: 1 .. N/2 - 1 */
		x = spec_sum(NULL, b, half - 1, n);
		f = peak(x, n);
		assert_non_null(t);
		for (uint32_t i = 0; i < n; i++)
			assert_float_equal(t->range[0][i], x[i] / f, 1e-5);
		free(x);
		wave_tables_unref(t);
	}
	free(b);
}

/* sine / cosine coefficient of partial k in a table of n samples */
static void table_partial(const float *tab, uint32_t n, uint32_t k, double *sn, double *cs)
{
	double s = 0, c = 0;

	for (uint32_t i = 0; i < n; i++) {
		s += tab[i] * sin(2 * M_PI * (double)((uint64_t)k * i % n) / n);
		c += tab[i] * cos(2 * M_PI * (double)((uint64_t)k * i % n) / n);
	}
	*sn = 2 * s / n;
	*cs = 2 * c / n;
}

/* the blend wave_tables_pick describes, as one table */
static float *blend(const struct wave_pick *p, uint32_t n)
{
	float *tab = malloc((n + 1) * sizeof(float));

	assert_non_null(tab);
	for (uint32_t i = 0; i <= n; i++)
		tab[i] = (1 - p->mix) * p->more[i] + p->mix * p->fewer[i];
	return tab;
}

static void picked_blend_keeps_partials_below_nyquist_only(void **state)
{
	static const double freqs[] = { 30, 110, 440, 1000, 3300, 7000, 15000 };
	uint32_t n = wave_table_size(RATE);
	struct error err = { 0 };
	struct wave_tables *t = wave_tables_builtin(WAVE_SAWTOOTH, RATE, &err);
	double norm = 0;

	assert_non_null(t);
	/* the normalization factor, from the fundamental of the widest table */
	{
		double s1, c1;

		table_partial(t->range[0], n, 1, &s1, &c1);
		norm = s1 / builtin_b(WAVE_SAWTOOTH, 1);
	}
	for (size_t j = 0; j < sizeof(freqs) / sizeof(freqs[0]); j++) {
		double f = freqs[j];
		struct wave_pick p;
		float *tab;

		wave_tables_pick(t, f, &p);
		assert_true(p.mix >= 0 && p.mix < 1);
		tab = blend(&p, n);

		for (uint32_t k = 1; k < n / 2; k++) {
			double s, c, hz = k * f;

			/* only the partials near the cut are in question: check those */
			if (hz < RATE / 2 * 0.7 && k > 8)
				continue;
			if (hz > RATE / 2 * 1.3)
				break;
			table_partial(tab, n, k, &s, &c);
			if (hz >= RATE / 2) {
				assert_float_equal(s, 0, 1e-6);
			} else if (hz < RATE / 2 * pow(2, -2.0 / 3)) {
				/* below the blend's two thirds of an octave: every partial whole */
				assert_float_equal(s, builtin_b(WAVE_SAWTOOTH, k) * norm, 1e-6);
			} else {
				/* fading out: never louder than whole */
				assert_true(fabs(s) <= fabs(builtin_b(WAVE_SAWTOOTH, k) * norm) + 1e-6);
			}
			assert_float_equal(c, 0, 1e-6);
		}
		free(tab);
	}
	wave_tables_unref(t);
}

static void tables_reference_count(void **state)
{
	struct error err = { 0 };
	struct wave_tables *t = wave_tables_builtin(WAVE_TRIANGLE, 44100, &err);

	assert_non_null(t);
	assert_int_equal(t->refs, 1);
	assert_ptr_equal(wave_tables_ref(t), t);
	assert_int_equal(t->refs, 2);
	wave_tables_unref(t);
	assert_int_equal(t->refs, 1);
	wave_tables_unref(t);
	wave_tables_unref(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(constructor_rejects_real_and_imag_of_different_lengths),
		cmocka_unit_test(constructor_rejects_fewer_than_two_terms),
		cmocka_unit_test(constructor_without_arrays_gives_the_sine),
		cmocka_unit_test(constructor_with_one_array_zeroes_the_other),
		cmocka_unit_test(constructor_zeroes_the_dc_terms),
		cmocka_unit_test(constructor_rejects_coefficients_that_are_not_finite_floats),
		cmocka_unit_test(normalized_table_is_the_coefficient_sum_divided_by_its_peak),
		cmocka_unit_test(disabled_normalization_keeps_the_coefficient_sum),
		cmocka_unit_test(builtin_tables_are_the_spec_coefficients_normalized),
		cmocka_unit_test(picked_blend_keeps_partials_below_nyquist_only),
		cmocka_unit_test(tables_reference_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
