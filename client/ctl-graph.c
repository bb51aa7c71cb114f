/* audioctl's graph subcommands: create, delete, connect, disconnect, set, param, start, stop,
 * buffer, free-buffer, get, analyser, ls, save, load, graph.  each builds one op from Web
 * Audio words.  a plain single-threaded program. */
#include "client/ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ARGS 256

static int usage_error(struct ctl *ctl, const char *args)
{
	fprintf(stderr, "usage: audioctl %s %s\n", ctl->command, args);
	return CTL_EXIT_USAGE;
}

/* sends req (consumed) with the descriptors its {"fd": K} specs name (closed here); prints
 * the reply under --json; the exit status */
static int finish_fds(struct ctl *ctl, json_object *req, int *fds, size_t n_fds)
{
	json_object *reply;
	int r = -1;

	if (ctl_connect(ctl) == 0) {
		r = ctl_call_fds(ctl, req, fds, n_fds, &reply);
		if (r == 0 && ctl->json)
			ctl_print_json(reply);
		json_object_put(reply);
	} else {
		json_object_put(req);
	}
	for (size_t i = 0; i < n_fds; i++)
		close(fds[i]);
	return r == 0 ? 0 : CTL_EXIT_FAIL;
}

static int finish(struct ctl *ctl, json_object *req)
{
	return finish_fds(ctl, req, NULL, 0);
}

static void add_string(json_object *obj, const char *key, const char *value)
{
	json_object_object_add(obj, key, json_object_new_string(value));
}

/* fields of create that are not options (PROTOCOL.md §4) */
static bool is_create_field(const char *key, size_t len)
{
	static const char *const fields[] = { "buffer", "curve", "periodicWave" };
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strlen(fields[i]) == len && strncmp(key, fields[i], len) == 0)
			return true;
	return false;
}

int ctl_create_main(struct ctl *ctl, int argc, char **argv)
{
	const char *at = NULL, *name = NULL, *id;
	const struct ctl_opt opts[] = { { "at", &at, NULL }, { NULL } };
	json_object *req, *options, *reply, *v;
	char *pos[MAX_ARGS], *eq;
	int n_pos, i, r;

	if (ctl_scan(ctl, argc, argv, opts, pos, MAX_ARGS, &n_pos) < 0 || n_pos < 1)
		return usage_error(ctl, "TYPE [NAME] [KEY=VALUE...] [--at T]");
	req = ctl_op("create");
	options = json_object_new_object();
	add_string(req, "type", pos[0]);
	for (i = 1; i < n_pos; i++) {
		eq = strchr(pos[i], '=');
		if (eq == NULL && i == 1) {
			name = pos[i];
			continue;
		}
		if (eq != NULL && is_create_field(pos[i], (size_t)(eq - pos[i])))
			r = ctl_key_value(ctl, req, pos[i]);
		else
			r = ctl_key_value(ctl, options, pos[i]);
		if (r < 0)
			goto usage;
	}
	if (name != NULL)
		add_string(req, "id", name);
	if (json_object_object_length(options) > 0)
		json_object_object_add(req, "options", json_object_get(options));
	if (ctl_add_at(ctl, req, at) < 0)
		goto usage;
	json_object_put(options);
	if (ctl_connect(ctl) < 0) {
		json_object_put(req);
		return CTL_EXIT_FAIL;
	}
	if (ctl_call(ctl, req, &reply) < 0) {
		json_object_put(reply);
		return CTL_EXIT_FAIL;
	}
	if (ctl->json) {
		ctl_print_json(reply);
	} else if (name == NULL) {
		/* the daemon named it: the user needs the name to go on */
		id = json_object_object_get_ex(reply, "id", &v) ? json_object_get_string(v) : "?";
		printf("%s\n", id);
	}
	json_object_put(reply);
	return 0;
usage:
	json_object_put(options);
	json_object_put(req);
	return CTL_EXIT_USAGE;
}

