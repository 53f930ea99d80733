/* locoirc: see LICENSE.
 *
 * Tests of the IRC text helpers: UTF-8 validation and repair against
 * hand-encoded sequences, splitting Hangul and emoji without cutting a
 * character at every budget, newline splitting, CTCP ACTION, control
 * stripping and CASEMAPPING=ascii pairs.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "irc-text.h"
#include "tap.h"

static void test_utf8(void);
static void check_split(const char *s, size_t budget);
static void test_split(void);
static void test_lines(void);
static void test_action(void);
static void test_strip(void);
static void test_casemap(void);

/* Validation and repair on hand-encoded bytes. */
static void
test_utf8(void)
{
	char *r;
	size_t n;

	ok(irc_text_utf8_valid("\xec\x95\x88\xeb\x85\x95", 6), "안녕 valid");
	ok(irc_text_utf8_valid("\xf0\x9f\x98\x80", 4), "U+1F600 valid");
	ok(irc_text_utf8_valid("\xf4\x8f\xbf\xbf", 4), "U+10FFFF valid");
	ok(!irc_text_utf8_valid("\xc0\xaf", 2), "overlong '/' invalid");
	ok(!irc_text_utf8_valid("\xe0\x80\xaf", 3), "3-byte overlong invalid");
	ok(!irc_text_utf8_valid("\xed\xa0\x80", 3), "surrogate invalid");
	ok(!irc_text_utf8_valid("\xf4\x90\x80\x80", 4),
	    "past U+10FFFF invalid");
	ok(!irc_text_utf8_valid("\xec\x95", 2), "truncated invalid");
	ok(!irc_text_utf8_valid("\x80", 1), "lone continuation invalid");
	is_uint(irc_text_utf8_seq("\xec\x95\x88", 3), ==, 3);
	is_uint(irc_text_utf8_seq("\xec\x95\x88", 2), ==, 0);

	r = irc_text_utf8_repair("a\xff"
	                         "b",
	    3, &n);
	is_mem(r, n,
	    "a\xef\xbf\xbd"
	    "b",
	    5);
	free(r);
	r = irc_text_utf8_repair("\xec\x95", 2, &n);
	is_mem(r, n, "\xef\xbf\xbd\xef\xbf\xbd", 6);
	free(r);
	r = irc_text_utf8_repair("\xec\x95\x88!", 4, &n);
	is_str(r, "\xec\x95\x88!");
	ok(irc_text_utf8_valid(r, n), "repaired text is valid");
	free(r);
}

/* Split s at budget and check size, validity and reassembly. */
static void
check_split(const char *s, size_t budget)
{
	struct irc_text_span *v = NULL;
	size_t n, i, len = strlen(s), o = 0;
	char *joined = malloc(len + 1);
	bool sizes = true, valid = true;

	n = irc_text_split(s, len, budget, &v);
	for (i = 0; i < n; i++) {
		if (v[i].len > budget || v[i].len == 0)
			sizes = false;
		if (!irc_text_utf8_valid(s + v[i].off, v[i].len))
			valid = false;
		memcpy(joined + o, s + v[i].off, v[i].len);
		o += v[i].len;
		if (v[i].at_space)
			joined[o++] = ' ';
	}
	joined[o] = '\0';
	ok(sizes, "budget %zu: %zu chunks within budget", budget, n);
	ok(valid, "budget %zu: no chunk cuts a character", budget);
	ok(strcmp(joined, s) == 0, "budget %zu: chunks reassemble", budget);
	free(joined);
	free(v);
}

/* Hangul and emoji never cut; spaces preferred near the end. */
static void
test_split(void)
{
	static const char hangul[] = "가나다라마바사";
	static const char mixed[] = "안녕하세요 여러분 😀😀 hello wörld "
	                            "🇰🇷 오늘 날씨가 좋네요 abc";
	struct irc_text_span *v;
	size_t n, b;

	n = irc_text_split(hangul, strlen(hangul), 10, &v);
	is_uint(n, ==, 3);
	if (n == 3) {
		is_uint(v[0].len, ==, 9);
		is_uint(v[1].len, ==, 9);
		is_uint(v[2].len, ==, 3);
		ok(!v[0].at_space, "no space dropped");
	}
	free(v);
	n = irc_text_split("😀😀😀", 12, 7, &v);
	is_uint(n, ==, 3);
	free(v);

	n = irc_text_split("hello world foo", 15, 13, &v);
	is_uint(n, ==, 2);
	if (n == 2) {
		is_uint(v[0].len, ==, 11);
		ok(v[0].at_space, "split at the space");
		is_uint(v[1].off, ==, 12);
	}
	free(v);
	n = irc_text_split("abcd efgh", 9, 4, &v);
	ok(n == 2 && v[0].len == 4 && v[0].at_space && v[1].off == 5,
	    "space right after a full chunk is dropped");
	free(v);
	n = irc_text_split("a bcdefghij", 11, 8, &v);
	ok(n == 2 && v[0].len == 8 && !v[0].at_space,
	    "a space too early is not used");
	free(v);
	n = irc_text_split("", 0, 10, &v);
	is_uint(n, ==, 0);
	free(v);
	n = irc_text_split("가", 3, 1, &v);
	ok(n == 1 && v[0].len == 3, "budget raised to %d", IRC_TEXT_BUDGET_MIN);
	free(v);

	for (b = IRC_TEXT_BUDGET_MIN; b <= 40; b++)
		check_split(mixed, b);
	check_split(mixed, 400);
	check_split("   a   ", 4);
}

