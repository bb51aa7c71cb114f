/* libaudiod: one connection to audiod, JSON lines both ways (PROTOCOL.md §1-2).
 * a connection is used by one thread at a time (audiod.h); nothing here is global.
 * replies come back in request order, so each reply belongs to the oldest unanswered request. */
#include "client/audiod.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define HELLO_TIMEOUT_MS 10000
/* a line longer than this from the daemon is not the protocol (a saved document is far less) */
#define MAX_LINE (256u << 20)
#define READ_CHUNK 65536

struct pending {
	struct pending *next;
	json_object *id;	/* what we sent, for matching */
	json_object *reply;	/* NULL until it arrives */
	bool abandoned;		/* its waiter gave up: drop the reply when it comes */
	bool by_send;		/* sent with audiod_send(): audiod_recv_reply() collects it */
};

struct event {
	struct event *next;
	json_object *obj;
};

struct audiod_conn {
	int fd;
	int timeout_ms;
	int64_t next_id;
	json_tokener *tok;
	char *rbuf;		/* bytes read, not yet parsed: rbuf[rpos..rlen) */
	size_t rpos, rlen, rcap;
	struct pending *phead, *ptail;
	size_t n_pending;	/* entries with by_send and not abandoned */
	struct event *ehead, *etail;
	json_object *hello;
	char *session;
	char msg[1024];
};

static const char *const error_names[] = {
	[AUDIOD_OK] = "ok",
	[AUDIOD_ERR_PARSE] = "parse_error",
	[AUDIOD_ERR_TOO_LARGE] = "too_large",
	[AUDIOD_ERR_BAD_REQUEST] = "bad_request",
	[AUDIOD_ERR_UNKNOWN_OP] = "unknown_op",
	[AUDIOD_ERR_UNKNOWN_TYPE] = "unknown_type",
	[AUDIOD_ERR_UNKNOWN_NODE] = "unknown_node",
	[AUDIOD_ERR_UNKNOWN_PARAM] = "unknown_param",
	[AUDIOD_ERR_UNKNOWN_ATTR] = "unknown_attr",
	[AUDIOD_ERR_INVALID_VALUE] = "invalid_value",
	[AUDIOD_ERR_INDEX_SIZE] = "index_size",
	[AUDIOD_ERR_INVALID_STATE] = "invalid_state",
	[AUDIOD_ERR_NOT_SUPPORTED] = "not_supported",
	[AUDIOD_ERR_CYCLE] = "cycle",
	[AUDIOD_ERR_BUSY] = "busy",
	[AUDIOD_ERR_LIMIT] = "limit",
	[AUDIOD_ERR_IO] = "io",
	[AUDIOD_ERR_FORBIDDEN] = "forbidden",
	[AUDIOD_ERR_INTERNAL] = "internal",
	[AUDIOD_ERR_DISCONNECTED] = "disconnected",
	[AUDIOD_ERR_SYSTEM] = "system",
	[AUDIOD_ERR_TIMEOUT] = "timeout",
	[AUDIOD_ERR_PROTOCOL] = "protocol",
	[AUDIOD_ERR_UNKNOWN] = "unknown",
};

#define N_ERRORS (sizeof(error_names) / sizeof(error_names[0]))

const char *audiod_error_name(audiod_error err)
{
	if ((size_t)err >= N_ERRORS)
		return "unknown";
	return error_names[err];
}

audiod_error audiod_error_from_name(const char *code)
{
	size_t i;

	/* only the protocol's own codes: a daemon cannot send us "timeout" */
	for (i = AUDIOD_ERR_PARSE; code != NULL && i <= AUDIOD_ERR_INTERNAL; i++)
		if (strcmp(code, error_names[i]) == 0)
			return (audiod_error)i;
	return AUDIOD_ERR_UNKNOWN;
}

