/* persist: persistent sessions kept across restarts as graph documents in
 * $XDG_STATE_HOME/audiod/sessions, and the copies of buffers read from descriptors in
 * $XDG_STATE_HOME/audiod/buffers (persist.c).  control thread only. */
#ifndef AUDIOD_PERSIST_H
#define AUDIOD_PERSIST_H

#include <stdbool.h>
#include <stdint.h>

struct persist;
struct server;
struct session;

/* dir NULL: the default folder.  created (0700) when missing; NULL when it cannot be (a
 * warning is logged and sessions are not kept) */
struct persist *persist_new(const char *dir);
void persist_free(struct persist *p);
const char *persist_dir(const struct persist *p);
/* the absolute folder the copies of buffers read from descriptors go in: "buffers" beside
 * the sessions' folder (its parent's child), made 0700.  NULL when p is NULL */
const char *persist_buffers_dir(const struct persist *p);
/* is file (a BUFSPEC's "file") a copy in that folder, the daemon's own to remove? */
bool persist_is_copy(const struct persist *p, const char *file);

/* at startup, before clients: every saved session is made and built again; then the
 * copies no saved document names are removed */
void persist_restore(struct persist *p, struct server *s);
/* writes the sessions marked dirty, at most about once a second; call it often */
void persist_tick(struct persist *p, struct server *s, uint64_t now_ns);
/* one session now (persistent ones only), and every one (shutdown) */
void persist_save(struct persist *p, struct server *s, struct session *sess);
void persist_save_all(struct persist *p, struct server *s);
/* a closed session's document goes */
void persist_forget(struct persist *p, const char *name);

#endif
