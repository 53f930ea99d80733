/* locoirc: see LICENSE.
 *
 * Tests for the message type table, the chatLog codec and the JSON helpers
 * (attachments, feeds). The chatLog known-answer vector below was written
 * out by hand from the BSON specification, element by element; the JSON
 * expectations are hand-written text in libbson's relaxed format.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>

#include "bodycheck.h"
#include "loco-bson.h"
#include "loco-chatlog.h"
#include "loco-error.h"
#include "loco-msgtype.h"
#include "tap.h"

static void build_chatlog(bson_t *doc);
static int chatlog_roundtrip(const bson_t *doc, bson_t *out,
    struct loco_error *err);
static void test_msgtype(void);
static void test_chatlog_vector(void);
static void test_chatlog_liberal(void);
static void test_chatlog_errors(void);
static void test_chatlog_misc(void);
static void test_chatlog_array(void);
static void test_attachment_parse(void);
static void test_attachment(void);
static void test_feed(void);
static void test_fuzz_entry(void);

/* A chatLog with small ids (so they fit int32 and double exactly). */
static void
build_chatlog(bson_t *doc)
{
	bson_init(doc);
	bson_append_int64(doc, "logId", -1, 1001);
	bson_append_int64(doc, "prevId", -1, 1000);
	bson_append_int64(doc, "chatId", -1, 77);
	bson_append_int32(doc, "type", -1, 1);
	bson_append_int64(doc, "authorId", -1, 5);
	bson_append_utf8(doc, "message", -1, "hello", -1);
	bson_append_utf8(doc, "attachment", -1, "{}", -1);
	bson_append_int32(doc, "sendAt", -1, 1700000000);
	bson_append_int64(doc, "msgId", -1, 3);
	bson_append_utf8(doc, "supplement", -1, "{}", -1);
	bson_append_int32(doc, "referer", -1, 2);
}

/* Decode doc as a chatLog and encode it again into out (initialised). */
static int
chatlog_roundtrip(const bson_t *doc, bson_t *out, struct loco_error *err)
{
	struct loco_chatlog cl;

	bson_init(out);
	if (loco_chatlog_decode(doc, &cl, err) != 0)
		return -1;
	loco_chatlog_encode(&cl, out);
	loco_chatlog_release(&cl);
	return 0;
}

/* The type table: numbering (decision 5), names, flags, deleted bit. */
static void
test_msgtype(void)
{
	const struct loco_msgtype_info *t;
	size_t n, i, j;
	bool sorted = true, unique = true, back = true;

	is_str(loco_msgtype_name(0), "feed");
	is_str(loco_msgtype_name(1), "text");
	is_str(loco_msgtype_name(2), "photo");
	is_str(loco_msgtype_name(3), "video");
	is_str(loco_msgtype_name(5), "audio");
	is_str(loco_msgtype_name(12), "sticker");
	is_str(loco_msgtype_name(14), "vote");
	is_str(loco_msgtype_name(18), "file");
	is_str(loco_msgtype_name(25), "stickergif");
	is_str(loco_msgtype_name(26), "reply");
	is_str(loco_msgtype_name(27), "multiphoto");
	is_str(loco_msgtype_name(98), "openpost");
	is_str(loco_msgtype_name(10), "unknown");
	is_str(loco_msgtype_name(-1), "unknown");
	is_str(loco_msgtype_name(99999), "unknown");
	is_str(loco_msgtype_name(16384 + 2), "photo");
	is_str(loco_msgtype_name(0x4000 | 26), "reply");
	is_str(loco_msgtype_name(0x4000 | 10), "unknown");
	is_str(loco_msgtype_label(2), "Photo");
	is_str(loco_msgtype_label(4242), "Unknown");
	is_int(loco_msgtype_base(0x4000 | 18), ==, 18);
	is_int(loco_msgtype_base(1), ==, 1);
	ok(loco_msgtype_is_deleted(16385), "16385 is deleted");
	ok(!loco_msgtype_is_deleted(1), "1 is not deleted");
	is_int(LOCO_MSGTYPE_DELETED_BIT, ==, 16384);
	is_int(LOCO_MSG_TEXT, ==, 1);
	is_int(LOCO_MSG_REPLY, ==, 26);
	is_int(LOCO_MSG_MULTIPHOTO, ==, 27);
	is_int(loco_msgtype_from_name("reply"), ==, 26);
	is_int(loco_msgtype_from_name("feed"), ==, 0);
	is_int(loco_msgtype_from_name("Reply"), ==, -1);
	is_int(loco_msgtype_from_name("nope"), ==, -1);
	is_int(loco_msgtype_from_name(NULL), ==, -1);
	ok(loco_msgtype_lookup(11) != NULL &&
	        loco_msgtype_lookup(11)->type == 11,
	    "lookup 11");
	ok(loco_msgtype_lookup(19) == NULL, "19 is not a type");
	ok(loco_msgtype_is_media(2) && loco_msgtype_is_media(3) &&
	        loco_msgtype_is_media(5) && loco_msgtype_is_media(18) &&
	        loco_msgtype_is_media(27) && loco_msgtype_is_media(0x4000 | 2),
	    "photo/video/audio/file/multiphoto are media");
	ok(!loco_msgtype_is_media(1) && !loco_msgtype_is_media(26) &&
	        !loco_msgtype_is_media(12) && !loco_msgtype_is_media(77),
	    "text/reply/sticker/unknown are not media");
	ok(loco_msgtype_has_attachment(26) && loco_msgtype_has_attachment(2) &&
	        !loco_msgtype_has_attachment(1) &&
	        !loco_msgtype_has_attachment(0),
	    "attachment flags");

	t = loco_msgtype_table(&n);
	is_uint(n, ==, 36);
	for (i = 0; i < n; i++) {
		if (i > 0 && t[i - 1].type >= t[i].type)
			sorted = false;
		for (j = i + 1; j < n; j++) {
			if (strcmp(t[i].name, t[j].name) == 0)
				unique = false;
		}
		if (loco_msgtype_by_name(t[i].name) != &t[i] ||
		    loco_msgtype_lookup(t[i].type) != &t[i] ||
		    t[i].label == NULL || t[i].label[0] == '\0')
			back = false;
	}
	ok(sorted, "table ascending");
	ok(unique, "names unique");
	ok(back, "every row found by name and by number");

	is_str(loco_feed_type_name(14), "delete_to_all");
	is_str(loco_feed_type_name(1), "invite");
	is_str(loco_feed_type_name(-1), "local_leave");
	is_str(loco_feed_type_name(9), "unknown");
	is_int(LOCO_FEED_DELETE_TO_ALL, ==, 14);
}