int audiod_socket_path(char *buf, size_t size)
{
	const char *env = getenv("AUDIOD_SOCKET");
	const char *run = getenv("XDG_RUNTIME_DIR");
	int n;

	if (env != NULL && env[0] != '\0')
		n = snprintf(buf, size, "%s", env);
	else if (run != NULL && run[0] != '\0')
		n = snprintf(buf, size, "%s/audiod/socket", run);
	else
		return -ENOENT;
	if (n < 0 || (size_t)n >= size || (size_t)n >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return -ENAMETOOLONG;
	return 0;
}

static audiod_error conn_fail(audiod_conn *conn, audiod_error err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(conn->msg, sizeof(conn->msg), fmt, ap);
	va_end(ap);
	return err;
}

static audiod_error conn_fail_errno(audiod_conn *conn, const char *what)
{
	int e = errno;

	conn_fail(conn, AUDIOD_ERR_SYSTEM, "%s: %s", what, strerror(e));
	errno = e;
	return AUDIOD_ERR_SYSTEM;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* -1 stays -1 (forever) */
static int64_t deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

static int remaining(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	return left < 0 ? 0 : (int)(left > 1000000000 ? 1000000000 : left);
}

/* the JSON value that is all of text (json_tokener_parse would ignore trailing junk) */
static json_object *parse_whole(const char *text)
{
	json_tokener *tok = json_tokener_new();
	size_t len = strlen(text);
	json_object *v;

	if (tok == NULL)
		return NULL;
	v = json_tokener_parse_ex(tok, text, (int)len);
	if (v != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
			  strspn(text + json_tokener_get_parse_end(tok), " \t\r\n") !=
				  len - json_tokener_get_parse_end(tok))) {
		json_object_put(v);
		v = NULL;
	}
	json_tokener_free(tok);
	return v;
}

/* --- reading --- */

static audiod_error rbuf_reserve(audiod_conn *conn, size_t extra)
{
	char *p;
	size_t cap;

	if (conn->rpos > 0) {
		/* drop what was parsed so the buffer does not grow with the connection's age */
		memmove(conn->rbuf, conn->rbuf + conn->rpos, conn->rlen - conn->rpos);
		conn->rlen -= conn->rpos;
		conn->rpos = 0;
	}
	if (conn->rcap - conn->rlen >= extra)
		return AUDIOD_OK;
	if (conn->rlen + extra > MAX_LINE + (size_t)READ_CHUNK)
		return conn_fail(conn, AUDIOD_ERR_PROTOCOL,
				 "the daemon sent a line longer than %u bytes", MAX_LINE);
	cap = conn->rcap ? conn->rcap : READ_CHUNK;
	while (cap - conn->rlen < extra)
		cap *= 2;
	p = realloc(conn->rbuf, cap);
	if (p == NULL)
		return conn_fail_errno(conn, "reading from audiod");
	conn->rbuf = p;
	conn->rcap = cap;
	return AUDIOD_OK;
}

/* reads what the socket has, waiting up to deadline for something; AUDIOD_ERR_TIMEOUT if
 * nothing came.  with retry_eintr false an interrupting signal returns AUDIOD_ERR_SYSTEM. */
static audiod_error conn_read(audiod_conn *conn, int64_t deadline, bool retry_eintr)
{
	struct pollfd pfd = { .fd = conn->fd, .events = POLLIN };
	audiod_error err;
	ssize_t n;
	int r;

	for (;;) {
		r = poll(&pfd, 1, remaining(deadline));
		if (r < 0 && errno == EINTR && retry_eintr)
			continue;
		if (r < 0)
			return conn_fail_errno(conn, "waiting for audiod");
		if (r == 0)
			return conn_fail(conn, AUDIOD_ERR_TIMEOUT, "audiod did not answer in time");
		if ((err = rbuf_reserve(conn, READ_CHUNK)) != AUDIOD_OK)
			return err;
		n = read(conn->fd, conn->rbuf + conn->rlen, conn->rcap - conn->rlen);
		if (n > 0) {
			conn->rlen += (size_t)n;
			return AUDIOD_OK;
		}
		if (n == 0)
			return conn_fail(conn, AUDIOD_ERR_DISCONNECTED,
					 "audiod closed the connection");
		if (errno == EINTR || errno == EAGAIN)
			continue;
		if (errno == ECONNRESET)
			return conn_fail(conn, AUDIOD_ERR_DISCONNECTED,
					 "audiod closed the connection");
		return conn_fail_errno(conn, "reading from audiod");
	}
}

/* parses one line; *obj is NULL for a blank line */
static audiod_error parse_line(audiod_conn *conn, const char *line, size_t len, json_object **obj)
{
	enum json_tokener_error jerr;
	size_t end;

	*obj = NULL;
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	if (len == 0)
		return AUDIOD_OK;
	json_tokener_reset(conn->tok);
	*obj = json_tokener_parse_ex(conn->tok, line, (int)len);
	jerr = json_tokener_get_error(conn->tok);
	end = json_tokener_get_parse_end(conn->tok);
	if (*obj == NULL || jerr != json_tokener_success || end != len ||
	    !json_object_is_type(*obj, json_type_object)) {
		json_object_put(*obj);
		*obj = NULL;
		return conn_fail(conn, AUDIOD_ERR_PROTOCOL,
				 "the daemon sent a line that is not a JSON object: %.60s", line);
	}
	return AUDIOD_OK;
}

/* the next line the daemon sent, reading as needed until deadline */
static audiod_error conn_next_line(audiod_conn *conn, int64_t deadline, bool retry_eintr,
				   json_object **obj)
{
	audiod_error err;
	char *start, *nl;
	size_t len;

	for (;;) {
		start = conn->rbuf + conn->rpos;
		nl = conn->rlen > conn->rpos ? memchr(start, '\n', conn->rlen - conn->rpos) : NULL;
		if (nl != NULL) {
			len = (size_t)(nl - start);
			conn->rpos += len + 1;
			err = parse_line(conn, start, len, obj);
			if (err != AUDIOD_OK || *obj != NULL)
				return err;
			continue;
		}
		if ((err = conn_read(conn, deadline, retry_eintr)) != AUDIOD_OK)
			return err;
	}
}

static bool is_event(json_object *obj)
{
	return json_object_object_get_ex(obj, "event", NULL) &&
	       !json_object_object_get_ex(obj, "ok", NULL);
}

static audiod_error queue_event(audiod_conn *conn, json_object *obj)
{
	struct event *ev = calloc(1, sizeof(*ev));

	if (ev == NULL) {
		json_object_put(obj);
		return conn_fail_errno(conn, "queueing an event");
	}
	ev->obj = obj;
	if (conn->etail != NULL)
		conn->etail->next = ev;
	else
		conn->ehead = ev;
	conn->etail = ev;
	return AUDIOD_OK;
}

static void pending_unlink(audiod_conn *conn, struct pending *p)
{
	struct pending **pp = &conn->phead, *prev = NULL;

	while (*pp != p) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	*pp = p->next;
	if (conn->ptail == p)
		conn->ptail = prev;
	if (p->by_send && !p->abandoned)
		conn->n_pending--;
	json_object_put(p->id);
	json_object_put(p->reply);
	free(p);
}

/* a reply belongs to the oldest request that has none yet (replies come in request order) */
static audiod_error match_reply(audiod_conn *conn, json_object *obj)
{
	struct pending *p;
	json_object *id;

	for (p = conn->phead; p != NULL && p->reply != NULL; p = p->next)
		;
	if (p == NULL) {
		json_object_put(obj);
		return conn_fail(conn, AUDIOD_ERR_PROTOCOL,
				 "the daemon sent a reply to no request");
	}
	/* a line too long or not JSON could not be read for its id: those replies carry none */
	if (json_object_object_get_ex(obj, "id", &id) && id != NULL && p->id != NULL &&
	    !json_object_equal(id, p->id)) {
		conn_fail(conn, AUDIOD_ERR_PROTOCOL, "reply id %s does not match request id %s",
			  json_object_to_json_string(id), json_object_to_json_string(p->id));
		json_object_put(obj);
		/* the request will never get its reply now: fail it rather than hang */
		p->reply = json_object_new_object();
		json_object_object_add(p->reply, "ok", json_object_new_boolean(0));
		json_object_object_add(p->reply, "_mismatch", json_object_new_boolean(1));
		if (p->abandoned)
			pending_unlink(conn, p);
		return AUDIOD_ERR_PROTOCOL;
	}
	p->reply = obj;
	if (p->abandoned)
		pending_unlink(conn, p);
	return AUDIOD_OK;
}

static audiod_error dispatch(audiod_conn *conn, json_object *obj)
{
	if (is_event(obj))
		return queue_event(conn, obj);
	if (json_object_object_get_ex(obj, "ok", NULL))
		return match_reply(conn, obj);
	json_object_put(obj);
	return conn_fail(conn, AUDIOD_ERR_PROTOCOL,
			 "the daemon sent a line that is neither a reply nor an event");
}

/* reads and dispatches one line */
static audiod_error conn_pump(audiod_conn *conn, int64_t deadline, bool retry_eintr)
{
	json_object *obj;
	audiod_error err;

	if ((err = conn_next_line(conn, deadline, retry_eintr, &obj)) != AUDIOD_OK)
		return err;
	return dispatch(conn, obj);
}

/* --- writing --- */

/* send, with the descriptors (n_fds > 0) as SCM_RIGHTS on the same call: the daemon queues
 * what comes with the bytes of a request for that request (PROTOCOL.md §6) */
static ssize_t send_fds(int fd, const char *buf, size_t len, const int *fds, size_t n_fds)
{
	union {
		char buf[CMSG_SPACE(AUDIOD_FDS_MAX * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (n_fds > 0) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(n_fds * sizeof(int));
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, n_fds * sizeof(int));
	}
	return sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* writes all of buf; the descriptors go with the first bytes that leave */
static audiod_error conn_write(audiod_conn *conn, const char *buf, size_t len, const int *fds,
			       size_t n_fds)
{
	struct pollfd pfd = { .fd = conn->fd, .events = POLLOUT | POLLIN };
	audiod_error err;
	ssize_t n;

	while (len > 0) {
		n = send_fds(conn->fd, buf, len, fds, n_fds);
		if (n >= 0) {
			buf += n;
			len -= (size_t)n;
			n_fds = 0;	/* they went with those bytes */
			continue;
		}
		if (errno == EBADF && n_fds > 0)
			return conn_fail(conn, AUDIOD_ERR_SYSTEM, "passing descriptors to audiod: "
					 "one of them is not open");
		if (errno == EPIPE || errno == ECONNRESET)
			return conn_fail(conn, AUDIOD_ERR_DISCONNECTED,
					 "audiod closed the connection");
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return conn_fail_errno(conn, "writing to audiod");
		/* the daemon may be blocked writing replies to us: read them while we wait, or a
		 * long pipeline would deadlock with both socket buffers full */
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return conn_fail_errno(conn, "writing to audiod");
		if (pfd.revents & POLLIN) {
			err = conn_read(conn, 0, true);
			if (err != AUDIOD_OK && err != AUDIOD_ERR_TIMEOUT)
				return err;
		}
	}
	return AUDIOD_OK;
}

/* in these ops "id" is also the node's name (PROTOCOL.md §4): an id of ours would name the
 * node, so they go without one and their reply is matched by position alone */
static bool id_names_a_node(json_object *req)
{
	static const char *const ops[] = { "create", "delete", "set", "start", "stop", "get",
					   "analyser" };
	json_object *op;
	size_t i;

	if (!json_object_object_get_ex(req, "op", &op) || !json_object_is_type(op, json_type_string))
		return false;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(json_object_get_string(op), ops[i]) == 0)
			return true;
	return false;
}

static audiod_error send_request(audiod_conn *conn, json_object *req, const int *fds,
				 size_t n_fds, bool by_send, struct pending **out)
{
	struct pending *p;
	json_object *id;
	const char *text;
	audiod_error err;
	size_t len;
	char *line;

	conn->msg[0] = '\0';
	if (req == NULL || !json_object_is_type(req, json_type_object))
		return conn_fail(conn, AUDIOD_ERR_BAD_REQUEST, "a request must be a JSON object");
	if (n_fds > AUDIOD_FDS_MAX)
		return conn_fail(conn, AUDIOD_ERR_LIMIT, "%zu descriptors: a request carries at "
				 "most %d", n_fds, AUDIOD_FDS_MAX);
	if (!json_object_object_get_ex(req, "id", &id) && !id_names_a_node(req)) {
		id = json_object_new_int64(conn->next_id++);
		json_object_object_add(req, "id", id);
	}
	p = calloc(1, sizeof(*p));
	text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	len = strlen(text);
	line = malloc(len + 2);
	if (p == NULL || line == NULL) {
		free(p);
		free(line);
		return conn_fail_errno(conn, "sending to audiod");
	}
	memcpy(line, text, len);
	line[len] = '\n';
	err = conn_write(conn, line, len + 1, fds, n_fds);
	free(line);
	if (err != AUDIOD_OK) {
		free(p);
		return err;
	}
	p->id = json_object_get(id);	/* NULL when none was sent: any reply id matches */
	p->by_send = by_send;
	if (conn->ptail != NULL)
		conn->ptail->next = p;
	else
		conn->phead = p;
	conn->ptail = p;
	if (by_send)
		conn->n_pending++;
	*out = p;
	return AUDIOD_OK;
}

/* turns an arrived reply into the call's result and frees the entry */
static audiod_error take_reply(audiod_conn *conn, struct pending *p, json_object **reply)
{
	json_object *r = p->reply, *ok, *error, *code, *msg;
	audiod_error err = AUDIOD_OK;

	p->reply = NULL;
	pending_unlink(conn, p);
	if (json_object_object_get_ex(r, "_mismatch", NULL)) {
		json_object_put(r);
		r = NULL;
		err = conn_fail(conn, AUDIOD_ERR_PROTOCOL,
				"the daemon's reply did not carry this request's id");
	} else if (!json_object_object_get_ex(r, "ok", &ok) ||
		   !json_object_is_type(ok, json_type_boolean)) {
		err = conn_fail(conn, AUDIOD_ERR_PROTOCOL, "a reply without a boolean \"ok\"");
	} else if (!json_object_get_boolean(ok)) {
		if (!json_object_object_get_ex(r, "error", &error) ||
		    !json_object_object_get_ex(error, "code", &code)) {
			err = conn_fail(conn, AUDIOD_ERR_PROTOCOL, "a failure reply without a code");
		} else {
			err = audiod_error_from_name(json_object_get_string(code));
			json_object_object_get_ex(error, "message", &msg);
			conn_fail(conn, err, "%s", msg != NULL ? json_object_get_string(msg)
							: json_object_get_string(code));
		}
	} else {
		conn->msg[0] = '\0';
	}
	if (reply != NULL)
		*reply = r;
	else
		json_object_put(r);
	return err;
}

/* waits for p's reply; on timeout or failure p is abandoned (its reply dropped on arrival) */
static audiod_error wait_reply(audiod_conn *conn, struct pending *p, json_object **reply,
			       bool abandon_on_fail)
{
	int64_t deadline = deadline_of(conn->timeout_ms);
	audiod_error err;

	while (p->reply == NULL) {
		err = conn_pump(conn, deadline, true);
		/* a stray line is the daemon's fault, not this request's: keep waiting */
		if (err == AUDIOD_OK || (err == AUDIOD_ERR_PROTOCOL && p->reply == NULL))
			continue;
		if (p->reply != NULL)
			break;
		if (abandon_on_fail) {
			if (p->by_send && !p->abandoned)
				conn->n_pending--;
			p->abandoned = true;
		}
		if (reply != NULL)
			*reply = NULL;
		return err;
	}
	return take_reply(conn, p, reply);
}

audiod_error audiod_request(audiod_conn *conn, json_object *req, json_object **reply)
{
	return audiod_request_fds(conn, req, NULL, 0, reply);
}

audiod_error audiod_request_fds(audiod_conn *conn, json_object *req, const int *fds, size_t n,
				json_object **reply)
{
	struct pending *p;
	audiod_error err;

	if (reply != NULL)
		*reply = NULL;
	if ((err = send_request(conn, req, fds, n, false, &p)) != AUDIOD_OK)
		return err;
	return wait_reply(conn, p, reply, true);
}

audiod_error audiod_request_text(audiod_conn *conn, const char *json, json_object **reply)
{
	json_object *req;
	audiod_error err;

	if (reply != NULL)
		*reply = NULL;
	req = parse_whole(json);
	if (req == NULL || !json_object_is_type(req, json_type_object)) {
		json_object_put(req);
		return conn_fail(conn, AUDIOD_ERR_PARSE, "the request is not a JSON object");
	}
	err = audiod_request(conn, req, reply);
	json_object_put(req);
	return err;
}

audiod_error audiod_send(audiod_conn *conn, json_object *req)
{
	struct pending *p;

	return send_request(conn, req, NULL, 0, true, &p);
}

audiod_error audiod_recv_reply(audiod_conn *conn, json_object **reply)
{
	struct pending *p;

	if (reply != NULL)
		*reply = NULL;
	for (p = conn->phead; p != NULL && (!p->by_send || p->abandoned); p = p->next)
		;
	if (p == NULL)
		return conn_fail(conn, AUDIOD_ERR_PROTOCOL, "no request is waiting for a reply");
	/* a timeout leaves it waiting: the next call collects it */
	return wait_reply(conn, p, reply, false);
}

size_t audiod_pending(const audiod_conn *conn)
{
	return conn->n_pending;
}

audiod_error audiod_next_event(audiod_conn *conn, int timeout_ms, json_object **event)
{
	int64_t deadline = deadline_of(timeout_ms);
	struct event *ev;
	audiod_error err;

	*event = NULL;
	while (conn->ehead == NULL) {
		err = conn_pump(conn, deadline, false);
		if (err != AUDIOD_OK && conn->ehead == NULL)
			return err;
	}
	ev = conn->ehead;
	conn->ehead = ev->next;
	if (conn->ehead == NULL)
		conn->etail = NULL;
	*event = ev->obj;
	free(ev);
	return AUDIOD_OK;
}

/* --- connecting --- */

static audiod_error read_hello(audiod_conn *conn)
{
	json_object *obj, *v, *error, *code;
	audiod_error err;

	err = conn_next_line(conn, deadline_of(HELLO_TIMEOUT_MS), true, &obj);
	if (err != AUDIOD_OK)
		return err;
	if (json_object_object_get_ex(obj, "error", &error) &&
	    json_object_object_get_ex(error, "code", &code)) {
		err = audiod_error_from_name(json_object_get_string(code));
		json_object_object_get_ex(error, "message", &v);
		conn_fail(conn, err, "audiod refused the connection: %s",
			  v ? json_object_get_string(v) : json_object_get_string(code));
		json_object_put(obj);
		return err;
	}
	if (!json_object_object_get_ex(obj, "event", &v) ||
	    strcmp(json_object_get_string(v), "hello") != 0) {
		json_object_put(obj);
		return conn_fail(conn, AUDIOD_ERR_PROTOCOL,
				 "the first line from the socket is not audiod's hello");
	}
	conn->hello = obj;
	if (json_object_object_get_ex(obj, "session", &v))
		conn->session = strdup(json_object_get_string(v));
	return AUDIOD_OK;
}

static uint32_t hello_uint(const audiod_conn *conn, const char *key)
{
	json_object *v;

	if (conn->hello == NULL || !json_object_object_get_ex(conn->hello, key, &v))
		return 0;
	return (uint32_t)json_object_get_int64(v);
}

uint32_t audiod_sample_rate(const audiod_conn *conn)
{
	return hello_uint(conn, "sampleRate");
}

uint32_t audiod_channels(const audiod_conn *conn)
{
	return hello_uint(conn, "channels");
}

uint32_t audiod_quantum(const audiod_conn *conn)
{
	return hello_uint(conn, "quantum");
}

const char *audiod_server_version(const audiod_conn *conn)
{
	json_object *v;

	if (conn->hello == NULL || !json_object_object_get_ex(conn->hello, "version", &v))
		return "";
	return json_object_get_string(v);
}

const char *audiod_session_name(const audiod_conn *conn)
{
	return conn->session != NULL ? conn->session : "";
}

json_object *audiod_hello(const audiod_conn *conn)
{
	return conn->hello;
}

const char *audiod_error_message(const audiod_conn *conn)
{
	return conn->msg;
}

int audiod_fd(const audiod_conn *conn)
{
	return conn->fd;
}

void audiod_set_timeout(audiod_conn *conn, int timeout_ms)
{
	conn->timeout_ms = timeout_ms;
}

audiod_conn *audiod_connect_fd(int fd, audiod_error *err)
{
	audiod_conn *conn;
	audiod_error e;
	int flags, saved;

	if (err == NULL)
		err = &e;
	conn = calloc(1, sizeof(*conn));
	if (conn == NULL) {
		close(fd);
		*err = AUDIOD_ERR_SYSTEM;
		return NULL;
	}
	conn->fd = fd;
	conn->timeout_ms = -1;
	conn->next_id = 1;
	conn->tok = json_tokener_new_ex(128);
	flags = fcntl(fd, F_GETFL);
	if (conn->tok == NULL || flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		*err = AUDIOD_ERR_SYSTEM;
		goto error;
	}
	if ((*err = read_hello(conn)) != AUDIOD_OK)
		goto error;
	return conn;
error:
	saved = errno;
	audiod_disconnect(conn);
	errno = saved;
	return NULL;
}

audiod_conn *audiod_connect(const char *path, audiod_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	audiod_error e;
	int fd, r, saved;

	if (err == NULL)
		err = &e;
	if (path == NULL) {
		if ((r = audiod_socket_path(sa.sun_path, sizeof(sa.sun_path))) < 0) {
			errno = -r;
			*err = AUDIOD_ERR_SYSTEM;
			return NULL;
		}
	} else if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path) >=
		   (int)sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		*err = AUDIOD_ERR_SYSTEM;
		return NULL;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*err = AUDIOD_ERR_SYSTEM;
		return NULL;
	}
	do
		r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		*err = AUDIOD_ERR_SYSTEM;
		return NULL;
	}
	return audiod_connect_fd(fd, err);
}

