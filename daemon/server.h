/* server: the control thread's event loop and its state: the listening socket, clients with
 * their line framing and ordered replies, sessions, the decoding worker.  shared by
 * server.c (sockets, framing, loop), session.c (sessions, names, buffers) and handler.c
 * (every protocol op).  control thread only, except where decode.h says otherwise. */
#ifndef AUDIOD_SERVER_H
#define AUDIOD_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/error.h"
#include "protocol/hrtf.h"
#include "protocol/lv2.h"

struct core;
struct cost_table;
struct decode;
struct persist;
struct json_object;
struct audio_buffer;
struct engine_op;
struct media_host;

struct server_limits {
	uint32_t clients;		/* connections at once */
	uint32_t nodes;			/* per session */
	uint64_t buffer_bytes;		/* per session */
	uint64_t buffer_bytes_total;	/* all sessions together */
	size_t max_line;		/* bytes, a request line */
	uint32_t queued;		/* per connection: requests waiting for their reply */
	uint32_t held;			/* per session: edits waiting for a later `at` */
	uint32_t held_total;		/* the same, all sessions together */
	uint64_t held_bytes;		/* per session: memory those edits hold */
	uint64_t held_bytes_total;	/* the same, all sessions together */
	uint32_t param_events;		/* automation events scheduled on one AudioParam */
	size_t max_points;		/* values in one array: curves, PeriodicWave terms */
	size_t backlog;			/* bytes queued to a client beyond which events drop */
	uint32_t sessions;		/* live sessions */
	uint32_t client_sessions;	/* sessions one connection may create */
	double session_load;		/* render time a session's graph may take, as a share
					 * of a quantum's duration (by the measured costs) */
	double total_load;		/* the same, all sessions together */
};

/* an edit whose `at` is further ahead than this waits in its session's timeline on the
 * control side, not in the render queue all sessions share */
#define SERVER_HOLD_AHEAD_MS 500

struct server_config {
	const char *socket;		/* NULL: $AUDIOD_SOCKET, else $XDG_RUNTIME_DIR/audiod/socket */
	const char *hrtf;		/* SOFA file; NULL: $AUDIOD_HRTF_SOFA, else the default */
	struct server_limits limits;
};

/* defaults: 64 clients, 4096 nodes and 1 GiB of buffers per session (4 GiB in all), 16 MiB
 * lines, 1024 queued requests per connection, 4096 held edits holding 64 MiB per session
 * (65536 and 256 MiB in all), 4096 automation events per param, arrays of 65536 values,
 * 1 MiB of events queued to a client, 64 sessions, 16 created by one connection, render
 * load 0.5 per session and 0.8 in all */
void server_config_defaults(struct server_config *cfg);

/* event subscriptions */
enum {
	SUB_ENDED = 1 << 0,
	SUB_XRUN = 1 << 1,
	SUB_SESSION = 1 << 2,
	SUB_METER = 1 << 3,
};

/* one reply in a connection's ordered queue */
struct pending {
	struct pending *next;
	struct json_object *reply;	/* NULL while waiting (sync, decoding) */
	uint64_t sync_tag;		/* sync: ready once this command is applied; 0: none */
	struct json_object *waiting;	/* sync: the reply to complete with "frame" */
};

struct session;

/* descriptors (SCM_RIGHTS) a connection may have waiting for the requests that name them
 * (PROTOCOL.md §6): more are closed as they arrive */
#define SERVER_FDS_MAX 16

struct client {
	struct client *next;
	struct server *srv;
	int fd;
	uint64_t serial;		/* for logs */
	char name[64];			/* from the hello op */
	struct session *session;

	char *in;			/* unparsed input */
	size_t in_len, in_cap;
	bool discarding;		/* skipping the rest of an over-long line */
	int fds[SERVER_FDS_MAX];	/* descriptors received, oldest first, owned */
	uint32_t n_fds;
	bool fds_dropped;		/* some were closed for want of room: the next request
					 * naming one is refused (limit) */

	char *out;			/* bytes to write */
	size_t out_len, out_off, out_cap;

	struct pending *head, *tail;	/* replies in request order */
	uint32_t n_pending;
	bool decoding;			/* a buffer or load is with the worker: later lines wait */

	void *job;			/* the decode job in flight (struct decode_job) */
	uint64_t last_tag;		/* newest command submitted, 0: none */
	uint64_t last_frame;		/* latest frame one of ours took effect at */
	uint32_t events;		/* SUB_* */
	uint64_t events_dropped;	/* since the last one that reached it */
	uint32_t sessions_made;		/* sessions this connection created */
	bool dead;			/* closed: freed at the end of the loop iteration */
};

