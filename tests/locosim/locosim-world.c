/* locoirc: see LICENSE.
 *
 * The simulator's data model and its rules: log ids that only grow,
 * prevId links, deletions that flip bit 14 and leave a feed, membership
 * feeds, chat metas. The JSON world file is read with libbson's JSON parser
 * so 64-bit ids survive.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bson/bson.h>
#include <openssl/crypto.h>

#include "loco-bson.h"
#include "loco-msgtype.h"
#include "locosim-world.h"
#include "xmalloc.h"

static const char *const locosim_chat_types[] = {"DirectChat", "MultiChat",
    "MemoChat", "PlusChat", "OM", "OD"};

static int world_load_users(struct locosim_world *w, const bson_t *root,
    struct loco_error *err);
static int world_load_accounts(struct locosim_world *w, const bson_t *root,
    struct loco_error *err);
static int world_load_chats(struct locosim_world *w, const bson_t *root,
    struct loco_error *err);
static int world_load_chat(struct locosim_world *w, const bson_t *doc,
    struct loco_error *err);
static struct loco_chatlog *chat_push(struct locosim_world *w,
    struct locosim_chat *c, int64_t author, int32_t type, const char *text,
    const char *attachment, int64_t msg_id, int64_t send_at);
static struct loco_chatlog *chat_feed(struct locosim_world *w,
    struct locosim_chat *c, int64_t author, const struct loco_feed *f);
static void chat_free(struct locosim_chat *c);

bool
locosim_chat_type_is_valid(const char *type)
{
	size_t i;

	for (i = 0; i < sizeof locosim_chat_types / sizeof *locosim_chat_types;
	     i++)
		if (strcmp(type, locosim_chat_types[i]) == 0)
			return true;
	return false;
}

int64_t
locosim_world_now(const struct locosim_world *w)
{
	return w->now != 0 ? w->now : (int64_t)time(NULL);
}

struct locosim_user *
locosim_world_user(struct locosim_world *w, int64_t id)
{
	size_t i;

	for (i = 0; i < w->n_users; i++)
		if (w->users[i].id == id)
			return &w->users[i];
	return NULL;
}

struct locosim_account *
locosim_world_account(struct locosim_world *w, int64_t user_id)
{
	size_t i;

	for (i = 0; i < w->n_accounts; i++)
		if (w->accounts[i].user_id == user_id)
			return &w->accounts[i];
	return NULL;
}

struct locosim_chat *
locosim_world_chat(struct locosim_world *w, int64_t id)
{
	size_t i;

	for (i = 0; i < w->n_chats; i++)
		if (w->chats[i]->id == id)
			return w->chats[i];
	return NULL;
}

struct locosim_member *
locosim_chat_member(struct locosim_chat *c, int64_t user_id)
{
	size_t i;

	for (i = 0; i < c->n_members; i++)
		if (c->members[i].user_id == user_id)
			return &c->members[i];
	return NULL;
}

struct loco_chatlog *
locosim_chat_find(struct locosim_chat *c, int64_t log_id)
{
	size_t lo = 0, hi = c->n_log;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->log[mid].log_id == log_id)
			return &c->log[mid];
		if (c->log[mid].log_id < log_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int64_t
locosim_chat_last_log_id(const struct locosim_chat *c)
{
	return c->n_log ? c->log[c->n_log - 1].log_id : 0;
}

struct locosim_user *
locosim_world_add_user(struct locosim_world *w, int64_t id,
    const char *nickname)
{
	struct locosim_user *u = locosim_world_user(w, id);

	if (u == NULL) {
		w->users =
		    xreallocarray(w->users, w->n_users + 1, sizeof *w->users);
		u = &w->users[w->n_users++];
		memset(u, 0, sizeof *u);
		u->id = id;
		u->country_iso = xstrdup("KR");
		u->status_message = xstrdup("");
		u->profile_image_url = xstrdup("");
	}
	free(u->nickname);
	u->nickname = xstrdup(nickname);
	return u;
}

struct locosim_chat *
locosim_world_add_chat(struct locosim_world *w, int64_t id, const char *type,
    const int64_t *members, size_t n)
{
	struct locosim_chat *c;
	size_t i;

	if (locosim_world_chat(w, id) != NULL ||
	    !locosim_chat_type_is_valid(type))
		return NULL;
	c = xcalloc(1, sizeof *c);
	c->id = id;
	snprintf(c->type, sizeof c->type, "%s", type);
	c->members = xcalloc(n ? n : 1, sizeof *c->members);
	for (i = 0; i < n; i++)
		c->members[c->n_members++].user_id = members[i];
	w->chats = xreallocarray(w->chats, w->n_chats + 1, sizeof *w->chats);
	w->chats[w->n_chats++] = c;
	for (i = 0; i < w->n_accounts; i++)
		if (locosim_chat_member(c, w->accounts[i].user_id) != NULL) {
			w->accounts[i].revision++;
			w->accounts[i].last_token_id++;
		}
	return c;
}

/* Append an entry with the next log id; the one place log ids are made. */
static struct loco_chatlog *
chat_push(struct locosim_world *w, struct locosim_chat *c, int64_t author,
    int32_t type, const char *text, const char *attachment, int64_t msg_id,
    int64_t send_at)
{
	struct loco_chatlog *cl;

	if (c->n_log == c->cap_log) {
		c->cap_log = c->cap_log ? c->cap_log * 2 : 16;
		c->log = xreallocarray(c->log, c->cap_log, sizeof *c->log);
	}
	cl = &c->log[c->n_log];
	memset(cl, 0, sizeof *cl);
	w->last_log_id = w->last_log_id < LOCOSIM_LOG_ID_BASE
	    ? LOCOSIM_LOG_ID_BASE
	    : w->last_log_id + LOCOSIM_LOG_ID_STEP;
	cl->log_id = w->last_log_id;
	cl->prev_id = locosim_chat_last_log_id(c);
	cl->chat_id = c->id;
	cl->author_id = author;
	cl->type = type;
	cl->send_at = (int32_t)send_at;
	cl->msg_id = msg_id;
	cl->message = xstrdup(text ? text : "");
	cl->attachment = xstrdup(attachment ? attachment : "");
	c->n_log++;
	return cl;
}

