/* inspect: reading the graph back: `get` (attributes, params) and `analyser`.  control thread
 * only. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "engine/analyser.h"
#include "engine/engine.h"
#include "engine/node.h"
#include "protocol/codec.h"
#include "request.h"
#include "server.h"

/* --- reading the graph ---------------------------------------------------------------------- */

static int lookup(struct req *r, const char *id, struct node **n, struct error *err)
{
	char mapped[CODEC_NAME_MAX];

	if (session_map(r->c->session, id, mapped, sizeof(mapped), err) < 0)
		return -1;
	*n = engine_node(r->e, mapped);
	if (*n == NULL || strcmp(mapped, "listener") == 0)
		return err_set(err, ERR_UNKNOWN_NODE, "id: no node named \"%s\"", id);
	return 0;
}

int op_get(struct req *r)
{
	static const char *const fields[] = { "op", "id" };
	struct json_object *res, *attrs, *params;
	struct save_names names;
	struct error err = { 0 };
	struct value v;
	struct node *n;
	const char *id;
	uint32_t i;

	save_names_init(&names, r->s, r->c->session);
	if (codec_check_fields(r->obj, fields, COUNT(fields), "", &err) < 0 ||
	    codec_get_string(r->obj, "id", true, "", &id, &err) < 0 || lookup(r, id, &n, &err) < 0)
		return req_fail(r, &err);
	res = json_object_new_object();
	json_object_object_add(res, "type", json_object_new_string(n->kind->name));
	json_object_object_add(res, "numberOfInputs", json_object_new_int((int)n->n_inputs));
	json_object_object_add(res, "numberOfOutputs", json_object_new_int((int)n->n_outputs));
	json_object_object_add(res, "channelCount", json_object_new_int((int)n->cfg_model.count));
	json_object_object_add(res, "channelCountMode",
			       json_object_new_string(node_count_mode_name(n->cfg_model.mode)));
	json_object_object_add(res, "channelInterpretation",
			       json_object_new_string(node_interp_name(n->cfg_model.interp)));
	attrs = json_object_new_object();
	for (i = 0; i < n->kind->n_attrs; i++) {
		const struct attr_desc *a = &n->kind->attrs[i];

		if (a->get == NULL)
			continue;
		memset(&v, 0, sizeof(v));
		a->get(n, &v);
		json_object_object_add(attrs, a->name, document_value_json(&v, &names.nm));
	}
	json_object_object_add(res, "attributes", attrs);
	params = json_object_new_object();
	for (i = 0; i < n->n_params; i++)
		json_object_object_add(params, n->param_descs[i].name, json_object_new_double(
			atomic_load_explicit(&n->params[i].last, memory_order_relaxed)));
	json_object_object_add(res, "params", params);
	req_ok(r, res);
	return 0;
}

int op_analyser(struct req *r)
{
	static const char *const fields[] = { "op", "id", "method" };
	static const char *const methods[] = {
		"getFloatFrequencyData", "getByteFrequencyData", "getFloatTimeDomainData",
		"getByteTimeDomainData",
	};
	struct json_object *arr, *res;
	struct error err = { 0 };
	const char *id, *method, *hint;
	struct node *n;
	uint32_t len;
	float *f;
	uint8_t *b;
	int k = -1, i, m;

	if (codec_check_fields(r->obj, fields, COUNT(fields), "", &err) < 0 ||
	    codec_get_string(r->obj, "id", true, "", &id, &err) < 0 ||
	    codec_get_string(r->obj, "method", true, "", &method, &err) < 0 ||
	    lookup(r, id, &n, &err) < 0)
		return req_fail(r, &err);
	for (m = 0; m < COUNT(methods) && strcmp(methods[m], method) != 0; m++)
		;
	if (m == COUNT(methods)) {
		hint = err_suggest(method, methods, COUNT(methods));
		err_set(&err, ERR_INVALID_VALUE, "method: unknown method \"%s\"%s%s%s", method,
			hint ? ", did you mean \"" : "", hint ? hint : "", hint ? "\"?" : "");
		return req_fail(r, &err);
	}
	if (strcmp(n->kind->name, "AnalyserNode") != 0)
		return req_failf(r, ERR_INVALID_VALUE, "id: \"%s\" is not an AnalyserNode", id);
	len = m < 2 ? analyser_bin_count(n) : analyser_fft_size(n);
	f = malloc((len ? len : 1) * sizeof(*f));
	b = malloc(len ? len : 1);
	if (f && b) {
		if (m == 0)
			k = analyser_get_float_freq(n, f, len);
		else if (m == 1)
			k = analyser_get_byte_freq(n, b, len);
		else if (m == 2)
			k = analyser_get_float_time(n, f, len);
		else
			k = analyser_get_byte_time(n, b, len);
	}
	arr = json_object_new_array_ext(k > 0 ? k : 1);
	for (i = 0; i < k; i++)
		json_object_array_add(arr, m == 1 || m == 3 ? json_object_new_int(b[i]) :
			isfinite(f[i]) ? json_object_new_double(f[i]) : NULL);
	free(f);
	free(b);
	res = json_object_new_object();
	json_object_object_add(res, "data", arr);
	req_ok(r, res);
	return 0;
}
