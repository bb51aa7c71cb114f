/* unit tests for engine/buffer.c and protocol/bufspec.c: createBuffer's limits, the BUFSPEC
 * generators sample by sample (the xorshift32 stream is recomputed here independently),
 * inline buffers, WAV files written here with libsndfile, resampling to the context rate,
 * and error codes and messages naming the JSON path. */
#include <json-c/json.h>
#include <math.h>
#include <setjmp.h>
#include <sndfile.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/buffer.h"
#include "protocol/bufspec.h"

#define CTX 48000.0

static char tmpdir[64];

static struct audio_buffer *load(const char *json, struct error *err)
{
	struct json_object *o = json_tokener_parse(json);
	struct audio_buffer *b;

	assert_non_null(o);
	b = bufspec_load(o, tmpdir, CTX, "buffers.n", err);
	json_object_put(o);
	return b;
}

static struct audio_buffer *load_ok(const char *json)
{
	struct error err = { 0 };
	struct audio_buffer *b = load(json, &err);

	if (b == NULL)
		fail_msg("%s: %s", json, err.msg);
	return b;
}

/* loads json expecting failure with `code` and a message starting with `msg` */
static void load_fails(const char *json, enum err_code code, const char *msg)
{
	struct error err = { 0 };

	assert_null(load(json, &err));
	assert_int_equal(err.code, code);
	if (strncmp(err.msg, msg, strlen(msg)) != 0)
		fail_msg("message \"%s\" does not start with \"%s\"", err.msg, msg);
}

/* ---- audio_buffer ------------------------------------------------------------------------- */

static void buffer_limits_are_the_specs_create_buffer_limits(void **state)
{
	struct error err;
	struct audio_buffer *b;

	(void)state;
	assert_null(audio_buffer_new(0, 10, CTX, &err));
	assert_int_equal(err.code, ERR_NOT_SUPPORTED);
	assert_null(audio_buffer_new(33, 10, CTX, &err));
	assert_int_equal(err.code, ERR_NOT_SUPPORTED);
	assert_null(audio_buffer_new(1, 0, CTX, &err));
	assert_int_equal(err.code, ERR_NOT_SUPPORTED);
	assert_null(audio_buffer_new(1, 10, 2999, &err));
	assert_int_equal(err.code, ERR_NOT_SUPPORTED);
	assert_null(audio_buffer_new(1, 10, 768001, &err));
	assert_int_equal(err.code, ERR_NOT_SUPPORTED);
	assert_null(audio_buffer_new(1, 10, NAN, &err));
	assert_int_equal(err.code, ERR_NOT_SUPPORTED);
	b = audio_buffer_new(32, 1, 3000, &err);
	assert_non_null(b);
	audio_buffer_unref(b);
	b = audio_buffer_new(1, 1, 768000, &err);
	assert_non_null(b);
	audio_buffer_unref(b);
}

static void new_buffer_is_zeroed_with_aligned_separate_channels(void **state)
{
	struct error err;
	struct audio_buffer *b = audio_buffer_new(3, 1001, 44100, &err);

	(void)state;
	assert_non_null(b);
	assert_int_equal(b->refs, 1);
	assert_int_equal(b->channels, 3);
	assert_int_equal(b->length, 1001);
	assert_true(b->sample_rate == 44100);
	for (uint32_t c = 0; c < 3; c++) {
		assert_int_equal((uintptr_t)b->data[c] % 64, 0);
		for (uint32_t i = 0; i < 1001; i++)
			assert_true(b->data[c][i] == 0.0f);
		if (c > 0)
			assert_true(b->data[c] >= b->data[c - 1] + 1001);
	}
	assert_true(audio_buffer_bytes(b) >= 3 * 1001 * sizeof(float));
	audio_buffer_unref(b);
}

