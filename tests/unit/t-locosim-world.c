/* locoirc: see LICENSE.
 *
 * Tests for locosim's world as a unit: loading the JSON world and every
 * way it can be wrong, log ids and prevId links, deletes and membership
 * feeds, metas, SYNCMSG paging edges, and a save/load round trip that
 * must keep every id, watermark and string. Feed JSON is read back with
 * libbson's own JSON parser, not with the codec that wrote it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>

#include "locosim-world.h"
#include "tap.h"

/* 2^53: ids above it do not survive a trip through a double. */
#define TWO_POW_53 INT64_C(9007199254740992)
#define DELETED_BIT 0x4000

#define USERS                                                                  \
	"\"users\": [{\"userId\": 101, \"nickName\": \"나\"},"                \
	" {\"userId\": 102, \"nickName\": \"Bob\", \"countryIso\": \"US\"},"   \
	" {\"userId\": 103, \"nickName\": \"Carol\"},"                         \
	" {\"userId\": 104, \"nickName\": \"Dave\"}]"
#define ACCOUNTS                                                               \
	"\"accounts\": [{\"userId\": 101, \"accessToken\": \"tok-101\","       \
	" \"deviceUuid\": \"duuid-101\", \"refreshToken\": \"ref-101\"}]"

#define CHAT_MULTI INT64_C(9000000000001)
#define CHAT_DIRECT INT64_C(9000000000002)
#define CHAT_MEMO INT64_C(9000000000003)
#define CHAT_PAGED INT64_C(9000000000004)

static const char world_json[] =
    "{\"now\": 1700000000, " USERS ", " ACCOUNTS ", \"chats\": ["
    "{\"chatId\": 9000000000001, \"type\": \"MultiChat\","
    " \"members\": [101, 102, 103], \"title\": \"팀 \\\"A\\\"\","
    " \"notice\": \"공지\", \"messages\": ["
    "  {\"authorId\": 102, \"message\": \"one\"},"
    "  {\"authorId\": 101, \"message\": \"two\"},"
    "  {\"authorId\": 103, \"message\": \"three\"}]},"
    "{\"chatId\": 9000000000002, \"type\": \"DirectChat\","
    " \"members\": [101, 102], \"messages\": ["
    "  {\"authorId\": 102, \"message\": \"dm1\"},"
    "  {\"authorId\": 101, \"message\": \"dm2\"}]},"
    "{\"chatId\": 9000000000003, \"type\": \"MemoChat\","
    " \"members\": [101]}]}";

/* A saved world: explicit log ids around 2^53, watermarks, lastLogId. */
static const char saved_json[] =
    "{\"lastLogId\": 9007199254750000, " USERS ", " ACCOUNTS ", \"chats\": ["
    "{\"chatId\": 5, \"type\": \"MultiChat\", \"members\": [101, 102],"
    " \"messages\": ["
    "  {\"logId\": 9007199254740993, \"authorId\": 101, \"message\": \"a\","
    "   \"sendAt\": 1600000000, \"msgId\": 77},"
    "  {\"logId\": 9007199254741001, \"authorId\": 102, \"message\": \"b\","
    "   \"type\": 2, \"attachment\": \"{\\\"k\\\":\\\"x\\\"}\"}],"
    " \"watermarks\": {\"101\": 9007199254740993,"
    "  \"102\": 9007199254741001}}]}";

/* Parse a world from a NUL-terminated JSON string. */
static struct locosim_world *
load(const char *json, struct loco_error *err)
{
	return locosim_world_from_json(json, strlen(json), err);
}

/* json must be refused with a message containing want. */
static void
expect_refused(const char *name, const char *json, const char *want)
{
	struct locosim_world *w;
	struct loco_error err;

	memset(&err, 0, sizeof err);
	w = load(json, &err);
	ok(w == NULL, "%s: refused", name);
	ok(strstr(err.msg, want) != NULL, "%s: message \"%s\" mentions \"%s\"",
	    name, err.msg, want);
	locosim_world_free(w);
}

