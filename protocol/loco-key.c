/* locoirc: see LICENSE.
 *
 * RSA keys for the secure-layer handshake: Kakao's built-in public key,
 * loading PEM keys through OpenSSL's decoders (SubjectPublicKeyInfo, PKCS#1,
 * PKCS#8), generating keys with e = 3, and saving them with safe modes.
 * Nothing here knows about frames or sessions.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "loco-key.h"
#include "xmalloc.h"

/* No key file we accept is anywhere near this large. */
#define LOCO_KEY_FILE_MAX (64 * 1024)

/*
 * Kakao's LOCO key of 2025-26 (data/kakao-loco-public-2025.pem in the shared
 * notes): public data, shipped in every desktop and Android client.
 */
static const char loco_key_kakao_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIDANBgkqhkiG9w0BAQEFAAOCAQ0AMIIBCAKCAQEAo7B26MRFhR8ZpnDCMarG\n"
    "20Lv0JcX0GBIpcxWkGzRqye53zf/1QF+fBOhQFtdHD5IeaakmdPGGKckcrC1DKXv\n"
    "HvbupwNp2UE/5mLY4rR5qfchQu5wzubCrRIEXVKyXEogSiiWjjfwumpJ7j7J8qx6\n"
    "ZRhBYPIvYsQ6QGfNjSpvE9m4KYqwAnY9I2ydGHnX/OW4+pEIgrIeFSR+DQokeRMI\n"
    "5RmDYUQC6foDBXxX6eF4scw5/mcojvxGGUXLyqEdH8wSPnULhh8NRH6+PBFfQRpC\n"
    "3JXdsh2kJ3SlvLHd9/pfEGKAEMdPNvMcQO/P4on9gbq6RKZVamwwEhBBS2Ajw/Rj\n"
    "cQIBAw==\n"
    "-----END PUBLIC KEY-----\n";

static int loco_key_no_password_cb(char *buf, int size, int rwflag, void *u);
static EVP_PKEY *loco_key_decode(const void *pem, size_t len, int selection,
    const char *what, struct loco_error *err);
static int loco_key_read_file(const char *path, uint8_t **data, size_t *len,
    struct loco_error *err);
static int loco_key_write_file(const char *path, mode_t mode, BIO *bio,
    struct loco_error *err);

