/* the engine's control side: lifecycle, the graph model and its name table, the ops that
 * validate a change against the model and build everything the renderer will need, their
 * undo and freeing, batches and the collection of what ended with `at`.
 * control thread only.  it owns the control-side fields of struct engine
 * (engine-private.h) and every op until it is submitted and again once it comes back; of
 * the render side it reads only the frame counter (engine_frame).  the render side is
 * render.c. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "engine-private.h"
#include "hrtf.h"

/* ---------------------------------------------------------------------------------------- */

void engine_set_hrtf_loader(struct engine *e,
			    struct hrtf_set *(*load)(void *data, double rate, struct error *err),
			    void *data)
{
	e->hrtf_load = load;
	e->hrtf_data = data;
}

struct hrtf_set *engine_hrtf(struct engine *e, struct error *err)
{
	if (e->hrtf == NULL && e->hrtf_load == NULL) {
		err_set(err, ERR_NOT_SUPPORTED, "HRTF panning needs an HRTF dataset, and this "
			"context has none");
		return NULL;
	}
	if (e->hrtf == NULL && (e->hrtf = e->hrtf_load(e->hrtf_data, e->sample_rate, err)) == NULL)
		return NULL;
	return hrtf_set_ref(e->hrtf);
}

void engine_set_plugin_host(struct engine *e, plugin_instantiate_fn instantiate, void *data)
{
	e->plugin_new = instantiate;
	e->plugin_data = data;
}

struct plugin_instance *engine_plugin_instantiate(struct engine *e, const char *uri,
						  struct error *err)
{
	if (e->plugin_new == NULL) {
		err_set(err, ERR_NOT_SUPPORTED, "LV2Node needs an LV2 plugin host, and this "
			"context has none (audiod built without lilv?)");
		return NULL;
	}
	return e->plugin_new(e->plugin_data, uri, e->sample_rate, QUANTUM, err);
}

void engine_set_media_host(struct engine *e, media_open_fn open, void *data)
{
	e->media_open = open;
	e->media_data = data;
}

struct media_stream *engine_media_open(struct engine *e, const char *kind,
				       struct media_request *rq, struct error *err)
{
	if (e->media_open == NULL) {
		err_set(err, ERR_NOT_SUPPORTED, "%s needs a live sound server (the daemon's "
			"PipeWire connection); offline rendering has none", kind);
		return NULL;
	}
	rq->rate = e->sample_rate;
	return e->media_open(e->media_data, rq, err);
}

void engine_set_limits(struct engine *e, const struct engine_limits *l)
{
	e->limits = *l;
}

size_t engine_op_count(const struct engine_op *op)
{
	size_t n = 0;

	for (; op; op = op->next)
		n++;
	return n;
}

size_t engine_op_bytes(const struct engine_op *op)
{
	size_t n = 0;

	for (; op != NULL; op = op->next) {
		n += sizeof(*op);
		if (op->update)
			n += param_update_bytes(op->update);
		if (op->plan)
			n += op->plan->bytes;
		if (op->value.type == VALUE_ARRAY)
			n += op->value.arr.n * sizeof(double);
	}
	return n;
}

double engine_sample_rate(const struct engine *e)
{
	return e->sample_rate;
}

uint32_t engine_channels(const struct engine *e)
{
	return e->channels;
}

/* "now" for an op taking effect at `at` (ENGINE_NEXT: the renderer's next quantum) */
static double engine_now(const struct engine *e, double at)
{
	if (at >= 0)
		return at;
	return (double)engine_frame(e) / e->sample_rate;
}

/* an op naming a node keeps it alive: a deleted node may still have ops in flight (held
 * for a later `at`), and is freed with the last of them */
/* the first frame of the quantum an edit made now takes effect in, when that is later than
 * the renderer's next quantum (an edit with `at`); 0 for "at once" */
static uint64_t activation(const struct engine *e, double at)
{
	uint64_t f, next = engine_frame(e);

	if (!(at >= 0))
		return 0;
	f = (uint64_t)ceil(at * e->sample_rate - 1e-9);
	f = (f + QUANTUM - 1) / QUANTUM * QUANTUM;
	return f > next ? f : 0;
}

static struct engine_op *op_new(enum op_kind kind, struct node *n)
{
	struct engine_op *op = calloc(1, sizeof(*op));

	if (op) {
		op->kind = kind;
		op->node = n;
		if (n)
			n->op_refs++;
	}
	return op;
}

static void node_release(struct node *n)
{
	if (n->dead && n->op_refs == 0)
		node_free(n);
}

static void model_add(struct engine *e, struct node *n);

static int oom(struct error *err)
{
	return err_set(err, ERR_INTERNAL, "out of memory");
}

