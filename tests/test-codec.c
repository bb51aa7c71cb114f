/* protocol/codec: JSON requests and actions become engine ops, or errors with the protocol's
 * codes and messages naming the JSON path.  single-threaded test. */
#include <math.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "engine/engine.h"
#include "engine/node.h"
#include "protocol/codec.h"

struct fixture {
	struct engine *e;
	struct error err;
};

static int setup(void **state)
{
	static struct fixture f;
	struct error err;

	memset(&f, 0, sizeof(f));
	f.e = engine_new(48000, 2, &err);
	if (f.e == NULL)
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	engine_free(f->e);
	return 0;
}

/* runs one request; the op (if any) is executed so later requests see its effect */
static int run(struct fixture *f, const char *json, const char *path, struct json_object **res,
	       const struct codec_env *env)
{
	struct json_object *req = json_tokener_parse(json);
	struct engine_op *op = NULL;
	int r;

	assert_non_null(req);
	memset(&f->err, 0, sizeof(f->err));
	r = codec_op(f->e, req, env, path, &op, res, &f->err);
	if (r == 0 && op)
		engine_exec(f->e, op);
	json_object_put(req);
	return r;
}

static void expect_error(struct fixture *f, const char *json, const char *path,
			 enum err_code code, const char *msg)
{
	assert_int_equal(run(f, json, path, NULL, NULL), -1);
	assert_string_equal(err_name(f->err.code), err_name(code));
	assert_string_equal(f->err.msg, msg);
}

static void unknown_field_is_bad_request_suggesting_nearest(void **state)
{
	expect_error(*state, "{\"op\":\"create\",\"type\":\"GainNode\",\"optoins\":{}}", "",
		     ERR_BAD_REQUEST, "optoins: unknown field, did you mean \"options\"?");
	expect_error(*state, "{\"op\":\"create\",\"type\":\"GainNode\",\"optoins\":{}}",
		     "commands[2]", ERR_BAD_REQUEST,
		     "commands[2].optoins: unknown field, did you mean \"options\"?");
	expect_error(*state, "{\"op\":\"delete\",\"id\":\"x\",\"zzzzzzzz\":1}", "",
		     ERR_BAD_REQUEST, "zzzzzzzz: unknown field");
}

static void wrong_json_type_names_the_field(void **state)
{
	expect_error(*state, "{\"op\":\"connect\",\"from\":1,\"to\":\"x\"}", "", ERR_BAD_REQUEST,
		     "from: expected a string");
	expect_error(*state, "{\"op\":\"start\",\"id\":\"x\",\"when\":\"soon\"}", "",
		     ERR_BAD_REQUEST, "when: expected a number");
	expect_error(*state, "{\"op\":\"param\",\"target\":\"g.gain\",\"method\":\"value\",\"args\":1}",
		     "", ERR_BAD_REQUEST, "args: expected an array");
	expect_error(*state, "{\"op\":\"create\",\"type\":\"GainNode\",\"options\":{\"gain\":{}}}",
		     "", ERR_BAD_REQUEST,
		     "options.gain: expected a number, boolean, string or array of numbers");
	expect_error(*state, "[1]", "", ERR_BAD_REQUEST, "request: expected an object");
}

static void missing_field_is_bad_request(void **state)
{
	expect_error(*state, "{\"op\":\"delete\"}", "", ERR_BAD_REQUEST,
		     "id: missing required field");
	expect_error(*state, "{\"type\":\"GainNode\"}", "x", ERR_BAD_REQUEST,
		     "x.op: missing required field");
}

static void unknown_op_suggests_nearest(void **state)
{
	expect_error(*state, "{\"op\":\"conect\"}", "", ERR_UNKNOWN_OP,
		     "op: unknown op \"conect\", did you mean \"connect\"?");
	expect_error(*state, "{\"op\":\"xyzzy\"}", "", ERR_UNKNOWN_OP, "op: unknown op \"xyzzy\"");
	assert_non_null(codec_op_find("param"));
	assert_string_equal(codec_op_name(codec_op_find("param")), "param");
	assert_null(codec_op_find("sync"));
	assert_null(codec_op_find(NULL));
}

