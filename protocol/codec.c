/* the JSON codec: protocol requests and document actions -> typed engine ops, errors ->
 * reply objects.  one set of checks and messages for the daemon and offline render.
 * control thread only. */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "engine/buffer.h"
#include "engine/wave.h"
#include "protocol/codec.h"

#define MAX_ARGS 8

/* when ops prepared with env take effect (engine.h ENGINE_NEXT) */
static double env_apply(const struct codec_env *env)
{
	return env && env->apply > 0 ? env->apply : ENGINE_NEXT;
}

/* --- paths and plain values --------------------------------------------------------------- */

void codec_path_field(char *buf, size_t size, const char *path, const char *field)
{
	if (path == NULL || path[0] == '\0')
		snprintf(buf, size, "%s", field);
	else
		snprintf(buf, size, "%s.%s", path, field);
}

void codec_path_index(char *buf, size_t size, const char *path, size_t i)
{
	snprintf(buf, size, "%s[%zu]", path ? path : "", i);
}

static const char *where(const char *path)
{
	return path && path[0] ? path : "request";
}

static int expected(struct error *err, const char *path, const char *what)
{
	return err_set(err, ERR_BAD_REQUEST, "%s: expected %s", where(path), what);
}

static bool is_number(struct json_object *v)
{
	return json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int);
}

int codec_number(struct json_object *v, const char *path, double *out, struct error *err)
{
	double d;

	if (!is_number(v))
		return expected(err, path, "a number");
	d = json_object_get_double(v);
	if (!isfinite(d))
		return err_set(err, ERR_INVALID_VALUE, "%s: %g is not a finite number", where(path), d);
	*out = d;
	return 0;
}

int codec_time(struct json_object *v, const struct codec_env *env, const char *path,
	       double *out, struct error *err)
{
	const char *s;
	char *end;
	double d;

	if (!json_object_is_type(v, json_type_string) || json_object_get_string(v)[0] != '+')
		return codec_number(v, path, out, err);
	s = json_object_get_string(v);
	/* "+0.5", "+2", "+1e-3"; strtod alone would also take "+ 1", "+inf", "+0x1p3" */
	d = s[0] == '+' && (isdigit((unsigned char)s[1]) || s[1] == '.') &&
	    strpbrk(s, "xX") == NULL ? strtod(s + 1, &end) : NAN;
	if (isnan(d) || *end != '\0' || !isfinite(d))
		return err_set(err, ERR_BAD_REQUEST, "%s: \"%.40s\" is not a time: seconds, or "
			       "\"+S\" for S seconds from now", where(path), s);
	*out = (env ? env->now : 0.0) + d;
	return 0;
}

int codec_string(struct json_object *v, const char *path, const char **out, struct error *err)
{
	if (!json_object_is_type(v, json_type_string))
		return expected(err, path, "a string");
	*out = json_object_get_string(v);
	return 0;
}

int codec_numbers(struct json_object *v, const struct codec_env *env, const char *path,
		  double **out, size_t *n, struct error *err)
{
	char p[CODEC_PATH_MAX];
	double *vals = NULL;
	size_t len, i;

	if (!json_object_is_type(v, json_type_array))
		return expected(err, path, "an array of numbers");
	len = json_object_array_length(v);
	if (env && env->max_points && len > env->max_points)
		return err_set(err, ERR_LIMIT, "%s: %zu values, more than the %zu an array may have",
			       where(path), len, env->max_points);
	if (len > 0) {
		vals = malloc(len * sizeof(*vals));
		if (vals == NULL)
			return err_set(err, ERR_INTERNAL, "%s: out of memory", where(path));
	}
	for (i = 0; i < len; i++) {
		codec_path_index(p, sizeof(p), path, i);
		if (codec_number(json_object_array_get_idx(v, i), p, &vals[i], err) < 0) {
			free(vals);
			return -1;
		}
	}
	*out = vals;
	*n = len;
	return 0;
}

int codec_index(struct json_object *v, const char *path, int *out, struct error *err)
{
	double d;

	if (v == NULL) {
		*out = -1;
		return 0;
	}
	if (codec_number(v, path, &d, err) < 0)
		return -1;
	if (d != floor(d))
		return expected(err, path, "an integer");
	/* the spec's unsigned long: a negative index wraps to a huge one, IndexSizeError */
	if (d < 0 || d > INT_MAX)
		return err_set(err, ERR_INDEX_SIZE, "%s: index %g is out of range", where(path), d);
	*out = (int)d;
	return 0;
}

/* --- fields ------------------------------------------------------------------------------- */

int codec_check_fields(struct json_object *obj, const char *const *fields, int n,
		       const char *path, struct error *err)
{
	char p[CODEC_PATH_MAX];
	const char *hint;
	int i;

	if (!json_object_is_type(obj, json_type_object))
		return expected(err, path, "an object");
	json_object_object_foreach(obj, key, val) {
		(void)val;
		for (i = 0; i < n; i++)
			if (strcmp(key, fields[i]) == 0)
				break;
		if (i < n)
			continue;
		codec_path_field(p, sizeof(p), path, key);
		hint = err_suggest(key, fields, n);
		if (hint)
			return err_set(err, ERR_BAD_REQUEST,
				       "%s: unknown field, did you mean \"%s\"?", p, hint);
		return err_set(err, ERR_BAD_REQUEST, "%s: unknown field", p);
	}
	return 0;
}

/* the field's value; NULL when absent or null */
static struct json_object *field(struct json_object *obj, const char *name)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(obj, name, &v))
		return NULL;
	return v;
}

static int missing(struct error *err, const char *path, const char *name)
{
	char p[CODEC_PATH_MAX];

	codec_path_field(p, sizeof(p), path, name);
	return err_set(err, ERR_BAD_REQUEST, "%s: missing required field", p);
}

