/* locoirc: see LICENSE.
 *
 * Tests of the IRC line codec: the examples of ircv3 message-tags.md and
 * modern.ircdocs.horse, every tag escape both ways, the 512-byte, 4094-byte
 * and 15-parameter limits at their edges, trailing forms, the line reader
 * over CRLF, bare LF and split reads, and refusals. Expected strings are
 * written by hand from the specifications, not produced by our writer.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "irc-msg.h"
#include "irc-numeric.h"
#include "tap.h"

static int parse(struct irc_msg *m, const char *line, enum irc_msg_err *why);
static int parse_o(struct irc_msg *m, const char *line,
    enum irc_msg_origin origin, enum irc_msg_err *why);
static void test_spec_examples(void);
static void test_escapes(void);
static void test_commands(void);
static void test_limits(void);
static void test_params(void);
static void test_refusals(void);
static void test_writer(void);
static void test_round_trips(void);
static void test_reader(void);
static void test_numerics(void);

/* Parse a NUL-terminated line as sent by a client. */
static int
parse(struct irc_msg *m, const char *line, enum irc_msg_err *why)
{
	return parse_o(m, line, IRC_MSG_FROM_CLIENT, why);
}

/* Parse a NUL-terminated line from origin. */
static int
parse_o(struct irc_msg *m, const char *line, enum irc_msg_origin origin,
    enum irc_msg_err *why)
{
	return irc_msg_parse(m, line, strlen(line), origin, why);
}

/* The examples of ircv3 extensions/message-tags.md. */
static void
test_spec_examples(void)
{
	struct irc_msg m;
	enum irc_msg_err why;

	irc_msg_init(&m);
	is_int(parse(&m,
	           "@aaa=bbb;ccc;example.com/ddd=eee "
	           ":nick!ident@host.com PRIVMSG me :Hello",
	           &why),
	    ==, 0);
	is_uint(m.ntags, ==, 3);
	if (m.ntags == 3) {
		is_str(m.tags[0].key, "aaa");
		is_str(m.tags[0].value, "bbb");
		is_str(m.tags[1].key, "ccc");
		is_str(m.tags[1].value, "");
		is_str(m.tags[2].key, "example.com/ddd");
		is_str(m.tags[2].value, "eee");
		ok(!m.tags[0].client_only && !m.tags[2].client_only,
		    "server tags are not client-only");
	}
	is_str(m.source, "nick!ident@host.com");
	is_str(m.nick, "nick");
	is_str(m.user, "ident");
	is_str(m.host, "host.com");
	is_str(m.command, "PRIVMSG");
	is_uint(m.nparams, ==, 2);
	is_str(m.params[0], "me");
	is_str(m.params[1], "Hello");
	ok(m.trailing, "trailing flag set");

	is_int(parse(&m,
	           "@+icon=https://example.com/favicon.png "
	           ":url_bot!bot@example.com PRIVMSG #channel "
	           ":Example.com: A News Story",
	           NULL),
	    ==, 0);
	ok(m.ntags == 1 && m.tags[0].client_only, "'+' marks a client tag");
	is_str(irc_msg_get_tag(&m, "icon", true),
	    "https://example.com/favicon.png");
	ok(irc_msg_get_tag(&m, "icon", false) == NULL,
	    "client tag not found as a server tag");
	is_str(m.params[1], "Example.com: A News Story");

	is_int(parse(&m,
	           "@url=;netsplit=tur,ty :nick!ident@host.com "
	           "PRIVMSG me :Hello",
	           NULL),
	    ==, 0);
	is_str(irc_msg_get_tag(&m, "url", false), "");
	is_str(irc_msg_get_tag(&m, "netsplit", false), "tur,ty");

	/* Duplicate keys: the last one wins on lookup. */
	is_int(parse(&m, "@a=1;a=2 PING x", NULL), ==, 0);
	is_str(irc_msg_get_tag(&m, "a", false), "2");
	irc_msg_release(&m);
}