/* rebuilds the plan after a model change; inside a batch the plan waits for
 * engine_batch_end and the op is empty.  the caller reverts the model on failure. */
static int plan_op(struct engine *e, struct node *dead, struct engine_op **op, struct error *err)
{
	struct plan *p = NULL;

	if (e->batch) {
		*op = op_new(OP_PLAN, NULL);
		if (*op == NULL)
			return oom(err);
		e->batch_dirty = true;
		if (dead) {
			dead->model_next = e->batch_dead;
			e->batch_dead = dead;
		}
		return 0;
	}
	p = graph_plan(&e->graph, err);
	if (p == NULL)
		return -1;
	p->seq = ++e->plan_seq;
	if (dead)
		dead->model_next = NULL;
	*op = op_new(OP_PLAN, NULL);
	if (*op == NULL) {
		plan_free(p);
		return oom(err);
	}
	(*op)->plan = p;
	(*op)->dead = dead;
	return 0;
}

struct engine *engine_new(double sample_rate, uint32_t channels, struct error *err)
{
	extern const struct node_kind destination_kind, listener_kind;
	struct engine_op *op = NULL;
	struct option opt;
	struct engine *e;

	if (!(sample_rate >= ENGINE_MIN_RATE && sample_rate <= ENGINE_MAX_RATE)) {
		err_set(err, ERR_NOT_SUPPORTED, "sampleRate %g is outside %g..%g", sample_rate,
			ENGINE_MIN_RATE, ENGINE_MAX_RATE);
		return NULL;
	}
	if (channels < 1 || channels > MAX_CHANNELS) {
		err_set(err, ERR_NOT_SUPPORTED, "channels %u is outside 1..%d", channels,
			MAX_CHANNELS);
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		goto error_oom;
	e->sample_rate = sample_rate;
	e->channels = channels;
	e->next_id = 1;
	e->limits.param_events = UINT32_MAX;
	e->param_gen = 1;	/* plan entries start at 0: nothing known */
	ringidx_init(&e->ev_idx, EVENT_CAP, 0);
	if (bus_init(&e->scratch, MAX_CHANNELS) < 0 || bus_init(&e->silent_out, MAX_CHANNELS) < 0)
		goto error_oom;
	bus_silence(&e->silent_out, channels);
	opt.name = "channelCount";
	opt.value.type = VALUE_NUMBER;
	opt.value.num = channels;
	e->dest = node_new(e, &destination_kind, "destination", 0, &opt, 1, err);
	if (e->dest == NULL)
		goto error;
	model_add(e, e->dest);
	/* created second and without inputs, the listener comes first in every plan, so its
	 * params are computed before any PannerNode reads them */
	e->listener = node_new(e, &listener_kind, "listener", 0, NULL, 0, err);
	if (e->listener == NULL)
		goto error;
	model_add(e, e->listener);
	if (plan_op(e, NULL, &op, err) < 0)
		goto error;
	engine_exec(e, op);
	return e;

error_oom:
	oom(err);
error:
	engine_free(e);
	return NULL;
}

void engine_free(struct engine *e)
{
	struct node *n, *next;
	struct edge *x, *xn;

	if (e == NULL)
		return;
	for (n = e->graph.head; n; n = next) {
		next = n->model_next;
		node_free(n);
	}
	for (n = e->batch_dead; n; n = next) {
		next = n->model_next;
		node_free(n);
	}
	for (x = e->graph.edges; x; x = xn) {
		xn = x->next;
		free(x);
	}
	plan_free(e->plan);
	hrtf_set_unref(e->hrtf);
	free(e->names);
	bus_fini(&e->scratch);
	bus_fini(&e->silent_out);
	free(e);
}

/* ---------------------------------------------------------------------------------------- */
/* lookups */

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static void names_insert(struct node **tab, uint32_t cap, struct node *n)
{
	uint32_t b = name_hash(n->name) & (cap - 1);

	n->hash_next = tab[b];
	tab[b] = n;
}

/* keeps the table at most one node per bucket on average; a failed grow keeps the old
 * table, which stays correct, only slower */
static void names_add(struct engine *e, struct node *n)
{
	if (e->graph.count + 1 > e->names_cap) {
		uint32_t cap = e->names_cap ? e->names_cap * 2 : 64, i;
		struct node **tab = calloc(cap, sizeof(*tab));
		if (tab) {
			for (i = 0; i < e->names_cap; i++) {
				struct node *x = e->names[i], *next;
				for (; x; x = next) {
					next = x->hash_next;
					names_insert(tab, cap, x);
				}
			}
			free(e->names);
			e->names = tab;
			e->names_cap = cap;
		}
	}
	names_insert(e->names, e->names_cap, n);
}

static void names_remove(struct engine *e, struct node *n)
{
	struct node **pp = &e->names[name_hash(n->name) & (e->names_cap - 1)];

	for (; *pp; pp = &(*pp)->hash_next) {
		if (*pp == n) {
			*pp = n->hash_next;
			return;
		}
	}
}

/* every node enters and leaves the model through these two */
static void model_add(struct engine *e, struct node *n)
{
	names_add(e, n);
	graph_add(&e->graph, n);
}

static void model_remove(struct engine *e, struct node *n)
{
	names_remove(e, n);
	graph_remove(&e->graph, n);
}

struct node *engine_node(struct engine *e, const char *name)
{
	struct node *n;

