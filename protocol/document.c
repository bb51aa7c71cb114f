/* graph documents (PROTOCOL.md §6): validate, build into a fresh engine through the codec,
 * render offline with timed events applied at quantum boundaries.
 * control thread (or a plain single-threaded program); rendering calls the engine directly. */
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <json-c/json.h>

#include "engine/analyser.h"
#include "engine/buffer.h"
#include "engine/engine.h"
#include "engine/node.h"
#include "protocol/bufspec.h"
#include "protocol/codec.h"
#include "protocol/denormal.h"
#include "protocol/document.h"
#include "protocol/hrtf.h"
#include "protocol/lv2.h"
#include "protocol/jsonstrict.h"

#define DOC_MIN_RATE 8000.0
#define DOC_MAX_RATE 192000.0
#define DOC_MAX_CHANNELS 32
/* frames; the WAV header and memory are the real limits, this keeps sizes in range */
#define DOC_MAX_LENGTH ((uint64_t)UINT32_MAX)

struct doc_buffer {
	const char *name;		/* a key of the document's "buffers" */
	struct audio_buffer *buf;	/* one reference */
};

struct doc_event {
	uint64_t frame;			/* the quantum boundary it applies at */
	size_t index;			/* in "events", for paths */
	struct json_object *actions;
};

struct doc_probe {
	uint64_t frame;
	size_t index;
	double time;
	const char *node;
	const char *method;
};

struct document {
	struct engine *e;
	double rate;
	uint32_t channels;
	uint64_t length;		/* frames */
	struct json_object *root;	/* held: events and probes point into it */
	struct codec_env env;
	struct hrtf_cache hrtf;		/* HRTF panners' filters: $AUDIOD_HRTF_SOFA or default */
	struct lv2_host *lv2;		/* LV2Nodes' plugins, read on first use */

	struct doc_buffer *buffers;
	size_t n_buffers;
	uint64_t buffer_room;		/* bytes the buffers still to load may take */
	struct doc_event *events;
	size_t n_events;
	struct doc_probe *probes;
	size_t n_probes;
	struct json_object *probe_results;
};

/* where the graph part of a document is built: an engine, its names, and what to do with each
 * op prepared (offline: commit it now; the daemon: chain it for the render thread) */
struct builder {
	struct engine *e;
	const struct codec_env *env;
	int (*emit)(void *data, struct engine_op *op, struct error *err);
	void *data;
};

static const char *const top_fields[] = {
	"sampleRate", "length", "channels", "buffers", "nodes", "listener", "connections",
	"events", "probes",
};
static const char *const node_fields[] = {
	"id", "type", "options", "periodicWave", "buffer", "curve", "props", "params", "start",
	"stop",
};
static const char *const event_fields[] = { "time", "actions" };
static const char *const probe_fields[] = { "time", "node", "method" };
static const char *const probe_methods[] = {
	"getFloatFrequencyData", "getByteFrequencyData", "getFloatTimeDomainData",
	"getByteTimeDomainData",
};

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* --- helpers ------------------------------------------------------------------------------ */

static struct json_object *get(struct json_object *obj, const char *name)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(obj, name, &v);
	return v;
}

static int oom(struct error *err)
{
	return err_set(err, ERR_INTERNAL, "out of memory");
}

/* commits a prepared op right away: offline there is no render thread to hand it to */
static int exec(struct document *d, int r, struct engine_op **op)
{
	/* op is read here, after the call that filled it (argument order is unspecified) */
	if (r < 0)
		return -1;
	if (*op)
		engine_exec(d->e, *op);
	return 0;
}

static int exec_emit(void *data, struct engine_op *op, struct error *err)
{
	(void)err;
	engine_exec(data, op);
	return 0;
}

/* hands a prepared op to the builder's sink */
static int emit(struct builder *b, int r, struct engine_op **op, struct error *err)
{
	if (r < 0)
		return -1;
	if (*op)
		return b->emit(b->data, *op, err);
	return 0;
}

static int array_field(struct json_object *doc, const char *name, const char *path,
		       struct json_object **out, struct error *err)
{
	struct json_object *v = get(doc, name);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return err_set(err, ERR_BAD_REQUEST, "%s: expected an array", path);
	*out = v;
	return 0;
}

