/* the engine's render side: commits ops between quanta, renders the graph one quantum at a
 * time, and queues events for the control side.
 * render thread only, and real-time: nothing here allocates, frees, locks or blocks.  it
 * owns the render-side fields of struct engine (engine-private.h): the plan in use, its
 * idle state and the generations, the frame counter (which the control side only reads),
 * the nodes' render state, and the producer end of the event ring.  the exceptions, said
 * at each: engine_event_pop and engine_events_lost (control side), engine_interleave (any
 * caller's buffer).  the control side is engine.c. */
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "engine-private.h"

/* any side: the render side stores it after each quantum */
uint64_t engine_frame(const struct engine *e)
{
	return atomic_load_explicit(&e->frame, memory_order_acquire);
}

/* ---------------------------------------------------------------------------------------- */
/* commit */

static void commit_one(struct engine *e, struct engine_op *op)
{
	struct node *n = op->node;
	double now = (double)atomic_load_explicit(&e->frame, memory_order_relaxed) / e->sample_rate;
	struct plan *old;
	uint32_t i;

	switch (op->kind) {
	case OP_PLAN:
		/* NULL: an edit inside a batch, whose engine_batch_end op carries the plan.
		 * older: an op held for its `at` while later edits went ahead; their plan
		 * already holds this op's change */
		if (op->plan == NULL || op->plan->seq <= e->render_seq)
			break;
		e->render_seq = op->plan->seq;
		old = e->plan;
		e->plan = op->plan;
		op->plan = old;
		for (i = 0; i < e->plan->n; i++)
			e->plan->entries[i].node->in_cycle = e->plan->entries[i].phase != PHASE_FULL;
		break;
	case OP_CHANNELS:
	case OP_ATTR:
		/* older than what is in use: a later change of it went ahead */
		if (op->seq <= n->attr_seq_r[op->slot])
			break;
		n->attr_seq_r[op->slot] = op->seq;
		if (op->kind == OP_CHANNELS)
			n->cfg = op->cfg;
		else
			op->attr->apply(n, &op->value, &op->staged);
		e->idle_gen++;		/* an idle node's channel count may change */
		break;
	case OP_PARAM:
		param_commit(op->param, op->update);
		e->param_gen++;		/* params settled until now may move */
		break;
	case OP_START:
		n->sched.start = op->when > now ? op->when : now;
		n->sched.offset = op->offset;
		n->sched.duration = op->duration;
		n->sched.state = SCHED_SCHEDULED;
		e->idle_gen++;		/* sources idle until now may sound */
		break;
	case OP_STOP:
		if (n->sched.state != SCHED_ENDED)
			n->sched.stop = op->when > now ? op->when : now;
		e->idle_gen++;
		break;
	}
}

void engine_commit(struct engine *e, struct engine_op *op)
{
	for (; op; op = op->next)
		commit_one(e, op);
}

/* ---------------------------------------------------------------------------------------- */
/* rendering */


static inline bool src_live(const struct plan_src *s, uint64_t frame)
{
	return frame >= s->from && frame < s->until;
}

/* an entry found idle (render_entry) whose state still holds: skipped without touching its
 * node */
static inline bool entry_idle(const struct plan_entry *pe, uint64_t frame, uint64_t gen)
{
	return frame < pe->wake && pe->gen == gen;
}

/* fed by a node known idle from its plan entry: its output is silent, so only its channel
 * count matters, and that is in the entry too */
static inline bool src_idle(const struct plan_src *s, uint64_t frame, uint64_t gen)
{
	return s->producer && entry_idle(s->producer, frame, gen);
}