struct loco_chatlog *
locosim_chat_append(struct locosim_world *w, struct locosim_chat *c,
    int64_t author, int32_t type, const char *text, const char *attachment,
    int64_t msg_id)
{
	struct locosim_member *m;
	struct loco_chatlog *cl;

	cl = chat_push(w, c, author, type, text, attachment, msg_id,
	    locosim_world_now(w));
	/* Writing a message means having read everything up to it. */
	if ((m = locosim_chat_member(c, author)) != NULL)
		m->watermark = cl->log_id;
	return cl;
}

static struct loco_chatlog *
chat_feed(struct locosim_world *w, struct locosim_chat *c, int64_t author,
    const struct loco_feed *f)
{
	struct loco_chatlog *cl;
	char *json = loco_feed_encode(f);

	cl = chat_push(w, c, author, LOCO_MSG_FEED, json, NULL, 0,
	    locosim_world_now(w));
	free(json);
	return cl;
}

struct loco_chatlog *
locosim_chat_delete(struct locosim_world *w, struct locosim_chat *c, int64_t by,
    int64_t log_id)
{
	struct loco_chatlog *orig = locosim_chat_find(c, log_id);
	struct loco_feed f;

	if (orig == NULL || loco_msgtype_is_deleted(orig->type))
		return NULL;
	orig->type |= LOCO_MSGTYPE_DELETED_BIT;
	memset(&f, 0, sizeof f);
	f.feed_type = LOCO_FEED_DELETE_TO_ALL;
	f.log_id = log_id;
	/* Kakao hides the feed in 1:1 chats (OpenKakao's observation). */
	f.hidden = strcmp(c->type, "DirectChat") == 0;
	return chat_feed(w, c, by, &f);
}

struct loco_chatlog *
locosim_chat_add_member(struct locosim_world *w, struct locosim_chat *c,
    int64_t inviter, int64_t user_id)
{
	struct locosim_user *u = locosim_world_user(w, user_id);
	struct locosim_user *iu = locosim_world_user(w, inviter);
	struct locosim_account *a;
	struct loco_feed_member fm;
	struct loco_feed f;

	if (u == NULL || locosim_chat_member(c, user_id) != NULL)
		return NULL;
	c->members =
	    xreallocarray(c->members, c->n_members + 1, sizeof *c->members);
	c->members[c->n_members].user_id = user_id;
	c->members[c->n_members].watermark = locosim_chat_last_log_id(c);
	c->n_members++;
	if ((a = locosim_world_account(w, user_id)) != NULL) {
		a->revision++;
		a->last_token_id++;
	}
	memset(&f, 0, sizeof f);
	f.feed_type = LOCO_FEED_INVITE;
	fm.user_id = user_id;
	fm.nickname = u->nickname;
	f.members = &fm;
	f.n_members = 1;
	if (iu != NULL) {
		f.has_inviter = true;
		f.inviter.user_id = iu->id;
		f.inviter.nickname = iu->nickname;
	}
	return chat_feed(w, c, inviter, &f);
}

