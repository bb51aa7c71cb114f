/* lv2 without lilv: audiod built with -Dlv2=disabled or without liblilv-dev.  every LV2Node
 * and plugin listing fails with not_supported (lv2.h).  any thread. */
#include "protocol/lv2.h"

#include <stdlib.h>

#define NO_LV2 "LV2 plugins are not supported: audiod was built without lilv (liblilv-dev)"

struct lv2_host {
	int refs;
};

struct lv2_host *lv2_host_new(void)
{
	struct lv2_host *h = calloc(1, sizeof(*h));

	if (h)
		h->refs = 1;
	return h;
}

void lv2_host_unref(struct lv2_host *h)
{
	if (h && --h->refs == 0)
		free(h);
}

struct plugin_instance *lv2_instantiate(void *host, const char *uri, double rate,
					uint32_t block, struct error *err)
{
	(void)host, (void)uri, (void)rate, (void)block;
	err_set(err, ERR_NOT_SUPPORTED, NO_LV2);
	return NULL;
}

int lv2_host_list(struct lv2_host *h, void (*fn)(const struct lv2_plugin_info *p, void *data),
		  void *data, struct error *err)
{
	(void)h, (void)fn, (void)data;
	return err_set(err, ERR_NOT_SUPPORTED, NO_LV2);
}