static void mix_input(struct bus *in, const struct chan_cfg *cfg, const struct plan_input *pi,
		      uint64_t frame, uint64_t gen)
{
	uint32_t max_in = 0, ch, j, c, lo = pi->n, hi = 0;
	bool first = true;

	/* the channel count first; and where the sources with sound are, so that the mixing
	 * below does not walk an input fed by hundreds of finished notes again */
	for (j = 0; j < pi->n; j++) {
		const struct plan_src *ps = &pi->srcs[j];

		if (!src_live(ps, frame))
			continue;
		if (src_idle(ps, frame, gen)) {
			c = ps->producer->idle_channels;
		} else {
			c = ps->bus->channels;
			if (!ps->bus->silent) {
				lo = j < lo ? j : lo;
				hi = j + 1;
			}
		}
		max_in = c > max_in ? c : max_in;
	}
	ch = bus_computed_channels(cfg->mode, cfg->count, max_in);
	for (j = lo; j < hi; j++) {
		const struct bus *s = pi->srcs[j].bus;
		if (!src_live(&pi->srcs[j], frame) || src_idle(&pi->srcs[j], frame, gen) ||
		    s->silent)
			continue;
		if (first) {
			in->channels = ch;
			/* laid out as the input needs: read in place (no node writes to its
			 * inputs); a second source makes bus_mix copy it after all */
			if (!bus_borrow(in, s, cfg->interp))
				bus_copy_mix(in, s, cfg->interp);
			first = false;
		} else {
			bus_mix(in, s, cfg->interp);
		}
	}
	if (first)
		bus_silence(in, ch);
}

/* returns true when every param is settled and has no input: then they all stay as they
 * are until a param change is committed (or the plan changes), and the caller may skip
 * this until then */
static bool compute_params(struct engine *e, struct node *n, const struct plan_input *pis,
			   uint64_t frame)
{
	const uint32_t np = n->n_params;
	bool still = true;
	uint32_t i, j;

	for (i = 0; i < np; i++) {
		const struct plan_input *pi = &pis[i];
		struct param *p = &n->params[i];
		const float *input = NULL;
		bool first = true;

		/* most params are constant: no call for them */
		if (pi->n == 0 && param_settled(p)) {
			p->has_input = false;
			continue;
		}
		for (j = 0; j < pi->n; j++) {
			const struct bus *s = pi->srcs[j].bus;
			if (!src_live(&pi->srcs[j], frame) ||
			    src_idle(&pi->srcs[j], frame, e->idle_gen) || s->silent)
				continue;
			if (first) {
				e->scratch.channels = 1;
				bus_copy_mix(&e->scratch, s, INTERP_SPEAKERS);
				first = false;
			} else {
				bus_mix(&e->scratch, s, INTERP_SPEAKERS);
			}
		}
		if (!first)
			input = e->scratch.data[0];
		p->has_input = pi->n > 0;
		param_compute(p, frame, e->sample_rate, input);
		still = still && pi->n == 0 && param_settled(p);
	}
	return still;
}

/* a source that cannot sound in this quantum: ended, never started, or starting later.
 * its outputs are made silent and nothing else runs, params included: they are pure
 * functions of time and need no stepping.  *wake gets until when that holds, so that
 * later quanta can skip the node at once: for good once it has ended or while it is
 * unstarted (until a start or stop is committed), else up to the quantum its start
 * falls in (which the exact test below decides). */
static bool source_idle(struct node *n, uint64_t frame, double rate, uint64_t *wake)
{
	uint64_t q1 = frame + QUANTUM;
	double s;
	uint32_t o;

	switch (n->sched.state) {
	case SCHED_PLAYING:
		return false;
	case SCHED_SCHEDULED:
		s = n->sched.start * rate;
		if (s < (double)q1)
			return false;
		/* idle while frame + QUANTUM <= s, so for every frame <= floor(s) - QUANTUM */
		*wake = s >= 0x1p63 ? UINT64_MAX : (uint64_t)s - (QUANTUM - 1);
		break;
	default:
		/* ended, or not started: only a start or stop changes that */
		*wake = UINT64_MAX;
		break;
	}
	for (o = 0; o < n->n_outputs; o++)
		if (!n->out[o].silent)
			bus_silence(&n->out[o], 1);
	return true;
}

static bool inputs_silent(const struct node *n)
{
	uint32_t i;

	for (i = 0; i < n->n_inputs; i++)
		if (!n->in[i].silent)
			return false;
	return true;
}

