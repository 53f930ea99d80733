/* locoirc: see LICENSE.
 *
 * The IRC line codec (RFC 1459/2812 framing with IRCv3 message tags, per
 * ircv3 extensions/message-tags.md and modern.ircdocs.horse). Parsing is
 * strict about what could be abused (NUL, CR/LF, limits) and liberal about
 * spacing; writing refuses anything it could not write faithfully, so a
 * parsed message always writes back to a line that parses to the same one.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "irc-msg.h"
#include "xmalloc.h"

/* A growable output string for the writer. */
struct irc_msg_buf {
	char *s;
	size_t len;
	size_t cap;
};

static void irc_msg_buf_add(struct irc_msg_buf *b, const char *s, size_t n);
static void irc_msg_buf_addc(struct irc_msg_buf *b, char c);
static int irc_msg_check(const struct irc_msg *msg);
static void irc_msg_build(const struct irc_msg *msg, struct irc_msg_buf *b);
static bool irc_msg_command_ok(const char *s, size_t len);
static bool irc_msg_tag_key_ok(const char *s, size_t len);
static int irc_msg_parse_tags(struct irc_msg *msg, const char *s, size_t len);
static void irc_msg_split_source(struct irc_msg *msg);

/* Append n bytes at s to b. */
static void
irc_msg_buf_add(struct irc_msg_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = xreallocarray(b->s, b->cap, 1);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* Append one byte to b. */
static void
irc_msg_buf_addc(struct irc_msg_buf *b, char c)
{
	irc_msg_buf_add(b, &c, 1);
}

void
irc_msg_init(struct irc_msg *msg)
{
	memset(msg, 0, sizeof *msg);
}

void
irc_msg_release(struct irc_msg *msg)
{
	size_t i;

	for (i = 0; i < msg->ntags; i++) {
		free(msg->tags[i].key);
		free(msg->tags[i].value);
	}
	free(msg->tags);
	free(msg->source);
	free(msg->nick);
	free(msg->user);
	free(msg->host);
	free(msg->command);
	for (i = 0; i < msg->nparams; i++)
		free(msg->params[i]);
	memset(msg, 0, sizeof *msg);
}

const char *
irc_msg_err_string(enum irc_msg_err why)
{
	static const char *const names[] = {
	    [IRC_MSG_OK] = "ok",
	    [IRC_MSG_ERR_EMPTY] = "empty line",
	    [IRC_MSG_ERR_NUL] = "NUL byte in line",
	    [IRC_MSG_ERR_CRLF] = "CR or LF inside line",
	    [IRC_MSG_ERR_TAGS_LONG] = "message tags too long",
	    [IRC_MSG_ERR_TOO_LONG] = "line too long",
	    [IRC_MSG_ERR_PARAMS] = "too many parameters",
	    [IRC_MSG_ERR_NO_COMMAND] = "missing command",
	    [IRC_MSG_ERR_BAD_COMMAND] = "malformed command",
	    [IRC_MSG_ERR_BAD_TAG] = "malformed message tag",
	    [IRC_MSG_ERR_BAD_SOURCE] = "empty source",
	};

	if ((size_t)why >= sizeof names / sizeof names[0] || names[why] == NULL)
		return "unknown error";
	return names[why];
}

char *
irc_msg_tag_unescape(const char *s, size_t len)
{
	char *out = xmalloc(len + 1);
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (s[i] != '\\') {
			out[o++] = s[i];
			continue;
		}
		if (++i == len)
			break; /* a lone trailing backslash is dropped */
		switch (s[i]) {
		case ':':
			out[o++] = ';';
			break;
		case 's':
			out[o++] = ' ';
			break;
		case 'r':
			out[o++] = '\r';
			break;
		case 'n':
			out[o++] = '\n';
			break;
		default: /* "\\" and any other escaped byte stand for themselves */
			out[o++] = s[i];
			break;
		}
	}
	out[o] = '\0';
	return out;
}

char *
irc_msg_tag_escape(const char *s)
{
	struct irc_msg_buf b = {NULL, 0, 0};

	irc_msg_buf_add(&b, "", 0);
	for (; *s != '\0'; s++) {
		switch (*s) {
		case ';':
			irc_msg_buf_add(&b, "\\:", 2);
			break;
		case ' ':
			irc_msg_buf_add(&b, "\\s", 2);
			break;
		case '\\':
			irc_msg_buf_add(&b, "\\\\", 2);
			break;
		case '\r':
			irc_msg_buf_add(&b, "\\r", 2);
			break;
		case '\n':
			irc_msg_buf_add(&b, "\\n", 2);
			break;
		default:
			irc_msg_buf_addc(&b, *s);
			break;
		}
	}
	return b.s;
}

