/* unit tests for engine/param.c: the AudioParam event list rules, every automation formula,
 * cancelScheduledValues / cancelAndHoldAtTime, a-rate / k-rate, inputs and clamping.
 * expected values are written from the Web Audio spec's formulas, evaluated in double at
 * the exact frame times t = n / sampleRate, not taken from param.c's output. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/param.h"

#define SR 48000.0
#define TOL 1e-6

static const struct param_desc wide = {
	.name = "offset", .def = 1, .min = -FLT_MAX, .max = FLT_MAX,
};
static const struct param_desc unit = {
	.name = "gain", .def = 0.25f, .min = 0, .max = 1,
};
static const struct param_desc fixed_k = {
	.name = "playbackRate", .def = 1, .min = -FLT_MAX, .max = FLT_MAX,
	.k_rate = true, .fixed_rate = true,
};

static double t_of(uint64_t n)
{
	return (double)n / SR;
}

/* prepares one call at context time `now`; returns the error code (ERR_OK on success) and
 * commits the update like the renderer would */
static enum err_code call_full(struct param *p, double now, const char *m, const double *a,
			       size_t n, const float *curve, size_t nc, const char *rate,
			       struct error *err)
{
	struct param_update *u = NULL;

	err->code = ERR_OK;
	err->msg[0] = '\0';
	if (param_prepare(p, m, a, n, curve, nc, rate, now, SR, &u, err) < 0) {
		assert_int_not_equal(err->code, ERR_OK);
		return err->code;
	}
	assert_non_null(u);
	param_commit(p, u);
	param_update_free(u);
	return ERR_OK;
}

#define ARGS(...) ((const double[]){ __VA_ARGS__ }), \
	(sizeof((const double[]){ __VA_ARGS__ }) / sizeof(double))

/* schedules and expects success */
#define ok(p, now, m, ...) do { \
	struct error e_; \
	enum err_code c_ = call_full((p), (now), (m), ARGS(__VA_ARGS__), NULL, 0, NULL, &e_); \
	if (c_ != ERR_OK) \
		fail_msg("%s failed: %s", (m), e_.msg); \
} while (0)

static void ok_curve(struct param *p, double now, const float *curve, size_t nc, double start,
		     double dur)
{
	struct error e;

	if (call_full(p, now, "setValueCurveAtTime", ARGS(start, dur), curve, nc, NULL, &e))
		fail_msg("setValueCurveAtTime failed: %s", e.msg);
}

static void ok_rate(struct param *p, const char *rate)
{
	struct error e;

	if (call_full(p, 0, "automationRate", NULL, 0, NULL, 0, rate, &e))
		fail_msg("automationRate failed: %s", e.msg);
}

/* renders quanta from frame 0 up to at least `frames` into out */
static void render(struct param *p, float *out, uint64_t frames, const float *input)
{
	uint64_t f;

	for (f = 0; f < frames; f += QUANTUM) {
		param_compute(p, f, SR, input);
		memcpy(out + f, p->values, sizeof(p->values));
	}
}

static float *render_new(struct param *p, uint64_t frames)
{
	float *out = malloc((frames + QUANTUM) * sizeof(float));

	assert_non_null(out);
	render(p, out, frames, NULL);
	return out;
}

typedef double (*formula)(double t);

/* every frame's value against the spec formula at its exact time */
static void expect_frames(const float *out, uint64_t from, uint64_t to, formula f)
{
	uint64_t n;

	for (n = from; n < to; n++) {
		double want = (float)f(t_of(n));
		if (fabs(out[n] - want) > TOL)
			fail_msg("frame %lu (t=%.9f): got %.9g, want %.9g", (unsigned long)n,
				 t_of(n), (double)out[n], want);
	}
}

/* first frame n with n / SR >= t */
static uint64_t frame_at(double t)
{
	uint64_t n = (uint64_t)ceil(t * SR);

	while (n > 0 && t_of(n - 1) >= t)
		n--;
	while (t_of(n) < t)
		n++;
	return n;
}

/* ---- basics ---------------------------------------------------------------------------- */

static void no_automation_gives_intrinsic_value_as_constant(void **state)
{
	struct param p;
	uint32_t k;

	(void)state;
	assert_int_equal(param_init(&p, &wide, 0.75f), 0);
	param_compute(&p, 0, SR, NULL);
	assert_true(p.constant);
	for (k = 0; k < QUANTUM; k++)
		assert_float_equal(p.values[k], 0.75f, 0);
	assert_float_equal(atomic_load(&p.last), 0.75f, 0);
	assert_float_equal(param_model_value_at(&p, 3.0), 0.75, 0);
	param_fini(&p);
}

static void set_value_takes_effect_at_first_frame_at_or_after_its_time(void **state)
{
	struct param p;
	uint32_t k;

	(void)state;
	param_init(&p, &wide, 0);
	/* between frames 100 and 101: not rounded to the nearer frame */
	ok(&p, 0, "setValueAtTime", 0.5, 100.2 / SR);
	param_compute(&p, 0, SR, NULL);
	assert_false(p.constant);
	for (k = 0; k < QUANTUM; k++)
		assert_float_equal(p.values[k], k <= 100 ? 0.0f : 0.5f, 0);
	param_compute(&p, QUANTUM, SR, NULL);
	assert_true(p.constant);
	assert_float_equal(p.values[0], 0.5f, 0);
	param_fini(&p);
}

static void set_value_exactly_on_a_frame_applies_to_that_frame(void **state)
{
	struct param p;

	(void)state;
	param_init(&p, &wide, 0);
	ok(&p, 0, "setValueAtTime", 2, 64 / SR);
	param_compute(&p, 0, SR, NULL);
	assert_float_equal(p.values[63], 0.0f, 0);
	assert_float_equal(p.values[64], 2.0f, 0);
	param_fini(&p);
}

/* ---- linear ramps ------------------------------------------------------------------------ */

