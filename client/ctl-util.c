/* audioctl's shared pieces: option scanning, connecting, values, tables.
 * a plain single-threaded program. */
#include "client/ctl.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct ctl_opt *find_opt(const struct ctl_opt *opts, const char *name, size_t len)
{
	for (; opts != NULL && opts->name != NULL; opts++)
		if (strlen(opts->name) == len && strncmp(opts->name, name, len) == 0)
			return opts;
	return NULL;
}

int ctl_scan(struct ctl *ctl, int argc, char **argv, const struct ctl_opt *opts, char **pos,
	     int max_pos, int *n_pos)
{
	const struct ctl_opt *o;
	bool options_done = false;
	const char *name, *eq;
	int i;

	*n_pos = 0;
	for (i = 1; i < argc; i++) {
		if (options_done || strncmp(argv[i], "--", 2) != 0) {
			if (*n_pos >= max_pos) {
				fprintf(stderr, "audioctl %s: unexpected argument \"%s\" (see "
					"`audioctl %s --help`)\n", ctl->command, argv[i],
					ctl->command);
				return -1;
			}
			pos[(*n_pos)++] = argv[i];
			continue;
		}
		if (argv[i][2] == '\0') {
			options_done = true;
			continue;
		}
		name = argv[i] + 2;
		eq = strchr(name, '=');
		o = find_opt(opts, name, eq ? (size_t)(eq - name) : strlen(name));
		if (o == NULL) {
			fprintf(stderr, "audioctl %s: unknown option \"%s\" (see `audioctl %s "
				"--help`)\n", ctl->command, argv[i], ctl->command);
			return -1;
		}
		if (o->flag != NULL) {
			*o->flag = true;
		} else if (eq != NULL) {
			*o->value = eq + 1;
		} else if (i + 1 < argc) {
			*o->value = argv[++i];
		} else {
			fprintf(stderr, "audioctl %s: --%s needs a value\n", ctl->command, o->name);
			return -1;
		}
	}
	return 0;
}

int ctl_number(struct ctl *ctl, const char *opt, const char *text, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(text, &end);
	if (errno != 0 || end == text || *end != '\0' || !isfinite(*out)) {
		fprintf(stderr, "audioctl %s: %s: expected a number, got \"%s\"\n", ctl->command,
			opt, text);
		return -1;
	}
	return 0;
}

