/* locoirc: see LICENSE.
 *
 * The chatLog record (LOCO.md 2.1) as BSON, and the two JSON strings it
 * carries: the attachment (2.15) and the feed body of type 0 messages
 * (2.14). JSON goes through libbson's reader and writer, which keep 64-bit
 * integers exact; this module knows nothing of the commands that carry it.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>

#include "loco-bson.h"
#include "loco-chatlog.h"
#include "loco-msgtype.h"
#include "xmalloc.h"

static char *dup_or_null(const char *s);
static int json_i64(const bson_t *doc, const char *key, int64_t *out);
static int json_i32(const bson_t *doc, const char *key, int32_t *out);
static void att_str(const bson_t *doc, const char *key, char **out);
static void att_i64(const bson_t *doc, const char *key, int64_t *out);
static void att_i32(const bson_t *doc, const char *key, int32_t *out);
static void att_mentions(const bson_t *doc, struct loco_attachment *out);
static void json_append_str(bson_t *doc, const char *key, const char *s);
static char *json_render(const bson_t *doc);
static int feed_need_i64(const bson_t *doc, const char *what, const char *key,
    int64_t *out, struct loco_error *err);
static int feed_member_decode(const bson_t *doc, const char *what,
    struct loco_feed_member *m, struct loco_error *err);
static int feed_member_get(const bson_t *doc, const char *key, bool *has,
    struct loco_feed_member *m, struct loco_error *err);
static void feed_member_append(bson_t *doc, const char *key,
    const struct loco_feed_member *m);
static void feed_member_release(struct loco_feed_member *m);
static void fuzz_json(const char *json);

/* Decode a chatLog, naming it what in errors; all-or-nothing. */
int
loco_chatlog_decode_named(const bson_t *doc, const char *what,
    struct loco_chatlog *out, struct loco_error *err)
{
	memset(out, 0, sizeof *out);
	if (loco_bson_need_i64(doc, what, "logId", &out->log_id, err) != 0 ||
	    loco_bson_opt_i64(doc, what, "prevId", &out->prev_id, err) != 0 ||
	    loco_bson_need_i64(doc, what, "chatId", &out->chat_id, err) != 0 ||
	    loco_bson_need_i32(doc, what, "type", &out->type, err) != 0 ||
	    loco_bson_need_i64(doc, what, "authorId", &out->author_id, err) !=
	        0 ||
	    loco_bson_opt_str(doc, what, "message", &out->message, err) != 0 ||
	    loco_bson_opt_str(doc, what, "attachment", &out->attachment, err) !=
	        0 ||
	    loco_bson_opt_i32(doc, what, "sendAt", &out->send_at, err) != 0 ||
	    loco_bson_opt_i64(doc, what, "msgId", &out->msg_id, err) != 0 ||
	    loco_bson_opt_str(doc, what, "supplement", &out->supplement, err) !=
	        0 ||
	    loco_bson_opt_i32(doc, what, "referer", &out->referer, err) != 0)
		goto fail;
	return 0;
fail:
	loco_chatlog_release(out);
	return -1;
}

/* Decode a chatLog under its own name. */
int
loco_chatlog_decode(const bson_t *doc, struct loco_chatlog *out,
    struct loco_error *err)
{
	return loco_chatlog_decode_named(doc, "chatLog", out, err);
}

/* Write a chatLog's keys in LOCO.md 2.1 order. */
void
loco_chatlog_encode(const struct loco_chatlog *cl, bson_t *out)
{
	bson_append_int64(out, "logId", -1, cl->log_id);
	bson_append_int64(out, "prevId", -1, cl->prev_id);
	bson_append_int64(out, "chatId", -1, cl->chat_id);
	bson_append_int32(out, "type", -1, cl->type);
	bson_append_int64(out, "authorId", -1, cl->author_id);
	loco_bson_append_str(out, "message", cl->message);
	loco_bson_append_str(out, "attachment", cl->attachment);
	bson_append_int32(out, "sendAt", -1, cl->send_at);
	bson_append_int64(out, "msgId", -1, cl->msg_id);
	if (cl->supplement != NULL)
		loco_bson_append_str(out, "supplement", cl->supplement);
	if (cl->referer != 0)
		bson_append_int32(out, "referer", -1, cl->referer);
}

