/* locoirc: see LICENSE.
 *
 * The burst a client gets on attach (IRC.md 4.2): 001-005, the MOTD or
 * 422, then for every group chat its JOIN, topic and names, then the
 * backlog in chathistory batches with msgid and time tags (or, for a
 * client without those caps, untagged lines stamped "[hh:mm] "), and a
 * closing PING. Direct chats are queries on the peer's nick, the memo chat
 * the query *memo; a multi-line message is one line per line, its msgid
 * on the first only.
 */
#include "config.h"

#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon-fixture.h"
#include "ircc.h"
#include "tap.h"

/* Index of the first line matching, diagnosed when missing. */
static ssize_t
find(const struct ircc_lines *b, size_t from, const char *cmd, const char *sub)
{
	ssize_t i = ircc_lines_find(b, from, cmd, sub);

	if (i < 0)
		diag("no %s '%s' in the burst", cmd ? cmd : "line",
		    sub ? sub : "");
	return i;
}

/* The log id of the message with text in chat, from locosim. */
static int64_t
log_id_of(struct dfix *f, int64_t chat, const char *text)
{
	struct dfix_msg *m = NULL;
	ssize_t n = dfix_sim_log(f, chat, &m), i;
	int64_t id = -1;

	for (i = 0; i < n; i++)
		if (strcmp(m[i].text, text) == 0)
			id = m[i].log_id;
	dfix_msgs_free(m, n);
	return id;
}

/* Whether line i has tag key equal to want (NULL: has no such tag). */
static bool
tag_is(const struct ircc_lines *b, ssize_t i, const char *key, const char *want)
{
	char *v = i >= 0 ? ircc_tag(b->v[i], key) : NULL;
	bool good =
	    want == NULL ? v == NULL : v != NULL && strcmp(v, want) == 0;

	if (!good)
		diag("tag %s: want %s, got %s in: %s", key,
		    want ? want : "(none)", v ? v : "(none)",
		    i >= 0 ? b->v[i] : "(no line)");
	free(v);
	return good;
}

