/* request: replies, the session's names for the codec, `at`, and the all-or-nothing op chains
 * of batch and load (request.h).  control thread only. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "engine/engine.h"
#include "protocol/codec.h"
#include "request.h"
#include "server.h"

int req_reply(struct req *r, struct json_object *o)
{
	if (r->pending)
		server_complete(r->c, r->pending, o);
	else
		server_reply(r->c, o);
	return 0;
}

int req_fail(struct req *r, struct error *err)
{
	if (r->c->session)
		session_strip(r->c->session, err);
	req_reply(r, codec_reply_error(r->obj, err));
	return 0;
}

int req_failf(struct req *r, enum err_code code, const char *fmt, const char *arg)
{
	struct error err = { .code = code };

	snprintf(err.msg, sizeof(err.msg), fmt, arg);
	req_reply(r, codec_reply_error(r->obj, &err));
	return 0;
}

int req_ok(struct req *r, struct json_object *result)
{
	struct json_object *o = codec_reply_ok(r->obj);

	if (r->warning[0] && result == NULL)
		result = json_object_new_object();
	if (r->warning[0] && !json_object_object_get_ex(result, "warning", NULL))
		json_object_object_add(result, "warning", json_object_new_string(r->warning));
	codec_reply_merge(o, result);
	req_reply(r, o);
	return 0;
}

struct json_object *req_field(struct json_object *obj, const char *name)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(obj, name, &v);
	return v;
}

/* after take_at: the render queue or the session's timeline has room for this edit
 * (r->hold says which); else the request is answered busy or limit */
bool req_no_room(struct req *r)
{
	struct error err = { 0 };

	if (server_room(r->s, r->c, r->at, &r->hold, &err) == 0)
		return false;
	req_fail(r, &err);
	return true;
}

/* --- names ---------------------------------------------------------------------------------- */

static int env_node(void *data, const char *name, char *out, size_t size, struct error *err)
{
	struct req *r = data;

	return session_map(r->c->session, name, out, size, err);
}

struct audio_buffer *req_env_buffer(void *data, const char *name, struct error *err)
{
	struct req *r = data;
	struct sbuf *b;
	size_t i;

	for (i = 0; i < r->n_bufs; i++)
		if (strcmp(r->buf_names[i], name) == 0)
			return r->bufs[i];
	b = session_buffer(r->c->session, name);
	if (b)
		return b->buf;
	err_set(err, ERR_INVALID_VALUE, "unknown buffer \"%s\"", name);
	return NULL;
}

struct codec_env req_env(struct req *r)
{
	return (struct codec_env){ .buffer = req_env_buffer, .node = env_node, .data = r,
				   .now = r->now, .apply = r->apply,
				   .max_points = r->s->cfg.limits.max_points };
}

bool req_is_bus(const struct server *s, const char *ename)
{
	const char *slash = strchr(ename, ':');

	(void)s;
	/* "S:bus:stream": a session's own playback stream (appstream.c) is part of its bus */
	return slash && (strcmp(slash + 1, "bus") == 0 || strcmp(slash + 1, "bus:stream") == 0);
}

/* "at" of a graph edit, batch or load: the frame it applies at, and the engine's notion of
 * "now" for ops prepared for it */
int req_take_at(struct req *r, struct error *err)
{
	struct json_object *v = req_field(r->obj, "at");
	struct codec_env env = req_env(r);
	double t, rate = engine_sample_rate(r->e), now = (double)engine_frame(r->e) / rate;

	r->at = 0;
	r->at_time = NAN;
	r->apply = 0;
	if (v == NULL)
		return 0;
	if (codec_at(v, &env, rate, &t, &r->at, err) < 0)
		return -1;
	r->at_time = t;
	if (t > 0 && t < now)
		snprintf(r->warning, sizeof(r->warning), "at %.6f is %.3f s in the past (now "
			 "%.6f): applied at once", t, now - t, now);
	if (t > now)
		r->apply = t;	/* a timed edit; else it takes effect at once */
	return 0;
}

/* --- all-or-nothing requests (batch, load) ---------------------------------------------- */

struct engine_op *req_chain_add(struct engine_op *chain, struct engine_op *op)
{
	if (op == NULL)
		return chain;
	return chain ? engine_op_chain(chain, op) : op;
}

/* an edit for the session's timeline: what it holds (plans, automation copies) fits the
 * session's and the daemon's budget.  an edit due soon always fits. */
bool req_held_fits(struct req *r, const struct engine_op *op, struct error *err)
{
	return !r->hold || session_hold_fits(r->s, r->c->session, engine_op_bytes(op), err) == 0;
}

/* closes the engine batch of a request's prepared ops.  when the request failed (or its
 * plan cannot be built) every op goes back out of the model and nothing is submitted;
 * else the chain and its plan go to the renderer as one command.  0 or -1. */
int req_batch_close(struct req *r, struct engine_op *chain, bool failed, struct error *err)
{
	struct engine_op *end = NULL;

	if (!failed && engine_batch_end(r->e, &end, err) == 0) {
		chain = req_chain_add(chain, end);
		if (req_held_fits(r, chain, err)) {
			if (chain)
				server_submit(r->s, r->internal ? NULL : r->c, chain, r->at,
					      r->receipt, r->hold);
			return 0;
		}
		/* the batch is closed: its plan is the newest op and is undone first */
		engine_op_undo(r->e, chain);
		return -1;
	}
	engine_op_undo(r->e, chain);
	/* the model is as before: its plan is the renderer's, so it is dropped uncommitted */
	if (engine_batch_end(r->e, &end, &(struct error){ 0 }) == 0)
		engine_op_free(r->e, end);
	return -1;
}
