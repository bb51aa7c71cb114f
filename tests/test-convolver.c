/* ConvolverNode: exact linear convolution with no latency (short and multi-level long
 * responses), the spec's calculateNormalizationScale, the channel matrix of its diagrams,
 * the buffer and channel constraints, and the tail. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/buffer.h"
#include "engine/engine.h"
#include "engine/node.h"

#define RATE 48000.0

static void exec(struct engine *e, int r, struct engine_op **op, const struct error *err)
{
	if (r < 0)
		fail_msg("%s", err->msg);
	engine_exec(e, *op);
}

static struct audio_buffer *buffer(uint32_t channels, uint32_t length, double rate)
{
	struct error err;
	struct audio_buffer *b = audio_buffer_new(channels, length, rate, &err);

	assert_non_null(b);
	return b;
}

/* AudioBufferSourceNode "s" playing `in` at 0 -> ConvolverNode "c" (response ir) ->
 * destination.  the test reads c's own output bus. */
static struct engine *graph(struct audio_buffer *in, struct audio_buffer *ir, bool normalize)
{
	struct option so = { "buffer", { .type = VALUE_BUFFER, .buf = in } };
	struct option co[2] = {
		{ "disableNormalization", { .type = VALUE_BOOL, .b = !normalize } },
		{ "buffer", { .type = VALUE_BUFFER, .buf = ir } },
	};
	struct engine_op *op = NULL;
	struct error err;
	struct engine *e = engine_new(RATE, 2, &err);

	assert_non_null(e);
	exec(e, engine_op_create(e, "AudioBufferSourceNode", "s", &so, 1, &op, &err), &op, &err);
	exec(e, engine_op_create(e, "ConvolverNode", "c", co, ir ? 2 : 1, &op, &err), &op, &err);
	exec(e, engine_op_connect(e, "s", "c", -1, -1, &op, &err), &op, &err);
	exec(e, engine_op_connect(e, "c", "destination", -1, -1, &op, &err), &op, &err);
	exec(e, engine_op_start(e, "s", 0, NAN, NAN, &op, &err), &op, &err);
	return e;
}

/* renders `frames` (a multiple of 128) and keeps c's output: out[c][frame] */
static void render(struct engine *e, uint32_t frames, float *out[2], uint32_t *channels)
{
	const struct bus *b = &engine_node(e, "c")->out[0];
	uint32_t f, c;

	for (f = 0; f < frames; f += QUANTUM) {
		engine_render(e);
		if (channels)
			*channels = b->channels;
		for (c = 0; c < 2; c++) {
			if (out[c] == NULL)
				continue;
			if (b->silent || c >= b->channels)
				memset(out[c] + f, 0, QUANTUM * sizeof(float));
			else
				memcpy(out[c] + f, b->data[c], QUANTUM * sizeof(float));
		}
	}
}

/* a deterministic signal in [-1, 1) (xorshift32) */
static void noise(float *d, uint32_t n, uint32_t seed, double decay)
{
	uint32_t x = seed, i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		d[i] = (float)(((double)x / 4294967296.0 * 2 - 1) * exp(-(double)i / decay));
	}
}

static void direct(const float *x, uint32_t nx, const float *h, uint32_t nh, double *y,
		   uint32_t ny)
{
	uint32_t n, k;

	memset(y, 0, ny * sizeof(double));
	for (n = 0; n < nx; n++)
		for (k = 0; k < nh && n + k < ny; k++)
			y[n + k] += (double)x[n] * h[k];
}

static void short_response_gives_exact_convolution_across_quanta(void **state)
{
	struct audio_buffer *in = buffer(1, 400, RATE), *ir = buffer(1, 3, RATE);
	float *out[2] = { calloc(512, sizeof(float)), NULL };
	uint32_t n, ch;
	struct engine *e;

	(void)state;
	for (n = 0; n < 400; n++)
		in->data[0][n] = (float)(sin(n * 0.37) * 0.8 + (n % 7) * 0.01);
	ir->data[0][0] = 1;
	ir->data[0][1] = 0.5f;
	ir->data[0][2] = 0.25f;
	e = graph(in, ir, false);
	render(e, 512, out, &ch);
	for (n = 0; n < 512; n++) {
		const float *x = in->data[0];
		double y = (n < 400 ? x[n] : 0) + (n >= 1 && n - 1 < 400 ? 0.5 * x[n - 1] : 0) +
			   (n >= 2 && n - 2 < 400 ? 0.25 * x[n - 2] : 0);
		assert_float_equal(out[0][n], y, 1e-6);
	}
	assert_int_equal(ch, 1);	/* mono input, mono response: mono output */
	engine_free(e);
	audio_buffer_unref(in);
	audio_buffer_unref(ir);
	free(out[0]);
}