/* Every escape of message-tags.md, both ways. */
static void
test_escapes(void)
{
	struct irc_msg m;
	char buf[256];
	char *s;

	s = irc_msg_tag_unescape("a\\:b\\sc\\\\d\\re\\nf", 17);
	is_str(s, "a;b c\\d\re\nf");
	free(s);
	s = irc_msg_tag_unescape("x\\", 2);
	is_str(s, "x");
	free(s);
	s = irc_msg_tag_unescape("\\b\\", 3);
	is_str(s, "b");
	free(s);
	s = irc_msg_tag_unescape("", 0);
	is_str(s, "");
	free(s);
	s = irc_msg_tag_escape("a;b c\\d\re\nf");
	is_str(s, "a\\:b\\sc\\\\d\\re\\nf");
	free(s);

	irc_msg_init(&m);
	is_int(parse(&m, "@k=\\:\\s\\\\\\r\\n;j=end\\ PING", NULL), ==, 0);
	is_str(irc_msg_get_tag(&m, "k", false), "; \\\r\n");
	is_str(irc_msg_get_tag(&m, "j", false), "end");
	is_int(irc_msg_format(&m, buf, sizeof buf), >, 0);
	is_str(buf, "@k=\\:\\s\\\\\\r\\n;j=end PING");
	irc_msg_release(&m);
}

/* Verbs are upper-cased, numerics kept, junk refused. */
static void
test_commands(void)
{
	struct irc_msg m;
	enum irc_msg_err why;

	irc_msg_init(&m);
	is_int(parse(&m, "privMsg #a :hi", NULL), ==, 0);
	is_str(m.command, "PRIVMSG");
	is_int(parse_o(&m, ":irc.example.com 001 nick :Welcome",
	           IRC_MSG_FROM_SERVER, NULL),
	    ==, 0);
	is_str(m.command, "001");
	is_str(m.nick, "irc.example.com");
	ok(m.user == NULL && m.host == NULL, "server source has no user@host");
	is_int(parse(&m, ":n@h JOIN #x", NULL), ==, 0);
	ok(m.user == NULL, "nick@host has no user");
	is_str(m.host, "h");
	is_int(parse(&m, "PRIV-MSG x", &why), ==, -1);
	is_int(why, ==, IRC_MSG_ERR_BAD_COMMAND);
	is_int(parse(&m, "01 x", &why), ==, -1);
	is_int(why, ==, IRC_MSG_ERR_BAD_COMMAND);
	is_int(parse(&m, "0011 x", &why), ==, -1);
	is_int(why, ==, IRC_MSG_ERR_BAD_COMMAND);
	irc_msg_release(&m);
}

/* 512 bytes with CRLF (510 without), 4094 bytes of client tag data. */
static void
test_limits(void)
{
	struct irc_msg m;
	enum irc_msg_err why;
	char *line, *tags;

	irc_msg_init(&m);
	/* "PRIVMSG #a :" is 12 bytes; pad to 510 and 511. */
	line = malloc(600);
	strcpy(line, "PRIVMSG #a :");
	memset(line + 12, 'x', 498);
	line[510] = '\0';
	is_int(parse(&m, line, &why), ==, 0);
	is_uint(strlen(m.params[1]), ==, 498);
	line[510] = 'x';
	line[511] = '\0';
	is_int(parse(&m, line, &why), ==, -1);
	is_int(why, ==, IRC_MSG_ERR_TOO_LONG);
	is_str(irc_msg_err_string(why), "line too long");

	/* Tags do not count toward the 510: 4094 bytes of tag data + 510. */
	tags = malloc(4094 + 2 + 511);
	tags[0] = '@';
	tags[1] = 'k';
	tags[2] = '=';
	memset(tags + 3, 'v', 4094 - 2);
	tags[4095] = ' ';
	line[510] = '\0';
	strcpy(tags + 4096, line);
	is_int(parse(&m, tags, &why), ==, 0);
	is_uint(strlen(irc_msg_get_tag(&m, "k", false)), ==, 4092);
	free(tags);

	tags = malloc(4095 + 2 + 8);
	tags[0] = '@';
	tags[1] = 'k';
	tags[2] = '=';
	memset(tags + 3, 'v', 4095 - 2);
	strcpy(tags + 4096, " PING x");
	is_int(parse(&m, tags, &why), ==, -1);
	is_int(why, ==, IRC_MSG_ERR_TAGS_LONG);
	/* A server may send more: up to 8191 bytes of section. */
	is_int(parse_o(&m, tags, IRC_MSG_FROM_SERVER, &why), ==, 0);
	free(tags);

	tags = malloc(8189 + 3 + 8);
	tags[0] = '@';
	memset(tags + 1, 'k', 8189);
	strcpy(tags + 8190, " PING x");
	is_int(parse_o(&m, tags, IRC_MSG_FROM_SERVER, &why), ==, 0);
	tags[8190] = 'k';
	strcpy(tags + 8191, " PING x");
	is_int(parse_o(&m, tags, IRC_MSG_FROM_SERVER, &why), ==, -1);
	is_int(why, ==, IRC_MSG_ERR_TAGS_LONG);
	free(tags);
	free(line);
	irc_msg_release(&m);
}

