/* DelayNode: one ring buffer per channel, read at a-rate delays with linear interpolation.
 * init and fini: control thread.  process, process_read and process_write: render thread;
 * no allocation, no locks. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

enum { DELAY_TIME };

/* delayTime's maximum is the node's maxDelayTime, set per node in init */
static const struct param_desc delay_params[] = {
	[DELAY_TIME] = { .name = "delayTime", .def = 0.0f, .min = 0.0f, .max = 180.0f },
};

#define MAX_DELAY_LIMIT 180.0		/* s; maxDelayTime must be below it */
#define RING_ALIGN 64			/* bytes, as bus.h promises for channel data */
/* address space one node's ring may take.  the block is calloc'ed and only the channels
 * actually used are ever written, so what is resident follows the real channel count. */
#define RING_BUDGET ((size_t)1 << 30)

struct delay {
	struct node node;
	struct param_desc time_desc;	/* delayTime, with max = maxDelayTime */
	double max_delay;		/* s */
	uint32_t len;			/* ring length, frames, a multiple of QUANTUM */
	uint32_t capacity;		/* channels the ring has */
	void *mem;			/* the block the channels live in */
	float *ring[MAX_CHANNELS];	/* each len frames; frame f lives at f % len */
	/* per QUANTUM-frame slot of the ring: the channel count of the input written there,
	 * before it was up-mixed to the ring's layout (0: silence) */
	uint8_t *slot_chans;
	struct bus scratch;		/* capacity channels, for re-mixing */
	/* render */
	uint32_t chans;			/* the ring's channel layout, and the output's count */
	uint64_t wide_until;		/* frame from which no readable slot is `chans` wide */
	uint64_t quiet_at;		/* frame from which the ring holds only zeros */
};

/* --- channel layout -------------------------------------------------------------------
 * the spec wants every delayed sample mixed to the prevailing layout.  the ring holds
 * `chans` channels: narrower input is up-mixed on the way in, wider input widens the whole
 * ring at once, and the ring narrows again once nothing wider than the input is readable.
 * both re-layouts start from each slot's original input, recovered from the up-mix
 * (speaker up-mixes only copy channels into place), so no down-mix is ever applied to an
 * up-mix. */

static bool is_layout(uint32_t c)
{
	return c == 1 || c == 2 || c == 4 || c == 6;
}

/* where the up-mix from k channels to `to` put each of the k input channels */
static void upmix_positions(uint32_t k, uint32_t to, enum interp interp, uint32_t pos[])
{
	for (uint32_t j = 0; j < k; j++)
		pos[j] = j;
	if (interp == INTERP_DISCRETE || k == to || !is_layout(k) || !is_layout(to))
		return;
	if (k == 1 && to == 6) {
		pos[0] = 2;		/* mono goes to C */
	} else if (k == 4 && to == 6) {
		pos[2] = 4;		/* quad's surrounds move to 5.1's SL, SR */
		pos[3] = 5;
	}
}

static void ring_copy_in(struct delay *d, const struct bus *src, uint32_t base, uint32_t n)
{
	for (uint32_t c = 0; c < n; c++)
		memcpy(d->ring[c] + base, src->data[c], QUANTUM * sizeof(float));
}

static void ring_zero(struct delay *d, uint32_t base, uint32_t from, uint32_t to)
{
	for (uint32_t c = from; c < to; c++)
		memset(d->ring[c] + base, 0, QUANTUM * sizeof(float));
}

/* re-mix every slot but `skip` (about to be overwritten) from d->chans channels to `to` */
static void ring_relayout(struct delay *d, uint32_t to, uint32_t skip)
{
	enum interp interp = d->node.cfg.interp;
	uint32_t from = d->chans, nslots = d->len / QUANTUM, pos[MAX_CHANNELS];

	for (uint32_t s = 0; s < nslots; s++) {
		uint32_t k = d->slot_chans[s], base = s * QUANTUM;
		struct bus src = { .channels = k, .capacity = k, .silent = false };
		if (s == skip)
			continue;
		if (k == 0) {
			/* channels below `from` are zero already */
			ring_zero(d, base, from, to);
			continue;
		}
		upmix_positions(k, from, interp, pos);
		for (uint32_t j = 0; j < k; j++)
			src.data[j] = d->ring[pos[j]] + base;
		d->scratch.channels = to;
		bus_copy_mix(&d->scratch, &src, interp);
		ring_copy_in(d, &d->scratch, base, to);
	}
	d->chans = to;
}

