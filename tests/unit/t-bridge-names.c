/* locoirc: see LICENSE.
 *
 * Tests of the bridge's naming rules: nick and channel sanitising of
 * Korean, Latin, emoji and mixed names, forbidden characters, byte limits
 * that never cut UTF-8, Revised Romanization worked out by hand from the
 * jamo tables, and the registry's uniqueness, stability and reservations.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge-names.h"
#include "irc-text.h"
#include "tap.h"

static void nick_is(const char *in, bool ascii, const char *want);
static void test_romanise(void);
static void test_nick(void);
static void test_truncate(void);
static void test_channel(void);
static void test_registry(void);
static void test_load_order(void);
static void test_load_reject(void);
static void test_persist(void);

/* Check one sanitised nick. */
static void
nick_is(const char *in, bool ascii, const char *want)
{
	char out[128];

	bridge_names_nick_sanitise(in, ascii, out, sizeof out);
	if (!is_str(out, want))
		diag("input '%s' ascii=%d", in != NULL ? in : "(null)", ascii);
}

/*
 * Romanisation by hand: syllable index = (lead * 21 + vowel) * 28 + tail,
 * read off the RR tables (lead g kk n d tt r m b pp s ss - j jj ch k t p h;
 * finals folded to k/n/t/l/m/p/ng).
 */
static void
test_romanise(void)
{
	char r[8];

	is_uint(bridge_names_romanise(0xac00, r), ==, 2); /* 가 g+a */
	is_str(r, "ga");
	bridge_names_romanise(0xd7a3, r); /* 힣 h+i+ㅎ(t) */
	is_str(r, "hit");
	bridge_names_romanise(0xb2ed, r); /* 닭 d+a+ㄺ(k) */
	is_str(r, "dak");
	bridge_names_romanise(0xac12, r); /* 값 g+a+ㅄ(p) */
	is_str(r, "gap");
	bridge_names_romanise(0xaf43, r); /* 꽃 kk+o+ㅊ(t) */
	is_str(r, "kkot");
	bridge_names_romanise(0xcd5c, r); /* 최 ch+oe */
	is_str(r, "choe");
	bridge_names_romanise(0xc30d, r); /* 쌍 ss+a+ng */
	is_str(r, "ssang");
	is_uint(bridge_names_romanise(0xabff, r), ==, 0);
	is_uint(bridge_names_romanise(0xd7a4, r), ==, 0);
	is_uint(bridge_names_romanise('a', r), ==, 0);

	nick_is("김민수", true, "Gimminsu");
	nick_is("이서연", true, "Iseoyeon");
	nick_is("박지훈", true, "Bakjihun");
	nick_is("최유나", true, "Choeyuna");
	nick_is("한", true, "Han");
	nick_is("글", true, "Geul");
	nick_is("닭", true, "Dak");
	nick_is("값", true, "Gap");
	nick_is("한글", true, "Hangeul");
	nick_is("김 민수", true, "Gim_Minsu");
	nick_is("Kim김", true, "KimGim");
	nick_is("ㅋㅋㅋ", true, "kakao"); /* compatibility jamo: dropped */
}