/* The hand-written chatLog: decode field by field, encode byte for byte. */
static void
test_chatlog_vector(void)
{
	/*
	 * 174 bytes = 4 (length) + 169 (elements) + 1 (terminator).
	 */
	static const char hex[] =
	    "ae 00 00 00"                         /* document length 174 */
	    "12 6c 6f 67 49 64 00"                /* int64 "logId" */
	    "01 00 00 00 00 00 20 00"             /*   2^53 + 1 */
	    "12 70 72 65 76 49 64 00"             /* int64 "prevId" */
	    "05 00 00 00 00 00 00 00"             /*   5 */
	    "12 63 68 61 74 49 64 00"             /* int64 "chatId" */
	    "55 44 33 22 11 00 00 00"             /*   0x1122334455 */
	    "10 74 79 70 65 00"                   /* int32 "type" */
	    "01 00 00 00"                         /*   1 (text) */
	    "12 61 75 74 68 6f 72 49 64 00"       /* int64 "authorId" */
	    "2a 00 00 00 00 00 00 00"             /*   42 */
	    "02 6d 65 73 73 61 67 65 00"          /* string "message" */
	    "03 00 00 00 68 69 00"                /*   len 3, "hi" */
	    "02 61 74 74 61 63 68 6d 65 6e 74 00" /* string "attachment" */
	    "03 00 00 00 7b 7d 00"                /*   len 3, "{}" */
	    "10 73 65 6e 64 41 74 00"             /* int32 "sendAt" */
	    "00 f1 53 65"                         /*   1700000000 */
	    "12 6d 73 67 49 64 00"                /* int64 "msgId" */
	    "07 00 00 00 00 00 00 00"             /*   7 */
	    "02 73 75 70 70 6c 65 6d 65 6e 74 00" /* string "supplement" */
	    "03 00 00 00 7b 7d 00"                /*   len 3, "{}" */
	    "10 72 65 66 65 72 65 72 00"          /* int32 "referer" */
	    "02 00 00 00"                         /*   2 (bot) */
	    "00";                                 /* end of document */
	struct loco_chatlog cl;
	struct loco_error err;
	uint8_t *bytes;
	size_t len;
	bson_t doc, out;

	bytes = tap_hex(hex, &len);
	is_uint(len, ==, 174);
	ok(bson_init_static(&doc, bytes, len), "vector is a BSON document");
	ok(loco_bson_check(bytes, len, NULL) == 0, "vector passes the check");
	if (!ok(loco_chatlog_decode(&doc, &cl, &err) == 0, "decode vector"))
		diag("%s", err.msg);
	is_int(cl.log_id, ==, INT64_C(9007199254740993));
	is_int(cl.prev_id, ==, 5);
	is_int(cl.chat_id, ==, INT64_C(0x1122334455));
	is_int(cl.type, ==, 1);
	is_int(cl.author_id, ==, 42);
	is_str(cl.message, "hi");
	is_str(cl.attachment, "{}");
	is_int(cl.send_at, ==, 1700000000);
	is_int(cl.msg_id, ==, 7);
	is_str(cl.supplement, "{}");
	is_int(cl.referer, ==, 2);

	bson_init(&out);
	loco_chatlog_encode(&cl, &out);
	is_mem(bson_get_data(&out), out.len, bytes, len);
	bson_destroy(&out);
	loco_chatlog_release(&cl);
	ok(cl.message == NULL && cl.log_id == 0, "release zeroes");
	free(bytes);
}

