/* locoirc: see LICENSE.
 *
 * The engine online: messages from other users arrive in order, the
 * account's own WRITEs are answered with the stored message after it went
 * through the message callback, deletes, reactions, reads, joins, leaves,
 * renames and new chats are reported, a push that skips messages makes
 * the engine fill the gap with SYNCMSG instead of delivering out of order,
 * reordered answers change nothing, a command cut off by a drop gets its
 * callback once, and freeing the engine from a callback is safe.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>

#include "loco-chat.h"
#include "loco-engine.h"
#include "loco-msg.h"
#include "loco-msgtype.h"
#include "locosim.h"
/* For crafted pushes: locosim_push_user sends any body. */
#include "locosim-internal.h"
#include "locosim-world.h"
#include "t-engine-lib.h"
#include "tap.h"

/* What te_loop_until waits for in these tests. */
struct count_cond {
	struct te_owner *o;
	char kind; /* an event kind, or 'm' for messages of chat_id */
	int64_t chat_id;
	size_t n;
};

/* What member_cbs_reached waits for. */
struct member_cond {
	struct te_chat *c;
	unsigned n;
};

static bool count_reached(void *arg);
static bool member_cbs_reached(void *arg);
static bool chat_is_gone(void *arg);
static bool chat_title_is(void *arg);
static size_t wait_count(struct te_owner *o, char kind, int64_t chat_id,
    size_t n);
static void test_messages(struct te_fix *f, struct te_owner *o);
static void test_write(struct te_fix *f, struct te_owner *o);
static void test_events(struct te_fix *f, struct te_owner *o);
static void test_membership(struct te_fix *f, struct te_owner *o);
static void test_gap(struct te_fix *f, struct te_owner *o);
static void test_unknown_chat(struct te_fix *f, struct te_owner *o);
static void test_syncdlmsg_shapes(struct te_fix *f, struct te_owner *o);
static void test_reorder(struct te_fix *f, struct te_owner *o);
static void test_cut_off(struct te_fix *f, struct te_owner *o);
static void test_free_in_callback(struct te_fix *f, struct te_owner *o);

/* Events (or messages) have reached their count. */
static bool
count_reached(void *arg)
{
	struct count_cond *c = arg;

	if (c->kind == 'm')
		return te_owner_count(c->o, c->chat_id) >= c->n;
	return te_event_count(c->o, c->kind) >= c->n;
}

/* The members callback has run n times for the chat. */
static bool
member_cbs_reached(void *arg)
{
	struct member_cond *m = arg;

	return m->c->member_cbs >= m->n;
}

/* chat_gone has come for the chat. */
static bool
chat_is_gone(void *arg)
{
	return ((struct te_chat *)arg)->gone;
}

/* Wait for n events of kind (or n messages of chat_id); the count. */
static size_t
wait_count(struct te_owner *o, char kind, int64_t chat_id, size_t n)
{
	struct count_cond c = {o, kind, chat_id, n};

	te_loop_until(count_reached, &c, TE_WAIT_MS);
	return kind == 'm' ? te_owner_count(o, chat_id)
	                   : te_event_count(o, kind);
}

/* What chat_title_is waits for. */
struct title_cond {
	struct te_owner *o;
	int64_t chat_id;
	const char *title;
	const char *notice;
};

/* The chat's title (and notice, when given) are as expected. */
static bool
chat_title_is(void *arg)
{
	struct title_cond *t = arg;
	struct te_chat *c = te_owner_chat(t->o, t->chat_id);

	return c != NULL && c->title != NULL &&
	    strcmp(c->title, t->title) == 0 &&
	    (t->notice == NULL ||
	        (c->notice != NULL && strcmp(c->notice, t->notice) == 0));
}

