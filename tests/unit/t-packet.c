/* locoirc: see LICENSE.
 *
 * Packet codec tests. The byte vectors here were worked out by hand from
 * the header layout in LOCO.md 1.1 and the BSON specification, so a bug
 * shared by our encoder and decoder cannot pass.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "loco-packet.h"
#include "tap.h"

/* GETCONF, packet id 1, status 0, body type 0, body length 32. */
static const char hdr_getconf[] =
    "01 00 00 00"                      /* packet id 1 */
    "00 00"                            /* status 0 */
    "47 45 54 43 4f 4e 46 00 00 00 00" /* GETCONF */
    "00"                               /* BSON */
    "20 00 00 00";                     /* body is 32 bytes */

/* {"os": "mac", "model": "mac"}: 32 bytes, not the 26 OK's docs claim. */
static const char body_getconf[] = "20 00 00 00"             /* length 32 */
                                   "02 6f 73 00"             /* string "os" */
                                   "04 00 00 00 6d 61 63 00" /* "mac" */
                                   "02 6d 6f 64 65 6c 00" /* string "model" */
                                   "04 00 00 00 6d 61 63 00" /* "mac" */
                                   "00";

/* {"chatId": int64 382416827148557, "status": int32 -950} */
static const char body_status[] =
    "21 00 00 00"             /* length 33 */
    "12 63 68 61 74 49 64 00" /* int64 chatId */
    "0d 69 23 5b ce 5b 01 00" /* 0x15bce5b23690d */
    "10 73 74 61 74 75 73 00" /* int32 status */
    "4a fc ff ff"             /* -950 */
    "00";

static void test_header_vectors(void);
static void test_body_vectors(void);
static void test_split_everywhere(void);
static void test_many_in_one(void);
static void test_limits_and_garbage(void);
static void test_status(void);
static void add_hex(struct evbuffer *b, const char *hex);
static void expect_error(const char *what, const char *hex, size_t limit,
    enum loco_error_code code);

static void
add_hex(struct evbuffer *b, const char *hex)
{
	size_t n;
	uint8_t *p = tap_hex(hex, &n);

	evbuffer_add(b, p, n);
	free(p);
}

static void
test_header_vectors(void)
{
	struct loco_header h;
	uint8_t out[LOCO_HDR_LEN];
	uint8_t *want;
	size_t n;

	want = tap_hex(hdr_getconf, &n);
	is_int(n, ==, LOCO_HDR_LEN);
	memset(&h, 0, sizeof h);
	h.packet_id = 1;
	strcpy(h.method, "GETCONF");
	h.body_len = 32;
	loco_header_encode(&h, out);
	is_mem(out, sizeof out, want, n);

	memset(&h, 0xaa, sizeof h);
	ok(loco_header_decode(want, &h, NULL) == 0, "GETCONF header decodes");
	is_uint(h.packet_id, ==, 1);
	is_int(h.status, ==, 0);
	is_str(h.method, "GETCONF");
	is_int(h.body_type, ==, 0);
	is_uint(h.body_len, ==, 32);
	free(want);

	/* Id 0x12345678, status -1, an 11-letter method: no NUL at all. */
	want = tap_hex("78 56 34 12 ff ff"
	               "43 48 41 54 4f 4e 52 4f 4f 4d 58" /* CHATONROOMX */
	               "00 05 00 00 00",
	    &n);
	ok(loco_header_decode(want, &h, NULL) == 0, "11-char method decodes");
	is_uint(h.packet_id, ==, 0x12345678);
	is_int(h.status, ==, -1);
	is_str(h.method, "CHATONROOMX");
	is_uint(h.body_len, ==, 5);

	/* A 12-character method is truncated to 11 on the wire. */
	memset(&h, 0, sizeof h);
	h.packet_id = 0x12345678;
	h.status = -1;
	memcpy(h.method, "CHATONROOMX", 12);
	h.body_len = 5;
	loco_header_encode(&h, out);
	is_mem(out, sizeof out, want, n);
	free(want);
}

