/* locoirc: see LICENSE.
 *
 * Decoders and encoders for the LOCO bodies that carry, fetch, mark and
 * delete messages (LOCO.md 2.2-2.5, 2.12). Reading is liberal (int32 ids,
 * missing optional keys, the two MSG and SYNCDLMSG shapes of decision 7);
 * writing uses the exact keys and BSON types the real peers send.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>

#include "loco-bson.h"
#include "loco-chatlog.h"
#include "loco-msg.h"
#include "loco-msgtype.h"
#include "xmalloc.h"

static int write_req_decode(const bson_t *doc, const char *what,
    struct loco_write_req *out, struct loco_error *err);
static int msg_push_flat(const bson_t *doc, struct loco_msg_push *out,
    struct loco_error *err);

/* WRITE and FORWARD share one body; what names the method in errors. */
static int
write_req_decode(const bson_t *doc, const char *what,
    struct loco_write_req *out, struct loco_error *err)
{
	memset(out, 0, sizeof *out);
	out->type = LOCO_MSG_TEXT;
	if (loco_bson_need_i64(doc, what, "chatId", &out->chat_id, err) != 0 ||
	    loco_bson_opt_i64(doc, what, "msgId", &out->msg_id, err) != 0 ||
	    loco_bson_opt_str(doc, what, "msg", &out->msg, err) != 0 ||
	    loco_bson_opt_i32(doc, what, "type", &out->type, err) != 0 ||
	    loco_bson_opt_bool(doc, what, "noSeen", &out->no_seen, err) != 0 ||
	    loco_bson_opt_str(doc, what, "extra", &out->extra, err) != 0 ||
	    loco_bson_opt_str(doc, what, "supplement", &out->supplement, err) !=
	        0 ||
	    loco_bson_opt_i32(doc, what, "scope", &out->scope, err) != 0) {
		loco_write_req_release(out);
		return -1;
	}
	return 0;
}

/* Decode a WRITE request. */
int
loco_write_req_decode(const bson_t *doc, struct loco_write_req *out,
    struct loco_error *err)
{
	return write_req_decode(doc, "WRITE", out, err);
}

/* Encode a WRITE request. */
void
loco_write_req_encode(const struct loco_write_req *in, bson_t *out)
{
	bson_append_int64(out, "chatId", -1, in->chat_id);
	bson_append_int64(out, "msgId", -1, in->msg_id);
	loco_bson_append_str(out, "msg", in->msg);
	bson_append_int32(out, "type", -1, in->type);
	bson_append_bool(out, "noSeen", -1, in->no_seen);
	/* LW always sends "{}" when there is no attachment. */
	loco_bson_append_str(out, "extra", in->extra ? in->extra : "{}");
	if (in->supplement != NULL)
		loco_bson_append_str(out, "supplement", in->supplement);
	if (in->scope != 0)
		bson_append_int32(out, "scope", -1, in->scope);
}

/* Free what a WRITE request owns. */
void
loco_write_req_release(struct loco_write_req *x)
{
	free(x->msg);
	free(x->extra);
	free(x->supplement);
	memset(x, 0, sizeof *x);
}

/* Decode a FORWARD request. */
int
loco_forward_req_decode(const bson_t *doc, struct loco_write_req *out,
    struct loco_error *err)
{
	return write_req_decode(doc, "FORWARD", out, err);
}

/* Encode a FORWARD request. */
void
loco_forward_req_encode(const struct loco_write_req *in, bson_t *out)
{
	loco_write_req_encode(in, out);
}

/* Free what a FORWARD request owns. */
void
loco_forward_req_release(struct loco_write_req *x)
{
	loco_write_req_release(x);
}

/* Decode a WRITE response. */
int
loco_write_res_decode(const bson_t *doc, struct loco_write_res *out,
    struct loco_error *err)
{
	const char *w = "WRITE";
	bool ok;

