/* audiod.node: audiod's engine for Node.js (N-API, version 8).  the JavaScript package
 * (index.cjs) builds the Web Audio API on it: an Engine object per context, AudioBuffer and
 * PeriodicWave handles, asynchronous rendering and decoding.
 * threads: every napi call runs on the JS main thread.  render and decode work run on libuv's
 * worker threads (napi async work); a render holds the engine's lock one quantum at a time and
 * every op takes it too, so JS may edit the graph of a context that is rendering. */
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <poll.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <samplerate.h>
#include <sndfile.h>

#include "engine/analyser.h"
#include "engine/biquad.h"
#include "engine/buffer.h"
#include "engine/engine.h"
#include "engine/iir.h"
#include "engine/node.h"
#include "engine/wave.h"
#include "protocol/denormal.h"
#include "protocol/hrtf.h"

#define NAME_MAX_LEN 256
#define MAX_ARGS 8

/* type tags of the handles the addon gives out */
static const napi_type_tag buffer_tag = { 0x6175646964627566ULL, 0x4e4f444542554631ULL };
static const napi_type_tag wave_tag = { 0x6175646964776176ULL, 0x4e4f444557415631ULL };

struct ctx {
	struct engine *e;
	struct hrtf_cache hrtf;
	pthread_mutex_t lock;	/* held by ops and by the render around each quantum */
	bool busy;		/* a render is queued or running (main thread) */
	double apply;		/* context time (s) the ops made from now on take effect at
				 * (setNow; engine.h ENGINE_NEXT before any) */
};

struct render_job {
	struct ctx *c;
	napi_async_work work;
	napi_ref self;		/* the Engine object, kept alive while rendering */
	napi_ref arrays;	/* the output channels (a JS array of Float32Array) */
	napi_ref cb;
	float *out[MAX_CHANNELS];
	uint32_t channels;
	uint64_t to;		/* last frame (exclusive) to write */
	uint64_t length;	/* frames the channel arrays hold */
};

/* --- helpers ----------------------------------------------------------------------------- */

#define CHECK(env, call)						\
	do {								\
		if ((call) != napi_ok) {				\
			throw_last(env);				\
			return NULL;					\
		}							\
	} while (0)

static void throw_last(napi_env env)
{
	const napi_extended_error_info *info = NULL;
	bool pending = false;

	napi_is_exception_pending(env, &pending);
	if (pending)
		return;
	napi_get_last_error_info(env, &info);
	napi_throw_error(env, "internal",
			 info && info->error_message ? info->error_message : "N-API call failed");
}

/* throws an Error whose `code` is the protocol's spelling of err->code ("invalid_state") */
static napi_value throw_err(napi_env env, const struct error *err)
{
	napi_value code, msg, e;

	if (napi_create_string_utf8(env, err_name(err->code), NAPI_AUTO_LENGTH, &code) != napi_ok ||
	    napi_create_string_utf8(env, err->msg, NAPI_AUTO_LENGTH, &msg) != napi_ok ||
	    napi_create_error(env, code, msg, &e) != napi_ok)
		return NULL;
	napi_throw(env, e);
	return NULL;
}

static napi_value throw_type(napi_env env, const char *msg)
{
	napi_throw_type_error(env, "bad_request", msg);
	return NULL;
}

static napi_value undefined(napi_env env)
{
	napi_value v;

	napi_get_undefined(env, &v);
	return v;
}

static napi_value number(napi_env env, double d)
{
	napi_value v;

	napi_create_double(env, d, &v);
	return v;
}

/* a string argument into buf; false (with a TypeError thrown) when it is not one or too long */
static bool get_string(napi_env env, napi_value v, char *buf, size_t size)
{
	size_t len = 0;

	if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok) {
		throw_type(env, "expected a string");
		return false;
	}
	if (len + 1 >= size) {
		throw_type(env, "string too long");
		return false;
	}
	return true;
}

static bool get_double(napi_env env, napi_value v, double *out)
{
	napi_valuetype t;

	if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) {
		throw_type(env, "expected a number");
		return false;
	}
	napi_get_value_double(env, v, out);
	return true;
}

static bool is_nullish(napi_env env, napi_value v)
{
	napi_valuetype t;

	return napi_typeof(env, v, &t) != napi_ok || t == napi_undefined || t == napi_null;
}

/* the engine behind `this` and the call's arguments */
static struct ctx *this_ctx(napi_env env, napi_callback_info info, size_t *argc,
			    napi_value *argv, napi_value *self)
{
	napi_value me;
	void *c = NULL;

	if (napi_get_cb_info(env, info, argc, argv, &me, NULL) != napi_ok ||
	    napi_unwrap(env, me, &c) != napi_ok || c == NULL) {
		throw_type(env, "not an Engine");
		return NULL;
	}
	if (self)
		*self = me;
	return c;
}

static void ctx_exec(struct ctx *c, struct engine_op *op)
{
	pthread_mutex_lock(&c->lock);
	engine_exec(c->e, op);
	pthread_mutex_unlock(&c->lock);
}

/* what an op call returns: undefined, or throws err */
static napi_value op_done(napi_env env, struct ctx *c, int r, struct engine_op **op,
			  const struct error *err)
{
	/* op is read here, after the call that filled it (argument order is unspecified) */
	if (r < 0)
		return throw_err(env, err);
	if (*op)
		ctx_exec(c, *op);
	return undefined(env);
}

/* --- values: JS to struct value ------------------------------------------------------------ */

/* what a converted value owns until the op is built */
struct owned {
	char *str;
	double *arr;
};

static void owned_free(struct owned *o)
{
	free(o->str);
	free(o->arr);
	o->str = NULL;
	o->arr = NULL;
}

static bool typed_numbers(napi_env env, napi_value v, double **out, size_t *n)
{
	napi_typedarray_type type;
	size_t len, i;
	void *data;
	double *a;

	if (napi_get_typedarray_info(env, v, &type, &len, &data, NULL, NULL) != napi_ok)
		return false;
	a = malloc((len ? len : 1) * sizeof(*a));
	if (a == NULL)
		return false;
	for (i = 0; i < len; i++) {
		switch (type) {
		case napi_float32_array: a[i] = ((float *)data)[i]; break;
		case napi_float64_array: a[i] = ((double *)data)[i]; break;
		case napi_int32_array: a[i] = ((int32_t *)data)[i]; break;
		case napi_uint8_array: a[i] = ((uint8_t *)data)[i]; break;
		default: free(a); return false;
		}
	}
	*out = a;
	*n = len;
	return true;
}

static bool array_numbers(napi_env env, napi_value v, double **out, size_t *n)
{
	uint32_t len, i;
	napi_value x;
	double *a;

	if (napi_get_array_length(env, v, &len) != napi_ok)
		return false;
	a = malloc((len ? len : 1) * sizeof(*a));
	if (a == NULL)
		return false;
	for (i = 0; i < len; i++) {
		if (napi_get_element(env, v, i, &x) != napi_ok ||
		    napi_get_value_double(env, x, &a[i]) != napi_ok) {
			free(a);
			return false;
		}
	}
	*out = a;
	*n = len;
	return true;
}

