/* `audioctl watch` (events as they come, until interrupted) and `audioctl top` (a live
 * full-screen view of stats and sessions, drawn with plain ANSI escapes).
 * a plain single-threaded program; signals only set a flag. */
#include "client/ctl.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define REFRESH_MS 250
#define MAX_SESSIONS 64

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* no SA_RESTART: a blocked wait must return so the flag is seen */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void print_event(struct ctl *ctl, json_object *ev)
{
	static const char *const skip[] = { "event", NULL };
	json_object *v;
	char cell[512];

	if (ctl->json) {
		ctl_print_json(ev);
		return;
	}
	json_object_object_get_ex(ev, "event", &v);
	printf("%-8s", json_object_get_string(v));
	json_object_object_foreach(ev, key, val) {
		if (strcmp(key, skip[0]) == 0)
			continue;
		ctl_format_value(val, cell, sizeof(cell));
		printf(" %s=%s", key, cell);
	}
	printf("\n");
	fflush(stdout);
}

int ctl_watch_main(struct ctl *ctl, int argc, char **argv)
{
	static const char *const all[] = { "ended", "xrun", "session", "meter", NULL };
	const char *names[64];
	json_object *ev;
	audiod_error err;
	char *pos[63];
	int n_pos, i;

	if (ctl_scan(ctl, argc, argv, NULL, pos, 63, &n_pos) < 0) {
		fprintf(stderr, "usage: audioctl watch [EVENT...]\n");
		return CTL_EXIT_USAGE;
	}
	for (i = 0; i < n_pos; i++)
		names[i] = pos[i];
	names[n_pos] = NULL;
	if (ctl_connect(ctl) < 0)
		return CTL_EXIT_FAIL;
	catch_signals();
	err = audiod_subscribe(ctl->conn, n_pos > 0 ? names : all);
	if (err != AUDIOD_OK) {
		ctl_print_error(ctl, err);
		return CTL_EXIT_FAIL;
	}
	while (!stop_requested) {
		err = audiod_next_event(ctl->conn, -1, &ev);
		if (err == AUDIOD_ERR_SYSTEM && errno == EINTR)
			continue;
		if (err != AUDIOD_OK) {
			ctl_print_error(ctl, err);
			return CTL_EXIT_FAIL;
		}
		print_event(ctl, ev);
		json_object_put(ev);
	}
	return 0;
}

/* --- top --- */

struct level {
	char name[64];
	double peak, rms;	/* linear, the loudest channel */
};

struct top {
	struct ctl *ctl;
	json_object *stats, *sessions;	/* the latest replies */
	struct level levels[MAX_SESSIONS];
	int n_levels;
	bool tty;
	struct termios saved;
};

/* a number, or the largest of an array of numbers (one per channel) */
static double loudest(json_object *v)
{
	double m = 0, x;
	size_t i;

	if (json_object_is_type(v, json_type_array)) {
		for (i = 0; i < json_object_array_length(v); i++)
			if ((x = json_object_get_double(json_object_array_get_idx(v, i))) > m)
				m = x;
		return m;
	}
	return json_object_get_double(v);
}

static void set_level(struct top *t, const char *name, json_object *obj)
{
	json_object *peak = NULL, *rms = NULL;
	int i;

	json_object_object_get_ex(obj, "peak", &peak);
	json_object_object_get_ex(obj, "rms", &rms);
	for (i = 0; i < t->n_levels && strcmp(t->levels[i].name, name) != 0; i++)
		;
	if (i == t->n_levels) {
		if (t->n_levels == MAX_SESSIONS)
			return;
		t->n_levels++;
		snprintf(t->levels[i].name, sizeof(t->levels[i].name), "%s", name);
	}
	t->levels[i].peak = peak ? loudest(peak) : 0;
	t->levels[i].rms = rms ? loudest(rms) : 0;
}

/* meter events: one session ({"session", "peak", "rms"}) or all of them ("sessions" as an
 * object by name or an array of objects with "name") */
static void take_meter(struct top *t, json_object *ev)
{
	json_object *v, *s, *name;
	size_t i;

	if (json_object_object_get_ex(ev, "session", &v) && json_object_is_type(v, json_type_string)) {
		set_level(t, json_object_get_string(v), ev);
		return;
	}
	if (!json_object_object_get_ex(ev, "sessions", &v))
		return;
	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, key, val)
			set_level(t, key, val);
	} else if (json_object_is_type(v, json_type_array)) {
		for (i = 0; i < json_object_array_length(v); i++) {
			s = json_object_array_get_idx(v, i);
			if (json_object_object_get_ex(s, "name", &name))
				set_level(t, json_object_get_string(name), s);
		}
	}
}

static double field_number(json_object *obj, const char *path)
{
	char key[64];
	const char *dot;
	json_object *v = obj;

	while (v != NULL && path != NULL) {
		dot = strchr(path, '.');
		snprintf(key, sizeof(key), "%.*s", dot ? (int)(dot - path) : (int)strlen(path), path);
		if (!json_object_object_get_ex(v, key, &v))
			return NAN;
		path = dot ? dot + 1 : NULL;
	}
	return v ? json_object_get_double(v) : NAN;
}

