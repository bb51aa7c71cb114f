/* OscillatorNode: sine computed exactly, every other shape played from shared band-limited
 * wavetables (wave.c) with linear interpolation.
 * control thread: init, attribute check/release/get, fini.  render thread: process, apply. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "engine.h"
#include "node.h"
#include "wave.h"

extern const struct node_kind oscillator_kind;

enum osc_type { OSC_SINE, OSC_SQUARE, OSC_SAWTOOTH, OSC_TRIANGLE, OSC_CUSTOM, OSC_TYPES };

static const char *const type_names[OSC_TYPES] = {
	"sine", "square", "sawtooth", "triangle", "custom",
};

enum { P_FREQUENCY, P_DETUNE };

struct osc {
	struct node base;
	/* frequency's nominal range is +-Nyquist, which the kind's static desc cannot know */
	struct param_desc freq_desc;

	/* control model */
	enum osc_type type_model;
	struct wave_tables *tables_model;	/* its reference is `tables` or a staged change's */

	/* render */
	struct wave_tables *tables;	/* NULL: sine, computed exactly; holds a reference */
	double phase;			/* cycles, [0, 1) */
	bool running;			/* its first frame has played */
	/* scratch */
	double inc[QUANTUM];		/* computedOscFrequency / sample rate, per frame */
	double pos[QUANTUM];		/* phase in table samples, per frame */
	int32_t idx[QUANTUM];		/* table sample each frame reads (and the next one) */
	float frac[QUANTUM];		/* and where between the two */
};

/* --- control side ------------------------------------------------------------------------ */

struct share {
	enum osc_type type;
	double rate;
	struct wave_tables *found;
};

static void share_visit(struct node *m, void *data)
{
	struct share *s = data;
	const struct osc *x = (const struct osc *)m;

	if (s->found || m->kind != &oscillator_kind || !x->tables_model)
		return;
	if (x->type_model == s->type && m->sample_rate == s->rate)
		s->found = x->tables_model;
}

/* tables for a built-in type, taken from another oscillator of the engine when one already
 * has them (a graph of hundreds of sawtooths shares one set), else built.  NULL for sine,
 * which needs none, and on failure (err set, *fail = true). */
static struct wave_tables *builtin_tables(struct node *n, enum osc_type type, bool *fail,
					  struct error *err)
{
	static const enum wave_shape shapes[] = {
		[OSC_SQUARE] = WAVE_SQUARE, [OSC_SAWTOOTH] = WAVE_SAWTOOTH,
		[OSC_TRIANGLE] = WAVE_TRIANGLE,
	};
	struct share s = { .type = type, .rate = n->sample_rate };
	struct wave_tables *t;

	*fail = false;
	if (type == OSC_SINE)
		return NULL;
	if (n->engine)
		engine_foreach_node(n->engine, share_visit, &s);
	if (s.found)
		return wave_tables_ref(s.found);
	t = wave_tables_builtin(shapes[type], n->sample_rate, err);
	*fail = !t;
	return t;
}

/* option `opt` of init, or (opt NULL) an attribute value, whose errors the engine prefixes
 * with the attribute's name itself */
static int type_parse(const struct value *v, const char *opt, enum osc_type *type,
		      struct error *err)
{
	struct option o = { .name = opt, .value = *v };
	const char *hint;
	int i;

	if (opt) {
		if (option_enum(&o, type_names, OSC_TYPES, &i, err) < 0)
			return -1;
		*type = (enum osc_type)i;
		return 0;
	}
	if (v->type != VALUE_STRING)
		return err_set(err, ERR_BAD_REQUEST, "expected a string, got %s",
			       value_type_name(v->type));
	for (i = 0; i < OSC_TYPES; i++) {
		if (strcmp(v->str, type_names[i]) == 0) {
			*type = (enum osc_type)i;
			return 0;
		}
	}
	hint = err_suggest(v->str, type_names, OSC_TYPES);
	if (hint)
		return err_set(err, ERR_INVALID_VALUE, "invalid value \"%s\", did you mean \"%s\"?",
			       v->str, hint);
	return err_set(err, ERR_INVALID_VALUE, "invalid value \"%s\"", v->str);
}

static int wave_value(const struct value *v, const char *opt,
		      const struct periodic_wave **w, struct error *err)
{
	if (v->type != VALUE_WAVE || !v->wave)
		return err_set(err, ERR_BAD_REQUEST, "%s%sexpected a PeriodicWave, got %s",
			       opt ? opt : "", opt ? ": " : "", value_type_name(v->type));
	*w = v->wave;
	return 0;
}

