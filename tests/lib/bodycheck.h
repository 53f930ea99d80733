/* locoirc: see LICENSE.
 *
 * Generic checks for the typed LOCO body codecs (decode/encode/release
 * through void pointers): round trip, every key missing and mistyped in
 * turn, ids as int32/int64/double, bad doubles, UTF-8 repair at any depth
 * and the status-only error response. The known-answer vectors stay in
 * each test; these checks catch what a hand-picked vector would miss.
 */
#ifndef LOCOIRC_TESTS_BODYCHECK_H
#define LOCOIRC_TESTS_BODYCHECK_H

#include <stdbool.h>
#include <stddef.h>

#include <bson/bson.h>

#include "loco-error.h"

typedef int (
    *bodycheck_decode_cb)(const bson_t *doc, void *out, struct loco_error *err);
typedef void (*bodycheck_encode_cb)(const void *in, bson_t *out);
typedef void (*bodycheck_release_cb)(void *x);
/* Set every field to a distinct non-default value (status stays 0). */
typedef void (*bodycheck_fill_cb)(void *x);

/* One codec under test. The key lists are space-separated and name
 * top-level keys, except verbatim, which applies at any depth, and the
 * paths in keys. */
struct bodycheck {
	const char *name;
	size_t size; /* sizeof the struct */
	bodycheck_decode_cb decode;
	bodycheck_encode_cb encode;
	bodycheck_release_cb release;
	bodycheck_fill_cb fill;
	/* The filled struct's encoding: its top-level keys exactly, in order,
	 * plus "a/b" paths that must exist inside sub-documents. */
	const char *keys;
	const char *required; /* missing: LOCO_ERR_MISSING */
	const char *lenient;  /* a wrong type is ignored, not an error */
	const char *verbatim; /* strings not kept as text (enums, opaque) */
	bool response;        /* has "status"; non-zero ends decoding */
};

/* Run every generic check on c, reporting through the TAP library. */
void bodycheck_run(const struct bodycheck *c);

/* A malloc'd-then-owned copy of doc without key. */
bson_t *bodycheck_without(const bson_t *doc, const char *key);

/*
 * A copy of doc with key's value replaced by the single element held in
 * the document repl (its key is ignored); other elements keep their order.
 */
bson_t *bodycheck_replace(const bson_t *doc, const char *key,
    const bson_t *repl);

/* Build a document from hex (whitespace ignored); aborts on a bad
 * document, which is a test bug. Free with bson_destroy. */
bson_t *bodycheck_hex_doc(const char *hex);

/* How bodycheck_replace_key changes one key of a document. */
enum bodycheck_variant {
	V_DROP,     /* remove the key */
	V_STRING,   /* a string "x" */
	V_DOC,      /* an empty document */
	V_INT32,    /* int32 of the value */
	V_INT64,    /* int64 of the value */
	V_DOUBLE,   /* double of the value */
	V_FRACTION, /* 1.5 */
	V_HUGE,     /* 1e19, outside int64 */
	V_WIDE,     /* int64 2^40, outside int32 */
	V_BAD_UTF8, /* a string with invalid UTF-8 */
};

/* Copy src into dst (uninitialised; the caller destroys it) with key
 * changed as v says; other keys keep their order. */
void bodycheck_replace_key(const bson_t *src, const char *key,
    enum bodycheck_variant v, bson_t *dst);

#endif
