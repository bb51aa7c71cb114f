/* unit tests for engine/buffersource.c: AudioBufferSourceNode playback per the spec's
 * "Playing the buffer" algorithm — exact copies at rate 1, playbackRate and buffer-rate
 * stepping, loop points, sub-sample start, offset, duration, stop, ended, and attributes.
 * the kind is driven directly: a real node (node_new) inside a real engine (for events),
 * params computed by param_compute, process called quantum by quantum. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/buffer.h"
#include "engine/engine.h"
#include "engine/node.h"

extern const struct node_kind buffer_source_kind;

#define RATE 48000.0
#define FRAMES (4 * QUANTUM)

struct rig {
	struct engine *e;
	struct node *n;
	struct audio_buffer *buf;
	float out[FRAMES];		/* channel 0 of the rendered quanta */
	float out1[FRAMES];		/* channel 1 */
	uint32_t channels[FRAMES / QUANTUM];
	bool silent[FRAMES / QUANTUM];
};

/* a buffer whose sample i of channel c is (i + 1000 c) / 64: exact in float, all distinct */
static struct audio_buffer *ramp_buffer(uint32_t channels, uint32_t length, double rate)
{
	struct error err;
	struct audio_buffer *b = audio_buffer_new(channels, length, rate, &err);

	assert_non_null(b);
	for (uint32_t c = 0; c < channels; c++)
		for (uint32_t i = 0; i < length; i++)
			b->data[c][i] = (float)(i + 1000 * c) / 64.0f;
	return b;
}

static float ramp_at(uint32_t c, double i)
{
	return (float)((i + 1000 * c) / 64.0);
}

/* builds the node with `buf` and extra options (params, loop...) */
static void rig_new(struct rig *r, struct audio_buffer *buf, const struct option *extra,
		    size_t n_extra)
{
	struct option opts[8];
	struct error err;
	size_t n = 0;

	memset(r, 0, sizeof(*r));
	r->e = engine_new(RATE, 2, &err);
	assert_non_null(r->e);
	r->buf = buf;
	if (buf != NULL) {
		opts[n].name = "buffer";
		opts[n].value.type = VALUE_BUFFER;
		opts[n].value.buf = buf;
		n++;
	}
	for (size_t i = 0; i < n_extra; i++)
		opts[n++] = extra[i];
	r->n = node_new(r->e, &buffer_source_kind, "src", 100, opts, n, &err);
	assert_non_null(r->n);
}

static void rig_free(struct rig *r)
{
	node_free(r->n);
	audio_buffer_unref(r->buf);
	engine_free(r->e);
}

/* what the engine's start op does */
static void rig_start(struct rig *r, double when, double offset, double duration)
{
	r->n->sched.start = when;
	r->n->sched.offset = offset;
	r->n->sched.duration = duration;
	r->n->sched.state = SCHED_SCHEDULED;
}

static void rig_render(struct rig *r)
{
	for (uint32_t q = 0; q < FRAMES / QUANTUM; q++) {
		uint64_t frame = (uint64_t)q * QUANTUM;
		struct render_ctx ctx = { frame, frame / RATE, RATE, r->e };
		const struct bus *b = &r->n->out[0];

		for (uint32_t p = 0; p < r->n->n_params; p++)
			param_compute(&r->n->params[p], frame, RATE, NULL);
		r->n->kind->process(r->n, &ctx);
		r->channels[q] = b->channels;
		r->silent[q] = b->silent;
		for (int i = 0; i < QUANTUM; i++) {
			r->out[frame + i] = b->silent ? 0.0f : b->data[0][i];
			r->out1[frame + i] = b->silent || b->channels < 2 ? 0.0f : b->data[1][i];
		}
	}
}

static void set_attr(struct rig *r, const char *name, const struct value *v, int expect_code)
{
	const struct attr_desc *a = node_attr(r->n, name);
	struct error err = { 0 };
	void *staged = NULL;
	int rc;

	assert_non_null(a);
	rc = a->check(r->n, v, &staged, &err);
	if (expect_code != ERR_OK) {
		assert_int_equal(rc, -1);
		assert_int_equal(err.code, expect_code);
		return;
	}
	assert_int_equal(rc, 0);
	a->apply(r->n, v, &staged);
	if (a->release)
		a->release(r->n, staged);
}