/* UTF-8 kept or transliterated; forbidden characters; leading rules. */
static void
test_nick(void)
{
	char out[128];

	nick_is("김민수", false, "김민수");
	nick_is("José Müller", false, "José_Müller");
	nick_is("José Müller", true, "Jose_Muller");
	nick_is("Łukasz Straße", true, "Lukasz_Strasse");
	nick_is("Œuvre Ĳssel", true, "OEuvre_IJssel");
	nick_is("😀Kim", false, "😀Kim");
	nick_is("😀Kim", true, "Kim");
	nick_is("김 Kim 😀", false, "김_Kim_😀");
	nick_is("김 Kim 😀", true, "Gim_Kim_");
	nick_is("a,b*c?d!e@f.g", false, "abcdefg");
	nick_is("#chan", false, "chan");
	nick_is("&:$+x", false, "x");
	nick_is("x#y:z$", false, "x#y:z$");
	nick_is("a\x01"
	        "b\x7f"
	        "c\x07",
	    false, "abc");
	nick_is("a\xff"
	        "b\xc3",
	    false, "ab");
	nick_is("a\xe2\x80\x8b"
	        "b",
	    false, "ab"); /* U+200B zero width space */
	nick_is("a\xe3\x80\x80"
	        "b",
	    false, "a_b"); /* U+3000 ideographic space */
	nick_is("1abc", false, "_1abc");
	nick_is("-x", true, "_-x");
	nick_is("#1a", false, "_1a");
	nick_is("  bob  ", false, "bob");
	nick_is("a~b", false, "a~b");
	nick_is("a~b", true, "ab");
	nick_is("[bot]|x^", true, "[bot]|x^");

	ok(!bridge_names_nick_sanitise("", false, out, sizeof out),
	    "empty nick gives the fallback");
	is_str(out, "kakao");
	ok(!bridge_names_nick_sanitise(NULL, false, out, sizeof out),
	    "NULL nick gives the fallback");
	ok(!bridge_names_nick_sanitise(" ,.!@ ", false, out, sizeof out),
	    "only forbidden characters give the fallback");
	ok(!bridge_names_nick_sanitise("😀", true, out, sizeof out),
	    "emoji only in ascii gives the fallback");
	is_str(out, "kakao");
	ok(bridge_names_nick_sanitise("bob", false, out, sizeof out),
	    "a usable nick is not the fallback");
}

/* Byte limits hold for every output size; cuts are on boundaries. */
static void
test_truncate(void)
{
	char full[128], out[128], big[512];
	size_t i, len, bad;
	const char *mix = "a😀김é";

	big[0] = '\0';
	for (i = 0; i < 40; i++)
		strcat(big, "각");
	bridge_names_nick_sanitise(big, false, full, sizeof full);
	is_uint(strlen(full), ==, 63); /* 21 x 3 bytes <= 64 */
	bridge_names_nick_sanitise(big, true, full, sizeof full);
	is_uint(strlen(full), ==, 63); /* "Gak" + 20 x "gak": 3 bytes each */
	ok(strncmp(full, "Gakgak", 6) == 0, "romanised run is one word");

	big[0] = '\0';
	for (i = 0; i < 20; i++)
		strcat(big, mix);
	bridge_names_nick_sanitise(big, false, full, sizeof full);
	ok(strlen(full) <= BRIDGE_NAMES_NICKLEN && strlen(full) >= 60,
	    "mixed nick capped at NICKLEN (%zu)", strlen(full));
	bad = 0;
	for (len = 1; len <= 80; len++) {
		bridge_names_nick_sanitise(big, false, out, len);
		if (strlen(out) > len - 1 ||
		    !irc_text_utf8_valid(out, strlen(out)) ||
		    strncmp(out, full, strlen(out)) != 0 ||
		    strlen(out) + 4 < (len - 1 < strlen(full) ? len : 1) ||
		    (len - 1 >= strlen(full) && strcmp(out, full) != 0)) {
			diag("bad nick cut at len %zu: '%s'", len, out);
			bad++;
		}
	}
	is_uint(bad, ==, 0);

	bridge_names_channel_sanitise(big, full, sizeof full);
	ok(strlen(full) <= BRIDGE_NAMES_CHANLEN && full[0] == '#',
	    "channel capped at CHANLEN");
	bad = 0;
	for (len = 1; len <= 80; len++) {
		bridge_names_channel_sanitise(big, out, len);
		if (strlen(out) > len - 1 ||
		    !irc_text_utf8_valid(out, strlen(out)) ||
		    strncmp(out, full, strlen(out)) != 0) {
			diag("bad channel cut at len %zu: '%s'", len, out);
			bad++;
		}
	}
	is_uint(bad, ==, 0);

	/* the '_' put before a leading digit still respects the limit */
	memset(big, '1', 100);
	big[100] = '\0';
	bridge_names_nick_sanitise(big, false, out, sizeof out);
	is_uint(strlen(out), ==, BRIDGE_NAMES_NICKLEN);
	ok(out[0] == '_', "digit prefix kept after the cut");
}

