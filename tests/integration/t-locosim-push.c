/* locoirc: see LICENSE.
 *
 * locosim's pushes, seen by real clients: account A on two devices, account
 * B and account D as LOCO sessions, user C acting through the C API. Each
 * action must reach exactly the sessions the real server would push to,
 * in the shapes of LOCO.md decision 7, with push ids from the push range.
 * A raw secure-layer peer counts frames to check that large responses are
 * split and pushes sent together are coalesced. Both cipher profiles.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <bson/bson.h>

#include "loco-bson.h"
#include "loco-chat.h"
#include "loco-chatlog.h"
#include "loco-conn.h"
#include "loco-msg.h"
#include "loco-msgtype.h"
#include "loco-packet.h"
#include "loco-secure.h"
#include "locosim.h"
#include "locosim-world.h"
#include "tap.h"
#include "tclient.h"

/* The world: A, B and D have accounts, C is only a user. */
#define UA INT64_C(8000000001)
#define UB INT64_C(8000000002)
#define UC INT64_C(8000000003)
#define UD INT64_C(8000000004)
#define CHAT_GROUP INT64_C(10)
#define CHAT_OPEN INT64_C(11)
#define CHAT_DM INT64_C(12)
#define OPEN_LINK INT64_C(777)

/* How long to let stray packets arrive when proving that none came. */
#define QUIET_MS 150
/* The default plaintext per frame of locosim (locosim.h). */
#define FRAME_PLAIN 4096
/* Messages and their size for the split-frame checks. */
#define BIG_TEXT 2500
#define BIG_COUNT 8

static const char world_json[] =
    "{\"now\": 1700000000,"
    " \"users\": ["
    "  {\"userId\": 8000000001, \"nickName\": \"Alice\"},"
    "  {\"userId\": 8000000002, \"nickName\": \"Bob\"},"
    "  {\"userId\": 8000000003, \"nickName\": \"Carol\"},"
    "  {\"userId\": 8000000004, \"nickName\": \"Dave\"}],"
    " \"accounts\": ["
    "  {\"userId\": 8000000001, \"accessToken\": \"tok-alice\","
    "   \"deviceUuid\": \"dev-alice\"},"
    "  {\"userId\": 8000000002, \"accessToken\": \"tok-bob\","
    "   \"deviceUuid\": \"dev-bob\"},"
    "  {\"userId\": 8000000004, \"accessToken\": \"tok-dave\","
    "   \"deviceUuid\": \"dev-dave\"}],"
    " \"chats\": ["
    "  {\"chatId\": 10, \"type\": \"MultiChat\", \"title\": \"Group\","
    "   \"members\": [8000000001, 8000000002, 8000000003],"
    "   \"messages\": [{\"authorId\": 8000000002, \"message\": \"hi\"}]},"
    "  {\"chatId\": 11, \"type\": \"OM\", \"linkId\": 777,"
    "   \"members\": [8000000001, 8000000002, 8000000003],"
    "   \"messages\": [{\"authorId\": 8000000003, \"message\": \"yo\"}]},"
    "  {\"chatId\": 12, \"type\": \"DirectChat\","
    "   \"members\": [8000000001, 8000000004]}]}";

/* One logged-in session and the last push id it saw. */
struct dev {
	struct tclient *tc;
	const char *name;
	uint32_t last_push;
};

/* The sessions of one run. */
struct fix {
	struct locosim *sim;
	enum loco_cipher cipher;
	struct dev a1, a2, b, d;
};

/* One packet seen by the raw peer, with the frames it came in. */
struct rawpkt {
	uint32_t id;
	char method[LOCO_METHOD_LEN + 1];
	bson_t *body;         /* owned */
	unsigned first_frame; /* frame holding its first byte (1-based) */
	unsigned last_frame;  /* frame holding its last byte */
};

/* A client that does the secure layer itself, to see frame boundaries. */
struct rawpeer {
	struct bufferevent *bev; /* owned */
	struct loco_secure *sec; /* owned */
	struct evbuffer *plain;  /* owned; decrypted, not yet parsed */
	unsigned frames;         /* frames received */
	size_t max_plain;        /* largest plaintext of one frame */
	unsigned start_frame;    /* where the head of plain began */
	struct rawpkt *pkts;     /* owned */
	size_t n_pkts;
	bool failed;
	bool closed;
};

static void raw_read_cb(struct bufferevent *bev, void *arg);
static void raw_event_cb(struct bufferevent *bev, short what, void *arg);
static bool raw_ready(void *arg);

static struct event_base *base;
static char rsa_path[512], cert_path[512], certkey_path[512];

/* Whether sim_start turns coalescing off (--no-coalesce). */
static bool sim_no_coalesce;

/* Start a simulator on 127.0.0.1:0 with the shared key files. */
static struct locosim *
sim_start(enum loco_cipher cipher)
{
	struct locosim_opts o;
	struct loco_error err;
	struct locosim *sim;

	locosim_opts_init(&o);
	o.world_json = world_json;
	o.no_control = true;
	o.cipher = cipher;
	o.rsa_key_path = rsa_path;
	o.tls_cert_path = cert_path;
	o.tls_key_path = certkey_path;
	o.no_coalesce = sim_no_coalesce;
	sim = locosim_new(base, &o, &err);
	if (!ok(sim != NULL, "locosim starts (%s)",
	        cipher == LOCO_CIPHER_GCM ? "GCM" : "CFB"))
		diag("%s", err.msg);
	return sim;
}

/* Log user in with dtype; NULL (and a failed test) if that fails. */
static bool
dev_login(struct fix *f, struct dev *d, int64_t user, int32_t dtype,
    const char *name)
{
	struct loco_error err;

	memset(d, 0, sizeof *d);
	d->name = name;
	d->tc = tclient_login(base, f->sim, user, dtype, f->cipher, NULL, &err);
	if (!ok(d->tc != NULL, "%s logs in", name))
		diag("%s", err.msg);
	return d->tc != NULL;
}

/*
 * Wait for a push of method on d; check that its id is in the push range
 * and above the previous one. Returns it or NULL.
 */
static struct tclient_pkt *
expect(struct dev *d, const char *method)
{
	struct tclient_pkt *p = tclient_wait_push(d->tc, method);

	if (!ok(p != NULL, "%s gets %s", d->name, method))
		return NULL;
	if (!ok(p->hdr.packet_id >= LOCO_CONN_PUSH_ID_BASE_DEFAULT &&
	            p->hdr.packet_id > d->last_push,
	        "%s push id %u is in the push range and above %u", method,
	        p->hdr.packet_id, d->last_push)) {
		tclient_pkt_free(p);
		return NULL;
	}
	d->last_push = p->hdr.packet_id;
	return p;
}

/* Let stray packets arrive, then check that d got none of method. */
static void
none(struct fix *f, struct dev *d, const char *method)
{
	tclient_settle(f->a1.tc, QUIET_MS);
	if (!ok(tclient_push_count(d->tc, method) == 0, "%s gets no %s",
	        d->name, method == NULL ? "push" : method))
		diag("%zu queued", tclient_push_count(d->tc, method));
}

