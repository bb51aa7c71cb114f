/* unit tests for engine/bus.c: allocation, silence, and every up/down-mixing rule of the
 * Web Audio spec ("Channel Up-Mixing and Down-Mixing") plus computedNumberOfChannels.
 * expected values are written from the spec's equations, not from bus.c's output. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/bus.h"

#define TOL 1e-6f

/* 5.1 order L R C LFE SL SR; quad L R SL SR */
enum { L, R, C, LFE, SL5, SR5 };
enum { QSL = 2, QSR = 3 };

/* a recognisable source: channel c, sample i = (c + 1) * 1.5 + i / 256 (exact in float) */
static float src_val(uint32_t c, int i)
{
	return (float)(c + 1) * 1.5f + (float)i / 256.0f;
}

/* a recognisable destination prefill so tests prove the mix adds rather than overwrites */
static float dst_val(uint32_t c, int i)
{
	return -(float)(c + 1) * 0.125f - (float)i / 1024.0f;
}

static void fill_src(struct bus *b, uint32_t channels)
{
	bus_zero(b, channels);
	for (uint32_t c = 0; c < channels; c++)
		for (int i = 0; i < QUANTUM; i++)
			b->data[c][i] = src_val(c, i);
}

static void fill_dst(struct bus *b, uint32_t channels)
{
	bus_zero(b, channels);
	for (uint32_t c = 0; c < channels; c++)
		for (int i = 0; i < QUANTUM; i++)
			b->data[c][i] = dst_val(c, i);
}

struct pair {
	struct bus src, dst;
};

static int pair_setup(void **state)
{
	static struct pair p;

	if (bus_init(&p.src, MAX_CHANNELS) || bus_init(&p.dst, MAX_CHANNELS))
		return -1;
	*state = &p;
	return 0;
}

static int pair_teardown(void **state)
{
	struct pair *p = *state;

	bus_fini(&p->src);
	bus_fini(&p->dst);
	return 0;
}

/* the expected up/down-mix of src_val for (dst channel, sample), straight from the spec */
typedef float (*rule_fn)(uint32_t c, int i);

/* runs bus_mix (onto the dst prefill) and bus_copy_mix and checks both against `rule` */
static void check_rule(struct pair *p, uint32_t sn, uint32_t dn, enum interp interp,
		       rule_fn rule)
{
	fill_src(&p->src, sn);
	fill_dst(&p->dst, dn);
	bus_mix(&p->dst, &p->src, interp);
	assert_int_equal(p->dst.channels, dn);
	assert_false(p->dst.silent);
	for (uint32_t c = 0; c < dn; c++)
		for (int i = 0; i < QUANTUM; i++)
			assert_float_equal(p->dst.data[c][i], dst_val(c, i) + rule(c, i), TOL);

	fill_dst(&p->dst, dn);
	bus_copy_mix(&p->dst, &p->src, interp);
	assert_int_equal(p->dst.channels, dn);
	assert_false(p->dst.silent);
	for (uint32_t c = 0; c < dn; c++)
		for (int i = 0; i < QUANTUM; i++)
			assert_float_equal(p->dst.data[c][i], rule(c, i), TOL);
}

#define S(ch) src_val((ch), i)
static const float h = 0.70710678118654752440f;	/* sqrt(0.5) */

/* up-mix rules */
static float r_1_2(uint32_t c, int i) { (void)c; return S(0); }
static float r_1_4(uint32_t c, int i) { return c == L || c == R ? S(0) : 0.0f; }
static float r_1_6(uint32_t c, int i) { return c == C ? S(0) : 0.0f; }
static float r_2_4(uint32_t c, int i) { return c == L || c == R ? S(c) : 0.0f; }
static float r_2_6(uint32_t c, int i) { return c == L || c == R ? S(c) : 0.0f; }

static float r_4_6(uint32_t c, int i)
{
	switch (c) {
	case L: return S(L);
	case R: return S(R);
	case SL5: return S(QSL);
	case SR5: return S(QSR);
	default: return 0.0f;	/* C and LFE */
	}
}

