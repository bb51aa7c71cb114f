/* PeriodicWave and its band-limited wavetables, built with an inverse FFT (FFTW).
 * control thread only: FFTW planning is not thread-safe, and building allocates.
 * wave_tables_pick (wave.h) is the only part the render thread uses. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>

#include "wave.h"

#define RANGES_PER_OCTAVE 3

/* a double as the spec's `float` member type takes it: finite and within float range */
static int coef_convert(const double *src, size_t n, float *dst, const char *what,
			struct error *err)
{
	for (size_t i = 0; i < n; i++) {
		float f = (float)src[i];

		if (!isfinite(f))
			return err_set(err, ERR_INVALID_VALUE,
				       "%s[%zu]: %g is not a finite float", what, i, src[i]);
		dst[i] = f;
	}
	return 0;
}

/* the constructor's length rules */
static int wave_check_lengths(const double *real, size_t nreal, const double *imag,
			      size_t nimag, size_t *len, struct error *err)
{
	if (real && imag && nreal != nimag)
		return err_set(err, ERR_INDEX_SIZE,
			       "real and imag differ in length (%zu and %zu)", nreal, nimag);
	if (real && nreal < 2)
		return err_set(err, ERR_INDEX_SIZE, "real has %zu elements; at least 2 needed",
			       nreal);
	if (imag && nimag < 2)
		return err_set(err, ERR_INDEX_SIZE, "imag has %zu elements; at least 2 needed",
			       nimag);
	*len = real ? nreal : imag ? nimag : 2;
	return 0;
}

static struct periodic_wave *wave_alloc(size_t len, struct error *err)
{
	struct periodic_wave *w = calloc(1, sizeof(*w));

	if (w) {
		w->real = calloc(len, sizeof(float));
		w->imag = calloc(len, sizeof(float));
	}
	if (!w || !w->real || !w->imag) {
		wave_free(w);
		err_set(err, ERR_INTERNAL, "out of memory for a PeriodicWave of %zu terms", len);
		return NULL;
	}
	w->len = len;
	w->normalize = true;
	return w;
}

struct periodic_wave *wave_new(const double *real, size_t nreal, const double *imag,
			       size_t nimag, bool disable_normalization, struct error *err)
{
	struct periodic_wave *w;
	size_t len = 0;

	if (wave_check_lengths(real, nreal, imag, nimag, &len, err) < 0)
		return NULL;
	w = wave_alloc(len, err);
	if (!w)
		return NULL;
	if ((real && coef_convert(real, len, w->real, "real", err) < 0) ||
	    (imag && coef_convert(imag, len, w->imag, "imag", err) < 0)) {
		wave_free(w);
		return NULL;
	}
	if (!real && !imag)
		w->imag[1] = 1;	/* neither given: the spec's sine */
	/* the spec drops the DC term */
	w->real[0] = 0;
	w->imag[0] = 0;
	w->normalize = !disable_normalization;
	return w;
}

void wave_free(struct periodic_wave *w)
{
	if (!w)
		return;
	free(w->real);
	free(w->imag);
	free(w);
}

uint32_t wave_table_size(double sample_rate)
{
	/* enough points per period that linear interpolation stays far below the partials
	 * that matter, and that the lowest fundamental with a full spectrum
	 * (sample_rate / size) is low: ~11.7 Hz at 48 kHz.  these are Chromium's sizes. */
	if (sample_rate <= 24000)
		return 2048;
	if (sample_rate <= 88200)
		return 4096;
	return 16384;
}

/* the spec's "Oscillator Coefficients" b[n] (all a[n] are 0) */
static double builtin_coef(enum wave_shape shape, unsigned n)
{
	switch (shape) {
	case WAVE_SINE:
		return n == 1;
	case WAVE_SQUARE:
		return 2 / (n * M_PI) * (1 - ((n & 1) ? -1 : 1));
	case WAVE_SAWTOOTH:
		return ((n & 1) ? 2 : -2) / (n * M_PI);
	case WAVE_TRIANGLE:
		/* sin(n pi / 2) is 0, 1, 0, -1 for n = 0, 1, 2, 3 mod 4 */
		if (!(n & 1))
			return 0;
		return ((n & 2) ? -8 : 8) / (M_PI * M_PI * n * n);
	}
	return 0;
}

/* highest partial range r keeps: k <= half * 2^(-r/3) */
static uint32_t range_partials(uint32_t half, uint32_t r)
{
	return (uint32_t)(half * exp2(-(double)r / RANGES_PER_OCTAVE));
}

/* one inverse FFT: out[n] = sum_{k=1}^{kmax} a[k] cos(2 pi k n / N) + b[k] sin(2 pi k n / N).
 * fftw's c2r gives out[n] = sum_k X[k] e^{+2 pi i k n / N} over the Hermitian spectrum,
 * i.e. 2 Re(X[k] e^{i theta}) per k, so X[k] = (a[k] - i b[k]) / 2. */
