/* session: many apps, one engine.  each session owns the engine nodes named "S:..." and a
 * GainNode "S:bus" feeding the destination (the engine refuses '/' in names, so a client's
 * "s/x" is the engine's "s:x").
 * a closed session fades its bus out over 5 ms, then its nodes go, then its buffers, and
 * the copies of its buffers read from descriptors that no other buffer names.
 * control thread only. */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "core.h"
#include "cost.h"
#include "engine/buffer.h"
#include "engine/engine.h"
#include "engine/node.h"
#include "protocol/codec.h"
#include "log.h"
#include "persist.h"
#include "server.h"

#define FADE_S 0.005		/* the bus ramp when a session closes: no click */
#define METER_EVERY_NS 200000000u

static int meter_take(struct server *s)
{
	for (int i = 0; i < RENDER_METERS; i++)
		if (!(s->meters_used[i / 32] & (1u << (i % 32)))) {
			s->meters_used[i / 32] |= 1u << (i % 32);
			return i;
		}
	return -1;
}

static void meter_give(struct server *s, int slot)
{
	if (slot < 0)
		return;
	core_meter_set(s->core, (uint32_t)slot, NULL);
	s->meters_used[slot / 32] &= ~(1u << (slot % 32));
}

static void session_event(struct server *s, const char *name, const char *state)
{
	struct json_object *ev = json_object_new_object();

	json_object_object_add(ev, "event", json_object_new_string("session"));
	json_object_object_add(ev, "session", json_object_new_string(name));
	json_object_object_add(ev, "state", json_object_new_string(state));
	server_broadcast(s, SUB_SESSION, ev);
}

struct session *session_find(struct server *s, const char *name)
{
	struct session *x;

	for (x = s->sessions; x; x = x->next)
		if (strcmp(x->name, name) == 0)
			return x;
	return NULL;
}

/* the bus: GainNode S:bus -> destination, committed in one quantum */
static int session_bus(struct server *s, struct session *sess, struct error *err)
{
	struct engine *e = core_engine(s->core);
	struct engine_op *a, *b;
	char bus[CODEC_NAME_MAX];

	snprintf(bus, sizeof(bus), "%s:bus", sess->name);
	if (core_space(s->core) == 0)
		return err_set(err, ERR_BUSY, "the render queue is full, retry");
	if (engine_op_create(e, "GainNode", bus, NULL, 0, &a, err) < 0)
		return -1;
	if (engine_op_connect(e, bus, "destination", -1, -1, &b, err) < 0) {
		/* cannot happen for a fresh node; the create is committed all the same */
		server_submit(s, NULL, a, 0, server_now_ns(), false);
		return -1;
	}
	server_submit(s, NULL, engine_op_chain(a, b), 0, server_now_ns(), false);
	sess->meter = meter_take(s);
	if (sess->meter >= 0)
		core_meter_set(s->core, (uint32_t)sess->meter, engine_node(e, bus));
	return 0;
}

struct session *session_create(struct server *s, const char *name, bool ephemeral,
			       struct error *err)
{
	struct session *sess = calloc(1, sizeof(*sess));

