/* locoirc: see LICENSE.
 *
 * The secure layer: the 268-byte RSA-OAEP handshake in both roles, and the
 * AES-128-GCM or AES-128-CFB frames that follow it, as pure evbuffer codecs.
 * A frame's length word is judged before any of its payload is waited for,
 * and a GCM frame whose tag fails appends nothing. It does no I/O.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <event2/buffer.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "loco-key.h"
#include "loco-secure.h"
#include "xmalloc.h"

/* OpenSSL takes int lengths: feed it at most this much per call. */
#define LOCO_SECURE_CHUNK (1u << 30)

struct loco_secure {
	enum loco_cipher cipher;
	EVP_CIPHER *evp;     /* fetched AES-128-GCM or AES-128-CFB, owned */
	EVP_CIPHER_CTX *ctx; /* reused per frame; holds the key: secret */
	size_t max_frame;    /* largest accepted length word */
	uint8_t key[LOCO_AES_KEY_LEN]; /* secret, wiped on free */
};

static void le_put32(uint8_t *p, uint32_t v);
static uint32_t le_get32(const uint8_t *p);
static size_t loco_secure_iv_len(enum loco_cipher cipher);
static size_t loco_secure_overhead(enum loco_cipher cipher);
static struct loco_secure *loco_secure_alloc(enum loco_cipher cipher,
    const uint8_t key[LOCO_AES_KEY_LEN], struct loco_error *err);
static EVP_PKEY_CTX *loco_secure_oaep_ctx(EVP_PKEY *key, int encrypt,
    struct loco_error *err, enum loco_error_code code);
static int loco_secure_update(EVP_CIPHER_CTX *ctx, uint8_t *out,
    const uint8_t *in, size_t len);

/* Store v little-endian at p. */
static void
le_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Read a little-endian u32 at p. */
static uint32_t
le_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* Length of the per-frame nonce (GCM) or IV (CFB). */
static size_t
loco_secure_iv_len(enum loco_cipher cipher)
{
	return cipher == LOCO_CIPHER_GCM ? LOCO_GCM_NONCE_LEN : LOCO_CFB_IV_LEN;
}

/* Bytes a frame carries besides its ciphertext, not counting the length. */
static size_t
loco_secure_overhead(enum loco_cipher cipher)
{
	return cipher == LOCO_CIPHER_GCM ? LOCO_GCM_NONCE_LEN + LOCO_GCM_TAG_LEN
	                                 : LOCO_CFB_IV_LEN;
}

/* Build a session over key, fetching the cipher once for all its frames. */
static struct loco_secure *
loco_secure_alloc(enum loco_cipher cipher, const uint8_t key[LOCO_AES_KEY_LEN],
    struct loco_error *err)
{
	struct loco_secure *s = NULL;
	const char *name;

	switch (cipher) {
	case LOCO_CIPHER_GCM:
		name = "AES-128-GCM";
		break;
	case LOCO_CIPHER_CFB:
		name = "AES-128-CFB";
		break;
	default:
		loco_error_set(err, LOCO_ERR_CONFIG, "unknown cipher %d",
		    (int)cipher);
		return NULL;
	}

	s = xcalloc(1, sizeof *s);
	s->cipher = cipher;
	s->max_frame = LOCO_FRAME_MAX_DEFAULT;
	memcpy(s->key, key, LOCO_AES_KEY_LEN);
	if ((s->evp = EVP_CIPHER_fetch(NULL, name, NULL)) == NULL) {
		loco_error_set_openssl(err, LOCO_ERR_CRYPTO, name);
		goto fail;
	}
	if ((s->ctx = EVP_CIPHER_CTX_new()) == NULL) {
		loco_error_set_openssl(err, LOCO_ERR_CRYPTO,
		    "cannot allocate cipher context");
		goto fail;
	}
	return s;

fail:
	loco_secure_free(s);
	return NULL;
}

/* An RSA-OAEP (SHA-1, MGF1-SHA-1) context over key for one operation. */
static EVP_PKEY_CTX *
loco_secure_oaep_ctx(EVP_PKEY *key, int encrypt, struct loco_error *err,
    enum loco_error_code code)
{
	EVP_PKEY_CTX *pctx = NULL;