/* Ids as int32/int64/double; int32 fields as int64. */
static void
test_chatlog_liberal(void)
{
	static const char *ids[] = {"logId", "prevId", "chatId", "authorId",
	    "msgId"};
	static const char *i32s[] = {"type", "sendAt", "referer"};
	struct loco_error err;
	bson_t base, ref, var, out;
	size_t i;
	int v;

	build_chatlog(&base);
	ok(chatlog_roundtrip(&base, &ref, &err) == 0, "base chatLog decodes");
	for (i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		for (v = V_INT32; v <= V_DOUBLE; v++) {
			bodycheck_replace_key(&base, ids[i],
			    (enum bodycheck_variant)v, &var);
			ok(chatlog_roundtrip(&var, &out, &err) == 0 &&
			        bson_equal(&out, &ref),
			    "chatLog %s as variant %d", ids[i], v);
			bson_destroy(&var);
			bson_destroy(&out);
		}
		bodycheck_replace_key(&base, ids[i], V_FRACTION, &var);
		ok(chatlog_roundtrip(&var, &out, &err) == -1 &&
		        err.code == LOCO_ERR_TYPE,
		    "chatLog %s = 1.5 is a type error", ids[i]);
		bson_destroy(&var);
		bson_destroy(&out);
		bodycheck_replace_key(&base, ids[i], V_HUGE, &var);
		ok(chatlog_roundtrip(&var, &out, &err) == -1 &&
		        err.code == LOCO_ERR_TYPE,
		    "chatLog %s = 1e19 is a type error", ids[i]);
		bson_destroy(&var);
		bson_destroy(&out);
	}
	for (i = 0; i < sizeof i32s / sizeof i32s[0]; i++) {
		bodycheck_replace_key(&base, i32s[i], V_INT64, &var);
		ok(chatlog_roundtrip(&var, &out, &err) == 0 &&
		        bson_equal(&out, &ref),
		    "chatLog %s as int64", i32s[i]);
		bson_destroy(&var);
		bson_destroy(&out);
		bodycheck_replace_key(&base, i32s[i], V_WIDE, &var);
		ok(chatlog_roundtrip(&var, &out, &err) == -1 &&
		        err.code == LOCO_ERR_TYPE,
		    "chatLog %s = 2^40 is a type error", i32s[i]);
		bson_destroy(&var);
		bson_destroy(&out);
	}
	bson_destroy(&ref);
	bson_destroy(&base);
}

