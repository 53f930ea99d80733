/* locoirc: see LICENSE.
 *
 * Tests of rendering Kakao messages as IRC lines: exact lines (tags
 * included) for text, multi-line text, self-messages in channels and
 * queries, replay stamps, replies, media, feeds and deleted messages; the
 * 512-byte budget on long Hangul text; msgid round trips; and the IRC ->
 * Kakao direction (ACTION, other CTCPs, formatting).
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bridge-render.h"
#include "irc-msg.h"
#include "irc-text.h"
#include "loco-msgtype.h"
#include "store.h"
#include "tap.h"

#define CHAT 42
#define OWN 1
/* 2024-03-05T06:07:08Z */
#define T0 1709618828
#define TIME "time=2024-03-05T06:07:08.000Z"
#define HANGUL "\xea\xb0\x80" /* U+AC00 */

/* All lines of the last render, formatted, joined with "\n". */
static char lines[65536];

static const char *nick_of(int64_t id, void *arg);
static void in_init(struct bridge_render_in *in);
static void msg_init(struct store_message *m, int64_t author, int32_t type,
    const char *text, const char *attachment);
static size_t render(const struct bridge_render_in *in,
    const struct store_message *m);
static void test_text(void);
static void test_self(void);
static void test_stamp(void);
static size_t body_len(const char *s);
static void test_long(void);
static void test_reply(void);
static void test_media(void);
static void test_feed(void);
static void test_clean(void);
static void test_msgid(void);
static void test_outgoing(void);

/* The test's directory of Kakao users; NULL for strangers. */
static const char *
nick_of(int64_t id, void *arg)
{
	(void)arg;
	switch (id) {
	case 100:
		return "Bob";
	case 200:
		return "Carol";
	case 300:
		return "\xeb\xaf\xbc\xec\x88\x98"; /* 민수 */
	case 400:
		return "Dave";
	default:
		return NULL;
	}
}

/* A live channel render for a client with every cap but no prefix. */
static void
in_init(struct bridge_render_in *in)
{
	memset(in, 0, sizeof *in);
	in->server_name = "irc.test";
	in->target = "#room";
	in->own_nick = "me";
	in->own_id = OWN;
	in->server_time = true;
	in->message_tags = true;
	in->now = T0 + 60;
	in->nick_of = nick_of;
}

/* Message 1001 of CHAT sent at T0. */
static void
msg_init(struct store_message *m, int64_t author, int32_t type,
    const char *text, const char *attachment)
{
	memset(m, 0, sizeof *m);
	m->chat_id = CHAT;
	m->log_id = 1001;
	m->prev_id = 1000;
	m->author_id = author;
	m->type = type;
	m->send_at = T0;
	m->text = text;
	m->attachment = attachment;
}

/* Render m and format every line into `lines`; returns the count, or
 * (size_t)-1 when a line could not be formatted. */
static size_t
render(const struct bridge_render_in *in, const struct store_message *m)
{
	struct irc_msg *v = NULL;
	size_t n, i, off = 0;
	int r;
	bool bad = false;

	n = bridge_render_message(in, m, &v);
	lines[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0 && off + 1 < sizeof lines)
			lines[off++] = '\n';
		r = irc_msg_format(&v[i], lines + off, sizeof lines - off);
		if (r < 0)
			bad = true;
		else
			off += (size_t)r;
		irc_msg_release(&v[i]);
	}
	free(v);
	return bad ? (size_t)-1 : n;
}

