/* options: audiod's command line (getopt_long).  main thread, at startup.
 * kept apart from the engine headers: <getopt.h> and engine/value.h both define
 * `struct option`. */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/bus.h"

static void usage(FILE *f)
{
	fputs("usage: audiod [options]\n"
	      "  --rate HZ          sample rate (48000)\n"
	      "  --channels N       output channels (2)\n"
	      "  --latency FRAMES   PipeWire quantum to ask for, node.latency (256; 0: default)\n"
	      "  --lead FRAMES      frames rendered ahead beyond one quantum (256)\n"
	      "  --lead-max FRAMES  the most the lead grows to after underruns (2048)\n"
	      "  --priority N       render thread SCHED_FIFO priority (70; 0: none)\n"
	      "  --target NAME      PipeWire node to play to (the session manager's choice)\n"
	      "  --node-name NAME   our PipeWire node name (audiod)\n"
	      "  --auto-ports       give the stream ports without a session manager (tests)\n"
	      "  --socket PATH      listen here ($AUDIOD_SOCKET, else\n"
	      "                     $XDG_RUNTIME_DIR/audiod/socket)\n"
	      "  --queue N          render command queue slots, a power of two (1024)\n"
	      "  --idle-suspend MS  suspend the stream after MS quiet with nothing due (3000;\n"
	      "                     0: never)\n"
	      "  --max-clients N    connections at once (64)\n"
	      "  --max-nodes N      nodes per session (4096)\n"
	      "  --max-buffer-mb N  buffer memory per session, MiB (1024)\n"
	      "  --max-buffer-total-mb N  buffer memory of all sessions, MiB (4096)\n"
	      "  --max-line BYTES   longest request line (16777216)\n"
	      "  --max-queued N     requests per connection waiting for replies (1024)\n"
	      "  --max-held N       edits a session may hold for a later `at` (4096)\n"
	      "  --max-held-total N the same, all sessions together (65536)\n"
	      "  --max-held-mb N    memory a session's held edits may take, MiB (64)\n"
	      "  --max-held-total-mb N  the same, all sessions together, MiB (256)\n"
	      "  --max-events N     automation events scheduled on one AudioParam (4096)\n"
	      "  --max-points N     values in one array: curves, PeriodicWave terms (65536)\n"
	      "  --max-backlog-kb N events queued to a client that does not read, KiB (1024)\n"
	      "  --max-sessions N   live sessions (64)\n"
	      "  --max-client-sessions N  sessions one connection may create (16)\n"
	      "  --max-session-load X  share of the render thread a session's graph may\n"
	      "                     take, by the costs measured at startup (0.5)\n"
	      "  --max-load X       the same for all sessions together (0.8)\n"
	      "  --hrtf FILE        SOFA dataset for HRTF panning ($AUDIOD_HRTF_SOFA, else\n"
	      "                     /usr/share/libmysofa/default.sofa)\n"
	      "  --state-dir DIR    keep persistent sessions in DIR (default:\n"
	      "                     $XDG_STATE_HOME/audiod/sessions)\n"
	      "  --no-persist       keep no session across restarts\n"
	      "  --config FILE      read options from FILE (default:\n"
	      "                     $XDG_CONFIG_HOME/audiod/audiod.conf, if it exists)\n"
	      "  -v, --verbose      debug messages\n"
	      "  -q, --quiet        warnings and errors only\n"
	      "  -h, --help         this text\n"
	      "  --version          print the version\n", f);
}

static int parse_uint(const char *s, const char *name, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v > max || s[0] == '-') {
		fprintf(stderr, "audiod: --%s: expected a whole number up to %u, got \"%s\"\n",
			name, max, s);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

static int parse_share(const char *s, const char *name, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || end == s || !(v > 0.0 && v <= 1.0)) {
		fprintf(stderr, "audiod: --%s: expected a share of the render thread's time, "
			"above 0 and at most 1, got \"%s\"\n", name, s);
		return -1;
	}
	*out = v;
	return 0;
}