static struct value num(double x)
{
	struct value v = { .type = VALUE_NUMBER, .num = x };
	return v;
}

static struct value boolean(bool x)
{
	struct value v = { .type = VALUE_BOOL, .b = x };
	return v;
}

/* the single ended event the rig's engine holds: its time */
static double ended_time(struct rig *r)
{
	struct engine_event ev;

	assert_true(engine_event_pop(r->e, &ev));
	assert_int_equal(ev.type, ENGINE_EVENT_ENDED);
	assert_int_equal(ev.node_id, 100);
	assert_false(engine_event_pop(r->e, &ev));
	return ev.time;
}

static void rate_one_copies_the_buffer_then_ends_with_mono_silence(void **state)
{
	struct rig r;

	(void)state;
	rig_new(&r, ramp_buffer(2, 200, RATE), NULL, 0);
	rig_start(&r, 0, 0, INFINITY);
	rig_render(&r);
	for (int i = 0; i < 200; i++) {
		assert_true(r.out[i] == ramp_at(0, i));
		assert_true(r.out1[i] == ramp_at(1, i));
	}
	for (int i = 200; i < 256; i++)
		assert_true(r.out[i] == 0.0f && r.out1[i] == 0.0f);
	assert_int_equal(r.channels[0], 2);
	assert_int_equal(r.channels[1], 2);	/* the quantum it ends in keeps its channels */
	assert_int_equal(r.channels[2], 1);
	assert_true(r.silent[2]);
	assert_true(ended_time(&r) == 200 / RATE);
	rig_free(&r);
}

static void playback_rate_two_reads_every_other_sample(void **state)
{
	struct option o = { "playbackRate", { .type = VALUE_NUMBER, .num = 2 } };
	struct rig r;

	(void)state;
	rig_new(&r, ramp_buffer(1, 400, RATE), &o, 1);
	rig_start(&r, 0, 0, INFINITY);
	rig_render(&r);
	for (int i = 0; i < 200; i++)
		assert_true(r.out[i] == ramp_at(0, 2 * i));
	for (int i = 200; i < FRAMES; i++)
		assert_true(r.out[i] == 0.0f);
	assert_true(ended_time(&r) == 200 / RATE);
	rig_free(&r);
}

static void detune_1200_cents_doubles_the_rate(void **state)
{
	struct option o = { "detune", { .type = VALUE_NUMBER, .num = 1200 } };
	struct rig r;

	(void)state;
	rig_new(&r, ramp_buffer(1, 2 * FRAMES + 1, RATE), &o, 1);
	rig_start(&r, 0, 0, INFINITY);
	rig_render(&r);
	for (int i = 0; i < FRAMES; i++)
		assert_true(r.out[i] == ramp_at(0, 2 * i));
	rig_free(&r);
}

static void half_rate_buffer_interpolates_linearly_between_frames(void **state)
{
	struct rig r;

	(void)state;
	/* a 24 kHz buffer in a 48 kHz context: the playhead moves half a frame per output frame */
	rig_new(&r, ramp_buffer(1, 300, RATE / 2), NULL, 0);
	rig_start(&r, 0, 0, INFINITY);
	rig_render(&r);
	for (int i = 0; i < FRAMES; i++)
		assert_true(r.out[i] == ramp_at(0, i / 2.0));
	rig_free(&r);
}

static void loop_repeats_loop_start_to_loop_end(void **state)
{
	struct option o[3] = {
		{ "loop", { .type = VALUE_BOOL, .b = true } },
		{ "loopStart", { .type = VALUE_NUMBER, .num = 20 / RATE } },
		{ "loopEnd", { .type = VALUE_NUMBER, .num = 50 / RATE } },
	};
	struct rig r;
	struct engine_event ev;

	(void)state;
	rig_new(&r, ramp_buffer(1, 100, RATE), o, 3);
	rig_start(&r, 0, 0, INFINITY);
	rig_render(&r);
	for (int i = 0; i < FRAMES; i++) {
		double expect = i < 50 ? i : 20 + (i - 50) % 30;
		assert_float_equal(r.out[i], ramp_at(0, expect), 1e-6);
	}
	assert_false(engine_event_pop(r.e, &ev));
	rig_free(&r);
}