struct loco_chatlog *
locosim_chat_remove_member(struct locosim_world *w, struct locosim_chat *c,
    int64_t user_id)
{
	struct locosim_user *u = locosim_world_user(w, user_id);
	struct locosim_account *a;
	struct loco_feed f;
	size_t i;

	for (i = 0; i < c->n_members; i++)
		if (c->members[i].user_id == user_id)
			break;
	if (i == c->n_members)
		return NULL;
	memmove(&c->members[i], &c->members[i + 1],
	    (c->n_members - i - 1) * sizeof *c->members);
	c->n_members--;
	if ((a = locosim_world_account(w, user_id)) != NULL) {
		a->revision++;
		a->last_token_id++;
	}
	memset(&f, 0, sizeof f);
	f.feed_type = LOCO_FEED_LEAVE;
	f.has_member = true;
	f.member.user_id = user_id;
	f.member.nickname = u ? u->nickname : NULL;
	return chat_feed(w, c, user_id, &f);
}

void
locosim_chat_set_meta(struct locosim_world *w, struct locosim_chat *c,
    int32_t meta_type, int64_t author, const char *content)
{
	(void)w;
	if (meta_type == 3) {
		free(c->title);
		c->title = content ? xstrdup(content) : NULL;
		c->title_revision++;
		c->title_author = author;
	} else if (meta_type == 1) {
		free(c->notice);
		c->notice = content ? xstrdup(content) : NULL;
		c->notice_revision++;
		c->notice_author = author;
	}
}

