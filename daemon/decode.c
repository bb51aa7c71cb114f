/* decode: worker threads turning BUFSPECs into AudioBuffers off the control loop.
 * the control thread pushes jobs and pops finished ones (an eventfd tells it when); a
 * worker parses the job's own JSON text, so no json-c object is shared between threads.
 * a worker takes the oldest job whose owner (a session) has none running, so one session's
 * long decode never holds back another's. */
#include "decode.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <json-c/json.h>

#include "engine/buffer.h"
#include "protocol/bufspec.h"
#include "protocol/codec.h"

#define DECODE_WORKERS 4

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

static void run_buffer(struct decode_job *j, struct json_object *spec)
{
	j->buf = bufspec_load_max(spec, NULL, j->rate, j->max_bytes, j->path, &j->err);
}

static void run_buffers(struct decode_job *j, struct json_object *obj)
{
	char p[CODEC_PATH_MAX];
	size_t n = (size_t)json_object_object_length(obj);
	uint64_t left = j->max_bytes;

	j->names = calloc(n ? n : 1, sizeof(*j->names));
	j->bufs = calloc(n ? n : 1, sizeof(*j->bufs));
	if (j->names == NULL || j->bufs == NULL) {
		err_set(&j->err, ERR_INTERNAL, "out of memory");
		return;
	}
	json_object_object_foreach(obj, key, val) {
		codec_path_field(p, sizeof(p), j->path, key);
		j->bufs[j->n] = bufspec_load_max(val, NULL, j->rate, left, p, &j->err);
		if (j->bufs[j->n] == NULL)
			return;
		left -= audio_buffer_bytes(j->bufs[j->n]);
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

void decode_job_free(struct decode_job *j)
{
	size_t i;

	if (j == NULL)
		return;
	free(j->text);
	if (j->buf)
		audio_buffer_unref(j->buf);
	for (i = 0; i < j->n; i++) {
		free(j->names[i]);
		if (j->bufs[i])
			audio_buffer_unref(j->bufs[i]);
	}
	free(j->names);
	free(j->bufs);
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
