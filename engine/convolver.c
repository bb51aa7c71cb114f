/* ConvolverNode: zero-latency partitioned FFT convolution with the spec's normalization and
 * mono/stereo/"true stereo" channel matrix.  init, attribute checks, releases, fini: control
 * thread (they plan FFTs and allocate).  process and applies: render thread, no allocation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>

#include "buffer.h"
#include "node.h"

/* the response is cut into levels of uniform partitions: level 0 has 128-frame partitions
 * (one quantum, no latency), each next level partitions GROWTH times longer.  a level with
 * block B starts at response offset 2B, so a block's transform, multiply-adds and inverse can
 * be spread over the B/128 quanta after the block completes instead of landing in one. */
#define MAX_LEVELS 3
#define GROWTH 8
#define PADF 16			/* floats: spectra strides are multiples of this (64 bytes) */

/* one path of the channel matrix: input channel ⊛ response channel -> output channel */
struct path {
	uint8_t in, ir, out;
};

/* the spec's diagrams.  a mono input is up-mixed (copied) to both delay lines, so "mono with
 * stereo response" is paths 0 and 1 of the stereo case and "mono with true stereo" sums
 * buffer[0]+buffer[2] to the left and buffer[1]+buffer[3] to the right, as drawn */
static const struct path paths_1[] = { { 0, 0, 0 }, { 1, 0, 1 } };
static const struct path paths_2[] = { { 0, 0, 0 }, { 1, 1, 1 } };
static const struct path paths_4[] = { { 0, 0, 0 }, { 0, 1, 1 }, { 1, 2, 0 }, { 1, 3, 1 } };

struct level {
	uint32_t block;		/* frames per partition and per input block (B) */
	uint32_t offset;	/* frames: response offset of the first partition */
	uint32_t parts;		/* partitions (P) */
	uint32_t steps;		/* quanta a block's work is spread over: B / 128 */
	uint32_t stride;	/* floats from a spectrum's real part to its imaginary part */
	fftwf_plan fwd, inv;	/* 2B real <-> B+1 split complex */
	float *h;		/* [ir ch][part][re, im][stride]: scaled response spectra */
	float *x;		/* [2][slot][re, im][stride]: frequency-domain delay line */
	float *y;		/* [2][re, im][stride]: accumulated output spectra */
	float *in;		/* [2][2B]: the previous block, then the one filling */
	float *out;		/* [2][parity][B]: results, double-buffered by block parity */
	float *tmp;		/* [2B]: inverse transform output */
};

/* everything one response needs, built on the control side and swapped in whole */
struct kernel {
	struct audio_buffer *buf;	/* one reference */
	uint32_t ir_channels;		/* 1, 2 or 4 */
	const struct path *paths;
	uint32_t n_paths;
	uint32_t n_levels;
	struct level lv[MAX_LEVELS];
	uint64_t frames;		/* processed since it was swapped in */
	uint64_t silent;		/* frames of silent input in a row */
	uint64_t ring;			/* after this much silence every buffer holds zeros */
	uint32_t in_channels;		/* of the last audible input: 1 or 2 */
	uint64_t wide;			/* frames the last stereo input still rings for */
};

struct convolver {
	struct node node;
	/* control model */
	bool normalize_model;
	struct audio_buffer *buffer_model;	/* alias of the kernel's buffer; no reference */
	/* render */
	struct kernel *k;
};

/* ---- control: normalization and kernel building ------------------------------------------ */

/* the spec's calculateNormalizationScale, in double precision like its JavaScript */
double convolver_normalization_scale(const struct audio_buffer *b);
double convolver_normalization_scale(const struct audio_buffer *b)
{
	const double calibration = 0.00125, calibration_rate = 44100, min_power = 0.000125;
	double power = 0, scale;
	uint32_t c, i;

	for (c = 0; c < b->channels; c++) {
		double cp = 0;
		for (i = 0; i < b->length; i++)
			cp += (double)b->data[c][i] * b->data[c][i];
		power += cp;
	}
	power = sqrt(power / ((double)b->channels * b->length));
	if (!isfinite(power) || power < min_power)
		power = min_power;
	scale = 1 / power * calibration;
	if (b->sample_rate)
		scale *= calibration_rate / b->sample_rate;
	if (b->channels == 4)
		scale *= 0.5;
	return scale;
}