/* nothing `chans` wide is readable any more: narrow to the widest readable input */
static void ring_narrow(struct delay *d, uint32_t c, uint64_t frame, uint32_t slot)
{
	uint32_t nslots = d->len / QUANTUM, m = c ? c : 1, newest = UINT32_MAX;

	for (uint32_t s = 0; s < nslots; s++)
		if (s != slot && d->slot_chans[s] > m)
			m = d->slot_chans[s];
	/* the slot age (in slots before `slot`) of the newest m-wide input decides how long
	 * the ring must stay m wide */
	for (uint32_t s = 0; s < nslots; s++) {
		uint32_t age = (slot + nslots - s) % nslots;
		if (s != slot && d->slot_chans[s] == m && age < newest)
			newest = age;
	}
	if (m < d->chans)
		ring_relayout(d, m, slot);
	if (newest == UINT32_MAX)
		d->wide_until = frame + d->len;
	else
		d->wide_until = frame + d->len - (uint64_t)newest * QUANTUM;
}

/* --- writing ---------------------------------------------------------------------------- */

static void delay_write(struct delay *d, const struct bus *in, uint64_t frame)
{
	uint32_t base = (uint32_t)(frame % d->len), slot = base / QUANTUM;
	uint32_t c = in->silent ? 0 : in->channels < d->capacity ? in->channels : d->capacity;

	if (c == 0 && frame >= d->quiet_at)
		return;		/* the ring is all zeros and stays so */
	if (c > d->chans)
		ring_relayout(d, c, slot);
	else if (c < d->chans && frame >= d->wide_until)
		ring_narrow(d, c, frame, slot);
	if (c == 0) {
		ring_zero(d, base, 0, d->chans);
	} else if (c == d->chans && in->channels == c) {
		ring_copy_in(d, in, base, c);
	} else {
		/* up-mix to the ring's layout, or down-mix what exceeds its capacity */
		d->scratch.channels = d->chans;
		bus_copy_mix(&d->scratch, in, d->node.cfg.interp);
		ring_copy_in(d, &d->scratch, base, d->chans);
	}
	d->slot_chans[slot] = (uint8_t)c;
	if (c)
		d->quiet_at = frame + d->len;
	if (c == d->chans)
		d->wide_until = frame + d->len;
}

/* --- reading ---------------------------------------------------------------------------- */

static float lerp(const float *r, uint32_t k, uint32_t k2, double fr)
{
	return (float)((1.0 - fr) * r[k] + fr * r[k2]);
}

/* out[i] = ring at k0 + i + fr (mod len): runs that do not wrap are plain loops */
static void read_const(const float *restrict r, uint32_t len, uint32_t k0, double fr,
		       float *restrict out)
{
	uint32_t i = 0, k = k0;

	while (i < QUANTUM) {
		uint32_t run = len - 1 - k;	/* samples whose k + 1 does not wrap */
		if (run > QUANTUM - i)
			run = QUANTUM - i;
		if (run == 0) {
			out[i++] = lerp(r, k, 0, fr);
			k = 0;
			continue;
		}
		if (fr == 0) {
			memcpy(out + i, r + k, run * sizeof(float));
		} else {
			for (uint32_t j = 0; j < run; j++)
				out[i + j] = (float)((1.0 - fr) * r[k + j] + fr * r[k + j + 1]);
		}
		i += run;
		k += run;
	}
}

/* delayTime in frames, within [lo, hi].  the product is rounded to float, as the reference
 * engines compute it: a delayTime of 365 frames given in seconds (0.0038020833 at 96 kHz, a
 * float 7.75e-6 frame off) then delays by exactly 365 frames instead of interpolating */
static double delay_frames(float t, double sr, double lo, double hi)
{
	double f = (float)(t * (float)sr);

	return f < lo ? lo : f > hi ? hi : f;
}

/* whether any slot holding ring positions [k0, k0 + n] (mod len) was written from a
 * non-silent input */
