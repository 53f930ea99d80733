/* locoirc: see LICENSE.
 *
 * The LOCO connection object. A socket (or TLS) bufferevent carries the
 * bytes; for the secure layer two staging evbuffers sit between it and the
 * packet codec: plain_in holds decrypted bytes waiting to be parsed, plain_out
 * holds encoded packets waiting to be sealed, which is what makes corking and
 * frame splitting exact. It never frees itself inside a callback chain:
 * closing marks it, and the memory goes from a zero-timeout event_base_once.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <bson/bson.h>

#include "log.h"
#include "loco-bson.h"
#include "loco-conn.h"
#include "xmalloc.h"

enum loco_conn_role {
	LOCO_CONN_CLIENT, /* we connected */
	LOCO_CONN_SERVER, /* we accepted */
};

enum loco_conn_state {
	LOCO_CONN_CONNECTING, /* client: resolving, connecting, TLS handshake */
	LOCO_CONN_HANDSHAKE,  /* server: TLS or secure handshake not done */
	LOCO_CONN_OPEN,       /* packets flow both ways */
	LOCO_CONN_CLOSING,    /* ended; flushing output, no more callbacks */
	LOCO_CONN_DEAD,       /* free scheduled from the event loop */
};

/* One outstanding request. */
struct loco_conn_req {
	TAILQ_ENTRY(loco_conn_req) entry;
	struct loco_conn *conn; /* back pointer: the conn frees its requests */
	uint32_t id;
	unsigned timeout_ms;
	char method[LOCO_METHOD_LEN + 1];
	loco_conn_reply_cb cb;
	void *arg; /* borrowed: the request owner's */
	struct event *timer;
};
TAILQ_HEAD(loco_conn_reqs, loco_conn_req);

struct loco_conn {
	struct event_base *base; /* borrowed */
	enum loco_conn_role role;
	enum loco_conn_state state;
	struct loco_conn_opts opts; /* limits; pointer fields cleared */
	struct loco_conn_cbs cbs;
	void *arg; /* borrowed: the owner's */
	char tag[LOCO_CONN_TAG_LEN];
	char peer[96]; /* "host:port" for messages */

	struct bufferevent *bev;
	struct loco_secure *sec; /* secret: the session key */
	EVP_PKEY *key;           /* referenced: server key until handshake */
	struct evbuffer *plain_in;
	struct evbuffer *plain_out;

	struct event *connect_ev; /* connect or handshake timeout */
	struct event *flush_ev;   /* flush-on-close timeout */
	struct event *resume_ev;  /* zero-timeout: more parsing, late errors */

	struct loco_conn_reqs pending;
	size_t npending;
	uint32_t next_id;
	uint32_t next_push;
	uint32_t late[LOCO_CONN_LATE_IDS]; /* timed-out ids; 0 is empty */
	unsigned late_next;

	unsigned cork;
	bool corrupt_next; /* fault injection: spoil the next frame */
	bool read_enabled; /* the owner's wish */
	bool throttled;    /* parse budget spent; resume_ev armed */
	bool peer_eof;
	bool rx_failed; /* a frame failed; rx_err after what came before */
	struct loco_error rx_err;
	bool broken; /* a send failed; broken_err closes us from resume_ev */
	struct loco_error broken_err;

	size_t raw_left; /* plaintext bytes still owed to raw_cb */
	loco_conn_raw_cb raw_cb;
	void *raw_arg;
};

/* Keys whose values never reach a trace line. */
static const char *const loco_conn_secret_keys[] = {
    "oauthToken",
    "accessToken",
    "access_token",
    "refresh_token",
    "password",
    "pw",
};

/*
 * Serial for default tags. The one mutable file-scope variable in protocol/:
 * a counter touched only from the event loop's thread, and giving every
 * connection of a process a distinct tag is its whole job.
 */
static unsigned loco_conn_serial;

static const struct timeval loco_conn_zero_tv = {0, 0};

static void *loco_conn_need(void *p);
static void loco_conn_ms_tv(unsigned ms, struct timeval *tv);
static void loco_conn_opts_fix(struct loco_conn_opts *o);
static int loco_conn_check_opts(const struct loco_conn_opts *opts,
    struct loco_error *err);
static struct loco_conn *loco_conn_new(struct event_base *base,
    enum loco_conn_role role, const struct loco_conn_opts *opts,
    const struct loco_conn_cbs *cbs, void *arg);
static void loco_conn_free(struct loco_conn *conn);
static void loco_conn_setup_bev(struct loco_conn *conn);
static SSL *loco_conn_client_ssl(SSL_CTX *ctx, const char *name,
    struct loco_error *err);
static int loco_conn_connect_numeric(struct loco_conn *conn, const char *host,
    uint16_t port, struct loco_error *err);
static void loco_conn_peer_name(struct loco_conn *conn, evutil_socket_t fd);

static bool loco_conn_is_secret(const char *key);
static void loco_conn_redact(const bson_t *src, bson_t *dst, int depth);
static void loco_conn_trace(struct loco_conn *conn, const char *dir,
    uint32_t id, int32_t status, const char *method, const bson_t *body);

static struct loco_conn_req *loco_conn_find(struct loco_conn *conn,
    uint32_t id);
static void loco_conn_req_free(struct loco_conn_req *req);
static void loco_conn_late_add(struct loco_conn *conn, uint32_t id);
static bool loco_conn_late_has(const struct loco_conn *conn, uint32_t id);
static bool loco_conn_late_take(struct loco_conn *conn, uint32_t id);
static int loco_conn_next_id(struct loco_conn *conn, uint32_t *id);

static int loco_conn_can_send(struct loco_conn *conn, struct loco_error *err);
static int loco_conn_queue(struct loco_conn *conn, uint32_t id, int16_t status,
    const char *method, const bson_t *body, struct loco_error *err);
static int loco_conn_flush_out(struct loco_conn *conn, struct loco_error *err);
static int loco_conn_kick(struct loco_conn *conn, struct loco_error *err);
static void loco_conn_break(struct loco_conn *conn,
    const struct loco_error *err);

static void loco_conn_process(struct loco_conn *conn);
static int loco_conn_secure_accept(struct loco_conn *conn);
static void loco_conn_pull(struct loco_conn *conn);
static bool loco_conn_raw_chunk(struct loco_conn *conn);
static void loco_conn_dispatch(struct loco_conn *conn,
    const struct loco_packet *pkt);
static void loco_conn_up(struct loco_conn *conn);
static void loco_conn_update_read(struct loco_conn *conn);
static void loco_conn_bev_error(struct loco_conn *conn, short what,
    struct loco_error *err);
static void loco_conn_fail(struct loco_conn *conn,
    const struct loco_error *why);
static void loco_conn_shutdown(struct loco_conn *conn,
    const struct loco_error *why, bool flush);
static void loco_conn_schedule_free(struct loco_conn *conn);

static void loco_conn_read_cb(struct bufferevent *bev, void *ctx);
static void loco_conn_write_cb(struct bufferevent *bev, void *ctx);
static void loco_conn_event_cb(struct bufferevent *bev, short what, void *ctx);
static void loco_conn_connect_timeout_cb(evutil_socket_t fd, short what,
    void *ctx);
static void loco_conn_flush_timeout_cb(evutil_socket_t fd, short what,
    void *ctx);
