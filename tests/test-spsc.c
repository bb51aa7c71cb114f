/* tests for daemon/spsc (the command and return queues) and daemon/ring (the audio ring),
 * both over engine/ringidx.h: bounds, order, exact wraparound of the free-running indices,
 * writing in place, and a two-thread stress of millions of items each. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/ring.h"
#include "daemon/spsc.h"

#define STRESS_ITEMS 4000000u
#define STRESS_FRAMES 8000000u

struct item {
	uint64_t seq;
	uint64_t check;		/* seq * a constant: a torn copy would not match */
};

static void init_rejects_capacity_not_power_of_two(void **state)
{
	struct spsc q;

	assert_int_equal(spsc_init(&q, 3, 8), -EINVAL);
	assert_int_equal(spsc_init(&q, 0, 8), -EINVAL);
	assert_int_equal(spsc_init(&q, 8, 0), -EINVAL);
	assert_int_equal(spsc_init(&q, 8, 8), 0);
	spsc_fini(&q);
}

static void push_fails_when_full_and_pop_when_empty(void **state)
{
	struct spsc q;
	uint32_t v;

	assert_int_equal(spsc_init(&q, 4, sizeof(v)), 0);
	assert_false(spsc_pop(&q, &v));
	for (v = 0; v < 4; v++)
		assert_true(spsc_push(&q, &v));
	assert_int_equal(spsc_count(&q), 4);
	assert_int_equal(spsc_space(&q), 0);
	v = 99;
	assert_false(spsc_push(&q, &v));
	assert_true(spsc_pop(&q, &v));
	assert_int_equal(v, 0);
	assert_int_equal(spsc_space(&q), 1);
	v = 4;
	assert_true(spsc_push(&q, &v));
	for (uint32_t want = 1; want <= 4; want++) {
		assert_true(spsc_pop(&q, &v));
		assert_int_equal(v, want);
	}
	assert_false(spsc_pop(&q, &v));
	spsc_fini(&q);
}

static void peek_leaves_the_item_queued(void **state)
{
	struct spsc q;
	uint32_t v = 7, out = 0;

	assert_int_equal(spsc_init(&q, 2, sizeof(v)), 0);
	assert_false(spsc_peek(&q, &out));
	assert_true(spsc_push(&q, &v));
	assert_true(spsc_peek(&q, &out));
	assert_int_equal(out, 7);
	assert_int_equal(spsc_count(&q), 1);
	out = 0;
	assert_true(spsc_pop(&q, &out));
	assert_int_equal(out, 7);
	assert_int_equal(spsc_count(&q), 0);
	spsc_fini(&q);
}

static void indices_wrap_past_2_to_the_32(void **state)
{
	struct spsc q;
	uint32_t v;

	assert_int_equal(spsc_init(&q, 8, sizeof(v)), 0);
	/* both sides just short of the 32-bit wrap */
	ringidx_init(&q.idx, 8, UINT32_MAX - 2);
	for (v = 0; v < 8; v++)
		assert_true(spsc_push(&q, &v));
	assert_false(spsc_push(&q, &v));
	assert_int_equal(spsc_count(&q), 8);
	for (uint32_t want = 0; want < 8; want++) {
		assert_true(spsc_pop(&q, &v));
		assert_int_equal(v, want);
	}
	assert_int_equal(spsc_count(&q), 0);
	assert_int_equal(atomic_load(&q.idx.read), 5);
	spsc_fini(&q);
}

static void *spsc_producer(void *data)
{
	struct spsc *q = data;

	for (uint64_t i = 0; i < STRESS_ITEMS; i++) {
		struct item it = { i, i * 2654435761u };

		while (!spsc_push(q, &it))
			sched_yield();
	}
	return NULL;
}

