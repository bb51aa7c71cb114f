/* media: the engine's view of an audio stream that comes from or goes to the outside (what
 * MediaStreamAudioSourceNode captures and MediaStreamAudioDestinationNode publishes).  the
 * engine does no I/O and knows no sound server: whoever makes an engine gives it a host
 * (engine_set_media_host; daemon/media.c is one, over PipeWire) that opens streams.
 * control thread: the host's open, a stream's stats and close.
 * render thread: a stream's read and write, nothing else (no allocation, lock, log, I/O). */
#ifndef AUDIOD_MEDIA_H
#define AUDIOD_MEDIA_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

enum media_dir {
	MEDIA_CAPTURE,		/* from a source (or a sink's monitor) into the graph */
	MEDIA_SOURCE,		/* from the graph out as a source other programs record */
	MEDIA_PLAYBACK,		/* from the graph out as a playback stream of its own */
};

struct media_request {
	enum media_dir dir;
	const char *target;	/* capture, playback: a node name or serial; NULL: the default */
	bool capture_sink;	/* capture: target is a sink, its monitor is captured */
	const char *name;	/* source, playback: the node's name; NULL: the host's */
	const char *app;	/* playback: the application's name; NULL: the host's */
	const char *role;	/* playback: the media role ("Music"); NULL: none */
	uint32_t channels;	/* the channels read or written (1..MAX_CHANNELS): what
				 * the stream asks the server for, which converts */
	double rate;
};

struct media_stats {
	double latency;		/* s: what the stream adds (buffered plus the server's) */
	uint64_t underruns;	/* the reader found too little */
	uint64_t overruns;	/* the writer found no room, or the reader dropped frames */
};

struct media_stream {
	uint32_t channels;	/* the request's */
	void *handle;		/* the host's */
	/* render, capture: fills data[0..channels) with `frames` (<= 128) frames; false, with
	 * nothing written, while the stream has nothing to give (the node is then silent) */
	bool (*read)(void *handle, float *const *data, uint32_t frames);
	/* render, source and playback: `frames` frames of data[0..channels); data NULL:
	 * silence */
	void (*write)(void *handle, const float *const *data, uint32_t frames);
	/* control: the counters so far */
	void (*stats)(void *handle, struct media_stats *st);
	/* control: stops the stream and frees it; the render thread no longer calls it */
	void (*close)(struct media_stream *ms);
};

/* what engine_set_media_host takes: opens a stream without waiting for the server (a
 * capture stream is silent until it is linked), or NULL with err set (not_supported for a
 * channel count outside 1..MAX_CHANNELS, io when the server refuses) */
typedef struct media_stream *(*media_open_fn)(void *data, const struct media_request *rq,
					      struct error *err);

#endif
