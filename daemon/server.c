/* server: the listening Unix socket (its path made safe; the peer's uid checked), the
 * clients (client.c), the decode worker's results, the render thread's returns and events,
 * all in one poll() loop.  control thread only. */
#include "handler.h"
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "core.h"
#include "cost.h"
#include "decode.h"
#include "engine/engine.h"
#include "log.h"
#include "media.h"
#include "persist.h"
#include "protocol/codec.h"
#include "protocol/jsonstrict.h"


void server_config_defaults(struct server_config *cfg)
{
	*cfg = (struct server_config){
		.limits = {
			.clients = 64,
			.nodes = 4096,
			.buffer_bytes = (uint64_t)1 << 30,
			.buffer_bytes_total = (uint64_t)4 << 30,
			.max_line = (size_t)16 << 20,
			.queued = 1024,
			.held = 4096,
			.held_total = 65536,
			.held_bytes = (uint64_t)64 << 20,
			.held_bytes_total = (uint64_t)256 << 20,
			.param_events = 4096,
			.max_points = 65536,
			.backlog = (size_t)1 << 20,
			.sessions = 64,
			.client_sessions = 16,
			.session_load = 0.5,
			.total_load = 0.8,
		},
	};
}

uint64_t server_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void server_broadcast(struct server *s, uint32_t mask, struct json_object *event)
{
	struct client *c;

	for (c = s->clients; c; c = c->next)
		if ((c->events & mask) && !c->dead)
			s->events_dropped += !client_event(c, event, s->cfg.limits.backlog);
	json_object_put(event);
}

/* --- commands in flight ------------------------------------------------------------------- */

static uint64_t hold_ahead(const struct server *s)
{
	struct engine *e = core_engine(s->core);

	return engine_frame(e) + (uint64_t)(engine_sample_rate(e) * SERVER_HOLD_AHEAD_MS / 1000);
}

int server_room(struct server *s, struct client *c, uint64_t at, bool *hold, struct error *err)
{
	*hold = c->session != NULL && at > hold_ahead(s);
	if (*hold)
		return session_hold_reserve(s, c->session, err);
	if (core_space(s->core) == 0)
		return err_set(err, ERR_BUSY, "the render queue is full: nothing was applied, retry");
	return 0;
}

/* the timelines' edits that are near enough go to the render queue, which holds them the
 * last few hundred milliseconds until their quantum */
static void release_held(struct server *s)
{
	uint64_t upto = hold_ahead(s);

	for (struct session *x = s->sessions; x && s->n_held; x = x->next)
		if (x->n_held)
			session_release(s, x, x->fading ? UINT64_MAX : upto);
}

void server_submit(struct server *s, struct client *c, struct engine_op *op, uint64_t at,
		   uint64_t receipt_ns, bool hold)
{
	struct inflight *f;
	uint64_t tag = ++s->next_tag;

	if (s->fl_len == s->fl_cap) {
		size_t cap = s->fl_cap ? s->fl_cap * 2 : 256, i;
		struct inflight *n = malloc(cap * sizeof(*n));

		if (n == NULL)
			abort();	/* a command we cannot track would desync sync replies */
		for (i = 0; i < s->fl_len; i++)
			n[i] = s->fl[(s->fl_head + i) % s->fl_cap];
		free(s->fl);
		s->fl = n;
		s->fl_cap = cap;
		s->fl_head = 0;
	}
	f = &s->fl[(s->fl_head + s->fl_len) % s->fl_cap];
	*f = (struct inflight){ .tag = tag, .client = c, .receipt_ns = receipt_ns,
				.submit_ns = server_now_ns(), .timed = at != 0,
				.internal = c == NULL };
	s->fl_len++;
	if (c) {
		c->last_tag = tag;
		if (c->session)
			c->session->dirty = true;
	}
	if (hold) {
		session_hold(s, c->session, op, at, tag);
		return;
	}
	/* the caller checked core_space before preparing: this cannot fail */
	if (core_submit(s->core, op, at, tag) < 0) {
		log_error("render queue full after a space check: dropping a command");
		engine_op_free(core_engine(s->core), op);
	}
}

static void latency_add(struct server *s, uint64_t ns)
{
	uint64_t b = ns / 50000;

	s->latency[b < LATENCY_BUCKETS ? b : LATENCY_BUCKETS]++;
	s->latency_count++;
	s->latency_sum_ns += ns;
	if (ns > s->latency_max_ns)
		s->latency_max_ns = ns;
}

