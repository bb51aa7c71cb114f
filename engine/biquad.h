/* BiquadFilterNode's control-side extras: getFrequencyResponse and the coefficient formulas.
 * control thread (biquad_coefficients is pure and may be called from any thread). */
#ifndef AUDIOD_BIQUAD_H
#define AUDIOD_BIQUAD_H

#include <stddef.h>

struct node;
struct node_kind;

extern const struct node_kind biquad_kind;

enum biquad_type {
	BIQUAD_LOWPASS,
	BIQUAD_HIGHPASS,
	BIQUAD_BANDPASS,
	BIQUAD_LOWSHELF,
	BIQUAD_HIGHSHELF,
	BIQUAD_PEAKING,
	BIQUAD_NOTCH,
	BIQUAD_ALLPASS,
};

/* normalised coefficients (divided by a0) of the spec's "Filters characteristics" */
struct biquad_coef {
	double b0, b1, b2, a1, a2;
};

/* the coefficients for computedFrequency f0 (Hz), Q and gain G (dB) at sample rate fs.
 * f0 is clamped to [0, fs/2]; where the formulas degenerate (f0 at 0 or Nyquist, Q <= 0)
 * the coefficients are the limit of the transfer function there. */
struct biquad_coef biquad_coefficients(enum biquad_type type, double f0, double q, double g,
				       double fs);

/* getFrequencyResponse: magnitude and phase (radians) at count frequencies (Hz), from the
 * params' current model values and the current type.  a frequency outside [0, Nyquist]
 * gives NaN for both.  returns 0, or -1 when n is not a BiquadFilterNode. */
int biquad_frequency_response(struct node *n, const float *freq_hz, size_t count, float *mag,
			      float *phase);

#endif
