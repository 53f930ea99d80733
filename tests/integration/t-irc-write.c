/* locoirc: see LICENSE.
 *
 * IRC to Kakao under pressure: a burst of PRIVMSGs goes through the
 * WRITE flood control in order, nothing lost, each echoed once under its
 * label; a sibling client sees each once. When KakaoTalk is gone (the
 * token expired, so the engine stops), the *loco service tells every
 * client, a PRIVMSG gets a visible 404 under its label, never silence,
 * and after the operator's SIGHUP the account is back and writes work.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon-fixture.h"
#include "ircc.h"
#include "tap.h"

/* More than the flood control's burst, so some wait for their turn. */
#define WRITE_N 8

/* Whether locosim's chat holds texts[0..n) in this order, each once. */
static bool
sim_in_order(struct dfix *f, int64_t chat, char texts[][32], size_t n)
{
	struct dfix_msg *m = NULL;
	ssize_t got = dfix_sim_log(f, chat, &m), i;
	size_t next = 0;
	bool dup = false;

	for (i = 0; i < got; i++) {
		if (next < n && strcmp(m[i].text, texts[next]) == 0) {
			next++;
			continue;
		}
		for (size_t j = 0; j < next; j++)
			if (strcmp(m[i].text, texts[j]) == 0)
				dup = true;
	}
	dfix_msgs_free(m, got);
	if (next != n || dup)
		diag("chat %lld: %zu of %zu in order%s", (long long)chat, next,
		    n, dup ? ", and a duplicate" : "");
	return next == n && !dup;
}

/* A burst of lines from a, each with a label. */
static void
burst(struct dfix *f, struct ircc *a, struct ircc *b)
{
	char texts[WRITE_N][32], want[400], label[16];
	struct ircc_lines got = {NULL, 0};
	size_t i;

	for (i = 0; i < WRITE_N; i++) {
		snprintf(texts[i], sizeof texts[i], "burst-%zu", i);
		ircc_send(a, "@label=L%zu PRIVMSG #Group :%s", i, texts[i]);
	}
	snprintf(want, sizeof want, ":%s", texts[WRITE_N - 1]);
	if (!ok(ircc_collect(a, "PRIVMSG", want, &got),
	        "the sender gets the last echo"))
		goto out;
	for (i = 0; i < WRITE_N; i++) {
		ssize_t at;
		char *v;

		snprintf(want, sizeof want, "#Group :%s", texts[i]);
		at = ircc_lines_find(&got, 0, "PRIVMSG", want);
		ok(at >= 0 && ircc_lines_count(&got, "PRIVMSG", want) == 1,
		    "echo of %s once", texts[i]);
		v = at >= 0 ? ircc_tag(got.v[at], "label") : NULL;
		snprintf(label, sizeof label, "L%zu", i);
		ok(v != NULL && strcmp(v, label) == 0,
		    "echo of %s under label %s (got %s)", texts[i], label,
		    v ? v : "none");
		free(v);
		if (i > 0) {
			char prev[400];

			snprintf(prev, sizeof prev, "#Group :%s", texts[i - 1]);
			ok(ircc_lines_find(&got, 0, "PRIVMSG", prev) < at,
			    "%s after %s", texts[i], texts[i - 1]);
		}
	}
	ircc_lines_free(&got);
	ok(sim_in_order(f, DFIX_GROUP, texts, WRITE_N),
	    "locosim has the burst in order, once each");
	snprintf(want, sizeof want, ":%s", texts[WRITE_N - 1]);
	if (!ok(ircc_collect(b, "PRIVMSG", want, &got),
	        "the sibling gets the last line"))
		goto out;
	for (i = 0; i < WRITE_N; i++) {
		snprintf(want, sizeof want,
		    "alice!7000000001@kakao PRIVMSG "
		    "#Group :%s",
		    texts[i]);
		ok(ircc_lines_count(&got, "PRIVMSG", want) == 1,
		    "the sibling sees %s once, from alice", texts[i]);
	}
out:
	ircc_lines_free(&got);
}

/* KakaoTalk gone: *loco says so, PRIVMSG gets a 404; SIGHUP brings it
 * back. */
static void
offline(struct dfix *f, struct ircc *a, struct ircc *b)
{
	size_t mark = dfix_log_mark(f);
	char *l;

	ok(dfix_reply_ok(dfix_ctl(f, "expire %lld", (long long)DFIX_USER)),
	    "locosim expires the token");
	ok(dfix_ctl_num(f, "drop %lld", (long long)DFIX_USER) == 1,
	    "and drops the session");
	l = ircc_wait(a, "PRIVMSG", "KakaoTalk is stopped");
	ok(l != NULL && strncmp(l, ":*loco!", 7) == 0,
	    "*loco tells the first client (%s)", l ? l : "nothing");
	free(l);
	ok(ircc_expect(b, "PRIVMSG", "KakaoTalk is stopped"), "and the second");
	ircc_send(a, "@label=OFF PRIVMSG #Group :into the void");
	l = ircc_wait(a, "404", "#Group");
	ok(l != NULL, "a PRIVMSG while offline gets 404 (%s)",
	    l ? l : "nothing");
	if (l != NULL) {
		char *v = ircc_tag(l, "label");

		is_str(v, "OFF");
		free(v);
	}
	free(l);
	ok(ircc_none(b, "PRIVMSG", "into the void"),
	    "the sibling sees nothing of it");

	ok(dfix_reply_ok(dfix_ctl(f, "unexpire %lld", (long long)DFIX_USER)),
	    "locosim takes the token again");
	kill(f->d, SIGHUP);
	ok(dfix_log_wait(f, &mark, "configuration reloaded"),
	    "SIGHUP restarts the stopped engine");
	ok(ircc_expect(a, "PRIVMSG", "KakaoTalk is online again"),
	    "*loco says it is back");
	ircc_send(a, "PRIVMSG #Group :back again");
	ok(ircc_expect(a, "PRIVMSG", "#Group :back again"),
	    "writes work again (echo)");
	ok(ircc_expect(b, "PRIVMSG", "#Group :back again"),
	    "and reach the sibling");
}

int
main(void)
{
	static struct dfix f; /* read by the fixture's atexit handler */
	struct ircc *a = NULL, *b = NULL;

	tap_init(120);
	dfix_init(&f);
	ircc_set_pump(dfix_pump_now, &f);
	if (!dfix_irc_boot(&f, NULL))
		goto out;
	a = ircc_attach(f.irc_port, "a", "writer",
	    "echo-message labeled-response batch message-tags", true, NULL);
	b = ircc_attach(f.irc_port, "b", "sibling", NULL, true, NULL);
	if (!ok(a != NULL && b != NULL, "two clients attach"))
		goto out;
	burst(&f, a, b);
	offline(&f, a, b);
out:
	ircc_free(a);
	ircc_free(b);
	dfix_irc_end(&f);
	free(f.log);
	return done_testing();
}