/* the caller's own ops join the graph ops in the hint */
static void unknown_op_suggests_the_callers_ops_too(void **state)
{
	static const char *const daemon_ops[] = { "sync", "stats", "session" };
	struct error err = { 0 };

	(void)state;
	codec_unknown_op("sesion", daemon_ops, 3, "", &err);
	assert_int_equal(err.code, ERR_UNKNOWN_OP);
	assert_string_equal(err.msg, "op: unknown op \"sesion\", did you mean \"session\"?");
	codec_unknown_op("sesion", NULL, 0, "commands[2]", &err);
	assert_string_equal(err.msg, "commands[2].op: unknown op \"sesion\"");
}

static void engine_errors_carry_the_option_path(void **state)
{
	expect_error(*state,
		     "{\"op\":\"create\",\"type\":\"GainNode\",\"id\":\"g\",\"options\":{\"gain\":\"x\"}}",
		     "nodes[3]", ERR_BAD_REQUEST,
		     "nodes[3].options.gain: expected a number, got a string");
	expect_error(*state, "{\"op\":\"create\",\"type\":\"GainNod\"}", "", ERR_UNKNOWN_TYPE,
		     "type: unknown node type \"GainNod\", did you mean \"GainNode\"?");
}

static void create_assigns_a_free_name(void **state)
{
	struct fixture *f = *state;
	struct json_object *res = NULL;

	assert_int_equal(run(f, "{\"op\":\"create\",\"type\":\"GainNode\",\"id\":7}", "", &res, NULL),
			 -1);
	assert_string_equal(f->err.msg, "id: expected a string");
	assert_int_equal(run(f, "{\"op\":\"create\",\"type\":\"GainNode\"}", "", &res, NULL), 0);
	assert_string_equal(json_object_to_json_string_ext(res, JSON_C_TO_STRING_PLAIN),
			    "{\"id\":\"gain1\"}");
	json_object_put(res);
	assert_int_equal(run(f, "{\"op\":\"create\",\"type\":\"GainNode\"}", "", &res, NULL), 0);
	assert_string_equal(json_object_to_json_string_ext(res, JSON_C_TO_STRING_PLAIN),
			    "{\"id\":\"gain2\"}");
	json_object_put(res);
	assert_non_null(engine_node(f->e, "gain1"));
	assert_non_null(engine_node(f->e, "gain2"));
}

static void indices_must_be_non_negative_integers(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(run(f, "{\"op\":\"create\",\"type\":\"GainNode\",\"id\":\"g\"}", "", NULL,
			     NULL), 0);
	expect_error(f, "{\"op\":\"connect\",\"from\":\"g\",\"to\":\"destination\",\"output\":-1}",
		     "", ERR_INDEX_SIZE, "output: index -1 is out of range");
	expect_error(f, "{\"op\":\"connect\",\"from\":\"g\",\"to\":\"destination\",\"input\":0.5}",
		     "", ERR_BAD_REQUEST, "input: expected an integer");
	assert_int_equal(run(f, "{\"op\":\"connect\",\"from\":\"g\",\"to\":\"destination\",\"output\":0,"
			     "\"input\":0,\"id\":{\"any\":1},\"at\":0}", "", NULL, NULL), 0);
}