/* Plain and multi-line text. */
static void
test_text(void)
{
	struct bridge_render_in in;
	struct store_message m;

	in_init(&in);
	msg_init(&m, 100, LOCO_MSG_TEXT, "hello world", "");
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME
	    " :Bob!100@kakao PRIVMSG #room :hello world");

	/* msgid on the first line only, time on all; empty lines dropped. */
	msg_init(&m, 100, LOCO_MSG_TEXT, "one\ntwo\r\n\r\nthree\r", NULL);
	is_int(render(&in, &m), ==, 3);
	is_str(lines,
	    "@msgid=42-1001;" TIME " :Bob!100@kakao PRIVMSG #room :one\n"
	    "@" TIME " :Bob!100@kakao PRIVMSG #room :two\n"
	    "@" TIME " :Bob!100@kakao PRIVMSG #room :three");

	/* A single word still gets the ':' (budget independent of text). */
	msg_init(&m, 100, LOCO_MSG_TEXT, "hi", NULL);
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME " :Bob!100@kakao PRIVMSG #room :hi");

	/* Empty text: nothing to show. */
	msg_init(&m, 100, LOCO_MSG_TEXT, "\n\r\n", NULL);
	is_int(render(&in, &m), ==, 0);
	msg_init(&m, 100, LOCO_MSG_TEXT, NULL, NULL);
	is_int(render(&in, &m), ==, 0);

	/* Unknown author: the decimal id stands in for the nick. */
	msg_init(&m, 777, LOCO_MSG_TEXT, "who", NULL);
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME " :777!777@kakao PRIVMSG #room :who");

	/* Deleted messages render to nothing. */
	msg_init(&m, 100, LOCO_MSG_TEXT | LOCO_MSGTYPE_DELETED_BIT, "gone",
	    NULL);
	is_int(render(&in, &m), ==, 0);
	msg_init(&m, 100, LOCO_MSG_TEXT, "gone", NULL);
	m.deleted = true;
	is_int(render(&in, &m), ==, 0);
}

/* Own messages in a channel and a query; the peer's in a query. */
static void
test_self(void)
{
	struct bridge_render_in in;
	struct store_message m;

	in_init(&in);
	msg_init(&m, OWN, LOCO_MSG_TEXT, "from my phone", NULL);
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME " :me!1@kakao PRIVMSG #room :from my phone");

	in.query = true;
	in.target = "Bob";
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME " :me!1@kakao PRIVMSG Bob :from my phone");

	msg_init(&m, 100, LOCO_MSG_TEXT, "hi you", NULL);
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME " :Bob!100@kakao PRIVMSG me :hi you");
}

/* The text stamp of replayed lines for clients without server-time. */
static void
test_stamp(void)
{
	struct bridge_render_in in;
	struct store_message m;

	in_init(&in);
	msg_init(&m, 100, LOCO_MSG_TEXT, "a\nb", NULL);
	in.replay = true;
	in.server_time = false;
	is_int(render(&in, &m), ==, 2);
	is_str(lines,
	    "@msgid=42-1001;" TIME " :Bob!100@kakao PRIVMSG #room :[06:07] a\n"
	    "@" TIME " :Bob!100@kakao PRIVMSG #room :[06:07] b");

	/* Another day: the date is shown. */
	in.now = T0 + 86400;
	is_int(render(&in, &m), ==, 2);
	is_str(lines,
	    "@msgid=42-1001;" TIME
	    " :Bob!100@kakao PRIVMSG #room :[2024-03-05 06:07] a\n"
	    "@" TIME " :Bob!100@kakao PRIVMSG #room :[2024-03-05 06:07] b");

	/* Late the same day is still today. */
	in.now = T0 + (23 - 6) * 3600;
	is_int(render(&in, &m), ==, 2);
	ok(strstr(lines, ":[06:07] a") != NULL, "same day: time only");

	/* With server-time, or live: no stamp. */
	in.server_time = true;
	is_int(render(&in, &m), ==, 2);
	is_str(lines,
	    "@msgid=42-1001;" TIME " :Bob!100@kakao PRIVMSG #room :a\n"
	    "@" TIME " :Bob!100@kakao PRIVMSG #room :b");
	in.server_time = false;
	in.replay = false;
	is_int(render(&in, &m), ==, 2);
	ok(strstr(lines, "[") == NULL, "live: no stamp");
}