static double lin_a0(double t)
{
	/* setValueAtTime(0.1, 0.05); linearRampToValueAtTime(0.9, 0.3) */
	if (t < 0.05)
		return 0;
	if (t < 0.3)
		return (double)0.1f + ((double)0.9f - (double)0.1f) * (t - 0.05) / (0.3 - 0.05);
	return 0.9f;
}

static void linear_ramp_follows_formula_at_exact_frame_times(void **state)
{
	struct param p;
	float *out;

	(void)state;
	param_init(&p, &wide, 0);
	ok(&p, 0, "setValueAtTime", 0.1, 0.05);
	ok(&p, 0, "linearRampToValueAtTime", 0.9, 0.3);
	out = render_new(&p, 19200);
	expect_frames(out, 0, 19200, lin_a0);
	assert_float_equal(param_model_value_at(&p, 0.175), lin_a0(0.175), TOL);
	free(out);
	param_fini(&p);
}

static double lin_nopre(double t)
{
	/* offset 0.3, linearRampToValueAtTime(-0.5, 0.25) called at currentTime 0.1 */
	if (t < 0.1)
		return 0.3f;
	if (t < 0.25)
		return (double)0.3f + (-0.5 - (double)0.3f) * (t - 0.1) / (0.25 - 0.1);
	return -0.5;
}

static void linear_ramp_with_no_previous_event_starts_at_now_from_current_value(void **state)
{
	struct param p;
	float *out;

	(void)state;
	param_init(&p, &wide, 0.3f);
	ok(&p, 0.1, "linearRampToValueAtTime", -0.5, 0.25);
	out = render_new(&p, 14400);
	/* frames before 0.1 are in the past when the call is made; from then on the formula */
	expect_frames(out, frame_at(0.1), 14400, lin_nopre);
	free(out);
	param_fini(&p);
}

static double lin_then_set(double t)
{
	/* setValueAtTime(0, 0); linearRampToValueAtTime(1, 0.01); setValueAtTime(0.25, 0.01) */
	if (t < 0.01)
		return t / 0.01;
	return 0.25;
}

static void set_value_at_ramp_end_time_goes_after_the_ramp(void **state)
{
	struct param p;
	float *out;

	(void)state;
	param_init(&p, &wide, 0);
	ok(&p, 0, "setValueAtTime", 0, 0);
	ok(&p, 0, "linearRampToValueAtTime", 1, 0.01);
	ok(&p, 0, "setValueAtTime", 0.25, 0.01);
	out = render_new(&p, 1024);
	expect_frames(out, 0, 1024, lin_then_set);
	free(out);
	param_fini(&p);
}

static void later_event_at_same_time_wins(void **state)
{
	struct param p;

	(void)state;
	param_init(&p, &wide, 0);
	ok(&p, 0, "setValueAtTime", 0.5, 0.1);
	ok(&p, 0, "setValueAtTime", 0.7, 0.1);
	assert_float_equal(param_model_value_at(&p, 0.1), (double)0.7f, 0);
	/* a ramp ending at the same time is placed after the set: it ends there, at its value */
	ok(&p, 0, "linearRampToValueAtTime", 0.9, 0.1);
	assert_float_equal(param_model_value_at(&p, 0.1), (double)0.9f, 0);
	assert_float_equal(param_model_value_at(&p, 0.05), 0, 0);
	param_fini(&p);
}

/* ---- exponential ramps ------------------------------------------------------------------- */

static double exp_wpt(double t)
{
	/* setValueAtTime(0.1, 0); exponentialRampToValueAtTime(0.85, 0.03) */
	double v0 = 0.1f, v1 = 0.85f;

	if (t < 0.03)
		return v0 * pow(v1 / v0, t / 0.03);
	return v1;
}

static void exponential_ramp_follows_formula(void **state)
{
	struct param p;
	float *out;

	(void)state;
	param_init(&p, &wide, 1);
	ok(&p, 0, "setValueAtTime", 0.1, 0);
	ok(&p, 0, "exponentialRampToValueAtTime", 0.85, 0.03);
	out = render_new(&p, 2048);
	expect_frames(out, 0, 2048, exp_wpt);
	free(out);
	param_fini(&p);
}

static double exp_opposite(double t)
{
	/* setValueAtTime(-0.5, 0.05); exponentialRampToValueAtTime(0.7, 0.2);
	 * linearRampToValueAtTime(0, 0.35); exponentialRampToValueAtTime(0.5, 0.4) */
	if (t < 0.05)
		return 0;
	if (t < 0.2)
		return -0.5;	/* opposite signs: V0 holds */
	if (t < 0.35)
		return (double)0.7f + (0 - (double)0.7f) * (t - 0.2) / 0.15;
	if (t < 0.4)
		return 0;	/* V0 is zero: holds */
	return 0.5;
}

static void exponential_ramp_from_opposite_sign_or_zero_holds_start_value(void **state)
{
	struct param p;
	float *out;

	(void)state;
	param_init(&p, &wide, 0);
	ok(&p, 0, "setValueAtTime", -0.5, 0.05);
	ok(&p, 0, "exponentialRampToValueAtTime", 0.7, 0.2);
	ok(&p, 0, "linearRampToValueAtTime", 0, 0.35);
	ok(&p, 0, "exponentialRampToValueAtTime", 0.5, 0.4);
	out = render_new(&p, 24000);
	expect_frames(out, 0, 24000, exp_opposite);
	free(out);
	param_fini(&p);
}

/* ---- setTarget ------------------------------------------------------------------------------ */

static double target_gap(double t)
{
	/* offset 0; setTargetAtTime(0.8, 0.0625, 0.05) with no earlier event */
	if (t < 0.0625)
		return 0;
	return (double)0.8f + (0 - (double)0.8f) * exp(-(t - 0.0625) / (double)0.05f);
}

static void set_target_holds_previous_value_until_its_start(void **state)
{
	struct param p;
	float *out;

	(void)state;
	param_init(&p, &wide, 0);
	ok(&p, 0, "setTargetAtTime", 0.8, 0.0625, 0.05);
	out = render_new(&p, 24000);
	expect_frames(out, 0, 24000, target_gap);
	free(out);
	param_fini(&p);
}

