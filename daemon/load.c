/* load: a graph document into a session (`load`, and the restore of persistent sessions),
 * all or nothing, its buffers decoded off the control thread first.  control thread only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core.h"
#include "decode.h"
#include "media.h"
#include "engine/buffer.h"
#include "engine/engine.h"
#include "engine/node.h"
#include "protocol/codec.h"
#include "protocol/bufspec.h"
#include "protocol/document.h"
#include "request.h"
#include "handler.h"
#include "server.h"

/* --- load ----------------------------------------------------------------------------------- */

static const char *const load_fields[] = { "op", "id", "at", "document", "replace" };
struct emit_ctx {
	struct engine *e;
	struct engine_op *chain;
	bool exec;		/* a scratch engine: commit at once */
};

static int emit_op(void *data, struct engine_op *op, struct error *err)
{
	struct emit_ctx *x = data;

	(void)err;
	if (x->exec)
		engine_exec(x->e, op);
	else
		x->chain = req_chain_add(x->chain, op);
	return 0;
}

static int scratch_node(void *data, const char *name, char *out, size_t size, struct error *err)
{
	(void)data;
	if (strchr(name, '/'))
		return err_set(err, ERR_UNKNOWN_NODE, "\"%s\": a replacing load names its own "
			       "session's nodes only", name);
	if ((size_t)snprintf(out, size, "%s", name) >= size)
		return err_set(err, ERR_BAD_REQUEST, "name too long");
	return 0;
}

/* a replacing load is tried on an empty engine first: the old graph goes only if the new
 * one builds */
static int load_try(struct req *r, struct json_object *doc, struct error *err)
{
	struct codec_env env = { .buffer = req_env_buffer, .node = scratch_node, .data = r,
				 .now = r->now, .max_points = r->s->cfg.limits.max_points };
	struct engine *e = engine_new(engine_sample_rate(r->e), engine_channels(r->e), err);
	struct emit_ctx x = { .e = e, .exec = true };
	struct engine_op *op = NULL;
	int res;

	if (e == NULL)
		return -1;
	engine_set_hrtf_loader(e, hrtf_cache_get, &r->s->hrtf);
	engine_set_plugin_host(e, lv2_instantiate, r->s->lv2);
	engine_set_media_host(e, media_open_dry, NULL);	/* no stream for a trial build */
	engine_batch_begin(e);
	res = document_build(e, doc, &env, emit_op, &x, err);
	if (res == 0 && engine_batch_end(e, &op, err) == 0 && op)
		engine_exec(e, op);
	engine_free(e);
	return res;
}

struct session_nodes {
	struct req *r;
	char **names;
	size_t n, cap;
};

static void collect_session_node(struct node *n, void *data)
{
	struct session_nodes *sn = data;

	if (!session_owns(sn->r->c->session, n->name) || req_is_bus(sn->r->s, n->name))
		return;
	if (sn->n == sn->cap) {
		char **v = realloc(sn->names, (sn->cap ? 2 * sn->cap : 16) * sizeof(*v));
		if (v == NULL)
			return;
		sn->names = v;
		sn->cap = sn->cap ? 2 * sn->cap : 16;
	}
	sn->names[sn->n++] = n->name;
}

/* deletes go after the walk: deleting changes the list being walked */
static struct engine_op *delete_session_nodes(struct req *r)
{
	struct session_nodes sn = { .r = r };
	struct engine_op *chain = NULL, *op;
	struct error err = { 0 };

	engine_foreach_node(r->e, collect_session_node, &sn);
	for (size_t i = 0; i < sn.n; i++)
		if (engine_op_delete(r->e, sn.names[i], &op, &err) == 0)
			chain = req_chain_add(chain, op);
	free(sn.names);
	return chain;
}

static int load_quota(struct req *r, struct json_object *doc, bool replace, struct error *err)
{
	struct json_object *nodes = req_field(doc, "nodes");
	struct session *sess = r->c->session;
	uint64_t bytes = sess->buffer_bytes;
	size_t n = nodes ? json_object_array_length(nodes) : 0;
	struct sbuf *old;

	if ((replace ? 0 : session_count_nodes(r->s, sess)) + n > r->s->cfg.limits.nodes)
		return err_set(err, ERR_LIMIT, "document.nodes: more than the %u nodes a session "
			       "may have", r->s->cfg.limits.nodes);
	for (size_t i = 0; i < r->n_bufs; i++) {
		old = session_buffer(sess, r->buf_names[i]);
		bytes += audio_buffer_bytes(r->bufs[i]) - (old ? old->bytes : 0);
	}
	if (bytes > r->s->cfg.limits.buffer_bytes)
		return err_set(err, ERR_LIMIT, "document.buffers: more buffer memory than the "
			       "session may have");
	if (replace) {	/* the graph it replaces is not counted */
		r->total_load = session_cost(r->s, NULL) - session_cost(r->s, sess);
		r->load = 0;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *type = req_field(json_object_array_get_idx(nodes, i), "type");
		char p[CODEC_PATH_MAX];

		codec_path_index(p, sizeof(p), "nodes", i);
		if (json_object_is_type(type, json_type_string) &&
		    edits_render_quota(r, json_object_get_string(type), 1, p, err) < 0)
			return -1;
	}
	return 0;
}

