/* options: audiod's command line.  main thread, at startup. */
#ifndef AUDIOD_OPTIONS_H
#define AUDIOD_OPTIONS_H

#include <stdbool.h>

#include "core.h"
#include "log.h"
#include "config.h"

struct options {
	struct core_config core;
	struct server_config server;
	enum log_level level;
	bool rtcheck_selftest;
	const char *state_dir;	/* persistent sessions; NULL: $XDG_STATE_HOME/audiod/sessions */
	bool no_persist;	/* keep no session across restarts */
	char **strings;		/* config file arguments the parsed values point into */
	size_t n_strings;
};

/* fills o from argv (defaults first).  0 to run, 1 to exit successfully (--help,
 * --version), -1 after printing why the arguments are bad. */
int options_parse(struct options *o, int argc, char **argv);
void options_fini(struct options *o);

#endif