static void
test_body_vectors(void)
{
	struct evbuffer *b = evbuffer_new();
	struct loco_packet pkt;
	struct loco_error err;
	bson_t *doc;
	uint8_t *want, *wire;
	size_t n, wn;
	bson_iter_t it;

	/* Our encoder, given libbson's encoding of the document, must
	 * produce the hand-written header and body. */
	doc = BCON_NEW("os", BCON_UTF8("mac"), "model", BCON_UTF8("mac"));
	ok(loco_packet_encode(b, 1, 0, "GETCONF", doc, &err) == 0,
	    "encode GETCONF");
	bson_destroy(doc);
	want = tap_hex(body_getconf, &n);
	wn = evbuffer_get_length(b);
	wire = evbuffer_pullup(b, -1);
	is_int(wn, ==, LOCO_HDR_LEN + n);
	{
		uint8_t *h = tap_hex(hdr_getconf, &wn);

		is_mem(wire, LOCO_HDR_LEN, h, wn);
		free(h);
	}
	is_mem(wire + LOCO_HDR_LEN, n, want, n);
	free(want);

	/* Parse back what we wrote. */
	is_int(loco_packet_parse(b, LOCO_BODY_MAX_DEFAULT, &pkt, &err), ==, 1);
	is_str(pkt.hdr.method, "GETCONF");
	ok(bson_iter_init_find(&it, &pkt.body, "model") &&
	        strcmp(bson_iter_utf8(&it, NULL), "mac") == 0,
	    "model is mac");
	loco_packet_release(&pkt);
	is_int(evbuffer_get_length(b), ==, 0);

	/* Parse a packet that only exists as hand-written bytes. */
	add_hex(b,
	    "07 00 00 00 00 00 57 52 49 54 45 00 00 00 00 00 00 00"
	    "21 00 00 00");
	add_hex(b, body_status);
	is_int(loco_packet_parse(b, LOCO_BODY_MAX_DEFAULT, &pkt, &err), ==, 1);
	is_uint(pkt.hdr.packet_id, ==, 7);
	is_str(pkt.hdr.method, "WRITE");
	ok(bson_iter_init_find(&it, &pkt.body, "chatId") &&
	        BSON_ITER_HOLDS_INT64(&it) &&
	        bson_iter_int64(&it) == 382416827148557LL,
	    "chatId is int64 382416827148557");
	is_int(loco_packet_status(&pkt), ==, -950);
	loco_packet_release(&pkt);

	/* Empty body: the 5-byte document, and length 0 tolerated. */
	ok(loco_packet_encode(b, 9, 0, "PING", NULL, &err) == 0, "PING");
	is_int(evbuffer_get_length(b), ==, LOCO_HDR_LEN + 5);
	is_int(loco_packet_parse(b, 100, &pkt, &err), ==, 1);
	is_int(pkt.body.len, ==, 5);
	loco_packet_release(&pkt);
	add_hex(b,
	    "0a 00 00 00 00 00 50 49 4e 47 00 00 00 00 00 00 00 00"
	    "00 00 00 00");
	is_int(loco_packet_parse(b, 100, &pkt, &err), ==, 1);
	is_str(pkt.hdr.method, "PING");
	is_int(bson_count_keys(&pkt.body), ==, 0);
	loco_packet_release(&pkt);
	is_int(evbuffer_get_length(b), ==, 0);
	evbuffer_free(b);
}

/* Feed a packet one byte at a time, and from every split point. */
static void
test_split_everywhere(void)
{
	struct evbuffer *src = evbuffer_new(), *b;
	struct loco_packet pkt;
	struct loco_error err;
	uint8_t *wire;
	size_t len, cut, i;
	int bad = 0;

	add_hex(src,
	    "07 00 00 00 00 00 57 52 49 54 45 00 00 00 00 00 00 00"
	    "21 00 00 00");
	add_hex(src, body_status);
	len = evbuffer_get_length(src);
	wire = evbuffer_pullup(src, -1);
	for (cut = 0; cut <= len; cut++) {
		b = evbuffer_new();
		evbuffer_add(b, wire, cut);
		if (cut < len &&
		    (loco_packet_parse(b, 1024, &pkt, &err) != 0 ||
		        evbuffer_get_length(b) != cut))
			bad++;
		evbuffer_add(b, wire + cut, len - cut);
		if (loco_packet_parse(b, 1024, &pkt, &err) != 1)
			bad++;
		else {
			if (loco_packet_status(&pkt) != -950)
				bad++;
			loco_packet_release(&pkt);
		}
		evbuffer_free(b);
	}
	is_int(bad, ==, 0);

	b = evbuffer_new();
	for (i = 0; i < len; i++) {
		evbuffer_add(b, wire + i, 1);
		if (loco_packet_parse(b, 1024, &pkt, &err) != (i + 1 == len))
			bad++;
	}
	is_int(bad, ==, 0);
	loco_packet_release(&pkt);
	evbuffer_free(b);
	evbuffer_free(src);
}

