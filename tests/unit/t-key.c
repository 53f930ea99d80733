/* locoirc: see LICENSE.
 *
 * Tests for RSA key handling: the built-in Kakao key against its published
 * PEM and modulus prefix, keys in every PEM form the openssl CLI writes,
 * generation with e = 3, saving with mode 0600, and clear failures that
 * name the file.
 */
#include "config.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "loco-error.h"
#include "loco-key.h"
#include "tap.h"

static const char *openssl_bin(void);
static int run_openssl(const char *const *args);
static int write_file(const char *path, const char *text);
static char *read_text(const char *path);
static int starts_with_file(const char *path, const char *prefix);
static unsigned long key_e(EVP_PKEY *key);
static int key_n_prefix(EVP_PKEY *key, uint8_t *out, size_t n);
static void test_builtin(void);
static void test_cli_forms(const char *dir);
static void test_generate(const char *dir);
static void test_failures(const char *dir);

/* The openssl program the tests use as an independent implementation. */
static const char *
openssl_bin(void)
{
	const char *bin = getenv("LOCOIRC_OPENSSL");

	return bin != NULL && *bin != '\0' ? bin : "openssl";
}

/* Run the openssl CLI with args after the program name; its exit status. */
static int
run_openssl(const char *const *args)
{
	char *argv[32];
	size_t i;

	argv[0] = (char *)openssl_bin();
	for (i = 0; args[i] != NULL && i < 30; i++)
		argv[i + 1] = (char *)args[i];
	argv[i + 1] = NULL;
	return tap_run(argv, NULL, 0);
}

/* Write text to path; 0 or -1. */
static int
write_file(const char *path, const char *text)
{
	FILE *f;
	int rc = 0;

	if ((f = fopen(path, "w")) == NULL)
		return -1;
	if (fputs(text, f) == EOF)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

/* A whole small text file, malloc'd and NUL-terminated, or NULL. */
static char *
read_text(const char *path)
{
	FILE *f;
	char *buf;
	size_t n;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	if ((buf = malloc(65536)) == NULL)
		abort();
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* True if the file at path begins with prefix. */
static int
starts_with_file(const char *path, const char *prefix)
{
	char *text = read_text(path);
	int rc = text != NULL && strncmp(text, prefix, strlen(prefix)) == 0;

	free(text);
	return rc;
}

/* The public exponent of an RSA key, or 0. */
static unsigned long
key_e(EVP_PKEY *key)
{
	BIGNUM *e = NULL;
	unsigned long v = 0;

	if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) == 1)
		v = BN_get_word(e);
	BN_free(e);
	return v;
}

/* The first n bytes of the big-endian 256-byte modulus; 0 or -1. */
static int
key_n_prefix(EVP_PKEY *key, uint8_t *out, size_t n)
{
	BIGNUM *bn = NULL;
	uint8_t full[256];
	int rc = -1;

	if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &bn) == 1 &&
	    BN_bn2binpad(bn, full, sizeof full) == (int)sizeof full) {
		memcpy(out, full, n);
		rc = 0;
	}
	BN_free(bn);
	return rc;
}

/* The built-in key is Kakao's: 2048 bits, e = 3, modulus a3 b0 76 e8... */
static void
test_builtin(void)
{
	static const uint8_t prefix[8] = {0xa3, 0xb0, 0x76, 0xe8, 0xc4, 0x45,
	    0x85, 0x1f};
	struct loco_error err = {0};
	EVP_PKEY *k = NULL, *k2 = NULL, *file = NULL, *mem = NULL;
	uint8_t got[8];
	char *text = NULL;

	k = loco_key_kakao_default(&err);
	if (!ok(k != NULL, "built-in key loads: %s", err.msg))
		return;
	is_int(EVP_PKEY_get_bits(k), ==, 2048);
	is_uint(key_e(k), ==, 3);
	is_int(key_n_prefix(k, got, sizeof got), ==, 0);
	is_mem(got, sizeof got, prefix, sizeof prefix);
	ok(loco_key_is_usable(k), "built-in key is usable");

	/* A new key each call. */
	k2 = loco_key_kakao_default(&err);
	ok(k2 != NULL && k2 != k, "a new key each call");
	is_int(EVP_PKEY_eq(k, k2), ==, 1);

	/* The published PEM, from a file and from memory. */
	file = loco_key_load_public(tap_data_path(
	                                "secure/kakao-loco-public-2025.pem"),
	    &err);
	if (ok(file != NULL, "published pem loads: %s", err.msg))
		is_int(EVP_PKEY_eq(k, file), ==, 1);
	text = read_text(tap_data_path("secure/kakao-loco-public-2025.pem"));
	if (text != NULL) {
		mem = loco_key_load_public_mem(text, strlen(text), &err);
		ok(mem != NULL && EVP_PKEY_eq(k, mem) == 1,
		    "published pem loads from memory");
	} else
		ok(0, "cannot read the published pem");
	free(text);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(file);
	EVP_PKEY_free(mem);
}

