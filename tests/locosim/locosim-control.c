/* locoirc: see LICENSE.
 *
 * locosim's control socket: a TCP listener speaking a line protocol (one
 * command per line, replies "ok ..." or "err ...", dumps ending in ".")
 * through which a person or a test script acts as other users and injects
 * faults. Every command maps onto the public locosim API; this file only
 * parses, checks and formats, and never lets a control client crash the
 * simulator or make it buffer without bound.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "log.h"
#include "loco-bson.h"
#include "loco-chatlog.h"
#include "loco-msgtype.h"
#include "loco-packet.h"
#include "locosim-internal.h"
#include "xmalloc.h"

/* Longest command line accepted, without its LF or CRLF. */
#define CTL_LINE_MAX (64 * 1024)
/* Stop reading commands while this much output is waiting to be sent. */
#define CTL_OUT_HIWAT (1024 * 1024)
/* Resume once the output has drained to this. */
#define CTL_OUT_LOWAT (64 * 1024)
/* The largest single reply (a log dump); bigger ones are refused. */
#define CTL_REPLY_MAX (8 * 1024 * 1024)
/* Commands handled per read callback before yielding to other clients. */
#define CTL_BUDGET 64
/* Control clients connected at once. */
#define CTL_CLIENTS_MAX 64
/* Arguments of one command (create takes a member list). */
#define CTL_ARGS_MAX 258
/* Seconds a client may leave pending output unread before it is dropped. */
#define CTL_WRITE_TIMEOUT 30
/* Default message count of log and writes. */
#define CTL_DUMP_DEFAULT 20
/* Largest photo side accepted by the photo command. */
#define CTL_PHOTO_SIDE_MAX 4096

/* One connected control client. */
struct ctl_client {
	TAILQ_ENTRY(ctl_client) entry;
	struct locosim_control *ctl; /* borrowed; owns this client */
	struct bufferevent *bev;     /* owned */
	unsigned serial;             /* for log lines: ctl#N */
	bool closing;                /* flushing a last reply, then freed */
	bool eof;                    /* the peer has sent all it will */
};
TAILQ_HEAD(ctl_client_list, ctl_client);

struct locosim_control {
	struct locosim *sim;             /* borrowed; owns this object */
	struct evconnlistener *listener; /* owned */
	struct event *resume;            /* owned; re-enables after EMFILE */
	struct ctl_client_list clients;
	size_t n_clients;
	unsigned next_serial;
};

/* A command's handler: argv[0..argc) are its arguments, name excluded. */
typedef void (*ctl_handler_cb)(struct ctl_client *c, char **argv, int argc);

/* One row of the command table. */
struct ctl_command {
	const char *name;
	int min_args;
	int max_args;
	bool rest;         /* the last argument takes the rest of the line */
	const char *usage; /* arguments, for help and usage errors */
	ctl_handler_cb handler;
};

static void ctl_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg);
static void ctl_accept_error_cb(struct evconnlistener *l, void *arg);
static void ctl_resume_cb(evutil_socket_t fd, short what, void *arg);
static void ctl_read_cb(struct bufferevent *bev, void *arg);
static void ctl_write_cb(struct bufferevent *bev, void *arg);
static void ctl_event_cb(struct bufferevent *bev, short what, void *arg);

static void cmd_send(struct ctl_client *c, char **argv, int argc);
static void cmd_reply(struct ctl_client *c, char **argv, int argc);
static void cmd_photo(struct ctl_client *c, char **argv, int argc);
static void cmd_delete(struct ctl_client *c, char **argv, int argc);
static void cmd_react(struct ctl_client *c, char **argv, int argc);
static void cmd_join(struct ctl_client *c, char **argv, int argc);
static void cmd_leave(struct ctl_client *c, char **argv, int argc);
static void cmd_rename(struct ctl_client *c, char **argv, int argc);
static void cmd_notice(struct ctl_client *c, char **argv, int argc);
static void cmd_read(struct ctl_client *c, char **argv, int argc);
static void cmd_create(struct ctl_client *c, char **argv, int argc);
static void cmd_log(struct ctl_client *c, char **argv, int argc);
static void cmd_watermarks(struct ctl_client *c, char **argv, int argc);
static void cmd_writes(struct ctl_client *c, char **argv, int argc);
static void cmd_sessions(struct ctl_client *c, char **argv, int argc);
static void cmd_count(struct ctl_client *c, char **argv, int argc);
static void cmd_drop(struct ctl_client *c, char **argv, int argc);
static void cmd_changesvr(struct ctl_client *c, char **argv, int argc);
static void cmd_kickout(struct ctl_client *c, char **argv, int argc);
static void cmd_corrupt(struct ctl_client *c, char **argv, int argc);
static void cmd_unknown(struct ctl_client *c, char **argv, int argc);
static void cmd_stall(struct ctl_client *c, char **argv, int argc);
static void cmd_unstall(struct ctl_client *c, char **argv, int argc);
static void cmd_reorder(struct ctl_client *c, char **argv, int argc);
static void cmd_delay(struct ctl_client *c, char **argv, int argc);
static void cmd_expire(struct ctl_client *c, char **argv, int argc);
static void cmd_unexpire(struct ctl_client *c, char **argv, int argc);
static void cmd_faillogin(struct ctl_client *c, char **argv, int argc);
static void cmd_save(struct ctl_client *c, char **argv, int argc);
static void cmd_help(struct ctl_client *c, char **argv, int argc);
static void cmd_quit(struct ctl_client *c, char **argv, int argc);

