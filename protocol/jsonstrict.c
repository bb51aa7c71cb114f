/* jsonstrict: one pass over a JSON text's bytes with an explicit stack (no recursion), then
 * json-c for the tree.  the pass checks what json-c lets through: UTF-8, escaped NUL, lone
 * surrogates, duplicate keys, depth.  any thread: all state lives in the call. */
#include "protocol/jsonstrict.h"

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#define KEY_SHOWN 64		/* bytes of a key a message quotes */
#define PATH_SHOWN 256		/* bytes of a JSON path a message shows */

/* a key of an open object, decoded (escapes resolved) into the arena: "a" and "\u0061" are
 * the same key to json-c, so they must be the same here */
struct key {
	uint32_t off, len;	/* in the arena */
	uint32_t at;		/* its opening quote in the text */
};

/* an open array or object */
struct level {
	bool object;
	uint32_t count;		/* array: the current element's index; object: keys so far */
	uint32_t keys;		/* object: its first key in keys[] (they are contiguous) */
	uint32_t arena;		/* object: where its keys start in the arena */
};

enum want {
	W_VALUE,
	W_FIRST_VALUE,		/* after '[': a value or ']' */
	W_FIRST_KEY,		/* after '{': a key or '}' */
	W_KEY,			/* after ',' in an object */
	W_COLON,
	W_AFTER,		/* a value ended: ',', the container's close, or the end */
};

struct scan {
	const unsigned char *t;
	uint32_t len, pos;
	struct level stack[JSONSTRICT_MAX_DEPTH];
	uint32_t depth;
	/* keys of the open objects only: an object's go when it closes, so memory follows
	 * the nesting, not the text */
	struct key *keys;
	uint32_t n_keys, cap_keys;
	char *arena;
	uint32_t arena_len, arena_cap;
	uint32_t at;		/* the fault */
	struct error *err;
};

/* the arena stays unallocated while every key is "" */
static const char *key_bytes(const struct scan *s, const struct key *k)
{
	return k->len > 0 ? s->arena + k->off : "";
}

/* --- messages ------------------------------------------------------------------------------ */

/* a bounded message under construction; cut only between UTF-8 characters */
struct text {
	char *buf;
	size_t size, len;
	bool cut;
};

static size_t lead_len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/* p is valid UTF-8: whole characters are copied while they fit, so a cut text stays valid */
static void text_put(struct text *o, const char *p, size_t n)
{
	while (n > 0 && !o->cut) {
		size_t k = lead_len((unsigned char)*p);

		if (k > n)
			k = n;
		if (o->len + k >= o->size) {
			o->cut = true;
			break;
		}
		memcpy(o->buf + o->len, p, k);
		o->len += k;
		p += k;
		n -= k;
	}
	o->buf[o->len] = '\0';
}

/* a decoded key as a message shows it: control characters, '"' and '\' escaped as in
 * JSON (so a terminal printing it gets no escape sequences), at most KEY_SHOWN bytes */
static void text_key(struct text *o, const char *k, size_t n)
{
	char buf[KEY_SHOWN + 1] = "", esc[8];
	struct text sub = { .buf = buf, .size = sizeof(buf) };
	size_t i = 0, m;

	while (i < n && !sub.cut) {
		unsigned char c = (unsigned char)k[i];

		if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			text_put(&sub, esc, 6);
		} else if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			text_put(&sub, esc, 2);
		} else {
			m = lead_len(c);
			text_put(&sub, k + i, m < n - i ? m : n - i);
			i += m;
			continue;
		}
		i++;
	}
	text_put(o, buf, sub.len);
	if (sub.cut)
		text_put(o, "...", 3);
}

/* the JSON path of the scan's position ("commands[2].options"); with member, the innermost
 * container's current element or key is part of it */
static void path(const struct scan *s, bool member, struct text *o)
{
	char idx[16];
	uint32_t i;

	for (i = 0; i < s->depth; i++) {
		const struct level *l = &s->stack[i];
		const struct key *k;

		if (i + 1 == s->depth && !member)
			break;
		if (!l->object) {
			snprintf(idx, sizeof(idx), "[%u]", l->count);
			text_put(o, idx, strlen(idx));
			continue;
		}
		if (l->count == 0)
			break;
		k = &s->keys[l->keys + l->count - 1];
		if (o->len > 0)
			text_put(o, ".", 1);
		text_key(o, key_bytes(s, k), k->len);
	}
}

