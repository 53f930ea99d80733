/* locoirc: see LICENSE.
 *
 * locosim's bootstrap as a real client walks it: GETCONF over TLS to the
 * booking port (trusting only locosim's certificate, verifying its name),
 * CHECKIN over the secure layer at the host and port GETCONF named, then
 * LOGINLIST and LCHATLIST at the address CHECKIN named, for the GCM profile
 * and for CFB with both legacy key types. Refusals are checked too: bad
 * tokens, broken handshakes (which must close without a byte), commands
 * before login, and the device-slot rule.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <bson/bson.h>

#include "loco-bson.h"
#include "loco-secure.h"
#include "locosim.h"
#include "locosim-world.h"
#include "tap.h"
#include "tclient.h"

#define ME 101
#define CHAT_MULTI 1001
#define CHAT_DIRECT 1002
#define CHAT_MEMO 1003
#define CHAT_OPEN 1004
#define CHAT_OTHER 1005
#define CHAT_FOREIGN 1006 /* ME is not a member */
#define CHAT_NONE 1999    /* no such chat */
#define PING_ITV 37
#define PUSH_ID_MIN 1000000u

/* Log ids are written out, so the test knows them without asking. */
#define L(n) (INT64_C(9007199254741000) + (n))

static const char world_json[] =
    "{\"now\": 1700000000,"
    " \"users\": [{\"userId\": 101, \"nickName\": \"나\"},"
    "  {\"userId\": 102, \"nickName\": \"Bob\"},"
    "  {\"userId\": 103, \"nickName\": \"캐롤\"},"
    "  {\"userId\": 104, \"nickName\": \"Dave\"}],"
    " \"accounts\": ["
    "  {\"userId\": 101, \"accessToken\": \"token-101\","
    "   \"deviceUuid\": \"duuid-101\"},"
    "  {\"userId\": 102, \"accessToken\": \"token-102\","
    "   \"deviceUuid\": \"duuid-102\"}],"
    " \"chats\": ["
    "  {\"chatId\": 1001, \"type\": \"MultiChat\", \"title\": \"팀\","
    "   \"members\": [101, 102, 103], \"messages\": ["
    "    {\"logId\": 9007199254741001, \"authorId\": 102,"
    "     \"message\": \"hi\", \"sendAt\": 1600000001},"
    "    {\"logId\": 9007199254741002, \"authorId\": 101,"
    "     \"message\": \"yo\", \"sendAt\": 1600000002},"
    "    {\"logId\": 9007199254741003, \"authorId\": 103,"
    "     \"message\": \"sup\", \"sendAt\": 1600000003},"
    "    {\"logId\": 9007199254741004, \"authorId\": 102,"
    "     \"message\": \"?\", \"sendAt\": 1600000004}],"
    "   \"watermarks\": {\"101\": 9007199254741002,"
    "    \"102\": 9007199254741004, \"103\": 9007199254741003}},"
    "  {\"chatId\": 1002, \"type\": \"DirectChat\", \"members\": [101, 102],"
    "   \"messages\": [{\"logId\": 9007199254741010, \"authorId\": 102,"
    "     \"message\": \"dm\", \"sendAt\": 1600000010}]},"
    "  {\"chatId\": 1003, \"type\": \"MemoChat\", \"members\": [101]},"
    "  {\"chatId\": 1004, \"type\": \"OM\", \"linkId\": 555,"
    "   \"members\": [101, 102], \"messages\": ["
    "    {\"logId\": 9007199254741020, \"authorId\": 101,"
    "     \"message\": \"open\", \"sendAt\": 1600000020}]},"
    "  {\"chatId\": 1005, \"type\": \"MultiChat\","
    "   \"members\": [101, 103, 104], \"messages\": ["
    "    {\"logId\": 9007199254741030, \"authorId\": 104,"
    "     \"message\": \"x\", \"sendAt\": 1600000030}],"
    "   \"watermarks\": {\"101\": 0}},"
    "  {\"chatId\": 1006, \"type\": \"MultiChat\","
    "   \"members\": [102, 103]}]}";

static struct event_base *base;
static char tls_name[64];

/* What a raw peer saw: bytes received and whether the server closed. */
struct probe {
	size_t received;
	bool closed;
};

static void probe_read_cb(struct bufferevent *bev, void *arg);
static void probe_event_cb(struct bufferevent *bev, short what, void *arg);
static bool probe_closed(void *arg);

/* Count and drop what the server sent. */
static void
probe_read_cb(struct bufferevent *bev, void *arg)
{
	struct probe *p = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	p->received += evbuffer_get_length(in);
	evbuffer_drain(in, evbuffer_get_length(in));
}

/* The server closed (or the socket failed). */
static void
probe_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct probe *p = arg;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		p->closed = true;
}

/* The server closed the probe. */
static bool
probe_closed(void *arg)
{
	return ((struct probe *)arg)->closed;
}

/*
 * Send len raw bytes to port and wait until the server closes. Returns
 * whether it closed in time; *received gets what it sent us first.
 */
static bool
raw_probe(uint16_t port, const void *data, size_t len, size_t *received)
{
	struct sockaddr_in sin;
	struct bufferevent *bev;
	struct probe p;

	memset(&p, 0, sizeof p);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, probe_read_cb, NULL, probe_event_cb, &p);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(bev, (struct sockaddr *)&sin,
	        sizeof sin) != 0) {
		bufferevent_free(bev);
		return false;
	}
	bufferevent_write(bev, data, len);
	tclient_loop_until(base, probe_closed, &p, TCLIENT_WAIT_MS);
	bufferevent_free(bev);
	*received = p.received;
	return p.closed;
}

/* Pick the name the certificate is valid for, as a verifying client would. */
static void
pick_tls_name(struct locosim *sim)
{
	BIO *bio = BIO_new_mem_buf(locosim_tls_cert_pem(sim), -1);
	X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	bool ip, host;

	ok(cert != NULL, "the booking certificate is PEM");
	ip = cert && X509_check_ip_asc(cert, "127.0.0.1", 0) == 1;
	host = cert && X509_check_host(cert, "localhost", 0, 0, NULL) == 1;
	ok(ip || host, "the certificate names 127.0.0.1 or localhost");
	if (!ip)
		diag("no IP SAN 127.0.0.1 in the certificate; using localhost");
	snprintf(tls_name, sizeof tls_name, "%s",
	    ip ? "127.0.0.1" : "localhost");
	X509_free(cert);
	BIO_free(bio);
}

