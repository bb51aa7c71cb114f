/* info: time, sync, stats, event subscriptions, hello and the session ops.  control thread
 * only. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "core.h"
#include "engine/engine.h"
#include "protocol/codec.h"
#include "request.h"
#include "handler.h"
#include "server.h"

/* --- time, stats, sync ---------------------------------------------------------------------- */

int op_sync(struct req *r)
{
	static const char *const fields[] = { "op", "id" };
	struct error err = { 0 };
	struct client *c = r->c;
	struct json_object *res;
	struct pending *p;

	if (codec_check_fields(r->obj, fields, COUNT(fields), "", &err) < 0)
		return req_fail(r, &err);
	if (!server_outstanding(r->s, c, c->last_tag)) {
		res = json_object_new_object();
		json_object_object_add(res, "frame", json_object_new_int64((int64_t)(
			c->last_tag ? c->last_frame : engine_frame(r->e))));
		return req_ok(r, res);
	}
	p = server_reply_wait(c);
	if (p == NULL)
		return 0;
	p->sync_tag = c->last_tag;
	p->waiting = codec_reply_ok(r->obj);
	return 0;
}

/* a sync replies once every command of its client up to its own tag has applied; the
 * frame is the latest at which one of them took effect */
void handler_applied(struct client *c, uint64_t tag, uint64_t frame)
{
	struct pending *p;
	struct json_object *o;
	bool any = false;

	(void)tag;
	if (frame > c->last_frame)
		c->last_frame = frame;
	for (p = c->head; p; p = p->next) {
		if (p->waiting == NULL || p->sync_tag == 0 ||
		    server_outstanding(c->srv, c, p->sync_tag))
			continue;
		o = p->waiting;
		p->waiting = NULL;
		p->sync_tag = 0;
		json_object_object_add(o, "frame", json_object_new_int64((int64_t)c->last_frame));
		p->reply = o;
		any = true;
	}
	if (any)
		server_complete(c, c->head, c->head->reply);
}

int op_time(struct req *r)
{
	static const char *const fields[] = { "op", "id" };
	struct error err = { 0 };
	struct core_stats st;
	struct json_object *res;
	double rate = engine_sample_rate(r->e);
	uint64_t now = server_now_ns();

	if (codec_check_fields(r->obj, fields, COUNT(fields), "", &err) < 0)
		return req_fail(r, &err);
	core_get_stats(r->s->core, &st);
	res = json_object_new_object();
	json_object_object_add(res, "currentTime", json_object_new_double((double)st.frame / rate));
	json_object_object_add(res, "frame", json_object_new_int64((int64_t)st.frame));
	json_object_object_add(res, "sampleRate", json_object_new_double(rate));
	json_object_object_add(res, "baseLatency", json_object_new_double(st.base_latency));
	json_object_object_add(res, "outputLatency",
			       json_object_new_double(st.base_latency + st.output_latency));
	/* frame `frame` plays after what the ring holds and what PipeWire holds */
	json_object_object_add(res, "monotonicNs", json_object_new_int64((int64_t)(now +
		(uint64_t)((double)(st.render.fill + st.output.delay) * 1e9 / rate))));
	req_ok(r, res);
	return 0;
}

static double percentile(const struct server *s, double q)
{
	uint64_t want = (uint64_t)ceil(q * (double)s->latency_count), sum = 0;
	double ms;

	if (s->latency_count == 0)
		return 0.0;
	for (uint32_t b = 0; b <= LATENCY_BUCKETS; b++) {
		sum += s->latency[b];
		if (sum >= want && sum > 0) {
			ms = (b + 1) * 0.05;
			return ms < s->latency_max_ns / 1e6 ? ms : s->latency_max_ns / 1e6;
		}
	}
	return s->latency_max_ns / 1e6;
}