static double target_chain(double t)
{
	/* setValueAtTime(0.2, 0.05); setTargetAtTime(0.9, 0.1, 0.03) */
	double v0 = 0.2f;

	if (t < 0.05)
		return 0;
	if (t < 0.1)
		return v0;
	return (double)0.9f + (v0 - (double)0.9f) * exp(-(t - 0.1) / (double)0.03f);
}

static double target_chain2(double t)
{
	/* ... setTargetAtTime(-0.2, 0.35, 0.01) starts from where the first one got to */
	double v0 = target_chain(0.35);

	if (t < 0.35)
		return target_chain(t);
	return (double)-0.2f + (v0 - (double)-0.2f) * exp(-(t - 0.35) / (double)0.01f);
}

static void set_target_after_set_target_starts_from_its_value(void **state)
{
	struct param p;
	float *out;

	(void)state;
	param_init(&p, &wide, 0);
	ok(&p, 0, "setValueAtTime", 0.2, 0.05);
	ok(&p, 0, "setTargetAtTime", 0.9, 0.1, 0.03);
	ok(&p, 0, "setTargetAtTime", -0.2, 0.35, 0.01);
	out = render_new(&p, 24000);
	expect_frames(out, 0, 24000, target_chain2);
	free(out);
	param_fini(&p);
}

static void set_target_with_zero_time_constant_jumps_to_target(void **state)
{
	struct param p;

	(void)state;
	param_init(&p, &wide, 0);
	ok(&p, 0, "setTargetAtTime", 0.4, 10 / SR, 0);
	param_compute(&p, 0, SR, NULL);
	assert_float_equal(p.values[9], 0.0f, 0);
	assert_float_equal(p.values[10], 0.4f, 0);
	assert_float_equal(p.values[127], 0.4f, 0);
	param_fini(&p);
}

static void ramp_after_started_set_target_starts_at_scheduling_time(void **state)
{
	struct param p;
	double v0 = 1 - exp(-0.2 / (double)0.1f);

	(void)state;
	param_init(&p, &wide, 0);
	ok(&p, 0, "setValueAtTime", 0, 0);
	ok(&p, 0, "setTargetAtTime", 1, 0, 0.1);
	/* at currentTime 0.2 the target has started: T0 = 0.2, V0 = its value then */
	ok(&p, 0.2, "linearRampToValueAtTime", 0, 0.4);
	assert_float_equal(param_model_value_at(&p, 0.1), 1 - exp(-0.1 / (double)0.1f), 1e-12);
	assert_float_equal(param_model_value_at(&p, 0.2), v0, 1e-12);
	assert_float_equal(param_model_value_at(&p, 0.3), v0 / 2, 1e-12);
	assert_float_equal(param_model_value_at(&p, 0.4), 0, 0);
	param_fini(&p);
}

static void ramp_after_pending_set_target_replaces_it(void **state)
{
	struct param p;

	(void)state;
	param_init(&p, &wide, 0);
	ok(&p, 0, "setValueAtTime", 0.5, 0);
	ok(&p, 0, "setTargetAtTime", 1, 0.1, 0.1);
	/* not started at currentTime 0: T0 = 0.1, V0 = the value just before it (0.5) */
	ok(&p, 0, "linearRampToValueAtTime", 0, 0.3);
	assert_float_equal(param_model_value_at(&p, 0.05), 0.5, 0);
	assert_float_equal(param_model_value_at(&p, 0.2), 0.25, 1e-12);
	param_fini(&p);
}

/* ---- setValueCurve ------------------------------------------------------------------------ */

static const float curve5[] = { 0.1f, 0.9f, 0.4f, 1, 0 };

static double curve_formula(const float *v, size_t n, double t0, double d, double t)
{
	double x = (double)(n - 1) / d * (t - t0);
	double k = floor(x);

	if (k >= (double)(n - 1))
		return v[n - 1];
	return v[(size_t)k] + ((double)v[(size_t)k + 1] - v[(size_t)k]) * (x - k);
}

static double curve_then_ramp(double t)
{
	/* setValueCurveAtTime([0.1,0.9,0.4,1,0], 0.05, 0.25); linearRampToValueAtTime(0.5, 0.4) */
	if (t < 0.05)
		return 0;
	if (t < 0.3)
		return curve_formula(curve5, 5, 0.05, 0.25, t);
	if (t < 0.4)
		return 0 + (double)0.5f * (t - 0.3) / 0.1;
	return 0.5f;
}

static void value_curve_interpolates_then_a_ramp_starts_from_its_end(void **state)
{
	struct param p;
	float *out;

	(void)state;
	param_init(&p, &wide, 0);
	ok_curve(&p, 0, curve5, 5, 0.05, 0.25);
	ok(&p, 0, "linearRampToValueAtTime", 0.5, 0.4);
	out = render_new(&p, 24000);
	expect_frames(out, 0, 24000, curve_then_ramp);
	free(out);
	param_fini(&p);
}

static void value_curve_holds_last_value_after_its_end(void **state)
{
	struct param p;
	static const float c[] = { 0.2f, 0.6f, 0.3f };

	(void)state;
	param_init(&p, &wide, 1);
	ok_curve(&p, 0, c, 3, 0.01, 0.1);
	assert_float_equal(param_model_value_at(&p, 0.005), 1, 0);
	assert_float_equal(param_model_value_at(&p, 0.035), 0.2 + ((double)0.6f - 0.2f) * 0.5,
			   1e-7);
	assert_float_equal(param_model_value_at(&p, 0.11), (double)0.3f, 0);
	assert_float_equal(param_model_value_at(&p, 5), (double)0.3f, 0);
	param_fini(&p);
}

/* ---- cancel --------------------------------------------------------------------------------- */

static double cancel_a0(double t)
{
	return t < 0.05 ? 0 : (double)0.1f;
}

