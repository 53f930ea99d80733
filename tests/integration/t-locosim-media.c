/* locoirc: see LICENSE.
 *
 * Media upload against locosim as LOCO.md 2.10 and decision 9 describe
 * it: SHIP on the chat session, a second secure connection to the media
 * host it names, POST, the raw file bytes (in one frame and in many), and
 * COMPLETE with the message, which the other members get as MSG and whose
 * url serves the same bytes over HTTP. Bad checksums and unknown keys must
 * be refused. Both cipher profiles.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/evp.h>
#include <bson/bson.h>

#include "loco-bson.h"
#include "loco-chatlog.h"
#include "loco-conn.h"
#include "loco-media.h"
#include "loco-msgtype.h"
#include "loco-secure.h"
#include "locosim.h"
#include "tap.h"
#include "tclient.h"

#define UA INT64_C(6000000001)
#define UB INT64_C(6000000002)
#define UC INT64_C(6000000003)
#define CHAT_GROUP INT64_C(10)
#define CHAT_OTHER INT64_C(12)

/* How long to let stray packets arrive when proving that none came. */
#define QUIET_MS 150
/* Plaintext bytes per frame for the many-frames upload. */
#define SMALL_FRAME 97

static const char world_json[] =
    "{\"users\": ["
    "  {\"userId\": 6000000001, \"nickName\": \"Alice\"},"
    "  {\"userId\": 6000000002, \"nickName\": \"Bob\"},"
    "  {\"userId\": 6000000003, \"nickName\": \"Carol\"}],"
    " \"accounts\": ["
    "  {\"userId\": 6000000001, \"accessToken\": \"tok-alice\","
    "   \"deviceUuid\": \"dev-alice\"},"
    "  {\"userId\": 6000000002, \"accessToken\": \"tok-bob\","
    "   \"deviceUuid\": \"dev-bob\"}],"
    " \"chats\": ["
    "  {\"chatId\": 10, \"type\": \"MultiChat\", \"title\": \"Group\","
    "   \"members\": [6000000001, 6000000002, 6000000003]},"
    "  {\"chatId\": 12, \"type\": \"DirectChat\","
    "   \"members\": [6000000002, 6000000003]}]}";

/* One run: the simulator and the chat sessions. */
struct fix {
	struct locosim *sim;
	enum loco_cipher cipher;
	const char *name;
	struct tclient *a;  /* A's device that uploads */
	struct tclient *a2; /* A's other device */
	struct tclient *b;
};

/* What SHIP handed out. */
struct ship {
	char *key;  /* owned */
	char *host; /* owned */
	int32_t port;
};

static struct event_base *base;
static char rsa_path[512], cert_path[512], certkey_path[512];

/* Upper-case SHA-1 hex of data, as the AM client sends it. */
static void
sha1_hex(const void *data, size_t len, char hex[41])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	EVP_Digest(data, len, md, &n, EVP_sha1(), NULL);
	for (i = 0; i < n && i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02X", md[i]);
	hex[40] = '\0';
}

/* Fill buf with bytes that are not all alike. */
static void
fill(uint8_t *buf, size_t len, unsigned seed)
{
	uint32_t x = 2463534242u ^ seed;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
}

/* Free what SHIP handed out. */
static void
ship_release(struct ship *s)
{
	free(s->key);
	free(s->host);
	memset(s, 0, sizeof *s);
}

/* SHIP on A's chat session; the status, and *s when it is 0. */
static int32_t
do_ship(struct fix *f, int64_t chat, int32_t type, const char *ext, size_t size,
    const char *cs, struct ship *s)
{
	struct loco_ship_req req;
	struct loco_ship_res res;
	struct loco_error err;
	struct tclient_pkt *p;
	int32_t status;
	bson_t body;

	memset(s, 0, sizeof *s);
	memset(&req, 0, sizeof req);
	req.chat_id = chat;
	req.type = type;
	req.size = (int64_t)size;
	req.checksum = (char *)cs;
	req.ext = (char *)ext;
	req.extra = (char *)"{}";
	bson_init(&body);
	loco_ship_req_encode(&req, &body);
	p = tclient_call(f->a, "SHIP", &body, &err);
	bson_destroy(&body);
	if (!ok(p != NULL, "SHIP is answered")) {
		diag("%s", err.msg);
		return INT32_MIN;
	}
	if ((status = tclient_status(p)) == 0) {
		if (ok(loco_ship_res_decode(p->body, &res, &err) == 0,
		        "SHIP answer decodes")) {
			s->key = res.key;
			s->host = res.host;
			s->port = res.port;
			res.key = res.host = NULL;
			loco_ship_res_release(&res);
		} else {
			diag("%s", err.msg);
			status = INT32_MIN;
		}
	}
	tclient_pkt_free(p);
	return status;
}

