/* locoirc: see LICENSE.
 *
 * locosim's world: accounts, users, chats with members and metas, and each
 * chat's message log with increasing log ids. Pure data and rules, no I/O
 * but loading and saving the JSON world file; the server and the control
 * interface both change the world only through these functions.
 */
#ifndef LOCOIRC_TESTS_LOCOSIM_WORLD_H
#define LOCOIRC_TESTS_LOCOSIM_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loco-chatlog.h"
#include "loco-error.h"

/* The first log id handed out: large, so int64 precision is exercised. */
#define LOCOSIM_LOG_ID_BASE INT64_C(3791234519888541698)
/* How far apart consecutive log ids are (real ones are sparse too). */
#define LOCOSIM_LOG_ID_STEP 4096

struct locosim_user {
	int64_t id;
	char *nickname;          /* owned, UTF-8 */
	char *country_iso;       /* owned */
	char *status_message;    /* owned */
	char *profile_image_url; /* owned */
};

struct locosim_account {
	int64_t user_id;
	char *access_token;    /* owned, secret */
	char *refresh_token;   /* owned, secret */
	char *device_uuid;     /* owned */
	bool token_expired;    /* LOGINLIST answers -950 while set */
	int32_t revision;      /* bumped on every chat-list change */
	int64_t last_token_id; /* chat-list change counter, for LCHATLIST */
};

struct locosim_member {
	int64_t user_id;
	int64_t watermark; /* highest log id this member has read */
};

/* One chat. Log entries ascend by log_id; prev_id links them. */
struct locosim_chat {
	int64_t id;
	char type[12];           /* LOCO string: MultiChat, DirectChat, OM... */
	char *title;             /* owned; meta type 3, NULL when unset */
	char *notice;            /* owned; meta type 1, NULL when unset */
	int32_t title_revision;  /* chatMetas revision of the title */
	int32_t notice_revision; /* chatMetas revision of the notice */
	int64_t title_author;    /* who set the title */
	int64_t notice_author;   /* who set the notice */
	int64_t link_id;         /* open chats only, else 0 */
	bool info_fails;         /* fault: CHATINFO answers -401 */
	struct locosim_member *members; /* owned array */
	size_t n_members;
	struct loco_chatlog *log; /* owned array */
	size_t n_log;
	size_t cap_log;
};

struct locosim_world {
	struct locosim_user *users; /* owned array */
	size_t n_users;
	struct locosim_account *accounts; /* owned array */
	size_t n_accounts;
	struct locosim_chat **chats; /* owned array of owned chats */
	size_t n_chats;
	int64_t last_log_id; /* every new log id is above this */
	int64_t now;         /* fixed clock for tests; 0 = real time */
};

/*
 * Parse a world from JSON text (see conf/demo-world.json for the format).
 * Messages without logId get one; prevId links are rebuilt. Every chat
 * member must be a known user and every account a user. Returns a new world
 * or NULL with err naming what is wrong.
 */
struct locosim_world *locosim_world_from_json(const char *json, size_t len,
    struct loco_error *err);

/* Read a world file; NULL with err (naming the path) on failure. */
struct locosim_world *locosim_world_load(const char *path,
    struct loco_error *err);

/* Write the world as JSON to path (atomically, via a temporary file). */
int locosim_world_save(const struct locosim_world *w, const char *path,
    struct loco_error *err);

/* The world as a JSON string; the caller frees it with bson_free. */
char *locosim_world_to_json(const struct locosim_world *w);

void locosim_world_free(struct locosim_world *w);

/* Lookups; NULL when absent. Results are borrowed from w. */
struct locosim_user *locosim_world_user(struct locosim_world *w, int64_t id);
struct locosim_account *locosim_world_account(struct locosim_world *w,
    int64_t user_id);
struct locosim_chat *locosim_world_chat(struct locosim_world *w, int64_t id);
struct locosim_member *locosim_chat_member(struct locosim_chat *c,
    int64_t user_id);
/* The log entry with log_id, or NULL. Binary search. */
struct loco_chatlog *locosim_chat_find(struct locosim_chat *c, int64_t log_id);

/* Add a user (or update its nickname when the id exists). */
struct locosim_user *locosim_world_add_user(struct locosim_world *w, int64_t id,
    const char *nickname);

/* Unix seconds of the world clock. */
int64_t locosim_world_now(const struct locosim_world *w);

/*
 * Append a message to chat c by author: assigns the next log id, links
 * prev_id, stamps send_at. text/attachment may be NULL ("" on the wire).
 * Returns the stored entry, borrowed until the chat's log next changes.
 */
struct loco_chatlog *locosim_chat_append(struct locosim_world *w,
    struct locosim_chat *c, int64_t author, int32_t type, const char *text,
    const char *attachment, int64_t msg_id);

/*
 * Delete log_id for everyone: the original keeps its id and gets type |
 * 0x4000, and a feed (type 0, feedType 14) naming it is appended. Returns
 * the feed entry, or NULL if log_id is unknown or already deleted.
 */
struct loco_chatlog *locosim_chat_delete(struct locosim_world *w,
    struct locosim_chat *c, int64_t by, int64_t log_id);

/*
 * Membership. add appends an invite feed (feedType 1) and returns it;
 * remove appends a leave feed (feedType 2). NULL when nothing changed.
 */
struct loco_chatlog *locosim_chat_add_member(struct locosim_world *w,
    struct locosim_chat *c, int64_t inviter, int64_t user_id);
struct loco_chatlog *locosim_chat_remove_member(struct locosim_world *w,
    struct locosim_chat *c, int64_t user_id);

/* Set the title (meta 3) or notice (meta 1); bumps its revision. */
void locosim_chat_set_meta(struct locosim_world *w, struct locosim_chat *c,
    int32_t meta_type, int64_t author, const char *content);

/* Create a chat of type with members (the first is the creator). */
struct locosim_chat *locosim_world_add_chat(struct locosim_world *w, int64_t id,
    const char *type, const int64_t *members, size_t n);

/* Log id of the last message, 0 for an empty chat. */
int64_t locosim_chat_last_log_id(const struct locosim_chat *c);

/*
 * SYNCMSG semantics (LOCO.md decision 6): entries with cur < logId <= max,
 * ascending, at most cnt. *first gets the index of the first, the count is
 * returned; *is_ok tells whether nothing remains after this page.
 */
size_t locosim_chat_page(const struct locosim_chat *c, int64_t cur, int64_t max,
    size_t cnt, size_t *first, bool *is_ok);

/* Whether the LOCO chat type string is one locosim knows. */
bool locosim_chat_type_is_valid(const char *type);

#endif