/* Every element of the array at path has BSON type t (and there is one). */
static bool
array_of(const bson_t *doc, const char *path, bson_type_t t)
{
	bson_t arr;
	bson_iter_t it;
	int n = 0;

	if (!tclient_doc(doc, path, &arr) || !bson_iter_init(&it, &arr))
		return false;
	while (bson_iter_next(&it)) {
		if (bson_iter_type(&it) != t)
			return false;
		n++;
	}
	return n > 0;
}

/* Check that path holds type t, naming the body in the message. */
static bool
has_type(const char *what, const bson_t *doc, const char *path, bson_type_t t)
{
	bson_type_t got = tclient_type(doc, path);

	return ok(got == t, "%s: %s has BSON type 0x%02x (got 0x%02x)", what,
	    path, (unsigned)t, (unsigned)got);
}

/* The integer at path is int32 or int64 (media sizes may be either). */
static bool
has_int(const char *what, const bson_t *doc, const char *path)
{
	bson_type_t got = tclient_type(doc, path);

	return ok(got == BSON_TYPE_INT32 || got == BSON_TYPE_INT64,
	    "%s: %s is an integer (got 0x%02x)", what, path, (unsigned)got);
}

/* GETCONF over TLS; fills the check-in host and port from the answer. */
static bool
booking(struct locosim *sim, enum loco_cipher cipher, const char *tag,
    char *host, size_t hostlen, uint16_t *port)
{
	static const char *const net_ints[] = {"bgKeepItv", "bgReconnItv",
	    "bgPingItv", "fgPingItv", "reqTimeout", "encType", "connTimeout",
	    "recvHeaderTimeout", "inSegTimeout", "outSegTimeout",
	    "blockSendBufSize"};
	static const char *const nets[] = {"wifi", "3g"};
	static const char *const tickets[] = {"ssl", "v2sl", "lsl", "lsl6"};
	static const char *const trailers[] = {"upMaxSize", "videoUpMaxSize",
	    "contentExpireTime", "concurrentUpLimit", "tokenExpireTime"};
	/* KiwiTalk's Trailer and TrailerHigh require these (int32 on the
	 * wire; i8/i16 in KiwiTalk, so the values must fit). */
	static const struct {
		const char *key;
		int64_t max;
		bson_type_t type;
	} media[] = {{"resolution", INT32_MAX, BSON_TYPE_INT32},
	    {"resolutionHD", INT32_MAX, BSON_TYPE_INT32},
	    {"compRatio", INT8_MAX, BSON_TYPE_INT32},
	    {"compRatioHD", INT8_MAX, BSON_TYPE_INT32},
	    {"downMode", INT8_MAX, BSON_TYPE_INT32},
	    {"concurrentDownLimit", INT16_MAX, BSON_TYPE_INT32},
	    {"concurrentUpLimit", INT16_MAX, BSON_TYPE_INT32},
	    {"maxRelaySize", INT32_MAX, BSON_TYPE_INT32},
	    {"downCheckSize", INT32_MAX, BSON_TYPE_INT32},
	    /* int64 here (a size), read by KiwiTalk as i32: it must fit */
	    {"upMaxSize", INT32_MAX, BSON_TYPE_INT64},
	    {"videoUpMaxSize", INT32_MAX, BSON_TYPE_INT64},
	    {"vCodec", INT8_MAX, BSON_TYPE_INT32},
	    {"vFps", INT16_MAX, BSON_TYPE_INT32},
	    {"aCodec", INT8_MAX, BSON_TYPE_INT32},
	    {"vResolution", INT32_MAX, BSON_TYPE_INT32},
	    {"vBitrate", INT32_MAX, BSON_TYPE_INT32},
	    {"aFrequency", INT32_MAX, BSON_TYPE_INT32}};
	static const char *const media_h[] = {"vResolution", "vBitrate",
	    "aFrequency"};
	bson_t th;
	SSL_CTX *ctx = tclient_sim_ssl_ctx(sim);
	struct tclient_pkt *p = NULL;
	struct tclient *tc;
	struct loco_error err;
	char path[64];
	bool good = false;
	bson_t *req;
	size_t i, j;

	tc = tclient_connect(base, "127.0.0.1",
	    locosim_port(sim, LOCOSIM_BOOKING), LOCO_CONN_TLS, NULL, 0, 0, ctx,
	    tls_name, &err);
	if (!ok(tc != NULL, "%s: TLS to booking, verified as %s: %s", tag,
	        tls_name, tc ? "ok" : err.msg))
		goto out;
	req = BCON_NEW("MCCMNC", "99999", "os", "mac", "model", "");
	p = tclient_call(tc, "GETCONF", req, &err);
	bson_destroy(req);
	if (!ok(p != NULL, "%s: GETCONF answered: %s", tag, p ? "" : err.msg))
		goto out;
	is_str(p->hdr.method, "GETCONF");
	is_int(tclient_status(p), ==, 0);
	has_type(tag, p->body, "status", BSON_TYPE_INT32);
	has_type(tag, p->body, "revision", BSON_TYPE_INT32);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%s", nets[i]);
		has_type(tag, p->body, path, BSON_TYPE_DOCUMENT);
		snprintf(path, sizeof path, "%s.ports", nets[i]);
		ok(array_of(p->body, path, BSON_TYPE_INT32),
		    "%s: %s is a non-empty int32 array", tag, path);
		snprintf(path, sizeof path, "%s.ports.0", nets[i]);
		is_int(tclient_i64(p->body, path), ==,
		    locosim_port(sim, LOCOSIM_CHECKIN));
		for (j = 0; j < sizeof net_ints / sizeof *net_ints; j++) {
			snprintf(path, sizeof path, "%s.%s", nets[i],
			    net_ints[j]);
			has_type(tag, p->body, path, BSON_TYPE_INT32);
		}
	}
	is_int(tclient_i64(p->body, "wifi.fgPingItv"), ==, PING_ITV);
	is_int(tclient_i64(p->body, "wifi.encType"), ==, cipher);
	has_type(tag, p->body, "ticket", BSON_TYPE_DOCUMENT);
	for (i = 0; i < sizeof tickets / sizeof *tickets; i++) {
		snprintf(path, sizeof path, "ticket.%s", tickets[i]);
		has_type(tag, p->body, path, BSON_TYPE_ARRAY);
		if (i < 3)
			ok(array_of(p->body, path, BSON_TYPE_UTF8),
			    "%s: %s is a non-empty string array", tag, path);
	}
	is_str(tclient_str(p->body, "ticket.lsl.0"), "127.0.0.1");
	has_type(tag, p->body, "profile", BSON_TYPE_DOCUMENT);
	has_type(tag, p->body, "etc", BSON_TYPE_DOCUMENT);
	has_type(tag, p->body, "trailer", BSON_TYPE_DOCUMENT);
	has_type(tag, p->body, "trailer.h", BSON_TYPE_DOCUMENT);
	for (i = 0; i < sizeof trailers / sizeof *trailers; i++) {
		snprintf(path, sizeof path, "trailer.%s", trailers[i]);
		has_int(tag, p->body, path);
	}
	for (i = 0; i < sizeof media / sizeof *media; i++) {
		int64_t v;

		snprintf(path, sizeof path, "trailer.%s", media[i].key);
		v = tclient_i64(p->body, path);
		has_type(tag, p->body, path, media[i].type);
		ok(v >= 0 && v <= media[i].max, "%s: %s = %lld fits KiwiTalk",
		    tag, path, (long long)v);
	}
	if (ok(tclient_doc(p->body, "trailer.h", &th), "%s: trailer.h", tag))
		for (i = 0; i < sizeof media_h / sizeof *media_h; i++) {
			has_type(tag, &th, media_h[i], BSON_TYPE_INT32);
			ok(tclient_i64(&th, media_h[i]) > 0,
			    "%s: trailer.h.%s > 0", tag, media_h[i]);
		}
	/* agent-messenger takes the check-in host from "hosts". */
	ok(array_of(p->body, "hosts", BSON_TYPE_UTF8),
	    "%s: hosts is a non-empty string array", tag);
	is_str(tclient_str(p->body, "hosts.0"), "127.0.0.1");
	/* node-kakao's profile and etc. */
	has_type(tag, p->body, "profile.vBitrate", BSON_TYPE_INT32);
	has_type(tag, p->body, "profile.vResolution", BSON_TYPE_INT32);
	has_type(tag, p->body, "etc.writeRetryTimeout", BSON_TYPE_INT32);
	ok(array_of(p->body, "etc.tracerouteHost", BSON_TYPE_UTF8),
	    "%s: etc.tracerouteHost is a string array", tag);
	has_type(tag, p->body, "etc.tracerouteHost6", BSON_TYPE_ARRAY);
	/* Take the check-in address from the answer, as a client does. */
	snprintf(host, hostlen, "%s",
	    tclient_str(p->body, "ticket.lsl.0")
	        ? tclient_str(p->body, "ticket.lsl.0")
	        : "");
	*port = (uint16_t)tclient_i64(p->body, "wifi.ports.0");
	ok(tclient_wait_closed(tc, &err) && err.code != LOCO_ERR_NONE,
	    "%s: booking closes after its answer (%s)", tag, err.msg);
	good = true;