static void references_keep_the_buffer_until_the_last_unref(void **state)
{
	struct error err;
	struct audio_buffer *b = audio_buffer_new(1, 4, CTX, &err);

	(void)state;
	assert_ptr_equal(audio_buffer_ref(b), b);
	assert_int_equal(b->refs, 2);
	audio_buffer_unref(b);
	assert_int_equal(b->refs, 1);
	audio_buffer_unref(b);	/* freed: ASan would flag a leak otherwise */
	assert_null(audio_buffer_ref(NULL));
	audio_buffer_unref(NULL);
}

/* ---- generators ----------------------------------------------------------------------- */

/* the protocol's xorshift32, written with 64-bit arithmetic and explicit masking */
static uint64_t xorshift_next(uint64_t x)
{
	x = (x ^ (x << 13)) & 0xffffffffu;
	x = (x ^ (x >> 17)) & 0xffffffffu;
	x = (x ^ (x << 5)) & 0xffffffffu;
	return x;
}

static void noise_is_one_xorshift_stream_channel_after_channel(void **state)
{
	struct audio_buffer *b = load_ok(
		"{\"generate\":\"noise\",\"seed\":9,\"length\":300,\"numberOfChannels\":2}");
	uint64_t x = 9;

	(void)state;
	assert_int_equal(b->channels, 2);
	assert_int_equal(b->length, 300);
	assert_true(b->sample_rate == CTX);
	for (uint32_t c = 0; c < 2; c++) {
		for (uint32_t i = 0; i < 300; i++) {
			x = xorshift_next(x);
			assert_true(b->data[c][i] == (float)((double)x / 4294967296.0 * 2.0 - 1.0));
		}
	}
	audio_buffer_unref(b);
}

static void noise_first_value_for_seed_one(void **state)
{
	/* 1 -> 1^(1<<13) = 8193 -> 8193^(8193>>17) = 8193 -> 8193^(8193<<5) = 270369 */
	struct audio_buffer *b = load_ok("{\"generate\":\"noise\",\"seed\":1,\"length\":1}");

	(void)state;
	assert_true(b->data[0][0] == (float)(270369.0 / 4294967296.0 * 2.0 - 1.0));
	audio_buffer_unref(b);
}

static void noise_decay_multiplies_by_the_power_of_the_remaining_fraction(void **state)
{
	struct audio_buffer *b = load_ok("{\"generate\":\"noise\",\"seed\":4,\"length\":2000,"
					 "\"decayPow\":4,\"sampleRate\":22050}");
	uint64_t x = 4;

	(void)state;
	assert_true(b->sample_rate == 22050);
	for (uint32_t i = 0; i < 2000; i++) {
		double v;
		x = xorshift_next(x);
		v = (double)x / 4294967296.0 * 2.0 - 1.0;
		assert_true(b->data[0][i] == (float)(v * pow(1.0 - i / 2000.0, 4)));
	}
	audio_buffer_unref(b);
}

static void impulse_puts_value_at_frame(void **state)
{
	struct audio_buffer *b = load_ok("{\"generate\":\"impulse\",\"at\":7,\"value\":0.5,"
					 "\"length\":10,\"numberOfChannels\":2}");

	(void)state;
	for (uint32_t c = 0; c < 2; c++)
		for (uint32_t i = 0; i < 10; i++)
			assert_true(b->data[c][i] == (i == 7 ? 0.5f : 0.0f));
	audio_buffer_unref(b);
	b = load_ok("{\"generate\":\"impulse\",\"length\":3}");
	assert_true(b->data[0][0] == 1.0f && b->data[0][1] == 0.0f);
	audio_buffer_unref(b);
}

static void dc_fills_every_sample(void **state)
{
	struct audio_buffer *b = load_ok("{\"generate\":\"dc\",\"value\":-0.25,\"length\":600}");

	(void)state;
	assert_int_equal(b->channels, 1);
	for (uint32_t i = 0; i < 600; i++)
		assert_true(b->data[0][i] == -0.25f);
	audio_buffer_unref(b);
}