/* Write a chatLog as the sub-document key. */
void
loco_chatlog_append(bson_t *out, const char *key, const struct loco_chatlog *cl)
{
	bson_t sub;

	bson_append_document_begin(out, key, -1, &sub);
	loco_chatlog_encode(cl, &sub);
	bson_append_document_end(out, &sub);
}

/* xstrdup that passes NULL through. */
static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* Deep-copy a chatLog. */
void
loco_chatlog_copy(struct loco_chatlog *dst, const struct loco_chatlog *src)
{
	*dst = *src;
	dst->message = dup_or_null(src->message);
	dst->attachment = dup_or_null(src->attachment);
	dst->supplement = dup_or_null(src->supplement);
}

/* Free a chatLog's strings and zero it. */
void
loco_chatlog_release(struct loco_chatlog *cl)
{
	free(cl->message);
	free(cl->attachment);
	free(cl->supplement);
	memset(cl, 0, sizeof *cl);
}

/* Decode the chatLog doc[key] when present; *has tells whether it was. */
int
loco_chatlog_decode_opt(const bson_t *doc, const char *what, const char *key,
    bool *has, struct loco_chatlog *out, struct loco_error *err)
{
	char name[64];
	bson_t sub;
	int r;

	*has = false;
	r = loco_bson_get_doc(doc, key, &sub);
	if (r == 0)
		return 0;
	if (r < 0) {
		loco_error_set(err, LOCO_ERR_TYPE, "%s: '%s' is not a document",
		    what, key);
		return -1;
	}
	snprintf(name, sizeof name, "%s.%s", what, key);
	if (loco_chatlog_decode_named(&sub, name, out, err) != 0)
		return -1;
	*has = true;
	return 0;
}

/* Decode the required chatLog doc[key] into out. */
int
loco_chatlog_decode_need(const bson_t *doc, const char *what, const char *key,
    struct loco_chatlog *out, struct loco_error *err)
{
	char name[64];
	bson_t sub;

	if (loco_bson_need_doc(doc, what, key, &sub, err) != 0)
		return -1;
	snprintf(name, sizeof name, "%s.%s", what, key);
	return loco_chatlog_decode_named(&sub, name, out, err);
}

/* Decode an array of chatLogs, failing on the first bad element. */
int
loco_chatlog_decode_array(const bson_t *doc, const char *what, const char *key,
    struct loco_chatlog **out, size_t *n, struct loco_error *err)
{
	struct loco_chatlog *v = NULL;
	size_t cnt = 0, cap = 0;
	bson_t arr, sub;
	bson_iter_t it;
	const uint8_t *data;
	uint32_t len;
	char name[96];
	int r;

	r = loco_bson_get_array(doc, key, &arr);
	if (r == 0) {
		*out = NULL;
		*n = 0;
		return 0;
	}
	if (r < 0 || !bson_iter_init(&it, &arr)) {
		loco_error_set(err, LOCO_ERR_TYPE, "%s: '%s' is not an array",
		    what, key);
		return -1;
	}
	while (bson_iter_next(&it)) {
		if (!BSON_ITER_HOLDS_DOCUMENT(&it)) {
			loco_error_set(err, LOCO_ERR_TYPE,
			    "%s: '%s[%zu]' is not a document", what, key, cnt);
			goto fail;
		}
		bson_iter_document(&it, &len, &data);
		if (!bson_init_static(&sub, data, len)) {
			loco_error_set(err, LOCO_ERR_MALFORMED,
			    "%s: '%s[%zu]' is corrupt", what, key, cnt);
			goto fail;
		}
		if (cnt == cap) {
			cap = cap ? cap * 2 : 8;
			v = xreallocarray(v, cap, sizeof *v);
		}
		snprintf(name, sizeof name, "%s.%s[%zu]", what, key, cnt);
		if (loco_chatlog_decode_named(&sub, name, &v[cnt], err) != 0)
			goto fail;
		cnt++;
	}
	*out = v;
	*n = cnt;
	return 0;
fail:
	loco_chatlog_array_free(v, cnt);
	return -1;
}

