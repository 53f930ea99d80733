/* locoirc: see LICENSE.
 *
 * Typed codecs for the message bodies of LOCO (LOCO.md 2.2-2.5, 2.12):
 * sending (WRITE, FORWARD), receiving (MSG), history (SYNCMSG, MCHATLOGS),
 * read marks (NOTIREAD, DECUNREAD), deletion and reactions (DELETEMSG,
 * SYNCDLMSG, ACTION, SYNCACTION, SYNCREWR). Both the client engine and the
 * simulator use them, so every body decodes and encodes.
 *
 * Common contract (all loco_*_decode/encode/release below):
 * - decode: unknown keys are ignored; ids may be int32, int64 or integral
 *   doubles; strings are owned and UTF-8-repaired, NULL when absent; a
 *   missing required key fails with LOCO_ERR_MISSING, a wrong type with
 *   LOCO_ERR_TYPE, both naming the method and key. On -1 *out is zeroed and
 *   needs no release. Responses read `status` (default 0); when it is not 0
 *   no other key is required, since error answers carry only the status.
 * - encode: appends to out (bson_init'ed by the caller) in the key order
 *   documented per struct; ids int64, int32 fields int32.
 * - release: frees owned members and zeroes the struct (not the struct
 *   itself, which is the caller's).
 */
#ifndef LOCOIRC_PROTOCOL_LOCO_MSG_H
#define LOCOIRC_PROTOCOL_LOCO_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bson/bson.h>

#include "loco-chatlog.h"
#include "loco-error.h"

/*
 * WRITE request, also the FORWARD request (LOCO.md 2.2). Required: chatId.
 * Written as chatId, msgId, msg, type, noSeen, extra, then supplement when
 * non-NULL and scope when non-zero.
 */
struct loco_write_req {
	int64_t chat_id;
	int64_t msg_id;   /* client message id, echoed back; 0 if absent */
	char *msg;        /* owned; the text; written as "" when NULL */
	int32_t type;     /* loco-msgtype.h; 1 (text) when absent */
	bool no_seen;     /* disputed meaning, LOCO.md 2.2; NK sends true */
	char *extra;      /* owned; attachment JSON; written as "{}" if NULL */
	char *supplement; /* owned; JSON, Plus chats only */
	int32_t scope;    /* LW sends 1; 0 = absent */
};

int loco_write_req_decode(const bson_t *doc, struct loco_write_req *out,
    struct loco_error *err);
void loco_write_req_encode(const struct loco_write_req *in, bson_t *out);
void loco_write_req_release(struct loco_write_req *x);

/* FORWARD takes exactly the WRITE body; only error messages differ. */
int loco_forward_req_decode(const bson_t *doc, struct loco_write_req *out,
    struct loco_error *err);
void loco_forward_req_encode(const struct loco_write_req *in, bson_t *out);
void loco_forward_req_release(struct loco_write_req *x);

/*
 * WRITE response. Required when status is 0: chatId, logId. Written as
 * status, chatId, logId, prevId, msgId, sendAt, then chatLog when
 * has_chatlog.
 */
struct loco_write_res {
	int32_t status;
	int64_t chat_id;
	int64_t log_id;  /* the new message's id */
	int64_t prev_id; /* the chat's previous logId */
	int64_t msg_id;  /* our msgId, echoed */
	int32_t send_at; /* Unix seconds */
	bool has_chatlog;
	struct loco_chatlog chatlog; /* optional full record (NK builds it) */
};

int loco_write_res_decode(const bson_t *doc, struct loco_write_res *out,
    struct loco_error *err);
void loco_write_res_encode(const struct loco_write_res *in, bson_t *out);
void loco_write_res_release(struct loco_write_res *x);

/*
 * FORWARD response `{status, chatLog}`; chatLog is required when status is
 * 0. Written as status, then chatLog when has_chatlog.
 */
struct loco_forward_res {
	int32_t status;
	bool has_chatlog;
	struct loco_chatlog chatlog;
};

int loco_forward_res_decode(const bson_t *doc, struct loco_forward_res *out,
    struct loco_error *err);
void loco_forward_res_encode(const struct loco_forward_res *in, bson_t *out);
void loco_forward_res_release(struct loco_forward_res *x);

/*
 * MSG push (LOCO.md 2.3). Decision 7: the message is read from `chatLog`;
 * when that is absent it is built from top-level `authorId`, `message` (or
 * `msg`), `type`, `sendAt`, `attachment`, `msgId`, `prevId` as OpenKakao
 * reads them, and then chatId, logId and authorId are required at the top
 * level. Written as chatId, logId, chatLog, noSeen, then li and notiRead
 * when li is non-zero, then authorNickname when non-NULL, then copies of
 * the chatLog's authorId, type, message (as "msg") and attachment for
 * readers of the top level such as OpenKakao's watch; when chatLog is
 * present those copies are not read back.
 */
