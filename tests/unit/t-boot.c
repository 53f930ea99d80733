/* locoirc: see LICENSE.
 *
 * GETCONF, CHECKIN, KICKOUT, CHANGESVR and PING bodies: hand-worked BSON
 * vectors decoded field by field and re-encoded byte for byte, the old
 * GETCONF ticket form, nested type errors, and the generic codec checks.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>

#include "bodycheck.h"
#include "loco-boot.h"
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
#define CODEC(t, k, req, len, verb, resp)                                      \
	{                                                                      \
		.name = #t, .size = sizeof(struct loco_##t),                   \
		.decode = t##_dec, .encode = t##_enc, .release = t##_rel,      \
		.fill = t##_fill, .keys = k, .required = req, .lenient = len,  \
		.verbatim = verb, .response = resp                             \
	}

CODEC_CB(getconf_req)
CODEC_CB(getconf_res)
CODEC_CB(checkin_req)
CODEC_CB(checkin_res)
CODEC_CB(kickout)
CODEC_CB(ping_res)

static int32_t *i32v(size_t n, int32_t first);
static char **strv(size_t n, const char *prefix);
static void netconf_fill(struct loco_netconf *nc, int32_t base);
static void getconf_req_fill(void *p);
static void getconf_res_fill(void *p);
static void checkin_req_fill(void *p);
static void checkin_res_fill(void *p);
static void kickout_fill(void *p);
static void ping_res_fill(void *p);
static void test_checkin_res_vector(void);
static void test_getconf_old_form(void);
static void test_getconf_nested_errors(void);
static void test_empty_bodies(void);
static void test_trailer_media_keys(void);

/* n consecutive int32 values from first, malloc'd. */
static int32_t *
i32v(size_t n, int32_t first)
{
	int32_t *v = xreallocarray(NULL, n, sizeof *v);
	size_t i;

	for (i = 0; i < n; i++)
		v[i] = first + (int32_t)i;
	return v;
}

/* n strings "prefix0", "prefix1", ..., malloc'd. */
static char **
strv(size_t n, const char *prefix)
{
	char **v = xreallocarray(NULL, n, sizeof *v);
	size_t i;

	for (i = 0; i < n; i++)
		v[i] = xasprintf("%s%zu", prefix, i);
	return v;
}

/* A network block with every value distinct, from base up. */
static void
netconf_fill(struct loco_netconf *nc, int32_t base)
{
	nc->ports = i32v(2, base);
	nc->n_ports = 2;
	nc->ports6 = i32v(1, base + 2);
	nc->n_ports6 = 1;
	nc->bg_keep_itv = base + 3;
	nc->bg_reconn_itv = base + 4;
	nc->bg_ping_itv = base + 5;
	nc->fg_ping_itv = base + 6;
	nc->req_timeout = base + 7;
	nc->enc_type = base + 8;
	nc->conn_timeout = base + 9;
	nc->recv_header_timeout = base + 10;
	nc->in_seg_timeout = base + 11;
	nc->out_seg_timeout = base + 12;
	nc->block_send_buf_size = base + 13;
}

/* Fill a struct loco_getconf_req with distinct non-default values. */
static void
getconf_req_fill(void *p)
{
	struct loco_getconf_req *x = p;

	x->mccmnc = xstrdup("99999");
	x->os = xstrdup("android");
	x->model = xstrdup("SM-T970");
	x->user_id = 4242;
}

/* Fill a struct loco_getconf_res with distinct non-default values. */
static void
getconf_res_fill(void *p)
{
	struct loco_getconf_res *x = p;

	x->revision = 17;
	netconf_fill(&x->cell, 100);
	netconf_fill(&x->wifi, 200);
	x->ticket.ssl = strv(1, "ssl");
	x->ticket.n_ssl = 1;
	x->ticket.v2sl = strv(2, "v2sl");
	x->ticket.n_v2sl = 2;
	x->ticket.lsl = strv(2, "lsl");
	x->ticket.n_lsl = 2;
	x->ticket.lsl6 = strv(1, "lsl6-");
	x->ticket.n_lsl6 = 1;
	x->ticket.lslp = 995;
	x->hosts = strv(2, "host");
	x->n_hosts = 2;
	x->profile = BCON_NEW("p", BCON_INT32(1), "q", BCON_UTF8("r"));
	x->etc = BCON_NEW("e", BCON_INT64(2));
	x->trailer.up_max_size = 314572800;
	x->trailer.video_up_max_size = 314572801;
	x->trailer.content_expire_time = 1209600;
	x->trailer.concurrent_up_limit = 3;
	x->trailer.token_expire_time = 86400;
	x->trailer.resolution = 1280;
	x->trailer.resolution_hd = 2560;
	x->trailer.comp_ratio = 80;
	x->trailer.comp_ratio_hd = 90;
	x->trailer.down_mode = 1;
	x->trailer.concurrent_down_limit = 5;
	x->trailer.max_relay_size = 104857600;
	x->trailer.down_check_size = 1048576;
	x->trailer.v_codec = 2;
	x->trailer.v_fps = 30;
	x->trailer.a_codec = 3;
	x->trailer.v_resolution = 640;
	x->trailer.v_bitrate = 1500000;
	x->trailer.a_frequency = 44100;
	x->trailer_h = BCON_NEW("h", BCON_BOOL(true));
}

