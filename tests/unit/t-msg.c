/* locoirc: see LICENSE.
 *
 * Tests for the message body codecs (loco-msg). Two bodies are written out
 * by hand as hex from the BSON specification; every codec is then run
 * through the same table of checks (required keys, wrong types, integer
 * widths, UTF-8 repair, exact re-encoding) plus full round trips.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>

#include "bodycheck.h"
#include "loco-bson.h"
#include "loco-chatlog.h"
#include "loco-error.h"
#include "loco-msg.h"
#include "loco-msgtype.h"
#include "tap.h"

/* Decode in, encode into out (always initialised), release. */
typedef int (
    *roundtrip_fn)(const bson_t *in, bson_t *out, struct loco_error *err);

/* One codec and what the table checks need to know about its body. */
struct codec {
	const char *name;        /* method named in error messages */
	roundtrip_fn rt;         /* decode + encode */
	void (*build)(bson_t *); /* a full body with small ids */
	bool canonical;          /* encoding build() gives build() back */
	const char *required[4]; /* keys whose absence is LOCO_ERR_MISSING */
	const char *ids[6];      /* integer (int64) keys */
	const char *i32s[4];     /* int32 keys */
	const char *strs[4];     /* string keys */
	const char *lenient[4];  /* keys never read back: any type passes */
};