static void sine_follows_sin_2_pi_f_i_over_rate(void **state)
{
	struct audio_buffer *b = load_ok("{\"generate\":\"sine\",\"frequency\":500,"
					 "\"length\":9500,\"sampleRate\":38000}");

	(void)state;
	assert_true(b->sample_rate == 38000);
	for (uint32_t i = 0; i < 9500; i++)
		assert_true(b->data[0][i] == (float)sin(2 * M_PI * 500 * i / 38000.0));
	audio_buffer_unref(b);
}

/* ---- inline ------------------------------------------------------------------------------ */

static void inline_channels_are_copied(void **state)
{
	struct audio_buffer *b = load_ok("{\"sampleRate\":8000,\"channels\":[[0.5,-1,2],[1,2,3]]}");

	(void)state;
	assert_int_equal(b->channels, 2);
	assert_int_equal(b->length, 3);
	assert_true(b->sample_rate == 8000);
	assert_true(b->data[0][0] == 0.5f && b->data[0][1] == -1.0f && b->data[0][2] == 2.0f);
	assert_true(b->data[1][2] == 3.0f);
	audio_buffer_unref(b);
}

/* ---- files ----------------------------------------------------------------------------- */

static void write_wav(const char *name, int format, int rate, int channels, sf_count_t frames,
		      double freq)
{
	char path[128];
	SF_INFO info = { .samplerate = rate, .channels = channels, .format = format };
	SNDFILE *sf;
	float *data = calloc((size_t)frames * channels, sizeof(float));

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	assert_non_null(data);
	for (sf_count_t i = 0; i < frames; i++)
		for (int c = 0; c < channels; c++)
			data[i * channels + c] = freq > 0
				? (float)(0.5 * sin(2 * M_PI * freq * (double)i / rate))
				: (float)((i * channels + c) % 64) / 128.0f - 0.25f;
	sf = sf_open(path, SFM_WRITE, &info);
	assert_non_null(sf);
	assert_int_equal(sf_writef_float(sf, data, frames), frames);
	sf_close(sf);
	free(data);
}

