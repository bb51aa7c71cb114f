/* fuzz target: request lines as audiod reads them off a client's socket ('\n'-separated, up
 * to 16), parsed as server.c does and handled as handler.c does for the graph ops, batch and
 * load, against a small engine; every op is committed and a quantum rendered after each line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "engine/buffer.h"
#include "engine/engine.h"
#include "engine/node.h"
#include "protocol/bufspec.h"
#include "protocol/codec.h"
#include "protocol/document.h"
#include "protocol/hrtf.h"
#include "protocol/jsonstrict.h"
#include "tests/fuzz/fuzz.h"

/* handler.c needs a server, sessions and a render thread, so its graph paths are mirrored
 * here: the same order of checks and the same codec calls, ops committed where the daemon
 * hands them to the renderer.  the first line alone is what the daemon receives; more lines
 * let the fuzzer build on its own edits.  the daemon's other ops are only recognised.  every
 * op is committed or undone and everything freed, so LeakSanitizer sees a clean process. */

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define MAX_LINES 16
#define SESSION "default"
/* the daemon's defaults: --max-points, and the buffer memory a load may take (here far
 * below the daemon's --max-buffer-mb, so one input stays small) */
#define MAX_POINTS 65536
#define LOAD_MAX_BYTES ((uint64_t)4 << 20)

/* the daemon's ops besides the graph edits (handler.c's table) */
static const char *const other_ops[] = {
	"batch", "buffer", "free-buffer", "get", "analyser", "load", "save", "sync", "time",
	"stats", "subscribe", "unsubscribe", "hello", "session", "close-session", "sessions",
};

/* --- fixtures ------------------------------------------------------------------------------ */

static const char *const buffer_names[] = { "buf", "mono", "quad", "r44" };
static struct audio_buffer *buffers[4];
/* HRTF panners' filters: one cache for the process, as the daemon keeps one for its engine
 * (and its scratch engines), so the SOFA file is read once and not per input */
static struct hrtf_cache hrtf;

/* the session's buffers: built once, shared by every input (nodes take their own refs) */
static void init_buffers(void)
{
	static const struct { uint32_t ch, len; double rate; } spec[] = {
		{ 2, 256, 48000 }, { 1, 100, 48000 }, { 4, 128, 48000 }, { 2, 64, 44100 },
	};
	struct error err;

	for (int i = 0; i < COUNT(buffers); i++) {
		buffers[i] = audio_buffer_new(spec[i].ch, spec[i].len, spec[i].rate, &err);
		if (buffers[i] == NULL)
			abort();
		for (uint32_t c = 0; c < spec[i].ch; c++)
			for (uint32_t k = 0; k < spec[i].len; k++)
				buffers[i]->data[c][k] = (float)((k * 7 + c) % 13) / 13.0f - 0.5f;
	}
}

/* the graph each input starts from, in engine names: each session's bus on the output, and
 * a few nodes of "default" wired as an app would (a cycle through the delay included) */
static const char *const fixture[] = {
	"{\"op\":\"create\",\"type\":\"GainNode\",\"id\":\"default:bus\"}",
	"{\"op\":\"create\",\"type\":\"GainNode\",\"id\":\"fx:bus\"}",
	"{\"op\":\"connect\",\"from\":\"default:bus\",\"to\":\"destination\"}",
	"{\"op\":\"connect\",\"from\":\"fx:bus\",\"to\":\"destination\"}",
	"{\"op\":\"create\",\"type\":\"OscillatorNode\",\"id\":\"default:osc\"}",
	"{\"op\":\"create\",\"type\":\"GainNode\",\"id\":\"default:g\",\"options\":{\"gain\":0.5}}",
	"{\"op\":\"create\",\"type\":\"AudioBufferSourceNode\",\"id\":\"default:src\","
	"\"buffer\":\"buf\"}",
	"{\"op\":\"create\",\"type\":\"DelayNode\",\"id\":\"default:dly\","
	"\"options\":{\"maxDelayTime\":0.1,\"delayTime\":0.01}}",
	"{\"op\":\"create\",\"type\":\"ConstantSourceNode\",\"id\":\"fx:c\"}",
	"{\"op\":\"connect\",\"from\":\"default:osc\",\"to\":\"default:g\"}",
	"{\"op\":\"connect\",\"from\":\"default:src\",\"to\":\"default:g\"}",
	"{\"op\":\"connect\",\"from\":\"default:g\",\"to\":\"default:bus\"}",
	"{\"op\":\"connect\",\"from\":\"default:g\",\"to\":\"default:dly\"}",
	"{\"op\":\"connect\",\"from\":\"default:dly\",\"to\":\"default:g\"}",
	"{\"op\":\"connect\",\"from\":\"fx:c\",\"to\":\"fx:bus\"}",
	"{\"op\":\"start\",\"id\":\"default:osc\"}",
};

