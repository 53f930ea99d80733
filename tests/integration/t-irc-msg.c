/* locoirc: see LICENSE.
 *
 * Messages both ways through locoircd: PRIVMSG to a channel or a peer's
 * nick becomes a WRITE that locosim stores in the right chat (Korean text
 * included); members' messages reach the client with their nick!id@kakao
 * and msgid "<chatId>-<logId>"; a long Kakao text is cut at UTF-8
 * boundaries into lines of at most 512 bytes that join back to the text,
 * its msgid on the first line only.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon-fixture.h"
#include "ircc.h"
#include "irc-text.h"
#include "tap.h"

/* Whether locosim's log of chat holds a message with exactly text. */
static bool
sim_has(struct dfix *f, int64_t chat, const char *text)
{
	struct dfix_msg *m = NULL;
	ssize_t n = dfix_sim_log(f, chat, &m), i;
	bool found = false;

	for (i = 0; i < n; i++)
		if (strcmp(m[i].text, text) == 0)
			found = true;
	if (!found)
		diag("chat %lld has no message '%s' (%zd messages)",
		    (long long)chat, text, n);
	dfix_msgs_free(m, n);
	return found;
}

/* IRC to Kakao: PRIVMSG, acknowledged by its echo. */
static void
to_kakao(struct dfix *f, struct ircc *c, const char *target, int64_t chat,
    const char *text)
{
	char want[600];

	ircc_send(c, "PRIVMSG %s :%s", target, text);
	snprintf(want, sizeof want, " PRIVMSG %s :%s", target, text);
	ok(ircc_expect(c, "PRIVMSG", want), "PRIVMSG %s is echoed", target);
	ok(sim_has(f, chat, text), "locosim's chat %lld holds '%s'",
	    (long long)chat, text);
}

/* Kakao to IRC: one member's message, exactly as expected. */
static void
from_kakao(struct dfix *f, struct ircc *c, int64_t chat, int64_t author,
    const char *text, const char *want_prefix)
{
	char want[1024], msgid[64], *l, *v;
	int64_t id;

	id = dfix_ctl_num(f, "send %lld %lld %s", (long long)chat,
	    (long long)author, text);
	snprintf(msgid, sizeof msgid, "%lld-%lld", (long long)chat,
	    (long long)id);
	snprintf(want, sizeof want, "%s:%s", want_prefix, text);
	l = ircc_wait(c, "PRIVMSG", text);
	ok(l != NULL && strstr(l, want) != NULL &&
	        strcmp(strstr(l, want), want) == 0,
	    "'%s' arrives as %s", text, want);
	if (l != NULL && strstr(l, want) == NULL)
		diag("got: %s", l);
	v = l ? ircc_tag(l, "msgid") : NULL;
	is_str(v, msgid);
	free(v);
	free(l);
}

/* A long Korean text: UTF-8-safe pieces of <= 512 bytes. */
static void
long_text(struct dfix *f, struct ircc *c)
{
	struct ircc_lines got = {NULL, 0};
	char text[4000], joined[8000] = "", msgid[64];
	size_t i, pieces = 0, over = 0, bad = 0, with_id = 0;
	int64_t id;

	/* 600 characters of 3 bytes and an ASCII x after every two, so the
	 * grid shifts and there is no space to prefer as a cut. */
	text[0] = '\0';
	for (i = 0; i < 300; i++)
		strcat(text, "\xea\xb0\x80\xeb\x82\x98x");
	id = dfix_ctl_num(f, "send %lld %lld %s", (long long)DFIX_GROUP,
	    (long long)DFIX_BOB, text);
	snprintf(msgid, sizeof msgid, "10-%lld", (long long)id);
	{
		char want[80], *first;

		/* The first piece carries the msgid; the rest follow it
		 * before anything later, so a round-trip collects them. */
		snprintf(want, sizeof want, "msgid=%s", msgid);
		first = ircc_wait(c, "PRIVMSG", want);
		if (!ok(first != NULL, "the long text arrives"))
			goto out;
		ircc_lines_add(&got, first);
		free(first);
	}
	if (!ok(ircc_sync(c, &got), "and the rest of it"))
		goto out;
	for (i = 0; i < got.n; i++) {
		char *p;

		if (!ircc_match(got.v[i], "PRIVMSG", "#Group :"))
			continue;
		p = ircc_param(got.v[i], 1);
		if (p != NULL && strlen(joined) + strlen(p) < sizeof joined)
			strcat(joined, p);
		free(p);
	}
	for (i = 0; i < got.n; i++) {
		char *p;

		if (!ircc_match(got.v[i], "PRIVMSG", "#Group :"))
			continue;
		pieces++;
		if (ircc_body_len(got.v[i]) > 512) {
			over++;
			diag("%zu bytes: %s", ircc_body_len(got.v[i]),
			    got.v[i]);
		}
		p = ircc_param(got.v[i], 1);
		if (p == NULL || !irc_text_utf8_valid(p, strlen(p)))
			bad++;
		free(p);
		p = ircc_tag(got.v[i], "msgid");
		if (p != NULL) {
			with_id++;
			ok(pieces == 1 && strcmp(p, msgid) == 0,
			    "msgid %s on the first piece only (got %s)", msgid,
			    p);
		}
		free(p);
	}
	ok(pieces >= 3, "2100 bytes take several lines (%zu)", pieces);
	is_int(over, ==, 0);
	is_int(bad, ==, 0);
	is_int(with_id, ==, 1);
	ok(strcmp(joined, text) == 0, "the pieces join back to the text");
out:
	ircc_lines_free(&got);
}