/* 15 params pass, 16 do not, however the last one is written. */
static void
test_params(void)
{
	struct irc_msg m;
	enum irc_msg_err why;
	int i;

	irc_msg_init(&m);
	is_int(parse(&m, "CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15", &why), ==,
	    0);
	is_uint(m.nparams, ==, 15);
	is_str(m.params[14], "15");
	ok(!m.trailing, "no trailing");
	is_int(parse(&m, "CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 :15 x", &why),
	    ==, 0);
	is_str(m.params[14], "15 x");
	is_int(parse(&m, "CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", &why),
	    ==, -1);
	is_int(why, ==, IRC_MSG_ERR_PARAMS);
	is_int(parse(&m, "CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 :16", &why),
	    ==, -1);
	is_int(why, ==, IRC_MSG_ERR_PARAMS);

	/* Spacing: repeated and trailing spaces are not parameters. */
	is_int(parse(&m, "  MODE   #a  +o   x  ", &why), ==, 0);
	is_uint(m.nparams, ==, 3);
	is_str(m.params[2], "x");
	/* An empty trailing parameter is kept; so are its spaces. */
	is_int(parse(&m, "PRIVMSG #a :", &why), ==, 0);
	is_uint(m.nparams, ==, 2);
	is_str(m.params[1], "");
	is_int(parse(&m, "PRIVMSG #a :  two  ", &why), ==, 0);
	is_str(m.params[1], "  two  ");
	is_int(parse(&m, "PRIVMSG #a ::-)", &why), ==, 0);
	is_str(m.params[1], ":-)");

	irc_msg_release(&m);
	irc_msg_set_command(&m, "x");
	for (i = 0; i < 15; i++)
		irc_msg_add_param(&m, "p");
	is_int(irc_msg_add_param(&m, "p"), ==, -1);
	irc_msg_release(&m);
}

/* Lines the parser must refuse, each with its reason. */
static void
test_refusals(void)
{
	static const struct {
		const char *line;
		size_t len;
		enum irc_msg_err why;
	} cases[] = {
	    {"", 0, IRC_MSG_ERR_EMPTY},
	    {"   ", 3, IRC_MSG_ERR_EMPTY},
	    {"PRIVMSG #a :a\0b", 15, IRC_MSG_ERR_NUL},
	    {"\0", 1, IRC_MSG_ERR_NUL},
	    {"PRIVMSG #a :a\rb", 15, IRC_MSG_ERR_CRLF},
	    {"PRIVMSG #a :a\nb", 15, IRC_MSG_ERR_CRLF},
	    {"@a=b", 4, IRC_MSG_ERR_NO_COMMAND},
	    {"@a=b ", 5, IRC_MSG_ERR_NO_COMMAND},
	    {":nick!u@h", 9, IRC_MSG_ERR_NO_COMMAND},
	    {":nick  ", 7, IRC_MSG_ERR_NO_COMMAND},
	    {": PING", 6, IRC_MSG_ERR_BAD_SOURCE},
	    {"@=x PING", 8, IRC_MSG_ERR_BAD_TAG},
	    {"@+ PING", 7, IRC_MSG_ERR_BAD_TAG},
	    {"@++a PING", 9, IRC_MSG_ERR_BAD_TAG},
	    {":a :b", 5, IRC_MSG_ERR_BAD_COMMAND},
	};
	struct irc_msg m;
	enum irc_msg_err why;
	size_t i;

	irc_msg_init(&m);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		why = IRC_MSG_OK;
		ok(irc_msg_parse(&m, cases[i].line, cases[i].len,
		       IRC_MSG_FROM_CLIENT, &why) == -1 &&
		        why == cases[i].why,
		    "refused %zu (%s, want %s)", i, irc_msg_err_string(why),
		    irc_msg_err_string(cases[i].why));
		ok(m.command == NULL && m.ntags == 0 && m.nparams == 0,
		    "msg left empty after refusal %zu", i);
	}
	irc_msg_release(&m);
}