/* Refuse encrypted PEM instead of prompting on a terminal. */
static int
loco_key_no_password_cb(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* Decode one RSA key of the given selection from PEM text. */
static EVP_PKEY *
loco_key_decode(const void *pem, size_t len, int selection, const char *what,
    struct loco_error *err)
{
	OSSL_DECODER_CTX *dctx = NULL;
	EVP_PKEY *key = NULL;
	const unsigned char *p = pem;
	size_t left = len;

	dctx = OSSL_DECODER_CTX_new_for_pkey(&key, "PEM", NULL, "RSA",
	    selection, NULL, NULL);
	if (dctx == NULL || OSSL_DECODER_CTX_get_num_decoders(dctx) == 0) {
		loco_error_set_openssl(err, LOCO_ERR_CRYPTO,
		    "cannot set up a pem decoder");
		goto out;
	}
	OSSL_DECODER_CTX_set_pem_password_cb(dctx, loco_key_no_password_cb,
	    NULL);
	if (!OSSL_DECODER_from_data(dctx, &p, &left) || key == NULL) {
		ERR_clear_error();
		EVP_PKEY_free(key);
		key = NULL;
		loco_error_set(err, LOCO_ERR_CRYPTO, "no rsa %s key in %s",
		    selection == EVP_PKEY_KEYPAIR ? "private" : "public", what);
		goto out;
	}
	if (!EVP_PKEY_is_a(key, "RSA")) {
		EVP_PKEY_free(key);
		key = NULL;
		loco_error_set(err, LOCO_ERR_CRYPTO, "key in %s is not rsa",
		    what);
	}

out:
	OSSL_DECODER_CTX_free(dctx);
	return key;
}

/* Read a whole (small) file into a new buffer the caller wipes and frees. */
static int
loco_key_read_file(const char *path, uint8_t **data, size_t *len,
    struct loco_error *err)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t have = 0;
	ssize_t n;
	int fd;

	*data = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		loco_error_set(err, LOCO_ERR_CONFIG, "cannot open '%s': %s",
		    path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		loco_error_set(err, LOCO_ERR_CONFIG,
		    "cannot read '%s': not a regular file", path);
		goto fail;
	}
	if (st.st_size > LOCO_KEY_FILE_MAX) {
		loco_error_set(err, LOCO_ERR_CONFIG,
		    "cannot read '%s': over %d bytes", path, LOCO_KEY_FILE_MAX);
		goto fail;
	}
	/* One spare byte tells a file that grew since fstat. */
	buf = xmalloc((size_t)st.st_size + 1);
	for (;;) {
		n = read(fd, buf + have, (size_t)st.st_size + 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			loco_error_set(err, LOCO_ERR_CONFIG,
			    "cannot read '%s': %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		if (have > (size_t)st.st_size) {
			loco_error_set(err, LOCO_ERR_CONFIG,
			    "cannot read '%s': file changed", path);
			goto fail;
		}
	}
	close(fd);
	*data = buf;
	*len = have;
	return 0;

fail:
	xfree_secret(buf, buf != NULL ? (size_t)st.st_size + 1 : 0);
	close(fd);
	return -1;
}

/* Write bio's contents to path with mode, never through a symlink. */
static int
loco_key_write_file(const char *path, mode_t mode, BIO *bio,
    struct loco_error *err)
{
	struct stat st;
	char *data;
	long len;
	size_t left;
	ssize_t n;
	int fd;

	len = BIO_get_mem_data(bio, &data);
	if (len <= 0) {
		loco_error_set_openssl(err, LOCO_ERR_CRYPTO,
		    "cannot encode the key");
		return -1;
	}
	/* O_NONBLOCK: a FIFO planted at path fails instead of hanging. */
	fd = open(path,
	    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK,
	    mode);
	if (fd < 0) {
		loco_error_set(err, LOCO_ERR_CONFIG, "cannot create '%s': %s",
		    path, strerror(errno));
		return -1;
	}
	/* An existing file keeps its old mode through O_TRUNC: reset it. */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		loco_error_set(err, LOCO_ERR_CONFIG,
		    "cannot write '%s': not a regular file", path);
		goto fail;
	}
	if (fchmod(fd, mode) != 0) {
		loco_error_set(err, LOCO_ERR_CONFIG, "cannot chmod '%s': %s",
		    path, strerror(errno));
		goto fail;
	}
	left = (size_t)len;
	while (left > 0) {
		n = write(fd, data, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			loco_error_set(err, LOCO_ERR_CONFIG,
			    "cannot write '%s': %s", path,
			    n < 0 ? strerror(errno) : "short write");
			goto fail;
		}
		data += n;
		left -= (size_t)n;
	}
	if (close(fd) != 0) {
		loco_error_set(err, LOCO_ERR_CONFIG, "cannot write '%s': %s",
		    path, strerror(errno));
		return -1;
	}
	return 0;

fail:
	close(fd);
	return -1;
}

/* Load a public key from the PEM file at path. */
EVP_PKEY *
loco_key_load_public(const char *path, struct loco_error *err)
{
	EVP_PKEY *key;
	uint8_t *data;
	size_t len;
	char what[256];

	if (loco_key_read_file(path, &data, &len, err) != 0)
		return NULL;
	snprintf(what, sizeof what, "'%s'", path);
	key = loco_key_decode(data, len, EVP_PKEY_PUBLIC_KEY, what, err);
	xfree_secret(data, len);
	return key;
}

