/* locoirc: see LICENSE.
 *
 * The daemon-level fault matrix: one locosim and one locoircd for every
 * fault locosim can inject (drop, CHANGESVR, KICKOUT 2, an expired token
 * refreshed from access_token_file, a corrupt frame, reordered answers, a
 * stalled server found dead by PING, an unknown push), with other users
 * sending before, during and after each. After each recovery the store
 * must hold exactly locosim's log of every chat. KICKOUT 0 must stop the
 * engine for good, and a restart on the kept store must resume from it.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon-fixture.h"
#include "tap.h"

/* A fourth chat beside DFIX_WORLD's: Alice and Carol alone. */
#define FT_CAROL_DM INT64_C(40)
/* The group's history at the start: more than one SYNCMSG page. */
#define FT_HISTORY 120
/* Messages in each burst (before, during and after a fault) ... */
#define FT_BURST 8
/* ... and while the daemon is away: over a SYNCMSG page for the group. */
#define FT_OUTAGE 150
/* Most chats the test follows (the reorder fault creates three). */
#define FT_CHATS_MAX 16
/* A second token of Alice's account in the world: what the refresh finds
 * in access_token_file, as if the operator had renewed it. */
#define FT_TOKEN2 "tok-alice-renewed"
/*
 * How long a stopped daemon is watched for a reconnect that must not
 * come: the engine reconnects at once, or after a backoff of 2 to 3 s.
 */
#define FT_QUIET_MS 3500

/* The test's state beside the fixture. */
struct ft {
	struct dfix f;
	int64_t chats[FT_CHATS_MAX]; /* every chat Alice is in */
	size_t n_chats;
	int64_t last_chat; /* where the last message sent went */
	int64_t last_log;  /* and its log id */
	int sent;          /* messages sent so far */
	size_t fault_from; /* where the log of the current fault begins */
	size_t changed;    /* chats that got messages while kicked out */
	char token_file[700];
};

/* One fault of the matrix. */
struct ft_fault {
	const char *name;
	const char *verb; /* the control command */
	bool sessions;    /* it takes Alice's id and answers "ok 1" (the
	                   * sessions touched) rather than "ok" */
	const char *tail; /* its further arguments, with their space */
	const char *sign; /* log text showing it took effect, or NULL */
	int logins;       /* LOGINLIST requests its recovery takes */
	void (*before)(struct ft *t); /* or NULL */
	void (*during)(struct ft *t); /* right after the injection, or NULL */
	void (*after)(struct ft *t);  /* once online again, or NULL */
};

static void ft_expire_before(struct ft *t);
static void ft_expire_after(struct ft *t);
static void ft_reorder_during(struct ft *t);
static void ft_stall_after(struct ft *t);

/* Who sends where, round-robin: several users into several chats. */
static const struct {
	int64_t chat;
	int64_t author;
} ft_senders[] = {
    {DFIX_GROUP, DFIX_BOB},
    {DFIX_DIRECT, DFIX_BOB},
    {DFIX_GROUP, DFIX_CAROL},
    {DFIX_MEMO, DFIX_USER},
    {FT_CAROL_DM, DFIX_CAROL},
    {DFIX_GROUP, DFIX_USER},
};
#define FT_NSENDERS (sizeof ft_senders / sizeof ft_senders[0])