/* Every PEM form the openssl CLI writes for an RSA key loads. */
static void
test_cli_forms(const char *dir)
{
	struct loco_error err = {0};
	char priv[4096], spki[4096], pkcs1[4096], trad[4096], enc[4096];
	char ec[4096];
	EVP_PKEY *kp = NULL, *k = NULL;

	snprintf(priv, sizeof priv, "%s/cli-priv.pem", dir);
	snprintf(spki, sizeof spki, "%s/cli-spki.pem", dir);
	snprintf(pkcs1, sizeof pkcs1, "%s/cli-pkcs1.pem", dir);
	snprintf(trad, sizeof trad, "%s/cli-trad.pem", dir);
	snprintf(enc, sizeof enc, "%s/cli-enc.pem", dir);
	snprintf(ec, sizeof ec, "%s/cli-ec.pem", dir);
	{
		const char *gen[] = {"genpkey", "-quiet", "-algorithm", "RSA",
		    "-pkeyopt", "rsa_keygen_bits:2048", "-pkeyopt",
		    "rsa_keygen_pubexp:3", "-out", priv, NULL};
		const char *a_spki[] = {"pkey", "-in", priv, "-pubout", "-out",
		    spki, NULL};
		const char *a_pkcs1[] = {"rsa", "-in", priv,
		    "-RSAPublicKey_out", "-out", pkcs1, NULL};
		const char *a_trad[] = {"rsa", "-in", priv, "-traditional",
		    "-out", trad, NULL};
		const char *a_enc[] = {"pkey", "-in", priv, "-aes128",
		    "-passout", "pass:secret", "-out", enc, NULL};
		const char *a_ec[] = {"genpkey", "-algorithm", "EC", "-pkeyopt",
		    "ec_paramgen_curve:P-256", "-out", ec, NULL};

		if (run_openssl(gen) != 0 || run_openssl(a_spki) != 0 ||
		    run_openssl(a_pkcs1) != 0 || run_openssl(a_trad) != 0 ||
		    run_openssl(a_enc) != 0 || run_openssl(a_ec) != 0) {
			skip("the openssl CLI cannot make keys");
			return;
		}
	}

	/* PKCS#8 private key, as genpkey writes it. */
	ok(starts_with_file(priv, "-----BEGIN PRIVATE KEY-----"),
	    "cli private key is pkcs#8");
	kp = loco_key_load_private(priv, &err);
	if (!ok(kp != NULL, "pkcs#8 private key loads: %s", err.msg))
		return;
	is_uint(key_e(kp), ==, 3);
	ok(loco_key_is_usable(kp), "cli key is usable");

	/* SubjectPublicKeyInfo. */
	k = loco_key_load_public(spki, &err);
	ok(k != NULL && EVP_PKEY_eq(k, kp) == 1, "spki public key loads: %s",
	    err.msg);
	EVP_PKEY_free(k);

	/* PKCS#1 "RSA PUBLIC KEY". */
	ok(starts_with_file(pkcs1, "-----BEGIN RSA PUBLIC KEY-----"),
	    "cli wrote a pkcs#1 public key");
	k = loco_key_load_public(pkcs1, &err);
	ok(k != NULL && EVP_PKEY_eq(k, kp) == 1, "pkcs#1 public key loads: %s",
	    err.msg);
	if (k != NULL)
		is_int(EVP_PKEY_get_bits(k), ==, 2048);
	EVP_PKEY_free(k);

	/* PKCS#1 "RSA PRIVATE KEY". */
	ok(starts_with_file(trad, "-----BEGIN RSA PRIVATE KEY-----"),
	    "cli wrote a pkcs#1 private key");
	k = loco_key_load_private(trad, &err);
	ok(k != NULL && EVP_PKEY_eq(k, kp) == 1, "pkcs#1 private key loads: %s",
	    err.msg);
	EVP_PKEY_free(k);

	/* Encrypted PEM fails (no prompt), and so does a non-RSA key. */
	loco_error_clear(&err);
	k = loco_key_load_private(enc, &err);
	ok(k == NULL && strstr(err.msg, enc) != NULL,
	    "encrypted private key refused: %s", err.msg);
	EVP_PKEY_free(k);
	loco_error_clear(&err);
	k = loco_key_load_private(ec, &err);
	ok(k == NULL && strstr(err.msg, ec) != NULL,
	    "ec private key refused: %s", err.msg);
	EVP_PKEY_free(k);
	/* A public PEM is not a private key. */
	loco_error_clear(&err);
	k = loco_key_load_private(spki, &err);
	ok(k == NULL, "public pem is no private key: %s", err.msg);
	EVP_PKEY_free(k);
	EVP_PKEY_free(kp);
}