/* Drop every queued push of every session. */
static void
drain(struct fix *f)
{
	struct dev *all[4] = {&f->a1, &f->a2, &f->b, &f->d};
	struct tclient_pkt *p;
	size_t i;

	for (i = 0; i < 4; i++)
		while ((p = tclient_take_push(all[i]->tc, NULL)) != NULL) {
			if (p->hdr.packet_id >= LOCO_CONN_PUSH_ID_BASE_DEFAULT)
				all[i]->last_push = p->hdr.packet_id;
			tclient_pkt_free(p);
		}
}

/* doc[key] as an integer, INT64_MIN when absent or not one. */
static int64_t
get_i64(const bson_t *doc, const char *key)
{
	int64_t v;

	if (doc == NULL || loco_bson_get_i64(doc, key, &v) != 1)
		return INT64_MIN;
	return v;
}

/* One key a client reads from a push, and the BSON type it expects. */
struct want {
	const char *path;
	bson_type_t type;
};

/*
 * Every path of w (n of them) is in p's body with its type: what the
 * strict clients (KiwiTalk's serde structs, node-kakao, loco-wrapper,
 * agent-messenger; docs/locosim-compat.md) need from the push.
 */
static bool
typed(const struct tclient_pkt *p, const struct want *w, size_t n,
    const char *who)
{
	bool all = p != NULL;
	size_t i;

	for (i = 0; all && i < n; i++)
		if (tclient_type(p->body, w[i].path) != w[i].type) {
			diag("%s: %s has type 0x%02x, want 0x%02x", who,
			    w[i].path,
			    (unsigned)tclient_type(p->body, w[i].path),
			    (unsigned)w[i].type);
			all = false;
		}
	return all;
}

/* The chatLog keys KiwiTalk's Chatlog requires (and the others read). */
#define CHATLOG_WANT(pre)                                                      \
	{pre "logId", BSON_TYPE_INT64}, {pre "prevId", BSON_TYPE_INT64},       \
	    {pre "chatId", BSON_TYPE_INT64}, {pre "type", BSON_TYPE_INT32},    \
	    {pre "authorId", BSON_TYPE_INT64},                                 \
	    {pre "message", BSON_TYPE_UTF8},                                   \
	    {pre "attachment", BSON_TYPE_UTF8},                                \
	    {pre "sendAt", BSON_TYPE_INT32},                                   \
	{                                                                      \
		pre "msgId", BSON_TYPE_INT64                                   \
	}

/* The "chatLog" of a push, decoded; false if there is none. */
static bool
get_chatlog(const struct tclient_pkt *p, struct loco_chatlog *cl)
{
	struct loco_error err;
	bson_t sub;

	memset(cl, 0, sizeof *cl);
	if (p == NULL || loco_bson_get_doc(p->body, "chatLog", &sub) != 1)
		return false;
	if (loco_chatlog_decode(&sub, cl, &err) != 0) {
		diag("chatLog: %s", err.msg);
		return false;
	}
	return true;
}

/* Send a request and wait for its answer; NULL (test failed) on error. */
static struct tclient_pkt *
call(struct dev *d, const char *method, const bson_t *body)
{
	struct loco_error err;
	struct tclient_pkt *p = tclient_call(d->tc, method, body, &err);

	if (!ok(p != NULL, "%s answers %s", method, d->name))
		diag("%s", err.msg);
	else if (!ok(tclient_status(p) == 0, "%s status is 0 (got %d)", method,
	             tclient_status(p))) {
		tclient_pkt_free(p);
		return NULL;
	}
	return p;
}

/* WRITE text to chat from d; the reply, or NULL. */
static struct tclient_pkt *
do_write(struct dev *d, int64_t chat, int64_t msg_id, const char *text)
{
	struct loco_write_req req;
	struct tclient_pkt *p;
	bson_t body;

	memset(&req, 0, sizeof req);
	req.chat_id = chat;
	req.msg_id = msg_id;
	req.msg = (char *)text;
	req.type = LOCO_MSG_TEXT;
	req.no_seen = true;
	bson_init(&body);
	loco_write_req_encode(&req, &body);
	p = call(d, "WRITE", &body);
	bson_destroy(&body);
	return p;
}

/* A WRITE reaches the other devices of its author and the members. */
static int64_t
test_write(struct fix *f)
{
	struct tclient_pkt *r, *p;
	struct loco_chatlog cl;
	const struct locosim_write *w;
	int64_t log_id = 0;

	diag("WRITE from A's first device");
	if ((r = do_write(&f->a1, CHAT_GROUP, 4242, "hello from A1")) == NULL)
		return 0;
	log_id = get_i64(r->body, "logId");
	ok(log_id > LOCOSIM_LOG_ID_BASE, "WRITE reply has logId %lld",
	    (long long)log_id);
	is_int(get_i64(r->body, "msgId"), ==, 4242);
	is_int(get_i64(r->body, "chatId"), ==, CHAT_GROUP);
	tclient_pkt_free(r);

	p = expect(&f->a2, "MSG");
	{
		static const struct want mw[] = {{"chatId", BSON_TYPE_INT64},
		    {"logId", BSON_TYPE_INT64}, {"noSeen", BSON_TYPE_BOOL},
		    CHATLOG_WANT("chatLog."), {"authorId", BSON_TYPE_INT64},
		    {"type", BSON_TYPE_INT32}, {"msg", BSON_TYPE_UTF8},
		    {"attachment", BSON_TYPE_UTF8}};

		ok(typed(p, mw, sizeof mw / sizeof *mw, "A2"),
		    "A2: MSG has chatId, logId, noSeen, a full chatLog and "
		    "the top-level copies, typed");
		/* OpenKakao's watch reads the top level. */
		ok(p != NULL && tclient_i64(p->body, "authorId") == UA &&
		        tclient_i64(p->body, "type") == LOCO_MSG_TEXT &&
		        tclient_str(p->body, "msg") != NULL &&
		        strcmp(tclient_str(p->body, "msg"), "hello from A1") ==
		            0,
		    "A2: MSG top-level authorId, type and msg match chatLog");
	}
	if (get_chatlog(p, &cl)) {
		is_int(cl.author_id, ==, UA);
		is_int(cl.log_id, ==, log_id);
		is_int(cl.msg_id, ==, 4242);
		is_str(cl.message, "hello from A1");
		ok(!bson_has_field(p->body, "authorNickname"),
		    "no authorNickname in a MultiChat");
	} else
		ok(false, "A2's MSG nests the message in chatLog");
	loco_chatlog_release(&cl);
	tclient_pkt_free(p);
	p = expect(&f->b, "MSG");
	ok(get_chatlog(p, &cl) && cl.log_id == log_id && cl.author_id == UA,
	    "B's MSG carries A's message");
	loco_chatlog_release(&cl);
	tclient_pkt_free(p);
	none(f, &f->a1, "MSG");
	none(f, &f->a2, "WRITE");
	none(f, &f->d, NULL);

	w = locosim_write_get(f->sim, locosim_write_count(f->sim) - 1);
	ok(w != NULL && w->log_id == log_id && w->author == UA &&
	        w->msg_id == 4242 && strcmp(w->text, "hello from A1") == 0,
	    "locosim read-back has the WRITE");
	drain(f);
	return log_id;
}

