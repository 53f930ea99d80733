/* locoirc: see LICENSE.
 *
 * The engine's bootstrap against locosim in both cipher profiles: booking,
 * check-in, LOGINLIST and LCHATLIST, every chat introduced (names,
 * notices, members of small and big rooms, a chat whose CHATINFO fails)
 * and every message delivered once and in order. Then a restart with the
 * first engine's cursors fetches only what is new, a booking failure falls
 * back to the configured check-in host, and bad configurations and early
 * commands fail at once.
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

static void test_bootstrap(enum loco_cipher cipher);
static void test_restart(void);
static void test_slot(void);
static void test_fallback(void);
static void test_config_errors(void);

/* Booking, check-in, login and catch-up in one profile. */
static void
test_bootstrap(enum loco_cipher cipher)
{
	static const enum loco_engine_state order[] = {
	    LOCO_ENGINE_BOOKING,
	    LOCO_ENGINE_CHECKIN,
	    LOCO_ENGINE_LOGIN,
	    LOCO_ENGINE_SYNCING,
	    LOCO_ENGINE_ONLINE,
	};
	const char *name = cipher == LOCO_CIPHER_CFB ? "CFB" : "GCM";
	struct loco_engine_config cfg;
	struct te_owner o;
	struct te_fix f;
	struct te_chat *c;
	size_t i;

	diag("bootstrap, %s", name);
	memset(&o, 0, sizeof o);
	if (!te_fix_start(&f, cipher))
		return;
	te_config(&f, &cfg);
	if (!te_owner_new(&o, &f, &cfg, NULL, NULL, 0))
		goto out;
	is_int(loco_engine_get_state(o.e), ==, LOCO_ENGINE_IDLE);
	loco_engine_start(o.e);
	if (!ok(te_wait_caught_up(&o), "%s: online with every message", name))
		diag("state %s: %s",
		    loco_engine_state_name(loco_engine_get_state(o.e)),
		    o.detail);

	if (is_uint(o.n_states, ==, 5))
		for (i = 0; i < 5; i++)
			ok(o.states[i] == order[i], "%s: state %zu is %s (%s)",
			    name, i, loco_engine_state_name(order[i]),
			    loco_engine_state_name(o.states[i]));
	ok(strstr(o.detail, "caught up") != NULL, "%s: detail '%s'", name,
	    o.detail);
	is_uint(o.n_ls, ==, 1);
	is_int(o.ls.revision, ==, TE_REVISION);
	is_int(o.ls.last_token_id, ==, TE_LAST_TOKEN_ID);
	ok(locosim_request_count(f.sim, "LCHATLIST") >= 1,
	    "%s: LCHATLIST paged the chat list", name);

	if (ok((c = te_owner_chat(&o, TE_GROUP)) != NULL, "group reported")) {
		is_int(c->type, ==, LOCO_CHAT_MULTI);
		is_str(c->title, "Group");
		is_str(c->notice, "Be nice");
		is_uint(c->n_members, ==, 3);
		ok(c->member_names, "group members have names");
		is_uint(te_owner_count(&o, TE_GROUP), ==, TE_GROUP_MESSAGES);
	}
	if (ok((c = te_owner_chat(&o, TE_DIRECT)) != NULL, "direct reported")) {
		is_int(c->type, ==, LOCO_CHAT_DIRECT);
		is_uint(c->n_members, ==, 2);
	}
	if (ok((c = te_owner_chat(&o, TE_MEMO)) != NULL, "memo reported"))
		is_int(c->type, ==, LOCO_CHAT_MEMO);
	if (ok((c = te_owner_chat(&o, TE_OPEN)) != NULL, "open reported")) {
		is_int(c->type, ==, LOCO_CHAT_OPEN_MULTI);
		is_str(c->title, "Open");
		is_int(c->link_id, ==, 777);
	}
	if (ok((c = te_owner_chat(&o, TE_BROKEN)) != NULL,
	        "the chat whose CHATINFO fails is reported anyway")) {
		ok(c->title == NULL, "without a title");
		is_uint(c->n_members, ==, 2);
		is_uint(te_owner_count(&o, TE_BROKEN), ==, 4);
	}
	if (ok((c = te_owner_chat(&o, TE_BIG)) != NULL, "big room reported")) {
		is_str(c->title, "Big");
		is_uint(c->n_members, ==, TE_BIG_N + 1);
		ok(c->member_names, "big room members have names (MEMBER)");
		is_uint(c->member_cbs, ==, 1);
	}
	ok(locosim_request_count(f.sim, "MEMBER") >= 2,
	    "%s: MEMBER in batches of 300", name);
	if (ok((c = te_owner_chat(&o, TE_EMPTY)) != NULL, "empty reported"))
		is_str(c->title, "Empty");
	ok(te_owner_chat(&o, TE_OTHER) == NULL, "not a member: not reported");
	ok(locosim_request_count(f.sim, "SYNCMSG") >= 3,
	    "%s: the group came in SYNCMSG pages of 50", name);
	te_check_world(&o, name);
	ok(te_wait_requests(f.sim, "PING", 1),
	    "%s: PING at GETCONF's fgPingItv", name);
	is_int(loco_engine_get_state(o.e), ==, LOCO_ENGINE_ONLINE);
out:
	te_owner_free(&o);
	te_fix_stop(&f);
}

