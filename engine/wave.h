/* PeriodicWave (Fourier coefficients as the spec's constructor leaves them) and the
 * band-limited wavetables an OscillatorNode plays from.
 * control thread: everything except wave_tables_pick, which the render thread calls. */
#ifndef AUDIOD_WAVE_H
#define AUDIOD_WAVE_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* the spec's [[real]], [[imag]] and [[normalize]] slots */
struct periodic_wave {
	float *real;		/* cosine terms; real[0] (DC) is 0 */
	float *imag;		/* sine terms; imag[0] is 0 */
	size_t len;		/* >= 2 */
	bool normalize;
};

/* the built-in shapes; their coefficients are the spec's "Oscillator Coefficients" */
enum wave_shape { WAVE_SINE, WAVE_SQUARE, WAVE_SAWTOOTH, WAVE_TRIANGLE };

/* the PeriodicWave constructor: real or imag NULL means that member is absent (a present
 * but empty array is a non-NULL pointer with length 0).  copies the coefficients, rounded
 * to float.  IndexSizeError for differing lengths or a length below 2, invalid_value for
 * a coefficient that is not a finite float. */
struct periodic_wave *wave_new(const double *real, size_t nreal, const double *imag,
			       size_t nimag, bool disable_normalization, struct error *err);
void wave_free(struct periodic_wave *w);
/* a copy; NULL when out of memory */
struct periodic_wave *wave_copy(const struct periodic_wave *w);

/* band-limited tables for one waveform at one sample rate: the waveform sampled `size` times
 * per period, once per pitch range (3 ranges per octave).  range r keeps the partials
 * k <= (size/2) * 2^(-r/3), wave_tables_pick blends two neighbouring ranges for a
 * fundamental so that no partial passes Nyquist.  immutable once built; the render thread only
 * reads them.  the reference count is touched on the control thread only. */
struct wave_tables {
	uint32_t size;		/* samples per period, a power of two */
	uint32_t n_ranges;
	double inv_lowest;	/* 1 / (sample_rate / size): Hz^-1; f = sample_rate/size is the
				 * highest fundamental whose size/2 - 1 partials all fit */
	const float **range;	/* n_ranges tables of size + 1 samples; [size] repeats [0] */
	float *data;		/* the distinct tables, which range[] points into */
	uint32_t refs;
	struct periodic_wave *wave;	/* a custom wave's coefficients (for `save`); NULL for
					 * the built-in shapes */
};

/* samples per period used at a sample rate (the normalization's N) */
uint32_t wave_table_size(double sample_rate);

/* tables for a PeriodicWave (normalized unless it says otherwise) or a built-in shape
 * (always normalized, as the spec requires).  NULL with err set when out of memory. */
struct wave_tables *wave_tables_new(const struct periodic_wave *w, double sample_rate,
				    struct error *err);
struct wave_tables *wave_tables_builtin(enum wave_shape shape, double sample_rate,
					struct error *err);
struct wave_tables *wave_tables_ref(struct wave_tables *t);
/* NULL is fine */
void wave_tables_unref(struct wave_tables *t);

/* the two ranges a fundamental plays from and how to blend them: sample = (1 - mix) *
 * more + mix * fewer.  ranges step by a third of an octave; blending across the step (as the
 * reference engines do) fades partials out as they near Nyquist instead of dropping them at
 * once. */
struct wave_pick {
	const float *more;	/* the range with more partials */
	const float *fewer;	/* the next range */
	float mix;
};

/* render: the ranges for fundamental |f| (Hz).  one log2 per call. */
static inline void wave_tables_pick(const struct wave_tables *t, double f, struct wave_pick *p)
{
	/* range r is for fundamentals up to lowest * 2^((r - 1) / 3): the 1 + rounds up to
	 * the next range, so partials that would pass Nyquist are already gone */
	float ratio = f != 0 ? (float)(fabs(f) * t->inv_lowest) : 0.5f;
	float r = 1 + 3 * log2f(ratio), top = (float)(t->n_ranges - 1);
	uint32_t i;

	r = r > 0 ? r : 0;
	r = r < top ? r : top;
	i = (uint32_t)r;
	p->more = t->range[i];
	p->fewer = t->range[i + 1 < t->n_ranges ? i + 1 : i];
	p->mix = r - (float)i;
}

#endif
