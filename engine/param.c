/* AudioParam: the automation event list as scheduled (control side), its compiled
 * immutable copy (render side) and the per-quantum value computation.
 * param_init/prepare/update_free/fini/model_value_at: control thread only.
 * param_commit/param_compute: render thread; no allocation, locks, logging or blocking. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "param.h"

enum ev_type { EV_SET, EV_LINEAR, EV_EXP, EV_TARGET, EV_CURVE };

struct event {
	enum ev_type type;
	bool pinned;		/* first event after pruning: its derived fields are final */
	uint32_t n;		/* curve: number of values */
	const float *curve;	/* model: owned copy; render: points into the tl_render block */
	double time;		/* s: start (set, target, curve) or end (ramps) */
	double value;		/* set value, ramp end value, target value */
	double tau;		/* target: time constant (s); curve: duration (s) */
	double cut;		/* curve: end of its effective interval (s) */
	double inserted;	/* ramps: context time when scheduled (matters after a setTarget) */
	/* derived by timeline_derive() from the events before */
	double t0, v0;		/* ramps: where they start; target: value at its start */
	double rate;		/* linear: 1/(t1-t0) as a float; exp: ln(v1/v0)/(t1-t0); curve: (N-1)/dur */
	bool hold;		/* exp: v0 is 0 or of the other sign, so v0 holds until the end */
	double end_time;	/* s: where a ramp scheduled after this event starts */
	double end_value;	/* and the value it starts from */
};

/* control side */
struct timeline {
	struct event *ev;
	uint32_t n, cap;
	size_t curve_total;	/* floats held by all curves, to size the render copy */
};

/* render side: n events, then the curves' values, in one allocation */
struct tl_render {
	uint32_t n;
	struct event ev[];
};

struct param_update {
	const struct tl_render *tl;
	float intrinsic;
	bool k_rate;
	uint32_t seq;			/* p->model_seq when prepared */
	/* the model as it was before the change, for param_undo */
	struct timeline *undo;
	float undo_intrinsic;
	bool undo_k_rate;
};

/* a stretch of time over which one formula gives the value */
enum seg_kind { SEG_CONST, SEG_LINEAR, SEG_EXP, SEG_TARGET, SEG_CURVE };

struct seg {
	enum seg_kind kind;
	double t0, v0, v1, rate;
	const float *curve;
	uint32_t n;
	double end;		/* s: the formula holds for t < end */
};

#define CURSOR_UNKNOWN UINT32_MAX

/* ---- evaluation, shared by the model and the renderer ---------------------------------- */

static bool is_ramp(enum ev_type t)
{
	return t == EV_LINEAR || t == EV_EXP;
}

/* the spec's curve interpolation: k = floor((N-1)/duration * (t-T0)), linear between
 * V[k] and V[k+1]; past the last value it holds V[N-1] */
static double curve_at(const float *v, uint32_t n, double rate, double dt)
{
	double x = rate * dt, k;

	if (!(x > 0))
		return v[0];
	k = floor(x);
	if (k >= (double)(n - 1))
		return v[n - 1];
	return v[(uint32_t)k] + (v[(uint32_t)k + 1] - (double)v[(uint32_t)k]) * (x - k);
}

static double target_at(const struct event *e, double t)
{
	if (e->tau == 0)
		return e->value;
	return e->value + (e->v0 - e->value) * exp(-(t - e->time) / e->tau);
}

/* the value e's own formula gives at t >= e->time when no ramp follows it */
static double event_after(const struct event *e, double t)
{
	switch (e->type) {
	case EV_TARGET:
		return target_at(e, t);
	case EV_CURVE:
		return t < e->cut ? curve_at(e->curve, e->n, e->rate, t - e->time) : e->end_value;
	default:
		return e->value;
	}
}