/* Every way a world file can be wrong gives NULL and a message. */
static void
test_load_errors(void)
{
	expect_refused("bad JSON", "{\"users\": [", "JSON");
	expect_refused("not JSON at all", "users = 1", "JSON");
	expect_refused("unknown chat type",
	    "{" USERS ", " ACCOUNTS ", \"chats\": [{\"chatId\": 1,"
	    " \"type\": \"GroupChat\", \"members\": [101]}]}",
	    "unknown type");
	expect_refused("member not a user",
	    "{" USERS ", " ACCOUNTS ", \"chats\": [{\"chatId\": 1,"
	    " \"type\": \"MultiChat\", \"members\": [101, 999]}]}",
	    "999 is not a user");
	expect_refused("duplicate user",
	    "{\"users\": [{\"userId\": 101, \"nickName\": \"a\"},"
	    " {\"userId\": 101, \"nickName\": \"b\"}], " ACCOUNTS "}",
	    "twice");
	expect_refused("duplicate chat",
	    "{" USERS ", " ACCOUNTS ", \"chats\": ["
	    "{\"chatId\": 1, \"type\": \"MultiChat\", \"members\": [101]},"
	    "{\"chatId\": 1, \"type\": \"DirectChat\", \"members\": [101]}]}",
	    "twice");
	expect_refused("non-ascending saved logIds",
	    "{" USERS ", " ACCOUNTS ", \"chats\": [{\"chatId\": 1,"
	    " \"type\": \"MultiChat\", \"members\": [101], \"messages\": ["
	    " {\"logId\": 9007199254740999, \"authorId\": 101},"
	    " {\"logId\": 9007199254740993, \"authorId\": 101}]}]}",
	    "does not ascend");
	expect_refused("repeated saved logId",
	    "{" USERS ", " ACCOUNTS ", \"chats\": [{\"chatId\": 1,"
	    " \"type\": \"MultiChat\", \"members\": [101], \"messages\": ["
	    " {\"logId\": 9007199254740999, \"authorId\": 101},"
	    " {\"logId\": 9007199254740999, \"authorId\": 101}]}]}",
	    "does not ascend");
	expect_refused("missing accounts", "{" USERS "}", "accounts");
	expect_refused("empty accounts", "{" USERS ", \"accounts\": []}",
	    "accounts");
	expect_refused("account without a user",
	    "{" USERS ", \"accounts\": [{\"userId\": 555,"
	    " \"accessToken\": \"t\", \"deviceUuid\": \"d\"}]}",
	    "555");
	expect_refused("account without a token",
	    "{" USERS ", \"accounts\": [{\"userId\": 101,"
	    " \"deviceUuid\": \"d\"}]}",
	    "accessToken");
	expect_refused("message without author",
	    "{" USERS ", " ACCOUNTS ", \"chats\": [{\"chatId\": 1,"
	    " \"type\": \"MultiChat\", \"members\": [101], \"messages\": ["
	    " {\"message\": \"x\"}]}]}",
	    "authorId");
}

/* Check that c's log ascends, stays above 2^53 and links prevId. */
static void
check_links(const char *name, const struct locosim_chat *c)
{
	size_t i;
	bool asc = true, big = true, links = true;

	for (i = 0; i < c->n_log; i++) {
		int64_t want_prev = i ? c->log[i - 1].log_id : 0;

		if (c->log[i].log_id <= TWO_POW_53)
			big = false;
		if (i > 0 && c->log[i].log_id <= c->log[i - 1].log_id)
			asc = false;
		if (c->log[i].prev_id != want_prev) {
			if (links)
				diag("%s: log[%zu] prevId %lld, want %lld",
				    name, i, (long long)c->log[i].prev_id,
				    (long long)want_prev);
			links = false;
		}
		if (c->log[i].chat_id != c->id)
			links = false;
	}
	ok(asc, "%s: log ids ascend", name);
	ok(big, "%s: log ids are above 2^53", name);
	ok(links, "%s: prevId links each entry to the one before", name);
}