	if (sess == NULL || (sess->name = strdup(name)) == NULL) {
		free(sess);
		err_set(err, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	sess->ephemeral = ephemeral;
	sess->meter = -1;
	sess->dirty = true;
	if (session_bus(s, sess, err) < 0) {
		free(sess->name);
		free(sess);
		return NULL;
	}
	sess->next = s->sessions;
	s->sessions = sess;
	log_debug("session %s created%s", name, ephemeral ? " (ephemeral)" : "");
	session_event(s, name, "created");
	return sess;
}

void session_attach(struct server *s, struct client *c, struct session *sess)
{
	struct session *old = c->session;

	if (old == sess)
		return;
	c->session = sess;
	if (sess)
		sess->clients++;
	if (old == NULL)
		return;
	old->clients--;
	if (old->clients == 0 && old->ephemeral && !old->fading)
		session_close(s, old);
}

/* cancelAndHold at t0, then the held value down to 0 over FADE_S */
static int session_fade(struct server *s, struct session *sess)
{
	struct engine *e = core_engine(s->core);
	double rate = engine_sample_rate(e);
	/* a quantum past the renderer's next: it may be mid-burst when the op arrives */
	double t0 = (double)(engine_frame(e) + QUANTUM) / rate;
	double hold[1] = { t0 }, set[2], ramp[2] = { 0.0, t0 + FADE_S };
	struct engine_op *a = NULL, *b = NULL, *c = NULL;
	struct error err = { 0 };
	char target[CODEC_NAME_MAX + 16];
	struct node *bus;

	snprintf(target, sizeof(target), "%s:bus", sess->name);
	bus = engine_node(e, target);
	if (bus == NULL)
		return -1;
	set[0] = param_model_value_at(&bus->params[0], t0);
	set[1] = t0;
	snprintf(target, sizeof(target), "%s:bus.gain", sess->name);
	if (engine_op_param_at(e, t0, target, "cancelAndHoldAtTime", hold, 1, NULL, 0, NULL, &a,
			       &err) == 0 &&
	    engine_op_param_at(e, t0, target, "setValueAtTime", set, 2, NULL, 0, NULL, &b,
			       &err) == 0)
		engine_op_param_at(e, t0, target, "linearRampToValueAtTime", ramp, 2, NULL, 0, NULL,
				   &c, &err);
	if (a)
		server_submit(s, NULL, b ? engine_op_chain(a, c ? engine_op_chain(b, c) : b) : a, 0,
			      server_now_ns(), false);
	if (err.code != ERR_OK)
		log_warn("session %s: fade: %s", sess->name, err.msg);
	sess->free_frame = (uint64_t)ceil((t0 + FADE_S) * rate) + QUANTUM;
	return 0;
}

void session_close(struct server *s, struct session *sess)
{
	struct session *def = session_find(s, "default");
	struct client *c;

	if (sess->fading)
		return;
	/* whoever is still attached (close-session) goes back to the default session */
	for (c = s->clients; c; c = c->next)
		if (c->session == sess && def && def != sess)
			session_attach(s, c, def);
	sess->fading = true;
	persist_forget(s->persist, sess->name);	/* closed on purpose: not to come back */
	/* with the queue full the fade waits: session_collect frees it once a slot is free */
	if (core_space(s->core) < 2 || session_fade(s, sess) < 0)
		sess->free_frame = engine_frame(core_engine(s->core));
	log_debug("session %s closing", sess->name);
}

struct node_list {
	const struct session *sess;
	char **names;
	size_t n, cap;
};

static void collect_name(struct node *n, void *data)
{
	struct node_list *l = data;
	char **nn;

	if (!session_owns(l->sess, n->name))
		return;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		nn = realloc(l->names, l->cap * sizeof(*nn));
		if (nn == NULL)
			return;
		l->names = nn;
	}
	l->names[l->n++] = n->name;
}

/* deletes every node of the session, its bus last, in one quantum; false when the queue
 * has no room (try again later) */
static bool session_free_nodes(struct server *s, struct session *sess)
{
	struct engine *e = core_engine(s->core);
	struct node_list l = { .sess = sess };
	struct engine_op *chain = NULL, *op;
	struct error err = { 0 };
	char bus[CODEC_NAME_MAX + 8];
	size_t i;

	if (core_space(s->core) == 0)
		return false;
	snprintf(bus, sizeof(bus), "%s:bus", sess->name);
	/* the renderer stops reading the bus before it can be retired */
	meter_give(s, sess->meter);
	sess->meter = -1;
	engine_foreach_node(e, collect_name, &l);
	engine_batch_begin(e);
	for (i = 0; i < l.n; i++) {
		if (strcmp(l.names[i], bus) == 0)
			continue;
		if (engine_op_delete(e, l.names[i], &op, &err) == 0)
			chain = chain ? engine_op_chain(chain, op) : op;
	}
	if (engine_op_delete(e, bus, &op, &err) == 0)
		chain = chain ? engine_op_chain(chain, op) : op;
	if (engine_batch_end(e, &op, &err) == 0 && op)
		chain = chain ? engine_op_chain(chain, op) : op;
	free(l.names);
	if (chain)
		server_submit(s, NULL, chain, 0, server_now_ns(), false);
	return true;
}

int session_hold_reserve(struct server *s, struct session *sess, struct error *err)
{
	struct held_edit *h;
	uint32_t cap;

	if (sess->n_held >= s->cfg.limits.held)
		return err_set(err, ERR_LIMIT, "at: the session already holds %u edits for later "
			       "(the most allowed, --max-held)", sess->n_held);
	if (s->n_held >= s->cfg.limits.held_total)
		return err_set(err, ERR_LIMIT, "at: the daemon already holds %u edits for later in "
			       "all sessions (the most allowed, --max-held-total)", s->n_held);
	if (sess->n_held < sess->held_cap)
		return 0;
	cap = sess->held_cap ? sess->held_cap * 2 : 16;
	h = realloc(sess->held, cap * sizeof(*h));
	if (h == NULL)
		return err_set(err, ERR_INTERNAL, "out of memory");
	sess->held = h;
	sess->held_cap = cap;
	return 0;
}

int session_hold_fits(struct server *s, struct session *sess, size_t bytes, struct error *err)
{
	const struct server_limits *l = &s->cfg.limits;

	if (sess->held_bytes + bytes > l->held_bytes)
		return err_set(err, ERR_LIMIT, "at: the session's edits held for later would take "
			       "%llu bytes, more than the %llu allowed (--max-held-mb)",
			       (unsigned long long)(sess->held_bytes + bytes),
			       (unsigned long long)l->held_bytes);
	if (s->held_bytes + bytes > l->held_bytes_total)
		return err_set(err, ERR_LIMIT, "at: edits held for later by all sessions would take "
			       "more than the %llu bytes allowed (--max-held-total-mb)",
			       (unsigned long long)l->held_bytes_total);
	return 0;
}

void session_hold(struct server *s, struct session *sess, struct engine_op *op, uint64_t at,
		  uint64_t tag)
{
	size_t bytes = engine_op_bytes(op);

	uint32_t lo = 0, hi = sess->n_held, mid;

	assert(sess->n_held < sess->held_cap);
	/* after every edit due at the same frame or earlier: same-quantum edits keep their order */
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (sess->held[mid].at <= at)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&sess->held[lo + 1], &sess->held[lo], (sess->n_held - lo) * sizeof(*sess->held));
	sess->held[lo] = (struct held_edit){ .at = at, .tag = tag, .op = op, .bytes = bytes };
	sess->n_held++;
	s->n_held++;
	sess->held_bytes += bytes;
	s->held_bytes += bytes;
}

