/* locoirc: see LICENSE.
 *
 * draft/message-redaction both ways. A client's REDACT of its own message
 * deletes it in KakaoTalk, and each client with the capability sees one
 * REDACT (the origin under its label), clients without it none, and no
 * later backlog shows the message. Others' messages, unknown msgids, bad
 * targets, the memo chat and an unreachable KakaoTalk get a FAIL, never
 * silence. A deletion upstream (Bob's, or ours from the phone) reaches
 * clients with the capability as REDACT from the author, in channels and
 * queries, and everyone as the server's feed NOTICE.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon-fixture.h"
#include "ircc.h"
#include "tap.h"

/* The deleted bit of a Kakao message type (LOCO.md 2.4). */
#define DELETED_BIT 0x4000
/* Bytes of a long REDACT reason the gateway relays. */
#define REASON_KEPT 300
/* Round-trips to wait for the store to commit a deletion. */
#define COMMIT_TRIES 200

/* The capabilities of the clients A (everything redaction wants), B (just
 * redaction) and C (none). */
#define CAPS_A                                                                 \
	"draft/message-redaction echo-message labeled-response batch "         \
	"message-tags standard-replies"
#define CAPS_B "draft/message-redaction"

/* The attached clients. */
struct clients {
	struct ircc *a, *b, *c;
};

/* Send text to target from c under label; its msgid from the echo (into
 * msgid), or false. */
static bool
say(struct ircc *c, const char *target, const char *text, const char *label,
    char *msgid, size_t len)
{
	char want[400], *l, *v;

	ircc_send(c, "@label=%s PRIVMSG %s :%s", label, target, text);
	snprintf(want, sizeof want, "%s :%s", target, text);
	l = ircc_wait(c, "PRIVMSG", want);
	v = l != NULL ? ircc_tag(l, "msgid") : NULL;
	free(l);
	if (v == NULL)
		return false;
	snprintf(msgid, len, "%s", v);
	free(v);
	return true;
}

/* The log id of a msgid "<chat>-<log>". */
static long long
log_of(const char *msgid)
{
	const char *dash = strchr(msgid, '-');

	return dash != NULL ? atoll(dash + 1) : 0;
}

/* Whether locosim has chat's message log_id deleted (type bit). */
static bool
sim_deleted(struct dfix *f, int64_t chat, long long log_id)
{
	struct dfix_msg *m = NULL;
	ssize_t n = dfix_sim_log(f, chat, &m), i;
	bool found = false;

	for (i = 0; i < n; i++)
		if (m[i].log_id == log_id)
			found = (m[i].type & DELETED_BIT) != 0;
	dfix_msgs_free(m, n);
	return found;
}

/* Wait (round-trips on c, no sleeps) until the store has chat's log_id
 * marked deleted. */
static bool
store_deleted(struct dfix *f, struct ircc *c, int64_t chat, long long log_id)
{
	char sql[200];
	int i;

	snprintf(sql, sizeof sql,
	    "SELECT deleted FROM messages WHERE chat_id = %lld AND "
	    "log_id = %lld",
	    (long long)chat, log_id);
	for (i = 0; i < COMMIT_TRIES; i++) {
		if (dfix_store_int(f, sql) == 1)
			return true;
		if (!ircc_sync(c, NULL))
			return false;
	}
	diag("the store never marked %lld-%lld deleted", (long long)chat,
	    log_id);
	return false;
}

/* No further line matching command and substr reaches c (a round-trip). */
static bool
no_more(struct ircc *c, const char *command, const char *substr)
{
	return ircc_none(c, command, substr);
}

/*
 * Wait for the REDACT of msgid at c and check it is exactly want (from
 * the source on, tags excluded) and, if label is not NULL, carries it;
 * then prove no second one comes.
 */
static void
expect_redact_once(struct ircc *c, const char *msgid, const char *want,
    const char *label)
{
	char *l = ircc_wait(c, "REDACT", msgid), *body, *v;

	/* The tags (time, account, label) depend on the client's caps. */
	body = l;
	if (l != NULL && l[0] == '@')
		body = strchr(l, ' ') != NULL ? strchr(l, ' ') + 1 : NULL;
	ok(body != NULL && strcmp(body, want) == 0, "%s: %s (got %s)",
	    ircc_name(c), want, l ? l : "nothing");
	if (label != NULL) {
		v = l != NULL ? ircc_tag(l, "label") : NULL;
		ok(v != NULL && strcmp(v, label) == 0,
		    "%s: under label %s (got %s)", ircc_name(c), label,
		    v ? v : "none");
		free(v);
	}
	free(l);
	ok(no_more(c, "REDACT", msgid), "%s: only one REDACT of %s",
	    ircc_name(c), msgid);
}

