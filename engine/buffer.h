/* AudioBuffer: planar float32 channels at their own sample rate; immutable once built.
 * reference counting is control-thread only: the render thread reads buffers it was handed
 * and never changes the count. */
#ifndef AUDIOD_BUFFER_H
#define AUDIOD_BUFFER_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct audio_buffer {
	uint32_t refs;
	uint32_t channels;
	uint32_t length;	/* frames */
	double sample_rate;
	float *data[];		/* channels pointers, each `length` floats */
};

/* zero-filled; sample_rate 3000..768000, channels 1..32, length >= 1 (the spec's limits) */
struct audio_buffer *audio_buffer_new(uint32_t channels, uint32_t length, double sample_rate,
				      struct error *err);
struct audio_buffer *audio_buffer_ref(struct audio_buffer *b);
void audio_buffer_unref(struct audio_buffer *b);
size_t audio_buffer_bytes(const struct audio_buffer *b);

#endif
