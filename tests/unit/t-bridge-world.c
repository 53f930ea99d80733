/* locoirc: see LICENSE.
 *
 * Tests for the bridge's world model: loading chats, members, users and
 * persisted names from a real (temporary) store; channel, query and memo
 * naming; lookups by IRC target; stable names across restarts and upstream
 * renames; renames on purpose; member bookkeeping; chats that leave and
 * come back; UTF-8 and romanised nicks; and 10,000 chats.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge-world.h"
#include "loco-chat.h"
#include "loco-engine.h"
#include "store.h"
#include "tap.h"
#include "xmalloc.h"

#define OWN INT64_C(100)
#define BOB INT64_C(201)
#define CAROL INT64_C(202)
#define DAVE INT64_C(203)

static struct store *open_store(const char *name);
static void put_chat(struct store *st, int64_t id, enum loco_chat_type type,
    const char *title);
static void put_members(struct store *st, int64_t chat_id, const int64_t *ids,
    const char *const *nicks, size_t n);
static void put_message(struct store *st, int64_t chat_id, int64_t log_id,
    int32_t send_at);
static struct bridge_chat *target(struct bridge_world *w, const char *t);
static void seed(struct store *st);
static void test_load(struct store *st);
static void test_reopen(struct store *st);
static void test_update(struct store *st);
static void test_rename(struct store *st);
static void test_members(struct store *st);
static void test_hangul(void);
static void test_many(void);

/* A fresh store in the test's private directory. */
static struct store *
open_store(const char *name)
{
	struct store *st;
	char *path;

	path = xasprintf("%s/%s", tap_tmpdir(), name);
	st = store_open(NULL, path);
	free(path);
	if (st == NULL) {
		diag("cannot open store %s", name);
		exit(1);
	}
	return st;
}

/* Store a chat as the engine would report it. */
static void
put_chat(struct store *st, int64_t id, enum loco_chat_type type,
    const char *title)
{
	struct loco_engine_chat c;

	memset(&c, 0, sizeof c);
	c.chat_id = id;
	c.type = type;
	c.title = title;
	if (store_put_chat(st, &c) == -1) {
		diag("store_put_chat %" PRId64 " failed", id);
		exit(1);
	}
}

/* Store the full member list of chat_id. */
static void
put_members(struct store *st, int64_t chat_id, const int64_t *ids,
    const char *const *nicks, size_t n)
{
	struct loco_member m[16];
	size_t i;

	memset(m, 0, sizeof m);
	for (i = 0; i < n && i < 16; i++) {
		m[i].user_id = ids[i];
		m[i].nickname = (char *)nicks[i];
	}
	if (store_set_members(st, chat_id, m, n) == -1) {
		diag("store_set_members %" PRId64 " failed", chat_id);
		exit(1);
	}
}

/* Store one text message. */
static void
put_message(struct store *st, int64_t chat_id, int64_t log_id, int32_t send_at)
{
	struct loco_chatlog cl;

	memset(&cl, 0, sizeof cl);
	cl.chat_id = chat_id;
	cl.log_id = log_id;
	cl.author_id = BOB;
	cl.type = 1;
	cl.send_at = send_at;
	cl.message = (char *)"hello";
	if (store_add_message(st, &cl) == -1) {
		diag("store_add_message failed");
		exit(1);
	}
}

/* find_target, for brevity. */
static struct bridge_chat *
target(struct bridge_world *w, const char *t)
{
	return bridge_world_find_target(w, t);
}

/*
 * The account OWN ("me") with: 1 and 2 both "Team", 3 a direct chat with
 * Bob, 4 the memo chat, 5 untitled with Bob and Carol, 6 gone, 7 an open
 * 1:1 with Bob.
 */
