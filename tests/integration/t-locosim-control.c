/* locoirc: see LICENSE.
 *
 * locosim's control socket, driven over TCP like a person or a script
 * would: every acting command must have its effect on logged-in clients,
 * log and writes must read back what clients did, faults must apply, and
 * bad input must get "err" without taking the simulator down. Then the
 * locosim program itself is spawned with ports 0, found by its READY
 * line, driven the same way and stopped with SIGTERM: it must exit 0.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <bson/bson.h>

#include "loco-boot.h"
#include "loco-bson.h"
#include "loco-chat.h"
#include "loco-chatlog.h"
#include "loco-conn.h"
#include "loco-key.h"
#include "loco-msg.h"
#include "loco-msgtype.h"
#include "loco-secure.h"
#include "locosim.h"
#include "locosim-world.h"
#include "tap.h"
#include "tclient.h"

#define UA INT64_C(7000000001)
#define UB INT64_C(7000000002)
#define UC INT64_C(7000000003)
#define UD INT64_C(7000000004)
#define CHAT_GROUP INT64_C(10)

/* How long to let stray packets arrive when proving that none came. */
#define QUIET_MS 150
/* Packet ids the tests choose themselves, far from tclient's own. */
#define OWN_ID 500000u
/* Lines sent as raw bytes (sizeof - 1 leaves out the final NUL). */
#define GARBAGE "\x01\x02\xfe\xff garbage\n"
#define WITH_NUL "sessions\0 1\n"
#define BLANKS "\n  \nsessions\r\n"
/* Longer than the control socket's line limit (64 KiB). */
#define LONG_LINE (70 * 1024)

static const char world_json[] =
    "{\"users\": ["
    "  {\"userId\": 7000000001, \"nickName\": \"Alice\"},"
    "  {\"userId\": 7000000002, \"nickName\": \"Bob\"},"
    "  {\"userId\": 7000000003, \"nickName\": \"Carol\"},"
    "  {\"userId\": 7000000004, \"nickName\": \"Dave\"}],"
    " \"accounts\": ["
    "  {\"userId\": 7000000001, \"accessToken\": \"tok-alice\","
    "   \"deviceUuid\": \"dev-alice\"},"
    "  {\"userId\": 7000000002, \"accessToken\": \"tok-bob\","
    "   \"deviceUuid\": \"dev-bob\"}],"
    " \"chats\": ["
    "  {\"chatId\": 10, \"type\": \"MultiChat\", \"title\": \"Group\","
    "   \"members\": [7000000001, 7000000002, 7000000003],"
    "   \"messages\": [{\"authorId\": 7000000002, \"message\": \"hi\"}]}]}";

/* A control-socket client on the test's loop. */
struct ctl {
	struct bufferevent *bev; /* owned */
	bool closed;
};

/* The simulator under test: in-process, or the spawned program. */
struct fix {
	struct locosim *sim; /* in-process only */
	EVP_PKEY *key;       /* borrowed: the secure layer's key */
	uint16_t chat_port;
	uint16_t ctl_port;
	struct tclient *a; /* A's session */
};

static void ctl_event_cb(struct bufferevent *bev, short what, void *arg);
static void kill_child(void);
static void sigchld_cb(evutil_socket_t sig, short what, void *arg);
static bool ctl_has_line(void *arg);
static bool one_session(void *arg);
static bool reaped(void *arg);

static struct event_base *base;
static char rsa_path[512], cert_path[512], certkey_path[512];
static pid_t child = -1;

/* The control connection was closed or failed. */
static void
ctl_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ctl *c = arg;

	(void)bev;
	if (!(what & BEV_EVENT_CONNECTED))
		c->closed = true;
}

/* Connect to a control port on 127.0.0.1. */
static struct ctl *
ctl_open(uint16_t port)
{
	struct sockaddr_in sin;
	struct ctl *c = calloc(1, sizeof *c);

	c->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(c->bev, NULL, NULL, ctl_event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&sin,
	        sizeof sin) != 0)
		c->closed = true;
	return c;
}

/* Close a control connection; NULL is a no-op. */
static void
ctl_close(struct ctl *c)
{
	if (c == NULL)
		return;
	bufferevent_free(c->bev);
	free(c);
}

/* A whole reply line is buffered, or none can come. */
static bool
ctl_has_line(void *arg)
{
	struct ctl *c = arg;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t n;

	return c->closed ||
	    evbuffer_search_eol(in, NULL, &n, EVBUFFER_EOL_LF).pos >= 0;
}

/* The next reply line (malloc'd, without its LF), or NULL. */
static char *
ctl_read(struct ctl *c)
{
	char *line;

	tclient_loop_until(base, ctl_has_line, c, TCLIENT_WAIT_MS);
	line = evbuffer_readln(bufferevent_get_input(c->bev), NULL,
	    EVBUFFER_EOL_LF);
	if (line == NULL)
		diag("control: no reply line%s", c->closed ? " (closed)" : "");
	return line;
}

