/* locoirc: see LICENSE.
 *
 * draft/chathistory against the running daemon, on a world whose messages
 * have known times (ten seconds apart, three sharing a second): a client
 * with the capability gets no backlog on attach and fetches it itself
 * with LATEST, BEFORE, AFTER, AROUND and BETWEEN (both ways) by msgid and
 * by timestamp, capped at 100; a nick and the memo query are targets;
 * TARGETS lists chats by their latest message; bad requests get the
 * spec's FAIL codes; a deleted message is left out and does not count.
 * A plain client gets the same lines, stamped, from "*loco history".
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon-fixture.h"
#include "ircc.h"
#include "tap.h"
#include "xmalloc.h"

/* The group's first message is at T0 + 10 s; message k at T0 + 10k s,
 * except that 42 and 43 share 41's second. */
#define T0 INT64_C(1700000000)
#define GROUP_N 150
#define QUIET INT64_C(12)
#define QUIET_AT (T0 + 100)
#define DIRECT_AT (T0 + 5000)
#define MEMO_AT (T0 + 6000)

/* What one CHATHISTORY answer held. */
struct hist {
	struct ircc_lines raw;
	char target[64];  /* the chathistory batch's target */
	int64_t ids[256]; /* log ids of the message lines, in order */
	size_t n;
	bool tagged;    /* every message line carries the batch's tag */
	bool only_msgs; /* nothing but PRIVMSG/NOTICE inside the batch */
};

static int64_t
group_at(int64_t k)
{
	return k == 42 || k == 43 ? T0 + 410 : T0 + 10 * k;
}

/* "timestamp=YYYY-MM-DDThh:mm:ss.mmmZ" for a time in milliseconds. */
static const char *
ts(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char day[32];

	gmtime_r(&t, &tm);
	strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "timestamp=%s.%03dZ", day, (int)(ms % 1000));
	return buf;
}

/* The world: DFIX_IRC_WORLD's people, a 150-message group, a quiet
 * group, a direct chat with both directions and the memo chat. */
static char *
world(void)
{
	size_t cap = 1 << 16, len = 0;
	char *w = xmalloc(cap);
	int64_t k, author;

	len += (size_t)snprintf(w + len, cap - len,
	    "{\"users\": ["
	    " {\"userId\": 7000000001, \"nickName\": \"Alice\"},"
	    " {\"userId\": 7000000002, \"nickName\": \"Bob\"},"
	    " {\"userId\": 7000000003, \"nickName\": \"Carol\"}],"
	    " \"accounts\": [{\"userId\": 7000000001, \"accessToken\":"
	    " \"tok-alice\", \"deviceUuid\": \"dev-alice\"}],"
	    " \"chats\": [{\"chatId\": 10, \"type\": \"MultiChat\","
	    " \"title\": \"Group\", \"members\": [7000000001, 7000000002,"
	    " 7000000003], \"messages\": [");
	for (k = 1; k <= GROUP_N; k++) {
		author = k == 7 ? DFIX_USER : k % 2 ? DFIX_BOB : DFIX_CAROL;
		len += (size_t)snprintf(w + len, cap - len,
		    "%s{\"authorId\": %" PRId64 ", \"logId\": %" PRId64
		    ", \"sendAt\": %" PRId64 ", \"message\": \"g%" PRId64 "\"}",
		    k > 1 ? "," : "", author, k, group_at(k), k);
	}
	len += (size_t)snprintf(w + len, cap - len,
	    "]}, {\"chatId\": 12, \"type\": \"MultiChat\", \"title\":"
	    " \"Quiet\", \"members\": [7000000001, 7000000002],"
	    " \"messages\": [{\"authorId\": 7000000002, \"logId\": 500,"
	    " \"sendAt\": %" PRId64 ", \"message\": \"q1\"}]},"
	    " {\"chatId\": 20, \"type\": \"DirectChat\", \"members\":"
	    " [7000000001, 7000000002], \"messages\": ["
	    "{\"authorId\": 7000000002, \"logId\": 1001, \"sendAt\": %" PRId64
	    ", \"message\": \"d1\"},"
	    "{\"authorId\": 7000000001, \"logId\": 1002, \"sendAt\": %" PRId64
	    ", \"message\": \"d2\"},"
	    "{\"authorId\": 7000000002, \"logId\": 1003, \"sendAt\": %" PRId64
	    ", \"message\": \"d3\"}]},"
	    " {\"chatId\": 30, \"type\": \"MemoChat\", \"members\":"
	    " [7000000001], \"messages\": [{\"authorId\": 7000000001,"
	    " \"logId\": 2001, \"sendAt\": %" PRId64
	    ", \"message\": \"note\"}]}]}",
	    QUIET_AT, DIRECT_AT, DIRECT_AT + 10, DIRECT_AT + 20, MEMO_AT);
	if (len >= cap)
		diag("the test world does not fit");
	return w;
}