static void
seed(struct store *st)
{
	static const int64_t team[] = {CAROL, OWN, BOB};
	static const char *const team_n[] = {"Carol", "Me Myself", "Bob"};
	static const int64_t team2[] = {OWN, DAVE};
	static const char *const team2_n[] = {"Me Myself", "Dave"};
	static const int64_t bob[] = {OWN, BOB};
	static const char *const bob_n[] = {"Me Myself", "Bob"};
	static const int64_t memo[] = {OWN};
	static const char *const memo_n[] = {"Me Myself"};

	put_chat(st, 1, LOCO_CHAT_MULTI, "Team");
	put_chat(st, 2, LOCO_CHAT_MULTI, "Team");
	put_chat(st, 3, LOCO_CHAT_DIRECT, NULL);
	put_chat(st, 4, LOCO_CHAT_MEMO, NULL);
	put_chat(st, 5, LOCO_CHAT_MULTI, NULL);
	put_chat(st, 6, LOCO_CHAT_MULTI, "Left");
	put_chat(st, 7, LOCO_CHAT_OPEN_DIRECT, NULL);
	put_members(st, 1, team, team_n, 3);
	put_members(st, 2, team2, team2_n, 2);
	put_members(st, 3, bob, bob_n, 2);
	put_members(st, 4, memo, memo_n, 1);
	put_members(st, 5, team, team_n, 3);
	put_members(st, 7, bob, bob_n, 2);
	store_chat_gone(st, 6);
	put_message(st, 1, 10, 1000);
	put_message(st, 1, 11, 1005);
	if (store_flush(st) == -1)
		exit(1);
}

/* Load: names, kinds, members, cursors and every kind of lookup. */
static void
test_load(struct store *st)
{
	struct bridge_world *w;
	struct bridge_chat *c;
	size_t i;

	w = bridge_world_new(st, OWN, "me", false);
	if (!ok(w != NULL, "world loads"))
		return;
	is_int(bridge_world_own_id(w), ==, OWN);
	is_str(bridge_world_own_nick(w), "me");
	is_uint(bridge_world_count_chats(w), ==, 6);
	ok(bridge_world_chat(w, 6) == NULL, "gone chat is not loaded");
	for (i = 0; i < bridge_world_count_chats(w); i++)
		if (bridge_world_chat_at(w, i)->index != i)
			break;
	is_uint(i, ==, 6);
	ok(bridge_world_chat_at(w, 6) == NULL, "chat_at past the end is NULL");

	c = bridge_world_chat(w, 1);
	if (ok(c != NULL, "chat 1 known")) {
		is_str(c->name, "#Team");
		ok(!c->query, "a group chat is a channel");
		is_str(c->title, "Team");
		is_uint(c->n_members, ==, 3);
		ok(c->n_members == 3 && c->members[0] == OWN &&
		        c->members[1] == BOB && c->members[2] == CAROL,
		    "members ascending");
		ok(bridge_world_is_member(w, c, CAROL), "carol is a member");
		ok(!bridge_world_is_member(w, c, DAVE), "dave is not");
		is_int(c->cursor, ==, 11);
		is_int(c->last_send_at, ==, 1005);
		is_int(c->peer_id, ==, 0);
	}
	c = bridge_world_chat(w, 2);
	ok(c != NULL && strcmp(c->name, "#Team_2") == 0,
	    "second \"Team\" is #Team_2");
	is_int(bridge_world_chat(w, 2)->cursor, ==, 0);
	c = bridge_world_chat(w, 3);
	if (ok(c != NULL, "direct chat known")) {
		is_str(c->name, "Bob");
		ok(c->query, "a direct chat is a query");
		is_int(c->peer_id, ==, BOB);
		ok(c->name == bridge_world_user(w, BOB)->nick,
		    "direct chat borrows the peer's nick");
	}
	c = bridge_world_chat(w, 4);
	ok(c != NULL && strcmp(c->name, "*memo") == 0 && c->query,
	    "memo chat is the *memo query");
	c = bridge_world_chat(w, 5);
	ok(c != NULL && strcmp(c->name, "#Bob_Carol") == 0,
	    "untitled chat named from members: %s", c ? c->name : "-");
	c = bridge_world_chat(w, 7);
	ok(c != NULL && c->query && c->peer_id == BOB &&
	        strcmp(c->name, "Bob") == 0,
	    "open 1:1 is a query on the peer too");

	ok(target(w, "#team") == bridge_world_chat(w, 1), "#team, casemapped");
	ok(target(w, "#TEAM_2") == bridge_world_chat(w, 2), "#TEAM_2");
	ok(target(w, "bOB") == bridge_world_chat(w, 3),
	    "nick finds the DirectChat before the OD");
	ok(target(w, "*MEMO") == bridge_world_chat(w, 4), "memo nick");
	ok(target(w, "#Left") == NULL, "gone chat's channel not found");
	ok(target(w, "#nope") == NULL, "unknown channel");
	ok(target(w, "nobody") == NULL, "unknown nick");
	ok(target(w, "Dave") == NULL, "nick without a direct chat");
	ok(target(w, "") == NULL && target(w, NULL) == NULL, "empty target");
	ok(target(w, "&Team") == NULL, "no & channels");

	ok(bridge_world_find_nick(w, "CAROL") != NULL &&
	        bridge_world_find_nick(w, "CAROL")->id == CAROL,
	    "find_nick casemapped");
	ok(bridge_world_find_nick(w, "ME") != NULL &&
	        bridge_world_find_nick(w, "ME")->id == OWN,
	    "own nick is a user");
	is_str(bridge_world_user(w, OWN)->nick, "me");
	is_str(bridge_world_user(w, OWN)->kakao_nick, "Me Myself");
	is_str(bridge_world_user(w, 999)->nick, "kakao999");
	ok(bridge_world_user(w, 999)->kakao_nick == NULL,
	    "unknown user gets a fallback nick");

	bridge_world_note_message(w, 1, 12, 2000);
	is_int(bridge_world_chat(w, 1)->cursor, ==, 12);
	is_int(bridge_world_chat(w, 1)->last_send_at, ==, 2000);
	bridge_world_note_message(w, 1, 5, 9);
	is_int(bridge_world_chat(w, 1)->last_send_at, ==, 2000);
	bridge_world_note_message(w, 12345, 5, 9);

	ok(bridge_world_persist(w) == 0, "persist");
	ok(store_flush(st) == 0, "flush");
	bridge_world_free(w);
}