static const struct ctl_command ctl_commands[] = {
    {"send", 3, 3, true, "CHAT AUTHOR TEXT", cmd_send},
    {"reply", 4, 4, true, "CHAT AUTHOR SRCLOG TEXT", cmd_reply},
    {"photo", 4, 4, false, "CHAT AUTHOR W H", cmd_photo},
    {"delete", 3, 3, false, "CHAT BY LOG", cmd_delete},
    {"react", 3, 4, false, "CHAT USER LOG [TYPE]", cmd_react},
    {"join", 3, 3, false, "CHAT USER INVITER", cmd_join},
    {"leave", 2, 2, false, "CHAT USER", cmd_leave},
    {"rename", 3, 3, true, "CHAT BY TITLE", cmd_rename},
    {"notice", 3, 3, true, "CHAT BY TEXT", cmd_notice},
    {"read", 3, 3, false, "CHAT USER WATERMARK", cmd_read},
    {"create", 3, CTL_ARGS_MAX, false, "TYPE TITLE MEMBER...", cmd_create},
    {"log", 1, 2, false, "CHAT [N]", cmd_log},
    {"watermarks", 1, 1, false, "CHAT", cmd_watermarks},
    {"writes", 0, 1, false, "[N]", cmd_writes},
    {"sessions", 0, 1, false, "[USER]", cmd_sessions},
    {"count", 1, 1, false, "METHOD", cmd_count},
    {"drop", 1, 1, false, "USER", cmd_drop},
    {"changesvr", 1, 1, false, "USER", cmd_changesvr},
    {"kickout", 1, 2, false, "USER [REASON]", cmd_kickout},
    {"corrupt", 1, 1, false, "USER", cmd_corrupt},
    {"unknown", 2, 2, false, "USER METHOD", cmd_unknown},
    {"stall", 1, 1, false, "USER", cmd_stall},
    {"unstall", 1, 1, false, "USER", cmd_unstall},
    {"reorder", 1, 1, false, "N", cmd_reorder},
    {"delay", 1, 1, false, "MS", cmd_delay},
    {"expire", 1, 1, false, "USER", cmd_expire},
    {"unexpire", 1, 1, false, "USER", cmd_unexpire},
    {"faillogin", 1, 1, false, "STATUS", cmd_faillogin},
    {"save", 0, 1, true, "[PATH]", cmd_save},
    {"help", 0, 0, false, "", cmd_help},
    {"quit", 0, 0, false, "", cmd_quit},
};
#define CTL_NCOMMANDS (sizeof ctl_commands / sizeof ctl_commands[0])

/* Queue "err <message>" with control characters made harmless. */
static void __attribute__((format(printf, 2, 3)))
ctl_err(struct ctl_client *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* Replies are one line: no CR, LF or other control bytes. */
	for (i = 0; msg[i] != '\0'; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			msg[i] = '?';
	evbuffer_add_printf(bufferevent_get_output(c->bev), "err %s\n", msg);
}

/* Queue "ok" followed by printf-style values. */
static void __attribute__((format(printf, 2, 3)))
ctl_ok(struct ctl_client *c, const char *fmt, ...)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	va_list ap;

	evbuffer_add(out, "ok ", 3);
	va_start(ap, fmt);
	evbuffer_add_vprintf(out, fmt, ap);
	va_end(ap);
	evbuffer_add(out, "\n", 1);
}

/* Queue a bare "ok". */
static void
ctl_ok0(struct ctl_client *c)
{
	evbuffer_add(bufferevent_get_output(c->bev), "ok\n", 3);
}

/*
 * Parse a whole decimal int64 (optional '-'): 0 on success, -1 when s is
 * not a number, -2 when it does not fit.
 */
