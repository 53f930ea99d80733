/* locoirc: see LICENSE.
 *
 * Every fault locosim can inject, with messages arriving all the while
 * (a burst timer sends to several chats): dropped connections, CHANGESVR,
 * KICKOUT for each reason, token expiry with a refresh that works, one
 * that fails and one that does not help, refused logins (-999, -997, a
 * transient status), corrupted frames, reordered answers, a stalled server
 * found dead by PING, unknown pushes. After each, the messages the owner
 * got must equal locosim's logs exactly.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "loco-chat.h"
#include "loco-engine.h"
#include "locosim.h"
#include "locosim-world.h"
#include "t-engine-lib.h"
#include "tap.h"

/* Burst period while faults happen (ms). */
#define BURST_MS 15

static bool recover(struct te_fix *f, struct te_owner *o, const char *what);
static bool stopped_with(struct te_owner *o, enum loco_engine_stop why,
    const char *what);
static void test_drop(struct te_fix *f, struct te_owner *o);
static void test_changesvr(struct te_fix *f, struct te_owner *o);
static void test_corrupt(struct te_fix *f, struct te_owner *o);
static void test_reorder(struct te_fix *f, struct te_owner *o);
static void test_stall(struct te_fix *f, struct te_owner *o);
static void test_unknown(struct te_fix *f, struct te_owner *o);
static void test_token(struct te_fix *f, struct te_owner *o);
static void test_login_refused(struct te_fix *f, struct te_owner *o);
static void test_kickout(struct te_fix *f, struct te_owner *o);

/*
 * Let the burst run into the recovery, then stop it and wait until the
 * engine has everything; compare with the world.
 */
static bool
recover(struct te_fix *f, struct te_owner *o, const char *what)
{
	unsigned sent = f->burst_n, spins;
	bool good;

	/* A few more messages land on the recovered session. */
	for (spins = 0; f->burst_n < sent + 5 && spins < 100; spins++)
		te_settle(BURST_MS);
	te_burst_stop(f);
	good = ok(te_wait_caught_up(o), "%s: online and caught up", what);
	if (!good)
		diag("state %s: %s",
		    loco_engine_state_name(loco_engine_get_state(o->e)),
		    o->detail);
	if (!te_check_world(o, what))
		good = false;
	te_burst_start(f, BURST_MS);
	return good;
}

/* The last state reported is STOPPED for why. */
static bool
stopped_with(struct te_owner *o, enum loco_engine_stop why, const char *what)
{
	bool good = te_wait_state(o, LOCO_ENGINE_STOPPED,
	    te_state_count(o, LOCO_ENGINE_STOPPED) + 1);

	good = ok(good && o->states[o->n_states - 1] == LOCO_ENGINE_STOPPED &&
	        o->whys[o->n_states - 1] == why,
	    "%s: stopped (%s)", what, o->detail);
	return good;
}

/* The server aborts the TCP connection. */
static void
test_drop(struct te_fix *f, struct te_owner *o)
{
	size_t logins = locosim_request_count(f->sim, "LOGINLIST");
	unsigned online = te_state_count(o, LOCO_ENGINE_ONLINE);
	int i;

	diag("drop");
	for (i = 0; i < 3; i++) {
		is_int(locosim_drop(f->sim, TE_UA), ==, 1);
		ok(te_wait_state(o, LOCO_ENGINE_ONLINE, online + i + 1),
		    "online again after drop %d", i + 1);
	}
	is_uint(locosim_request_count(f->sim, "LOGINLIST"), ==, logins + 3);
	ok(te_state_count(o, LOCO_ENGINE_BACKOFF) >= 3, "backoff each time");
	/* Each login reset the backoff: every delay is the first one. */
	for (i = 0; i < 3 && o->n_delays >= 3; i++)
		ok(o->delays[o->n_delays - 1 - i] <= 75,
		    "backoff reset by the login before: %u ms",
		    o->delays[o->n_delays - 1 - i]);
	recover(f, o, "drop");
}

