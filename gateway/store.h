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
#define STORE_SCHEMA_VERSION 1

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
	int64_t cursor;         /* highest stored log id */
	int64_t last_log_id;    /* newest the server reported */
	int64_t read_watermark; /* this account's read mark */
	bool gone;              /* the account left or lost it */
};

/*
 * Open (creating if needed) the database at path, migrating its schema.
 * base is borrowed and runs the commit timer. Returns NULL after logging
 * why (unreadable file, newer schema, corrupt database).
 */
struct store *store_open(struct event_base *base, const char *path);

/* Commit what is pending and close; NULL is a no-op. */
void store_close(struct store *st);

/* Commit the open transaction now (also done from the event loop after
 * every burst). Returns 0 or -1 after logging. */
int store_flush(struct store *st);

/* Called after each successful commit (e.g. to fan out what is durable). */
typedef void (*store_commit_cb)(struct store *st, void *arg);
void store_set_commit_cb(struct store *st, store_commit_cb cb, void *arg);

/* Login state: zeros when none was saved. */
int store_get_login_state(struct store *st, struct loco_login_state *out);
int store_set_login_state(struct store *st, const struct loco_login_state *ls);

/* Every chat's cursor, for loco_engine_new; *out is malloc'd. */
int store_get_cursors(struct store *st, struct loco_cursor **out, size_t *n);

/* Chats. */
int store_put_chat(struct store *st, const struct loco_engine_chat *c);
int store_chat_gone(struct store *st, int64_t chat_id);
typedef void (*store_chat_cb)(const struct store_chat *c, void *arg);
int store_foreach_chat(struct store *st, store_chat_cb cb, void *arg);

/* Members (users are upserted from the member records). */
int store_set_members(struct store *st, int64_t chat_id,
    const struct loco_member *m, size_t n);
int store_add_member(struct store *st, int64_t chat_id, int64_t user_id,
    const char *nickname);
int store_remove_member(struct store *st, int64_t chat_id, int64_t user_id);
/* A user's nickname, malloc'd, or NULL when unknown. */
char *store_get_nickname(struct store *st, int64_t user_id);

/*
 * Add a message and move its chat's cursor to it, in the same
 * transaction. A message at or below the cursor, or already stored, is
 * ignored (returns 0): duplicates are dropped by log id.
 */
int store_add_message(struct store *st, const struct loco_chatlog *cl);
int store_mark_deleted(struct store *st, int64_t chat_id, int64_t log_id);
int store_add_reaction(struct store *st, int64_t chat_id, int64_t log_id,
    int64_t user_id, int32_t type);
int store_set_read(struct store *st, int64_t chat_id, int64_t user_id,
    int64_t watermark);

/* Messages of chat_id with log id above after, ascending, at most limit
 * (0 = all). The callback may stop the walk by returning false. */
typedef bool (*store_message_cb)(const struct store_message *m, void *arg);
int store_foreach_message(struct store *st, int64_t chat_id, int64_t after,
    size_t limit, store_message_cb cb, void *arg);
/* Number of messages stored for chat_id (0 = all chats). */
int64_t store_count_messages(struct store *st, int64_t chat_id);

#endif
