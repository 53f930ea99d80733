/* locoirc: see LICENSE.
 *
 * SHIP, POST and COMPLETE bodies: hand-worked BSON vectors decoded field
 * by field and re-encoded byte for byte, the two spellings of the POST
 * offset (LOCO.md 2.10), COMPLETE with and without a chatLog, and the
 * generic codec checks.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>

#include "bodycheck.h"
#include "loco-media.h"
#include "tap.h"
#include "xmalloc.h"

/* void-pointer wrappers so bodycheck can drive each codec */
#define CODEC_CB(t)                                                            \
	static int t##_dec(const bson_t *d, void *o, struct loco_error *e)     \
	{                                                                      \
		return loco_##t##_decode(d, o, e);                             \
	}                                                                      \
	static void t##_enc(const void *i, bson_t *o)                          \
	{                                                                      \
		loco_##t##_encode(i, o);                                       \
	}                                                                      \
	static void t##_rel(void *x)                                           \
	{                                                                      \
		loco_##t##_release(x);                                         \
	}
#define CODEC(t, k, req, len, resp)                                            \
	{                                                                      \
		.name = #t, .size = sizeof(struct loco_##t),                   \
		.decode = t##_dec, .encode = t##_enc, .release = t##_rel,      \
		.fill = t##_fill, .keys = k, .required = req, .lenient = len,  \
		.verbatim = "", .response = resp                               \
	}

CODEC_CB(ship_req)
CODEC_CB(ship_res)
CODEC_CB(post_req)
CODEC_CB(post_res)
CODEC_CB(complete)

static void ship_req_fill(void *p);
static void ship_res_fill(void *p);
static void post_req_fill(void *p);
static void post_res_fill(void *p);
static void complete_fill(void *p);
static void test_post_req_vector(void);
static void test_ship_req_vector(void);
static void test_post_res_forms(void);
static void test_ship_res_h(void);
static void test_complete(void);

/* Fill a struct loco_ship_req with distinct non-default values. */
static void
ship_req_fill(void *p)
{
	struct loco_ship_req *x = p;

	x->chat_id = 11;
	x->type = 3;
	x->size = 12;
	x->checksum = xstrdup("0123456789abcdef0123456789abcdef01234567");
	x->ext = xstrdup("mp4");
	x->extra = xstrdup("{\"cmt\":\"\"}");
}

/* Fill a struct loco_ship_res with distinct non-default values. */
static void
ship_res_fill(void *p)
{
	struct loco_ship_res *x = p;

	x->key = xstrdup("talkv/1/2.mp4");
	x->host = xstrdup("192.0.2.9");
	x->host6 = xstrdup("2001:db8::9");
	x->port = 5228;
	x->h = xstrdup("unused");
}

/* Fill a struct loco_post_req with distinct non-default values. */
static void
post_req_fill(void *p)
{
	struct loco_post_req *x = p;

	x->user_id = 21;
	x->key = xstrdup("talkm/x/y.jpg");
	x->type = 22;
	x->size = 23;
	x->chat_id = 24;
	x->file_name = xstrdup("y.jpg");
	x->msg_id = 25;
	x->no_seen = true;
	x->width = 26;
	x->height = 27;
	x->os = xstrdup("win32");
	x->app_ver = xstrdup("3.7.0");
	x->ntype = 28;
	x->mccmnc = xstrdup("45006");
	x->extra = xstrdup("{}");
	x->dt = 29;
	x->scp = 30;
}

/* Fill a struct loco_post_res with distinct non-default values. */
static void
post_res_fill(void *p)
{
	struct loco_post_res *x = p;

	x->offset = 31;
}

/* Fill a struct loco_complete with distinct non-default values. */
static void
complete_fill(void *p)
{
	struct loco_complete *x = p;
	struct loco_chatlog *cl = xcalloc(1, sizeof *cl);

	cl->log_id = 41;
	cl->prev_id = 42;
	cl->chat_id = 43;
	cl->author_id = 44;
	cl->type = 2;
	cl->send_at = 45;
	cl->msg_id = 46;
	cl->message = xstrdup("photo");
	cl->attachment = xstrdup("{\"k\":\"talkm/x/y.jpg\"}");
	cl->supplement = xstrdup("{}");
	cl->referer = 1;
	x->chatlog = cl;
}