/* Generated keys have e = 3, save with mode 0600 and load back. */
static void
test_generate(const char *dir)
{
	struct loco_error err = {0};
	char priv[4096], pub[4096], link_path[4096], old[4096];
	EVP_PKEY *k = NULL, *back = NULL, *small = NULL;
	struct stat st;
	char *text;

	snprintf(priv, sizeof priv, "%s/gen-priv.pem", dir);
	snprintf(pub, sizeof pub, "%s/gen-pub.pem", dir);
	snprintf(link_path, sizeof link_path, "%s/gen-link.pem", dir);
	snprintf(old, sizeof old, "%s/gen-old.pem", dir);

	k = loco_key_generate(2048, 3, &err);
	if (!ok(k != NULL, "generate 2048 bits, e = 3: %s", err.msg))
		return;
	is_int(EVP_PKEY_get_bits(k), ==, 2048);
	is_uint(key_e(k), ==, 3);
	ok(loco_key_is_usable(k), "generated key is usable");

	is_int(loco_key_save_private(k, priv, &err), ==, 0);
	if (is_int(stat(priv, &st), ==, 0))
		is_int(st.st_mode & 07777, ==, 0600);
	ok(starts_with_file(priv, "-----BEGIN PRIVATE KEY-----"),
	    "saved as pkcs#8");
	back = loco_key_load_private(priv, &err);
	ok(back != NULL && EVP_PKEY_eq(back, k) == 1, "private round trip");
	EVP_PKEY_free(back);
	{
		const char *check[] = {"pkey", "-in", priv, "-check", "-noout",
		    NULL};

		is_int(run_openssl(check), ==, 0);
	}

	is_int(loco_key_save_public(k, pub, &err), ==, 0);
	ok(starts_with_file(pub, "-----BEGIN PUBLIC KEY-----"),
	    "public saved as spki");
	back = loco_key_load_public(pub, &err);
	ok(back != NULL && EVP_PKEY_eq(back, k) == 1, "public round trip");
	EVP_PKEY_free(back);
	{
		const char *check[] = {"pkey", "-pubin", "-in", pub, "-noout",
		    NULL};

		is_int(run_openssl(check), ==, 0);
	}

	/* Saving over a world-readable file leaves it 0600. */
	write_file(old, "old contents, much longer than nothing at all\n");
	chmod(old, 0644);
	is_int(loco_key_save_private(k, old, &err), ==, 0);
	if (is_int(stat(old, &st), ==, 0))
		is_int(st.st_mode & 07777, ==, 0600);
	back = loco_key_load_private(old, &err);
	ok(back != NULL && EVP_PKEY_eq(back, k) == 1, "overwritten file loads");
	EVP_PKEY_free(back);

	/* A symlink at the path is refused and its target untouched. */
	write_file(old, "target\n");
	if (symlink(old, link_path) == 0) {
		loco_error_clear(&err);
		is_int(loco_key_save_private(k, link_path, &err), ==, -1);
		ok(strstr(err.msg, link_path) != NULL, "message names '%s': %s",
		    link_path, err.msg);
		text = read_text(old);
		is_str(text, "target\n");
		free(text);
	} else
		skip("cannot make a symlink");

	/* Other exponents and sizes. */
	small = loco_key_generate(1024, 65537, &err);
	if (ok(small != NULL, "generate 1024 bits, e = 65537")) {
		is_uint(key_e(small), ==, 65537);
		ok(!loco_key_is_usable(small), "a 1024-bit key is not usable");
	}
	loco_error_clear(&err);
	ok(loco_key_generate(1024, 2, &err) == NULL &&
	        err.code == LOCO_ERR_CONFIG,
	    "e = 2 refused: %s", err.msg);
	ok(!loco_key_is_usable(NULL), "NULL is not usable");
	EVP_PKEY_free(small);
	EVP_PKEY_free(k);
}

