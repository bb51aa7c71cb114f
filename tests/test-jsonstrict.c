/* protocol/jsonstrict: what json-c alone lets through is refused with the code and the exact
 * message the daemon replies with (invalid UTF-8 and syntax: parse_error at the first bad
 * byte; duplicate keys, escaped NUL, unpaired surrogates, nesting: bad_request naming the
 * JSON path), valid JSON still parses to the same tree, and graph document files get the same
 * reading.  single-threaded test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "protocol/document.h"
#include "protocol/jsonstrict.h"

#define LEN(s) (sizeof(s) - 1)	/* literals may hold NUL bytes */

/* text must be refused with code, message and the fault's byte offset */
static void expect_fault(const char *text, size_t len, enum err_code code, size_t at,
			 const char *msg)
{
	struct error err = { 0 };
	struct json_object *o = (struct json_object *)&err;
	size_t got = 12345;

	if (jsonstrict_parse(text, len, &o, &got, &err) == 0)
		fail_msg("accepted: %.*s", (int)len, text);
	assert_null(o);
	if (err.code != code || strcmp(err.msg, msg) != 0 || got != at)
		fail_msg("%.*s: got %s \"%s\" at %zu, expected %s \"%s\" at %zu", (int)len, text,
			 err_name(err.code), err.msg, got, err_name(code), msg, at);
}

static struct json_object *parse_ok(const char *text, size_t len)
{
	struct error err = { 0 };
	struct json_object *o = NULL;
	size_t at = 12345;

	if (jsonstrict_parse(text, len, &o, &at, &err) < 0)
		fail_msg("%.*s: %s at %zu", (int)len, text, err.msg, at);
	assert_int_equal(at, 0);
	return o;
}

static const char *str_at(struct json_object *o, const char *key)
{
	struct json_object *v;

	assert_true(json_object_object_get_ex(o, key, &v));
	return json_object_get_string(v);
}

static void valid_json_parses_to_json_c_tree_with_escapes_resolved(void **state)
{
	static const char text[] =
		" {\"op\":\"create\",\"\\u0061\":\"\\ud83c\\udfb5 \\u00e9\\n\\\"\\\\\\/\","
		"\"n\":[0,-1.5e+3,2E-2,true,false,null,{}],\"e\":{\"op\":1},\"u\":\"\xc3\xa9\"}\r\n";
	struct json_object *o = parse_ok(text, LEN(text)), *n;

	assert_string_equal(str_at(o, "op"), "create");
	/* a pair of escapes is one 4-byte character; the \u0061 key is plain "a" */
	assert_string_equal(str_at(o, "a"), "\xf0\x9f\x8e\xb5 \xc3\xa9\n\"\\/");
	assert_string_equal(str_at(o, "u"), "\xc3\xa9");
	assert_true(json_object_object_get_ex(o, "n", &n));
	assert_int_equal(json_object_array_length(n), 7);
	assert_int_equal(json_object_get_int(json_object_array_get_idx(n, 0)), 0);
	assert_true(json_object_get_double(json_object_array_get_idx(n, 1)) == -1500.0);
	assert_true(json_object_get_double(json_object_array_get_idx(n, 2)) == 0.02);
	assert_true(json_object_is_type(json_object_array_get_idx(n, 5), json_type_null));
	json_object_put(o);
}

/* found by fuzz-document under UBSan: an object closing before any key was read anywhere
 * did pointer arithmetic on the empty key table */
static void objects_closing_before_any_key_parse(void **state)
{
	static const char *const texts[] = { "{}", "[1,{}]", "{\"a\":[{},{}]}", "[[{}],{}]" };

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		json_object_put(parse_ok(texts[i], strlen(texts[i])));
}

static void a_scalar_ending_the_text_parses_without_a_terminator(void **state)
{
	struct json_object *o = parse_ok("42", 2);

	assert_int_equal(json_object_get_int(o), 42);
	json_object_put(o);
	o = parse_ok("\"x\"", 3);
	assert_string_equal(json_object_get_string(o), "x");
	json_object_put(o);
	assert_null(parse_ok("null", 4));
	assert_null(parse_ok(" null ", 6));
	/* json-c (and Python) write non-finite numbers so: they parse, for the codec to refuse
	 * them with invalid_value where a number is wanted */
	o = parse_ok("[NaN,Infinity,-Infinity]", 24);
	assert_int_equal(json_object_array_length(o), 3);
	assert_true(json_object_get_double(json_object_array_get_idx(o, 2)) < -1e308);
	json_object_put(o);
}