/* the first of several possible field names that the object has */
static json_object *any_field(json_object *obj, const char *const *keys)
{
	json_object *v;

	for (; *keys != NULL; keys++)
		if (json_object_object_get_ex(obj, *keys, &v))
			return v;
	return NULL;
}

static double to_db(double x)
{
	return x > 0 ? 20 * log10(x) : -INFINITY;
}

/* a bar for the level, -60 dB to 0 dB, `width` cells */
static void level_bar(double peak, int width, char *buf, size_t size)
{
	double db = to_db(peak);
	int fill = db <= -60 ? 0 : db >= 0 ? width : (int)((db + 60) / 60 * width + 0.5);
	size_t n = 0;
	int i;

	for (i = 0; i < width && n + 4 < size; i++) {
		const char *cell = i < fill ? "\u2588" : "\u00b7";
		memcpy(buf + n, cell, strlen(cell));
		n += strlen(cell);
	}
	buf[n] = '\0';
}

static void draw_header(struct top *t, int cols)
{
	json_object *s = t->stats;
	audiod_conn *c = t->ctl->conn;
	double up = field_number(s, "uptimeS");

	printf("audiod %s  %u Hz  %u ch  quantum %u  up %dh%02dm%02ds%s\n",
	       audiod_server_version(c), audiod_sample_rate(c), audiod_channels(c),
	       audiod_quantum(c), isnan(up) ? 0 : (int)up / 3600, isnan(up) ? 0 : (int)up / 60 % 60,
	       isnan(up) ? 0 : (int)up % 60, t->tty ? "\033[K" : "");
	printf("load  avg %5.1f%%  max %5.1f%%   underruns %.0f  xruns %.0f   ring %.0f frames   "
	       "queue %.0f/%.0f%s\n",
	       field_number(s, "renderLoad.avg") * 100, field_number(s, "renderLoad.max") * 100,
	       field_number(s, "underruns"), field_number(s, "xruns"), field_number(s, "ringFill"),
	       field_number(s, "queue.depth"), field_number(s, "queue.capacity"),
	       t->tty ? "\033[K" : "");
	printf("command latency  p50 %.2f ms  p99 %.2f ms  max %.2f ms   nodes %.0f  sessions %.0f"
	       "  clients %.0f%s\n\n",
	       field_number(s, "commandLatencyMs.p50"), field_number(s, "commandLatencyMs.p99"),
	       field_number(s, "commandLatencyMs.max"), field_number(s, "nodes"),
	       field_number(s, "sessions"), field_number(s, "clients"), t->tty ? "\033[K" : "");
	(void)cols;
}

static void draw_sessions(struct top *t, int cols, int rows)
{
	static const char *const name_keys[] = { "name", "session", NULL };
	static const char *const client_keys[] = { "clients", NULL };
	static const char *const node_keys[] = { "nodes", "nodeCount", NULL };
	static const char *const bytes_keys[] = { "bufferBytes", "buffers", "bytes", NULL };
	static const char *const level_keys[] = { "level", "peak", NULL };
	json_object *list = NULL, *s, *v;
	const char *name;
	char clients[256], bar[256];
	size_t i, n;
	double peak, rms, bytes;
	int j, bar_width = cols - 78 > 8 ? (cols - 78 < 40 ? cols - 78 : 40) : 8;

	printf("%s%-16s %7s %6s %10s %8s %8s  %-*s  %s%s\n", t->tty ? "\033[7m" : "", "SESSION",
	       "CLIENTS", "NODES", "BUFFERS", "PEAK dB", "RMS dB", bar_width, "LEVEL", "",
	       t->tty ? "\033[K\033[0m" : "");
	if (t->sessions != NULL)
		json_object_object_get_ex(t->sessions, "sessions", &list);
	n = list != NULL && json_object_is_type(list, json_type_array) ?
		    json_object_array_length(list) : 0;
	for (i = 0; i < n && (int)i < rows - 6; i++) {
		s = json_object_array_get_idx(list, i);
		v = any_field(s, name_keys);
		name = v ? json_object_get_string(v) : "?";
		v = any_field(s, client_keys);
		if (v != NULL && json_object_is_type(v, json_type_array))
			snprintf(clients, sizeof(clients), "%zu", json_object_array_length(v));
		else
			ctl_format_value(v, clients, sizeof(clients));
		/* the bus level from `sessions` until a meter event says more */
		v = any_field(s, level_keys);
		peak = rms = v ? loudest(v) : 0;
		for (j = 0; j < t->n_levels; j++)
			if (strcmp(t->levels[j].name, name) == 0)
				peak = t->levels[j].peak, rms = t->levels[j].rms;
		v = any_field(s, bytes_keys);
		bytes = v ? json_object_get_double(v) : 0;
		level_bar(peak, bar_width, bar, sizeof(bar));
		v = any_field(s, node_keys);
		printf("%-16.16s %7s %6d %8.1f M %8.1f %8.1f  %s%s\n", name, clients,
		       v ? json_object_get_int(v) : 0, bytes / 1e6, to_db(peak), to_db(rms), bar,
		       t->tty ? "\033[K" : "");
	}
}

