/* ring: the audio ring, interleaved float frames from the render thread (writer) to the
 * PipeWire process callback (reader).  ring_init/ring_fini: owner, while neither side runs.
 * ring_write: writer only.  ring_read: reader only.  ring_fill/ring_space: either side.
 * nothing here blocks, allocates or locks. */
#ifndef AUDIOD_RING_H
#define AUDIOD_RING_H

#include <stdatomic.h>
#include <stdint.h>

struct ring {
	/* free-running frame counts written and read; wrap at 2^32 like struct spsc */
	_Atomic uint32_t wpos;		/* frames, written by the writer only */
	char pad0[64 - sizeof(uint32_t)];
	_Atomic uint32_t rpos;		/* frames, written by the reader only */
	char pad1[64 - sizeof(uint32_t)];
	/* what the reader tells the writer: written by the reader only, by ring_read_pad */
	_Atomic uint64_t underruns;	/* reads that found fewer frames than asked for */
	_Atomic uint64_t underrun_frames;	/* frames of silence padded */
	_Atomic uint32_t request;	/* frames the last read asked for (0: none yet) */
	uint32_t frames;		/* capacity in frames, a power of two */
	uint32_t channels;		/* floats per frame */
	float *data;			/* frames * channels floats */
};

/* frames: a power of two >= 2; channels >= 1.  0 or -EINVAL / -ENOMEM. */
int ring_init(struct ring *r, uint32_t frames, uint32_t channels);
void ring_fini(struct ring *r);

/* frames ready to read / free to write */
uint32_t ring_fill(const struct ring *r);
uint32_t ring_space(const struct ring *r);

/* copies up to n frames (as many as fit) from src; returns the frames written */
uint32_t ring_write(struct ring *r, const float *src, uint32_t n);
/* copies up to n frames (as many as are there) into dst; returns the frames read */
uint32_t ring_read(struct ring *r, float *dst, uint32_t n);

/* reader: like ring_read, but pads with silence up to n frames; a short read counts one
 * underrun.  records n as the request.  returns the frames that came from the ring. */
uint32_t ring_read_pad(struct ring *r, float *dst, uint32_t n);

#endif