static int
ctl_parse_i64(const char *s, int64_t *out)
{
	const char *p = s;
	char *end;
	long long v;

	if (*p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -2;
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* Parse argument s named what within [lo, hi], or answer err and fail. */
static int
ctl_arg(struct ctl_client *c, const char *what, const char *s, int64_t lo,
    int64_t hi, int64_t *out)
{
	int r = ctl_parse_i64(s, out);

	if (r == -2) {
		ctl_err(c, "%s '%.40s' does not fit in 64 bits", what, s);
		return -1;
	}
	if (r != 0) {
		ctl_err(c, "%s must be a decimal integer, not '%.40s'", what,
		    s);
		return -1;
	}
	if (*out < lo || *out > hi) {
		ctl_err(c, "%s %lld is out of range [%lld, %lld]", what,
		    (long long)*out, (long long)lo, (long long)hi);
		return -1;
	}
	return 0;
}

/* An id argument: any int64. */
static int
ctl_id(struct ctl_client *c, const char *what, const char *s, int64_t *out)
{
	return ctl_arg(c, what, s, INT64_MIN, INT64_MAX, out);
}

/*
 * Explain why an action on chat by user was refused: the public API only
 * says -1, so look at the world to name the cause.
 */
static void
ctl_refused(struct ctl_client *c, const char *verb, int64_t chat_id,
    int64_t user_id)
{
	struct locosim_world *w = locosim_world(c->ctl->sim);
	struct locosim_chat *chat = locosim_world_chat(w, chat_id);

	if (chat == NULL)
		ctl_err(c, "cannot %s: no chat %lld", verb, (long long)chat_id);
	else if (locosim_world_user(w, user_id) == NULL)
		ctl_err(c, "cannot %s: no user %lld", verb, (long long)user_id);
	else if (locosim_chat_member(chat, user_id) == NULL)
		ctl_err(c, "cannot %s: user %lld is not in chat %lld", verb,
		    (long long)user_id, (long long)chat_id);
	else
		ctl_err(c, "cannot %s: refused by the simulator", verb);
}

/* Like ctl_refused, also naming a log id that may be the cause. */
static void
ctl_refused_log(struct ctl_client *c, const char *verb, int64_t chat_id,
    int64_t user_id, int64_t log_id)
{
	struct locosim_world *w = locosim_world(c->ctl->sim);
	struct locosim_chat *chat = locosim_world_chat(w, chat_id);
	struct loco_chatlog *cl = NULL;

	if (chat != NULL && (cl = locosim_chat_find(chat, log_id)) == NULL) {
		ctl_err(c, "cannot %s: no message %lld in chat %lld", verb,
		    (long long)log_id, (long long)chat_id);
		return;
	}
	if (chat != NULL && cl != NULL &&
	    (cl->type & LOCO_MSGTYPE_DELETED_BIT) != 0) {
		ctl_err(c, "cannot %s: message %lld is deleted", verb,
		    (long long)log_id);
		return;
	}
	ctl_refused(c, verb, chat_id, user_id);
}

/* send CHAT AUTHOR TEXT: a text message from another user. */
static void
cmd_send(struct ctl_client *c, char **argv, int argc)
{
	int64_t chat, author, id;

	(void)argc;
	if (ctl_id(c, "CHAT", argv[0], &chat) != 0 ||
	    ctl_id(c, "AUTHOR", argv[1], &author) != 0)
		return;
	if ((id = locosim_send_text(c->ctl->sim, chat, author, argv[2])) < 0)
		ctl_refused(c, "send", chat, author);
	else
		ctl_ok(c, "%lld", (long long)id);
}

/* reply CHAT AUTHOR SRCLOG TEXT: a reply quoting SRCLOG. */
static void
cmd_reply(struct ctl_client *c, char **argv, int argc)
{
	int64_t chat, author, src, id;

	(void)argc;
	if (ctl_id(c, "CHAT", argv[0], &chat) != 0 ||
	    ctl_id(c, "AUTHOR", argv[1], &author) != 0 ||
	    ctl_id(c, "SRCLOG", argv[2], &src) != 0)
		return;
	if ((id = locosim_reply(c->ctl->sim, chat, author, src, argv[3])) < 0)
		ctl_refused_log(c, "reply", chat, author, src);
	else
		ctl_ok(c, "%lld", (long long)id);
}

/* Bits into a JPEG entropy-coded segment, stuffing 0x00 after 0xff. */
struct ctl_bits {
	uint8_t *buf; /* owned by the caller */
	size_t len;
	uint32_t acc;
	int n;
};

/* Append the low n bits of v, most significant first. */
static void
ctl_bits_put(struct ctl_bits *b, uint32_t v, int n)
{
	while (n-- > 0) {
		b->acc = (b->acc << 1) | ((v >> n) & 1);
		if (++b->n == 8) {
			b->buf[b->len++] = (uint8_t)b->acc;
			if ((uint8_t)b->acc == 0xff)
				b->buf[b->len++] = 0x00;
			b->acc = 0;
			b->n = 0;
		}
	}
}

/*
 * A small but valid baseline grey-scale JPEG of w x h pixels showing a
 * checkerboard of 32-pixel squares, so a client can display what it
 * downloads. Every 8x8 block has only a DC term: DC category 0 is coded
 * "0" and category 4 "10", AC end-of-block "0" (ITU T.81 F.1.2). Returns a
 * malloc'd buffer and its length in *len.
 */
uint8_t *
locosim_make_jpeg(int w, int h, size_t *len)
{
	/* SOI, APP0 "JFIF" 1.1 with 1:1 density, COM "locosim!". */
	static const uint8_t head[] = {0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J',
	    'F', 'I', 'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00,
	    0x00, 0xff, 0xfe, 0x00, 0x0a, 'l', 'o', 'c', 'o', 's', 'i', 'm',
	    '!'};
	/* DHT DC table 0: one code of length 1 (category 0), one of length
	 * 2 (category 4). */
	static const uint8_t dht_dc[] = {0xff, 0xc4, 0x00, 0x15, 0x00, 1, 1, 0,
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x04};
	/* DHT AC table 0: end-of-block only, length 1. */
	static const uint8_t dht_ac[] = {0xff, 0xc4, 0x00, 0x14, 0x10, 1, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00};
	/* SOS: one component (id 1, tables 0/0), Ss 0, Se 63, Ah/Al 0. */
	static const uint8_t sos[] = {0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00,
	    0x00, 0x3f, 0x00};
	int bw = (w + 7) / 8, bh = (h + 7) / 8, bx, by, prev = 0;
	size_t blocks = (size_t)bw * (size_t)bh, off = 0;
	struct ctl_bits bits;
	uint8_t *p;

	/* 7 bits per block at most, doubled for stuffing, plus headers. */
	p = xmalloc(sizeof head + 69 + 13 + sizeof dht_dc + sizeof dht_ac +
	    sizeof sos + blocks * 2 + 16);
	memcpy(p, head, sizeof head);
	off = sizeof head;
	/* DQT: table 0, 8-bit; DC step 32 so level 12 is +48 grey. */
	p[off++] = 0xff;
	p[off++] = 0xdb;
	p[off++] = 0x00;
	p[off++] = 0x43;
	p[off++] = 0x00;
	p[off++] = 32;
	memset(p + off, 1, 63);
	off += 63;
	/* SOF0: 8-bit, h, w, one component with id 1, 1x1, table 0. */
	p[off++] = 0xff;
	p[off++] = 0xc0;
	p[off++] = 0x00;
	p[off++] = 0x0b;
	p[off++] = 0x08;
	p[off++] = (uint8_t)(h >> 8);
	p[off++] = (uint8_t)h;
	p[off++] = (uint8_t)(w >> 8);
	p[off++] = (uint8_t)w;
	p[off++] = 0x01;
	p[off++] = 0x01;
	p[off++] = 0x11;
	p[off++] = 0x00;
	memcpy(p + off, dht_dc, sizeof dht_dc);
	off += sizeof dht_dc;
	memcpy(p + off, dht_ac, sizeof dht_ac);
	off += sizeof dht_ac;
	memcpy(p + off, sos, sizeof sos);
	off += sizeof sos;
	memset(&bits, 0, sizeof bits);
	bits.buf = p;
	bits.len = off;
	for (by = 0; by < bh; by++)
		for (bx = 0; bx < bw; bx++) {
			int level = ((bx / 4 + by / 4) % 2) ? 12 : 0;
			int diff = level - prev;

			prev = level;
			if (diff == 0)
				ctl_bits_put(&bits, 0, 1);
			else {
				/* Category 4: 4 extra bits, negative values
				 * as ones' complement. */
				ctl_bits_put(&bits, 2, 2);
				ctl_bits_put(&bits,
				    diff > 0 ? (uint32_t)diff
				             : (uint32_t)(diff + 15),
				    4);
			}
			ctl_bits_put(&bits, 0, 1); /* EOB */
		}
	/* Pad the last byte with one bits. */
	if (bits.n > 0)
		ctl_bits_put(&bits, 0xff, 8 - bits.n);
	off = bits.len;
	p[off++] = 0xff;
	p[off++] = 0xd9; /* EOI */
	*len = off;
	return p;
}

/* photo CHAT AUTHOR W H: a generated JPEG, served over HTTP. */
static void
cmd_photo(struct ctl_client *c, char **argv, int argc)
{
	int64_t chat, author, w, h, id;
	uint8_t *jpeg;
	size_t len;

	(void)argc;
	if (ctl_id(c, "CHAT", argv[0], &chat) != 0 ||
	    ctl_id(c, "AUTHOR", argv[1], &author) != 0 ||
	    ctl_arg(c, "W", argv[2], 1, CTL_PHOTO_SIDE_MAX, &w) != 0 ||
	    ctl_arg(c, "H", argv[3], 1, CTL_PHOTO_SIDE_MAX, &h) != 0)
		return;
	jpeg = locosim_make_jpeg((int)w, (int)h, &len);
	id = locosim_send_photo(c->ctl->sim, chat, author, jpeg, len,
	    (int32_t)w, (int32_t)h);
	free(jpeg);
	if (id < 0)
		ctl_refused(c, "send a photo", chat, author);
	else
		ctl_ok(c, "%lld", (long long)id);
}

/* delete CHAT BY LOG: delete a message for everyone. */
static void
cmd_delete(struct ctl_client *c, char **argv, int argc)
{
	int64_t chat, by, log, id;

	(void)argc;
	if (ctl_id(c, "CHAT", argv[0], &chat) != 0 ||
	    ctl_id(c, "BY", argv[1], &by) != 0 ||
	    ctl_id(c, "LOG", argv[2], &log) != 0)
		return;
	if ((id = locosim_delete(c->ctl->sim, chat, by, log)) < 0)
		ctl_refused_log(c, "delete", chat, by, log);
	else
		ctl_ok(c, "%lld", (long long)id);
}

/* react CHAT USER LOG [TYPE]: a reaction, like (1) by default. */
static void
cmd_react(struct ctl_client *c, char **argv, int argc)
{
	int64_t chat, user, log, type = 1;

	if (ctl_id(c, "CHAT", argv[0], &chat) != 0 ||
	    ctl_id(c, "USER", argv[1], &user) != 0 ||
	    ctl_id(c, "LOG", argv[2], &log) != 0 ||
	    (argc > 3 &&
	        ctl_arg(c, "TYPE", argv[3], INT32_MIN, INT32_MAX, &type) != 0))
		return;
	if (locosim_react(c->ctl->sim, chat, user, log, (int32_t)type) != 0)
		ctl_refused_log(c, "react", chat, user, log);
	else
		ctl_ok0(c);
}

/* join CHAT USER INVITER: INVITER adds USER to the chat. */
static void
cmd_join(struct ctl_client *c, char **argv, int argc)
{
	struct locosim_world *w = locosim_world(c->ctl->sim);
	struct locosim_chat *chat;
	int64_t chat_id, user, inviter, id;

	(void)argc;
	if (ctl_id(c, "CHAT", argv[0], &chat_id) != 0 ||
	    ctl_id(c, "USER", argv[1], &user) != 0 ||
	    ctl_id(c, "INVITER", argv[2], &inviter) != 0)
		return;
	if ((id = locosim_join(c->ctl->sim, chat_id, user, inviter)) >= 0) {
		ctl_ok(c, "%lld", (long long)id);
		return;
	}
	if ((chat = locosim_world_chat(w, chat_id)) == NULL)
		ctl_err(c, "cannot join: no chat %lld", (long long)chat_id);
	else if (locosim_world_user(w, user) == NULL)
		ctl_err(c, "cannot join: no user %lld", (long long)user);
	else if (locosim_chat_member(chat, user) != NULL)
		ctl_err(c, "cannot join: user %lld is already in chat %lld",
		    (long long)user, (long long)chat_id);
	else
		ctl_err(c, "cannot join: refused by the simulator");
}

/* leave CHAT USER: USER leaves the chat. */
static void
cmd_leave(struct ctl_client *c, char **argv, int argc)
{
	int64_t chat, user, id;

	(void)argc;
	if (ctl_id(c, "CHAT", argv[0], &chat) != 0 ||
	    ctl_id(c, "USER", argv[1], &user) != 0)
		return;
	if ((id = locosim_leave(c->ctl->sim, chat, user)) < 0)
		ctl_refused(c, "leave", chat, user);
	else
		ctl_ok(c, "%lld", (long long)id);
}

/* rename CHAT BY TITLE: set the chat title. */
static void
cmd_rename(struct ctl_client *c, char **argv, int argc)
{
	int64_t chat, by;

	(void)argc;
	if (ctl_id(c, "CHAT", argv[0], &chat) != 0 ||
	    ctl_id(c, "BY", argv[1], &by) != 0)
		return;
	if (locosim_rename(c->ctl->sim, chat, by, argv[2]) != 0)
		ctl_refused(c, "rename", chat, by);
	else
		ctl_ok0(c);
}

/* notice CHAT BY TEXT: set the chat notice. */
static void
cmd_notice(struct ctl_client *c, char **argv, int argc)
{
	int64_t chat, by;

	(void)argc;
	if (ctl_id(c, "CHAT", argv[0], &chat) != 0 ||
	    ctl_id(c, "BY", argv[1], &by) != 0)
		return;
	if (locosim_set_notice(c->ctl->sim, chat, by, argv[2]) != 0)
		ctl_refused(c, "set the notice", chat, by);
	else
		ctl_ok0(c);
}

/* read CHAT USER WATERMARK: USER has read up to WATERMARK. */
static void
cmd_read(struct ctl_client *c, char **argv, int argc)
{
	int64_t chat, user, mark;

	(void)argc;
	if (ctl_id(c, "CHAT", argv[0], &chat) != 0 ||
	    ctl_id(c, "USER", argv[1], &user) != 0 ||
	    ctl_id(c, "WATERMARK", argv[2], &mark) != 0)
		return;
	if (locosim_mark_read(c->ctl->sim, chat, user, mark) != 0)
		ctl_refused(c, "mark read", chat, user);
	else
		ctl_ok0(c);
}

/* create TYPE TITLE MEMBER...: a new chat made by the first member. */
static void
cmd_create(struct ctl_client *c, char **argv, int argc)
{
	struct locosim_world *w = locosim_world(c->ctl->sim);
	int64_t members[CTL_ARGS_MAX], id;
	size_t n = 0;
	int i, j;

	if (!locosim_chat_type_is_valid(argv[0])) {
		ctl_err(c, "cannot create: unknown chat type '%.20s'", argv[0]);
		return;
	}
	for (i = 2; i < argc; i++) {
		if (ctl_id(c, "MEMBER", argv[i], &members[n]) != 0)
			return;
		if (locosim_world_user(w, members[n]) == NULL) {
			ctl_err(c, "cannot create: no user %lld",
			    (long long)members[n]);
			return;
		}
		for (j = 0; j < (int)n; j++)
			if (members[j] == members[n]) {
				ctl_err(c,
				    "cannot create: user %lld listed "
				    "twice",
				    (long long)members[n]);
				return;
			}
		n++;
	}
	id = locosim_create_chat(c->ctl->sim, argv[0], members, n,
	    strcmp(argv[1], "-") == 0 ? NULL : argv[1]);
	if (id < 0)
		ctl_err(c, "cannot create: refused by the simulator");
	else
		ctl_ok(c, "%lld", (long long)id);
}

/*
 * Queue a multi-line reply: "ok N", the N lines of body, then ".". A body
 * over CTL_REPLY_MAX is refused so one command cannot balloon the output.
 */
static void
ctl_dump(struct ctl_client *c, struct evbuffer *body, size_t n)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	if (evbuffer_get_length(body) > CTL_REPLY_MAX) {
		ctl_err(c,
		    "reply too large (%zu lines, %zu bytes); ask for "
		    "fewer",
		    n, evbuffer_get_length(body));
		return;
	}
	evbuffer_add_printf(out, "ok %zu\n", n);
	evbuffer_add_buffer(out, body);
	evbuffer_add(out, ".\n", 2);
}

/* Append doc as one JSON line to body; 0, or -1 when it cannot render. */
static int
ctl_json_line(struct evbuffer *body, const bson_t *doc)
{
	char *json = loco_json_from_bson(doc);

	if (json == NULL)
		return -1;
	evbuffer_add_printf(body, "%s\n", json);
	free(json);
	return 0;
}

/* Append key: s as a UTF-8-valid string (repairing a bad one). */
static void
ctl_append_str(bson_t *doc, const char *key, const char *s)
{
	char *fixed;

	if (s == NULL)
		s = "";
	fixed = loco_utf8_repair(s, strlen(s));
	loco_bson_append_str(doc, key, fixed);
	free(fixed);
}

/* The count argument of log and writes: default, 0 = all. */
static int
ctl_dump_count(struct ctl_client *c, char **argv, int argc, int i, size_t *n)
{
	int64_t v;

	*n = CTL_DUMP_DEFAULT;
	if (argc <= i)
		return 0;
	if (ctl_arg(c, "N", argv[i], 0, INT32_MAX, &v) != 0)
		return -1;
	*n = v == 0 ? SIZE_MAX : (size_t)v;
	return 0;
}

/* log CHAT [N]: the last N messages of a chat as JSON lines. */
static void
cmd_log(struct ctl_client *c, char **argv, int argc)
{
	struct locosim_chat *chat;
	struct evbuffer *body;
	int64_t chat_id;
	size_t n, i, first, lines = 0;

	if (ctl_id(c, "CHAT", argv[0], &chat_id) != 0 ||
	    ctl_dump_count(c, argv, argc, 1, &n) != 0)
		return;
	chat = locosim_world_chat(locosim_world(c->ctl->sim), chat_id);
	if (chat == NULL) {
		ctl_err(c, "no chat %lld", (long long)chat_id);
		return;
	}
	first = chat->n_log > n ? chat->n_log - n : 0;
	body = evbuffer_new();
	for (i = first; i < chat->n_log; i++) {
		const struct loco_chatlog *cl = &chat->log[i];
		bson_t doc;

		bson_init(&doc);
		bson_append_int64(&doc, "logId", -1, cl->log_id);
		bson_append_int64(&doc, "prevId", -1, cl->prev_id);
		bson_append_int64(&doc, "chatId", -1, cl->chat_id);
		bson_append_int64(&doc, "authorId", -1, cl->author_id);
		bson_append_int32(&doc, "type", -1, cl->type);
		bson_append_int64(&doc, "sendAt", -1, cl->send_at);
		bson_append_int64(&doc, "msgId", -1, cl->msg_id);
		ctl_append_str(&doc, "message", cl->message);
		ctl_append_str(&doc, "attachment", cl->attachment);
		if (ctl_json_line(body, &doc) == 0)
			lines++;
		bson_destroy(&doc);
	}
	ctl_dump(c, body, lines);
	evbuffer_free(body);
}

/* watermarks CHAT: every member's read watermark as JSON lines. */
static void
cmd_watermarks(struct ctl_client *c, char **argv, int argc)
{
	struct locosim_chat *chat;
	struct evbuffer *body;
	int64_t chat_id;
	size_t i, lines = 0;

	(void)argc;
	if (ctl_id(c, "CHAT", argv[0], &chat_id) != 0)
		return;
	chat = locosim_world_chat(locosim_world(c->ctl->sim), chat_id);
	if (chat == NULL) {
		ctl_err(c, "no chat %lld", (long long)chat_id);
		return;
	}
	body = evbuffer_new();
	for (i = 0; i < chat->n_members; i++) {
		bson_t doc;

		bson_init(&doc);
		bson_append_int64(&doc, "userId", -1, chat->members[i].user_id);
		bson_append_int64(&doc, "watermark", -1,
		    chat->members[i].watermark);
		if (ctl_json_line(body, &doc) == 0)
			lines++;
		bson_destroy(&doc);
	}
	ctl_dump(c, body, lines);
	evbuffer_free(body);
}

/* writes [N]: the last N WRITEs clients sent as JSON lines. */
static void
cmd_writes(struct ctl_client *c, char **argv, int argc)
{
	const struct locosim *sim = c->ctl->sim;
	struct evbuffer *body;
	size_t n, i, total, first, lines = 0;

	if (ctl_dump_count(c, argv, argc, 0, &n) != 0)
		return;
	total = locosim_write_count(sim);
	first = total > n ? total - n : 0;
	body = evbuffer_new();
	for (i = first; i < total; i++) {
		const struct locosim_write *wr = locosim_write_get(sim, i);
		bson_t doc;

		if (wr == NULL)
			break;
		bson_init(&doc);
		bson_append_int64(&doc, "chatId", -1, wr->chat_id);
		bson_append_int64(&doc, "authorId", -1, wr->author);
		bson_append_int64(&doc, "logId", -1, wr->log_id);
		bson_append_int64(&doc, "msgId", -1, wr->msg_id);
		bson_append_int32(&doc, "type", -1, wr->type);
		ctl_append_str(&doc, "message", wr->text);
		ctl_append_str(&doc, "extra", wr->extra);
		bson_append_int32(&doc, "status", -1, wr->status);
		if (ctl_json_line(body, &doc) == 0)
			lines++;
		bson_destroy(&doc);
	}
	ctl_dump(c, body, lines);
	evbuffer_free(body);
}

/* sessions [USER]: how many chat sessions are logged in. */
static void
cmd_sessions(struct ctl_client *c, char **argv, int argc)
{
	int64_t user = 0;

	if (argc > 0 && ctl_id(c, "USER", argv[0], &user) != 0)
		return;
	ctl_ok(c, "%zu", locosim_session_count(c->ctl->sim, user));
}

/* count METHOD: how many packets with METHOD clients sent. */
static void
cmd_count(struct ctl_client *c, char **argv, int argc)
{
	(void)argc;
	if (!loco_method_is_valid(argv[0])) {
		ctl_err(c, "'%.20s' is not a LOCO method name", argv[0]);
		return;
	}
	ctl_ok(c, "%zu", locosim_request_count(c->ctl->sim, argv[0]));
}

/* Parse the USER argument of a fault (0 = every user). */
static int
ctl_fault_user(struct ctl_client *c, const char *s, int64_t *user)
{
	return ctl_id(c, "USER", s, user);
}

/* drop USER: abort the TCP connections of USER's sessions. */
static void
cmd_drop(struct ctl_client *c, char **argv, int argc)
{
	int64_t user;

	(void)argc;
	if (ctl_fault_user(c, argv[0], &user) == 0)
		ctl_ok(c, "%d", locosim_drop(c->ctl->sim, user));
}

/* changesvr USER: push CHANGESVR. */
static void
cmd_changesvr(struct ctl_client *c, char **argv, int argc)
{
	int64_t user;

	(void)argc;
	if (ctl_fault_user(c, argv[0], &user) == 0)
		ctl_ok(c, "%d", locosim_changesvr(c->ctl->sim, user));
}

/* kickout USER [REASON]: push KICKOUT and hang up. */
static void
cmd_kickout(struct ctl_client *c, char **argv, int argc)
{
	int64_t user, reason = 0;

	if (ctl_fault_user(c, argv[0], &user) != 0 ||
	    (argc > 1 &&
	        ctl_arg(c, "REASON", argv[1], INT32_MIN, INT32_MAX, &reason) !=
	            0))
		return;
	ctl_ok(c, "%d", locosim_kickout(c->ctl->sim, user, (int32_t)reason));
}

/* corrupt USER: damage the next frame sent to USER. */
static void
cmd_corrupt(struct ctl_client *c, char **argv, int argc)
{
	int64_t user;

	(void)argc;
	if (ctl_fault_user(c, argv[0], &user) == 0)
		ctl_ok(c, "%d", locosim_corrupt_next_frame(c->ctl->sim, user));
}

/* unknown USER METHOD: push a method no client knows. */
static void
cmd_unknown(struct ctl_client *c, char **argv, int argc)
{
	int64_t user;
	int n;

	(void)argc;
	if (ctl_fault_user(c, argv[0], &user) != 0)
		return;
	if ((n = locosim_push_unknown(c->ctl->sim, user, argv[1])) < 0)
		ctl_err(c, "'%.20s' is not a LOCO method name", argv[1]);
	else
		ctl_ok(c, "%d", n);
}

/* stall USER: hold all traffic of USER's sessions. */
static void
cmd_stall(struct ctl_client *c, char **argv, int argc)
{
	int64_t user;

	(void)argc;
	if (ctl_fault_user(c, argv[0], &user) == 0)
		ctl_ok(c, "%d", locosim_stall(c->ctl->sim, user, true));
}

/* unstall USER: release what stall held. */
static void
cmd_unstall(struct ctl_client *c, char **argv, int argc)
{
	int64_t user;

	(void)argc;
	if (ctl_fault_user(c, argv[0], &user) == 0)
		ctl_ok(c, "%d", locosim_stall(c->ctl->sim, user, false));
}

/* reorder N: send the next N responses newest first. */
static void
cmd_reorder(struct ctl_client *c, char **argv, int argc)
{
	int64_t n;

	(void)argc;
	if (ctl_arg(c, "N", argv[0], 0, 1000, &n) != 0)
		return;
	locosim_reorder_responses(c->ctl->sim, (unsigned)n);
	ctl_ok0(c);
}

/* delay MS: delay every response. */
static void
cmd_delay(struct ctl_client *c, char **argv, int argc)
{
	int64_t ms;

	(void)argc;
	if (ctl_arg(c, "MS", argv[0], 0, 600000, &ms) != 0)
		return;
	locosim_set_response_delay(c->ctl->sim, (unsigned)ms);
	ctl_ok0(c);
}

/* expire and unexpire: one account's token. */
static void
ctl_expire(struct ctl_client *c, const char *arg, bool expired)
{
	int64_t user;

	if (ctl_id(c, "USER", arg, &user) != 0)
		return;
	if (locosim_expire_token(c->ctl->sim, user, expired) != 0)
		ctl_err(c, "no account for user %lld", (long long)user);
	else
		ctl_ok0(c);
}

/* expire USER: LOGINLIST answers -950 for USER. */
static void
cmd_expire(struct ctl_client *c, char **argv, int argc)
{
	(void)argc;
	ctl_expire(c, argv[0], true);
}

/* unexpire USER: LOGINLIST works again for USER. */
static void
cmd_unexpire(struct ctl_client *c, char **argv, int argc)
{
	(void)argc;
	ctl_expire(c, argv[0], false);
}

/* faillogin STATUS: the next LOGINLIST answers STATUS. */
static void
cmd_faillogin(struct ctl_client *c, char **argv, int argc)
{
	int64_t status;

	(void)argc;
	if (ctl_arg(c, "STATUS", argv[0], INT32_MIN, INT32_MAX, &status) != 0)
		return;
	locosim_fail_next_login(c->ctl->sim, (int32_t)status);
	ctl_ok0(c);
}

/* save [PATH]: write the world now. */
static void
cmd_save(struct ctl_client *c, char **argv, int argc)
{
	struct locosim *sim = c->ctl->sim;
	const char *path = argc > 0 ? argv[0] : sim->save_path;
	struct loco_error err;

	if (path == NULL) {
		ctl_err(c, "cannot save: no PATH given and no -s save file");
		return;
	}
	if (locosim_world_save(locosim_world(sim), path, &err) != 0)
		ctl_err(c, "cannot save: %s", err.msg);
	else
		ctl_ok0(c);
}

/* help: every command with its arguments. */
static void
cmd_help(struct ctl_client *c, char **argv, int argc)
{
	struct evbuffer *body = evbuffer_new();
	size_t i;

	(void)argv;
	(void)argc;
	for (i = 0; i < CTL_NCOMMANDS; i++)
		evbuffer_add_printf(body, "%s%s%s\n", ctl_commands[i].name,
		    ctl_commands[i].usage[0] != '\0' ? " " : "",
		    ctl_commands[i].usage);
	ctl_dump(c, body, CTL_NCOMMANDS);
	evbuffer_free(body);
}

/* quit: say goodbye and close once it is sent. */
static void
cmd_quit(struct ctl_client *c, char **argv, int argc)
{
	(void)argv;
	(void)argc;
	ctl_ok(c, "bye");
	c->closing = true;
}

/* Whether ch separates arguments. */
static bool
ctl_is_space(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Split line into the command name and its arguments, then run it. */
static void
ctl_execute(struct ctl_client *c, char *line)
{
	char *argv[CTL_ARGS_MAX], *p = line, *name;
	const struct ctl_command *cmd = NULL;
	int argc = 0;
	size_t i;

	while (ctl_is_space(*p))
		p++;
	if (*p == '\0')
		return; /* blank lines are ignored */
	name = p;
	while (*p != '\0' && !ctl_is_space(*p))
		p++;
	if (*p != '\0')
		*p++ = '\0';
	for (i = 0; i < CTL_NCOMMANDS; i++)
		if (strcmp(ctl_commands[i].name, name) == 0) {
			cmd = &ctl_commands[i];
			break;
		}
	if (cmd == NULL) {
		ctl_err(c, "unknown command '%.32s' (try help)", name);
		return;
	}
	for (;;) {
		while (ctl_is_space(*p))
			p++;
		if (*p == '\0')
			break;
		if (argc == cmd->max_args) {
			ctl_err(c, "too many arguments; usage: %s%s%s",
			    cmd->name, cmd->usage[0] != '\0' ? " " : "",
			    cmd->usage);
			return;
		}
		argv[argc++] = p;
		/* Text commands: the last argument is the rest of the line. */
		if (cmd->rest && argc == cmd->max_args)
			break;
		while (*p != '\0' && !ctl_is_space(*p))
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}
	if (argc < cmd->min_args) {
		ctl_err(c, "missing arguments; usage: %s %s", cmd->name,
		    cmd->usage);
		return;
	}
	cmd->handler(c, argv, argc);
}

/* Free c and its connection; it must not be used afterwards. */
static void
ctl_client_free(struct ctl_client *c)
{
	struct locosim_control *ctl = c->ctl;

	log_debug("%s: ctl#%u gone", __func__, c->serial);
	TAILQ_REMOVE(&ctl->clients, c, entry);
	ctl->n_clients--;
	bufferevent_free(c->bev);
	free(c);
}

/*
 * Stop taking commands and free c once its output has been sent (at once
 * when nothing is queued). Returns -1 when c was freed.
 */
static int
ctl_finish(struct ctl_client *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);

	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	evbuffer_drain(in, evbuffer_get_length(in));
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		ctl_client_free(c);
		return -1;
	}
	/* The write callback now runs only once everything is out. */
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	bufferevent_enable(c->bev, EV_WRITE);
	return 0;
}