static void level_free(struct level *l)
{
	if (l->fwd)
		fftwf_destroy_plan(l->fwd);
	if (l->inv)
		fftwf_destroy_plan(l->inv);
	fftwf_free(l->h);
	fftwf_free(l->x);
	fftwf_free(l->y);
	fftwf_free(l->in);
	fftwf_free(l->out);
	fftwf_free(l->tmp);
}

static void kernel_free(struct kernel *k)
{
	uint32_t i;

	if (k == NULL)
		return;
	for (i = 0; i < k->n_levels; i++)
		level_free(&k->lv[i]);
	audio_buffer_unref(k->buf);
	free(k);
}

static float *zalloc(size_t floats)
{
	float *p = fftwf_alloc_real(floats);

	if (p)
		memset(p, 0, floats * sizeof(float));
	return p;
}

static int level_plan(struct level *l)
{
	fftwf_iodim dim = { .n = (int)(2 * l->block), .is = 1, .os = 1 };

	/* FFTW_ESTIMATE leaves the arrays alone; execution uses the new-array interface on
	 * arrays with the same (fftwf_malloc) alignment */
	l->fwd = fftwf_plan_guru_split_dft_r2c(1, &dim, 0, NULL, l->in, l->x, l->x + l->stride,
					       FFTW_ESTIMATE);
	l->inv = fftwf_plan_guru_split_dft_c2r(1, &dim, 0, NULL, l->y, l->y + l->stride, l->tmp,
					       FFTW_ESTIMATE);
	return l->fwd && l->inv ? 0 : -1;
}

/* spectra of the response's partitions, times scale and FFTW's 1/(2B) */
static void level_spectra(struct level *l, const struct audio_buffer *b, uint32_t ir_channels,
			  float scale)
{
	const float s = scale / (float)(2 * l->block);
	uint32_t c, j, i;

	for (c = 0; c < ir_channels; c++) {
		for (j = 0; j < l->parts; j++) {
			uint64_t from = (uint64_t)l->offset + (uint64_t)j * l->block;
			float *h = l->h + ((size_t)c * l->parts + j) * 2 * l->stride;
			memset(l->tmp, 0, 2 * l->block * sizeof(float));
			for (i = 0; i < l->block && from + i < b->length; i++)
				l->tmp[i] = b->data[c][from + i] * s;
			fftwf_execute_split_dft_r2c(l->fwd, l->tmp, h, h + l->stride);
		}
	}
}

static int level_init(struct level *l, uint32_t block, uint32_t offset, uint32_t end,
		      const struct audio_buffer *b, uint32_t ir_channels, float scale)
{
	l->block = block;
	l->offset = offset;
	l->parts = (end - offset + block - 1) / block;
	l->steps = block / QUANTUM;
	l->stride = (block + 1 + PADF - 1) / PADF * PADF;
	l->h = zalloc((size_t)ir_channels * l->parts * 2 * l->stride);
	l->x = zalloc((size_t)2 * l->parts * 2 * l->stride);
	l->y = zalloc((size_t)2 * 2 * l->stride);
	l->in = zalloc((size_t)2 * 2 * block);
	l->out = zalloc((size_t)2 * 2 * block);
	l->tmp = zalloc((size_t)2 * block);
	if (!l->h || !l->x || !l->y || !l->in || !l->out || !l->tmp || level_plan(l) < 0)
		return -1;
	level_spectra(l, b, ir_channels, scale);
	return 0;
}

static struct kernel *kernel_new(struct audio_buffer *b, bool normalize, struct error *err)
{
	struct kernel *k = calloc(1, sizeof(*k));
	uint32_t block = QUANTUM, offset = 0, lv;
	float scale = normalize ? (float)convolver_normalization_scale(b) : 1.0f;

