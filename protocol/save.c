/* document_save: the engine's graph, as its control-side model has it, as a graph document
 * (PROTOCOL.md §12) that document_build makes again: the inverse of the parser next door.
 * control thread only. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "engine/engine.h"
#include "engine/node.h"
#include "engine/wave.h"
#include "protocol/codec.h"
#include "protocol/document.h"

struct json_object *document_value_json(const struct value *v, const struct document_namer *nm)
{
	struct json_object *a;

	switch (v->type) {
	case VALUE_NUMBER: return json_object_new_double(v->num);
	case VALUE_BOOL: return json_object_new_boolean(v->b);
	case VALUE_STRING: return json_object_new_string(v->str);
	case VALUE_ARRAY:
		a = json_object_new_array_ext((int)v->arr.n);
		for (size_t i = 0; i < v->arr.n; i++)
			json_object_array_add(a, json_object_new_double(v->arr.v[i]));
		return a;
	case VALUE_BUFFER:
		return nm->buffer(nm->data, v->buf) ?
		       json_object_new_string(nm->buffer(nm->data, v->buf)) : NULL;
	default: return NULL;
	}
}

struct save {
	const struct document_namer *nm;
	struct json_object *nodes, *conns;
	struct json_object *calls;	/* the param being listed */
};

static void save_call(void *data, const char *method, const double *args, size_t nargs,
		      const float *curve, size_t ncurve)
{
	struct save *sv = data;
	struct json_object *call = json_object_new_array(), *cv;
	size_t i;

	json_object_array_add(call, json_object_new_string(method));
	if (curve) {
		cv = json_object_new_array_ext((int)ncurve);
		for (i = 0; i < ncurve; i++)
			json_object_array_add(cv, json_object_new_double(curve[i]));
		json_object_array_add(call, cv);
	}
	for (i = 0; i < nargs; i++)
		json_object_array_add(call, json_object_new_double(args[i]));
	json_object_array_add(sv->calls, call);
}

/* a param's pending automation; options get its intrinsic value when it is not the default */
static void save_params(struct save *sv, struct node *n, struct json_object *options,
			struct json_object *params)
{
	for (uint32_t i = 0; i < n->n_params; i++) {
		struct param *p = &n->params[i];

		if (options && p->intrinsic != p->desc->def)
			json_object_object_add(options, p->desc->name,
					       json_object_new_double(p->intrinsic));
		sv->calls = json_object_new_array();
		if (!options && p->intrinsic != p->desc->def) {
			struct json_object *call = json_object_new_array();

			json_object_array_add(call, json_object_new_string("value"));
			json_object_array_add(call, json_object_new_double(p->intrinsic));
			json_object_array_add(sv->calls, call);
		}
		param_model_foreach(p, save_call, sv);
		if (p->model_k_rate != p->desc->k_rate && !p->desc->fixed_rate) {
			struct json_object *call = json_object_new_array();

			json_object_array_add(call, json_object_new_string("automationRate"));
			json_object_array_add(call, json_object_new_string(p->model_k_rate ? "k-rate" :
											 "a-rate"));
			json_object_array_add(sv->calls, call);
		}
		if (json_object_array_length(sv->calls) > 0)
			json_object_object_add(params, p->desc->name, sv->calls);
		else
			json_object_put(sv->calls);
	}
}

static bool attr_saved(const struct node *n, const char *name, const struct value *v)
{
	/* read-only, or not expressible in a document */
	if (strcmp(name, "reduction") == 0 || strcmp(name, "frequencyBinCount") == 0 ||
	    (strncmp(n->kind->name, "MediaStream", 11) == 0 &&
	     (strcmp(name, "latency") == 0 || strcmp(name, "underruns") == 0 ||
	      strcmp(name, "overruns") == 0)) ||
	    v->type == VALUE_WAVE || v->type == VALUE_NULL)
		return false;
	return !(strcmp(name, "type") == 0 && v->type == VALUE_STRING &&
		 strcmp(v->str, "custom") == 0);
}

static void save_attrs(struct save *sv, struct node *n, struct json_object *options,
		       struct json_object *props)
{
	/* the analyser's limits are checked against each other: give them all at once */
	bool as_options = strcmp(n->kind->name, "AnalyserNode") == 0;
	struct json_object *buffer = NULL, *j;
	struct value v;

	for (uint32_t i = 0; i < n->kind->n_attrs; i++) {
		const struct attr_desc *a = &n->kind->attrs[i];

		if (a->get == NULL)
			continue;
		memset(&v, 0, sizeof(v));
		a->get(n, &v);
		if (!attr_saved(n, a->name, &v) || (j = document_value_json(&v, sv->nm)) == NULL)
			continue;
		if (strcmp(a->name, "buffer") == 0)
			buffer = j;	/* last: ConvolverNode normalizes as it is set */
		else
			json_object_object_add(as_options ? options : props, a->name, j);
	}
	if (buffer)
		json_object_object_add(props, "buffer", buffer);
}

/* start() and stop() as they were asked for (the model: the renderer's copy may be moving) */
static void save_sched(struct json_object *o, const struct node *n)
{
	const struct sched *s = &n->sched;
	struct json_object *start;

	if (!n->kind->source || !s->start_called)
		return;
	start = json_object_new_array();
	json_object_array_add(start, json_object_new_double(s->when_model));
	if (strcmp(n->kind->name, "AudioBufferSourceNode") == 0) {
		json_object_array_add(start, json_object_new_double(isnan(s->offset_model) ? 0 :
								    s->offset_model));
		if (!isnan(s->duration_model))
			json_object_array_add(start, json_object_new_double(s->duration_model));
	}
	json_object_object_add(o, "start", start);
	if (s->stop_called)
		json_object_object_add(o, "stop", json_object_new_double(s->stop_model));
}