/* The matrix, in order; each leaves the daemon online. */
static const struct ft_fault ft_faults[] = {
    {.name = "drop",
        .verb = "drop",
        .sessions = true,
        .tail = "",
        .sign = "loco: backoff: ",
        .logins = 1},
    {.name = "changesvr",
        .verb = "changesvr",
        .sessions = true,
        .tail = "",
        .sign = "server asked to change servers",
        .logins = 1},
    {.name = "kickout 2",
        .verb = "kickout",
        .sessions = true,
        .tail = " 2",
        .sign = "server asked to change servers (KICKOUT)",
        .logins = 1},
    /* -950 at the next login: the daemon reads the token file again. */
    {.name = "expire",
        .verb = "changesvr",
        .sessions = true,
        .tail = "",
        .sign = "access token refused; trying the new one",
        .logins = 2,
        .before = ft_expire_before,
        .after = ft_expire_after},
    {.name = "corrupt",
        .verb = "corrupt",
        .sessions = true,
        .tail = "",
        .sign = "loco: backoff: ",
        .logins = 1},
    {.name = "reorder 3",
        .verb = "reorder",
        .sessions = false,
        .tail = " 3",
        .during = ft_reorder_during},
    {.name = "stall",
        .verb = "stall",
        .sessions = true,
        .tail = "",
        .sign = "loco: backoff: ",
        .logins = 1,
        .after = ft_stall_after},
    {.name = "unknown",
        .verb = "unknown",
        .sessions = true,
        .tail = " ZZNOSUCH"},
};

/* Milliseconds on a monotonic clock. */
static int64_t
ft_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The world: DFIX_WORLD's chats with a longer group history, a chat with
 * Carol, and a second token for Alice's account. Malloc'd. */
static char *
ft_world(void)
{
	size_t cap = 64 * 1024, len = 0;
	char *w = malloc(cap);
	int i;

	len += (size_t)snprintf(w + len, cap - len,
	    "{\"users\": ["
	    "  {\"userId\": 7000000001, \"nickName\": \"Alice\"},"
	    "  {\"userId\": 7000000002, \"nickName\": \"Bob\"},"
	    "  {\"userId\": 7000000003, \"nickName\": \"Carol\"}],"
	    " \"accounts\": ["
	    "  {\"userId\": 7000000001, \"accessToken\": \"%s\","
	    "   \"deviceUuid\": \"%s\"},"
	    "  {\"userId\": 7000000001, \"accessToken\": \"%s\","
	    "   \"deviceUuid\": \"%s\"}],"
	    " \"chats\": ["
	    "  {\"chatId\": 10, \"type\": \"MultiChat\", \"title\": \"Group\","
	    "   \"members\": [7000000001, 7000000002, 7000000003],"
	    "   \"messages\": [",
	    DFIX_TOKEN, DFIX_DUUID, FT_TOKEN2, DFIX_DUUID);
	for (i = 0; i < FT_HISTORY; i++)
		len += (size_t)snprintf(w + len, cap - len,
		    "%s{\"authorId\": %s, \"message\": \"history %d\"}",
		    i > 0 ? "," : "", i % 2 ? "7000000003" : "7000000002", i);
	len += (size_t)snprintf(w + len, cap - len,
	    "]},"
	    "  {\"chatId\": 20, \"type\": \"DirectChat\","
	    "   \"members\": [7000000001, 7000000002],"
	    "   \"messages\": [{\"authorId\": 7000000002, \"message\": "
	    "\"psst\"}]},"
	    "  {\"chatId\": 30, \"type\": \"MemoChat\", \"members\": "
	    "[7000000001],"
	    "   \"messages\": [{\"authorId\": 7000000001, \"message\": "
	    "\"note\"}]},"
	    "  {\"chatId\": 40, \"type\": \"DirectChat\","
	    "   \"members\": [7000000001, 7000000003],"
	    "   \"messages\": [{\"authorId\": 7000000003, \"message\": "
	    "\"hey\"}]}]}");
	if (len >= cap)
		abort();
	return w;
}

/*
 * Send n messages as a burst (all commands first, then the replies), so
 * they arrive faster than one at a time. Whether all were accepted; the
 * last one is remembered.
 */
