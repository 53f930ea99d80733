/* locoirc: see LICENSE.
 *
 * Tests for loco-conn: both roles in one process on one event_base, over
 * plain TCP, the secure layer (GCM and CFB) and TLS with a certificate made
 * at start-up. Raw socket peers count frames and send broken bytes. Every
 * wait is bounded by a watchdog timer, so a hang fails instead of blocking.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <bson/bson.h>

#include "log.h"
#include "loco-bson.h"
#include "loco-conn.h"
#include "loco-key.h"
#include "loco-packet.h"
#include "loco-secure.h"
#include "tap.h"

#define MAXREC 64
#define WATCHDOG_MS 10000

/* One packet as seen by a callback. */
struct rec {
	uint32_t id;
	char method[LOCO_METHOD_LEN + 1];
	int32_t status;
	int64_t n;
	int seq; /* global order of arrival */
};

/* One end of a test connection and what happened to it. */
struct side {
	struct loco_conn *conn; /* NULL once the closed callback ran */
	int connected;
	int closed;
	int drained;
	struct loco_error close_err;
	struct rec pkts[MAXREC];
	int npkts;
	/* behaviour of the packet callback */
	void (*on_packet)(struct side *s, const struct loco_packet *pkt);
	bool close_in_connected;
	bool close_in_packet;
	bool close_in_closed;
	/* raw bytes received through expect_raw */
	uint8_t raw[4096];
	size_t nraw;
	int raw_chunks;
	size_t raw_last_left;
	int raw_done_seq;
};

/* A reply callback's record. */
struct call {
	int calls;
	bool got_pkt;
	uint32_t id;
	int64_t n;
	int32_t status;
	enum loco_error_code code;
	char method[LOCO_METHOD_LEN + 1];
	int seq;
	/* actions inside the callback */
	bool close_conn;
	bool request_again;
	int again_rc;
	size_t expect_raw;
};

/* A socket peer that speaks bytes, not loco-conn. */
struct rawpeer {
	struct bufferevent *bev;
	struct loco_secure *sec; /* set after the handshake */
	struct evbuffer *plain;
	enum loco_cipher cipher;
	int frames;
	int packets;
	struct rec pkts[MAXREC];
	size_t bytes_in;
	bool eof;
	bool error;
	bool connected;
};

enum srv_kind {
	SRV_CONN, /* accept into a loco_conn (srv) */
	SRV_RAW,  /* accept into a raw peer (rawsrv) */
	SRV_MUTE, /* accept and hold the fd, never answer */
};

static struct event_base *base;
static struct event *watchdog;
static bool watchdog_fired;
static int seq;
static EVP_PKEY *rsa_key;
static SSL_CTX *tls_server_ctx, *tls_client_ctx, *tls_untrusting_ctx;

static struct evconnlistener *listener;
static uint16_t listen_port;
static enum srv_kind srv_kind;
static struct loco_conn_opts srv_opts;
static struct side srv;
static struct side cli;
static int accepts;
static bool srv_start_stalled;
static struct rawpeer rawsrv;
static evutil_socket_t mute_fd = -1;

static void watchdog_cb(evutil_socket_t fd, short what, void *arg);
static void loop_begin(void);
static bool loop_step(void);
static void side_reset(struct side *s);
static void side_connected_cb(struct loco_conn *conn, void *arg);
static void side_packet_cb(struct loco_conn *conn,
    const struct loco_packet *pkt, void *arg);
static void side_closed_cb(struct loco_conn *conn, const struct loco_error *err,
    void *arg);
static void side_drained_cb(struct loco_conn *conn, void *arg);
static void side_raw_cb(struct loco_conn *conn, const void *data, size_t len,
    size_t left, void *arg);
static void call_cb(struct loco_conn *conn, const struct loco_packet *pkt,
    const struct loco_error *err, void *arg);
static void rec_packet(struct rec *r, const struct loco_packet *pkt);
static void accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int socklen, void *arg);
static void rawpeer_read_cb(struct bufferevent *bev, void *arg);
static void rawpeer_event_cb(struct bufferevent *bev, short what, void *arg);
static void rawpeer_free(struct rawpeer *p);
static void rawpeer_connect(struct rawpeer *p);
static void setup(enum srv_kind kind, const struct loco_conn_opts *so);
static void finish(void);
static struct loco_conn *client_start(const struct loco_conn_opts *o,
    const char *host);
static int request_n(struct loco_conn *conn, const char *method, int64_t n,
    unsigned timeout_ms, struct call *c, uint32_t *id);
static void body_n(bson_t *b, int64_t n);
static int make_tls(void);

static void srv_echo(struct side *s, const struct loco_packet *pkt);
static void srv_hold(struct side *s, const struct loco_packet *pkt);
static void srv_hold_zero(struct side *s, const struct loco_packet *pkt);
static void srv_push_around(struct side *s, const struct loco_packet *pkt);
static void srv_reply_close(struct side *s, const struct loco_packet *pkt);
static void srv_cork_reply_close(struct side *s, const struct loco_packet *pkt);
static void srv_reply_push_corked(struct side *s,
    const struct loco_packet *pkt);
static void srv_cork_reply_abort(struct side *s, const struct loco_packet *pkt);
static void srv_upload(struct side *s, const struct loco_packet *pkt);
static void srv_download(struct side *s, const struct loco_packet *pkt);

/* Any wait that takes this long has hung. */
static void
watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	watchdog_fired = true;
}

/* Arm the watchdog for one RUN_UNTIL. */
static void
loop_begin(void)
{
	struct timeval tv = {WATCHDOG_MS / 1000, 0};

	watchdog_fired = false;
	evtimer_add(watchdog, &tv);
}

/* One loop iteration; false (and the watchdog disarmed) once it fired. */
static bool
loop_step(void)
{
	if (watchdog_fired) {
		diag("watchdog fired");
		return false;
	}
	event_base_loop(base, EVLOOP_ONCE);
	return true;
}

/* Run the loop until cond holds or the watchdog fires. */
#define RUN_UNTIL(cond)                                                        \
	do {                                                                   \
		for (loop_begin(); !(cond) && loop_step();)                    \
			;                                                      \
		evtimer_del(watchdog);                                         \
	} while (0)

/* Forget everything a side saw. */
static void
side_reset(struct side *s)
{
	memset(s, 0, sizeof *s);
}

/* Record a packet's id, method, status and body "n". */
static void
rec_packet(struct rec *r, const struct loco_packet *pkt)
{
	memset(r, 0, sizeof *r);
	r->id = pkt->hdr.packet_id;
	memcpy(r->method, pkt->hdr.method, sizeof r->method);
	r->status = loco_packet_status(pkt);
	r->n = -1;
	loco_bson_get_i64(&pkt->body, "n", &r->n);
	r->seq = ++seq;
}

static void
side_connected_cb(struct loco_conn *conn, void *arg)
{
	struct side *s = arg;

	s->connected++;
	if (s->close_in_connected)
		loco_conn_close(conn);
}

static void
side_packet_cb(struct loco_conn *conn, const struct loco_packet *pkt, void *arg)
{
	struct side *s = arg;

	if (s->npkts < MAXREC)
		rec_packet(&s->pkts[s->npkts++], pkt);
	if (s->close_in_packet) {
		loco_conn_close(conn);
		return;
	}
	if (s->on_packet != NULL)
		s->on_packet(s, pkt);
}

static void
side_closed_cb(struct loco_conn *conn, const struct loco_error *err, void *arg)
{
	struct side *s = arg;

	s->closed++;
	s->close_err = *err;
	s->conn = NULL;
	if (s->close_in_closed)
		loco_conn_close(conn);
}

static void
side_drained_cb(struct loco_conn *conn, void *arg)
{
	struct side *s = arg;

	(void)conn;
	s->drained++;
}

static void
side_raw_cb(struct loco_conn *conn, const void *data, size_t len, size_t left,
    void *arg)
{
	struct side *s = arg;

	(void)conn;
	if (s->nraw + len <= sizeof s->raw)
		memcpy(s->raw + s->nraw, data, len);
	s->nraw += len;
	s->raw_chunks++;
	s->raw_last_left = left;
	if (left == 0)
		s->raw_done_seq = ++seq;
}

static const struct loco_conn_cbs side_cbs = {
    side_connected_cb,
    side_packet_cb,
    side_closed_cb,
    side_drained_cb,
};