/* a passive node whose inputs are all silent: true when that is because every source that
 * feeds it, now or later, is idle; *wake gets the earliest frame one may sound */
static bool inputs_idle(const struct plan_entry *pe, uint64_t frame, uint64_t gen,
			uint64_t *wake)
{
	uint64_t w = UINT64_MAX;

	for (uint32_t i = 0; i < pe->node->n_inputs; i++) {
		const struct plan_input *pi = &pe->inputs[i];

		for (uint32_t j = 0; j < pi->n; j++) {
			const struct plan_src *ps = &pi->srcs[j];

			if (frame >= ps->until)
				continue;
			if (frame < ps->from)
				w = ps->from < w ? ps->from : w;
			else if (src_idle(ps, frame, gen))
				w = ps->producer->wake < w ? ps->producer->wake : w;
			else
				return false;
		}
	}
	*wake = w;
	return true;
}

/* a node on a cycle without a DelayNode (plan_entry.muted): one silent channel on each
 * output and nothing else, as long as the plan holds; with one output the entry says so
 * (idle for good), so later quanta skip it */
static bool render_muted(struct plan_entry *pe, uint64_t gen)
{
	struct node *n = pe->node;
	uint32_t o;

	for (o = 0; o < n->n_outputs; o++)
		bus_silence(&n->out[o], 1);
	if (n->n_outputs != 1)
		return false;
	pe->wake = UINT64_MAX;
	pe->gen = gen;
	pe->idle_channels = 1;
	return true;
}

/* one entry of the plan for this quantum.  returns true for a node that cannot sound yet or
 * any more: its entry then says until when (entry_idle) */
static bool render_entry(struct engine *e, struct plan_entry *pe, const struct render_ctx *ctx,
			 uint64_t gen, bool *sounding)
{
	const uint64_t frame = ctx->frame;
	struct node *n = pe->node;
	uint64_t wake;
	uint32_t i;

	/* created or deleted with `at`: not there yet, or no longer */
	if (frame < pe->from || frame >= pe->until)
		return false;
	if (entry_idle(pe, frame, gen))
		return true;
	if (pe->muted)
		return render_muted(pe, gen);
	if (n->kind->source && source_idle(n, frame, e->sample_rate, &wake)) {
		if (n->n_outputs != 1)
			return false;
		pe->wake = wake;
		pe->gen = gen;
		pe->idle_channels = n->out[0].channels;
		return true;
	}
	*sounding |= n->kind->source;
	if (pe->phase != PHASE_READ)
		for (i = 0; i < n->n_inputs; i++)
			mix_input(&n->in[i], &n->cfg, &pe->inputs[i], frame, gen);
	if (n->kind->passive && inputs_silent(n)) {
		for (i = 0; i < n->n_outputs; i++)
			bus_silence(&n->out[i], n->in[0].channels);
		/* fed by idle nodes alone: idle as long as they all are (params are not
		 * stepped for a passive node with silent inputs anyway) */
		if (pe->phase != PHASE_FULL || n->n_outputs != 1 ||
		    !inputs_idle(pe, frame, gen, &wake))
			return false;
		pe->wake = wake;
		pe->gen = gen;
		pe->idle_channels = n->out[0].channels;
		return true;
	}
	/* a node whose params all stay put (the listener's nine, usually) costs one test */
	if (pe->phase != PHASE_WRITE && pe->params_still != e->param_gen &&
	    compute_params(e, n, pe->params, frame))
		pe->params_still = e->param_gen;
	switch (pe->phase) {
	case PHASE_FULL:
		n->kind->process(n, ctx);
		break;
	case PHASE_READ:
		n->kind->process_read(n, ctx);
		break;
	case PHASE_WRITE:
		n->kind->process_write(n, ctx);
		break;
	}
	*sounding |= n->tail;
	return false;
}