/* The modern client: every tag, batches, self-messages. */
static void
modern(struct dfix *f)
{
	struct ircc_lines b = {NULL, 0};
	struct ircc *c;
	ssize_t i001, i005, imotd, ijg, i332, i333, i353, i366, ijs, i353s;
	ssize_t ibatch, ihi, ihello, iannyeong, il1, il2, ipsst, inote;
	ssize_t last366;
	size_t i;
	char msgid[64], *ref = NULL, *p = NULL;
	int64_t id;

	c = ircc_attach(f->irc_port, "modern", "modern",
	    "batch server-time message-tags znc.in/self-message", true, &b);
	if (!ok(c != NULL, "a modern client attaches"))
		goto out;
	i001 = find(&b, 0, "001", NULL);
	ok(i001 >= 0 && find(&b, (size_t)i001, "002", NULL) > i001 &&
	        find(&b, (size_t)i001, "003", NULL) > i001 &&
	        find(&b, (size_t)i001, "004", NULL) > i001,
	    "001 to 004 in order");
	i005 = find(&b, 0, "005", NULL);
	ok(i005 > i001, "005 after 001");
	ok(i005 >= 0 && strstr(b.v[i005], "CHANTYPES=") != NULL,
	    "005 names CHANTYPES");
	imotd = ircc_lines_find(&b, 0, "376", NULL);
	if (imotd < 0)
		imotd = ircc_lines_find(&b, 0, "422", NULL);
	ok(imotd > i005, "MOTD end (376) or 422 after 005");

	ijg = find(&b, 0, "JOIN", "#Group");
	ok(ijg > imotd, "JOIN #Group after the MOTD");
	ok(ijg >= 0 && strncmp(b.v[ijg], ":alice!", 7) == 0,
	    "the JOIN comes from our own nick: %s", ijg >= 0 ? b.v[ijg] : "");
	i332 = find(&b, 0, "332", "#Group");
	i333 = find(&b, 0, "333", "#Group");
	i353 = find(&b, 0, "353", "#Group");
	i366 = find(&b, 0, "366", "#Group");
	ok(ijg < i332 && i332 < i333 && i333 < i353 && i353 < i366,
	    "#Group: JOIN, 332, 333, 353, 366 in that order");
	p = i332 >= 0 ? ircc_param(b.v[i332], 2) : NULL;
	is_str(p, "be nice");
	free(p);
	p = NULL;
	ok(i353 >= 0 && strstr(b.v[i353], "Bob") != NULL &&
	        strstr(b.v[i353], "Carol") != NULL &&
	        strstr(b.v[i353], "alice") != NULL,
	    "353 #Group names alice, Bob and Carol");
	ijs = find(&b, 0, "JOIN", "#Second_Room");
	i353s = find(&b, 0, "353", "#Second_Room");
	ok(ijs >= 0 && i353s > ijs, "#Second_Room (title with a space)");
	ok(i353s >= 0 && strstr(b.v[i353s], DFIX_MINSU_NICK) != NULL,
	    "its 353 names the Korean nick");
	ok(ircc_lines_find(&b, 0, "332", "#Second_Room") < 0,
	    "no 332 for a chat without a notice");
	ok(ircc_lines_count(&b, "JOIN", NULL) == 2,
	    "two JOINs: direct and memo chats are queries");

	for (last366 = -1, i = 0; i < b.n; i++)
		if (ircc_match(b.v[i], "366", NULL))
			last366 = (ssize_t)i;
	ibatch = find(&b, 0, "BATCH", "chathistory #Group");
	ok(ibatch > last366, "the backlog comes after every 366");
	if (ibatch >= 0) {
		p = ircc_param(b.v[ibatch], 0);
		ok(p != NULL && p[0] == '+', "BATCH opens with +ref");
		if (p != NULL)
			ref = strdup(p + 1);
		free(p);
		p = NULL;
	}
	ihi = find(&b, 0, "PRIVMSG", "#Group :hi");
	ihello = find(&b, 0, "PRIVMSG", "#Group :hello");
	ok(ibatch < ihi && ihi < ihello, "hi then hello, inside the batch");
	ok(ihi >= 0 &&
	        strstr(b.v[ihi], " :Bob!7000000002@kakao PRIVMSG #Group :hi") !=
	            NULL,
	    "hostmask nick!userId@kakao: %s", ihi >= 0 ? b.v[ihi] : "");
	if (ref != NULL) {
		tag_is(&b, ihi, "batch", ref);
		tag_is(&b, ihello, "batch", ref);
		ok(find(&b, (size_t)(ihello > 0 ? ihello : 0), "BATCH", "-") >
		        ihello,
		    "the batch is closed after hello");
	}
	id = log_id_of(f, DFIX_GROUP, "hi");
	snprintf(msgid, sizeof msgid, "10-%lld", (long long)id);
	ok(tag_is(&b, ihi, "msgid", msgid), "msgid of hi is %s", msgid);
	p = ihi >= 0 ? ircc_tag(b.v[ihi], "time") : NULL;
	ok(p != NULL && strlen(p) == 24 && p[10] == 'T' && p[23] == 'Z' &&
	        p[19] == '.',
	    "time tag YYYY-MM-DDThh:mm:ss.sssZ (%s)", p ? p : "none");
	free(p);
	p = NULL;

	iannyeong = find(&b, 0, "PRIVMSG", "#Second_Room :" DFIX_ANNYEONG);
	ok(iannyeong >= 0 &&
	        strncmp(strstr(b.v[iannyeong], " :") + 2,
	            DFIX_MINSU_NICK "!7000000004@kakao", 23) == 0,
	    "the Korean member's line has their nick");
	il1 = find(&b, 0, "PRIVMSG", "#Second_Room :line one");
	il2 = find(&b, 0, "PRIVMSG", "#Second_Room :line two");
	ok(il1 >= 0 && il2 == il1 + 1,
	    "a two-line message is two PRIVMSGs in a row");
	id = log_id_of(f, DFIX_SECOND, "line one\nline two");
	snprintf(msgid, sizeof msgid, "11-%lld", (long long)id);
	ok(tag_is(&b, il1, "msgid", msgid), "the first carries the msgid");
	ok(tag_is(&b, il2, "msgid", NULL), "the second has none");

	ipsst = find(&b, 0, "PRIVMSG", ":psst");
	ok(ipsst >= 0 &&
	        strstr(b.v[ipsst],
	            "Bob!7000000002@kakao PRIVMSG alice :psst") != NULL,
	    "the direct chat is a query from Bob: %s",
	    ipsst >= 0 ? b.v[ipsst] : "");
	ok(find(&b, 0, "BATCH", "chathistory Bob") >= 0 &&
	        find(&b, 0, "BATCH", "chathistory Bob") < ipsst,
	    "in a chathistory batch for Bob");
	inote = find(&b, 0, "PRIVMSG", ":note");
	ok(inote >= 0 &&
	        strstr(b.v[inote],
	            "alice!7000000001@kakao PRIVMSG *memo :note") != NULL,
	    "the memo chat is the query *memo, our own line to it: %s",
	    inote >= 0 ? b.v[inote] : "");
	is_int(ircc_lines_count(&b, "BATCH", "+"), ==,
	    ircc_lines_count(&b, "BATCH", " -"));
	ok(ircc_match(b.v[b.n - 1], "PING", NULL), "the burst ends with PING");
	ok(ircc_lines_find(&b, 0, "PRIVMSG", "[") < 0,
	    "no text stamps with server-time");
	if (!ok(ircc_sync(c, NULL), "the client is still served"))
		ircc_lines_diag(&b, "burst");
out:
	free(ref);
	ircc_lines_free(&b);
	ircc_free(c);
}

