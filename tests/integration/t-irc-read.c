/* locoirc: see LICENSE.
 *
 * Read markers (draft/read-marker): MARKREAD before 366 on JOIN; a set is
 * answered with the stored value, which only moves forward, and pushed to
 * the account's other clients with the cap (never to one without); gets
 * and errors; a read on "the phone" (our own DECUNREAD) moves the marker
 * to that message's time. KakaoTalk hears of a client's mark (NOTIREAD)
 * only with read_receipts = true, never by mere delivery; the marker
 * survives the restart into that configuration.
 */
#include "config.h"

#include <sys/wait.h>

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bson/bson.h>

#include "daemon-fixture.h"
#include "ircc.h"
#include "loco-bson.h"
#include "tap.h"

/* The group's messages have fixed times (a minute apart, in 2020), so
 * every marker below lies in its own second; the account has read none
 * of the group's or the direct chat's messages in KakaoTalk. */
#define T_HELLO INT64_C(1600000060)
#define T_FOURTH INT64_C(1600000180)
#define T_PSST INT64_C(1600000030)

#define WORLD                                                                  \
	"{\"users\": ["                                                        \
	"  {\"userId\": 7000000001, \"nickName\": \"Alice\"},"                 \
	"  {\"userId\": 7000000002, \"nickName\": \"Bob\"},"                   \
	"  {\"userId\": 7000000003, \"nickName\": \"Carol\"}],"                \
	" \"accounts\": ["                                                     \
	"  {\"userId\": 7000000001, \"accessToken\": \"tok-alice\","           \
	"   \"deviceUuid\": \"dev-alice\"}],"                                  \
	" \"chats\": ["                                                        \
	"  {\"chatId\": 10, \"type\": \"MultiChat\", \"title\": \"Group\","    \
	"   \"members\": [7000000001, 7000000002, 7000000003],"                \
	"   \"messages\": ["                                                   \
	"    {\"authorId\": 7000000002, \"message\": \"hi\","                  \
	"     \"sendAt\": 1600000000},"                                        \
	"    {\"authorId\": 7000000003, \"message\": \"hello\","               \
	"     \"sendAt\": 1600000060},"                                        \
	"    {\"authorId\": 7000000002, \"message\": \"third\","               \
	"     \"sendAt\": 1600000120},"                                        \
	"    {\"authorId\": 7000000003, \"message\": \"fourth\","              \
	"     \"sendAt\": 1600000180}],"                                       \
	"   \"watermarks\": {\"7000000001\": 0}},"                             \
	"  {\"chatId\": 11, \"type\": \"MultiChat\", \"title\": "              \
	"\"Second Room\","                                                     \
	"   \"members\": [7000000001, 7000000002],"                            \
	"   \"messages\": [{\"authorId\": 7000000002, \"message\": \"yo\","    \
	"     \"sendAt\": 1600000010}]},"                                      \
	"  {\"chatId\": 20, \"type\": \"DirectChat\","                         \
	"   \"members\": [7000000001, 7000000002],"                            \
	"   \"messages\": [{\"authorId\": 7000000002, \"message\": \"psst\","  \
	"     \"sendAt\": 1600000030}],"                                       \
	"   \"watermarks\": {\"7000000001\": 0}},"                             \
	"  {\"chatId\": 30, \"type\": \"MemoChat\", \"members\": "             \
	"[7000000001],"                                                        \
	"   \"messages\": [{\"authorId\": 7000000001, \"message\": "           \
	"\"note\"}]}]}"

/* Caps of the two marker clients, and of the one without. */
#define CAPS_MARK                                                              \
	"draft/read-marker server-time message-tags batch labeled-response "   \
	"echo-message standard-replies"
#define CAPS_PLAIN "server-time standard-replies"

/* A client's marker, and one older than it. */
#define TS_SET "timestamp=2020-01-02T03:04:05.678Z"
#define TS_OLDER "timestamp=2019-12-31T23:59:59.999Z"

static const int64_t chats[] = {DFIX_GROUP, INT64_C(11), DFIX_DIRECT,
    DFIX_MEMO};
#define NCHATS (sizeof chats / sizeof chats[0])

/* The log ids of the group's four messages and of "psst". */
static int64_t id_hello, id_fourth, id_psst;

/* "timestamp=..." for a KakaoTalk time (whole seconds), in buf. */
static const char *
ts_of(int64_t send_at, char *buf, size_t len)
{
	time_t t = (time_t)send_at;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "timestamp=%Y-%m-%dT%H:%M:%S.000Z", &tm);
	return buf;
}