out:
	tclient_pkt_free(p);
	tclient_free(tc);
	SSL_CTX_free(ctx);
	return good;
}

/* CHECKIN over the secure layer; fills the chat host and port. */
static bool
checkin(struct locosim *sim, const char *chost, uint16_t cport,
    enum loco_cipher cipher, uint32_t kt, const char *tag, char *host,
    size_t hostlen, uint16_t *port)
{
	static const char *const strs[] = {"host", "host6", "cshost", "cshost6",
	    "vsshost", "vsshost6", "MCCMNC"};
	static const char *const ints[] = {"status", "port", "cacheExpire",
	    "csport", "vssport"};
	struct tclient_pkt *p = NULL;
	struct tclient *tc;
	struct loco_error err;
	bool good = false;
	bson_t *req;
	size_t i;

	tc = tclient_connect(base, chost, cport, LOCO_CONN_SECURE,
	    locosim_public_key(sim), kt, cipher, NULL, NULL, &err);
	if (!ok(tc != NULL, "%s: secure connect to checkin %s:%u: %s", tag,
	        chost, (unsigned)cport, tc ? "ok" : err.msg))
		goto out;
	req = BCON_NEW("userId", BCON_INT64(ME), "os", "mac", "ntype",
	    BCON_INT32(0), "appVer", "3.7.0", "MCCMNC", "99999", "lang", "ko",
	    "countryISO", "KR", "useSub", BCON_BOOL(true));
	p = tclient_call(tc, "CHECKIN", req, &err);
	bson_destroy(req);
	if (!ok(p != NULL, "%s: CHECKIN answered: %s", tag, p ? "" : err.msg))
		goto out;
	is_str(p->hdr.method, "CHECKIN");
	is_int(tclient_status(p), ==, 0);
	for (i = 0; i < sizeof strs / sizeof *strs; i++)
		has_type(tag, p->body, strs[i], BSON_TYPE_UTF8);
	for (i = 0; i < sizeof ints / sizeof *ints; i++)
		has_type(tag, p->body, ints[i], BSON_TYPE_INT32);
	is_str(tclient_str(p->body, "host"), "127.0.0.1");
	is_int(tclient_i64(p->body, "port"), ==,
	    locosim_port(sim, LOCOSIM_CHAT));
	ok(tclient_i64(p->body, "cacheExpire") > 0, "%s: cacheExpire > 0", tag);
	snprintf(host, hostlen, "%s",
	    tclient_str(p->body, "host") ? tclient_str(p->body, "host") : "");
	*port = (uint16_t)tclient_i64(p->body, "port");
	ok(tclient_wait_closed(tc, &err) && err.code != LOCO_ERR_NONE,
	    "%s: checkin closes after its answer (%s)", tag, err.msg);
	good = true;
out:
	tclient_pkt_free(p);
	tclient_free(tc);
	return good;
}

/* Unread count as the client should see it, computed from the world. */
static int64_t
expect_unread(struct locosim_chat *c, int64_t user)
{
	int64_t wm = locosim_chat_member(c, user)->watermark;
	int64_t n = 0;
	size_t i;

	for (i = 0; i < c->n_log; i++)
		if (c->log[i].log_id > wm && c->log[i].author_id != user)
			n++;
	return n;
}

