/* lv2 (protocol side): the engine's plugin host (engine/plugin.h) over lilv, for LV2Nodes in
 * the daemon and in offline renders, and the list of installed plugins (`audioctl plugins`).
 * built without lilv (meson -Dlv2=disabled, or no liblilv-dev), every call fails with
 * not_supported.  control thread (or whoever makes an engine): the first use reads every
 * installed plugin's description ($LV2_PATH), which takes a moment. */
#ifndef AUDIOD_PROTOCOL_LV2_H
#define AUDIOD_PROTOCOL_LV2_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/error.h"
#include "engine/plugin.h"

struct lv2_host;

/* a host holding one reference; the plugins are read on first use.  NULL when out of memory */
struct lv2_host *lv2_host_new(void);
/* drops a reference: the host goes with the last one (each instance it made holds one) */
void lv2_host_unref(struct lv2_host *h);

/* pass to engine_set_plugin_host with the host as data.  the instance's ports follow the
 * plugin's order; errors: invalid_value for a URI no installed plugin has, not_supported for
 * a plugin that requires an LV2 feature the host does not give (it gives urid:map and unmap,
 * options:options with the buf-size block lengths, buf-size's bounded, fixed and
 * power-of-2 block lengths), io when the plugin fails to load or instantiate */
struct plugin_instance *lv2_instantiate(void *host, const char *uri, double rate,
					uint32_t block, struct error *err);

/* one installed plugin, as `audioctl plugins` shows it */
struct lv2_plugin_info {
	const char *uri;
	const char *name;
	const struct plugin_port *ports;	/* ranges as at 48000 Hz */
	uint32_t n_ports;
	uint32_t audio_in, audio_out;
	const char *unsupported;	/* why an LV2Node cannot run it, NULL when it can */
};

/* calls fn for each installed plugin, in URI order; 0, or -1 with err set */
int lv2_host_list(struct lv2_host *h, void (*fn)(const struct lv2_plugin_info *p, void *data),
		  void *data, struct error *err);

#endif
