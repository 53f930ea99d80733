/* locoirc: see LICENSE.
 *
 * The test client: one loco_conn in the client role, a queue of every
 * packet that answered none of our calls, and calls that turn the event
 * loop one step at a time until their answer or a deadline arrives. A
 * deadline is always a failure; the caller sees NULL and a message.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "loco-bson.h"
#include "locosim.h"
#include "locosim-world.h"
#include "tclient.h"
#include "xmalloc.h"

/* How many LCHATLIST pages tclient_login follows before giving up. */
#define TCLIENT_MAX_PAGES 1000

/* A queued push. */
struct tclient_push {
	TAILQ_ENTRY(tclient_push) entry;
	struct tclient_pkt *pkt; /* owned */
};
TAILQ_HEAD(tclient_push_list, tclient_push);

struct tclient {
	struct event_base *base; /* borrowed */
	struct loco_conn *conn;  /* NULL once the closed callback ran */
	bool connected;
	bool closed;
	struct loco_error close_err; /* why it closed */
	struct tclient_push_list pushes;
	size_t n_pushes;
};

/* One outstanding tclient_call. */
struct tclient_wait_call {
	bool done;
	struct tclient_pkt *pkt; /* owned until handed to the caller */
	struct loco_error err;
};

/* A minimal HTTP/1.0 GET on the loop (tclient_http_get). */
struct tclient_http {
	struct evbuffer *buf; /* owned */
	bool done;
};

/* What a wait loop waits for; returns true when it is there. */
typedef bool (*tclient_cond_cb)(struct tclient *tc, void *arg);

static void tclient_connected_cb(struct loco_conn *conn, void *arg);
static void tclient_packet_cb(struct loco_conn *conn,
    const struct loco_packet *pkt, void *arg);
static void tclient_closed_cb(struct loco_conn *conn,
    const struct loco_error *err, void *arg);
static void tclient_reply_cb(struct loco_conn *conn,
    const struct loco_packet *pkt, const struct loco_error *err, void *arg);
static void tclient_deadline_cb(evutil_socket_t fd, short what, void *arg);
static bool tclient_wait(struct tclient *tc, unsigned ms, tclient_cond_cb cond,
    void *arg);
static bool tclient_cond_up(struct tclient *tc, void *arg);
static bool tclient_cond_call(struct tclient *tc, void *arg);
static bool tclient_cond_push(struct tclient *tc, void *arg);
static void tclient_http_read_cb(struct bufferevent *bev, void *arg);
static void tclient_http_event_cb(struct bufferevent *bev, short what,
    void *arg);
static bool tclient_http_done(void *arg);
static bool tclient_cond_closed(struct tclient *tc, void *arg);
static bool tclient_cond_never(struct tclient *tc, void *arg);
static struct tclient_pkt *tclient_pkt_copy(const struct loco_packet *pkt);
static int tclient_follow_chat_list(struct tclient *tc, const bson_t *first,
    struct loco_error *err);
static bool tclient_find(const bson_t *doc, const char *path, bson_iter_t *out);

/* Copy a borrowed packet into an owned one. */
static struct tclient_pkt *
tclient_pkt_copy(const struct loco_packet *pkt)
{
	struct tclient_pkt *p = xcalloc(1, sizeof *p);

	p->hdr = pkt->hdr;
	p->body = bson_copy(&pkt->body);
	return p;
}

/* Free a received packet and its body. */
void
tclient_pkt_free(struct tclient_pkt *p)
{
	if (p == NULL)
		return;
	bson_destroy(p->body);
	free(p);
}

/* The status of a reply: the body's int32/int64 "status", else the header's. */
int32_t
tclient_status(const struct tclient_pkt *p)
{
	bson_iter_t it;

	if (p == NULL)
		return INT32_MIN;
	if (p->body != NULL && bson_iter_init_find(&it, p->body, "status")) {
		if (BSON_ITER_HOLDS_INT32(&it))
			return bson_iter_int32(&it);
		if (BSON_ITER_HOLDS_INT64(&it))
			return (int32_t)bson_iter_int64(&it);
	}
	return p->hdr.status;
}

/* The transport is up: connects may return. */
static void
tclient_connected_cb(struct loco_conn *conn, void *arg)
{
	struct tclient *tc = arg;

	(void)conn;
	tc->connected = true;
}