/*
 * Check lines from a long render: each fits 512 bytes with CRLF (the
 * part after the tags), is valid UTF-8, and (when exact) the first is
 * full to within one Hangul character. Returns the concatenated texts (after skip bytes
 * of prefix on every line), joined with sep.
 */
static char *
check_long(const struct bridge_render_in *in, const struct store_message *m,
    const char *head, size_t skip, const char *sep, bool exact, size_t *count)
{
	struct irc_msg *v = NULL;
	char buf[8192], *joined;
	const char *body, *text;
	size_t n, i, off = 0, len, tl;
	bool fits = true, valid = true, full = true;

	n = bridge_render_message(in, m, &v);
	joined = calloc(1, 65536);
	for (i = 0; i < n; i++) {
		if (irc_msg_format(&v[i], buf, sizeof buf) < 0) {
			fits = false;
			break;
		}
		body = buf[0] == '@' ? strchr(buf, ' ') + 1 : buf;
		len = strlen(body) + 2;
		if (len > IRC_MSG_LINE_MAX) {
			diag("line %zu is %zu bytes", i, len);
			fits = false;
		}
		if (exact && i == 0 && len + 3 <= IRC_MSG_LINE_MAX) {
			diag("first line is only %zu bytes", len);
			full = false;
		}
		if (!irc_text_utf8_valid(body, strlen(body)))
			valid = false;
		text = v[i].params[1];
		if (i == 0 && head != NULL) {
			if (strncmp(text, head, strlen(head)) != 0)
				valid = false;
			text += strlen(head);
		} else if (strlen(text) >= skip)
			text += skip;
		tl = strlen(text);
		if (i > 0) {
			memcpy(joined + off, sep, strlen(sep));
			off += strlen(sep);
		}
		if (off + tl < 65536) {
			memcpy(joined + off, text, tl);
			off += tl;
		}
		irc_msg_release(&v[i]);
	}
	free(v);
	ok(fits, "every line <= 512 bytes with CRLF");
	if (exact)
		ok(full, "the first line is full");
	ok(valid, "no broken UTF-8");
	*count = n;
	return joined;
}

/* Bytes of the first line in s after its tags, up to '\n' or the end. */
static size_t
body_len(const char *s)
{
	const char *nl = strchr(s, '\n');
	size_t len = nl != NULL ? (size_t)(nl - s) : strlen(s);
	const char *sp;

	if (s[0] == '@' && (sp = memchr(s, ' ', len)) != NULL)
		len -= (size_t)(sp + 1 - s);
	return len;
}

