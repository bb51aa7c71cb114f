/* the node base: construction from an options dictionary, option helpers, scheduling of
 * AudioScheduledSourceNodes.  node_new/node_free and option_*: control thread.
 * node_sched_range and node_ended: render thread, no allocation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "node.h"

#define NODE_ALIGN 64
_Static_assert(_Alignof(struct param) <= NODE_ALIGN, "params need a larger alignment");

static const char *const count_mode_names[] = { "max", "clamped-max", "explicit" };
static const char *const interp_names[] = { "speakers", "discrete" };

int option_number(const struct option *o, double *out, struct error *err)
{
	if (o->value.type != VALUE_NUMBER)
		return err_set(err, ERR_BAD_REQUEST, "%s: expected a number, got %s", o->name,
			       value_type_name(o->value.type));
	if (!isfinite(o->value.num))
		return err_set(err, ERR_INVALID_VALUE, "%s: must be a finite number", o->name);
	*out = o->value.num;
	return 0;
}

int option_bool(const struct option *o, bool *out, struct error *err)
{
	if (o->value.type != VALUE_BOOL)
		return err_set(err, ERR_BAD_REQUEST, "%s: expected a boolean, got %s", o->name,
			       value_type_name(o->value.type));
	*out = o->value.b;
	return 0;
}

int option_enum(const struct option *o, const char *const *names, int n, int *out,
		struct error *err)
{
	const char *hint;
	int i;

	if (o->value.type != VALUE_STRING)
		return err_set(err, ERR_BAD_REQUEST, "%s: expected a string, got %s", o->name,
			       value_type_name(o->value.type));
	for (i = 0; i < n; i++) {
		if (strcmp(names[i], o->value.str) == 0) {
			*out = i;
			return 0;
		}
	}
	hint = err_suggest(o->value.str, names, n);
	if (hint)
		return err_set(err, ERR_INVALID_VALUE, "%s: invalid value \"%s\", did you mean \"%s\"?",
			       o->name, o->value.str, hint);
	return err_set(err, ERR_INVALID_VALUE, "%s: invalid value \"%s\"", o->name, o->value.str);
}

int node_bad_option(struct node *n, const char *opt, const char *const *valid, struct error *err)
{
	const char *cand[64];
	const char *hint;
	int k = 0;
	uint32_t i;

	for (i = 0; valid && valid[i] && k < 48; i++)
		cand[k++] = valid[i];
	for (i = 0; i < n->n_params && k < 60; i++)
		cand[k++] = n->param_descs[i].name;
	cand[k++] = "channelCount";
	cand[k++] = "channelCountMode";
	cand[k++] = "channelInterpretation";
	hint = err_suggest(opt, cand, k);
	if (hint)
		return err_set(err, ERR_BAD_REQUEST, "%s: unknown option for %s, did you mean \"%s\"?",
			       opt, n->kind->name, hint);
	return err_set(err, ERR_BAD_REQUEST, "%s: unknown option for %s", opt, n->kind->name);
}

struct param *node_param(struct node *n, const char *name)
{
	uint32_t i;

	for (i = 0; i < n->n_params; i++)
		if (strcmp(n->param_descs[i].name, name) == 0)
			return &n->params[i];
	return NULL;
}

const struct attr_desc *node_attr(const struct node *n, const char *name)
{
	uint32_t i;

	for (i = 0; i < n->kind->n_attrs; i++)
		if (strcmp(n->kind->attrs[i].name, name) == 0)
			return &n->kind->attrs[i];
	return NULL;
}

/* channel options shared by every node; 1 when o is one of them, 0 when not, -1 on error */
static int channel_option(struct chan_cfg *cfg, const struct option *o, struct error *err)
{
	int v;

	if (strcmp(o->name, "channelCount") == 0) {
		double d;
		if (option_number(o, &d, err) < 0)
			return -1;
		if (d != floor(d) || d < 1 || d > MAX_CHANNELS)
			return err_set(err, ERR_NOT_SUPPORTED,
				       "channelCount: %g is not an integer in 1..%d", d, MAX_CHANNELS);
		cfg->count = (uint32_t)d;
		return 1;
	}
	if (strcmp(o->name, "channelCountMode") == 0) {
		if (option_enum(o, count_mode_names, 3, &v, err) < 0)
			return -1;
		cfg->mode = (enum count_mode)v;
		return 1;
	}
	if (strcmp(o->name, "channelInterpretation") == 0) {
		if (option_enum(o, interp_names, 2, &v, err) < 0)
			return -1;
		cfg->interp = (enum interp)v;
		return 1;
	}
	return 0;
}

