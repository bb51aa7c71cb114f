/* AudioListener as a hidden node kind: the engine creates one instance ("listener") right after
 * the destination, so its AudioParams are automated, connected and computed through the normal
 * node.param path, and every PannerNode reads their values.  process: render thread (a no-op). */
#include <float.h>

#include "node.h"

/* the spec gives every listener param the full float range and the a-rate automation rate,
 * which (unlike PannerNode's) may be changed */
static const struct param_desc listener_params[] = {
	{ .name = "positionX", .def = 0.0f, .min = -FLT_MAX, .max = FLT_MAX },
	{ .name = "positionY", .def = 0.0f, .min = -FLT_MAX, .max = FLT_MAX },
	{ .name = "positionZ", .def = 0.0f, .min = -FLT_MAX, .max = FLT_MAX },
	{ .name = "forwardX", .def = 0.0f, .min = -FLT_MAX, .max = FLT_MAX },
	{ .name = "forwardY", .def = 0.0f, .min = -FLT_MAX, .max = FLT_MAX },
	{ .name = "forwardZ", .def = -1.0f, .min = -FLT_MAX, .max = FLT_MAX },
	{ .name = "upX", .def = 0.0f, .min = -FLT_MAX, .max = FLT_MAX },
	{ .name = "upY", .def = 1.0f, .min = -FLT_MAX, .max = FLT_MAX },
	{ .name = "upZ", .def = 0.0f, .min = -FLT_MAX, .max = FLT_MAX },
};

/* the listener is not an AudioNode: it has no channel attributes to change */
static int listener_check_channels(struct node *n, uint32_t count, enum count_mode mode,
				   enum interp interp, struct error *err)
{
	(void)n;
	if (count != 2 || mode != COUNT_EXPLICIT || interp != INTERP_SPEAKERS)
		return err_set(err, ERR_NOT_SUPPORTED,
			       "the AudioListener has no channel attributes");
	return 0;
}

static void listener_process(struct node *n, const struct render_ctx *ctx)
{
	(void)n;
	(void)ctx;	/* the engine computed the params; panners read n->params[].values */
}

const struct node_kind listener_kind = {
	.name = "AudioListener",
	.size = sizeof(struct node),
	.inputs = 0,
	.outputs = 0,
	.channel_count = 2,
	.count_mode = COUNT_EXPLICIT,
	.interp = INTERP_SPEAKERS,
	.params = listener_params,
	.n_params = sizeof(listener_params) / sizeof(listener_params[0]),
	.listener = true,
	.check_channels = listener_check_channels,
	.process = listener_process,
};
