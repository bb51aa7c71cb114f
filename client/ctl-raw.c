/* audioctl raw mode: `send JSON...`, `-` (JSON lines from standard input) and `batch FILE`.
 * replies are printed exactly as they came, one a line.  a plain single-threaded program. */
#include "client/ctl.h"

#include <stdlib.h>
#include <string.h>

static void print_events(struct ctl *ctl)
{
	json_object *ev;

	while (audiod_next_event(ctl->conn, 0, &ev) == AUDIOD_OK) {
		ctl_print_json(ev);
		json_object_put(ev);
	}
}

/* one request as text; prints the reply; 0 when it succeeded */
static int send_one(struct ctl *ctl, const char *text)
{
	json_object *req = ctl_parse_json(text), *reply = NULL, *out;
	audiod_error err;

	if (req == NULL || !json_object_is_type(req, json_type_object)) {
		/* answered the way the daemon would, so a script sees one line per request */
		out = json_object_new_object();
		json_object_object_add(out, "ok", json_object_new_boolean(0));
		json_object_object_add(out, "error", json_object_new_object());
		json_object_object_add(json_object_object_get(out, "error"), "code",
				       json_object_new_string("parse_error"));
		json_object_object_add(json_object_object_get(out, "error"), "message",
				       json_object_new_string("not a JSON object"));
		ctl_print_json(out);
		json_object_put(out);
		json_object_put(req);
		return -1;
	}
	err = audiod_request(ctl->conn, req, &reply);
	json_object_put(req);
	print_events(ctl);
	if (reply != NULL)
		ctl_print_json(reply);
	else
		ctl_print_error(ctl, err);
	json_object_put(reply);
	/* without a reply the connection is gone: nothing more can succeed */
	if (err == AUDIOD_ERR_DISCONNECTED || err == AUDIOD_ERR_SYSTEM)
		exit(CTL_EXIT_FAIL);
	return err == AUDIOD_OK ? 0 : -1;
}

static int send_lines(struct ctl *ctl, FILE *f, bool keep_going)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int failed = 0;

	while ((n = getline(&line, &cap, f)) > 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (strspn(line, " \t") == (size_t)n)
			continue;
		if (send_one(ctl, line) < 0) {
			failed = 1;
			if (!keep_going)
				break;
		}
	}
	free(line);
	return failed;
}

static int raw_main(struct ctl *ctl, int argc, char **argv, bool allow_args)
{
	const struct ctl_opt opts[] = { { "keep-going", NULL, &(bool){ false } }, { NULL } };
	bool keep_going;
	char *pos[256];
	int n_pos, i, failed = 0;

	if (ctl_scan(ctl, argc, argv, opts, pos, allow_args ? 256 : 0, &n_pos) < 0)
		return CTL_EXIT_USAGE;
	keep_going = *opts[0].flag;
	if (ctl_connect(ctl) < 0)
		return CTL_EXIT_FAIL;
	if (n_pos == 0)
		return send_lines(ctl, stdin, keep_going) ? CTL_EXIT_FAIL : 0;
	for (i = 0; i < n_pos; i++) {
		if (strcmp(pos[i], "-") == 0 ? send_lines(ctl, stdin, keep_going) != 0
					     : send_one(ctl, pos[i]) < 0) {
			failed = 1;
			if (!keep_going)
				break;
		}
	}
	return failed ? CTL_EXIT_FAIL : 0;
}

int ctl_send_main(struct ctl *ctl, int argc, char **argv)
{
	return raw_main(ctl, argc, argv, true);
}

int ctl_stdin_main(struct ctl *ctl, int argc, char **argv)
{
	return raw_main(ctl, argc, argv, false);
}

int ctl_batch_main(struct ctl *ctl, int argc, char **argv)
{
	json_object *commands, *req, *reply;
	char *pos[1], *text;
	int n_pos;

	if (ctl_scan(ctl, argc, argv, NULL, pos, 1, &n_pos) < 0 || n_pos != 1) {
		fprintf(stderr, "usage: audioctl batch FILE\n");
		return CTL_EXIT_USAGE;
	}
	if ((text = ctl_read_file(ctl, pos[0])) == NULL)
		return CTL_EXIT_FAIL;
	commands = ctl_parse_json(text);
	free(text);
	if (commands == NULL || !json_object_is_type(commands, json_type_array)) {
		fprintf(stderr, "audioctl batch: %s: expected a JSON array of requests\n", pos[0]);
		json_object_put(commands);
		return CTL_EXIT_FAIL;
	}
	if (ctl_connect(ctl) < 0) {
		json_object_put(commands);
		return CTL_EXIT_FAIL;
	}
	req = ctl_op("batch");
	json_object_object_add(req, "commands", commands);
	if (ctl_call(ctl, req, &reply) < 0) {
		json_object_put(reply);
		return CTL_EXIT_FAIL;
	}
	if (ctl->json)
		ctl_print_json(reply);
	json_object_put(reply);
	return 0;
}