int ctl_int(struct ctl *ctl, const char *opt, const char *text, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v < 0 || v > INT_MAX) {
		fprintf(stderr, "audioctl %s: %s: expected a whole number, got \"%s\"\n",
			ctl->command, opt, text);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static void print_not_running(const char *path)
{
	fprintf(stderr, "audioctl: audiod is not running (nothing listens on %s).\n"
		"Start it with `systemctl --user start audiod`, or run `audiod &`.\n", path);
}

/* the session with a stream of its own ({"op":"session","stream":{...}}); the join that
 * follows (audiod_session) then finds it.  an existing session with a stream is fine */
static audiod_error ctl_session_stream(struct ctl *ctl)
{
	json_object *req = json_object_new_object(), *st = json_object_new_object();
	const char *have = NULL;
	json_object *reply = NULL, *sessions, *e, *v;
	audiod_error err;

	json_object_object_add(st, "application", json_object_new_string(ctl->stream_app));
	if (ctl->stream_role)
		json_object_object_add(st, "role", json_object_new_string(ctl->stream_role));
	if (ctl->stream_target)
		json_object_object_add(st, "target", json_object_new_string(ctl->stream_target));
	json_object_object_add(req, "op", json_object_new_string("sessions"));
	err = audiod_request(ctl->conn, req, &reply);
	json_object_put(req);
	if (err == AUDIOD_OK && json_object_object_get_ex(reply, "sessions", &sessions))
		for (size_t i = 0; i < json_object_array_length(sessions); i++) {
			e = json_object_array_get_idx(sessions, i);
			if (json_object_object_get_ex(e, "name", &v) &&
			    strcmp(json_object_get_string(v), ctl->session) == 0 &&
			    json_object_object_get_ex(e, "stream", &v))
				have = ctl->session;
		}
	json_object_put(reply);
	if (have != NULL) {
		json_object_put(st);
		return AUDIOD_OK;
	}
	req = json_object_new_object();
	json_object_object_add(req, "op", json_object_new_string("session"));
	json_object_object_add(req, "name", json_object_new_string(ctl->session));
	if (ctl->ephemeral)
		json_object_object_add(req, "ephemeral", json_object_new_boolean(1));
	json_object_object_add(req, "stream", st);
	err = audiod_request(ctl->conn, req, NULL);
	json_object_put(req);
	return err;
}

int ctl_connect(struct ctl *ctl)
{
	char path[256];
	audiod_error err;
	int r;

	if (ctl->conn != NULL)
		return 0;
	if (ctl->socket != NULL) {
		snprintf(path, sizeof(path), "%s", ctl->socket);
	} else if ((r = audiod_socket_path(path, sizeof(path))) < 0) {
		fprintf(stderr, "audioctl: cannot find audiod's socket: %s\n",
			r == -ENOENT ? "neither AUDIOD_SOCKET nor XDG_RUNTIME_DIR is set"
				     : strerror(-r));
		return -1;
	}
	ctl->conn = audiod_connect(path, &err);
	if (ctl->conn == NULL) {
		if (err == AUDIOD_ERR_SYSTEM && (errno == ENOENT || errno == ECONNREFUSED))
			print_not_running(path);
		else if (err == AUDIOD_ERR_SYSTEM)
			fprintf(stderr, "audioctl: cannot connect to %s: %s\n", path,
				strerror(errno));
		else
			fprintf(stderr, "audioctl: %s did not greet us as audiod (%s)\n", path,
				audiod_error_name(err));
		return -1;
	}
	if (ctl->session != NULL) {
		err = ctl->stream_app ? ctl_session_stream(ctl) : AUDIOD_OK;
		if (err == AUDIOD_OK)
			err = audiod_session(ctl->conn, ctl->session, ctl->ephemeral);
		if (err != AUDIOD_OK) {
			ctl_print_error(ctl, err);
			return -1;
		}
	}
	return 0;
}

void ctl_print_error(struct ctl *ctl, audiod_error err)
{
	const char *msg = ctl->conn ? audiod_error_message(ctl->conn) : "";

	if (err == AUDIOD_ERR_DISCONNECTED)
		fprintf(stderr, "audioctl %s: audiod closed the connection\n", ctl->command);
	else if (err == AUDIOD_ERR_SYSTEM)
		fprintf(stderr, "audioctl %s: %s\n", ctl->command, msg);
	else
		fprintf(stderr, "audioctl %s: %s (%s)\n", ctl->command, msg[0] ? msg : "failed",
			audiod_error_name(err));
}

int ctl_call(struct ctl *ctl, json_object *req, json_object **reply)
{
	return ctl_call_fds(ctl, req, NULL, 0, reply);
}

int ctl_call_fds(struct ctl *ctl, json_object *req, const int *fds, size_t n,
		 json_object **reply)
{
	json_object *r = NULL;
	audiod_error err;

	json_object *w;

	err = audiod_request_fds(ctl->conn, req, fds, n, &r);
	json_object_put(req);
	if (err != AUDIOD_OK) {
		if (ctl->json && r != NULL)
			ctl_print_json(r);
		else
			ctl_print_error(ctl, err);
	} else if (r != NULL && json_object_object_get_ex(r, "warning", &w)) {
		/* done, but probably not as meant (a start already past) */
		fprintf(stderr, "audioctl %s: warning: %s\n", ctl->command,
			json_object_get_string(w));
	}
	if (reply != NULL)
		*reply = r;
	else
		json_object_put(r);
	return err == AUDIOD_OK ? 0 : -1;
}

json_object *ctl_op(const char *op)
{
	json_object *req = json_object_new_object();

	json_object_object_add(req, "op", json_object_new_string(op));
	return req;
}

json_object *ctl_parse_json(const char *text)
{
	json_tokener *tok = json_tokener_new();
	size_t len = strlen(text), end;
	json_object *v;
	char *wrapped;

	/* in brackets, so a bare number ends without a terminator */
	wrapped = malloc(len + 3);
	if (tok == NULL || wrapped == NULL) {
		free(wrapped);
		if (tok)
			json_tokener_free(tok);
		return NULL;
	}
	wrapped[0] = '[';
	memcpy(wrapped + 1, text, len);
	memcpy(wrapped + 1 + len, "]", 2);
	v = json_tokener_parse_ex(tok, wrapped, (int)len + 2);
	end = json_tokener_get_parse_end(tok);
	if (v != NULL && (json_tokener_get_error(tok) != json_tokener_success || end != len + 2 ||
			  json_object_array_length(v) != 1)) {
		json_object_put(v);
		v = NULL;
	}
	json_tokener_free(tok);
	free(wrapped);
	if (v == NULL)
		return NULL;
	wrapped = (char *)json_object_get(json_object_array_get_idx(v, 0));
	json_object_put(v);
	return (json_object *)wrapped;
}

bool ctl_is_relative(const char *text)
{
	char *end;
	double d;

	if (text[0] != '+' || !(isdigit((unsigned char)text[1]) || text[1] == '.'))
		return false;
	d = strtod(text + 1, &end);
	return *end == '\0' && isfinite(d);
}

json_object *ctl_time_value(const char *text)
{
	return ctl_is_relative(text) ? json_object_new_string(text) : ctl_value(text);
}

json_object *ctl_value(const char *text)
{
	json_object *v;

	/* "null" parses to NULL too: a string is the better guess for a bare word */
	if (strcmp(text, "null") != 0 && (v = ctl_parse_json(text)) != NULL)
		return v;
	return json_object_new_string(text);
}

int ctl_key_value(struct ctl *ctl, json_object *obj, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *key;

	if (eq == NULL || eq == arg) {
		fprintf(stderr, "audioctl %s: expected key=value, got \"%s\"\n", ctl->command, arg);
		return -1;
	}
	key = strndup(arg, (size_t)(eq - arg));
	json_object_object_add(obj, key, ctl_value(eq + 1));
	free(key);
	return 0;
}

int ctl_add_at(struct ctl *ctl, json_object *req, const char *at_text)
{
	double at;

	if (at_text == NULL)
		return 0;
	if (ctl_is_relative(at_text)) {
		json_object_object_add(req, "at", json_object_new_string(at_text));
		return 0;
	}
	if (ctl_number(ctl, "--at", at_text, &at) < 0)
		return -1;
	json_object_object_add(req, "at", json_object_new_double(at));
	return 0;
}

void ctl_print_json(json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
}

/* [1,2,"a"] as 1,2,a (a table cell); false when the array holds more than scalars */
static bool scalars_joined(json_object *v, char *buf, size_t size)
{
	size_t i, n = json_object_array_length(v), len = 0;
	json_object *e;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(v, i);
		if (json_object_is_type(e, json_type_object) || json_object_is_type(e, json_type_array))
			return false;
		if (json_object_is_type(e, json_type_double))
			snprintf(buf + len, size - len, "%s%g", i ? "," : "", json_object_get_double(e));
		else
			snprintf(buf + len, size - len, "%s%s", i ? "," : "", json_object_get_string(e));
		len = strlen(buf);
	}
	if (n == 0)
		snprintf(buf, size, "-");
	return true;
}