/* The log id of text in chat, as locosim has it; 0 when none. */
static int64_t
sim_id(struct dfix *f, int64_t chat, const char *text)
{
	struct dfix_msg *m = NULL;
	ssize_t n = dfix_sim_log(f, chat, &m), i;
	int64_t id = 0;

	for (i = 0; i < n; i++)
		if (strcmp(m[i].text, text) == 0)
			id = m[i].log_id;
	dfix_msgs_free(m, n);
	return id;
}

/* The account's read watermark in chat as locosim has it, or -1. */
static int64_t
sim_watermark(struct dfix *f, int64_t chat)
{
	int64_t n = dfix_ctl_num(f, "watermarks %lld", (long long)chat), i;
	int64_t found = -1;
	bson_error_t berr;
	char *line;

	for (i = 0; i < n; i++) {
		int64_t uid = 0, wm = 0;
		bson_t doc;

		if ((line = dfix_ctl_reply(f)) == NULL)
			return -1;
		if (bson_init_from_json(&doc, line, -1, &berr)) {
			if (loco_bson_get_i64(&doc, "userId", &uid) == 1 &&
			    uid == DFIX_USER &&
			    loco_bson_get_i64(&doc, "watermark", &wm) == 1)
				found = wm;
			bson_destroy(&doc);
		}
		free(line);
	}
	line = dfix_ctl_reply(f);
	if (n < 0 || line == NULL || strcmp(line, ".") != 0)
		found = -1;
	free(line);
	return found;
}

/* Start locosim with WORLD and locoircd with extra config; wait for the
 * store to hold every chat. */
static bool
boot(struct dfix *f, const char *extra)
{
	if (!dfix_sim_start(f, WORLD) || !dfix_write_conf(f, extra) ||
	    !dfix_daemon_start(f, NULL))
		return false;
	if (!ok(f->irc_port != 0, "locoircd listens for IRC (port %u)",
	        f->irc_port))
		return false;
	return ok(dfix_wait_synced(f, chats, NCHATS),
	    "the store holds every chat's history");
}

/*
 * Whether burst has "MARKREAD chan want" from the server after chan's JOIN
 * and before its 366.
 */
static bool
markread_in_burst(const struct ircc_lines *burst, const char *chan,
    const char *want)
{
	char join[80], mr[160], end[80];
	ssize_t j, m, e;
	char *src;
	bool good;

	snprintf(join, sizeof join, "JOIN %s", chan);
	snprintf(mr, sizeof mr, " MARKREAD %s %s", chan, want);
	snprintf(end, sizeof end, " %s :", chan);
	j = ircc_lines_find(burst, 0, "JOIN", join);
	m = j >= 0 ? ircc_lines_find(burst, (size_t)j, "MARKREAD", mr) : -1;
	e = j >= 0 ? ircc_lines_find(burst, (size_t)j, "366", end) : -1;
	src = m >= 0 ? ircc_source(burst->v[m]) : NULL;
	/* From the server: a source without nick!user@host. */
	good =
	    j >= 0 && m > j && e > m && src != NULL && strchr(src, '!') == NULL;
	if (!good)
		diag("%s: JOIN at %zd, MARKREAD at %zd, 366 at %zd", chan, j, m,
		    e);
	free(src);
	return good;
}

/* JOIN-time MARKREAD for clients with the cap, none for the others. */
static void
on_join(const struct ircc_lines *ba, const struct ircc_lines *bc)
{
	ok(markread_in_burst(ba, "#Group", "*"),
	    "MARKREAD #Group * between JOIN and 366");
	ok(markread_in_burst(ba, "#Second_Room", "*"),
	    "MARKREAD #Second_Room * between JOIN and 366");
	is_uint(ircc_lines_count(ba, "MARKREAD", NULL), ==, 2);
	ok(ircc_lines_count(ba, "JOIN", "Bob") == 0,
	    "no JOIN, hence no MARKREAD, for the query");
	is_uint(ircc_lines_count(bc, "MARKREAD", NULL), ==, 0);
}