/* Check one command line (len bytes, NUL-terminated) and run it. */
static void
ctl_line(struct ctl_client *c, char *line, size_t len)
{
	if (strlen(line) != len) {
		ctl_err(c, "NUL byte in command line");
		return;
	}
	if (!bson_utf8_validate(line, len, false)) {
		ctl_err(c, "command line is not valid UTF-8");
		return;
	}
	if (log_get_level() >= LOG_LEVEL_DEBUG &&
	    line[strspn(line, " \t")] != '\0') {
		char esc[256];

		log_debug("ctl#%u: %s", c->serial,
		    log_escape(esc, sizeof esc, line, len));
	}
	ctl_execute(c, line);
}

/* After EOF: run a last line that has no LF, if any. */
static void
ctl_last_line(struct ctl_client *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t len = evbuffer_get_length(in);
	char *line;

	if (len == 0)
		return;
	line = xmalloc(len + 1);
	evbuffer_remove(in, line, len);
	if (line[len - 1] == '\r')
		len--;
	line[len] = '\0';
	ctl_line(c, line, len);
	free(line);
}

/*
 * Handle complete lines while the output is below its high-water mark and
 * the budget lasts; after EOF or quit, finish. Returns -1 when c was freed.
 */
static int
ctl_process(struct ctl_client *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct evbuffer_ptr eol;
	unsigned budget = CTL_BUDGET;
	size_t eol_len, len;
	char *line;

	while (!c->closing) {
		if (evbuffer_get_length(out) >= CTL_OUT_HIWAT) {
			/* Wait for the write callback at the low mark. */
			bufferevent_disable(c->bev, EV_READ);
			return 0;
		}
		if (budget-- == 0) {
			/* Yield; a deferred read callback resumes here. */
			bufferevent_trigger(c->bev, EV_READ,
			    BEV_TRIG_IGNORE_WATERMARKS |
			        BEV_TRIG_DEFER_CALLBACKS);
			return 0;
		}
		eol =
		    evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_CRLF);
		if (eol.pos < 0 && evbuffer_get_length(in) > CTL_LINE_MAX + 1)
			goto too_long;
		if (eol.pos < 0) {
			if (!c->eof)
				return 0;
			ctl_last_line(c);
			break;
		}
		if ((size_t)eol.pos > CTL_LINE_MAX)
			goto too_long;
		if ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF)) ==
		    NULL)
			return 0;
		ctl_line(c, line, len);
		free(line);
	}
	return ctl_finish(c);
