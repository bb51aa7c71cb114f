/* systemd integration: socket activation, readiness, status, watchdog, stopping.
 * every call is a no-op outside systemd (no NOTIFY_SOCKET, no LISTEN_FDS).
 * control thread only. */
#ifndef AUDIOD_NOTIFY_H
#define AUDIOD_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/* the listening socket systemd passed (named "control", or the only one), or -1 */
int notify_listen_fd(void);
/* READY=1 with a status line */
void notify_ready(const char *status);
/* STATUS=<one line> */
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* the watchdog interval systemd asked for (µs), 0 when none */
uint64_t notify_watchdog_usec(void);
/* WATCHDOG=1: call only after checking the render thread made progress */
void notify_watchdog(void);
/* STOPPING=1 */
void notify_stopping(void);

#endif