/* Log ids, prevId links and appends, across chats. */
static void
test_ids(struct locosim_world *w)
{
	struct locosim_chat *m = locosim_world_chat(w, CHAT_MULTI);
	struct locosim_chat *d = locosim_world_chat(w, CHAT_DIRECT);
	struct locosim_chat *memo = locosim_world_chat(w, CHAT_MEMO);
	struct loco_chatlog *cl;
	int64_t before, prev;
	bool inexact = false;
	size_t i;

	if (!ok(m != NULL && d != NULL && memo != NULL, "chats loaded"))
		return;
	is_uint(m->n_log, ==, 3);
	is_uint(d->n_log, ==, 2);
	is_uint(memo->n_log, ==, 0);
	is_str(m->log[0].message, "one");
	is_int(m->log[0].author_id, ==, 102);
	is_int(m->log[0].type, ==, 1);
	is_int(m->log[0].send_at, ==, 1700000000);
	check_links("MultiChat", m);
	check_links("DirectChat", d);
	/* Ids ascend across chats in the order they were made. */
	ok(d->log[0].log_id > m->log[2].log_id,
	    "the second chat's ids are above the first's");
	is_int(w->last_log_id, ==, d->log[1].log_id);
	for (i = 0; i < m->n_log; i++)
		if ((int64_t)(double)m->log[i].log_id != m->log[i].log_id)
			inexact = true;
	ok(inexact, "some log id is not exactly representable as a double");
	is_int(locosim_chat_last_log_id(m), ==, m->log[2].log_id);
	is_int(locosim_chat_last_log_id(memo), ==, 0);
	ok(locosim_chat_find(m, m->log[1].log_id) == &m->log[1],
	    "find by log id");
	ok(locosim_chat_find(m, m->log[1].log_id + 1) == NULL,
	    "find of an unknown log id");
	/* Without watermarks, members have read what was there. */
	is_int(locosim_chat_member(m, 103)->watermark, ==, m->log[2].log_id);
	ok(locosim_chat_member(m, 104) == NULL, "104 is not a member");

	/* Appending to the first chat goes above the second chat's ids. */
	before = d->log[1].log_id;
	prev = m->log[2].log_id;
	cl = locosim_chat_append(w, m, 102, 1, "four", NULL, 1234);
	ok(cl->log_id > before, "a new id is above every id of every chat");
	is_int(cl->prev_id, ==, prev);
	is_int(cl->msg_id, ==, 1234);
	is_int(cl->chat_id, ==, CHAT_MULTI);
	is_str(cl->attachment, "");
	is_int(cl->send_at, ==, 1700000000);
	is_int(locosim_chat_member(m, 102)->watermark, ==, cl->log_id);
	is_int(w->last_log_id, ==, cl->log_id);
	check_links("MultiChat after append", m);
}

/* Parse a feed's JSON message with libbson; false if it is not JSON. */
static bool
feed_json(const struct loco_chatlog *cl, bson_t *out)
{
	bson_error_t berr;

	if (!bson_init_from_json(out, cl->message, -1, &berr)) {
		diag("feed message is not JSON: %s: %s", berr.message,
		    cl->message);
		bson_init(out);
		return false;
	}
	return true;
}

/* doc[path] as an int64 (int32 accepted), or INT64_MIN. */
static int64_t
json_i64(const bson_t *doc, const char *path)
{
	bson_iter_t it, sub;

	if (!bson_iter_init(&it, doc) ||
	    !bson_iter_find_descendant(&it, path, &sub))
		return INT64_MIN;
	if (BSON_ITER_HOLDS_INT64(&sub))
		return bson_iter_int64(&sub);
	if (BSON_ITER_HOLDS_INT32(&sub))
		return bson_iter_int32(&sub);
	return INT64_MIN;
}

/* doc[path] as a string, or "". */
static const char *
json_str(const bson_t *doc, const char *path)
{
	bson_iter_t it, sub;

	if (!bson_iter_init(&it, doc) ||
	    !bson_iter_find_descendant(&it, path, &sub) ||
	    !BSON_ITER_HOLDS_UTF8(&sub))
		return "";
	return bson_iter_utf8(&sub, NULL);
}

/* doc[key] as a bool: 1 true, 0 false, -1 absent or not a bool. */
static int
json_bool(const bson_t *doc, const char *key)
{
	bson_iter_t it;

	if (!bson_iter_init_find(&it, doc, key) || !BSON_ITER_HOLDS_BOOL(&it))
		return -1;
	return bson_iter_bool(&it);
}

