/* unit tests for engine/panner.c and engine/listener.c: the spec's azimuth/elevation, the
 * equal-power gains, the three distance models and the sound cone, checked against the
 * spec's formulas written out by hand; then whole PannerNodes in an engine (constant and
 * automated positions, the listener's params, stereo input), and the spec's exceptions. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "engine/panner.h"
#include "protocol/hrtf.h"
#include "graph-helpers.h"

#define TOL 1e-6

static struct panner_geometry geo(double x, double y, double z)
{
	struct panner_geometry g = {
		.pos = { x, y, z }, .ori = { 1, 0, 0 }, .lpos = { 0, 0, 0 },
		.fwd = { 0, 0, -1 }, .up = { 0, 1, 0 },
	};
	return g;
}

static double azimuth_of(double x, double y, double z)
{
	struct panner_geometry g = geo(x, y, z);
	double az, el;

	panner_azimuth_elevation(&g, &az, &el);
	return az;
}

static double elevation_of(double x, double y, double z)
{
	struct panner_geometry g = geo(x, y, z);
	double az, el;

	panner_azimuth_elevation(&g, &az, &el);
	return el;
}

/* the default listener faces -z with +y up: +x is to its right (azimuth 90) */
static void test_azimuth_front_right_left_behind(void **state)
{
	(void)state;
	assert_float_equal(azimuth_of(0, 0, -1), 0, TOL);
	assert_float_equal(azimuth_of(1, 0, 0), 90, TOL);
	assert_float_equal(azimuth_of(-1, 0, 0), -90, TOL);
	/* straight behind: acos gives 90, the back half makes it 270, which maps to -180 */
	assert_float_equal(azimuth_of(0, 0, 1), -180, TOL);
	assert_float_equal(azimuth_of(1, 0, -1), 45, TOL);
	assert_float_equal(azimuth_of(-1, 0, 1), -135, TOL);
}

static void test_elevation_above_below_level(void **state)
{
	(void)state;
	assert_float_equal(elevation_of(0, 1, 0), 90, TOL);
	assert_float_equal(elevation_of(0, -1, 0), -90, TOL);
	assert_float_equal(elevation_of(0, 1, -1), 45, TOL);
	assert_float_equal(elevation_of(1, 0, 0), 0, TOL);
}

static void test_azimuth_degenerate_cases_are_zero(void **state)
{
	struct panner_geometry g = geo(0, 0, 0);
	double az = 1, el = 1;

	(void)state;
	panner_azimuth_elevation(&g, &az, &el);	/* source at the listener */
	assert_float_equal(az, 0, 0);
	assert_float_equal(el, 0, 0);
	g = geo(1, 0, 0);
	g.up[0] = 0;
	g.up[1] = 0;
	g.up[2] = 1;					/* up parallel to forward */
	panner_azimuth_elevation(&g, &az, &el);
	assert_float_equal(az, 0, 0);
	assert_float_equal(el, 0, 0);
}

/* a rotated listener: facing +x, a source at +z is on its right */
static void test_azimuth_follows_listener_orientation(void **state)
{
	struct panner_geometry g = geo(0, 0, 5);
	double az, el;

	(void)state;
	g.fwd[0] = 1;
	g.fwd[2] = 0;
	panner_azimuth_elevation(&g, &az, &el);
	assert_float_equal(az, 90, TOL);
	g.lpos[2] = 10;		/* now the source is at the listener's left */
	panner_azimuth_elevation(&g, &az, &el);
	assert_float_equal(az, -90, TOL);
}

static void test_equalpower_gains_mono(void **state)
{
	double gl, gr;

	(void)state;
	panner_equalpower_gains(0, false, &gl, &gr);		/* x = 1/2 */
	assert_float_equal(gl, cos(M_PI / 4), TOL);
	assert_float_equal(gr, sin(M_PI / 4), TOL);
	panner_equalpower_gains(45, false, &gl, &gr);		/* x = 3/4 */
	assert_float_equal(gl, cos(0.75 * M_PI / 2), TOL);
	assert_float_equal(gr, sin(0.75 * M_PI / 2), TOL);
	panner_equalpower_gains(-90, false, &gl, &gr);		/* x = 0 */
	assert_float_equal(gl, 1, TOL);
	assert_float_equal(gr, 0, TOL);
	/* behind the listener wraps to the front: 135 -> 45, -150 -> -30 */
	panner_equalpower_gains(135, false, &gl, &gr);
	assert_float_equal(gl, cos(0.75 * M_PI / 2), TOL);
	panner_equalpower_gains(-150, false, &gl, &gr);		/* x = 60/180 */
	assert_float_equal(gl, cos(M_PI / 6), TOL);
	assert_float_equal(gr, sin(M_PI / 6), TOL);
}

