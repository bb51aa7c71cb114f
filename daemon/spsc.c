/* spsc: a bounded single-producer single-consumer queue of fixed-size items.
 * push: producer only; pop/peek: consumer only; lock-free and wait-free on both sides.
 * the ordering is the index core's (engine/ringidx.h): an item is copied in before the
 * write index that shows it is published, and copied out before the read index frees it. */
#include "spsc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int spsc_init(struct spsc *q, uint32_t capacity, uint32_t item_size)
{
	if (!ringidx_size_ok(capacity) || item_size == 0)
		return -EINVAL;
	q->items = calloc(capacity, item_size);
	if (q->items == NULL)
		return -ENOMEM;
	ringidx_init(&q->idx, capacity, 0);
	q->item_size = item_size;
	return 0;
}

void spsc_fini(struct spsc *q)
{
	free(q->items);
	q->items = NULL;
}

static unsigned char *spsc_slot(const struct spsc *q, uint32_t index)
{
	return q->items + (size_t)(index & (q->idx.size - 1)) * q->item_size;
}

bool spsc_push(struct spsc *q, const void *item)
{
	uint32_t w;

	if (ringidx_space(&q->idx, &w) == 0)
		return false;
	memcpy(spsc_slot(q, w), item, q->item_size);
	ringidx_write_advance(&q->idx, 1);
	return true;
}

static bool spsc_read(struct spsc *q, void *item, bool remove)
{
	uint32_t r;

	if (ringidx_avail(&q->idx, &r) == 0)
		return false;
	memcpy(item, spsc_slot(q, r), q->item_size);
	if (remove)
		ringidx_read_advance(&q->idx, 1);
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
	return ringidx_fill(&q->idx);
}

uint32_t spsc_space(const struct spsc *q)
{
	return q->idx.size - ringidx_fill(&q->idx);
}