/* Deletes flip bit 14 and append a feed 14 naming the message. */
static void
test_delete(struct locosim_world *w)
{
	struct locosim_chat *m = locosim_world_chat(w, CHAT_MULTI);
	struct locosim_chat *d = locosim_world_chat(w, CHAT_DIRECT);
	struct loco_chatlog *feed;
	int64_t victim, last;
	size_t n;
	bson_t doc;

	victim = m->log[1].log_id;
	last = locosim_chat_last_log_id(m);
	n = m->n_log;
	feed = locosim_chat_delete(w, m, 101, victim);
	if (!ok(feed != NULL, "delete in a MultiChat"))
		return;
	is_int(feed->type, ==, 0);
	is_int(feed->author_id, ==, 101);
	ok(feed->log_id > last, "the feed gets a new log id");
	is_int(feed->prev_id, ==, last);
	is_uint(m->n_log, ==, n + 1);
	feed_json(feed, &doc);
	is_int(json_i64(&doc, "feedType"), ==, 14);
	is_int(json_i64(&doc, "logId"), ==, victim);
	ok(json_bool(&doc, "hidden") != 1, "not hidden in a MultiChat");
	bson_destroy(&doc);
	/* The original keeps its id and text and gets bit 14. */
	is_int(m->log[1].log_id, ==, victim);
	is_int(m->log[1].type, ==, 1 | DELETED_BIT);
	is_str(m->log[1].message, "two");
	ok(locosim_chat_delete(w, m, 101, victim) == NULL,
	    "a deleted message cannot be deleted again");
	ok(locosim_chat_delete(w, m, 101, victim + 1) == NULL,
	    "an unknown log id cannot be deleted");
	is_uint(m->n_log, ==, n + 1);

	feed = locosim_chat_delete(w, d, 102, d->log[0].log_id);
	if (!ok(feed != NULL, "delete in a DirectChat"))
		return;
	feed_json(feed, &doc);
	is_int(json_i64(&doc, "feedType"), ==, 14);
	is_int(json_i64(&doc, "logId"), ==, d->log[0].log_id);
	is_int(json_bool(&doc, "hidden"), ==, 1);
	bson_destroy(&doc);
	is_int(d->log[0].type, ==, 1 | DELETED_BIT);
	check_links("DirectChat after delete", d);
}

/* Adding and removing members appends feeds 1 and 2. */
static void
test_members(struct locosim_world *w)
{
	struct locosim_chat *m = locosim_world_chat(w, CHAT_MULTI);
	struct locosim_account *a = locosim_world_account(w, 101);
	struct loco_chatlog *feed;
	int32_t rev;
	int64_t tok, last;
	bson_t doc;

	last = locosim_chat_last_log_id(m);
	feed = locosim_chat_add_member(w, m, 101, 104);
	if (!ok(feed != NULL, "add a member"))
		return;
	is_uint(m->n_members, ==, 4);
	ok(locosim_chat_member(m, 104) != NULL, "104 is now a member");
	is_int(locosim_chat_member(m, 104)->watermark, ==, last);
	is_int(feed->type, ==, 0);
	is_int(feed->prev_id, ==, last);
	feed_json(feed, &doc);
	is_int(json_i64(&doc, "feedType"), ==, 1);
	is_int(json_i64(&doc, "members.0.userId"), ==, 104);
	is_str(json_str(&doc, "members.0.nickName"), "Dave");
	is_int(json_i64(&doc, "inviter.userId"), ==, 101);
	is_str(json_str(&doc, "inviter.nickName"), "나");
	bson_destroy(&doc);
	ok(locosim_chat_add_member(w, m, 101, 104) == NULL,
	    "adding a member twice changes nothing");
	ok(locosim_chat_add_member(w, m, 101, 999) == NULL,
	    "an unknown user cannot be added");
	is_uint(m->n_members, ==, 4);

	feed = locosim_chat_remove_member(w, m, 103);
	if (!ok(feed != NULL, "remove a member"))
		return;
	is_uint(m->n_members, ==, 3);
	ok(locosim_chat_member(m, 103) == NULL, "103 is gone");
	is_int(feed->author_id, ==, 103);
	feed_json(feed, &doc);
	is_int(json_i64(&doc, "feedType"), ==, 2);
	is_int(json_i64(&doc, "member.userId"), ==, 103);
	is_str(json_str(&doc, "member.nickName"), "Carol");
	bson_destroy(&doc);
	ok(locosim_chat_remove_member(w, m, 103) == NULL,
	    "removing a non-member changes nothing");

	/* The account's chat list changes: revision and token move. */
	rev = a->revision;
	tok = a->last_token_id;
	feed = locosim_chat_remove_member(w, m, 101);
	ok(feed != NULL, "the account's user leaves");
	ok(a->revision > rev, "the account's revision moved");
	ok(a->last_token_id > tok, "the account's lastTokenId moved");
	rev = a->revision;
	ok(locosim_chat_add_member(w, m, 102, 101) != NULL, "and comes back");
	ok(a->revision > rev, "the revision moved again");
	check_links("MultiChat after membership", m);
}

