/* tests for engine/ringidx.h, the index core of every single-producer single-consumer ring
 * (the daemon's command, return and audio rings and the engine's event ring): fill and
 * space, the contiguous runs, and free-running indices across the 32-bit wrap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine/ringidx.h"

static void sizes_are_powers_of_two_of_at_least_two(void **state)
{
	assert_false(ringidx_size_ok(0));
	assert_false(ringidx_size_ok(1));
	assert_false(ringidx_size_ok(3));
	assert_false(ringidx_size_ok(96));
	assert_true(ringidx_size_ok(2));
	assert_true(ringidx_size_ok(1024));
	assert_true(ringidx_size_ok(0x80000000u));
}

static void an_empty_ring_has_all_space_and_nothing_to_read(void **state)
{
	struct ringidx x;
	uint32_t w, r;

	ringidx_init(&x, 16, 0);
	assert_int_equal(ringidx_space(&x, &w), 16);
	assert_int_equal(ringidx_avail(&x, &r), 0);
	assert_int_equal(w, 0);
	assert_int_equal(r, 0);
	assert_int_equal(ringidx_fill(&x), 0);
}

static void writes_become_readable_once_advanced(void **state)
{
	struct ringidx x;
	uint32_t w, r;

	ringidx_init(&x, 8, 0);
	ringidx_space(&x, &w);
	assert_int_equal(ringidx_avail(&x, &r), 0);	/* written but not yet published */
	ringidx_write_advance(&x, 5);
	assert_int_equal(ringidx_avail(&x, &r), 5);
	assert_int_equal(ringidx_space(&x, &w), 3);
	assert_int_equal(w, 5);
	ringidx_read_advance(&x, 2);
	assert_int_equal(ringidx_avail(&x, &r), 3);
	assert_int_equal(r, 2);
	assert_int_equal(ringidx_space(&x, &w), 5);
	assert_int_equal(ringidx_fill(&x), 3);
}

static void fill_and_space_hold_across_the_32_bit_wrap(void **state)
{
	struct ringidx x;
	uint32_t w, r, fill = 0;

	/* start just short of 2^32 and walk well past it in uneven steps */
	ringidx_init(&x, 64, UINT32_MAX - 40);
	for (uint32_t step = 0; step < 500; step++) {
		uint32_t space = ringidx_space(&x, &w), put = (step * 7 + 3) % 65, take;

		assert_int_equal(space + fill, 64);
		put = put < space ? put : space;
		ringidx_write_advance(&x, put);
		fill += put;
		assert_int_equal(ringidx_avail(&x, &r), fill);
		assert_int_equal(ringidx_fill(&x), fill);
		assert_int_equal(w + put - r, fill);	/* modulo 2^32 */
		take = (step * 5 + 1) % 65;
		take = take < fill ? take : fill;
		ringidx_read_advance(&x, take);
		fill -= take;
	}
	assert_true(atomic_load(&x.read) < UINT32_MAX - 40);	/* it did wrap */
}

static void split_gives_the_runs_before_and_after_the_storage_end(void **state)
{
	struct ringidx x;
	uint32_t off;

	ringidx_init(&x, 16, 0);
	assert_int_equal(ringidx_split(&x, 3, 10, &off), 10);
	assert_int_equal(off, 3);
	assert_int_equal(ringidx_split(&x, 12, 10, &off), 4);	/* 6 more from slot 0 */
	assert_int_equal(off, 12);
	assert_int_equal(ringidx_split(&x, 16, 16, &off), 16);
	assert_int_equal(off, 0);
	/* an index past the 32-bit wrap maps to the same slots */
	assert_int_equal(ringidx_split(&x, UINT32_MAX - 1, 5, &off), 2);
	assert_int_equal(off, 14);
	assert_int_equal(ringidx_split(&x, UINT32_MAX + 4u, 5, &off), 5);	/* 3 */
	assert_int_equal(off, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sizes_are_powers_of_two_of_at_least_two),
		cmocka_unit_test(an_empty_ring_has_all_space_and_nothing_to_read),
		cmocka_unit_test(writes_become_readable_once_advanced),
		cmocka_unit_test(fill_and_space_hold_across_the_32_bit_wrap),
		cmocka_unit_test(split_gives_the_runs_before_and_after_the_storage_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