static void
test_many_in_one(void)
{
	struct evbuffer *b = evbuffer_new();
	struct loco_packet pkt;
	struct loco_error err;
	bson_t *doc;
	uint32_t id;
	int got = 0;

	for (id = 1; id <= 50; id++) {
		doc = BCON_NEW("chatId", BCON_INT64((int64_t)id * 1000), "msg",
		    BCON_UTF8("안녕하세요"));
		loco_packet_encode(b, id, 0, "MSG", doc, &err);
		bson_destroy(doc);
	}
	while (loco_packet_parse(b, 1024, &pkt, &err) == 1) {
		int64_t v = 0;
		bson_iter_t it;

		if (bson_iter_init_find(&it, &pkt.body, "chatId"))
			v = bson_iter_int64(&it);
		if (pkt.hdr.packet_id == (uint32_t)got + 1 &&
		    v == (int64_t)(got + 1) * 1000)
			got++;
		loco_packet_release(&pkt);
	}
	is_int(got, ==, 50);
	is_int(evbuffer_get_length(b), ==, 0);
	evbuffer_free(b);
}

static void
expect_error(const char *what, const char *hex, size_t limit,
    enum loco_error_code code)
{
	struct evbuffer *b = evbuffer_new();
	struct loco_packet pkt;
	struct loco_error err = {LOCO_ERR_NONE, 0, ""};

	add_hex(b, hex);
	if (is_int(loco_packet_parse(b, limit, &pkt, &err), ==, -1))
		ok(err.code == code, "%s: error %s (%s)", what,
		    loco_error_code_name(err.code), err.msg);
	else
		loco_packet_release(&pkt);
	evbuffer_free(b);
}

static void
test_limits_and_garbage(void)
{
	struct evbuffer *b = evbuffer_new();
	struct loco_packet pkt;
	struct loco_error err;

	/* A truncated header is not an error yet, and nothing is drained. */
	add_hex(b,
	    "01 00 00 00 00 00 50 49 4e 47 00 00 00 00 00 00 00 00 05 00"
	    "00");
	is_int(loco_packet_parse(b, 100, &pkt, &err), ==, 0);
	is_int(evbuffer_get_length(b), ==, 21);
	evbuffer_free(b);

	/* Over the limit is judged from the header alone. */
	expect_error("body over limit",
	    "01 00 00 00 00 00 4d 53 47 00 00 00 00 00 00 00 00 00"
	    "e9 03 00 00",
	    1000, LOCO_ERR_TOO_LARGE);
	expect_error("4 GiB body",
	    "01 00 00 00 00 00 4d 53 47 00 00 00 00 00 00 00 00 00"
	    "ff ff ff ff",
	    LOCO_BODY_MAX_DEFAULT, LOCO_ERR_TOO_LARGE);
	expect_error("empty method",
	    "01 00 00 00 00 00 00 4d 53 47 00 00 00 00 00 00 00 00"
	    "05 00 00 00 05 00 00 00 00",
	    100, LOCO_ERR_MALFORMED);
	expect_error("control byte in method",
	    "01 00 00 00 00 00 4d 0a 47 00 00 00 00 00 00 00 00 00"
	    "05 00 00 00 05 00 00 00 00",
	    100, LOCO_ERR_MALFORMED);
	expect_error("unknown body type",
	    "01 00 00 00 00 00 4d 53 47 00 00 00 00 00 00 00 00 03"
	    "05 00 00 00 05 00 00 00 00",
	    100, LOCO_ERR_MALFORMED);
	expect_error("BSON length disagrees with header",
	    "01 00 00 00 00 00 4d 53 47 00 00 00 00 00 00 00 00 00"
	    "06 00 00 00 05 00 00 00 00 00",
	    100, LOCO_ERR_MALFORMED);
	expect_error("body shorter than a document",
	    "01 00 00 00 00 00 4d 53 47 00 00 00 00 00 00 00 00 00"
	    "03 00 00 00 03 00 00",
	    100, LOCO_ERR_MALFORMED);
	/* {"a": string of length 100} in a 13-byte document. */
	expect_error("string runs past the document",
	    "01 00 00 00 00 00 4d 53 47 00 00 00 00 00 00 00 00 00"
	    "0d 00 00 00 0d 00 00 00 02 61 00 64 00 00 00 00 00",
	    100, LOCO_ERR_MALFORMED);
	/* {"a": int32 without its 4 bytes} */
	expect_error("truncated int32",
	    "01 00 00 00 00 00 4d 53 47 00 00 00 00 00 00 00 00 00"
	    "09 00 00 00 09 00 00 00 10 61 00 01 00",
	    100, LOCO_ERR_MALFORMED);
	/* {"a": code-with-scope}: refused rather than recursed into. */
	expect_error("code with scope",
	    "01 00 00 00 00 00 4d 53 47 00 00 00 00 00 00 00 00 00"
	    "13 00 00 00 13 00 00 00 0f 61 00 0b 00 00 00 00 00 00 00"
	    "05 00 00 00 00",
	    100, LOCO_ERR_MALFORMED);

	/* 40 nested documents: over LOCO_BSON_MAX_DEPTH, refused without
	 * recursion. Level i starts at 7i and is 317 - 8i bytes long. */
	{
		uint8_t body[39 * 7 + 5 + 39], hdr[LOCO_HDR_LEN];
		struct loco_header h;
		size_t i, p = 0;

		for (i = 0; i < 39; i++) {
			uint32_t l = (uint32_t)(sizeof body - 8 * i);

			body[p++] = (uint8_t)l;
			body[p++] = (uint8_t)(l >> 8);
			body[p++] = 0;
			body[p++] = 0;
			body[p++] = 0x03;
			body[p++] = 'a';
			body[p++] = 0;
		}
		memcpy(body + p, "\x05\0\0\0\0", 5);
		p += 5;
		while (p < sizeof body)
			body[p++] = 0;
		memset(&h, 0, sizeof h);
		strcpy(h.method, "MSG");
		h.body_len = (uint32_t)sizeof body;
		b = evbuffer_new();
		loco_header_encode(&h, hdr);
		evbuffer_add(b, hdr, sizeof hdr);
		evbuffer_add(b, body, sizeof body);
		is_int(loco_packet_parse(b, 4096, &pkt, &err), ==, -1);
		ok(strstr(err.msg, "deeper") != NULL, "depth error: %s",
		    err.msg);
		evbuffer_free(b);

		/* The same shape 20 deep is fine. */
		b = evbuffer_new();
		p = 0;
		for (i = 0; i < 19; i++) {
			uint32_t l = (uint32_t)(19 * 7 + 5 + 19 - 8 * i);

			body[p++] = (uint8_t)l;
			body[p++] = (uint8_t)(l >> 8);
			body[p++] = 0;
			body[p++] = 0;
			body[p++] = 0x03;
			body[p++] = 'a';
			body[p++] = 0;
		}
		memcpy(body + p, "\x05\0\0\0\0", 5);
		p += 5;
		for (i = 0; i < 19; i++)
			body[p++] = 0;
		h.body_len = (uint32_t)p;
		loco_header_encode(&h, hdr);
		evbuffer_add(b, hdr, sizeof hdr);
		evbuffer_add(b, body, p);
		is_int(loco_packet_parse(b, 4096, &pkt, &err), ==, 1);
		loco_packet_release(&pkt);
		evbuffer_free(b);
	}
}

