/* client: one connection: line framing of what it sends (with the descriptors that come
 * along), its replies released in request order, its events within a backlog, and
 * non-blocking output.  server.c accepts, polls and reaps; handler.c answers.  control
 * thread only. */
#include "client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>

#include "core.h"
#include "decode.h"
#include "engine/engine.h"
#include "handler.h"
#include "log.h"
#include "protocol/codec.h"
#include "protocol/jsonstrict.h"
#include "server.h"

#define READ_CHUNK 65536
#define OUT_HIGH (4u << 20)	/* bytes queued to a client before we stop reading it */

/* --- output ------------------------------------------------------------------------------- */

static void out_append(struct client *c, const char *text, size_t len)
{
	size_t need;
	char *n;

	if (c->dead)
		return;
	if (c->out_off > 0 && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	need = c->out_len + len + 1;
	if (need > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;

		while (cap < need)
			cap *= 2;
		n = realloc(c->out, cap);
		if (n == NULL) {
			c->dead = true;
			return;
		}
		c->out = n;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, text, len);
	c->out[c->out_len + len] = '\n';
	c->out_len += len + 1;
}

static void out_json(struct client *c, struct json_object *o)
{
	size_t len;
	const char *text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE, &len);

	out_append(c, text, len);
}

void client_flush(struct client *c)
{
	ssize_t n;

	while (!c->dead && c->out_off < c->out_len) {
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->out_off += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			return;
		} else {
			c->dead = true;	/* EPIPE, ECONNRESET: the client has gone */
		}
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
}

/* moves ready replies at the head of the queue to the output, in order */
static void release(struct client *c)
{
	struct pending *p;

	while ((p = c->head) != NULL && p->reply != NULL) {
		out_json(c, p->reply);
		json_object_put(p->reply);
		c->head = p->next;
		if (c->head == NULL)
			c->tail = NULL;
		c->n_pending--;
		free(p);
	}
}

struct pending *server_reply_wait(struct client *c)
{
	struct pending *p = calloc(1, sizeof(*p));

	if (p == NULL) {
		c->dead = true;
		return NULL;
	}
	if (c->tail)
		c->tail->next = p;
	else
		c->head = p;
	c->tail = p;
	c->n_pending++;
	return p;
}

void server_complete(struct client *c, struct pending *p, struct json_object *reply)
{
	p->reply = reply;
	p->sync_tag = 0;
	release(c);
}

void server_reply(struct client *c, struct json_object *reply)
{
	struct pending *p = server_reply_wait(c);

	if (p == NULL) {
		json_object_put(reply);
		return;
	}
	server_complete(c, p, reply);
}

bool client_event(struct client *c, struct json_object *event, size_t backlog)
{
	struct json_object *o;

	if (c->out_len - c->out_off >= backlog) {
		c->events_dropped++;
		return false;
	}
	if (c->events_dropped > 0) {
		o = json_object_new_object();
		json_object_object_add(o, "event", json_object_new_string("dropped"));
		json_object_object_add(o, "count", json_object_new_int64((int64_t)c->events_dropped));
		out_json(c, o);
		json_object_put(o);
		c->events_dropped = 0;
	}
	out_json(c, event);
	return true;
}

/* --- input ------------------------------------------------------------------------------- */

static void hello(struct server *s, struct client *c)
{
	struct json_object *o = json_object_new_object();
	struct engine *e = core_engine(s->core);

	json_object_object_add(o, "event", json_object_new_string("hello"));
	json_object_object_add(o, "server", json_object_new_string("audiod"));
	json_object_object_add(o, "version", json_object_new_string(AUDIOD_VERSION));
	json_object_object_add(o, "protocol", json_object_new_int(1));
	json_object_object_add(o, "sampleRate", json_object_new_int((int)engine_sample_rate(e)));
	json_object_object_add(o, "channels", json_object_new_int((int)engine_channels(e)));
	json_object_object_add(o, "quantum", json_object_new_int(QUANTUM));
	json_object_object_add(o, "session", json_object_new_string(c->session->name));
	out_json(c, o);
	json_object_put(o);
}

struct client *client_new(struct server *s, int fd)
{
	struct client *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->srv = s;
	c->fd = fd;
	c->serial = ++s->next_serial;
	snprintf(c->name, sizeof(c->name), "client%llu", (unsigned long long)c->serial);
	session_attach(s, c, session_find(s, "default"));
	hello(s, c);
	client_flush(c);
	log_debug("client %llu connected", (unsigned long long)c->serial);
	return c;
}

void client_free(struct server *s, struct client *c)
{
	struct pending *p, *next;

	log_debug("client %llu (%s) gone", (unsigned long long)c->serial, c->name);
	if (c->job)
		((struct decode_job *)c->job)->client = NULL;
	session_attach(s, c, NULL);
	for (p = c->head; p; p = next) {
		next = p->next;
		if (p->reply)
			json_object_put(p->reply);
		if (p->waiting)
			json_object_put(p->waiting);
		free(p);
	}
	/* descriptors no request took go with the connection */
	for (uint32_t i = 0; i < c->n_fds; i++)
		close(c->fds[i]);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
	s->n_clients--;
}

static void reply_error(struct client *c, enum err_code code, const char *fmt, const char *arg)
{
	struct error err = { .code = code };

	snprintf(err.msg, sizeof(err.msg), fmt, arg);
	server_reply(c, codec_error_reply(NULL, &err));
}