static void cancel_scheduled_values_removes_events_at_or_after_time(void **state)
{
	struct param p;
	float *out;

	(void)state;
	param_init(&p, &wide, 0);
	ok(&p, 0, "setValueAtTime", 0.1, 0.05);
	ok(&p, 0, "linearRampToValueAtTime", 0.9, 0.3);
	ok(&p, 0, "cancelScheduledValues", 0.2);
	out = render_new(&p, 19200);
	expect_frames(out, 0, 19200, cancel_a0);
	free(out);
	param_fini(&p);
}

static void cancel_scheduled_values_inside_a_curve_removes_it(void **state)
{
	struct param p;
	static const float c[] = { 0.1f, 0.9f, 0.4f };

	(void)state;
	param_init(&p, &wide, 0);
	ok(&p, 0, "setValueAtTime", 0.5, 0.01);
	ok_curve(&p, 0, c, 3, 0.1, 0.1);
	ok(&p, 0, "cancelScheduledValues", 0.15);
	assert_float_equal(param_model_value_at(&p, 0.12), 0.5, 0);
	assert_float_equal(param_model_value_at(&p, 0.3), 0.5, 0);
	/* and the time range is free again */
	ok(&p, 0, "setValueAtTime", 0.3, 0.15);
	param_fini(&p);
}

static double hold_linear(double t)
{
	/* a1: set 0.1@0.05, linear 0.9@0.3, cancelAndHold(0.2), linear 0@0.35 */
	double held = (double)0.1f + ((double)0.9f - (double)0.1f) * 0.15 / 0.25;

	if (t < 0.2)
		return lin_a0(t);
	if (t < 0.35)
		return held + (0 - held) * (t - 0.2) / 0.15;
	return 0;
}

static void cancel_and_hold_truncates_linear_ramp_at_its_value(void **state)
{
	struct param p;
	float *out;

	(void)state;
	param_init(&p, &wide, 0);
	ok(&p, 0, "setValueAtTime", 0.1, 0.05);
	ok(&p, 0, "linearRampToValueAtTime", 0.9, 0.3);
	ok(&p, 0, "cancelAndHoldAtTime", 0.2);
	ok(&p, 0, "linearRampToValueAtTime", 0, 0.35);
	out = render_new(&p, 19200);
	expect_frames(out, 0, 19200, hold_linear);
	free(out);
	param_fini(&p);
}

static double hold_target(double t)
{
	/* a2: set 0.1@0.05, target(0.9, 0.1, 0.05), cancelAndHold(0.2) */
	double v0 = 0.1f, v1 = 0.9f, tau = 0.05f;

	if (t < 0.05)
		return 0;
	if (t < 0.1)
		return v0;
	if (t >= 0.2)
		t = 0.2;
	return v1 + (v0 - v1) * exp(-(t - 0.1) / tau);
}

static void cancel_and_hold_during_set_target_holds_its_value(void **state)
{
	struct param p;
	float *out;

	(void)state;
	param_init(&p, &wide, 0);
	ok(&p, 0, "setValueAtTime", 0.1, 0.05);
	ok(&p, 0, "setTargetAtTime", 0.9, 0.1, 0.05);
	ok(&p, 0, "cancelAndHoldAtTime", 0.2);
	out = render_new(&p, 19200);
	expect_frames(out, 0, 19200, hold_target);
	free(out);
	param_fini(&p);
}

static double hold_exp(double t)
{
	/* a3: set 0.1@0.05, exponential 0.9@0.3, cancelAndHold(0.2) */
	double v0 = 0.1f, v1 = 0.9f;

	if (t < 0.05)
		return 0;
	if (t >= 0.2)
		t = 0.2;
	return v0 * pow(v1 / v0, (t - 0.05) / 0.25);
}

static void cancel_and_hold_truncates_exponential_ramp_at_its_value(void **state)
{
	struct param p;
	float *out;

	(void)state;
	param_init(&p, &wide, 0);
	ok(&p, 0, "setValueAtTime", 0.1, 0.05);
	ok(&p, 0, "exponentialRampToValueAtTime", 0.9, 0.3);
	ok(&p, 0, "cancelAndHoldAtTime", 0.2);
	out = render_new(&p, 19200);
	expect_frames(out, 0, 19200, hold_exp);
	free(out);
	param_fini(&p);
}

static double hold_curve(double t)
{
	/* a4: curve [0.1,0.9,0.4,1,0] at 0.05 for 0.25, cancelAndHold(0.2): sampled with the
	 * original duration up to 0.2, then held */
	if (t < 0.05)
		return 0;
	if (t >= 0.2)
		t = 0.2;
	return curve_formula(curve5, 5, 0.05, 0.25, t);
}

static void cancel_and_hold_during_curve_keeps_original_sampling_then_holds(void **state)
{
	struct param p;
	float *out;

	(void)state;
	param_init(&p, &wide, 0);
	ok_curve(&p, 0, curve5, 5, 0.05, 0.25);
	ok(&p, 0, "cancelAndHoldAtTime", 0.2);
	out = render_new(&p, 19200);
	expect_frames(out, 0, 19200, hold_curve);
	assert_float_equal(param_model_value_at(&p, 0.25), 0.4 + 0.4 * (1 - (double)0.4f), 1e-7);
	/* the curve now ends at 0.2: later events are allowed from there on */
	ok(&p, 0, "setValueAtTime", 0.5, 0.2);
	free(out);
	param_fini(&p);
}

static double hold_curve_mid(double t)
{
	double tc = 0.2 + 50 / SR;	/* inside a quantum */

	if (t < 0.05)
		return 0;
	return curve_formula(curve5, 5, 0.05, 0.25, t < tc ? t : tc);
}

static void cancel_and_hold_inside_a_quantum_holds_from_that_frame(void **state)
{
	struct param p;
	float *out;

	(void)state;
	param_init(&p, &wide, 0);
	ok_curve(&p, 0, curve5, 5, 0.05, 0.25);
	ok(&p, 0, "cancelAndHoldAtTime", 0.2 + 50 / SR);
	out = render_new(&p, 19200);
	expect_frames(out, 0, 19200, hold_curve_mid);
	free(out);
	param_fini(&p);
}

