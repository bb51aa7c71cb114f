/* WaveShaperNode: the spec's curve mapping, curve validation, oversampling that keeps a
 * band-limited signal intact. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/engine.h"

static void exec(struct engine *e, int r, struct engine_op **op, const struct error *err)
{
	if (r < 0)
		fail_msg("%s", err->msg);
	engine_exec(e, *op);
}

/* ConstantSourceNode "c" (offset x) -> WaveShaperNode "w" -> destination */
static struct engine *shaper(const double *curve, size_t n, const char *over, double x)
{
	struct option o[2] = {
		{ "curve", { .type = VALUE_ARRAY, .arr = { curve, n } } },
		{ "oversample", { .type = VALUE_STRING, .str = over } },
	};
	struct option off = { "offset", { .type = VALUE_NUMBER, .num = x } };
	struct engine_op *op = NULL;
	struct error err;
	struct engine *e = engine_new(48000, 1, &err);

	exec(e, engine_op_create(e, "ConstantSourceNode", "c", &off, 1, &op, &err), &op, &err);
	exec(e, engine_op_create(e, "WaveShaperNode", "w", o, 2, &op, &err), &op, &err);
	exec(e, engine_op_connect(e, "c", "w", -1, -1, &op, &err), &op, &err);
	exec(e, engine_op_connect(e, "w", "destination", -1, -1, &op, &err), &op, &err);
	exec(e, engine_op_start(e, "c", 0, NAN, NAN, &op, &err), &op, &err);
	return e;
}

static void curve_maps_input_by_linear_interpolation(void **state)
{
	const double curve[] = { -1, -0.9, -0.5, 0, 0.5, 0.9, 1 };
	/* v = (N-1)/2 * (x+1) = 3(x+1); x = 0.1 -> v = 3.3 -> 0.7*curve[3] + 0.3*curve[4] */
	const struct { double x, y; } cases[] = {
		{ 0.1, 0.15 }, { -0.5, -0.7 }, { 2.0, 1.0 }, { -3.0, -1.0 }, { 1.0, 1.0 },
		{ 0.0, 0.0 }, { -1.0, -1.0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct engine *e = shaper(curve, 7, "none", cases[i].x);
		const struct bus *b = engine_render(e);
		assert_false(b->silent);
		assert_float_equal(b->data[0][5], (float)cases[i].y, 1e-6);
		engine_free(e);
	}
}

static void short_curve_is_invalid_state(void **state)
{
	const double one[] = { 1 };
	struct option o = { "curve", { .type = VALUE_ARRAY, .arr = { one, 1 } } };
	struct engine_op *op = NULL;
	struct error err;
	struct engine *e = engine_new(48000, 1, &err);
	struct value v = { .type = VALUE_STRING, .str = "8x" };

	(void)state;
	assert_int_equal(engine_op_create(e, "WaveShaperNode", "w", &o, 1, &op, &err), -1);
	assert_int_equal(err.code, ERR_INVALID_STATE);
	exec(e, engine_op_create(e, "WaveShaperNode", "w", NULL, 0, &op, &err), &op, &err);
	assert_int_equal(engine_op_set(e, "w", "oversample", &v, &op, &err), -1);
	assert_int_equal(err.code, ERR_INVALID_VALUE);
	engine_free(e);
}

/* with an identity curve, oversampling must pass a DC level through unchanged once the
 * filters have settled (their DC gain is 1) */
static void oversampling_keeps_the_level_of_a_band_limited_signal(void **state)
{
	const double ident[] = { -1, 1 };
	const char *modes[] = { "2x", "4x" };
	int m, q;

	(void)state;
	for (m = 0; m < 2; m++) {
		struct engine *e = shaper(ident, 2, modes[m], 0.5);
		const struct bus *b = NULL;
		for (q = 0; q < 4; q++)
			b = engine_render(e);
		assert_float_equal(b->data[0][100], 0.5f, 2e-3);
		engine_free(e);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(curve_maps_input_by_linear_interpolation),
		cmocka_unit_test(short_curve_is_invalid_state),
		cmocka_unit_test(oversampling_keeps_the_level_of_a_band_limited_signal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
