/* locoirc: see LICENSE.
 *
 * The chatLog object, LOCO's one message record (LOCO.md 2.1), and the JSON
 * strings it carries: the attachment of media/reply/mention messages and
 * the body of feed (type 0) messages. Used by MSG, WRITE, SYNCMSG, NEWMEM,
 * DELMEM, SYNCDLMSG, COMPLETE and the chat list.
 */
#ifndef LOCOIRC_PROTOCOL_LOCO_CHATLOG_H
#define LOCOIRC_PROTOCOL_LOCO_CHATLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bson/bson.h>

#include "loco-error.h"

/* One message. Strings are owned, NUL-terminated, valid UTF-8 (repaired),
 * and NULL when the key was absent. */
struct loco_chatlog {
	int64_t log_id;
	int64_t prev_id; /* 0 for the first message of a chat */
	int64_t chat_id;
	int64_t author_id;
	int32_t type;     /* loco-msgtype.h; bit 14 set = deleted */
	int32_t send_at;  /* Unix seconds */
	int64_t msg_id;   /* sender's client message id, 0 if absent */
	char *message;    /* owned; text, or feed JSON for type 0 */
	char *attachment; /* owned; JSON text, may be "" or "{}" */
	char *supplement; /* owned; JSON, Plus chats only */
	int32_t referer;  /* Plus chats: 1 Kakao i, 2 bot; 0 if absent */
};

/*
 * Decode doc as a chatLog. logId, chatId, authorId and type are required;
 * every other key is optional. Ids may be int32/int64/double. On failure
 * returns -1 and *out holds nothing that needs releasing.
 */
int loco_chatlog_decode(const bson_t *doc, struct loco_chatlog *out,
    struct loco_error *err);

/* Append cl's keys to out (initialised by the caller); ids as int64. */
void loco_chatlog_encode(const struct loco_chatlog *cl, bson_t *out);

/* Append cl as a sub-document named key. */
void loco_chatlog_append(bson_t *out, const char *key,
    const struct loco_chatlog *cl);

/* Deep copy src into dst. */
void loco_chatlog_copy(struct loco_chatlog *dst,
    const struct loco_chatlog *src);

/* Free cl's strings and zero it; the struct itself is the caller's. */
void loco_chatlog_release(struct loco_chatlog *cl);

/*
 * Decode doc as a chatLog like loco_chatlog_decode, naming it what in error
 * messages (e.g. "MSG.chatLog").
 */
int loco_chatlog_decode_named(const bson_t *doc, const char *what,
    struct loco_chatlog *out, struct loco_error *err);

/*
 * Decode the chatLog sub-document doc[key] into out when it is present;
 * *has tells whether it was (out is untouched when not). A non-document
 * or a bad chatLog fails, naming what.key; out then needs no release.
 */
int loco_chatlog_decode_opt(const bson_t *doc, const char *what,
    const char *key, bool *has, struct loco_chatlog *out,
    struct loco_error *err);

/*
 * The same for a required chatLog: an absent doc[key] fails too
 * (LOCO_ERR_MISSING). On failure out needs no release.
 */
int loco_chatlog_decode_need(const bson_t *doc, const char *what,
    const char *key, struct loco_chatlog *out, struct loco_error *err);

/*
 * Decode the array doc[key] of chatLogs into a malloc'd counted array
 * (*out NULL and *n 0 when the array is empty, absent or null). Elements
 * must all be valid chatLogs: the first bad one fails the call with
 * LOCO_ERR_TYPE or LOCO_ERR_MISSING, naming what, key and its index; on
 * failure *out and *n are untouched and nothing needs releasing.
 */
int loco_chatlog_decode_array(const bson_t *doc, const char *what,
    const char *key, struct loco_chatlog **out, size_t *n,
    struct loco_error *err);

/* Append v[0..n) as an array of sub-documents named key. */
void loco_chatlog_append_array(bson_t *out, const char *key,
    const struct loco_chatlog *v, size_t n);

/* Release every element of v[0..n) and free v; NULL is a no-op. */
void loco_chatlog_array_free(struct loco_chatlog *v, size_t n);

/*
 * The JSON strings inside a chatLog. LOCO.md 2.15: the JSON may hold
 * integers above 2^53 (user and log ids); libbson's JSON reader keeps them
 * as int64, and everything below reads them through int64.
 */

/*
 * Parse json (an attachment, an `extra`, or a feed `message`) into out.
 * NULL, "" and "null" (surrounding blanks allowed) give an empty document.
 * Anything but one JSON object fails with LOCO_ERR_MALFORMED. On success
 * and failure alike out is initialised: the caller calls bson_destroy(out)
 * exactly once (harmless on the failure path, where it is empty).
 */
int loco_attachment_parse(const char *json, bson_t *out,
    struct loco_error *err);

/*
 * Render doc as JSON text (libbson relaxed extended JSON: int64 come out as
 * plain numbers). Returns a malloc'd string the caller frees, or NULL when
 * doc holds invalid UTF-8 (the encoders below repair strings first).
 */
