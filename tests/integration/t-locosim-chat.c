/* locoirc: see LICENSE.
 *
 * Every chat command of locosim, driven by a logged-in test client: the
 * exact fields of each response and what the command does to the world
 * (room info and members, big rooms, WRITE and FORWARD, SYNCMSG paging
 * forward, MCHATLOGS, read watermarks, deletes, reactions, metas), plus
 * the refusals: foreign chats, bad bodies, unknown methods. The whole run
 * repeats on a fresh world for the GCM and the CFB profile.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <bson/bson.h>

#include "loco-bson.h"
#include "locosim.h"
#include "locosim-world.h"
#include "tap.h"
#include "tclient.h"

#define ME 101
#define C_TEAM 2001
#define C_DM 2002
#define C_MEMO 2003
#define C_FAIL 2004    /* CHATINFO answers -401 */
#define C_FOREIGN 2005 /* ME is not a member */
#define C_BIG100 2007  /* exactly 100 members */
#define C_BIG101 2008  /* 101 members */
#define C_PAGE 2009    /* 120 messages */
#define C_OPEN 2010    /* an open group chat (OM) */
#define C_NEW 2011     /* created during the run, ME invited */
#define OPEN_LINK 777
#define C_NONE 2999 /* no such chat */
#define NOW 1700000000
#define PAGE_MSGS 120
#define DELETED_BIT 0x4000

/* Log ids written out in the world, so the test knows them. */
#define L(n) (INT64_C(9007199254741000) + (n))

static struct event_base *base;
static struct locosim *sim;
static struct tclient *me;
static const char *tag;

/* The world as JSON: small rooms with known ids, two big rooms, one
 * room of PAGE_MSGS messages. Returns a malloc'd string. */
static char *
make_world(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int i;

	fprintf(f,
	    "{\"now\": %d, \"users\": ["
	    "{\"userId\": 101, \"nickName\": \"나\"},"
	    "{\"userId\": 102, \"nickName\": \"Bob\","
	    " \"statusMessage\": \"hi \\\"there\\\"\"},"
	    "{\"userId\": 103, \"nickName\": \"캐롤\"},"
	    "{\"userId\": 104, \"nickName\": \"Dave\"}",
	    NOW);
	for (i = 200; i < 300; i++)
		fprintf(f, ", {\"userId\": %d, \"nickName\": \"u%d\"}", i, i);
	fprintf(f,
	    "], \"accounts\": ["
	    "{\"userId\": 101, \"accessToken\": \"token-101\","
	    " \"deviceUuid\": \"duuid-101\"},"
	    "{\"userId\": 102, \"accessToken\": \"token-102\","
	    " \"deviceUuid\": \"duuid-102\"}], \"chats\": [");
	fprintf(f,
	    "{\"chatId\": %d, \"type\": \"MultiChat\", \"title\": \"팀\","
	    " \"notice\": \"공지\", \"members\": [101, 102, 103],"
	    " \"messages\": ["
	    "{\"logId\": %lld, \"authorId\": 102, \"message\": \"hi\"},"
	    "{\"logId\": %lld, \"authorId\": 101, \"message\": \"mine\"},"
	    "{\"logId\": %lld, \"authorId\": 103, \"message\": \"sup\"},"
	    "{\"logId\": %lld, \"authorId\": 102, \"message\": \"last\"}],"
	    " \"watermarks\": {\"101\": %lld, \"102\": %lld, \"103\": %lld}},",
	    C_TEAM, (long long)L(1), (long long)L(2), (long long)L(3),
	    (long long)L(4), (long long)L(1), (long long)L(4), (long long)L(3));
	fprintf(f,
	    "{\"chatId\": %d, \"type\": \"DirectChat\", \"members\": [101, "
	    "102],"
	    " \"messages\": ["
	    "{\"logId\": %lld, \"authorId\": 102, \"message\": \"dm\"},"
	    "{\"logId\": %lld, \"authorId\": 101, \"message\": \"dm2\"}]},",
	    C_DM, (long long)L(10), (long long)L(11));
	fprintf(f,
	    "{\"chatId\": %d, \"type\": \"MemoChat\", \"members\": [101],"
	    " \"messages\": [{\"logId\": %lld, \"authorId\": 101,"
	    " \"message\": \"memo\"}]},",
	    C_MEMO, (long long)L(20));
	fprintf(f,
	    "{\"chatId\": %d, \"type\": \"MultiChat\", \"infoFails\": true,"
	    " \"members\": [101, 102], \"messages\": [{\"logId\": %lld,"
	    " \"authorId\": 102, \"message\": \"alert\"}]},",
	    C_FAIL, (long long)L(30));
	fprintf(f,
	    "{\"chatId\": %d, \"type\": \"MultiChat\", \"members\": [102, 103],"
	    " \"messages\": [{\"logId\": %lld, \"authorId\": 102,"
	    " \"message\": \"secret\"}]},",
	    C_FOREIGN, (long long)L(40));
	fprintf(f,
	    "{\"chatId\": %d, \"type\": \"MultiChat\", \"members\": [101",
	    C_BIG100);
	for (i = 200; i < 299; i++)
		fprintf(f, ", %d", i);
	fprintf(f,
	    "]}, {\"chatId\": %d, \"type\": \"MultiChat\","
	    " \"members\": [101",
	    C_BIG101);
	for (i = 200; i < 300; i++)
		fprintf(f, ", %d", i);
	fprintf(f,
	    "]}, {\"chatId\": %d, \"type\": \"MultiChat\","
	    " \"members\": [101, 102], \"messages\": [",
	    C_PAGE);
	for (i = 0; i < PAGE_MSGS; i++)
		fprintf(f, "%s{\"authorId\": %d, \"message\": \"p%d\"}",
		    i ? ", " : "", i % 2 ? 101 : 102, i);
	fprintf(f,
	    "]}, {\"chatId\": %d, \"type\": \"OM\", \"linkId\": %d,"
	    " \"members\": [101, 102, 103], \"messages\": [{\"logId\": %lld,"
	    " \"authorId\": 102, \"message\": \"open\"}]}]}",
	    C_OPEN, OPEN_LINK, (long long)L(50));
	fclose(f);
	return buf;
}

/* The chat with id in locosim's world (for expectations). */
static struct locosim_chat *
chat(int64_t id)
{
	return locosim_world_chat(locosim_world(sim), id);
}

/*
 * Call method with body (consumed, may be NULL) on the session and check
 * what every response must have: the method echoed and an int32 status.
 */
static struct tclient_pkt *
call(const char *method, bson_t *body)
{
	struct tclient_pkt *p;
	struct loco_error err;

	p = tclient_call(me, method, body, &err);
	if (body != NULL)
		bson_destroy(body);
	if (!ok(p != NULL, "%s: %s answered: %s", tag, method,
	        p ? "ok" : err.msg))
		return NULL;
	if (strcmp(p->hdr.method, method) != 0 ||
	    tclient_type(p->body, "status") != BSON_TYPE_INT32)
		ok(false, "%s: %s reply is %s with status type 0x%02x", tag,
		    method, p->hdr.method,
		    (unsigned)tclient_type(p->body, "status"));
	return p;
}

/* method/body must be answered with status alone. */
static void
expect_status(const char *what, const char *method, bson_t *body,
    int32_t status)
{
	struct tclient_pkt *p = call(method, body);

	if (p != NULL)
		ok(tclient_status(p) == status, "%s: %s: %s answers %d (%d)",
		    tag, what, method, status, tclient_status(p));
	tclient_pkt_free(p);
}

/* Check that path holds type t. */
static bool
has_type(const bson_t *doc, const char *path, bson_type_t t)
{
	bson_type_t got = tclient_type(doc, path);

	return ok(got == t, "%s: %s has BSON type 0x%02x (got 0x%02x)", tag,
	    path, (unsigned)t, (unsigned)got);
}