/* A packet that answered no call: queue it as a push. */
static void
tclient_packet_cb(struct loco_conn *conn, const struct loco_packet *pkt,
    void *arg)
{
	struct tclient *tc = arg;
	struct tclient_push *q = xcalloc(1, sizeof *q);

	(void)conn;
	q->pkt = tclient_pkt_copy(pkt);
	TAILQ_INSERT_TAIL(&tc->pushes, q, entry);
	tc->n_pushes++;
}

/* The connection is over: remember why; the conn is gone. */
static void
tclient_closed_cb(struct loco_conn *conn, const struct loco_error *err,
    void *arg)
{
	struct tclient *tc = arg;

	(void)conn;
	tc->closed = true;
	tc->conn = NULL;
	if (err != NULL)
		tc->close_err = *err;
}

/* The answer (or the failure) of one tclient_call. */
static void
tclient_reply_cb(struct loco_conn *conn, const struct loco_packet *pkt,
    const struct loco_error *err, void *arg)
{
	struct tclient_wait_call *call = arg;

	(void)conn;
	call->done = true;
	if (pkt != NULL)
		call->pkt = tclient_pkt_copy(pkt);
	else if (err != NULL)
		call->err = *err;
	else
		loco_error_set(&call->err, LOCO_ERR_CLOSED, "no reply");
}

/* A wait ran out of time. */
static void
tclient_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	bool *expired = arg;

	(void)fd;
	(void)what;
	*expired = true;
}

/*
 * Turn the loop one step at a time until cond holds or ms pass. Returns
 * whether cond held; the deadline timer keeps EVLOOP_ONCE from blocking
 * past it even when nothing else is pending.
 */
static bool
tclient_wait(struct tclient *tc, unsigned ms, tclient_cond_cb cond, void *arg)
{
	bool expired = false;
	struct event *ev;
	struct timeval tv;
	bool held;

	if (cond(tc, arg))
		return true;
	ev = evtimer_new(tc->base, tclient_deadline_cb, &expired);
	if (ev == NULL)
		return false;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ev, &tv);
	while (!(held = cond(tc, arg)) && !expired)
		if (event_base_loop(tc->base, EVLOOP_ONCE) < 0)
			break;
	event_free(ev);
	return held;
}

/* Connected, or closed before that. */
static bool
tclient_cond_up(struct tclient *tc, void *arg)
{
	(void)arg;
	return tc->connected || tc->closed;
}

/* The call in arg has its answer. */
static bool
tclient_cond_call(struct tclient *tc, void *arg)
{
	struct tclient_wait_call *call = arg;

	(void)tc;
	return call->done;
}

/* A push of the method in arg (NULL = any) is queued, or none can come. */
static bool
tclient_cond_push(struct tclient *tc, void *arg)
{
	return tclient_push_count(tc, arg) > 0 || tc->closed;
}

/* The peer or an error ended the connection. */
static bool
tclient_cond_closed(struct tclient *tc, void *arg)
{
	(void)arg;
	return tc->closed;
}

/* Never true: tclient_settle waits out its time. */
static bool
tclient_cond_never(struct tclient *tc, void *arg)
{
	(void)tc;
	(void)arg;
	return false;
}

/* Connect and wait until the transport is up. */
struct tclient *
tclient_connect(struct event_base *base, const char *host, uint16_t port,
    enum loco_conn_transport transport, EVP_PKEY *pub,
    uint32_t key_encrypt_type, enum loco_cipher cipher, SSL_CTX *ssl_ctx,
    const char *tls_hostname, struct loco_error *err)
{
	struct loco_conn_opts opts;
	struct loco_conn_cbs cbs;
	struct tclient *tc;

	tc = xcalloc(1, sizeof *tc);
	tc->base = base;
	TAILQ_INIT(&tc->pushes);
	loco_conn_opts_init(&opts);
	opts.transport = transport;
	opts.key = pub;
	opts.key_encrypt_type = key_encrypt_type;
	opts.cipher = cipher;
	opts.ssl_ctx = ssl_ctx;
	opts.tls_hostname = tls_hostname;
	opts.connect_timeout_ms = TCLIENT_WAIT_MS;
	opts.request_timeout_ms = TCLIENT_WAIT_MS + 1000;
	opts.tag = "tclient";
	memset(&cbs, 0, sizeof cbs);
	cbs.connected = tclient_connected_cb;
	cbs.packet = tclient_packet_cb;
	cbs.closed = tclient_closed_cb;
	tc->conn =
	    loco_conn_connect(base, NULL, host, port, &opts, &cbs, tc, err);
	if (tc->conn == NULL) {
		free(tc);
		return NULL;
	}
	if (!tclient_wait(tc, TCLIENT_WAIT_MS, tclient_cond_up, NULL)) {
		loco_error_set(err, LOCO_ERR_TIMEOUT,
		    "cannot connect to %s:%u in %u ms", host, (unsigned)port,
		    TCLIENT_WAIT_MS);
		tclient_free(tc);
		return NULL;
	}
	if (!tc->connected) {
		if (err != NULL)
			*err = tc->close_err;
		if (err != NULL && err->code == LOCO_ERR_NONE)
			loco_error_set(err, LOCO_ERR_CLOSED,
			    "closed while connecting");
		tclient_free(tc);
		return NULL;
	}
	return tc;
}

