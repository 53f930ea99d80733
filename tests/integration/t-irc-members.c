/* locoirc: see LICENSE.
 *
 * The chat changing under attached clients: a member joins (JOIN, in the
 * extended form only for clients with extended-join) and leaves (PART);
 * a new notice becomes a TOPIC; a renamed chat keeps its channel (the
 * window does not move), and messages keep arriving there.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon-fixture.h"
#include "ircc.h"
#include "tap.h"

/* The world's Korean member (민수), not in #Group at first. */
#define MINSU INT64_C(7000000004)
#define MINSU_NICK "\xeb\xaf\xbc\xec\x88\x98"

static void
join_and_leave(struct dfix *f, struct ircc *ext, struct ircc *plain)
{
	char *l;

	ok(dfix_ctl_num(f, "join %lld %lld %lld", (long long)DFIX_GROUP,
	       (long long)MINSU, (long long)DFIX_BOB) > 0,
	    "locosim: Minsu joins the group");
	l = ircc_wait(ext, "JOIN", "#Group");
	is_str(l,
	    ":" MINSU_NICK "!7000000004@kakao JOIN #Group 7000000004 "
	    ":" MINSU_NICK);
	free(l);
	l = ircc_wait(plain, "JOIN", "#Group");
	is_str(l, ":" MINSU_NICK "!7000000004@kakao JOIN #Group");
	free(l);
	ircc_send(plain, "NAMES #Group");
	l = ircc_wait(plain, "353", "#Group");
	ok(l != NULL && strstr(l, MINSU_NICK) != NULL,
	    "NAMES lists the new member (%s)", l ? l : "nothing");
	free(l);

	ok(dfix_ctl_num(f, "leave %lld %lld", (long long)DFIX_GROUP,
	       (long long)MINSU) > 0,
	    "locosim: Minsu leaves");
	ok(ircc_expect(ext, "PART", MINSU_NICK "!7000000004@kakao PART #Group"),
	    "PART to the first client");
	ok(ircc_expect(plain, "PART",
	       MINSU_NICK "!7000000004@kakao PART #Group"),
	    "PART to the second");
	/* The server's feed messages say it in the channel too. */
	ok(ircc_expect(plain, "NOTICE", "#Group :" MINSU_NICK " left"),
	    "the leave feed as a notice");
}

static void
notice_and_rename(struct dfix *f, struct ircc *ext, struct ircc *plain)
{
	char *l;
	int64_t id;

	ok(dfix_reply_ok(
	       dfix_ctl(f, "notice %lld %lld %s", (long long)DFIX_GROUP,
	           (long long)DFIX_BOB, "new rules: be kind")),
	    "locosim: Bob sets a notice");
	l = ircc_wait(ext, "TOPIC", "#Group");
	ok(l != NULL && strstr(l, "TOPIC #Group :new rules: be kind") != NULL,
	    "the notice becomes the topic (%s)", l ? l : "nothing");
	free(l);
	ok(ircc_expect(plain, "TOPIC", "#Group :new rules: be kind"),
	    "for every client");

	ok(dfix_reply_ok(dfix_ctl(f, "rename %lld %lld %s",
	       (long long)DFIX_GROUP, (long long)DFIX_BOB, "Totally New")),
	    "locosim: Bob renames the chat");
	id = dfix_ctl_num(f, "send %lld %lld after the rename",
	    (long long)DFIX_GROUP, (long long)DFIX_CAROL);
	ok(id > 0, "Carol posts");
	ok(ircc_expect(plain, "PRIVMSG", "#Group :after the rename"),
	    "the channel keeps its name after an upstream rename");
	ok(ircc_none(plain, "JOIN", NULL) && ircc_none(plain, "PART", NULL),
	    "and the window does not move (no JOIN or PART)");
	ircc_send(ext, "LIST");
	l = ircc_wait(ext, "322", "#Group");
	ok(l != NULL, "LIST still has #Group (%s)", l ? l : "nothing");
	free(l);
}

int
main(void)
{
	static struct dfix f; /* read by the fixture's atexit handler */
	struct ircc *ext = NULL, *plain = NULL;

	tap_init(120);
	dfix_init(&f);
	ircc_set_pump(dfix_pump_now, &f);
	if (!dfix_irc_boot(&f, NULL))
		goto out;
	ext =
	    ircc_attach(f.irc_port, "ext", "ext", "extended-join", true, NULL);
	plain = ircc_attach(f.irc_port, "plain", "plain", NULL, true, NULL);
	if (!ok(ext != NULL && plain != NULL, "two clients attach"))
		goto out;
	join_and_leave(&f, ext, plain);
	notice_and_rename(&f, ext, plain);
out:
	ircc_free(ext);
	ircc_free(plain);
	dfix_irc_end(&f);
	free(f.log);
	return done_testing();
}