	if (k == NULL)
		goto oom;
	k->buf = audio_buffer_ref(b);
	k->ir_channels = b->channels;
	k->paths = b->channels == 1 ? paths_1 : b->channels == 2 ? paths_2 : paths_4;
	k->n_paths = b->channels == 4 ? 4 : 2;
	k->in_channels = 1;
	k->wide = 0;
	for (lv = 0; lv < MAX_LEVELS && offset < b->length; lv++) {
		uint32_t next = block * GROWTH;
		/* the next level starts at twice its block; the last takes all the rest */
		uint32_t end = lv + 1 < MAX_LEVELS && b->length > 2 * next ? 2 * next : b->length;
		k->n_levels = lv + 1;
		if (level_init(&k->lv[lv], block, offset, end, b, k->ir_channels, scale) < 0)
			goto oom;
		k->ring = (uint64_t)k->lv[lv].offset + (uint64_t)k->lv[lv].parts * block + 6 * block;
		offset = end;
		block = next;
	}
	return k;
oom:
	kernel_free(k);
	err_set(err, ERR_INTERNAL, "out of memory");
	return NULL;
}

/* ---- render ---------------------------------------------------------------------------- */

static void cmac(float *restrict yr, float *restrict yi, const float *restrict xr,
		 const float *restrict xi, const float *restrict hr, const float *restrict hi,
		 uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		yr[i] += xr[i] * hr[i] - xi[i] * hi[i];
		yi[i] += xr[i] * hi[i] + xi[i] * hr[i];
	}
}

/* y[out] += sum over partitions [p0, p1) of X[blk - j] H[j], for every path */
static void level_macs(const struct kernel *k, struct level *l, uint64_t blk, uint32_t p0,
		       uint32_t p1)
{
	const size_t spec = 2 * (size_t)l->stride;
	uint32_t p, j;

	for (p = 0; p < k->n_paths; p++) {
		const struct path *pa = &k->paths[p];
		float *y = l->y + pa->out * spec;
		for (j = p0; j < p1; j++) {
			uint32_t slot = (uint32_t)((blk + l->parts - j) % l->parts);
			const float *x = l->x + ((size_t)pa->in * l->parts + slot) * spec;
			const float *h = l->h + ((size_t)pa->ir * l->parts + j) * spec;
			cmac(y, y + l->stride, x, x + l->stride, h, h + l->stride, l->stride);
		}
	}
}

/* transforms the completed block into the delay line and clears the accumulators */
static void level_begin(struct level *l, uint64_t blk)
{
	const size_t spec = 2 * (size_t)l->stride;
	uint32_t slot = (uint32_t)(blk % l->parts), c;

	for (c = 0; c < 2; c++) {
		float *in = l->in + (size_t)c * 2 * l->block;
		float *x = l->x + ((size_t)c * l->parts + slot) * spec;
		fftwf_execute_split_dft_r2c(l->fwd, in, x, x + l->stride);
		memcpy(in, in + l->block, l->block * sizeof(float));
	}
	memset(l->y, 0, 2 * spec * sizeof(float));
}

/* inverse transforms; overlap-save keeps the last B frames of each */
static void level_finish(struct level *l, uint64_t blk, float *const dst[2])
{
	const size_t spec = 2 * (size_t)l->stride;
	uint32_t c;

	for (c = 0; c < 2; c++) {
		float *y = l->y + c * spec;
		float *d = dst ? dst[c] : l->out + ((size_t)c * 2 + (blk & 1)) * l->block;
		fftwf_execute_split_dft_c2r(l->inv, y, y + l->stride, l->tmp);
		memcpy(d, l->tmp + l->block, l->block * sizeof(float));
	}
}

/* one quantum's share of a level's work.  level 0 does it all and writes dst; deeper
 * levels: the quantum completing block k transforms it, the next B/128 - 1 quanta do the
 * multiply-adds in slices and the last of them the inverse, ahead of offset 2B */
static void level_step(const struct kernel *k, struct level *l, uint64_t t, float *const dst[2])
{
	uint32_t i = (uint32_t)(t % l->block) / QUANTUM;
	uint32_t step = (i + 1) % l->steps;
	uint64_t blk = t / l->block - (step == 0 || t < l->block ? 0 : 1);
	uint32_t slices = l->steps - 1;

	if (step != 0 && t < l->block)
		return;		/* no block has completed yet */
	if (step == 0)
		level_begin(l, blk);
	if (l->steps == 1) {
		level_macs(k, l, blk, 0, l->parts);
		level_finish(l, blk, dst);
		return;
	}
	if (step == 0)
		return;
	level_macs(k, l, blk, (uint32_t)((uint64_t)(step - 1) * l->parts / slices),
		   (uint32_t)((uint64_t)step * l->parts / slices));
	if (step == l->steps - 1)
		level_finish(l, blk, NULL);
}