/* Connect to one of sim's secure listeners with the key type of cipher. */
struct tclient *
tclient_connect_sim(struct event_base *base, struct locosim *sim, int listener,
    enum loco_cipher cipher, struct loco_error *err)
{
	uint32_t kt = cipher == LOCO_CIPHER_CFB ? LOCO_KEY_ENCRYPT_OAEP_LEGACY
	                                        : LOCO_KEY_ENCRYPT_OAEP;

	return tclient_connect(base, "127.0.0.1",
	    locosim_port(sim, (enum locosim_listener)listener),
	    LOCO_CONN_SECURE, locosim_public_key(sim), kt, cipher, NULL, NULL,
	    err);
}

/* A TLS client context whose only trust anchor is sim's certificate. */
SSL_CTX *
tclient_sim_ssl_ctx(struct locosim *sim)
{
	const char *pem = locosim_tls_cert_pem(sim);
	X509_STORE *store;
	SSL_CTX *ctx;
	X509 *cert;
	BIO *bio;

	if (pem == NULL)
		return NULL;
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return NULL;
	/* A store of our own holding sim's certificate and nothing else. */
	store = SSL_CTX_get_cert_store(ctx);
	if ((bio = BIO_new_mem_buf(pem, -1)) == NULL)
		goto fail;
	while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_cert(store, cert) != 1) {
			X509_free(cert);
			BIO_free(bio);
			goto fail;
		}
		X509_free(cert);
	}
	BIO_free(bio);
	ERR_clear_error();
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* Close the connection, drop queued pushes and free the client. */
void
tclient_free(struct tclient *tc)
{
	struct tclient_push *q;

	if (tc == NULL)
		return;
	/* Runs tclient_closed_cb at once; the conn is freed by the loop. */
	if (tc->conn != NULL)
		loco_conn_close(tc->conn);
	while ((q = TAILQ_FIRST(&tc->pushes)) != NULL) {
		TAILQ_REMOVE(&tc->pushes, q, entry);
		tclient_pkt_free(q->pkt);
		free(q);
	}
	free(tc);
}

/* Send a request and turn the loop until its answer or the deadline. */
struct tclient_pkt *
tclient_call(struct tclient *tc, const char *method, const bson_t *body,
    struct loco_error *err)
{
	struct tclient_wait_call call;
	uint32_t id = 0;

	memset(&call, 0, sizeof call);
	if (tc->conn == NULL) {
		loco_error_set(err, LOCO_ERR_CLOSED, "%s: connection closed",
		    method);
		return NULL;
	}
	if (loco_conn_request(tc->conn, method, body, TCLIENT_WAIT_MS + 1000,
	        tclient_reply_cb, &call, &id, err) != 0)
		return NULL;
	if (!tclient_wait(tc, TCLIENT_WAIT_MS, tclient_cond_call, &call)) {
		/* call lives on our stack: its callback must never run. */
		if (tc->conn != NULL)
			loco_conn_cancel(tc->conn, id);
		loco_error_set(err, LOCO_ERR_TIMEOUT, "%s: no reply in %u ms",
		    method, TCLIENT_WAIT_MS);
		tclient_pkt_free(call.pkt);
		return NULL;
	}
	if (call.pkt == NULL && err != NULL)
		*err = call.err;
	return call.pkt;
}

/* Send a packet with a caller-chosen id; its answer is queued as a push. */
int
tclient_send(struct tclient *tc, uint32_t id, const char *method,
    const bson_t *body)
{
	if (tc->conn == NULL)
		return -1;
	return loco_conn_send(tc->conn, id, 0, method, body, NULL);
}