/*
 * Check one chatDatas entry against the world. known: the client sent
 * this chat in chatIds, so "l" must hold its last chatLog.
 */
static void
check_chat_data(struct locosim *sim, const char *tag, const bson_t *d,
    bool known)
{
	static const struct {
		const char *key;
		bson_type_t type;
	} keys[] = {{"c", BSON_TYPE_INT64}, {"t", BSON_TYPE_UTF8},
	    {"a", BSON_TYPE_INT32}, {"n", BSON_TYPE_INT32},
	    {"ll", BSON_TYPE_INT64}, {"s", BSON_TYPE_INT64},
	    {"i", BSON_TYPE_ARRAY}, {"k", BSON_TYPE_ARRAY},
	    {"o", BSON_TYPE_INT64}, {"p", BSON_TYPE_BOOL},
	    {"mmr", BSON_TYPE_INT64}};
	struct locosim_world *w = locosim_world(sim);
	struct locosim_chat *c;
	bool types = true, icons = true;
	int64_t id = tclient_i64(d, "c");
	char name[40];
	size_t i, n_icons = 0;
	bson_t sub;

	for (i = 0; i < sizeof keys / sizeof *keys; i++)
		if (tclient_type(d, keys[i].key) != keys[i].type) {
			diag("%s: chat %lld: %s has type 0x%02x", tag,
			    (long long)id, keys[i].key,
			    (unsigned)tclient_type(d, keys[i].key));
			types = false;
		}
	ok(types, "%s: chat %lld: c t a n ll s i k o p mmr with their types",
	    tag, (long long)id);
	c = locosim_world_chat(w, id);
	if (!ok(c != NULL && locosim_chat_member(c, ME) != NULL,
	        "%s: chat %lld is one of ours", tag, (long long)id))
		return;
	is_str(tclient_str(d, "t"), c->type);
	is_int(tclient_i64(d, "a"), ==, c->n_members);
	is_int(tclient_i64(d, "ll"), ==, locosim_chat_last_log_id(c));
	is_int(tclient_i64(d, "s"), ==, locosim_chat_member(c, ME)->watermark);
	is_int(tclient_i64(d, "n"), ==, expect_unread(c, ME));
	is_int(tclient_i64(d, "o"), ==,
	    c->n_log ? c->log[c->n_log - 1].send_at : 0);
	is_int(tclient_bool(d, "p"), ==, 1);
	/* i and k are parallel: other members and their nicknames. */
	if (tclient_len(d, "i") != tclient_len(d, "k"))
		icons = false;
	for (i = 0; icons && (int)i < tclient_len(d, "i"); i++) {
		struct locosim_user *u;
		char kp[32];

		snprintf(name, sizeof name, "i.%zu", i);
		snprintf(kp, sizeof kp, "k.%zu", i);
		u = locosim_world_user(w, tclient_i64(d, name));
		if (tclient_type(d, name) != BSON_TYPE_INT64 || u == NULL ||
		    u->id == ME || locosim_chat_member(c, u->id) == NULL ||
		    tclient_str(d, kp) == NULL ||
		    strcmp(tclient_str(d, kp), u->nickname) != 0)
			icons = false;
		n_icons++;
	}
	if (c->n_members > 1 && n_icons == 0)
		icons = false;
	ok(icons, "%s: chat %lld: i/k name other members (%zu)", tag,
	    (long long)id, n_icons);
	if (known && c->n_log > 0) {
		const struct loco_chatlog *last = &c->log[c->n_log - 1];

		if (ok(tclient_doc(d, "l", &sub),
		        "%s: chat %lld: l present for a known chat", tag,
		        (long long)id)) {
			is_int(tclient_i64(&sub, "logId"), ==, last->log_id);
			is_int(tclient_i64(&sub, "chatId"), ==, c->id);
			is_int(tclient_i64(&sub, "authorId"), ==,
			    last->author_id);
			is_str(tclient_str(&sub, "message"), last->message);
			has_type(tag, &sub, "logId", BSON_TYPE_INT64);
		}
	} else
		ok(tclient_type(d, "l") == BSON_TYPE_EOD,
		    "%s: chat %lld: no l unless asked", tag, (long long)id);
	if (strcmp(c->type, "OM") == 0) {
		/* KiwiTalk reads li and otk together (OpenLinkId). */
		is_int(tclient_i64(d, "li"), ==, c->link_id);
		has_type(tag, d, "li", BSON_TYPE_INT64);
		has_type(tag, d, "otk", BSON_TYPE_INT32);
		is_int(tclient_type(d, "jn"), ==, BSON_TYPE_EOD);
	} else
		has_type(tag, d, "jn", BSON_TYPE_INT32);
}

/* Every chat of ME, sorted, into ids (at most cap); returns the count. */
static size_t
my_chats(struct locosim *sim, int64_t *ids, size_t cap)
{
	struct locosim_world *w = locosim_world(sim);
	size_t i, j, n = 0;

	for (i = 0; i < w->n_chats && n < cap; i++)
		if (locosim_chat_member(w->chats[i], ME) != NULL)
			ids[n++] = w->chats[i]->id;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
			int64_t t = ids[j];

			ids[j] = ids[j - 1];
			ids[j - 1] = t;
		}
	return n;
}

/*
 * Read one chat-list page: check each entry and add its id to seen.
 * known/n_known: the chatIds the client sent. Returns eof (-1 if absent).
 */
