/* audioctl plugins: the LV2 plugins installed here, read with lilv on the client side (the
 * daemon's user sees the same $LV2_PATH): what an LV2Node can host, with its channels and
 * params.  a plain single-threaded program. */
#include "client/ctl.h"

#include <math.h>
#include <string.h>

#include "protocol/lv2.h"

struct listing {
	json_object *all;	/* one object per plugin */
	const char *only;	/* a URI: that plugin alone */
	bool every;		/* --all: the ones an LV2Node cannot run too */
};

static json_object *number_or_null(float v)
{
	return isnan(v) ? NULL : json_object_new_double(v);
}

/* the AudioParams an LV2Node of the plugin has: control and CV inputs */
static json_object *params_json(const struct lv2_plugin_info *p)
{
	json_object *params = json_object_new_array(), *o;
	uint32_t i;

	for (i = 0; i < p->n_ports; i++) {
		const struct plugin_port *pp = &p->ports[i];

		if (pp->output || (pp->type != PLUGIN_PORT_CONTROL && pp->type != PLUGIN_PORT_CV))
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(pp->symbol));
		json_object_object_add(o, "label", json_object_new_string(pp->name));
		json_object_object_add(o, "default", number_or_null(pp->def));
		json_object_object_add(o, "min", number_or_null(pp->min));
		json_object_object_add(o, "max", number_or_null(pp->max));
		json_object_object_add(o, "automationRate", json_object_new_string(
			pp->type == PLUGIN_PORT_CV ? "a-rate" : "k-rate"));
		json_object_array_add(params, o);
	}
	return params;
}

static void add_plugin(const struct lv2_plugin_info *p, void *data)
{
	struct listing *l = data;
	json_object *o;

	if (l->only ? strcmp(p->uri, l->only) != 0 : !l->every && p->unsupported)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "uri", json_object_new_string(p->uri));
	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "audioInputs", json_object_new_int((int)p->audio_in));
	json_object_object_add(o, "audioOutputs", json_object_new_int((int)p->audio_out));
	json_object_object_add(o, "params", params_json(p));
	json_object_object_add(o, "unsupported",
			       p->unsupported ? json_object_new_string(p->unsupported) : NULL);
	json_object_array_add(l->all, o);
}

static const char *field(json_object *o, const char *name)
{
	json_object *v;

	return json_object_object_get_ex(o, name, &v) ? json_object_get_string(v) : NULL;
}

/* the table: one row per plugin, params by name */
static void print_table(json_object *all, bool every)
{
	json_object *rows = json_object_new_array(), *params, *row;
	char names[1024];
	size_t i, j;

	for (i = 0; i < json_object_array_length(all); i++) {
		json_object *p = json_object_array_get_idx(all, i);

		json_object_object_get_ex(p, "params", &params);
		names[0] = '\0';
		for (j = 0; j < json_object_array_length(params); j++) {
			size_t len = strlen(names);
			snprintf(names + len, sizeof(names) - len, "%s%s", j ? "," : "",
				 field(json_object_array_get_idx(params, j), "name"));
		}
		row = json_object_new_object();
		json_object_object_add(row, "uri", json_object_new_string(field(p, "uri")));
		json_object_object_add(row, "name", json_object_new_string(field(p, "name")));
		json_object_object_add(row, "in", json_object_new_string(field(p, "audioInputs")));
		json_object_object_add(row, "out", json_object_new_string(field(p, "audioOutputs")));
		if (every)
			json_object_object_add(row, "unsupported", json_object_new_string(
				field(p, "unsupported") ? field(p, "unsupported") : "-"));
		json_object_object_add(row, "params", json_object_new_string(names[0] ? names : "-"));
		json_object_array_add(rows, row);
	}
	if (json_object_array_length(rows) > 0)
		ctl_print_table(rows);
	json_object_put(rows);
}

/* one plugin: its channels, then a row per param */
static void print_one(json_object *p)
{
	json_object *params, *rows = json_object_new_array();
	size_t j;

	printf("uri      %s\nname     %s\ninputs   %s channel%s\noutputs  %s channel%s\n",
	       field(p, "uri"), field(p, "name"), field(p, "audioInputs"),
	       strcmp(field(p, "audioInputs"), "1") ? "s" : "", field(p, "audioOutputs"),
	       strcmp(field(p, "audioOutputs"), "1") ? "s" : "");
	if (field(p, "unsupported"))
		printf("LV2Node cannot run it: %s\n", field(p, "unsupported"));
	json_object_object_get_ex(p, "params", &params);
	for (j = 0; j < json_object_array_length(params); j++)
		json_object_array_add(rows, json_object_get(json_object_array_get_idx(params, j)));
	if (json_object_array_length(rows) > 0) {
		printf("\n");
		ctl_print_table(rows);
	}
	json_object_put(rows);
}

int ctl_plugins_main(struct ctl *ctl, int argc, char **argv)
{
	bool every = false;
	const struct ctl_opt opts[] = { { "all", NULL, &every }, { NULL } };
	struct listing l = { .all = json_object_new_array() };
	struct lv2_host *h = lv2_host_new();
	struct error err = { 0 };
	char *pos[1];
	int n_pos, res;

	if (ctl_scan(ctl, argc, argv, opts, pos, 1, &n_pos) < 0) {
		fprintf(stderr, "usage: audioctl plugins [--all] [URI]\n");
		json_object_put(l.all);
		lv2_host_unref(h);
		return CTL_EXIT_USAGE;
	}
	l.only = n_pos ? pos[0] : NULL;
	l.every = every;
	res = h ? lv2_host_list(h, add_plugin, &l, &err) : err_set(&err, ERR_INTERNAL,
								   "out of memory");
	lv2_host_unref(h);
	if (res == 0 && l.only && json_object_array_length(l.all) == 0)
		res = err_set(&err, ERR_INVALID_VALUE, "no LV2 plugin \"%s\" is installed", l.only);
	if (res < 0) {
		fprintf(stderr, "audioctl plugins: %s\n", err.msg);
		json_object_put(l.all);
		return CTL_EXIT_FAIL;
	}
	if (ctl->json && l.only)
		ctl_print_json(json_object_array_get_idx(l.all, 0));
	else if (ctl->json)
		ctl_print_json(l.all);
	else if (l.only)
		print_one(json_object_array_get_idx(l.all, 0));
	else
		print_table(l.all, every);
	json_object_put(l.all);
	return 0;
}
