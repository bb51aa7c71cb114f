/* graph documents (PROTOCOL.md §6): load, validate, build into an engine, render offline.
 * control thread (or a plain single-threaded program). */
#ifndef AUDIOD_DOCUMENT_H
#define AUDIOD_DOCUMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/error.h"

struct document;
struct json_object;

/* what the buffers of one document may take together, unless the caller says otherwise */
#define DOCUMENT_BUFFER_BYTES_DEFAULT (UINT64_C(4) << 30)

/* reads and validates a document file; buffers (files, generated) are loaded and the graph is
 * built into a fresh engine.  the samples of all its buffers together may take at most
 * buffer_bytes (0: DOCUMENT_BUFFER_BYTES_DEFAULT); each is refused with ERR_LIMIT before it is
 * allocated when it would go over.  NULL with err set; err->msg names the JSON path of the
 * fault ("nodes[3].options.frequency: expected a number"). */
struct document *document_load_file(const char *path, uint64_t buffer_bytes, struct error *err);
/* same for an already parsed object; base_dir resolves relative file paths */
struct document *document_load_json(struct json_object *doc, const char *base_dir,
				    uint64_t buffer_bytes, struct error *err);
void document_free(struct document *d);

struct engine;
struct engine_op;
struct codec_env;
struct node;
struct audio_buffer;
struct value;

/* how a saved document names what the engine holds */
struct document_namer {
	bool (*saved)(void *data, const struct node *n);	/* is n part of the document? */
	/* the document's name of n (any node: a connection may lead out of the document) */
	const char *(*name)(void *data, const struct node *n, char *buf, size_t size);
	/* the document's name of a buffer an attribute holds; NULL: not expressible */
	const char *(*buffer)(void *data, const struct audio_buffer *b);
	void *data;
};
/* a document a live session loads (`load`), before it is built: its top-level fields, no
 * events or probes (ERR_NOT_SUPPORTED: those are for offline rendering), buffers an object,
 * nodes an array whose ids are names a client may give (codec_check_new_name).  0 or -1
 * with err set, paths starting with "document" */
int document_check_live(struct json_object *doc, struct error *err);

/* the engine's graph as its control-side model has it, as a document that document_build
 * makes again: sampleRate, length (one second), channels, nodes (options, props, params,
 * start/stop), listener, connections.  buffers are the caller's to add.  control side. */
struct json_object *document_save(struct engine *e, const struct document_namer *nm);
/* an attribute's value as a document gives it; NULL when it cannot be expressed */
struct json_object *document_value_json(const struct value *v, const struct document_namer *nm);

/* the graph part of a document (nodes with options, props and params, the listener,
 * connections, then start/stop) prepared against a live engine through env's names and
 * buffers.  emit receives each op prepared, in order, and owns it (0 to go on, -1 with err
 * set to stop).  no header, buffers, events or probes are read; no batch is opened.  0, or -1
 * with err set (ops emitted before the fault were emitted: the caller commits or undoes them). */
int document_build(struct engine *e, struct json_object *doc, const struct codec_env *env,
		   int (*emit)(void *data, struct engine_op *op, struct error *err), void *data,
		   struct error *err);

double document_sample_rate(const struct document *d);
uint32_t document_channels(const struct document *d);
uint64_t document_length(const struct document *d);	/* frames */

/* an output buffer for document_render (length * channels floats); free() it */
float *document_alloc_output(const struct document *d);

/* renders the whole document into out (length * channels interleaved floats), applying
 * its timed events at quantum boundaries.  progress (may be NULL) is called now and then.
 * deterministic: the same document gives the same bits.  0 or -1 with err set. */
int document_render(struct document *d, float *out,
		    void (*progress)(uint64_t done, uint64_t total, void *data), void *data,
		    struct error *err);

/* probe results after document_render, as a JSON array (owned by the document; NULL when
 * the document has no probes) */
struct json_object *document_probes(struct document *d);

#endif