/* Names survive restarts and upstream title changes. */
static void
test_reopen(struct store *st)
{
	struct bridge_world *w;

	put_chat(st, 1, LOCO_CHAT_MULTI, "Other");
	put_chat(st, 8, LOCO_CHAT_MULTI, "Team");
	store_flush(st);
	w = bridge_world_new(st, OWN, "me", false);
	if (!ok(w != NULL, "world reloads"))
		return;
	is_str(bridge_world_chat(w, 1)->title, "Other");
	is_str(bridge_world_chat(w, 1)->name, "#Team");
	is_str(bridge_world_chat(w, 2)->name, "#Team_2");
	is_str(bridge_world_chat(w, 8)->name, "#Team_3");
	is_str(bridge_world_chat(w, 5)->name, "#Bob_Carol");
	is_str(bridge_world_chat(w, 3)->name, "Bob");
	ok(bridge_world_find_nick(w, "kakao999") == NULL,
	    "a user never stored is not loaded");
	ok(bridge_world_persist(w) == 0, "persist again");
	store_flush(st);
	bridge_world_free(w);
}

/* Engine updates: new, topic, title, gone and back, direct from icons,
 * untitled from icons, fallback kept when a title arrives. */
static void
test_update(struct store *st)
{
	static const int64_t icons[] = {OWN, 301, 302, 303, 304, 305};
	static char *const icon_n[] = {(char *)"Me", (char *)"Frank",
	    (char *)"Grace", (char *)"Heidi", (char *)"Ivan", (char *)"Judy"};
	static const int64_t eve_i[] = {300};
	static char *const eve_n[] = {(char *)"Eve"};
	struct loco_engine_chat c;
	struct bridge_world *w;
	struct bridge_chat *bc;
	size_t index;

	w = bridge_world_new(st, OWN, "me", false);
	if (!ok(w != NULL, "world for updates"))
		return;
	memset(&c, 0, sizeof c);
	c.chat_id = 1;
	c.type = LOCO_CHAT_MULTI;
	is_uint(bridge_world_update_chat(w, &c), ==, 0);
	c.notice = "rules";
	is_uint(bridge_world_update_chat(w, &c), ==, BRIDGE_WORLD_TOPIC);
	is_str(bridge_world_chat(w, 1)->notice, "rules");
	is_uint(bridge_world_update_chat(w, &c), ==, 0);
	c.title = "Brand new";
	is_uint(bridge_world_update_chat(w, &c), ==, BRIDGE_WORLD_TITLE);
	is_str(bridge_world_chat(w, 1)->name, "#Team");

	/* gone and back */
	bc = bridge_world_chat(w, 2);
	index = bc->index;
	ok(bridge_world_chat_gone(w, 2), "chat 2 leaves");
	ok(!bridge_world_chat_gone(w, 2), "... only once");
	ok(!bridge_world_chat_gone(w, 4242), "unknown chat cannot leave");
	ok(bc->gone, "marked gone");
	ok(target(w, "#Team_2") == NULL, "gone chat hidden");
	memset(&c, 0, sizeof c);
	c.chat_id = 2;
	c.type = LOCO_CHAT_MULTI;
	c.title = "Team";
	is_uint(bridge_world_update_chat(w, &c), ==, BRIDGE_WORLD_BACK);
	ok(bridge_world_chat(w, 2) == bc && bc->index == index && !bc->gone,
	    "back with its index");
	ok(target(w, "#team_2") == bc, "back with its name");

	/* memo gone and back */
	ok(bridge_world_chat_gone(w, 4), "memo leaves");
	ok(target(w, "*memo") == NULL, "gone memo hidden");
	memset(&c, 0, sizeof c);
	c.chat_id = 4;
	c.type = LOCO_CHAT_MEMO;
	is_uint(bridge_world_update_chat(w, &c), ==, BRIDGE_WORLD_BACK);
	ok(target(w, "*memo") == bridge_world_chat(w, 4), "memo back");

	/* a direct chat known only from its icons */
	memset(&c, 0, sizeof c);
	c.chat_id = 20;
	c.type = LOCO_CHAT_DIRECT;
	c.icon_user_ids = eve_i;
	c.icon_nicknames = eve_n;
	c.n_icons = 1;
	is_uint(bridge_world_update_chat(w, &c), ==, BRIDGE_WORLD_NEW);
	bc = bridge_world_chat(w, 20);
	ok(bc != NULL && bc->peer_id == 300 && strcmp(bc->name, "Eve") == 0,
	    "direct chat from icons");
	is_uint(bc->index, ==, bridge_world_count_chats(w) - 1);
	ok(target(w, "eve") == bc, "eve finds it");
	is_str(bridge_world_user(w, 300)->kakao_nick, "Eve");

	/* an untitled group from icons: the account skipped, four names */
	memset(&c, 0, sizeof c);
	c.chat_id = 21;
	c.type = LOCO_CHAT_MULTI;
	c.icon_user_ids = icons;
	c.icon_nicknames = icon_n;
	c.n_icons = 6;
	is_uint(bridge_world_update_chat(w, &c), ==, BRIDGE_WORLD_NEW);
	is_str(bridge_world_chat(w, 21)->name, "#Frank_Grace_Heidi_Ivan");

	/* made from nothing, then a title: the name stays */
	memset(&c, 0, sizeof c);
	c.chat_id = 22;
	c.type = LOCO_CHAT_MULTI;
	is_uint(bridge_world_update_chat(w, &c), ==, BRIDGE_WORLD_NEW);
	is_str(bridge_world_chat(w, 22)->name, "#chat22");
	c.title = "Finally";
	is_uint(bridge_world_update_chat(w, &c), ==, BRIDGE_WORLD_TITLE);
	is_str(bridge_world_chat(w, 22)->name, "#chat22");
	ok(target(w, "#Finally") == NULL, "no channel from the late title");

	/* unknown type first, then known: becomes a query */
	memset(&c, 0, sizeof c);
	c.chat_id = 23;
	c.type = LOCO_CHAT_UNKNOWN;
	c.title = "Mystery";
	is_uint(bridge_world_update_chat(w, &c), ==, BRIDGE_WORLD_NEW);
	ok(!bridge_world_chat(w, 23)->query, "unknown type is a channel");
	c.type = LOCO_CHAT_DIRECT;
	c.icon_user_ids = eve_i;
	c.icon_nicknames = eve_n;
	c.n_icons = 1;
	bridge_world_update_chat(w, &c);
	ok(bridge_world_chat(w, 23)->query &&
	        strcmp(bridge_world_chat(w, 23)->name, "Eve") == 0,
	    "typed later: a query on its peer");
	ok(target(w, "#Mystery") == NULL, "its channel is gone");
	ok(target(w, "Eve") == bridge_world_chat(w, 20),
	    "peer still finds a DirectChat");

	is_uint(bridge_world_update_chat(w, NULL), ==, 0);
	ok(bridge_world_persist(w) == 0, "persist updates");
	store_flush(st);
	bridge_world_free(w);

	w = bridge_world_new(st, OWN, "me", false);
	if (ok(w != NULL, "reload after updates")) {
		/* the engine stored nothing here, only the names were */
		ok(bridge_world_chat(w, 22) == NULL, "chat 22 not stored");
		put_chat(st, 22, LOCO_CHAT_MULTI, "Finally");
		memset(&c, 0, sizeof c);
		c.chat_id = 22;
		c.type = LOCO_CHAT_MULTI;
		c.title = "Finally";
		bridge_world_update_chat(w, &c);
		is_str(bridge_world_chat(w, 22)->name, "#chat22");
		bridge_world_free(w);
	}
}