static struct json_object *float_array(const float *v, size_t n)
{
	struct json_object *a = json_object_new_array_ext((int)n);

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_double(v[i]));
	return a;
}

/* a construction option of the node (kind->options) into its saved form */
static void save_option(void *data, const char *name, const struct value *v)
{
	struct json_object *o = data, *options = NULL, *j = NULL;

	json_object_object_get_ex(o, "options", &options);
	switch (v->type) {
	case VALUE_NUMBER:
		j = json_object_new_double(v->num);
		break;
	case VALUE_BOOL:
		j = json_object_new_boolean(v->b);
		break;
	case VALUE_STRING:
		j = json_object_new_string(v->str);
		break;
	case VALUE_ARRAY:
		j = json_object_new_array_ext((int)v->arr.n);
		for (size_t i = 0; i < v->arr.n; i++)
			json_object_array_add(j, json_object_new_double(v->arr.v[i]));
		break;
	case VALUE_WAVE:
		j = json_object_new_object();
		json_object_object_add(j, "real", float_array(v->wave->real, v->wave->len));
		json_object_object_add(j, "imag", float_array(v->wave->imag, v->wave->len));
		json_object_object_add(j, "disableNormalization",
				       json_object_new_boolean(!v->wave->normalize));
		json_object_object_add(o, name, j);	/* a node field, not an option */
		return;
	default:
		return;
	}
	if (options)
		json_object_object_add(options, name, j);
	else
		json_object_put(j);
}

static void save_node(struct node *n, void *data)
{
	struct save *sv = data;
	struct json_object *o, *options, *props, *params;
	const struct node_kind *k = n->kind;
	char buf[CODEC_NAME_MAX];

	if (!sv->nm->saved(sv->nm->data, n))
		return;
	o = json_object_new_object();
	options = json_object_new_object();
	props = json_object_new_object();
	params = json_object_new_object();
	json_object_object_add(o, "id",
			       json_object_new_string(sv->nm->name(sv->nm->data, n, buf, sizeof(buf))));
	json_object_object_add(o, "type", json_object_new_string(k->name));
	if (n->cfg_model.count != k->channel_count)
		json_object_object_add(options, "channelCount",
				       json_object_new_int((int)n->cfg_model.count));
	if (n->cfg_model.mode != k->count_mode)
		json_object_object_add(options, "channelCountMode",
				       json_object_new_string(node_count_mode_name(n->cfg_model.mode)));
	if (n->cfg_model.interp != k->interp)
		json_object_object_add(options, "channelInterpretation",
				       json_object_new_string(node_interp_name(n->cfg_model.interp)));
	save_params(sv, n, options, params);
	save_attrs(sv, n, options, props);
	json_object_object_add(o, "options", options);
	if (k->options)
		k->options(n, save_option, o);
	if (json_object_object_length(props) > 0)
		json_object_object_add(o, "props", props);
	else
		json_object_put(props);
	if (json_object_object_length(params) > 0)
		json_object_object_add(o, "params", params);
	else
		json_object_put(params);
	save_sched(o, n);
	json_object_array_add(sv->nodes, o);
}

static void save_conn(const struct node *src, uint32_t output, const struct node *dst,
		      int input, const char *param, void *data)
{
	struct save *sv = data;
	struct json_object *c;
	char a[CODEC_NAME_MAX], b[CODEC_NAME_MAX], t[2 * CODEC_NAME_MAX];
	const char *to;

	if (!sv->nm->saved(sv->nm->data, src))
		return;
	c = json_object_new_array();
	json_object_array_add(c, json_object_new_string(sv->nm->name(sv->nm->data, src, a,
									sizeof(a))));
	to = sv->nm->name(sv->nm->data, dst, b, sizeof(b));
	if (param) {
		snprintf(t, sizeof(t), "%s.%s", to, param);
		json_object_array_add(c, json_object_new_string(t));
		if (output)
			json_object_array_add(c, json_object_new_int((int)output));
	} else {
		json_object_array_add(c, json_object_new_string(to));
		if (output || input > 0) {
			json_object_array_add(c, json_object_new_int((int)output));
			json_object_array_add(c, json_object_new_int(input > 0 ? input : 0));
		}
	}
	json_object_array_add(sv->conns, c);
}

struct json_object *document_save(struct engine *e, const struct document_namer *nm)
{
	struct save sv = { .nm = nm };
	struct json_object *doc, *listener;

	doc = json_object_new_object();
	json_object_object_add(doc, "sampleRate", json_object_new_int((int)engine_sample_rate(e)));
	json_object_object_add(doc, "length", json_object_new_int((int)engine_sample_rate(e)));
	json_object_object_add(doc, "channels", json_object_new_int((int)engine_channels(e)));
	sv.nodes = json_object_new_array();
	sv.conns = json_object_new_array();
	engine_foreach_node(e, save_node, &sv);
	engine_foreach_connection(e, save_conn, &sv);
	json_object_object_add(doc, "nodes", sv.nodes);
	listener = json_object_new_object();
	save_params(&sv, engine_listener(e), NULL, listener);
	if (json_object_object_length(listener) > 0)
		json_object_object_add(doc, "listener", listener);
	else
		json_object_put(listener);
	json_object_object_add(doc, "connections", sv.conns);
	return doc;
}
