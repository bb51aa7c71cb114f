/* request: one client request being handled, and what the op handlers share (replies,
 * the session's names for the codec, `at`, all-or-nothing op chains).  the handlers live one
 * concern a file: edits.c (graph edits, batch), buffers.c, inspect.c (get, analyser),
 * save.c, load.c, info.c (time, sync, stats, events, sessions); handler.c dispatches.
 * control thread only. */
#ifndef AUDIOD_REQUEST_H
#define AUDIOD_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "engine/error.h"
#include "protocol/codec.h"
#include "protocol/document.h"
#include "server.h"

struct audio_buffer;
struct engine;
struct engine_op;
struct json_object;
struct value;

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
	const struct codec_op *graph;	/* a graph edit's op, read once by the dispatcher */
	uint64_t at;			/* frame; 0: the next quantum */
	double at_time;			/* s: `at` as given ("+S" resolved); NAN: none */
	double apply;			/* s: when its ops take effect, for the engine (a
					 * future `at`); 0: the next quantum */
	double now;			/* s: context time when handled; "+S" times count from it */
	char warning[160];		/* for the reply: an `at` already past */
	bool hold;			/* far ahead: into the session's timeline */
	bool internal;			/* the daemon's own (a restore): no client waits */
	double load;			/* render time of the session's graph and the nodes
					 * this request creates, ns per quantum; < 0: not yet
					 * counted */
	double total_load;		/* the same for every session */
	int64_t nodes;			/* the session's nodes in the model, with this
					 * request's creates so far; < 0: not yet counted */
	/* names of a document being loaded, before the session's */
	size_t n_bufs;
	char **buf_names;
	struct audio_buffer **bufs;
	char **copies;			/* their copies (read from descriptors), or NULL */
};

/* what a request took from its connection's descriptor queue (PROTOCOL.md §6): fd[K] for
 * the spec {"fd": K}; -1 once closed or handed on */
struct req_fds {
	int fd[SERVER_FDS_MAX];
	uint32_t n;
};

/* --- request.c: replies, names, `at`, op chains --------------------------------------------- */

int req_reply(struct req *r, struct json_object *o);
int req_fail(struct req *r, struct error *err);
int req_failf(struct req *r, enum err_code code, const char *fmt, const char *arg);
int req_ok(struct req *r, struct json_object *result);
struct json_object *req_field(struct json_object *obj, const char *name);
bool req_no_room(struct req *r);
struct audio_buffer *req_env_buffer(void *data, const char *name, struct error *err);
struct codec_env req_env(struct req *r);
bool req_is_bus(const struct server *s, const char *ename);
int req_take_at(struct req *r, struct error *err);
struct engine_op *req_chain_add(struct engine_op *chain, struct engine_op *op);
bool req_held_fits(struct req *r, const struct engine_op *op, struct error *err);
int req_batch_close(struct req *r, struct engine_op *chain, bool failed, struct error *err);

/* --- the op handlers: each answers its request (0) or fails it (-1) ------------------------- */

/* handler.c: the names of the ops it dispatches besides the graph edits (for hints) */
size_t handler_op_names(const char **names, size_t max);

/* edits.c */
int edits_render_quota(struct req *r, const char *type, uint32_t n, const char *path,
		      struct error *err);
int op_graph(struct req *r);
int op_batch(struct req *r);
/* buffers.c */
uint64_t buffers_budget(struct req *r, const char *replacing);
void req_fds_close(struct req_fds *f);
int req_fds_take(struct req *r, struct json_object *spec, struct json_object *buffers,
		    const char *path, struct req_fds *f, struct error *err);
void buffers_store(struct req *r, const char *name, struct audio_buffer *buf,
			 struct json_object *spec, char *copy);
void buffers_job_warning(struct req *r, const struct decode_job *j);
struct decode_job *buffers_job_new(struct req *r, enum decode_kind kind, struct json_object *v,
				  const char *path, struct req_fds *f);
int buffers_job_start(struct req *r, struct decode_job *j);
int op_buffer(struct req *r);
int buffers_done(struct req *r, struct decode_job *j);
int op_free_buffer(struct req *r);
/* inspect.c */
int op_get(struct req *r);
int op_analyser(struct req *r);
/* save.c: a session's names for document_save (and document_value_json) */
struct save_names {
	struct server *s;
	struct session *sess;
	struct document_namer nm;	/* data: this struct */
};
void save_names_init(struct save_names *x, struct server *s, struct session *sess);
int op_save(struct req *r);
/* load.c */
int load_finish(struct req *r);
int op_load(struct req *r);
/* info.c */
int op_sync(struct req *r);
int op_time(struct req *r);
int op_stats(struct req *r);
int op_subscribe(struct req *r, bool on);
int op_hello(struct req *r);
int op_session(struct req *r);
int op_close_session(struct req *r);
int op_sessions(struct req *r);

#endif