static void loop_end_zero_loops_the_whole_buffer(void **state)
{
	struct option o = { "loop", { .type = VALUE_BOOL, .b = true } };
	struct rig r;

	(void)state;
	rig_new(&r, ramp_buffer(1, 100, RATE), &o, 1);
	rig_start(&r, 0, 0, INFINITY);
	rig_render(&r);
	for (int i = 0; i < FRAMES; i++)
		assert_true(r.out[i] == ramp_at(0, i % 100));
	rig_free(&r);
}

static void loop_start_not_before_loop_end_loops_the_whole_buffer(void **state)
{
	struct option o[3] = {
		{ "loop", { .type = VALUE_BOOL, .b = true } },
		{ "loopStart", { .type = VALUE_NUMBER, .num = 60 / RATE } },
		{ "loopEnd", { .type = VALUE_NUMBER, .num = 30 / RATE } },
	};
	struct rig r;

	(void)state;
	rig_new(&r, ramp_buffer(1, 100, RATE), o, 3);
	rig_start(&r, 0, 0, INFINITY);
	rig_render(&r);
	for (int i = 0; i < FRAMES; i++)
		assert_true(r.out[i] == ramp_at(0, i % 100));
	rig_free(&r);
}

static void offset_beyond_loop_end_starts_in_the_loop(void **state)
{
	struct option o[3] = {
		{ "loop", { .type = VALUE_BOOL, .b = true } },
		{ "loopStart", { .type = VALUE_NUMBER, .num = 20 / RATE } },
		{ "loopEnd", { .type = VALUE_NUMBER, .num = 50 / RATE } },
	};
	struct rig r;

	(void)state;
	rig_new(&r, ramp_buffer(1, 100, RATE), o, 3);
	rig_start(&r, 0, 80 / RATE, INFINITY);
	rig_render(&r);
	/* the spec: playback begins at loopEnd, which wraps to loopStart */
	for (int i = 0; i < FRAMES; i++)
		assert_float_equal(r.out[i], ramp_at(0, 20 + i % 30), 1e-6);
	rig_free(&r);
}

static void negative_rate_plays_backwards_to_the_start_and_ends(void **state)
{
	struct option o = { "playbackRate", { .type = VALUE_NUMBER, .num = -1 } };
	struct rig r;

	(void)state;
	rig_new(&r, ramp_buffer(1, 1000, RATE), &o, 1);
	rig_start(&r, 0, 100 / RATE, INFINITY);
	rig_render(&r);
	for (int i = 0; i <= 100; i++)
		assert_true(r.out[i] == ramp_at(0, 100 - i));
	for (int i = 101; i < FRAMES; i++)
		assert_true(r.out[i] == 0.0f);
	assert_true(ended_time(&r) == 101 / RATE);
	rig_free(&r);
}

static void half_speed_loop_splices_loop_end_to_loop_start(void **state)
{
	struct option o[4] = {
		{ "loop", { .type = VALUE_BOOL, .b = true } },
		{ "loopStart", { .type = VALUE_NUMBER, .num = 20 / RATE } },
		{ "loopEnd", { .type = VALUE_NUMBER, .num = 50 / RATE } },
		{ "playbackRate", { .type = VALUE_NUMBER, .num = 0.5 } },
	};
	struct rig r;

	(void)state;
	rig_new(&r, ramp_buffer(1, 100, RATE), o, 4);
	rig_start(&r, 0, 0, INFINITY);
	rig_render(&r);
	for (int i = 0; i < FRAMES; i++) {
		/* buffer position, folded into the loop [20, 50) once it reaches 50 */
		double p = i / 2.0, next;
		if (p >= 50)
			p = 20 + fmod(p - 50, 30);
		next = floor(p) + 1 >= 50 ? 20 : floor(p) + 1;
		assert_float_equal(r.out[i], ramp_at(0, floor(p)) + (p - floor(p)) *
				   (ramp_at(0, next) - ramp_at(0, floor(p))), 1e-6);
	}
	/* the frame between the loop's last sample and its first */
	assert_float_equal(r.out[99], (ramp_at(0, 49) + ramp_at(0, 20)) / 2, 1e-6);
	rig_free(&r);
}

