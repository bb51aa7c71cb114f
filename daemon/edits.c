/* edits: graph edits (create, delete, connect, disconnect, set, param, start, stop) through
 * the shared codec against the live engine with the session's names, and `batch`, all or
 * nothing; each request goes to the render thread as one op chain.  control thread only. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cost.h"
#include "engine/engine.h"
#include "protocol/codec.h"
#include "request.h"
#include "server.h"

/* --- graph edits ---------------------------------------------------------------------------- */

/* n more nodes of `type` keep the session's graph (and everyone's) within the share of the
 * render thread it may take, by the costs measured at startup */
int edits_render_quota(struct req *r, const char *type, uint32_t n, const char *path,
		      struct error *err)
{
	const struct server_limits *l = &r->s->cfg.limits;
	double quantum_ns = QUANTUM * 1e9 / engine_sample_rate(r->e), add;

	if (r->s->costs == NULL || type == NULL)
		return 0;
	if (r->load < 0) {
		r->load = session_cost(r->s, r->c->session);
		r->total_load = session_cost(r->s, NULL);
	}
	add = n * cost_of(r->s->costs, type);
	if (r->load + add > l->session_load * quantum_ns)
		return err_set(err, ERR_LIMIT, "%s: the session's graph would take %.0f%% of the "
			       "render thread's time, more than the %.0f%% a session may "
			       "(--max-session-load)", path[0] ? path : "type",
			       100 * (r->load + add) / quantum_ns, 100 * l->session_load);
	if (r->total_load + add > l->total_load * quantum_ns)
		return err_set(err, ERR_LIMIT, "%s: the graphs of all sessions would take %.0f%% of "
			       "the render thread's time, more than the %.0f%% allowed (--max-load)",
			       path[0] ? path : "type", 100 * (r->total_load + add) / quantum_ns,
			       100 * l->total_load);
	r->load += add;
	r->total_load += add;
	return 0;
}

/* checks of ours before the codec's: names a create may take, the bus stays, node quota */
static int graph_precheck(struct req *r, const struct codec_op *g, struct json_object *cmd,
			  const char *path, uint32_t *creates, struct error *err)
{
	const char *op = codec_op_name(g);
	struct json_object *id = req_field(cmd, "id");
	char p[CODEC_PATH_MAX], mapped[CODEC_NAME_MAX];

	codec_path_field(p, sizeof(p), path, "id");
	if (strcmp(op, "create") == 0) {
		if (id && json_object_is_type(id, json_type_string) &&
		    codec_check_new_name(json_object_get_string(id), p, err) < 0)
			return -1;
		/* counted once per request (a delete makes the next create count again),
		 * then kept up as the request's creates go into the model */
		++*creates;
		if (r->nodes < 0)
			r->nodes = session_count_nodes(r->s, r->c->session);
		if (r->nodes++ >= r->s->cfg.limits.nodes)
			return err_set(err, ERR_LIMIT, "%s: the session has the most nodes allowed "
				       "(%u)", path[0] ? path : "create", r->s->cfg.limits.nodes);
		if (edits_render_quota(r, json_object_get_string(req_field(cmd, "type")), 1, path, err) < 0)
			return -1;
	} else if (strcmp(op, "delete") == 0 && id && json_object_is_type(id, json_type_string)) {
		if (session_map(r->c->session, json_object_get_string(id), mapped, sizeof(mapped),
				err) < 0)
			return -1;
		if (req_is_bus(r->s, mapped))
			return err_set(err, ERR_INVALID_STATE, "%s: a session's destination cannot be "
				       "deleted", p);
		r->nodes = -1;
	}
	return 0;
}

int op_graph(struct req *r)
{
	struct codec_env env = req_env(r);
	struct json_object *result = NULL;
	struct engine_op *op = NULL;
	struct error err = { 0 };
	uint32_t creates = 0;

	if (req_take_at(r, &err) < 0)
		return req_fail(r, &err);
	env.apply = r->apply;
	if (req_no_room(r))
		return 0;
	if (graph_precheck(r, r->graph, r->obj, "", &creates, &err) < 0 ||
	    codec_op_run(r->e, r->graph, r->obj, &env, r->at_time, "", &op, &result, &err) < 0 ||
	    !req_held_fits(r, op, &err)) {
		if (op)
			engine_op_undo(r->e, op);
		json_object_put(result);
		req_fail(r, &err);
		return 0;
	}
	if (op)
		server_submit(r->s, r->c, op, r->at, r->receipt, r->hold);
	req_ok(r, result);
	return 0;
}

static const char *const batch_fields[] = { "op", "id", "at", "commands" };

static int batch_fail(struct req *r, struct error *err, size_t index)
{
	struct json_object *o;

	session_strip(r->c->session, err);
	o = codec_reply_error(r->obj, err);
	/* PROTOCOL.md §2: the error carries the failing command's index */
	json_object_object_add(json_object_object_get(o, "error"), "index",
			       json_object_new_int64((int64_t)index));
	req_reply(r, o);
	return 0;
}

int op_batch(struct req *r)
{
	struct codec_env env = req_env(r);
	struct json_object *cmds, *results, *res;
	struct engine_op *chain = NULL, *op;
	const struct codec_op **ops;
	const char *names[64];
	struct error err = { 0 };
	uint32_t creates = 0;
	size_t i, n, bad = 0;
	char p[CODEC_PATH_MAX];

	if (codec_check_fields(r->obj, batch_fields, COUNT(batch_fields), "", &err) < 0)
		return req_fail(r, &err);
	cmds = req_field(r->obj, "commands");
	if (cmds == NULL || !json_object_is_type(cmds, json_type_array))
		return req_failf(r, ERR_BAD_REQUEST, "%s", "commands: expected an array of requests");
	n = json_object_array_length(cmds);
	ops = calloc(n ? n : 1, sizeof(*ops));
	if (ops == NULL)
		return req_failf(r, ERR_INTERNAL, "%s", "out of memory");
	if (codec_batch_check(cmds, names, handler_op_names(names, COUNT(names)), ops, &bad,
			      &err) < 0) {
		free(ops);
		return batch_fail(r, &err, bad);
	}
	if (req_take_at(r, &err) < 0) {
		free(ops);
		return req_fail(r, &err);
	}
	env.apply = r->apply;
	if (req_no_room(r)) {
		free(ops);
		return 0;
	}
	results = json_object_new_array_ext((int)n);
	engine_batch_begin(r->e);
	for (i = 0; i < n; i++) {
		struct json_object *cmd = json_object_array_get_idx(cmds, i);

		codec_path_index(p, sizeof(p), "commands", i);
		res = NULL;
		if (graph_precheck(r, ops[i], cmd, p, &creates, &err) < 0)
			break;
		if (codec_op_run(r->e, ops[i], cmd, &env, NAN, p, &op, &res, &err) < 0)
			break;
		chain = req_chain_add(chain, op);
		if (res == NULL)
			res = json_object_new_object();
		json_object_array_add(results, res);
	}
	free(ops);
	if (req_batch_close(r, chain, i < n, &err) < 0 && i == n)
		i = n + 1;	/* the plan could not be built: the batch fails as a whole */
	if (i != n) {
		json_object_put(results);
		return batch_fail(r, &err, i <= n ? i : n);
	}
	res = json_object_new_object();
	json_object_object_add(res, "results", results);
	/* what its "+S" times counted from: a script can wait for its schedule to be heard */
	json_object_object_add(res, "now", json_object_new_double(r->now));
	req_ok(r, res);
	return 0;
}