/* Fill a struct loco_checkin_req with distinct non-default values. */
static void
checkin_req_fill(void *p)
{
	struct loco_checkin_req *x = p;

	x->user_id = 90000001;
	x->os = xstrdup("mac");
	x->ntype = 3;
	x->app_ver = xstrdup("26.2.0");
	x->mccmnc = xstrdup("999");
	x->lang = xstrdup("ko");
	x->country_iso = xstrdup("KR");
	x->use_sub = true;
}

/* Fill a struct loco_checkin_res with distinct non-default values. */
static void
checkin_res_fill(void *p)
{
	struct loco_checkin_res *x = p;

	x->host = xstrdup("192.0.2.1");
	x->host6 = xstrdup("2001:db8::1");
	x->port = 7001;
	x->cache_expire = 7002;
	x->cshost = xstrdup("192.0.2.2");
	x->cshost6 = xstrdup("2001:db8::2");
	x->csport = 7003;
	x->vsshost = xstrdup("192.0.2.3");
	x->vsshost6 = xstrdup("2001:db8::3");
	x->vssport = 7004;
	x->mccmnc = xstrdup("45006");
}

/* Fill a struct loco_kickout with distinct non-default values. */
static void
kickout_fill(void *p)
{
	struct loco_kickout *x = p;

	x->reason = LOCO_KICKOUT_CHANGE_SERVER_NK;
}

/* Fill a struct loco_ping_res with distinct non-default values. */
static void
ping_res_fill(void *p)
{
	(void)p; /* only status, which stays 0 */
}

/* A CHECKIN response worked out by hand from the BSON spec. */
static void
test_checkin_res_vector(void)
{
	static const char hex[] =
	    "bf 00 00 00"                         /* document length 191 */
	    "10 73 74 61 74 75 73 00 00 00 00 00" /* int32 "status" = 0 */
	    /* string "host" = "10.0.0.1" (length 9 with the NUL) */
	    "02 68 6f 73 74 00 09 00 00 00 31 30 2e 30 2e 30 2e 31 00"
	    /* string "host6" = "::1" */
	    "02 68 6f 73 74 36 00 04 00 00 00 3a 3a 31 00"
	    "10 70 6f 72 74 00 67 14 00 00" /* int32 "port" = 5223 */
	    /* int32 "cacheExpire" = 86400 (0x15180) */
	    "10 63 61 63 68 65 45 78 70 69 72 65 00 80 51 01 00"
	    /* string "cshost" = "10.0.0.2" */
	    "02 63 73 68 6f 73 74 00 09 00 00 00 31 30 2e 30 2e 30 2e 32 00"
	    /* string "cshost6" = "" (length 1: just the NUL) */
	    "02 63 73 68 6f 73 74 36 00 01 00 00 00 00"
	    "10 63 73 70 6f 72 74 00 bb 01 00 00" /* int32 "csport" = 443 */
	    /* string "vsshost" = "10.0.0.3" */
	    "02 76 73 73 68 6f 73 74 00 09 00 00 00 31 30 2e 30 2e 30 2e 33 00"
	    /* string "vsshost6" = "" */
	    "02 76 73 73 68 6f 73 74 36 00 01 00 00 00 00"
	    /* int32 "vssport" = 9000 (0x2328) */
	    "10 76 73 73 70 6f 72 74 00 28 23 00 00"
	    /* string "MCCMNC" = "999" */
	    "02 4d 43 43 4d 4e 43 00 04 00 00 00 39 39 39 00"
	    "00"; /* end of document */
	struct loco_checkin_res r;
	struct loco_error err = {0};
	bson_t *doc = bodycheck_hex_doc(hex);
	bson_t out;

	if (!ok(loco_checkin_res_decode(doc, &r, &err) == 0,
	        "CHECKIN vector decodes")) {
		diag("%s", err.msg);
		bson_destroy(doc);
		return;
	}
	is_int(r.status, ==, 0);
	is_str(r.host, "10.0.0.1");
	is_str(r.host6, "::1");
	is_int(r.port, ==, 5223);
	is_int(r.cache_expire, ==, 86400);
	is_str(r.cshost, "10.0.0.2");
	is_str(r.cshost6, "");
	is_int(r.csport, ==, 443);
	is_str(r.vsshost, "10.0.0.3");
	is_str(r.vsshost6, "");
	is_int(r.vssport, ==, 9000);
	is_str(r.mccmnc, "999");
	bson_init(&out);
	loco_checkin_res_encode(&r, &out);
	is_mem(bson_get_data(&out), out.len, bson_get_data(doc), doc->len);
	bson_destroy(&out);
	loco_checkin_res_release(&r);
	bson_destroy(doc);
}

