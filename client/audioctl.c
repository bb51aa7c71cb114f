/* audioctl: the command-line client.  main() takes the global options and picks the
 * subcommand; each lives in a client/ctl-*.c file (render in render.c).
 * a plain single-threaded program. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/ctl.h"
#include "client/render.h"

static int render_main(struct ctl *ctl, int argc, char **argv)
{
	(void)ctl;
	return audioctl_render_main(argc, argv);
}

static const struct command {
	const char *name;
	ctl_main_fn main;
	const char *args;
	const char *summary;
	const char *help;	/* the options and details, after the usage line */
} commands[] = {
	{ "send", ctl_send_main, "[--keep-going] JSON...",
	  "send requests as JSON, print each reply as a line",
	  "Each JSON argument is one request ({\"op\":...}); with none, JSON lines are read from\n"
	  "standard input.  Stops at the first failed request unless --keep-going; exits 0 only\n"
	  "when every request succeeded.  Events (after a subscribe) are printed as they come.\n"
	  "  --keep-going   go on after a failed request\n" },
	{ "-", ctl_stdin_main, "[--keep-going]",
	  "send JSON lines from standard input (also `audioctl < file`)",
	  "The same as `audioctl send` with no JSON arguments.\n"
	  "  --keep-going   go on after a failed request\n" },
	{ "create", ctl_create_main, "TYPE [NAME] [KEY=VALUE...] [--at T]",
	  "create a node: new TYPE(context, {KEY: VALUE, ...})",
	  "TYPE is a Web Audio node type (OscillatorNode, GainNode, ...); KEY=VALUE are its\n"
	  "options (frequency=440 type=square).  buffer=NAME, curve=[...] and periodicWave={...}\n"
	  "are passed as the create op's own fields.  Without NAME the daemon picks one and it is\n"
	  "printed.  VALUEs are JSON when they parse as JSON (numbers, true, [1,2]), else strings.\n"
	  "  --at T   apply at context time T (+S: S seconds from now)\n" },
	{ "delete", ctl_delete_main, "NAME [--at T]", "drop every connection of a node and free it",
	  "  --at T   apply at context time T (+S: S seconds from now)\n" },
	{ "connect", ctl_connect_main, "FROM TO[.PARAM] [--output N] [--input N] [--at T]",
	  "connect a node to a node or to an AudioParam",
	  "TO is a node name, `destination` (the session's output) or NODE.PARAM (g.gain).\n"
	  "  --output N   the output of FROM (0)\n"
	  "  --input N    the input of TO (0)\n"
	  "  --at T       apply at context time T (+S: S seconds from now)\n" },
	{ "disconnect", ctl_disconnect_main, "FROM [TO[.PARAM]] [--output N] [--input N] [--at T]",
	  "disconnect (every overload of disconnect())",
	  "Without TO every connection of FROM (or of its --output) goes.\n"
	  "  --output N   only this output of FROM\n"
	  "  --input N    only this input of TO\n"
	  "  --at T       apply at context time T (+S: S seconds from now)\n" },
	{ "set", ctl_set_main, "NODE ATTR VALUE [--at T]", "set an attribute (type, loop, buffer, ...)",
	  "VALUE is JSON when it parses as JSON, else a string: `set osc type sawtooth`,\n"
	  "`set src loop true`, `set ws curve [-1,0,1]`.\n"
	  "  --at T   apply at context time T (+S: S seconds from now)\n" },
	{ "param", ctl_param_main, "NODE.PARAM METHOD [ARGS...] [--at T]",
	  "call an AudioParam method (value, setValueAtTime, linearRampToValueAtTime, ...)",
	  "`param g.gain value 0.5` sets .value; `param g.gain linearRampToValueAtTime 0 +2.5`\n"
	  "(to 0 over the next 2.5 s: a time written +S is S seconds from now);\n"
	  "`param o.frequency setValueCurveAtTime [440,880,440] 1 2`;\n"
	  "`param o.frequency automationRate k-rate`.  ARGS are JSON when they parse as JSON.\n"
	  "  --at T   apply at context time T (+S: S seconds from now)\n" },
	{ "start", ctl_start_main, "NODE [--when T] [--offset S] [--duration S] [--at T]",
	  "start a source node", "  --when T       context time to start at (0: now; +S: S seconds from now)\n"
	  "  --offset S     AudioBufferSourceNode: where in the buffer to start\n"
	  "  --duration S   AudioBufferSourceNode: how much to play\n"
	  "  --at T         apply the command at context time T\n" },
	{ "stop", ctl_stop_main, "NODE [--when T] [--at T]", "stop a source node",
	  "  --when T   context time to stop at (0: now; +S: S seconds from now)\n"
	  "  --at T     apply the command at context time T\n" },
	{ "buffer", ctl_buffer_main, "NAME FILE|GENERATOR|JSON [KEY=VALUE...] [--native-rate]",
	  "load a sound file or generate a buffer",
	  "FILE is decoded and converted to the context's rate (decodeAudioData); with\n"
	  "--native-rate it keeps its own (createBuffer).  GENERATOR is noise, impulse, dc or sine\n"
	  "with KEY=VALUE fields (seed=1 length=48000 numberOfChannels=2 sampleRate=48000\n"
	  "frequency=440 value=0.5 at=0 decayPow=2); length defaults to one second, channels to 1,\n"
	  "the rate to the context's.  A JSON object is sent as the BUFSPEC itself.\n"
	  "  --native-rate   keep the file's sample rate\n" },
	{ "free-buffer", ctl_free_buffer_main, "NAME", "free a buffer", "" },
	{ "get", ctl_get_main, "NODE", "show a node's attributes and current param values", "" },
	{ "analyser", ctl_analyser_main, "NODE [METHOD]",
	  "read an AnalyserNode (getFloatFrequencyData, ...)",
	  "METHOD is getFloatFrequencyData (the default), getByteFrequencyData,\n"
	  "getFloatTimeDomainData or getByteTimeDomainData.\n" },
	{ "batch", ctl_batch_main, "FILE", "apply a JSON array of commands all at once",
	  "FILE (- for standard input) holds a JSON array of requests; they are validated\n"
	  "together and applied in the same render quantum, or none is.\n" },
	{ "ls", ctl_ls_main, "[--names]", "list the session's nodes: type, connections, params",
	  "  --names   only the node names, one a line\n" },
	{ "save", ctl_save_main, "[FILE]", "save the session as a graph document",
	  "Writes to FILE, or standard output when FILE is missing or -.\n" },
	{ "load", ctl_load_main, "FILE [--replace]", "build a graph document into the session",
	  "Relative buffer file names are taken relative to FILE's folder.\n"
	  "  --replace   clear the session first\n" },
	{ "graph", ctl_graph_main, "[--dot]", "print the session graph as Graphviz DOT",
	  "Nodes are labelled with their type and options; connections to an AudioParam are\n"
	  "dashed and labelled with the param.  `audioctl graph | dot -Tsvg > graph.svg`\n"
	  "  --dot   DOT output (the only format, the default)\n" },
	{ "sync", ctl_sync_main, "", "wait until every earlier command is applied; print the frame",
	  "" },
	{ "wait", ctl_wait_main, "T|+S [--timeout S]",
	  "wait until context time T (or S seconds from now) has been heard",
	  "Returns once the output has played context time T, by the daemon's own clock (asked\n"
	  "again after each sleep, so a stalled or suspended output is waited for).  A batch's\n"
	  "reply has `now`, what its \"+S\" times counted from: `audioctl wait` NOW+END waits\n"
	  "for its whole schedule.\n"
	  "  --timeout S   give up (exit 1) S seconds after T should have been heard (10)\n" },
	{ "time", ctl_time_main, "", "the context time, frame and latencies", "" },
	{ "stats", ctl_stats_main, "", "the daemon's counters: load, underruns, xruns, latency", "" },
	{ "sessions", ctl_sessions_main, "", "list the sessions with clients, nodes and levels", "" },
	{ "close-session", ctl_close_session_main, "NAME", "close a persistent session", "" },
	{ "play", ctl_play_main, "FILE [--no-wait] [--loop] [--gain G]",
	  "play a sound file and wait until it ends",
	  "Loads FILE into a buffer, plays it with an AudioBufferSourceNode to the session's\n"
	  "output and waits for its end; Ctrl-C stops it.  The nodes and the buffer are removed\n"
	  "afterwards.\n"
	  "  --no-wait   return at once, leaving the nodes (named play-PID) to play\n"
	  "  --loop      loop until Ctrl-C (or forever with --no-wait)\n"
	  "  --gain G    play through a GainNode with this gain\n" },
	{ "watch", ctl_watch_main, "[EVENT...]", "print events until interrupted",
	  "EVENTs are ended, xrun, session and meter (all of them by default).\n" },
	{ "top", ctl_top_main, "[--once]", "a live view of load, xruns, latency and sessions",
	  "Refreshes a few times a second; q (or Ctrl-C) quits.\n"
	  "  --once   print one view and exit (also when standard output is not a terminal)\n" },
	{ "plugins", ctl_plugins_main, "[--all] [URI]",
	  "list the LV2 plugins an LV2Node can host (no daemon)",
	  "Lists the installed LV2 plugins ($LV2_PATH) an LV2Node can run: URI, name, audio\n"
	  "input and output channels, and the params (control ports by symbol).  With URI, one\n"
	  "plugin's params with their default, range and automation rate.  --json prints the\n"
	  "same as JSON.\n"
	  "  --all   the plugins an LV2Node cannot run too, with the reason\n" },
	{ "render", render_main, "DOC.json -o OUT.wav [...]",
	  "render a graph document to a WAV file, offline (no daemon)", NULL },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: audioctl [--session NAME [--ephemeral]] [--socket PATH] [--json] "
		"COMMAND [ARGS...]\n\ncommands:\n");
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "  %-14s %s\n", "help", "this list; `audioctl help COMMAND` describes one");
	fprintf(f, "\nglobal options:\n"
		"  --session NAME   work in session NAME (created if needed) instead of default\n"
		"  --ephemeral      with --session: the session goes when its last client leaves\n"
		"  --stream APP     with --session: a new session plays into a PipeWire stream of\n"
		"                   its own, application name APP (--stream-role ROLE,\n"
		"                   --stream-target SINK)\n"
		"  --socket PATH    the daemon's socket (default $AUDIOD_SOCKET, else\n"
		"                   $XDG_RUNTIME_DIR/audiod/socket)\n"
		"  --json           print the daemon's replies as JSON lines\n"
		"\n`audioctl COMMAND --help` describes each.  See audioctl(1).\n");
}

