/* locoirc: see LICENSE.
 *
 * The store: every piece of state locoircd keeps, in one SQLite database
 * (WAL, schema versioned with migrations): login state, chats, users,
 * members, messages with per-chat cursors, reactions and read marks.
 * Writes are batched into one transaction per burst so thousands of
 * messages do not cost thousands of fsyncs; a message and its chat's
 * cursor always commit together, so a crash at any moment loses nothing
 * the server still has and duplicates nothing.
 */
#ifndef LOCOIRC_GATEWAY_STORE_H
#define LOCOIRC_GATEWAY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loco-chat.h"
#include "loco-chatlog.h"
#include "loco-engine.h"

struct event_base;
struct store;

/* The schema version this build writes; older databases are migrated. */
#define STORE_SCHEMA_VERSION 3

/* A batch commits early once it holds this many writes, so one huge burst
 * cannot grow the WAL or the transaction without bound. */
#define STORE_BATCH_MAX 1000

/* A stored message, as store_foreach_message hands it out (borrowed). */
struct store_message {
	int64_t chat_id;
	int64_t log_id;
	int64_t prev_id;
	int64_t author_id;
	int32_t type;
	int64_t send_at;
	int64_t msg_id;
	const char *text;
	const char *attachment;
	bool deleted;
};

/* A stored chat (borrowed for the callback). */
struct store_chat {
	int64_t chat_id;
	const char *type;   /* LOCO string: MultiChat, DirectChat, ... */
	const char *title;  /* NULL when unset */
	const char *notice; /* NULL when unset */
	int64_t link_id;
	int32_t active_members;
	int64_t cursor;         /* highest stored log id */
	int64_t last_log_id;    /* newest the server reported */
	int64_t read_watermark; /* this account's read mark */
	bool gone;              /* the account left or lost it */
};

/* A member of a chat (borrowed for the callback). */
struct store_member {
	int64_t chat_id;
	int64_t user_id;
	const char
	    *nickname; /* the chat's nickname, else the user's; or NULL */
};

/* Counters since store_open, for status displays and tests. */
struct store_stats {
	uint64_t commits;        /* transactions committed */
	uint64_t failed;         /* batches lost to a failed write or commit */
	uint64_t messages_added; /* store_add_message calls that stored */
	uint64_t messages_ignored; /* ... that were duplicates or old */
};

/*
 * Open (creating if needed) the database at path, migrating its schema.
 * base is borrowed and runs the commit timer; with base NULL nothing
 * commits until store_flush (or a full batch), which suits tools. A new
 * file is created mode 0600 (it holds private messages). Returns NULL
 * after logging why (unreadable file, newer schema, corrupt database).
 */
struct store *store_open(struct event_base *base, const char *path);

/* Commit what is pending and close; NULL is a no-op. The commit callback
 * does not run from here. */
void store_close(struct store *st);

/* Commit the open transaction now (also done from the event loop after
 * every burst). Returns 0 or -1 after logging. */
int store_flush(struct store *st);

/*
 * Called after each successful commit (e.g. to fan out what is durable).
 * It runs once per burst, from the commit timer or store_flush, never from
 * inside a write call: a batch that commits early because it is full is
 * reported with the commit that ends the burst. The callback may read and
 * write the store (a write starts the next batch).
 */
typedef void (*store_commit_cb)(struct store *st, void *arg);
void store_set_commit_cb(struct store *st, store_commit_cb cb, void *arg);

/*
 * Called once when a write or commit lost the open batch (disk full, I/O
 * error). From then on every write fails: later messages must not move a
 * cursor past the lost ones. The owner restarts from store_get_cursors of a
 * reopened store, and the engine fetches the lost messages again.
 */
typedef void (*store_fail_cb)(struct store *st, void *arg);
void store_set_fail_cb(struct store *st, store_fail_cb cb, void *arg);

/*
 * Every write below joins the open batch (opening one if needed) and
 * returns 0, or -1 after logging. Strings are borrowed and stored as UTF-8
 * text. A write or commit that fails may roll back the whole open batch,
 * which breaks the store (see store_set_fail_cb). Nothing is half-stored:
 * cursors roll back with their messages, so the engine fetches them again
 * on restart.
 * Reads return 0 or -1 after logging, and see uncommitted writes; the
 * callbacks of the foreach walks may read the store but must not write.
 */