/* JSON audiod refuses: bad_request, led by the JSON path */
__attribute__((format(printf, 4, 5)))
static int bad(struct scan *s, uint32_t at, bool member, const char *fmt, ...)
{
	char where[PATH_SHOWN + 4], what[160];
	struct text o = { .buf = where, .size = PATH_SHOWN };
	va_list ap;

	where[0] = '\0';
	path(s, member, &o);
	if (o.cut)
		memcpy(where + o.len, "...", 4);
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	s->at = at;
	s->err->code = ERR_BAD_REQUEST;
	snprintf(s->err->msg, sizeof(s->err->msg), "%s%s%s", where, where[0] ? ": " : "", what);
	return -1;
}

static int syntax(struct scan *s, uint32_t at, const char *what)
{
	s->at = at;
	s->err->code = ERR_PARSE;
	snprintf(s->err->msg, sizeof(s->err->msg), "%s", what);
	return -1;
}

static int oom(struct scan *s)
{
	s->at = s->pos;
	return err_set(s->err, ERR_INTERNAL, "out of memory");
}

/* --- bytes ----------------------------------------------------------------------------------- */

/* length of the well-formed UTF-8 sequence at t[0, n), 0 when there is none: no overlong
 * forms, no encoded surrogates, nothing above U+10FFFF, not cut short (Unicode table 3-7) */
static uint32_t utf8_len(const unsigned char *t, uint32_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	uint32_t need, i;

	if (t[0] < 0x80)
		return 1;
	if (t[0] < 0xc2 || t[0] > 0xf4)
		return 0;
	if (t[0] < 0xe0) {
		need = 2;
	} else if (t[0] < 0xf0) {
		need = 3;
		if (t[0] == 0xe0)
			lo = 0xa0;
		else if (t[0] == 0xed)
			hi = 0x9f;	/* ED A0..BF would be a surrogate */
	} else {
		need = 4;
		if (t[0] == 0xf0)
			lo = 0x90;
		else if (t[0] == 0xf4)
			hi = 0x8f;
	}
	for (i = 1; i < need; i++) {
		if (i >= n || t[i] < (i == 1 ? lo : 0x80) || t[i] > (i == 1 ? hi : 0xbf))
			return 0;
	}
	return need;
}

static bool is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* what may not directly follow a number or a literal */
static bool is_word(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c == '.' || c == '+' || c == '-';
}

/* the four hex digits of a \u escape, or -1 */
static int32_t hex4(const unsigned char *t, uint32_t n)
{
	int32_t v = 0;
	uint32_t i;

	if (n < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		unsigned char c = t[i];

		v <<= 4;
		if (is_digit(c))
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* a byte that does not fit the grammar: invalid UTF-8 and NUL are said as such */
static int unexpected(struct scan *s, const char *what)
{
	const unsigned char *c = s->t + s->pos;

	if (*c >= 0x80 && utf8_len(c, s->len - s->pos) == 0)
		return syntax(s, s->pos, "invalid UTF-8");
	if (*c == 0)
		return syntax(s, s->pos, "invalid JSON: a NUL byte");
	return syntax(s, s->pos, what);
}

/* --- keys ------------------------------------------------------------------------------------ */

static int arena_put(struct scan *s, const void *p, uint32_t n)
{
	if (s->arena_cap - s->arena_len < n) {
		uint32_t cap = s->arena_cap ? s->arena_cap : 256;
		char *a;

		/* never more than the text: a key's decoded bytes are at most its raw ones */
		while (cap - s->arena_len < n)
			cap = cap > UINT32_MAX / 2 ? UINT32_MAX : cap * 2;
		a = realloc(s->arena, cap);
		if (a == NULL)
			return oom(s);
		s->arena = a;
		s->arena_cap = cap;
	}
	memcpy(s->arena + s->arena_len, p, n);
	s->arena_len += n;
	return 0;
}

static int arena_code_point(struct scan *s, uint32_t cp)
{
	unsigned char b[4];
	uint32_t n;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | cp >> 6);
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | cp >> 18);
		b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return arena_put(s, b, n);
}

static int key_add(struct scan *s, uint32_t off, uint32_t at)
{
	if (s->n_keys == s->cap_keys) {
		uint32_t cap = s->cap_keys ? s->cap_keys * 2 : 32;
		struct key *k = realloc(s->keys, (size_t)cap * sizeof(*k));

		if (k == NULL)
			return oom(s);
		s->keys = k;
		s->cap_keys = cap;
	}
	s->keys[s->n_keys++] = (struct key){ .off = off, .len = s->arena_len - off, .at = at };
	return 0;
}