/* Other users' messages arrive in order. */
static void
test_messages(struct te_fix *f, struct te_owner *o)
{
	size_t before = te_owner_count(o, TE_GROUP);
	int64_t last = 0;
	int i;

	diag("messages from others");
	for (i = 0; i < 5; i++)
		last = locosim_send_text(f->sim, TE_GROUP,
		    i % 2 ? TE_UB : TE_UC, "live");
	ok(last > 0, "locosim sends");
	is_uint(wait_count(o, 'm', TE_GROUP, before + 5), ==, before + 5);
	is_int(o->msgs[o->n_msgs - 1].log_id, ==, last);
	/* An open chat's MSG carries the author's nickname. */
	locosim_send_text(f->sim, TE_OPEN, TE_UB, "open live");
	if (ok(te_wait_caught_up(o), "open chat message arrives"))
		ok(o->msgs[o->n_msgs - 1].nick != NULL &&
		        strcmp(o->msgs[o->n_msgs - 1].nick, "Bob") == 0,
		    "with the author's nickname");
	te_check_world(o, "messages");
}

/* Our own WRITE: the message through the message callback, then the
 * write callback with the stored chatLog. */
static void
test_write(struct te_fix *f, struct te_owner *o)
{
	const struct locosim_write *w;
	struct loco_error err;
	struct te_done d1, d2, bad;
	size_t i, seen = 0, n_writes = locosim_write_count(f->sim);
	unsigned msg_seq = 0;

	diag("write");
	memset(&d1, 0, sizeof d1);
	memset(&d2, 0, sizeof d2);
	memset(&bad, 0, sizeof bad);
	ok(loco_engine_write(o->e, TE_GROUP, 1, "from alice", NULL, te_write_cb,
	       &d1, &err) == 0,
	    "write accepted");
	ok(loco_engine_write(o->e, TE_DIRECT, LOCO_MSG_REPLY, "a reply",
	       "{\"src_logId\":1}", te_write_cb, &d2, &err) == 0,
	    "reply accepted");
	ok(te_wait_done(&d1) && te_wait_done(&d2), "both answered");
	is_uint(d1.calls, ==, 1);
	is_int(d1.status, ==, 0);
	is_str(d1.text, "from alice");
	is_int(d2.status, ==, 0);
	for (i = 0; i < o->n_msgs; i++)
		if (o->msgs[i].log_id == d1.log_id &&
		    o->msgs[i].chat_id == TE_GROUP) {
			seen++;
			msg_seq = o->msgs[i].seq;
			is_int(o->msgs[i].author_id, ==, TE_UA);
		}
	is_uint(seen, ==, 1);
	ok(msg_seq != 0 && msg_seq < d1.seq,
	    "the message callback came before the write callback");
	is_int(locosim_chat_last_log_id(
	           locosim_world_chat(locosim_world(f->sim), TE_GROUP)),
	    ==, d1.log_id);
	is_uint(locosim_write_count(f->sim), ==, n_writes + 2);
	if ((w = locosim_write_get(f->sim, n_writes + 1)) != NULL) {
		is_int(w->type, ==, LOCO_MSG_REPLY);
		is_str(w->extra, "{\"src_logId\":1}");
		ok(w->msg_id != 0, "with a msgId");
	}
	ok(loco_engine_write(o->e, TE_OTHER, 1, "x", NULL, te_write_cb, &bad,
	       &err) == -1 &&
	        err.code == LOCO_ERR_CONFIG,
	    "a chat we are not in fails at once");
	ok(loco_engine_write(o->e, TE_GROUP, 1, "", NULL, te_write_cb, &bad,
	       &err) == 0,
	    "an empty text goes out");
	if (ok(te_wait_done(&bad), "and is answered"))
		ok(bad.status == -203 && bad.err_code == LOCO_ERR_STATUS,
		    "refused: %d", (int)bad.status);
	te_settle(50);
	is_uint(d1.calls, ==, 1);
	is_uint(bad.calls, ==, 1);
	te_check_world(o, "write");
	te_done_release(&d1);
	te_done_release(&d2);
	te_done_release(&bad);
}

