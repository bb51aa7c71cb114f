/* media: the daemon's media host (engine/media.h) over PipeWire: each MediaStream node gets a
 * pw_stream of its own (capture, a source other programs record, or an app's own playback
 * stream) and a lock-free ring between that stream's real-time callback and the render
 * thread.  control thread: everything here. */
#ifndef AUDIOD_MEDIA_HOST_H
#define AUDIOD_MEDIA_HOST_H

#include "engine/error.h"

struct media_host;
struct media_request;
struct media_stream;

/* a host with one reference; its PipeWire connection is made on the first open */
struct media_host *media_host_new(void);
/* each stream keeps one reference: the host goes with the last */
void media_host_unref(struct media_host *h);

/* engine_set_media_host's open: data is the host */
struct media_stream *media_open(void *data, const struct media_request *rq, struct error *err);
/* the same without a sound server: streams that carry nothing (validating a document) */
struct media_stream *media_open_dry(void *data, const struct media_request *rq,
				    struct error *err);

#endif
