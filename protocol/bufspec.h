/* BUFSPEC (PROTOCOL.md §6): build an AudioBuffer from its JSON description — inline samples,
 * a sound file (kept at its rate or resampled to the context's), or a generated signal.
 * control thread or a decoding worker: reads files, allocates, may take a while. */
#ifndef AUDIOD_BUFSPEC_H
#define AUDIOD_BUFSPEC_H

#include <stdint.h>

#include "engine/buffer.h"
#include "engine/error.h"

struct json_object;

/* spec: the BUFSPEC object.  base_dir: folder that relative file paths are resolved against
 * (NULL: the working directory).  context_rate: the rate generated buffers default to and
 * that "resample" converts to.  path: the spec's JSON path, used to prefix messages
 * ("buffers.n.generate: unknown generator ...").
 * returns a buffer holding one reference, or NULL with err set: ERR_BAD_REQUEST for wrong
 * types, missing or unknown fields; ERR_INVALID_VALUE for out-of-range values;
 * ERR_NOT_SUPPORTED for createBuffer's limits; ERR_IO for files; ERR_LIMIT for huge sizes. */
struct audio_buffer *bufspec_load(struct json_object *spec, const char *base_dir,
				  double context_rate, const char *path, struct error *err);
/* the same within a budget: a buffer that would take more than max_bytes of samples is
 * refused with ERR_LIMIT before anything is allocated, decoded or generated (a file's size
 * is known from its header, a resampled one's from the ratio) */
struct audio_buffer *bufspec_load_max(struct json_object *spec, const char *base_dir,
				      double context_rate, uint64_t max_bytes, const char *path,
				      struct error *err);

#endif