static void utf8_is_accepted_up_to_every_boundary_of_the_table(void **state)
{
	static const char *const ok[] = {
		"\"\xc2\x80\"", "\"\xdf\xbf\"",			/* U+0080, U+07FF */
		"\"\xe0\xa0\x80\"", "\"\xed\x9f\xbf\"",		/* U+0800, U+D7FF */
		"\"\xee\x80\x80\"", "\"\xef\xbf\xbf\"",		/* U+E000, U+FFFF */
		"\"\xf0\x90\x80\x80\"", "\"\xf4\x8f\xbf\xbf\"",	/* U+10000, U+10FFFF */
		"\"\x7f\"",
	};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct json_object *o = parse_ok(ok[i], strlen(ok[i]));

		assert_int_equal(json_object_get_string_len(o), strlen(ok[i]) - 2);
		assert_memory_equal(json_object_get_string(o), ok[i] + 1, strlen(ok[i]) - 2);
		json_object_put(o);
	}
}

static void invalid_utf8_is_a_parse_error_at_its_first_byte_not_quoted(void **state)
{
	static const struct {
		const char *text;
		size_t at;
	} bad[] = {
		{ "{\"op\":\"\xc0\xaf\"}", 7 },			/* overlong '/' */
		{ "{\"op\":\"\xc1\xbf\"}", 7 },			/* overlong */
		{ "{\"op\":\"\xe0\x80\xaf\"}", 7 },		/* overlong 3 bytes */
		{ "{\"op\":\"\xf0\x80\x80\xaf\"}", 7 },		/* overlong 4 bytes */
		{ "{\"op\":\"a\xed\xa0\x80\"}", 8 },		/* U+D800 encoded */
		{ "{\"op\":\"a\xed\xbf\xbf\"}", 8 },		/* U+DFFF encoded */
		{ "{\"op\":\"\xf4\x90\x80\x80\"}", 7 },		/* above U+10FFFF */
		{ "{\"op\":\"\xf5\x80\x80\x80\"}", 7 },
		{ "{\"op\":\"\xff\"}", 7 },
		{ "{\"op\":\"\xfe\"}", 7 },
		{ "{\"op\":\"\x80\"}", 7 },			/* a lone continuation */
		{ "{\"op\":\"\xe2\x82\"}", 7 },			/* cut short by the quote */
		{ "{\"op\":\"\xc3\"}", 7 },
		{ "{\"op\":\"\xf0\x9f\x8e\"}", 7 },
		{ "{\"\xff\":1}", 2 },				/* in a key */
		{ "{\"op\":1}\xff", 8 },				/* outside strings */
		{ "\"\xe2\x82", 1 },				/* at the end of the text */
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_fault(bad[i].text, strlen(bad[i].text), ERR_PARSE, bad[i].at,
			     "invalid UTF-8");
}

static void escaped_nul_is_refused_naming_the_json_path(void **state)
{
	expect_fault("{\"id\":\"a\\u0000b\"}", 17, ERR_BAD_REQUEST, 8, "id: embedded NUL");
	expect_fault("{\"op\":\"batch\",\"commands\":[{\"op\":\"x\"},{\"id\":\"\\u0000\"}]}", 54,
		     ERR_BAD_REQUEST, 44, "commands[1].id: embedded NUL");
	expect_fault("{\"o\":{\"a\\u0000\":1}}", 19, ERR_BAD_REQUEST, 8,
		     "o: embedded NUL in a key");
	expect_fault("[\"\\u0000\"]", 10, ERR_BAD_REQUEST, 2, "[0]: embedded NUL");
	expect_fault("\"\\u0000\"", 8, ERR_BAD_REQUEST, 1, "embedded NUL");
}

static void unpaired_surrogate_escapes_are_refused(void **state)
{
	expect_fault("{\"id\":\"\\ud800\"}", 15, ERR_BAD_REQUEST, 7,
		     "id: unpaired surrogate \\ud800");
	expect_fault("{\"id\":\"\\uDBFFx\"}", 16, ERR_BAD_REQUEST, 7,
		     "id: unpaired surrogate \\udbff");
	expect_fault("{\"id\":\"\\ud800\\u0041\"}", 21, ERR_BAD_REQUEST, 7,
		     "id: unpaired surrogate \\ud800");
	expect_fault("{\"id\":\"\\udc00\"}", 15, ERR_BAD_REQUEST, 7,
		     "id: unpaired surrogate \\udc00");
	expect_fault("{\"\\ud800\":1}", 12, ERR_BAD_REQUEST, 2,
		     "unpaired surrogate \\ud800 in a key");
	/* a second escape that is not one is bad JSON, not a lone surrogate */
	expect_fault("{\"id\":\"\\ud800\\u12\"}", 19, ERR_PARSE, 13,
		     "invalid JSON: \\u needs four hex digits");
}

static void duplicate_keys_are_refused_at_any_depth_naming_the_key(void **state)
{
	struct json_object *o;

	expect_fault("{\"op\":\"time\",\"op\":\"x\"}", 22, ERR_BAD_REQUEST, 13,
		     "duplicate key \"op\"");
	expect_fault("{\"op\":\"time\",\"id\":{\"a\":1,\"a\":2}}", 32, ERR_BAD_REQUEST, 25,
		     "id: duplicate key \"a\"");
	expect_fault("{\"a\":{\"b\":[1,{\"c\":1,\"d\":{},\"c\":2}]}}", 36, ERR_BAD_REQUEST,
		     27, "a.b[1]: duplicate key \"c\"");
	/* equal once the escapes are resolved, as json-c would store them */
	expect_fault("{\"a\":1,\"\\u0061\":2}", 18, ERR_BAD_REQUEST, 7, "duplicate key \"a\"");
	expect_fault("{\"\":1,\"\":2}", 11, ERR_BAD_REQUEST, 6, "duplicate key \"\"");
	/* three times: the second is the one named */
	expect_fault("{\"k\":1,\"x\":0,\"k\":2,\"k\":3}", 25, ERR_BAD_REQUEST, 13,
		     "duplicate key \"k\"");
	/* the same key in sibling or nested objects is fine */
	o = parse_ok("[{\"a\":1},{\"a\":{\"a\":[{\"a\":1}]}},{\"ab\":1,\"a\":2,\"b\":3}]", 52);
	json_object_put(o);
}

static void a_duplicate_key_is_quoted_escaped_and_cut_at_a_character(void **state)
{
	char text[512], msg[160];
	size_t n = 0, i;

	expect_fault("{\"a\\n\\\"\\u001b\":1,\"a\\n\\\"\\u001b\":2}", 33, ERR_BAD_REQUEST, 17,
		     "duplicate key \"a\\u000a\\\"\\u001b\"");
	/* 100 two-byte characters: 32 are quoted (64 bytes), then "..." */
	for (int k = 0; k < 2; k++) {
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s\"", k ? ",": "{");
		for (i = 0; i < 100; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n, "\xc3\xa9");
		n += (size_t)snprintf(text + n, sizeof(text) - n, "\":%d", k);
	}
	n += (size_t)snprintf(text + n, sizeof(text) - n, "}");
	n = (size_t)snprintf(msg, sizeof(msg), "duplicate key \"");
	for (i = 0; i < 32; i++)
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, "\xc3\xa9");
	snprintf(msg + n, sizeof(msg) - n, "...\"");
	expect_fault(text, strlen(text), ERR_BAD_REQUEST, 206, msg);
}