static int object_field(struct json_object *obj, const char *name, const char *path,
			struct json_object **out, struct error *err)
{
	struct json_object *v = get(obj, name);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_object))
		return err_set(err, ERR_BAD_REQUEST, "%s: expected an object", path);
	*out = v;
	return 0;
}

/* an integer field in [lo, hi]; absent gives def (or an error when def < 0) */
static int int_field(struct json_object *doc, const char *name, double def, double lo,
		     double hi, double *out, struct error *err)
{
	double v = def;

	if (codec_get_number(doc, name, def < 0, "", &v, err) < 0)
		return -1;
	if (v != floor(v))
		return err_set(err, ERR_INVALID_VALUE, "%s: %g is not an integer", name, v);
	if (v < lo || v > hi)
		return err_set(err, ERR_INVALID_VALUE, "%s: %g is outside the range [%g, %g]", name,
			       v, lo, hi);
	*out = v;
	return 0;
}

/* events and probes further ahead than this (about 32 years) could not be turned into a
 * frame at any rate */
#define DOC_TIME_MAX 1e9

/* the quantum boundary at or after time t: suspend() rounding.  a time that is a boundary
 * up to floating-point noise (0.08 s at 48 kHz) stays on that boundary. */
static uint64_t quantum_frame(double t, double rate)
{
	double f = t * rate, r = nearbyint(f);

	if (fabs(f - r) < 1e-6 * (r > 1 ? r : 1))
		f = r;
	return (uint64_t)ceil(f / QUANTUM) * QUANTUM;
}

/* --- buffers ------------------------------------------------------------------------------ */

static struct audio_buffer *doc_buffer(void *data, const char *name, struct error *err)
{
	struct document *d = data;
	const char *names[256], *hint;
	size_t i;
	int k = 0;

	for (i = 0; i < d->n_buffers; i++) {
		if (strcmp(d->buffers[i].name, name) == 0)
			return d->buffers[i].buf;
		if (k < COUNT(names))
			names[k++] = d->buffers[i].name;
	}
	hint = err_suggest(name, names, k);
	if (hint)
		err_set(err, ERR_INVALID_VALUE, "unknown buffer \"%s\", did you mean \"%s\"?", name,
			hint);
	else
		err_set(err, ERR_INVALID_VALUE, "unknown buffer \"%s\"", name);
	return NULL;
}

static int load_buffers(struct document *d, const char *base_dir, struct error *err)
{
	char p[CODEC_PATH_MAX];
	struct json_object *bufs;
	size_t n, bytes;

	if (object_field(d->root, "buffers", "buffers", &bufs, err) < 0)
		return -1;
	if (bufs == NULL)
		return 0;
	n = (size_t)json_object_object_length(bufs);
	d->buffers = calloc(n ? n : 1, sizeof(*d->buffers));
	if (d->buffers == NULL)
		return oom(err);
	json_object_object_foreach(bufs, key, val) {
		codec_path_field(p, sizeof(p), "buffers", key);
		d->buffers[d->n_buffers].buf = bufspec_load_max(val, base_dir, d->rate,
								d->buffer_room, p, err);
		if (d->buffers[d->n_buffers].buf == NULL)
			return -1;
		/* its samples, as the budget counts them */
		bytes = (size_t)d->buffers[d->n_buffers].buf->channels *
			d->buffers[d->n_buffers].buf->length * sizeof(float);
		d->buffer_room -= bytes < d->buffer_room ? bytes : d->buffer_room;
		d->buffers[d->n_buffers++].name = key;
	}
	return 0;
}

/* --- nodes -------------------------------------------------------------------------------- */

/* "params" of a node ("id.name") or of the listener ("listener.name"): name -> [[method,
 * args...], ...] applied in order */