static void offset_skips_into_the_buffer(void **state)
{
	struct rig r;

	(void)state;
	rig_new(&r, ramp_buffer(1, 1000, RATE), NULL, 0);
	rig_start(&r, 0, 300 / RATE, INFINITY);
	rig_render(&r);
	for (int i = 0; i < FRAMES; i++)
		assert_true(r.out[i] == ramp_at(0, 300 + i));
	rig_free(&r);
}

static void fractional_start_interpolates_the_first_frame(void **state)
{
	struct rig r;

	(void)state;
	/* start at frame 10.5: frame 11 is the first output, half a frame into the buffer */
	rig_new(&r, ramp_buffer(1, 1000, RATE), NULL, 0);
	rig_start(&r, 10.5 / RATE, 0, INFINITY);
	rig_render(&r);
	for (int i = 0; i < 11; i++)
		assert_true(r.out[i] == 0.0f);
	for (int i = 11; i < FRAMES; i++)
		assert_float_equal(r.out[i], ramp_at(0, i - 10.5), 1e-6);
	rig_free(&r);
}

static void start_in_a_later_quantum_is_sample_accurate(void **state)
{
	struct rig r;

	(void)state;
	rig_new(&r, ramp_buffer(1, 1000, RATE), NULL, 0);
	rig_start(&r, 200 / RATE, 0, INFINITY);
	rig_render(&r);
	for (int i = 0; i < 200; i++)
		assert_true(r.out[i] == 0.0f);
	for (int i = 200; i < FRAMES; i++)
		assert_true(r.out[i] == ramp_at(0, i - 200));
	rig_free(&r);
}

static void duration_limits_the_buffer_time_played(void **state)
{
	struct option o = { "playbackRate", { .type = VALUE_NUMBER, .num = 0.5 } };
	struct rig r;

	(void)state;
	/* 64 frames of buffer time at half speed: 128 output frames */
	rig_new(&r, ramp_buffer(1, 1000, RATE), &o, 1);
	rig_start(&r, 0, 0, 64 / RATE);
	rig_render(&r);
	for (int i = 0; i < 128; i++)
		assert_float_equal(r.out[i], ramp_at(0, i / 2.0), 1e-6);
	for (int i = 128; i < FRAMES; i++)
		assert_true(r.out[i] == 0.0f);
	assert_true(ended_time(&r) == 128 / RATE);
	rig_free(&r);
}

static void fractional_start_with_fractional_duration_plays_whole_frames(void **state)
{
	struct rig r;

	(void)state;
	/* subsample.json's b2: start 10.5 frames, duration 100.5 frames of a DC buffer.  the
	 * playhead starts at 0.5, so the duration runs out after 100 output frames */
	rig_new(&r, ramp_buffer(1, 600, RATE), NULL, 0);
	for (int i = 0; i < 600; i++)
		r.buf->data[0][i] = 1.0f;
	rig_start(&r, 10.5 / RATE, 0, 100.5 / RATE);
	rig_render(&r);
	for (int i = 0; i < FRAMES; i++)
		assert_true(r.out[i] == (i >= 11 && i < 111 ? 1.0f : 0.0f));
	rig_free(&r);
}

static void stop_silences_from_its_frame_and_ends(void **state)
{
	struct rig r;

	(void)state;
	rig_new(&r, ramp_buffer(1, 1000, RATE), NULL, 0);
	rig_start(&r, 0, 0, INFINITY);
	r.n->sched.stop = 300 / RATE;
	rig_render(&r);
	for (int i = 0; i < FRAMES; i++)
		assert_true(r.out[i] == (i < 300 ? ramp_at(0, i) : 0.0f));
	assert_true(ended_time(&r) == 300 / RATE);
	rig_free(&r);
}