static void param_methods_reach_the_engine(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(run(f, "{\"op\":\"create\",\"type\":\"GainNode\",\"id\":\"g\"}", "", NULL,
			     NULL), 0);
	expect_error(f, "{\"op\":\"param\",\"target\":\"g.gian\",\"method\":\"value\",\"args\":[1]}",
		     "", ERR_UNKNOWN_PARAM, "GainNode has no AudioParam \"gian\", did you mean \"gain\"?");
	expect_error(f, "{\"op\":\"param\",\"target\":\"g.gain\",\"method\":\"setValueAtTime\","
		     "\"args\":[1,\"x\"]}", "", ERR_BAD_REQUEST, "args[1]: expected a number");
	expect_error(f, "{\"op\":\"param\",\"target\":\"g.gain\",\"method\":\"setValueCurveAtTime\","
		     "\"args\":[[0,1e300],0,1]}", "", ERR_INVALID_VALUE,
		     "args[0][1]: 1e+300 is outside the range of a float");
	assert_int_equal(run(f, "{\"op\":\"param\",\"target\":\"g.gain\",\"method\":\"setValueCurveAtTime\","
			     "\"args\":[[0,0.5,1],0,1]}", "", NULL, NULL), 0);
	assert_int_equal(run(f, "{\"op\":\"param\",\"target\":\"g.gain\",\"method\":\"automationRate\","
			     "\"args\":[\"k-rate\"]}", "", NULL, NULL), 0);
}

static void non_finite_numbers_are_invalid_values(void **state)
{
	struct fixture *f = *state;
	struct json_object *req = json_object_new_object();
	struct engine_op *op = NULL;

	json_object_object_add(req, "op", json_object_new_string("start"));
	json_object_object_add(req, "id", json_object_new_string("x"));
	json_object_object_add(req, "when", json_object_new_double(INFINITY));
	assert_int_equal(codec_op(f->e, req, NULL, "", &op, NULL, &f->err), -1);
	assert_int_equal(f->err.code, ERR_INVALID_VALUE);
	assert_string_equal(f->err.msg, "when: inf is not a finite number");
	json_object_put(req);
}

/* a session-like namespace: every client name but destination gets a prefix */
static int prefix_names(void *data, const char *name, char *out, size_t size, struct error *err)
{
	if (strcmp(name, "destination") == 0)
		snprintf(out, size, "%s", name);
	else
		snprintf(out, size, "s_%s", name);
	return 0;
}

static void node_names_go_through_the_resolver(void **state)
{
	struct fixture *f = *state;
	const struct codec_env env = { .node = prefix_names };
	struct json_object *res = NULL;

	assert_int_equal(run(f, "{\"op\":\"create\",\"type\":\"GainNode\",\"id\":\"a\"}", "", &res,
			     &env), 0);
	assert_string_equal(json_object_to_json_string_ext(res, JSON_C_TO_STRING_PLAIN),
			    "{\"id\":\"a\"}");
	json_object_put(res);
	assert_int_equal(run(f, "{\"op\":\"create\",\"type\":\"GainNode\",\"id\":\"b\"}", "", NULL,
			     &env), 0);
	assert_non_null(engine_node(f->e, "s_a"));
	assert_null(engine_node(f->e, "a"));
	assert_int_equal(run(f, "{\"op\":\"connect\",\"from\":\"a\",\"to\":\"b.gain\"}", "", NULL,
			     &env), 0);
	assert_int_equal(run(f, "{\"op\":\"connect\",\"from\":\"b\",\"to\":\"destination\"}", "",
			     NULL, &env), 0);
}

static struct audio_buffer *no_buffers(void *data, const char *name, struct error *err)
{
	err_set(err, ERR_INVALID_VALUE, "unknown buffer \"%s\"", name);
	return NULL;
}

static void buffer_names_go_through_the_resolver(void **state)
{
	struct fixture *f = *state;
	const struct codec_env env = { .buffer = no_buffers };

	assert_int_equal(run(f, "{\"op\":\"create\",\"type\":\"GainNode\",\"buffer\":\"drum\"}",
			     "nodes[1]", NULL, &env), -1);
	assert_int_equal(f->err.code, ERR_INVALID_VALUE);
	assert_string_equal(f->err.msg, "nodes[1].buffer: unknown buffer \"drum\"");
	assert_int_equal(run(f, "{\"op\":\"create\",\"type\":\"GainNode\",\"buffer\":3}", "", NULL,
			     &env), -1);
	assert_string_equal(f->err.msg, "buffer: expected a buffer name");
}

