/* unit tests for engine/stereopanner.c: the spec's StereoPannerNode panning algorithm for mono
 * and stereo input, constant and per-sample pan, and its channel constraints.
 * the kind's process is driven directly on hand-built buses; expectations use the spec's
 * cos/sin(x * pi / 2) formulas in double. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/node.h"

extern const struct node_kind stereo_panner_kind;

#define TOL 1e-6f

struct rig {
	struct node node;
	struct bus in, out;
	struct param pan;
};

static int rig_setup(void **state)
{
	static struct rig r;

	memset(&r, 0, sizeof(r));
	if (bus_init(&r.in, MAX_CHANNELS) || bus_init(&r.out, MAX_CHANNELS))
		return -1;
	r.node.kind = &stereo_panner_kind;
	r.node.n_inputs = 1;
	r.node.n_outputs = 1;
	r.node.in = &r.in;
	r.node.out = &r.out;
	r.node.params = &r.pan;
	r.pan.desc = &stereo_panner_kind.params[0];
	*state = &r;
	return 0;
}

static int rig_teardown(void **state)
{
	struct rig *r = *state;

	bus_fini(&r->in);
	bus_fini(&r->out);
	return 0;
}

/* input sample i of channel c: distinct, signed, exact in float */
static float in_val(uint32_t c, int i)
{
	return (c == 0 ? 0.75f : -0.5f) + (float)(i - 64) / 128.0f;
}

static void fill_input(struct rig *r, uint32_t channels)
{
	bus_zero(&r->in, channels);
	for (uint32_t c = 0; c < channels; c++)
		for (int i = 0; i < QUANTUM; i++)
			r->in.data[c][i] = in_val(c, i);
}

static void set_pan_const(struct rig *r, float pan)
{
	r->pan.constant = true;
	for (int i = 0; i < QUANTUM; i++)
		r->pan.values[i] = pan;
}

/* a ramp from -1 to 1 across the quantum, as an a-rate automation would give */
static float ramp(int i)
{
	return -1.0f + 2.0f * (float)i / (QUANTUM - 1);
}

static void set_pan_ramp(struct rig *r)
{
	r->pan.constant = false;
	for (int i = 0; i < QUANTUM; i++)
		r->pan.values[i] = ramp(i);
}

static void run(struct rig *r)
{
	struct render_ctx ctx = { .frame = 0, .time = 0, .sample_rate = 48000 };

	bus_silence(&r->out, 1);
	stereo_panner_kind.process(&r->node, &ctx);
	assert_int_equal(r->out.channels, 2);
	assert_false(r->out.silent);
}

static double clampd(double p)
{
	return p < -1 ? -1 : p > 1 ? 1 : p;
}

/* the spec's algorithm for one sample, mono input */
static void expect_mono(double pan, double in, double *l, double *r)
{
	double x = (clampd(pan) + 1) / 2;

	*l = in * cos(x * M_PI / 2);
	*r = in * sin(x * M_PI / 2);
}

/* the spec's algorithm for one sample, stereo input */
static void expect_stereo(double pan, double il, double ir, double *l, double *r)
{
	double p = clampd(pan);
	double x = p <= 0 ? p + 1 : p;
	double gl = cos(x * M_PI / 2), gr = sin(x * M_PI / 2);

	if (p <= 0) {
		*l = il + ir * gl;
		*r = ir * gr;
	} else {
		*l = il * gl;
		*r = ir + il * gr;
	}
}

static void check_mono(struct rig *r, int i, double pan)
{
	double l, rr;

	expect_mono(pan, in_val(0, i), &l, &rr);
	assert_float_equal(r->out.data[0][i], l, TOL);
	assert_float_equal(r->out.data[1][i], rr, TOL);
}

static void check_stereo(struct rig *r, int i, double pan)
{
	double l, rr;

	expect_stereo(pan, in_val(0, i), in_val(1, i), &l, &rr);
	assert_float_equal(r->out.data[0][i], l, TOL);
	assert_float_equal(r->out.data[1][i], rr, TOL);
}