static void table_synth(fftwf_plan plan, fftwf_complex *spec, uint32_t half,
			const struct periodic_wave *w, uint32_t kmax)
{
	memset(spec, 0, (half + 1) * sizeof(*spec));
	for (uint32_t k = 1; k <= kmax; k++) {
		spec[k][0] = 0.5f * w->real[k];
		spec[k][1] = -0.5f * w->imag[k];
	}
	fftwf_execute(plan);
}

static float peak_abs(const float *x, uint32_t n)
{
	float m = 0;

	for (uint32_t i = 0; i < n; i++)
		m = fmaxf(m, fabsf(x[i]));
	return m;
}

/* fills t->range / t->data: one table per distinct partial count */
static int tables_build(struct wave_tables *t, const struct periodic_wave *w,
			fftwf_plan plan, fftwf_complex *spec, float *out)
{
	uint32_t n = t->size, half = n / 2;
	/* partials 1 .. half - 1 fit a table of n samples */
	uint32_t avail = (uint32_t)(w->len - 1 < half - 1 ? w->len - 1 : half - 1);
	uint32_t distinct = 0, prev = UINT32_MAX;
	float scale = 1, *tab = NULL;

	for (uint32_t r = 0; r < t->n_ranges; r++) {
		uint32_t kmax = range_partials(half, r);

		kmax = kmax < avail ? kmax : avail;
		distinct += kmax != prev;
		prev = kmax;
	}
	t->data = malloc((size_t)distinct * (n + 1) * sizeof(float));
	if (!t->data)
		return -1;
	prev = UINT32_MAX;
	for (uint32_t r = 0; r < t->n_ranges; r++) {
		uint32_t kmax = range_partials(half, r);

		kmax = kmax < avail ? kmax : avail;
		if (kmax != prev) {
			tab = tab ? tab + n + 1 : t->data;
			table_synth(plan, spec, half, w, kmax);
			/* the spec's normalization: one factor, from the table with every
			 * partial (range 0), applied to all of them */
			if (r == 0 && w->normalize) {
				float peak = peak_abs(out, n);

				scale = peak > 0 ? 1 / peak : 1;
			}
			for (uint32_t i = 0; i < n; i++)
				tab[i] = out[i] * scale;
			tab[n] = tab[0];
			prev = kmax;
		}
		t->range[r] = tab;
	}
	return 0;
}

struct wave_tables *wave_tables_new(const struct periodic_wave *w, double sample_rate,
				    struct error *err)
{
	struct wave_tables *t = calloc(1, sizeof(*t));
	fftwf_complex *spec = NULL;
	float *out = NULL;
	fftwf_plan plan = NULL;
	uint32_t n = wave_table_size(sample_rate);

	if (!t)
		goto fail;
	t->size = n;
	t->refs = 1;
	t->n_ranges = (uint32_t)lround(RANGES_PER_OCTAVE * log2(n));
	t->inv_lowest = n / sample_rate;
	t->range = calloc(t->n_ranges, sizeof(*t->range));
	spec = fftwf_alloc_complex(n / 2 + 1);
	out = fftwf_alloc_real(n);
	if (!t->range || !spec || !out)
		goto fail;
	t->wave = wave_copy(w);
	if (t->wave == NULL)
		goto fail;
	plan = fftwf_plan_dft_c2r_1d((int)n, spec, out, FFTW_ESTIMATE);
	if (!plan || tables_build(t, w, plan, spec, out) < 0)
		goto fail;
	fftwf_destroy_plan(plan);
	fftwf_free(out);
	fftwf_free(spec);
	return t;
fail:
	if (plan)
		fftwf_destroy_plan(plan);
	fftwf_free(out);
	fftwf_free(spec);
	wave_tables_unref(t);
	err_set(err, ERR_INTERNAL, "out of memory for wavetables");
	return NULL;
}

struct periodic_wave *wave_copy(const struct periodic_wave *w)
{
	struct periodic_wave *c = wave_alloc(w->len, NULL);

	if (c == NULL)
		return NULL;
	memcpy(c->real, w->real, w->len * sizeof(float));
	memcpy(c->imag, w->imag, w->len * sizeof(float));
	c->normalize = w->normalize;
	return c;
}

struct wave_tables *wave_tables_builtin(enum wave_shape shape, double sample_rate,
					struct error *err)
{
	/* as many terms as the table can hold; the spec's series is infinite */
	size_t len = wave_table_size(sample_rate) / 2;
	struct periodic_wave *w = wave_alloc(len, err);
	struct wave_tables *t;

	if (!w)
		return NULL;
	for (size_t k = 1; k < len; k++)
		w->imag[k] = (float)builtin_coef(shape, (unsigned)k);
	t = wave_tables_new(w, sample_rate, err);
	wave_free(w);
	if (t) {
		wave_free(t->wave);	/* built-in: nothing to save */
		t->wave = NULL;
	}
	return t;
}

struct wave_tables *wave_tables_ref(struct wave_tables *t)
{
	t->refs++;
	return t;
}

void wave_tables_unref(struct wave_tables *t)
{
	if (!t || --t->refs > 0)
		return;
	wave_free(t->wave);
	free(t->data);
	free(t->range);
	free(t);
}