static void
hist_free(struct hist *h)
{
	ircc_lines_free(&h->raw);
	memset(h, 0, sizeof *h);
}

/* Send a CHATHISTORY line and read its batch into *h. */
static bool hist_run(struct ircc *c, struct hist *h, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool
hist_run(struct ircc *c, struct hist *h, const char *fmt, ...)
{
	char line[512], *ref = NULL, *p, *tag, *id, *cmd;
	ssize_t open;
	size_t i;
	va_list ap;
	bool in = false;

	memset(h, 0, sizeof *h);
	h->tagged = h->only_msgs = true;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	ircc_send(c, "%s", line);
	if (!ircc_collect(c, "BATCH", " -", &h->raw)) {
		diag("no end of batch for '%s'", line);
		return false;
	}
	if ((open = ircc_lines_find(&h->raw, 0, "BATCH", " +")) < 0) {
		diag("no batch for '%s'", line);
		return false;
	}
	p = ircc_param(h->raw.v[open], 0);
	ref = p != NULL ? xstrdup(p + 1) : NULL;
	free(p);
	p = ircc_param(h->raw.v[open], 2);
	snprintf(h->target, sizeof h->target, "%s", p != NULL ? p : "");
	free(p);
	for (i = (size_t)open + 1; i < h->raw.n; i++) {
		cmd = ircc_command(h->raw.v[i]);
		if (cmd != NULL && strcmp(cmd, "BATCH") == 0) {
			free(cmd);
			break;
		}
		in = true;
		if (cmd == NULL ||
		    (strcmp(cmd, "PRIVMSG") != 0 && strcmp(cmd, "NOTICE") != 0))
			h->only_msgs = false;
		free(cmd);
		tag = ircc_tag(h->raw.v[i], "batch");
		if (tag == NULL || ref == NULL || strcmp(tag, ref) != 0)
			h->tagged = false;
		free(tag);
		id = ircc_tag(h->raw.v[i], "msgid");
		if (id != NULL && strchr(id, '-') != NULL &&
		    h->n < sizeof h->ids / sizeof h->ids[0])
			h->ids[h->n++] = strtoll(strchr(id, '-') + 1, NULL, 10);
		free(id);
	}
	(void)in;
	free(ref);
	return true;
}

/* Whether h holds exactly want[0..n). */
static bool
hist_is(const struct hist *h, const int64_t *want, size_t n)
{
	size_t i;
	bool same = h->n == n;

	for (i = 0; same && i < n; i++)
		same = h->ids[i] == want[i];
	if (!same) {
		diag("got %zu messages:", h->n);
		for (i = 0; i < h->n; i++)
			diag("  %" PRId64, h->ids[i]);
	}
	return same && h->tagged && h->only_msgs;
}

/* Whether h holds exactly lo..hi, ascending. */
static bool
hist_range(const struct hist *h, int64_t lo, int64_t hi)
{
	int64_t want[256];
	size_t n = 0;

	for (; lo <= hi && n < 256; lo++)
		want[n++] = lo;
	return hist_is(h, want, n);
}

#define IDS(...)                                                               \
	(const int64_t[]){__VA_ARGS__},                                        \
	    sizeof((const int64_t[]){__VA_ARGS__}) / sizeof(int64_t)

/* The basic walks by msgid, in #Group. */
static void
by_msgid(struct ircc *c)
{
	struct hist h;
	char *tag, want[64];
	ssize_t at;

	if (hist_run(c, &h, "CHATHISTORY LATEST #Group * 5")) {
		ok(hist_range(&h, 146, 150), "LATEST * 5: 146..150");
		is_str(h.target, "#Group");
		at = ircc_lines_find(&h.raw, 0, "PRIVMSG", ":g150");
		tag = at >= 0 ? ircc_tag(h.raw.v[at], "time") : NULL;
		ts(group_at(150) * 1000, want, sizeof want);
		is_str(tag, want + strlen("timestamp="));
		free(tag);
		tag = at >= 0 ? ircc_tag(h.raw.v[at], "account") : NULL;
		is_str(tag, "7000000003");
		free(tag);
		ok(at >= 0 &&
		        strstr(h.raw.v[at],
		            " :Carol!7000000003@kakao PRIVMSG #Group :g150") !=
		            NULL,
		    "the line as live: source, target, text");
	}
	hist_free(&h);
	if (hist_run(c, &h, "CHATHISTORY LATEST #Group msgid=10-147 10"))
		ok(hist_range(&h, 148, 150), "LATEST after a msgid: 148..150");
	hist_free(&h);
	if (hist_run(c, &h, "CHATHISTORY BEFORE #Group msgid=10-50 3"))
		ok(hist_range(&h, 47, 49), "BEFORE msgid 50, 3: 47..49");
	hist_free(&h);
	if (hist_run(c, &h, "CHATHISTORY AFTER #Group msgid=10-50 3"))
		ok(hist_range(&h, 51, 53), "AFTER msgid 50, 3: 51..53");
	hist_free(&h);
	if (hist_run(c, &h, "CHATHISTORY AROUND #Group msgid=10-50 4"))
		ok(hist_range(&h, 48, 51), "AROUND msgid 50, 4: 48..51");
	hist_free(&h);
	if (hist_run(c, &h,
	        "CHATHISTORY BETWEEN #Group msgid=10-10 "
	        "msgid=10-20 100"))
		ok(hist_range(&h, 11, 19), "BETWEEN 10 and 20: 11..19");
	hist_free(&h);
	if (hist_run(c, &h,
	        "CHATHISTORY BETWEEN #Group msgid=10-10 "
	        "msgid=10-20 3"))
		ok(hist_range(&h, 11, 13),
		    "BETWEEN forwards, 3: counted from the first, 11..13");
	hist_free(&h);
	if (hist_run(c, &h,
	        "CHATHISTORY BETWEEN #Group msgid=10-20 "
	        "msgid=10-10 3"))
		ok(hist_range(&h, 17, 19),
		    "BETWEEN backwards, 3: counted from the first, 17..19");
	hist_free(&h);
	if (hist_run(c, &h, "CHATHISTORY BEFORE #Group msgid=10-1 5"))
		ok(h.n == 0 && h.raw.n == 2 && strcmp(h.target, "#Group") == 0,
		    "nothing before the first: an empty batch");
	hist_free(&h);
	/* Our own line comes from our own nick. */
	if (hist_run(c, &h, "CHATHISTORY AFTER #Group msgid=10-6 1")) {
		ok(hist_range(&h, 7, 7), "AFTER 6, 1: our own 7");
		ok(ircc_lines_count(&h.raw, "PRIVMSG",
		       "alice!7000000001@kakao PRIVMSG #Group :g7") == 1,
		    "from alice");
	}
	hist_free(&h);
	/* The subcommand is not case-sensitive. */
	if (hist_run(c, &h, "CHATHISTORY latest #group * 1"))
		ok(hist_range(&h, 150, 150) && strcmp(h.target, "#Group") == 0,
		    "lower case works; the batch names the canonical target");
	hist_free(&h);
}

/* Timestamps: exclusive bounds, ties, sub-second references. */
static void
by_time(struct ircc *c)
{
	struct hist h;
	char t1[64], t2[64];

	ts(group_at(41) * 1000, t1, sizeof t1);
	if (hist_run(c, &h, "CHATHISTORY BEFORE #Group %s 3", t1))
		ok(hist_range(&h, 38, 40),
		    "BEFORE the second of 41..43: 38..40 (ties excluded)");
	hist_free(&h);
	if (hist_run(c, &h, "CHATHISTORY AFTER #Group %s 3", t1))
		ok(hist_range(&h, 44, 46),
		    "AFTER the second of 41..43: 44..46 (ties excluded)");
	hist_free(&h);
	ts(group_at(41) * 1000 + 1, t1, sizeof t1);
	if (hist_run(c, &h, "CHATHISTORY BEFORE #Group %s 3", t1))
		ok(hist_range(&h, 41, 43), "BEFORE 1 ms later: the tie 41..43");
	hist_free(&h);
	ts(group_at(41) * 1000 - 1, t1, sizeof t1);
	if (hist_run(c, &h, "CHATHISTORY AFTER #Group %s 3", t1))
		ok(hist_range(&h, 41, 43),
		    "AFTER 1 ms earlier: the tie 41..43");
	hist_free(&h);
	ts(group_at(40) * 1000, t1, sizeof t1);
	ts(group_at(44) * 1000, t2, sizeof t2);
	if (hist_run(c, &h, "CHATHISTORY BETWEEN #Group %s %s 100", t1, t2))
		ok(hist_range(&h, 41, 43), "BETWEEN two times: 41..43");
	hist_free(&h);
	if (hist_run(c, &h, "CHATHISTORY BETWEEN #Group %s %s 2", t2, t1))
		ok(hist_range(&h, 42, 43), "BETWEEN backwards by time, 2");
	hist_free(&h);
	ts(group_at(147) * 1000, t1, sizeof t1);
	if (hist_run(c, &h, "CHATHISTORY LATEST #Group %s 10", t1))
		ok(hist_range(&h, 148, 150), "LATEST after a time");
	hist_free(&h);
	ts(group_at(60) * 1000 + 500, t1, sizeof t1);
	if (hist_run(c, &h, "CHATHISTORY AROUND #Group %s 4", t1))
		ok(hist_range(&h, 59, 62), "AROUND a time: 59..62");
	hist_free(&h);
	/* A msgid and a timestamp together. */
	ts(group_at(30) * 1000, t1, sizeof t1);
	if (hist_run(c, &h, "CHATHISTORY BETWEEN #Group msgid=10-25 %s 100",
	        t1))
		ok(hist_range(&h, 26, 29), "BETWEEN a msgid and a time");
	hist_free(&h);
}

/* The 100 cap, nick and memo targets. */
static void
cap_and_targets(struct ircc *c)
{
	struct hist h;

	if (hist_run(c, &h, "CHATHISTORY LATEST #Group * 1000"))
		ok(hist_range(&h, 51, 150), "a limit of 1000 gives 100");
	hist_free(&h);
	if (hist_run(c, &h, "CHATHISTORY AFTER #Group msgid=10-0 250"))
		ok(hist_range(&h, 1, 100), "AFTER the start, 250: 1..100");
	hist_free(&h);
	if (hist_run(c, &h, "CHATHISTORY LATEST Bob * 10")) {
		ok(hist_is(&h, IDS(1001, 1002, 1003)),
		    "a nick: both directions of the direct chat");
		is_str(h.target, "Bob");
		ok(ircc_lines_count(&h.raw, "PRIVMSG",
		       "Bob!7000000002@kakao PRIVMSG alice :d1") == 1 &&
		        ircc_lines_count(&h.raw, "PRIVMSG",
		            "alice!7000000001@kakao PRIVMSG Bob :d2") == 1,
		    "the peer's line to us, ours to the peer");
	}
	hist_free(&h);
	if (hist_run(c, &h, "CHATHISTORY BEFORE bob msgid=20-1003 1"))
		ok(hist_is(&h, IDS(1002)), "nicks are case-insensitive");
	hist_free(&h);
	if (hist_run(c, &h, "CHATHISTORY LATEST *memo * 10"))
		ok(hist_is(&h, IDS(2001)) && strcmp(h.target, "*memo") == 0,
		    "the memo query");
	hist_free(&h);
}

/* Read a TARGETS batch into names[] (the lines' two params). */
static bool
targets(struct ircc *c, const char *t1, const char *t2, unsigned limit,
    char names[][32], size_t *n)
{
	struct ircc_lines got = {NULL, 0};
	ssize_t open;
	size_t i;
	char *type, *p;

	*n = 0;
	ircc_send(c, "CHATHISTORY TARGETS %s %s %u", t1, t2, limit);
	if (!ircc_collect(c, "BATCH", " -", &got))
		goto fail;
	if ((open = ircc_lines_find(&got, 0, "BATCH", " +")) < 0)
		goto fail;
	type = ircc_param(got.v[open], 1);
	if (type == NULL || strcmp(type, "draft/chathistory-targets") != 0) {
		diag("TARGETS batch type %s", type != NULL ? type : "none");
		free(type);
		goto fail;
	}
	free(type);
	for (i = (size_t)open + 1; i + 1 < got.n && *n < 8; i++) {
		p = ircc_param(got.v[i], 1);
		snprintf(names[*n], 32, "%s", p != NULL ? p : "");
		free(p);
		(*n)++;
	}
	ircc_lines_free(&got);
	return true;
fail:
	ircc_lines_diag(&got, "TARGETS");
	ircc_lines_free(&got);
	return false;
}

static void
test_targets(struct ircc *c)
{
	char names[8][32], lo[64], hi[64], mid[64];
	struct ircc_lines got = {NULL, 0};
	size_t n;
	ssize_t at;

	ts(T0 * 1000, lo, sizeof lo);
	ts((T0 + 10000) * 1000, hi, sizeof hi);
	if (targets(c, lo, hi, 10, names, &n))
		ok(n == 4 && strcmp(names[0], "#Quiet") == 0 &&
		        strcmp(names[1], "#Group") == 0 &&
		        strcmp(names[2], "Bob") == 0 &&
		        strcmp(names[3], "*memo") == 0,
		    "TARGETS: every chat, by its latest message");
	if (targets(c, lo, hi, 2, names, &n))
		ok(n == 2 && strcmp(names[0], "#Quiet") == 0 &&
		        strcmp(names[1], "#Group") == 0,
		    "TARGETS forwards, 2: the oldest two");
	if (targets(c, hi, lo, 2, names, &n))
		ok(n == 2 && strcmp(names[0], "Bob") == 0 &&
		        strcmp(names[1], "*memo") == 0,
		    "TARGETS backwards, 2: the newest two, ascending");
	/* Exclusive: the group's latest is exactly at mid. */
	ts(group_at(GROUP_N) * 1000, mid, sizeof mid);
	if (targets(c, mid, hi, 10, names, &n))
		ok(n == 2 && strcmp(names[0], "Bob") == 0,
		    "TARGETS bounds are exclusive");
	ircc_send(c, "CHATHISTORY TARGETS %s %s 10", lo, hi);
	if (ircc_collect(c, "BATCH", " -", &got)) {
		at = ircc_lines_find(&got, 0, "CHATHISTORY", "#Group");
		ts(group_at(GROUP_N) * 1000, mid, sizeof mid);
		ok(at >= 0 &&
		        strstr(got.v[at], mid + strlen("timestamp=")) != NULL,
		    "a target line has the time of its latest message");
	}
	ircc_lines_free(&got);
}

/* One FAIL for line whose text holds want. */
static void
fail_is(struct ircc *c, const char *line, const char *want)
{
	char *l;

	ircc_send(c, "%s", line);
	l = ircc_wait(c, "FAIL", "CHATHISTORY");
	ok(l != NULL && strstr(l, want) != NULL, "%s: %s (%s)", line, want,
	    l != NULL ? l : "nothing");
	free(l);
}

static void
errors(struct ircc *c)
{
	fail_is(c, "CHATHISTORY", "FAIL CHATHISTORY INVALID_PARAMS * :");
	fail_is(c, "CHATHISTORY FROB #Group * 5",
	    "FAIL CHATHISTORY INVALID_PARAMS FROB :");
	fail_is(c, "CHATHISTORY LATEST #Group *",
	    "FAIL CHATHISTORY INVALID_PARAMS LATEST :");
	fail_is(c, "CHATHISTORY LATEST #Group * 5 6",
	    "FAIL CHATHISTORY INVALID_PARAMS LATEST :");
	fail_is(c, "CHATHISTORY LATEST #Nowhere * 5",
	    "FAIL CHATHISTORY INVALID_TARGET LATEST #Nowhere :");
	fail_is(c, "CHATHISTORY LATEST nobody * 5",
	    "FAIL CHATHISTORY INVALID_TARGET LATEST nobody :");
	fail_is(c, "CHATHISTORY BEFORE #Group foo=1 5",
	    "FAIL CHATHISTORY INVALID_MSGREFTYPE BEFORE #Group foo=1 :");
	fail_is(c, "CHATHISTORY BEFORE #Group * 5",
	    "FAIL CHATHISTORY INVALID_PARAMS BEFORE * :");
	fail_is(c,
	    "CHATHISTORY BEFORE #Group timestamp=2023-13-01T00:00:00.000Z 5",
	    "FAIL CHATHISTORY INVALID_PARAMS BEFORE "
	    "timestamp=2023-13-01T00:00:00.000Z :");
	fail_is(c, "CHATHISTORY BEFORE #Group timestamp=2023-02-29T00:00:00Z 5",
	    "INVALID_PARAMS BEFORE timestamp=2023-02-29T00:00:00Z :");
	fail_is(c, "CHATHISTORY AFTER #Group msgid=20-1001 5",
	    "FAIL CHATHISTORY INVALID_PARAMS AFTER msgid=20-1001 :");
	fail_is(c, "CHATHISTORY AFTER #Group msgid=junk 5",
	    "FAIL CHATHISTORY INVALID_PARAMS AFTER msgid=junk :");
	fail_is(c, "CHATHISTORY LATEST #Group * 0",
	    "FAIL CHATHISTORY INVALID_PARAMS LATEST 0 :");
	fail_is(c, "CHATHISTORY LATEST #Group * -5",
	    "FAIL CHATHISTORY INVALID_PARAMS LATEST -5 :");
	fail_is(c, "CHATHISTORY BETWEEN #Group msgid=10-1 * 5",
	    "FAIL CHATHISTORY INVALID_PARAMS BETWEEN * :");
	fail_is(c,
	    "CHATHISTORY TARGETS msgid=10-1 "
	    "timestamp=2023-01-01T00:00:00.000Z 5",
	    "FAIL CHATHISTORY INVALID_PARAMS TARGETS msgid=10-1 :");
	ok(ircc_none(c, "BATCH", NULL), "no batch for any of them");
}

/* A labeled request: the label comes back on the response. */
static void
labeled(struct ircc *c)
{
	struct ircc_lines got = {NULL, 0};
	char *l;

	ircc_send(c, "@label=H1 CHATHISTORY LATEST #Group * 2");
	l = ircc_wait(c, NULL, "label=H1");
	ok(l != NULL, "the response carries the label (%s)",
	    l != NULL ? l : "nothing");
	free(l);
	ok(ircc_collect(c, "PRIVMSG", ":g150", &got), "and the lines");
	ircc_lines_free(&got);
	ok(ircc_sync(c, NULL), "the client is still fine");
}

/* Whether no line of l has tags. */
static bool
no_tags(const struct ircc_lines *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i][0] == '@')
			return false;
	return true;
}