static void actions_are_checked_positionally(void **state)
{
	struct fixture *f = *state;
	struct {
		const char *json;
		enum err_code code;
		const char *msg;
	} cases[] = {
		{ "[\"set\",\"g\"]", ERR_BAD_REQUEST, "ev: expected [\"set\", id, attr, value]" },
		{ "[\"conect\",\"a\",\"b\"]", ERR_UNKNOWN_OP,
		  "ev[0]: unknown action \"conect\", did you mean \"connect\"?" },
		{ "[\"start\",\"o\",\"x\"]", ERR_BAD_REQUEST, "ev[2]: expected a number" },
		{ "[\"param\",\"g.gain\",\"setValueAtTime\",1,[2]]", ERR_BAD_REQUEST,
		  "ev[4]: expected a number" },
		{ "{}", ERR_BAD_REQUEST, "ev: expected an array [action, args...]" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json_object *a = json_tokener_parse(cases[i].json);
		assert_int_equal(codec_action_check(a, NULL, "ev", &f->err), -1);
		assert_string_equal(err_name(f->err.code), err_name(cases[i].code));
		assert_string_equal(f->err.msg, cases[i].msg);
		json_object_put(a);
	}
}

static void disconnect_action_takes_an_output_in_second_place(void **state)
{
	struct fixture *f = *state;
	struct json_object *a;
	struct engine_op *op = NULL;

	assert_int_equal(run(f, "{\"op\":\"create\",\"type\":\"GainNode\",\"id\":\"g\"}", "", NULL,
			     NULL), 0);
	assert_int_equal(run(f, "{\"op\":\"connect\",\"from\":\"g\",\"to\":\"destination\"}", "",
			     NULL, NULL), 0);
	a = json_tokener_parse("[\"disconnect\",\"g\",1]");
	assert_int_equal(codec_action(f->e, a, NULL, "ev", &op, &f->err), -1);
	assert_int_equal(f->err.code, ERR_INDEX_SIZE);
	json_object_put(a);
	a = json_tokener_parse("[\"disconnect\",\"g\",0]");
	assert_int_equal(codec_action(f->e, a, NULL, "ev", &op, &f->err), 0);
	engine_exec(f->e, op);
	json_object_put(a);
}

static void error_reply_echoes_the_request_id(void **state)
{
	struct json_object *req = json_tokener_parse("{\"op\":\"x\",\"id\":7}");
	struct error err = { 0 };
	struct json_object *r;

	err_set(&err, ERR_BAD_REQUEST, "from: expected a string");
	r = codec_reply_error(req, &err);
	assert_string_equal(json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN),
			    "{\"id\":7,\"ok\":false,\"error\":{\"code\":\"bad_request\","
			    "\"message\":\"from: expected a string\"}}");
	json_object_put(r);
	r = codec_error_reply(NULL, &err);
	assert_string_equal(json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN),
			    "{\"ok\":false,\"error\":{\"code\":\"bad_request\","
			    "\"message\":\"from: expected a string\"}}");
	json_object_put(r);
	r = codec_reply_ok(req);
	codec_reply_merge(r, json_tokener_parse("{\"id\":\"osc\"}"));
	assert_string_equal(json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN),
			    "{\"id\":\"osc\",\"ok\":true}");
	json_object_put(r);
	json_object_put(req);
}

