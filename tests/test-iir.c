/* IIRFilterNode: difference equation, normalisation by feedback[0], validation errors,
 * getFrequencyResponse. */
#include <complex.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "engine/iir.h"
#include "engine/node.h"

static int make_iir(struct engine *e, const double *ff, size_t nff, const double *fb,
		    size_t nfb, struct error *err)
{
	struct option o[2] = {
		{ "feedforward", { .type = VALUE_ARRAY, .arr = { ff, nff } } },
		{ "feedback", { .type = VALUE_ARRAY, .arr = { fb, nfb } } },
	};
	struct engine_op *op = NULL;

	if (engine_op_create(e, "IIRFilterNode", "f", o, 2, &op, err) < 0)
		return -1;
	engine_exec(e, op);
	return 0;
}

static void exec(struct engine *e, int r, struct engine_op **op)
{
	assert_int_equal(r, 0);
	engine_exec(e, *op);
}

/* an impulse of 1 at frame 0 from a one-frame ConstantSourceNode */
static void impulse_into_filter(struct engine *e)
{
	struct engine_op *op = NULL;
	struct error err;

	exec(e, engine_op_create(e, "ConstantSourceNode", "c", NULL, 0, &op, &err), &op);
	exec(e, engine_op_connect(e, "c", "f", -1, -1, &op, &err), &op);
	exec(e, engine_op_connect(e, "f", "destination", -1, -1, &op, &err), &op);
	exec(e, engine_op_start(e, "c", 0, NAN, NAN, &op, &err), &op);
	exec(e, engine_op_stop(e, "c", 1.0 / 8000, &op, &err), &op);
}

static void first_order_impulse_response_is_geometric(void **state)
{
	/* y[n] = (x[n] + 0.5 y[n-1]) with feedback[0] = 2 normalising b = 0.5, a1 = -0.25:
	 * 2y[n] = x[n] + 0.5 y[n-1]  ->  y[n] = 0.5 x[n] + 0.25 y[n-1]  ->  h[n] = 0.5 * 0.25^n */
	const double ff[] = { 1 }, fb[] = { 2, -0.5 };
	struct error err;
	struct engine *e = engine_new(8000, 1, &err);
	const struct bus *b;
	int i;

	(void)state;
	assert_int_equal(make_iir(e, ff, 1, fb, 2, &err), 0);
	impulse_into_filter(e);
	b = engine_render(e);
	for (i = 0; i < 10; i++)
		assert_float_equal(b->data[0][i], (float)(0.5 * pow(0.25, i)), 1e-9);
	engine_free(e);
}

static void second_order_matches_the_difference_equation(void **state)
{
	const double ff[] = { 0.1, 0.2, 0.1 }, fb[] = { 1, -0.9, 0.4 };
	double x[QUANTUM] = { 1 }, y[QUANTUM];
	struct error err;
	struct engine *e = engine_new(8000, 1, &err);
	const struct bus *b;
	int i;

	(void)state;
	for (i = 0; i < QUANTUM; i++) {
		y[i] = 0.1 * x[i] + (i >= 1 ? 0.2 * x[i - 1] + 0.9 * y[i - 1] : 0) +
		       (i >= 2 ? 0.1 * x[i - 2] - 0.4 * y[i - 2] : 0);
	}
	assert_int_equal(make_iir(e, ff, 3, fb, 3, &err), 0);
	impulse_into_filter(e);
	b = engine_render(e);
	for (i = 0; i < QUANTUM; i++)
		assert_float_equal(b->data[0][i], (float)y[i], 1e-7);
	engine_free(e);
}

/* y[n] = x[n] + 0.8 y[n-1]: after the second quantum (the first with a silent input) the
 * state is 0.8^256 = 2e-25, which a tail floor of 1e-12 cut off although the third quantum
 * still plays 2e-25 .. 1e-37, normal floats; the filter still goes idle once its tail plays
 * as zeros */
static void tail_plays_every_value_a_float_holds_then_goes_idle(void **state)
{
	const double ff[] = { 1 }, fb[] = { 1, -0.8 };
	struct error err;
	struct engine *e = engine_new(8000, 1, &err);
	const struct bus *b;
	int i, q;

	(void)state;
	assert_int_equal(make_iir(e, ff, 1, fb, 2, &err), 0);
	impulse_into_filter(e);
	engine_render(e);
	engine_render(e);
	b = engine_render(e);
	for (i = 0; i < QUANTUM; i++) {
		double h = pow(0.8, 2 * QUANTUM + i);

		assert_false(b->silent);
		assert_float_equal(b->data[0][i], h, 1e-6 * h);
	}
	for (q = 0; q < 40 && engine_node(e, "f")->tail; q++)
		engine_render(e);
	assert_false(engine_node(e, "f")->tail);
	engine_free(e);
}

static void invalid_coefficients_raise_the_spec_errors(void **state)
{
	const double zero[] = { 0, 0 }, one[] = { 1 }, fb0[] = { 0, 1 };
	double many[21] = { 1 };
	struct error err;
	struct engine *e = engine_new(8000, 1, &err);

	(void)state;
	assert_int_equal(make_iir(e, zero, 2, one, 1, &err), -1);
	assert_int_equal(err.code, ERR_INVALID_STATE);
	assert_int_equal(make_iir(e, one, 1, fb0, 2, &err), -1);
	assert_int_equal(err.code, ERR_INVALID_STATE);
	assert_int_equal(make_iir(e, many, 21, one, 1, &err), -1);
	assert_int_equal(err.code, ERR_NOT_SUPPORTED);
	assert_int_equal(make_iir(e, one, 1, many, 21, &err), -1);
	assert_int_equal(err.code, ERR_NOT_SUPPORTED);
	assert_int_equal(make_iir(e, one, 0, one, 1, &err), -1);
	assert_int_equal(err.code, ERR_NOT_SUPPORTED);
	engine_free(e);
}

static void frequency_response_evaluates_the_transfer_function(void **state)
{
	const double ff[] = { 1, -1 }, fb[] = { 1, -0.995 };
	const float freq[] = { 0, 1000, 4000, 5000 };
	float mag[4], phase[4];
	struct error err;
	struct engine *e = engine_new(8000, 1, &err);
	double complex z1 = cexp(-I * M_PI * 1000 / 4000), h = (1 - z1) / (1 - 0.995 * z1);

	(void)state;
	assert_int_equal(make_iir(e, ff, 2, fb, 2, &err), 0);
	assert_int_equal(iir_frequency_response(engine_node(e, "f"), freq, 4, mag, phase), 0);
	assert_float_equal(mag[0], 0.0f, 1e-9);
	assert_float_equal(mag[1], (float)cabs(h), 1e-6);
	assert_float_equal(phase[1], (float)carg(h), 1e-6);
	assert_float_equal(mag[2], (float)(2 / 1.995), 1e-6);	/* z = -1 at Nyquist */
	assert_true(isnan(mag[3]) && isnan(phase[3]));
	assert_int_equal(iir_frequency_response(engine_destination(e), freq, 1, mag, phase), -1);
	engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(first_order_impulse_response_is_geometric),
		cmocka_unit_test(second_order_matches_the_difference_equation),
		cmocka_unit_test(tail_plays_every_value_a_float_holds_then_goes_idle),
		cmocka_unit_test(invalid_coefficients_raise_the_spec_errors),
		cmocka_unit_test(frequency_response_evaluates_the_transfer_function),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