int load_finish(struct req *r)
{
	struct json_object *doc = req_field(r->obj, "document"), *bufs = req_field(doc, "buffers");
	struct codec_env env = req_env(r);
	struct emit_ctx x = { .e = r->e };
	struct error err = { 0 };
	bool replace = false;
	int res;

	if (codec_get_bool(r->obj, "replace", false, "", &replace, &err) < 0 ||
	    load_quota(r, doc, replace, &err) < 0 || (replace && load_try(r, doc, &err) < 0)) {
		err_prefix(&err, "document");
		return req_fail(r, &err);
	}
	if (req_take_at(r, &err) < 0)
		return req_fail(r, &err);
	env.apply = r->apply;
	if (req_no_room(r))
		return 0;
	engine_batch_begin(r->e);
	if (replace)
		x.chain = delete_session_nodes(r);
	res = document_build(r->e, doc, &env, emit_op, &x, &err);
	if (req_batch_close(r, x.chain, res < 0, &err) < 0)
		res = -1;
	if (res < 0) {
		err_prefix(&err, "document");
		return req_fail(r, &err);
	}
	for (size_t i = 0; i < r->n_bufs; i++) {
		buffers_store(r, r->buf_names[i], r->bufs[i], req_field(bufs, r->buf_names[i]),
			     r->copies ? r->copies[i] : NULL);
		r->bufs[i] = NULL;
		if (r->copies)
			r->copies[i] = NULL;
	}
	r->n_bufs = 0;
	req_ok(r, NULL);
	return 0;
}

int handler_restore(struct server *s, struct session *sess, struct json_object *doc,
		    const char *base_dir, struct error *err)
{
	struct client self = { .srv = s, .session = sess };
	struct req r = { .s = s, .c = &self, .e = core_engine(s->core), .load = -1, .nodes = -1,
			 .internal = true, .receipt = server_now_ns() };
	struct json_object *bufs = req_field(doc, "buffers");
	size_t n = bufs ? (size_t)json_object_object_length(bufs) : 0, i;
	struct codec_env env;
	struct emit_ctx x = { .e = r.e };
	char path[CODEC_PATH_MAX];
	int res = -1;

	r.now = (double)engine_frame(r.e) / engine_sample_rate(r.e);
	env = req_env(&r);
	if (document_check_live(doc, err) < 0 || (bufs && !json_object_is_type(bufs, json_type_object)))
		return err->code ? -1 : err_set(err, ERR_BAD_REQUEST, "buffers: expected an object");
	r.buf_names = calloc(n ? n : 1, sizeof(*r.buf_names));
	r.bufs = calloc(n ? n : 1, sizeof(*r.bufs));
	if (r.buf_names == NULL || r.bufs == NULL) {
		err_set(err, ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (bufs) {
		json_object_object_foreach(bufs, key, val) {
			codec_path_field(path, sizeof(path), "buffers", key);
			r.bufs[r.n_bufs] = bufspec_load_max(val, base_dir, engine_sample_rate(r.e),
							   buffers_budget(&r, NULL), path, err);
			if (r.bufs[r.n_bufs] == NULL)
				goto out;
			r.buf_names[r.n_bufs] = strdup(key);
			if (r.buf_names[r.n_bufs++] == NULL) {
				err_set(err, ERR_INTERNAL, "out of memory");
				goto out;
			}
		}
	}
	if (load_quota(&r, doc, false, err) < 0 || server_room(s, &self, 0, &r.hold, err) < 0)
		goto out;
	engine_batch_begin(r.e);
	res = document_build(r.e, doc, &env, emit_op, &x, err);
	if (req_batch_close(&r, x.chain, res < 0, err) < 0)
		res = -1;
	for (i = 0; res == 0 && i < r.n_bufs; i++) {
		session_buffer_put(s, sess, r.buf_names[i], r.bufs[i], req_field(bufs, r.buf_names[i]));
		r.bufs[i] = NULL;
	}
out:
	for (i = 0; i < r.n_bufs; i++) {
		audio_buffer_unref(r.bufs[i]);
		free(r.buf_names[i]);
	}
	free(r.bufs);
	free(r.buf_names);
	return res;
}

int op_load(struct req *r)
{
	struct json_object *doc = req_field(r->obj, "document"), *bufs = req_field(doc, "buffers");
	struct req_fds f = { 0 };
	struct error err = { 0 };
	struct decode_job *j;
	bool replace;

	/* first: a request that fails for another reason still takes what it sent */
	if (req_fds_take(r, NULL, bufs, "document.buffers", &f, &err) < 0)
		return req_fail(r, &err);
	if (codec_check_fields(r->obj, load_fields, COUNT(load_fields), "", &err) == 0 &&
	    codec_get_bool(r->obj, "replace", false, "", &replace, &err) == 0) {
		if (doc == NULL)
			err_set(&err, ERR_BAD_REQUEST, "document: missing required field");
		else
			document_check_live(doc, &err);
	}
	if (err.code != ERR_OK) {
		req_fds_close(&f);
		return req_fail(r, &err);
	}
	if (bufs == NULL || json_object_object_length(bufs) == 0)
		return load_finish(r);
	j = buffers_job_new(r, DECODE_BUFFERS, bufs, "document.buffers", &f);
	if (j == NULL) {
		req_fds_close(&f);
		return req_failf(r, ERR_INTERNAL, "%s", "out of memory");
	}
	buffers_job_start(r, j);
	return 0;
}