/* A POST request worked out by hand: every key of LOCO.md 2.10. */
static void
test_post_req_vector(void)
{
	static const char hex[] =
	    "be 00 00 00"                      /* document length 190 */
	    "12 75 00 15 cd 5b 07 00 00 00 00" /* int64 "u" = 123456789 */
	    /* string "k" = "talkm/ab/cd.jpg" (length 16 with the NUL) */
	    "02 6b 00 10 00 00 00 74 61 6c 6b 6d 2f 61 62 2f 63 64 2e 6a 70"
	    "67 00"
	    "10 74 00 02 00 00 00"             /* int32 "t" = 2 (photo) */
	    "12 73 00 00 00 00 00 01 00 00 00" /* int64 "s" = 2^32 */
	    "12 63 00 88 77 66 55 44 33 22 11" /* int64 "c" = 0x1122334455667788 */
	    /* string "f" = "cat.jpg" */
	    "02 66 00 08 00 00 00 63 61 74 2e 6a 70 67 00"
	    /* int64 "mid" = 1700000000123 (0x18bcfe5687b) */
	    "12 6d 69 64 00 7b 68 e5 cf 8b 01 00 00"
	    "08 6e 73 00 01"                      /* bool "ns" = true */
	    "10 77 00 80 02 00 00"                /* int32 "w" = 640 */
	    "10 68 00 e0 01 00 00"                /* int32 "h" = 480 */
	    "02 6f 73 00 04 00 00 00 6d 61 63 00" /* string "os" = "mac" */
	    /* string "av" = "26.2.0" */
	    "02 61 76 00 07 00 00 00 32 36 2e 32 2e 30 00"
	    "10 6e 74 00 00 00 00 00"             /* int32 "nt" = 0 */
	    "02 6d 6d 00 04 00 00 00 39 39 39 00" /* string "mm" = "999" */
	    "02 65 78 00 03 00 00 00 7b 7d 00"    /* string "ex" = "{}" */
	    "10 64 74 00 04 00 00 00"             /* int32 "dt" = 4 */
	    "10 73 63 70 00 01 00 00 00"          /* int32 "scp" = 1 */
	    "00";                                 /* end of document */
	struct loco_post_req r;
	struct loco_error err = {0};
	bson_t *doc = bodycheck_hex_doc(hex);
	bson_t out;

	if (!ok(loco_post_req_decode(doc, &r, &err) == 0,
	        "POST vector decodes")) {
		diag("%s", err.msg);
		bson_destroy(doc);
		return;
	}
	is_int(r.user_id, ==, 123456789);
	is_str(r.key, "talkm/ab/cd.jpg");
	is_int(r.type, ==, 2);
	is_int(r.size, ==, INT64_C(4294967296));
	is_int(r.chat_id, ==, INT64_C(0x1122334455667788));
	is_str(r.file_name, "cat.jpg");
	is_int(r.msg_id, ==, INT64_C(1700000000123));
	ok(r.no_seen, "ns true");
	is_int(r.width, ==, 640);
	is_int(r.height, ==, 480);
	is_str(r.os, "mac");
	is_str(r.app_ver, "26.2.0");
	is_int(r.ntype, ==, 0);
	is_str(r.mccmnc, "999");
	is_str(r.extra, "{}");
	is_int(r.dt, ==, 4);
	is_int(r.scp, ==, 1);
	bson_init(&out);
	loco_post_req_encode(&r, &out);
	is_mem(bson_get_data(&out), out.len, bson_get_data(doc), doc->len);
	bson_destroy(&out);
	loco_post_req_release(&r);
	bson_destroy(doc);
}

/* A SHIP request worked out by hand: a file, negative chat id. */
static void
test_ship_req_vector(void)
{
	static const char hex[] =
	    "69 00 00 00"                      /* document length 105 */
	    "12 63 00 fb ff ff ff ff ff ff ff" /* int64 "c" = -5 */
	    "10 74 00 12 00 00 00"             /* int32 "t" = 18 (file) */
	    "12 73 00 00 00 10 00 00 00 00 00" /* int64 "s" = 1048576 */
	    /* string "cs" = SHA-1 of "" in upper-case hex (length 41) */
	    "02 63 73 00 29 00 00 00"
	    "44 41 33 39 41 33 45 45 35 45 36 42 34 42 30 44 33 32 35 35"
	    "42 46 45 46 39 35 36 30 31 38 39 30 41 46 44 38 30 37 30 39 00"
	    "02 65 00 04 00 00 00 70 64 66 00" /* string "e" = "pdf" */
	    "02 65 78 00 03 00 00 00 7b 7d 00" /* string "ex" = "{}" */
	    "00";                              /* end of document */
	struct loco_ship_req r;
	struct loco_error err = {0};
	bson_t *doc = bodycheck_hex_doc(hex);
	bson_t out;

	if (!ok(loco_ship_req_decode(doc, &r, &err) == 0,
	        "SHIP vector decodes")) {
		diag("%s", err.msg);
		bson_destroy(doc);
		return;
	}
	is_int(r.chat_id, ==, -5);
	is_int(r.type, ==, 18);
	is_int(r.size, ==, 1048576);
	is_str(r.checksum, "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709");
	is_str(r.ext, "pdf");
	is_str(r.extra, "{}");
	bson_init(&out);
	loco_ship_req_encode(&r, &out);
	is_mem(bson_get_data(&out), out.len, bson_get_data(doc), doc->len);
	bson_destroy(&out);
	loco_ship_req_release(&r);
	bson_destroy(doc);
}