/* null, boolean, number, string, array or typed array of numbers, buffer or wave handle */
static bool to_value(napi_env env, napi_value v, struct value *out, struct owned *own)
{
	napi_valuetype t;
	bool is, tagged = false;
	size_t len;
	void *p;

	napi_typeof(env, v, &t);
	switch (t) {
	case napi_undefined:
	case napi_null:
		out->type = VALUE_NULL;
		return true;
	case napi_boolean:
		out->type = VALUE_BOOL;
		napi_get_value_bool(env, v, &out->b);
		return true;
	case napi_number:
		out->type = VALUE_NUMBER;
		napi_get_value_double(env, v, &out->num);
		return true;
	case napi_string:
		napi_get_value_string_utf8(env, v, NULL, 0, &len);
		own->str = malloc(len + 1);
		if (own->str == NULL)
			return false;
		napi_get_value_string_utf8(env, v, own->str, len + 1, &len);
		out->type = VALUE_STRING;
		out->str = own->str;
		return true;
	case napi_object:
	case napi_external:
		if (napi_check_object_type_tag(env, v, &buffer_tag, &tagged) == napi_ok && tagged) {
			napi_get_value_external(env, v, &p);
			out->type = VALUE_BUFFER;
			out->buf = p;
			return true;
		}
		if (napi_check_object_type_tag(env, v, &wave_tag, &tagged) == napi_ok && tagged) {
			napi_get_value_external(env, v, &p);
			out->type = VALUE_WAVE;
			out->wave = p;
			return true;
		}
		out->type = VALUE_ARRAY;
		if (napi_is_typedarray(env, v, &is) == napi_ok && is)
			return typed_numbers(env, v, &own->arr, &out->arr.n) &&
			       (out->arr.v = own->arr, true);
		if (napi_is_array(env, v, &is) == napi_ok && is)
			return array_numbers(env, v, &own->arr, &out->arr.n) &&
			       (out->arr.v = own->arr, true);
		return false;
	default:
		return false;
	}
}

static napi_value from_value(napi_env env, const struct value *v)
{
	napi_value r;

	switch (v->type) {
	case VALUE_NUMBER:
		return number(env, v->num);
	case VALUE_BOOL:
		napi_get_boolean(env, v->b, &r);
		return r;
	case VALUE_STRING:
		napi_create_string_utf8(env, v->str, NAPI_AUTO_LENGTH, &r);
		return r;
	case VALUE_ARRAY:
		return number(env, (double)v->arr.n);
	default:
		napi_get_null(env, &r);
		return r;
	}
}

/* --- Engine: construction ------------------------------------------------------------------ */