/* Old booking form: ticket.lsl a string and the port in ticket.lslp;
 * status int64, ports mixing int32/int64, a double interval, a null. */
static void
test_getconf_old_form(void)
{
	static const char hex[] =
	    "ae 00 00 00" /* document length 174 */
	    "12 73 74 61 74 75 73 00 00 00 00 00 00 00 00 00" /* int64 "status" = 0 */
	    "10 72 65 76 69 73 69 6f 6e 00 03 00 00 00" /* int32 "revision" = 3 */
	    "03 74 69 63 6b 65 74 00"                   /* document "ticket" */
	    "  27 00 00 00"                             /* its length 39 */
	    /* string "lsl" = "ticket.example" (length 15) */
	    "  02 6c 73 6c 00 0f 00 00 00 74 69 63 6b 65 74 2e 65 78 61 6d 70 "
	    "6c"
	    "  65 00"
	    "  10 6c 73 6c 70 00 e3 03 00 00"      /* int32 "lslp" = 995 */
	    "  00"                                 /* end of "ticket" */
	    "03 77 69 66 69 00"                    /* document "wifi" */
	    "  36 00 00 00"                        /* its length 54 */
	    "  04 70 6f 72 74 73 00"               /* array "ports" */
	    "    17 00 00 00"                      /* its length 23 */
	    "    10 30 00 e3 03 00 00"             /* int32 "0" = 995 */
	    "    12 31 00 19 27 00 00 00 00 00 00" /* int64 "1" = 10009 */
	    "    00"                               /* end of "ports" */
	    /* double "fgPingItv" = 60.0 (0x404e000000000000) */
	    "  01 66 67 50 69 6e 67 49 74 76 00 00 00 00 00 00 00 4e 40"
	    "  00"                             /* end of "wifi" */
	    "03 70 72 6f 66 69 6c 65 00"       /* document "profile" */
	    "  0c 00 00 00"                    /* its length 12 */
	    "  10 78 00 01 00 00 00"           /* int32 "x" = 1 */
	    "  00"                             /* end of "profile" */
	    "0a 74 72 61 69 6c 65 72 2e 68 00" /* null "trailer.h" */
	    "00";                              /* end of document */
	struct loco_getconf_res r;
	struct loco_error err = {0};
	bson_t *doc = bodycheck_hex_doc(hex);
	bson_iter_t it;

	if (!ok(loco_getconf_res_decode(doc, &r, &err) == 0,
	        "old GETCONF form decodes")) {
		diag("%s", err.msg);
		bson_destroy(doc);
		return;
	}
	is_int(r.revision, ==, 3);
	if (is_uint(r.ticket.n_lsl, ==, 1))
		is_str(r.ticket.lsl[0], "ticket.example");
	is_int(r.ticket.lslp, ==, 995);
	is_uint(r.ticket.n_ssl, ==, 0);
	if (is_uint(r.wifi.n_ports, ==, 2)) {
		is_int(r.wifi.ports[0], ==, 995);
		is_int(r.wifi.ports[1], ==, 10009);
	}
	is_int(r.wifi.fg_ping_itv, ==, 60);
	is_uint(r.cell.n_ports, ==, 0);
	ok(r.profile != NULL && bson_iter_init_find(&it, r.profile, "x") &&
	        bson_iter_int32(&it) == 1,
	    "profile kept as an opaque copy");
	ok(r.etc == NULL && r.trailer_h == NULL,
	    "absent etc and null trailer.h are NULL");
	loco_getconf_res_release(&r);
	bson_destroy(doc);
}