static void two_threads_pass_millions_of_items_in_order_without_loss(void **state)
{
	struct spsc q;
	pthread_t t;
	struct item it;
	uint64_t want = 0, bad = 0;

	assert_int_equal(spsc_init(&q, 256, sizeof(struct item)), 0);
	assert_int_equal(pthread_create(&t, NULL, spsc_producer, &q), 0);
	while (want < STRESS_ITEMS) {
		if (!spsc_pop(&q, &it)) {
			sched_yield();
			continue;
		}
		bad += it.seq != want || it.check != want * 2654435761u;
		want++;
	}
	pthread_join(t, NULL);
	assert_int_equal(bad, 0);
	assert_false(spsc_pop(&q, &it));
	spsc_fini(&q);
}

/* --- audio ring --------------------------------------------------------------------------- */

static void ring_write_stops_at_capacity(void **state)
{
	struct ring r;
	float in[2 * 20] = { 0 };

	assert_int_equal(ring_init(&r, 16, 2), 0);
	assert_int_equal(ring_write(&r, in, 20), 16);
	assert_int_equal(ring_fill(&r), 16);
	assert_int_equal(ring_space(&r), 0);
	assert_int_equal(ring_write(&r, in, 1), 0);
	ring_fini(&r);
}

/* frame f, channel c holds f * 8 + c: exact in float up to 2^24 */
static float sample_of(uint32_t f, uint32_t c)
{
	return (float)((f * 8u + c) & 0xffffffu);
}

static void ring_wraparound_is_sample_exact(void **state)
{
	enum { CH = 3, CAP = 64 };
	static const uint32_t steps[] = { 1, 7, 63, 64, 13, 50, 2, 64, 31, 33 };
	struct ring r;
	float buf[CAP * CH];
	uint32_t wf = 0, rf = 0;

	assert_int_equal(ring_init(&r, CAP, CH), 0);
	/* start near the 32-bit wrap so both storage and index wraparound are crossed */
	ringidx_init(&r.idx, CAP, UINT32_MAX - 100);
	for (int round = 0; round < 200; round++) {
		uint32_t n = steps[round % 10], got;

		n = n < ring_space(&r) ? n : ring_space(&r);
		for (uint32_t i = 0; i < n; i++)
			for (uint32_t c = 0; c < CH; c++)
				buf[i * CH + c] = sample_of(wf + i, c);
		assert_int_equal(ring_write(&r, buf, n), n);
		wf += n;
		n = steps[(round + 3) % 10];
		memset(buf, 0xff, sizeof(buf));
		got = ring_read(&r, buf, n);
		assert_int_equal(got, n < wf - rf ? n : wf - rf);
		for (uint32_t i = 0; i < got; i++)
			for (uint32_t c = 0; c < CH; c++)
				assert_true(buf[i * CH + c] == sample_of(rf + i, c));
		rf += got;
	}
	ring_fini(&r);
}

static void ring_writes_in_place_in_two_runs_across_the_wrap(void **state)
{
	enum { CH = 2, CAP = 16 };
	struct ring_region reg[2];
	struct ring r;
	float out[CAP * CH];
	uint32_t f = 0;

	assert_int_equal(ring_init(&r, CAP, CH), 0);
	/* the write index 5 frames short of the 32-bit wrap: slot 11 */
	ringidx_init(&r.idx, CAP, UINT32_MAX - 4);
	assert_int_equal(ring_write_regions(&r, 8, reg), 8);
	assert_ptr_equal(reg[0].data, r.data + 11 * CH);
	assert_int_equal(reg[0].frames, 5);
	assert_ptr_equal(reg[1].data, r.data);
	assert_int_equal(reg[1].frames, 3);
	for (int k = 0; k < 2; k++)
		for (uint32_t i = 0; i < reg[k].frames; i++, f++)
			for (uint32_t c = 0; c < CH; c++)
				reg[k].data[i * CH + c] = sample_of(f, c);
	assert_int_equal(ring_fill(&r), 0);	/* nothing published before done */
	ring_write_done(&r, 8);
	assert_int_equal(ring_fill(&r), 8);
	assert_int_equal(ring_read(&r, out, CAP), 8);
	for (f = 0; f < 8; f++)
		for (uint32_t c = 0; c < CH; c++)
			assert_true(out[f * CH + c] == sample_of(f, c));
	ring_fini(&r);
}

