/* helpers shared by the fuzz targets: the input as a string, the guards that keep one input
 * cheap (buffer sizes, file names), and the check every refusal must pass.
 * single-threaded, like the targets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "tests/fuzz/fuzz.h"

#ifndef FUZZ_FILES_DIR
#error "FUZZ_FILES_DIR must name tests/fuzz/files"
#endif

char *fuzz_text(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (text == NULL)
		abort();	/* an input is never large enough for this to be its fault */
	if (size)
		memcpy(text, data, size);
	text[size] = '\0';
	return text;
}

static bool number_of(struct json_object *obj, const char *key, double *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return false;
	*out = json_object_get_double(v);
	return true;
}

bool fuzz_bufspec_file_allowed(struct json_object *spec)
{
	struct json_object *f;

	/* the order bufspec_load decides the kind in: "generate" first */
	if (!json_object_is_type(spec, json_type_object) ||
	    json_object_object_get_ex(spec, "generate", NULL))
		return true;
	if (json_object_object_get_ex(spec, "file", &f) &&
	    json_object_is_type(f, json_type_string)) {
		const char *name = json_object_get_string(f);

		/* /dev/stdin, a FIFO or a huge file would stall or swamp one input */
		return name[0] != '/' && strstr(name, "..") == NULL;
	}
	return true;
}

bool fuzz_bufspec_allowed(struct json_object *spec)
{
	double length = 0, channels = 1;

	if (!fuzz_bufspec_file_allowed(spec))
		return false;
	if (!json_object_is_type(spec, json_type_object) ||
	    !json_object_object_get_ex(spec, "generate", NULL))
		return true;
	number_of(spec, "length", &length);
	number_of(spec, "numberOfChannels", &channels);
	/* more than 32 channels is refused before anything is allocated */
	return !(channels >= 1 && channels <= 32 && length * channels > FUZZ_MAX_SAMPLES);
}

static bool each_buffer(struct json_object *buffers, bool (*ok)(struct json_object *spec))
{
	if (!json_object_is_type(buffers, json_type_object))
		return true;
	json_object_object_foreach(buffers, key, val) {
		(void)key;
		if (!ok(val))
			return false;
	}
	return true;
}

bool fuzz_buffers_files_allowed(struct json_object *buffers)
{
	return each_buffer(buffers, fuzz_bufspec_file_allowed);
}

bool fuzz_buffers_allowed(struct json_object *buffers)
{
	return each_buffer(buffers, fuzz_bufspec_allowed);
}

void fuzz_setup(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	if (getenv("FUZZ_HRTF") == NULL)
		setenv("AUDIOD_HRTF_SOFA", "/nonexistent/audiod-fuzz-without-hrtf.sofa", 1);
}

const char *fuzz_files_dir(void)
{
	const char *dir = getenv("AUDIOD_FUZZ_FILES");

	return dir && dir[0] ? dir : FUZZ_FILES_DIR;
}

void fuzz_check_error(const struct error *err, const char *what)
{
	if (err->code <= ERR_OK || err->code >= ERR_COUNT) {
		fprintf(stderr, "fuzz: %s failed with code %d (%s)\n", what, (int)err->code,
			err->msg);
		abort();
	}
	if (err->msg[0] == '\0' || memchr(err->msg, '\0', sizeof(err->msg)) == NULL) {
		fprintf(stderr, "fuzz: %s failed (%s) without a message\n", what,
			err_name(err->code));
		abort();
	}
}