/* number of events with time <= t */
static uint32_t upper_bound(const struct event *ev, uint32_t n, double t)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (ev[mid].time <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* number of events with time < t */
static uint32_t lower_bound(const struct event *ev, uint32_t n, double t)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (ev[mid].time < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void ramp_seg(const struct event *e, struct seg *s)
{
	s->t0 = e->t0;
	s->v0 = e->v0;
	s->end = e->time;
	if (e->type == EV_LINEAR) {
		s->kind = SEG_LINEAR;
		s->rate = e->rate;
		s->v1 = e->value;
	} else if (e->hold) {
		s->kind = SEG_CONST;
	} else {
		s->kind = SEG_EXP;
		s->rate = e->rate;
	}
}

/* the segment in force at t, where c events have time <= t; s->end > t always */
static struct seg seg_at(const struct event *ev, uint32_t n, double intrinsic, uint32_t c,
			 double t)
{
	struct seg s = { .kind = SEG_CONST, .v0 = intrinsic, .end = INFINITY };
	const struct event *e;

	if (c < n) {
		s.end = ev[c].time;
		if (is_ramp(ev[c].type)) {
			if (t >= ev[c].t0) {
				ramp_seg(&ev[c], &s);
				return s;
			}
			/* a ramp after a setTarget that had started when it was scheduled */
			s.end = ev[c].t0;
		}
	}
	if (c == 0)
		return s;
	e = &ev[c - 1];
	switch (e->type) {
	case EV_TARGET:
		if (e->tau == 0) {
			s.v0 = e->value;
			break;
		}
		s.kind = SEG_TARGET;
		s.t0 = e->time;
		s.v0 = e->v0;
		s.v1 = e->value;
		s.rate = 1.0 / e->tau;
		break;
	case EV_CURVE:
		if (t >= e->cut) {
			s.v0 = e->end_value;
			break;
		}
		s.kind = SEG_CURVE;
		s.t0 = e->time;
		s.rate = e->rate;
		s.curve = e->curve;
		s.n = e->n;
		if (e->cut < s.end)
			s.end = e->cut;
		break;
	default:
		s.v0 = e->value;
		break;
	}
	return s;
}

/* v0 + (v1 - v0) * (t - t0) / (t1 - t0), in single precision where Chromium's timeline
 * computes it (its float rounding of the fraction is what the reference renders hold; in
 * double the error of a k-rate playbackRate ramp accumulates into the playhead) */
static double lin_value(const struct seg *s, double t)
{
	const float v0 = (float)s->v0, dv = (float)s->v1 - v0;
	const float mult = (float)(s->rate * (t - s->t0));

	return v0 + dv * mult;
}

static double seg_value(const struct seg *s, double t)
{
	switch (s->kind) {
	case SEG_LINEAR:
		return lin_value(s, t);
	case SEG_EXP:
		return s->v0 * exp(s->rate * (t - s->t0));
	case SEG_TARGET:
		return s->v1 + (s->v0 - s->v1) * exp(-(t - s->t0) * s->rate);
	case SEG_CURVE:
		return curve_at(s->curve, s->n, s->rate, t - s->t0);
	default:
		return s->v0;
	}
}

static double events_value_at(const struct event *ev, uint32_t n, double intrinsic, double t)
{
	struct seg s = seg_at(ev, n, intrinsic, upper_bound(ev, n, t), t);

	return seg_value(&s, t);
}

/* ---- render ----------------------------------------------------------------------------- */

/* count of events with time <= t, moving forward from the last position: O(1) per quantum
 * in the steady state; a fresh timeline (or time going backwards) searches once */
static uint32_t cursor_seek(const struct tl_render *tl, uint32_t c, double t)
{
	if (c > tl->n || (c > 0 && tl->ev[c - 1].time > t))
		return upper_bound(tl->ev, tl->n, t);
	while (c < tl->n && tl->ev[c].time <= t)
		c++;
	return c;
}

/* first k in (from, QUANTUM] whose frame time reaches `end`, by the same division the
 * per-frame times use, so event times are honoured exactly and not rounded to frames */
static uint32_t seg_frames(double end, uint64_t frame, uint32_t from, double rate)
{
	uint64_t j, lo = frame + from + 1, hi = frame + QUANTUM - 1;
	double f;

	if (!(end <= (double)hi / rate))
		return QUANTUM;
	f = ceil(end * rate);
	j = f < (double)lo ? lo : f > (double)hi ? hi : (uint64_t)f;
	while (j > lo && (double)(j - 1) / rate >= end)
		j--;
	while ((double)j / rate < end)
		j++;
	return (uint32_t)(j - frame);
}

/* frame times are (frame + k) / rate in double; the integer sum is exact, and an int
 * to double conversion vectorises where a 64-bit one does not */
static void seg_fill(const struct seg *s, float *out, uint64_t frame, uint32_t a, uint32_t b,
		     double rate)
{
	double base = (double)frame, e, step;
	int k;

	switch (s->kind) {
	case SEG_CONST:
		for (k = (int)a; k < (int)b; k++)
			out[k] = (float)s->v0;
		break;
	case SEG_LINEAR:
		for (k = (int)a; k < (int)b; k++)
			out[k] = (float)lin_value(s, (base + k) / rate);
		break;
	case SEG_EXP:
		/* exp() once per segment, then a product: drift over a quantum is ~1e-14 */
		e = exp(s->rate * ((base + a) / rate - s->t0));
		step = exp(s->rate / rate);
		for (k = (int)a; k < (int)b; k++, e *= step)
			out[k] = (float)(s->v0 * e);
		break;
	case SEG_TARGET:
		e = exp(-((base + a) / rate - s->t0) * s->rate);
		step = exp(-s->rate / rate);
		for (k = (int)a; k < (int)b; k++, e *= step)
			out[k] = (float)(s->v1 + (s->v0 - s->v1) * e);
		break;
	default:
		for (k = (int)a; k < (int)b; k++)
			out[k] = (float)seg_value(s, (base + k) / rate);
		break;
	}
}

/* a constant segment that no event ends: the value holds from here on */
static bool seg_final(const struct seg *s)
{
	return s->kind == SEG_CONST && s->end == INFINITY;
}

/* a-rate automation for one quantum; returns true when every value is the same.  *final:
 * the whole quantum is one final segment */
static bool tl_fill(const struct tl_render *tl, uint32_t *cursor, float intrinsic,
		    uint64_t frame, double rate, float *out, bool *final)
{
	uint32_t k = 0, c = *cursor;
	bool constant = true;

	*final = true;

	while (k < QUANTUM) {
		double t = (double)(frame + k) / rate;
		struct seg s;
		uint32_t end;

		c = cursor_seek(tl, c, t);
		s = seg_at(tl->ev, tl->n, intrinsic, c, t);
		end = seg_frames(s.end, frame, k, rate);
		seg_fill(&s, out, frame, k, end, rate);
		if (s.kind != SEG_CONST || out[k] != out[0])
			constant = false;
		*final = *final && k == 0 && seg_final(&s);
		k = end;
	}
	*cursor = c;
	return constant;
}

/* NaN (an input of NaN, or inf - inf) becomes the default, then the nominal range applies */
static void finish(float *v, uint32_t n, const struct param_desc *d)
{
	float def = d->def, lo = d->min, hi = d->max;
	uint32_t k;

	for (k = 0; k < n; k++) {
		float x = v[k] != v[k] ? def : v[k];
		v[k] = x < lo ? lo : x > hi ? hi : x;
	}
}

void param_compute(struct param *p, uint64_t frame, double sample_rate, const float *input)
{
	const struct tl_render *tl = p->tl;
	float first, *out = p->values;
	bool constant = true, final = true;
	uint32_t k;

	/* no automation left and no input: values[] hold what an earlier quantum computed,
	 * which is what this one would */
	if (p->settled && input == NULL)
		return;
	/* a static param whose values[] hold its value: as they are.  that includes the
	 * initial values param_init wrote, which are not clamped to the nominal range (an
	 * out-of-range initial value plays unclamped until something changes the param);
	 * kept as it always was */
	if (tl == NULL && input == NULL && p->constant && p->values[0] == p->intrinsic_r) {
		p->settled = true;
		return;
	}
	if (tl == NULL) {
		first = p->intrinsic_r;
	} else if (p->k_rate) {
		double t = (double)frame / sample_rate;
		struct seg s;

		p->cursor = cursor_seek(tl, p->cursor, t);
		s = seg_at(tl->ev, tl->n, p->intrinsic_r, p->cursor, t);
		first = (float)seg_value(&s, t);
		final = seg_final(&s);
	} else {
		constant = tl_fill(tl, &p->cursor, p->intrinsic_r, frame, sample_rate, out, &final);
		first = out[0];
	}
	/* [[current value]]: the intrinsic value at the start of the quantum */
	atomic_store_explicit(&p->last, first, memory_order_relaxed);

	if (constant) {
		/* k-rate: the input is sampled with the rest at the first frame */
		float v = input ? first + input[0] : first;

		if (input && !p->k_rate) {
			for (k = 0; k < QUANTUM; k++)
				out[k] = first + input[k];
			constant = false;
		} else {
			finish(&v, 1, p->desc);
			for (k = 0; k < QUANTUM; k++)
				out[k] = v;
		}
	} else if (input) {
		for (k = 0; k < QUANTUM; k++)
			out[k] += input[k];
	}
	if (!constant)
		finish(out, QUANTUM, p->desc);
	p->constant = constant;
	p->settled = final && constant && input == NULL;
}

void param_commit(struct param *p, struct param_update *u)
{
	const struct tl_render *tl = p->tl;
	float intrinsic = p->intrinsic_r;
	bool k_rate = p->k_rate;

	if (u->seq <= p->render_seq)
		return;
	p->render_seq = u->seq;
	p->tl = u->tl;
	p->intrinsic_r = u->intrinsic;
	p->k_rate = u->k_rate;
	p->cursor = CURSOR_UNKNOWN;
	p->settled = false;
	u->tl = tl;
	u->intrinsic = intrinsic;
	u->k_rate = k_rate;
}

/* ---- control: the model ---------------------------------------------------------------- */

static void timeline_free(struct timeline *tl)
{
	uint32_t i;

	if (tl == NULL)
		return;
	for (i = 0; i < tl->n; i++)
		free((void *)tl->ev[i].curve);
	free(tl->ev);
	free(tl);
}

/* a deep copy: events and their curves */
static struct timeline *timeline_clone(const struct timeline *tl)
{
	struct timeline *c = calloc(1, sizeof(*c));
	uint32_t i;

	if (c == NULL)
		return NULL;
	c->ev = malloc((tl->n ? tl->n : 1) * sizeof(*c->ev));
	if (c->ev == NULL) {
		free(c);
		return NULL;
	}
	c->cap = tl->n ? tl->n : 1;
	c->curve_total = tl->curve_total;
	for (i = 0; i < tl->n; i++) {
		c->ev[i] = tl->ev[i];
		c->ev[i].curve = NULL;
		c->n = i + 1;
		if (tl->ev[i].curve) {
			float *v = malloc(tl->ev[i].n * sizeof(*v));
			if (v == NULL) {
				timeline_free(c);
				return NULL;
			}
			memcpy(v, tl->ev[i].curve, tl->ev[i].n * sizeof(*v));
			c->ev[i].curve = v;
		}
	}
	return c;
}

static int timeline_reserve(struct timeline *tl, uint32_t n)
{
	struct event *ev;
	uint32_t cap;

	if (n <= tl->cap)
		return 0;
	cap = tl->cap ? tl->cap * 2 : 8;
	while (cap < n)
		cap *= 2;
	ev = realloc(tl->ev, cap * sizeof(*ev));
	if (ev == NULL)
		return -1;
	tl->ev = ev;
	tl->cap = cap;
	return 0;
}

/* drops events [from, n) */
static void timeline_truncate(struct timeline *tl, uint32_t from)
{
	while (tl->n > from) {
		struct event *e = &tl->ev[--tl->n];
		if (e->type == EV_CURVE) {
			tl->curve_total -= e->n;
			free((void *)e->curve);
		}
	}
}

/* events scheduled so far that no longer matter: only the last two events before `now`
 * are kept (the last one may be a curve that cancelScheduledValues(now) removes), with
 * their derived fields pinned.  keeps a long session's list short. */
static void timeline_prune(struct timeline *tl, double now)
{
	uint32_t k = lower_bound(tl->ev, tl->n, now), drop, i;

	if (k <= 2)
		return;
	drop = k - 2;
	for (i = 0; i < drop; i++) {
		if (tl->ev[i].type == EV_CURVE) {
			tl->curve_total -= tl->ev[i].n;
			free((void *)tl->ev[i].curve);
		}
	}
	memmove(tl->ev, tl->ev + drop, (tl->n - drop) * sizeof(*tl->ev));
	tl->n -= drop;
	tl->ev[0].pinned = true;
}

/* after existing events at the same time (the spec's rule); capacity is reserved */
static void timeline_insert(struct timeline *tl, const struct event *e)
{
	uint32_t i = upper_bound(tl->ev, tl->n, e->time);

	/* a setValue right after another at the same time makes the earlier one unobservable:
	 * nothing can be put between them later, and they are cancelled together */
	if (e->type == EV_SET && i > 0 && tl->ev[i - 1].type == EV_SET &&
	    tl->ev[i - 1].time == e->time && !tl->ev[i - 1].pinned) {
		tl->ev[i - 1].value = e->value;
		return;
	}
	memmove(tl->ev + i + 1, tl->ev + i, (tl->n - i) * sizeof(*tl->ev));
	tl->ev[i] = *e;
	tl->n++;
	if (e->type == EV_CURVE)
		tl->curve_total += e->n;
}

/* where a ramp after `prev` starts: the previous event's time and value, except after a
 * setTarget, where it is the target's start if it had not started when the ramp was
 * scheduled (the ramp replaces it), else the time of scheduling and the value then */
static void ramp_start(const struct event *e, const struct event *prev, double *t0, double *v0)
{
	if (prev == NULL) {
		*t0 = e->time;
		*v0 = e->value;
	} else if (prev->type == EV_TARGET) {
		if (prev->time >= e->inserted) {
			*t0 = prev->time;
			*v0 = prev->v0;
		} else {
			*t0 = e->inserted;
			*v0 = target_at(prev, e->inserted);
		}
	} else {
		*t0 = prev->end_time;
		*v0 = prev->end_value;
	}
	if (*t0 > e->time)
		*t0 = e->time;
}

static void event_derive(struct event *e, const struct event *prev, double intrinsic)
{
	double span;

	if (e->pinned)
		return;
	e->end_time = e->time;
	e->end_value = e->value;
	switch (e->type) {
	case EV_LINEAR:
	case EV_EXP:
		ramp_start(e, prev, &e->t0, &e->v0);
		span = e->time - e->t0;
		e->rate = 0;
		if (e->type == EV_LINEAR) {
			/* 1/span, rounded as single-precision engines round it (see lin_value) */
			if (span > 0)
				e->rate = (float)(1 / span);
		} else {
			e->hold = e->v0 == 0 || e->value == 0 || (e->v0 < 0) != (e->value < 0);
			if (!e->hold && span > 0)
				e->rate = log(e->value / e->v0) / span;
		}
		/* a span so short that the rate overflows (1/1e-45 is no float): the only frame
		 * time inside [t0, t0 + span) is t0 itself, whose value is v0, where inf * 0
		 * would make a NaN (and so the default value) */
		if (!isfinite(e->rate))
			e->rate = 0;
		break;
	case EV_TARGET:
		e->v0 = prev ? event_after(prev, e->time) : intrinsic;
		break;
	case EV_CURVE:
		e->rate = (double)(e->n - 1) / e->tau;
		e->end_time = e->cut;
		e->end_value = e->cut >= e->time + e->tau ? e->curve[e->n - 1] :
			curve_at(e->curve, e->n, e->rate, e->cut - e->time);
		break;
	default:
		break;
	}
}

static void timeline_derive(struct timeline *tl, double intrinsic)
{
	uint32_t i;

	for (i = 0; i < tl->n; i++)
		event_derive(&tl->ev[i], i ? &tl->ev[i - 1] : NULL, intrinsic);
}

/* the curve whose interval [start, cut) holds t, if any: later events cannot fall inside
 * a curve, so it can only be the last event at or before t */
static const struct event *curve_over(const struct timeline *tl, double t)
{
	uint32_t i = upper_bound(tl->ev, tl->n, t);

	if (i > 0 && tl->ev[i - 1].type == EV_CURVE && t < tl->ev[i - 1].cut)
		return &tl->ev[i - 1];
	return NULL;
}

/* ---- control: methods -------------------------------------------------------------------- */

enum method { M_SET, M_LINEAR, M_EXP, M_TARGET, M_CURVE, M_CANCEL, M_HOLD, M_VALUE, M_RATE };

static const struct {
	const char *name;
	size_t nargs;
	const char *args[3];
} methods[] = {
	[M_SET] = { "setValueAtTime", 2, { "value", "startTime" } },
	[M_LINEAR] = { "linearRampToValueAtTime", 2, { "value", "endTime" } },
	[M_EXP] = { "exponentialRampToValueAtTime", 2, { "value", "endTime" } },
	[M_TARGET] = { "setTargetAtTime", 3, { "target", "startTime", "timeConstant" } },
	[M_CURVE] = { "setValueCurveAtTime", 2, { "startTime", "duration" } },
	[M_CANCEL] = { "cancelScheduledValues", 1, { "cancelTime" } },
	[M_HOLD] = { "cancelAndHoldAtTime", 1, { "cancelTime" } },
	[M_VALUE] = { "value", 1, { "value" } },
	[M_RATE] = { "automationRate", 0, { NULL } },
};
#define N_METHODS (sizeof(methods) / sizeof(methods[0]))

/* a validated call: times already clamped to now */
struct call {
	enum method m;
	double value;		/* value, target (as float, per WebIDL) */
	double time;		/* startTime, endTime, cancelTime */
	double extra;		/* timeConstant, duration */
	bool k_rate;
};

static int find_method(const char *name, enum method *m, struct error *err)
{
	const char *names[N_METHODS], *near;
	size_t i;

	for (i = 0; i < N_METHODS; i++) {
		names[i] = methods[i].name;
		if (strcmp(name, methods[i].name) == 0) {
			*m = (enum method)i;
			return 0;
		}
	}
	near = err_suggest(name, names, (int)N_METHODS);
	if (near)
		return err_set(err, ERR_BAD_REQUEST, "unknown AudioParam method \"%s\" (did you "
			       "mean \"%s\"?)", name, near);
	return err_set(err, ERR_BAD_REQUEST, "unknown AudioParam method \"%s\"", name);
}

/* WebIDL double: a non-finite number is a TypeError */
static int check_finite(enum method m, int arg, double v, struct error *err)
{
	if (isfinite(v))
		return 0;
	return err_set(err, ERR_INVALID_VALUE, "%s: %s must be a finite number, got %g",
		       methods[m].name, methods[m].args[arg], v);
}

/* WebIDL float: also a TypeError when it does not fit a float */
static int check_float(enum method m, int arg, double v, double *out, struct error *err)
{
	if (check_finite(m, arg, v, err) < 0)
		return -1;
	if (!isfinite((float)v))
		return err_set(err, ERR_INVALID_VALUE, "%s: %s %g is out of the range of a float",
			       methods[m].name, methods[m].args[arg], v);
	*out = (float)v;
	return 0;
}

static int check_time(enum method m, int arg, double v, double now, double *out,
		      struct error *err)
{
	if (check_finite(m, arg, v, err) < 0)
		return -1;
	if (v < 0)
		return err_set(err, ERR_INVALID_VALUE, "%s: %s must be >= 0, got %g",
			       methods[m].name, methods[m].args[arg], v);
	*out = v < now ? now : v;
	return 0;
}

static int check_curve(const float *curve, size_t n, struct error *err)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isfinite(curve[i]))
			return err_set(err, ERR_INVALID_VALUE, "setValueCurveAtTime: values[%zu] "
				       "must be a finite number, got %g", i, (double)curve[i]);
	if (n < 2)
		return err_set(err, ERR_INVALID_STATE, "setValueCurveAtTime: values must hold at "
			       "least 2 numbers, got %zu", n);
	if (n > UINT32_MAX)
		return err_set(err, ERR_INVALID_VALUE, "setValueCurveAtTime: too many values");
	return 0;
}

