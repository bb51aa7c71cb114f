/* jsonstrict: the strict reading of a JSON text (a request line, a graph document) that
 * json-c alone does not give: one pass over the raw bytes checks them before json-c builds
 * the tree.  any thread; each call allocates its own scratch and frees it. */
#ifndef AUDIOD_JSONSTRICT_H
#define AUDIOD_JSONSTRICT_H

#include <stddef.h>

#include "engine/error.h"

struct json_object;

/* arrays and objects nested deeper than this are refused (json-c's default depth) */
#define JSONSTRICT_MAX_DEPTH 32

/* checks text[0, len) (no NUL terminator needed).  0, or -1 with err set and *at the byte
 * offset of the first fault found:
 *  ERR_PARSE: not JSON (RFC 8259, plus json-c's NaN, Infinity and -Infinity) or not
 *    well-formed UTF-8 (overlongs, UTF-8-encoded surrogates, bytes above F4, sequences cut
 *    short).  "invalid JSON: expected ':'", "invalid UTF-8": the message never quotes the
 *    text, so a reply carrying it stays valid UTF-8.
 *  ERR_BAD_REQUEST: JSON that audiod refuses, the message led by the JSON path: a key twice
 *    in one object ("options: duplicate key \"gain\"", found when the object closes), an
 *    escaped NUL ("id: embedded NUL"), an unpaired surrogate escape, more than
 *    JSONSTRICT_MAX_DEPTH nested arrays and objects.
 *  ERR_TOO_LARGE: longer than json-c takes (INT_MAX bytes); ERR_INTERNAL: out of memory. */
int jsonstrict_check(const char *text, size_t len, size_t *at, struct error *err);

/* jsonstrict_check, then json-c's tree in *out (consumed by the caller; NULL for `null`).
 * 0, or -1 with err and *at set as above. */
int jsonstrict_parse(const char *text, size_t len, struct json_object **out, size_t *at,
		     struct error *err);

#endif