/* A's set: A answered (under its label), B told, C not. */
static void
set_and_push(struct ircc *a, struct ircc *b, struct ircc *c)
{
	char *l, *v;

	ircc_send(a, "@label=M1 MARKREAD #Group " TS_SET);
	l = ircc_wait(a, "MARKREAD", "#Group");
	ok(l != NULL && strstr(l, " MARKREAD #Group " TS_SET) != NULL,
	    "the setter gets the stored value back (%s)", l ? l : "nothing");
	v = l != NULL ? ircc_tag(l, "label") : NULL;
	is_str(v, "M1");
	free(v);
	free(l);
	ok(ircc_expect(b, "MARKREAD", "MARKREAD #Group " TS_SET),
	    "the other client with the cap is told");
	ok(ircc_none(c, "MARKREAD", NULL), "the client without it is not");

	/* Older (and equal) values: answered with the newer stored one. */
	ircc_send(a, "MARKREAD #Group " TS_OLDER);
	ok(ircc_expect(a, "MARKREAD", "MARKREAD #Group " TS_SET),
	    "an older value is answered with the stored one");
	ircc_send(a, "MARKREAD #group " TS_SET);
	ok(ircc_expect(a, "MARKREAD", "MARKREAD #Group " TS_SET),
	    "the same value again (any case of the name) too");
	ircc_send(a, "MARKREAD #Group timestamp=2016-02-29T00:00:00.000Z");
	ok(ircc_expect(a, "MARKREAD", "MARKREAD #Group " TS_SET),
	    "a leap day is a valid, older value");
	ok(ircc_none(b, "MARKREAD", NULL),
	    "nothing moved: the others hear nothing");
}

/* Gets: the stored value, or "*". */
static void
get(struct ircc *b)
{
	ircc_send(b, "MARKREAD #Group");
	ok(ircc_expect(b, "MARKREAD", "MARKREAD #Group " TS_SET),
	    "get: the stored value");
	ircc_send(b, "MARKREAD #second_room");
	ok(ircc_expect(b, "MARKREAD", "MARKREAD #Second_Room *"),
	    "get: * where none is stored");
	ircc_send(b, "MARKREAD bob");
	ok(ircc_expect(b, "MARKREAD", "MARKREAD Bob *"),
	    "get on a query names its nick");
}

/* Errors leave the marker alone. */
static void
errors(struct ircc *a, struct ircc *b, struct ircc *c)
{
	static const char *const bad[] = {
	    "*",
	    "2020-01-03T00:00:00.000Z",
	    "timestamp=2020-01-03T00:00:00Z",
	    "timestamp=2020-13-03T00:00:00.000Z",
	    "timestamp=2019-02-29T00:00:00.000Z",
	    "timestamp=2020-01-03T24:00:00.000Z",
	    "timestamp=2020-01-03T00:00:00.000",
	    "timestamp=2020-01-03 00:00:00.000Z",
	    "timestamp=1969-12-31T23:59:59.999Z",
	    "timestamp=2999-01-01T00:00:00.000Z",
	    "timestamp=2020-01-0xT00:00:00.000Z",
	};
	size_t i;
	char *l;

	ircc_send(a, "MARKREAD");
	ok(ircc_expect(a, "FAIL", "FAIL MARKREAD NEED_MORE_PARAMS"),
	    "no target: NEED_MORE_PARAMS");
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ircc_send(a, "MARKREAD #Group :%s", bad[i]);
		l = ircc_wait(a, "FAIL", "MARKREAD");
		ok(l != NULL && strstr(l, " INVALID_PARAMS ") != NULL,
		    "'%s': INVALID_PARAMS (%s)", bad[i], l ? l : "nothing");
		free(l);
	}
	ircc_send(a, "MARKREAD #nope " TS_SET);
	ok(ircc_expect(a, "FAIL", "FAIL MARKREAD INVALID_TARGET #nope"),
	    "set on an unknown target: INVALID_TARGET");
	ircc_send(a, "MARKREAD nobody");
	ok(ircc_expect(a, "FAIL", "FAIL MARKREAD INVALID_TARGET nobody"),
	    "get on an unknown target: INVALID_TARGET");
	ircc_send(a, "MARKREAD #Group");
	ok(ircc_expect(a, "MARKREAD", "MARKREAD #Group " TS_SET),
	    "the marker is unchanged after the errors");
	ok(ircc_none(b, "MARKREAD", NULL), "and nobody was told anything");
	ircc_send(c, "MARKREAD #Group *");
	ok(ircc_expect(c, "FAIL", "FAIL MARKREAD INVALID_PARAMS"),
	    "a client without the cap gets the same errors");
}