static void cancel_and_hold_after_ended_events_keeps_the_value(void **state)
{
	struct param p;

	(void)state;
	param_init(&p, &wide, 0);
	ok(&p, 0, "setValueAtTime", 0.3, 0.1);
	ok(&p, 0, "setValueAtTime", 0.6, 0.5);
	ok(&p, 0, "cancelAndHoldAtTime", 0.2);
	assert_float_equal(param_model_value_at(&p, 1), (double)0.3f, 0);
	param_fini(&p);
}

/* the spec's algorithm cuts a curve starting at cancelTime to a duration of 0, and the
 * method cancels events at cancelTime: none of its values plays (WPT "cancel setValueCurve
 * now" holds 0.5) */
static void cancel_and_hold_at_a_curves_start_holds_the_value_before_it(void **state)
{
	static const float curve[] = { -1, 1 };
	struct param p;
	float *out;
	int i;

	(void)state;
	param_init(&p, &wide, 0);
	ok(&p, 0, "setValueAtTime", 0.5, 0);
	ok_curve(&p, 0, curve, 2, 0.25, 0.1);
	ok(&p, 0, "cancelAndHoldAtTime", 0.25);
	out = render_new(&p, 19200);
	for (i = 0; i < 19200; i++)
		assert_true(out[i] == 0.5f);
	assert_true(param_model_value_at(&p, 0.3) == 0.5f);
	free(out);
	param_fini(&p);
}

static double target_then_held(double t)
{
	/* setTarget(1, 0, 0.1), held at 0.25 */
	return 1 - exp(-(t < 0.25 ? t : 0.25) / 0.1);
}

/* with the curve gone a setTarget before it would run on: it is held at cancelTime */
static void cancel_and_hold_at_a_curves_start_after_set_target_holds_the_target(void **state)
{
	static const float curve[] = { -1, 1 };
	struct param p;
	float *out;

	(void)state;
	param_init(&p, &wide, 0);
	ok(&p, 0, "setTargetAtTime", 1, 0, 0.1);
	ok_curve(&p, 0, curve, 2, 0.25, 0.1);
	ok(&p, 0, "cancelAndHoldAtTime", 0.25);
	out = render_new(&p, 19200);
	expect_frames(out, 0, 19200, target_then_held);
	free(out);
	param_fini(&p);
}

/* WPT audioparam-close: 1/1.4e-45 overflows a float; the ramp's value at its start is
 * still V0 (not inf * 0 = NaN, which played as the default value 1) */
static void ramp_of_tiny_duration_starts_at_its_start_value(void **state)
{
	const char *const ramps[] = { "linearRampToValueAtTime", "exponentialRampToValueAtTime" };

	(void)state;
	for (int k = 0; k < 2; k++) {
		struct param p;

		param_init(&p, &wide, 0);
		ok(&p, 0, "setValueAtTime", 10, 0);
		ok(&p, 0, ramps[k], FLT_MAX, 1.401298464324817e-45);
		param_compute(&p, 0, SR, NULL);
		assert_true(p.values[0] == 10);
		for (int i = 1; i < QUANTUM; i++)
			assert_true(p.values[i] == FLT_MAX);
		assert_true(param_model_value_at(&p, 0) == 10);
		param_fini(&p);
	}
}

/* ---- k-rate, inputs, clamping ---------------------------------------------------------------- */

static double krate_a4(double t)
{
	/* set 0.25@0.0123, set 0.75@(5120/48000), linear -0.25@0.32, set 0.1@0.41 */
	if (t < 0.0123)
		return 0;
	if (t < 5120 / SR)
		return 0.25;
	if (t < 0.32)
		return 0.75 + (-0.25 - 0.75) * (t - 5120 / SR) / (0.32 - 5120 / SR);
	if (t < 0.41)
		return -0.25;
	return (double)0.1f;
}

static void k_rate_uses_the_value_at_the_first_frame_for_the_whole_quantum(void **state)
{
	struct param p;
	float *out;
	uint64_t n;

	(void)state;
	param_init(&p, &wide, 0);
	ok_rate(&p, "k-rate");
	ok(&p, 0, "setValueAtTime", 0.25, 0.0123);
	/* exactly on a quantum's first frame */
	ok(&p, 0, "setValueAtTime", 0.75, 5120 / SR);
	ok(&p, 0, "linearRampToValueAtTime", -0.25, 0.32);
	ok(&p, 0, "setValueAtTime", 0.1, 0.41);
	out = malloc(24064 * sizeof(float));
	for (n = 0; n < 24000; n += QUANTUM) {
		uint32_t k;
		param_compute(&p, n, SR, NULL);
		assert_true(p.constant);
		memcpy(out + n, p.values, sizeof(p.values));
		for (k = 0; k < QUANTUM; k++)
			if (fabs(p.values[k] - (float)krate_a4(t_of(n))) > TOL)
				fail_msg("frame %lu: got %.9g, want %.9g", (unsigned long)(n + k),
					 (double)p.values[k], krate_a4(t_of(n)));
	}
	assert_float_equal(out[5119], 0.25f, 0);
	assert_float_equal(out[5120], 0.75f, 0);
	free(out);
	param_fini(&p);
}

static void k_rate_adds_the_first_input_sample(void **state)
{
	struct param p;
	float in[QUANTUM];
	uint32_t k;

	(void)state;
	param_init(&p, &wide, 0.2f);
	ok_rate(&p, "k-rate");
	for (k = 0; k < QUANTUM; k++)
		in[k] = 0.01f * (float)(k + 1);
	param_compute(&p, 0, SR, in);
	assert_true(p.constant);
	for (k = 0; k < QUANTUM; k++)
		assert_float_equal(p.values[k], 0.2f + 0.01f, 0);
	/* [[current value]] is the intrinsic value, without the input */
	assert_float_equal(atomic_load(&p.last), 0.2f, 0);
	param_fini(&p);
}