int node_channel_value(const struct node *n, const char *attr, const struct value *v,
		       struct chan_cfg *cfg, struct error *err)
{
	struct option o = { .name = attr, .value = *v };
	int r;

	*cfg = n->cfg_model;
	r = channel_option(cfg, &o, err);
	if (r < 0)
		return -1;
	if (r == 0)
		return err_set(err, ERR_UNKNOWN_ATTR, "%s: not a channel attribute", attr);
	if (n->kind->check_channels &&
	    n->kind->check_channels((struct node *)n, cfg->count, cfg->mode, cfg->interp, err) < 0)
		return -1;
	return 0;
}

const char *node_count_mode_name(enum count_mode m)
{
	return count_mode_names[m];
}

const char *node_interp_name(enum interp i)
{
	return interp_names[i];
}

/* zeroed memory at a 64-byte boundary (what _Alignof(struct param) asks; calloc gives 16) */
static void *zalloc_aligned(size_t size)
{
	size_t round = (size + NODE_ALIGN - 1) / NODE_ALIGN * NODE_ALIGN;
	void *p = aligned_alloc(NODE_ALIGN, round ? round : NODE_ALIGN);

	if (p)
		memset(p, 0, round ? round : NODE_ALIGN);
	return p;
}

static int node_alloc_buses(struct node *n)
{
	uint32_t i;

	n->in = calloc(n->n_inputs ? n->n_inputs : 1, sizeof(*n->in));
	n->out = calloc(n->n_outputs ? n->n_outputs : 1, sizeof(*n->out));
	if (!n->in || !n->out)
		return -1;
	for (i = 0; i < n->n_inputs; i++)
		if (bus_init(&n->in[i], MAX_CHANNELS) < 0)
			return -1;
	for (i = 0; i < n->n_outputs; i++)
		if (bus_init(&n->out[i], MAX_CHANNELS) < 0)
			return -1;
	return 0;
}