static void loco_conn_resume_cb(evutil_socket_t fd, short what, void *ctx);
static void loco_conn_req_timeout_cb(evutil_socket_t fd, short what, void *ctx);
static void loco_conn_free_cb(evutil_socket_t fd, short what, void *ctx);

/* libevent allocations fail only when memory is gone: abort, like xmalloc. */
static void *
loco_conn_need(void *p)
{
	if (p == NULL)
		fatalx("loco-conn: out of memory");
	return p;
}

/* Convert milliseconds to a timeval. */
static void
loco_conn_ms_tv(unsigned ms, struct timeval *tv)
{
	tv->tv_sec = (time_t)(ms / 1000);
	tv->tv_usec = (suseconds_t)(ms % 1000) * 1000;
}

void
loco_conn_opts_init(struct loco_conn_opts *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->transport = LOCO_CONN_PLAIN;
	opts->key_encrypt_type = LOCO_KEY_ENCRYPT_OAEP;
	opts->cipher = LOCO_CIPHER_GCM;
	loco_conn_opts_fix(opts);
}

/* Replace zero limits by their defaults and keep id ranges sane. */
static void
loco_conn_opts_fix(struct loco_conn_opts *o)
{
	if (o->max_body == 0)
		o->max_body = LOCO_BODY_MAX_DEFAULT;
	if (o->max_frame == 0)
		o->max_frame = LOCO_FRAME_MAX_DEFAULT;
	if (o->max_plain == 0)
		o->max_plain = LOCO_CONN_PLAIN_MAX_DEFAULT;
	if (o->max_pending == 0)
		o->max_pending = LOCO_CONN_MAX_PENDING_DEFAULT;
	if (o->parse_budget == 0)
		o->parse_budget = LOCO_CONN_PARSE_BUDGET_DEFAULT;
	if (o->connect_timeout_ms == 0)
		o->connect_timeout_ms = LOCO_CONN_CONNECT_TIMEOUT_DEFAULT;
	if (o->request_timeout_ms == 0)
		o->request_timeout_ms = LOCO_CONN_REQUEST_TIMEOUT_DEFAULT;
	if (o->flush_timeout_ms == 0)
		o->flush_timeout_ms = LOCO_CONN_FLUSH_TIMEOUT_DEFAULT;
	if (o->request_id_max == 0)
		o->request_id_max = LOCO_CONN_REQUEST_ID_MAX_DEFAULT;
	if (o->request_id_max > LOCO_CONN_ID_LIMIT)
		o->request_id_max = LOCO_CONN_ID_LIMIT;
	if (o->push_id_base == 0 || o->push_id_base > LOCO_CONN_ID_LIMIT)
		o->push_id_base = LOCO_CONN_PUSH_ID_BASE_DEFAULT;
}

/* Refuse option sets that cannot work, before anything is allocated. */
static int
loco_conn_check_opts(const struct loco_conn_opts *opts, struct loco_error *err)
{
	switch (opts->transport) {
	case LOCO_CONN_PLAIN:
		return 0;
	case LOCO_CONN_TLS:
		if (opts->ssl_ctx == NULL) {
			loco_error_set(err, LOCO_ERR_CONFIG,
			    "TLS connection without an SSL_CTX");
			return -1;
		}
		return 0;
	case LOCO_CONN_SECURE:
		if (opts->key == NULL) {
			loco_error_set(err, LOCO_ERR_CONFIG,
			    "secure connection without an RSA key");
			return -1;
		}
		if (opts->cipher != LOCO_CIPHER_GCM &&
		    opts->cipher != LOCO_CIPHER_CFB) {
			loco_error_set(err, LOCO_ERR_CONFIG,
			    "unknown secure-layer cipher %d",
			    (int)opts->cipher);
			return -1;
		}
		return 0;
	}
	loco_error_set(err, LOCO_ERR_CONFIG, "unknown transport %d",
	    (int)opts->transport);
	return -1;
}

/* Allocate a connection with its buffers and timers but no bufferevent. */
static struct loco_conn *
loco_conn_new(struct event_base *base, enum loco_conn_role role,
    const struct loco_conn_opts *opts, const struct loco_conn_cbs *cbs,
    void *arg)
{
	struct loco_conn *conn;

	conn = xcalloc(1, sizeof *conn);
	conn->base = base;
	conn->role = role;
	conn->opts = *opts;
	loco_conn_opts_fix(&conn->opts);
	conn->opts.ssl_ctx = NULL;
	conn->opts.tls_hostname = NULL;
	conn->opts.key = NULL;
	conn->opts.tag = NULL;
	if (cbs != NULL)
		conn->cbs = *cbs;
	conn->arg = arg;
	if (opts->tag != NULL)
		loco_conn_set_tag(conn, opts->tag);
	else
		snprintf(conn->tag, sizeof conn->tag, "loco#%u",
		    ++loco_conn_serial);
	conn->plain_in = loco_conn_need(evbuffer_new());
	conn->plain_out = loco_conn_need(evbuffer_new());
	conn->connect_ev = loco_conn_need(
	    evtimer_new(base, loco_conn_connect_timeout_cb, conn));
	conn->flush_ev =
	    loco_conn_need(evtimer_new(base, loco_conn_flush_timeout_cb, conn));
	conn->resume_ev =
	    loco_conn_need(evtimer_new(base, loco_conn_resume_cb, conn));
	TAILQ_INIT(&conn->pending);
	conn->next_id = 1;
	conn->next_push = conn->opts.push_id_base;
	conn->read_enabled = true;
	return conn;
}

/* Release everything; only from loco_conn_free_cb or a failed constructor. */
static void
loco_conn_free(struct loco_conn *conn)
{
	struct loco_conn_req *req;

	while ((req = TAILQ_FIRST(&conn->pending)) != NULL) {
		TAILQ_REMOVE(&conn->pending, req, entry);
		loco_conn_req_free(req);
	}
	if (conn->bev != NULL)
		bufferevent_free(conn->bev);
	event_free(conn->connect_ev);
	event_free(conn->flush_ev);
	event_free(conn->resume_ev);
	evbuffer_free(conn->plain_in);
	evbuffer_free(conn->plain_out);
	loco_secure_free(conn->sec);
	EVP_PKEY_free(conn->key);
	free(conn);
}

/* Hook our callbacks and watermarks onto a fresh bufferevent. */
static void
loco_conn_setup_bev(struct loco_conn *conn)
{
	bufferevent_setcb(conn->bev, loco_conn_read_cb, loco_conn_write_cb,
	    loco_conn_event_cb, conn);
	bufferevent_setwatermark(conn->bev, EV_WRITE, conn->opts.output_lowat,
	    0);
	if (conn->opts.transport == LOCO_CONN_TLS)
		/*
		 * LOCO frames itself, so a missing close_notify cannot hide
		 * a truncated packet; booking servers just close. OpenSSL 3
		 * needs SSL_OP_IGNORE_UNEXPECTED_EOF too (set on the SSL).
		 */
		bufferevent_openssl_set_allow_dirty_shutdown(conn->bev, 1);
	bufferevent_enable(conn->bev, EV_READ | EV_WRITE);
}

