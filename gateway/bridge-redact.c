/* locoirc: see LICENSE.
 *
 * Message redaction (draft/message-redaction, IRC.md 2.8) both ways: a
 * client's REDACT of one of the account's messages becomes DELETEMSG, and
 * a message deleted upstream (SYNCDLMSG: someone else, or the account on
 * another device) becomes REDACT from its author. Only clients with the
 * capability see REDACT; the others have the server's delete feed, which
 * arrives as an ordinary NOTICE.
 *
 * Who sends the REDACT for a client's own deletion: the server pushes
 * SYNCDLMSG to every session but the one that asked (locosim, modelled on
 * it, does; see t-engine-live), so the engine's deleted event does not
 * come for it and the DELETEMSG answer sends the REDACTs, marking the
 * message deleted in the store first. If a
 * server ever pushed the event to us before its answer, the store's mark
 * shows that the REDACTs went out, and the answer is only an ACK under
 * the origin's label. An event that comes after the answer finds the
 * message in the bridge's ring of recent own deletions and is not relayed
 * twice.
 */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bridge-int.h"
#include "bridge-names.h"
#include "bridge-render.h"
#include "irc-msg.h"
#include "irc-numeric.h"
#include "irc-server.h"
#include "irc-text.h"
#include "log.h"
#include "loco-chat.h"
#include "loco-engine.h"
#include "loco-msgtype.h"
#include "store.h"
#include "xmalloc.h"

/* Bytes of a client's reason we relay: with our source and tags added,
 * the REDACT line must still fit in 512. */
#define BRIDGE_REDACT_REASON_MAX 300

/* One REDACT waiting for KakaoTalk's answer; owned by the engine's
 * callback (its arg). */
struct bridge_redact {
	struct bridge *b;   /* borrowed; outlives the engine's callbacks */
	uint64_t client_id; /* who asked */
	char *label;        /* deferred labeled-response label, or NULL */
	char *target;       /* as the client named it, for FAIL */
	char *msgid;        /* as the client sent it */
	char *reason;       /* the REDACT's reason, or NULL */
	int64_t chat_id;
	int64_t log_id;
};

/* What the checks need of a stored message. */
struct bridge_redact_msg {
	int64_t author_id;
	int32_t type;
	bool deleted;
};

static void bridge_redact_done_cb(struct loco_engine *e, int32_t status,
    const struct loco_error *err, void *arg);

static void
bridge_redact_free(struct bridge_redact *r)
{
	free(r->label);
	free(r->target);
	free(r->msgid);
	free(r->reason);
	free(r);
}

/* What a client sent, fit to echo as a middle parameter ("*" if not). */
static const char *
bridge_redact_echo(const char *s)
{
	if (*s == '\0' || *s == ':' || strchr(s, ' ') != NULL)
		return "*";
	return s;
}

/* FAIL REDACT code <target> [<msgid>] :text to bc. */
static void
bridge_redact_fail(struct bridge_client *bc, const char *code,
    const char *target, const char *msgid, const char *text)
{
	const char *ctx[3] = {bridge_redact_echo(target), NULL, NULL};

	if (msgid != NULL)
		ctx[1] = bridge_redact_echo(msgid);
	irc_client_stdreply(bc->c, "FAIL", "REDACT", code, ctx, text);
}

/* store_get_message callback: keep what the checks need. */
static bool
bridge_redact_msg_cb(const struct store_message *m, void *arg)
{
	struct bridge_redact_msg *out = arg;

	out->author_id = m->author_id;
	out->type = m->type;
	out->deleted = m->deleted || loco_msgtype_is_deleted(m->type);
	return false;
}

/* The REDACT's reason in buf (len > BRIDGE_REDACT_REASON_MAX), cut at a
 * character; NULL when there is none. */