/* Building messages: trailing choice, escaping, refusals, CRLF. */
static void
test_writer(void)
{
	struct irc_msg m;
	struct evbuffer *out;
	char buf[512], small[8];
	size_t n;

	irc_msg_init(&m);
	irc_msg_set_command(&m, "privmsg");
	irc_msg_set_source(&m, "김철수", "1234", "kakao");
	irc_msg_add_param(&m, "#a");
	irc_msg_add_param(&m, "word");
	is_int(irc_msg_format(&m, buf, sizeof buf), >, 0);
	is_str(buf, ":김철수!1234@kakao PRIVMSG #a word");
	m.trailing = true;
	irc_msg_format(&m, buf, sizeof buf);
	is_str(buf, ":김철수!1234@kakao PRIVMSG #a :word");
	m.trailing = false;
	free(m.params[1]);
	m.params[1] = strdup("two words");
	irc_msg_format(&m, buf, sizeof buf);
	is_str(buf, ":김철수!1234@kakao PRIVMSG #a :two words");
	free(m.params[1]);
	m.params[1] = strdup("");
	irc_msg_format(&m, buf, sizeof buf);
	is_str(buf, ":김철수!1234@kakao PRIVMSG #a :");
	free(m.params[1]);
	m.params[1] = strdup(":x");
	irc_msg_format(&m, buf, sizeof buf);
	is_str(buf, ":김철수!1234@kakao PRIVMSG #a ::x");
	is_int(irc_msg_format(&m, small, sizeof small), ==, -1);

	irc_msg_add_tag(&m, "time", "2024-01-02T03:04:05.000Z", false);
	irc_msg_add_tag(&m, "draft/react", "a b;c", true);
	irc_msg_add_tag(&m, "empty", NULL, false);
	irc_msg_format(&m, buf, sizeof buf);
	is_str(buf,
	    "@time=2024-01-02T03:04:05.000Z;+draft/react=a\\sb\\:c;"
	    "empty :김철수!1234@kakao PRIVMSG #a ::x");

	out = evbuffer_new();
	is_int(irc_msg_write(out, &m), ==, 0);
	n = evbuffer_get_length(out);
	ok(n > 2 && n < sizeof buf, "write appended a line");
	evbuffer_remove(out, buf, n);
	buf[n] = '\0';
	ok(n > 2 && buf[n - 2] == '\r' && buf[n - 1] == '\n',
	    "line ends in CRLF");

	/* Refusals: CR/LF in a param, bad middle params, bad tag keys. */
	free(m.params[1]);
	m.params[1] = strdup("a\r\nQUIT");
	is_int(irc_msg_format(&m, buf, sizeof buf), ==, -1);
	is_int(irc_msg_write(out, &m), ==, -1);
	is_uint(evbuffer_get_length(out), ==, 0);
	free(m.params[1]);
	m.params[1] = strdup("ok");
	free(m.params[0]);
	m.params[0] = strdup("#a b");
	is_int(irc_msg_format(&m, buf, sizeof buf), ==, -1);
	free(m.params[0]);
	m.params[0] = strdup("");
	is_int(irc_msg_format(&m, buf, sizeof buf), ==, -1);
	free(m.params[0]);
	m.params[0] = strdup(":a");
	is_int(irc_msg_format(&m, buf, sizeof buf), ==, -1);
	free(m.params[0]);
	m.params[0] = strdup("#a");
	is_int(irc_msg_format(&m, buf, sizeof buf), >, 0);
	irc_msg_add_tag(&m, "bad key", "v", false);
	is_int(irc_msg_format(&m, buf, sizeof buf), ==, -1);
	irc_msg_release(&m);

	irc_msg_add_param(&m, "x");
	is_int(irc_msg_format(&m, buf, sizeof buf), ==, -1);
	irc_msg_set_command(&m, "NOT A VERB");
	is_int(irc_msg_format(&m, buf, sizeof buf), ==, -1);
	irc_msg_set_command(&m, "pong");
	is_int(irc_msg_format(&m, buf, sizeof buf), >, 0);
	is_str(buf, "PONG x");
	evbuffer_free(out);
	irc_msg_release(&m);
}