static bool span_written(const struct delay *d, uint32_t k0, uint32_t n)
{
	uint32_t nslots = d->len / QUANTUM, s0 = k0 / QUANTUM;
	uint32_t count = (k0 % QUANTUM + n) / QUANTUM + 1;

	if (count > nslots)
		count = nslots;
	for (uint32_t j = 0; j < count; j++)
		if (d->slot_chans[(s0 + j) % nslots])
			return true;
	return false;
}

/* the ring positions this quantum reads with a non-zero weight, [*k0, *k0 + returned
 * count]: from the longest delay's to the shortest's, the frame after a read included when
 * the read is between two frames (an exact one weighs its neighbour by 0) */
static uint32_t read_span(const struct delay *d, const struct param *p, uint32_t w, double sr,
			  double lo, double hi, uint32_t *k0)
{
	float tmin = p->values[0], tmax = p->values[0];
	double first, last;

	for (uint32_t i = 1; !p->constant && i < QUANTUM; i++) {
		tmin = p->values[i] < tmin ? p->values[i] : tmin;
		tmax = p->values[i] > tmax ? p->values[i] : tmax;
	}
	/* delay_frames is monotonic, so these bound every frame's read position */
	first = floor((double)w - delay_frames(tmax, sr, lo, hi));
	last = ceil((double)(w + QUANTUM - 1) - delay_frames(tmin, sr, lo, hi));
	*k0 = (uint32_t)(first < 0 ? first + d->len : first) % d->len;
	return last - first < d->len ? (uint32_t)(last - first) : d->len;
}

/* does this quantum read any input that was not silence? */
static bool delayed_input(const struct delay *d, const struct param *p, uint32_t w, double sr,
			  double lo, double hi)
{
	uint32_t k0, n = read_span(d, p, w, sr, lo, hi, &k0);

	return span_written(d, k0, n);
}

static void delay_read(struct delay *d, const struct render_ctx *ctx, struct bus *out)
{
	struct node *n = &d->node;
	const struct param *p = &n->params[DELAY_TIME];
	double sr = n->sample_rate, hi = d->max_delay * sr;
	/* in a cycle, the spec clamps delayTime to at least one render quantum */
	double lo = n->in_cycle ? QUANTUM : 0;
	uint32_t w = (uint32_t)(ctx->frame % d->len);

	if (hi < lo)
		hi = lo;
	if (ctx->frame >= d->quiet_at) {
		bus_silence(out, 1);
		n->tail = false;
		return;
	}
	if (!delayed_input(d, p, w, sr, lo, hi)) {
		/* the delayed input is silence: the output is what a node that is not
		 * actively processing gives, one channel of silence.  the ring's width only
		 * shows once input that wide comes out (the spec's note: channel count
		 * changes are reflected after the delay time) */
		bus_silence(out, 1);
		n->tail = true;
		return;
	}
	if (p->constant) {
		double rp = (double)w - delay_frames(p->values[0], sr, lo, hi);
		uint32_t k0;
		if (rp < 0)
			rp += d->len;
		k0 = (uint32_t)rp;
		for (uint32_t c = 0; c < d->chans; c++)
			read_const(d->ring[c], d->len, k0 >= d->len ? 0 : k0, rp - k0,
				   out->data[c]);
	} else {
		for (uint32_t i = 0; i < QUANTUM; i++) {
			double rp = (double)(w + i) - delay_frames(p->values[i], sr, lo, hi);
			uint32_t k, k2;
			double fr;
			if (rp < 0)
				rp += d->len;
			k = (uint32_t)rp;
			fr = rp - k;
			if (k >= d->len)
				k = 0;
			k2 = k + 1 == d->len ? 0 : k + 1;
			for (uint32_t c = 0; c < d->chans; c++)
				out->data[c][i] = lerp(d->ring[c], k, k2, fr);
		}
	}
	out->channels = d->chans;
	out->silent = false;
	n->tail = true;
}

/* not in a cycle: write first, so delays below one quantum read this quantum's input */
static void delay_process(struct node *n, const struct render_ctx *ctx)
{
	struct delay *d = (struct delay *)n;

	delay_write(d, &n->in[0], ctx->frame);
	delay_read(d, ctx, &n->out[0]);
}

