/* unit tests for engine/compressor.c: the spec's compression curve properties (identity
 * below the threshold, ratio above the knee, monotonic and continuous), the makeup gain
 * (1/curve(1))^0.6, the 6 ms pre-delay, steady-state levels of constant inputs, the reduction
 * attribute, and the spec's exceptions.  levels are checked in dB against hand-written
 * formulas. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/compressor.h"
#include "engine/engine.h"
#include "engine/node.h"
#include "graph-helpers.h"

static double db(double x)
{
	return 20 * log10(x);
}

static double lin(double d)
{
	return pow(10, d / 20);
}

static void test_curve_identity_below_threshold(void **state)
{
	struct compressor_curve c;

	(void)state;
	compressor_curve_make(&c, -24, 30, 12);
	assert_float_equal(compressor_curve_apply(&c, 0.01), 0.01, 1e-15);
	assert_float_equal(compressor_curve_apply(&c, lin(-24)), lin(-24), 1e-12);
}

/* past threshold + knee the curve is a line of slope 1/ratio in dB */
static void test_curve_ratio_above_knee(void **state)
{
	struct compressor_curve c;
	double y1, y2;

	(void)state;
	compressor_curve_make(&c, -40, 10, 4);
	y1 = compressor_curve_apply(&c, lin(-20));
	y2 = compressor_curve_apply(&c, lin(0));
	assert_float_equal(db(y2) - db(y1), 20.0 / 4, 1e-9);
	/* hard knee: the line starts at the threshold itself */
	compressor_curve_make(&c, -24, 0, 12);
	assert_float_equal(db(compressor_curve_apply(&c, lin(-6))), -24 + 18.0 / 12, 1e-9);
}

static void test_curve_monotonic_continuous_in_knee(void **state)
{
	struct compressor_curve c;
	double prev = 0;

	(void)state;
	compressor_curve_make(&c, -24, 30, 12);
	for (double d = -30; d <= 12; d += 0.01) {
		double y = compressor_curve_apply(&c, lin(d));
		assert_true(y > prev);
		/* continuous: no jump larger than the input step allows (slope <= 1 in dB) */
		if (prev > 0)
			assert_true(db(y) - db(prev) <= 0.01 + 1e-9);
		prev = y;
	}
	/* the knee is soft: between threshold and knee end the output is below the input but
	 * above the threshold, and past the threshold the dB slope falls from 1 to 1/ratio */
	{
		double x = lin(-9), y = compressor_curve_apply(&c, x);
		double s0 = (db(compressor_curve_apply(&c, lin(-23.99))) -
			     db(compressor_curve_apply(&c, lin(-24)))) / 0.01;
		double s1 = (db(compressor_curve_apply(&c, lin(6))) -
			     db(compressor_curve_apply(&c, lin(5.99)))) / 0.01;
		assert_true(y < x);
		assert_true(db(y) > -24);
		assert_float_equal(s0, 1, 0.01);
		assert_float_equal(s1, 1.0 / 12, 0.01);
	}
}

static void test_makeup_gain_formula(void **state)
{
	struct compressor_curve c;

	(void)state;
	compressor_curve_make(&c, -24, 0, 12);
	/* curve(1) = -24 + 24/12 = -22 dB, so makeup = 22 * 0.6 dB */
	assert_float_equal(db(compressor_makeup_gain(&c)), 22 * 0.6, 1e-9);
	compressor_curve_make(&c, -24, 30, 1);
	assert_float_equal(compressor_makeup_gain(&c), 1, 1e-12);
}

/* --- whole nodes ------------------------------------------------------------------------ */

/* a ConstantSourceNode of `level` into a compressor with knee 0, ratio 12, threshold -24 */
static struct engine *rig(double level)
{
	struct error err = { 0 };
	struct engine *e = engine_new(48000, 1, &err);
	struct option oc = num("offset", level);
	struct option ox[] = { num("knee", 0), num("ratio", 12), num("threshold", -24) };
	struct engine_op *op = NULL;

	assert_non_null(e);
	create(e, "ConstantSourceNode", "c", &oc, 1);
	create(e, "DynamicsCompressorNode", "x", ox, 3);
	connect(e, "c", "x");
	connect(e, "x", "destination");
	ok(e, engine_op_start(e, "c", 0, NAN, NAN, &op, &err), &op, &err);
	return e;
}

static double reduction(struct engine *e)
{
	struct node *n = engine_node(e, "x");
	const struct attr_desc *a = node_attr(n, "reduction");
	struct value v = { 0 };

	assert_non_null(a);
	a->get(n, &v);
	assert_int_equal(v.type, VALUE_NUMBER);
	return v.num;
}

/* 6 ms at 48 kHz: the first 288 output samples are the delay line's silence */
static void test_pre_delay_is_6ms(void **state)
{
	struct engine *e = rig(0.01);
	const struct bus *b;

	(void)state;
	b = engine_render(e);
	for (int i = 0; i < QUANTUM; i++)
		assert_float_equal(b->data[0][i], 0, 0);
	b = engine_render(e);
	b = engine_render(e);	/* frames 256..383 */
	assert_float_equal(b->data[0][287 - 256], 0, 0);
	assert_true(b->data[0][288 - 256] != 0);
	engine_free(e);
}

