/* AudioBuffer storage: one allocation holds the header, the channel pointers and the samples.
 * control thread only (new, ref, unref); the render thread only reads the samples. */
#include <stdlib.h>
#include <string.h>

#include "buffer.h"

#define BUFFER_ALIGN 64
#define FLOATS_PER_LINE (BUFFER_ALIGN / sizeof(float))

/* the spec's createBuffer limits: NotSupportedError outside them */
#define BUFFER_MIN_RATE 3000.0
#define BUFFER_MAX_RATE 768000.0
#define BUFFER_MAX_CHANNELS 32

static size_t round_up(size_t n, size_t to)
{
	return (n + to - 1) / to * to;
}

/* bytes before the first sample: header and pointers, padded so every channel starts on a
 * cache line (the render loops read whole lines) */
static size_t header_bytes(uint32_t channels)
{
	return round_up(sizeof(struct audio_buffer) + channels * sizeof(float *), BUFFER_ALIGN);
}

static size_t stride_floats(uint32_t length)
{
	return round_up(length, FLOATS_PER_LINE);
}

static size_t total_bytes(uint32_t channels, uint32_t length)
{
	return header_bytes(channels) + (size_t)channels * stride_floats(length) * sizeof(float);
}

struct audio_buffer *audio_buffer_new(uint32_t channels, uint32_t length, double sample_rate,
				      struct error *err)
{
	struct audio_buffer *b;
	size_t bytes;
	float *data;

	if (channels < 1 || channels > BUFFER_MAX_CHANNELS) {
		err_set(err, ERR_NOT_SUPPORTED,
			"numberOfChannels %u is outside the range [1, %d]", channels,
			BUFFER_MAX_CHANNELS);
		return NULL;
	}
	if (length < 1) {
		err_set(err, ERR_NOT_SUPPORTED, "length must be at least 1 frame");
		return NULL;
	}
	/* written so that NaN fails too */
	if (!(sample_rate >= BUFFER_MIN_RATE && sample_rate <= BUFFER_MAX_RATE)) {
		err_set(err, ERR_NOT_SUPPORTED, "sampleRate %g is outside the range [%g, %g]",
			sample_rate, BUFFER_MIN_RATE, BUFFER_MAX_RATE);
		return NULL;
	}
	bytes = total_bytes(channels, length);
	b = aligned_alloc(BUFFER_ALIGN, round_up(bytes, BUFFER_ALIGN));
	if (b == NULL) {
		err_set(err, ERR_LIMIT, "out of memory for a buffer of %u x %u frames", channels,
			length);
		return NULL;
	}
	memset(b, 0, bytes);
	b->refs = 1;
	b->channels = channels;
	b->length = length;
	b->sample_rate = sample_rate;
	data = (float *)((char *)b + header_bytes(channels));
	for (uint32_t c = 0; c < channels; c++)
		b->data[c] = data + (size_t)c * stride_floats(length);
	return b;
}

struct audio_buffer *audio_buffer_ref(struct audio_buffer *b)
{
	if (b != NULL)
		b->refs++;
	return b;
}

void audio_buffer_unref(struct audio_buffer *b)
{
	if (b == NULL)
		return;
	if (--b->refs == 0)
		free(b);
}

size_t audio_buffer_bytes(const struct audio_buffer *b)
{
	if (b == NULL)
		return 0;
	return total_bytes(b->channels, b->length);
}