	memset(out, 0, sizeof *out);
	if (loco_bson_opt_i32(doc, w, "status", &out->status, err) != 0)
		goto fail;
	ok = out->status == 0;
	if ((ok ? loco_bson_need_i64(doc, w, "chatId", &out->chat_id, err)
	        : loco_bson_opt_i64(doc, w, "chatId", &out->chat_id, err)) !=
	        0 ||
	    (ok ? loco_bson_need_i64(doc, w, "logId", &out->log_id, err)
	        : loco_bson_opt_i64(doc, w, "logId", &out->log_id, err)) != 0 ||
	    loco_bson_opt_i64(doc, w, "prevId", &out->prev_id, err) != 0 ||
	    loco_bson_opt_i64(doc, w, "msgId", &out->msg_id, err) != 0 ||
	    loco_bson_opt_i32(doc, w, "sendAt", &out->send_at, err) != 0 ||
	    loco_chatlog_decode_opt(doc, w, "chatLog", &out->has_chatlog,
	        &out->chatlog, err) != 0)
		goto fail;
	return 0;
fail:
	loco_write_res_release(out);
	return -1;
}

/* Encode a WRITE response. */
void
loco_write_res_encode(const struct loco_write_res *in, bson_t *out)
{
	bson_append_int32(out, "status", -1, in->status);
	bson_append_int64(out, "chatId", -1, in->chat_id);
	bson_append_int64(out, "logId", -1, in->log_id);
	bson_append_int64(out, "prevId", -1, in->prev_id);
	bson_append_int64(out, "msgId", -1, in->msg_id);
	bson_append_int32(out, "sendAt", -1, in->send_at);
	if (in->has_chatlog)
		loco_chatlog_append(out, "chatLog", &in->chatlog);
}

/* Free what a WRITE response owns. */
void
loco_write_res_release(struct loco_write_res *x)
{
	loco_chatlog_release(&x->chatlog);
	memset(x, 0, sizeof *x);
}

/* Decode a FORWARD response. */
int
loco_forward_res_decode(const bson_t *doc, struct loco_forward_res *out,
    struct loco_error *err)
{
	memset(out, 0, sizeof *out);
	if (loco_bson_opt_i32(doc, "FORWARD", "status", &out->status, err) !=
	        0 ||
	    loco_chatlog_decode_opt(doc, "FORWARD", "chatLog",
	        &out->has_chatlog, &out->chatlog, err) != 0)
		goto fail;
	if (out->status == 0 && !out->has_chatlog) {
		loco_error_set(err, LOCO_ERR_MISSING, "FORWARD: missing '%s'",
		    "chatLog");
		goto fail;
	}
	return 0;
fail:
	loco_forward_res_release(out);
	return -1;
}

/* Encode a FORWARD response. */
void
loco_forward_res_encode(const struct loco_forward_res *in, bson_t *out)
{
	bson_append_int32(out, "status", -1, in->status);
	if (in->has_chatlog)
		loco_chatlog_append(out, "chatLog", &in->chatlog);
}

/* Free what a FORWARD response owns. */
void
loco_forward_res_release(struct loco_forward_res *x)
{
	loco_chatlog_release(&x->chatlog);
	memset(x, 0, sizeof *x);
}

/*
 * The OpenKakao shape of MSG: no chatLog, the message's keys at the top
 * level (decision 7). Text may be under `message` or `msg`.
 */
static int
msg_push_flat(const bson_t *doc, struct loco_msg_push *out,
    struct loco_error *err)
{
	struct loco_chatlog *cl = &out->chatlog;
	const char *w = "MSG";

	cl->type = LOCO_MSG_TEXT;
	if (loco_bson_need_i64(doc, w, "chatId", &out->chat_id, err) != 0 ||
	    loco_bson_need_i64(doc, w, "logId", &out->log_id, err) != 0 ||
	    loco_bson_need_i64(doc, w, "authorId", &cl->author_id, err) != 0 ||
	    loco_bson_opt_i32(doc, w, "type", &cl->type, err) != 0 ||
	    loco_bson_opt_str(doc, w, "msg", &cl->message, err) != 0 ||
	    loco_bson_opt_str(doc, w, "message", &cl->message, err) != 0 ||
	    loco_bson_opt_str(doc, w, "attachment", &cl->attachment, err) !=
	        0 ||
	    loco_bson_opt_i32(doc, w, "sendAt", &cl->send_at, err) != 0 ||
	    loco_bson_opt_i64(doc, w, "msgId", &cl->msg_id, err) != 0 ||
	    loco_bson_opt_i64(doc, w, "prevId", &cl->prev_id, err) != 0)
		return -1;
	cl->chat_id = out->chat_id;
	cl->log_id = out->log_id;
	return 0;
}