static void ctx_free(napi_env env, void *data, void *hint)
{
	struct ctx *c = data;

	(void)env;
	(void)hint;
	engine_free(c->e);
	hrtf_cache_fini(&c->hrtf);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* new Engine(sampleRate, channels) */
static napi_value engine_ctor(napi_env env, napi_callback_info info)
{
	size_t argc = 2;
	napi_value argv[2], self;
	struct error err = { 0 };
	double rate, ch;
	struct ctx *c;

	CHECK(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
	if (argc < 2 || !get_double(env, argv[0], &rate) || !get_double(env, argv[1], &ch))
		return NULL;
	if (!(ch >= 1 && ch <= MAX_CHANNELS))
		return throw_type(env, "channels: 1..32");
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return throw_type(env, "out of memory");
	c->e = engine_new(rate, (uint32_t)ch, &err);
	if (c->e == NULL) {
		free(c);
		return throw_err(env, &err);
	}
	c->apply = ENGINE_NEXT;
	pthread_mutex_init(&c->lock, NULL);
	engine_set_hrtf_loader(c->e, hrtf_cache_get, &c->hrtf);
	if (napi_wrap(env, self, c, ctx_free, NULL, NULL) != napi_ok) {
		ctx_free(env, c, NULL);
		throw_last(env);
		return NULL;
	}
	return self;
}

/* --- Engine: ops ---------------------------------------------------------------------------- */

/* create(type, name, options): options a plain object of option values */
static napi_value engine_create(napi_env env, napi_callback_info info)
{
	size_t argc = 3, n = 0, i;
	napi_value argv[3], keys, k, v;
	char type[64], name[NAME_MAX_LEN];
	struct option *opts = NULL;
	struct owned *own = NULL;
	struct engine_op *op = NULL;
	struct error err = { 0 };
	uint32_t nkeys = 0;
	napi_value ret = NULL;
	struct ctx *c = this_ctx(env, info, &argc, argv, NULL);
	int r;

	if (c == NULL || !get_string(env, argv[0], type, sizeof(type)) ||
	    !get_string(env, argv[1], name, sizeof(name)))
		return NULL;
	if (!is_nullish(env, argv[2])) {
		CHECK(env, napi_get_property_names(env, argv[2], &keys));
		CHECK(env, napi_get_array_length(env, keys, &nkeys));
	}
	opts = calloc(nkeys ? nkeys : 1, sizeof(*opts));
	own = calloc(nkeys ? nkeys : 1, sizeof(*own));
	if (opts == NULL || own == NULL) {
		throw_type(env, "out of memory");
		goto out;
	}
	for (i = 0; i < nkeys; i++) {
		size_t len;
		char *key;

		napi_get_element(env, keys, (uint32_t)i, &k);
		napi_get_property(env, argv[2], k, &v);
		if (napi_get_value_string_utf8(env, k, NULL, 0, &len) != napi_ok)
			continue;
		key = malloc(len + 1);
		if (key == NULL)
			goto out;
		napi_get_value_string_utf8(env, k, key, len + 1, &len);
		opts[n].name = key;
		if (!to_value(env, v, &opts[n].value, &own[n])) {
			n++;
			throw_type(env, "unsupported option value");
			goto out;
		}
		n++;
	}
	r = engine_op_create_at(c->e, c->apply, type, name, opts, n, &op, &err);
	ret = op_done(env, c, r, &op, &err);
out:
	for (i = 0; i < n; i++) {
		free((char *)opts[i].name);
		owned_free(&own[i]);
	}
	free(opts);
	free(own);
	return ret;
}

/* remove(name) */
static napi_value engine_remove(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value argv[1];
	char name[NAME_MAX_LEN];
	struct engine_op *op = NULL;
	struct error err = { 0 };
	struct ctx *c = this_ctx(env, info, &argc, argv, NULL);

	if (c == NULL || !get_string(env, argv[0], name, sizeof(name)))
		return NULL;
	return op_done(env, c, engine_op_delete_at(c->e, c->apply, name, &op, &err), &op, &err);
}

static bool get_index(napi_env env, napi_value v, int *out)
{
	double d;

	if (is_nullish(env, v)) {
		*out = -1;
		return true;
	}
	if (!get_double(env, v, &d))
		return false;
	*out = d >= 0 && d < 1e6 ? (int)d : 1000000;
	return true;
}

/* connect(from, to, output, input) and disconnect(from, to|null, output, input) */
static napi_value connect_common(napi_env env, napi_callback_info info, bool connect)
{
	size_t argc = 4;
	napi_value argv[4];
	char from[NAME_MAX_LEN], to[NAME_MAX_LEN];
	struct engine_op *op = NULL;
	struct error err = { 0 };
	int output, input, r;
	bool has_to;
	struct ctx *c = this_ctx(env, info, &argc, argv, NULL);

	if (c == NULL || argc < 4 || !get_string(env, argv[0], from, sizeof(from)))
		return NULL;
	has_to = !is_nullish(env, argv[1]);
	if ((has_to && !get_string(env, argv[1], to, sizeof(to))) ||
	    !get_index(env, argv[2], &output) || !get_index(env, argv[3], &input))
		return NULL;
	if (connect)
		r = engine_op_connect_at(c->e, c->apply, from, to, output, input, &op, &err);
	else
		r = engine_op_disconnect_at(c->e, c->apply, from, has_to ? to : NULL, output, input, &op, &err);
	return op_done(env, c, r, &op, &err);
}

static napi_value engine_connect(napi_env env, napi_callback_info info)
{
	return connect_common(env, info, true);
}

static napi_value engine_disconnect(napi_env env, napi_callback_info info)
{
	return connect_common(env, info, false);
}

/* set(name, attr, value) */
static napi_value engine_set(napi_env env, napi_callback_info info)
{
	size_t argc = 3;
	napi_value argv[3], ret;
	char name[NAME_MAX_LEN], attr[64];
	struct engine_op *op = NULL;
	struct error err = { 0 };
	struct owned own = { 0 };
	struct value v = { 0 };
	struct ctx *c = this_ctx(env, info, &argc, argv, NULL);

	if (c == NULL || !get_string(env, argv[0], name, sizeof(name)) ||
	    !get_string(env, argv[1], attr, sizeof(attr)))
		return NULL;
	if (!to_value(env, argv[2], &v, &own)) {
		owned_free(&own);
		return throw_type(env, "unsupported attribute value");
	}
	ret = op_done(env, c, engine_op_set(c->e, name, attr, &v, &op, &err), &op, &err);
	owned_free(&own);
	return ret;
}

/* param(target, method, args[], curve|null, rate|null) */
static napi_value engine_param(napi_env env, napi_callback_info info)
{
	size_t argc = 5, ncurve = 0, i;
	napi_value argv[5], x, ret = NULL;
	char target[NAME_MAX_LEN], method[64], rate[16];
	double args[MAX_ARGS];
	uint32_t nargs = 0;
	float *curve = NULL;
	struct engine_op *op = NULL;
	struct error err = { 0 };
	bool has_rate;
	struct ctx *c = this_ctx(env, info, &argc, argv, NULL);

	if (c == NULL || !get_string(env, argv[0], target, sizeof(target)) ||
	    !get_string(env, argv[1], method, sizeof(method)))
		return NULL;
	CHECK(env, napi_get_array_length(env, argv[2], &nargs));
	if (nargs > MAX_ARGS)
		return throw_type(env, "too many arguments");
	for (i = 0; i < nargs; i++) {
		CHECK(env, napi_get_element(env, argv[2], (uint32_t)i, &x));
		if (!get_double(env, x, &args[i]))
			return NULL;
	}
	if (!is_nullish(env, argv[3])) {
		napi_typedarray_type type;
		void *data;

		CHECK(env, napi_get_typedarray_info(env, argv[3], &type, &ncurve, &data, NULL, NULL));
		if (type != napi_float32_array)
			return throw_type(env, "curve: expected a Float32Array");
		curve = malloc((ncurve ? ncurve : 1) * sizeof(float));
		if (curve == NULL)
			return throw_type(env, "out of memory");
		memcpy(curve, data, ncurve * sizeof(float));
	}
	has_rate = !is_nullish(env, argv[4]);
	if (has_rate && !get_string(env, argv[4], rate, sizeof(rate)))
		goto out;
	ret = op_done(env, c, engine_op_param_at(c->e, c->apply, target, method, args, nargs,
						 curve, ncurve, has_rate ? rate : NULL, &op, &err),
		      &op, &err);
out:
	free(curve);
	return ret;
}

/* start(name, when, offset, duration): NaN for absent */
static napi_value engine_start(napi_env env, napi_callback_info info)
{
	size_t argc = 4;
	napi_value argv[4];
	char name[NAME_MAX_LEN];
	double a[3];
	struct engine_op *op = NULL;
	struct error err = { 0 };
	struct ctx *c = this_ctx(env, info, &argc, argv, NULL);

	if (c == NULL || !get_string(env, argv[0], name, sizeof(name)) ||
	    !get_double(env, argv[1], &a[0]) || !get_double(env, argv[2], &a[1]) ||
	    !get_double(env, argv[3], &a[2]))
		return NULL;
	return op_done(env, c, engine_op_start(c->e, name, a[0], a[1], a[2], &op, &err), &op, &err);
}

/* stop(name, when) */
static napi_value engine_stop(napi_env env, napi_callback_info info)
{
	size_t argc = 2;
	napi_value argv[2];
	char name[NAME_MAX_LEN];
	double when;
	struct engine_op *op = NULL;
	struct error err = { 0 };
	struct ctx *c = this_ctx(env, info, &argc, argv, NULL);

	if (c == NULL || !get_string(env, argv[0], name, sizeof(name)) ||
	    !get_double(env, argv[1], &when))
		return NULL;
	return op_done(env, c, engine_op_stop(c->e, name, when, &op, &err), &op, &err);
}

/* setNow(t): the context time ops prepared from now on take effect at */
static napi_value engine_set_now_js(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value argv[1];
	double t;
	struct ctx *c = this_ctx(env, info, &argc, argv, NULL);

	if (c == NULL || !get_double(env, argv[0], &t))
		return NULL;
	c->apply = t;
	return undefined(env);
}

/* --- Engine: reading ------------------------------------------------------------------------ */

/* the param named by "node.param" ("listener.positionX" included); NULL with an error thrown */
static struct param *find_param(napi_env env, struct ctx *c, const char *target)
{
	char node[NAME_MAX_LEN];
	const char *dot = strrchr(target, '.');
	struct error err = { 0 };
	struct node *n;
	struct param *p;

	if (dot == NULL || (size_t)(dot - target) >= sizeof(node)) {
		err_set(&err, ERR_BAD_REQUEST, "%s: expected node.param", target);
		throw_err(env, &err);
		return NULL;
	}
	memcpy(node, target, (size_t)(dot - target));
	node[dot - target] = '\0';
	n = strcmp(node, "listener") == 0 ? engine_listener(c->e) : engine_node(c->e, node);
	p = n ? node_param(n, dot + 1) : NULL;
	if (p == NULL) {
		err_set(&err, n ? ERR_UNKNOWN_PARAM : ERR_UNKNOWN_NODE, "no param %s", target);
		throw_err(env, &err);
	}
	return p;
}

/* paramValue(target): the value the renderer computed last (its most recent quantum) */
static napi_value engine_param_value(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value argv[1];
	char target[NAME_MAX_LEN];
	struct param *p;
	struct ctx *c = this_ctx(env, info, &argc, argv, NULL);

	if (c == NULL || !get_string(env, argv[0], target, sizeof(target)))
		return NULL;
	p = find_param(env, c, target);
	if (p == NULL)
		return NULL;
	return number(env, atomic_load_explicit(&p->last, memory_order_relaxed));
}

/* paramInfo(target): [defaultValue, minValue, maxValue, automationRate, rate fixed] */
static napi_value engine_param_info(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value argv[1], r, x;
	char target[NAME_MAX_LEN];
	struct param *p;
	struct ctx *c = this_ctx(env, info, &argc, argv, NULL);

	if (c == NULL || !get_string(env, argv[0], target, sizeof(target)))
		return NULL;
	p = find_param(env, c, target);
	if (p == NULL)
		return NULL;
	CHECK(env, napi_create_array_with_length(env, 5, &r));
	napi_set_element(env, r, 0, number(env, p->desc->def));
	napi_set_element(env, r, 1, number(env, p->desc->min));
	napi_set_element(env, r, 2, number(env, p->desc->max));
	napi_create_string_utf8(env, p->model_k_rate ? "k-rate" : "a-rate", NAPI_AUTO_LENGTH, &x);
	napi_set_element(env, r, 3, x);
	napi_get_boolean(env, p->desc->fixed_rate, &x);
	napi_set_element(env, r, 4, x);
	return r;
}

/* paramModelValue(target, t): what the scheduled automation gives at t */
static napi_value engine_param_model_value(napi_env env, napi_callback_info info)
{
	size_t argc = 2;
	napi_value argv[2];
	char target[NAME_MAX_LEN];
	struct param *p;
	double t, v;
	struct ctx *c = this_ctx(env, info, &argc, argv, NULL);

	if (c == NULL || !get_string(env, argv[0], target, sizeof(target)) ||
	    !get_double(env, argv[1], &t))
		return NULL;
	p = find_param(env, c, target);
	if (p == NULL)
		return NULL;
	pthread_mutex_lock(&c->lock);
	v = param_model_value_at(p, t);
	pthread_mutex_unlock(&c->lock);
	return number(env, v);
}

static struct node *find_node(napi_env env, struct ctx *c, napi_value v)
{
	char name[NAME_MAX_LEN];
	struct error err = { 0 };
	struct node *n;

	if (!get_string(env, v, name, sizeof(name)))
		return NULL;
	n = engine_node(c->e, name);
	if (n == NULL) {
		err_set(&err, ERR_UNKNOWN_NODE, "no node named \"%s\"", name);
		throw_err(env, &err);
	}
	return n;
}

/* get(name, attr): an attribute's model value */
static napi_value engine_get(napi_env env, napi_callback_info info)
{
	size_t argc = 2;
	napi_value argv[2], r;
	char attr[64];
	const struct attr_desc *a;
	struct value v = { 0 };
	struct error err = { 0 };
	struct node *n;
	struct ctx *c = this_ctx(env, info, &argc, argv, NULL);

	if (c == NULL || (n = find_node(env, c, argv[0])) == NULL ||
	    !get_string(env, argv[1], attr, sizeof(attr)))
		return NULL;
	a = node_attr(n, attr);
	if (a == NULL || a->get == NULL) {
		err_set(&err, ERR_UNKNOWN_ATTR, "no attribute %s", attr);
		return throw_err(env, &err);
	}
	pthread_mutex_lock(&c->lock);
	a->get(n, &v);
	r = from_value(env, &v);
	pthread_mutex_unlock(&c->lock);
	return r;
}

/* info(name): [numberOfInputs, numberOfOutputs, channelCount, mode, interpretation] */
static napi_value engine_info(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value argv[1], r, x;
	struct node *n;
	struct ctx *c = this_ctx(env, info, &argc, argv, NULL);

	if (c == NULL || (n = find_node(env, c, argv[0])) == NULL)
		return NULL;
	CHECK(env, napi_create_array_with_length(env, 5, &r));
	napi_set_element(env, r, 0, number(env, n->n_inputs));
	napi_set_element(env, r, 1, number(env, n->n_outputs));
	napi_set_element(env, r, 2, number(env, n->cfg_model.count));
	napi_create_string_utf8(env, node_count_mode_name(n->cfg_model.mode), NAPI_AUTO_LENGTH, &x);
	napi_set_element(env, r, 3, x);
	napi_create_string_utf8(env, node_interp_name(n->cfg_model.interp), NAPI_AUTO_LENGTH, &x);
	napi_set_element(env, r, 4, x);
	return r;
}

/* analyser(name, method 0..3, typedArray): values written */
static napi_value engine_analyser(napi_env env, napi_callback_info info)
{
	size_t argc = 3, len;
	napi_value argv[3];
	napi_typedarray_type type;
	double m;
	void *data;
	struct node *n;
	int k = -1;
	struct ctx *c = this_ctx(env, info, &argc, argv, NULL);

	if (c == NULL || (n = find_node(env, c, argv[0])) == NULL || !get_double(env, argv[1], &m))
		return NULL;
	CHECK(env, napi_get_typedarray_info(env, argv[2], &type, &len, &data, NULL, NULL));
	pthread_mutex_lock(&c->lock);
	if (m == 0 && type == napi_float32_array)
		k = analyser_get_float_time(n, data, len);
	else if (m == 1 && (type == napi_uint8_array || type == napi_uint8_clamped_array))
		k = analyser_get_byte_time(n, data, len);
	else if (m == 2 && type == napi_float32_array)
		k = analyser_get_float_freq(n, data, len);
	else if (m == 3 && (type == napi_uint8_array || type == napi_uint8_clamped_array))
		k = analyser_get_byte_freq(n, data, len);
	pthread_mutex_unlock(&c->lock);
	if (k < 0)
		return throw_type(env, "analyser: wrong node or array type");
	return number(env, k);
}

/* response(name, freq, mag, phase: Float32Array of one length): getFrequencyResponse of a
 * BiquadFilterNode or IIRFilterNode */
static napi_value engine_response(napi_env env, napi_callback_info info)
{
	size_t argc = 4, len[3], i;
	napi_value argv[4];
	napi_typedarray_type type;
	void *data[3];
	struct node *n;
	int r;
	struct ctx *c = this_ctx(env, info, &argc, argv, NULL);

	if (c == NULL || (n = find_node(env, c, argv[0])) == NULL)
		return NULL;
	for (i = 0; i < 3; i++) {
		CHECK(env, napi_get_typedarray_info(env, argv[1 + i], &type, &len[i], &data[i], NULL,
						    NULL));
		if (type != napi_float32_array || len[i] != len[0])
			return throw_type(env, "response: Float32Arrays of one length");
	}
	pthread_mutex_lock(&c->lock);
	r = biquad_frequency_response(n, data[0], len[0], data[1], data[2]);
	if (r < 0)
		r = iir_frequency_response(n, data[0], len[0], data[1], data[2]);
	pthread_mutex_unlock(&c->lock);
	if (r < 0)
		return throw_type(env, "response: not a filter");
	return undefined(env);
}

/* frame(): the first frame of the next quantum */
static napi_value engine_frame_js(napi_env env, napi_callback_info info)
{
	size_t argc = 0;
	struct ctx *c = this_ctx(env, info, &argc, NULL, NULL);

	if (c == NULL)
		return NULL;
	return number(env, (double)engine_frame(c->e));
}

/* events(): [[nodeName, time], ...] the `ended` events the renderer queued */
static napi_value engine_events(napi_env env, napi_callback_info info)
{
	size_t argc = 0;
	napi_value r, pair, x;
	struct engine_event ev;
	uint32_t i = 0;
	const char *name;
	struct ctx *c = this_ctx(env, info, &argc, NULL, NULL);

	if (c == NULL)
		return NULL;
	CHECK(env, napi_create_array(env, &r));
	pthread_mutex_lock(&c->lock);
	while (engine_event_pop(c->e, &ev)) {
		name = engine_node_name(c->e, ev.node_id);
		if (name == NULL || ev.type != ENGINE_EVENT_ENDED)
			continue;
		napi_create_array_with_length(env, 2, &pair);
		napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &x);
		napi_set_element(env, pair, 0, x);
		napi_set_element(env, pair, 1, number(env, ev.time));
		napi_set_element(env, r, i++, pair);
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

/* --- Engine: rendering ---------------------------------------------------------------------- */

/* worker thread: quanta until `to`, each under the lock, written planar into the arrays */
static void render_execute(napi_env env, void *data)
{
	struct render_job *j = data;
	struct ctx *c = j->c;
	struct denormal_state fp = denormal_flush();
	uint64_t frame = engine_frame(c->e);
	uint32_t ch, n;

	(void)env;
	while (frame < j->to) {
		const struct bus *b;

		pthread_mutex_lock(&c->lock);
		b = engine_render(c->e);
		n = j->length - frame < QUANTUM ? (uint32_t)(j->length - frame) : QUANTUM;
		for (ch = 0; ch < j->channels; ch++) {
			if (b->silent || ch >= b->channels)
				memset(j->out[ch] + frame, 0, n * sizeof(float));
			else
				memcpy(j->out[ch] + frame, b->data[ch], n * sizeof(float));
		}
		pthread_mutex_unlock(&c->lock);
		frame += QUANTUM;
	}
	denormal_restore(fp);
}

static void render_complete(napi_env env, napi_status status, void *data)
{
	struct render_job *j = data;
	napi_value cb, global, arg;

	j->c->busy = false;
	if (napi_get_reference_value(env, j->cb, &cb) == napi_ok && cb) {
		napi_get_global(env, &global);
		if (status == napi_ok)
			napi_get_null(env, &arg);
		else
			napi_create_string_utf8(env, "render cancelled", NAPI_AUTO_LENGTH, &arg);
		napi_call_function(env, global, cb, 1, &arg, NULL);
	}
	napi_delete_reference(env, j->cb);
	napi_delete_reference(env, j->arrays);
	napi_delete_reference(env, j->self);
	napi_delete_async_work(env, j->work);
	free(j);
}

/* render(channels: Float32Array[], toFrame, callback(err)): renders from the current frame
 * up to toFrame (a quantum boundary, or the arrays' length) off the main thread; frame f goes
 * to index f of each array */
static napi_value engine_render_js(napi_env env, napi_callback_info info)
{
	size_t argc = 3, len;
	napi_value argv[3], self, x, name;
	napi_typedarray_type type;
	uint32_t n, i;
	double to;
	void *data;
	struct render_job *j;
	struct ctx *c = this_ctx(env, info, &argc, argv, &self);

	if (c == NULL || !get_double(env, argv[1], &to))
		return NULL;
	if (c->busy)
		return throw_type(env, "a render is already running");
	CHECK(env, napi_get_array_length(env, argv[0], &n));
	if (n > MAX_CHANNELS)
		return throw_type(env, "too many channels");
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return throw_type(env, "out of memory");
	j->c = c;
	j->channels = n;
	j->length = UINT64_MAX;
	for (i = 0; i < n; i++) {
		if (napi_get_element(env, argv[0], i, &x) != napi_ok ||
		    napi_get_typedarray_info(env, x, &type, &len, &data, NULL, NULL) != napi_ok ||
		    type != napi_float32_array) {
			free(j);
			return throw_type(env, "render: expected Float32Arrays");
		}
		j->out[i] = data;
		if (len < j->length)
			j->length = len;
	}
	if (n == 0)
		j->length = (uint64_t)to;
	j->to = to < (double)j->length ? (uint64_t)to : j->length;
	napi_create_reference(env, self, 1, &j->self);
	napi_create_reference(env, argv[0], 1, &j->arrays);
	napi_create_reference(env, argv[2], 1, &j->cb);
	napi_create_string_utf8(env, "audiod.render", NAPI_AUTO_LENGTH, &name);
	if (napi_create_async_work(env, NULL, name, render_execute, render_complete, j,
				   &j->work) != napi_ok ||
	    napi_queue_async_work(env, j->work) != napi_ok) {
		napi_delete_reference(env, j->self);
		napi_delete_reference(env, j->arrays);
		napi_delete_reference(env, j->cb);
		free(j);
		throw_last(env);
		return NULL;
	}
	c->busy = true;
	return undefined(env);
}

/* --- output channels ------------------------------------------------------------------------ */

/* a mapping holding one output channel */
struct mapping {
	void *base;
	size_t size;
};

/* the module's state (napi instance data, main thread): output mappings whose arrays were
 * collected, kept for the next renders.  pages touched once are cheap to write again, while
 * fresh ones cost a fault each, which on a virtual machine can take longer than the render */
#define POOL_MAX 8
struct addon_state {
	struct mapping *pool[POOL_MAX];
	size_t n_pool;
};

static void state_free(napi_env env, void *data, void *hint)
{
	struct addon_state *st = data;
	size_t i;

	(void)env;
	(void)hint;
	for (i = 0; i < st->n_pool; i++) {
		munmap(st->pool[i]->base, st->pool[i]->size);
		free(st->pool[i]);
	}
	free(st);
}

static void channel_finalize(napi_env env, void *data, void *hint)
{
	struct addon_state *st = NULL;
	struct mapping *m = hint;

	(void)data;
	napi_adjust_external_memory(env, -(int64_t)m->size, NULL);
	if (napi_get_instance_data(env, (void **)&st) == napi_ok && st && st->n_pool < POOL_MAX) {
		st->pool[st->n_pool++] = m;
		return;
	}
	munmap(m->base, m->size);
	free(m);
}

/* a mapping of at least size bytes: a pooled one not much larger, or a fresh one advised
 * for huge pages (as document_alloc_output does for audioctl render) */
static struct mapping *mapping_get(napi_env env, size_t size)
{
	const size_t huge = (size_t)2 << 20;
	struct addon_state *st = NULL;
	struct mapping *m;
	size_t i;

	if (napi_get_instance_data(env, (void **)&st) == napi_ok && st) {
		for (i = 0; i < st->n_pool; i++) {
			m = st->pool[i];
			if (m->size >= size && m->size <= 2 * size) {
				st->pool[i] = st->pool[--st->n_pool];
				return m;
			}
		}
	}
	m = malloc(sizeof(*m));
	if (m == NULL)
		return NULL;
	m->size = size;
	m->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m->base == MAP_FAILED) {
		free(m);
		return NULL;
	}
	madvise((void *)(((uintptr_t)m->base + huge - 1) & ~(uintptr_t)(huge - 1)), size - huge,
		MADV_HUGEPAGE);
	return m;
}

/* channel(frames): a Float32Array for a render's output, whose contents are undefined until
 * the render has written them (it writes every frame).  long renders write hundreds of MB
 * once: see struct addon_state.  where external memory is not allowed, a plain array. */
static napi_value make_channel(napi_env env, napi_callback_info info)
{
	const size_t huge = (size_t)2 << 20;
	size_t argc = 1, bytes;
	napi_value argv[1], ab, r;
	struct mapping *m;
	double frames;
	void *p;

	CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 1 || !get_double(env, argv[0], &frames))
		return NULL;
	if (!(frames >= 1 && frames <= (double)(SIZE_MAX / sizeof(float) / 2)))
		return throw_type(env, "channel: bad length");
	bytes = (size_t)frames * sizeof(float);
	if (bytes >= huge && (m = mapping_get(env, (bytes + huge - 1) / huge * huge + huge))) {
		p = (void *)(((uintptr_t)m->base + huge - 1) & ~(uintptr_t)(huge - 1));
		if (napi_create_external_arraybuffer(env, p, bytes, channel_finalize, m,
						     &ab) == napi_ok) {
			napi_adjust_external_memory(env, (int64_t)m->size, NULL);
			goto wrap;
		}
		munmap(m->base, m->size);
		free(m);
	}
	CHECK(env, napi_create_arraybuffer(env, bytes, &p, &ab));
wrap:
	CHECK(env, napi_create_typedarray(env, napi_float32_array, (size_t)frames, ab, 0, &r));
	return r;
}

/* --- AudioBuffer and PeriodicWave handles ---------------------------------------------------- */

static void buffer_finalize(napi_env env, void *data, void *hint)
{
	(void)env;
	(void)hint;
	audio_buffer_unref(data);
}

/* whether handle h is an engine buffer holding exactly these samples */
static bool buffer_same(napi_env env, napi_value h, double rate, napi_value arrays, uint32_t n)
{
	napi_typedarray_type type;
	struct audio_buffer *b;
	bool tagged = false;
	size_t len;
	napi_value x;
	uint32_t i;
	void *data;

	if (napi_check_object_type_tag(env, h, &buffer_tag, &tagged) != napi_ok || !tagged ||
	    napi_get_value_external(env, h, (void **)&b) != napi_ok)
		return false;
	if (b->channels != n || b->sample_rate != rate)
		return false;
	for (i = 0; i < n; i++) {
		if (napi_get_element(env, arrays, i, &x) != napi_ok ||
		    napi_get_typedarray_info(env, x, &type, &len, &data, NULL, NULL) != napi_ok ||
		    len != b->length || memcmp(data, b->data[i], len * sizeof(float)) != 0)
			return false;
	}
	return true;
}

/* buffer(sampleRate, channels: Float32Array[], old?): an engine AudioBuffer holding a copy
 * (old itself when it already holds the same samples) */
static napi_value make_buffer(napi_env env, napi_callback_info info)
{
	size_t argc = 3, len = 0, first = 0;
	napi_value argv[3], x, r;
	napi_typedarray_type type;
	struct error err = { 0 };
	struct audio_buffer *b;
	uint32_t n, i;
	double rate;
	void *data;

	CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 2 || !get_double(env, argv[0], &rate))
		return NULL;
	CHECK(env, napi_get_array_length(env, argv[1], &n));
	if (argc > 2 && !is_nullish(env, argv[2]) && buffer_same(env, argv[2], rate, argv[1], n))
		return argv[2];
	for (i = 0; i < n; i++) {
		CHECK(env, napi_get_element(env, argv[1], i, &x));
		if (napi_get_typedarray_info(env, x, &type, &len, &data, NULL, NULL) != napi_ok ||
		    type != napi_float32_array || (i > 0 && len != first))
			return throw_type(env, "buffer: expected Float32Arrays of one length");
		first = len;
	}
	b = audio_buffer_new(n, (uint32_t)first, rate, &err);
	if (b == NULL)
		return throw_err(env, &err);
	for (i = 0; i < n; i++) {
		napi_get_element(env, argv[1], i, &x);
		napi_get_typedarray_info(env, x, &type, &len, &data, NULL, NULL);
		memcpy(b->data[i], data, len * sizeof(float));
	}
	if (napi_create_external(env, b, buffer_finalize, NULL, &r) != napi_ok ||
	    napi_type_tag_object(env, r, &buffer_tag) != napi_ok) {
		audio_buffer_unref(b);
		throw_last(env);
		return NULL;
	}
	return r;
}