int
main(void)
{
	static struct dfix f; /* read by the fixture's atexit handler */
	struct ircc *c = NULL;

	tap_init(120);
	dfix_init(&f);
	ircc_set_pump(dfix_pump_now, &f);
	if (!dfix_irc_boot(&f, NULL))
		goto out;
	c = ircc_attach(f.irc_port, "msg", "msg",
	    "echo-message message-tags server-time", true, NULL);
	if (!ok(c != NULL, "a client attaches"))
		goto out;

	to_kakao(&f, c, "#Group", DFIX_GROUP, "hello from irc");
	to_kakao(&f, c, "Bob", DFIX_DIRECT, "a word in private");
	to_kakao(&f, c, "#Second_Room", DFIX_SECOND,
	    DFIX_ANNYEONG " " DFIX_MINSU_NICK);
	to_kakao(&f, c, "*memo", DFIX_MEMO, "remember the milk");
	/* CTCP ACTION becomes text (IRC.md 4.3). */
	ircc_send(c, "PRIVMSG #Group :\001ACTION waves\001");
	{
		char *l = ircc_wait(c, "PRIVMSG", "waves");

		ok(l != NULL, "an ACTION is echoed");
		/* echo-message gives the sender its message as it was sent
		 * (ircv3 echo-message), so clients show it as an action. */
		ok(l != NULL && strstr(l, ":\001ACTION waves\001") != NULL,
		    "as a CTCP ACTION (%s)", l ? l : "none");
		free(l);
	}
	{
		struct dfix_msg *m = NULL;
		ssize_t n = dfix_sim_log(&f, DFIX_GROUP, &m);

		ok(n > 0 && strstr(m[n - 1].text, "waves") != NULL &&
		        strchr(m[n - 1].text, '\001') == NULL,
		    "the ACTION reaches Kakao as text without CTCP bytes "
		    "(%s)",
		    n > 0 ? m[n - 1].text : "none");
		dfix_msgs_free(m, n);
	}

	from_kakao(&f, c, DFIX_GROUP, DFIX_BOB, "from bob",
	    " :Bob!7000000002@kakao PRIVMSG #Group ");
	from_kakao(&f, c, DFIX_GROUP, DFIX_CAROL, "from carol",
	    " :Carol!7000000003@kakao PRIVMSG #Group ");
	from_kakao(&f, c, DFIX_DIRECT, DFIX_BOB, "bob whispers",
	    " :Bob!7000000002@kakao PRIVMSG alice ");
	from_kakao(&f, c, DFIX_SECOND, DFIX_MINSU,
	    DFIX_ANNYEONG "\xed\x95\x98\xec\x84\xb8\xec\x9a\x94",
	    " :" DFIX_MINSU_NICK "!7000000004@kakao PRIVMSG #Second_Room ");
	long_text(&f, c);

	/* A target that is no chat. */
	ircc_send(c, "PRIVMSG #nowhere :lost");
	{
		char *l = ircc_wait(c, NULL, "#nowhere");

		ok(l != NULL &&
		        (ircc_match(l, "401", NULL) ||
		            ircc_match(l, "403", NULL) ||
		            ircc_match(l, "404", NULL)),
		    "PRIVMSG to an unknown channel: 401/403/404 (%s)",
		    l ? l : "none");
		free(l);
	}
	ok(ircc_sync(c, NULL), "the client is still served");
out:
	ircc_free(c);
	dfix_irc_end(&f);
	free(f.log);
	return done_testing();
}
