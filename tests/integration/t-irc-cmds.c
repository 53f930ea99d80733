/* locoirc: see LICENSE.
 *
 * The commands of IRC.md 4.3 after registration, each answered with its
 * numerics: JOIN of an unknown channel (403), NAMES, WHO, WHOIS, ISON,
 * USERHOST, TOPIC, MODE, LIST, an unknown command (421), and the *loco
 * service's status, help and chats.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon-fixture.h"
#include "ircc.h"
#include "tap.h"

/* Send cmd and collect its reply up to a round-trip. */
static void
ask(struct ircc *c, struct ircc_lines *out, const char *cmd)
{
	ircc_lines_free(out);
	ircc_send(c, "%s", cmd);
	if (!ircc_sync(c, out))
		diag("no round-trip after %s", cmd);
}

/* Whether out has a cmd line containing sub; diagnoses all if not. */
static bool
has(const struct ircc_lines *out, const char *cmd, const char *sub)
{
	if (ircc_lines_find(out, 0, cmd, sub) >= 0)
		return true;
	ircc_lines_diag(out, "reply");
	return false;
}

int
main(void)
{
	static struct dfix f; /* read by the fixture's atexit handler */
	struct ircc_lines r = {NULL, 0};
	struct ircc *c = NULL;

	tap_init(90);
	dfix_init(&f);
	ircc_set_pump(dfix_pump_now, &f);
	if (!dfix_irc_boot(&f, NULL))
		goto out;
	c = ircc_attach(f.irc_port, "cmd", "cmd", NULL, true, NULL);
	if (!ok(c != NULL, "a client attaches"))
		goto out;
	ircc_set_auto_pong(c, true);

	ask(c, &r, "JOIN #nosuchchat");
	ok(has(&r, "403", "#nosuchchat"), "JOIN of an unknown channel: 403");
	ok(ircc_lines_count(&r, "JOIN", NULL) == 0, "and no JOIN");

	ask(c, &r, "NAMES #Group");
	ok(has(&r, "353", "#Group") && has(&r, "366", "#Group"),
	    "NAMES #Group: 353 and 366");
	ok(has(&r, "353", "Bob") && has(&r, "353", "Carol"),
	    "naming Bob and Carol");

	ask(c, &r, "WHO #Group");
	is_int(ircc_lines_count(&r, "352", NULL), ==, 3);
	ok(has(&r, "352", " 7000000002 kakao ") && has(&r, "315", "#Group"),
	    "WHO #Group: 352 with user id and host kakao, then 315");

	ask(c, &r, "WHOIS Bob");
	ok(has(&r, "311", "Bob 7000000002 kakao") && has(&r, "318", "Bob"),
	    "WHOIS Bob: 311 Bob 7000000002 kakao ... 318");

	ask(c, &r, "WHOIS " DFIX_MINSU_NICK);
	ok(has(&r, "311", DFIX_MINSU_NICK " 7000000004 kakao"),
	    "WHOIS of the Korean nick");

	ask(c, &r, "WHOIS Nobody");
	ok(has(&r, "401", "Nobody"), "WHOIS of an unknown nick: 401");

	ask(c, &r, "ISON Bob Nobody Carol");
	{
		ssize_t i = ircc_lines_find(&r, 0, "303", NULL);
		char *p = i >= 0 ? ircc_param(r.v[i], 1) : NULL;

		ok(p != NULL && strstr(p, "Bob") != NULL &&
		        strstr(p, "Carol") != NULL &&
		        strstr(p, "Nobody") == NULL,
		    "ISON: 303 with Bob and Carol only (%s)", p ? p : "none");
		free(p);
	}

	ask(c, &r, "USERHOST Bob");
	ok(has(&r, "302", "Bob") && has(&r, "302", "7000000002@kakao"),
	    "USERHOST Bob: 302 Bob=+7000000002@kakao");

	ask(c, &r, "TOPIC #Group");
	ok(has(&r, "332", "be nice"), "TOPIC #Group: 332 with the notice");
	ask(c, &r, "TOPIC #Second_Room");
	ok(has(&r, "331", "#Second_Room") || has(&r, "332", "#Second_Room"),
	    "TOPIC of a chat without a notice: 331 (or a member summary)");
	ask(c, &r, "TOPIC #Group :new topic");
	ok(has(&r, "482", "#Group"), "setting a topic: 482");

	ask(c, &r, "MODE #Group");
	ok(has(&r, "324", "#Group"), "MODE #Group: 324");
	ask(c, &r, "MODE #Group b");
	ok(has(&r, "368", "#Group"), "MODE #Group b: an empty ban list, 368");
	ask(c, &r, "MODE #Group +m");
	ok(has(&r, "482", "#Group"), "changing a mode: 482");
	ask(c, &r, "MODE alice");
	ok(has(&r, "221", NULL), "MODE alice: 221");

	ask(c, &r, "LIST");
	ok(has(&r, "322", "#Group") && has(&r, "322", "#Second_Room") &&
	        has(&r, "323", NULL),
	    "LIST: 322 for both channels, 323");
	ok(ircc_lines_find(&r, 0, "321", NULL) <
	        ircc_lines_find(&r, 0, "322", NULL),
	    "321 first");

	ask(c, &r, "LUSERS");
	ok(has(&r, "251", "There are 4 users") && has(&r, "254", " 2 ") &&
	        has(&r, "255", "I have 1 clients"),
	    "LUSERS: 4 users, 2 channels, 1 client");
	ask(c, &r, "VERSION");
	ok(has(&r, "351", "locoircd-"), "VERSION: 351");
	ask(c, &r, "TIME");
	ok(has(&r, "391", NULL), "TIME: 391");
	ask(c, &r, "AWAY :lunch");
	ok(has(&r, "306", NULL), "AWAY with text: 306");
	ask(c, &r, "AWAY");
	ok(has(&r, "305", NULL), "AWAY without: 305");
	ask(c, &r, "PART #Group");
	ok(has(&r, "PART", "#Group"), "PART #Group detaches");
	ask(c, &r, "PART #Group");
	ok(has(&r, "442", "#Group"), "PART again: 442");
	ask(c, &r, "JOIN #Group");
	ok(has(&r, "JOIN", "#Group") && has(&r, "366", "#Group"),
	    "JOIN #Group shows it again");
	ask(c, &r, "PRIVMSG");
	ok(has(&r, "411", NULL), "PRIVMSG without a target: 411");
	ask(c, &r, "PRIVMSG #Group");
	ok(has(&r, "412", NULL), "PRIVMSG without text: 412");
	ask(c, &r, "NICK Mallory");
	ok(has(&r, "433", "Mallory"), "another nick: 433 (reserved)");
	ask(c, &r, "USER a b c d");
	ok(has(&r, "462", NULL), "USER after registration: 462");
	ask(c, &r, "PING");
	ok(has(&r, "409", NULL) || has(&r, "461", NULL),
	    "PING without a token: 409 or 461");

	ask(c, &r, "FROBNICATE now");
	ok(has(&r, "421", "FROBNICATE"), "an unknown command: 421");

	ask(c, &r, "PRIVMSG *loco :help");
	ok(ircc_lines_find(&r, 0, NULL, ":*loco") >= 0, "*loco answers help");
	ask(c, &r, "PRIVMSG *loco :status");
	ok(ircc_lines_find(&r, 0, NULL, ":*loco") >= 0, "*loco answers status");
	ask(c, &r, "PRIVMSG *loco :chats");
	ok(ircc_lines_find(&r, 0, NULL, ":*loco") >= 0 &&
	        ircc_lines_find(&r, 0, NULL, "#Group") >= 0 &&
	        ircc_lines_find(&r, 0, NULL, "#Second_Room") >= 0,
	    "*loco chats lists the channels");
	ok(ircc_sync(c, NULL), "the client is still served");
out:
	ircc_lines_free(&r);
	ircc_free(c);
	dfix_irc_end(&f);
	free(f.log);
	return done_testing();
}
