/* locoirc: see LICENSE.
 *
 * One LOCO connection on libevent: plain TCP, TLS (booking) or LOCO's
 * secure layer, in the client role (connect to host:port) or the server
 * role (an accepted fd). It numbers requests, matches replies by packet id,
 * hands every other packet to one callback, and owns flushing, limits and
 * teardown. The client engine, the simulator and media transfers all use it;
 * it knows nothing of what the packets mean.
 */
#ifndef LOCOIRC_PROTOCOL_LOCO_CONN_H
#define LOCOIRC_PROTOCOL_LOCO_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/util.h>
#include <openssl/types.h>
#include <bson/bson.h>

#include "loco-error.h"
#include "loco-packet.h"
#include "loco-secure.h"

struct event_base;
struct evdns_base;
struct loco_conn;

/* Defaults filled in by loco_conn_opts_init(); times are milliseconds. */
#define LOCO_CONN_MAX_PENDING_DEFAULT 1024
#define LOCO_CONN_PARSE_BUDGET_DEFAULT 64
#define LOCO_CONN_CONNECT_TIMEOUT_DEFAULT 10000
#define LOCO_CONN_REQUEST_TIMEOUT_DEFAULT 30000
#define LOCO_CONN_FLUSH_TIMEOUT_DEFAULT 2000
/* Request ids run 1..999,999 then wrap, below the push range (decision 13). */
#define LOCO_CONN_REQUEST_ID_MAX_DEFAULT 999999u
#define LOCO_CONN_PUSH_ID_BASE_DEFAULT 1000000u
/* Both counters stay well below INT32_MAX: some peers read ids as int32. */
#define LOCO_CONN_ID_LIMIT 0x3fffffffu
/* Largest plaintext sealed into one frame: one maximal packet, which fits
 * in LOCO_FRAME_MAX_DEFAULT. */
#define LOCO_CONN_PLAIN_MAX_DEFAULT (LOCO_BODY_MAX_DEFAULT + LOCO_HDR_LEN)
/* How many timed-out or cancelled ids are remembered to drop late replies. */
#define LOCO_CONN_LATE_IDS 64
#define LOCO_CONN_TAG_LEN 32

enum loco_conn_transport {
	LOCO_CONN_PLAIN = 0, /* bare TCP */
	LOCO_CONN_TLS,       /* TLS through bufferevent_openssl (booking) */
	LOCO_CONN_SECURE,    /* LOCO secure layer (LOCO.md 1.4-1.7) over TCP */
};

/*
 * How to build a connection. Initialise with loco_conn_opts_init(), then
 * set what differs; a zero limit means its default. The struct and its
 * strings are copied: the caller may reuse it at once.
 */
struct loco_conn_opts {
	enum loco_conn_transport transport;
	/* TLS, borrowed: client: trust store and verify settings; server:
	 * certificate and key. Each connection's SSL holds a reference. */
	SSL_CTX *ssl_ctx;
	/* TLS client: name to verify and send as SNI; NULL means the connect
	 * host. An IP literal is verified as an address, without SNI. */
	const char *tls_hostname;
	/* Secure layer, borrowed: client: the server's RSA public key (used
	 * once, in loco_conn_connect); server: the private key (the connection
	 * keeps a reference until the handshake is read). */
	EVP_PKEY *key;
	uint32_t key_encrypt_type;   /* client handshake word, default 16 */
	enum loco_cipher cipher;     /* default GCM; a server refuses others */
	size_t max_body;             /* loco_packet_parse limit */
	size_t max_frame;            /* loco_secure_set_max_frame limit */
	size_t max_plain;            /* plaintext bytes per outgoing frame */
	unsigned max_pending;        /* outstanding requests (LOCO_ERR_BUSY) */
	unsigned parse_budget;       /* packets per read callback */
	unsigned connect_timeout_ms; /* client: resolve + connect + TLS;
					server: TLS or secure handshake */
	unsigned request_timeout_ms; /* for loco_conn_request(..., 0, ...) */
	unsigned flush_timeout_ms;   /* loco_conn_close gives up after it */
	uint32_t request_id_max;     /* request ids wrap from this to 1 */
	uint32_t push_id_base;       /* first loco_conn_push id */
	size_t output_lowat;         /* drained callback threshold (bytes) */
	const char *tag;             /* log tag; NULL gives "loco#N" */
};

