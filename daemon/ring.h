/* ring: the audio ring, interleaved float frames from the render thread (writer) to the
 * PipeWire process callback (reader), over the ring index core (engine/ringidx.h).
 * ring_init/ring_fini: owner, while neither side runs.  ring_write, ring_write_regions,
 * ring_write_done: writer only.  ring_read, ring_read_pad: reader only.  ring_fill,
 * ring_space: either side.  nothing here blocks, allocates or locks. */
#ifndef AUDIOD_RING_H
#define AUDIOD_RING_H

#include <stdatomic.h>
#include <stdint.h>

#include "engine/ringidx.h"

struct ring {
	struct ringidx idx;		/* frames written (write) and read (read) */
	/* what the reader tells the writer: written by the reader only, by ring_read_pad */
	_Atomic uint64_t underruns;	/* reads that found fewer frames than asked for */
	_Atomic uint64_t underrun_frames;	/* frames of silence padded */
	_Atomic uint32_t request;	/* frames the last read asked for (0: none yet) */
	uint32_t frames;		/* capacity in frames, a power of two */
	uint32_t channels;		/* floats per frame */
	float *data;			/* frames * channels floats */
};

/* a run of frames in the ring's storage */
struct ring_region {
	float *data;			/* frames * channels interleaved floats */
	uint32_t frames;
};

/* frames: a power of two >= 2; channels >= 1.  0 or -EINVAL / -ENOMEM. */
int ring_init(struct ring *r, uint32_t frames, uint32_t channels);
void ring_fini(struct ring *r);

/* frames ready to read / free to write */
uint32_t ring_fill(const struct ring *r);
uint32_t ring_space(const struct ring *r);

/* writer, in place: the free space for up to n frames, as two runs (the second, at the
 * start of the storage, may be empty).  returns their frames; nothing is published until
 * ring_write_done */
uint32_t ring_write_regions(struct ring *r, uint32_t n, struct ring_region reg[2]);
/* writer: publishes the first n frames of the regions ring_write_regions gave */
void ring_write_done(struct ring *r, uint32_t n);
/* copies up to n frames (as many as fit) from src; returns the frames written */
uint32_t ring_write(struct ring *r, const float *src, uint32_t n);
/* copies up to n frames (as many as are there) into dst; returns the frames read */
uint32_t ring_read(struct ring *r, float *dst, uint32_t n);

/* reader: like ring_read, but pads with silence up to n frames; a short read counts one
 * underrun.  records n as the request.  returns the frames that came from the ring. */
uint32_t ring_read_pad(struct ring *r, float *dst, uint32_t n);

#endif