/* Connect to the media host SHIP named. */
static struct tclient *
media_connect(struct fix *f, const struct ship *s)
{
	struct loco_error err;
	struct tclient *m;

	m = tclient_connect(base, s->host, (uint16_t)s->port, LOCO_CONN_SECURE,
	    locosim_public_key(f->sim),
	    f->cipher == LOCO_CIPHER_GCM ? LOCO_KEY_ENCRYPT_OAEP
	                                 : LOCO_KEY_ENCRYPT_OAEP_LEGACY,
	    f->cipher, NULL, NULL, &err);
	if (!ok(m != NULL, "connect to the media host %s:%d", s->host, s->port))
		diag("%s", err.msg);
	return m;
}

/* POST on a media connection; the reply's status, *offset from it. */
static int32_t
do_post(struct tclient *m, const char *key, int32_t type, size_t size,
    int64_t msg_id, int64_t *offset)
{
	struct loco_post_req req;
	struct loco_post_res res;
	struct loco_error err;
	struct tclient_pkt *p;
	int32_t status;
	bson_t body;

	memset(&req, 0, sizeof req);
	req.user_id = UA;
	req.key = (char *)key;
	req.type = type;
	req.size = (int64_t)size;
	req.chat_id = CHAT_GROUP;
	req.file_name = (char *)"upload.bin";
	req.msg_id = msg_id;
	req.no_seen = false;
	req.width = 640;
	req.height = 480;
	req.os = (char *)"mac";
	req.app_ver = (char *)"3.7.0";
	req.mccmnc = (char *)"999";
	req.extra = (char *)"{}";
	req.dt = 4;
	req.scp = 1;
	bson_init(&body);
	loco_post_req_encode(&req, &body);
	p = tclient_call(m, "POST", &body, &err);
	bson_destroy(&body);
	if (!ok(p != NULL, "POST is answered")) {
		diag("%s", err.msg);
		return INT32_MIN;
	}
	status = tclient_status(p);
	*offset = -1;
	if (status == 0 && loco_post_res_decode(p->body, &res, &err) == 0) {
		*offset = res.offset;
		loco_post_res_release(&res);
	}
	tclient_pkt_free(p);
	return status;
}

/* Send data on m: in one piece, or in pieces of a few small frames. */
static bool
send_bytes(struct tclient *m, const uint8_t *data, size_t len, bool small)
{
	struct loco_conn *conn = tclient_conn(m);
	struct loco_error err;
	size_t off, n;

	if (conn == NULL)
		return false;
	if (!small) {
		if (loco_conn_send_raw(conn, data, len, &err) == 0)
			return true;
		diag("%s", err.msg);
		return false;
	}
	loco_conn_set_max_plain(conn, SMALL_FRAME);
	for (off = 0; off < len; off += n) {
		n = len - off < 1000 ? len - off : 1000;
		if (loco_conn_send_raw(conn, data + off, n, &err) != 0) {
			diag("%s", err.msg);
			return false;
		}
	}
	return true;
}

/*
 * One whole upload that must succeed: SHIP, POST, bytes, COMPLETE, MSG
 * to the others, and the bytes back over HTTP. Returns the upload key
 * (malloc'd) or NULL.
 */