/* 30000 frames of response: every partition level takes part */
static void long_response_matches_direct_convolution(void **state)
{
	const uint32_t nx = 5000, nh = 30000, ny = 40960;
	struct audio_buffer *in = buffer(1, nx, RATE), *ir = buffer(2, nh, RATE);
	float *out[2] = { calloc(ny, sizeof(float)), calloc(ny, sizeof(float)) };
	double *y = calloc(ny, sizeof(double)), peak, worst;
	uint32_t n, c, ch;
	struct engine *e;

	(void)state;
	noise(in->data[0], nx, 7, 1e9);
	noise(ir->data[0], nh, 11, 8000);
	noise(ir->data[1], nh, 13, 8000);
	e = graph(in, ir, false);
	render(e, ny, out, &ch);
	assert_int_equal(ch, 2);
	for (c = 0; c < 2; c++) {
		direct(in->data[0], nx, ir->data[c], nh, y, ny);
		peak = worst = 0;
		for (n = 0; n < ny; n++) {
			peak = fmax(peak, fabs(y[n]));
			worst = fmax(worst, fabs(out[c][n] - y[n]));
		}
		/* single-precision FFTs: error far below -100 dB of the peak */
		assert_true(worst < peak * 1e-5);
	}
	engine_free(e);
	audio_buffer_unref(in);
	audio_buffer_unref(ir);
	free(out[0]);
	free(out[1]);
	free(y);
}

/* the node stops working once its tail has rung out; a later input must still convolve
 * exactly, with every partition level back in step */
static void input_after_a_long_silence_convolves_exactly(void **state)
{
	const uint32_t nh = 30000, at = 160000, ny = 192000;
	struct audio_buffer *in = buffer(1, at + 1, RATE), *ir = buffer(1, nh, RATE);
	float *out[2] = { calloc(ny, sizeof(float)), NULL };
	uint32_t n;
	struct engine *e;

	(void)state;
	noise(in->data[0], 1000, 3, 1e9);
	in->data[0][at] = 1;
	noise(ir->data[0], nh, 5, 8000);
	e = graph(in, ir, false);
	render(e, ny, out, NULL);
	for (n = 1000 + nh; n < at; n++)
		assert_float_equal(out[0][n], 0, 1e-6);	/* FFT round-off only */
	for (n = 0; n < nh; n++)
		assert_float_equal(out[0][at + n], ir->data[0][n], 1e-5);
	engine_free(e);
	audio_buffer_unref(in);
	audio_buffer_unref(ir);
	free(out[0]);
}

/* calculateNormalizationScale, written out independently of the node */
static double spec_scale(const struct audio_buffer *b)
{
	double power = 0;
	uint32_t c, i;

	for (c = 0; c < b->channels; c++)
		for (i = 0; i < b->length; i++)
			power += (double)b->data[c][i] * b->data[c][i];
	power = sqrt(power / (b->channels * (double)b->length));
	if (power < 0.000125)
		power = 0.000125;
	return 1 / power * 0.00125 * (44100 / b->sample_rate) * (b->channels == 4 ? 0.5 : 1);
}

/* an impulse through a normalized convolver gives scale * response */
static void check_normalized(uint32_t channels, float level)
{
	struct audio_buffer *in = buffer(1, 1, RATE), *ir = buffer(channels, 200, RATE);
	float *out[2] = { calloc(256, sizeof(float)), calloc(256, sizeof(float)) };
	double scale;
	uint32_t n, c;
	struct engine *e;

	in->data[0][0] = 1;
	for (c = 0; c < channels; c++)
		for (n = 0; n < 200; n++)
			ir->data[c][n] = level * (float)((n * (c + 3)) % 11 - 5) / 5;
	scale = spec_scale(ir);
	e = graph(in, ir, true);
	render(e, 256, out, NULL);
	for (c = 0; c < 2; c++) {
		for (n = 0; n < 200; n++) {
			/* mono input: channel 1 of a mono response mirrors channel 0; with four,
			 * left is buffer[0]+buffer[2], right buffer[1]+buffer[3] */
			double h = channels == 1 ? ir->data[0][n] :
				   channels == 2 ? ir->data[c][n] :
				   (double)ir->data[c][n] + ir->data[c + 2][n];
			double want = scale * h;
			if (channels == 1 && c == 1)
				break;
			assert_float_equal(out[c][n], want, 1e-6 * fmax(1, fabs(want)));
		}
	}
	engine_free(e);
	audio_buffer_unref(in);
	audio_buffer_unref(ir);
	free(out[0]);
	free(out[1]);
}