int codec_get_string(struct json_object *obj, const char *name, bool required,
		     const char *path, const char **out, struct error *err)
{
	char p[CODEC_PATH_MAX];
	struct json_object *v = field(obj, name);

	if (v == NULL)
		return required ? missing(err, path, name) : 0;
	codec_path_field(p, sizeof(p), path, name);
	return codec_string(v, p, out, err);
}

int codec_get_number(struct json_object *obj, const char *name, bool required,
		     const char *path, double *out, struct error *err)
{
	char p[CODEC_PATH_MAX];
	struct json_object *v = field(obj, name);

	if (v == NULL)
		return required ? missing(err, path, name) : 0;
	codec_path_field(p, sizeof(p), path, name);
	return codec_number(v, p, out, err);
}

int codec_get_bool(struct json_object *obj, const char *name, bool required,
		   const char *path, bool *out, struct error *err)
{
	char p[CODEC_PATH_MAX];
	struct json_object *v = field(obj, name);

	if (v == NULL)
		return required ? missing(err, path, name) : 0;
	if (!json_object_is_type(v, json_type_boolean)) {
		codec_path_field(p, sizeof(p), path, name);
		return expected(err, p, "a boolean");
	}
	*out = json_object_get_boolean(v);
	return 0;
}

/* --- names -------------------------------------------------------------------------------- */

static const char *map_node(const struct codec_env *env, const char *name, char *buf,
			    const char *path, struct error *err)
{
	if (env == NULL || env->node == NULL)
		return name;
	if (env->node(env->data, name, buf, CODEC_NAME_MAX, err) < 0) {
		err_prefix(err, "%s", path);
		return NULL;
	}
	return buf;
}

/* "node.param" or "node": only the node part is the client's name */
static const char *map_target(const struct codec_env *env, const char *target, char *buf,
			      const char *path, struct error *err)
{
	char node[CODEC_NAME_MAX], mapped[CODEC_NAME_MAX];
	const char *dot, *m;
	size_t len;

	if (env == NULL || env->node == NULL)
		return target;
	dot = strrchr(target, '.');
	if (dot == NULL)
		return map_node(env, target, buf, path, err);
	len = (size_t)(dot - target);
	if (len >= sizeof(node)) {
		err_set(err, ERR_BAD_REQUEST, "%s: name too long", where(path));
		return NULL;
	}
	memcpy(node, target, len);
	node[len] = '\0';
	m = map_node(env, node, mapped, path, err);
	if (m == NULL)
		return NULL;
	snprintf(buf, CODEC_NAME_MAX, "%s%s", m, dot);
	return buf;
}

static struct audio_buffer *find_buffer(const struct codec_env *env, const char *name,
					const char *path, struct error *err)
{
	struct audio_buffer *b;

	if (env == NULL || env->buffer == NULL) {
		err_set(err, ERR_BAD_REQUEST, "%s: no buffers can be named here", where(path));
		return NULL;
	}
	b = env->buffer(env->data, name, err);
	if (b == NULL)
		err_prefix(err, "%s", path);
	return b;
}

/* engine messages about a named option or attribute start with "name: ": hang that name
 * on the JSON path ("nodes[2].props" + "loop: ..." -> "nodes[2].props.loop: ...") */
static bool prefix_join(struct error *err, const char *path, const char *name)
{
	char old[sizeof(err->msg)];
	size_t len = strlen(name);

	if (strncmp(err->msg, name, len) != 0 || err->msg[len] != ':')
		return false;
	memcpy(old, err->msg, sizeof(old));
	/* a long message may lose its tail; it stays readable */
	if (snprintf(err->msg, sizeof(err->msg), "%s%s%s", path ? path : "",
		     path && path[0] ? "." : "", old) >= (int)sizeof(err->msg))
		err->msg[sizeof(err->msg) - 1] = '\0';
	return true;
}

/* --- values ------------------------------------------------------------------------------- */

/* what a converted value owns until the op is built */
struct owned {
	double *arr;
	struct periodic_wave *wave;
};

static void owned_free(struct owned *o)
{
	free(o->arr);
	if (o->wave)
		wave_free(o->wave);
	o->arr = NULL;
	o->wave = NULL;
}

static const char *const wave_fields[] = { "real", "imag", "disableNormalization" };

static struct periodic_wave *wave_from_json(struct json_object *v, const struct codec_env *env,
					    const char *path, struct error *err)
{
	char p[CODEC_PATH_MAX];
	static const double empty = 0;
	double *re = NULL, *im = NULL;
	size_t nre = 0, nim = 0;
	bool dn = false;
	struct periodic_wave *w = NULL;
	struct json_object *f;

	if (codec_check_fields(v, wave_fields, 3, path, err) < 0)
		return NULL;
	if (codec_get_bool(v, "disableNormalization", false, path, &dn, err) < 0)
		return NULL;
	if ((f = field(v, "real")) != NULL) {
		codec_path_field(p, sizeof(p), path, "real");
		if (codec_numbers(f, env, p, &re, &nre, err) < 0)
			return NULL;
	}
	if ((f = field(v, "imag")) != NULL) {
		codec_path_field(p, sizeof(p), path, "imag");
		if (codec_numbers(f, env, p, &im, &nim, err) < 0)
			goto out;
	}
	/* present but empty is not absent: wave_new tells them apart by the pointer */
	w = wave_new(re ? re : (field(v, "real") ? &empty : NULL), nre,
		     im ? im : (field(v, "imag") ? &empty : NULL), nim, dn, err);
	if (w == NULL)
		err_prefix(err, "%s", path);
out:
	free(re);
	free(im);
	return w;
}

/* an option or attribute value; `key` selects the special cases: a buffer is named by a
 * string, a PeriodicWave is an object */
static int value_from_json(struct json_object *v, const char *key,
			   const struct codec_env *env, const char *path, struct value *out,
			   struct owned *own, struct error *err)
{
	size_t n;

