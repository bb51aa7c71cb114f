/* an audio bus: up to 32 channels of one render quantum, plus the spec's mixing rules.
 * bus_init/bus_fini: control thread.  everything else: render thread, no allocation. */
#ifndef AUDIOD_BUS_H
#define AUDIOD_BUS_H

#include <stdbool.h>
#include <stdint.h>

#define QUANTUM 128
#define MAX_CHANNELS 32

enum interp { INTERP_SPEAKERS, INTERP_DISCRETE };
enum count_mode { COUNT_MAX, COUNT_CLAMPED_MAX, COUNT_EXPLICIT };

struct bus {
	uint32_t channels;		/* current channel count, 1..capacity */
	uint32_t capacity;		/* channels allocated */
	bool silent;			/* every sample is 0; data[] may hold garbage */
	uint32_t borrowed;		/* data[0..borrowed) point into another bus (bus_borrow) */
	float *data[MAX_CHANNELS];	/* each QUANTUM floats, 64-byte aligned */
	float *own;			/* the channels allocated, one block */
};

/* allocates `capacity` channels, sets channels = 1, silent */
int bus_init(struct bus *b, uint32_t capacity);
void bus_fini(struct bus *b);

/* sets channel count and writes zeros into every channel; clears silent */
void bus_zero(struct bus *b, uint32_t channels);
/* marks silent with the given channel count, without touching data */
void bus_silence(struct bus *b, uint32_t channels);

/* dst += up/down-mix(src) to dst->channels, per the spec's rules for `interp`.
 * a silent src adds nothing.  dst must not be silent (bus_zero it first). */
void bus_mix(struct bus *dst, const struct bus *src, enum interp interp);
/* dst = mix(src) (like bus_zero + bus_mix, but faster when the layouts match) */
void bus_copy_mix(struct bus *dst, const struct bus *src, enum interp interp);
/* bus_copy_mix without copying, where the mix is src's channels as they are (the same
 * count; or mono to stereo speakers, both sides the mono channel): dst's channels point at
 * src's until the next write into dst (bus_zero, bus_mix, bus_copy_mix take their own back,
 * bus_mix keeping the contents).  false, and dst unchanged, for any other mix.  for a bus
 * only read until src is written again: a node's mixed input, which no node writes to. */
bool bus_borrow(struct bus *dst, const struct bus *src, enum interp interp);
/* dst's channels [0, n) point at data[0..n), each QUANTUM floats, 64-byte aligned, as
 * bus_borrow does: for a node's output read straight from memory that stays put while the
 * consumers read it (an AudioBuffer's samples) */
void bus_borrow_data(struct bus *dst, float *const data[], uint32_t n);
/* b's own channels again, contents undefined: before a node writes into its output */
void bus_unborrow(struct bus *b);

/* channel count an input computes for given mode, the node's channelCount and the max
 * channel count of its connections (0 when nothing is connected) */
uint32_t bus_computed_channels(enum count_mode mode, uint32_t count, uint32_t max_in);

#endif