/* A client-side SSL that verifies the peer as name (SNI for DNS names). */
static SSL *
loco_conn_client_ssl(SSL_CTX *ctx, const char *name, struct loco_error *err)
{
	unsigned char addr[sizeof(struct in6_addr)];
	SSL *ssl;

	if ((ssl = SSL_new(ctx)) == NULL) {
		loco_error_set_openssl(err, LOCO_ERR_TLS,
		    "cannot create TLS session");
		return NULL;
	}
	SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);
	SSL_set_options(ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (inet_pton(AF_INET, name, addr) == 1 ||
	    inet_pton(AF_INET6, name, addr) == 1) {
		/* RFC 6066: no SNI for addresses; verify the IP SAN. */
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) !=
		    1)
			goto fail;
		return ssl;
	}
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (SSL_set_tlsext_host_name(ssl, name) != 1 ||
	    SSL_set1_host(ssl, name) != 1)
		goto fail;
	return ssl;

fail:
	loco_error_set_openssl(err, LOCO_ERR_TLS, "cannot set TLS peer name");
	SSL_free(ssl);
	return NULL;
}

/* Connect to a numeric address: without a DNS base nothing may block. */
static int
loco_conn_connect_numeric(struct loco_conn *conn, const char *host,
    uint16_t port, struct loco_error *err)
{
	struct addrinfo hints, *res = NULL;
	char serv[8];
	int rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(serv, sizeof serv, "%u", (unsigned)port);
	if ((rc = getaddrinfo(host, serv, &hints, &res)) != 0) {
		loco_error_set(err, LOCO_ERR_RESOLVE,
		    "cannot resolve '%s' without a DNS base: %s", host,
		    gai_strerror(rc));
		return -1;
	}
	rc = bufferevent_socket_connect(conn->bev, res->ai_addr,
	    (int)res->ai_addrlen);
	freeaddrinfo(res);
	if (rc != 0) {
		loco_error_set(err, LOCO_ERR_IO, "cannot connect to '%s'",
		    conn->peer);
		return -1;
	}
	return 0;
}

struct loco_conn *
loco_conn_connect(struct event_base *base, struct evdns_base *dns,
    const char *host, uint16_t port, const struct loco_conn_opts *opts,
    const struct loco_conn_cbs *cbs, void *arg, struct loco_error *err)
{
	const int flags = BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS;
	uint8_t hs[LOCO_HANDSHAKE_LEN];
	struct loco_conn *conn;
	struct timeval tv;
	SSL *ssl;

	if (loco_conn_check_opts(opts, err) != 0)
		return NULL;
	if (host == NULL || *host == '\0') {
		loco_error_set(err, LOCO_ERR_CONFIG, "empty host name");
		return NULL;
	}
	conn = loco_conn_new(base, LOCO_CONN_CLIENT, opts, cbs, arg);
	conn->state = LOCO_CONN_CONNECTING;
	snprintf(conn->peer, sizeof conn->peer, "%s:%u", host, (unsigned)port);

	switch (opts->transport) {
	case LOCO_CONN_TLS:
		ssl = loco_conn_client_ssl(opts->ssl_ctx,
		    opts->tls_hostname != NULL ? opts->tls_hostname : host,
		    err);
		if (ssl == NULL)
			goto fail;
		conn->bev = bufferevent_openssl_socket_new(base, -1, ssl,
		    BUFFEREVENT_SSL_CONNECTING, flags);
		if (conn->bev == NULL) {
			SSL_free(ssl);
			loco_error_set(err, LOCO_ERR_TLS,
			    "cannot create TLS bufferevent");
			goto fail;
		}
		break;
	case LOCO_CONN_SECURE:
		conn->sec = loco_secure_client_new(opts->key,
		    opts->key_encrypt_type, opts->cipher, hs, err);
		if (conn->sec == NULL)
			goto fail;
		loco_secure_set_max_frame(conn->sec, conn->opts.max_frame);
		/* FALLTHROUGH */
	case LOCO_CONN_PLAIN:
		conn->bev =
		    loco_conn_need(bufferevent_socket_new(base, -1, flags));
		break;
	}
	loco_conn_setup_bev(conn);
	if (conn->sec != NULL) {
		/* The handshake goes first, ahead of any frame. */
		bufferevent_write(conn->bev, hs, sizeof hs);
		OPENSSL_cleanse(hs, sizeof hs);
	}
	loco_conn_ms_tv(conn->opts.connect_timeout_ms, &tv);
	evtimer_add(conn->connect_ev, &tv);

	if (dns != NULL) {
		if (bufferevent_socket_connect_hostname(conn->bev, dns,
		        AF_UNSPEC, host, port) != 0) {
			loco_error_set(err, LOCO_ERR_RESOLVE,
			    "cannot resolve '%s'", host);
			goto fail;
		}
	} else if (loco_conn_connect_numeric(conn, host, port, err) != 0)
		goto fail;
	log_debug("%s: %s: connecting to %s", __func__, conn->tag, conn->peer);
	return conn;

fail:
	loco_conn_free(conn);
	return NULL;
}

/* Remember the peer's address of an accepted socket for messages. */
static void
loco_conn_peer_name(struct loco_conn *conn, evutil_socket_t fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char host[INET6_ADDRSTRLEN];
	const void *addr = NULL;
	unsigned port = 0;

	snprintf(conn->peer, sizeof conn->peer, "fd %d", (int)fd);
	if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
		return;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)&ss;

		addr = &sin->sin_addr;
		port = ntohs(sin->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)&ss;

		addr = &sin6->sin6_addr;
		port = ntohs(sin6->sin6_port);
	}
	if (addr != NULL &&
	    evutil_inet_ntop(ss.ss_family, addr, host, sizeof host) != NULL)
		snprintf(conn->peer, sizeof conn->peer, "%s:%u", host, port);
}