enum { OPT_RATE = 256, OPT_CHANNELS, OPT_LATENCY, OPT_LEAD, OPT_LEAD_MAX, OPT_PRIORITY,
       OPT_TARGET, OPT_NODE_NAME, OPT_AUTO_PORTS, OPT_VERSION, OPT_SELFTEST,
       OPT_SOCKET, OPT_QUEUE, OPT_MAX_CLIENTS, OPT_MAX_NODES, OPT_MAX_BUFFER, OPT_MAX_LINE,
       OPT_MAX_QUEUED, OPT_MAX_HELD, OPT_MAX_HELD_TOTAL, OPT_MAX_BUFFER_TOTAL, OPT_MAX_HELD_MB,
       OPT_MAX_HELD_TOTAL_MB, OPT_MAX_EVENTS, OPT_MAX_POINTS, OPT_MAX_BACKLOG, OPT_MAX_SESSIONS,
       OPT_MAX_CLIENT_SESSIONS, OPT_MAX_SESSION_LOAD, OPT_MAX_LOAD, OPT_CONFIG, OPT_STATE_DIR,
       OPT_NO_PERSIST, OPT_HRTF, OPT_IDLE_SUSPEND };

static const struct option long_options[] = {
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "channels", required_argument, NULL, OPT_CHANNELS },
	{ "latency", required_argument, NULL, OPT_LATENCY },
	{ "lead", required_argument, NULL, OPT_LEAD },
	{ "lead-max", required_argument, NULL, OPT_LEAD_MAX },
	{ "priority", required_argument, NULL, OPT_PRIORITY },
	{ "target", required_argument, NULL, OPT_TARGET },
	{ "node-name", required_argument, NULL, OPT_NODE_NAME },
	{ "auto-ports", no_argument, NULL, OPT_AUTO_PORTS },
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "queue", required_argument, NULL, OPT_QUEUE },
	{ "max-clients", required_argument, NULL, OPT_MAX_CLIENTS },
	{ "max-nodes", required_argument, NULL, OPT_MAX_NODES },
	{ "max-buffer-mb", required_argument, NULL, OPT_MAX_BUFFER },
	{ "max-line", required_argument, NULL, OPT_MAX_LINE },
	{ "max-queued", required_argument, NULL, OPT_MAX_QUEUED },
	{ "max-held", required_argument, NULL, OPT_MAX_HELD },
	{ "max-held-mb", required_argument, NULL, OPT_MAX_HELD_MB },
	{ "max-held-total-mb", required_argument, NULL, OPT_MAX_HELD_TOTAL_MB },
	{ "max-events", required_argument, NULL, OPT_MAX_EVENTS },
	{ "max-points", required_argument, NULL, OPT_MAX_POINTS },
	{ "max-backlog-kb", required_argument, NULL, OPT_MAX_BACKLOG },
	{ "max-sessions", required_argument, NULL, OPT_MAX_SESSIONS },
	{ "max-client-sessions", required_argument, NULL, OPT_MAX_CLIENT_SESSIONS },
	{ "max-session-load", required_argument, NULL, OPT_MAX_SESSION_LOAD },
	{ "max-load", required_argument, NULL, OPT_MAX_LOAD },
	{ "max-buffer-total-mb", required_argument, NULL, OPT_MAX_BUFFER_TOTAL },
	{ "max-held-total", required_argument, NULL, OPT_MAX_HELD_TOTAL },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "rtcheck-selftest", no_argument, NULL, OPT_SELFTEST },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "idle-suspend", required_argument, NULL, OPT_IDLE_SUSPEND },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "no-persist", no_argument, NULL, OPT_NO_PERSIST },
	{ "hrtf", required_argument, NULL, OPT_HRTF },
	{ NULL, 0, NULL, 0 },
};

