/* LV2Node through the lilv host (protocol/lv2.c): swh-lv2's amp (output = input *
 * 10^(gain/20), gain a control port in dB) renders the exact samples of a known input, its
 * gain param is a k-rate AudioParam that automation drives, the plugin's ports become the
 * node's channels and params, errors for what cannot be run, the listing, and a document
 * rendered offline by `audioctl render`.  exits 77 (skipped) when lilv or the plugins are
 * missing (tools/deps.sh installs them).  single-threaded test. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <sndfile.h>

#include "engine/engine.h"
#include "engine/node.h"
#include "graph-helpers.h"
#include "protocol/document.h"
#include "protocol/lv2.h"

#define AMP "http://plugin.org.uk/swh-plugins/amp"
#define MIDI_ONLY "http://gareus.org/oss/lv2/midifilter#mididelay"
#define NEEDS_WORKER "http://gareus.org/oss/lv2/zeroconvolv#Mono"

static struct lv2_host *host;

/* the amp's coefficient, as the plugin computes it (DB_CO in swh's ladspa-util.h) */
static float db_co(float g)
{
	return g > -90.0f ? powf(10.0f, g * 0.05f) : 0.0f;
}

static struct engine *new_engine(double rate, uint32_t channels)
{
	struct error err = { 0 };
	struct engine *e = engine_new(rate, channels, &err);

	assert_non_null(e);
	engine_set_plugin_host(e, lv2_instantiate, host);
	return e;
}

static float *render_doc(const char *json, uint64_t *frames, uint32_t *channels)
{
	struct json_object *obj = json_tokener_parse(json);
	struct error err = { 0 };
	struct document *d;
	float *out;

	assert_non_null(obj);
	d = document_load_json(obj, NULL, 0, &err);
	json_object_put(obj);
	if (d == NULL)
		fail_msg("load failed: %s", err.msg);
	*frames = document_length(d);
	*channels = document_channels(d);
	out = document_alloc_output(d);
	assert_non_null(out);
	if (document_render(d, out, NULL, NULL, &err) < 0)
		fail_msg("render failed: %s", err.msg);
	document_free(d);
	return out;
}

/* channel 0: a 441 Hz sine through the amp at gain -6 dB; channel 1: the sine itself */
static const char *const amp_doc =
	"{\"sampleRate\":44100,\"length\":1000,\"channels\":2,"
	"\"nodes\":[{\"id\":\"o\",\"type\":\"OscillatorNode\",\"options\":{\"frequency\":441},"
	"\"start\":0},"
	"{\"id\":\"a\",\"type\":\"LV2Node\",\"options\":{\"uri\":\"" AMP "\",\"gain\":-6}},"
	"{\"id\":\"m\",\"type\":\"ChannelMergerNode\",\"options\":{\"numberOfInputs\":2}}],"
	"\"connections\":[[\"o\",\"a\"],[\"a\",\"m\",0,0],[\"o\",\"m\",0,1],"
	"[\"m\",\"destination\"]]}";

static void check_amp(const float *out, uint64_t n)
{
	const float k = db_co(-6.0f);
	uint64_t i;
	double energy = 0;

	for (i = 0; i < n; i++) {
		assert_float_equal(out[2 * i], out[2 * i + 1] * k, 0);
		energy += out[2 * i + 1] * out[2 * i + 1];
	}
	assert_true(energy > n / 4.0);	/* the input is the sine, not silence */
}

static void amp_scales_the_input_by_its_gain_in_db(void **state)
{
	uint64_t n;
	uint32_t ch;
	float *out = render_doc(amp_doc, &n, &ch);

	assert_int_equal(ch, 2);
	check_amp(out, n);
	free(out);
}

/* gain from -20 dB ramping to +20 dB over 8 quanta: a k-rate param, so each quantum has the
 * ramp's value at its first frame: -20 + 5q dB */