/* A long Hangul text split at 512 bytes exactly. */
static void
test_long(void)
{
	struct bridge_render_in in;
	struct store_message m;
	char *text, *joined;
	size_t i, n;

	text = calloc(1, 4096);
	for (i = 0; i < 400; i++)
		strcat(text, HANGUL);
	in_init(&in);
	msg_init(&m, 300, LOCO_MSG_TEXT, text, NULL);
	joined = check_long(&in, &m, NULL, 0, "", true, &n);
	is_int(n, ==, 3);
	is_str(joined, text);
	free(joined);

	/* ASCII: the first line is exactly 512 bytes with CRLF, the second
	 * holds the rest, with and without a stamp. */
	memset(text, 'x', 600);
	text[600] = '\0';
	msg_init(&m, 300, LOCO_MSG_TEXT, text, NULL);
	is_int(render(&in, &m), ==, 2);
	is_int(body_len(lines), ==, IRC_MSG_LINE_MAX - 2);
	/* ":민수!300@kakao PRIVMSG #room :" is 33 bytes: 477 + 123 x's. */
	is_int(body_len(strchr(lines, '\n') + 1), ==, 33 + 123);
	in.replay = true;
	in.server_time = false;
	is_int(render(&in, &m), ==, 2);
	is_int(body_len(lines), ==, IRC_MSG_LINE_MAX - 2);
	in.replay = false;
	in.server_time = true;

	/* Words: cuts fall on spaces, which are dropped. */
	text[0] = '\0';
	for (i = 0; i < 200; i++)
		strcat(text,
		    i == 0 ? HANGUL HANGUL "abc" : " " HANGUL HANGUL "abc");
	msg_init(&m, 300, LOCO_MSG_TEXT, text, NULL);
	joined = check_long(&in, &m, NULL, 0, " ", false, &n);
	is_int(n, >=, 5);
	is_str(joined, text);
	free(joined);

	/* The stamp counts on every line, in a query with a long target. */
	text[0] = '\0';
	for (i = 0; i < 400; i++)
		strcat(text, HANGUL);
	msg_init(&m, 300, LOCO_MSG_TEXT, text, NULL);
	in.replay = true;
	in.server_time = false;
	in.query = true;
	in.target = "\xeb\xaf\xbc\xec\x88\x98";
	in.own_nick = "a_rather_long_own_nick_for_budget";
	joined = check_long(&in, &m, NULL, strlen("[06:07] "), "", true, &n);
	is_int(n, ==, 3);
	is_str(joined, text);
	free(joined);

	/* The reply prefix counts on the first line. */
	in_init(&in);
	in.reply_prefix = true;
	msg_init(&m, 300, LOCO_MSG_REPLY, text,
	    "{\"src_logId\":1000,\"src_userId\":200,\"src_type\":1}");
	joined = check_long(&in, &m, "\xe2\x86\xaa Carol: ", 0, "", true, &n);
	is_int(n, ==, 3);
	is_str(joined, text);
	free(joined);
	free(text);
}

/* Replies: tags, prefix, snippet. */
static void
test_reply(void)
{
	struct bridge_render_in in;
	struct store_message m;
	char src[256], want[1024];
	size_t i;

	in_init(&in);
	msg_init(&m, 100, LOCO_MSG_REPLY, "sure",
	    "{\"src_logId\":1000,\"src_userId\":200,"
	    "\"src_message\":\"lunch?\\nat noon\",\"src_type\":1}");
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME ";+reply=42-1000;+draft/reply=42-1000"
	    " :Bob!100@kakao PRIVMSG #room :sure");

	in.reply_prefix = true;
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME ";+reply=42-1000;+draft/reply=42-1000"
	    " :Bob!100@kakao PRIVMSG #room"
	    " :\xe2\x86\xaa Carol: \"lunch? at noon\" | sure");

	/* A multi-line reply: tags and prefix on the first line only. */
	msg_init(&m, OWN, LOCO_MSG_REPLY, "yes\nsee you",
	    "{\"src_logId\":1000,\"src_userId\":100,\"src_type\":1}");
	is_int(render(&in, &m), ==, 2);
	is_str(lines,
	    "@msgid=42-1001;" TIME ";+reply=42-1000;+draft/reply=42-1000"
	    " :me!1@kakao PRIVMSG #room :\xe2\x86\xaa Bob: yes\n"
	    "@" TIME " :me!1@kakao PRIVMSG #room :see you");

	/* A long snippet is cut at a character with an ellipsis. */
	strcpy(src, "a");
	for (i = 0; i < 25; i++)
		strcat(src, HANGUL);
	snprintf(want, sizeof want,
	    "{\"src_logId\":7,\"src_userId\":1,\"src_message\":\"%s\"}", src);
	msg_init(&m, 100, LOCO_MSG_REPLY, "ok", want);
	is_int(render(&in, &m), ==, 1);
	strcpy(src, "a");
	for (i = 0; i < 19; i++) /* 1 + 19 * 3 = 58 <= 60 < 61 */
		strcat(src, HANGUL);
	snprintf(want, sizeof want,
	    "@msgid=42-1001;" TIME ";+reply=42-7;+draft/reply=42-7"
	    " :Bob!100@kakao PRIVMSG #room :\xe2\x86\xaa me: "
	    "\"%s\xe2\x80\xa6\" | ok",
	    src);
	is_str(lines, want);

	/* Exactly at the limit: no ellipsis. */
	src[0] = '\0';
	for (i = 0; i < 20; i++)
		strcat(src, HANGUL);
	snprintf(want, sizeof want,
	    "{\"src_logId\":7,\"src_userId\":200,\"src_message\":\"%s\"}", src);
	msg_init(&m, 100, LOCO_MSG_REPLY, "ok", want);
	is_int(render(&in, &m), ==, 1);
	snprintf(want, sizeof want,
	    "@msgid=42-1001;" TIME ";+reply=42-7;+draft/reply=42-7"
	    " :Bob!100@kakao PRIVMSG #room :\xe2\x86\xaa Carol: \"%s\" | ok",
	    src);
	is_str(lines, want);

	/* A broken attachment: a plain message. */
	msg_init(&m, 100, LOCO_MSG_REPLY, "plain", "{not json");
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME " :Bob!100@kakao PRIVMSG #room :plain");
}