static void
call_cb(struct loco_conn *conn, const struct loco_packet *pkt,
    const struct loco_error *err, void *arg)
{
	struct call *c = arg;
	struct rec r;
	uint32_t id;

	c->calls++;
	c->seq = ++seq;
	if (pkt != NULL) {
		rec_packet(&r, pkt);
		c->got_pkt = true;
		c->id = r.id;
		c->n = r.n;
		c->status = r.status;
		memcpy(c->method, r.method, sizeof c->method);
		c->code = err != NULL ? err->code : LOCO_ERR_NONE;
	} else
		c->code = err != NULL ? err->code : LOCO_ERR_NONE;
	if (c->expect_raw > 0)
		loco_conn_expect_raw(conn, c->expect_raw, side_raw_cb, &cli,
		    NULL);
	if (c->request_again)
		c->again_rc = loco_conn_request(conn, "AGAIN", NULL, 0, call_cb,
		    c, &id, NULL);
	if (c->close_conn)
		loco_conn_close(conn);
}

/* Build {n: n}. */
static void
body_n(bson_t *b, int64_t n)
{
	bson_init(b);
	BSON_APPEND_INT64(b, "n", n);
}

/* Send a request carrying n. */
static int
request_n(struct loco_conn *conn, const char *method, int64_t n,
    unsigned timeout_ms, struct call *c, uint32_t *id)
{
	bson_t b;
	int rc;

	body_n(&b, n);
	rc = loco_conn_request(conn, method, &b, timeout_ms, call_cb, c, id,
	    NULL);
	bson_destroy(&b);
	return rc;
}

/* Answer with the same method, n and a status of -n when n < 0. */
static void
srv_echo(struct side *s, const struct loco_packet *pkt)
{
	int64_t n = -1;
	bson_t b;

	loco_bson_get_i64(&pkt->body, "n", &n);
	bson_init(&b);
	BSON_APPEND_INT32(&b, "status", n < 0 ? (int32_t)n : 0);
	BSON_APPEND_INT64(&b, "n", n);
	loco_conn_reply(s->conn, pkt->hdr.packet_id, pkt->hdr.method, &b, NULL);
	bson_destroy(&b);
}

/* Answer nothing; the test answers from the records. */
static void
srv_hold(struct side *s, const struct loco_packet *pkt)
{
	(void)s;
	(void)pkt;
}

/* Hold requests with n == 0, echo the others. */
static void
srv_hold_zero(struct side *s, const struct loco_packet *pkt)
{
	int64_t n = -1;

	loco_bson_get_i64(&pkt->body, "n", &n);
	if (n != 0)
		srv_echo(s, pkt);
}

/* Push BEFORE, answer, push AFTER. */
static void
srv_push_around(struct side *s, const struct loco_packet *pkt)
{
	loco_conn_push(s->conn, "BEFORE", NULL, NULL, NULL);
	srv_echo(s, pkt);
	loco_conn_push(s->conn, "AFTER", NULL, NULL, NULL);
}

/* Answer and close at once (LOCO.md decision 14). */
static void
srv_reply_close(struct side *s, const struct loco_packet *pkt)
{
	srv_echo(s, pkt);
	loco_conn_close(s->conn);
}

/* Answer while corked and close without uncorking. */
static void
srv_cork_reply_close(struct side *s, const struct loco_packet *pkt)
{
	loco_conn_cork(s->conn);
	srv_echo(s, pkt);
	loco_conn_close(s->conn);
}

/* Answer while corked, then abort: the answer must not go out. */
static void
srv_cork_reply_abort(struct side *s, const struct loco_packet *pkt)
{
	loco_conn_cork(s->conn);
	srv_echo(s, pkt);
	loco_conn_abort(s->conn);
}

/* Answer and push twice, all in one frame. */
static void
srv_reply_push_corked(struct side *s, const struct loco_packet *pkt)
{
	loco_conn_cork(s->conn);
	srv_echo(s, pkt);
	loco_conn_push(s->conn, "P1", NULL, NULL, NULL);
	loco_conn_push(s->conn, "P2", NULL, NULL, NULL);
	loco_conn_uncork(s->conn, NULL);
}

/* POST {n: len}: take len raw bytes, then answer. */
static void
srv_upload(struct side *s, const struct loco_packet *pkt)
{
	int64_t n = -1;

	if (strcmp(pkt->hdr.method, "POST") != 0)
		return;
	loco_bson_get_i64(&pkt->body, "n", &n);
	ok(loco_conn_expect_raw(s->conn, (size_t)n, side_raw_cb, s, NULL) == 0,
	    "server expects %lld raw bytes", (long long)n);
	srv_echo(s, pkt);
}

/* DOWN {n: len}: answer {n}, then len raw bytes, then a DONE push. */
static void
srv_download(struct side *s, const struct loco_packet *pkt)
{
	uint8_t data[1000];
	int64_t n = -1;
	size_t i;

	loco_bson_get_i64(&pkt->body, "n", &n);
	for (i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 7 + 3);
	loco_conn_cork(s->conn);
	srv_echo(s, pkt);
	loco_conn_send_raw(s->conn, data, (size_t)n, NULL);
	loco_conn_push(s->conn, "DONE", NULL, NULL, NULL);
	loco_conn_uncork(s->conn, NULL);
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int socklen, void *arg)
{
	struct loco_error err;

	(void)l;
	(void)sa;
	(void)socklen;
	(void)arg;
	accepts++;
	switch (srv_kind) {
	case SRV_CONN:
		if (srv.conn != NULL) {
			diag("second connection refused");
			evutil_closesocket(fd);
			return;
		}
		srv.conn = loco_conn_accept(base, fd, &srv_opts, &side_cbs,
		    &srv, &err);
		if (srv.conn == NULL)
			diag("accept failed: %s", err.msg);
		else if (srv_start_stalled)
			loco_conn_set_read_enabled(srv.conn, false);
		break;
	case SRV_RAW:
		evutil_make_socket_nonblocking(fd);
		rawsrv.bev =
		    bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
		rawsrv.plain = evbuffer_new();
		bufferevent_setcb(rawsrv.bev, rawpeer_read_cb, NULL,
		    rawpeer_event_cb, &rawsrv);
		bufferevent_enable(rawsrv.bev, EV_READ);
		break;
	case SRV_MUTE:
		if (mute_fd >= 0)
			evutil_closesocket(mute_fd);
		mute_fd = fd;
		break;
	}
}

/*
 * Raw peer input: as a server, read the handshake first; then count frames
 * and packets. Without a session, just count bytes.
 */
static void
rawpeer_read_cb(struct bufferevent *bev, void *arg)
{
	struct rawpeer *p = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t hs[LOCO_HANDSHAKE_LEN];
	struct loco_packet pkt;
	struct loco_error err;
	int rc;

	if (p == &rawsrv && p->sec == NULL) {
		if (evbuffer_get_length(in) < LOCO_HANDSHAKE_LEN)
			return;
		evbuffer_remove(in, hs, sizeof hs);
		p->sec = loco_secure_server_new(rsa_key, p->cipher, hs, &err);
		if (p->sec == NULL) {
			diag("raw peer handshake: %s", err.msg);
			p->error = true;
			return;
		}
	}
	if (p->sec == NULL) {
		p->bytes_in += evbuffer_get_length(in);
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	while ((rc = loco_secure_open(p->sec, in, p->plain, &err)) == 1)
		p->frames++;
	if (rc < 0) {
		diag("raw peer frame: %s", err.msg);
		p->error = true;
		return;
	}
	while ((rc = loco_packet_parse(p->plain, LOCO_BODY_MAX_DEFAULT, &pkt,
	            &err)) == 1) {
		if (p->packets < MAXREC)
			rec_packet(&p->pkts[p->packets], &pkt);
		p->packets++;
		loco_packet_release(&pkt);
	}
	if (rc < 0) {
		diag("raw peer packet: %s", err.msg);
		p->error = true;
	}
}

static void
rawpeer_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct rawpeer *p = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		p->connected = true;
	if (what & BEV_EVENT_EOF)
		p->eof = true;
	if (what & BEV_EVENT_ERROR)
		p->error = true;
}

/* Release a raw peer. */
static void
rawpeer_free(struct rawpeer *p)
{
	if (p->bev != NULL)
		bufferevent_free(p->bev);
	if (p->plain != NULL)
		evbuffer_free(p->plain);
	loco_secure_free(p->sec);
	memset(p, 0, sizeof *p);
}

/* Connect a raw client peer to the listener. */
static void
rawpeer_connect(struct rawpeer *p)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(listen_port);
	p->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	p->plain = evbuffer_new();
	bufferevent_setcb(p->bev, rawpeer_read_cb, NULL, rawpeer_event_cb, p);
	bufferevent_enable(p->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(p->bev, (struct sockaddr *)&sin,
	        sizeof sin) != 0)
		diag("raw connect failed");
}

