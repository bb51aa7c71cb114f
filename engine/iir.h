/* IIRFilterNode's control-side extra: getFrequencyResponse.  control thread. */
#ifndef AUDIOD_IIR_H
#define AUDIOD_IIR_H

#include <stddef.h>

struct node;

/* magnitude and phase (radians) of the filter at count frequencies (Hz); a frequency outside
 * [0, Nyquist] gives NaN.  returns 0, or -1 when n is not an IIRFilterNode. */
int iir_frequency_response(struct node *n, const float *freq_hz, size_t count, float *mag,
			   float *phase);

#endif