	if (e->names_cap == 0)
		return NULL;
	for (n = e->names[name_hash(name) & (e->names_cap - 1)]; n; n = n->hash_next)
		if (strcmp(n->name, name) == 0)
			return n;
	return NULL;
}

const char *engine_node_name(struct engine *e, uint32_t id)
{
	struct node *n;

	for (n = e->graph.head; n; n = n->model_next)
		if (n->id == id)
			return n->name;
	return NULL;
}

void engine_foreach_node(struct engine *e, void (*fn)(struct node *n, void *data), void *data)
{
	struct node *n, *next;

	for (n = e->graph.head; n; n = next) {
		next = n->model_next;
		if (n->until == FRAME_NEVER)	/* not deleted with `at` */
			fn(n, data);
	}
}

size_t engine_node_count(const struct engine *e)
{
	return e->graph.count;
}

void engine_foreach_connection(struct engine *e,
			       void (*fn)(const struct node *src, uint32_t output,
					  const struct node *dst, int input, const char *param,
					  void *data),
			       void *data)
{
	const struct edge *x;

	for (x = e->graph.edges; x; x = x->next)
		if (x->until == FRAME_NEVER)
			fn(x->src, x->output, x->dst, x->input,
			   x->param >= 0 ? x->dst->param_descs[x->param].name : NULL, data);
}

struct node *engine_destination(struct engine *e)
{
	return e->dest;
}

struct node *engine_listener(struct engine *e)
{
	return e->listener;
}

static struct node *find_node(struct engine *e, const char *name, struct error *err)
{
	struct node *n;

	if (name == NULL || name[0] == '\0') {
		err_set(err, ERR_BAD_REQUEST, "missing node name");
		return NULL;
	}
	n = engine_node(e, name);
	if (n == NULL)
		err_set(err, ERR_UNKNOWN_NODE, "no node named \"%s\"", name);
	return n;
}

/* "node.param" -> node and param */
static int find_param(struct engine *e, const char *target, struct node **np, int *pi,
		      struct error *err)
{
	const char *dot = target ? strrchr(target, '.') : NULL;
	const char *names[64];
	char node_name[256];
	struct node *n;
	uint32_t i;
	size_t len;

	if (dot == NULL || dot == target || dot[1] == '\0')
		return err_set(err, ERR_BAD_REQUEST, "\"%s\" is not of the form \"node.param\"",
			       target ? target : "");
	len = (size_t)(dot - target);
	if (len >= sizeof(node_name))
		return err_set(err, ERR_UNKNOWN_NODE, "node name too long");
	memcpy(node_name, target, len);
	node_name[len] = '\0';
	n = find_node(e, node_name, err);
	if (n == NULL)
		return -1;
	for (i = 0; i < n->n_params; i++) {
		if (strcmp(n->param_descs[i].name, dot + 1) == 0) {
			*np = n;
			*pi = (int)i;
			return 0;
		}
		if (i < 64)
			names[i] = n->param_descs[i].name;
	}
	{
		const char *hint = err_suggest(dot + 1, names, (int)(i < 64 ? i : 64));
		if (hint)
			return err_set(err, ERR_UNKNOWN_PARAM,
				       "%s has no AudioParam \"%s\", did you mean \"%s\"?",
				       n->kind->name, dot + 1, hint);
	}
	return err_set(err, ERR_UNKNOWN_PARAM, "%s has no AudioParam \"%s\"", n->kind->name,
		       dot + 1);
}

/* ---------------------------------------------------------------------------------------- */
/* ops */

int engine_op_create_at(struct engine *e, double apply, const char *type, const char *name,
			const struct option *opts, size_t n_opts, struct engine_op **op,
			struct error *err)
{
	const struct node_kind *kind;
	struct node *n;

