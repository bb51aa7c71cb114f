/* server: the control thread's event loop and its state: the listening socket, the clients
 * (client.h) and sessions (session.h), commands in flight to the renderer, the decoding
 * worker.  control thread only, except where decode.h says otherwise. */
#ifndef AUDIOD_SERVER_H
#define AUDIOD_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "client.h"
#include "config.h"
#include "engine/error.h"
#include "protocol/hrtf.h"
#include "protocol/lv2.h"
#include "session.h"

struct core;
struct cost_table;
struct decode;
struct persist;
struct json_object;
struct audio_buffer;
struct engine_op;
struct media_host;

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
/* does c have a command up to tag `upto` that the renderer has not applied yet? */
bool server_outstanding(const struct server *s, const struct client *c, uint64_t upto);

/* an edit whose `at` is further ahead than this waits in its session's timeline on the
 * control side, not in the render queue all sessions share */
#define SERVER_HOLD_AHEAD_MS 500

#endif