/* Start a listener on 127.0.0.1:0 whose connections become kind. */
static void
setup(enum srv_kind kind, const struct loco_conn_opts *so)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;

	side_reset(&srv);
	side_reset(&cli);
	memset(&rawsrv, 0, sizeof rawsrv);
	rawsrv.cipher = LOCO_CIPHER_GCM;
	accepts = 0;
	srv_start_stalled = false;
	srv_kind = kind;
	if (so != NULL)
		srv_opts = *so;
	else
		loco_conn_opts_init(&srv_opts);
	srv_opts.tag = "srv";
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listener = evconnlistener_new_bind(base, accept_cb, NULL,
	    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
	    -1, (struct sockaddr *)&sin, sizeof sin);
	if (listener == NULL ||
	    getsockname(evconnlistener_get_fd(listener),
	        (struct sockaddr *)&sin, &len) != 0) {
		printf("Bail out! cannot listen on 127.0.0.1:0\n");
		exit(1);
	}
	listen_port = ntohs(sin.sin_port);
}

/* Close whatever is left and run the loop until every object is gone. */
static void
finish(void)
{
	if (cli.conn != NULL)
		loco_conn_close(cli.conn);
	if (srv.conn != NULL)
		loco_conn_close(srv.conn);
	rawpeer_free(&rawsrv);
	if (mute_fd >= 0) {
		evutil_closesocket(mute_fd);
		mute_fd = -1;
	}
	evconnlistener_free(listener);
	listener = NULL;
	/* Returns once deferred frees and flushes are done. */
	event_base_dispatch(base);
}

/* Start the client side with options o towards the listener. */
static struct loco_conn *
client_start(const struct loco_conn_opts *o, const char *host)
{
	struct loco_error err;
	struct loco_conn_opts opts = *o;

	opts.tag = "cli";
	cli.conn = loco_conn_connect(base, NULL, host, listen_port, &opts,
	    &side_cbs, &cli, &err);
	if (cli.conn == NULL)
		diag("connect failed: %s", err.msg);
	return cli.conn;
}

/* Self-signed certificate for localhost and 127.0.0.1, and contexts. */
static int
make_tls(void)
{
	EVP_PKEY *pkey = NULL;
	X509 *x = NULL;
	X509_NAME *name;
	X509_EXTENSION *ext;
	X509V3_CTX v3;
	int rc = -1;

	if ((pkey = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL)
		goto out;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, pkey);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"locoirc test", -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
	    "DNS:localhost,IP:127.0.0.1");
	if (ext == NULL)
		goto out;
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (X509_sign(x, pkey, EVP_sha256()) == 0)
		goto out;

	tls_server_ctx = SSL_CTX_new(TLS_server_method());
	tls_client_ctx = SSL_CTX_new(TLS_client_method());
	tls_untrusting_ctx = SSL_CTX_new(TLS_client_method());
	if (tls_server_ctx == NULL || tls_client_ctx == NULL ||
	    tls_untrusting_ctx == NULL ||
	    SSL_CTX_use_certificate(tls_server_ctx, x) != 1 ||
	    SSL_CTX_use_PrivateKey(tls_server_ctx, pkey) != 1 ||
	    X509_STORE_add_cert(SSL_CTX_get_cert_store(tls_client_ctx), x) != 1)
		goto out;
	rc = 0;
out:
	X509_free(x);
	EVP_PKEY_free(pkey);
	return rc;
}

/* Options for the secure layer with cipher c, in either role. */
static void
opts_secure(struct loco_conn_opts *o, enum loco_cipher c)
{
	loco_conn_opts_init(o);
	o->transport = LOCO_CONN_SECURE;
	o->key = rsa_key;
	o->cipher = c;
	o->key_encrypt_type = c == LOCO_CIPHER_GCM
	    ? LOCO_KEY_ENCRYPT_OAEP
	    : LOCO_KEY_ENCRYPT_OAEP_LEGACY;
}

/* Options for TLS with ctx, verifying name (client) when not NULL. */
static void
opts_tls(struct loco_conn_opts *o, SSL_CTX *ctx, const char *name)
{
	loco_conn_opts_init(o);
	o->transport = LOCO_CONN_TLS;
	o->ssl_ctx = ctx;
	o->tls_hostname = name;
}

/* The server answers the request recorded in r with n. */
static void
srv_answer(const struct rec *r, int64_t n)
{
	bson_t b;

	bson_init(&b);
	BSON_APPEND_INT32(&b, "status", 0);
	BSON_APPEND_INT64(&b, "n", n);
	loco_conn_reply(srv.conn, r->id, r->method, &b, NULL);
	bson_destroy(&b);
}

/* Two requests and their replies, then a clean close, over one transport. */
static void
test_roundtrip(const char *label, const struct loco_conn_opts *co,
    const struct loco_conn_opts *so, const char *host)
{
	struct call c1, c2;
	uint32_t id1 = 0, id2 = 0;

	memset(&c1, 0, sizeof c1);
	memset(&c2, 0, sizeof c2);
	setup(SRV_CONN, so);
	srv.on_packet = srv_echo;
	if (!ok(client_start(co, host) != NULL, "%s: connect starts", label))
		goto end;
	ok(request_n(cli.conn, "TEST", 7, 0, &c1, &id1) == 0 &&
	        request_n(cli.conn, "TEST", -300, 0, &c2, &id2) == 0,
	    "%s: requests queued before the connection is up", label);
	ok(id1 == 1 && id2 == 2, "%s: request ids start at 1 (%u, %u)", label,
	    id1, id2);
	RUN_UNTIL(c1.calls > 0 && c2.calls > 0);
	ok(cli.connected == 1, "%s: connected callback ran once", label);
	ok(c1.calls == 1 && c1.got_pkt && c1.id == 1 && c1.n == 7 &&
	        c1.status == 0 && strcmp(c1.method, "TEST") == 0,
	    "%s: first reply matched by id", label);
	ok(c2.calls == 1 && c2.got_pkt && c2.id == 2 && c2.status == -300,
	    "%s: second reply carries body status -300", label);
	ok(srv.npkts == 2 && srv.pkts[0].id == 1 && srv.pkts[1].id == 2 &&
	        srv.pkts[1].n == -300,
	    "%s: server got both requests as packets", label);
	ok(srv.connected == (so->transport == LOCO_CONN_PLAIN ? 0 : 1),
	    "%s: server connected callback after its handshake", label);
	ok(cli.conn != NULL && loco_conn_get_pending_count(cli.conn) == 0 &&
	        loco_conn_is_open(cli.conn),
	    "%s: nothing pending, still open", label);
	ok(cli.drained > 0, "%s: drained callback ran", label);
	if (cli.conn != NULL)
		loco_conn_close(cli.conn);
	ok(cli.closed == 1 && cli.close_err.code == LOCO_ERR_NONE,
	    "%s: close runs the closed callback with no error", label);
	RUN_UNTIL(srv.closed > 0);
	ok(srv.closed == 1 && srv.close_err.code == LOCO_ERR_IO,
	    "%s: server sees EOF as LOCO_ERR_IO (%s)", label,
	    srv.close_err.msg);
end:
	finish();
}

/* TLS peer verification: wrong name and untrusted certificate. */
static void
test_tls_failures(void)
{
	struct loco_conn_opts co, so;
	struct call c;

	opts_tls(&so, tls_server_ctx, NULL);
	opts_tls(&co, tls_client_ctx, "wrong.example");
	memset(&c, 0, sizeof c);
	setup(SRV_CONN, &so);
	client_start(&co, "127.0.0.1");
	request_n(cli.conn, "GETCONF", 1, 0, &c, NULL);
	RUN_UNTIL(cli.closed > 0 && srv.closed > 0);
	ok(cli.closed == 1 && cli.close_err.code == LOCO_ERR_TLS,
	    "tls: wrong host name fails with LOCO_ERR_TLS (%s)",
	    cli.close_err.msg);
	ok(cli.connected == 0 && c.calls == 1 && c.code == LOCO_ERR_CLOSED,
	    "tls: never connected, request failed with LOCO_ERR_CLOSED");
	ok(srv.close_err.code == LOCO_ERR_TLS && srv.npkts == 0,
	    "tls: server sees the handshake fail (%s)", srv.close_err.msg);
	finish();

	opts_tls(&co, tls_untrusting_ctx, "localhost");
	setup(SRV_CONN, &so);
	client_start(&co, "127.0.0.1");
	RUN_UNTIL(cli.closed > 0 && srv.closed > 0);
	ok(cli.close_err.code == LOCO_ERR_TLS && cli.connected == 0,
	    "tls: untrusted certificate fails with LOCO_ERR_TLS (%s)",
	    cli.close_err.msg);
	finish();
}

