/* AnalyserNode readings (getFloatTimeDomainData and friends).
 * control thread only: they read the render side's ring without locks and keep the
 * frequency-smoothing state; one control thread per engine, as for every other op. */
#ifndef AUDIOD_ANALYSER_H
#define AUDIOD_ANALYSER_H

#include <stddef.h>
#include <stdint.h>

struct node;

/* each writes min(len, fftSize) values (frequencyBinCount for the frequency methods) and
 * returns how many, or -1 when n is not an AnalyserNode.  float frequency data of a bin
 * with no energy is -INFINITY, as in the spec. */
int analyser_get_float_time(struct node *n, float *out, size_t len);
int analyser_get_byte_time(struct node *n, uint8_t *out, size_t len);
int analyser_get_float_freq(struct node *n, float *out, size_t len);
int analyser_get_byte_freq(struct node *n, uint8_t *out, size_t len);
/* frequencyBinCount (fftSize / 2), or 0 when n is not an AnalyserNode */
uint32_t analyser_bin_count(struct node *n);
/* fftSize, or 0 when n is not an AnalyserNode */
uint32_t analyser_fft_size(struct node *n);

#endif