int op_stats(struct req *r)
{
	static const char *const fields[] = { "op", "id" };
	struct error err = { 0 };
	struct core_stats st;
	struct json_object *res, *o;
	struct session *x;
	uint32_t sessions = 0, nodes = 0;

	if (codec_check_fields(r->obj, fields, COUNT(fields), "", &err) < 0)
		return req_fail(r, &err);
	core_get_stats(r->s->core, &st);
	for (x = r->s->sessions; x; x = x->next)
		if (!x->fading) {
			sessions++;
			nodes += session_count_nodes(r->s, x);
		}
	res = json_object_new_object();
	json_object_object_add(res, "underruns", json_object_new_int64((int64_t)st.render.underruns));
	json_object_object_add(res, "xruns", json_object_new_int64((int64_t)st.output.xruns));
	o = json_object_new_object();
	json_object_object_add(o, "avg", json_object_new_double(st.render.load_avg));
	json_object_object_add(o, "max", json_object_new_double(st.render.load_max));
	json_object_object_add(o, "recentMax", json_object_new_double(st.render.load_recent_max));
	json_object_object_add(res, "renderLoad", o);
	json_object_object_add(res, "ringFill", json_object_new_int64(st.render.fill));
	json_object_object_add(res, "lead", json_object_new_int64(st.render.lead));
	json_object_object_add(res, "quantum", json_object_new_int64(st.output.quantum));
	o = json_object_new_object();
	json_object_object_add(o, "depth", json_object_new_int64(st.queued));
	json_object_object_add(o, "capacity", json_object_new_int64(core_queue_capacity(r->s->core)));
	json_object_object_add(res, "queue", o);
	o = json_object_new_object();
	json_object_object_add(o, "p50", json_object_new_double(percentile(r->s, 0.50)));
	json_object_object_add(o, "p99", json_object_new_double(percentile(r->s, 0.99)));
	json_object_object_add(o, "max", json_object_new_double(r->s->latency_max_ns / 1e6));
	json_object_object_add(o, "count", json_object_new_int64((int64_t)r->s->latency_count));
	json_object_object_add(res, "commandLatencyMs", o);
	json_object_object_add(res, "nodes", json_object_new_int64(nodes));
	json_object_object_add(res, "sessions", json_object_new_int64(sessions));
	json_object_object_add(res, "clients", json_object_new_int64(r->s->n_clients));
	json_object_object_add(res, "uptimeS", json_object_new_double(
		(double)(server_now_ns() - r->s->start_ns) / 1e9));
	json_object_object_add(res, "reconnects", json_object_new_int64((int64_t)st.output.reconnects));
	/* suspended: nothing sounded for a while, the stream is inactive, time goes on */
	json_object_object_add(res, "state", json_object_new_string(st.suspended ? "suspended" :
				st.output.streaming ? "running" : "waiting"));
	json_object_object_add(res, "suspensions", json_object_new_int64((int64_t)st.suspensions));
	json_object_object_add(res, "held", json_object_new_int64((int64_t)r->s->n_held));
	json_object_object_add(res, "eventsDropped",
			       json_object_new_int64((int64_t)r->s->events_dropped));
	json_object_object_add(res, "baseLatency", json_object_new_double(st.base_latency));
	req_ok(r, res);
	return 0;
}

/* --- events, hello, sessions ---------------------------------------------------------------- */

int op_subscribe(struct req *r, bool on)
{
	static const char *const fields[] = { "op", "id", "events" };
	static const char *const names[] = { "ended", "xrun", "session", "meter" };
	struct json_object *evs;
	struct error err = { 0 };
	uint32_t mask = 0;
	size_t i;
	int k;

	if (codec_check_fields(r->obj, fields, COUNT(fields), "", &err) < 0)
		return req_fail(r, &err);
	evs = req_field(r->obj, "events");
	if (evs == NULL || !json_object_is_type(evs, json_type_array))
		return req_failf(r, ERR_BAD_REQUEST, "%s", "events: expected an array of event names");
	for (i = 0; i < json_object_array_length(evs); i++) {
		struct json_object *v = json_object_array_get_idx(evs, i);
		const char *name = json_object_get_string(v), *hint;

		if (!json_object_is_type(v, json_type_string))
			return req_failf(r, ERR_BAD_REQUEST, "%s", "events: expected strings");
		for (k = 0; k < COUNT(names) && strcmp(names[k], name) != 0; k++)
			;
		if (k == COUNT(names)) {
			hint = err_suggest(name, names, COUNT(names));
			err_set(&err, ERR_INVALID_VALUE, "events[%zu]: unknown event \"%s\"%s%s%s", i,
				name, hint ? ", did you mean \"" : "", hint ? hint : "",
				hint ? "\"?" : "");
			return req_fail(r, &err);
		}
		mask |= 1u << k;
	}
	if (on)
		r->c->events |= mask;
	else
		r->c->events &= ~mask;
	req_ok(r, NULL);
	return 0;
}