/* A chatLog document carries every key with its LOCO type. */
static bool
chatlog_types(const bson_t *cl)
{
	static const struct {
		const char *key;
		bson_type_t type;
	} keys[] = {{"logId", BSON_TYPE_INT64}, {"prevId", BSON_TYPE_INT64},
	    {"chatId", BSON_TYPE_INT64}, {"type", BSON_TYPE_INT32},
	    {"authorId", BSON_TYPE_INT64}, {"message", BSON_TYPE_UTF8},
	    {"attachment", BSON_TYPE_UTF8}, {"sendAt", BSON_TYPE_INT32},
	    {"msgId", BSON_TYPE_INT64}};
	size_t i;

	for (i = 0; i < sizeof keys / sizeof *keys; i++)
		if (tclient_type(cl, keys[i].key) != keys[i].type) {
			diag("chatLog %s has type 0x%02x", keys[i].key,
			    (unsigned)tclient_type(cl, keys[i].key));
			return false;
		}
	return true;
}

/* Parallel arrays a/w of CHATONROOM must match the world's members. */
static void
check_watermarks(const bson_t *b, struct locosim_chat *c)
{
	char ap[32], wp[32];
	bool same;
	size_t i;

	same = tclient_len(b, "a") == (int)c->n_members &&
	    tclient_len(b, "w") == (int)c->n_members;
	for (i = 0; same && i < c->n_members; i++) {
		snprintf(ap, sizeof ap, "a.%zu", i);
		snprintf(wp, sizeof wp, "w.%zu", i);
		same = tclient_type(b, ap) == BSON_TYPE_INT64 &&
		    tclient_i64(b, ap) == c->members[i].user_id &&
		    tclient_i64(b, wp) == c->members[i].watermark;
	}
	ok(same, "%s: chat %lld: a/w list every member's watermark", tag,
	    (long long)c->id);
}

/* CHATONROOM's w for user, or INT64_MIN. */
static int64_t
room_watermark(int64_t chat_id, int64_t user)
{
	struct tclient_pkt *p;
	int64_t w = INT64_MIN;
	char path[48];
	int i, n;

	p = call("CHATONROOM", BCON_NEW("chatId", BCON_INT64(chat_id)));
	if (p == NULL)
		return w;
	n = tclient_len(p->body, "a");
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof path, "a.%d", i);
		if (tclient_i64(p->body, path) == user) {
			snprintf(path, sizeof path, "w.%d", i);
			w = tclient_i64(p->body, path);
		}
	}
	tclient_pkt_free(p);
	return w;
}

/* The chatMetas entry of type in a CHATINFO reply, as a view. */
static bool
find_meta(const bson_t *body, int32_t type, bson_t *out)
{
	char path[48];
	int i, n = tclient_len(body, "chatInfo.chatMetas");

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof path, "chatInfo.chatMetas.%d", i);
		if (tclient_doc(body, path, out) &&
		    tclient_i64(out, "type") == type)
			return true;
	}
	return false;
}

/* CHATINFO: fields, metas, display members, and -401 cases. */
static void
test_chatinfo(void)
{
	struct tclient_pkt *p;
	bson_t meta;
	bool members;
	int64_t a, b;

	p = call("CHATINFO", BCON_NEW("chatId", BCON_INT64(C_TEAM)));
	if (p != NULL && is_int(tclient_status(p), ==, 0)) {
		has_type(p->body, "chatInfo", BSON_TYPE_DOCUMENT);
		has_type(p->body, "chatInfo.chatId", BSON_TYPE_INT64);
		is_int(tclient_i64(p->body, "chatInfo.chatId"), ==, C_TEAM);
		is_str(tclient_str(p->body, "chatInfo.type"), "MultiChat");
		is_int(tclient_i64(p->body, "chatInfo.activeMembersCount"), ==,
		    3);
		is_int(tclient_i64(p->body, "chatInfo.lastLogId"), ==, L(4));
		is_int(tclient_i64(p->body, "chatInfo.lastSeenLogId"), ==,
		    L(1));
		/* "sup" and "last" are unread; "mine" is ours. */
		is_int(tclient_i64(p->body, "chatInfo.newMessageCount"), ==, 2);
		is_int(tclient_i64(p->body, "chatInfo.lastChatLog.logId"), ==,
		    L(4));
		is_int(tclient_len(p->body, "chatInfo.chatMetas"), ==, 2);
		if (ok(find_meta(p->body, 3, &meta), "%s: a title meta", tag)) {
			is_str(tclient_str(&meta, "content"), "팀");
			is_int(tclient_i64(&meta, "revision"), ==, 1);
		}
		if (ok(find_meta(p->body, 1, &meta), "%s: a notice meta",
		        tag)) {
			is_str(tclient_str(&meta, "content"), "공지");
			is_int(tclient_i64(&meta, "revision"), ==, 1);
		}
		/* Display members: the others, with their nicknames. */
		is_int(tclient_len(p->body, "chatInfo.displayMembers"), ==, 2);
		a = tclient_i64(p->body, "chatInfo.displayMembers.0.userId");
		b = tclient_i64(p->body, "chatInfo.displayMembers.1.userId");
		members = (a == 102 && b == 103) || (a == 103 && b == 102);
		ok(members, "%s: displayMembers are 102 and 103", tag);
		is_str(tclient_str(p->body,
		           a == 102 ? "chatInfo.displayMembers.0.nickName"
		                    : "chatInfo.displayMembers.1.nickName"),
		    "Bob");
		is_int(tclient_bool(p->body, "chatInfo.directChat"), ==, 0);
	}
	tclient_pkt_free(p);

	p = call("CHATINFO", BCON_NEW("chatId", BCON_INT64(C_DM)));
	if (p != NULL && is_int(tclient_status(p), ==, 0)) {
		is_str(tclient_str(p->body, "chatInfo.type"), "DirectChat");
		is_int(tclient_bool(p->body, "chatInfo.directChat"), ==, 1);
		is_int(tclient_len(p->body, "chatInfo.chatMetas"), ==, 0);
		is_int(tclient_i64(p->body, "chatInfo.displayMembers.0.userId"),
		    ==, 102);
	}
	tclient_pkt_free(p);

	expect_status("a chat with infoFails", "CHATINFO",
	    BCON_NEW("chatId", BCON_INT64(C_FAIL)), -401);
	expect_status("a chat we are not in", "CHATINFO",
	    BCON_NEW("chatId", BCON_INT64(C_FOREIGN)), -401);
	expect_status("no such chat", "CHATINFO",
	    BCON_NEW("chatId", BCON_INT64(C_NONE)), -401);
	/* The failing chat fails alone: the others still answer. */
	p = call("CHATINFO", BCON_NEW("chatId", BCON_INT32(C_MEMO)));
	ok(p != NULL && tclient_status(p) == 0,
	    "%s: CHATINFO with an int32 chatId after a failure", tag);
	tclient_pkt_free(p);
}

/* Every m entry is a member document of a member of c. */
static bool
members_ok(const bson_t *b, const char *key, struct locosim_chat *c)
{
	char path[48];
	int i, n = tclient_len(b, key);

	if (n != (int)c->n_members)
		return false;
	for (i = 0; i < n; i++) {
		struct locosim_user *u;
		int64_t id;

		snprintf(path, sizeof path, "%s.%d.userId", key, i);
		if (tclient_type(b, path) != BSON_TYPE_INT64)
			return false;
		id = tclient_i64(b, path);
		if (locosim_chat_member(c, id) == NULL ||
		    (u = locosim_world_user(locosim_world(sim), id)) == NULL)
			return false;
		snprintf(path, sizeof path, "%s.%d.nickName", key, i);
		if (tclient_str(b, path) == NULL ||
		    strcmp(tclient_str(b, path), u->nickname) != 0)
			return false;
		snprintf(path, sizeof path, "%s.%d.type", key, i);
		if (tclient_type(b, path) != BSON_TYPE_INT32)
			return false;
	}
	return true;
}