int ctl_delete_main(struct ctl *ctl, int argc, char **argv)
{
	const char *at = NULL;
	const struct ctl_opt opts[] = { { "at", &at, NULL }, { NULL } };
	json_object *req;
	char *pos[1];
	int n_pos;

	if (ctl_scan(ctl, argc, argv, opts, pos, 1, &n_pos) < 0 || n_pos != 1)
		return usage_error(ctl, "NAME [--at T]");
	req = ctl_op("delete");
	add_string(req, "id", pos[0]);
	if (ctl_add_at(ctl, req, at) < 0) {
		json_object_put(req);
		return CTL_EXIT_USAGE;
	}
	return finish(ctl, req);
}

/* connect and disconnect: FROM [TO] [--output N] [--input N] [--at T] */
static int link_main(struct ctl *ctl, int argc, char **argv, const char *op, int min_pos)
{
	const char *at = NULL, *output = NULL, *input = NULL;
	const struct ctl_opt opts[] = { { "at", &at, NULL }, { "output", &output, NULL },
					{ "input", &input, NULL }, { NULL } };
	json_object *req;
	char *pos[2];
	int n_pos, n;

	if (ctl_scan(ctl, argc, argv, opts, pos, 2, &n_pos) < 0 || n_pos < min_pos)
		return usage_error(ctl, min_pos == 2 ?
			"FROM TO[.PARAM] [--output N] [--input N] [--at T]" :
			"FROM [TO[.PARAM]] [--output N] [--input N] [--at T]");
	req = ctl_op(op);
	add_string(req, "from", pos[0]);
	if (n_pos > 1)
		add_string(req, "to", pos[1]);
	if (output != NULL) {
		if (ctl_int(ctl, "--output", output, &n) < 0)
			goto usage;
		json_object_object_add(req, "output", json_object_new_int(n));
	}
	if (input != NULL) {
		if (ctl_int(ctl, "--input", input, &n) < 0)
			goto usage;
		json_object_object_add(req, "input", json_object_new_int(n));
	}
	if (ctl_add_at(ctl, req, at) < 0)
		goto usage;
	return finish(ctl, req);
usage:
	json_object_put(req);
	return CTL_EXIT_USAGE;
}

int ctl_connect_main(struct ctl *ctl, int argc, char **argv)
{
	return link_main(ctl, argc, argv, "connect", 2);
}

int ctl_disconnect_main(struct ctl *ctl, int argc, char **argv)
{
	return link_main(ctl, argc, argv, "disconnect", 1);
}

int ctl_set_main(struct ctl *ctl, int argc, char **argv)
{
	const char *at = NULL;
	const struct ctl_opt opts[] = { { "at", &at, NULL }, { NULL } };
	json_object *req;
	char *pos[3];
	int n_pos;

	if (ctl_scan(ctl, argc, argv, opts, pos, 3, &n_pos) < 0 || n_pos != 3)
		return usage_error(ctl, "NODE ATTR VALUE [--at T]");
	req = ctl_op("set");
	add_string(req, "id", pos[0]);
	add_string(req, "attr", pos[1]);
	json_object_object_add(req, "value", ctl_value(pos[2]));
	if (ctl_add_at(ctl, req, at) < 0) {
		json_object_put(req);
		return CTL_EXIT_USAGE;
	}
	return finish(ctl, req);
}

int ctl_param_main(struct ctl *ctl, int argc, char **argv)
{
	const char *at = NULL;
	const struct ctl_opt opts[] = { { "at", &at, NULL }, { NULL } };
	json_object *req, *args;
	char *pos[MAX_ARGS];
	int n_pos, i;

	if (ctl_scan(ctl, argc, argv, opts, pos, MAX_ARGS, &n_pos) < 0 || n_pos < 2)
		return usage_error(ctl, "NODE.PARAM METHOD [ARGS...] [--at T]");
	req = ctl_op("param");
	add_string(req, "target", pos[0]);
	add_string(req, "method", pos[1]);
	args = json_object_new_array();
	for (i = 2; i < n_pos; i++)
		json_object_array_add(args, ctl_time_value(pos[i]));
	json_object_object_add(req, "args", args);
	if (ctl_add_at(ctl, req, at) < 0) {
		json_object_put(req);
		return CTL_EXIT_USAGE;
	}
	return finish(ctl, req);
}