static void loop_turned_off_plays_to_the_end(void **state)
{
	struct option o = { "loop", { .type = VALUE_BOOL, .b = true } };
	struct value off = boolean(false);
	struct rig r;

	(void)state;
	rig_new(&r, ramp_buffer(1, 100, RATE), &o, 1);
	rig_start(&r, 0, 0, INFINITY);
	rig_render(&r);	/* 512 frames: 5 loops and 12 frames */
	set_attr(&r, "loop", &off, ERR_OK);
	memset(r.out, 0, sizeof(r.out));
	rig_render(&r);	/* frames 0.. of the rig again: the playhead continues at 12 */
	for (int i = 0; i < 88; i++)
		assert_true(r.out[i] == ramp_at(0, 12 + i));
	for (int i = 88; i < 128; i++)
		assert_true(r.out[i] == 0.0f);
	assert_true(ended_time(&r) == 88 / RATE);
	rig_free(&r);
}

static void null_buffer_source_ends_once_started(void **state)
{
	struct rig r;

	(void)state;
	rig_new(&r, NULL, NULL, 0);
	rig_start(&r, 1.0, 0, INFINITY);
	rig_render(&r);
	for (int i = 0; i < FRAMES; i++)
		assert_true(r.out[i] == 0.0f);
	assert_int_equal(r.channels[0], 1);
	assert_true(r.silent[0]);
	assert_true(ended_time(&r) == 0.0);
	rig_free(&r);
}

static void unstarted_source_is_silent_with_the_buffer_channels(void **state)
{
	struct rig r;
	struct engine_event ev;

	(void)state;
	rig_new(&r, ramp_buffer(3, 100, RATE), NULL, 0);
	rig_render(&r);
	assert_int_equal(r.channels[0], 3);
	assert_true(r.silent[0]);
	assert_false(engine_event_pop(r.e, &ev));
	rig_free(&r);
}

static void buffer_can_be_set_once_then_only_nulled(void **state)
{
	struct audio_buffer *other = ramp_buffer(1, 10, RATE);
	struct value v = { .type = VALUE_BUFFER, .buf = other };
	struct value null = { .type = VALUE_NULL };
	struct value got;
	struct rig r;

	(void)state;
	rig_new(&r, NULL, NULL, 0);
	set_attr(&r, "buffer", &null, ERR_OK);
	set_attr(&r, "buffer", &v, ERR_OK);
	assert_int_equal(other->refs, 2);
	node_attr(r.n, "buffer")->get(r.n, &got);
	assert_int_equal(got.type, VALUE_BUFFER);
	assert_ptr_equal(got.buf, other);
	set_attr(&r, "buffer", &v, ERR_INVALID_STATE);
	set_attr(&r, "buffer", &null, ERR_OK);
	assert_int_equal(other->refs, 1);
	set_attr(&r, "buffer", &v, ERR_INVALID_STATE);
	node_attr(r.n, "buffer")->get(r.n, &got);
	assert_int_equal(got.type, VALUE_NULL);
	rig_free(&r);
	audio_buffer_unref(other);
}

static void node_holds_a_reference_to_its_buffer(void **state)
{
	struct audio_buffer *b = ramp_buffer(1, 10, RATE);
	struct rig r;

	(void)state;
	rig_new(&r, audio_buffer_ref(b), NULL, 0);
	assert_int_equal(b->refs, 3);	/* ours, the rig's, the node's */
	rig_free(&r);
	assert_int_equal(b->refs, 1);
	audio_buffer_unref(b);
}

static void attributes_reject_wrong_types_and_non_finite_numbers(void **state)
{
	struct value s = { .type = VALUE_STRING, .str = "yes" };
	struct value inf = num(INFINITY), nan_v = num(NAN), t = boolean(true), got;
	struct rig r;

	(void)state;
	rig_new(&r, NULL, NULL, 0);
	set_attr(&r, "loop", &s, ERR_INVALID_VALUE);
	set_attr(&r, "loopStart", &inf, ERR_INVALID_VALUE);
	set_attr(&r, "loopEnd", &nan_v, ERR_INVALID_VALUE);
	set_attr(&r, "buffer", &t, ERR_INVALID_VALUE);
	s = num(0.25);
	set_attr(&r, "loopEnd", &s, ERR_OK);
	node_attr(r.n, "loopEnd")->get(r.n, &got);
	assert_true(got.type == VALUE_NUMBER && got.num == 0.25);
	rig_free(&r);
}

