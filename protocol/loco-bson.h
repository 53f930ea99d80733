/* locoirc: see LICENSE.
 *
 * Helpers shared by the typed body codecs: a bounded structural check of
 * raw BSON, liberal readers (ids arrive as int32, int64 or double; strings
 * may hold invalid UTF-8) and writers that always emit ids as int64.
 */
#ifndef LOCOIRC_PROTOCOL_LOCO_BSON_H
#define LOCOIRC_PROTOCOL_LOCO_BSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bson/bson.h>

#include "loco-error.h"

/* Deepest nesting of documents/arrays we accept from a peer. */
#define LOCO_BSON_MAX_DEPTH 32

/*
 * Walk len bytes of raw BSON without recursion: every element's type and
 * size, every nested document's terminator, nesting at most
 * LOCO_BSON_MAX_DEPTH. Types LOCO never uses and that libbson would recurse
 * into (code with scope) are refused. Returns 0 or -1 (LOCO_ERR_MALFORMED).
 */
int loco_bson_check(const uint8_t *data, size_t len, struct loco_error *err);

/*
 * Read an integer element: int32, int64, or a double holding an integral
 * value in int64 range. Returns 1 and sets *out, or -1 for any other type.
 */
int loco_bson_iter_i64(const bson_iter_t *it, int64_t *out);

/*
 * Readers for doc[key]. Each returns 1 (found, *out set), 0 (absent or BSON
 * null; *out untouched) or -1 (present with a type we cannot read).
 * get_i32 also fails when the value does not fit in int32. get_bool accepts
 * bool and integers (non-zero is true).
 */
int loco_bson_get_i64(const bson_t *doc, const char *key, int64_t *out);
int loco_bson_get_i32(const bson_t *doc, const char *key, int32_t *out);
int loco_bson_get_bool(const bson_t *doc, const char *key, bool *out);
/* *out is a malloc'd copy, repaired by loco_utf8_repair; the caller frees. */
int loco_bson_get_str(const bson_t *doc, const char *key, char **out);
/* *out is a read-only view into doc (bson_init_static); no destroy needed. */
int loco_bson_get_doc(const bson_t *doc, const char *key, bson_t *out);
int loco_bson_get_array(const bson_t *doc, const char *key, bson_t *out);
/* Binary of any subtype: *data points into doc. */
int loco_bson_get_bin(const bson_t *doc, const char *key, const uint8_t **data,
    uint32_t *len);
/* *out is a malloc'd array (NULL when empty); every element must read as
 * an integer or the call fails with -1. */
int loco_bson_get_i64_array(const bson_t *doc, const char *key, int64_t **out,
    size_t *n);
/* *out is a malloc'd array of malloc'd repaired strings; free with
 * loco_strv_free. Non-string elements fail the call. */
int loco_bson_get_str_array(const bson_t *doc, const char *key, char ***out,
    size_t *n);

/*
 * Required-field forms: 0 on success, -1 with LOCO_ERR_MISSING or
 * LOCO_ERR_TYPE and a message that names what (e.g. "MSG") and the key.
 */
int loco_bson_need_i64(const bson_t *doc, const char *what, const char *key,
    int64_t *out, struct loco_error *err);
int loco_bson_need_i32(const bson_t *doc, const char *what, const char *key,
    int32_t *out, struct loco_error *err);
int loco_bson_need_str(const bson_t *doc, const char *what, const char *key,
    char **out, struct loco_error *err);
int loco_bson_need_doc(const bson_t *doc, const char *what, const char *key,
    bson_t *out, struct loco_error *err);

/*
 * Optional-field forms: absent leaves *out as it was (the caller's
 * default) and returns 0; a wrong type returns -1 with LOCO_ERR_TYPE.
 */
int loco_bson_opt_i64(const bson_t *doc, const char *what, const char *key,
    int64_t *out, struct loco_error *err);
int loco_bson_opt_i32(const bson_t *doc, const char *what, const char *key,
    int32_t *out, struct loco_error *err);
int loco_bson_opt_bool(const bson_t *doc, const char *what, const char *key,
    bool *out, struct loco_error *err);
/* *out must be NULL or malloc'd on entry; it is replaced when present. */
int loco_bson_opt_str(const bson_t *doc, const char *what, const char *key,
    char **out, struct loco_error *err);
int loco_bson_opt_i64_array(const bson_t *doc, const char *what,
    const char *key, int64_t **out, size_t *n, struct loco_error *err);
int loco_bson_opt_str_array(const bson_t *doc, const char *what,
    const char *key, char ***out, size_t *n, struct loco_error *err);

/*
 * Keys whose meaning nobody knows (LOCO.md marks them "unknown"): read the
 * value when it is an integer, ignore it otherwise. A peer changing the type
 * of a key we never act on must not make the whole body undecodable.
 * Always return 0, so they sit in the same || chains as the opt_ forms.
 */
int loco_bson_lax_i32(const bson_t *doc, const char *key, int32_t *out);
int loco_bson_lax_i64(const bson_t *doc, const char *key, int64_t *out);

/* Writers: ids always as int64 (LOCO.md decision 4). */
void loco_bson_append_i64_array(bson_t *doc, const char *key, const int64_t *v,
    size_t n);
void loco_bson_append_i32_array(bson_t *doc, const char *key, const int32_t *v,
    size_t n);
void loco_bson_append_str_array(bson_t *doc, const char *key,
    const char *const *v, size_t n);
/* Append s, or "" when s is NULL (peers expect the key present). */
void loco_bson_append_str(bson_t *doc, const char *key, const char *s);

/*
 * Copy len bytes as valid UTF-8: invalid sequences and NUL bytes become
 * U+FFFD, so nothing a peer sends is lost silently or breaks a consumer.
 * Returns a malloc'd NUL-terminated string.
 */
char *loco_utf8_repair(const char *s, size_t len);

/* Free a NULL-terminated or counted string vector; NULL is a no-op. */
void loco_strv_free(char **v, size_t n);

#endif
