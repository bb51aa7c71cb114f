/* `audioctl render DOC.json -o OUT.wav`: loads a graph document, renders it with the engine
 * directly (no daemon, no threads, no sleeps) and writes a WAV file, plus AnalyserNode probes.
 * a plain single-threaded program. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "client/render.h"
#include "protocol/document.h"
#include "protocol/wav.h"

#define EXIT_USAGE 2
/* renders shorter than this many seconds of audio finish too fast to need a progress line */
#define PROGRESS_MIN_SECONDS 10
/* s of wall time before the first progress line, so quick renders print nothing */
#define PROGRESS_DELAY 0.3

struct render_args {
	const char *doc;
	const char *out;
	const char *probes;
	enum wav_format format;
	uint64_t buffer_bytes;	/* 0: the document default */
	int quiet;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: audioctl render DOC.json -o OUT.wav [--probes PROBES.json]\n"
		"                       [--format f32|s16|s24] [--max-buffer-mb MB] [--quiet]\n"
		"\n"
		"Renders a graph document offline, without a daemon: exactly `length` frames of\n"
		"`channels` channels at `sampleRate`, the same bits on every run.\n"
		"\n"
		"  -o, --output FILE    the WAV file to write (required)\n"
		"      --format FMT     f32 (32-bit float, the default), s16 or s24 (PCM, clipped)\n"
		"      --probes FILE    write the document's AnalyserNode probes as JSON:\n"
		"                       [{\"time\",\"node\",\"method\",\"actualTime\",\"data\"}]\n"
		"      --max-buffer-mb MB  what the document's buffers may take together\n"
		"                       (default 4096); past it: a limit error, nothing allocated\n"
		"  -q, --quiet          no progress line, even on a terminal\n"
		"  -h, --help           this text\n"
		"\n"
		"A bad document exits non-zero with a message naming the JSON path of the fault,\n"
		"and no output file is written.\n");
}

static int parse_args(int argc, char **argv, struct render_args *a)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "probes", required_argument, NULL, 'p' },
		{ "format", required_argument, NULL, 'f' },
		{ "max-buffer-mb", required_argument, NULL, 'm' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct error err;
	char *end;
	double mb;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': a->out = optarg; break;
		case 'p': a->probes = optarg; break;
		case 'q': a->quiet = 1; break;
		case 'h': usage(stdout); return 0;
		case 'm':
			mb = strtod(optarg, &end);
			if (end == optarg || *end || !(mb >= 1 && mb <= 1048576)) {
				fprintf(stderr, "audioctl render: --max-buffer-mb: expected 1 to "
					"1048576, got \"%s\"\n", optarg);
				return -1;
			}
			a->buffer_bytes = (uint64_t)(mb * 1048576.0);
			break;
		case 'f':
			if (wav_format_parse(optarg, &a->format, &err) < 0) {
				fprintf(stderr, "audioctl render: --format: %s\n", err.msg);
				return -1;
			}
			break;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind + 1 != argc || a->out == NULL) {
		fprintf(stderr, "audioctl render: %s\n",
			optind >= argc ? "missing DOC.json" :
			optind + 1 < argc ? "more than one document given" :
			"missing -o OUT.wav");
		usage(stderr);
		return -1;
	}
	a->doc = argv[optind];
	return 1;
}

struct progress {
	struct timespec start;
	int last;		/* percent shown last; -1 before the first line */
};

static double elapsed(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) + (now.tv_nsec - since->tv_nsec) * 1e-9;
}

/* a percentage line, once the render has taken long enough for one to help */
static void progress(uint64_t done, uint64_t total, void *data)
{
	struct progress *p = data;
	int pct = (int)(done * 100 / (total ? total : 1));

	if (done == total) {
		if (p->last >= 0)
			fprintf(stderr, "\r\033[K");
		return;
	}
	if (pct == p->last || elapsed(&p->start) < PROGRESS_DELAY)
		return;
	p->last = pct;
	fprintf(stderr, "\rrendering %3d%%", pct);
	fflush(stderr);
}

