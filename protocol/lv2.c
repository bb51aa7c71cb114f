/* lv2: the engine's plugin host over lilv (lv2.h).  one lilv world per host, read on first
 * use; a URID map shared by the host's instances.  instances are made, connected and freed on
 * the control thread; activate and run, which the engine calls on the render thread, go
 * straight to the plugin (the host adds no allocation, lock or I/O there). */
#include "protocol/lv2.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <lilv/lilv.h>
#include <lv2/atom/atom.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/core/lv2.h>
#include <lv2/options/options.h>
#include <lv2/port-props/port-props.h>
#include <lv2/urid/urid.h>

/* the rate port ranges given in fractions of it (lv2:sampleRate) are listed at */
#define LIST_RATE 48000.0

/* what the host gives a plugin without being asked: flags, and the two it passes data for */
static const char *const given_features[] = {
	LV2_URID__map, LV2_URID__unmap, LV2_OPTIONS__options, LV2_BUF_SIZE__boundedBlockLength,
	LV2_BUF_SIZE__fixedBlockLength, LV2_BUF_SIZE__powerOf2BlockLength,
	/* properties of the plugin that some list as required: the host honours them */
	LV2_CORE__hardRTCapable, LV2_CORE__inPlaceBroken, LV2_CORE__isLive,
};
#define N_GIVEN (sizeof(given_features) / sizeof(given_features[0]))

struct lv2_host {
	int refs;
	LilvWorld *world;		/* NULL until first use */
	const LilvPlugins *plugins;
	LilvNode *audio, *control, *cv, *output, *optional, *toggled, *integer, *rate_prop;
	/* URID map: id i + 1 is uris[i] */
	pthread_mutex_t lock;
	char **uris;
	uint32_t n_uris, cap_uris;
	LV2_URID_Map map;
	LV2_URID_Unmap unmap;
};

/* one instance: the engine's view, the lilv instance, and the features it was given */
struct lv2_inst {
	struct plugin_instance pi;
	struct lv2_host *host;
	LilvInstance *inst;
	struct plugin_port *ports;
	int32_t block_min, block_max;
	LV2_Options_Option options[4];
	LV2_Feature features[N_GIVEN];
	const LV2_Feature *feature_list[N_GIVEN + 1];
};

/* --- URID map -------------------------------------------------------------------------- */

static LV2_URID map_uri(LV2_URID_Map_Handle data, const char *uri)
{
	struct lv2_host *h = data;
	LV2_URID id = 0;
	uint32_t i;

	pthread_mutex_lock(&h->lock);
	for (i = 0; i < h->n_uris && id == 0; i++)
		if (strcmp(h->uris[i], uri) == 0)
			id = i + 1;
	if (id == 0 && h->n_uris == h->cap_uris) {
		uint32_t cap = h->cap_uris ? 2 * h->cap_uris : 64;
		char **u = realloc(h->uris, cap * sizeof(*u));
		if (u) {
			h->uris = u;
			h->cap_uris = cap;
		}
	}
	if (id == 0 && h->n_uris < h->cap_uris && (h->uris[h->n_uris] = strdup(uri)) != NULL)
		id = ++h->n_uris;
	pthread_mutex_unlock(&h->lock);
	return id;
}

static const char *unmap_uri(LV2_URID_Unmap_Handle data, LV2_URID id)
{
	struct lv2_host *h = data;
	const char *uri = NULL;

	pthread_mutex_lock(&h->lock);
	if (id >= 1 && id <= h->n_uris)
		uri = h->uris[id - 1];
	pthread_mutex_unlock(&h->lock);
	return uri;
}

/* --- the host -------------------------------------------------------------------------- */

struct lv2_host *lv2_host_new(void)
{
	struct lv2_host *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->refs = 1;
	pthread_mutex_init(&h->lock, NULL);
	h->map = (LV2_URID_Map){ h, map_uri };
	h->unmap = (LV2_URID_Unmap){ h, unmap_uri };
	return h;
}