int op_hello(struct req *r)
{
	static const char *const fields[] = { "op", "id", "client" };
	struct error err = { 0 };
	const char *name;

	if (codec_check_fields(r->obj, fields, COUNT(fields), "", &err) < 0 ||
	    codec_get_string(r->obj, "client", true, "", &name, &err) < 0)
		return req_fail(r, &err);
	snprintf(r->c->name, sizeof(r->c->name), "%s", name);
	req_ok(r, NULL);
	return 0;
}

static int session_name_check(const char *name, struct error *err)
{
	size_t len = strlen(name);

	if (len == 0 || len > SESSION_NAME_MAX || strpbrk(name, "/.:"))
		return err_set(err, ERR_INVALID_VALUE, "name: \"%s\" cannot name a session (1 to "
			       "%d characters, no '/', '.' or ':')", name, SESSION_NAME_MAX);
	return 0;
}

/* a new session: within the daemon's count and what one connection may create */
static int session_quota(struct req *r, struct error *err)
{
	const struct server_limits *l = &r->s->cfg.limits;
	uint32_t live = 0;

	for (struct session *x = r->s->sessions; x; x = x->next)
		live += !x->fading;
	if (live >= l->sessions)
		return err_set(err, ERR_LIMIT, "name: there are already %u sessions, the most "
			       "allowed (--max-sessions)", live);
	if (r->c->sessions_made >= l->client_sessions)
		return err_set(err, ERR_LIMIT, "name: this connection has created %u sessions, the "
			       "most allowed (--max-client-sessions)", r->c->sessions_made);
	r->c->sessions_made++;
	return 0;
}

int op_session(struct req *r)
{
	static const char *const fields[] = { "op", "id", "name", "ephemeral", "stream" };
	struct error err = { 0 };
	struct session *sess;
	struct json_object *res, *stream = req_field(r->obj, "stream");
	const char *name;
	bool ephemeral = false, made;

	if (codec_check_fields(r->obj, fields, COUNT(fields), "", &err) < 0 ||
	    codec_get_string(r->obj, "name", true, "", &name, &err) < 0 ||
	    codec_get_bool(r->obj, "ephemeral", false, "", &ephemeral, &err) < 0 ||
	    session_name_check(name, &err) < 0)
		return req_fail(r, &err);
	sess = session_find(r->s, name);
	if (sess && sess->fading)
		return req_failf(r, ERR_BUSY, "name: session \"%s\" is closing, retry", name);
	if (sess == NULL && session_quota(r, &err) < 0)
		return req_fail(r, &err);
	if (sess != NULL && stream != NULL && sess->stream == NULL)
		return req_failf(r, ERR_INVALID_STATE, "stream: session \"%s\" exists and plays "
				 "into the main output; a stream of its own is asked for when a "
				 "session is created", name);
	made = sess == NULL;
	if (made && (sess = session_create(r->s, name, ephemeral, &err)) == NULL)
		return req_fail(r, &err);
	if (made && stream != NULL && session_stream(r->s, sess, stream, &err) < 0) {
		session_close(r->s, sess);
		return req_fail(r, &err);
	}
	session_attach(r->s, r->c, sess);
	res = json_object_new_object();
	json_object_object_add(res, "session", json_object_new_string(sess->name));
	json_object_object_add(res, "ephemeral", json_object_new_boolean(sess->ephemeral));
	req_ok(r, res);
	return 0;
}

int op_close_session(struct req *r)
{
	static const char *const fields[] = { "op", "id", "name" };
	struct error err = { 0 };
	struct session *sess;
	const char *name;

	if (codec_check_fields(r->obj, fields, COUNT(fields), "", &err) < 0 ||
	    codec_get_string(r->obj, "name", true, "", &name, &err) < 0)
		return req_fail(r, &err);
	sess = session_find(r->s, name);
	if (sess == NULL || sess->fading)
		return req_failf(r, ERR_INVALID_VALUE, "name: no session named \"%s\"", name);
	if (strcmp(name, "default") == 0)
		return req_failf(r, ERR_INVALID_STATE, "%s", "name: the default session cannot be "
			     "closed");
	session_close(r->s, sess);
	req_ok(r, NULL);
	return 0;
}

int op_sessions(struct req *r)
{
	static const char *const fields[] = { "op", "id" };
	struct error err = { 0 };
	struct json_object *res;

	if (codec_check_fields(r->obj, fields, COUNT(fields), "", &err) < 0)
		return req_fail(r, &err);
	res = json_object_new_object();
	json_object_object_add(res, "sessions", session_list(r->s));
	req_ok(r, res);
	return 0;
}