/* by length, bytes, then place in the text: equal keys end up side by side, the first
 * written first */
static int key_cmp(const struct scan *s, const struct key *a, const struct key *b)
{
	int r;

	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	r = memcmp(key_bytes(s, a), key_bytes(s, b), a->len);
	if (r != 0)
		return r;
	return a->at < b->at ? -1 : a->at > b->at;
}

static void key_sift(const struct scan *s, struct key *k, uint32_t root, uint32_t n)
{
	struct key tmp;
	uint32_t child;

	while ((child = 2 * root + 1) < n) {
		if (child + 1 < n && key_cmp(s, &k[child], &k[child + 1]) < 0)
			child++;
		if (key_cmp(s, &k[root], &k[child]) >= 0)
			return;
		tmp = k[root];
		k[root] = k[child];
		k[child] = tmp;
		root = child;
	}
}

/* heapsort: O(n log n) whatever the keys, no recursion, no allocation, and the arena as
 * context (qsort has none) */
static void key_sort(const struct scan *s, struct key *k, uint32_t n)
{
	struct key tmp;
	uint32_t i;

	for (i = n / 2; i-- > 0;)
		key_sift(s, k, i, n);
	for (i = n; i-- > 1;) {
		tmp = k[0];
		k[0] = k[i];
		k[i] = tmp;
		key_sift(s, k, 0, i);
	}
}

/* --- grammar --------------------------------------------------------------------------------- */

/* a \u escape at s->pos (a pair for characters above U+FFFF), resolved into the arena
 * when it is part of a key */
static int scan_unicode(struct scan *s, bool key)
{
	uint32_t esc = s->pos;
	int32_t cp = hex4(s->t + s->pos + 2, s->len - s->pos - 2), lo;
	const char *in = key ? " in a key" : "";

	if (cp < 0)
		return syntax(s, esc, "invalid JSON: \\u needs four hex digits");
	s->pos += 6;
	if (cp == 0)
		return bad(s, esc, !key, "embedded NUL%s", in);
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return bad(s, esc, !key, "unpaired surrogate \\u%04x%s", (unsigned)cp, in);
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (s->len - s->pos < 2 || s->t[s->pos] != '\\' || s->t[s->pos + 1] != 'u')
			return bad(s, esc, !key, "unpaired surrogate \\u%04x%s", (unsigned)cp, in);
		lo = hex4(s->t + s->pos + 2, s->len - s->pos - 2);
		if (lo < 0)
			return syntax(s, s->pos, "invalid JSON: \\u needs four hex digits");
		if (lo < 0xdc00 || lo > 0xdfff)
			return bad(s, esc, !key, "unpaired surrogate \\u%04x%s", (unsigned)cp, in);
		s->pos += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	return key ? arena_code_point(s, (uint32_t)cp) : 0;
}

static int scan_escape(struct scan *s, bool key)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit;

	if (s->len - s->pos < 2)
		return syntax(s, s->len, "invalid JSON: unexpected end inside a string");
	if (s->t[s->pos + 1] == 'u')
		return scan_unicode(s, key);
	if (s->t[s->pos + 1] == '\0' || (hit = strchr(from, s->t[s->pos + 1])) == NULL)
		return syntax(s, s->pos, "invalid JSON: unknown escape in a string");
	s->pos += 2;
	return key ? arena_put(s, &to[hit - from], 1) : 0;
}

/* a string at s->pos (its quote); a key is decoded into the arena and recorded */
static int scan_string(struct scan *s, bool key)
{
	uint32_t at = s->pos++, off = s->arena_len, run, n;

	for (;;) {
		/* plain ASCII in runs: the common case */
		run = s->pos;
		while (s->pos < s->len && s->t[s->pos] >= 0x20 && s->t[s->pos] < 0x80 &&
		       s->t[s->pos] != '"' && s->t[s->pos] != '\\')
			s->pos++;
		if (key && s->pos > run && arena_put(s, s->t + run, s->pos - run) < 0)
			return -1;
		if (s->pos == s->len)
			return syntax(s, s->len, "invalid JSON: unexpected end inside a string");
		if (s->t[s->pos] == '"')
			break;
		if (s->t[s->pos] == '\\') {
			if (scan_escape(s, key) < 0)
				return -1;
		} else if (s->t[s->pos] < 0x20) {
			return syntax(s, s->pos, s->t[s->pos] ? "invalid JSON: a control character "
				      "in a string" : "invalid JSON: a NUL byte");
		} else {
			n = utf8_len(s->t + s->pos, s->len - s->pos);
			if (n == 0)
				return syntax(s, s->pos, "invalid UTF-8");
			if (key && arena_put(s, s->t + s->pos, n) < 0)
				return -1;
			s->pos += n;
		}
	}
	s->pos++;
	return key ? key_add(s, off, at) : 0;
}