void audiod_disconnect(audiod_conn *conn)
{
	struct event *ev;

	if (conn == NULL)
		return;
	while (conn->phead != NULL)
		pending_unlink(conn, conn->phead);
	while ((ev = conn->ehead) != NULL) {
		conn->ehead = ev->next;
		json_object_put(ev->obj);
		free(ev);
	}
	if (conn->fd >= 0)
		close(conn->fd);
	if (conn->tok != NULL)
		json_tokener_free(conn->tok);
	json_object_put(conn->hello);
	free(conn->session);
	free(conn->rbuf);
	free(conn);
}

/* --- helpers --- */

static json_object *op_new(const char *op)
{
	json_object *req = json_object_new_object();

	json_object_object_add(req, "op", json_object_new_string(op));
	return req;
}

static void add_string(json_object *req, const char *key, const char *value)
{
	if (value != NULL)
		json_object_object_add(req, key, json_object_new_string(value));
}

/* sends req (consumed) and waits for its reply */
static audiod_error call(audiod_conn *conn, json_object *req, json_object **reply)
{
	audiod_error err = audiod_request(conn, req, reply);

	json_object_put(req);
	return err;
}

/* parses JSON text (any value, not only objects) for field `what` into req.  wrapped in
 * brackets so a bare number ends without a terminator and trailing junk is caught. */
