/* decode: one worker thread turning BUFSPECs into AudioBuffers off the control loop.
 * the control thread pushes jobs and pops finished ones (an eventfd tells it when); the
 * worker parses the job's own JSON text, so no json-c object is shared between threads. */
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

struct decode {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct decode_job *todo, *todo_tail;	/* under lock */
	struct decode_job *done, *done_tail;	/* under lock */
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
	j->buf = bufspec_load(spec, NULL, j->rate, j->path, &j->err);
}

static void run_buffers(struct decode_job *j, struct json_object *obj)
{
	char p[CODEC_PATH_MAX];
	size_t n = (size_t)json_object_object_length(obj);

	j->names = calloc(n ? n : 1, sizeof(*j->names));
	j->bufs = calloc(n ? n : 1, sizeof(*j->bufs));
	if (j->names == NULL || j->bufs == NULL) {
		err_set(&j->err, ERR_INTERNAL, "out of memory");
		return;
	}
	json_object_object_foreach(obj, key, val) {
		codec_path_field(p, sizeof(p), j->path, key);
		j->bufs[j->n] = bufspec_load(val, NULL, j->rate, p, &j->err);
		if (j->bufs[j->n] == NULL)
			return;
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

static void *decode_main(void *data)
{
	struct decode *d = data;
	struct decode_job *j;
	uint64_t one = 1;
	ssize_t n;

	pthread_mutex_lock(&d->lock);
	for (;;) {
		while (d->todo == NULL && !d->stop)
			pthread_cond_wait(&d->cond, &d->lock);
		if (d->stop)
			break;
		j = d->todo;
		d->todo = j->next;
		if (d->todo == NULL)
			d->todo_tail = NULL;
		pthread_mutex_unlock(&d->lock);
		run(j);
		pthread_mutex_lock(&d->lock);
		append(&d->done, &d->done_tail, j);
		n = write(d->fd, &one, sizeof(one));
		(void)n;
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
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
	if (pthread_create(&d->thread, NULL, decode_main, d) != 0)
		goto error_thread;
	pthread_setname_np(d->thread, "audiod-decode");
	return d;

error_thread:
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
	pthread_mutex_lock(&d->lock);
	d->stop = true;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
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
	pthread_cond_signal(&d->cond);
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
