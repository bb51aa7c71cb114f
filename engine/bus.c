/* audio buses and the spec's channel up-mixing and down-mixing rules.
 * bus_init/bus_fini: control thread.  everything else: render thread; no allocation, no locks.
 * the loops are plain 128-sample loops over restrict pointers so gcc -O3 vectorises them. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"

#define BUS_ALIGN 64

/* the spec writes sqrt(0.5) / sqrt(1/2); rounded once to float */
static const float sqrt_half = 0.70710678118654752440f;

/* speaker layouts the spec defines rules for */
enum layout { MONO = 1, STEREO = 2, QUAD = 4, FIVE_ONE = 6 };

/* 5.1 channel order: L R C LFE SL SR; quad: L R SL SR */
enum { L = 0, R = 1, C = 2, Q_SL = 2, Q_SR = 3, F_SL = 4, F_SR = 5 };

int bus_init(struct bus *b, uint32_t capacity)
{
	size_t bytes = (size_t)capacity * QUANTUM * sizeof(float);
	float *base;

	memset(b, 0, sizeof(*b));
	if (capacity == 0 || capacity > MAX_CHANNELS)
		return -EINVAL;
	/* QUANTUM floats are 512 bytes, so every channel inside one block stays aligned */
	base = aligned_alloc(BUS_ALIGN, bytes);
	if (!base)
		return -ENOMEM;
	memset(base, 0, bytes);
	for (uint32_t c = 0; c < capacity; c++)
		b->data[c] = base + (size_t)c * QUANTUM;
	b->own = base;
	b->capacity = capacity;
	b->channels = 1;
	b->silent = true;
	return 0;
}

void bus_fini(struct bus *b)
{
	free(b->own);
	memset(b, 0, sizeof(*b));
}

bool bus_borrow(struct bus *dst, const struct bus *src, enum interp interp)
{
	uint32_t dn = dst->channels, sn = src->channels;

	assert(dn >= 1 && dn <= dst->capacity);
	if (dn == sn) {
		for (uint32_t c = 0; c < sn; c++)
			dst->data[c] = src->data[c];
	} else if (sn == MONO && dn == STEREO && interp == INTERP_SPEAKERS) {
		dst->data[L] = src->data[0];
		dst->data[R] = src->data[0];
	} else {
		return false;
	}
	if (dst->borrowed < dn)
		dst->borrowed = dn;
	dst->silent = src->silent;
	return true;
}

/* before a write into b: its own channels again, holding what the borrowed ones did when
 * `keep` (and b is not silent) */
static void unborrow(struct bus *b, bool keep)
{
	for (uint32_t c = 0; c < b->borrowed; c++) {
		float *mine = b->own + (size_t)c * QUANTUM;

		if (keep && !b->silent && c < b->channels)
			memcpy(mine, b->data[c], QUANTUM * sizeof(float));
		b->data[c] = mine;
	}
	b->borrowed = 0;
}

/* b's channels [from, to) = 0 */
static void zero_channels(struct bus *b, uint32_t from, uint32_t to)
{
	for (uint32_t c = from; c < to; c++)
		memset(b->data[c], 0, QUANTUM * sizeof(float));
}

void bus_borrow_data(struct bus *dst, float *const data[], uint32_t n)
{
	assert(n >= 1 && n <= dst->capacity);
	for (uint32_t c = 0; c < n; c++) {
		assert((uintptr_t)data[c] % BUS_ALIGN == 0);
		dst->data[c] = data[c];
	}
	if (dst->borrowed < n)
		dst->borrowed = n;
	dst->channels = n;
	dst->silent = false;
}

void bus_unborrow(struct bus *b)
{
	unborrow(b, false);
}

void bus_zero(struct bus *b, uint32_t channels)
{
	assert(channels >= 1 && channels <= b->capacity);
	if (b->borrowed)
		unborrow(b, false);
	b->channels = channels;
	b->silent = false;
	zero_channels(b, 0, channels);
}

void bus_silence(struct bus *b, uint32_t channels)
{
	assert(channels >= 1 && channels <= b->capacity);
	b->channels = channels;
	b->silent = true;
}

/* the kernels: d += ... over one quantum */