/* locosim_send_text as C: MSG to every device of the members. */
static int64_t
test_send_text(struct fix *f, int64_t prev)
{
	struct dev *to[3] = {&f->a1, &f->a2, &f->b};
	struct tclient_pkt *p;
	struct loco_chatlog cl;
	char *nick = NULL;
	int64_t id;
	size_t i;

	diag("locosim_send_text as C");
	id = locosim_send_text(f->sim, CHAT_GROUP, UC, "carol here");
	ok(id > prev, "send_text returns a new logId");
	for (i = 0; i < 3; i++) {
		p = expect(to[i], "MSG");
		if (!ok(get_chatlog(p, &cl), "%s: MSG has a chatLog",
		        to[i]->name)) {
			tclient_pkt_free(p);
			continue;
		}
		ok(cl.log_id == id && cl.prev_id == prev &&
		        cl.author_id == UC && cl.chat_id == CHAT_GROUP &&
		        cl.type == LOCO_MSG_TEXT &&
		        strcmp(cl.message, "carol here") == 0,
		    "%s: chatLog {logId, prevId linked, authorId C, text}",
		    to[i]->name);
		is_int(get_i64(p->body, "chatId"), ==, CHAT_GROUP);
		is_int(get_i64(p->body, "logId"), ==, id);
		ok(!bson_has_field(p->body, "authorNickname"),
		    "%s: no authorNickname in a MultiChat", to[i]->name);
		loco_chatlog_release(&cl);
		tclient_pkt_free(p);
	}
	none(f, &f->d, NULL);
	drain(f);

	diag("locosim_send_text as C in an open chat");
	ok(locosim_send_text(f->sim, CHAT_OPEN, UC, "open hello") > 0,
	    "send_text in OM");
	for (i = 0; i < 3; i++) {
		p = expect(to[i], "MSG");
		if (p == NULL)
			continue;
		loco_bson_get_str(p->body, "authorNickname", &nick);
		ok(nick != NULL && strcmp(nick, "Carol") == 0,
		    "%s: authorNickname Carol in an OM chat", to[i]->name);
		is_int(get_i64(p->body, "li"), ==, OPEN_LINK);
		{
			static const struct want w[] = {{"li", BSON_TYPE_INT64},
			    {"notiRead", BSON_TYPE_BOOL},
			    {"authorNickname", BSON_TYPE_UTF8},
			    {"noSeen", BSON_TYPE_BOOL}};

			ok(typed(p, w, sizeof w / sizeof *w, to[i]->name),
			    "%s: open-chat MSG: li, notiRead, authorNickname",
			    to[i]->name);
		}
		free(nick);
		nick = NULL;
		tclient_pkt_free(p);
	}
	none(f, &f->d, NULL);
	drain(f);
	return id;
}

/* Check a DECUNREAD body. */
static void
check_decunread(struct tclient_pkt *p, int64_t user, int64_t mark,
    const char *who)
{
	struct loco_decunread_push du;
	struct loco_error err;

	static const struct want w[] = {{"chatId", BSON_TYPE_INT64},
	    {"userId", BSON_TYPE_INT64}, {"watermark", BSON_TYPE_INT64}};

	if (p == NULL)
		return;
	ok(typed(p, w, sizeof w / sizeof *w, who),
	    "%s: DECUNREAD chatId, userId, watermark are int64", who);
	if (!ok(loco_decunread_push_decode(p->body, &du, &err) == 0,
	        "%s: DECUNREAD decodes", who)) {
		diag("%s", err.msg);
		return;
	}
	ok(du.chat_id == CHAT_GROUP && du.user_id == user &&
	        du.watermark == mark,
	    "%s: DECUNREAD {chatId, userId %lld, watermark %lld}", who,
	    (long long)du.user_id, (long long)du.watermark);
	loco_decunread_push_release(&du);
}

/* NOTIREAD and locosim_mark_read: DECUNREAD to the others. */
static void
test_read(struct fix *f, int64_t mark)
{
	struct tclient_pkt *p;
	bson_t *body;

	diag("NOTIREAD from A1");
	body = BCON_NEW("chatId", BCON_INT64(CHAT_GROUP), "watermark",
	    BCON_INT64(mark));
	tclient_pkt_free(call(&f->a1, "NOTIREAD", body));
	bson_destroy(body);
	p = expect(&f->b, "DECUNREAD");
	check_decunread(p, UA, mark, "B");
	tclient_pkt_free(p);
	p = expect(&f->a2, "DECUNREAD");
	check_decunread(p, UA, mark, "A2");
	tclient_pkt_free(p);
	none(f, &f->a1, "DECUNREAD");
	none(f, &f->d, NULL);
	drain(f);

	diag("locosim_mark_read as C");
	ok(locosim_mark_read(f->sim, CHAT_GROUP, UC, mark) == 0, "mark_read");
	p = expect(&f->a1, "DECUNREAD");
	check_decunread(p, UC, mark, "A1");
	tclient_pkt_free(p);
	p = expect(&f->a2, "DECUNREAD");
	check_decunread(p, UC, mark, "A2");
	tclient_pkt_free(p);
	p = expect(&f->b, "DECUNREAD");
	check_decunread(p, UC, mark, "B");
	tclient_pkt_free(p);
	none(f, &f->d, NULL);
	drain(f);
}

/* Check a SYNCACTION body. */
static void
check_action(struct tclient_pkt *p, int64_t user, int64_t log_id,
    const char *who)
{
	struct loco_syncaction_push sa;
	struct loco_error err;

	static const struct want w[] = {{"userId", BSON_TYPE_INT64},
	    {"chatId", BSON_TYPE_INT64}, {"type", BSON_TYPE_INT32},
	    {"logId", BSON_TYPE_INT64}};

	if (p == NULL)
		return;
	ok(typed(p, w, sizeof w / sizeof *w, who),
	    "%s: SYNCACTION userId, chatId, logId int64, type int32", who);
	if (!ok(loco_syncaction_push_decode(p->body, &sa, &err) == 0,
	        "%s: SYNCACTION decodes", who)) {
		diag("%s", err.msg);
		return;
	}
	ok(sa.user_id == user && sa.chat_id == CHAT_GROUP &&
	        sa.log_id == log_id && sa.type == 1,
	    "%s: SYNCACTION {userId, chatId, logId, type 1}", who);
	loco_syncaction_push_release(&sa);
}