static uint32_t digits(struct scan *s)
{
	uint32_t start = s->pos;

	while (s->pos < s->len && is_digit(s->t[s->pos]))
		s->pos++;
	return s->pos - start;
}

static bool ends_word(const struct scan *s)
{
	return s->pos == s->len || !is_word(s->t[s->pos]);
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int scan_number(struct scan *s)
{
	uint32_t at = s->pos;

	if (s->t[s->pos] == '-')
		s->pos++;
	if (s->pos < s->len && s->t[s->pos] == '0')
		s->pos++;
	else if (s->pos == s->len || s->t[s->pos] < '1' || s->t[s->pos] > '9' || digits(s) == 0)
		return syntax(s, at, "invalid JSON: invalid number");
	if (s->pos < s->len && s->t[s->pos] == '.' && (s->pos++, digits(s) == 0))
		return syntax(s, at, "invalid JSON: invalid number");
	if (s->pos < s->len && (s->t[s->pos] == 'e' || s->t[s->pos] == 'E')) {
		s->pos++;
		if (s->pos < s->len && (s->t[s->pos] == '+' || s->t[s->pos] == '-'))
			s->pos++;
		if (digits(s) == 0)
			return syntax(s, at, "invalid JSON: invalid number");
	}
	if (!ends_word(s))
		return syntax(s, at, "invalid JSON: invalid number");
	return 0;
}

/* true, false, null, and the non-finite numbers json-c (and Python) write: they parse, and
 * the codec answers them with invalid_value where a number is expected */
static int scan_literal(struct scan *s)
{
	static const char *const words[] = { "true", "false", "null", "NaN", "Infinity",
					     "-Infinity" };
	size_t i, n;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		n = strlen(words[i]);
		if (s->len - s->pos >= n && memcmp(s->t + s->pos, words[i], n) == 0) {
			s->pos += (uint32_t)n;
			if (ends_word(s))
				return 0;
			s->pos -= (uint32_t)n;	/* "nullx": the fault is the word */
			break;
		}
	}
	return unexpected(s, "invalid JSON: expected a value");
}

static int push(struct scan *s, bool object)
{
	if (s->depth == JSONSTRICT_MAX_DEPTH)
		return bad(s, s->pos, true, "nested deeper than %d arrays and objects",
			   JSONSTRICT_MAX_DEPTH);
	s->stack[s->depth++] = (struct level){ .object = object, .keys = s->n_keys,
					       .arena = s->arena_len };
	s->pos++;
	return 0;
}

/* '}': the object's keys must differ; then they are dropped */
static int close_object(struct scan *s)
{
	struct level *l = &s->stack[s->depth - 1];
	uint32_t i, n = s->n_keys - l->keys, dup = n;
	/* no key read yet: the array may not even exist (no pointer arithmetic on NULL) */
	struct key *k = n ? s->keys + l->keys : NULL;
	char shown[KEY_SHOWN + 8];
	struct text o = { .buf = shown, .size = sizeof(shown) };

	if (n > 1)
		key_sort(s, k, n);
	/* of several duplicates, the one met first in the text */
	for (i = 1; i < n; i++)
		if (k[i].len == k[i - 1].len &&
		    memcmp(key_bytes(s, &k[i]), key_bytes(s, &k[i - 1]), k[i].len) == 0 &&
		    (dup == n || k[i].at < k[dup].at))
			dup = i;
	if (dup < n) {
		text_key(&o, key_bytes(s, &k[dup]), k[dup].len);
		/* the object's path: its own current key means nothing after the sort */
		return bad(s, k[dup].at, false, "duplicate key \"%s\"", shown);
	}
	s->arena_len = l->arena;
	s->n_keys = l->keys;
	s->depth--;
	s->pos++;
	return 0;
}

