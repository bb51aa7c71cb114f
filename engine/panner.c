/* PannerNode: the spec's azimuth/elevation, equal-power panning, distance models and sound cone,
 * plus HRTF panning.
 * init, attribute checks/gets and fini: control thread.  process and attribute applies:
 * render thread; no allocation, no locks, no library calls.
 *
 * HRTF data: a grid of filters (hrtf.h) the engine gets from the loader its maker gave it
 * (engine_hrtf); the render side only interpolates between grid points, and one grid is
 * shared by all HRTF panners of an engine. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "hrtf.h"
#include "node.h"
#include "panner.h"

#define GRID_STEP HRTF_GRID_STEP
#define GRID_AZ HRTF_GRID_AZ
#define GRID_EL HRTF_GRID_EL
#define TAPS_MAX HRTF_TAPS_MAX

enum { POS_X, POS_Y, POS_Z, ORI_X, ORI_Y, ORI_Z, N_PARAMS };
enum { L_POS_X, L_POS_Y, L_POS_Z, L_FWD_X, L_FWD_Y, L_FWD_Z, L_UP_X, L_UP_Y, L_UP_Z, L_N };
enum { REF, MAXD, ROLLOFF, CONE_IN, CONE_OUT, CONE_GAIN, N_NUM };

static const struct param_desc panner_params[] = {
	[POS_X] = { .name = "positionX", .def = 0.0f, .min = -FLT_MAX, .max = FLT_MAX },
	[POS_Y] = { .name = "positionY", .def = 0.0f, .min = -FLT_MAX, .max = FLT_MAX },
	[POS_Z] = { .name = "positionZ", .def = 0.0f, .min = -FLT_MAX, .max = FLT_MAX },
	[ORI_X] = { .name = "orientationX", .def = 1.0f, .min = -FLT_MAX, .max = FLT_MAX },
	[ORI_Y] = { .name = "orientationY", .def = 0.0f, .min = -FLT_MAX, .max = FLT_MAX },
	[ORI_Z] = { .name = "orientationZ", .def = 0.0f, .min = -FLT_MAX, .max = FLT_MAX },
};

static const char *const num_names[N_NUM] = {
	"refDistance", "maxDistance", "rolloffFactor", "coneInnerAngle", "coneOuterAngle",
	"coneOuterGain",
};
static const double num_defaults[N_NUM] = { 1, 10000, 1, 360, 360, 0 };

static const char *const model_names[] = { "equalpower", "HRTF" };
static const char *const distance_names[] = { "linear", "inverse", "exponential" };
/* staged values of the enum attributes point into these, so apply needs no string */
static const int enum_table[] = { 0, 1, 2 };

/* the listener's defaults, for a panner driven without an engine (unit tests) */
static const float listener_defaults[L_N] = { 0, 0, 0, 0, 0, -1, 0, 1, 0 };

/* filters on the grid: ir[((el * GRID_AZ + az) * 2 + ear) * taps], azimuth counter-clockwise
 * from the front as SOFA counts it; shared by the panners of one engine (control-side count) */
struct panner {
	struct node node;
	/* control model */
	int model_m, distance_m;
	double num_m[N_NUM];
	struct hrtf_set *hrtf_m;	/* owned; loaded by init or the panningModel check */
	/* render */
	int model, distance;
	double num[N_NUM];
	const struct hrtf_set *hrtf;
	/* HRTF render state */
	bool hrtf_primed;		/* kern[cur] holds the filter for (az, el) */
	bool hrtf_ringing;		/* the history holds non-zero input */
	uint32_t hrtf_chans;
	int cur;
	double az, el;
	float kern[2][2][TAPS_MAX] __attribute__((aligned(64)));	/* [which][ear][tap] */
	float hist[2][TAPS_MAX + QUANTUM] __attribute__((aligned(64)));	/* per input channel */
	/* equal-power scratch */
	float gl[QUANTUM], gr[QUANTUM];
	float gain[QUANTUM];		/* distance gain * cone gain */
	bool left[QUANTUM];		/* azimuth <= 0: the stereo formula's first case */
	/* the constant case's inputs, when gl/gr/gain/left[0] were computed from them; applies
	 * of distance and cone attributes clear `cached` */
	bool cached, cached_stereo;
	float key[N_PARAMS + L_N];
};

