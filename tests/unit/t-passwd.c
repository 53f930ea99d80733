/* locoirc: see LICENSE.
 *
 * Password lines: round trips, salts that differ, malformed lines that
 * verify false without crashing, a hash checked against the openssl CLI's
 * PBKDF2, and locoircd --hash-password fed through a pipe.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "passwd.h"
#include "tap.h"

/* The vector's inputs, given to the openssl CLI. */
#define KAT_PASS "correct horse"
#define KAT_SALT_HEX "000102030405060708090a0b0c0d0e0f"

/* Read the first line of path into buf (newline cut); false on failure. */
static bool
read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (f == NULL)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\r\n")] = '\0';
	return ok;
}

/* Run a shell command line through tap_run; its exit status. */
static int
sh(const char *cmd, const char *input)
{
	static char shell[] = "sh", dash_c[] = "-c";
	char *argv[] = {shell, dash_c, (char *)(uintptr_t)cmd, NULL};

	return tap_run(argv, input, input != NULL ? strlen(input) : 0);
}

/* Hex text to bytes; the count, or -1. */
static int
unhex(const char *hex, unsigned char *out, size_t max)
{
	size_t i, n = strlen(hex);
	unsigned int b;

	if (n % 2 != 0 || n / 2 > max)
		return -1;
	for (i = 0; i < n / 2; i++) {
		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return -1;
		out[i] = (unsigned char)b;
	}
	return (int)(n / 2);
}

/* The openssl CLI's PBKDF2 output, checked through our line format. */
static void
test_known_vector(void)
{
	char cmd[1024], path[600], line[256], hex[256], stored[256];
	char salt64[64], hash64[64];
	unsigned char salt[16], hash[64];
	int n, rc;

	snprintf(path, sizeof path, "%s/kdf.out", tap_tmpdir());
	snprintf(cmd, sizeof cmd,
	    "openssl kdf -keylen 32 -kdfopt digest:SHA256 "
	    "-kdfopt 'pass:%s' -kdfopt hexsalt:%s -kdfopt iter:1000 "
	    "PBKDF2 > '%s'",
	    KAT_PASS, KAT_SALT_HEX, path);
	rc = sh(cmd, NULL);
	is_int(rc, ==, 0);
	ok(read_line(path, line, sizeof line), "openssl kdf wrote a line");
	/* "AB:CD:..." to "abcd...". */
	{
		size_t i, j = 0;

		for (i = 0; line[i] != '\0' && j < sizeof hex - 1; i++)
			if (line[i] != ':')
				hex[j++] = line[i];
		hex[j] = '\0';
	}
	n = unhex(hex, hash, sizeof hash);
	is_int(n, ==, 32);
	is_int(unhex(KAT_SALT_HEX, salt, sizeof salt), ==, 16);
	EVP_EncodeBlock((unsigned char *)salt64, salt, 16);
	EVP_EncodeBlock((unsigned char *)hash64, hash, 32);
	snprintf(stored, sizeof stored, "pbkdf2-sha256$1000$%s$%s", salt64,
	    hash64);
	diag("vector: %s", stored);
	ok(passwd_is_hash(stored), "the vector line is a hash");
	ok(passwd_verify(stored, KAT_PASS), "the CLI's PBKDF2 verifies");
	ok(!passwd_verify(stored, KAT_PASS "!"), "a longer password does not");
	/* Flip one hash bit: must fail. */
	hash[31] ^= 1;
	EVP_EncodeBlock((unsigned char *)hash64, hash, 32);
	snprintf(stored, sizeof stored, "pbkdf2-sha256$1000$%s$%s", salt64,
	    hash64);
	ok(!passwd_verify(stored, KAT_PASS), "one flipped bit does not");
}

/* Hash, verify, and the salt making two hashes differ. */
static void
test_round_trip(void)
{
	char *a = passwd_hash("hunter2"), *b = passwd_hash("hunter2");
	char prefix[64];

	ok(a != NULL && b != NULL, "passwd_hash works");
	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		return;
	}
	snprintf(prefix, sizeof prefix, "pbkdf2-sha256$%d$", PASSWD_ITERATIONS);
	ok(strncmp(a, prefix, strlen(prefix)) == 0, "the line starts %s",
	    prefix);
	is_uint(strlen(a), ==, strlen(prefix) + 24 + 1 + 44);
	ok(passwd_is_hash(a), "passwd_is_hash accepts it");
	ok(passwd_verify(a, "hunter2"), "the password verifies");
	ok(!passwd_verify(a, "hunter3"), "a wrong password does not");
	ok(!passwd_verify(a, ""), "an empty password does not");
	ok(!passwd_verify(a, "hunter2 "), "a trailing space does not");
	ok(strcmp(a, b) != 0, "two hashes of one password differ");
	ok(passwd_verify(b, "hunter2"), "the second verifies too");
	free(a);
	free(b);
}

