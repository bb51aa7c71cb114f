/* the JSON codec shared by the daemon and offline render: protocol requests and document
 * actions become engine ops, errors become replies.  strict: unknown fields and wrong JSON
 * types are refused with messages that name the JSON path.  control thread only. */
#ifndef AUDIOD_CODEC_H
#define AUDIOD_CODEC_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/engine.h"
#include "engine/error.h"
#include "engine/value.h"

struct json_object;
struct audio_buffer;

#define CODEC_PATH_MAX 256
#define CODEC_NAME_MAX 256

/* what the codec needs from its caller to resolve names */
struct codec_env {
	/* a buffer by name, borrowed (the caller keeps it alive until the op is committed);
	 * NULL with err set when there is none.  required when ops may name buffers. */
	struct audio_buffer *(*buffer)(void *data, const char *name, struct error *err);
	/* maps a client's node name ("osc", "destination", "s/x") to the engine's name in out;
	 * 0 or -1 with err set.  NULL: names are the engine's own. */
	int (*node)(void *data, const char *name, char *out, size_t size, struct error *err);
	void *data;
	/* context time (s) that relative times ("+S") count from: the daemon's reading when it
	 * takes the request (one reading for a whole batch); 0 for documents */
	double now;
	/* context time (s) the request's ops take effect at (its `at`, or a document event's
	 * time); <= 0: the renderer's next quantum */
	double apply;
	/* the longest array of numbers accepted (a curve, a PeriodicWave's terms,
	 * setValueCurveAtTime's values): longer is ERR_LIMIT.  0: no limit */
	size_t max_points;
};

/* "path.field" (or "field" when path is empty) and "path[i]" */
void codec_path_field(char *buf, size_t size, const char *path, const char *field);
void codec_path_index(char *buf, size_t size, const char *path, size_t i);

/* --- field checking (also used by the daemon for its own ops) ------------------------------ */

/* obj must be an object whose keys are all in fields: else bad_request naming the nearest */
int codec_check_fields(struct json_object *obj, const char *const *fields, int n,
		       const char *path, struct error *err);
/* field getters: absent and !required leaves *out untouched and returns 0 */
int codec_get_string(struct json_object *obj, const char *field, bool required,
		     const char *path, const char **out, struct error *err);
int codec_get_number(struct json_object *obj, const char *field, bool required,
		     const char *path, double *out, struct error *err);
int codec_get_bool(struct json_object *obj, const char *field, bool required,
		   const char *path, bool *out, struct error *err);
/* a plain JSON value (not a field): number (finite), string, array of numbers */
int codec_number(struct json_object *v, const char *path, double *out, struct error *err);
int codec_string(struct json_object *v, const char *path, const char **out, struct error *err);
/* an array of numbers (at most env->max_points when env is given), malloc'd into *out (NULL
 * when empty) */
int codec_numbers(struct json_object *v, const struct codec_env *env, const char *path,
		  double **out, size_t *n, struct error *err);
/* a time: a number (context seconds, passed on as it is: the engine judges its range) or
 * "+S", S >= 0 seconds after env->now (env may be NULL: after 0) */
int codec_time(struct json_object *v, const struct codec_env *env, const char *path,
	       double *out, struct error *err);
/* output/input index: absent gives -1 */
int codec_index(struct json_object *v, const char *path, int *out, struct error *err);

/* --- ops ------------------------------------------------------------------------------------ */

/* the graph ops: create delete connect disconnect set param start stop, one table in
 * codec.c (the daemon's other ops are its own) */
struct codec_op;
/* NULL when name is not a graph op */
const struct codec_op *codec_op_find(const char *name);
const char *codec_op_name(const struct codec_op *g);
/* unknown_op at path's "op", naming the nearest graph op or others[] (the caller's ops) */
int codec_unknown_op(const char *op, const char *const *others, size_t n_others,
		     const char *path, struct error *err);

/* a request's "at" (v, not NULL): the context time *t (s, "+S" from env's now), checked (not
 * negative, not beyond any frame counter) and the frame it applies at, *frame: the first at
 * or after t, rounded as the engine rounds times (a time written from a whole frame stays
 * that frame).  0 or -1 with err set. */
int codec_at(struct json_object *v, const struct codec_env *env, double rate, double *t,
	     uint64_t *frame, struct error *err);
/* a name a client may give a new node (PROTOCOL.md §4): not empty, without '/', '.' or
 * ':', and not one a session keeps (destination, listener, bus).  0 or -1 with err set,
 * its message starting with path */