/* The transport is up: client role after the TCP connect (secure layer:
 * the handshake is queued ahead of every packet) or the TLS handshake;
 * server role after a TLS or secure handshake (a plain server connection
 * is up when loco_conn_accept returns and gets no call). */
typedef void (*loco_conn_connected_cb)(struct loco_conn *conn, void *arg);

/* A packet that answers none of our requests: a push in the client role,
 * a request in the server role. pkt is borrowed for the call. */
typedef void (*loco_conn_packet_cb)(struct loco_conn *conn,
    const struct loco_packet *pkt, void *arg);

/*
 * The connection is over; runs at most once and is the last callback.
 * err->code is LOCO_ERR_NONE when loco_conn_close() was called, otherwise
 * the cause (LOCO_ERR_IO for EOF or a socket error, LOCO_ERR_TLS,
 * LOCO_ERR_RESOLVE, LOCO_ERR_TIMEOUT for connect, LOCO_ERR_HANDSHAKE,
 * LOCO_ERR_CRYPTO, LOCO_ERR_MALFORMED, LOCO_ERR_TOO_LARGE, ...). conn stays
 * valid until the callback returns, then must not be used again.
 */
typedef void (*loco_conn_closed_cb)(struct loco_conn *conn,
    const struct loco_error *err, void *arg);

/* Output fell to opts.output_lowat bytes or fewer after a write. */
typedef void (*loco_conn_drained_cb)(struct loco_conn *conn, void *arg);

/*
 * The answer to one request, exactly once: pkt is the response (borrowed;
 * read its status with loco_packet_status) and err NULL, or pkt NULL and err
 * LOCO_ERR_TIMEOUT or LOCO_ERR_CLOSED.
 */
typedef void (*loco_conn_reply_cb)(struct loco_conn *conn,
    const struct loco_packet *pkt, const struct loco_error *err, void *arg);

/* len raw plaintext bytes (borrowed); left is how many are still due after
 * these; at 0 packet parsing resumes once the callback returns. */
typedef void (*loco_conn_raw_cb)(struct loco_conn *conn, const void *data,
    size_t len, size_t left, void *arg);

/* The owner's callbacks; any may be NULL. */
struct loco_conn_cbs {
	loco_conn_connected_cb connected;
	loco_conn_packet_cb packet;
	loco_conn_closed_cb closed;
	loco_conn_drained_cb drained;
};

/* Fill opts with the defaults above: plain transport, GCM, key type 16. */
void loco_conn_opts_init(struct loco_conn_opts *opts);

/*
 * Client role: start connecting to host:port. With dns NULL, host must be a
 * numeric address (LOCO_ERR_RESOLVE otherwise); with an evdns base, names are
 * resolved asynchronously. The secure handshake is built here, so a bad key
 * fails at once. cbs is copied, arg is passed to every callback. Returns a
 * connection whose later failures arrive through cbs->closed, or NULL with
 * err set (no callback runs).
 */
struct loco_conn *loco_conn_connect(struct event_base *base,
    struct evdns_base *dns, const char *host, uint16_t port,
    const struct loco_conn_opts *opts, const struct loco_conn_cbs *cbs,
    void *arg, struct loco_error *err);

/*
 * Server role: wrap fd, accepted from an evconnlistener. Takes ownership of
 * fd (closed on failure too). A secure server reads exactly the 268-byte
 * handshake; if it is refused, the connection closes without sending a byte
 * and cbs->closed gets LOCO_ERR_HANDSHAKE. Returns NULL with err set.
 */
struct loco_conn *loco_conn_accept(struct event_base *base, evutil_socket_t fd,
    const struct loco_conn_opts *opts, const struct loco_conn_cbs *cbs,
    void *arg, struct loco_error *err);

/*
 * End the connection (NULL or an already closing one is a no-op). Reading
 * stops, queued output (corked too) is flushed in the background for at most
 * opts.flush_timeout_ms, pending requests get LOCO_ERR_CLOSED, then the
 * closed callback runs with LOCO_ERR_NONE, all before this returns; no
 * callback runs afterwards. The memory is freed later from the event loop,
 * so this is safe inside any of the connection's own callbacks.
 */
void loco_conn_close(struct loco_conn *conn);

/* As loco_conn_close, but queued output is dropped (fault injection). */
void loco_conn_abort(struct loco_conn *conn);

