/* DynamicsCompressorNode's static compression curve (engine/compressor.c), exposed for tests.
 * pure functions: any thread, no allocation. */
#ifndef AUDIOD_COMPRESSOR_H
#define AUDIOD_COMPRESSOR_H

/* the curve for one (threshold, knee, ratio), in linear units */
struct compressor_curve {
	double t;		/* threshold */
	double kk;		/* knee end threshold: threshold + knee */
	double k;		/* knee curvature; 0: no knee */
	double yk;		/* output at the knee end */
	double inv_ratio;
};

/* threshold and knee in dB */
void compressor_curve_make(struct compressor_curve *c, double threshold_db, double knee_db,
			   double ratio);
/* the compression curve at a (non-negative, linear) level x */
double compressor_curve_apply(const struct compressor_curve *c, double x);
/* the spec's makeup gain: (1 / curve(1))^0.6 */
double compressor_makeup_gain(const struct compressor_curve *c);

#endif