struct loco_msg_push {
	int64_t chat_id; /* top-level, else chatLog's */
	int64_t log_id;  /* top-level, else chatLog's */
	struct loco_chatlog chatlog;
	bool no_seen;
	int64_t li;            /* open chats: open link id; 0 otherwise */
	char *author_nickname; /* owned; open chats only (LOCO.md 2.1) */
	bool noti_read;        /* open chats */
};

int loco_msg_push_decode(const bson_t *doc, struct loco_msg_push *out,
    struct loco_error *err);
void loco_msg_push_encode(const struct loco_msg_push *in, bson_t *out);
void loco_msg_push_release(struct loco_msg_push *x);

/*
 * SYNCMSG request (LOCO.md 2.4, decision 6). Required: chatId, max.
 * Written as chatId, cur, cnt, max.
 */
struct loco_syncmsg_req {
	int64_t chat_id;
	int64_t cur; /* exclusive lower bound logId; 0 = from the start */
	int32_t cnt; /* page size (OK 50); 0 = server's choice */
	int64_t max; /* inclusive upper bound logId; required by servers */
};

int loco_syncmsg_req_decode(const bson_t *doc, struct loco_syncmsg_req *out,
    struct loco_error *err);
void loco_syncmsg_req_encode(const struct loco_syncmsg_req *in, bson_t *out);
void loco_syncmsg_req_release(struct loco_syncmsg_req *x);

/*
 * SYNCMSG response. Nothing but status is required (an empty last page
 * may omit chatLogs). Written as status, isOK, chatLogs, minLogId, jsi,
 * lastTokenId, then li when non-zero.
 */
struct loco_syncmsg_res {
	int32_t status;
	bool is_ok;                    /* `isOK`: no page after this one */
	struct loco_chatlog *chatlogs; /* owned; ascending logIds */
	size_t n_chatlogs;
	int64_t min_log_id;    /* oldest log the server still keeps */
	int64_t jsi;           /* same as minLogId per NK */
	int64_t last_token_id; /* `lastTokenId` */
	int64_t li;            /* open chats; 0 otherwise */
};

int loco_syncmsg_res_decode(const bson_t *doc, struct loco_syncmsg_res *out,
    struct loco_error *err);
void loco_syncmsg_res_encode(const struct loco_syncmsg_res *in, bson_t *out);
void loco_syncmsg_res_release(struct loco_syncmsg_res *x);

/*
 * MCHATLOGS request `{chatIds, sinces}` (LOCO.md 2.4): parallel arrays.
 * chatIds is required; sinces may be absent (all 0) but when present must
 * have the same length (else LOCO_ERR_RANGE). Written as chatIds, sinces.
 */
struct loco_mchatlogs_req {
	int64_t *chat_ids; /* owned; n_chats entries */
	int64_t *sinces;   /* owned; n_chats entries: last logId known */
	size_t n_chats;
};

int loco_mchatlogs_req_decode(const bson_t *doc, struct loco_mchatlogs_req *out,
    struct loco_error *err);
void loco_mchatlogs_req_encode(const struct loco_mchatlogs_req *in,
    bson_t *out);
void loco_mchatlogs_req_release(struct loco_mchatlogs_req *x);

/* MCHATLOGS response; written as status, chatLogs, eof. */
struct loco_mchatlogs_res {
	int32_t status;
	struct loco_chatlog *chatlogs; /* owned; all chats mixed */
	size_t n_chatlogs;
	bool eof; /* nothing more to fetch */
};

int loco_mchatlogs_res_decode(const bson_t *doc, struct loco_mchatlogs_res *out,
    struct loco_error *err);
void loco_mchatlogs_res_encode(const struct loco_mchatlogs_res *in,
    bson_t *out);
void loco_mchatlogs_res_release(struct loco_mchatlogs_res *x);

/* DELETEMSG request; both keys required; written as chatId, logId. */
struct loco_deletemsg_req {
	int64_t chat_id;
	int64_t log_id;
};

int loco_deletemsg_req_decode(const bson_t *doc, struct loco_deletemsg_req *out,
    struct loco_error *err);
void loco_deletemsg_req_encode(const struct loco_deletemsg_req *in,
    bson_t *out);
void loco_deletemsg_req_release(struct loco_deletemsg_req *x);