/* a constant level above the threshold settles to curve(level) * makeup, and reduction
 * reports the compressor's gain: curve(level) / level in dB */
static void test_constant_level_settles_to_curve_gain(void **state)
{
	struct engine *e = rig(0.5);
	const struct bus *b = NULL;
	double in_db = db(0.5), out_db = -24 + (in_db + 24) / 12;

	(void)state;
	assert_float_equal(reduction(e), 0, 0);
	/* the follower starts from a detector average of 0 (the spec's initial value): the
	 * gain dips at first, then releases adaptively; 3 s leave it settled */
	for (int q = 0; q < 1125; q++)
		b = engine_render(e);
	assert_float_equal(db(b->data[0][100]), out_db + 22 * 0.6, 0.01);
	assert_float_equal(reduction(e), out_db - in_db, 0.01);
	engine_free(e);
}

/* below the threshold only the makeup gain applies, and nothing is reduced */
static void test_quiet_level_gets_makeup_only(void **state)
{
	struct engine *e = rig(0.01);
	const struct bus *b = NULL;

	(void)state;
	for (int q = 0; q < 1125; q++)	/* 3 s: past the start's dip, see above */
		b = engine_render(e);
	assert_float_equal(db(b->data[0][0]), db(0.01) + 22 * 0.6, 0.01);
	assert_float_equal(reduction(e), 0, 0.01);
	engine_free(e);
}

/* a sine above the threshold settles: its peak output is close to curve(peak) * makeup */
static void test_sine_settles_near_curve_at_peak(void **state)
{
	struct error err = { 0 };
	struct engine *e = engine_new(48000, 1, &err);
	struct option oo = num("frequency", 440);
	struct option ox[] = { num("knee", 0) };
	struct engine_op *op = NULL;
	double peak = 0;

	(void)state;
	create(e, "OscillatorNode", "o", &oo, 1);
	create(e, "DynamicsCompressorNode", "x", ox, 1);
	connect(e, "o", "x");
	connect(e, "x", "destination");
	ok(e, engine_op_start(e, "o", 0, NAN, NAN, &op, &err), &op, &err);
	for (int q = 0; q < 375; q++) {
		const struct bus *b = engine_render(e);
		for (int i = 0; q >= 300 && i < QUANTUM; i++)
			peak = fmax(peak, fabs(b->data[0][i]));
	}
	/* amplitude 1 (0 dB): curve gives -22 dB, makeup +13.2 dB */
	assert_float_equal(db(peak), -22 + 22 * 0.6, 1.0);
	assert_true(reduction(e) < -20);
	engine_free(e);
}

static void test_reduction_is_read_only(void **state)
{
	struct engine *e = rig(0.5);
	struct engine_op *op = NULL;
	struct error err = { 0 };
	struct value v = { .type = VALUE_NUMBER, .num = -3 };

	(void)state;
	/* assigning a getter-only attribute is a TypeError */
	assert_int_equal(engine_op_set(e, "x", "reduction", &v, &op, &err), -1);
	assert_int_equal(err.code, ERR_INVALID_VALUE);
	assert_string_equal(err.msg, "reduction: read-only");
	engine_free(e);
}

static void test_exceptions(void **state)
{
	struct error err = { 0 };
	struct engine *e = engine_new(48000, 2, &err);
	struct engine_op *op = NULL;
	struct option o = num("channelCount", 3);

	(void)state;
	assert_int_equal(engine_op_create(e, "DynamicsCompressorNode", "a", &o, 1, &op, &err), -1);
	assert_int_equal(err.code, ERR_NOT_SUPPORTED);
	o.name = "channelCountMode";
	o.value.type = VALUE_STRING;
	o.value.str = "max";
	assert_int_equal(engine_op_create(e, "DynamicsCompressorNode", "a", &o, 1, &op, &err), -1);
	assert_int_equal(err.code, ERR_NOT_SUPPORTED);
	create(e, "DynamicsCompressorNode", "x", NULL, 0);
	/* k-rate, and it may not change */
	assert_int_equal(engine_op_param(e, "x.attack", "automationRate", NULL, 0, NULL, 0,
					 "a-rate", &op, &err), -1);
	assert_int_equal(err.code, ERR_INVALID_STATE);
	engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_curve_identity_below_threshold),
		cmocka_unit_test(test_curve_ratio_above_knee),
		cmocka_unit_test(test_curve_monotonic_continuous_in_knee),
		cmocka_unit_test(test_makeup_gain_formula),
		cmocka_unit_test(test_pre_delay_is_6ms),
		cmocka_unit_test(test_constant_level_settles_to_curve_gain),
		cmocka_unit_test(test_quiet_level_gets_makeup_only),
		cmocka_unit_test(test_sine_settles_near_curve_at_peak),
		cmocka_unit_test(test_reduction_is_read_only),
		cmocka_unit_test(test_exceptions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
