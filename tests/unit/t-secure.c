/* locoirc: see LICENSE.
 *
 * Tests for the secure layer. Frames are checked against published
 * AES-GCM (McGrew-Viega test cases 1-3) and AES-CFB128 (NIST SP 800-38A
 * F.3.13) vectors and against the openssl CLI; the handshake is checked
 * against RSA-OAEP done by the openssl CLI in both directions.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "loco-error.h"
#include "loco-key.h"
#include "loco-secure.h"
#include "tap.h"

/* McGrew-Viega GCM test cases 1-3 (96-bit IV, no AAD). */
#define GCM_K0 "00000000000000000000000000000000"
#define GCM_IV0 "000000000000000000000000"
#define GCM_T1 "58e2fccefa7e3061367f1d57a4e7455a"
#define GCM_P2 "00000000000000000000000000000000"
#define GCM_C2 "0388dace60b6a392f328c2b971b2fe78"
#define GCM_T2 "ab6e47d42cec13bdf53a67b21257bddf"
#define GCM_K3 "feffe9928665731c6d6a8f9467308308"
#define GCM_IV3 "cafebabefacedbaddecaf888"
#define GCM_P3                                                                 \
	"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"     \
	"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"
#define GCM_C3                                                                 \
	"42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"     \
	"21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985"
#define GCM_T3 "4d5c2af327cd64a62cf35abd2ba6fab4"

/* The same cases as frames, written out: len || nonce || C || T. */
#define GCM_FRAME1 "1c000000" GCM_IV0 GCM_T1
#define GCM_FRAME2 "2c000000" GCM_IV0 GCM_C2 GCM_T2
#define GCM_FRAME3 "5c000000" GCM_IV3 GCM_C3 GCM_T3

/* NIST SP 800-38A F.3.13, CFB128-AES128.Encrypt. */
#define CFB_K "2b7e151628aed2a6abf7158809cf4f3c"
#define CFB_IV "000102030405060708090a0b0c0d0e0f"
#define CFB_P                                                                  \
	"6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51"    \
	"30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710"
#define CFB_C                                                                  \
	"3b3fd92eb72dad20333449f8e83cfb4a c8a64537a0b3a93fcde3cdad9f1ce58b"    \
	"26751f67a3cbb140b1808cf187a4f4df c04b05357c5d1c0eeac4c66f9ff7f2e6"
#define CFB_FRAME "50000000" CFB_IV CFB_C

static const char *openssl_bin(void);
static int write_file(const char *path, const void *p, size_t len);
static uint8_t *read_file(const char *path, size_t *len);
static struct loco_secure *session_hex(enum loco_cipher cipher,
    const char *hexkey);
static const uint8_t *buf_data(struct evbuffer *b);
static void put32(uint8_t *p, uint32_t v);
static int open_one(struct loco_secure *s, const uint8_t *frame, size_t len,
    struct evbuffer *plain, struct loco_error *err);
static void test_gcm_vector(const char *name, const char *key, const char *iv,
    const char *plain, const char *frame);
static void test_gcm_known_answers(void);
static void test_cfb_known_answer(void);
static void test_cfb_openssl_cli(void);
static void test_split_everywhere(enum loco_cipher cipher, const char *key,
    const char *frame, const char *plain);
static void test_several_frames(void);
static void test_tampering(void);
static void test_limits(void);
static void test_truncated(void);
static void test_round_trips(enum loco_cipher cipher);
static int run_openssl(const char *const *args, const void *in, size_t inlen);
static void test_handshake(void);
static void test_handshake_server(EVP_PKEY *priv, const char *dir,
    const uint8_t known[LOCO_AES_KEY_LEN]);
static void test_handshake_client(EVP_PKEY *pub, const char *dir,
    const char *priv_path, enum loco_cipher cipher, uint32_t key_type);

/* The openssl program the tests use as an independent implementation. */
static const char *
openssl_bin(void)
{
	const char *bin = getenv("LOCOIRC_OPENSSL");

	return bin != NULL && *bin != '\0' ? bin : "openssl";
}

/* Write len bytes at p to path; 0 or -1. */
static int
write_file(const char *path, const void *p, size_t len)
{
	FILE *f;
	int rc = 0;

	if ((f = fopen(path, "wb")) == NULL)
		return -1;
	if (len > 0 && fwrite(p, 1, len, f) != len)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

/* Read a whole file into a malloc'd buffer, or NULL. */
static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE *f;
	uint8_t *buf;
	size_t n = 0, cap = 4096;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if ((buf = malloc(cap)) == NULL)
		abort();
	for (;;) {
		size_t r = fread(buf + n, 1, cap - n, f);

		n += r;
		if (r == 0)
			break;
		if (n == cap && (buf = realloc(buf, cap *= 2)) == NULL)
			abort();
	}
	fclose(f);
	*len = n;
	return buf;
}

/* A session over a key given in hex. */
static struct loco_secure *
session_hex(enum loco_cipher cipher, const char *hexkey)
{
	struct loco_secure *s;
	uint8_t *key;
	size_t len;

	key = tap_hex(hexkey, &len);
	if (len != LOCO_AES_KEY_LEN)
		abort();
	s = loco_secure_new_with_key(cipher, key);
	free(key);
	if (s == NULL)
		abort();
	return s;
}