static void wave_finalize(napi_env env, void *data, void *hint)
{
	(void)env;
	(void)hint;
	wave_free(data);
}

/* wave(real|null, imag|null, disableNormalization): a PeriodicWave */
static napi_value make_wave(napi_env env, napi_callback_info info)
{
	static const double empty = 0;
	size_t argc = 3, nre = 0, nim = 0;
	napi_value argv[3], r = NULL;
	double *re = NULL, *im = NULL;
	struct error err = { 0 };
	struct periodic_wave *w;
	bool dn = false, has_re, has_im;

	CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 3)
		return throw_type(env, "wave: 3 arguments");
	napi_get_value_bool(env, argv[2], &dn);
	has_re = !is_nullish(env, argv[0]);
	has_im = !is_nullish(env, argv[1]);
	if ((has_re && !typed_numbers(env, argv[0], &re, &nre)) ||
	    (has_im && !typed_numbers(env, argv[1], &im, &nim))) {
		free(re);
		return throw_type(env, "wave: expected typed arrays");
	}
	w = wave_new(has_re ? (nre ? re : &empty) : NULL, nre, has_im ? (nim ? im : &empty) : NULL,
		     nim, dn, &err);
	free(re);
	free(im);
	if (w == NULL)
		return throw_err(env, &err);
	if (napi_create_external(env, w, wave_finalize, NULL, &r) != napi_ok ||
	    napi_type_tag_object(env, r, &wave_tag) != napi_ok) {
		wave_free(w);
		throw_last(env);
		return NULL;
	}
	return r;
}

