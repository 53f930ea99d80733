/* locoirc: see LICENSE.
 *
 * Password hashing for the IRC listener's PASS: PBKDF2-HMAC-SHA256 with a
 * random salt, kept as one self-describing line that the configuration
 * stores instead of the password ("pbkdf2-sha256$ITER$SALT$HASH", salt and
 * hash in standard base64).
 */
#ifndef LOCOIRC_SRC_PASSWD_H
#define LOCOIRC_SRC_PASSWD_H

#include <stdbool.h>

/* The scheme tag that starts every hash line. */
#define PASSWD_SCHEME "pbkdf2-sha256"
/* Iterations of new hashes (OWASP's 2023 figure for PBKDF2-SHA256). */
#define PASSWD_ITERATIONS 210000
/* Iterations a stored hash may ask for; outside, it does not verify. */
#define PASSWD_ITERATIONS_MIN 1000
#define PASSWD_ITERATIONS_MAX 5000000
/* Bytes of new salts, and of salts a stored hash may hold. */
#define PASSWD_SALT_LEN 16
#define PASSWD_SALT_MIN 8
#define PASSWD_SALT_MAX 64
/* Bytes of the derived hash. */
#define PASSWD_HASH_LEN 32

/*
 * Hash password with a fresh random salt. Returns the hash line
 * (malloc'd; the caller frees it, with xfree_secret if it cares), or NULL
 * when the random generator or the KDF fails.
 */
char *passwd_hash(const char *password);

/*
 * Whether given is the password stored was made from. A stored line that
 * is malformed or asks for an unreasonable iteration count verifies false.
 * Takes time proportional to the stored iterations; never crashes.
 */
bool passwd_verify(const char *stored, const char *given);

/* Whether s has the shape of a line passwd_hash makes (not checked deeper). */
bool passwd_is_hash(const char *s);

#endif