static int
read_page(struct locosim *sim, const char *tag, const bson_t *page,
    const int64_t *known, size_t n_known, int64_t *seen, size_t *n_seen,
    size_t cap, int64_t *del, size_t *n_del)
{
	bson_t arr, d;
	bson_iter_t it;
	size_t i;

	has_type(tag, page, "chatDatas", BSON_TYPE_ARRAY);
	has_type(tag, page, "lastChatId", BSON_TYPE_INT64);
	has_type(tag, page, "lastTokenId", BSON_TYPE_INT64);
	has_type(tag, page, "delChatIds", BSON_TYPE_ARRAY);
	has_type(tag, page, "eof", BSON_TYPE_BOOL);
	/* KiwiTalk requires mcmRevision and lbk; loco-wrapper kc. */
	has_type(tag, page, "mcmRevision", BSON_TYPE_INT32);
	has_type(tag, page, "lbk", BSON_TYPE_INT32);
	has_type(tag, page, "ltk", BSON_TYPE_INT64);
	has_type(tag, page, "kc", BSON_TYPE_ARRAY);
	ok(tclient_len(page, "chatDatas") <= 2,
	    "%s: a page holds at most the page size", tag);
	if (tclient_doc(page, "delChatIds", &arr) && bson_iter_init(&it, &arr))
		while (bson_iter_next(&it))
			if (*n_del < cap)
				del[(*n_del)++] = BSON_ITER_HOLDS_INT64(&it)
				    ? bson_iter_int64(&it)
				    : -1;
	if (!tclient_doc(page, "chatDatas", &arr) || !bson_iter_init(&it, &arr))
		return tclient_bool(page, "eof");
	while (bson_iter_next(&it)) {
		const uint8_t *data;
		uint32_t len;
		bool is_known = false;
		int64_t id;

		if (!BSON_ITER_HOLDS_DOCUMENT(&it)) {
			ok(false, "%s: a chatDatas entry is not a document",
			    tag);
			continue;
		}
		bson_iter_document(&it, &len, &data);
		bson_init_static(&d, data, len);
		id = tclient_i64(&d, "c");
		for (i = 0; i < n_known; i++)
			if (known[i] == id)
				is_known = true;
		check_chat_data(sim, tag, &d, is_known);
		if (*n_seen < cap)
			seen[(*n_seen)++] = id;
	}
	if (tclient_len(page, "chatDatas") > 0)
		is_int(tclient_i64(page, "lastChatId"), ==, seen[*n_seen - 1]);
	return tclient_bool(page, "eof");
}

/* seen must be exactly ME's chats, once each, in ascending order. */
static void
check_all_seen(struct locosim *sim, const char *tag, const int64_t *seen,
    size_t n_seen)
{
	int64_t want[16];
	size_t n = my_chats(sim, want, 16), i;
	bool same = n == n_seen;

	for (i = 0; same && i < n; i++)
		if (want[i] != seen[i])
			same = false;
	ok(same, "%s: the pages list all %zu chats once (got %zu)", tag, n,
	    n_seen);
}

/*
 * LOGINLIST with chatIds/maxIds and LCHATLIST until eof on tc; every page
 * is checked. Returns whether the session is logged in.
 */
static bool
login_and_list(struct locosim *sim, struct tclient *tc, const char *tag,
    const int64_t *known, const int64_t *max, size_t n_known, int64_t *del,
    size_t *n_del)
{
	static const uint8_t rp[6] = {0x00, 0x00, 0xff, 0xff, 0x00, 0x00};
	struct locosim_account *a =
	    locosim_world_account(locosim_world(sim), ME);
	struct tclient_pkt *p;
	struct loco_error err;
	int64_t seen[16];
	size_t n_seen = 0, pages;
	const uint8_t *bin = NULL;
	bson_subtype_t sub = BSON_SUBTYPE_USER;
	uint32_t binlen = 0;
	bson_iter_t it;
	bson_t body;
	int eof;

	bson_init(&body);
	tclient_loginlist_body(&body, a->access_token, a->device_uuid, 2, known,
	    max, n_known);
	p = tclient_call(tc, "LOGINLIST", &body, &err);
	bson_destroy(&body);
	if (!ok(p != NULL, "%s: LOGINLIST answered: %s", tag, p ? "" : err.msg))
		return false;
	is_str(p->hdr.method, "LOGINLIST");
	if (!is_int(tclient_status(p), ==, 0)) {
		tclient_pkt_free(p);
		return false;
	}
	has_type(tag, p->body, "status", BSON_TYPE_INT32);
	has_type(tag, p->body, "userId", BSON_TYPE_INT64);
	is_int(tclient_i64(p->body, "userId"), ==, ME);
	has_type(tag, p->body, "revision", BSON_TYPE_INT32);
	has_type(tag, p->body, "revisionInfo", BSON_TYPE_UTF8);
	has_type(tag, p->body, "minLogId", BSON_TYPE_INT64);
	has_type(tag, p->body, "sb", BSON_TYPE_INT32);
	if (bson_iter_init_find(&it, p->body, "rp") &&
	    BSON_ITER_HOLDS_BINARY(&it))
		bson_iter_binary(&it, &sub, &binlen, &bin);
	ok(bin != NULL && sub == BSON_SUBTYPE_BINARY,
	    "%s: rp is binary subtype 0", tag);
	if (bin != NULL)
		is_mem(bin, binlen, rp, sizeof rp);
	eof = read_page(sim, tag, p->body, known, n_known, seen, &n_seen, 16,
	    del, n_del);
	/* ME has more chats than one page: LCHATLIST must follow. */
	is_int(eof, ==, 0);
	for (pages = 0; eof == 0 && pages < 16; pages++) {
		int64_t last_chat = tclient_i64(p->body, "lastChatId");
		int64_t last_token = tclient_i64(p->body, "lastTokenId");

		tclient_pkt_free(p);
		bson_init(&body);
		loco_bson_append_i64_array(&body, "chatIds", known, n_known);
		loco_bson_append_i64_array(&body, "maxIds", max, n_known);
		BSON_APPEND_INT64(&body, "lastTokenId", last_token);
		BSON_APPEND_INT64(&body, "lastChatId", last_chat);
		p = tclient_call(tc, "LCHATLIST", &body, &err);
		bson_destroy(&body);
		if (!ok(p != NULL, "%s: LCHATLIST answered: %s", tag,
		        p ? "" : err.msg))
			return false;
		is_str(p->hdr.method, "LCHATLIST");
		is_int(tclient_status(p), ==, 0);
		eof = read_page(sim, tag, p->body, known, n_known, seen,
		    &n_seen, 16, del, n_del);
	}
	is_int(eof, ==, 1);
	tclient_pkt_free(p);
	check_all_seen(sim, tag, seen, n_seen);
	return true;
}

