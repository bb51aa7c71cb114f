/* bench: renders the webaudio-benchmark documents listed in an index.json and prints the median
 * render time per case next to the figures of another engine:
 *   (default)       reference figures of node-web-audio-api 2.2.0 and Chromium from another
 *                   machine, for orientation only
 *   --nwaa-cmd CMD  node-web-audio-api timed on this machine, case by case right before
 *                   audiod's runs (so both see the same load): CMD is bench/nwaa-bench.mjs
 *                   with its module path (bench/compare.sh builds it)
 *   --nwaa FILE     the same from a file nwaa-bench.mjs wrote earlier
 * with measured figures each row has audiod ms / nwaa ms, and the last line their geometric
 * mean and on how many cases audiod is faster.
 * a plain single-threaded program (CMD runs in a child process); it prints figures and is not
 * a test. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "protocol/document.h"

#ifndef BENCH_DATA_DIR
#define BENCH_DATA_DIR "bench/data"
#endif

#define MAX_RUNS 100

/* median ms for the full-length documents (bench/data, not short/), render call only, by case id;
 * node-web-audio-api 2.2.0 and Chromium on a 2-core machine like the development ones */
static const struct { double nwaa, chromium; } reference[] = {
	{ 0, 0 },
	{ 12, 139 }, { 15, 47 }, { 22, 67 }, { 92, 91 }, { 114, 115 }, { 13, 57 },
	{ 11, 52 }, { 38, 112 }, { 133, 247 }, { 2192, 1110 }, { 2136, 1164 }, { 244, 244 },
	{ 507, 578 }, { 1623, 1444 }, { 1258, 1184 }, { 988, 1130 }, { 602, 700 }, { 295, 261 },
	{ 31, 65 }, { 32, 61 }, { 35, 82 }, { 77, 93 }, { 82, 118 }, { 61, 134 },
};
#define REFERENCE_IDS ((int)(sizeof(reference) / sizeof(reference[0])) - 1)
#define FULL_DURATION 120	/* index.json DURATION of the documents the reference timed */

struct options {
	char dir[4096];
	int only;		/* case id, 0 = all */
	int runs;
	bool full;		/* the index is the full-length one the reference figures are for */
	bool cpu;		/* time in the thread's CPU time instead of wall time */
	const char *nwaa_file;	/* nwaa-bench.mjs output, or NULL */
	const char *nwaa_cmd;	/* nwaa-bench.mjs command line, or NULL */
};

struct totals {
	double log_speed;	/* sums of logs, for geometric means */
	double log_vs_nwaa;
	int n, n_nwaa;
	int slower;		/* measured cases where audiod is not faster than nwaa */
};

/* node-web-audio-api figures: nwaa-bench.mjs output, one JSON object */
struct nwaa {
	struct json_object *root;
	struct json_object *cases;	/* array of {id, name, ms} or {id, name, unsupported} */
	char engine[128];
};

static bool use_cpu_time;	/* --cpu */

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--dir DIR] [--short] [--case N] [--runs K] [--cpu]\n"
		"          [--nwaa-cmd CMD | --nwaa FILE]\n"
		"  --dir DIR   folder holding index.json (default %s)\n"
		"  --short     use DIR/short (10 s documents)\n"
		"  --case N    run only case N\n"
		"  --runs K    renders per case, median reported (default 3)\n"
		"  --cpu       time the render in this thread's CPU time, not wall time: steadier\n"
		"              on a busy machine for comparing two builds of audiod (not with the\n"
		"              nwaa options, whose figures are wall time)\n"
		"  --nwaa-cmd CMD  compare with node-web-audio-api timed on this machine: CMD is run\n"
		"              for each case with --dir DIR --case N --runs K added, before audiod's\n"
		"              runs, and prints nwaa-bench.mjs's JSON (see bench/compare.sh)\n"
		"  --nwaa FILE compare with figures nwaa-bench.mjs wrote to FILE earlier\n",
		argv0, BENCH_DATA_DIR);
}