static int check_rate(const struct param *p, const char *rate, struct call *c,
		      struct error *err)
{
	if (rate == NULL)
		return err_set(err, ERR_BAD_REQUEST, "automationRate: a rate is required");
	if (strcmp(rate, "a-rate") == 0)
		c->k_rate = false;
	else if (strcmp(rate, "k-rate") == 0)
		c->k_rate = true;
	else
		return err_set(err, ERR_INVALID_VALUE, "automationRate: must be \"a-rate\" or "
			       "\"k-rate\", got \"%s\"", rate);
	if (p->desc->fixed_rate && c->k_rate != p->desc->k_rate)
		return err_set(err, ERR_INVALID_STATE, "automationRate: %s must stay \"%s\"",
			       p->desc->name ? p->desc->name : "this AudioParam",
			       p->desc->k_rate ? "k-rate" : "a-rate");
	return 0;
}

/* the argument checks of the spec's methods, in WebIDL order (TypeError, then RangeError) */
static int check_args(const struct param *p, struct call *c, const double *a, size_t nargs,
		      const float *curve, size_t ncurve, const char *rate, double now,
		      struct error *err)
{
	enum method m = c->m;

	if (nargs != methods[m].nargs)
		return err_set(err, ERR_BAD_REQUEST, "%s: expects %zu argument%s, got %zu",
			       methods[m].name, methods[m].nargs, methods[m].nargs == 1 ? "" : "s",
			       nargs);
	switch (m) {
	case M_SET:
	case M_LINEAR:
	case M_EXP:
		if (check_float(m, 0, a[0], &c->value, err) < 0 ||
		    check_finite(m, 1, a[1], err) < 0)
			return -1;
		if (m == M_EXP && c->value == 0)
			return err_set(err, ERR_INVALID_VALUE,
				       "exponentialRampToValueAtTime: value must not be 0");
		return check_time(m, 1, a[1], now, &c->time, err);
	case M_TARGET:
		if (check_float(m, 0, a[0], &c->value, err) < 0 ||
		    check_finite(m, 1, a[1], err) < 0 ||
		    check_float(m, 2, a[2], &c->extra, err) < 0 ||
		    check_time(m, 1, a[1], now, &c->time, err) < 0)
			return -1;
		if (c->extra < 0)
			return err_set(err, ERR_INVALID_VALUE, "setTargetAtTime: timeConstant must "
				       "be >= 0, got %g", a[2]);
		return 0;
	case M_CURVE:
		if (check_curve(curve, curve ? ncurve : 0, err) < 0 ||
		    check_finite(m, 0, a[0], err) < 0 || check_finite(m, 1, a[1], err) < 0 ||
		    check_time(m, 0, a[0], now, &c->time, err) < 0)
			return -1;
		if (!(a[1] > 0))
			return err_set(err, ERR_INVALID_VALUE, "setValueCurveAtTime: duration must "
				       "be > 0, got %g", a[1]);
		c->extra = a[1];
		return 0;
	case M_CANCEL:
	case M_HOLD:
		return check_time(m, 0, a[0], now, &c->time, err);
	case M_VALUE:
		c->time = now;
		return check_float(m, 0, a[0], &c->value, err);
	case M_RATE:
		return check_rate(p, rate, c, err);
	}
	return 0;
}