/* "+S" is S seconds after env->now for `when`, `at` and every AudioParam time argument */
static void relative_times_count_from_the_request_reading(void **state)
{
	struct fixture *f = *state;
	const struct codec_env env = { .now = 10.0 };
	struct json_object *res = NULL;
	struct param *gain;

	assert_int_equal(run(f, "{\"op\":\"create\",\"type\":\"OscillatorNode\",\"id\":\"o\"}", "",
			     NULL, &env), 0);
	assert_int_equal(run(f, "{\"op\":\"create\",\"type\":\"GainNode\",\"id\":\"g\"}", "",
			     NULL, &env), 0);
	assert_int_equal(run(f, "{\"op\":\"start\",\"id\":\"o\",\"when\":\"+0.5\"}", "",
			     &res, &env), 0);
	assert_null(res);	/* on time: no warning */
	assert_true(engine_node(f->e, "o")->sched.when_model == 10.5);
	assert_int_equal(run(f, "{\"op\":\"stop\",\"id\":\"o\",\"when\":\"+2e0\","
			     "\"at\":\"+1\"}", "", &res, &env), 0);
	assert_null(res);
	assert_true(engine_node(f->e, "o")->sched.stop_model == 12.0);
	assert_int_equal(run(f, "{\"op\":\"param\",\"target\":\"g.gain\",\"method\":"
			     "\"setValueAtTime\",\"args\":[0.25,\"+1\"]}", "", NULL, &env), 0);
	assert_int_equal(run(f, "{\"op\":\"param\",\"target\":\"g.gain\",\"method\":"
			     "\"linearRampToValueAtTime\",\"args\":[0.75,\"+.5e1\"]}", "", NULL,
			     &env), 0);
	gain = node_param(engine_node(f->e, "g"), "gain");
	assert_float_equal(param_model_value_at(gain, 10.99), 1.0, 1e-9);
	assert_float_equal(param_model_value_at(gain, 11.0), 0.25, 1e-9);
	assert_float_equal(param_model_value_at(gain, 13.0), 0.5, 1e-9);
	assert_float_equal(param_model_value_at(gain, 15.0), 0.75, 1e-9);
}

static void malformed_relative_times_are_bad_requests(void **state)
{
	static const char *const bad[] = { "+x", "+-1", "++1", "+ 1", "+inf", "+nan", "+0x10",
					   "+", "+1s" };
	char json[160], msg[160];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(json, sizeof(json), "{\"op\":\"delete\",\"id\":\"x\",\"at\":\"%s\"}",
			 bad[i]);
		snprintf(msg, sizeof(msg), "at: \"%s\" is not a time: seconds, or \"+S\" for S "
			 "seconds from now", bad[i]);
		expect_error(*state, json, "", ERR_BAD_REQUEST, msg);
	}
	expect_error(*state, "{\"op\":\"start\",\"id\":\"x\",\"when\":\"2\"}", "",
		     ERR_BAD_REQUEST, "when: expected a number");
}

/* Web Audio starts a source whose `when` has passed at once; the reply says how late */
static void a_past_when_is_done_at_once_with_a_warning(void **state)
{
	struct fixture *f = *state;
	const struct codec_env env = { .now = 10.0 };
	struct json_object *res = NULL, *w;

	assert_int_equal(run(f, "{\"op\":\"create\",\"type\":\"OscillatorNode\",\"id\":\"o\"}", "",
			     NULL, &env), 0);
	assert_int_equal(run(f, "{\"op\":\"start\",\"id\":\"o\",\"when\":9.75}", "", &res,
			     &env), 0);
	assert_true(json_object_object_get_ex(res, "warning", &w));
	assert_string_equal(json_object_get_string(w), "start when 9.750000 is 0.250 s in the "
			    "past (now 10.000000): it acts at once");
	json_object_put(res);
	/* measured against its `at` when that is later than now */
	assert_int_equal(run(f, "{\"op\":\"stop\",\"id\":\"o\",\"when\":11,\"at\":12}", "",
			     &res, &env), 0);
	assert_true(json_object_object_get_ex(res, "warning", &w));
	assert_string_equal(json_object_get_string(w), "stop when 11.000000 is 1.000 s in the "
			    "past (at 12.000000): it acts at once");
	json_object_put(res);
}

