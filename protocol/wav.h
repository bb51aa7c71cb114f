/* WAV output through libsndfile: 32-bit float (WAVE_FORMAT_IEEE_FLOAT), or 16/24-bit PCM with
 * clipping.  files appear whole or not at all: written to a temporary file beside the
 * target and renamed.  control thread or a plain program; blocking file I/O. */
#ifndef AUDIOD_WAV_H
#define AUDIOD_WAV_H

#include <stdint.h>

#include "engine/error.h"

enum wav_format { WAV_F32, WAV_S16, WAV_S24 };

/* "f32", "s16", "s24"; 0 or -1 with err set (invalid_value) */
int wav_format_parse(const char *name, enum wav_format *out, struct error *err);

/* writes frames * channels interleaved floats.  deterministic: no timestamps or peak chunk.
 * 0 or -1 with err set (io); on failure nothing is left at path. */
int wav_write(const char *path, const float *data, uint64_t frames, uint32_t channels,
	      uint32_t sample_rate, enum wav_format format, struct error *err);

#endif