	if ((pctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) == NULL)
		goto fail;
	if ((encrypt ? EVP_PKEY_encrypt_init(pctx)
	             : EVP_PKEY_decrypt_init(pctx)) <= 0)
		goto fail;
	if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha1()) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha1()) <= 0)
		goto fail;
	return pctx;

fail:
	loco_error_set_openssl(err, code, "cannot set up rsa-oaep");
	EVP_PKEY_CTX_free(pctx);
	return NULL;
}

/* Run len bytes through the initialised ctx in int-sized steps. */
static int
loco_secure_update(EVP_CIPHER_CTX *ctx, uint8_t *out, const uint8_t *in,
    size_t len)
{
	int outl;
	size_t step;

	while (len > 0) {
		step = len < LOCO_SECURE_CHUNK ? len : LOCO_SECURE_CHUNK;
		if (EVP_CipherUpdate(ctx, out, &outl, in, (int)step) != 1 ||
		    (size_t)outl != step)
			return -1;
		out += step;
		in += step;
		len -= step;
	}
	return 0;
}

/* Client role: wrap a fresh random key with pub into the handshake. */
struct loco_secure *
loco_secure_client_new(EVP_PKEY *pub, uint32_t key_encrypt_type,
    enum loco_cipher cipher, uint8_t out[LOCO_HANDSHAKE_LEN],
    struct loco_error *err)
{
	struct loco_secure *s = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t key[LOCO_AES_KEY_LEN];
	size_t outlen;

	if (!loco_key_is_usable(pub)) {
		loco_error_set(err, LOCO_ERR_CONFIG,
		    "handshake needs a 2048-bit rsa key");
		return NULL;
	}
	if (cipher != LOCO_CIPHER_GCM && cipher != LOCO_CIPHER_CFB) {
		loco_error_set(err, LOCO_ERR_CONFIG, "unknown cipher %d",
		    (int)cipher);
		return NULL;
	}
	if (RAND_priv_bytes(key, sizeof key) != 1) {
		loco_error_set_openssl(err, LOCO_ERR_CRYPTO,
		    "cannot make a session key");
		goto fail;
	}
	if ((pctx = loco_secure_oaep_ctx(pub, 1, err, LOCO_ERR_CRYPTO)) == NULL)
		goto fail;
	outlen = LOCO_RSA_CIPHERTEXT_LEN;
	if (EVP_PKEY_encrypt(pctx, out + 12, &outlen, key, sizeof key) <= 0 ||
	    outlen != LOCO_RSA_CIPHERTEXT_LEN) {
		loco_error_set_openssl(err, LOCO_ERR_CRYPTO,
		    "cannot wrap the session key");
		goto fail;
	}
	le_put32(out, LOCO_RSA_CIPHERTEXT_LEN);
	le_put32(out + 4, key_encrypt_type);
	le_put32(out + 8, (uint32_t)cipher);
	s = loco_secure_alloc(cipher, key, err);

fail:
	OPENSSL_cleanse(key, sizeof key);
	EVP_PKEY_CTX_free(pctx);
	return s;
}

