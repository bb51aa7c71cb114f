/* LV2Node: an LV2 plugin, made by the engine's plugin host (plugin.h), run as one node.
 * the plugin's audio inputs are the channels of the node's one input (channelCount is their
 * number, channelCountMode "explicit"; none: no input), its audio outputs the channels of
 * its one output.  each control input port is a k-rate AudioParam named by the port's symbol
 * (the value at the start of each quantum: a plugin reads one value per run), each CV input
 * an a-rate one; control and CV outputs are run but not exposed.
 * describe, init, options, fini: control thread (instantiate, connect every port, destroy).
 * process: render thread: activate once, then copy in, run, point the output at the
 * plugin's buffers; no allocation, lock or I/O (the plugin's own code aside). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "node.h"
#include "plugin.h"

/* a plugin keeps the context awake this long after its input last sounded (a delay or a
 * reverb may answer late), and while its output sounds */
#define TAIL_SECONDS 10

struct lv2node {
	struct node node;
	char *uri;
	struct plugin_instance *pi;
	struct param_desc *descs;	/* the node's param_descs */
	uint32_t *param_port;		/* the port of each param */
	uint32_t *in_port, *out_port;	/* audio ports, in port order */
	uint32_t n_in, n_out;
	float *blocks;			/* QUANTUM floats per port, 64-byte aligned */
	float *ctl;			/* one value per port */
	float *outs[MAX_CHANNELS];	/* the audio outputs' blocks */
	/* render */
	bool active;
	uint64_t quiet;			/* frames since input or output last sounded */
};

static float *block(struct lv2node *s, uint32_t port)
{
	return s->blocks + (size_t)port * QUANTUM;
}

/* render: a control port's value for this quantum, as the port takes it */
static float control_value(const struct plugin_port *pp, float v)
{
	if (pp->toggled)
		return v > 0 ? 1.0f : 0.0f;
	return pp->integer ? roundf(v) : v;
}

static void lv2_params(struct lv2node *s)
{
	const struct plugin_port *ports = s->pi->ports;
	struct node *n = &s->node;
	uint32_t j, i;

	for (j = 0; j < n->n_params; j++) {
		const struct param *p = &n->params[j];
		uint32_t port = s->param_port[j];
		float *d;

		if (ports[port].type == PLUGIN_PORT_CONTROL) {
			s->ctl[port] = control_value(&ports[port], p->values[0]);
			continue;
		}
		d = block(s, port);
		if (p->constant)
			for (i = 0; i < QUANTUM; i++)
				d[i] = p->values[0];
		else
			memcpy(d, p->values, sizeof(float) * QUANTUM);
	}
}

static bool block_silent(const float *d)
{
	uint32_t i;

	for (i = 0; i < QUANTUM; i++)
		if (d[i] != 0.0f)
			return false;
	return true;
}

static void lv2_process(struct node *n, const struct render_ctx *ctx)
{
	struct lv2node *s = (struct lv2node *)n;
	const struct bus *in = n->n_inputs ? &n->in[0] : NULL;
	struct bus *out = &n->out[0];
	bool sounds = in == NULL || !in->silent;	/* a generator always may */
	uint32_t k;

	if (!s->active) {
		s->pi->activate(s->pi->handle);
		s->active = true;
	}
	for (k = 0; k < s->n_in; k++) {
		float *d = block(s, s->in_port[k]);
		if (in->silent || k >= in->channels)
			memset(d, 0, sizeof(float) * QUANTUM);
		else
			memcpy(d, in->data[k], sizeof(float) * QUANTUM);
	}
	lv2_params(s);
	s->pi->run(s->pi->handle, QUANTUM);
	bus_borrow_data(out, s->outs, s->n_out);
	out->silent = true;
	for (k = 0; k < s->n_out && out->silent; k++)
		out->silent = block_silent(s->outs[k]);
	s->quiet = sounds || !out->silent ? 0 : s->quiet + QUANTUM;
	n->tail = (double)s->quiet < TAIL_SECONDS * ctx->sample_rate;
}