static const char *
bridge_redact_reason(const struct irc_msg *m, char *buf, size_t len)
{
	size_t n;

	if (m->nparams < 3 || m->params[2][0] == '\0')
		return NULL;
	n = strlen(m->params[2]);
	if (n > BRIDGE_REDACT_REASON_MAX) {
		n = BRIDGE_REDACT_REASON_MAX;
		while (n > 0 && ((unsigned char)m->params[2][n] & 0xc0) == 0x80)
			n--;
	}
	snprintf(buf, len, "%.*s", (int)n, m->params[2]);
	return buf;
}

/*
 * The chat a REDACT names: its target as PRIVMSG takes it, or, for a
 * line a query peer sent (which clients saw addressed to the own nick),
 * the own nick with a msgid of that query.
 */
static struct bridge_chat *
bridge_redact_chat(struct bridge *b, const char *target, bool have_id,
    int64_t chat_id)
{
	struct bridge_chat *chat;

	if ((chat = bridge_world_find_target(b->world, target)) != NULL)
		return chat;
	if (!have_id ||
	    !irc_text_caseeq(target, bridge_world_own_nick(b->world)) ||
	    (chat = bridge_world_chat(b->world, chat_id)) == NULL ||
	    !chat->query || chat->gone)
		return NULL;
	return chat;
}

/*
 * ":author!id@kakao REDACT <target> <msgid> [:reason]" for a message of
 * chat, into m (initialised here). A query's target follows the rendered
 * lines: a line from the peer went to the own nick, ours to the peer.
 */
static void
bridge_redact_line(struct bridge *b, const struct bridge_chat *chat,
    int64_t author_id, int64_t log_id, const char *reason, struct irc_msg *m)
{
	char idbuf[24], msgid[48], when[32];
	const char *target = chat->name;

	if (chat->query && author_id != b->cfg.own_id)
		target = bridge_world_own_nick(b->world);
	bridge_render_msgid(chat->id, log_id, msgid, sizeof msgid);
	bridge_render_time((int64_t)time(NULL), when, sizeof when);
	bridge_user_id_text(author_id, idbuf, sizeof idbuf);
	irc_msg_init(m);
	irc_msg_add_tag(m, "time", when, false);
	irc_msg_add_tag(m, "account", idbuf, false);
	irc_msg_set_source(m, bridge_world_user(b->world, author_id)->nick,
	    idbuf, BRIDGE_RENDER_HOST);
	irc_msg_set_command(m, "REDACT");
	irc_msg_add_param(m, target);
	irc_msg_add_param(m, msgid);
	if (reason != NULL) {
		irc_msg_add_param(m, reason);
		m->trailing = true;
	}
}

/* Whether bc shows chat now (bridge.c's rule for live lines). */
static bool
bridge_redact_shows(const struct bridge_client *bc,
    const struct bridge_chat *chat)
{
	return chat->index < bc->n_chats && bc->joined[chat->index] &&
	    (bc->phase != BRIDGE_ATTACH_BURST || chat->index < bc->attach_pos);
}

/* Send m to bc if it negotiated redaction. */
static void
bridge_redact_send(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	if (irc_client_has_cap(bc->c, IRC_CAP_REDACTION) &&
	    irc_client_send(bc->c, m) == 0)
		b->stats.lines_out++;
}

/*
 * A message of chat is gone: REDACT to every client with the capability
 * that shows chat, and to the origin (origin_id, 0 = none) under its
 * label whether it shows chat or not (without the capability that is an
 * ACK).
 */
static void
bridge_redact_fanout(struct bridge *b, const struct bridge_chat *chat,
    int64_t author_id, int64_t log_id, const char *reason, uint64_t origin_id,
    const char *label)
{
	struct bridge_client *bc, *next;
	struct irc_msg m;

	bridge_redact_line(b, chat, author_id, log_id, reason, &m);
	/* A send may drop its client, which unlinks it: next first. */
	for (bc = b->clients; bc != NULL; bc = next) {
		next = bc->next;
		if (bc->dead)
			continue;
		if (origin_id != 0 && bc->id == origin_id) {
			irc_client_begin_labeled(bc->c, label);
			bridge_redact_send(b, bc, &m);
			irc_client_end_labeled(bc->c);
		} else if (bridge_redact_shows(bc, chat))
			bridge_redact_send(b, bc, &m);
	}
	irc_msg_release(&m);
}

