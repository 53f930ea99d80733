/* locoirc: see LICENSE.
 *
 * Liberal BSON reading for LOCO bodies. Peers disagree on integer widths
 * and nobody promises valid UTF-8, so every reader here accepts what the
 * real servers and clients send and repairs what would hurt us later.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "loco-bson.h"
#include "xmalloc.h"

static int32_t rd32(const uint8_t *p);
static int check_string(const uint8_t *data, size_t *p, size_t end);
static int check_cstring(const uint8_t *data, size_t *p, size_t end);
static int iter_find(const bson_t *doc, const char *key, bson_iter_t *it);
static int need_result(int r, const char *what, const char *key,
    const char *type, struct loco_error *err);
static int opt_result(int r, const char *what, const char *key,
    const char *type, struct loco_error *err);
static size_t utf8_seq(const unsigned char *s, size_t left);

static int32_t
rd32(const uint8_t *p)
{
	return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 |
	    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

/* A length-prefixed string: int32 length >= 1, bytes, final NUL. */
static int
check_string(const uint8_t *data, size_t *p, size_t end)
{
	int32_t n;

	if (end - *p < 4)
		return -1;
	n = rd32(data + *p);
	if (n < 1 || (size_t)n > end - *p - 4)
		return -1;
	if (data[*p + 4 + (size_t)n - 1] != '\0')
		return -1;
	*p += 4 + (size_t)n;
	return 0;
}

static int
check_cstring(const uint8_t *data, size_t *p, size_t end)
{
	const uint8_t *nul = memchr(data + *p, '\0', end - *p);

	if (nul == NULL)
		return -1;
	*p = (size_t)(nul - data) + 1;
	return 0;
}

int
loco_bson_check(const uint8_t *data, size_t len, struct loco_error *err)
{
	size_t ends[LOCO_BSON_MAX_DEPTH + 1];
	int depth = 0;
	size_t p, fixed;
	int32_t n;

	if (len < 5 || len > INT32_MAX || (size_t)rd32(data) != len ||
	    data[len - 1] != '\0') {
		loco_error_set(err, LOCO_ERR_MALFORMED,
		    "document length prefix does not match %zu bytes", len);
		return -1;
	}
	ends[0] = len;
	p = 4;
	for (;;) {
		size_t end = ends[depth];
		uint8_t type;

		if (p >= end)
			goto bad;
		type = data[p++];
		if (type == 0x00) {
			if (p != end)
				goto bad;
			if (depth == 0)
				return 0;
			depth--;
			continue;
		}
		if (check_cstring(data, &p, end - 1) != 0)
			goto bad;
		fixed = 0;
		switch (type) {
		case 0x01: /* double */
		case 0x09: /* UTC datetime */
		case 0x11: /* timestamp */
		case 0x12: /* int64 */
			fixed = 8;
			break;
		case 0x10: /* int32 */
			fixed = 4;
			break;
		case 0x07: /* ObjectId */
			fixed = 12;
			break;
		case 0x13: /* decimal128 */
			fixed = 16;
			break;
		case 0x08: /* bool */
			if (p >= end || data[p] > 1)
				goto bad;
			fixed = 1;
			break;
		case 0x06: /* undefined */
		case 0x0a: /* null */
		case 0x7f: /* max key */
		case 0xff: /* min key */
			break;
		case 0x02: /* string */
		case 0x0d: /* JavaScript code */
		case 0x0e: /* symbol */
			if (check_string(data, &p, end - 1) != 0)
				goto bad;
			break;
		case 0x0c: /* DBPointer */
			if (check_string(data, &p, end - 1) != 0)
				goto bad;
			fixed = 12;
			break;
		case 0x0b: /* regex */
			if (check_cstring(data, &p, end - 1) != 0 ||
			    check_cstring(data, &p, end - 1) != 0)
				goto bad;
			break;
		case 0x05: /* binary */
			if (end - 1 - p < 5)
				goto bad;
			n = rd32(data + p);
			if (n < 0 || (size_t)n > end - 1 - p - 5)
				goto bad;
			p += 5 + (size_t)n;
			break;
		case 0x03: /* document */
		case 0x04: /* array */
			if (end - 1 - p < 5)
				goto bad;
			n = rd32(data + p);
			if (n < 5 || (size_t)n > end - 1 - p ||
			    data[p + (size_t)n - 1] != '\0')
				goto bad;
			if (depth == LOCO_BSON_MAX_DEPTH) {
				loco_error_set(err, LOCO_ERR_MALFORMED,
				    "BSON nested deeper than %d",
				    LOCO_BSON_MAX_DEPTH);
				return -1;
			}
			ends[++depth] = p + (size_t)n;
			p += 4;
			break;
		default: /* 0x0f code with scope, and anything unknown */
			loco_error_set(err, LOCO_ERR_MALFORMED,
			    "unsupported BSON element type 0x%02x at offset "
			    "%zu",
			    type, p);
			return -1;
		}
		if (fixed > 0) {
			if (end - 1 - p < fixed)
				goto bad;
			p += fixed;
		}
	}
bad:
	loco_error_set(err, LOCO_ERR_MALFORMED,
	    "truncated or corrupt BSON near offset %zu", p);
	return -1;
}