static void test_equalpower_gains_stereo(void **state)
{
	double gl, gr;

	(void)state;
	panner_equalpower_gains(-45, true, &gl, &gr);		/* x = 45/90 */
	assert_float_equal(gl, cos(M_PI / 4), TOL);
	assert_float_equal(gr, sin(M_PI / 4), TOL);
	panner_equalpower_gains(30, true, &gl, &gr);		/* x = 30/90 */
	assert_float_equal(gl, cos(M_PI / 6), TOL);
	assert_float_equal(gr, sin(M_PI / 6), TOL);
	panner_equalpower_gains(0, true, &gl, &gr);		/* x = 1: all to the right */
	assert_float_equal(gl, 0, TOL);
	assert_float_equal(gr, 1, TOL);
}

static void test_distance_linear(void **state)
{
	(void)state;
	assert_float_equal(panner_distance_gain(PANNER_LINEAR, 5, 1, 10, 1), 1 - 4.0 / 9, TOL);
	assert_float_equal(panner_distance_gain(PANNER_LINEAR, 5, 1, 10, 0.5), 1 - 2.0 / 9, TOL);
	/* d clamped to [ref, max]; rolloff clamped to [0, 1] */
	assert_float_equal(panner_distance_gain(PANNER_LINEAR, 50, 1, 10, 1), 0, TOL);
	assert_float_equal(panner_distance_gain(PANNER_LINEAR, 0.5, 1, 10, 1), 1, TOL);
	assert_float_equal(panner_distance_gain(PANNER_LINEAR, 5, 1, 10, 3), 1 - 4.0 / 9, TOL);
	/* ref > max swaps them; ref == max gives 1 - f */
	assert_float_equal(panner_distance_gain(PANNER_LINEAR, 5, 10, 1, 1), 1 - 4.0 / 9, TOL);
	assert_float_equal(panner_distance_gain(PANNER_LINEAR, 5, 3, 3, 0.25), 0.75, TOL);
}

static void test_distance_inverse(void **state)
{
	(void)state;
	assert_float_equal(panner_distance_gain(PANNER_INVERSE, 6, 2, 10000, 0.5), 0.5, TOL);
	assert_float_equal(panner_distance_gain(PANNER_INVERSE, 4, 1, 10000, 1), 0.25, TOL);
	assert_float_equal(panner_distance_gain(PANNER_INVERSE, 0.5, 1, 10000, 1), 1, TOL);
	assert_float_equal(panner_distance_gain(PANNER_INVERSE, 3, 0, 10000, 1), 0, 0);
	/* maxDistance does not limit the inverse model */
	assert_float_equal(panner_distance_gain(PANNER_INVERSE, 20, 1, 10, 1), 1.0 / 20, TOL);
}

static void test_distance_exponential(void **state)
{
	(void)state;
	assert_float_equal(panner_distance_gain(PANNER_EXPONENTIAL, 6, 2, 10000, 2), 1.0 / 9, TOL);
	assert_float_equal(panner_distance_gain(PANNER_EXPONENTIAL, 8, 1, 10000, 1.5),
			   pow(8, -1.5), TOL);
	assert_float_equal(panner_distance_gain(PANNER_EXPONENTIAL, 0.5, 1, 10000, 2), 1, TOL);
	assert_float_equal(panner_distance_gain(PANNER_EXPONENTIAL, 3, 0, 10000, 1), 0, 0);
}

/* source at the origin, listener at `angle` degrees off the source's orientation (+x) */
static double cone_at(double angle, double inner, double outer, double og)
{
	struct panner_geometry g = geo(0, 0, 0);
	double a = angle * M_PI / 180;

	g.lpos[0] = 3 * cos(a);
	g.lpos[2] = 3 * sin(a);
	return panner_cone_gain(&g, inner, outer, og);
}

