/* appstream: a session's own PipeWire playback stream.  the session's bus, instead of
 * feeding the destination, feeds a hidden MediaStreamAudioDestinationNode "S:bus:stream"
 * (stream "playback"): rendered by the one engine in the same pass and on the same clock as
 * everything else, carried by that node's ring to its own stream's real-time callback
 * (daemon/media.c), so desktop mixers show the app's stream with its own volume.  the node
 * goes with the session's other nodes when it closes.
 * control thread only. */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "core.h"
#include "engine/engine.h"
#include "protocol/codec.h"
#include "request.h"
#include "server.h"

/* the stream spec's strings as the node's options: "stream": "playback", channelCount */
static int stream_options(struct engine *e, struct json_object *spec, struct option *o,
			  size_t *n, struct error *err)
{
	static const char *const fields[] = { "application", "role", "target", "name" };
	const char *v;

	if (!json_object_is_type(spec, json_type_object))
		return err_set(err, ERR_BAD_REQUEST, "stream: expected an object");
	if (codec_check_fields(spec, fields, COUNT(fields), "stream.", err) < 0)
		return -1;
	*n = 0;
	o[(*n)++] = (struct option){ "stream", { .type = VALUE_STRING, .str = "playback" } };
	o[(*n)++] = (struct option){ "channelCount",
				     { .type = VALUE_NUMBER, .num = engine_channels(e) } };
	for (int i = 0; i < COUNT(fields); i++) {
		v = NULL;
		if (codec_get_string(spec, fields[i], false, "stream.", &v, err) < 0)
			return -1;
		if (v != NULL)
			o[(*n)++] = (struct option){ fields[i], { .type = VALUE_STRING, .str = v } };
	}
	return 0;
}

/* the node, and the bus moved from the destination onto it, all in one quantum.  on an
 * error the model is put back; *chain is then what must still be committed (or NULL) */
static int stream_ops(struct engine *e, const char *sess, const struct option *o, size_t n,
		      struct engine_op **chain, struct error *err)
{
	char bus[CODEC_NAME_MAX + 8], node[CODEC_NAME_MAX + 16];
	struct engine_op *op = NULL, *done = NULL;
	struct error ignored = { 0 };
	int res;

	snprintf(bus, sizeof(bus), "%s:bus", sess);
	snprintf(node, sizeof(node), "%s:bus:stream", sess);
	engine_batch_begin(e);
	res = engine_op_create(e, "MediaStreamAudioDestinationNode", node, o, n, &op, err);
	if (res == 0) {
		done = op;
		res = engine_op_disconnect(e, bus, "destination", -1, -1, &op, err);
	}
	if (res == 0) {
		done = engine_op_chain(done, op);
		res = engine_op_connect(e, bus, node, -1, -1, &op, err);
	}
	if (res == 0)
		done = engine_op_chain(done, op);
	else if (done != NULL)
		engine_op_undo(e, done);	/* frees it */
	if (res < 0)
		done = NULL;
	op = NULL;
	if (engine_batch_end(e, &op, res < 0 ? &ignored : err) < 0 && res == 0) {
		engine_op_undo(e, done);
		done = NULL;
		res = -1;
	}
	*chain = done && op ? engine_op_chain(done, op) : done ? done : op;
	return res;
}

int session_stream(struct server *s, struct session *sess, struct json_object *spec,
		   struct error *err)
{
	struct engine *e = core_engine(s->core);
	struct option o[6];
	struct engine_op *chain;
	size_t n = 0;
	int res;

	if (stream_options(e, spec, o, &n, err) < 0)
		return -1;
	if (core_space(s->core) == 0)
		return err_set(err, ERR_BUSY, "the render queue is full, retry");
	res = stream_ops(e, sess->name, o, n, &chain, err);
	if (chain != NULL)
		server_submit(s, NULL, chain, 0, server_now_ns(), false);
	if (res < 0)
		return -1;
	sess->stream = json_object_get(spec);
	return 0;
}