/* a mono input fills both delay lines (the spec's diagrams), except that with a mono
 * response and "discrete" its up-mix to a stereo output (while a stereo input rings on)
 * leaves the right channel empty: its line gets zeros, which a mono output never reads */
static const float *line_source(const struct kernel *k, const struct bus *in, uint32_t c,
				enum interp interp)
{
	static const float zeros[QUANTUM];

	if (in->silent)
		return zeros;
	if (c < in->channels)
		return in->data[c];
	return k->ir_channels == 1 && interp == INTERP_DISCRETE ? zeros : in->data[0];
}

static void kernel_input(struct kernel *k, const struct bus *in, enum interp interp)
{
	uint32_t lv, c;

	for (lv = 0; lv < k->n_levels; lv++) {
		struct level *l = &k->lv[lv];
		uint32_t pos = l->block + (uint32_t)(k->frames % l->block);
		for (c = 0; c < 2; c++) {
			const float *s = line_source(k, in, c, interp);
			memcpy(l->in + (size_t)c * 2 * l->block + pos, s, QUANTUM * sizeof(float));
		}
	}
}

static void conv_process(struct node *n, const struct render_ctx *ctx)
{
	struct convolver *cv = (struct convolver *)n;
	struct kernel *k = cv->k;
	struct bus *out = &n->out[0];
	float *dst[2];
	uint32_t lv, c, i;

	(void)ctx;
	if (k == NULL) {
		bus_silence(out, 1);
		n->tail = false;
		return;
	}
	if (n->in[0].silent) {
		k->silent += QUANTUM;
	} else {
		k->silent = 0;
		k->in_channels = n->in[0].channels > 1 ? 2 : 1;
	}
	/* after a stereo input turns mono its convolution still differs between the two
	 * channels until it has rung out: the output stays stereo that long */
	if (!n->in[0].silent && k->in_channels == 2)
		k->wide = k->ring;
	else
		k->wide = k->wide > QUANTUM ? k->wide - QUANTUM : 0;
	if (k->silent >= k->ring) {
		/* every delay line, accumulator and result holds zeros: skipping keeps them so,
		 * and the block schedule depends only on k->frames */
		k->frames += QUANTUM;
		bus_silence(out, 1);	/* not actively processing: one silent channel */
		n->tail = false;
		return;
	}
	kernel_input(k, &n->in[0], n->cfg.interp);
	out->channels = 2;
	out->silent = false;
	dst[0] = out->data[0];
	dst[1] = out->data[1];
	level_step(k, &k->lv[0], k->frames, dst);
	for (lv = 1; lv < k->n_levels; lv++) {
		struct level *l = &k->lv[lv];
		uint32_t off = (uint32_t)(k->frames % l->block);
		level_step(k, l, k->frames, NULL);
		for (c = 0; c < 2; c++) {
			const float *restrict s = l->out + ((size_t)c * 2 +
						(k->frames / l->block & 1)) * l->block + off;
			float *restrict d = dst[c];
			for (i = 0; i < QUANTUM; i++)
				d[i] += s[i];
		}
	}
	/* only a mono input with a mono response gives a mono output */
	if (k->ir_channels == 1 && k->in_channels == 1 && k->wide == 0)
		out->channels = 1;
	k->frames += QUANTUM;
	n->tail = true;
}

/* ---- attributes (check: control; apply: render; release: control) ------------------------ */

static int buffer_check(struct node *n, const struct value *v, void **staged, struct error *err)
{
	struct convolver *cv = (struct convolver *)n;
	const struct audio_buffer *b;

	if (v->type == VALUE_NULL || (v->type == VALUE_BUFFER && v->buf == NULL)) {
		*staged = NULL;
		cv->buffer_model = NULL;
		return 0;
	}
	if (v->type != VALUE_BUFFER)
		return err_set(err, ERR_INVALID_VALUE, "buffer: expected a buffer or null, got %s",
			       value_type_name(v->type));
	b = v->buf;
	if (b->channels != 1 && b->channels != 2 && b->channels != 4)
		return err_set(err, ERR_NOT_SUPPORTED,
			       "buffer: a ConvolverNode takes 1, 2 or 4 channels, not %u", b->channels);
	if (b->sample_rate != n->sample_rate)
		return err_set(err, ERR_NOT_SUPPORTED,
			       "buffer: its sample rate %g is not the context's %g", b->sample_rate,
			       n->sample_rate);
	*staged = kernel_new(v->buf, cv->normalize_model, err);
	if (*staged == NULL)
		return -1;
	cv->buffer_model = v->buf;
	return 0;
}