/* A's REDACT of its own message in the group. */
static void
own_redact(struct dfix *f, struct clients *k)
{
	struct ircc_lines burst = {NULL, 0};
	struct ircc *d;
	char msgid[64], want[400];
	long long id;

	if (!ok(say(k->a, "#Group", "delete me", "W1", msgid, sizeof msgid),
	        "A says something, echoed with a msgid"))
		return;
	id = log_of(msgid);
	ok(ircc_expect(k->b, "PRIVMSG", "#Group :delete me"), "B sees it");
	ok(ircc_expect(k->c, "PRIVMSG", "#Group :delete me"), "C sees it");

	ircc_send(k->a, "@label=R1 REDACT #Group %s :oops", msgid);
	snprintf(want, sizeof want,
	    ":alice!7000000001@kakao REDACT #Group %s :oops", msgid);
	expect_redact_once(k->a, msgid, want, "R1");
	expect_redact_once(k->b, msgid, want, NULL);
	ok(no_more(k->c, "REDACT", NULL), "C, without the cap, gets none");
	ok(sim_deleted(f, DFIX_GROUP, id), "locosim has %s deleted", msgid);
	ok(store_deleted(f, k->a, DFIX_GROUP, id),
	    "the store marks it deleted");

	/* A new client name gets the chat's backlog: not the deleted line. */
	d = ircc_attach(f->irc_port, "d", "fresh", NULL, true, &burst);
	if (ok(d != NULL, "a new client attaches")) {
		ok(ircc_lines_count(&burst, "PRIVMSG", "] hello") == 1,
		    "its backlog has the group's messages");
		ok(ircc_lines_count(&burst, "PRIVMSG", "delete me") == 0,
		    "but not the deleted one");
	}
	ircc_lines_free(&burst);
	ircc_free(d);
}

/* Wait for FAIL REDACT code at c with the params want (after "FAIL"),
 * labeled label. */
static void
expect_fail(struct ircc *c, const char *want, const char *label)
{
	char *l = ircc_wait(c, "FAIL", "REDACT"), *v;

	ok(l != NULL && strstr(l, want) != NULL, "%s (got %s)", want,
	    l ? l : "nothing");
	if (label != NULL) {
		v = l != NULL ? ircc_tag(l, "label") : NULL;
		ok(v != NULL && strcmp(v, label) == 0, "under label %s", label);
		free(v);
	}
	free(l);
}