#define ROUNDTRIP(T)                                                           \
	static int rt_##T(const bson_t *in, bson_t *out,                       \
	    struct loco_error *err)                                            \
	{                                                                      \
		struct loco_##T x;                                             \
                                                                               \
		bson_init(out);                                                \
		if (loco_##T##_decode(in, &x, err) != 0)                       \
			return -1;                                             \
		loco_##T##_encode(&x, out);                                    \
		loco_##T##_release(&x);                                        \
		return 0;                                                      \
	}

ROUNDTRIP(write_req)
ROUNDTRIP(write_res)
ROUNDTRIP(forward_res)
ROUNDTRIP(msg_push)
ROUNDTRIP(syncmsg_req)
ROUNDTRIP(syncmsg_res)
ROUNDTRIP(mchatlogs_req)
ROUNDTRIP(mchatlogs_res)
ROUNDTRIP(deletemsg_req)
ROUNDTRIP(action_req)
ROUNDTRIP(notiread_req)
ROUNDTRIP(status_res)
ROUNDTRIP(syncdlmsg_push)
ROUNDTRIP(syncaction_push)
ROUNDTRIP(syncrewr_push)
ROUNDTRIP(decunread_push)

static int rt_forward_req(const bson_t *in, bson_t *out,
    struct loco_error *err);
static void append_chatlog(bson_t *doc, const char *key, int32_t type,
    const char *message);
static void build_write_req(bson_t *doc);
static void build_write_res(bson_t *doc);
static void build_forward_res(bson_t *doc);
static void build_msg_push(bson_t *doc);
static void build_msg_flat(bson_t *doc);
static void build_syncmsg_req(bson_t *doc);
static void build_syncmsg_res(bson_t *doc);
static void build_mchatlogs_req(bson_t *doc);
static void build_mchatlogs_res(bson_t *doc);
static void build_deletemsg_req(bson_t *doc);
static void build_action_req(bson_t *doc);
static void build_notiread_req(bson_t *doc);
static void build_status_res(bson_t *doc);
static void build_syncdlmsg_push(bson_t *doc);
static void build_syncaction_push(bson_t *doc);
static void build_syncrewr_push(bson_t *doc);
static void build_decunread_push(bson_t *doc);
static void run_table(const struct codec *c);
static bool chatlog_eq(const struct loco_chatlog *a,
    const struct loco_chatlog *b);
static void fill_chatlog(struct loco_chatlog *cl, int64_t log_id);
static void test_vectors(void);
static void test_msg_shapes(void);
static void test_syncdlmsg_shapes(void);
static void test_responses(void);
static void test_mchatlogs(void);
static void test_roundtrips(void);

/* FORWARD decodes into the WRITE struct. */
static int
rt_forward_req(const bson_t *in, bson_t *out, struct loco_error *err)
{
	struct loco_write_req x;

	bson_init(out);
	if (loco_forward_req_decode(in, &x, err) != 0)
		return -1;
	loco_forward_req_encode(&x, out);
	loco_forward_req_release(&x);
	return 0;
}

/* A chatLog sub-document in our encoder's key order (LOCO.md 2.1). */
static void
append_chatlog(bson_t *doc, const char *key, int32_t type, const char *message)
{
	bson_t sub;

	bson_append_document_begin(doc, key, -1, &sub);
	bson_append_int64(&sub, "logId", -1, 1001);
	bson_append_int64(&sub, "prevId", -1, 1000);
	bson_append_int64(&sub, "chatId", -1, 77);
	bson_append_int32(&sub, "type", -1, type);
	bson_append_int64(&sub, "authorId", -1, 5);
	bson_append_utf8(&sub, "message", -1, message, -1);
	bson_append_utf8(&sub, "attachment", -1, "", -1);
	bson_append_int32(&sub, "sendAt", -1, 1700000000);
	bson_append_int64(&sub, "msgId", -1, 3);
	bson_append_document_end(doc, &sub);
}

static void
build_write_req(bson_t *doc)
{
	bson_init(doc);
	bson_append_int64(doc, "chatId", -1, 77);
	bson_append_int64(doc, "msgId", -1, 3);
	bson_append_utf8(doc, "msg", -1, "hello", -1);
	bson_append_int32(doc, "type", -1, 1);
	bson_append_bool(doc, "noSeen", -1, true);
	bson_append_utf8(doc, "extra", -1, "{\"a\":1}", -1);
	bson_append_utf8(doc, "supplement", -1, "{}", -1);
	bson_append_int32(doc, "scope", -1, 1);
}

static void
build_write_res(bson_t *doc)
{
	bson_init(doc);
	bson_append_int32(doc, "status", -1, 0);
	bson_append_int64(doc, "chatId", -1, 77);
	bson_append_int64(doc, "logId", -1, 1001);
	bson_append_int64(doc, "prevId", -1, 1000);
	bson_append_int64(doc, "msgId", -1, 3);
	bson_append_int32(doc, "sendAt", -1, 1700000000);
	append_chatlog(doc, "chatLog", 1, "hello");
}

static void
build_forward_res(bson_t *doc)
{
	bson_init(doc);
	bson_append_int32(doc, "status", -1, 0);
	append_chatlog(doc, "chatLog", 27, "");
}

static void
build_msg_push(bson_t *doc)
{
	bson_init(doc);
	bson_append_int64(doc, "chatId", -1, 77);
	bson_append_int64(doc, "logId", -1, 1001);
	append_chatlog(doc, "chatLog", 1, "hello");
	bson_append_bool(doc, "noSeen", -1, false);
	bson_append_int64(doc, "li", -1, 9);
	bson_append_bool(doc, "notiRead", -1, true);
	bson_append_utf8(doc, "authorNickname", -1, "nick", -1);
	/* Top-level copies of the chatLog for OpenKakao's watch. */
	bson_append_int64(doc, "authorId", -1, 5);
	bson_append_int32(doc, "type", -1, 1);
	bson_append_utf8(doc, "msg", -1, "hello", -1);
	bson_append_utf8(doc, "attachment", -1, "", -1);
}

/* The OpenKakao-style MSG: no chatLog, everything at the top level. */
static void
build_msg_flat(bson_t *doc)
{
	bson_init(doc);
	bson_append_int64(doc, "chatId", -1, 77);
	bson_append_int64(doc, "logId", -1, 1001);
	bson_append_int64(doc, "authorId", -1, 5);
	bson_append_int32(doc, "type", -1, 2);
	bson_append_utf8(doc, "msg", -1, "photo", -1);
	bson_append_utf8(doc, "attachment", -1, "{\"url\":\"u\"}", -1);
	bson_append_int32(doc, "sendAt", -1, 1700000000);
	bson_append_int64(doc, "msgId", -1, 3);
	bson_append_int64(doc, "prevId", -1, 1000);
	bson_append_utf8(doc, "authorNickname", -1, "nick", -1);
}

static void
build_syncmsg_req(bson_t *doc)
{
	bson_init(doc);
	bson_append_int64(doc, "chatId", -1, 77);
	bson_append_int64(doc, "cur", -1, 1000);
	bson_append_int32(doc, "cnt", -1, 50);
	bson_append_int64(doc, "max", -1, 2000);
}

static void
build_syncmsg_res(bson_t *doc)
{
	bson_t arr;

	bson_init(doc);
	bson_append_int32(doc, "status", -1, 0);
	bson_append_bool(doc, "isOK", -1, true);
	bson_append_array_begin(doc, "chatLogs", -1, &arr);
	append_chatlog(&arr, "0", 1, "one");
	append_chatlog(&arr, "1", 1, "two");
	bson_append_array_end(doc, &arr);
	bson_append_int64(doc, "minLogId", -1, 10);
	bson_append_int64(doc, "jsi", -1, 10);
	bson_append_int64(doc, "lastTokenId", -1, 4444);
	bson_append_int64(doc, "li", -1, 6);
}

static void
build_mchatlogs_req(bson_t *doc)
{
	bson_t arr;

	bson_init(doc);
	bson_append_array_begin(doc, "chatIds", -1, &arr);
	bson_append_int64(&arr, "0", -1, 77);
	bson_append_int64(&arr, "1", -1, 78);
	bson_append_array_end(doc, &arr);
	bson_append_array_begin(doc, "sinces", -1, &arr);
	bson_append_int64(&arr, "0", -1, 1000);
	bson_append_int64(&arr, "1", -1, 0);
	bson_append_array_end(doc, &arr);
}

static void
build_mchatlogs_res(bson_t *doc)
{
	bson_t arr;

	bson_init(doc);
	bson_append_int32(doc, "status", -1, 0);
	bson_append_array_begin(doc, "chatLogs", -1, &arr);
	append_chatlog(&arr, "0", 1, "one");
	bson_append_array_end(doc, &arr);
	bson_append_bool(doc, "eof", -1, true);
}

static void
build_deletemsg_req(bson_t *doc)
{
	bson_init(doc);
	bson_append_int64(doc, "chatId", -1, 77);
	bson_append_int64(doc, "logId", -1, 1001);
}

static void
build_action_req(bson_t *doc)
{
	bson_init(doc);
	bson_append_int64(doc, "chatId", -1, 77);
	bson_append_int64(doc, "logId", -1, 1001);
	bson_append_int32(doc, "type", -1, 1);
}

static void
build_notiread_req(bson_t *doc)
{
	bson_init(doc);
	bson_append_int64(doc, "chatId", -1, 77);
	bson_append_int64(doc, "watermark", -1, 1001);
	bson_append_int64(doc, "li", -1, 6);
}

static void
build_status_res(bson_t *doc)
{
	bson_init(doc);
	bson_append_int32(doc, "status", -1, -203);
}

static void
build_syncdlmsg_push(bson_t *doc)
{
	bson_init(doc);
	bson_append_int64(doc, "chatId", -1, 77);
	bson_append_int64(doc, "logId", -1, 1000);
	append_chatlog(doc, "chatLog", 0,
	    "{\"feedType\":14,\"logId\":1000,\"hidden\":false}");
}

static void
build_syncaction_push(bson_t *doc)
{
	bson_init(doc);
	bson_append_int64(doc, "userId", -1, 5);
	bson_append_int64(doc, "chatId", -1, 77);
	bson_append_int32(doc, "type", -1, 1);
	bson_append_int64(doc, "logId", -1, 1001);
}

static void
build_syncrewr_push(bson_t *doc)
{
	bson_init(doc);
	append_chatlog(doc, "chatLog", 0,
	    "{\"feedType\":13,\"member\":{\"userId\":5}}");
}

static void
build_decunread_push(bson_t *doc)
{
	bson_init(doc);
	bson_append_int64(doc, "chatId", -1, 77);
	bson_append_int64(doc, "userId", -1, 5);
	bson_append_int64(doc, "watermark", -1, 1001);
}

static const struct codec codecs[] = {
    {"WRITE", rt_write_req, build_write_req, true, {"chatId"},
        {"chatId", "msgId"}, {"type", "scope"}, {"msg", "extra", "supplement"},
        {NULL}},
    {"FORWARD", rt_forward_req, build_write_req, true, {"chatId"},
        {"chatId", "msgId"}, {"type", "scope"}, {"msg", "extra", "supplement"},
        {NULL}},
    {"WRITE", rt_write_res, build_write_res, true, {"chatId", "logId"},
        {"chatId", "logId", "prevId", "msgId"}, {"status", "sendAt"}, {NULL},
        {NULL}},
    {"FORWARD", rt_forward_res, build_forward_res, true, {"chatLog"}, {NULL},
        {"status"}, {NULL}, {NULL}},
    {"MSG", rt_msg_push, build_msg_push, true, {NULL},
        {"chatId", "logId", "li"}, {NULL}, {"authorNickname"},
        {"authorId", "type", "msg", "attachment"}},
    {"MSG", rt_msg_push, build_msg_flat, false, {"chatId", "logId", "authorId"},
        {"chatId", "logId", "authorId", "msgId", "prevId"}, {"type", "sendAt"},
        {"msg", "attachment", "authorNickname"}, {NULL}},
    {"SYNCMSG", rt_syncmsg_req, build_syncmsg_req, true, {"chatId", "max"},
        {"chatId", "cur", "max"}, {"cnt"}, {NULL}, {NULL}},
    {"SYNCMSG", rt_syncmsg_res, build_syncmsg_res, true, {NULL},
        {"minLogId", "jsi", "lastTokenId", "li"}, {"status"}, {NULL}, {NULL}},
    {"MCHATLOGS", rt_mchatlogs_req, build_mchatlogs_req, true, {"chatIds"},
        {NULL}, {NULL}, {NULL}, {NULL}},
    {"MCHATLOGS", rt_mchatlogs_res, build_mchatlogs_res, true, {NULL}, {NULL},
        {"status"}, {NULL}, {NULL}},
    {"DELETEMSG", rt_deletemsg_req, build_deletemsg_req, true,
        {"chatId", "logId"}, {"chatId", "logId"}, {NULL}, {NULL}, {NULL}},
    {"ACTION", rt_action_req, build_action_req, true, {"chatId", "logId"},
        {"chatId", "logId"}, {"type"}, {NULL}, {NULL}},
    {"NOTIREAD", rt_notiread_req, build_notiread_req, true,
        {"chatId", "watermark"}, {"chatId", "watermark", "li"}, {NULL}, {NULL},
        {NULL}},
    {"response", rt_status_res, build_status_res, true, {NULL}, {NULL},
        {"status"}, {NULL}, {NULL}},
    {"SYNCDLMSG", rt_syncdlmsg_push, build_syncdlmsg_push, true, {NULL},
        {"chatId", "logId"}, {NULL}, {NULL}, {NULL}},
    {"SYNCACTION", rt_syncaction_push, build_syncaction_push, true,
        {"userId", "chatId", "logId"}, {"userId", "chatId", "logId"}, {"type"},
        {NULL}, {NULL}},
    {"SYNCREWR", rt_syncrewr_push, build_syncrewr_push, true, {"chatLog"},
        {NULL}, {NULL}, {NULL}, {NULL}},
    {"DECUNREAD", rt_decunread_push, build_decunread_push, true,
        {"chatId", "userId", "watermark"}, {"chatId", "userId", "watermark"},
        {NULL}, {NULL}, {NULL}},
};

/* The per-codec checks every body gets. */
static void
run_table(const struct codec *c)
{
	struct loco_error err;
	bson_t base, ref, var, out;
	bson_iter_t it, d;
	const char *key, *s, *path;
	uint32_t len;
	size_t i;
	int v;

	c->build(&base);
	if (!ok(c->rt(&base, &ref, &err) == 0, "%s: full body decodes",
	        c->name))
		diag("%s", err.msg);
	if (c->canonical)
		ok(bson_equal(&ref, &base), "%s: encoder gives the body back",
		    c->name);

	for (i = 0; i < 4 && c->required[i] != NULL; i++) {
		bodycheck_replace_key(&base, c->required[i], V_DROP, &var);
		ok(c->rt(&var, &out, &err) == -1 &&
		        err.code == LOCO_ERR_MISSING &&
		        strstr(err.msg, c->name) != NULL &&
		        strstr(err.msg, c->required[i]) != NULL,
		    "%s: without %s: %s", c->name, c->required[i], err.msg);
		bson_destroy(&out);
		bson_destroy(&var);
	}

	/* Every top-level key with a type it cannot have. */
	bson_iter_init(&it, &base);
	while (bson_iter_next(&it)) {
		bool lenient = false;

		key = bson_iter_key(&it);
		for (i = 0; i < 4 && c->lenient[i] != NULL; i++)
			if (strcmp(c->lenient[i], key) == 0)
				lenient = true;
		if (lenient) {
			/* A copy nobody reads back: the body still decodes
			 * and encodes as before. */
			bodycheck_replace_key(&base, key, V_DOC, &var);
			ok(c->rt(&var, &out, &err) == 0 &&
			        bson_equal(&out, &ref),
			    "%s: %s of any type is ignored", c->name, key);
			bson_destroy(&out);
			bson_destroy(&var);
			continue;
		}
		bodycheck_replace_key(&base, key,
		    BSON_ITER_HOLDS_DOCUMENT(&it) || BSON_ITER_HOLDS_ARRAY(&it)
		        ? V_STRING
		        : V_DOC,
		    &var);
		ok(c->rt(&var, &out, &err) == -1 && err.code == LOCO_ERR_TYPE &&
		        strstr(err.msg, key) != NULL,
		    "%s: %s of the wrong type: %s", c->name, key, err.msg);
		bson_destroy(&out);
		bson_destroy(&var);
	}

	for (i = 0; i < 6 && c->ids[i] != NULL; i++) {
		for (v = V_INT32; v <= V_DOUBLE; v++) {
			bodycheck_replace_key(&base, c->ids[i],
			    (enum bodycheck_variant)v, &var);
			ok(c->rt(&var, &out, &err) == 0 &&
			        bson_equal(&out, &ref),
			    "%s: %s as variant %d", c->name, c->ids[i], v);
			bson_destroy(&out);
			bson_destroy(&var);
		}
		bodycheck_replace_key(&base, c->ids[i], V_FRACTION, &var);
		ok(c->rt(&var, &out, &err) == -1 && err.code == LOCO_ERR_TYPE,
		    "%s: %s = 1.5 refused", c->name, c->ids[i]);
		bson_destroy(&out);
		bson_destroy(&var);
		bodycheck_replace_key(&base, c->ids[i], V_HUGE, &var);
		ok(c->rt(&var, &out, &err) == -1 && err.code == LOCO_ERR_TYPE,
		    "%s: %s = 1e19 refused", c->name, c->ids[i]);
		bson_destroy(&out);
		bson_destroy(&var);
	}

	for (i = 0; i < 4 && c->i32s[i] != NULL; i++) {
		bodycheck_replace_key(&base, c->i32s[i], V_INT64, &var);
		ok(c->rt(&var, &out, &err) == 0 && bson_equal(&out, &ref),
		    "%s: %s as int64", c->name, c->i32s[i]);
		bson_destroy(&out);
		bson_destroy(&var);
		bodycheck_replace_key(&base, c->i32s[i], V_WIDE, &var);
		ok(c->rt(&var, &out, &err) == -1 && err.code == LOCO_ERR_TYPE,
		    "%s: %s = 2^40 refused", c->name, c->i32s[i]);
		bson_destroy(&out);
		bson_destroy(&var);
	}

	for (i = 0; i < 4 && c->strs[i] != NULL; i++) {
		const char *want = "a\xef\xbf\xbd"
		                   "b";
		bool found = false;

		bodycheck_replace_key(&base, c->strs[i], V_BAD_UTF8, &var);
		ok(c->rt(&var, &out, &err) == 0, "%s: bad UTF-8 in %s", c->name,
		    c->strs[i]);
		/* Flat MSG text and attachment come back inside chatLog. */
		path = c->strs[i];
		if (!c->canonical && strcmp(path, "msg") == 0)
			path = "chatLog.message";
		else if (!c->canonical && strcmp(path, "attachment") == 0)
			path = "chatLog.attachment";
		if (bson_iter_init(&it, &out) &&
		    bson_iter_find_descendant(&it, path, &d) &&
		    BSON_ITER_HOLDS_UTF8(&d)) {
			s = bson_iter_utf8(&d, &len);
			found = strcmp(s, want) == 0;
		}
		ok(found, "%s: %s repaired to U+FFFD", c->name, c->strs[i]);
		bson_destroy(&out);
		bson_destroy(&var);
	}

	bson_destroy(&ref);
	bson_destroy(&base);
}

/* All fields of two chatLogs. */
static bool
chatlog_eq(const struct loco_chatlog *a, const struct loco_chatlog *b)
{
	return a->log_id == b->log_id && a->prev_id == b->prev_id &&
	    a->chat_id == b->chat_id && a->author_id == b->author_id &&
	    a->type == b->type && a->send_at == b->send_at &&
	    a->msg_id == b->msg_id && a->referer == b->referer &&
	    a->message != NULL && b->message != NULL &&
	    strcmp(a->message, b->message) == 0 && a->attachment != NULL &&
	    b->attachment != NULL &&
	    strcmp(a->attachment, b->attachment) == 0 &&
	    a->supplement != NULL && b->supplement != NULL &&
	    strcmp(a->supplement, b->supplement) == 0;
}

/* A chatLog with every field set to something unusual. */
static void
fill_chatlog(struct loco_chatlog *cl, int64_t log_id)
{
	memset(cl, 0, sizeof *cl);
	cl->log_id = log_id;
	cl->prev_id = log_id - 1;
	cl->chat_id = INT64_C(9007199254740993);
	cl->author_id = INT64_C(-7);
	cl->type = 0x4000 | 26;
	cl->send_at = INT32_MIN;
	cl->msg_id = INT64_MAX;
	cl->message = strdup("\xed\x95\x9c msg");
	cl->attachment = strdup("{\"src_logId\":1}");
	cl->supplement = strdup("{\"s\":2}");
	cl->referer = 2;
}

/* The hand-written bodies: decoded field by field, encoded byte for byte. */
static void
test_vectors(void)
{
	static const char write_hex[] =
	    "51 00 00 00"             /* document length 81 */
	    "12 63 68 61 74 49 64 00" /* int64 "chatId" */
	    "08 07 06 05 04 03 02 01" /*   0x0102030405060708 */
	    "12 6d 73 67 49 64 00"    /* int64 "msgId" */
	    "03 00 00 00 00 00 00 00" /*   3 */
	    "02 6d 73 67 00"          /* string "msg" */
	    "03 00 00 00 68 69 00"    /*   len 3, "hi" */
	    "10 74 79 70 65 00"       /* int32 "type" */
	    "01 00 00 00"             /*   1 (text) */
	    "08 6e 6f 53 65 65 6e 00" /* bool "noSeen" */
	    "01"                      /*   true */
	    "02 65 78 74 72 61 00"    /* string "extra" */
	    "03 00 00 00 7b 7d 00"    /*   len 3, "{}" */
	    "00";                     /* end of document */
	static const char decunread_hex[] =
	    "38 00 00 00"                      /* document length 56 */
	    "12 63 68 61 74 49 64 00"          /* int64 "chatId" */
	    "08 07 06 05 04 03 02 01"          /*   0x0102030405060708 */
	    "12 75 73 65 72 49 64 00"          /* int64 "userId" */
	    "01 00 00 00 00 00 00 00"          /*   1 */
	    "12 77 61 74 65 72 6d 61 72 6b 00" /* int64 "watermark" */
	    "01 00 00 00 00 00 20 00"          /*   2^53 + 1 */
	    "00";                              /* end of document */
	static const char flat_msg_hex[] =
	    "44 00 00 00"                   /* document length 68 */
	    "10 63 68 61 74 49 64 00"       /* int32 "chatId" */
	    "05 00 00 00"                   /*   5 */
	    "12 6c 6f 67 49 64 00"          /* int64 "logId" */
	    "09 00 00 00 00 00 00 00"       /*   9 */
	    "10 61 75 74 68 6f 72 49 64 00" /* int32 "authorId" */
	    "07 00 00 00"                   /*   7 */
	    "02 6d 73 67 00"                /* string "msg" */
	    "03 00 00 00 79 6f 00"          /*   len 3, "yo" */
	    "10 74 79 70 65 00"             /* int32 "type" */
	    "01 00 00 00"                   /*   1 */
	    "00";                           /* end of document */
	struct loco_write_req w;
	struct loco_decunread_push d;
	struct loco_msg_push m;
	struct loco_error err;
	uint8_t *bytes;
	size_t len;
	bson_t doc, out;

	bytes = tap_hex(write_hex, &len);
	is_uint(len, ==, 81);
	ok(bson_init_static(&doc, bytes, len) &&
	        loco_bson_check(bytes, len, NULL) == 0,
	    "WRITE vector is BSON");
	if (!ok(loco_write_req_decode(&doc, &w, &err) == 0, "WRITE decodes"))
		diag("%s", err.msg);
	is_int(w.chat_id, ==, INT64_C(0x0102030405060708));
	is_int(w.msg_id, ==, 3);
	is_str(w.msg, "hi");
	is_int(w.type, ==, LOCO_MSG_TEXT);
	ok(w.no_seen, "noSeen");
	is_str(w.extra, "{}");
	ok(w.supplement == NULL && w.scope == 0, "no supplement, no scope");
	bson_init(&out);
	loco_write_req_encode(&w, &out);
	is_mem(bson_get_data(&out), out.len, bytes, len);
	bson_destroy(&out);
	loco_write_req_release(&w);
	free(bytes);

	bytes = tap_hex(decunread_hex, &len);
	is_uint(len, ==, 56);
	ok(bson_init_static(&doc, bytes, len), "DECUNREAD vector is BSON");
	ok(loco_decunread_push_decode(&doc, &d, &err) == 0,
	    "DECUNREAD decodes");
	is_int(d.chat_id, ==, INT64_C(0x0102030405060708));
	is_int(d.user_id, ==, 1);
	is_int(d.watermark, ==, INT64_C(9007199254740993));
	bson_init(&out);
	loco_decunread_push_encode(&d, &out);
	is_mem(bson_get_data(&out), out.len, bytes, len);
	bson_destroy(&out);
	loco_decunread_push_release(&d);
	free(bytes);

	bytes = tap_hex(flat_msg_hex, &len);
	is_uint(len, ==, 68);
	ok(bson_init_static(&doc, bytes, len), "flat MSG vector is BSON");
	if (!ok(loco_msg_push_decode(&doc, &m, &err) == 0, "flat MSG decodes"))
		diag("%s", err.msg);
	ok(m.chat_id == 5 && m.log_id == 9 && m.chatlog.chat_id == 5 &&
	        m.chatlog.log_id == 9 && m.chatlog.author_id == 7 &&
	        m.chatlog.type == 1 && m.chatlog.attachment == NULL &&
	        !m.no_seen && m.li == 0 && m.author_nickname == NULL,
	    "flat MSG fields");
	is_str(m.chatlog.message, "yo");
	loco_msg_push_release(&m);
	free(bytes);
}

/* MSG: nested and flat shapes, precedence, defaults. */
static void
test_msg_shapes(void)
{
	struct loco_msg_push m;
	struct loco_error err;
	bson_t doc, var;

	build_msg_push(&doc);
	ok(loco_msg_push_decode(&doc, &m, &err) == 0, "nested MSG");
	ok(m.chat_id == 77 && m.log_id == 1001 && m.chatlog.log_id == 1001 &&
	        m.chatlog.author_id == 5 && m.li == 9 && m.noti_read &&
	        !m.no_seen,
	    "nested MSG fields");
	is_str(m.chatlog.message, "hello");
	is_str(m.author_nickname, "nick");
	loco_msg_push_release(&m);

	/* Without top-level ids they come from the chatLog. */
	bodycheck_replace_key(&doc, "chatId", V_DROP, &var);
	bson_destroy(&doc);
	bodycheck_replace_key(&var, "logId", V_DROP, &doc);
	bson_destroy(&var);
	ok(loco_msg_push_decode(&doc, &m, &err) == 0 && m.chat_id == 77 &&
	        m.log_id == 1001,
	    "ids from chatLog");
	loco_msg_push_release(&m);

	/* A chatLog missing a required key fails even with top-level ids. */
	bson_destroy(&doc);
	bson_init(&doc);
	bson_append_int64(&doc, "chatId", -1, 1);
	bson_append_int64(&doc, "logId", -1, 1);
	bson_append_int64(&doc, "authorId", -1, 1);
	bson_append_document_begin(&doc, "chatLog", -1, &var);
	bson_append_int64(&var, "logId", -1, 1);
	bson_append_document_end(&doc, &var);
	ok(loco_msg_push_decode(&doc, &m, &err) == -1 &&
	        err.code == LOCO_ERR_MISSING &&
	        strstr(err.msg, "MSG.chatLog") != NULL,
	    "bad nested chatLog: %s", err.msg);
	bson_destroy(&doc);

	/* Flat: `message` wins over `msg`; type defaults to text. */
	bson_init(&doc);
	bson_append_int64(&doc, "chatId", -1, 1);
	bson_append_int64(&doc, "logId", -1, 2);
	bson_append_int64(&doc, "authorId", -1, 3);
	bson_append_utf8(&doc, "msg", -1, "short", -1);
	bson_append_utf8(&doc, "message", -1, "long", -1);
	ok(loco_msg_push_decode(&doc, &m, &err) == 0 &&
	        m.chatlog.type == LOCO_MSG_TEXT &&
	        strcmp(m.chatlog.message, "long") == 0,
	    "flat MSG with message and msg");
	loco_msg_push_release(&m);
	bson_destroy(&doc);

	/* Nothing at all. */
	bson_init(&doc);
	ok(loco_msg_push_decode(&doc, &m, &err) == -1 &&
	        err.code == LOCO_ERR_MISSING,
	    "empty MSG: %s", err.msg);
	bson_destroy(&doc);
}

/* SYNCDLMSG: chatLog only, top level only, both, and neither. */
static void
test_syncdlmsg_shapes(void)
{
	struct loco_syncdlmsg_push p;
	struct loco_error err;
	bson_t doc, var;

	/* Feed only; the deleted logId is above 2^53 inside the JSON. */
	bson_init(&doc);
	append_chatlog(&doc, "chatLog", 0,
	    "{\"feedType\":14,\"logId\":9007199254740993,\"hidden\":true}");
	ok(loco_syncdlmsg_push_decode(&doc, &p, &err) == 0,
	    "feed-only SYNCDLMSG");
	ok(p.chat_id == 77 && p.log_id == INT64_C(9007199254740993) &&
	        p.hidden && p.has_chatlog && p.chatlog.log_id == 1001,
	    "deleted id from the feed, exact");
	loco_syncdlmsg_push_release(&p);
	bson_destroy(&doc);

	/* Top level only (OpenKakao). */
	bson_init(&doc);
	bson_append_int32(&doc, "chatId", -1, 77);
	bson_append_int32(&doc, "logId", -1, 999);
	ok(loco_syncdlmsg_push_decode(&doc, &p, &err) == 0 && p.chat_id == 77 &&
	        p.log_id == 999 && !p.has_chatlog && !p.hidden,
	    "top-level-only SYNCDLMSG");
	loco_syncdlmsg_push_release(&p);
	bodycheck_replace_key(&doc, "logId", V_DROP, &var);
	ok(loco_syncdlmsg_push_decode(&var, &p, &err) == -1 &&
	        err.code == LOCO_ERR_MISSING && strstr(err.msg, "logId"),
	    "no logId anywhere: %s", err.msg);
	bson_destroy(&var);
	bodycheck_replace_key(&doc, "chatId", V_DROP, &var);
	ok(loco_syncdlmsg_push_decode(&var, &p, &err) == -1 &&
	        err.code == LOCO_ERR_MISSING && strstr(err.msg, "chatId"),
	    "no chatId anywhere: %s", err.msg);
	bson_destroy(&var);
	bson_destroy(&doc);

	/* A feed that is not a deletion: the top-level logId is used. */
	bson_init(&doc);
	bson_append_int64(&doc, "logId", -1, 500);
	append_chatlog(&doc, "chatLog", 0, "not json");
	ok(loco_syncdlmsg_push_decode(&doc, &p, &err) == 0 && p.log_id == 500 &&
	        p.chat_id == 77,
	    "unreadable feed falls back to the top level");
	loco_syncdlmsg_push_release(&p);
	bson_destroy(&doc);

	bson_init(&doc);
	append_chatlog(&doc, "chatLog", 0, "{\"feedType\":2}");
	ok(loco_syncdlmsg_push_decode(&doc, &p, &err) == -1 &&
	        err.code == LOCO_ERR_MISSING,
	    "feed without a deleted id and no top-level logId");
	bson_destroy(&doc);
}

/* Responses: a non-zero status needs nothing else. */
static void
test_responses(void)
{
	struct loco_write_res wr;
	struct loco_forward_res fr;
	struct loco_syncmsg_res sr;
	struct loco_status_res st;
	struct loco_error err;
	bson_t doc;

	bson_init(&doc);
	bson_append_int64(&doc, "status", -1, -805);
	ok(loco_write_res_decode(&doc, &wr, &err) == 0 && wr.status == -805 &&
	        wr.log_id == 0 && !wr.has_chatlog,
	    "WRITE error response (int64 status)");
	loco_write_res_release(&wr);
	ok(loco_forward_res_decode(&doc, &fr, &err) == 0 && fr.status == -805 &&
	        !fr.has_chatlog,
	    "FORWARD error response");
	loco_forward_res_release(&fr);
	ok(loco_status_res_decode(&doc, &st, &err) == 0 && st.status == -805,
	    "status response");
	bson_destroy(&doc);

	bson_init(&doc);
	ok(loco_status_res_decode(&doc, &st, &err) == 0 && st.status == 0,
	    "absent status is 0");
	ok(loco_write_res_decode(&doc, &wr, &err) == -1 &&
	        err.code == LOCO_ERR_MISSING,
	    "WRITE success needs chatId and logId");
	ok(loco_syncmsg_res_decode(&doc, &sr, &err) == 0 &&
	        sr.n_chatlogs == 0 && sr.chatlogs == NULL && !sr.is_ok,
	    "empty SYNCMSG response");
	loco_syncmsg_res_release(&sr);
	bson_destroy(&doc);

	bson_init(&doc);
	bson_append_int32(&doc, "status", -1, 0);
	bson_append_bool(&doc, "isOK", -1, true);
	bson_append_null(&doc, "chatLogs", -1);
	ok(loco_syncmsg_res_decode(&doc, &sr, &err) == 0 &&
	        sr.n_chatlogs == 0 && sr.is_ok,
	    "null chatLogs is an empty page");
	loco_syncmsg_res_release(&sr);
	bson_destroy(&doc);
}

/* MCHATLOGS request: parallel arrays. */
static void
test_mchatlogs(void)
{
	struct loco_mchatlogs_req r;
	struct loco_error err;
	bson_t doc, arr;

	bson_init(&doc);
	bson_append_array_begin(&doc, "chatIds", -1, &arr);
	bson_append_int32(&arr, "0", -1, 1);
	bson_append_double(&arr, "1", -1, 2.0);
	bson_append_int64(&arr, "2", -1, INT64_C(9007199254740993));
	bson_append_array_end(&doc, &arr);
	ok(loco_mchatlogs_req_decode(&doc, &r, &err) == 0 && r.n_chats == 3 &&
	        r.chat_ids[0] == 1 && r.chat_ids[1] == 2 &&
	        r.chat_ids[2] == INT64_C(9007199254740993) &&
	        r.sinces != NULL && r.sinces[0] == 0 && r.sinces[2] == 0,
	    "mixed-width chatIds, absent sinces are 0");
	loco_mchatlogs_req_release(&r);

	bson_append_array_begin(&doc, "sinces", -1, &arr);
	bson_append_int32(&arr, "0", -1, 1);
	bson_append_array_end(&doc, &arr);
	ok(loco_mchatlogs_req_decode(&doc, &r, &err) == -1 &&
	        err.code == LOCO_ERR_RANGE && r.chat_ids == NULL,
	    "length mismatch: %s", err.msg);
	bson_destroy(&doc);

	bson_init(&doc);
	bson_append_array_begin(&doc, "chatIds", -1, &arr);
	bson_append_double(&arr, "0", -1, 2.5);
	bson_append_array_end(&doc, &arr);
	ok(loco_mchatlogs_req_decode(&doc, &r, &err) == -1 &&
	        err.code == LOCO_ERR_TYPE,
	    "fractional chat id");
	bson_destroy(&doc);

	bson_init(&doc);
	bson_append_array_begin(&doc, "chatIds", -1, &arr);
	bson_append_array_end(&doc, &arr);
	ok(loco_mchatlogs_req_decode(&doc, &r, &err) == 0 && r.n_chats == 0 &&
	        r.chat_ids == NULL && r.sinces == NULL,
	    "empty request");
	loco_mchatlogs_req_release(&r);
	bson_destroy(&doc);
}

/* Every struct: all fields non-default, encode, decode, compare. */
static void
test_roundtrips(void)
{
	struct loco_error err;
	bson_t doc;

	{
		struct loco_write_req a = {0}, b;

		a.chat_id = INT64_MIN;
		a.msg_id = INT64_MAX;
		a.msg = strdup("\xea\xb0\x80 \"q\"");
		a.type = LOCO_MSG_REPLY;
		a.no_seen = true;
		a.extra = strdup("{\"src_logId\":9007199254740993}");
		a.supplement = strdup("{\"p\":1}");
		a.scope = 1;
		bson_init(&doc);
		loco_write_req_encode(&a, &doc);
		ok(loco_write_req_decode(&doc, &b, &err) == 0 &&
		        b.chat_id == a.chat_id && b.msg_id == a.msg_id &&
		        strcmp(b.msg, a.msg) == 0 && b.type == a.type &&
		        b.no_seen && strcmp(b.extra, a.extra) == 0 &&
		        strcmp(b.supplement, a.supplement) == 0 && b.scope == 1,
		    "WRITE request round trip");
		loco_write_req_release(&b);
		ok(loco_forward_req_decode(&doc, &b, &err) == 0 &&
		        b.chat_id == a.chat_id && b.type == a.type,
		    "FORWARD request round trip");
		loco_forward_req_release(&b);
		bson_destroy(&doc);
		loco_write_req_release(&a);

		/* NULL strings: msg "" and extra "{}" as LW sends. */
		memset(&a, 0, sizeof a);
		bson_init(&doc);
		loco_write_req_encode(&a, &doc);
		ok(loco_write_req_decode(&doc, &b, &err) == 0 &&
		        strcmp(b.msg, "") == 0 && strcmp(b.extra, "{}") == 0 &&
		        b.supplement == NULL && b.type == 0,
		    "WRITE request defaults");
		loco_write_req_release(&b);
		bson_destroy(&doc);
	}
	{
		struct loco_write_res a = {0}, b;

		a.status = -1;
		a.chat_id = 1;
		a.log_id = INT64_C(9007199254740993);
		a.prev_id = 2;
		a.msg_id = 3;
		a.send_at = 4;
		a.has_chatlog = true;
		fill_chatlog(&a.chatlog, 5);
		bson_init(&doc);
		loco_write_res_encode(&a, &doc);
		ok(loco_write_res_decode(&doc, &b, &err) == 0 &&
		        b.status == -1 && b.chat_id == 1 &&
		        b.log_id == a.log_id && b.prev_id == 2 &&
		        b.msg_id == 3 && b.send_at == 4 && b.has_chatlog &&
		        chatlog_eq(&a.chatlog, &b.chatlog),
		    "WRITE response round trip");
		loco_write_res_release(&b);
		loco_write_res_release(&a);
		bson_destroy(&doc);
	}
	{
		struct loco_forward_res a = {0}, b;

		a.status = 7;
		a.has_chatlog = true;
		fill_chatlog(&a.chatlog, 9);
		bson_init(&doc);
		loco_forward_res_encode(&a, &doc);
		ok(loco_forward_res_decode(&doc, &b, &err) == 0 &&
		        b.status == 7 && b.has_chatlog &&
		        chatlog_eq(&a.chatlog, &b.chatlog),
		    "FORWARD response round trip");
		loco_forward_res_release(&b);
		loco_forward_res_release(&a);
		bson_destroy(&doc);
	}
	{
		struct loco_msg_push a = {0}, b;

		a.chat_id = 11;
		a.log_id = 12;
		fill_chatlog(&a.chatlog, 12);
		a.no_seen = true;
		a.li = INT64_C(9007199254740993);
		a.author_nickname = strdup("\xeb\x8b\x89");
		a.noti_read = true;
		bson_init(&doc);
		loco_msg_push_encode(&a, &doc);
		ok(loco_msg_push_decode(&doc, &b, &err) == 0 &&
		        b.chat_id == 11 && b.log_id == 12 &&
		        chatlog_eq(&a.chatlog, &b.chatlog) && b.no_seen &&
		        b.li == a.li &&
		        strcmp(b.author_nickname, "\xeb\x8b\x89") == 0 &&
		        b.noti_read,
		    "MSG round trip");
		loco_msg_push_release(&b);
		loco_msg_push_release(&a);
		bson_destroy(&doc);
	}
	{
		struct loco_syncmsg_req a = {1, 2, 3, 4}, b;

		bson_init(&doc);
		loco_syncmsg_req_encode(&a, &doc);
		ok(loco_syncmsg_req_decode(&doc, &b, &err) == 0 &&
		        b.chat_id == 1 && b.cur == 2 && b.cnt == 3 &&
		        b.max == 4,
		    "SYNCMSG request round trip");
		loco_syncmsg_req_release(&b);
		bson_destroy(&doc);
	}
	{
		struct loco_syncmsg_res a = {0}, b;

		a.status = -1;
		a.is_ok = true;
		a.n_chatlogs = 2;
		a.chatlogs = calloc(2, sizeof *a.chatlogs);
		fill_chatlog(&a.chatlogs[0], 100);
		fill_chatlog(&a.chatlogs[1], 101);
		a.min_log_id = 5;
		a.jsi = 6;
		a.last_token_id = 7;
		a.li = 8;
		bson_init(&doc);
		loco_syncmsg_res_encode(&a, &doc);
		ok(loco_syncmsg_res_decode(&doc, &b, &err) == 0 &&
		        b.status == -1 && b.is_ok && b.n_chatlogs == 2 &&
		        chatlog_eq(&a.chatlogs[0], &b.chatlogs[0]) &&
		        chatlog_eq(&a.chatlogs[1], &b.chatlogs[1]) &&
		        b.min_log_id == 5 && b.jsi == 6 &&
		        b.last_token_id == 7 && b.li == 8,
		    "SYNCMSG response round trip");
		loco_syncmsg_res_release(&b);
		loco_syncmsg_res_release(&a);
		bson_destroy(&doc);
	}
	{
		struct loco_mchatlogs_req a = {0}, b;

		a.n_chats = 2;
		a.chat_ids = calloc(2, sizeof *a.chat_ids);
		a.sinces = calloc(2, sizeof *a.sinces);
		a.chat_ids[0] = INT64_C(9007199254740993);
		a.chat_ids[1] = -1;
		a.sinces[0] = 10;
		a.sinces[1] = INT64_MAX;
		bson_init(&doc);
		loco_mchatlogs_req_encode(&a, &doc);
		ok(loco_mchatlogs_req_decode(&doc, &b, &err) == 0 &&
		        b.n_chats == 2 && b.chat_ids[0] == a.chat_ids[0] &&
		        b.chat_ids[1] == -1 && b.sinces[0] == 10 &&
		        b.sinces[1] == INT64_MAX,
		    "MCHATLOGS request round trip");
		loco_mchatlogs_req_release(&b);
		loco_mchatlogs_req_release(&a);
		bson_destroy(&doc);
	}
	{
		struct loco_mchatlogs_res a = {0}, b;

		a.status = 3;
		a.n_chatlogs = 1;
		a.chatlogs = calloc(1, sizeof *a.chatlogs);
		fill_chatlog(&a.chatlogs[0], 100);
		a.eof = true;
		bson_init(&doc);
		loco_mchatlogs_res_encode(&a, &doc);
		ok(loco_mchatlogs_res_decode(&doc, &b, &err) == 0 &&
		        b.status == 3 && b.n_chatlogs == 1 &&
		        chatlog_eq(&a.chatlogs[0], &b.chatlogs[0]) && b.eof,
		    "MCHATLOGS response round trip");
		loco_mchatlogs_res_release(&b);
		loco_mchatlogs_res_release(&a);
		bson_destroy(&doc);
	}
	{
		struct loco_deletemsg_req a = {INT64_MAX, INT64_MIN}, b;

		bson_init(&doc);
		loco_deletemsg_req_encode(&a, &doc);
		ok(loco_deletemsg_req_decode(&doc, &b, &err) == 0 &&
		        b.chat_id == INT64_MAX && b.log_id == INT64_MIN,
		    "DELETEMSG round trip");
		loco_deletemsg_req_release(&b);
		bson_destroy(&doc);
	}
	{
		struct loco_action_req a = {1, 2, 3}, b;

		bson_init(&doc);
		loco_action_req_encode(&a, &doc);
		ok(loco_action_req_decode(&doc, &b, &err) == 0 &&
		        b.chat_id == 1 && b.log_id == 2 && b.type == 3,
		    "ACTION round trip");
		loco_action_req_release(&b);
		bson_destroy(&doc);
	}
	{
		struct loco_notiread_req a = {1, 2, 3}, b;

		bson_init(&doc);
		loco_notiread_req_encode(&a, &doc);
		ok(loco_notiread_req_decode(&doc, &b, &err) == 0 &&
		        b.chat_id == 1 && b.watermark == 2 && b.li == 3,
		    "NOTIREAD round trip");
		loco_notiread_req_release(&b);
		bson_destroy(&doc);
	}
	{
		struct loco_status_res a = {-950}, b;

		bson_init(&doc);
		loco_status_res_encode(&a, &doc);
		ok(loco_status_res_decode(&doc, &b, &err) == 0 &&
		        b.status == -950,
		    "status round trip");
		loco_status_res_release(&b);
		bson_destroy(&doc);
	}
	{
		struct loco_syncdlmsg_push a = {0}, b;
		struct loco_feed f = {0};

		a.chat_id = 1;
		a.log_id = INT64_C(9007199254740993);
		a.hidden = true;
		a.has_chatlog = true;
		fill_chatlog(&a.chatlog, 50);
		a.chatlog.type = LOCO_MSG_FEED;
		free(a.chatlog.message);
		f.feed_type = LOCO_FEED_DELETE_TO_ALL;
		f.log_id = a.log_id;
		f.hidden = true;
		a.chatlog.message = loco_feed_encode(&f);
		bson_init(&doc);
		loco_syncdlmsg_push_encode(&a, &doc);
		ok(loco_syncdlmsg_push_decode(&doc, &b, &err) == 0 &&
		        b.chat_id == 1 && b.log_id == a.log_id && b.hidden &&
		        b.has_chatlog && chatlog_eq(&a.chatlog, &b.chatlog),
		    "SYNCDLMSG round trip");
		loco_syncdlmsg_push_release(&b);
		loco_syncdlmsg_push_release(&a);
		bson_destroy(&doc);
	}
	{
		struct loco_syncaction_push a = {1, 2, 3, 4}, b;

		bson_init(&doc);
		loco_syncaction_push_encode(&a, &doc);
		ok(loco_syncaction_push_decode(&doc, &b, &err) == 0 &&
		        b.user_id == 1 && b.chat_id == 2 && b.type == 3 &&
		        b.log_id == 4,
		    "SYNCACTION round trip");
		loco_syncaction_push_release(&b);
		bson_destroy(&doc);
	}
	{
		struct loco_syncrewr_push a, b;

		fill_chatlog(&a.chatlog, 70);
		bson_init(&doc);
		loco_syncrewr_push_encode(&a, &doc);
		ok(loco_syncrewr_push_decode(&doc, &b, &err) == 0 &&
		        chatlog_eq(&a.chatlog, &b.chatlog),
		    "SYNCREWR round trip");
		loco_syncrewr_push_release(&b);
		loco_syncrewr_push_release(&a);
		bson_destroy(&doc);
	}
	{
		struct loco_decunread_push a = {1, 2, 3}, b;

		bson_init(&doc);
		loco_decunread_push_encode(&a, &doc);
		ok(loco_decunread_push_decode(&doc, &b, &err) == 0 &&
		        b.chat_id == 1 && b.user_id == 2 && b.watermark == 3,
		    "DECUNREAD round trip");
		loco_decunread_push_release(&b);
		bson_destroy(&doc);
	}
}

int
main(void)
{
	size_t i;
	bson_t doc;

	tap_init(0);
	test_vectors();
	for (i = 0; i < sizeof codecs / sizeof codecs[0]; i++)
		run_table(&codecs[i]);
	test_msg_shapes();
	test_syncdlmsg_shapes();
	test_responses();
	test_mchatlogs();
	test_roundtrips();

	/* The fuzz entry point on every full body. */
	for (i = 0; i < sizeof codecs / sizeof codecs[0]; i++) {
		codecs[i].build(&doc);
		loco_msg_fuzz_decode_all(&doc);
		bson_destroy(&doc);
	}
	ok(true, "fuzz entry point survives every body");
	return done_testing();
}