static void a_rate_adds_input_per_frame_then_clamps_to_nominal_range(void **state)
{
	struct param p;
	float in[QUANTUM];
	uint32_t k;

	(void)state;
	param_init(&p, &unit, 0.5f);
	for (k = 0; k < QUANTUM; k++)
		in[k] = ((float)k - 64) / 64;	/* -1 .. 0.98 */
	param_compute(&p, 0, SR, in);
	assert_false(p.constant);
	for (k = 0; k < QUANTUM; k++) {
		float want = 0.5f + in[k];
		want = want < 0 ? 0 : want > 1 ? 1 : want;
		assert_float_equal(p.values[k], want, 0);
	}
	param_fini(&p);
}

static void nan_sum_becomes_default_value(void **state)
{
	struct param p;
	float in[QUANTUM];
	uint32_t k;

	(void)state;
	param_init(&p, &unit, 0.5f);
	for (k = 0; k < QUANTUM; k++)
		in[k] = k == 3 ? NAN : 0;
	param_compute(&p, 0, SR, in);
	assert_float_equal(p.values[3], unit.def, 0);
	assert_float_equal(p.values[4], 0.5f, 0);
	param_fini(&p);
}

static double clipped(double t)
{
	/* the spec's example: set(0,0), linear(4,1), linear(0,2), nominal range [0,1] */
	double v = t < 1 ? 4 * t : t < 2 ? 4 - 4 * (t - 1) : 0;
	return v > 1 ? 1 : v;
}

static void automation_runs_unclamped_and_output_is_clamped(void **state)
{
	struct param p;
	float *out;

	(void)state;
	param_init(&p, &unit, 0);
	ok(&p, 0, "setValueAtTime", 0, 0);
	ok(&p, 0, "linearRampToValueAtTime", 4, 1);
	ok(&p, 0, "linearRampToValueAtTime", 0, 2);
	out = render_new(&p, 2 * 48000 + 256);
	expect_frames(out, 0, 2 * 48000 + 256, clipped);
	assert_float_equal(param_model_value_at(&p, 0.5), 2, 1e-12);
	free(out);
	param_fini(&p);
}

static void quantum_after_automation_ends_is_constant(void **state)
{
	struct param p;

	(void)state;
	param_init(&p, &wide, 0);
	ok(&p, 0, "setValueAtTime", 0, 0);
	ok(&p, 0, "linearRampToValueAtTime", 1, 200 / SR);
	param_compute(&p, 0, SR, NULL);
	assert_false(p.constant);
	param_compute(&p, 128, SR, NULL);
	assert_false(p.constant);
	param_compute(&p, 256, SR, NULL);
	assert_true(p.constant);
	assert_float_equal(p.values[0], 1.0f, 0);
	assert_float_equal(atomic_load(&p.last), 1.0f, 0);
	param_fini(&p);
}

/* ---- the value setter, past times, commit ----------------------------------------------- */

static void value_setter_schedules_set_value_at_now(void **state)
{
	struct param p;

	(void)state;
	param_init(&p, &wide, 0);
	ok(&p, 0, "setValueAtTime", 0, 0);
	ok(&p, 0, "linearRampToValueAtTime", 1, 1);
	/* at currentTime 0.5: [[current value]] = 0.2 and setValueAtTime(0.2, 0.5), so the
	 * ramp now runs from (0.5, 0.2) to (1, 1) */
	ok(&p, 0.5, "value", 0.2);
	assert_float_equal(param_model_value_at(&p, 0.75), (double)0.2f + (1 - (double)0.2f) / 2,
			   1e-12);
	assert_float_equal(p.intrinsic, 0.2f, 0);
	param_fini(&p);
}

static void value_setter_without_automation_changes_the_value(void **state)
{
	struct param p;

	(void)state;
	param_init(&p, &wide, 0);
	ok(&p, 0, "value", 0.6);
	param_compute(&p, 0, SR, NULL);
	assert_true(p.constant);
	assert_float_equal(p.values[0], 0.6f, 0);
	/* a ramp then starts from it at the time the value was set */
	ok(&p, 0, "linearRampToValueAtTime", 0.1, 0.2);
	assert_float_equal(param_model_value_at(&p, 0.1), ((double)0.6f + (double)0.1f) / 2, 1e-12);
	param_fini(&p);
}

static void times_before_now_are_clamped_to_now(void **state)
{
	struct param p;

	(void)state;
	param_init(&p, &wide, 0);
	ok(&p, 0.5, "setValueAtTime", 0.7, 0.1);
	assert_float_equal(param_model_value_at(&p, 0.4), 0, 0);
	assert_float_equal(param_model_value_at(&p, 0.5), (double)0.7f, 0);
	param_fini(&p);
}

static void commit_swaps_in_the_update_which_then_holds_the_old_timeline(void **state)
{
	struct param p;
	struct param_update *u1, *u2;
	struct error err;

	(void)state;
	param_init(&p, &wide, 0);
	assert_int_equal(param_prepare(&p, "setValueAtTime", ARGS(0.5, 0), NULL, 0, NULL, 0, SR,
				       &u1, &err), 0);
	assert_int_equal(param_prepare(&p, "setValueAtTime", ARGS(0.25, 10 / SR), NULL, 0, NULL,
				       0, SR, &u2, &err), 0);
	/* nothing changes on the render side until commit */
	param_compute(&p, 0, SR, NULL);
	assert_float_equal(p.values[0], 0.0f, 0);
	param_commit(&p, u1);
	param_compute(&p, 0, SR, NULL);
	assert_float_equal(p.values[20], 0.5f, 0);
	param_commit(&p, u2);
	param_compute(&p, 0, SR, NULL);
	assert_float_equal(p.values[9], 0.5f, 0);
	assert_float_equal(p.values[10], 0.25f, 0);
	param_update_free(u1);
	param_update_free(u2);
	param_fini(&p);
}

