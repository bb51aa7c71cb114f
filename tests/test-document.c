/* protocol/document: graph documents load, render the samples the spec's formulas give, apply
 * events at the quantum boundary at or after their time, and fail with the JSON path of the
 * fault.  single-threaded test. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "protocol/document.h"

static struct document *load(const char *json, struct error *err)
{
	struct json_object *obj = json_tokener_parse(json);
	struct document *d;

	assert_non_null(obj);
	d = document_load_json(obj, NULL, 0, err);
	json_object_put(obj);
	return d;
}

/* renders a document that must be valid; the caller frees the samples */
static float *render(const char *json, uint64_t *frames, uint32_t *channels)
{
	struct error err = { 0 };
	struct document *d = load(json, &err);
	float *out;

	if (d == NULL)
		fail_msg("load failed: %s", err.msg);
	*frames = document_length(d);
	*channels = document_channels(d);
	out = malloc(*frames * *channels * sizeof(float));
	assert_non_null(out);
	if (document_render(d, out, NULL, NULL, &err) < 0)
		fail_msg("render failed: %s", err.msg);
	document_free(d);
	return out;
}

static void expect_load_error(const char *json, enum err_code code, const char *msg)
{
	struct error err = { 0 };
	struct document *d = load(json, &err);

	assert_null(d);
	assert_string_equal(err_name(err.code), err_name(code));
	assert_string_equal(err.msg, msg);
}

static void constant_source_through_gains_multiplies_after_start(void **state)
{
	/* offset 0.5 * gain 0.5 * gain 3 = 0.75 (exact in float), silent before start at
	 * frame 480 (0.029296875 s at 16384 Hz, exact); the length is not a whole number of
	 * quanta */
	uint64_t n, i;
	uint32_t ch;
	float *out = render(
		"{\"sampleRate\":16384,\"length\":1000,\"channels\":1,"
		"\"nodes\":[{\"id\":\"c\",\"type\":\"ConstantSourceNode\",\"options\":{\"offset\":0.5},"
		"\"start\":0.029296875},"
		"{\"id\":\"g\",\"type\":\"GainNode\",\"options\":{\"gain\":0.5}},"
		"{\"id\":\"g2\",\"type\":\"GainNode\",\"props\":{\"channelCount\":1},"
		"\"params\":{\"gain\":[[\"value\",3]]}}],"
		"\"connections\":[[\"c\",\"g\"],[\"g\",\"g2\"],[\"g2\",\"destination\"]]}", &n, &ch);

	assert_int_equal(n, 1000);
	assert_int_equal(ch, 1);
	for (i = 0; i < n; i++)
		assert_float_equal(out[i], i < 480 ? 0.0f : 0.75f, 0);
	free(out);
}

static void mono_source_fills_both_stereo_channels(void **state)
{
	uint64_t n, i;
	uint32_t ch;
	float *out = render(
		"{\"sampleRate\":44100,\"length\":256,\"channels\":2,"
		"\"nodes\":[{\"id\":\"c\",\"type\":\"ConstantSourceNode\",\"options\":{\"offset\":0.25},"
		"\"start\":0}],\"connections\":[[\"c\",\"destination\"]]}", &n, &ch);

	assert_int_equal(ch, 2);
	/* speakers up-mix mono -> stereo: L = R = M */
	for (i = 0; i < n * ch; i++)
		assert_float_equal(out[i], 0.25f, 0);
	free(out);
}

static void params_apply_in_order(void **state)
{
	uint64_t n, i;
	uint32_t ch;
	float *out = render(
		"{\"sampleRate\":16384,\"length\":512,\"channels\":1,"
		"\"nodes\":[{\"id\":\"c\",\"type\":\"ConstantSourceNode\","
		"\"params\":{\"offset\":[[\"setValueAtTime\",0.25,0.0078125],"
		"[\"setValueAtTime\",-1,0.0234375]]},\"start\":0}],"
		"\"connections\":[[\"c\",\"destination\"]]}", &n, &ch);

	/* offset default 1 until frame 128, then 0.25 until frame 384, then -1 */
	for (i = 0; i < n; i++)
		assert_float_equal(out[i], i < 128 ? 1.0f : i < 384 ? 0.25f : -1.0f, 0);
	free(out);
}

