/* AnalyserNode: time data is the mono down-mix of the input, frequency data follows the
 * spec's Blackman window, 1/N DFT, smoothing over time and dB conversion (checked against a
 * direct DFT written here), byte conversions clamp, attribute ranges. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/analyser.h"
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

/* AudioBufferSourceNode "s" playing `in` -> AnalyserNode "a" -> destination */
static struct engine *graph(struct audio_buffer *in, double fft, double smoothing)
{
	struct option so = { "buffer", { .type = VALUE_BUFFER, .buf = in } };
	struct option ao[2] = {
		{ "fftSize", { .type = VALUE_NUMBER, .num = fft } },
		{ "smoothingTimeConstant", { .type = VALUE_NUMBER, .num = smoothing } },
	};
	struct engine_op *op = NULL;
	struct error err;
	struct engine *e = engine_new(RATE, 2, &err);

	assert_non_null(e);
	exec(e, engine_op_create(e, "AudioBufferSourceNode", "s", &so, 1, &op, &err), &op, &err);
	exec(e, engine_op_create(e, "AnalyserNode", "a", ao, 2, &op, &err), &op, &err);
	exec(e, engine_op_connect(e, "s", "a", -1, -1, &op, &err), &op, &err);
	exec(e, engine_op_connect(e, "a", "destination", -1, -1, &op, &err), &op, &err);
	exec(e, engine_op_start(e, "s", 0, NAN, NAN, &op, &err), &op, &err);
	return e;
}

static struct audio_buffer *buffer(uint32_t channels, uint32_t length)
{
	struct error err;
	struct audio_buffer *b = audio_buffer_new(channels, length, RATE, &err);

	assert_non_null(b);
	return b;
}

static void quanta(struct engine *e, uint32_t n)
{
	while (n--)
		engine_render(e);
}

/* |X[k]| of the spec: Blackman window (alpha 0.16), sum x^[n] e^{-2 pi i k n / N} / N */
static double spec_magnitude(const float *x, uint32_t n, uint32_t k)
{
	double re = 0, im = 0;
	uint32_t i;

	for (i = 0; i < n; i++) {
		double w = 0.42 - 0.5 * cos(2 * M_PI * i / n) + 0.08 * cos(4 * M_PI * i / n);
		double ph = -2 * M_PI * (double)k * i / n;
		re += x[i] * w * cos(ph);
		im += x[i] * w * sin(ph);
	}
	return sqrt(re * re + im * im) / n;
}

static void float_time_data_is_the_input_downmixed_to_mono(void **state)
{
	struct audio_buffer *in = buffer(2, 1000);
	struct node *a;
	float got[256];
	uint32_t i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		in->data[0][i] = (float)sin(i * 0.05);
		in->data[1][i] = (float)(i % 10) * 0.05f;
	}
	struct engine *e = graph(in, 256, 0.8);
	a = engine_node(e, "a");
	quanta(e, 1);
	/* before 256 frames have passed, the older part is silence */
	assert_int_equal(analyser_get_float_time(a, got, 256), 256);
	for (i = 0; i < 128; i++)
		assert_float_equal(got[i], 0, 0);
	for (i = 128; i < 256; i++)
		assert_float_equal(got[i], 0.5 * (in->data[0][i - 128] + in->data[1][i - 128]),
				   1e-7);
	quanta(e, 2);
	assert_int_equal(analyser_get_float_time(a, got, 256), 256);
	for (i = 0; i < 256; i++)
		assert_float_equal(got[i], 0.5 * (in->data[0][128 + i] + in->data[1][128 + i]),
				   1e-7);
	/* a shorter array gets the first values: the excess is dropped */
	assert_int_equal(analyser_get_float_time(a, got, 10), 10);
	engine_free(e);
	audio_buffer_unref(in);
}

static void output_passes_the_input_through_unchanged(void **state)
{
	struct audio_buffer *in = buffer(2, 128);
	const struct bus *out;
	uint32_t i;

	(void)state;
	for (i = 0; i < 128; i++) {
		in->data[0][i] = (float)i / 128;
		in->data[1][i] = -(float)i / 256;
	}
	struct engine *e = graph(in, 2048, 0.8);
	quanta(e, 1);
	out = &engine_node(e, "a")->out[0];
	assert_int_equal(out->channels, 2);
	for (i = 0; i < 128; i++) {
		assert_float_equal(out->data[0][i], in->data[0][i], 0);
		assert_float_equal(out->data[1][i], in->data[1][i], 0);
	}
	engine_free(e);
	audio_buffer_unref(in);
}