/* Decode a MSG push. */
int
loco_msg_push_decode(const bson_t *doc, struct loco_msg_push *out,
    struct loco_error *err)
{
	const char *w = "MSG";
	bool has;

	memset(out, 0, sizeof *out);
	if (loco_chatlog_decode_opt(doc, w, "chatLog", &has, &out->chatlog,
	        err) != 0)
		goto fail;
	if (has) {
		out->chat_id = out->chatlog.chat_id;
		out->log_id = out->chatlog.log_id;
		if (loco_bson_opt_i64(doc, w, "chatId", &out->chat_id, err) !=
		        0 ||
		    loco_bson_opt_i64(doc, w, "logId", &out->log_id, err) != 0)
			goto fail;
	} else if (msg_push_flat(doc, out, err) != 0)
		goto fail;
	if (loco_bson_opt_bool(doc, w, "noSeen", &out->no_seen, err) != 0 ||
	    loco_bson_opt_i64(doc, w, "li", &out->li, err) != 0 ||
	    loco_bson_opt_str(doc, w, "authorNickname", &out->author_nickname,
	        err) != 0 ||
	    loco_bson_opt_bool(doc, w, "notiRead", &out->noti_read, err) != 0)
		goto fail;
	return 0;
fail:
	loco_msg_push_release(out);
	return -1;
}

/* Encode a MSG push. */
void
loco_msg_push_encode(const struct loco_msg_push *in, bson_t *out)
{
	bson_append_int64(out, "chatId", -1, in->chat_id);
	bson_append_int64(out, "logId", -1, in->log_id);
	loco_chatlog_append(out, "chatLog", &in->chatlog);
	bson_append_bool(out, "noSeen", -1, in->no_seen);
	if (in->li != 0) {
		bson_append_int64(out, "li", -1, in->li);
		bson_append_bool(out, "notiRead", -1, in->noti_read);
	}
	if (in->author_nickname != NULL)
		loco_bson_append_str(out, "authorNickname",
		    in->author_nickname);
	/* OpenKakao's watch reads these at the top level (LOCO.md 2.3). */
	bson_append_int64(out, "authorId", -1, in->chatlog.author_id);
	bson_append_int32(out, "type", -1, in->chatlog.type);
	loco_bson_append_str(out, "msg", in->chatlog.message);
	loco_bson_append_str(out, "attachment", in->chatlog.attachment);
}

/* Free what a MSG push owns. */
void
loco_msg_push_release(struct loco_msg_push *x)
{
	loco_chatlog_release(&x->chatlog);
	free(x->author_nickname);
	memset(x, 0, sizeof *x);
}

/* Decode a SYNCMSG request. */
int
loco_syncmsg_req_decode(const bson_t *doc, struct loco_syncmsg_req *out,
    struct loco_error *err)
{
	const char *w = "SYNCMSG";

	memset(out, 0, sizeof *out);
	if (loco_bson_need_i64(doc, w, "chatId", &out->chat_id, err) != 0 ||
	    loco_bson_opt_i64(doc, w, "cur", &out->cur, err) != 0 ||
	    loco_bson_opt_i32(doc, w, "cnt", &out->cnt, err) != 0 ||
	    loco_bson_need_i64(doc, w, "max", &out->max, err) != 0) {
		loco_syncmsg_req_release(out);
		return -1;
	}
	return 0;
}

/* Encode a SYNCMSG request. */
void
loco_syncmsg_req_encode(const struct loco_syncmsg_req *in, bson_t *out)
{
	bson_append_int64(out, "chatId", -1, in->chat_id);
	bson_append_int64(out, "cur", -1, in->cur);
	bson_append_int32(out, "cnt", -1, in->cnt);
	bson_append_int64(out, "max", -1, in->max);
}

/* Free what a SYNCMSG request owns. */
void
loco_syncmsg_req_release(struct loco_syncmsg_req *x)
{
	memset(x, 0, sizeof *x);
}

/* Decode a SYNCMSG response. */
int
loco_syncmsg_res_decode(const bson_t *doc, struct loco_syncmsg_res *out,
    struct loco_error *err)
{
	const char *w = "SYNCMSG";

