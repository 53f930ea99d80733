/* locoirc: see LICENSE.
 *
 * The bridge's picture of the account as IRC sees it: every chat with its
 * IRC name (a #channel, or the peer's nick for a direct chat, or the memo
 * nick), topic and members, and every user with a nick. Loaded from the
 * store at start, kept current by the engine's events, and the only place
 * that maps IRC names back to Kakao ids. Names come from bridge-names and
 * are persisted in the store so they survive restarts and upstream
 * renames. No I/O besides the store.
 */
#ifndef LOCOIRC_GATEWAY_BRIDGE_WORLD_H
#define LOCOIRC_GATEWAY_BRIDGE_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loco-chat.h"
#include "loco-engine.h"
#include "store.h"

struct bridge_world;

/* A user; owned by the world, pointers stable until bridge_world_free. */
struct bridge_user {
	int64_t id;
	char *kakao_nick; /* latest profile name, or NULL */
	const char *nick; /* IRC nick (borrowed from the registry) */
};

/* A chat; owned by the world, pointers stable until bridge_world_free. */
struct bridge_chat {
	int64_t id;
	size_t index; /* 0..count-1, stable: never reused */
	enum loco_chat_type type;
	char *title;      /* meta 3 or NULL */
	char *notice;     /* meta 1 or NULL: the topic */
	int64_t peer_id;  /* direct chats: the other member; else 0 */
	const char *name; /* "#channel", the peer's nick, or the memo nick
	                     (borrowed from the registry or the peer);
	                     "*unknown" for a direct chat whose peer is not
	                     known yet */
	bool query;       /* direct or memo chat: a query, not a channel */
	int64_t *members; /* user ids, ascending, the account included */
	size_t n_members;
	int64_t cursor;       /* highest stored log id */
	int64_t last_send_at; /* sendAt of the newest stored message, or 0 */
	bool gone;            /* the account left: not shown */
};

/* What bridge_world_update_chat changed, so the bridge tells clients. */
enum bridge_world_change {
	BRIDGE_WORLD_NEW = 1 << 0,     /* the chat was not known */
	BRIDGE_WORLD_TOPIC = 1 << 1,   /* notice changed */
	BRIDGE_WORLD_TITLE = 1 << 2,   /* title changed (name stays) */
	BRIDGE_WORLD_BACK = 1 << 3,    /* it was gone and came back */
	BRIDGE_WORLD_MEMBERS = 1 << 4, /* member set changed (for the
	                                  bridge's own use: update_chat never
	                                  sets it) */
};

/*
 * Load the world from st (borrowed; must outlive the world): chats that
 * are not gone, their members, users, persisted names. own_id's nick is
 * own_nick; ascii picks romanised nicks. NULL after logging on a store
 * error.
 */
struct bridge_world *bridge_world_new(struct store *st, int64_t own_id,
    const char *own_nick, bool ascii);
void bridge_world_free(struct bridge_world *w);

/* The account's own id and nick (borrowed). */
int64_t bridge_world_own_id(const struct bridge_world *w);
const char *bridge_world_own_nick(const struct bridge_world *w);

/* Users known (members, authors, the account). */
size_t bridge_world_count_users(const struct bridge_world *w);

/* Chats by index (including gone ones: check ->gone), by id. */
size_t bridge_world_count_chats(const struct bridge_world *w);
struct bridge_chat *bridge_world_chat_at(struct bridge_world *w, size_t i);
struct bridge_chat *bridge_world_chat(struct bridge_world *w, int64_t id);

/*
 * The chat an IRC target names (CASEMAPPING=ascii): a #channel, a peer's
 * nick (its direct chat; a DirectChat before an open 1:1), or the memo
 * nick. NULL when none or gone.
 */
struct bridge_chat *bridge_world_find_target(struct bridge_world *w,
    const char *target);

/* The user with id, created (with a fallback nick) when unknown. */
struct bridge_user *bridge_world_user(struct bridge_world *w, int64_t id);
/* The user whose nick is nick (casemapped), or NULL. */
struct bridge_user *bridge_world_find_nick(struct bridge_world *w,
    const char *nick);

/*
 * The engine reported a chat (new or changed): returns enum
 * bridge_world_change flags. A new group chat's channel name comes from its
 * title, else from its members' nicknames (c->icon_nicknames).
 */
unsigned bridge_world_update_chat(struct bridge_world *w,
    const struct loco_engine_chat *c);
/* The account left chat_id; true when it was shown. */
bool bridge_world_chat_gone(struct bridge_world *w, int64_t chat_id);

/*
 * Members: the full list (returns true when the set changed), one joined
 * (true when it was not a member), one left (true when it was a member).
 * Unknown users are created from the given nicknames and a user without a
 * profile name learns it, but no nick changes here: a new profile name of
 * a known user goes through bridge_world_rename_user. A direct chat takes
 * its peer from the members. An unknown chat_id changes nothing (false).
 */
bool bridge_world_set_members(struct bridge_world *w, int64_t chat_id,
    const struct loco_member *m, size_t n);
bool bridge_world_add_member(struct bridge_world *w, int64_t chat_id,
    int64_t user_id, const char *kakao_nick);
bool bridge_world_remove_member(struct bridge_world *w, int64_t chat_id,
    int64_t user_id);
bool bridge_world_is_member(const struct bridge_world *w,
    const struct bridge_chat *c, int64_t user_id);

/*
 * A user's profile name changed: when this changes the IRC nick, *old_nick
 * gets a malloc'd copy of the old one (the caller sends NICK and frees it;
 * old_nick may be NULL) and true is returned; the user's direct chats
 * follow the new nick. A user the world did not hold yet is created and
 * false returned (no client saw a nick); the account's nick never
 * changes; a NULL kakao_nick changes nothing.
 */
bool bridge_world_rename_user(struct bridge_world *w, int64_t user_id,
    const char *kakao_nick, char **old_nick);

/*
 * Rename a group chat's channel on purpose (the service's rename): wanted
 * (with or without its '#') is sanitised; returns 0 with *old_name
 * malloc'd, or -1 with why (static text) when the chat is unknown or a
 * query, or the name is empty or taken (gone chats keep theirs).
 */
int bridge_world_rename_chat(struct bridge_world *w, int64_t chat_id,
    const char *wanted, char **old_name, const char **why);

/* A message was stored: move the chat's cursor and last_send_at. */
void bridge_world_note_message(struct bridge_world *w, int64_t chat_id,
    int64_t log_id, int64_t send_at);

/* Write the names handed out since the last call to the store (joins the
 * open batch). -1 after logging. */
int bridge_world_persist(struct bridge_world *w);

#endif