static void automation_rate_change_takes_effect_on_commit(void **state)
{
	struct param p;

	(void)state;
	param_init(&p, &wide, 0);
	ok(&p, 0, "setValueAtTime", 0, 0);
	ok(&p, 0, "linearRampToValueAtTime", 1, 128 / SR);
	ok_rate(&p, "k-rate");
	param_compute(&p, 0, SR, NULL);
	assert_true(p.constant);
	assert_float_equal(p.values[127], 0.0f, 0);
	ok_rate(&p, "a-rate");
	param_compute(&p, 0, SR, NULL);
	assert_float_equal(p.values[64], 0.5f, 1e-7);
	param_fini(&p);
}

static void long_sessions_keep_automation_correct(void **state)
{
	struct param p;
	int i;

	(void)state;
	param_init(&p, &wide, 0);
	ok(&p, 0, "setValueAtTime", 0, 0);
	ok(&p, 0, "linearRampToValueAtTime", 1, 100);
	for (i = 0; i < 2000; i++)
		ok(&p, (double)i / 100, "setValueAtTime", 1, 200 + i * 1e-3);
	ok(&p, 30, "cancelScheduledValues", 200);
	assert_float_equal(param_model_value_at(&p, 50), 0.5, 1e-12);
	for (i = 0; i < 20000; i++)
		ok(&p, 30 + (double)i / 100, "value", i);
	assert_float_equal(param_model_value_at(&p, 300), 19999, 0);
	param_compute(&p, (uint64_t)(300 * SR), SR, NULL);
	assert_float_equal(p.values[0], 19999.0f, 0);
	param_fini(&p);
}

/* ---- errors -------------------------------------------------------------------------------- */

static enum err_code try(struct param *p, double now, const char *m, const double *a, size_t n,
			 struct error *err)
{
	return call_full(p, now, m, a, n, NULL, 0, NULL, err);
}

static void non_finite_or_negative_arguments_are_invalid_values(void **state)
{
	struct param p;
	struct error err;

	(void)state;
	param_init(&p, &wide, 0);
	assert_int_equal(try(&p, 0, "setValueAtTime", ARGS(NAN, 1), &err), ERR_INVALID_VALUE);
	assert_int_equal(try(&p, 0, "setValueAtTime", ARGS(1, INFINITY), &err), ERR_INVALID_VALUE);
	assert_non_null(strstr(err.msg, "setValueAtTime"));
	assert_non_null(strstr(err.msg, "startTime"));
	assert_int_equal(try(&p, 0, "setValueAtTime", ARGS(1e300, 1), &err), ERR_INVALID_VALUE);
	assert_int_equal(try(&p, 0, "linearRampToValueAtTime", ARGS(1, -1), &err),
			 ERR_INVALID_VALUE);
	assert_string_equal(err.msg, "linearRampToValueAtTime: endTime must be >= 0, got -1");
	assert_int_equal(try(&p, 0, "cancelScheduledValues", ARGS(-0.5), &err), ERR_INVALID_VALUE);
	assert_int_equal(try(&p, 0, "cancelAndHoldAtTime", ARGS(NAN), &err), ERR_INVALID_VALUE);
	assert_int_equal(try(&p, 0, "value", ARGS(INFINITY), &err), ERR_INVALID_VALUE);
	/* nothing was scheduled */
	assert_float_equal(param_model_value_at(&p, 2), 0, 0);
	param_fini(&p);
}

static void exponential_ramp_to_zero_is_invalid(void **state)
{
	struct param p;
	struct error err;

	(void)state;
	param_init(&p, &wide, 1);
	assert_int_equal(try(&p, 0, "exponentialRampToValueAtTime", ARGS(0, 1), &err),
			 ERR_INVALID_VALUE);
	assert_non_null(strstr(err.msg, "exponentialRampToValueAtTime"));
	param_fini(&p);
}

static void negative_time_constant_is_invalid(void **state)
{
	struct param p;
	struct error err;

	(void)state;
	param_init(&p, &wide, 1);
	assert_int_equal(try(&p, 0, "setTargetAtTime", ARGS(0, 1, -1), &err), ERR_INVALID_VALUE);
	assert_string_equal(err.msg, "setTargetAtTime: timeConstant must be >= 0, got -1");
	param_fini(&p);
}

static void curve_needs_two_values_and_positive_duration(void **state)
{
	struct param p;
	struct error err;
	static const float one[] = { 1 }, two[] = { 1, 2 }, bad[] = { 1, NAN };

	(void)state;
	param_init(&p, &wide, 1);
	/* the spec: InvalidStateError for fewer than 2 values */
	assert_int_equal(call_full(&p, 0, "setValueCurveAtTime", ARGS(0, 1), one, 1, NULL, &err),
			 ERR_INVALID_STATE);
	assert_int_equal(call_full(&p, 0, "setValueCurveAtTime", ARGS(0, 0), two, 2, NULL, &err),
			 ERR_INVALID_VALUE);
	assert_non_null(strstr(err.msg, "duration"));
	assert_int_equal(call_full(&p, 0, "setValueCurveAtTime", ARGS(0, -1), two, 2, NULL, &err),
			 ERR_INVALID_VALUE);
	assert_int_equal(call_full(&p, 0, "setValueCurveAtTime", ARGS(0, 1), bad, 2, NULL, &err),
			 ERR_INVALID_VALUE);
	assert_non_null(strstr(err.msg, "values[1]"));
	param_fini(&p);
}