/* Replies in another order than the requests still reach their callers. */
static void
test_out_of_order(void)
{
	struct loco_conn_opts co;
	struct call c[3];
	int i;

	loco_conn_opts_init(&co);
	memset(c, 0, sizeof c);
	setup(SRV_CONN, NULL);
	srv.on_packet = srv_hold;
	client_start(&co, "127.0.0.1");
	for (i = 0; i < 3; i++)
		request_n(cli.conn, "CHATINFO", i + 1, 0, &c[i], NULL);
	RUN_UNTIL(srv.npkts == 3);
	if (!is_int(srv.npkts, ==, 3))
		goto end;
	srv_answer(&srv.pkts[2], 30);
	srv_answer(&srv.pkts[0], 10);
	srv_answer(&srv.pkts[1], 20);
	RUN_UNTIL(c[0].calls && c[1].calls && c[2].calls);
	ok(c[0].n == 10 && c[1].n == 20 && c[2].n == 30 && c[0].id == 1 &&
	        c[1].id == 2 && c[2].id == 3,
	    "out of order: each reply reached its own request");
	ok(c[2].seq < c[0].seq && c[0].seq < c[1].seq,
	    "out of order: callbacks ran in reply order");
	ok(cli.npkts == 0, "out of order: no reply taken for a push");
end:
	finish();
}

/* Pushes before and after a reply go to the packet callback, in order. */
static void
test_pushes(void)
{
	struct loco_conn_opts co;
	struct call c;

	loco_conn_opts_init(&co);
	memset(&c, 0, sizeof c);
	setup(SRV_CONN, NULL);
	srv.on_packet = srv_push_around;
	client_start(&co, "127.0.0.1");
	request_n(cli.conn, "WRITE", 5, 0, &c, NULL);
	RUN_UNTIL(c.calls > 0 && cli.npkts == 2);
	ok(c.calls == 1 && c.n == 5 && c.id == 1, "pushes: reply delivered");
	ok(cli.npkts == 2 && strcmp(cli.pkts[0].method, "BEFORE") == 0 &&
	        strcmp(cli.pkts[1].method, "AFTER") == 0,
	    "pushes: both pushes went to the packet callback");
	ok(cli.pkts[0].id == LOCO_CONN_PUSH_ID_BASE_DEFAULT &&
	        cli.pkts[1].id == LOCO_CONN_PUSH_ID_BASE_DEFAULT + 1,
	    "pushes: push ids count from 1,000,000 (%u, %u)", cli.pkts[0].id,
	    cli.pkts[1].id);
	ok(cli.pkts[0].seq < c.seq && c.seq < cli.pkts[1].seq,
	    "pushes: interleaving preserved");
	finish();
}

/* A timed-out request fails once; its late reply is dropped, not pushed. */
static void
test_timeout(void)
{
	struct loco_conn_opts co;
	struct call c, c2;
	uint32_t id = 0, id2 = 0;

	loco_conn_opts_init(&co);
	memset(&c, 0, sizeof c);
	memset(&c2, 0, sizeof c2);
	setup(SRV_CONN, NULL);
	srv.on_packet = srv_hold;
	client_start(&co, "127.0.0.1");
	request_n(cli.conn, "SLOW", 1, 50, &c, &id);
	RUN_UNTIL(c.calls > 0 && srv.npkts == 1);
	ok(c.calls == 1 && !c.got_pkt && c.code == LOCO_ERR_TIMEOUT,
	    "timeout: request fails with LOCO_ERR_TIMEOUT");
	if (!is_int(srv.npkts, ==, 1))
		goto end;
	srv_answer(&srv.pkts[0], 1);
	loco_conn_push(srv.conn, "AFTER", NULL, NULL, NULL);
	RUN_UNTIL(cli.npkts > 0);
	ok(cli.npkts == 1 && strcmp(cli.pkts[0].method, "AFTER") == 0,
	    "timeout: late reply dropped, the next push delivered");
	ok(c.calls == 1, "timeout: callback ran exactly once");
	srv.on_packet = srv_echo;
	request_n(cli.conn, "FAST", 2, 0, &c2, &id2);
	RUN_UNTIL(c2.calls > 0);
	ok(c2.got_pkt && c2.n == 2 && id2 != id,
	    "timeout: connection still usable, new id %u", id2);

	/* A cancelled request: no callback, its reply dropped too. */
	memset(&c2, 0, sizeof c2);
	srv.on_packet = srv_hold;
	request_n(cli.conn, "GONE", 3, 0, &c2, &id2);
	RUN_UNTIL(srv.npkts == 3);
	ok(loco_conn_cancel(cli.conn, id2) && !loco_conn_cancel(cli.conn, id2),
	    "cancel: pending once, then not");
	srv_answer(&srv.pkts[2], 3);
	loco_conn_push(srv.conn, "AFTER2", NULL, NULL, NULL);
	RUN_UNTIL(cli.npkts > 1);
	ok(cli.npkts == 2 && strcmp(cli.pkts[1].method, "AFTER2") == 0 &&
	        c2.calls == 0,
	    "cancel: no callback, reply dropped");
end:
	finish();
}

/* Ids wrap, never reuse a pending or timed-out id; BUSY; close fails. */
static void
test_ids(void)
{
	struct loco_conn_opts co;
	struct call a, b, cc, d, e, f, g, h, i;
	uint32_t ida = 0, idb = 0, idc = 0, idd = 0, ide = 0, idf = 0;
	uint32_t idg = 0, idh = 0, idi = 0;
	struct loco_error err;
	int rc;

	loco_conn_opts_init(&co);
	co.request_id_max = 3;
	co.max_pending = 2;
	memset(&a, 0, sizeof a);
	b = cc = d = e = f = g = h = i = a;
	setup(SRV_CONN, NULL);
	srv.on_packet = srv_hold_zero;
	client_start(&co, "127.0.0.1");
	request_n(cli.conn, "HOLD", 0, 0, &a, &ida);
	request_n(cli.conn, "ECHO", 1, 0, &b, &idb);
	RUN_UNTIL(b.calls > 0);
	request_n(cli.conn, "ECHO", 2, 0, &cc, &idc);
	RUN_UNTIL(cc.calls > 0);
	request_n(cli.conn, "ECHO", 3, 0, &d, &idd);
	RUN_UNTIL(d.calls > 0);
	ok(ida == 1 && idb == 2 && idc == 3, "ids: 1, 2, 3 (%u %u %u)", ida,
	    idb, idc);
	ok(idd == 2 && d.n == 3, "ids: wrapped past pending id 1 to 2 (%u)",
	    idd);
	request_n(cli.conn, "HOLD", 0, 30, &e, &ide);
	RUN_UNTIL(e.calls > 0);
	ok(ide == 3 && e.code == LOCO_ERR_TIMEOUT, "ids: id 3 timed out");
	request_n(cli.conn, "ECHO", 4, 0, &f, &idf);
	RUN_UNTIL(f.calls > 0);
	request_n(cli.conn, "ECHO", 5, 0, &g, &idg);
	RUN_UNTIL(g.calls > 0);
	ok(idf == 2 && idg == 2 && g.n == 5,
	    "ids: timed-out 3 and pending 1 skipped (%u, %u)", idf, idg);
	request_n(cli.conn, "HOLD", 0, 0, &h, &idh);
	rc = loco_conn_request(cli.conn, "ECHO", NULL, 0, call_cb, &i, &idi,
	    &err);
	ok(rc == -1 && err.code == LOCO_ERR_BUSY,
	    "ids: request over max_pending fails with LOCO_ERR_BUSY");
	ok(loco_conn_get_pending_count(cli.conn) == 2,
	    "ids: two requests pending");
	a.request_again = true;
	h.close_conn = true;
	loco_conn_close(cli.conn);
	ok(a.calls == 1 && a.code == LOCO_ERR_CLOSED && h.calls == 1 &&
	        h.code == LOCO_ERR_CLOSED && i.calls == 0,
	    "ids: close fails each pending request once with LOCO_ERR_CLOSED");
	ok(a.again_rc == -1, "ids: a request from inside close is refused");
	ok(cli.closed == 1 && cli.close_err.code == LOCO_ERR_NONE,
	    "ids: closed callback once, after the requests");
	ok(cli.npkts == 0, "ids: nothing delivered as a push");
	finish();
}