static void ring_write_regions_stop_at_the_free_space(void **state)
{
	struct ring_region reg[2];
	struct ring r;
	float in[2 * 12] = { 0 };

	assert_int_equal(ring_init(&r, 16, 2), 0);
	assert_int_equal(ring_write(&r, in, 12), 12);
	assert_int_equal(ring_write_regions(&r, 8, reg), 4);
	assert_int_equal(reg[0].frames + reg[1].frames, 4);
	ring_write_done(&r, 4);
	assert_int_equal(ring_write_regions(&r, 8, reg), 0);
	assert_int_equal(ring_space(&r), 0);
	ring_fini(&r);
}

static void ring_read_pad_fills_silence_and_counts_an_underrun(void **state)
{
	struct ring r;
	float in[2 * 3] = { 1, 2, 3, 4, 5, 6 }, out[2 * 5];

	assert_int_equal(ring_init(&r, 8, 2), 0);
	ring_write(&r, in, 3);
	memset(out, 0xff, sizeof(out));
	assert_int_equal(ring_read_pad(&r, out, 5), 3);
	for (int i = 0; i < 6; i++)
		assert_true(out[i] == in[i]);
	for (int i = 6; i < 10; i++)
		assert_true(out[i] == 0.0f);
	assert_int_equal(atomic_load(&r.underruns), 1);
	assert_int_equal(atomic_load(&r.underrun_frames), 2);
	assert_int_equal(atomic_load(&r.request), 5);
	/* a full read is no underrun */
	ring_write(&r, in, 3);
	assert_int_equal(ring_read_pad(&r, out, 3), 3);
	assert_int_equal(atomic_load(&r.underruns), 1);
	ring_fini(&r);
}

static void *ring_producer(void *data)
{
	struct ring *r = data;
	float buf[128 * 2];
	uint32_t f = 0;

	while (f < STRESS_FRAMES) {
		uint32_t n = 1 + f % 128, done;

		n = n < STRESS_FRAMES - f ? n : STRESS_FRAMES - f;
		for (uint32_t i = 0; i < n; i++) {
			buf[2 * i] = sample_of(f + i, 0);
			buf[2 * i + 1] = sample_of(f + i, 1);
		}
		for (done = 0; done < n; ) {
			uint32_t w = ring_write(r, buf + 2 * done, n - done);

			if (w == 0)
				sched_yield();
			done += w;
		}
		f += n;
	}
	return NULL;
}

static void ring_two_threads_pass_millions_of_frames_exactly(void **state)
{
	struct ring r;
	pthread_t t;
	float buf[100 * 2];
	uint32_t f = 0, bad = 0;

	assert_int_equal(ring_init(&r, 1024, 2), 0);
	assert_int_equal(pthread_create(&t, NULL, ring_producer, &r), 0);
	while (f < STRESS_FRAMES) {
		uint32_t got = ring_read(&r, buf, 100);

		if (got == 0)
			sched_yield();
		for (uint32_t i = 0; i < got; i++)
			bad += buf[2 * i] != sample_of(f + i, 0) ||
			       buf[2 * i + 1] != sample_of(f + i, 1);
		f += got;
	}
	pthread_join(t, NULL);
	assert_int_equal(bad, 0);
	assert_int_equal(ring_fill(&r), 0);
	ring_fini(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(init_rejects_capacity_not_power_of_two),
		cmocka_unit_test(push_fails_when_full_and_pop_when_empty),
		cmocka_unit_test(peek_leaves_the_item_queued),
		cmocka_unit_test(indices_wrap_past_2_to_the_32),
		cmocka_unit_test(two_threads_pass_millions_of_items_in_order_without_loss),
		cmocka_unit_test(ring_write_stops_at_capacity),
		cmocka_unit_test(ring_wraparound_is_sample_exact),
		cmocka_unit_test(ring_writes_in_place_in_two_runs_across_the_wrap),
		cmocka_unit_test(ring_write_regions_stop_at_the_free_space),
		cmocka_unit_test(ring_read_pad_fills_silence_and_counts_an_underrun),
		cmocka_unit_test(ring_two_threads_pass_millions_of_frames_exactly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