#define ALIGNED(p) __builtin_assume_aligned((p), BUS_ALIGN)

static void add1(float *restrict d, const float *restrict a)
{
	d = ALIGNED(d);
	a = ALIGNED(a);
	for (int i = 0; i < QUANTUM; i++)
		d[i] += a[i];
}

/* d += k * (a + b) */
static void add2k(float *restrict d, const float *restrict a, const float *restrict b, float k)
{
	d = ALIGNED(d);
	a = ALIGNED(a);
	b = ALIGNED(b);
	for (int i = 0; i < QUANTUM; i++)
		d[i] += k * (a[i] + b[i]);
}

/* d = k * (a + b), in one pass instead of zeroing and adding.  0 + is kept: the sum it
 * replaces turns a -0 into +0 */
static void set2k(float *restrict d, const float *restrict a, const float *restrict b, float k)
{
	d = ALIGNED(d);
	a = ALIGNED(a);
	b = ALIGNED(b);
	for (int i = 0; i < QUANTUM; i++)
		d[i] = 0.0f + k * (a[i] + b[i]);
}

/* d += x + k * (a + b): the 5.1 -> stereo rule */
static void add_x_2k(float *restrict d, const float *restrict x, const float *restrict a,
		     const float *restrict b, float k)
{
	d = ALIGNED(d);
	x = ALIGNED(x);
	a = ALIGNED(a);
	b = ALIGNED(b);
	for (int i = 0; i < QUANTUM; i++)
		d[i] += x[i] + k * (a[i] + b[i]);
}

/* d += x + k * a: the 5.1 -> quad rule */
static void add_x_k(float *restrict d, const float *restrict x, const float *restrict a, float k)
{
	d = ALIGNED(d);
	x = ALIGNED(x);
	a = ALIGNED(a);
	for (int i = 0; i < QUANTUM; i++)
		d[i] += x[i] + k * a[i];
}

/* d += 0.25 * (l + r + sl + sr): quad -> mono */
static void add_quad_mono(float *restrict d, float *const s[])
{
	const float *restrict l = ALIGNED(s[L]);
	const float *restrict r = ALIGNED(s[R]);
	const float *restrict sl = ALIGNED(s[Q_SL]);
	const float *restrict sr = ALIGNED(s[Q_SR]);

	d = ALIGNED(d);
	for (int i = 0; i < QUANTUM; i++)
		d[i] += 0.25f * (l[i] + r[i] + sl[i] + sr[i]);
}

/* d += sqrt(0.5) * (L + R) + C + 0.5 * (SL + SR): 5.1 -> mono; LFE is dropped */
static void add_51_mono(float *restrict d, float *const s[])
{
	const float *restrict l = ALIGNED(s[L]);
	const float *restrict r = ALIGNED(s[R]);
	const float *restrict c = ALIGNED(s[C]);
	const float *restrict sl = ALIGNED(s[F_SL]);
	const float *restrict sr = ALIGNED(s[F_SR]);

	d = ALIGNED(d);
	for (int i = 0; i < QUANTUM; i++)
		d[i] += sqrt_half * (l[i] + r[i]) + c[i] + 0.5f * (sl[i] + sr[i]);
}

/* "discrete": common channels add, the source's extra ones drop, the destination's extra
 * ones get nothing */
static void mix_discrete(struct bus *dst, const struct bus *src)
{
	uint32_t n = dst->channels < src->channels ? dst->channels : src->channels;

	for (uint32_t c = 0; c < n; c++)
		add1(dst->data[c], src->data[c]);
}

static bool is_layout(uint32_t n)
{
	return n == MONO || n == STEREO || n == QUAD || n == FIVE_ONE;
}

/* "speakers" up-mix; every case not listed in the spec's table is discrete */
static void mix_up(float *const d[], float *const s[], uint32_t dn, uint32_t sn)
{
	if (sn == MONO && (dn == STEREO || dn == QUAD)) {
		add1(d[L], s[0]);
		add1(d[R], s[0]);
	} else if (sn == MONO && dn == FIVE_ONE) {
		add1(d[C], s[0]);
	} else if (sn == STEREO) {
		/* to quad and to 5.1: L and R, the rest stay 0 */
		add1(d[L], s[L]);
		add1(d[R], s[R]);
	} else {
		/* quad -> 5.1: surrounds move from 2,3 to 4,5 */
		add1(d[L], s[L]);
		add1(d[R], s[R]);
		add1(d[F_SL], s[Q_SL]);
		add1(d[F_SR], s[Q_SR]);
	}
}