static void test_cone_gain(void **state)
{
	(void)state;
	assert_float_equal(cone_at(0, 60, 180, 0.1), 1, TOL);
	assert_float_equal(cone_at(29, 60, 180, 0.1), 1, TOL);		/* inside 30 */
	assert_float_equal(cone_at(60, 60, 180, 0.1), 0.55, TOL);	/* x = 1/2 */
	assert_float_equal(cone_at(120, 60, 180, 0.1), 0.1, TOL);	/* outside 90 */
	assert_float_equal(cone_at(180, 60, 180, 0.1), 0.1, TOL);
	/* no cone at 360/360; a zero orientation has no cone either */
	assert_float_equal(cone_at(180, 360, 360, 0.1), 1, 0);
	{
		struct panner_geometry g = geo(0, 0, 0);
		g.lpos[0] = -1;
		g.ori[0] = 0;
		assert_float_equal(panner_cone_gain(&g, 10, 20, 0), 1, 0);
	}
}

/* --- whole nodes ------------------------------------------------------------------------ */

static enum err_code create_fails(struct engine *e, const char *type, const struct option *opts,
				  size_t n, struct error *err)
{
	struct engine_op *op = NULL;

	assert_int_equal(engine_op_create(e, type, "bad", opts, n, &op, err), -1);
	return err->code;
}

static void param(struct engine *e, const char *target, const char *method, double a0,
		  double a1, size_t nargs)
{
	struct engine_op *op = NULL;
	struct error err = { 0 };
	double args[2] = { a0, a1 };

	ok(e, engine_op_param(e, target, method, args, nargs, NULL, 0, NULL, &op, &err), &op,
	   &err);
}

/* a ConstantSourceNode of `offset` through a PannerNode to a stereo destination */
/* the default dataset, read once for the whole run, as the daemon's cache does */
static struct hrtf_cache default_hrtf;

static struct engine *test_engine(struct error *err)
{
	struct engine *e = engine_new(48000, 2, err);

	if (e)
		engine_set_hrtf_loader(e, hrtf_cache_get, &default_hrtf);
	return e;
}

static struct engine *rig(double offset, const struct option *opts, size_t n)
{
	struct error err = { 0 };
	struct engine *e = test_engine(&err);
	struct option o = num("offset", offset);

	assert_non_null(e);
	create(e, "ConstantSourceNode", "c", &o, 1);
	create(e, "PannerNode", "p", opts, n);
	connect(e, "c", "p");
	connect(e, "p", "destination");
	start_at(e, "c", 0);
	return e;
}

static void test_node_mono_position_distance(void **state)
{
	struct option o[] = { num("positionX", 1), num("positionZ", -1) };
	struct engine *e = rig(0.5, o, 2);
	const struct bus *b = engine_render(e);
	/* azimuth 45: x = 3/4; inverse model at d = sqrt 2: 1/sqrt 2 */
	double t = 0.5 / sqrt(2);

	(void)state;
	assert_int_equal(b->channels, 2);
	for (int i = 0; i < QUANTUM; i += 31) {
		assert_float_equal(b->data[0][i], t * cos(0.75 * M_PI / 2), 1e-6);
		assert_float_equal(b->data[1][i], t * sin(0.75 * M_PI / 2), 1e-6);
	}
	engine_free(e);
}

/* a-rate: a positionX ramp gives each sample its own azimuth and distance */
static void test_node_automated_position_per_sample(void **state)
{
	struct option o[] = { str("distanceModel", "linear"), num("maxDistance", 10),
			      num("positionZ", -1) };
	struct engine *e = rig(1, o, 3);
	const struct bus *b;

	(void)state;
	param(e, "p.positionX", "setValueAtTime", -3, 0, 2);
	param(e, "p.positionX", "linearRampToValueAtTime", 3, 128.0 / 48000, 2);
	b = engine_render(e);
	for (int i = 0; i < QUANTUM; i += 17) {
		double x = -3 + 6.0 * i / 128, d = sqrt(x * x + 1);
		double az = 180 * atan2(x, 1) / M_PI, gl, gr;
		double dg = 1 - (d - 1) / 9;
		panner_equalpower_gains(az, false, &gl, &gr);
		assert_float_equal(b->data[0][i], gl * dg, 2e-6);
		assert_float_equal(b->data[1][i], gr * dg, 2e-6);
	}
	engine_free(e);
}

/* the listener is an ordinary "listener.param" target: moving it right of the source puts
 * the source at azimuth -90 */