/* CRLF, LF and lone CR separate lines; empty ones are dropped. */
static void
test_lines(void)
{
	static const char text[] = "a\r\nbb\nc\rd\n\n\r\r\ne";
	struct irc_text_span *v;
	size_t n;

	n = irc_text_lines(text, strlen(text), &v);
	is_uint(n, ==, 5);
	if (n == 5) {
		is_mem(text + v[0].off, v[0].len, "a", 1);
		is_mem(text + v[1].off, v[1].len, "bb", 2);
		is_mem(text + v[2].off, v[2].len, "c", 1);
		is_mem(text + v[3].off, v[3].len, "d", 1);
		is_mem(text + v[4].off, v[4].len, "e", 1);
	}
	free(v);
	is_uint(irc_text_lines("\n\r\n", 3, &v), ==, 0);
	free(v);
	n = irc_text_lines("한 줄", strlen("한 줄"), &v);
	ok(n == 1 && v[0].len == strlen("한 줄"), "one line stays whole");
	free(v);
}

/* CTCP ACTION wrap and unwrap. */
static void
test_action(void)
{
	char *s = irc_text_action_wrap("waves 👋");
	size_t off, len;

	is_str(s, "\001ACTION waves \xf0\x9f\x91\x8b\001");
	ok(irc_text_action_unwrap(s, strlen(s), &off, &len), "unwrap");
	is_mem(s + off, len, "waves 👋", strlen("waves 👋"));
	free(s);
	ok(irc_text_action_unwrap("\001ACTION shrugs", 14, &off, &len) &&
	        len == 6,
	    "closing \\001 may be missing");
	ok(irc_text_action_unwrap("\001ACTION\001", 8, &off, &len) && len == 0,
	    "empty action");
	ok(!irc_text_action_unwrap("\001VERSION\001", 9, &off, &len),
	    "other CTCP is not an action");
	ok(!irc_text_action_unwrap("\001ACTIONS x\001", 11, &off, &len),
	    "ACTIONS is not ACTION");
	ok(!irc_text_action_unwrap("ACTION x", 8, &off, &len), "plain text");
}

/* Control characters go; formatting codes stay only when asked. */
static void
test_strip(void)
{
	char a[] = "a\x02"
	           "b\x03"
	           "04c\x07"
	           "d\te\x7f\x01\x1d"
	           "f\x1fg\x0f";
	char b[sizeof a];
	size_t n;

	memcpy(b, a, sizeof a);
	n = irc_text_strip_controls(a, strlen(a), IRC_TEXT_KEEP_FORMAT);
	is_str(a,
	    "a\x02"
	    "b\x03"
	    "04cd e\x1d"
	    "f\x1fg\x0f");
	is_uint(n, ==, strlen(a));
	n = irc_text_strip_controls(b, strlen(b), 0);
	is_str(b, "ab04cd efg");
	is_uint(n, ==, 10);
}

/* CASEMAPPING=ascii: only A-Z fold. */
static void
test_casemap(void)
{
	char s[] = "#Chan[A]Ü김";

	ok(irc_text_caseeq("Nick", "nICK"), "Nick == nICK");
	ok(irc_text_caseeq("김철수", "김철수"), "Hangul equals itself");
	ok(!irc_text_caseeq("김철수", "김철"), "prefix differs");
	ok(!irc_text_caseeq("[a]", "{a}"), "[ and { differ under ascii");
	ok(!irc_text_caseeq("a^", "a~"), "^ and ~ differ under ascii");
	ok(!irc_text_caseeq("É", "é"), "non-ASCII letters do not fold");
	ok(irc_text_casecmp("abc", "ABD") < 0, "ordering ignores case");
	ok(irc_text_casecmp("b", "A") > 0, "ordering ignores case (2)");
	is_str(irc_text_casefold(s), "#chan[a]Ü김");
}

int
main(void)
{
	tap_init(0);
	test_utf8();
	test_split();
	test_lines();
	test_action();
	test_strip();
	test_casemap();
	return done_testing();
}