/* REDACTs that must fail, each with its code. */
static void
refusals(struct dfix *f, struct clients *k)
{
	struct dfix_msg *memo = NULL;
	ssize_t n;
	char want[400], msgid[64], *l;
	struct ircc_lines skipped = {NULL, 0};
	long long id;

	id = dfix_ctl_num(f, "send %lld %lld bob speaks", (long long)DFIX_GROUP,
	    (long long)DFIX_BOB);
	ok(id > 0, "Bob says something");
	snprintf(msgid, sizeof msgid, "10-%lld", id);
	ok(ircc_expect(k->a, "PRIVMSG", "#Group :bob speaks"), "A sees it");
	ok(ircc_expect(k->b, "PRIVMSG", "#Group :bob speaks"), "B sees it");
	/* Our own delete's feed reached us with the gap fill before Bob's
	 * line: C, without the cap, learns of the deletion from it. */
	l = ircc_wait_skipped(k->c, "PRIVMSG", "#Group :bob speaks", &skipped);
	ok(l != NULL &&
	        ircc_lines_count(&skipped, "NOTICE",
	            "#Group :a message was deleted") == 1,
	    "C got the feed NOTICE of A's deletion before Bob's line");
	free(l);
	ircc_lines_free(&skipped);

	ircc_send(k->a, "@label=R2 REDACT #Group %s :not mine", msgid);
	snprintf(want, sizeof want,
	    "REDACT REDACT_FORBIDDEN #Group %s :", msgid);
	expect_fail(k->a, want, "R2");
	ok(sim_deleted(f, DFIX_GROUP, id) == false,
	    "Bob's message stays in locosim");

	ircc_send(k->a, "REDACT #Group 10-999999");
	expect_fail(k->a, "REDACT UNKNOWN_MSGID #Group 10-999999 :", NULL);
	snprintf(msgid, sizeof msgid, "11-%lld", id);
	ircc_send(k->a, "REDACT #Group %s", msgid);
	snprintf(want, sizeof want, "REDACT UNKNOWN_MSGID #Group %s :", msgid);
	expect_fail(k->a, want, NULL);
	ircc_send(k->a, "REDACT #Group nonsense");
	expect_fail(k->a, "REDACT UNKNOWN_MSGID #Group nonsense :", NULL);
	ircc_send(k->a, "REDACT #nowhere 10-1");
	expect_fail(k->a, "REDACT INVALID_TARGET #nowhere :", NULL);
	ircc_send(k->a, "REDACT #Group");
	ok(ircc_expect(k->a, "461", "REDACT"), "a missing msgid is 461");

	/* The memo chat "deletes" without deleting (LOCO.md 2.12). */
	n = dfix_sim_log(f, DFIX_MEMO, &memo);
	if (ok(n > 0, "the memo chat has a note")) {
		snprintf(msgid, sizeof msgid, "30-%lld",
		    (long long)memo[0].log_id);
		ircc_send(k->a, "REDACT *memo %s", msgid);
		snprintf(want, sizeof want,
		    "REDACT REDACT_FORBIDDEN *memo %s :", msgid);
		expect_fail(k->a, want, NULL);
	}
	dfix_msgs_free(memo, n);

	/* Without standard-replies the FAIL is a NOTICE. */
	ircc_send(k->b, "REDACT #Group 10-999999");
	ok(ircc_expect(k->b, "NOTICE", "REDACT UNKNOWN_MSGID: "),
	    "B, without standard-replies, gets the FAIL as a NOTICE");
	ok(no_more(k->a, "REDACT", NULL) && no_more(k->b, "REDACT", NULL),
	    "no refusal sent a REDACT to anyone");
}

/* Deletions upstream: Bob's in the group and in the query, and ours from
 * the phone. */