static void events_apply_at_the_next_quantum_boundary(void **state)
{
	/* the disconnect at frame 200 takes effect at 256; the connect at exactly frame 384
	 * (0.008 s) takes effect at 384, not a quantum later */
	uint64_t n, i;
	uint32_t ch;
	float *out = render(
		"{\"sampleRate\":48000,\"length\":640,\"channels\":1,"
		"\"nodes\":[{\"id\":\"c\",\"type\":\"ConstantSourceNode\",\"start\":0}],"
		"\"connections\":[[\"c\",\"destination\"]],"
		"\"events\":[{\"time\":0.008,\"actions\":[[\"connect\",\"c\",\"destination\"]]},"
		"{\"time\":0.004166666666666667,\"actions\":[[\"disconnect\",\"c\"]]}]}", &n, &ch);

	for (i = 0; i < n; i++)
		assert_float_equal(out[i], (i < 256 || i >= 384) ? 1.0f : 0.0f, 0);
	free(out);
}

/* a document's "+S" times count from 0 offline: a node's start and stop, its start's
 * array form, and the start/stop of an event's actions (the fuzzer found them refused) */
static void relative_times_count_from_zero(void **state)
{
	uint64_t n, i;
	uint32_t ch;
	float *out = render(
		"{\"sampleRate\":16384,\"length\":1024,\"channels\":2,"
		"\"nodes\":[{\"id\":\"a\",\"type\":\"ConstantSourceNode\",\"start\":\"+0.0078125\","
		"\"stop\":\"+0.03125\"},"
		"{\"id\":\"b\",\"type\":\"ConstantSourceNode\",\"start\":[\"+0.015625\"]},"
		"{\"id\":\"m\",\"type\":\"ChannelMergerNode\",\"options\":{\"numberOfInputs\":2}},"
		"{\"id\":\"c\",\"type\":\"ConstantSourceNode\"}],"
		"\"connections\":[[\"a\",\"m\",0,0],[\"b\",\"m\",0,1],[\"c\",\"m\",0,1],"
		"[\"m\",\"destination\"]],"
		"\"events\":[{\"time\":0,\"actions\":[[\"start\",\"c\",\"+0.0234375\"],"
		"[\"stop\",\"b\",\"+0.046875\"]]}]}", &n, &ch);

	assert_int_equal(ch, 2);
	/* a: frames 128..511; b: 256..767; c: from 384 on */
	for (i = 0; i < n; i++) {
		float left = i >= 128 && i < 512 ? 1.0f : 0.0f;
		float right = (i >= 256 && i < 768 ? 1.0f : 0.0f) + (i >= 384 ? 1.0f : 0.0f);

		assert_float_equal(out[i * 2], left, 0);
		assert_float_equal(out[i * 2 + 1], right, 0);
	}
	free(out);
}

/* the buffers of a document share one budget, checked before each is generated: the
 * second 3 MiB buffer does not fit in 4 MiB (the fuzzer found no total budget) */
static void buffers_share_one_budget(void **state)
{
	const char *json =
		"{\"sampleRate\":48000,\"length\":128,\"channels\":1,\"buffers\":{"
		"\"a\":{\"generate\":\"noise\",\"seed\":1,\"length\":786432},"
		"\"b\":{\"generate\":\"noise\",\"seed\":2,\"length\":786432}}}";
	struct json_object *obj = json_tokener_parse(json);
	struct error err = { 0 };
	struct document *d;

	assert_non_null(obj);
	d = document_load_json(obj, NULL, 4u << 20, &err);
	assert_null(d);
	assert_string_equal(err_name(err.code), "limit");
	assert_string_equal(err.msg, "buffers.b: 1 channels of 786432 frames need 3145728 bytes, "
			    "more than the 1048576 left for buffers");
	d = document_load_json(obj, NULL, 6u << 20, &err);
	assert_non_null(d);
	document_free(d);
	json_object_put(obj);
}

