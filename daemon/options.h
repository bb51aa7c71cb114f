/* options: audiod's command line.  main thread, at startup. */
#ifndef AUDIOD_OPTIONS_H
#define AUDIOD_OPTIONS_H

#include <stdbool.h>

#include "core.h"
#include "log.h"
#include "server.h"

struct options {
	struct core_config core;
	struct server_config server;
	enum log_level level;
	bool demo;
	bool rtcheck_selftest;
};

/* fills o from argv (defaults first).  0 to run, 1 to exit successfully (--help,
 * --version), -1 after printing why the arguments are bad. */
int options_parse(struct options *o, int argc, char **argv);

#endif