static bool
ft_burst(struct ft *t, const char *phase, int n)
{
	int i, good = 0;

	for (i = 0; i < n; i++) {
		size_t k = (size_t)(t->sent + i) % FT_NSENDERS;

		/* Some text outside ASCII, stored as UTF-8. */
		dfix_ctl_send(&t->f, "send %lld %lld %s #%d \xc2\xb7 %s",
		    (long long)ft_senders[k].chat,
		    (long long)ft_senders[k].author, phase, t->sent + i,
		    i % 3 ? "\xec\x95\x88\xeb\x85\x95" : "hi");
	}
	for (i = 0; i < n; i++) {
		char *r = dfix_ctl_reply(&t->f), *end;
		long long id;

		if (r != NULL && strncmp(r, "ok ", 3) == 0 &&
		    (id = strtoll(r + 3, &end, 10)) > 0 && *end == '\0') {
			good++;
			t->last_chat =
			    ft_senders[(size_t)(t->sent + i) % FT_NSENDERS]
			        .chat;
			t->last_log = id;
		} else
			diag("send: %s", r ? r : "(no reply)");
		free(r);
	}
	t->sent += n;
	return good == n;
}

/* How many packets of method clients have sent locosim. */
static int64_t
ft_count(struct dfix *f, const char *method)
{
	return dfix_ctl_num(f, "count %s", method);
}

/*
 * Wait until the store holds log_id of chat. The store has no event to
 * wait on: look, then read the daemon's log for a while, until a deadline.
 */
static bool
ft_wait_stored(struct ft *t, int64_t chat, int64_t log_id)
{
	int64_t deadline = ft_now_ms() + DFIX_WAIT_MS;
	char sql[160];

	snprintf(sql, sizeof sql,
	    "SELECT count(*) FROM messages WHERE chat_id = %lld AND "
	    "log_id = %lld",
	    (long long)chat, (long long)log_id);
	for (;;) {
		if (dfix_store_int(&t->f, sql) == 1)
			return true;
		if (ft_now_ms() > deadline)
			return false;
		dfix_pump(&t->f, 20);
	}
}

/*
 * Whether the store's messages st equal locosim's sim: the same log ids in
 * the same (ascending) order, none missing or doubled, the same texts and
 * types. The first difference goes to diag.
 */
static bool
ft_same_msgs(const struct dfix_msg *sim, ssize_t ns, const struct dfix_msg *st,
    ssize_t nt)
{
	ssize_t i;

	if (ns < 0 || nt < 0)
		return false;
	for (i = 0; i < ns && i < nt; i++)
		if (sim[i].log_id != st[i].log_id ||
		    strcmp(sim[i].text, st[i].text) != 0 ||
		    sim[i].type != st[i].type ||
		    (i > 0 && st[i].log_id <= st[i - 1].log_id)) {
			diag("message %zd: locosim has %lld type %d '%s', the "
			     "store %lld type %d '%s'",
			    i, (long long)sim[i].log_id, sim[i].type,
			    sim[i].text, (long long)st[i].log_id, st[i].type,
			    st[i].text);
			return false;
		}
	if (ns != nt)
		diag("locosim has %zd messages, the store %zd; the first "
		     "unmatched is %lld",
		    ns, nt,
		    (long long)(ns > nt ? sim[nt].log_id : st[ns].log_id));
	return ns == nt;
}

/*
 * The exact comparison: for every chat, the store holds locosim's log
 * (ft_same_msgs), the chat's cursor is its last log id, and the store
 * holds no other chat or message.
 */
static void
ft_check_store(struct ft *t, const char *what)
{
	int64_t total = 0, n;
	size_t c;

	for (c = 0; c < t->n_chats; c++) {
		struct dfix_msg *sim = NULL, *st = NULL;
		int64_t chat = t->chats[c], cursor;
		ssize_t ns, nt;
		char sql[128];

		ns = dfix_sim_log(&t->f, chat, &sim);
		nt = dfix_store_log(&t->f, chat, &st);
		ok(ns > 0 && ft_same_msgs(sim, ns, st, nt),
		    "%s: chat %lld: the store holds locosim's %zd messages "
		    "exactly",
		    what, (long long)chat, ns);
		snprintf(sql, sizeof sql,
		    "SELECT cursor FROM chats WHERE chat_id = %lld",
		    (long long)chat);
		cursor = dfix_store_int(&t->f, sql);
		if (!ok(ns > 0 && cursor == sim[ns - 1].log_id,
		        "%s: chat %lld: its cursor is its last log id", what,
		        (long long)chat))
			diag("cursor %lld", (long long)cursor);
		total += ns > 0 ? ns : 0;
		dfix_msgs_free(sim, ns);
		dfix_msgs_free(st, nt);
	}
	n = dfix_store_int(&t->f, "SELECT count(*) FROM messages");
	ok(n == total, "%s: no other message in the store (%lld of %lld)", what,
	    (long long)n, (long long)total);
	n = dfix_store_int(&t->f, "SELECT count(*) FROM chats");
	ok(n == (int64_t)t->n_chats, "%s: no other chat (%lld of %zu)", what,
	    (long long)n, t->n_chats);
}

