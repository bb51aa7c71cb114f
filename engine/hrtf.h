/* hrtf: a head-related impulse response set sampled on a fixed direction grid, shared by an
 * engine's HRTF panners.  the engine does no I/O: whoever makes the engine says where a set
 * comes from (engine_set_hrtf_loader; protocol/hrtf.c reads SOFA files).
 * control thread: new/unref and the loader; render thread: hrtf_set_ir only. */
#ifndef AUDIOD_HRTF_H
#define AUDIOD_HRTF_H

#include <stddef.h>
#include <stdint.h>

#define HRTF_GRID_STEP 5				/* degrees between grid directions */
#define HRTF_GRID_AZ (360 / HRTF_GRID_STEP)		/* azimuths 0 .. 355 */
#define HRTF_GRID_EL (180 / HRTF_GRID_STEP + 1)		/* elevations -90 .. 90 */
#define HRTF_TAPS_MAX 1024

struct hrtf_set {
	int refs;
	double rate;		/* Hz the filters are for */
	uint32_t taps;		/* per filter */
	float *ir;		/* EL x AZ x 2 ears x taps */
};

/* an empty (silent) set with one reference; NULL when out of memory or taps is 0 or above
 * HRTF_TAPS_MAX */
struct hrtf_set *hrtf_set_new(double rate, uint32_t taps);
struct hrtf_set *hrtf_set_ref(struct hrtf_set *h);
void hrtf_set_unref(struct hrtf_set *h);
/* the filter for grid direction (elevation index, azimuth index), ear 0 left, 1 right */
static inline float *hrtf_set_ir(const struct hrtf_set *h, int ei, int ai, int ear)
{
	return h->ir + ((size_t)(ei * HRTF_GRID_AZ + ai) * 2 + (size_t)ear) * h->taps;
}

#endif