/* A refused secure handshake closes without a byte. */
static void
test_bad_handshake(void)
{
	struct loco_conn_opts co, so;
	struct rawpeer peer;
	uint8_t junk[LOCO_HANDSHAKE_LEN];
	struct call c;

	opts_secure(&so, LOCO_CIPHER_GCM);
	setup(SRV_CONN, &so);
	memset(&peer, 0, sizeof peer);
	memset(junk, 'A', sizeof junk);
	rawpeer_connect(&peer);
	bufferevent_write(peer.bev, junk, sizeof junk);
	RUN_UNTIL(srv.closed > 0 && (peer.eof || peer.error));
	ok(srv.closed == 1 && srv.close_err.code == LOCO_ERR_HANDSHAKE,
	    "handshake: garbage refused with LOCO_ERR_HANDSHAKE (%s)",
	    srv.close_err.msg);
	ok(srv.connected == 0 && srv.npkts == 0,
	    "handshake: server never connected");
	ok(peer.eof && !peer.error && peer.bytes_in == 0,
	    "handshake: peer sees EOF and no bytes (%zu)", peer.bytes_in);
	rawpeer_free(&peer);
	finish();

	/* A CFB client against a GCM server: the type words disagree. */
	opts_secure(&co, LOCO_CIPHER_CFB);
	memset(&c, 0, sizeof c);
	setup(SRV_CONN, &so);
	client_start(&co, "127.0.0.1");
	request_n(cli.conn, "LOGINLIST", 1, 0, &c, NULL);
	RUN_UNTIL(srv.closed > 0 && cli.closed > 0);
	ok(srv.close_err.code == LOCO_ERR_HANDSHAKE,
	    "handshake: cipher mismatch refused (%s)", srv.close_err.msg);
	ok(cli.close_err.code == LOCO_ERR_IO && c.calls == 1 &&
	        c.code == LOCO_ERR_CLOSED && !c.got_pkt,
	    "handshake: client sees the connection die (%s)",
	    cli.close_err.msg);
	finish();
}

/* A frame whose GCM tag fails closes with LOCO_ERR_CRYPTO. */
static void
test_corrupt_frame(void)
{
	struct loco_conn_opts so, co;
	struct rawpeer peer;
	struct call c, c2;
	uint8_t hs[LOCO_HANDSHAKE_LEN];
	struct loco_secure *sec;
	struct evbuffer *wire, *plain, *bad;
	struct loco_error err;
	unsigned char *p;

	opts_secure(&so, LOCO_CIPHER_GCM);
	setup(SRV_CONN, &so);
	srv.on_packet = srv_hold;
	memset(&peer, 0, sizeof peer);
	memset(&c2, 0, sizeof c2);
	rawpeer_connect(&peer);
	sec = loco_secure_client_new(rsa_key, LOCO_KEY_ENCRYPT_OAEP,
	    LOCO_CIPHER_GCM, hs, &err);
	if (!ok(sec != NULL, "corrupt: client session made"))
		goto end;
	wire = evbuffer_new();
	plain = evbuffer_new();
	bad = evbuffer_new();
	evbuffer_add(wire, hs, sizeof hs);
	loco_packet_encode(plain, 5, 0, "GOOD", NULL, NULL);
	loco_secure_seal(sec, evbuffer_pullup(plain, -1),
	    evbuffer_get_length(plain), wire, NULL);
	evbuffer_drain(plain, evbuffer_get_length(plain));
	loco_packet_encode(plain, 6, 0, "BAD", NULL, NULL);
	loco_secure_seal(sec, evbuffer_pullup(plain, -1),
	    evbuffer_get_length(plain), bad, NULL);
	p = evbuffer_pullup(bad, -1);
	p[4 + LOCO_GCM_NONCE_LEN + 3] ^= 0x01;
	evbuffer_add_buffer(wire, bad);
	bufferevent_write_buffer(peer.bev, wire);
	evbuffer_free(wire);
	evbuffer_free(plain);
	evbuffer_free(bad);
	loco_secure_free(sec);
	RUN_UNTIL(srv.closed > 0 && (peer.eof || peer.error));
	ok(srv.npkts == 1 && strcmp(srv.pkts[0].method, "GOOD") == 0,
	    "corrupt: the good frame before it was delivered");
	ok(srv.close_err.code == LOCO_ERR_CRYPTO,
	    "corrupt: closed with LOCO_ERR_CRYPTO (%s)", srv.close_err.msg);
	ok(peer.bytes_in == 0 && (peer.eof || peer.error),
	    "corrupt: peer sees the connection end");
end:
	rawpeer_free(&peer);
	finish();

	/* The same fault injected by loco_conn_corrupt_next_frame. */
	memset(&c, 0, sizeof c);
	opts_secure(&co, LOCO_CIPHER_GCM);
	setup(SRV_CONN, &so);
	srv.on_packet = srv_echo;
	client_start(&co, "127.0.0.1");
	request_n(cli.conn, "GOOD", 1, 0, &c, NULL);
	RUN_UNTIL(c.calls > 0);
	loco_conn_corrupt_next_frame(cli.conn);
	request_n(cli.conn, "BAD", 2, 0, &c2, NULL);
	RUN_UNTIL(srv.closed > 0 && cli.closed > 0);
	ok(c.got_pkt && srv.npkts == 1 &&
	        srv.close_err.code == LOCO_ERR_CRYPTO && c2.calls == 1 &&
	        c2.code == LOCO_ERR_CLOSED,
	    "corrupt: injected fault closes the peer with LOCO_ERR_CRYPTO");
	finish();
}

/* A body over max_body: refused locally, and closes a receiving peer. */
static void
test_too_large(void)
{
	struct loco_conn_opts co, so;
	struct loco_error err;
	char big[201];
	struct call c;
	bson_t b;
	int rc;

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	bson_init(&b);
	BSON_APPEND_UTF8(&b, "s", big);
	memset(&c, 0, sizeof c);

	loco_conn_opts_init(&co);
	co.max_body = 64;
	setup(SRV_CONN, NULL);
	client_start(&co, "127.0.0.1");
	rc = loco_conn_request(cli.conn, "WRITE", &b, 0, call_cb, &c, NULL,
	    &err);
	ok(rc == -1 && err.code == LOCO_ERR_TOO_LARGE && c.calls == 0,
	    "too large: our own limit refuses to send");
	ok(cli.conn != NULL && loco_conn_get_pending_count(cli.conn) == 0,
	    "too large: refusal leaves the connection alone");
	finish();

	loco_conn_opts_init(&so);
	so.max_body = 64;
	loco_conn_opts_init(&co);
	setup(SRV_CONN, &so);
	srv.on_packet = srv_echo;
	client_start(&co, "127.0.0.1");
	loco_conn_request(cli.conn, "WRITE", &b, 0, call_cb, &c, NULL, NULL);
	RUN_UNTIL(srv.closed > 0 && cli.closed > 0);
	ok(srv.close_err.code == LOCO_ERR_TOO_LARGE && srv.npkts == 0,
	    "too large: receiver closes with LOCO_ERR_TOO_LARGE (%s)",
	    srv.close_err.msg);
	ok(cli.close_err.code == LOCO_ERR_IO && c.calls == 1 &&
	        c.code == LOCO_ERR_CLOSED,
	    "too large: sender's request fails with LOCO_ERR_CLOSED");
	finish();
	bson_destroy(&b);
}

/* One plaintext byte per frame still carries packets both ways. */
static void
test_max_plain(void)
{
	struct loco_conn_opts co, so;
	struct call c;
	bson_t b;

	opts_secure(&so, LOCO_CIPHER_GCM);
	so.max_plain = 1;
	opts_secure(&co, LOCO_CIPHER_GCM);
	co.max_plain = 1;
	memset(&c, 0, sizeof c);
	setup(SRV_CONN, &so);
	srv.on_packet = srv_echo;
	client_start(&co, "127.0.0.1");
	bson_init(&b);
	BSON_APPEND_INT64(&b, "n", 42);
	BSON_APPEND_UTF8(&b, "pad", "0123456789abcdefghijklmnopqrstuvwxyz");
	loco_conn_request(cli.conn, "WRITE", &b, 0, call_cb, &c, NULL, NULL);
	bson_destroy(&b);
	RUN_UNTIL(c.calls > 0);
	ok(c.got_pkt && c.n == 42,
	    "max plain: 1-byte frames deliver request and reply");
	finish();

	/* Count the frames with a raw peer. */
	opts_secure(&co, LOCO_CIPHER_GCM);
	setup(SRV_RAW, NULL);
	client_start(&co, "127.0.0.1");
	loco_conn_set_max_plain(cli.conn, 1);
	loco_conn_send(cli.conn, 9, 0, "ONE", NULL, NULL);
	RUN_UNTIL(rawsrv.packets == 1 || rawsrv.error);
	ok(rawsrv.packets == 1 && rawsrv.pkts[0].id == 9 &&
	        rawsrv.frames == LOCO_HDR_LEN + LOCO_EMPTY_BODY_LEN,
	    "max plain: a 27-byte packet took %d frames", rawsrv.frames);
	finish();
}