static void float_wav_keeps_its_rate_and_samples(void **state)
{
	struct audio_buffer *b;

	(void)state;
	write_wav("f.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 22050, 2, 500, 0);
	b = load_ok("{\"file\":\"f.wav\"}");
	assert_int_equal(b->channels, 2);
	assert_int_equal(b->length, 500);
	assert_true(b->sample_rate == 22050);
	for (uint32_t i = 0; i < 500; i++)
		for (uint32_t c = 0; c < 2; c++)
			assert_true(b->data[c][i] == (float)((i * 2 + c) % 64) / 128.0f - 0.25f);
	audio_buffer_unref(b);
}

static void pcm16_wav_is_scaled_by_32768(void **state)
{
	struct audio_buffer *b;

	(void)state;
	/* the pattern's values are multiples of 1/128: exact in 16 bits */
	write_wav("s.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100, 1, 300, 0);
	b = load_ok("{\"file\":\"s.wav\",\"resample\":false}");
	assert_true(b->sample_rate == 44100);
	for (uint32_t i = 0; i < 300; i++)
		assert_true(b->data[0][i] == (float)(i % 64) / 128.0f - 0.25f);
	audio_buffer_unref(b);
}

/* amplitude of a 1 kHz component of x (rate 48000), by correlation over whole periods */
static double tone_amplitude(const float *x, uint32_t from, uint32_t n)
{
	double re = 0, im = 0;

	for (uint32_t i = from; i < from + n; i++) {
		re += x[i] * cos(2 * M_PI * 1000 * i / CTX);
		im += x[i] * sin(2 * M_PI * 1000 * i / CTX);
	}
	return 2 * sqrt(re * re + im * im) / n;
}

/* compressed formats through libsndfile: FLAC is lossless; Ogg Vorbis, Opus and MP3 are
 * lossy (and may pad the start), so the check is the sine's amplitude and the length */
static void flac_ogg_opus_and_mp3_decode_to_the_same_sine(void **state)
{
	static const struct { const char *name; int format; double tol; } f[] = {
		{ "s.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 1e-4 },
		{ "s.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 0.02 },
		{ "s.opus", SF_FORMAT_OGG | SF_FORMAT_OPUS, 0.02 },
		{ "s.mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, 0.02 },
	};
	char json[64];

	(void)state;
	for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++) {
		struct audio_buffer *b;
		write_wav(f[k].name, f[k].format, 48000, 1, 48000, 1000);
		snprintf(json, sizeof(json), "{\"file\":\"%s\"}", f[k].name);
		b = load_ok(json);
		assert_true(b->sample_rate == 48000);
		assert_true(b->length >= 47000 && b->length <= 50000);
		assert_float_equal(tone_amplitude(b->data[0], 4800, 38400), 0.5, f[k].tol);
		audio_buffer_unref(b);
	}
}

static void resample_converts_to_the_context_rate_keeping_frequency(void **state)
{
	struct audio_buffer *b;

	(void)state;
	write_wav("sine.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 44100, 1, 4410, 1000);
	b = load_ok("{\"file\":\"sine.wav\",\"resample\":true}");
	assert_true(b->sample_rate == CTX);
	assert_int_equal(b->length, 4800);	/* round(4410 * 48000 / 44100) */
	/* away from the edges (the sinc filter's support) it is the same 1 kHz sine */
	for (uint32_t i = 200; i < 4600; i++)
		assert_float_equal(b->data[0][i], 0.5 * sin(2 * M_PI * 1000 * i / CTX), 2e-3);
	audio_buffer_unref(b);
}

static void resample_at_the_context_rate_is_a_plain_load(void **state)
{
	struct audio_buffer *b;

	(void)state;
	write_wav("same.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 48000, 1, 100, 0);
	b = load_ok("{\"file\":\"same.wav\",\"resample\":true}");
	assert_int_equal(b->length, 100);
	assert_true(b->data[0][5] == 5.0f / 128.0f - 0.25f);
	audio_buffer_unref(b);
}

/* ---- errors ------------------------------------------------------------------------------ */

static void unknown_generator_suggests_the_nearest(void **state)
{
	(void)state;
	load_fails("{\"generate\":\"nois\",\"seed\":1,\"length\":4}", ERR_BAD_REQUEST,
		   "buffers.n.generate: unknown generator \"nois\", did you mean \"noise\"?");
}

static void unknown_field_is_an_error_with_a_suggestion(void **state)
{
	(void)state;
	load_fails("{\"generate\":\"noise\",\"sead\":1,\"length\":4}", ERR_BAD_REQUEST,
		   "buffers.n: unknown field \"sead\", did you mean \"seed\"?");
	/* fields of another generator are unknown too */
	load_fails("{\"generate\":\"dc\",\"frequency\":1,\"length\":4}", ERR_BAD_REQUEST,
		   "buffers.n: unknown field \"frequency\"");
	load_fails("{\"file\":\"x.wav\",\"resampel\":true}", ERR_BAD_REQUEST,
		   "buffers.n: unknown field \"resampel\", did you mean \"resample\"?");
}

static void wrong_types_name_the_field(void **state)
{
	(void)state;
	load_fails("{\"generate\":\"noise\",\"seed\":1,\"length\":\"4\"}", ERR_BAD_REQUEST,
		   "buffers.n.length: expected a number");
	load_fails("{\"generate\":\"noise\",\"seed\":1.5,\"length\":4}", ERR_BAD_REQUEST,
		   "buffers.n.seed: expected an integer");
	load_fails("{\"generate\":\"sine\",\"length\":4}", ERR_BAD_REQUEST,
		   "buffers.n.frequency: missing");
	load_fails("{\"file\":\"a.wav\",\"resample\":1}", ERR_BAD_REQUEST,
		   "buffers.n.resample: expected true or false");
	load_fails("{\"sampleRate\":8000,\"channels\":[[1,2],[3]]}", ERR_BAD_REQUEST,
		   "buffers.n.channels[1]: expected an array of 2 numbers");
	load_fails("{\"sampleRate\":8000,\"channels\":[[1,\"x\"]]}", ERR_BAD_REQUEST,
		   "buffers.n.channels[0][1]: expected a number");
	load_fails("[1]", ERR_BAD_REQUEST, "buffers.n: expected a buffer description");
	load_fails("{\"length\":3}", ERR_BAD_REQUEST, "buffers.n: expected one of the fields");
}

static void out_of_range_values_are_rejected(void **state)
{
	(void)state;
	load_fails("{\"generate\":\"dc\",\"length\":4,\"sampleRate\":100}", ERR_NOT_SUPPORTED,
		   "buffers.n: sampleRate 100");
	load_fails("{\"generate\":\"dc\",\"length\":4,\"numberOfChannels\":33}", ERR_NOT_SUPPORTED,
		   "buffers.n: numberOfChannels 33 is outside");
	load_fails("{\"generate\":\"dc\",\"length\":0}", ERR_NOT_SUPPORTED,
		   "buffers.n: length must be at least 1");
	load_fails("{\"generate\":\"dc\",\"length\":-1}", ERR_INVALID_VALUE,
		   "buffers.n.length: -1 is outside");
	load_fails("{\"generate\":\"impulse\",\"length\":4,\"at\":4}", ERR_INVALID_VALUE,
		   "buffers.n.at: 4 is outside");
	load_fails("{\"generate\":\"noise\",\"seed\":-1,\"length\":4}", ERR_INVALID_VALUE,
		   "buffers.n.seed: -1 is outside");
	load_fails("{\"sampleRate\":8000,\"channels\":[]}", ERR_NOT_SUPPORTED,
		   "buffers.n.channels: at least one channel");
}

static void missing_and_undecodable_files_are_io_errors_naming_the_file(void **state)
{
	char path[128];
	FILE *f;

	(void)state;
	load_fails("{\"file\":\"nope.wav\"}", ERR_IO, "buffers.n: nope.wav: ");
	snprintf(path, sizeof(path), "%s/junk.wav", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("this is not a sound file", f);
	fclose(f);
	load_fails("{\"file\":\"junk.wav\"}", ERR_IO, "buffers.n: junk.wav: ");
}

static int setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/test-buffer-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	static const char *const files[] = { "f.wav", "s.wav", "sine.wav", "same.wav",
					     "junk.wav" };
	char path[128];

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i]);
		unlink(path);
	}
	rmdir(tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buffer_limits_are_the_specs_create_buffer_limits),
		cmocka_unit_test(new_buffer_is_zeroed_with_aligned_separate_channels),
		cmocka_unit_test(references_keep_the_buffer_until_the_last_unref),
		cmocka_unit_test(noise_is_one_xorshift_stream_channel_after_channel),
		cmocka_unit_test(noise_first_value_for_seed_one),
		cmocka_unit_test(noise_decay_multiplies_by_the_power_of_the_remaining_fraction),
		cmocka_unit_test(impulse_puts_value_at_frame),
		cmocka_unit_test(dc_fills_every_sample),
		cmocka_unit_test(sine_follows_sin_2_pi_f_i_over_rate),
		cmocka_unit_test(inline_channels_are_copied),
		cmocka_unit_test(float_wav_keeps_its_rate_and_samples),
		cmocka_unit_test(pcm16_wav_is_scaled_by_32768),
		cmocka_unit_test(resample_converts_to_the_context_rate_keeping_frequency),
		cmocka_unit_test(flac_ogg_opus_and_mp3_decode_to_the_same_sine),
		cmocka_unit_test(resample_at_the_context_rate_is_a_plain_load),
		cmocka_unit_test(unknown_generator_suggests_the_nearest),
		cmocka_unit_test(unknown_field_is_an_error_with_a_suggestion),
		cmocka_unit_test(wrong_types_name_the_field),
		cmocka_unit_test(out_of_range_values_are_rejected),
		cmocka_unit_test(missing_and_undecodable_files_are_io_errors_naming_the_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
