/* locoirc: see LICENSE.
 *
 * Each capability's effect on what a client gets, one client per
 * combination, all attached to one locoircd: server-time and message-tags
 * tags present only when negotiated, echo-message, labeled-response
 * (label, ACK, labeled batch), batch around the backlog, userhost-in-names,
 * extended-join, account-tag, znc.in/self-message for messages typed on
 * the phone, and that every advertised capability can be requested.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon-fixture.h"
#include "ircc.h"
#include "irc-msg.h"
#include "tap.h"

/* Every capability the contract says locoircd offers. */
static const char *const all_caps[] = {"sasl", "server-time", "message-tags",
    "echo-message", "batch", "labeled-response", "multi-prefix",
    "userhost-in-names", "extended-join", "away-notify", "account-notify",
    "account-tag", "chghost", "invite-notify", "cap-notify", "setname",
    "standard-replies", "znc.in/self-message", "draft/chathistory",
    "draft/read-marker", "draft/message-redaction"};
#define NCAPS (sizeof all_caps / sizeof all_caps[0])

/* Whether line has tag key. */
static bool
has_tag(const char *line, const char *key)
{
	char *v = ircc_tag(line, key);

	free(v);
	return v != NULL;
}

/* CAP LS 302 lists every cap; each can be requested (and ACKed). */
static void
ls_and_req(struct dfix *f)
{
	struct ircc *c = ircc_connect(f->irc_port, "ls", 0);
	struct ircc_lines got = {NULL, 0};
	char all[2048] = "", *line;
	size_t i;

	if (!ok(c != NULL, "connect for CAP LS"))
		return;
	ircc_send(c, "CAP LS 302");
	/* Continuation lines carry '*' before the list. */
	for (;;) {
		if ((line = ircc_wait(c, "CAP", " LS ")) == NULL)
			break;
		strncat(all, strrchr(line, ':') ? strrchr(line, ':') : line,
		    sizeof all - strlen(all) - 2);
		strcat(all, " ");
		if (strstr(line, " LS * ") == NULL) {
			free(line);
			break;
		}
		free(line);
	}
	for (i = 0; i < NCAPS; i++) {
		char want1[64], want2[64];

		snprintf(want1, sizeof want1, "%s ", all_caps[i]);
		snprintf(want2, sizeof want2, "%s=", all_caps[i]);
		if (!ok((strstr(all, want1) != NULL &&
		            (strstr(all, want1) == all ||
		                strstr(all, want1)[-1] == ' ' ||
		                strstr(all, want1)[-1] == ':')) ||
		            strstr(all, want2) != NULL,
		        "CAP LS offers %s", all_caps[i]))
			diag("LS: %s", all);
	}
	for (i = 0; i < NCAPS; i++) {
		ircc_send(c, "CAP REQ :%s", all_caps[i]);
		line = ircc_wait(c, "CAP", NULL);
		ok(line != NULL && strstr(line, " ACK ") != NULL,
		    "CAP REQ %s is ACKed", all_caps[i]);
		free(line);
	}
	ircc_send(c, "CAP REQ :no-such-cap");
	ok(ircc_expect(c, "CAP", " NAK "), "an unknown cap is NAKed");
	ircc_send(c, "CAP LIST");
	line = ircc_wait(c, "CAP", " LIST ");
	ok(line != NULL && strstr(line, "cap-notify") != NULL &&
	        strstr(line, "standard-replies") != NULL &&
	        strstr(line, "setname") != NULL,
	    "CAP LIST shows what was enabled");
	free(line);
	ircc_lines_free(&got);
	ircc_free(c);
}

/* Find the line with text in what a client received up to a sync. */
static char *
got_line(struct ircc *c, const char *text)
{
	return ircc_wait(c, "PRIVMSG", text);
}