static void command_help(const struct command *c)
{
	printf("usage: audioctl [GLOBAL OPTIONS] %s %s\n\n%s.\n", c->name, c->args, c->summary);
	if (c->help != NULL && c->help[0] != '\0')
		printf("\n%s", c->help);
}

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

/* takes a global option at argv[*i] (advancing past its value); 0 when it is none, -1 on a
 * missing value */
static int global_option(struct ctl *ctl, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	const char **target = NULL;
	size_t len;

	if (strcmp(a, "--json") == 0) {
		ctl->json = true;
		return 1;
	}
	if (strcmp(a, "--ephemeral") == 0) {
		ctl->ephemeral = true;
		return 1;
	}
	if (strncmp(a, "--session", 9) == 0 && (a[9] == '\0' || a[9] == '='))
		target = &ctl->session, len = 9;
	else if (strncmp(a, "--socket", 8) == 0 && (a[8] == '\0' || a[8] == '='))
		target = &ctl->socket, len = 8;
	else if (strncmp(a, "--stream-role", 13) == 0 && (a[13] == '\0' || a[13] == '='))
		target = &ctl->stream_role, len = 13;
	else if (strncmp(a, "--stream-target", 15) == 0 && (a[15] == '\0' || a[15] == '='))
		target = &ctl->stream_target, len = 15;
	else if (strncmp(a, "--stream", 8) == 0 && (a[8] == '\0' || a[8] == '='))
		target = &ctl->stream_app, len = 8;
	else
		return 0;
	if (a[len] == '=') {
		*target = a + len + 1;
		return 1;
	}
	if (*i + 1 >= argc) {
		fprintf(stderr, "audioctl: %s needs a value\n", a);
		return -1;
	}
	*target = argv[++*i];
	return 1;
}

