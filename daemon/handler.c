/* handler: every protocol op (PROTOCOL.md §2-5) for one client.  graph edits go through the
 * shared codec against the live engine with the client's session names, then to the render
 * thread as one op chain per request; everything else is answered from the control side.
 * control thread only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "core.h"
#include "cost.h"
#include "decode.h"
#include "engine/analyser.h"
#include "engine/buffer.h"
#include "engine/engine.h"
#include "engine/wave.h"
#include "engine/node.h"
#include "log.h"
#include "persist.h"
#include "protocol/codec.h"
#include "protocol/bufspec.h"
#include "protocol/document.h"
#include "server.h"

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define SESSION_NAME_MAX 64

/* one request being handled */
struct req {
	struct server *s;
	struct client *c;
	struct json_object *obj;
	struct pending *pending;	/* a reply already queued as waiting (decoding) */
	uint64_t receipt;
	struct engine *e;
	uint64_t at;			/* frame; 0: the next quantum */
	double now;			/* s: context time when handled; "+S" times count from it */
	char warning[160];		/* for the reply: an `at` already past */
	bool hold;			/* far ahead: into the session's timeline */
	bool internal;			/* the daemon's own (a restore): no client waits */
	double load;			/* render time of the session's graph and the nodes
					 * this request creates, ns per quantum; < 0: not yet
					 * counted */
	double total_load;		/* the same for every session */
	/* names of a document being loaded, before the session's */
	size_t n_bufs;
	char **buf_names;
	struct audio_buffer **bufs;
	char **copies;			/* their copies (read from descriptors), or NULL */
};

static int reply(struct req *r, struct json_object *o)
{
	if (r->pending)
		server_complete(r->c, r->pending, o);
	else
		server_reply(r->c, o);
	return 0;
}

static int fail(struct req *r, struct error *err)
{
	if (r->c->session)
		session_strip(r->c->session, err);
	reply(r, codec_reply_error(r->obj, err));
	return 0;
}

static int failf(struct req *r, enum err_code code, const char *fmt, const char *arg)
{
	struct error err = { .code = code };

	snprintf(err.msg, sizeof(err.msg), fmt, arg);
	reply(r, codec_reply_error(r->obj, &err));
	return 0;
}

static int ok(struct req *r, struct json_object *result)
{
	struct json_object *o = codec_reply_ok(r->obj);

	if (r->warning[0] && result == NULL)
		result = json_object_new_object();
	if (r->warning[0] && !json_object_object_get_ex(result, "warning", NULL))
		json_object_object_add(result, "warning", json_object_new_string(r->warning));
	codec_reply_merge(o, result);
	reply(r, o);
	return 0;
}

static struct json_object *field(struct json_object *obj, const char *name)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(obj, name, &v);
	return v;
}

/* after take_at: the render queue or the session's timeline has room for this edit
 * (r->hold says which); else the request is answered busy or limit */
static bool no_room(struct req *r)
{
	struct error err = { 0 };

	if (server_room(r->s, r->c, r->at, &r->hold, &err) == 0)
		return false;
	engine_set_now(r->e, -1);
	fail(r, &err);
	return true;
}

/* --- names ---------------------------------------------------------------------------------- */

static int env_node(void *data, const char *name, char *out, size_t size, struct error *err)
{
	struct req *r = data;

	return session_map(r->c->session, name, out, size, err);
}

static struct audio_buffer *env_buffer(void *data, const char *name, struct error *err)
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

static struct codec_env env_of(struct req *r)
{
	return (struct codec_env){ .buffer = env_buffer, .node = env_node, .data = r,
				   .now = r->now, .max_points = r->s->cfg.limits.max_points };
}

static bool is_bus(const struct server *s, const char *ename)
{
	const char *slash = strchr(ename, ':');

	(void)s;
	return slash && strcmp(slash + 1, "bus") == 0;
}

static int check_new_name(const char *name, const char *path, struct error *err)
{
	if (name[0] == '\0' || strpbrk(name, "/.:"))
		return err_set(err, ERR_INVALID_VALUE, "%s: \"%s\" cannot name a node (empty, or "
			       "with '/', '.' or ':')", path, name);
	if (strcmp(name, "destination") == 0 || strcmp(name, "listener") == 0 ||
	    strcmp(name, "bus") == 0)
		return err_set(err, ERR_INVALID_STATE, "%s: \"%s\" is taken by the session", path,
			       name);
	return 0;
}

/* "at" of a graph edit, batch or load: the frame it applies at, and the engine's notion of
 * "now" for ops prepared for it */
static int take_at(struct req *r, struct error *err)
{
	struct json_object *v = field(r->obj, "at");
	struct codec_env env = env_of(r);
	double t, rate = engine_sample_rate(r->e), now = (double)engine_frame(r->e) / rate;

	r->at = 0;
	if (v == NULL)
		return 0;
	if (codec_time(v, &env, "at", &t, err) < 0)
		return -1;
	if (t < 0)
		return err_set(err, ERR_INVALID_VALUE, "at: %g is negative", t);
	if (t * rate > 0x1p62)	/* no frame counter gets there */
		return err_set(err, ERR_INVALID_VALUE, "at: %g is too far ahead", t);
	r->at = (uint64_t)ceil(t * rate);
	if (t > 0 && t < now)
		snprintf(r->warning, sizeof(r->warning), "at %.6f is %.3f s in the past (now "
			 "%.6f): applied at once", t, now - t, now);
	if (t > now)
		engine_set_now(r->e, t);
	return 0;
}

/* --- all-or-nothing requests (batch, load) ---------------------------------------------- */

static struct engine_op *chain_add(struct engine_op *chain, struct engine_op *op)
{
	if (op == NULL)
		return chain;
	return chain ? engine_op_chain(chain, op) : op;
}

/* an edit for the session's timeline: what it holds (plans, automation copies) fits the
 * session's and the daemon's budget.  an edit due soon always fits. */
static bool held_fits(struct req *r, const struct engine_op *op, struct error *err)
{
	return !r->hold || session_hold_fits(r->s, r->c->session, engine_op_bytes(op), err) == 0;
}

/* closes the engine batch of a request's prepared ops.  when the request failed (or its
 * plan cannot be built) every op goes back out of the model and nothing is submitted;
 * else the chain and its plan go to the renderer as one command.  0 or -1. */