/* CHANGESVR: a full reconnect from booking at once. */
static void
test_changesvr(struct te_fix *f, struct te_owner *o)
{
	size_t getconf = locosim_request_count(f->sim, "GETCONF");
	unsigned online = te_state_count(o, LOCO_ENGINE_ONLINE);
	unsigned backoff = te_state_count(o, LOCO_ENGINE_BACKOFF);

	diag("changesvr");
	is_int(locosim_changesvr(f->sim, TE_UA), ==, 1);
	ok(te_wait_state(o, LOCO_ENGINE_ONLINE, online + 1), "online again");
	is_uint(locosim_request_count(f->sim, "GETCONF"), ==, getconf + 1);
	is_uint(te_state_count(o, LOCO_ENGINE_BACKOFF), ==, backoff);
	recover(f, o, "changesvr");

	diag("kickout reason 2 and -2: like changesvr");
	online = te_state_count(o, LOCO_ENGINE_ONLINE);
	is_int(locosim_kickout(f->sim, TE_UA, 2), ==, 1);
	ok(te_wait_state(o, LOCO_ENGINE_ONLINE, online + 1), "online again");
	is_int(locosim_kickout(f->sim, TE_UA, -2), ==, 1);
	ok(te_wait_state(o, LOCO_ENGINE_ONLINE, online + 2), "online again");
	is_uint(locosim_request_count(f->sim, "GETCONF"), ==, getconf + 3);
	is_uint(te_state_count(o, LOCO_ENGINE_STOPPED), ==, 0);
	recover(f, o, "kickout 2");
}

/* The server's next frame fails to open (GCM tag, or bad BSON in CFB). */
static void
test_corrupt(struct te_fix *f, struct te_owner *o)
{
	unsigned online = te_state_count(o, LOCO_ENGINE_ONLINE);

	diag("corrupt_next_frame");
	is_int(locosim_corrupt_next_frame(f->sim, TE_UA), ==, 1);
	ok(te_wait_state(o, LOCO_ENGINE_ONLINE, online + 1), "online again");
	ok(te_state_count(o, LOCO_ENGINE_BACKOFF) > 0, "after a backoff");
	recover(f, o, "corrupt");
}

/* Answers held back and sent in reverse (here: three WRITEs). */
static void
test_reorder(struct te_fix *f, struct te_owner *o)
{
	static const int64_t chats[] = {TE_GROUP, TE_DIRECT, TE_MEMO};
	struct loco_error err;
	struct te_done d[3];
	int i, good = 0;

	diag("reorder_responses");
	memset(d, 0, sizeof d);
	locosim_reorder_responses(f->sim, 3);
	for (i = 0; i < 3; i++)
		loco_engine_write(o->e, chats[i], 1, "mine", NULL, te_write_cb,
		    &d[i], &err);
	for (i = 0; i < 3; i++)
		if (te_wait_done(&d[i]) && d[i].status == 0 && d[i].calls == 1)
			good++;
	is_int(good, ==, 3);
	recover(f, o, "reorder");
	for (i = 0; i < 3; i++)
		te_done_release(&d[i]);
}

/* A hung server: found dead by PING, then a fresh session. */
static void
test_stall(struct te_fix *f, struct te_owner *o)
{
	unsigned online = te_state_count(o, LOCO_ENGINE_ONLINE);

	diag("stall");
	is_int(locosim_stall(f->sim, TE_UA, true), ==, 1);
	ok(te_wait_state(o, LOCO_ENGINE_ONLINE, online + 1),
	    "dead peer found, online again");
	ok(strstr(o->backoff_detail, "PING") != NULL ||
	        strstr(o->backoff_detail, "nothing heard") != NULL,
	    "found by PING: %s", o->backoff_detail);
	/* The stalled session was evicted by the new login; let it go. */
	locosim_stall(f->sim, TE_UA, false);
	recover(f, o, "stall");
}