/* CHATONROOM: m up to 100 members, mi above, a/w and l. */
static void
test_chatonroom(void)
{
	struct tclient_pkt *p;
	bool all = true;
	char path[48];
	int i;

	p = call("CHATONROOM", BCON_NEW("chatId", BCON_INT64(C_TEAM)));
	if (p != NULL && is_int(tclient_status(p), ==, 0)) {
		has_type(p->body, "c", BSON_TYPE_INT64);
		is_int(tclient_i64(p->body, "c"), ==, C_TEAM);
		is_str(tclient_str(p->body, "t"), "MultiChat");
		has_type(p->body, "l", BSON_TYPE_INT64);
		is_int(tclient_i64(p->body, "l"), ==, L(4));
		ok(members_ok(p->body, "m", chat(C_TEAM)),
		    "%s: m holds the 3 members in full", tag);
		is_int(tclient_type(p->body, "mi"), ==, BSON_TYPE_EOD);
		check_watermarks(p->body, chat(C_TEAM));
		is_int(room_watermark(C_TEAM, 103), ==, L(3));
	}
	tclient_pkt_free(p);

	p = call("CHATONROOM", BCON_NEW("chatId", BCON_INT64(C_BIG100)));
	if (p != NULL && is_int(tclient_status(p), ==, 0)) {
		ok(members_ok(p->body, "m", chat(C_BIG100)),
		    "%s: 100 members: all in m", tag);
		is_int(tclient_type(p->body, "mi"), ==, BSON_TYPE_EOD);
		is_int(tclient_i64(p->body, "l"), ==, 0);
		check_watermarks(p->body, chat(C_BIG100));
	}
	tclient_pkt_free(p);

	p = call("CHATONROOM", BCON_NEW("chatId", BCON_INT64(C_BIG101)));
	if (p != NULL && is_int(tclient_status(p), ==, 0)) {
		is_int(tclient_type(p->body, "m"), ==, BSON_TYPE_EOD);
		is_int(tclient_len(p->body, "mi"), ==, 101);
		for (i = 0; i < 101; i++) {
			snprintf(path, sizeof path, "mi.%d", i);
			if (tclient_type(p->body, path) != BSON_TYPE_INT64 ||
			    locosim_chat_member(chat(C_BIG101),
			        tclient_i64(p->body, path)) == NULL)
				all = false;
		}
		ok(all, "%s: 101 members: mi lists their int64 ids", tag);
		check_watermarks(p->body, chat(C_BIG101));
	}
	tclient_pkt_free(p);
	expect_status("a chat we are not in", "CHATONROOM",
	    BCON_NEW("chatId", BCON_INT64(C_FOREIGN)), -401);
	expect_status("no such chat", "CHATONROOM",
	    BCON_NEW("chatId", BCON_INT64(C_NONE)), -401);
}

/* GETMEM and MEMBER. */
static void
test_members(void)
{
	struct tclient_pkt *p;
	int64_t a, b;

	p = call("GETMEM", BCON_NEW("chatId", BCON_INT64(C_TEAM)));
	if (p != NULL && is_int(tclient_status(p), ==, 0)) {
		ok(members_ok(p->body, "members", chat(C_TEAM)),
		    "%s: GETMEM lists the 3 members", tag);
		has_type(p->body, "token", BSON_TYPE_INT64);
		is_str(tclient_str(p->body, "members.1.statusMessage"),
		    "hi \"there\"");
	}
	tclient_pkt_free(p);
	p = call("GETMEM", BCON_NEW("chatId", BCON_INT64(C_BIG101)));
	ok(p != NULL && members_ok(p->body, "members", chat(C_BIG101)),
	    "%s: GETMEM lists all 101 members of the big room", tag);
	tclient_pkt_free(p);
	expect_status("a chat we are not in", "GETMEM",
	    BCON_NEW("chatId", BCON_INT64(C_FOREIGN)), -401);

	/* MEMBER: only the requested ids that are members. */
	p = call("MEMBER",
	    BCON_NEW("chatId", BCON_INT64(C_TEAM), "memberIds", "[",
	        BCON_INT64(102), BCON_INT64(104), BCON_INT64(999),
	        BCON_INT64(103), "]"));
	if (p != NULL && is_int(tclient_status(p), ==, 0)) {
		is_int(tclient_i64(p->body, "chatId"), ==, C_TEAM);
		is_int(tclient_len(p->body, "members"), ==, 2);
		a = tclient_i64(p->body, "members.0.userId");
		b = tclient_i64(p->body, "members.1.userId");
		ok((a == 102 && b == 103) || (a == 103 && b == 102),
		    "%s: MEMBER gives 102 and 103 only", tag);
		is_str(tclient_str(p->body,
		           a == 103 ? "members.0.nickName"
		                    : "members.1.nickName"),
		    "캐롤");
	}
	tclient_pkt_free(p);
	p = call("MEMBER",
	    BCON_NEW("chatId", BCON_INT64(C_BIG101), "memberIds", "[",
	        BCON_INT32(250), BCON_INT64(104), "]"));
	ok(p != NULL && tclient_status(p) == 0 &&
	        tclient_len(p->body, "members") == 1 &&
	        tclient_i64(p->body, "members.0.userId") == 250,
	    "%s: MEMBER in the big room, an int32 id: just 250", tag);
	tclient_pkt_free(p);
	expect_status("a chat we are not in", "MEMBER",
	    BCON_NEW("chatId", BCON_INT64(C_FOREIGN), "memberIds", "[",
	        BCON_INT64(102), "]"),
	    -401);
}

/* NOTIREAD moves our watermark forward only, up to the last message. */
static void
test_notiread(void)
{
	struct tclient_pkt *p;

	is_int(room_watermark(C_TEAM, ME), ==, L(1));
	expect_status("forward", "NOTIREAD",
	    BCON_NEW("chatId", BCON_INT64(C_TEAM), "watermark",
	        BCON_INT64(L(3))),
	    0);
	is_int(room_watermark(C_TEAM, ME), ==, L(3));
	is_int(locosim_chat_member(chat(C_TEAM), ME)->watermark, ==, L(3));
	p = call("CHATINFO", BCON_NEW("chatId", BCON_INT64(C_TEAM)));
	if (p != NULL) {
		is_int(tclient_i64(p->body, "chatInfo.lastSeenLogId"), ==,
		    L(3));
		is_int(tclient_i64(p->body, "chatInfo.newMessageCount"), ==, 1);
	}
	tclient_pkt_free(p);
	/* Never backwards. */
	expect_status("backwards", "NOTIREAD",
	    BCON_NEW("chatId", BCON_INT64(C_TEAM), "watermark",
	        BCON_INT64(L(2))),
	    0);
	is_int(room_watermark(C_TEAM, ME), ==, L(3));
	/* Never past the last message. */
	expect_status("past the end", "NOTIREAD",
	    BCON_NEW("chatId", BCON_INT64(C_TEAM), "watermark",
	        BCON_INT64(L(4) + 1000000)),
	    0);
	is_int(room_watermark(C_TEAM, ME), ==, L(4));
	p = call("CHATINFO", BCON_NEW("chatId", BCON_INT64(C_TEAM)));
	ok(p != NULL && tclient_i64(p->body, "chatInfo.newMessageCount") == 0,
	    "%s: nothing unread any more", tag);
	tclient_pkt_free(p);
	/* Others' watermarks did not move. */
	is_int(room_watermark(C_TEAM, 103), ==, L(3));
	expect_status("a chat we are not in", "NOTIREAD",
	    BCON_NEW("chatId", BCON_INT64(C_FOREIGN), "watermark",
	        BCON_INT64(L(40))),
	    -401);
	is_int(locosim_chat_member(chat(C_FOREIGN), 102)->watermark, ==, L(40));
}