	memset(out, 0, sizeof *out);
	if (loco_bson_opt_i32(doc, w, "status", &out->status, err) != 0 ||
	    loco_bson_opt_bool(doc, w, "isOK", &out->is_ok, err) != 0 ||
	    loco_chatlog_decode_array(doc, w, "chatLogs", &out->chatlogs,
	        &out->n_chatlogs, err) != 0 ||
	    loco_bson_opt_i64(doc, w, "minLogId", &out->min_log_id, err) != 0 ||
	    loco_bson_opt_i64(doc, w, "jsi", &out->jsi, err) != 0 ||
	    loco_bson_opt_i64(doc, w, "lastTokenId", &out->last_token_id,
	        err) != 0 ||
	    loco_bson_opt_i64(doc, w, "li", &out->li, err) != 0) {
		loco_syncmsg_res_release(out);
		return -1;
	}
	return 0;
}

/* Encode a SYNCMSG response. */
void
loco_syncmsg_res_encode(const struct loco_syncmsg_res *in, bson_t *out)
{
	bson_append_int32(out, "status", -1, in->status);
	bson_append_bool(out, "isOK", -1, in->is_ok);
	loco_chatlog_append_array(out, "chatLogs", in->chatlogs,
	    in->n_chatlogs);
	bson_append_int64(out, "minLogId", -1, in->min_log_id);
	bson_append_int64(out, "jsi", -1, in->jsi);
	bson_append_int64(out, "lastTokenId", -1, in->last_token_id);
	if (in->li != 0)
		bson_append_int64(out, "li", -1, in->li);
}

/* Free what a SYNCMSG response owns. */
void
loco_syncmsg_res_release(struct loco_syncmsg_res *x)
{
	loco_chatlog_array_free(x->chatlogs, x->n_chatlogs);
	memset(x, 0, sizeof *x);
}

/* Decode a MCHATLOGS request. */
int
loco_mchatlogs_req_decode(const bson_t *doc, struct loco_mchatlogs_req *out,
    struct loco_error *err)
{
	const char *w = "MCHATLOGS";
	int64_t *sinces = NULL;
	size_t n_sinces = 0;
	int r;

	memset(out, 0, sizeof *out);
	r = loco_bson_get_i64_array(doc, "chatIds", &out->chat_ids,
	    &out->n_chats);
	if (r == 0) {
		loco_error_set(err, LOCO_ERR_MISSING, "%s: missing '%s'", w,
		    "chatIds");
		goto fail;
	}
	if (r < 0) {
		loco_error_set(err, LOCO_ERR_TYPE,
		    "%s: '%s' is not an array of integers", w, "chatIds");
		goto fail;
	}
	r = loco_bson_get_i64_array(doc, "sinces", &sinces, &n_sinces);
	if (r < 0) {
		loco_error_set(err, LOCO_ERR_TYPE,
		    "%s: '%s' is not an array of integers", w, "sinces");
		goto fail;
	}
	if (r == 1 && n_sinces != out->n_chats) {
		loco_error_set(err, LOCO_ERR_RANGE,
		    "%s: %zu 'sinces' for %zu 'chatIds'", w, n_sinces,
		    out->n_chats);
		free(sinces);
		goto fail;
	}
	if (sinces == NULL && out->n_chats > 0)
		sinces = xcalloc(out->n_chats, sizeof *sinces);
	out->sinces = sinces;
	return 0;
fail:
	loco_mchatlogs_req_release(out);
	return -1;
}

/* Encode a MCHATLOGS request. */
void
loco_mchatlogs_req_encode(const struct loco_mchatlogs_req *in, bson_t *out)
{
	loco_bson_append_i64_array(out, "chatIds", in->chat_ids, in->n_chats);
	loco_bson_append_i64_array(out, "sinces", in->sinces, in->n_chats);
}

/* Free what a MCHATLOGS request owns. */
void
loco_mchatlogs_req_release(struct loco_mchatlogs_req *x)
{
	free(x->chat_ids);
	free(x->sinces);
	memset(x, 0, sizeof *x);
}

/* Decode a MCHATLOGS response. */
int
loco_mchatlogs_res_decode(const bson_t *doc, struct loco_mchatlogs_res *out,
    struct loco_error *err)
{
	const char *w = "MCHATLOGS";