/* Unknown pushes are dropped; nothing else happens. */
static void
test_unknown(struct te_fix *f, struct te_owner *o)
{
	size_t states = o->n_states;
	size_t pings = locosim_request_count(f->sim, "PING");

	diag("push_unknown");
	is_int(locosim_push_unknown(f->sim, TE_UA, "ZZNOSUCH"), ==, 1);
	is_int(locosim_push_unknown(f->sim, TE_UA, "SYNCREWR"), ==, 1);
	ok(te_wait_requests(f->sim, "PING", pings + 1), "still answering");
	is_uint(o->n_states, ==, states);
	recover(f, o, "unknown");
}

/* -950: refreshed, not refreshed, refreshed without effect. */
static void
test_token(struct te_fix *f, struct te_owner *o)
{
	unsigned online = te_state_count(o, LOCO_ENGINE_ONLINE);
	unsigned calls = o->refresh_calls;

	diag("expire_token, refresh works");
	o->refresh = TE_REFRESH_FIX;
	is_int(locosim_expire_token(f->sim, TE_UA, true), ==, 0);
	is_int(locosim_drop(f->sim, TE_UA), ==, 1);
	ok(te_wait_state(o, LOCO_ENGINE_ONLINE, online + 1), "online again");
	is_uint(o->refresh_calls, ==, calls + 1);
	recover(f, o, "token refreshed");

	diag("expire_token, refresh fails");
	calls = o->refresh_calls;
	o->refresh = TE_REFRESH_FAIL;
	is_int(locosim_expire_token(f->sim, TE_UA, true), ==, 0);
	is_int(locosim_drop(f->sim, TE_UA), ==, 1);
	stopped_with(o, LOCO_ENGINE_STOP_TOKEN, "refresh fails");
	is_uint(o->refresh_calls, ==, calls + 1);

	diag("expire_token, refresh does not help");
	calls = o->refresh_calls;
	o->refresh = TE_REFRESH_NOFIX;
	loco_engine_start(o->e);
	stopped_with(o, LOCO_ENGINE_STOP_TOKEN, "refresh does not help");
	is_uint(o->refresh_calls, ==, calls + 1);
	ok(strstr(o->detail, "again") != NULL, "-950 twice");
	is_int(locosim_expire_token(f->sim, TE_UA, false), ==, 0);
	online = te_state_count(o, LOCO_ENGINE_ONLINE);
	loco_engine_start(o->e);
	ok(te_wait_state(o, LOCO_ENGINE_ONLINE, online + 1), "started again");
	recover(f, o, "token");
}

/* LOGINLIST refused: -999 and -997 stop, anything else backs off. */
static void
test_login_refused(struct te_fix *f, struct te_owner *o)
{
	unsigned online = te_state_count(o, LOCO_ENGINE_ONLINE);
	unsigned backoff;

	diag("fail_next_login");
	locosim_fail_next_login(f->sim, -999);
	is_int(locosim_drop(f->sim, TE_UA), ==, 1);
	stopped_with(o, LOCO_ENGINE_STOP_UPGRADE, "-999");
	loco_engine_start(o->e);
	ok(te_wait_state(o, LOCO_ENGINE_ONLINE, online + 1), "started again");

	locosim_fail_next_login(f->sim, -997);
	is_int(locosim_drop(f->sim, TE_UA), ==, 1);
	stopped_with(o, LOCO_ENGINE_STOP_RESTRICTED, "-997");
	loco_engine_start(o->e);
	ok(te_wait_state(o, LOCO_ENGINE_ONLINE, online + 2), "started again");

	backoff = te_state_count(o, LOCO_ENGINE_BACKOFF);
	locosim_fail_next_login(f->sim, -500);
	is_int(locosim_drop(f->sim, TE_UA), ==, 1);
	ok(te_wait_state(o, LOCO_ENGINE_ONLINE, online + 3),
	    "-500: online again by itself");
	is_uint(te_state_count(o, LOCO_ENGINE_BACKOFF), ==, backoff + 2);
	recover(f, o, "login refused");
}