/* "*loco history" for a client without any capability. */
static void
service(struct ircc *p, struct ircc *c)
{
	struct ircc_lines got = {NULL, 0};
	ssize_t a, b2, z;
	struct hist h;

	ircc_send(p, "PRIVMSG *loco :history #Group 3");
	if (ok(ircc_collect(p, "PRIVMSG", "history: 3 messages of #Group",
	           &got),
	        "*loco history #Group 3 answers")) {
		a = ircc_lines_find(&got, 0, "PRIVMSG", "] g148");
		b2 = ircc_lines_find(&got, 0, "PRIVMSG", "] g149");
		z = ircc_lines_find(&got, 0, "PRIVMSG", "] g150");
		ok(a >= 0 && a < b2 && b2 < z,
		    "148, 149, 150 in order, with a text stamp");
		ok(a >= 0 && strstr(got.v[a], "PRIVMSG #Group :[2023-") != NULL,
		    "in the channel's window, stamped with the day (%s)",
		    a >= 0 ? got.v[a] : "none");
		ok(ircc_lines_count(&got, "PRIVMSG", "] g147") == 0,
		    "nothing older");
		ok(ircc_lines_count(&got, "BATCH", NULL) == 0 && no_tags(&got),
		    "no batch and no tags for a plain client");
	}
	ircc_lines_free(&got);
	ircc_send(p, "PRIVMSG *loco :history Bob");
	if (ircc_collect(p, "PRIVMSG", "history: 3 messages of Bob", &got))
		ok(ircc_lines_count(&got, "PRIVMSG", "PRIVMSG alice :[") == 2 &&
		        ircc_lines_count(&got, "PRIVMSG", "PRIVMSG Bob :[") ==
		            1,
		    "a query's history: its lines in the query window");
	ircc_lines_free(&got);
	ircc_send(p, "PRIVMSG *loco :history #Nowhere");
	ok(ircc_expect(p, "PRIVMSG", "no such chat"), "an unknown chat");
	ircc_send(p, "PRIVMSG *loco :history #Group lots");
	ok(ircc_expect(p, "PRIVMSG", "is not a number"), "a bad count");
	ircc_send(p, "PRIVMSG *loco :history");
	ok(ircc_expect(p, "PRIVMSG", "usage: history"), "no target");
	ircc_send(p, "PRIVMSG *loco :help");
	ok(ircc_expect(p, "PRIVMSG", "history <#channel|nick> [n]"),
	    "help lists it");
	ircc_send(p, "PRIVMSG *loco :history #Group 5000");
	ok(ircc_expect(p, "PRIVMSG", "history: 150 messages of #Group"),
	    "n is capped at 200 (the chat has 150)");

	/* A client with batch gets it in a chathistory batch. */
	ircc_send(c, "PRIVMSG *loco :history #Quiet 5");
	memset(&h, 0, sizeof h);
	if (ircc_collect(c, "PRIVMSG", "history: 1 message of #Quiet",
	        &h.raw)) {
		a = ircc_lines_find(&h.raw, 0, "BATCH", "chathistory #Quiet");
		ok(a >= 0 &&
		        ircc_lines_find(&h.raw, (size_t)a, "PRIVMSG",
		            "#Quiet :q1") > a,
		    "with batch: inside a chathistory batch");
		ok(ircc_lines_find(&h.raw, 0, "PRIVMSG", "#Quiet :[") < 0,
		    "with server-time: no text stamp");
	}
	hist_free(&h);
}