/* WRITE text to chat_id; returns the new log id or 0 (checked fully). */
static int64_t
write_text(int64_t chat_id, int64_t msg_id, const char *text)
{
	struct locosim_chat *c = chat(chat_id);
	int64_t prev = locosim_chat_last_log_id(c);
	int64_t above = locosim_world(sim)->last_log_id;
	struct tclient_pkt *p;
	int64_t id = 0;
	bson_t cl;

	p = call("WRITE",
	    BCON_NEW("chatId", BCON_INT64(chat_id), "msgId", BCON_INT64(msg_id),
	        "msg", BCON_UTF8(text), "type", BCON_INT32(1), "noSeen",
	        BCON_BOOL(false), "extra", BCON_UTF8("{}")));
	if (p == NULL || !is_int(tclient_status(p), ==, 0))
		goto out;
	has_type(p->body, "chatId", BSON_TYPE_INT64);
	has_type(p->body, "logId", BSON_TYPE_INT64);
	has_type(p->body, "prevId", BSON_TYPE_INT64);
	has_type(p->body, "msgId", BSON_TYPE_INT64);
	has_type(p->body, "sendAt", BSON_TYPE_INT32);
	is_int(tclient_i64(p->body, "chatId"), ==, chat_id);
	id = tclient_i64(p->body, "logId");
	ok(id > above, "%s: the new log id is above every earlier one", tag);
	is_int(tclient_i64(p->body, "prevId"), ==, prev);
	is_int(tclient_i64(p->body, "msgId"), ==, msg_id);
	is_int(tclient_i64(p->body, "sendAt"), ==, NOW);
	if (ok(tclient_doc(p->body, "chatLog", &cl), "%s: WRITE has chatLog",
	        tag)) {
		ok(chatlog_types(&cl), "%s: chatLog keys have their types",
		    tag);
		is_int(tclient_i64(&cl, "logId"), ==, id);
		is_int(tclient_i64(&cl, "prevId"), ==, prev);
		is_int(tclient_i64(&cl, "chatId"), ==, chat_id);
		is_int(tclient_i64(&cl, "authorId"), ==, ME);
		is_int(tclient_i64(&cl, "type"), ==, 1);
		is_int(tclient_i64(&cl, "msgId"), ==, msg_id);
		is_str(tclient_str(&cl, "message"), text);
		is_str(tclient_str(&cl, "attachment"), "");
	}
	is_int(locosim_chat_last_log_id(c), ==, id);
out:
	tclient_pkt_free(p);
	return id;
}

/* WRITE and FORWARD: every response field and every refusal. */
static void
test_write(void)
{
	const struct locosim_write *rec;
	struct tclient_pkt *p;
	int64_t first, second, last;
	size_t writes = locosim_write_count(sim);
	bson_iter_t it;
	int keys = 0;

	first = write_text(C_TEAM, 4242, "안녕 \"따옴표\" \\ end");
	second = write_text(C_TEAM, 4243, "second");
	ok(first != 0 && second > first, "%s: two WRITEs in order", tag);
	ok(write_text(C_DM, 1, "to Bob") != 0, "%s: WRITE to the DM", tag);
	ok(write_text(C_MEMO, 2, "note") != 0, "%s: WRITE to the memo", tag);
	is_uint(locosim_write_count(sim), ==, writes + 4);
	rec = locosim_write_get(sim, writes);
	ok(rec != NULL && rec->log_id == first && rec->msg_id == 4242 &&
	        rec->status == 0 && rec->author == ME &&
	        strcmp(rec->text, "안녕 \"따옴표\" \\ end") == 0,
	    "%s: locosim recorded the first WRITE", tag);
	/* Writing moves our own watermark. */
	is_int(room_watermark(C_TEAM, ME), ==, second);

	last = locosim_chat_last_log_id(chat(C_TEAM));
	writes = locosim_write_count(sim);
	expect_status("a chat we are not in", "WRITE",
	    BCON_NEW("chatId", BCON_INT64(C_FOREIGN), "msgId", BCON_INT64(9),
	        "msg", "x", "type", BCON_INT32(1)),
	    -401);
	expect_status("no such chat", "WRITE",
	    BCON_NEW("chatId", BCON_INT64(C_NONE), "msg", "x", "type",
	        BCON_INT32(1)),
	    -401);
	expect_status("empty text", "WRITE",
	    BCON_NEW("chatId", BCON_INT64(C_TEAM), "msg", "", "type",
	        BCON_INT32(1)),
	    -203);
	expect_status("no text at all", "WRITE",
	    BCON_NEW("chatId", BCON_INT64(C_TEAM), "type", BCON_INT32(1)),
	    -203);
	expect_status("type 0 (feed)", "WRITE",
	    BCON_NEW("chatId", BCON_INT64(C_TEAM), "msg", "x", "type",
	        BCON_INT32(0)),
	    -203);
	expect_status("a deleted type", "WRITE",
	    BCON_NEW("chatId", BCON_INT64(C_TEAM), "msg", "x", "type",
	        BCON_INT32(1 | DELETED_BIT)),
	    -203);
	is_int(locosim_chat_last_log_id(chat(C_TEAM)), ==, last);
	is_int(locosim_chat_last_log_id(chat(C_FOREIGN)), ==, L(40));
	is_uint(locosim_write_count(sim), ==, writes + 6);
	rec = locosim_write_get(sim, writes);
	ok(rec != NULL && rec->status == -401 && rec->log_id == 0,
	    "%s: the refused WRITE is recorded with its status", tag);
	rec = locosim_write_get(sim, writes + 2);
	ok(rec != NULL && rec->status == -203, "%s: and so is -203", tag);

	/* FORWARD: the WRITE body, answered {status, chatLog}. */
	p = call("FORWARD",
	    BCON_NEW("chatId", BCON_INT64(C_TEAM), "msgId", BCON_INT64(77),
	        "msg", "fwd", "type", BCON_INT32(1), "extra", BCON_UTF8("{}")));
	if (p != NULL && is_int(tclient_status(p), ==, 0)) {
		bson_t cl;

		if (bson_iter_init(&it, p->body))
			while (bson_iter_next(&it))
				keys++;
		is_int(keys, ==, 2);
		if (ok(tclient_doc(p->body, "chatLog", &cl),
		        "%s: FORWARD has chatLog", tag)) {
			ok(chatlog_types(&cl), "%s: its keys have their types",
			    tag);
			is_int(tclient_i64(&cl, "prevId"), ==, last);
			ok(tclient_i64(&cl, "logId") > last,
			    "%s: FORWARD posted a new message", tag);
			is_str(tclient_str(&cl, "message"), "fwd");
			is_int(tclient_i64(&cl, "msgId"), ==, 77);
			is_int(locosim_chat_last_log_id(chat(C_TEAM)), ==,
			    tclient_i64(&cl, "logId"));
		}
	}
	tclient_pkt_free(p);
	expect_status("a chat we are not in", "FORWARD",
	    BCON_NEW("chatId", BCON_INT64(C_FOREIGN), "msg", "x", "type",
	        BCON_INT32(1)),
	    -401);
}

/*
 * One SYNCMSG page of chat_id after cur up to max. Checks order and the
 * bounds, appends the ids to got; returns isOK (-1 on failure) and sets
 * *n and *last (largest id, or cur when empty).
 */
static int
sync_page(int64_t chat_id, int64_t cur, int64_t max, int32_t cnt, int64_t *got,
    size_t *n_got, size_t cap, size_t *n, int64_t *last)
{
	struct tclient_pkt *p;
	bool order = true, types = true;
	int64_t prev = cur;
	bson_t arr, cl;
	bson_iter_t it;
	int is_ok;

	*n = 0;
	*last = cur;
	p = call("SYNCMSG",
	    BCON_NEW("chatId", BCON_INT64(chat_id), "cur", BCON_INT64(cur),
	        "cnt", BCON_INT32(cnt), "max", BCON_INT64(max)));
	if (p == NULL || !is_int(tclient_status(p), ==, 0)) {
		tclient_pkt_free(p);
		return -1;
	}
	is_int(tclient_type(p->body, "isOK"), ==, BSON_TYPE_BOOL);
	is_int(tclient_type(p->body, "chatLogs"), ==, BSON_TYPE_ARRAY);
	if (tclient_doc(p->body, "chatLogs", &arr) && bson_iter_init(&it, &arr))
		while (bson_iter_next(&it)) {
			const uint8_t *data;
			uint32_t len;
			int64_t id;

			if (!BSON_ITER_HOLDS_DOCUMENT(&it)) {
				types = false;
				continue;
			}
			bson_iter_document(&it, &len, &data);
			bson_init_static(&cl, data, len);
			if (!chatlog_types(&cl) ||
			    tclient_i64(&cl, "chatId") != chat_id)
				types = false;
			id = tclient_i64(&cl, "logId");
			/* Ascending, above cur, at most max. */
			if (id <= prev || id > max)
				order = false;
			prev = id;
			if (*n_got < cap)
				got[(*n_got)++] = id;
			(*n)++;
		}
	ok(order, "%s: SYNCMSG page after %lld ascends within (cur, max]", tag,
	    (long long)cur);
	ok(types, "%s: its chatLogs are whole", tag);
	ok(*n <= (size_t)cnt, "%s: no more than cnt (%zu)", tag, *n);
	*last = prev;
	is_ok = tclient_bool(p->body, "isOK");
	tclient_pkt_free(p);
	return is_ok;
}

