/* ConstantSourceNode: a scheduled source whose output is its offset param (a-rate).
 * process: render thread. */
#include <float.h>
#include <string.h>

#include "node.h"

static const struct param_desc constant_params[] = {
	{ "offset", 1.0f, -FLT_MAX, FLT_MAX, false, false },
};

static void constant_process(struct node *n, const struct render_ctx *ctx)
{
	struct bus *out = &n->out[0];
	const struct param *p = &n->params[0];
	uint32_t from, to, i;
	float *d = out->data[0];

	if (!node_sched_range(n, ctx, &from, &to)) {
		bus_silence(out, 1);
		return;
	}
	out->channels = 1;
	out->silent = false;
	if (from)
		memset(d, 0, sizeof(float) * from);
	if (p->constant)
		for (i = from; i < to; i++)
			d[i] = p->values[0];
	else
		memcpy(d + from, p->values + from, sizeof(float) * (to - from));
	if (to < QUANTUM)
		memset(d + to, 0, sizeof(float) * (QUANTUM - to));
}

const struct node_kind constant_kind = {
	.name = "ConstantSourceNode",
	.size = sizeof(struct node),
	.inputs = 0,
	.outputs = 1,
	.channel_count = 2,
	.count_mode = COUNT_MAX,
	.interp = INTERP_SPEAKERS,
	.params = constant_params,
	.n_params = 1,
	.source = true,
	.process = constant_process,
};