/* the "uri" option; NULL with err set when missing or not a string */
static const char *uri_option(const struct option *opts, size_t n_opts, struct error *err)
{
	size_t i;

	for (i = 0; i < n_opts; i++) {
		if (strcmp(opts[i].name, "uri") != 0)
			continue;
		if (opts[i].value.type != VALUE_STRING) {
			err_set(err, ERR_BAD_REQUEST, "uri: expected a string, got %s",
				value_type_name(opts[i].value.type));
			return NULL;
		}
		return opts[i].value.str;
	}
	err_set(err, ERR_BAD_REQUEST, "uri: an LV2Node needs the URI of an LV2 plugin "
		"(`audioctl plugins` lists them)");
	return NULL;
}

/* counts the ports the node uses; errors for a plugin it cannot run */
static int check_ports(struct lv2node *s, uint32_t *n_params, struct error *err)
{
	const struct plugin_instance *pi = s->pi;
	uint32_t i;

	*n_params = 0;
	for (i = 0; i < pi->n_ports; i++) {
		const struct plugin_port *pp = &pi->ports[i];
		switch (pp->type) {
		case PLUGIN_PORT_AUDIO:
			if (pp->output)
				s->n_out++;
			else
				s->n_in++;
			break;
		case PLUGIN_PORT_CONTROL:
		case PLUGIN_PORT_CV:
			*n_params += !pp->output;
			break;
		case PLUGIN_PORT_OTHER:
			if (!pp->optional)
				return err_set(err, ERR_NOT_SUPPORTED, "uri: %s has a port LV2Node "
					       "cannot drive (\"%s\": MIDI or atom events)", s->uri,
					       pp->symbol);
			break;
		}
	}
	if (s->n_out == 0)
		return err_set(err, ERR_NOT_SUPPORTED, "uri: %s has no audio output", s->uri);
	if (s->n_in > MAX_CHANNELS || s->n_out > MAX_CHANNELS)
		return err_set(err, ERR_NOT_SUPPORTED, "uri: %s has %u audio inputs and %u "
			       "outputs; LV2Node takes at most %d of each", s->uri, s->n_in, s->n_out,
			       MAX_CHANNELS);
	return 0;
}

/* the AudioParam of a control or CV input: the plugin's range and default (unbounded and 0,
 * or the minimum, where it gives none) */
static struct param_desc port_param(const struct plugin_port *pp)
{
	struct param_desc d = { pp->symbol, 0.0f, -FLT_MAX, FLT_MAX, false, false };

	if (!isnan(pp->min))
		d.min = pp->min;
	if (!isnan(pp->max))
		d.max = pp->max;
	d.def = !isnan(pp->def) ? pp->def : !isnan(pp->min) ? pp->min : 0.0f;
	d.k_rate = pp->type == PLUGIN_PORT_CONTROL;
	d.fixed_rate = d.k_rate;
	return d;
}

static int alloc_ports(struct lv2node *s, uint32_t n_params)
{
	uint32_t n_ports = s->pi->n_ports;

	s->descs = calloc(n_params ? n_params : 1, sizeof(*s->descs));
	s->param_port = calloc(n_params ? n_params : 1, sizeof(*s->param_port));
	s->in_port = calloc(s->n_in ? s->n_in : 1, sizeof(*s->in_port));
	s->out_port = calloc(s->n_out, sizeof(*s->out_port));
	s->ctl = calloc(n_ports ? n_ports : 1, sizeof(*s->ctl));
	s->blocks = aligned_alloc(64, (n_ports ? n_ports : 1) * QUANTUM * sizeof(float));
	if (!s->descs || !s->param_port || !s->in_port || !s->out_port || !s->ctl || !s->blocks)
		return -1;
	memset(s->blocks, 0, (n_ports ? n_ports : 1) * QUANTUM * sizeof(float));
	return 0;
}