/* NotSupportedError: no event may fall inside a curve's [start, end), and a curve may not
 * cover other events */
static int check_overlap(const struct timeline *tl, const struct call *c, struct error *err)
{
	const struct event *e;
	uint32_t i;

	if (c->m == M_CANCEL || c->m == M_HOLD || c->m == M_RATE)
		return 0;
	e = curve_over(tl, c->time);
	if (e)
		return err_set(err, ERR_NOT_SUPPORTED, "%s: time %g falls inside the value curve "
			       "from %g to %g", methods[c->m].name, c->time, e->time, e->cut);
	if (c->m != M_CURVE)
		return 0;
	i = upper_bound(tl->ev, tl->n, c->time);
	if (i < tl->n && tl->ev[i].time < c->time + c->extra)
		return err_set(err, ERR_NOT_SUPPORTED, "setValueCurveAtTime: the curve from %g to "
			       "%g would cover the event at %g", c->time, c->time + c->extra,
			       tl->ev[i].time);
	return 0;
}

static void apply_ramp(struct param *p, const struct call *c, double now)
{
	struct timeline *tl = p->model;
	struct event e = { .type = c->m == M_LINEAR ? EV_LINEAR : EV_EXP, .time = c->time,
			   .value = c->value, .inserted = now };

	/* no event before it: as if setValueAtTime(current value, currentTime) came first */
	if (upper_bound(tl->ev, tl->n, c->time) == 0) {
		struct event s = { .type = EV_SET, .time = now,
				   .value = events_value_at(tl->ev, tl->n, p->intrinsic, now) };
		timeline_insert(tl, &s);
	}
	timeline_insert(tl, &e);
}

