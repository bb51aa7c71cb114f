/* engine: graph edits, processing order, cycles, scheduling and ended events, through the
 * public engine API only. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "engine/node.h"
#include "graph-helpers.h"

static struct engine *make(double rate, uint32_t channels)
{
	struct error err = { 0 };
	struct engine *e = engine_new(rate, channels, &err);

	assert_non_null(e);
	return e;
}

/* renders one quantum and returns channel c's sample i */
static float sample(const struct bus *b, uint32_t c, uint32_t i)
{
	return b->silent ? 0.0f : b->data[c][i];
}

static void constant_through_gains_multiplies(void **state)
{
	struct engine *e = make(48000, 1);
	struct option c = num("offset", 0.5), g1 = num("gain", 0.5), g2 = num("gain", -3);
	const struct bus *b;
	int i;

	(void)state;
	create(e, "ConstantSourceNode", "c", &c, 1);
	create(e, "GainNode", "g1", &g1, 1);
	create(e, "GainNode", "g2", &g2, 1);
	connect_at(e, "c", "g1", -1, -1);
	connect_at(e, "g1", "g2", -1, -1);
	connect_at(e, "g2", "destination", -1, -1);
	start_at(e, "c", 0);
	b = engine_render(e);
	for (i = 0; i < QUANTUM; i++)
		assert_float_equal(sample(b, 0, i), -0.75f, 0.0f);
	assert_int_equal(engine_frame(e), QUANTUM);
	engine_free(e);
}

static void fan_in_sums_at_the_input(void **state)
{
	struct engine *e = make(48000, 1);
	struct option a = num("offset", 0.25), b2 = num("offset", 0.125);
	const struct bus *b;

	(void)state;
	create(e, "ConstantSourceNode", "a", &a, 1);
	create(e, "ConstantSourceNode", "b", &b2, 1);
	connect_at(e, "a", "destination", -1, -1);
	connect_at(e, "b", "destination", -1, -1);
	connect_at(e, "b", "destination", -1, -1);	/* a second identical connect is a no-op */
	start_at(e, "a", 0);
	start_at(e, "b", 0);
	b = engine_render(e);
	assert_float_equal(sample(b, 0, 77), 0.375f, 0.0f);
	engine_free(e);
}

static void source_starts_and_stops_on_the_first_frame_at_or_after_the_time(void **state)
{
	struct engine *e = make(48000, 1);
	struct engine_op *op = NULL;
	struct error err = { 0 };
	struct engine_event ev;
	const struct bus *b;

	(void)state;
	create(e, "ConstantSourceNode", "c", NULL, 0);
	connect_at(e, "c", "destination", -1, -1);
	/* 10.5 frames -> first frame 11; stop at 100.2 frames -> frames 11..100 play */
	start_at(e, "c", 10.5 / 48000);
	ok(e, engine_op_stop(e, "c", 100.2 / 48000, &op, &err), &op, &err);
	b = engine_render(e);
	assert_float_equal(sample(b, 0, 10), 0.0f, 0.0f);
	assert_float_equal(sample(b, 0, 11), 1.0f, 0.0f);
	assert_float_equal(sample(b, 0, 100), 1.0f, 0.0f);
	assert_float_equal(sample(b, 0, 101), 0.0f, 0.0f);
	assert_true(engine_event_pop(e, &ev));
	assert_int_equal(ev.type, ENGINE_EVENT_ENDED);
	assert_string_equal(engine_node_name(e, ev.node_id), "c");
	assert_true(fabs(ev.time - 100.2 / 48000) < 1e-12);
	assert_false(engine_event_pop(e, &ev));
	engine_free(e);
}

static void start_twice_and_stop_before_start_are_invalid_state(void **state)
{
	struct engine *e = make(48000, 1);
	struct engine_op *op = NULL;
	struct error err = { 0 };

	(void)state;
	create(e, "ConstantSourceNode", "c", NULL, 0);
	assert_int_equal(engine_op_stop(e, "c", 1, &op, &err), -1);
	assert_int_equal(err.code, ERR_INVALID_STATE);
	start_at(e, "c", 0);
	assert_int_equal(engine_op_start(e, "c", 1, NAN, NAN, &op, &err), -1);
	assert_int_equal(err.code, ERR_INVALID_STATE);
	assert_int_equal(engine_op_start(e, "destination", 1, NAN, NAN, &op, &err), -1);
	assert_int_equal(err.code, ERR_INVALID_STATE);
	engine_free(e);
}