struct node *node_new(struct engine *e, const struct node_kind *kind, const char *name,
		      uint32_t id, const struct option *opts, size_t n_opts, struct error *err)
{
	struct option *rest = NULL;
	size_t n_rest = 0, i;
	struct node *n;

	/* kinds may hold members aligned for SIMD (struct param's values): 64 bytes */
	n = zalloc_aligned(kind->size);
	if (n == NULL)
		goto error_oom;
	n->kind = kind;
	n->engine = e;
	n->id = id;
	n->sample_rate = engine_sample_rate(e);
	n->name = strdup(name);
	n->n_inputs = kind->inputs;
	n->n_outputs = kind->outputs;
	n->cfg_model.count = kind->channel_count;
	n->cfg_model.mode = kind->count_mode;
	n->cfg_model.interp = kind->interp;
	n->sched.stop = INFINITY;
	n->sched.duration = INFINITY;
	n->until = UINT64_MAX;	/* FRAME_NEVER: alive */
	n->param_descs = kind->params;
	n->n_params = kind->n_params;
	if (n->name == NULL)
		goto error_oom;
	if (kind->describe && kind->describe(n, opts, n_opts, err) < 0)
		goto error;
	if (n->n_params) {
		n->params = zalloc_aligned(n->n_params * sizeof(*n->params));
		if (n->params == NULL)
			goto error_oom;
	}
	for (i = 0; i < n->n_params; i++)
		if (param_init(&n->params[i], &n->param_descs[i], n->param_descs[i].def) < 0)
			goto error_oom;

	rest = calloc(n_opts ? n_opts : 1, sizeof(*rest));
	if (rest == NULL)
		goto error_oom;
	for (i = 0; i < n_opts; i++) {
		struct param *p;
		int r = channel_option(&n->cfg_model, &opts[i], err);
		if (r < 0)
			goto error;
		if (r > 0)
			continue;
		p = node_param(n, opts[i].name);
		if (p) {
			double d;
			if (option_number(&opts[i], &d, err) < 0)
				goto error;
			param_fini(p);
			if (param_init(p, p->desc, (float)d) < 0)
				goto error_oom;
			continue;
		}
		rest[n_rest++] = opts[i];
	}
	if (kind->init) {
		if (kind->init(n, rest, n_rest, err) < 0)
			goto error;
	} else if (n_rest) {
		node_bad_option(n, rest[0].name, NULL, err);
		goto error;
	}
	if (kind->check_channels &&
	    kind->check_channels(n, n->cfg_model.count, n->cfg_model.mode, n->cfg_model.interp,
				 err) < 0)
		goto error;
	n->cfg = n->cfg_model;
	if (node_alloc_buses(n) < 0)
		goto error_oom;
	free(rest);
	return n;

error_oom:
	err_set(err, ERR_INTERNAL, "out of memory");
error:
	free(rest);
	node_free(n);
	return NULL;
}

void node_free(struct node *n)
{
	uint32_t i;

	if (n == NULL)
		return;
	if (n->kind->fini)
		n->kind->fini(n);
	for (i = 0; n->in && i < n->n_inputs; i++)
		bus_fini(&n->in[i]);
	for (i = 0; n->out && i < n->n_outputs; i++)
		bus_fini(&n->out[i]);
	for (i = 0; n->params && i < n->n_params; i++)
		param_fini(&n->params[i]);
	free(n->in);
	free(n->out);
	free(n->params);
	free(n->name);
	free(n);
}

/* first frame at or after time t (s).  a time made from a frame (frame / rate, as "now"
 * is) may come back a hair above it, 26880.000000000004: up to 1e-7 frame counts as on it */
static uint64_t frame_at(double t, double rate)
{
	double f;

	if (t <= 0)
		return 0;
	f = ceil(t * rate - 1e-7);
	if (f >= 1.8e19)
		return UINT64_MAX;
	return (uint64_t)f;
}

bool node_sched_range(struct node *n, const struct render_ctx *ctx, uint32_t *from, uint32_t *to)
{
	struct sched *s = &n->sched;
	uint64_t q0 = ctx->frame, q1 = ctx->frame + QUANTUM;
	uint64_t sf, ef;

	if (s->state == SCHED_UNSTARTED || s->state == SCHED_ENDED)
		return false;
	sf = frame_at(s->start, ctx->sample_rate);
	ef = isinf(s->stop) ? UINT64_MAX : frame_at(s->stop, ctx->sample_rate);
	if (ef <= sf)
		ef = sf;	/* stopped before it started: plays nothing, ends at start */
	if (ef <= q0) {
		node_ended(n, ctx, s->stop > s->start ? s->stop : s->start);
		return false;
	}
	if (sf >= q1)
		return false;
	s->state = SCHED_PLAYING;
	*from = sf > q0 ? (uint32_t)(sf - q0) : 0;
	*to = ef < q1 ? (uint32_t)(ef - q0) : QUANTUM;
	if (ef <= q1)
		node_ended(n, ctx, s->stop > s->start ? s->stop : s->start);
	return *from < *to;
}

void node_ended(struct node *n, const struct render_ctx *ctx, double t)
{
	struct engine_event ev = { ENGINE_EVENT_ENDED, n->id, t };

	if (n->sched.state == SCHED_ENDED)
		return;
	n->sched.state = SCHED_ENDED;
	engine_event_push(ctx->engine, &ev);
}
