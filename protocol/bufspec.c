/* BUFSPEC decoding: inline samples, sound files by path or by a descriptor the caller owns
 * (libsndfile, libsamplerate) and the generated signals of PROTOCOL.md §13.  control thread
 * or a decoding worker: does file I/O. */
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <samplerate.h>
#include <sndfile.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bufspec.h"

/* no buffer above this many samples (4 GiB of floats): protects the daemon from a typo */
#define BUFSPEC_MAX_SAMPLES (UINT64_C(1) << 30)
/* frames decoded per read when de-interleaving a file */
#define READ_CHUNK 4096

enum gen_kind { GEN_NOISE, GEN_IMPULSE, GEN_DC, GEN_SINE, GEN_COUNT };

static const char *const gen_names[GEN_COUNT] = { "noise", "impulse", "dc", "sine" };

/* fields each generator accepts, besides the common ones */
static const char *const gen_common[] = { "generate", "length", "numberOfChannels", "sampleRate" };
static const char *const gen_noise[] = { "seed", "decayPow" };
static const char *const gen_impulse[] = { "at", "value" };
static const char *const gen_dc[] = { "value" };
static const char *const gen_sine[] = { "frequency" };

static const char *const inline_fields[] = { "sampleRate", "channels" };
static const char *const file_fields[] = { "file", "resample" };
static const char *const fd_fields[] = { "fd", "resample" };

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const char *safe_path(const char *path)
{
	return path != NULL ? path : "";
}

/* "path.key", or just "key" at the top */
static const char *dot(const char *path)
{
	return (path != NULL && path[0] != '\0') ? "." : "";
}

static bool in_list(const char *name, const char *const *list, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(name, list[i]) == 0)
			return true;
	return false;
}

/* rejects any key of obj found in neither list, suggesting the nearest valid one */
static int check_fields(struct json_object *obj, const char *const *a, int na,
			const char *const *b, int nb, const char *path, struct error *err)
{
	const char *all[16];
	int n = 0;

	for (int i = 0; i < na && n < COUNT(all); i++)
		all[n++] = a[i];
	for (int i = 0; i < nb && n < COUNT(all); i++)
		all[n++] = b[i];
	json_object_object_foreach(obj, key, val) {
		const char *near;

		(void)val;
		if (in_list(key, all, n))
			continue;
		near = err_suggest(key, all, n);
		if (near != NULL)
			return err_set(err, ERR_BAD_REQUEST,
				       "%s: unknown field \"%s\", did you mean \"%s\"?",
				       safe_path(path), key, near);
		return err_set(err, ERR_BAD_REQUEST, "%s: unknown field \"%s\"", safe_path(path),
			       key);
	}
	return 0;
}

static bool is_number(struct json_object *o)
{
	return json_object_is_type(o, json_type_int) || json_object_is_type(o, json_type_double);
}

/* optional number field: *out keeps its default when the key is absent */
static int get_number(struct json_object *obj, const char *key, bool required, double *out,
		      const char *path, struct error *err)
{
	struct json_object *o;

	if (!json_object_object_get_ex(obj, key, &o)) {
		if (required)
			return err_set(err, ERR_BAD_REQUEST, "%s%s%s: missing (a number is required)",
				       safe_path(path), dot(path), key);
		return 0;
	}
	if (!is_number(o))
		return err_set(err, ERR_BAD_REQUEST, "%s%s%s: expected a number", safe_path(path),
			       dot(path), key);
	*out = json_object_get_double(o);
	if (!isfinite(*out))
		return err_set(err, ERR_INVALID_VALUE, "%s%s%s: must be finite", safe_path(path),
			       dot(path), key);
	return 0;
}

/* optional integer field in [lo, hi] */
static int get_integer(struct json_object *obj, const char *key, bool required, double lo,
		       double hi, double *out, const char *path, struct error *err)
{
	double v = *out;

	if (get_number(obj, key, required, &v, path, err) < 0)
		return -1;
	if (!json_object_object_get_ex(obj, key, NULL))
		return 0;	/* the default stands */
	if (v != floor(v))
		return err_set(err, ERR_BAD_REQUEST, "%s%s%s: expected an integer, got %g",
			       safe_path(path), dot(path), key, v);
	if (v < lo || v > hi)
		return err_set(err, ERR_INVALID_VALUE, "%s%s%s: %.17g is outside [%.17g, %.17g]",
			       safe_path(path), dot(path), key, v, lo, hi);
	*out = v;
	return 0;
}

