/* audioctl's read-only views and small ops: sessions, close-session, stats, time, sync, wait.
 * a plain single-threaded program. */
#include "client/ctl.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

static const char *const reply_skip[] = { "ok", "id", NULL };

/* sends {"op": op} (plus name), prints the reply as fields (or JSON); the exit status */
static int simple_op(struct ctl *ctl, int argc, char **argv, const char *op, bool takes_name)
{
	json_object *req, *reply, *list;
	char *pos[1];
	int n_pos;

	if (ctl_scan(ctl, argc, argv, NULL, pos, takes_name ? 1 : 0, &n_pos) < 0 ||
	    n_pos != (takes_name ? 1 : 0)) {
		fprintf(stderr, "usage: audioctl %s%s\n", op, takes_name ? " NAME" : "");
		return CTL_EXIT_USAGE;
	}
	if (ctl_connect(ctl) < 0)
		return CTL_EXIT_FAIL;
	req = ctl_op(op);
	if (takes_name)
		json_object_object_add(req, "name", json_object_new_string(pos[0]));
	if (ctl_call(ctl, req, &reply) < 0) {
		json_object_put(reply);
		return CTL_EXIT_FAIL;
	}
	if (ctl->json)
		ctl_print_json(reply);
	else if (strcmp(op, "sessions") == 0 && json_object_object_get_ex(reply, "sessions", &list) &&
		 json_object_is_type(list, json_type_array))
		ctl_print_table(list);
	else
		ctl_print_fields(reply, reply_skip);
	json_object_put(reply);
	return 0;
}

int ctl_sessions_main(struct ctl *ctl, int argc, char **argv)
{
	return simple_op(ctl, argc, argv, "sessions", false);
}

int ctl_close_session_main(struct ctl *ctl, int argc, char **argv)
{
	return simple_op(ctl, argc, argv, "close-session", true);
}

int ctl_stats_main(struct ctl *ctl, int argc, char **argv)
{
	return simple_op(ctl, argc, argv, "stats", false);
}

int ctl_time_main(struct ctl *ctl, int argc, char **argv)
{
	return simple_op(ctl, argc, argv, "time", false);
}

int ctl_sync_main(struct ctl *ctl, int argc, char **argv)
{
	return simple_op(ctl, argc, argv, "sync", false);
}

/* one `time` reading: context time, and the CLOCK_MONOTONIC instant (ns) at which context time
 * t is expected at the output */
struct reading {
	double now;
	double mono0;	/* ns, when `now` is heard */
};

static int read_time(struct ctl *ctl, struct reading *r)
{
	json_object *reply, *v;
	int res = -1;

	if (ctl_call(ctl, ctl_op("time"), &reply) == 0 &&
	    json_object_object_get_ex(reply, "currentTime", &v) &&
	    (r->now = json_object_get_double(v), true) &&
	    json_object_object_get_ex(reply, "monotonicNs", &v)) {
		r->mono0 = (double)json_object_get_int64(v);
		res = 0;
	}
	json_object_put(reply);
	return res;
}

static double mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* waits until context time T has been played out: sleeps until the instant the daemon's
 * `time` says T reaches the output, then asks again, since the daemon's clock is the one
 * that counts (it may have stalled or been suspended meanwhile) */
int ctl_wait_main(struct ctl *ctl, int argc, char **argv)
{
	const char *timeout_text = NULL;
	const struct ctl_opt opts[] = { { "timeout", &timeout_text, NULL }, { NULL } };
	double t, timeout = 0, deadline, left;
	struct reading r;
	char *pos[1];
	int n_pos;

	if (ctl_scan(ctl, argc, argv, opts, pos, 1, &n_pos) < 0 || n_pos != 1 ||
	    (timeout_text && ctl_number(ctl, "--timeout", timeout_text, &timeout) < 0) ||
	    (!ctl_is_relative(pos[0]) && ctl_number(ctl, "T", pos[0], &t) < 0)) {
		fprintf(stderr, "usage: audioctl wait T|+S [--timeout S]\n");
		return CTL_EXIT_USAGE;
	}
	if (ctl_connect(ctl) < 0 || read_time(ctl, &r) < 0)
		return CTL_EXIT_FAIL;
	if (ctl_is_relative(pos[0]))
		t = r.now + strtod(pos[0] + 1, NULL);
	deadline = mono_ns() + ((t > r.now ? t - r.now : 0) + (timeout > 0 ? timeout : 10)) * 1e9;
	for (;;) {
		left = r.mono0 + (t - r.now) * 1e9 - mono_ns();
		if (left <= 0)
			return 0;
		if (mono_ns() + left > deadline) {
			fprintf(stderr, "audioctl wait: context time %.6f not heard in time (now %.6f)\n",
				t, r.now);
			return CTL_EXIT_FAIL;
		}
		nanosleep(&(struct timespec){ (time_t)(left / 1e9), (long)fmod(left, 1e9) }, NULL);
		if (read_time(ctl, &r) < 0)
			return CTL_EXIT_FAIL;
	}
}
