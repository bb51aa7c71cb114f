/* tests for daemon/render, the producer thread, without PipeWire: the test plays the
 * consumer (ring_read_pad) and checks when commands take effect, how the lead follows
 * underruns, suspension with a clock of the test's own, and the shutdown fade.  most drive
 * the renderer synchronously (render_step: one wake's worth of work on the test's thread);
 * those that run the thread wait for a condition it must reach (never a fixed sleep). */
#include <math.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "daemon/render.h"
#include "daemon/ring.h"
#include "daemon/spsc.h"
#include "engine/engine.h"

#define RATE 48000

struct fixture {
	struct engine *e;
	struct ring ring;
	struct spsc cmds, rets;
	struct render *r;
	float buf[4096 * 2];
};

static struct fixture fx;
static uint64_t fake_ns;	/* the clock a suspended renderer follows, in these tests */
static uint32_t fx_queue = 16;	/* command and return queue slots */

static uint64_t fake_clock(void)
{
	return fake_ns;
}

static void setup_with(uint32_t lead, uint32_t lead_max, uint32_t shrink_after)
{
	struct error err = { 0 };
	struct render_config cfg = { lead, lead_max, shrink_after, 256, 0, fake_clock };

	fx.e = engine_new(RATE, 2, &err);
	assert_non_null(fx.e);
	assert_int_equal(ring_init(&fx.ring, 8192, 2), 0);
	assert_int_equal(spsc_init(&fx.cmds, fx_queue, sizeof(struct render_cmd)), 0);
	assert_int_equal(spsc_init(&fx.rets, fx_queue, sizeof(struct render_ret)), 0);
	fx.r = render_new(&cfg, fx.e, &fx.ring, &fx.cmds, &fx.rets);
	assert_non_null(fx.r);
}

static int teardown(void **state)
{
	struct render_ret ret;
	struct render_cmd cmd;

	render_free(fx.r);
	while (spsc_pop(&fx.rets, &ret))
		engine_op_free(fx.e, ret.op);
	while (spsc_pop(&fx.cmds, &cmd))	/* never taken by the renderer */
		engine_op_free(fx.e, cmd.op);
	spsc_fini(&fx.rets);
	spsc_fini(&fx.cmds);
	ring_fini(&fx.ring);
	engine_free(fx.e);
	return 0;
}

/* waits until the render thread has filled the ring to `frames` */
static void wait_fill(uint32_t frames)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (ring_fill(&fx.ring) < frames) {
		sched_yield();
		clock_gettime(CLOCK_MONOTONIC, &t);
		assert_true(t.tv_sec - t0.tv_sec < 10);
	}
}

/* the device takes n frames and wakes the renderer */
static void consume(uint32_t n)
{
	ring_read_pad(&fx.ring, fx.buf, n);
	render_wake(fx.r);
}

/* the device takes n frames; the renderer refills on this thread (render_step), so what
 * the test reads next is exactly what one wake leads to */
static void consume_step(uint32_t n)
{
	ring_read_pad(&fx.ring, fx.buf, n);
	render_step(fx.r);
}

static struct engine_op *gain_op(const char *name)
{
	struct engine_op *op;
	struct error err = { 0 };

	assert_int_equal(engine_op_create(fx.e, "GainNode", name, NULL, 0, &op, &err), 0);
	return op;
}

static void push(struct engine_op *op, uint64_t at, uint64_t tag)
{
	struct render_cmd c = { op, at, tag, 0, (uint32_t)engine_op_count(op) };

	assert_true(spsc_push(&fx.cmds, &c));
}

static void prefill_reaches_guess_plus_lead(void **state)
{
	setup_with(256, 1024, 10);
	assert_int_equal(render_start(fx.r), 0);
	/* render_start returns once prefilled: quantum_guess 256 + lead 256 */
	assert_int_equal(ring_fill(&fx.ring), 512);
	assert_int_equal(engine_frame(fx.e), 512);
}

