/* systemd integration through libsystemd's sd-daemon.  control thread only. */
#include <stdarg.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "notify.h"

int notify_listen_fd(void)
{
	char **names = NULL;
	int n, i, fd = -1;

	n = sd_listen_fds_with_names(1, &names);
	if (n <= 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (names && names[i] && strcmp(names[i], "control") == 0 && fd < 0)
			fd = SD_LISTEN_FDS_START + i;
	}
	if (fd < 0 && n == 1)
		fd = SD_LISTEN_FDS_START;
	for (i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
	if (fd >= 0 && sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) <= 0)
		return -1;
	return fd;
}

void notify_ready(const char *status)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void notify_status(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	sd_notifyf(0, "STATUS=%s", line);
}

uint64_t notify_watchdog_usec(void)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return usec;
}

void notify_watchdog(void)
{
	sd_notify(0, "WATCHDOG=1");
}

void notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}
