/* hrtf (protocol side): reads a SOFA dataset with libmysofa and samples it into the engine's
 * HRTF grid (engine/hrtf.h); a cache hands the same grid to every engine that asks.
 * control thread (or whoever makes an engine): reads a file, takes a fraction of a second. */
#ifndef AUDIOD_PROTOCOL_HRTF_H
#define AUDIOD_PROTOCOL_HRTF_H

#include "engine/error.h"
#include "engine/hrtf.h"

#define HRTF_DEFAULT_SOFA "/usr/share/libmysofa/default.sofa"

/* the dataset file to use: $AUDIOD_HRTF_SOFA when set, else HRTF_DEFAULT_SOFA */
const char *hrtf_default_path(void);

/* the grid at `rate` from the SOFA file at path; one reference, or NULL with err set (io) */
struct hrtf_set *hrtf_load(const char *path, double rate, struct error *err);

/* one file, loaded once per rate: pass hrtf_cache_get and the cache to
 * engine_set_hrtf_loader.  path NULL: hrtf_default_path() at the first load. */
struct hrtf_cache {
	const char *path;
	struct hrtf_set *set;
};
struct hrtf_set *hrtf_cache_get(void *cache, double rate, struct error *err);
void hrtf_cache_fini(struct hrtf_cache *c);

#endif