static const float zeros[QUANTUM];

/* --- the spec's geometry (double, as the spec's Math functions are) ----------------------- */

struct vec3 {
	double x, y, z;
};

static struct vec3 v_sub(struct vec3 a, struct vec3 b)
{
	return (struct vec3){ a.x - b.x, a.y - b.y, a.z - b.z };
}

static double v_dot(struct vec3 a, struct vec3 b)
{
	return a.x * b.x + a.y * b.y + a.z * b.z;
}

static struct vec3 v_cross(struct vec3 a, struct vec3 b)
{
	return (struct vec3){ a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x };
}

static double v_len(struct vec3 a)
{
	return sqrt(v_dot(a, a));
}

/* the zero vector stays zero, so its dot products are 0 */
static struct vec3 v_norm(struct vec3 a)
{
	double m = v_len(a);

	return m > 0 ? (struct vec3){ a.x / m, a.y / m, a.z / m } : a;
}

static struct vec3 v_scale(struct vec3 a, double k)
{
	return (struct vec3){ a.x * k, a.y * k, a.z * k };
}

/* degrees of acos, with the dot product kept inside acos's domain against rounding */
static double acos_deg(double c)
{
	c = c < -1 ? -1 : c > 1 ? 1 : c;
	return 180 * acos(c) / M_PI;
}

void panner_azimuth_elevation(const struct panner_geometry *g, double *azimuth,
			      double *elevation)
{
	struct vec3 src = { g->pos[0], g->pos[1], g->pos[2] };
	struct vec3 lis = { g->lpos[0], g->lpos[1], g->lpos[2] };
	struct vec3 fwd = { g->fwd[0], g->fwd[1], g->fwd[2] };
	struct vec3 upv = { g->up[0], g->up[1], g->up[2] };
	struct vec3 sl = v_norm(v_sub(src, lis)), right, rn, fn, up, proj;
	double az, el, up_proj;

	*azimuth = *elevation = 0;
	if (v_len(sl) == 0)
		return;		/* source and listener at the same point */
	right = v_cross(fwd, upv);
	if (v_len(right) == 0)
		return;		/* forward and up linearly dependent */
	rn = v_norm(right);
	fn = v_norm(fwd);
	up = v_cross(rn, fn);
	up_proj = v_dot(sl, up);
	proj = v_norm(v_sub(sl, v_scale(up, up_proj)));
	az = acos_deg(v_dot(proj, rn));
	if (v_dot(proj, fn) < 0)
		az = 360 - az;		/* behind the listener */
	if (az >= 0 && az <= 270)
		az = 90 - az;
	else
		az = 450 - az;
	el = 90 - acos_deg(v_dot(sl, up));
	if (el > 90)
		el = 180 - el;
	else if (el < -90)
		el = -180 - el;
	*azimuth = az;
	*elevation = el;
}

double panner_distance_gain(enum panner_distance model, double d, double ref, double max,
			    double rolloff)
{
	switch (model) {
	case PANNER_LINEAR: {
		double r = ref < max ? ref : max, m = ref > max ? ref : max;
		double f = rolloff < 0 ? 0 : rolloff > 1 ? 1 : rolloff;	/* nominal [0, 1] */
		if (r == m)
			return 1 - f;
		d = d < r ? r : d > m ? m : d;
		return 1 - f * (d - r) / (m - r);
	}
	case PANNER_INVERSE:
		if (ref == 0)
			return 0;
		rolloff = rolloff < 0 ? 0 : rolloff;
		return ref / (ref + rolloff * ((d > ref ? d : ref) - ref));
	default:
		if (ref == 0)
			return 0;
		rolloff = rolloff < 0 ? 0 : rolloff;
		return pow((d > ref ? d : ref) / ref, -rolloff);
	}
}

