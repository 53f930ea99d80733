/* locoirc: see LICENSE.
 *
 * Kakao messages as IRC lines and IRC text as Kakao text. Everything here
 * is a pure function of its arguments: names come from the caller's input
 * struct and callback, times from the message, so the same stored message
 * renders the same way live, in backlog and in CHATHISTORY. It knows
 * nothing of clients, sockets or the store's SQL.
 */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bson/bson.h>

#include "bridge-render.h"
#include "irc-msg.h"
#include "irc-text.h"
#include "loco-bson.h"
#include "loco-chatlog.h"
#include "loco-msgtype.h"
#include "store.h"
#include "xmalloc.h"

/* A growing NUL-terminated string. */
struct render_buf {
	char *s;
	size_t len;
	size_t cap;
};

/* The lines being produced for one message. */
struct render_out {
	struct irc_msg *v;
	size_t n;
};

/* Where the lines of one message go and what frames each of them. */
struct render_frame {
	char source_nick[32]; /* only for a numeric fallback nick */
	const char *nick;     /* borrowed; the source nick */
	char user[24];        /* the author's user id, or "" for a notice */
	const char *command;  /* "PRIVMSG" or "NOTICE" */
	const char *target;   /* borrowed */
	char msgid[48];
	char time[32];
	char stamp[64]; /* "[hh:mm] " or "", in front of every line */
	bool reply;     /* +reply/+draft/reply on the first line */
	char reply_msgid[48];
};

static void render_buf_add(struct render_buf *b, const char *s, size_t len);
static void render_buf_str(struct render_buf *b, const char *s);
static const char *render_nick(const struct bridge_render_in *in,
    int64_t user_id, char *fallback, size_t len);
static void render_stamp(const struct bridge_render_in *in, int64_t send_at,
    char *buf, size_t len);
static void render_snippet(struct render_buf *b, const char *src);
static void render_size(struct render_buf *b, int64_t size);
static bool render_is_emoticon(int32_t type);
static void render_media(struct render_buf *b, int32_t type,
    const char *attachment);
static const char *render_host_name(const struct bridge_render_in *in,
    const bson_t *doc, const char *key, char *fallback, size_t len,
    char **owned);
static bool render_feed(const struct bridge_render_in *in, const char *json,
    struct render_buf *b);
static void render_emit(struct render_out *o, const struct render_frame *f,
    const char *text, size_t len);
static size_t render_lines(struct render_out *o, const struct render_frame *f,
    const char *body, size_t len);
static size_t render_strip_colours(char *s, size_t len);

/* Append len bytes of s to b. */
static void
render_buf_add(struct render_buf *b, const char *s, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap == 0 ? 128 : b->cap;

		while (cap < b->len + len + 1)
			cap *= 2;
		b->s = xreallocarray(b->s, cap, 1);
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, len);
	b->len += len;
	b->s[b->len] = '\0';
}

/* Append the C string s to b. */
static void
render_buf_str(struct render_buf *b, const char *s)
{
	render_buf_add(b, s, strlen(s));
}

void
bridge_render_msgid(int64_t chat_id, int64_t log_id, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRId64 "-%" PRId64, chat_id, log_id);
}

/* Read a canonical non-negative decimal (no sign, no leading zero) from
 * [s, end) into *out; false on anything else or overflow. */
static bool
render_parse_id(const char *s, const char *end, int64_t *out)
{
	int64_t v = 0;

	if (s == end || (*s == '0' && end - s > 1))
		return false;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (INT64_MAX - (*s - '0')) / 10)
			return false;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return true;
}

bool
bridge_render_parse_msgid(const char *s, int64_t *chat_id, int64_t *log_id)
{
	const char *dash;
	int64_t c, l;

	if (s == NULL || (dash = strchr(s, '-')) == NULL)
		return false;
	if (!render_parse_id(s, dash, &c) ||
	    !render_parse_id(dash + 1, dash + 1 + strlen(dash + 1), &l))
		return false;
	*chat_id = c;
	*log_id = l;
	return true;
}

