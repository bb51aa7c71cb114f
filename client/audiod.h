/* libaudiod: the C client library of audiod.  one connection to the daemon's socket speaking
 * the JSON-lines protocol (PROTOCOL.md): requests, replies in order, events.
 *
 * Threads: the library has no global state.  A connection (audiod_conn) is not thread-safe:
 * use it from one thread at a time (one connection per thread, or serialize every call on it
 * with your own lock).  Different connections may be used from different threads at once.
 * The json_object values the library hands out belong to the caller, who puts them when done.
 *
 * The smallest program:
 *
 *	audiod_conn *c = audiod_connect(NULL, NULL);
 *	if (c == NULL)
 *		return 1;
 *	audiod_create(c, "OscillatorNode", "osc", "{\"frequency\":440}");
 *	audiod_node_connect(c, "osc", "destination", -1, -1);
 *	audiod_start(c, "osc", 0);
 *	sleep(1);
 *	audiod_stop(c, "osc", 0);
 *	audiod_delete(c, "osc");
 *	audiod_disconnect(c);
 */
#ifndef AUDIOD_H
#define AUDIOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#ifdef __cplusplus
extern "C" {
#endif

/* AUDIOD_OK, then one value per protocol error code (in the order PROTOCOL.md §2 lists them),
 * then the failures that happen on the client side */
typedef enum audiod_error {
	AUDIOD_OK = 0,
	AUDIOD_ERR_PARSE,		/* "parse_error" */
	AUDIOD_ERR_TOO_LARGE,		/* "too_large" */
	AUDIOD_ERR_BAD_REQUEST,		/* "bad_request" */
	AUDIOD_ERR_UNKNOWN_OP,		/* "unknown_op" */
	AUDIOD_ERR_UNKNOWN_TYPE,	/* "unknown_type" */
	AUDIOD_ERR_UNKNOWN_NODE,	/* "unknown_node" */
	AUDIOD_ERR_UNKNOWN_PARAM,	/* "unknown_param" */
	AUDIOD_ERR_UNKNOWN_ATTR,	/* "unknown_attr" */
	AUDIOD_ERR_INVALID_VALUE,	/* "invalid_value": the spec's RangeError / TypeError */
	AUDIOD_ERR_INDEX_SIZE,		/* "index_size": IndexSizeError */
	AUDIOD_ERR_INVALID_STATE,	/* "invalid_state": InvalidStateError */
	AUDIOD_ERR_NOT_SUPPORTED,	/* "not_supported": NotSupportedError */
	AUDIOD_ERR_CYCLE,		/* "cycle": no longer sent (a cycle without a DelayNode is
					 * allowed and muted); kept for older daemons */
	AUDIOD_ERR_BUSY,		/* "busy": nothing was applied, retry */
	AUDIOD_ERR_LIMIT,		/* "limit" */
	AUDIOD_ERR_IO,			/* "io" */
	AUDIOD_ERR_FORBIDDEN,		/* "forbidden" */
	AUDIOD_ERR_INTERNAL,		/* "internal" */
	/* client side */
	AUDIOD_ERR_DISCONNECTED,	/* the daemon closed the connection */
	AUDIOD_ERR_SYSTEM,		/* a system call failed: errno says why */
	AUDIOD_ERR_TIMEOUT,		/* nothing arrived in time */
	AUDIOD_ERR_PROTOCOL,		/* the daemon sent something the protocol does not allow */
	AUDIOD_ERR_UNKNOWN,		/* an error code this library does not know (a newer daemon) */
} audiod_error;

typedef struct audiod_conn audiod_conn;

/* the protocol's code string for err ("unknown_node"), or a name for the client-side ones
 * ("disconnected", "system", "timeout", "protocol", "unknown"); "ok" for AUDIOD_OK */
const char *audiod_error_name(audiod_error err);

/* the enum value for a protocol code string; AUDIOD_ERR_UNKNOWN when code is not one */
audiod_error audiod_error_from_name(const char *code);

/* the socket path as the daemon finds it: $AUDIOD_SOCKET, else
 * $XDG_RUNTIME_DIR/audiod/socket.  0 on success; -ENOENT when neither variable is set,
 * -ENAMETOOLONG when the path does not fit in size bytes or in a sockaddr_un. */
int audiod_socket_path(char *buf, size_t size);

/* connects to path (NULL: audiod_socket_path()) and reads the daemon's hello.  NULL on
 * failure with *err set (err may be NULL): AUDIOD_ERR_SYSTEM with errno (ENOENT or
 * ECONNREFUSED when the daemon is not running), AUDIOD_ERR_FORBIDDEN when the daemon refused
 * us, AUDIOD_ERR_DISCONNECTED or AUDIOD_ERR_PROTOCOL when the hello did not come. */
audiod_conn *audiod_connect(const char *path, audiod_error *err);

/* the same over an already connected stream socket, which the connection then owns (closed
 * even on failure) */
audiod_conn *audiod_connect_fd(int fd, audiod_error *err);

/* closes the connection and frees everything it holds; NULL is fine */
void audiod_disconnect(audiod_conn *conn);

/* the hello event's fields.  the session is the hello's until audiod_session() succeeds. */
uint32_t audiod_sample_rate(const audiod_conn *conn);
uint32_t audiod_channels(const audiod_conn *conn);
uint32_t audiod_quantum(const audiod_conn *conn);
const char *audiod_server_version(const audiod_conn *conn);
const char *audiod_session_name(const audiod_conn *conn);
/* the whole hello event, owned by the connection */
json_object *audiod_hello(const audiod_conn *conn);

/* the message of the last error on this connection ("" after success): the daemon's message,
 * or a description of the client-side failure */
const char *audiod_error_message(const audiod_conn *conn);

/* the socket, for poll(): readable means audiod_next_event() may have something.  lines may
 * already be buffered, so drain with audiod_next_event(conn, 0, ...) before polling again. */
int audiod_fd(const audiod_conn *conn);

/* how long (ms) request calls wait for a reply; -1 (the default) waits forever */
void audiod_set_timeout(audiod_conn *conn, int timeout_ms);

/* --- requests --- */

/* sends req and waits for its reply.  req is not consumed; when it has no "id" one is added
 * (a number), except in the ops where "id" names the node (create, delete, set, start, stop,
 * get, analyser).  replies come in request order; an id the request carried must come back.  returns AUDIOD_OK when the reply says ok, the error's enum when it says not ok
 * (the message is in audiod_error_message()), or a client-side error.  *reply (reply may be
 * NULL) gets the whole reply whenever one arrived, NULL otherwise.  replies to requests sent
 * earlier with audiod_send() are kept for audiod_recv_reply(); events are queued for
 * audiod_next_event(). */
audiod_error audiod_request(audiod_conn *conn, json_object *req, json_object **reply);

/* the most descriptors one request may carry: the daemon keeps no more waiting */
#define AUDIOD_FDS_MAX 16

/* audiod_request() passing open file descriptors along (SCM_RIGHTS) for the request's
 * {"fd": K} BUFSPECs (PROTOCOL.md §6, §13): fds[K] is the one K names, so the daemon reads
 * files it could not open itself.  the daemon gets its own copies: the caller still owns
 * fds and closes them when it likes.  more than AUDIOD_FDS_MAX is AUDIOD_ERR_LIMIT and
 * nothing is sent; n 0 is audiod_request(). */
audiod_error audiod_request_fds(audiod_conn *conn, json_object *req, const int *fds, size_t n,
				json_object **reply);

/* the same with the request as JSON text (one object) */
audiod_error audiod_request_text(audiod_conn *conn, const char *json, json_object **reply);

/* pipelining: audiod_send() sends without waiting (adds an id as audiod_request does);
 * audiod_recv_reply() waits for the reply of the oldest request sent with audiod_send() and not
 * yet collected, and returns as audiod_request() does.  audiod_pending() counts the requests
 * still waiting to be collected. */
audiod_error audiod_send(audiod_conn *conn, json_object *req);
audiod_error audiod_recv_reply(audiod_conn *conn, json_object **reply);
size_t audiod_pending(const audiod_conn *conn);

/* the next event ({"event": ...}), waiting up to timeout_ms (-1: forever, 0: only what has
 * arrived).  AUDIOD_ERR_TIMEOUT when none came; AUDIOD_ERR_SYSTEM with errno EINTR when a
 * signal interrupted the wait (nothing is lost: call again). */
audiod_error audiod_next_event(audiod_conn *conn, int timeout_ms, json_object **event);

/* --- helpers: one op each, as PROTOCOL.md §3-5 names them.  they return as audiod_request();
 * "JSON text" arguments are parsed here (AUDIOD_ERR_PARSE when they are not JSON) and may be
 * NULL to leave the field out.  a negative output/input leaves that field out. --- */

/* {"op":"session"}: attach to session name, creating it */
audiod_error audiod_session(audiod_conn *conn, const char *name, bool ephemeral);
/* {"op":"hello"}: name this client in `sessions` and `stats` */
audiod_error audiod_hello_client(audiod_conn *conn, const char *client);

/* id may be NULL (the daemon picks one: see the reply's "id"); options is JSON text */
audiod_error audiod_create(audiod_conn *conn, const char *type, const char *id,
			   const char *options);
audiod_error audiod_delete(audiod_conn *conn, const char *id);
/* to is a node or "node.param" */
audiod_error audiod_node_connect(audiod_conn *conn, const char *from, const char *to,
				 int output, int input);
/* to may be NULL: every disconnect() overload */
audiod_error audiod_node_disconnect(audiod_conn *conn, const char *from, const char *to,
				    int output, int input);
/* value is JSON text: "\"square\"", "true", "2" */
audiod_error audiod_set(audiod_conn *conn, const char *id, const char *attr, const char *value);
/* target is "node.param"; nargs numbers follow: audiod_param(c, "g.gain",
 * "linearRampToValueAtTime", 2, 0.0, 2.5); "value" and "automationRate" as in the protocol
 * (use audiod_param_json for the latter and for setValueCurveAtTime's array) */
audiod_error audiod_param(audiod_conn *conn, const char *target, const char *method,
			  int nargs, ...);
/* args is JSON text of the whole args array */
audiod_error audiod_param_json(audiod_conn *conn, const char *target, const char *method,
			       const char *args);
audiod_error audiod_start(audiod_conn *conn, const char *id, double when);
/* AudioBufferSourceNode.start(when, offset, duration); a NaN duration leaves it out */
audiod_error audiod_start_buffer(audiod_conn *conn, const char *id, double when,
				 double offset, double duration);
audiod_error audiod_stop(audiod_conn *conn, const char *id, double when);
/* spec is JSON text of a BUFSPEC (PROTOCOL.md §6) */
audiod_error audiod_buffer(audiod_conn *conn, const char *name, const char *spec);
/* a sound file, opened here (read-only) and sent as a descriptor ({"fd":0}): it works when
 * the daemon cannot see the path (PrivateTmp, ProtectHome).  resample: convert to the
 * context rate (decodeAudioData).  a file that cannot be opened is AUDIOD_ERR_SYSTEM with
 * errno set and the message naming it, and nothing is sent. */
audiod_error audiod_buffer_file(audiod_conn *conn, const char *name, const char *path,
				bool resample);
audiod_error audiod_free_buffer(audiod_conn *conn, const char *name);
/* *reply gets the whole reply (attributes and current param values) */
audiod_error audiod_get(audiod_conn *conn, const char *id, json_object **reply);
/* *document gets the session's graph document (a new reference) */
audiod_error audiod_save(audiod_conn *conn, json_object **document);
/* document is not consumed */
audiod_error audiod_load(audiod_conn *conn, json_object *document, bool replace);
/* waits until the daemon applied every earlier command; *frame (may be NULL) gets the frame */
audiod_error audiod_sync(audiod_conn *conn, uint64_t *frame);
/* *current_time (may be NULL) gets the context time in seconds */
audiod_error audiod_time(audiod_conn *conn, double *current_time);
/* events: NULL-terminated names ("ended", "xrun", "session", "meter") */
audiod_error audiod_subscribe(audiod_conn *conn, const char *const *events);
audiod_error audiod_unsubscribe(audiod_conn *conn, const char *const *events);

#ifdef __cplusplus
}
#endif

#endif