/* The account reads on the phone: MARKREAD with that message's time to
 * the clients with the cap; another member's read is no marker. */
static void
phone(struct dfix *f, struct ircc *a, struct ircc *b, struct ircc *c)
{
	struct ircc_lines got = {NULL, 0};
	char ts[64], want[128];

	ok(dfix_reply_ok(
	       dfix_ctl(f, "read %lld %lld %lld", (long long)DFIX_GROUP,
	           (long long)DFIX_BOB, (long long)id_fourth)),
	    "locosim: Bob reads everything");
	ok(dfix_reply_ok(
	       dfix_ctl(f, "read %lld %lld %lld", (long long)DFIX_GROUP,
	           (long long)DFIX_USER, (long long)id_hello)),
	    "locosim: the account reads up to 'hello' on the phone");
	snprintf(want, sizeof want, "MARKREAD #Group %s",
	    ts_of(T_HELLO, ts, sizeof ts));
	/* The pushes come in order: Bob's read, had it shown, comes first. */
	ok(ircc_collect(a, "MARKREAD", NULL, &got), "a MARKREAD reaches A");
	ok(got.n > 0 && strstr(got.v[got.n - 1], want) != NULL,
	    "the first is 'hello''s time (%s)",
	    got.n > 0 ? got.v[got.n - 1] : "nothing");
	ircc_lines_free(&got);
	ok(ircc_expect(b, "MARKREAD", want), "and B");
	ok(ircc_none(c, "MARKREAD", NULL), "nothing to the client without it");

	ok(dfix_reply_ok(
	       dfix_ctl(f, "read %lld %lld %lld", (long long)DFIX_DIRECT,
	           (long long)DFIX_USER, (long long)id_psst)),
	    "locosim: the account reads 'psst' on the phone");
	snprintf(want, sizeof want, "MARKREAD Bob %s",
	    ts_of(T_PSST, ts, sizeof ts));
	ok(ircc_expect(a, "MARKREAD", want), "a query's marker moves too");
}

/* Through the same LOCO connection as any NOTIREAD before it: once A's
 * line to the second room is echoed, locosim has handled that too. */
static bool
barrier(struct ircc *a, const char *text)
{
	char want[128];

	ircc_send(a, "PRIVMSG #Second_Room :%s", text);
	snprintf(want, sizeof want, "#Second_Room :%s", text);
	return ok(ircc_expect(a, "PRIVMSG", want), "barrier '%s' echoed", text);
}

/* read_receipts off (the default): a client's mark stays local. */
static void
receipts_off(struct dfix *f, struct ircc *a, struct ircc *b)
{
	char ts[64], want[128];

	is_int(sim_watermark(f, DFIX_GROUP), ==, id_hello);
	ircc_send(a, "MARKREAD #Group %s", ts_of(T_FOURTH, ts, sizeof ts));
	snprintf(want, sizeof want, "MARKREAD #Group %s", ts);
	ok(ircc_expect(a, "MARKREAD", want), "A marks 'fourth' read");
	ok(ircc_expect(b, "MARKREAD", want), "B is told");
	barrier(a, "barrier one");
	ok(sim_watermark(f, DFIX_GROUP) == id_hello,
	    "KakaoTalk's watermark did not move");
	is_int(dfix_ctl_num(f, "count NOTIREAD"), ==, 0);
}

/* read_receipts on: delivery alone tells KakaoTalk nothing; a mark
 * moves its watermark to the newest message at or before the marker. */
