/* fuzz target: a graph document's text (PROTOCOL.md §12) through document_load_file, as
 * `audioctl render` reads it, then a render of the loaded graph when it is short.  the text
 * goes to a private folder beside links to the fixture sound files, for relative buffers. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "protocol/document.h"
#include "tests/fuzz/fuzz.h"

/* longer documents are loaded but not rendered: one input stays in the milliseconds */
#define RENDER_MAX_FRAMES 2048
/* what the buffers of one fuzzed document may take together: a generated 2^30-frame buffer
 * is refused at once instead of being filled */
#define FUZZ_BUFFER_BYTES (UINT64_C(16) << 20)

static char dir[256];
static char doc_path[sizeof(dir) + 16];

static void cleanup(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[512];

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

/* the private folder, with a link to every fixture file */
static void init(void)
{
	const char *files = fuzz_files_dir(), *tmp = getenv("TMPDIR");
	char from[512], to[512];
	struct dirent *de;
	DIR *d;

	if (tmp == NULL || tmp[0] == '\0' || strlen(tmp) > sizeof(dir) - 32)
		tmp = "/tmp";
	snprintf(dir, sizeof(dir), "%s/audiod-fuzz-doc.XXXXXX", tmp);
	if (mkdtemp(dir) == NULL) {
		/* a TMPDIR that is not there: the system's */
		snprintf(dir, sizeof(dir), "/tmp/audiod-fuzz-doc.XXXXXX");
		if (mkdtemp(dir) == NULL) {
			perror("fuzz: mkdtemp");
			abort();
		}
	}
	atexit(cleanup);
	snprintf(doc_path, sizeof(doc_path), "%s/doc.json", dir);
	d = opendir(files);
	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(from, sizeof(from), "%s/%s", files, de->d_name);
		snprintf(to, sizeof(to), "%s/%s", dir, de->d_name);
		if (symlink(from, to) < 0)
			perror("fuzz: symlink");
	}
	if (d)
		closedir(d);
}

static void write_doc(const uint8_t *data, size_t size)
{
	FILE *f = fopen(doc_path, "wb");

	if (f == NULL || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
		perror(doc_path);
		abort();
	}
}

/* inputs the harness declines: gigabyte buffers (documents load theirs without a budget)
 * and files outside the fixture folder */
static bool allowed(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct json_object *doc = json_tokener_parse(text), *bufs;
	bool ok = true;

	free(text);
	if (json_object_object_get_ex(doc, "buffers", &bufs))
		ok = fuzz_buffers_allowed(bufs);
	json_object_put(doc);
	return ok;
}

static void render(struct document *d)
{
	struct error err = { 0 };
	uint64_t frames = document_length(d);
	uint32_t channels = document_channels(d);
	volatile float sink = 0;
	float *out;

	if (frames < 1 || channels < 1 || channels > 32 || !(document_sample_rate(d) >= 8000 &&
							     document_sample_rate(d) <= 192000)) {
		fprintf(stderr, "fuzz: a loaded document is out of its limits: %llu frames, %u "
			"channels, %g Hz\n", (unsigned long long)frames, channels,
			document_sample_rate(d));
		abort();
	}
	if (frames > RENDER_MAX_FRAMES)
		return;
	out = document_alloc_output(d);
	if (out == NULL)
		abort();
	if (document_render(d, out, NULL, NULL, &err) < 0) {
		if (getenv("FUZZ_VERBOSE"))
			printf("render: %s: %s\n", err_name(err.code), err.msg);
		fuzz_check_error(&err, "document_render");
	} else {
		for (size_t i = 0; i < frames * channels; i++)
			sink += out[i];
		if (document_probes(d))
			(void)json_object_to_json_string_ext(document_probes(d),
							      JSON_C_TO_STRING_PLAIN);
		/* a document renders once */
		if (document_render(d, out, NULL, NULL, &err) == 0) {
			fprintf(stderr, "fuzz: a document rendered twice\n");
			abort();
		}
	}
	(void)sink;
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct error err = { 0 };
	struct document *d;

	fuzz_setup();
	if (dir[0] == '\0')
		init();
	if (size > (1 << 20) || !allowed(data, size))
		return 0;
	write_doc(data, size);
	d = document_load_file(doc_path, FUZZ_BUFFER_BYTES, &err);
	/* FUZZ_VERBOSE=1 in the environment shows what an input did */
	if (getenv("FUZZ_VERBOSE"))
		printf("%s\n", d ? "loaded" : err.msg);
	if (d == NULL) {
		fuzz_check_error(&err, "document_load_file");
		return 0;
	}
	render(d);
	document_free(d);
	return 0;
}