/*
 * ACTION request (reaction, LOCO.md 2.12). Required: chatId, logId.
 * Written as chatId, logId, type.
 */
struct loco_action_req {
	int64_t chat_id;
	int64_t log_id;
	int32_t type; /* 1 = like, the only one the mac profile accepts */
};

int loco_action_req_decode(const bson_t *doc, struct loco_action_req *out,
    struct loco_error *err);
void loco_action_req_encode(const struct loco_action_req *in, bson_t *out);
void loco_action_req_release(struct loco_action_req *x);

/*
 * NOTIREAD request (LOCO.md 2.5). Required: chatId, watermark. Written as
 * chatId, watermark, then li when non-zero.
 */
struct loco_notiread_req {
	int64_t chat_id;
	int64_t watermark; /* every logId <= watermark is read */
	int64_t li;        /* open chats; 0 otherwise */
};

int loco_notiread_req_decode(const bson_t *doc, struct loco_notiread_req *out,
    struct loco_error *err);
void loco_notiread_req_encode(const struct loco_notiread_req *in, bson_t *out);
void loco_notiread_req_release(struct loco_notiread_req *x);

/*
 * A response that is just `{status}` (DELETEMSG, ACTION, NOTIREAD, ...).
 * status defaults to 0 when absent.
 */
struct loco_status_res {
	int32_t status;
};

int loco_status_res_decode(const bson_t *doc, struct loco_status_res *out,
    struct loco_error *err);
void loco_status_res_encode(const struct loco_status_res *in, bson_t *out);
void loco_status_res_release(struct loco_status_res *x);

/*
 * SYNCDLMSG push (decision 7): a feed chatLog (type 0, feedType 14, the
 * deleted logId in its JSON) and, for old readers, top-level chatId and
 * logId (the deleted message). Either shape decodes: chatId comes from the
 * top level else the chatLog; the deleted logId from the feed JSON else
 * the top level; both are required from one place or the other. Written
 * as chatId, logId, then chatLog when has_chatlog.
 */
struct loco_syncdlmsg_push {
	int64_t chat_id;
	int64_t log_id; /* the DELETED message, not the feed's own logId */
	bool hidden;    /* feed `hidden` (DM deletes, LOCO.md 2.14) */
	bool has_chatlog;
	struct loco_chatlog chatlog; /* the feed message itself */
};

int loco_syncdlmsg_push_decode(const bson_t *doc,
    struct loco_syncdlmsg_push *out, struct loco_error *err);
void loco_syncdlmsg_push_encode(const struct loco_syncdlmsg_push *in,
    bson_t *out);
void loco_syncdlmsg_push_release(struct loco_syncdlmsg_push *x);

/*
 * SYNCACTION push (a reaction was added or removed; no flag tells which,
 * LOCO.md 2.12). Required: userId, chatId, logId. Written as userId,
 * chatId, type, logId.
 */
struct loco_syncaction_push {
	int64_t user_id;
	int64_t chat_id;
	int32_t type; /* as ACTION; 1 when absent */
	int64_t log_id;
};

int loco_syncaction_push_decode(const bson_t *doc,
    struct loco_syncaction_push *out, struct loco_error *err);
void loco_syncaction_push_encode(const struct loco_syncaction_push *in,
    bson_t *out);
void loco_syncaction_push_release(struct loco_syncaction_push *x);

/*
 * SYNCREWR push `{chatLog}`: a feed (feedType 13) saying an open-chat
 * message was hidden; not an edit (decision 11). chatLog is required.
 */
struct loco_syncrewr_push {
	struct loco_chatlog chatlog;
};

int loco_syncrewr_push_decode(const bson_t *doc, struct loco_syncrewr_push *out,
    struct loco_error *err);
void loco_syncrewr_push_encode(const struct loco_syncrewr_push *in,
    bson_t *out);
void loco_syncrewr_push_release(struct loco_syncrewr_push *x);

/*
 * DECUNREAD push (LOCO.md 2.5): userId has read everything up to
 * watermark. All keys required; written as chatId, userId, watermark.
 */
struct loco_decunread_push {
	int64_t chat_id;
	int64_t user_id;
	int64_t watermark;
};

int loco_decunread_push_decode(const bson_t *doc,
    struct loco_decunread_push *out, struct loco_error *err);
void loco_decunread_push_encode(const struct loco_decunread_push *in,
    bson_t *out);
void loco_decunread_push_release(struct loco_decunread_push *x);

/* for the fuzz target */
/* Run every decoder above on doc and release whatever succeeded. */
void loco_msg_fuzz_decode_all(const bson_t *doc);

#endif