static int type_check(struct node *n, const struct value *v, void **staged, struct error *err)
{
	struct osc *o = (struct osc *)n;
	enum osc_type type = OSC_SINE;
	struct wave_tables *t;
	bool fail;

	if (type_parse(v, NULL, &type, err) < 0)
		return -1;
	if (type == OSC_CUSTOM)
		return err_set(err, ERR_INVALID_STATE,
			       "\"custom\" cannot be set directly; set periodicWave instead");
	t = builtin_tables(n, type, &fail, err);
	if (fail)
		return -1;
	*staged = t;
	o->type_model = type;
	o->tables_model = t;
	return 0;
}

static int wave_check(struct node *n, const struct value *v, void **staged, struct error *err)
{
	struct osc *o = (struct osc *)n;
	const struct periodic_wave *w = NULL;
	struct wave_tables *t;

	if (wave_value(v, NULL, &w, err) < 0)
		return -1;
	t = wave_tables_new(w, n->sample_rate, err);
	if (!t)
		return -1;
	*staged = t;
	o->type_model = OSC_CUSTOM;
	o->tables_model = t;
	return 0;
}

/* render: the type changes, the phase carries on (the spec conserves it) */
static void shape_apply(struct node *n, const struct value *v, void **staged)
{
	struct osc *o = (struct osc *)n;
	struct wave_tables *old = o->tables;

	o->tables = *staged;
	*staged = old;
}

static void shape_release(struct node *n, void *staged)
{
	wave_tables_unref(staged);
}

static void type_get(const struct node *n, struct value *v)
{
	const struct osc *o = (const struct osc *)n;

	v->type = VALUE_STRING;
	v->str = type_names[o->type_model];
}

static void wave_get(const struct node *n, struct value *v)
{
	/* the spec has no getter for it */
	v->type = VALUE_NULL;
}

/* node_new has taken the params' and the channel options already */
static const char *const option_names[] = { "type", "periodicWave", NULL };

static int osc_init(struct node *n, const struct option *opts, size_t n_opts,
		    struct error *err)
{
	struct osc *o = (struct osc *)n;
	enum osc_type type = OSC_SINE;
	const struct periodic_wave *w = NULL;
	struct wave_tables *t = NULL;
	bool fail = false;

	o->tables = NULL;
	o->tables_model = NULL;
	o->type_model = OSC_SINE;
	o->phase = 0;
	o->running = false;
	o->freq_desc = *n->params[P_FREQUENCY].desc;
	o->freq_desc.min = (float)(-n->sample_rate / 2);
	o->freq_desc.max = (float)(n->sample_rate / 2);
	n->params[P_FREQUENCY].desc = &o->freq_desc;

	for (size_t i = 0; i < n_opts; i++) {
		const char *name = opts[i].name;

		if (strcmp(name, "type") == 0) {
			if (type_parse(&opts[i].value, name, &type, err) < 0)
				return -1;
		} else if (strcmp(name, "periodicWave") == 0) {
			if (wave_value(&opts[i].value, name, &w, err) < 0)
				return -1;
		} else {
			return node_bad_option(n, name, option_names, err);
		}
	}
	if (w) {
		/* a periodicWave overrides any (valid) type */
		type = OSC_CUSTOM;
		t = wave_tables_new(w, n->sample_rate, err);
		fail = !t;
	} else if (type == OSC_CUSTOM) {
		return err_set(err, ERR_INVALID_STATE,
			       "type \"custom\" needs a periodicWave option");
	} else {
		t = builtin_tables(n, type, &fail, err);
	}
	if (fail)
		return -1;
	o->tables = t;
	o->tables_model = t;
	o->type_model = type;
	return 0;
}

static void osc_fini(struct node *n)
{
	struct osc *o = (struct osc *)n;

	wave_tables_unref(o->tables);
	o->tables = NULL;
}

/* --- render side ---------------------------------------------------------------------------- */

/* computedOscFrequency's nominal range is +-Nyquist; a NaN (inf * 0) plays as 0 Hz.  the
 * phase runs at the clamped frequency, but what a frame at +-Nyquist plays is silence
 * (osc_mute_nyquist) */
static double freq_clamp(double f, double nyquist)
{
	if (f > nyquist)
		return nyquist;
	if (f < -nyquist)
		return -nyquist;
	return f == f ? f : 0;
}

/* computedOscFrequency(t) = frequency(t) * 2^(detune(t) / 1200), as phase increments in
 * cycles per frame over [from, to).  returns true when it is one value for all of them
 * (then only inc[from] is set). */