static void gain_automation_is_k_rate(void **state)
{
	uint64_t n, i;
	uint32_t ch;
	float *out = render_doc(
		"{\"sampleRate\":48000,\"length\":1536,\"channels\":1,"
		"\"nodes\":[{\"id\":\"c\",\"type\":\"ConstantSourceNode\",\"start\":0},"
		"{\"id\":\"a\",\"type\":\"LV2Node\",\"options\":{\"uri\":\"" AMP "\"},"
		"\"params\":{\"gain\":[[\"setValueAtTime\",-20,0],"
		"[\"linearRampToValueAtTime\",20,0.021333333333333333]]}}],"
		"\"connections\":[[\"c\",\"a\"],[\"a\",\"destination\"]]}", &n, &ch);

	assert_int_equal(n, 1536);
	for (i = 0; i < n; i++) {
		uint64_t q = i / QUANTUM;
		float g = q < 8 ? -20.0f + 5.0f * (float)q : 20.0f;
		assert_float_equal(out[i], db_co(g), db_co(g) * 1e-5f);
		assert_float_equal(out[i], out[q * QUANTUM], 0);
	}
	free(out);
}

static void ports_become_channels_and_params(void **state)
{
	struct engine *e = new_engine(48000, 2);
	const struct option o[] = { str("uri", AMP), num("gain", 3) };
	struct node *n;
	struct param *g;

	create(e, "LV2Node", "a", o, 2);
	n = engine_node(e, "a");
	assert_int_equal(n->n_inputs, 1);
	assert_int_equal(n->n_outputs, 1);
	assert_int_equal(n->cfg_model.count, 1);
	assert_int_equal(n->cfg_model.mode, COUNT_EXPLICIT);
	assert_int_equal(n->n_params, 1);
	g = node_param(n, "gain");
	assert_non_null(g);
	assert_float_equal(g->desc->def, 0, 0);
	assert_float_equal(g->desc->min, -70, 0);
	assert_float_equal(g->desc->max, 70, 0);
	assert_true(g->desc->k_rate);
	assert_float_equal(g->intrinsic, 3, 0);
	engine_free(e);
}

static void expect_create_error(struct engine *e, const struct option *o, size_t n,
				enum err_code code, const char *msg_part)
{
	struct engine_op *op = NULL;
	struct error err = { 0 };

	assert_int_equal(engine_op_create(e, "LV2Node", "x", o, n, &op, &err), -1);
	assert_string_equal(err_name(err.code), err_name(code));
	if (strstr(err.msg, msg_part) == NULL)
		fail_msg("\"%s\" not in \"%s\"", msg_part, err.msg);
	assert_null(engine_node(e, "x"));
}

static void what_cannot_run_is_refused_clearly(void **state)
{
	struct engine *e = new_engine(48000, 2);
	struct engine *bare;
	struct error err = { 0 };
	const struct option unknown[] = { str("uri", "http://example.org/no-such-plugin") };
	const struct option near[] = { str("uri", "http://plugin.org.uk/swh-plugins/ampp") };
	const struct option midi[] = { str("uri", MIDI_ONLY) };
	const struct option worker[] = { str("uri", NEEDS_WORKER) };
	const struct option amp_typo[] = { str("uri", AMP), num("gian", 1) };
	const struct option amp_ch[] = { str("uri", AMP), num("channelCount", 2) };
	const struct option amp_mode[] = { str("uri", AMP), str("channelCountMode", "max") };
	const struct option bad_type[] = { num("uri", 1) };
	const struct option amp[] = { str("uri", AMP) };
	struct engine_op *op = NULL;

	expect_create_error(e, NULL, 0, ERR_BAD_REQUEST, "needs the URI");
	expect_create_error(e, bad_type, 1, ERR_BAD_REQUEST, "uri: expected a string");
	expect_create_error(e, unknown, 1, ERR_INVALID_VALUE, "no LV2 plugin");
	expect_create_error(e, near, 1, ERR_INVALID_VALUE, "did you mean \"" AMP "\"");
	expect_create_error(e, midi, 1, ERR_NOT_SUPPORTED, "MIDI or atom");
	expect_create_error(e, worker, 1, ERR_NOT_SUPPORTED, "worker#schedule");
	expect_create_error(e, amp_typo, 2, ERR_BAD_REQUEST, "did you mean \"gain\"");
	expect_create_error(e, amp_ch, 2, ERR_NOT_SUPPORTED, "takes 1 channel");
	expect_create_error(e, amp_mode, 2, ERR_NOT_SUPPORTED, "explicit");
	/* later channel changes too */
	create(e, "LV2Node", "a", amp, 1);
	assert_int_equal(engine_op_set(e, "a", "channelCount",
				       &(struct value){ .type = VALUE_NUMBER, .num = 2 }, &op,
				       &err), -1);
	assert_string_equal(err_name(err.code), "not_supported");
	engine_free(e);

	/* no host: not_supported */
	bare = engine_new(48000, 2, &err);
	assert_non_null(bare);
	expect_create_error(bare, amp, 1, ERR_NOT_SUPPORTED, "plugin host");
	engine_free(bare);
}