/* Load a public key from PEM text in memory. */
EVP_PKEY *
loco_key_load_public_mem(const void *pem, size_t len, struct loco_error *err)
{
	return loco_key_decode(pem, len, EVP_PKEY_PUBLIC_KEY, "memory", err);
}

/* Decode the built-in Kakao key. */
EVP_PKEY *
loco_key_kakao_default(struct loco_error *err)
{
	return loco_key_decode(loco_key_kakao_pem,
	    sizeof loco_key_kakao_pem - 1, EVP_PKEY_PUBLIC_KEY,
	    "the built-in key", err);
}

/* Load a private key from the PEM file at path. */
EVP_PKEY *
loco_key_load_private(const char *path, struct loco_error *err)
{
	EVP_PKEY *key;
	uint8_t *data;
	size_t len;
	char what[256];

	if (loco_key_read_file(path, &data, &len, err) != 0)
		return NULL;
	snprintf(what, sizeof what, "'%s'", path);
	key = loco_key_decode(data, len, EVP_PKEY_KEYPAIR, what, err);
	xfree_secret(data, len);
	return key;
}

/* Generate an RSA key pair of bits with exponent e. */
EVP_PKEY *
loco_key_generate(unsigned bits, unsigned long e, struct loco_error *err)
{
	EVP_PKEY_CTX *pctx = NULL;
	EVP_PKEY *key = NULL;
	BIGNUM *bn = NULL;

	if (e < 3 || e % 2 == 0) {
		loco_error_set(err, LOCO_ERR_CONFIG,
		    "rsa public exponent %lu is not odd and > 1", e);
		return NULL;
	}
	if ((pctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_keygen_init(pctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_keygen_bits(pctx, (int)bits) <= 0 ||
	    (bn = BN_new()) == NULL || !BN_set_word(bn, e) ||
	    EVP_PKEY_CTX_set1_rsa_keygen_pubexp(pctx, bn) <= 0 ||
	    EVP_PKEY_generate(pctx, &key) <= 0) {
		loco_error_set_openssl(err, LOCO_ERR_CRYPTO,
		    "cannot generate an rsa key");
		EVP_PKEY_free(key);
		key = NULL;
	}
	BN_free(bn);
	EVP_PKEY_CTX_free(pctx);
	return key;
}

/* Save the private key as unencrypted PKCS#8 PEM, mode 0600. */
int
loco_key_save_private(EVP_PKEY *key, const char *path, struct loco_error *err)
{
	BIO *bio;
	int rc = -1;

	/* Secure memory: the PEM text is wiped when the BIO goes. */
	if ((bio = BIO_new(BIO_s_secmem())) == NULL) {
		loco_error_set_openssl(err, LOCO_ERR_CRYPTO,
		    "cannot allocate a buffer");
		return -1;
	}
	if (!PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL))
		loco_error_set_openssl(err, LOCO_ERR_CRYPTO,
		    "cannot encode the private key");
	else
		rc = loco_key_write_file(path, 0600, bio, err);
	BIO_free(bio);
	return rc;
}

/* Save the public key as SubjectPublicKeyInfo PEM, mode 0644. */
int
loco_key_save_public(EVP_PKEY *key, const char *path, struct loco_error *err)
{
	BIO *bio;
	int rc = -1;

	if ((bio = BIO_new(BIO_s_mem())) == NULL) {
		loco_error_set_openssl(err, LOCO_ERR_CRYPTO,
		    "cannot allocate a buffer");
		return -1;
	}
	if (!PEM_write_bio_PUBKEY(bio, key))
		loco_error_set_openssl(err, LOCO_ERR_CRYPTO,
		    "cannot encode the public key");
	else
		rc = loco_key_write_file(path, 0644, bio, err);
	BIO_free(bio);
	return rc;
}

/* True for a 2048-bit RSA key. */
int
loco_key_is_usable(EVP_PKEY *key)
{
	return key != NULL && EVP_PKEY_is_a(key, "RSA") &&
	    EVP_PKEY_get_bits(key) == 2048;
}
