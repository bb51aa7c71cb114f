/* capacity: how many voices the engine sustains live.  a voice is OscillatorNode (sawtooth)
 * -> BiquadFilterNode (lowpass) -> PannerNode (equalpower) -> destination; at 48 kHz,
 * stereo, 128-frame quanta rendered back to back on this one thread, a voice count passes
 * when the 99.9th percentile (--worst: the worst) quantum render time over --seconds of
 * audio stays under the quantum's real-time budget (2.67 ms) less a safety margin
 * (--margin, a fraction of the budget).  the count doubles until one fails, then bisects.
 * prints the figure and the cost of one voice.  times are the thread's CPU time: on a
 * shared machine, wall time measures the machine's load as much as the engine (--wall for
 * wall time, right on an otherwise idle machine).  a plain single-threaded program that
 * prints figures; not a test.
 *   capacity [--seconds S] [--margin M] [--worst] [--wall] [--max N] */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "protocol/denormal.h"

#define RATE 48000.0
#define CHANNELS 2
#define BUDGET_NS (QUANTUM * 1e9 / RATE)	/* 2.67 ms */
#define WARMUP_QUANTA 375			/* 1 s, not measured */

struct options {
	double seconds;		/* of audio per trial */
	double margin;		/* fraction of the budget kept free */
	bool worst;		/* judge by the worst quantum, not the 99.9th percentile */
	bool wall;		/* wall time instead of the thread's CPU time */
	uint32_t max;		/* voices tried at most */
};

/* one trial's figures, in ns per quantum */
struct trial {
	double mean, p999, worst;
	float peak;		/* of the last quantum: the voices do sound */
};

static clockid_t bench_clock = CLOCK_THREAD_CPUTIME_ID;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(bench_clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, const struct error *err)
{
	fprintf(stderr, "capacity: %s: %s\n", what, err->msg);
	exit(1);
}

static struct option opt_str(const char *name, const char *s)
{
	return (struct option){ name, { .type = VALUE_STRING, .str = s } };
}

static struct option opt_num(const char *name, double v)
{
	return (struct option){ name, { .type = VALUE_NUMBER, .num = v } };
}

static void create(struct engine *e, const char *type, const char *name,
		   const struct option *opts, size_t n)
{
	struct engine_op *op;
	struct error err;

	if (engine_op_create(e, type, name, opts, n, &op, &err) < 0)
		die(name, &err);
	engine_exec(e, op);
}

static void connect(struct engine *e, const char *from, const char *to)
{
	struct engine_op *op;
	struct error err;

	if (engine_op_connect(e, from, to, -1, -1, &op, &err) < 0)
		die(from, &err);
	engine_exec(e, op);
}

/* voice v: pitches spread over four octaves, positions around the listener */
static void add_voice(struct engine *e, uint32_t v)
{
	char osc[32], filt[32], pan[32];
	double a = v * 2.399963;	/* the golden angle */
	struct option o[2] = { opt_str("type", "sawtooth"),
			       opt_num("frequency", 55.0 * pow(2.0, (v * 7 % 48) / 12.0)) };
	struct option f[3] = { opt_str("type", "lowpass"), opt_num("frequency", 1200.0),
			       opt_num("Q", 4.0) };
	struct option p[3] = { opt_str("panningModel", "equalpower"),
			       opt_num("positionX", 2.0 * cos(a)),
			       opt_num("positionZ", 2.0 * sin(a)) };
	struct engine_op *op;
	struct error err;

	snprintf(osc, sizeof(osc), "o%u", v);
	snprintf(filt, sizeof(filt), "f%u", v);
	snprintf(pan, sizeof(pan), "p%u", v);
	create(e, "OscillatorNode", osc, o, 2);
	create(e, "BiquadFilterNode", filt, f, 3);
	create(e, "PannerNode", pan, p, 3);
	connect(e, osc, filt);
	connect(e, filt, pan);
	connect(e, pan, "destination");
	if (engine_op_start(e, osc, NAN, NAN, NAN, &op, &err) < 0)
		die(osc, &err);
	engine_exec(e, op);
}

/* the graph of n voices, built as one batch (one processing plan) */
static struct engine *build(uint32_t n)
{
	struct engine_op *op;
	struct engine *e;
	struct error err;

	e = engine_new(RATE, CHANNELS, &err);
	if (e == NULL)
		die("engine", &err);
	engine_batch_begin(e);
	for (uint32_t v = 0; v < n; v++)
		add_voice(e, v);
	if (engine_batch_end(e, &op, &err) < 0)
		die("batch", &err);
	engine_exec(e, op);
	return e;
}