/* The contents of b, contiguous (NULL when empty). */
static const uint8_t *
buf_data(struct evbuffer *b)
{
	return evbuffer_pullup(b, -1);
}

/* Store v little-endian. */
static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Open exactly the bytes given, through a fresh input buffer. */
static int
open_one(struct loco_secure *s, const uint8_t *frame, size_t len,
    struct evbuffer *plain, struct loco_error *err)
{
	struct evbuffer *in = evbuffer_new();
	int rc;

	evbuffer_add(in, frame, len);
	rc = loco_secure_open(s, in, plain, err);
	if (rc == 1 && evbuffer_get_length(in) != 0)
		rc = 99;
	evbuffer_free(in);
	return rc;
}

/* Seal one published GCM case with its IV, then open the frame by hand. */
static void
test_gcm_vector(const char *name, const char *key, const char *iv,
    const char *plain, const char *frame)
{
	struct loco_secure *s = session_hex(LOCO_CIPHER_GCM, key);
	struct evbuffer *out = evbuffer_new();
	struct evbuffer *dec = evbuffer_new();
	struct loco_error err = {0};
	uint8_t *ivb, *pb, *fb;
	size_t ivlen, plen, flen;

	ivb = tap_hex(iv, &ivlen);
	pb = tap_hex(plain, &plen);
	fb = tap_hex(frame, &flen);
	diag("gcm %s", name);
	is_int(loco_secure_seal_iv(s, ivb, pb, plen, out, &err), ==, 0);
	is_mem(buf_data(out), evbuffer_get_length(out), fb, flen);
	/* Open the frame written out in this file, not our own output. */
	is_int(open_one(s, fb, flen, dec, &err), ==, 1);
	is_mem(buf_data(dec), evbuffer_get_length(dec), pb, plen);
	free(ivb);
	free(pb);
	free(fb);
	evbuffer_free(out);
	evbuffer_free(dec);
	loco_secure_free(s);
}

/* AES-128-GCM frames match McGrew-Viega test cases 1 (empty), 2 and 3. */
static void
test_gcm_known_answers(void)
{
	test_gcm_vector("test case 1 (empty frame)", GCM_K0, GCM_IV0, "",
	    GCM_FRAME1);
	test_gcm_vector("test case 2", GCM_K0, GCM_IV0, GCM_P2, GCM_FRAME2);
	test_gcm_vector("test case 3", GCM_K3, GCM_IV3, GCM_P3, GCM_FRAME3);
}

/* AES-128-CFB128 frames match SP 800-38A F.3.13, whole and cut short. */
static void
test_cfb_known_answer(void)
{
	struct loco_secure *s = session_hex(LOCO_CIPHER_CFB, CFB_K);
	struct evbuffer *out = evbuffer_new();
	struct evbuffer *dec = evbuffer_new();
	struct loco_error err = {0};
	uint8_t *iv, *p, *c, *f;
	size_t ivlen, plen, clen, flen;
	const uint8_t *o;

	iv = tap_hex(CFB_IV, &ivlen);
	p = tap_hex(CFB_P, &plen);
	c = tap_hex(CFB_C, &clen);
	f = tap_hex(CFB_FRAME, &flen);
	diag("cfb sp 800-38a f.3.13");
	is_int(loco_secure_seal_iv(s, iv, p, plen, out, &err), ==, 0);
	is_mem(buf_data(out), evbuffer_get_length(out), f, flen);
	is_int(open_one(s, f, flen, dec, &err), ==, 1);
	is_mem(buf_data(dec), evbuffer_get_length(dec), p, plen);

	/* No padding: 37 bytes in, the first 37 ciphertext bytes out. */
	evbuffer_drain(out, evbuffer_get_length(out));
	is_int(loco_secure_seal_iv(s, iv, p, 37, out, &err), ==, 0);
	is_uint(evbuffer_get_length(out), ==, 4 + 16 + 37);
	o = buf_data(out);
	is_int(o[0] | o[1] << 8 | o[2] << 16 | o[3] << 24, ==, 16 + 37);
	is_mem(o + 20, evbuffer_get_length(out) - 20, c, 37);

	/* An empty CFB frame is just the length word and the IV. */
	evbuffer_drain(out, evbuffer_get_length(out));
	is_int(loco_secure_seal_iv(s, iv, "", 0, out, &err), ==, 0);
	free(f);
	f = tap_hex("10000000" CFB_IV, &flen);
	is_mem(buf_data(out), evbuffer_get_length(out), f, flen);
	free(iv);
	free(p);
	free(c);
	free(f);
	evbuffer_free(out);
	evbuffer_free(dec);
	loco_secure_free(s);
}

/* Run the openssl CLI with args after the program name; its exit status. */
static int
run_openssl(const char *const *args, const void *in, size_t inlen)
{
	char *argv[32];
	size_t i;

	argv[0] = (char *)openssl_bin();
	for (i = 0; args[i] != NULL && i < 30; i++)
		argv[i + 1] = (char *)args[i];
	argv[i + 1] = NULL;
	return tap_run(argv, in, inlen);
}