	kind = node_kind_find(type ? type : "");
	if (kind == NULL || strcmp(type, "AudioDestinationNode") == 0 ||
	    strcmp(type, "AudioListener") == 0) {
		const char *names[64], *hint;
		int i, k = 0;
		for (i = 0; i < node_kinds_count && k < 64; i++)
			if (strcmp(node_kinds[i]->name, "AudioDestinationNode") != 0 &&
			    strcmp(node_kinds[i]->name, "AudioListener") != 0)
				names[k++] = node_kinds[i]->name;
		hint = err_suggest(type ? type : "", names, k);
		if (hint)
			return err_set(err, ERR_UNKNOWN_TYPE,
				       "unknown node type \"%s\", did you mean \"%s\"?", type, hint);
		return err_set(err, ERR_UNKNOWN_TYPE, "unknown node type \"%s\"", type ? type : "");
	}
	if (name == NULL || name[0] == '\0' || strchr(name, '.') || strchr(name, '/'))
		return err_set(err, ERR_BAD_REQUEST,
			       "invalid node name \"%s\" (non-empty, without '.' or '/')",
			       name ? name : "");
	if (engine_node(e, name))
		return err_set(err, ERR_INVALID_STATE, "a node named \"%s\" already exists", name);
	n = node_new(e, kind, name, e->next_id, opts, n_opts, err);
	if (n == NULL)
		return -1;
	n->from = activation(e, apply);
	e->next_id++;
	model_add(e, n);
	if (plan_op(e, NULL, op, err) < 0) {
		model_remove(e, n);
		node_free(n);
		return -1;
	}
	(*op)->created = n;
	return 0;
}

/* puts back the ends end_edges changed (newest change first is the caller's order) */
static void undo_end_edges(struct engine *e, struct engine_op *op)
{
	uint32_t i;

	for (i = op->n_retimed; i-- > 0;) {
		op->retimed[i].edge->until = op->retimed[i].until;
		e->dying--;
	}
	if (op->deleted_at) {
		op->deleted_at->until = FRAME_NEVER;
		names_add(e, op->deleted_at);
		e->dying--;
	}
	free(op->retimed);
	op->retimed = NULL;
	op->n_retimed = 0;
	op->deleted_at = NULL;
}

/* gives the edges `pick` selects an end at frame `at`, remembering the old ends for undo;
 * with no error, builds the plan op */
static int end_edges(struct engine *e, uint64_t at, bool (*pick)(const struct edge *x,
								 const void *data),
		     const void *data, struct node *dying, struct engine_op **op,
		     struct error *err)
{
	struct engine_op held = { 0 };
	struct retimed *r = NULL;
	uint32_t n = 0;
	struct edge *x;

	for (x = e->graph.edges; x; x = x->next)
		n += pick(x, data);
	if (n && (r = calloc(n, sizeof(*r))) == NULL)
		return oom(err);
	n = 0;
	for (x = e->graph.edges; x; x = x->next) {
		if (!pick(x, data))
			continue;
		r[n++] = (struct retimed){ x, x->until };
		if (x->until > at)
			x->until = at;
		e->dying++;
	}
	if (dying) {
		dying->until = at;
		names_remove(e, dying);
		e->dying++;
	}
	held = (struct engine_op){ .retimed = r, .n_retimed = n, .deleted_at = dying };
	/* the plan, built with the ends set; only memory can fail it, then all goes back */
	if (plan_op(e, NULL, op, err) < 0) {
		undo_end_edges(e, &held);
		return -1;
	}
	(*op)->retimed = r;
	(*op)->n_retimed = n;
	(*op)->deleted_at = dying;
	return 0;
}

static bool touches(const struct edge *x, const void *node)
{
	return x->until == FRAME_NEVER && (x->src == node || x->dst == node);
}

int engine_op_delete_at(struct engine *e, double apply, const char *name,
			struct engine_op **op, struct error *err)
{
	struct node *n = find_node(e, name, err);
	struct edge *x, *next, *saved = NULL, **tail = &saved;
	uint64_t at;

