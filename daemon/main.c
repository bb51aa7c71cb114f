/* audiod: the per-user Web Audio daemon.  for now: options, the real-time core (PipeWire
 * output + render thread) and an optional demo graph, until SIGINT/SIGTERM.  the socket
 * server and sessions plug in through daemon/core.h.  main (control) thread. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <pipewire/pipewire.h>

#include "core.h"
#include "demo.h"
#include "engine/engine.h"
#include "log.h"
#include "options.h"
#include "rtcheck.h"

#define FADE_MS 50		/* at shutdown, so stopping never clicks */
#define STATS_EVERY_MS 5000	/* debug-level stats line */

static void report(struct core *c, struct core_stats *prev)
{
	struct core_stats st;

	core_get_stats(c, &st);
	if (st.render.underruns != prev->render.underruns)
		log_warn("underruns: %llu (+%llu frames of silence); lead now %u frames",
			 (unsigned long long)st.render.underruns,
			 (unsigned long long)(st.render.underrun_frames -
					      prev->render.underrun_frames),
			 st.render.lead);
	if (st.output.xruns != prev->output.xruns)
		log_warn("pipewire xruns: %llu", (unsigned long long)st.output.xruns);
	log_debug("quantum %u, lead %u, fill %u, load avg %.3f max %.3f recent %.3f, "
		  "latency %.1f ms base + %.1f ms output, rt %s/%s",
		  st.output.quantum, st.render.lead, st.render.fill, st.render.load_avg,
		  st.render.load_max, st.render.load_recent_max, st.base_latency * 1e3,
		  st.output_latency * 1e3, st.output.rt ? "yes" : "no",
		  st.render.rt ? "yes" : "no");
	*prev = st;
}

/* one line a test can grep: the run's totals */
static void report_final(struct core *c)
{
	struct core_stats st;

	core_get_stats(c, &st);
	log_info("totals: cycles %llu, underruns %llu (%llu frames), xruns %llu, reconnects %llu, "
		 "lead %u, load avg %.3f max %.3f, command latency avg %.2f ms max %.2f ms",
		 (unsigned long long)st.output.cycles, (unsigned long long)st.render.underruns,
		 (unsigned long long)st.render.underrun_frames, (unsigned long long)st.output.xruns,
		 (unsigned long long)st.output.reconnects, st.render.lead, st.render.load_avg,
		 st.render.load_max, st.latency_avg_ns / 1e6, (double)st.latency_max_ns / 1e6);
}

static void drain_events(struct core *c)
{
	struct engine_event ev;

	core_drain(c, NULL, NULL);
	while (engine_event_pop(core_engine(c), &ev))
		log_debug("event %d: node %u at %.6f s", (int)ev.type, ev.node_id, ev.time);
}

/* the control loop until SIGINT or SIGTERM */
static int run(struct core *c, int sigfd)
{
	struct pollfd p = { .fd = sigfd, .events = POLLIN };
	struct signalfd_siginfo si;
	struct core_stats prev = { 0 };
	int waited = 0;

	for (;;) {
		int n = poll(&p, 1, 100);

		if (n < 0 && errno != EINTR)
			return -errno;
		drain_events(c);
		if (n > 0 && read(sigfd, &si, sizeof(si)) == sizeof(si)) {
			log_info("%s: stopping", strsignal((int)si.ssi_signo));
			report_final(c);
			return 0;
		}
		if ((waited += 100) >= STATS_EVERY_MS) {
			report(c, &prev);
			waited = 0;
		}
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

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct error err = { 0 };
	struct core *c;
	int res, sigfd;

	if ((res = options_parse(&o, argc, argv)) != 0)
		return res > 0 ? EXIT_SUCCESS : 2;
	log_init(o.level, getenv("JOURNAL_STREAM") != NULL);
	pw_init(NULL, NULL);
	if (o.rtcheck_selftest) {
		rtcheck_selftest();
		return EXIT_FAILURE;
	}
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
	res = core_start(c);
	if (res < 0)
		log_error("cannot start: %s", strerror(-res));
	else if (!o.demo || (res = demo_start(c)) == 0)
		res = run(c, sigfd);
	core_stop(c, FADE_MS);
	drain_events(c);
	core_free(c);
	close(sigfd);
	pw_deinit();
	return res < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