/* the spec's cancelAndHoldAtTime algorithm */
static void apply_hold(struct param *p, double tc)
{
	struct timeline *tl = p->model;
	uint32_t i2 = upper_bound(tl->ev, tl->n, tc);
	double v = events_value_at(tl->ev, tl->n, p->intrinsic, tc);

	if (i2 < tl->n && is_ramp(tl->ev[i2].type)) {
		/* the same ramp, ending at tc at the value it would have had then */
		tl->ev[i2].time = tc;
		tl->ev[i2].value = v;
		timeline_truncate(tl, i2 + 1);
		return;
	}
	timeline_truncate(tl, i2);
	if (i2 == 0)
		return;
	if (tl->ev[i2 - 1].type == EV_TARGET) {
		struct event s = { .type = EV_SET, .time = tc, .value = v };
		timeline_insert(tl, &s);
	} else if (tl->ev[i2 - 1].type == EV_CURVE && tc == tl->ev[i2 - 1].time) {
		/* cut to a duration of 0 the curve plays none of its values, and it is an event
		 * at cancelTime, which the method cancels: what holds is the value before it.
		 * holding again at tc sees to an earlier setTarget */
		timeline_truncate(tl, i2 - 1);
		apply_hold(p, tc);
	} else if (tl->ev[i2 - 1].type == EV_CURVE && tc < tl->ev[i2 - 1].cut) {
		/* sampled with the original duration up to tc, then held */
		tl->ev[i2 - 1].cut = tc;
	}
}