/* removes the global options from argv (all of them before the command; after it too, up to
 * a "--", except for render, whose options are its own) and returns the new argc */
static int take_global_options(struct ctl *ctl, int argc, char **argv)
{
	bool after_command = false, render = false;
	int i, out = 1, r;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0 && after_command) {
			while (i < argc)
				argv[out++] = argv[i++];
			break;
		}
		if (!render && (r = global_option(ctl, argc, argv, &i)) != 0) {
			if (r < 0)
				return -1;
			continue;
		}
		if (!after_command && argv[i][0] != '-')
			render = strcmp(argv[i], "render") == 0;
		if (!after_command && (argv[i][0] != '-' || strcmp(argv[i], "-") == 0))
			after_command = true;
		argv[out++] = argv[i];
	}
	argv[out] = NULL;
	return out;
}

static bool wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	}
	return false;
}

static int run(struct ctl *ctl, const struct command *c, int argc, char **argv)
{
	int status;

	if (c->help != NULL && wants_help(argc, argv)) {
		command_help(c);
		return 0;
	}
	ctl->command = c->name;
	status = c->main(ctl, argc, argv);
	audiod_disconnect(ctl->conn);
	ctl->conn = NULL;
	return status;
}

int main(int argc, char **argv)
{
	struct ctl ctl = { 0 };
	const struct command *c;

	if ((argc = take_global_options(&ctl, argc, argv)) < 0)
		return CTL_EXIT_USAGE;
	if (ctl.ephemeral && ctl.session == NULL) {
		fprintf(stderr, "audioctl: --ephemeral needs --session NAME\n");
		return CTL_EXIT_USAGE;
	}
	if ((ctl.stream_role || ctl.stream_target) && ctl.stream_app == NULL) {
		fprintf(stderr, "audioctl: --stream-role and --stream-target need --stream APP\n");
		return CTL_EXIT_USAGE;
	}
	if (ctl.stream_app && ctl.session == NULL) {
		fprintf(stderr, "audioctl: --stream needs --session NAME\n");
		return CTL_EXIT_USAGE;
	}
	if (argc < 2) {
		/* a pipe on standard input is raw mode */
		if (!isatty(STDIN_FILENO))
			return run(&ctl, find_command("-"), argc, argv);
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		if (argc > 2 && (c = find_command(argv[2])) != NULL) {
			char *help_argv[] = { argv[2], (char *)"--help", NULL };

			if (c->help == NULL)
				return run(&ctl, c, 2, help_argv);
			command_help(c);
			return 0;
		}
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("audioctl %s\n", AUDIOD_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "--keep-going") == 0)
		return run(&ctl, find_command("-"), argc, argv);
	if ((c = find_command(argv[1])) != NULL)
		return run(&ctl, c, argc - 1, argv + 1);
	fprintf(stderr, "audioctl: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return CTL_EXIT_USAGE;
}