/* a full-scale sine at a bin centre, no smoothing: every bin within 100 dB of the peak is
 * 20 log10 |X[k]| of the spec's DFT */
static void float_frequency_data_matches_the_spec_dft(void **state)
{
	const uint32_t n = 1024, k0 = 64;
	struct audio_buffer *in = buffer(1, 4096);
	float db[512];
	uint32_t i, peak = 0;

	(void)state;
	for (i = 0; i < 4096; i++)
		in->data[0][i] = (float)sin(2 * M_PI * k0 * i / n);
	struct engine *e = graph(in, n, 0);
	quanta(e, 16);	/* frames 1024..2047 are the last fftSize */
	assert_int_equal(analyser_get_float_freq(engine_node(e, "a"), db, 512), 512);
	for (i = 0; i < 512; i++)
		if (db[i] > db[peak])
			peak = i;
	assert_int_equal(peak, k0);
	for (i = 0; i < 512; i++) {
		double want = 20 * log10(spec_magnitude(in->data[0] + 1024, n, i));
		if (want > 20 * log10(spec_magnitude(in->data[0] + 1024, n, k0)) - 100)
			assert_float_equal(db[i], want, 0.01);
	}
	/* the peak of a unit sine at a bin centre: a0 / 2 with a0 = 0.42 */
	assert_float_equal(db[k0], 20 * log10(0.21), 0.001);
	engine_free(e);
	audio_buffer_unref(in);
}

static void smoothing_blends_with_the_previous_block_once_per_quantum(void **state)
{
	const uint32_t n = 256;
	const double tau = 0.5;
	struct audio_buffer *in = buffer(1, 2048);
	double m1, m2, want;
	float db[128], again[128];
	struct node *a;
	uint32_t i, k = 9;

	(void)state;
	for (i = 0; i < 2048; i++)
		in->data[0][i] = (float)(0.7 * sin(i * 0.23) + 0.2 * sin(i * 1.1 + 0.3));
	struct engine *e = graph(in, n, tau);
	a = engine_node(e, "a");
	quanta(e, 4);
	analyser_get_float_freq(a, db, 128);
	m1 = spec_magnitude(in->data[0] + 512 - n, n, k);
	/* the first previous block is zeros */
	assert_float_equal(db[k], 20 * log10((1 - tau) * m1), 1e-3);
	/* again in the same quantum: the same data, not smoothed twice */
	analyser_get_float_freq(a, again, 128);
	assert_memory_equal(db, again, sizeof(db));
	quanta(e, 1);
	analyser_get_float_freq(a, db, 128);
	m2 = spec_magnitude(in->data[0] + 640 - n, n, k);
	want = tau * (1 - tau) * m1 + (1 - tau) * m2;
	assert_float_equal(db[k], 20 * log10(want), 1e-3);
	engine_free(e);
	audio_buffer_unref(in);
}

static void fft_size_change_resets_smoothing(void **state)
{
	struct audio_buffer *in = buffer(1, 4096);
	struct value v = { .type = VALUE_NUMBER, .num = 512 };
	struct engine_op *op = NULL;
	struct error err;
	float db[256];
	uint32_t i;

	(void)state;
	for (i = 0; i < 4096; i++)
		in->data[0][i] = (float)sin(i * 0.3);
	struct engine *e = graph(in, 256, 0.9);
	quanta(e, 4);
	analyser_get_float_freq(engine_node(e, "a"), db, 128);
	exec(e, engine_op_set(e, "a", "fftSize", &v, &op, &err), &op, &err);
	assert_int_equal(analyser_bin_count(engine_node(e, "a")), 256);
	quanta(e, 1);
	analyser_get_float_freq(engine_node(e, "a"), db, 256);
	/* previous block is zeros again: X^ = (1 - tau) |X| */
	assert_float_equal(db[20], 20 * log10(0.1 * spec_magnitude(in->data[0] + 640 - 512, 512,
								     20)), 1e-3);
	engine_free(e);
	audio_buffer_unref(in);
}

