/* output: the PipeWire playback stream that plays the audio ring.
 * output_new/start/stop/free/get_stats: control thread.  the stream's process callback runs
 * on PipeWire's real-time data thread and only reads the ring, pads silence and calls the
 * wake function; everything else (state changes, reconnecting after the server goes away)
 * runs on the output's own PipeWire loop thread. */
#ifndef AUDIOD_OUTPUT_H
#define AUDIOD_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>

struct ring;
struct output;

struct output_config {
	uint32_t rate;			/* Hz */
	uint32_t channels;		/* 1..32; must match the ring */
	uint32_t latency;		/* frames asked for as node.latency; 0: server default */
	bool auto_port_config;		/* give the stream ports without a session manager
					 * (tests link it with pw-link) */
	const char *node_name;		/* NULL: "audiod" */
	const char *target;		/* target.object; NULL: the session manager's choice */
};

/* called from the real-time process callback after each cycle: must not block, allocate
 * or lock */
typedef void (*output_wake_fn)(void *data);

struct output_stats {
	uint64_t cycles;		/* process() calls */
	uint64_t xruns;			/* graph cycles the stream missed (clock jumps) */
	uint64_t reconnects;		/* times the stream was rebuilt after losing the server */
	uint32_t quantum;		/* frames of the last cycle */
	uint32_t delay;			/* frames from the stream to the device, last cycle */
	bool streaming;			/* the stream is in state STREAMING */
	bool rt;			/* the data thread runs SCHED_FIFO or SCHED_RR */
};

/* pw_init() must have been called.  the ring and wake data must outlive the output. */
struct output *output_new(const struct output_config *cfg, struct ring *ring,
			  output_wake_fn wake, void *wake_data);
void output_free(struct output *o);

/* starts the loop thread and connects; when the server is not there yet, keeps retrying
 * every 0.5 s in the background.  0 or a negative errno. */
int output_start(struct output *o);
/* disconnects and joins the loop thread */
void output_stop(struct output *o);

/* an inactive stream stays connected but is not scheduled, so the device can suspend; it
 * stays inactive across reconnections until made active again */
void output_set_active(struct output *o, bool active);

void output_get_stats(const struct output *o, struct output_stats *st);

#endif
