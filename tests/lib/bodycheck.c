/* locoirc: see LICENSE.
 *
 * Generic checks for the typed body codecs. Documents are rebuilt element
 * by element with libbson's own append functions, so these checks never
 * depend on the encoders they test except to produce the starting point.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bodycheck.h"
#include "loco-bson.h"
#include "tap.h"

/* What xform_doc does to the elements it copies. */
enum xform {
	X_I32,      /* integers that fit become int32 */
	X_I64,      /* integers become int64 */
	X_DOUBLE,   /* integers up to 2^53 become doubles */
	X_BAD_UTF8, /* strings get two invalid bytes appended */
	X_REPAIRED  /* strings get the two U+FFFD those become */
};

static bool in_list(const char *list, const char *key);
static void xform_doc(bson_iter_t *it, bson_t *dst, enum xform m,
    const char *verbatim);
static bson_t *xform(const bson_t *doc, enum xform m, const char *verbatim);
static bson_t *replace_i32(const bson_t *doc, const char *key, int32_t v);
static bson_t *replace_i64(const bson_t *doc, const char *key, int64_t v);
static bson_t *replace_double(const bson_t *doc, const char *key, double v);
static bson_t *replace_wrong(const bson_t *doc, const char *key,
    bson_type_t type);
static bool decode_ok_same(const struct bodycheck *c, const bson_t *in,
    const bson_t *want, const char *what);
static void expect_fail(const struct bodycheck *c, const bson_t *in,
    enum loco_error_code code, const char *key, const char *what);
static void status_check(const struct bodycheck *c, const bson_t *in,
    int32_t status);
static bool has_path(const bson_t *doc, const char *path);
static void keys_check(const struct bodycheck *c, const bson_t *doc);

