/* audioctl: the command-line client.  main() only picks the subcommand; each lives in its
 * own file.  a plain single-threaded program. */
#include <stdio.h>
#include <string.h>

#include "client/render.h"

static const struct command {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "render", audioctl_render_main, "render a graph document to a WAV file, offline" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: audioctl COMMAND [ARGS...]\n\ncommands:\n");
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n`audioctl COMMAND --help` describes each.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("audioctl %s\n", AUDIOD_VERSION);
		return 0;
	}
	for (i = 0; i < N_COMMANDS; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].main(argc - 1, argv + 1);
	fprintf(stderr, "audioctl: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return 2;
}