size_t
locosim_chat_page(const struct locosim_chat *c, int64_t cur, int64_t max,
    size_t cnt, size_t *first, bool *is_ok)
{
	size_t lo = 0, hi = c->n_log, i, n = 0;

	/* First entry above cur. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->log[mid].log_id <= cur)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	for (i = lo; i < c->n_log && n < cnt && c->log[i].log_id <= max; i++)
		n++;
	*is_ok = i >= c->n_log || c->log[i].log_id > max;
	return n;
}

static int
world_load_users(struct locosim_world *w, const bson_t *root,
    struct loco_error *err)
{
	bson_t arr, doc;
	bson_iter_t it;
	int r;

	if ((r = loco_bson_get_array(root, "users", &arr)) < 0) {
		loco_error_set(err, LOCO_ERR_TYPE, "'users' is not an array");
		return -1;
	}
	if (r == 0 || !bson_iter_init(&it, &arr))
		return 0;
	while (bson_iter_next(&it)) {
		struct locosim_user *u;
		const uint8_t *data;
		uint32_t len;
		int64_t id;
		char *nick = NULL;

		if (!BSON_ITER_HOLDS_DOCUMENT(&it)) {
			loco_error_set(err, LOCO_ERR_TYPE,
			    "users[%s] is not an object", bson_iter_key(&it));
			return -1;
		}
		bson_iter_document(&it, &len, &data);
		bson_init_static(&doc, data, len);
		if (loco_bson_need_i64(&doc, "user", "userId", &id, err) != 0 ||
		    loco_bson_need_str(&doc, "user", "nickName", &nick, err) !=
		        0)
			return -1;
		if (locosim_world_user(w, id) != NULL) {
			free(nick);
			loco_error_set(err, LOCO_ERR_RANGE,
			    "user %lld listed twice", (long long)id);
			return -1;
		}
		u = locosim_world_add_user(w, id, nick);
		free(nick);
		if (loco_bson_opt_str(&doc, "user", "countryIso",
		        &u->country_iso, err) != 0 ||
		    loco_bson_opt_str(&doc, "user", "statusMessage",
		        &u->status_message, err) != 0 ||
		    loco_bson_opt_str(&doc, "user", "profileImageUrl",
		        &u->profile_image_url, err) != 0)
			return -1;
	}
	return 0;
}

static int
world_load_accounts(struct locosim_world *w, const bson_t *root,
    struct loco_error *err)
{
	bson_t arr, doc;
	bson_iter_t it;
	int r;

	if ((r = loco_bson_get_array(root, "accounts", &arr)) != 1) {
		loco_error_set(err, r == 0 ? LOCO_ERR_MISSING : LOCO_ERR_TYPE,
		    "'accounts' must be an array");
		return -1;
	}
	if (!bson_iter_init(&it, &arr))
		return -1;
	while (bson_iter_next(&it)) {
		struct locosim_account *a;
		const uint8_t *data;
		uint32_t len;

		if (!BSON_ITER_HOLDS_DOCUMENT(&it)) {
			loco_error_set(err, LOCO_ERR_TYPE,
			    "accounts[%s] is not an object",
			    bson_iter_key(&it));
			return -1;
		}
		bson_iter_document(&it, &len, &data);
		bson_init_static(&doc, data, len);
		w->accounts = xreallocarray(w->accounts, w->n_accounts + 1,
		    sizeof *w->accounts);
		a = &w->accounts[w->n_accounts++];
		memset(a, 0, sizeof *a);
		a->revision = 1;
		if (loco_bson_need_i64(&doc, "account", "userId", &a->user_id,
		        err) != 0 ||
		    loco_bson_need_str(&doc, "account", "accessToken",
		        &a->access_token, err) != 0 ||
		    loco_bson_need_str(&doc, "account", "deviceUuid",
		        &a->device_uuid, err) != 0 ||
		    loco_bson_opt_str(&doc, "account", "refreshToken",
		        &a->refresh_token, err) != 0 ||
		    loco_bson_opt_bool(&doc, "account", "tokenExpired",
		        &a->token_expired, err) != 0 ||
		    loco_bson_opt_i32(&doc, "account", "revision", &a->revision,
		        err) != 0 ||
		    loco_bson_opt_i64(&doc, "account", "lastTokenId",
		        &a->last_token_id, err) != 0)
			return -1;
		if (locosim_world_user(w, a->user_id) == NULL) {
			loco_error_set(err, LOCO_ERR_RANGE,
			    "account %lld has no user entry",
			    (long long)a->user_id);
			return -1;
		}
	}
	if (w->n_accounts == 0) {
		loco_error_set(err, LOCO_ERR_MISSING, "no accounts");
		return -1;
	}
	return 0;
}

static int
world_load_chat(struct locosim_world *w, const bson_t *doc,
    struct loco_error *err)
{
	struct locosim_chat *c;
	int64_t id, *members = NULL;
	size_t n = 0, i;
	char *type = NULL, *s = NULL;
	bson_t arr, mdoc;
	bson_iter_t it;
	int r = -1;

	if (loco_bson_need_i64(doc, "chat", "chatId", &id, err) != 0 ||
	    loco_bson_need_str(doc, "chat", "type", &type, err) != 0 ||
	    loco_bson_opt_i64_array(doc, "chat", "members", &members, &n,
	        err) != 0)
		goto out;
	if (!locosim_chat_type_is_valid(type)) {
		loco_error_set(err, LOCO_ERR_RANGE,
		    "chat %lld: unknown type '%s'", (long long)id, type);
		goto out;
	}
	for (i = 0; i < n; i++)
		if (locosim_world_user(w, members[i]) == NULL) {
			loco_error_set(err, LOCO_ERR_RANGE,
			    "chat %lld: member %lld is not a user",
			    (long long)id, (long long)members[i]);
			goto out;
		}
	if ((c = locosim_world_add_chat(w, id, type, members, n)) == NULL) {
		loco_error_set(err, LOCO_ERR_RANGE, "chat %lld listed twice",
		    (long long)id);
		goto out;
	}
	if (loco_bson_opt_str(doc, "chat", "title", &c->title, err) != 0 ||
	    loco_bson_opt_str(doc, "chat", "notice", &c->notice, err) != 0 ||
	    loco_bson_opt_i64(doc, "chat", "linkId", &c->link_id, err) != 0 ||
	    loco_bson_opt_bool(doc, "chat", "infoFails", &c->info_fails, err) !=
	        0)
		goto out;
	c->title_revision = c->title ? 1 : 0;
	c->notice_revision = c->notice ? 1 : 0;
	if (loco_bson_opt_i32(doc, "chat", "titleRevision", &c->title_revision,
	        err) != 0 ||
	    loco_bson_opt_i32(doc, "chat", "noticeRevision",
	        &c->notice_revision, err) != 0 ||
	    loco_bson_opt_i64(doc, "chat", "titleAuthor", &c->title_author,
	        err) != 0 ||
	    loco_bson_opt_i64(doc, "chat", "noticeAuthor", &c->notice_author,
	        err) != 0)
		goto out;
	if (loco_bson_get_array(doc, "messages", &arr) == 1 &&
	    bson_iter_init(&it, &arr)) {
		while (bson_iter_next(&it)) {
			const uint8_t *data;
			uint32_t len;
			int64_t author, log_id = 0, msg_id = 0, last;
			int64_t send_at = locosim_world_now(w);
			int32_t type32 = LOCO_MSG_TEXT;
			char *attach = NULL;
			struct loco_chatlog *cl;

			if (!BSON_ITER_HOLDS_DOCUMENT(&it)) {
				loco_error_set(err, LOCO_ERR_TYPE,
				    "chat %lld: a message is not an object",
				    (long long)id);
				goto out;
			}
			bson_iter_document(&it, &len, &data);
			bson_init_static(&mdoc, data, len);
			free(s);
			s = NULL;
			if (loco_bson_need_i64(&mdoc, "message", "authorId",
			        &author, err) != 0 ||
			    loco_bson_opt_str(&mdoc, "message", "message", &s,
			        err) != 0 ||
			    loco_bson_opt_str(&mdoc, "message", "attachment",
			        &attach, err) != 0 ||
			    loco_bson_opt_i32(&mdoc, "message", "type", &type32,
			        err) != 0 ||
			    loco_bson_opt_i64(&mdoc, "message", "sendAt",
			        &send_at, err) != 0 ||
			    loco_bson_opt_i64(&mdoc, "message", "msgId",
			        &msg_id, err) != 0 ||
			    loco_bson_opt_i64(&mdoc, "message", "logId",
			        &log_id, err) != 0) {
				free(attach);
				goto out;
			}
			/* A saved world keeps its ids; they must ascend. */
			if (log_id != 0 &&
			    log_id <= locosim_chat_last_log_id(c)) {
				free(attach);
				loco_error_set(err, LOCO_ERR_RANGE,
				    "chat %lld: logId %lld does not ascend",
				    (long long)id, (long long)log_id);
				goto out;
			}
			last = w->last_log_id;
			cl = chat_push(w, c, author, type32, s, attach, msg_id,
			    send_at);
			free(attach);
			/* A saved id is kept and does not move the counter
			 * past what the file's lastLogId says. */
			if (log_id != 0) {
				cl->log_id = log_id;
				w->last_log_id = log_id > last ? log_id : last;
			}
		}
	}
	/* Members have read what was there when the world was made. */
	if (loco_bson_get_doc(doc, "watermarks", &mdoc) == 1) {
		for (i = 0; i < c->n_members; i++) {
			char key[24];

			snprintf(key, sizeof key, "%lld",
			    (long long)c->members[i].user_id);
			loco_bson_get_i64(&mdoc, key, &c->members[i].watermark);
		}
	} else
		for (i = 0; i < c->n_members; i++)
			c->members[i].watermark = locosim_chat_last_log_id(c);
	r = 0;
