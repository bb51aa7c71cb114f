/* ringidx: the index core of a single-producer single-consumer ring of a power-of-two
 * number of slots, whose storage the user keeps.  header-only, no dependency but C11.
 * producer thread only: ringidx_space, ringidx_write_advance.  consumer thread only:
 * ringidx_avail, ringidx_read_advance.  any thread: ringidx_fill, ringidx_split.
 * nothing here blocks, allocates or locks, so both ends may be real-time threads.
 *
 * `write` counts the slots ever written, `read` the slots ever read.  both run freely and
 * wrap at 2^32, which the power-of-two size divides, so `write - read` is always the fill
 * and `index & (size - 1)` the slot of a position.  each side reads the other's index with
 * acquire and publishes its own with release after touching the slots, so a slot is fully
 * written before the consumer can see it and fully read before the producer can reuse it. */
#ifndef AUDIOD_RINGIDX_H
#define AUDIOD_RINGIDX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct ringidx {
	_Atomic uint32_t write;		/* slots written; stored by the producer only */
	char pad0[64 - sizeof(uint32_t)];	/* the two indices on separate cache lines */
	_Atomic uint32_t read;		/* slots read; stored by the consumer only */
	char pad1[64 - sizeof(uint32_t)];
	uint32_t size;			/* slots, a power of two */
};

static inline bool ringidx_size_ok(uint32_t size)
{
	return size >= 2 && (size & (size - 1)) == 0;
}

/* owner, before either side runs: empty, both indices at `start` (tests start near 2^32) */
static inline void ringidx_init(struct ringidx *x, uint32_t size, uint32_t start)
{
	atomic_init(&x->write, start);
	atomic_init(&x->read, start);
	x->size = size;
}

/* producer: the write index in *index, and how many slots from it are free */
static inline uint32_t ringidx_space(const struct ringidx *x, uint32_t *index)
{
	/* our own index needs no ordering: only we store it */
	uint32_t w = atomic_load_explicit(&x->write, memory_order_relaxed);
	uint32_t r = atomic_load_explicit(&x->read, memory_order_acquire);

	*index = w;
	return x->size - (w - r);
}

/* consumer: the read index in *index, and how many slots from it hold data */
static inline uint32_t ringidx_avail(const struct ringidx *x, uint32_t *index)
{
	uint32_t r = atomic_load_explicit(&x->read, memory_order_relaxed);
	uint32_t w = atomic_load_explicit(&x->write, memory_order_acquire);

	*index = r;
	return w - r;
}

/* producer: publishes n more slots written (at most what ringidx_space gave) */
static inline void ringidx_write_advance(struct ringidx *x, uint32_t n)
{
	uint32_t w = atomic_load_explicit(&x->write, memory_order_relaxed);

	atomic_store_explicit(&x->write, w + n, memory_order_release);
}

/* consumer: hands n more slots read back to the producer (at most what ringidx_avail gave) */
static inline void ringidx_read_advance(struct ringidx *x, uint32_t n)
{
	uint32_t r = atomic_load_explicit(&x->read, memory_order_relaxed);

	atomic_store_explicit(&x->read, r + n, memory_order_release);
}

/* any thread: slots filled.  exact on either side; a third thread may see the write index
 * move on after it read the read index, so the answer is clamped to the size */
static inline uint32_t ringidx_fill(const struct ringidx *x)
{
	uint32_t r = atomic_load_explicit(&x->read, memory_order_acquire);
	uint32_t w = atomic_load_explicit(&x->write, memory_order_acquire);

	return w - r > x->size ? x->size : w - r;
}

/* the n slots from index as contiguous runs: the first at *off, of the returned length;
 * the rest (n minus that) from slot 0 */
static inline uint32_t ringidx_split(const struct ringidx *x, uint32_t index, uint32_t n,
				     uint32_t *off)
{
	*off = index & (x->size - 1);
	return x->size - *off < n ? x->size - *off : n;
}

#endif
