/* ChannelSplitterNode and ChannelMergerNode: route channels to and from mono ports.
 * init/check: control thread.  process: render thread. */
#include <math.h>
#include <string.h>

#include "node.h"

/* numberOfOutputs / numberOfInputs: 1..32, else IndexSizeError */
static int port_count(struct node *n, const struct option *opts, size_t n_opts,
		      const char *name, uint32_t *count, struct error *err)
{
	static const char *const valid_split[] = { "numberOfOutputs", NULL };
	static const char *const valid_merge[] = { "numberOfInputs", NULL };
	size_t i;

	for (i = 0; i < n_opts; i++) {
		double d;
		if (strcmp(opts[i].name, name) != 0)
			return node_bad_option(n, opts[i].name,
					       name[8] == 'O' ? valid_split : valid_merge, err);
		if (option_number(&opts[i], &d, err) < 0)
			return -1;
		if (d != floor(d) || d < 1 || d > MAX_CHANNELS)
			return err_set(err, ERR_INDEX_SIZE, "%s: %g is not an integer in 1..%d",
				       name, d, MAX_CHANNELS);
		*count = (uint32_t)d;
	}
	return 0;
}

static int splitter_init(struct node *n, const struct option *opts, size_t n_opts,
			 struct error *err)
{
	uint32_t count = 6;

	if (port_count(n, opts, n_opts, "numberOfOutputs", &count, err) < 0)
		return -1;
	n->n_outputs = count;
	n->cfg_model.count = count;	/* the spec fixes channelCount to numberOfOutputs */
	return 0;
}

static int splitter_check_channels(struct node *n, uint32_t count, enum count_mode mode,
				   enum interp interp, struct error *err)
{
	if (count != n->n_outputs)
		return err_set(err, ERR_INVALID_STATE,
			       "channelCount: a ChannelSplitterNode's is its numberOfOutputs (%u)",
			       n->n_outputs);
	if (mode != COUNT_EXPLICIT)
		return err_set(err, ERR_INVALID_STATE,
			       "channelCountMode: a ChannelSplitterNode's is \"explicit\"");
	if (interp != INTERP_DISCRETE)
		return err_set(err, ERR_INVALID_STATE,
			       "channelInterpretation: a ChannelSplitterNode's is \"discrete\"");
	return 0;
}

static void splitter_process(struct node *n, const struct render_ctx *ctx)
{
	const struct bus *in = &n->in[0];
	uint32_t o;

	(void)ctx;
	for (o = 0; o < n->n_outputs; o++) {
		struct bus *out = &n->out[o];
		if (in->silent || o >= in->channels) {
			bus_silence(out, 1);
			continue;
		}
		out->channels = 1;
		out->silent = false;
		memcpy(out->data[0], in->data[o], sizeof(float) * QUANTUM);
	}
}

static int merger_init(struct node *n, const struct option *opts, size_t n_opts,
		       struct error *err)
{
	uint32_t count = 6;

	if (port_count(n, opts, n_opts, "numberOfInputs", &count, err) < 0)
		return -1;
	n->n_inputs = count;
	return 0;
}

static int merger_check_channels(struct node *n, uint32_t count, enum count_mode mode,
				 enum interp interp, struct error *err)
{
	(void)n;
	(void)interp;
	if (count != 1)
		return err_set(err, ERR_INVALID_STATE,
			       "channelCount: a ChannelMergerNode's is 1");
	if (mode != COUNT_EXPLICIT)
		return err_set(err, ERR_INVALID_STATE,
			       "channelCountMode: a ChannelMergerNode's is \"explicit\"");
	return 0;
}

static void merger_process(struct node *n, const struct render_ctx *ctx)
{
	struct bus *out = &n->out[0];
	bool silent = true;
	uint32_t i;

	(void)ctx;
	for (i = 0; i < n->n_inputs; i++)
		silent = silent && n->in[i].silent;
	if (silent) {
		bus_silence(out, n->n_inputs);
		return;
	}
	out->channels = n->n_inputs;
	out->silent = false;
	for (i = 0; i < n->n_inputs; i++) {
		if (n->in[i].silent)
			memset(out->data[i], 0, sizeof(float) * QUANTUM);
		else
			memcpy(out->data[i], n->in[i].data[0], sizeof(float) * QUANTUM);
	}
}

static void splitter_options(const struct node *n,
			     void (*emit)(void *data, const char *name, const struct value *v),
			     void *data)
{
	struct value v = { .type = VALUE_NUMBER, .num = n->n_outputs };

	emit(data, "numberOfOutputs", &v);
}

static void merger_options(const struct node *n,
			   void (*emit)(void *data, const char *name, const struct value *v),
			   void *data)
{
	struct value v = { .type = VALUE_NUMBER, .num = n->n_inputs };

	emit(data, "numberOfInputs", &v);
}

const struct node_kind splitter_kind = {
	.name = "ChannelSplitterNode",
	.size = sizeof(struct node),
	.inputs = 1,
	.outputs = 6,
	.channel_count = 6,
	.count_mode = COUNT_EXPLICIT,
	.interp = INTERP_DISCRETE,
	.init = splitter_init,
	.check_channels = splitter_check_channels,
	.options = splitter_options,
	.process = splitter_process,
};

const struct node_kind merger_kind = {
	.name = "ChannelMergerNode",
	.size = sizeof(struct node),
	.inputs = 6,
	.outputs = 1,
	.channel_count = 1,
	.count_mode = COUNT_EXPLICIT,
	.interp = INTERP_SPEAKERS,
	.init = merger_init,
	.check_channels = merger_check_channels,
	.options = merger_options,
	.process = merger_process,
};