/* Wait for the store to catch up with locosim, then compare exactly. */
static void
ft_settle_and_check(struct ft *t, const char *what)
{
	ok(ft_wait_stored(t, t->last_chat, t->last_log),
	    "%s: the last message sent (%lld) is stored", what,
	    (long long)t->last_log);
	ok(dfix_wait_synced(&t->f, t->chats, t->n_chats),
	    "%s: the store catches up with every chat", what);
	ft_check_store(t, what);
}

/*
 * expire: the account's first token answers -950 from now on, and the
 * operator has put a renewed one in access_token_file.
 */
static void
ft_expire_before(struct ft *t)
{
	ok(dfix_write_token(t->token_file, FT_TOKEN2),
	    "expire: the renewed token is in the token file");
	ok(dfix_reply_ok(dfix_ctl(&t->f, "expire %lld", (long long)DFIX_USER)),
	    "expire: locosim expires the token");
}

/* expire: the old token becomes good again (a later test may use it). */
static void
ft_expire_after(struct ft *t)
{
	ok(dfix_reply_ok(
	       dfix_ctl(&t->f, "unexpire %lld", (long long)DFIX_USER)),
	    "expire: locosim takes the expiry back");
}

/*
 * reorder: three new chats make the daemon ask CHATINFO for each at once;
 * the answers come newest first.
 */
static void
ft_reorder_during(struct ft *t)
{
	int i;

	for (i = 0; i < 3; i++) {
		int64_t id =
		    dfix_ctl_num(&t->f, "create MultiChat new%d %lld %lld %lld",
		        i, (long long)DFIX_BOB, (long long)DFIX_USER,
		        (long long)DFIX_CAROL);

		if (ok(id > 0, "reorder: Bob creates a chat with Alice (%lld)",
		        (long long)id) &&
		    t->n_chats < FT_CHATS_MAX)
			t->chats[t->n_chats++] = id;
	}
}

/*
 * stall: the stalled session, evicted by the new login, is let go (it was
 * waiting to flush before its close); the peer was found dead by PING.
 */
static void
ft_stall_after(struct ft *t)
{
	char *r = dfix_ctl(&t->f, "unstall %lld", (long long)DFIX_USER);

	ok(r != NULL && strncmp(r, "ok ", 3) == 0, "stall: unstall (%s)",
	    r ? r : "no reply");
	free(r);
	ok(dfix_log_since(&t->f, t->fault_from, "nothing heard from the") ||
	        dfix_log_since(&t->f, t->fault_from, "no answer to PING"),
	    "stall: the dead peer was found by PING");
}

/* The first login: every chat's history (the group's over pages). */
static void
ft_bootstrap(struct ft *t)
{
	size_t mark = 0;

	ok(dfix_log_wait(&t->f, &mark, "loco: online"), "bootstrap: online");
	ok(ft_burst(t, "bootstrap", FT_BURST), "bootstrap: a burst");
	ft_settle_and_check(t, "bootstrap");
}