static int apply_params(struct builder *b, const char *owner, struct json_object *params,
			const char *path, struct error *err)
{
	char target[CODEC_NAME_MAX * 2], p[CODEC_PATH_MAX], cp[CODEC_PATH_MAX];
	struct engine_op *op;
	size_t i, n;

	json_object_object_foreach(params, key, calls) {
		codec_path_field(p, sizeof(p), path, key);
		if (!json_object_is_type(calls, json_type_array))
			return err_set(err, ERR_BAD_REQUEST, "%s: expected an array of [method, args...]",
				       p);
		snprintf(target, sizeof(target), "%s.%s", owner, key);
		n = json_object_array_length(calls);
		for (i = 0; i < n; i++) {
			codec_path_index(cp, sizeof(cp), p, i);
			if (emit(b, codec_param_call(b->e, target, json_object_array_get_idx(calls, i),
						     b->env, cp, &op, err), &op, err) < 0)
				return -1;
		}
	}
	return 0;
}

static int apply_props(struct builder *b, const char *id, struct json_object *props,
		       const char *path, struct error *err)
{
	char p[CODEC_PATH_MAX];
	struct engine_op *op;

	json_object_object_foreach(props, key, val) {
		codec_path_field(p, sizeof(p), path, key);
		if (emit(b, codec_set(b->e, id, key, val, b->env, path, p, &op, err), &op, err) < 0)
			return -1;
	}
	return 0;
}

static int build_node(struct builder *b, struct json_object *node, const char *path,
		      struct error *err)
{
	char p[CODEC_PATH_MAX];
	struct json_object *props, *params;
	struct engine_op *op;
	const char *id, *type;

	if (codec_check_fields(node, node_fields, COUNT(node_fields), path, err) < 0 ||
	    codec_get_string(node, "id", true, path, &id, err) < 0 ||
	    codec_get_string(node, "type", true, path, &type, err) < 0)
		return -1;
	if (emit(b, codec_create(b->e, type, id, get(node, "options"), get(node, "buffer"),
				 get(node, "curve"), get(node, "periodicWave"), b->env, path, &op,
				 err), &op, err) < 0)
		return -1;
	codec_path_field(p, sizeof(p), path, "props");
	if (object_field(node, "props", p, &props, err) < 0 ||
	    (props && apply_props(b, id, props, p, err) < 0))
		return -1;
	codec_path_field(p, sizeof(p), path, "params");
	if (object_field(node, "params", p, &params, err) < 0 ||
	    (params && apply_params(b, id, params, p, err) < 0))
		return -1;
	return 0;
}

static int build_nodes(struct builder *b, struct json_object *doc, struct error *err)
{
	char p[CODEC_PATH_MAX];
	struct json_object *nodes;
	size_t i, n;

	if (array_field(doc, "nodes", "nodes", &nodes, err) < 0)
		return -1;
	n = nodes ? json_object_array_length(nodes) : 0;
	for (i = 0; i < n; i++) {
		codec_path_index(p, sizeof(p), "nodes", i);
		if (build_node(b, json_object_array_get_idx(nodes, i), p, err) < 0)
			return -1;
	}
	return 0;
}

/* [from, to, output?, input?] */
static int connect_one(struct builder *b, struct json_object *c, const char *path,
		       struct error *err)
{
	char p[CODEC_PATH_MAX];
	const char *from, *to;
	struct engine_op *op;
	int output = -1, input = -1;
	size_t n;

	if (!json_object_is_type(c, json_type_array) ||
	    (n = json_object_array_length(c)) < 2 || n > 4)
		return err_set(err, ERR_BAD_REQUEST, "%s: expected [from, to, output?, input?]", path);
	codec_path_index(p, sizeof(p), path, 0);
	if (codec_string(json_object_array_get_idx(c, 0), p, &from, err) < 0)
		return -1;
	codec_path_index(p, sizeof(p), path, 1);
	if (codec_string(json_object_array_get_idx(c, 1), p, &to, err) < 0)
		return -1;
	codec_path_index(p, sizeof(p), path, 2);
	if (n > 2 && codec_index(json_object_array_get_idx(c, 2), p, &output, err) < 0)
		return -1;
	codec_path_index(p, sizeof(p), path, 3);
	if (n > 3 && codec_index(json_object_array_get_idx(c, 3), p, &input, err) < 0)
		return -1;
	return emit(b, codec_connect(b->e, true, from, to, output, input, b->env, path, &op,
				     err), &op, err);
}

