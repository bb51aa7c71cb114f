/* wav-analyze: measures a recorded tone for the integration tests.  prints `key value`
 * lines: frequency (Hz, from interpolated rising zero crossings), rms and amplitude
 * (rms * sqrt 2), the least and most 50 ms window rms, the longest run of near-silence
 * inside the tone (a dropout), the largest sample-to-sample step (a click), and how far the
 * channels differ.  leading and trailing silence (and `trim` seconds more) are skipped.
 * usage: wav-analyze FILE [trim-seconds]
 *        wav-analyze FILE --window FROM TO: only seconds [FROM, TO) after the first sound */
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct span {
	sf_count_t start, end;	/* analysed frames [start, end) */
};

static struct span find_tone(const float *x, sf_count_t frames, int ch, sf_count_t trim)
{
	struct span s = { 0, frames };

	while (s.start < frames && fabsf(x[s.start * ch]) < 1e-4f)
		s.start++;
	while (s.end > s.start && fabsf(x[(s.end - 1) * ch]) < 1e-4f)
		s.end--;
	s.start += trim;
	s.end -= trim;
	return s;
}

/* rising zero crossings with linear interpolation between the two samples around each */
static double frequency(const float *x, int ch, struct span s, double rate)
{
	double first = -1, last = -1;
	long n = 0;

	for (sf_count_t i = s.start + 1; i < s.end; i++) {
		float a = x[(i - 1) * ch], b = x[i * ch];

		if (a < 0 && b >= 0) {
			double t = (double)(i - 1) + a / (double)(a - b);

			if (first < 0)
				first = t;
			last = t;
			n++;
		}
	}
	return n > 1 ? (double)(n - 1) * rate / (last - first) : 0.0;
}

static void window_rms(const float *x, int ch, struct span s, double rate, double *lo, double *hi)
{
	sf_count_t w = (sf_count_t)(rate / 20);

	*lo = INFINITY;
	*hi = 0;
	for (sf_count_t i = s.start; i + w <= s.end; i += w) {
		double sum = 0;

		for (sf_count_t k = i; k < i + w; k++)
			sum += (double)x[k * ch] * x[k * ch];
		sum = sqrt(sum / (double)w);
		*lo = sum < *lo ? sum : *lo;
		*hi = sum > *hi ? sum : *hi;
	}
}

int main(int argc, char **argv)
{
	SF_INFO info = { 0 };
	SNDFILE *f;
	float *x;
	struct span s;
	double rms = 0, step = 0, chdiff = 0, peak = 0, lo, hi, rate;
	sf_count_t run = 0, gap = 0;

	if (argc < 2 || (f = sf_open(argv[1], SFM_READ, &info)) == NULL) {
		fprintf(stderr, "usage: wav-analyze FILE [trim-seconds]: %s\n", sf_strerror(NULL));
		return 2;
	}
	rate = info.samplerate;
	x = malloc(sizeof(float) * (size_t)info.frames * (size_t)info.channels);
	if (x == NULL || sf_readf_float(f, x, info.frames) != info.frames)
		return 2;
	sf_close(f);
	if (argc == 5 && strcmp(argv[2], "--window") == 0) {
		s = find_tone(x, info.frames, info.channels, 0);
		s.end = s.start + (sf_count_t)(atof(argv[4]) * rate);
		s.start += (sf_count_t)(atof(argv[3]) * rate);
		s.end = s.end < info.frames ? s.end : info.frames;
	} else {
		s = find_tone(x, info.frames, info.channels,
			      (sf_count_t)((argc > 2 ? atof(argv[2]) : 0.1) * rate));
	}
	if (s.end - s.start < (sf_count_t)(rate / 10)) {
		printf("frames %lld\ntone_frames 0\n", (long long)info.frames);
		return 1;
	}
	for (sf_count_t i = s.start; i < s.end; i++) {
		float v = x[i * info.channels];

		rms += (double)v * v;
		peak = fabs(v) > peak ? fabs(v) : peak;
		if (i > s.start && fabs(v - x[(i - 1) * info.channels]) > step)
			step = fabs(v - x[(i - 1) * info.channels]);
		run = fabsf(v) < 0.01f ? run + 1 : 0;
		gap = run > gap ? run : gap;
		for (int c = 1; c < info.channels; c++)
			if (fabs(x[i * info.channels + c] - v) > chdiff)
				chdiff = fabs(x[i * info.channels + c] - v);
	}
	rms = sqrt(rms / (double)(s.end - s.start));
	window_rms(x, info.channels, s, rate, &lo, &hi);
	printf("frames %lld\nrate %.0f\nchannels %d\n", (long long)info.frames, rate,
	       info.channels);
	printf("tone_start %lld\ntone_frames %lld\n", (long long)s.start,
	       (long long)(s.end - s.start));
	printf("frequency %.4f\nrms %.6f\namplitude %.6f\n", frequency(x, info.channels, s, rate),
	       rms, rms * sqrt(2.0));
	printf("window_rms_min %.6f\nwindow_rms_max %.6f\npeak %.6f\n", lo, hi, peak);
	printf("longest_quiet_run %lld\nmax_step %.6f\nchannel_diff %.6f\n", (long long)gap, step,
	       chdiff);
	free(x);
	return 0;
}
