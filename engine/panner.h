/* PannerNode's spatialisation formulas (engine/panner.c), exposed for tests and for other
 * kinds that need the spec's geometry.  pure functions: any thread, no allocation. */
#ifndef AUDIOD_PANNER_H
#define AUDIOD_PANNER_H

#include <stdbool.h>

#include "node.h"

enum panner_model { PANNER_EQUALPOWER, PANNER_HRTF };
enum panner_distance { PANNER_LINEAR, PANNER_INVERSE, PANNER_EXPONENTIAL };

/* source position and orientation, listener position, forward and up vectors */
struct panner_geometry {
	double pos[3], ori[3];
	double lpos[3], fwd[3], up[3];
};

/* the spec's "Azimuth and Elevation" algorithm, in degrees */
void panner_azimuth_elevation(const struct panner_geometry *g, double *azimuth,
			      double *elevation);
/* distanceGain for distance d per DistanceModelType (rolloff clamped to its nominal range) */
double panner_distance_gain(enum panner_distance model, double d, double ref, double max,
			    double rolloff);
/* the spec's coneGain() */
double panner_cone_gain(const struct panner_geometry *g, double inner, double outer,
			double outer_gain);
/* equal-power gainL/gainR for an azimuth, for mono (stereo false) or stereo input */
void panner_equalpower_gains(double azimuth, bool stereo, double *gl, double *gr);

extern const struct node_kind panner_kind;

#endif