/* ACTION and locosim_react: SYNCACTION. */
static void
test_react(struct fix *f, int64_t carol_log, int64_t a_log)
{
	struct tclient_pkt *p;
	bson_t *body;

	diag("ACTION from A1");
	body = BCON_NEW("chatId", BCON_INT64(CHAT_GROUP), "logId",
	    BCON_INT64(carol_log), "type", BCON_INT32(1));
	tclient_pkt_free(call(&f->a1, "ACTION", body));
	bson_destroy(body);
	p = expect(&f->b, "SYNCACTION");
	check_action(p, UA, carol_log, "B");
	tclient_pkt_free(p);
	p = expect(&f->a2, "SYNCACTION");
	check_action(p, UA, carol_log, "A2");
	tclient_pkt_free(p);
	none(f, &f->a1, "SYNCACTION");
	none(f, &f->d, NULL);
	drain(f);

	diag("locosim_react as C");
	ok(locosim_react(f->sim, CHAT_GROUP, UC, a_log, 1) == 0, "react");
	p = expect(&f->a1, "SYNCACTION");
	check_action(p, UC, a_log, "A1");
	tclient_pkt_free(p);
	p = expect(&f->a2, "SYNCACTION");
	check_action(p, UC, a_log, "A2");
	tclient_pkt_free(p);
	p = expect(&f->b, "SYNCACTION");
	check_action(p, UC, a_log, "B");
	tclient_pkt_free(p);
	none(f, &f->d, NULL);
	ok(locosim_react(f->sim, CHAT_GROUP, UD, a_log, 1) < 0,
	    "a non-member cannot react");
	drain(f);
}

/* locosim_reply: type 26 with src_* in the attachment JSON. */
static void
test_reply(struct fix *f, int64_t src)
{
	struct loco_attachment a;
	struct loco_chatlog cl;
	struct loco_error err;
	struct tclient_pkt *p;
	int64_t id;

	diag("locosim_reply as C");
	id = locosim_reply(f->sim, CHAT_GROUP, UC, src, "replying");
	ok(id > src, "reply returns a new logId");
	p = expect(&f->b, "MSG");
	if (get_chatlog(p, &cl)) {
		is_int(cl.type, ==, LOCO_MSG_REPLY);
		is_str(cl.message, "replying");
		if (ok(loco_attachment_decode(cl.attachment, &a, &err) == 0,
		        "reply attachment is JSON")) {
			is_int(a.src_log_id, ==, src);
			is_int(a.src_user_id, ==, UC);
			is_str(a.src_message, "carol here");
			is_int(a.src_type, ==, LOCO_MSG_TEXT);
			loco_attachment_release(&a);
		} else
			diag("%s", err.msg);
	} else
		ok(false, "reply MSG has a chatLog");
	loco_chatlog_release(&cl);
	tclient_pkt_free(p);
	tclient_pkt_free(expect(&f->a1, "MSG"));
	tclient_pkt_free(expect(&f->a2, "MSG"));
	ok(locosim_reply(f->sim, CHAT_GROUP, UC, 12345, "x") < 0,
	    "a reply to an unknown message is refused");
	none(f, &f->d, NULL);
	drain(f);
}

/* locosim_send_photo: type 2 with an url serving the bytes. */
static void
test_photo(struct fix *f)
{
	uint8_t data[5000], *got = NULL;
	struct loco_attachment a;
	struct loco_chatlog cl;
	struct loco_error err;
	struct tclient_pkt *p;
	size_t i, len = 0;
	int status;

	diag("locosim_send_photo as C");
	for (i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 7 + (i >> 8));
	ok(locosim_send_photo(f->sim, CHAT_GROUP, UC, data, sizeof data, 64,
	       48) > 0,
	    "send_photo");
	tclient_pkt_free(expect(&f->a1, "MSG"));
	tclient_pkt_free(expect(&f->a2, "MSG"));
	p = expect(&f->b, "MSG");
	memset(&a, 0, sizeof a);
	if (get_chatlog(p, &cl) && cl.type == LOCO_MSG_PHOTO &&
	    loco_attachment_decode(cl.attachment, &a, &err) == 0 &&
	    a.url != NULL) {
		ok(true, "photo MSG has type 2 and an url");
		is_int(a.size, ==, sizeof data);
		is_int(a.w, ==, 64);
		is_int(a.h, ==, 48);
		status = tclient_http_get(base, a.url, &got, &len);
		is_int(status, ==, 200);
		is_mem(got, len, data, sizeof data);
		free(got);
	} else
		ok(false, "photo MSG has type 2 and an url");
	loco_attachment_release(&a);
	loco_chatlog_release(&cl);
	tclient_pkt_free(p);
	none(f, &f->d, NULL);
	drain(f);
}

/* A SYNCDLMSG in both shapes of decision 7. */
static void
check_syncdlmsg(struct tclient_pkt *p, int64_t deleted, const char *who)
{
	struct loco_chatlog cl;
	struct loco_feed feed;
	struct loco_error err;

	static const struct want w[] = {{"chatId", BSON_TYPE_INT64},
	    {"logId", BSON_TYPE_INT64}, CHATLOG_WANT("chatLog.")};

	if (p == NULL)
		return;
	ok(typed(p, w, sizeof w / sizeof *w, who),
	    "%s: SYNCDLMSG chatId, logId and a full chatLog, typed", who);
	ok(get_i64(p->body, "chatId") == CHAT_GROUP &&
	        get_i64(p->body, "logId") == deleted,
	    "%s: SYNCDLMSG top-level chatId/logId name the deleted message",
	    who);
	if (!ok(get_chatlog(p, &cl), "%s: SYNCDLMSG has a chatLog", who))
		return;
	ok(cl.type == LOCO_MSG_FEED && cl.log_id > deleted &&
	        cl.chat_id == CHAT_GROUP,
	    "%s: the chatLog is a new feed message", who);
	if (ok(loco_feed_decode(cl.message, &feed, &err) == 0,
	        "%s: feed JSON decodes", who)) {
		ok(feed.feed_type == LOCO_FEED_DELETE_TO_ALL &&
		        feed.log_id == deleted,
		    "%s: feedType 14 with the deleted logId", who);
		loco_feed_release(&feed);
	} else
		diag("%s", err.msg);
	loco_chatlog_release(&cl);
}

/* The deleted message keeps its id and gets bit 14 (SYNCMSG shows it). */
static void
check_deleted_in_history(struct fix *f, int64_t deleted)
{
	struct loco_syncmsg_res res;
	struct loco_error err;
	struct tclient_pkt *p;
	bool found = false;
	bson_t *body;
	size_t i;

	body = BCON_NEW("chatId", BCON_INT64(CHAT_GROUP), "cur",
	    BCON_INT64(deleted - 1), "cnt", BCON_INT32(1), "max",
	    BCON_INT64(deleted));
	p = call(&f->b, "SYNCMSG", body);
	bson_destroy(body);
	if (p == NULL)
		return;
	if (loco_syncmsg_res_decode(p->body, &res, &err) == 0) {
		for (i = 0; i < res.n_chatlogs; i++)
			if (res.chatlogs[i].log_id == deleted)
				found = loco_msgtype_is_deleted(
				    res.chatlogs[i].type);
		loco_syncmsg_res_release(&res);
	}
	ok(found, "SYNCMSG shows message %lld with the deleted bit",
	    (long long)deleted);
	tclient_pkt_free(p);
}

