/* decode: worker threads that build AudioBuffers from BUFSPECs (files, descriptors a client
 * sent, generated signals, inline samples) so the control loop never waits on a disk or a
 * decoder, and that keep a copy of what they read from a descriptor.
 * decode_new/free/push/pop/fd and decode_job_free: control thread; the worker only touches
 * a job's input (text, fds) and result fields between push and pop. */
#ifndef AUDIOD_DECODE_H
#define AUDIOD_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/error.h"

struct audio_buffer;
struct client;
struct pending;
struct json_object;

enum decode_kind {
	DECODE_BUFFER,		/* text: one BUFSPEC */
	DECODE_BUFFERS,		/* text: an object of name -> BUFSPEC (a document's "buffers") */
};

struct decode_job {
	struct decode_job *next;
	enum decode_kind kind;
	char *text;			/* JSON, owned by the job */
	double rate;			/* the context rate */
	char path[128];			/* JSON path for messages */
	uint64_t max_bytes;		/* sample memory the results may take (session quota) */
	const void *owner;		/* jobs of one owner (a session) run one at a time */
	/* the descriptors the request sent, by the index K of its {"fd": K} specs: owned by
	 * the job (-1: none, or taken by the spec that read it); the rest close with the job */
	int *fds;
	size_t n_fds;
	/* where a copy of each buffer read from a descriptor is written, as a 32-bit float
	 * WAV named after the session and the buffer (NULL: no copies are kept) */
	char *copy_dir;
	char *copy_session;
	char *copy_name;		/* DECODE_BUFFER: the buffer's name */

	/* control side only: who waits for it (client NULL once it has gone) */
	struct client *client;
	struct pending *pending;
	struct json_object *req;	/* the request, one reference */
	uint64_t receipt_ns;

	/* results (worker) */
	struct error err;		/* code ERR_OK on success */
	char warning[512];		/* a buffer kept without its copy, for the reply */
	struct audio_buffer *buf;	/* DECODE_BUFFER */
	char *copy;			/* its copy's path (a descriptor's buffer), or NULL */
	size_t n;			/* DECODE_BUFFERS */
	char **names;
	struct audio_buffer **bufs;
	char **copies;			/* per buffer, as copy */
};

struct decode;

/* starts the workers; NULL on failure */
struct decode *decode_new(void);
/* stops the workers and frees every job still queued or done */
void decode_free(struct decode *d);
/* readable when finished jobs are waiting */
int decode_fd(const struct decode *d);
void decode_push(struct decode *d, struct decode_job *job);
/* a finished job, or NULL */
struct decode_job *decode_pop(struct decode *d);
/* frees a job and whatever it still holds: the descriptors no spec took are closed and the
 * copies nobody took (set to NULL) are removed */
void decode_job_free(struct decode_job *job);

#endif