void lv2_host_unref(struct lv2_host *h)
{
	uint32_t i;

	if (h == NULL || --h->refs > 0)
		return;
	if (h->world) {
		LilvNode *nodes[] = { h->audio, h->control, h->cv, h->output, h->optional,
				      h->toggled, h->integer, h->rate_prop };
		for (i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++)
			lilv_node_free(nodes[i]);
		lilv_world_free(h->world);
	}
	for (i = 0; i < h->n_uris; i++)
		free(h->uris[i]);
	free(h->uris);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

/* reads every installed plugin's description, once */
static int host_load(struct lv2_host *h, struct error *err)
{
	if (h->world)
		return 0;
	h->world = lilv_world_new();
	if (h->world == NULL)
		return err_set(err, ERR_INTERNAL, "out of memory");
	lilv_world_load_all(h->world);
	h->plugins = lilv_world_get_all_plugins(h->world);
	h->audio = lilv_new_uri(h->world, LV2_CORE__AudioPort);
	h->control = lilv_new_uri(h->world, LV2_CORE__ControlPort);
	h->cv = lilv_new_uri(h->world, LV2_CORE__CVPort);
	h->output = lilv_new_uri(h->world, LV2_CORE__OutputPort);
	h->optional = lilv_new_uri(h->world, LV2_CORE__connectionOptional);
	h->toggled = lilv_new_uri(h->world, LV2_CORE__toggled);
	h->integer = lilv_new_uri(h->world, LV2_CORE__integer);
	h->rate_prop = lilv_new_uri(h->world, LV2_CORE__sampleRate);
	return 0;
}

/* the installed plugin with this URI; NULL with err set (invalid_value, with the nearest
 * URI when one is close) */
static const LilvPlugin *find_plugin(struct lv2_host *h, const char *uri, struct error *err)
{
	LilvNode *u = lilv_new_uri(h->world, uri);
	const LilvPlugin *p = u ? lilv_plugins_get_by_uri(h->plugins, u) : NULL;
	const char *cand[512], *hint;
	int k = 0;

	lilv_node_free(u);
	if (p)
		return p;
	LILV_FOREACH (plugins, i, h->plugins)
		if (k < 512)
			cand[k++] = lilv_node_as_uri(lilv_plugin_get_uri(lilv_plugins_get(h->plugins, i)));
	hint = err_suggest(uri, cand, k);
	if (hint)
		err_set(err, ERR_INVALID_VALUE, "uri: no LV2 plugin \"%s\" is installed, did you "
			"mean \"%s\"?", uri, hint);
	else
		err_set(err, ERR_INVALID_VALUE, "uri: no LV2 plugin \"%s\" is installed "
			"(`audioctl plugins` lists them)", uri);
	return NULL;
}

static bool given(const char *feature)
{
	size_t i;

	for (i = 0; i < N_GIVEN; i++)
		if (strcmp(given_features[i], feature) == 0)
			return true;
	return false;
}

/* the first feature the plugin requires and the host does not give; NULL when none */
static const char *missing_feature(const LilvPlugin *p, char *buf, size_t size)
{
	LilvNodes *req = lilv_plugin_get_required_features(p);
	const char *miss = NULL;

	LILV_FOREACH (nodes, i, req) {
		const char *f = lilv_node_as_uri(lilv_nodes_get(req, i));
		if (f && !given(f)) {
			snprintf(buf, size, "%s", f);
			miss = buf;
			break;
		}
	}
	lilv_nodes_free(req);
	return miss;
}

/* --- ports ------------------------------------------------------------------------------ */

static void ports_free(struct plugin_port *ports, uint32_t n)
{
	uint32_t i;

	for (i = 0; ports && i < n; i++) {
		free((char *)ports[i].symbol);
		free((char *)ports[i].name);
	}
	free(ports);
}

/* the plugin's ports for the engine, ranges scaled to `rate` where the plugin gives them in
 * fractions of it; NULL when out of memory */
static struct plugin_port *describe_ports(struct lv2_host *h, const LilvPlugin *p, double rate)
{
	uint32_t n = lilv_plugin_get_num_ports(p), i;
	struct plugin_port *ports = calloc(n ? n : 1, sizeof(*ports));
	float *mins = malloc((n ? n : 1) * sizeof(float));
	float *maxs = malloc((n ? n : 1) * sizeof(float));
	float *defs = malloc((n ? n : 1) * sizeof(float));
	bool ok = ports && mins && maxs && defs;

	if (ok)
		lilv_plugin_get_port_ranges_float(p, mins, maxs, defs);
	for (i = 0; ok && i < n; i++) {
		const LilvPort *port = lilv_plugin_get_port_by_index(p, i);
		struct plugin_port *pp = &ports[i];
		LilvNode *name = lilv_port_get_name(p, port);
		float scale = lilv_port_has_property(p, port, h->rate_prop) ? (float)rate : 1.0f;

		pp->symbol = strdup(lilv_node_as_string(lilv_port_get_symbol(p, port)));
		pp->name = strdup(name ? lilv_node_as_string(name) : pp->symbol ? pp->symbol : "");
		lilv_node_free(name);
		ok = pp->symbol && pp->name;
		pp->type = lilv_port_is_a(p, port, h->audio) ? PLUGIN_PORT_AUDIO :
			   lilv_port_is_a(p, port, h->control) ? PLUGIN_PORT_CONTROL :
			   lilv_port_is_a(p, port, h->cv) ? PLUGIN_PORT_CV : PLUGIN_PORT_OTHER;
		pp->output = lilv_port_is_a(p, port, h->output);
		pp->optional = lilv_port_has_property(p, port, h->optional);
		pp->toggled = lilv_port_has_property(p, port, h->toggled);
		pp->integer = lilv_port_has_property(p, port, h->integer);
		pp->def = defs[i] * scale;
		pp->min = mins[i] * scale;
		pp->max = maxs[i] * scale;
	}
	free(mins);
	free(maxs);
	free(defs);
	if (!ok) {
		ports_free(ports, n);
		return NULL;
	}
	return ports;
}

/* --- instances --------------------------------------------------------------------------- */

static void inst_connect(void *handle, uint32_t port, void *data)
{
	lilv_instance_connect_port(handle, port, data);
}

static void inst_activate(void *handle)
{
	lilv_instance_activate(handle);
}

static void inst_run(void *handle, uint32_t frames)
{
	lilv_instance_run(handle, frames);
}

static void inst_destroy(struct plugin_instance *pi, bool active)
{
	struct lv2_inst *in = (struct lv2_inst *)pi;

	if (in->inst && active)
		lilv_instance_deactivate(in->inst);
	if (in->inst)
		lilv_instance_free(in->inst);
	ports_free(in->ports, pi->n_ports);
	lv2_host_unref(in->host);
	free(in);
}

/* the features one instance gets: the map, unmap and options it points at */
static void inst_features(struct lv2_inst *in, uint32_t block)
{
	struct lv2_host *h = in->host;
	const LV2_URID int_type = map_uri(h, LV2_ATOM__Int);
	size_t i;

	in->block_min = 1;
	in->block_max = (int32_t)block;
	in->options[0] = (LV2_Options_Option){ LV2_OPTIONS_INSTANCE, 0,
		map_uri(h, LV2_BUF_SIZE__minBlockLength), sizeof(int32_t), int_type, &in->block_min };
	in->options[1] = (LV2_Options_Option){ LV2_OPTIONS_INSTANCE, 0,
		map_uri(h, LV2_BUF_SIZE__maxBlockLength), sizeof(int32_t), int_type, &in->block_max };
	in->options[2] = (LV2_Options_Option){ LV2_OPTIONS_INSTANCE, 0,
		map_uri(h, LV2_BUF_SIZE__nominalBlockLength), sizeof(int32_t), int_type,
		&in->block_max };
	in->options[3] = (LV2_Options_Option){ LV2_OPTIONS_INSTANCE, 0, 0, 0, 0, NULL };
	for (i = 0; i < N_GIVEN; i++) {
		const char *f = given_features[i];
		void *data = strcmp(f, LV2_URID__map) == 0 ? (void *)&h->map :
			     strcmp(f, LV2_URID__unmap) == 0 ? (void *)&h->unmap :
			     strcmp(f, LV2_OPTIONS__options) == 0 ? (void *)in->options : NULL;
		in->features[i] = (LV2_Feature){ f, data };
		in->feature_list[i] = &in->features[i];
	}
	in->feature_list[N_GIVEN] = NULL;
}

struct plugin_instance *lv2_instantiate(void *host, const char *uri, double rate,
					uint32_t block, struct error *err)
{
	struct lv2_host *h = host;
	const LilvPlugin *p;
	struct lv2_inst *in;
	char feature[256];

	if (host_load(h, err) < 0 || (p = find_plugin(h, uri, err)) == NULL)
		return NULL;
	if (missing_feature(p, feature, sizeof(feature))) {
		err_set(err, ERR_NOT_SUPPORTED, "uri: %s requires the LV2 feature %s, which audiod "
			"does not provide", uri, feature);
		return NULL;
	}
	in = calloc(1, sizeof(*in));
	if (in == NULL) {
		err_set(err, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	in->host = h;
	h->refs++;
	in->pi = (struct plugin_instance){ .n_ports = lilv_plugin_get_num_ports(p),
		.block = block, .connect_port = inst_connect, .activate = inst_activate,
		.run = inst_run, .destroy = inst_destroy };
	in->ports = describe_ports(h, p, rate);
	if (in->ports == NULL) {
		err_set(err, ERR_INTERNAL, "out of memory");
		inst_destroy(&in->pi, false);
		return NULL;
	}
	in->pi.ports = in->ports;
	inst_features(in, block);
	in->inst = lilv_plugin_instantiate(p, rate, in->feature_list);
	if (in->inst == NULL) {
		err_set(err, ERR_IO, "uri: the LV2 plugin %s failed to load or instantiate", uri);
		inst_destroy(&in->pi, false);
		return NULL;
	}
	in->pi.handle = in->inst;
	return &in->pi;
}

/* --- listing ------------------------------------------------------------------------------ */

/* why an LV2Node cannot run the plugin (NULL: it can); buf holds the text */
static const char *list_problem(const LilvPlugin *p, const struct lv2_plugin_info *info,
				char *buf, size_t size)
{
	char feature[256];
	uint32_t i;

	if (missing_feature(p, feature, sizeof(feature))) {
		snprintf(buf, size, "requires %s", feature);
		return buf;
	}
	for (i = 0; i < info->n_ports; i++) {
		if (info->ports[i].type == PLUGIN_PORT_OTHER && !info->ports[i].optional) {
			snprintf(buf, size, "event port %s", info->ports[i].symbol);
			return buf;
		}
	}
	if (info->audio_out == 0)
		return "no audio output";
	return NULL;
}

int lv2_host_list(struct lv2_host *h, void (*fn)(const struct lv2_plugin_info *p, void *data),
		  void *data, struct error *err)
{
	char why[320];

	if (host_load(h, err) < 0)
		return -1;
	LILV_FOREACH (plugins, it, h->plugins) {
		const LilvPlugin *p = lilv_plugins_get(h->plugins, it);
		LilvNode *name = lilv_plugin_get_name(p);
		struct lv2_plugin_info info = {
			.uri = lilv_node_as_uri(lilv_plugin_get_uri(p)),
			.name = name ? lilv_node_as_string(name) : "",
			.n_ports = lilv_plugin_get_num_ports(p),
		};
		struct plugin_port *ports = describe_ports(h, p, LIST_RATE);

		if (ports == NULL) {
			lilv_node_free(name);
			return err_set(err, ERR_INTERNAL, "out of memory");
		}
		info.ports = ports;
		for (uint32_t i = 0; i < info.n_ports; i++)
			if (ports[i].type == PLUGIN_PORT_AUDIO)
				*(ports[i].output ? &info.audio_out : &info.audio_in) += 1;
		info.unsupported = list_problem(p, &info, why, sizeof(why));
		fn(&info, data);
		ports_free(ports, info.n_ports);
		lilv_node_free(name);
	}
	return 0;
}
