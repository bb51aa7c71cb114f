/* GainNode: output = input * gain (a-rate).  process: render thread. */
#include <float.h>
#include <string.h>

#include "node.h"

static const struct param_desc gain_params[] = {
	{ "gain", 1.0f, -FLT_MAX, FLT_MAX, false, false },
};

static void gain_process(struct node *n, const struct render_ctx *ctx)
{
	const struct bus *in = &n->in[0];
	struct bus *out = &n->out[0];
	const struct param *g = &n->params[0];
	uint32_t c, i;

	(void)ctx;
	if (in->silent || (g->constant && g->values[0] == 0.0f)) {
		bus_silence(out, in->channels);
		return;
	}
	out->channels = in->channels;
	out->silent = false;
	if (g->constant) {
		const float v = g->values[0];
		for (c = 0; c < in->channels; c++) {
			const float *restrict s = in->data[c];
			float *restrict d = out->data[c];
			if (v == 1.0f) {
				memcpy(d, s, sizeof(float) * QUANTUM);
				continue;
			}
			for (i = 0; i < QUANTUM; i++)
				d[i] = s[i] * v;
		}
		return;
	}
	for (c = 0; c < in->channels; c++) {
		const float *restrict s = in->data[c];
		const float *restrict v = g->values;
		float *restrict d = out->data[c];
		for (i = 0; i < QUANTUM; i++)
			d[i] = s[i] * v[i];
	}
}

const struct node_kind gain_kind = {
	.name = "GainNode",
	.size = sizeof(struct node),
	.inputs = 1,
	.outputs = 1,
	.channel_count = 2,
	.count_mode = COUNT_MAX,
	.interp = INTERP_SPEAKERS,
	.params = gain_params,
	.n_params = 1,
	.passive = true,
	.process = gain_process,
};
