/* fuzz target: one BUFSPEC object (PROTOCOL.md §13) through bufspec_load_fds as the daemon's
 * decoder calls it (a 4 MiB budget, five descriptors); built buffers must keep to the budget
 * and are read end to end, and a descriptor the parser took must be closed. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/buffer.h"
#include "protocol/bufspec.h"
#include "tests/fuzz/fuzz.h"

/* the daemon's default rate: what "resample" converts to and generated buffers default to */
#define CONTEXT_RATE 48000.0
/* the budget, in bytes of samples: FUZZ_MAX_SAMPLES floats */
#define MAX_BYTES ((uint64_t)FUZZ_MAX_SAMPLES * sizeof(float))

/* what {"fd": K} may name: sound files, a file that is none, and a folder (not a regular
 * file), opened afresh for each input since a spec that takes one closes it */
static const char *const fd_files[] = {
	"mono22050.wav", "stereo44100.wav", "quad48000.flac", "text.txt", ".",
};
#define N_FDS (sizeof(fd_files) / sizeof(fd_files[0]))

static void open_fds(int *fds)
{
	char p[512];

	for (size_t i = 0; i < N_FDS; i++) {
		snprintf(p, sizeof(p), "%s/%s", fuzz_files_dir(), fd_files[i]);
		fds[i] = open(p, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			perror(p);
			abort();
		}
	}
}

/* a taken entry (-1) must have been closed; the rest are still ours to close */
static void close_fds(const int *opened, const int *fds)
{
	for (size_t i = 0; i < N_FDS; i++) {
		if (fds[i] == -1) {
			if (fcntl(opened[i], F_GETFD) != -1 || errno != EBADF) {
				fprintf(stderr, "fuzz: descriptor %zu was taken but not closed\n", i);
				abort();
			}
		} else if (fds[i] != opened[i] || close(fds[i]) < 0) {
			fprintf(stderr, "fuzz: descriptor %zu changed or was closed untaken\n", i);
			abort();
		}
	}
}

static void check_buffer(const struct audio_buffer *b)
{
	volatile float sink = 0;

	if (b->channels < 1 || b->channels > 32 || b->length < 1 ||
	    (uint64_t)b->channels * b->length * sizeof(float) > MAX_BYTES ||
	    !(b->sample_rate >= 3000 && b->sample_rate <= 768000) || b->refs != 1 ||
	    audio_buffer_bytes(b) < (size_t)b->channels * b->length * sizeof(float)) {
		fprintf(stderr, "fuzz: bufspec built a buffer out of its limits: %u x %u at %g Hz\n",
			b->channels, b->length, b->sample_rate);
		abort();
	}
	for (uint32_t c = 0; c < b->channels; c++)
		for (uint32_t i = 0; i < b->length; i++)
			sink += b->data[c][i];
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok;
	struct json_object *spec;
	struct audio_buffer *b;
	struct error err = { 0 };
	int fds[N_FDS], opened[N_FDS];
	char *text;
	bool ok;

	if (size > (1 << 20))
		return 0;
	text = fuzz_text(data, size);
	tok = json_tokener_new();
	/* the NUL is the end of the text: a number or literal at the end completes */
	spec = json_tokener_parse_ex(tok, text, (int)size + 1);
	ok = json_tokener_get_error(tok) == json_tokener_success;
	json_tokener_free(tok);
	free(text);
	/* text json-c refuses never reaches the parser; a JSON null (spec NULL) does */
	if (!ok) {
		json_object_put(spec);
		return 0;
	}
	if (!fuzz_bufspec_file_allowed(spec)) {
		json_object_put(spec);
		return 0;
	}
	/* with a budget, as the daemon loads every BUFSPEC: the parser's own check keeps an
	 * input from allocating gigabytes, and is itself under test */
	open_fds(fds);
	memcpy(opened, fds, sizeof(fds));
	b = bufspec_load_fds(spec, fuzz_files_dir(), CONTEXT_RATE, MAX_BYTES, fds, N_FDS, "spec",
			     &err);
	close_fds(opened, fds);
	/* FUZZ_VERBOSE=1 in the environment shows what an input did */
	if (getenv("FUZZ_VERBOSE")) {
		if (b)
			printf("%u x %u at %g Hz\n", b->channels, b->length, b->sample_rate);
		else
			printf("%s: %s\n", err_name(err.code), err.msg);
	}
	if (b == NULL) {
		fuzz_check_error(&err, "bufspec_load");
	} else {
		check_buffer(b);
		audio_buffer_unref(b);
	}
	json_object_put(spec);
	return 0;
}