static void many_keys_are_checked_and_a_late_duplicate_is_found(void **state)
{
	size_t cap = 100000 * 16, n = 0, i;
	char *text = malloc(cap);
	struct json_object *o;

	assert_non_null(text);
	text[n++] = '{';
	for (i = 0; i < 100000; i++)
		n += (size_t)snprintf(text + n, cap - n, "%s\"k%zu\":%zu", i ? "," : "", i, i);
	text[n++] = '}';
	o = parse_ok(text, n);
	assert_int_equal(json_object_object_length(o), 100000);
	json_object_put(o);
	n--;
	n += (size_t)snprintf(text + n, cap - n, ",\"k77777\":0}");
	expect_fault(text, n, ERR_BAD_REQUEST, n - 11, "duplicate key \"k77777\"");
	free(text);
}

static void nesting_deeper_than_the_limit_is_refused(void **state)
{
	char text[2 * JSONSTRICT_MAX_DEPTH + 16], msg[256];
	struct json_object *o;
	size_t n = 0, m, i;

	for (i = 0; i < JSONSTRICT_MAX_DEPTH; i++)
		text[n++] = '[';
	for (i = 0; i < JSONSTRICT_MAX_DEPTH; i++)
		text[n++] = ']';
	o = parse_ok(text, n);
	json_object_put(o);
	n = 0;
	text[n++] = '{';
	memcpy(text + n, "\"id\":", 5);
	n += 5;
	for (i = 1; i <= JSONSTRICT_MAX_DEPTH; i++)
		text[n++] = '[';
	m = (size_t)snprintf(msg, sizeof(msg), "id");
	for (i = 1; i < JSONSTRICT_MAX_DEPTH; i++)
		m += (size_t)snprintf(msg + m, sizeof(msg) - m, "[0]");
	snprintf(msg + m, sizeof(msg) - m, ": nested deeper than 32 arrays and objects");
	/* refused at the bracket that opens level 33, whatever follows */
	expect_fault(text, n, ERR_BAD_REQUEST, n - 1, msg);
}