/* Deletes, reactions, reads and metas, both ways. */
static void
test_events(struct te_fix *f, struct te_owner *o)
{
	struct title_cond tc = {o, TE_GROUP, "Renamed", "New notice"};
	struct loco_error err;
	struct te_done dd, dr, dm, dn, dt, dx;
	const struct te_event *ev;
	int64_t bobs, mine, feed;
	size_t n;

	diag("deletes, reactions, reads, metas");
	memset(&dd, 0, sizeof dd);
	memset(&dr, 0, sizeof dr);
	memset(&dm, 0, sizeof dm);
	memset(&dn, 0, sizeof dn);
	memset(&dt, 0, sizeof dt);
	memset(&dx, 0, sizeof dx);
	bobs = locosim_send_text(f->sim, TE_GROUP, TE_UB, "oops");
	te_wait_caught_up(o);
	n = te_event_count(o, 'd');
	feed = locosim_delete(f->sim, TE_GROUP, TE_UB, bobs);
	ok(feed > 0, "Bob deletes his message");
	if (is_uint(wait_count(o, 'd', 0, n + 1), ==, n + 1)) {
		ev = te_event_last(o, 'd');
		is_int(ev->chat_id, ==, TE_GROUP);
		is_int(ev->log_id, ==, bobs);
	}
	ok(te_wait_caught_up(o), "the delete feed arrives as a message");
	is_int(o->msgs[o->n_msgs - 1].log_id, ==, feed);
	is_int(o->msgs[o->n_msgs - 1].type, ==, LOCO_MSG_FEED);

	n = te_event_count(o, 'r');
	is_int(locosim_react(f->sim, TE_GROUP, TE_UC, bobs, 1), ==, 0);
	if (is_uint(wait_count(o, 'r', 0, n + 1), ==, n + 1)) {
		ev = te_event_last(o, 'r');
		is_int(ev->user_id, ==, TE_UC);
		is_int(ev->type, ==, 1);
	}

	n = te_event_count(o, 'R');
	is_int(locosim_mark_read(f->sim, TE_GROUP, TE_UB, feed), ==, 0);
	if (is_uint(wait_count(o, 'R', 0, n + 1), ==, n + 1)) {
		ev = te_event_last(o, 'R');
		is_int(ev->user_id, ==, TE_UB);
		is_int(ev->log_id, ==, feed);
	}

	/* Our own commands. */
	ok(loco_engine_write(o->e, TE_GROUP, 1, "to delete", NULL, te_write_cb,
	       &dx, &err) == 0 &&
	        te_wait_done(&dx),
	    "a message of ours");
	mine = dx.log_id;
	ok(loco_engine_delete(o->e, TE_GROUP, mine, te_done_cb, &dd, &err) == 0,
	    "delete it");
	ok(loco_engine_react(o->e, TE_GROUP, bobs, 1, te_done_cb, &dr, &err) ==
	        0,
	    "react");
	n = te_event_count(o, 'R');
	ok(loco_engine_mark_read(o->e, TE_GROUP, mine, te_done_cb, &dm, &err) ==
	        0,
	    "mark read");
	ok(loco_engine_delete(o->e, TE_GROUP, bobs, te_done_cb, &dn, &err) == 0,
	    "delete someone else's message");
	ok(te_wait_done(&dd) && te_wait_done(&dr) && te_wait_done(&dm) &&
	        te_wait_done(&dn),
	    "all answered");
	is_int(dd.status, ==, 0);
	is_int(dr.status, ==, 0);
	is_int(dm.status, ==, 0);
	is_int(dn.status, ==, -210);
	ok(loco_msgtype_is_deleted(
	       locosim_chat_find(locosim_world_chat(locosim_world(f->sim),
	                             TE_GROUP),
	           mine)
	           ->type),
	    "locosim deleted ours");
	if (ok(te_event_count(o, 'R') == n + 1, "our own read is reported")) {
		ev = te_event_last(o, 'R');
		is_int(ev->user_id, ==, TE_UA);
		is_int(ev->log_id, ==, mine);
	}
	/*
	 * Our own delete's feed is pushed to the others only: the engine
	 * learns of it from the next message's prevId and fills it in.
	 */
	locosim_send_text(f->sim, TE_GROUP, TE_UB, "after our delete");
	ok(te_wait_caught_up(o), "the feed of our delete arrives");

	is_int(locosim_rename(f->sim, TE_GROUP, TE_UB, "Renamed"), ==, 0);
	is_int(locosim_set_notice(f->sim, TE_GROUP, TE_UC, "New notice"), ==,
	    0);
	ok(te_loop_until(chat_title_is, &tc, TE_WAIT_MS),
	    "CHGMETA renames and sets the notice");
	tc.title = "Mine";
	tc.notice = NULL;
	ok(loco_engine_set_meta(o->e, TE_GROUP, 3, "Mine", te_done_cb, &dt,
	       &err) == 0,
	    "set the title ourselves");
	ok(te_wait_done(&dt) && dt.status == 0, "SETMETA answered");
	ok(chat_title_is(&tc), "the chat callback has our title");
	ok(loco_engine_set_meta(o->e, TE_GROUP, 4, "x", te_done_cb, &dt,
	       &err) == -1,
	    "meta 4 is refused at once");
	te_check_world(o, "events");
	te_done_release(&dx);
}