/* Missing required keys, wrong types, optional keys absent, bad UTF-8. */
static void
test_chatlog_errors(void)
{
	static const char *required[] = {"logId", "chatId", "type", "authorId"};
	static const char *all[] = {"logId", "prevId", "chatId", "type",
	    "authorId", "message", "attachment", "sendAt", "msgId",
	    "supplement", "referer"};
	static const char *strs[] = {"message", "attachment", "supplement"};
	struct loco_chatlog cl;
	struct loco_error err;
	bson_t base, var;
	size_t i;
	char **field;

	build_chatlog(&base);
	for (i = 0; i < sizeof required / sizeof required[0]; i++) {
		bodycheck_replace_key(&base, required[i], V_DROP, &var);
		ok(loco_chatlog_decode(&var, &cl, &err) == -1 &&
		        err.code == LOCO_ERR_MISSING &&
		        strstr(err.msg, required[i]) != NULL &&
		        strstr(err.msg, "chatLog") != NULL,
		    "missing %s: %s", required[i], err.msg);
		ok(cl.message == NULL, "nothing to release after failure");
		bson_destroy(&var);
	}
	for (i = 0; i < sizeof all / sizeof all[0]; i++) {
		bodycheck_replace_key(&base, all[i], V_DOC, &var);
		ok(loco_chatlog_decode(&var, &cl, &err) == -1 &&
		        err.code == LOCO_ERR_TYPE &&
		        strstr(err.msg, all[i]) != NULL,
		    "%s as a document: %s", all[i], err.msg);
		bson_destroy(&var);
	}
	for (i = 0; i < sizeof strs / sizeof strs[0]; i++) {
		bodycheck_replace_key(&base, strs[i], V_BAD_UTF8, &var);
		ok(loco_chatlog_decode(&var, &cl, &err) == 0, "bad UTF-8 in %s",
		    strs[i]);
		field = strcmp(strs[i], "message") == 0  ? &cl.message
		    : strcmp(strs[i], "attachment") == 0 ? &cl.attachment
		                                         : &cl.supplement;
		is_str(*field,
		    "a\xef\xbf\xbd"
		    "b");
		loco_chatlog_release(&cl);
		bson_destroy(&var);
	}
	bson_destroy(&base);

	/* Only the required keys: every optional one takes its default. */
	bson_init(&base);
	bson_append_int32(&base, "logId", -1, 9);
	bson_append_int32(&base, "chatId", -1, 8);
	bson_append_int32(&base, "type", -1, 0x4000 | 2);
	bson_append_int32(&base, "authorId", -1, 7);
	bson_append_null(&base, "message", -1);
	ok(loco_chatlog_decode(&base, &cl, &err) == 0, "minimal chatLog");
	ok(cl.log_id == 9 && cl.chat_id == 8 && cl.author_id == 7 &&
	        cl.type == (0x4000 | 2) && cl.prev_id == 0 && cl.send_at == 0 &&
	        cl.msg_id == 0 && cl.referer == 0 && cl.message == NULL &&
	        cl.attachment == NULL && cl.supplement == NULL,
	    "defaults for absent keys (null counts as absent)");
	loco_chatlog_release(&cl);
	bson_destroy(&base);
}

/* Copy, append as sub-document, round trip of a full struct. */
static void
test_chatlog_misc(void)
{
	struct loco_chatlog a = {0}, b, c;
	struct loco_error err;
	bson_t doc, sub;

	a.log_id = INT64_C(9223372036854775807);
	a.prev_id = INT64_C(-2);
	a.chat_id = INT64_C(18000000000000001);
	a.author_id = INT64_C(4000000000);
	a.type = 0x4000 | 26;
	a.send_at = INT32_MAX;
	a.msg_id = INT64_C(-9223372036854775807) - 1;
	a.message = strdup("\xed\x95\x9c\xea\xb8\x80 text");
	a.attachment = strdup("{\"src_logId\":1}");
	a.supplement = strdup("{\"x\":1}");
	a.referer = 1;

	loco_chatlog_copy(&b, &a);
	ok(b.message != a.message && strcmp(b.message, a.message) == 0 &&
	        b.attachment != a.attachment && b.supplement != a.supplement &&
	        b.log_id == a.log_id,
	    "copy is deep");
	loco_chatlog_release(&b);

	bson_init(&doc);
	loco_chatlog_append(&doc, "chatLog", &a);
	ok(loco_bson_get_doc(&doc, "chatLog", &sub) == 1, "appended as doc");
	if (!ok(loco_chatlog_decode(&sub, &c, &err) == 0, "round trip"))
		diag("%s", err.msg);
	ok(c.log_id == a.log_id && c.prev_id == a.prev_id &&
	        c.chat_id == a.chat_id && c.author_id == a.author_id &&
	        c.type == a.type && c.send_at == a.send_at &&
	        c.msg_id == a.msg_id && c.referer == a.referer,
	    "numbers survive");
	is_str(c.message, a.message);
	is_str(c.attachment, a.attachment);
	is_str(c.supplement, a.supplement);
	loco_chatlog_release(&c);
	bson_destroy(&doc);
	loco_chatlog_release(&a);
}