	if (n == NULL)
		return -1;
	if (n == e->dest)
		return err_set(err, ERR_INVALID_STATE, "the destination cannot be deleted");
	if (n == e->listener)
		return err_set(err, ERR_INVALID_STATE, "the listener cannot be deleted");
	/* with `at`: the node and its edges end then; plans keep them until collected */
	if ((at = activation(e, apply)) != 0)
		return end_edges(e, at, touches, n, n, op, err);
	/* the node's edges go aside: back if the plan fails, kept by the op for undo */
	for (x = e->graph.edges; x; x = next) {
		next = x->next;
		if (x->src == n || x->dst == n) {
			graph_take_edge(&e->graph, x);
			*tail = x;
			tail = &x->next;
		}
	}
	model_remove(e, n);
	if (plan_op(e, n, op, err) < 0) {
		model_add(e, n);
		for (x = saved; x; x = next) {
			next = x->next;
			graph_put_edge(&e->graph, x);
		}
		return -1;
	}
	(*op)->deleted = n;
	(*op)->removed = saved;
	return 0;
}

int engine_op_connect_at(struct engine *e, double apply, const char *from, const char *to,
			 int output, int input, struct engine_op **op, struct error *err)
{
	struct edge edge = { 0 }, *added;
	struct node *src, *dst;
	int pi = -1;

	src = find_node(e, from, err);
	if (src == NULL)
		return -1;
	if (to && strchr(to, '.')) {
		if (find_param(e, to, &dst, &pi, err) < 0)
			return -1;
	} else {
		dst = find_node(e, to, err);
		if (dst == NULL)
			return -1;
	}
	if (output < 0)
		output = 0;
	if ((uint32_t)output >= src->n_outputs)
		return err_set(err, ERR_INDEX_SIZE, "output %d is out of range: %s has %u output%s",
			       output, src->name, src->n_outputs, src->n_outputs == 1 ? "" : "s");
	if (pi >= 0) {
		if (input > 0)
			return err_set(err, ERR_INDEX_SIZE, "an AudioParam has no input %d", input);
		input = -1;
	} else {
		if (input < 0)
			input = 0;
		if ((uint32_t)input >= dst->n_inputs)
			return err_set(err, ERR_INDEX_SIZE,
				       "input %d is out of range: %s has %u input%s", input,
				       dst->name, dst->n_inputs, dst->n_inputs == 1 ? "" : "s");
	}
	edge.src = src;
	edge.dst = dst;
	edge.output = (uint32_t)output;
	edge.input = input;
	edge.param = pi;
	edge.from = activation(e, apply);
	edge.until = FRAME_NEVER;
	if (graph_has_edge(&e->graph, &edge))
		return plan_op(e, NULL, op, err);	/* connecting twice changes nothing */
	/* a cycle it closes is allowed, with or without a DelayNode: the plan mutes the nodes of
	 * one without */
	added = graph_add_edge(&e->graph, &edge);
	if (added == NULL)
		return oom(err);
	if (plan_op(e, NULL, op, err) < 0) {
		graph_unlink_edge(&e->graph, added);
		return -1;
	}
	(*op)->added = added;
	return 0;
}

/* a disconnect() pattern: dst NULL matches any destination; output, input < 0 any index;
 * param >= 0 only that param's edges, else (with dst) only node inputs */
static bool edge_matches(const struct edge *x, const struct edge *want)
{
	if (x->src != want->src || x->until != FRAME_NEVER)
		return false;
	if ((int)want->output >= 0 && x->output != want->output)
		return false;
	if (want->dst == NULL)
		return true;
	if (x->dst != want->dst)
		return false;
	if (want->param >= 0)
		return x->param == want->param;
	return x->input >= 0 && (want->input < 0 || x->input == want->input);
}

static bool matches_pick(const struct edge *x, const void *want)
{
	return edge_matches(x, want);
}

int engine_op_disconnect_at(struct engine *e, double apply, const char *from, const char *to,
			    int output, int input, struct engine_op **op, struct error *err)
{
	struct node *src, *dst = NULL;
	struct edge *x, *next, want, *removed = NULL, **tail = &removed;
	uint64_t at;
	int pi = -1, matched = 0;

	src = find_node(e, from, err);
	if (src == NULL)
		return -1;
	if (to && strchr(to, '.')) {
		if (find_param(e, to, &dst, &pi, err) < 0)
			return -1;
	} else if (to) {
		dst = find_node(e, to, err);
		if (dst == NULL)
			return -1;
	}
	if (output >= 0 && (uint32_t)output >= src->n_outputs)
		return err_set(err, ERR_INDEX_SIZE, "output %d is out of range: %s has %u output%s",
			       output, src->name, src->n_outputs, src->n_outputs == 1 ? "" : "s");
	if (input >= 0 && dst && pi < 0 && (uint32_t)input >= dst->n_inputs)
		return err_set(err, ERR_INDEX_SIZE, "input %d is out of range: %s has %u input%s",
			       input, dst->name, dst->n_inputs, dst->n_inputs == 1 ? "" : "s");
	if (input >= 0 && (dst == NULL || pi >= 0))
		return err_set(err, ERR_BAD_REQUEST, "input needs a destination node");
	want = (struct edge){ .src = src, .dst = dst, .output = (uint32_t)output,
			      .input = input, .param = pi };
	for (x = e->graph.edges; x; x = x->next)
		matched += edge_matches(x, &want);
	if (matched == 0 && dst)
		return err_set(err, ERR_INVALID_STATE, "%s is not connected to %s%s", src->name,
			       to, output >= 0 || input >= 0 ? " at those indices" : "");
	if ((at = activation(e, apply)) != 0)
		return end_edges(e, at, matches_pick, &want, NULL, op, err);
	for (x = e->graph.edges; x; x = next) {
		next = x->next;
		if (edge_matches(x, &want)) {
			graph_take_edge(&e->graph, x);
			*tail = x;
			tail = &x->next;
		}
	}
	/* plan building only fails on memory */
	if (plan_op(e, NULL, op, err) < 0) {
		for (x = removed; x; x = next) {
			next = x->next;
			graph_put_edge(&e->graph, x);
		}
		return -1;
	}
	(*op)->removed = removed;
	return 0;
}

static int copy_value(struct value *dst, const struct value *src)
{
	*dst = *src;
	if (src->type == VALUE_STRING) {
		dst->str = strdup(src->str);
		return dst->str ? 0 : -1;
	}
	if (src->type == VALUE_ARRAY) {
		double *v = malloc((src->arr.n ? src->arr.n : 1) * sizeof(double));
		if (v == NULL)
			return -1;
		if (src->arr.n)
			memcpy(v, src->arr.v, src->arr.n * sizeof(double));
		dst->arr.v = v;
	}
	return 0;
}

static void free_value(struct value *v)
{
	if (v->type == VALUE_STRING)
		free((char *)v->str);
	else if (v->type == VALUE_ARRAY)
		free((double *)v->arr.v);
	v->type = VALUE_NULL;
}

int engine_op_set(struct engine *e, const char *name, const char *attr, const struct value *v,
		  struct engine_op **op, struct error *err)
{
	struct node *n = find_node(e, name, err);
	const struct attr_desc *a;
	struct engine_op *o;