static const float pans[] = { -1.0f, -0.75f, -0.5f, -0.3f, 0.0f, 0.25f, 0.5f, 0.9f, 1.0f };
#define N_PANS (sizeof(pans) / sizeof(pans[0]))

static void mono_input_uses_equal_power_gains_at_constant_pan(void **state)
{
	struct rig *r = *state;

	for (size_t k = 0; k < N_PANS; k++) {
		fill_input(r, 1);
		set_pan_const(r, pans[k]);
		run(r);
		for (int i = 0; i < QUANTUM; i++)
			check_mono(r, i, pans[k]);
	}
}

static void mono_input_centered_gives_sqrt_half_each_side(void **state)
{
	struct rig *r = *state;

	fill_input(r, 1);
	set_pan_const(r, 0.0f);
	run(r);
	for (int i = 0; i < QUANTUM; i++) {
		assert_float_equal(r->out.data[0][i], in_val(0, i) * M_SQRT1_2, TOL);
		assert_float_equal(r->out.data[1][i], in_val(0, i) * M_SQRT1_2, TOL);
	}
}

static void mono_input_hard_left_and_right_silence_the_other_side(void **state)
{
	struct rig *r = *state;

	fill_input(r, 1);
	set_pan_const(r, -1.0f);
	run(r);
	for (int i = 0; i < QUANTUM; i++) {
		assert_float_equal(r->out.data[0][i], in_val(0, i), TOL);
		assert_float_equal(r->out.data[1][i], 0.0, TOL);
	}
	set_pan_const(r, 1.0f);
	run(r);
	for (int i = 0; i < QUANTUM; i++) {
		assert_float_equal(r->out.data[0][i], 0.0, TOL);
		assert_float_equal(r->out.data[1][i], in_val(0, i), TOL);
	}
}

static void stereo_input_folds_one_side_into_the_other_at_constant_pan(void **state)
{
	struct rig *r = *state;

	for (size_t k = 0; k < N_PANS; k++) {
		fill_input(r, 2);
		set_pan_const(r, pans[k]);
		run(r);
		for (int i = 0; i < QUANTUM; i++)
			check_stereo(r, i, pans[k]);
	}
}

static void stereo_input_centered_passes_through(void **state)
{
	struct rig *r = *state;

	fill_input(r, 2);
	set_pan_const(r, 0.0f);
	run(r);
	for (int i = 0; i < QUANTUM; i++) {
		assert_float_equal(r->out.data[0][i], in_val(0, i), TOL);
		assert_float_equal(r->out.data[1][i], in_val(1, i), TOL);
	}
}

static void stereo_input_hard_left_sums_both_into_left(void **state)
{
	struct rig *r = *state;

	fill_input(r, 2);
	set_pan_const(r, -1.0f);
	run(r);
	for (int i = 0; i < QUANTUM; i++) {
		assert_float_equal(r->out.data[0][i], in_val(0, i) + in_val(1, i), TOL);
		assert_float_equal(r->out.data[1][i], 0.0, TOL);
	}
}

static void mono_input_follows_per_sample_pan(void **state)
{
	struct rig *r = *state;

	fill_input(r, 1);
	set_pan_ramp(r);
	run(r);
	for (int i = 0; i < QUANTUM; i++)
		check_mono(r, i, ramp(i));
}

static void stereo_input_follows_per_sample_pan(void **state)
{
	struct rig *r = *state;

	fill_input(r, 2);
	set_pan_ramp(r);
	run(r);
	for (int i = 0; i < QUANTUM; i++)
		check_stereo(r, i, ramp(i));
}

static void pan_outside_range_is_clamped(void **state)
{
	struct rig *r = *state;

	fill_input(r, 2);
	set_pan_const(r, 3.0f);
	run(r);
	for (int i = 0; i < QUANTUM; i++)
		check_stereo(r, i, 1.0);
	fill_input(r, 1);
	set_pan_const(r, -2.0f);
	run(r);
	for (int i = 0; i < QUANTUM; i++)
		check_mono(r, i, -1.0);
}