static int
iter_find(const bson_t *doc, const char *key, bson_iter_t *it)
{
	if (!bson_iter_init_find(it, doc, key))
		return 0;
	if (BSON_ITER_HOLDS_NULL(it) || BSON_ITER_HOLDS_UNDEFINED(it))
		return 0;
	return 1;
}

int
loco_bson_iter_i64(const bson_iter_t *it, int64_t *out)
{
	double d;

	switch (bson_iter_type(it)) {
	case BSON_TYPE_INT32:
		*out = bson_iter_int32(it);
		return 1;
	case BSON_TYPE_INT64:
		*out = bson_iter_int64(it);
		return 1;
	case BSON_TYPE_DOUBLE:
		d = bson_iter_double(it);
		/* 2^63 itself is out of range; -2^63 is representable. */
		if (!isfinite(d) || d != floor(d) ||
		    d < -9223372036854775808.0 || d >= 9223372036854775808.0)
			return -1;
		*out = (int64_t)d;
		return 1;
	default:
		return -1;
	}
}

int
loco_bson_get_i64(const bson_t *doc, const char *key, int64_t *out)
{
	bson_iter_t it;

	if (!iter_find(doc, key, &it))
		return 0;
	return loco_bson_iter_i64(&it, out);
}

int
loco_bson_get_i32(const bson_t *doc, const char *key, int32_t *out)
{
	int64_t v;
	int r = loco_bson_get_i64(doc, key, &v);

	if (r != 1)
		return r;
	if (v < INT32_MIN || v > INT32_MAX)
		return -1;
	*out = (int32_t)v;
	return 1;
}

int
loco_bson_get_bool(const bson_t *doc, const char *key, bool *out)
{
	bson_iter_t it;
	int64_t v;

	if (!iter_find(doc, key, &it))
		return 0;
	if (BSON_ITER_HOLDS_BOOL(&it)) {
		*out = bson_iter_bool(&it);
		return 1;
	}
	if (loco_bson_iter_i64(&it, &v) == 1) {
		*out = v != 0;
		return 1;
	}
	return -1;
}

int
loco_bson_get_str(const bson_t *doc, const char *key, char **out)
{
	bson_iter_t it;
	const char *s;
	uint32_t len;

	if (!iter_find(doc, key, &it))
		return 0;
	if (!BSON_ITER_HOLDS_UTF8(&it))
		return -1;
	s = bson_iter_utf8(&it, &len);
	*out = loco_utf8_repair(s, len);
	return 1;
}

int
loco_bson_get_doc(const bson_t *doc, const char *key, bson_t *out)
{
	bson_iter_t it;
	const uint8_t *data;
	uint32_t len;

	if (!iter_find(doc, key, &it))
		return 0;
	if (!BSON_ITER_HOLDS_DOCUMENT(&it))
		return -1;
	bson_iter_document(&it, &len, &data);
	return bson_init_static(out, data, len) ? 1 : -1;
}