void session_release(struct server *s, struct session *sess, uint64_t upto)
{
	uint32_t n = 0;
	struct held_edit *h;

	while (n < sess->n_held && sess->held[n].at <= upto && core_space(s->core) > 0) {
		h = &sess->held[n++];
		sess->held_bytes -= h->bytes;
		s->held_bytes -= h->bytes;
		/* a closing session's edits go at once, before its nodes are deleted */
		if (core_submit(s->core, h->op, upto == UINT64_MAX ? RENDER_AT_NOW : h->at,
				h->tag) < 0)
			abort();	/* there was room */
	}
	memmove(sess->held, sess->held + n, (sess->n_held - n) * sizeof(*sess->held));
	sess->n_held -= n;
	s->n_held -= n;
}

/* --- copies of buffers read from descriptors ----------------------------------------------- */

/* the copy in the daemon's buffers folder a buffer's spec names ({"file": COPY}), or NULL */
static const char *copy_of(const struct server *s, const struct sbuf *b)
{
	struct json_object *f;

	if (!json_object_object_get_ex(b->spec, "file", &f) ||
	    !json_object_is_type(f, json_type_string) ||
	    !persist_is_copy(s->persist, json_object_get_string(f)))
		return NULL;
	return json_object_get_string(f);
}

/* a session that comes back after a restart: its document names its copies */
static bool session_kept(const struct server *s, const struct session *x)
{
	return s->persist != NULL && !x->ephemeral && !x->fading;
}