/* one request being handled (handler.c's struct req, the parts the codec needs) */
struct req {
	struct engine *e;
	struct json_object *obj;
	double now;			/* s: context time when handled; "+S" times count from it */
	double apply;			/* s: when its ops take effect (a future `at`); 0: next */
	/* buffers of a document being loaded, looked up before the session's */
	size_t n_bufs;
	const char **buf_names;
	struct audio_buffer **bufs;
};

/* session_map() of daemon/session.c for a client in session "default" */
static int env_node(void *data, const char *name, char *out, size_t size, struct error *err)
{
	const char *slash = strchr(name, '/');
	int n;

	(void)data;
	if (strcmp(name, "listener") == 0)
		n = snprintf(out, size, "%s", name);
	else if (strcmp(name, "destination") == 0)
		n = snprintf(out, size, "%s:bus", SESSION);
	else if (slash && strcmp(slash + 1, "destination") == 0)
		n = snprintf(out, size, "%.*s:bus", (int)(slash - name), name);
	else if (slash)
		n = snprintf(out, size, "%.*s:%s", (int)(slash - name), name, slash + 1);
	else
		n = snprintf(out, size, "%s:%s", SESSION, name);
	if (n < 0 || (size_t)n >= size)
		return err_set(err, ERR_BAD_REQUEST, "name \"%.64s...\" is too long", name);
	return 0;
}

static struct audio_buffer *env_buffer(void *data, const char *name, struct error *err)
{
	struct req *r = data;
	size_t i;

	for (i = 0; r && i < r->n_bufs; i++)
		if (strcmp(r->buf_names[i], name) == 0)
			return r->bufs[i];
	for (i = 0; i < (size_t)COUNT(buffers); i++)
		if (strcmp(buffer_names[i], name) == 0)
			return buffers[i];
	err_set(err, ERR_INVALID_VALUE, "unknown buffer \"%s\"", name);
	return NULL;
}

static struct codec_env env_of(struct req *r)
{
	return (struct codec_env){ .buffer = env_buffer, .node = env_node, .data = r,
				   .now = r->now, .apply = r->apply, .max_points = MAX_POINTS };
}

static struct engine *fixture_engine(void)
{
	struct codec_env env = { .buffer = env_buffer };
	struct error err = { 0 };
	struct engine_op *op;
	struct engine *e = engine_new(48000, 2, &err);

	if (e == NULL)
		abort();
	engine_set_hrtf_loader(e, hrtf_cache_get, &hrtf);
	/* one processing plan for the whole fixture, as a document load builds it */
	engine_batch_begin(e);
	for (int i = 0; i < COUNT(fixture); i++) {
		struct json_object *req = json_tokener_parse(fixture[i]);

		if (req == NULL || codec_op(e, req, &env, "", &op, NULL, &err) < 0) {
			fprintf(stderr, "fuzz: fixture %d: %s\n", i, err.msg);
			abort();
		}
		if (op)
			engine_exec(e, op);
		json_object_put(req);
	}
	if (engine_batch_end(e, &op, &err) < 0)
		abort();
	if (op)
		engine_exec(e, op);
	return e;
}