/* Unqueue the oldest push of method (NULL = any), without waiting. */
struct tclient_pkt *
tclient_take_push(struct tclient *tc, const char *method)
{
	struct tclient_push *q;
	struct tclient_pkt *p;

	TAILQ_FOREACH(q, &tc->pushes, entry) {
		if (method != NULL && strcmp(q->pkt->hdr.method, method) != 0)
			continue;
		TAILQ_REMOVE(&tc->pushes, q, entry);
		tc->n_pushes--;
		p = q->pkt;
		free(q);
		return p;
	}
	return NULL;
}

/* Count the queued pushes of method (NULL = all). */
size_t
tclient_push_count(const struct tclient *tc, const char *method)
{
	const struct tclient_push *q;
	size_t n = 0;

	if (method == NULL)
		return tc->n_pushes;
	TAILQ_FOREACH(q, &tc->pushes, entry)
		if (strcmp(q->pkt->hdr.method, method) == 0)
			n++;
	return n;
}

/* Wait for a push of method, failing at the deadline or on close. */
struct tclient_pkt *
tclient_wait_push(struct tclient *tc, const char *method)
{
	tclient_wait(tc, TCLIENT_WAIT_MS, tclient_cond_push, (void *)method);
	return tclient_take_push(tc, method);
}

/* Turn the loop for ms to catch packets that must not come. */
void
tclient_settle(struct tclient *tc, unsigned ms)
{
	tclient_wait(tc, ms, tclient_cond_never, NULL);
}

/* Wait for the peer to close the connection. */
bool
tclient_wait_closed(struct tclient *tc, struct loco_error *err)
{
	if (!tclient_wait(tc, TCLIENT_WAIT_MS, tclient_cond_closed, NULL)) {
		loco_error_set(err, LOCO_ERR_TIMEOUT, "still open after %u ms",
		    TCLIENT_WAIT_MS);
		return false;
	}
	if (err != NULL)
		*err = tc->close_err;
	return true;
}

/* Whether the connection is over. */
bool
tclient_is_closed(const struct tclient *tc)
{
	return tc->closed;
}

/* The underlying connection, NULL once closed. */
struct loco_conn *
tclient_conn(struct tclient *tc)
{
	return tc->conn;
}

/* Append a LOGINLIST request body as reference clients send it. */
void
tclient_loginlist_body(bson_t *out, const char *token, const char *duuid,
    int32_t dtype, const int64_t *chat_ids, const int64_t *max_ids, size_t n)
{
	static const uint8_t rp[6] = {0x00, 0x00, 0xff, 0xff, 0x00, 0x00};

	BSON_APPEND_UTF8(out, "appVer", "3.7.0");
	BSON_APPEND_UTF8(out, "prtVer", "1");
	BSON_APPEND_UTF8(out, "os", "mac");
	BSON_APPEND_UTF8(out, "lang", "ko");
	if (duuid != NULL)
		BSON_APPEND_UTF8(out, "duuid", duuid);
	if (token != NULL)
		BSON_APPEND_UTF8(out, "oauthToken", token);
	BSON_APPEND_INT32(out, "dtype", dtype);
	BSON_APPEND_INT32(out, "ntype", 0);
	BSON_APPEND_UTF8(out, "MCCMNC", "99999");
	BSON_APPEND_INT32(out, "revision", 0);
	loco_bson_append_i64_array(out, "chatIds", chat_ids, n);
	loco_bson_append_i64_array(out, "maxIds", max_ids, n);
	BSON_APPEND_INT64(out, "lastTokenId", 0);
	BSON_APPEND_INT32(out, "lbk", 0);
	BSON_APPEND_BINARY(out, "rp", BSON_SUBTYPE_BINARY, rp, sizeof rp);
	BSON_APPEND_BOOL(out, "bg", false);
}

/* Follow LCHATLIST from the page first until eof; 0 or -1 with err. */
static int
tclient_follow_chat_list(struct tclient *tc, const bson_t *first,
    struct loco_error *err)
{
	const bson_t *page = first;
	struct tclient_pkt *p = NULL;
	unsigned n;
	int r = -1;