	memset(out, 0, sizeof *out);
	if (loco_bson_opt_i32(doc, w, "status", &out->status, err) != 0 ||
	    loco_chatlog_decode_array(doc, w, "chatLogs", &out->chatlogs,
	        &out->n_chatlogs, err) != 0 ||
	    loco_bson_opt_bool(doc, w, "eof", &out->eof, err) != 0) {
		loco_mchatlogs_res_release(out);
		return -1;
	}
	return 0;
}

/* Encode a MCHATLOGS response. */
void
loco_mchatlogs_res_encode(const struct loco_mchatlogs_res *in, bson_t *out)
{
	bson_append_int32(out, "status", -1, in->status);
	loco_chatlog_append_array(out, "chatLogs", in->chatlogs,
	    in->n_chatlogs);
	bson_append_bool(out, "eof", -1, in->eof);
}

/* Free what a MCHATLOGS response owns. */
void
loco_mchatlogs_res_release(struct loco_mchatlogs_res *x)
{
	loco_chatlog_array_free(x->chatlogs, x->n_chatlogs);
	memset(x, 0, sizeof *x);
}

/* Decode a DELETEMSG request. */
int
loco_deletemsg_req_decode(const bson_t *doc, struct loco_deletemsg_req *out,
    struct loco_error *err)
{
	memset(out, 0, sizeof *out);
	if (loco_bson_need_i64(doc, "DELETEMSG", "chatId", &out->chat_id,
	        err) != 0 ||
	    loco_bson_need_i64(doc, "DELETEMSG", "logId", &out->log_id, err) !=
	        0) {
		loco_deletemsg_req_release(out);
		return -1;
	}
	return 0;
}

/* Encode a DELETEMSG request. */
void
loco_deletemsg_req_encode(const struct loco_deletemsg_req *in, bson_t *out)
{
	bson_append_int64(out, "chatId", -1, in->chat_id);
	bson_append_int64(out, "logId", -1, in->log_id);
}

/* Free what a DELETEMSG request owns. */
void
loco_deletemsg_req_release(struct loco_deletemsg_req *x)
{
	memset(x, 0, sizeof *x);
}

/* Decode a ACTION request. */
int
loco_action_req_decode(const bson_t *doc, struct loco_action_req *out,
    struct loco_error *err)
{
	const char *w = "ACTION";

	memset(out, 0, sizeof *out);
	out->type = 1;
	if (loco_bson_need_i64(doc, w, "chatId", &out->chat_id, err) != 0 ||
	    loco_bson_need_i64(doc, w, "logId", &out->log_id, err) != 0 ||
	    loco_bson_opt_i32(doc, w, "type", &out->type, err) != 0) {
		loco_action_req_release(out);
		return -1;
	}
	return 0;
}

/* Encode a ACTION request. */
void
loco_action_req_encode(const struct loco_action_req *in, bson_t *out)
{
	bson_append_int64(out, "chatId", -1, in->chat_id);
	bson_append_int64(out, "logId", -1, in->log_id);
	bson_append_int32(out, "type", -1, in->type);
}

/* Free what a ACTION request owns. */
void
loco_action_req_release(struct loco_action_req *x)
{
	memset(x, 0, sizeof *x);
}

/* Decode a NOTIREAD request. */
int
loco_notiread_req_decode(const bson_t *doc, struct loco_notiread_req *out,
    struct loco_error *err)
{
	const char *w = "NOTIREAD";

	memset(out, 0, sizeof *out);
	if (loco_bson_need_i64(doc, w, "chatId", &out->chat_id, err) != 0 ||
	    loco_bson_need_i64(doc, w, "watermark", &out->watermark, err) !=
	        0 ||
	    loco_bson_opt_i64(doc, w, "li", &out->li, err) != 0) {
		loco_notiread_req_release(out);
		return -1;
	}
	return 0;
}

/* Encode a NOTIREAD request. */
void
loco_notiread_req_encode(const struct loco_notiread_req *in, bson_t *out)
{
	bson_append_int64(out, "chatId", -1, in->chat_id);
	bson_append_int64(out, "watermark", -1, in->watermark);
	if (in->li != 0)
		bson_append_int64(out, "li", -1, in->li);
}

/* Free what a NOTIREAD request owns. */
void
loco_notiread_req_release(struct loco_notiread_req *x)
{
	memset(x, 0, sizeof *x);
}