static char *
upload_ok(struct fix *f, int32_t type, const char *ext, size_t len, bool small,
    unsigned seed)
{
	struct loco_complete done;
	struct loco_attachment att;
	struct loco_chatlog cl;
	struct loco_error err;
	struct tclient_pkt *p;
	struct tclient *m = NULL;
	struct ship s;
	uint8_t *data = malloc(len), *got = NULL;
	char cs[41];
	int64_t offset, log_id = 0;
	size_t got_len = 0;
	char *key = NULL;
	bson_t sub;

	diag("%s: upload of %zu bytes as type %d in %s", f->name, len, type,
	    small ? "many small frames" : "one frame");
	fill(data, len, seed);
	sha1_hex(data, len, cs);
	if (!ok(do_ship(f, CHAT_GROUP, type, ext, len, cs, &s) == 0,
	        "SHIP status 0"))
		goto out;
	ok(s.key != NULL && *s.key != '\0', "SHIP gives a key (%s)", s.key);
	ok(s.host != NULL && strcmp(s.host, "127.0.0.1") == 0 &&
	        s.port == locosim_port(f->sim, LOCOSIM_MEDIA),
	    "SHIP names locosim's media port");
	if ((m = media_connect(f, &s)) == NULL)
		goto out;
	if (!ok(do_post(m, s.key, type, len, 9000 + seed, &offset) == 0,
	        "POST status 0"))
		goto out;
	is_int(offset, ==, 0);
	ok(send_bytes(m, data, len, small), "the bytes are sent");
	p = tclient_wait_push(m, "COMPLETE");
	memset(&done, 0, sizeof done);
	if (!ok(p != NULL && loco_complete_decode(p->body, &done, &err) == 0,
	        "COMPLETE arrives and decodes")) {
		tclient_pkt_free(p);
		goto out;
	}
	ok(p->hdr.packet_id >= LOCO_CONN_PUSH_ID_BASE_DEFAULT,
	    "COMPLETE is a push");
	is_int(done.status, ==, 0);
	memset(&att, 0, sizeof att);
	if (ok(done.chatlog != NULL, "COMPLETE carries the chatLog")) {
		log_id = done.chatlog->log_id;
		ok(done.chatlog->chat_id == CHAT_GROUP &&
		        done.chatlog->author_id == UA &&
		        done.chatlog->type == type &&
		        done.chatlog->msg_id == 9000 + seed,
		    "the chatLog is A's type %d message in the chat", type);
		if (ok(loco_attachment_decode(done.chatlog->attachment, &att,
		           &err) == 0 &&
		            att.url != NULL,
		        "its attachment has an url")) {
			is_str(att.k, s.key);
			is_int(att.size, ==, len);
			ok(tclient_http_get(base, att.url, &got, &got_len) ==
			        200,
			    "GET %s is 200", att.url);
			is_mem(got, got_len, data, len);
			free(got);
		}
	}
	tclient_pkt_free(p);
	ok(tclient_wait_closed(m, &err), "the media connection is closed");

	p = tclient_wait_push(f->b, "MSG");
	ok(p != NULL && loco_bson_get_doc(p->body, "chatLog", &sub) == 1 &&
	        loco_chatlog_decode(&sub, &cl, &err) == 0 &&
	        cl.log_id == log_id && cl.type == type && cl.author_id == UA,
	    "B gets the message as MSG");
	if (p != NULL && cl.log_id == log_id)
		loco_chatlog_release(&cl);
	tclient_pkt_free(p);
	p = tclient_wait_push(f->a2, "MSG");
	ok(p != NULL, "A's other device gets the message as MSG");
	tclient_pkt_free(p);
	tclient_settle(f->a, QUIET_MS);
	is_uint(tclient_push_count(f->a, "MSG"), ==, 0);
	loco_attachment_release(&att);
	loco_complete_release(&done);
	key = s.key;
	s.key = NULL;
out:
	tclient_free(m);
	ship_release(&s);
	free(data);
	return key;
}

/* A checksum that does not match: COMPLETE with an error, no message. */
static void
upload_bad_checksum(struct fix *f)
{
	struct loco_complete done;
	struct loco_error err;
	struct tclient_pkt *p;
	struct tclient *m = NULL;
	struct ship s;
	uint8_t data[3000], other[3000], *got = NULL;
	char cs[41], *url = NULL;
	int64_t offset;
	size_t got_len;

	diag("%s: upload with a wrong checksum", f->name);
	fill(data, sizeof data, 1);
	fill(other, sizeof other, 2);
	sha1_hex(other, sizeof other, cs);
	if (!ok(do_ship(f, CHAT_GROUP, LOCO_MSG_PHOTO, "png", sizeof data, cs,
	            &s) == 0,
	        "SHIP status 0") ||
	    (m = media_connect(f, &s)) == NULL)
		goto out;
	if (!ok(do_post(m, s.key, LOCO_MSG_PHOTO, sizeof data, 1, &offset) == 0,
	        "POST status 0"))
		goto out;
	ok(send_bytes(m, data, sizeof data, false), "the bytes are sent");
	p = tclient_wait_push(m, "COMPLETE");
	memset(&done, 0, sizeof done);
	if (ok(p != NULL && loco_complete_decode(p->body, &done, &err) == 0,
	        "COMPLETE arrives")) {
		ok(done.status != 0, "COMPLETE has an error status (%d)",
		    done.status);
		ok(done.chatlog == NULL, "and no message");
		loco_complete_release(&done);
	}
	tclient_pkt_free(p);
	ok(tclient_wait_closed(m, &err), "the media connection is closed");
	tclient_settle(f->b, QUIET_MS);
	is_uint(tclient_push_count(f->b, "MSG"), ==, 0);
	is_uint(tclient_push_count(f->a2, "MSG"), ==, 0);
	url = malloc(strlen(s.key) + 64);
	snprintf(url, strlen(s.key) + 64, "http://127.0.0.1:%u/%s",
	    locosim_port(f->sim, LOCOSIM_HTTP), s.key);
	is_int(tclient_http_get(base, url, &got, &got_len), ==, 404);
	free(got);
out:
	free(url);
	tclient_free(m);
	ship_release(&s);
}

