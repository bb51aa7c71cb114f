/* persist: persistent sessions outlive the daemon.  each one is kept as a graph document,
 * $XDG_STATE_HOME/audiod/sessions/NAME.json (the `save` reply), written a moment after it
 * changes and at shutdown (a new file renamed over the old one, so a crash leaves either),
 * removed when the session is closed, and built again when the daemon starts.  a session
 * with a playback stream of its own (appstream.c) has that stream's spec in its document as
 * "stream", taken out before the document is built and made again first.  buffers read
 * from descriptors are kept as copies in the buffers folder beside it (decode.c writes
 * them, session.c removes them); at startup the copies no document names go.
 * control thread only. */
#include "persist.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "log.h"
#include "handler.h"
#include "server.h"

#define SAVE_AFTER_NS 1000000000u	/* a changed session is written within about this */

struct persist {
	char dir[3800];
	char buffers[PATH_MAX + 16];	/* absolute: documents name the copies by it */
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

/* the folder beside the sessions' (…/audiod/buffers next to …/audiod/sessions), made
 * 0700; a failure shows when a copy is written */
static void buffers_dir(struct persist *p)
{
	char real[PATH_MAX], *slash;

	if (realpath(p->dir, real) == NULL)
		snprintf(real, sizeof(real), "%s", p->dir);
	slash = strrchr(real, '/');
	if (slash != NULL && slash != real)
		*slash = '\0';
	else if (slash != NULL)
		slash[1] = '\0';
	snprintf(p->buffers, sizeof(p->buffers), "%s%sbuffers", real,
		 real[strlen(real) - 1] == '/' ? "" : "/");
	if (mkdir(p->buffers, 0700) < 0 && errno != EEXIST)
		log_warn("%s: %s: buffers read from descriptors cannot be kept", p->buffers,
			 strerror(errno));
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
	buffers_dir(p);
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

const char *persist_buffers_dir(const struct persist *p)
{
	return p != NULL ? p->buffers : NULL;
}

bool persist_is_copy(const struct persist *p, const char *file)
{
	size_t len;

	if (p == NULL || file == NULL)
		return false;
	len = strlen(p->buffers);
	/* a plain name in the folder, not one that climbs out of it */
	return strncmp(file, p->buffers, len) == 0 && file[len] == '/' && file[len + 1] != '\0' &&
	       strchr(file + len + 1, '/') == NULL && strcmp(file + len + 1, ".") != 0 &&
	       strcmp(file + len + 1, "..") != 0;
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
	if (sess->stream != NULL)
		json_object_object_add(doc, "stream", json_object_get(sess->stream));
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

/* a session just made again: its own stream, when its document has one ("stream", taken
 * out of the document).  a stream that cannot be made is said, and the session plays into
 * the main output */
static void restore_stream(struct server *s, struct session *sess, struct json_object *doc,
			   bool made)
{
	struct json_object *spec = NULL;
	struct error err = { 0 };

	if (!json_object_is_type(doc, json_type_object) ||
	    !json_object_object_get_ex(doc, "stream", &spec))
		return;
	spec = json_object_get(spec);
	json_object_object_del(doc, "stream");
	if (made && session_stream(s, sess, spec, &err) < 0)
		log_warn("session %s: cannot make its own stream again: %s", sess->name, err.msg);
	json_object_put(spec);
}

/* one saved session: made (or, for default, found), given its stream and built from its
 * document */
static void restore_one(struct persist *p, struct server *s, const char *file)
{
	char path[4200], name[256];
	size_t len = strlen(file) - strlen(".json");
	struct error err = { 0 };
	struct json_object *doc;
	struct session *sess;
	bool made = false;

	if (len == 0 || len >= sizeof(name))
		return;
	memcpy(name, file, len);
	name[len] = '\0';
	file_of(p, name, ".json", path, sizeof(path));
	doc = read_doc(path, &err);
	sess = doc ? session_find(s, name) : NULL;
	if (doc && sess == NULL)
		made = (sess = session_create(s, name, false, &err)) != NULL;
	if (sess)
		restore_stream(s, sess, doc, made);
	if (sess && handler_restore(s, sess, doc, p->dir, &err) == 0) {
		log_info("session %s restored from %s", name, path);
		sess->dirty = false;
	} else {
		log_warn("session %s: cannot restore %s: %s", name, path, err.msg);
	}
	json_object_put(doc);
}

/* the whole of a file, or NULL */
static char *read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return NULL;
	do {
		if (cap - len < 65536) {
			char *t = realloc(text, cap + 65536 + 1);

			if (t == NULL) {
				free(text);
				fclose(f);
				return NULL;
			}
			text = t;
			cap += 65536;
		}
		n = fread(text + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	text[len] = '\0';
	return text;
}

/* the saved documents' texts, NULL-terminated (NULL: none could be read) */
static char **read_docs(const struct persist *p)
{
	char path[4200], **docs = NULL;
	size_t n = 0, len;
	struct dirent *d;
	DIR *dir = opendir(p->dir);

	if (dir == NULL)
		return NULL;
	while ((d = readdir(dir)) != NULL) {
		char **more;

		len = strlen(d->d_name);
		if (d->d_name[0] == '.' || len <= 5 || strcmp(d->d_name + len - 5, ".json") != 0)
			continue;
		more = realloc(docs, (n + 2) * sizeof(*docs));
		if (more == NULL)
			break;
		docs = more;
		file_of(p, d->d_name, "", path, sizeof(path));
		if ((docs[n] = read_text(path)) != NULL)
			n++;
		docs[n] = NULL;
	}
	closedir(dir);
	return docs;
}

/* copies no saved document names any more: those of sessions that were not saved before
 * the daemon stopped (ephemeral ones, a crash).  a document that names a copy keeps it even
 * when its session could not be restored this time, so a later start can */
static void sweep_copies(const struct persist *p)
{
	char **docs = read_docs(p), path[PATH_MAX + 300];
	struct dirent *d;
	DIR *dir;
	size_t len;
	bool named;

	if ((dir = opendir(p->buffers)) == NULL) {
		free(docs);
		return;
	}
	while ((d = readdir(dir)) != NULL) {
		len = strlen(d->d_name);
		if (d->d_name[0] == '.' || len <= 4 || strcmp(d->d_name + len - 4, ".wav") != 0)
			continue;
		named = false;
		for (size_t i = 0; docs != NULL && docs[i] != NULL && !named; i++)
			named = strstr(docs[i], d->d_name) != NULL;
		if (named || (size_t)snprintf(path, sizeof(path), "%s/%s", p->buffers,
					      d->d_name) >= sizeof(path))
			continue;
		if (unlink(path) == 0)
			log_info("%s: removed, no saved session names it", path);
	}
	closedir(dir);
	for (size_t i = 0; docs != NULL && docs[i] != NULL; i++)
		free(docs[i]);
	free(docs);
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
	sweep_copies(p);
}
