/* locoirc: see LICENSE.
 *
 * Tests for the liberal BSON readers: integer widths, UTF-8 repair, arrays
 * and the structural check that guards libbson's recursive validator.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "loco-bson.h"
#include "tap.h"

static void test_integers(void);
static void test_strings(void);
static void test_arrays(void);
static void test_required(void);
static void test_check(void);

static void
test_integers(void)
{
	bson_t *d = BCON_NEW("i32", BCON_INT32(-7), "i64",
	    BCON_INT64(INT64_C(9007199254740993)), "dbl", BCON_DOUBLE(42.0),
	    "frac", BCON_DOUBLE(1.5), "huge", BCON_DOUBLE(1e19), "nan",
	    BCON_DOUBLE(NAN), "s", BCON_UTF8("12"), "t", BCON_BOOL(true),
	    "null", BCON_NULL, "big32", BCON_INT64(INT64_C(1) << 40));
	int64_t v = 0;
	int32_t v32 = 0;
	bool b = false;

	is_int(loco_bson_get_i64(d, "i32", &v), ==, 1);
	is_int(v, ==, -7);
	is_int(loco_bson_get_i64(d, "i64", &v), ==, 1);
	ok(v == INT64_C(9007199254740993), "int64 above 2^53 kept exactly");
	is_int(loco_bson_get_i64(d, "dbl", &v), ==, 1);
	is_int(v, ==, 42);
	is_int(loco_bson_get_i64(d, "frac", &v), ==, -1);
	is_int(loco_bson_get_i64(d, "huge", &v), ==, -1);
	is_int(loco_bson_get_i64(d, "nan", &v), ==, -1);
	is_int(loco_bson_get_i64(d, "s", &v), ==, -1);
	v = 5;
	is_int(loco_bson_get_i64(d, "absent", &v), ==, 0);
	is_int(loco_bson_get_i64(d, "null", &v), ==, 0);
	is_int(v, ==, 5);
	is_int(loco_bson_get_i32(d, "i32", &v32), ==, 1);
	is_int(v32, ==, -7);
	is_int(loco_bson_get_i32(d, "big32", &v32), ==, -1);
	is_int(loco_bson_get_bool(d, "t", &b), ==, 1);
	ok(b, "bool true");
	is_int(loco_bson_get_bool(d, "i32", &b), ==, 1);
	ok(b, "non-zero integer reads as true");
	is_int(loco_bson_get_bool(d, "s", &b), ==, -1);
	bson_destroy(d);
}

static void
test_strings(void)
{
	static const struct {
		const char *in;
		size_t len;
		const char *out;
	} cases[] = {
	    {"abc", 3, "abc"},
	    /* Hangul passes through untouched. */
	    {"\xed\x95\x9c\xea\xb8\x80", 6, "\xed\x95\x9c\xea\xb8\x80"},
	    /* Overlong NUL. */
	    {"a\xc0\x80z", 4, "a\xef\xbf\xbd\xef\xbf\xbdz"},
	    /* A UTF-16 surrogate encoded as UTF-8. */
	    {"\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
	    /* Truncated 3-byte sequence at the end. */
	    {"x\xe4\xb8", 3, "x\xef\xbf\xbd\xef\xbf\xbd"},
	    /* An embedded NUL would cut a C string short. */
	    {"a\0b", 3,
	        "a\xef\xbf\xbd"
	        "b"},
	    /* Past U+10FFFF. */
	    {"\xf4\x90\x80\x80", 4,
	        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
	    /* 4-byte emoji is fine. */
	    {"\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80"},
	    {"", 0, ""},
	};
	size_t i;
	bson_t d;
	char *s = NULL;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *r = loco_utf8_repair(cases[i].in, cases[i].len);

		ok(strcmp(r, cases[i].out) == 0, "utf8 repair case %zu", i);
		free(r);
	}

	/* A BSON string with invalid UTF-8 (libbson appends it as is). */
	bson_init(&d);
	bson_append_utf8(&d, "m", 1, "hi\xff", 3);
	bson_append_int32(&d, "n", 1, 3);
	is_int(loco_bson_get_str(&d, "m", &s), ==, 1);
	is_str(s, "hi\xef\xbf\xbd");
	free(s);
	s = NULL;
	is_int(loco_bson_get_str(&d, "n", &s), ==, -1);
	ok(s == NULL, "wrong type leaves the string alone");
	bson_destroy(&d);
}

