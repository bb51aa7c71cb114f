/* unit tests for engine/delay.c: integer and fractional delays, a-rate delayTime, the
 * maxDelayTime limits, the one-quantum minimum in a cycle, the tail and channel changes.
 * nodes are made with node_new on a real engine and driven directly.  the sample rate is a
 * power of two so delays in frames are exact in float seconds. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "engine/node.h"

extern const struct node_kind delay_kind;

#define FS 32768.0

struct rig {
	struct engine *e;
	struct node *n;
	uint64_t frame;
};

static struct rig rig_new(double max_delay)
{
	struct option o = { "maxDelayTime", { .type = VALUE_NUMBER, .num = max_delay } };
	struct error err;
	struct rig r = { 0 };

	r.e = engine_new(FS, 1, &err);
	assert_non_null(r.e);
	r.n = node_new(r.e, &delay_kind, "d", 1, &o, 1, &err);
	assert_non_null(r.n);
	return r;
}

static void rig_free(struct rig *r)
{
	node_free(r->n);
	engine_free(r->e);
}

static void set_delay_frames(struct rig *r, double frames)
{
	struct param *p = &r->n->params[0];

	p->constant = true;
	for (int i = 0; i < QUANTUM; i++)
		p->values[i] = (float)(frames / FS);
}

/* input: x(channel, frame) for the rig's current quantum, or silence for NULL */
static void feed(struct rig *r, uint32_t channels, double (*x)(uint32_t c, uint64_t f))
{
	struct bus *in = &r->n->in[0];

	in->channels = channels;
	in->silent = x == NULL;
	for (uint32_t c = 0; x && c < channels; c++)
		for (int i = 0; i < QUANTUM; i++)
			in->data[c][i] = (float)x(c, r->frame + (uint64_t)i);
}

static void run(struct rig *r)
{
	struct render_ctx ctx = { r->frame, r->frame / FS, FS, r->e };

	r->n->kind->process(r->n, &ctx);
	r->frame += QUANTUM;
}

/* the engine's order when the node is in a cycle: read early, write late */
static void run_in_cycle(struct rig *r)
{
	struct render_ctx ctx = { r->frame, r->frame / FS, FS, r->e };

	r->n->in_cycle = true;
	r->n->kind->process_read(r->n, &ctx);
	r->n->kind->process_write(r->n, &ctx);
	r->frame += QUANTUM;
}

static double impulse(uint32_t c, uint64_t f)
{
	return f == 0 ? 1.0 + c : 0;
}

/* a ramp: linear interpolation of it at any position is exact */
static double ramp(uint32_t c, uint64_t f)
{
	return (double)f + 1000.0 * c;
}

static float out_at(struct rig *r, uint32_t c, int i)
{
	return r->n->out[0].silent ? 0.0f : r->n->out[0].data[c][i];
}

/* runs `quanta` quanta of an impulse at frame 0 and returns where the output was non-zero */
static void impulse_positions(struct rig *r, int quanta, double frames, int64_t *pos, float *val,
			      int *count)
{
	*count = 0;
	for (int q = 0; q < quanta; q++) {
		set_delay_frames(r, frames);
		feed(r, 1, impulse);
		run(r);
		for (int i = 0; i < QUANTUM; i++)
			if (out_at(r, 0, i) != 0 && *count < 4) {
				pos[*count] = q * QUANTUM + i;
				val[(*count)++] = out_at(r, 0, i);
			}
	}
}

static void integer_delay_moves_an_impulse_by_exactly_that_many_frames(void **state)
{
	static const double delays[] = { 0, 1, 100, 127, 128, 300, 32768 };

	(void)state;
	for (size_t k = 0; k < sizeof(delays) / sizeof(delays[0]); k++) {
		struct rig r = rig_new(1.0);
		int64_t pos[4];
		float val[4];
		int count;
		impulse_positions(&r, 260, delays[k], pos, val, &count);
		assert_int_equal(count, 1);
		assert_int_equal(pos[0], (int64_t)delays[k]);
		assert_true(val[0] == 1.0f);
		rig_free(&r);
	}
}

static void fractional_delay_interpolates_linearly_between_neighbours(void **state)
{
	struct rig r = rig_new(1.0);
	int64_t pos[4];
	float val[4];
	int count;

	(void)state;
	/* 10.25 frames: the impulse splits 0.75 at frame 10 and 0.25 at frame 11 */
	impulse_positions(&r, 2, 10.25, pos, val, &count);
	assert_int_equal(count, 2);
	assert_int_equal(pos[0], 10);
	assert_int_equal(pos[1], 11);
	assert_true(val[0] == 0.75f);
	assert_true(val[1] == 0.25f);
	rig_free(&r);
}

static void delay_over_a_quantum_boundary_keeps_the_fraction(void **state)
{
	struct rig r = rig_new(1.0);
	int64_t pos[4];
	float val[4];
	int count;

	(void)state;
	impulse_positions(&r, 3, 127.5, pos, val, &count);
	assert_int_equal(count, 2);
	assert_int_equal(pos[0], 127);
	assert_int_equal(pos[1], 128);
	assert_true(val[0] == 0.5f && val[1] == 0.5f);
	rig_free(&r);
}