const struct bus *engine_render(struct engine *e)
{
	uint64_t frame = atomic_load_explicit(&e->frame, memory_order_relaxed);
	struct render_ctx ctx = { frame, (double)frame / e->sample_rate, e->sample_rate, e };
	struct plan *p = e->plan;
	const uint64_t gen = e->idle_gen;
	const uint32_t words = (p->n + 63) / 64;
	bool sounding = false;
	uint32_t w;

	/* the entries known idle are skipped a word of them at a time (a graph of hundreds of
	 * finished notes then costs next to nothing); a start or stop, or the earliest of
	 * their wake frames, sends every entry through render_entry again */
	if (p->idle_gen != gen || frame >= p->idle_until) {
		memset(p->idle, 0, words * sizeof(*p->idle));
		p->idle_gen = gen;
		p->idle_until = UINT64_MAX;
	}
	for (w = 0; w < words; w++) {
		uint64_t todo = ~p->idle[w];

		if (w == words - 1 && p->n % 64)
			todo &= ((uint64_t)1 << (p->n % 64)) - 1;
		while (todo) {
			uint32_t b = (uint32_t)__builtin_ctzll(todo);
			struct plan_entry *pe = &p->entries[w * 64 + b];

			todo &= todo - 1;
			if (render_entry(e, pe, &ctx, gen, &sounding)) {
				p->idle[w] |= (uint64_t)1 << b;
				if (pe->wake < p->idle_until)
					p->idle_until = pe->wake;
			}
		}
	}
	e->sounding = sounding || !e->dest->in[0].silent;
	atomic_store_explicit(&e->frame, frame + QUANTUM, memory_order_release);
	return &e->dest->in[0];
}

bool engine_sounding(const struct engine *e)
{
	return e->sounding;
}

uint64_t engine_next_start(const struct engine *e)
{
	const struct plan *p = e->plan;
	uint64_t next = UINT64_MAX, f;

	for (uint32_t k = 0; k < p->n; k++) {
		const struct plan_entry *pe = &p->entries[k];
		const struct node *n = pe->node;

		if (!n->kind->source || n->sched.state != SCHED_SCHEDULED || pe->until <= pe->from)
			continue;
		f = (uint64_t)floor(n->sched.start * e->sample_rate);
		f = f > pe->from ? f : pe->from;
		next = f < next ? f : next;
	}
	return next;
}

void engine_interleave(const struct bus *b, float *out)
{
	engine_interleave_frames(b, 0, QUANTUM, out);
}

void engine_interleave_frames(const struct bus *b, uint32_t from, uint32_t n, float *out)
{
	uint32_t c, i, ch = b->channels;

	if (b->silent) {
		memset(out, 0, sizeof(float) * ch * n);
		return;
	}
	if (ch == 1) {
		memcpy(out, b->data[0] + from, sizeof(float) * n);
		return;
	}
	if (ch == 2) {
		const float *l = b->data[0] + from, *r = b->data[1] + from;
		for (i = 0; i < n; i++) {
			out[2 * i] = l[i];
			out[2 * i + 1] = r[i];
		}
		return;
	}
	for (c = 0; c < ch; c++) {
		const float *s = b->data[c] + from;
		for (i = 0; i < n; i++)
			out[i * ch + c] = s[i];
	}
}

/* ---------------------------------------------------------------------------------------- */
/* events */

bool engine_event_push(struct engine *e, const struct engine_event *ev)
{
	uint32_t w;

	if (ringidx_space(&e->ev_idx, &w) == 0) {
		atomic_fetch_add_explicit(&e->ev_lost, 1, memory_order_relaxed);
		return false;
	}
	e->ev[w & (EVENT_CAP - 1)] = *ev;
	ringidx_write_advance(&e->ev_idx, 1);
	return true;
}

/* control side: the consumer end */
bool engine_event_pop(struct engine *e, struct engine_event *ev)
{
	uint32_t r;

	if (ringidx_avail(&e->ev_idx, &r) == 0)
		return false;
	*ev = e->ev[r & (EVENT_CAP - 1)];
	ringidx_read_advance(&e->ev_idx, 1);
	return true;
}

/* control side */
uint32_t engine_events_lost(struct engine *e)
{
	return atomic_load_explicit(&e->ev_lost, memory_order_relaxed);
}