static void listed(const struct lv2_plugin_info *p, void *data)
{
	int *seen = data;

	if (strcmp(p->uri, AMP) == 0) {
		assert_int_equal(p->audio_in, 1);
		assert_int_equal(p->audio_out, 1);
		assert_null(p->unsupported);
		assert_string_equal(p->ports[0].symbol, "gain");
		seen[0]++;
	} else if (strcmp(p->uri, MIDI_ONLY) == 0) {
		assert_non_null(p->unsupported);
		seen[1]++;
	}
}

static void installed_plugins_are_listed(void **state)
{
	struct error err = { 0 };
	int seen[2] = { 0, 0 };

	assert_int_equal(lv2_host_list(host, listed, seen, &err), 0);
	assert_int_equal(seen[0], 1);
	assert_int_equal(seen[1], 1);
}

/* audioctl render of the amp document: the WAV holds what the document API renders */
static void audioctl_renders_a_document_with_an_lv2_node(void **state)
{
	char dir[] = "/tmp/test-lv2-XXXXXX", doc[128], wav[128];
	float out[2000];
	SF_INFO info = { 0 };
	SNDFILE *f;
	FILE *fp;
	pid_t pid;
	int status;

	assert_non_null(mkdtemp(dir));
	snprintf(doc, sizeof(doc), "%s/amp.json", dir);
	snprintf(wav, sizeof(wav), "%s/amp.wav", dir);
	fp = fopen(doc, "w");
	assert_non_null(fp);
	fputs(amp_doc, fp);
	fclose(fp);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(AUDIOCTL, AUDIOCTL, "render", doc, "-o", wav, "--quiet",
		      (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	f = sf_open(wav, SFM_READ, &info);
	assert_non_null(f);
	assert_int_equal(info.channels, 2);
	assert_int_equal(info.frames, 1000);
	assert_int_equal(sf_readf_float(f, out, 1000), 1000);
	sf_close(f);
	check_amp(out, 1000);
	unlink(doc);
	unlink(wav);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(amp_scales_the_input_by_its_gain_in_db),
		cmocka_unit_test(gain_automation_is_k_rate),
		cmocka_unit_test(ports_become_channels_and_params),
		cmocka_unit_test(what_cannot_run_is_refused_clearly),
		cmocka_unit_test(installed_plugins_are_listed),
		cmocka_unit_test(audioctl_renders_a_document_with_an_lv2_node),
	};
	struct error err = { 0 };
	struct plugin_instance *pi;
	int res;

	host = lv2_host_new();
	pi = host ? lv2_instantiate(host, AMP, 48000, QUANTUM, &err) : NULL;
	if (pi == NULL) {
		printf("skipped: no LV2 host or no %s (%s); tools/deps.sh installs them\n", AMP,
		       err.msg);
		lv2_host_unref(host);
		return 77;
	}
	pi->destroy(pi, false);
	res = cmocka_run_group_tests(tests, NULL, NULL);
	lv2_host_unref(host);
	return res;
}