/* does a buffer of a session in the list (kept_only: of one that comes back) name file? */
static bool copy_named(const struct server *s, const char *file, bool kept_only)
{
	const char *c;

	for (const struct session *x = s->sessions; x; x = x->next) {
		if (kept_only && !session_kept(s, x))
			continue;
		for (const struct sbuf *b = x->buffers; b; b = b->next)
			if ((c = copy_of(s, b)) != NULL && strcmp(c, file) == 0)
				return true;
	}
	return false;
}

static void copy_remove(const char *file)
{
	if (unlink(file) < 0 && errno != ENOENT)
		log_warn("%s: cannot remove the copy: %s", file, strerror(errno));
	else
		log_debug("%s: removed, no buffer names it", file);
}

/* file (owned, may be NULL) is a copy a buffer stopped naming.  when no buffer names it any
 * more it goes, but only once the documents saved on disk stop naming it: a crash between
 * the two leaves a copy too many (removed at the next start), never a document naming a
 * file that is gone */
static void copy_release(struct server *s, struct session *sess, char *file)
{
	if (file == NULL)
		return;
	if (!copy_named(s, file, false)) {
		for (struct session *x = s->sessions; x; x = x->next)
			if (x == sess || x->dirty)
				persist_save(s->persist, s, x);
		copy_remove(file);
	}
	free(file);
}

/* the copy b names, as a string of its own (its spec is about to go), or NULL */
static char *copy_take(const struct server *s, const struct sbuf *b)
{
	const char *c = copy_of(s, b);

	return c != NULL ? strdup(c) : NULL;
}

/* at shutdown, before the sessions go: the copies that no session coming back names */
static void copies_at_exit(struct server *s)
{
	const char *c;

	for (struct session *x = s->sessions; x; x = x->next) {
		if (session_kept(s, x))
			continue;
		for (struct sbuf *b = x->buffers; b; b = b->next)
			if ((c = copy_of(s, b)) != NULL && !copy_named(s, c, true))
				copy_remove(c);
	}
}

/* sess has left the list.  exiting: the daemon stops (copies_at_exit did the copies) */
static void session_free(struct server *s, struct session *sess, bool exiting)
{
	struct sbuf *b, *next;

	/* shutdown: edits never committed go with the engine */
	for (uint32_t i = 0; i < sess->n_held; i++)
		engine_op_free(core_engine(s->core), sess->held[i].op);
	s->n_held -= sess->n_held;
	s->held_bytes -= sess->held_bytes;
	free(sess->held);

	/* nodes hold their own references: the renderer keeps what it reads alive */
	for (b = sess->buffers; b; b = next) {
		next = b->next;
		if (!exiting)
			copy_release(s, sess, copy_take(s, b));
		audio_buffer_unref(b->buf);
		json_object_put(b->spec);
		free(b->name);
		free(b);
	}
	json_object_put(sess->stream);
	free(sess->name);
	free(sess);
}

void session_collect(struct server *s, bool all)
{
	struct session **pp = &s->sessions, *sess;
	uint64_t frame = engine_frame(core_engine(s->core));
	char *name;

	if (all)
		copies_at_exit(s);
	while ((sess = *pp) != NULL) {
		if (!all && (!sess->fading || frame < sess->free_frame)) {
			pp = &sess->next;
			continue;
		}
		/* its timeline goes to the renderer first (release_held), then its nodes */
		if (!all && (sess->n_held > 0 || !session_free_nodes(s, sess))) {
			pp = &sess->next;
			continue;
		}
		if (all)
			meter_give(s, sess->meter);
		*pp = sess->next;
		name = sess->name;
		sess->name = NULL;
		log_debug("session %s closed", name);
		if (!all)
			session_event(s, name, "closed");
		free(name);
		session_free(s, sess, all);
	}
}

int session_map(const struct session *sess, const char *name, char *out, size_t size,
		struct error *err)
{
	const char *slash = strchr(name, '/');
	int n;