/* marks a command applied and retires the applied ones at the head: commands held for a
 * later `at` let later ones apply first, so the table can have holes */
static void on_applied(void *data, uint64_t tag, uint64_t frame, uint64_t latency_ns)
{
	struct server *s = data;
	struct inflight *f = NULL;
	struct client *c;
	size_t i;

	if (tag == 0)
		return;	/* submitted straight to the core (--demo): nobody tracks it */
	for (i = 0; i < s->fl_len; i++) {
		f = &s->fl[(s->fl_head + i) % s->fl_cap];
		if (f->tag == tag)
			break;
	}
	if (i == s->fl_len) {
		log_error("applied tag %llu was never submitted", (unsigned long long)tag);
		return;
	}
	f->applied = true;
	c = f->client;
	/* counted even when the client has gone meanwhile (audioctl sends and leaves) */
	if (!f->timed && !f->internal)
		latency_add(s, latency_ns + (f->submit_ns - f->receipt_ns));
	while (s->fl_len && s->fl[s->fl_head].applied) {
		s->fl_head = (s->fl_head + 1) % s->fl_cap;
		s->fl_len--;
	}
	if (c)
		handler_applied(c, tag, frame);
}

bool server_outstanding(const struct server *s, const struct client *c, uint64_t upto)
{
	size_t i;

	for (i = 0; i < s->fl_len; i++) {
		const struct inflight *f = &s->fl[(s->fl_head + i) % s->fl_cap];
		if (f->tag > upto)
			break;
		if (f->client == c && !f->applied)
			return true;
	}
	return false;
}

static void forget_client(struct server *s, struct client *c)
{
	size_t i;

	for (i = 0; i < s->fl_len; i++)
		if (s->fl[(s->fl_head + i) % s->fl_cap].client == c)
			s->fl[(s->fl_head + i) % s->fl_cap].client = NULL;
}

/* --- events from the renderer ------------------------------------------------------------- */

static void ended_event(struct server *s, const struct engine_event *ev)
{
	struct engine *e = core_engine(s->core);
	const char *name = engine_node_name(e, ev->node_id);
	const char *slash;
	struct json_object *o;

	if (name == NULL || (slash = strchr(name, ':')) == NULL)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "event", json_object_new_string("ended"));
	json_object_object_add(o, "session", json_object_new_string_len(name, (int)(slash - name)));
	json_object_object_add(o, "id", json_object_new_string(slash + 1));
	json_object_object_add(o, "time", json_object_new_double(ev->time));
	server_broadcast(s, SUB_ENDED, o);
}

static void xrun_check(struct server *s)
{
	struct core_stats st;
	struct json_object *o;

	core_get_stats(s->core, &st);
	if (st.output.xruns == s->last_xruns)
		return;
	s->last_xruns = st.output.xruns;
	o = json_object_new_object();
	json_object_object_add(o, "event", json_object_new_string("xrun"));
	json_object_object_add(o, "xruns", json_object_new_int64((int64_t)st.output.xruns));
	json_object_object_add(o, "underruns", json_object_new_int64((int64_t)st.render.underruns));
	json_object_object_add(o, "time", json_object_new_double(
		(double)st.frame / engine_sample_rate(core_engine(s->core))));
	server_broadcast(s, SUB_XRUN, o);
}

static void drain(struct server *s)
{
	struct engine_event ev;

	core_drain(s->core, on_applied, s);
	release_held(s);
	while (engine_event_pop(core_engine(s->core), &ev))
		if (ev.type == ENGINE_EVENT_ENDED)
			ended_event(s, &ev);
}

/* --- clients -------------------------------------------------------------------------------- */

/* a refusal before any client state exists: best effort, then close */
static void refuse(int fd, enum err_code code, const char *msg)
{
	struct error err = { .code = code };
	struct json_object *o;
	const char *text;
	ssize_t n;

	snprintf(err.msg, sizeof(err.msg), "%s", msg);
	o = codec_error_reply(NULL, &err);
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	n = send(fd, text, strlen(text), MSG_NOSIGNAL | MSG_DONTWAIT);
	n = send(fd, "\n", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)n;
	json_object_put(o);
	close(fd);
}