/* Photos, files, emoticons and unknown types. */
static void
test_media(void)
{
	struct bridge_render_in in;
	struct store_message m;

	in_init(&in);
	msg_init(&m, 100, LOCO_MSG_PHOTO, "",
	    "{\"url\":\"https://dn.example/p.jpg\",\"k\":\"abc\",\"s\":1000,"
	    "\"w\":640,\"h\":480}");
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME
	    " :Bob!100@kakao PRIVMSG #room :[Photo] https://dn.example/p.jpg");

	msg_init(&m, 100, LOCO_MSG_FILE, "report.pdf",
	    "{\"url\":\"https://dn.example/f\",\"name\":\"report.pdf\","
	    "\"size\":1536}");
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME
	    " :Bob!100@kakao PRIVMSG #room :[File] report.pdf (1.5 KB) "
	    "https://dn.example/f report.pdf");

	msg_init(&m, 100, LOCO_MSG_FILE, NULL,
	    "{\"url\":\"https://dn.example/g\",\"name\":\"a b.txt\","
	    "\"size\":12}");
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME
	    " :Bob!100@kakao PRIVMSG #room :[File] a b.txt (12 B) "
	    "https://dn.example/g");

	msg_init(&m, 100, LOCO_MSG_AUDIO, "",
	    "{\"url\":\"https://dn.example/v.m4a\",\"d\":3000}");
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME
	    " :Bob!100@kakao PRIVMSG #room :[Voice message] "
	    "https://dn.example/v.m4a");

	msg_init(&m, 100, LOCO_MSG_MULTIPHOTO, "",
	    "{\"imageUrls\":[\"https://dn.example/1\",\"https://dn.example/"
	    "2\"]}");
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME
	    " :Bob!100@kakao PRIVMSG #room :[Photos] https://dn.example/1 "
	    "https://dn.example/2");

	/* A photo whose attachment is broken still says what it was. */
	msg_init(&m, 100, LOCO_MSG_PHOTO, NULL, "[1,2");
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME " :Bob!100@kakao PRIVMSG #room :[Photo]");

	msg_init(&m, 100, LOCO_MSG_STICKER, "(wink)", "{\"path\":\"x.png\"}");
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME
	    " :Bob!100@kakao PRIVMSG #room :[Emoticon] (wink)");
	msg_init(&m, 100, LOCO_MSG_STICKERANI, "", NULL);
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME " :Bob!100@kakao PRIVMSG #room :[Emoticon]");

	msg_init(&m, 100, 99, "something new", NULL);
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME
	    " :Bob!100@kakao PRIVMSG #room :[Unknown] something new");
	msg_init(&m, 100, LOCO_MSG_MAP, "Seoul Station", "{\"lat\":37.5}");
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME
	    " :Bob!100@kakao PRIVMSG #room :[Location] Seoul Station");
}