struct loco_conn *
loco_conn_accept(struct event_base *base, evutil_socket_t fd,
    const struct loco_conn_opts *opts, const struct loco_conn_cbs *cbs,
    void *arg, struct loco_error *err)
{
	const int flags = BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS;
	struct loco_conn *conn;
	struct timeval tv;
	SSL *ssl;

	if (loco_conn_check_opts(opts, err) != 0) {
		evutil_closesocket(fd);
		return NULL;
	}
	evutil_make_socket_nonblocking(fd);
	conn = loco_conn_new(base, LOCO_CONN_SERVER, opts, cbs, arg);
	loco_conn_peer_name(conn, fd);

	switch (opts->transport) {
	case LOCO_CONN_PLAIN:
		conn->state = LOCO_CONN_OPEN;
		conn->bev =
		    loco_conn_need(bufferevent_socket_new(base, fd, flags));
		break;
	case LOCO_CONN_TLS:
		conn->state = LOCO_CONN_HANDSHAKE;
		if ((ssl = SSL_new(opts->ssl_ctx)) == NULL) {
			loco_error_set_openssl(err, LOCO_ERR_TLS,
			    "cannot create TLS session");
			evutil_closesocket(fd);
			goto fail;
		}
		SSL_set_options(ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
		conn->bev = bufferevent_openssl_socket_new(base, fd, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, flags);
		if (conn->bev == NULL) {
			SSL_free(ssl);
			evutil_closesocket(fd);
			loco_error_set(err, LOCO_ERR_TLS,
			    "cannot create TLS bufferevent");
			goto fail;
		}
		break;
	case LOCO_CONN_SECURE:
		conn->state = LOCO_CONN_HANDSHAKE;
		if (EVP_PKEY_up_ref(opts->key) != 1)
			fatalx("%s: cannot reference key", __func__);
		conn->key = opts->key;
		conn->bev =
		    loco_conn_need(bufferevent_socket_new(base, fd, flags));
		break;
	}
	loco_conn_setup_bev(conn);
	if (conn->state == LOCO_CONN_HANDSHAKE) {
		loco_conn_ms_tv(conn->opts.connect_timeout_ms, &tv);
		evtimer_add(conn->connect_ev, &tv);
	}
	log_debug("%s: %s: accepted %s", __func__, conn->tag, conn->peer);
	return conn;

fail:
	loco_conn_free(conn);
	return NULL;
}

/* True if a trace line must hide key's value. */
static bool
loco_conn_is_secret(const char *key)
{
	size_t i;

	for (i = 0;
	     i < sizeof loco_conn_secret_keys / sizeof loco_conn_secret_keys[0];
	     i++)
		if (strcmp(key, loco_conn_secret_keys[i]) == 0)
			return true;
	return false;
}

/* Copy src into dst with secret values replaced, nested documents too. */
static void
loco_conn_redact(const bson_t *src, bson_t *dst, int depth)
{
	bson_iter_t it;
	const uint8_t *data;
	uint32_t len;
	bson_t sub, child;
	const char *key;

	if (!bson_iter_init(&it, src))
		return;
	while (bson_iter_next(&it)) {
		key = bson_iter_key(&it);
		if (loco_conn_is_secret(key)) {
			bson_append_utf8(dst, key, -1, "<redacted>", -1);
			continue;
		}
		if (depth < LOCO_BSON_MAX_DEPTH &&
		    (BSON_ITER_HOLDS_DOCUMENT(&it) ||
		        BSON_ITER_HOLDS_ARRAY(&it))) {
			if (BSON_ITER_HOLDS_DOCUMENT(&it)) {
				bson_iter_document(&it, &len, &data);
				bson_append_document_begin(dst, key, -1,
				    &child);
			} else {
				bson_iter_array(&it, &len, &data);
				bson_append_array_begin(dst, key, -1, &child);
			}
			if (bson_init_static(&sub, data, len))
				loco_conn_redact(&sub, &child, depth + 1);
			if (BSON_ITER_HOLDS_DOCUMENT(&it))
				bson_append_document_end(dst, &child);
			else
				bson_append_array_end(dst, &child);
			continue;
		}
		bson_append_iter(dst, key, -1, &it);
	}
}

/* At trace level, log one packet as method, id, status and redacted JSON. */
static void
loco_conn_trace(struct loco_conn *conn, const char *dir, uint32_t id,
    int32_t status, const char *method, const bson_t *body)
{
	char shown[1024], name[LOCO_METHOD_LEN * 4 + 1];
	char *json;
	size_t len = 0;
	bson_t red;

	if (log_get_level() < LOG_LEVEL_TRACE)
		return;
	bson_init(&red);
	if (body != NULL)
		loco_conn_redact(body, &red, 0);
	json = bson_as_relaxed_extended_json(&red, &len);
	log_escape(shown, sizeof shown, json != NULL ? json : "?",
	    json != NULL ? len : 1);
	log_escape(name, sizeof name, method, strlen(method));
	log_trace("%s: %s %s id=%u status=%d %s", conn->tag, dir, name, id,
	    (int)status, shown);
	bson_free(json);
	bson_destroy(&red);
}

/* The pending request with id, or NULL. */
static struct loco_conn_req *
loco_conn_find(struct loco_conn *conn, uint32_t id)
{
	struct loco_conn_req *req;

	TAILQ_FOREACH(req, &conn->pending, entry)
		if (req->id == id)
			return req;
	return NULL;
}

/* Free a request already unlinked from the pending list. */
static void
loco_conn_req_free(struct loco_conn_req *req)
{
	event_free(req->timer);
	free(req);
}

/* Remember a timed-out or cancelled id so its late reply is dropped. */
static void
loco_conn_late_add(struct loco_conn *conn, uint32_t id)
{
	conn->late[conn->late_next] = id;
	conn->late_next = (conn->late_next + 1) % LOCO_CONN_LATE_IDS;
}

/* True if id timed out recently and has not been answered since. */
static bool
loco_conn_late_has(const struct loco_conn *conn, uint32_t id)
{
	unsigned i;

	for (i = 0; i < LOCO_CONN_LATE_IDS; i++)
		if (conn->late[i] == id && id != 0)
			return true;
	return false;
}

/* Forget id from the late list; true if it was there. */
static bool
loco_conn_late_take(struct loco_conn *conn, uint32_t id)
{
	unsigned i;

	for (i = 0; i < LOCO_CONN_LATE_IDS; i++)
		if (conn->late[i] == id && id != 0) {
			conn->late[i] = 0;
			return true;
		}
	return false;
}

/*
 * Pick the next request id: counting up from 1, wrapping after
 * request_id_max, skipping ids that are pending or whose late reply may
 * still come (LOCO.md decision 13 and trap 31).
 */
static int
loco_conn_next_id(struct loco_conn *conn, uint32_t *id)
{
	size_t tries, limit;
	uint32_t cand;

	limit = conn->npending + LOCO_CONN_LATE_IDS + 1;
	if (limit > conn->opts.request_id_max)
		limit = conn->opts.request_id_max;
	for (tries = 0; tries < limit; tries++) {
		cand = conn->next_id;
		conn->next_id =
		    cand >= conn->opts.request_id_max ? 1 : cand + 1;
		if (loco_conn_find(conn, cand) == NULL &&
		    !loco_conn_late_has(conn, cand)) {
			*id = cand;
			return 0;
		}
	}
	return -1;
}

/* 0 if packets may be queued now, else -1 with LOCO_ERR_CLOSED. */
static int
loco_conn_can_send(struct loco_conn *conn, struct loco_error *err)
{
	if (conn->state >= LOCO_CONN_CLOSING || conn->broken) {
		loco_error_set(err, LOCO_ERR_CLOSED, "%s is closed", conn->tag);
		return -1;
	}
	return 0;
}

/* Encode one packet into plain_out and push it on unless corked. */
static int
loco_conn_queue(struct loco_conn *conn, uint32_t id, int16_t status,
    const char *method, const bson_t *body, struct loco_error *err)
{
	if (loco_conn_can_send(conn, err) != 0)
		return -1;
	if (body != NULL && body->len > conn->opts.max_body) {
		loco_error_set(err, LOCO_ERR_TOO_LARGE,
		    "%s body of %u bytes exceeds limit %zu", method, body->len,
		    conn->opts.max_body);
		return -1;
	}
	if (loco_packet_encode(conn->plain_out, id, status, method, body,
	        err) != 0)
		return -1;
	loco_conn_trace(conn, ">", id, status, method, body);
	return loco_conn_kick(conn, err);
}

/*
 * Move plain_out to the transport: as is for plain and TLS, sealed in
 * frames of at most max_plain bytes for the secure layer. A secure server
 * keeps it staged until the handshake has given it a key.
 */
static int
loco_conn_flush_out(struct loco_conn *conn, struct loco_error *err)
{
	struct evbuffer *out = bufferevent_get_output(conn->bev);
	struct evbuffer *spoilt;
	size_t len, n;
	const unsigned char *p;
	unsigned char *q;
	int rc;

	if (conn->opts.transport != LOCO_CONN_SECURE) {
		if (evbuffer_add_buffer(out, conn->plain_out) != 0) {
			loco_error_set(err, LOCO_ERR_IO, "cannot queue output");
			return -1;
		}
		return 0;
	}
	if (conn->sec == NULL)
		return 0;
	while ((len = evbuffer_get_length(conn->plain_out)) > 0) {
		n = len < conn->opts.max_plain ? len : conn->opts.max_plain;
		p = evbuffer_pullup(conn->plain_out, (ev_ssize_t)n);
		if (p == NULL)
			return -1;
		if (conn->corrupt_next) {
			conn->corrupt_next = false;
			spoilt = loco_conn_need(evbuffer_new());
			rc = loco_secure_seal(conn->sec, p, n, spoilt, err);
			if (rc == 0) {
				q = evbuffer_pullup(spoilt, -1);
				q[evbuffer_get_length(spoilt) - 1] ^= 0x01;
				evbuffer_add_buffer(out, spoilt);
			}
			evbuffer_free(spoilt);
		} else
			rc = loco_secure_seal(conn->sec, p, n, out, err);
		if (rc != 0)
			return -1;
		evbuffer_drain(conn->plain_out, n);
	}
	return 0;
}

/* Flush unless corked; a failure breaks the connection from the loop. */
static int
loco_conn_kick(struct loco_conn *conn, struct loco_error *err)
{
	struct loco_error local;

	if (conn->cork > 0)
		return 0;
	if (err == NULL)
		err = &local;
	if (loco_conn_flush_out(conn, err) != 0) {
		loco_conn_break(conn, err);
		return -1;
	}
	return 0;
}

/*
 * Note a failure found inside a call from our owner; the owner's callbacks
 * must not run under its feet, so the close happens from resume_ev.
 */
static void
loco_conn_break(struct loco_conn *conn, const struct loco_error *err)
{
	if (conn->broken || conn->state >= LOCO_CONN_CLOSING)
		return;
	conn->broken = true;
	conn->broken_err = *err;
	evtimer_add(conn->resume_ev, &loco_conn_zero_tv);
}

int
loco_conn_request(struct loco_conn *conn, const char *method,
    const bson_t *body, unsigned timeout_ms, loco_conn_reply_cb cb, void *arg,
    uint32_t *id, struct loco_error *err)
{
	struct loco_conn_req *req;
	struct timeval tv;
	uint32_t rid;

	if (loco_conn_can_send(conn, err) != 0)
		return -1;
	if (cb == NULL || method == NULL || !loco_method_is_valid(method)) {
		loco_error_set(err, LOCO_ERR_CONFIG,
		    "invalid request method or callback");
		return -1;
	}
	if (conn->npending >= conn->opts.max_pending ||
	    loco_conn_next_id(conn, &rid) != 0) {
		loco_error_set(err, LOCO_ERR_BUSY,
		    "%s: %zu requests pending, cannot send %s", conn->tag,
		    conn->npending, method);
		return -1;
	}
	if (loco_conn_queue(conn, rid, 0, method, body, err) != 0)
		return -1;

	req = xcalloc(1, sizeof *req);
	req->conn = conn;
	req->id = rid;
	req->timeout_ms =
	    timeout_ms != 0 ? timeout_ms : conn->opts.request_timeout_ms;
	snprintf(req->method, sizeof req->method, "%s", method);
	req->cb = cb;
	req->arg = arg;
	req->timer = loco_conn_need(
	    evtimer_new(conn->base, loco_conn_req_timeout_cb, req));
	loco_conn_ms_tv(req->timeout_ms, &tv);
	evtimer_add(req->timer, &tv);
	TAILQ_INSERT_TAIL(&conn->pending, req, entry);
	conn->npending++;
	if (id != NULL)
		*id = rid;
	return 0;
}

bool
loco_conn_cancel(struct loco_conn *conn, uint32_t id)
{
	struct loco_conn_req *req;

	if (conn == NULL || (req = loco_conn_find(conn, id)) == NULL)
		return false;
	TAILQ_REMOVE(&conn->pending, req, entry);
	conn->npending--;
	loco_conn_late_add(conn, id);
	loco_conn_req_free(req);
	return true;
}

int
loco_conn_send(struct loco_conn *conn, uint32_t id, int16_t status,
    const char *method, const bson_t *body, struct loco_error *err)
{
	return loco_conn_queue(conn, id, status, method, body, err);
}

int
loco_conn_reply(struct loco_conn *conn, uint32_t id, const char *method,
    const bson_t *body, struct loco_error *err)
{
	return loco_conn_queue(conn, id, 0, method, body, err);
}

int
loco_conn_push(struct loco_conn *conn, const char *method, const bson_t *body,
    uint32_t *id, struct loco_error *err)
{
	uint32_t pid = conn->next_push;

	if (loco_conn_queue(conn, pid, 0, method, body, err) != 0)
		return -1;
	conn->next_push =
	    pid >= LOCO_CONN_ID_LIMIT ? conn->opts.push_id_base : pid + 1;
	if (id != NULL)
		*id = pid;
	return 0;
}

int
loco_conn_send_raw(struct loco_conn *conn, const void *data, size_t len,
    struct loco_error *err)
{
	if (loco_conn_can_send(conn, err) != 0)
		return -1;
	if (len == 0)
		return 0;
	if (evbuffer_add(conn->plain_out, data, len) != 0) {
		loco_error_set(err, LOCO_ERR_IO, "cannot queue %zu raw bytes",
		    len);
		return -1;
	}
	if (log_get_level() >= LOG_LEVEL_TRACE)
		log_trace("%s: > raw %zu bytes", conn->tag, len);
	return loco_conn_kick(conn, err);
}

int
loco_conn_expect_raw(struct loco_conn *conn, size_t n, loco_conn_raw_cb cb,
    void *arg, struct loco_error *err)
{
	if (conn->state >= LOCO_CONN_CLOSING) {
		loco_error_set(err, LOCO_ERR_CLOSED, "%s is closed", conn->tag);
		return -1;
	}
	if (n == 0 || cb == NULL || conn->raw_left > 0) {
		loco_error_set(err, LOCO_ERR_CONFIG,
		    "cannot expect %zu raw bytes on %s", n, conn->tag);
		return -1;
	}
	conn->raw_left = n;
	conn->raw_cb = cb;
	conn->raw_arg = arg;
	/* Bytes may already be buffered; a no-op inside our own loop. */
	evtimer_add(conn->resume_ev, &loco_conn_zero_tv);
	return 0;
}

void
loco_conn_cork(struct loco_conn *conn)
{
	conn->cork++;
}

int
loco_conn_uncork(struct loco_conn *conn, struct loco_error *err)
{
	if (conn->cork == 0 || --conn->cork > 0)
		return 0;
	if (conn->state >= LOCO_CONN_CLOSING)
		return 0;
	return loco_conn_kick(conn, err);
}

void
loco_conn_set_max_plain(struct loco_conn *conn, size_t max)
{
	conn->opts.max_plain = max != 0 ? max : LOCO_CONN_PLAIN_MAX_DEFAULT;
}

void
loco_conn_corrupt_next_frame(struct loco_conn *conn)
{
	if (conn->opts.transport == LOCO_CONN_SECURE)
		conn->corrupt_next = true;
}

void
loco_conn_set_read_enabled(struct loco_conn *conn, bool enabled)
{
	if (conn->read_enabled == enabled)
		return;
	conn->read_enabled = enabled;
	if (conn->state >= LOCO_CONN_CLOSING)
		return;
	loco_conn_update_read(conn);
	if (enabled)
		evtimer_add(conn->resume_ev, &loco_conn_zero_tv);
}

size_t
loco_conn_get_output_length(const struct loco_conn *conn)
{
	return evbuffer_get_length(conn->plain_out) +
	    evbuffer_get_length(bufferevent_get_output(conn->bev));
}

size_t
loco_conn_get_pending_count(const struct loco_conn *conn)
{
	return conn->npending;
}

bool
loco_conn_is_open(const struct loco_conn *conn)
{
	return conn->state == LOCO_CONN_OPEN && !conn->broken;
}

evutil_socket_t
loco_conn_get_fd(const struct loco_conn *conn)
{
	return bufferevent_getfd(conn->bev);
}

void
loco_conn_set_tag(struct loco_conn *conn, const char *tag)
{
	snprintf(conn->tag, sizeof conn->tag, "%s", tag);
}

const char *
loco_conn_get_tag(const struct loco_conn *conn)
{
	return conn->tag;
}

void
loco_conn_set_cbs(struct loco_conn *conn, const struct loco_conn_cbs *cbs,
    void *arg)
{
	if (conn->state >= LOCO_CONN_CLOSING)
		return;
	memset(&conn->cbs, 0, sizeof conn->cbs);
	if (cbs != NULL)
		conn->cbs = *cbs;
	conn->arg = arg;
}

/*
 * Read side: handshake, decrypt, then dispatch at most parse_budget packets
 * or raw chunks; if the budget runs out, stop reading and continue from a
 * zero-timeout event so one busy peer cannot starve the loop. Every
 * callback may close us, so the state is checked after each.
 */
static void
loco_conn_process(struct loco_conn *conn)
{
	struct loco_packet pkt;
	struct loco_error err;
	unsigned budget;
	int rc;

	if (conn->broken) {
		err = conn->broken_err;
		loco_conn_fail(conn, &err);
		return;
	}
	if (conn->state == LOCO_CONN_HANDSHAKE &&
	    conn->opts.transport == LOCO_CONN_SECURE &&
	    loco_conn_secure_accept(conn) < 0)
		return;
	if (conn->state == LOCO_CONN_OPEN && conn->read_enabled) {
		loco_conn_pull(conn);
		budget = conn->opts.parse_budget;
		while (budget > 0 && conn->read_enabled &&
		    conn->state == LOCO_CONN_OPEN) {
			if (conn->raw_left > 0) {
				if (!loco_conn_raw_chunk(conn))
					break;
				budget--;
				continue;
			}
			rc = loco_packet_parse(conn->plain_in,
			    conn->opts.max_body, &pkt, &err);
			if (rc < 0) {
				loco_conn_fail(conn, &err);
				return;
			}
			if (rc == 0)
				break;
			budget--;
			loco_conn_dispatch(conn, &pkt);
			loco_packet_release(&pkt);
		}
		if (conn->state != LOCO_CONN_OPEN)
			return;
		conn->throttled = budget == 0;
		if (conn->throttled)
			evtimer_add(conn->resume_ev, &loco_conn_zero_tv);
	}
	if (conn->state > LOCO_CONN_OPEN)
		return;
	if ((conn->peer_eof || conn->rx_failed) &&
	    (conn->state != LOCO_CONN_OPEN ||
	        (conn->read_enabled && !conn->throttled))) {
		/* Everything complete before the end has been delivered. */
		if (conn->rx_failed) {
			err = conn->rx_err;
			loco_conn_fail(conn, &err);
			return;
		}
		if (conn->state == LOCO_CONN_CONNECTING)
			loco_error_set(&err, LOCO_ERR_IO,
			    "cannot connect to '%s': connection closed",
			    conn->peer);
		else
			loco_error_set(&err, LOCO_ERR_IO,
			    "'%s' closed the connection%s", conn->peer,
			    evbuffer_get_length(conn->plain_in) > 0 ||
			            conn->raw_left > 0 ||
			            conn->state != LOCO_CONN_OPEN
			        ? " mid-packet or handshake"
			        : "");
		loco_conn_fail(conn, &err);
		return;
	}
	loco_conn_update_read(conn);
}

/*
 * Server side of the secure handshake: exactly 268 bytes, then the frames.
 * Returns 1 when done, 0 while bytes are missing, -1 if the connection
 * failed or was closed by the connected callback. A refused handshake
 * closes without a byte sent, as Kakao's servers do (LOCO.md 1.4).
 */
static int
loco_conn_secure_accept(struct loco_conn *conn)
{
	struct evbuffer *in = bufferevent_get_input(conn->bev);
	uint8_t hs[LOCO_HANDSHAKE_LEN];
	struct loco_error err;

	if (evbuffer_get_length(in) < LOCO_HANDSHAKE_LEN)
		return 0;
	evbuffer_remove(in, hs, sizeof hs);
	conn->sec =
	    loco_secure_server_new(conn->key, conn->opts.cipher, hs, &err);
	OPENSSL_cleanse(hs, sizeof hs);
	EVP_PKEY_free(conn->key);
	conn->key = NULL;
	if (conn->sec == NULL) {
		err.code = LOCO_ERR_HANDSHAKE;
		loco_conn_fail(conn, &err);
		return -1;
	}
	loco_secure_set_max_frame(conn->sec, conn->opts.max_frame);
	loco_conn_up(conn);
	return conn->state == LOCO_CONN_OPEN ? 1 : -1;
}

/*
 * Move what the transport has read into plain_in, decrypting frames. A bad
 * frame ends the input: the packets of the frames before it are still
 * delivered (each was authenticated), then the connection fails.
 */
static void
loco_conn_pull(struct loco_conn *conn)
{
	struct evbuffer *in = bufferevent_get_input(conn->bev);
	int rc;

	if (conn->rx_failed)
		return;
	if (conn->opts.transport != LOCO_CONN_SECURE) {
		evbuffer_add_buffer(conn->plain_in, in);
		return;
	}
	while ((rc = loco_secure_open(conn->sec, in, conn->plain_in,
	            &conn->rx_err)) == 1)
		continue;
	if (rc < 0)
		conn->rx_failed = true;
}

/* Hand the next contiguous run of expected raw bytes to raw_cb. */
static bool
loco_conn_raw_chunk(struct loco_conn *conn)
{
	struct evbuffer_iovec v;
	loco_conn_raw_cb cb = conn->raw_cb;
	void *arg = conn->raw_arg;
	size_t n;

	if (evbuffer_peek(conn->plain_in, -1, NULL, &v, 1) < 1 ||
	    v.iov_len == 0)
		return false;
	n = v.iov_len < conn->raw_left ? v.iov_len : conn->raw_left;
	/* Updated before the call, so the callback may expect more. */
	conn->raw_left -= n;
	if (conn->raw_left == 0) {
		conn->raw_cb = NULL;
		conn->raw_arg = NULL;
	}
	if (log_get_level() >= LOG_LEVEL_TRACE)
		log_trace("%s: < raw %zu bytes, %zu left", conn->tag, n,
		    conn->raw_left);
	cb(conn, v.iov_base, n, conn->raw_left, arg);
	evbuffer_drain(conn->plain_in, n);
	return true;
}

/* Route one packet: a pending reply, a late reply to drop, or the rest. */
static void
loco_conn_dispatch(struct loco_conn *conn, const struct loco_packet *pkt)
{
	struct loco_conn_req *req;
	loco_conn_reply_cb cb;
	void *arg;
	char name[LOCO_METHOD_LEN * 4 + 1];

	loco_conn_trace(conn, "<", pkt->hdr.packet_id, loco_packet_status(pkt),
	    pkt->hdr.method, &pkt->body);
	if ((req = loco_conn_find(conn, pkt->hdr.packet_id)) != NULL) {
		TAILQ_REMOVE(&conn->pending, req, entry);
		conn->npending--;
		if (strcmp(req->method, pkt->hdr.method) != 0)
			log_debug("%s: %s: %s request %u answered by %s",
			    __func__, conn->tag, req->method, req->id,
			    log_escape(name, sizeof name, pkt->hdr.method,
			        strlen(pkt->hdr.method)));
		cb = req->cb;
		arg = req->arg;
		loco_conn_req_free(req);
		cb(conn, pkt, NULL, arg);
		return;
	}
	if (loco_conn_late_take(conn, pkt->hdr.packet_id)) {
		log_debug("%s: %s: dropping late %s reply %u", __func__,
		    conn->tag,
		    log_escape(name, sizeof name, pkt->hdr.method,
		        strlen(pkt->hdr.method)),
		    pkt->hdr.packet_id);
		return;
	}
	if (conn->cbs.packet != NULL)
		conn->cbs.packet(conn, pkt, conn->arg);
}

/* The transport is ready: start reading and tell the owner. */
static void
loco_conn_up(struct loco_conn *conn)
{
	struct loco_error err;

	evtimer_del(conn->connect_ev);
	conn->state = LOCO_CONN_OPEN;
	log_debug("%s: %s: %s with %s", __func__, conn->tag,
	    conn->role == LOCO_CONN_CLIENT ? "connected" : "handshake done",
	    conn->peer);
	if (loco_conn_kick(conn, &err) != 0)
		return;
	loco_conn_update_read(conn);
	if (conn->cbs.connected != NULL)
		conn->cbs.connected(conn, conn->arg);
	if (conn->state == LOCO_CONN_OPEN)
		evtimer_add(conn->resume_ev, &loco_conn_zero_tv);
}

/* Read from the socket only when the owner wants it and the budget allows. */
static void
loco_conn_update_read(struct loco_conn *conn)
{
	if (conn->state != LOCO_CONN_OPEN)
		return;
	if (conn->read_enabled && !conn->throttled && !conn->peer_eof &&
	    !conn->rx_failed)
		bufferevent_enable(conn->bev, EV_READ);
	else
		bufferevent_disable(conn->bev, EV_READ);
}

/* Describe a bufferevent error: TLS, name resolution or socket. */
static void
loco_conn_bev_error(struct loco_conn *conn, short what, struct loco_error *err)
{
	unsigned long e, last = 0;
	char reason[120];
	int dnserr, sockerr = EVUTIL_SOCKET_ERROR();
	long vr = X509_V_OK;
	SSL *ssl;

	if (conn->opts.transport == LOCO_CONN_TLS) {
		/*
		 * libevent stacks its SSL_get_error() code (no library) with
		 * OpenSSL's queue and pops them newest first: keep the first
		 * real OpenSSL error, else whatever there was.
		 */
		while ((e = bufferevent_get_openssl_error(conn->bev)) != 0)
			if (last == 0 || ERR_GET_LIB(last) == 0)
				last = e;
		if ((ssl = bufferevent_openssl_get_ssl(conn->bev)) != NULL)
			vr = SSL_get_verify_result(ssl);
		if (last != 0) {
			ERR_error_string_n(last, reason, sizeof reason);
			if (vr != X509_V_OK)
				loco_error_set(err, LOCO_ERR_TLS,
				    "TLS with %s failed: %s (%s)", conn->peer,
				    reason, X509_verify_cert_error_string(vr));
			else
				loco_error_set(err, LOCO_ERR_TLS,
				    "TLS with %s failed: %s", conn->peer,
				    reason);
			return;
		}
		if (ERR_peek_error() != 0) {
			loco_error_set_openssl(err, LOCO_ERR_TLS, "TLS failed");
			return;
		}
	}
	if (conn->state == LOCO_CONN_CONNECTING &&
	    (dnserr = bufferevent_socket_get_dns_error(conn->bev)) != 0) {
		loco_error_set(err, LOCO_ERR_RESOLVE, "cannot resolve '%s': %s",
		    conn->peer, evutil_gai_strerror(dnserr));
		return;
	}
	/* A TLS session still "before" its handshake never got a socket. */
	if (conn->opts.transport == LOCO_CONN_TLS &&
	    conn->state != LOCO_CONN_OPEN &&
	    (ssl = bufferevent_openssl_get_ssl(conn->bev)) != NULL &&
	    !SSL_in_before(ssl)) {
		loco_error_set(err, LOCO_ERR_TLS,
		    "TLS handshake with %s failed: %s", conn->peer,
		    sockerr != 0 ? evutil_socket_error_to_string(sockerr)
		                 : "connection lost");
		return;
	}
	loco_error_set(err, LOCO_ERR_IO, "%s '%s': %s",
	    conn->state == LOCO_CONN_CONNECTING ? "cannot connect to"
	                                        : "connection error with",
	    conn->peer,
	    (what & BEV_EVENT_TIMEOUT) != 0 ? "timed out"
	        : sockerr != 0 ? evutil_socket_error_to_string(sockerr)
	                       : "unknown error");
}

/* End the connection because of why; nothing more is sent. */
static void
loco_conn_fail(struct loco_conn *conn, const struct loco_error *why)
{
	if (conn->state >= LOCO_CONN_CLOSING)
		return;
	log_debug("%s: %s: %s", __func__, conn->tag, why->msg);
	loco_conn_shutdown(conn, why, false);
}

void
loco_conn_close(struct loco_conn *conn)
{
	struct loco_error why;

	if (conn == NULL || conn->state >= LOCO_CONN_CLOSING)
		return;
	loco_error_set(&why, LOCO_ERR_NONE, "closed by owner");
	log_debug("%s: %s: closing", __func__, conn->tag);
	loco_conn_shutdown(conn, &why, conn->state == LOCO_CONN_OPEN);
}

void
loco_conn_abort(struct loco_conn *conn)
{
	struct loco_error why;

	if (conn == NULL || conn->state >= LOCO_CONN_CLOSING)
		return;
	loco_error_set(&why, LOCO_ERR_NONE, "aborted by owner");
	log_debug("%s: %s: aborting", __func__, conn->tag);
	loco_conn_shutdown(conn, &why, false);
}

/*
 * The single way out: stop reading and timers, flush or drop output, fail
 * pending requests, run the closed callback, then flush in the background
 * or schedule the free. The state is CLOSING before any callback runs, so
 * callbacks that close again or send are harmless no-ops.
 */
static void
loco_conn_shutdown(struct loco_conn *conn, const struct loco_error *why,
    bool flush)
{
	struct evbuffer *out = bufferevent_get_output(conn->bev);
	struct loco_conn_req *req;
	struct loco_error closed, ignored;
	loco_conn_reply_cb rcb;
	loco_conn_closed_cb ccb;
	void *arg;
	struct timeval tv;

	conn->state = LOCO_CONN_CLOSING;
	evtimer_del(conn->connect_ev);
	evtimer_del(conn->resume_ev);
	conn->raw_left = 0;
	conn->raw_cb = NULL;
	bufferevent_disable(conn->bev, EV_READ);
	if (flush) {
		/* LOCO.md decision 14: what was queued still goes out. */
		conn->cork = 0;
		if (conn->broken || loco_conn_flush_out(conn, &ignored) != 0)
			flush = false;
	}
	if (!flush) {
		evbuffer_drain(conn->plain_out,
		    evbuffer_get_length(conn->plain_out));
		evbuffer_drain(out, evbuffer_get_length(out));
	}

	loco_error_set(&closed, LOCO_ERR_CLOSED, "%s closed: %s", conn->tag,
	    why->msg);
	while ((req = TAILQ_FIRST(&conn->pending)) != NULL) {
		TAILQ_REMOVE(&conn->pending, req, entry);
		conn->npending--;
		rcb = req->cb;
		arg = req->arg;
		loco_conn_req_free(req);
		rcb(conn, NULL, &closed, arg);
	}
	ccb = conn->cbs.closed;
	arg = conn->arg;
	memset(&conn->cbs, 0, sizeof conn->cbs);
	if (ccb != NULL)
		ccb(conn, why, arg);

	if (flush && evbuffer_get_length(out) > 0) {
		log_debug("%s: %s: flushing %zu bytes", __func__, conn->tag,
		    evbuffer_get_length(out));
		bufferevent_setwatermark(conn->bev, EV_WRITE, 0, 0);
		bufferevent_enable(conn->bev, EV_WRITE);
		loco_conn_ms_tv(conn->opts.flush_timeout_ms, &tv);
		evtimer_add(conn->flush_ev, &tv);
	} else
		loco_conn_schedule_free(conn);
}

/* Detach from the bufferevent and free from the loop, never inline. */
static void
loco_conn_schedule_free(struct loco_conn *conn)
{
	if (conn->state == LOCO_CONN_DEAD)
		return;
	conn->state = LOCO_CONN_DEAD;
	evtimer_del(conn->connect_ev);
	evtimer_del(conn->flush_ev);
	evtimer_del(conn->resume_ev);
	bufferevent_setcb(conn->bev, NULL, NULL, NULL, NULL);
	bufferevent_disable(conn->bev, EV_READ | EV_WRITE);
	if (event_base_once(conn->base, -1, EV_TIMEOUT, loco_conn_free_cb, conn,
	        &loco_conn_zero_tv) != 0)
		fatalx("%s: cannot schedule the free of %s", __func__,
		    conn->tag);
}

/* Bytes arrived. */
static void
loco_conn_read_cb(struct bufferevent *bev, void *ctx)
{
	(void)bev;
	loco_conn_process(ctx);
}

/* Output fell to the low watermark: finish a flush, or tell the owner. */
static void
loco_conn_write_cb(struct bufferevent *bev, void *ctx)
{
	struct loco_conn *conn = ctx;

	if (conn->state == LOCO_CONN_CLOSING) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			loco_conn_schedule_free(conn);
		return;
	}
	if (conn->state == LOCO_CONN_OPEN && conn->cbs.drained != NULL)
		conn->cbs.drained(conn, conn->arg);
}