	for (n = 0; n < TCLIENT_MAX_PAGES; n++) {
		int64_t last_chat = 0, last_token = 0;
		bool eof = false;
		bson_t *req;

		if (loco_bson_get_bool(page, "eof", &eof) < 0) {
			loco_error_set(err, LOCO_ERR_TYPE, "eof is not a bool");
			goto out;
		}
		if (eof) {
			r = 0;
			goto out;
		}
		loco_bson_get_i64(page, "lastChatId", &last_chat);
		loco_bson_get_i64(page, "lastTokenId", &last_token);
		req = BCON_NEW("lastTokenId", BCON_INT64(last_token),
		    "lastChatId", BCON_INT64(last_chat));
		tclient_pkt_free(p);
		p = tclient_call(tc, "LCHATLIST", req, err);
		bson_destroy(req);
		if (p == NULL)
			goto out;
		if (tclient_status(p) != 0) {
			loco_error_set(err, LOCO_ERR_STATUS,
			    "LCHATLIST answered %d", tclient_status(p));
			if (err != NULL)
				err->status = tclient_status(p);
			goto out;
		}
		page = p->body;
	}
	loco_error_set(err, LOCO_ERR_RANGE, "LCHATLIST never reached eof");
out:
	tclient_pkt_free(p);
	return r;
}

/* Log in as user_id on sim's chat port and follow LCHATLIST to eof. */
struct tclient *
tclient_login(struct event_base *base, struct locosim *sim, int64_t user_id,
    int32_t dtype, enum loco_cipher cipher, struct tclient_pkt **login,
    struct loco_error *err)
{
	struct locosim_account *a;
	struct tclient_pkt *p;
	struct tclient *tc;
	bson_t body;

	if (login != NULL)
		*login = NULL;
	if ((a = locosim_world_account(locosim_world(sim), user_id)) == NULL) {
		loco_error_set(err, LOCO_ERR_CONFIG, "no account %lld",
		    (long long)user_id);
		return NULL;
	}
	if ((tc = tclient_connect_sim(base, sim, LOCOSIM_CHAT, cipher, err)) ==
	    NULL)
		return NULL;
	bson_init(&body);
	tclient_loginlist_body(&body, a->access_token, a->device_uuid, dtype,
	    NULL, NULL, 0);
	p = tclient_call(tc, "LOGINLIST", &body, err);
	bson_destroy(&body);
	if (p == NULL)
		goto fail;
	if (tclient_status(p) != 0) {
		loco_error_set(err, LOCO_ERR_STATUS, "LOGINLIST answered %d",
		    tclient_status(p));
		if (err != NULL)
			err->status = tclient_status(p);
		goto fail;
	}
	if (tclient_follow_chat_list(tc, p->body, err) != 0)
		goto fail;
	if (login != NULL)
		*login = p;
	else
		tclient_pkt_free(p);
	return tc;
fail:
	tclient_pkt_free(p);
	tclient_free(tc);
	return NULL;
}

/* Find path in doc: the top-level key first, then a dotted descent. */
static bool
tclient_find(const bson_t *doc, const char *path, bson_iter_t *out)
{
	bson_iter_t it;

	if (doc == NULL || path == NULL)
		return false;
	if (bson_iter_init_find(out, doc, path))
		return true;
	return bson_iter_init(&it, doc) &&
	    bson_iter_find_descendant(&it, path, out);
}

/* The BSON type at path, BSON_TYPE_EOD when absent. */
bson_type_t
tclient_type(const bson_t *doc, const char *path)
{
	bson_iter_t it;

	return tclient_find(doc, path, &it) ? bson_iter_type(&it)
	                                    : BSON_TYPE_EOD;
}

int64_t
tclient_i64(const bson_t *doc, const char *path)
{
	bson_iter_t it;

	if (!tclient_find(doc, path, &it))
		return INT64_MIN;
	if (BSON_ITER_HOLDS_INT64(&it))
		return bson_iter_int64(&it);
	if (BSON_ITER_HOLDS_INT32(&it))
		return bson_iter_int32(&it);
	return INT64_MIN;
}

/* The string at path, or NULL. */
const char *
tclient_str(const bson_t *doc, const char *path)
{
	bson_iter_t it;

	if (!tclient_find(doc, path, &it) || !BSON_ITER_HOLDS_UTF8(&it))
		return NULL;
	return bson_iter_utf8(&it, NULL);
}

/* The bool at path as 1/0, or -1. */
int
tclient_bool(const bson_t *doc, const char *path)
{
	bson_iter_t it;

	if (!tclient_find(doc, path, &it) || !BSON_ITER_HOLDS_BOOL(&it))
		return -1;
	return bson_iter_bool(&it);
}

/* A read-only view of the document or array at path. */
bool
tclient_doc(const bson_t *doc, const char *path, bson_t *out)
{
	const uint8_t *data;
	bson_iter_t it;
	uint32_t len;

	if (!tclient_find(doc, path, &it))
		return false;
	if (BSON_ITER_HOLDS_DOCUMENT(&it))
		bson_iter_document(&it, &len, &data);
	else if (BSON_ITER_HOLDS_ARRAY(&it))
		bson_iter_array(&it, &len, &data);
	else
		return false;
	return bson_init_static(out, data, len);
}