/* True if key is one of the space-separated words of list. */
static bool
in_list(const char *list, const char *key)
{
	size_t n = strlen(key);
	const char *p = list;

	if (list == NULL)
		return false;
	while ((p = strstr(p, key)) != NULL) {
		if ((p == list || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

/* Copy the rest of it into dst, applying m at every depth. */
static void
xform_doc(bson_iter_t *it, bson_t *dst, enum xform m, const char *verbatim)
{
	while (bson_iter_next(it)) {
		const char *key = bson_iter_key(it);
		bson_type_t t = bson_iter_type(it);
		bool keep = in_list(verbatim, key);
		bson_iter_t child;
		bson_t sub;
		int64_t v;
		const char *s;
		uint32_t len;
		char *buf;

		if (keep &&
		    (t == BSON_TYPE_DOCUMENT || t == BSON_TYPE_ARRAY ||
		        t == BSON_TYPE_UTF8)) {
			bson_append_iter(dst, NULL, 0, it);
			continue;
		}
		switch (t) {
		case BSON_TYPE_DOCUMENT:
			bson_iter_recurse(it, &child);
			bson_append_document_begin(dst, key, -1, &sub);
			xform_doc(&child, &sub, m, verbatim);
			bson_append_document_end(dst, &sub);
			break;
		case BSON_TYPE_ARRAY:
			bson_iter_recurse(it, &child);
			bson_append_array_begin(dst, key, -1, &sub);
			xform_doc(&child, &sub, m, verbatim);
			bson_append_array_end(dst, &sub);
			break;
		case BSON_TYPE_INT32:
		case BSON_TYPE_INT64:
			v = t == BSON_TYPE_INT32 ? bson_iter_int32(it)
			                         : bson_iter_int64(it);
			if (m == X_I32 && v >= INT32_MIN && v <= INT32_MAX)
				bson_append_int32(dst, key, -1, (int32_t)v);
			else if (m == X_I64)
				bson_append_int64(dst, key, -1, v);
			else if (m == X_DOUBLE && v >= -(INT64_C(1) << 53) &&
			    v <= (INT64_C(1) << 53))
				bson_append_double(dst, key, -1, (double)v);
			else
				bson_append_iter(dst, NULL, 0, it);
			break;
		case BSON_TYPE_UTF8:
			if (m != X_BAD_UTF8 && m != X_REPAIRED) {
				bson_append_iter(dst, NULL, 0, it);
				break;
			}
			s = bson_iter_utf8(it, &len);
			buf = malloc(len + 7);
			memcpy(buf, s, len);
			if (m == X_BAD_UTF8) {
				memcpy(buf + len, "\xff\xc0", 2);
				len += 2;
			} else {
				memcpy(buf + len, "\xef\xbf\xbd\xef\xbf\xbd",
				    6);
				len += 6;
			}
			bson_append_utf8(dst, key, -1, buf, (int)len);
			free(buf);
			break;
		default:
			bson_append_iter(dst, NULL, 0, it);
			break;
		}
	}
}

/* A transformed copy of doc. */
static bson_t *
xform(const bson_t *doc, enum xform m, const char *verbatim)
{
	bson_t *out = bson_new();
	bson_iter_t it;

	bson_iter_init(&it, doc);
	xform_doc(&it, out, m, verbatim);
	return out;
}

bson_t *
bodycheck_without(const bson_t *doc, const char *key)
{
	bson_t *out = bson_new();

	bson_copy_to_excluding_noinit(doc, out, key, NULL);
	return out;
}

bson_t *
bodycheck_replace(const bson_t *doc, const char *key, const bson_t *repl)
{
	bson_t *out = bson_new();
	bson_iter_t it, r;

	bson_iter_init(&it, doc);
	while (bson_iter_next(&it)) {
		if (strcmp(bson_iter_key(&it), key) != 0) {
			bson_append_iter(out, NULL, 0, &it);
			continue;
		}
		bson_iter_init(&r, repl);
		if (bson_iter_next(&r))
			bson_append_iter(out, key, -1, &r);
	}
	return out;
}

bson_t *
bodycheck_hex_doc(const char *hex)
{
	size_t len;
	uint8_t *data = tap_hex(hex, &len);
	bson_t *doc = bson_new_from_data(data, len);

	if (doc == NULL) {
		fprintf(stderr, "# bad test vector: not a BSON document\n");
		abort();
	}
	free(data);
	return doc;
}

/* doc with key's value replaced by an int32. */
static bson_t *
replace_i32(const bson_t *doc, const char *key, int32_t v)
{
	bson_t r, *out;

	bson_init(&r);
	bson_append_int32(&r, "v", -1, v);
	out = bodycheck_replace(doc, key, &r);
	bson_destroy(&r);
	return out;
}

/* doc with key's value replaced by an int64. */
static bson_t *
replace_i64(const bson_t *doc, const char *key, int64_t v)
{
	bson_t r, *out;

	bson_init(&r);
	bson_append_int64(&r, "v", -1, v);
	out = bodycheck_replace(doc, key, &r);
	bson_destroy(&r);
	return out;
}

/* doc with key's value replaced by a double. */
static bson_t *
replace_double(const bson_t *doc, const char *key, double v)
{
	bson_t r, *out;

	bson_init(&r);
	bson_append_double(&r, "v", -1, v);
	out = bodycheck_replace(doc, key, &r);
	bson_destroy(&r);
	return out;
}

/* doc with key's value replaced by something no reader of type accepts:
 * a string for documents, an empty document for everything else. */
static bson_t *
replace_wrong(const bson_t *doc, const char *key, bson_type_t type)
{
	bson_t r, sub, *out;

	bson_init(&r);
	if (type == BSON_TYPE_DOCUMENT) {
		bson_append_utf8(&r, "v", -1, "x", -1);
	} else {
		bson_append_document_begin(&r, "v", -1, &sub);
		bson_append_document_end(&r, &sub);
	}
	out = bodycheck_replace(doc, key, &r);
	bson_destroy(&r);
	return out;
}

/* Decode in, re-encode, and compare with want byte for byte. */
static bool
decode_ok_same(const struct bodycheck *c, const bson_t *in, const bson_t *want,
    const char *what)
{
	struct loco_error err = {0};
	void *x = calloc(1, c->size);
	char label[80];
	bson_t out;
	bool pass;

	if (!ok(c->decode(in, x, &err) == 0, "%s: %s decodes", c->name, what)) {
		diag("error: %s", err.msg);
		free(x);
		return false;
	}
	bson_init(&out);
	c->encode(x, &out);
	/* reads "<codec> re-encoded == <what>" in the TAP output */
	snprintf(label, sizeof label, "%s re-encoded", c->name);
	pass = tap_is_mem(bson_get_data(&out), out.len, bson_get_data(want),
	    want->len, label, what, __FILE__, __LINE__);
	bson_destroy(&out);
	c->release(x);
	free(x);
	return pass;
}

/* Decode in and expect failure with code and a message naming key. */
static void
expect_fail(const struct bodycheck *c, const bson_t *in,
    enum loco_error_code code, const char *key, const char *what)
{
	struct loco_error err = {0};
	void *x = calloc(1, c->size);
	char quoted[64];
	int r = c->decode(in, x, &err);

	(void)snprintf(quoted, sizeof quoted, "'%s'", key);
	if (!ok(r == -1 && err.code == code && strstr(err.msg, quoted) != NULL,
	        "%s: %s '%s' fails with %s", c->name, what, key,
	        loco_error_code_name(code))) {
		diag("got %d, %s: %s", r, loco_error_code_name(err.code),
		    err.msg);
		if (r == 0)
			c->release(x);
	}
	free(x);
}

/* True if the '/'-separated path names an element of doc. */
static bool
has_path(const bson_t *doc, const char *path)
{
	char *copy = strdup(path), *part, *save = NULL;
	bson_iter_t it, child;
	bool found = false;

	if (!bson_iter_init(&it, doc))
		goto out;
	for (part = strtok_r(copy, "/", &save); part != NULL;
	     part = strtok_r(NULL, "/", &save)) {
		if (!bson_iter_find(&it, part))
			goto out;
		if (save != NULL && *save != '\0') {
			if (!BSON_ITER_HOLDS_DOCUMENT(&it) &&
			    !BSON_ITER_HOLDS_ARRAY(&it))
				goto out;
			bson_iter_recurse(&it, &child);
			it = child;
		}
	}
	found = true;
out:
	free(copy);
	return found;
}

/* The top-level keys of doc must be c->keys' plain words, in order, and
 * every path word must exist. */
static void
keys_check(const struct bodycheck *c, const bson_t *doc)
{
	char *copy = strdup(c->keys), *word, *save = NULL;
	char got[1024] = "", want[1024] = "";
	bson_iter_t it;

	bson_iter_init(&it, doc);
	while (bson_iter_next(&it)) {
		if (got[0] != '\0')
			strncat(got, " ", sizeof got - strlen(got) - 1);
		strncat(got, bson_iter_key(&it), sizeof got - strlen(got) - 1);
	}
	for (word = strtok_r(copy, " ", &save); word != NULL;
	     word = strtok_r(NULL, " ", &save)) {
		if (strchr(word, '/') != NULL) {
			ok(has_path(doc, word), "%s: encodes %s", c->name,
			    word);
			continue;
		}
		if (want[0] != '\0')
			strncat(want, " ", sizeof want - strlen(want) - 1);
		strncat(want, word, sizeof want - strlen(want) - 1);
	}
	ok(strcmp(got, want) == 0, "%s: writes keys in order", c->name);
	if (strcmp(got, want) != 0)
		diag("got  '%s'\n# want '%s'", got, want);
	free(copy);
}

/* Decode a response with a non-zero status: it must succeed and keep it. */
static void
status_check(const struct bodycheck *c, const bson_t *in, int32_t status)
{
	struct loco_error err = {0};
	void *x = calloc(1, c->size);
	bson_iter_t it;
	bson_t out;

	if (!ok(c->decode(in, x, &err) == 0, "%s: status %d decodes", c->name,
	        status)) {
		diag("error: %s", err.msg);
		free(x);
		return;
	}
	bson_init(&out);
	c->encode(x, &out);
	ok(bson_iter_init_find(&it, &out, "status") &&
	        BSON_ITER_HOLDS_INT32(&it) && bson_iter_int32(&it) == status,
	    "%s: status %d kept", c->name, status);
	bson_destroy(&out);
	c->release(x);
	free(x);
}

void
bodycheck_run(const struct bodycheck *c)
{
	struct loco_error err = {0};
	void *x = calloc(1, c->size);
	void *y = calloc(1, c->size);
	void *zero = calloc(1, c->size);
	bson_t full, *d, *bad, *fixed;
	bson_iter_t it;

	/* Round trip with every field set. */
	c->fill(x);
	bson_init(&full);
	c->encode(x, &full);
	keys_check(c, &full);
	decode_ok_same(c, &full, &full, "full body");

	/* Releasing a zeroed struct is harmless and leaves it zeroed. */
	c->release(y);
	ok(memcmp(y, zero, c->size) == 0, "%s: release of a zeroed struct",
	    c->name);

	/* Every key missing and every key of the wrong type, in turn. */
	bson_iter_init(&it, &full);
	while (bson_iter_next(&it)) {
		const char *key = bson_iter_key(&it);
		bson_type_t t = bson_iter_type(&it);

		d = bodycheck_without(&full, key);
		if (in_list(c->required, key)) {
			expect_fail(c, d, LOCO_ERR_MISSING, key, "without");
		} else {
			if (ok(c->decode(d, y, &err) == 0,
			        "%s: optional '%s' may be absent", c->name,
			        key))
				c->release(y);
			else
				diag("error: %s", err.msg);
		}
		bson_destroy(d);

		if (in_list(c->lenient, key))
			continue;
		d = replace_wrong(&full, key, t);
		expect_fail(c, d, LOCO_ERR_TYPE, key, "mistyped");
		bson_destroy(d);
		if (t != BSON_TYPE_INT32 && t != BSON_TYPE_INT64)
			continue;
		d = replace_double(&full, key, 0.5);
		expect_fail(c, d, LOCO_ERR_TYPE, key, "fraction in");
		bson_destroy(d);
		d = replace_double(&full, key, 1e300);
		expect_fail(c, d, LOCO_ERR_TYPE, key, "huge double in");
		bson_destroy(d);
		d = replace_double(&full, key, 9223372036854775808.0);
		expect_fail(c, d, LOCO_ERR_TYPE, key, "2^63 in");
		bson_destroy(d);
		if (t == BSON_TYPE_INT32) {
			d = replace_i64(&full, key, INT64_C(1) << 40);
			expect_fail(c, d, LOCO_ERR_TYPE, key, "2^40 in int32");
			bson_destroy(d);
		}
	}

	/* Integers as int32, int64 and double all read the same. */
	d = xform(&full, X_I32, c->verbatim);
	decode_ok_same(c, d, &full, "integers as int32");
	bson_destroy(d);
	d = xform(&full, X_I64, c->verbatim);
	decode_ok_same(c, d, &full, "integers as int64");
	bson_destroy(d);
	d = xform(&full, X_DOUBLE, c->verbatim);
	decode_ok_same(c, d, &full, "integers as double");
	bson_destroy(d);

	/* Invalid UTF-8 anywhere is repaired to U+FFFD. */
	bad = xform(&full, X_BAD_UTF8, c->verbatim);
	fixed = xform(&full, X_REPAIRED, c->verbatim);
	decode_ok_same(c, bad, fixed, "invalid UTF-8");
	bson_destroy(bad);
	bson_destroy(fixed);

	/* An error status ends decoding: nothing else is looked at. */
	if (c->response) {
		d = replace_i32(&full, "status", -300);
		status_check(c, d, -300);
		bson_destroy(d);
		d = bson_new();
		bson_append_int64(d, "status", -1, -950);
		status_check(c, d, -950);
		bson_destroy(d);
	}

	bson_destroy(&full);
	c->release(x);
	free(x);
	free(y);
	free(zero);
}

/* Copy src into dst (uninitialised) with key changed as v says. */
void
bodycheck_replace_key(const bson_t *src, const char *key,
    enum bodycheck_variant v, bson_t *dst)
{
	bson_iter_t it;
	int64_t n = 0;
	bson_t empty;

	bson_init(dst);
	bson_iter_init(&it, src);
	while (bson_iter_next(&it)) {
		if (strcmp(bson_iter_key(&it), key) != 0) {
			bson_append_iter(dst, NULL, 0, &it);
			continue;
		}
		loco_bson_iter_i64(&it, &n);
		switch (v) {
		case V_DROP:
			break;
		case V_STRING:
			bson_append_utf8(dst, key, -1, "x", -1);
			break;
		case V_DOC:
			bson_init(&empty);
			bson_append_document(dst, key, -1, &empty);
			bson_destroy(&empty);
			break;
		case V_INT32:
			bson_append_int32(dst, key, -1, (int32_t)n);
			break;
		case V_INT64:
			bson_append_int64(dst, key, -1, n);
			break;
		case V_DOUBLE:
			bson_append_double(dst, key, -1, (double)n);
			break;
		case V_FRACTION:
			bson_append_double(dst, key, -1, 1.5);
			break;
		case V_HUGE:
			bson_append_double(dst, key, -1, 1e19);
			break;
		case V_WIDE:
			bson_append_int64(dst, key, -1, INT64_C(1) << 40);
			break;
		case V_BAD_UTF8:
			bson_append_utf8(dst, key, -1,
			    "a\xff"
			    "b",
			    3);
			break;
		}
	}
}