/* parse -> format gives the canonical line; parsing that gives the same. */
static void
test_round_trips(void)
{
	static const char *const cases[][2] = {
	    {"PING", "PING"},
	    {"ping :", "PING :"},
	    {"@a=b;;c= :s!u@h  privmsg   #x   :hi there",
	        "@a=b;c :s!u@h PRIVMSG #x :hi there"},
	    {"@a=\\x\\ CAP LS 302", "@a=x CAP LS 302"},
	    {"@+example.com/k=v\\sw TAGMSG #a",
	        "@+example.com/k=v\\sw TAGMSG #a"},
	    {":irc 005 n A=1 B :are supported",
	        ":irc 005 n A=1 B :are supported"},
	    {"USER u 0 * :Real Name", "USER u 0 * :Real Name"},
	    {"PRIVMSG #한국 :안녕 😀", "PRIVMSG #한국 :안녕 😀"},
	};
	struct irc_msg a, b;
	char buf[512], buf2[512];
	size_t i;

	irc_msg_init(&a);
	irc_msg_init(&b);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (!ok(parse(&a, cases[i][0], NULL) == 0, "parse %zu", i))
			continue;
		ok(irc_msg_format(&a, buf, sizeof buf) > 0, "format %zu", i);
		is_str(buf, cases[i][1]);
		ok(parse(&b, buf, NULL) == 0, "reparse %zu", i);
		ok(irc_msg_format(&b, buf2, sizeof buf2) > 0 &&
		        strcmp(buf, buf2) == 0 && a.nparams == b.nparams &&
		        a.ntags == b.ntags && a.trailing == b.trailing,
		    "stable %zu", i);
	}
	irc_msg_release(&a);
	irc_msg_release(&b);
}