/* Whether s (len bytes) is a command: letters only, or exactly 3 digits. */
static bool
irc_msg_command_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	if (s[0] >= '0' && s[0] <= '9') {
		if (len != 3)
			return false;
		for (i = 0; i < len; i++)
			if (s[i] < '0' || s[i] > '9')
				return false;
		return true;
	}
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		        (s[i] >= 'a' && s[i] <= 'z')))
			return false;
	return true;
}

/*
 * Whether s (len bytes, '+' already removed) can be a tag key: non-empty, no
 * second '+', none of the bytes that delimit tags or lines.
 */
static bool
irc_msg_tag_key_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || s[0] == '+')
		return false;
	for (i = 0; i < len; i++)
		if (s[i] == ' ' || s[i] == ';' || s[i] == '=' || s[i] == '\r' ||
		    s[i] == '\n' || s[i] == '\0')
			return false;
	return true;
}

/* Parse the tag data s (len bytes, without '@') into msg's tag list. */
static int
irc_msg_parse_tags(struct irc_msg *msg, const char *s, size_t len)
{
	size_t off = 0;

	while (off < len) {
		const char *seg = s + off, *semi, *eq;
		size_t seglen, keylen;
		bool client_only = false;

		semi = memchr(seg, ';', len - off);
		seglen = semi != NULL ? (size_t)(semi - seg) : len - off;
		off += seglen + 1;
		if (seglen == 0)
			continue; /* "@;a" or "@a;": tolerated */
		if (seg[0] == '+') {
			client_only = true;
			seg++;
			seglen--;
		}
		eq = memchr(seg, '=', seglen);
		keylen = eq != NULL ? (size_t)(eq - seg) : seglen;
		if (!irc_msg_tag_key_ok(seg, keylen))
			return -1;
		msg->tags =
		    xreallocarray(msg->tags, msg->ntags + 1, sizeof *msg->tags);
		msg->tags[msg->ntags].key = xstrndup(seg, keylen);
		msg->tags[msg->ntags].value = eq != NULL
		    ? irc_msg_tag_unescape(eq + 1, seglen - keylen - 1)
		    : xstrdup("");
		msg->tags[msg->ntags].client_only = client_only;
		msg->ntags++;
	}
	return 0;
}

/* Fill msg's nick, user and host from its source. */
static void
irc_msg_split_source(struct irc_msg *msg)
{
	const char *s = msg->source;
	size_t nicklen = strcspn(s, "!@");
	const char *at;

	msg->nick = xstrndup(s, nicklen);
	s += nicklen;
	if (*s == '!') {
		s++;
		at = strchr(s, '@');
		msg->user =
		    at != NULL ? xstrndup(s, (size_t)(at - s)) : xstrdup(s);
		s = at != NULL ? at : s + strlen(s);
	}
	if (*s == '@')
		msg->host = xstrdup(s + 1);
}

int
irc_msg_parse(struct irc_msg *msg, const char *line, size_t len,
    enum irc_msg_origin origin, enum irc_msg_err *why)
{
	enum irc_msg_err err = IRC_MSG_OK;
	const char *p = line, *end = line + len, *sp;
	bool tagged = false;
	size_t i, n;