	if (n == NULL)
		return -1;
	if (attr && (strcmp(attr, "channelCount") == 0 || strcmp(attr, "channelCountMode") == 0 ||
		     strcmp(attr, "channelInterpretation") == 0)) {
		struct chan_cfg cfg;
		if (node_channel_value(n, attr, v, &cfg, err) < 0)
			return -1;
		o = op_new(OP_CHANNELS, n);
		if (o == NULL)
			return oom(err);
		o->cfg = cfg;
		o->old_cfg = n->cfg_model;
		o->slot = NODE_MAX_ATTRS;
		o->seq = ++n->attr_seq[o->slot];
		n->cfg_model = cfg;
		*op = o;
		return 0;
	}
	a = attr ? node_attr(n, attr) : NULL;
	if (a == NULL) {
		const char *names[64], *hint;
		uint32_t i, k = 0;
		for (i = 0; i < n->kind->n_attrs && k < 60; i++)
			names[k++] = n->kind->attrs[i].name;
		names[k++] = "channelCount";
		names[k++] = "channelCountMode";
		names[k++] = "channelInterpretation";
		if (attr && node_param(n, attr))
			return err_set(err, ERR_UNKNOWN_ATTR,
				       "\"%s\" is an AudioParam of %s: use the param op", attr,
				       n->kind->name);
		hint = err_suggest(attr ? attr : "", names, (int)k);
		if (hint)
			return err_set(err, ERR_UNKNOWN_ATTR,
				       "%s has no attribute \"%s\", did you mean \"%s\"?",
				       n->kind->name, attr ? attr : "", hint);
		return err_set(err, ERR_UNKNOWN_ATTR, "%s has no attribute \"%s\"", n->kind->name,
			       attr ? attr : "");
	}
	o = op_new(OP_ATTR, n);
	if (o == NULL)
		return oom(err);
	if (copy_value(&o->value, v) < 0) {
		engine_op_free(e, o);	/* also gives back o's hold on the node */
		return oom(err);
	}
	o->attr = a;
	o->slot = (uint32_t)(a - n->kind->attrs);
	assert(o->slot < NODE_MAX_ATTRS);
	o->seq = ++n->attr_seq[o->slot];
	if (a->get) {
		struct value old = { .type = VALUE_NULL };
		a->get(n, &old);
		if (copy_value(&o->old_value, &old) < 0) {
			engine_op_free(e, o);
			return oom(err);
		}
	}
	if (a->memo)
		o->memo = a->memo(n);
	if (a->check(n, &o->value, &o->staged, err) < 0) {
		engine_op_free(e, o);
		/* kinds' messages may already start with the attribute's name */
		if (strncmp(err->msg, attr, strlen(attr)) != 0 || err->msg[strlen(attr)] != ':')
			err_prefix(err, "%s", attr);
		return -1;
	}
	*op = o;
	return 0;
}

int engine_op_param_at(struct engine *e, double apply, const char *target, const char *method,
		       const double *args, size_t nargs, const float *curve, size_t ncurve,
		       const char *rate, struct engine_op **op, struct error *err)
{
	struct param_update *u = NULL;
	struct engine_op *o;
	struct node *n;
	int pi;

	if (find_param(e, target, &n, &pi, err) < 0)
		return -1;
	if (strcmp(method, "value") != 0 && strcmp(method, "automationRate") != 0 &&
	    param_model_events(&n->params[pi], engine_now(e, apply)) >= e->limits.param_events)
		return err_set(err, ERR_LIMIT, "%s: %u automation events are already scheduled, "
			       "the most a param may hold", target, e->limits.param_events);
	if (param_prepare(&n->params[pi], method, args, nargs, curve, ncurve, rate, engine_now(e, apply),
			  e->sample_rate, &u, err) < 0)
		return -1;
	o = op_new(OP_PARAM, n);
	if (o == NULL) {
		param_update_free(u);
		return oom(err);
	}
	o->param = &n->params[pi];
	o->update = u;
	*op = o;
	return 0;
}

/* the scheduled source `name`, for start()/stop() */
static struct node *find_source(struct engine *e, const char *name, const char *verb,
				struct error *err)
{
	struct node *n = find_node(e, name, err);