static void normalization_scale_follows_the_spec_formula(void **state)
{
	(void)state;
	check_normalized(1, 0.5f);
	check_normalized(2, 0.3f);
	check_normalized(4, 0.7f);	/* true-stereo compensation halves it */
	check_normalized(2, 1e-5f);	/* below MinPower: power is clamped */
}

/* a 4-channel response with distinct impulses: where each input lands tells the routing */
static void true_stereo_response_routes_as_the_spec_diagram(void **state)
{
	struct audio_buffer *in = buffer(2, 20, RATE), *ir = buffer(4, 8, RATE);
	float *out[2] = { calloc(128, sizeof(float)), calloc(128, sizeof(float)) };
	uint32_t ch;
	struct engine *e;

	(void)state;
	in->data[0][0] = 1;		/* left: impulse at 0 */
	in->data[1][10] = 10;		/* right: impulse at 10 */
	ir->data[0][0] = 1;		/* L -> L */
	ir->data[1][1] = 2;		/* L -> R */
	ir->data[2][2] = 3;		/* R -> L */
	ir->data[3][3] = 4;		/* R -> R */
	e = graph(in, ir, false);
	render(e, 128, out, &ch);
	assert_int_equal(ch, 2);
	assert_float_equal(out[0][0], 1, 1e-6);
	assert_float_equal(out[0][12], 30, 1e-5);
	assert_float_equal(out[1][1], 2, 1e-6);
	assert_float_equal(out[1][13], 40, 1e-5);
	assert_float_equal(out[0][1], 0, 1e-5);
	assert_float_equal(out[0][13], 0, 1e-5);
	assert_float_equal(out[1][0], 0, 1e-5);
	assert_float_equal(out[1][12], 0, 1e-5);
	engine_free(e);
	audio_buffer_unref(in);
	audio_buffer_unref(ir);
	free(out[0]);
	free(out[1]);
}

/* stereo input, mono response: each input channel convolved on its own */
static void stereo_input_with_mono_response_is_stereo(void **state)
{
	struct audio_buffer *in = buffer(2, 4, RATE), *ir = buffer(1, 2, RATE);
	float *out[2] = { calloc(128, sizeof(float)), calloc(128, sizeof(float)) };
	uint32_t ch;
	struct engine *e;

	(void)state;
	in->data[0][0] = 1;
	in->data[1][2] = -2;
	ir->data[0][0] = 0.5f;
	ir->data[0][1] = 0.25f;
	e = graph(in, ir, false);
	render(e, 128, out, &ch);
	assert_int_equal(ch, 2);
	assert_float_equal(out[0][0], 0.5, 1e-6);
	assert_float_equal(out[0][1], 0.25, 1e-6);
	assert_float_equal(out[0][2], 0, 1e-6);
	assert_float_equal(out[1][0], 0, 1e-6);
	assert_float_equal(out[1][2], -1, 1e-6);
	assert_float_equal(out[1][3], -0.5, 1e-6);
	engine_free(e);
	audio_buffer_unref(in);
	audio_buffer_unref(ir);
	free(out[0]);
	free(out[1]);
}

/* a stereo source for one quantum and a mono one throughout: the input turns mono at frame
 * 128, but the right channel's impulse (frame 100) still rings through the response's tap
 * at 200, in quantum 2: the output stays stereo (WPT convolver-upmixing-1-channel-response) */