/* Channel names from titles. */
static void
test_channel(void)
{
	char out[128];

	ok(bridge_names_channel_sanitise("Family Chat", out, sizeof out),
	    "titled chat");
	is_str(out, "#Family_Chat");
	bridge_names_channel_sanitise("가족 방", out, sizeof out);
	is_str(out, "#가족_방");
	bridge_names_channel_sanitise("a,b:c\x07"
	                              "d\x01"
	                              "e",
	    out, sizeof out);
	is_str(out, "#abcde");
	bridge_names_channel_sanitise("  Kim, Lee, Park  ", out, sizeof out);
	is_str(out, "#Kim_Lee_Park");
	bridge_names_channel_sanitise("🎉 party!", out, sizeof out);
	is_str(out, "#🎉_party!");
	ok(!bridge_names_channel_sanitise("", out, sizeof out), "empty title");
	is_str(out, "#chat");
	ok(!bridge_names_channel_sanitise(" ,: ", out, sizeof out),
	    "only forbidden characters");
	ok(!bridge_names_channel_sanitise("\xff\xfe", out, sizeof out),
	    "only invalid bytes");
}

/* Assignment, reservations, casemapping, stability, suffixes. */
static void
test_registry(void)
{
	struct bridge_names *reg, *ar;
	int64_t id;
	const char *n;
	char big[256];
	size_t i;

	reg = bridge_names_new(1, "Me", false);
	is_str(bridge_names_user(reg, 1, "whatever"), "Me");
	is_str(bridge_names_user(reg, 2, "me"), "me_2");
	is_str(bridge_names_user(reg, 3, "*loco"), "loco");
	is_str(bridge_names_user(reg, 4, "LOCO"), "LOCO_2");
	is_str(bridge_names_user(reg, 5, "*memo"), "memo");
	is_str(bridge_names_user(reg, 2, "someone else"), "me_2");
	ok(bridge_names_is_reserved(reg, "*LOCO"), "service nick reserved");
	ok(bridge_names_is_reserved(reg, "*Memo"), "memo nick reserved");
	ok(bridge_names_is_reserved(reg, "mE"), "own nick reserved");
	ok(!bridge_names_is_reserved(reg, "loco"), "plain loco is free");
	is_str(bridge_names_user(reg, 6, ""), "kakao6");
	is_str(bridge_names_user(reg, 7, "kakao6"), "kakao6_2");

	is_str(bridge_names_chat(reg, 100, "Family"), "#Family");
	is_str(bridge_names_chat(reg, 101, "family"), "#family_2");
	is_str(bridge_names_chat(reg, 100, "Renamed upstream"), "#Family");
	is_str(bridge_names_chat(reg, 102, ""), "#chat102");
	ok(bridge_names_find(reg, BRIDGE_NAMES_CHAT, "#FAMILY", &id) &&
	        id == 100,
	    "channel found under casemapping");
	ok(bridge_names_find(reg, BRIDGE_NAMES_CHAT, "#Family_2", &id) &&
	        id == 101,
	    "suffixed channel found");
	ok(!bridge_names_find(reg, BRIDGE_NAMES_CHAT, "#nope", &id),
	    "unknown channel");
	ok(!bridge_names_find(reg, BRIDGE_NAMES_USER, "#family", &id),
	    "kinds are separate");
	ok(bridge_names_find(reg, BRIDGE_NAMES_USER, "ME", &id) && id == 1,
	    "own nick found");
	ok(bridge_names_find(reg, BRIDGE_NAMES_USER, "Me_2", &id) && id == 2,
	    "user found under casemapping");
	ok(bridge_names_get(reg, BRIDGE_NAMES_CHAT, 999) == NULL,
	    "no name for an unknown chat");
	is_str(bridge_names_get(reg, BRIDGE_NAMES_USER, 3), "loco");

	/* a deliberate rename collides under casemapping too */
	is_str(bridge_names_rename(reg, BRIDGE_NAMES_CHAT, 100, "Family 2"),
	    "#Family_2_2");
	is_str(bridge_names_chat(reg, 100, "x"), "#Family_2_2");

	/* suffixes stay within the byte limit and on boundaries */
	memset(big, 'a', 70);
	big[70] = '\0';
	n = bridge_names_user(reg, 10, big);
	is_uint(strlen(n), ==, 64);
	n = bridge_names_user(reg, 11, big);
	is_uint(strlen(n), ==, 64);
	is_str(n + 62, "_2");
	big[0] = '\0';
	for (i = 0; i < 30; i++)
		strcat(big, "가");
	is_uint(strlen(bridge_names_user(reg, 12, big)), ==, 63);
	n = bridge_names_user(reg, 13, big);
	is_uint(strlen(n), ==, 62); /* 20 x 3 + "_2" */
	ok(irc_text_utf8_valid(n, strlen(n)) && strcmp(n + 60, "_2") == 0,
	    "suffix after a whole character");
	bridge_names_free(reg);

	/* the fallback never takes a reserved name */
	ar = bridge_names_new(1, "kakao7", true);
	is_str(bridge_names_user(ar, 7, "😀"), "kakao7_2");
	is_str(bridge_names_user(ar, 8, "김민수"), "Gimminsu");
	is_str(bridge_names_user(ar, 9, "Gimminsu"), "Gimminsu_2");
	bridge_names_free(ar);
	bridge_names_free(NULL);
}