/* Feeds: notices from the server, unknown ones dropped. */
static void
test_feed(void)
{
	struct bridge_render_in in;
	struct store_message m;

	in_init(&in);
	msg_init(&m, 100, LOCO_MSG_FEED,
	    "{\"feedType\":1,\"inviter\":{\"userId\":100,\"nickName\":\"B\"},"
	    "\"members\":[{\"userId\":200,\"nickName\":\"C\"},"
	    "{\"userId\":999,\"nickName\":\"Zed\"}]}",
	    NULL);
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME
	    " :irc.test NOTICE #room :Bob invited Carol, Zed");

	msg_init(&m, 400, LOCO_MSG_FEED,
	    "{\"feedType\":2,\"member\":{\"userId\":400,\"nickName\":\"D\"}}",
	    NULL);
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME " :irc.test NOTICE #room :Dave left");

	msg_init(&m, 400, LOCO_MSG_FEED,
	    "{\"feedType\":4,\"members\":[{\"userId\":\"998\","
	    "\"nickName\":\"New\"}]}",
	    NULL);
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME " :irc.test NOTICE #room :New joined");

	msg_init(&m, 400, LOCO_MSG_FEED,
	    "{\"feedType\":6,\"member\":{\"userId\":997}}", NULL);
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME " :irc.test NOTICE #room :997 was removed");

	msg_init(&m, 400, LOCO_MSG_FEED,
	    "{\"feedType\":11,\"member\":{\"userId\":1}}", NULL);
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME
	    " :irc.test NOTICE #room :me is now a manager");

	msg_init(&m, 400, LOCO_MSG_FEED,
	    "{\"feedType\":15,\"prevHost\":{\"userId\":100,\"nickName\":\"B\"},"
	    "\"newHost\":{\"userId\":996,\"nickName\":\"Neo\"}}",
	    NULL);
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME
	    " :irc.test NOTICE #room :Bob handed the host role to Neo");

	msg_init(&m, 100, LOCO_MSG_FEED,
	    "{\"feedType\":14,\"logId\":1000,\"hidden\":true}", NULL);
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME
	    " :irc.test NOTICE #room :a message was deleted");

	/* In a query the notice goes to the client itself. */
	in.query = true;
	in.target = "Bob";
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME
	    " :irc.test NOTICE me :a message was deleted");

	/* Unknown, broken or incomplete feeds are dropped. */
	msg_init(&m, 100, LOCO_MSG_FEED, "{\"feedType\":10}", NULL);
	is_int(render(&in, &m), ==, 0);
	msg_init(&m, 100, LOCO_MSG_FEED, "{\"feedType\":", NULL);
	is_int(render(&in, &m), ==, 0);
	msg_init(&m, 100, LOCO_MSG_FEED, "{\"feedType\":2}", NULL);
	is_int(render(&in, &m), ==, 0);
	msg_init(&m, 100, LOCO_MSG_FEED, NULL, NULL);
	is_int(render(&in, &m), ==, 0);
}

/* Invalid UTF-8 repaired; controls stripped but formatting kept. */
static void
test_clean(void)
{
	struct bridge_render_in in;
	struct store_message m;

	in_init(&in);
	msg_init(&m, 100, LOCO_MSG_TEXT,
	    "a\xff"
	    "b\xe3\x81",
	    NULL);
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME " :Bob!100@kakao PRIVMSG #room"
	    " :a\xef\xbf\xbd"
	    "b\xef\xbf\xbd\xef\xbf\xbd");

	msg_init(&m, 100, LOCO_MSG_TEXT,
	    "x\001y \002bold\002\x7f\tz\x1b[0m \x03"
	    "4red",
	    NULL);
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME " :Bob!100@kakao PRIVMSG #room"
	    " :xy \002bold\002 z[0m \x03"
	    "4red");

	/* A line of nothing but controls disappears. */
	msg_init(&m, 100, LOCO_MSG_TEXT, "\001\001\nok", NULL);
	is_int(render(&in, &m), ==, 1);
	is_str(lines,
	    "@msgid=42-1001;" TIME " :Bob!100@kakao PRIVMSG #room :ok");
}