static void window_size(int *cols, int *rows)
{
	struct winsize ws;

	*cols = 100;
	*rows = 40;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
		*cols = ws.ws_col;
		*rows = ws.ws_row;
	}
}

static void draw(struct top *t)
{
	int cols, rows;

	window_size(&cols, &rows);
	if (t->tty)
		printf("\033[H");
	draw_header(t, cols);
	draw_sessions(t, cols, rows);
	if (t->tty)
		printf("\033[J\033[%d;1H\033[2mq: quit\033[0m", rows);
	fflush(stdout);
}

/* stats and sessions, asked together */
static int refresh(struct top *t)
{
	json_object *req, *reply;
	audiod_error err;

	req = ctl_op("stats");
	err = audiod_send(t->ctl->conn, req);
	json_object_put(req);
	req = ctl_op("sessions");
	if (err == AUDIOD_OK)
		err = audiod_send(t->ctl->conn, req);
	json_object_put(req);
	if (err != AUDIOD_OK) {
		ctl_print_error(t->ctl, err);
		return -1;
	}
	err = audiod_recv_reply(t->ctl->conn, &reply);
	if (err == AUDIOD_OK) {
		json_object_put(t->stats);
		t->stats = reply;
		err = audiod_recv_reply(t->ctl->conn, &reply);
	}
	if (err == AUDIOD_OK) {
		json_object_put(t->sessions);
		t->sessions = reply;
	}
	if (err != AUDIOD_OK) {
		json_object_put(reply);
		ctl_print_error(t->ctl, err);
		return -1;
	}
	return 0;
}

static void drain_events(struct top *t)
{
	json_object *ev, *v;

	while (audiod_next_event(t->ctl->conn, 0, &ev) == AUDIOD_OK) {
		if (json_object_object_get_ex(ev, "event", &v) &&
		    strcmp(json_object_get_string(v), "meter") == 0)
			take_meter(t, ev);
		json_object_put(ev);
	}
}

static void screen_enter(struct top *t)
{
	struct termios raw;

	if (tcgetattr(STDIN_FILENO, &t->saved) == 0) {
		raw = t->saved;
		/* keys one at a time, unechoed; Ctrl-C still signals */
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	/* the alternate screen, cursor hidden */
	printf("\033[?1049h\033[?25l\033[2J");
}

static void screen_leave(struct top *t)
{
	printf("\033[?25h\033[?1049l");
	fflush(stdout);
	tcsetattr(STDIN_FILENO, TCSANOW, &t->saved);
}

/* true when q was pressed */
static bool key_quit(void)
{
	char c;

	while (read(STDIN_FILENO, &c, 1) == 1)
		if (c == 'q' || c == 'Q')
			return true;
	return false;
}

static int top_loop(struct top *t)
{
	struct pollfd pfd[2] = { { .fd = STDIN_FILENO, .events = POLLIN },
				 { .fd = audiod_fd(t->ctl->conn), .events = POLLIN } };
	struct timespec now;
	int64_t next = 0, ms;

	while (!stop_requested) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
		if (ms >= next) {
			if (refresh(t) < 0)
				return -1;
			drain_events(t);
			draw(t);
			next = ms + REFRESH_MS;
		}
		if (poll(pfd, 2, (int)(next - ms)) < 0 && errno != EINTR)
			return -1;
		if ((pfd[0].revents & POLLIN) && key_quit())
			break;
		if (pfd[1].revents & (POLLIN | POLLHUP))
			drain_events(t);
	}
	return 0;
}

int ctl_top_main(struct ctl *ctl, int argc, char **argv)
{
	static const char *const meter[] = { "meter", NULL };
	bool once = false;
	const struct ctl_opt opts[] = { { "once", NULL, &once }, { NULL } };
	struct top t = { .ctl = ctl };
	audiod_error err;
	char *pos[1];
	int n_pos, r;

	if (ctl_scan(ctl, argc, argv, opts, pos, 0, &n_pos) < 0) {
		fprintf(stderr, "usage: audioctl top [--once]\n");
		return CTL_EXIT_USAGE;
	}
	if (ctl_connect(ctl) < 0)
		return CTL_EXIT_FAIL;
	t.tty = !once && isatty(STDOUT_FILENO) && isatty(STDIN_FILENO);
	if (!t.tty) {
		r = refresh(&t);
		if (r == 0)
			draw(&t);
		json_object_put(t.stats);
		json_object_put(t.sessions);
		return r == 0 ? 0 : CTL_EXIT_FAIL;
	}
	if ((err = audiod_subscribe(ctl->conn, meter)) != AUDIOD_OK) {
		ctl_print_error(ctl, err);
		return CTL_EXIT_FAIL;
	}
	catch_signals();
	screen_enter(&t);
	r = top_loop(&t);
	screen_leave(&t);
	/* anything said on the alternate screen is gone with it */
	if (r < 0)
		ctl_print_error(ctl, AUDIOD_ERR_DISCONNECTED);
	json_object_put(t.stats);
	json_object_put(t.sessions);
	return r == 0 ? 0 : CTL_EXIT_FAIL;
}
