/* vector-check: renders one Web Audio conformance vector with `audioctl render` and grades the
 * output the way tests/vectors/README.md says (sample tolerance, per-channel SNR, stats, probes).
 * a plain single-threaded test program: vector-check AUDIOCTL VECTOR_DIR NAME; exit 0 = pass. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sndfile.h>

struct tol {
	double abs;		/* per-sample absolute bound */
	double rel;		/* per-sample bound relative to |expected| */
	double snr_db;		/* NAN when the vector sets no SNR floor */
	int max_lag;		/* frames either way */
};

struct audio {
	float *data;		/* interleaved */
	long frames;
	int channels;
	int rate;
};

struct chan_result {
	double max_err;
	long max_err_frame;
	long bad;		/* frames over the per-sample bound */
	long first_bad;
	double snr;		/* dB; INFINITY when identical */
	int lag;		/* actual[i + lag] is compared with expected[i] */
};

static char *path_join(const char *dir, const char *name, const char *suffix)
{
	size_t n = strlen(dir) + strlen(name) + strlen(suffix) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s%s", dir, name, suffix);
	return p;
}

static bool file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static double json_number(struct json_object *o, const char *key, double dflt)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !v)
		return dflt;
	return json_object_get_double(v);
}

/* channel_tolerance entries override only the fields they name; null keeps the default */
static struct tol tol_parse(struct json_object *o, const struct tol *base)
{
	struct tol t = *base;

	t.abs = json_number(o, "abs", t.abs);
	t.rel = json_number(o, "rel", t.rel);
	t.snr_db = json_number(o, "snr_db", t.snr_db);
	t.max_lag = (int)json_number(o, "max_lag", t.max_lag);
	return t;
}