/* The offset is "o" (NK) or "offset" (KT); we write "o". */
static void
test_post_res_forms(void)
{
	static const char kt[] =
	    "1d 00 00 00"                         /* document length 29 */
	    "10 73 74 61 74 75 73 00 00 00 00 00" /* int32 "status" = 0 */
	    "10 6f 66 66 73 65 74 00 00 10 00 00" /* int32 "offset" = 4096 */
	    "00";                                 /* end of document */
	static const char nk[] =
	    "1c 00 00 00"                         /* document length 28 */
	    "10 73 74 61 74 75 73 00 00 00 00 00" /* int32 "status" = 0 */
	    "12 6f 00 00 10 00 00 00 00 00 00"    /* int64 "o" = 4096 */
	    "00";                                 /* end of document */
	struct loco_post_res r;
	struct loco_error err = {0};
	bson_t *doc = bodycheck_hex_doc(kt), *want = bodycheck_hex_doc(nk);
	bson_t out;

	if (ok(loco_post_res_decode(doc, &r, &err) == 0,
	        "POST response with offset")) {
		is_int(r.offset, ==, 4096);
		bson_init(&out);
		loco_post_res_encode(&r, &out);
		is_mem(bson_get_data(&out), out.len, bson_get_data(want),
		    want->len);
		bson_destroy(&out);
		loco_post_res_release(&r);
	}
	bson_destroy(doc);
	if (ok(loco_post_res_decode(want, &r, &err) == 0,
	        "POST response with o"))
		is_int(r.offset, ==, 4096);
	bson_destroy(want);

	doc = BCON_NEW("o", BCON_INT32(7), "offset", BCON_INT32(9));
	if (ok(loco_post_res_decode(doc, &r, NULL) == 0, "o and offset"))
		is_int(r.offset, ==, 7);
	bson_destroy(doc);
	doc = BCON_NEW("offset", BCON_UTF8("7"));
	ok(loco_post_res_decode(doc, &r, &err) == -1 &&
	        err.code == LOCO_ERR_TYPE && strstr(err.msg, "'offset'"),
	    "offset as a string is a type error");
	bson_destroy(doc);
	doc = BCON_NEW("o", BCON_INT64(-1));
	ok(loco_post_res_decode(doc, &r, &err) == -1 &&
	        err.code == LOCO_ERR_RANGE,
	    "a negative offset is a range error");
	bson_destroy(doc);
}

/* SHIP's "h" has no known type: anything but a string is ignored. */
static void
test_ship_res_h(void)
{
	struct loco_ship_res r;
	bson_t *doc = BCON_NEW("status", BCON_INT32(0), "k", BCON_UTF8("k"),
	    "vh", BCON_UTF8("h"), "p", BCON_INT32(1), "h", BCON_INT32(5));

	if (ok(loco_ship_res_decode(doc, &r, NULL) == 0, "SHIP with int h")) {
		ok(r.h == NULL && r.port == 1, "int h ignored");
		loco_ship_res_release(&r);
	}
	bson_destroy(doc);
}

/* COMPLETE carries the posted message, or only a failing status. */
static void
test_complete(void)
{
	struct loco_complete c;
	struct loco_error err = {0};
	bson_t *doc;

	doc = BCON_NEW("status", BCON_INT32(-306));
	if (ok(loco_complete_decode(doc, &c, &err) == 0,
	        "COMPLETE failure without chatLog")) {
		ok(c.status == -306 && c.chatlog == NULL, "status, no log");
		loco_complete_release(&c);
	}
	bson_destroy(doc);
	doc = BCON_NEW("chatLog", "{", "logId", BCON_INT32(1), "chatId",
	    BCON_INT32(2), "authorId", BCON_INT32(3), "type", BCON_INT32(2),
	    "}");
	if (ok(loco_complete_decode(doc, &c, &err) == 0,
	        "COMPLETE without status is success")) {
		ok(c.chatlog != NULL && c.chatlog->log_id == 1 &&
		        c.chatlog->chat_id == 2 && c.chatlog->type == 2,
		    "chatLog read");
		loco_complete_release(&c);
	}
	bson_destroy(doc);
	doc = BCON_NEW("status", BCON_INT32(0), "chatLog", "{", "logId",
	    BCON_INT32(1), "}");
	ok(loco_complete_decode(doc, &c, &err) == -1 &&
	        err.code == LOCO_ERR_MISSING,
	    "COMPLETE with a bad chatLog fails");
	bson_destroy(doc);
}

/* Run the vectors, the targeted cases and the generic checks. */
int
main(void)
{
	static const struct bodycheck codecs[] = {
	    CODEC(ship_req, "c t s cs e ex", "c t s", "", false),
	    CODEC(ship_res, "status k vh vh6 p h", "k vh p", "h", true),
	    CODEC(post_req, "u k t s c f mid ns w h os av nt mm ex dt scp",
	        "k s c", "", false),
	    CODEC(post_res, "status o", "", "", true),
	    CODEC(complete, "status chatLog chatLog/logId chatLog/referer",
	        "chatLog", "", true),
	};
	size_t i;

	tap_init(0);
	test_post_req_vector();
	test_ship_req_vector();
	test_post_res_forms();
	test_ship_res_h();
	test_complete();
	for (i = 0; i < sizeof codecs / sizeof codecs[0]; i++)
		bodycheck_run(&codecs[i]);
	return done_testing();
}