/* before anything is allocated: the built-in cap, and the caller's byte budget (a
 * session's buffer memory left) */
static int check_size(double channels, double length, uint64_t max_bytes, const char *path,
		      struct error *err)
{
	double bytes = channels * length * (double)sizeof(float);

	if (channels * length > (double)BUFSPEC_MAX_SAMPLES)
		return err_set(err, ERR_LIMIT, "%s: %.0f channels of %.0f frames is too large",
			       safe_path(path), channels, length);
	if (bytes > (double)max_bytes)
		return err_set(err, ERR_LIMIT, "%s: %.0f channels of %.0f frames need %.0f bytes, "
			       "more than the %llu left for buffers", safe_path(path),
			       channels, length, bytes, (unsigned long long)max_bytes);
	return 0;
}

/* ---- inline samples ---------------------------------------------------------------------- */

static struct audio_buffer *load_inline(struct json_object *spec, double context_rate,
					uint64_t max_bytes, const char *path, struct error *err)
{
	struct json_object *chans, *ch;
	struct audio_buffer *b;
	double rate = context_rate;
	size_t nch, len;

	if (check_fields(spec, inline_fields, COUNT(inline_fields), NULL, 0, path, err) < 0)
		return NULL;
	if (get_number(spec, "sampleRate", false, &rate, path, err) < 0)
		return NULL;
	if (!json_object_object_get_ex(spec, "channels", &chans) ||
	    !json_object_is_type(chans, json_type_array)) {
		err_set(err, ERR_BAD_REQUEST, "%s%schannels: expected an array of channel arrays",
			safe_path(path), dot(path));
		return NULL;
	}
	nch = json_object_array_length(chans);
	if (nch == 0) {
		err_set(err, ERR_NOT_SUPPORTED, "%s%schannels: at least one channel is required",
			safe_path(path), dot(path));
		return NULL;
	}
	ch = json_object_array_get_idx(chans, 0);
	if (!json_object_is_type(ch, json_type_array)) {
		err_set(err, ERR_BAD_REQUEST, "%s%schannels[0]: expected an array of numbers",
			safe_path(path), dot(path));
		return NULL;
	}
	len = json_object_array_length(ch);
	if (nch > UINT32_MAX || len > UINT32_MAX) {
		err_set(err, ERR_LIMIT, "%s: buffer too large", safe_path(path));
		return NULL;
	}
	if (check_size((double)nch, (double)len, max_bytes, path, err) < 0)
		return NULL;
	b = audio_buffer_new((uint32_t)nch, (uint32_t)len, rate, err);
	if (b == NULL) {
		err_prefix(err, "%s", safe_path(path));
		return NULL;
	}
	for (size_t c = 0; c < nch; c++) {
		ch = json_object_array_get_idx(chans, c);
		if (!json_object_is_type(ch, json_type_array) ||
		    json_object_array_length(ch) != len) {
			err_set(err, ERR_BAD_REQUEST,
				"%s%schannels[%zu]: expected an array of %zu numbers (as channel 0)",
				safe_path(path), dot(path), c, len);
			goto fail;
		}
		for (size_t i = 0; i < len; i++) {
			struct json_object *v = json_object_array_get_idx(ch, i);
			if (!is_number(v)) {
				err_set(err, ERR_BAD_REQUEST, "%s%schannels[%zu][%zu]: expected a number",
					safe_path(path), dot(path), c, i);
				goto fail;
			}
			b->data[c][i] = (float)json_object_get_double(v);
		}
	}
	return b;
fail:
	audio_buffer_unref(b);
	return NULL;
}

/* ---- files ------------------------------------------------------------------------------- */

/* interleaved -> planar, one chunk at a time so a long file needs no second full copy */
static int read_planar(SNDFILE *sf, struct audio_buffer *b, const char *file, const char *path,
		       struct error *err)
{
	uint32_t ch = b->channels, done = 0;
	float *tmp = malloc((size_t)READ_CHUNK * ch * sizeof(float));