	switch (json_object_get_type(v)) {
	case json_type_null:
		out->type = VALUE_NULL;
		return 0;
	case json_type_boolean:
		out->type = VALUE_BOOL;
		out->b = json_object_get_boolean(v);
		return 0;
	case json_type_int:
	case json_type_double:
		out->type = VALUE_NUMBER;
		return codec_number(v, path, &out->num, err);
	case json_type_string:
		if (strcmp(key, "buffer") == 0) {
			out->type = VALUE_BUFFER;
			out->buf = find_buffer(env, json_object_get_string(v), path, err);
			return out->buf ? 0 : -1;
		}
		out->type = VALUE_STRING;
		out->str = json_object_get_string(v);
		return 0;
	case json_type_array:
		if (codec_numbers(v, env, path, &own->arr, &n, err) < 0)
			return -1;
		out->type = VALUE_ARRAY;
		out->arr.v = own->arr;
		out->arr.n = n;
		return 0;
	case json_type_object:
		if (strcmp(key, "periodicWave") == 0) {
			own->wave = wave_from_json(v, env, path, err);
			if (own->wave == NULL)
				return -1;
			out->type = VALUE_WAVE;
			out->wave = own->wave;
			return 0;
		}
		break;
	}
	return expected(err, path, "a number, boolean, string or array of numbers");
}

/* --- create ------------------------------------------------------------------------------- */

struct optlist {
	struct option *v;
	struct owned *own;
	size_t n, cap;
};

static void optlist_free(struct optlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		owned_free(&l->own[i]);
	free(l->v);
	free(l->own);
}

static int optlist_add(struct optlist *l, const char *name, struct json_object *v,
		       const struct codec_env *env, const char *path, struct error *err)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct option *nv = realloc(l->v, cap * sizeof(*nv));
		struct owned *no;

		if (nv == NULL)
			return err_set(err, ERR_INTERNAL, "out of memory");
		l->v = nv;
		no = realloc(l->own, cap * sizeof(*no));
		if (no == NULL)
			return err_set(err, ERR_INTERNAL, "out of memory");
		l->own = no;
		l->cap = cap;
	}
	l->own[l->n] = (struct owned){ 0 };
	l->v[l->n].name = name;
	if (value_from_json(v, name, env, path, &l->v[l->n].value, &l->own[l->n], err) < 0) {
		owned_free(&l->own[l->n]);
		return -1;
	}
	l->n++;
	return 0;
}

static int add_extra(struct optlist *l, struct json_object *options, const char *name,
		     struct json_object *v, const struct codec_env *env, const char *path,
		     struct error *err)
{
	char p[CODEC_PATH_MAX];

	if (v == NULL)
		return 0;
	codec_path_field(p, sizeof(p), path, name);
	if (options && field(options, name))
		return err_set(err, ERR_BAD_REQUEST, "%s: also given in options", p);
	if (strcmp(name, "buffer") == 0 && !json_object_is_type(v, json_type_string) &&
	    !json_object_is_type(v, json_type_null))
		return expected(err, p, "a buffer name");
	if (strcmp(name, "curve") == 0 && !json_object_is_type(v, json_type_array) &&
	    !json_object_is_type(v, json_type_null))
		return expected(err, p, "an array of numbers");
	if (strcmp(name, "periodicWave") == 0 && !json_object_is_type(v, json_type_object))
		return expected(err, p, "an object");
	return optlist_add(l, name, v, env, p, err);
}

/* engine option errors start with the option's name: turn that into its JSON path */
static void create_error_path(struct error *err, const char *path, struct json_object *options,
			      const struct optlist *l)
{
	char p[CODEC_PATH_MAX];
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (options && field(options, l->v[i].name))
			codec_path_field(p, sizeof(p), path, "options");
		else
			snprintf(p, sizeof(p), "%s", path);
		if (prefix_join(err, p, l->v[i].name))
			return;
	}
	if (err->code == ERR_UNKNOWN_TYPE) {
		codec_path_field(p, sizeof(p), path, "type");
		err_prefix(err, "%s", p);
		return;
	}
	err_prefix(err, "%s", path);
}

int codec_create(struct engine *e, const char *type, const char *name,
		 struct json_object *options, struct json_object *buffer,
		 struct json_object *curve, struct json_object *wave,
		 const struct codec_env *env, const char *path, struct engine_op **op,
		 struct error *err)
{
	char p[CODEC_PATH_MAX], mapped[CODEC_NAME_MAX];
	struct optlist l = { 0 };
	const char *ename;
	int r = -1;

	if (options) {
		codec_path_field(p, sizeof(p), path, "options");
		if (!json_object_is_type(options, json_type_object))
			return expected(err, p, "an object");
		json_object_object_foreach(options, key, val) {
			char kp[CODEC_PATH_MAX];

			codec_path_field(kp, sizeof(kp), p, key);
			if (optlist_add(&l, key, val, env, kp, err) < 0)
				goto out;
		}
	}
	if (add_extra(&l, options, "buffer", buffer, env, path, err) < 0 ||
	    add_extra(&l, options, "curve", curve, env, path, err) < 0 ||
	    add_extra(&l, options, "periodicWave", wave, env, path, err) < 0)
		goto out;
	*op = NULL;
	if (e == NULL) {
		r = 0;
		goto out;
	}
	ename = map_node(env, name, mapped, path, err);
	if (ename == NULL)
		goto out;
	r = engine_op_create_at(e, env_apply(env), type, ename, l.v, l.n, op, err);
	if (r < 0)
		create_error_path(err, path, options, &l);
out:
	/* the engine copied what it keeps (the oscillator its wave tables) */
	optlist_free(&l);
	return r;
}