static int scan_value(struct scan *s, enum want *w)
{
	unsigned char c = s->t[s->pos];

	*w = W_AFTER;
	if (c == '{' || c == '[') {
		*w = c == '{' ? W_FIRST_KEY : W_FIRST_VALUE;
		return push(s, c == '{');
	}
	if (c == '"')
		return scan_string(s, false);
	if (c == '-' && (s->len - s->pos < 2 || s->t[s->pos + 1] != 'I'))
		return scan_number(s);
	if (is_digit(c))
		return scan_number(s);
	return scan_literal(s);
}

static int scan_after(struct scan *s, enum want *w)
{
	struct level *l = &s->stack[s->depth - 1];
	unsigned char c = s->t[s->pos];

	if (c == ',') {
		s->pos++;
		if (!l->object)
			l->count++;
		*w = l->object ? W_KEY : W_VALUE;
		return 0;
	}
	if (l->object && c == '}')
		return close_object(s);
	if (!l->object && c == ']') {
		s->depth--;
		s->pos++;
		return 0;
	}
	return unexpected(s, l->object ? "invalid JSON: expected ',' or '}'"
				       : "invalid JSON: expected ',' or ']'");
}

static int scan_text(struct scan *s)
{
	enum want w = W_VALUE;
	int r = 0;

	for (;;) {
		while (s->pos < s->len && is_ws(s->t[s->pos]))
			s->pos++;
		if (s->pos == s->len) {
			if (w == W_AFTER && s->depth == 0)
				return 0;
			return syntax(s, s->len, w == W_VALUE && s->depth == 0 ?
				      "invalid JSON: no value" : "invalid JSON: unexpected end");
		}
		switch (w) {
		case W_FIRST_KEY:
			if (s->t[s->pos] == '}') {
				r = close_object(s);
				w = W_AFTER;
				break;
			}
			/* fall through */
		case W_KEY:
			if (s->t[s->pos] != '"')
				return unexpected(s, w == W_KEY ? "invalid JSON: expected a key" :
						  "invalid JSON: expected a key or '}'");
			r = scan_string(s, true);
			s->stack[s->depth - 1].count++;
			w = W_COLON;
			break;
		case W_COLON:
			if (s->t[s->pos] != ':')
				return unexpected(s, "invalid JSON: expected ':'");
			s->pos++;
			w = W_VALUE;
			break;
		case W_FIRST_VALUE:
			if (s->t[s->pos] == ']') {
				s->depth--;
				s->pos++;
				w = W_AFTER;
				break;
			}
			/* fall through */
		case W_VALUE:
			r = scan_value(s, &w);
			break;
		case W_AFTER:
			if (s->depth == 0)
				return unexpected(s, "invalid JSON: text after the value");
			r = scan_after(s, &w);
			break;
		}
		if (r < 0)
			return -1;
	}
}

/* --- entry points ---------------------------------------------------------------------------- */

int jsonstrict_check(const char *text, size_t len, size_t *at, struct error *err)
{
	struct scan s = { .t = (const unsigned char *)text, .err = err };
	int r;

	*at = 0;
	/* json-c takes an int length; offsets here fit 32 bits */
	if (len >= INT_MAX)
		return err_set(err, ERR_TOO_LARGE, "the text is longer than %d bytes", INT_MAX - 1);
	s.len = (uint32_t)len;
	r = scan_text(&s);
	if (r < 0)
		*at = s.at;
	free(s.keys);
	free(s.arena);
	return r;
}

int jsonstrict_parse(const char *text, size_t len, struct json_object **out, size_t *at,
		     struct error *err)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error jerr;

	*out = NULL;
	if (jsonstrict_check(text, len, at, err) < 0)
		return -1;
	tok = json_tokener_new_ex(JSONSTRICT_MAX_DEPTH);
	if (tok == NULL)
		return err_set(err, ERR_INTERNAL, "out of memory");
	obj = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	/* a number or literal ending the text: json-c waits for the byte that ends it */
	if (jerr == json_tokener_continue) {
		obj = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
	}
	json_tokener_free(tok);
	if (jerr != json_tokener_success) {
		/* the scan accepted it: only memory can fail here */
		json_object_put(obj);
		*at = len;
		return err_set(err, ERR_INTERNAL, "json-c: %s", json_tokener_error_desc(jerr));
	}
	*out = obj;
	return 0;
}