/* every port gets a buffer (an optional one it cannot drive: none); params in port order */
static void connect_ports(struct lv2node *s)
{
	const struct plugin_instance *pi = s->pi;
	uint32_t i, np = 0, ni = 0, no = 0;

	for (i = 0; i < pi->n_ports; i++) {
		const struct plugin_port *pp = &pi->ports[i];
		void *data = pp->type == PLUGIN_PORT_CONTROL ? (void *)&s->ctl[i] :
			     pp->type == PLUGIN_PORT_OTHER ? NULL : (void *)block(s, i);

		pi->connect_port(pi->handle, i, data);
		if (pp->type == PLUGIN_PORT_AUDIO && pp->output) {
			s->outs[no] = block(s, i);
			s->out_port[no++] = i;
		} else if (pp->type == PLUGIN_PORT_AUDIO) {
			s->in_port[ni++] = i;
		} else if (pp->type != PLUGIN_PORT_OTHER && !pp->output) {
			s->descs[np] = port_param(pp);
			s->ctl[i] = s->descs[np].def;
			s->param_port[np++] = i;
		}
	}
}

static int lv2_describe(struct node *n, const struct option *opts, size_t n_opts,
			struct error *err)
{
	struct lv2node *s = (struct lv2node *)n;
	const char *uri = uri_option(opts, n_opts, err);
	uint32_t n_params;

	if (uri == NULL)
		return -1;
	if ((s->uri = strdup(uri)) == NULL)
		return err_set(err, ERR_INTERNAL, "out of memory");
	s->pi = engine_plugin_instantiate(n->engine, uri, err);
	if (s->pi == NULL)
		return -1;
	if (check_ports(s, &n_params, err) < 0)
		return -1;
	if (alloc_ports(s, n_params) < 0)
		return err_set(err, ERR_INTERNAL, "out of memory");
	connect_ports(s);
	n->param_descs = s->descs;
	n->n_params = n_params;
	n->n_inputs = s->n_in ? 1 : 0;
	n->n_outputs = 1;
	n->cfg_model.count = s->n_in ? s->n_in : n->kind->channel_count;
	return 0;
}

static int lv2_init(struct node *n, const struct option *opts, size_t n_opts,
		    struct error *err)
{
	static const char *const valid[] = { "uri", NULL };
	size_t i;

	for (i = 0; i < n_opts; i++)
		if (strcmp(opts[i].name, "uri") != 0)
			return node_bad_option(n, opts[i].name, valid, err);
	return 0;
}

static int lv2_check_channels(struct node *n, uint32_t count, enum count_mode mode,
			      enum interp interp, struct error *err)
{
	struct lv2node *s = (struct lv2node *)n;

	(void)interp;
	if (s->n_in == 0)
		return 0;
	if (count != s->n_in)
		return err_set(err, ERR_NOT_SUPPORTED, "channelCount: this plugin takes %u "
			       "channel%s, not %u", s->n_in, s->n_in == 1 ? "" : "s", count);
	if (mode != COUNT_EXPLICIT)
		return err_set(err, ERR_NOT_SUPPORTED, "channelCountMode: an LV2Node's is "
			       "\"explicit\"");
	return 0;
}

static void lv2_options(const struct node *n,
			void (*emit)(void *data, const char *name, const struct value *v),
			void *data)
{
	const struct lv2node *s = (const struct lv2node *)n;
	struct value v = { .type = VALUE_STRING, .str = s->uri };

	emit(data, "uri", &v);
}

static void lv2_fini(struct node *n)
{
	struct lv2node *s = (struct lv2node *)n;

	if (s->pi)
		s->pi->destroy(s->pi, s->active);
	free(s->uri);
	free(s->descs);
	free(s->param_port);
	free(s->in_port);
	free(s->out_port);
	free(s->ctl);
	free(s->blocks);
}

const struct node_kind lv2_kind = {
	.name = "LV2Node",
	.size = sizeof(struct lv2node),
	.inputs = 1,
	.outputs = 1,
	.channel_count = 2,
	.count_mode = COUNT_EXPLICIT,
	.interp = INTERP_SPEAKERS,
	.describe = lv2_describe,
	.init = lv2_init,
	.check_channels = lv2_check_channels,
	.process = lv2_process,
	.options = lv2_options,
	.fini = lv2_fini,
};
