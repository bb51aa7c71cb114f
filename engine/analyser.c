/* AnalyserNode: passes its input through and keeps the last frames of it, down-mixed to
 * mono, in a ring the control side reads without locks.  process: render thread (writes the
 * ring only).  init, attributes and every analyser_get_*: control thread (FFT plans, the
 * spec's windowing, smoothing and dB conversion). */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>

#include "analyser.h"
#include "node.h"

#define MAX_FFT 32768
/* the ring holds twice the longest window so a reader copying 32768 frames has 32768 frames
 * (256 quanta) of slack before the writer comes round to what it is copying */
#define RING (2 * MAX_FFT)
#define READ_TRIES 4

struct analyser {
	struct node node;
	/* render writes, control reads.  samples are relaxed atomics so the concurrent
	 * access is defined (plain moves on the usual targets) */
	_Atomic float *ring;		/* RING mono frames */
	_Atomic uint64_t written;	/* frames written: release after the samples */
	struct bus mono;		/* render scratch: the input down-mixed */

	/* control model and analysis state */
	uint32_t fft_size;
	double min_db, max_db, smoothing;
	float *frame;			/* [MAX_FFT] time data, then windowed in place */
	fftwf_complex *spec;		/* [MAX_FFT/2 + 1] */
	float *smooth;			/* [MAX_FFT/2] the previous block, X^_{-1} */
	float *db;			/* [MAX_FFT/2] the current frequency data, Y */
	fftwf_plan plan;		/* fft_size points, frame -> spec */
	bool freq_valid;		/* db holds the data for freq_at */
	uint64_t freq_at;		/* `written` when db was computed: one per quantum */
};

extern const struct node_kind analyser_kind;

static struct analyser *analyser_of(struct node *n)
{
	return n && n->kind == &analyser_kind ? (struct analyser *)n : NULL;
}

/* ---- render ---------------------------------------------------------------------------- */

static void ring_write(struct analyser *a, const float *s)
{
	uint64_t w = atomic_load_explicit(&a->written, memory_order_relaxed);
	uint32_t at = (uint32_t)(w % RING), i;

	/* pairs with the reader's acquire fence: a reader that sees any of these samples
	 * also sees `written` >= w, so its lap check is conservative */
	atomic_thread_fence(memory_order_release);
	for (i = 0; i < QUANTUM; i++)
		atomic_store_explicit(&a->ring[at + i], s ? s[i] : 0.0f, memory_order_relaxed);
	atomic_store_explicit(&a->written, w + QUANTUM, memory_order_release);
}

static void analyser_process(struct node *n, const struct render_ctx *ctx)
{
	struct analyser *a = (struct analyser *)n;
	const struct bus *in = &n->in[0];
	struct bus *out = &n->out[0];

	(void)ctx;
	if (in->silent) {
		bus_silence(out, in->channels);
		ring_write(a, NULL);
		return;
	}
	out->channels = in->channels;
	bus_copy_mix(out, in, INTERP_DISCRETE);
	/* the spec's time-domain down-mix: as channelCount 1, "max", "speakers" */
	a->mono.channels = 1;
	bus_copy_mix(&a->mono, in, INTERP_SPEAKERS);
	ring_write(a, a->mono.data[0]);
}

/* ---- control: readings ------------------------------------------------------------------- */

/* copies the most recent n frames into dst; returns the `written` they end at.  a copy the
 * writer may have lapped is retried; after READ_TRIES (a control thread stalled for 256
 * quanta, every time) the torn copy is accepted: it is audio, not memory safety. */
static uint64_t ring_read(struct analyser *a, float *dst, uint32_t n)
{
	uint64_t w, now;
	int tries = 0;
	uint32_t i;

	do {
		w = atomic_load_explicit(&a->written, memory_order_acquire);
		for (i = 0; i < n; i++) {
			uint64_t f = w + i - n;	/* before the start: silence */
			dst[i] = w + i < n ? 0.0f :
				 atomic_load_explicit(&a->ring[f % RING], memory_order_relaxed);
		}
		atomic_thread_fence(memory_order_acquire);
		now = atomic_load_explicit(&a->written, memory_order_relaxed);
		/* the writer may be storing frames up to now + QUANTUM, over frame f - RING */
	} while (now + QUANTUM > w - n + RING && ++tries < READ_TRIES);
	return w;
}

