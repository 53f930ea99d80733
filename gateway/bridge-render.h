/* locoirc: see LICENSE.
 *
 * Kakao messages as IRC lines (IRC.md 2.1, 2.2, 2.3, 2.10, 2.12): one
 * stored message becomes one or more PRIVMSG (or NOTICE) lines for one
 * client, with msgid and time tags, split on newlines and at UTF-8
 * boundaries to fit 512 bytes, media as links, replies with context, feeds
 * as notices, and a text timestamp on replayed lines for clients without
 * server-time. Pure: it reads no store and does no I/O; names come in
 * through the input struct and a callback.
 */
#ifndef LOCOIRC_GATEWAY_BRIDGE_RENDER_H
#define LOCOIRC_GATEWAY_BRIDGE_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "irc-msg.h"
#include "store.h"

/* The host part of every Kakao user's hostmask. */
#define BRIDGE_RENDER_HOST "kakao"
/* Bytes of a reply's quoted source text kept in the plain-text context. */
#define BRIDGE_RENDER_SNIPPET_MAX 60

/* The nick of a Kakao user id (borrowed), or NULL for a user the caller
 * does not know: then a feed's nickName, else the decimal id, is used. */
typedef const char *(*bridge_render_nick_cb)(int64_t user_id, void *arg);

/* Who the lines are for and where they go; strings borrowed. */
struct bridge_render_in {
	const char *server_name; /* source of feed notices */
	/* "#channel" or, for a query, the peer's nick (the memo nick for the
	 * memo chat) */
	const char *target;
	bool query;           /* direct or memo chat */
	const char *own_nick; /* the account's nick */
	int64_t own_id;       /* the account's user id */
	bool replay;          /* backlog, not live: see server_time below */
	bool server_time;     /* the client has server-time: no text stamp */
	/* The client has message-tags. Not read here: the caller folds it
	 * into reply_prefix (no prefix where +reply is rendered). */
	bool message_tags;
	bool reply_prefix; /* add the "↪ nick: "snippet" | " context */
	time_t now;        /* for the text stamp: date shown if not today */
	bridge_render_nick_cb nick_of;
	void *arg;
};

/*
 * The msgid of a message: "<chatId>-<logId>", stable across restarts and
 * identical live, in backlog and in history. buf needs 48 bytes.
 */
void bridge_render_msgid(int64_t chat_id, int64_t log_id, char *buf,
    size_t len);
/* Parse a msgid made by bridge_render_msgid; false when it is not one. */
bool bridge_render_parse_msgid(const char *s, int64_t *chat_id,
    int64_t *log_id);

/*
 * Parse "YYYY-MM-DDThh:mm:ss[.fff]Z" (server-time: any number of fraction
 * digits, milliseconds kept; no leap seconds, which we could not give
 * back) into milliseconds since the epoch; false when it is not one.
 */
bool bridge_render_parse_time(const char *s, int64_t *ms);

/* "YYYY-MM-DDThh:mm:ss.sssZ" for send_at (seconds, UTC); buf >= 32. */
void bridge_render_time(int64_t send_at, char *buf, size_t len);

/*
 * Render m as lines into *out (a malloc'd array of n initialised messages;
 * the caller irc_msg_release's each and frees the array). Returns n (0:
 * nothing to show, e.g. a deleted message). Rules:
 *  - source: the author's nick!<userId>@kakao (own_nick for own_id);
 *    command PRIVMSG to target; for a query the line from the peer is
 *    addressed to own_nick, an own line (own_id) goes from own_nick to
 *    the peer's nick (self-message form, IRC.md 2.3);
 *  - text split on newlines, then each line at UTF-8 boundaries so the
 *    whole line ":source PRIVMSG target :" + stamp + text + CRLF fits
 *    IRC_MSG_LINE_MAX exactly (the real source and target lengths, no
 *    margin; tags do not count); the last param always gets its ':';
 *  - tags: time (server-time) on every line, msgid only on the first;
 *    a reply (type 26) also gets +reply and +draft/reply with the source's
 *    msgid, and, when reply_prefix, its first line starts with
 *    "↪ <nick>: \"<snippet>\" | " ("↪ <nick>: " without src_message);
 *    the snippet is one line without formatting, at most
 *    BRIDGE_RENDER_SNIPPET_MAX bytes cut at a character, plus "…" when
 *    cut;
 *  - media types: "[Photo] <url>" (label from loco-msgtype, then the
 *    attachment's url; "[File] <name> (<size>) <url>"; imageUrls[] for
 *    multi-photo), text kept after it; emoticons "[Emoticon] <text>";
 *    other types: "[<label>] <text>";
 *  - feeds (type 0): a NOTICE from server_name to target (own_nick in a
 *    query, where target is not the client) describing the event with
 *    nicks ("Bob invited Carol", "Dave left", "a message was deleted");
 *    nicks from nick_of, else the feed's nickName; unknown feeds are
 *    dropped;
 *  - replay && !server_time: "[hh:mm] " (local time) in front of each
 *    line, "[YYYY-MM-DD hh:mm] " when not the day of now;
 *  - control characters stripped except IRC formatting; invalid UTF-8
 *    repaired.
 */
size_t bridge_render_message(const struct bridge_render_in *in,
    const struct store_message *m, struct irc_msg **out);

/*
 * Lines for sending text from IRC to Kakao: the IRC side may have sent a
 * CTCP ACTION; returns a malloc'd Kakao text ("* nick text" for an action,
 * the text otherwise; UTF-8 repaired, controls and IRC formatting
 * stripped, colour codes with their arguments), or NULL for other CTCPs
 * and text that is empty after stripping (nothing to send).
 */
char *bridge_render_outgoing(const char *own_nick, const char *text);

#endif
