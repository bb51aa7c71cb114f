/* error codes, messages and "did you mean" suggestions.
 * any thread; no allocation. */
#include <stdio.h>
#include <string.h>

#include "error.h"

static const char *const names[ERR_COUNT] = {
	[ERR_OK] = "ok",
	[ERR_PARSE] = "parse_error",
	[ERR_TOO_LARGE] = "too_large",
	[ERR_BAD_REQUEST] = "bad_request",
	[ERR_UNKNOWN_OP] = "unknown_op",
	[ERR_UNKNOWN_TYPE] = "unknown_type",
	[ERR_UNKNOWN_NODE] = "unknown_node",
	[ERR_UNKNOWN_PARAM] = "unknown_param",
	[ERR_UNKNOWN_ATTR] = "unknown_attr",
	[ERR_INVALID_VALUE] = "invalid_value",
	[ERR_INDEX_SIZE] = "index_size",
	[ERR_INVALID_STATE] = "invalid_state",
	[ERR_NOT_SUPPORTED] = "not_supported",
	[ERR_BUSY] = "busy",
	[ERR_LIMIT] = "limit",
	[ERR_IO] = "io",
	[ERR_FORBIDDEN] = "forbidden",
	[ERR_INTERNAL] = "internal",
};

const char *err_name(enum err_code code)
{
	if ((unsigned)code >= ERR_COUNT)
		return "internal";
	return names[code];
}

/* a message cut at its size may end inside a UTF-8 sequence: drop the partial character,
 * so replies quoting a long non-ASCII name stay valid UTF-8 */
static void utf8_trim(char *s, size_t size)
{
	size_t n = strnlen(s, size), start = n, need;

	while (start > 0 && n - start < 4 && ((unsigned char)s[start - 1] & 0xc0) == 0x80)
		start--;
	if (start == 0 || ((unsigned char)s[start - 1] & 0x80) == 0)
		return;
	start--;	/* the lead byte */
	need = (unsigned char)s[start] >= 0xf0 ? 4 : (unsigned char)s[start] >= 0xe0 ? 3 :
	       (unsigned char)s[start] >= 0xc0 ? 2 : 1;
	if (n - start < need)
		s[start] = '\0';
}

int err_set(struct error *err, enum err_code code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	utf8_trim(err->msg, sizeof(err->msg));
	return -1;
}

void err_prefix(struct error *err, const char *fmt, ...)
{
	char prefix[256], old[sizeof(err->msg)];
	size_t n, rest;
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	utf8_trim(prefix, sizeof(prefix));
	if (prefix[0] == '\0')
		return;
	memcpy(old, err->msg, sizeof(old));
	/* truncation is acceptable for over-long messages */
	n = strlen(prefix);
	if (n > sizeof(err->msg) - 3)
		n = sizeof(err->msg) - 3;
	memcpy(err->msg, prefix, n);
	memcpy(err->msg + n, ": ", 2);
	rest = sizeof(err->msg) - n - 2;
	memcpy(err->msg + n + 2, old, rest - 1);
	err->msg[sizeof(err->msg) - 1] = '\0';
	utf8_trim(err->msg, sizeof(err->msg));
}

/* Levenshtein distance, case-insensitive, on names up to 63 characters */
static int distance(const char *a, const char *b)
{
	int la = (int)strlen(a), lb = (int)strlen(b);
	int row[64], i, j;

	if (la > 63 || lb > 63)
		return 1000;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		int diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			int ca = a[i - 1] | 0x20, cb = b[j - 1] | 0x20;
			int up = row[j];
			int best = diag + (ca != cb);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *err_suggest(const char *name, const char *const *candidates, int n)
{
	const char *best = NULL;
	int best_d = 1000, limit, i;

	if (name == NULL)
		return NULL;
	limit = (int)strlen(name) / 3;
	if (limit < 2)
		limit = 2;
	for (i = 0; i < n; i++) {
		int d;
		if (candidates[i] == NULL)
			continue;
		d = distance(name, candidates[i]);
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best_d <= limit ? best : NULL;
}