/* Corked output goes out in one frame; corks nest; max_plain splits. */
static void
test_cork(void)
{
	struct loco_conn_opts co;
	uint32_t k;
	bool ids_ok = true;

	opts_secure(&co, LOCO_CIPHER_GCM);
	setup(SRV_RAW, NULL);
	client_start(&co, "127.0.0.1");
	for (k = 1; k <= 3; k++)
		loco_conn_send(cli.conn, k, 0, "PUSH", NULL, NULL);
	RUN_UNTIL(rawsrv.packets == 3 || rawsrv.error);
	ok(rawsrv.packets == 3 && rawsrv.frames == 3,
	    "cork: uncorked, one frame per packet (%d)", rawsrv.frames);

	loco_conn_cork(cli.conn);
	for (k = 4; k <= 6; k++)
		loco_conn_send(cli.conn, k, 0, "PUSH", NULL, NULL);
	ok(loco_conn_uncork(cli.conn, NULL) == 0, "cork: uncork succeeds");
	RUN_UNTIL(rawsrv.packets == 6 || rawsrv.error);
	ok(rawsrv.packets == 6 && rawsrv.frames == 4,
	    "cork: three packets coalesced into one frame (%d)", rawsrv.frames);

	loco_conn_cork(cli.conn);
	loco_conn_cork(cli.conn);
	loco_conn_send(cli.conn, 7, 0, "PUSH", NULL, NULL);
	loco_conn_send(cli.conn, 8, 0, "PUSH", NULL, NULL);
	loco_conn_uncork(cli.conn, NULL);
	ok(loco_conn_get_output_length(cli.conn) >=
	        2 * (LOCO_HDR_LEN + LOCO_EMPTY_BODY_LEN),
	    "cork: still held after the inner uncork (%zu bytes)",
	    loco_conn_get_output_length(cli.conn));
	loco_conn_uncork(cli.conn, NULL);
	RUN_UNTIL(rawsrv.packets == 8 || rawsrv.error);
	ok(rawsrv.packets == 8 && rawsrv.frames == 5,
	    "cork: nested corks give one frame (%d)", rawsrv.frames);

	loco_conn_set_max_plain(cli.conn, 50);
	loco_conn_cork(cli.conn);
	for (k = 9; k <= 11; k++)
		loco_conn_send(cli.conn, k, 0, "PUSH", NULL, NULL);
	loco_conn_uncork(cli.conn, NULL);
	RUN_UNTIL(rawsrv.packets == 11 || rawsrv.error);
	ok(rawsrv.packets == 11 && rawsrv.frames == 7,
	    "cork: 81 corked bytes at 50 per frame make 2 frames (%d)",
	    rawsrv.frames);
	for (k = 0; k < 11 && k < (uint32_t)rawsrv.packets; k++)
		if (rawsrv.pkts[k].id != k + 1)
			ids_ok = false;
	ok(ids_ok, "cork: packets arrive in order");
	finish();
}

/* Upload: raw bytes right behind a POST go to the raw callback. */
static void
test_raw_upload(void)
{
	struct loco_conn_opts co, so;
	uint8_t data[1000];
	struct call c, c2;
	size_t k;

	for (k = 0; k < sizeof data; k++)
		data[k] = (uint8_t)(k * 7 + 3);
	opts_secure(&so, LOCO_CIPHER_GCM);
	opts_secure(&co, LOCO_CIPHER_GCM);
	memset(&c, 0, sizeof c);
	memset(&c2, 0, sizeof c2);
	setup(SRV_CONN, &so);
	srv.on_packet = srv_upload;
	client_start(&co, "127.0.0.1");
	loco_conn_cork(cli.conn);
	request_n(cli.conn, "POST", 1000, 0, &c, NULL);
	loco_conn_send_raw(cli.conn, data, sizeof data, NULL);
	loco_conn_send(cli.conn, 77, 0, "AFTER", NULL, NULL);
	loco_conn_uncork(cli.conn, NULL);
	RUN_UNTIL(c.calls > 0 && srv.npkts == 2);
	ok(srv.nraw == sizeof data && memcmp(srv.raw, data, sizeof data) == 0,
	    "raw: exactly 1000 bytes delivered (%zu)", srv.nraw);
	ok(srv.raw_last_left == 0, "raw: last chunk says nothing is left");
	ok(srv.npkts == 2 && strcmp(srv.pkts[1].method, "AFTER") == 0 &&
	        srv.pkts[1].id == 77 && srv.raw_done_seq < srv.pkts[1].seq,
	    "raw: the packet in the same frame is parsed after the bytes");
	ok(c.got_pkt && c.n == 1000, "raw: POST answered");

	/* The bytes in two sends, in small frames: several chunks. */
	srv.nraw = 0;
	srv.raw_chunks = 0;
	srv.raw_done_seq = 0;
	loco_conn_set_max_plain(cli.conn, 7);
	request_n(cli.conn, "POST", 500, 0, &c2, NULL);
	loco_conn_send_raw(cli.conn, data, 300, NULL);
	RUN_UNTIL(srv.nraw >= 300);
	ok(srv.nraw == 300 && srv.raw_last_left == 200,
	    "raw: partial delivery reports 200 left");
	loco_conn_send_raw(cli.conn, data + 300, 200, NULL);
	loco_conn_send(cli.conn, 78, 0, "AFTER", NULL, NULL);
	RUN_UNTIL(c2.calls > 0 && srv.npkts == 4);
	ok(srv.nraw == 500 && memcmp(srv.raw, data, 500) == 0 &&
	        srv.raw_chunks >= 2 && srv.raw_last_left == 0,
	    "raw: 500 bytes in %d chunks", srv.raw_chunks);
	ok(srv.npkts == 4 && srv.pkts[3].id == 78,
	    "raw: packets resume after the second run");
	finish();
}

/* Download: a reply callback expects the raw bytes behind the reply. */
static void
test_raw_download(void)
{
	struct loco_conn_opts co, so;
	uint8_t data[600];
	struct call c;
	size_t k;

	for (k = 0; k < sizeof data; k++)
		data[k] = (uint8_t)(k * 7 + 3);
	opts_secure(&so, LOCO_CIPHER_CFB);
	opts_secure(&co, LOCO_CIPHER_CFB);
	memset(&c, 0, sizeof c);
	c.expect_raw = sizeof data;
	setup(SRV_CONN, &so);
	srv.on_packet = srv_download;
	client_start(&co, "127.0.0.1");
	request_n(cli.conn, "DOWN", sizeof data, 0, &c, NULL);
	RUN_UNTIL(c.calls > 0 && cli.npkts > 0);
	ok(c.got_pkt && cli.nraw == sizeof data &&
	        memcmp(cli.raw, data, sizeof data) == 0,
	    "download: 600 raw bytes behind the reply");
	ok(cli.npkts == 1 && strcmp(cli.pkts[0].method, "DONE") == 0 &&
	        cli.raw_done_seq < cli.pkts[0].seq,
	    "download: the push after the bytes is parsed");
	finish();
}

/* A reply queued right before close still reaches the peer. */
static void
test_close_flush(void)
{
	struct loco_conn_opts co, so;
	struct call c;

	loco_conn_opts_init(&co);
	memset(&c, 0, sizeof c);
	setup(SRV_CONN, NULL);
	srv.on_packet = srv_reply_close;
	client_start(&co, "127.0.0.1");
	request_n(cli.conn, "CHECKIN", 3, 0, &c, NULL);
	RUN_UNTIL(c.calls > 0 && cli.closed > 0);
	ok(c.got_pkt && c.n == 3, "flush: reply sent before close arrives");
	ok(srv.closed == 1 && srv.close_err.code == LOCO_ERR_NONE &&
	        cli.close_err.code == LOCO_ERR_IO,
	    "flush: server closed, client saw EOF");
	finish();

	opts_secure(&so, LOCO_CIPHER_GCM);
	opts_secure(&co, LOCO_CIPHER_GCM);
	memset(&c, 0, sizeof c);
	setup(SRV_CONN, &so);
	srv.on_packet = srv_cork_reply_close;
	client_start(&co, "127.0.0.1");
	request_n(cli.conn, "CHECKIN", 4, 0, &c, NULL);
	RUN_UNTIL(c.calls > 0 && cli.closed > 0);
	ok(c.got_pkt && c.n == 4,
	    "flush: a corked reply is sealed and sent on close");
	finish();

	memset(&c, 0, sizeof c);
	setup(SRV_CONN, &so);
	srv.on_packet = srv_cork_reply_abort;
	client_start(&co, "127.0.0.1");
	request_n(cli.conn, "CHECKIN", 5, 0, &c, NULL);
	RUN_UNTIL(cli.closed > 0);
	ok(c.calls == 1 && !c.got_pkt && c.code == LOCO_ERR_CLOSED &&
	        srv.closed == 1 && srv.close_err.code == LOCO_ERR_NONE,
	    "abort: queued reply dropped, request fails on the peer");
	finish();
}