/* Wrong types inside the nested blocks of GETCONF. */
static void
test_getconf_nested_errors(void)
{
	static const struct {
		const char *json;
		const char *key;
	} cases[] = {
	    {"{\"wifi\": {\"ports\": [1, \"x\"]}}", "'ports'"},
	    {"{\"wifi\": {\"ports\": [4294967296]}}", "'ports'"},
	    {"{\"3g\": {\"fgPingItv\": 1.5}}", "'fgPingItv'"},
	    {"{\"3g\": {\"encType\": \"3\"}}", "'encType'"},
	    {"{\"ticket\": {\"ssl\": [1]}}", "'ssl'"},
	    {"{\"ticket\": {\"lsl\": 7}}", "'lsl'"},
	    {"{\"ticket\": {\"lsl\": [\"a\", 7]}}", "'lsl'"},
	    {"{\"ticket\": {\"lslp\": \"995\"}}", "'lslp'"},
	    {"{\"trailer\": {\"upMaxSize\": \"big\"}}", "'upMaxSize'"},
	    {"{\"ticket\": []}", "'ticket'"},
	    {"{\"hosts\": \"h\"}", "'hosts'"},
	    {"{\"hosts\": [\"h\", 1]}", "'hosts'"},
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct loco_getconf_res r;
		struct loco_error err = {0};
		bson_error_t berr;
		bson_t *doc = bson_new_from_json((const uint8_t *)cases[i].json,
		    -1, &berr);

		if (!ok(doc != NULL, "parse %s", cases[i].json))
			continue;
		if (!ok(loco_getconf_res_decode(doc, &r, &err) == -1 &&
		            err.code == LOCO_ERR_TYPE &&
		            strstr(err.msg, cases[i].key) != NULL,
		        "%s is a type error", cases[i].json)) {
			diag("%s: %s", loco_error_code_name(err.code), err.msg);
			if (err.code == LOCO_ERR_NONE)
				loco_getconf_res_release(&r);
		}
		bson_destroy(doc);
	}
}

/*
 * The trailer's media keys KiwiTalk requires are written even when 0, all
 * int32, and read leniently: an odd type leaves the field 0.
 */
static void
test_trailer_media_keys(void)
{
	static const char *const keys[] = {"resolution", "resolutionHD",
	    "compRatio", "compRatioHD", "downMode", "concurrentDownLimit",
	    "maxRelaySize", "downCheckSize", "vCodec", "vFps", "aCodec",
	    "vResolution", "vBitrate", "aFrequency"};
	struct loco_getconf_res r;
	struct loco_error err = {0};
	bson_iter_t it, sub;
	bool all = true;
	bson_t out, *doc;
	size_t i;

	memset(&r, 0, sizeof r);
	bson_init(&out);
	loco_getconf_res_encode(&r, &out);
	if (!ok(bson_iter_init_find(&it, &out, "trailer") &&
	            BSON_ITER_HOLDS_DOCUMENT(&it),
	        "an empty GETCONF still has a trailer"))
		all = false;
	for (i = 0; all && i < sizeof keys / sizeof *keys; i++) {
		if (!bson_iter_init_find(&it, &out, "trailer") ||
		    !bson_iter_recurse(&it, &sub) ||
		    !bson_iter_find(&sub, keys[i]) ||
		    !BSON_ITER_HOLDS_INT32(&sub)) {
			diag("trailer.%s missing or not int32", keys[i]);
			all = false;
		}
	}
	ok(all, "trailer: every media key is an int32 even when 0");
	ok(!bson_iter_init_find(&it, &out, "hosts"),
	    "no hosts when there are none");
	bson_destroy(&out);

	doc = BCON_NEW("trailer", "{", "vFps", BCON_UTF8("30"), "aFrequency",
	    BCON_DOUBLE(0.5), "resolution", BCON_INT64(INT64_C(1) << 40),
	    "vBitrate", BCON_INT64(2000000), "}");
	if (ok(loco_getconf_res_decode(doc, &r, &err) == 0,
	        "odd trailer media types decode: %s", err.msg)) {
		ok(r.trailer.v_fps == 0 && r.trailer.a_frequency == 0 &&
		        r.trailer.resolution == 0 &&
		        r.trailer.v_bitrate == 2000000,
		    "only usable trailer values are kept");
		loco_getconf_res_release(&r);
	}
	bson_destroy(doc);
}

