/* spsc: a bounded single-producer single-consumer queue of fixed-size items.
 * push: producer only; pop/peek: consumer only; lock-free and wait-free on both sides.
 * each side reads the other's index with acquire and publishes its own with release after
 * copying, so an item is fully written before the consumer can see it and fully read before
 * the producer can reuse its slot. */
#include "spsc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int spsc_init(struct spsc *q, uint32_t capacity, uint32_t item_size)
{
	if (capacity < 2 || (capacity & (capacity - 1)) != 0 || item_size == 0)
		return -EINVAL;
	q->items = calloc(capacity, item_size);
	if (q->items == NULL)
		return -ENOMEM;
	atomic_init(&q->head, 0);
	atomic_init(&q->tail, 0);
	q->mask = capacity - 1;
	q->item_size = item_size;
	return 0;
}

void spsc_fini(struct spsc *q)
{
	free(q->items);
	q->items = NULL;
}

bool spsc_push(struct spsc *q, const void *item)
{
	/* our own index needs no ordering: only we write it */
	uint32_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);

	if (head - tail > q->mask)
		return false;
	memcpy(q->items + (size_t)(head & q->mask) * q->item_size, item, q->item_size);
	atomic_store_explicit(&q->head, head + 1, memory_order_release);
	return true;
}

static bool spsc_read(struct spsc *q, void *item, bool remove)
{
	uint32_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	uint32_t head = atomic_load_explicit(&q->head, memory_order_acquire);

	if (head == tail)
		return false;
	memcpy(item, q->items + (size_t)(tail & q->mask) * q->item_size, q->item_size);
	if (remove)
		atomic_store_explicit(&q->tail, tail + 1, memory_order_release);
	return true;
}

bool spsc_pop(struct spsc *q, void *item)
{
	return spsc_read(q, item, true);
}

bool spsc_peek(struct spsc *q, void *item)
{
	return spsc_read(q, item, false);
}

uint32_t spsc_count(const struct spsc *q)
{
	uint32_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);
	uint32_t head = atomic_load_explicit(&q->head, memory_order_acquire);
	uint32_t n = head - tail;

	/* a third thread may see the head move on after reading the tail */
	return n > q->mask + 1 ? q->mask + 1 : n;
}

uint32_t spsc_space(const struct spsc *q)
{
	return q->mask + 1 - spsc_count(q);
}
