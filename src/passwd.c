/* locoirc: see LICENSE.
 *
 * PBKDF2-HMAC-SHA256 password lines: making them with OpenSSL's KDF and a
 * salt from RAND_bytes, and checking a password against one in constant
 * time. The parser is strict (canonical base64, bounded numbers) so a
 * hostile or damaged line is refused rather than trusted.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "passwd.h"
#include "xmalloc.h"

/* Base64 length of n bytes (with padding). */
#define PASSWD_B64_LEN(n) ((((n) + 2) / 3) * 4)

/* A parsed hash line; salt and hash point into their own arrays. */
struct passwd_parsed {
	unsigned long iterations;
	unsigned char salt[PASSWD_SALT_MAX];
	size_t salt_len;
	unsigned char hash[PASSWD_HASH_LEN];
};

/* Derive PASSWD_HASH_LEN bytes from password and salt; 0 or -1. */
static int
passwd_derive(const char *password, const unsigned char *salt, size_t salt_len,
    unsigned long iterations, unsigned char *out)
{
	if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt,
	        (int)salt_len, (int)iterations, EVP_sha256(), PASSWD_HASH_LEN,
	        out) != 1)
		return -1;
	return 0;
}

/*
 * Decode the canonical base64 text s[0..len) into out (room for max
 * bytes); the decoded length, or -1 when s is not exactly what encoding
 * the bytes would give back.
 */
static ssize_t
passwd_b64_decode(const char *s, size_t len, unsigned char *out, size_t max)
{
	unsigned char buf[PASSWD_B64_LEN(PASSWD_SALT_MAX) + 4];
	char check[PASSWD_B64_LEN(PASSWD_SALT_MAX) + 4];
	size_t n;
	int got;

	if (len == 0 || len % 4 != 0 || len > sizeof check - 1)
		return -1;
	if (strspn(s,
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	        "0123456789+/=") < len)
		return -1;
	if ((got = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)len)) <
	    0)
		return -1;
	/* EVP_DecodeBlock counts padding as zero bytes. */
	n = (size_t)got;
	if (s[len - 1] == '=')
		n--;
	if (s[len - 2] == '=')
		n--;
	if (n == 0 || n > max)
		goto fail;
	EVP_EncodeBlock((unsigned char *)check, buf, (int)n);
	if (strlen(check) != len || memcmp(check, s, len) != 0)
		goto fail;
	memcpy(out, buf, n);
	OPENSSL_cleanse(buf, sizeof buf);
	return (ssize_t)n;
fail:
	OPENSSL_cleanse(buf, sizeof buf);
	return -1;
}

/* Parse a hash line into *pp; 0, or -1 when it is malformed. */
static int
passwd_parse(const char *s, struct passwd_parsed *pp)
{
	const char *it, *salt, *hash, *end;
	char *num_end;
	ssize_t n;

	memset(pp, 0, sizeof *pp);
	if (s == NULL ||
	    strncmp(s, PASSWD_SCHEME "$", strlen(PASSWD_SCHEME) + 1) != 0)
		return -1;
	it = s + strlen(PASSWD_SCHEME) + 1;
	if (*it < '1' || *it > '9' || (salt = strchr(it, '$')) == NULL ||
	    salt - it > 9)
		return -1;
	errno = 0;
	pp->iterations = strtoul(it, &num_end, 10);
	if (num_end != salt || errno != 0 ||
	    pp->iterations < PASSWD_ITERATIONS_MIN ||
	    pp->iterations > PASSWD_ITERATIONS_MAX)
		return -1;
	salt++;
	if ((hash = strchr(salt, '$')) == NULL)
		return -1;
	if ((n = passwd_b64_decode(salt, (size_t)(hash - salt), pp->salt,
	         sizeof pp->salt)) < PASSWD_SALT_MIN)
		return -1;
	pp->salt_len = (size_t)n;
	hash++;
	end = hash + strlen(hash);
	if (strchr(hash, '$') != NULL ||
	    passwd_b64_decode(hash, (size_t)(end - hash), pp->hash,
	        sizeof pp->hash) != PASSWD_HASH_LEN)
		return -1;
	return 0;
}

/* Hash a password with a fresh salt. */
char *
passwd_hash(const char *password)
{
	unsigned char salt[PASSWD_SALT_LEN], hash[PASSWD_HASH_LEN];
	char salt64[PASSWD_B64_LEN(PASSWD_SALT_LEN) + 1];
	char hash64[PASSWD_B64_LEN(PASSWD_HASH_LEN) + 1];
	char *line = NULL;

	if (RAND_bytes(salt, sizeof salt) != 1 ||
	    passwd_derive(password, salt, sizeof salt, PASSWD_ITERATIONS,
	        hash) != 0)
		goto out;
	EVP_EncodeBlock((unsigned char *)salt64, salt, sizeof salt);
	EVP_EncodeBlock((unsigned char *)hash64, hash, sizeof hash);
	line = xasprintf("%s$%d$%s$%s", PASSWD_SCHEME, PASSWD_ITERATIONS,
	    salt64, hash64);
out:
	OPENSSL_cleanse(hash, sizeof hash);
	OPENSSL_cleanse(hash64, sizeof hash64);
	return line;
}

/* Check a password against a stored line, in constant time. */
bool
passwd_verify(const char *stored, const char *given)
{
	struct passwd_parsed pp;
	unsigned char got[PASSWD_HASH_LEN];
	bool ok = false;

	if (given == NULL || passwd_parse(stored, &pp) != 0)
		goto out;
	if (passwd_derive(given, pp.salt, pp.salt_len, pp.iterations, got) != 0)
		goto out;
	ok = CRYPTO_memcmp(got, pp.hash, sizeof got) == 0;
out:
	OPENSSL_cleanse(got, sizeof got);
	OPENSSL_cleanse(&pp, sizeof pp);
	return ok;
}

/* Whether s is a well-formed hash line. */
bool
passwd_is_hash(const char *s)
{
	struct passwd_parsed pp;
	int rc = passwd_parse(s, &pp);

	OPENSSL_cleanse(&pp, sizeof pp);
	return rc == 0;
}
