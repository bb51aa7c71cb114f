/* bench: renders the webaudio-benchmark documents listed in an index.json and prints the median
 * render time per case next to reference figures from other engines.
 * a plain single-threaded program; it prints figures and is not a test. */
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
};

struct totals {
	double log_speed;	/* sums of logs, for geometric means */
	double log_vs_nwaa;
	int n, n_nwaa;
};

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--dir DIR] [--short] [--case N] [--runs K]\n"
		"  --dir DIR  folder holding index.json (default %s)\n"
		"  --short    use DIR/short (10 s documents)\n"
		"  --case N   run only case N\n"
		"  --runs K   renders per case, median reported (default 3)\n",
		argv0, BENCH_DATA_DIR);
}

static int options_parse(struct options *o, int argc, char **argv)
{
	bool shorter = false;

	snprintf(o->dir, sizeof(o->dir), "%s", BENCH_DATA_DIR);
	o->only = 0;
	o->runs = 3;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--short") == 0) {
			shorter = true;
			continue;
		}
		if (!v || (strcmp(a, "--dir") && strcmp(a, "--case") && strcmp(a, "--runs")))
			return -1;
		i++;
		if (strcmp(a, "--dir") == 0)
			snprintf(o->dir, sizeof(o->dir), "%s", v);
		else if (strcmp(a, "--case") == 0)
			o->only = atoi(v);
		else
			o->runs = atoi(v);
	}
	if (o->runs < 1 || o->runs > MAX_RUNS || o->only < 0)
		return -1;
	if (shorter && strlen(o->dir) + 7 < sizeof(o->dir))
		strcat(o->dir, "/short");
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
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
		struct document *d = document_load_file(path, err);
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

static void case_run(const struct options *o, struct json_object *c, struct totals *tot)
{
	int id = json_int(c, "id");
	const char *name = json_str(c, "name", "?");
	char path[8192];
	struct error err = { 0 };
	double seconds = 0, ms, speed;

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
	if (id >= 1 && id <= REFERENCE_IDS) {
		printf(" %8.0f %8.0f", reference[id].nwaa, reference[id].chromium);
		if (o->full) {
			printf(" %8.2fx", reference[id].nwaa / ms);
			tot->log_vs_nwaa += log(reference[id].nwaa / ms);
			tot->n_nwaa++;
		}
	}
	printf("\n");
}

int main(int argc, char **argv)
{
	struct totals tot = { 0 };
	struct json_object *index, *cases;
	struct options o;
	char path[8192];

	if (options_parse(&o, argc, argv) < 0) {
		usage(argv[0]);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/index.json", o.dir);
	index = json_object_from_file(path);
	if (!index || !json_object_object_get_ex(index, "cases", &cases) ||
	    !json_object_is_type(cases, json_type_array)) {
		fprintf(stderr, "%s: cannot read a case list\n", path);
		json_object_put(index);
		return 1;
	}
	o.full = json_int(index, "DURATION") == FULL_DURATION;
	printf("%s, %d run(s) per case, median of the render call\n", path, o.runs);
	printf("reference columns: median ms of the full-length documents in node-web-audio-api 2.2.0 "
	       "and Chromium\n");
	printf("%3s  %-62s %10s %10s %8s %8s %9s\n", "id", "name", "ms", "realtime", "nwaa ms",
	       "chrom ms", "vs nwaa");
	for (size_t i = 0; i < json_object_array_length(cases); i++) {
		struct json_object *c = json_object_array_get_idx(cases, i);

		if (!o.only || json_int(c, "id") == o.only)
			case_run(&o, c, &tot);
	}
	if (tot.n)
		printf("geometric mean of speed-ups over real time: %.1fx (%d cases)\n",
		       exp(tot.log_speed / tot.n), tot.n);
	if (tot.n_nwaa)
		printf("geometric mean of speed-ups over node-web-audio-api 2.2.0: %.2fx "
		       "(%d cases; reference figures are from another run, compare on one machine)\n",
		       exp(tot.log_vs_nwaa / tot.n_nwaa), tot.n_nwaa);
	json_object_put(index);
	return 0;
}