/* Write chatLogs as an array of sub-documents. */
void
loco_chatlog_append_array(bson_t *out, const char *key,
    const struct loco_chatlog *v, size_t n)
{
	bson_t arr;
	char idx[16];
	const char *k;
	size_t i;

	bson_append_array_begin(out, key, -1, &arr);
	for (i = 0; i < n; i++) {
		bson_uint32_to_string((uint32_t)i, &k, idx, sizeof idx);
		loco_chatlog_append(&arr, k, &v[i]);
	}
	bson_append_array_end(out, &arr);
}

/* Release and free a counted chatLog array. */
void
loco_chatlog_array_free(struct loco_chatlog *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		loco_chatlog_release(&v[i]);
	free(v);
}

/* Parse one JSON object (or nothing) into a document. */
int
loco_attachment_parse(const char *json, bson_t *out, struct loco_error *err)
{
	bson_json_reader_t *reader;
	bson_error_t berr;
	bson_t extra;
	size_t start, end;
	int r;

	bson_init(out);
	if (json == NULL)
		return 0;
	start = 0;
	end = strlen(json);
	while (start < end && strchr(" \t\r\n", json[start]) != NULL)
		start++;
	while (end > start && strchr(" \t\r\n", json[end - 1]) != NULL)
		end--;
	if (start == end ||
	    (end - start == 4 && memcmp(json + start, "null", 4) == 0))
		return 0;
	if (json[start] != '{') {
		loco_error_set(err, LOCO_ERR_MALFORMED,
		    "JSON text is not an object");
		return -1;
	}
	if (end - start > INT32_MAX) {
		loco_error_set(err, LOCO_ERR_TOO_LARGE, "JSON text too long");
		return -1;
	}

	/*
	 * The reader, unlike bson_init_from_json, lets us see a second
	 * document after the first ("{}{}"), which we refuse.
	 */
	reader = bson_json_data_reader_new(false, 0);
	bson_json_data_reader_ingest(reader, (const uint8_t *)json + start,
	    end - start);
	r = bson_json_reader_read(reader, out, &berr);
	if (r == 1) {
		bson_init(&extra);
		r = bson_json_reader_read(reader, &extra, &berr);
		bson_destroy(&extra);
		if (r == 0)
			r = 1;
		else if (r == 1) {
			r = -1;
			snprintf(berr.message, sizeof berr.message,
			    "more than one JSON value");
		}
	} else if (r == 0)
		snprintf(berr.message, sizeof berr.message, "empty JSON text");
	bson_json_reader_destroy(reader);
	if (r != 1) {
		bson_destroy(out);
		bson_init(out);
		loco_error_set(err, LOCO_ERR_MALFORMED, "bad JSON: %s",
		    berr.message);
		return -1;
	}
	return 0;
}

/* Render a document as relaxed extended JSON in our own allocation. */
char *
loco_json_from_bson(const bson_t *doc)
{
	char *s, *copy;

	if ((s = bson_as_relaxed_extended_json(doc, NULL)) == NULL)
		return NULL;
	copy = xstrdup(s);
	bson_free(s);
	return copy;
}

/*
 * An integer inside JSON: a number (int32, int64, integral double) or a
 * decimal string, since some clients quote ids. 1 found, 0 absent or null,
 * -1 anything else.
 */
static int
json_i64(const bson_t *doc, const char *key, int64_t *out)
{
	bson_iter_t it;
	const char *s;
	char *end;
	long long v;
	uint32_t len;

	if (!bson_iter_init_find(&it, doc, key) || BSON_ITER_HOLDS_NULL(&it))
		return 0;
	if (!BSON_ITER_HOLDS_UTF8(&it))
		return loco_bson_iter_i64(&it, out);
	s = bson_iter_utf8(&it, &len);
	if (len == 0 || len > 20 || strlen(s) != len ||
	    !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s)
		return -1;
	*out = (int64_t)v;
	return 1;
}