/* Renames on purpose (channels) and by profile change (nicks). */
static void
test_rename(struct store *st)
{
	struct bridge_world *w;
	const char *why = NULL;
	char *old = NULL;

	w = bridge_world_new(st, OWN, "me", false);
	if (!ok(w != NULL, "world for renames"))
		return;
	ok(bridge_world_rename_chat(w, 1, "#team_2", &old, &why) == -1 &&
	        old == NULL && why != NULL,
	    "taken name refused: %s", why ? why : "-");
	why = NULL;
	ok(bridge_world_rename_chat(w, 3, "#bobchan", &old, &why) == -1 &&
	        why != NULL,
	    "a query cannot be renamed: %s", why ? why : "-");
	ok(bridge_world_rename_chat(w, 1, "#", &old, &why) == -1,
	    "empty name refused");
	ok(bridge_world_rename_chat(w, 777, "x", &old, &why) == -1,
	    "unknown chat refused");
	ok(bridge_world_rename_chat(w, 1, "#Fresh Start", &old, &why) == 0,
	    "rename chat 1");
	is_str(old, "#Team");
	free(old);
	old = NULL;
	is_str(bridge_world_chat(w, 1)->name, "#Fresh_Start");
	ok(target(w, "#fresh_start") == bridge_world_chat(w, 1),
	    "found by its new name");
	ok(target(w, "#Team") == NULL, "not by its old name");
	ok(bridge_world_rename_chat(w, 2, "Team", &old, &why) == 0,
	    "the freed name can be taken, without '#'");
	is_str(old, "#Team_2");
	free(old);
	old = NULL;
	is_str(bridge_world_chat(w, 2)->name, "#Team");
	ok(bridge_world_rename_chat(w, 2, "#TEAM", &old, &why) == 0,
	    "its own name in another case");
	is_str(bridge_world_chat(w, 2)->name, "#TEAM");
	free(old);
	old = NULL;

	ok(bridge_world_rename_user(w, BOB, "Robert", &old), "bob renamed");
	is_str(old, "Bob");
	free(old);
	old = NULL;
	is_str(bridge_world_user(w, BOB)->nick, "Robert");
	is_str(bridge_world_user(w, BOB)->kakao_nick, "Robert");
	is_str(bridge_world_chat(w, 3)->name, "Robert");
	is_str(bridge_world_chat(w, 7)->name, "Robert");
	ok(target(w, "robert") == bridge_world_chat(w, 3), "new nick finds");
	ok(target(w, "Bob") == NULL, "old nick does not");
	ok(!bridge_world_rename_user(w, BOB, "Robert", &old) && old == NULL,
	    "same name: no change");
	ok(!bridge_world_rename_user(w, BOB, NULL, &old), "NULL: no change");
	ok(bridge_world_rename_user(w, DAVE, "Robert", &old),
	    "dave renamed too");
	is_str(old, "Dave");
	is_str(bridge_world_user(w, DAVE)->nick, "Robert_2");
	free(old);
	old = NULL;
	ok(!bridge_world_rename_user(w, OWN, "Someone", &old) && old == NULL,
	    "own nick never changes");
	is_str(bridge_world_own_nick(w), "me");
	ok(!bridge_world_rename_user(w, 555, "Newbie", &old) && old == NULL,
	    "unknown user: created, no NICK");
	is_str(bridge_world_user(w, 555)->nick, "Newbie");
	/* 999 has a persisted fallback nick but is not a stored user */
	ok(!bridge_world_rename_user(w, 999, "Kim", &old) && old == NULL,
	    "a user new to the world is renamed silently");
	is_str(bridge_world_user(w, 999)->nick, "Kim");
	ok(bridge_world_rename_user(w, 555, "Old Timer", NULL),
	    "known user renamed, old nick not wanted");
	is_str(bridge_world_user(w, 555)->nick, "Old_Timer");
	ok(bridge_world_persist(w) == 0, "persist renames");
	store_flush(st);
	bridge_world_free(w);

	w = bridge_world_new(st, OWN, "me", false);
	if (ok(w != NULL, "reload after renames")) {
		is_str(bridge_world_chat(w, 1)->name, "#Fresh_Start");
		is_str(bridge_world_chat(w, 2)->name, "#TEAM");
		is_str(bridge_world_chat(w, 3)->name, "Robert");
		bridge_world_free(w);
	}
}