/* Send raw bytes as they are. */
static void
ctl_write(struct ctl *c, const void *data, size_t len)
{
	bufferevent_write(c->bev, data, len);
}

/* Send one command line (printf-style) and return the reply line. */
static char *__attribute__((format(printf, 2, 3)))
ctl_cmd(struct ctl *c, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	evbuffer_add_printf(bufferevent_get_output(c->bev), "%s\n", line);
	return ctl_read(c);
}

/* The number after "ok ", or INT64_MIN when the reply is not that. */
static int64_t
ok_num(const char *reply)
{
	char *end;
	long long v;

	if (reply == NULL || strncmp(reply, "ok ", 3) != 0)
		return INT64_MIN;
	v = strtoll(reply + 3, &end, 10);
	return *end == '\0' && end != reply + 3 ? v : INT64_MIN;
}

/* Run a command that must answer "ok N"; N or INT64_MIN. */
static int64_t __attribute__((format(printf, 2, 3)))
ctl_num(struct ctl *c, const char *fmt, ...)
{
	char line[1024], *reply;
	int64_t v;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	reply = ctl_cmd(c, "%s", line);
	v = ok_num(reply);
	if (!ok(v != INT64_MIN, "'%.40s' answers ok N", line))
		diag("reply: %s", reply ? reply : "(none)");
	free(reply);
	return v;
}

/* Run a command that must answer exactly "ok". */
static bool __attribute__((format(printf, 2, 3)))
ctl_ok(struct ctl *c, const char *fmt, ...)
{
	char line[1024], *reply;
	bool good;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	reply = ctl_cmd(c, "%s", line);
	good = reply != NULL && strcmp(reply, "ok") == 0;
	if (!ok(good, "'%.40s' answers ok", line))
		diag("reply: %s", reply ? reply : "(none)");
	free(reply);
	return good;
}

/* Check that a reply is "err <something>". */
static void
is_err(char *reply, const char *what)
{
	ok(reply != NULL && strncmp(reply, "err ", 4) == 0 && reply[4] != '\0',
	    "%s gets err (%s)", what, reply ? reply : "no reply");
	free(reply);
}

/*
 * A dump command: "ok N", N lines, ".". Returns the lines as a
 * NULL-terminated malloc'd vector (free with free_lines) or NULL.
 */
static char **
ctl_dump(struct ctl *c, const char *cmd, size_t *n)
{
	char *reply = ctl_cmd(c, "%s", cmd), **v, *dot;
	int64_t count = ok_num(reply);
	size_t i;

	*n = 0;
	free(reply);
	if (!ok(count >= 0 && count < 10000, "'%s' answers ok N", cmd))
		return NULL;
	v = calloc((size_t)count + 1, sizeof *v);
	for (i = 0; i < (size_t)count; i++)
		if ((v[i] = ctl_read(c)) == NULL)
			break;
	*n = i;
	dot = ctl_read(c);
	ok(*n == (size_t)count && dot != NULL && strcmp(dot, ".") == 0,
	    "'%s' sends %lld lines and a final dot", cmd, (long long)count);
	free(dot);
	return v;
}

