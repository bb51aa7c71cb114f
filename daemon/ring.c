/* ring: the audio ring of interleaved float frames, single writer (render thread) and
 * single reader (PipeWire data thread).  real-time safe on both sides: two runs of frames
 * at most, one acquire load of the other side's index, one release store of our own (the
 * index core, engine/ringidx.h). */
#include "ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ring_init(struct ring *r, uint32_t frames, uint32_t channels)
{
	if (!ringidx_size_ok(frames) || channels == 0)
		return -EINVAL;
	r->data = calloc((size_t)frames * channels, sizeof(float));
	if (r->data == NULL)
		return -ENOMEM;
	ringidx_init(&r->idx, frames, 0);
	atomic_init(&r->underruns, 0);
	atomic_init(&r->underrun_frames, 0);
	atomic_init(&r->request, 0);
	r->frames = frames;
	r->channels = channels;
	return 0;
}

void ring_fini(struct ring *r)
{
	free(r->data);
	r->data = NULL;
}

uint32_t ring_fill(const struct ring *r)
{
	return ringidx_fill(&r->idx);
}

uint32_t ring_space(const struct ring *r)
{
	return r->frames - ringidx_fill(&r->idx);
}

/* the n frames from position pos as two runs of the storage */
static void ring_regions(const struct ring *r, uint32_t pos, uint32_t n,
			 struct ring_region reg[2])
{
	uint32_t off, first = ringidx_split(&r->idx, pos, n, &off);

	reg[0] = (struct ring_region){ r->data + (size_t)off * r->channels, first };
	reg[1] = (struct ring_region){ r->data, n - first };
}

uint32_t ring_write_regions(struct ring *r, uint32_t n, struct ring_region reg[2])
{
	uint32_t w, space = ringidx_space(&r->idx, &w);

	if (n > space)
		n = space;
	ring_regions(r, w, n, reg);
	return n;
}

void ring_write_done(struct ring *r, uint32_t n)
{
	ringidx_write_advance(&r->idx, n);
}

uint32_t ring_write(struct ring *r, const float *src, uint32_t n)
{
	struct ring_region reg[2];
	size_t ch = r->channels;

	n = ring_write_regions(r, n, reg);
	if (n == 0)
		return 0;
	memcpy(reg[0].data, src, reg[0].frames * ch * sizeof(float));
	memcpy(reg[1].data, src + reg[0].frames * ch, reg[1].frames * ch * sizeof(float));
	ring_write_done(r, n);
	return n;
}

uint32_t ring_read(struct ring *r, float *dst, uint32_t n)
{
	uint32_t rd, fill = ringidx_avail(&r->idx, &rd);
	struct ring_region reg[2];
	size_t ch = r->channels;

	if (n > fill)
		n = fill;
	if (n == 0)
		return 0;
	ring_regions(r, rd, n, reg);
	memcpy(dst, reg[0].data, reg[0].frames * ch * sizeof(float));
	memcpy(dst + reg[0].frames * ch, reg[1].data, reg[1].frames * ch * sizeof(float));
	ringidx_read_advance(&r->idx, n);
	return n;
}

/* only the reader writes the counters: a load and a store, no read-modify-write */
static void ring_count(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

uint32_t ring_read_pad(struct ring *r, float *dst, uint32_t n)
{
	uint32_t got = ring_read(r, dst, n);

	atomic_store_explicit(&r->request, n, memory_order_relaxed);
	if (got < n) {
		memset(dst + (size_t)got * r->channels, 0,
		       (size_t)(n - got) * r->channels * sizeof(float));
		ring_count(&r->underruns, 1);
		ring_count(&r->underrun_frames, n - got);
	}
	return got;
}
