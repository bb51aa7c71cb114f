/* spsc: a bounded single-producer single-consumer queue of fixed-size items, over the ring
 * index core (engine/ringidx.h).
 * spsc_init/spsc_fini: owner, before/after both sides run.  spsc_push: producer thread only.
 * spsc_pop/spsc_peek: consumer thread only.  spsc_count/spsc_space: either side.
 * no call blocks, allocates or locks, so both ends may be real-time threads. */
#ifndef AUDIOD_SPSC_H
#define AUDIOD_SPSC_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/ringidx.h"

struct spsc {
	struct ringidx idx;		/* items pushed (write) and popped (read) */
	uint32_t item_size;		/* bytes */
	unsigned char *items;		/* capacity * item_size bytes */
};

/* capacity: items, a power of two >= 2.  0 or -EINVAL / -ENOMEM. */
int spsc_init(struct spsc *q, uint32_t capacity, uint32_t item_size);
void spsc_fini(struct spsc *q);

/* copies item in; false (and nothing changes) when the queue is full */
bool spsc_push(struct spsc *q, const void *item);
/* copies the oldest item out and removes it; false when empty */
bool spsc_pop(struct spsc *q, void *item);
/* copies the oldest item out but leaves it queued; false when empty */
bool spsc_peek(struct spsc *q, void *item);

/* items queued / free slots.  exact for the calling side's own view; the other side may
 * change it an instant later, but only in the direction that helps the caller. */
uint32_t spsc_count(const struct spsc *q);
uint32_t spsc_space(const struct spsc *q);
static inline uint32_t spsc_capacity(const struct spsc *q) { return q->idx.size; }

#endif