/*
 * A second engine handed the first one's cursors and login state asks
 * SYNCMSG only for the chats that moved and delivers only the new
 * messages.
 */
static void
test_restart(void)
{
	struct loco_engine_config cfg;
	struct loco_cursor *cursors = NULL;
	struct loco_login_state ls;
	struct te_owner o1, o2;
	struct te_fix f;
	size_t n, syncmsg, i;
	int64_t ids[4];

	diag("restart");
	memset(&o1, 0, sizeof o1);
	memset(&o2, 0, sizeof o2);
	if (!te_fix_start(&f, LOCO_CIPHER_GCM))
		return;
	te_config(&f, &cfg);
	if (!te_owner_new(&o1, &f, &cfg, NULL, NULL, 0))
		goto out;
	loco_engine_start(o1.e);
	if (!ok(te_wait_caught_up(&o1), "first engine online"))
		goto out;
	ls = o1.ls;
	n = te_owner_cursors(&o1, &cursors);
	te_owner_free(&o1);
	is_uint(locosim_session_count(f.sim, TE_UA), ==, 0);

	ids[0] = locosim_send_text(f.sim, TE_GROUP, TE_UB, "while away 1");
	ids[1] = locosim_send_text(f.sim, TE_GROUP, TE_UC, "while away 2");
	ids[2] = locosim_send_text(f.sim, TE_DIRECT, TE_UB, "while away 3");
	ids[3] = locosim_send_text(f.sim, TE_GROUP, TE_UB, "while away 4");
	/* Left on another device while we were away: delChatIds. */
	ok(locosim_leave(f.sim, TE_BROKEN, TE_UA) > 0, "Alice leaves chat 14");
	syncmsg = locosim_request_count(f.sim, "SYNCMSG");

	if (!te_owner_new(&o2, &f, &cfg, &ls, cursors, n))
		goto out;
	loco_engine_start(o2.e);
	ok(te_wait_caught_up(&o2), "second engine online");
	is_uint(o2.n_msgs, ==, 4);
	for (i = 0; i < 4; i++) {
		size_t j, found = 0;

		for (j = 0; j < o2.n_msgs; j++)
			if (o2.msgs[j].log_id == ids[i])
				found++;
		ok(found == 1, "new message %zu delivered once", i);
	}
	is_uint(te_owner_count(&o2, TE_GROUP), ==, 3);
	is_uint(te_owner_count(&o2, TE_DIRECT), ==, 1);
	is_uint(locosim_request_count(f.sim, "SYNCMSG") - syncmsg, ==, 2);
	/* The leave changed the chat list: a new revision to keep. */
	is_uint(o2.n_ls, ==, 1);
	ok(o2.ls.revision > ls.revision, "revision %d after %d",
	    (int)o2.ls.revision, (int)ls.revision);
	ok(te_owner_chat(&o2, TE_BROKEN) != NULL &&
	        te_owner_chat(&o2, TE_BROKEN)->gone,
	    "chat 14 is reported gone");
	te_check_world(&o2, "restart");

	/* Nothing new since: nothing fetched, no login state to report. */
	ls = o2.ls;
	free(cursors);
	n = te_owner_cursors(&o2, &cursors);
	te_owner_free(&o2);
	syncmsg = locosim_request_count(f.sim, "SYNCMSG");
	if (!te_owner_new(&o2, &f, &cfg, &ls, cursors, n))
		goto out;
	loco_engine_start(o2.e);
	ok(te_wait_caught_up(&o2), "third engine online");
	is_uint(o2.n_msgs, ==, 0);
	is_uint(o2.n_ls, ==, 0);
	is_uint(locosim_request_count(f.sim, "SYNCMSG"), ==, syncmsg);
	ok(te_owner_chat(&o2, TE_BROKEN) == NULL ||
	        te_owner_chat(&o2, TE_BROKEN)->reports == 0,
	    "chat 14 is not reported again");
out:
	free(cursors);
	te_owner_free(&o1);
	te_owner_free(&o2);
	te_fix_stop(&f);
}