static int batch_close(struct req *r, struct engine_op *chain, bool failed, struct error *err)
{
	struct engine_op *end = NULL;

	if (!failed && engine_batch_end(r->e, &end, err) == 0) {
		chain = chain_add(chain, end);
		if (held_fits(r, chain, err)) {
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

/* --- graph edits ---------------------------------------------------------------------------- */

/* n more nodes of `type` keep the session's graph (and everyone's) within the share of the
 * render thread it may take, by the costs measured at startup */
static int render_quota(struct req *r, const char *type, uint32_t n, const char *path,
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
static int graph_precheck(struct req *r, struct json_object *cmd, const char *path,
			  uint32_t *creates, struct error *err)
{
	const char *op = json_object_get_string(field(cmd, "op"));
	struct json_object *id = field(cmd, "id");
	char p[CODEC_PATH_MAX], mapped[CODEC_NAME_MAX];

	codec_path_field(p, sizeof(p), path, "id");
	if (strcmp(op, "create") == 0) {
		if (id && json_object_is_type(id, json_type_string) &&
		    check_new_name(json_object_get_string(id), p, err) < 0)
			return -1;
		/* the model already holds the batch's earlier creates: count them once */
		++*creates;
		if (session_count_nodes(r->s, r->c->session) >= r->s->cfg.limits.nodes)
			return err_set(err, ERR_LIMIT, "%s: the session has the most nodes allowed "
				       "(%u)", path[0] ? path : "create", r->s->cfg.limits.nodes);
		if (render_quota(r, json_object_get_string(field(cmd, "type")), 1, path, err) < 0)
			return -1;
	} else if (strcmp(op, "delete") == 0 && id && json_object_is_type(id, json_type_string)) {
		if (session_map(r->c->session, json_object_get_string(id), mapped, sizeof(mapped),
				err) < 0)
			return -1;
		if (is_bus(r->s, mapped))
			return err_set(err, ERR_INVALID_STATE, "%s: a session's destination cannot be "
				       "deleted", p);
	}
	return 0;
}

static int op_graph(struct req *r)
{
	struct codec_env env = env_of(r);
	struct json_object *result = NULL;
	struct engine_op *op = NULL;
	struct error err = { 0 };
	uint32_t creates = 0;

	if (take_at(r, &err) < 0) {
		engine_set_now(r->e, -1);
		return fail(r, &err);
	}
	if (no_room(r))
		return 0;
	if (graph_precheck(r, r->obj, "", &creates, &err) < 0 ||
	    codec_op(r->e, r->obj, &env, "", &op, &result, &err) < 0 ||
	    !held_fits(r, op, &err)) {
		if (op)
			engine_op_undo(r->e, op);
		json_object_put(result);
		engine_set_now(r->e, -1);
		fail(r, &err);
		return 0;
	}
	engine_set_now(r->e, -1);
	if (op)
		server_submit(r->s, r->c, op, r->at, r->receipt, r->hold);
	ok(r, result);
	return 0;
}

static const char *const batch_fields[] = { "op", "id", "at", "commands" };

/* each command's shape, without the engine: nothing is prepared when one is malformed */
static int batch_shape(struct req *r, struct json_object *cmds, size_t *bad, struct error *err)
{
	char p[CODEC_PATH_MAX];
	struct engine_op *op;
	const char *name;
	size_t i, n = json_object_array_length(cmds);

	for (i = 0; i < n; i++) {
		struct json_object *cmd = json_object_array_get_idx(cmds, i);

		*bad = i;
		codec_path_index(p, sizeof(p), "commands", i);
		if (!json_object_is_type(cmd, json_type_object))
			return err_set(err, ERR_BAD_REQUEST, "%s: expected an object", p);
		if (codec_get_string(cmd, "op", true, p, &name, err) < 0)
			return -1;
		if (!codec_is_graph_op(name)) {
			codec_unknown_op(name, p, err);
			if (strcmp(name, "buffer") == 0 || strcmp(name, "free-buffer") == 0 ||
			    strcmp(name, "load") == 0 || strcmp(name, "batch") == 0 ||
			    strcmp(name, "get") == 0 || strcmp(name, "sync") == 0)
				return err_set(err, ERR_BAD_REQUEST, "%s.op: \"%s\" cannot be part of a "
					       "batch", p, name);
			return -1;
		}
		if (field(cmd, "at"))
			return err_set(err, ERR_BAD_REQUEST, "%s.at: a batch applies at once: put "
				       "\"at\" on the batch", p);
		if (codec_op(NULL, cmd, NULL, p, &op, NULL, err) < 0)
			return -1;
	}
	return 0;
}

static int batch_fail(struct req *r, struct error *err, size_t index)
{
	struct json_object *o;

	session_strip(r->c->session, err);
	o = codec_reply_error(r->obj, err);
	/* PROTOCOL.md §2: the error carries the failing command's index */
	json_object_object_add(json_object_object_get(o, "error"), "index",
			       json_object_new_int64((int64_t)index));
	reply(r, o);
	return 0;
}

static int op_batch(struct req *r)
{
	struct codec_env env = env_of(r);
	struct json_object *cmds, *results, *res;
	struct engine_op *chain = NULL, *op;
	struct error err = { 0 };
	uint32_t creates = 0;
	size_t i, n, bad = 0;
	char p[CODEC_PATH_MAX];

	if (codec_check_fields(r->obj, batch_fields, COUNT(batch_fields), "", &err) < 0)
		return fail(r, &err);
	cmds = field(r->obj, "commands");
	if (cmds == NULL || !json_object_is_type(cmds, json_type_array))
		return failf(r, ERR_BAD_REQUEST, "%s", "commands: expected an array of requests");
	if (batch_shape(r, cmds, &bad, &err) < 0)
		return batch_fail(r, &err, bad);
	if (take_at(r, &err) < 0) {
		engine_set_now(r->e, -1);
		return fail(r, &err);
	}
	if (no_room(r))
		return 0;
	n = json_object_array_length(cmds);
	results = json_object_new_array_ext((int)n);
	engine_batch_begin(r->e);
	for (i = 0; i < n; i++) {
		struct json_object *cmd = json_object_array_get_idx(cmds, i);

		codec_path_index(p, sizeof(p), "commands", i);
		res = NULL;
		if (graph_precheck(r, cmd, p, &creates, &err) < 0)
			break;
		if (codec_op(r->e, cmd, &env, p, &op, &res, &err) < 0)
			break;
		chain = chain_add(chain, op);
		if (res == NULL)
			res = json_object_new_object();
		json_object_array_add(results, res);
	}
	if (batch_close(r, chain, i < n, &err) < 0 && i == n)
		i = n + 1;	/* the plan could not be built: the batch fails as a whole */
	engine_set_now(r->e, -1);
	if (i != n) {
		json_object_put(results);
		return batch_fail(r, &err, i <= n ? i : n);
	}
	res = json_object_new_object();
	json_object_object_add(res, "results", results);
	/* what its "+S" times counted from: a script can wait for its schedule to be heard */
	json_object_object_add(res, "now", json_object_new_double(r->now));
	ok(r, res);
	return 0;
}

/* --- buffers -------------------------------------------------------------------------------- */

static const char *const buffer_fields[] = { "op", "id", "at", "name", "spec" };

/* sample memory a new buffer may take: what the session has left (a buffer it replaces
 * counted as free), within what the daemon has left */
static uint64_t buffer_budget(struct req *r, const char *replacing)
{
	const struct server_limits *l = &r->s->cfg.limits;
	struct session *sess = r->c->session;
	struct sbuf *old = replacing ? session_buffer(sess, replacing) : NULL;
	uint64_t used = sess->buffer_bytes - (old ? old->bytes : 0), all = 0, left;

	/* sessions' buffer memory, all together, then what is left of it */

	for (struct session *x = r->s->sessions; x; x = x->next)
		all += x->buffer_bytes;
	all -= old ? old->bytes : 0;
	left = used < l->buffer_bytes ? l->buffer_bytes - used : 0;
	all = all < l->buffer_bytes_total ? l->buffer_bytes_total - all : 0;
	return left < all ? left : all;
}

/* --- descriptors a request sent ------------------------------------------------------------ */

/* what a request took from its connection's descriptor queue (PROTOCOL.md §6): fd[K] for
 * the spec {"fd": K}; -1 once closed or handed on */
struct req_fds {
	int fd[SERVER_FDS_MAX];
	uint32_t n;
};

static void fds_close(struct req_fds *f)
{
	for (uint32_t i = 0; i < f->n; i++)
		if (f->fd[i] >= 0)
			close(f->fd[i]);
	f->n = 0;
}

/* the first n waiting descriptors of c into f, the rest moved up */
static void fds_dequeue(struct client *c, uint32_t n, struct req_fds *f)
{
	memcpy(f->fd, c->fds, n * sizeof(int));
	f->n = n;
	c->n_fds -= n;
	memmove(c->fds, c->fds + n, c->n_fds * sizeof(int));
}

/* the descriptors the specs of a request name */
struct fd_scan {
	uint64_t need;			/* 1 + the largest K named; 0: none */
	bool used[SERVER_FDS_MAX];	/* K named, for those that can have come */
	struct error err;		/* the first malformed or repeated "fd" */
};

static void scan_spec(struct fd_scan *x, struct json_object *spec, const char *path)
{
	struct error e = { 0 };
	uint32_t k;
	int named = bufspec_fd_index(spec, path, &k, &e);

	if (named < 0 && x->err.code == ERR_OK)
		x->err = e;
	if (named <= 0)
		return;
	if ((uint64_t)k + 1 > x->need)
		x->need = (uint64_t)k + 1;
	if (k >= SERVER_FDS_MAX)
		return;	/* more than can be waiting: refused below, as not sent */
	if (x->used[k] && x->err.code == ERR_OK)
		err_set(&x->err, ERR_BAD_REQUEST, "%s.fd: fd %u is named by another buffer of the "
			"request too: each descriptor serves one buffer", path, k);
	x->used[k] = true;
}

/* a request naming descriptors ({"fd": K} in spec, or in the buffers of a document) takes
 * the first 1 + (the largest K) waiting on its connection, whatever else is wrong with it,
 * so that the next request's descriptors are its own.  those no spec names are closed at
 * once.  0 with f holding them (n 0: none named), or -1 with err set and nothing kept:
 * limit when descriptors were dropped (all waiting go: the queue no longer lines up with
 * the requests), bad_request when fewer came than named or a spec's "fd" is malformed */
static int fds_take(struct req *r, struct json_object *spec, struct json_object *buffers,
		    const char *path, struct req_fds *f, struct error *err)
{
	struct client *c = r->c;
	struct fd_scan x = { 0 };
	char p[CODEC_PATH_MAX];
	struct req_fds all;

	f->n = 0;
	if (spec != NULL)
		scan_spec(&x, spec, path);
	if (json_object_is_type(buffers, json_type_object)) {
		json_object_object_foreach(buffers, key, val) {
			codec_path_field(p, sizeof(p), path, key);
			scan_spec(&x, val, p);
		}
	}
	if (x.need == 0 && x.err.code == ERR_OK)
		return 0;
	if (c->fds_dropped) {
		c->fds_dropped = false;
		fds_dequeue(c, c->n_fds, &all);
		fds_close(&all);
		return err_set(err, ERR_LIMIT, "%s: more than %d descriptors came to this connection "
			       "before requests took them: those past %d were closed, and the rest "
			       "now too; send them again", path, SERVER_FDS_MAX, SERVER_FDS_MAX);
	}
	fds_dequeue(c, x.need < c->n_fds ? (uint32_t)x.need : c->n_fds, f);
	if (x.err.code != ERR_OK) {
		fds_close(f);
		*err = x.err;
		return -1;
	}
	if (x.need > f->n) {
		uint32_t got = f->n;

		fds_close(f);
		if (got == 0)
			return err_set(err, ERR_BAD_REQUEST, "%s: fd %llu: no descriptor came with "
				       "the request", path, (unsigned long long)(x.need - 1));
		return err_set(err, ERR_BAD_REQUEST, "%s: fd %llu: only %u descriptor%s came with "
			       "the request", path, (unsigned long long)(x.need - 1), got,
			       got == 1 ? "" : "s");
	}
	for (uint32_t k = 0; k < f->n; k++)
		if (!x.used[k]) {
			close(f->fd[k]);
			f->fd[k] = -1;
		}
	return 0;
}

/* the descriptors go to the job (nothing left in f); with them, the folder for the copies
 * of what is read from them */
static int job_fds(struct req *r, struct decode_job *j, struct req_fds *f, const char *name)
{
	const char *dir = persist_buffers_dir(r->s->persist);

	if (f->n == 0)
		return 0;
	j->fds = malloc(f->n * sizeof(int));
	if (j->fds == NULL)
		return -1;
	memcpy(j->fds, f->fd, f->n * sizeof(int));
	j->n_fds = f->n;
	f->n = 0;
	if (dir == NULL)
		return 0;	/* no persistence: no copies */
	j->copy_dir = strdup(dir);
	j->copy_session = strdup(r->c->session->name);
	j->copy_name = name ? strdup(name) : NULL;
	return j->copy_dir == NULL || j->copy_session == NULL || (name && !j->copy_name) ? -1 : 0;
}

/* what a session keeps of a BUFSPEC, for save and its saved document: a buffer read from a
 * descriptor is kept as its copy ({"file": COPY}), or as {"fd": null} when the daemon keeps
 * no copies (--no-persist): a spec that loads nothing, and says why.  a new reference */
static struct json_object *kept_spec(struct json_object *spec, const char *copy)
{
	struct json_object *o, *v;
	uint32_t k;
	struct error e = { 0 };

	if (bufspec_fd_index(spec, NULL, &k, &e) != 1)
		return json_object_get(spec);
	o = json_object_new_object();
	json_object_object_add(o, copy ? "file" : "fd", copy ? json_object_new_string(copy) : NULL);
	if (json_object_object_get_ex(spec, "resample", &v))
		json_object_object_add(o, "resample", json_object_get(v));
	return o;
}

/* stores a decoded buffer in the session with the spec kept for it; copy (owned) is the
 * session's from now on */
static void buffer_store(struct req *r, const char *name, struct audio_buffer *buf,
			 struct json_object *spec, char *copy)
{
	struct json_object *kept = kept_spec(spec, copy);

	session_buffer_put(r->s, r->c->session, name, buf, kept);
	json_object_put(kept);
	free(copy);
}

/* a buffer the worker kept without its copy: the reply says so, the log says where */
static void job_warning(struct req *r, const struct decode_job *j)
{
	if (j->warning[0] == '\0')
		return;
	log_warn("session %s: %s (folder %s)", r->c->session->name, j->warning, j->copy_dir);
	if (r->warning[0] == '\0')
		snprintf(r->warning, sizeof(r->warning), "%.*s", (int)sizeof(r->warning) - 1,
			 j->warning);
}

/* --- buffer jobs ------------------------------------------------------------------------------ */

static struct decode_job *job_new(struct req *r, enum decode_kind kind, struct json_object *v,
				  const char *path, struct req_fds *f)
{
	struct decode_job *j = calloc(1, sizeof(*j));
	const char *name = kind == DECODE_BUFFER ?
			   json_object_get_string(field(r->obj, "name")) : NULL;

	if (j == NULL)
		return NULL;
	j->kind = kind;
	j->text = strdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	j->rate = engine_sample_rate(r->e);
	snprintf(j->path, sizeof(j->path), "%s", path);
	j->client = r->c;
	j->req = json_object_get(r->obj);
	j->receipt_ns = r->receipt;
	j->owner = r->c->session;
	j->max_bytes = buffer_budget(r, name);
	if (j->text == NULL || job_fds(r, j, f, name) < 0) {
		decode_job_free(j);	/* closes the descriptors it took */
		return NULL;
	}
	return j;
}

/* hands the job to the worker; this client's later lines wait for its reply */
static int job_start(struct req *r, struct decode_job *j)
{
	j->pending = server_reply_wait(r->c);
	if (j->pending == NULL) {
		decode_job_free(j);
		return 0;
	}
	r->c->decoding = true;
	r->c->job = j;
	decode_push(r->s->decode, j);
	return 0;
}

static int op_buffer(struct req *r)
{
	struct req_fds f = { 0 };
	struct error err = { 0 };
	struct json_object *spec = field(r->obj, "spec");
	struct decode_job *j;
	const char *name;

	/* first: a request that fails for another reason still takes what it sent */
	if (fds_take(r, spec, NULL, "spec", &f, &err) < 0)
		return fail(r, &err);
	if (codec_check_fields(r->obj, buffer_fields, COUNT(buffer_fields), "", &err) < 0 ||
	    codec_get_string(r->obj, "name", true, "", &name, &err) < 0) {
		fds_close(&f);
		return fail(r, &err);
	}
	if (name[0] == '\0')
		err_set(&err, ERR_INVALID_VALUE, "name: a buffer needs a name");
	else if (spec == NULL)
		err_set(&err, ERR_BAD_REQUEST, "spec: missing required field");
	else if (!json_object_is_type(spec, json_type_object))
		err_set(&err, ERR_BAD_REQUEST, "spec: expected a BUFSPEC object");
	if (err.code != ERR_OK) {
		fds_close(&f);
		return fail(r, &err);
	}
	j = job_new(r, DECODE_BUFFER, spec, "spec", &f);
	if (j == NULL) {
		fds_close(&f);
		return failf(r, ERR_INTERNAL, "%s", "out of memory");
	}
	job_start(r, j);
	return 0;
}

static int buffer_done(struct req *r, struct decode_job *j)
{
	struct session *sess = r->c->session;
	const char *name = json_object_get_string(field(r->obj, "name"));
	struct sbuf *old = session_buffer(sess, name);
	uint64_t bytes = sess->buffer_bytes - (old ? old->bytes : 0) + audio_buffer_bytes(j->buf);
	struct json_object *res;

	/* the budget was checked before decoding; another client of the session or daemon may
	 * have stored buffers since */
	if (audio_buffer_bytes(j->buf) > buffer_budget(r, name)) {
		struct error err = { .code = ERR_LIMIT };

		snprintf(err.msg, sizeof(err.msg), "spec: the session's buffers would take %llu "
			 "bytes, more than it (%llu) or the daemon (%llu in all) allows",
			 (unsigned long long)bytes,
			 (unsigned long long)r->s->cfg.limits.buffer_bytes,
			 (unsigned long long)r->s->cfg.limits.buffer_bytes_total);
		return fail(r, &err);	/* the job removes its copy */
	}
	res = json_object_new_object();
	json_object_object_add(res, "name", json_object_new_string(name));
	json_object_object_add(res, "length", json_object_new_int64(j->buf->length));
	json_object_object_add(res, "numberOfChannels", json_object_new_int((int)j->buf->channels));
	json_object_object_add(res, "sampleRate", json_object_new_double(j->buf->sample_rate));
	json_object_object_add(res, "duration",
			       json_object_new_double(j->buf->length / j->buf->sample_rate));
	job_warning(r, j);
	buffer_store(r, name, j->buf, field(r->obj, "spec"), j->copy);
	j->buf = NULL;
	j->copy = NULL;
	ok(r, res);
	return 0;
}

static int op_free_buffer(struct req *r)
{
	static const char *const fields[] = { "op", "id", "at", "name" };
	struct error err = { 0 };
	const char *name;

	if (codec_check_fields(r->obj, fields, COUNT(fields), "", &err) < 0 ||
	    codec_get_string(r->obj, "name", true, "", &name, &err) < 0 ||
	    session_buffer_free(r->s, r->c->session, name, &err) < 0)
		return fail(r, &err);
	ok(r, NULL);
	return 0;
}

/* --- reading the graph ---------------------------------------------------------------------- */

static struct json_object *value_json(struct session *sess, const struct value *v)
{
	struct json_object *a;
	struct sbuf *b;

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
		b = session_buffer_of(sess, v->buf);
		return b ? json_object_new_string(b->name) : NULL;
	default: return NULL;
	}
}

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

static int op_get(struct req *r)
{
	static const char *const fields[] = { "op", "id" };
	struct json_object *res, *attrs, *params;
	struct error err = { 0 };
	struct value v;
	struct node *n;
	const char *id;
	uint32_t i;

	if (codec_check_fields(r->obj, fields, COUNT(fields), "", &err) < 0 ||
	    codec_get_string(r->obj, "id", true, "", &id, &err) < 0 || lookup(r, id, &n, &err) < 0)
		return fail(r, &err);
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
		json_object_object_add(attrs, a->name, value_json(r->c->session, &v));
	}
	json_object_object_add(res, "attributes", attrs);
	params = json_object_new_object();
	for (i = 0; i < n->n_params; i++)
		json_object_object_add(params, n->param_descs[i].name, json_object_new_double(
			atomic_load_explicit(&n->params[i].last, memory_order_relaxed)));
	json_object_object_add(res, "params", params);
	ok(r, res);
	return 0;
}

static int op_analyser(struct req *r)
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
		return fail(r, &err);
	for (m = 0; m < COUNT(methods) && strcmp(methods[m], method) != 0; m++)
		;
	if (m == COUNT(methods)) {
		hint = err_suggest(method, methods, COUNT(methods));
		err_set(&err, ERR_INVALID_VALUE, "method: unknown method \"%s\"%s%s%s", method,
			hint ? ", did you mean \"" : "", hint ? hint : "", hint ? "\"?" : "");
		return fail(r, &err);
	}
	if (strcmp(n->kind->name, "AnalyserNode") != 0)
		return failf(r, ERR_INVALID_VALUE, "id: \"%s\" is not an AnalyserNode", id);
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
	ok(r, res);
	return 0;
}

/* --- save ----------------------------------------------------------------------------------- */

struct save {
	struct server *s;
	struct session *sess;
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
		if (!attr_saved(n, a->name, &v) || (j = value_json(sv->sess, &v)) == NULL)
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
	struct session *sess = sv->sess;
	struct json_object *o, *options, *props, *params;
	const struct node_kind *k = n->kind;
	char buf[CODEC_NAME_MAX];

	if (!session_owns(sess, n->name) || is_bus(sv->s, n->name))
		return;
	o = json_object_new_object();
	options = json_object_new_object();
	props = json_object_new_object();
	params = json_object_new_object();
	json_object_object_add(o, "id",
			       json_object_new_string(session_unmap(sess, n->name, buf, sizeof(buf))));
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
	struct session *sess = sv->sess;
	struct json_object *c;
	char a[CODEC_NAME_MAX], b[CODEC_NAME_MAX], t[2 * CODEC_NAME_MAX];
	const char *to;

	if (!session_owns(sess, src->name) || is_bus(sv->s, src->name))
		return;
	c = json_object_new_array();
	json_object_array_add(c, json_object_new_string(session_unmap(sess, src->name, a, sizeof(a))));
	to = session_unmap(sess, dst->name, b, sizeof(b));
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

struct json_object *handler_save(struct server *s, struct session *sess)
{
	struct engine *e = core_engine(s->core);
	struct save sv = { .s = s, .sess = sess };
	struct json_object *doc, *bufs, *listener;
	struct sbuf *b;

	doc = json_object_new_object();
	json_object_object_add(doc, "sampleRate", json_object_new_int((int)engine_sample_rate(e)));
	json_object_object_add(doc, "length", json_object_new_int((int)engine_sample_rate(e)));
	json_object_object_add(doc, "channels", json_object_new_int((int)engine_channels(e)));
	bufs = json_object_new_object();
	for (b = sess->buffers; b; b = b->next)
		json_object_object_add(bufs, b->name, json_object_get(b->spec));
	json_object_object_add(doc, "buffers", bufs);
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

static int op_save(struct req *r)
{
	static const char *const fields[] = { "op", "id" };
	struct json_object *res;
	struct error err = { 0 };

	if (codec_check_fields(r->obj, fields, COUNT(fields), "", &err) < 0)
		return fail(r, &err);
	res = json_object_new_object();
	json_object_object_add(res, "document", handler_save(r->s, r->c->session));
	ok(r, res);
	return 0;
}

/* --- load ----------------------------------------------------------------------------------- */

static const char *const load_fields[] = { "op", "id", "at", "document", "replace" };
static const char *const doc_fields[] = {
	"sampleRate", "length", "channels", "buffers", "nodes", "listener", "connections",
	"events", "probes",
};

static int load_check(struct json_object *doc, struct error *err)
{
	char p[CODEC_PATH_MAX];
	struct json_object *v, *nodes = field(doc, "nodes");
	size_t i;

	if (!json_object_is_type(doc, json_type_object))
		return err_set(err, ERR_BAD_REQUEST, "document: expected a graph document object");
	if (codec_check_fields(doc, doc_fields, COUNT(doc_fields), "document", err) < 0)
		return -1;
	if (((v = field(doc, "events")) && json_object_is_type(v, json_type_array) &&
	     json_object_array_length(v) > 0) ||
	    ((v = field(doc, "probes")) && json_object_is_type(v, json_type_array) &&
	     json_object_array_length(v) > 0))
		return err_set(err, ERR_NOT_SUPPORTED, "document: events and probes are for offline "
			       "rendering; schedule live edits with \"at\"");
	if ((v = field(doc, "buffers")) && !json_object_is_type(v, json_type_object))
		return err_set(err, ERR_BAD_REQUEST, "document.buffers: expected an object");
	if (nodes && !json_object_is_type(nodes, json_type_array))
		return err_set(err, ERR_BAD_REQUEST, "document.nodes: expected an array");
	for (i = 0; nodes && i < json_object_array_length(nodes); i++) {
		v = field(json_object_array_get_idx(nodes, i), "id");
		codec_path_index(p, sizeof(p), "document.nodes", i);
		strncat(p, ".id", sizeof(p) - strlen(p) - 1);
		if (v && json_object_is_type(v, json_type_string) &&
		    check_new_name(json_object_get_string(v), p, err) < 0)
			return -1;
	}
	return 0;
}

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
		x->chain = chain_add(x->chain, op);
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
	struct codec_env env = { .buffer = env_buffer, .node = scratch_node, .data = r,
				 .now = r->now, .max_points = r->s->cfg.limits.max_points };
	struct engine *e = engine_new(engine_sample_rate(r->e), engine_channels(r->e), err);
	struct emit_ctx x = { .e = e, .exec = true };
	struct engine_op *op = NULL;
	int res;

	if (e == NULL)
		return -1;
	engine_set_hrtf_loader(e, hrtf_cache_get, &r->s->hrtf);
	engine_set_plugin_host(e, lv2_instantiate, r->s->lv2);
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

	if (!session_owns(sn->r->c->session, n->name) || is_bus(sn->r->s, n->name))
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
			chain = chain_add(chain, op);
	free(sn.names);
	return chain;
}

static int load_quota(struct req *r, struct json_object *doc, bool replace, struct error *err)
{
	struct json_object *nodes = field(doc, "nodes");
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
		struct json_object *type = field(json_object_array_get_idx(nodes, i), "type");
		char p[CODEC_PATH_MAX];

		codec_path_index(p, sizeof(p), "nodes", i);
		if (json_object_is_type(type, json_type_string) &&
		    render_quota(r, json_object_get_string(type), 1, p, err) < 0)
			return -1;
	}
	return 0;
}

static int load_finish(struct req *r)
{
	struct json_object *doc = field(r->obj, "document"), *bufs = field(doc, "buffers");
	struct codec_env env = env_of(r);
	struct emit_ctx x = { .e = r->e };
	struct error err = { 0 };
	bool replace = false;
	int res;

	if (codec_get_bool(r->obj, "replace", false, "", &replace, &err) < 0 ||
	    load_quota(r, doc, replace, &err) < 0 || (replace && load_try(r, doc, &err) < 0)) {
		err_prefix(&err, "document");
		return fail(r, &err);
	}
	if (take_at(r, &err) < 0) {
		engine_set_now(r->e, -1);
		return fail(r, &err);
	}
	if (no_room(r))
		return 0;
	engine_batch_begin(r->e);
	if (replace)
		x.chain = delete_session_nodes(r);
	res = document_build(r->e, doc, &env, emit_op, &x, &err);
	if (batch_close(r, x.chain, res < 0, &err) < 0)
		res = -1;
	engine_set_now(r->e, -1);
	if (res < 0) {
		err_prefix(&err, "document");
		return fail(r, &err);
	}
	for (size_t i = 0; i < r->n_bufs; i++) {
		buffer_store(r, r->buf_names[i], r->bufs[i], field(bufs, r->buf_names[i]),
			     r->copies ? r->copies[i] : NULL);
		r->bufs[i] = NULL;
		if (r->copies)
			r->copies[i] = NULL;
	}
	r->n_bufs = 0;
	ok(r, NULL);
	return 0;
}

int handler_restore(struct server *s, struct session *sess, struct json_object *doc,
		    const char *base_dir, struct error *err)
{
	struct client self = { .srv = s, .session = sess };
	struct req r = { .s = s, .c = &self, .e = core_engine(s->core), .load = -1,
			 .internal = true, .receipt = server_now_ns() };
	struct json_object *bufs = field(doc, "buffers");
	size_t n = bufs ? (size_t)json_object_object_length(bufs) : 0, i;
	struct codec_env env;
	struct emit_ctx x = { .e = r.e };
	char path[CODEC_PATH_MAX];
	int res = -1;

	r.now = (double)engine_frame(r.e) / engine_sample_rate(r.e);
	env = env_of(&r);
	if (load_check(doc, err) < 0 || (bufs && !json_object_is_type(bufs, json_type_object)))
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
							   buffer_budget(&r, NULL), path, err);
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
	if (batch_close(&r, x.chain, res < 0, err) < 0)
		res = -1;
	for (i = 0; res == 0 && i < r.n_bufs; i++) {
		session_buffer_put(s, sess, r.buf_names[i], r.bufs[i], field(bufs, r.buf_names[i]));
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

static int op_load(struct req *r)
{
	struct json_object *doc = field(r->obj, "document"), *bufs = field(doc, "buffers");
	struct req_fds f = { 0 };
	struct error err = { 0 };
	struct decode_job *j;
	bool replace;

	/* first: a request that fails for another reason still takes what it sent */
	if (fds_take(r, NULL, bufs, "document.buffers", &f, &err) < 0)
		return fail(r, &err);
	if (codec_check_fields(r->obj, load_fields, COUNT(load_fields), "", &err) == 0 &&
	    codec_get_bool(r->obj, "replace", false, "", &replace, &err) == 0) {
		if (doc == NULL)
			err_set(&err, ERR_BAD_REQUEST, "document: missing required field");
		else
			load_check(doc, &err);
	}
	if (err.code != ERR_OK) {
		fds_close(&f);
		return fail(r, &err);
	}
	if (bufs == NULL || json_object_object_length(bufs) == 0)
		return load_finish(r);
	j = job_new(r, DECODE_BUFFERS, bufs, "document.buffers", &f);
	if (j == NULL) {
		fds_close(&f);
		return failf(r, ERR_INTERNAL, "%s", "out of memory");
	}
	job_start(r, j);
	return 0;
}

/* --- time, stats, sync ---------------------------------------------------------------------- */

static int op_sync(struct req *r)
{
	static const char *const fields[] = { "op", "id" };
	struct error err = { 0 };
	struct client *c = r->c;
	struct json_object *res;
	struct pending *p;

	if (codec_check_fields(r->obj, fields, COUNT(fields), "", &err) < 0)
		return fail(r, &err);
	if (!server_outstanding(r->s, c, c->last_tag)) {
		res = json_object_new_object();
		json_object_object_add(res, "frame", json_object_new_int64((int64_t)(
			c->last_tag ? c->last_frame : engine_frame(r->e))));
		return ok(r, res);
	}
	p = server_reply_wait(c);
	if (p == NULL)
		return 0;
	p->sync_tag = c->last_tag;
	p->waiting = codec_reply_ok(r->obj);
	return 0;
}

/* a sync replies once every command of its client up to its own tag has applied; the
 * frame is the latest at which one of them took effect */
void handler_applied(struct client *c, uint64_t tag, uint64_t frame)
{
	struct pending *p;
	struct json_object *o;
	bool any = false;

	(void)tag;
	if (frame > c->last_frame)
		c->last_frame = frame;
	for (p = c->head; p; p = p->next) {
		if (p->waiting == NULL || p->sync_tag == 0 ||
		    server_outstanding(c->srv, c, p->sync_tag))
			continue;
		o = p->waiting;
		p->waiting = NULL;
		p->sync_tag = 0;
		json_object_object_add(o, "frame", json_object_new_int64((int64_t)c->last_frame));
		p->reply = o;
		any = true;
	}
	if (any)
		server_complete(c, c->head, c->head->reply);
}

static int op_time(struct req *r)
{
	static const char *const fields[] = { "op", "id" };
	struct error err = { 0 };
	struct core_stats st;
	struct json_object *res;
	double rate = engine_sample_rate(r->e);
	uint64_t now = server_now_ns();

	if (codec_check_fields(r->obj, fields, COUNT(fields), "", &err) < 0)
		return fail(r, &err);
	core_get_stats(r->s->core, &st);
	res = json_object_new_object();
	json_object_object_add(res, "currentTime", json_object_new_double((double)st.frame / rate));
	json_object_object_add(res, "frame", json_object_new_int64((int64_t)st.frame));
	json_object_object_add(res, "sampleRate", json_object_new_double(rate));
	json_object_object_add(res, "baseLatency", json_object_new_double(st.base_latency));
	json_object_object_add(res, "outputLatency",
			       json_object_new_double(st.base_latency + st.output_latency));
	/* frame `frame` plays after what the ring holds and what PipeWire holds */
	json_object_object_add(res, "monotonicNs", json_object_new_int64((int64_t)(now +
		(uint64_t)((double)(st.render.fill + st.output.delay) * 1e9 / rate))));
	ok(r, res);
	return 0;
}

static double percentile(const struct server *s, double q)
{
	uint64_t want = (uint64_t)ceil(q * (double)s->latency_count), sum = 0;
	double ms;

	if (s->latency_count == 0)
		return 0.0;
	for (uint32_t b = 0; b <= LATENCY_BUCKETS; b++) {
		sum += s->latency[b];
		if (sum >= want && sum > 0) {
			ms = (b + 1) * 0.05;
			return ms < s->latency_max_ns / 1e6 ? ms : s->latency_max_ns / 1e6;
		}
	}
	return s->latency_max_ns / 1e6;
}

static int op_stats(struct req *r)
{
	static const char *const fields[] = { "op", "id" };
	struct error err = { 0 };
	struct core_stats st;
	struct json_object *res, *o;
	struct session *x;
	uint32_t sessions = 0, nodes = 0;

	if (codec_check_fields(r->obj, fields, COUNT(fields), "", &err) < 0)
		return fail(r, &err);
	core_get_stats(r->s->core, &st);
	for (x = r->s->sessions; x; x = x->next)
		if (!x->fading) {
			sessions++;
			nodes += session_count_nodes(r->s, x);
		}
	res = json_object_new_object();
	json_object_object_add(res, "underruns", json_object_new_int64((int64_t)st.render.underruns));
	json_object_object_add(res, "xruns", json_object_new_int64((int64_t)st.output.xruns));
	o = json_object_new_object();
	json_object_object_add(o, "avg", json_object_new_double(st.render.load_avg));
	json_object_object_add(o, "max", json_object_new_double(st.render.load_max));
	json_object_object_add(o, "recentMax", json_object_new_double(st.render.load_recent_max));
	json_object_object_add(res, "renderLoad", o);
	json_object_object_add(res, "ringFill", json_object_new_int64(st.render.fill));
	json_object_object_add(res, "lead", json_object_new_int64(st.render.lead));
	json_object_object_add(res, "quantum", json_object_new_int64(st.output.quantum));
	o = json_object_new_object();
	json_object_object_add(o, "depth", json_object_new_int64(st.queued));
	json_object_object_add(o, "capacity", json_object_new_int64(core_queue_capacity(r->s->core)));
	json_object_object_add(res, "queue", o);
	o = json_object_new_object();
	json_object_object_add(o, "p50", json_object_new_double(percentile(r->s, 0.50)));
	json_object_object_add(o, "p99", json_object_new_double(percentile(r->s, 0.99)));
	json_object_object_add(o, "max", json_object_new_double(r->s->latency_max_ns / 1e6));
	json_object_object_add(o, "count", json_object_new_int64((int64_t)r->s->latency_count));
	json_object_object_add(res, "commandLatencyMs", o);
	json_object_object_add(res, "nodes", json_object_new_int64(nodes));
	json_object_object_add(res, "sessions", json_object_new_int64(sessions));
	json_object_object_add(res, "clients", json_object_new_int64(r->s->n_clients));
	json_object_object_add(res, "uptimeS", json_object_new_double(
		(double)(server_now_ns() - r->s->start_ns) / 1e9));
	json_object_object_add(res, "reconnects", json_object_new_int64((int64_t)st.output.reconnects));
	/* suspended: nothing sounded for a while, the stream is inactive, time goes on */
	json_object_object_add(res, "state", json_object_new_string(st.suspended ? "suspended" :
				st.output.streaming ? "running" : "waiting"));
	json_object_object_add(res, "suspensions", json_object_new_int64((int64_t)st.suspensions));
	json_object_object_add(res, "held", json_object_new_int64((int64_t)r->s->n_held));
	json_object_object_add(res, "eventsDropped",
			       json_object_new_int64((int64_t)r->s->events_dropped));
	json_object_object_add(res, "baseLatency", json_object_new_double(st.base_latency));
	ok(r, res);
	return 0;
}

/* --- events, hello, sessions ---------------------------------------------------------------- */

static int op_subscribe(struct req *r, bool on)
{
	static const char *const fields[] = { "op", "id", "events" };
	static const char *const names[] = { "ended", "xrun", "session", "meter" };
	struct json_object *evs;
	struct error err = { 0 };
	uint32_t mask = 0;
	size_t i;
	int k;

	if (codec_check_fields(r->obj, fields, COUNT(fields), "", &err) < 0)
		return fail(r, &err);
	evs = field(r->obj, "events");
	if (evs == NULL || !json_object_is_type(evs, json_type_array))
		return failf(r, ERR_BAD_REQUEST, "%s", "events: expected an array of event names");
	for (i = 0; i < json_object_array_length(evs); i++) {
		struct json_object *v = json_object_array_get_idx(evs, i);
		const char *name = json_object_get_string(v), *hint;

		if (!json_object_is_type(v, json_type_string))
			return failf(r, ERR_BAD_REQUEST, "%s", "events: expected strings");
		for (k = 0; k < COUNT(names) && strcmp(names[k], name) != 0; k++)
			;
		if (k == COUNT(names)) {
			hint = err_suggest(name, names, COUNT(names));
			err_set(&err, ERR_INVALID_VALUE, "events[%zu]: unknown event \"%s\"%s%s%s", i,
				name, hint ? ", did you mean \"" : "", hint ? hint : "",
				hint ? "\"?" : "");
			return fail(r, &err);
		}
		mask |= 1u << k;
	}
	if (on)
		r->c->events |= mask;
	else
		r->c->events &= ~mask;
	ok(r, NULL);
	return 0;
}

static int op_hello(struct req *r)
{
	static const char *const fields[] = { "op", "id", "client" };
	struct error err = { 0 };
	const char *name;

	if (codec_check_fields(r->obj, fields, COUNT(fields), "", &err) < 0 ||
	    codec_get_string(r->obj, "client", true, "", &name, &err) < 0)
		return fail(r, &err);
	snprintf(r->c->name, sizeof(r->c->name), "%s", name);
	ok(r, NULL);
	return 0;
}

static int session_name_check(const char *name, struct error *err)
{
	size_t len = strlen(name);

	if (len == 0 || len > SESSION_NAME_MAX || strpbrk(name, "/.:"))
		return err_set(err, ERR_INVALID_VALUE, "name: \"%s\" cannot name a session (1 to "
			       "%d characters, no '/', '.' or ':')", name, SESSION_NAME_MAX);
	return 0;
}

/* a new session: within the daemon's count and what one connection may create */
static int session_quota(struct req *r, struct error *err)
{
	const struct server_limits *l = &r->s->cfg.limits;
	uint32_t live = 0;

	for (struct session *x = r->s->sessions; x; x = x->next)
		live += !x->fading;
	if (live >= l->sessions)
		return err_set(err, ERR_LIMIT, "name: there are already %u sessions, the most "
			       "allowed (--max-sessions)", live);
	if (r->c->sessions_made >= l->client_sessions)
		return err_set(err, ERR_LIMIT, "name: this connection has created %u sessions, the "
			       "most allowed (--max-client-sessions)", r->c->sessions_made);
	r->c->sessions_made++;
	return 0;
}

static int op_session(struct req *r)
{
	static const char *const fields[] = { "op", "id", "name", "ephemeral" };
	struct error err = { 0 };
	struct session *sess;
	struct json_object *res;
	const char *name;
	bool ephemeral = false;

	if (codec_check_fields(r->obj, fields, COUNT(fields), "", &err) < 0 ||
	    codec_get_string(r->obj, "name", true, "", &name, &err) < 0 ||
	    codec_get_bool(r->obj, "ephemeral", false, "", &ephemeral, &err) < 0 ||
	    session_name_check(name, &err) < 0)
		return fail(r, &err);
	sess = session_find(r->s, name);
	if (sess && sess->fading)
		return failf(r, ERR_BUSY, "name: session \"%s\" is closing, retry", name);
	if (sess == NULL && session_quota(r, &err) < 0)
		return fail(r, &err);
	if (sess == NULL && (sess = session_create(r->s, name, ephemeral, &err)) == NULL)
		return fail(r, &err);
	session_attach(r->s, r->c, sess);
	res = json_object_new_object();
	json_object_object_add(res, "session", json_object_new_string(sess->name));
	json_object_object_add(res, "ephemeral", json_object_new_boolean(sess->ephemeral));
	ok(r, res);
	return 0;
}

static int op_close_session(struct req *r)
{
	static const char *const fields[] = { "op", "id", "name" };
	struct error err = { 0 };
	struct session *sess;
	const char *name;

	if (codec_check_fields(r->obj, fields, COUNT(fields), "", &err) < 0 ||
	    codec_get_string(r->obj, "name", true, "", &name, &err) < 0)
		return fail(r, &err);
	sess = session_find(r->s, name);
	if (sess == NULL || sess->fading)
		return failf(r, ERR_INVALID_VALUE, "name: no session named \"%s\"", name);
	if (strcmp(name, "default") == 0)
		return failf(r, ERR_INVALID_STATE, "%s", "name: the default session cannot be "
			     "closed");
	session_close(r->s, sess);
	ok(r, NULL);
	return 0;
}

static int op_sessions(struct req *r)
{
	static const char *const fields[] = { "op", "id" };
	struct error err = { 0 };
	struct json_object *res;

	if (codec_check_fields(r->obj, fields, COUNT(fields), "", &err) < 0)
		return fail(r, &err);
	res = json_object_new_object();
	json_object_object_add(res, "sessions", session_list(r->s));
	ok(r, res);
	return 0;
}

/* --- dispatch ------------------------------------------------------------------------------- */

static int op_subscribe_on(struct req *r) { return op_subscribe(r, true); }
static int op_subscribe_off(struct req *r) { return op_subscribe(r, false); }

static const struct {
	const char *name;
	int (*fn)(struct req *r);
} ops[] = {
	{ "batch", op_batch },
	{ "buffer", op_buffer },
	{ "free-buffer", op_free_buffer },
	{ "get", op_get },
	{ "analyser", op_analyser },
	{ "load", op_load },
	{ "save", op_save },
	{ "sync", op_sync },
	{ "time", op_time },
	{ "stats", op_stats },
	{ "subscribe", op_subscribe_on },
	{ "unsubscribe", op_subscribe_off },
	{ "hello", op_hello },
	{ "session", op_session },
	{ "close-session", op_close_session },
	{ "sessions", op_sessions },
};

void handler_request(struct client *c, struct json_object *obj, uint64_t receipt_ns)
{
	struct req r = { .s = c->srv, .c = c, .obj = obj, .receipt = receipt_ns,
			 .e = core_engine(c->srv->core), .load = -1 };

	r.now = (double)engine_frame(r.e) / engine_sample_rate(r.e);
	struct error err = { 0 };
	const char *name;

	if (!json_object_is_type(obj, json_type_object))
		{ failf(&r, ERR_BAD_REQUEST, "%s", "request: expected a JSON object"); return; }
	if (codec_get_string(obj, "op", true, "", &name, &err) < 0)
		{ fail(&r, &err); return; }
	if (codec_is_graph_op(name))
		{ op_graph(&r); return; }
	for (int i = 0; i < COUNT(ops); i++)
		if (strcmp(ops[i].name, name) == 0)
			{ ops[i].fn(&r); return; }
	codec_unknown_op(name, "", &err);
	fail(&r, &err);
}

void handler_decoded(struct server *s, void *data)
{
	struct decode_job *j = data;
	struct req r = { .s = s, .c = j->client, .obj = j->req, .pending = j->pending,
			 .receipt = j->receipt_ns, .e = core_engine(s->core), .load = -1 };

	r.now = (double)engine_frame(r.e) / engine_sample_rate(r.e);
	if (r.c == NULL)
		return;	/* the client left while we decoded */
	r.c->decoding = false;
	r.c->job = NULL;
	if (j->err.code != ERR_OK)
		{ fail(&r, &j->err); return; }
	if (j->kind == DECODE_BUFFER)
		{ buffer_done(&r, j); return; }
	job_warning(&r, j);
	r.n_bufs = j->n;
	r.buf_names = j->names;
	r.bufs = j->bufs;
	r.copies = j->copies;
	/* the buffers load_finish takes it sets to NULL; the rest are freed with the job */
	load_finish(&r);
}