/* Persisted pairs in any order give the same registry. */
static void
test_load_order(void)
{
	static const struct {
		enum bridge_names_kind kind;
		int64_t id;
		const char *name;
	} pairs[] = {
	    {BRIDGE_NAMES_USER, 10, "kim"},
	    {BRIDGE_NAMES_USER, 11, "kim_2"},
	    {BRIDGE_NAMES_USER, 12, "Lee"},
	    {BRIDGE_NAMES_USER, 14, "김민수"},
	    {BRIDGE_NAMES_CHAT, 20, "#room"},
	    {BRIDGE_NAMES_CHAT, 21, "#room_2"},
	    {BRIDGE_NAMES_CHAT, 23, "#가족"},
	};
	struct bridge_names *a, *b;
	size_t i, np = sizeof pairs / sizeof pairs[0], bad = 0;
	const char *na, *nb;

	a = bridge_names_new(1, "me", false);
	b = bridge_names_new(1, "me", false);
	for (i = 0; i < np; i++) {
		if (bridge_names_load(a, pairs[i].kind, pairs[i].id,
		        pairs[i].name) != 0)
			bad++;
		if (bridge_names_load(b, pairs[np - 1 - i].kind,
		        pairs[np - 1 - i].id, pairs[np - 1 - i].name) != 0)
			bad++;
	}
	is_uint(bad, ==, 0);
	for (i = 0; i < np; i++) {
		na = bridge_names_get(a, pairs[i].kind, pairs[i].id);
		nb = bridge_names_get(b, pairs[i].kind, pairs[i].id);
		if (na == NULL || nb == NULL ||
		    strcmp(na, pairs[i].name) != 0 ||
		    strcmp(nb, pairs[i].name) != 0)
			bad++;
	}
	is_uint(bad, ==, 0);
	is_str(bridge_names_user(a, 13, "KIM"), "KIM_3");
	is_str(bridge_names_user(b, 13, "KIM"), "KIM_3");
	is_str(bridge_names_chat(a, 22, "Room"), "#Room_3");
	is_str(bridge_names_chat(b, 22, "Room"), "#Room_3");
	is_str(bridge_names_chat(a, 20, "renamed"), "#room");
	is_str(bridge_names_user(a, 14, "이서연"), "김민수");
	bridge_names_free(a);
	bridge_names_free(b);
}

