/* AudioDestinationNode: the engine's output.  its mixed input is what engine_render returns.
 * process: render thread. */
#include "engine.h"
#include "node.h"

static int destination_check_channels(struct node *n, uint32_t count, enum count_mode mode,
				      enum interp interp, struct error *err)
{
	/* the output format is fixed by the context (document channels, PipeWire stream) */
	if (n->n_inputs && count != engine_channels(n->engine))
		return err_set(err, ERR_NOT_SUPPORTED,
			       "channelCount: the destination has %u channels",
			       engine_channels(n->engine));
	if (mode != COUNT_EXPLICIT)
		return err_set(err, ERR_NOT_SUPPORTED,
			       "channelCountMode: the destination's is \"explicit\"");
	return 0;
}

static void destination_process(struct node *n, const struct render_ctx *ctx)
{
	(void)n;
	(void)ctx;	/* the engine reads n->in[0] directly */
}

const struct node_kind destination_kind = {
	.name = "AudioDestinationNode",
	.size = sizeof(struct node),
	.inputs = 1,
	.outputs = 0,
	.channel_count = 2,
	.count_mode = COUNT_EXPLICIT,
	.interp = INTERP_SPEAKERS,
	.check_channels = destination_check_channels,
	.process = destination_process,
};