static void
test_status(void)
{
	struct evbuffer *b = evbuffer_new();
	struct loco_packet pkt;
	struct loco_error err;
	bson_t *doc;

	doc = BCON_NEW("status", BCON_INT64(-999));
	loco_packet_encode(b, 1, 0, "LOGINLIST", doc, &err);
	bson_destroy(doc);
	loco_packet_encode(b, 2, -203, "WRITE", NULL, &err);
	doc = BCON_NEW("status", BCON_UTF8("oops"));
	loco_packet_encode(b, 3, 5, "WRITE", doc, &err);
	bson_destroy(doc);

	loco_packet_parse(b, 100, &pkt, &err);
	is_int(loco_packet_status(&pkt), ==, -999);
	loco_packet_release(&pkt);
	loco_packet_parse(b, 100, &pkt, &err);
	is_int(loco_packet_status(&pkt), ==, -203);
	loco_packet_release(&pkt);
	loco_packet_parse(b, 100, &pkt, &err);
	is_int(loco_packet_status(&pkt), ==, 5);
	loco_packet_release(&pkt);
	evbuffer_free(b);

	ok(loco_method_is_valid("LOGINLIST"), "LOGINLIST is a method");
	ok(!loco_method_is_valid("LONGERMETHOD"), "12 chars is not");
	ok(!loco_method_is_valid(""), "empty is not");
	ok(!loco_method_is_valid("A B"), "space is not");
	b = evbuffer_new();
	ok(loco_packet_encode(b, 1, 0, "LONGERMETHOD", NULL, &err) == -1,
	    "encode refuses a 12-character method");
	evbuffer_free(b);
}

int
main(void)
{
	tap_init(0);
	test_header_vectors();
	test_body_vectors();
	test_split_everywhere();
	test_many_in_one();
	test_limits_and_garbage();
	test_status();
	return done_testing();
}