/* Server role: check the handshake words, then unwrap the key with priv. */
struct loco_secure *
loco_secure_server_new(EVP_PKEY *priv, enum loco_cipher cipher,
    const uint8_t in[LOCO_HANDSHAKE_LEN], struct loco_error *err)
{
	struct loco_secure *s = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t key[LOCO_RSA_CIPHERTEXT_LEN];
	uint32_t key_len, key_type, enc_type;
	size_t outlen = sizeof key;
	int types_ok;

	if (!loco_key_is_usable(priv)) {
		loco_error_set(err, LOCO_ERR_CONFIG,
		    "handshake needs a 2048-bit rsa key");
		return NULL;
	}
	key_len = le_get32(in);
	key_type = le_get32(in + 4);
	enc_type = le_get32(in + 8);
	if (key_len != LOCO_RSA_CIPHERTEXT_LEN) {
		loco_error_set(err, LOCO_ERR_HANDSHAKE,
		    "handshake key length %u, expected 256", key_len);
		return NULL;
	}
	switch (cipher) {
	case LOCO_CIPHER_GCM:
		types_ok = key_type == LOCO_KEY_ENCRYPT_OAEP &&
		    enc_type == LOCO_CIPHER_GCM;
		break;
	case LOCO_CIPHER_CFB:
		types_ok = (key_type == LOCO_KEY_ENCRYPT_OAEP_LEGACY ||
		               key_type == LOCO_KEY_ENCRYPT_OAEP_LEGACY2) &&
		    enc_type == LOCO_CIPHER_CFB;
		break;
	default:
		loco_error_set(err, LOCO_ERR_CONFIG, "unknown cipher %d",
		    (int)cipher);
		return NULL;
	}
	if (!types_ok) {
		loco_error_set(err, LOCO_ERR_HANDSHAKE,
		    "handshake types %u/%u do not match cipher %d", key_type,
		    enc_type, (int)cipher);
		return NULL;
	}

	if ((pctx = loco_secure_oaep_ctx(priv, 0, err, LOCO_ERR_HANDSHAKE)) ==
	    NULL)
		goto out;
	if (EVP_PKEY_decrypt(pctx, key, &outlen, in + 12,
	        LOCO_RSA_CIPHERTEXT_LEN) <= 0) {
		loco_error_set_openssl(err, LOCO_ERR_HANDSHAKE,
		    "cannot unwrap the session key");
		goto out;
	}
	if (outlen != LOCO_AES_KEY_LEN) {
		loco_error_set(err, LOCO_ERR_HANDSHAKE,
		    "session key is %zu bytes, expected 16", outlen);
		goto out;
	}
	s = loco_secure_alloc(cipher, key, err);

out:
	OPENSSL_cleanse(key, sizeof key);
	EVP_PKEY_CTX_free(pctx);
	return s;
}

/* A session over a caller-supplied key. */
struct loco_secure *
loco_secure_new_with_key(enum loco_cipher cipher,
    const uint8_t key[LOCO_AES_KEY_LEN])
{
	return loco_secure_alloc(cipher, key, NULL);
}

/* Free the cipher objects and wipe the key with the session. */
void
loco_secure_free(struct loco_secure *s)
{
	if (s == NULL)
		return;
	EVP_CIPHER_CTX_free(s->ctx);
	EVP_CIPHER_free(s->evp);
	xfree_secret(s, sizeof *s);
}

/* The cipher this session frames with. */
enum loco_cipher
loco_secure_cipher(const struct loco_secure *s)
{
	return s->cipher;
}

/* Set the largest length word loco_secure_open accepts. */
void
loco_secure_set_max_frame(struct loco_secure *s, size_t max)
{
	s->max_frame = max;
}

/* Seal one frame under a fresh random nonce or IV. */
int
loco_secure_seal(struct loco_secure *s, const void *plain, size_t len,
    struct evbuffer *out, struct loco_error *err)
{
	uint8_t iv[LOCO_CFB_IV_LEN];

	if (RAND_bytes(iv, (int)loco_secure_iv_len(s->cipher)) != 1) {
		loco_error_set_openssl(err, LOCO_ERR_CRYPTO,
		    "cannot make a frame nonce");
		return -1;
	}
	return loco_secure_seal_iv(s, iv, plain, len, out, err);
}

/* Seal one frame under iv, encrypting straight into out. */
int
loco_secure_seal_iv(struct loco_secure *s, const uint8_t *iv, const void *plain,
    size_t len, struct evbuffer *out, struct loco_error *err)
{
	struct evbuffer_iovec vec;
	size_t iv_len = loco_secure_iv_len(s->cipher);
	size_t overhead = loco_secure_overhead(s->cipher);
	uint8_t *p;
	int outl;

	if (len > UINT32_MAX - overhead) {
		loco_error_set(err, LOCO_ERR_TOO_LARGE,
		    "cannot seal %zu bytes in one frame", len);
		return -1;
	}
	/* Encrypt straight into the output buffer: one contiguous extent. */
	if (evbuffer_reserve_space(out, (ev_ssize_t)(4 + overhead + len), &vec,
	        1) != 1) {
		loco_error_set(err, LOCO_ERR_CONFIG,
		    "cannot reserve %zu bytes for a frame", 4 + overhead + len);
		return -1;
	}
	p = vec.iov_base;
	le_put32(p, (uint32_t)(overhead + len));
	memcpy(p + 4, iv, iv_len);

	if (EVP_CipherInit_ex2(s->ctx, s->evp, s->key, iv, 1, NULL) != 1 ||
	    loco_secure_update(s->ctx, p + 4 + iv_len, plain, len) != 0 ||
	    EVP_CipherFinal_ex(s->ctx, p + 4 + iv_len + len, &outl) != 1)
		goto fail;
	if (s->cipher == LOCO_CIPHER_GCM &&
	    EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_AEAD_GET_TAG, LOCO_GCM_TAG_LEN,
	        p + 4 + iv_len + len) != 1)
		goto fail;

	vec.iov_len = 4 + overhead + len;
	if (evbuffer_commit_space(out, &vec, 1) != 0) {
		loco_error_set(err, LOCO_ERR_CONFIG, "cannot commit a frame");
		return -1;
	}
	return 0;

