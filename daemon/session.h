/* session: a named graph of one app or more: its bus into the destination, its node names,
 * its buffers, and its timeline of edits held for a later `at`.  control thread only. */
#ifndef AUDIOD_SESSION_H
#define AUDIOD_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/error.h"

struct audio_buffer;
struct client;
struct engine_op;
struct json_object;
struct server;

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

/* appstream.c: gives a session just created its own PipeWire playback stream: spec
 * {"application", "role", "target", "name"} (all optional strings).  0, or -1 with err set */
int session_stream(struct server *s, struct session *sess, struct json_object *spec,
		   struct error *err);

#endif