/* one option; 0 to go on, 1 to exit successfully, -1 on bad input */
/* the server's limits */
static int parse_limit(struct options *o, int c)
{
	struct server_limits *l = &o->server.limits;
	uint32_t v;

	switch (c) {
	case OPT_MAX_CLIENTS: return parse_uint(optarg, "max-clients", 65536, &l->clients);
	case OPT_MAX_NODES: return parse_uint(optarg, "max-nodes", 1u << 24, &l->nodes);
	case OPT_MAX_QUEUED: return parse_uint(optarg, "max-queued", 1u << 20, &l->queued);
	case OPT_MAX_HELD: return parse_uint(optarg, "max-held", 1u << 24, &l->held);
	case OPT_MAX_HELD_TOTAL:
		return parse_uint(optarg, "max-held-total", 1u << 26, &l->held_total);
	case OPT_MAX_BUFFER:
		if (parse_uint(optarg, "max-buffer-mb", 1u << 20, &v) < 0)
			return -1;
		l->buffer_bytes = (uint64_t)v << 20;
		return 0;
	case OPT_MAX_HELD_MB:
		if (parse_uint(optarg, "max-held-mb", 1u << 20, &v) < 0)
			return -1;
		l->held_bytes = (uint64_t)v << 20;
		return 0;
	case OPT_MAX_HELD_TOTAL_MB:
		if (parse_uint(optarg, "max-held-total-mb", 1u << 20, &v) < 0)
			return -1;
		l->held_bytes_total = (uint64_t)v << 20;
		return 0;
	case OPT_MAX_EVENTS: return parse_uint(optarg, "max-events", 1u << 24, &l->param_events);
	case OPT_MAX_POINTS:
		if (parse_uint(optarg, "max-points", 1u << 24, &v) < 0)
			return -1;
		l->max_points = v;
		return 0;
	case OPT_MAX_BACKLOG:
		if (parse_uint(optarg, "max-backlog-kb", 1u << 22, &v) < 0)
			return -1;
		l->backlog = (size_t)v << 10;
		return 0;
	case OPT_MAX_SESSIONS: return parse_uint(optarg, "max-sessions", 65536, &l->sessions);
	case OPT_MAX_CLIENT_SESSIONS:
		return parse_uint(optarg, "max-client-sessions", 65536, &l->client_sessions);
	case OPT_MAX_SESSION_LOAD: return parse_share(optarg, "max-session-load", &l->session_load);
	case OPT_MAX_LOAD: return parse_share(optarg, "max-load", &l->total_load);
	case OPT_MAX_BUFFER_TOTAL:
		if (parse_uint(optarg, "max-buffer-total-mb", 1u << 24, &v) < 0)
			return -1;
		l->buffer_bytes_total = (uint64_t)v << 20;
		return 0;
	case OPT_MAX_LINE:
		if (parse_uint(optarg, "max-line", 1u << 30, &v) < 0)
			return -1;
		l->max_line = v < 64 ? 64 : v;
		return 0;
	default: return -1;
	}
}

static int parse_one(struct options *o, int c)
{
	struct core_config *cc = &o->core;
	uint32_t prio;

	if (c >= OPT_MAX_CLIENTS && c <= OPT_MAX_LOAD)
		return parse_limit(o, c);
	switch (c) {
	case OPT_RATE: return parse_uint(optarg, "rate", 192000, &cc->rate);
	case OPT_CHANNELS: return parse_uint(optarg, "channels", MAX_CHANNELS, &cc->channels);
	case OPT_LATENCY: return parse_uint(optarg, "latency", 8192, &cc->latency);
	case OPT_LEAD: return parse_uint(optarg, "lead", 4096, &cc->lead);
	case OPT_LEAD_MAX: return parse_uint(optarg, "lead-max", 4096, &cc->lead_max);
	case OPT_PRIORITY:
		if (parse_uint(optarg, "priority", 99, &prio) < 0)
			return -1;
		cc->priority = (int)prio;
		return 0;
	case OPT_TARGET: cc->target = optarg; return 0;
	case OPT_NODE_NAME: cc->node_name = optarg; return 0;
	case OPT_AUTO_PORTS: cc->auto_port_config = true; return 0;
	case OPT_SOCKET: o->server.socket = optarg; return 0;
	case OPT_QUEUE: return parse_uint(optarg, "queue", 1u << 20, &cc->queue);
	case OPT_IDLE_SUSPEND:
		return parse_uint(optarg, "idle-suspend", 24u * 3600 * 1000, &cc->idle_suspend_ms);
	case OPT_SELFTEST: o->rtcheck_selftest = true; return 0;
	case OPT_STATE_DIR: o->state_dir = optarg; return 0;
	case OPT_NO_PERSIST: o->no_persist = true; return 0;
	case OPT_HRTF: o->server.hrtf = optarg; return 0;
	case OPT_CONFIG: return 0;	/* read before everything else */
	case 'v': o->level = LOG_LEVEL_DEBUG; return 0;
	case 'q': o->level = LOG_LEVEL_WARN; return 0;
	case 'h': usage(stdout); return 1;
	case OPT_VERSION: puts("audiod " AUDIOD_VERSION); return 1;
	default:
		if (opterr)	/* the config file reports its own errors */
			usage(stderr);
		return -1;
	}
}