/* Missing and garbage files fail with a message naming the path. */
static void
test_failures(const char *dir)
{
	static const char garbage_pem[] =
	    "-----BEGIN PUBLIC KEY-----\nnot base64 at all!\n"
	    "-----END PUBLIC KEY-----\n";
	struct loco_error err;
	char missing[4096], garbage[4096], empty[4096], notpem[4096];
	EVP_PKEY *k;

	snprintf(missing, sizeof missing, "%s/missing.pem", dir);
	snprintf(garbage, sizeof garbage, "%s/garbage.pem", dir);
	snprintf(empty, sizeof empty, "%s/empty.pem", dir);
	snprintf(notpem, sizeof notpem, "%s/notpem.txt", dir);
	write_file(garbage, garbage_pem);
	write_file(empty, "");
	write_file(notpem, "just some text\n");

	loco_error_clear(&err);
	k = loco_key_load_public(missing, &err);
	ok(k == NULL && strstr(err.msg, missing) != NULL,
	    "missing public key: %s", err.msg);
	EVP_PKEY_free(k);
	loco_error_clear(&err);
	k = loco_key_load_private(missing, &err);
	ok(k == NULL && strstr(err.msg, missing) != NULL,
	    "missing private key: %s", err.msg);
	EVP_PKEY_free(k);
	loco_error_clear(&err);
	k = loco_key_load_public(garbage, &err);
	ok(k == NULL && strstr(err.msg, garbage) != NULL,
	    "garbage public key: %s", err.msg);
	EVP_PKEY_free(k);
	loco_error_clear(&err);
	k = loco_key_load_private(garbage, &err);
	ok(k == NULL && strstr(err.msg, garbage) != NULL,
	    "garbage private key: %s", err.msg);
	EVP_PKEY_free(k);
	loco_error_clear(&err);
	k = loco_key_load_public(empty, &err);
	ok(k == NULL && strstr(err.msg, empty) != NULL, "empty file: %s",
	    err.msg);
	EVP_PKEY_free(k);
	loco_error_clear(&err);
	k = loco_key_load_public(notpem, &err);
	ok(k == NULL && strstr(err.msg, notpem) != NULL, "not pem: %s",
	    err.msg);
	EVP_PKEY_free(k);
	loco_error_clear(&err);
	k = loco_key_load_public(dir, &err);
	ok(k == NULL && strstr(err.msg, dir) != NULL, "a directory: %s",
	    err.msg);
	EVP_PKEY_free(k);
	loco_error_clear(&err);
	k = loco_key_load_public_mem(garbage_pem, sizeof garbage_pem - 1, &err);
	ok(k == NULL && err.code != LOCO_ERR_NONE, "garbage in memory: %s",
	    err.msg);
	EVP_PKEY_free(k);
	k = loco_key_load_public_mem("", 0, NULL);
	ok(k == NULL, "empty memory, no error struct");
	EVP_PKEY_free(k);
}

int
main(void)
{
	const char *dir;

	tap_init(0);
	dir = tap_tmpdir();
	test_builtin();
	test_cli_forms(dir);
	test_generate(dir);
	test_failures(dir);
	return done_testing();
}