/* cancelScheduledValues: events at or after t go, and a curve whose [start, end] holds t */
static void apply_cancel(struct timeline *tl, double t)
{
	uint32_t i = lower_bound(tl->ev, tl->n, t);

	if (i > 0 && tl->ev[i - 1].type == EV_CURVE && t <= tl->ev[i - 1].cut)
		i--;
	timeline_truncate(tl, i);
}

static void apply(struct param *p, const struct call *c, float *curve, size_t ncurve,
		  double now)
{
	struct event e = { .type = EV_SET, .time = c->time, .value = c->value };

	switch (c->m) {
	case M_VALUE:
		p->intrinsic = (float)c->value;
		/* fall through */
	case M_SET:
		timeline_insert(p->model, &e);
		break;
	case M_LINEAR:
	case M_EXP:
		apply_ramp(p, c, now);
		break;
	case M_TARGET:
		e.type = EV_TARGET;
		e.tau = c->extra;
		timeline_insert(p->model, &e);
		break;
	case M_CURVE:
		e.type = EV_CURVE;
		e.tau = c->extra;
		e.cut = c->time + c->extra;
		e.curve = curve;
		e.n = (uint32_t)ncurve;
		timeline_insert(p->model, &e);
		break;
	case M_CANCEL:
		apply_cancel(p->model, c->time);
		break;
	case M_HOLD:
		apply_hold(p, c->time);
		break;
	case M_RATE:
		p->model_k_rate = c->k_rate;
		break;
	}
}