/* Free what ctl_dump returned. */
static void
free_lines(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* LOGINLIST as user on the fixture's chat port; the session or NULL. */
static struct tclient *
login_as(struct fix *f, int32_t dtype, const char *token, const char *duuid,
    int32_t *status)
{
	struct loco_error err;
	struct tclient_pkt *p;
	struct tclient *tc;
	bson_t body;

	*status = INT32_MIN;
	tc = tclient_connect(base, "127.0.0.1", f->chat_port, LOCO_CONN_SECURE,
	    f->key, LOCO_KEY_ENCRYPT_OAEP, LOCO_CIPHER_GCM, NULL, NULL, &err);
	if (tc == NULL) {
		diag("connect: %s", err.msg);
		return NULL;
	}
	bson_init(&body);
	tclient_loginlist_body(&body, token, duuid, dtype, NULL, NULL, 0);
	p = tclient_call(tc, "LOGINLIST", &body, &err);
	bson_destroy(&body);
	if (p != NULL)
		*status = tclient_status(p);
	else
		diag("LOGINLIST: %s", err.msg);
	tclient_pkt_free(p);
	if (*status != 0) {
		tclient_free(tc);
		return NULL;
	}
	return tc;
}

/* A as a logged-in session (replacing the old one); false on failure. */
static bool
relogin_a(struct fix *f)
{
	int32_t status;

	tclient_free(f->a);
	f->a = login_as(f, 2, "tok-alice", "dev-alice", &status);
	return ok(f->a != NULL, "A logs in (status %d)", status);
}

/* The simulator has one session of A. */
static bool
one_session(void *arg)
{
	struct fix *f = arg;

	return locosim_session_count(f->sim, UA) == 1;
}

/* The LOGINLIST status A gets now, in another device slot than f->a. */
static int32_t
a_login_status(struct fix *f)
{
	struct tclient *tc;
	int32_t status;

	tc = login_as(f, 1, "tok-alice", "dev-alice", &status);
	tclient_free(tc);
	/* In-process, wait until the simulator has seen that session go,
	 * so that later faults count only f->a. */
	if (tc != NULL && f->sim != NULL &&
	    !tclient_loop_until(base, one_session, f, TCLIENT_WAIT_MS))
		diag("the probe session of A lingers");
	return status;
}

/* Wait for a push on A and decode its chatLog; false if none. */
static bool
a_chatlog(struct fix *f, const char *method, struct loco_chatlog *cl)
{
	struct tclient_pkt *p = tclient_wait_push(f->a, method);
	struct loco_error err;
	bool good = false;
	bson_t sub;

	memset(cl, 0, sizeof *cl);
	if (p != NULL && loco_bson_get_doc(p->body, "chatLog", &sub) == 1)
		good = loco_chatlog_decode(&sub, cl, &err) == 0;
	ok(good, "A gets %s with a chatLog", method);
	tclient_pkt_free(p);
	return good;
}

/* The acting commands, each checked on A's session. */
static void
test_acting(struct fix *f, struct ctl *c)
{
	struct loco_attachment att;
	struct loco_decunread_push du;
	struct loco_syncaction_push sa;
	struct loco_chgmeta cm;
	struct loco_syncjoin sj;
	struct loco_chatlog cl;
	struct loco_error err;
	struct tclient_pkt *p;
	uint8_t *jpeg = NULL;
	size_t jlen = 0;
	int64_t id, id2, chat, photo;

	diag("send");
	id = ctl_num(c, "send 10 %lld hello from the control socket",
	    (long long)UC);
	if (a_chatlog(f, "MSG", &cl)) {
		is_int(cl.log_id, ==, id);
		is_int(cl.author_id, ==, UC);
		is_str(cl.message, "hello from the control socket");
	}
	loco_chatlog_release(&cl);

	diag("reply");
	id2 = ctl_num(c, "reply 10 %lld %lld quoting you", (long long)UB,
	    (long long)id);
	memset(&att, 0, sizeof att);
	if (a_chatlog(f, "MSG", &cl) &&
	    loco_attachment_decode(cl.attachment, &att, &err) == 0) {
		ok(cl.log_id == id2 && cl.type == LOCO_MSG_REPLY &&
		        strcmp(cl.message, "quoting you") == 0,
		    "the reply is type 26 with its text");
		is_int(att.src_log_id, ==, id);
	}
	loco_attachment_release(&att);
	loco_chatlog_release(&cl);

	diag("photo");
	photo = ctl_num(c, "photo 10 %lld 64 40", (long long)UC);
	memset(&att, 0, sizeof att);
	if (a_chatlog(f, "MSG", &cl) && cl.type == LOCO_MSG_PHOTO &&
	    loco_attachment_decode(cl.attachment, &att, &err) == 0 &&
	    att.url != NULL) {
		ok(att.w == 64 && att.h == 40, "the photo is 64x40");
		is_int(tclient_http_get(base, att.url, &jpeg, &jlen), ==, 200);
		ok(jlen > 4 && jpeg[0] == 0xff && jpeg[1] == 0xd8 &&
		        jpeg[jlen - 2] == 0xff && jpeg[jlen - 1] == 0xd9,
		    "its url serves a JPEG (%zu bytes)", jlen);
		is_int(att.size, ==, jlen);
		free(jpeg);
	} else
		ok(false, "the photo has type 2 and an url");
	loco_attachment_release(&att);
	loco_chatlog_release(&cl);

	diag("react");
	ctl_ok(c, "react 10 %lld %lld", (long long)UC, (long long)id);
	p = tclient_wait_push(f->a, "SYNCACTION");
	ok(p != NULL && loco_syncaction_push_decode(p->body, &sa, &err) == 0 &&
	        sa.user_id == UC && sa.log_id == id && sa.type == 1,
	    "A gets SYNCACTION");
	tclient_pkt_free(p);

	diag("read");
	/* C has read up to its own last message already: go past it. */
	ctl_ok(c, "read 10 %lld %lld", (long long)UC, (long long)photo);
	p = tclient_wait_push(f->a, "DECUNREAD");
	if (!ok(p != NULL &&
	            loco_decunread_push_decode(p->body, &du, &err) == 0 &&
	            du.user_id == UC && du.watermark == photo &&
	            du.chat_id == CHAT_GROUP,
	        "A gets DECUNREAD") &&
	    p != NULL) {
		char *j = bson_as_relaxed_extended_json(p->body, NULL);

		diag("%s (want %lld)", j, (long long)photo);
		bson_free(j);
	}
	tclient_pkt_free(p);

	diag("rename and notice");
	ctl_ok(c, "rename 10 %lld A title with spaces", (long long)UC);
	p = tclient_wait_push(f->a, "CHGMETA");
	ok(p != NULL && loco_chgmeta_decode(p->body, &cm, &err) == 0 &&
	        cm.meta.type == LOCO_META_TITLE &&
	        strcmp(cm.meta.content, "A title with spaces") == 0,
	    "A gets CHGMETA with the title");
	if (p != NULL)
		loco_chgmeta_release(&cm);
	tclient_pkt_free(p);
	ctl_ok(c, "notice 10 %lld Be kind", (long long)UB);
	p = tclient_wait_push(f->a, "CHGMETA");
	ok(p != NULL && loco_chgmeta_decode(p->body, &cm, &err) == 0 &&
	        cm.meta.type == LOCO_META_NOTICE && cm.meta.author_id == UB &&
	        strcmp(cm.meta.content, "Be kind") == 0,
	    "A gets CHGMETA with the notice");
	if (p != NULL)
		loco_chgmeta_release(&cm);
	tclient_pkt_free(p);

	diag("join and leave");
	id2 = ctl_num(c, "join 10 %lld %lld", (long long)UD, (long long)UC);
	if (a_chatlog(f, "NEWMEM", &cl))
		is_int(cl.log_id, ==, id2);
	loco_chatlog_release(&cl);
	id2 = ctl_num(c, "leave 10 %lld", (long long)UD);
	if (a_chatlog(f, "DELMEM", &cl))
		is_int(cl.log_id, ==, id2);
	loco_chatlog_release(&cl);

	diag("delete");
	id2 = ctl_num(c, "delete 10 %lld %lld", (long long)UC, (long long)id);
	p = tclient_wait_push(f->a, "SYNCDLMSG");
	ok(p != NULL && loco_bson_get_i64(p->body, "logId", &id2) == 1 &&
	        id2 == id,
	    "A gets SYNCDLMSG for the deleted message");
	tclient_pkt_free(p);

	diag("create");
	chat = ctl_num(c, "create MultiChat Fresh %lld %lld", (long long)UB,
	    (long long)UA);
	p = tclient_wait_push(f->a, "SYNCJOIN");
	ok(p != NULL && loco_syncjoin_decode(p->body, &sj, &err) == 0 &&
	        sj.chat_id == chat,
	    "A gets SYNCJOIN for chat %lld", (long long)chat);
	if (p != NULL && sj.chat_id == chat)
		loco_syncjoin_release(&sj);
	tclient_pkt_free(p);
	ok(ctl_num(c, "create DirectChat - %lld %lld", (long long)UA,
	       (long long)UC) > chat,
	    "create without a title");
	tclient_pkt_free(tclient_wait_push(f->a, "SYNCJOIN"));
}

/* log, writes, sessions and count read back what clients did. */
static void
test_readback(struct fix *f, struct ctl *c)
{
	struct loco_write_req req;
	struct tclient_pkt *p;
	struct locosim_chat *chat;
	char **lines;
	char *s = NULL;
	int64_t log_id = 0, v = 0;
	size_t n;
	bson_t body, doc;
	bson_error_t berr;

	diag("a WRITE and a NOTIREAD from A, read back");
	memset(&req, 0, sizeof req);
	req.chat_id = CHAT_GROUP;
	req.msg_id = 31337;
	req.msg = (char *)"typed by A";
	req.type = LOCO_MSG_TEXT;
	bson_init(&body);
	loco_write_req_encode(&req, &body);
	p = tclient_call(f->a, "WRITE", &body, NULL);
	bson_destroy(&body);
	ok(p != NULL && tclient_status(p) == 0 &&
	        loco_bson_get_i64(p->body, "logId", &log_id) == 1,
	    "A's WRITE succeeds");
	tclient_pkt_free(p);

	lines = ctl_dump(c, "writes 1", &n);
	if (ok(n == 1 && bson_init_from_json(&doc, lines[0], -1, &berr),
	        "writes 1 gives one JSON line")) {
		ok(loco_bson_get_i64(&doc, "logId", &v) == 1 && v == log_id,
		    "with the logId");
		ok(loco_bson_get_i64(&doc, "msgId", &v) == 1 && v == 31337,
		    "with the msgId");
		ok(loco_bson_get_i64(&doc, "authorId", &v) == 1 && v == UA,
		    "with the author");
		ok(loco_bson_get_str(&doc, "message", &s) == 1 &&
		        strcmp(s, "typed by A") == 0,
		    "with the text");
		free(s);
		s = NULL;
		bson_destroy(&doc);
	}
	free_lines(lines);
	is_int(ctl_num(c, "count WRITE"), ==, 1);
	is_int(ctl_num(c, "count NOSUCHTHING"), ==, 0);

	lines = ctl_dump(c, "log 10 2", &n);
	if (ok(n == 2 && bson_init_from_json(&doc, lines[1], -1, &berr),
	        "log 10 2 gives two JSON lines")) {
		ok(loco_bson_get_i64(&doc, "logId", &v) == 1 && v == log_id &&
		        loco_bson_get_str(&doc, "message", &s) == 1 &&
		        strcmp(s, "typed by A") == 0,
		    "the last is A's message");
		free(s);
		s = NULL;
		bson_destroy(&doc);
	}
	free_lines(lines);
	lines = ctl_dump(c, "log 10 0", &n);
	chat = f->sim ? locosim_world_chat(locosim_world(f->sim), CHAT_GROUP)
	              : NULL;
	if (chat != NULL)
		is_uint(n, ==, chat->n_log);
	free_lines(lines);

	body = (bson_t)BSON_INITIALIZER;
	BSON_APPEND_INT64(&body, "chatId", CHAT_GROUP);
	BSON_APPEND_INT64(&body, "watermark", log_id);
	p = tclient_call(f->a, "NOTIREAD", &body, NULL);
	bson_destroy(&body);
	ok(p != NULL && tclient_status(p) == 0, "A's NOTIREAD succeeds");
	tclient_pkt_free(p);
	if (chat != NULL)
		ok(locosim_chat_member(chat, UA) != NULL &&
		        locosim_chat_member(chat, UA)->watermark == log_id,
		    "the C API reads back A's watermark");
	lines = ctl_dump(c, "watermarks 10", &n);
	{
		bool found = false;
		size_t i;

		for (i = 0; i < n; i++) {
			int64_t uid = 0, wm = 0;

			if (!bson_init_from_json(&doc, lines[i], -1, &berr))
				continue;
			if (loco_bson_get_i64(&doc, "userId", &uid) == 1 &&
			    uid == UA &&
			    loco_bson_get_i64(&doc, "watermark", &wm) == 1 &&
			    wm == log_id)
				found = true;
			bson_destroy(&doc);
		}
		ok(found, "watermarks 10 reads back A's watermark");
		if (chat != NULL)
			is_uint(n, ==, chat->n_members);
	}
	free_lines(lines);

	is_int(ctl_num(c, "sessions"), ==, 1);
	is_int(ctl_num(c, "sessions %lld", (long long)UA), ==, 1);
	is_int(ctl_num(c, "sessions %lld", (long long)UB), ==, 0);
}

/* Every fault command, checked on A's session. */
static void
test_faults(struct fix *f, struct ctl *c)
{
	struct loco_kickout k;
	struct loco_error err;
	struct tclient_pkt *p;
	bool closed;
	bson_t *body;

	diag("unknown and changesvr");
	is_int(ctl_num(c, "unknown %lld ZZCONTROL", (long long)UA), ==, 1);
	p = tclient_wait_push(f->a, "ZZCONTROL");
	ok(p != NULL, "A gets the unknown push");
	tclient_pkt_free(p);
	is_int(ctl_num(c, "changesvr %lld", (long long)UA), ==, 1);
	p = tclient_wait_push(f->a, "CHANGESVR");
	ok(p != NULL, "A gets CHANGESVR");
	tclient_pkt_free(p);

	diag("stall and unstall");
	is_int(ctl_num(c, "stall %lld", (long long)UA), ==, 1);
	tclient_send(f->a, OWN_ID, "PING", NULL);
	tclient_settle(f->a, QUIET_MS);
	is_uint(tclient_push_count(f->a, NULL), ==, 0);
	is_int(ctl_num(c, "unstall %lld", (long long)UA), ==, 1);
	p = tclient_wait_push(f->a, "PING");
	ok(p != NULL && p->hdr.packet_id == OWN_ID,
	    "the PING is answered after unstall");
	tclient_pkt_free(p);

	diag("reorder");
	ctl_ok(c, "reorder 2");
	body = BCON_NEW("chatId", BCON_INT64(CHAT_GROUP));
	tclient_send(f->a, OWN_ID + 1, "PING", NULL);
	tclient_send(f->a, OWN_ID + 2, "CHATINFO", body);
	bson_destroy(body);
	p = tclient_wait_push(f->a, NULL);
	ok(p != NULL && p->hdr.packet_id == OWN_ID + 2,
	    "the second request is answered first");
	tclient_pkt_free(p);
	p = tclient_wait_push(f->a, NULL);
	ok(p != NULL && p->hdr.packet_id == OWN_ID + 1, "then the first");
	tclient_pkt_free(p);

	diag("delay");
	ctl_ok(c, "delay 30");
	p = tclient_call(f->a, "PING", NULL, &err);
	ok(p != NULL && tclient_status(p) == 0, "a delayed PING is answered");
	tclient_pkt_free(p);
	ctl_ok(c, "delay 0");

	diag("expire, unexpire and faillogin");
	ctl_ok(c, "expire %lld", (long long)UA);
	is_int(a_login_status(f), ==, -950);
	ctl_ok(c, "unexpire %lld", (long long)UA);
	is_int(a_login_status(f), ==, 0);
	ctl_ok(c, "faillogin -999");
	is_int(a_login_status(f), ==, -999);
	is_int(a_login_status(f), ==, 0);

	diag("corrupt");
	is_int(ctl_num(c, "corrupt %lld", (long long)UA), ==, 1);
	tclient_send(f->a, OWN_ID + 3, "PING", NULL);
	closed = tclient_wait_closed(f->a, &err);
	ok(closed && err.code == LOCO_ERR_CRYPTO,
	    "A's next frame fails its tag (%s: %s)",
	    loco_error_code_name(err.code), err.msg);
	relogin_a(f);

	diag("kickout");
	is_int(ctl_num(c, "kickout %lld 1", (long long)UA), ==, 1);
	p = tclient_wait_push(f->a, "KICKOUT");
	ok(p != NULL && loco_kickout_decode(p->body, &k, &err) == 0 &&
	        k.reason == 1,
	    "A gets KICKOUT {reason 1}");
	tclient_pkt_free(p);
	ok(tclient_wait_closed(f->a, &err), "then A is disconnected");
	relogin_a(f);

	diag("drop");
	is_int(ctl_num(c, "drop %lld", (long long)UA), ==, 1);
	ok(tclient_wait_closed(f->a, &err), "A's connection is dropped");
	is_int(ctl_num(c, "drop %lld", (long long)UA), ==, 0);
	relogin_a(f);
}

/* Bad input gets err; the socket and the simulator stay up. */
static void
test_bad_input(struct fix *f, struct ctl **cp)
{
	struct ctl *c = *cp;
	char *big, *reply;

	diag("bad commands");
	is_err(ctl_cmd(c, "frobnicate 1 2"), "an unknown command");
	ctl_write(c, GARBAGE, sizeof GARBAGE - 1);
	is_err(ctl_read(c), "a line of binary garbage");
	ctl_write(c, WITH_NUL, sizeof WITH_NUL - 1);
	is_err(ctl_read(c), "a NUL byte");
	is_err(ctl_cmd(c, "send abc %lld hi", (long long)UC), "a bad chat id");
	is_err(ctl_cmd(c, "send 10 12x hi"), "a bad user id");
	is_err(ctl_cmd(c, "send 99999999999999999999 1 hi"),
	    "an id out of range");
	is_err(ctl_cmd(c, "send 999 %lld hi", (long long)UC),
	    "an unknown chat");
	is_err(ctl_cmd(c, "send 10 4242 hi"), "an unknown user");
	is_err(ctl_cmd(c, "send 10 %lld hi", (long long)UD), "a non-member");
	is_err(ctl_cmd(c, "send 10"), "missing arguments");
	is_err(ctl_cmd(c, "leave 10 %lld extra", (long long)UC),
	    "too many arguments");
	is_err(ctl_cmd(c, "react 10 %lld 1", (long long)UC),
	    "an unknown log id");
	is_err(ctl_cmd(c, "delay -5"), "a negative delay");
	is_err(ctl_cmd(c, "reorder many"), "a non-number");
	is_err(ctl_cmd(c, "count TWELVECHARSX"), "a bad method name");
	is_err(ctl_cmd(c, "unknown %lld TWELVECHARSX", (long long)UA),
	    "a bad push method");
	is_err(ctl_cmd(c, "create Nonsense t %lld", (long long)UA),
	    "an unknown chat type");
	is_err(ctl_cmd(c, "photo 10 %lld 0 10", (long long)UC),
	    "a zero-width photo");
	is_err(ctl_cmd(c, "expire %lld", (long long)UC),
	    "expire without account");
	is_err(ctl_cmd(c, "save"), "save without a path");

	diag("blank and CRLF lines");
	ctl_write(c, BLANKS, sizeof BLANKS - 1);
	reply = ctl_read(c);
	ok(ok_num(reply) == 1, "blank lines are skipped, CRLF is accepted");
	free(reply);

	diag("an over-long line");
	big = malloc(LONG_LINE + 1);
	memset(big, 'x', LONG_LINE);
	big[LONG_LINE] = '\n';
	ctl_write(c, big, LONG_LINE + 1);
	free(big);
	is_err(ctl_read(c), "an over-long line");
	ok(tclient_loop_until(base, ctl_has_line, c, TCLIENT_WAIT_MS) &&
	        c->closed &&
	        evbuffer_get_length(bufferevent_get_input(c->bev)) == 0,
	    "and the connection is closed");
	ctl_close(c);
	*cp = c = ctl_open(f->ctl_port);
	is_int(ctl_num(c, "sessions %lld", (long long)UA), ==, 1);
	ok(f->a != NULL && !tclient_is_closed(f->a), "A's session is still up");
	if (f->a != NULL) {
		struct tclient_pkt *p = tclient_call(f->a, "PING", NULL, NULL);

		ok(p != NULL && tclient_status(p) == 0, "and answers PING");
		tclient_pkt_free(p);
	}
}

/* save, help and quit. */
static void
test_misc(struct fix *f, struct ctl *c)
{
	struct locosim_world *w;
	struct locosim_chat *chat;
	struct loco_error err;
	char path[600], **lines, *reply;
	size_t n, i;
	bool named = true;

	(void)f;
	diag("save");
	snprintf(path, sizeof path, "%s/saved.json", tap_tmpdir());
	ctl_ok(c, "save %s", path);
	w = locosim_world_load(path, &err);
	if (ok(w != NULL, "the saved world loads")) {
		chat = locosim_world_chat(w, CHAT_GROUP);
		ok(chat != NULL && chat->n_log > 0 &&
		        strcmp(chat->log[chat->n_log - 1].message,
		            "typed by A") == 0,
		    "with A's last message");
		locosim_world_free(w);
	} else
		diag("%s", err.msg);

	diag("help");
	lines = ctl_dump(c, "help", &n);
	ok(n >= 25, "help lists %zu commands", n);
	for (i = 0; i < n; i++)
		if (lines[i][0] < 'a' || lines[i][0] > 'z')
			named = false;
	ok(named, "each help line starts with a command");
	free_lines(lines);

	diag("quit");
	reply = ctl_cmd(c, "quit");
	ok(reply != NULL && strncmp(reply, "ok", 2) == 0, "quit says ok (%s)",
	    reply ? reply : "nothing");
	free(reply);
	ok(tclient_loop_until(base, ctl_has_line, c, TCLIENT_WAIT_MS) &&
	        c->closed,
	    "and closes the control connection");
}

/* The control socket of an in-process simulator. */
static void
run_inprocess(void)
{
	struct locosim_opts o;
	struct loco_error err;
	struct ctl *c = NULL;
	struct fix f;

	memset(&f, 0, sizeof f);
	locosim_opts_init(&o);
	o.world_json = world_json;
	o.rsa_key_path = rsa_path;
	o.tls_cert_path = cert_path;
	o.tls_key_path = certkey_path;
	if (!ok((f.sim = locosim_new(base, &o, &err)) != NULL,
	        "locosim starts with a control listener")) {
		diag("%s", err.msg);
		return;
	}
	f.key = locosim_public_key(f.sim);
	f.chat_port = locosim_port(f.sim, LOCOSIM_CHAT);
	f.ctl_port = locosim_port(f.sim, LOCOSIM_CONTROL);
	ok(f.ctl_port != 0, "the control port is bound (%u)", f.ctl_port);
	ok(strstr(locosim_ready_line(f.sim), "control=") != NULL,
	    "the READY line names it");
	if (!relogin_a(&f))
		goto out;
	c = ctl_open(f.ctl_port);
	test_acting(&f, c);
	test_readback(&f, c);
	test_faults(&f, c);
	test_bad_input(&f, &c);
	test_misc(&f, c);
out:
	ctl_close(c);
	tclient_free(f.a);
	locosim_free(f.sim);
	tclient_loop_drain(base);
}

/* Kill and reap the spawned program, if it still runs. */
static void
kill_child(void)
{
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		child = -1;
	}
}

