/* locoirc: see LICENSE.
 *
 * The IRC line codec: one line (without its CRLF) to a struct irc_msg with
 * IRCv3 message tags, source, command and parameters, and back. It does no
 * I/O beyond taking complete lines out of an evbuffer and appending lines to
 * one; it knows nothing of clients, channels or KakaoTalk.
 */
#ifndef LOCOIRC_GATEWAY_IRC_MSG_H
#define LOCOIRC_GATEWAY_IRC_MSG_H

#include <stdbool.h>
#include <stddef.h>

struct evbuffer;

/* A line is at most 512 bytes including CRLF, not counting the tags. */
#define IRC_MSG_LINE_MAX 512
/* The same without the CRLF: the most irc_msg_parse accepts after the tags. */
#define IRC_MSG_BODY_MAX (IRC_MSG_LINE_MAX - 2)
/* Tag data (between '@' and the space) a client may send (message-tags). */
#define IRC_MSG_TAGS_CLIENT_MAX 4094
/* The whole tags section ('@' and space included) a server may send. */
#define IRC_MSG_TAGS_SERVER_MAX 8191
/* What irc_msg_read should allow per line once message-tags is on. */
#define IRC_MSG_READ_MAX (IRC_MSG_LINE_MAX + IRC_MSG_TAGS_SERVER_MAX)
/* At most this many parameters (RFC 1459/2812). */
#define IRC_MSG_PARAMS_MAX 15

/* Who sent the line: decides the tag-data limit. */
enum irc_msg_origin {
	IRC_MSG_FROM_CLIENT, /* tag data <= IRC_MSG_TAGS_CLIENT_MAX */
	IRC_MSG_FROM_SERVER, /* tags section <= IRC_MSG_TAGS_SERVER_MAX */
};

/* Why a line was refused; the server answers 417, 421 or ERROR from it. */
enum irc_msg_err {
	IRC_MSG_OK = 0,
	IRC_MSG_ERR_EMPTY,       /* nothing but spaces: ignore silently */
	IRC_MSG_ERR_NUL,         /* a NUL byte inside the line */
	IRC_MSG_ERR_CRLF,        /* a CR or LF inside the line */
	IRC_MSG_ERR_TAGS_LONG,   /* tags over the origin's limit: 417 */
	IRC_MSG_ERR_TOO_LONG,    /* over 512 bytes without tags: 417 */
	IRC_MSG_ERR_PARAMS,      /* more than 15 parameters */
	IRC_MSG_ERR_NO_COMMAND,  /* tags and/or source but no command */
	IRC_MSG_ERR_BAD_COMMAND, /* command not letters or 3 digits */
	IRC_MSG_ERR_BAD_TAG,     /* a tag with an empty key */
	IRC_MSG_ERR_BAD_SOURCE,  /* ':' with no source after it */
};

/* One message tag; strings are owned by the message. */
struct irc_msg_tag {
	char *key;        /* without the '+' (vendor/ part kept) */
	char *value;      /* unescaped; "" when absent or empty */
	bool client_only; /* the key had a '+' prefix */
};

/*
 * One IRC message, a plain value: every string is heap-owned by it and
 * freed by irc_msg_release. NULL source means no source.
 */
struct irc_msg {
	struct irc_msg_tag *tags;
	size_t ntags;
	char *source;  /* full "nick!user@host" or server name, or NULL */
	char *nick;    /* source up to '!' or '@'; NULL without source */
	char *user;    /* between '!' and '@', or NULL */
	char *host;    /* after '@', or NULL */
	char *command; /* letters upper-cased, or 3 digits */
	char *params[IRC_MSG_PARAMS_MAX];
	size_t nparams;
	bool trailing; /* the last param had (or must get) a ':' */
};

/* Zero msg. */
void irc_msg_init(struct irc_msg *msg);

/* Free everything msg owns and zero it; a zeroed msg is fine. */
void irc_msg_release(struct irc_msg *msg);

/*
 * Parse len bytes at line (no CR/LF at the end; NUL bytes are counted, not
 * terminators) into msg, which must be initialised and is replaced. Returns
 * 0, or -1 with *why set (why may be NULL) and msg left empty. Verbs are
 * upper-cased; repeated spaces between parameters are accepted.
 */
int irc_msg_parse(struct irc_msg *msg, const char *line, size_t len,
    enum irc_msg_origin origin, enum irc_msg_err *why);

/*
 * Serialise msg as one line without CRLF into buf (size bytes, NUL
 * terminated). Tag values are escaped; the last param gets a ':' when it is
 * empty, has a space, starts with ':' or msg->trailing is set. Refuses
 * (returns -1, never strips) a message that cannot be written faithfully:
 * no command or a bad one, more than 15 params, a CR, LF or space where it
 * cannot go, an empty or ':'-led middle param, or a bad tag key; also -1 if
 * buf is too small. Returns the line length otherwise. No length limit is
 * applied: split text first (irc-text.h).
 */
int irc_msg_format(const struct irc_msg *msg, char *buf, size_t size);

/*
 * Append msg and CRLF to out. Same refusals as irc_msg_format; on -1
 * nothing is appended.
 */
int irc_msg_write(struct evbuffer *out, const struct irc_msg *msg);

/*
 * Take one line out of in. The EOL (LF, optionally after CR) must lie
 * within the first max bytes (IRC_MSG_LINE_MAX, or IRC_MSG_READ_MAX with
 * message-tags). Returns 1 with *line a malloc'd NUL-terminated copy
 * without the EOL (the caller frees it; it may hold NUL bytes, *len is its
 * length); 0 when no complete line is buffered yet; -1 with *why =
 * IRC_MSG_ERR_TOO_LONG when max bytes hold no EOL (the server answers 417
 * or ERROR and closes; nothing is drained).
 */
int irc_msg_read(struct evbuffer *in, size_t max, char **line, size_t *len,
    enum irc_msg_err *why);

/* Set (replace) msg's command; upper-cases letters. */
void irc_msg_set_command(struct irc_msg *msg, const char *command);

/* Set (replace) msg's source; user and host may be NULL. */
void irc_msg_set_source(struct irc_msg *msg, const char *nick, const char *user,
    const char *host);

/* Append a copy of param; -1 if msg already has 15 params. */
int irc_msg_add_param(struct irc_msg *msg, const char *param);

/* Append a tag (copies key and value; value NULL means ""). */
void irc_msg_add_tag(struct irc_msg *msg, const char *key, const char *value,
    bool client_only);

/* The value of the last tag named key (client_only must match), or NULL. */
const char *irc_msg_get_tag(const struct irc_msg *msg, const char *key,
    bool client_only);

/* A stable lower-case description of why, for logs and 417/ERROR text. */
const char *irc_msg_err_string(enum irc_msg_err why);

/*
 * Unescape a tag value (len bytes) into a malloc'd string: \: \s \\ \r \n
 * become ; space \ CR LF, any other escaped char stands for itself, and a
 * lone trailing backslash is dropped.
 */
char *irc_msg_tag_unescape(const char *s, size_t len);

/* Escape a tag value into a malloc'd string (the inverse of the above). */
char *irc_msg_tag_escape(const char *s);

#endif