int codec_check_new_name(const char *name, const char *path, struct error *err);
/* a batch's "commands" (an array), without an engine: each an object naming a graph op
 * (ops[i] gets it; one of others[], the caller's own ops, is "cannot be part of a batch"),
 * without an "at" of its own, its fields well formed.  0, or -1 with err set and *bad the
 * failing command's index */
int codec_batch_check(struct json_object *cmds, const char *const *others, size_t n_others,
		      const struct codec_op **ops, size_t *bad, struct error *err);

/* one request object {"op":..., fields} of PROTOCOL.md §4 (graph ops only; "id" and "at" are
 * allowed on every one of them).  result (may be NULL) receives the fields to add to the reply
 * ({"id": name} for create) or NULL.  errors carry path, or the field's path. */
int codec_op(struct engine *e, struct json_object *req, const struct codec_env *env,
	     const char *path, struct engine_op **op, struct json_object **result,
	     struct error *err);
/* the same for a request whose "op" (g) and "at" the caller has read and checked: at is the
 * context time (s) the op takes effect at, NAN for the next quantum */
int codec_op_run(struct engine *e, const struct codec_op *g, struct json_object *req,
		 const struct codec_env *env, double at, const char *path, struct engine_op **op,
		 struct json_object **result, struct error *err);

/* a document event action, positional: ["connect", from, to, output?, input?],
 * ["disconnect", from, to?|output?, output?, input?], ["set", id, attr, value],
 * ["param", "node.param", method, args...], ["start", id, when?, offset?, duration?],
 * ["stop", id, when?], ["delete", id] */
int codec_action(struct engine *e, struct json_object *action, const struct codec_env *env,
		 const char *path, struct engine_op **op, struct error *err);
/* checks an action's shape (name, arity, JSON types, buffer names) without an engine */
int codec_action_check(struct json_object *action, const struct codec_env *env,
		       const char *path, struct error *err);

/* one AudioParam call [method, args...] (document "params") on target "node.param" */
int codec_param_call(struct engine *e, const char *target, struct json_object *call,
		     const struct codec_env *env, const char *path, struct engine_op **op,
		     struct error *err);

/* create a node: options object (may be NULL) plus the document/protocol extras buffer
 * (a name), curve (array) and periodicWave (object); each may be NULL */
int codec_create(struct engine *e, const char *type, const char *name,
		 struct json_object *options, struct json_object *buffer,
		 struct json_object *curve, struct json_object *wave,
		 const struct codec_env *env, const char *path, struct engine_op **op,
		 struct error *err);

/* attribute setter: value as JSON (value_path names it); "buffer" takes a buffer name (or
 * null), "periodicWave" an object {real, imag, disableNormalization} */
int codec_set(struct engine *e, const char *name, const char *attr, struct json_object *value,
	      const struct codec_env *env, const char *path, const char *value_path,
	      struct engine_op **op, struct error *err);

/* connect (or disconnect) from -> to ("node" or "node.param"; NULL: every destination, for
 * disconnect); output/input -1 for absent */
int codec_connect(struct engine *e, bool connect, const char *from, const char *to,
		  int output, int input, const struct codec_env *env, const char *path,
		  struct engine_op **op, struct error *err);

/* start(when, offset, duration) / stop(when), NAN for absent arguments */
int codec_start(struct engine *e, const char *name, double when, double offset,
		double duration, const struct codec_env *env, const char *path,
		struct engine_op **op, struct error *err);
int codec_stop(struct engine *e, const char *name, double when, const struct codec_env *env,
	       const char *path, struct engine_op **op, struct error *err);

/* --- replies ------------------------------------------------------------------------------- */

/* {"code": CODE, "message": TEXT} */
struct json_object *codec_error_object(const struct error *err);
/* {"id": id, "ok": false, "error": {...}}; id NULL leaves "id" out (no request to echo) */
struct json_object *codec_error_reply(struct json_object *id, const struct error *err);
/* the same, taking the id from a request object when it has one (a JSON null included) */
struct json_object *codec_reply_error(struct json_object *req, const struct error *err);
/* {"id": ..., "ok": true} ready for result fields */
struct json_object *codec_reply_ok(struct json_object *req);
/* adds every field of result (may be NULL) to reply; drops result */
void codec_reply_merge(struct json_object *reply, struct json_object *result);

#endif