static bool osc_increments(struct osc *o, uint32_t from, uint32_t to)
{
	const struct param *fp = &o->base.params[P_FREQUENCY];
	const struct param *dp = &o->base.params[P_DETUNE];
	const double rate = o->base.sample_rate, nyq = rate / 2;
	const float *restrict f = fp->values, *restrict d = dp->values;
	double *restrict inc = o->inc;

	if (fp->constant && dp->constant) {
		inc[from] = freq_clamp(f[0] * exp2(d[0] / 1200.0), nyq) / rate;
		return true;
	}
	/* the clamp written without branches, and the constant cases as their own loops, so
	 * that these vectorise: a sweep's per-frame division is the cost here */
	if (dp->constant) {
		const double mul = exp2(d[0] / 1200.0);

		for (uint32_t i = from; i < to; i++) {
			double x = f[i] * mul;

			x = x == x ? x : 0;
			x = x > nyq ? nyq : x;
			x = x < -nyq ? -nyq : x;
			inc[i] = x / rate;
		}
	} else {
		for (uint32_t i = from; i < to; i++)
			inc[i] = freq_clamp(f[fp->constant ? 0 : i] * exp2(d[i] / 1200.0), nyq) /
				 rate;
	}
	return false;
}

/* the phase of the first frame played: zero at the exact start time, so a start between
 * frames begins the waveform part of a frame late.  a start time already past when the
 * node began (a late start) plays from phase 0. */
static double start_phase(const struct osc *o, const struct render_ctx *ctx, uint32_t from,
			  double inc)
{
	double rate = o->base.sample_rate;
	double late = (double)(ctx->frame + from) - o->base.sched.start * rate;	/* frames */

	if (!(late > 0 && late < 1))
		return 0;
	return late * inc - floor(late * inc);
}

static inline double wrap1(double ph)
{
	/* increments are at most half a cycle, so one step brings the phase back */
	if (ph >= 1)
		return ph - 1;
	if (ph < 0)
		return ph + 1;
	return ph;
}

static void sine_run(struct osc *o, float *y, uint32_t from, uint32_t to, bool constant)
{
	const double two_pi = 2 * M_PI;
	double ph = o->phase;

	if (constant) {
		double inc = o->inc[from];

		for (uint32_t i = from; i < to; i++) {
			y[i] = (float)sin(two_pi * ph);
			ph = wrap1(ph + inc);
		}
	} else {
		for (uint32_t i = from; i < to; i++) {
			y[i] = (float)sin(two_pi * ph);
			ph = wrap1(ph + o->inc[i]);
		}
	}
	o->phase = ph;
}

/* the phase runs in table samples [0, size], which scales cycles by a power of two (exact).
 * it advances by repeated addition, a chain of dependent adds: the table_phases loops walk
 * it alone, phases_split turns the phases into table positions in a loop that vectorises,
 * and table_read_span does the reads, which are independent of each other. */

/* 2^e for e in the normal range */
static inline double pow2(int e)
{
	uint64_t bits = (uint64_t)(e + 1023) << 52;
	double x;

	memcpy(&x, &bits, sizeof(x));
	return x;
}

/* how many of the next steps (at most max) from ph by `step` > 0 have a closed form, and
 * the increment *r they then add exactly.  in the binade [2^(e-1), 2^e) of ph every double
 * is a multiple of u = 2^(e-53), so while a sum stays below 2^e, ph + step rounds to
 * ph + r with r the multiple of u nearest step (a tie would depend on ph: not taken), and
 * j steps land on ph + j*r, exactly representable.  as 2^e <= size, no wrap happens on the
 * way.  0 when this does not apply (ph tiny or at size, step not below the binade). */
static uint32_t closed_steps(double ph, double step, double size, uint32_t max, double *r)
{
	uint64_t bits;
	double hi, u, q, f, m, room, k;
	int e;

	if (!(ph >= 0x1p-900 && ph < size && step > 0))
		return 0;
	memcpy(&bits, &ph, sizeof(bits));
	e = (int)((bits >> 52) & 0x7ff) - 1022;
	hi = pow2(e);
	u = pow2(e - 53);
	if (step >= hi / 2)
		return 0;
	q = (double)(uint64_t)(step / u);	/* below 2^52: exact, and floor */
	f = step - q * u;
	if (f + f == u)
		return 0;
	*r = f + f < u ? q * u : (q + 1) * u;
	if (*r == 0)
		return max;
	m = *r > step ? *r : step;
	room = hi - ph - m;
	if (!(room >= 0))
		return 0;
	/* steps j = 0 .. k-1 need ph + j*r + m < hi; the estimate may be one off either way */
	k = floor(room / *r) + 1;
	k = k < max ? k : max;
	while (k > 0 && !(ph + (k - 1) * *r + m < hi))
		k--;
	return (uint32_t)k;
}