/* runs getopt over argv; 0, 1 (exit successfully) or -1 */
static int parse_argv(struct options *o, int argc, char **argv)
{
	int c, res;

	optind = 0;	/* GNU getopt: start over, also for a second argv */
	while ((c = getopt_long(argc, argv, "vqh", long_options, NULL)) != -1)
		if ((res = parse_one(o, c)) != 0)
			return res;
	if (optind < argc) {
		fprintf(stderr, "audiod: unexpected argument \"%s\"\n", argv[optind]);
		return -1;
	}
	return 0;
}

/* the config file named by --config, else the default one when it exists (*must 0) */
static const char *config_path(int argc, char **argv, char *buf, size_t size, bool *must)
{
	const char *base = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	int i;

	*must = true;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			return argv[i + 1];
		if (strncmp(argv[i], "--config=", 9) == 0)
			return argv[i] + 9;
	}
	*must = false;
	if (base && base[0])
		snprintf(buf, size, "%s/audiod/audiod.conf", base);
	else if (home && home[0])
		snprintf(buf, size, "%s/.config/audiod/audiod.conf", home);
	else
		return NULL;
	return buf;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* the file's "key = value" lines (and bare "key" for switches; # comments) become
 * "--key=value" arguments, parsed like the command line, which comes after and wins */
static int parse_config(struct options *o, const char *path, bool must)
{
	static const char *const refused[] = { "config", "help", "version",
					       "rtcheck-selftest" };
	char line[1024];
	int lineno = 0, res = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		if (!must && errno == ENOENT)
			return 0;
		fprintf(stderr, "audiod: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (res == 0 && fgets(line, sizeof(line), f)) {
		char *key, *val = NULL, *eq, *arg, *hash = strchr(line, '#');
		char *argv[2];
		size_t i;

		lineno++;
		if (hash)
			*hash = '\0';
		key = trim(line);
		if (*key == '\0')
			continue;
		if ((eq = strchr(key, '=')) != NULL) {
			*eq = '\0';
			val = trim(eq + 1);
			key = trim(key);
		}
		for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
			if (strcmp(key, refused[i]) == 0)
				break;
		if (i < sizeof(refused) / sizeof(refused[0]) || key[0] == '-') {
			fprintf(stderr, "audiod: %s:%d: \"%s\" cannot be set in a config file\n",
				path, lineno, key);
			res = -1;
			break;
		}
		if (asprintf(&arg, val ? "--%s=%s" : "--%s", key, val) < 0) {
			res = -1;
			break;
		}
		/* optarg points into arg: it lives as long as the options */
		o->strings = realloc(o->strings, (o->n_strings + 1) * sizeof(*o->strings));
		if (o->strings == NULL) {
			free(arg);
			res = -1;
			break;
		}
		o->strings[o->n_strings++] = arg;
		argv[0] = "audiod";
		argv[1] = arg;
		opterr = 0;
		res = parse_argv(o, 2, argv);
		opterr = 1;
		if (res != 0) {
			fprintf(stderr, "audiod: %s:%d: bad option \"%s\"\n", path, lineno, key);
			res = -1;
		}
	}
	fclose(f);
	return res;
}

int options_parse(struct options *o, int argc, char **argv)
{
	char buf[4096];
	const char *path;
	bool must;
	int res;

	core_config_defaults(&o->core);
	server_config_defaults(&o->server);
	o->level = LOG_LEVEL_INFO;
	path = config_path(argc, argv, buf, sizeof(buf), &must);
	if (path && (res = parse_config(o, path, must)) != 0)
		return res;
	if ((res = parse_argv(o, argc, argv)) != 0)
		return res;
	if (o->core.lead_max < o->core.lead)
		o->core.lead_max = o->core.lead;
	return 0;
}

void options_fini(struct options *o)
{
	size_t i;

	for (i = 0; i < o->n_strings; i++)
		free(o->strings[i]);
	free(o->strings);
	o->strings = NULL;
	o->n_strings = 0;
}