/* Joins and leaves, new chats and chats we leave. */
static void
test_membership(struct te_fix *f, struct te_owner *o)
{
	int64_t members[] = {TE_UB, TE_UA, TE_UC};
	const struct te_event *ev;
	struct loco_error err;
	struct member_cond mc;
	struct te_chat *c;
	int64_t chat;
	unsigned cbs;
	size_t n;

	diag("membership");
	n = te_event_count(o, 'j');
	ok(locosim_join(f->sim, TE_GROUP, TE_UD, TE_UB) > 0, "Dave joins");
	if (is_uint(wait_count(o, 'j', 0, n + 1), ==, n + 1)) {
		ev = te_event_last(o, 'j');
		is_int(ev->user_id, ==, TE_UD);
		is_str(ev->nick, "Dave");
	}
	n = te_event_count(o, 'l');
	ok(locosim_leave(f->sim, TE_GROUP, TE_UC) > 0, "Carol leaves");
	if (is_uint(wait_count(o, 'l', 0, n + 1), ==, n + 1)) {
		ev = te_event_last(o, 'l');
		is_int(ev->user_id, ==, TE_UC);
		is_str(ev->nick, "Carol");
	}
	ok(te_wait_caught_up(o), "the feeds arrive as messages");

	c = te_owner_chat(o, TE_GROUP);
	cbs = c->member_cbs;
	ok(loco_engine_refresh_members(o->e, TE_GROUP, &err) == 0,
	    "refresh members");
	mc.c = c;
	mc.n = cbs + 1;
	te_loop_until(member_cbs_reached, &mc, TE_WAIT_MS);
	is_uint(c->member_cbs, ==, cbs + 1);
	is_uint(c->n_members, ==, 3);

	chat = locosim_create_chat(f->sim, "MultiChat", members, 3, "New room");
	ok(chat > 0, "Bob makes a new room with us");
	ok(te_wait_caught_up(o), "SYNCJOIN: the new room is caught up");
	if (ok((c = te_owner_chat(o, chat)) != NULL, "and reported")) {
		is_str(c->title, "New room");
		is_uint(c->n_members, ==, 3);
		is_uint(te_owner_count(o, chat), ==, 2);
	}

	ok(locosim_leave(f->sim, TE_OPEN, TE_UA) > 0, "we leave the open chat");
	c = te_owner_chat(o, TE_OPEN);
	te_loop_until(chat_is_gone, c, TE_WAIT_MS);
	ok(c->gone, "LEFT: the chat is gone");
	ok(loco_engine_write(o->e, TE_OPEN, 1, "x", NULL, te_write_cb, NULL,
	       &err) == -1,
	    "and takes no more writes");
	te_check_world(o, "membership");
}

/*
 * A MSG whose prevId is above the cursor: messages the push path never
 * saw (appended to the world without pushes) are fetched by SYNCMSG and
 * delivered before it, in order.
 */