static audiod_error add_json(audiod_conn *conn, json_object *req, const char *what,
			     const char *text)
{
	json_object *v = NULL, *arr;
	size_t len;
	char *wrapped;

	if (text == NULL)
		return AUDIOD_OK;
	len = strlen(text);
	wrapped = malloc(len + 3);
	if (wrapped == NULL)
		return conn_fail_errno(conn, what);
	wrapped[0] = '[';
	memcpy(wrapped + 1, text, len);
	memcpy(wrapped + 1 + len, "]", 2);
	arr = parse_whole(wrapped);
	free(wrapped);
	if (arr != NULL && json_object_is_type(arr, json_type_array) &&
	    json_object_array_length(arr) == 1)
		v = json_object_get(json_object_array_get_idx(arr, 0));
	json_object_put(arr);
	if (v == NULL && strcmp(text, "null") != 0)
		return conn_fail(conn, AUDIOD_ERR_PARSE, "%s: not valid JSON: %s", what, text);
	json_object_object_add(req, what, v);
	return AUDIOD_OK;
}

/* for helpers whose JSON text argument may fail: frees req then */
static audiod_error call_with_json(audiod_conn *conn, json_object *req, const char *what,
				   const char *text, json_object **reply)
{
	audiod_error err = add_json(conn, req, what, text);

	if (err != AUDIOD_OK) {
		json_object_put(req);
		return err;
	}
	return call(conn, req, reply);
}