/* json_i64 limited to the int32 range. */
static int
json_i32(const bson_t *doc, const char *key, int32_t *out)
{
	int64_t v;
	int r = json_i64(doc, key, &v);

	if (r != 1)
		return r;
	if (v < INT32_MIN || v > INT32_MAX)
		return -1;
	*out = (int32_t)v;
	return 1;
}

/* Best-effort string: replaces *out only when key holds a string. */
static void
att_str(const bson_t *doc, const char *key, char **out)
{
	char *s = NULL;

	if (loco_bson_get_str(doc, key, &s) == 1) {
		free(*out);
		*out = s;
	}
}

/* Best-effort integer: sets *out only when key reads as one. */
static void
att_i64(const bson_t *doc, const char *key, int64_t *out)
{
	int64_t v;

	if (json_i64(doc, key, &v) == 1)
		*out = v;
}

/* Best-effort int32. */
static void
att_i32(const bson_t *doc, const char *key, int32_t *out)
{
	int32_t v;

	if (json_i32(doc, key, &v) == 1)
		*out = v;
}

/* `mentions[]`: entries that are not objects with a user_id are skipped. */
static void
att_mentions(const bson_t *doc, struct loco_attachment *out)
{
	bson_t arr, sub, at;
	bson_iter_t it, ait;
	const uint8_t *data;
	uint32_t len;
	size_t cap = 0;

	if (loco_bson_get_array(doc, "mentions", &arr) != 1 ||
	    !bson_iter_init(&it, &arr))
		return;
	while (bson_iter_next(&it)) {
		struct loco_mention m;
		size_t acap = 0;

		if (!BSON_ITER_HOLDS_DOCUMENT(&it))
			continue;
		bson_iter_document(&it, &len, &data);
		if (!bson_init_static(&sub, data, len))
			continue;
		memset(&m, 0, sizeof m);
		if (json_i64(&sub, "user_id", &m.user_id) != 1)
			continue;
		att_i32(&sub, "len", &m.len);
		if (loco_bson_get_array(&sub, "at", &at) == 1 &&
		    bson_iter_init(&ait, &at)) {
			while (bson_iter_next(&ait)) {
				int64_t v;

				if (loco_bson_iter_i64(&ait, &v) != 1 ||
				    v < INT32_MIN || v > INT32_MAX)
					continue;
				if (m.n_at == acap) {
					acap = acap ? acap * 2 : 4;
					m.at = xreallocarray(m.at, acap,
					    sizeof *m.at);
				}
				m.at[m.n_at++] = (int32_t)v;
			}
		}
		if (out->n_mentions == cap) {
			cap = cap ? cap * 2 : 4;
			out->mentions = xreallocarray(out->mentions, cap,
			    sizeof *out->mentions);
		}
		out->mentions[out->n_mentions++] = m;
	}
}

/* Read the common attachment keys, ignoring odd types. */
void
loco_attachment_from_bson(const bson_t *doc, struct loco_attachment *out)
{
	bool b;

	memset(out, 0, sizeof *out);
	att_str(doc, "url", &out->url);
	att_str(doc, "tk", &out->k);
	att_str(doc, "k", &out->k);
	att_i64(doc, "size", &out->size);
	att_i64(doc, "s", &out->size);
	att_str(doc, "name", &out->name);
	att_i32(doc, "w", &out->w);
	att_i32(doc, "h", &out->h);
	att_str(doc, "thumbnailUrl", &out->thumbnail_url);
	att_i64(doc, "src_logId", &out->src_log_id);
	att_i64(doc, "src_userId", &out->src_user_id);
	att_str(doc, "src_message", &out->src_message);
	att_i32(doc, "src_type", &out->src_type);
	att_mentions(doc, out);
	att_str(doc, "path", &out->path);
	if (loco_bson_get_bool(doc, "sd", &b) == 1)
		out->sd = b;
}

/* Parse attachment JSON and read its common keys. */
int
loco_attachment_decode(const char *json, struct loco_attachment *out,
    struct loco_error *err)
{
	bson_t doc;

