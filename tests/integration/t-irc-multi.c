/* locoirc: see LICENSE.
 *
 * Several IRC clients on one account: a member's message reaches each
 * exactly once with the same msgid; a line one client sends reaches every
 * other client from our own nick, and the sender only with echo-message;
 * two clients first, then a third joins.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon-fixture.h"
#include "ircc.h"
#include "tap.h"

#define NCLIENTS 3

/* Collect up to a round-trip; how many lines match text. */
static size_t
count_until_sync(struct ircc *c, const char *cmd, const char *text,
    char **msgid)
{
	struct ircc_lines got = {NULL, 0};
	size_t n = 0, i;

	if (msgid != NULL)
		*msgid = NULL;
	ircc_sync(c, &got);
	for (i = 0; i < got.n; i++)
		if (ircc_match(got.v[i], cmd, text)) {
			n++;
			if (msgid != NULL && *msgid == NULL)
				*msgid = ircc_tag(got.v[i], "msgid");
		}
	ircc_lines_free(&got);
	return n;
}

/* A member's message: once to each of n clients, one msgid. */
static void
member_to_all(struct dfix *f, struct ircc **c, size_t n, const char *text)
{
	char want[64], *first = NULL, *id = NULL, *l;
	size_t i, more;
	int64_t log_id;

	log_id = dfix_ctl_num(f, "send %lld %lld %s", (long long)DFIX_GROUP,
	    (long long)DFIX_BOB, text);
	snprintf(want, sizeof want, "10-%lld", (long long)log_id);
	for (i = 0; i < n; i++) {
		l = ircc_wait(c[i], "PRIVMSG", text);
		ok(l != NULL &&
		        strstr(l, ":Bob!7000000002@kakao PRIVMSG #Group :") !=
		            NULL,
		    "%s gets '%s' from Bob", ircc_name(c[i]), text);
		id = l ? ircc_tag(l, "msgid") : NULL;
		if (id != NULL) {
			if (first == NULL)
				first = strdup(id);
			ok(strcmp(id, want) == 0 && strcmp(id, first) == 0,
			    "%s: msgid %s (want %s)", ircc_name(c[i]), id,
			    want);
		}
		free(id);
		free(l);
		more = count_until_sync(c[i], "PRIVMSG", text, NULL);
		is_int(more, ==, 0);
	}
	ok(first != NULL, "the tagged clients saw a msgid");
	free(first);
}

/* Client s sends; every other client sees it once from alice. */
static void
one_to_others(struct dfix *f, struct ircc **c, size_t n, size_t s, bool echo,
    const char *text)
{
	char want[256], *id, *sid = NULL;
	size_t i, got;

	(void)f;
	snprintf(want, sizeof want,
	    ":alice!7000000001@kakao PRIVMSG #Group :%s", text);
	ircc_send(c[s], "PRIVMSG #Group :%s", text);
	if (echo) {
		char *l = ircc_wait(c[s], "PRIVMSG", text);

		ok(l != NULL && strstr(l, want) != NULL, "%s gets its echo",
		    ircc_name(c[s]));
		sid = l ? ircc_tag(l, "msgid") : NULL;
		free(l);
		is_int(count_until_sync(c[s], "PRIVMSG", text, NULL), ==, 0);
	} else
		is_int(count_until_sync(c[s], "PRIVMSG", text, NULL), ==, 0);
	for (i = 0; i < n; i++) {
		char *l;

		if (i == s)
			continue;
		l = ircc_wait(c[i], "PRIVMSG", text);
		ok(l != NULL && strstr(l, want) != NULL,
		    "%s sees %s's line from alice", ircc_name(c[i]),
		    ircc_name(c[s]));
		id = l ? ircc_tag(l, "msgid") : NULL;
		if (id != NULL && sid != NULL)
			is_str(id, sid);
		free(id);
		free(l);
		got = count_until_sync(c[i], "PRIVMSG", text, NULL);
		is_int(got, ==, 0);
	}
	free(sid);
}

int
main(void)
{
	static struct dfix f; /* read by the fixture's atexit handler */
	struct ircc *c[NCLIENTS] = {NULL, NULL, NULL};
	size_t i;

	tap_init(120);
	dfix_init(&f);
	ircc_set_pump(dfix_pump_now, &f);
	if (!dfix_irc_boot(&f, NULL))
		goto out;
	c[0] = ircc_attach(f.irc_port, "A", "a", "echo-message message-tags",
	    true, NULL);
	c[1] = ircc_attach(f.irc_port, "B", "b", "message-tags", true, NULL);
	if (!ok(c[0] && c[1], "two clients attach"))
		goto out;
	member_to_all(&f, c, 2, "to both");
	one_to_others(&f, c, 2, 0, true, "A speaks");
	one_to_others(&f, c, 2, 1, false, "B speaks");

	c[2] = ircc_attach(f.irc_port, "C", "c", NULL, true, NULL);
	if (!ok(c[2] != NULL, "a third client attaches"))
		goto out;
	member_to_all(&f, c, 3, "to all three");
	one_to_others(&f, c, 3, 0, true, "A to three");
	one_to_others(&f, c, 3, 2, false, "C to three");
	{
		char *l = NULL;

		/* C has no tags: plain lines. */
		dfix_ctl_num(&f, "send %lld %lld plain for C",
		    (long long)DFIX_GROUP, (long long)DFIX_CAROL);
		l = ircc_wait(c[2], "PRIVMSG", "plain for C");
		is_str(l,
		    ":Carol!7000000003@kakao PRIVMSG #Group :plain for C");
		free(l);
	}
	/* One client leaving does not disturb the others. */
	ircc_send(c[1], "QUIT :bye");
	ok(ircc_wait_closed(c[1], IRCC_WAIT_MS, NULL), "B quits");
	ircc_free(c[1]);
	c[1] = c[2];
	c[2] = NULL;
	member_to_all(&f, c, 2, "after B left");
out:
	for (i = 0; i < NCLIENTS; i++)
		ircc_free(c[i]);
	dfix_irc_end(&f);
	free(f.log);
	return done_testing();
}
