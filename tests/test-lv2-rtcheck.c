/* real-time safety of LV2Node (built with daemon/rtcheck.c): a thread marked real-time commits
 * the ops that create, automate and delete LV2Nodes and renders with them, the plugins'
 * activate and run included; malloc, free or a mutex there aborts the test.  the main thread
 * plays the control side: it instantiates (node creation), prepares the ops, and frees what
 * comes back (deactivate and free the plugins).  exits 77 (skipped) without lilv or the
 * plugins (tools/deps.sh installs them). */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "daemon/rtcheck.h"
#include "engine/engine.h"
#include "graph-helpers.h"
#include "protocol/lv2.h"

#define AMP "http://plugin.org.uk/swh-plugins/amp"
/* a stereo delay with many control ports and buffers its activate clears */
#define LCR "http://plugin.org.uk/swh-plugins/lcrDelay"

static struct lv2_host *host;
static bool have_lcr;

struct job {
	struct engine *e;
	struct engine_op *ops[16];
	int n_ops;
	int quanta;		/* rendered after each op */
	float peak;
};

/* the render side: each op committed at a quantum boundary, then quanta rendered */
static void *render_thread(void *data)
{
	struct job *j = data;

	rtcheck_enter();
	for (int k = 0; k < j->n_ops; k++) {
		engine_commit(j->e, j->ops[k]);
		for (int q = 0; q < j->quanta; q++) {
			const struct bus *b = engine_render(j->e);
			for (uint32_t c = 0; !b->silent && c < b->channels; c++)
				for (uint32_t i = 0; i < QUANTUM; i++)
					j->peak = fmaxf(j->peak, fabsf(b->data[c][i]));
		}
	}
	rtcheck_leave();
	return NULL;
}

static void run(struct job *j)
{
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, render_thread, j), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	for (int k = 0; k < j->n_ops; k++)
		engine_op_free(j->e, j->ops[k]);
	j->n_ops = 0;
}

/* the op by address: C leaves the order of argument evaluation open */
static void add(struct job *j, int r, struct engine_op **op, const struct error *err)
{
	if (r < 0)
		fail_msg("unexpected error: %s", err->msg);
	j->ops[j->n_ops++] = *op;
}

static void lv2_nodes_render_without_allocating_or_locking(void **state)
{
	const struct option amp[] = { str("uri", AMP), num("gain", -6) };
	const struct option lcr[] = { str("uri", LCR) };
	const struct option saw[] = { str("type", "sawtooth") };
	const double ramp[] = { 12, 0.05 };
	struct job j = { .quanta = 50 };
	struct engine_op *op = NULL;
	struct error err = { 0 };

	j.e = engine_new(48000, 2, &err);
	assert_non_null(j.e);
	engine_set_plugin_host(j.e, lv2_instantiate, host);
	create(j.e, "OscillatorNode", "o", saw, 1);
	start_at(j.e, "o", 0);
	add(&j, engine_op_create(j.e, "LV2Node", "a", amp, 2, &op, &err), &op, &err);
	add(&j, engine_op_connect(j.e, "o", "a", -1, -1, &op, &err), &op, &err);
	add(&j, engine_op_connect(j.e, "a", "destination", -1, -1, &op, &err), &op, &err);
	add(&j, engine_op_param(j.e, "a.gain", "linearRampToValueAtTime", ramp, 2, NULL, 0, NULL,
				&op, &err), &op, &err);
	/* the oscillator drives the gain too: an a-rate input into a k-rate param */
	add(&j, engine_op_connect(j.e, "o", "a.gain", -1, -1, &op, &err), &op, &err);
	if (have_lcr) {
		add(&j, engine_op_create(j.e, "LV2Node", "f", lcr, 1, &op, &err), &op, &err);
		add(&j, engine_op_connect(j.e, "a", "f", -1, -1, &op, &err), &op, &err);
		add(&j, engine_op_connect(j.e, "f", "destination", -1, -1, &op, &err), &op, &err);
	}
	run(&j);
	assert_true(j.peak > 0.1f);
	/* deleted on the render side, deactivated and freed here */
	add(&j, engine_op_delete(j.e, "a", &op, &err), &op, &err);
	if (have_lcr)
		add(&j, engine_op_delete(j.e, "f", &op, &err), &op, &err);
	run(&j);
	engine_free(j.e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lv2_nodes_render_without_allocating_or_locking),
	};
	struct error err = { 0 };
	struct plugin_instance *pi;
	int res;

	host = lv2_host_new();
	pi = host ? lv2_instantiate(host, AMP, 48000, QUANTUM, &err) : NULL;
	if (pi == NULL) {
		printf("skipped: no LV2 host or no %s (%s); tools/deps.sh installs them\n", AMP,
		       err.msg);
		lv2_host_unref(host);
		return 77;
	}
	pi->destroy(pi, false);
	pi = lv2_instantiate(host, LCR, 48000, QUANTUM, &err);
	have_lcr = pi != NULL;
	if (pi)
		pi->destroy(pi, false);
	res = cmocka_run_group_tests(tests, NULL, NULL);
	lv2_host_unref(host);
	return res;
}