static void line(struct client *c, char *text, size_t len, uint64_t receipt)
{
	struct json_object *req;
	struct error err = { 0 };
	size_t at;

	while (len > 0 && (text[len - 1] == '\r' || text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	if (len == 0)
		return;	/* blank lines are not requests */
	/* strict before json-c: it would keep the last of two equal keys, cut a string at an
	 * escaped NUL, and pass invalid UTF-8 through into the reply that quotes it */
	if (jsonstrict_parse(text, len, &req, &at, &err) < 0) {
		if (err.code == ERR_PARSE)
			err_prefix(&err, "column %zu", at + 1);
		server_reply(c, codec_error_reply(NULL, &err));
		return;
	}
	if (!json_object_is_type(req, json_type_object)) {
		json_object_put(req);
		reply_error(c, ERR_BAD_REQUEST, "%s", "a request must be a JSON object");
		return;
	}
	if (c->n_pending >= c->srv->cfg.limits.queued) {
		err = (struct error){ .code = ERR_LIMIT };
		snprintf(err.msg, sizeof(err.msg), "more than %u requests waiting for replies",
			 c->srv->cfg.limits.queued);
		server_reply(c, codec_reply_error(req, &err));
	} else {
		handler_request(c, req, receipt);
	}
	json_object_put(req);
}

static void too_large(struct client *c)
{
	char limit[32];

	snprintf(limit, sizeof(limit), "%zu", c->srv->cfg.limits.max_line);
	reply_error(c, ERR_TOO_LARGE, "the line is longer than the limit of %s bytes", limit);
}

/* handles the complete lines buffered, until one waits for the decoder */
static void process_lines(struct client *c)
{
	uint64_t now = server_now_ns();
	size_t off = 0;
	char *nl;

	while (!c->dead && !c->decoding && !c->discarding && off < c->in_len &&
	       c->out_len - c->out_off < OUT_HIGH &&
	       (nl = memchr(c->in + off, '\n', c->in_len - off)) != NULL) {
		size_t len = (size_t)(nl - (c->in + off));

		*nl = '\0';
		if (len > c->srv->cfg.limits.max_line)
			too_large(c);
		else
			line(c, c->in + off, len, now);
		off += len + 1;
	}
	if (off > 0) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
}

/* over-long line at the head of the buffer: drop it up to its newline (now, or as it
 * arrives) and answer too_large; the lines after it are served as usual */
static void discard(struct client *c)
{
	size_t max = c->srv->cfg.limits.max_line;
	char *nl;

	if (!c->discarding && (c->in_len <= max || memchr(c->in, '\n', max + 1) != NULL))
		return;
	nl = memchr(c->in, '\n', c->in_len);
	if (nl == NULL) {
		c->discarding = true;
		c->in_len = 0;
		return;
	}
	c->discarding = false;
	too_large(c);
	memmove(c->in, nl + 1, c->in_len - (size_t)(nl + 1 - c->in));
	c->in_len -= (size_t)(nl + 1 - c->in);
}

void client_process(struct client *c)
{
	discard(c);
	process_lines(c);
	discard(c);
}

bool client_wants_input(const struct client *c)
{
	/* while a decode runs or the client does not read, its lines wait in the kernel; so
	 * do they while a decode runs and the descriptor queue is full, or the descriptors of
	 * lines sent ahead would be closed before their requests could take them */
	return !c->dead && c->out_len - c->out_off < OUT_HIGH &&
	       (!c->decoding || (c->in_len < c->srv->cfg.limits.max_line &&
				 c->n_fds < SERVER_FDS_MAX));
}

/* descriptors that came with the bytes (SCM_RIGHTS) wait in arrival order for the requests
 * naming them (handler.c).  past SERVER_FDS_MAX they are closed at once, and so are those
 * the kernel could not fit in our control buffer (MSG_CTRUNC): either way the next request
 * naming one is refused, since the queue no longer lines up with what the client sent */
static void fds_arrived(struct client *c, struct msghdr *msg)
{
	struct cmsghdr *cm;
	size_t n, i;
	int fd;

	for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (c->n_fds < SERVER_FDS_MAX) {
				c->fds[c->n_fds++] = fd;
			} else {
				close(fd);
				c->fds_dropped = true;
			}
		}
	}
	if (msg->msg_flags & MSG_CTRUNC)
		c->fds_dropped = true;
}

/* recv with the descriptors that came along.  the kernel ends a read with the bytes of the
 * sendmsg that carried descriptors (never two such in one read), so those a read brings
 * came with its last bytes: with the request they belong to, queued before it is handled */
static ssize_t recv_fds(struct client *c)
{
	union {
		char buf[CMSG_SPACE(SERVER_FDS_MAX * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = c->in + c->in_len, .iov_len = c->in_cap - c->in_len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	ssize_t n = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	if (n >= 0)
		fds_arrived(c, &msg);
	return n;
}

void client_read(struct client *c)
{
	ssize_t n;

	for (;;) {
		if (c->in_cap - c->in_len < READ_CHUNK) {
			size_t cap = c->in_cap ? c->in_cap * 2 : 2 * READ_CHUNK;
			char *b = realloc(c->in, cap);

			if (b == NULL) {
				c->dead = true;
				return;
			}
			c->in = b;
			c->in_cap = cap;
		}
		n = recv_fds(c);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
			c->dead = true;	/* EOF, even mid-line: nothing more will come */
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		c->in_len += (size_t)n;
		client_process(c);
		/* keep memory bounded: while waiting, read no further than a line's worth */
		if (!client_wants_input(c) || c->in_len > c->srv->cfg.limits.max_line + READ_CHUNK)
			return;
		if ((size_t)n < READ_CHUNK)
			return;
	}
}