static void
test_arrays(void)
{
	bson_t d;
	int64_t ids[] = {1, INT64_C(382416827148557), -3};
	int64_t *got = NULL;
	const char *names[] = {"라이언", "Apeach"};
	char **sgot = NULL;
	size_t n = 0;
	bson_t arr;

	bson_init(&d);
	loco_bson_append_i64_array(&d, "ids", ids, 3);
	loco_bson_append_str_array(&d, "k", names, 2);
	/* Mixed widths in one array, as some peers send. */
	bson_append_array_begin(&d, "mixed", -1, &arr);
	bson_append_int32(&arr, "0", -1, 5);
	bson_append_double(&arr, "1", -1, 6.0);
	bson_append_int64(&arr, "2", -1, 7);
	bson_append_array_end(&d, &arr);
	bson_append_array_begin(&d, "bad", -1, &arr);
	bson_append_int32(&arr, "0", -1, 5);
	bson_append_utf8(&arr, "1", -1, "x", -1);
	bson_append_array_end(&d, &arr);
	bson_append_array_begin(&d, "empty", -1, &arr);
	bson_append_array_end(&d, &arr);

	is_int(loco_bson_get_i64_array(&d, "ids", &got, &n), ==, 1);
	is_int(n, ==, 3);
	ok(n == 3 && got[1] == INT64_C(382416827148557) && got[2] == -3,
	    "ids round trip");
	free(got);
	is_int(loco_bson_get_i64_array(&d, "mixed", &got, &n), ==, 1);
	ok(n == 3 && got[0] == 5 && got[1] == 6 && got[2] == 7,
	    "mixed widths read");
	free(got);
	got = NULL;
	is_int(loco_bson_get_i64_array(&d, "bad", &got, &n), ==, -1);
	is_int(loco_bson_get_i64_array(&d, "empty", &got, &n), ==, 1);
	is_int(n, ==, 0);
	free(got);
	is_int(loco_bson_get_str_array(&d, "k", &sgot, &n), ==, 1);
	ok(n == 2 && strcmp(sgot[0], "라이언") == 0 &&
	        strcmp(sgot[1], "Apeach") == 0,
	    "string array round trip");
	loco_strv_free(sgot, n);
	is_int(loco_bson_get_str_array(&d, "ids", &sgot, &n), ==, -1);
	is_int(loco_bson_get_i64_array(&d, "k", &got, &n), ==, -1);
	bson_destroy(&d);
}

static void
test_required(void)
{
	bson_t *d = BCON_NEW("chatId", BCON_INT32(12), "msg", BCON_INT32(1));
	struct loco_error err;
	int64_t v = 0;
	char *s = NULL;
	bool b = true;

	is_int(loco_bson_need_i64(d, "WRITE", "chatId", &v, &err), ==, 0);
	is_int(v, ==, 12);
	is_int(loco_bson_need_i64(d, "WRITE", "logId", &v, &err), ==, -1);
	is_int(err.code, ==, LOCO_ERR_MISSING);
	is_str(err.msg, "WRITE: missing 'logId'");
	is_int(loco_bson_need_str(d, "WRITE", "msg", &s, &err), ==, -1);
	is_int(err.code, ==, LOCO_ERR_TYPE);
	is_str(err.msg, "WRITE: 'msg' is not a string");
	is_int(loco_bson_opt_bool(d, "WRITE", "noSeen", &b, &err), ==, 0);
	ok(b, "absent optional keeps the default");
	is_int(loco_bson_opt_str(d, "WRITE", "msg", &s, &err), ==, -1);
	bson_destroy(d);
}

static void
test_check(void)
{
	static const struct {
		const char *hex;
		int want;
	} cases[] = {
	    {"05 00 00 00 00", 0},
	    /* {"a": true} */
	    {"09 00 00 00 08 61 00 01 00", 0},
	    /* {"a": bool 2} is not a boolean */
	    {"09 00 00 00 08 61 00 02 00", -1},
	    /* missing terminator */
	    {"05 00 00 00 01", -1},
	    /* key runs to the end */
	    {"08 00 00 00 10 61 62 00", -1},
	    /* {"b": binary, 6 bytes, subtype 0} as LOGINLIST rp */
	    {"13 00 00 00 05 62 00 06 00 00 00 00 00 00 ff ff 00 00 00", 0},
	    /* binary claiming more than there is */
	    {"13 00 00 00 05 62 00 07 00 00 00 00 00 00 ff ff 00 00 00", -1},
	    /* string with length 0 is invalid */
	    {"0c 00 00 00 02 61 00 00 00 00 00 00", -1},
	    /* string not NUL-terminated */
	    {"0d 00 00 00 02 61 00 01 00 00 00 41 00", -1},
	    /* unknown element type 0x20 */
	    {"09 00 00 00 20 61 00 00 00", -1},
	    /* {"a": {}} */
	    {"0d 00 00 00 03 61 00 05 00 00 00 00 00", 0},
	    /* sub-document claims to run past its parent */
	    {"0d 00 00 00 03 61 00 06 00 00 00 00 00", -1},
	};
	size_t i, n;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint8_t *b = tap_hex(cases[i].hex, &n);
		struct loco_error err;
		int r = loco_bson_check(b, n, &err);

		ok(r == cases[i].want, "check case %zu gives %d", i,
		    cases[i].want);
		free(b);
	}
}

int
main(void)
{
	tap_init(0);
	test_integers();
	test_strings();
	test_arrays();
	test_required();
	test_check();
	return done_testing();
}