/* ---- control: compile ------------------------------------------------------------------ */

static struct tl_render *tl_alloc(uint32_t n, size_t floats)
{
	return malloc(sizeof(struct tl_render) + n * sizeof(struct event) + floats * sizeof(float));
}

/* copies the model into a block sized by tl_alloc; NULL (and frees it) when empty */
static const struct tl_render *tl_build(struct tl_render *r, const struct timeline *tl)
{
	float *pool;
	uint32_t i;

	if (tl->n == 0) {
		free(r);
		return NULL;
	}
	r->n = tl->n;
	memcpy(r->ev, tl->ev, tl->n * sizeof(*tl->ev));
	pool = (float *)(r->ev + tl->n);
	for (i = 0; i < tl->n; i++) {
		if (r->ev[i].type != EV_CURVE)
			continue;
		memcpy(pool, r->ev[i].curve, r->ev[i].n * sizeof(float));
		r->ev[i].curve = pool;
		pool += r->ev[i].n;
	}
	return r;
}

/* when nothing changes from `now` on (every event is at or before it and the last one
 * holds a constant), the renderer needs no timeline: the held value is its intrinsic */
static bool tl_settled(const struct timeline *tl, double now, double *v)
{
	const struct event *e;

	if (tl->n == 0 || tl->ev[tl->n - 1].time > now)
		return false;
	e = &tl->ev[tl->n - 1];
	if ((e->type == EV_TARGET && e->tau != 0) || (e->type == EV_CURVE && e->cut > now))
		return false;
	*v = event_after(e, now);
	return true;
}

/* ---- control: public --------------------------------------------------------------------- */

int param_init(struct param *p, const struct param_desc *desc, float initial)
{
	uint32_t k;

	memset(p, 0, sizeof(*p));
	p->desc = desc;
	p->model = calloc(1, sizeof(*p->model));
	if (p->model == NULL)
		return -1;
	p->intrinsic = initial;
	p->model_k_rate = desc->k_rate;
	p->intrinsic_r = initial;
	p->k_rate = desc->k_rate;
	p->cursor = CURSOR_UNKNOWN;
	p->constant = true;
	atomic_init(&p->last, initial);
	for (k = 0; k < QUANTUM; k++)
		p->values[k] = initial;
	return 0;
}

