/* handler: every protocol op (PROTOCOL.md §2-5) for one client: the request's op is read once
 * and dispatched by one table; graph edits go to edits.c, the rest to the file of its concern
 * (request.h).  control thread only. */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core.h"
#include "decode.h"
#include "engine/engine.h"
#include "engine/node.h"
#include "protocol/codec.h"
#include "request.h"
#include "handler.h"
#include "server.h"

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
			 .e = core_engine(c->srv->core), .load = -1, .nodes = -1 };

	r.now = (double)engine_frame(r.e) / engine_sample_rate(r.e);
	struct error err = { 0 };
	const char *name, *names[COUNT(ops)];

	if (!json_object_is_type(obj, json_type_object))
		{ req_failf(&r, ERR_BAD_REQUEST, "%s", "request: expected a JSON object"); return; }
	if (codec_get_string(obj, "op", true, "", &name, &err) < 0)
		{ req_fail(&r, &err); return; }
	if ((r.graph = codec_op_find(name)) != NULL)
		{ op_graph(&r); return; }
	for (int i = 0; i < COUNT(ops); i++)
		if (strcmp(ops[i].name, name) == 0)
			{ ops[i].fn(&r); return; }
	codec_unknown_op(name, names, handler_op_names(names, COUNT(names)), "", &err);
	req_fail(&r, &err);
}

size_t handler_op_names(const char **names, size_t max)
{
	size_t n;

	for (n = 0; n < (size_t)COUNT(ops) && n < max; n++)
		names[n] = ops[n].name;
	return n;
}

void handler_decoded(struct server *s, void *data)
{
	struct decode_job *j = data;
	struct req r = { .s = s, .c = j->client, .obj = j->req, .pending = j->pending,
			 .receipt = j->receipt_ns, .e = core_engine(s->core), .load = -1, .nodes = -1 };

	r.now = (double)engine_frame(r.e) / engine_sample_rate(r.e);
	if (r.c == NULL)
		return;	/* the client left while we decoded */
	r.c->decoding = false;
	r.c->job = NULL;
	if (j->err.code != ERR_OK)
		{ req_fail(&r, &j->err); return; }
	if (j->kind == DECODE_BUFFER)
		{ buffers_done(&r, j); return; }
	buffers_job_warning(&r, j);
	r.n_bufs = j->n;
	r.buf_names = j->names;
	r.bufs = j->bufs;
	r.copies = j->copies;
	/* the buffers load_finish takes it sets to NULL; the rest are freed with the job */
	load_finish(&r);
}