	irc_msg_release(msg);
	if (memchr(line, '\0', len) != NULL) {
		err = IRC_MSG_ERR_NUL;
		goto fail;
	}
	if (memchr(line, '\r', len) != NULL ||
	    memchr(line, '\n', len) != NULL) {
		err = IRC_MSG_ERR_CRLF;
		goto fail;
	}
	if (p < end && *p == '@') {
		tagged = true;
		sp = memchr(p, ' ', (size_t)(end - p));
		n = (sp != NULL ? (size_t)(sp - p) : len) - 1;
		if (origin == IRC_MSG_FROM_CLIENT
		        ? n > IRC_MSG_TAGS_CLIENT_MAX
		        : n + 2 > IRC_MSG_TAGS_SERVER_MAX) {
			err = IRC_MSG_ERR_TAGS_LONG;
			goto fail;
		}
		if (sp == NULL) {
			err = IRC_MSG_ERR_NO_COMMAND;
			goto fail;
		}
		if (irc_msg_parse_tags(msg, p + 1, n) == -1) {
			err = IRC_MSG_ERR_BAD_TAG;
			goto fail;
		}
		p = sp + 1;
	}
	if ((size_t)(end - p) > IRC_MSG_BODY_MAX) {
		err = IRC_MSG_ERR_TOO_LONG;
		goto fail;
	}
	while (p < end && *p == ' ')
		p++;
	if (p == end) {
		err = tagged ? IRC_MSG_ERR_NO_COMMAND : IRC_MSG_ERR_EMPTY;
		goto fail;
	}
	if (*p == ':') {
		p++;
		sp = memchr(p, ' ', (size_t)(end - p));
		n = sp != NULL ? (size_t)(sp - p) : (size_t)(end - p);
		if (n == 0) {
			err = IRC_MSG_ERR_BAD_SOURCE;
			goto fail;
		}
		msg->source = xstrndup(p, n);
		irc_msg_split_source(msg);
		p += n;
		while (p < end && *p == ' ')
			p++;
		if (p == end) {
			err = IRC_MSG_ERR_NO_COMMAND;
			goto fail;
		}
	}
	sp = memchr(p, ' ', (size_t)(end - p));
	n = sp != NULL ? (size_t)(sp - p) : (size_t)(end - p);
	if (!irc_msg_command_ok(p, n)) {
		err = IRC_MSG_ERR_BAD_COMMAND;
		goto fail;
	}
	msg->command = xstrndup(p, n);
	for (i = 0; i < n; i++)
		if (msg->command[i] >= 'a' && msg->command[i] <= 'z')
			msg->command[i] = (char)(msg->command[i] - 'a' + 'A');
	p += n;
	for (;;) {
		while (p < end && *p == ' ')
			p++;
		if (p == end)
			break;
		if (msg->nparams == IRC_MSG_PARAMS_MAX) {
			err = IRC_MSG_ERR_PARAMS;
			goto fail;
		}
		if (*p == ':') {
			msg->params[msg->nparams++] =
			    xstrndup(p + 1, (size_t)(end - p - 1));
			msg->trailing = true;
			break;
		}
		sp = memchr(p, ' ', (size_t)(end - p));
		n = sp != NULL ? (size_t)(sp - p) : (size_t)(end - p);
		msg->params[msg->nparams++] = xstrndup(p, n);
		p += n;
	}
	if (why != NULL)
		*why = IRC_MSG_OK;
	return 0;

fail:
	irc_msg_release(msg);
	if (why != NULL)
		*why = err;
	return -1;
}

/* Check that msg can be written faithfully; 0 or -1. */
static int
irc_msg_check(const struct irc_msg *msg)
{
	size_t i;

	if (msg->command == NULL ||
	    !irc_msg_command_ok(msg->command, strlen(msg->command)))
		return -1;
	if (msg->nparams > IRC_MSG_PARAMS_MAX)
		return -1;
	if (msg->source != NULL &&
	    (msg->source[0] == '\0' || strpbrk(msg->source, " \r\n") != NULL))
		return -1;
	for (i = 0; i < msg->ntags; i++) {
		const char *k = msg->tags[i].key;

		if (k == NULL || !irc_msg_tag_key_ok(k, strlen(k)))
			return -1;
	}
	for (i = 0; i < msg->nparams; i++) {
		const char *p = msg->params[i];

		if (p == NULL || strpbrk(p, "\r\n") != NULL)
			return -1;
		if (i + 1 < msg->nparams &&
		    (p[0] == '\0' || p[0] == ':' || strchr(p, ' ') != NULL))
			return -1;
	}
	return 0;
}

/* Build the line for msg (already checked) into b, without CRLF. */
static void
irc_msg_build(const struct irc_msg *msg, struct irc_msg_buf *b)
{
	size_t i;

	irc_msg_buf_add(b, "", 0);
	for (i = 0; i < msg->ntags; i++) {
		const struct irc_msg_tag *t = &msg->tags[i];

		irc_msg_buf_addc(b, i == 0 ? '@' : ';');
		if (t->client_only)
			irc_msg_buf_addc(b, '+');
		irc_msg_buf_add(b, t->key, strlen(t->key));
		if (t->value != NULL && t->value[0] != '\0') {
			char *esc = irc_msg_tag_escape(t->value);

			irc_msg_buf_addc(b, '=');
			irc_msg_buf_add(b, esc, strlen(esc));
			free(esc);
		}
	}
	if (msg->ntags > 0)
		irc_msg_buf_addc(b, ' ');
	if (msg->source != NULL) {
		irc_msg_buf_addc(b, ':');
		irc_msg_buf_add(b, msg->source, strlen(msg->source));
		irc_msg_buf_addc(b, ' ');
	}
	irc_msg_buf_add(b, msg->command, strlen(msg->command));
	for (i = 0; i < msg->nparams; i++) {
		const char *p = msg->params[i];

		irc_msg_buf_addc(b, ' ');
		if (i + 1 == msg->nparams &&
		    (msg->trailing || p[0] == '\0' || p[0] == ':' ||
		        strchr(p, ' ') != NULL))
			irc_msg_buf_addc(b, ':');
		irc_msg_buf_add(b, p, strlen(p));
	}
}