/* --- replies ------------------------------------------------------------------------------- */

/* a reply is built and printed as the daemon would send it, then dropped; shown with
 * FUZZ_VERBOSE=1 in the environment, to see what an input does */
static void send_reply(struct json_object *o)
{
	static int verbose = -1;
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

	if (verbose < 0)
		verbose = getenv("FUZZ_VERBOSE") != NULL;
	if (verbose)
		printf("%s\n", s);
	json_object_put(o);
}

static int fail(struct req *r, struct error *err)
{
	fuzz_check_error(err, "a request");
	send_reply(codec_reply_error(r->obj, err));
	return 0;
}

static int failf(struct req *r, enum err_code code, const char *msg)
{
	struct error err = { .code = code };

	snprintf(err.msg, sizeof(err.msg), "%s", msg);
	send_reply(codec_reply_error(r->obj, &err));
	return 0;
}

static int ok(struct req *r, struct json_object *result)
{
	struct json_object *o = codec_reply_ok(r->obj);

	codec_reply_merge(o, result);
	send_reply(o);
	return 0;
}

static struct json_object *field(struct json_object *obj, const char *name)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(obj, name, &v);
	return v;
}

/* --- handler.c's graph paths --------------------------------------------------------------- */

static bool is_bus(const char *ename)
{
	const char *colon = strchr(ename, ':');

	return colon && strcmp(colon + 1, "bus") == 0;
}

/* "at": the engine's notion of now for the ops prepared (handler.c also turns it into the
 * frame the edit is held for; the harness commits at once) */
static int take_at(struct req *r, struct error *err)
{
	struct json_object *v = field(r->obj, "at");
	struct codec_env env = env_of(r);
	double t, rate = engine_sample_rate(r->e), now = (double)engine_frame(r->e) / rate;
	uint64_t frame;

	if (v == NULL)
		return 0;
	if (codec_at(v, &env, rate, &t, &frame, err) < 0)
		return -1;
	if (t > now)
		r->apply = t;
	return 0;
}

static struct engine_op *chain_add(struct engine_op *chain, struct engine_op *op)
{
	if (op == NULL)
		return chain;
	return chain ? engine_op_chain(chain, op) : op;
}

/* handler.c's batch_close, committing where the daemon submits to the renderer */
static int batch_close(struct req *r, struct engine_op *chain, bool failed, struct error *err)
{
	struct engine_op *end = NULL;

	if (!failed && engine_batch_end(r->e, &end, err) == 0) {
		chain = chain_add(chain, end);
		if (chain)
			engine_exec(r->e, chain);
		return 0;
	}
	engine_op_undo(r->e, chain);
	if (engine_batch_end(r->e, &end, &(struct error){ 0 }) == 0)
		engine_op_free(r->e, end);
	return -1;
}

static int graph_precheck(struct req *r, struct json_object *cmd, const char *path,
			  struct error *err)
{
	const char *op = json_object_get_string(field(cmd, "op"));
	struct json_object *id = field(cmd, "id");
	char p[CODEC_PATH_MAX], mapped[CODEC_NAME_MAX];

	(void)r;
	codec_path_field(p, sizeof(p), path, "id");
	if (strcmp(op, "create") == 0) {
		if (id && json_object_is_type(id, json_type_string) &&
		    codec_check_new_name(json_object_get_string(id), p, err) < 0)
			return -1;
	} else if (strcmp(op, "delete") == 0 && id && json_object_is_type(id, json_type_string)) {
		if (env_node(NULL, json_object_get_string(id), mapped, sizeof(mapped), err) < 0)
			return -1;
		if (is_bus(mapped))
			return err_set(err, ERR_INVALID_STATE, "%s: a session's destination cannot be "
				       "deleted", p);
	}
	return 0;
}