/* DELETEMSG and locosim_delete: SYNCDLMSG. */
static void
test_delete(struct fix *f, int64_t a_log)
{
	struct tclient_pkt *p;
	int64_t victim;
	bson_t *body;

	diag("DELETEMSG from A1");
	body = BCON_NEW("chatId", BCON_INT64(CHAT_GROUP), "logId",
	    BCON_INT64(a_log));
	tclient_pkt_free(call(&f->a1, "DELETEMSG", body));
	bson_destroy(body);
	p = expect(&f->b, "SYNCDLMSG");
	check_syncdlmsg(p, a_log, "B");
	tclient_pkt_free(p);
	p = expect(&f->a2, "SYNCDLMSG");
	check_syncdlmsg(p, a_log, "A2");
	tclient_pkt_free(p);
	none(f, &f->a1, "SYNCDLMSG");
	none(f, &f->d, NULL);
	check_deleted_in_history(f, a_log);
	drain(f);

	diag("locosim_delete as C");
	victim = locosim_send_text(f->sim, CHAT_GROUP, UC, "regret");
	tclient_pkt_free(expect(&f->a1, "MSG"));
	tclient_pkt_free(expect(&f->a2, "MSG"));
	tclient_pkt_free(expect(&f->b, "MSG"));
	ok(locosim_delete(f->sim, CHAT_GROUP, UC, victim) > victim,
	    "delete returns the feed's logId");
	p = expect(&f->a1, "SYNCDLMSG");
	check_syncdlmsg(p, victim, "A1");
	tclient_pkt_free(p);
	tclient_pkt_free(expect(&f->a2, "SYNCDLMSG"));
	tclient_pkt_free(expect(&f->b, "SYNCDLMSG"));
	ok(locosim_delete(f->sim, CHAT_GROUP, UC, victim) < 0,
	    "deleting twice is refused");
	none(f, &f->d, NULL);
	drain(f);
}

/* Check a CHGMETA body. */
static void
check_meta(struct tclient_pkt *p, int32_t type, int64_t author,
    const char *content, const char *who)
{
	struct loco_chgmeta cm;
	struct loco_error err;

	static const struct want w[] = {{"chatId", BSON_TYPE_INT64},
	    {"meta", BSON_TYPE_DOCUMENT}, {"meta.type", BSON_TYPE_INT32},
	    {"meta.revision", BSON_TYPE_INT64},
	    {"meta.authorId", BSON_TYPE_INT64},
	    {"meta.updatedAt", BSON_TYPE_INT32},
	    {"meta.content", BSON_TYPE_UTF8}};

	if (p == NULL)
		return;
	ok(typed(p, w, sizeof w / sizeof *w, who),
	    "%s: CHGMETA chatId and a full meta, typed", who);
	ok(tclient_i64(p->body, "meta.updatedAt") > 0,
	    "%s: CHGMETA meta.updatedAt is a time", who);
	if (!ok(loco_chgmeta_decode(p->body, &cm, &err) == 0,
	        "%s: CHGMETA decodes", who)) {
		diag("%s", err.msg);
		return;
	}
	ok(cm.chat_id == CHAT_GROUP && cm.meta.type == type &&
	        cm.meta.author_id == author && cm.meta.content != NULL &&
	        strcmp(cm.meta.content, content) == 0,
	    "%s: CHGMETA {chatId, meta type %d by %lld: '%s'}", who,
	    cm.meta.type, (long long)cm.meta.author_id,
	    cm.meta.content ? cm.meta.content : "(null)");
	loco_chgmeta_release(&cm);
}

/* SETMETA, locosim_rename and locosim_set_notice: CHGMETA. */
static void
test_meta(struct fix *f)
{
	struct tclient_pkt *p;
	bson_t *body;

	diag("SETMETA from A1");
	body = BCON_NEW("chatId", BCON_INT64(CHAT_GROUP), "type",
	    BCON_INT32(LOCO_META_TITLE), "content", BCON_UTF8("A's title"));
	tclient_pkt_free(call(&f->a1, "SETMETA", body));
	bson_destroy(body);
	p = expect(&f->b, "CHGMETA");
	check_meta(p, LOCO_META_TITLE, UA, "A's title", "B");
	tclient_pkt_free(p);
	p = expect(&f->a2, "CHGMETA");
	check_meta(p, LOCO_META_TITLE, UA, "A's title", "A2");
	tclient_pkt_free(p);
	none(f, &f->a1, "CHGMETA");
	drain(f);

	diag("locosim_rename and locosim_set_notice as C");
	ok(locosim_rename(f->sim, CHAT_GROUP, UC, "Carol's room") == 0,
	    "rename");
	p = expect(&f->a1, "CHGMETA");
	check_meta(p, LOCO_META_TITLE, UC, "Carol's room", "A1");
	tclient_pkt_free(p);
	tclient_pkt_free(expect(&f->a2, "CHGMETA"));
	tclient_pkt_free(expect(&f->b, "CHGMETA"));
	ok(locosim_set_notice(f->sim, CHAT_GROUP, UC, "be nice") == 0,
	    "set_notice");
	p = expect(&f->b, "CHGMETA");
	check_meta(p, LOCO_META_NOTICE, UC, "be nice", "B");
	tclient_pkt_free(p);
	tclient_pkt_free(expect(&f->a1, "CHGMETA"));
	tclient_pkt_free(expect(&f->a2, "CHGMETA"));
	ok(locosim_rename(f->sim, CHAT_GROUP, UD, "nope") < 0,
	    "a non-member cannot rename");
	none(f, &f->d, NULL);
	drain(f);
}