	if (strcmp(name, "listener") == 0)
		n = snprintf(out, size, "%s", name);
	else if (strcmp(name, "destination") == 0)
		n = snprintf(out, size, "%s:bus", sess->name);
	else if (slash && strcmp(slash + 1, "destination") == 0)
		n = snprintf(out, size, "%.*s:bus", (int)(slash - name), name);
	else if (slash)
		n = snprintf(out, size, "%.*s:%s", (int)(slash - name), name, slash + 1);
	else
		n = snprintf(out, size, "%s:%s", sess->name, name);
	if (n < 0 || (size_t)n >= size)
		return err_set(err, ERR_BAD_REQUEST, "name \"%.64s...\" is too long", name);
	return 0;
}

bool session_owns(const struct session *sess, const char *ename)
{
	size_t len = strlen(sess->name);

	return strncmp(ename, sess->name, len) == 0 && ename[len] == ':';
}

const char *session_unmap(const struct session *sess, const char *ename, char *buf,
			  size_t size)
{
	const char *slash = strchr(ename, ':');

	if (session_owns(sess, ename)) {
		if (strcmp(ename + strlen(sess->name) + 1, "bus") == 0)
			return "destination";
		return ename + strlen(sess->name) + 1;
	}
	if (slash && strcmp(slash + 1, "bus") == 0)
		snprintf(buf, size, "%.*s/destination", (int)(slash - ename), ename);
	else if (slash)
		snprintf(buf, size, "%.*s/%s", (int)(slash - ename), ename, slash + 1);
	else
		return ename;
	return buf;
}

void session_strip(const struct session *sess, struct error *err)
{
	char out[sizeof(err->msg)];
	size_t len = strlen(sess->name), i = 0, o = 0;
	const char *m = err->msg;

	while (m[i] && o + 1 < sizeof(out)) {
		bool start = i == 0 || m[i - 1] == '"' || m[i - 1] == ' ' || m[i - 1] == '(';

		if (start && strncmp(m + i, sess->name, len) == 0 && m[i + len] == ':') {
			if (strncmp(m + i + len + 1, "bus", 3) == 0 &&
			    !(m[i + len + 4] >= 'a' && m[i + len + 4] <= 'z')) {
				o += (size_t)snprintf(out + o, sizeof(out) - o, "destination");
				i += len + 4;
				continue;
			}
			i += len + 1;
			continue;
		}
		out[o++] = m[i++];
	}
	out[o < sizeof(out) ? o : sizeof(out) - 1] = '\0';
	memcpy(err->msg, out, sizeof(out));
}

struct cost_sum {
	struct server *s;
	const struct session *sess;
	double ns;
};

static void add_cost(struct node *n, void *data)
{
	struct cost_sum *c = data;

	if (c->sess == NULL || session_owns(c->sess, n->name))
		c->ns += cost_of(c->s->costs, n->kind->name);
}

double session_cost(struct server *s, const struct session *sess)
{
	struct cost_sum c = { s, sess, 0.0 };

	if (s->costs != NULL)
		engine_foreach_node(core_engine(s->core), add_cost, &c);
	return c.ns;
}

struct sbuf *session_buffer(struct session *sess, const char *name)
{
	struct sbuf *b;

	for (b = sess->buffers; b; b = b->next)
		if (strcmp(b->name, name) == 0)
			return b;
	return NULL;
}

struct sbuf *session_buffer_of(struct session *sess, const struct audio_buffer *buf)
{
	struct sbuf *b;

	for (b = sess->buffers; b; b = b->next)
		if (b->buf == buf)
			return b;
	return NULL;
}

void session_buffer_put(struct server *s, struct session *sess, const char *name,
			struct audio_buffer *buf, struct json_object *spec)
{
	struct sbuf *b = session_buffer(sess, name);
	char *old = NULL;

	if (b == NULL) {
		b = calloc(1, sizeof(*b));
		if (b == NULL || (b->name = strdup(name)) == NULL) {
			free(b);
			audio_buffer_unref(buf);
			return;
		}
		b->next = sess->buffers;
		sess->buffers = b;
	} else {
		old = copy_take(s, b);
		sess->buffer_bytes -= b->bytes;
		audio_buffer_unref(b->buf);
		json_object_put(b->spec);
	}
	b->buf = buf;
	b->spec = json_object_get(spec);
	b->bytes = audio_buffer_bytes(buf);
	sess->buffer_bytes += b->bytes;
	sess->dirty = true;
	copy_release(s, sess, old);
}