/* The whole walk: booking, checkin, chat session; returns the session. */
static struct tclient *
bootstrap(struct locosim *sim, enum loco_cipher cipher, uint32_t kt,
    const char *tag)
{
	static const int64_t known[] = {CHAT_MULTI, CHAT_MEMO, CHAT_FOREIGN,
	    CHAT_DIRECT, CHAT_NONE};
	static const int64_t max[] = {L(2), 0, 5, L(0), 0};
	char ckhost[64], host[64];
	uint16_t ckport = 0, port = 0;
	struct tclient *tc;
	struct loco_error err;
	int64_t del[16];
	size_t n_del = 0, i;
	bool foreign = false, none = false, wrong = false;

	if (!booking(sim, cipher, tag, ckhost, sizeof ckhost, &ckport) ||
	    !checkin(sim, ckhost, ckport, cipher, kt, tag, host, sizeof host,
	        &port))
		return NULL;
	tc = tclient_connect(base, host, port, LOCO_CONN_SECURE,
	    locosim_public_key(sim), kt, cipher, NULL, NULL, &err);
	if (!ok(tc != NULL, "%s: secure connect to chat %s:%u: %s", tag, host,
	        (unsigned)port, tc ? "ok" : err.msg))
		return NULL;
	if (!login_and_list(sim, tc, tag, known, max, 5, del, &n_del)) {
		tclient_free(tc);
		return NULL;
	}
	/* Chats the client named that are not ours come back as gone. */
	for (i = 0; i < n_del; i++) {
		if (del[i] == CHAT_FOREIGN)
			foreign = true;
		else if (del[i] == CHAT_NONE)
			none = true;
		else
			wrong = true;
	}
	ok(foreign && none && !wrong,
	    "%s: delChatIds names the foreign and the unknown chat only", tag);
	return tc;
}

/* The first login of a session without chatIds: no l, no delChatIds. */
static void
test_plain_login(struct locosim *sim, enum loco_cipher cipher, uint32_t kt,
    const char *tag)
{
	struct tclient *tc;
	struct loco_error err;
	int64_t del[16];
	size_t n_del = 0;

	tc = tclient_connect(base, "127.0.0.1", locosim_port(sim, LOCOSIM_CHAT),
	    LOCO_CONN_SECURE, locosim_public_key(sim), kt, cipher, NULL, NULL,
	    &err);
	if (!ok(tc != NULL, "%s: connect: %s", tag, tc ? "ok" : err.msg))
		return;
	login_and_list(sim, tc, tag, NULL, NULL, 0, del, &n_del);
	is_uint(n_del, ==, 0);
	tclient_free(tc);
}

/* A LOGINLIST with token/duuid answered status, and the session stays out. */
static void
refused_login(struct locosim *sim, enum loco_cipher cipher, uint32_t kt,
    const char *tag, const char *token, const char *duuid, int32_t status)
{
	struct tclient_pkt *p = NULL;
	struct tclient *tc;
	struct loco_error err;
	bson_t body, *req;

	tc = tclient_connect(base, "127.0.0.1", locosim_port(sim, LOCOSIM_CHAT),
	    LOCO_CONN_SECURE, locosim_public_key(sim), kt, cipher, NULL, NULL,
	    &err);
	if (!ok(tc != NULL, "%s: connect: %s", tag, tc ? "ok" : err.msg))
		return;
	bson_init(&body);
	tclient_loginlist_body(&body, token, duuid, 2, NULL, NULL, 0);
	p = tclient_call(tc, "LOGINLIST", &body, &err);
	bson_destroy(&body);
	if (ok(p != NULL, "%s: answered: %s", tag, p ? "" : err.msg)) {
		is_int(tclient_status(p), ==, status);
		ok(tclient_type(p->body, "chatDatas") == BSON_TYPE_EOD,
		    "%s: no chat list in a refusal", tag);
	}
	tclient_pkt_free(p);
	/* Still not logged in. */
	req = BCON_NEW("chatId", BCON_INT64(CHAT_MULTI));
	p = tclient_call(tc, "CHATINFO", req, &err);
	bson_destroy(req);
	if (ok(p != NULL, "%s: CHATINFO after the refusal: %s", tag,
	        p ? "" : err.msg))
		is_int(tclient_status(p), ==, -201);
	tclient_pkt_free(p);
	tclient_free(tc);
}

/* Bad, foreign, truncated, missing and expired tokens are refused. */
static void
test_refusals(struct locosim *sim, enum loco_cipher cipher, uint32_t kt,
    const char *tag)
{
	char t[96];

	snprintf(t, sizeof t, "%s wrong token", tag);
	refused_login(sim, cipher, kt, t, "token-999", "duuid-101", -950);
	snprintf(t, sizeof t, "%s token of another", tag);
	refused_login(sim, cipher, kt, t, "token-102", "duuid-101", -950);
	snprintf(t, sizeof t, "%s wrong duuid", tag);
	refused_login(sim, cipher, kt, t, "token-101", "duuid-999", -950);
	snprintf(t, sizeof t, "%s token prefix", tag);
	refused_login(sim, cipher, kt, t, "token-10", "duuid-101", -950);
	snprintf(t, sizeof t, "%s no token", tag);
	refused_login(sim, cipher, kt, t, NULL, "duuid-101", -203);
	ok(locosim_expire_token(sim, ME, true) == 0, "%s: expire the token",
	    tag);
	snprintf(t, sizeof t, "%s expired token", tag);
	refused_login(sim, cipher, kt, t, "token-101", "duuid-101", -950);
	locosim_expire_token(sim, ME, false);
	is_uint(locosim_session_count(sim, ME), ==, 0);
}

/* Commands before LOGINLIST answer -201 and the session survives. */
static void
test_before_login(struct locosim *sim, enum loco_cipher cipher, uint32_t kt,
    const char *tag)
{
	static const char *const methods[] = {"LCHATLIST", "CHATINFO",
	    "CHATONROOM", "GETMEM", "WRITE", "SYNCMSG", "NOTIREAD",
	    "DELETEMSG"};
	struct tclient_pkt *p;
	struct tclient *tc;
	struct loco_error err;
	bson_t *req;
	size_t i;

	tc = tclient_connect(base, "127.0.0.1", locosim_port(sim, LOCOSIM_CHAT),
	    LOCO_CONN_SECURE, locosim_public_key(sim), kt, cipher, NULL, NULL,
	    &err);
	if (!ok(tc != NULL, "%s: connect: %s", tag, tc ? "ok" : err.msg))
		return;
	req = BCON_NEW("chatId", BCON_INT64(CHAT_MULTI), "logId",
	    BCON_INT64(L(1)), "msg", "x", "type", BCON_INT32(1), "cur",
	    BCON_INT64(0), "max", BCON_INT64(L(4)), "watermark",
	    BCON_INT64(L(4)));
	for (i = 0; i < sizeof methods / sizeof *methods; i++) {
		p = tclient_call(tc, methods[i], req, &err);
		if (ok(p != NULL, "%s: %s before login answered", tag,
		        methods[i])) {
			is_int(tclient_status(p), ==, -201);
			is_str(p->hdr.method, methods[i]);
			has_type(tag, p->body, "status", BSON_TYPE_INT32);
		}
		tclient_pkt_free(p);
	}
	bson_destroy(req);
	ok(!tclient_is_closed(tc), "%s: the session is still open", tag);
	is_uint(locosim_write_count(sim), ==, 0);
	tclient_free(tc);
}