static int options_parse(struct options *o, int argc, char **argv)
{
	bool shorter = false;

	memset(o, 0, sizeof(*o));
	snprintf(o->dir, sizeof(o->dir), "%s", BENCH_DATA_DIR);
	o->runs = 3;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--short") == 0) {
			shorter = true;
			continue;
		}
		if (strcmp(a, "--cpu") == 0) {
			o->cpu = true;
			continue;
		}
		if (!v || (strcmp(a, "--dir") && strcmp(a, "--case") && strcmp(a, "--runs") &&
			   strcmp(a, "--nwaa") && strcmp(a, "--nwaa-cmd")))
			return -1;
		i++;
		if (strcmp(a, "--dir") == 0)
			snprintf(o->dir, sizeof(o->dir), "%s", v);
		else if (strcmp(a, "--nwaa") == 0)
			o->nwaa_file = v;
		else if (strcmp(a, "--nwaa-cmd") == 0)
			o->nwaa_cmd = v;
		else if (strcmp(a, "--case") == 0)
			o->only = atoi(v);
		else
			o->runs = atoi(v);
	}
	if (o->runs < 1 || o->runs > MAX_RUNS || o->only < 0 ||
	    ((o->nwaa_file || o->nwaa_cmd) && o->cpu) || (o->nwaa_file && o->nwaa_cmd))
		return -1;
	if (shorter && strlen(o->dir) + 7 < sizeof(o->dir))
		strcat(o->dir, "/short");
	/* the folder goes to CMD in single quotes */
	if (o->nwaa_cmd && strchr(o->dir, '\'')) {
		fprintf(stderr, "--nwaa-cmd: the folder may not contain a single quote\n");
		return -1;
	}
	use_cpu_time = o->cpu;
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(use_cpu_time ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* loads afresh for every run (a rendered document has played its sources) and times only
 * document_render.  returns the median in ms, or -1 with err set. */
static double case_time(const char *path, int runs, double *seconds, struct error *err)
{
	double t[MAX_RUNS];

	for (int r = 0; r < runs; r++) {
		struct document *d = document_load_file(path, 0, err);
		float *out;
		double t0;
		int rc;

		if (!d)
			return -1;
		*seconds = (double)document_length(d) / document_sample_rate(d);
		out = document_alloc_output(d);
		if (!out) {
			document_free(d);
			err_set(err, ERR_INTERNAL, "out of memory");
			return -1;
		}
		t0 = now_ms();
		rc = document_render(d, out, NULL, NULL, err);
		t[r] = now_ms() - t0;
		free(out);
		document_free(d);
		if (rc < 0)
			return -1;
	}
	qsort(t, (size_t)runs, sizeof(t[0]), cmp_double);
	return runs % 2 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
}

static const char *json_str(struct json_object *o, const char *key, const char *dflt)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : dflt;
}

static int json_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int(v) : 0;
}

/* takes root (nwaa-bench.mjs output); -1 when it is not that */
static int nwaa_set(struct nwaa *w, struct json_object *root, const char *what)
{
	json_object_put(w->root);
	w->root = root;
	if (!root || !json_object_object_get_ex(root, "cases", &w->cases) ||
	    !json_object_is_type(w->cases, json_type_array)) {
		fprintf(stderr, "%s: not the output of nwaa-bench.mjs\n", what);
		return -1;
	}
	snprintf(w->engine, sizeof(w->engine), "%s", json_str(root, "engine", "node-web-audio-api"));
	return 0;
}

/* runs the nwaa command for one case; -1 when it fails or prints something else */
static int nwaa_run(struct nwaa *w, const struct options *o, int id)
{
	char cmd[8192], *text = NULL;
	size_t len = 0, cap = 0, got;
	FILE *p;
	int rc;

	snprintf(cmd, sizeof(cmd), "%s --dir '%s' --case %d --runs %d", o->nwaa_cmd, o->dir, id,
		 o->runs);
	fflush(stdout);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	do {
		if (len + 4096 > cap) {
			char *t = realloc(text, cap = cap * 2 + 4096);
			if (!t)
				break;
			text = t;
		}
		got = fread(text + len, 1, cap - len - 1, p);
		len += got;
	} while (got > 0);
	rc = pclose(p);
	if (text)
		text[len] = '\0';
	rc = rc == 0 && text ? nwaa_set(w, json_tokener_parse(text), "--nwaa-cmd") : -1;
	free(text);
	return rc;
}

/* case id of the nwaa figures; NULL when they have none */
static struct json_object *nwaa_case(const struct nwaa *w, int id)
{
	for (size_t i = 0; w->cases && i < json_object_array_length(w->cases); i++) {
		struct json_object *c = json_object_array_get_idx(w->cases, i);

		if (json_int(c, "id") == id)
			return c;
	}
	return NULL;
}

/* the comparison columns of one case: measured nwaa figures when there are any, else the
 * reference table (only meaningful for the full-length documents) */
static void case_compare(const struct options *o, const struct nwaa *w, int id, double ms,
			 struct totals *tot)
{
	struct json_object *c, *v;
	double x;

	if (!o->nwaa_file && !o->nwaa_cmd) {
		if (id < 1 || id > REFERENCE_IDS)
			return;
		printf(" %8.0f %8.0f", reference[id].nwaa, reference[id].chromium);
		if (o->full) {
			printf(" %8.2fx", reference[id].nwaa / ms);
			tot->log_vs_nwaa += log(reference[id].nwaa / ms);
			tot->n_nwaa++;
		}
		return;
	}
	c = nwaa_case(w, id);
	if (!c) {
		printf(" %10s  (no nwaa figure)", "-");
		return;
	}
	if (!json_object_object_get_ex(c, "ms", &v)) {
		printf(" %10s  nwaa cannot express it: %s", "-",
		       json_str(c, "unsupported", "(no reason given)"));
		return;
	}
	x = json_object_get_double(v);
	printf(" %10.1f %7.3f%s", x, ms / x, ms < x ? "" : "  audiod slower");
	tot->log_vs_nwaa += log(ms / x);
	tot->n_nwaa++;
	tot->slower += ms >= x;
}

