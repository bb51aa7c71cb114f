/* decode: worker threads turning BUFSPECs into AudioBuffers off the control loop.
 * the control thread pushes jobs and pops finished ones (an eventfd tells it when); a
 * worker parses the job's own JSON text, so no json-c object is shared between threads.
 * a buffer read from a descriptor has no path the daemon could open again: the worker
 * writes a copy of it into the state folder for the session's document to name.
 * a worker takes the oldest job whose owner (a session) has none running, so one session's
 * long decode never holds back another's. */
#include "decode.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sndfile.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "engine/buffer.h"
#include "protocol/bufspec.h"
#include "protocol/codec.h"

#define DECODE_WORKERS 4
#define COPY_CHUNK 4096		/* frames interleaved per write of a copy */
#define COPY_NAME_PART 48	/* bytes of the session's and the buffer's name in a copy's */

struct decode {
	pthread_t threads[DECODE_WORKERS];
	int n_threads;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct decode_job *todo, *todo_tail;	/* under lock */
	struct decode_job *done, *done_tail;	/* under lock */
	const void *running[DECODE_WORKERS];	/* under lock: owners of the jobs being run */
	int next_slot;				/* under lock: for workers starting */
	bool stop;				/* under lock */
	int fd;					/* eventfd: jobs done */
};

static void append(struct decode_job **head, struct decode_job **tail, struct decode_job *j)
{
	j->next = NULL;
	if (*tail)
		(*tail)->next = j;
	else
		*head = j;
	*tail = j;
}

/* a part of a copy's file name: letters, digits, '-' and '_' as they are, any other byte
 * '_' (a buffer's name may hold '/' or ".."), at most COPY_NAME_PART bytes */