/*
 * Send a request with a fresh id and call cb with its answer. timeout_ms 0
 * means opts.request_timeout_ms. body may be NULL (empty document) and is
 * copied. *id (may be NULL) gets the packet id. Returns 0, or -1 and cb
 * never runs: LOCO_ERR_CLOSED (closing), LOCO_ERR_BUSY (max_pending reached
 * or no free id), LOCO_ERR_CONFIG (bad method), LOCO_ERR_TOO_LARGE (body over
 * max_body); any other code means the connection broke and the closed
 * callback follows from the event loop.
 */
int loco_conn_request(struct loco_conn *conn, const char *method,
    const bson_t *body, unsigned timeout_ms, loco_conn_reply_cb cb, void *arg,
    uint32_t *id, struct loco_error *err);

/*
 * Forget pending request id without calling its callback (its owner is
 * going away); a late reply is then dropped. Returns whether it was pending.
 */
bool loco_conn_cancel(struct loco_conn *conn, uint32_t id);

/*
 * Send a packet with an explicit id and header status; the caller puts any
 * "status" in the body. Failures as for loco_conn_request.
 */
int loco_conn_send(struct loco_conn *conn, uint32_t id, int16_t status,
    const char *method, const bson_t *body, struct loco_error *err);

/* Answer the peer's request id (header status 0). */
int loco_conn_reply(struct loco_conn *conn, uint32_t id, const char *method,
    const bson_t *body, struct loco_error *err);

/* Send a push numbered from opts.push_id_base up; *id may be NULL. */
int loco_conn_push(struct loco_conn *conn, const char *method,
    const bson_t *body, uint32_t *id, struct loco_error *err);

/*
 * Send len bytes without a LOCO header (media upload, LOCO.md 2.10); they
 * are framed like packets (split by max_plain, coalesced while corked).
 */
int loco_conn_send_raw(struct loco_conn *conn, const void *data, size_t len,
    struct loco_error *err);

/*
 * Deliver the next n plaintext bytes to cb instead of the packet parser, in
 * chunks as they arrive, then parse packets again (bytes past n that arrived
 * in the same frame are packets). Callable from a packet or reply callback
 * to take the bytes right behind that packet. Fails with LOCO_ERR_CONFIG if
 * n is 0, cb is NULL or raw bytes are already expected.
 */
int loco_conn_expect_raw(struct loco_conn *conn, size_t n, loco_conn_raw_cb cb,
    void *arg, struct loco_error *err);

/*
 * Hold output: packets and raw bytes sent while corked go out together on
 * the last uncork, in one secure frame (or max_plain sized frames). Corks
 * nest. loco_conn_uncork fails as a send does.
 */
void loco_conn_cork(struct loco_conn *conn);
int loco_conn_uncork(struct loco_conn *conn, struct loco_error *err);

/* Change the plaintext bytes per outgoing frame (0 = default; 1 works). */
void loco_conn_set_max_plain(struct loco_conn *conn, size_t max);

/*
 * Fault injection for the simulator: flip one bit in the last byte of the
 * next secure frame sent (the GCM tag, or CFB ciphertext), so the peer's
 * open fails. No effect on plain and TLS connections.
 */
void loco_conn_corrupt_next_frame(struct loco_conn *conn);

/*
 * Stop (false) or restart reading from the peer. While stopped nothing is
 * read or delivered, so the peer's sends back up into its own buffers;
 * a peer's EOF is reported only after reading restarts.
 */
void loco_conn_set_read_enabled(struct loco_conn *conn, bool enabled);

/* Bytes queued for the peer and not yet written to the socket. */
size_t loco_conn_get_output_length(const struct loco_conn *conn);

/* Requests waiting for their answer. */
size_t loco_conn_get_pending_count(const struct loco_conn *conn);

/* True once connected (handshakes done) and until closing. */
bool loco_conn_is_open(const struct loco_conn *conn);

/* The socket, or -1 before a client has one; do not read or close it. */
evutil_socket_t loco_conn_get_fd(const struct loco_conn *conn);

/* Change the log tag (copied, truncated to LOCO_CONN_TAG_LEN - 1). */
void loco_conn_set_tag(struct loco_conn *conn, const char *tag);
const char *loco_conn_get_tag(const struct loco_conn *conn);

/* Replace the callbacks and their argument (cbs is copied). */
void loco_conn_set_cbs(struct loco_conn *conn, const struct loco_conn_cbs *cbs,
    void *arg);

#endif