static void case_run(const struct options *o, struct nwaa *w, struct json_object *c,
		     struct totals *tot)
{
	int id = json_int(c, "id");
	const char *name = json_str(c, "name", "?");
	char path[8192];
	struct error err = { 0 };
	double seconds = 0, ms, speed;

	/* nwaa first: its figures and audiod's then come from the same few seconds */
	if (o->nwaa_cmd && nwaa_run(w, o, id) < 0) {
		json_object_put(w->root);
		*w = (struct nwaa){ 0 };
	}
	snprintf(path, sizeof(path), "%s/%s", o->dir, json_str(c, "file", ""));
	printf("%3d  %-62.62s ", id, name);
	fflush(stdout);
	ms = case_time(path, o->runs, &seconds, &err);
	if (ms < 0) {
		printf("skipped: %s\n", err.msg);
		return;
	}
	speed = ms > 0 ? seconds * 1000 / ms : INFINITY;
	printf("%10.1f %9.1fx", ms, speed);
	tot->log_speed += log(speed);
	tot->n++;
	case_compare(o, w, id, ms, tot);
	printf("\n");
}

static void header(const struct options *o, const char *path)
{
	printf("%s, %d run(s) per case, median of the render call (%s)\n", path, o->runs,
	       o->cpu ? "CPU time of the thread" : "wall time");
	if (o->nwaa_file || o->nwaa_cmd) {
		printf("nwaa: node-web-audio-api on this machine, %s; ratio = audiod ms / nwaa ms, "
		       "below 1 is faster\n", o->nwaa_cmd ? "timed just before each case" :
		       o->nwaa_file);
		printf("%3s  %-62s %10s %10s %10s %7s\n", "id", "name", "audiod ms", "realtime",
		       "nwaa ms", "ratio");
		return;
	}
	printf("reference columns: median ms of the full-length documents in node-web-audio-api 2.2.0 "
	       "and Chromium\n");
	printf("%3s  %-62s %10s %10s %8s %8s %9s\n", "id", "name", "ms", "realtime", "nwaa ms",
	       "chrom ms", "vs nwaa");
}

static void footer(const struct options *o, const struct nwaa *w, const struct totals *tot)
{
	if (tot->n)
		printf("geometric mean of speed-ups over real time: %.1fx (%d cases)\n",
		       exp(tot->log_speed / tot->n), tot->n);
	if (!tot->n_nwaa)
		return;
	if (o->nwaa_file || o->nwaa_cmd)
		printf("geometric mean of audiod ms / nwaa ms: %.3f over %d cases (%.2fx faster, "
		       "%s); audiod faster on %d of %d\n",
		       exp(tot->log_vs_nwaa / tot->n_nwaa), tot->n_nwaa,
		       exp(-tot->log_vs_nwaa / tot->n_nwaa), w->engine[0] ? w->engine : "nwaa",
		       tot->n_nwaa - tot->slower, tot->n_nwaa);
	else
		printf("geometric mean of speed-ups over node-web-audio-api 2.2.0: %.2fx "
		       "(%d cases; reference figures are from another run, compare on one machine)\n",
		       exp(tot->log_vs_nwaa / tot->n_nwaa), tot->n_nwaa);
}

int main(int argc, char **argv)
{
	struct json_object *index, *cases;
	struct nwaa w = { 0 };
	struct totals tot = { 0 };
	struct options o;
	char path[8192];

	if (options_parse(&o, argc, argv) < 0) {
		usage(argv[0]);
		return 2;
	}
	if (o.nwaa_file && nwaa_set(&w, json_object_from_file(o.nwaa_file), o.nwaa_file) < 0) {
		json_object_put(w.root);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/index.json", o.dir);
	index = json_object_from_file(path);
	if (!index || !json_object_object_get_ex(index, "cases", &cases) ||
	    !json_object_is_type(cases, json_type_array)) {
		fprintf(stderr, "%s: cannot read a case list\n", path);
		json_object_put(index);
		json_object_put(w.root);
		return 1;
	}
	o.full = json_int(index, "DURATION") == FULL_DURATION;
	header(&o, path);
	for (size_t i = 0; i < json_object_array_length(cases); i++) {
		struct json_object *c = json_object_array_get_idx(cases, i);

		if (!o.only || json_int(c, "id") == o.only)
			case_run(&o, &w, c, &tot);
	}
	footer(&o, &w, &tot);
	json_object_put(index);
	json_object_put(w.root);
	return 0;
}