static void
test_gap(struct te_fix *f, struct te_owner *o)
{
	struct locosim_world *w = locosim_world(f->sim);
	struct locosim_chat *c = locosim_world_chat(w, TE_DIRECT);
	size_t syncmsg = locosim_request_count(f->sim, "SYNCMSG");
	size_t before = te_owner_count(o, TE_DIRECT);
	int64_t last;

	diag("gap fill");
	locosim_chat_append(w, c, TE_UB, 1, "unseen 1", "", 0);
	locosim_chat_append(w, c, TE_UA, 1, "unseen 2", "", 0);
	locosim_chat_append(w, c, TE_UB, 1, "unseen 3", "", 0);
	last = locosim_send_text(f->sim, TE_DIRECT, TE_UB, "after the gap");
	ok(te_wait_caught_up(o), "caught up after the gap");
	is_uint(te_owner_count(o, TE_DIRECT), ==, before + 4);
	is_int(o->msgs[o->n_msgs - 1].log_id, ==, last);
	ok(locosim_request_count(f->sim, "SYNCMSG") > syncmsg,
	    "the gap was filled by SYNCMSG");
	te_check_world(o, "gap");
}

/*
 * A MSG for a chat the engine has never heard of (we were added without
 * a SYNCJOIN): the chat is introduced, reported, and its whole history
 * fetched before the message, in order.
 */
static void
test_unknown_chat(struct te_fix *f, struct te_owner *o)
{
	struct locosim_world *w = locosim_world(f->sim);
	struct locosim_chat *c = locosim_world_chat(w, TE_OTHER);
	struct te_chat *tc;
	int64_t last;

	diag("MSG for an unknown chat");
	ok(locosim_chat_add_member(w, c, TE_UB, TE_UA) != NULL,
	    "Alice is added to the other chat without a push");
	last = locosim_send_text(f->sim, TE_OTHER, TE_UC, "do you know us?");
	ok(te_wait_caught_up(o), "caught up with the new chat");
	if (ok((tc = te_owner_chat(o, TE_OTHER)) != NULL, "it is reported")) {
		is_str(tc->title, "Other");
		is_uint(tc->n_members, ==, 3);
		is_uint(te_owner_count(o, TE_OTHER), ==, 3);
	}
	is_int(o->msgs[o->n_msgs - 1].log_id, ==, last);
	te_check_world(o, "unknown chat");
}

/*
 * SYNCDLMSG in both shapes (decision 7): top-level chatId/logId only, as
 * old servers send it, and the feed chatLog only.
 */
static void
test_syncdlmsg_shapes(struct te_fix *f, struct te_owner *o)
{
	struct locosim_world *w = locosim_world(f->sim);
	struct locosim_chat *c = locosim_world_chat(w, TE_DIRECT);
	struct loco_chatlog *feed;
	const struct te_event *ev;
	int64_t a, b;
	size_t n = te_event_count(o, 'd');
	bson_t *body;

	diag("SYNCDLMSG shapes");
	a = locosim_send_text(f->sim, TE_DIRECT, TE_UB, "delete me (old)");
	b = locosim_send_text(f->sim, TE_DIRECT, TE_UB, "delete me (new)");
	te_wait_caught_up(o);
	body =
	    BCON_NEW("chatId", BCON_INT64(TE_DIRECT), "logId", BCON_INT64(a));
	locosim_push_user(f->sim, TE_UA, 0, "SYNCDLMSG", body);
	bson_destroy(body);
	if (is_uint(wait_count(o, 'd', 0, n + 1), ==, n + 1)) {
		ev = te_event_last(o, 'd');
		ok(ev->chat_id == TE_DIRECT && ev->log_id == a,
		    "top-level shape: deleted %lld", (long long)ev->log_id);
	}
	/* The feed is in the world; the push names it only in chatLog. */
	feed = locosim_chat_delete(w, c, TE_UB, b);
	body = bson_new();
	loco_chatlog_append(body, "chatLog", feed);
	locosim_push_user(f->sim, TE_UA, 0, "SYNCDLMSG", body);
	bson_destroy(body);
	if (is_uint(wait_count(o, 'd', 0, n + 2), ==, n + 2)) {
		ev = te_event_last(o, 'd');
		ok(ev->chat_id == TE_DIRECT && ev->log_id == b,
		    "chatLog shape: deleted %lld", (long long)ev->log_id);
	}
	ok(te_wait_caught_up(o), "the feed is delivered as a message");
	te_check_world(o, "syncdlmsg");
}