static float bus_peak(const struct bus *b)
{
	float p = 0.0f;

	for (uint32_t c = 0; !b->silent && c < b->channels; c++)
		for (uint32_t i = 0; i < QUANTUM; i++)
			p = fabsf(b->data[c][i]) > p ? fabsf(b->data[c][i]) : p;
	return p;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static struct trial run(uint32_t voices, double seconds)
{
	uint32_t n = (uint32_t)(seconds * RATE / QUANTUM), i;
	uint64_t *t = calloc(n, sizeof(*t)), sum = 0;
	struct engine *e = build(voices);
	const struct bus *b = NULL;
	struct trial r;

	if (t == NULL) {
		fprintf(stderr, "capacity: out of memory\n");
		exit(1);
	}
	for (i = 0; i < WARMUP_QUANTA; i++)
		engine_render(e);
	for (i = 0; i < n; i++) {
		uint64_t t0 = now_ns();

		b = engine_render(e);
		t[i] = now_ns() - t0;
		sum += t[i];
	}
	qsort(t, n, sizeof(*t), cmp_u64);
	r.mean = (double)sum / n;
	r.p999 = (double)t[(size_t)((n - 1) * 0.999)];
	r.worst = (double)t[n - 1];
	r.peak = bus_peak(b);
	engine_free(e);
	free(t);
	return r;
}

static bool passes(const struct options *o, uint32_t voices, struct trial *r)
{
	double limit = BUDGET_NS * (1.0 - o->margin);
	bool ok;

	*r = run(voices, o->seconds);
	if (!(r->peak > 0.0f)) {
		fprintf(stderr, "capacity: %u voices render silence\n", voices);
		exit(1);
	}
	ok = (o->worst ? r->worst : r->p999) < limit;
	printf("%6u voices  mean %7.3f ms  p99.9 %7.3f ms  worst %7.3f ms  %s\n", voices,
	       r->mean / 1e6, r->p999 / 1e6, r->worst / 1e6, ok ? "ok" : "over");
	fflush(stdout);
	return ok;
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--seconds S] [--margin M] [--worst] [--wall] [--max N]\n"
		"  --seconds S  audio rendered per trial (default 10)\n"
		"  --margin M   fraction of the 2.67 ms budget kept free (default 0.25)\n"
		"  --worst      judge by the worst quantum, not the 99.9th percentile\n"
		"  --wall       time in wall time, not the thread's CPU time\n"
		"  --max N      voices tried at most (default 65536)\n", argv0);
	exit(2);
}

static void parse(int argc, char **argv, struct options *o)
{
	*o = (struct options){ .seconds = 10, .margin = 0.25, .max = 65536 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--worst") == 0)
			o->worst = true;
		else if (strcmp(a, "--wall") == 0)
			o->wall = true;
		else if (strcmp(a, "--seconds") == 0 && v && (o->seconds = atof(v)) > 0)
			i++;
		else if (strcmp(a, "--margin") == 0 && v && (o->margin = atof(v)) >= 0 &&
			 o->margin < 1)
			i++;
		else if (strcmp(a, "--max") == 0 && v && (o->max = (uint32_t)atol(v)) > 0)
			i++;
		else
			usage(argv[0]);
	}
	if (o->seconds * RATE / QUANTUM < 1)
		usage(argv[0]);
}

/* the largest passing count: doubling from 1, then bisection between the last pass and
 * the first failure.  0 when even one voice fails */
static uint32_t search(const struct options *o, struct trial *best)
{
	uint32_t lo = 0, hi = 0, n;
	struct trial r;

	for (n = 1; n <= o->max; n *= 2) {
		if (!passes(o, n, &r)) {
			hi = n;
			break;
		}
		lo = n;
		*best = r;
	}
	if (hi == 0)
		return lo;
	while (hi - lo > 1 && hi - lo > lo / 64) {	/* to within 1/64 */
		n = lo + (hi - lo) / 2;
		if (passes(o, n, &r)) {
			lo = n;
			*best = r;
		} else {
			hi = n;
		}
	}
	return lo;
}

int main(int argc, char **argv)
{
	struct options o;
	struct trial best = { 0 };
	uint32_t n;

	parse(argc, argv, &o);
	if (o.wall)
		bench_clock = CLOCK_MONOTONIC;
	denormal_flush();
	printf("voice: OscillatorNode sawtooth -> BiquadFilterNode lowpass -> PannerNode "
	       "equalpower -> destination\n%g Hz, %d channels, quantum %d (budget %.3f ms), "
	       "%g s per trial, limit %.3f ms (%s, %s time)\n",
	       RATE, CHANNELS, QUANTUM, BUDGET_NS / 1e6, o.seconds,
	       BUDGET_NS * (1.0 - o.margin) / 1e6, o.worst ? "worst quantum" : "99.9th percentile",
	       o.wall ? "wall" : "CPU");
	n = search(&o, &best);
	if (n == 0) {
		printf("capacity: not even one voice fits\n");
		return 1;
	}
	printf("capacity: %u voices (p99.9 %.3f ms, worst %.3f ms of %.3f ms)\n"
	       "per voice: %.2f us a quantum on average, %.3f %% of one core in real time\n",
	       n, best.p999 / 1e6, best.worst / 1e6, BUDGET_NS / 1e6, best.mean / n / 1e3,
	       100.0 * best.mean / n / BUDGET_NS);
	return 0;
}