int
loco_bson_get_array(const bson_t *doc, const char *key, bson_t *out)
{
	bson_iter_t it;
	const uint8_t *data;
	uint32_t len;

	if (!iter_find(doc, key, &it))
		return 0;
	if (!BSON_ITER_HOLDS_ARRAY(&it))
		return -1;
	bson_iter_array(&it, &len, &data);
	return bson_init_static(out, data, len) ? 1 : -1;
}

int
loco_bson_get_bin(const bson_t *doc, const char *key, const uint8_t **data,
    uint32_t *len)
{
	bson_iter_t it;
	bson_subtype_t sub;

	if (!iter_find(doc, key, &it))
		return 0;
	if (!BSON_ITER_HOLDS_BINARY(&it))
		return -1;
	bson_iter_binary(&it, &sub, len, data);
	return 1;
}

int
loco_bson_get_i64_array(const bson_t *doc, const char *key, int64_t **out,
    size_t *n)
{
	bson_t arr;
	bson_iter_t it;
	int64_t *v = NULL;
	size_t cnt = 0, cap = 0;
	int r;

	if ((r = loco_bson_get_array(doc, key, &arr)) != 1)
		return r;
	if (!bson_iter_init(&it, &arr))
		return -1;
	while (bson_iter_next(&it)) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 8;
			v = xreallocarray(v, cap, sizeof *v);
		}
		if (loco_bson_iter_i64(&it, &v[cnt]) != 1) {
			free(v);
			return -1;
		}
		cnt++;
	}
	*out = v;
	*n = cnt;
	return 1;
}

int
loco_bson_get_str_array(const bson_t *doc, const char *key, char ***out,
    size_t *n)
{
	bson_t arr;
	bson_iter_t it;
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	int r;

	if ((r = loco_bson_get_array(doc, key, &arr)) != 1)
		return r;
	if (!bson_iter_init(&it, &arr))
		return -1;
	while (bson_iter_next(&it)) {
		const char *s;
		uint32_t len;

		if (!BSON_ITER_HOLDS_UTF8(&it)) {
			loco_strv_free(v, cnt);
			return -1;
		}
		if (cnt == cap) {
			cap = cap ? cap * 2 : 8;
			v = xreallocarray(v, cap, sizeof *v);
		}
		s = bson_iter_utf8(&it, &len);
		v[cnt++] = loco_utf8_repair(s, len);
	}
	*out = v;
	*n = cnt;
	return 1;
}

static int
need_result(int r, const char *what, const char *key, const char *type,
    struct loco_error *err)
{
	if (r == 1)
		return 0;
	if (r == 0)
		loco_error_set(err, LOCO_ERR_MISSING, "%s: missing '%s'", what,
		    key);
	else
		loco_error_set(err, LOCO_ERR_TYPE, "%s: '%s' is not %s", what,
		    key, type);
	return -1;
}

static int
opt_result(int r, const char *what, const char *key, const char *type,
    struct loco_error *err)
{
	if (r >= 0)
		return 0;
	loco_error_set(err, LOCO_ERR_TYPE, "%s: '%s' is not %s", what, key,
	    type);
	return -1;
}

int
loco_bson_need_i64(const bson_t *doc, const char *what, const char *key,
    int64_t *out, struct loco_error *err)
{
	return need_result(loco_bson_get_i64(doc, key, out), what, key,
	    "an integer", err);
}

int
loco_bson_need_i32(const bson_t *doc, const char *what, const char *key,
    int32_t *out, struct loco_error *err)
{
	return need_result(loco_bson_get_i32(doc, key, out), what, key,
	    "a 32-bit integer", err);
}

int
loco_bson_need_str(const bson_t *doc, const char *what, const char *key,
    char **out, struct loco_error *err)
{
	return need_result(loco_bson_get_str(doc, key, out), what, key,
	    "a string", err);
}

int
loco_bson_need_doc(const bson_t *doc, const char *what, const char *key,
    bson_t *out, struct loco_error *err)
{
	return need_result(loco_bson_get_doc(doc, key, out), what, key,
	    "a document", err);
}

int
loco_bson_opt_i64(const bson_t *doc, const char *what, const char *key,
    int64_t *out, struct loco_error *err)
{
	return opt_result(loco_bson_get_i64(doc, key, out), what, key,
	    "an integer", err);
}