/* Bad persisted pairs are refused. */
static void
test_load_reject(void)
{
	struct bridge_names *reg;
	char big[128];

	reg = bridge_names_new(1, "me", false);
	is_int(bridge_names_load(reg, BRIDGE_NAMES_USER, 10, "kim"), ==, 0);
	is_int(bridge_names_load(reg, BRIDGE_NAMES_USER, 10, "park"), ==, -1);
	is_int(bridge_names_load(reg, BRIDGE_NAMES_USER, 11, "KIM"), ==, -1);
	is_int(bridge_names_load(reg, BRIDGE_NAMES_USER, 12, "ME"), ==, -1);
	is_int(bridge_names_load(reg, BRIDGE_NAMES_USER, 12, "*loco"), ==, -1);
	is_int(bridge_names_load(reg, BRIDGE_NAMES_USER, 12, "a b"), ==, -1);
	is_int(bridge_names_load(reg, BRIDGE_NAMES_USER, 12, "1a"), ==, -1);
	is_int(bridge_names_load(reg, BRIDGE_NAMES_USER, 12, ""), ==, -1);
	is_int(bridge_names_load(reg, BRIDGE_NAMES_USER, 12, NULL), ==, -1);
	is_int(bridge_names_load(reg, BRIDGE_NAMES_USER, 1, "self"), ==, -1);
	memset(big, 'x', 65);
	big[65] = '\0';
	is_int(bridge_names_load(reg, BRIDGE_NAMES_USER, 12, big), ==, -1);
	is_int(bridge_names_load(reg, BRIDGE_NAMES_CHAT, 20, "room"), ==, -1);
	is_int(bridge_names_load(reg, BRIDGE_NAMES_CHAT, 20, "#a,b"), ==, -1);
	is_int(bridge_names_load(reg, BRIDGE_NAMES_CHAT, 20, "#kim"), ==, 0);
	bridge_names_free(reg);

	reg = bridge_names_new(1, "me", true);
	is_int(bridge_names_load(reg, BRIDGE_NAMES_USER, 10, "김민수"), ==, -1);
	is_str(bridge_names_user(reg, 10, "김민수"), "Gimminsu");
	bridge_names_free(reg);
}

/* The iterator reports new and changed names until marked persisted. */
static void
test_persist(void)
{
	struct bridge_names *reg;
	enum bridge_names_kind kind;
	int64_t id;
	const char *name;
	size_t pos;

	reg = bridge_names_new(1, "me", false);
	bridge_names_load(reg, BRIDGE_NAMES_USER, 12, "Lee");
	pos = 0;
	ok(!bridge_names_next_new(reg, &pos, &kind, &id, &name),
	    "loaded pairs are not new");
	bridge_names_user(reg, 13, "Kim");
	bridge_names_chat(reg, 22, "Room");
	bridge_names_user(reg, 1, "me");
	pos = 0;
	ok(bridge_names_next_new(reg, &pos, &kind, &id, &name) &&
	        kind == BRIDGE_NAMES_USER && id == 13 &&
	        strcmp(name, "Kim") == 0,
	    "new user reported");
	ok(bridge_names_next_new(reg, &pos, &kind, &id, &name) &&
	        kind == BRIDGE_NAMES_CHAT && id == 22 &&
	        strcmp(name, "#Room") == 0,
	    "new chat reported");
	ok(!bridge_names_next_new(reg, &pos, &kind, &id, &name),
	    "nothing else is new (own nick is not stored)");
	bridge_names_mark_persisted(reg);
	pos = 0;
	ok(!bridge_names_next_new(reg, &pos, &kind, &id, &name),
	    "nothing new after persisting");
	is_str(bridge_names_rename(reg, BRIDGE_NAMES_USER, 12, "Lee"), "Lee");
	pos = 0;
	ok(!bridge_names_next_new(reg, &pos, &kind, &id, &name),
	    "a rename to the same name is not new");
	is_str(bridge_names_rename(reg, BRIDGE_NAMES_USER, 12, "Park Ji"),
	    "Park_Ji");
	pos = 0;
	ok(bridge_names_next_new(reg, &pos, &kind, &id, &name) && id == 12 &&
	        strcmp(name, "Park_Ji") == 0,
	    "renamed user reported");
	ok(!bridge_names_find(reg, BRIDGE_NAMES_USER, "Lee", &id),
	    "old nick released");
	is_str(bridge_names_user(reg, 14, "lee"), "lee");
	is_str(bridge_names_rename(reg, BRIDGE_NAMES_USER, 1, "x"), "me");
	bridge_names_free(reg);
}

int
main(void)
{
	tap_init(0);
	test_romanise();
	test_nick();
	test_truncate();
	test_channel();
	test_registry();
	test_load_order();
	test_load_reject();
	test_persist();
	return done_testing();
}
