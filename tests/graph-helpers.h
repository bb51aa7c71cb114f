/* small helpers for tests that build graphs through the engine API: every op is prepared,
 * checked and executed at once.  for cmocka tests (include after <cmocka.h>). */
#ifndef AUDIOD_TEST_GRAPH_HELPERS_H
#define AUDIOD_TEST_GRAPH_HELPERS_H

#include <math.h>

#include "engine/engine.h"

static inline struct option num(const char *name, double v)
{
	struct option o = { .name = name, .value = { .type = VALUE_NUMBER, .num = v } };
	return o;
}

static inline struct option str(const char *name, const char *v)
{
	struct option o = { .name = name, .value = { .type = VALUE_STRING, .str = v } };
	return o;
}

/* executes *op after a successful prepare (r == 0); the op by address, as C leaves the
 * order of argument evaluation open */
static inline void ok(struct engine *e, int r, struct engine_op **op, const struct error *err)
{
	if (r < 0)
		fail_msg("unexpected error: %s", err->msg);
	engine_exec(e, *op);
}

static inline void create(struct engine *e, const char *type, const char *name,
			  const struct option *opts, size_t n)
{
	struct engine_op *op = NULL;
	struct error err = { 0 };

	ok(e, engine_op_create(e, type, name, opts, n, &op, &err), &op, &err);
}

/* output, input: -1 for the defaults */
static inline void connect_at(struct engine *e, const char *from, const char *to, int output,
			      int input)
{
	struct engine_op *op = NULL;
	struct error err = { 0 };

	ok(e, engine_op_connect(e, from, to, output, input, &op, &err), &op, &err);
}

static inline void connect(struct engine *e, const char *from, const char *to)
{
	connect_at(e, from, to, -1, -1);
}

static inline void start_at(struct engine *e, const char *name, double when)
{
	struct engine_op *op = NULL;
	struct error err = { 0 };

	ok(e, engine_op_start(e, name, when, NAN, NAN, &op, &err), &op, &err);
}

#endif