/* Arrays of chatLogs as SYNCMSG/MCHATLOGS carry them. */
static void
test_chatlog_array(void)
{
	struct loco_chatlog v[3], *got = NULL;
	struct loco_error err;
	bson_t doc, arr, one;
	size_t n = 99, i;

	memset(v, 0, sizeof v);
	for (i = 0; i < 3; i++) {
		v[i].log_id = 10 + (int64_t)i;
		v[i].chat_id = 1;
		v[i].author_id = 2;
		v[i].type = 1;
		v[i].message = NULL;
	}
	bson_init(&doc);
	loco_chatlog_append_array(&doc, "chatLogs", v, 3);
	ok(loco_chatlog_decode_array(&doc, "T", "chatLogs", &got, &n, &err) ==
	        0,
	    "array decodes");
	ok(n == 3 && got[0].log_id == 10 && got[2].log_id == 12,
	    "three in order");
	loco_chatlog_array_free(got, n);
	ok(loco_chatlog_decode_array(&doc, "T", "absent", &got, &n, &err) ==
	            0 &&
	        got == NULL && n == 0,
	    "absent array is empty");
	bson_destroy(&doc);

	/* An element that is not a document. */
	bson_init(&doc);
	bson_append_array_begin(&doc, "chatLogs", -1, &arr);
	bson_init(&one);
	loco_chatlog_encode(&v[0], &one);
	bson_append_document(&arr, "0", -1, &one);
	bson_append_int32(&arr, "1", -1, 5);
	bson_append_array_end(&doc, &arr);
	got = NULL;
	n = 77;
	ok(loco_chatlog_decode_array(&doc, "T", "chatLogs", &got, &n, &err) ==
	            -1 &&
	        err.code == LOCO_ERR_TYPE && strstr(err.msg, "[1]") != NULL &&
	        got == NULL && n == 77,
	    "non-document element: %s", err.msg);
	bson_destroy(&doc);

	/* An element missing logId. */
	bson_init(&doc);
	bson_append_array_begin(&doc, "chatLogs", -1, &arr);
	bson_append_document(&arr, "0", -1, &one);
	bson_destroy(&one);
	bson_init(&one);
	bson_append_int64(&one, "chatId", -1, 1);
	bson_append_document(&arr, "1", -1, &one);
	bson_append_array_end(&doc, &arr);
	ok(loco_chatlog_decode_array(&doc, "T", "chatLogs", &got, &n, &err) ==
	            -1 &&
	        err.code == LOCO_ERR_MISSING &&
	        strstr(err.msg, "T.chatLogs[1]") != NULL,
	    "bad element: %s", err.msg);
	bson_destroy(&one);
	bson_destroy(&doc);

	/* Not an array at all. */
	bson_init(&doc);
	bson_append_utf8(&doc, "chatLogs", -1, "x", -1);
	ok(loco_chatlog_decode_array(&doc, "T", "chatLogs", &got, &n, &err) ==
	            -1 &&
	        err.code == LOCO_ERR_TYPE,
	    "string instead of array");
	bson_destroy(&doc);
}

/* JSON text into a document: empties, non-objects, precision. */
static void
test_attachment_parse(void)
{
	static const char *empty[] = {"", "  ", "null", " null\n", "{}",
	    " { } "};
	static const char *bad[] = {"[1,2]", "\"x\"", "{", "{} x", "{}{}",
	    "{\"a\":}", "nul", "{\"a\":1.5e400}", "42"};
	struct loco_error err;
	bson_iter_t it;
	bson_t doc;
	size_t i;
	char deep[400];

	ok(loco_attachment_parse(NULL, &doc, &err) == 0 &&
	        bson_count_keys(&doc) == 0,
	    "NULL is empty");
	bson_destroy(&doc);
	for (i = 0; i < sizeof empty / sizeof empty[0]; i++) {
		ok(loco_attachment_parse(empty[i], &doc, &err) == 0 &&
		        bson_count_keys(&doc) == 0,
		    "empty text %zu", i);
		bson_destroy(&doc);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ok(loco_attachment_parse(bad[i], &doc, &err) == -1 &&
		        err.code == LOCO_ERR_MALFORMED &&
		        bson_count_keys(&doc) == 0,
		    "'%s' refused: %s", bad[i], err.msg);
		bson_destroy(&doc);
	}

	/* 2^53 + 1 and 2^63 - 1 are not doubles: they must stay exact. */
	ok(loco_attachment_parse(
	       "{\"a\": 9007199254740993, \"b\": 9223372036854775807, "
	       "\"c\": -9223372036854775808}",
	       &doc, &err) == 0,
	    "big integers parse");
	ok(bson_iter_init_find(&it, &doc, "a") && BSON_ITER_HOLDS_INT64(&it) &&
	        bson_iter_int64(&it) == INT64_C(9007199254740993),
	    "2^53+1 exact");
	ok(bson_iter_init_find(&it, &doc, "b") &&
	        bson_iter_int64(&it) == INT64_MAX,
	    "2^63-1 exact");
	ok(bson_iter_init_find(&it, &doc, "c") &&
	        bson_iter_int64(&it) == INT64_MIN,
	    "-2^63 exact");
	bson_destroy(&doc);

	/* Deep nesting is refused by the reader, not by a crash. */
	memset(deep, '[', sizeof deep);
	deep[0] = '{';
	memcpy(deep + 1, "\"a\":", 4);
	deep[sizeof deep - 1] = '\0';
	ok(loco_attachment_parse(deep, &doc, &err) == -1, "deep nesting");
	bson_destroy(&doc);
}