/* [from, to) at a constant increment; returns the phase after them.  a phase is >= 0 and
 * increments are at most half a table, so one wrap per step is enough, and a step >= 0
 * never takes a phase below 0 */
static double table_phases_const(double *restrict pos, uint32_t from, uint32_t to, double ph,
				 double step, double size)
{
	if (step >= 0) {
		uint32_t i = from;

		/* the chain of additions, 4 cycles a frame, would cost more than all else here;
		 * most of it has a closed form with the same bits, which vectorises */
		while (i < to) {
			double r = 0;
			uint32_t k = closed_steps(ph, step, size, to - i, &r), end;

			if (k >= 8) {
				double *restrict p = pos + i;

				/* int j: its conversion vectorises, an unsigned one does not */
				for (int j = 0; j < (int)k; j++)
					p[j] = ph + (double)j * r;
				ph += (double)k * r;
				i += k;
				continue;
			}
			/* across a binade's end or the wrap, step by step */
			for (end = to - i > 8 ? i + 8 : to; i < end; i++) {
				pos[i] = ph;
				ph += step;
				if (ph >= size)
					ph -= size;
			}
		}
		return ph;
	}
	for (uint32_t i = from; i < to; i++) {
		pos[i] = ph;
		ph += step;
		if (ph >= size)
			ph -= size;
		else if (ph < 0)
			ph += size;
	}
	return ph;
}

static double table_phases(double *restrict pos, const double *restrict inc, uint32_t from,
			   uint32_t to, double ph, double size)
{
	for (uint32_t i = from; i < to; i++) {
		pos[i] = ph;
		ph += inc[i] * size;
		if (ph >= size)
			ph -= size;
		else if (ph < 0)
			ph += size;
	}
	return ph;
}

/* each frame's table sample and the fraction to the next.  phases are at most 2^14, so
 * the int32 conversion (which vectorises) truncates as any other would; the mask keeps a
 * phase rounded up to exactly `size` in the table */
static void phases_split(struct osc *o, uint32_t from, uint32_t to, int32_t mask)
{
	const double *restrict pos = o->pos;
	int32_t *restrict idx = o->idx;
	float *restrict frac = o->frac;

	for (uint32_t i = from; i < to; i++) {
		int32_t k = (int32_t)pos[i];

		frac[i] = (float)(pos[i] - k);
		idx[i] = k & mask;
	}
}

/* frames [from, to) from one blend of two ranges, linear within each */
static void table_read_span(const struct osc *o, const struct wave_pick *p, float *restrict y,
			    uint32_t from, uint32_t to)
{
	const float *restrict more = p->more, *restrict fewer = p->fewer;
	const int32_t *restrict idx = o->idx;
	const float *restrict frac = o->frac;
	const float mix = p->mix;

	for (uint32_t i = from; i < to; i++) {
		const int32_t k = idx[i];
		const float f = frac[i];
		const float a = more[k] + f * (more[k + 1] - more[k]);
		const float b = fewer[k] + f * (fewer[k + 1] - fewer[k]);

		y[i] = a + mix * (b - a);
	}
}

/* from..to from the tables: with a constant frequency the ranges are picked once, else
 * again wherever the frequency has moved (the blend follows it, as a sweep needs) */
static void table_run(struct osc *o, float *y, uint32_t from, uint32_t to, bool constant)
{
	const struct wave_tables *t = o->tables;
	const double size = t->size, rate = o->base.sample_rate;
	const double *inc = o->inc;
	double picked = inc[from];
	struct wave_pick p;
	uint32_t i, j;

	wave_tables_pick(t, picked * rate, &p);
	if (constant) {
		o->phase = table_phases_const(o->pos, from, to, o->phase * size, picked * size,
					      size) / size;
		phases_split(o, from, to, (int32_t)t->size - 1);
		table_read_span(o, &p, y, from, to);
		return;
	}
	o->phase = table_phases(o->pos, inc, from, to, o->phase * size, size) / size;
	phases_split(o, from, to, (int32_t)t->size - 1);
	for (i = from; i < to; i = j) {
		/* a sweep moves the blend by 3 log2 of the frequency ratio: re-pick once the
		 * frequency has moved by 1e-5 (the blend then by < 5e-5 of a range) */
		for (j = i + 1; j < to && !(fabs(inc[j] - picked) > 1e-5 * fabs(picked)); j++)
			;
		table_read_span(o, &p, y, i, j);
		if (j < to) {
			picked = inc[j];
			wave_tables_pick(t, picked * rate, &p);
		}
	}
}