/* a name for a node created without one: "oscillator1" for OscillatorNode */
static int auto_name(struct engine *e, const char *type, const struct codec_env *env,
		     char *out, size_t size, struct error *err)
{
	char base[64], mapped[CODEC_NAME_MAX];
	size_t len = strlen(type);
	unsigned i;

	if (len > 4 && strcmp(type + len - 4, "Node") == 0)
		len -= 4;
	if (len >= sizeof(base))
		len = sizeof(base) - 1;
	memcpy(base, type, len);
	base[len] = '\0';
	if (base[0] >= 'A' && base[0] <= 'Z')
		base[0] = (char)(base[0] - 'A' + 'a');
	for (i = 1; i < UINT32_MAX; i++) {
		const char *m;

		snprintf(out, size, "%s%u", base, i);
		if (e == NULL)
			return 0;
		m = map_node(env, out, mapped, "id", err);
		if (m == NULL)
			return -1;
		if (engine_node(e, m) == NULL)
			return 0;
	}
	return err_set(err, ERR_LIMIT, "no free node name");
}

/* --- set, start, stop, connect ------------------------------------------------------------ */

int codec_set(struct engine *e, const char *name, const char *attr, struct json_object *value,
	      const struct codec_env *env, const char *path, const char *value_path,
	      struct engine_op **op, struct error *err)
{
	char mapped[CODEC_NAME_MAX];
	struct owned own = { 0 };
	struct value v;
	const char *ename;
	int r = -1;

	if (value_from_json(value, attr, env, value_path, &v, &own, err) < 0)
		goto out;
	*op = NULL;
	if (e == NULL) {
		r = 0;
		goto out;
	}
	ename = map_node(env, name, mapped, path, err);
	if (ename == NULL)
		goto out;
	r = engine_op_set(e, ename, attr, &v, op, err);
	if (r < 0 && !prefix_join(err, path, attr))
		err_prefix(err, "%s", path);
out:
	owned_free(&own);
	return r;
}

int codec_start(struct engine *e, const char *name, double when, double offset,
		double duration, const struct codec_env *env, const char *path,
		struct engine_op **op, struct error *err)
{
	char mapped[CODEC_NAME_MAX];
	const char *ename;

	*op = NULL;
	if (e == NULL)
		return 0;
	ename = map_node(env, name, mapped, path, err);
	if (ename == NULL)
		return -1;
	if (engine_op_start(e, ename, when, offset, duration, op, err) < 0) {
		err_prefix(err, "%s", path);
		return -1;
	}
	return 0;
}

int codec_stop(struct engine *e, const char *name, double when, const struct codec_env *env,
	       const char *path, struct engine_op **op, struct error *err)
{
	char mapped[CODEC_NAME_MAX];
	const char *ename;

	*op = NULL;
	if (e == NULL)
		return 0;
	ename = map_node(env, name, mapped, path, err);
	if (ename == NULL)
		return -1;
	if (engine_op_stop(e, ename, when, op, err) < 0) {
		err_prefix(err, "%s", path);
		return -1;
	}
	return 0;
}

static int do_delete(struct engine *e, const char *name, const struct codec_env *env,
		     const char *path, struct engine_op **op, struct error *err)
{
	char mapped[CODEC_NAME_MAX];
	const char *ename;

	*op = NULL;
	if (e == NULL)
		return 0;
	ename = map_node(env, name, mapped, path, err);
	if (ename == NULL)
		return -1;
	if (engine_op_delete_at(e, env_apply(env), ename, op, err) < 0) {
		err_prefix(err, "%s", path);
		return -1;
	}
	return 0;
}

int codec_connect(struct engine *e, bool connect, const char *from, const char *to,
		  int output, int input, const struct codec_env *env, const char *path,
		  struct engine_op **op, struct error *err)
{
	char mfrom[CODEC_NAME_MAX], mto[CODEC_NAME_MAX];
	const char *efrom, *eto = NULL;
	int r;

	*op = NULL;
	if (e == NULL)
		return 0;
	efrom = map_node(env, from, mfrom, path, err);
	if (efrom == NULL)
		return -1;
	if (to && (eto = map_target(env, to, mto, path, err)) == NULL)
		return -1;
	if (connect)
		r = engine_op_connect_at(e, env_apply(env), efrom, eto, output, input, op, err);
	else
		r = engine_op_disconnect_at(e, env_apply(env), efrom, eto, output, input, op, err);
	if (r < 0)
		err_prefix(err, "%s", path);
	return r;
}

/* --- param -------------------------------------------------------------------------------- */

/* which argument of an AudioParam method is a point in time (and may be "+S"), counted
 * after a curve; SIZE_MAX: none */