audiod_error audiod_session(audiod_conn *conn, const char *name, bool ephemeral)
{
	json_object *req = op_new("session");
	audiod_error err;
	char *copy;

	add_string(req, "name", name);
	if (ephemeral)
		json_object_object_add(req, "ephemeral", json_object_new_boolean(1));
	err = call(conn, req, NULL);
	if (err == AUDIOD_OK && (copy = strdup(name)) != NULL) {
		free(conn->session);
		conn->session = copy;
	}
	return err;
}

audiod_error audiod_hello_client(audiod_conn *conn, const char *client)
{
	json_object *req = op_new("hello");

	add_string(req, "client", client);
	return call(conn, req, NULL);
}

audiod_error audiod_create(audiod_conn *conn, const char *type, const char *id,
			   const char *options)
{
	json_object *req = op_new("create");

	add_string(req, "type", type);
	add_string(req, "id", id);
	return call_with_json(conn, req, "options", options, NULL);
}

audiod_error audiod_delete(audiod_conn *conn, const char *id)
{
	json_object *req = op_new("delete");

	add_string(req, "id", id);
	return call(conn, req, NULL);
}

static json_object *link_op(const char *op, const char *from, const char *to, int output,
			    int input)
{
	json_object *req = op_new(op);

	add_string(req, "from", from);
	add_string(req, "to", to);
	if (output >= 0)
		json_object_object_add(req, "output", json_object_new_int(output));
	if (input >= 0)
		json_object_object_add(req, "input", json_object_new_int(input));
	return req;
}

