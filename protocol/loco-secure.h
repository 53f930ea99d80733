/* locoirc: see LICENSE.
 *
 * LOCO's secure layer as a pure buffer codec, usable in both roles: the
 * 268-byte handshake that carries an RSA-OAEP-wrapped AES-128 key, and the
 * frames that follow (AES-128-GCM, or legacy AES-128-CFB). It does no I/O;
 * loco-conn wires it between a socket and the packet parser.
 */
#ifndef LOCOIRC_PROTOCOL_LOCO_SECURE_H
#define LOCOIRC_PROTOCOL_LOCO_SECURE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "loco-error.h"

struct evbuffer;

#define LOCO_HANDSHAKE_LEN 268
#define LOCO_RSA_CIPHERTEXT_LEN 256
#define LOCO_AES_KEY_LEN 16
#define LOCO_GCM_NONCE_LEN 12
#define LOCO_GCM_TAG_LEN 16
#define LOCO_CFB_IV_LEN 16
/* Default cap on one frame's length word; a frame carries one write. */
#define LOCO_FRAME_MAX_DEFAULT (16u * 1024 * 1024 + 64)

/* encrypt_type words of the handshake. */
enum loco_cipher {
	LOCO_CIPHER_CFB = 2, /* AES-128-CFB128, [len][16 IV][ct] */
	LOCO_CIPHER_GCM = 3, /* AES-128-GCM, [len][12 nonce][ct][16 tag] */
};

/* key_encrypt_type words: all mean RSA-OAEP with SHA-1 and MGF1-SHA-1. */
enum loco_key_encrypt {
	LOCO_KEY_ENCRYPT_OAEP_LEGACY = 12,  /* with CFB, node-kakao era */
	LOCO_KEY_ENCRYPT_OAEP_LEGACY2 = 15, /* with CFB, later */
	LOCO_KEY_ENCRYPT_OAEP = 16,         /* with GCM, current */
};

/* One direction-agnostic session: the AES key and cipher of a connection. */
struct loco_secure;

/*
 * Client role: pick a fresh random AES key, wrap it with pub (RSA-OAEP
 * SHA-1/MGF1-SHA-1) and write the 268-byte handshake into out.
 * Returns a new session or NULL (LOCO_ERR_CRYPTO, or LOCO_ERR_CONFIG for an
 * unusable key or an unknown cipher).
 */
struct loco_secure *loco_secure_client_new(EVP_PKEY *pub,
    uint32_t key_encrypt_type, enum loco_cipher cipher,
    uint8_t out[LOCO_HANDSHAKE_LEN], struct loco_error *err);

/*
 * Server role: parse a 268-byte handshake with priv. The key length word
 * must be 256, the type words must match cipher (GCM with 16; CFB with 12
 * or 15) and the unwrapped key must be 16 bytes; anything else fails with
 * LOCO_ERR_HANDSHAKE (the caller then closes silently, as Kakao does).
 */
struct loco_secure *loco_secure_server_new(EVP_PKEY *priv,
    enum loco_cipher cipher, const uint8_t in[LOCO_HANDSHAKE_LEN],
    struct loco_error *err);

/* A session over a known key, for tests and tools; NULL for an unknown
 * cipher. The key is copied. */
struct loco_secure *loco_secure_new_with_key(enum loco_cipher cipher,
    const uint8_t key[LOCO_AES_KEY_LEN]);

/* Wipe the key and free; NULL is a no-op. */
void loco_secure_free(struct loco_secure *s);

enum loco_cipher loco_secure_cipher(const struct loco_secure *s);

/* Change the largest accepted frame length word (default above). */
void loco_secure_set_max_frame(struct loco_secure *s, size_t max);

/*
 * Encrypt len bytes of plain as one frame appended to out, with a fresh
 * random nonce/IV. len 0 is allowed (an empty frame). Returns 0 or -1.
 */
int loco_secure_seal(struct loco_secure *s, const void *plain, size_t len,
    struct evbuffer *out, struct loco_error *err);

/* As loco_secure_seal with a caller-chosen nonce (GCM: 12 bytes, CFB: 16),
 * for known-answer tests only: never reuse a nonce on the wire. */
int loco_secure_seal_iv(struct loco_secure *s, const uint8_t *iv,
    const void *plain, size_t len, struct evbuffer *out,
    struct loco_error *err);

/*
 * Take one whole frame from the front of in and append its plaintext to
 * plain. Returns 1 (frame consumed), 0 (not yet a whole frame; nothing
 * drained) or -1: a length word over the limit (judged before buffering)
 * or too short to hold nonce and tag, or a GCM tag that does not verify
 * (LOCO_ERR_CRYPTO). After -1 the connection must be closed.
 */
int loco_secure_open(struct loco_secure *s, struct evbuffer *in,
    struct evbuffer *plain, struct loco_error *err);

#endif