/* Bytes that are not a LOCO header close with LOCO_ERR_MALFORMED. */
static void
test_malformed(void)
{
	static const uint8_t junk[LOCO_HDR_LEN] = {1, 0, 0, 0, 0, 0, 0x01, 'X',
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0};
	struct rawpeer peer;

	setup(SRV_CONN, NULL);
	srv.on_packet = srv_echo;
	memset(&peer, 0, sizeof peer);
	rawpeer_connect(&peer);
	bufferevent_write(peer.bev, junk, sizeof junk);
	RUN_UNTIL(srv.closed > 0 && (peer.eof || peer.error));
	ok(srv.close_err.code == LOCO_ERR_MALFORMED && srv.npkts == 0 &&
	        peer.bytes_in == 0,
	    "malformed: bad method closes with LOCO_ERR_MALFORMED (%s)",
	    srv.close_err.msg);
	rawpeer_free(&peer);
	finish();
}

/* Closing from inside each kind of callback. */
static void
test_close_in_callbacks(void)
{
	struct loco_conn_opts co, so;
	struct call c;

	opts_secure(&so, LOCO_CIPHER_GCM);
	opts_secure(&co, LOCO_CIPHER_GCM);

	/* In a reply callback, with two pushes behind it in the frame. */
	memset(&c, 0, sizeof c);
	c.close_conn = true;
	setup(SRV_CONN, &so);
	srv.on_packet = srv_reply_push_corked;
	client_start(&co, "127.0.0.1");
	request_n(cli.conn, "PING", 1, 0, &c, NULL);
	RUN_UNTIL(c.calls > 0);
	ok(c.calls == 1 && c.got_pkt && cli.closed == 1 &&
	        cli.close_err.code == LOCO_ERR_NONE && cli.npkts == 0,
	    "in reply: closed at once, pushes behind it not delivered");
	RUN_UNTIL(srv.closed > 0);
	ok(cli.npkts == 0 && cli.closed == 1,
	    "in reply: no callback after close");
	finish();

	/* In a packet callback: the second push is not delivered. */
	memset(&c, 0, sizeof c);
	setup(SRV_CONN, &so);
	srv.on_packet = srv_reply_push_corked;
	client_start(&co, "127.0.0.1");
	cli.close_in_packet = true;
	request_n(cli.conn, "PING", 1, 0, &c, NULL);
	RUN_UNTIL(cli.closed > 0);
	RUN_UNTIL(srv.closed > 0);
	ok(c.calls == 1 && cli.npkts == 1 &&
	        strcmp(cli.pkts[0].method, "P1") == 0 && cli.closed == 1,
	    "in packet: closed after P1, P2 dropped");
	finish();

	/* In the connected callback, with a request queued. */
	memset(&c, 0, sizeof c);
	setup(SRV_CONN, &so);
	client_start(&co, "127.0.0.1");
	cli.close_in_connected = true;
	request_n(cli.conn, "PING", 1, 0, &c, NULL);
	RUN_UNTIL(cli.closed > 0);
	ok(cli.connected == 1 && cli.closed == 1 && c.calls == 1 &&
	        c.code == LOCO_ERR_CLOSED,
	    "in connected: request failed once, closed once");
	RUN_UNTIL(srv.closed > 0);
	finish();

	/* In the closed callback after the peer left: a no-op. */
	loco_conn_opts_init(&co);
	setup(SRV_CONN, NULL);
	client_start(&co, "127.0.0.1");
	cli.close_in_closed = true;
	RUN_UNTIL(cli.connected > 0 && srv.conn != NULL);
	loco_conn_close(srv.conn);
	RUN_UNTIL(cli.closed > 0);
	ok(cli.closed == 1 && cli.close_err.code == LOCO_ERR_IO,
	    "in closed: peer EOF reported once (%s)", cli.close_err.msg);
	finish();
}

/* A parse budget of one still gets through a burst, both ways. */
static void
test_budget(void)
{
	struct loco_conn_opts co, so;
	struct call c[5];
	int k, answered = 0;

	loco_conn_opts_init(&so);
	so.parse_budget = 1;
	loco_conn_opts_init(&co);
	co.parse_budget = 1;
	memset(c, 0, sizeof c);
	setup(SRV_CONN, &so);
	srv.on_packet = srv_echo;
	client_start(&co, "127.0.0.1");
	loco_conn_cork(cli.conn);
	for (k = 0; k < 5; k++)
		request_n(cli.conn, "BURST", k + 1, 0, &c[k], NULL);
	loco_conn_uncork(cli.conn, NULL);
	RUN_UNTIL(
	    c[0].calls && c[1].calls && c[2].calls && c[3].calls && c[4].calls);
	for (k = 0; k < 5; k++)
		if (c[k].got_pkt && c[k].n == k + 1)
			answered++;
	ok(answered == 5, "budget: 5 of 5 answered with a budget of 1");
	finish();
}