static void
upstream(struct dfix *f, struct clients *k)
{
	char msgid[64], want[600], reason[401];
	long long id;

	id = dfix_ctl_num(f, "send %lld %lld soon gone", (long long)DFIX_GROUP,
	    (long long)DFIX_BOB);
	snprintf(msgid, sizeof msgid, "10-%lld", id);
	ok(ircc_expect(k->a, "PRIVMSG", "#Group :soon gone") &&
	        ircc_expect(k->b, "PRIVMSG", "#Group :soon gone") &&
	        ircc_expect(k->c, "PRIVMSG", "#Group :soon gone"),
	    "Bob says something, everyone sees it");
	ok(dfix_ctl_num(f, "delete %lld %lld %lld", (long long)DFIX_GROUP,
	       (long long)DFIX_BOB, id) > 0,
	    "locosim: Bob deletes it");
	snprintf(want, sizeof want, ":Bob!7000000002@kakao REDACT #Group %s",
	    msgid);
	expect_redact_once(k->a, msgid, want, NULL);
	expect_redact_once(k->b, msgid, want, NULL);
	ok(ircc_expect(k->c, "NOTICE", "#Group :a message was deleted"),
	    "C gets the feed NOTICE");
	ok(no_more(k->c, "REDACT", NULL), "and no REDACT");

	/* In the query, Bob's lines were addressed to us. */
	id = dfix_ctl_num(f, "send %lld %lld whisper", (long long)DFIX_DIRECT,
	    (long long)DFIX_BOB);
	snprintf(msgid, sizeof msgid, "20-%lld", id);
	ok(ircc_expect(k->a, "PRIVMSG", "alice :whisper") &&
	        ircc_expect(k->b, "PRIVMSG", "alice :whisper"),
	    "Bob whispers");
	ok(dfix_ctl_num(f, "delete %lld %lld %lld", (long long)DFIX_DIRECT,
	       (long long)DFIX_BOB, id) > 0,
	    "locosim: Bob deletes the whisper");
	snprintf(want, sizeof want, ":Bob!7000000002@kakao REDACT alice %s",
	    msgid);
	expect_redact_once(k->a, msgid, want, NULL);
	expect_redact_once(k->b, msgid, want, NULL);

	/* Our own line in the query: REDACT to the peer's nick, with a
	 * reason too long to relay whole after our source is added. */
	memset(reason, 'r', sizeof reason - 1);
	reason[sizeof reason - 1] = '\0';
	if (ok(say(k->a, "Bob", "my whisper", "W2", msgid, sizeof msgid),
	        "A whispers back")) {
		ircc_send(k->a, "@label=R3 REDACT Bob %s :%s", msgid, reason);
		snprintf(want, sizeof want,
		    ":alice!7000000001@kakao REDACT Bob %s :%.*s", msgid,
		    REASON_KEPT, reason);
		expect_redact_once(k->a, msgid, want, "R3");
		expect_redact_once(k->b, msgid, want, NULL);
		ok(sim_deleted(f, DFIX_DIRECT, log_of(msgid)),
		    "locosim has the whisper deleted");
	}

	/* The account deletes from the phone: the server tells us. */
	if (ok(say(k->a, "#Group", "phone deletes this", "W3", msgid,
	           sizeof msgid),
	        "A says something else")) {
		ok(ircc_expect(k->b, "PRIVMSG", "#Group :phone deletes this"),
		    "B sees it");
		ok(dfix_ctl_num(f, "delete %lld %lld %lld",
		       (long long)DFIX_GROUP, (long long)DFIX_USER,
		       log_of(msgid)) > 0,
		    "locosim: the phone deletes it");
		snprintf(want, sizeof want,
		    ":alice!7000000001@kakao REDACT #Group %s", msgid);
		expect_redact_once(k->a, msgid, want, NULL);
		expect_redact_once(k->b, msgid, want, NULL);
		ok(store_deleted(f, k->a, DFIX_GROUP, log_of(msgid)),
		    "the store marks it deleted");
	}
}

/* KakaoTalk unreachable: the REDACT gets a FAIL under its label. */
static void
offline(struct dfix *f, struct clients *k)
{
	char msgid[64], want[400];

	if (!ok(say(k->a, "#Group", "stuck here", "W4", msgid, sizeof msgid),
	        "A says a last thing"))
		return;
	ok(dfix_reply_ok(dfix_ctl(f, "expire %lld", (long long)DFIX_USER)),
	    "locosim expires the token");
	ok(dfix_ctl_num(f, "drop %lld", (long long)DFIX_USER) == 1,
	    "and drops the session");
	ok(ircc_expect(k->a, "PRIVMSG", "KakaoTalk is stopped"),
	    "*loco says KakaoTalk is gone");
	ircc_send(k->a, "@label=R4 REDACT #Group %s", msgid);
	snprintf(want, sizeof want,
	    "REDACT REDACT_FORBIDDEN #Group %s :", msgid);
	expect_fail(k->a, want, "R4");
	ok(no_more(k->b, "REDACT", NULL), "B gets no REDACT");
}

int
main(void)
{
	static struct dfix f; /* read by the fixture's atexit handler */
	struct clients k = {NULL, NULL, NULL};

	tap_init(120);
	dfix_init(&f);
	ircc_set_pump(dfix_pump_now, &f);
	if (!dfix_irc_boot(&f, NULL))
		goto out;
	k.a = ircc_attach(f.irc_port, "a", "ra", CAPS_A, true, NULL);
	k.b = ircc_attach(f.irc_port, "b", "rb", CAPS_B, true, NULL);
	k.c = ircc_attach(f.irc_port, "c", "rc", NULL, true, NULL);
	if (!ok(k.a != NULL && k.b != NULL && k.c != NULL,
	        "three clients attach"))
		goto out;
	ircc_set_auto_pong(k.a, true);
	ircc_set_auto_pong(k.b, true);
	ircc_set_auto_pong(k.c, true);
	own_redact(&f, &k);
	refusals(&f, &k);
	upstream(&f, &k);
	offline(&f, &k);
out:
	ircc_free(k.a);
	ircc_free(k.b);
	ircc_free(k.c);
	dfix_irc_end(&f);
	free(f.log);
	return done_testing();
}