out:
	free(type);
	free(s);
	free(members);
	return r;
}

static int
world_load_chats(struct locosim_world *w, const bson_t *root,
    struct loco_error *err)
{
	bson_t arr, doc;
	bson_iter_t it;
	int r;

	if ((r = loco_bson_get_array(root, "chats", &arr)) < 0) {
		loco_error_set(err, LOCO_ERR_TYPE, "'chats' is not an array");
		return -1;
	}
	if (r == 0 || !bson_iter_init(&it, &arr))
		return 0;
	while (bson_iter_next(&it)) {
		const uint8_t *data;
		uint32_t len;

		if (!BSON_ITER_HOLDS_DOCUMENT(&it)) {
			loco_error_set(err, LOCO_ERR_TYPE,
			    "chats[%s] is not an object", bson_iter_key(&it));
			return -1;
		}
		bson_iter_document(&it, &len, &data);
		bson_init_static(&doc, data, len);
		if (world_load_chat(w, &doc, err) != 0)
			return -1;
	}
	return 0;
}

struct locosim_world *
locosim_world_from_json(const char *json, size_t len, struct loco_error *err)
{
	struct locosim_world *w;
	bson_error_t berr;
	bson_t root;

	if (!bson_init_from_json(&root, json, (ssize_t)len, &berr)) {
		loco_error_set(err, LOCO_ERR_MALFORMED, "invalid JSON: %s",
		    berr.message);
		return NULL;
	}
	w = xcalloc(1, sizeof *w);
	if (loco_bson_opt_i64(&root, "world", "lastLogId", &w->last_log_id,
	        err) != 0 ||
	    loco_bson_opt_i64(&root, "world", "now", &w->now, err) != 0 ||
	    world_load_users(w, &root, err) != 0 ||
	    /* Chats first: adding them must not bump saved revisions. */
	    world_load_chats(w, &root, err) != 0 ||
	    world_load_accounts(w, &root, err) != 0) {
		bson_destroy(&root);
		locosim_world_free(w);
		return NULL;
	}
	bson_destroy(&root);
	return w;
}