/* A handshake with the given words, sent raw: must close without a byte. */
static void
bad_handshake(struct locosim *sim, const char *tag, uint32_t kt,
    uint32_t cipher_word, bool garbage_key)
{
	uint8_t hs[LOCO_HANDSHAKE_LEN];
	struct loco_secure *s;
	size_t received = 99;
	bool closed;

	s = loco_secure_client_new(locosim_public_key(sim),
	    LOCO_KEY_ENCRYPT_OAEP, LOCO_CIPHER_GCM, hs, NULL);
	loco_secure_free(s);
	hs[4] = (uint8_t)kt;
	hs[5] = hs[6] = hs[7] = 0;
	hs[8] = (uint8_t)cipher_word;
	hs[9] = hs[10] = hs[11] = 0;
	if (garbage_key)
		RAND_bytes(hs + 12, LOCO_RSA_CIPHERTEXT_LEN);
	closed = raw_probe(locosim_port(sim, LOCOSIM_CHAT), hs, sizeof hs,
	    &received);
	ok(closed, "%s: the server closes", tag);
	is_uint(received, ==, 0);
}

/* Every broken handshake is met with silence and a close. */
static void
test_bad_handshakes(struct locosim *sim, enum loco_cipher cipher,
    const char *tag)
{
	uint8_t junk[LOCO_HANDSHAKE_LEN + 40];
	size_t received = 99;
	char t[96];

	if (cipher == LOCO_CIPHER_GCM) {
		snprintf(t, sizeof t, "%s: key type 12 with GCM", tag);
		bad_handshake(sim, t, 12, 3, false);
		snprintf(t, sizeof t, "%s: CFB profile words 12/2", tag);
		bad_handshake(sim, t, 12, 2, false);
		snprintf(t, sizeof t, "%s: key type 16 with CFB", tag);
		bad_handshake(sim, t, 16, 2, false);
		snprintf(t, sizeof t, "%s: right words, key not ours", tag);
		bad_handshake(sim, t, 16, 3, true);
	} else {
		snprintf(t, sizeof t, "%s: GCM profile words 16/3", tag);
		bad_handshake(sim, t, 16, 3, false);
		snprintf(t, sizeof t, "%s: key type 16 with CFB", tag);
		bad_handshake(sim, t, 16, 2, false);
		snprintf(t, sizeof t, "%s: key type 13 with CFB", tag);
		bad_handshake(sim, t, 13, 2, false);
		snprintf(t, sizeof t, "%s: right words, key not ours", tag);
		bad_handshake(sim, t, 12, 2, true);
	}
	RAND_bytes(junk, sizeof junk);
	ok(raw_probe(locosim_port(sim, LOCOSIM_CHAT), junk, sizeof junk,
	       &received),
	    "%s: garbage instead of a handshake: closed", tag);
	is_uint(received, ==, 0);
	received = 99;
	ok(raw_probe(locosim_port(sim, LOCOSIM_CHECKIN), junk, sizeof junk,
	       &received),
	    "%s: garbage on the checkin port: closed", tag);
	is_uint(received, ==, 0);
	received = 99;
	/* A LOCO packet in the clear is not a handshake either. */
	memset(junk, 0, sizeof junk);
	memcpy(junk + 6, "LOGINLIST", 9);
	junk[18] = 5;
	junk[22] = 5;
	ok(raw_probe(locosim_port(sim, LOCOSIM_CHAT), junk, sizeof junk,
	       &received),
	    "%s: a plain packet instead of a handshake: closed", tag);
	is_uint(received, ==, 0);
}

/* Same dtype: the newcomer evicts the old session; another dtype stays. */
static void
test_device_slots(struct locosim *sim, enum loco_cipher cipher, const char *tag)
{
	struct tclient *a, *b = NULL, *c = NULL;
	struct tclient_pkt *k = NULL, *p = NULL;
	struct loco_error err;

	a = tclient_login(base, sim, ME, 2, cipher, NULL, &err);
	if (!ok(a != NULL, "%s: first login: %s", tag, a ? "ok" : err.msg))
		return;
	b = tclient_login(base, sim, ME, 2, cipher, NULL, &err);
	if (!ok(b != NULL, "%s: second login, same dtype: %s", tag,
	        b ? "ok" : err.msg))
		goto out;
	k = tclient_wait_push(a, "KICKOUT");
	if (ok(k != NULL, "%s: the first session gets KICKOUT", tag)) {
		has_type(tag, k->body, "reason", BSON_TYPE_INT32);
		is_int(tclient_i64(k->body, "reason"), ==, 0);
		ok(k->hdr.packet_id >= PUSH_ID_MIN,
		    "%s: the push id %u is in the push range", tag,
		    k->hdr.packet_id);
	}
	ok(tclient_wait_closed(a, &err), "%s: and is closed (%s)", tag,
	    err.msg);
	is_uint(tclient_push_count(b, "KICKOUT"), ==, 0);
	c = tclient_login(base, sim, ME, 1, cipher, NULL, &err);
	if (!ok(c != NULL, "%s: a login with another dtype: %s", tag,
	        c ? "ok" : err.msg))
		goto out;
	p = tclient_call(b, "PING", NULL, &err);
	ok(p != NULL && tclient_status(p) == 0,
	    "%s: the second session still answers", tag);
	tclient_pkt_free(p);
	p = tclient_call(c, "PING", NULL, &err);
	ok(p != NULL && tclient_status(p) == 0, "%s: and so does the third",
	    tag);
	is_uint(tclient_push_count(b, "KICKOUT"), ==, 0);
	is_uint(tclient_push_count(c, "KICKOUT"), ==, 0);
	is_uint(locosim_session_count(sim, ME), ==, 2);
out:
	tclient_pkt_free(p);
	tclient_pkt_free(k);
	tclient_free(a);
	tclient_free(b);
	tclient_free(c);
}