/*
 * A second engine of the same account and device slot logs in: the
 * server kicks the first out (KICKOUT 0), which stops and stays stopped.
 */
static void
test_slot(void)
{
	struct loco_engine_config cfg;
	struct te_owner o1, o2;
	struct te_fix f;
	size_t logins;

	diag("slot taken by another device");
	memset(&o1, 0, sizeof o1);
	memset(&o2, 0, sizeof o2);
	if (!te_fix_start(&f, LOCO_CIPHER_GCM))
		return;
	te_config(&f, &cfg);
	if (!te_owner_new(&o1, &f, &cfg, NULL, NULL, 0) ||
	    !te_owner_new(&o2, &f, &cfg, NULL, NULL, 0))
		goto out;
	loco_engine_start(o1.e);
	if (!ok(te_wait_caught_up(&o1), "first engine online"))
		goto out;
	loco_engine_start(o2.e);
	ok(te_wait_state(&o1, LOCO_ENGINE_STOPPED, 1), "the first one stops");
	if (o1.n_states > 0)
		is_int(o1.whys[o1.n_states - 1], ==, LOCO_ENGINE_STOP_KICKED);
	ok(te_wait_caught_up(&o2), "the second one is online");
	logins = locosim_request_count(f.sim, "LOGINLIST");
	te_settle(500);
	is_uint(locosim_request_count(f.sim, "LOGINLIST"), ==, logins);
	is_int(loco_engine_get_state(o2.e), ==, LOCO_ENGINE_ONLINE);
	is_uint(locosim_session_count(f.sim, TE_UA), ==, 1);
out:
	te_owner_free(&o1);
	te_owner_free(&o2);
	te_fix_stop(&f);
}

/*
 * Booking fails (the "booking" port speaks HTTP, not TLS): with a
 * fallback the engine checks in there; without one it backs off until
 * stopped.
 */