static void accept_one(struct server *s)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct client *c;
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != geteuid()) {
		log_warn("refused a connection from uid %d", (int)cred.uid);
		refuse(fd, ERR_FORBIDDEN, "only the daemon's own user may connect");
		return;
	}
	if (s->n_clients >= s->cfg.limits.clients) {
		refuse(fd, ERR_LIMIT, "too many clients");
		return;
	}
	c = client_new(s, fd);
	if (c == NULL) {
		close(fd);
		return;
	}
	c->next = s->clients;
	s->clients = c;
	s->n_clients++;
}

static void decoded(struct server *s)
{
	struct decode_job *j;

	while ((j = decode_pop(s->decode)) != NULL) {
		handler_decoded(s, j);
		decode_job_free(j);
	}
}

/* --- setup -------------------------------------------------------------------------------- */

static char *default_path(struct error *err)
{
	const char *env = getenv("AUDIOD_SOCKET"), *run = getenv("XDG_RUNTIME_DIR");
	char *p;

	if (env && env[0])
		return strdup(env);
	if (run == NULL || run[0] == '\0') {
		err_set(err, ERR_INTERNAL, "neither AUDIOD_SOCKET nor XDG_RUNTIME_DIR is set");
		return NULL;
	}
	if (asprintf(&p, "%s/audiod/socket", run) < 0)
		return NULL;
	return p;
}

/* the socket's folder: created 0700 when it is missing.  one that exists must be a real
 * directory of ours that nobody else can write to: whoever can write there can swap our
 * socket for theirs under our clients */
static bool shared_sticky(const struct stat *st)
{
	return (st->st_mode & S_ISVTX) && (st->st_uid == 0 || st->st_uid == geteuid());
}

static int check_dir(const char *path, struct error *err)
{
	char *dir = strdup(path), *slash;
	struct stat st;
	int r = 0;

	if (dir == NULL)
		return err_set(err, ERR_INTERNAL, "out of memory");
	slash = strrchr(dir, '/');
	if (slash == NULL)
		strcpy(dir, ".");	/* path is not empty: "." fits */
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		r = err_set(err, ERR_IO, "%s: cannot create the socket's directory: %s", dir,
			    strerror(errno));
	else if (lstat(dir, &st) < 0)
		r = err_set(err, ERR_IO, "%s: %s", dir, strerror(errno));
	else if (S_ISLNK(st.st_mode))
		r = err_set(err, ERR_INVALID_STATE, "%s: the socket's directory is a symbolic link",
			    dir);
	else if (!S_ISDIR(st.st_mode))
		r = err_set(err, ERR_INVALID_STATE, "%s: the socket's directory is not a directory",
			    dir);
	/* a sticky folder of root's or ours (/tmp) is shared, but nobody else can remove or
	 * replace what we put in it */
	else if (shared_sticky(&st))
		r = 0;
	else if (st.st_uid != geteuid())
		r = err_set(err, ERR_INVALID_STATE, "%s: the socket's directory belongs to uid %u, "
			    "not to uid %u", dir, (unsigned)st.st_uid, (unsigned)geteuid());
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		r = err_set(err, ERR_INVALID_STATE, "%s: the socket's directory is writable by "
			    "others (mode %04o)", dir, (unsigned)(st.st_mode & 07777));
	free(dir);
	return r;
}

static const char *file_kind(mode_t mode)
{
	if (S_ISREG(mode))
		return "a regular file";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISLNK(mode))
		return "a symbolic link";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	return "not a socket";
}

/* what is at the socket's path may only go when it is a stale socket of ours (a crashed
 * daemon's: nothing answers it).  a live daemon's socket, another user's, and anything
 * that is not a socket stay where they are, and we do not start */