/* down-mix rules */
static float r_2_1(uint32_t c, int i) { (void)c; return 0.5f * (S(L) + S(R)); }

static float r_4_1(uint32_t c, int i)
{
	(void)c;
	return 0.25f * (S(L) + S(R) + S(QSL) + S(QSR));
}

static float r_6_1(uint32_t c, int i)
{
	(void)c;
	return h * (S(L) + S(R)) + S(C) + 0.5f * (S(SL5) + S(SR5));
}

static float r_4_2(uint32_t c, int i)
{
	return c == L ? 0.5f * (S(L) + S(QSL)) : 0.5f * (S(R) + S(QSR));
}

static float r_6_2(uint32_t c, int i)
{
	return c == L ? S(L) + h * (S(C) + S(SL5)) : S(R) + h * (S(C) + S(SR5));
}

static float r_6_4(uint32_t c, int i)
{
	switch (c) {
	case L: return S(L) + h * S(C);
	case R: return S(R) + h * S(C);
	case QSL: return S(SL5);
	default: return S(SR5);
	}
}

/* discrete: the common channels, zeros above the source's count */
static uint32_t discrete_sn;
static float r_discrete(uint32_t c, int i) { return c < discrete_sn ? S(c) : 0.0f; }

static void speakers_mono_upmixes_to_stereo_both_sides(void **state)
{
	check_rule(*state, 1, 2, INTERP_SPEAKERS, r_1_2);
}

static void speakers_mono_upmixes_to_quad_front_pair(void **state)
{
	check_rule(*state, 1, 4, INTERP_SPEAKERS, r_1_4);
}

static void speakers_mono_upmixes_to_51_center_only(void **state)
{
	check_rule(*state, 1, 6, INTERP_SPEAKERS, r_1_6);
}

static void speakers_stereo_upmixes_to_quad_front_pair(void **state)
{
	check_rule(*state, 2, 4, INTERP_SPEAKERS, r_2_4);
}

static void speakers_stereo_upmixes_to_51_front_pair(void **state)
{
	check_rule(*state, 2, 6, INTERP_SPEAKERS, r_2_6);
}

static void speakers_quad_upmixes_to_51_surrounds_moved(void **state)
{
	check_rule(*state, 4, 6, INTERP_SPEAKERS, r_4_6);
}

static void speakers_stereo_downmixes_to_mono_half_sum(void **state)
{
	check_rule(*state, 2, 1, INTERP_SPEAKERS, r_2_1);
}

static void speakers_quad_downmixes_to_mono_quarter_sum(void **state)
{
	check_rule(*state, 4, 1, INTERP_SPEAKERS, r_4_1);
}

static void speakers_51_downmixes_to_mono_without_lfe(void **state)
{
	check_rule(*state, 6, 1, INTERP_SPEAKERS, r_6_1);
}

static void speakers_quad_downmixes_to_stereo_half_sums(void **state)
{
	check_rule(*state, 4, 2, INTERP_SPEAKERS, r_4_2);
}

static void speakers_51_downmixes_to_stereo_with_sqrt_half(void **state)
{
	check_rule(*state, 6, 2, INTERP_SPEAKERS, r_6_2);
}

static void speakers_51_downmixes_to_quad_center_split(void **state)
{
	check_rule(*state, 6, 4, INTERP_SPEAKERS, r_6_4);
}

static void same_count_adds_channel_by_channel(void **state)
{
	for (uint32_t n = 1; n <= 8; n++) {
		discrete_sn = n;
		check_rule(*state, n, n, INTERP_SPEAKERS, r_discrete);
		check_rule(*state, n, n, INTERP_DISCRETE, r_discrete);
	}
}

static void discrete_upmix_fills_then_zeros(void **state)
{
	static const uint32_t cases[][2] = { {1, 2}, {1, 6}, {2, 4}, {2, 6}, {4, 6}, {3, 8} };

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		discrete_sn = cases[k][0];
		check_rule(*state, cases[k][0], cases[k][1], INTERP_DISCRETE, r_discrete);
	}
}