static void events_inside_a_curve_are_not_supported(void **state)
{
	struct param p;
	struct error err;
	static const float c[] = { 0, 1 };

	(void)state;
	param_init(&p, &wide, 0);
	ok(&p, 0, "setValueAtTime", 0.5, 0.1);
	/* a curve may start at another event's time */
	ok_curve(&p, 0, c, 2, 0.1, 0.1);
	assert_int_equal(try(&p, 0, "setValueAtTime", ARGS(1, 0.1), &err), ERR_NOT_SUPPORTED);
	assert_int_equal(try(&p, 0, "linearRampToValueAtTime", ARGS(1, 0.15), &err),
			 ERR_NOT_SUPPORTED);
	assert_int_equal(try(&p, 0, "setTargetAtTime", ARGS(1, 0.19, 1), &err), ERR_NOT_SUPPORTED);
	assert_int_equal(call_full(&p, 0, "setValueCurveAtTime", ARGS(0.15, 1), c, 2, NULL, &err),
			 ERR_NOT_SUPPORTED);
	/* the value setter is setValueAtTime(value, now) */
	assert_int_equal(try(&p, 0.12, "value", ARGS(1), &err), ERR_NOT_SUPPORTED);
	/* a curve may not cover other events */
	ok(&p, 0, "setValueAtTime", 1, 0.5);
	assert_int_equal(call_full(&p, 0, "setValueCurveAtTime", ARGS(0.4, 0.2), c, 2, NULL, &err),
			 ERR_NOT_SUPPORTED);
	/* the curve's end time is free */
	ok(&p, 0, "setValueAtTime", 0.25, 0.2);
	assert_float_equal(param_model_value_at(&p, 0.2), (double)0.25f, 0);
	param_fini(&p);
}

static void automation_rate_checks(void **state)
{
	struct param p;
	struct error err;

	(void)state;
	param_init(&p, &fixed_k, 1);
	assert_int_equal(call_full(&p, 0, "automationRate", NULL, 0, NULL, 0, "a-rate", &err),
			 ERR_INVALID_STATE);
	assert_int_equal(call_full(&p, 0, "automationRate", NULL, 0, NULL, 0, "k-rate", &err),
			 ERR_OK);
	assert_int_equal(call_full(&p, 0, "automationRate", NULL, 0, NULL, 0, "x-rate", &err),
			 ERR_INVALID_VALUE);
	param_fini(&p);
}

static void unknown_method_or_wrong_argument_count_is_a_bad_request(void **state)
{
	struct param p;
	struct error err;

	(void)state;
	param_init(&p, &wide, 1);
	assert_int_equal(try(&p, 0, "setValueAtTme", ARGS(1, 1), &err), ERR_BAD_REQUEST);
	assert_non_null(strstr(err.msg, "setValueAtTime"));
	assert_int_equal(try(&p, 0, "setValueAtTime", ARGS(1), &err), ERR_BAD_REQUEST);
	param_fini(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_automation_gives_intrinsic_value_as_constant),
		cmocka_unit_test(set_value_takes_effect_at_first_frame_at_or_after_its_time),
		cmocka_unit_test(set_value_exactly_on_a_frame_applies_to_that_frame),
		cmocka_unit_test(linear_ramp_follows_formula_at_exact_frame_times),
		cmocka_unit_test(
			linear_ramp_with_no_previous_event_starts_at_now_from_current_value),
		cmocka_unit_test(set_value_at_ramp_end_time_goes_after_the_ramp),
		cmocka_unit_test(later_event_at_same_time_wins),
		cmocka_unit_test(exponential_ramp_follows_formula),
		cmocka_unit_test(exponential_ramp_from_opposite_sign_or_zero_holds_start_value),
		cmocka_unit_test(set_target_holds_previous_value_until_its_start),
		cmocka_unit_test(set_target_after_set_target_starts_from_its_value),
		cmocka_unit_test(set_target_with_zero_time_constant_jumps_to_target),
		cmocka_unit_test(ramp_after_started_set_target_starts_at_scheduling_time),
		cmocka_unit_test(ramp_after_pending_set_target_replaces_it),
		cmocka_unit_test(value_curve_interpolates_then_a_ramp_starts_from_its_end),
		cmocka_unit_test(value_curve_holds_last_value_after_its_end),
		cmocka_unit_test(cancel_scheduled_values_removes_events_at_or_after_time),
		cmocka_unit_test(cancel_scheduled_values_inside_a_curve_removes_it),
		cmocka_unit_test(cancel_and_hold_truncates_linear_ramp_at_its_value),
		cmocka_unit_test(cancel_and_hold_during_set_target_holds_its_value),
		cmocka_unit_test(cancel_and_hold_truncates_exponential_ramp_at_its_value),
		cmocka_unit_test(cancel_and_hold_during_curve_keeps_original_sampling_then_holds),
		cmocka_unit_test(cancel_and_hold_inside_a_quantum_holds_from_that_frame),
		cmocka_unit_test(cancel_and_hold_after_ended_events_keeps_the_value),
		cmocka_unit_test(cancel_and_hold_at_a_curves_start_holds_the_value_before_it),
		cmocka_unit_test(cancel_and_hold_at_a_curves_start_after_set_target_holds_the_target),
		cmocka_unit_test(ramp_of_tiny_duration_starts_at_its_start_value),
		cmocka_unit_test(k_rate_uses_the_value_at_the_first_frame_for_the_whole_quantum),
		cmocka_unit_test(k_rate_adds_the_first_input_sample),
		cmocka_unit_test(a_rate_adds_input_per_frame_then_clamps_to_nominal_range),
		cmocka_unit_test(nan_sum_becomes_default_value),
		cmocka_unit_test(automation_runs_unclamped_and_output_is_clamped),
		cmocka_unit_test(quantum_after_automation_ends_is_constant),
		cmocka_unit_test(value_setter_schedules_set_value_at_now),
		cmocka_unit_test(value_setter_without_automation_changes_the_value),
		cmocka_unit_test(times_before_now_are_clamped_to_now),
		cmocka_unit_test(commit_swaps_in_the_update_which_then_holds_the_old_timeline),
		cmocka_unit_test(automation_rate_change_takes_effect_on_commit),
		cmocka_unit_test(long_sessions_keep_automation_correct),
		cmocka_unit_test(non_finite_or_negative_arguments_are_invalid_values),
		cmocka_unit_test(exponential_ramp_to_zero_is_invalid),
		cmocka_unit_test(negative_time_constant_is_invalid),
		cmocka_unit_test(curve_needs_two_values_and_positive_duration),
		cmocka_unit_test(events_inside_a_curve_are_not_supported),
		cmocka_unit_test(automation_rate_checks),
		cmocka_unit_test(unknown_method_or_wrong_argument_count_is_a_bad_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