	memset(out, 0, sizeof *out);
	if (loco_attachment_parse(json, &doc, err) != 0) {
		bson_destroy(&doc);
		return -1;
	}
	loco_attachment_from_bson(&doc, out);
	bson_destroy(&doc);
	return 0;
}

/* Append s as a JSON-safe (UTF-8-repaired) string. */
static void
json_append_str(bson_t *doc, const char *key, const char *s)
{
	char *fixed = loco_utf8_repair(s, strlen(s));

	bson_append_utf8(doc, key, -1, fixed, -1);
	free(fixed);
}

/* JSON text of a document we built ourselves (strings already repaired). */
static char *
json_render(const bson_t *doc)
{
	char *s = loco_json_from_bson(doc);

	/* Cannot happen: every string was repaired on the way in. */
	return s != NULL ? s : xstrdup("{}");
}

/* Write the set fields of an attachment. */
void
loco_attachment_to_bson(const struct loco_attachment *in, bson_t *out)
{
	bson_t arr, sub, at;
	char idx[16], aidx[16];
	const char *k, *ak;
	size_t i, j;

	if (in->url != NULL)
		json_append_str(out, "url", in->url);
	if (in->k != NULL)
		json_append_str(out, "k", in->k);
	if (in->size != 0)
		bson_append_int64(out, "s", -1, in->size);
	if (in->name != NULL)
		json_append_str(out, "name", in->name);
	if (in->w != 0)
		bson_append_int32(out, "w", -1, in->w);
	if (in->h != 0)
		bson_append_int32(out, "h", -1, in->h);
	if (in->thumbnail_url != NULL)
		json_append_str(out, "thumbnailUrl", in->thumbnail_url);
	if (in->src_log_id != 0)
		bson_append_int64(out, "src_logId", -1, in->src_log_id);
	if (in->src_user_id != 0)
		bson_append_int64(out, "src_userId", -1, in->src_user_id);
	if (in->src_message != NULL)
		json_append_str(out, "src_message", in->src_message);
	if (in->src_type != 0)
		bson_append_int32(out, "src_type", -1, in->src_type);
	if (in->n_mentions > 0) {
		bson_append_array_begin(out, "mentions", -1, &arr);
		for (i = 0; i < in->n_mentions; i++) {
			const struct loco_mention *m = &in->mentions[i];

			bson_uint32_to_string((uint32_t)i, &k, idx, sizeof idx);
			bson_append_document_begin(&arr, k, -1, &sub);
			bson_append_int64(&sub, "user_id", -1, m->user_id);
			bson_append_array_begin(&sub, "at", -1, &at);
			for (j = 0; j < m->n_at; j++) {
				bson_uint32_to_string((uint32_t)j, &ak, aidx,
				    sizeof aidx);
				bson_append_int32(&at, ak, -1, m->at[j]);
			}
			bson_append_array_end(&sub, &at);
			bson_append_int32(&sub, "len", -1, m->len);
			bson_append_document_end(&arr, &sub);
		}
		bson_append_array_end(out, &arr);
	}
	if (in->path != NULL)
		json_append_str(out, "path", in->path);
	if (in->sd)
		bson_append_bool(out, "sd", -1, true);
}

/* Render an attachment as JSON text. */
char *
loco_attachment_encode(const struct loco_attachment *in)
{
	bson_t doc;
	char *s;

	bson_init(&doc);
	loco_attachment_to_bson(in, &doc);
	s = json_render(&doc);
	bson_destroy(&doc);
	return s;
}

/* Free an attachment's members and zero it. */
void
loco_attachment_release(struct loco_attachment *a)
{
	size_t i;

	free(a->url);
	free(a->k);
	free(a->name);
	free(a->thumbnail_url);
	free(a->src_message);
	for (i = 0; i < a->n_mentions; i++)
		free(a->mentions[i].at);
	free(a->mentions);
	free(a->path);
	memset(a, 0, sizeof *a);
}