static void name_part(char *out, const char *name)
{
	size_t i;

	for (i = 0; name[i] != '\0' && i < COPY_NAME_PART; i++) {
		char ch = name[i];

		out[i] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			 (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ? ch : '_';
	}
	out[i] = '\0';
}

/* b's samples into sf as interleaved frames; false with why set */
static bool write_frames(SNDFILE *sf, const struct audio_buffer *b, char *why, size_t size)
{
	float *tmp = malloc((size_t)COPY_CHUNK * b->channels * sizeof(float));
	uint32_t done, k, c, i;

	if (tmp == NULL) {
		snprintf(why, size, "out of memory");
		return false;
	}
	for (done = 0; done < b->length; done += k) {
		k = b->length - done < COPY_CHUNK ? b->length - done : COPY_CHUNK;
		for (c = 0; c < b->channels; c++)
			for (i = 0; i < k; i++)
				tmp[(size_t)i * b->channels + c] = b->data[c][done + i];
		if (sf_writef_float(sf, tmp, k) != (sf_count_t)k) {
			snprintf(why, size, "%s", sf_strerror(sf));
			free(tmp);
			return false;
		}
	}
	free(tmp);
	return true;
}

/* b into a new file of ours, fd (closed here); false with why set */
static bool write_wav(int fd, const struct audio_buffer *b, char *why, size_t size)
{
	SF_INFO info = { .samplerate = (int)lround(b->sample_rate), .channels = (int)b->channels,
			 .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
	SNDFILE *sf = sf_open_fd(fd, SFM_WRITE, &info, SF_TRUE);
	bool ok;

	if (sf == NULL) {
		snprintf(why, size, "%s", sf_strerror(NULL));
		return false;
	}
	/* the same bytes for the same samples: no PEAK chunk with its timestamp */
	sf_command(sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
	ok = write_frames(sf, b, why, size);
	if (ok)
		sf_write_sync(sf);
	if (sf_close(sf) != 0 && ok) {
		snprintf(why, size, "cannot finish the file");
		ok = false;
	}
	return ok;
}

/* b as a 32-bit float WAV, DIR/SESSION-NAME-XXXXXX.wav: a fresh name, mode 0600, on the disk
 * (synced) before any document names it.  returns its path, or NULL with why set and
 * nothing left behind */
static char *write_copy(const struct audio_buffer *b, const struct decode_job *j,
			const char *name, char *why, size_t size)
{
	char sess[COPY_NAME_PART + 1], part[COPY_NAME_PART + 1];
	char *file = NULL;
	int fd;

	name_part(sess, j->copy_session);
	name_part(part, name);
	snprintf(why, size, "out of memory");
	if (mkdir(j->copy_dir, 0700) < 0 && errno != EEXIST) {
		snprintf(why, size, "%s", strerror(errno));
	} else if (asprintf(&file, "%s/%s-%s-XXXXXX.wav", j->copy_dir, sess, part) < 0) {
		file = NULL;
	} else if ((fd = mkostemps(file, 4, O_CLOEXEC)) < 0) {
		snprintf(why, size, "%s", strerror(errno));
	} else if (write_wav(fd, b, why, size)) {
		return file;
	} else {
		unlink(file);
	}
	free(file);
	return NULL;
}

/* a buffer read from a descriptor gets its copy when the job keeps copies.  one that cannot
 * be written (a full disk, a state folder the unit made read-only) does not cost the
 * client its buffer: it is kept without, and the reply warns that it will not come back
 * after a restart */
static void keep_copy(struct decode_job *j, struct json_object *spec,
		      const struct audio_buffer *b, const char *name, char **copy,
		      const char *path)
{
	struct error e = { 0 };
	char why[160];
	uint32_t k;

	if (b == NULL || j->copy_dir == NULL || bufspec_fd_index(spec, path, &k, &e) != 1)
		return;
	*copy = write_copy(b, j, name, why, sizeof(why));
	if (*copy == NULL && j->warning[0] == '\0')
		snprintf(j->warning, sizeof(j->warning), "%s: no copy kept in the state folder "
			 "(%s): not restored after a restart, saved as {\"fd\":null}", path, why);
}

static void run_buffer(struct decode_job *j, struct json_object *spec)
{
	j->buf = bufspec_load_fds(spec, NULL, j->rate, j->max_bytes, j->fds, j->n_fds, j->path,
				  &j->err);
	keep_copy(j, spec, j->buf, j->copy_name, &j->copy, j->path);
}

static void run_buffers(struct decode_job *j, struct json_object *obj)
{
	char p[CODEC_PATH_MAX];
	size_t n = (size_t)json_object_object_length(obj);
	uint64_t left = j->max_bytes, bytes;

	j->names = calloc(n ? n : 1, sizeof(*j->names));
	j->bufs = calloc(n ? n : 1, sizeof(*j->bufs));
	j->copies = calloc(n ? n : 1, sizeof(*j->copies));
	if (j->names == NULL || j->bufs == NULL || j->copies == NULL) {
		err_set(&j->err, ERR_INTERNAL, "out of memory");
		return;
	}
	json_object_object_foreach(obj, key, val) {
		codec_path_field(p, sizeof(p), j->path, key);
		j->bufs[j->n] = bufspec_load_fds(val, NULL, j->rate, left, j->fds, j->n_fds, p,
						 &j->err);
		if (j->bufs[j->n] == NULL)
			return;
		keep_copy(j, val, j->bufs[j->n], key, &j->copies[j->n], p);
		/* bytes counts the buffer's header too: never wrap below 0 */
		bytes = audio_buffer_bytes(j->bufs[j->n]);
		left = bytes < left ? left - bytes : 0;
		j->names[j->n++] = strdup(key);
	}
}

static void run(struct decode_job *j)
{
	struct json_object *obj = json_tokener_parse(j->text);

	j->err.code = ERR_OK;
	j->err.msg[0] = '\0';
	if (obj == NULL) {
		err_set(&j->err, ERR_INTERNAL, "%s: cannot reparse", j->path);
		return;
	}
	if (j->kind == DECODE_BUFFER)
		run_buffer(j, obj);
	else
		run_buffers(j, obj);
	json_object_put(obj);
}

static bool owner_running(const struct decode *d, const void *owner)
{
	for (int i = 0; i < DECODE_WORKERS; i++)
		if (owner != NULL && d->running[i] == owner)
			return true;
	return false;
}

/* under lock: unlinks the oldest job whose owner has none running */
static struct decode_job *take(struct decode *d)
{
	struct decode_job **pp = &d->todo, *j, *prev = NULL;

	for (j = d->todo; j != NULL; prev = j, pp = &j->next, j = j->next)
		if (!owner_running(d, j->owner)) {
			*pp = j->next;
			if (d->todo_tail == j)
				d->todo_tail = prev;
			return j;
		}
	return NULL;
}

static void *decode_main(void *data)
{
	struct decode *d = data;
	struct decode_job *j;
	uint64_t one = 1;
	ssize_t n;
	int slot;

	pthread_mutex_lock(&d->lock);
	slot = d->next_slot++;	/* this worker's entry in running[] */
	for (;;) {
		while ((j = d->stop ? NULL : take(d)) == NULL && !d->stop)
			pthread_cond_wait(&d->cond, &d->lock);
		if (d->stop)
			break;
		d->running[slot] = j->owner;
		pthread_mutex_unlock(&d->lock);
		run(j);
		pthread_mutex_lock(&d->lock);
		d->running[slot] = NULL;
		append(&d->done, &d->done_tail, j);
		n = write(d->fd, &one, sizeof(one));
		(void)n;
		/* this owner's next job may now go, to another worker too */
		pthread_cond_broadcast(&d->cond);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

/* stops and joins the workers started so far (each finishes the job it runs) */
static void decode_stop(struct decode *d)
{
	pthread_mutex_lock(&d->lock);
	d->stop = true;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	for (int i = 0; i < d->n_threads; i++)
		pthread_join(d->threads[i], NULL);
	d->n_threads = 0;
}

struct decode *decode_new(void)
{
	struct decode *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->fd < 0)
		goto error_fd;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	for (; d->n_threads < DECODE_WORKERS; d->n_threads++) {
		if (pthread_create(&d->threads[d->n_threads], NULL, decode_main, d) != 0)
			goto error_thread;
		pthread_setname_np(d->threads[d->n_threads], "audiod-decode");
	}
	return d;

error_thread:
	decode_stop(d);
	pthread_cond_destroy(&d->cond);
	pthread_mutex_destroy(&d->lock);
	close(d->fd);
error_fd:
	free(d);
	return NULL;
}

/* a copy the control side did not take: nothing names it */
static void drop_copy(char *copy)
{
	if (copy == NULL)
		return;
	unlink(copy);
	free(copy);
}

void decode_job_free(struct decode_job *j)
{
	size_t i;

	if (j == NULL)
		return;
	free(j->text);
	for (i = 0; i < j->n_fds; i++)
		if (j->fds[i] >= 0)
			close(j->fds[i]);
	free(j->fds);
	free(j->copy_dir);
	free(j->copy_session);
	free(j->copy_name);
	if (j->buf)
		audio_buffer_unref(j->buf);
	drop_copy(j->copy);
	for (i = 0; i < j->n; i++) {
		free(j->names[i]);
		if (j->bufs[i])
			audio_buffer_unref(j->bufs[i]);
		drop_copy(j->copies[i]);
	}
	free(j->names);
	free(j->bufs);
	free(j->copies);
	if (j->req)
		json_object_put(j->req);
	free(j);
}

static void free_list(struct decode_job *j)
{
	struct decode_job *next;

	for (; j; j = next) {
		next = j->next;
		decode_job_free(j);
	}
}

void decode_free(struct decode *d)
{
	if (d == NULL)
		return;
	decode_stop(d);
	free_list(d->todo);
	free_list(d->done);
	pthread_cond_destroy(&d->cond);
	pthread_mutex_destroy(&d->lock);
	close(d->fd);
	free(d);
}

int decode_fd(const struct decode *d)
{
	return d->fd;
}

void decode_push(struct decode *d, struct decode_job *job)
{
	pthread_mutex_lock(&d->lock);
	append(&d->todo, &d->todo_tail, job);
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

struct decode_job *decode_pop(struct decode *d)
{
	struct decode_job *j;
	uint64_t v;
	ssize_t n;

	pthread_mutex_lock(&d->lock);
	j = d->done;
	if (j) {
		d->done = j->next;
		if (d->done == NULL)
			d->done_tail = NULL;
	} else {
		n = read(d->fd, &v, sizeof(v));	/* nothing left: clear the eventfd */
		(void)n;
	}
	pthread_mutex_unlock(&d->lock);
	return j;
}