/* A deleted message is left out and does not count. */
static void
deleted(struct dfix *f, struct ircc *c)
{
	struct hist h;
	int64_t feed;
	char sql[200];
	int i;

	feed = dfix_ctl_num(f, "delete 10 %lld 148", (long long)DFIX_CAROL);
	if (!ok(feed > 0, "Carol deletes 148 (feed %lld)", (long long)feed))
		return;
	snprintf(sql, sizeof sql,
	    "SELECT count(*) FROM messages WHERE chat_id = 10 AND "
	    "(log_id = 148 AND deleted = 1 OR log_id = %lld)",
	    (long long)feed);
	for (i = 0; i < 100 && dfix_store_int(f, sql) != 2; i++)
		if (!ircc_sync(c, NULL))
			break;
	ok(dfix_store_int(f, sql) == 2, "the store has the deletion");
	if (hist_run(c, &h, "CHATHISTORY LATEST #Group * 5"))
		ok(hist_is(&h, IDS(146, 147, 149, 150, feed)),
		    "LATEST * 5 skips 148 and still gives 5");
	hist_free(&h);
	if (hist_run(c, &h, "CHATHISTORY AFTER #Group msgid=10-146 3"))
		ok(hist_is(&h, IDS(147, 149, 150)), "AFTER skips it too");
	hist_free(&h);
}