/* Members: set, add, remove, with change flags. */
static void
test_members(struct store *st)
{
	struct loco_member m[4];
	struct bridge_world *w;
	struct bridge_chat *c;

	w = bridge_world_new(st, OWN, "me", false);
	if (!ok(w != NULL, "world for members"))
		return;
	memset(m, 0, sizeof m);
	m[0].user_id = 204;
	m[0].nickname = (char *)"Zed";
	m[1].user_id = OWN;
	m[2].user_id = DAVE;
	m[3].user_id = 204;
	c = bridge_world_chat(w, 2);
	ok(bridge_world_set_members(w, 2, m, 4), "set: changed");
	ok(c->n_members == 3 && c->members[0] == OWN && c->members[1] == DAVE &&
	        c->members[2] == 204,
	    "sorted, duplicates dropped");
	is_str(bridge_world_user(w, 204)->nick, "Zed");
	ok(!bridge_world_set_members(w, 2, m, 3), "same set: unchanged");
	ok(bridge_world_add_member(w, 2, 205, "Yan"), "add 205");
	ok(!bridge_world_add_member(w, 2, 205, "Yan"), "add 205 again");
	ok(bridge_world_add_member(w, 2, 1, NULL), "add 1 (in front)");
	ok(c->n_members == 5 && c->members[0] == 1 && c->members[4] == 205,
	    "still ascending");
	ok(bridge_world_is_member(w, c, 205), "205 is a member");
	ok(bridge_world_remove_member(w, 2, 205), "remove 205");
	ok(!bridge_world_remove_member(w, 2, 205), "remove 205 again");
	ok(!bridge_world_is_member(w, c, 205), "205 is not a member");
	ok(bridge_world_remove_member(w, 2, 1), "remove 1");
	ok(!bridge_world_add_member(w, 4242, 1, NULL), "unknown chat");
	ok(!bridge_world_set_members(w, 4242, m, 1), "unknown chat (set)");
	ok(!bridge_world_remove_member(w, 4242, 1), "unknown chat (remove)");
	ok(bridge_world_set_members(w, 2, NULL, 0), "emptied");
	is_uint(c->n_members, ==, 0);
	ok(!bridge_world_is_member(w, c, OWN), "nobody left");
	ok(bridge_world_add_member(w, 2, OWN, NULL), "add to empty");

	/* a direct chat learns its peer from a member list */
	{
		struct loco_engine_chat ec;

		memset(&ec, 0, sizeof ec);
		ec.chat_id = 30;
		ec.type = LOCO_CHAT_DIRECT;
		bridge_world_update_chat(w, &ec);
		is_str(bridge_world_chat(w, 30)->name, "*unknown");
		ok(target(w, "*unknown") == NULL, "no target for no peer");
		m[0].user_id = OWN;
		m[1].user_id = CAROL;
		ok(bridge_world_set_members(w, 30, m, 2), "direct members");
		is_int(bridge_world_chat(w, 30)->peer_id, ==, CAROL);
		is_str(bridge_world_chat(w, 30)->name, "Carol");
		ok(target(w, "carol") == bridge_world_chat(w, 30),
		    "peer finds it");
		ok(bridge_world_remove_member(w, 30, CAROL), "peer leaves");
		is_str(bridge_world_chat(w, 30)->name, "Carol");
	}
	bridge_world_free(w);
}

