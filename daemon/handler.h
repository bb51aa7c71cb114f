/* handler: the protocol's ops for one client (PROTOCOL.md §2-5), and the daemon's own save
 * and restore of a session.  control thread only. */
#ifndef AUDIOD_HANDLER_H
#define AUDIOD_HANDLER_H

#include <stdint.h>

#include "engine/error.h"

struct client;
struct json_object;
struct server;
struct session;

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

#endif
