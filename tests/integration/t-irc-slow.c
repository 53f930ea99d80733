/* locoirc: see LICENSE.
 *
 * A client that stops reading is dropped once its send queue passes
 * [irc] sendq_max, with ERROR "SendQ exceeded"; a client that reads gets
 * every message of the same flood, and the daemon carries on (and exits
 * cleanly later).
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon-fixture.h"
#include "ircc.h"
#include "tap.h"

#define SLOW_IRC                                                               \
	"[irc]\n"                                                              \
	"listen = 127.0.0.1:0\n"                                               \
	"password = " DFIX_IRC_HASH "\n"                                       \
	"nick = alice\n"                                                       \
	"sendq_max = 65536\n"

/* Messages in the flood and their size: far more than the queue and
 * what the kernel buffers for a reader with a tiny receive window. */
#define FLOOD_N 80
#define FLOOD_SIZE 30000

int
main(void)
{
	static struct dfix f; /* read by the fixture's atexit handler */
	static char text[FLOOD_SIZE + 64];
	struct ircc_reg reg = {IRCC_AUTH_SASL, NULL, "slow", NULL, NULL, NULL};
	struct ircc_lines got = {NULL, 0};
	struct ircc *fast = NULL, *slow = NULL;
	char marker[32], *l, *tok;
	size_t i, replies = 0, seen = 0;

	tap_init(120);
	dfix_init(&f);
	ircc_set_pump(dfix_pump_now, &f);
	if (!dfix_irc_boot(&f, SLOW_IRC))
		goto out;
	fast = ircc_attach(f.irc_port, "fast", "fast", NULL, true, NULL);
	if (!ok(fast != NULL, "a reading client attaches"))
		goto out;
	ircc_set_auto_pong(fast, true);
	slow = ircc_connect(f.irc_port, "slow", 4096);
	if (!ok(slow != NULL && ircc_register(slow, &reg, NULL),
	        "a slow client registers"))
		goto out;
	l = ircc_wait(slow, "PING", NULL);
	tok = l ? ircc_ping_token(l) : NULL;
	if (tok != NULL)
		ircc_send(slow, "PONG :%s", tok);
	ok(tok != NULL, "it reads its burst, then stops reading");
	free(tok);
	free(l);

	/* Bob floods the group. */
	memset(text, 'x', FLOOD_SIZE);
	text[FLOOD_SIZE] = '\0';
	for (i = 0; i < FLOOD_N; i++) {
		snprintf(marker, sizeof marker, "flood-%03zu-", i);
		memcpy(text, marker, strlen(marker));
		dfix_ctl_send(&f, "send %lld %lld %s", (long long)DFIX_GROUP,
		    (long long)DFIX_BOB, text);
	}
	for (i = 0; i < FLOOD_N; i++) {
		l = dfix_ctl_reply(&f);
		if (l != NULL && strncmp(l, "ok ", 3) == 0)
			replies++;
		free(l);
	}
	is_int(replies, ==, FLOOD_N);

	/* The reader gets all of it, each message once. */
	snprintf(marker, sizeof marker, "flood-%03d-", FLOOD_N - 1);
	if (!ok(ircc_collect(fast, "PRIVMSG", marker, &got),
	        "the reading client gets the last message"))
		goto out;
	if (!ok(ircc_sync(fast, &got), "and stays connected"))
		goto out;
	for (i = 0; i < got.n; i++)
		if (ircc_match(got.v[i], "PRIVMSG", ":flood-"))
			seen++;
	is_int(seen, ==, FLOOD_N);
	ircc_lines_free(&got);

	/* The slow one was dropped while the flood went out. */
	ok(ircc_wait_closed(slow, IRCC_WAIT_MS, &got),
	    "the slow client's connection is closed");
	ok(got.n > 0 && ircc_match(got.v[got.n - 1], "ERROR", "SendQ exceeded"),
	    "its last line is ERROR ... SendQ exceeded (%s)",
	    got.n > 0 ? got.v[got.n - 1] : "nothing");
	ok(ircc_lines_count(&got, "PRIVMSG", ":flood-") < FLOOD_N,
	    "it did not get the whole flood");
	ircc_lines_free(&got);

	/* The daemon and the other client carry on. */
	dfix_ctl_num(&f, "send %lld %lld after the flood",
	    (long long)DFIX_GROUP, (long long)DFIX_CAROL);
	ok(ircc_expect(fast, "PRIVMSG", "after the flood"),
	    "the reading client still gets new messages");
	ircc_free(slow);
	slow = ircc_attach(f.irc_port, "slow2", "slow", NULL, true, NULL);
	ok(slow != NULL, "the slow client's name can attach again");
out:
	ircc_lines_free(&got);
	ircc_free(fast);
	ircc_free(slow);
	dfix_irc_end(&f);
	free(f.log);
	return done_testing();
}