/* TLS that trusts nothing, or expects another name, must not connect. */
static void
test_tls_refusals(struct locosim *sim)
{
	SSL_CTX *empty = SSL_CTX_new(TLS_client_method());
	SSL_CTX *ctx = tclient_sim_ssl_ctx(sim);
	struct tclient *tc;
	struct loco_error err;

	tc = tclient_connect(base, "127.0.0.1",
	    locosim_port(sim, LOCOSIM_BOOKING), LOCO_CONN_TLS, NULL, 0, 0,
	    empty, tls_name, &err);
	ok(tc == NULL && err.code == LOCO_ERR_TLS,
	    "TLS without locosim's certificate fails: %s", err.msg);
	tclient_free(tc);
	tc = tclient_connect(base, "127.0.0.1",
	    locosim_port(sim, LOCOSIM_BOOKING), LOCO_CONN_TLS, NULL, 0, 0, ctx,
	    "booking-loco.kakao.com", &err);
	ok(tc == NULL && err.code == LOCO_ERR_TLS,
	    "TLS verifying another name fails: %s", err.msg);
	tclient_free(tc);
	SSL_CTX_free(empty);
	SSL_CTX_free(ctx);
}

/* A chat ME left since: named in chatIds, it comes back in delChatIds. */
static void
test_left_chat(struct locosim *sim, enum loco_cipher cipher, uint32_t kt,
    const char *tag)
{
	static const int64_t known[] = {CHAT_OTHER, CHAT_MULTI};
	static const int64_t max[] = {L(30), L(4)};
	struct tclient *tc;
	struct loco_error err;
	int64_t del[16];
	size_t n_del = 0;

	ok(locosim_leave(sim, CHAT_OTHER, ME) > 0, "%s: leave chat %d", tag,
	    CHAT_OTHER);
	tc = tclient_connect(base, "127.0.0.1", locosim_port(sim, LOCOSIM_CHAT),
	    LOCO_CONN_SECURE, locosim_public_key(sim), kt, cipher, NULL, NULL,
	    &err);
	if (!ok(tc != NULL, "%s: connect: %s", tag, tc ? "ok" : err.msg))
		return;
	login_and_list(sim, tc, tag, known, max, 2, del, &n_del);
	ok(n_del == 1 && del[0] == CHAT_OTHER,
	    "%s: delChatIds holds the chat we left", tag);
	tclient_free(tc);
}

/* One profile end to end: cipher with key type kt. */
static void
run_profile(struct locosim *sim, enum loco_cipher cipher, uint32_t kt,
    const char *tag)
{
	struct tclient *tc;
	struct tclient_pkt *p;
	struct loco_error err;

	diag("profile %s", tag);
	tc = bootstrap(sim, cipher, kt, tag);
	if (tc != NULL) {
		p = tclient_call(tc, "PING", NULL, &err);
		ok(p != NULL && tclient_status(p) == 0,
		    "%s: PING on the new session", tag);
		tclient_pkt_free(p);
		is_uint(locosim_session_count(sim, ME), ==, 1);
		tclient_free(tc);
	}
	test_plain_login(sim, cipher, kt, tag);
	test_refusals(sim, cipher, kt, tag);
	test_before_login(sim, cipher, kt, tag);
}

/* Start locosim with cipher, reusing the program's key files. */
static struct locosim *
start_sim(enum loco_cipher cipher)
{
	struct locosim_opts opts;
	struct locosim *sim;
	struct loco_error err;
	char key[4096], cert[4096], certkey[4096];

	/* One RSA key for the whole program: generating it is slow. */
	snprintf(key, sizeof key, "%s/rsa.pem", tap_tmpdir());
	snprintf(cert, sizeof cert, "%s/cert.pem", tap_tmpdir());
	snprintf(certkey, sizeof certkey, "%s/cert-key.pem", tap_tmpdir());
	locosim_opts_init(&opts);
	opts.world_json = world_json;
	opts.no_control = true;
	opts.cipher = cipher;
	opts.ping_interval = PING_ITV;
	opts.rsa_key_path = key;
	opts.tls_cert_path = cert;
	opts.tls_key_path = certkey;
	sim = locosim_new(base, &opts, &err);
	ok(sim != NULL, "locosim starts with cipher %d: %s", (int)cipher,
	    sim ? "ok" : err.msg);
	return sim;
}

/* Free locosim and let every closed connection free itself. */
static void
stop_sim(struct locosim *sim)
{
	locosim_free(sim);
	/* Let connections closed above finish and free themselves. */
	event_base_dispatch(base);
}

/* GCM first, then CFB with key types 12 and 15. */
int
main(void)
{
	struct locosim *sim;

	tap_init(120);
	base = event_base_new();

	if ((sim = start_sim(LOCO_CIPHER_GCM)) != NULL) {
		pick_tls_name(sim);
		test_tls_refusals(sim);
		run_profile(sim, LOCO_CIPHER_GCM, 16, "GCM 16/3");
		test_bad_handshakes(sim, LOCO_CIPHER_GCM, "GCM");
		test_device_slots(sim, LOCO_CIPHER_GCM, "GCM");
		test_left_chat(sim, LOCO_CIPHER_GCM, 16, "GCM");
		stop_sim(sim);
	}
	if ((sim = start_sim(LOCO_CIPHER_CFB)) != NULL) {
		if (tls_name[0] == '\0')
			pick_tls_name(sim);
		run_profile(sim, LOCO_CIPHER_CFB, 12, "CFB 12/2");
		run_profile(sim, LOCO_CIPHER_CFB, 15, "CFB 15/2");
		test_bad_handshakes(sim, LOCO_CIPHER_CFB, "CFB");
		test_device_slots(sim, LOCO_CIPHER_CFB, "CFB");
		test_left_chat(sim, LOCO_CIPHER_CFB, 15, "CFB");
		stop_sim(sim);
	}
	event_base_free(base);
	return done_testing();
}