/* One fault with messages arriving before, during and after it. */
static void
ft_run_fault(struct ft *t, const struct ft_fault *fl)
{
	size_t from = dfix_log_mark(&t->f), mark = from;
	int64_t logins = ft_count(&t->f, "LOGINLIST");
	int64_t started = ft_now_ms();
	char cmd[128], *r;

	diag("fault: %s", fl->name);
	t->fault_from = from;
	if (fl->before != NULL)
		fl->before(t);
	ok(ft_burst(t, "before", FT_BURST), "%s: a burst before", fl->name);
	if (fl->sessions)
		snprintf(cmd, sizeof cmd, "%s %lld%s", fl->verb,
		    (long long)DFIX_USER, fl->tail);
	else
		snprintf(cmd, sizeof cmd, "%s%s", fl->verb, fl->tail);
	r = dfix_ctl(&t->f, "%s", cmd);
	ok(r != NULL && strcmp(r, fl->sessions ? "ok 1" : "ok") == 0,
	    "%s: locosim injects it (%s)", fl->name, r ? r : "no reply");
	free(r);
	if (fl->during != NULL)
		fl->during(t);
	ok(ft_burst(t, "during", FT_BURST), "%s: a burst during", fl->name);
	if (fl->sign != NULL) {
		ok(dfix_log_wait(&t->f, &mark, fl->sign),
		    "%s: the log says '%s'", fl->name, fl->sign);
		ok(ft_burst(t, "outage", FT_OUTAGE),
		    "%s: a burst in the outage", fl->name);
	}
	if (fl->logins > 0)
		ok(dfix_log_wait(&t->f, &mark, "loco: online"),
		    "%s: the daemon is online again", fl->name);
	if (fl->after != NULL)
		fl->after(t);
	ok(ft_burst(t, "after", FT_BURST), "%s: a burst after", fl->name);
	ft_settle_and_check(t, fl->name);
	logins = ft_count(&t->f, "LOGINLIST") - logins;
	ok(logins == fl->logins, "%s: %lld logins to recover (want %d)",
	    fl->name, (long long)logins, fl->logins);
	if (fl->logins == 0 &&
	    !ok(!dfix_log_since(&t->f, from, "loco: "),
	        "%s: the session survives", fl->name))
		diag("log:\n%s", t->f.log + from);
	diag("%s: %lld ms", fl->name, (long long)(ft_now_ms() - started));
}

/*
 * KICKOUT 0: another device took the slot. The engine stops for good and
 * says so once, no login follows, and the store keeps what it had.
 */
static void
ft_kickout0(struct ft *t)
{
	struct dfix_msg *before[FT_CHATS_MAX];
	ssize_t nbefore[FT_CHATS_MAX];
	size_t from = dfix_log_mark(&t->f), mark = from, c, k;
	int64_t logins, deadline, n;
	bool intact = true;

	diag("fault: kickout 0");
	for (c = 0; c < t->n_chats; c++)
		nbefore[c] = dfix_store_log(&t->f, t->chats[c], &before[c]);
	logins = ft_count(&t->f, "LOGINLIST");
	n = dfix_ctl_num(&t->f, "kickout %lld 0", (long long)DFIX_USER);
	ok(n == 1, "kickout 0: locosim kicks the daemon's session (%lld)",
	    (long long)n);
	ok(dfix_log_wait(&t->f, &mark, "loco: stopped: kicked out"),
	    "kickout 0: the engine stops");
	for (c = 0; c < t->n_chats; c++)
		for (k = 0; k < FT_BURST && k < FT_NSENDERS; k++)
			if (ft_senders[((size_t)t->sent + k) % FT_NSENDERS]
			        .chat == t->chats[c]) {
				t->changed++;
				break;
			}
	ok(ft_burst(t, "kicked", FT_BURST), "kickout 0: others keep sending");
	/* Watch for a reconnect that must not come (see FT_QUIET_MS). */
	deadline = ft_now_ms() + FT_QUIET_MS;
	while (ft_now_ms() < deadline && t->f.d_err >= 0)
		dfix_pump(&t->f, (unsigned)(deadline - ft_now_ms()));
	ok(dfix_count_since(&t->f, from, "loco: stopped") == 1 &&
	        dfix_count_since(&t->f, from,
	            "another device took its login slot") == 1,
	    "kickout 0: the log says so once");
	if (!ok(!dfix_log_since(&t->f, mark, "loco: "),
	        "kickout 0: no state change after the stop"))
		diag("log:\n%s", t->f.log + from);
	n = ft_count(&t->f, "LOGINLIST");
	ok(n == logins, "kickout 0: no login since (%lld, was %lld)",
	    (long long)n, (long long)logins);
	n = dfix_ctl_num(&t->f, "sessions %lld", (long long)DFIX_USER);
	ok(n == 0, "kickout 0: no session at locosim (%lld)", (long long)n);
	for (c = 0; c < t->n_chats; c++) {
		struct dfix_msg *now = NULL;
		ssize_t nn = dfix_store_log(&t->f, t->chats[c], &now);

		if (!ft_same_msgs(before[c], nbefore[c], now, nn)) {
			diag("chat %lld changed", (long long)t->chats[c]);
			intact = false;
		}
		dfix_msgs_free(now, nn);
		dfix_msgs_free(before[c], nbefore[c]);
	}
	ok(intact, "kickout 0: the store holds what it held before");
}