int analyser_get_float_time(struct node *n, float *out, size_t len)
{
	struct analyser *a = analyser_of(n);
	uint32_t m;

	if (a == NULL)
		return -1;
	ring_read(a, a->frame, a->fft_size);
	m = len < a->fft_size ? (uint32_t)len : a->fft_size;
	memcpy(out, a->frame, m * sizeof(float));
	return (int)m;
}

int analyser_get_byte_time(struct node *n, uint8_t *out, size_t len)
{
	struct analyser *a = analyser_of(n);
	uint32_t m, i;

	if (a == NULL)
		return -1;
	ring_read(a, a->frame, a->fft_size);
	m = len < a->fft_size ? (uint32_t)len : a->fft_size;
	for (i = 0; i < m; i++) {
		double b = floor(128.0 * (1.0 + a->frame[i]));

		/* NaN (an inf - inf upstream) must not reach the conversion: 0 as for bins */
		out[i] = (uint8_t)(!(b > 0) ? 0 : b > 255 ? 255 : b);
	}
	return (int)m;
}

/* the spec's "current frequency data": Blackman window, FFT scaled by 1/N, smoothing over
 * time, dB.  computed once per render quantum: a second call in the same one reuses it */
static void freq_update(struct analyser *a)
{
	const uint32_t n = a->fft_size;
	const double tau = a->smoothing;
	uint64_t w = atomic_load_explicit(&a->written, memory_order_acquire);
	uint32_t i;

	if (a->freq_valid && w == a->freq_at)
		return;
	w = ring_read(a, a->frame, n);
	for (i = 0; i < n; i++) {
		const double alpha = 0.16, a0 = (1 - alpha) / 2, a1 = 0.5, a2 = alpha / 2;
		double win = a0 - a1 * cos(2 * M_PI * i / n) + a2 * cos(4 * M_PI * i / n);
		a->frame[i] = (float)(a->frame[i] * win);
	}
	fftwf_execute(a->plan);
	for (i = 0; i < n / 2; i++) {
		double re = a->spec[i][0], im = a->spec[i][1];
		double mag = sqrt(re * re + im * im) / n;
		double s = tau * a->smooth[i] + (1 - tau) * mag;
		if (!isfinite(s))
			s = 0;
		a->smooth[i] = (float)s;
		a->db[i] = (float)(20 * log10(s));	/* -inf for 0, as the spec's formula */
	}
	a->freq_at = w;
	a->freq_valid = true;
}

int analyser_get_float_freq(struct node *n, float *out, size_t len)
{
	struct analyser *a = analyser_of(n);
	uint32_t m;

	if (a == NULL)
		return -1;
	freq_update(a);
	m = len < a->fft_size / 2 ? (uint32_t)len : a->fft_size / 2;
	memcpy(out, a->db, m * sizeof(float));
	return (int)m;
}

int analyser_get_byte_freq(struct node *n, uint8_t *out, size_t len)
{
	struct analyser *a = analyser_of(n);
	const double k = 255 / (a ? a->max_db - a->min_db : 1);
	uint32_t m, i;

	if (a == NULL)
		return -1;
	freq_update(a);
	m = len < a->fft_size / 2 ? (uint32_t)len : a->fft_size / 2;
	for (i = 0; i < m; i++) {
		double b = floor(k * ((double)a->db[i] - a->min_db));
		out[i] = (uint8_t)(!(b > 0) ? 0 : b > 255 ? 255 : b);
	}
	return (int)m;
}

uint32_t analyser_bin_count(struct node *n)
{
	struct analyser *a = analyser_of(n);

	return a ? a->fft_size / 2 : 0;
}

uint32_t analyser_fft_size(struct node *n)
{
	struct analyser *a = analyser_of(n);

	return a ? a->fft_size : 0;
}

