/* locoirc: see LICENSE.
 *
 * A small TAP producer for the C tests, in the spirit of git's test-lib:
 * only this library prints "ok"/"not ok"; diagnostics start with "# ".
 * Every check returns whether it passed so a test can stop early with
 * `if (!is_int(...)) goto end;`.
 */
#ifndef LOCOIRC_TESTS_TAP_H
#define LOCOIRC_TESTS_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Start a test program: arms a watchdog (alarm) of `seconds`, 0 = 60. */
void tap_init(unsigned seconds);

/* Announce the number of tests up front (optional; done_testing suffices). */
void plan(int n);

/* Print the trailing plan and return the exit status for main(). */
int done_testing(void);

void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

bool tap_ok(bool pass, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
bool tap_is_int(intmax_t a, const char *op, intmax_t b, const char *as,
    const char *bs, const char *file, int line);
bool tap_is_uint(uintmax_t a, const char *op, uintmax_t b, const char *as,
    const char *bs, const char *file, int line);
bool tap_is_str(const char *a, const char *b, const char *as, const char *bs,
    const char *file, int line);
bool tap_is_mem(const void *a, size_t alen, const void *b, size_t blen,
    const char *as, const char *bs, const char *file, int line);
void tap_skip(const char *file, int line, const char *why);

#define ok(cond, ...) tap_ok((cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(a, op, b)                                                       \
	tap_is_int((intmax_t)(a), #op, (intmax_t)(b), #a, #b, __FILE__,        \
	    __LINE__)
#define is_uint(a, op, b)                                                      \
	tap_is_uint((uintmax_t)(a), #op, (uintmax_t)(b), #a, #b, __FILE__,     \
	    __LINE__)
#define is_str(a, b) tap_is_str((a), (b), #a, #b, __FILE__, __LINE__)
#define is_mem(a, alen, b, blen)                                               \
	tap_is_mem((a), (alen), (b), (blen), #a, #b, __FILE__, __LINE__)
#define skip(why) tap_skip(__FILE__, __LINE__, (why))

/*
 * Decode a hex string (whitespace ignored) into a malloc'd buffer; *len gets
 * its size. Aborts the test program on malformed hex: that is a test bug.
 */
uint8_t *tap_hex(const char *hex, size_t *len);

/* Path of a file under $LOCOIRC_TEST_DATA (or tests/data); static buffer. */
const char *tap_data_path(const char *name);

/*
 * A fresh private directory for this test (mkdtemp under $TMPDIR), removed
 * at exit unless LOCOIRC_TEST_KEEP=1. Returns the same path on every call.
 */
const char *tap_tmpdir(void);

/*
 * Run argv (argv[0] looked up in PATH) with stdin from `input` (may be
 * NULL) and return its exit status, or -1 if it could not run. Output goes
 * to the test's stderr as "# " lines are not needed for tools we call.
 */
int tap_run(char *const argv[], const void *input, size_t inlen);

#endif