/* locosim_join and locosim_leave: NEWMEM/SYNCJOIN, DELMEM/LEFT. */
static void
test_membership(struct fix *f)
{
	struct dev *members[3] = {&f->a1, &f->a2, &f->b};
	struct loco_syncjoin sj;
	struct loco_newmem nm;
	struct loco_delmem dm;
	struct loco_left left;
	struct loco_feed feed;
	struct loco_error err;
	struct tclient_pkt *p;
	int64_t id;
	size_t i;
	static const struct want mem_w[] = {{"chatId", BSON_TYPE_INT64},
	    CHATLOG_WANT("chatLog.")};
	static const struct want join_w[] = {{"c", BSON_TYPE_INT64},
	    CHATLOG_WANT("chatLog.")};
	static const struct want left_w[] = {{"chatId", BSON_TYPE_INT64},
	    {"lastTokenId", BSON_TYPE_INT64}};

	diag("locosim_join: D joins, invited by A");
	id = locosim_join(f->sim, CHAT_GROUP, UD, UA);
	ok(id > 0, "join returns the feed's logId");
	for (i = 0; i < 3; i++) {
		p = expect(members[i], "NEWMEM");
		if (p == NULL)
			continue;
		ok(typed(p, mem_w, sizeof mem_w / sizeof *mem_w,
		       members[i]->name),
		    "%s: NEWMEM chatId and a full chatLog, typed",
		    members[i]->name);
		if (!ok(loco_newmem_decode(p->body, &nm, &err) == 0,
		        "%s: NEWMEM decodes", members[i]->name)) {
			diag("%s", err.msg);
			tclient_pkt_free(p);
			continue;
		}
		ok(nm.chat_id == CHAT_GROUP && nm.chatlog.type == 0 &&
		        nm.chatlog.log_id == id &&
		        loco_feed_decode(nm.chatlog.message, &feed, &err) ==
		            0 &&
		        feed.feed_type == LOCO_FEED_INVITE &&
		        feed.n_members == 1 && feed.members[0].user_id == UD,
		    "%s: NEWMEM feed 1 names D", members[i]->name);
		/* loco-wrapper reads members[0].nickName from the feed. */
		ok(feed.n_members == 1 && feed.members[0].nickname != NULL &&
		        strcmp(feed.members[0].nickname, "Dave") == 0,
		    "%s: NEWMEM feed members[0].nickName", members[i]->name);
		loco_feed_release(&feed);
		loco_newmem_release(&nm);
		tclient_pkt_free(p);
	}
	p = expect(&f->d, "SYNCJOIN");
	ok(typed(p, join_w, sizeof join_w / sizeof *join_w, "D"),
	    "D: SYNCJOIN c and a full chatLog, typed");
	if (p != NULL &&
	    ok(loco_syncjoin_decode(p->body, &sj, &err) == 0,
	        "SYNCJOIN decodes")) {
		is_int(sj.chat_id, ==, CHAT_GROUP);
		is_int(sj.chatlog.log_id, ==, id);
		loco_syncjoin_release(&sj);
	}
	tclient_pkt_free(p);
	none(f, &f->d, "NEWMEM");
	none(f, &f->a1, "SYNCJOIN");
	ok(locosim_join(f->sim, CHAT_GROUP, UD, UA) < 0,
	    "joining twice is refused");
	drain(f);

	diag("locosim_leave: D leaves");
	id = locosim_leave(f->sim, CHAT_GROUP, UD);
	ok(id > 0, "leave returns the feed's logId");
	for (i = 0; i < 3; i++) {
		p = expect(members[i], "DELMEM");
		if (p == NULL)
			continue;
		ok(typed(p, mem_w, sizeof mem_w / sizeof *mem_w,
		       members[i]->name),
		    "%s: DELMEM chatId and a full chatLog, typed",
		    members[i]->name);
		if (!ok(loco_delmem_decode(p->body, &dm, &err) == 0,
		        "%s: DELMEM decodes", members[i]->name)) {
			diag("%s", err.msg);
			tclient_pkt_free(p);
			continue;
		}
		ok(dm.chat_id == CHAT_GROUP && dm.chatlog.log_id == id &&
		        loco_feed_decode(dm.chatlog.message, &feed, &err) ==
		            0 &&
		        feed.feed_type == LOCO_FEED_LEAVE && feed.has_member &&
		        feed.member.user_id == UD,
		    "%s: DELMEM feed 2 names D", members[i]->name);
		/* loco-wrapper reads member.nickName from the feed. */
		ok(feed.has_member && feed.member.nickname != NULL &&
		        strcmp(feed.member.nickname, "Dave") == 0,
		    "%s: DELMEM feed member.nickName", members[i]->name);
		loco_feed_release(&feed);
		loco_delmem_release(&dm);
		tclient_pkt_free(p);
	}
	p = expect(&f->d, "LEFT");
	ok(typed(p, left_w, sizeof left_w / sizeof *left_w, "D"),
	    "D: LEFT chatId and lastTokenId are int64");
	if (p != NULL &&
	    ok(loco_left_decode(p->body, &left, &err) == 0, "LEFT decodes")) {
		is_int(left.chat_id, ==, CHAT_GROUP);
		loco_left_release(&left);
	}
	tclient_pkt_free(p);
	none(f, &f->d, "DELMEM");
	none(f, &f->a1, "LEFT");
	drain(f);

	diag("after leaving, D gets nothing from the chat");
	ok(locosim_send_text(f->sim, CHAT_GROUP, UC, "bye dave") > 0, "send");
	tclient_pkt_free(expect(&f->b, "MSG"));
	none(f, &f->d, NULL);
	drain(f);
}

/* locosim_create_chat: SYNCJOIN to the members' sessions. */
static void
test_create(struct fix *f)
{
	struct dev *to[3] = {&f->a1, &f->a2, &f->b};
	const int64_t members[3] = {UB, UA, UC};
	struct loco_syncjoin sj;
	struct loco_error err;
	struct tclient_pkt *p;
	int64_t id;
	size_t i;

	diag("locosim_create_chat by B with A and C");
	id = locosim_create_chat(f->sim, "MultiChat", members, 3, "Fresh");
	ok(id > CHAT_DM, "create returns a new chat id");
	for (i = 0; i < 3; i++) {
		p = expect(to[i], "SYNCJOIN");
		if (p != NULL &&
		    ok(loco_syncjoin_decode(p->body, &sj, &err) == 0,
		        "%s: SYNCJOIN decodes", to[i]->name)) {
			is_int(sj.chat_id, ==, id);
			loco_syncjoin_release(&sj);
		}
		tclient_pkt_free(p);
	}
	none(f, &f->d, NULL);
	drain(f);

	diag("a message in the new chat reaches its members");
	ok(locosim_send_text(f->sim, id, UC, "first!") > 0, "send");
	tclient_pkt_free(expect(&f->a1, "MSG"));
	tclient_pkt_free(expect(&f->b, "MSG"));
	tclient_pkt_free(expect(&f->a2, "MSG"));
	none(f, &f->d, NULL);
	drain(f);
}

/* The whole push scenario in one cipher profile. */
static void
run_pushes(enum loco_cipher cipher)
{
	struct fix f;
	int64_t a_log, c_log;

	memset(&f, 0, sizeof f);
	f.cipher = cipher;
	if ((f.sim = sim_start(cipher)) == NULL)
		return;
	if (!dev_login(&f, &f.a1, UA, 2, "A1") ||
	    !dev_login(&f, &f.a2, UA, 1, "A2") ||
	    !dev_login(&f, &f.b, UB, 2, "B") ||
	    !dev_login(&f, &f.d, UD, 2, "D"))
		goto out;
	is_uint(locosim_session_count(f.sim, UA), ==, 2);
	is_uint(locosim_session_count(f.sim, 0), ==, 4);
	drain(&f);

	if ((a_log = test_write(&f)) == 0)
		goto out;
	c_log = test_send_text(&f, a_log);
	test_read(&f, c_log);
	test_react(&f, c_log, a_log);
	test_reply(&f, c_log);
	test_photo(&f);
	test_delete(&f, a_log);
	test_meta(&f);
	test_membership(&f);
	test_create(&f);
out:
	tclient_free(f.a1.tc);
	tclient_free(f.a2.tc);
	tclient_free(f.b.tc);
	tclient_free(f.d.tc);
	locosim_free(f.sim);
	tclient_loop_drain(base);
}