static void test_listener_params_move_the_scene(void **state)
{
	struct option o[] = { num("positionX", 1) };
	struct engine *e = rig(1, o, 1);
	const struct bus *b;

	(void)state;
	assert_non_null(engine_listener(e));
	param(e, "listener.positionX", "value", 2, 0, 1);
	b = engine_render(e);
	assert_float_equal(b->data[0][0], 1, 1e-6);
	assert_float_equal(b->data[1][0], 0, 1e-6);
	/* turning the listener around (forward +z) puts it on the right again */
	param(e, "listener.forwardZ", "value", 1, 0, 1);
	b = engine_render(e);
	assert_float_equal(b->data[0][0], 0, 1e-6);
	assert_float_equal(b->data[1][0], 1, 1e-6);
	engine_free(e);
}

static void test_listener_cannot_be_created_or_deleted(void **state)
{
	struct error err = { 0 };
	struct engine *e = test_engine(&err);
	struct engine_op *op = NULL;

	(void)state;
	assert_int_equal(create_fails(e, "AudioListener", NULL, 0, &err), ERR_UNKNOWN_TYPE);
	assert_int_equal(engine_op_delete(e, "listener", &op, &err), -1);
	assert_int_equal(err.code, ERR_INVALID_STATE);
	engine_free(e);
}

/* stereo input, azimuth -45: outL = inL + inR * gainL, outR = inR * gainR with x = 1/2 */
static void test_node_stereo_input(void **state)
{
	struct error err = { 0 };
	struct engine *e = test_engine(&err);
	struct option oc = num("offset", 0.25), om = num("numberOfInputs", 2);
	struct option op[] = { num("positionX", -1), num("positionZ", -1),
			       str("distanceModel", "exponential"), num("rolloffFactor", 0) };
	struct engine_op *o = NULL;
	const struct bus *b;

	(void)state;
	create(e, "ConstantSourceNode", "l", &oc, 1);
	oc.value.num = 0.5;
	create(e, "ConstantSourceNode", "r", &oc, 1);
	create(e, "ChannelMergerNode", "m", &om, 1);
	create(e, "PannerNode", "p", op, 4);
	ok(e, engine_op_connect(e, "l", "m", 0, 0, &o, &err), &o, &err);
	ok(e, engine_op_connect(e, "r", "m", 0, 1, &o, &err), &o, &err);
	connect(e, "m", "p");
	connect(e, "p", "destination");
	start_at(e, "l", 0);
	start_at(e, "r", 0);
	b = engine_render(e);
	assert_float_equal(b->data[0][5], 0.25 + 0.5 * cos(M_PI / 4), 1e-6);
	assert_float_equal(b->data[1][5], 0.5 * sin(M_PI / 4), 1e-6);
	engine_free(e);
}

static void test_node_cone_attenuates_away_from_listener(void **state)
{
	/* source at +x facing +x: the listener is 180 degrees off its orientation */
	struct option o[] = { num("positionX", 1), num("coneInnerAngle", 60),
			      num("coneOuterAngle", 180), num("coneOuterGain", 0.1) };
	struct engine *e = rig(1, o, 4);
	const struct bus *b = engine_render(e);

	(void)state;
	assert_float_equal(b->data[1][0], 0.1, 1e-6);
	engine_free(e);
}

static void test_exceptions(void **state)
{
	struct error err = { 0 };
	struct engine *e = test_engine(&err);
	struct option o;

	(void)state;
	o = num("refDistance", -1);
	assert_int_equal(create_fails(e, "PannerNode", &o, 1, &err), ERR_INVALID_VALUE);
	o = num("maxDistance", 0);
	assert_int_equal(create_fails(e, "PannerNode", &o, 1, &err), ERR_INVALID_VALUE);
	o = num("rolloffFactor", -0.5);
	assert_int_equal(create_fails(e, "PannerNode", &o, 1, &err), ERR_INVALID_VALUE);
	o = num("coneOuterGain", 1.5);
	assert_int_equal(create_fails(e, "PannerNode", &o, 1, &err), ERR_INVALID_STATE);
	o = num("channelCount", 3);
	assert_int_equal(create_fails(e, "PannerNode", &o, 1, &err), ERR_NOT_SUPPORTED);
	o = str("channelCountMode", "max");
	assert_int_equal(create_fails(e, "PannerNode", &o, 1, &err), ERR_NOT_SUPPORTED);
	o = str("distanceModel", "quadratic");
	assert_int_equal(create_fails(e, "PannerNode", &o, 1, &err), ERR_INVALID_VALUE);
	/* the same checks on the setters; cone angles take any value */
	create(e, "PannerNode", "p", NULL, 0);
	{
		struct engine_op *op = NULL;
		struct value v = { .type = VALUE_NUMBER, .num = -2 };
		assert_int_equal(engine_op_set(e, "p", "maxDistance", &v, &op, &err), -1);
		assert_int_equal(err.code, ERR_INVALID_VALUE);
		v.num = -0.1;
		assert_int_equal(engine_op_set(e, "p", "coneOuterGain", &v, &op, &err), -1);
		assert_int_equal(err.code, ERR_INVALID_STATE);
		v.num = 400;
		ok(e, engine_op_set(e, "p", "coneInnerAngle", &v, &op, &err), &op, &err);
	}
	engine_free(e);
}