static void a_command_waits_for_its_frame_without_holding_later_ones(void **state)
{
	struct render_ret ret;

	setup_with(256, 1024, 10);
	render_step(fx.r);
	push(gain_op("a"), 1024, 1);
	push(gain_op("b"), RENDER_AT_NOW, 2);
	consume_step(256);	/* renders the quanta at 512 and 640 */
	/* b went ahead in the first quantum; a waits for 1024 */
	assert_true(spsc_pop(&fx.rets, &ret));
	assert_int_equal(ret.tag, 2);
	assert_int_equal(ret.frame, 512);
	engine_op_free(fx.e, ret.op);
	assert_false(spsc_pop(&fx.rets, &ret));
	assert_int_equal(spsc_count(&fx.cmds), 0);
	consume_step(512);	/* 768, 896, 1024, 1152 */
	assert_true(spsc_pop(&fx.rets, &ret));
	assert_int_equal(ret.tag, 1);
	assert_int_equal(ret.frame, 1024);
	engine_op_free(fx.e, ret.op);
	assert_false(spsc_pop(&fx.rets, &ret));
}

static void held_commands_keep_their_order_by_time(void **state)
{
	struct render_ret ret;

	setup_with(256, 1024, 10);
	render_step(fx.r);
	push(gain_op("late"), 1152, 1);
	push(gain_op("early"), 1024, 2);
	push(gain_op("early2"), 1024, 3);
	for (int i = 0; i < 3; i++) {	/* 512 .. 1152, two quanta at a time */
		consume_step(256);
	}
	assert_true(spsc_pop(&fx.rets, &ret));
	assert_int_equal(ret.tag, 2);
	assert_int_equal(ret.frame, 1024);
	engine_op_free(fx.e, ret.op);
	assert_true(spsc_pop(&fx.rets, &ret));
	assert_int_equal(ret.tag, 3);
	assert_int_equal(ret.frame, 1024);
	engine_op_free(fx.e, ret.op);
	assert_true(spsc_pop(&fx.rets, &ret));
	assert_int_equal(ret.tag, 1);
	assert_int_equal(ret.frame, 1152);
	engine_op_free(fx.e, ret.op);
}

static void an_underrun_grows_the_lead_and_calm_shrinks_it(void **state)
{
	struct render_stats st;
	uint32_t i;

	setup_with(256, 384, 1);
	render_step(fx.r);	/* the prefill: 256 + 256 */
	assert_int_equal(ring_fill(&fx.ring), 512);
	consume_step(1024);	/* 512 in the ring: underrun; refilled to 1024 + 384 */
	render_get_stats(fx.r, &st);
	assert_int_equal(st.underruns, 1);
	assert_int_equal(st.lead, 384);
	assert_int_equal(st.fill, 1024 + 384);
	/* a second underrun cannot grow it past lead_max */
	consume_step(4096);
	render_get_stats(fx.r, &st);
	assert_int_equal(st.underruns, 2);
	assert_int_equal(st.lead, 384);
	assert_int_equal(st.fill, 4096 + 384);
	/* not yet a second of audio (shrink_after) since: the lead stays */
	for (i = 0; i < 40; i++)
		consume_step(1024);
	render_get_stats(fx.r, &st);
	assert_int_equal(st.lead, 384);
	/* past one second without underruns: back by one quantum, and no further */
	for (i = 0; i < 10; i++)
		consume_step(1024);
	render_get_stats(fx.r, &st);
	assert_int_equal(st.underruns, 2);
	assert_int_equal(st.lead, 256);
	assert_int_equal(st.fill, 1024 + 256);
}

/* ops for a ConstantSourceNode `c` (offset 1) on the destination, started at frame `start` */
static struct engine_op *constant_at(uint64_t start)
{
	struct engine_op *op, *next;
	struct error err = { 0 };

	assert_int_equal(engine_op_create(fx.e, "ConstantSourceNode", "c", NULL, 0, &op, &err), 0);
	assert_int_equal(engine_op_connect(fx.e, "c", "destination", -1, -1, &next, &err), 0);
	engine_op_chain(op, next);
	assert_int_equal(engine_op_start(fx.e, "c", (double)start / RATE, NAN, NAN, &next, &err), 0);
	engine_op_chain(op, next);
	return op;
}

