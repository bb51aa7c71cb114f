/* ring: the audio ring of interleaved float frames, single writer (render thread) and
 * single reader (PipeWire data thread).  real-time safe on both sides: two memcpy at most,
 * one acquire load of the other side's index, one release store of our own. */
#include "ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ring_init(struct ring *r, uint32_t frames, uint32_t channels)
{
	if (frames < 2 || (frames & (frames - 1)) != 0 || channels == 0)
		return -EINVAL;
	r->data = calloc((size_t)frames * channels, sizeof(float));
	if (r->data == NULL)
		return -ENOMEM;
	atomic_init(&r->wpos, 0);
	atomic_init(&r->rpos, 0);
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
	uint32_t rpos = atomic_load_explicit(&r->rpos, memory_order_acquire);
	uint32_t wpos = atomic_load_explicit(&r->wpos, memory_order_acquire);
	uint32_t n = wpos - rpos;

	return n > r->frames ? r->frames : n;
}

uint32_t ring_space(const struct ring *r)
{
	return r->frames - ring_fill(r);
}

/* the storage offset of frame position pos, and how many of n frames fit before the end
 * of the storage; the rest wraps to the start */
static uint32_t ring_split(const struct ring *r, uint32_t pos, uint32_t n, uint32_t *off)
{
	*off = pos & (r->frames - 1);
	return r->frames - *off < n ? r->frames - *off : n;
}

static void ring_copy_in(struct ring *r, uint32_t pos, const float *src, uint32_t n)
{
	uint32_t off, first = ring_split(r, pos, n, &off);
	size_t ch = r->channels;

	memcpy(r->data + off * ch, src, first * ch * sizeof(float));
	memcpy(r->data, src + first * ch, (n - first) * ch * sizeof(float));
}

static void ring_copy_out(const struct ring *r, uint32_t pos, float *dst, uint32_t n)
{
	uint32_t off, first = ring_split(r, pos, n, &off);
	size_t ch = r->channels;

	memcpy(dst, r->data + off * ch, first * ch * sizeof(float));
	memcpy(dst + first * ch, r->data, (n - first) * ch * sizeof(float));
}

uint32_t ring_write(struct ring *r, const float *src, uint32_t n)
{
	uint32_t wpos = atomic_load_explicit(&r->wpos, memory_order_relaxed);
	uint32_t rpos = atomic_load_explicit(&r->rpos, memory_order_acquire);
	uint32_t space = r->frames - (wpos - rpos);

	if (n > space)
		n = space;
	if (n == 0)
		return 0;
	ring_copy_in(r, wpos, src, n);
	atomic_store_explicit(&r->wpos, wpos + n, memory_order_release);
	return n;
}

uint32_t ring_read(struct ring *r, float *dst, uint32_t n)
{
	uint32_t rpos = atomic_load_explicit(&r->rpos, memory_order_relaxed);
	uint32_t wpos = atomic_load_explicit(&r->wpos, memory_order_acquire);
	uint32_t fill = wpos - rpos;

	if (n > fill)
		n = fill;
	if (n == 0)
		return 0;
	ring_copy_out(r, rpos, dst, n);
	atomic_store_explicit(&r->rpos, rpos + n, memory_order_release);
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