/* --- decodeAudioData ------------------------------------------------------------------------ */

struct decode_job {
	napi_async_work work;
	napi_ref cb;
	unsigned char *bytes;	/* a copy of the encoded file */
	size_t size, pos;
	double rate;		/* the context's: decoded audio is resampled to it */
	/* results */
	float **chan;
	uint32_t channels;
	uint64_t frames;
	char error[256];
};

static sf_count_t vio_len(void *data)
{
	return (sf_count_t)((struct decode_job *)data)->size;
}

static sf_count_t vio_seek(sf_count_t off, int whence, void *data)
{
	struct decode_job *j = data;
	sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (sf_count_t)j->pos :
			  (sf_count_t)j->size;

	if (base + off < 0 || base + off > (sf_count_t)j->size)
		return -1;
	j->pos = (size_t)(base + off);
	return (sf_count_t)j->pos;
}

static sf_count_t vio_read(void *ptr, sf_count_t count, void *data)
{
	struct decode_job *j = data;
	size_t n = j->size - j->pos < (size_t)count ? j->size - j->pos : (size_t)count;

	memcpy(ptr, j->bytes + j->pos, n);
	j->pos += n;
	return (sf_count_t)n;
}

static sf_count_t vio_write(const void *ptr, sf_count_t count, void *data)
{
	(void)ptr;
	(void)count;
	(void)data;
	return 0;
}

