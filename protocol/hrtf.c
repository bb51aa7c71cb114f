/* hrtf: SOFA datasets into the engine's HRTF grid (hrtf.h).  libmysofa opens the file resampled
 * to the context rate; the filters are sampled on the grid with libmysofa's interpolation and
 * the handle is closed again.  whoever makes an engine calls it (never the render side). */
#include "protocol/hrtf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <mysofa.h>

const char *hrtf_default_path(void)
{
	const char *s = getenv("AUDIOD_HRTF_SOFA");

	return s && s[0] ? s : HRTF_DEFAULT_SOFA;
}

/* samples the dataset on the grid; the filters are cut to about 5.3 ms (256 taps at 48 kHz,
 * past 99.8% of the KEMAR set's energy) with a short fade so the cut does not click */
static struct hrtf_set *hrtf_build(struct MYSOFA_EASY *easy, int len, double rate,
				   struct error *err)
{
	struct hrtf_set *h;
	uint32_t taps = (uint32_t)ceil(256 * rate / 48000), fade;
	float *l = malloc(sizeof(float) * (size_t)len), *r = malloc(sizeof(float) * (size_t)len);
	const float *sp = easy->hrtf->SourcePosition.values;
	double radius = sp ? sqrt(sp[0] * sp[0] + sp[1] * sp[1] + sp[2] * sp[2]) : 1;

	if (taps > (uint32_t)len)
		taps = (uint32_t)len;
	if (taps > HRTF_TAPS_MAX)
		taps = HRTF_TAPS_MAX;
	if (!(radius > 0))
		radius = 1;
	fade = taps / 16;
	h = hrtf_set_new(rate, taps);
	if (h == NULL || l == NULL || r == NULL) {
		free(l);
		free(r);
		hrtf_set_unref(h);
		err_set(err, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	for (int ei = 0; ei < HRTF_GRID_EL; ei++) {
		double el = (ei * HRTF_GRID_STEP - 90) * M_PI / 180;
		for (int ai = 0; ai < HRTF_GRID_AZ; ai++) {
			double az = ai * HRTF_GRID_STEP * M_PI / 180;
			float dl = 0, dr = 0;
			mysofa_getfilter_float(easy, (float)(radius * cos(el) * cos(az)),
					       (float)(radius * cos(el) * sin(az)),
					       (float)(radius * sin(el)), l, r, &dl, &dr);
			for (int ear = 0; ear < 2; ear++) {
				float *dst = hrtf_set_ir(h, ei, ai, ear);
				const float *src = ear ? r : l;
				double dsec = ear ? dr : dl;
				long shift = dsec > 0 ? lround(dsec * rate) : 0;
				for (uint32_t k = 0; k < taps; k++) {
					long s = (long)k - shift;
					float v = s >= 0 ? src[s] : 0.0f;
					if (k >= taps - fade)
						v *= (float)(0.5 + 0.5 * cos(M_PI * (k - (taps - fade) + 1) /
									 (fade + 1)));
					dst[k] = v;
				}
			}
		}
	}
	free(l);
	free(r);
	return h;
}

struct hrtf_set *hrtf_load(const char *path, double rate, struct error *err)
{
	struct MYSOFA_EASY *easy;
	struct hrtf_set *h;
	int len = 0, code = 0;

	easy = mysofa_open(path, (float)rate, &len, &code);
	if (easy == NULL || len <= 0) {
		if (easy)
			mysofa_close(easy);
		err_set(err, ERR_IO, "cannot load the HRTF dataset \"%s\" (libmysofa error %d); "
			"set AUDIOD_HRTF_SOFA to a SOFA file", path, code);
		return NULL;
	}
	h = hrtf_build(easy, len, rate, err);
	mysofa_close(easy);
	return h;
}

struct hrtf_set *hrtf_cache_get(void *data, double rate, struct error *err)
{
	struct hrtf_cache *c = data;

	if (c->set && c->set->rate != rate) {
		hrtf_set_unref(c->set);
		c->set = NULL;
	}
	if (c->set == NULL)
		c->set = hrtf_load(c->path ? c->path : hrtf_default_path(), rate, err);
	return hrtf_set_ref(c->set);
}

void hrtf_cache_fini(struct hrtf_cache *c)
{
	hrtf_set_unref(c->set);
	c->set = NULL;
}