	if (tmp == NULL)
		return err_set(err, ERR_LIMIT, "%s: out of memory reading %s", safe_path(path), file);
	while (done < b->length) {
		sf_count_t want = b->length - done < READ_CHUNK ? b->length - done : READ_CHUNK;
		sf_count_t got = sf_readf_float(sf, tmp, want);
		if (got <= 0)
			break;
		for (uint32_t c = 0; c < ch; c++) {
			float *dst = b->data[c] + done;
			for (sf_count_t i = 0; i < got; i++)
				dst[i] = tmp[(size_t)i * ch + c];
		}
		done += (uint32_t)got;
	}
	free(tmp);
	if (done == 0)
		return err_set(err, ERR_IO, "%s: %s: no audio could be decoded (%s)",
			       safe_path(path), file, sf_strerror(sf));
	/* a truncated file keeps what was decoded; the rest of the allocation is unused */
	b->length = done;
	return 0;
}

/* converts every channel of src to `rate` with the best sinc converter */
static struct audio_buffer *resample(struct audio_buffer *src, double rate, uint64_t max_bytes,
				     const char *file, const char *path, struct error *err)
{
	double ratio = rate / src->sample_rate;
	double frames = round((double)src->length * ratio);
	struct audio_buffer *dst;

	if (!src_is_valid_ratio(ratio)) {
		err_set(err, ERR_NOT_SUPPORTED, "%s: %s: cannot resample from %g Hz to %g Hz",
			safe_path(path), file, src->sample_rate, rate);
		return NULL;
	}
	if (frames < 1)
		frames = 1;
	if (check_size(src->channels, frames, max_bytes, path, err) < 0)
		return NULL;
	dst = audio_buffer_new(src->channels, (uint32_t)frames, rate, err);
	if (dst == NULL) {
		err_prefix(err, "%s", safe_path(path));
		return NULL;
	}
	for (uint32_t c = 0; c < src->channels; c++) {
		SRC_DATA d = {
			.data_in = src->data[c],
			.data_out = dst->data[c],
			.input_frames = src->length,
			.output_frames = dst->length,
			.end_of_input = 1,
			.src_ratio = ratio,
		};
		int e = src_simple(&d, SRC_SINC_BEST_QUALITY, 1);
		if (e != 0) {
			err_set(err, ERR_IO, "%s: %s: resampling failed: %s", safe_path(path), file,
				src_strerror(e));
			audio_buffer_unref(dst);
			return NULL;
		}
	}
	return dst;
}

/* what sf_open or sf_open_fd made of a file (sf closed here, whatever happens).  `file`
 * names it in messages: a path, or "fd K" */
static struct audio_buffer *decode_sf(SNDFILE *sf, const SF_INFO *info, const char *file,
				      uint64_t max_bytes, const char *path, struct error *err)
{
	struct audio_buffer *b = NULL;

	if (info->frames <= 0 || info->channels <= 0) {
		err_set(err, ERR_IO, "%s: %s: the file holds no audio", safe_path(path), file);
		goto out;
	}
	/* from the header, before anything is allocated or decoded */
	if (check_size(info->channels, (double)info->frames, max_bytes, path, err) < 0)
		goto out;
	b = audio_buffer_new((uint32_t)info->channels, (uint32_t)info->frames, info->samplerate,
			     err);
	if (b == NULL) {
		err_prefix(err, "%s: %s", safe_path(path), file);
		goto out;
	}
	if (read_planar(sf, b, file, path, err) < 0) {
		audio_buffer_unref(b);
		b = NULL;
	}
out:
	sf_close(sf);
	return b;
}

static struct audio_buffer *open_file(const char *full, const char *file, uint64_t max_bytes,
				      const char *path, struct error *err)
{
	SF_INFO info = { 0 };
	SNDFILE *sf = sf_open(full, SFM_READ, &info);

	if (sf == NULL) {
		err_set(err, ERR_IO, "%s: %s: %s", safe_path(path), file, sf_strerror(NULL));
		return NULL;
	}
	return decode_sf(sf, &info, file, max_bytes, path, err);
}

/* optional "resample": true or false */
static int get_resample(struct json_object *spec, bool *out, const char *path, struct error *err)
{
	struct json_object *r;

	if (!json_object_object_get_ex(spec, "resample", &r))
		return 0;
	if (!json_object_is_type(r, json_type_boolean))
		return err_set(err, ERR_BAD_REQUEST, "%s%sresample: expected true or false",
			       safe_path(path), dot(path));
	*out = json_object_get_boolean(r);
	return 0;
}

/* the decoded file as asked: at its own rate, or converted to the context's */
static struct audio_buffer *rate_as_asked(struct audio_buffer *b, bool want_resample,
					  double context_rate, uint64_t max_bytes,
					  const char *file, const char *path, struct error *err)
{
	struct audio_buffer *conv;

	if (b == NULL || !want_resample || b->sample_rate == context_rate)
		return b;
	conv = resample(b, context_rate, max_bytes, file, path, err);
	audio_buffer_unref(b);
	return conv;
}

