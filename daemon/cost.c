/* cost: what one node of each kind costs the render thread per quantum on this machine and
 * build, measured once at startup on a private engine.  the control thread adds up a
 * session's nodes with it and refuses a graph that would outgrow the session's share of the
 * quantum before the renderer ever runs it.  control thread only. */
#include "cost.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/buffer.h"
#include "engine/engine.h"
#include "engine/node.h"
#include "media.h"

#define COPIES 8	/* nodes of a kind measured together */
#define QUANTA 24	/* rendered per measurement */
#define ROUNDS 3	/* measurements; the fastest counts (the least disturbed) */

struct cost_table {
	double ns[64];		/* by index in node_kinds[] */
};

static double clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* res and *op come from one engine_op_*() call: *op is read only after it returned */
static bool exec(struct engine *e, int res, struct engine_op **op)
{
	if (res == 0)
		engine_exec(e, *op);
	return res == 0;
}

/* options that make a kind do its real work: a buffer to convolve or play, a curve, a filter */
static size_t options_for(const struct node_kind *k, struct audio_buffer *ir, struct option *o)
{
	static const double ff[] = { 0.1, 0.2, 0.1 }, fb[] = { 1.0, -0.5, 0.2 };
	static const double curve[] = { -1.0, -0.5, 0.0, 0.5, 1.0 };

	if (strcmp(k->name, "ConvolverNode") == 0 || strcmp(k->name, "AudioBufferSourceNode") == 0) {
		o[0] = (struct option){ "buffer", { .type = VALUE_BUFFER, .buf = ir } };
		if (strcmp(k->name, "AudioBufferSourceNode") != 0)
			return 1;
		o[1] = (struct option){ "loop", { .type = VALUE_BOOL, .b = true } };
		return 2;
	}
	if (strcmp(k->name, "IIRFilterNode") == 0) {
		o[0] = (struct option){ "feedforward", { .type = VALUE_ARRAY, .arr = { ff, 3 } } };
		o[1] = (struct option){ "feedback", { .type = VALUE_ARRAY, .arr = { fb, 3 } } };
		return 2;
	}
	if (strcmp(k->name, "WaveShaperNode") == 0) {
		o[0] = (struct option){ "curve", { .type = VALUE_ARRAY, .arr = { curve, 5 } } };
		return 1;
	}
	return 0;
}

/* an engine with a playing sawtooth and `copies` nodes of kind k (fed by it, or playing
 * themselves) on the destination; NULL when the kind cannot be built so */
static struct engine *bench_engine(double rate, uint32_t channels, const struct node_kind *k,
				   int copies, struct audio_buffer *ir)
{
	static const struct option saw = { "type", { .type = VALUE_STRING, .str = "sawtooth" } };
	struct error err = { 0 };
	struct engine *e = engine_new(rate, channels, &err);
	struct engine_op *op;
	struct option opts[2];
	size_t n_opts = k ? options_for(k, ir, opts) : 0;
	char name[32];
	bool ok;

	if (e == NULL)
		return NULL;
	engine_set_media_host(e, media_open_dry, NULL);	/* MediaStream nodes, unheard */
	ok = exec(e, engine_op_create(e, "OscillatorNode", "src", &saw, 1, &op, &err), &op) &&
	     exec(e, engine_op_start(e, "src", NAN, NAN, NAN, &op, &err), &op) &&
	     exec(e, engine_op_connect(e, "src", "destination", -1, -1, &op, &err), &op);
	for (int i = 0; ok && i < copies; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		ok = exec(e, engine_op_create(e, k->name, name, opts, n_opts, &op, &err), &op) &&
		     (k->outputs == 0 ?	/* MediaStreamAudioDestinationNode: fed */
		      exec(e, engine_op_connect(e, "src", name, -1, -1, &op, &err), &op) :
		      exec(e, engine_op_connect(e, name, "destination", -1, -1, &op, &err), &op));
		if (ok && k->source)
			ok = exec(e, engine_op_start(e, name, NAN, NAN, NAN, &op, &err), &op);
		else if (ok && k->inputs > 0 && k->outputs > 0)
			ok = exec(e, engine_op_connect(e, "src", name, -1, -1, &op, &err), &op);
	}
	if (!ok) {
		engine_free(e);
		return NULL;
	}
	return e;
}

/* ns per quantum of rendering e, the least of ROUNDS runs of QUANTA */
static double bench(struct engine *e)
{
	double best = INFINITY, t;

	engine_render(e);	/* first touch of every buffer */
	for (int r = 0; r < ROUNDS; r++) {
		t = clock_ns();
		for (int q = 0; q < QUANTA; q++)
			engine_render(e);
		t = (clock_ns() - t) / QUANTA;
		best = t < best ? t : best;
	}
	return best;
}

struct cost_table *cost_measure(double rate, uint32_t channels)
{
	struct cost_table *t = calloc(1, sizeof(*t));
	struct error err = { 0 };
	struct audio_buffer *ir = audio_buffer_new(2, (uint32_t)rate, rate, &err);
	struct engine *e;
	double base, most = 0.0;

	if (t == NULL || ir == NULL) {
		audio_buffer_unref(ir);
		free(t);
		return NULL;
	}
	/* a one-second decaying noise: a reverb's impulse response, or a loop to play */
	for (uint32_t c = 0; c < ir->channels; c++)
		for (uint32_t i = 0; i < ir->length; i++)
			ir->data[c][i] = (float)(((i * 2654435761u + c) >> 16 & 0xff) / 128.0 - 1.0) *
					 expf(-6.0f * (float)i / (float)ir->length);
	e = bench_engine(rate, channels, NULL, 0, ir);
	base = e ? bench(e) : 0.0;
	engine_free(e);
	for (int i = 0; i < node_kinds_count && i < 64; i++) {
		const struct node_kind *k = node_kinds[i];

		if (k->listener || strcmp(k->name, "AudioDestinationNode") == 0 ||
		    strcmp(k->name, "LV2Node") == 0)
			continue;
		e = bench_engine(rate, channels, k, COPIES, ir);
		/* a kind that cannot be measured is taken to cost a whole quantum's budget */
		t->ns[i] = e ? fmax(bench(e) - base, 0.0) / COPIES : QUANTUM * 1e9 / rate;
		engine_free(e);
		most = fmax(most, t->ns[i]);
	}
	/* what a plugin costs is known only once it runs: an LV2Node counts as much as the
	 * dearest built-in kind */
	for (int i = 0; i < node_kinds_count && i < 64; i++)
		if (strcmp(node_kinds[i]->name, "LV2Node") == 0)
			t->ns[i] = most;
	audio_buffer_unref(ir);
	return t;
}

void cost_free(struct cost_table *t)
{
	free(t);
}

double cost_of(const struct cost_table *t, const char *kind)
{
	for (int i = 0; i < node_kinds_count && i < 64; i++)
		if (strcmp(node_kinds[i]->name, kind) == 0)
			return t->ns[i];
	return 0.0;
}