void
bridge_redact_command(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	struct bridge_redact_msg msg;
	struct bridge_redact *r;
	struct bridge_chat *chat;
	struct loco_error err;
	const char *target, *msgid, *reason;
	char reason_buf[BRIDGE_REDACT_REASON_MAX + 1];
	int64_t chat_id = 0, log_id = 0;
	bool have_id;
	int rc = 0;

	memset(&msg, 0, sizeof msg);
	if (m->nparams < 2) {
		irc_client_numeric(bc->c, IRC_ERR_NEEDMOREPARAMS,
		    IRC_ERR_NEEDMOREPARAMS_FMT, irc_client_get_nick(bc->c),
		    m->command);
		return;
	}
	target = m->params[0];
	msgid = m->params[1];
	reason = bridge_redact_reason(m, reason_buf, sizeof reason_buf);
	have_id = bridge_render_parse_msgid(msgid, &chat_id, &log_id);
	if ((chat = bridge_redact_chat(b, target, have_id, chat_id)) == NULL) {
		bridge_redact_fail(bc, "INVALID_TARGET", target, NULL,
		    "No such channel or nick");
		return;
	}
	/* A msgid of another chat is not in this target's history. */
	if (!have_id || chat_id != chat->id ||
	    (rc = store_get_message(b->store, chat_id, log_id,
	         bridge_redact_msg_cb, &msg)) == 0) {
		bridge_redact_fail(bc, "UNKNOWN_MSGID", target, msgid,
		    "This message does not exist or is too old");
		return;
	}
	if (rc == -1) {
		bridge_redact_fail(bc, "UNKNOWN_MSGID", target, msgid,
		    "The message could not be read from the store");
		return;
	}
	/* Open-chat hosts may delete others' messages, but we do not know
	 * roles yet: only the account's own. */
	if (msg.author_id != b->cfg.own_id || msg.type == LOCO_MSG_FEED) {
		bridge_redact_fail(bc, "REDACT_FORBIDDEN", target, msgid,
		    "You can delete only your own messages");
		return;
	}
	/* KakaoTalk says yes to DELETEMSG in the memo chat and keeps the
	 * message (LOCO.md 2.12): a REDACT would lie. */
	if (chat->type == LOCO_CHAT_MEMO) {
		bridge_redact_fail(bc, "REDACT_FORBIDDEN", target, msgid,
		    "KakaoTalk cannot delete messages in the memo chat");
		return;
	}
	/* Gone already: the client missed its REDACT; it gets it now. */
	if (msg.deleted) {
		struct irc_msg line;

		bridge_redact_line(b, chat, msg.author_id, log_id, reason,
		    &line);
		bridge_redact_send(b, bc, &line);
		irc_msg_release(&line);
		return;
	}
	if (b->engine == NULL) {
		bridge_redact_fail(bc, "REDACT_FORBIDDEN", target, msgid,
		    "KakaoTalk is not connected; "
		    "see " BRIDGE_NAMES_SERVICE_NICK " status");
		return;
	}
	r = xcalloc(1, sizeof *r);
	r->b = b;
	r->client_id = bc->id;
	r->target = xstrdup(target);
	r->msgid = xstrdup(msgid);
	r->reason = reason != NULL ? xstrdup(reason) : NULL;
	r->chat_id = chat_id;
	r->log_id = log_id;
	if (loco_engine_delete(b->engine, chat_id, log_id,
	        bridge_redact_done_cb, r, &err) != 0) {
		char why[300];

		snprintf(why, sizeof why, "cannot delete the message: %s",
		    err.msg);
		bridge_redact_fail(bc, "REDACT_FORBIDDEN", target, msgid, why);
		bridge_redact_free(r);
		return;
	}
	/* The callback runs from the event loop, never from in here. */
	r->label = irc_client_defer_label(bc->c);
}