static void
test_fallback(void)
{
	struct loco_engine_config cfg;
	struct te_owner o;
	struct te_fix f;
	unsigned bookings;
	size_t i;

	diag("booking fallback");
	memset(&o, 0, sizeof o);
	if (!te_fix_start(&f, LOCO_CIPHER_GCM))
		return;
	te_config(&f, &cfg);
	cfg.booking_port = locosim_port(f.sim, LOCOSIM_HTTP);
	cfg.checkin_fallback_host = "127.0.0.1";
	cfg.checkin_fallback_port = locosim_port(f.sim, LOCOSIM_CHECKIN);
	if (!te_owner_new(&o, &f, &cfg, NULL, NULL, 0))
		goto out;
	loco_engine_start(o.e);
	ok(te_wait_caught_up(&o), "online through the fallback");
	is_uint(te_state_count(&o, LOCO_ENGINE_BACKOFF), ==, 0);
	if (ok(o.n_states >= 2 && o.states[1] == LOCO_ENGINE_CHECKIN,
	        "booking, then check-in at the fallback"))
		is_uint(locosim_request_count(f.sim, "GETCONF"), ==, 0);
	te_check_world(&o, "fallback");
	te_owner_free(&o);

	cfg.checkin_fallback_host = NULL;
	if (!te_owner_new(&o, &f, &cfg, NULL, NULL, 0))
		goto out;
	loco_engine_start(o.e);
	ok(te_wait_state(&o, LOCO_ENGINE_BACKOFF, 6),
	    "without a fallback: backoff, again and again");
	/* 50 ms doubling to the 400 ms cap, each plus up to 50 % jitter. */
	if (is_uint(o.n_delays, >=, 6))
		for (i = 0; i < 6; i++) {
			unsigned base = i < 3 ? 50u << i : 400;

			ok(o.delays[i] >= base &&
			        o.delays[i] <= base + base / 2,
			    "backoff %zu: %u ms in [%u, %u]", i, o.delays[i],
			    base, base + base / 2);
		}
	ok(strstr(o.detail, "booking failed") != NULL, "detail: %s", o.detail);
	is_uint(te_state_count(&o, LOCO_ENGINE_CHECKIN), ==, 0);
	loco_engine_stop(o.e);
	is_int(loco_engine_get_state(o.e), ==, LOCO_ENGINE_STOPPED);
	is_int(o.whys[o.n_states - 1], ==, LOCO_ENGINE_STOP_REQUESTED);
	bookings = te_state_count(&o, LOCO_ENGINE_BOOKING);
	te_settle(600);
	is_uint(te_state_count(&o, LOCO_ENGINE_BOOKING), ==, bookings);
	loco_engine_stop(o.e);
	is_uint(te_state_count(&o, LOCO_ENGINE_STOPPED), ==, 1);
out:
	te_owner_free(&o);
	te_fix_stop(&f);
}

/* Bad configurations fail at once; commands need a session. */
static void
test_config_errors(void)
{
	struct loco_engine_config cfg;
	struct loco_engine *e;
	struct loco_error err;
	struct te_owner o;
	struct te_fix f;

	diag("configuration errors");
	memset(&o, 0, sizeof o);
	if (!te_fix_start(&f, LOCO_CIPHER_GCM))
		return;
	te_config(&f, &cfg);
	cfg.access_token = NULL;
	e = loco_engine_new(f.base, NULL, &cfg, NULL, NULL, 0, NULL, NULL,
	    &err);
	ok(e == NULL && err.code == LOCO_ERR_CONFIG, "no token: refused");
	te_config(&f, &cfg);
	cfg.booking_tls = NULL;
	e = loco_engine_new(f.base, NULL, &cfg, NULL, NULL, 0, NULL, NULL,
	    &err);
	ok(e == NULL && err.code == LOCO_ERR_CONFIG, "booking without TLS");
	te_config(&f, &cfg);
	cfg.rsa_public = NULL;
	e = loco_engine_new(f.base, NULL, &cfg, NULL, NULL, 0, NULL, NULL,
	    &err);
	ok(e == NULL && err.code == LOCO_ERR_CONFIG, "no RSA key: refused");
	te_config(&f, &cfg);
	if (!te_owner_new(&o, &f, &cfg, NULL, NULL, 0))
		goto out;
	ok(loco_engine_write(o.e, TE_GROUP, 1, "x", NULL, te_write_cb, NULL,
	       &err) == -1 &&
	        err.code == LOCO_ERR_CLOSED,
	    "write before start: fails at once");
	ok(loco_engine_mark_read(o.e, TE_GROUP, 1, NULL, NULL, &err) == -1,
	    "mark_read before start: fails at once");
	is_str(loco_engine_state_name(LOCO_ENGINE_SYNCING), "syncing");
	is_str(loco_engine_state_name((enum loco_engine_state)99), "unknown");
out:
	te_owner_free(&o);
	te_fix_stop(&f);
}

/* Every test in turn, in one program. */
int
main(void)
{
	tap_init(120);
	te_init();
	test_bootstrap(LOCO_CIPHER_GCM);
	test_bootstrap(LOCO_CIPHER_CFB);
	test_restart();
	test_slot();
	test_fallback();
	test_config_errors();
	te_done_all();
	return done_testing();
}
