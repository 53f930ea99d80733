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
	int64_t prev_id;   /* 0 for the first message of a chat */
	int64_t chat_id;
	int64_t author_id;
	int32_t type;      /* loco-msgtype.h; bit 14 set = deleted */
	int32_t send_at;   /* Unix seconds */
	int64_t msg_id;    /* sender's client message id, 0 if absent */
	char *message;     /* owned; text, or feed JSON for type 0 */
	char *attachment;  /* owned; JSON text, may be "" or "{}" */
	char *supplement;  /* owned; JSON, Plus chats only */
	int32_t referer;   /* Plus chats: 1 Kakao i, 2 bot; 0 if absent */
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
void loco_chatlog_copy(struct loco_chatlog *dst, const struct loco_chatlog *src);

/* Free cl's strings and zero it; the struct itself is the caller's. */
void loco_chatlog_release(struct loco_chatlog *cl);

#endif