static struct audio_buffer *load_file(struct json_object *spec, const char *base_dir,
				      double context_rate, uint64_t max_bytes, const char *path,
				      struct error *err)
{
	struct json_object *f;
	struct audio_buffer *b;
	const char *file;
	bool want_resample = false;
	char *full;

	if (check_fields(spec, file_fields, COUNT(file_fields), NULL, 0, path, err) < 0)
		return NULL;
	json_object_object_get_ex(spec, "file", &f);
	if (!json_object_is_type(f, json_type_string) || json_object_get_string_len(f) == 0) {
		err_set(err, ERR_BAD_REQUEST, "%s%sfile: expected a file name", safe_path(path),
			dot(path));
		return NULL;
	}
	if (get_resample(spec, &want_resample, path, err) < 0)
		return NULL;
	file = json_object_get_string(f);
	if (file[0] == '/' || base_dir == NULL || base_dir[0] == '\0') {
		full = strdup(file);
	} else {
		size_t n = strlen(base_dir) + strlen(file) + 2;
		full = malloc(n);
		if (full != NULL)
			snprintf(full, n, "%s/%s", base_dir, file);
	}
	if (full == NULL) {
		err_set(err, ERR_LIMIT, "%s: out of memory", safe_path(path));
		return NULL;
	}
	b = open_file(full, file, max_bytes, path, err);
	free(full);
	return rate_as_asked(b, want_resample, context_rate, max_bytes, file, path, err);
}

/* ---- descriptors ------------------------------------------------------------------------- */

static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a pipe";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	return "something else";
}

int bufspec_fd_index(struct json_object *spec, const char *path, uint32_t *index,
		     struct error *err)
{
	struct json_object *k;
	int64_t v;

	/* the kinds are told apart in bufspec_load's order: "generate", "file", "fd" */
	if (!json_object_is_type(spec, json_type_object) ||
	    json_object_object_get_ex(spec, "generate", NULL) ||
	    json_object_object_get_ex(spec, "file", NULL) ||
	    !json_object_object_get_ex(spec, "fd", &k))
		return 0;
	if (path == NULL || path[0] == '\0')
		path = "buffer";
	if (json_object_is_type(k, json_type_null))
		return err_set(err, ERR_BAD_REQUEST, "%s.fd: this buffer was read from a descriptor "
			       "and the daemon kept no copy of it: give its file again", path);
	if (!json_object_is_type(k, json_type_int))
		return err_set(err, ERR_BAD_REQUEST, "%s.fd: expected the index (0, 1, ...) of a "
			       "descriptor sent with the request", path);
	v = json_object_get_int64(k);
	if (v < 0 || v > UINT32_MAX - 1)
		return err_set(err, ERR_BAD_REQUEST, "%s.fd: %lld is not a descriptor index (0, 1, "
			       "...)", path, (long long)v);
	*index = (uint32_t)v;
	return 1;
}

/* {"fd": K}: fds[K], taken (the entry becomes -1) and closed once read.  sf_open_fd gets
 * it with close_desc, so libsndfile closes it on its own failures too.  regular files
 * only: a pipe or a socket could hold the decoding worker for as long as its writer likes */
static struct audio_buffer *load_fd(struct json_object *spec, int *fds, size_t n_fds,
				    double context_rate, uint64_t max_bytes, const char *path,
				    struct error *err)
{
	SF_INFO info = { 0 };
	struct audio_buffer *b;
	bool want_resample = false;
	char file[32];
	struct stat st;
	uint32_t k = 0;
	SNDFILE *sf;
	int fd, bad;