/* SYNCMSG pages forward (decision 6). */
static void
test_syncmsg(void)
{
	struct locosim_chat *c = chat(C_PAGE);
	int64_t got[PAGE_MSGS + 10], last, cur, max, mid;
	size_t n_got = 0, n, i;
	int sizes[4] = {-1, -1, -1, -1}, oks[4] = {-1, -1, -1, -1};
	bool same;
	int page;

	if (!ok(c != NULL && c->n_log == PAGE_MSGS, "%s: %d messages", tag,
	        PAGE_MSGS))
		return;
	max = locosim_chat_last_log_id(c);
	/* 120 by 50: 50, 50, 20, with isOK only on the last page. */
	cur = 0;
	for (page = 0; page < 4; page++) {
		oks[page] = sync_page(C_PAGE, cur, max, 50, got, &n_got,
		    PAGE_MSGS + 10, &n, &last);
		sizes[page] = (int)n;
		if (oks[page] != 0 || n == 0)
			break;
		cur = last; /* decision 6: the largest id of the page */
	}
	ok(sizes[0] == 50 && sizes[1] == 50 && sizes[2] == 20,
	    "%s: pages of 50/50/20 (%d/%d/%d)", tag, sizes[0], sizes[1],
	    sizes[2]);
	ok(oks[0] == 0 && oks[1] == 0 && oks[2] == 1,
	    "%s: isOK only on the last page (%d/%d/%d)", tag, oks[0], oks[1],
	    oks[2]);
	same = n_got == PAGE_MSGS;
	for (i = 0; same && i < PAGE_MSGS; i++)
		same = got[i] == c->log[i].log_id;
	ok(same, "%s: every message once, in order (%zu)", tag, n_got);

	/* cur = last: nothing, and done. */
	n_got = 0;
	ok(sync_page(C_PAGE, max, max, 50, got, &n_got, PAGE_MSGS, &n, &last) ==
	            1 &&
	        n == 0,
	    "%s: cur = last gives an empty page with isOK", tag);
	/* max in the middle stops there. */
	mid = c->log[59].log_id;
	n_got = 0;
	ok(sync_page(C_PAGE, 0, mid, 50, got, &n_got, PAGE_MSGS, &n, &last) ==
	            0 &&
	        n == 50,
	    "%s: max in the middle: first page of 50", tag);
	ok(sync_page(C_PAGE, last, mid, 50, got, &n_got, PAGE_MSGS, &n,
	       &last) == 1 &&
	        n == 10 && last == mid,
	    "%s: then 10 more ending at max, isOK", tag);
	/* An exact boundary: 100 messages in two pages of 50. */
	n_got = 0;
	mid = c->log[99].log_id;
	ok(sync_page(C_PAGE, c->log[49].log_id, mid, 50, got, &n_got, PAGE_MSGS,
	       &n, &last) == 1 &&
	        n == 50,
	    "%s: a page ending exactly at max has isOK", tag);
	/* cur between ids and an int32 cnt of 1. */
	n_got = 0;
	ok(sync_page(C_PAGE, c->log[9].log_id + 1, max, 1, got, &n_got,
	       PAGE_MSGS, &n, &last) == 0 &&
	        n == 1 && got[0] == c->log[10].log_id,
	    "%s: cur between ids starts at the next one", tag);
	expect_status("a chat we are not in", "SYNCMSG",
	    BCON_NEW("chatId", BCON_INT64(C_FOREIGN), "cur", BCON_INT64(0),
	        "cnt", BCON_INT32(50), "max", BCON_INT64(L(40))),
	    -401);
}

/* MCHATLOGS returns what follows each since, in our chats only. */
static void
test_mchatlogs(void)
{
	struct locosim_chat *team = chat(C_TEAM), *dm = chat(C_DM);
	int64_t want[64];
	size_t n_want = 0, i;
	struct tclient_pkt *p;
	char path[48];
	bool same;

	for (i = 0; i < team->n_log; i++)
		if (team->log[i].log_id > L(2) && n_want < 64)
			want[n_want++] = team->log[i].log_id;
	for (i = 0; i < dm->n_log && n_want < 64; i++)
		want[n_want++] = dm->log[i].log_id;
	p = call("MCHATLOGS",
	    BCON_NEW("chatIds", "[", BCON_INT64(C_TEAM), BCON_INT64(C_DM),
	        BCON_INT64(C_FOREIGN), "]", "sinces", "[", BCON_INT64(L(2)),
	        BCON_INT64(0), BCON_INT64(0), "]"));
	if (p == NULL || !is_int(tclient_status(p), ==, 0))
		goto out;
	same = tclient_len(p->body, "chatLogs") == (int)n_want;
	for (i = 0; same && i < n_want; i++) {
		snprintf(path, sizeof path, "chatLogs.%zu.logId", i);
		same = tclient_i64(p->body, path) == want[i];
	}
	ok(same,
	    "%s: MCHATLOGS gives what follows each since, ours only "
	    "(%d of %zu)",
	    tag, tclient_len(p->body, "chatLogs"), n_want);
	is_int(tclient_bool(p->body, "eof"), ==, 1);
out:
	tclient_pkt_free(p);
}

/* All of chat_id through SYNCMSG; *n entries into ids/types. */
static size_t
sync_all(int64_t chat_id, int64_t *ids, int32_t *types, char **texts,
    size_t cap)
{
	struct tclient_pkt *p;
	char path[48];
	size_t n = 0;
	int i, len;

	p = call("SYNCMSG",
	    BCON_NEW("chatId", BCON_INT64(chat_id), "cur", BCON_INT64(0), "cnt",
	        BCON_INT32(300), "max", BCON_INT64(INT64_MAX)));
	if (p == NULL)
		return 0;
	len = tclient_len(p->body, "chatLogs");
	for (i = 0; i < len && n < cap; i++, n++) {
		snprintf(path, sizeof path, "chatLogs.%d.logId", i);
		ids[n] = tclient_i64(p->body, path);
		snprintf(path, sizeof path, "chatLogs.%d.type", i);
		types[n] = (int32_t)tclient_i64(p->body, path);
		snprintf(path, sizeof path, "chatLogs.%d.message", i);
		texts[n] = strdup(tclient_str(p->body, path)
		        ? tclient_str(p->body, path)
		        : "");
	}
	tclient_pkt_free(p);
	return n;
}

/* Free the strings sync_all collected. */
static void
free_texts(char **texts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(texts[i]);
}

