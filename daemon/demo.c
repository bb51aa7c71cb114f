/* demo: the --demo graph, a 440 Hz sine at gain 0.2, built through the same engine ops a
 * client's commands become.  control thread. */
#include "demo.h"

#include <errno.h>
#include <math.h>

#include "core.h"
#include "engine/engine.h"
#include "log.h"

/* the demo graph: OscillatorNode 440 Hz -> GainNode 0.2 -> destination, committed in one
 * quantum.  every op prepared is submitted even if a later one fails: the engine's model
 * already includes it. */
int demo_start(struct core *c)
{
	struct engine *e = core_engine(c);
	struct option osc = { "frequency", { .type = VALUE_NUMBER, .num = 440.0 } };
	struct option gain = { "gain", { .type = VALUE_NUMBER, .num = 0.2 } };
	struct engine_op *chain = NULL, *op;
	struct error err = { 0 };
	int res = 0;

	if (core_space(c) == 0)
		return -EBUSY;
#define DEMO_STEP(call) \
	do { if (res == 0 && (res = (call)) == 0) \
		chain = chain ? engine_op_chain(chain, op) : op; } while (0)
	DEMO_STEP(engine_op_create(e, "OscillatorNode", "osc", &osc, 1, &op, &err));
	DEMO_STEP(engine_op_create(e, "GainNode", "gain", &gain, 1, &op, &err));
	DEMO_STEP(engine_op_connect(e, "osc", "gain", -1, -1, &op, &err));
	DEMO_STEP(engine_op_connect(e, "gain", "destination", -1, -1, &op, &err));
	DEMO_STEP(engine_op_start(e, "osc", NAN, NAN, NAN, &op, &err));
#undef DEMO_STEP
	if (chain != NULL)
		core_submit(c, chain, RENDER_AT_NOW, 0);
	if (res < 0) {
		log_error("demo graph: %s: %s", err_name(err.code), err.msg);
		return -EINVAL;
	}
	log_info("demo: 440 Hz sine at gain 0.2");
	return 0;
}