static sf_count_t vio_tell(void *data)
{
	return (sf_count_t)((struct decode_job *)data)->pos;
}

/* one channel converted from rate `from` to j->rate with libsamplerate's best sinc */
static float *resample(struct decode_job *j, const float *in, uint64_t frames, double from,
		       uint64_t *out_frames)
{
	double ratio = j->rate / from;
	uint64_t n = (uint64_t)ceil((double)frames * ratio);
	float *out = calloc(n ? n : 1, sizeof(float));
	SRC_DATA d = {
		.data_in = in, .input_frames = (long)frames,
		.data_out = out, .output_frames = (long)n, .src_ratio = ratio,
	};

	if (out == NULL || src_simple(&d, SRC_SINC_BEST_QUALITY, 1) != 0) {
		free(out);
		return NULL;
	}
	*out_frames = (uint64_t)d.output_frames_gen;
	return out;
}

static void decode_execute(napi_env env, void *data)
{
	SF_VIRTUAL_IO vio = { vio_len, vio_seek, vio_read, vio_write, vio_tell };
	struct decode_job *j = data;
	SF_INFO si = { 0 };
	float *inter = NULL;
	sf_count_t got;
	uint64_t f, frames = 0;
	uint32_t c;
	SNDFILE *sf;

	(void)env;
	sf = sf_open_virtual(&vio, SFM_READ, &si, j);
	if (sf == NULL) {
		snprintf(j->error, sizeof(j->error), "%s", sf_strerror(NULL));
		return;
	}
	if (si.channels < 1 || si.channels > MAX_CHANNELS || si.frames <= 0 ||
	    si.frames > (1 << 30) / si.channels) {
		snprintf(j->error, sizeof(j->error), "unsupported channel count or length");
		goto out;
	}
	inter = malloc((size_t)si.frames * (size_t)si.channels * sizeof(float));
	j->chan = calloc((size_t)si.channels, sizeof(*j->chan));
	if (inter == NULL || j->chan == NULL) {
		snprintf(j->error, sizeof(j->error), "out of memory");
		goto out;
	}
	got = sf_readf_float(sf, inter, si.frames);
	j->channels = (uint32_t)si.channels;
	for (c = 0; c < j->channels; c++) {
		float *ch = malloc((size_t)(got > 0 ? got : 1) * sizeof(float));

		if (ch == NULL) {
			snprintf(j->error, sizeof(j->error), "out of memory");
			goto out;
		}
		for (f = 0; f < (uint64_t)got; f++)
			ch[f] = inter[f * j->channels + c];
		if (si.samplerate != (int)j->rate) {
			float *rs = resample(j, ch, (uint64_t)got, si.samplerate, &frames);

			free(ch);
			if (rs == NULL) {
				snprintf(j->error, sizeof(j->error), "resampling failed");
				goto out;
			}
			ch = rs;
		} else {
			frames = (uint64_t)got;
		}
		j->chan[c] = ch;
	}
	j->frames = frames;
out:
	free(inter);
	sf_close(sf);
}

