/* save: a session's graph as a graph document (PROTOCOL.md §12), for `save` and persistence:
 * document_save with the session's names, and the specs of its buffers.  control thread only. */
#include <string.h>

#include <json-c/json.h>

#include "core.h"
#include "engine/node.h"
#include "protocol/document.h"
#include "request.h"
#include "handler.h"
#include "server.h"

static bool saved(void *data, const struct node *n)
{
	struct save_names *x = data;

	return session_owns(x->sess, n->name) && !req_is_bus(x->s, n->name);
}

static const char *name_of(void *data, const struct node *n, char *buf, size_t size)
{
	struct save_names *x = data;

	return session_unmap(x->sess, n->name, buf, size);
}

static const char *buffer_of(void *data, const struct audio_buffer *b)
{
	struct save_names *x = data;
	struct sbuf *sb = session_buffer_of(x->sess, b);

	return sb ? sb->name : NULL;
}

void save_names_init(struct save_names *x, struct server *s, struct session *sess)
{
	x->s = s;
	x->sess = sess;
	x->nm = (struct document_namer){ .saved = saved, .name = name_of, .buffer = buffer_of,
					 .data = x };
}

struct json_object *handler_save(struct server *s, struct session *sess)
{
	struct save_names x;
	struct json_object *doc, *bufs;
	struct sbuf *b;

	save_names_init(&x, s, sess);
	doc = document_save(core_engine(s->core), &x.nm);
	bufs = json_object_new_object();
	for (b = sess->buffers; b; b = b->next)
		json_object_object_add(bufs, b->name, json_object_get(b->spec));
	json_object_object_add(doc, "buffers", bufs);
	return doc;
}
int op_save(struct req *r)
{
	static const char *const fields[] = { "op", "id" };
	struct json_object *res;
	struct error err = { 0 };

	if (codec_check_fields(r->obj, fields, COUNT(fields), "", &err) < 0)
		return req_fail(r, &err);
	res = json_object_new_object();
	json_object_object_add(res, "document", handler_save(r->s, r->c->session));
	req_ok(r, res);
	return 0;
}