static void quiet_is_published_with_the_next_scheduled_start(void **state)
{
	struct render_ret ret;
	uint64_t quiet, due;

	setup_with(256, 1024, 10);
	render_step(fx.r);	/* prefill: nothing sounds */
	render_get_quiet(fx.r, &quiet, &due);
	assert_int_equal(quiet, 0);
	assert_true(due == RENDER_NEVER);
	push(constant_at(4096), RENDER_AT_NOW, 1);
	consume_step(256);	/* applied at 512 */
	assert_true(spsc_pop(&fx.rets, &ret));
	engine_op_free(fx.e, ret.op);
	render_get_quiet(fx.r, &quiet, &due);
	assert_int_equal(quiet, 0);
	assert_int_equal(due, 4096);
	while (engine_frame(fx.e) <= 4096)
		consume_step(256);
	render_get_quiet(fx.r, &quiet, &due);
	assert_true(quiet == RENDER_NEVER);	/* it plays */
}

static void suspended_time_follows_the_clock(void **state)
{
	uint64_t f0;

	setup_with(256, 1024, 10);
	render_step(fx.r);
	f0 = engine_frame(fx.e);
	render_set_idle(fx.r, true);
	fake_ns = 1000000000u;
	render_step(fx.r);	/* the clock reading it counts from */
	assert_int_equal(engine_frame(fx.e), f0);
	fake_ns += 10000000u;	/* 10 ms: 480 frames, three whole quanta */
	render_step(fx.r);
	assert_int_equal(engine_frame(fx.e), f0 + 384);
	fake_ns += 990000000u;	/* one second in all */
	render_step(fx.r);
	assert_int_equal(engine_frame(fx.e), f0 + 48000 / 128 * 128);
	assert_int_equal(ring_fill(&fx.ring), 512);	/* nothing went to the device */
	/* resumed: the ring is served again from where time is */
	render_set_idle(fx.r, false);
	consume_step(256);
	assert_int_equal(engine_frame(fx.e), f0 + 48000 / 128 * 128 + 256);
}

static void suspended_time_stops_short_of_a_scheduled_start(void **state)
{
	struct render_ret ret;
	uint64_t quiet, due;

	setup_with(256, 1024, 10);
	render_step(fx.r);
	push(constant_at(2000), RENDER_AT_NOW, 1);
	consume_step(256);
	assert_true(spsc_pop(&fx.rets, &ret));
	engine_op_free(fx.e, ret.op);
	render_set_idle(fx.r, true);
	fake_ns = 5000000000u;
	render_step(fx.r);
	fake_ns += 1000000000u;	/* a second is due, but the source starts at 2000 */
	render_step(fx.r);
	/* the quantum holding frame 2000 would have sounded: it waits for the stream */
	assert_int_equal(engine_frame(fx.e), 1920);
	render_get_quiet(fx.r, &quiet, &due);
	assert_int_equal(due, 2000);
	render_set_idle(fx.r, false);
	consume_step(512);
	render_get_quiet(fx.r, &quiet, &due);
	assert_true(quiet == RENDER_NEVER);
}

static void a_command_stops_suspended_time_until_resumed(void **state)
{
	setup_with(256, 1024, 10);
	render_step(fx.r);
	render_set_idle(fx.r, true);
	fake_ns = 1000000000u;
	render_step(fx.r);
	push(gain_op("g"), RENDER_AT_NOW, 1);
	fake_ns += 100000000u;
	render_step(fx.r);
	/* it is the control thread's to resume first: nothing is applied unheard */
	assert_int_equal(engine_frame(fx.e), 512);
	assert_int_equal(spsc_count(&fx.cmds), 1);
}

/* a 440 Hz sine into the destination, started at once */
static struct engine_op *sine_ops(struct engine *e)
{
	struct engine_op *op, *next;
	struct error err = { 0 };

