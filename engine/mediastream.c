/* MediaStreamAudioSourceNode and MediaStreamAudioDestinationNode: audio from and to streams
 * outside the engine, opened by the engine's media host (media.h) when the node is made.
 * the source node has one output of channelCount channels (default 2), what its stream is
 * asked to deliver (the host converts); the destination node one input (channelCount
 * channels, "explicit") that its stream carries out, and no output.  either's channelCount is
 * fixed once its stream is made.
 * both have the read-only attributes latency (s), underruns and overruns: the stream's.
 * init, attributes, options, fini: control thread (open, stats, close).
 * process: render thread: one read or write of a quantum, nothing else. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "media.h"
#include "node.h"

struct msnode {
	struct node node;
	struct media_stream *ms;
	struct media_request rq;	/* its strings point at the ones below */
	char *target, *name, *app, *role;
};

/* --- render thread ------------------------------------------------------------------------ */

static void source_process(struct node *n, const struct render_ctx *ctx)
{
	struct msnode *s = (struct msnode *)n;
	struct bus *out = &n->out[0];

	(void)ctx;
	bus_unborrow(out);
	if (s->ms->read(s->ms->handle, out->data, QUANTUM)) {
		out->channels = s->ms->channels;
		out->silent = false;
	} else {
		bus_silence(out, s->ms->channels);
	}
	n->tail = true;		/* a live input: the context keeps running while it exists */
}

static void dest_process(struct node *n, const struct render_ctx *ctx)
{
	struct msnode *s = (struct msnode *)n;
	const struct bus *in = &n->in[0];

	(void)ctx;
	if (in->silent || in->channels != s->ms->channels)
		s->ms->write(s->ms->handle, NULL, QUANTUM);
	else
		s->ms->write(s->ms->handle, (const float *const *)in->data, QUANTUM);
}

/* --- control thread: options ---------------------------------------------------------------- */

static int opt_string(const struct option *o, char **out, struct error *err)
{
	char buf[32];
	const char *str = buf;

	if (o->value.type == VALUE_NUMBER && o->value.num >= 0 && o->value.num < 1e15 &&
	    o->value.num == (double)(long long)o->value.num)
		snprintf(buf, sizeof(buf), "%lld", (long long)o->value.num);	/* a serial */
	else if (o->value.type == VALUE_STRING)
		str = o->value.str;
	else
		return err_set(err, ERR_BAD_REQUEST, "%s: expected a string, got %s", o->name,
			       value_type_name(o->value.type));
	free(*out);
	if ((*out = strdup(str)) == NULL)
		return err_set(err, ERR_INTERNAL, "out of memory");
	return 0;
}

static int source_option(struct msnode *s, const struct option *o, struct error *err)
{
	static const char *const valid[] = { "target", "captureSink", NULL };

	if (strcmp(o->name, "target") == 0)
		return opt_string(o, &s->target, err);
	if (strcmp(o->name, "captureSink") == 0)
		return option_bool(o, &s->rq.capture_sink, err);
	return node_bad_option(&s->node, o->name, valid, err);
}

static int dest_mode(struct msnode *s, const struct option *o, struct error *err)
{
	static const char *const modes[] = { "source", "playback" };
	int m;

	if (option_enum(o, modes, 2, &m, err) < 0)
		return -1;
	s->rq.dir = m == 0 ? MEDIA_SOURCE : MEDIA_PLAYBACK;
	return 0;
}

static int dest_option(struct msnode *s, const struct option *o, struct error *err)
{
	static const char *const valid[] = { "name", "stream", "application", "role", "target",
					     NULL };

	if (strcmp(o->name, "name") == 0)
		return opt_string(o, &s->name, err);
	if (strcmp(o->name, "stream") == 0)
		return dest_mode(s, o, err);
	if (strcmp(o->name, "application") == 0)
		return opt_string(o, &s->app, err);
	if (strcmp(o->name, "role") == 0)
		return opt_string(o, &s->role, err);
	if (strcmp(o->name, "target") == 0)
		return opt_string(o, &s->target, err);
	return node_bad_option(&s->node, o->name, valid, err);
}

static int ms_open(struct msnode *s, struct error *err)
{
	s->rq.target = s->target;
	s->rq.name = s->name;
	s->rq.app = s->app;
	s->rq.role = s->role;
	s->ms = engine_media_open(s->node.engine, s->node.kind->name, &s->rq, err);
	return s->ms != NULL ? 0 : -1;
}

static int source_init(struct node *n, const struct option *opts, size_t n_opts,
		       struct error *err)
{
	struct msnode *s = (struct msnode *)n;

	s->rq.dir = MEDIA_CAPTURE;
	for (size_t i = 0; i < n_opts; i++)
		if (source_option(s, &opts[i], err) < 0)
			return -1;
	s->rq.channels = n->cfg_model.count;
	return ms_open(s, err);	/* process gives the output the stream's channels */
}

static int dest_init(struct node *n, const struct option *opts, size_t n_opts,
		     struct error *err)
{
	struct msnode *s = (struct msnode *)n;