static void byte_frequency_data_scales_and_clamps(void **state)
{
	const uint32_t n = 512;
	struct audio_buffer *in = buffer(1, 2048);
	uint8_t b[256];
	float db[256];
	uint32_t i;
	bool low = false;

	(void)state;
	for (i = 0; i < 2048; i++)
		in->data[0][i] = (float)(sin(2 * M_PI * 40 * i / n) + 1e-3 * sin(i * 2.1));
	struct engine *e = graph(in, n, 0);
	quanta(e, 8);
	analyser_get_float_freq(engine_node(e, "a"), db, 256);
	analyser_get_byte_freq(engine_node(e, "a"), b, 256);
	for (i = 0; i < 256; i++) {
		double want = floor(255.0 / 70.0 * (db[i] + 100));
		want = want < 0 ? 0 : want > 255 ? 255 : want;
		assert_int_equal(b[i], (int)want);
		low |= db[i] < -100;
	}
	assert_int_equal(b[40], 255);	/* -13.6 dB is above maxDecibels */
	assert_true(low);		/* and some bins are below minDecibels: 0 */
	engine_free(e);
	audio_buffer_unref(in);
}

static void byte_time_data_scales_and_clamps(void **state)
{
	const float x[] = { 0, 0.5f, -0.5f, 1.5f, -1.5f, 0.999f, -1 };
	const int want[] = { 128, 192, 64, 255, 0, 255, 0 };
	struct audio_buffer *in = buffer(1, 128);
	uint8_t b[32];
	uint32_t i;

	(void)state;
	memcpy(in->data[0] + 128 - 7, x, sizeof(x));
	struct engine *e = graph(in, 32, 0.8);
	quanta(e, 1);
	assert_int_equal(analyser_get_byte_time(engine_node(e, "a"), b, 32), 32);
	for (i = 0; i < 7; i++)
		assert_int_equal(b[32 - 7 + i], want[i]);
	engine_free(e);
	audio_buffer_unref(in);
}

static void attribute_ranges_raise_index_size(void **state)
{
	struct option bad[] = {
		{ "fftSize", { .type = VALUE_NUMBER, .num = 1000 } },
		{ "fftSize", { .type = VALUE_NUMBER, .num = 16 } },
		{ "fftSize", { .type = VALUE_NUMBER, .num = 65536 } },
		{ "smoothingTimeConstant", { .type = VALUE_NUMBER, .num = 1.5 } },
		{ "minDecibels", { .type = VALUE_NUMBER, .num = -30 } },
	};
	struct value v = { .type = VALUE_NUMBER, .num = -120 };
	struct engine_op *op = NULL;
	struct error err;
	struct engine *e = engine_new(RATE, 2, &err);
	struct node *gain;
	float f[4];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(engine_op_create(e, "AnalyserNode", "x", &bad[i], 1, &op, &err), -1);
		assert_int_equal(err.code, ERR_INDEX_SIZE);
	}
	exec(e, engine_op_create(e, "AnalyserNode", "a", NULL, 0, &op, &err), &op, &err);
	assert_int_equal(analyser_bin_count(engine_node(e, "a")), 1024);
	assert_int_equal(engine_op_set(e, "a", "maxDecibels", &v, &op, &err), -1);
	assert_int_equal(err.code, ERR_INDEX_SIZE);
	exec(e, engine_op_set(e, "a", "minDecibels", &v, &op, &err), &op, &err);
	v.num = -110;
	exec(e, engine_op_set(e, "a", "maxDecibels", &v, &op, &err), &op, &err);
	v.num = 4096;
	assert_int_equal(engine_op_set(e, "a", "frequencyBinCount", &v, &op, &err), -1);
	exec(e, engine_op_create(e, "GainNode", "g", NULL, 0, &op, &err), &op, &err);
	gain = engine_node(e, "g");
	assert_int_equal(analyser_get_float_time(gain, f, 4), -1);
	assert_int_equal(analyser_get_float_freq(gain, f, 4), -1);
	assert_int_equal(analyser_bin_count(gain), 0);
	engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(float_time_data_is_the_input_downmixed_to_mono),
		cmocka_unit_test(output_passes_the_input_through_unchanged),
		cmocka_unit_test(float_frequency_data_matches_the_spec_dft),
		cmocka_unit_test(smoothing_blends_with_the_previous_block_once_per_quantum),
		cmocka_unit_test(fft_size_change_resets_smoothing),
		cmocka_unit_test(byte_frequency_data_scales_and_clamps),
		cmocka_unit_test(byte_time_data_scales_and_clamps),
		cmocka_unit_test(attribute_ranges_raise_index_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