/* fork/exec rather than system(): no shell quoting of paths */
static int run_render(const char *audioctl, const char *doc, const char *wav, const char *probes)
{
	const char *argv[8] = { audioctl, "render", doc, "-o", wav, NULL, NULL, NULL };
	int status;
	pid_t pid;

	if (probes) {
		argv[5] = "--probes";
		argv[6] = probes;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return -1;
	}
	if (pid == 0) {
		execv(audioctl, (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", audioctl, strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0) {
		perror("waitpid");
		return -1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		printf("FAIL: audioctl render exited with status %d\n", WEXITSTATUS(status));
	else
		printf("FAIL: audioctl render killed by signal %d\n", WTERMSIG(status));
	return -1;
}

static int wav_read(const char *path, struct audio *a)
{
	SF_INFO info = { 0 };
	SNDFILE *f = sf_open(path, SFM_READ, &info);

	if (!f) {
		printf("FAIL: cannot read %s: %s\n", path, sf_strerror(NULL));
		return -1;
	}
	if ((info.format & SF_FORMAT_SUBMASK) != SF_FORMAT_FLOAT) {
		printf("FAIL: output is not 32-bit float (format 0x%x)\n", info.format);
		sf_close(f);
		return -1;
	}
	a->frames = (long)info.frames;
	a->channels = info.channels;
	a->rate = info.samplerate;
	a->data = malloc(sizeof(float) * (size_t)(a->frames > 0 ? a->frames : 1) *
			 (size_t)a->channels);
	if (!a->data || sf_readf_float(f, a->data, info.frames) != info.frames) {
		printf("FAIL: short read from %s\n", path);
		sf_close(f);
		return -1;
	}
	sf_close(f);
	return 0;
}

/* expected samples are little-endian float32 whatever the host is */
static float *f32le_read(const char *path, long count)
{
	FILE *f = fopen(path, "rb");
	unsigned char *raw = malloc((size_t)count * 4);
	float *out = malloc((size_t)count * sizeof(float));
	long got = 0;

	if (f && raw && out)
		got = (long)fread(raw, 4, (size_t)count, f);
	if (f && got == count && fgetc(f) != EOF)
		got = -1;	/* longer than length × channels */
	if (f)
		fclose(f);
	if (got != count) {
		printf("FAIL: %s does not hold exactly %ld float32 values\n", path, count);
		free(raw);
		free(out);
		return NULL;
	}
	for (long i = 0; i < count; i++) {
		const unsigned char *b = raw + 4 * i;
		uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
			     (uint32_t)b[3] << 24;

		memcpy(&out[i], &u, sizeof(u));
	}
	free(raw);
	return out;
}

static double snr_db(double sig, double noise)
{
	if (noise == 0)
		return INFINITY;
	if (sig == 0)
		return -INFINITY;
	return 10 * log10(sig / noise);
}

/* error energy of one channel at one lag, over the frames both signals cover */
static double chan_noise(const struct audio *a, const float *e, int ch, int lag)
{
	double noise = 0;

	for (long i = 0; i < a->frames; i++) {
		long j = i + lag;
		double d;

		if (j < 0 || j >= a->frames)
			continue;
		d = (double)a->data[j * a->channels + ch] - e[i * a->channels + ch];
		noise += d * d;
	}
	return noise;
}

static int best_lag(const struct audio *a, const float *e, int ch, int max_lag)
{
	double best = INFINITY;
	int lag = 0;

	for (int l = -max_lag; l <= max_lag; l++) {
		double n = chan_noise(a, e, ch, l);

		/* prefer the smallest shift on ties so lag 0 wins for identical signals */
		if (n < best || (n == best && abs(l) < abs(lag))) {
			best = n;
			lag = l;
		}
	}
	return lag;
}

static bool chan_grade(const struct audio *a, const float *e, int ch, const struct tol *t,
		       struct chan_result *r)
{
	double sig = 0, noise = 0;

	memset(r, 0, sizeof(*r));
	r->first_bad = -1;
	r->max_err_frame = -1;
	r->lag = t->max_lag > 0 ? best_lag(a, e, ch, t->max_lag) : 0;
	for (long i = 0; i < a->frames; i++) {
		long j = i + r->lag;
		double ev = e[i * a->channels + ch], av, d, lim;

		if (j < 0 || j >= a->frames)
			continue;
		av = a->data[j * a->channels + ch];
		d = fabs(av - ev);
		lim = fmax(t->abs, t->rel * fabs(ev));
		sig += ev * ev;
		noise += (av - ev) * (av - ev);
		/* written so that NaN counts as an error */
		if (!(d <= r->max_err) || r->max_err_frame < 0) {
			r->max_err = isnan(d) ? INFINITY : fmax(d, r->max_err);
			r->max_err_frame = i;
		}
		if (!(d <= lim)) {
			if (r->first_bad < 0)
				r->first_bad = i;
			r->bad++;
		}
	}
	r->snr = isnan(noise) ? -INFINITY : snr_db(sig, noise);
	return r->bad == 0 && (isnan(t->snr_db) || r->snr >= t->snr_db);
}

static bool grade_samples(const struct audio *a, const float *e, struct json_object *meta)
{
	struct json_object *jt = NULL, *jct = NULL;
	struct tol base = { 0, 0, NAN, 0 };
	bool ok = true;

	json_object_object_get_ex(meta, "tolerance", &jt);
	json_object_object_get_ex(meta, "channel_tolerance", &jct);
	base = tol_parse(jt, &base);
	for (int ch = 0; ch < a->channels; ch++) {
		struct json_object *jc = NULL;
		struct chan_result r;
		struct tol t = base;
		bool pass;

		if (jct && json_object_is_type(jct, json_type_array) &&
		    (size_t)ch < json_object_array_length(jct))
			jc = json_object_array_get_idx(jct, (size_t)ch);
		if (jc)
			t = tol_parse(jc, &base);
		pass = chan_grade(a, e, ch, &t, &r);
		printf("ch %d: max abs err %.3g (frame %ld, tol abs %.3g rel %.3g), snr %.1f dB",
		       ch, r.max_err, r.max_err_frame, t.abs, t.rel, r.snr);
		if (!isnan(t.snr_db))
			printf(" (min %.1f)", t.snr_db);
		if (t.max_lag > 0)
			printf(", lag %d", r.lag);
		if (r.bad)
			printf(", %ld frames over tolerance (first %ld)", r.bad, r.first_bad);
		printf(": %s\n", pass ? "ok" : "FAIL");
		ok = ok && pass;
	}
	return ok;
}

static double chan_rms(const float *x, long frames, int channels, int ch)
{
	double s = 0;

	for (long i = 0; i < frames; i++)
		s += (double)x[i * channels + ch] * x[i * channels + ch];
	return frames > 0 ? sqrt(s / (double)frames) : 0;
}

/* reference "stats": only per-channel RMS is specified well enough to compare */
static bool grade_stats(const struct audio *a, const float *e, struct json_object *meta)
{
	struct json_object *jt = NULL;
	double lim;
	bool ok = true;

	json_object_object_get_ex(meta, "tolerance", &jt);
	lim = json_number(jt, "rms_db", 0);
	for (int ch = 0; ch < a->channels; ch++) {
		double ra = chan_rms(a->data, a->frames, a->channels, ch);
		double re = chan_rms(e, a->frames, a->channels, ch);
		double db = (ra == re) ? 0 : 20 * log10(ra / re);
		bool pass = fabs(db) <= lim;

		struct tol info = { INFINITY, 0, NAN, 0 };
		struct chan_result r;

		chan_grade(a, e, ch, &info, &r);	/* for the log only */
		printf("ch %d: rms %.6g (expected %.6g), %+.2f dB (tol %.2f); max abs err %.3g, "
		       "snr %.1f dB (not graded): %s\n", ch, ra, re, db, lim, r.max_err, r.snr,
		       pass ? "ok" : "FAIL");
		ok = ok && pass;
	}
	return ok;
}

/* null in a frequency array is -Infinity (JSON has no infinities) */
static double probe_value(struct json_object *arr, size_t i)
{
	struct json_object *v = json_object_array_get_idx(arr, i);

	return v ? json_object_get_double(v) : -INFINITY;
}

static double freq_peak(struct json_object *arr)
{
	double peak = -INFINITY;

	for (size_t i = 0; i < json_object_array_length(arr); i++)
		peak = fmax(peak, probe_value(arr, i));
	return peak;
}

static bool probe_grade(int idx, struct json_object *pa, struct json_object *pe,
			struct json_object *ptol)
{
	struct json_object *da = NULL, *de = NULL, *jm = NULL;
	const char *method;
	double lim, floor_db = -INFINITY, worst = 0;
	size_t n;
	long bad = 0;
	bool freq;

	json_object_object_get_ex(pe, "method", &jm);
	method = jm ? json_object_get_string(jm) : "?";
	json_object_object_get_ex(pa, "data", &da);
	json_object_object_get_ex(pe, "data", &de);
	freq = strcmp(method, "getFloatFrequencyData") == 0;
	if (strncmp(method, "getByte", 7) == 0)
		lim = json_number(ptol, "byte_abs", 0);
	else if (freq)
		lim = json_number(ptol, "freq_db", 0);
	else
		lim = json_number(ptol, "time_abs", 0);
	jm = NULL;
	json_object_object_get_ex(pa, "method", &jm);
	if (!jm || strcmp(json_object_get_string(jm), method) != 0) {
		printf("probe %d: method %s, expected %s: FAIL\n", idx,
		       jm ? json_object_get_string(jm) : "(none)", method);
		return false;
	}
	if (!da || !de || !json_object_is_type(da, json_type_array) ||
	    json_object_array_length(da) != json_object_array_length(de)) {
		printf("probe %d %s: data missing or of the wrong length: FAIL\n", idx, method);
		return false;
	}
	if (freq)
		floor_db = freq_peak(de) - json_number(ptol, "freq_range_db", 0);
	n = json_object_array_length(de);
	for (size_t i = 0; i < n; i++) {
		double ev = probe_value(de, i), av = probe_value(da, i), d;

		if (freq && !(ev >= floor_db))
			continue;
		d = (av == ev) ? 0 : fabs(av - ev);
		if (!(d <= worst))
			worst = isnan(d) ? INFINITY : d;
		if (!(d <= lim))
			bad++;
	}
	printf("probe %d %s @%g: max err %.3g (tol %.3g), %ld values over: %s\n", idx, method,
	       json_number(pe, "time", 0), worst, lim, bad, bad ? "FAIL" : "ok");
	return bad == 0;
}

static bool grade_probes(const char *actual_path, const char *expected_path,
			 struct json_object *meta)
{
	struct json_object *pa, *pe, *ptol = NULL;
	bool ok = true;
	size_t n;

	json_object_object_get_ex(meta, "probe_tolerance", &ptol);
	if (!file_exists(actual_path)) {
		printf("probes: render wrote no probes file: FAIL\n");
		return false;
	}
	pa = json_object_from_file(actual_path);
	pe = json_object_from_file(expected_path);
	if (!pa || !pe || !json_object_is_type(pa, json_type_array) ||
	    !json_object_is_type(pe, json_type_array)) {
		printf("probes: unreadable probes JSON: FAIL\n");
		json_object_put(pa);
		json_object_put(pe);
		return false;
	}
	n = json_object_array_length(pe);
	if (json_object_array_length(pa) != n) {
		printf("probes: %zu readings, expected %zu: FAIL\n",
		       json_object_array_length(pa), n);
		ok = false;
	}
	for (size_t i = 0; ok && i < n; i++)
		ok = probe_grade((int)i, json_object_array_get_idx(pa, i),
				 json_object_array_get_idx(pe, i), ptol) && ok;
	json_object_put(pa);
	json_object_put(pe);
	return ok;
}

/* the document decides the expected shape; meta repeats it for documents that omit a field */
static bool shape_check(const struct audio *a, struct json_object *doc, struct json_object *meta)
{
	double rate = json_number(doc, "sampleRate", json_number(meta, "sampleRate", 0));
	double len = json_number(doc, "length", json_number(meta, "length", 0));
	double chans = json_number(doc, "channels", json_number(meta, "channels", 0));

	if (a->rate != (int)rate || a->frames != (long)len || a->channels != (int)chans) {
		printf("FAIL: output is %d Hz, %d channels, %ld frames; the document says %g Hz, "
		       "%g channels, %g frames\n", a->rate, a->channels, a->frames, rate, chans,
		       len);
		return false;
	}
	return true;
}

struct paths {
	char *doc, *meta, *expected, *probes, *tmpdir, *wav, *probes_out;
};

static void paths_free(struct paths *p)
{
	free(p->doc);
	free(p->meta);
	free(p->expected);
	free(p->probes);
	free(p->tmpdir);
	free(p->wav);
	free(p->probes_out);
}

static int paths_init(struct paths *p, const char *dir, const char *name)
{
	const char *tmp = getenv("TMPDIR");
	char *tmpl;

	memset(p, 0, sizeof(*p));
	p->doc = path_join(dir, name, ".json");
	p->meta = path_join(dir, name, ".meta.json");
	p->expected = path_join(dir, name, ".expected.f32");
	p->probes = path_join(dir, name, ".probes.json");
	tmpl = path_join(tmp && *tmp ? tmp : "/tmp", "vector-", "XXXXXX");
	if (!tmpl || !mkdtemp(tmpl)) {
		perror("mkdtemp");
		free(tmpl);
		return -1;
	}
	p->tmpdir = tmpl;
	p->wav = path_join(tmpl, name, ".wav");
	p->probes_out = path_join(tmpl, name, ".probes.json");
	return 0;
}

static void paths_cleanup(const struct paths *p)
{
	unlink(p->wav);
	unlink(p->probes_out);
	rmdir(p->tmpdir);
}

static bool grade(const struct paths *p, struct json_object *doc, struct json_object *meta,
		  bool with_probes)
{
	struct json_object *jref = NULL;
	struct audio a = { 0 };
	float *e = NULL;
	bool ok = false;

	if (wav_read(p->wav, &a) < 0 || !shape_check(&a, doc, meta))
		goto out;
	e = f32le_read(p->expected, a.frames * a.channels);
	if (!e)
		goto out;
	json_object_object_get_ex(meta, "reference", &jref);
	if (jref && strcmp(json_object_get_string(jref), "stats") == 0)
		ok = grade_stats(&a, e, meta);
	else
		ok = grade_samples(&a, e, meta);
	if (with_probes)
		ok = grade_probes(p->probes_out, p->probes, meta) && ok;
out:
	free(a.data);
	free(e);
	return ok;
}

int main(int argc, char **argv)
{
	struct json_object *doc = NULL, *meta = NULL;
	struct paths p;
	bool with_probes, ok = false;

	if (argc != 4) {
		fprintf(stderr, "usage: %s AUDIOCTL VECTOR_DIR NAME\n", argv[0]);
		return 2;
	}
	if (paths_init(&p, argv[2], argv[3]) < 0)
		return 2;
	doc = json_object_from_file(p.doc);
	meta = json_object_from_file(p.meta);
	if (!doc || !meta) {
		printf("FAIL: cannot parse %s or %s\n", p.doc, p.meta);
		goto out;
	}
	with_probes = file_exists(p.probes);
	if (run_render(argv[1], p.doc, p.wav, with_probes ? p.probes_out : NULL) < 0)
		goto out;
	ok = grade(&p, doc, meta, with_probes);
out:
	printf("%s: %s\n", argv[3], ok ? "PASS" : "FAIL");
	if (ok)
		paths_cleanup(&p);
	else
		printf("output kept in %s\n", p.tmpdir ? p.tmpdir : "(none)");
	json_object_put(doc);
	json_object_put(meta);
	paths_free(&p);
	return ok ? 0 : 1;
}
