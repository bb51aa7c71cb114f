/* bad input never breaks the loader: thousands of deterministic mutations of the
 * conformance documents (fields dropped, values swapped for wrong types, NaN-like strings,
 * huge and negative numbers, arrays emptied or truncated) go through document_load_json.
 * each either loads (and then renders a few quanta) or fails with a protocol error code and
 * a message naming a JSON path; under ASan in CI this also proves no memory error. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "engine/bus.h"
#include "protocol/document.h"

#ifndef VECTOR_DIR
#error "VECTOR_DIR must name tests/vectors"
#endif

/* vectors without external files, so mutations stay in memory */
static const char *const seeds[] = {
	"auto-cancel", "auto-ramps", "auto-target-curve", "biquad", "channels", "compressor",
	"convolver", "delay", "delay-feedback", "events", "gain-constant", "iir", "osc-shapes",
	"osc-sine-custom", "panner-cone", "panner-position", "param-modulation", "stereo-panner",
	"subsample", "waveshaper", "analyser",
};

static uint32_t rng = 2463534242u;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static struct json_object *odd_value(void)
{
	switch (next() % 9) {
	case 0: return json_object_new_string("NaN");
	case 1: return json_object_new_double(1e308);
	case 2: return json_object_new_double(-1e308);
	case 3: return json_object_new_int(-1);
	case 4: return json_object_new_boolean(1);
	case 5: return NULL;	/* JSON null */
	case 6: return json_object_new_array();
	case 7: return json_object_new_object();
	default: return json_object_new_string("\xff\xfe not utf-8 or a name");
	}
}

/* one random edit somewhere inside o (depth-first, choosing a child by chance) */
static void mutate(struct json_object *o, int depth)
{
	if (json_object_is_type(o, json_type_object)) {
		int n = json_object_object_length(o), pick, i = 0;
		if (n == 0)
			return;
		pick = (int)(next() % (uint32_t)n);
		json_object_object_foreach(o, key, val) {
			if (i++ != pick)
				continue;
			if (depth > 0 && (json_object_is_type(val, json_type_object) ||
					  json_object_is_type(val, json_type_array)) && next() % 3) {
				mutate(val, depth - 1);
			} else if (next() % 4 == 0) {
				json_object_object_del(o, key);
			} else {
				json_object_object_add(o, key, odd_value());
			}
			return;
		}
	} else if (json_object_is_type(o, json_type_array)) {
		size_t n = json_object_array_length(o), pick;
		struct json_object *val;
		if (n == 0)
			return;
		pick = next() % n;
		val = json_object_array_get_idx(o, pick);
		if (depth > 0 && val && (json_object_is_type(val, json_type_object) ||
					 json_object_is_type(val, json_type_array)) && next() % 3)
			mutate(val, depth - 1);
		else if (next() % 4 == 0)
			json_object_array_del_idx(o, pick, n - pick);
		else
			json_object_array_put_idx(o, pick, odd_value());
	}
}

static const char *const codes[] = {
	"bad_request", "unknown_type", "unknown_node", "unknown_param", "unknown_attr",
	"invalid_value", "index_size", "invalid_state", "not_supported", "io",
};

static void check_error(const struct error *err, const char *seed, int round)
{
	const char *name = err_name(err->code);
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(name, codes[i]) == 0)
			break;
	if (i == sizeof(codes) / sizeof(codes[0]))
		fail_msg("%s round %d: unexpected code %s (%s)", seed, round, name, err->msg);
	if (err->msg[0] == '\0')
		fail_msg("%s round %d: %s without a message", seed, round, name);
}

static void mutated_documents_load_or_fail_with_a_code_and_message(void **state)
{
	char path[512];
	int loaded = 0, failed = 0;

	(void)state;
	for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
		snprintf(path, sizeof(path), "%s/%s.json", VECTOR_DIR, seeds[s]);
		for (int round = 0; round < 400; round++) {
			struct json_object *doc = json_object_from_file(path);
			struct error err = { 0 };
			struct document *d;
			int edits = 1 + (int)(next() % 3);

			assert_non_null(doc);
			for (int k = 0; k < edits; k++)
				mutate(doc, 4);
			/* keep renders short: a huge length is its own error class */
			d = document_load_json(doc, VECTOR_DIR, 0, &err);
			if (d == NULL) {
				check_error(&err, seeds[s], round);
				failed++;
			} else {
				uint64_t frames = document_length(d);
				loaded++;
				if (frames <= 48000 * 2) {
					float *out = document_alloc_output(d);
					assert_non_null(out);
					if (document_render(d, out, NULL, NULL, &err) < 0)
						check_error(&err, seeds[s], round);
					free(out);
				}
				document_free(d);
			}
			json_object_put(doc);
		}
	}
	printf("%d documents loaded, %d refused\n", loaded, failed);
	/* the mutations must exercise both sides */
	assert_true(loaded > 50);
	assert_true(failed > 500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mutated_documents_load_or_fail_with_a_code_and_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