/* Titles and notices and their revisions. */
static void
test_metas(struct locosim_world *w)
{
	struct locosim_chat *m = locosim_world_chat(w, CHAT_MULTI);
	struct locosim_chat *d = locosim_world_chat(w, CHAT_DIRECT);
	size_t n = m->n_log;

	is_str(m->title, "팀 \"A\"");
	is_int(m->title_revision, ==, 1);
	is_str(m->notice, "공지");
	is_int(m->notice_revision, ==, 1);
	ok(d->title == NULL && d->notice == NULL, "no metas on the DM");
	is_int(d->title_revision, ==, 0);

	locosim_chat_set_meta(w, m, 3, 102, "새 이름");
	is_str(m->title, "새 이름");
	is_int(m->title_revision, ==, 2);
	is_int(m->title_author, ==, 102);
	is_int(m->notice_revision, ==, 1);
	locosim_chat_set_meta(w, m, 1, 101, "notice \"2\"");
	is_str(m->notice, "notice \"2\"");
	is_int(m->notice_revision, ==, 2);
	is_int(m->notice_author, ==, 101);
	locosim_chat_set_meta(w, d, 3, 101, "dm title");
	is_int(d->title_revision, ==, 1);
	is_uint(m->n_log, ==, n);
}

/* locosim_chat_page at every edge of decision 6. */
static void
test_page(struct locosim_world *w)
{
	static const int64_t members[] = {101, 102};
	struct locosim_chat *c, *memo;
	size_t n, first, i;
	bool is_ok;
	char text[16];

	c = locosim_world_add_chat(w, CHAT_PAGED, "MultiChat", members, 2);
	if (!ok(c != NULL, "a new chat"))
		return;
	ok(locosim_world_add_chat(w, CHAT_PAGED, "MultiChat", members, 2) ==
	        NULL,
	    "a chat id cannot be used twice");
	ok(locosim_world_add_chat(w, 77, "Bogus", members, 2) == NULL,
	    "an unknown chat type is refused");
	for (i = 0; i < 10; i++) {
		snprintf(text, sizeof text, "m%zu", i);
		locosim_chat_append(w, c, members[i % 2], 1, text, NULL, 0);
	}
	check_links("paged chat", c);

	n = locosim_chat_page(c, 0, c->log[9].log_id, 50, &first, &is_ok);
	ok(n == 10 && first == 0 && is_ok, "cur 0: all 10, isOK (%zu/%zu)", n,
	    first);
	n = locosim_chat_page(c, 0, c->log[9].log_id, 4, &first, &is_ok);
	ok(n == 4 && first == 0 && !is_ok, "cur 0, cnt 4: 4, more to come");
	n = locosim_chat_page(c, c->log[3].log_id, c->log[9].log_id, 4, &first,
	    &is_ok);
	ok(n == 4 && first == 4 && !is_ok, "cur exclusive: starts after it");
	n = locosim_chat_page(c, c->log[3].log_id + 1, c->log[9].log_id, 4,
	    &first, &is_ok);
	ok(n == 4 && first == 4, "cur between ids: starts at the next one");
	n = locosim_chat_page(c, c->log[9].log_id, c->log[9].log_id, 50, &first,
	    &is_ok);
	ok(n == 0 && is_ok, "cur = last: empty, isOK");
	n = locosim_chat_page(c, 0, c->log[0].log_id - 1, 50, &first, &is_ok);
	ok(n == 0 && is_ok, "max below the first: empty, isOK");
	n = locosim_chat_page(c, 0, c->log[9].log_id, 1, &first, &is_ok);
	ok(n == 1 && first == 0 && !is_ok, "cnt 1: one entry");
	n = locosim_chat_page(c, c->log[8].log_id, c->log[9].log_id, 1, &first,
	    &is_ok);
	ok(n == 1 && first == 9 && is_ok, "cnt 1 on the last entry: isOK");
	/* 10 entries in pages of 5: the second page ends exactly at the end. */
	n = locosim_chat_page(c, 0, c->log[9].log_id, 5, &first, &is_ok);
	ok(n == 5 && first == 0 && !is_ok, "page 1 of 2");
	n = locosim_chat_page(c, c->log[4].log_id, c->log[9].log_id, 5, &first,
	    &is_ok);
	ok(n == 5 && first == 5 && is_ok, "page 2 of 2 ends exactly: isOK");
	/* max is inclusive and stops the page. */
	n = locosim_chat_page(c, 0, c->log[5].log_id, 50, &first, &is_ok);
	ok(n == 6 && first == 0 && is_ok, "max in the middle: up to it");
	n = locosim_chat_page(c, c->log[1].log_id, c->log[5].log_id, 4, &first,
	    &is_ok);
	ok(n == 4 && first == 2 && is_ok, "page ending exactly at max: isOK");
	n = locosim_chat_page(c, c->log[1].log_id, c->log[5].log_id + 1, 4,
	    &first, &is_ok);
	ok(n == 4 && is_ok, "max between ids is inclusive of the one below");
	n = locosim_chat_page(c, 0, INT64_MAX, 50, &first, &is_ok);
	ok(n == 10 && is_ok, "max far above: everything");
	memo = locosim_world_chat(w, CHAT_MEMO);
	n = locosim_chat_page(memo, 0, INT64_MAX, 50, &first, &is_ok);
	ok(n == 0 && is_ok, "an empty chat: empty page, isOK");
}