/* A random CFB frame agrees with `openssl enc -aes-128-cfb -nopad`. */
static void
test_cfb_openssl_cli(void)
{
	struct loco_secure *s = NULL;
	struct evbuffer *out = evbuffer_new();
	struct loco_error err = {0};
	uint8_t key[16], iv[16], plain[37];
	char khex[33], ivhex[33], path[4096];
	uint8_t *cli = NULL;
	size_t cli_len = 0, i;
	int rc;

	RAND_bytes(key, sizeof key);
	RAND_bytes(iv, sizeof iv);
	RAND_bytes(plain, sizeof plain);
	for (i = 0; i < 16; i++) {
		snprintf(khex + 2 * i, 3, "%02x", key[i]);
		snprintf(ivhex + 2 * i, 3, "%02x", iv[i]);
	}
	snprintf(path, sizeof path, "%s/cfb.bin", tap_tmpdir());
	{
		const char *args[] = {"enc", "-aes-128-cfb", "-K", khex, "-iv",
		    ivhex, "-nopad", "-out", path, NULL};

		rc = run_openssl(args, plain, sizeof plain);
	}
	if (rc != 0) {
		skip("openssl enc is not available");
		goto end;
	}
	cli = read_file(path, &cli_len);
	s = loco_secure_new_with_key(LOCO_CIPHER_CFB, key);
	is_int(loco_secure_seal_iv(s, iv, plain, sizeof plain, out, &err), ==,
	    0);
	if (!is_uint(evbuffer_get_length(out), ==, 4 + 16 + sizeof plain))
		goto end;
	is_mem(buf_data(out) + 20, sizeof plain, cli, cli_len);

end:
	free(cli);
	evbuffer_free(out);
	loco_secure_free(s);
}

/* A frame cut at every offset opens only when whole, and byte by byte. */
static void
test_split_everywhere(enum loco_cipher cipher, const char *key,
    const char *frame, const char *plain)
{
	struct loco_secure *s = session_hex(cipher, key);
	struct loco_error err = {0};
	uint8_t *f, *p;
	size_t flen, plen, k;
	int bad_split = 0, bad_bytes = 0, rc;
	struct evbuffer *in, *rest, *dec;

	f = tap_hex(frame, &flen);
	p = tap_hex(plain, &plen);
	for (k = 0; k < flen; k++) {
		in = evbuffer_new();
		rest = evbuffer_new();
		dec = evbuffer_new();
		evbuffer_add(in, f, k);
		if (loco_secure_open(s, in, dec, &err) != 0 ||
		    evbuffer_get_length(in) != k ||
		    evbuffer_get_length(dec) != 0) {
			if (bad_split++ == 0)
				diag("split at %zu opened early", k);
		}
		/* The tail arrives as its own chain: open must pull it up. */
		evbuffer_add(rest, f + k, flen - k);
		evbuffer_add_buffer(in, rest);
		rc = loco_secure_open(s, in, dec, &err);
		if (rc != 1 || evbuffer_get_length(in) != 0 ||
		    evbuffer_get_length(dec) != plen ||
		    (plen > 0 && memcmp(buf_data(dec), p, plen) != 0)) {
			if (bad_split++ == 0)
				diag("split at %zu: rc %d (%s)", k, rc,
				    err.msg);
		}
		evbuffer_free(in);
		evbuffer_free(rest);
		evbuffer_free(dec);
	}
	is_int(bad_split, ==, 0);

	in = evbuffer_new();
	dec = evbuffer_new();
	for (k = 0; k < flen; k++) {
		evbuffer_add(in, f + k, 1);
		rc = loco_secure_open(s, in, dec, &err);
		if (rc != (k + 1 == flen ? 1 : 0)) {
			if (bad_bytes++ == 0)
				diag("byte %zu: rc %d", k, rc);
		}
	}
	is_int(bad_bytes, ==, 0);
	is_uint(evbuffer_get_length(in), ==, 0);
	is_mem(buf_data(dec), evbuffer_get_length(dec), p, plen);
	evbuffer_free(in);
	evbuffer_free(dec);
	free(f);
	free(p);
	loco_secure_free(s);
}

/* Several frames in one buffer open one at a time, in order. */
static void
test_several_frames(void)
{
	struct loco_secure *s = session_hex(LOCO_CIPHER_GCM, GCM_K3);
	struct evbuffer *in = evbuffer_new();
	struct evbuffer *dec = evbuffer_new();
	struct evbuffer *want = evbuffer_new();
	struct loco_error err = {0};
	uint8_t *f3, *p3;
	size_t f3len, p3len;
	const char *hello = "hello, ";

	f3 = tap_hex(GCM_FRAME3, &f3len);
	p3 = tap_hex(GCM_P3, &p3len);
	evbuffer_add(in, f3, f3len);
	evbuffer_add(want, p3, p3len);
	is_int(loco_secure_seal(s, hello, strlen(hello), in, &err), ==, 0);
	evbuffer_add(want, hello, strlen(hello));
	is_int(loco_secure_seal(s, "", 0, in, &err), ==, 0);
	evbuffer_add(in, f3, f3len);
	evbuffer_add(want, p3, p3len);
	/* And the first 10 bytes of a fourth frame. */
	evbuffer_add(in, f3, 10);

	is_int(loco_secure_open(s, in, dec, &err), ==, 1);
	is_uint(evbuffer_get_length(dec), ==, p3len);
	is_int(loco_secure_open(s, in, dec, &err), ==, 1);
	is_int(loco_secure_open(s, in, dec, &err), ==, 1);
	is_uint(evbuffer_get_length(dec), ==, p3len + strlen(hello));
	is_int(loco_secure_open(s, in, dec, &err), ==, 1);
	is_int(loco_secure_open(s, in, dec, &err), ==, 0);
	is_uint(evbuffer_get_length(in), ==, 10);
	is_mem(buf_data(dec), evbuffer_get_length(dec), buf_data(want),
	    evbuffer_get_length(want));
	free(f3);
	free(p3);
	evbuffer_free(in);
	evbuffer_free(dec);
	evbuffer_free(want);
	loco_secure_free(s);
}