/* the cone's angle is measured between the source's orientation and the direction from the
 * source to the listener: a source pointing at the listener is heard through its inner cone */
double panner_cone_gain(const struct panner_geometry *g, double inner, double outer,
			double outer_gain)
{
	struct vec3 ori = { g->ori[0], g->ori[1], g->ori[2] };
	struct vec3 src = { g->pos[0], g->pos[1], g->pos[2] };
	struct vec3 lis = { g->lpos[0], g->lpos[1], g->lpos[2] };
	double angle, ai, ao;

	if (v_len(ori) == 0 || (inner == 360 && outer == 360))
		return 1;
	angle = fabs(acos_deg(v_dot(v_norm(v_sub(lis, src)), v_norm(ori))));
	ai = fabs(inner) / 2;
	ao = fabs(outer) / 2;
	if (angle <= ai)
		return 1;
	if (angle >= ao)
		return outer_gain;
	{
		double x = (angle - ai) / (ao - ai);
		return (1 - x) + outer_gain * x;
	}
}

/* the azimuth wrapped into [-90, 90] and the gains for it; stereo input uses the other x */
void panner_equalpower_gains(double azimuth, bool stereo, double *gl, double *gr)
{
	double x;

	azimuth = azimuth < -180 ? -180 : azimuth > 180 ? 180 : azimuth;
	if (azimuth < -90)
		azimuth = -180 - azimuth;
	else if (azimuth > 90)
		azimuth = 180 - azimuth;
	if (!stereo)
		x = (azimuth + 90) / 180;
	else if (azimuth <= 0)
		x = (azimuth + 90) / 90;
	else
		x = azimuth / 90;
	*gl = cos(x * M_PI / 2);
	*gr = sin(x * M_PI / 2);
}

/* --- rendering ---------------------------------------------------------------------------- */

static const struct param *listener_params(const struct node *n)
{
	struct node *l = n->engine ? engine_listener(n->engine) : NULL;

	return l ? l->params : NULL;
}

static bool all_constant(const struct node *n, const struct param *lp)
{
	for (int j = 0; j < N_PARAMS; j++)
		if (!n->params[j].constant)
			return false;
	for (int j = 0; lp && j < L_N; j++)
		if (!lp[j].constant)
			return false;
	return true;
}

/* the geometry at sample i (0 for k-rate use) */
static void geometry_at(const struct node *n, const struct param *lp, int i,
			struct panner_geometry *g)
{
	const struct param *p = n->params;
	float lv[L_N];

	for (int j = 0; j < L_N; j++)
		lv[j] = lp ? lp[j].values[lp[j].constant ? 0 : i] : listener_defaults[j];
	for (int j = 0; j < 3; j++) {
		g->pos[j] = p[POS_X + j].values[p[POS_X + j].constant ? 0 : i];
		g->ori[j] = p[ORI_X + j].values[p[ORI_X + j].constant ? 0 : i];
		g->lpos[j] = lv[L_POS_X + j];
		g->fwd[j] = lv[L_FWD_X + j];
		g->up[j] = lv[L_UP_X + j];
	}
}

static double total_gain(const struct panner *p, const struct panner_geometry *g)
{
	struct vec3 d = v_sub((struct vec3){ g->pos[0], g->pos[1], g->pos[2] },
			      (struct vec3){ g->lpos[0], g->lpos[1], g->lpos[2] });
	double dg = panner_distance_gain((enum panner_distance)p->distance, v_len(d),
					 p->num[REF], p->num[MAXD], p->num[ROLLOFF]);

	return dg * panner_cone_gain(g, p->num[CONE_IN], p->num[CONE_OUT], p->num[CONE_GAIN]);
}