/* Login state: zeros when none was saved. */
int store_get_login_state(struct store *st, struct loco_login_state *out);
int store_set_login_state(struct store *st, const struct loco_login_state *ls);

/*
 * Every chat's cursor, for loco_engine_new; *out is malloc'd (NULL when
 * there are none). Chats that are gone are included: their cursor is what
 * the store holds, and if the account joins again the engine must resume
 * above it rather than hand over messages the store already has. On
 * failure *out is NULL and *n 0.
 */
int store_get_cursors(struct store *st, struct loco_cursor **out, size_t *n);

/*
 * Chats. store_put_chat inserts or updates c and clears its gone mark; a
 * NULL title or notice, an unknown type or a zero link id keeps what is
 * stored (the engine learns titles later than chats), and last_log_id and
 * the read watermark only move forward. The icon users are recorded as
 * users with their nicknames. store_foreach_chat includes gone chats,
 * ascending by id.
 */
int store_put_chat(struct store *st, const struct loco_engine_chat *c);
int store_chat_gone(struct store *st, int64_t chat_id);
typedef void (*store_chat_cb)(const struct store_chat *c, void *arg);
int store_foreach_chat(struct store *st, store_chat_cb cb, void *arg);

/* Members (users are upserted from the member records; a NULL field never
 * overwrites a known one, and a user's nickname is the latest seen in any
 * chat, while each membership keeps the chat's own nickname). */
int store_set_members(struct store *st, int64_t chat_id,
    const struct loco_member *m, size_t n);
int store_add_member(struct store *st, int64_t chat_id, int64_t user_id,
    const char *nickname);
int store_remove_member(struct store *st, int64_t chat_id, int64_t user_id);
/* A user's nickname, malloc'd, or NULL when unknown. */
char *store_get_nickname(struct store *st, int64_t user_id);
/* The members of chat_id, ascending by user id. */
typedef void (*store_member_cb)(const struct store_member *m, void *arg);
int store_foreach_member(struct store *st, int64_t chat_id, store_member_cb cb,
    void *arg);

/*
 * Add a message and move its chat's cursor to it, in the same
 * transaction. A message at or below the cursor, or already stored, is
 * ignored (returns 0): duplicates are dropped by log id. A chat not seen
 * before is created. A type with LOCO_MSGTYPE_DELETED_BIT is stored
 * deleted. cl->supplement and cl->referer are not kept.
 */
int store_add_message(struct store *st, const struct loco_chatlog *cl);
/* Mark a stored message deleted (no-op when it is not stored). */
int store_mark_deleted(struct store *st, int64_t chat_id, int64_t log_id);
/* One reaction per user and message; a new type replaces the old. */
int store_add_reaction(struct store *st, int64_t chat_id, int64_t log_id,
    int64_t user_id, int32_t type);
/* user_id's read mark in chat_id; it only moves forward. */
int store_set_read(struct store *st, int64_t chat_id, int64_t user_id,
    int64_t watermark);
/* user_id's read mark in chat_id: 1 with *watermark, 0 when none (then
 * *watermark is 0), -1 on error. */
int store_get_read(struct store *st, int64_t chat_id, int64_t user_id,
    int64_t *watermark);

/* Messages of chat_id with log id above after, ascending, at most limit
 * (0 = all). The callback may stop the walk by returning false. */
typedef bool (*store_message_cb)(const struct store_message *m, void *arg);
int store_foreach_message(struct store *st, int64_t chat_id, int64_t after,
    size_t limit, store_message_cb cb, void *arg);
/* Number of messages stored for chat_id (0 = all chats); -1 on error. */
int64_t store_count_messages(struct store *st, int64_t chat_id);

/*
 * Schema 2: what the IRC side keeps.
 */

/* The IRC name of a user (kind 0) or chat (kind 1), as bridge-names gave
 * it; the same kinds as enum bridge_names_kind. */