static int clear_path(const char *path, const struct sockaddr_un *sa, struct error *err)
{
	struct stat st;
	int probe, r, e;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : err_set(err, ERR_IO, "%s: %s", path, strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return err_set(err, ERR_INVALID_STATE, "%s is %s, not a socket: not replacing it",
			       path, file_kind(st.st_mode));
	if (st.st_uid != geteuid())
		return err_set(err, ERR_INVALID_STATE, "%s is a socket of uid %u, not ours: not "
			       "replacing it", path, (unsigned)st.st_uid);
	/* non-blocking: a live daemon with a full backlog must not hang our start */
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (probe < 0)
		return err_set(err, ERR_IO, "socket: %s", strerror(errno));
	r = connect(probe, (const struct sockaddr *)sa, sizeof(*sa));
	e = errno;
	close(probe);
	if (r == 0)
		return err_set(err, ERR_INVALID_STATE, "another audiod is listening on %s", path);
	if (e != ECONNREFUSED)
		return err_set(err, ERR_INVALID_STATE, "%s: cannot tell whether a daemon listens "
			       "there (%s): not replacing it", path, strerror(e));
	if (unlink(path) < 0 && errno != ENOENT)
		return err_set(err, ERR_IO, "%s: cannot remove the stale socket: %s", path,
			       strerror(errno));
	log_info("%s: removed a stale socket", path);
	return 0;
}

static int listen_path(const char *path, struct error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (path[0] == '\0')
		return err_set(err, ERR_INVALID_VALUE, "the socket path is empty");
	if (strlen(path) >= sizeof(sa.sun_path))
		return err_set(err, ERR_INVALID_VALUE, "%s: path too long for a socket", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (check_dir(path, err) < 0 || clear_path(path, &sa, err) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_set(err, ERR_IO, "socket: %s", strerror(errno));
	/* bind never replaces a file: one that appeared since is EADDRINUSE and stays */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err_set(err, ERR_IO, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (chmod(path, 0600) < 0 || listen(fd, 64) < 0) {
		err_set(err, ERR_IO, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);	/* ours: bind made it */
		return -1;
	}
	return fd;
}

static struct server *server_init(const struct server_config *cfg, struct core *core,
				  struct error *err)
{
	struct server *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		err_set(err, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	s->cfg = *cfg;
	s->core = core;
	s->listen_fd = -1;
	s->start_ns = server_now_ns();
	s->decode = decode_new();
	if (s->decode == NULL) {
		err_set(err, ERR_INTERNAL, "cannot start the decoding thread");
		free(s);
		return NULL;
	}
	s->hrtf.path = cfg->hrtf;
	engine_set_hrtf_loader(core_engine(core), hrtf_cache_get, &s->hrtf);
	s->lv2 = lv2_host_new();
	if (s->lv2 == NULL) {
		err_set(err, ERR_INTERNAL, "out of memory");
		decode_free(s->decode);
		free(s);
		return NULL;
	}
	engine_set_plugin_host(core_engine(core), lv2_instantiate, s->lv2);
	s->media = media_host_new();
	if (s->media == NULL) {
		err_set(err, ERR_INTERNAL, "out of memory");
		lv2_host_unref(s->lv2);
		decode_free(s->decode);
		free(s);
		return NULL;
	}
	engine_set_media_host(core_engine(core), media_open, s->media);
	/* what each node kind costs to render here, for the render load quotas */
	s->costs = cost_measure(engine_sample_rate(core_engine(core)),
				engine_channels(core_engine(core)));
	if (s->costs)
		log_info("render cost per node and quantum: gain %.2f us, oscillator %.2f us, "
			 "biquad %.2f us, panner %.2f us, convolver %.2f us",
			 cost_of(s->costs, "GainNode") / 1e3, cost_of(s->costs, "OscillatorNode") / 1e3,
			 cost_of(s->costs, "BiquadFilterNode") / 1e3,
			 cost_of(s->costs, "PannerNode") / 1e3, cost_of(s->costs, "ConvolverNode") / 1e3);
	return s;
}

static struct server *server_finish(struct server *s, struct error *err)
{
	int fl = fcntl(s->listen_fd, F_GETFL);

	if (fl >= 0)
		fcntl(s->listen_fd, F_SETFL, fl | O_NONBLOCK);
	if (session_create(s, "default", false, err) == NULL) {
		server_free(s);
		return NULL;
	}
	return s;
}

struct server *server_new_fd(const struct server_config *cfg, struct core *core, int fd,
			     struct error *err)
{
	struct server *s = server_init(cfg, core, err);

	if (s == NULL)
		return NULL;
	s->listen_fd = fd;
	return server_finish(s, err);
}

struct server *server_new(const struct server_config *cfg, struct core *core, int listen_fd,
			  struct error *err)
{
	struct server *s;

	if (listen_fd >= 0)
		return server_new_fd(cfg, core, listen_fd, err);
	s = server_init(cfg, core, err);
	if (s == NULL)
		return NULL;
	s->socket_path = cfg->socket ? strdup(cfg->socket) : default_path(err);
	if (s->socket_path == NULL) {
		if (err->code == ERR_OK)
			err_set(err, ERR_INTERNAL, "out of memory");
		server_free(s);
		return NULL;
	}
	s->listen_fd = listen_path(s->socket_path, err);
	if (s->listen_fd < 0) {
		free(s->socket_path);
		s->socket_path = NULL;
		server_free(s);
		return NULL;
	}
	log_info("listening on %s", s->socket_path);
	return server_finish(s, err);
}

void server_free(struct server *s)
{
	if (s == NULL)
		return;
	while (s->clients) {
		struct client *c = s->clients;

		s->clients = c->next;
		forget_client(s, c);
		client_free(s, c);
	}
	decode_free(s->decode);
	cost_free(s->costs);
	hrtf_cache_fini(&s->hrtf);	/* the engine keeps its own reference */
	lv2_host_unref(s->lv2);		/* each plugin instance keeps one */
	media_host_unref(s->media);	/* and each media stream */
	/* the nodes go with the engine; buffers are ours */
	session_collect(s, true);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->socket_path) {
		unlink(s->socket_path);
		free(s->socket_path);
	}
	free(s->fl);
	free(s);
}

/* --- the loop ----------------------------------------------------------------------------- */

static void reap(struct server *s)
{
	struct client **pp = &s->clients, *c;

	while ((c = *pp) != NULL) {
		if (c->dead) {
			*pp = c->next;
			forget_client(s, c);
			client_free(s, c);
		} else {
			pp = &c->next;
		}
	}
}

static bool busy_sessions(const struct server *s)
{
	for (const struct session *x = s->sessions; x; x = x->next)
		if (x->fading)
			return true;
	return false;
}

/* nodes and connections ended with `at` leave the renderer's plan once their time passed */
static void collect(struct server *s)
{
	struct engine *e = core_engine(s->core);
	struct engine_op *op = NULL;
	struct error err = { 0 };

	if (!engine_collect_pending(e) || core_space(s->core) == 0)
		return;
	if (engine_collect(e, &op, &err) < 0)
		log_warn("collecting ended nodes: %s", err.msg);
	else if (op)
		server_submit(s, NULL, op, 0, server_now_ns(), false);
}

int server_run(struct server *s, int sigfd)
{
	struct pollfd *pfd = NULL;
	size_t cap = 0, n, i;
	struct client *c;

	for (;;) {
		if (cap < s->n_clients + 3) {
			cap = s->n_clients + 16;
			free(pfd);
			pfd = malloc(cap * sizeof(*pfd));
			if (pfd == NULL)
				return -ENOMEM;
		}
		pfd[0] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = decode_fd(s->decode), .events = POLLIN };
		n = 3;
		for (c = s->clients; c; c = c->next, n++)
			pfd[n] = (struct pollfd){ .fd = c->fd,
				.events = (short)((client_wants_input(c) ? POLLIN : 0) |
						  (c->out_off < c->out_len ? POLLOUT : 0)) };
		/* the renderer's returns have no fd: look often while commands are in flight */
		if (poll(pfd, n, s->fl_len > 0 || busy_sessions(s) ? 2 : 50) < 0 && errno != EINTR) {
			free(pfd);
			return -errno;
		}
		drain(s);
		collect(s);
		if (pfd[0].revents & POLLIN) {
			free(pfd);
			return 0;
		}
		if (pfd[2].revents & POLLIN)
			decoded(s);
		for (c = s->clients, i = 3; c && i < n; c = c->next, i++) {
			if (pfd[i].revents & (POLLERR | POLLNVAL))
				c->dead = true;
			else if (pfd[i].revents & (POLLIN | POLLHUP))
				client_read(c);
		}
		/* clients whose lines waited (decoder, full output) may go on now */
		for (c = s->clients; c; c = c->next)
			client_process(c);
		if (pfd[1].revents & POLLIN)
			for (i = 0; i < 16; i++)
				accept_one(s);
		session_collect(s, false);
		xrun_check(s);
		session_meter_tick(s);
		persist_tick(s->persist, s, server_now_ns());
		for (c = s->clients; c; c = c->next)
			client_flush(c);
		reap(s);
		if (s->tick)
			s->tick(s->tick_data);
	}
}

void server_set_tick(struct server *s, void (*fn)(void *data), void *data)
{
	s->tick = fn;
	s->tick_data = data;
}