static void
receipts_on(struct dfix *f, struct ircc *a, struct ircc *b)
{
	char ts[64], want[128];
	int64_t id_live;

	id_live = dfix_ctl_num(f, "send %lld %lld live one",
	    (long long)DFIX_GROUP, (long long)DFIX_CAROL);
	ok(id_live > id_fourth, "locosim: Carol posts");
	ok(ircc_expect(a, "PRIVMSG", "#Group :live one"), "A gets it");
	ok(ircc_expect(b, "PRIVMSG", "#Group :live one"), "B gets it");
	barrier(a, "barrier two");
	ok(sim_watermark(f, DFIX_GROUP) == id_hello,
	    "delivery alone does not move KakaoTalk's watermark");
	is_int(dfix_ctl_num(f, "count NOTIREAD"), ==, 0);

	/* A marker inside 'fourth''s second, past it: the watermark is
	 * 'fourth', not the newer live message. */
	ts_of(T_FOURTH, ts, sizeof ts);
	memcpy(ts + strlen(ts) - 4, "500Z", 4);
	ircc_send(a, "MARKREAD #Group %s", ts);
	snprintf(want, sizeof want, "MARKREAD #Group %s", ts);
	ok(ircc_expect(a, "MARKREAD", want), "A marks 'fourth' read (%s)", ts);
	ok(ircc_expect(b, "MARKREAD", want), "B is told");
	barrier(a, "barrier three");
	is_int(sim_watermark(f, DFIX_GROUP), ==, id_fourth);
	is_int(dfix_ctl_num(f, "count NOTIREAD"), ==, 1);
	/* Our own read event answers the NOTIREAD: no marker moves back or
	 * echoes. */
	ok(ircc_none(a, "MARKREAD", NULL), "no echo of the NOTIREAD to A");
	ok(ircc_none(b, "MARKREAD", NULL), "nor to B");
	ircc_send(a, "MARKREAD #Group " TS_SET);
	ok(ircc_expect(a, "MARKREAD", want), "an older mark: the stored value");
	barrier(a, "barrier four");
	is_int(dfix_ctl_num(f, "count NOTIREAD"), ==, 1);
}

int
main(void)
{
	static struct dfix f; /* read by the fixture's atexit handler */
	struct ircc_lines ba = {NULL, 0}, bc = {NULL, 0};
	struct ircc *a = NULL, *b = NULL, *c = NULL;
	char ts[64], want[128];
	int status;

	tap_init(120);
	dfix_init(&f);
	ircc_set_pump(dfix_pump_now, &f);
	if (!boot(&f, NULL))
		goto out;
	id_hello = sim_id(&f, DFIX_GROUP, "hello");
	id_fourth = sim_id(&f, DFIX_GROUP, "fourth");
	id_psst = sim_id(&f, DFIX_DIRECT, "psst");
	if (!ok(id_hello > 0 && id_fourth > id_hello && id_psst > 0,
	        "the world's log ids"))
		goto out;
	a = ircc_attach(f.irc_port, "a", "one", CAPS_MARK, true, &ba);
	b = ircc_attach(f.irc_port, "b", "two", CAPS_MARK, true, NULL);
	c = ircc_attach(f.irc_port, "c", "three", CAPS_PLAIN, true, &bc);
	if (!ok(a != NULL && b != NULL && c != NULL, "three clients attach"))
		goto out;
	ircc_set_auto_pong(a, true);
	ircc_set_auto_pong(b, true);
	ircc_set_auto_pong(c, true);
	on_join(&ba, &bc);
	set_and_push(a, b, c);
	get(b);
	errors(a, b, c);
	phone(&f, a, b, c);
	receipts_off(&f, a, b);

	/* A second configuration: read receipts on. */
	ircc_free(a);
	ircc_free(b);
	ircc_free(c);
	a = b = c = NULL;
	ircc_lines_free(&ba);
	status = dfix_daemon_stop(&f, SIGTERM);
	ok(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "locoircd exits 0 (status 0x%x)", status);
	if (!ok(dfix_write_conf(&f, DFIX_IRC_SECTION "read_receipts = true\n"),
	        "configuration with read_receipts = true") ||
	    !ok(dfix_daemon_start(&f, NULL), "locoircd starts again"))
		goto out;
	a = ircc_attach(f.irc_port, "a", "one", CAPS_MARK, true, &ba);
	b = ircc_attach(f.irc_port, "b", "two", CAPS_MARK, true, NULL);
	if (!ok(a != NULL && b != NULL, "two clients attach again"))
		goto out;
	ircc_set_auto_pong(a, true);
	ircc_set_auto_pong(b, true);
	ok(markread_in_burst(&ba, "#Group", ts_of(T_FOURTH, ts, sizeof ts)),
	    "the marker survived the restart");
	snprintf(want, sizeof want, "Bob %s", ts_of(T_PSST, ts, sizeof ts));
	ok(ircc_lines_count(&ba, "MARKREAD", "Bob") == 0,
	    "queries have no JOIN-time MARKREAD");
	ircc_send(a, "MARKREAD Bob");
	ok(ircc_expect(a, "MARKREAD", want), "the query's marker too");
	receipts_on(&f, a, b);
out:
	ircc_lines_free(&ba);
	ircc_lines_free(&bc);
	ircc_free(a);
	ircc_free(b);
	ircc_free(c);
	dfix_irc_end(&f);
	free(f.log);
	return done_testing();
}