static int build_connections(struct builder *b, struct json_object *doc, struct error *err)
{
	char p[CODEC_PATH_MAX];
	struct json_object *conns;
	size_t i, n;

	if (array_field(doc, "connections", "connections", &conns, err) < 0)
		return -1;
	n = conns ? json_object_array_length(conns) : 0;
	for (i = 0; i < n; i++) {
		codec_path_index(p, sizeof(p), "connections", i);
		if (connect_one(b, json_object_array_get_idx(conns, i), p, err) < 0)
			return -1;
	}
	return 0;
}

/* "start": when | [when, offset?, duration?]; "stop": when */
static int start_node(struct builder *b, struct json_object *node, const char *path,
		      struct error *err)
{
	char p[CODEC_PATH_MAX], ip[CODEC_PATH_MAX];
	struct json_object *v;
	struct engine_op *op;
	double a[3] = { NAN, NAN, NAN };
	const char *id = json_object_get_string(get(node, "id"));
	size_t i, n;

	if ((v = get(node, "start")) != NULL) {
		codec_path_field(p, sizeof(p), path, "start");
		if (json_object_is_type(v, json_type_array)) {
			n = json_object_array_length(v);
			if (n < 1 || n > 3)
				return err_set(err, ERR_BAD_REQUEST,
					       "%s: expected when or [when, offset?, duration?]", p);
			for (i = 0; i < n; i++) {
				codec_path_index(ip, sizeof(ip), p, i);
				if ((i == 0 ? codec_time(json_object_array_get_idx(v, i), b->env,
							 ip, &a[i], err) :
				     codec_number(json_object_array_get_idx(v, i), ip, &a[i],
						  err)) < 0)
					return -1;
			}
		} else if (codec_time(v, b->env, p, &a[0], err) < 0) {
			return -1;
		}
		if (emit(b, codec_start(b->e, id, a[0], a[1], a[2], b->env, p, &op, err), &op, err) < 0)
			return -1;
	}
	if ((v = get(node, "stop")) != NULL) {
		codec_path_field(p, sizeof(p), path, "stop");
		if (codec_time(v, b->env, p, &a[0], err) < 0 ||
		    emit(b, codec_stop(b->e, id, a[0], b->env, p, &op, err), &op, err) < 0)
			return -1;
	}
	return 0;
}

static int start_nodes(struct builder *b, struct json_object *doc, struct error *err)
{
	char p[CODEC_PATH_MAX];
	struct json_object *nodes = get(doc, "nodes");
	size_t i, n = nodes ? json_object_array_length(nodes) : 0;

	for (i = 0; i < n; i++) {
		codec_path_index(p, sizeof(p), "nodes", i);
		if (start_node(b, json_object_array_get_idx(nodes, i), p, err) < 0)
			return -1;
	}
	return 0;
}

static int build_listener(struct builder *b, struct json_object *doc, struct error *err)
{
	struct json_object *l;

	if (object_field(doc, "listener", "listener", &l, err) < 0)
		return -1;
	return l ? apply_params(b, "listener", l, "listener", err) : 0;
}

static bool nonempty_array(struct json_object *v)
{
	return v && json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0;
}

int document_check_live(struct json_object *doc, struct error *err)
{
	char p[CODEC_PATH_MAX];
	struct json_object *v, *nodes = get(doc, "nodes");
	size_t i;

	if (!json_object_is_type(doc, json_type_object))
		return err_set(err, ERR_BAD_REQUEST, "document: expected a graph document object");
	if (codec_check_fields(doc, top_fields, COUNT(top_fields), "document", err) < 0)
		return -1;
	if (nonempty_array(get(doc, "events")) || nonempty_array(get(doc, "probes")))
		return err_set(err, ERR_NOT_SUPPORTED, "document: events and probes are for offline "
			       "rendering; schedule live edits with \"at\"");
	if ((v = get(doc, "buffers")) && !json_object_is_type(v, json_type_object))
		return err_set(err, ERR_BAD_REQUEST, "document.buffers: expected an object");
	if (nodes && !json_object_is_type(nodes, json_type_array))
		return err_set(err, ERR_BAD_REQUEST, "document.nodes: expected an array");
	for (i = 0; nodes && i < json_object_array_length(nodes); i++) {
		v = get(json_object_array_get_idx(nodes, i), "id");
		codec_path_index(p, sizeof(p), "document.nodes", i);
		strncat(p, ".id", sizeof(p) - strlen(p) - 1);
		if (v && json_object_is_type(v, json_type_string) &&
		    codec_check_new_name(json_object_get_string(v), p, err) < 0)
			return -1;
	}
	return 0;
}

