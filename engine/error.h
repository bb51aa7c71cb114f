/* error codes and messages shared by the engine, the protocol codec and the daemon.
 * any thread may use; no allocation. */
#ifndef AUDIOD_ERROR_H
#define AUDIOD_ERROR_H

#include <stdarg.h>

enum err_code {
	ERR_OK = 0,
	ERR_PARSE,		/* parse_error */
	ERR_TOO_LARGE,		/* too_large */
	ERR_BAD_REQUEST,	/* bad_request */
	ERR_UNKNOWN_OP,		/* unknown_op */
	ERR_UNKNOWN_TYPE,	/* unknown_type */
	ERR_UNKNOWN_NODE,	/* unknown_node */
	ERR_UNKNOWN_PARAM,	/* unknown_param */
	ERR_UNKNOWN_ATTR,	/* unknown_attr */
	ERR_INVALID_VALUE,	/* invalid_value: RangeError / TypeError */
	ERR_INDEX_SIZE,		/* index_size: IndexSizeError */
	ERR_INVALID_STATE,	/* invalid_state: InvalidStateError */
	ERR_NOT_SUPPORTED,	/* not_supported: NotSupportedError */
	ERR_BUSY,		/* render queue full */
	ERR_LIMIT,		/* quota exceeded */
	ERR_IO,			/* file unreadable or undecodable */
	ERR_FORBIDDEN,
	ERR_INTERNAL,
	ERR_COUNT
};

struct error {
	enum err_code code;
	char msg[512];
};

/* protocol spelling of a code ("invalid_value") */
const char *err_name(enum err_code code);
/* sets code and a printf-style message; returns -1 so callers can `return err_set(...)` */
int err_set(struct error *err, enum err_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* prefixes the existing message with "prefix: " (used to add JSON paths) */
void err_prefix(struct error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* the candidate nearest to `name` by edit distance, or NULL when none is close */
const char *err_suggest(const char *name, const char *const *candidates, int n);

#endif