audiod_error audiod_node_connect(audiod_conn *conn, const char *from, const char *to,
				 int output, int input)
{
	return call(conn, link_op("connect", from, to, output, input), NULL);
}

audiod_error audiod_node_disconnect(audiod_conn *conn, const char *from, const char *to,
				    int output, int input)
{
	return call(conn, link_op("disconnect", from, to, output, input), NULL);
}

audiod_error audiod_set(audiod_conn *conn, const char *id, const char *attr, const char *value)
{
	json_object *req = op_new("set");

	add_string(req, "id", id);
	add_string(req, "attr", attr);
	return call_with_json(conn, req, "value", value, NULL);
}

audiod_error audiod_param(audiod_conn *conn, const char *target, const char *method,
			  int nargs, ...)
{
	json_object *req = op_new("param"), *args = json_object_new_array();
	va_list ap;
	int i;

	add_string(req, "target", target);
	add_string(req, "method", method);
	va_start(ap, nargs);
	for (i = 0; i < nargs; i++)
		json_object_array_add(args, json_object_new_double(va_arg(ap, double)));
	va_end(ap);
	json_object_object_add(req, "args", args);
	return call(conn, req, NULL);
}

audiod_error audiod_param_json(audiod_conn *conn, const char *target, const char *method,
			       const char *args)
{
	json_object *req = op_new("param");

	add_string(req, "target", target);
	add_string(req, "method", method);
	return call_with_json(conn, req, "args", args, NULL);
}