/* The line reader: CRLF, bare LF, split reads, the length limit. */
static void
test_reader(void)
{
	struct evbuffer *in = evbuffer_new();
	enum irc_msg_err why;
	char *line, *big;
	size_t len;

	evbuffer_add(in, "A\r\nB\n\r\nC", 8);
	is_int(irc_msg_read(in, IRC_MSG_LINE_MAX, &line, &len, &why), ==, 1);
	is_str(line, "A");
	free(line);
	is_int(irc_msg_read(in, IRC_MSG_LINE_MAX, &line, &len, &why), ==, 1);
	is_str(line, "B");
	free(line);
	is_int(irc_msg_read(in, IRC_MSG_LINE_MAX, &line, &len, &why), ==, 1);
	is_uint(len, ==, 0);
	free(line);
	is_int(irc_msg_read(in, IRC_MSG_LINE_MAX, &line, &len, &why), ==, 0);
	ok(line == NULL, "no line yet");
	evbuffer_add(in, "D\r", 2);
	is_int(irc_msg_read(in, IRC_MSG_LINE_MAX, &line, &len, &why), ==, 0);
	evbuffer_add(in, "\n", 1);
	is_int(irc_msg_read(in, IRC_MSG_LINE_MAX, &line, &len, &why), ==, 1);
	is_str(line, "CD");
	free(line);
	is_uint(evbuffer_get_length(in), ==, 0);

	/* A NUL byte survives the reader (and the parser refuses it). */
	evbuffer_add(in, "P\0Q\n", 4);
	is_int(irc_msg_read(in, IRC_MSG_LINE_MAX, &line, &len, &why), ==, 1);
	is_mem(line, len, "P\0Q", 3);
	free(line);

	/* 512 bytes with CRLF pass, 513 do not. */
	big = malloc(IRC_MSG_READ_MAX + 2);
	memset(big, 'x', 510);
	memcpy(big + 510, "\r\n", 2);
	evbuffer_add(in, big, 512);
	is_int(irc_msg_read(in, IRC_MSG_LINE_MAX, &line, &len, &why), ==, 1);
	is_uint(len, ==, 510);
	free(line);
	memset(big, 'x', 511);
	memcpy(big + 511, "\r\n", 2);
	evbuffer_add(in, big, 513);
	why = IRC_MSG_OK;
	is_int(irc_msg_read(in, IRC_MSG_LINE_MAX, &line, &len, &why), ==, -1);
	is_int(why, ==, IRC_MSG_ERR_TOO_LONG);
	ok(line == NULL, "no line on error");
	is_uint(evbuffer_get_length(in), ==, 513);
	/* With the message-tags allowance the same line is fine. */
	is_int(irc_msg_read(in, IRC_MSG_READ_MAX, &line, &len, &why), ==, 1);
	is_uint(len, ==, 511);
	free(line);
	/* 511 bytes and no EOL: wait; 512 and no EOL: too long. */
	evbuffer_add(in, big, 511);
	is_int(irc_msg_read(in, IRC_MSG_LINE_MAX, &line, &len, &why), ==, 0);
	evbuffer_add(in, "y", 1);
	is_int(irc_msg_read(in, IRC_MSG_LINE_MAX, &line, &len, &why), ==, -1);
	evbuffer_drain(in, evbuffer_get_length(in));
	/* An EOL beyond the limit does not count. */
	memset(big, 'x', 600);
	big[600] = '\n';
	evbuffer_add(in, big, 601);
	is_int(irc_msg_read(in, IRC_MSG_LINE_MAX, &line, &len, &why), ==, -1);
	free(big);
	evbuffer_free(in);
}

/* The numerics table: sorted, complete lookups, usable formats. */
static void
test_numerics(void)
{
	const struct irc_numeric *t;
	char buf[128];
	size_t n, i;
	bool sorted = true;

	t = irc_numeric_table(&n);
	for (i = 1; i < n; i++)
		if (t[i - 1].code >= t[i].code)
			sorted = false;
	ok(sorted, "table sorted by code, no duplicates");
	for (i = 0; i < n; i++)
		if (irc_numeric_lookup(t[i].code) != &t[i])
			break;
	is_uint(i, ==, n);
	is_str(irc_numeric_name(1), "RPL_WELCOME");
	is_str(irc_numeric_name(417), "ERR_INPUTTOOLONG");
	is_str(irc_numeric_name(908), "RPL_SASLMECHS");
	ok(irc_numeric_lookup(999) == NULL && irc_numeric_lookup(0) == NULL,
	    "unknown codes");
	is_int(IRC_ERR_NICKNAMEINUSE, ==, 433);
	snprintf(buf, sizeof buf, "%03d " IRC_ERR_NICKNAMEINUSE_FMT,
	    IRC_ERR_NICKNAMEINUSE, "me", "you");
	is_str(buf, "433 me you :Nickname is already in use");
	snprintf(buf, sizeof buf, "%03d " IRC_RPL_TOPICWHOTIME_FMT,
	    IRC_RPL_TOPICWHOTIME, "me", "#a", "kakao", 1700000000LL);
	is_str(buf, "333 me #a kakao 1700000000");
	ok(irc_numeric_stdreply("REDACT", "UNKNOWN_MSGID") != NULL,
	    "FAIL REDACT UNKNOWN_MSGID known");
	ok(irc_numeric_stdreply("REDACT", "NOPE") == NULL, "unknown reply");
}

int
main(void)
{
	tap_init(0);
	test_spec_examples();
	test_escapes();
	test_commands();
	test_limits();
	test_params();
	test_refusals();
	test_writer();
	test_round_trips();
	test_reader();
	test_numerics();
	return done_testing();
}