/* prepares and executes an op that must succeed */
#define DO(e, call)                                                                        \
	do {                                                                               \
		struct engine_op *op_ = NULL;                                              \
		struct error err_ = { 0 };                                                 \
		ok((e), engine_op_##call, &op_, &err_);                                    \
	} while (0)

/* one quantum's sample 0 and 127 of channel 0, which must agree */
static float level(struct engine *e)
{
	const struct bus *b = engine_render(e);

	assert_float_equal(sample(b, 0, 0), sample(b, 0, 127), 0.0f);
	return sample(b, 0, 0);
}

static void cycle_without_delay_is_muted_until_it_is_broken(void **state)
{
	struct engine *e = make(48000, 1);
	struct option half = num("offset", 0.5);

	(void)state;
	/* c -> g1 -> g2 -> destination, then g2 -> g1 and g2 -> g1.gain close cycles */
	create(e, "ConstantSourceNode", "c", &half, 1);
	create(e, "GainNode", "g1", NULL, 0);
	create(e, "GainNode", "g2", NULL, 0);
	connect(e, "c", "g1");
	connect(e, "g1", "g2");
	connect(e, "g2", "destination");
	start_at(e, "c", 0);
	assert_float_equal(level(e), 0.5f, 0.0f);
	connect(e, "g2", "g1");
	connect(e, "g2", "g1.gain");
	assert_float_equal(level(e), 0.0f, 0.0f);
	assert_true(engine_render(e)->silent);
	/* the param edge still closes a cycle */
	DO(e, disconnect(e, "g2", "g1", -1, -1, &op_, &err_));
	assert_float_equal(level(e), 0.0f, 0.0f);
	/* broken: the source is heard again */
	DO(e, disconnect(e, "g2", "g1.gain", -1, -1, &op_, &err_));
	assert_float_equal(level(e), 0.5f, 0.0f);
	/* a node feeding itself is a cycle too */
	connect(e, "g2", "g2");
	assert_float_equal(level(e), 0.0f, 0.0f);
	DO(e, disconnect(e, "g2", "g2", -1, -1, &op_, &err_));
	assert_float_equal(level(e), 0.5f, 0.0f);
	engine_free(e);
}

static void muted_cycle_stays_muted_across_unrelated_edits(void **state)
{
	struct engine *e = make(48000, 1);
	struct option quarter = num("offset", 0.25), two = num("gain", 2);
	struct value ch = { .type = VALUE_NUMBER, .num = 1 };
	const double three_at_0[] = { 3, 0 };

	(void)state;
	/* c -> a <-> b, a -> destination (muted); k -> destination (heard) */
	create(e, "ConstantSourceNode", "c", NULL, 0);
	create(e, "ConstantSourceNode", "k", &quarter, 1);
	create(e, "GainNode", "a", NULL, 0);
	create(e, "GainNode", "b", NULL, 0);
	connect(e, "c", "a");
	connect(e, "a", "b");
	connect(e, "b", "a");
	connect(e, "a", "destination");
	connect(e, "k", "destination");
	start_at(e, "c", 0);
	start_at(e, "k", 0);
	assert_float_equal(level(e), 0.25f, 0.0f);
	/* new plans, a new node, a channel change on a muted node, a param change */
	create(e, "GainNode", "x", &two, 1);
	connect(e, "k", "x");
	connect(e, "x", "destination");
	assert_float_equal(level(e), 0.75f, 0.0f);
	DO(e, set(e, "a", "channelCount", &ch, &op_, &err_));
	DO(e, param(e, "b.gain", "setValueAtTime", three_at_0, 2, NULL, 0, NULL, &op_, &err_));
	assert_float_equal(level(e), 0.75f, 0.0f);
	DO(e, delete(e, "x", &op_, &err_));
	assert_float_equal(level(e), 0.25f, 0.0f);
	/* deleting b breaks the cycle: a plays c again */
	DO(e, delete(e, "b", &op_, &err_));
	assert_float_equal(level(e), 1.25f, 0.0f);
	engine_free(e);
}

static void cycle_through_a_delay_feeds_back_next_to_a_muted_one(void **state)
{
	struct engine *e = make(48000, 1);
	struct option zero_delay = num("delayTime", 0), half = num("gain", 0.5);

	(void)state;
	/* c -> g -> d -> g, g -> destination: feedback through the delay; and c -> m1 <-> m2,
	 * m2 -> destination: muted */
	create(e, "ConstantSourceNode", "c", NULL, 0);
	create(e, "GainNode", "g", &half, 1);
	create(e, "DelayNode", "d", &zero_delay, 1);
	create(e, "GainNode", "m1", NULL, 0);
	create(e, "GainNode", "m2", NULL, 0);
	connect(e, "c", "g");
	connect(e, "g", "d");
	connect(e, "d", "g");
	connect(e, "g", "destination");
	connect(e, "c", "m1");
	connect(e, "m1", "m2");
	connect(e, "m2", "m1");
	connect(e, "m2", "destination");
	start_at(e, "c", 0);
	assert_float_equal(level(e), 0.5f, 0.0f);
	assert_float_equal(level(e), 0.75f, 1e-7);
	assert_float_equal(level(e), 0.875f, 1e-7);
	/* a loop g -> g without the delay: g is muted (and d's write step reads silence) */
	connect(e, "g", "g");
	assert_float_equal(level(e), 0.0f, 0.0f);
	DO(e, disconnect(e, "g", "g", -1, -1, &op_, &err_));
	/* d was fed the muted g's silence: the feedback starts over */
	assert_float_equal(level(e), 0.5f, 0.0f);
	assert_float_equal(level(e), 0.75f, 1e-7);
	engine_free(e);
}

static void errors_name_the_nearest_valid_name(void **state)
{
	struct engine *e = make(48000, 2);
	struct engine_op *op = NULL;
	struct error err = { 0 };
	struct option bad = num("gian", 1);

	(void)state;
	assert_int_equal(engine_op_create(e, "GainNod", "g", NULL, 0, &op, &err), -1);
	assert_int_equal(err.code, ERR_UNKNOWN_TYPE);
	assert_string_equal(err.msg, "unknown node type \"GainNod\", did you mean \"GainNode\"?");
	assert_int_equal(engine_op_create(e, "GainNode", "g", &bad, 1, &op, &err), -1);
	assert_int_equal(err.code, ERR_BAD_REQUEST);
	assert_string_equal(err.msg, "gian: unknown option for GainNode, did you mean \"gain\"?");
	create(e, "GainNode", "g", NULL, 0);
	assert_int_equal(engine_op_param(e, "g.gane", "value", (double[]){ 1 }, 1, NULL, 0, NULL,
					 &op, &err), -1);
	assert_int_equal(err.code, ERR_UNKNOWN_PARAM);
	assert_string_equal(err.msg, "GainNode has no AudioParam \"gane\", did you mean \"gain\"?");
	assert_int_equal(engine_op_connect(e, "g", "nope", -1, -1, &op, &err), -1);
	assert_int_equal(err.code, ERR_UNKNOWN_NODE);
	assert_int_equal(engine_op_connect(e, "g", "destination", 1, -1, &op, &err), -1);
	assert_int_equal(err.code, ERR_INDEX_SIZE);
	assert_int_equal(engine_op_create(e, "GainNode", "g", NULL, 0, &op, &err), -1);
	assert_int_equal(err.code, ERR_INVALID_STATE);
	engine_free(e);
}

static void disconnect_overloads_remove_only_matching_edges(void **state)
{
	struct engine *e = make(48000, 1);
	struct option a = num("offset", 1);
	struct engine_op *op = NULL;
	struct error err = { 0 };
	const struct bus *b;

	(void)state;
	create(e, "ConstantSourceNode", "c", &a, 1);
	create(e, "GainNode", "g1", NULL, 0);
	create(e, "GainNode", "g2", NULL, 0);
	connect_at(e, "c", "g1", -1, -1);
	connect_at(e, "c", "g2", -1, -1);
	connect_at(e, "g1", "destination", -1, -1);
	connect_at(e, "g2", "destination", -1, -1);
	start_at(e, "c", 0);
	b = engine_render(e);
	assert_float_equal(sample(b, 0, 0), 2.0f, 0.0f);
	ok(e, engine_op_disconnect(e, "c", "g2", -1, -1, &op, &err), &op, &err);
	b = engine_render(e);
	assert_float_equal(sample(b, 0, 0), 1.0f, 0.0f);
	ok(e, engine_op_disconnect(e, "c", NULL, -1, -1, &op, &err), &op, &err);
	b = engine_render(e);
	assert_float_equal(sample(b, 0, 0), 0.0f, 0.0f);
	assert_int_equal(engine_op_disconnect(e, "c", NULL, 1, -1, &op, &err), -1);
	assert_int_equal(err.code, ERR_INDEX_SIZE);
	engine_free(e);
}

static void param_connection_adds_to_the_param_value(void **state)
{
	struct engine *e = make(48000, 1);
	struct option one = num("offset", 1), mod = num("offset", 0.5), g = num("gain", 0.25);
	const struct bus *b;

	(void)state;
	create(e, "ConstantSourceNode", "c", &one, 1);
	create(e, "ConstantSourceNode", "m", &mod, 1);
	create(e, "GainNode", "g", &g, 1);
	connect_at(e, "c", "g", -1, -1);
	connect_at(e, "m", "g.gain", -1, -1);
	connect_at(e, "g", "destination", -1, -1);
	start_at(e, "c", 0);
	start_at(e, "m", 0);
	b = engine_render(e);
	assert_float_equal(sample(b, 0, 5), 0.75f, 0.0f);
	engine_free(e);
}

static void splitter_and_merger_swap_channels(void **state)
{
	struct engine *e = make(48000, 2);
	struct option two_out = num("numberOfOutputs", 2), two_in = num("numberOfInputs", 2);
	struct option l = num("offset", 0.25), r = num("offset", -0.5);
	const struct bus *b;

	(void)state;
	create(e, "ConstantSourceNode", "l", &l, 1);
	create(e, "ConstantSourceNode", "r", &r, 1);
	create(e, "ChannelMergerNode", "m1", &two_in, 1);
	create(e, "ChannelSplitterNode", "s", &two_out, 1);
	create(e, "ChannelMergerNode", "m2", &two_in, 1);
	connect_at(e, "l", "m1", 0, 0);
	connect_at(e, "r", "m1", 0, 1);
	connect_at(e, "m1", "s", -1, -1);
	connect_at(e, "s", "m2", 0, 1);
	connect_at(e, "s", "m2", 1, 0);
	connect_at(e, "m2", "destination", -1, -1);
	start_at(e, "l", 0);
	start_at(e, "r", 0);
	b = engine_render(e);
	assert_int_equal(b->channels, 2);
	assert_float_equal(sample(b, 0, 3), -0.5f, 0.0f);
	assert_float_equal(sample(b, 1, 3), 0.25f, 0.0f);
	engine_free(e);
}

static void deleted_node_stops_contributing(void **state)
{
	struct engine *e = make(48000, 1);
	struct engine_op *op = NULL;
	struct error err = { 0 };
	const struct bus *b;

	(void)state;
	create(e, "ConstantSourceNode", "c", NULL, 0);
	connect_at(e, "c", "destination", -1, -1);
	start_at(e, "c", 0);
	b = engine_render(e);
	assert_float_equal(sample(b, 0, 0), 1.0f, 0.0f);
	ok(e, engine_op_delete(e, "c", &op, &err), &op, &err);
	b = engine_render(e);
	assert_float_equal(sample(b, 0, 0), 0.0f, 0.0f);
	assert_null(engine_node(e, "c"));
	assert_int_equal(engine_op_delete(e, "destination", &op, &err), -1);
	engine_free(e);
}

static void split_ops_commit_later_and_apply_in_order(void **state)
{
	struct engine *e = make(48000, 1);
	struct engine_op *a = NULL, *b = NULL;
	struct error err = { 0 };
	const struct bus *out;

	(void)state;
	assert_int_equal(engine_op_create(e, "ConstantSourceNode", "c", NULL, 0, &a, &err), 0);
	assert_int_equal(engine_op_connect(e, "c", "destination", -1, -1, &b, &err), 0);
	a = engine_op_chain(a, b);
	assert_int_equal(engine_op_start(e, "c", 0, NAN, NAN, &b, &err), 0);
	a = engine_op_chain(a, b);
	/* nothing reaches the renderer before commit */
	out = engine_render(e);
	assert_true(out->silent);
	engine_commit(e, a);
	engine_op_free(e, a);
	out = engine_render(e);
	assert_float_equal(sample(out, 0, 0), 1.0f, 0.0f);
	engine_free(e);
}

static void cycle_through_a_delay_is_allowed_and_delays_by_at_least_one_quantum(void **state)
{
	struct engine *e = make(48000, 1);
	struct option zero_delay = num("delayTime", 0), half = num("gain", 0.5);
	const struct bus *b;

	(void)state;
	/* c -> g -> d -> g (feedback through a DelayNode), g -> destination */
	create(e, "ConstantSourceNode", "c", NULL, 0);
	create(e, "GainNode", "g", &half, 1);
	create(e, "DelayNode", "d", &zero_delay, 1);
	connect_at(e, "c", "g", -1, -1);
	connect_at(e, "g", "d", -1, -1);
	connect_at(e, "d", "g", -1, -1);
	connect_at(e, "g", "destination", -1, -1);
	start_at(e, "c", 0);
	/* quantum 0: g = 0.5 * (1 + 0); the delay in the cycle is clamped to 128 frames, so
	 * quantum 1 sees g = 0.5 * (1 + 0.5) */
	b = engine_render(e);
	assert_float_equal(sample(b, 0, 0), 0.5f, 0.0f);
	assert_float_equal(sample(b, 0, 127), 0.5f, 0.0f);
	b = engine_render(e);
	assert_float_equal(sample(b, 0, 0), 0.75f, 1e-7);
	assert_float_equal(sample(b, 0, 127), 0.75f, 1e-7);
	engine_free(e);
}

static void batch_builds_one_plan_and_commits_together(void **state)
{
	struct engine *e = make(48000, 1);
	struct engine_op *chain = NULL, *op = NULL;
	struct error err = { 0 };
	const struct bus *b;

	(void)state;
	engine_batch_begin(e);
	assert_int_equal(engine_op_create(e, "ConstantSourceNode", "c", NULL, 0, &op, &err), 0);
	chain = engine_op_chain(chain, op);
	assert_int_equal(engine_op_connect(e, "c", "destination", -1, -1, &op, &err), 0);
	chain = engine_op_chain(chain, op);
	assert_int_equal(engine_op_start(e, "c", 0, NAN, NAN, &op, &err), 0);
	chain = engine_op_chain(chain, op);
	/* the model already knows the nodes; a batch may close a cycle without a DelayNode */
	assert_non_null(engine_node(e, "c"));
	assert_int_equal(engine_op_create(e, "GainNode", "g1", NULL, 0, &op, &err), 0);
	chain = engine_op_chain(chain, op);
	assert_int_equal(engine_op_create(e, "GainNode", "g2", NULL, 0, &op, &err), 0);
	chain = engine_op_chain(chain, op);
	assert_int_equal(engine_op_connect(e, "g1", "g2", -1, -1, &op, &err), 0);
	chain = engine_op_chain(chain, op);
	assert_int_equal(engine_op_connect(e, "g2", "g1", -1, -1, &op, &err), 0);
	chain = engine_op_chain(chain, op);
	assert_int_equal(engine_op_connect(e, "g2", "destination", -1, -1, &op, &err), 0);
	chain = engine_op_chain(chain, op);
	assert_int_equal(engine_op_connect(e, "c", "g1", -1, -1, &op, &err), 0);
	chain = engine_op_chain(chain, op);
	/* without the batch's plan nothing sounds */
	engine_commit(e, chain);
	b = engine_render(e);
	assert_true(b->silent);
	assert_int_equal(engine_batch_end(e, &op, &err), 0);
	assert_non_null(op);
	engine_exec(e, op);
	engine_op_free(e, chain);
	b = engine_render(e);
	assert_float_equal(sample(b, 0, 0), 1.0f, 0.0f);
	/* a batch that changes no topology needs no plan */
	engine_batch_begin(e);
	assert_int_equal(engine_batch_end(e, &op, &err), 0);
	assert_null(op);
	engine_free(e);
}

static void delete_inside_a_batch_frees_the_node_after_the_plan_drops_it(void **state)
{
	struct engine *e = make(48000, 1);
	struct engine_op *op = NULL, *del = NULL;
	struct error err = { 0 };
	const struct bus *b;

	(void)state;
	create(e, "ConstantSourceNode", "c", NULL, 0);
	connect_at(e, "c", "destination", -1, -1);
	start_at(e, "c", 0);
	engine_batch_begin(e);
	assert_int_equal(engine_op_delete(e, "c", &del, &err), 0);
	assert_null(engine_node(e, "c"));
	engine_exec(e, del);	/* the node is still in the renderer's plan: still plays */
	b = engine_render(e);
	assert_float_equal(sample(b, 0, 0), 1.0f, 0.0f);
	assert_int_equal(engine_batch_end(e, &op, &err), 0);
	engine_exec(e, op);
	b = engine_render(e);
	assert_true(b->silent || sample(b, 0, 0) == 0.0f);
	engine_free(e);
}

/* the daemon holds ops for their `at` while later ones go ahead: a late op must neither
 * bring back an older graph nor touch a node deleted meanwhile */
static void held_ops_may_commit_after_later_ones(void **state)
{
	struct engine *e = make(48000, 1);
	struct engine_op *held_connect = NULL, *held_param = NULL, *op = NULL;
	struct error err = { 0 };
	const struct bus *b;

	(void)state;
	create(e, "ConstantSourceNode", "a", NULL, 0);
	create(e, "ConstantSourceNode", "x", NULL, 0);
	start_at(e, "a", 0);
	start_at(e, "x", 0);
	/* held: connect a (plan 1); then x connects and is deleted, both committed at once */
	assert_int_equal(engine_op_connect(e, "a", "destination", -1, -1, &held_connect, &err), 0);
	assert_int_equal(engine_op_param(e, "x.offset", "value", (double[]){ 0.5 }, 1, NULL, 0,
					 NULL, &held_param, &err), 0);
	connect_at(e, "x", "destination", -1, -1);
	b = engine_render(e);
	assert_float_equal(sample(b, 0, 0), 2.0f, 0.0f);	/* the later plan holds a too */
	ok(e, engine_op_delete(e, "x", &op, &err), &op, &err);
	b = engine_render(e);
	assert_float_equal(sample(b, 0, 0), 1.0f, 0.0f);
	/* now the held ops: the old plan (without x, without... the later edits) is skipped,
	 * the param change lands on the deleted node kept alive for it */
	engine_exec(e, held_connect);
	engine_exec(e, held_param);
	b = engine_render(e);
	assert_float_equal(sample(b, 0, 0), 1.0f, 0.0f);
	engine_free(e);
}

static void count_edge(const struct node *src, uint32_t output, const struct node *dst,
		       int input, const char *param, void *data)
{
	(void)src; (void)output; (void)dst; (void)input; (void)param;
	(*(int *)data)++;
}

static int edges(struct engine *e)
{
	int n = 0;

	engine_foreach_connection(e, count_edge, &n);
	return n;
}

/* a param or attribute change held for its `at` must not undo a later change of the same
 * param or attribute that went ahead: the later one was built knowing the earlier */
static void held_param_and_attr_changes_do_not_undo_later_ones(void **state)
{
	struct engine *e = make(48000, 1);
	struct engine_op *held_param = NULL, *held_cfg = NULL, *op = NULL;
	struct error err = { 0 };
	struct value two = { .type = VALUE_NUMBER, .num = 2 }, one = { .type = VALUE_NUMBER,
								       .num = 1 };
	const struct bus *b;

	(void)state;
	create(e, "ConstantSourceNode", "c", NULL, 0);
	create(e, "GainNode", "g", NULL, 0);
	connect_at(e, "c", "g", -1, -1);
	connect_at(e, "g", "destination", -1, -1);
	start_at(e, "c", 0);
	/* held: gain 0.5 from t = 0; later, immediately: gain 0.25 from 0 */
	assert_int_equal(engine_op_param(e, "g.gain", "setValueAtTime", (double[]){ 0.5, 0 }, 2,
					 NULL, 0, NULL, &held_param, &err), 0);
	assert_int_equal(engine_op_set(e, "g", "channelCount", &two, &held_cfg, &err), 0);
	ok(e, engine_op_param(e, "g.gain", "setValueAtTime", (double[]){ 0.25, 0 }, 2, NULL, 0,
			      NULL, &op, &err), &op, &err);
	ok(e, engine_op_set(e, "g", "channelCount", &one, &op, &err), &op, &err);
	engine_exec(e, held_param);
	engine_exec(e, held_cfg);
	b = engine_render(e);
	/* both events are in the timeline; at equal times the later-inserted one wins */
	assert_float_equal(sample(b, 0, 0), 0.25f, 0.0f);
	assert_int_equal(engine_node(e, "g")->cfg.count, 1);
	engine_free(e);
}

/* edits made for a later quantum (the daemon's `at`): the renderer has them in its plan at
 * once but they sound only from their frame; a later immediate edit does not bring them
 * forward; deleted and disconnected parts fall silent at their frame and are collected */
static void edits_with_a_later_activation_take_effect_at_their_quantum(void **state)
{
	struct engine *e = make(48000, 1);
	struct option quarter = num("offset", 0.25);
	struct engine_op *op = NULL;
	struct error err = { 0 };
	const struct bus *b;

	(void)state;
	create(e, "ConstantSourceNode", "a", NULL, 0);
	start_at(e, "a", 0);
	/* at frame 256: create and connect b; at 512: disconnect a, delete b */
	ok(e, engine_op_create_at(e, 256.0 / 48000, "ConstantSourceNode", "b", &quarter, 1, &op,
				  &err), &op, &err);
	ok(e, engine_op_connect_at(e, 256.0 / 48000, "b", "destination", -1, -1, &op, &err), &op,
	   &err);
	start_at(e, "b", 0);
	/* an immediate edit after them, built knowing them, must not start b early */
	connect(e, "a", "destination");
	b = engine_render(e);	/* 0..127 */
	assert_float_equal(sample(b, 0, 0), 1.0f, 0.0f);
	b = engine_render(e);	/* 128..255 */
	assert_float_equal(sample(b, 0, 127), 1.0f, 0.0f);
	ok(e, engine_op_disconnect_at(e, 512.0 / 48000, "a", "destination", -1, -1, &op, &err),
	   &op, &err);
	ok(e, engine_op_delete_at(e, 512.0 / 48000, "b", &op, &err), &op, &err);
	assert_null(engine_node(e, "b"));	/* gone for new commands at once */
	b = engine_render(e);	/* 256..383: b sounds */
	assert_float_equal(sample(b, 0, 0), 1.25f, 0.0f);
	assert_true(engine_collect_pending(e));
	assert_int_equal(engine_collect(e, &op, &err), 0);
	assert_null(op);	/* not due yet */
	b = engine_render(e);	/* 384..511 */
	assert_float_equal(sample(b, 0, 127), 1.25f, 0.0f);
	b = engine_render(e);	/* 512..: both ended */
	assert_true(b->silent || sample(b, 0, 0) == 0.0f);
	assert_int_equal(engine_collect(e, &op, &err), 0);
	assert_non_null(op);
	engine_exec(e, op);
	assert_false(engine_collect_pending(e));
	/* the name is free again, and a can be connected anew */
	create(e, "GainNode", "b", NULL, 0);
	connect(e, "a", "destination");
	b = engine_render(e);
	assert_float_equal(sample(b, 0, 0), 1.0f, 0.0f);
	engine_free(e);
}

/* undoing a delete with a later activation brings the node and its edges back */
static void undo_of_a_later_delete_restores_node_and_edges(void **state)
{
	struct engine *e = make(48000, 1);
	struct engine_op *op = NULL;
	struct error err = { 0 };

	(void)state;
	create(e, "ConstantSourceNode", "a", NULL, 0);
	connect(e, "a", "destination");
	start_at(e, "a", 0);
	assert_int_equal(engine_op_delete_at(e, 1.0, "a", &op, &err), 0);
	assert_null(engine_node(e, "a"));
	engine_op_undo(e, op);
	assert_non_null(engine_node(e, "a"));
	assert_false(engine_collect_pending(e));
	assert_int_equal(edges(e), 1);
	assert_float_equal(sample(engine_render(e), 0, 0), 1.0f, 0.0f);
	engine_free(e);
}

/* start() with no time starts at the next quantum's first frame, even where frame / rate
 * comes back from floating point a hair above the frame (896 / 48000 * 48000) */
static void start_now_begins_on_the_quantum_boundary(void **state)
{
	struct engine *e = make(48000, 1);
	const struct bus *b;
	int q;

	(void)state;
	create(e, "ConstantSourceNode", "c", NULL, 0);
	connect(e, "c", "destination");
	for (q = 0; q < 7; q++)		/* to frame 896 */
		engine_render(e);
	start_at(e, "c", 0);
	b = engine_render(e);
	assert_float_equal(sample(b, 0, 0), 1.0f, 0.0f);
	engine_free(e);
}

/* a failed batch takes back everything its earlier commands did to the model */
static void undo_restores_the_model_as_it_was(void **state)
{
	struct engine *e = make(48000, 1);
	struct option half = num("offset", 0.5);
	struct engine_op *chain = NULL, *op = NULL;
	struct error err = { 0 };
	struct value loop = { .type = VALUE_BOOL, .b = true }, sq = { .type = VALUE_STRING,
								    .str = "square" };
	struct value old;
	const struct bus *b;

	(void)state;
	create(e, "ConstantSourceNode", "c", &half, 1);
	create(e, "GainNode", "g", NULL, 0);
	create(e, "OscillatorNode", "o", NULL, 0);
	connect_at(e, "c", "g", -1, -1);
	connect_at(e, "g", "destination", -1, -1);
	start_at(e, "c", 0);
	assert_int_equal(edges(e), 2);
	assert_int_equal(engine_node_count(e), 5);	/* with destination and listener */

	engine_batch_begin(e);
#define ADD(call) do { assert_int_equal(call, 0); chain = engine_op_chain(chain, op); } while (0)
	ADD(engine_op_create(e, "AudioBufferSourceNode", "b", NULL, 0, &op, &err));
	ADD(engine_op_set(e, "b", "loop", &loop, &op, &err));
	ADD(engine_op_connect(e, "b", "g", -1, -1, &op, &err));
	ADD(engine_op_start(e, "b", 0, NAN, NAN, &op, &err));
	ADD(engine_op_param(e, "g.gain", "setValueAtTime", (double[]){ 0.25, 0 }, 2, NULL, 0,
			    NULL, &op, &err));
	ADD(engine_op_stop(e, "c", 1, &op, &err));
	ADD(engine_op_set(e, "o", "type", &sq, &op, &err));
	ADD(engine_op_disconnect(e, "c", NULL, -1, -1, &op, &err));
	ADD(engine_op_delete(e, "g", &op, &err));
#undef ADD
	engine_op_undo(e, chain);
	assert_int_equal(engine_batch_end(e, &op, &err), 0);
	engine_exec(e, op);

	assert_null(engine_node(e, "b"));
	assert_non_null(engine_node(e, "g"));
	assert_int_equal(engine_node_count(e), 5);
	assert_int_equal(edges(e), 2);
	assert_true(param_model_value_at(node_param(engine_node(e, "g"), "gain"), 1) == 1.0);
	node_attr(engine_node(e, "o"), "type")->get(engine_node(e, "o"), &old);
	assert_string_equal(old.str, "sine");
	/* c may still be stopped once (undone), and plays into g as before */
	ok(e, engine_op_stop(e, "c", 10, &op, &err), &op, &err);
	b = engine_render(e);
	assert_float_equal(sample(b, 0, 0), 0.5f, 0.0f);
	engine_free(e);
}

/* struct param asks for 64-byte alignment (its values are SIMD blocks): every node and its
 * params must have it.  calloc gave 16: undefined behaviour, which the fuzzer's UBSan build
 * found (param_init on a misaligned struct param) */
static void nodes_and_params_are_aligned_as_their_types_ask(void **state)
{
	static const char *const kinds[] = {
		"GainNode", "OscillatorNode", "BiquadFilterNode", "DelayNode", "PannerNode",
		"DynamicsCompressorNode", "AudioBufferSourceNode", "ConstantSourceNode",
		"StereoPannerNode",
	};
	struct engine *e = make(48000, 2);
	struct error err = { 0 };
	struct engine_op *op;
	char name[16];
	struct node *n;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		snprintf(name, sizeof(name), "n%zu", i);
		assert_int_equal(engine_op_create(e, kinds[i], name, NULL, 0, &op, &err), 0);
		engine_exec(e, op);
		n = engine_node(e, name);
		assert_non_null(n);
		assert_int_equal((uintptr_t)n % _Alignof(struct param), 0);
		assert_non_null(n->params);
		assert_int_equal((uintptr_t)n->params % _Alignof(struct param), 0);
	}
	n = engine_listener(e);
	assert_int_equal((uintptr_t)n->params % _Alignof(struct param), 0);
	engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(constant_through_gains_multiplies),
		cmocka_unit_test(nodes_and_params_are_aligned_as_their_types_ask),
		cmocka_unit_test(fan_in_sums_at_the_input),
		cmocka_unit_test(source_starts_and_stops_on_the_first_frame_at_or_after_the_time),
		cmocka_unit_test(start_twice_and_stop_before_start_are_invalid_state),
		cmocka_unit_test(cycle_without_delay_is_muted_until_it_is_broken),
		cmocka_unit_test(muted_cycle_stays_muted_across_unrelated_edits),
		cmocka_unit_test(cycle_through_a_delay_feeds_back_next_to_a_muted_one),
		cmocka_unit_test(errors_name_the_nearest_valid_name),
		cmocka_unit_test(disconnect_overloads_remove_only_matching_edges),
		cmocka_unit_test(param_connection_adds_to_the_param_value),
		cmocka_unit_test(splitter_and_merger_swap_channels),
		cmocka_unit_test(deleted_node_stops_contributing),
		cmocka_unit_test(split_ops_commit_later_and_apply_in_order),
		cmocka_unit_test(cycle_through_a_delay_is_allowed_and_delays_by_at_least_one_quantum),
		cmocka_unit_test(batch_builds_one_plan_and_commits_together),
		cmocka_unit_test(delete_inside_a_batch_frees_the_node_after_the_plan_drops_it),
		cmocka_unit_test(held_ops_may_commit_after_later_ones),
		cmocka_unit_test(undo_restores_the_model_as_it_was),
		cmocka_unit_test(held_param_and_attr_changes_do_not_undo_later_ones),
		cmocka_unit_test(edits_with_a_later_activation_take_effect_at_their_quantum),
		cmocka_unit_test(undo_of_a_later_delete_restores_node_and_edges),
		cmocka_unit_test(start_now_begins_on_the_quantum_boundary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