static void start_rejects_negative_offset_and_duration(void **state)
{
	struct rig r;
	struct error err;

	(void)state;
	rig_new(&r, NULL, NULL, 0);
	assert_int_equal(buffer_source_kind.check_start(r.n, 0, -1, NAN, &err), -1);
	assert_int_equal(err.code, ERR_INVALID_VALUE);
	assert_int_equal(buffer_source_kind.check_start(r.n, 0, 0, -0.5, &err), -1);
	assert_int_equal(err.code, ERR_INVALID_VALUE);
	assert_int_equal(buffer_source_kind.check_start(r.n, 0, 1, 2, &err), 0);
	rig_free(&r);
}

static void unknown_option_is_rejected(void **state)
{
	struct option o = { "lop", { .type = VALUE_BOOL, .b = true } };
	struct engine *e;
	struct error err;

	(void)state;
	e = engine_new(RATE, 2, &err);
	assert_null(node_new(e, &buffer_source_kind, "x", 1, &o, 1, &err));
	assert_int_equal(err.code, ERR_BAD_REQUEST);
	assert_non_null(strstr(err.msg, "loop"));
	engine_free(e);
}

static void playback_and_detune_are_fixed_k_rate(void **state)
{
	(void)state;
	assert_int_equal(buffer_source_kind.n_params, 2);
	for (uint32_t i = 0; i < 2; i++) {
		assert_true(buffer_source_kind.params[i].k_rate);
		assert_true(buffer_source_kind.params[i].fixed_rate);
	}
	assert_string_equal(buffer_source_kind.params[0].name, "playbackRate");
	assert_string_equal(buffer_source_kind.params[1].name, "detune");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rate_one_copies_the_buffer_then_ends_with_mono_silence),
		cmocka_unit_test(playback_rate_two_reads_every_other_sample),
		cmocka_unit_test(detune_1200_cents_doubles_the_rate),
		cmocka_unit_test(half_rate_buffer_interpolates_linearly_between_frames),
		cmocka_unit_test(loop_repeats_loop_start_to_loop_end),
		cmocka_unit_test(loop_end_zero_loops_the_whole_buffer),
		cmocka_unit_test(loop_start_not_before_loop_end_loops_the_whole_buffer),
		cmocka_unit_test(offset_beyond_loop_end_starts_in_the_loop),
		cmocka_unit_test(negative_rate_plays_backwards_to_the_start_and_ends),
		cmocka_unit_test(half_speed_loop_splices_loop_end_to_loop_start),
		cmocka_unit_test(offset_skips_into_the_buffer),
		cmocka_unit_test(fractional_start_interpolates_the_first_frame),
		cmocka_unit_test(start_in_a_later_quantum_is_sample_accurate),
		cmocka_unit_test(duration_limits_the_buffer_time_played),
		cmocka_unit_test(fractional_start_with_fractional_duration_plays_whole_frames),
		cmocka_unit_test(stop_silences_from_its_frame_and_ends),
		cmocka_unit_test(loop_turned_off_plays_to_the_end),
		cmocka_unit_test(null_buffer_source_ends_once_started),
		cmocka_unit_test(unstarted_source_is_silent_with_the_buffer_channels),
		cmocka_unit_test(buffer_can_be_set_once_then_only_nulled),
		cmocka_unit_test(node_holds_a_reference_to_its_buffer),
		cmocka_unit_test(attributes_reject_wrong_types_and_non_finite_numbers),
		cmocka_unit_test(start_rejects_negative_offset_and_duration),
		cmocka_unit_test(unknown_option_is_rejected),
		cmocka_unit_test(playback_and_detune_are_fixed_k_rate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
