/* client: one connection to the daemon: its line framing, its descriptors, its replies in
 * request order and its event subscriptions.  server.c owns and serves them.  control thread
 * only. */
#ifndef AUDIOD_CLIENT_H
#define AUDIOD_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;
struct server;
struct session;

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

/* a connection on fd (taken), in the session "default", greeted with the hello event;
 * NULL when out of memory.  the server links it into its list */
struct client *client_new(struct server *s, int fd);
/* closes and frees it (its session left, its waiting replies and descriptors dropped) */
void client_free(struct server *s, struct client *c);
/* reads what is there (and the descriptors with it), handling complete lines */
void client_read(struct client *c);
/* handles the lines that waited (for the decoder, for the client to read) */
void client_process(struct client *c);
/* should its socket be polled for input */
bool client_wants_input(const struct client *c);
/* writes what is queued, without blocking */
void client_flush(struct client *c);
/* queues an event line, unless more than backlog bytes wait for the client: then it is
 * dropped (false) and counted, and the next that fits is preceded by a "dropped" event */
bool client_event(struct client *c, struct json_object *event, size_t backlog);

/* queues a reply (consumed) at the tail of c's reply queue, ready */
void server_reply(struct client *c, struct json_object *reply);
/* a waiting entry at the tail, filled in later with server_complete */
struct pending *server_reply_wait(struct client *c);
void server_complete(struct client *c, struct pending *p, struct json_object *reply);

#endif