/* ---- attributes: all control-side state, so apply has nothing to swap ------------------- */

static int number_of(const struct value *v, const char *name, double *d, struct error *err)
{
	struct option o = { name, *v };

	return option_number(&o, d, err);
}

/* a new size replans and resets the smoothing state, as the spec says */
static int fft_size_set(struct analyser *a, double d, struct error *err)
{
	fftwf_plan p;
	uint32_t n;

	/* in range before it is converted: a negative double to unsigned is undefined */
	n = d != floor(d) || d < 32 || d > MAX_FFT ? 3 : (uint32_t)d;
	if ((n & (n - 1)) != 0)
		return err_set(err, ERR_INDEX_SIZE,
			       "fftSize: %g is not a power of two in 32..%d", d, MAX_FFT);
	if (n == a->fft_size && a->plan)
		return 0;
	p = fftwf_plan_dft_r2c_1d((int)n, a->frame, a->spec, FFTW_ESTIMATE);
	if (p == NULL)
		return err_set(err, ERR_INTERNAL, "fftSize: cannot plan a %u-point FFT", n);
	if (a->plan)
		fftwf_destroy_plan(a->plan);
	a->plan = p;
	a->fft_size = n;
	memset(a->smooth, 0, MAX_FFT / 2 * sizeof(float));
	a->freq_valid = false;
	return 0;
}

static int fft_size_check(struct node *n, const struct value *v, void **staged,
			  struct error *err)
{
	double d;

	*staged = NULL;
	if (number_of(v, "fftSize", &d, err) < 0)
		return -1;
	return fft_size_set((struct analyser *)n, d, err);
}

static int min_db_check(struct node *n, const struct value *v, void **staged, struct error *err)
{
	struct analyser *a = (struct analyser *)n;
	double d;

	*staged = NULL;
	if (number_of(v, "minDecibels", &d, err) < 0)
		return -1;
	if (d >= a->max_db)
		return err_set(err, ERR_INDEX_SIZE, "minDecibels: %g is not below maxDecibels %g",
			       d, a->max_db);
	a->min_db = d;
	return 0;
}

static int max_db_check(struct node *n, const struct value *v, void **staged, struct error *err)
{
	struct analyser *a = (struct analyser *)n;
	double d;

	*staged = NULL;
	if (number_of(v, "maxDecibels", &d, err) < 0)
		return -1;
	if (d <= a->min_db)
		return err_set(err, ERR_INDEX_SIZE, "maxDecibels: %g is not above minDecibels %g",
			       d, a->min_db);
	a->max_db = d;
	return 0;
}

static int smoothing_check(struct node *n, const struct value *v, void **staged,
			   struct error *err)
{
	struct analyser *a = (struct analyser *)n;
	double d;

	*staged = NULL;
	if (number_of(v, "smoothingTimeConstant", &d, err) < 0)
		return -1;
	if (d < 0 || d > 1)
		return err_set(err, ERR_INDEX_SIZE, "smoothingTimeConstant: %g is not in 0..1", d);
	a->smoothing = d;
	return 0;
}

static int bins_check(struct node *n, const struct value *v, void **staged, struct error *err)
{
	(void)n;
	(void)v;
	*staged = NULL;
	return err_set(err, ERR_INVALID_VALUE, "frequencyBinCount: read-only");
}

static void nothing_apply(struct node *n, const struct value *v, void **staged)
{
	(void)n;
	(void)v;
	*staged = NULL;
}

static void fft_size_get(const struct node *n, struct value *v)
{
	v->type = VALUE_NUMBER;
	v->num = ((const struct analyser *)n)->fft_size;
}

static void bins_get(const struct node *n, struct value *v)
{
	v->type = VALUE_NUMBER;
	v->num = ((const struct analyser *)n)->fft_size / 2;
}

static void min_db_get(const struct node *n, struct value *v)
{
	v->type = VALUE_NUMBER;
	v->num = ((const struct analyser *)n)->min_db;
}

