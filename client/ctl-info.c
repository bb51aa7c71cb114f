/* audioctl's read-only views and small ops: sessions, close-session, stats, time, sync.
 * a plain single-threaded program. */
#include "client/ctl.h"

#include <string.h>

static const char *const reply_skip[] = { "ok", "id", NULL };

/* sends {"op": op} (plus name), prints the reply as fields (or JSON); the exit status */
static int simple_op(struct ctl *ctl, int argc, char **argv, const char *op, bool takes_name)
{
	json_object *req, *reply, *list;
	char *pos[1];
	int n_pos;

	if (ctl_scan(ctl, argc, argv, NULL, pos, takes_name ? 1 : 0, &n_pos) < 0 ||
	    n_pos != (takes_name ? 1 : 0)) {
		fprintf(stderr, "usage: audioctl %s%s\n", op, takes_name ? " NAME" : "");
		return CTL_EXIT_USAGE;
	}
	if (ctl_connect(ctl) < 0)
		return CTL_EXIT_FAIL;
	req = ctl_op(op);
	if (takes_name)
		json_object_object_add(req, "name", json_object_new_string(pos[0]));
	if (ctl_call(ctl, req, &reply) < 0) {
		json_object_put(reply);
		return CTL_EXIT_FAIL;
	}
	if (ctl->json)
		ctl_print_json(reply);
	else if (strcmp(op, "sessions") == 0 && json_object_object_get_ex(reply, "sessions", &list) &&
		 json_object_is_type(list, json_type_array))
		ctl_print_table(list);
	else
		ctl_print_fields(reply, reply_skip);
	json_object_put(reply);
	return 0;
}

int ctl_sessions_main(struct ctl *ctl, int argc, char **argv)
{
	return simple_op(ctl, argc, argv, "sessions", false);
}

int ctl_close_session_main(struct ctl *ctl, int argc, char **argv)
{
	return simple_op(ctl, argc, argv, "close-session", true);
}

int ctl_stats_main(struct ctl *ctl, int argc, char **argv)
{
	return simple_op(ctl, argc, argv, "stats", false);
}

int ctl_time_main(struct ctl *ctl, int argc, char **argv)
{
	return simple_op(ctl, argc, argv, "time", false);
}

int ctl_sync_main(struct ctl *ctl, int argc, char **argv)
{
	return simple_op(ctl, argc, argv, "sync", false);
}