static void decode_complete(napi_env env, napi_status status, void *data)
{
	struct decode_job *j = data;
	napi_value cb, global, args[2], arr, ab, ta;
	uint32_t c;
	void *p;

	napi_get_reference_value(env, j->cb, &cb);
	napi_get_global(env, &global);
	napi_get_null(env, &args[0]);
	napi_get_null(env, &args[1]);
	if (status != napi_ok || j->error[0] || j->frames == 0) {
		napi_create_string_utf8(env, j->error[0] ? j->error : "no audio decoded",
					NAPI_AUTO_LENGTH, &args[0]);
	} else {
		napi_create_array_with_length(env, j->channels, &arr);
		for (c = 0; c < j->channels; c++) {
			napi_create_arraybuffer(env, j->frames * sizeof(float), &p, &ab);
			memcpy(p, j->chan[c], j->frames * sizeof(float));
			napi_create_typedarray(env, napi_float32_array, j->frames, ab, 0, &ta);
			napi_set_element(env, arr, c, ta);
		}
		args[1] = arr;
	}
	napi_call_function(env, global, cb, 2, args, NULL);
	for (c = 0; j->chan && c < j->channels; c++)
		free(j->chan[c]);
	free(j->chan);
	free(j->bytes);
	napi_delete_reference(env, j->cb);
	napi_delete_async_work(env, j->work);
	free(j);
}

/* decode(bytes: ArrayBuffer|TypedArray, rate, callback(err, channels)) */
static napi_value decode(napi_env env, napi_callback_info info)
{
	size_t argc = 3, len = 0;
	napi_value argv[3], name;
	void *data = NULL;
	bool is;
	struct decode_job *j;

	CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 3)
		return throw_type(env, "decode: 3 arguments");
	if (napi_is_arraybuffer(env, argv[0], &is) == napi_ok && is) {
		CHECK(env, napi_get_arraybuffer_info(env, argv[0], &data, &len));
	} else {
		napi_typedarray_type type;
		size_t n;

		if (napi_get_typedarray_info(env, argv[0], &type, &n, &data, NULL, NULL) != napi_ok ||
		    type != napi_uint8_array)
			return throw_type(env, "decode: expected an ArrayBuffer");
		len = n;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL || !get_double(env, argv[1], &j->rate)) {
		free(j);
		return NULL;
	}
	j->bytes = malloc(len ? len : 1);
	if (j->bytes == NULL) {
		free(j);
		return throw_type(env, "out of memory");
	}
	memcpy(j->bytes, data, len);
	j->size = len;
	napi_create_reference(env, argv[2], 1, &j->cb);
	napi_create_string_utf8(env, "audiod.decode", NAPI_AUTO_LENGTH, &name);
	if (napi_create_async_work(env, NULL, name, decode_execute, decode_complete, j,
				   &j->work) != napi_ok ||
	    napi_queue_async_work(env, j->work) != napi_ok) {
		napi_delete_reference(env, j->cb);
		free(j->bytes);
		free(j);
		throw_last(env);
		return NULL;
	}
	return undefined(env);
}