/* "speakers" down-mix, sn > dn, both layouts */
static void mix_down(float *const d[], float *const s[], uint32_t dn, uint32_t sn)
{
	if (dn == MONO && sn == STEREO) {
		add2k(d[0], s[L], s[R], 0.5f);
	} else if (dn == MONO && sn == QUAD) {
		add_quad_mono(d[0], s);
	} else if (dn == MONO) {
		add_51_mono(d[0], s);
	} else if (dn == STEREO && sn == QUAD) {
		add2k(d[L], s[L], s[Q_SL], 0.5f);
		add2k(d[R], s[R], s[Q_SR], 0.5f);
	} else if (dn == STEREO) {
		add_x_2k(d[L], s[L], s[C], s[F_SL], sqrt_half);
		add_x_2k(d[R], s[R], s[C], s[F_SR], sqrt_half);
	} else {
		/* 5.1 -> quad */
		add_x_k(d[L], s[L], s[C], sqrt_half);
		add_x_k(d[R], s[R], s[C], sqrt_half);
		add1(d[Q_SL], s[F_SL]);
		add1(d[Q_SR], s[F_SR]);
	}
}

void bus_mix(struct bus *dst, const struct bus *src, enum interp interp)
{
	uint32_t dn = dst->channels, sn = src->channels;

	if (src->silent)
		return;
	/* tolerated rather than asserted: mixing onto silence is a copy */
	if (dst->silent) {
		bus_copy_mix(dst, src, interp);
		return;
	}
	if (dst->borrowed)
		unborrow(dst, true);
	if (dn == sn || interp == INTERP_DISCRETE || !is_layout(dn) || !is_layout(sn))
		mix_discrete(dst, src);
	else if (dn > sn)
		mix_up(dst->data, src->data, dn, sn);
	else
		mix_down(dst->data, src->data, dn, sn);
}

static void copy_channel(float *d, const float *s)
{
	memcpy(d, s, QUANTUM * sizeof(float));
}

/* the result is never marked silent, so callers may go on to bus_mix into it or read it */
void bus_copy_mix(struct bus *dst, const struct bus *src, enum interp interp)
{
	uint32_t dn = dst->channels, sn = src->channels;
	bool discrete = interp == INTERP_DISCRETE || !is_layout(dn) || !is_layout(sn);

	assert(dn >= 1 && dn <= dst->capacity);
	if (dst->borrowed)
		unborrow(dst, false);
	dst->silent = false;
	if (src->silent) {
		zero_channels(dst, 0, dn);
	} else if (dn == sn || (discrete && dn < sn)) {
		for (uint32_t c = 0; c < dn; c++)
			copy_channel(dst->data[c], src->data[c]);
	} else if (discrete || (sn == STEREO && dn > sn)) {
		/* up-mix that keeps channel positions: copy, then silence the rest */
		for (uint32_t c = 0; c < sn; c++)
			copy_channel(dst->data[c], src->data[c]);
		zero_channels(dst, sn, dn);
	} else if (sn == MONO && dn == STEREO) {
		copy_channel(dst->data[L], src->data[0]);
		copy_channel(dst->data[R], src->data[0]);
	} else if (sn == STEREO && dn == MONO) {
		set2k(dst->data[0], src->data[L], src->data[R], 0.5f);
	} else {
		zero_channels(dst, 0, dn);
		if (dn > sn)
			mix_up(dst->data, src->data, dn, sn);
		else
			mix_down(dst->data, src->data, dn, sn);
	}
}

uint32_t bus_computed_channels(enum count_mode mode, uint32_t count, uint32_t max_in)
{
	/* an input with nothing connected still carries one (silent) channel */
	uint32_t max = max_in ? max_in : 1;

	switch (mode) {
	case COUNT_MAX:
		return max;
	case COUNT_CLAMPED_MAX:
		return max < count ? max : count;
	case COUNT_EXPLICIT:
		return count;
	}
	return count;
}
