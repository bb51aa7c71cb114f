/* audiod: the per-user Web Audio daemon: options, the real-time core (PipeWire output +
 * render thread), the socket server with its sessions (server.h), until SIGINT/SIGTERM.
 * main (control) thread. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <pipewire/pipewire.h>

#include "core.h"
#include "engine/engine.h"
#include "log.h"
#include "notify.h"
#include "options.h"
#include "persist.h"
#include "rtcheck.h"
#include "server.h"

#define FADE_MS 50		/* at shutdown, so stopping never clicks */

/* one line a test can grep: the run's totals */
static void report_final(struct core *c, const struct server *srv)
{
	struct core_stats st;
	/* client commands from receipt to their first frame, as stats' commandLatencyMs */
	double avg = srv->latency_count ? (double)srv->latency_sum_ns / srv->latency_count : 0.0;

	core_get_stats(c, &st);
	log_info("totals: cycles %llu, underruns %llu (%llu frames), xruns %llu, reconnects %llu, "
		 "lead %u, load avg %.3f max %.3f, command latency avg %.2f ms max %.2f ms",
		 (unsigned long long)st.output.cycles, (unsigned long long)st.render.underruns,
		 (unsigned long long)st.render.underrun_frames, (unsigned long long)st.output.xruns,
		 (unsigned long long)st.output.reconnects, st.render.lead, st.render.load_avg,
		 st.render.load_max, avg / 1e6, (double)srv->latency_max_ns / 1e6);
}

static void drain_events(struct core *c)
{
	struct engine_event ev;

	core_drain(c, NULL, NULL);
	while (engine_event_pop(core_engine(c), &ev))
		log_debug("event %d: node %u at %.6f s", (int)ev.type, ev.node_id, ev.time);
}

#define STATUS_EVERY_NS 5000000000ull

/* systemd's view, from the control loop: READY=1 once we listen and PipeWire plays us,
 * STATUS= now and then, WATCHDOG=1 only while the render thread goes round its loop */
struct supervise {
	struct core *core;
	struct server *srv;
	bool ready;
	uint64_t watchdog_ns;		/* half systemd's interval; 0: no watchdog */
	uint64_t next_watchdog, next_status;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void status_line(struct supervise *sv, char *buf, size_t size)
{
	struct core_stats st;
	size_t sessions = 0;
	struct session *x;

	core_get_stats(sv->core, &st);
	for (x = sv->srv->sessions; x; x = x->next)
		sessions++;
	snprintf(buf, size, "%s, %u Hz, %u client%s, %zu session%s, %zu nodes, "
		 "underruns %llu, load %.0f%%",
		 st.suspended ? "suspended (idle)" :
		 st.output.streaming ? "playing" : "waiting for PipeWire",
		 (unsigned)engine_sample_rate(core_engine(sv->core)), sv->srv->n_clients,
		 sv->srv->n_clients == 1 ? "" : "s", sessions, sessions == 1 ? "" : "s",
		 engine_node_count(core_engine(sv->core)),
		 (unsigned long long)st.render.underruns, st.render.load_avg * 100);
}

static void supervise_tick(void *data)
{
	struct supervise *sv = data;
	uint64_t t = now_ns();
	char line[200];

	core_tick(sv->core);
	if (!sv->ready) {
		struct core_stats st;
		core_get_stats(sv->core, &st);
		if (st.output.streaming) {
			status_line(sv, line, sizeof(line));
			notify_ready(line);
			sv->ready = true;
			sv->next_status = t + STATUS_EVERY_NS;
		}
	} else if (t >= sv->next_status) {
		status_line(sv, line, sizeof(line));
		notify_status("%s", line);
		sv->next_status = t + STATUS_EVERY_NS;
	}
	if (sv->watchdog_ns && t >= sv->next_watchdog) {
		if (core_alive(sv->core))
			notify_watchdog();
		else
			log_warn("render thread did not answer: no watchdog ping");
		core_poke(sv->core);
		sv->next_watchdog = t + sv->watchdog_ns;
	}
}

static void rtcheck_selftest(void)
{
	/* a call into libpipewire that allocates, from a thread marked real-time: the test
	 * build must abort here, proving the interposer reaches shared libraries */
	rtcheck_enter();
	pw_properties_free(pw_properties_new("rtcheck", "selftest", NULL));
	rtcheck_leave();
	fputs("audiod: rtcheck selftest did not abort\n", stderr);
}

static int block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	/* before any thread starts, so every thread inherits the mask */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC);
}

/* clients pass file descriptors (up to 16 waiting each): take the whole hard limit on open
 * files, as other daemons do, rather than the usual soft 1024 */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_warn("cannot raise the open files limit: %s", strerror(errno));
	}
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct error err = { 0 };
	struct server *srv = NULL;
	struct core *c;
	struct supervise sv = { 0 };
	struct persist *persist = NULL;
	int listen_fd, res, sigfd;

	if ((res = options_parse(&o, argc, argv)) != 0) {
		options_fini(&o);
		return res > 0 ? EXIT_SUCCESS : 2;
	}
	log_init(o.level, getenv("JOURNAL_STREAM") != NULL);
	raise_nofile();
	pw_init(NULL, NULL);
	if (o.rtcheck_selftest) {
		rtcheck_selftest();
		return EXIT_FAILURE;
	}
	/* socket activation hands us the listening socket; -1: we make our own */
	listen_fd = notify_listen_fd();
	if (listen_fd >= 0)
		log_info("socket activation: listening socket from systemd");
	sigfd = block_signals();
	if (sigfd < 0) {
		log_error("signalfd: %s", strerror(errno));
		return EXIT_FAILURE;
	}
	c = core_new(&o.core, &err);
	if (c == NULL) {
		log_error("%s", err.msg);
		return EXIT_FAILURE;
	}
	engine_set_limits(core_engine(c), &(struct engine_limits){
		.param_events = o.server.limits.param_events });
	res = core_start(c);
	if (res < 0) {
		log_error("cannot start: %s", strerror(-res));
	} else if ((srv = server_new(&o.server, c, listen_fd, &err)) == NULL) {
		log_error("%s", err.msg);
		res = -1;
	} else {
		persist = o.no_persist ? NULL : persist_new(o.state_dir);
		srv->persist = persist;
		persist_restore(persist, srv);
		sv.core = c;
		sv.srv = srv;
		sv.watchdog_ns = notify_watchdog_usec() * 1000 / 2;
		core_poke(c);
		server_set_tick(srv, supervise_tick, &sv);
		res = server_run(srv, sigfd);
		notify_stopping();
		log_info("stopping");
		report_final(c, srv);
		persist_save_all(persist, srv);
	}
	core_stop(c, FADE_MS);
	drain_events(c);
	server_free(srv);
	persist_free(persist);
	core_free(c);
	close(sigfd);
	pw_deinit();
	options_fini(&o);
	return res < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