/* Decode a status-only response. */
int
loco_status_res_decode(const bson_t *doc, struct loco_status_res *out,
    struct loco_error *err)
{
	memset(out, 0, sizeof *out);
	if (loco_bson_opt_i32(doc, "response", "status", &out->status, err) !=
	    0) {
		loco_status_res_release(out);
		return -1;
	}
	return 0;
}

/* Encode a status-only response. */
void
loco_status_res_encode(const struct loco_status_res *in, bson_t *out)
{
	bson_append_int32(out, "status", -1, in->status);
}

/* Free what a status-only response owns. */
void
loco_status_res_release(struct loco_status_res *x)
{
	memset(x, 0, sizeof *x);
}

/* Decode a SYNCDLMSG push. */
int
loco_syncdlmsg_push_decode(const bson_t *doc, struct loco_syncdlmsg_push *out,
    struct loco_error *err)
{
	const char *w = "SYNCDLMSG";
	struct loco_feed feed;
	bool have_chat = false, have_log = false;
	int64_t top_log;
	int r;

	memset(out, 0, sizeof *out);
	if (loco_chatlog_decode_opt(doc, w, "chatLog", &out->has_chatlog,
	        &out->chatlog, err) != 0)
		goto fail;
	if (out->has_chatlog) {
		out->chat_id = out->chatlog.chat_id;
		have_chat = true;
		/* A feed we cannot read still leaves the top-level keys. */
		if (loco_feed_decode(out->chatlog.message, &feed, NULL) == 0) {
			if (feed.feed_type == LOCO_FEED_DELETE_TO_ALL &&
			    feed.log_id != 0) {
				out->log_id = feed.log_id;
				out->hidden = feed.hidden;
				have_log = true;
			}
			loco_feed_release(&feed);
		}
	}
	r = loco_bson_get_i64(doc, "chatId", &out->chat_id);
	if (r < 0) {
		loco_error_set(err, LOCO_ERR_TYPE, "%s: '%s' is not %s", w,
		    "chatId", "an integer");
		goto fail;
	}
	have_chat = have_chat || r == 1;
	r = loco_bson_get_i64(doc, "logId", &top_log);
	if (r < 0) {
		loco_error_set(err, LOCO_ERR_TYPE, "%s: '%s' is not %s", w,
		    "logId", "an integer");
		goto fail;
	}
	if (!have_log && r == 1) {
		out->log_id = top_log;
		have_log = true;
	}
	if (!have_chat || !have_log) {
		loco_error_set(err, LOCO_ERR_MISSING, "%s: missing '%s'", w,
		    have_chat ? "logId" : "chatId");
		goto fail;
	}
	return 0;
fail:
	loco_syncdlmsg_push_release(out);
	return -1;
}

/* Encode a SYNCDLMSG push. */
void
loco_syncdlmsg_push_encode(const struct loco_syncdlmsg_push *in, bson_t *out)
{
	bson_append_int64(out, "chatId", -1, in->chat_id);
	bson_append_int64(out, "logId", -1, in->log_id);
	if (in->has_chatlog)
		loco_chatlog_append(out, "chatLog", &in->chatlog);
}

/* Free what a SYNCDLMSG push owns. */
void
loco_syncdlmsg_push_release(struct loco_syncdlmsg_push *x)
{
	loco_chatlog_release(&x->chatlog);
	memset(x, 0, sizeof *x);
}

/* Decode a SYNCACTION push. */
int
loco_syncaction_push_decode(const bson_t *doc, struct loco_syncaction_push *out,
    struct loco_error *err)
{
	const char *w = "SYNCACTION";

	memset(out, 0, sizeof *out);
	out->type = 1;
	if (loco_bson_need_i64(doc, w, "userId", &out->user_id, err) != 0 ||
	    loco_bson_need_i64(doc, w, "chatId", &out->chat_id, err) != 0 ||
	    loco_bson_opt_i32(doc, w, "type", &out->type, err) != 0 ||
	    loco_bson_need_i64(doc, w, "logId", &out->log_id, err) != 0) {
		loco_syncaction_push_release(out);
		return -1;
	}
	return 0;
}