static void max_db_get(const struct node *n, struct value *v)
{
	v->type = VALUE_NUMBER;
	v->num = ((const struct analyser *)n)->max_db;
}

static void smoothing_get(const struct node *n, struct value *v)
{
	v->type = VALUE_NUMBER;
	v->num = ((const struct analyser *)n)->smoothing;
}

/* ---- lifecycle (control) ----------------------------------------------------------------- */

static int analyser_alloc(struct analyser *a)
{
	a->ring = calloc(RING, sizeof(*a->ring));
	a->frame = fftwf_alloc_real(MAX_FFT);
	a->spec = fftwf_alloc_complex(MAX_FFT / 2 + 1);
	a->smooth = calloc(MAX_FFT / 2, sizeof(float));
	a->db = calloc(MAX_FFT / 2, sizeof(float));
	if (!a->ring || !a->frame || !a->spec || !a->smooth || !a->db ||
	    bus_init(&a->mono, 1) < 0)
		return -1;
	atomic_init(&a->written, 0);
	return 0;
}

/* minDecibels and maxDecibels are checked against each other once both are known, so the
 * options' order does not matter */
static int analyser_init(struct node *n, const struct option *opts, size_t n_opts,
			 struct error *err)
{
	static const char *const valid[] = { "fftSize", "maxDecibels", "minDecibels",
					     "smoothingTimeConstant", NULL };
	struct analyser *a = (struct analyser *)n;
	double fft = 2048, min_db = -100, max_db = -30, smoothing = 0.8;
	size_t i;

	if (analyser_alloc(a) < 0)
		return err_set(err, ERR_INTERNAL, "out of memory");
	for (i = 0; i < n_opts; i++) {
		double *dst = strcmp(opts[i].name, "fftSize") == 0 ? &fft :
			      strcmp(opts[i].name, "minDecibels") == 0 ? &min_db :
			      strcmp(opts[i].name, "maxDecibels") == 0 ? &max_db :
			      strcmp(opts[i].name, "smoothingTimeConstant") == 0 ? &smoothing : NULL;
		if (dst == NULL)
			return node_bad_option(n, opts[i].name, valid, err);
		if (option_number(&opts[i], dst, err) < 0)
			return -1;
	}
	if (min_db >= max_db)
		return err_set(err, ERR_INDEX_SIZE,
			       "minDecibels %g must be below maxDecibels %g", min_db, max_db);
	if (smoothing < 0 || smoothing > 1)
		return err_set(err, ERR_INDEX_SIZE,
			       "smoothingTimeConstant: %g is not in 0..1", smoothing);
	a->min_db = min_db;
	a->max_db = max_db;
	a->smoothing = smoothing;
	return fft_size_set(a, fft, err);
}

static void analyser_fini(struct node *n)
{
	struct analyser *a = (struct analyser *)n;

	if (a->plan)
		fftwf_destroy_plan(a->plan);
	free(a->ring);
	fftwf_free(a->frame);
	fftwf_free(a->spec);
	free(a->smooth);
	free(a->db);
	bus_fini(&a->mono);
}

static const struct attr_desc analyser_attrs[] = {
	{ "fftSize", fft_size_check, nothing_apply, NULL, fft_size_get, NULL, NULL },
	{ "frequencyBinCount", bins_check, nothing_apply, NULL, bins_get, NULL, NULL },
	{ "maxDecibels", max_db_check, nothing_apply, NULL, max_db_get, NULL, NULL },
	{ "minDecibels", min_db_check, nothing_apply, NULL, min_db_get, NULL, NULL },
	{ "smoothingTimeConstant", smoothing_check, nothing_apply, NULL, smoothing_get, NULL, NULL },
};

const struct node_kind analyser_kind = {
	.name = "AnalyserNode",
	.size = sizeof(struct analyser),
	.inputs = 1,
	.outputs = 1,
	.channel_count = 2,
	.count_mode = COUNT_MAX,
	.interp = INTERP_SPEAKERS,
	.attrs = analyser_attrs,
	.n_attrs = 5,
	.init = analyser_init,
	.process = analyser_process,
	.fini = analyser_fini,
};
