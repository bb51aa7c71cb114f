/* beep: a libaudiod example.  plays a one-second 440 Hz beep with a short fade in and out,
 * in a session of its own that disappears when the program exits.  single-threaded.
 * build: cc beep.c $(pkg-config --cflags --libs libaudiod) */
#include <stdio.h>

#include <audiod.h>

static int fail(audiod_conn *c, const char *what)
{
	fprintf(stderr, "beep: %s: %s\n", what, audiod_error_message(c));
	audiod_disconnect(c);
	return 1;
}

int main(void)
{
	const char *const ended[] = { "ended", NULL };
	audiod_error err;
	json_object *ev;
	double t;

	audiod_conn *c = audiod_connect(NULL, &err);
	if (c == NULL) {
		fprintf(stderr, "beep: cannot reach audiod (%s): is it running?\n",
			audiod_error_name(err));
		return 1;
	}
	/* an ephemeral session: our nodes go away with our connection, even on a crash */
	if (audiod_session(c, "beep", true) != AUDIOD_OK ||
	    audiod_create(c, "OscillatorNode", "osc", "{\"frequency\":440}") != AUDIOD_OK ||
	    audiod_create(c, "GainNode", "env", "{\"gain\":0}") != AUDIOD_OK ||
	    audiod_node_connect(c, "osc", "env", -1, -1) != AUDIOD_OK ||
	    audiod_node_connect(c, "env", "destination", -1, -1) != AUDIOD_OK ||
	    audiod_subscribe(c, ended) != AUDIOD_OK || audiod_time(c, &t) != AUDIOD_OK)
		return fail(c, "building the graph");
	/* schedule everything slightly ahead so it all lands on the same timeline */
	t += 0.05;
	if (audiod_param(c, "env.gain", "setValueAtTime", 2, 0.0, t) != AUDIOD_OK ||
	    audiod_param(c, "env.gain", "linearRampToValueAtTime", 2, 0.3, t + 0.02) != AUDIOD_OK ||
	    audiod_param(c, "env.gain", "setValueAtTime", 2, 0.3, t + 0.98) != AUDIOD_OK ||
	    audiod_param(c, "env.gain", "linearRampToValueAtTime", 2, 0.0, t + 1.0) != AUDIOD_OK ||
	    audiod_start(c, "osc", t) != AUDIOD_OK || audiod_stop(c, "osc", t + 1.0) != AUDIOD_OK)
		return fail(c, "scheduling");
	/* the daemon tells us when the oscillator has stopped */
	while (audiod_next_event(c, 5000, &ev) == AUDIOD_OK) {
		json_object_put(ev);
		break;
	}
	audiod_disconnect(c);
	return 0;
}
