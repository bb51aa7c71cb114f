/* WAV output through libsndfile, atomically (temporary file + rename).
 * control thread or a plain program; blocking file I/O. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sndfile.h>

#include "protocol/wav.h"

static const char *const format_names[] = { "f32", "s16", "s24" };

int wav_format_parse(const char *name, enum wav_format *out, struct error *err)
{
	const char *hint;
	int i;

	for (i = 0; i < 3; i++) {
		if (strcmp(name, format_names[i]) == 0) {
			*out = (enum wav_format)i;
			return 0;
		}
	}
	hint = err_suggest(name, format_names, 3);
	if (hint)
		return err_set(err, ERR_INVALID_VALUE,
			       "unknown format \"%s\", did you mean \"%s\"? (f32, s16, s24)", name,
			       hint);
	return err_set(err, ERR_INVALID_VALUE, "unknown format \"%s\" (f32, s16, s24)", name);
}

static int subformat(enum wav_format f)
{
	switch (f) {
	case WAV_S16: return SF_FORMAT_PCM_16;
	case WAV_S24: return SF_FORMAT_PCM_24;
	case WAV_F32: break;
	}
	return SF_FORMAT_FLOAT;
}

/* the mode a plain creat() would give: mkstemp makes 0600 */
static void default_mode(int fd)
{
	mode_t mask = umask(0);

	umask(mask);
	if (fchmod(fd, 0666 & ~mask) < 0) {
		/* not fatal: the file is still ours and readable by us */
	}
}

static int write_frames(SNDFILE *sf, const float *data, uint64_t frames, uint32_t channels)
{
	/* in slices, so sf_count_t and libsndfile's internal buffers stay comfortable */
	const uint64_t slice = 1 << 16;
	uint64_t done = 0;

	while (done < frames) {
		uint64_t n = frames - done < slice ? frames - done : slice;
		if (sf_writef_float(sf, data + done * channels, (sf_count_t)n) != (sf_count_t)n)
			return -1;
		done += n;
	}
	return 0;
}

int wav_write(const char *path, const float *data, uint64_t frames, uint32_t channels,
	      uint32_t sample_rate, enum wav_format format, struct error *err)
{
	SF_INFO info = {
		.samplerate = (int)sample_rate,
		.channels = (int)channels,
		.format = SF_FORMAT_WAV | subformat(format),
	};
	size_t len = strlen(path);
	char *tmp = malloc(len + 8);
	SNDFILE *sf;
	int fd, r = -1;

	if (tmp == NULL)
		return err_set(err, ERR_INTERNAL, "out of memory");
	memcpy(tmp, path, len);
	memcpy(tmp + len, ".XXXXXX", 8);
	fd = mkstemp(tmp);
	if (fd < 0) {
		err_set(err, ERR_IO, "%s: cannot create: %s", path, strerror(errno));
		free(tmp);
		return -1;
	}
	default_mode(fd);
	sf = sf_open_fd(fd, SFM_WRITE, &info, SF_TRUE);
	if (sf == NULL) {
		err_set(err, ERR_IO, "%s: %s", path, sf_strerror(NULL));
		close(fd);
		goto out;
	}
	/* the PEAK chunk carries a timestamp: leave it out so output is bit-identical */
	sf_command(sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
	/* integer formats: clip instead of wrapping around */
	sf_command(sf, SFC_SET_CLIPPING, NULL, SF_TRUE);
	if (write_frames(sf, data, frames, channels) < 0) {
		err_set(err, ERR_IO, "%s: write failed: %s", path, sf_strerror(sf));
		sf_close(sf);
		goto out;
	}
	if (sf_close(sf) != 0) {
		err_set(err, ERR_IO, "%s: write failed", path);
		goto out;
	}
	if (rename(tmp, path) < 0) {
		err_set(err, ERR_IO, "%s: cannot rename the finished file: %s", path,
			strerror(errno));
		goto out;
	}
	r = 0;
out:
	if (r < 0)
		unlink(tmp);
	free(tmp);
	return r;
}