/* Answers in reverse order: WRITE answers wait for their turn. */
static void
test_reorder(struct te_fix *f, struct te_owner *o)
{
	struct te_done d[3];
	struct loco_error err;
	int i, good = 0;

	diag("reordered answers");
	memset(d, 0, sizeof d);
	locosim_reorder_responses(f->sim, 3);
	for (i = 0; i < 3; i++)
		if (loco_engine_write(o->e, TE_GROUP, 1, "reordered", NULL,
		        te_write_cb, &d[i], &err) == 0)
			good++;
	is_int(good, ==, 3);
	for (i = 0; i < 3; i++)
		if (te_wait_done(&d[i]) && d[i].calls == 1 && d[i].status == 0)
			good++;
	is_int(good, ==, 6);
	ok(d[0].log_id < d[1].log_id && d[1].log_id < d[2].log_id,
	    "log ids in the order sent");
	ok(te_wait_caught_up(o), "caught up");
	te_check_world(o, "reorder");
	for (i = 0; i < 3; i++)
		te_done_release(&d[i]);
}

/* A command in flight when the connection drops: its callback, once. */
static void
test_cut_off(struct te_fix *f, struct te_owner *o)
{
	struct loco_error err;
	struct te_done d;
	unsigned online = te_state_count(o, LOCO_ENGINE_ONLINE);

	diag("command cut off by a drop");
	memset(&d, 0, sizeof d);
	ok(loco_engine_write(o->e, TE_GROUP, 1, "never sent", NULL, te_write_cb,
	       &d, &err) == 0,
	    "write accepted");
	is_int(locosim_drop(f->sim, TE_UA), ==, 1);
	if (ok(te_wait_done(&d), "answered")) {
		is_int(d.status, ==, -1);
		ok(d.err_code == LOCO_ERR_CLOSED || d.err_code == LOCO_ERR_IO,
		    "because the connection went (%s)",
		    loco_error_code_name(d.err_code));
	}
	ok(te_wait_state(o, LOCO_ENGINE_ONLINE, online + 1), "back online");
	ok(te_wait_caught_up(o), "caught up");
	te_settle(50);
	is_uint(d.calls, ==, 1);
	te_check_world(o, "cut off");
	te_done_release(&d);
}

/* loco_engine_free from the message callback: nothing after it. */
static void
test_free_in_callback(struct te_fix *f, struct te_owner *o)
{
	size_t n = o->n_msgs;

	diag("free from a callback");
	o->free_on_message = true;
	locosim_send_text(f->sim, TE_GROUP, TE_UB, "last words");
	locosim_send_text(f->sim, TE_GROUP, TE_UB, "never seen");
	te_settle(300);
	ok(o->freed, "the engine was freed in the callback");
	is_uint(o->n_msgs, ==, n + 1);
	is_uint(o->callbacks_after_free, ==, 0);
	locosim_send_text(f->sim, TE_GROUP, TE_UB, "still nothing");
	te_settle(100);
	is_uint(o->callbacks_after_free, ==, 0);
	is_uint(locosim_session_count(f->sim, TE_UA), ==, 0);
}

/* One engine online through every test. */
int
main(void)
{
	struct loco_engine_config cfg;
	struct te_owner o;
	struct te_fix f;

	tap_init(120);
	te_init();
	memset(&o, 0, sizeof o);
	if (!te_fix_start(&f, LOCO_CIPHER_GCM))
		goto out;
	te_config(&f, &cfg);
	if (!te_owner_new(&o, &f, &cfg, NULL, NULL, 0))
		goto out;
	loco_engine_start(o.e);
	if (!ok(te_wait_caught_up(&o), "online"))
		goto out;
	test_messages(&f, &o);
	test_write(&f, &o);
	test_events(&f, &o);
	test_membership(&f, &o);
	test_gap(&f, &o);
	test_unknown_chat(&f, &o);
	test_syncdlmsg_shapes(&f, &o);
	test_reorder(&f, &o);
	test_cut_off(&f, &o);
	test_free_in_callback(&f, &o);
out:
	te_owner_free(&o);
	te_fix_stop(&f);
	te_done_all();
	return done_testing();
}