	assert_int_equal(engine_op_create(e, "OscillatorNode", "o", NULL, 0, &op, &err), 0);
	assert_int_equal(engine_op_connect(e, "o", "destination", -1, -1, &next, &err), 0);
	engine_op_chain(op, next);
	assert_int_equal(engine_op_start(e, "o", NAN, NAN, NAN, &next, &err), 0);
	return engine_op_chain(op, next);
}

static void quanta_written_in_place_across_the_ring_end_arrive_exact(void **state)
{
	enum { FRAMES = 3 * 8192, FADE = 20000 };
	static float got[FRAMES * 2], want[QUANTUM * 2];
	struct error err = { 0 };
	struct engine *ref = engine_new(RATE, 2, &err);
	uint32_t k, i;

	setup_with(256, 1024, 10);
	/* 64 frames short of the storage end and of the 32-bit wrap: the quantum that reaches
	 * the end goes in two runs, 64 frames before it and 64 after */
	ringidx_init(&fx.ring.idx, 8192, UINT32_MAX - 63);
	push(sine_ops(fx.e), RENDER_AT_NOW, 0);
	engine_exec(ref, sine_ops(ref));
	render_fade(fx.r, FADE);
	for (k = 0; k < FRAMES; k += 512) {
		render_step(fx.r);
		assert_int_equal(ring_read(&fx.ring, got + k * 2, 512), 512);
	}
	/* what the engine renders, interleaved, times the ramp, as the renderer computes it */
	for (k = 0; k < FRAMES; k += QUANTUM) {
		engine_interleave(engine_render(ref), want);
		for (i = 0; i < QUANTUM * 2; i++) {
			uint32_t f = k + i / 2;
			float g = f < FADE ? 1.0f - (float)f / (float)FADE : 0.0f;

			assert_true(got[k * 2 + i] == want[i] * g);
		}
	}
	assert_true(render_faded(fx.r));
	engine_free(ref);
}

static void fade_ramps_linearly_to_silence(void **state)
{
	struct engine_op *op, *next;
	struct error err = { 0 };
	uint32_t ahead, k;
	static float got[1536 * 2];

	setup_with(256, 1024, 10);
	/* a constant 1.0 on both channels */
	assert_int_equal(engine_op_create(fx.e, "ConstantSourceNode", "c", NULL, 0, &op, &err), 0);
	assert_int_equal(engine_op_connect(fx.e, "c", "destination", -1, -1, &next, &err), 0);
	engine_op_chain(op, next);
	assert_int_equal(engine_op_start(fx.e, "c", NAN, NAN, NAN, &next, &err), 0);
	engine_op_chain(op, next);
	push(op, RENDER_AT_NOW, 0);
	assert_int_equal(render_start(fx.r), 0);
	ahead = ring_fill(&fx.ring);
	render_fade(fx.r, 1280);
	assert_false(render_faded(fx.r));
	consume(ahead);		/* the constant, rendered before the fade */
	for (k = 0; k < ahead * 2; k++)
		assert_true(fx.buf[k] == 1.0f);
	/* the next 1536 frames: the 1280-frame ramp, then silence */
	for (k = 0; k < 1536; k += 256) {
		wait_fill(256);
		ring_read(&fx.ring, got + k * 2, 256);
		render_wake(fx.r);
	}
	assert_true(render_faded(fx.r));
	for (k = 0; k < 1536; k++) {
		float want = k < 1280 ? 1.0f - (float)k / 1280.0f : 0.0f;

		assert_true(got[k * 2] == want);
		assert_true(got[k * 2 + 1] == want);
	}
}

/* a burst of commands for "as soon as possible" is spread over quanta, 64 a quantum, so no
 * single quantum takes all their work; one due at a frame is never put off */
