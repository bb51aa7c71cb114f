/* audioctl's shared pieces: global options, connecting, option scanning, printing replies.
 * a plain single-threaded program. */
#ifndef AUDIOD_CLIENT_CTL_H
#define AUDIOD_CLIENT_CTL_H

#include <stdbool.h>
#include <stdio.h>

#include "client/audiod.h"

#define CTL_EXIT_FAIL 1
#define CTL_EXIT_USAGE 2

struct ctl {
	const char *socket;	/* --socket, NULL: as the daemon finds it */
	const char *session;	/* --session, NULL: default */
	bool ephemeral;
	/* --stream APP, --stream-role, --stream-target: the session's own playback stream */
	const char *stream_app, *stream_role, *stream_target;
	bool json;		/* --json: print replies as they came */
	const char *command;	/* the subcommand's name, for messages */
	audiod_conn *conn;
};

/* a subcommand: argv[0] is its name; returns the exit status */
typedef int (*ctl_main_fn)(struct ctl *ctl, int argc, char **argv);

/* one --long option of a subcommand: a value option sets *value, a flag sets *flag */
struct ctl_opt {
	const char *name;
	const char **value;
	bool *flag;
};

/* splits argv[1..] into options (of opts) and positionals (into pos, at most max_pos, count
 * in *n_pos).  "--name=value" and "--name value" both work; anything not starting with "--"
 * is positional ("-" and "-1" included); "--" ends the options.  prints and returns -1 on an
 * unknown option, a missing value or too many positionals. */
int ctl_scan(struct ctl *ctl, int argc, char **argv, const struct ctl_opt *opts, char **pos,
	     int max_pos, int *n_pos);

/* parses a number option; prints and returns -1 when it is not one */
int ctl_number(struct ctl *ctl, const char *opt, const char *text, double *out);
int ctl_int(struct ctl *ctl, const char *opt, const char *text, int *out);

/* connects once (and attaches to --session); prints why not (with how to start the daemon) and
 * returns -1 on failure */
int ctl_connect(struct ctl *ctl);

/* sends req (consumed) and waits for the reply; on failure prints the daemon's message and
 * returns -1 (reply, if wanted, is still set when one came) */
int ctl_call(struct ctl *ctl, json_object *req, json_object **reply);

/* the same with open descriptors passed along for the request's {"fd": K} specs (fds[K]);
 * they stay the caller's */
int ctl_call_fds(struct ctl *ctl, json_object *req, const int *fds, size_t n,
		 json_object **reply);

/* opens a sound file to pass its descriptor (the daemon may not see our paths); prints
 * "audioctl CMD: FILE: why" and returns -1 when it cannot */
int ctl_open_sound(struct ctl *ctl, const char *path);

/* prints an error reported by libaudiod for the last call */
void ctl_print_error(struct ctl *ctl, audiod_error err);

/* a new {"op": op} */
json_object *ctl_op(const char *op);

/* "440" -> 440, "true" -> true, "[1,2]" -> array, anything else -> the string itself */
json_object *ctl_value(const char *text);
/* "+S" (S seconds from now, resolved by the daemon) */
bool ctl_is_relative(const char *text);
/* a method argument: "+S" stays a string for the daemon, anything else as ctl_value */
json_object *ctl_time_value(const char *text);

/* the JSON value that is all of text, or NULL */
json_object *ctl_parse_json(const char *text);

/* key=value into obj; returns -1 (printed) when arg has no '=' */
int ctl_key_value(struct ctl *ctl, json_object *obj, const char *arg);

/* adds "at": T when at_text is set; -1 (printed) when it is not a number */
int ctl_add_at(struct ctl *ctl, json_object *req, const char *at_text);

/* the reply as one JSON line on stdout */
void ctl_print_json(json_object *obj);

/* a value for a table cell: strings bare, numbers %g, others compact JSON */
void ctl_format_value(json_object *v, char *buf, size_t size);

/* prints an array of objects as a table, columns in first-seen key order */
void ctl_print_table(json_object *rows);

/* prints an object as "key  value" lines, nested objects flattened as a.b */
void ctl_print_fields(json_object *obj, const char *const *skip);

/* reads a whole file ("-" is stdin); NULL (printed) on failure */
char *ctl_read_file(struct ctl *ctl, const char *path);

/* an absolute version of path (the daemon's working directory is not ours) */
char *ctl_absolute(const char *path);

/* subcommands, in the files named */
int ctl_send_main(struct ctl *ctl, int argc, char **argv);		/* ctl-raw.c */
int ctl_stdin_main(struct ctl *ctl, int argc, char **argv);
int ctl_batch_main(struct ctl *ctl, int argc, char **argv);
int ctl_create_main(struct ctl *ctl, int argc, char **argv);		/* ctl-graph.c */
int ctl_delete_main(struct ctl *ctl, int argc, char **argv);
int ctl_connect_main(struct ctl *ctl, int argc, char **argv);
int ctl_disconnect_main(struct ctl *ctl, int argc, char **argv);
int ctl_set_main(struct ctl *ctl, int argc, char **argv);
int ctl_param_main(struct ctl *ctl, int argc, char **argv);
int ctl_start_main(struct ctl *ctl, int argc, char **argv);
int ctl_stop_main(struct ctl *ctl, int argc, char **argv);
int ctl_buffer_main(struct ctl *ctl, int argc, char **argv);
int ctl_free_buffer_main(struct ctl *ctl, int argc, char **argv);
int ctl_get_main(struct ctl *ctl, int argc, char **argv);
int ctl_analyser_main(struct ctl *ctl, int argc, char **argv);
int ctl_ls_main(struct ctl *ctl, int argc, char **argv);
int ctl_save_main(struct ctl *ctl, int argc, char **argv);
int ctl_load_main(struct ctl *ctl, int argc, char **argv);
int ctl_graph_main(struct ctl *ctl, int argc, char **argv);
int ctl_sessions_main(struct ctl *ctl, int argc, char **argv);	/* ctl-info.c */
int ctl_close_session_main(struct ctl *ctl, int argc, char **argv);
int ctl_stats_main(struct ctl *ctl, int argc, char **argv);
int ctl_time_main(struct ctl *ctl, int argc, char **argv);
int ctl_sync_main(struct ctl *ctl, int argc, char **argv);
int ctl_wait_main(struct ctl *ctl, int argc, char **argv);
int ctl_play_main(struct ctl *ctl, int argc, char **argv);		/* ctl-play.c */
int ctl_watch_main(struct ctl *ctl, int argc, char **argv);		/* ctl-watch.c */
int ctl_top_main(struct ctl *ctl, int argc, char **argv);
int ctl_plugins_main(struct ctl *ctl, int argc, char **argv);	/* ctl-plugins.c */

#endif