/* the gains of sample i; the stereo formula's case test is on the wrapped azimuth, whose
 * sign wrapping into [-90, 90] keeps */
static void gains_at(struct panner *p, const struct panner_geometry *g, bool stereo, int i)
{
	double az, el, gl, gr;

	panner_azimuth_elevation(g, &az, &el);
	panner_equalpower_gains(az, stereo, &gl, &gr);
	p->gl[i] = (float)gl;
	p->gr[i] = (float)gr;
	p->gain[i] = (float)total_gain(p, g);
	p->left[i] = az <= 0;
}

/* stereo input: the spec's two cases, with the case test hoisted out of the loop when the
 * gains hold for the whole quantum */
static void stereo_apply(const struct panner *p, bool konst, const float *restrict xl,
			 const float *restrict xr, float *restrict l, float *restrict r)
{
	if (konst) {
		float t = p->gain[0], gl = p->gl[0], gr = p->gr[0];
		if (p->left[0]) {
			for (int i = 0; i < QUANTUM; i++) {
				l[i] = (xl[i] + xr[i] * gl) * t;
				r[i] = xr[i] * gr * t;
			}
		} else {
			for (int i = 0; i < QUANTUM; i++) {
				l[i] = xl[i] * gl * t;
				r[i] = (xr[i] + xl[i] * gr) * t;
			}
		}
		return;
	}
	for (int i = 0; i < QUANTUM; i++) {
		float t = p->gain[i], gl = p->gl[i], gr = p->gr[i];
		if (p->left[i]) {
			l[i] = (xl[i] + xr[i] * gl) * t;
			r[i] = xr[i] * gr * t;
		} else {
			l[i] = xl[i] * gl * t;
			r[i] = (xr[i] + xl[i] * gr) * t;
		}
	}
}

/* outputs per the spec's step 5, then scaled by the total gain (step 6) in double */
static void equalpower_process(struct panner *p, const struct render_ctx *ctx)
{
	struct node *n = &p->node;
	const struct bus *in = &n->in[0];
	struct bus *out = &n->out[0];
	const struct param *lp = listener_params(n);
	bool stereo = in->channels == 2, konst = all_constant(n, lp);
	float *restrict l = out->data[0], *restrict r = out->data[1];
	struct panner_geometry g;

	(void)ctx;
	if (konst) {
		float key[N_PARAMS + L_N];
		for (int j = 0; j < N_PARAMS; j++)
			key[j] = n->params[j].values[0];
		for (int j = 0; j < L_N; j++)
			key[N_PARAMS + j] = lp ? lp[j].values[0] : listener_defaults[j];
		if (!p->cached || p->cached_stereo != stereo ||
		    memcmp(key, p->key, sizeof(key)) != 0) {
			geometry_at(n, lp, 0, &g);
			gains_at(p, &g, stereo, 0);
			memcpy(p->key, key, sizeof(key));
			p->cached_stereo = stereo;
			p->cached = true;
		}
	} else {
		p->cached = false;
		for (int i = 0; i < QUANTUM; i++) {
			geometry_at(n, lp, i, &g);
			gains_at(p, &g, stereo, i);
		}
	}
	out->channels = 2;
	out->silent = false;
	if (!stereo) {
		const float *restrict x = in->data[0];
		if (konst) {
			float gl = p->gl[0], gr = p->gr[0], t = p->gain[0];
			for (int i = 0; i < QUANTUM; i++) {
				l[i] = x[i] * gl * t;
				r[i] = x[i] * gr * t;
			}
		} else {
			for (int i = 0; i < QUANTUM; i++) {
				l[i] = x[i] * p->gl[i] * p->gain[i];
				r[i] = x[i] * p->gr[i] * p->gain[i];
			}
		}
		return;
	}
	stereo_apply(p, konst, in->data[0], in->data[1], l, r);
}

