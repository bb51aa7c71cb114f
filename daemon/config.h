/* config: what the daemon's control side is configured with (options.c fills it, server.c
 * keeps it): the socket, the HRTF file, and every quota a client meets.  plain data. */
#ifndef AUDIOD_CONFIG_H
#define AUDIOD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

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

#endif