/* output(t) = input(t - delayTime(t)) sample by sample: on a ramp input that is the ramp's
 * value at t - delayTime(t), exactly */
static void a_rate_delay_time_is_applied_per_sample(void **state)
{
	struct rig r = rig_new(1.0);
	struct param *p = &r.n->params[0];

	(void)state;
	for (int q = 0; q < 6; q++) {
		double d[QUANTUM];
		p->constant = false;
		for (int i = 0; i < QUANTUM; i++) {
			/* from 50 frames rising by 1/4 frame per frame: exact in float */
			d[i] = 50 + (double)(q * QUANTUM + i) / 4;
			p->values[i] = (float)(d[i] / FS);
		}
		feed(&r, 2, ramp);
		run(&r);
		for (int i = 0; i < QUANTUM; i++) {
			double t = (double)(q * QUANTUM + i) - d[i];
			if (t < 0)
				continue;	/* before the input began */
			assert_float_equal(out_at(&r, 0, i), t, 1e-3);
			assert_float_equal(out_at(&r, 1, i), t + 1000, 1e-3);
		}
	}
	rig_free(&r);
}

static void delay_time_is_clamped_to_max_delay_time(void **state)
{
	struct rig r = rig_new(0.01);

	(void)state;
	assert_true(r.n->params[0].desc->max == 0.01f);
	assert_true(r.n->params[0].desc->min == 0.0f);
	assert_true(r.n->params[0].desc->def == 0.0f);
	rig_free(&r);
}

static void max_delay_time_must_be_positive_and_below_180_seconds(void **state)
{
	static const double bad[] = { 0, -1, 180, 1000 };
	struct engine *e;
	struct error err;

	(void)state;
	e = engine_new(FS, 1, &err);
	for (size_t k = 0; k < 4; k++) {
		struct option o = { "maxDelayTime", { .type = VALUE_NUMBER, .num = bad[k] } };
		assert_null(node_new(e, &delay_kind, "d", 1, &o, 1, &err));
		assert_int_equal(err.code, ERR_NOT_SUPPORTED);
	}
	{
		struct option o = { "maxDelayTime", { .type = VALUE_NUMBER, .num = 179.9 } };
		struct node *n = node_new(e, &delay_kind, "d", 1, &o, 1, &err);
		assert_non_null(n);
		node_free(n);
	}
	{
		struct option o = { "maxDelay", { .type = VALUE_NUMBER, .num = 1 } };
		assert_null(node_new(e, &delay_kind, "d", 1, &o, 1, &err));
	}
	{
		/* the default maxDelayTime is 1 s */
		struct node *n = node_new(e, &delay_kind, "d", 1, NULL, 0, &err);
		assert_non_null(n);
		assert_true(n->params[0].desc->max == 1.0f);
		node_free(n);
	}
	engine_free(e);
}

static void in_a_cycle_the_delay_is_at_least_one_quantum(void **state)
{
	struct rig r = rig_new(1.0);
	int64_t first = -1;

	(void)state;
	for (int q = 0; q < 3; q++) {
		set_delay_frames(&r, 5);
		feed(&r, 1, impulse);
		run_in_cycle(&r);
		for (int i = 0; i < QUANTUM; i++)
			if (out_at(&r, 0, i) != 0 && first < 0)
				first = q * QUANTUM + i;
	}
	assert_int_equal(first, QUANTUM);
	rig_free(&r);
}

static void in_a_cycle_longer_delays_are_exact(void **state)
{
	struct rig r = rig_new(1.0);
	int64_t first = -1;

	(void)state;
	for (int q = 0; q < 8; q++) {
		set_delay_frames(&r, 750);
		feed(&r, 1, impulse);
		run_in_cycle(&r);
		for (int i = 0; i < QUANTUM; i++)
			if (out_at(&r, 0, i) != 0 && first < 0)
				first = q * QUANTUM + i;
	}
	assert_int_equal(first, 750);
	rig_free(&r);
}

static void output_goes_silent_once_max_delay_time_has_passed(void **state)
{
	struct rig r = rig_new(0.05);	/* 1638.4 frames */
	int q, last_loud = -1;

	(void)state;
	set_delay_frames(&r, 1000);
	feed(&r, 1, impulse);
	run(&r);
	for (q = 1; q < 40; q++) {
		set_delay_frames(&r, 1000);
		feed(&r, 1, NULL);
		run(&r);
		if (!r.n->out[0].silent)
			last_loud = q;
	}
	/* the impulse comes out at frame 1000 (quantum 7); silence follows within
	 * maxDelayTime plus a couple of quanta of the last input */
	assert_true(last_loud >= 7);
	assert_true(last_loud * QUANTUM <= 1638 + 3 * QUANTUM);
	assert_false(r.n->tail);
	rig_free(&r);
}