/* in a cycle: the output comes from earlier quanta only (delay >= one quantum) */
static void delay_process_read(struct node *n, const struct render_ctx *ctx)
{
	delay_read((struct delay *)n, ctx, &n->out[0]);
}

static void delay_process_write(struct node *n, const struct render_ctx *ctx)
{
	delay_write((struct delay *)n, &n->in[0], ctx->frame);
}

/* --- control side ------------------------------------------------------------------------ */

static int delay_option(struct delay *d, const struct option *o, struct error *err)
{
	static const char *const valid[] = { "maxDelayTime", NULL };
	double v;

	if (strcmp(o->name, "maxDelayTime") != 0)
		return node_bad_option(&d->node, o->name, valid, err);
	if (option_number(o, &v, err) < 0)
		return -1;
	if (!(v > 0 && v < MAX_DELAY_LIMIT))
		return err_set(err, ERR_NOT_SUPPORTED,
			       "maxDelayTime: %g is not in (0, 180) seconds", v);
	d->max_delay = v;
	return 0;
}

/* ring length: the longest delay, plus the quantum written before it is read, plus the
 * frame linear interpolation reads past it; whole quanta so writes never wrap */
static uint32_t ring_length(double max_delay, double sr)
{
	double longest = ceil(max_delay * sr);

	if (longest < QUANTUM)
		longest = QUANTUM;	/* the minimum delay in a cycle */
	return (uint32_t)((longest + QUANTUM + 1 + QUANTUM - 1) / QUANTUM) * QUANTUM;
}

static int delay_alloc(struct delay *d)
{
	size_t per = (size_t)d->len * sizeof(float), cap = RING_BUDGET / per;
	uintptr_t p;

	cap = cap < 2 ? 2 : cap > MAX_CHANNELS ? MAX_CHANNELS : cap;
	d->capacity = (uint32_t)cap;
	/* calloc leaves big blocks as untouched zero pages: channels never used cost nothing */
	d->mem = calloc(1, per * cap + RING_ALIGN);
	d->slot_chans = calloc(d->len / QUANTUM, 1);
	if (!d->mem || !d->slot_chans || bus_init(&d->scratch, d->capacity) < 0)
		return -1;
	p = ((uintptr_t)d->mem + RING_ALIGN - 1) & ~(uintptr_t)(RING_ALIGN - 1);
	for (uint32_t c = 0; c < d->capacity; c++)
		d->ring[c] = (float *)p + (size_t)c * d->len;
	return 0;
}

static int delay_init(struct node *n, const struct option *opts, size_t n_opts,
		      struct error *err)
{
	struct delay *d = (struct delay *)n;

	d->max_delay = 1.0;
	for (size_t i = 0; i < n_opts; i++)
		if (delay_option(d, &opts[i], err) < 0)
			return -1;
	d->time_desc = delay_params[DELAY_TIME];
	d->time_desc.max = (float)d->max_delay;
	n->params[DELAY_TIME].desc = &d->time_desc;
	d->len = ring_length(d->max_delay, n->sample_rate);
	if (delay_alloc(d) < 0)
		return err_set(err, ERR_INTERNAL, "out of memory for a %g s delay line",
			       d->max_delay);
	d->chans = 1;
	return 0;
}

static void delay_fini(struct node *n)
{
	struct delay *d = (struct delay *)n;

	free(d->mem);
	free(d->slot_chans);
	if (d->scratch.capacity)
		bus_fini(&d->scratch);
}

static void delay_options(const struct node *n,
			  void (*emit)(void *data, const char *name, const struct value *v),
			  void *data)
{
	struct value v = { .type = VALUE_NUMBER, .num = ((const struct delay *)n)->max_delay };

	emit(data, "maxDelayTime", &v);
}

const struct node_kind delay_kind = {
	.options = delay_options,
	.name = "DelayNode",
	.size = sizeof(struct delay),
	.inputs = 1,
	.outputs = 1,
	.channel_count = 2,
	.count_mode = COUNT_MAX,
	.interp = INTERP_SPEAKERS,
	.params = delay_params,
	.n_params = 1,
	.breaks_cycles = true,
	.init = delay_init,
	.process = delay_process,
	.process_read = delay_process_read,
	.process_write = delay_process_write,
	.fini = delay_fini,
};
