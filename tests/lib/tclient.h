/* locoirc: see LICENSE.
 *
 * A small LOCO client for tests, built on protocol/: it drives the event
 * loop until the answer it waits for arrives, so tests read top to bottom.
 * It is deliberately not the gateway's engine: tests of locosim must not
 * depend on the code they will later be used to test.
 */
#ifndef LOCOIRC_TESTS_TCLIENT_H
#define LOCOIRC_TESTS_TCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bson/bson.h>
#include <openssl/types.h>

#include "loco-conn.h"
#include "loco-error.h"
#include "loco-packet.h"
#include "loco-secure.h"

struct event_base;
struct locosim;
struct tclient;

/* How long any tclient wait lasts before it fails the test (ms). */
#define TCLIENT_WAIT_MS 10000

/* A received packet, owned by the caller: release with tclient_pkt_free. */
struct tclient_pkt {
	struct loco_header hdr;
	bson_t *body; /* owned */
};

void tclient_pkt_free(struct tclient_pkt *p);

/*
 * Connect to host:port over transport (LOCO_CONN_SECURE: pub, key type and
 * cipher are used; LOCO_CONN_TLS: ssl_ctx and tls_hostname). Waits until
 * the transport is up. Returns NULL with err on failure.
 */
struct tclient *tclient_connect(struct event_base *base, const char *host,
    uint16_t port, enum loco_conn_transport transport, EVP_PKEY *pub,
    uint32_t key_encrypt_type, enum loco_cipher cipher, SSL_CTX *ssl_ctx,
    const char *tls_hostname, struct loco_error *err);

/* The same to one of sim's secure listeners (chat, checkin, media), with
 * sim's key and the given cipher (key type 16 for GCM, 12 for CFB). */
struct tclient *tclient_connect_sim(struct event_base *base,
    struct locosim *sim, int listener, enum loco_cipher cipher,
    struct loco_error *err);

/* A client SSL_CTX that trusts sim's booking certificate only. */
SSL_CTX *tclient_sim_ssl_ctx(struct locosim *sim);

/* Close (flushing) and free; NULL is a no-op. Pending waits are over.
 * The connection itself is freed from the event loop: a test ends with
 * locosim_free, then event_base_dispatch (which returns once nothing is
 * left), then event_base_free. */
void tclient_free(struct tclient *tc);

/*
 * Send method/body and wait for the reply. Returns the reply (status via
 * tclient_status) or NULL on timeout/close with err set.
 */
struct tclient_pkt *tclient_call(struct tclient *tc, const char *method,
    const bson_t *body, struct loco_error *err);

/* Send a request without waiting; the reply is queued like a push. */
int tclient_send(struct tclient *tc, uint32_t id, const char *method,
    const bson_t *body);

/*
 * Wait for the next push (any packet that answered none of our calls)
 * whose method is method (NULL = any); earlier pushes of other methods stay
 * queued. NULL after TCLIENT_WAIT_MS or when the connection closed.
 */
struct tclient_pkt *tclient_wait_push(struct tclient *tc, const char *method);

/* A queued push of method without waiting, or NULL. */
struct tclient_pkt *tclient_take_push(struct tclient *tc, const char *method);

/* How many pushes are queued (of method, NULL = all). */
size_t tclient_push_count(const struct tclient *tc, const char *method);

/*
 * Run the loop for up to ms to let stray packets arrive (only to prove a
 * NEGATIVE: that something did not come). Never use it to synchronise.
 */
void tclient_settle(struct tclient *tc, unsigned ms);

/* Wait until the peer closes; true if it did (err gets the reason). */
bool tclient_wait_closed(struct tclient *tc, struct loco_error *err);
bool tclient_is_closed(const struct tclient *tc);

/* Bytes the connection received in raw mode (expect_raw), for media. */
struct loco_conn *tclient_conn(struct tclient *tc);

/* Body status of a reply (LOCO.md decision 3). */
int32_t tclient_status(const struct tclient_pkt *p);

/*
 * Append a LOGINLIST request body as the reference clients send it
 * (LOCO.md 1.9: rp binary, ids as int64) to out. token or duuid NULL leave
 * the key out; chat_ids/max_ids (n each, may be NULL when n is 0) become
 * chatIds/maxIds.
 */
void tclient_loginlist_body(bson_t *out, const char *token, const char *duuid,
    int32_t dtype, const int64_t *chat_ids, const int64_t *max_ids, size_t n);

/*
 * LOGINLIST as account user_id of sim's world (token and duuid from the
 * world) with dtype, then LCHATLIST until eof. Returns the connected chat
 * session or NULL; *login (may be NULL) gets the LOGINLIST reply.
 */
struct tclient *tclient_login(struct event_base *base, struct locosim *sim,
    int64_t user_id, int32_t dtype, enum loco_cipher cipher,
    struct tclient_pkt **login, struct loco_error *err);

/*
 * Readers for checking bodies in tests. path descends with dots
 * ("chatDatas.0.c"); a top-level key that itself holds a dot
 * ("trailer.h") is found too. Results point into doc.
 */
/* The BSON type at path, or BSON_TYPE_EOD when absent. */
bson_type_t tclient_type(const bson_t *doc, const char *path);
/* An int32 or int64 at path; INT64_MIN when absent or another type. */
int64_t tclient_i64(const bson_t *doc, const char *path);
/* A string at path (borrowed), or NULL. */
const char *tclient_str(const bson_t *doc, const char *path);
/* A bool at path: 1 or 0, -1 when absent or another type. */
int tclient_bool(const bson_t *doc, const char *path);
/* Elements of the array or document at path, -1 when it is neither. */
int tclient_len(const bson_t *doc, const char *path);
/* A read-only view of the document or array at path; false if absent. */
bool tclient_doc(const bson_t *doc, const char *path, bson_t *out);

/* What tclient_loop_until waits for; returns true when it is there. */
typedef bool (*tclient_cond_fn)(void *arg);

/*
 * Turn base one step at a time until cond(arg) holds or ms pass; cond NULL
 * just waits out ms. Returns whether cond held.
 */
bool tclient_loop_until(struct event_base *base, tclient_cond_fn cond,
    void *arg, unsigned ms);

/*
 * Turn base (for at most 5 s) until only the drain's own timer is left, so
 * closed connections finish their deferred frees.
 */
void tclient_loop_drain(struct event_base *base);

/*
 * GET url (http://IPV4:PORT/PATH) with HTTP/1.0 over a bufferevent on
 * base, for servers that run on the same loop. Returns the HTTP status and
 * the body in *body (malloc'd, one spare byte past *len; the caller frees
 * it), or -1 with *body NULL on a bad url, timeout or malformed response.
 */
int tclient_http_get(struct event_base *base, const char *url, uint8_t **body,
    size_t *len);

#endif