static void rendering_is_deterministic(void **state)
{
	const char *doc =
		"{\"sampleRate\":48000,\"length\":4800,\"channels\":2,"
		"\"nodes\":[{\"id\":\"c\",\"type\":\"ConstantSourceNode\",\"start\":0,"
		"\"params\":{\"offset\":[[\"setValueAtTime\",0,0],"
		"[\"linearRampToValueAtTime\",1,0.05],[\"exponentialRampToValueAtTime\",0.01,0.1]]}}],"
		"\"connections\":[[\"c\",\"destination\"]]}";
	uint64_t n;
	uint32_t ch;
	float *a = render(doc, &n, &ch), *b = render(doc, &n, &ch);

	assert_memory_equal(a, b, n * ch * sizeof(float));
	free(a);
	free(b);
}

static void bad_documents_name_the_json_path(void **state)
{
	expect_load_error("{\"length\":10,\"nodes\":[{\"id\":\"a\",\"type\":\"GainNode\"},"
			  "{\"id\":\"g\",\"type\":\"GainNode\",\"options\":{\"gain\":\"x\"}}]}",
			  ERR_BAD_REQUEST, "nodes[1].options.gain: expected a number, got a string");
	expect_load_error("{\"length\":10,\"conections\":[]}", ERR_BAD_REQUEST,
			  "conections: unknown field, did you mean \"connections\"?");
	expect_load_error("{\"length\":10,\"nodes\":[{\"id\":\"g\",\"type\":\"GainNode\","
			  "\"parms\":{}}]}", ERR_BAD_REQUEST,
			  "nodes[0].parms: unknown field, did you mean \"params\"?");
	expect_load_error("{\"sampleRate\":48000}", ERR_BAD_REQUEST,
			  "length: missing required field");
	/* found by fuzz-document: a time no frame counter reaches (it overflowed the frame) */
	expect_load_error("{\"length\":10,\"events\":[{\"time\":3.75e302,\"actions\":[]}]}",
			  ERR_INVALID_VALUE, "events[0].time: 3.75e+302 is too far ahead (at most 1e9 s)");
	expect_load_error("{\"length\":10,\"events\":[{\"time\":384307168202282.4,"
			  "\"actions\":[]}]}", ERR_INVALID_VALUE,
			  "events[0].time: 3.84307e+14 is too far ahead (at most 1e9 s)");
	expect_load_error("{\"length\":10,\"sampleRate\":4000}", ERR_INVALID_VALUE,
			  "sampleRate: 4000 is outside the range [8000, 192000]");
	expect_load_error("{\"length\":10,\"channels\":33}", ERR_INVALID_VALUE,
			  "channels: 33 is outside the range [1, 32]");
	expect_load_error("{\"length\":10,\"nodes\":[{\"id\":\"g\",\"type\":\"GainNode\"}],"
			  "\"connections\":[[\"g\",\"destination\",-1]]}", ERR_INDEX_SIZE,
			  "connections[0][2]: index -1 is out of range");
	expect_load_error("{\"length\":10,\"nodes\":[{\"id\":\"g\",\"type\":\"GainNode\","
			  "\"params\":{\"gain\":[[\"setValueAtTime\",1,\"0\"]]}}]}", ERR_BAD_REQUEST,
			  "nodes[0].params.gain[0][2]: expected a number");
	expect_load_error("{\"length\":10,\"nodes\":[{\"id\":\"g\",\"type\":\"GainNode\","
			  "\"buffer\":\"nope\"}]}", ERR_INVALID_VALUE,
			  "nodes[0].buffer: unknown buffer \"nope\"");
	expect_load_error("{\"length\":10,\"events\":[{\"time\":1,\"actions\":[[\"strat\",\"x\"]]}]}",
			  ERR_UNKNOWN_OP,
			  "events[0].actions[0][0]: unknown action \"strat\", did you mean \"start\"?");
	expect_load_error("{\"length\":10,\"nodes\":[{\"id\":\"g\",\"type\":\"GainNode\","
			  "\"start\":0}]}", ERR_INVALID_STATE,
			  "nodes[0].start: g is a GainNode, which has no start()");
}