static size_t time_arg(const char *method)
{
	static const struct { const char *name; size_t arg; } methods[] = {
		{ "setValueAtTime", 1 }, { "linearRampToValueAtTime", 1 },
		{ "exponentialRampToValueAtTime", 1 }, { "setTargetAtTime", 1 },
		{ "setValueCurveAtTime", 0 }, { "cancelScheduledValues", 0 },
		{ "cancelAndHoldAtTime", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(methods[i].name, method) == 0)
			return methods[i].arg;
	return SIZE_MAX;
}

/* the method's arguments are arr[first..]; element k's path is base[k] */
static int do_param(struct engine *e, const char *target, const char *method,
		    struct json_object *arr, size_t first, const char *base,
		    const struct codec_env *env, const char *path, struct engine_op **op,
		    struct error *err)
{
	char p[CODEC_PATH_MAX], mapped[CODEC_NAME_MAX];
	double args[MAX_ARGS], *cv = NULL;
	float *curve = NULL;
	size_t n = arr ? json_object_array_length(arr) : 0, nargs = 0, ncurve = 0, i;
	const char *rate = NULL, *etarget;
	int r = -1;

	n = n > first ? n - first : 0;
	if (strcmp(method, "automationRate") == 0) {
		if (n != 1)
			return err_set(err, ERR_BAD_REQUEST,
				       "%s: automationRate takes one argument, \"a-rate\" or \"k-rate\"",
				       where(path));
		codec_path_index(p, sizeof(p), base, first);
		if (codec_string(json_object_array_get_idx(arr, first), p, &rate, err) < 0)
			return -1;
		n = 0;
	} else if (strcmp(method, "setValueCurveAtTime") == 0 && n > 0) {
		codec_path_index(p, sizeof(p), base, first);
		if (codec_numbers(json_object_array_get_idx(arr, first), env, p, &cv, &ncurve,
				  err) < 0)
			return -1;
		curve = malloc((ncurve ? ncurve : 1) * sizeof(*curve));
		if (curve == NULL) {
			err_set(err, ERR_INTERNAL, "out of memory");
			goto out;
		}
		for (i = 0; i < ncurve; i++) {
			curve[i] = (float)cv[i];
			/* WebIDL float: a double beyond float's range is a TypeError */
			if (!isfinite(curve[i])) {
				codec_path_index(p, sizeof(p), base, first);
				err_set(err, ERR_INVALID_VALUE, "%s[%zu]: %g is outside the range of a float",
					p, i, cv[i]);
				goto out;
			}
		}
		first++;
		n--;
	}
	if (n > MAX_ARGS) {
		err_set(err, ERR_BAD_REQUEST, "%s: too many arguments for %s", where(path), method);
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(arr, first + i);

		codec_path_index(p, sizeof(p), base, first + i);
		if ((i == time_arg(method) ? codec_time(v, env, p, &args[i], err) :
		     codec_number(v, p, &args[i], err)) < 0)
			goto out;
	}
	nargs = n;
	*op = NULL;
	r = 0;
	if (e == NULL)
		goto out;
	r = -1;
	etarget = map_target(env, target, mapped, path, err);
	if (etarget == NULL)
		goto out;
	r = engine_op_param_at(e, env_apply(env), etarget, method, args, nargs, curve, ncurve,
			       rate, op, err);
	if (r < 0)
		err_prefix(err, "%s", path);
out:
	free(cv);
	free(curve);
	return r;
}

int codec_param_call(struct engine *e, const char *target, struct json_object *call,
		     const struct codec_env *env, const char *path, struct engine_op **op,
		     struct error *err)
{
	char p[CODEC_PATH_MAX];
	const char *method;

	if (!json_object_is_type(call, json_type_array) || json_object_array_length(call) < 1)
		return expected(err, path, "[method, args...]");
	codec_path_index(p, sizeof(p), path, 0);
	if (codec_string(json_object_array_get_idx(call, 0), p, &method, err) < 0)
		return -1;
	return do_param(e, target, method, call, 1, path, env, path, op, err);
}

/* --- request objects ---------------------------------------------------------------------- */

/* at: the request's "at" (s), NAN when it has none */
typedef int (*op_fn)(struct engine *e, struct json_object *req, const struct codec_env *env,
		     double at, const char *path, struct engine_op **op,
		     struct json_object **result, struct error *err);

static int get_time(struct json_object *req, const char *name, const struct codec_env *env,
		    const char *path, double *out, struct error *err)
{
	char p[CODEC_PATH_MAX];
	struct json_object *v = field(req, name);

	if (v == NULL)
		return 0;
	codec_path_field(p, sizeof(p), path, name);
	return codec_time(v, env, p, out, err);
}

/* start(when) or stop(when) with a `when` already past when the op takes effect (now, or its
 * `at`) acts at once, as Web Audio says; the reply says so, since it is rarely meant.  0 is
 * the usual "at once" and gets no warning. */
static void late_warning(struct engine *e, const char *verb, double when,
			 const struct codec_env *env, double at, struct json_object **result)
{
	double now = env ? env->now : 0.0, eff = isnan(at) || at < now ? now : at;
	char msg[160];

	if (e == NULL || result == NULL || isnan(when) || when <= 0.0 || when >= eff)
		return;
	snprintf(msg, sizeof(msg), "%s when %.6f is %.3f s in the past (%s %.6f): it acts at once",
		 verb, when, eff - when, eff == now ? "now" : "at", eff);
	if (*result == NULL)
		*result = json_object_new_object();
	json_object_object_add(*result, "warning", json_object_new_string(msg));
}

static int req_create(struct engine *e, struct json_object *req, const struct codec_env *env,
		      double at, const char *path, struct engine_op **op, struct json_object **result,
		      struct error *err)
{
	char name[CODEC_NAME_MAX];
	const char *type, *id = NULL;

	if (codec_get_string(req, "type", true, path, &type, err) < 0 ||
	    codec_get_string(req, "id", false, path, &id, err) < 0)
		return -1;
	if (id == NULL) {
		if (auto_name(e, type, env, name, sizeof(name), err) < 0)
			return -1;
		id = name;
	}
	if (codec_create(e, type, id, field(req, "options"), field(req, "buffer"),
			 field(req, "curve"), field(req, "periodicWave"), env, path, op, err) < 0)
		return -1;
	if (result) {
		*result = json_object_new_object();
		json_object_object_add(*result, "id", json_object_new_string(id));
	}
	return 0;
}

static int req_delete(struct engine *e, struct json_object *req, const struct codec_env *env,
		      double at, const char *path, struct engine_op **op, struct json_object **result,
		      struct error *err)
{
	const char *id;

	if (codec_get_string(req, "id", true, path, &id, err) < 0)
		return -1;
	return do_delete(e, id, env, path, op, err);
}

static int req_connect_common(struct engine *e, bool connect, struct json_object *req,
			      const struct codec_env *env, const char *path,
			      struct engine_op **op, struct error *err)
{
	char p[CODEC_PATH_MAX];
	const char *from, *to = NULL;
	int output, input;

	if (codec_get_string(req, "from", true, path, &from, err) < 0 ||
	    codec_get_string(req, "to", connect, path, &to, err) < 0)
		return -1;
	codec_path_field(p, sizeof(p), path, "output");
	if (codec_index(field(req, "output"), p, &output, err) < 0)
		return -1;
	codec_path_field(p, sizeof(p), path, "input");
	if (codec_index(field(req, "input"), p, &input, err) < 0)
		return -1;
	return codec_connect(e, connect, from, to, output, input, env, path, op, err);
}

static int req_connect(struct engine *e, struct json_object *req, const struct codec_env *env,
		       double at, const char *path, struct engine_op **op, struct json_object **result,
		       struct error *err)
{
	return req_connect_common(e, true, req, env, path, op, err);
}

static int req_disconnect(struct engine *e, struct json_object *req,
			  const struct codec_env *env, double at, const char *path, struct engine_op **op,
			  struct json_object **result, struct error *err)
{
	return req_connect_common(e, false, req, env, path, op, err);
}

static int req_set(struct engine *e, struct json_object *req, const struct codec_env *env,
		   double at, const char *path, struct engine_op **op, struct json_object **result,
		   struct error *err)
{
	char p[CODEC_PATH_MAX];
	const char *id, *attr;
	struct json_object *value;

	if (codec_get_string(req, "id", true, path, &id, err) < 0 ||
	    codec_get_string(req, "attr", true, path, &attr, err) < 0)
		return -1;
	if (!json_object_object_get_ex(req, "value", &value))
		return missing(err, path, "value");
	codec_path_field(p, sizeof(p), path, "value");
	return codec_set(e, id, attr, value, env, path, p, op, err);
}

static int req_param(struct engine *e, struct json_object *req, const struct codec_env *env,
		     double at, const char *path, struct engine_op **op, struct json_object **result,
		     struct error *err)
{
	char p[CODEC_PATH_MAX];
	const char *target, *method;
	struct json_object *args = field(req, "args");

	if (codec_get_string(req, "target", true, path, &target, err) < 0 ||
	    codec_get_string(req, "method", true, path, &method, err) < 0)
		return -1;
	codec_path_field(p, sizeof(p), path, "args");
	if (args && !json_object_is_type(args, json_type_array))
		return expected(err, p, "an array");
	return do_param(e, target, method, args, 0, p, env, path, op, err);
}

static int req_start(struct engine *e, struct json_object *req, const struct codec_env *env,
		     double at, const char *path, struct engine_op **op, struct json_object **result,
		     struct error *err)
{
	const char *id;
	double when = NAN, offset = NAN, duration = NAN;

	if (codec_get_string(req, "id", true, path, &id, err) < 0 ||
	    get_time(req, "when", env, path, &when, err) < 0 ||
	    codec_get_number(req, "offset", false, path, &offset, err) < 0 ||
	    codec_get_number(req, "duration", false, path, &duration, err) < 0 ||
	    codec_start(e, id, when, offset, duration, env, path, op, err) < 0)
		return -1;
	late_warning(e, "start", when, env, at, result);
	return 0;
}

static int req_stop(struct engine *e, struct json_object *req, const struct codec_env *env,
		    double at, const char *path, struct engine_op **op, struct json_object **result,
		    struct error *err)
{
	const char *id;
	double when = NAN;

	if (codec_get_string(req, "id", true, path, &id, err) < 0 ||
	    get_time(req, "when", env, path, &when, err) < 0 ||
	    codec_stop(e, id, when, env, path, op, err) < 0)
		return -1;
	late_warning(e, "stop", when, env, at, result);
	return 0;
}

#define FIELDS(...) ((const char *const[]){ "op", "id", "at", __VA_ARGS__ })
#define NFIELDS(...) (3 + (int)(sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(char *)))
#define OP(name, fn, ...) { name, fn, FIELDS(__VA_ARGS__), NFIELDS(__VA_ARGS__) }

struct codec_op {
	const char *name;
	op_fn fn;
	const char *const *fields;
	int n_fields;
};

static const struct codec_op graph_ops[] = {
	OP("create", req_create, "type", "options", "buffer", "curve", "periodicWave"),
	OP("delete", req_delete, "id"),
	OP("connect", req_connect, "from", "to", "output", "input"),
	OP("disconnect", req_disconnect, "from", "to", "output", "input"),
	OP("set", req_set, "attr", "value"),
	OP("param", req_param, "target", "method", "args"),
	OP("start", req_start, "when", "offset", "duration"),
	OP("stop", req_stop, "when"),
};

#define N_GRAPH_OPS (sizeof(graph_ops) / sizeof(graph_ops[0]))

const struct codec_op *codec_op_find(const char *name)
{
	size_t i;

	for (i = 0; name && i < N_GRAPH_OPS; i++)
		if (strcmp(graph_ops[i].name, name) == 0)
			return &graph_ops[i];
	return NULL;
}

const char *codec_op_name(const struct codec_op *g)
{
	return g->name;
}

int codec_unknown_op(const char *op, const char *const *others, size_t n_others,
		     const char *path, struct error *err)
{
	const char *names[N_GRAPH_OPS + 64];
	char p[CODEC_PATH_MAX];
	const char *hint;
	size_t n = 0, i;

	for (i = 0; i < N_GRAPH_OPS; i++)
		names[n++] = graph_ops[i].name;
	for (i = 0; i < n_others && n < sizeof(names) / sizeof(names[0]); i++)
		names[n++] = others[i];
	hint = err_suggest(op, names, (int)n);

	codec_path_field(p, sizeof(p), path, "op");
	if (hint)
		return err_set(err, ERR_UNKNOWN_OP, "%s: unknown op \"%s\", did you mean \"%s\"?", p,
			       op, hint);
	return err_set(err, ERR_UNKNOWN_OP, "%s: unknown op \"%s\"", p, op);
}

int codec_op(struct engine *e, struct json_object *req, const struct codec_env *env,
	     const char *path, struct engine_op **op, struct json_object **result,
	     struct error *err)
{
	const struct codec_op *g;
	const char *name;
	char p[CODEC_PATH_MAX];
	struct json_object *v;
	double at = NAN;

	*op = NULL;
	if (!json_object_is_type(req, json_type_object))
		return expected(err, path, "an object");
	if (codec_get_string(req, "op", true, path, &name, err) < 0)
		return -1;
	g = codec_op_find(name);
	if (g == NULL)
		return codec_unknown_op(name, NULL, 0, path, err);
	if ((v = field(req, "at")) != NULL) {
		codec_path_field(p, sizeof(p), path, "at");
		if (codec_time(v, env, p, &at, err) < 0)
			return -1;
	}
	return codec_op_run(e, g, req, env, at, path, op, result, err);
}

int codec_op_run(struct engine *e, const struct codec_op *g, struct json_object *req,
		 const struct codec_env *env, double at, const char *path, struct engine_op **op,
		 struct json_object **result, struct error *err)
{
	if (result)
		*result = NULL;
	*op = NULL;
	if (codec_check_fields(req, g->fields, g->n_fields, path, err) < 0)
		return -1;
	return g->fn(e, req, env, at, path, op, result, err);
}

int codec_at(struct json_object *v, const struct codec_env *env, double rate, double *t,
	     uint64_t *frame, struct error *err)
{
	if (codec_time(v, env, "at", t, err) < 0)
		return -1;
	if (*t < 0)
		return err_set(err, ERR_INVALID_VALUE, "at: %g is negative", *t);
	if (*t * rate > 0x1p62)	/* no frame counter gets there */
		return err_set(err, ERR_INVALID_VALUE, "at: %g is too far ahead", *t);
	/* as the engine's activation: t * rate may come back a hair above a whole frame */
	*frame = (uint64_t)ceil(*t * rate - 1e-9);
	return 0;
}

int codec_check_new_name(const char *name, const char *path, struct error *err)
{
	if (name[0] == '\0' || strpbrk(name, "/.:"))
		return err_set(err, ERR_INVALID_VALUE, "%s: \"%s\" cannot name a node (empty, or "
			       "with '/', '.' or ':')", path, name);
	if (strcmp(name, "destination") == 0 || strcmp(name, "listener") == 0 ||
	    strcmp(name, "bus") == 0)
		return err_set(err, ERR_INVALID_STATE, "%s: \"%s\" is taken by the session", path,
			       name);
	return 0;
}

/* command i of a batch: a graph op, with no "at" of its own, well formed */
static int batch_command(struct json_object *cmd, const char *const *others, size_t n_others,
			 const char *p, const struct codec_op **g, struct error *err)
{
	struct engine_op *op;
	const char *name;
	size_t k;

	if (!json_object_is_type(cmd, json_type_object))
		return err_set(err, ERR_BAD_REQUEST, "%s: expected an object", p);
	if (codec_get_string(cmd, "op", true, p, &name, err) < 0)
		return -1;
	if ((*g = codec_op_find(name)) == NULL) {
		/* the caller's own ops answer at once: none of them can wait for a batch */
		for (k = 0; k < n_others; k++)
			if (strcmp(name, others[k]) == 0)
				return err_set(err, ERR_BAD_REQUEST, "%s.op: \"%s\" cannot be part "
					       "of a batch", p, name);
		return codec_unknown_op(name, NULL, 0, p, err);
	}
	if (field(cmd, "at"))
		return err_set(err, ERR_BAD_REQUEST, "%s.at: a batch applies at once: put \"at\" "
			       "on the batch", p);
	/* without an engine: the shape only, no op is made */
	return codec_op_run(NULL, *g, cmd, NULL, NAN, p, &op, NULL, err);
}

int codec_batch_check(struct json_object *cmds, const char *const *others, size_t n_others,
		      const struct codec_op **ops, size_t *bad, struct error *err)
{
	char p[CODEC_PATH_MAX];
	size_t i, n = json_object_array_length(cmds);

	for (i = 0; i < n; i++) {
		*bad = i;
		codec_path_index(p, sizeof(p), "commands", i);
		if (batch_command(json_object_array_get_idx(cmds, i), others, n_others, p, &ops[i],
				  err) < 0)
			return -1;
	}
	return 0;
}

/* --- positional actions ------------------------------------------------------------------- */

static const struct action {
	const char *name;
	size_t min, max;	/* array length, the name included */
	const char *usage;
} actions[] = {
	{ "connect", 3, 5, "[\"connect\", from, to, output?, input?]" },
	{ "disconnect", 2, 5, "[\"disconnect\", from, to?, output?, input?]" },
	{ "set", 4, 4, "[\"set\", id, attr, value]" },
	{ "param", 3, 3 + MAX_ARGS + 1, "[\"param\", \"node.param\", method, args...]" },
	{ "start", 2, 5, "[\"start\", id, when?, offset?, duration?]" },
	{ "stop", 2, 3, "[\"stop\", id, when?]" },
	{ "delete", 2, 2, "[\"delete\", id]" },
};

#define N_ACTIONS (sizeof(actions) / sizeof(actions[0]))

static const struct action *action_find(struct json_object *a, const char *path,
					struct error *err)
{
	const char *names[N_ACTIONS], *name, *hint;
	char p[CODEC_PATH_MAX];
	size_t i, len;

	if (!json_object_is_type(a, json_type_array) || json_object_array_length(a) < 1) {
		expected(err, path, "an array [action, args...]");
		return NULL;
	}
	codec_path_index(p, sizeof(p), path, 0);
	if (codec_string(json_object_array_get_idx(a, 0), p, &name, err) < 0)
		return NULL;
	for (i = 0; i < N_ACTIONS; i++) {
		names[i] = actions[i].name;
		if (strcmp(name, actions[i].name) != 0)
			continue;
		len = json_object_array_length(a);
		if (len < actions[i].min || len > actions[i].max) {
			err_set(err, ERR_BAD_REQUEST, "%s: expected %s", where(path), actions[i].usage);
			return NULL;
		}
		return &actions[i];
	}
	hint = err_suggest(name, names, (int)N_ACTIONS);
	if (hint)
		err_set(err, ERR_UNKNOWN_OP, "%s: unknown action \"%s\", did you mean \"%s\"?", p,
			name, hint);
	else
		err_set(err, ERR_UNKNOWN_OP, "%s: unknown action \"%s\"", p, name);
	return NULL;
}

/* a[i] as a string / an optional number (NAN when past the end) */
static int arg_string(struct json_object *a, size_t i, const char *path, const char **out,
		      struct error *err)
{
	char p[CODEC_PATH_MAX];

	codec_path_index(p, sizeof(p), path, i);
	return codec_string(json_object_array_get_idx(a, i), p, out, err);
}

static int arg_number(struct json_object *a, size_t i, const char *path, double *out,
		      struct error *err)
{
	char p[CODEC_PATH_MAX];

	*out = NAN;
	if (i >= json_object_array_length(a))
		return 0;
	codec_path_index(p, sizeof(p), path, i);
	return codec_number(json_object_array_get_idx(a, i), p, out, err);
}

/* a point in time: seconds, or "+S" from env's now; NAN when absent */
static int arg_time(struct json_object *a, size_t i, const struct codec_env *env,
		    const char *path, double *out, struct error *err)
{
	char p[CODEC_PATH_MAX];

	*out = NAN;
	if (i >= json_object_array_length(a))
		return 0;
	codec_path_index(p, sizeof(p), path, i);
	return codec_time(json_object_array_get_idx(a, i), env, p, out, err);
}

static int arg_index(struct json_object *a, size_t i, const char *path, int *out,
		     struct error *err)
{
	char p[CODEC_PATH_MAX];

	codec_path_index(p, sizeof(p), path, i);
	return codec_index(json_object_array_get_idx(a, i), p, out, err);
}

static int action_connect(struct engine *e, bool connect, struct json_object *a,
			  const struct codec_env *env, const char *path, struct engine_op **op,
			  struct error *err)
{
	const char *from, *to = NULL;
	size_t i = 2;
	int output, input;

	if (arg_string(a, 1, path, &from, err) < 0)
		return -1;
	/* disconnect(output) has no destination: a number in the second place is the output */
	if (connect || (json_object_array_length(a) > 2 &&
			!is_number(json_object_array_get_idx(a, 2)))) {
		if (arg_string(a, 2, path, &to, err) < 0)
			return -1;
		i = 3;
	}
	if (arg_index(a, i, path, &output, err) < 0 || arg_index(a, i + 1, path, &input, err) < 0)
		return -1;
	if (i + 2 < json_object_array_length(a))
		return err_set(err, ERR_BAD_REQUEST, "%s: too many arguments", where(path));
	return codec_connect(e, connect, from, to, output, input, env, path, op, err);
}

static int action_run(struct engine *e, struct json_object *a, const struct codec_env *env,
		      const char *path, struct engine_op **op, struct error *err)
{
	char p[CODEC_PATH_MAX];
	const struct action *act = action_find(a, path, err);
	const char *s1, *s2;
	double when, offset, duration;

	*op = NULL;
	if (act == NULL)
		return -1;
	if (strcmp(act->name, "connect") == 0 || strcmp(act->name, "disconnect") == 0)
		return action_connect(e, act->name[0] == 'c', a, env, path, op, err);
	if (arg_string(a, 1, path, &s1, err) < 0)
		return -1;
	if (strcmp(act->name, "set") == 0) {
		if (arg_string(a, 2, path, &s2, err) < 0)
			return -1;
		codec_path_index(p, sizeof(p), path, 3);
		return codec_set(e, s1, s2, json_object_array_get_idx(a, 3), env, path, p, op, err);
	}
	if (strcmp(act->name, "param") == 0) {
		if (arg_string(a, 2, path, &s2, err) < 0)
			return -1;
		return do_param(e, s1, s2, a, 3, path, env, path, op, err);
	}
	if (strcmp(act->name, "start") == 0) {
		if (arg_time(a, 2, env, path, &when, err) < 0 ||
		    arg_number(a, 3, path, &offset, err) < 0 ||
		    arg_number(a, 4, path, &duration, err) < 0)
			return -1;
		return codec_start(e, s1, when, offset, duration, env, path, op, err);
	}
	if (strcmp(act->name, "stop") == 0) {
		if (arg_time(a, 2, env, path, &when, err) < 0)
			return -1;
		return codec_stop(e, s1, when, env, path, op, err);
	}
	return do_delete(e, s1, env, path, op, err);
}

int codec_action(struct engine *e, struct json_object *action, const struct codec_env *env,
		 const char *path, struct engine_op **op, struct error *err)
{
	return action_run(e, action, env, path, op, err);
}

int codec_action_check(struct json_object *action, const struct codec_env *env,
		       const char *path, struct error *err)
{
	struct engine_op *op;

	return action_run(NULL, action, env, path, &op, err);
}

/* --- replies ------------------------------------------------------------------------------ */

struct json_object *codec_error_object(const struct error *err)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "code", json_object_new_string(err_name(err->code)));
	json_object_object_add(o, "message", json_object_new_string(err->msg));
	return o;
}