static void many_commands_at_once_are_spread_over_quanta(void **state)
{
	struct render_ret ret;
	char name[16];
	uint32_t n = 0, at_768 = 0;

	fx_queue = 256;
	setup_with(256, 1024, 10);
	render_step(fx.r);
	for (int i = 0; i < 150; i++) {
		snprintf(name, sizeof(name), "g%d", i);
		push(gain_op(name), RENDER_AT_NOW, (uint64_t)i + 1);
	}
	push(gain_op("timed"), 768, 1000);
	consume_step(256);	/* two quanta, at 512 and 640 */
	while (spsc_pop(&fx.rets, &ret)) {
		n++;
		assert_int_equal(ret.frame, ret.tag <= 64 ? 512 : 640);
		engine_op_free(fx.e, ret.op);
	}
	assert_int_equal(n, 128);
	consume_step(256);	/* 768 and 896 */
	while (spsc_pop(&fx.rets, &ret)) {
		n++;
		at_768 += ret.tag == 1000 && ret.frame == 768;
		engine_op_free(fx.e, ret.op);
	}
	assert_int_equal(n, 151);
	assert_int_equal(at_768, 1);
	fx_queue = 16;
}

/* a batch: `n` gain creates in one chain with its plan, committed as one command */
static struct engine_op *batch_op(const char *prefix, int n)
{
	struct engine_op *chain = NULL, *end;
	struct error err = { 0 };
	char name[16];

	engine_batch_begin(fx.e);
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s%d", prefix, i);
		chain = engine_op_chain(chain, gain_op(name));
	}
	assert_int_equal(engine_batch_end(fx.e, &end, &err), 0);
	return engine_op_chain(chain, end);
}

/* untimed commands are weighed by their ops: 64 a quantum.  a batch heavier than that is
 * committed whole and alone (all or nothing: its nodes appear in one quantum), the ones
 * behind it in the quanta after; a timed one is never put off */
static void heavy_batches_take_a_quantum_each(void **state)
{
	struct render_ret ret;
	uint64_t frame_of[6] = { 0 };

	setup_with(256, 1024, 10);
	render_step(fx.r);
	push(batch_op("a", 100), RENDER_AT_NOW, 1);	/* 101 ops */
	push(batch_op("b", 30), RENDER_AT_NOW, 2);	/* 31 */
	push(batch_op("c", 30), RENDER_AT_NOW, 3);	/* 31: with b, 62 */
	push(batch_op("d", 10), RENDER_AT_NOW, 4);	/* 11: over the budget, next quantum */
	push(gain_op("t"), 640, 5);			/* due in the second quantum */
	consume_step(256);	/* quanta at 512 and 640 */
	consume_step(256);	/* 768 and 896 */
	while (spsc_pop(&fx.rets, &ret)) {
		assert_true(ret.tag >= 1 && ret.tag <= 5);
		frame_of[ret.tag] = ret.frame;
		engine_op_free(fx.e, ret.op);
	}
	assert_int_equal(frame_of[1], 512);
	assert_int_equal(frame_of[2], 640);
	assert_int_equal(frame_of[3], 640);
	assert_int_equal(frame_of[4], 768);
	assert_int_equal(frame_of[5], 640);
	/* every node of the big batch went in at once */
	assert_non_null(engine_node(fx.e, "a0"));
	assert_non_null(engine_node(fx.e, "a99"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(prefill_reaches_guess_plus_lead, teardown),
		cmocka_unit_test_teardown(a_command_waits_for_its_frame_without_holding_later_ones,
					  teardown),
		cmocka_unit_test_teardown(held_commands_keep_their_order_by_time, teardown),
		cmocka_unit_test_teardown(an_underrun_grows_the_lead_and_calm_shrinks_it, teardown),
		cmocka_unit_test_teardown(fade_ramps_linearly_to_silence, teardown),
		cmocka_unit_test_teardown(quanta_written_in_place_across_the_ring_end_arrive_exact,
					  teardown),
		cmocka_unit_test_teardown(quiet_is_published_with_the_next_scheduled_start, teardown),
		cmocka_unit_test_teardown(suspended_time_follows_the_clock, teardown),
		cmocka_unit_test_teardown(suspended_time_stops_short_of_a_scheduled_start, teardown),
		cmocka_unit_test_teardown(a_command_stops_suspended_time_until_resumed, teardown),
		cmocka_unit_test_teardown(many_commands_at_once_are_spread_over_quanta, teardown),
		cmocka_unit_test_teardown(heavy_batches_take_a_quantum_each, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
