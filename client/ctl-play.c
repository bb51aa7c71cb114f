/* `audioctl play FILE`: a buffer, an AudioBufferSourceNode (and a GainNode for --gain) to the
 * session's output, started at once; waits for its `ended` event, then removes them.
 * a plain single-threaded program; SIGINT only sets a flag. */
#include "client/ctl.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct play {
	char src[64];		/* node and buffer name */
	char gain[80];		/* the GainNode's name, "" without --gain */
	bool have_buffer, have_src, have_gain;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* no SA_RESTART: the wait for the event must wake up */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static json_object *named_op(const char *op, const char *key, const char *name)
{
	json_object *req = ctl_op(op);

	json_object_object_add(req, key, json_object_new_string(name));
	return req;
}

/* the file goes as its open descriptor (fd): the daemon reads what we can open, even where
 * it cannot see the path (PrivateTmp, ProtectHome) */
static int build(struct ctl *ctl, struct play *p, int fd, bool loop, double gain,
		 bool with_gain)
{
	json_object *req, *spec = json_object_new_object(), *options;

	json_object_object_add(spec, "fd", json_object_new_int(0));
	json_object_object_add(spec, "resample", json_object_new_boolean(1));
	req = named_op("buffer", "name", p->src);
	json_object_object_add(req, "spec", spec);
	if (ctl_call_fds(ctl, req, &fd, 1, NULL) < 0)
		return -1;
	p->have_buffer = true;

	req = named_op("create", "id", p->src);
	json_object_object_add(req, "type", json_object_new_string("AudioBufferSourceNode"));
	json_object_object_add(req, "buffer", json_object_new_string(p->src));
	if (loop) {
		options = json_object_new_object();
		json_object_object_add(options, "loop", json_object_new_boolean(1));
		json_object_object_add(req, "options", options);
	}
	if (ctl_call(ctl, req, NULL) < 0)
		return -1;
	p->have_src = true;

	if (with_gain) {
		req = named_op("create", "id", p->gain);
		json_object_object_add(req, "type", json_object_new_string("GainNode"));
		options = json_object_new_object();
		json_object_object_add(options, "gain", json_object_new_double(gain));
		json_object_object_add(req, "options", options);
		if (ctl_call(ctl, req, NULL) < 0)
			return -1;
		p->have_gain = true;
	}
	req = named_op("connect", "from", p->src);
	json_object_object_add(req, "to", json_object_new_string(with_gain ? p->gain :
								 "destination"));
	if (ctl_call(ctl, req, NULL) < 0)
		return -1;
	if (with_gain) {
		req = named_op("connect", "from", p->gain);
		json_object_object_add(req, "to", json_object_new_string("destination"));
		if (ctl_call(ctl, req, NULL) < 0)
			return -1;
	}
	return 0;
}

/* an `ended` event's id may be bare or session-qualified ("s/x") */
static bool ended_is_ours(json_object *ev, const char *name)
{
	json_object *v;
	const char *id, *slash;

	if (!json_object_object_get_ex(ev, "event", &v) ||
	    strcmp(json_object_get_string(v), "ended") != 0 ||
	    !json_object_object_get_ex(ev, "id", &v))
		return false;
	id = json_object_get_string(v);
	slash = strrchr(id, '/');
	return strcmp(id, name) == 0 || (slash != NULL && strcmp(slash + 1, name) == 0);
}

/* 0 when it ended, 1 when interrupted, -1 on a lost connection */
static int wait_ended(struct ctl *ctl, const char *name)
{
	json_object *ev;
	audiod_error err;

	for (;;) {
		if (interrupted)
			return 1;
		err = audiod_next_event(ctl->conn, -1, &ev);
		if (err == AUDIOD_ERR_SYSTEM && errno == EINTR)
			continue;
		if (err != AUDIOD_OK) {
			ctl_print_error(ctl, err);
			return -1;
		}
		if (ended_is_ours(ev, name)) {
			json_object_put(ev);
			return 0;
		}
		json_object_put(ev);
	}
}

/* best effort: a failure here must not hide the play's own result */
static void cleanup(struct ctl *ctl, struct play *p)
{
	json_object *req;

	if (p->have_src) {
		audiod_request(ctl->conn, (req = named_op("delete", "id", p->src)), NULL);
		json_object_put(req);
	}
	if (p->have_gain) {
		audiod_request(ctl->conn, (req = named_op("delete", "id", p->gain)), NULL);
		json_object_put(req);
	}
	if (p->have_buffer) {
		audiod_request(ctl->conn, (req = named_op("free-buffer", "name", p->src)), NULL);
		json_object_put(req);
	}
}

int ctl_play_main(struct ctl *ctl, int argc, char **argv)
{
	bool no_wait = false, loop = false;
	const char *gain_text = NULL;
	const struct ctl_opt opts[] = { { "no-wait", NULL, &no_wait }, { "loop", NULL, &loop },
					{ "gain", &gain_text, NULL }, { NULL } };
	const char *const ended[] = { "ended", NULL };
	struct play p = { 0 };
	json_object *req;
	audiod_error err;
	double gain = 1.0;
	char *pos[1];
	int n_pos, r = 0, fd;

	if (ctl_scan(ctl, argc, argv, opts, pos, 1, &n_pos) < 0 || n_pos != 1) {
		fprintf(stderr, "usage: audioctl play FILE [--no-wait] [--loop] [--gain G]\n");
		return CTL_EXIT_USAGE;
	}
	if (gain_text != NULL && ctl_number(ctl, "--gain", gain_text, &gain) < 0)
		return CTL_EXIT_USAGE;
	if ((fd = ctl_open_sound(ctl, pos[0])) < 0)
		return CTL_EXIT_FAIL;
	if (no_wait && ctl->ephemeral)
		fprintf(stderr, "audioctl play: warning: an ephemeral session ends when we leave, "
			"and the sound with it\n");
	snprintf(p.src, sizeof(p.src), "play-%ld", (long)getpid());
	snprintf(p.gain, sizeof(p.gain), "%s-gain", p.src);
	if (ctl_connect(ctl) < 0) {
		close(fd);
		return CTL_EXIT_FAIL;
	}
	catch_signals();
	if (!no_wait && (err = audiod_subscribe(ctl->conn, ended)) != AUDIOD_OK) {
		ctl_print_error(ctl, err);
		close(fd);
		return CTL_EXIT_FAIL;
	}
	r = build(ctl, &p, fd, loop, gain, gain_text != NULL);
	close(fd);	/* the daemon has its own */
	if (r < 0 || ctl_call(ctl, named_op("start", "id", p.src), NULL) < 0) {
		cleanup(ctl, &p);
		return CTL_EXIT_FAIL;
	}
	if (no_wait) {
		printf("%s\n", p.src);
		return 0;
	}
	r = wait_ended(ctl, p.src);
	if (r == 1) {
		/* Ctrl-C: silence it now, then tidy up */
		req = named_op("stop", "id", p.src);
		audiod_request(ctl->conn, req, NULL);
		json_object_put(req);
	}
	if (r >= 0)
		cleanup(ctl, &p);
	return r == 0 ? 0 : r == 1 ? 130 : CTL_EXIT_FAIL;
}