/* Malformed stored lines: false, never a crash. */
static void
test_malformed(void)
{
	/* A good line to mutate: salt of 16 zero bytes. */
	static const char *const bad[] = {
	    "",
	    "hunter2",
	    "pbkdf2-sha256",
	    "pbkdf2-sha256$",
	    "pbkdf2-sha256$$$",
	    "pbkdf2-sha1$1000$AAAAAAAAAAAAAAAAAAAAAA==$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	    "PBKDF2-SHA256$1000$AAAAAAAAAAAAAAAAAAAAAA==$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	    "pbkdf2-sha256$0$AAAAAAAAAAAAAAAAAAAAAA==$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	    "pbkdf2-sha256$1000000000000$AAAAAAAAAAAAAAAAAAAAAA==$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	    "pbkdf2-sha256$-1000$AAAAAAAAAAAAAAAAAAAAAA==$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	    "pbkdf2-sha256$+1000$AAAAAAAAAAAAAAAAAAAAAA==$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	    "pbkdf2-sha256$1000x$AAAAAAAAAAAAAAAAAAAAAA==$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	    "pbkdf2-sha256$999$AAAAAAAAAAAAAAAAAAAAAA==$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	    /* bad base64 in the salt, then in the hash */
	    "pbkdf2-sha256$1000$AAAA!AAAAAAAAAAAAAAAAA==$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	    "pbkdf2-sha256$1000$AAAAAAAAAAAAAAAAAAAAAA==$"
	    "AAAAAAAAAAAAAAAAAAAA*AAAAAAAAAAAAAAAAAAAAAA=",
	    "pbkdf2-sha256$1000$AAAAAAAAAAAAAAAAAAAAAA=$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	    "pbkdf2-sha256$1000$AAAAAAAAAAAAAAAAAAAAAA==$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=A",
	    "pbkdf2-sha256$1000$AAAAAAAAAAAAAAAAAAAAAB==$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	    /* short hash (24 bytes), long hash (33), short salt (6) */
	    "pbkdf2-sha256$1000$AAAAAAAAAAAAAAAAAAAAAA==$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "pbkdf2-sha256$1000$AAAAAAAAAAAAAAAAAAAAAA==$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "pbkdf2-sha256$1000$AAAAAAAA$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	    "pbkdf2-sha256$1000$$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	    "pbkdf2-sha256$1000$AAAAAAAAAAAAAAAAAAAAAA==$",
	    "pbkdf2-sha256$1000$AAAAAAAAAAAAAAAAAAAAAA==$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=$",
	};
	const char *good = "pbkdf2-sha256$1000$AAAAAAAAAAAAAAAAAAAAAA==$"
	                   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	size_t i;

	ok(passwd_is_hash(good), "the well-formed template parses");
	ok(!passwd_verify(good, "x"), "and does not verify (zero hash)");
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ok(!passwd_is_hash(bad[i]), "malformed %zu: not a hash", i);
		ok(!passwd_verify(bad[i], "x"), "malformed %zu: false", i);
	}
	ok(!passwd_verify(NULL, "x"), "NULL stored: false");
	ok(!passwd_verify(good, NULL), "NULL given: false");
	ok(!passwd_is_hash(NULL), "NULL: not a hash");
}

/* locoircd --hash-password with the password piped in. */
static void
test_binary(void)
{
	const char *bin = getenv("LOCOIRC_BIN");
	char cmd[1400], path[600], line[256];
	int rc;

	if (bin == NULL)
		bin = "../../src/locoircd";
	snprintf(path, sizeof path, "%s/hash.out", tap_tmpdir());
	snprintf(cmd, sizeof cmd, "'%s' --hash-password > '%s'", bin, path);
	rc = sh(cmd, "open sesame\n");
	is_int(rc, ==, 0);
	line[0] = '\0';
	ok(read_line(path, line, sizeof line), "it printed a line");
	ok(passwd_is_hash(line), "the line is a hash");
	ok(passwd_verify(line, "open sesame"), "it verifies the password");
	ok(!passwd_verify(line, "open sesame\n"), "without the newline");

	rc = sh(cmd, "\n");
	ok(rc != 0, "an empty password is refused");
	rc = sh(cmd, "");
	ok(rc != 0, "no input at all is refused");
}

int
main(void)
{
	tap_init(0);
	test_round_trip();
	test_malformed();
	test_known_vector();
	test_binary();
	return done_testing();
}