/* A client without tags: no batches, stamped lines. */
static void
plain(struct dfix *f)
{
	struct ircc_lines b = {NULL, 0};
	struct ircc *c;
	regex_t re;
	ssize_t ihi;
	size_t i, tagged = 0, stamped = 0, msgs = 0;

	regcomp(&re, " :\\[([0-9]{4}-[0-9]{2}-[0-9]{2} )?[0-9]{2}:[0-9]{2}\\] ",
	    REG_EXTENDED | REG_NOSUB);
	c = ircc_attach(f->irc_port, "plain", "plain", NULL, true, &b);
	if (!ok(c != NULL, "a client without caps attaches"))
		goto out;
	is_int(ircc_lines_count(&b, "BATCH", NULL), ==, 0);
	for (i = 0; i < b.n; i++) {
		if (b.v[i][0] == '@')
			tagged++;
		if (!ircc_match(b.v[i], "PRIVMSG", NULL))
			continue;
		msgs++;
		if (regexec(&re, b.v[i], 0, NULL, 0) == 0)
			stamped++;
		else
			diag("not stamped: %s", b.v[i]);
	}
	is_int(tagged, ==, 0);
	/* hi, hello, the Korean line, two lines, psst; the memo note may
	 * take another form without znc.in/self-message. */
	ok(msgs >= 6, "the backlog is there (%zu PRIVMSGs)", msgs);
	is_int(stamped, ==, msgs);
	ihi = ircc_lines_find(&b, 0, "PRIVMSG", "] hi");
	ok(ihi >= 0 && ircc_lines_find(&b, 0, "JOIN", "#Group") < ihi,
	    "JOIN before the backlog");
	ok(ircc_lines_find(&b, 0, "332", "be nice") >= 0, "the topic too");
out:
	regfree(&re);
	ircc_lines_free(&b);
	ircc_free(c);
}

int
main(void)
{
	static struct dfix f; /* read by the fixture's atexit handler */

	tap_init(120);
	dfix_init(&f);
	ircc_set_pump(dfix_pump_now, &f);
	if (dfix_irc_boot(&f, NULL)) {
		modern(&f);
		plain(&f);
	}
	dfix_irc_end(&f);
	free(f.log);
	return done_testing();
}