static int add_time(struct ctl *ctl, json_object *req, const char *key, const char *text)
{
	char opt[32];
	double t;

	if (text == NULL)
		return 0;
	if (strcmp(key, "when") == 0 && ctl_is_relative(text)) {
		json_object_object_add(req, key, json_object_new_string(text));
		return 0;
	}
	snprintf(opt, sizeof(opt), "--%s", key);
	if (ctl_number(ctl, opt, text, &t) < 0)
		return -1;
	json_object_object_add(req, key, json_object_new_double(t));
	return 0;
}

/* start and stop */
static int schedule_main(struct ctl *ctl, int argc, char **argv, const char *op)
{
	const char *at = NULL, *when = NULL, *offset = NULL, *duration = NULL;
	struct ctl_opt opts[] = { { "at", &at, NULL }, { "when", &when, NULL },
				  { "offset", &offset, NULL }, { "duration", &duration, NULL },
				  { NULL } };
	json_object *req;
	char *pos[1];
	int n_pos;

	if (strcmp(op, "stop") == 0)
		opts[2].name = NULL;
	if (ctl_scan(ctl, argc, argv, opts, pos, 1, &n_pos) < 0 || n_pos != 1)
		return usage_error(ctl, strcmp(op, "stop") == 0 ? "NODE [--when T] [--at T]" :
			"NODE [--when T] [--offset S] [--duration S] [--at T]");
	req = ctl_op(op);
	add_string(req, "id", pos[0]);
	if (add_time(ctl, req, "when", when) < 0 || add_time(ctl, req, "offset", offset) < 0 ||
	    add_time(ctl, req, "duration", duration) < 0 || ctl_add_at(ctl, req, at) < 0) {
		json_object_put(req);
		return CTL_EXIT_USAGE;
	}
	return finish(ctl, req);
}

int ctl_start_main(struct ctl *ctl, int argc, char **argv)
{
	return schedule_main(ctl, argc, argv, "start");
}

int ctl_stop_main(struct ctl *ctl, int argc, char **argv)
{
	return schedule_main(ctl, argc, argv, "stop");
}

static bool is_generator(const char *s)
{
	return strcmp(s, "noise") == 0 || strcmp(s, "impulse") == 0 || strcmp(s, "dc") == 0 ||
	       strcmp(s, "sine") == 0;
}

/* a generator's BUFSPEC with the fields PROTOCOL.md §6 needs filled with friendly defaults:
 * one second, one channel, the context's rate */
static json_object *generator_spec(struct ctl *ctl, char **pos, int n_pos)
{
	json_object *spec = json_object_new_object(), *rate;
	uint32_t sr = audiod_sample_rate(ctl->conn);
	int i;

	add_string(spec, "generate", pos[1]);
	for (i = 2; i < n_pos; i++) {
		if (ctl_key_value(ctl, spec, pos[i]) < 0) {
			json_object_put(spec);
			return NULL;
		}
	}
	if (!json_object_object_get_ex(spec, "sampleRate", &rate))
		json_object_object_add(spec, "sampleRate", json_object_new_int64(sr));
	else
		sr = (uint32_t)json_object_get_int64(rate);
	if (!json_object_object_get_ex(spec, "length", NULL))
		json_object_object_add(spec, "length", json_object_new_int64(sr));
	if (!json_object_object_get_ex(spec, "numberOfChannels", NULL))
		json_object_object_add(spec, "numberOfChannels", json_object_new_int(1));
	return spec;
}