static void buffer_apply(struct node *n, const struct value *v, void **staged)
{
	struct convolver *cv = (struct convolver *)n;
	struct kernel *old = cv->k;

	(void)v;
	cv->k = *staged;
	*staged = old;
}

static void buffer_release(struct node *n, void *staged)
{
	(void)n;
	kernel_free(staged);
}

static void buffer_get(const struct node *n, struct value *v)
{
	const struct convolver *cv = (const struct convolver *)n;

	v->type = cv->buffer_model ? VALUE_BUFFER : VALUE_NULL;
	v->buf = cv->buffer_model;
}

/* normalize only matters when a buffer is set later: it lives in the model alone */
static int normalize_check(struct node *n, const struct value *v, void **staged,
			   struct error *err)
{
	struct convolver *cv = (struct convolver *)n;
	struct option o = { "normalize", *v };

	*staged = NULL;
	return option_bool(&o, &cv->normalize_model, err);
}

static void normalize_apply(struct node *n, const struct value *v, void **staged)
{
	(void)n;
	(void)v;
	*staged = NULL;
}

static void normalize_get(const struct node *n, struct value *v)
{
	v->type = VALUE_BOOL;
	v->b = ((const struct convolver *)n)->normalize_model;
}

/* ---- lifecycle (control) ----------------------------------------------------------------- */

static int conv_init(struct node *n, const struct option *opts, size_t n_opts,
		     struct error *err)
{
	static const char *const valid[] = { "buffer", "disableNormalization", NULL };
	struct convolver *cv = (struct convolver *)n;
	const struct option *buffer = NULL;
	size_t i;

	cv->normalize_model = true;
	/* the constructor sets normalize before the buffer, whatever the options' order */
	for (i = 0; i < n_opts; i++) {
		bool disable;
		if (strcmp(opts[i].name, "buffer") == 0) {
			buffer = &opts[i];
		} else if (strcmp(opts[i].name, "disableNormalization") == 0) {
			if (option_bool(&opts[i], &disable, err) < 0)
				return -1;
			cv->normalize_model = !disable;
		} else {
			return node_bad_option(n, opts[i].name, valid, err);
		}
	}
	if (buffer) {
		void *staged = NULL;
		if (buffer_check(n, &buffer->value, &staged, err) < 0)
			return -1;
		cv->k = staged;
	}
	return 0;
}

/* the spec's channelCount and channelCountMode constraints: the input is mono or stereo */
static int conv_check_channels(struct node *n, uint32_t count, enum count_mode mode,
			       enum interp interp, struct error *err)
{
	(void)n;
	(void)interp;
	if (count > 2)
		return err_set(err, ERR_NOT_SUPPORTED,
			       "channelCount: a ConvolverNode takes at most 2, not %u", count);
	if (mode == COUNT_MAX)
		return err_set(err, ERR_NOT_SUPPORTED,
			       "channelCountMode: a ConvolverNode's cannot be \"max\"");
	return 0;
}

static void conv_fini(struct node *n)
{
	struct convolver *cv = (struct convolver *)n;

	kernel_free(cv->k);
	cv->k = NULL;
	cv->buffer_model = NULL;
}

static const struct attr_desc conv_attrs[] = {
	{ "buffer", buffer_check, buffer_apply, buffer_release, buffer_get, NULL, NULL },
	{ "normalize", normalize_check, normalize_apply, NULL, normalize_get, NULL, NULL },
};

const struct node_kind convolver_kind = {
	.name = "ConvolverNode",
	.size = sizeof(struct convolver),
	.inputs = 1,
	.outputs = 1,
	.channel_count = 2,
	.count_mode = COUNT_CLAMPED_MAX,
	.interp = INTERP_SPEAKERS,
	.attrs = conv_attrs,
	.n_attrs = 2,
	.init = conv_init,
	.check_channels = conv_check_channels,
	.process = conv_process,
	.fini = conv_fini,
};