too_long:
	ctl_err(c, "line too long (limit %d bytes); closing", CTL_LINE_MAX);
	log_info("ctl#%u: line too long; closing", c->serial);
	return ctl_finish(c);
}

/* New input: handle the complete lines. */
static void
ctl_read_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_client *c = arg;

	(void)bev;
	if (!c->closing)
		(void)ctl_process(c);
}

/* Output drained to the low mark (or, when closing, to empty). */
static void
ctl_write_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_client *c = arg;

	if (c->closing) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			ctl_client_free(c);
		return;
	}
	/* Drained to the low mark: take commands again. */
	if (!c->eof)
		bufferevent_enable(bev, EV_READ);
	(void)ctl_process(c);
}

/* EOF, error or write timeout on a control client. */
static void
ctl_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_client *c = arg;

	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) &&
	    !c->closing) {
		/* Half-closed (printf ... | nc): answer what came, then go. */
		c->eof = true;
		bufferevent_disable(bev, EV_READ);
		(void)ctl_process(c);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		log_info("ctl#%u: not reading its replies; dropped", c->serial);
	else if (what & BEV_EVENT_ERROR)
		log_debug("%s: ctl#%u: %s", __func__, c->serial,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	ctl_client_free(c);
}

/* A new control client. */
static void
ctl_accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct locosim_control *ctl = arg;
	struct timeval tv = {CTL_WRITE_TIMEOUT, 0};
	struct ctl_client *c;

	(void)l;
	(void)sa;
	(void)salen;
	c = xcalloc(1, sizeof *c);
	c->ctl = ctl;
	c->serial = ++ctl->next_serial;
	c->bev = bufferevent_socket_new(evconnlistener_get_base(l), fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		log_warnx("ctl: cannot make a bufferevent");
		evutil_closesocket(fd);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&ctl->clients, c, entry);
	ctl->n_clients++;
	bufferevent_setcb(c->bev, ctl_read_cb, ctl_write_cb, ctl_event_cb, c);
	/* Read no more than one maximal line ahead; drain output to the low
	 * mark before resuming after a pause. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, CTL_LINE_MAX + 3);
	bufferevent_setwatermark(c->bev, EV_WRITE, CTL_OUT_LOWAT, 0);
	bufferevent_set_timeouts(c->bev, NULL, &tv);
	log_debug("%s: ctl#%u connected", __func__, c->serial);
	if (ctl->n_clients > CTL_CLIENTS_MAX) {
		ctl_err(c, "too many control clients");
		(void)ctl_finish(c);
		return;
	}
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* Accept again after a pause for lack of descriptors. */
static void
ctl_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct locosim_control *ctl = arg;

	(void)fd;
	(void)what;
	evconnlistener_enable(ctl->listener);
}

