/* locoirc: see LICENSE.
 *
 * RSA keys for the secure-layer handshake: the client's public key (Kakao's
 * current key is built in; any PEM can replace it), the simulator's private
 * key, and generation with e = 3 as the real servers use. OpenSSL EVP only.
 */
#ifndef LOCOIRC_PROTOCOL_LOCO_KEY_H
#define LOCOIRC_PROTOCOL_LOCO_KEY_H

#include <stddef.h>

#include <openssl/evp.h>

#include "loco-error.h"

/*
 * Load an RSA public key from a PEM file holding either a
 * SubjectPublicKeyInfo ("PUBLIC KEY") or a PKCS#1 ("RSA PUBLIC KEY") block.
 * Returns a new key the caller frees with EVP_PKEY_free, or NULL.
 */
EVP_PKEY *loco_key_load_public(const char *path, struct loco_error *err);

/* The same, from PEM text in memory. */
EVP_PKEY *loco_key_load_public_mem(const void *pem, size_t len,
    struct loco_error *err);

/*
 * Kakao's LOCO public key in use by desktop and Android clients in 2025-26
 * (2048-bit, e = 3, modulus a3 b0 76 e8 ...). A new key each call.
 */
EVP_PKEY *loco_key_kakao_default(struct loco_error *err);

/* Load an RSA private key from a PEM file (PKCS#8 or PKCS#1). */
EVP_PKEY *loco_key_load_private(const char *path, struct loco_error *err);

/* Generate an RSA key of bits with public exponent e (LOCO uses 3). */
EVP_PKEY *loco_key_generate(unsigned bits, unsigned long e,
    struct loco_error *err);

/*
 * Write key's private part as PKCS#8 PEM to path, created with mode 0600
 * (refusing to follow a symlink), or its public part as SubjectPublicKeyInfo
 * PEM. Return 0 or -1.
 */
int loco_key_save_private(EVP_PKEY *key, const char *path,
    struct loco_error *err);
int loco_key_save_public(EVP_PKEY *key, const char *path,
    struct loco_error *err);

/* True if key is RSA with a 2048-bit modulus, as the handshake needs. */
int loco_key_is_usable(EVP_PKEY *key);

#endif