/* POST for a key SHIP never gave (or already used) is refused. */
static void
post_refused(struct fix *f, const char *key, const char *why)
{
	struct loco_error err;
	struct tclient *m;
	struct ship s;
	int64_t offset;
	int32_t status;

	diag("%s: POST with %s", f->name, why);
	memset(&s, 0, sizeof s);
	s.host = (char *)"127.0.0.1";
	s.port = locosim_port(f->sim, LOCOSIM_MEDIA);
	if ((m = media_connect(f, &s)) == NULL)
		return;
	status = do_post(m, key, LOCO_MSG_PHOTO, 100, 1, &offset);
	ok(status != 0 && status != INT32_MIN, "POST is refused (%d)", status);
	ok(tclient_wait_closed(m, &err), "and the connection ends");
	tclient_free(m);
}

/* The uploads of one cipher profile. */
static void
run(enum loco_cipher cipher)
{
	struct locosim_opts o;
	struct loco_error err;
	struct ship s;
	struct fix f;
	char *key = NULL;

	memset(&f, 0, sizeof f);
	f.cipher = cipher;
	f.name = cipher == LOCO_CIPHER_GCM ? "GCM" : "CFB";
	locosim_opts_init(&o);
	o.world_json = world_json;
	o.no_control = true;
	o.cipher = cipher;
	o.rsa_key_path = rsa_path;
	o.tls_cert_path = cert_path;
	o.tls_key_path = certkey_path;
	if (!ok((f.sim = locosim_new(base, &o, &err)) != NULL,
	        "%s: locosim starts", f.name)) {
		diag("%s", err.msg);
		return;
	}
	f.a = tclient_login(base, f.sim, UA, 2, cipher, NULL, &err);
	f.a2 = tclient_login(base, f.sim, UA, 1, cipher, NULL, &err);
	f.b = tclient_login(base, f.sim, UB, 2, cipher, NULL, &err);
	if (!ok(f.a != NULL && f.a2 != NULL && f.b != NULL,
	        "A (two devices) and B log in")) {
		diag("%s", err.msg);
		goto out;
	}
	key = upload_ok(&f, LOCO_MSG_PHOTO, "jpg", 20000, false, 7);
	free(upload_ok(&f, LOCO_MSG_FILE, "txt", 5000, true, 8));
	upload_bad_checksum(&f);
	post_refused(&f, "talkm/never/given.jpg", "an unknown key");
	if (key != NULL)
		post_refused(&f, key, "a key already used");
	free(key);
	is_int(do_ship(&f, CHAT_OTHER, LOCO_MSG_PHOTO, "jpg", 10, "", &s), ==,
	    -401);
	ship_release(&s);
	is_int(do_ship(&f, CHAT_GROUP, LOCO_MSG_PHOTO, "jpg", 0, "", &s), ==,
	    -203);
	ship_release(&s);
	is_uint(locosim_write_count(f.sim), ==, 0);
	is_uint(locosim_request_count(f.sim, "WRITE"), ==, 0);
out:
	tclient_free(f.a);
	tclient_free(f.a2);
	tclient_free(f.b);
	locosim_free(f.sim);
	tclient_loop_drain(base);
}

/* The uploads in both cipher profiles. */
int
main(void)
{
	const char *dir;

	tap_init(120);
	base = event_base_new();
	dir = tap_tmpdir();
	snprintf(rsa_path, sizeof rsa_path, "%s/rsa.pem", dir);
	snprintf(cert_path, sizeof cert_path, "%s/cert.pem", dir);
	snprintf(certkey_path, sizeof certkey_path, "%s/cert-key.pem", dir);
	run(LOCO_CIPHER_GCM);
	run(LOCO_CIPHER_CFB);
	event_base_free(base);
	return done_testing();
}