static double ones(uint32_t c, uint64_t f)
{
	(void)f;
	return c == 0 ? 1 : -1;
}

/* a mono signal already in the line is up-mixed (L = R = M) when the input turns stereo */
static void wider_input_up_mixes_what_is_still_delayed(void **state)
{
	struct rig r = rig_new(0.1);

	(void)state;
	set_delay_frames(&r, 200);
	feed(&r, 1, ones);
	run(&r);
	set_delay_frames(&r, 200);
	feed(&r, 2, ones);
	run(&r);
	/* frames 128..255 read input frames -72..55: zeros then mono ones */
	assert_int_equal(r.n->out[0].channels, 2);
	assert_true(out_at(&r, 0, 71) == 0 && out_at(&r, 1, 71) == 0);
	assert_true(out_at(&r, 0, 72) == 1 && out_at(&r, 1, 72) == 1);
	set_delay_frames(&r, 200);
	feed(&r, 2, ones);
	run(&r);
	/* frames 256..: input frame 56.. mono ones, then from 128 the stereo (1, -1) */
	assert_true(out_at(&r, 0, 71) == 1 && out_at(&r, 1, 71) == 1);
	assert_true(out_at(&r, 0, 72) == 1 && out_at(&r, 1, 72) == -1);
	rig_free(&r);
}

/* once the wide content has left the line, the output follows the narrower input */
static void narrower_input_narrows_the_output_after_the_line_has_emptied(void **state)
{
	struct rig r = rig_new(0.01);	/* 327.68 frames */
	int q;

	(void)state;
	set_delay_frames(&r, 100);
	feed(&r, 2, ones);
	run(&r);
	for (q = 0; q < 2; q++) {
		set_delay_frames(&r, 100);
		feed(&r, 1, ones);
		run(&r);
		assert_int_equal(r.n->out[0].channels, 2);
	}
	for (q = 0; q < 6; q++) {
		set_delay_frames(&r, 100);
		feed(&r, 1, ones);
		run(&r);
	}
	assert_int_equal(r.n->out[0].channels, 1);
	for (int i = 0; i < QUANTUM; i++)
		assert_true(out_at(&r, 0, i) == 1);
	rig_free(&r);
}

static void set_delay_sweep(struct rig *r, double from, double to)
{
	struct param *p = &r->n->params[0];

	p->constant = false;
	for (int i = 0; i < QUANTUM; i++)
		p->values[i] = (float)((from + (to - from) * i / (QUANTUM - 1)) / FS);
}

/* the output is input(t - delayTime): until stereo input has come through the line (and
 * once the delay reads where nothing was written) it is one channel of silence, not the
 * ring's two (WPT delaynode-channel-count-1) */
static void output_is_one_silent_channel_until_delayed_input_arrives(void **state)
{
	struct rig r = rig_new(0.05);	/* 1638.4 frames */
	int q;

	(void)state;
	for (q = 0; q < 6; q++) {
		set_delay_frames(&r, 3 * QUANTUM);
		feed(&r, 2, ones);
		run(&r);
		if (q < 3) {
			assert_true(r.n->out[0].silent);
			assert_int_equal(r.n->out[0].channels, 1);
		} else {
			assert_int_equal(r.n->out[0].channels, 2);
			assert_true(out_at(&r, 0, 0) == 1 && out_at(&r, 1, 0) == -1);
		}
	}
	/* frame 768 - 1500 was never written: constant and a-rate */
	set_delay_frames(&r, 1500);
	feed(&r, 2, ones);
	run(&r);
	assert_true(r.n->out[0].silent);
	assert_int_equal(r.n->out[0].channels, 1);
	set_delay_sweep(&r, 1500, 1490);
	feed(&r, 2, ones);
	run(&r);
	assert_true(r.n->out[0].silent);
	assert_int_equal(r.n->out[0].channels, 1);
	/* at frame 1024 a sweep from 1100 to 700 frames starts before the first input and
	 * reaches input frame 451 */
	set_delay_sweep(&r, 1100, 700);
	feed(&r, 2, ones);
	run(&r);
	assert_int_equal(r.n->out[0].channels, 2);
	assert_true(out_at(&r, 0, 0) == 0 && out_at(&r, 1, QUANTUM - 1) == -1);
	rig_free(&r);
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(integer_delay_moves_an_impulse_by_exactly_that_many_frames),
		T(fractional_delay_interpolates_linearly_between_neighbours),
		T(delay_over_a_quantum_boundary_keeps_the_fraction),
		T(a_rate_delay_time_is_applied_per_sample),
		T(delay_time_is_clamped_to_max_delay_time),
		T(max_delay_time_must_be_positive_and_below_180_seconds),
		T(in_a_cycle_the_delay_is_at_least_one_quantum),
		T(in_a_cycle_longer_delays_are_exact),
		T(output_goes_silent_once_max_delay_time_has_passed),
		T(wider_input_up_mixes_what_is_still_delayed),
		T(narrower_input_narrows_the_output_after_the_line_has_emptied),
		T(output_is_one_silent_channel_until_delayed_input_arrives),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