/* DELETEMSG: own message, someone else's, the memo chat. */
static void
test_deletemsg(void)
{
	int64_t ids[64], ids2[64];
	int32_t types[64], types2[64];
	char *texts[64], *texts2[64];
	size_t n, n2, i;
	bool feed = false, same;
	int64_t mine;

	mine = write_text(C_TEAM, 5000, "to be deleted");
	expect_status("our own message", "DELETEMSG",
	    BCON_NEW("chatId", BCON_INT64(C_TEAM), "logId", BCON_INT64(mine)),
	    0);
	n = sync_all(C_TEAM, ids, types, texts, 64);
	for (i = 0; i < n; i++) {
		bson_t doc;
		bson_error_t berr;

		if (ids[i] == mine)
			is_int(types[i], ==, 1 | DELETED_BIT);
		if (types[i] != 0 || ids[i] <= mine)
			continue;
		/* The feed: type 0, JSON naming the deleted id. */
		if (bson_init_from_json(&doc, texts[i], -1, &berr)) {
			if (tclient_i64(&doc, "feedType") == 14 &&
			    tclient_i64(&doc, "logId") == mine)
				feed = true;
			bson_destroy(&doc);
		}
	}
	ok(feed, "%s: a feed 14 naming the deleted id follows it", tag);
	ok(n > 0 && ids[n - 1] > mine && types[n - 1] == 0,
	    "%s: the feed is the newest entry", tag);
	free_texts(texts, n);

	expect_status("someone else's message", "DELETEMSG",
	    BCON_NEW("chatId", BCON_INT64(C_TEAM), "logId", BCON_INT64(L(1))),
	    -210);
	expect_status("a message deleted already", "DELETEMSG",
	    BCON_NEW("chatId", BCON_INT64(C_TEAM), "logId", BCON_INT64(mine)),
	    -210);
	expect_status("no such message", "DELETEMSG",
	    BCON_NEW("chatId", BCON_INT64(C_TEAM), "logId",
	        BCON_INT64(mine + 1)),
	    -210);
	expect_status("a chat we are not in", "DELETEMSG",
	    BCON_NEW("chatId", BCON_INT64(C_FOREIGN), "logId",
	        BCON_INT64(L(40))),
	    -401);
	n = sync_all(C_TEAM, ids, types, texts, 64);
	for (i = 0; i < n; i++)
		if (ids[i] == L(1))
			is_int(types[i], ==, 1);
	free_texts(texts, n);

	/* The memo chat says yes and changes nothing. */
	n = sync_all(C_MEMO, ids, types, texts, 64);
	expect_status("the memo chat", "DELETEMSG",
	    BCON_NEW("chatId", BCON_INT64(C_MEMO), "logId", BCON_INT64(L(20))),
	    0);
	n2 = sync_all(C_MEMO, ids2, types2, texts2, 64);
	same = n == n2 && n > 0;
	for (i = 0; same && i < n; i++)
		same = ids[i] == ids2[i] && types[i] == types2[i] &&
		    strcmp(texts[i], texts2[i]) == 0;
	ok(same, "%s: the memo chat is unchanged (%zu entries)", tag, n2);
	ok(n > 0 && ids[0] == L(20) && types[0] == 1,
	    "%s: the memo is still type 1", tag);
	free_texts(texts, n);
	free_texts(texts2, n2);
}

/* ACTION type 1 only, SETMETA title and notice. */
static void
test_action_setmeta(void)
{
	struct tclient_pkt *p;
	bson_t meta;

	expect_status("type 1", "ACTION",
	    BCON_NEW("chatId", BCON_INT64(C_TEAM), "logId", BCON_INT64(L(1)),
	        "type", BCON_INT32(1)),
	    0);
	expect_status("type 2", "ACTION",
	    BCON_NEW("chatId", BCON_INT64(C_TEAM), "logId", BCON_INT64(L(1)),
	        "type", BCON_INT32(2)),
	    -203);
	expect_status("a chat we are not in", "ACTION",
	    BCON_NEW("chatId", BCON_INT64(C_FOREIGN), "logId",
	        BCON_INT64(L(40)), "type", BCON_INT32(1)),
	    -401);

	p = call("SETMETA",
	    BCON_NEW("chatId", BCON_INT64(C_TEAM), "type", BCON_INT32(3),
	        "content", "새 \"제목\""));
	if (p != NULL && is_int(tclient_status(p), ==, 0)) {
		is_int(tclient_i64(p->body, "chatId"), ==, C_TEAM);
		is_int(tclient_i64(p->body, "meta.type"), ==, 3);
		is_int(tclient_i64(p->body, "meta.revision"), ==, 2);
		is_int(tclient_i64(p->body, "meta.authorId"), ==, ME);
		is_str(tclient_str(p->body, "meta.content"), "새 \"제목\"");
	}
	tclient_pkt_free(p);
	expect_status("notice", "SETMETA",
	    BCON_NEW("chatId", BCON_INT64(C_TEAM), "type", BCON_INT32(1),
	        "content", "새 공지"),
	    0);
	p = call("CHATINFO", BCON_NEW("chatId", BCON_INT64(C_TEAM)));
	if (p != NULL &&
	    ok(find_meta(p->body, 3, &meta), "%s: CHATINFO has the title",
	        tag)) {
		is_str(tclient_str(&meta, "content"), "새 \"제목\"");
		is_int(tclient_i64(&meta, "revision"), ==, 2);
		is_int(tclient_i64(&meta, "authorId"), ==, ME);
	}
	if (p != NULL &&
	    ok(find_meta(p->body, 1, &meta), "%s: CHATINFO has the notice",
	        tag)) {
		is_str(tclient_str(&meta, "content"), "새 공지");
		is_int(tclient_i64(&meta, "revision"), ==, 2);
	}
	tclient_pkt_free(p);
	expect_status("a chat we are not in", "SETMETA",
	    BCON_NEW("chatId", BCON_INT64(C_FOREIGN), "type", BCON_INT32(3),
	        "content", "x"),
	    -401);
	expect_status("an unsupported meta type", "SETMETA",
	    BCON_NEW("chatId", BCON_INT64(C_TEAM), "type", BCON_INT32(4),
	        "content", "x"),
	    -203);
	ok(chat(C_FOREIGN)->title == NULL, "%s: the foreign chat has no title",
	    tag);
}

/* PING, unknown methods and undecodable bodies; the session survives. */
static void
test_misc(void)
{
	struct tclient_pkt *p;

	p = call("PING", NULL);
	ok(p != NULL && tclient_status(p) == 0, "%s: PING answers 0", tag);
	tclient_pkt_free(p);
	expect_status("an unknown method", "NOSUCHCMD", NULL, -202);
	expect_status("WRITE without chatId", "WRITE",
	    BCON_NEW("msg", "x", "type", BCON_INT32(1)), -203);
	expect_status("a string chatId", "CHATINFO", BCON_NEW("chatId", "2001"),
	    -203);
	expect_status("SYNCMSG without max", "SYNCMSG",
	    BCON_NEW("chatId", BCON_INT64(C_TEAM), "cur", BCON_INT64(0)), -203);
	expect_status("MEMBER without memberIds", "MEMBER",
	    BCON_NEW("chatId", BCON_INT64(C_TEAM)), -203);
	expect_status("NOTIREAD without watermark", "NOTIREAD",
	    BCON_NEW("chatId", BCON_INT64(C_TEAM)), -203);
	expect_status("DELETEMSG without logId", "DELETEMSG",
	    BCON_NEW("chatId", BCON_INT64(C_TEAM)), -203);
	expect_status("an empty body", "GETMEM", NULL, -203);
	/* None of it killed the session. */
	p = call("PING", NULL);
	ok(p != NULL && tclient_status(p) == 0 && !tclient_is_closed(me),
	    "%s: the session survived every refusal", tag);
	tclient_pkt_free(p);
	/* Our own session never heard its own writes as pushes. */
	is_uint(tclient_push_count(me, "MSG"), ==, 0);
}

/* The client's deadline: a server that never answers is a failure. */
static void
test_deadline(void)
{
	struct tclient_pkt *p;
	struct loco_error err;

	ok(locosim_stall(sim, ME, true) == 1, "%s: stall our session", tag);
	memset(&err, 0, sizeof err);
	p = tclient_call(me, "PING", NULL, &err);
	ok(p == NULL && err.code == LOCO_ERR_TIMEOUT,
	    "%s: no answer is a timeout, not a success: %s", tag, err.msg);
	tclient_pkt_free(p);
	locosim_stall(sim, ME, false);
	/* The late answer is dropped, never taken for a push. */
	p = call("PING", NULL);
	ok(p != NULL && tclient_status(p) == 0,
	    "%s: the next call gets its own answer", tag);
	tclient_pkt_free(p);
	is_uint(tclient_push_count(me, NULL), ==, 0);
}

