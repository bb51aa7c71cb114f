/* cost: the render time one node of each kind takes per quantum here, measured at startup
 * (cost.c).  control thread only. */
#ifndef AUDIOD_COST_H
#define AUDIOD_COST_H

#include <stdint.h>

struct cost_table;

/* renders a few dozen quanta of each node kind on a private engine (a few milliseconds in
 * all).  NULL when out of memory. */
struct cost_table *cost_measure(double rate, uint32_t channels);
void cost_free(struct cost_table *t);
/* ns per quantum of one node of the kind doing its work (a source playing, a filter fed);
 * 0 for unknown names */
double cost_of(const struct cost_table *t, const char *kind);

#endif