static void test_hrtf_missing_file_is_io_error_naming_it(void **state)
{
	struct error err = { 0 };
	struct engine *e = engine_new(48000, 2, &err);
	struct hrtf_cache missing = { 0 };
	struct option o = str("panningModel", "HRTF");

	(void)state;
	engine_set_hrtf_loader(e, hrtf_cache_get, &missing);
	setenv("AUDIOD_HRTF_SOFA", "/nonexistent/x.sofa", 1);
	assert_int_equal(create_fails(e, "PannerNode", &o, 1, &err), ERR_IO);
	assert_non_null(strstr(err.msg, "/nonexistent/x.sofa"));
	unsetenv("AUDIOD_HRTF_SOFA");
	engine_free(e);
	hrtf_cache_fini(&missing);
}

/* the engine reads no files: without a loader from its maker there is no dataset */
static void test_hrtf_without_a_loader_is_not_supported(void **state)
{
	struct error err = { 0 };
	struct engine *e = engine_new(48000, 2, &err);
	struct option o = str("panningModel", "HRTF");

	(void)state;
	assert_int_equal(create_fails(e, "PannerNode", &o, 1, &err), ERR_NOT_SUPPORTED);
	engine_free(e);
}

/* nonzero when the default dataset is not installed */
static int access_default(void)
{
	return access("/usr/share/libmysofa/default.sofa", R_OK);
}

/* HRTF with the default dataset: a source on the right is louder in the right ear */
static void test_hrtf_right_source_louder_right(void **state)
{
	struct option o[] = { str("panningModel", "HRTF"), num("positionX", 1) };
	struct engine *e;
	double el = 0, er = 0;

	(void)state;
	if (access_default())
		skip();
	e = rig(0, o, 2);
	param(e, "c.offset", "setValueAtTime", 1, 0, 2);
	param(e, "c.offset", "setValueAtTime", 0, 256.0 / 48000, 2);
	for (int q = 0; q < 2; q++) {
		const struct bus *b = engine_render(e);
		for (int i = 0; i < QUANTUM; i++) {
			el += b->data[0][i] * b->data[0][i];
			er += b->data[1][i] * b->data[1][i];
		}
	}
	assert_true(er > 4 * el);
	engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_azimuth_front_right_left_behind),
		cmocka_unit_test(test_elevation_above_below_level),
		cmocka_unit_test(test_azimuth_degenerate_cases_are_zero),
		cmocka_unit_test(test_azimuth_follows_listener_orientation),
		cmocka_unit_test(test_equalpower_gains_mono),
		cmocka_unit_test(test_equalpower_gains_stereo),
		cmocka_unit_test(test_distance_linear),
		cmocka_unit_test(test_distance_inverse),
		cmocka_unit_test(test_distance_exponential),
		cmocka_unit_test(test_cone_gain),
		cmocka_unit_test(test_node_mono_position_distance),
		cmocka_unit_test(test_node_automated_position_per_sample),
		cmocka_unit_test(test_listener_params_move_the_scene),
		cmocka_unit_test(test_listener_cannot_be_created_or_deleted),
		cmocka_unit_test(test_node_stereo_input),
		cmocka_unit_test(test_node_cone_attenuates_away_from_listener),
		cmocka_unit_test(test_exceptions),
		cmocka_unit_test(test_hrtf_missing_file_is_io_error_naming_it),
		cmocka_unit_test(test_hrtf_without_a_loader_is_not_supported),
		cmocka_unit_test(test_hrtf_right_source_louder_right),
	};

	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	hrtf_cache_fini(&default_hrtf);
	return failed;
}