	if (n && !n->kind->source) {
		err_set(err, ERR_INVALID_STATE, "%s is a %s, which has no %s()", name,
			n->kind->name, verb);
		return NULL;
	}
	return n;
}

/* a time argument: absent (NaN) is allowed, else finite and >= 0 (RangeError) */
static int check_time(const char *what, double v, struct error *err)
{
	if (!isnan(v) && (!isfinite(v) || v < 0))
		return err_set(err, ERR_INVALID_VALUE, "%s: must be a finite number >= 0, got %g",
			       what, v);
	return 0;
}

int engine_op_start(struct engine *e, const char *name, double when, double offset,
		    double duration, struct engine_op **op, struct error *err)
{
	struct node *n = find_source(e, name, "start", err);
	struct engine_op *o;

	if (n == NULL)
		return -1;
	if (n->sched.start_called)
		return err_set(err, ERR_INVALID_STATE, "%s: start() was already called", name);
	if (check_time("when", when, err) < 0 || check_time("offset", offset, err) < 0 ||
	    check_time("duration", duration, err) < 0)
		return -1;
	if (isnan(when))
		when = 0;
	if (n->kind->check_start && n->kind->check_start(n, when, offset, duration, err) < 0)
		return -1;
	o = op_new(OP_START, n);
	if (o == NULL)
		return oom(err);
	o->when = when;
	o->offset = isnan(offset) ? 0 : offset;
	o->duration = isnan(duration) ? INFINITY : duration;
	o->old_flag = n->sched.start_called;
	n->sched.start_called = true;
	n->sched.when_model = o->when;
	n->sched.offset_model = offset;
	n->sched.duration_model = duration;
	*op = o;
	return 0;
}

int engine_op_stop(struct engine *e, const char *name, double when, struct engine_op **op,
		   struct error *err)
{
	struct node *n = find_source(e, name, "stop", err);
	struct engine_op *o;

	if (n == NULL)
		return -1;
	if (!n->sched.start_called)
		return err_set(err, ERR_INVALID_STATE, "%s: stop() before start()", name);
	if (check_time("when", when, err) < 0)
		return -1;
	o = op_new(OP_STOP, n);
	if (o == NULL)
		return oom(err);
	o->when = isnan(when) ? 0 : when;
	o->old_flag = n->sched.stop_called;
	n->sched.stop_called = true;
	n->sched.stop_model = o->when;
	*op = o;
	return 0;
}

int engine_collect(struct engine *e, struct engine_op **op, struct error *err)
{
	uint64_t frame = engine_frame(e);
	struct node *n, *next, *dead = NULL;
	struct edge *x, *xn;
	uint32_t gone = 0;

	*op = NULL;
	if (e->dying == 0 || e->batch)
		return 0;
	for (x = e->graph.edges; x; x = x->next)
		gone += x->until != FRAME_NEVER && x->until <= frame;
	for (n = e->graph.head; n; n = n->model_next)
		gone += n->until != FRAME_NEVER && n->until <= frame;
	if (gone == 0)
		return 0;
	for (x = e->graph.edges; x; x = xn) {
		xn = x->next;
		if (x->until != FRAME_NEVER && x->until <= frame) {
			graph_unlink_edge(&e->graph, x);
			e->dying--;
		}
	}
	for (n = e->graph.head; n; n = next) {
		next = n->model_next;
		if (n->until == FRAME_NEVER || n->until > frame)
			continue;
		graph_remove(&e->graph, n);	/* and any edge still touching it */
		n->model_next = dead;
		dead = n;
		e->dying--;
	}
	/* the dead go with the plan that no longer holds them */
	if (plan_op(e, NULL, op, err) < 0)
		return -1;	/* only out of memory; the nodes then leak, unreachable */
	(*op)->dead = dead;
	return 0;
}

bool engine_collect_pending(const struct engine *e)
{
	return e->dying > 0;
}

void engine_batch_begin(struct engine *e)
{
	e->batch++;
}

int engine_batch_end(struct engine *e, struct engine_op **op, struct error *err)
{
	struct node *dead;

	*op = NULL;
	if (e->batch == 0 || --e->batch > 0)
		return 0;
	if (!e->batch_dirty)
		return 0;
	dead = e->batch_dead;
	if (plan_op(e, NULL, op, err) < 0) {
		e->batch++;	/* the batch stays open: the caller may retry or abandon */
		return -1;
	}
	/* the deleted nodes die with the plan that no longer holds them */
	(*op)->dead = dead;
	e->batch_dead = NULL;
	e->batch_dirty = false;
	return 0;
}

struct engine_op *engine_op_chain(struct engine_op *a, struct engine_op *b)
{
	struct engine_op *x;