int
irc_msg_format(const struct irc_msg *msg, char *buf, size_t size)
{
	struct irc_msg_buf b = {NULL, 0, 0};
	int r = -1;

	if (irc_msg_check(msg) == -1)
		return -1;
	irc_msg_build(msg, &b);
	if (b.len < size && b.len <= (size_t)0x7fffffff) {
		memcpy(buf, b.s, b.len + 1);
		r = (int)b.len;
	}
	free(b.s);
	return r;
}

int
irc_msg_write(struct evbuffer *out, const struct irc_msg *msg)
{
	struct irc_msg_buf b = {NULL, 0, 0};
	int r;

	if (irc_msg_check(msg) == -1)
		return -1;
	irc_msg_build(msg, &b);
	irc_msg_buf_add(&b, "\r\n", 2);
	r = evbuffer_add(out, b.s, b.len);
	free(b.s);
	return r == 0 ? 0 : -1;
}

int
irc_msg_read(struct evbuffer *in, size_t max, char **line, size_t *len,
    enum irc_msg_err *why)
{
	struct evbuffer_ptr end, pos;
	size_t n;
	char *s;

	*line = NULL;
	*len = 0;
	if (max < evbuffer_get_length(in)) {
		evbuffer_ptr_set(in, &end, max, EVBUFFER_PTR_SET);
		pos = evbuffer_search_range(in, "\n", 1, NULL, &end);
	} else
		pos = evbuffer_search_range(in, "\n", 1, NULL, NULL);
	if (pos.pos < 0) {
		if (evbuffer_get_length(in) < max)
			return 0;
		if (why != NULL)
			*why = IRC_MSG_ERR_TOO_LONG;
		return -1;
	}
	n = (size_t)pos.pos;
	s = xmalloc(n + 1);
	evbuffer_remove(in, s, n);
	evbuffer_drain(in, 1);
	if (n > 0 && s[n - 1] == '\r')
		n--;
	s[n] = '\0';
	*line = s;
	*len = n;
	if (why != NULL)
		*why = IRC_MSG_OK;
	return 1;
}

void
irc_msg_set_command(struct irc_msg *msg, const char *command)
{
	char *c;

	free(msg->command);
	msg->command = xstrdup(command);
	for (c = msg->command; *c != '\0'; c++)
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 'a' + 'A');
}

void
irc_msg_set_source(struct irc_msg *msg, const char *nick, const char *user,
    const char *host)
{
	free(msg->source);
	free(msg->nick);
	free(msg->user);
	free(msg->host);
	msg->source = xasprintf("%s%s%s%s%s", nick, user != NULL ? "!" : "",
	    user != NULL ? user : "", host != NULL ? "@" : "",
	    host != NULL ? host : "");
	msg->nick = xstrdup(nick);
	msg->user = user != NULL ? xstrdup(user) : NULL;
	msg->host = host != NULL ? xstrdup(host) : NULL;
}

int
irc_msg_add_param(struct irc_msg *msg, const char *param)
{
	if (msg->nparams == IRC_MSG_PARAMS_MAX)
		return -1;
	msg->params[msg->nparams++] = xstrdup(param);
	return 0;
}

void
irc_msg_add_tag(struct irc_msg *msg, const char *key, const char *value,
    bool client_only)
{
	msg->tags = xreallocarray(msg->tags, msg->ntags + 1, sizeof *msg->tags);
	msg->tags[msg->ntags].key = xstrdup(key);
	msg->tags[msg->ntags].value = xstrdup(value != NULL ? value : "");
	msg->tags[msg->ntags].client_only = client_only;
	msg->ntags++;
}

const char *
irc_msg_get_tag(const struct irc_msg *msg, const char *key, bool client_only)
{
	size_t i;

	for (i = msg->ntags; i > 0; i--)
		if (msg->tags[i - 1].client_only == client_only &&
		    strcmp(msg->tags[i - 1].key, key) == 0)
			return msg->tags[i - 1].value;
	return NULL;
}
