/* plugin: the engine's view of a hosted audio plugin (what an LV2Node runs).  the engine does
 * no I/O and knows no plugin format: whoever makes an engine gives it a host
 * (engine_set_plugin_host; protocol/lv2.c is one, over lilv) that makes instances by URI.
 * control thread: the host's instantiate, an instance's connect_port and destroy.
 * render thread: an instance's activate (once, before the first run) and run, nothing else. */
#ifndef AUDIOD_PLUGIN_H
#define AUDIOD_PLUGIN_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

enum plugin_port_type {
	PLUGIN_PORT_AUDIO,	/* a block of samples */
	PLUGIN_PORT_CONTROL,	/* one float per run */
	PLUGIN_PORT_CV,		/* a block of control samples */
	PLUGIN_PORT_OTHER,	/* anything the engine cannot drive (atom, MIDI events) */
};

struct plugin_port {
	const char *symbol;	/* unique in the plugin, a C identifier: "gain" */
	const char *name;	/* for people: "Amps gain (dB)" */
	enum plugin_port_type type;
	bool output;
	bool optional;		/* may be left unconnected (NULL) */
	bool toggled, integer;	/* control ports: a switch, whole numbers */
	float def, min, max;	/* control and CV ports; NAN where the plugin gives none */
};

struct plugin_instance {
	const struct plugin_port *ports;
	uint32_t n_ports;
	uint32_t block;		/* the most frames one run takes (the engine's QUANTUM) */
	void *handle;		/* the host's */
	/* control, before activate: port `port` reads or writes data from now on (a float for
	 * a control port, `block` floats for audio and CV ports, NULL for an optional one) */
	void (*connect_port)(void *handle, uint32_t port, void *data);
	/* render: once, before the first run */
	void (*activate)(void *handle);
	/* render: processes frames (<= block) of the connected buffers */
	void (*run)(void *handle, uint32_t frames);
	/* control: deactivates it when active was called, then frees it and its ports */
	void (*destroy)(struct plugin_instance *pi, bool active);
};

/* what engine_set_plugin_host takes: makes an instance of the plugin `uri` at `rate` that
 * runs at most `block` frames at a time, or NULL with err set (not_found for an unknown URI,
 * not_supported for a plugin that needs what the host cannot give, io when it fails to load) */
typedef struct plugin_instance *(*plugin_instantiate_fn)(void *data, const char *uri,
							 double rate, uint32_t block,
							 struct error *err);

#endif