/* Connected, EOF, or an error. */
static void
loco_conn_event_cb(struct bufferevent *bev, short what, void *ctx)
{
	struct loco_conn *conn = ctx;
	struct loco_error err;

	(void)bev;
	if (conn->state == LOCO_CONN_CLOSING) {
		if ((what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) != 0)
			loco_conn_schedule_free(conn);
		return;
	}
	if (conn->state == LOCO_CONN_DEAD)
		return;
	if ((what & BEV_EVENT_CONNECTED) != 0) {
		int one = 1;

		/* Requests are small and answered one by one: Nagle would hold
		 * each behind the peer's delayed ACK (~40 ms a round trip). */
		if (setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY,
		        &one, sizeof one) != 0)
			log_debug("%s: TCP_NODELAY: %s", conn->tag,
			    strerror(errno));
		loco_conn_up(conn);
		return;
	}
	if ((what & BEV_EVENT_EOF) != 0) {
		/* Deliver what came before the EOF, then close. */
		conn->peer_eof = true;
		loco_conn_process(conn);
		return;
	}
	loco_conn_bev_error(conn, what, &err);
	loco_conn_fail(conn, &err);
}

/* Connecting or the server handshake took too long. */
static void
loco_conn_connect_timeout_cb(evutil_socket_t fd, short what, void *ctx)
{
	struct loco_conn *conn = ctx;
	struct loco_error err;

	(void)fd;
	(void)what;
	loco_error_set(&err, LOCO_ERR_TIMEOUT, "%s '%s': timed out after %u ms",
	    conn->role == LOCO_CONN_CLIENT ? "cannot connect to"
	                                   : "no handshake from",
	    conn->peer, conn->opts.connect_timeout_ms);
	loco_conn_fail(conn, &err);
}