void
bridge_render_time(int64_t send_at, char *buf, size_t len)
{
	time_t t = (time_t)send_at;
	struct tm tm;

	/* An absurd sendAt from a peer still gives a well-formed tag. */
	if ((int64_t)t != send_at || gmtime_r(&t, &tm) == NULL ||
	    tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
		snprintf(buf, len, "1970-01-01T00:00:00.000Z");
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.000Z",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec);
}

/* The nick of user_id: own_nick for the account, else the callback's,
 * else the decimal id (in fallback) so a bad callback cannot crash us. */
static const char *
render_nick(const struct bridge_render_in *in, int64_t user_id, char *fallback,
    size_t len)
{
	const char *nick = NULL;

	if (user_id == in->own_id && in->own_nick != NULL)
		return in->own_nick;
	if (in->nick_of != NULL)
		nick = in->nick_of(user_id, in->arg);
	if (nick != NULL && *nick != '\0')
		return nick;
	snprintf(fallback, len, "%" PRId64, user_id);
	return fallback;
}

/* The text stamp of a replayed line for a client without server-time:
 * BitlBee and ZNC do the same (IRC.md 2.2). "" when none is due. */
static void
render_stamp(const struct bridge_render_in *in, int64_t send_at, char *buf,
    size_t len)
{
	time_t t = (time_t)send_at, now = in->now;
	struct tm tm, tn;

	buf[0] = '\0';
	if (!in->replay || in->server_time)
		return;
	if ((int64_t)t != send_at || localtime_r(&t, &tm) == NULL ||
	    tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
		return;
	if (localtime_r(&now, &tn) != NULL && tn.tm_year == tm.tm_year &&
	    tn.tm_yday == tm.tm_yday)
		snprintf(buf, len, "[%02d:%02d] ", tm.tm_hour, tm.tm_min);
	else
		snprintf(buf, len, "[%04d-%02d-%02d %02d:%02d] ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min);
}

/* Append the quoted source text of a reply: one line, no formatting (it
 * would bleed into the reply), cut at a character to the snippet limit. */
static void
render_snippet(struct render_buf *b, const char *src)
{
	char *s;
	size_t len, i, cut = 0, n;

	s = irc_text_utf8_repair(src, strlen(src), &len);
	for (i = 0; i < len; i++)
		if (s[i] == '\r' || s[i] == '\n')
			s[i] = ' ';
	len = irc_text_strip_controls(s, len, 0);
	while (cut < len) {
		n = irc_text_utf8_seq(s + cut, len - cut);
		if (n == 0)
			n = 1;
		if (cut + n > BRIDGE_RENDER_SNIPPET_MAX)
			break;
		cut += n;
	}
	render_buf_add(b, s, cut);
	if (cut < len)
		render_buf_str(b, "\xe2\x80\xa6");
	free(s);
}

/* Append " (size)" in human units; nothing when the size is unknown. */
static void
render_size(struct render_buf *b, int64_t size)
{
	char tmp[48];

	if (size <= 0)
		return;
	if (size < 1024)
		snprintf(tmp, sizeof tmp, " (%" PRId64 " B)", size);
	else if (size < 1024 * 1024)
		snprintf(tmp, sizeof tmp, " (%.1f KB)", (double)size / 1024);
	else if (size < 1024 * 1024 * 1024)
		snprintf(tmp, sizeof tmp, " (%.1f MB)",
		    (double)size / (1024 * 1024));
	else
		snprintf(tmp, sizeof tmp, " (%.1f GB)",
		    (double)size / (1024 * 1024 * 1024));
	render_buf_str(b, tmp);
}

/* Whether type is one of the emoticon kinds, all shown as "[Emoticon]". */
static bool
render_is_emoticon(int32_t type)
{
	return type == LOCO_MSG_DITEMEMOTICON || type == LOCO_MSG_STICKER ||
	    type == LOCO_MSG_STICKERANI || type == LOCO_MSG_ACTIONCON ||
	    type == LOCO_MSG_STICKERGIF;
}

/* Append the head of a non-text message: "[Label]" and its links. */
static void
render_media(struct render_buf *b, int32_t type, const char *attachment)
{
	struct loco_attachment a;
	char **urls = NULL;
	size_t nurls = 0, i;
	bson_t doc;

	if (render_is_emoticon(type)) {
		render_buf_str(b, "[Emoticon]");
		return;
	}
	render_buf_str(b, "[");
	render_buf_str(b, loco_msgtype_label(type));
	render_buf_str(b, "]");
	if (!loco_msgtype_is_media(type))
		return;
	/* A bad attachment still shows the label: the user learns that
	 * something arrived even if we cannot link it. */
	if (loco_attachment_decode(attachment, &a, NULL) != 0)
		return;
	if (type == LOCO_MSG_FILE) {
		if (a.name != NULL && *a.name != '\0') {
			render_buf_str(b, " ");
			render_buf_str(b, a.name);
		}
		render_size(b, a.size);
	}
	if (a.url != NULL && *a.url != '\0') {
		render_buf_str(b, " ");
		render_buf_str(b, a.url);
	} else if (type == LOCO_MSG_MULTIPHOTO) {
		/* Multi-photo has no `url`, only `imageUrls[]` (LOCO.md 2.15);
		 * doc is initialised even when the parse fails. */
		if (loco_attachment_parse(attachment, &doc, NULL) == 0 &&
		    loco_bson_get_str_array(&doc, "imageUrls", &urls, &nurls) ==
		        1)
			for (i = 0; i < nurls; i++) {
				render_buf_str(b, " ");
				render_buf_str(b, urls[i]);
			}
		loco_strv_free(urls, nurls);
		bson_destroy(&doc);
	}
	loco_attachment_release(&a);
}

/* The nick of the `{userId, nickName}` object doc[key] (hand-over feeds,
 * which loco_feed_decode does not keep), or NULL when it is missing.
 * *owned gets a string the caller frees. */
static const char *
render_host_name(const struct bridge_render_in *in, const bson_t *doc,
    const char *key, char *fallback, size_t len, char **owned)
{
	bson_t sub;
	int64_t id;
	char *nick = NULL;
	const char *s;

	*owned = NULL;
	if (loco_bson_get_doc(doc, key, &sub) != 1 ||
	    loco_bson_get_i64(&sub, "userId", &id) != 1)
		return NULL;
	if (loco_bson_get_str(&sub, "nickName", &nick) != 1)
		nick = NULL;
	s = render_nick(in, id, fallback, len);
	if (s == fallback && nick != NULL && *nick != '\0') {
		*owned = nick;
		return nick;
	}
	free(nick);
	return s;
}

/* A member's nick: ours for a known user, else the feed's nickName. */
static const char *
render_member(const struct bridge_render_in *in,
    const struct loco_feed_member *m, char *fallback, size_t len)
{
	const char *s = render_nick(in, m->user_id, fallback, len);

	if (s == fallback && m->nickname != NULL && *m->nickname != '\0')
		return m->nickname;
	return s;
}

/* Describe the feed json into b; false for feeds we do not show. */
static bool
render_feed(const struct bridge_render_in *in, const char *json,
    struct render_buf *b)
{
	struct loco_feed f;
	char fb[32], fb2[32];
	char *own1 = NULL, *own2 = NULL;
	const char *prev, *next;
	bson_t doc;
	bool shown = true;
	size_t i;

	if (loco_feed_decode(json, &f, NULL) != 0)
		return false;
	switch (f.feed_type) {
	case LOCO_FEED_INVITE:
		if (f.n_members == 0) {
			shown = false;
			break;
		}
		if (f.has_inviter) {
			render_buf_str(b,
			    render_member(in, &f.inviter, fb, sizeof fb));
			render_buf_str(b, " invited ");
		}
		for (i = 0; i < f.n_members; i++) {
			if (i > 0)
				render_buf_str(b, ", ");
			render_buf_str(b,
			    render_member(in, &f.members[i], fb, sizeof fb));
		}
		if (!f.has_inviter)
			render_buf_str(b, " joined");
		break;
	case LOCO_FEED_OPENLINK_JOIN:
		if (f.n_members == 0) {
			shown = false;
			break;
		}
		for (i = 0; i < f.n_members; i++) {
			if (i > 0)
				render_buf_str(b, ", ");
			render_buf_str(b,
			    render_member(in, &f.members[i], fb, sizeof fb));
		}
		render_buf_str(b, " joined");
		break;
	case LOCO_FEED_LEAVE:
	case LOCO_FEED_OPENLINK_KICKED:
	case LOCO_FEED_OPEN_MANAGER_GRANT:
	case LOCO_FEED_OPEN_MANAGER_REVOKE:
		if (!f.has_member) {
			shown = false;
			break;
		}
		render_buf_str(b, render_member(in, &f.member, fb, sizeof fb));
		if (f.feed_type == LOCO_FEED_LEAVE)
			render_buf_str(b, " left");
		else if (f.feed_type == LOCO_FEED_OPENLINK_KICKED)
			render_buf_str(b, " was removed");
		else if (f.feed_type == LOCO_FEED_OPEN_MANAGER_GRANT)
			render_buf_str(b, " is now a manager");
		else
			render_buf_str(b, " is no longer a manager");
		break;
	case LOCO_FEED_DELETE_TO_ALL:
		render_buf_str(b, "a message was deleted");
		break;
	case LOCO_FEED_OPENLINK_HAND_OVER:
		if (loco_attachment_parse(json, &doc, NULL) != 0) {
			bson_destroy(&doc);
			shown = false;
			break;
		}
		prev = render_host_name(in, &doc, "prevHost", fb, sizeof fb,
		    &own1);
		next = render_host_name(in, &doc, "newHost", fb2, sizeof fb2,
		    &own2);
		if (next == NULL)
			shown = false;
		else if (prev != NULL) {
			render_buf_str(b, prev);
			render_buf_str(b, " handed the host role to ");
			render_buf_str(b, next);
		} else {
			render_buf_str(b, next);
			render_buf_str(b, " is now the host");
		}
		free(own1);
		free(own2);
		bson_destroy(&doc);
		break;
	default:
		shown = false;
		break;
	}
	loco_feed_release(&f);
	return shown;
}

/* Append one line carrying text (len bytes) to o, framed by f. */
static void
render_emit(struct render_out *o, const struct render_frame *f,
    const char *text, size_t len)
{
	struct irc_msg *m;
	char *line;

	o->v = xreallocarray(o->v, o->n + 1, sizeof *o->v);
	m = &o->v[o->n];
	irc_msg_init(m);
	/* Server tags before client-only tags (IRC.md 2.0). */
	if (o->n == 0)
		irc_msg_add_tag(m, "msgid", f->msgid, false);
	irc_msg_add_tag(m, "time", f->time, false);
	if (o->n == 0 && f->reply) {
		irc_msg_add_tag(m, "reply", f->reply_msgid, true);
		irc_msg_add_tag(m, "draft/reply", f->reply_msgid, true);
	}
	if (f->user[0] != '\0')
		irc_msg_set_source(m, f->nick, f->user, BRIDGE_RENDER_HOST);
	else
		irc_msg_set_source(m, f->nick, NULL, NULL);
	irc_msg_set_command(m, f->command);
	irc_msg_add_param(m, f->target);
	line = xasprintf("%s%.*s", f->stamp, (int)len, text);
	irc_msg_add_param(m, line);
	free(line);
	/* Always " :text", so the budget never depends on the text. */
	m->trailing = true;
	o->n++;
}

/*
 * Turn body (len bytes, valid UTF-8) into lines: one per text line, each
 * cut so ":source COMMAND target :stamp+text\r\n" fits IRC_MSG_LINE_MAX.
 * Returns how many lines were added.
 */
static size_t
render_lines(struct render_out *o, const struct render_frame *f,
    const char *body, size_t len)
{
	struct irc_text_span *lines = NULL, *chunks = NULL;
	size_t nlines, nchunks, i, j, over, budget, before = o->n, llen;
	char *line;

	/* ':' source ' ' command ' ' target " :" stamp ... CRLF */
	over = 1 + strlen(f->nick) + 1 + strlen(f->command) + 1 +
	    strlen(f->target) + 2 + strlen(f->stamp) + 2;
	if (f->user[0] != '\0')
		over += 1 + strlen(f->user) + 1 + strlen(BRIDGE_RENDER_HOST);
	budget = over < IRC_MSG_LINE_MAX ? IRC_MSG_LINE_MAX - over : 0;

	nlines = irc_text_lines(body, len, &lines);
	for (i = 0; i < nlines; i++) {
		line = xstrndup(body + lines[i].off, lines[i].len);
		llen = irc_text_strip_controls(line, lines[i].len,
		    IRC_TEXT_KEEP_FORMAT);
		nchunks = irc_text_split(line, llen, budget, &chunks);
		for (j = 0; j < nchunks; j++)
			render_emit(o, f, line + chunks[j].off, chunks[j].len);
		free(chunks);
		free(line);
	}
	free(lines);
	return o->n - before;
}

size_t
bridge_render_message(const struct bridge_render_in *in,
    const struct store_message *m, struct irc_msg **out)
{
	struct render_out o = {NULL, 0};
	struct render_frame f;
	struct render_buf b = {NULL, 0, 0};
	struct loco_attachment a;
	const char *text = m->text != NULL ? m->text : "";
	char fb[32], *body = NULL;
	int32_t type = loco_msgtype_base(m->type);
	size_t blen;

	*out = NULL;
	if (m->deleted || loco_msgtype_is_deleted(m->type))
		return 0;
	memset(&f, 0, sizeof f);
	bridge_render_msgid(m->chat_id, m->log_id, f.msgid, sizeof f.msgid);
	bridge_render_time(m->send_at, f.time, sizeof f.time);
	render_stamp(in, m->send_at, f.stamp, sizeof f.stamp);
	render_buf_add(&b, "", 0);

	if (type == LOCO_MSG_FEED) {
		if (!render_feed(in, text, &b))
			goto out;
		f.nick = in->server_name;
		f.command = "NOTICE";
		/* A notice to a nick that is not the client's would be
		 * misrouted; in a query it goes to the account itself. */
		f.target = in->query ? in->own_nick : in->target;
	} else {
		f.nick = render_nick(in, m->author_id, f.source_nick,
		    sizeof f.source_nick);
		snprintf(f.user, sizeof f.user, "%" PRId64, m->author_id);
		f.command = "PRIVMSG";
		/* Self-message form (IRC.md 2.3): own lines go to the peer,
		 * the peer's lines to us. */
		if (in->query && m->author_id != in->own_id)
			f.target = in->own_nick;
		else
			f.target = in->target;
		if (type == LOCO_MSG_REPLY &&
		    loco_attachment_decode(m->attachment, &a, NULL) == 0) {
			if (a.src_log_id != 0) {
				f.reply = true;
				bridge_render_msgid(m->chat_id, a.src_log_id,
				    f.reply_msgid, sizeof f.reply_msgid);
			}
			if (a.src_log_id != 0 && in->reply_prefix) {
				render_buf_str(&b, "\xe2\x86\xaa ");
				render_buf_str(&b,
				    render_nick(in, a.src_user_id, fb,
				        sizeof fb));
				render_buf_str(&b, ": ");
				if (a.src_message != NULL &&
				    *a.src_message != '\0') {
					render_buf_str(&b, "\"");
					render_snippet(&b, a.src_message);
					render_buf_str(&b, "\" | ");
				}
			}
			loco_attachment_release(&a);
		}
		if (type != LOCO_MSG_TEXT && type != LOCO_MSG_REPLY) {
			render_media(&b, type, m->attachment);
			if (*text != '\0')
				render_buf_str(&b, " ");
		}
		render_buf_str(&b, text);
	}
	if (f.nick == NULL || f.target == NULL)
		goto out;
	body = irc_text_utf8_repair(b.s, b.len, &blen);
	render_lines(&o, &f, body, blen);
out:
	free(body);
	free(b.s);
	*out = o.v;
	return o.n;
}

/* Whether c is a hex digit. */
static bool
render_is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* How many of the n bytes at s are colour-argument characters (digits, or
 * hex digits when hex), up to max. */
static size_t
render_colour_arg(const char *s, size_t n, size_t max, bool hex)
{
	size_t i;

	for (i = 0; i < n && i < max; i++)
		if (hex ? !render_is_hex(s[i]) : (s[i] < '0' || s[i] > '9'))
			break;
	return i;
}

/*
 * Remove colour codes together with their arguments from s (len bytes) in
 * place: irc_text_strip_controls drops the \003 or \004 byte but would
 * leave "4,1" behind as text. Colours (\003) take up to two digits, hex
 * colours (\004) six hex digits; a background follows a ',' only when an
 * argument does (modern.ircdocs.horse formatting). Returns the new length.
 */
static size_t
render_strip_colours(char *s, size_t len)
{
	size_t i = 0, o = 0, max, n;
	bool hex;

	while (i < len) {
		if (s[i] != '\003' && s[i] != '\004') {
			s[o++] = s[i++];
			continue;
		}
		hex = s[i] == '\004';
		max = hex ? 6 : 2;
		i++;
		n = render_colour_arg(s + i, len - i, max, hex);
		if (hex && n != 6)
			n = 0;
		i += n;
		if (n > 0 && i + 1 < len && s[i] == ',') {
			n = render_colour_arg(s + i + 1, len - i - 1, max, hex);
			if (hex && n != 6)
				n = 0;
			if (n > 0)
				i += 1 + n;
		}
	}
	s[o] = '\0';
	return o;
}

char *
bridge_render_outgoing(const char *own_nick, const char *text)
{
	size_t len, off, tlen;
	char *s, *r;
	bool action;

	if (text == NULL)
		return NULL;
	len = strlen(text);
	action = irc_text_action_unwrap(text, len, &off, &tlen);
	if (!action && text[0] == '\001')
		return NULL; /* VERSION, PING, ...: not for Kakao */
	if (!action) {
		off = 0;
		tlen = len;
	}
	s = irc_text_utf8_repair(text + off, tlen, &len);
	len = render_strip_colours(s, len);
	len = irc_text_strip_controls(s, len, 0);
	if (len == 0) {
		free(s);
		return NULL;
	}
	if (!action)
		return s;
	r = xasprintf("* %s %s", own_nick != NULL ? own_nick : "", s);
	free(s);
	return r;
}

/* "YYYY-MM-DDThh:mm:ss" before the optional fraction and the Z. */
#define BRIDGE_RENDER_TIME_LEN 19

/* n digits at s as a number; false when one is not a digit. */
static bool
bridge_render_digits(const char *s, size_t n, int64_t *out)
{
	size_t i;

	*out = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*out = *out * 10 + (s[i] - '0');
	}
	return true;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian, Hinnant's
 * days_from_civil): timegm is not POSIX. */
static int64_t
bridge_render_days(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * "YYYY-MM-DDThh:mm:ss[.fff]Z" (server-time; any number of fraction
 * digits, milliseconds kept) as milliseconds since the epoch.
 */
bool
bridge_render_parse_time(const char *s, int64_t *ms)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30,
	    31};
	int64_t y, mo, d, h, mi, sec, frac = 0;
	size_t i, nfrac = 0;
	bool leap;

	if (strlen(s) < BRIDGE_RENDER_TIME_LEN + 1 || s[4] != '-' ||
	    s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
	    !bridge_render_digits(s, 4, &y) ||
	    !bridge_render_digits(s + 5, 2, &mo) ||
	    !bridge_render_digits(s + 8, 2, &d) ||
	    !bridge_render_digits(s + 11, 2, &h) ||
	    !bridge_render_digits(s + 14, 2, &mi) ||
	    !bridge_render_digits(s + 17, 2, &sec))
		return false;
	i = BRIDGE_RENDER_TIME_LEN;
	if (s[i] == '.') {
		for (i++; s[i] >= '0' && s[i] <= '9'; i++, nfrac++)
			if (nfrac < 3)
				frac = frac * 10 + (s[i] - '0');
		if (nfrac == 0)
			return false;
		for (; nfrac < 3; nfrac++)
			frac *= 10;
	}
	if (s[i] != 'Z' || s[i + 1] != '\0')
		return false;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || sec > 59)
		return false;
	*ms = ((bridge_render_days(y, mo, d) * 24 + h) * 60 + mi) * 60 + sec;
	*ms = *ms * 1000 + frac;
	return true;
}