/* The common attachment keys. */
static void
test_attachment(void)
{
	struct loco_attachment a, b;
	struct loco_error err;
	char *json;

	ok(loco_attachment_decode(
	       "{\"url\":\"https://dn-m.talk.kakao.com/talkm/x.jpg\","
	       "\"k\":\"talkm/x.jpg\",\"s\":123456,\"w\":640,\"h\":480,"
	       "\"thumbnailUrl\":\"https://t/x\",\"cs\":\"abc\",\"mt\":"
	       "\"image/jpeg\"}",
	       &a, &err) == 0,
	    "photo attachment");
	is_str(a.url, "https://dn-m.talk.kakao.com/talkm/x.jpg");
	is_str(a.k, "talkm/x.jpg");
	is_int(a.size, ==, 123456);
	is_int(a.w, ==, 640);
	is_int(a.h, ==, 480);
	is_str(a.thumbnail_url, "https://t/x");
	ok(a.name == NULL && a.src_log_id == 0 && a.n_mentions == 0 &&
	        a.path == NULL && !a.sd,
	    "absent keys stay empty");
	loco_attachment_release(&a);

	ok(loco_attachment_decode("{\"name\":\"report.pdf\",\"size\":"
	                          "5000000000,\"k\":\"f\"}",
	       &a, &err) == 0,
	    "file attachment");
	is_str(a.name, "report.pdf");
	is_int(a.size, ==, INT64_C(5000000000));
	loco_attachment_release(&a);

	ok(loco_attachment_decode("{\"tk\":\"talkv/v.mp4\",\"s\":9}", &a,
	       &err) == 0 &&
	        a.k != NULL && strcmp(a.k, "talkv/v.mp4") == 0,
	    "video key tk");
	loco_attachment_release(&a);

	ok(loco_attachment_decode(
	       "{\"src_logId\":9007199254740993,"
	       "\"src_userId\":\"9223372036854775807\","
	       "\"src_message\":\"quoted \\\"text\\\"\",\"src_type\":1,"
	       "\"mentions\":[{\"user_id\":9007199254740995,\"at\":[1,3],"
	       "\"len\":4},\"junk\",{\"at\":[1]},{\"user_id\":7,\"at\":"
	       "[\"x\",2],\"len\":2}]}",
	       &a, &err) == 0,
	    "reply with mentions");
	is_int(a.src_log_id, ==, INT64_C(9007199254740993));
	is_int(a.src_user_id, ==, INT64_MAX);
	is_str(a.src_message, "quoted \"text\"");
	is_int(a.src_type, ==, 1);
	if (is_uint(a.n_mentions, ==, 2)) {
		ok(a.mentions[0].user_id == INT64_C(9007199254740995) &&
		        a.mentions[0].n_at == 2 && a.mentions[0].at[0] == 1 &&
		        a.mentions[0].at[1] == 3 && a.mentions[0].len == 4,
		    "first mention");
		ok(a.mentions[1].user_id == 7 && a.mentions[1].n_at == 1 &&
		        a.mentions[1].at[0] == 2 && a.mentions[1].len == 2,
		    "second mention, bad entries skipped");
	}

	/* Encode and read back; then the exact text of a small one. */
	json = loco_attachment_encode(&a);
	ok(loco_attachment_decode(json, &b, &err) == 0, "re-decode: %s", json);
	ok(b.src_log_id == a.src_log_id && b.src_user_id == a.src_user_id &&
	        b.n_mentions == 2 && b.mentions[1].at[0] == 2 &&
	        strcmp(b.src_message, a.src_message) == 0,
	    "reply round trip");
	free(json);
	loco_attachment_release(&b);
	loco_attachment_release(&a);

	ok(loco_attachment_decode("{\"path\":\"talkm/long.txt\",\"sd\":true,"
	                          "\"w\":\"wide\",\"h\":1.5,\"url\":5}",
	       &a, &err) == 0,
	    "long text, odd types");
	is_str(a.path, "talkm/long.txt");
	ok(a.sd, "sd");
	ok(a.w == 0 && a.h == 0 && a.url == NULL, "wrong types ignored");
	loco_attachment_release(&a);

	ok(loco_attachment_decode("[]", &a, &err) == -1 &&
	        err.code == LOCO_ERR_MALFORMED && a.url == NULL,
	    "array is not an attachment");

	memset(&a, 0, sizeof a);
	a.src_log_id = INT64_C(9007199254740993);
	a.src_user_id = 42;
	a.src_message = strdup("a\"b\\c\x01\xff");
	a.src_type = 1;
	json = loco_attachment_encode(&a);
	is_str(json,
	    "{ \"src_logId\" : 9007199254740993, \"src_userId\" : "
	    "42, \"src_message\" : \"a\\\"b\\\\c\\u0001\xef\xbf\xbd\", "
	    "\"src_type\" : 1 }");
	free(json);
	loco_attachment_release(&a);

	memset(&a, 0, sizeof a);
	json = loco_attachment_encode(&a);
	is_str(json, "{ }");
	free(json);
}

