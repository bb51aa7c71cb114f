/* persist: persistent sessions outlive the daemon.  each one is kept as a graph document,
 * $XDG_STATE_HOME/audiod/sessions/NAME.json (the `save` reply), written a moment after it
 * changes and at shutdown (a new file renamed over the old one, so a crash leaves either),
 * removed when the session is closed, and built again when the daemon starts.
 * control thread only. */
#include "persist.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "log.h"
#include "server.h"

#define SAVE_AFTER_NS 1000000000u	/* a changed session is written within about this */

struct persist {
	char dir[3800];
	uint64_t next_ns;		/* the next look for changed sessions */
};

/* $XDG_STATE_HOME/audiod/sessions, else ~/.local/state/audiod/sessions */
static int default_dir(char *buf, size_t size)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	int n;

	if (state && state[0] == '/')
		n = snprintf(buf, size, "%s/audiod/sessions", state);
	else if (home && home[0] == '/')
		n = snprintf(buf, size, "%s/.local/state/audiod/sessions", home);
	else
		return -1;
	return n > 0 && (size_t)n < size ? 0 : -1;
}

/* each missing component made 0700 */
static int make_dirs(char *path)
{
	for (char *p = path + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			*p = c;
			return -errno;
		}
		*p = c;
		if (c == '\0')
			return 0;
	}
}

struct persist *persist_new(const char *dir)
{
	struct persist *p = calloc(1, sizeof(*p));
	int res;

	if (p == NULL)
		return NULL;
	if (dir != NULL)
		snprintf(p->dir, sizeof(p->dir), "%s", dir);
	else if (default_dir(p->dir, sizeof(p->dir)) < 0) {
		log_warn("persistent sessions are not kept: neither XDG_STATE_HOME nor HOME is set");
		free(p);
		return NULL;
	}
	if ((res = make_dirs(p->dir)) < 0) {
		log_warn("persistent sessions are not kept: %s: %s", p->dir, strerror(-res));
		free(p);
		return NULL;
	}
	return p;
}

void persist_free(struct persist *p)
{
	free(p);
}

const char *persist_dir(const struct persist *p)
{
	return p->dir;
}

/* dir is under 3800 bytes and names under 256: the 4200 bytes callers give always suffice */
static void file_of(const struct persist *p, const char *name, const char *ext, char *buf,
		    size_t size)
{
	if ((size_t)snprintf(buf, size, "%s/%s%s", p->dir, name, ext) >= size)
		buf[0] = '\0';
}

/* writes NAME.json.tmp and renames it over NAME.json */
static int write_doc(const struct persist *p, const char *name, struct json_object *doc)
{
	char path[4200], tmp[4208];
	const char *text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = strlen(text);
	int fd, res = 0;

	file_of(p, name, ".json", path, sizeof(path));
	file_of(p, name, ".json.tmp", tmp, sizeof(tmp));
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1 || fsync(fd) < 0)
		res = errno ? -errno : -EIO;
	close(fd);
	if (res == 0 && rename(tmp, path) < 0)
		res = -errno;
	if (res < 0)
		unlink(tmp);
	return res;
}

void persist_save(struct persist *p, struct server *s, struct session *sess)
{
	struct json_object *doc;
	int res;

	if (p == NULL || sess->ephemeral || sess->fading)
		return;
	doc = handler_save(s, sess);
	res = write_doc(p, sess->name, doc);
	json_object_put(doc);
	if (res < 0)
		log_warn("session %s: cannot save it in %s: %s", sess->name, p->dir, strerror(-res));
	else
		sess->dirty = false;
}

void persist_forget(struct persist *p, const char *name)
{
	char path[4200];

	if (p == NULL)
		return;
	file_of(p, name, ".json", path, sizeof(path));
	if (unlink(path) < 0 && errno != ENOENT)
		log_warn("session %s: cannot remove %s: %s", name, path, strerror(errno));
}

void persist_tick(struct persist *p, struct server *s, uint64_t now_ns)
{
	if (p == NULL || now_ns < p->next_ns)
		return;
	p->next_ns = now_ns + SAVE_AFTER_NS;
	for (struct session *x = s->sessions; x; x = x->next)
		if (x->dirty)
			persist_save(p, s, x);
}

void persist_save_all(struct persist *p, struct server *s)
{
	if (p == NULL)
		return;
	for (struct session *x = s->sessions; x; x = x->next)
		persist_save(p, s, x);
}

static struct json_object *read_doc(const char *path, struct error *err)
{
	struct json_object *doc = json_object_from_file(path);

	if (doc == NULL)
		err_set(err, ERR_IO, "not a JSON document: %s", json_util_get_last_err());
	return doc;
}

/* one saved session: made (or, for default, found) and built from its document */
static void restore_one(struct persist *p, struct server *s, const char *file)
{
	char path[4200], name[256];
	size_t len = strlen(file) - strlen(".json");
	struct error err = { 0 };
	struct json_object *doc;
	struct session *sess;

	if (len == 0 || len >= sizeof(name))
		return;
	memcpy(name, file, len);
	name[len] = '\0';
	file_of(p, name, ".json", path, sizeof(path));
	doc = read_doc(path, &err);
	sess = doc ? session_find(s, name) : NULL;
	if (doc && sess == NULL)
		sess = session_create(s, name, false, &err);
	if (sess && handler_restore(s, sess, doc, p->dir, &err) == 0) {
		log_info("session %s restored from %s", name, path);
		sess->dirty = false;
	} else {
		log_warn("session %s: cannot restore %s: %s", name, path, err.msg);
	}
	json_object_put(doc);
}

void persist_restore(struct persist *p, struct server *s)
{
	struct dirent *d;
	size_t len;
	DIR *dir;

	if (p == NULL || (dir = opendir(p->dir)) == NULL)
		return;
	while ((d = readdir(dir)) != NULL) {
		len = strlen(d->d_name);
		if (d->d_name[0] != '.' && len > 5 && strcmp(d->d_name + len - 5, ".json") == 0)
			restore_one(p, s, d->d_name);
	}
	closedir(dir);
}