/* A required integer in feed JSON, with the usual error codes. */
static int
feed_need_i64(const bson_t *doc, const char *what, const char *key,
    int64_t *out, struct loco_error *err)
{
	int r = json_i64(doc, key, out);

	if (r == 1)
		return 0;
	if (r == 0)
		loco_error_set(err, LOCO_ERR_MISSING, "%s: missing '%s'", what,
		    key);
	else
		loco_error_set(err, LOCO_ERR_TYPE, "%s: '%s' is not an integer",
		    what, key);
	return -1;
}

/* One `{userId, nickName}` object. */
static int
feed_member_decode(const bson_t *doc, const char *what,
    struct loco_feed_member *m, struct loco_error *err)
{
	memset(m, 0, sizeof *m);
	if (feed_need_i64(doc, what, "userId", &m->user_id, err) != 0)
		return -1;
	return loco_bson_opt_str(doc, what, "nickName", &m->nickname, err);
}

/* An optional member object under key; *has tells whether it was there. */
static int
feed_member_get(const bson_t *doc, const char *key, bool *has,
    struct loco_feed_member *m, struct loco_error *err)
{
	char what[32];
	bson_t sub;
	int r;

	r = loco_bson_get_doc(doc, key, &sub);
	if (r == 0)
		return 0;
	if (r < 0) {
		loco_error_set(err, LOCO_ERR_TYPE,
		    "feed: '%s' is not an object", key);
		return -1;
	}
	snprintf(what, sizeof what, "feed.%s", key);
	if (feed_member_decode(&sub, what, m, err) != 0) {
		feed_member_release(m);
		return -1;
	}
	*has = true;
	return 0;
}

/* Decode the JSON body of a feed message. */
int
loco_feed_decode(const char *json, struct loco_feed *out,
    struct loco_error *err)
{
	bson_t doc, arr, sub;
	bson_iter_t it;
	const uint8_t *data;
	uint32_t len;
	size_t cap = 0;
	char what[48];
	int64_t v;
	int r;

	memset(out, 0, sizeof *out);
	if (loco_attachment_parse(json, &doc, err) != 0)
		goto fail;
	if (feed_need_i64(&doc, "feed", "feedType", &v, err) != 0)
		goto fail;
	if (v < INT32_MIN || v > INT32_MAX) {
		loco_error_set(err, LOCO_ERR_TYPE,
		    "feed: 'feedType' is not a 32-bit integer");
		goto fail;
	}
	out->feed_type = (int32_t)v;
	if (json_i64(&doc, "logId", &out->log_id) < 0) {
		loco_error_set(err, LOCO_ERR_TYPE,
		    "feed: 'logId' is not an integer");
		goto fail;
	}
	if (loco_bson_opt_bool(&doc, "feed", "hidden", &out->hidden, err) != 0)
		goto fail;
	if (feed_member_get(&doc, "inviter", &out->has_inviter, &out->inviter,
	        err) != 0 ||
	    feed_member_get(&doc, "member", &out->has_member, &out->member,
	        err) != 0)
		goto fail;
	r = loco_bson_get_array(&doc, "members", &arr);
	if (r < 0 || (r == 1 && !bson_iter_init(&it, &arr))) {
		loco_error_set(err, LOCO_ERR_TYPE,
		    "feed: 'members' is not an array");
		goto fail;
	}
	while (r == 1 && bson_iter_next(&it)) {
		snprintf(what, sizeof what, "feed.members[%zu]",
		    out->n_members);
		if (!BSON_ITER_HOLDS_DOCUMENT(&it)) {
			loco_error_set(err, LOCO_ERR_TYPE, "%s: not an object",
			    what);
			goto fail;
		}
		bson_iter_document(&it, &len, &data);
		if (!bson_init_static(&sub, data, len)) {
			loco_error_set(err, LOCO_ERR_MALFORMED, "%s: corrupt",
			    what);
			goto fail;
		}
		if (out->n_members == cap) {
			cap = cap ? cap * 2 : 8;
			out->members = xreallocarray(out->members, cap,
			    sizeof *out->members);
		}
		if (feed_member_decode(&sub, what,
		        &out->members[out->n_members], err) != 0) {
			feed_member_release(&out->members[out->n_members]);
			goto fail;
		}
		out->n_members++;
	}
	bson_destroy(&doc);
	return 0;
fail:
	bson_destroy(&doc);
	loco_feed_release(out);
	return -1;
}