static void op_graph(struct req *r)
{
	struct codec_env env = env_of(r);
	struct json_object *result = NULL;
	struct engine_op *op = NULL;
	struct error err = { 0 };

	if (take_at(r, &err) < 0 ||
	    (env.apply = r->apply, graph_precheck(r, r->obj, "", &err)) < 0 ||
	    codec_op(r->e, r->obj, &env, "", &op, &result, &err) < 0) {
		fail(r, &err);
		return;
	}
	if (op)
		engine_exec(r->e, op);
	ok(r, result);
}

static const char *const batch_fields[] = { "op", "id", "at", "commands" };

static int batch_fail(struct req *r, struct error *err, size_t index)
{
	struct json_object *o;

	fuzz_check_error(err, "a batch");
	o = codec_reply_error(r->obj, err);
	json_object_object_add(json_object_object_get(o, "error"), "index",
			       json_object_new_int64((int64_t)index));
	send_reply(o);
	return 0;
}

static int op_batch(struct req *r)
{
	struct codec_env env = env_of(r);
	struct json_object *cmds, *results, *res;
	struct engine_op *chain = NULL, *op;
	const struct codec_op **ops;
	struct error err = { 0 };
	size_t i, n, bad = 0;
	char p[CODEC_PATH_MAX];

	if (codec_check_fields(r->obj, batch_fields, COUNT(batch_fields), "", &err) < 0)
		return fail(r, &err);
	cmds = field(r->obj, "commands");
	if (cmds == NULL || !json_object_is_type(cmds, json_type_array))
		return failf(r, ERR_BAD_REQUEST, "commands: expected an array of requests");
	ops = calloc(json_object_array_length(cmds) + 1, sizeof(*ops));
	if (ops == NULL)
		abort();
	if (codec_batch_check(cmds, other_ops, COUNT(other_ops), ops, &bad, &err) < 0) {
		free(ops);
		return batch_fail(r, &err, bad);
	}
	if (take_at(r, &err) < 0) {
		free(ops);
		return fail(r, &err);
	}
	env.apply = r->apply;
	n = json_object_array_length(cmds);
	results = json_object_new_array_ext((int)n);
	engine_batch_begin(r->e);
	for (i = 0; i < n; i++) {
		struct json_object *cmd = json_object_array_get_idx(cmds, i);

		codec_path_index(p, sizeof(p), "commands", i);
		res = NULL;
		if (graph_precheck(r, cmd, p, &err) < 0)
			break;
		if (codec_op_run(r->e, ops[i], cmd, &env, NAN, p, &op, &res, &err) < 0)
			break;
		chain = chain_add(chain, op);
		if (res == NULL)
			res = json_object_new_object();
		json_object_array_add(results, res);
	}
	free(ops);
	if (batch_close(r, chain, i < n, &err) < 0 && i == n)
		i = n + 1;
	if (i != n) {
		json_object_put(results);
		return batch_fail(r, &err, i <= n ? i : n);
	}
	res = json_object_new_object();
	json_object_object_add(res, "results", results);
	return ok(r, res);
}

/* --- load ---------------------------------------------------------------------------------- */

static const char *const load_fields[] = { "op", "id", "at", "document", "replace" };
struct emit_ctx {
	struct engine *e;
	struct engine_op *chain;
	bool exec;
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

static int load_try(struct req *r, struct json_object *doc, struct error *err)
{
	struct codec_env env = { .buffer = env_buffer, .node = scratch_node, .data = r,
				 .now = r->now, .max_points = MAX_POINTS };
	struct engine *e = engine_new(engine_sample_rate(r->e), engine_channels(r->e), err);
	struct emit_ctx x = { .e = e, .exec = true };
	struct engine_op *op = NULL;
	int res;

	if (e == NULL)
		return -1;
	engine_set_hrtf_loader(e, hrtf_cache_get, &hrtf);
	engine_batch_begin(e);
	res = document_build(e, doc, &env, emit_op, &x, err);
	if (res == 0 && engine_batch_end(e, &op, err) == 0 && op)
		engine_exec(e, op);
	engine_free(e);
	return res;
}

struct session_nodes {
	const char **names;
	size_t n, cap;
};

static void collect_session_node(struct node *n, void *data)
{
	struct session_nodes *sn = data;

	if (strncmp(n->name, SESSION ":", strlen(SESSION ":")) != 0 || is_bus(n->name))
		return;
	if (sn->n == sn->cap) {
		const char **v = realloc(sn->names, (sn->cap ? 2 * sn->cap : 16) * sizeof(*v));
		if (v == NULL)
			return;
		sn->names = v;
		sn->cap = sn->cap ? 2 * sn->cap : 16;
	}
	sn->names[sn->n++] = n->name;
}

static struct engine_op *delete_session_nodes(struct req *r)
{
	struct session_nodes sn = { 0 };
	struct engine_op *chain = NULL, *op;
	struct error err = { 0 };