/* Every key in keys[] of the document at path has its type. */
static bool
keys_typed(const bson_t *b, const char *path, const char *const *keys, size_t n,
    bson_type_t t)
{
	char p[96];
	bool all = true;
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(p, sizeof p, "%s.%s", path, keys[i]);
		if (tclient_type(b, p) != t) {
			diag("%s: %s has type 0x%02x", tag, p,
			    (unsigned)tclient_type(b, p));
			all = false;
		}
	}
	return all;
}

/*
 * The keys each member record must carry for the strict clients
 * (docs/locosim-compat.md): KiwiTalk's normal User needs the profile
 * strings, accountId, linkedServices and suspended even when empty or
 * false; loco-wrapper's MEMBER reader needs pi/fpi/opi; an open member
 * needs pi/fpi/opi, opt, mt and ptp (KiwiTalk, node-kakao, loco-wrapper).
 */
static bool
member_keys(const bson_t *b, const char *path, bool open)
{
	static const char *const normal_strs[] = {"nickName", "countryIso",
	    "profileImageUrl", "fullProfileImageUrl", "originalProfileImageUrl",
	    "statusMessage", "linkedServices", "pi", "fpi", "opi"};
	static const char *const open_strs[] = {"nickName", "pi", "fpi", "opi"};
	static const char *const open_ints[] = {"type", "opt", "mt", "ptp"};
	static const char *const ids[] = {"userId", "accountId"};
	char p[96];
	bool good;

	if (open) {
		good =
		    keys_typed(b, path, open_strs,
		        sizeof open_strs / sizeof *open_strs, BSON_TYPE_UTF8) &&
		    keys_typed(b, path, open_ints,
		        sizeof open_ints / sizeof *open_ints,
		        BSON_TYPE_INT32) &&
		    keys_typed(b, path, ids, 1, BSON_TYPE_INT64);
		snprintf(p, sizeof p, "%s.type", path);
		return good && tclient_i64(b, p) == 1000;
	}
	good = keys_typed(b, path, normal_strs,
	           sizeof normal_strs / sizeof *normal_strs, BSON_TYPE_UTF8) &&
	    keys_typed(b, path, ids, 2, BSON_TYPE_INT64);
	snprintf(p, sizeof p, "%s.suspended", path);
	good = good && tclient_bool(b, p) == 0;
	snprintf(p, sizeof p, "%s.type", path);
	return good && tclient_type(b, p) == BSON_TYPE_INT32 &&
	    tclient_i64(b, p) == 100;
}

/* Every element of the member array at key passes member_keys. */
static bool
members_keys(const bson_t *b, const char *key, bool open)
{
	char path[48];
	int i, n = tclient_len(b, key);
	bool all = n > 0;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s.%d", key, i);
		if (!member_keys(b, path, open))
			all = false;
	}
	return all;
}

/*
 * What the independent clients require beyond LOCO.md's tables
 * (docs/locosim-compat.md), with the types they expect: CHATONROOM o, jsi,
 * f, mr and full member records; CHATINFO's flags, join time, title-first
 * metas and open-chat link; GETMEM/MEMBER members for both kinds of chat;
 * SYNCMSG isOK/lastTokenId; MCHATLOGS chatLogs/eof.
 */