static void event_errors_fail_the_render_with_their_path(void **state)
{
	struct error err = { 0 };
	struct document *d = load(
		"{\"length\":512,\"nodes\":[{\"id\":\"c\",\"type\":\"ConstantSourceNode\",\"start\":0}],"
		"\"events\":[{\"time\":0.001,\"actions\":[[\"start\",\"c\"]]}]}", &err);
	float *out;

	assert_non_null(d);
	out = malloc(document_length(d) * document_channels(d) * sizeof(float));
	assert_int_equal(document_render(d, out, NULL, NULL, &err), -1);
	assert_int_equal(err.code, ERR_INVALID_STATE);
	assert_string_equal(err.msg, "events[0].actions[0]: c: start() was already called");
	free(out);
	document_free(d);
}

static void probes_read_the_analyser_after_that_quantum_events(void **state)
{
	/* a constant 0.5 into an AnalyserNode (fftSize 32): the time-domain reading is the
	 * last 32 input samples, 0.5 each; as bytes floor(128 * (1 + 0.5)) = 192.  the probe at
	 * 0.004 s (frame 192 at 48 kHz) is read at frame 256 */
	struct error err = { 0 };
	struct document *d = load(
		"{\"length\":512,\"channels\":1,\"nodes\":[{\"id\":\"c\",\"type\":\"ConstantSourceNode\","
		"\"options\":{\"offset\":0.5},\"start\":0},{\"id\":\"an\",\"type\":\"AnalyserNode\","
		"\"options\":{\"fftSize\":32}}],\"connections\":[[\"c\",\"an\"],[\"an\",\"destination\"]],"
		"\"probes\":[{\"time\":0.004,\"node\":\"an\",\"method\":\"getByteTimeDomainData\"},"
		"{\"time\":0.001,\"node\":\"an\",\"method\":\"getFloatTimeDomainData\"}]}", &err);
	struct json_object *probes, *p, *v, *data;
	float *out;
	size_t i;

	if (d == NULL)
		fail_msg("load failed: %s", err.msg);
	out = malloc(document_length(d) * sizeof(float));
	assert_int_equal(document_render(d, out, NULL, NULL, &err), 0);
	probes = document_probes(d);
	assert_non_null(probes);
	assert_int_equal(json_object_array_length(probes), 2);
	p = json_object_array_get_idx(probes, 0);
	assert_true(json_object_object_get_ex(p, "actualTime", &v));
	assert_float_equal(json_object_get_double(v), 256.0 / 48000, 1e-12);
	assert_true(json_object_object_get_ex(p, "data", &data));
	assert_int_equal(json_object_array_length(data), 32);
	for (i = 0; i < 32; i++)
		assert_int_equal(json_object_get_int(json_object_array_get_idx(data, i)), 192);
	p = json_object_array_get_idx(probes, 1);
	assert_true(json_object_object_get_ex(p, "data", &data));
	for (i = 0; i < 32; i++)
		assert_float_equal(json_object_get_double(json_object_array_get_idx(data, i)), 0.5, 0);
	free(out);
	document_free(d);
}

static void probes_must_name_an_analyser(void **state)
{
	expect_load_error("{\"length\":10,\"nodes\":[{\"id\":\"g\",\"type\":\"GainNode\"}],"
			  "\"probes\":[{\"time\":0,\"node\":\"g\",\"method\":\"getFloatFrequencyData\"}]}",
			  ERR_INVALID_VALUE, "probes[0].node: g is a GainNode, not an AnalyserNode");
	expect_load_error("{\"length\":10,\"probes\":[{\"time\":0,\"node\":\"g\","
			  "\"method\":\"getFloatFrequencyDat\"}]}", ERR_INVALID_VALUE,
			  "probes[0].method: unknown method \"getFloatFrequencyDat\", "
			  "did you mean \"getFloatFrequencyData\"?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(constant_source_through_gains_multiplies_after_start),
		cmocka_unit_test(mono_source_fills_both_stereo_channels),
		cmocka_unit_test(params_apply_in_order),
		cmocka_unit_test(events_apply_at_the_next_quantum_boundary),
		cmocka_unit_test(rendering_is_deterministic),
		cmocka_unit_test(bad_documents_name_the_json_path),
		cmocka_unit_test(event_errors_fail_the_render_with_their_path),
		cmocka_unit_test(probes_read_the_analyser_after_that_quantum_events),
		cmocka_unit_test(probes_must_name_an_analyser),
		cmocka_unit_test(relative_times_count_from_zero),
		cmocka_unit_test(buffers_share_one_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