static void discrete_downmix_drops_extra_channels(void **state)
{
	static const uint32_t cases[][2] = { {2, 1}, {6, 1}, {4, 2}, {6, 2}, {6, 4}, {32, 3} };

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		discrete_sn = cases[k][0];
		check_rule(*state, cases[k][0], cases[k][1], INTERP_DISCRETE, r_discrete);
	}
}

/* "In cases where the number of channels do not match any of these basic speaker layouts,
 * revert to discrete" */
static void speakers_without_a_layout_falls_back_to_discrete(void **state)
{
	static const uint32_t cases[][2] = {
		{1, 3}, {3, 1}, {2, 3}, {3, 2}, {5, 6}, {6, 5}, {1, 8}, {8, 2}, {8, 6}, {2, 32},
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		discrete_sn = cases[k][0];
		check_rule(*state, cases[k][0], cases[k][1], INTERP_SPEAKERS, r_discrete);
	}
}

static void silent_source_adds_nothing(void **state)
{
	struct pair *p = *state;

	fill_src(&p->src, 2);
	bus_silence(&p->src, 2);
	fill_dst(&p->dst, 2);
	bus_mix(&p->dst, &p->src, INTERP_SPEAKERS);
	for (uint32_t c = 0; c < 2; c++)
		for (int i = 0; i < QUANTUM; i++)
			assert_true(p->dst.data[c][i] == dst_val(c, i));
}

static void copy_mix_of_silent_source_gives_zeros(void **state)
{
	struct pair *p = *state;

	fill_src(&p->src, 6);
	bus_silence(&p->src, 6);
	fill_dst(&p->dst, 2);
	bus_copy_mix(&p->dst, &p->src, INTERP_SPEAKERS);
	assert_int_equal(p->dst.channels, 2);
	assert_false(p->dst.silent);
	for (uint32_t c = 0; c < 2; c++)
		for (int i = 0; i < QUANTUM; i++)
			assert_true(p->dst.data[c][i] == 0.0f);
}

static void mix_onto_silent_destination_is_a_copy(void **state)
{
	struct pair *p = *state;

	fill_src(&p->src, 1);
	fill_dst(&p->dst, 2);
	bus_silence(&p->dst, 2);
	bus_mix(&p->dst, &p->src, INTERP_SPEAKERS);
	assert_false(p->dst.silent);
	for (uint32_t c = 0; c < 2; c++)
		for (int i = 0; i < QUANTUM; i++)
			assert_true(p->dst.data[c][i] == src_val(0, i));
}

static void mixing_two_sources_sums_them(void **state)
{
	struct pair *p = *state;
	struct bus mono;

	assert_int_equal(bus_init(&mono, 1), 0);
	fill_src(&mono, 1);
	fill_src(&p->src, 2);
	bus_zero(&p->dst, 2);
	bus_mix(&p->dst, &mono, INTERP_SPEAKERS);
	bus_mix(&p->dst, &p->src, INTERP_SPEAKERS);
	for (uint32_t c = 0; c < 2; c++)
		for (int i = 0; i < QUANTUM; i++)
			assert_float_equal(p->dst.data[c][i], src_val(0, i) + src_val(c, i), TOL);
	bus_fini(&mono);
}

static void init_allocates_aligned_zeroed_silent_mono(void **state)
{
	struct bus b;

	(void)state;
	assert_int_equal(bus_init(&b, 6), 0);
	assert_int_equal(b.capacity, 6);
	assert_int_equal(b.channels, 1);
	assert_true(b.silent);
	for (uint32_t c = 0; c < 6; c++) {
		assert_non_null(b.data[c]);
		assert_int_equal((uintptr_t)b.data[c] % 64, 0);
		for (int i = 0; i < QUANTUM; i++)
			assert_true(b.data[c][i] == 0.0f);
	}
	for (uint32_t c = 6; c < MAX_CHANNELS; c++)
		assert_null(b.data[c]);
	bus_fini(&b);
}

static void init_rejects_zero_and_too_many_channels(void **state)
{
	struct bus b;

	(void)state;
	assert_true(bus_init(&b, 0) < 0);
	assert_true(bus_init(&b, MAX_CHANNELS + 1) < 0);
}