/* The locosim program: $LOCOSIM_BIN, else beside our own build dir. */
static const char *
program_path(const char *argv0)
{
	static char path[PATH_MAX];
	const char *env = getenv("LOCOSIM_BIN"), *slash;

	if (env != NULL && *env != '\0')
		return env;
	/* tests/integration/t-x -> tests/locosim/locosim */
	slash = strrchr(argv0, '/');
	snprintf(path, sizeof path, "%.*s/../locosim/locosim",
	    slash ? (int)(slash - argv0) : 1, slash ? argv0 : ".");
	return path;
}

/* Read one line from fd within TCLIENT_WAIT_MS; false on EOF or time. */
static bool
read_line_fd(int fd, char *buf, size_t size)
{
	struct pollfd pfd;
	size_t n = 0;
	ssize_t r;

	while (n + 1 < size) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, TCLIENT_WAIT_MS) <= 0)
			return false;
		if ((r = read(fd, buf + n, 1)) <= 0)
			return false;
		if (buf[n] == '\n') {
			buf[n] = '\0';
			return true;
		}
		n++;
	}
	return false;
}

/* A child to reap, for wait_child. */
struct reap {
	pid_t pid;
	int status;
	bool done;
};

/* The child has exited (reaps it). */
static bool
reaped(void *arg)
{
	struct reap *r = arg;

	if (!r->done && waitpid(r->pid, &r->status, WNOHANG) == r->pid)
		r->done = true;
	return r->done;
}