/* KakaoTalk's answer to our DELETEMSG. */
static void
bridge_redact_done_cb(struct loco_engine *e, int32_t status,
    const struct loco_error *err, void *arg)
{
	struct bridge_redact *r = arg;
	struct bridge *b = r->b;
	struct bridge_client *bc = bridge_client_find(b, r->client_id);
	struct bridge_redact_msg msg;
	struct bridge_chat *chat;
	char why[300];
	int rc;

	(void)e;
	if (status != 0) {
		if (err != NULL && err->msg[0] != '\0')
			snprintf(why, sizeof why,
			    "KakaoTalk did not delete the message: %s",
			    err->msg);
		else
			snprintf(why, sizeof why,
			    "KakaoTalk refused to delete the message "
			    "(status %" PRId32 ")",
			    status);
		log_info("irc: %s %s not deleted: %s", r->target, r->msgid,
		    why);
		if (bc != NULL) {
			irc_client_begin_labeled(bc->c, r->label);
			bridge_redact_fail(bc, "REDACT_FORBIDDEN", r->target,
			    r->msgid, why);
			irc_client_end_labeled(bc->c);
		}
		bridge_redact_free(r);
		return;
	}
	memset(&msg, 0, sizeof msg);
	rc = store_get_message(b->store, r->chat_id, r->log_id,
	    bridge_redact_msg_cb, &msg);
	/* No replay or history may show it again (the server's feed for it
	 * reaches us only with the next gap fill). */
	if (rc == 1 && !msg.deleted &&
	    store_mark_deleted(b->store, r->chat_id, r->log_id) != 0)
		log_warnx("cannot mark message %s deleted in the store",
		    r->msgid);
	chat = bridge_world_chat(b->world, r->chat_id);
	if ((rc == 1 && msg.deleted) || chat == NULL || chat->gone) {
		/* The deleted event was first and its REDACTs went out (or
		 * nobody shows the chat any more): the label gets its ACK. */
		if (bc != NULL && r->label != NULL) {
			irc_client_begin_labeled(bc->c, r->label);
			irc_client_end_labeled(bc->c);
		}
	} else {
		bridge_redact_fanout(b, chat, b->cfg.own_id, r->log_id,
		    r->reason, r->client_id, r->label);
		b->redacted[b->redacted_next].chat_id = r->chat_id;
		b->redacted[b->redacted_next].log_id = r->log_id;
		b->redacted_next =
		    (b->redacted_next + 1) % BRIDGE_REDACT_RECENT;
	}
	bridge_redact_free(r);
}

/* Whether we relayed this deletion ourselves (and forget it). */
static bool
bridge_redact_was_ours(struct bridge *b, int64_t chat_id, int64_t log_id)
{
	size_t i;

	for (i = 0; i < BRIDGE_REDACT_RECENT; i++)
		if (b->redacted[i].log_id == log_id &&
		    b->redacted[i].chat_id == chat_id && log_id != 0) {
			b->redacted[i].log_id = 0;
			return true;
		}
	return false;
}

void
bridge_redact_on_deleted(struct bridge *b, int64_t chat_id, int64_t log_id)
{
	struct bridge_chat *chat = bridge_world_chat(b->world, chat_id);
	struct bridge_redact_msg msg;

	if (chat == NULL || chat->gone ||
	    bridge_redact_was_ours(b, chat_id, log_id))
		return;
	/* Its author names the REDACT's source; a message we never stored
	 * was never shown either. */
	if (store_get_message(b->store, chat_id, log_id, bridge_redact_msg_cb,
	        &msg) != 1) {
		log_debug("%s: chat %" PRId64 ": deleted message %" PRId64
		          " is not stored",
		    __func__, chat_id, log_id);
		return;
	}
	bridge_redact_fanout(b, chat, msg.author_id, log_id, NULL, 0, NULL);
}