/* The number of elements at path, or -1. */
int
tclient_len(const bson_t *doc, const char *path)
{
	bson_t sub;

	if (!tclient_doc(doc, path, &sub))
		return -1;
	return (int)bson_count_keys(&sub);
}

/* Run the loop until cond holds or ms pass; returns whether it held. */
bool
tclient_loop_until(struct event_base *base, tclient_cond_fn cond, void *arg,
    unsigned ms)
{
	bool expired = false;
	struct event *ev = evtimer_new(base, tclient_deadline_cb, &expired);
	struct timeval tv;
	bool held;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ev, &tv);
	while (!(held = cond != NULL && cond(arg)) && !expired)
		if (event_base_loop(base, EVLOOP_ONCE) < 0)
			break;
	event_free(ev);
	return held;
}

/* Let closed connections finish their deferred frees. */
void
tclient_loop_drain(struct event_base *base)
{
	bool expired = false;
	struct event *ev = evtimer_new(base, tclient_deadline_cb, &expired);
	struct timeval tv = {5, 0};

	evtimer_add(ev, &tv);
	while (!expired &&
	    event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED) > 1)
		if (event_base_loop(base, EVLOOP_ONCE) < 0)
			break;
	event_free(ev);
}

/* Collect the HTTP response as it arrives. */
static void
tclient_http_read_cb(struct bufferevent *bev, void *arg)
{
	struct tclient_http *g = arg;

	evbuffer_add_buffer(g->buf, bufferevent_get_input(bev));
}

/* The server closed: the response is complete. */
static void
tclient_http_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct tclient_http *g = arg;

	if (what & BEV_EVENT_CONNECTED)
		return;
	evbuffer_add_buffer(g->buf, bufferevent_get_input(bev));
	g->done = true;
}

/* The HTTP response is complete. */
static bool
tclient_http_done(void *arg)
{
	return ((struct tclient_http *)arg)->done;
}

/* GET url over HTTP/1.0 on base; the status and the body, or -1. */
int
tclient_http_get(struct event_base *base, const char *url, uint8_t **body,
    size_t *len)
{
	struct sockaddr_in sin;
	struct tclient_http g;
	struct bufferevent *bev;
	struct evbuffer_ptr end;
	const char *hp, *path;
	char host[64], line[64];
	unsigned port;
	int status = -1;
	size_t hlen;

	*body = NULL;
	*len = 0;
	if (strncmp(url, "http://", 7) != 0 ||
	    (path = strchr(url + 7, '/')) == NULL)
		return -1;
	hp = url + 7;
	if ((size_t)(path - hp) >= sizeof host)
		return -1;
	memcpy(host, hp, (size_t)(path - hp));
	host[path - hp] = '\0';
	if (strchr(host, ':') == NULL ||
	    sscanf(strchr(host, ':') + 1, "%u", &port) != 1 || port > 65535)
		return -1;
	*strchr(host, ':') = '\0';
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return -1;
	memset(&g, 0, sizeof g);
	g.buf = evbuffer_new();
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, tclient_http_read_cb, NULL,
	    tclient_http_event_cb, &g);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	evbuffer_add_printf(bufferevent_get_output(bev),
	    "GET %s HTTP/1.0\r\nHost: %s:%u\r\n\r\n", path, host, port);
	if (bufferevent_socket_connect(bev, (struct sockaddr *)&sin,
	        sizeof sin) != 0 ||
	    !tclient_loop_until(base, tclient_http_done, &g, TCLIENT_WAIT_MS))
		goto out;
	end = evbuffer_search(g.buf, "\r\n\r\n", 4, NULL);
	if (end.pos < 0 || evbuffer_copyout(g.buf, line, sizeof line - 1) < 12)
		goto out;
	line[sizeof line - 1] = '\0';
	if (sscanf(line, "HTTP/1.%*d %d", &status) != 1) {
		status = -1;
		goto out;
	}
	hlen = (size_t)end.pos + 4;
	evbuffer_drain(g.buf, hlen);
	*len = evbuffer_get_length(g.buf);
	*body = malloc(*len + 1);
	evbuffer_remove(g.buf, *body, *len);
out:
	bufferevent_free(bev);
	evbuffer_free(g.buf);
	return status;
}