static void silent_input_gives_silent_stereo_output(void **state)
{
	struct rig *r = *state;
	struct render_ctx ctx = { .sample_rate = 48000 };

	fill_input(r, 1);
	bus_silence(&r->in, 1);
	set_pan_const(r, 0.5f);
	bus_zero(&r->out, 1);
	stereo_panner_kind.process(&r->node, &ctx);
	assert_int_equal(r->out.channels, 2);
	assert_true(r->out.silent);
}

static void channel_count_above_two_is_not_supported(void **state)
{
	struct rig *r = *state;
	struct error err = { 0 };

	assert_true(stereo_panner_kind.check_channels(&r->node, 3, COUNT_EXPLICIT,
						      INTERP_SPEAKERS, &err) < 0);
	assert_int_equal(err.code, ERR_NOT_SUPPORTED);
	err.code = ERR_OK;
	assert_true(stereo_panner_kind.check_channels(&r->node, 6, COUNT_CLAMPED_MAX,
						      INTERP_SPEAKERS, &err) < 0);
	assert_int_equal(err.code, ERR_NOT_SUPPORTED);
}

static void channel_count_mode_max_is_not_supported(void **state)
{
	struct rig *r = *state;
	struct error err = { 0 };

	assert_true(stereo_panner_kind.check_channels(&r->node, 2, COUNT_MAX, INTERP_SPEAKERS,
						      &err) < 0);
	assert_int_equal(err.code, ERR_NOT_SUPPORTED);
}

static void one_or_two_channels_clamped_or_explicit_are_accepted(void **state)
{
	struct rig *r = *state;
	struct error err = { 0 };

	for (uint32_t count = 1; count <= 2; count++) {
		assert_int_equal(stereo_panner_kind.check_channels(&r->node, count,
				 COUNT_CLAMPED_MAX, INTERP_SPEAKERS, &err), 0);
		assert_int_equal(stereo_panner_kind.check_channels(&r->node, count,
				 COUNT_EXPLICIT, INTERP_DISCRETE, &err), 0);
	}
}

static void kind_has_spec_defaults(void **state)
{
	const struct node_kind *k = &stereo_panner_kind;

	(void)state;
	assert_string_equal(k->name, "StereoPannerNode");
	assert_int_equal(k->inputs, 1);
	assert_int_equal(k->outputs, 1);
	assert_int_equal(k->channel_count, 2);
	assert_int_equal(k->count_mode, COUNT_CLAMPED_MAX);
	assert_int_equal(k->interp, INTERP_SPEAKERS);
	assert_int_equal(k->n_params, 1);
	assert_string_equal(k->params[0].name, "pan");
	assert_true(k->params[0].def == 0.0f);
	assert_true(k->params[0].min == -1.0f);
	assert_true(k->params[0].max == 1.0f);
	assert_false(k->params[0].k_rate);
	assert_false(k->source);
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(kind_has_spec_defaults),
		T(mono_input_uses_equal_power_gains_at_constant_pan),
		T(mono_input_centered_gives_sqrt_half_each_side),
		T(mono_input_hard_left_and_right_silence_the_other_side),
		T(stereo_input_folds_one_side_into_the_other_at_constant_pan),
		T(stereo_input_centered_passes_through),
		T(stereo_input_hard_left_sums_both_into_left),
		T(mono_input_follows_per_sample_pan),
		T(stereo_input_follows_per_sample_pan),
		T(pan_outside_range_is_clamped),
		T(silent_input_gives_silent_stereo_output),
		T(channel_count_above_two_is_not_supported),
		T(channel_count_mode_max_is_not_supported),
		T(one_or_two_channels_clamped_or_explicit_are_accepted),
	};

	return cmocka_run_group_tests(tests, rig_setup, rig_teardown);
}