struct locosim_world *
locosim_world_load(const char *path, struct loco_error *err)
{
	struct locosim_world *w;
	struct loco_error sub;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		loco_error_set(err, LOCO_ERR_IO, "cannot open '%s': %s", path,
		    strerror(errno));
		return NULL;
	}
	for (;;) {
		size_t n;

		if (len + 4096 > cap) {
			cap = cap ? cap * 2 : 65536;
			buf = xreallocarray(buf, cap, 1);
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		loco_error_set(err, LOCO_ERR_IO, "cannot read '%s'", path);
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	w = locosim_world_from_json(buf, len, &sub);
	free(buf);
	if (w == NULL)
		loco_error_set(err, sub.code, "%s: %s", path, sub.msg);
	return w;
}

char *
locosim_world_to_json(const struct locosim_world *w)
{
	bson_t root, arr, doc, marr, mdoc, wm;
	char key[24];
	const char *k;
	size_t i, j;
	char *json;

	bson_init(&root);
	bson_append_int64(&root, "lastLogId", -1, w->last_log_id);
	if (w->now != 0)
		bson_append_int64(&root, "now", -1, w->now);
	bson_append_array_begin(&root, "users", -1, &arr);
	for (i = 0; i < w->n_users; i++) {
		const struct locosim_user *u = &w->users[i];

		bson_uint32_to_string((uint32_t)i, &k, key, sizeof key);
		bson_append_document_begin(&arr, k, -1, &doc);
		bson_append_int64(&doc, "userId", -1, u->id);
		loco_bson_append_str(&doc, "nickName", u->nickname);
		loco_bson_append_str(&doc, "countryIso", u->country_iso);
		loco_bson_append_str(&doc, "statusMessage", u->status_message);
		loco_bson_append_str(&doc, "profileImageUrl",
		    u->profile_image_url);
		bson_append_document_end(&arr, &doc);
	}
	bson_append_array_end(&root, &arr);
	bson_append_array_begin(&root, "accounts", -1, &arr);
	for (i = 0; i < w->n_accounts; i++) {
		const struct locosim_account *a = &w->accounts[i];

		bson_uint32_to_string((uint32_t)i, &k, key, sizeof key);
		bson_append_document_begin(&arr, k, -1, &doc);
		bson_append_int64(&doc, "userId", -1, a->user_id);
		loco_bson_append_str(&doc, "accessToken", a->access_token);
		loco_bson_append_str(&doc, "refreshToken", a->refresh_token);
		loco_bson_append_str(&doc, "deviceUuid", a->device_uuid);
		bson_append_bool(&doc, "tokenExpired", -1, a->token_expired);
		bson_append_int32(&doc, "revision", -1, a->revision);
		bson_append_int64(&doc, "lastTokenId", -1, a->last_token_id);
		bson_append_document_end(&arr, &doc);
	}
	bson_append_array_end(&root, &arr);
	bson_append_array_begin(&root, "chats", -1, &arr);
	for (i = 0; i < w->n_chats; i++) {
		const struct locosim_chat *c = w->chats[i];
		int64_t *ids = xcalloc(c->n_members + 1, sizeof *ids);

		bson_uint32_to_string((uint32_t)i, &k, key, sizeof key);
		bson_append_document_begin(&arr, k, -1, &doc);
		bson_append_int64(&doc, "chatId", -1, c->id);
		bson_append_utf8(&doc, "type", -1, c->type, -1);
		if (c->title)
			loco_bson_append_str(&doc, "title", c->title);
		if (c->notice)
			loco_bson_append_str(&doc, "notice", c->notice);
		bson_append_int32(&doc, "titleRevision", -1, c->title_revision);
		bson_append_int32(&doc, "noticeRevision", -1,
		    c->notice_revision);
		bson_append_int64(&doc, "titleAuthor", -1, c->title_author);
		bson_append_int64(&doc, "noticeAuthor", -1, c->notice_author);
		if (c->info_fails)
			bson_append_bool(&doc, "infoFails", -1, true);
		if (c->link_id)
			bson_append_int64(&doc, "linkId", -1, c->link_id);
		for (j = 0; j < c->n_members; j++)
			ids[j] = c->members[j].user_id;
		loco_bson_append_i64_array(&doc, "members", ids, c->n_members);
		free(ids);
		bson_append_document_begin(&doc, "watermarks", -1, &wm);
		for (j = 0; j < c->n_members; j++) {
			char mk[24];

			snprintf(mk, sizeof mk, "%lld",
			    (long long)c->members[j].user_id);
			bson_append_int64(&wm, mk, -1, c->members[j].watermark);
		}
		bson_append_document_end(&doc, &wm);
		bson_append_array_begin(&doc, "messages", -1, &marr);
		for (j = 0; j < c->n_log; j++) {
			const struct loco_chatlog *cl = &c->log[j];

			bson_uint32_to_string((uint32_t)j, &k, key, sizeof key);
			bson_append_document_begin(&marr, k, -1, &mdoc);
			bson_append_int64(&mdoc, "logId", -1, cl->log_id);
			bson_append_int64(&mdoc, "authorId", -1, cl->author_id);
			bson_append_int32(&mdoc, "type", -1, cl->type);
			loco_bson_append_str(&mdoc, "message", cl->message);
			loco_bson_append_str(&mdoc, "attachment",
			    cl->attachment);
			bson_append_int64(&mdoc, "sendAt", -1, cl->send_at);
			if (cl->msg_id)
				bson_append_int64(&mdoc, "msgId", -1,
				    cl->msg_id);
			bson_append_document_end(&marr, &mdoc);
		}
		bson_append_array_end(&doc, &marr);
		bson_append_document_end(&arr, &doc);
	}
	bson_append_array_end(&root, &arr);
	json = loco_json_from_bson(&root);
	bson_destroy(&root);
	return json;
}

int
locosim_world_save(const struct locosim_world *w, const char *path,
    struct loco_error *err)
{
	char *json = locosim_world_to_json(w);
	char *tmp;
	size_t len;
	int fd, r = -1;

	if (json == NULL) {
		loco_error_set(err, LOCO_ERR_MALFORMED,
		    "cannot render the world as JSON");
		return -1;
	}
	tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	len = strlen(json);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) <
	    0) {
		loco_error_set(err, LOCO_ERR_IO, "cannot create '%s': %s", tmp,
		    strerror(errno));
		goto out;
	}
	if (write(fd, json, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    fsync(fd) != 0) {
		loco_error_set(err, LOCO_ERR_IO, "cannot write '%s': %s", tmp,
		    strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		loco_error_set(err, LOCO_ERR_IO, "cannot rename to '%s': %s",
		    path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	r = 0;
out:
	free(tmp);
	free(json);
	return r;
}

static void
chat_free(struct locosim_chat *c)
{
	size_t i;

	for (i = 0; i < c->n_log; i++)
		loco_chatlog_release(&c->log[i]);
	free(c->log);
	free(c->members);
	free(c->title);
	free(c->notice);
	free(c);
}

void
locosim_world_free(struct locosim_world *w)
{
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; i < w->n_users; i++) {
		free(w->users[i].nickname);
		free(w->users[i].country_iso);
		free(w->users[i].status_message);
		free(w->users[i].profile_image_url);
	}
	free(w->users);
	for (i = 0; i < w->n_accounts; i++) {
		struct locosim_account *a = &w->accounts[i];

		if (a->access_token)
			xfree_secret(a->access_token, strlen(a->access_token));
		if (a->refresh_token)
			xfree_secret(a->refresh_token,
			    strlen(a->refresh_token));
		free(a->device_uuid);
	}
	free(w->accounts);
	for (i = 0; i < w->n_chats; i++)
		chat_free(w->chats[i]);
	free(w->chats);
	free(w);
}