/* Feed JSON: decode the shapes of 2.14, encode exactly. */
static void
test_feed(void)
{
	struct loco_feed f, g;
	struct loco_error err;
	char *json;

	ok(loco_feed_decode("{\"feedType\":1,\"inviter\":{\"userId\":10,"
	                    "\"nickName\":\"Ann\"},\"members\":[{\"userId\":"
	                    "9007199254740993,\"nickName\":\"Bob\"},"
	                    "{\"userId\":\"12\"}]}",
	       &f, &err) == 0,
	    "invite feed");
	is_int(f.feed_type, ==, LOCO_FEED_INVITE);
	ok(f.has_inviter && f.inviter.user_id == 10 &&
	        strcmp(f.inviter.nickname, "Ann") == 0,
	    "inviter");
	if (is_uint(f.n_members, ==, 2)) {
		is_int(f.members[0].user_id, ==, INT64_C(9007199254740993));
		is_str(f.members[0].nickname, "Bob");
		is_int(f.members[1].user_id, ==, 12);
		ok(f.members[1].nickname == NULL, "absent nickName");
	}
	ok(!f.has_member, "no member");
	json = loco_feed_encode(&f);
	is_str(json,
	    "{ \"feedType\" : 1, \"inviter\" : { \"userId\" : 10, "
	    "\"nickName\" : \"Ann\" }, \"members\" : [ { \"userId\" : "
	    "9007199254740993, \"nickName\" : \"Bob\" }, { "
	    "\"userId\" : 12, \"nickName\" : \"\" } ] }");
	free(json);
	loco_feed_release(&f);

	ok(loco_feed_decode("{\"feedType\":2,\"member\":{\"userId\":5,"
	                    "\"nickName\":\"Cy\"}}",
	       &f, &err) == 0 &&
	        f.feed_type == 2 && f.has_member && f.member.user_id == 5 &&
	        f.n_members == 0,
	    "leave feed");
	loco_feed_release(&f);

	ok(loco_feed_decode("{\"feedType\":14,\"logId\":9223372036854775000,"
	                    "\"hidden\":true}",
	       &f, &err) == 0,
	    "delete feed");
	ok(f.feed_type == 14 && f.log_id == INT64_C(9223372036854775000) &&
	        f.hidden,
	    "delete feed fields");
	json = loco_feed_encode(&f);
	is_str(json,
	    "{ \"feedType\" : 14, \"logId\" : 9223372036854775000, "
	    "\"hidden\" : true }");
	free(json);
	loco_feed_release(&f);

	ok(loco_feed_decode("{\"feedType\":\"14\",\"logId\":\"77\"}", &f,
	       &err) == 0 &&
	        f.feed_type == 14 && f.log_id == 77 && !f.hidden,
	    "quoted integers accepted");
	loco_feed_release(&f);

	ok(loco_feed_decode("{\"logId\":1}", &f, &err) == -1 &&
	        err.code == LOCO_ERR_MISSING &&
	        strstr(err.msg, "feedType") != NULL,
	    "missing feedType: %s", err.msg);
	ok(loco_feed_decode("", &f, &err) == -1 && err.code == LOCO_ERR_MISSING,
	    "empty feed text");
	ok(loco_feed_decode("{\"feedType\":\"x\"}", &f, &err) == -1 &&
	        err.code == LOCO_ERR_TYPE,
	    "feedType not a number");
	ok(loco_feed_decode("{\"feedType\":1.5}", &f, &err) == -1 &&
	        err.code == LOCO_ERR_TYPE,
	    "feedType 1.5");
	ok(loco_feed_decode("{\"feedType\":4294967296}", &f, &err) == -1 &&
	        err.code == LOCO_ERR_TYPE,
	    "feedType over int32");
	ok(loco_feed_decode("{\"feedType\":1,\"members\":{}}", &f, &err) ==
	            -1 &&
	        err.code == LOCO_ERR_TYPE,
	    "members not an array");
	ok(loco_feed_decode("{\"feedType\":1,\"members\":[{\"userId\":1},2]}",
	       &f, &err) == -1 &&
	        err.code == LOCO_ERR_TYPE && f.members == NULL,
	    "members element not an object: %s", err.msg);
	ok(loco_feed_decode("{\"feedType\":1,\"members\":[{\"nickName\":"
	                    "\"x\"}]}",
	       &f, &err) == -1 &&
	        err.code == LOCO_ERR_MISSING &&
	        strstr(err.msg, "members[0]") != NULL,
	    "member without userId: %s", err.msg);
	ok(loco_feed_decode("{\"feedType\":2,\"member\":[]}", &f, &err) == -1 &&
	        err.code == LOCO_ERR_TYPE,
	    "member not an object");
	ok(loco_feed_decode("{\"feedType\":2,\"member\":{\"userId\":1,"
	                    "\"nickName\":3}}",
	       &f, &err) == -1 &&
	        err.code == LOCO_ERR_TYPE,
	    "nickName not a string");
	ok(loco_feed_decode("{\"feedType\":14,\"hidden\":\"yes\"}", &f, &err) ==
	            -1 &&
	        err.code == LOCO_ERR_TYPE,
	    "hidden not a boolean");
	ok(loco_feed_decode("{\"feedType\":14,\"logId\":[]}", &f, &err) == -1 &&
	        err.code == LOCO_ERR_TYPE,
	    "logId not a number");
	ok(loco_feed_decode("{\"feedType\":", &f, &err) == -1 &&
	        err.code == LOCO_ERR_MALFORMED,
	    "truncated JSON");

	/* Escaping: the output must parse back to the same strings. */
	memset(&f, 0, sizeof f);
	f.feed_type = LOCO_FEED_LEAVE;
	f.has_member = true;
	f.member.user_id = -1;
	f.member.nickname = strdup("q\"b\\s/\n\t\x01\x7f\xed\x95\x9c\xc0");
	json = loco_feed_encode(&f);
	ok(loco_feed_decode(json, &g, &err) == 0, "escaped JSON parses: %s",
	    json);
	is_str(g.member.nickname,
	    "q\"b\\s/\n\t\x01\x7f\xed\x95\x9c\xef\xbf\xbd");
	ok(g.member.user_id == -1 && g.feed_type == 2 && !g.has_inviter &&
	        g.n_members == 0,
	    "leave round trip");
	free(json);
	loco_feed_release(&g);
	loco_feed_release(&f);

	/* Round trip with every field set. */
	memset(&f, 0, sizeof f);
	f.feed_type = 99;
	f.log_id = 5;
	f.hidden = true;
	f.has_inviter = true;
	f.inviter.user_id = 1;
	f.inviter.nickname = strdup("i");
	f.has_member = true;
	f.member.user_id = 2;
	f.member.nickname = strdup("m");
	f.n_members = 2;
	f.members = calloc(2, sizeof *f.members);
	f.members[0].user_id = 3;
	f.members[0].nickname = strdup("a");
	f.members[1].user_id = INT64_MIN;
	f.members[1].nickname = strdup("b");
	json = loco_feed_encode(&f);
	ok(loco_feed_decode(json, &g, &err) == 0, "full feed decodes");
	ok(g.feed_type == 99 && g.log_id == 5 && g.hidden && g.has_inviter &&
	        g.inviter.user_id == 1 &&
	        strcmp(g.inviter.nickname, "i") == 0 && g.has_member &&
	        g.member.user_id == 2 && strcmp(g.member.nickname, "m") == 0 &&
	        g.n_members == 2 && g.members[0].user_id == 3 &&
	        strcmp(g.members[0].nickname, "a") == 0 &&
	        g.members[1].user_id == INT64_MIN &&
	        strcmp(g.members[1].nickname, "b") == 0,
	    "full feed round trip");
	free(json);
	loco_feed_release(&g);
	loco_feed_release(&f);
	ok(f.members == NULL && f.n_members == 0, "release zeroes");
}

/* The fuzz entry point copes with junk and with real shapes. */
static void
test_fuzz_entry(void)
{
	bson_t doc;

	bson_init(&doc);
	bson_append_utf8(&doc, "a", -1, "{\"feedType\":1,\"members\":[{}]}",
	    -1);
	bson_append_utf8(&doc, "b", -1, "{\"mentions\":[{\"user_id\":1}]}", -1);
	bson_append_utf8(&doc, "c", -1, "\xff{", -1);
	bson_append_int32(&doc, "logId", -1, 1);
	bson_append_int32(&doc, "chatId", -1, 1);
	bson_append_int32(&doc, "type", -1, 1);
	bson_append_int32(&doc, "authorId", -1, 1);
	loco_chatlog_fuzz_decode_all(&doc);
	bson_destroy(&doc);
	ok(true, "fuzz entry survives");
}

int
main(void)
{
	tap_init(0);
	test_msgtype();
	test_chatlog_vector();
	test_chatlog_liberal();
	test_chatlog_errors();
	test_chatlog_misc();
	test_chatlog_array();
	test_attachment_parse();
	test_attachment();
	test_feed();
	test_fuzz_entry();
	return done_testing();
}