static void stereo_tail_check(bool discrete)
{
	struct audio_buffer *st = buffer(2, 128, RATE), *mono = buffer(1, 1024, RATE);
	struct audio_buffer *ir = buffer(1, 201, RATE);
	struct option so = { "buffer", { .type = VALUE_BUFFER, .buf = st } };
	struct option mo = { "buffer", { .type = VALUE_BUFFER, .buf = mono } };
	struct option co[2] = {
		{ "disableNormalization", { .type = VALUE_BOOL, .b = true } },
		{ "buffer", { .type = VALUE_BUFFER, .buf = ir } },
	};
	float *out[2] = { calloc(384, sizeof(float)), calloc(384, sizeof(float)) };
	struct engine_op *op = NULL;
	struct error err;
	struct engine *e = engine_new(RATE, 2, &err);
	uint32_t ch;

	st->data[1][100] = 1;
	ir->data[0][0] = 0.5f;
	ir->data[0][200] = 0.25f;
	exec(e, engine_op_create(e, "AudioBufferSourceNode", "s", &so, 1, &op, &err), &op, &err);
	exec(e, engine_op_create(e, "AudioBufferSourceNode", "m", &mo, 1, &op, &err), &op, &err);
	exec(e, engine_op_create(e, "ConvolverNode", "c", co, 2, &op, &err), &op, &err);
	exec(e, engine_op_connect(e, "s", "c", -1, -1, &op, &err), &op, &err);
	exec(e, engine_op_connect(e, "m", "c", -1, -1, &op, &err), &op, &err);
	exec(e, engine_op_connect(e, "c", "destination", -1, -1, &op, &err), &op, &err);
	exec(e, engine_op_start(e, "s", 0, NAN, NAN, &op, &err), &op, &err);
	exec(e, engine_op_start(e, "m", 0, NAN, NAN, &op, &err), &op, &err);
	if (discrete) {
		struct value v = { .type = VALUE_STRING, .str = "discrete" };

		exec(e, engine_op_set(e, "c", "channelInterpretation", &v, &op, &err), &op, &err);
	}
	mono->data[0][150] = 1;
	render(e, 384, out, &ch);
	assert_int_equal(ch, 2);
	assert_float_equal(out[1][100], 0.5, 1e-6);
	assert_float_equal(out[1][300], 0.25, 1e-6);
	/* the mono impulse at 150: up-mixed to both channels by "speakers", to the left
	 * only by "discrete" */
	assert_float_equal(out[0][150], 0.5, 1e-6);
	assert_float_equal(out[1][150], discrete ? 0 : 0.5, 1e-6);
	assert_float_equal(out[1][350], discrete ? 0 : 0.25, 1e-6);
	engine_free(e);
	audio_buffer_unref(st);
	audio_buffer_unref(mono);
	audio_buffer_unref(ir);
	free(out[0]);
	free(out[1]);
}

static void stereo_tail_stays_stereo_after_the_input_turns_mono(void **state)
{
	(void)state;
	stereo_tail_check(false);
}

/* "discrete" up-mixes the mono input that follows into the left channel only */
static void discrete_mono_input_into_a_stereo_tail_goes_left_only(void **state)
{
	(void)state;
	stereo_tail_check(true);
}

static void buffer_needs_1_2_or_4_channels_at_the_context_rate(void **state)
{
	struct audio_buffer *three = buffer(3, 10, RATE), *slow = buffer(1, 10, 44100);
	struct audio_buffer *four = buffer(4, 10, RATE);
	struct value v = { .type = VALUE_BUFFER };
	struct engine_op *op = NULL;
	struct error err;
	struct engine *e = engine_new(RATE, 2, &err);

	(void)state;
	exec(e, engine_op_create(e, "ConvolverNode", "c", NULL, 0, &op, &err), &op, &err);
	v.buf = three;
	assert_int_equal(engine_op_set(e, "c", "buffer", &v, &op, &err), -1);
	assert_int_equal(err.code, ERR_NOT_SUPPORTED);
	v.buf = slow;
	assert_int_equal(engine_op_set(e, "c", "buffer", &v, &op, &err), -1);
	assert_int_equal(err.code, ERR_NOT_SUPPORTED);
	v.buf = four;
	exec(e, engine_op_set(e, "c", "buffer", &v, &op, &err), &op, &err);
	engine_free(e);
	audio_buffer_unref(three);
	audio_buffer_unref(slow);
	audio_buffer_unref(four);
}

static void channel_count_over_two_or_max_mode_is_not_supported(void **state)
{
	struct option big = { "channelCount", { .type = VALUE_NUMBER, .num = 3 } };
	struct value max = { .type = VALUE_STRING, .str = "max" };
	struct value one = { .type = VALUE_NUMBER, .num = 1 };
	struct engine_op *op = NULL;
	struct error err;
	struct engine *e = engine_new(RATE, 2, &err);

	(void)state;
	assert_int_equal(engine_op_create(e, "ConvolverNode", "x", &big, 1, &op, &err), -1);
	assert_int_equal(err.code, ERR_NOT_SUPPORTED);
	exec(e, engine_op_create(e, "ConvolverNode", "c", NULL, 0, &op, &err), &op, &err);
	assert_int_equal(engine_op_set(e, "c", "channelCountMode", &max, &op, &err), -1);
	assert_int_equal(err.code, ERR_NOT_SUPPORTED);
	exec(e, engine_op_set(e, "c", "channelCount", &one, &op, &err), &op, &err);
	engine_free(e);
}