/* Encode a SYNCACTION push. */
void
loco_syncaction_push_encode(const struct loco_syncaction_push *in, bson_t *out)
{
	bson_append_int64(out, "userId", -1, in->user_id);
	bson_append_int64(out, "chatId", -1, in->chat_id);
	bson_append_int32(out, "type", -1, in->type);
	bson_append_int64(out, "logId", -1, in->log_id);
}

/* Free what a SYNCACTION push owns. */
void
loco_syncaction_push_release(struct loco_syncaction_push *x)
{
	memset(x, 0, sizeof *x);
}

/* Decode a SYNCREWR push. */
int
loco_syncrewr_push_decode(const bson_t *doc, struct loco_syncrewr_push *out,
    struct loco_error *err)
{
	memset(out, 0, sizeof *out);
	if (loco_chatlog_decode_need(doc, "SYNCREWR", "chatLog", &out->chatlog,
	        err) != 0) {
		loco_syncrewr_push_release(out);
		return -1;
	}
	return 0;
}

/* Encode a SYNCREWR push. */
void
loco_syncrewr_push_encode(const struct loco_syncrewr_push *in, bson_t *out)
{
	loco_chatlog_append(out, "chatLog", &in->chatlog);
}

/* Free what a SYNCREWR push owns. */
void
loco_syncrewr_push_release(struct loco_syncrewr_push *x)
{
	loco_chatlog_release(&x->chatlog);
	memset(x, 0, sizeof *x);
}

/* Decode a DECUNREAD push. */
int
loco_decunread_push_decode(const bson_t *doc, struct loco_decunread_push *out,
    struct loco_error *err)
{
	const char *w = "DECUNREAD";

	memset(out, 0, sizeof *out);
	if (loco_bson_need_i64(doc, w, "chatId", &out->chat_id, err) != 0 ||
	    loco_bson_need_i64(doc, w, "userId", &out->user_id, err) != 0 ||
	    loco_bson_need_i64(doc, w, "watermark", &out->watermark, err) !=
	        0) {
		loco_decunread_push_release(out);
		return -1;
	}
	return 0;
}

/* Encode a DECUNREAD push. */
void
loco_decunread_push_encode(const struct loco_decunread_push *in, bson_t *out)
{
	bson_append_int64(out, "chatId", -1, in->chat_id);
	bson_append_int64(out, "userId", -1, in->user_id);
	bson_append_int64(out, "watermark", -1, in->watermark);
}

/* Free what a DECUNREAD push owns. */
void
loco_decunread_push_release(struct loco_decunread_push *x)
{
	memset(x, 0, sizeof *x);
}

/*
 * Each decoder is run, and whatever decoded is re-encoded (so encoders see
 * decoded values too) and released.
 */
#define FUZZ_ONE(T)                                                            \
	do {                                                                   \
		struct loco_##T x;                                             \
		bson_t o;                                                      \
                                                                               \
		if (loco_##T##_decode(doc, &x, NULL) == 0) {                   \
			bson_init(&o);                                         \
			loco_##T##_encode(&x, &o);                             \
			bson_destroy(&o);                                      \
			loco_##T##_release(&x);                                \
		}                                                              \
	} while (0)

/* Run every decoder of this module on doc (for the fuzz target). */
void
loco_msg_fuzz_decode_all(const bson_t *doc)
{
	struct loco_write_req fwd;
	bson_t fwd_out;

	FUZZ_ONE(write_req);
	FUZZ_ONE(write_res);
	FUZZ_ONE(forward_res);
	FUZZ_ONE(msg_push);
	FUZZ_ONE(syncmsg_req);
	FUZZ_ONE(syncmsg_res);
	FUZZ_ONE(mchatlogs_req);
	FUZZ_ONE(mchatlogs_res);
	FUZZ_ONE(deletemsg_req);
	FUZZ_ONE(action_req);
	FUZZ_ONE(notiread_req);
	FUZZ_ONE(status_res);
	FUZZ_ONE(syncdlmsg_push);
	FUZZ_ONE(syncaction_push);
	FUZZ_ONE(syncrewr_push);
	FUZZ_ONE(decunread_push);
	if (loco_forward_req_decode(doc, &fwd, NULL) == 0) {
		bson_init(&fwd_out);
		loco_forward_req_encode(&fwd, &fwd_out);
		bson_destroy(&fwd_out);
		loco_forward_req_release(&fwd);
	}
}