static json_object *time_op(const char *op, const char *id, double when)
{
	json_object *req = op_new(op);

	add_string(req, "id", id);
	json_object_object_add(req, "when", json_object_new_double(when));
	return req;
}

audiod_error audiod_start(audiod_conn *conn, const char *id, double when)
{
	return call(conn, time_op("start", id, when), NULL);
}

audiod_error audiod_start_buffer(audiod_conn *conn, const char *id, double when,
				 double offset, double duration)
{
	json_object *req = time_op("start", id, when);

	json_object_object_add(req, "offset", json_object_new_double(offset));
	if (!isnan(duration))
		json_object_object_add(req, "duration", json_object_new_double(duration));
	return call(conn, req, NULL);
}

audiod_error audiod_stop(audiod_conn *conn, const char *id, double when)
{
	return call(conn, time_op("stop", id, when), NULL);
}

audiod_error audiod_buffer(audiod_conn *conn, const char *name, const char *spec)
{
	json_object *req = op_new("buffer");

	add_string(req, "name", name);
	return call_with_json(conn, req, "spec", spec, NULL);
}

/* the file is opened here and its descriptor sent: the daemon may not see our files (its
 * unit's PrivateTmp, ProtectHome) and learns nothing of the paths we can open */
audiod_error audiod_buffer_file(audiod_conn *conn, const char *name, const char *path,
				bool resample)
{
	json_object *req, *spec;
	audiod_error err;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		conn->msg[0] = '\0';
		return conn_fail_errno(conn, path);
	}
	req = op_new("buffer");
	spec = json_object_new_object();
	add_string(req, "name", name);
	json_object_object_add(spec, "fd", json_object_new_int(0));
	if (resample)
		json_object_object_add(spec, "resample", json_object_new_boolean(1));
	json_object_object_add(req, "spec", spec);
	err = audiod_request_fds(conn, req, &fd, 1, NULL);
	json_object_put(req);
	close(fd);	/* the daemon has its own */
	return err;
}