	if (check_fields(spec, fd_fields, COUNT(fd_fields), NULL, 0, path, err) < 0 ||
	    bufspec_fd_index(spec, path, &k, err) < 0 ||
	    get_resample(spec, &want_resample, path, err) < 0)
		return NULL;
	if (fds == NULL) {
		err_set(err, ERR_BAD_REQUEST, "%s%sfd: descriptors come only with a request to the "
			"daemon; here give {\"file\": PATH}", safe_path(path), dot(path));
		return NULL;
	}
	if (k >= n_fds) {
		err_set(err, ERR_BAD_REQUEST, "%s: fd %u: only %zu descriptor%s came with the request",
			safe_path(path), k, n_fds, n_fds == 1 ? "" : "s");
		return NULL;
	}
	if (fds[k] < 0) {
		err_set(err, ERR_BAD_REQUEST, "%s: fd %u: already read for another buffer (each "
			"descriptor serves one)", safe_path(path), k);
		return NULL;
	}
	fd = fds[k];
	fds[k] = -1;
	snprintf(file, sizeof(file), "fd %u", k);
	bad = fstat(fd, &st) < 0 ? errno : 0;
	if (bad != 0 || !S_ISREG(st.st_mode)) {
		if (bad != 0)
			err_set(err, ERR_IO, "%s: %s: %s", safe_path(path), file, strerror(bad));
		else
			err_set(err, ERR_IO, "%s: %s: %s, not a regular file", safe_path(path),
				file, file_kind(st.st_mode));
		close(fd);
		return NULL;
	}
	sf = sf_open_fd(fd, SFM_READ, &info, SF_TRUE);
	if (sf == NULL) {
		err_set(err, ERR_IO, "%s: %s: %s", safe_path(path), file, sf_strerror(NULL));
		return NULL;
	}
	b = decode_sf(sf, &info, file, max_bytes, path, err);
	return rate_as_asked(b, want_resample, context_rate, max_bytes, file, path, err);
}

/* ---- generated signals ------------------------------------------------------------------- */

struct gen_args {
	double seed, decay_pow, at, value, frequency;
	bool has_decay;
};

/* xorshift32 from PROTOCOL.md §6: one stream, channel after channel */
static void fill_noise(struct audio_buffer *b, const struct gen_args *g)
{
	uint32_t x = (uint32_t)g->seed;
	double n = b->length;

	for (uint32_t c = 0; c < b->channels; c++) {
		for (uint32_t i = 0; i < b->length; i++) {
			double v;
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			v = x / 4294967296.0 * 2 - 1;
			if (g->has_decay)
				v *= pow(1 - i / n, g->decay_pow);
			b->data[c][i] = (float)v;
		}
	}
}

static void fill(struct audio_buffer *b, enum gen_kind kind, const struct gen_args *g)
{
	switch (kind) {
	case GEN_NOISE:
		fill_noise(b, g);
		break;
	case GEN_IMPULSE:
		for (uint32_t c = 0; c < b->channels; c++)
			b->data[c][(uint32_t)g->at] = (float)g->value;
		break;
	case GEN_DC:
		for (uint32_t c = 0; c < b->channels; c++)
			for (uint32_t i = 0; i < b->length; i++)
				b->data[c][i] = (float)g->value;
		break;
	case GEN_SINE:
		for (uint32_t i = 0; i < b->length; i++)
			b->data[0][i] = (float)sin(2 * M_PI * g->frequency * i / b->sample_rate);
		for (uint32_t c = 1; c < b->channels; c++)
			memcpy(b->data[c], b->data[0], b->length * sizeof(float));
		break;
	case GEN_COUNT:
		break;
	}
}

static int gen_kind_of(struct json_object *spec, enum gen_kind *kind, const char *path,
		       struct error *err)
{
	struct json_object *g;
	const char *name, *near;

	json_object_object_get_ex(spec, "generate", &g);
	if (!json_object_is_type(g, json_type_string))
		return err_set(err, ERR_BAD_REQUEST,
			       "%s%sgenerate: expected one of \"noise\", \"impulse\", \"dc\", \"sine\"",
			       safe_path(path), dot(path));
	name = json_object_get_string(g);
	for (int k = 0; k < GEN_COUNT; k++) {
		if (strcmp(name, gen_names[k]) == 0) {
			*kind = (enum gen_kind)k;
			return 0;
		}
	}
	near = err_suggest(name, gen_names, GEN_COUNT);
	if (near != NULL)
		return err_set(err, ERR_BAD_REQUEST,
			       "%s%sgenerate: unknown generator \"%s\", did you mean \"%s\"?",
			       safe_path(path), dot(path), name, near);
	return err_set(err, ERR_BAD_REQUEST,
		       "%s%sgenerate: unknown generator \"%s\" (noise, impulse, dc or sine)",
		       safe_path(path), dot(path), name);
}

/* the kind's own fields into g.  seed and frequency are required; value defaults to 1 and
 * at to frame 0 */