/* --- the daemon's socket (AudioContext) ------------------------------------------------------ */

#define LINE_MAX_LEN 65536

/* one line (without its newline) into buf, waiting at most until deadline (CLOCK_MONOTONIC
 * ms); reads byte by byte so nothing after the line is taken from the socket */
static int read_line(int fd, char *buf, size_t size, int64_t deadline)
{
	size_t n = 0;
	struct timespec ts;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t now;
		ssize_t r;
		char ch;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		if (now >= deadline)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)(deadline - now)) <= 0)
			continue;
		r = read(fd, &ch, 1);
		if (r == 0)
			return -ECONNRESET;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (ch == '\n') {
			buf[n] = '\0';
			return 0;
		}
		if (n + 1 < size)
			buf[n++] = ch;
	}
}

/* liveConnect(path, requests: string[], timeoutMs): connects to the daemon, reads its hello,
 * sends each request line and reads its reply, all before returning (an AudioContext knows
 * its sample rate when its constructor returns).  returns [fd, hello, reply...]; the caller
 * hands fd to a net.Socket.  throws Error with code "io" when the daemon cannot be reached. */
static napi_value live_connect(napi_env env, napi_callback_info info)
{
	size_t argc = 3, len;
	napi_value argv[3], r, x;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct error err = { 0 };
	struct timespec ts;
	uint32_t n, i;
	double timeout;
	int64_t deadline;
	char *line = NULL;
	int fd = -1, e;

	CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 3 || !get_string(env, argv[0], sa.sun_path, sizeof(sa.sun_path)) ||
	    !get_double(env, argv[2], &timeout))
		return NULL;
	CHECK(env, napi_get_array_length(env, argv[1], &n));
	line = malloc(LINE_MAX_LEN);
	if (line == NULL)
		return throw_type(env, "out of memory");
	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + (int64_t)timeout;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err_set(&err, ERR_IO, "cannot connect to audiod at %s: %s", sa.sun_path,
			strerror(errno));
		goto fail;
	}
	CHECK(env, napi_create_array_with_length(env, n + 2, &r));
	napi_set_element(env, r, 0, number(env, fd));
	for (i = 0; i <= n; i++) {
		if (i > 0) {
			napi_get_element(env, argv[1], i - 1, &x);
			if (napi_get_value_string_utf8(env, x, line, LINE_MAX_LEN - 1, &len) != napi_ok)
				goto bad;
			line[len++] = '\n';
			if (write(fd, line, len) != (ssize_t)len) {
				err_set(&err, ERR_IO, "audiod at %s: write: %s", sa.sun_path,
					strerror(errno));
				goto fail;
			}
		}
		if ((e = read_line(fd, line, LINE_MAX_LEN, deadline)) < 0) {
			err_set(&err, ERR_IO, "audiod at %s did not answer: %s", sa.sun_path,
				strerror(-e));
			goto fail;
		}
		napi_create_string_utf8(env, line, NAPI_AUTO_LENGTH, &x);
		napi_set_element(env, r, i + 1, x);
	}
	free(line);
	return r;
bad:
	err_set(&err, ERR_BAD_REQUEST, "requests: expected strings");
fail:
	if (fd >= 0)
		close(fd);
	free(line);
	return throw_err(env, &err);
}

/* --- module ----------------------------------------------------------------------------------- */

static napi_value init(napi_env env, napi_value exports)
{
	napi_property_descriptor methods[] = {
		{ "create", NULL, engine_create, NULL, NULL, NULL, napi_default, NULL },
		{ "remove", NULL, engine_remove, NULL, NULL, NULL, napi_default, NULL },
		{ "connect", NULL, engine_connect, NULL, NULL, NULL, napi_default, NULL },
		{ "disconnect", NULL, engine_disconnect, NULL, NULL, NULL, napi_default, NULL },
		{ "set", NULL, engine_set, NULL, NULL, NULL, napi_default, NULL },
		{ "param", NULL, engine_param, NULL, NULL, NULL, napi_default, NULL },
		{ "start", NULL, engine_start, NULL, NULL, NULL, napi_default, NULL },
		{ "stop", NULL, engine_stop, NULL, NULL, NULL, napi_default, NULL },
		{ "setNow", NULL, engine_set_now_js, NULL, NULL, NULL, napi_default, NULL },
		{ "paramValue", NULL, engine_param_value, NULL, NULL, NULL, napi_default, NULL },
		{ "paramModelValue", NULL, engine_param_model_value, NULL, NULL, NULL, napi_default,
		  NULL },
		{ "paramInfo", NULL, engine_param_info, NULL, NULL, NULL, napi_default, NULL },
		{ "get", NULL, engine_get, NULL, NULL, NULL, napi_default, NULL },
		{ "info", NULL, engine_info, NULL, NULL, NULL, napi_default, NULL },
		{ "analyser", NULL, engine_analyser, NULL, NULL, NULL, napi_default, NULL },
		{ "response", NULL, engine_response, NULL, NULL, NULL, napi_default, NULL },
		{ "frame", NULL, engine_frame_js, NULL, NULL, NULL, napi_default, NULL },
		{ "events", NULL, engine_events, NULL, NULL, NULL, napi_default, NULL },
		{ "render", NULL, engine_render_js, NULL, NULL, NULL, napi_default, NULL },
	};
	napi_property_descriptor fns[] = {
		{ "channel", NULL, make_channel, NULL, NULL, NULL, napi_default, NULL },
		{ "buffer", NULL, make_buffer, NULL, NULL, NULL, napi_default, NULL },
		{ "wave", NULL, make_wave, NULL, NULL, NULL, napi_default, NULL },
		{ "liveConnect", NULL, live_connect, NULL, NULL, NULL, napi_default, NULL },
		{ "decode", NULL, decode, NULL, NULL, NULL, napi_default, NULL },
	};
	struct addon_state *st = calloc(1, sizeof(*st));
	napi_value cls;

	if (st && napi_set_instance_data(env, st, state_free, NULL) != napi_ok)
		free(st);
	if (napi_define_class(env, "Engine", NAPI_AUTO_LENGTH, engine_ctor, NULL,
			      sizeof(methods) / sizeof(methods[0]), methods, &cls) != napi_ok ||
	    napi_set_named_property(env, exports, "Engine", cls) != napi_ok ||
	    napi_define_properties(env, exports, sizeof(fns) / sizeof(fns[0]), fns) != napi_ok)
		return NULL;
	return exports;
}

/* the registration functions node_api.h defines have no prototypes of their own */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
NAPI_MODULE(audiod, init)
#pragma GCC diagnostic pop