/* The raw peer's connection closed or failed. */
static void
raw_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct rawpeer *rp = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return;
	rp->closed = true;
}

/* Decrypt frame by frame, noting where each packet began and ended. */
static void
raw_read_cb(struct bufferevent *bev, void *arg)
{
	struct rawpeer *rp = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct loco_packet pkt;
	struct loco_error err;
	struct rawpkt *q;
	size_t before, n;
	int r;

	while (!rp->failed) {
		before = evbuffer_get_length(rp->plain);
		if ((r = loco_secure_open(rp->sec, in, rp->plain, &err)) == 0)
			break;
		if (r < 0) {
			diag("raw peer: %s", err.msg);
			rp->failed = true;
			break;
		}
		rp->frames++;
		n = evbuffer_get_length(rp->plain) - before;
		if (n > rp->max_plain)
			rp->max_plain = n;
		if (before == 0)
			rp->start_frame = rp->frames;
		while ((r = loco_packet_parse(rp->plain, LOCO_BODY_MAX_DEFAULT,
		            &pkt, &err)) == 1) {
			rp->pkts = realloc(rp->pkts,
			    (rp->n_pkts + 1) * sizeof *rp->pkts);
			q = &rp->pkts[rp->n_pkts++];
			q->id = pkt.hdr.packet_id;
			memcpy(q->method, pkt.hdr.method, sizeof q->method);
			q->body = bson_copy(&pkt.body);
			q->first_frame = rp->start_frame;
			q->last_frame = rp->frames;
			loco_packet_release(&pkt);
			if (evbuffer_get_length(rp->plain) > 0)
				rp->start_frame = rp->frames;
		}
		if (r < 0) {
			diag("raw peer: %s", err.msg);
			rp->failed = true;
		}
	}
}

/* Connect to sim's chat port and send the handshake. */
static struct rawpeer *
raw_connect(struct locosim *sim, enum loco_cipher cipher)
{
	uint8_t hs[LOCO_HANDSHAKE_LEN];
	struct sockaddr_in sin;
	struct loco_error err;
	struct rawpeer *rp;

	rp = calloc(1, sizeof *rp);
	rp->sec = loco_secure_client_new(locosim_public_key(sim),
	    cipher == LOCO_CIPHER_GCM ? LOCO_KEY_ENCRYPT_OAEP
	                              : LOCO_KEY_ENCRYPT_OAEP_LEGACY2,
	    cipher, hs, &err);
	if (rp->sec == NULL) {
		diag("%s", err.msg);
		free(rp);
		return NULL;
	}
	rp->plain = evbuffer_new();
	rp->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(rp->bev, raw_read_cb, NULL, raw_event_cb, rp);
	bufferevent_enable(rp->bev, EV_READ | EV_WRITE);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(locosim_port(sim, LOCOSIM_CHAT));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bufferevent_write(rp->bev, hs, sizeof hs);
	if (bufferevent_socket_connect(rp->bev, (struct sockaddr *)&sin,
	        sizeof sin) != 0)
		rp->closed = true;
	return rp;
}

/* Close the raw peer and free what it collected. */
static void
raw_free(struct rawpeer *rp)
{
	size_t i;

	if (rp == NULL)
		return;
	for (i = 0; i < rp->n_pkts; i++)
		bson_destroy(rp->pkts[i].body);
	free(rp->pkts);
	bufferevent_free(rp->bev);
	evbuffer_free(rp->plain);
	loco_secure_free(rp->sec);
	free(rp);
}

/* Seal one packet as one frame. */
static void
raw_send(struct rawpeer *rp, uint32_t id, const char *method,
    const bson_t *body)
{
	struct evbuffer *tmp = evbuffer_new();
	struct loco_error err;
	size_t len;

	if (loco_packet_encode(tmp, id, 0, method, body, &err) == 0) {
		len = evbuffer_get_length(tmp);
		if (loco_secure_seal(rp->sec, evbuffer_pullup(tmp, -1), len,
		        bufferevent_get_output(rp->bev), &err) != 0)
			diag("seal: %s", err.msg);
	}
	evbuffer_free(tmp);
}

/* What raw_wait waits for. */
struct raw_cond {
	struct rawpeer *rp;
	uint32_t id;        /* a packet with this id, or: */
	const char *method; /* at least n packets of this method */
	size_t n;
};

/* How many packets of method the raw peer has seen. */
static size_t
raw_count(const struct rawpeer *rp, const char *method)
{
	size_t i, n = 0;

	for (i = 0; i < rp->n_pkts; i++)
		if (strcmp(rp->pkts[i].method, method) == 0)
			n++;
	return n;
}

/* The packet with id, or NULL. */
static struct rawpkt *
raw_find(struct rawpeer *rp, uint32_t id)
{
	size_t i;

	for (i = 0; i < rp->n_pkts; i++)
		if (rp->pkts[i].id == id)
			return &rp->pkts[i];
	return NULL;
}

/* What a raw_wait waits for is there, or cannot come. */
static bool
raw_ready(void *arg)
{
	struct raw_cond *c = arg;

	if (c->rp->failed || c->rp->closed)
		return true;
	if (c->method != NULL)
		return raw_count(c->rp, c->method) >= c->n;
	return raw_find(c->rp, c->id) != NULL;
}

/* Wait for the answer to id; NULL on failure. */
static struct rawpkt *
raw_wait_id(struct rawpeer *rp, uint32_t id)
{
	struct raw_cond c = {rp, id, NULL, 0};

	tclient_loop_until(base, raw_ready, &c, TCLIENT_WAIT_MS);
	return raw_find(rp, id);
}

/*
 * Frames: LOGINLIST and SYNCMSG answers larger than a frame come split;
 * pushes queued together leave in one frame; no frame holds more than
 * frame_plain_max plaintext bytes.
 */