int document_build(struct engine *e, struct json_object *doc, const struct codec_env *env,
		   int (*emit_fn)(void *data, struct engine_op *op, struct error *err), void *data,
		   struct error *err)
{
	struct builder b = { .e = e, .env = env, .emit = emit_fn, .data = data };

	/* the order §6 gives: nodes (options, props, params), the listener, connections, then
	 * start/stop */
	if (build_nodes(&b, doc, err) < 0 || build_listener(&b, doc, err) < 0 ||
	    build_connections(&b, doc, err) < 0 || start_nodes(&b, doc, err) < 0)
		return -1;
	return 0;
}

/* --- events and probes -------------------------------------------------------------------- */

static int event_cmp(const void *a, const void *b)
{
	const struct doc_event *x = a, *y = b;

	/* stable: same quantum keeps document order */
	if (x->frame != y->frame)
		return x->frame < y->frame ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int load_event(struct document *d, struct json_object *ev, size_t index,
		      struct error *err)
{
	char p[CODEC_PATH_MAX], ap[CODEC_PATH_MAX], xp[CODEC_PATH_MAX];
	struct json_object *actions;
	double t;
	size_t i, n;

	codec_path_index(p, sizeof(p), "events", index);
	if (codec_check_fields(ev, event_fields, COUNT(event_fields), p, err) < 0 ||
	    codec_get_number(ev, "time", true, p, &t, err) < 0)
		return -1;
	if (t < 0 || t > DOC_TIME_MAX)
		return err_set(err, ERR_INVALID_VALUE, "%s.time: %g is %s", p, t,
			       t < 0 ? "negative" : "too far ahead (at most 1e9 s)");
	codec_path_field(ap, sizeof(ap), p, "actions");
	actions = get(ev, "actions");
	if (actions == NULL)
		return err_set(err, ERR_BAD_REQUEST, "%s: missing required field", ap);
	if (!json_object_is_type(actions, json_type_array))
		return err_set(err, ERR_BAD_REQUEST, "%s: expected an array", ap);
	n = json_object_array_length(actions);
	for (i = 0; i < n; i++) {
		codec_path_index(xp, sizeof(xp), ap, i);
		if (codec_action_check(json_object_array_get_idx(actions, i), &d->env, xp, err) < 0)
			return -1;
	}
	d->events[d->n_events++] = (struct doc_event){
		.frame = quantum_frame(t, d->rate), .index = index, .actions = actions,
	};
	return 0;
}

static int load_events(struct document *d, struct error *err)
{
	struct json_object *evs;
	size_t i, n;

	if (array_field(d->root, "events", "events", &evs, err) < 0)
		return -1;
	n = evs ? json_object_array_length(evs) : 0;
	if (n == 0)
		return 0;
	d->events = calloc(n, sizeof(*d->events));
	if (d->events == NULL)
		return oom(err);
	for (i = 0; i < n; i++)
		if (load_event(d, json_object_array_get_idx(evs, i), i, err) < 0)
			return -1;
	qsort(d->events, d->n_events, sizeof(*d->events), event_cmp);
	return 0;
}

static int load_probe(struct document *d, struct json_object *pr, size_t index,
		      struct error *err)
{
	char p[CODEC_PATH_MAX];
	struct doc_probe *x = &d->probes[d->n_probes];
	const char *hint;
	struct node *n;
	int i;

	codec_path_index(p, sizeof(p), "probes", index);
	if (codec_check_fields(pr, probe_fields, COUNT(probe_fields), p, err) < 0 ||
	    codec_get_number(pr, "time", true, p, &x->time, err) < 0 ||
	    codec_get_string(pr, "node", true, p, &x->node, err) < 0 ||
	    codec_get_string(pr, "method", true, p, &x->method, err) < 0)
		return -1;
	if (x->time < 0 || x->time > DOC_TIME_MAX)
		return err_set(err, ERR_INVALID_VALUE, "%s.time: %g is %s", p, x->time,
			       x->time < 0 ? "negative" : "too far ahead (at most 1e9 s)");
	for (i = 0; i < COUNT(probe_methods); i++)
		if (strcmp(x->method, probe_methods[i]) == 0)
			break;
	if (i == COUNT(probe_methods)) {
		hint = err_suggest(x->method, probe_methods, COUNT(probe_methods));
		return err_set(err, ERR_INVALID_VALUE, "%s.method: unknown method \"%s\"%s%s%s", p,
			       x->method, hint ? ", did you mean \"" : "", hint ? hint : "",
			       hint ? "\"?" : "");
	}
	n = engine_node(d->e, x->node);
	if (n == NULL)
		return err_set(err, ERR_UNKNOWN_NODE, "%s.node: no node named \"%s\"", p, x->node);
	if (strcmp(n->kind->name, "AnalyserNode") != 0)
		return err_set(err, ERR_INVALID_VALUE, "%s.node: %s is a %s, not an AnalyserNode", p,
			       x->node, n->kind->name);
	x->frame = quantum_frame(x->time, d->rate);
	x->index = index;
	d->n_probes++;
	return 0;
}

static int probe_cmp(const void *a, const void *b)
{
	const struct doc_probe *x = a, *y = b;

	if (x->frame != y->frame)
		return x->frame < y->frame ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int load_probes(struct document *d, struct error *err)
{
	struct json_object *prs;
	size_t i, n;

	if (array_field(d->root, "probes", "probes", &prs, err) < 0)
		return -1;
	n = prs ? json_object_array_length(prs) : 0;
	if (n == 0)
		return 0;
	d->probes = calloc(n, sizeof(*d->probes));
	if (d->probes == NULL)
		return oom(err);
	for (i = 0; i < n; i++)
		if (load_probe(d, json_object_array_get_idx(prs, i), i, err) < 0)
			return -1;
	qsort(d->probes, d->n_probes, sizeof(*d->probes), probe_cmp);
	return 0;
}

/* --- load --------------------------------------------------------------------------------- */

static int load_header(struct document *d, struct error *err)
{
	double rate, length, channels;

	if (codec_check_fields(d->root, top_fields, COUNT(top_fields), "", err) < 0 ||
	    int_field(d->root, "sampleRate", 48000, DOC_MIN_RATE, DOC_MAX_RATE, &rate, err) < 0 ||
	    int_field(d->root, "length", -1, 1, (double)DOC_MAX_LENGTH, &length, err) < 0 ||
	    int_field(d->root, "channels", 2, 1, DOC_MAX_CHANNELS, &channels, err) < 0)
		return -1;
	d->rate = rate;
	d->length = (uint64_t)length;
	d->channels = (uint32_t)channels;
	return 0;
}

struct document *document_load_json(struct json_object *doc, const char *base_dir,
				    uint64_t buffer_bytes, struct error *err)
{
	struct engine_op *op = NULL;
	struct document *d;

	if (!json_object_is_type(doc, json_type_object)) {
		err_set(err, ERR_BAD_REQUEST, "document: expected an object");
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		oom(err);
		return NULL;
	}
	d->root = json_object_get(doc);
	d->buffer_room = buffer_bytes ? buffer_bytes : DOCUMENT_BUFFER_BYTES_DEFAULT;
	d->env = (struct codec_env){ .buffer = doc_buffer, .data = d };
	if (load_header(d, err) < 0)
		goto fail;
	d->e = engine_new(d->rate, d->channels, err);
	if (d->e == NULL)
		goto fail;
	engine_set_hrtf_loader(d->e, hrtf_cache_get, &d->hrtf);
	if ((d->lv2 = lv2_host_new()) == NULL) {
		oom(err);
		goto fail;
	}
	engine_set_plugin_host(d->e, lv2_instantiate, d->lv2);
	/* the order §6 gives: buffers, nodes (options, props, params), the listener,
	 * connections, then start/stop; events and probes are checked now, applied later */
	if (load_buffers(d, base_dir, err) < 0)
		goto fail;
	/* one processing plan for the whole graph, not one per edit */
	engine_batch_begin(d->e);
	if (document_build(d->e, d->root, &d->env, exec_emit, d->e, err) < 0)
		goto fail;
	if (exec(d, engine_batch_end(d->e, &op, err), &op) < 0 || load_events(d, err) < 0 ||
	    load_probes(d, err) < 0)
		goto fail;
	return d;
fail:
	document_free(d);
	return NULL;
}

/* line and column of a byte offset, for parse errors */
static void text_position(const char *text, size_t off, int *line, int *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static char *read_file(const char *path, size_t *len, struct error *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *nb;
	size_t cap = 0, n = 0, got;

	if (f == NULL) {
		err_set(err, ERR_IO, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	do {
		if (n + 65536 + 1 > cap) {
			cap = cap ? cap * 2 : 1 << 20;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				oom(err);
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got > 0);
	if (ferror(f)) {
		err_set(err, ERR_IO, "%s: read error", path);
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static struct json_object *parse_text(const char *text, size_t len, const char *path,
				      struct error *err)
{
	struct json_object *obj;
	struct error e = { 0 };
	size_t at;
	int line, col;

	/* the strict reading the daemon gives request lines (jsonstrict.h): a document that
	 * json-c alone would take with a key twice or a name cut at \u0000 is refused */
	if (jsonstrict_parse(text, len, &obj, &at, &e) < 0) {
		text_position(text, at, &line, &col);
		err_set(err, e.code, "%s:%d:%d: %s", path, line, col, e.msg);
		return NULL;
	}
	if (obj == NULL)	/* the text `null`: what document_load_json says of any non-object */
		err_set(err, ERR_BAD_REQUEST, "document: expected an object");
	return obj;
}

struct document *document_load_file(const char *path, uint64_t buffer_bytes, struct error *err)
{
	struct json_object *obj;
	struct document *d;
	char *text, *copy;
	size_t len;

	if (len = 0, (text = read_file(path, &len, err)) == NULL)
		return NULL;
	if (strlen(text) != len) {
		err_set(err, ERR_PARSE, "%s: the file contains a NUL byte", path);
		free(text);
		return NULL;
	}
	obj = parse_text(text, len, path, err);
	free(text);
	if (obj == NULL)
		return NULL;
	copy = strdup(path);
	if (copy == NULL) {
		json_object_put(obj);
		oom(err);
		return NULL;
	}
	d = document_load_json(obj, dirname(copy), buffer_bytes, err);
	free(copy);
	json_object_put(obj);
	return d;
}

void document_free(struct document *d)
{
	size_t i;

	if (d == NULL)
		return;
	/* the engine first: its nodes may hold references to the buffers */
	if (d->e)
		engine_free(d->e);
	hrtf_cache_fini(&d->hrtf);
	lv2_host_unref(d->lv2);
	for (i = 0; i < d->n_buffers; i++)
		audio_buffer_unref(d->buffers[i].buf);
	free(d->buffers);
	free(d->events);
	free(d->probes);
	if (d->probe_results)
		json_object_put(d->probe_results);
	json_object_put(d->root);
	free(d);
}

double document_sample_rate(const struct document *d)
{
	return d->rate;
}

uint32_t document_channels(const struct document *d)
{
	return d->channels;
}

uint64_t document_length(const struct document *d)
{
	return d->length;
}

/* --- render ------------------------------------------------------------------------------- */

static int apply_event(struct document *d, const struct doc_event *ev, struct error *err)
{
	char p[CODEC_PATH_MAX];
	struct engine_op *op;
	size_t i, n = json_object_array_length(ev->actions);

	/* its actions take effect at the event's quantum */
	d->env.apply = (double)ev->frame / d->rate;
	engine_batch_begin(d->e);
	for (i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "events[%zu].actions[%zu]", ev->index, i);
		if (exec(d, codec_action(d->e, json_object_array_get_idx(ev->actions, i), &d->env, p,
					 &op, err), &op) < 0)
			return -1;
	}
	return exec(d, engine_batch_end(d->e, &op, err), &op);
}

/* one reading, as the Web Audio method returns it; a float of -Infinity (a bin with no
 * energy) has no JSON spelling and is written as null */
static struct json_object *probe_data(struct node *n, const char *method)
{
	uint32_t len = strstr(method, "Frequency") ? analyser_bin_count(n) : analyser_fft_size(n);
	struct json_object *arr = json_object_new_array_ext((int)len);
	bool bytes = strstr(method, "Byte") != NULL;
	float *f = malloc((len ? len : 1) * sizeof(*f));
	uint8_t *b = malloc(len ? len : 1);
	int k = -1, i;

	if (f && b) {
		if (strcmp(method, "getFloatTimeDomainData") == 0)
			k = analyser_get_float_time(n, f, len);
		else if (strcmp(method, "getByteTimeDomainData") == 0)
			k = analyser_get_byte_time(n, b, len);
		else if (strcmp(method, "getFloatFrequencyData") == 0)
			k = analyser_get_float_freq(n, f, len);
		else
			k = analyser_get_byte_freq(n, b, len);
	}
	for (i = 0; i < k; i++) {
		if (bytes)
			json_object_array_add(arr, json_object_new_int(b[i]));
		else
			json_object_array_add(arr, isfinite(f[i]) ? json_object_new_double(f[i]) : NULL);
	}
	free(f);
	free(b);
	if (k < 0) {
		json_object_put(arr);
		return NULL;
	}
	return arr;
}

/* reads an AnalyserNode at a quantum boundary, after that boundary's events */
static void take_probe(struct document *d, const struct doc_probe *pr)
{
	struct json_object *o = json_object_new_object();
	struct node *n = engine_node(d->e, pr->node);

	json_object_object_add(o, "time", json_object_new_double(pr->time));
	json_object_object_add(o, "node", json_object_new_string(pr->node));
	json_object_object_add(o, "method", json_object_new_string(pr->method));
	json_object_object_add(o, "actualTime", json_object_new_double((double)pr->frame / d->rate));
	json_object_object_add(o, "data", n ? probe_data(n, pr->method) : NULL);
	json_object_array_put_idx(d->probe_results, pr->index, o);
}

static void copy_quantum(const struct bus *b, float *out, uint32_t channels, uint64_t frames)
{
	float tmp[MAX_CHANNELS * QUANTUM];

	/* the destination mixes to exactly `channels` (explicit mode) */
	if (frames == QUANTUM) {
		engine_interleave(b, out);
		return;
	}
	engine_interleave(b, tmp);
	memcpy(out, tmp, frames * channels * sizeof(float));
}

int document_render(struct document *d, float *out,
		    void (*progress)(uint64_t done, uint64_t total, void *data), void *data,
		    struct error *err)
{
	struct denormal_state fp;
	uint64_t frame, every = d->length / QUANTUM / 200 + 1, q = 0;
	size_t ev = 0, pr = 0;
	int r = 0;

	if (engine_frame(d->e) != 0)
		return err_set(err, ERR_INVALID_STATE, "the document was already rendered");
	if (d->n_probes && d->probe_results == NULL)
		d->probe_results = json_object_new_array_ext((int)d->n_probes);
	fp = denormal_flush();
	for (frame = 0; frame < d->length; frame += QUANTUM, q++) {
		uint64_t n = d->length - frame < QUANTUM ? d->length - frame : QUANTUM;

		for (; ev < d->n_events && d->events[ev].frame <= frame; ev++)
			if ((r = apply_event(d, &d->events[ev], err)) < 0)
				goto out;
		for (; pr < d->n_probes && d->probes[pr].frame <= frame; pr++)
			take_probe(d, &d->probes[pr]);
		copy_quantum(engine_render(d->e), out + frame * d->channels, d->channels, n);
		if (progress && q % every == 0)
			progress(frame, d->length, data);
	}
	/* probes at or past the end read the final state */
	for (; pr < d->n_probes; pr++)
		take_probe(d, &d->probes[pr]);
	if (progress)
		progress(d->length, d->length, data);
out:
	denormal_restore(fp);
	return r;
}

float *document_alloc_output(const struct document *d)
{
	size_t bytes = sizeof(float) * d->length * d->channels + 1;
	size_t huge = (size_t)2 << 20;
	float *out;

	/* long renders write hundreds of MB once: huge pages save most of the page faults */
	if (bytes >= huge) {
		bytes = (bytes + huge - 1) / huge * huge;
		out = aligned_alloc(huge, bytes);
		if (out)
			madvise(out, bytes, MADV_HUGEPAGE);
		return out;
	}
	return malloc(bytes);
}

struct json_object *document_probes(struct document *d)
{
	return d->probe_results;
}