int ctl_buffer_main(struct ctl *ctl, int argc, char **argv)
{
	bool native = false;
	const struct ctl_opt opts[] = { { "native-rate", NULL, &native }, { NULL } };
	json_object *req, *spec;
	char *pos[MAX_ARGS];
	int n_pos, fd = -1;

	if (ctl_scan(ctl, argc, argv, opts, pos, MAX_ARGS, &n_pos) < 0 || n_pos < 2 ||
	    (n_pos > 2 && !is_generator(pos[1])))
		return usage_error(ctl, "NAME FILE|GENERATOR|JSON [KEY=VALUE...] [--native-rate]");
	/* a file is opened here and sent as a descriptor: the daemon may not see our paths.
	 * one we cannot open is reported before we connect */
	if (!is_generator(pos[1]) && pos[1][0] != '{' && (fd = ctl_open_sound(ctl, pos[1])) < 0)
		return CTL_EXIT_FAIL;
	/* the generator's defaults need the context's rate from the hello */
	if (ctl_connect(ctl) < 0) {
		if (fd >= 0)
			close(fd);
		return CTL_EXIT_FAIL;
	}
	if (is_generator(pos[1])) {
		spec = generator_spec(ctl, pos, n_pos);
		if (spec == NULL)
			return CTL_EXIT_USAGE;
	} else if (pos[1][0] == '{') {
		spec = ctl_parse_json(pos[1]);
		if (spec == NULL) {
			fprintf(stderr, "audioctl buffer: the BUFSPEC is not valid JSON\n");
			return CTL_EXIT_USAGE;
		}
	} else {
		spec = json_object_new_object();
		json_object_object_add(spec, "fd", json_object_new_int(0));
		if (!native)
			json_object_object_add(spec, "resample", json_object_new_boolean(1));
	}
	req = ctl_op("buffer");
	add_string(req, "name", pos[0]);
	json_object_object_add(req, "spec", spec);
	return finish_fds(ctl, req, &fd, fd >= 0 ? 1 : 0);
}

int ctl_free_buffer_main(struct ctl *ctl, int argc, char **argv)
{
	json_object *req;
	char *pos[1];
	int n_pos;

	if (ctl_scan(ctl, argc, argv, NULL, pos, 1, &n_pos) < 0 || n_pos != 1)
		return usage_error(ctl, "NAME");
	req = ctl_op("free-buffer");
	add_string(req, "name", pos[0]);
	return finish(ctl, req);
}

int ctl_get_main(struct ctl *ctl, int argc, char **argv)
{
	static const char *const skip[] = { "ok", NULL };
	json_object *req, *reply;
	char *pos[1];
	int n_pos;

	if (ctl_scan(ctl, argc, argv, NULL, pos, 1, &n_pos) < 0 || n_pos != 1)
		return usage_error(ctl, "NODE");
	if (ctl_connect(ctl) < 0)
		return CTL_EXIT_FAIL;
	req = ctl_op("get");
	add_string(req, "id", pos[0]);
	if (ctl_call(ctl, req, &reply) < 0) {
		json_object_put(reply);
		return CTL_EXIT_FAIL;
	}
	if (ctl->json)
		ctl_print_json(reply);
	else
		ctl_print_fields(reply, skip);
	json_object_put(reply);
	return 0;
}

int ctl_analyser_main(struct ctl *ctl, int argc, char **argv)
{
	json_object *req, *reply, *data;
	char *pos[2], cell[64];
	size_t i, n;
	int n_pos;

	if (ctl_scan(ctl, argc, argv, NULL, pos, 2, &n_pos) < 0 || n_pos < 1)
		return usage_error(ctl, "NODE [METHOD]");
	if (ctl_connect(ctl) < 0)
		return CTL_EXIT_FAIL;
	req = ctl_op("analyser");
	add_string(req, "id", pos[0]);
	add_string(req, "method", n_pos > 1 ? pos[1] : "getFloatFrequencyData");
	if (ctl_call(ctl, req, &reply) < 0) {
		json_object_put(reply);
		return CTL_EXIT_FAIL;
	}
	if (ctl->json) {
		ctl_print_json(reply);
	} else if (json_object_object_get_ex(reply, "data", &data)) {
		n = json_object_array_length(data);
		for (i = 0; i < n; i++) {
			ctl_format_value(json_object_array_get_idx(data, i), cell, sizeof(cell));
			printf("%zu\t%s\n", i, cell);
		}
	}
	json_object_put(reply);
	return 0;
}