static void
run_frames(enum loco_cipher cipher)
{
	const int64_t known[2] = {CHAT_GROUP, CHAT_OPEN};
	const int64_t zeros[2] = {0, 0};
	struct loco_loginlist_res login;
	struct loco_syncmsg_res sync;
	struct locosim_account *acc;
	struct loco_error err;
	struct locosim *sim;
	struct rawpeer *rp = NULL;
	struct rawpkt *q;
	struct raw_cond c;
	char *big;
	unsigned before;
	bson_t body;
	size_t i, start;
	int k;

	if ((sim = sim_start(cipher)) == NULL)
		return;
	/* Long messages, added before anyone is logged in to see them. */
	big = malloc(BIG_TEXT + 1);
	for (k = 0; k < BIG_COUNT; k++) {
		memset(big, 'a' + k, BIG_TEXT);
		big[BIG_TEXT] = '\0';
		locosim_send_text(sim, CHAT_GROUP, UB, big);
	}
	locosim_send_text(sim, CHAT_OPEN, UB, big);
	free(big);

	if ((rp = raw_connect(sim, cipher)) == NULL)
		goto out;
	acc = locosim_world_account(locosim_world(sim), UA);
	bson_init(&body);
	tclient_loginlist_body(&body, acc->access_token, acc->device_uuid, 3,
	    known, zeros, 2);
	raw_send(rp, 1, "LOGINLIST", &body);
	bson_destroy(&body);
	q = raw_wait_id(rp, 1);
	if (!ok(q != NULL, "raw peer: LOGINLIST answered")) {
		diag("failed %d closed %d", rp->failed, rp->closed);
		goto out;
	}
	ok(q->last_frame > q->first_frame,
	    "LOGINLIST of %u bytes spans frames %u..%u", q->body->len,
	    q->first_frame, q->last_frame);
	if (ok(loco_loginlist_res_decode(q->body, &login, &err) == 0,
	        "split LOGINLIST decodes")) {
		ok(login.status == 0 && login.list.n_chats == 2 &&
		        login.list.chats[0].last_log != NULL &&
		        strlen(login.list.chats[0].last_log->message) ==
		            BIG_TEXT,
		    "LOGINLIST carries both chats with their last message");
		loco_loginlist_res_release(&login);
	} else
		diag("%s", err.msg);

	bson_init(&body);
	BSON_APPEND_INT64(&body, "chatId", CHAT_GROUP);
	BSON_APPEND_INT64(&body, "cur", 0);
	BSON_APPEND_INT32(&body, "cnt", 50);
	BSON_APPEND_INT64(&body, "max", INT64_MAX);
	raw_send(rp, 2, "SYNCMSG", &body);
	bson_destroy(&body);
	if (ok((q = raw_wait_id(rp, 2)) != NULL,
	        "raw peer: SYNCMSG answered")) {
		ok(q->last_frame >= q->first_frame + 2,
		    "SYNCMSG of %u bytes spans frames %u..%u", q->body->len,
		    q->first_frame, q->last_frame);
		if (ok(loco_syncmsg_res_decode(q->body, &sync, &err) == 0,
		        "split SYNCMSG decodes")) {
			is_uint(sync.n_chatlogs, ==, BIG_COUNT + 1);
			loco_syncmsg_res_release(&sync);
		} else
			diag("%s", err.msg);
	}

	diag("pushes held while stalled leave together");
	ok(locosim_stall(sim, UA, true) == 1, "stall the raw peer's session");
	start = rp->n_pkts;
	before = rp->frames;
	for (k = 0; k < 3; k++)
		locosim_send_text(sim, CHAT_GROUP, UC, "short");
	tclient_loop_until(base, NULL, NULL, QUIET_MS);
	is_uint(rp->n_pkts, ==, start);
	ok(locosim_stall(sim, UA, false) == 1, "unstall");
	c.rp = rp;
	c.id = 0;
	c.method = "MSG";
	c.n = 3;
	if (ok(tclient_loop_until(base, raw_ready, &c, TCLIENT_WAIT_MS) &&
	            raw_count(rp, "MSG") == 3,
	        "three MSG arrive")) {
		is_uint(rp->frames, ==, before + 1);
		for (i = start; i < rp->n_pkts; i++)
			ok(rp->pkts[i].first_frame == before + 1 &&
			        rp->pkts[i].last_frame == before + 1 &&
			        rp->pkts[i].id >=
			            LOCO_CONN_PUSH_ID_BASE_DEFAULT,
			    "MSG push %u is in frame %u", rp->pkts[i].id,
			    rp->pkts[i].first_frame);
	}

	diag("one push leaves in one frame of its own");
	before = rp->frames;
	start = rp->n_pkts;
	ok(locosim_send_text(sim, CHAT_GROUP, UC, "one more") > 0, "send");
	c.n = 4;
	if (ok(tclient_loop_until(base, raw_ready, &c, TCLIENT_WAIT_MS),
	        "MSG arrives")) {
		is_uint(rp->frames, ==, before + 1);
		is_uint(rp->n_pkts, ==, start + 1);
	}
	ok(rp->max_plain <= FRAME_PLAIN,
	    "no frame carries more than %d plaintext bytes (largest %zu)",
	    FRAME_PLAIN, rp->max_plain);
	ok(!rp->failed && !rp->closed, "the raw peer read every frame");
out:
	raw_free(rp);
	locosim_free(sim);
	tclient_loop_drain(base);
}

/* With coalescing off, held pushes leave one frame each. */
static void
run_no_coalesce(enum loco_cipher cipher)
{
	const int64_t known[1] = {CHAT_GROUP};
	const int64_t zeros[1] = {0};
	struct locosim_account *acc;
	struct rawpeer *rp = NULL;
	struct locosim *sim;
	struct raw_cond c;
	unsigned before;
	bson_t body;
	int k;

	sim_no_coalesce = true;
	sim = sim_start(cipher);
	sim_no_coalesce = false;
	if (sim == NULL || (rp = raw_connect(sim, cipher)) == NULL)
		goto out;
	acc = locosim_world_account(locosim_world(sim), UA);
	bson_init(&body);
	tclient_loginlist_body(&body, acc->access_token, acc->device_uuid, 3,
	    known, zeros, 1);
	raw_send(rp, 1, "LOGINLIST", &body);
	bson_destroy(&body);
	if (!ok(raw_wait_id(rp, 1) != NULL, "no-coalesce: logged in"))
		goto out;
	ok(locosim_stall(sim, UA, true) == 1, "no-coalesce: stall");
	before = rp->frames;
	for (k = 0; k < 3; k++)
		locosim_send_text(sim, CHAT_GROUP, UC, "short");
	ok(locosim_stall(sim, UA, false) == 1, "no-coalesce: unstall");
	c.rp = rp;
	c.id = 0;
	c.method = "MSG";
	c.n = 3;
	if (ok(tclient_loop_until(base, raw_ready, &c, TCLIENT_WAIT_MS),
	        "no-coalesce: three MSG arrive"))
		is_uint(rp->frames, ==, before + 3);
out:
	raw_free(rp);
	locosim_free(sim);
	tclient_loop_drain(base);
}

/* The pushes and frames in both cipher profiles. */
int
main(void)
{
	const char *dir;

	tap_init(120);
	base = event_base_new();
	dir = tap_tmpdir();
	snprintf(rsa_path, sizeof rsa_path, "%s/rsa.pem", dir);
	snprintf(cert_path, sizeof cert_path, "%s/cert.pem", dir);
	snprintf(certkey_path, sizeof certkey_path, "%s/cert-key.pem", dir);

	diag("GCM profile");
	run_pushes(LOCO_CIPHER_GCM);
	run_frames(LOCO_CIPHER_GCM);
	run_no_coalesce(LOCO_CIPHER_GCM);
	diag("CFB profile");
	run_pushes(LOCO_CIPHER_CFB);
	run_frames(LOCO_CIPHER_CFB);

	event_base_free(base);
	return done_testing();
}