/* The peer did not take our last bytes in time; give up on them. */
static void
loco_conn_flush_timeout_cb(evutil_socket_t fd, short what, void *ctx)
{
	struct loco_conn *conn = ctx;

	(void)fd;
	(void)what;
	log_debug("%s: %s: dropping %zu unflushed bytes", __func__, conn->tag,
	    evbuffer_get_length(bufferevent_get_output(conn->bev)));
	loco_conn_schedule_free(conn);
}

/* Continue parsing after the budget ran out, or report a late failure. */
static void
loco_conn_resume_cb(evutil_socket_t fd, short what, void *ctx)
{
	struct loco_conn *conn = ctx;

	(void)fd;
	(void)what;
	conn->throttled = false;
	loco_conn_process(conn);
}

/* A request went unanswered: fail it and remember its id. */
static void
loco_conn_req_timeout_cb(evutil_socket_t fd, short what, void *ctx)
{
	struct loco_conn_req *req = ctx;
	struct loco_conn *conn = req->conn;
	struct loco_error err;
	loco_conn_reply_cb cb = req->cb;
	void *arg = req->arg;

	(void)fd;
	(void)what;
	TAILQ_REMOVE(&conn->pending, req, entry);
	conn->npending--;
	loco_conn_late_add(conn, req->id);
	loco_error_set(&err, LOCO_ERR_TIMEOUT,
	    "%s request %u on %s timed out after %u ms", req->method, req->id,
	    conn->tag, req->timeout_ms);
	log_debug("%s: %s", __func__, err.msg);
	loco_conn_req_free(req);
	cb(conn, NULL, &err, arg);
}

/* The deferred free scheduled by loco_conn_schedule_free. */
static void
loco_conn_free_cb(evutil_socket_t fd, short what, void *ctx)
{
	struct loco_conn *conn = ctx;

	(void)fd;
	(void)what;
	log_debug("%s: %s: freed", __func__, conn->tag);
	loco_conn_free(conn);
}