/* UTF-8 nicks kept, romanised with ascii; channels keep UTF-8. */
static void
test_hangul(void)
{
	static const int64_t ids[] = {OWN, 210};
	static const char *const nicks[] = {"나", "김철수"};
	struct bridge_world *w;
	struct store *st;

	st = open_store("hangul.db");
	put_chat(st, 1, LOCO_CHAT_MULTI, "한글 방");
	put_chat(st, 2, LOCO_CHAT_DIRECT, NULL);
	put_members(st, 1, ids, nicks, 2);
	put_members(st, 2, ids, nicks, 2);
	store_flush(st);
	w = bridge_world_new(st, OWN, "me", false);
	if (ok(w != NULL, "hangul world")) {
		is_str(bridge_world_chat(w, 1)->name, "#한글_방");
		is_str(bridge_world_chat(w, 2)->name, "김철수");
		ok(target(w, "김철수") == bridge_world_chat(w, 2),
		    "UTF-8 nick finds the query");
		ok(target(w, "#한글_방") == bridge_world_chat(w, 1),
		    "UTF-8 channel found");
		bridge_world_persist(w);
		store_flush(st);
		bridge_world_free(w);
	}
	/* the persisted UTF-8 nick is not valid in ascii mode: romanised */
	w = bridge_world_new(st, OWN, "me", true);
	if (ok(w != NULL, "ascii world")) {
		is_str(bridge_world_chat(w, 1)->name, "#한글_방");
		is_str(bridge_world_chat(w, 2)->name, "Gimcheolsu");
		ok(target(w, "GimCheolSu") == bridge_world_chat(w, 2),
		    "romanised nick finds the query");
		bridge_world_free(w);
	}
	store_close(st);
}