/* normalize is read when a buffer is set; changing it alone changes nothing */
static void normalize_applies_to_buffers_set_afterwards(void **state)
{
	struct audio_buffer *in = buffer(1, 300, RATE), *ir = buffer(1, 1, RATE);
	float *out[2] = { calloc(256, sizeof(float)), NULL };
	struct value off = { .type = VALUE_BOOL, .b = false };
	struct value bv = { .type = VALUE_BUFFER };
	struct engine_op *op = NULL;
	struct error err;
	struct engine *e;
	double scale;

	(void)state;
	in->data[0][0] = 1;
	in->data[0][256] = 1;
	ir->data[0][0] = 0.5f;
	scale = spec_scale(ir);
	e = graph(in, ir, true);
	exec(e, engine_op_set(e, "c", "normalize", &off, &op, &err), &op, &err);
	render(e, 128, out, NULL);
	assert_float_equal(out[0][0], 0.5 * scale, 1e-6);
	/* setting the buffer again now convolves without scaling */
	bv.buf = ir;
	exec(e, engine_op_set(e, "c", "buffer", &bv, &op, &err), &op, &err);
	render(e, 256, out, NULL);
	assert_float_equal(out[0][128], 0.5, 1e-6);
	engine_free(e);
	audio_buffer_unref(in);
	audio_buffer_unref(ir);
	free(out[0]);
}

/* an impulse rings for the response's length, then the output goes silent */
static void tail_lasts_the_response_then_goes_silent(void **state)
{
	struct audio_buffer *in = buffer(1, 1, RATE), *ir = buffer(1, 300, RATE);
	float *out[2] = { calloc(384, sizeof(float)), NULL };
	const struct bus *b;
	struct engine *e;
	uint32_t n;

	(void)state;
	in->data[0][0] = 1;
	for (n = 0; n < 300; n++)
		ir->data[0][n] = 1;
	e = graph(in, ir, false);
	render(e, 384, out, NULL);
	for (n = 0; n < 384; n++)
		assert_float_equal(out[0][n], n < 300 ? 1 : 0, 1e-6);
	b = &engine_node(e, "c")->out[0];
	for (n = 0; n < 40; n++)
		engine_render(e);
	assert_true(b->silent);
	assert_false(engine_node(e, "c")->tail);
	engine_free(e);
	audio_buffer_unref(in);
	audio_buffer_unref(ir);
	free(out[0]);
}

static void no_buffer_outputs_one_silent_channel(void **state)
{
	float *out[2] = { calloc(128, sizeof(float)), NULL };
	struct audio_buffer *in = buffer(1, 128, RATE);
	uint32_t ch;
	struct engine *e;

	(void)state;
	in->data[0][5] = 1;
	e = graph(in, NULL, true);
	render(e, 128, out, &ch);
	assert_int_equal(ch, 1);
	assert_true(engine_node(e, "c")->out[0].silent);
	engine_free(e);
	audio_buffer_unref(in);
	free(out[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(short_response_gives_exact_convolution_across_quanta),
		cmocka_unit_test(long_response_matches_direct_convolution),
		cmocka_unit_test(input_after_a_long_silence_convolves_exactly),
		cmocka_unit_test(normalization_scale_follows_the_spec_formula),
		cmocka_unit_test(true_stereo_response_routes_as_the_spec_diagram),
		cmocka_unit_test(stereo_input_with_mono_response_is_stereo),
		cmocka_unit_test(stereo_tail_stays_stereo_after_the_input_turns_mono),
		cmocka_unit_test(discrete_mono_input_into_a_stereo_tail_goes_left_only),
		cmocka_unit_test(buffer_needs_1_2_or_4_channels_at_the_context_rate),
		cmocka_unit_test(channel_count_over_two_or_max_mode_is_not_supported),
		cmocka_unit_test(normalize_applies_to_buffers_set_afterwards),
		cmocka_unit_test(tail_lasts_the_response_then_goes_silent),
		cmocka_unit_test(no_buffer_outputs_one_silent_channel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