/* NULL-tolerant string equality (NULL equals ""). */
static bool
same_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Compare two chat logs entry by entry; diag on the first mismatch. */
static bool
same_log(const struct locosim_chat *a, const struct locosim_chat *b)
{
	size_t i;

	if (a->n_log != b->n_log) {
		diag("chat %lld: %zu vs %zu entries", (long long)a->id,
		    a->n_log, b->n_log);
		return false;
	}
	for (i = 0; i < a->n_log; i++) {
		const struct loco_chatlog *x = &a->log[i], *y = &b->log[i];

		if (x->log_id != y->log_id || x->prev_id != y->prev_id ||
		    x->chat_id != y->chat_id || x->author_id != y->author_id ||
		    x->type != y->type || x->send_at != y->send_at ||
		    x->msg_id != y->msg_id ||
		    !same_str(x->message, y->message) ||
		    !same_str(x->attachment, y->attachment)) {
			diag("chat %lld entry %zu differs: %lld/%lld \"%s\" vs "
			     "%lld/%lld \"%s\"",
			    (long long)a->id, i, (long long)x->log_id,
			    (long long)x->prev_id, x->message,
			    (long long)y->log_id, (long long)y->prev_id,
			    y->message);
			return false;
		}
	}
	return true;
}

/* Compare everything two worlds hold, one assertion per kind of thing. */
static void
compare_worlds(const struct locosim_world *a, const struct locosim_world *b)
{
	bool users = a->n_users == b->n_users;
	bool accounts = a->n_accounts == b->n_accounts;
	bool chats = a->n_chats == b->n_chats;
	bool members = chats, logs = chats, metas = chats;
	size_t i, j;

	for (i = 0; users && i < a->n_users; i++) {
		const struct locosim_user *x = &a->users[i], *y = &b->users[i];

		users = x->id == y->id && same_str(x->nickname, y->nickname) &&
		    same_str(x->country_iso, y->country_iso) &&
		    same_str(x->status_message, y->status_message) &&
		    same_str(x->profile_image_url, y->profile_image_url);
	}
	ok(users, "users survive the round trip");
	for (i = 0; accounts && i < a->n_accounts; i++) {
		const struct locosim_account *x = &a->accounts[i];
		const struct locosim_account *y = &b->accounts[i];

		accounts = x->user_id == y->user_id &&
		    same_str(x->access_token, y->access_token) &&
		    same_str(x->refresh_token, y->refresh_token) &&
		    same_str(x->device_uuid, y->device_uuid) &&
		    x->token_expired == y->token_expired &&
		    x->revision == y->revision &&
		    x->last_token_id == y->last_token_id;
	}
	ok(accounts, "accounts survive (tokens, revision, lastTokenId)");
	for (i = 0; chats && i < a->n_chats; i++) {
		const struct locosim_chat *x = a->chats[i], *y = b->chats[i];

		if (x->id != y->id || strcmp(x->type, y->type) != 0) {
			chats = members = logs = metas = false;
			break;
		}
		if (x->n_members != y->n_members)
			members = false;
		for (j = 0; members && j < x->n_members; j++)
			if (x->members[j].user_id != y->members[j].user_id ||
			    x->members[j].watermark !=
			        y->members[j].watermark) {
				diag("chat %lld member %lld: watermark %lld vs "
				     "%lld",
				    (long long)x->id,
				    (long long)x->members[j].user_id,
				    (long long)x->members[j].watermark,
				    (long long)y->members[j].watermark);
				members = false;
			}
		if (!same_str(x->title, y->title) ||
		    !same_str(x->notice, y->notice) ||
		    x->title_revision != y->title_revision ||
		    x->notice_revision != y->notice_revision ||
		    x->title_author != y->title_author ||
		    x->notice_author != y->notice_author ||
		    x->link_id != y->link_id ||
		    x->info_fails != y->info_fails) {
			diag("chat %lld metas differ: \"%s\" r%d vs \"%s\" r%d",
			    (long long)x->id, x->title ? x->title : "",
			    (int)x->title_revision, y->title ? y->title : "",
			    (int)y->title_revision);
			metas = false;
		}
		if (!same_log(x, y))
			logs = false;
	}
	ok(chats, "chats survive (ids, types)");
	ok(members, "members and watermarks survive");
	ok(metas, "titles, notices, their revisions and flags survive");
	ok(logs, "every log entry survives (ids, prevIds, texts)");
	is_int(a->last_log_id, ==, b->last_log_id);
	is_int(a->now, ==, b->now);
}