int
main(void)
{
	static struct dfix f; /* read by the fixture's atexit handler */
	static const int64_t chats[] = {DFIX_GROUP, QUIET, DFIX_DIRECT,
	    DFIX_MEMO};
	struct ircc_lines burst = {NULL, 0};
	struct ircc *c = NULL, *p = NULL;
	char *w = world();

	tap_init(180);
	dfix_init(&f);
	ircc_set_pump(dfix_pump_now, &f);
	if (!dfix_sim_start(&f, w) || !dfix_write_conf(&f, NULL) ||
	    !dfix_daemon_start(&f, NULL) ||
	    !ok(f.irc_port != 0, "locoircd listens for IRC") ||
	    !ok(dfix_wait_synced(&f, chats, sizeof chats / sizeof chats[0]),
	        "the store holds every chat's history"))
		goto out;
	c = ircc_attach(f.irc_port, "h", "history",
	    "draft/chathistory batch server-time message-tags "
	    "labeled-response account-tag standard-replies",
	    true, &burst);
	if (!ok(c != NULL, "a chathistory client attaches"))
		goto out;
	ok(ircc_lines_count(&burst, "JOIN", "#Group") == 1,
	    "its burst shows the channels");
	ok(ircc_lines_count(&burst, "PRIVMSG", NULL) == 0 &&
	        ircc_lines_count(&burst, "NOTICE", "#Group") == 0,
	    "but replays no backlog: it asks for history itself");
	ok(ircc_lines_count(&burst, "005", "CHATHISTORY=100") == 1 &&
	        ircc_lines_count(&burst, "005",
	            "MSGREFTYPES=msgid,timestamp") == 1,
	    "ISUPPORT CHATHISTORY=100 MSGREFTYPES=msgid,timestamp");
	ircc_lines_free(&burst);
	by_msgid(c);
	by_time(c);
	cap_and_targets(c);
	test_targets(c);
	errors(c);
	labeled(c);
	p = ircc_attach(f.irc_port, "p", "plain", NULL, true, NULL);
	if (ok(p != NULL, "a plain client attaches"))
		service(p, c);
	deleted(&f, c);
out:
	ircc_free(c);
	ircc_free(p);
	dfix_irc_end(&f);
	free(f.log);
	free(w);
	return done_testing();
}