static struct json_object *reply_new(struct json_object *req, bool ok)
{
	struct json_object *r = json_object_new_object(), *id;

	if (req && json_object_is_type(req, json_type_object) &&
	    json_object_object_get_ex(req, "id", &id))
		json_object_object_add(r, "id", json_object_get(id));
	json_object_object_add(r, "ok", json_object_new_boolean(ok));
	return r;
}

struct json_object *codec_error_reply(struct json_object *id, const struct error *err)
{
	struct json_object *r = json_object_new_object();

	if (id)
		json_object_object_add(r, "id", json_object_get(id));
	json_object_object_add(r, "ok", json_object_new_boolean(false));
	json_object_object_add(r, "error", codec_error_object(err));
	return r;
}

struct json_object *codec_reply_error(struct json_object *req, const struct error *err)
{
	struct json_object *r = reply_new(req, false);

	json_object_object_add(r, "error", codec_error_object(err));
	return r;
}

struct json_object *codec_reply_ok(struct json_object *req)
{
	return reply_new(req, true);
}

void codec_reply_merge(struct json_object *reply, struct json_object *result)
{
	if (result == NULL)
		return;
	json_object_object_foreach(result, key, val)
		json_object_object_add(reply, key, json_object_get(val));
	json_object_put(result);
}