/* Save, load and render again: nothing may change. */
static void
test_round_trip(struct locosim_world *w)
{
	static const char *const texts[] = {
	    "한국어 메시지 \"따옴표\" 'single'",
	    "back\\slash / slash\nnew line\ttab",
	    "emoji 😀 and } { ] [ , :",
	};
	struct locosim_chat *m = locosim_world_chat(w, CHAT_MULTI);
	struct locosim_world *back = NULL, *again = NULL;
	struct locosim_user *u;
	struct loco_error err;
	char path[4096];
	char *json = NULL;
	size_t i;

	for (i = 0; i < sizeof texts / sizeof *texts; i++)
		locosim_chat_append(w, m, 102, 1, texts[i],
		    "{\"k\": \"v \\\"q\\\"\", \"n\": 9007199254740993}",
		    (int64_t)i + 1);
	locosim_chat_member(m, 101)->watermark = m->log[2].log_id;
	m->info_fails = true;
	m->link_id = 0;
	locosim_world_account(w, 101)->token_expired = true;
	u = locosim_world_user(w, 102);
	free(u->status_message);
	u->status_message = strdup("상태 \"ok\"");

	memset(&err, 0, sizeof err);
	snprintf(path, sizeof path, "%s/world.json", tap_tmpdir());
	if (!ok(locosim_world_save(w, path, &err) == 0, "save: %s", err.msg))
		return;
	back = locosim_world_load(path, &err);
	if (!ok(back != NULL, "load what was saved: %s", err.msg))
		return;
	compare_worlds(w, back);
	/* A second trip through the string form changes nothing either. */
	json = locosim_world_to_json(back);
	ok(json != NULL, "the world renders as JSON");
	again = json ? load(json, &err) : NULL;
	ok(again != NULL, "and loads again");
	if (again != NULL)
		compare_worlds(back, again);
	/* New ids after a reload still go above every saved one. */
	if (back != NULL) {
		struct locosim_chat *bm = locosim_world_chat(back, CHAT_MULTI);
		struct loco_chatlog *cl = locosim_chat_append(back, bm, 101, 1,
		    "after reload", NULL, 0);

		ok(cl->log_id > w->last_log_id,
		    "a new id after reload is above the saved lastLogId");
		is_int(cl->prev_id, ==, locosim_chat_last_log_id(m));
	}
	ok(locosim_world_save(w, "/nonexistent-dir/x/world.json", &err) != 0,
	    "saving into a missing directory fails: %s", err.msg);
	ok(locosim_world_load("/nonexistent-dir/x/world.json", &err) == NULL,
	    "loading a missing file fails: %s", err.msg);
	bson_free(json);
	locosim_world_free(again);
	locosim_world_free(back);
}