/* grid filter at (el index, az index), ear */
static const float *grid_ir(const struct hrtf_set *h, int ei, int ai, int ear)
{
	return hrtf_set_ir(h, ei, ai, ear);
}

/* bilinear interpolation between the four grid directions around (az, el) (Web Audio
 * degrees: azimuth clockwise from the front) */
static void hrtf_kernel(const struct hrtf_set *h, double az, double el, float *kl, float *kr)
{
	double a = fmod(-az, 360.0), e = el + 90;
	int a0, e0, a1, e1;
	float fa, fe, w[4];

	if (a < 0)
		a += 360;
	a /= GRID_STEP;
	e /= GRID_STEP;
	a0 = (int)a;
	e0 = (int)e;
	if (a0 >= GRID_AZ)
		a0 = GRID_AZ - 1;
	if (e0 >= GRID_EL - 1)
		e0 = GRID_EL - 2;
	if (e0 < 0)
		e0 = 0;
	fa = (float)(a - a0);
	fe = (float)(e - e0);
	fe = fe < 0 ? 0 : fe > 1 ? 1 : fe;
	a1 = (a0 + 1) % GRID_AZ;
	e1 = e0 + 1;
	w[0] = (1 - fa) * (1 - fe);
	w[1] = fa * (1 - fe);
	w[2] = (1 - fa) * fe;
	w[3] = fa * fe;
	for (int ear = 0; ear < 2; ear++) {
		const float *p0 = grid_ir(h, e0, a0, ear), *p1 = grid_ir(h, e0, a1, ear);
		const float *p2 = grid_ir(h, e1, a0, ear), *p3 = grid_ir(h, e1, a1, ear);
		float *restrict k = ear ? kr : kl;
		for (uint32_t t = 0; t < h->taps; t++)
			k[t] = w[0] * p0[t] + w[1] * p1[t] + w[2] * p2[t] + w[3] * p3[t];
	}
}

/* y[i] = sum_k h[k] x[i - k]; x points at the quantum's first sample, with taps-1 samples of
 * history before it.  the outer loop runs over taps so the inner one vectorises */
static void fir(const float *restrict h, uint32_t taps, const float *x, float *restrict y)
{
	memset(y, 0, sizeof(float) * QUANTUM);
	for (uint32_t k = 0; k < taps; k++) {
		const float hk = h[k];
		const float *restrict xs = x - k;
		for (int i = 0; i < QUANTUM; i++)
			y[i] += hk * xs[i];
	}
}

static bool all_zero(const float *x, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (x[i] != 0.0f)
			return false;
	return true;
}

/* HRTF: every param k-rate.  left ear from the first input channel, right ear from the last
 * (the same one for mono input); a direction change crossfades old and new filters linearly
 * over the quantum */