/* messages about the document's content name a JSON path; say which file it is in */
static void report(const char *doc, const struct error *err)
{
	if (strncmp(err->msg, doc, strlen(doc)) == 0)
		fprintf(stderr, "audioctl render: %s\n", err->msg);
	else
		fprintf(stderr, "audioctl render: %s: %s\n", doc, err->msg);
}

/* whether every probe could be read (AnalyserNode readings may be unavailable) */
static bool probes_complete(struct json_object *probes)
{
	size_t i, n = json_object_array_length(probes);
	struct json_object *data;

	for (i = 0; i < n; i++)
		if (!json_object_object_get_ex(json_object_array_get_idx(probes, i), "data", &data) ||
		    data == NULL)
			return false;
	return true;
}

/* probes JSON, written beside the target and renamed like the WAV */
static int write_probes(const char *path, struct json_object *probes, struct error *err)
{
	struct json_object *empty = NULL;
	const char *text;
	size_t len = strlen(path);
	char *tmp = malloc(len + 8);
	FILE *f;
	int fd, r = -1;

	if (tmp == NULL)
		return err_set(err, ERR_INTERNAL, "out of memory");
	if (probes == NULL)
		probes = empty = json_object_new_array();
	text = json_object_to_json_string_ext(probes, JSON_C_TO_STRING_PLAIN);
	memcpy(tmp, path, len);
	memcpy(tmp + len, ".XXXXXX", 8);
	fd = mkstemp(tmp);
	if (fd < 0) {
		err_set(err, ERR_IO, "%s: cannot create: %s", path, strerror(errno));
		goto out;
	}
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		unlink(tmp);
		err_set(err, ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	fprintf(f, "%s\n", text);
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		err_set(err, ERR_IO, "%s: write failed: %s", path, strerror(errno));
		goto out;
	}
	r = 0;
out:
	if (empty)
		json_object_put(empty);
	free(tmp);
	return r;
}

static int render(const struct render_args *a)
{
	struct error err = { 0 };
	struct document *d;
	float *out = NULL;
	uint64_t frames;
	uint32_t channels;
	struct progress prog = { .last = -1 };
	int status = 1;
	bool show;

	d = document_load_file(a->doc, a->buffer_bytes, &err);
	if (d == NULL) {
		report(a->doc, &err);
		return 1;
	}
	frames = document_length(d);
	channels = document_channels(d);
	if (frames > SIZE_MAX / sizeof(float) / channels ||
	    (out = document_alloc_output(d)) == NULL) {
		fprintf(stderr, "audioctl render: %s: not enough memory for %llu frames\n", a->doc,
			(unsigned long long)frames);
		goto out;
	}
	show = !a->quiet && isatty(STDERR_FILENO) &&
	       frames >= PROGRESS_MIN_SECONDS * document_sample_rate(d);
	clock_gettime(CLOCK_MONOTONIC, &prog.start);
	if (document_render(d, out, show ? progress : NULL, &prog, &err) < 0) {
		report(a->doc, &err);
		goto out;
	}
	if (a->probes && document_probes(d) && !probes_complete(document_probes(d))) {
		fprintf(stderr, "audioctl render: %s: probes: AnalyserNode readings are not "
			"available in this build\n", a->doc);
		goto out;
	}
	if (wav_write(a->out, out, frames, channels, (uint32_t)document_sample_rate(d), a->format,
		      &err) < 0 ||
	    (a->probes && write_probes(a->probes, document_probes(d), &err) < 0)) {
		fprintf(stderr, "audioctl render: %s\n", err.msg);
		goto out;
	}
	status = 0;
out:
	free(out);
	document_free(d);
	return status;
}

int audioctl_render_main(int argc, char **argv)
{
	struct render_args a = { .format = WAV_F32 };
	int r = parse_args(argc, argv, &a);

	if (r <= 0)
		return r < 0 ? EXIT_USAGE : 0;
	return render(&a);
}