/* the ideal band-limited waveform keeps only partials strictly below Nyquist: at a clamped
 * computedOscFrequency of +-Nyquist (|f| >= Nyquist before the clamp) not even the
 * fundamental remains, so those frames are silent (as the WPT detune-limiting test and the
 * browsers have it).  an increment is +-0.5 exactly when the frequency was clamped, and
 * below it otherwise (nyq = rate / 2 is exact and the division rounds monotonically) */
static void osc_mute_nyquist(const struct osc *o, float *restrict y, uint32_t from,
			     uint32_t to, bool constant)
{
	const double *restrict inc = o->inc;

	if (constant) {
		if (fabs(inc[from]) >= 0.5)
			memset(y + from, 0, (to - from) * sizeof(float));
		return;
	}
	for (uint32_t i = from; i < to; i++)
		y[i] = fabs(inc[i]) >= 0.5 ? 0.0f : y[i];
}

static void osc_process(struct node *n, const struct render_ctx *ctx)
{
	struct osc *o = (struct osc *)n;
	struct bus *out = &n->out[0];
	float *y = out->data[0];
	uint32_t from, to;
	bool constant;

	if (!node_sched_range(n, ctx, &from, &to)) {
		bus_silence(out, 1);
		return;
	}
	out->channels = 1;
	out->silent = false;
	memset(y, 0, from * sizeof(float));
	memset(y + to, 0, (QUANTUM - to) * sizeof(float));

	constant = osc_increments(o, from, to);
	if (!o->running) {
		o->running = true;
		o->phase = start_phase(o, ctx, from, o->inc[from]);
	}
	if (!o->tables)
		sine_run(o, y, from, to, constant);
	else
		table_run(o, y, from, to, constant);
	osc_mute_nyquist(o, y, from, to, constant);
}

/* --- the kind ----------------------------------------------------------------------------- */

static const struct param_desc osc_params[] = {
	[P_FREQUENCY] = { .name = "frequency", .def = 440, .min = -FLT_MAX, .max = FLT_MAX },
	/* +-1200 log2(FLT_MAX): the whole float range of frequencies */
	[P_DETUNE] = { .name = "detune", .def = 0, .min = -153600, .max = 153600 },
};

/* undo of a type or periodicWave change: the model's tables and type, packed in one pointer
 * (tables are malloc'ed, so at least 8-byte aligned, and there are 5 types) */
_Static_assert(OSC_TYPES <= 8, "the type must fit in a pointer's low bits");

static void *shape_memo(const struct node *n)
{
	const struct osc *o = (const struct osc *)n;

	return (void *)((uintptr_t)o->tables_model | (uintptr_t)o->type_model);
}

static void shape_undo(struct node *n, const struct value *old, void *memo)
{
	struct osc *o = (struct osc *)n;
	uintptr_t m = (uintptr_t)memo;

	(void)old;
	o->tables_model = (struct wave_tables *)(m & ~(uintptr_t)7);
	o->type_model = (enum osc_type)(m & 7);
}

static const struct attr_desc osc_attrs[] = {
	{ .name = "type", .check = type_check, .apply = shape_apply, .release = shape_release,
	  .memo = shape_memo, .undo = shape_undo,
	  .get = type_get },
	{ .name = "periodicWave", .check = wave_check, .apply = shape_apply,
	  .release = shape_release,
	  .memo = shape_memo, .undo = shape_undo, .get = wave_get },
};

static void osc_options(const struct node *n,
			void (*emit)(void *data, const char *name, const struct value *v),
			void *data)
{
	const struct osc *o = (const struct osc *)n;
	struct value v = { .type = VALUE_WAVE };

	if (o->type_model != OSC_CUSTOM || !o->tables_model || !o->tables_model->wave)
		return;
	v.wave = o->tables_model->wave;
	emit(data, "periodicWave", &v);
}

const struct node_kind oscillator_kind = {
	.options = osc_options,
	.name = "OscillatorNode",
	.size = sizeof(struct osc),
	.inputs = 0,
	.outputs = 1,
	.channel_count = 2,
	.count_mode = COUNT_MAX,
	.interp = INTERP_SPEAKERS,
	.params = osc_params,
	.n_params = sizeof(osc_params) / sizeof(osc_params[0]),
	.attrs = osc_attrs,
	.n_attrs = sizeof(osc_attrs) / sizeof(osc_attrs[0]),
	.source = true,
	.init = osc_init,
	.process = osc_process,
	.fini = osc_fini,
};
