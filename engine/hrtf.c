/* hrtf: the shared, reference-counted HRTF grid (hrtf.h).  control thread only. */
#include "hrtf.h"

#include <stdlib.h>

struct hrtf_set *hrtf_set_new(double rate, uint32_t taps)
{
	struct hrtf_set *h;

	if (taps == 0 || taps > HRTF_TAPS_MAX || (h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->ir = calloc((size_t)HRTF_GRID_EL * HRTF_GRID_AZ * 2 * taps, sizeof(float));
	if (h->ir == NULL) {
		free(h);
		return NULL;
	}
	h->refs = 1;
	h->rate = rate;
	h->taps = taps;
	return h;
}

struct hrtf_set *hrtf_set_ref(struct hrtf_set *h)
{
	if (h)
		h->refs++;
	return h;
}

void hrtf_set_unref(struct hrtf_set *h)
{
	if (h == NULL || --h->refs > 0)
		return;
	free(h->ir);
	free(h);
}