/* msgid round trip and rejection of everything else. */
static void
test_msgid(void)
{
	static const char *bad[] = {"", "1-", "-1", "a-b", "1", "1-2-3", "1-2x",
	    " 1-2", "+1-2", "01-2", "1-02", "9223372036854775808-1",
	    "1-9223372036854775808", "99999999999999999999-1", "1--2", NULL};
	char buf[48];
	int64_t c = -1, l = -1;
	size_t i;

	bridge_render_msgid(CHAT, 1001, buf, sizeof buf);
	is_str(buf, "42-1001");
	ok(bridge_render_parse_msgid(buf, &c, &l), "parse 42-1001");
	is_int(c, ==, CHAT);
	is_int(l, ==, 1001);

	bridge_render_msgid(INT64_MAX, 0, buf, sizeof buf);
	is_str(buf, "9223372036854775807-0");
	ok(bridge_render_parse_msgid(buf, &c, &l), "parse INT64_MAX");
	is_int(c, ==, INT64_MAX);
	is_int(l, ==, 0);

	for (i = 0; bad[i] != NULL; i++) {
		c = l = 5;
		ok(!bridge_render_parse_msgid(bad[i], &c, &l) && c == 5 &&
		        l == 5,
		    "reject msgid '%s'", bad[i]);
	}
	ok(!bridge_render_parse_msgid(NULL, &c, &l), "reject NULL");

	bridge_render_time(T0, buf, sizeof buf);
	is_str(buf, "2024-03-05T06:07:08.000Z");
	bridge_render_time(0, buf, sizeof buf);
	is_str(buf, "1970-01-01T00:00:00.000Z");
	bridge_render_time(INT64_MAX, buf, sizeof buf);
	is_int(strlen(buf), ==, 24);
}

/* IRC -> Kakao text. */
static void
test_outgoing(void)
{
	char *s;

	s = bridge_render_outgoing("me", "\001ACTION waves\001");
	is_str(s, "* me waves");
	free(s);
	s = bridge_render_outgoing("me", "\001ACTION waves");
	is_str(s, "* me waves");
	free(s);
	s = bridge_render_outgoing("me", "\001VERSION\001");
	ok(s == NULL, "VERSION CTCP: nothing to send");
	free(s);
	s = bridge_render_outgoing("me", "\001ACTION\001");
	ok(s == NULL, "empty ACTION: nothing to send");
	free(s);
	s = bridge_render_outgoing("me",
	    "\x03"
	    "4,12red\x03 \x02"
	    "bold\x0f \x03"
	    "5,x \x04"
	    "ff00AA"
	    "hex\x1d"
	    "it\x03"
	    "123");
	is_str(s, "red bold ,x hexit3");
	free(s);
	s = bridge_render_outgoing("me", "plain \xff text");
	is_str(s, "plain \xef\xbf\xbd text");
	free(s);
	s = bridge_render_outgoing("me",
	    "\x02\x03"
	    "4\x0f");
	ok(s == NULL, "formatting only: nothing to send");
	free(s);
	s = bridge_render_outgoing("me", "");
	ok(s == NULL, "empty: nothing to send");
	free(s);
	s = bridge_render_outgoing("me", NULL);
	ok(s == NULL, "NULL: nothing to send");
	free(s);
}

int
main(void)
{
	tap_init(0);
	setenv("TZ", "UTC", 1);
	tzset();
	test_text();
	test_self();
	test_stamp();
	test_long();
	test_reply();
	test_media();
	test_feed();
	test_clean();
	test_msgid();
	test_outgoing();
	return done_testing();
}
