/* locoirc: see LICENSE.
 *
 * Delivery cursors per @client name: a client that acknowledged its burst
 * (PONG) and detached gets exactly what it missed when it comes back under
 * the same name; another name gets its own view (the last messages of
 * every chat); without the PONG the cursor does not move. PART only
 * detaches the client from a channel: it misses nothing, JOIN shows what
 * came meanwhile.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon-fixture.h"
#include "ircc.h"
#include "tap.h"

#define CAPS "batch server-time message-tags znc.in/self-message"

static const int64_t chats[] = {DFIX_GROUP, DFIX_SECOND, DFIX_DIRECT,
    DFIX_MEMO};
#define NCHATS (sizeof chats / sizeof chats[0])

/* Detach: QUIT and wait for the close. */
static void
detach(struct ircc **c)
{
	if (*c == NULL)
		return;
	ircc_send(*c, "QUIT :later");
	ok(ircc_wait_closed(*c, IRCC_WAIT_MS, NULL), "%s detaches",
	    ircc_name(*c));
	ircc_free(*c);
	*c = NULL;
}

/* Attach and acknowledge (or not), then make sure the PONG was read. */
static struct ircc *
attach(struct dfix *f, const char *name, bool pong, struct ircc_lines *b)
{
	struct ircc *c = ircc_attach(f->irc_port, name, name, CAPS, pong, b);

	ok(c != NULL, "%s attaches", name);
	/* Our PING comes after the PONG: once answered, it was handled. */
	if (c != NULL)
		ok(ircc_sync(c, NULL), "%s: round-trip after the burst", name);
	return c;
}

/* How many PRIVMSGs of the backlog the burst holds. */
static size_t
backlog(const struct ircc_lines *b)
{
	return ircc_lines_count(b, "PRIVMSG", NULL);
}

int
main(void)
{
	static struct dfix f; /* read by the fixture's atexit handler */
	struct ircc_lines b = {NULL, 0};
	struct ircc *r1 = NULL, *r2 = NULL, *r3 = NULL;
	size_t first;

	tap_init(120);
	dfix_init(&f);
	ircc_set_pump(dfix_pump_now, &f);
	if (!dfix_irc_boot(&f, NULL))
		goto out;

	/* r1 sees the history, acknowledges it and goes. */
	r1 = attach(&f, "r1", true, &b);
	first = backlog(&b);
	ok(first >= 6 && ircc_lines_find(&b, 0, "PRIVMSG", ":hi") >= 0,
	    "a new name gets the history (%zu lines)", first);
	ircc_lines_free(&b);
	/* r3 sees it too but never answers the PING. */
	r3 = attach(&f, "r3", false, &b);
	is_int(backlog(&b), ==, first);
	ircc_lines_free(&b);
	detach(&r1);
	detach(&r3);

	/* Missed while away. */
	dfix_ctl_num(&f, "send %lld %lld missed one", (long long)DFIX_GROUP,
	    (long long)DFIX_BOB);
	dfix_ctl_num(&f, "send %lld %lld missed two", (long long)DFIX_GROUP,
	    (long long)DFIX_CAROL);
	dfix_ctl_num(&f, "send %lld %lld missed direct", (long long)DFIX_DIRECT,
	    (long long)DFIX_BOB);
	ok(dfix_wait_synced(&f, chats, NCHATS), "the daemon stored them");

	r1 = attach(&f, "r1", true, &b);
	is_int(backlog(&b), ==, 3);
	ok(ircc_lines_find(&b, 0, "PRIVMSG", "#Group :missed one") >= 0 &&
	        ircc_lines_find(&b, 0, "PRIVMSG", "#Group :missed two") >
	            ircc_lines_find(&b, 0, "PRIVMSG", "#Group :missed one") &&
	        ircc_lines_find(&b, 0, "PRIVMSG", "alice :missed direct") >= 0,
	    "the same name gets exactly what it missed, in order");
	if (backlog(&b) != 3)
		ircc_lines_diag(&b, "r1's second burst");
	ok(ircc_lines_find(&b, 0, "JOIN", "#Group") >= 0,
	    "and still its channels");
	ircc_lines_free(&b);

	r2 = attach(&f, "r2", true, &b);
	is_int(backlog(&b), ==, first + 3);
	ok(ircc_lines_find(&b, 0, "PRIVMSG", ":hi") >= 0,
	    "another name gets its own view, history included");
	ircc_lines_free(&b);

	r3 = attach(&f, "r3", true, &b);
	is_int(backlog(&b), ==, first + 3);
	ok(ircc_lines_find(&b, 0, "PRIVMSG", ":hi") >= 0,
	    "without a PONG the cursor did not move: r3 sees hi again");
	ircc_lines_free(&b);
	detach(&r3);
	r3 = attach(&f, "r3", true, &b);
	is_int(backlog(&b), ==, 0);
	ircc_lines_free(&b);

	/* Live lines, acknowledged by answering the next PING. */
	ircc_set_auto_pong(r1, true);
	ircc_set_auto_pong(r2, true);
	dfix_ctl_num(&f, "send %lld %lld live one", (long long)DFIX_GROUP,
	    (long long)DFIX_BOB);
	ok(ircc_expect(r1, "PRIVMSG", "live one"), "r1 gets a live line");
	ok(ircc_expect(r2, "PRIVMSG", "live one"), "r2 too");

	/* PART detaches from the channel only. */
	ircc_send(r1, "PART #Group");
	ok(ircc_expect(r1, "PART", "#Group"), "PART #Group is confirmed");
	dfix_ctl_num(&f, "send %lld %lld while parted", (long long)DFIX_GROUP,
	    (long long)DFIX_BOB);
	ok(ircc_expect(r2, "PRIVMSG", "while parted"),
	    "r2, still in #Group, gets the next line");
	ok(ircc_none(r1, "PRIVMSG", "while parted"), "r1, parted, does not");
	ircc_send(r1, "JOIN #Group");
	if (ircc_collect(r1, "366", "#Group", &b)) {
		ok(ircc_lines_find(&b, 0, "JOIN", "#Group") >= 0,
		    "JOIN #Group shows the channel again");
		ok(ircc_lines_find(&b, 0, "353", "#Group") >= 0,
		    "with its names");
	} else
		ok(false, "JOIN #Group answers up to 366");
	/* The backlog follows the names (IRC.md 4.2). */
	ok(ircc_lines_find(&b, 0, "PRIVMSG", "while parted") < 0 &&
	        ircc_expect(r1, "PRIVMSG", "while parted"),
	    "and what it missed there, after 366");
	ircc_lines_free(&b);
	ok(ircc_none(r1, "PRIVMSG", "live one"),
	    "but not what it had already seen");
out:
	ircc_lines_free(&b);
	ircc_free(r1);
	ircc_free(r2);
	ircc_free(r3);
	dfix_irc_end(&f);
	free(f.log);
	return done_testing();
}
