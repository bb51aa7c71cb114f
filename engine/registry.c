/* every node kind the engine knows, by Web Audio name.  read-only data; any thread. */
#include <string.h>

#include "node.h"

extern const struct node_kind destination_kind, gain_kind, constant_kind, splitter_kind,
	merger_kind, oscillator_kind, buffer_source_kind, biquad_kind, delay_kind,
	stereo_panner_kind, iir_kind, waveshaper_kind;
extern const struct node_kind convolver_kind, analyser_kind;

extern const struct node_kind panner_kind, compressor_kind;
extern const struct node_kind lv2_kind;
extern const struct node_kind media_source_kind, media_dest_kind;

const struct node_kind *const node_kinds[] = {
	&destination_kind,
	&gain_kind,
	&constant_kind,
	&splitter_kind,
	&merger_kind,
	&oscillator_kind,
	&buffer_source_kind,
	&biquad_kind,
	&delay_kind,
	&stereo_panner_kind,
	&panner_kind, &compressor_kind,
	&iir_kind,
	&waveshaper_kind,
	&convolver_kind, &analyser_kind,
	&lv2_kind,
	&media_source_kind, &media_dest_kind,
};

const int node_kinds_count = (int)(sizeof(node_kinds) / sizeof(node_kinds[0]));

const struct node_kind *node_kind_find(const char *name)
{
	int i;

	for (i = 0; i < node_kinds_count; i++)
		if (strcmp(node_kinds[i]->name, name) == 0)
			return node_kinds[i];
	return NULL;
}
