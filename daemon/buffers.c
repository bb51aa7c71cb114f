/* buffers: `buffer` and `free-buffer`: specs decoded off the control thread (decode.c), files
 * taken as descriptors the request sent, each within the session's buffer memory.  control
 * thread only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "decode.h"
#include "engine/buffer.h"
#include "engine/engine.h"
#include "engine/node.h"
#include "log.h"
#include "persist.h"
#include "protocol/codec.h"
#include "protocol/bufspec.h"
#include "request.h"
#include "server.h"

/* --- buffers -------------------------------------------------------------------------------- */

static const char *const buffer_fields[] = { "op", "id", "at", "name", "spec" };

/* sample memory a new buffer may take: what the session has left (a buffer it replaces
 * counted as free), within what the daemon has left */
uint64_t buffers_budget(struct req *r, const char *replacing)
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

void req_fds_close(struct req_fds *f)
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
int req_fds_take(struct req *r, struct json_object *spec, struct json_object *buffers,
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
		req_fds_close(&all);
		return err_set(err, ERR_LIMIT, "%s: more than %d descriptors came to this connection "
			       "before requests took them: those past %d were closed, and the rest "
			       "now too; send them again", path, SERVER_FDS_MAX, SERVER_FDS_MAX);
	}
	fds_dequeue(c, x.need < c->n_fds ? (uint32_t)x.need : c->n_fds, f);
	if (x.err.code != ERR_OK) {
		req_fds_close(f);
		*err = x.err;
		return -1;
	}
	if (x.need > f->n) {
		uint32_t got = f->n;

		req_fds_close(f);
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
void buffers_store(struct req *r, const char *name, struct audio_buffer *buf,
			 struct json_object *spec, char *copy)
{
	struct json_object *kept = kept_spec(spec, copy);

	session_buffer_put(r->s, r->c->session, name, buf, kept);
	json_object_put(kept);
	free(copy);
}

/* a buffer the worker kept without its copy: the reply says so, the log says where */
void buffers_job_warning(struct req *r, const struct decode_job *j)
{
	if (j->warning[0] == '\0')
		return;
	log_warn("session %s: %s (folder %s)", r->c->session->name, j->warning, j->copy_dir);
	if (r->warning[0] == '\0')
		snprintf(r->warning, sizeof(r->warning), "%.*s", (int)sizeof(r->warning) - 1,
			 j->warning);
}

/* --- buffer jobs ------------------------------------------------------------------------------ */

struct decode_job *buffers_job_new(struct req *r, enum decode_kind kind, struct json_object *v,
				  const char *path, struct req_fds *f)
{
	struct decode_job *j = calloc(1, sizeof(*j));
	const char *name = kind == DECODE_BUFFER ?
			   json_object_get_string(req_field(r->obj, "name")) : NULL;

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
	j->max_bytes = buffers_budget(r, name);
	if (j->text == NULL || job_fds(r, j, f, name) < 0) {
		decode_job_free(j);	/* closes the descriptors it took */
		return NULL;
	}
	return j;
}

/* hands the job to the worker; this client's later lines wait for its reply */
int buffers_job_start(struct req *r, struct decode_job *j)
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

int op_buffer(struct req *r)
{
	struct req_fds f = { 0 };
	struct error err = { 0 };
	struct json_object *spec = req_field(r->obj, "spec");
	struct decode_job *j;
	const char *name;

	/* first: a request that fails for another reason still takes what it sent */
	if (req_fds_take(r, spec, NULL, "spec", &f, &err) < 0)
		return req_fail(r, &err);
	if (codec_check_fields(r->obj, buffer_fields, COUNT(buffer_fields), "", &err) < 0 ||
	    codec_get_string(r->obj, "name", true, "", &name, &err) < 0) {
		req_fds_close(&f);
		return req_fail(r, &err);
	}
	if (name[0] == '\0')
		err_set(&err, ERR_INVALID_VALUE, "name: a buffer needs a name");
	else if (spec == NULL)
		err_set(&err, ERR_BAD_REQUEST, "spec: missing required field");
	else if (!json_object_is_type(spec, json_type_object))
		err_set(&err, ERR_BAD_REQUEST, "spec: expected a BUFSPEC object");
	if (err.code != ERR_OK) {
		req_fds_close(&f);
		return req_fail(r, &err);
	}
	j = buffers_job_new(r, DECODE_BUFFER, spec, "spec", &f);
	if (j == NULL) {
		req_fds_close(&f);
		return req_failf(r, ERR_INTERNAL, "%s", "out of memory");
	}
	buffers_job_start(r, j);
	return 0;
}

int buffers_done(struct req *r, struct decode_job *j)
{
	struct session *sess = r->c->session;
	const char *name = json_object_get_string(req_field(r->obj, "name"));
	struct sbuf *old = session_buffer(sess, name);
	uint64_t bytes = sess->buffer_bytes - (old ? old->bytes : 0) + audio_buffer_bytes(j->buf);
	struct json_object *res;

	/* the budget was checked before decoding; another client of the session or daemon may
	 * have stored buffers since */
	if (audio_buffer_bytes(j->buf) > buffers_budget(r, name)) {
		struct error err = { .code = ERR_LIMIT };

		snprintf(err.msg, sizeof(err.msg), "spec: the session's buffers would take %llu "
			 "bytes, more than it (%llu) or the daemon (%llu in all) allows",
			 (unsigned long long)bytes,
			 (unsigned long long)r->s->cfg.limits.buffer_bytes,
			 (unsigned long long)r->s->cfg.limits.buffer_bytes_total);
		return req_fail(r, &err);	/* the job removes its copy */
	}
	res = json_object_new_object();
	json_object_object_add(res, "name", json_object_new_string(name));
	json_object_object_add(res, "length", json_object_new_int64(j->buf->length));
	json_object_object_add(res, "numberOfChannels", json_object_new_int((int)j->buf->channels));
	json_object_object_add(res, "sampleRate", json_object_new_double(j->buf->sample_rate));
	json_object_object_add(res, "duration",
			       json_object_new_double(j->buf->length / j->buf->sample_rate));
	buffers_job_warning(r, j);
	buffers_store(r, name, j->buf, req_field(r->obj, "spec"), j->copy);
	j->buf = NULL;
	j->copy = NULL;
	req_ok(r, res);
	return 0;
}

int op_free_buffer(struct req *r)
{
	static const char *const fields[] = { "op", "id", "at", "name" };
	struct error err = { 0 };
	const char *name;

	if (codec_check_fields(r->obj, fields, COUNT(fields), "", &err) < 0 ||
	    codec_get_string(r->obj, "name", true, "", &name, &err) < 0 ||
	    session_buffer_free(r->s, r->c->session, name, &err) < 0)
		return req_fail(r, &err);
	req_ok(r, NULL);
	return 0;
}