char *loco_json_from_bson(const bson_t *doc);

/* One @mention in a message (LOCO.md 2.15 `mentions[]`). */
struct loco_mention {
	int64_t user_id; /* `user_id` */
	int32_t *at;     /* owned; 1-based occurrence indexes of the @nick */
	size_t n_at;
	int32_t len; /* length of the nickname after the '@' */
};

/*
 * The common keys of an attachment (LOCO.md 2.15). Every field is optional:
 * strings NULL and numbers 0 when absent. Reading is best-effort: a key of
 * an unexpected JSON type is treated as absent, since attachments come from
 * many client generations; integers may also arrive as decimal strings.
 */
struct loco_attachment {
	char *url;           /* owned; ready download URL */
	char *k;             /* owned; media key (`k`, or `tk` for video) */
	int64_t size;        /* `s`, or `size` on files (LOCO.md 2.15) */
	char *name;          /* owned; file name */
	int32_t w;           /* width in pixels */
	int32_t h;           /* height in pixels */
	char *thumbnail_url; /* owned; `thumbnailUrl` */
	int64_t src_log_id;  /* reply (26): `src_logId` of the quoted message */
	int64_t src_user_id; /* reply: `src_userId`, its author */
	char *src_message;   /* owned; reply: `src_message`, its text */
	int32_t src_type;    /* reply: `src_type`, its message type */
	struct loco_mention *mentions; /* owned; `mentions[]` */
	size_t n_mentions;
	char
	    *path; /* owned; long text: full text at dn-m.talk.kakao.com/path */
	bool sd;   /* long text: the message text was cut */
};

/*
 * Read the common keys of an already parsed attachment doc into out (which
 * is overwritten). Cannot fail; release out afterwards.
 */
void loco_attachment_from_bson(const bson_t *doc, struct loco_attachment *out);

/*
 * Parse json (see loco_attachment_parse) and read it into out. Fails only
 * when json is not a JSON object (LOCO_ERR_MALFORMED); on -1 *out is zeroed
 * and needs no release.
 */
int loco_attachment_decode(const char *json, struct loco_attachment *out,
    struct loco_error *err);

/*
 * Append in's set fields (non-NULL strings, non-zero numbers, true flags)
 * to out in the order url, k, s, name, w, h, thumbnailUrl, src_logId,
 * src_userId, src_message, src_type, mentions, path, sd. Strings are
 * UTF-8-repaired; ids are int64.
 */
void loco_attachment_to_bson(const struct loco_attachment *in, bson_t *out);

/* in as JSON text (see loco_attachment_to_bson); malloc'd, never NULL. */
char *loco_attachment_encode(const struct loco_attachment *in);

/* Free a's members and zero it. */
void loco_attachment_release(struct loco_attachment *a);

/* A user named in a feed: `{userId, nickName}`. */
struct loco_feed_member {
	int64_t user_id;
	char *nickname; /* owned; `nickName`, NULL when absent */
};

/*
 * The JSON `message` of a feed chatLog (type 0; LOCO.md 2.14). Only the
 * keys locoirc acts on are kept.
 */
struct loco_feed {
	int32_t feed_type; /* enum loco_feed_type (loco-msgtype.h) */
	int64_t log_id;    /* delete-to-all (14): the deleted message */
	bool hidden;       /* delete-to-all: shown as hidden (DM deletes) */
	struct loco_feed_member *members; /* owned; invite (1), join (4) */
	size_t n_members;
	bool has_member;                 /* `member` present */
	struct loco_feed_member member;  /* leave, kick, manager, rewrite */
	bool has_inviter;                /* `inviter` present */
	struct loco_feed_member inviter; /* invite (1) */
};

/*
 * Decode the feed JSON json. `feedType` is required (LOCO_ERR_MISSING);
 * `members[]` entries, `member` and `inviter` must be objects with a
 * `userId`. Integers may be JSON numbers or decimal strings. Bad JSON is
 * LOCO_ERR_MALFORMED, wrong types LOCO_ERR_TYPE. On -1 *out is zeroed and
 * needs no release.
 */
int loco_feed_decode(const char *json, struct loco_feed *out,
    struct loco_error *err);

/*
 * Render in as feed JSON text, keys in the order feedType, logId, hidden,
 * inviter, members, member. logId and hidden are written for feed 14 and
 * otherwise only when set; members when non-empty or for feeds 1 and 4;
 * member and inviter when their has_ flag is set. Returns a malloc'd
 * string, never NULL.
 */
char *loco_feed_encode(const struct loco_feed *in);

/* Free f's members and zero it. */
void loco_feed_release(struct loco_feed *f);

/* for the fuzz target */
/*
 * Run every decoder of this module on doc (as a chatLog, as an array of
 * chatLogs under "chatLogs", and every top-level string as attachment and
 * feed JSON) and release what succeeded.
 */
void loco_chatlog_fuzz_decode_all(const bson_t *doc);

#endif
