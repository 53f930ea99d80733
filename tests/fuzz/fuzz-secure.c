/* locoirc: see LICENSE.
 *
 * libFuzzer target for the secure layer's decoders. The first byte picks
 * the mode: frames (GCM or CFB under a fixed key, default or small length
 * cap, fed in input-derived chunks to loco_secure_open) or the 268-byte
 * server handshake against a 2048-bit e = 3 key made once at start-up.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <openssl/evp.h>

#include "loco-error.h"
#include "loco-key.h"
#include "loco-secure.h"

/* Inputs beyond this are not interesting and only slow the run down. */
#define FUZZ_MAX_INPUT (1u << 20)

/* Mode byte: bit 0 GCM (else CFB), bit 1 small cap, bit 7 handshake. */
#define FUZZ_GCM 0x01
#define FUZZ_SMALL_CAP 0x02
#define FUZZ_HANDSHAKE 0x80

/* The keys of the published vectors, so seeds can hold valid frames. */
static const uint8_t fuzz_gcm_key[LOCO_AES_KEY_LEN] = {0xfe, 0xff, 0xe9, 0x92,
    0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08};
static const uint8_t fuzz_cfb_key[LOCO_AES_KEY_LEN] = {0x2b, 0x7e, 0x15, 0x16,
    0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};

static EVP_PKEY *fuzz_priv;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
static void fuzz_frames(struct loco_secure *s, uint8_t seed, const uint8_t *d,
    size_t n);
static void fuzz_reseal(enum loco_cipher cipher, struct evbuffer *plain);

/* Make the handshake key once: RSA key generation is far too slow per run. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if ((fuzz_priv = loco_key_generate(2048, 3, NULL)) == NULL)
		abort();
	return 0;
}

/* Feed d to s in chunks sized from seed, opening frames as they complete. */
static void
fuzz_frames(struct loco_secure *s, uint8_t seed, const uint8_t *d, size_t n)
{
	struct evbuffer *in = evbuffer_new();
	struct evbuffer *plain = evbuffer_new();
	struct loco_error err;
	uint32_t state = seed | 0x100u;
	size_t off = 0, chunk, before_in, before_plain;
	int rc = 0;

	while (off < n && rc >= 0) {
		/* seed 0: all at once; else chunks of 1..seed bytes. */
		if (seed == 0)
			chunk = n - off;
		else {
			state ^= state << 13;
			state ^= state >> 17;
			state ^= state << 5;
			chunk = 1 + state % seed;
		}
		if (chunk > n - off)
			chunk = n - off;
		evbuffer_add(in, d + off, chunk);
		off += chunk;
		for (;;) {
			before_in = evbuffer_get_length(in);
			before_plain = evbuffer_get_length(plain);
			rc = loco_secure_open(s, in, plain, &err);
			if (rc <= 0) {
				/* Neither "wait" nor failure may consume or
				 * append anything. */
				if (evbuffer_get_length(in) != before_in ||
				    evbuffer_get_length(plain) != before_plain)
					abort();
				break;
			}
			if (evbuffer_get_length(in) >= before_in)
				abort();
		}
	}
	fuzz_reseal(loco_secure_cipher(s), plain);
	evbuffer_free(in);
	evbuffer_free(plain);
}

/* What was opened must survive a seal/open round trip unchanged. */
static void
fuzz_reseal(enum loco_cipher cipher, struct evbuffer *plain)
{
	const uint8_t *key =
	    cipher == LOCO_CIPHER_GCM ? fuzz_gcm_key : fuzz_cfb_key;
	struct loco_secure *s = loco_secure_new_with_key(cipher, key);
	struct evbuffer *wire = evbuffer_new();
	struct evbuffer *back = evbuffer_new();
	size_t len = evbuffer_get_length(plain);
	const uint8_t *p = evbuffer_pullup(plain, -1);

	if (s == NULL || loco_secure_seal(s, p, len, wire, NULL) != 0 ||
	    loco_secure_open(s, wire, back, NULL) != 1 ||
	    evbuffer_get_length(back) != len ||
	    (len > 0 && memcmp(evbuffer_pullup(back, -1), p, len) != 0))
		abort();
	loco_secure_free(s);
	evbuffer_free(wire);
	evbuffer_free(back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct loco_secure *s;
	struct loco_error err;
	enum loco_cipher cipher;
	uint8_t mode;

	if (n < 2 || n > FUZZ_MAX_INPUT)
		return 0;
	mode = d[0];
	cipher = mode & FUZZ_GCM ? LOCO_CIPHER_GCM : LOCO_CIPHER_CFB;

	if (mode & FUZZ_HANDSHAKE) {
		if (n < 1 + LOCO_HANDSHAKE_LEN)
			return 0;
		s = loco_secure_server_new(fuzz_priv, cipher, d + 1, &err);
		if (s == NULL) {
			if (err.code != LOCO_ERR_HANDSHAKE)
				abort();
			return 0;
		}
		/* A handshake that unwraps: its frames follow. */
		if (n > 1 + LOCO_HANDSHAKE_LEN)
			fuzz_frames(s, 0, d + 1 + LOCO_HANDSHAKE_LEN,
			    n - 1 - LOCO_HANDSHAKE_LEN);
		loco_secure_free(s);
		return 0;
	}

	s = loco_secure_new_with_key(cipher,
	    cipher == LOCO_CIPHER_GCM ? fuzz_gcm_key : fuzz_cfb_key);
	if (s == NULL)
		abort();
	/* A cap of 0..248 bytes, straddling the 16/28-byte minimum. */
	if (mode & FUZZ_SMALL_CAP)
		loco_secure_set_max_frame(s, (size_t)(mode >> 2 & 0x1f) * 8);
	fuzz_frames(s, d[1], d + 2, n - 2);
	loco_secure_free(s);
	return 0;
}