/* A saved world with explicit ids near 2^53 and watermarks. */
static void
test_saved_world(void)
{
	struct locosim_world *w, *back = NULL;
	struct locosim_chat *c;
	struct loco_error err;
	char *json;

	memset(&err, 0, sizeof err);
	w = load(saved_json, &err);
	if (!ok(w != NULL, "a saved world loads: %s", w ? "" : err.msg))
		return;
	c = locosim_world_chat(w, 5);
	if (!ok(c != NULL && c->n_log == 2, "its chat and two messages"))
		goto out;
	/* 2^53 + 1 is not a double: only an int64 path keeps it. */
	is_int(c->log[0].log_id, ==, INT64_C(9007199254740993));
	is_int(c->log[1].log_id, ==, INT64_C(9007199254741001));
	is_int(c->log[0].prev_id, ==, 0);
	is_int(c->log[1].prev_id, ==, INT64_C(9007199254740993));
	is_int(c->log[0].send_at, ==, 1600000000);
	is_int(c->log[0].msg_id, ==, 77);
	is_int(c->log[1].type, ==, 2);
	is_str(c->log[1].attachment, "{\"k\":\"x\"}");
	is_int(locosim_chat_member(c, 101)->watermark, ==,
	    INT64_C(9007199254740993));
	is_int(locosim_chat_member(c, 102)->watermark, ==,
	    INT64_C(9007199254741001));
	is_int(w->last_log_id, ==, INT64_C(9007199254750000));
	is_int(locosim_world_account(w, 101)->revision, ==, 1);
	is_str(locosim_world_user(w, 102)->country_iso, "US");
	is_str(locosim_world_user(w, 103)->country_iso, "KR");
	json = locosim_world_to_json(w);
	back = json ? load(json, &err) : NULL;
	if (ok(back != NULL, "the saved world renders and loads again"))
		compare_worlds(w, back);
	bson_free(json);
	ok(locosim_chat_append(w, c, 101, 1, "new", NULL, 0)->log_id >
	        INT64_C(9007199254750000),
	    "new ids go above lastLogId");
out:
	locosim_world_free(back);
	locosim_world_free(w);
}

/* Run every part on one world, in order. */
int
main(void)
{
	struct locosim_world *w;
	struct loco_error err;

	tap_init(0);
	memset(&err, 0, sizeof err);
	test_load_errors();
	w = load(world_json, &err);
	if (!ok(w != NULL, "the test world loads: %s", w ? "" : err.msg))
		return done_testing();
	is_uint(w->n_users, ==, 4);
	is_uint(w->n_accounts, ==, 1);
	is_uint(w->n_chats, ==, 3);
	is_str(locosim_world_user(w, 101)->nickname, "나");
	is_str(locosim_world_account(w, 101)->access_token, "tok-101");
	ok(locosim_world_account(w, 102) == NULL, "102 has no account");
	ok(locosim_world_user(w, 999) == NULL, "999 is nobody");
	ok(locosim_world_chat(w, 1) == NULL, "chat 1 does not exist");
	ok(locosim_chat_type_is_valid("OM") &&
	        locosim_chat_type_is_valid("OD") &&
	        !locosim_chat_type_is_valid("OpenMultiChat"),
	    "chat types are the LOCO strings");
	is_int(locosim_world_now(w), ==, 1700000000);
	test_ids(w);
	test_delete(w);
	test_members(w);
	test_metas(w);
	test_page(w);
	test_round_trip(w);
	locosim_world_free(w);
	test_saved_world();
	return done_testing();
}