/* Append `{userId, nickName}` under key. */
static void
feed_member_append(bson_t *doc, const char *key,
    const struct loco_feed_member *m)
{
	bson_t sub;

	bson_append_document_begin(doc, key, -1, &sub);
	bson_append_int64(&sub, "userId", -1, m->user_id);
	json_append_str(&sub, "nickName", m->nickname ? m->nickname : "");
	bson_append_document_end(doc, &sub);
}

/* Render a feed as JSON text. */
char *
loco_feed_encode(const struct loco_feed *in)
{
	bson_t doc, arr;
	char idx[16];
	const char *k;
	bool del = in->feed_type == LOCO_FEED_DELETE_TO_ALL;
	size_t i;
	char *s;

	bson_init(&doc);
	bson_append_int32(&doc, "feedType", -1, in->feed_type);
	if (del || in->log_id != 0)
		bson_append_int64(&doc, "logId", -1, in->log_id);
	if (del || in->hidden)
		bson_append_bool(&doc, "hidden", -1, in->hidden);
	if (in->has_inviter)
		feed_member_append(&doc, "inviter", &in->inviter);
	if (in->n_members > 0 || in->feed_type == LOCO_FEED_INVITE ||
	    in->feed_type == LOCO_FEED_OPENLINK_JOIN) {
		bson_append_array_begin(&doc, "members", -1, &arr);
		for (i = 0; i < in->n_members; i++) {
			bson_uint32_to_string((uint32_t)i, &k, idx, sizeof idx);
			feed_member_append(&arr, k, &in->members[i]);
		}
		bson_append_array_end(&doc, &arr);
	}
	if (in->has_member)
		feed_member_append(&doc, "member", &in->member);
	s = json_render(&doc);
	bson_destroy(&doc);
	return s;
}

/* Free one member's nickname and zero it. */
static void
feed_member_release(struct loco_feed_member *m)
{
	free(m->nickname);
	memset(m, 0, sizeof *m);
}

/* Free a feed's members and zero it. */
void
loco_feed_release(struct loco_feed *f)
{
	size_t i;

	for (i = 0; i < f->n_members; i++)
		feed_member_release(&f->members[i]);
	free(f->members);
	feed_member_release(&f->member);
	feed_member_release(&f->inviter);
	memset(f, 0, sizeof *f);
}

/* Run both JSON decoders on json, and re-encode what decoded. */
static void
fuzz_json(const char *json)
{
	struct loco_attachment a;
	struct loco_feed f;
	char *s;

	if (loco_attachment_decode(json, &a, NULL) == 0) {
		s = loco_attachment_encode(&a);
		free(s);
		loco_attachment_release(&a);
	}
	if (loco_feed_decode(json, &f, NULL) == 0) {
		s = loco_feed_encode(&f);
		free(s);
		loco_feed_release(&f);
	}
}

/* Run every decoder of this module on doc (for the fuzz target). */
void
loco_chatlog_fuzz_decode_all(const bson_t *doc)
{
	struct loco_chatlog cl, copy, *v;
	bson_iter_t it;
	const char *s;
	char *fixed;
	uint32_t len;
	size_t n;

	if (loco_chatlog_decode(doc, &cl, NULL) == 0) {
		loco_chatlog_copy(&copy, &cl);
		loco_chatlog_release(&copy);
		loco_chatlog_release(&cl);
	}
	if (loco_chatlog_decode_array(doc, "fuzz", "chatLogs", &v, &n, NULL) ==
	    0)
		loco_chatlog_array_free(v, n);
	if (!bson_iter_init(&it, doc))
		return;
	while (bson_iter_next(&it)) {
		if (!BSON_ITER_HOLDS_UTF8(&it))
			continue;
		s = bson_iter_utf8(&it, &len);
		fixed = loco_utf8_repair(s, len);
		fuzz_json(fixed);
		free(fixed);
	}
}
