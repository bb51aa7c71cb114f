/* options: audiod's command line (getopt_long).  main thread, at startup.
 * kept apart from the engine headers: <getopt.h> and engine/value.h both define
 * `struct option`. */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

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
	      "  --max-clients N    connections at once (64)\n"
	      "  --max-nodes N      nodes per session (4096)\n"
	      "  --max-buffer-mb N  buffer memory per session, MiB (1024)\n"
	      "  --max-line BYTES   longest request line (16777216)\n"
	      "  --max-queued N     requests per connection waiting for replies (1024)\n"
	      "  --demo             play a 440 Hz sine at gain 0.2\n"
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

enum { OPT_RATE = 256, OPT_CHANNELS, OPT_LATENCY, OPT_LEAD, OPT_LEAD_MAX, OPT_PRIORITY,
       OPT_TARGET, OPT_NODE_NAME, OPT_AUTO_PORTS, OPT_DEMO, OPT_VERSION, OPT_SELFTEST,
       OPT_SOCKET, OPT_QUEUE, OPT_MAX_CLIENTS, OPT_MAX_NODES, OPT_MAX_BUFFER, OPT_MAX_LINE,
       OPT_MAX_QUEUED };

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
	{ "demo", no_argument, NULL, OPT_DEMO },
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "queue", required_argument, NULL, OPT_QUEUE },
	{ "max-clients", required_argument, NULL, OPT_MAX_CLIENTS },
	{ "max-nodes", required_argument, NULL, OPT_MAX_NODES },
	{ "max-buffer-mb", required_argument, NULL, OPT_MAX_BUFFER },
	{ "max-line", required_argument, NULL, OPT_MAX_LINE },
	{ "max-queued", required_argument, NULL, OPT_MAX_QUEUED },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "rtcheck-selftest", no_argument, NULL, OPT_SELFTEST },
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
	case OPT_MAX_BUFFER:
		if (parse_uint(optarg, "max-buffer-mb", 1u << 20, &v) < 0)
			return -1;
		l->buffer_bytes = (uint64_t)v << 20;
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

	if (c >= OPT_MAX_CLIENTS && c <= OPT_MAX_QUEUED)
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
	case OPT_DEMO: o->demo = true; return 0;
	case OPT_SOCKET: o->server.socket = optarg; return 0;
	case OPT_QUEUE: return parse_uint(optarg, "queue", 1u << 20, &cc->queue);
	case OPT_SELFTEST: o->rtcheck_selftest = true; return 0;
	case 'v': o->level = LOG_LEVEL_DEBUG; return 0;
	case 'q': o->level = LOG_LEVEL_WARN; return 0;
	case 'h': usage(stdout); return 1;
	case OPT_VERSION: puts("audiod " AUDIOD_VERSION); return 1;
	default: usage(stderr); return -1;
	}
}

int options_parse(struct options *o, int argc, char **argv)
{
	int c, res;

	core_config_defaults(&o->core);
	server_config_defaults(&o->server);
	o->level = LOG_LEVEL_INFO;
	while ((c = getopt_long(argc, argv, "vqh", long_options, NULL)) != -1)
		if ((res = parse_one(o, c)) != 0)
			return res;
	if (optind < argc) {
		fprintf(stderr, "audiod: unexpected argument \"%s\"\n", argv[optind]);
		return -1;
	}
	if (o->core.lead_max < o->core.lead)
		o->core.lead_max = o->core.lead;
	return 0;
}