/* a named buffer of a session */
struct sbuf {
	struct sbuf *next;
	char *name;
	struct audio_buffer *buf;	/* one reference */
	struct json_object *spec;	/* the BUFSPEC it came from, for save */
	size_t bytes;
};

/* an edit of a session waiting for its `at` (frame) */
struct held_edit {
	uint64_t at;
	uint64_t tag;
	struct engine_op *op;
	size_t bytes;			/* engine_op_bytes(op) */
};

struct session {
	struct session *next;
	char *name;
	bool ephemeral;
	uint32_t clients;		/* attached connections */
	bool fading;			/* closing: bus ramps down, nodes go at free_frame */
	uint64_t free_frame;
	int meter;			/* meter slot, -1: none */
	struct sbuf *buffers;
	uint64_t buffer_bytes;
	uint32_t nodes;			/* the session's nodes, its bus not counted */
	struct held_edit *held;		/* its timeline: by `at`, then submission */
	uint32_t n_held, held_cap;
	uint64_t held_bytes;
	bool dirty;			/* changed since it was last saved (persist.c) */
	struct json_object *stream;	/* its own playback stream's spec (appstream.c), or
					 * NULL: its bus feeds the destination */
};

/* a command submitted to the renderer, awaiting its return */
struct inflight {
	uint64_t tag;
	struct client *client;		/* NULL: the server's own (fades, frees) */
	uint64_t receipt_ns;		/* CLOCK_MONOTONIC the request arrived */
	uint64_t submit_ns;
	bool timed;			/* had "at": its latency is not the server's */
	bool applied;			/* commands held for a later `at` apply out of order */
	bool internal;			/* the server's own: not a client's command latency */
};

#define LATENCY_BUCKETS 2000		/* 50 us each: up to 100 ms, then one overflow bucket */

struct server {
	struct server_config cfg;
	struct core *core;
	void (*tick)(void *data);	/* server_set_tick */
	void *tick_data;
	struct decode *decode;
	struct cost_table *costs;	/* per node kind, measured at startup */
	struct persist *persist;	/* NULL: sessions are not kept across restarts */
	struct hrtf_cache hrtf;		/* HRTF panners' filters, read on first use */
	struct lv2_host *lv2;		/* LV2Nodes' plugins, read on first use */
	struct media_host *media;	/* MediaStream nodes' PipeWire streams (media.h) */
	int listen_fd;
	char *socket_path;		/* we created it: unlinked at exit; NULL for an fd given */
	struct client *clients;
	uint32_t n_clients;
	uint64_t next_serial;
	struct session *sessions;
	uint32_t meters_used[2];	/* bitmap of RENDER_METERS slots */

	uint64_t next_tag;
	struct inflight *fl;		/* ring of submitted commands, in order */
	size_t fl_head, fl_len, fl_cap;

	uint64_t latency[LATENCY_BUCKETS + 1];
	uint64_t latency_count;
	uint64_t latency_max_ns;
	uint64_t latency_sum_ns;

	uint64_t events_dropped;	/* events not sent to clients that did not read */
	uint32_t n_held;		/* edits in every session's timeline */
	uint64_t held_bytes;		/* and the memory they hold */
	uint64_t start_ns;
	uint64_t last_xruns;
	uint64_t last_meter_ns;
	bool stopping;
};

/* --- server.c ---------------------------------------------------------------------------- */

/* a server on its own listening socket (created at cfg->socket or the default path, its
 * directory 0700), or on listen_fd >= 0 (already listening: socket activation).  NULL with
 * err set. */
struct server *server_new(const struct server_config *cfg, struct core *core, int listen_fd,
			  struct error *err);
/* the listening fd alone (socket activation); cfg->socket is ignored */
struct server *server_new_fd(const struct server_config *cfg, struct core *core, int fd,
			     struct error *err);
void server_free(struct server *s);
/* the loop until sigfd becomes readable (SIGINT/SIGTERM).  0 or -errno. */
/* called from the loop at least every 50 ms (systemd notifications, status) */
void server_set_tick(struct server *s, void (*fn)(void *data), void *data);
int server_run(struct server *s, int sigfd);

uint64_t server_now_ns(void);
/* queues a reply (consumed) at the tail of c's reply queue, ready */
void server_reply(struct client *c, struct json_object *reply);
/* a waiting entry at the tail, filled in later with server_complete */
struct pending *server_reply_wait(struct client *c);
void server_complete(struct client *c, struct pending *p, struct json_object *reply);
/* sends an event line (consumed) to every client subscribed to `mask` */
void server_broadcast(struct server *s, uint32_t mask, struct json_object *event);
/* 0 when client c may submit an edit applying at frame `at` (0: at once): a slot of the
 * render queue, or for an edit further ahead than SERVER_HOLD_AHEAD_MS room in its
 * session's timeline (reserved; *hold is then true).  else -1 with err: busy or limit. */