int
loco_bson_opt_i32(const bson_t *doc, const char *what, const char *key,
    int32_t *out, struct loco_error *err)
{
	return opt_result(loco_bson_get_i32(doc, key, out), what, key,
	    "a 32-bit integer", err);
}

int
loco_bson_opt_bool(const bson_t *doc, const char *what, const char *key,
    bool *out, struct loco_error *err)
{
	return opt_result(loco_bson_get_bool(doc, key, out), what, key,
	    "a boolean", err);
}

int
loco_bson_opt_str(const bson_t *doc, const char *what, const char *key,
    char **out, struct loco_error *err)
{
	char *s = NULL;
	int r = loco_bson_get_str(doc, key, &s);

	if (r == 1) {
		free(*out);
		*out = s;
	}
	return opt_result(r, what, key, "a string", err);
}

int
loco_bson_opt_i64_array(const bson_t *doc, const char *what, const char *key,
    int64_t **out, size_t *n, struct loco_error *err)
{
	return opt_result(loco_bson_get_i64_array(doc, key, out, n), what, key,
	    "an array of integers", err);
}

int
loco_bson_opt_str_array(const bson_t *doc, const char *what, const char *key,
    char ***out, size_t *n, struct loco_error *err)
{
	return opt_result(loco_bson_get_str_array(doc, key, out, n), what, key,
	    "an array of strings", err);
}

int
loco_bson_lax_i32(const bson_t *doc, const char *key, int32_t *out)
{
	int32_t v;

	if (loco_bson_get_i32(doc, key, &v) == 1)
		*out = v;
	return 0;
}

int
loco_bson_lax_i64(const bson_t *doc, const char *key, int64_t *out)
{
	int64_t v;

	if (loco_bson_get_i64(doc, key, &v) == 1)
		*out = v;
	return 0;
}

void
loco_bson_append_i64_array(bson_t *doc, const char *key, const int64_t *v,
    size_t n)
{
	bson_t arr;
	char idx[16];
	const char *k;
	size_t i;

	bson_append_array_begin(doc, key, -1, &arr);
	for (i = 0; i < n; i++) {
		bson_uint32_to_string((uint32_t)i, &k, idx, sizeof idx);
		bson_append_int64(&arr, k, -1, v[i]);
	}
	bson_append_array_end(doc, &arr);
}

void
loco_bson_append_i32_array(bson_t *doc, const char *key, const int32_t *v,
    size_t n)
{
	bson_t arr;
	char idx[16];
	const char *k;
	size_t i;

	bson_append_array_begin(doc, key, -1, &arr);
	for (i = 0; i < n; i++) {
		bson_uint32_to_string((uint32_t)i, &k, idx, sizeof idx);
		bson_append_int32(&arr, k, -1, v[i]);
	}
	bson_append_array_end(doc, &arr);
}

void
loco_bson_append_str_array(bson_t *doc, const char *key, const char *const *v,
    size_t n)
{
	bson_t arr;
	char idx[16];
	const char *k;
	size_t i;

	bson_append_array_begin(doc, key, -1, &arr);
	for (i = 0; i < n; i++) {
		bson_uint32_to_string((uint32_t)i, &k, idx, sizeof idx);
		bson_append_utf8(&arr, k, -1, v[i] ? v[i] : "", -1);
	}
	bson_append_array_end(doc, &arr);
}

void
loco_bson_append_str(bson_t *doc, const char *key, const char *s)
{
	bson_append_utf8(doc, key, -1, s ? s : "", -1);
}

/* Length of the valid UTF-8 sequence at s (at most left bytes), or 0. */
static size_t
utf8_seq(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	size_t n, i;
	uint32_t cp;

	if (c >= 0x01 && c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else
		return 0;
	if (left < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

char *
loco_utf8_repair(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	char *out;
	size_t i = 0, o = 0;

	/* Worst case: every byte becomes the 3-byte U+FFFD. */
	out = xmalloc(len * 3 + 1);
	while (i < len) {
		size_t n = utf8_seq(u + i, len - i);

		if (n == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(out + o, u + i, n);
			o += n;
			i += n;
		}
	}
	out[o] = '\0';
	return out;
}

void
loco_strv_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