static void syntax_errors_are_parse_errors_at_the_first_bad_byte(void **state)
{
	static const struct {
		const char *text;
		size_t len, at;
		const char *msg;
	} bad[] = {
		{ "{\"op\":\"time\"", 12, 12, "invalid JSON: unexpected end" },
		{ "{\"op\":\"time", 11, 11, "invalid JSON: unexpected end inside a string" },
		{ "{\"op\":1,}", 9, 8, "invalid JSON: expected a key" },
		{ "[1,]", 4, 3, "invalid JSON: expected a value" },
		{ "[1 2]", 5, 3, "invalid JSON: expected ',' or ']'" },
		{ "{\"a\":1 \"b\":2}", 13, 7, "invalid JSON: expected ',' or '}'" },
		{ "{\"a\" 1}", 7, 5, "invalid JSON: expected ':'" },
		{ "{'a':1}", 7, 1, "invalid JSON: expected a key or '}'" },
		{ "{a:1}", 5, 1, "invalid JSON: expected a key or '}'" },
		{ "{} {}", 5, 3, "invalid JSON: text after the value" },
		{ "01", 2, 0, "invalid JSON: invalid number" },
		{ "1.", 2, 0, "invalid JSON: invalid number" },
		{ "-", 1, 0, "invalid JSON: invalid number" },
		{ "1e+", 3, 0, "invalid JSON: invalid number" },
		{ "+1", 2, 0, "invalid JSON: expected a value" },
		{ ".5", 2, 0, "invalid JSON: expected a value" },
		{ "tru", 3, 0, "invalid JSON: expected a value" },
		{ "nullx", 5, 0, "invalid JSON: expected a value" },
		{ "nan", 3, 0, "invalid JSON: expected a value" },
		{ "/* c */ {}", 10, 0, "invalid JSON: expected a value" },
		{ "\"a\tb\"", 5, 2, "invalid JSON: a control character in a string" },
		{ "\"a\\xb\"", 6, 2, "invalid JSON: unknown escape in a string" },
		{ "\"\\u12\"", 6, 1, "invalid JSON: \\u needs four hex digits" },
		{ "{\"a\":1}\0", 8, 7, "invalid JSON: a NUL byte" },
		{ "\"a\0b\"", 5, 2, "invalid JSON: a NUL byte" },
		{ "", 0, 0, "invalid JSON: no value" },
		{ "  \r\n", 4, 4, "invalid JSON: no value" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_fault(bad[i].text, bad[i].len, ERR_PARSE, bad[i].at, bad[i].msg);
}

/* the first fault in the text wins, whatever its kind */
static void the_first_fault_in_the_text_is_the_one_reported(void **state)
{
	expect_fault("{\"a\":\"\\u0000\",\"b\":\"\xff\"}", 22, ERR_BAD_REQUEST, 6,
		     "a: embedded NUL");
	expect_fault("{\"a\":\"\xff\",\"b\":\"\\u0000\"}", 22, ERR_PARSE, 6, "invalid UTF-8");
	/* a duplicate is known when its object closes */
	expect_fault("{\"a\":1,\"a\":2,\"b\":\"\xff\"}", 21, ERR_PARSE, 18, "invalid UTF-8");
	expect_fault("{\"a\":1,\"a\":2}\xff", 14, ERR_BAD_REQUEST, 7, "duplicate key \"a\"");
}

static char tmpdir[64];

static const char *write_file(const char *name, const char *text, size_t len)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void document_files_get_the_same_strict_reading(void **state)
{
	static const char dup[] = "{\"sampleRate\":48000,\n \"length\":10,\"length\":20}\n";
	static const char utf[] = "{\"length\":10,\n\"nodes\":[{\"id\":\"\xc0\xaf\",\"type\":\"GainNode\"}]}";
	static const char nul[] = "{\"length\":10,\"nodes\":[{\"id\":\"g\\u0000x\","
				  "\"type\":\"GainNode\"}]}";
	char expect[256];
	struct error err = { 0 };
	const char *path;

	path = write_file("dup.json", dup, LEN(dup));
	assert_null(document_load_file(path, 0, &err));
	assert_string_equal(err_name(err.code), "bad_request");
	snprintf(expect, sizeof(expect), "%s:2:14: duplicate key \"length\"", path);
	assert_string_equal(err.msg, expect);
	unlink(path);

	path = write_file("utf.json", utf, LEN(utf));
	assert_null(document_load_file(path, 0, &err));
	assert_string_equal(err_name(err.code), "parse_error");
	snprintf(expect, sizeof(expect), "%s:2:17: invalid UTF-8", path);
	assert_string_equal(err.msg, expect);
	unlink(path);

	path = write_file("nul.json", nul, LEN(nul));
	assert_null(document_load_file(path, 0, &err));
	assert_string_equal(err_name(err.code), "bad_request");
	snprintf(expect, sizeof(expect), "%s:1:31: nodes[0].id: embedded NUL", path);
	assert_string_equal(err.msg, expect);
	unlink(path);

	path = write_file("null.json", "null", 4);
	assert_null(document_load_file(path, 0, &err));
	assert_string_equal(err.msg, "document: expected an object");
	unlink(path);
}

static int make_tmpdir(void **state)
{
	strcpy(tmpdir, "/tmp/test-jsonstrict-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_json_parses_to_json_c_tree_with_escapes_resolved),
		cmocka_unit_test(a_scalar_ending_the_text_parses_without_a_terminator),
		cmocka_unit_test(objects_closing_before_any_key_parse),
		cmocka_unit_test(utf8_is_accepted_up_to_every_boundary_of_the_table),
		cmocka_unit_test(invalid_utf8_is_a_parse_error_at_its_first_byte_not_quoted),
		cmocka_unit_test(escaped_nul_is_refused_naming_the_json_path),
		cmocka_unit_test(unpaired_surrogate_escapes_are_refused),
		cmocka_unit_test(duplicate_keys_are_refused_at_any_depth_naming_the_key),
		cmocka_unit_test(a_duplicate_key_is_quoted_escaped_and_cut_at_a_character),
		cmocka_unit_test(many_keys_are_checked_and_a_late_duplicate_is_found),
		cmocka_unit_test(nesting_deeper_than_the_limit_is_refused),
		cmocka_unit_test(syntax_errors_are_parse_errors_at_the_first_bad_byte),
		cmocka_unit_test(the_first_fault_in_the_text_is_the_one_reported),
		cmocka_unit_test(document_files_get_the_same_strict_reading),
	};

	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