int session_buffer_free(struct server *s, struct session *sess, const char *name,
			struct error *err)
{
	struct sbuf **pp, *b;
	char *old;

	for (pp = &sess->buffers; (b = *pp) != NULL; pp = &b->next)
		if (strcmp(b->name, name) == 0)
			break;
	if (b == NULL)
		return err_set(err, ERR_INVALID_VALUE, "name: unknown buffer \"%s\"", name);
	*pp = b->next;
	sess->buffer_bytes -= b->bytes;
	sess->dirty = true;
	old = copy_take(s, b);
	/* nodes playing it keep their own reference */
	audio_buffer_unref(b->buf);
	json_object_put(b->spec);
	free(b->name);
	free(b);
	copy_release(s, sess, old);
	return 0;
}

struct counter {
	const struct session *sess;
	uint32_t n;
};

static void count_node(struct node *n, void *data)
{
	struct counter *c = data;
	size_t len = strlen(c->sess->name);

	if (session_owns(c->sess, n->name) && strcmp(n->name + len + 1, "bus") != 0)
		c->n++;
}

uint32_t session_count_nodes(struct server *s, const struct session *sess)
{
	struct counter c = { .sess = sess };

	engine_foreach_node(core_engine(s->core), count_node, &c);
	return c.n;
}

static void add_level(struct server *s, const struct session *sess, struct json_object *o)
{
	float peak = 0, rms = 0;

	if (sess->meter >= 0)
		core_meter_get(s->core, (uint32_t)sess->meter, &peak, &rms);
	json_object_object_add(o, "peak", json_object_new_double(peak));
	json_object_object_add(o, "rms", json_object_new_double(rms));
}

struct json_object *session_list(struct server *s)
{
	struct json_object *arr = json_object_new_array(), *o, *names;
	struct session *sess;
	struct client *c;

	for (sess = s->sessions; sess; sess = sess->next) {
		if (sess->fading)
			continue;
		o = json_object_new_object();
		names = json_object_new_array();
		for (c = s->clients; c; c = c->next)
			if (c->session == sess && !c->dead)
				json_object_array_add(names, json_object_new_string(c->name));
		json_object_object_add(o, "name", json_object_new_string(sess->name));
		json_object_object_add(o, "ephemeral", json_object_new_boolean(sess->ephemeral));
		json_object_object_add(o, "clients", names);
		json_object_object_add(o, "nodes",
				       json_object_new_int64(session_count_nodes(s, sess)));
		json_object_object_add(o, "bufferBytes", json_object_new_int64((int64_t)sess->buffer_bytes));
		json_object_object_add(o, "held", json_object_new_int64((int64_t)sess->n_held));
		if (sess->stream)
			json_object_object_add(o, "stream", json_object_get(sess->stream));
		add_level(s, sess, o);
		json_object_array_add(arr, o);
	}
	return arr;
}

void session_meter_tick(struct server *s)
{
	uint64_t now = server_now_ns();
	struct session *sess;
	struct json_object *ev;
	bool any = false;

	if (now - s->last_meter_ns < METER_EVERY_NS)
		return;
	s->last_meter_ns = now;
	for (struct client *c = s->clients; c; c = c->next)
		any |= (c->events & SUB_METER) != 0;
	if (!any)
		return;
	for (sess = s->sessions; sess; sess = sess->next) {
		if (sess->fading)
			continue;
		ev = json_object_new_object();
		json_object_object_add(ev, "event", json_object_new_string("meter"));
		json_object_object_add(ev, "session", json_object_new_string(sess->name));
		add_level(s, sess, ev);
		json_object_object_add(ev, "time", json_object_new_double(
			(double)engine_frame(core_engine(s->core)) /
			engine_sample_rate(core_engine(s->core))));
		server_broadcast(s, SUB_METER, ev);
	}
}