audiod_error audiod_free_buffer(audiod_conn *conn, const char *name)
{
	json_object *req = op_new("free-buffer");

	add_string(req, "name", name);
	return call(conn, req, NULL);
}

audiod_error audiod_get(audiod_conn *conn, const char *id, json_object **reply)
{
	json_object *req = op_new("get");

	add_string(req, "id", id);
	return call(conn, req, reply);
}

audiod_error audiod_save(audiod_conn *conn, json_object **document)
{
	json_object *reply, *doc;
	audiod_error err;

	*document = NULL;
	err = call(conn, op_new("save"), &reply);
	if (err == AUDIOD_OK) {
		if (json_object_object_get_ex(reply, "document", &doc))
			*document = json_object_get(doc);
		else
			err = conn_fail(conn, AUDIOD_ERR_PROTOCOL, "save: no document in the reply");
	}
	json_object_put(reply);
	return err;
}

audiod_error audiod_load(audiod_conn *conn, json_object *document, bool replace)
{
	json_object *req = op_new("load");

	json_object_object_add(req, "document", json_object_get(document));
	if (replace)
		json_object_object_add(req, "replace", json_object_new_boolean(1));
	return call(conn, req, NULL);
}

audiod_error audiod_sync(audiod_conn *conn, uint64_t *frame)
{
	json_object *reply, *v;
	audiod_error err;

	err = call(conn, op_new("sync"), &reply);
	if (err == AUDIOD_OK && frame != NULL)
		*frame = json_object_object_get_ex(reply, "frame", &v) ?
				 (uint64_t)json_object_get_int64(v) : 0;
	json_object_put(reply);
	return err;
}

audiod_error audiod_time(audiod_conn *conn, double *current_time)
{
	json_object *reply, *v;
	audiod_error err;

	err = call(conn, op_new("time"), &reply);
	if (err == AUDIOD_OK && current_time != NULL)
		*current_time = json_object_object_get_ex(reply, "currentTime", &v) ?
					json_object_get_double(v) : 0.0;
	json_object_put(reply);
	return err;
}

static audiod_error events_op(audiod_conn *conn, const char *op, const char *const *events)
{
	json_object *req = op_new(op), *list = json_object_new_array();

	while (events != NULL && *events != NULL)
		json_object_array_add(list, json_object_new_string(*events++));
	json_object_object_add(req, "events", list);
	return call(conn, req, NULL);
}

audiod_error audiod_subscribe(audiod_conn *conn, const char *const *events)
{
	return events_op(conn, "subscribe", events);
}

audiod_error audiod_unsubscribe(audiod_conn *conn, const char *const *events)
{
	return events_op(conn, "unsubscribe", events);
}
