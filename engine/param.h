/* AudioParam: intrinsic value, automation timeline, a-rate/k-rate, inputs, clamping.
 * the control side (param_init, param_prepare, param_update_free, param_fini) validates and
 * allocates; the render side (param_commit, param_compute) only reads what it was handed. */
#ifndef AUDIOD_PARAM_H
#define AUDIOD_PARAM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "error.h"

struct timeline;	/* control side: the events as scheduled (param.c) */
struct tl_render;	/* render side: an immutable compiled copy (param.c) */

struct param_desc {
	const char *name;
	float def;		/* defaultValue */
	float min, max;		/* minValue, maxValue (nominal range) */
	bool k_rate;		/* default automationRate is k-rate */
	bool fixed_rate;	/* automationRate may not change (NotSupportedError) */
};

struct param {
	const struct param_desc *desc;

	/* control side */
	struct timeline *model;		/* events as scheduled so far */
	float intrinsic;		/* value used before the first event */
	bool model_k_rate;
	uint32_t model_seq;		/* updates prepared so far */

	/* render side */
	const struct tl_render *tl;	/* NULL: no automation, value is `intrinsic_r` */
	float intrinsic_r;
	bool k_rate;
	uint32_t cursor;		/* render-owned index into tl */
	uint32_t render_seq;		/* seq of the update in use: an older one is skipped */
	bool has_input;			/* set by the engine: a node output feeds this param */
	bool constant;			/* after param_compute: values[0] holds for the quantum */
	bool settled;			/* values[] hold for every later quantum too, while no
					 * input sounds: nothing is left to automate */
	_Atomic float last;		/* last computed value, for `get` from the control thread */
	float values[QUANTUM] __attribute__((aligned(64)));
};

/* control: sets desc, intrinsic = initial (already validated by the caller), no events */
int param_init(struct param *p, const struct param_desc *desc, float initial);
void param_fini(struct param *p);

/* a prepared change, made on the control side and swapped in on the render side */
struct param_update;

/* control: validates method and arguments against the scheduled events the way the spec's
 * AudioParam methods do, updates the model and builds the render-side replacement.
 * method is one of the seven automation methods, or "value" (args[0]) or
 * "automationRate" (rate_name "a-rate"/"k-rate").  curve is for setValueCurveAtTime
 * (args then are startTime, duration).  now is the context time (s) at which the change
 * will be applied, used by "value" and for past times.  returns 0 or -1 with err set. */
int param_prepare(struct param *p, const char *method, const double *args, size_t nargs,
		  const float *curve, size_t ncurve, const char *rate_name, double now,
		  double sample_rate, struct param_update **out, struct error *err);
/* render: swaps the update in; the update then holds what was replaced.  an update older
 * than the one in use (held for its `at` while later ones went ahead, which already hold
 * its events) changes nothing. */
void param_commit(struct param *p, struct param_update *u);
/* control: the memory an update holds (its render copy and its undo record), bytes */
size_t param_update_bytes(const struct param_update *u);
/* control: events in the model's timeline once those before `now` that no longer matter
 * are dropped (param_prepare drops them too) */
uint32_t param_model_events(struct param *p, double now);
/* control: frees an update after commit (or instead of it) */
void param_update_free(struct param_update *u);
/* control: instead of committing, takes the model back to where it was before the update
 * was prepared, and frees it.  updates of one param are undone newest first. */
void param_undo(struct param *p, struct param_update *u);

/* render: computes values for the quantum starting at `frame`.  input is the mono sum of the
 * param's connected outputs (NULL when none or silent).  sets values[], constant, last.
 * the result is clamped to [min, max]. */
void param_compute(struct param *p, uint64_t frame, double sample_rate, const float *input);

/* render: true when param_compute without an input would leave values[] as they are (a
 * constant param, or one whose automation has ended), so callers may skip it */
static inline bool param_settled(const struct param *p)
{
	return p->settled;
}

/* control: the value the model's timeline gives at time t (for cancelAndHoldAtTime, `get`
 * of a node not yet rendered, and tests) */
double param_model_value_at(const struct param *p, double t);

/* control: calls fn for each event of the model's timeline, in time order, as the AudioParam
 * call that would schedule it again (for `save`): method, then args as param_prepare takes
 * them (setValueCurveAtTime: startTime, duration, with curve).  a curve cut short by
 * cancelAndHoldAtTime comes with a cancelAndHoldAtTime call after it. */
typedef void (*param_event_fn)(void *data, const char *method, const double *args,
			       size_t nargs, const float *curve, size_t ncurve);
void param_model_foreach(const struct param *p, param_event_fn fn, void *data);

#endif