/* Any flipped tag, ciphertext or nonce bit fails and appends nothing. */
static void
test_tampering(void)
{
	struct loco_secure *s = session_hex(LOCO_CIPHER_GCM, GCM_K3);
	struct evbuffer *dec = evbuffer_new();
	struct loco_error err;
	uint8_t *f;
	size_t flen, bit, tag_at;
	int bad = 0, rc;
	static const size_t others[] = {4 * 8, 15 * 8 + 3, 16 * 8, 16 * 8 + 7,
	    40 * 8 + 1, 79 * 8 + 7};

	f = tap_hex(GCM_FRAME3, &flen);
	tag_at = flen - LOCO_GCM_TAG_LEN;
	evbuffer_add(dec, "kept", 4);
	for (bit = 0; bit < 128; bit++) {
		f[tag_at + bit / 8] ^= (uint8_t)(1u << (bit % 8));
		loco_error_clear(&err);
		rc = open_one(s, f, flen, dec, &err);
		if (rc != -1 || err.code != LOCO_ERR_CRYPTO ||
		    evbuffer_get_length(dec) != 4) {
			if (bad++ == 0)
				diag("tag bit %zu: rc %d code %s", bit, rc,
				    loco_error_code_name(err.code));
		}
		f[tag_at + bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	is_int(bad, ==, 0);

	/* Nonce bits (bytes 4..15) and ciphertext bits (16..79). */
	bad = 0;
	for (bit = 0; bit < sizeof others / sizeof others[0]; bit++) {
		f[others[bit] / 8] ^= (uint8_t)(1u << (others[bit] % 8));
		loco_error_clear(&err);
		rc = open_one(s, f, flen, dec, &err);
		if (rc != -1 || err.code != LOCO_ERR_CRYPTO ||
		    evbuffer_get_length(dec) != 4) {
			if (bad++ == 0)
				diag("frame bit %zu: rc %d", others[bit], rc);
		}
		f[others[bit] / 8] ^= (uint8_t)(1u << (others[bit] % 8));
	}
	is_int(bad, ==, 0);
	is_mem(buf_data(dec), evbuffer_get_length(dec), "kept", 4);
	diag("last error: %s", err.msg);

	/* The untouched frame still opens: the checks above were fair. */
	is_int(open_one(s, f, flen, dec, &err), ==, 1);
	is_uint(evbuffer_get_length(dec), ==, 4 + 64);

	/* A tampered empty frame (tag only) fails as well. */
	loco_secure_free(s);
	s = session_hex(LOCO_CIPHER_GCM, GCM_K0);
	free(f);
	f = tap_hex(GCM_FRAME1, &flen);
	f[flen - 1] ^= 0x80;
	loco_error_clear(&err);
	is_int(open_one(s, f, flen, dec, &err), ==, -1);
	is_int(err.code, ==, LOCO_ERR_CRYPTO);
	is_uint(evbuffer_get_length(dec), ==, 4 + 64);
	free(f);
	evbuffer_free(dec);
	loco_secure_free(s);
}

/* Length words over the limit or under the overhead fail at once. */
static void
test_limits(void)
{
	struct loco_secure *gcm = session_hex(LOCO_CIPHER_GCM, GCM_K0);
	struct loco_secure *cfb = session_hex(LOCO_CIPHER_CFB, CFB_K);
	struct evbuffer *in = evbuffer_new();
	struct evbuffer *dec = evbuffer_new();
	struct loco_error err;
	uint8_t word[4 + 16];

	memset(word, 0, sizeof word);
	/* The default cap, judged on the length word alone. */
	put32(word, 0xffffffffu);
	evbuffer_add(in, word, 4);
	loco_error_clear(&err);
	is_int(loco_secure_open(gcm, in, dec, &err), ==, -1);
	is_int(err.code, ==, LOCO_ERR_TOO_LARGE);
	evbuffer_drain(in, evbuffer_get_length(in));
	put32(word, LOCO_FRAME_MAX_DEFAULT + 1);
	evbuffer_add(in, word, 4);
	is_int(loco_secure_open(gcm, in, dec, &err), ==, -1);
	evbuffer_drain(in, evbuffer_get_length(in));
	put32(word, LOCO_FRAME_MAX_DEFAULT);
	evbuffer_add(in, word, 4);
	is_int(loco_secure_open(gcm, in, dec, &err), ==, 0);
	evbuffer_drain(in, evbuffer_get_length(in));

	/* A lowered cap. */
	loco_secure_set_max_frame(gcm, 100);
	put32(word, 101);
	evbuffer_add(in, word, 4);
	loco_error_clear(&err);
	is_int(loco_secure_open(gcm, in, dec, &err), ==, -1);
	is_int(err.code, ==, LOCO_ERR_TOO_LARGE);
	diag("%s", err.msg);
	evbuffer_drain(in, evbuffer_get_length(in));
	put32(word, 100);
	evbuffer_add(in, word, 4);
	is_int(loco_secure_open(gcm, in, dec, &err), ==, 0);
	evbuffer_drain(in, evbuffer_get_length(in));

	/* Too short for nonce and tag (28), or for the CFB IV (16). */
	put32(word, 27);
	evbuffer_add(in, word, 4);
	loco_error_clear(&err);
	is_int(loco_secure_open(gcm, in, dec, &err), ==, -1);
	is_int(err.code, ==, LOCO_ERR_MALFORMED);
	evbuffer_drain(in, evbuffer_get_length(in));
	put32(word, 0);
	evbuffer_add(in, word, 4);
	is_int(loco_secure_open(gcm, in, dec, &err), ==, -1);
	evbuffer_drain(in, evbuffer_get_length(in));
	put32(word, 15);
	evbuffer_add(in, word, 4);
	loco_error_clear(&err);
	is_int(loco_secure_open(cfb, in, dec, &err), ==, -1);
	is_int(err.code, ==, LOCO_ERR_MALFORMED);
	evbuffer_drain(in, evbuffer_get_length(in));

	/* An empty CFB frame (length 16: just the IV) is valid. */
	put32(word, 16);
	evbuffer_add(in, word, sizeof word);
	is_int(loco_secure_open(cfb, in, dec, &err), ==, 1);
	is_uint(evbuffer_get_length(in), ==, 0);
	is_uint(evbuffer_get_length(dec), ==, 0);
	/* Fewer than four bytes is simply not yet a frame. */
	evbuffer_add(in, word, 3);
	is_int(loco_secure_open(cfb, in, dec, &err), ==, 0);
	evbuffer_free(in);
	evbuffer_free(dec);
	loco_secure_free(gcm);
	loco_secure_free(cfb);
}

/* A frame missing its last byte stays 0 and drains nothing. */
static void
test_truncated(void)
{
	struct loco_secure *s = session_hex(LOCO_CIPHER_GCM, GCM_K3);
	struct evbuffer *in = evbuffer_new();
	struct evbuffer *dec = evbuffer_new();
	struct loco_error err = {0};
	uint8_t *f;
	size_t flen;

	f = tap_hex(GCM_FRAME3, &flen);
	evbuffer_add(in, f, flen - 1);
	is_int(loco_secure_open(s, in, dec, &err), ==, 0);
	is_int(loco_secure_open(s, in, dec, &err), ==, 0);
	is_uint(evbuffer_get_length(in), ==, flen - 1);
	is_uint(evbuffer_get_length(dec), ==, 0);
	evbuffer_add(in, f + flen - 1, 1);
	is_int(loco_secure_open(s, in, dec, &err), ==, 1);
	free(f);
	evbuffer_free(in);
	evbuffer_free(dec);
	loco_secure_free(s);
}

/* Random keys and payloads of 0..70000 bytes survive seal and open. */
static void
test_round_trips(enum loco_cipher cipher)
{
	struct loco_secure *tx = NULL, *rx = NULL;
	struct evbuffer *wire = evbuffer_new();
	struct evbuffer *dec = evbuffer_new();
	struct evbuffer *again = evbuffer_new();
	struct loco_error err = {0};
	size_t overhead = cipher == LOCO_CIPHER_GCM ? 28 : 16;
	uint8_t key[LOCO_AES_KEY_LEN], *payload;
	size_t sizes[200], nsizes = 0, i, n;
	const uint8_t *w;
	int bad = 0, rc;

	payload = malloc(70000);
	if (payload == NULL)
		abort();
	RAND_bytes(payload, 70000);
	for (n = 0; n <= 70; n++)
		sizes[nsizes++] = n;
	for (n = 127; n <= 70000; n = n * 2 + 1)
		sizes[nsizes++] = n;
	sizes[nsizes++] = 4096;
	sizes[nsizes++] = 65535;
	sizes[nsizes++] = 65536;
	sizes[nsizes++] = 65537;
	sizes[nsizes++] = 69999;
	sizes[nsizes++] = 70000;

	for (i = 0; i < nsizes; i++) {
		n = sizes[i];
		/* A new random key every few sizes. */
		if (i % 8 == 0) {
			loco_secure_free(tx);
			loco_secure_free(rx);
			RAND_bytes(key, sizeof key);
			tx = loco_secure_new_with_key(cipher, key);
			rx = loco_secure_new_with_key(cipher, key);
		}
		rc = loco_secure_seal(tx, payload, n, wire, &err);
		w = buf_data(wire);
		if (rc != 0 || evbuffer_get_length(wire) != 4 + overhead + n ||
		    (w[0] | (size_t)w[1] << 8 | (size_t)w[2] << 16) !=
		        overhead + n) {
			if (bad++ == 0)
				diag("seal of %zu bytes: rc %d", n, rc);
			evbuffer_drain(wire, evbuffer_get_length(wire));
			continue;
		}
		rc = loco_secure_open(rx, wire, dec, &err);
		if (rc != 1 || evbuffer_get_length(wire) != 0 ||
		    evbuffer_get_length(dec) != n ||
		    (n > 0 && memcmp(buf_data(dec), payload, n) != 0)) {
			if (bad++ == 0)
				diag("open of %zu bytes: rc %d (%s)", n, rc,
				    err.msg);
		}
		evbuffer_drain(dec, evbuffer_get_length(dec));
		evbuffer_drain(wire, evbuffer_get_length(wire));
	}
	diag("%s: %zu sizes", cipher == LOCO_CIPHER_GCM ? "gcm" : "cfb",
	    nsizes);
	is_int(bad, ==, 0);

	/* Fresh nonces: the same payload never seals to the same bytes. */
	is_int(loco_secure_seal(tx, payload, 32, wire, &err), ==, 0);
	is_int(loco_secure_seal(tx, payload, 32, again, &err), ==, 0);
	ok(memcmp(buf_data(wire), buf_data(again), 4 + overhead + 32) != 0,
	    "two seals of one payload differ");
	/* A session under another key cannot open GCM frames. */
	if (cipher == LOCO_CIPHER_GCM) {
		RAND_bytes(key, sizeof key);
		loco_secure_free(rx);
		rx = loco_secure_new_with_key(cipher, key);
		is_int(loco_secure_open(rx, wire, dec, &err), ==, -1);
		is_int(err.code, ==, LOCO_ERR_CRYPTO);
	}
	is_int(loco_secure_cipher(tx), ==, cipher);
	free(payload);
	evbuffer_free(wire);
	evbuffer_free(dec);
	evbuffer_free(again);
	loco_secure_free(tx);
	loco_secure_free(rx);
}

/* The server side unwraps keys wrapped by the openssl CLI. */
static void
test_handshake_server(EVP_PKEY *priv, const char *dir,
    const uint8_t known[LOCO_AES_KEY_LEN])
{
	static const uint8_t gcm_hdr[12] = {0x00, 0x01, 0x00, 0x00, 0x10, 0x00,
	    0x00, 0x00, 0x03, 0x00, 0x00, 0x00};
	struct loco_secure *srv = NULL, *ref = NULL;
	struct evbuffer *wire = evbuffer_new();
	struct evbuffer *dec = evbuffer_new();
	struct loco_error err;
	uint8_t hs[LOCO_HANDSHAKE_LEN], bad[LOCO_HANDSHAKE_LEN];
	uint8_t odd[17];
	char pub[4096], ct[4096];
	uint8_t *c = NULL;
	size_t clen = 0, i;
	const char *msg = "a frame only the right key opens";

	snprintf(pub, sizeof pub, "%s/pub.pem", dir);
	snprintf(ct, sizeof ct, "%s/ct.bin", dir);
	{
		const char *args[] = {"pkeyutl", "-encrypt", "-pubin", "-inkey",
		    pub, "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt",
		    "rsa_oaep_md:sha1", "-pkeyopt", "rsa_mgf1_md:sha1", "-out",
		    ct, NULL};

		if (!is_int(run_openssl(args, known, LOCO_AES_KEY_LEN), ==, 0))
			goto end;
	}
	c = read_file(ct, &clen);
	if (!is_uint(clen, ==, LOCO_RSA_CIPHERTEXT_LEN))
		goto end;
	memcpy(hs, gcm_hdr, sizeof gcm_hdr);
	memcpy(hs + 12, c, LOCO_RSA_CIPHERTEXT_LEN);

	loco_error_clear(&err);
	srv = loco_secure_server_new(priv, LOCO_CIPHER_GCM, hs, &err);
	if (!ok(srv != NULL, "server accepts a cli-wrapped key: %s", err.msg))
		goto end;
	/* Proof of the key: a frame sealed under the known key opens. */
	ref = loco_secure_new_with_key(LOCO_CIPHER_GCM, known);
	is_int(loco_secure_seal(ref, msg, strlen(msg), wire, &err), ==, 0);
	is_int(loco_secure_open(srv, wire, dec, &err), ==, 1);
	is_mem(buf_data(dec), evbuffer_get_length(dec), msg, strlen(msg));
	evbuffer_drain(dec, evbuffer_get_length(dec));
	/* And the other way round: one key for both directions. */
	is_int(loco_secure_seal(srv, msg, strlen(msg), wire, &err), ==, 0);
	is_int(loco_secure_open(ref, wire, dec, &err), ==, 1);
	is_mem(buf_data(dec), evbuffer_get_length(dec), msg, strlen(msg));
	loco_secure_free(srv);
	loco_secure_free(ref);
	srv = ref = NULL;

	/* The CFB profile takes key types 12 and 15 with cipher 2. */
	memcpy(bad, hs, sizeof hs);
	put32(bad + 4, 12);
	put32(bad + 8, 2);
	srv = loco_secure_server_new(priv, LOCO_CIPHER_CFB, bad, &err);
	ok(srv != NULL, "cfb profile 12/2 accepted");
	if (srv != NULL) {
		ref = loco_secure_new_with_key(LOCO_CIPHER_CFB, known);
		evbuffer_drain(dec, evbuffer_get_length(dec));
		loco_secure_seal(ref, msg, strlen(msg), wire, &err);
		is_int(loco_secure_open(srv, wire, dec, &err), ==, 1);
		is_mem(buf_data(dec), evbuffer_get_length(dec), msg,
		    strlen(msg));
		is_int(loco_secure_cipher(srv), ==, LOCO_CIPHER_CFB);
	}
	loco_secure_free(srv);
	srv = NULL;
	put32(bad + 4, 15);
	srv = loco_secure_server_new(priv, LOCO_CIPHER_CFB, bad, &err);
	ok(srv != NULL, "cfb profile 15/2 accepted");
	loco_secure_free(srv);
	srv = NULL;

	/* Refusals, each LOCO_ERR_HANDSHAKE. */
	{
		static const struct {
			uint32_t len, key_type, enc_type;
			enum loco_cipher cipher;
			const char *what;
		} cases[] = {
		    {255, 16, 3, LOCO_CIPHER_GCM, "length word 255"},
		    {257, 16, 3, LOCO_CIPHER_GCM, "length word 257"},
		    {0, 16, 3, LOCO_CIPHER_GCM, "length word 0"},
		    {256, 12, 2, LOCO_CIPHER_GCM, "gcm expected, got 12/2"},
		    {256, 16, 2, LOCO_CIPHER_GCM, "gcm expected, got 16/2"},
		    {256, 12, 3, LOCO_CIPHER_GCM, "gcm expected, got 12/3"},
		    {256, 16, 3, LOCO_CIPHER_CFB, "cfb expected, got 16/3"},
		    {256, 16, 2, LOCO_CIPHER_CFB, "cfb expected, got 16/2"},
		    {256, 12, 3, LOCO_CIPHER_CFB, "cfb expected, got 12/3"},
		};

		for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
			memcpy(bad, hs, sizeof hs);
			put32(bad, cases[i].len);
			put32(bad + 4, cases[i].key_type);
			put32(bad + 8, cases[i].enc_type);
			loco_error_clear(&err);
			srv = loco_secure_server_new(priv, cases[i].cipher, bad,
			    &err);
			ok(srv == NULL && err.code == LOCO_ERR_HANDSHAKE,
			    "refused: %s (%s)", cases[i].what, err.msg);
			loco_secure_free(srv);
			srv = NULL;
		}
	}
	/* A corrupted ciphertext, at its first, middle and last byte. */
	for (i = 12; i < LOCO_HANDSHAKE_LEN; i += 127) {
		memcpy(bad, hs, sizeof hs);
		bad[i] ^= 0x01;
		loco_error_clear(&err);
		srv = loco_secure_server_new(priv, LOCO_CIPHER_GCM, bad, &err);
		ok(srv == NULL && err.code == LOCO_ERR_HANDSHAKE,
		    "refused: ciphertext byte %zu flipped (%s)", i, err.msg);
		loco_secure_free(srv);
		srv = NULL;
	}
	/* Keys of 15 and 17 bytes, wrapped correctly by the CLI. */
	memcpy(odd, known, LOCO_AES_KEY_LEN);
	odd[16] = 0x42;
	for (i = 15; i <= 17; i += 2) {
		const char *args[] = {"pkeyutl", "-encrypt", "-pubin", "-inkey",
		    pub, "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt",
		    "rsa_oaep_md:sha1", "-pkeyopt", "rsa_mgf1_md:sha1", "-out",
		    ct, NULL};

		free(c);
		c = NULL;
		if (!is_int(run_openssl(args, odd, i), ==, 0))
			continue;
		c = read_file(ct, &clen);
		if (!is_uint(clen, ==, LOCO_RSA_CIPHERTEXT_LEN))
			continue;
		memcpy(bad, gcm_hdr, sizeof gcm_hdr);
		memcpy(bad + 12, c, LOCO_RSA_CIPHERTEXT_LEN);
		loco_error_clear(&err);
		srv = loco_secure_server_new(priv, LOCO_CIPHER_GCM, bad, &err);
		ok(srv == NULL && err.code == LOCO_ERR_HANDSHAKE,
		    "refused: a %zu-byte key (%s)", i, err.msg);
		loco_secure_free(srv);
		srv = NULL;
	}

end:
	free(c);
	evbuffer_free(wire);
	evbuffer_free(dec);
	loco_secure_free(srv);
	loco_secure_free(ref);
}

/* The client side wraps a key the openssl CLI can unwrap. */
static void
test_handshake_client(EVP_PKEY *pub, const char *dir, const char *priv_path,
    enum loco_cipher cipher, uint32_t key_type)
{
	struct loco_secure *cli = NULL, *ref = NULL;
	struct evbuffer *wire = evbuffer_new();
	struct evbuffer *dec = evbuffer_new();
	struct loco_error err = {0};
	uint8_t hs[LOCO_HANDSHAKE_LEN], hdr[12];
	char ct[4096], keyfile[4096];
	uint8_t *key = NULL;
	size_t keylen = 0;
	const char *msg = "sealed by the client session";

	snprintf(ct, sizeof ct, "%s/client-ct.bin", dir);
	snprintf(keyfile, sizeof keyfile, "%s/client-key.bin", dir);
	cli = loco_secure_client_new(pub, key_type, cipher, hs, &err);
	if (!ok(cli != NULL, "client handshake made: %s", err.msg))
		goto end;
	memset(hdr, 0, sizeof hdr);
	hdr[1] = 0x01;
	hdr[4] = (uint8_t)key_type;
	hdr[8] = (uint8_t)cipher;
	diag("expect header 00 01 00 00 %02x 00 00 00 %02x 00 00 00", hdr[4],
	    hdr[8]);
	is_mem(hs, 12, hdr, 12);
	if (write_file(ct, hs + 12, LOCO_RSA_CIPHERTEXT_LEN) != 0)
		goto end;
	{
		const char *args[] = {"pkeyutl", "-decrypt", "-inkey",
		    priv_path, "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt",
		    "rsa_oaep_md:sha1", "-pkeyopt", "rsa_mgf1_md:sha1", "-in",
		    ct, "-out", keyfile, NULL};

		if (!is_int(run_openssl(args, NULL, 0), ==, 0))
			goto end;
	}
	key = read_file(keyfile, &keylen);
	if (!is_uint(keylen, ==, LOCO_AES_KEY_LEN))
		goto end;
	ref = loco_secure_new_with_key(cipher, key);
	is_int(loco_secure_seal(cli, msg, strlen(msg), wire, &err), ==, 0);
	is_int(loco_secure_open(ref, wire, dec, &err), ==, 1);
	is_mem(buf_data(dec), evbuffer_get_length(dec), msg, strlen(msg));

end:
	free(key);
	evbuffer_free(wire);
	evbuffer_free(dec);
	loco_secure_free(cli);
	loco_secure_free(ref);
}

/* Handshakes against an RSA-2048 e=3 key pair made by the openssl CLI. */
static void
test_handshake(void)
{
	static const uint8_t known[LOCO_AES_KEY_LEN] = {0x10, 0x11, 0x12, 0x13,
	    0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e,
	    0x1f};
	const char *dir = tap_tmpdir();
	char priv_path[4096], pub_path[4096];
	EVP_PKEY *priv = NULL, *pub = NULL, *small = NULL;
	struct loco_secure *s;
	struct loco_error err = {0};
	uint8_t hs[LOCO_HANDSHAKE_LEN];

	snprintf(priv_path, sizeof priv_path, "%s/priv.pem", dir);
	snprintf(pub_path, sizeof pub_path, "%s/pub.pem", dir);
	{
		const char *gen[] = {"genpkey", "-quiet", "-algorithm", "RSA",
		    "-pkeyopt", "rsa_keygen_bits:2048", "-pkeyopt",
		    "rsa_keygen_pubexp:3", "-out", priv_path, NULL};
		const char *pubout[] = {"pkey", "-in", priv_path, "-pubout",
		    "-out", pub_path, NULL};

		if (run_openssl(gen, NULL, 0) != 0 ||
		    run_openssl(pubout, NULL, 0) != 0) {
			skip("the openssl CLI cannot make an RSA key");
			return;
		}
	}
	priv = loco_key_load_private(priv_path, &err);
	pub = loco_key_load_public(pub_path, &err);
	if (!ok(priv != NULL && pub != NULL, "cli keys load: %s", err.msg))
		goto end;

	test_handshake_server(priv, dir, known);
	test_handshake_client(pub, dir, priv_path, LOCO_CIPHER_GCM, 16);
	test_handshake_client(pub, dir, priv_path, LOCO_CIPHER_CFB, 12);

	/* Our own client and server agree too. */
	s = loco_secure_client_new(pub, 16, LOCO_CIPHER_GCM, hs, &err);
	if (ok(s != NULL, "client_new")) {
		struct loco_secure *srv;
		struct evbuffer *wire = evbuffer_new();
		struct evbuffer *dec = evbuffer_new();

		srv = loco_secure_server_new(priv, LOCO_CIPHER_GCM, hs, &err);
		ok(srv != NULL, "server_new on our own handshake");
		if (srv != NULL) {
			loco_secure_seal(srv, "pong", 4, wire, &err);
			is_int(loco_secure_open(s, wire, dec, &err), ==, 1);
			is_mem(buf_data(dec), evbuffer_get_length(dec), "pong",
			    4);
		}
		loco_secure_free(srv);
		evbuffer_free(wire);
		evbuffer_free(dec);
	}
	loco_secure_free(s);

	/* The client refuses unusable keys and unknown ciphers. */
	small = loco_key_generate(1024, 3, &err);
	loco_error_clear(&err);
	s = loco_secure_client_new(small, 16, LOCO_CIPHER_GCM, hs, &err);
	ok(s == NULL && err.code == LOCO_ERR_CONFIG,
	    "client refuses a 1024-bit key (%s)", err.msg);
	loco_secure_free(s);
	loco_error_clear(&err);
	s = loco_secure_client_new(pub, 16, (enum loco_cipher)7, hs, &err);
	ok(s == NULL && err.code == LOCO_ERR_CONFIG,
	    "client refuses cipher 7 (%s)", err.msg);
	loco_secure_free(s);
	ok(loco_secure_new_with_key((enum loco_cipher)0, known) == NULL,
	    "new_with_key refuses cipher 0");

end:
	EVP_PKEY_free(priv);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(small);
}

int
main(void)
{
	tap_init(0);
	test_gcm_known_answers();
	test_cfb_known_answer();
	test_cfb_openssl_cli();
	test_split_everywhere(LOCO_CIPHER_GCM, GCM_K3, GCM_FRAME3, GCM_P3);
	test_split_everywhere(LOCO_CIPHER_GCM, GCM_K0, GCM_FRAME1, "");
	test_split_everywhere(LOCO_CIPHER_CFB, CFB_K, CFB_FRAME, CFB_P);
	test_several_frames();
	test_tampering();
	test_limits();
	test_truncated();
	test_round_trips(LOCO_CIPHER_GCM);
	test_round_trips(LOCO_CIPHER_CFB);
	test_handshake();
	loco_secure_free(NULL);
	return done_testing();
}