/* SIGCHLD: see whether our child has exited. */
static void
sigchld_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	(void)reaped(arg);
}

/* Send sig to pid and wait (on SIGCHLD) until it exits; status or -1. */
static int
stop_child(pid_t pid, int sig)
{
	struct reap r;
	struct event *ev;

	memset(&r, 0, sizeof r);
	r.pid = pid;
	ev = evsignal_new(base, SIGCHLD, sigchld_cb, &r);
	evsignal_add(ev, NULL);
	if (!ok(kill(pid, sig) == 0, "signal %d to the program", sig) ||
	    !tclient_loop_until(base, reaped, &r, TCLIENT_WAIT_MS))
		r.status = -1;
	event_free(ev);
	return r.status;
}

/* Spawn the locosim program, drive it, stop it with SIGTERM. */
static void
run_program(const char *argv0)
{
	const char *bin = program_path(argv0);
	char world[600], save[600], line[512], *reply;
	unsigned ports[LOCOSIM_NLISTENERS];
	struct locosim_world *w;
	struct loco_chatlog cl;
	struct loco_error err;
	struct ctl *c = NULL;
	struct fix f;
	int out[2], status, devnull;
	FILE *fp;

	memset(&f, 0, sizeof f);
	if (!ok(access(bin, X_OK) == 0, "the locosim program is at %s", bin))
		return;
	snprintf(world, sizeof world, "%s/prog-world.json", tap_tmpdir());
	snprintf(save, sizeof save, "%s/prog-saved.json", tap_tmpdir());
	if ((fp = fopen(world, "w")) == NULL || fputs(world_json, fp) < 0 ||
	    fclose(fp) != 0) {
		ok(false, "write the world file");
		return;
	}
	if (pipe(out) != 0) {
		ok(false, "pipe: %s", strerror(errno));
		return;
	}
	if ((child = fork()) == 0) {
#ifdef __linux__
		/* Should we die on the watchdog, so does the program. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
		devnull = open("/dev/null", O_RDONLY);
		dup2(devnull, 0);
		dup2(out[1], 1);
		close(out[0]);
		close(out[1]);
		execl(bin, bin, "-w", world, "-s", save, "-k", rsa_path, "-c",
		    cert_path, "-K", certkey_path, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	if (!ok(child > 0, "spawn %s", bin)) {
		close(out[0]);
		return;
	}
	if (!ok(read_line_fd(out[0], line, sizeof line), "READY line")) {
		close(out[0]);
		kill_child();
		return;
	}
	diag("%s", line);
	ok(sscanf(line,
	       "READY booking=%u checkin=%u chat=%u media=%u http=%u "
	       "control=%u",
	       &ports[0], &ports[1], &ports[2], &ports[3], &ports[4],
	       &ports[5]) == 6 &&
	        ports[LOCOSIM_CHAT] != 0 && ports[LOCOSIM_CONTROL] != 0,
	    "the READY line names every port");
	f.chat_port = (uint16_t)ports[LOCOSIM_CHAT];
	f.ctl_port = (uint16_t)ports[LOCOSIM_CONTROL];
	if ((f.key = loco_key_load_private(rsa_path, &err)) == NULL) {
		ok(false, "load the key: %s", err.msg);
		goto stop;
	}

	c = ctl_open(f.ctl_port);
	is_int(ctl_num(c, "sessions"), ==, 0);
	if (relogin_a(&f)) {
		int64_t id =
		    ctl_num(c, "send 10 %lld from the program", (long long)UC);

		if (a_chatlog(&f, "MSG", &cl))
			ok(cl.log_id == id &&
			        strcmp(cl.message, "from the program") == 0,
			    "A gets the program's message");
		loco_chatlog_release(&cl);
		is_int(ctl_num(c, "sessions %lld", (long long)UA), ==, 1);
	}
	is_err(ctl_cmd(c, "no such command"), "the program: a bad command");
	reply = ctl_cmd(c, "quit");
	ok(reply != NULL && strncmp(reply, "ok", 2) == 0, "quit says ok");
	free(reply);
	ok(tclient_loop_until(base, ctl_has_line, c, TCLIENT_WAIT_MS) &&
	        c->closed,
	    "quit closes the control connection");
	ctl_close(c);
	c = ctl_open(f.ctl_port);
	is_int(ctl_num(c, "sessions %lld", (long long)UA), ==, 1);
stop:
	ctl_close(c);
	tclient_free(f.a);
	f.a = NULL;
	tclient_loop_drain(base);
	status = stop_child(child, SIGTERM);
	if (ok(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	        "the program exits with status 0"))
		child = -1;
	else {
		diag("status %d (%s %d)", status,
		    WIFSIGNALED(status) ? "signal" : "exit",
		    WIFSIGNALED(status) ? WTERMSIG(status)
		                        : WEXITSTATUS(status));
		kill_child();
	}
	close(out[0]);
	EVP_PKEY_free(f.key);
	w = locosim_world_load(save, &err);
	ok(w != NULL && locosim_world_chat(w, CHAT_GROUP) != NULL &&
	        strcmp(locosim_world_chat(w, CHAT_GROUP)
	                   ->log[locosim_world_chat(w, CHAT_GROUP)->n_log - 1]
	                   .message,
	            "from the program") == 0,
	    "the program saved its world on exit");
	locosim_world_free(w);
}

/* In-process control first, then the program. */
int
main(int argc, char **argv)
{
	const char *dir;

	(void)argc;
	tap_init(120);
	signal(SIGPIPE, SIG_IGN);
	atexit(kill_child);
	base = event_base_new();
	dir = tap_tmpdir();
	snprintf(rsa_path, sizeof rsa_path, "%s/rsa.pem", dir);
	snprintf(cert_path, sizeof cert_path, "%s/cert.pem", dir);
	snprintf(certkey_path, sizeof certkey_path, "%s/cert-key.pem", dir);
	run_inprocess();
	run_program(argv[0]);
	event_base_free(base);
	return done_testing();
}