fail:
	loco_error_set_openssl(err, LOCO_ERR_CRYPTO, "cannot seal a frame");
	return -1;
}

/* Open the frame at the front of in, if it is all there. */
int
loco_secure_open(struct loco_secure *s, struct evbuffer *in,
    struct evbuffer *plain, struct loco_error *err)
{
	struct evbuffer_iovec vec;
	size_t iv_len = loco_secure_iv_len(s->cipher);
	size_t overhead = loco_secure_overhead(s->cipher);
	size_t have = evbuffer_get_length(in);
	uint8_t word[4];
	uint8_t tag[LOCO_GCM_TAG_LEN];
	uint8_t *frame, *dst = NULL;
	uint32_t frame_len;
	size_t ct_len;
	int outl;

	if (have < sizeof word)
		return 0;
	if (evbuffer_copyout(in, word, sizeof word) != (ev_ssize_t)sizeof word)
		return 0;
	frame_len = le_get32(word);
	/* Judge the length word before waiting for a single payload byte. */
	if (frame_len > s->max_frame) {
		loco_error_set(err, LOCO_ERR_TOO_LARGE,
		    "frame of %u bytes over the limit of %zu", frame_len,
		    s->max_frame);
		return -1;
	}
	if (frame_len < overhead) {
		loco_error_set(err, LOCO_ERR_MALFORMED,
		    "frame of %u bytes too short for its %zu-byte overhead",
		    frame_len, overhead);
		return -1;
	}
	if (have - sizeof word < frame_len)
		return 0;

	if ((frame = evbuffer_pullup(in,
	         (ev_ssize_t)sizeof word + frame_len)) == NULL) {
		loco_error_set(err, LOCO_ERR_CONFIG, "cannot pull up a frame");
		return -1;
	}
	frame += sizeof word;
	ct_len = frame_len - overhead;
	if (ct_len > 0) {
		if (evbuffer_reserve_space(plain, (ev_ssize_t)ct_len, &vec,
		        1) != 1) {
			loco_error_set(err, LOCO_ERR_CONFIG,
			    "cannot reserve %zu bytes of plaintext", ct_len);
			return -1;
		}
		dst = vec.iov_base;
	}

	if (EVP_CipherInit_ex2(s->ctx, s->evp, s->key, frame, 0, NULL) != 1 ||
	    loco_secure_update(s->ctx, dst, frame + iv_len, ct_len) != 0) {
		loco_error_set_openssl(err, LOCO_ERR_CRYPTO,
		    "cannot open a frame");
		goto fail;
	}
	if (s->cipher == LOCO_CIPHER_GCM) {
		memcpy(tag, frame + iv_len + ct_len, sizeof tag);
		if (EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_AEAD_SET_TAG,
		        sizeof tag, tag) != 1) {
			loco_error_set_openssl(err, LOCO_ERR_CRYPTO,
			    "cannot set the frame tag");
			goto fail;
		}
	}
	if (EVP_CipherFinal_ex(s->ctx, dst != NULL ? dst + ct_len : tag,
	        &outl) != 1) {
		ERR_clear_error();
		loco_error_set(err, LOCO_ERR_CRYPTO,
		    "frame of %u bytes failed authentication", frame_len);
		goto fail;
	}

	if (ct_len > 0) {
		vec.iov_len = ct_len;
		if (evbuffer_commit_space(plain, &vec, 1) != 0) {
			loco_error_set(err, LOCO_ERR_CONFIG,
			    "cannot commit plaintext");
			goto fail;
		}
	}
	evbuffer_drain(in, sizeof word + frame_len);
	return 1;

fail:
	/* Unauthenticated plaintext never leaves the reserved space. */
	if (dst != NULL)
		OPENSSL_cleanse(dst, ct_len);
	return -1;
}