	engine_foreach_node(r->e, collect_session_node, &sn);
	for (size_t i = 0; i < sn.n; i++)
		if (engine_op_delete(r->e, sn.names[i], &op, &err) == 0)
			chain = chain_add(chain, op);
	free(sn.names);
	return chain;
}

/* the document's buffers, decoded here where the daemon hands them to a worker
 * (decode.c's run_buffers: one budget for them all) */
static int load_buffers(struct req *r, struct json_object *bufs, struct error *err)
{
	char p[CODEC_PATH_MAX];
	size_t n = (size_t)json_object_object_length(bufs);
	uint64_t left = LOAD_MAX_BYTES, bytes;

	r->buf_names = calloc(n ? n : 1, sizeof(*r->buf_names));
	r->bufs = calloc(n ? n : 1, sizeof(*r->bufs));
	if (r->buf_names == NULL || r->bufs == NULL)
		abort();
	json_object_object_foreach(bufs, key, val) {
		codec_path_field(p, sizeof(p), "document.buffers", key);
		/* the daemon resolves against its working folder; here the fixture folder */
		r->bufs[r->n_bufs] = bufspec_load_max(val, fuzz_files_dir(), engine_sample_rate(r->e),
						      left, p, err);
		if (r->bufs[r->n_bufs] == NULL)
			return -1;
		/* bytes counts the buffer's header too: never wrap below 0 (the wrap was a
		 * finding: crashers/codec-load-budget-wrap.jsonl) */
		bytes = audio_buffer_bytes(r->bufs[r->n_bufs]);
		left = bytes < left ? left - bytes : 0;
		r->buf_names[r->n_bufs++] = key;
	}
	return 0;
}

static int load_finish(struct req *r)
{
	struct json_object *doc = field(r->obj, "document");
	struct codec_env env = env_of(r);
	struct emit_ctx x = { .e = r->e };
	struct error err = { 0 };
	bool replace = false;
	int res;

	if (codec_get_bool(r->obj, "replace", false, "", &replace, &err) < 0 ||
	    (replace && load_try(r, doc, &err) < 0)) {
		err_prefix(&err, "document");
		return fail(r, &err);
	}
	if (take_at(r, &err) < 0)
		return fail(r, &err);
	env.apply = r->apply;
	engine_batch_begin(r->e);
	if (replace)
		x.chain = delete_session_nodes(r);
	res = document_build(r->e, doc, &env, emit_op, &x, &err);
	if (batch_close(r, x.chain, res < 0, &err) < 0)
		res = -1;
	if (res < 0) {
		err_prefix(&err, "document");
		return fail(r, &err);
	}
	return ok(r, NULL);
}

static int op_load(struct req *r)
{
	struct json_object *doc, *bufs;
	struct error err = { 0 };
	bool replace;

	if (codec_check_fields(r->obj, load_fields, COUNT(load_fields), "", &err) < 0 ||
	    codec_get_bool(r->obj, "replace", false, "", &replace, &err) < 0)
		return fail(r, &err);
	doc = field(r->obj, "document");
	if (doc == NULL)
		return failf(r, ERR_BAD_REQUEST, "document: missing required field");
	if (document_check_live(doc, &err) < 0)
		return fail(r, &err);
	bufs = field(doc, "buffers");
	if (bufs && json_object_object_length(bufs) > 0) {
		if (!fuzz_buffers_files_allowed(bufs))
			return 0;
		if (load_buffers(r, bufs, &err) < 0)
			return fail(r, &err);
	}
	return load_finish(r);
}

/* --- one line ------------------------------------------------------------------------------ */

/* the daemon's other ops: parsed by handler.c alone, not by the codec */
static void handle(struct engine *e, struct json_object *obj)
{
	struct req r = { .e = e, .obj = obj };

	r.now = (double)engine_frame(e) / engine_sample_rate(e);
	struct error err = { 0 };
	const char *name;

	if (!json_object_is_type(obj, json_type_object)) {
		failf(&r, ERR_BAD_REQUEST, "request: expected a JSON object");
		return;
	}
	if (codec_get_string(obj, "op", true, "", &name, &err) < 0) {
		fail(&r, &err);
	} else if (codec_op_find(name)) {
		op_graph(&r);
	} else if (strcmp(name, "batch") == 0) {
		op_batch(&r);
	} else if (strcmp(name, "load") == 0) {
		op_load(&r);
	} else {
		int i;

		for (i = 0; i < COUNT(other_ops); i++)
			if (strcmp(other_ops[i], name) == 0)
				break;
		if (i == COUNT(other_ops)) {
			codec_unknown_op(name, other_ops, COUNT(other_ops), "", &err);
			fail(&r, &err);
		}
	}
	for (size_t i = 0; i < r.n_bufs; i++)
		audio_buffer_unref(r.bufs[i]);
	free(r.bufs);
	free(r.buf_names);
}

/* server.c's line(): trailing blanks dropped, then the strict reading (jsonstrict.h) of one
 * JSON value; a refusal or a non-object is answered with an error */
static void line(struct engine *e, const char *text, size_t len)
{
	struct json_object *req;
	struct error err = { 0 };
	size_t at;

	while (len > 0 && (text[len - 1] == '\r' || text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	if (len == 0)
		return;
	if (jsonstrict_parse(text, len, &req, &at, &err) < 0) {
		fuzz_check_error(&err, "jsonstrict_parse");
		if (at > len) {
			fprintf(stderr, "fuzz: jsonstrict_parse: fault at %zu of %zu bytes\n", at, len);
			abort();
		}
		if (err.code == ERR_PARSE)
			err_prefix(&err, "column %zu", at + 1);
		send_reply(codec_error_reply(NULL, &err));
		return;
	}
	if (!json_object_is_type(req, json_type_object)) {
		json_object_put(req);
		return;
	}
	handle(e, req);
	json_object_put(req);
}

/* a quantum with what was committed; then what the renderer is done with is collected */
static void tick(struct engine *e)
{
	struct engine_event ev;
	struct engine_op *op = NULL;
	struct error err = { 0 };

	engine_render(e);
	while (engine_event_pop(e, &ev))
		;
	if (engine_collect(e, &op, &err) == 0 && op)
		engine_exec(e, op);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct engine *e;
	size_t start = 0;
	int lines = 0;

	if (buffers[0] == NULL)
		init_buffers();
	if (size == 0 || size > (1 << 20))
		return 0;
	e = fixture_engine();
	while (start <= size && lines++ < MAX_LINES) {
		const uint8_t *nl = memchr(data + start, '\n', size - start);
		size_t len = nl ? (size_t)(nl - (data + start)) : size - start;
		/* its own allocation, NUL-terminated after the line as server.c leaves it */
		char *text = fuzz_text(data + start, len);

		line(e, text, len);
		free(text);
		tick(e);
		if (nl == NULL)
			break;
		start += len + 1;
	}
	engine_free(e);
	return 0;
}