/* 10,000 chats load and are found by id, index and name. */
static void
test_many(void)
{
	struct bridge_world *w;
	struct bridge_chat *c;
	struct store *st;
	char title[64];
	size_t bad = 0, i;
	int64_t id;

	st = open_store("many.db");
	for (i = 0; i < 10000; i++) {
		snprintf(title, sizeof title, "Room %zu", i);
		/* a few duplicates too */
		put_chat(st, 1000 + (int64_t)i * 7, LOCO_CHAT_MULTI,
		    i % 1000 == 999 ? "Room 0" : title);
	}
	store_flush(st);
	w = bridge_world_new(st, OWN, "me", false);
	if (!ok(w != NULL, "10,000 chats load")) {
		store_close(st);
		return;
	}
	is_uint(bridge_world_count_chats(w), ==, 10000);
	for (i = 0; i < 10000; i++) {
		id = 1000 + (int64_t)i * 7;
		c = bridge_world_chat(w, id);
		if (c == NULL || c->index != i ||
		    bridge_world_chat_at(w, i) != c)
			bad++;
		else if (i % 1000 != 999) {
			snprintf(title, sizeof title, "#ROOM_%zu", i);
			if (target(w, title) != c)
				bad++;
		} else if (target(w, c->name) != c ||
		    strncmp(c->name, "#Room_0_", 8) != 0)
			bad++;
		if (bridge_world_chat(w, id + 1) != NULL)
			bad++;
	}
	is_uint(bad, ==, 0);
	ok(bridge_world_persist(w) == 0, "persist 10,000 names");
	store_flush(st);
	bridge_world_free(w);
	w = bridge_world_new(st, OWN, "me", false);
	if (ok(w != NULL, "10,000 chats reload")) {
		is_str(bridge_world_chat(w, 1000 + 999 * 7)->name, "#Room_0_2");
		is_str(bridge_world_chat(w, 1000 + 9999 * 7)->name,
		    "#Room_0_11");
		bridge_world_free(w);
	}
	store_close(st);
}

int
main(void)
{
	struct store *st;

	tap_init(300);
	ok(bridge_world_new(NULL, OWN, "me", false) == NULL, "no store");
	st = open_store("main.db");
	seed(st);
	test_load(st);
	test_reopen(st);
	test_update(st);
	test_rename(st);
	test_members(st);
	store_close(st);
	test_hangul();
	test_many();
	return done_testing();
}