static void zero_when_means_now_without_a_warning(void **state)
{
	struct fixture *f = *state;
	const struct codec_env env = { .now = 10.0 };
	struct json_object *res = NULL;

	assert_int_equal(run(f, "{\"op\":\"create\",\"type\":\"ConstantSourceNode\",\"id\":\"c\"}",
			     "", NULL, &env), 0);
	assert_int_equal(run(f, "{\"op\":\"start\",\"id\":\"c\",\"when\":0}", "", &res, &env), 0);
	assert_null(res);
}

/* true when s is well-formed UTF-8 (no check of overlongs: enough for cut sequences) */
static bool utf8_whole(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n = *p < 0x80 ? 0 : *p >= 0xf0 ? 3 : *p >= 0xe0 ? 2 : *p >= 0xc0 ? 1 : -1;

		if (n < 0)
			return false;
		for (p++; n > 0; n--, p++)
			if ((*p & 0xc0) != 0x80)
				return false;
	}
	return true;
}

/* a message cut to its 512 bytes never ends inside a character */
static void long_non_ascii_names_are_cut_on_a_character(void **state)
{
	static char name[1200];
	struct error err = { 0 };

	(void)state;
	for (size_t i = 0; i + 2 < sizeof(name); i += 2)
		memcpy(name + i, "\xc3\xa9", 2);	/* é */
	/* "op: ..." and "ab.op: ...": the cut falls on both halves of a character */
	for (int shift = 0; shift < 2; shift++) {
		codec_unknown_op(name, NULL, 0, shift ? "ab" : "", &err);
		assert_int_equal(err.code, ERR_UNKNOWN_OP);
		assert_true(strlen(err.msg) >= 500);
		assert_true(utf8_whole(err.msg));
	}
	err_set(&err, ERR_INVALID_VALUE, "%s", name);
	err_prefix(&err, "nodes[%d]", 3);
	assert_true(utf8_whole(err.msg));
	assert_true(strncmp(err.msg, "nodes[3]: ", 10) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(unknown_field_is_bad_request_suggesting_nearest, setup, teardown),
		cmocka_unit_test_setup_teardown(wrong_json_type_names_the_field, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_field_is_bad_request, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_op_suggests_nearest, setup, teardown),
cmocka_unit_test_setup_teardown(unknown_op_suggests_the_callers_ops_too, setup, teardown),
		cmocka_unit_test_setup_teardown(engine_errors_carry_the_option_path, setup, teardown),
		cmocka_unit_test_setup_teardown(create_assigns_a_free_name, setup, teardown),
		cmocka_unit_test_setup_teardown(indices_must_be_non_negative_integers, setup, teardown),
		cmocka_unit_test_setup_teardown(param_methods_reach_the_engine, setup, teardown),
		cmocka_unit_test_setup_teardown(non_finite_numbers_are_invalid_values, setup, teardown),
		cmocka_unit_test_setup_teardown(node_names_go_through_the_resolver, setup, teardown),
		cmocka_unit_test_setup_teardown(buffer_names_go_through_the_resolver, setup, teardown),
		cmocka_unit_test_setup_teardown(actions_are_checked_positionally, setup, teardown),
		cmocka_unit_test_setup_teardown(disconnect_action_takes_an_output_in_second_place, setup, teardown),
		cmocka_unit_test(error_reply_echoes_the_request_id),
		cmocka_unit_test_setup_teardown(relative_times_count_from_the_request_reading, setup, teardown),
		cmocka_unit_test_setup_teardown(malformed_relative_times_are_bad_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(a_past_when_is_done_at_once_with_a_warning, setup, teardown),
		cmocka_unit_test_setup_teardown(zero_when_means_now_without_a_warning, setup, teardown),
		cmocka_unit_test(long_non_ascii_names_are_cut_on_a_character),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