	if (a == NULL)
		return b;
	for (x = a->last ? a->last : a; x->next; x = x->next)
		;
	x->next = b;
	a->last = b && b->last ? b->last : b ? b : x;
	return a;
}

/* ---------------------------------------------------------------------------------------- */
/* free and undo */

void engine_op_free(struct engine *e, struct engine_op *op)
{
	struct engine_op *next;

	(void)e;
	for (; op; op = next) {
		next = op->next;
		plan_free(op->plan);
		while (op->dead) {
			struct node *d = op->dead;
			op->dead = d->model_next;
			d->dead = true;
			node_release(d);
		}
		if (op->kind == OP_ATTR && op->staged && op->attr->release)
			op->attr->release(op->node, op->staged);
		free_value(&op->value);
		free_value(&op->old_value);
		free(op->retimed);
		while (op->removed) {
			struct edge *x = op->removed;
			op->removed = x->next;
			free(x);
		}
		param_update_free(op->update);
		if (op->node) {
			op->node->op_refs--;
			node_release(op->node);
		}
		free(op);
	}
}

/* takes one prepared op's change out of the model */
static void undo_one(struct engine *e, struct engine_op *op)
{
	struct node *n = op->node, **pp;
	struct edge *x;
	void *staged = NULL;
	struct error err;

	switch (op->kind) {
	case OP_PLAN:
		if (op->retimed || op->deleted_at)
			undo_end_edges(e, op);
		if (op->added)
			graph_unlink_edge(&e->graph, op->added);
		if (op->deleted) {
			/* out of the dead lists: the node lives on */
			for (pp = &e->batch_dead; *pp; pp = &(*pp)->model_next)
				if (*pp == op->deleted) {
					*pp = op->deleted->model_next;
					break;
				}
			op->dead = NULL;
			model_add(e, op->deleted);
		}
		while ((x = op->removed) != NULL) {
			op->removed = x->next;
			graph_put_edge(&e->graph, x);
		}
		if (op->created) {
			model_remove(e, op->created);
			node_free(op->created);
		}
		break;
	case OP_CHANNELS:
		n->cfg_model = op->old_cfg;
		break;
	case OP_ATTR:
		/* the kind's model goes back by checking the old value again */
		if (op->attr->release && op->staged)
			op->attr->release(n, op->staged);
		op->staged = NULL;
		if (op->attr->undo)
			op->attr->undo(n, &op->old_value, op->memo);
		else if (op->attr->get && op->attr->check(n, &op->old_value, &staged, &err) == 0 &&
			 op->attr->release && staged)
			op->attr->release(n, staged);
		break;
	case OP_PARAM:
		param_undo(op->param, op->update);
		op->update = NULL;
		break;
	case OP_START:
		n->sched.start_called = op->old_flag;
		break;
	case OP_STOP:
		n->sched.stop_called = op->old_flag;
		break;
	}
}

void engine_op_undo(struct engine *e, struct engine_op *op)
{
	struct engine_op *x, *prev = NULL, *next;

	/* newest first: reverse the chain */
	for (x = op; x; x = next) {
		next = x->next;
		x->next = prev;
		prev = x;
	}
	for (x = prev; x; x = next) {
		next = x->next;
		x->next = NULL;
		undo_one(e, x);
		engine_op_free(e, x);
	}
}

void engine_exec(struct engine *e, struct engine_op *op)
{
	engine_commit(e, op);
	engine_op_free(e, op);
}