#define STORE_NAME_USER 0
#define STORE_NAME_CHAT 1
/* Insert or replace the name of (kind, id); an unknown kind or a NULL name
 * is refused (-1). */
int store_put_name(struct store *st, int kind, int64_t id, const char *name);
/* Every stored name, ascending by kind then id; name is borrowed for the
 * callback. */
typedef void (
    *store_name_cb)(int kind, int64_t id, const char *name, void *arg);
int store_foreach_name(struct store *st, store_name_cb cb, void *arg);

/*
 * Delivery cursors per IRC client name (the @client part of the login, ""
 * for none): the highest log id of chat_id that client acknowledged. A
 * set only ever moves a cursor forward. A client name with no row at all
 * has never attached (store_has_client).
 */
int store_set_client_cursor(struct store *st, const char *client,
    int64_t chat_id, int64_t log_id);
typedef void (
    *store_client_cursor_cb)(int64_t chat_id, int64_t log_id, void *arg);
int store_foreach_client_cursor(struct store *st, const char *client,
    store_client_cursor_cb cb, void *arg);
/* 1 when client has any cursor row, 0 when none, -1 on error. A NULL
 * client is refused (-1) by all three. */
int store_has_client(struct store *st, const char *client);

/* One message: 1 and cb called once when stored, 0 when not, -1 error.
 * cb may be NULL to only ask whether it is stored; its return value is
 * ignored, and it may call store_get_message again. */
int store_get_message(struct store *st, int64_t chat_id, int64_t log_id,
    store_message_cb cb, void *arg);
/* The newest limit messages of chat_id, handed out ascending (none when
 * limit is 0); the callback may stop the walk by returning false. */
int store_foreach_message_tail(struct store *st, int64_t chat_id, size_t limit,
    store_message_cb cb, void *arg);

/* A user as stored (borrowed for the callback). */
struct store_user {
	int64_t user_id;
	const char *nickname;          /* or NULL */
	const char *status_message;    /* or NULL */
	const char *profile_image_url; /* or NULL */
};
/* Every known user, ascending by id. */
typedef void (*store_user_cb)(const struct store_user *u, void *arg);
int store_foreach_user(struct store *st, store_user_cb cb, void *arg);

/* Small settings of the gateway (key/value text). *value malloc'd, NULL
 * when unset (and on error). A set replaces the old value; a NULL key or
 * value is refused (-1). */
int store_get_setting(struct store *st, const char *key, char **value);
int store_set_setting(struct store *st, const char *key, const char *value);

/*
 * Schema 3: read markers (draft/read-marker). Per chat, the time in
 * milliseconds since the epoch (UTC) up to which the account has read, as
 * a client set it: kept exactly, since a client expects its value back.
 */
/* Move chat_id's marker to ts_ms if that is later: 1 when it moved, 0 when
 * it was already there or later, -1 on error. A write like the others (it
 * joins the open batch); chat_id needs no chat row. */
int store_set_read_marker(struct store *st, int64_t chat_id, int64_t ts_ms);
/* 1 with *ts_ms set, 0 when chat_id has no marker, -1 on error. */
int store_get_read_marker(struct store *st, int64_t chat_id, int64_t *ts_ms);

/*
 * Looking messages up by time (sendAt is in seconds; several messages may
 * share one). *log_id gets the highest log id of chat_id whose send_at is
 * <= send_at, or 0 when there is none; returns 0, or -1 on error.
 */
int store_find_log_at(struct store *st, int64_t chat_id, int64_t send_at,
    int64_t *log_id);

/*
 * History walks for CHATHISTORY: the newest limit (> 0) messages of
 * chat_id with log id below before (INT64_MAX: the newest), handed out
 * ascending; deleted ones included (m->deleted). Limit 0 hands out
 * nothing. The callback may stop the walk by returning false, and may run
 * any walk (this one included) from inside.
 */
int store_foreach_message_before(struct store *st, int64_t chat_id,
    int64_t before, size_t limit, store_message_cb cb, void *arg);

/* Copy the counters into *out. */
void store_get_stats(const struct store *st, struct store_stats *out);

#endif