static void hrtf_process(struct panner *p, const struct render_ctx *ctx)
{
	struct node *n = &p->node;
	const struct hrtf_set *h = p->hrtf;
	const struct bus *in = &n->in[0];
	struct bus *out = &n->out[0];
	const struct param *lp = listener_params(n);
	uint32_t taps = h->taps, nch;
	struct panner_geometry g;
	double az, el;
	float t, tmp[QUANTUM], y[QUANTUM];
	bool change;

	(void)ctx;
	if (in->silent && !p->hrtf_ringing) {
		bus_silence(out, 2);
		n->tail = false;
		return;
	}
	nch = in->silent ? p->hrtf_chans : in->channels;
	if (nch != p->hrtf_chans) {
		memset(p->hist, 0, sizeof(p->hist));
		p->hrtf_chans = nch;
	}
	geometry_at(n, lp, 0, &g);
	panner_azimuth_elevation(&g, &az, &el);
	t = (float)total_gain(p, &g);
	change = !p->hrtf_primed || az != p->az || el != p->el;
	if (!p->hrtf_primed) {
		hrtf_kernel(h, az, el, p->kern[p->cur][0], p->kern[p->cur][1]);
		p->hrtf_primed = true;
		change = false;
	} else if (change) {
		hrtf_kernel(h, az, el, p->kern[!p->cur][0], p->kern[!p->cur][1]);
	}
	p->az = az;
	p->el = el;
	/* append this quantum to each channel's history: hist[c][taps - 1 + i] is sample i */
	for (uint32_t c = 0; c < nch; c++) {
		float *hs = p->hist[c];
		memmove(hs, hs + QUANTUM, sizeof(float) * (taps - 1));
		memcpy(hs + taps - 1, in->silent ? zeros : in->data[c], sizeof(float) * QUANTUM);
	}
	for (int ear = 0; ear < 2; ear++) {
		const float *x = p->hist[ear && nch == 2 ? 1 : 0] + taps - 1;
		float *o = out->data[ear];
		fir(p->kern[p->cur][ear], taps, x, y);
		if (change) {
			fir(p->kern[!p->cur][ear], taps, x, tmp);
			for (int i = 0; i < QUANTUM; i++) {
				float w = (float)(i + 1) / QUANTUM;
				y[i] += (tmp[i] - y[i]) * w;
			}
		}
		for (int i = 0; i < QUANTUM; i++)
			o[i] = y[i] * t;
	}
	if (change)
		p->cur = !p->cur;
	out->channels = 2;
	out->silent = false;
	p->hrtf_ringing = false;
	for (uint32_t c = 0; c < nch; c++)
		if (!all_zero(p->hist[c] + QUANTUM, taps - 1))
			p->hrtf_ringing = true;
	n->tail = p->hrtf_ringing;
}

static void panner_process(struct node *n, const struct render_ctx *ctx)
{
	struct panner *p = (struct panner *)n;

	if (p->model == PANNER_HRTF && p->hrtf) {
		hrtf_process(p, ctx);
		return;
	}
	n->tail = false;
	if (n->in[0].silent) {
		bus_silence(&n->out[0], 2);
		return;
	}
	equalpower_process(p, ctx);
}

/* --- the HRTF dataset (control side) ------------------------------------------------------ */

/* the engine's grid for the node's rate (one reference), from its maker's loader */
static struct hrtf_set *hrtf_get(struct node *n, struct error *err)
{
	return engine_hrtf(n->engine, err);
}

/* --- attributes (control side checks, render side applies) ------------------------------- */