int server_room(struct server *s, struct client *c, uint64_t at, bool *hold, struct error *err);
/* submits an op chain (room was checked: hold as server_room said); records it for sync
 * and latency */
void server_submit(struct server *s, struct client *c, struct engine_op *op, uint64_t at,
		   uint64_t receipt_ns, bool hold);

/* --- session.c --------------------------------------------------------------------------- */

struct session *session_find(struct server *s, const char *name);
/* creates a live session with its bus; NULL with err set */
struct session *session_create(struct server *s, const char *name, bool ephemeral,
			       struct error *err);
/* moves c to session (NULL: detach), fading out an ephemeral session it leaves empty */
void session_attach(struct server *s, struct client *c, struct session *sess);
/* fades the session out and schedules its nodes and buffers to be freed */
void session_close(struct server *s, struct session *sess);
/* frees the nodes of fading sessions whose fade has played; at shutdown (all) everything */
void session_collect(struct server *s, bool all);
/* the timeline: room for one more edit (0, or -1 with err: limit), then the edit itself */
int session_hold_reserve(struct server *s, struct session *sess, struct error *err);
/* room for an edit prepared for the timeline that holds `bytes` (0, or -1 with err: limit) */
int session_hold_fits(struct server *s, struct session *sess, size_t bytes, struct error *err);
void session_hold(struct server *s, struct session *sess, struct engine_op *op, uint64_t at,
		  uint64_t tag);
/* moves the edits due before frame `upto` (all of a closing session's) to the render queue
 * while it has room */
void session_release(struct server *s, struct session *sess, uint64_t upto);
/* engine name of a client's node name: "x" -> "S:x", "destination" -> "S:bus", "s/x" ->
 * "s:x", "listener" stays.  0 or -1 with err set (too long). */
int session_map(const struct session *sess, const char *name, char *out, size_t size,
		struct error *err);
/* the client's name for an engine node name, relative to sess ("S:x" -> "x", "s:x" ->
 * "s/x") */
const char *session_unmap(const struct session *sess, const char *ename, char *buf, size_t size);
/* true when the engine name belongs to sess (its bus included) */
bool session_owns(const struct session *sess, const char *ename);
/* removes "S:" prefixes from an error message */
void session_strip(const struct session *sess, struct error *err);

struct sbuf *session_buffer(struct session *sess, const char *name);
/* adds or replaces a named buffer (takes buf's reference and a reference to spec).  a copy
 * in the daemon's buffers folder (a buffer read from a descriptor, persist.h) that the
 * buffer replaced leaves no longer named by any session's buffer is removed, after the
 * session's document stops naming it */
void session_buffer_put(struct server *s, struct session *sess, const char *name,
			struct audio_buffer *buf, struct json_object *spec);
/* the same for a buffer freed */
int session_buffer_free(struct server *s, struct session *sess, const char *name,
			struct error *err);
/* the session's buffer holding b, or NULL */
struct sbuf *session_buffer_of(struct session *sess, const struct audio_buffer *b);
uint32_t session_count_nodes(struct server *s, const struct session *sess);
/* the render time per quantum its nodes take by the measured costs (ns); NULL: every
 * session's */
double session_cost(struct server *s, const struct session *sess);
/* a {"sessions":[...]} entry list */
struct json_object *session_list(struct server *s);
/* meter events, a few times a second */
void session_meter_tick(struct server *s);

/* --- appstream.c ------------------------------------------------------------------------- */

/* gives a session just created its own PipeWire playback stream: spec {"application",
 * "role", "target", "name"} (all optional strings).  0, or -1 with err set */
int session_stream(struct server *s, struct session *sess, struct json_object *spec,
		   struct error *err);

/* --- handler.c --------------------------------------------------------------------------- */

/* one request line, parsed; exactly one reply is queued for it, now or later */
void handler_request(struct client *c, struct json_object *req, uint64_t receipt_ns);
/* the session as a graph document (what `save` replies with); the caller owns it */
struct json_object *handler_save(struct server *s, struct session *sess);
/* builds a saved document into a session, synchronously (buffers decoded here, relative
 * files taken from base_dir): the daemon's own load, at startup.  0 or -1 with err set. */
int handler_restore(struct server *s, struct session *sess, struct json_object *doc,
		    const char *base_dir, struct error *err);
/* a decode job came back */
void handler_decoded(struct server *s, void *job);
/* a command of c was applied at frame (sync replies) */
void handler_applied(struct client *c, uint64_t tag, uint64_t frame);
/* does c have a command up to tag `upto` that the renderer has not applied yet? */
bool server_outstanding(const struct server *s, const struct client *c, uint64_t upto);

#endif