static int gen_fields(struct json_object *spec, enum gen_kind kind, double length,
		      struct gen_args *g, const char *path, struct error *err)
{
	static const char *const *const own[GEN_COUNT] = { gen_noise, gen_impulse, gen_dc,
							   gen_sine };
	static const int n_own[GEN_COUNT] = { COUNT(gen_noise), COUNT(gen_impulse), COUNT(gen_dc),
					      COUNT(gen_sine) };

	if (check_fields(spec, gen_common, COUNT(gen_common), own[kind], n_own[kind], path,
			 err) < 0)
		return -1;
	switch (kind) {
	case GEN_NOISE:
		g->has_decay = json_object_object_get_ex(spec, "decayPow", NULL);
		if (get_integer(spec, "seed", true, 0, 4294967295.0, &g->seed, path, err) < 0 ||
		    get_number(spec, "decayPow", false, &g->decay_pow, path, err) < 0)
			return -1;
		return 0;
	case GEN_IMPULSE:
		return get_integer(spec, "at", false, 0, length - 1, &g->at, path, err) < 0 ||
		       get_number(spec, "value", false, &g->value, path, err) < 0 ? -1 : 0;
	case GEN_DC:
		return get_number(spec, "value", false, &g->value, path, err);
	case GEN_SINE:
		return get_number(spec, "frequency", true, &g->frequency, path, err);
	case GEN_COUNT:
		break;
	}
	return 0;
}

static struct audio_buffer *load_generated(struct json_object *spec, double context_rate,
					   uint64_t max_bytes, const char *path, struct error *err)
{
	struct gen_args g = { .value = 1.0 };
	double length = 0, channels = 1, rate = context_rate;
	enum gen_kind kind = GEN_NOISE;
	struct audio_buffer *b;

	if (gen_kind_of(spec, &kind, path, err) < 0)
		return NULL;
	/* 0 frames or channels pass through to audio_buffer_new: NotSupportedError, as in
	 * createBuffer */
	if (get_integer(spec, "length", true, 0, 4294967295.0, &length, path, err) < 0 ||
	    get_integer(spec, "numberOfChannels", false, 0, 4294967295.0, &channels, path,
			err) < 0 ||
	    get_number(spec, "sampleRate", false, &rate, path, err) < 0)
		return NULL;
	if (gen_fields(spec, kind, length, &g, path, err) < 0)
		return NULL;
	if (channels <= 32 && check_size(channels, length, max_bytes, path, err) < 0)
		return NULL;
	b = audio_buffer_new((uint32_t)channels, (uint32_t)length, rate, err);
	if (b == NULL) {
		err_prefix(err, "%s", safe_path(path));
		return NULL;
	}
	fill(b, kind, &g);
	return b;
}

struct audio_buffer *bufspec_load(struct json_object *spec, const char *base_dir,
				  double context_rate, const char *path, struct error *err)
{
	return bufspec_load_fds(spec, base_dir, context_rate, UINT64_MAX, NULL, 0, path, err);
}

struct audio_buffer *bufspec_load_max(struct json_object *spec, const char *base_dir,
				      double context_rate, uint64_t max_bytes, const char *path,
				      struct error *err)
{
	return bufspec_load_fds(spec, base_dir, context_rate, max_bytes, NULL, 0, path, err);
}

struct audio_buffer *bufspec_load_fds(struct json_object *spec, const char *base_dir,
				      double context_rate, uint64_t max_bytes, int *fds,
				      size_t n_fds, const char *path, struct error *err)
{
	if (path == NULL || path[0] == '\0')
		path = "buffer";	/* messages always name something */
	if (!json_object_is_type(spec, json_type_object)) {
		err_set(err, ERR_BAD_REQUEST,
			"%s: expected a buffer description ({\"file\":...}, {\"generate\":...} or "
			"{\"sampleRate\":...,\"channels\":[...]})", safe_path(path));
		return NULL;
	}
	if (json_object_object_get_ex(spec, "generate", NULL))
		return load_generated(spec, context_rate, max_bytes, path, err);
	if (json_object_object_get_ex(spec, "file", NULL))
		return load_file(spec, base_dir, context_rate, max_bytes, path, err);
	if (json_object_object_get_ex(spec, "fd", NULL))
		return load_fd(spec, fds, n_fds, context_rate, max_bytes, path, err);
	if (json_object_object_get_ex(spec, "channels", NULL))
		return load_inline(spec, context_rate, max_bytes, path, err);
	err_set(err, ERR_BAD_REQUEST,
		"%s: expected one of the fields \"file\", \"fd\", \"generate\" or \"channels\"",
		safe_path(path));
	return NULL;
}