static int model_parse(const struct value *v, const char *const *names, int count,
		       const char *what, int *out, struct error *err)
{
	if (v->type != VALUE_STRING)
		return err_set(err, ERR_BAD_REQUEST, "expected a string, got %s",
			       value_type_name(v->type));
	for (int i = 0; i < count; i++) {
		if (strcmp(v->str, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	{
		const char *s = err_suggest(v->str, names, count);
		return err_set(err, ERR_INVALID_VALUE, "\"%s\" is not a %s%s%s%s", v->str, what,
			       s ? " (did you mean \"" : "", s ? s : "", s ? "\"?)" : "");
	}
}

static int panning_model_check(struct node *n, const struct value *v, void **staged,
			       struct error *err)
{
	struct panner *p = (struct panner *)n;
	int m = 0;

	if (model_parse(v, model_names, 2, "PanningModelType", &m, err) < 0)
		return -1;
	if (m == PANNER_HRTF && p->hrtf_m == NULL) {
		p->hrtf_m = hrtf_get(n, err);
		if (p->hrtf_m == NULL)
			return -1;
	}
	p->model_m = m;
	*staged = (void *)(uintptr_t)&enum_table[m];
	return 0;
}

/* the dataset pointer, once loaded, stays for the node's life: apply only copies it */
static void panning_model_apply(struct node *n, const struct value *v, void **staged)
{
	struct panner *p = (struct panner *)n;
	bool was_hrtf = p->model == PANNER_HRTF;

	(void)v;
	p->model = *(const int *)*staged;
	p->cached = false;
	if (p->model == PANNER_HRTF && (p->hrtf != p->hrtf_m || !was_hrtf)) {
		/* start from rest: the history and filters may be stale or never made */
		p->hrtf = p->hrtf_m;
		p->hrtf_primed = false;
		p->hrtf_ringing = false;
		p->hrtf_chans = 0;
		memset(p->hist, 0, sizeof(p->hist));
	}
	*staged = NULL;
}

static void panning_model_get(const struct node *n, struct value *v)
{
	v->type = VALUE_STRING;
	v->str = model_names[((const struct panner *)n)->model_m];
}

static int distance_model_check(struct node *n, const struct value *v, void **staged,
				struct error *err)
{
	int m = 0;

	if (model_parse(v, distance_names, 3, "DistanceModelType", &m, err) < 0)
		return -1;
	((struct panner *)n)->distance_m = m;
	*staged = (void *)(uintptr_t)&enum_table[m];
	return 0;
}

static void distance_model_apply(struct node *n, const struct value *v, void **staged)
{
	(void)v;
	((struct panner *)n)->distance = *(const int *)*staged;
	((struct panner *)n)->cached = false;
	*staged = NULL;
}

static void distance_model_get(const struct node *n, struct value *v)
{
	v->type = VALUE_STRING;
	v->str = distance_names[((const struct panner *)n)->distance_m];
}

/* the setters' exceptions: RangeError for negative distances and rolloff, InvalidStateError
 * for an outer gain outside [0, 1]; the cone angles take any finite value */
static int num_validate(int which, double d, struct error *err)
{
	switch (which) {
	case REF:
	case ROLLOFF:
		if (d < 0)
			return err_set(err, ERR_INVALID_VALUE, "must not be negative, got %g", d);
		break;
	case MAXD:
		if (d <= 0)
			return err_set(err, ERR_INVALID_VALUE, "must be positive, got %g", d);
		break;
	case CONE_GAIN:
		if (d < 0 || d > 1)
			return err_set(err, ERR_INVALID_STATE, "must be in [0, 1], got %g", d);
		break;
	default:
		break;
	}
	return 0;
}

static int num_check(struct node *n, const struct value *v, int which, struct error *err)
{
	if (v->type != VALUE_NUMBER)
		return err_set(err, ERR_BAD_REQUEST, "expected a number, got %s",
			       value_type_name(v->type));
	if (!isfinite(v->num))
		return err_set(err, ERR_INVALID_VALUE, "must be a finite number");
	if (num_validate(which, v->num, err) < 0)
		return -1;
	((struct panner *)n)->num_m[which] = v->num;
	return 0;
}

#define NUM_ATTR(fn, idx)                                                                      \
	static int fn##_check(struct node *n, const struct value *v, void **staged,            \
			      struct error *err)                                               \
	{                                                                                      \
		*staged = NULL;                                                                \
		return num_check(n, v, idx, err);                                              \
	}                                                                                      \
	static void fn##_apply(struct node *n, const struct value *v, void **staged)           \
	{                                                                                      \
		(void)staged;                                                                  \
		((struct panner *)n)->num[idx] = v->num;                                       \
		((struct panner *)n)->cached = false;                                          \
	}                                                                                      \
	static void fn##_get(const struct node *n, struct value *v)                            \
	{                                                                                      \
		v->type = VALUE_NUMBER;                                                        \
		v->num = ((const struct panner *)n)->num_m[idx];                               \
	}

NUM_ATTR(ref_distance, REF)
NUM_ATTR(max_distance, MAXD)
NUM_ATTR(rolloff, ROLLOFF)
NUM_ATTR(cone_inner, CONE_IN)
NUM_ATTR(cone_outer, CONE_OUT)
NUM_ATTR(cone_gain, CONE_GAIN)

#define ATTR(nm, fn) { .name = nm, .check = fn##_check, .apply = fn##_apply, .get = fn##_get }

static const struct attr_desc panner_attrs[] = {
	ATTR("panningModel", panning_model),
	ATTR("distanceModel", distance_model),
	ATTR("refDistance", ref_distance),
	ATTR("maxDistance", max_distance),
	ATTR("rolloffFactor", rolloff),
	ATTR("coneInnerAngle", cone_inner),
	ATTR("coneOuterAngle", cone_outer),
	ATTR("coneOuterGain", cone_gain),
};

/* --- construction ------------------------------------------------------------------------- */

static int panner_check_channels(struct node *n, uint32_t count, enum count_mode mode,
				 enum interp interp, struct error *err)
{
	(void)n;
	(void)interp;
	if (count > 2)
		return err_set(err, ERR_NOT_SUPPORTED,
			       "channelCount: PannerNode takes at most 2 channels, not %u",
			       (unsigned)count);
	if (mode == COUNT_MAX)
		return err_set(err, ERR_NOT_SUPPORTED,
			       "channelCountMode: PannerNode cannot use \"max\"");
	return 0;
}

static int panner_init(struct node *n, const struct option *opts, size_t n_opts,
		       struct error *err)
{
	static const char *const valid[] = {
		"panningModel", "distanceModel", "refDistance", "maxDistance", "rolloffFactor",
		"coneInnerAngle", "coneOuterAngle", "coneOuterGain", NULL,
	};
	struct panner *p = (struct panner *)n;
	int m = 0;

	p->model_m = PANNER_EQUALPOWER;
	p->distance_m = PANNER_INVERSE;
	memcpy(p->num_m, num_defaults, sizeof(p->num_m));
	for (size_t i = 0; i < n_opts; i++) {
		const struct option *o = &opts[i];
		int which = -1;
		double d;

		if (strcmp(o->name, "panningModel") == 0) {
			if (option_enum(o, model_names, 2, &m, err) < 0)
				return -1;
			p->model_m = m;
			continue;
		}
		if (strcmp(o->name, "distanceModel") == 0) {
			if (option_enum(o, distance_names, 3, &m, err) < 0)
				return -1;
			p->distance_m = m;
			continue;
		}
		for (int k = 0; k < N_NUM; k++)
			if (strcmp(o->name, num_names[k]) == 0)
				which = k;
		if (which < 0)
			return node_bad_option(n, o->name, valid, err);
		if (option_number(o, &d, err) < 0)
			return -1;
		if (num_validate(which, d, err) < 0) {
			err_prefix(err, "%s", o->name);
			return -1;
		}
		p->num_m[which] = d;
	}
	if (p->model_m == PANNER_HRTF) {
		p->hrtf_m = hrtf_get(n, err);
		if (p->hrtf_m == NULL)
			return -1;
	}
	p->model = p->model_m;
	p->distance = p->distance_m;
	memcpy(p->num, p->num_m, sizeof(p->num));
	p->hrtf = p->hrtf_m;
	return 0;
}

static void panner_fini(struct node *n)
{
	struct panner *p = (struct panner *)n;

	hrtf_set_unref(p->hrtf_m);
	p->hrtf_m = NULL;
}

const struct node_kind panner_kind = {
	.name = "PannerNode",
	.size = sizeof(struct panner),
	.inputs = 1,
	.outputs = 1,
	.channel_count = 2,
	.count_mode = COUNT_CLAMPED_MAX,
	.interp = INTERP_SPEAKERS,
	.params = panner_params,
	.n_params = N_PARAMS,
	.attrs = panner_attrs,
	.n_attrs = sizeof(panner_attrs) / sizeof(panner_attrs[0]),
	.init = panner_init,
	.check_channels = panner_check_channels,
	.uses_listener = true,
	.process = panner_process,
	.fini = panner_fini,
};