void ctl_format_value(json_object *v, char *buf, size_t size)
{
	switch (json_object_get_type(v)) {
	case json_type_string:
		snprintf(buf, size, "%s", json_object_get_string(v));
		break;
	case json_type_double:
		snprintf(buf, size, "%g", json_object_get_double(v));
		break;
	case json_type_null:
		snprintf(buf, size, "-");
		break;
	case json_type_array:
		if (scalars_joined(v, buf, size))
			break;
		/* fall through */
	default:
		snprintf(buf, size, "%s", json_object_to_json_string_ext(v,
			 JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		break;
	}
}

#define MAX_COLUMNS 32
#define CELL 256

static int column_of(const char **cols, int *n, const char *key)
{
	int i;

	for (i = 0; i < *n; i++)
		if (strcmp(cols[i], key) == 0)
			return i;
	if (*n == MAX_COLUMNS)
		return -1;
	cols[*n] = key;
	return (*n)++;
}

/* the last column is not padded: no trailing blanks */
static void print_cell(const char *text, int width, bool last)
{
	if (last)
		printf("%s\n", text);
	else
		printf("%-*s  ", width, text);
}

void ctl_print_table(json_object *rows)
{
	const char *cols[MAX_COLUMNS];
	size_t width[MAX_COLUMNS], i, n_rows = json_object_array_length(rows);
	char cell[CELL], upper[CELL];
	json_object *v;
	int n = 0, c;

	for (i = 0; i < n_rows; i++) {
		json_object_object_foreach(json_object_array_get_idx(rows, i), key, val) {
			(void)val;
			column_of(cols, &n, key);
		}
	}
	for (c = 0; c < n; c++) {
		width[c] = strlen(cols[c]);
		for (i = 0; i < n_rows; i++) {
			v = NULL;
			json_object_object_get_ex(json_object_array_get_idx(rows, i), cols[c], &v);
			ctl_format_value(v, cell, sizeof(cell));
			if (strlen(cell) > width[c])
				width[c] = strlen(cell);
		}
	}
	for (c = 0; c < n; c++) {
		for (i = 0; cols[c][i] != '\0' && i < CELL - 1; i++)
			upper[i] = (char)(cols[c][i] >= 'a' && cols[c][i] <= 'z' ?
					  cols[c][i] - 'a' + 'A' : cols[c][i]);
		upper[i] = '\0';
		print_cell(upper, (int)width[c], c + 1 == n);
	}
	for (i = 0; i < n_rows; i++) {
		for (c = 0; c < n; c++) {
			v = NULL;
			json_object_object_get_ex(json_object_array_get_idx(rows, i), cols[c], &v);
			ctl_format_value(v, cell, sizeof(cell));
			print_cell(cell, (int)width[c], c + 1 == n);
		}
	}
}

static bool skipped(const char *key, const char *const *skip)
{
	for (; skip != NULL && *skip != NULL; skip++)
		if (strcmp(key, *skip) == 0)
			return true;
	return false;
}

static void print_fields_prefixed(json_object *obj, const char *prefix, const char *const *skip)
{
	char name[256], cell[CELL];

	json_object_object_foreach(obj, key, val) {
		if (prefix[0] == '\0' && skipped(key, skip))
			continue;
		snprintf(name, sizeof(name), "%s%s%s", prefix, prefix[0] ? "." : "", key);
		if (json_object_is_type(val, json_type_object)) {
			print_fields_prefixed(val, name, skip);
			continue;
		}
		ctl_format_value(val, cell, sizeof(cell));
		printf("%-24s %s\n", name, cell);
	}
}

void ctl_print_fields(json_object *obj, const char *const *skip)
{
	print_fields_prefixed(obj, "", skip);
}

char *ctl_read_file(struct ctl *ctl, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	size_t len = 0, cap = 65536, n;
	char *buf, *p;

	if (f == NULL) {
		fprintf(stderr, "audioctl %s: %s: %s\n", ctl->command, path, strerror(errno));
		return NULL;
	}
	buf = malloc(cap);
	while (buf != NULL && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len - 1 == 0) {
			p = realloc(buf, cap * 2);
			if (p == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = p;
			cap *= 2;
		}
	}
	if (buf == NULL || ferror(f)) {
		fprintf(stderr, "audioctl %s: cannot read %s\n", ctl->command, path);
		free(buf);
		buf = NULL;
	} else {
		buf[len] = '\0';
	}
	if (f != stdin)
		fclose(f);
	return buf;
}

int ctl_open_sound(struct ctl *ctl, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		fprintf(stderr, "audioctl %s: %s: %s\n", ctl->command, path, strerror(errno));
	return fd;
}

char *ctl_absolute(const char *path)
{
	char cwd[PATH_MAX], *out;

	if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return strdup(path);
	if (asprintf(&out, "%s/%s", cwd, path) < 0)
		return NULL;
	return out;
}
