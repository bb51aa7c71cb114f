/* BUFSPEC (PROTOCOL.md §13): build an AudioBuffer from its JSON description — inline samples,
 * a sound file by path or by a descriptor the caller holds (kept at its rate or resampled to
 * the context's), or a generated signal.
 * control thread or a decoding worker: reads files, allocates, may take a while. */
#ifndef AUDIOD_BUFSPEC_H
#define AUDIOD_BUFSPEC_H

#include <stddef.h>
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
/* the same, with the descriptors a {"fd": K} spec may name: K is an index into fds[0..n_fds)
 * (the caller's own descriptors: a number in a spec is never used as a descriptor itself).
 * the spec naming fds[K] takes it: the entry is set to -1 and the descriptor is closed once
 * read, on failure too.  a K at or past n_fds, or an entry already taken, is
 * ERR_BAD_REQUEST; a descriptor that is not a regular file is ERR_IO.  fds NULL (what
 * bufspec_load and bufspec_load_max pass): the "fd" form is ERR_BAD_REQUEST. */
struct audio_buffer *bufspec_load_fds(struct json_object *spec, const char *base_dir,
				      double context_rate, uint64_t max_bytes, int *fds,
				      size_t n_fds, const char *path, struct error *err);
/* does spec name a descriptor?  1 with *index = K for {"fd": K}; 0 for any other spec (also
 * one that is not an object, which bufspec_load refuses); -1 with err set (ERR_BAD_REQUEST)
 * when "fd" is not an index 0, 1, ... ({"fd": null}: a buffer kept without a copy) */
int bufspec_fd_index(struct json_object *spec, const char *path, uint32_t *index,
		     struct error *err);

#endif