int
main(void)
{
	static struct dfix f; /* read by the fixture's atexit handler */
	struct ircc_lines b = {NULL, 0};
	struct ircc *st = NULL, *mt = NULL, *none = NULL, *echo = NULL;
	struct ircc *lab = NULL, *names = NULL, *self = NULL, *noself = NULL;
	char *l = NULL, *v = NULL, msgid[64];
	int64_t id;
	ssize_t i;

	tap_init(120);
	dfix_init(&f);
	ircc_set_pump(dfix_pump_now, &f);
	if (!dfix_irc_boot(&f, NULL))
		goto out;
	ls_and_req(&f);

	st = ircc_attach(f.irc_port, "st", "st", "server-time", true, NULL);
	mt = ircc_attach(f.irc_port, "mt", "mt", "message-tags", true, NULL);
	none = ircc_attach(f.irc_port, "none", "none", NULL, true, NULL);
	echo = ircc_attach(f.irc_port, "echo", "echo",
	    "echo-message message-tags", true, NULL);
	lab = ircc_attach(f.irc_port, "lab", "lab",
	    "labeled-response batch echo-message message-tags", true, NULL);
	if (!ok(st && mt && none && echo && lab, "five clients attach"))
		goto out;

	/* A member's message: tags by cap. */
	id = dfix_ctl_num(&f, "send %lld %lld tick", (long long)DFIX_GROUP,
	    (long long)DFIX_BOB);
	snprintf(msgid, sizeof msgid, "10-%lld", (long long)id);
	l = got_line(st, "#Group :tick");
	ok(l != NULL && has_tag(l, "time"), "server-time: a time tag");
	ok(l != NULL && !has_tag(l, "msgid"), "server-time alone: no msgid");
	free(l);
	l = got_line(mt, "#Group :tick");
	v = l ? ircc_tag(l, "msgid") : NULL;
	is_str(v, msgid);
	ok(l != NULL && !has_tag(l, "time"), "message-tags alone: no time");
	free(v);
	free(l);
	l = got_line(none, "#Group :tick");
	ok(l != NULL && l[0] != '@', "no caps: no tags at all (%s)",
	    l ? l : "none");
	is_str(l, ":Bob!7000000002@kakao PRIVMSG #Group :tick");
	free(l);
	l = NULL;

	/* echo-message: the sender sees its own line only with the cap. */
	ircc_send(echo, "PRIVMSG #Group :echoed");
	l = got_line(echo, "#Group :echoed");
	ok(l != NULL && strstr(l, " :alice!7000000001@kakao PRIVMSG") != NULL,
	    "echo-message: the sender gets its line back from alice");
	ok(l != NULL && has_tag(l, "msgid"), "with the msgid of the WRITE");
	free(l);
	l = NULL;
	ircc_send(none, "PRIVMSG #Group :not echoed");
	ok(ircc_expect(echo, "PRIVMSG", "#Group :not echoed"),
	    "a sibling gets the other client's line");
	ok(ircc_none(none, "PRIVMSG", "not echoed"),
	    "without echo-message the sender does not");

	/* labeled-response. */
	ircc_send(lab, "@label=L1 PRIVMSG #Group :labeled");
	l = got_line(lab, "#Group :labeled");
	v = l ? ircc_tag(l, "label") : NULL;
	is_str(v, "L1");
	free(v);
	free(l);
	ircc_send(lab, "@label=L2 PING :lab-ping");
	l = ircc_wait(lab, "PONG", "lab-ping");
	v = l ? ircc_tag(l, "label") : NULL;
	is_str(v, "L2");
	free(v);
	free(l);
	ircc_send(lab, "@label=L3 FROBNICATE");
	l = ircc_wait(lab, "421", NULL);
	v = l ? ircc_tag(l, "label") : NULL;
	is_str(v, "L3");
	free(v);
	free(l);
	ircc_send(lab, "@label=L4 NAMES #Group");
	l = ircc_wait(lab, "BATCH", "labeled-response");
	v = l ? ircc_tag(l, "label") : NULL;
	ok(v != NULL && strcmp(v, "L4") == 0,
	    "several lines: a labeled-response batch labeled L4");
	free(v);
	v = l ? ircc_param(l, 0) : NULL;
	free(l);
	l = ircc_wait(lab, "366", NULL);
	{
		char *bt = l ? ircc_tag(l, "batch") : NULL;

		ok(v != NULL && bt != NULL && strcmp(v + 1, bt) == 0,
		    "366 inside it");
		free(bt);
	}
	free(l);
	l = ircc_wait(lab, "BATCH", "-");
	ok(l != NULL && v != NULL && strstr(l, v + 1) != NULL,
	    "and the batch is closed");
	free(l);
	free(v);
	ircc_send(lab, "@label=L5 NOTICE #Group :not forwarded");
	l = ircc_wait(lab, "ACK", NULL);
	v = l ? ircc_tag(l, "label") : NULL;
	is_str(v, "L5");
	free(v);
	free(l);
	l = v = NULL;
	ok(ircc_none(echo, "NOTICE", "not forwarded"),
	    "a NOTICE is not forwarded to siblings");

	/* batch around the backlog, names and joins. */
	names = ircc_attach(f.irc_port, "names", "names",
	    "batch userhost-in-names extended-join account-tag multi-prefix",
	    true, &b);
	if (ok(names != NULL,
	        "a client with batch, userhost-in-names, "
	        "extended-join and account-tag attaches")) {
		ok(ircc_lines_count(&b, "BATCH", "chathistory") >= 4,
		    "batch: a chathistory batch per chat with backlog");
		i = ircc_lines_find(&b, 0, "353", "#Group");
		ok(i >= 0 && strstr(b.v[i], "Bob!7000000002@kakao") != NULL,
		    "userhost-in-names: nick!user@host in 353");
		i = ircc_lines_find(&b, 0, "JOIN", "#Group");
		l = i >= 0 ? ircc_param(b.v[i], 2) : NULL;
		v = i >= 0 ? ircc_param(b.v[i], 1) : NULL;
		ok(l != NULL && v != NULL,
		    "extended-join: JOIN #Group account :realname (%s)",
		    i >= 0 ? b.v[i] : "none");
		ok(v != NULL && strcmp(v, "*") != 0, "the account is set (%s)",
		    v ? v : "none");
		free(l);
		free(v);
		l = v = NULL;
		ircc_lines_free(&b);
		dfix_ctl_num(&f, "send %lld %lld tock", (long long)DFIX_GROUP,
		    (long long)DFIX_BOB);
		l = got_line(names, "#Group :tock");
		ok(l != NULL && has_tag(l, "account"),
		    "account-tag: the member's line has an account tag");
		free(l);
		l = got_line(none, "#Group :tock");
		ok(l != NULL && l[0] != '@', "not for a client without it");
		free(l);
		l = NULL;
	}
	ircc_lines_free(&b);
	ircc_free(none);
	none = ircc_attach(f.irc_port, "none2", "none2", NULL, true, &b);
	if (ok(none != NULL, "a client without caps attaches")) {
		is_int(ircc_lines_count(&b, "BATCH", NULL), ==, 0);
		i = ircc_lines_find(&b, 0, "353", "#Group");
		ok(i >= 0 && strstr(b.v[i], "Bob!") == NULL,
		    "no userhost-in-names: plain nicks in 353");
		i = ircc_lines_find(&b, 0, "JOIN", "#Group");
		l = i >= 0 ? ircc_param(b.v[i], 1) : NULL;
		ok(i >= 0 && l == NULL, "no extended-join: JOIN #Group alone");
		free(l);
		l = NULL;
	}
	ircc_lines_free(&b);

	/* znc.in/self-message: a line typed on the phone, in a query. */
	self = ircc_attach(f.irc_port, "self", "self", "znc.in/self-message",
	    true, NULL);
	noself = ircc_attach(f.irc_port, "noself", "noself", NULL, true, NULL);
	if (ok(self && noself, "clients with and without self-message")) {
		ok(dfix_ctl_num(&f, "send %lld %lld from my phone",
		       (long long)DFIX_DIRECT, (long long)DFIX_USER) > 0,
		    "the account writes to Bob from its phone");
		l = ircc_wait(self, NULL, "from my phone");
		is_str(l, ":alice!7000000001@kakao PRIVMSG Bob :from my phone");
		free(l);
		l = ircc_wait(noself, NULL, "from my phone");
		ok(l != NULL, "a client without it is told too (%s)",
		    l ? l : "nothing");
		ok(l == NULL || !ircc_match(l, "PRIVMSG", " PRIVMSG alice "),
		    "but not as a message to itself");
		free(l);
		l = NULL;
	}
out:
	free(l);
	ircc_lines_free(&b);
	ircc_free(st);
	ircc_free(mt);
	ircc_free(none);
	ircc_free(echo);
	ircc_free(lab);
	ircc_free(names);
	ircc_free(self);
	ircc_free(noself);
	dfix_irc_end(&f);
	free(f.log);
	return done_testing();
}