/* A stalled reader delivers nothing until reading is enabled again. */
static void
test_stall(void)
{
	struct loco_conn_opts co;
	struct call c;
	int k;

	loco_conn_opts_init(&co);
	memset(&c, 0, sizeof c);
	setup(SRV_CONN, NULL);
	srv.on_packet = srv_echo;
	srv_start_stalled = true;
	client_start(&co, "127.0.0.1");
	request_n(cli.conn, "PING", 1, 0, &c, NULL);
	RUN_UNTIL(cli.connected > 0 && srv.conn != NULL &&
	    loco_conn_get_output_length(cli.conn) == 0);
	for (k = 0; k < 20; k++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	ok(srv.npkts == 0 && c.calls == 0,
	    "stall: nothing delivered while reading is off");
	if (srv.conn != NULL)
		loco_conn_set_read_enabled(srv.conn, true);
	RUN_UNTIL(c.calls > 0);
	ok(c.got_pkt && srv.npkts == 1, "stall: delivered once re-enabled");
	finish();
}

/* Bad parameters, refused and silent peers, handshake timeouts. */
static void
test_connect_errors(void)
{
	struct loco_conn_opts co, so;
	struct loco_error err;
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	struct rawpeer peer;
	struct loco_conn *conn;
	evutil_socket_t fd;
	uint16_t dead_port = 0;

	loco_conn_opts_init(&co);
	conn = loco_conn_connect(base, NULL, "name.invalid", 1, &co, &side_cbs,
	    &cli, &err);
	ok(conn == NULL && err.code == LOCO_ERR_RESOLVE,
	    "errors: a name without a DNS base is refused (%s)", err.msg);
	co.transport = LOCO_CONN_TLS;
	conn = loco_conn_connect(base, NULL, "127.0.0.1", 1, &co, &side_cbs,
	    &cli, &err);
	ok(conn == NULL && err.code == LOCO_ERR_CONFIG,
	    "errors: TLS without SSL_CTX is refused");
	co.transport = LOCO_CONN_SECURE;
	conn = loco_conn_connect(base, NULL, "127.0.0.1", 1, &co, &side_cbs,
	    &cli, &err);
	ok(conn == NULL && err.code == LOCO_ERR_CONFIG,
	    "errors: secure layer without a key is refused");

	/* A port nobody listens on. */
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		dead_port = ntohs(sin.sin_port);
	if (fd >= 0)
		close(fd);
	loco_conn_opts_init(&co);
	setup(SRV_CONN, NULL);
	cli.conn = loco_conn_connect(base, NULL, "127.0.0.1", dead_port, &co,
	    &side_cbs, &cli, &err);
	RUN_UNTIL(cli.conn == NULL || cli.closed > 0);
	ok(cli.closed == 1 && cli.close_err.code == LOCO_ERR_IO &&
	        cli.connected == 0,
	    "errors: refused connection reported as LOCO_ERR_IO (%s)",
	    cli.close_err.msg);
	finish();

	/* The same over TLS: no handshake ever started. */
	opts_tls(&co, tls_client_ctx, "localhost");
	setup(SRV_CONN, NULL);
	side_reset(&cli);
	cli.conn = loco_conn_connect(base, NULL, "127.0.0.1", dead_port, &co,
	    &side_cbs, &cli, &err);
	RUN_UNTIL(cli.conn == NULL || cli.closed > 0);
	ok(cli.closed == 1 && cli.close_err.code == LOCO_ERR_IO,
	    "errors: refused TLS connection is LOCO_ERR_IO too (%s)",
	    cli.close_err.msg);
	finish();

	/* A TLS client whose server never answers the ClientHello. */
	opts_tls(&co, tls_client_ctx, "localhost");
	co.connect_timeout_ms = 100;
	setup(SRV_MUTE, NULL);
	client_start(&co, "127.0.0.1");
	RUN_UNTIL(cli.closed > 0);
	ok(cli.close_err.code == LOCO_ERR_TIMEOUT && cli.connected == 0,
	    "errors: connect timeout covers the TLS handshake (%s)",
	    cli.close_err.msg);
	finish();

	/* A secure server whose client never sends the handshake. */
	opts_secure(&so, LOCO_CIPHER_GCM);
	so.connect_timeout_ms = 100;
	setup(SRV_CONN, &so);
	memset(&peer, 0, sizeof peer);
	rawpeer_connect(&peer);
	RUN_UNTIL(srv.closed > 0 && (peer.eof || peer.error));
	ok(srv.close_err.code == LOCO_ERR_TIMEOUT && peer.bytes_in == 0,
	    "errors: server handshake timeout (%s)", srv.close_err.msg);
	rawpeer_free(&peer);
	finish();
}

/* Names resolved through an evdns base: a hosts file, and a name server
 * (a UDP socket of ours) that never answers. */
static void
test_evdns(void)
{
	struct loco_conn_opts co;
	struct evdns_base *dns;
	struct loco_error err;
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	evutil_socket_t udp;
	char path[4096];
	struct call c;
	FILE *f;

	snprintf(path, sizeof path, "%s/hosts", tap_tmpdir());
	if ((f = fopen(path, "w")) == NULL) {
		ok(false, "evdns: cannot write %s", path);
		return;
	}
	fprintf(f, "127.0.0.1 loco-test.invalid\n");
	fclose(f);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	udp = socket(AF_INET, SOCK_DGRAM, 0);
	if (udp < 0 || bind(udp, (struct sockaddr *)&sin, sizeof sin) != 0 ||
	    getsockname(udp, (struct sockaddr *)&sin, &len) != 0)
		diag("cannot bind a UDP socket");
	dns = evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (!ok(dns != NULL && evdns_base_load_hosts(dns, path) == 0 &&
	            evdns_base_nameserver_sockaddr_add(dns,
	                (struct sockaddr *)&sin, sizeof sin, 0) == 0 &&
	            evdns_base_set_option(dns, "timeout:", "0.2") == 0 &&
	            evdns_base_set_option(dns, "attempts:", "1") == 0,
	        "evdns: base with a hosts file and a mute name server"))
		goto out;

	loco_conn_opts_init(&co);
	co.tag = "cli";
	memset(&c, 0, sizeof c);
	setup(SRV_CONN, NULL);
	srv.on_packet = srv_echo;
	cli.conn = loco_conn_connect(base, dns, "loco-test.invalid",
	    listen_port, &co, &side_cbs, &cli, &err);
	if (cli.conn != NULL)
		request_n(cli.conn, "PING", 8, 0, &c, NULL);
	RUN_UNTIL(c.calls > 0);
	ok(c.got_pkt && c.n == 8, "evdns: connected by name");
	finish();

	setup(SRV_CONN, NULL);
	cli.conn = loco_conn_connect(base, dns, "nothere.invalid", listen_port,
	    &co, &side_cbs, &cli, &err);
	RUN_UNTIL(cli.conn == NULL || cli.closed > 0);
	ok(cli.closed == 1 && cli.close_err.code == LOCO_ERR_RESOLVE,
	    "evdns: unknown name fails with LOCO_ERR_RESOLVE (%s)",
	    cli.close_err.msg);
	finish();
out:
	if (dns != NULL)
		evdns_base_free(dns, 0);
	if (udp >= 0)
		close(udp);
}

/* Trace lines show packets with secrets redacted. */
static void
test_trace(void)
{
	struct loco_conn_opts co;
	char path[4096], text[16384];
	struct call c;
	bson_t b, sub, arr, item;
	size_t n = 0;
	int fd, saved;
	FILE *f;

	snprintf(path, sizeof path, "%s/trace.log", tap_tmpdir());
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (!ok(saved >= 0 && fd >= 0, "trace: log file opened"))
		return;
	dup2(fd, STDERR_FILENO);
	close(fd);
	log_set_level(LOG_LEVEL_TRACE);

	bson_init(&b);
	BSON_APPEND_UTF8(&b, "oauthToken", "SECRET-TOKEN-1");
	BSON_APPEND_UTF8(&b, "user", "visible-user");
	BSON_APPEND_DOCUMENT_BEGIN(&b, "nested", &sub);
	BSON_APPEND_UTF8(&sub, "pw", "SECRET-PW-2");
	BSON_APPEND_ARRAY_BEGIN(&sub, "list", &arr);
	BSON_APPEND_DOCUMENT_BEGIN(&arr, "0", &item);
	BSON_APPEND_UTF8(&item, "refresh_token", "SECRET-3");
	bson_append_document_end(&arr, &item);
	bson_append_array_end(&sub, &arr);
	bson_append_document_end(&b, &sub);

	loco_conn_opts_init(&co);
	memset(&c, 0, sizeof c);
	setup(SRV_CONN, NULL);
	srv.on_packet = srv_echo;
	client_start(&co, "127.0.0.1");
	loco_conn_request(cli.conn, "LOGINLIST", &b, 0, call_cb, &c, NULL,
	    NULL);
	RUN_UNTIL(c.calls > 0);
	finish();
	bson_destroy(&b);

	log_set_level(LOG_LEVEL_WARN);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	if ((f = fopen(path, "r")) != NULL) {
		n = fread(text, 1, sizeof text - 1, f);
		fclose(f);
	}
	text[n] = '\0';
	ok(strstr(text, "cli: > LOGINLIST id=1 status=0") != NULL &&
	        strstr(text, "srv: < LOGINLIST id=1") != NULL,
	    "trace: packets logged with tag, method, id and status");
	ok(strstr(text, "visible-user") != NULL &&
	        strstr(text, "<redacted>") != NULL,
	    "trace: body shown with redactions");
	ok(strstr(text, "SECRET-") == NULL, "trace: no secret in the log");
}

int
main(void)
{
	struct loco_conn_opts co, so;
	struct loco_error err;

	tap_init(0);
	log_open("t-conn",
	    getenv("LOCOIRC_TEST_VERBOSE") != NULL ? LOG_LEVEL_DEBUG
	                                           : LOG_LEVEL_WARN,
	    false);
	log_hook_libevent();
	base = event_base_new();
	watchdog = evtimer_new(base, watchdog_cb, NULL);
	rsa_key = loco_key_generate(2048, 3, &err);
	if (rsa_key == NULL) {
		printf("Bail out! cannot generate RSA key: %s\n", err.msg);
		return 1;
	}
	if (make_tls() != 0) {
		printf("Bail out! cannot make a TLS certificate\n");
		return 1;
	}

	loco_conn_opts_init(&co);
	loco_conn_opts_init(&so);
	test_roundtrip("plain", &co, &so, "127.0.0.1");
	opts_secure(&co, LOCO_CIPHER_GCM);
	opts_secure(&so, LOCO_CIPHER_GCM);
	test_roundtrip("gcm", &co, &so, "127.0.0.1");
	opts_secure(&co, LOCO_CIPHER_CFB);
	opts_secure(&so, LOCO_CIPHER_CFB);
	test_roundtrip("cfb", &co, &so, "127.0.0.1");
	co.key_encrypt_type = LOCO_KEY_ENCRYPT_OAEP_LEGACY2;
	test_roundtrip("cfb-15", &co, &so, "127.0.0.1");
	opts_tls(&co, tls_client_ctx, "localhost");
	opts_tls(&so, tls_server_ctx, NULL);
	test_roundtrip("tls", &co, &so, "127.0.0.1");
	opts_tls(&co, tls_client_ctx, NULL);
	test_roundtrip("tls-ip", &co, &so, "127.0.0.1");
	test_tls_failures();
	test_out_of_order();
	test_pushes();
	test_timeout();
	test_ids();
	test_bad_handshake();
	test_corrupt_frame();
	test_too_large();
	test_malformed();
	test_max_plain();
	test_cork();
	test_raw_upload();
	test_raw_download();
	test_close_flush();
	test_close_in_callbacks();
	test_budget();
	test_stall();
	test_connect_errors();
	test_evdns();
	test_trace();

	EVP_PKEY_free(rsa_key);
	SSL_CTX_free(tls_server_ctx);
	SSL_CTX_free(tls_client_ctx);
	SSL_CTX_free(tls_untrusting_ctx);
	event_free(watchdog);
	event_base_free(base);
	return done_testing();
}