/* --- the session as a whole: ls, save, load, graph --- */

static json_object *fetch_document(struct ctl *ctl)
{
	json_object *doc;
	audiod_error err;

	if (ctl_connect(ctl) < 0)
		return NULL;
	err = audiod_save(ctl->conn, &doc);
	if (err != AUDIOD_OK) {
		ctl_print_error(ctl, err);
		return NULL;
	}
	return doc;
}

static json_object *doc_array(json_object *doc, const char *key)
{
	json_object *v;

	if (json_object_object_get_ex(doc, key, &v) && json_object_is_type(v, json_type_array))
		return v;
	return NULL;
}

static const char *node_field(json_object *node, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(node, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* "to" for connection entry c of the document, with output/input when they are not 0 */
static void connection_text(json_object *c, char *buf, size_t size)
{
	int out = 0, in = 0;

	if (json_object_array_length(c) > 2)
		out = json_object_get_int(json_object_array_get_idx(c, 2));
	if (json_object_array_length(c) > 3)
		in = json_object_get_int(json_object_array_get_idx(c, 3));
	if (out != 0 || in != 0)
		snprintf(buf, size, "%s[%d>%d]",
			 json_object_get_string(json_object_array_get_idx(c, 1)), out, in);
	else
		snprintf(buf, size, "%s", json_object_get_string(json_object_array_get_idx(c, 1)));
}

static void append(char *buf, size_t size, const char *sep, const char *text)
{
	size_t len = strlen(buf);

	snprintf(buf + len, size - len, "%s%s", len > 0 ? sep : "", text);
}

/* "key=value ..." of a node's current params (from get), else of its options */
static void params_text(json_object *node, json_object *got, char *buf, size_t size)
{
	json_object *src = NULL, *v;
	char cell[128], item[192];

	buf[0] = '\0';
	if (got != NULL && json_object_object_get_ex(got, "params", &v) &&
	    json_object_is_type(v, json_type_object))
		src = v;
	else if (json_object_object_get_ex(node, "options", &v))
		src = v;
	if (src == NULL)
		return;
	json_object_object_foreach(src, key, val) {
		ctl_format_value(val, cell, sizeof(cell));
		snprintf(item, sizeof(item), "%s=%s", key, cell);
		append(buf, size, " ", item);
	}
}

static int ls_print(struct ctl *ctl, json_object *doc)
{
	json_object *nodes = doc_array(doc, "nodes"), *conns = doc_array(doc, "connections");
	json_object *rows = json_object_new_array(), *row, *node, *c, *got, *req;
	size_t i, j, n = nodes ? json_object_array_length(nodes) : 0;
	char to[1024], params[2048], item[256];
	const char *id;

	/* current param values come from `get`: ask for all of them at once */
	for (i = 0; i < n; i++) {
		req = ctl_op("get");
		id = node_field(json_object_array_get_idx(nodes, i), "id");
		json_object_object_add(req, "id", json_object_new_string(id ? id : ""));
		audiod_send(ctl->conn, req);
		json_object_put(req);
	}
	for (i = 0; i < n; i++) {
		node = json_object_array_get_idx(nodes, i);
		id = node_field(node, "id");
		if (audiod_recv_reply(ctl->conn, &got) != AUDIOD_OK) {
			json_object_put(got);
			got = NULL;
		}
		to[0] = '\0';
		for (j = 0; conns != NULL && j < json_object_array_length(conns); j++) {
			c = json_object_array_get_idx(conns, j);
			if (id == NULL || json_object_array_length(c) < 2 ||
			    strcmp(json_object_get_string(json_object_array_get_idx(c, 0)), id) != 0)
				continue;
			connection_text(c, item, sizeof(item));
			append(to, sizeof(to), ",", item);
		}
		params_text(node, got, params, sizeof(params));
		json_object_put(got);
		row = json_object_new_object();
		json_object_object_add(row, "name", json_object_new_string(id ? id : "?"));
		json_object_object_add(row, "type",
				       json_object_new_string(node_field(node, "type") ? node_field(node, "type") : "?"));
		json_object_object_add(row, "to", json_object_new_string(to[0] ? to : "-"));
		json_object_object_add(row, "params", json_object_new_string(params));
		json_object_array_add(rows, row);
	}
	if (n > 0)
		ctl_print_table(rows);
	json_object_put(rows);
	(void)ctl;
	return 0;
}

int ctl_ls_main(struct ctl *ctl, int argc, char **argv)
{
	bool names = false;
	const struct ctl_opt opts[] = { { "names", NULL, &names }, { NULL } };
	json_object *doc, *nodes;
	size_t i;
	char *pos[1];
	int n_pos, r = 0;

	if (ctl_scan(ctl, argc, argv, opts, pos, 0, &n_pos) < 0)
		return usage_error(ctl, "[--names]");
	if ((doc = fetch_document(ctl)) == NULL)
		return CTL_EXIT_FAIL;
	nodes = doc_array(doc, "nodes");
	if (ctl->json) {
		ctl_print_json(nodes ? nodes : json_object_new_array());
	} else if (names) {
		for (i = 0; nodes != NULL && i < json_object_array_length(nodes); i++)
			if (node_field(json_object_array_get_idx(nodes, i), "id") != NULL)
				printf("%s\n", node_field(json_object_array_get_idx(nodes, i), "id"));
	} else {
		r = ls_print(ctl, doc);
	}
	json_object_put(doc);
	return r;
}

int ctl_save_main(struct ctl *ctl, int argc, char **argv)
{
	json_object *doc;
	char *pos[1];
	int n_pos, r;

	if (ctl_scan(ctl, argc, argv, NULL, pos, 1, &n_pos) < 0)
		return usage_error(ctl, "[FILE]");
	if ((doc = fetch_document(ctl)) == NULL)
		return CTL_EXIT_FAIL;
	if (n_pos == 0 || strcmp(pos[0], "-") == 0) {
		puts(json_object_to_json_string_ext(doc, ctl->json ? JSON_C_TO_STRING_PLAIN :
						    JSON_C_TO_STRING_PRETTY |
						    JSON_C_TO_STRING_SPACED |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
		r = 0;
	} else {
		r = json_object_to_file_ext(pos[0], doc, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_SPACED |
					    JSON_C_TO_STRING_NOSLASHESCAPE);
		if (r < 0)
			fprintf(stderr, "audioctl save: cannot write %s: %s\n", pos[0],
				json_util_get_last_err());
	}
	json_object_put(doc);
	return r < 0 ? CTL_EXIT_FAIL : 0;
}

/* a buffer's {"file": F} (relative to dir), as the daemon would take it: "generate" wins */
static const char *buffer_file(json_object *spec)
{
	json_object *file;

	if (!json_object_is_type(spec, json_type_object) ||
	    json_object_object_get_ex(spec, "generate", NULL) ||
	    !json_object_object_get_ex(spec, "file", &file) ||
	    !json_object_is_type(file, json_type_string) || json_object_get_string(file)[0] == '\0')
		return NULL;
	return json_object_get_string(file);
}

/* the document's buffer files are opened here and go as descriptors ({"file": F} becomes
 * {"fd": K}): the daemon may not see our paths (PrivateTmp, ProtectHome).  relative files
 * are relative to the document's folder (dir).  past AUDIOD_FDS_MAX files, the rest go as
 * absolute paths for the daemon to open.  -1 (printed, fds closed) when one cannot be opened */
static int open_buffers(struct ctl *ctl, json_object *doc, const char *doc_name,
			const char *dir, int *fds, size_t *n)
{
	json_object *buffers;
	const char *file;
	char *full;
	int fd;

	*n = 0;
	if (!json_object_object_get_ex(doc, "buffers", &buffers) ||
	    !json_object_is_type(buffers, json_type_object))
		return 0;
	json_object_object_foreach(buffers, name, spec) {
		if ((file = buffer_file(spec)) == NULL)
			continue;
		if (file[0] == '/' || asprintf(&full, "%s/%s", dir, file) < 0)
			full = strdup(file);
		if (full == NULL)
			continue;
		if (*n == AUDIOD_FDS_MAX) {
			json_object_object_add(spec, "file", json_object_new_string(full));
			free(full);
			continue;
		}
		fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			fprintf(stderr, "audioctl load: %s: buffers.%s: %s: %s\n", doc_name, name,
				full, strerror(errno));
			free(full);
			while (*n > 0)
				close(fds[--*n]);
			return -1;
		}
		free(full);
		json_object_object_del(spec, "file");
		json_object_object_add(spec, "fd", json_object_new_int((int)*n));
		fds[(*n)++] = fd;
	}
	return 0;
}

int ctl_load_main(struct ctl *ctl, int argc, char **argv)
{
	bool replace = false;
	const struct ctl_opt opts[] = { { "replace", NULL, &replace }, { NULL } };
	json_object *doc, *req;
	char *pos[1], *text, *abs, cwd[PATH_MAX];
	int n_pos, r, fds[AUDIOD_FDS_MAX];
	size_t n_fds = 0;

	if (ctl_scan(ctl, argc, argv, opts, pos, 1, &n_pos) < 0 || n_pos != 1)
		return usage_error(ctl, "FILE [--replace]");
	if ((text = ctl_read_file(ctl, pos[0])) == NULL)
		return CTL_EXIT_FAIL;
	doc = ctl_parse_json(text);
	free(text);
	if (doc == NULL || !json_object_is_type(doc, json_type_object)) {
		fprintf(stderr, "audioctl load: %s: not a JSON object (a graph document)\n", pos[0]);
		json_object_put(doc);
		return CTL_EXIT_FAIL;
	}
	/* the document's folder; for standard input, ours */
	if (strcmp(pos[0], "-") == 0)
		abs = strdup(getcwd(cwd, sizeof(cwd)) != NULL ? cwd : ".");
	else
		abs = ctl_absolute(pos[0]);
	r = abs == NULL ? -1 : open_buffers(ctl, doc, pos[0], strcmp(pos[0], "-") == 0 ? abs :
					    dirname(abs), fds, &n_fds);
	free(abs);
	if (r < 0) {
		json_object_put(doc);
		return CTL_EXIT_FAIL;
	}
	req = ctl_op("load");
	json_object_object_add(req, "document", doc);
	if (replace)
		json_object_object_add(req, "replace", json_object_new_boolean(1));
	return finish_fds(ctl, req, fds, n_fds);
}

/* a DOT string literal's inside: quotes and backslashes escaped */
static void dot_escape(const char *s, char *buf, size_t size)
{
	size_t n = 0;

	for (; *s != '\0' && n + 3 < size; s++) {
		if (*s == '"' || *s == '\\')
			buf[n++] = '\\';
		buf[n++] = *s;
	}
	buf[n] = '\0';
}

static void dot_node(json_object *node)
{
	const char *id = node_field(node, "id"), *type = node_field(node, "type");
	char label[1024], esc[2048], cell[96], item[160];
	json_object *options;
	int shown = 0;

	snprintf(label, sizeof(label), "%s\\n%s", id ? id : "?", type ? type : "?");
	if (node_field(node, "buffer") != NULL) {
		snprintf(item, sizeof(item), "\\nbuffer=%s", node_field(node, "buffer"));
		append(label, sizeof(label), "", item);
	}
	if (json_object_object_get_ex(node, "options", &options)) {
		json_object_object_foreach(options, key, val) {
			/* key params only: a label with a whole curve in it helps nobody */
			if (shown == 5 || json_object_is_type(val, json_type_array) ||
			    json_object_is_type(val, json_type_object))
				continue;
			ctl_format_value(val, cell, sizeof(cell));
			snprintf(item, sizeof(item), "\\n%s=%s", key, cell);
			append(label, sizeof(label), "", item);
			shown++;
		}
	}
	dot_escape(id ? id : "?", esc, sizeof(esc));
	printf("  \"%s\" [label=\"", esc);
	/* the label's \n are DOT's line breaks: escape quotes only */
	for (const char *p = label; *p != '\0'; p++)
		printf(*p == '"' ? "\\\"" : "%c", *p);
	printf("\"];\n");
}

static void dot_edge(json_object *c)
{
	const char *from = json_object_get_string(json_object_array_get_idx(c, 0));
	const char *to = json_object_get_string(json_object_array_get_idx(c, 1));
	char node[512], efrom[512], eto[512], eparam[256];
	const char *dot = strrchr(to, '.');
	int out = 0, in = 0;

	if (json_object_array_length(c) > 2)
		out = json_object_get_int(json_object_array_get_idx(c, 2));
	if (json_object_array_length(c) > 3)
		in = json_object_get_int(json_object_array_get_idx(c, 3));
	snprintf(node, sizeof(node), "%.*s", dot ? (int)(dot - to) : (int)strlen(to), to);
	dot_escape(from, efrom, sizeof(efrom));
	dot_escape(node, eto, sizeof(eto));
	if (dot != NULL) {
		/* an AudioParam input: dashed, labelled with the param */
		dot_escape(dot + 1, eparam, sizeof(eparam));
		printf("  \"%s\" -> \"%s\" [style=dashed, label=\"%s\"];\n", efrom, eto, eparam);
	} else if (out != 0 || in != 0) {
		printf("  \"%s\" -> \"%s\" [label=\"%d>%d\"];\n", efrom, eto, out, in);
	} else {
		printf("  \"%s\" -> \"%s\";\n", efrom, eto);
	}
}

int ctl_graph_main(struct ctl *ctl, int argc, char **argv)
{
	bool dot = false;
	const struct ctl_opt opts[] = { { "dot", NULL, &dot }, { NULL } };
	json_object *doc, *nodes, *conns;
	char *pos[1], esc[256];
	size_t i;
	int n_pos;

	if (ctl_scan(ctl, argc, argv, opts, pos, 0, &n_pos) < 0)
		return usage_error(ctl, "[--dot]");
	if ((doc = fetch_document(ctl)) == NULL)
		return CTL_EXIT_FAIL;
	nodes = doc_array(doc, "nodes");
	conns = doc_array(doc, "connections");
	dot_escape(audiod_session_name(ctl->conn), esc, sizeof(esc));
	printf("digraph \"%s\" {\n  rankdir=LR;\n  node [shape=box, fontname=\"sans\"];\n"
	       "  edge [fontname=\"sans\", fontsize=10];\n"
	       "  \"destination\" [shape=doublecircle, label=\"destination\"];\n", esc);
	for (i = 0; nodes != NULL && i < json_object_array_length(nodes); i++)
		dot_node(json_object_array_get_idx(nodes, i));
	for (i = 0; conns != NULL && i < json_object_array_length(conns); i++)
		if (json_object_array_length(json_object_array_get_idx(conns, i)) >= 2)
			dot_edge(json_object_array_get_idx(conns, i));
	printf("}\n");
	json_object_put(doc);
	return 0;
}