	s->rq.dir = MEDIA_SOURCE;
	for (size_t i = 0; i < n_opts; i++)
		if (dest_option(s, &opts[i], err) < 0)
			return -1;
	if (s->rq.dir == MEDIA_SOURCE && (s->app || s->role || s->target))
		return err_set(err, ERR_BAD_REQUEST, "application, role and target are options "
			       "of a stream \"playback\"");
	s->rq.channels = n->cfg_model.count;
	return ms_open(s, err);
}

static int fixed_count(const struct msnode *s, uint32_t count, struct error *err)
{
	if (s->ms != NULL && count != s->ms->channels)
		return err_set(err, ERR_NOT_SUPPORTED, "channelCount: the stream has %u "
			       "channels, fixed when it was made", s->ms->channels);
	return 0;
}

static int source_check_channels(struct node *n, uint32_t count, enum count_mode mode,
				 enum interp interp, struct error *err)
{
	(void)mode;
	(void)interp;
	return fixed_count((struct msnode *)n, count, err);
}

static int dest_check_channels(struct node *n, uint32_t count, enum count_mode mode,
			       enum interp interp, struct error *err)
{
	struct msnode *s = (struct msnode *)n;

	(void)interp;
	if (fixed_count(s, count, err) < 0)
		return -1;
	if (mode != COUNT_EXPLICIT)
		return err_set(err, ERR_NOT_SUPPORTED, "channelCountMode: a "
			       "MediaStreamAudioDestinationNode's is \"explicit\"");
	return 0;
}

static void emit_str(void (*emit)(void *data, const char *name, const struct value *v),
		     void *data, const char *name, const char *str)
{
	struct value v = { .type = VALUE_STRING, .str = str };

	if (str != NULL)
		emit(data, name, &v);
}

static void source_options(const struct node *n,
			   void (*emit)(void *data, const char *name, const struct value *v),
			   void *data)
{
	const struct msnode *s = (const struct msnode *)n;
	struct value v = { .type = VALUE_BOOL, .b = true };

	emit_str(emit, data, "target", s->target);
	if (s->rq.capture_sink)
		emit(data, "captureSink", &v);
}

static void dest_options(const struct node *n,
			 void (*emit)(void *data, const char *name, const struct value *v),
			 void *data)
{
	const struct msnode *s = (const struct msnode *)n;

	emit_str(emit, data, "name", s->name);
	if (s->rq.dir == MEDIA_PLAYBACK)
		emit_str(emit, data, "stream", "playback");
	emit_str(emit, data, "application", s->app);
	emit_str(emit, data, "role", s->role);
	emit_str(emit, data, "target", s->target);
}

static void ms_fini(struct node *n)
{
	struct msnode *s = (struct msnode *)n;

	if (s->ms != NULL)
		s->ms->close(s->ms);
	free(s->target);
	free(s->name);
	free(s->app);
	free(s->role);
}

/* --- control thread: the read-only attributes ------------------------------------------------ */

static int stat_check(struct node *n, const struct value *v, void **staged, struct error *err)
{
	(void)n;
	(void)v;
	(void)staged;
	return err_set(err, ERR_INVALID_VALUE, "read-only");
}

static void stat_apply(struct node *n, const struct value *v, void **staged)
{
	(void)n;
	(void)v;
	(void)staged;
}

static void stats_of(const struct node *n, struct media_stats *st)
{
	const struct msnode *s = (const struct msnode *)n;

	memset(st, 0, sizeof(*st));
	if (s->ms != NULL)
		s->ms->stats(s->ms->handle, st);
}

static void latency_get(const struct node *n, struct value *v)
{
	struct media_stats st;

	stats_of(n, &st);
	v->type = VALUE_NUMBER;
	v->num = st.latency;
}

static void underruns_get(const struct node *n, struct value *v)
{
	struct media_stats st;

	stats_of(n, &st);
	v->type = VALUE_NUMBER;
	v->num = (double)st.underruns;
}

static void overruns_get(const struct node *n, struct value *v)
{
	struct media_stats st;

	stats_of(n, &st);
	v->type = VALUE_NUMBER;
	v->num = (double)st.overruns;
}

static const struct attr_desc ms_attrs[] = {
	{ .name = "latency", .check = stat_check, .apply = stat_apply, .get = latency_get },
	{ .name = "underruns", .check = stat_check, .apply = stat_apply, .get = underruns_get },
	{ .name = "overruns", .check = stat_check, .apply = stat_apply, .get = overruns_get },
};

const struct node_kind media_source_kind = {
	.name = "MediaStreamAudioSourceNode",
	.size = sizeof(struct msnode),
	.inputs = 0,
	.outputs = 1,
	.channel_count = 2,
	.count_mode = COUNT_MAX,
	.interp = INTERP_SPEAKERS,
	.attrs = ms_attrs,
	.n_attrs = 3,
	.init = source_init,
	.check_channels = source_check_channels,
	.process = source_process,
	.options = source_options,
	.fini = ms_fini,
};

const struct node_kind media_dest_kind = {
	.name = "MediaStreamAudioDestinationNode",
	.size = sizeof(struct msnode),
	.inputs = 1,
	.outputs = 0,
	.channel_count = 2,
	.count_mode = COUNT_EXPLICIT,
	.interp = INTERP_SPEAKERS,
	.attrs = ms_attrs,
	.n_attrs = 3,
	.init = dest_init,
	.check_channels = dest_check_channels,
	.process = dest_process,
	.options = dest_options,
	.fini = ms_fini,
};