/* KICKOUT 0 and 1: stopped, and no reconnect loop. */
static void
test_kickout(struct te_fix *f, struct te_owner *o)
{
	unsigned online = te_state_count(o, LOCO_ENGINE_ONLINE);
	size_t logins;

	diag("kickout 0");
	is_int(locosim_kickout(f->sim, TE_UA, 0), ==, 1);
	stopped_with(o, LOCO_ENGINE_STOP_KICKED, "kickout 0");
	logins = locosim_request_count(f->sim, "LOGINLIST");
	te_settle(800);
	is_uint(locosim_request_count(f->sim, "LOGINLIST"), ==, logins);
	is_int(loco_engine_get_state(o->e), ==, LOCO_ENGINE_STOPPED);
	loco_engine_start(o->e);
	ok(te_wait_state(o, LOCO_ENGINE_ONLINE, online + 1), "started again");
	recover(f, o, "kickout 0");

	diag("kickout 1");
	is_int(locosim_kickout(f->sim, TE_UA, 1), ==, 1);
	stopped_with(o, LOCO_ENGINE_STOP_KICKED, "kickout 1");
	logins = locosim_request_count(f->sim, "LOGINLIST");
	te_settle(300);
	is_uint(locosim_request_count(f->sim, "LOGINLIST"), ==, logins);
	loco_engine_start(o->e);
	ok(te_wait_state(o, LOCO_ENGINE_ONLINE, online + 2), "started again");
	recover(f, o, "kickout 1");
}

/* One profile: an engine online, then every fault in turn. */
static void
run(enum loco_cipher cipher)
{
	struct loco_engine_config cfg;
	struct te_owner o;
	struct te_fix f;

	diag("faults, %s", cipher == LOCO_CIPHER_CFB ? "CFB" : "GCM");
	memset(&o, 0, sizeof o);
	if (!te_fix_start(&f, cipher))
		return;
	te_config(&f, &cfg);
	/* Dead-peer detection: PING every second, dead after two. */
	cfg.ping_interval = 1;
	if (!te_owner_new(&o, &f, &cfg, NULL, NULL, 0))
		goto out;
	loco_engine_start(o.e);
	if (!ok(te_wait_caught_up(&o), "online"))
		goto out;
	te_burst_start(&f, BURST_MS);
	test_drop(&f, &o);
	test_changesvr(&f, &o);
	test_corrupt(&f, &o);
	test_reorder(&f, &o);
	test_stall(&f, &o);
	test_unknown(&f, &o);
	test_token(&f, &o);
	test_login_refused(&f, &o);
	test_kickout(&f, &o);
	te_burst_stop(&f);
	ok(f.burst_n > 100, "%u messages sent during the faults", f.burst_n);

	diag("free from the state callback");
	{
		struct te_done d;
		struct loco_error err;

		memset(&d, 0, sizeof d);
		o.free_on_backoff = true;
		ok(loco_engine_write(o.e, TE_GROUP, 1, "lost", NULL,
		       te_write_cb, &d, &err) == 0,
		    "a write in flight");
		is_int(locosim_drop(f.sim, TE_UA), ==, 1);
		te_settle(300);
		ok(o.freed, "freed when it backed off");
		is_uint(o.callbacks_after_free, ==, 0);
		is_uint(d.calls, ==, 0);
		te_done_release(&d);
	}
out:
	te_owner_free(&o);
	te_fix_stop(&f);
}

/* Both cipher profiles. */
int
main(void)
{
	tap_init(180);
	te_init();
	run(LOCO_CIPHER_GCM);
	run(LOCO_CIPHER_CFB);
	te_done_all();
	return done_testing();
}