static void zero_sets_count_and_clears_silent(void **state)
{
	struct pair *p = *state;

	fill_src(&p->src, 4);
	bus_silence(&p->src, 4);
	bus_zero(&p->src, 3);
	assert_int_equal(p->src.channels, 3);
	assert_false(p->src.silent);
	for (uint32_t c = 0; c < 3; c++)
		for (int i = 0; i < QUANTUM; i++)
			assert_true(p->src.data[c][i] == 0.0f);
}

static void silence_keeps_data_and_sets_count(void **state)
{
	struct pair *p = *state;

	fill_src(&p->src, 2);
	bus_silence(&p->src, 5);
	assert_int_equal(p->src.channels, 5);
	assert_true(p->src.silent);
	assert_true(p->src.data[1][7] == src_val(1, 7));
}

static void computed_channels_max_is_largest_connection(void **state)
{
	(void)state;
	assert_int_equal(bus_computed_channels(COUNT_MAX, 2, 6), 6);
	assert_int_equal(bus_computed_channels(COUNT_MAX, 2, 1), 1);
	assert_int_equal(bus_computed_channels(COUNT_MAX, 8, 3), 3);
	/* an unconnected input is one silent channel */
	assert_int_equal(bus_computed_channels(COUNT_MAX, 2, 0), 1);
}

static void computed_channels_clamped_max_caps_at_channel_count(void **state)
{
	(void)state;
	assert_int_equal(bus_computed_channels(COUNT_CLAMPED_MAX, 2, 6), 2);
	assert_int_equal(bus_computed_channels(COUNT_CLAMPED_MAX, 2, 1), 1);
	assert_int_equal(bus_computed_channels(COUNT_CLAMPED_MAX, 4, 4), 4);
	assert_int_equal(bus_computed_channels(COUNT_CLAMPED_MAX, 2, 0), 1);
}

static void computed_channels_explicit_is_channel_count(void **state)
{
	(void)state;
	assert_int_equal(bus_computed_channels(COUNT_EXPLICIT, 2, 6), 2);
	assert_int_equal(bus_computed_channels(COUNT_EXPLICIT, 6, 1), 6);
	assert_int_equal(bus_computed_channels(COUNT_EXPLICIT, 3, 0), 3);
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(init_allocates_aligned_zeroed_silent_mono),
		T(init_rejects_zero_and_too_many_channels),
		T(zero_sets_count_and_clears_silent),
		T(silence_keeps_data_and_sets_count),
		T(speakers_mono_upmixes_to_stereo_both_sides),
		T(speakers_mono_upmixes_to_quad_front_pair),
		T(speakers_mono_upmixes_to_51_center_only),
		T(speakers_stereo_upmixes_to_quad_front_pair),
		T(speakers_stereo_upmixes_to_51_front_pair),
		T(speakers_quad_upmixes_to_51_surrounds_moved),
		T(speakers_stereo_downmixes_to_mono_half_sum),
		T(speakers_quad_downmixes_to_mono_quarter_sum),
		T(speakers_51_downmixes_to_mono_without_lfe),
		T(speakers_quad_downmixes_to_stereo_half_sums),
		T(speakers_51_downmixes_to_stereo_with_sqrt_half),
		T(speakers_51_downmixes_to_quad_center_split),
		T(same_count_adds_channel_by_channel),
		T(discrete_upmix_fills_then_zeros),
		T(discrete_downmix_drops_extra_channels),
		T(speakers_without_a_layout_falls_back_to_discrete),
		T(silent_source_adds_nothing),
		T(copy_mix_of_silent_source_gives_zeros),
		T(mix_onto_silent_destination_is_a_copy),
		T(mixing_two_sources_sums_them),
		T(computed_channels_max_is_largest_connection),
		T(computed_channels_clamped_max_caps_at_channel_count),
		T(computed_channels_explicit_is_channel_count),
	};

	return cmocka_run_group_tests(tests, pair_setup, pair_teardown);
}