/*
 * A restart on the kept store: only the chats that got messages while the
 * daemon was away are fetched, and then everything matches.
 */
static void
ft_restart(struct ft *t)
{
	int64_t syncs = ft_count(&t->f, "SYNCMSG"), n;
	char line[64];
	int status;

	status = dfix_daemon_stop(&t->f, SIGTERM);
	ok(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "SIGTERM while stopped: exit status 0");
	if (!dfix_daemon_start(&t->f, NULL))
		return;
	snprintf(line, sizeof line, "; %zu chats in the store", t->n_chats);
	ok(dfix_log_has(&t->f, line), "restart: every chat's cursor is read");
	ft_settle_and_check(t, "restart");
	/* The messages sent while kicked out fit one page per chat. */
	n = ft_count(&t->f, "SYNCMSG") - syncs;
	ok(n == (int64_t)t->changed,
	    "restart: %lld SYNCMSG, one per chat that changed (%zu): no "
	    "refetch",
	    (long long)n, t->changed);
}

/* Bootstrap, every fault in turn, KICKOUT 0, a restart. */
int
main(void)
{
	/* Static: the fixture's atexit handler reads it after main. */
	static struct ft state;
	struct ft *t = &state;
	char *world = ft_world();
	size_t i;
	int status;

	tap_init(180);
	dfix_init(&t->f);
	t->chats[t->n_chats++] = DFIX_GROUP;
	t->chats[t->n_chats++] = DFIX_DIRECT;
	t->chats[t->n_chats++] = DFIX_MEMO;
	t->chats[t->n_chats++] = FT_CAROL_DM;
	snprintf(t->token_file, sizeof t->token_file, "%s/access.token",
	    tap_tmpdir());
	if (!dfix_sim_start(&t->f, world))
		goto out;
	/* PING every second: a stalled server is found dead in 2 s. */
	if (!ok(dfix_write_token(t->token_file, DFIX_TOKEN) &&
	            dfix_write_conf_token_file(&t->f, t->token_file,
	                "ping_interval = 1\n[log]\nlevel = info\n"),
	        "write the configuration and the token file") ||
	    !dfix_daemon_start(&t->f, NULL))
		goto out;

	ft_bootstrap(t);
	for (i = 0; i < sizeof ft_faults / sizeof ft_faults[0]; i++)
		ft_run_fault(t, &ft_faults[i]);
	ft_kickout0(t);
	ft_restart(t);

	status = dfix_daemon_stop(&t->f, SIGTERM);
	ok(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "SIGTERM: exit status 0");
	/* Both runs' logs. */
	ok(!dfix_log_since(&t->f, 0, "Sanitizer") &&
	        !dfix_log_since(&t->f, 0, "runtime error"),
	    "no sanitizer report");
	ok(!dfix_log_since(&t->f, 0, DFIX_TOKEN), "no token in the log");
out:
	if (t->f.d > 0)
		dfix_daemon_stop(&t->f, SIGKILL);
	ok(dfix_sim_stop(&t->f), "locosim exits 0");
	free(t->f.log);
	t->f.log = NULL;
	free(world);
	return done_testing();
}