/* PING requests and CHANGESVR have no keys and accept any body. */
static void
test_empty_bodies(void)
{
	static const uint8_t empty[] = {0x05, 0x00, 0x00, 0x00, 0x00};
	bson_t out, *any = BCON_NEW("x", BCON_INT32(1), "y", "{", "}");

	bson_init(&out);
	loco_ping_req_encode(&out);
	is_mem(bson_get_data(&out), out.len, empty, sizeof empty);
	bson_reinit(&out);
	loco_changesvr_encode(&out);
	is_mem(bson_get_data(&out), out.len, empty, sizeof empty);
	ok(loco_changesvr_decode(any, NULL) == 0, "CHANGESVR takes any body");
	ok(loco_changesvr_decode(&out, NULL) == 0, "CHANGESVR takes {}");
	ok(loco_ping_req_decode(any, NULL) == 0, "PING takes any body");
	bson_destroy(&out);
	bson_destroy(any);
}

/* Run the vectors, the targeted cases and the generic checks. */
int
main(void)
{
	static const struct bodycheck codecs[] = {
	    CODEC(getconf_req, "MCCMNC os model userId", "", "", "", false),
	    CODEC(getconf_res,
	        "status revision 3g wifi ticket hosts profile etc trailer "
	        "trailer.h "
	        "3g/ports 3g/ports6 3g/bgKeepItv 3g/bgReconnItv 3g/bgPingItv "
	        "3g/fgPingItv 3g/reqTimeout 3g/encType 3g/connTimeout "
	        "3g/recvHeaderTimeout 3g/inSegTimeout 3g/outSegTimeout "
	        "3g/blockSendBufSize wifi/ports wifi/ports6 wifi/fgPingItv "
	        "ticket/ssl ticket/v2sl ticket/lsl ticket/lsl6 ticket/lslp "
	        "trailer/upMaxSize trailer/videoUpMaxSize "
	        "trailer/contentExpireTime trailer/concurrentUpLimit "
	        "trailer/tokenExpireTime trailer/resolution "
	        "trailer/resolutionHD trailer/compRatio trailer/compRatioHD "
	        "trailer/downMode trailer/concurrentDownLimit "
	        "trailer/maxRelaySize trailer/downCheckSize trailer/vCodec "
	        "trailer/vFps trailer/aCodec trailer/vResolution "
	        "trailer/vBitrate trailer/aFrequency",
	        "", "", "profile etc trailer.h", true),
	    CODEC(checkin_req,
	        "userId os ntype appVer MCCMNC lang countryISO useSub",
	        "userId", "", "", false),
	    CODEC(checkin_res,
	        "status host host6 port cacheExpire cshost cshost6 csport "
	        "vsshost vsshost6 vssport MCCMNC",
	        "host", "", "", true),
	    CODEC(kickout, "reason", "", "", "", false),
	    CODEC(ping_res, "status", "", "", "", true),
	};
	struct loco_checkin_res cr;
	struct loco_kickout ko;
	bson_t *doc;
	size_t i;

	tap_init(0);
	test_checkin_res_vector();
	test_getconf_old_form();
	test_getconf_nested_errors();
	test_empty_bodies();
	test_trailer_media_keys();

	/* CHECKIN without a port falls back to 5223 (OK). */
	doc = BCON_NEW("host", BCON_UTF8("h"));
	if (ok(loco_checkin_res_decode(doc, &cr, NULL) == 0,
	        "CHECKIN without port"))
		is_int(cr.port, ==, LOCO_CHECKIN_DEFAULT_PORT);
	loco_checkin_res_release(&cr);
	bson_destroy(doc);

	/* KICKOUT without a reason reads as 0, the stopping reason. */
	doc = bson_new();
	if (ok(loco_kickout_decode(doc, &ko, NULL) == 0, "KICKOUT {}"))
		is_int(ko.reason, ==, LOCO_KICKOUT_OTHER_DEVICE);
	bson_destroy(doc);

	for (i = 0; i < sizeof codecs / sizeof codecs[0]; i++)
		bodycheck_run(&codecs[i]);
	return done_testing();
}