static void
test_client_keys(void)
{
	static const char *const meta_i64[] = {"revision", "authorId"};
	static const char *const meta_i32[] = {"type", "updatedAt"};
	static const char *const dm_strs[] = {"nickName", "countryIso",
	    "profileImageUrl"};
	const int64_t members[] = {102, ME};
	struct locosim_chat *team = chat(C_TEAM);
	struct tclient_pkt *p;
	int64_t feed_log;
	bson_t sub;
	int i, n;

	p = call("CHATONROOM", BCON_NEW("chatId", BCON_INT64(C_TEAM)));
	if (p != NULL && is_int(tclient_status(p), ==, 0)) {
		has_type(p->body, "o", BSON_TYPE_INT64);
		is_int(tclient_i64(p->body, "o"), ==,
		    team->log[team->n_log - 1].send_at);
		has_type(p->body, "jsi", BSON_TYPE_INT64);
		is_int(tclient_i64(p->body, "jsi"), ==, team->log[0].log_id);
		has_type(p->body, "f", BSON_TYPE_BOOL);
		is_str(tclient_str(p->body, "mr"), "{}");
		has_type(p->body, "a", BSON_TYPE_ARRAY);
		has_type(p->body, "w", BSON_TYPE_ARRAY);
		ok(members_keys(p->body, "m", false),
		    "%s: CHATONROOM m: full normal member records", tag);
		is_int(tclient_type(p->body, "otk"), ==, BSON_TYPE_EOD);
	}
	tclient_pkt_free(p);

	p = call("CHATONROOM", BCON_NEW("chatId", BCON_INT64(C_BIG100)));
	if (p != NULL && is_int(tclient_status(p), ==, 0)) {
		ok(tclient_type(p->body, "o") == BSON_TYPE_INT64 &&
		        tclient_i64(p->body, "o") == 0 &&
		        tclient_type(p->body, "jsi") == BSON_TYPE_INT64 &&
		        tclient_i64(p->body, "jsi") == 0,
		    "%s: CHATONROOM of an empty chat: o and jsi are 0", tag);
		ok(tclient_type(p->body, "f") == BSON_TYPE_BOOL &&
		        tclient_type(p->body, "mr") == BSON_TYPE_UTF8,
		    "%s: CHATONROOM of an empty chat: f and mr", tag);
	}
	tclient_pkt_free(p);

	p = call("CHATONROOM", BCON_NEW("chatId", BCON_INT64(C_OPEN)));
	if (p != NULL && is_int(tclient_status(p), ==, 0)) {
		is_str(tclient_str(p->body, "t"), "OM");
		has_type(p->body, "otk", BSON_TYPE_INT32);
		is_int(tclient_i64(p->body, "jsi"), ==, L(50));
		ok(members_keys(p->body, "m", true),
		    "%s: CHATONROOM m of an open chat: open member records",
		    tag);
		is_int(tclient_type(p->body, "m.0.linkedServices"), ==,
		    BSON_TYPE_EOD);
	}
	tclient_pkt_free(p);

	p = call("GETMEM", BCON_NEW("chatId", BCON_INT64(C_OPEN)));
	ok(p != NULL && tclient_status(p) == 0 &&
	        members_keys(p->body, "members", true),
	    "%s: GETMEM of an open chat: open member records", tag);
	tclient_pkt_free(p);
	p = call("MEMBER",
	    BCON_NEW("chatId", BCON_INT64(C_TEAM), "memberIds", "[",
	        BCON_INT64(103), "]"));
	ok(p != NULL && tclient_status(p) == 0 &&
	        tclient_type(p->body, "chatId") == BSON_TYPE_INT64 &&
	        members_keys(p->body, "members", false),
	    "%s: MEMBER: a full normal member record with pi/fpi/opi", tag);
	tclient_pkt_free(p);
	p = call("MEMBER",
	    BCON_NEW("chatId", BCON_INT64(C_OPEN), "memberIds", "[",
	        BCON_INT64(103), "]"));
	ok(p != NULL && tclient_status(p) == 0 &&
	        members_keys(p->body, "members", true),
	    "%s: MEMBER of an open chat: an open member record", tag);
	tclient_pkt_free(p);

	p = call("CHATINFO", BCON_NEW("chatId", BCON_INT64(C_TEAM)));
	if (p != NULL && is_int(tclient_status(p), ==, 0)) {
		has_type(p->body, "chatInfo.invalidNewMessageCount",
		    BSON_TYPE_BOOL);
		has_type(p->body, "chatInfo.left", BSON_TYPE_BOOL);
		has_type(p->body, "chatInfo.pushAlert", BSON_TYPE_BOOL);
		has_type(p->body, "chatInfo.joinedAtForNewMem",
		    BSON_TYPE_INT32);
		/* ME was there from the start: the first message's time. */
		is_int(tclient_i64(p->body, "chatInfo.joinedAtForNewMem"), ==,
		    team->log[0].send_at);
		/* loco-wrapper names a group by chatMetas[0]. */
		is_int(tclient_i64(p->body, "chatInfo.chatMetas.0.type"), ==,
		    3);
		n = tclient_len(p->body, "chatInfo.chatMetas");
		for (i = 0; i < n; i++) {
			char path[48];

			snprintf(path, sizeof path, "chatInfo.chatMetas.%d", i);
			ok(keys_typed(p->body, path, meta_i64, 2,
			       BSON_TYPE_INT64) &&
			        keys_typed(p->body, path, meta_i32, 2,
			            BSON_TYPE_INT32),
			    "%s: chatMetas.%d: type, revision, authorId, "
			    "updatedAt typed",
			    tag, i);
		}
		n = tclient_len(p->body, "chatInfo.displayMembers");
		for (i = 0; i < n; i++) {
			char path[48];

			snprintf(path, sizeof path,
			    "chatInfo.displayMembers.%d", i);
			ok(keys_typed(p->body, path, dm_strs, 3,
			       BSON_TYPE_UTF8),
			    "%s: displayMembers.%d strings", tag, i);
		}
	}
	tclient_pkt_free(p);

	p = call("CHATINFO", BCON_NEW("chatId", BCON_INT64(C_OPEN)));
	if (p != NULL && is_int(tclient_status(p), ==, 0)) {
		is_str(tclient_str(p->body, "chatInfo.type"), "OM");
		has_type(p->body, "chatInfo.li", BSON_TYPE_INT64);
		is_int(tclient_i64(p->body, "chatInfo.li"), ==, OPEN_LINK);
		has_type(p->body, "chatInfo.otk", BSON_TYPE_INT32);
		is_int(tclient_type(p->body, "chatInfo.joinedAtForNewMem"), ==,
		    BSON_TYPE_EOD);
		has_type(p->body, "chatInfo.displayMembers.0.profileImageUrl",
		    BSON_TYPE_UTF8);
	}
	tclient_pkt_free(p);

	/* INFOLINK names the open chat's link (loco-wrapper asks for it
	 * the first time it meets an OM chat; node-kakao reads olu). */
	p = call("INFOLINK",
	    BCON_NEW("lis", "[", BCON_INT64(OPEN_LINK), BCON_INT64(4242), "]"));
	if (p != NULL && is_int(tclient_status(p), ==, 0)) {
		is_int(tclient_len(p->body, "ols"), ==, 1);
		has_type(p->body, "ols.0.li", BSON_TYPE_INT64);
		is_int(tclient_i64(p->body, "ols.0.li"), ==, OPEN_LINK);
		has_type(p->body, "ols.0.ln", BSON_TYPE_UTF8);
		has_type(p->body, "ols.0.otk", BSON_TYPE_INT32);
		has_type(p->body, "ols.0.lt", BSON_TYPE_INT32);
		has_type(p->body, "ols.0.olu.userId", BSON_TYPE_INT64);
		is_int(tclient_i64(p->body, "ols.0.olu.userId"), ==,
		    chat(C_OPEN)->members[0].user_id);
		has_type(p->body, "ols.0.olu.nn", BSON_TYPE_UTF8);
		has_type(p->body, "ols.0.olu.pi", BSON_TYPE_UTF8);
		has_type(p->body, "ols.0.olu.ptp", BSON_TYPE_INT32);
	}
	tclient_pkt_free(p);
	expect_status("INFOLINK without lis", "INFOLINK",
	    BCON_NEW("li", BCON_INT64(OPEN_LINK)), -203);

	/* Invited into a new chat: joined when the invite feed says. */
	ok(locosim_create_chat(sim, "MultiChat", members, 2, NULL) > 0,
	    "%s: 102 creates a chat with ME", tag);
	p = tclient_wait_push(me, "SYNCJOIN");
	if (ok(p != NULL, "%s: SYNCJOIN for the new chat", tag)) {
		has_type(p->body, "c", BSON_TYPE_INT64);
		has_type(p->body, "chatLog", BSON_TYPE_DOCUMENT);
	}
	tclient_pkt_free(p);
	feed_log = locosim_chat_last_log_id(chat(C_NEW));
	p = call("CHATINFO", BCON_NEW("chatId", BCON_INT64(C_NEW)));
	if (p != NULL && is_int(tclient_status(p), ==, 0) &&
	    ok(feed_log != 0, "%s: the new chat has its invite feed", tag))
		is_int(tclient_i64(p->body, "chatInfo.joinedAtForNewMem"), ==,
		    locosim_chat_find(chat(C_NEW), feed_log)->send_at);
	tclient_pkt_free(p);

	p = call("SYNCMSG",
	    BCON_NEW("chatId", BCON_INT64(C_TEAM), "cur", BCON_INT64(0), "cnt",
	        BCON_INT32(50), "max", BCON_INT64(L(4))));
	if (p != NULL && is_int(tclient_status(p), ==, 0)) {
		has_type(p->body, "isOK", BSON_TYPE_BOOL);
		has_type(p->body, "chatLogs", BSON_TYPE_ARRAY);
		has_type(p->body, "lastTokenId", BSON_TYPE_INT64);
		has_type(p->body, "jsi", BSON_TYPE_INT64);
		has_type(p->body, "minLogId", BSON_TYPE_INT64);
	}
	tclient_pkt_free(p);
	p = call("MCHATLOGS",
	    BCON_NEW("chatIds", "[", BCON_INT64(C_DM), "]", "sinces", "[",
	        BCON_INT64(0), "]"));
	if (p != NULL && is_int(tclient_status(p), ==, 0)) {
		has_type(p->body, "chatLogs", BSON_TYPE_ARRAY);
		has_type(p->body, "eof", BSON_TYPE_BOOL);
		ok(tclient_doc(p->body, "chatLogs.0", &sub) &&
		        chatlog_types(&sub),
		    "%s: MCHATLOGS chatLogs carry full chatLogs", tag);
	}
	tclient_pkt_free(p);
}

/* The whole suite on a fresh locosim with cipher. */
static void
run(enum loco_cipher cipher, const char *name)
{
	struct locosim_opts opts;
	struct loco_error err;
	char key[4096], cert[4096], certkey[4096];
	char *world = make_world();

	tag = name;
	snprintf(key, sizeof key, "%s/rsa.pem", tap_tmpdir());
	snprintf(cert, sizeof cert, "%s/cert.pem", tap_tmpdir());
	snprintf(certkey, sizeof certkey, "%s/cert-key.pem", tap_tmpdir());
	locosim_opts_init(&opts);
	opts.world_json = world;
	opts.no_control = true;
	opts.cipher = cipher;
	opts.rsa_key_path = key;
	opts.tls_cert_path = cert;
	opts.tls_key_path = certkey;
	sim = locosim_new(base, &opts, &err);
	free(world);
	if (!ok(sim != NULL, "%s: locosim starts: %s", tag,
	        sim ? "ok" : err.msg))
		return;
	me = tclient_login(base, sim, ME, 2, cipher, NULL, &err);
	if (ok(me != NULL, "%s: logged in: %s", tag, me ? "ok" : err.msg)) {
		test_chatinfo();
		test_chatonroom();
		test_members();
		test_notiread();
		test_write();
		test_syncmsg();
		test_mchatlogs();
		test_deletemsg();
		test_action_setmeta();
		test_misc();
		test_client_keys();
		if (cipher == LOCO_CIPHER_GCM)
			test_deadline();
	}
	tclient_free(me);
	me = NULL;
	locosim_free(sim);
	sim = NULL;
	event_base_dispatch(base);
}

/* GCM, then CFB. */
int
main(void)
{
	tap_init(120);
	base = event_base_new();
	run(LOCO_CIPHER_GCM, "GCM");
	run(LOCO_CIPHER_CFB, "CFB");
	event_base_free(base);
	return done_testing();
}