/* accept failed; pause a second on EMFILE/ENFILE. */
static void
ctl_accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct locosim_control *ctl = arg;
	struct timeval tv = {1, 0};
	int e = EVUTIL_SOCKET_ERROR();

	log_warnx("ctl: accept failed: %s", evutil_socket_error_to_string(e));
	/* Out of descriptors: pause for a second rather than spin. */
	if (e == EMFILE || e == ENFILE) {
		evconnlistener_disable(l);
		evtimer_add(ctl->resume, &tv);
	}
}

/* Bind the control listener and record its port. */
struct locosim_control *
locosim_control_new(struct locosim *sim, struct loco_error *err)
{
	struct locosim_control *ctl = xcalloc(1, sizeof *ctl);
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int sslen = sizeof ss;
	char spec[300];
	const char *host = sim->listen_host ? sim->listen_host : "127.0.0.1";
	uint16_t port = sim->opts.ports[LOCOSIM_CONTROL];

	ctl->sim = sim;
	TAILQ_INIT(&ctl->clients);
	/*
	 * Parse the host alone: evutil_parse_sockaddr_port refuses an explicit
	 * port 0, so the port is set afterwards. An IPv6 literal may come
	 * with or without brackets.
	 */
	snprintf(spec, sizeof spec,
	    strchr(host, ':') != NULL && host[0] != '[' ? "[%s]" : "%s", host);
	memset(&ss, 0, sizeof ss);
	if (evutil_parse_sockaddr_port(spec, (struct sockaddr *)&ss, &sslen) !=
	    0) {
		loco_error_set(err, LOCO_ERR_CONFIG,
		    "cannot parse control address '%s'", host);
		goto fail;
	}
	if (ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
	ctl->listener = evconnlistener_new_bind(sim->base, ctl_accept_cb, ctl,
	    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
	    -1, (struct sockaddr *)&ss, sslen);
	if (ctl->listener == NULL) {
		loco_error_set(err, LOCO_ERR_IO,
		    "cannot listen for control on %s port %u: %s", spec, port,
		    strerror(errno));
		goto fail;
	}
	evconnlistener_set_error_cb(ctl->listener, ctl_accept_error_cb);
	ctl->resume = evtimer_new(sim->base, ctl_resume_cb, ctl);
	if (getsockname(evconnlistener_get_fd(ctl->listener),
	        (struct sockaddr *)&ss, &len) != 0) {
		loco_error_set(err, LOCO_ERR_IO, "getsockname: %s",
		    strerror(errno));
		goto fail;
	}
	sim->ports[LOCOSIM_CONTROL] = ntohs(ss.ss_family == AF_INET6
	        ? ((struct sockaddr_in6 *)&ss)->sin6_port
	        : ((struct sockaddr_in *)&ss)->sin_port);
	log_debug("%s: control on %s port %u", __func__, host,
	    sim->ports[LOCOSIM_CONTROL]);
	return ctl;
fail:
	locosim_control_free(ctl);
	return NULL;
}

/* Drop every control client and the listener. */
void
locosim_control_free(struct locosim_control *ctl)
{
	struct ctl_client *c;

	if (ctl == NULL)
		return;
	while ((c = TAILQ_FIRST(&ctl->clients)) != NULL)
		ctl_client_free(c);
	if (ctl->listener != NULL)
		evconnlistener_free(ctl->listener);
	if (ctl->resume != NULL)
		event_free(ctl->resume);
	free(ctl);
}