void param_fini(struct param *p)
{
	timeline_free(p->model);
	free((void *)p->tl);
	p->model = NULL;
	p->tl = NULL;
}

int param_prepare(struct param *p, const char *method, const double *args, size_t nargs,
		  const float *curve, size_t ncurve, const char *rate_name, double now,
		  double sample_rate, struct param_update **out, struct error *err)
{
	struct timeline *tl = p->model;
	struct call c = { .k_rate = p->model_k_rate };
	struct param_update *u = NULL;
	struct tl_render *r = NULL;
	float *copy = NULL;
	double held;

	(void)sample_rate;
	if (find_method(method, &c.m, err) < 0 ||
	    check_args(p, &c, args, nargs, curve, ncurve, rate_name, now, err) < 0 ||
	    check_overlap(tl, &c, err) < 0)
		return -1;

	/* everything that can fail comes before the model changes */
	if (timeline_reserve(tl, tl->n + 2) < 0)
		goto error_oom;
	if (c.m == M_CURVE) {
		copy = malloc(ncurve * sizeof(*copy));
		if (copy == NULL)
			goto error_oom;
		memcpy(copy, curve, ncurve * sizeof(*copy));
	}
	u = calloc(1, sizeof(*u));
	r = tl_alloc(tl->n + 2, tl->curve_total + (copy ? ncurve : 0));
	if (u == NULL || r == NULL || (u->undo = timeline_clone(tl)) == NULL)
		goto error_oom;
	u->undo_intrinsic = p->intrinsic;
	u->undo_k_rate = p->model_k_rate;
	u->seq = ++p->model_seq;

	timeline_prune(tl, now);
	apply(p, &c, copy, ncurve, now);
	timeline_derive(tl, p->intrinsic);
	u->intrinsic = p->intrinsic;
	if (tl_settled(tl, now, &held)) {
		free(r);
		u->tl = NULL;
		u->intrinsic = (float)held;
	} else {
		u->tl = tl_build(r, tl);
	}
	u->k_rate = p->model_k_rate;
	*out = u;
	return 0;

error_oom:
	free(r);
	if (u)
		timeline_free(u->undo);
	free(u);
	free(copy);
	return err_set(err, ERR_INTERNAL, "%s: out of memory", methods[c.m].name);
}

size_t param_update_bytes(const struct param_update *u)
{
	size_t n = sizeof(*u);

	if (u->tl)
		n += sizeof(*u->tl) + u->tl->n * sizeof(struct event);
	if (u->undo)
		n += u->undo->cap * sizeof(struct event) + u->undo->curve_total * sizeof(float);
	/* the render copy holds the curves too: the undo clone's total counts them once more */
	if (u->tl && u->undo)
		n += u->undo->curve_total * sizeof(float);
	return n;
}

uint32_t param_model_events(struct param *p, double now)
{
	timeline_prune(p->model, now);
	return p->model->n;
}

void param_update_free(struct param_update *u)
{
	if (u == NULL)
		return;
	timeline_free(u->undo);
	free((void *)u->tl);
	free(u);
}

void param_undo(struct param *p, struct param_update *u)
{
	timeline_free(p->model);
	p->model = u->undo;
	p->intrinsic = u->undo_intrinsic;
	p->model_k_rate = u->undo_k_rate;
	u->undo = NULL;
	param_update_free(u);
}

double param_model_value_at(const struct param *p, double t)
{
	if (p->model == NULL)
		return p->intrinsic;
	return events_value_at(p->model->ev, p->model->n, p->intrinsic, t);
}

void param_model_foreach(const struct param *p, param_event_fn fn, void *data)
{
	static const char *const names[] = {
		[EV_SET] = "setValueAtTime", [EV_LINEAR] = "linearRampToValueAtTime",
		[EV_EXP] = "exponentialRampToValueAtTime", [EV_TARGET] = "setTargetAtTime",
		[EV_CURVE] = "setValueCurveAtTime",
	};
	const struct event *e;
	double a[3];
	uint32_t i;

	if (p->model == NULL)
		return;
	for (i = 0; i < p->model->n; i++) {
		e = &p->model->ev[i];
		switch (e->type) {
		case EV_CURVE:
			a[0] = e->time;
			a[1] = e->tau;
			fn(data, names[e->type], a, 2, e->curve, e->n);
			if (e->cut < e->time + e->tau) {
				a[0] = e->cut;
				fn(data, "cancelAndHoldAtTime", a, 1, NULL, 0);
			}
			break;
		case EV_TARGET:
			a[0] = e->value;
			a[1] = e->time;
			a[2] = e->tau;
			fn(data, names[e->type], a, 3, NULL, 0);
			break;
		default:
			a[0] = e->value;
			a[1] = e->time;
			fn(data, names[e->type], a, 2, NULL, 0);
			break;
		}
	}
}
