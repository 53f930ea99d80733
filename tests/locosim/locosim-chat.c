/* locoirc: see LICENSE.
 *
 * The chat server's commands, one handler each, with the real server's
 * semantics from LOCO.md: LOGINLIST and the paged chat list, room info and
 * members, WRITE with its fan-out, history paging, reads, deletes,
 * reactions and metas. Every response and push leaves through
 * locosim_reply/locosim_push so injected faults apply.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "log.h"
#include "loco-bson.h"
#include "loco-chat.h"
#include "loco-media.h"
#include "loco-msg.h"
#include "loco-msgtype.h"
#include "locosim-internal.h"
#include "xmalloc.h"

/* LOCO status codes locosim answers with (LOCO.md section 3). */
#define ST_OK 0
#define ST_NOT_LOGON (-201)
#define ST_INVALID_METHOD (-202)
#define ST_INVALID_BODY (-203)
#define ST_CANNOT_DELETE (-210)
#define ST_INVALID_CHANNEL (-401)
#define ST_INVALID_TOKEN (-950)

/* Members listed in CHATONROOM "m" before it switches to ids (2.7). */
#define CHATONROOM_MEMBER_MAX 100
/* SYNCMSG page size when the client asks for 0 or too many. */
#define SYNCMSG_PAGE_DEFAULT 50
#define SYNCMSG_PAGE_MAX 300
/* MCHATLOGS answers at most this many logs per request. */
#define MCHATLOGS_MAX 300
/* Nicknames shown in chatDatas "i"/"k". */
#define CHAT_ICON_MAX 4
/* The open token locosim gives every open chat and open profile ("otk",
 * "opt"); KiwiTalk reads it as a time / 1000, any value will do. */
#define OPEN_TOKEN 1
/* Open-chat member permission and profile type (KiwiTalk's enums): a plain
 * member using the main profile. */
#define OPEN_MEMBER_PLAIN 2
#define OPEN_PROFILE_MAIN 1
/* CHATONROOM "mr": JSON of unknown meaning (LOCO.md 2.7). */
#define CHATONROOM_MR "{}"
/* INFOLINK: link type 2 is a chat room, member type 1 its owner (KiwiTalk's
 * OpenLinkType and OpenMemberType); the public link address. */
#define OPEN_LINK_CHATROOM 2
#define OPEN_MEMBER_OWNER 1
#define OPEN_LINK_URL "https://open.kakao.com/o/sim%lld"

typedef void (
    *chat_handler)(struct locosim_session *s, const struct loco_packet *pkt);

static void h_loginlist(struct locosim_session *s,
    const struct loco_packet *pkt);
static void h_lchatlist(struct locosim_session *s,
    const struct loco_packet *pkt);
static void h_chatinfo(struct locosim_session *s,
    const struct loco_packet *pkt);
static void h_chatonroom(struct locosim_session *s,
    const struct loco_packet *pkt);
static void h_getmem(struct locosim_session *s, const struct loco_packet *pkt);
static void h_member(struct locosim_session *s, const struct loco_packet *pkt);
static void h_write(struct locosim_session *s, const struct loco_packet *pkt);
static void h_syncmsg(struct locosim_session *s, const struct loco_packet *pkt);
static void h_mchatlogs(struct locosim_session *s,
    const struct loco_packet *pkt);
static void h_notiread(struct locosim_session *s,
    const struct loco_packet *pkt);
static void h_deletemsg(struct locosim_session *s,
    const struct loco_packet *pkt);
static void h_action(struct locosim_session *s, const struct loco_packet *pkt);
static void h_setmeta(struct locosim_session *s, const struct loco_packet *pkt);
static void h_ping(struct locosim_session *s, const struct loco_packet *pkt);
static void h_ship(struct locosim_session *s, const struct loco_packet *pkt);
static void h_infolink(struct locosim_session *s,
    const struct loco_packet *pkt);
static void h_msg_echo(struct locosim_session *s,
    const struct loco_packet *pkt);

static const struct {
	const char *method;
	bool need_login;
	chat_handler fn;
} chat_methods[] = {
    {"LOGINLIST", false, h_loginlist},
    {"PING", false, h_ping},
    {"LCHATLIST", true, h_lchatlist},
    {"CHATINFO", true, h_chatinfo},
    {"CHATONROOM", true, h_chatonroom},
    {"GETMEM", true, h_getmem},
    {"MEMBER", true, h_member},
    {"WRITE", true, h_write},
    {"FORWARD", true, h_write},
    {"SYNCMSG", true, h_syncmsg},
    {"MCHATLOGS", true, h_mchatlogs},
    {"NOTIREAD", true, h_notiread},
    {"DELETEMSG", true, h_deletemsg},
    {"ACTION", true, h_action},
    {"SETMETA", true, h_setmeta},
    {"SHIP", true, h_ship},
    {"INFOLINK", true, h_infolink},
    /* loco-wrapper acknowledges MSG pushes with the push's id (1.2). */
    {"MSG", true, h_msg_echo},
};

static int compare_chats(const void *a, const void *b);
static size_t user_chats(struct locosim *sim, int64_t user,
    struct locosim_chat ***out);
static void chat_list_page(struct locosim *sim, struct locosim_account *a,
    int64_t after, const int64_t *known, size_t n_known,
    struct loco_chat_list *out);
static struct locosim_chat *member_chat(struct locosim_session *s,
    int64_t chat_id);
static void member_from_user(const struct locosim *sim,
    const struct locosim_chat *c, const struct locosim_user *u,
    struct loco_member *m);
static int32_t unread_count(const struct locosim_chat *c, int64_t user);
static void bad_body(struct locosim_session *s, const struct loco_packet *pkt,
    const struct loco_error *err);
static bool is_open(const struct locosim_chat *c);
static int64_t chat_last_update(const struct locosim_chat *c);
static int64_t chat_first_log_id(const struct locosim_chat *c);
static int32_t member_joined_at(const struct locosim *sim,
    const struct locosim_chat *c, int64_t user);
static bool feed_names(const struct loco_feed *f, int64_t user);
static void open_link_append(struct locosim *sim, bson_t *arr, const char *key,
    const struct locosim_chat *c);

void
locosim_chat_packet(struct locosim_session *s, const struct loco_packet *pkt)
{
	size_t i;

	for (i = 0; i < sizeof chat_methods / sizeof chat_methods[0]; i++) {
		if (strcmp(pkt->hdr.method, chat_methods[i].method) != 0)
			continue;
		if (chat_methods[i].need_login && s->user_id == 0) {
			locosim_respond_status(s, pkt->hdr.packet_id,
			    pkt->hdr.method, ST_NOT_LOGON);
			return;
		}
		chat_methods[i].fn(s, pkt);
		return;
	}
	log_debug("locosim: session %u: unknown method %s", s->serial,
	    pkt->hdr.method);
	locosim_respond_status(s, pkt->hdr.packet_id, pkt->hdr.method,
	    ST_INVALID_METHOD);
}

static bool
is_open(const struct locosim_chat *c)
{
	return strcmp(c->type, "OM") == 0 || strcmp(c->type, "OD") == 0;
}

/* Unix seconds of the chat's last message; 0 for an empty chat. */
static int64_t
chat_last_update(const struct locosim_chat *c)
{
	return c->n_log > 0 ? c->log[c->n_log - 1].send_at : 0;
}

/* The log id of the chat's first message; 0 for an empty chat. */
static int64_t
chat_first_log_id(const struct locosim_chat *c)
{
	return c->n_log > 0 ? c->log[0].log_id : 0;
}

/* Whether an invite or open-join feed lists user among its members. */
static bool
feed_names(const struct loco_feed *f, int64_t user)
{
	size_t i;

	if (f->feed_type != LOCO_FEED_INVITE &&
	    f->feed_type != LOCO_FEED_OPENLINK_JOIN)
		return false;
	for (i = 0; i < f->n_members; i++)
		if (f->members[i].user_id == user)
			return true;
	return false;
}

/*
 * When user joined c, as CHATINFO "joinedAtForNewMem": the latest feed
 * that invited them, else the chat's first message (they were there from
 * the start), else the world clock.
 */
static int32_t
member_joined_at(const struct locosim *sim, const struct locosim_chat *c,
    int64_t user)
{
	size_t i;

	for (i = c->n_log; i > 0; i--) {
		const struct loco_chatlog *cl = &c->log[i - 1];
		struct loco_feed f;
		bool found;

		if (cl->type != LOCO_MSG_FEED ||
		    loco_feed_decode(cl->message, &f, NULL) != 0)
			continue;
		found = feed_names(&f, user);
		loco_feed_release(&f);
		if (found)
			return cl->send_at;
	}
	if (c->n_log > 0)
		return c->log[0].send_at;
	return (int32_t)locosim_world_now(sim->world);
}

/* A body that does not decode gets -203, as the real server answers. */
static void
bad_body(struct locosim_session *s, const struct loco_packet *pkt,
    const struct loco_error *err)
{
	log_debug("locosim: session %u: bad %s body: %s", s->serial,
	    pkt->hdr.method, err->msg);
	locosim_respond_status(s, pkt->hdr.packet_id, pkt->hdr.method,
	    ST_INVALID_BODY);
}

/* The chat chat_id if the session's user is in it, else NULL. */
static struct locosim_chat *
member_chat(struct locosim_session *s, int64_t chat_id)
{
	struct locosim_chat *c = locosim_world_chat(s->sim->world, chat_id);

	if (c == NULL || locosim_chat_member(c, s->user_id) == NULL)
		return NULL;
	return c;
}

static int
compare_chats(const void *a, const void *b)
{
	const struct locosim_chat *x = *(struct locosim_chat *const *)a;
	const struct locosim_chat *y = *(struct locosim_chat *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* The user's chats sorted by id; *out is malloc'd. */
static size_t
user_chats(struct locosim *sim, int64_t user, struct locosim_chat ***out)
{
	struct locosim_world *w = sim->world;
	struct locosim_chat **v;
	size_t i, n = 0;

	v = xcalloc(w->n_chats + 1, sizeof *v);
	for (i = 0; i < w->n_chats; i++)
		if (locosim_chat_member(w->chats[i], user) != NULL)
			v[n++] = w->chats[i];
	qsort(v, n, sizeof *v, compare_chats);
	*out = v;
	return n;
}

static int32_t
unread_count(const struct locosim_chat *c, int64_t user)
{
	const struct locosim_member *m = NULL;
	size_t i;
	int32_t n = 0;

	for (i = 0; i < c->n_members; i++)
		if (c->members[i].user_id == user)
			m = &c->members[i];
	if (m == NULL)
		return 0;
	for (i = c->n_log; i > 0; i--) {
		const struct loco_chatlog *cl = &c->log[i - 1];

		if (cl->log_id <= m->watermark)
			break;
		if (cl->author_id != user)
			n++;
	}
	return n;
}

/*
 * One page of the chat list after chat id `after`, as LOGINLIST and
 * LCHATLIST share it. known lists the chat ids the client sent: those get
 * their last chatLog in "l", and those no longer ours go to delChatIds.
 */
static void
chat_list_page(struct locosim *sim, struct locosim_account *a, int64_t after,
    const int64_t *known, size_t n_known, struct loco_chat_list *out)
{
	struct locosim_chat **chats;
	size_t n, i, j, first;

	memset(out, 0, sizeof *out);
	n = user_chats(sim, a->user_id, &chats);
	for (first = 0; first < n && chats[first]->id <= after; first++)
		;
	out->chats = xcalloc(sim->opts.chat_page_size + 1, sizeof *out->chats);
	for (i = first; i < n && out->n_chats < sim->opts.chat_page_size; i++) {
		struct locosim_chat *c = chats[i];
		struct loco_chat_data *d = &out->chats[out->n_chats++];
		struct locosim_member *me = locosim_chat_member(c, a->user_id);
		size_t icons = 0;

		d->chat_id = c->id;
		d->type = loco_chat_type_from_name(c->type);
		d->active_members = (int32_t)c->n_members;
		d->new_count = unread_count(c, a->user_id);
		d->last_log_id = locosim_chat_last_log_id(c);
		d->last_seen_log_id = me->watermark;
		for (j = 0; j < n_known; j++)
			if (known[j] == c->id && c->n_log > 0) {
				d->last_log = xcalloc(1, sizeof *d->last_log);
				loco_chatlog_copy(d->last_log,
				    &c->log[c->n_log - 1]);
				break;
			}
		d->icon_user_ids =
		    xcalloc(CHAT_ICON_MAX, sizeof *d->icon_user_ids);
		d->icon_nicknames =
		    xcalloc(CHAT_ICON_MAX, sizeof *d->icon_nicknames);
		for (j = 0; j < c->n_members && icons < CHAT_ICON_MAX; j++) {
			struct locosim_user *u;

			if (c->members[j].user_id == a->user_id)
				continue;
			u = locosim_world_user(sim->world,
			    c->members[j].user_id);
			d->icon_user_ids[icons] = c->members[j].user_id;
			d->icon_nicknames[icons] =
			    xstrdup(u ? u->nickname : "");
			icons++;
		}
		d->n_icon_user_ids = d->n_icon_nicknames = icons;
		d->last_update = chat_last_update(c);
		d->push_alert = true;
		if (is_open(c)) {
			d->link_id = c->link_id;
			d->open_token = OPEN_TOKEN;
		} else
			d->jn = 1;
		out->last_chat_id = c->id;
	}
	out->eof = i >= n;
	out->last_token_id = a->last_token_id;
	/* Chats the client knows that are not ours any more. */
	out->del_chat_ids = xcalloc(n_known + 1, sizeof *out->del_chat_ids);
	for (j = 0; after == 0 && j < n_known; j++) {
		bool found = false;

		for (i = 0; i < n; i++)
			if (chats[i]->id == known[j])
				found = true;
		if (!found)
			out->del_chat_ids[out->n_del_chat_ids++] = known[j];
	}
	free(chats);
}

static void
h_loginlist(struct locosim_session *s, const struct loco_packet *pkt)
{
	struct locosim *sim = s->sim;
	struct loco_loginlist_req req;
	struct loco_loginlist_res res;
	struct locosim_account *a = NULL;
	struct locosim_session *o, *next;
	struct loco_error err;
	bson_t body;
	size_t i;

	if (loco_loginlist_req_decode(&pkt->body, &req, &err) != 0) {
		bad_body(s, pkt, &err);
		return;
	}
	if (sim->fail_next_login != 0) {
		locosim_respond_status(s, pkt->hdr.packet_id, "LOGINLIST",
		    sim->fail_next_login);
		sim->fail_next_login = 0;
		goto out;
	}
	for (i = 0; req.oauth_token != NULL && i < sim->world->n_accounts; i++)
		/* Lengths first: a shorter token must not be read past. */
		if (strlen(sim->world->accounts[i].access_token) ==
		        strlen(req.oauth_token) &&
		    CRYPTO_memcmp(sim->world->accounts[i].access_token,
		        req.oauth_token, strlen(req.oauth_token)) == 0) {
			a = &sim->world->accounts[i];
			break;
		}
	/* Unknown, expired, or issued to another device: all -950. */
	if (a == NULL || a->token_expired || req.duuid == NULL ||
	    strcmp(a->device_uuid, req.duuid) != 0) {
		locosim_respond_status(s, pkt->hdr.packet_id, "LOGINLIST",
		    ST_INVALID_TOKEN);
		goto out;
	}
	s->user_id = a->user_id;
	free(s->duuid);
	s->duuid = xstrdup(req.duuid);
	s->dtype = req.dtype;
	snprintf(s->os, sizeof s->os, "%s", req.os ? req.os : "");
	/* One session per device slot: the newcomer evicts the old one. */
	for (o = TAILQ_FIRST(&sim->sessions); o != NULL; o = next) {
		next = TAILQ_NEXT(o, entry);
		if (o != s && o->kind == LOCOSIM_KIND_CHAT && o->conn != NULL &&
		    o->user_id == a->user_id && o->dtype == s->dtype) {
			bson_t *k = BCON_NEW("reason", BCON_INT32(0));

			locosim_push(o, "KICKOUT", k);
			bson_destroy(k);
			locosim_session_close(o);
		}
	}
	memset(&res, 0, sizeof res);
	res.status = ST_OK;
	res.user_id = a->user_id;
	res.revision = a->revision;
	res.revision_info = xstrdup("{}");
	chat_list_page(sim, a, 0, req.chat_ids,
	    req.n_chat_ids < req.n_max_ids ? req.n_chat_ids : req.n_max_ids,
	    &res.list);
	res.min_log_id = LOCOSIM_LOG_ID_BASE;
	bson_init(&body);
	loco_loginlist_res_encode(&res, &body);
	locosim_respond(s, pkt->hdr.packet_id, "LOGINLIST", &body);
	bson_destroy(&body);
	loco_loginlist_res_release(&res);
out:
	loco_loginlist_req_release(&req);
}

static void
h_lchatlist(struct locosim_session *s, const struct loco_packet *pkt)
{
	struct loco_lchatlist_req req;
	struct loco_lchatlist_res res;
	struct locosim_account *a;
	struct loco_error err;
	bson_t body;

	if (loco_lchatlist_req_decode(&pkt->body, &req, &err) != 0) {
		bad_body(s, pkt, &err);
		return;
	}
	a = locosim_world_account(s->sim->world, s->user_id);
	memset(&res, 0, sizeof res);
	res.status = ST_OK;
	chat_list_page(s->sim, a, req.last_chat_id, req.chat_ids,
	    req.n_chat_ids < req.n_max_ids ? req.n_chat_ids : req.n_max_ids,
	    &res.list);
	bson_init(&body);
	loco_lchatlist_res_encode(&res, &body);
	locosim_respond(s, pkt->hdr.packet_id, "LCHATLIST", &body);
	bson_destroy(&body);
	loco_lchatlist_res_release(&res);
	loco_lchatlist_req_release(&req);
}

/*
 * The member record of u in c. Beyond what a member has, it carries the
 * keys strict clients read for its kind (docs/locosim-compat.md): for a
 * normal member linkedServices, and pi/fpi/opi copies of the profile URLs
 * (loco-wrapper reads those from every MEMBER answer); for an open-chat
 * member the full, original and token keys of its open profile.
 */
static void
member_from_user(const struct locosim *sim, const struct locosim_chat *c,
    const struct locosim_user *u, struct loco_member *m)
{
	(void)sim;
	memset(m, 0, sizeof *m);
	m->user_id = u->id;
	m->nickname = xstrdup(u->nickname);
	m->country_iso = xstrdup(u->country_iso ? u->country_iso : "");
	m->profile_image_url =
	    xstrdup(u->profile_image_url ? u->profile_image_url : "");
	m->pi = xstrdup(m->profile_image_url);
	m->fpi = xstrdup(m->profile_image_url);
	m->opi = xstrdup(m->profile_image_url);
	if (is_open(c)) {
		m->type = LOCO_USER_OPEN_PROFILE;
		m->mt = OPEN_MEMBER_PLAIN;
		m->opt = OPEN_TOKEN;
		m->ptp = OPEN_PROFILE_MAIN;
	} else {
		m->account_id = u->id;
		m->full_profile_image_url = xstrdup(m->profile_image_url);
		m->original_profile_image_url = xstrdup(m->profile_image_url);
		m->status_message =
		    xstrdup(u->status_message ? u->status_message : "");
		m->linked_services = xstrdup("");
		m->type = LOCO_USER_FRIEND;
	}
}

static void
h_chatinfo(struct locosim_session *s, const struct loco_packet *pkt)
{
	struct loco_chatinfo_req req;
	struct loco_chatinfo_res res;
	struct loco_chat_info *ci = &res.info;
	struct locosim_chat *c;
	struct loco_error err;
	bson_t body;
	size_t i;

	if (loco_chatinfo_req_decode(&pkt->body, &req, &err) != 0) {
		bad_body(s, pkt, &err);
		return;
	}
	/* A chat that refuses CHATINFO, as Kakao's login-alert chat does. */
	if ((c = member_chat(s, req.chat_id)) == NULL || c->info_fails) {
		locosim_respond_status(s, pkt->hdr.packet_id, "CHATINFO",
		    ST_INVALID_CHANNEL);
		goto out;
	}
	memset(&res, 0, sizeof res);
	ci->chat_id = c->id;
	ci->type = loco_chat_type_from_name(c->type);
	ci->active_members = (int32_t)c->n_members;
	ci->new_message_count = unread_count(c, s->user_id);
	ci->invalid_new_message_count = false;
	ci->last_log_id = locosim_chat_last_log_id(c);
	ci->last_seen_log_id = locosim_chat_member(c, s->user_id)->watermark;
	if (c->n_log > 0) {
		ci->last_chat_log = xcalloc(1, sizeof *ci->last_chat_log);
		loco_chatlog_copy(ci->last_chat_log, &c->log[c->n_log - 1]);
		ci->last_updated_at = c->log[c->n_log - 1].send_at;
	}
	ci->push_alert = true;
	ci->metas = xcalloc(2, sizeof *ci->metas);
	/* The title first: loco-wrapper names a group by chatMetas[0]. */
	if (c->title != NULL) {
		struct loco_chat_meta *m = &ci->metas[ci->n_metas++];

		m->type = 3;
		m->revision = c->title_revision;
		m->author_id = c->title_author;
		m->content = xstrdup(c->title);
	}
	if (c->notice != NULL) {
		struct loco_chat_meta *m = &ci->metas[ci->n_metas++];

		m->type = 1;
		m->revision = c->notice_revision;
		m->author_id = c->notice_author;
		m->content = xstrdup(c->notice);
	}
	ci->display_members =
	    xcalloc(CHAT_ICON_MAX + 1, sizeof *ci->display_members);
	for (i = 0; i < c->n_members && ci->n_display_members < CHAT_ICON_MAX;
	     i++) {
		struct locosim_user *u =
		    locosim_world_user(s->sim->world, c->members[i].user_id);
		struct loco_display_member *dm;

		if (u == NULL || u->id == s->user_id)
			continue;
		dm = &ci->display_members[ci->n_display_members++];
		dm->user_id = u->id;
		dm->nickname = xstrdup(u->nickname);
		dm->country_iso = xstrdup(u->country_iso ? u->country_iso : "");
		dm->profile_image_url =
		    xstrdup(u->profile_image_url ? u->profile_image_url : "");
	}
	if (is_open(c)) {
		ci->link_id = c->link_id;
		ci->open_token = OPEN_TOKEN;
	} else
		ci->joined_at_for_new_mem =
		    member_joined_at(s->sim, c, s->user_id);
	ci->direct_chat = strcmp(c->type, "DirectChat") == 0;
	res.status = ST_OK;
	bson_init(&body);
	loco_chatinfo_res_encode(&res, &body);
	locosim_respond(s, pkt->hdr.packet_id, "CHATINFO", &body);
	bson_destroy(&body);
	loco_chatinfo_res_release(&res);
out:
	loco_chatinfo_req_release(&req);
}

static void
h_chatonroom(struct locosim_session *s, const struct loco_packet *pkt)
{
	struct loco_chatonroom_req req;
	struct loco_chatonroom_res res;
	struct locosim_chat *c;
	struct loco_error err;
	bson_t body;
	size_t i;

	if (loco_chatonroom_req_decode(&pkt->body, &req, &err) != 0) {
		bad_body(s, pkt, &err);
		return;
	}
	if ((c = member_chat(s, req.chat_id)) == NULL) {
		locosim_respond_status(s, pkt->hdr.packet_id, "CHATONROOM",
		    ST_INVALID_CHANNEL);
		goto out;
	}
	memset(&res, 0, sizeof res);
	res.status = ST_OK;
	res.chat_id = c->id;
	res.type = loco_chat_type_from_name(c->type);
	res.last_log_id = locosim_chat_last_log_id(c);
	/* Up to 100 members in full, above that ids only (2.7). */
	if (c->n_members <= CHATONROOM_MEMBER_MAX) {
		res.members = xcalloc(c->n_members + 1, sizeof *res.members);
		for (i = 0; i < c->n_members; i++) {
			struct locosim_user *u =
			    locosim_world_user(s->sim->world,
			        c->members[i].user_id);

			if (u != NULL)
				member_from_user(s->sim, c, u,
				    &res.members[res.n_members++]);
		}
	} else {
		res.member_ids = xcalloc(c->n_members, sizeof *res.member_ids);
		for (i = 0; i < c->n_members; i++)
			res.member_ids[res.n_member_ids++] =
			    c->members[i].user_id;
	}
	res.watermark_user_ids =
	    xcalloc(c->n_members + 1, sizeof *res.watermark_user_ids);
	res.watermarks = xcalloc(c->n_members + 1, sizeof *res.watermarks);
	for (i = 0; i < c->n_members; i++) {
		res.watermark_user_ids[i] = c->members[i].user_id;
		res.watermarks[i] = c->members[i].watermark;
	}
	res.n_watermark_user_ids = res.n_watermarks = c->n_members;
	res.last_update = chat_last_update(c);
	res.jsi = chat_first_log_id(c);
	res.f = false;
	res.mr = xstrdup(CHATONROOM_MR);
	if (is_open(c))
		res.open_token = OPEN_TOKEN;
	bson_init(&body);
	loco_chatonroom_res_encode(&res, &body);
	locosim_respond(s, pkt->hdr.packet_id, "CHATONROOM", &body);
	bson_destroy(&body);
	loco_chatonroom_res_release(&res);
out:
	loco_chatonroom_req_release(&req);
}

static void
h_getmem(struct locosim_session *s, const struct loco_packet *pkt)
{
	struct loco_getmem_req req;
	struct loco_getmem_res res;
	struct locosim_chat *c;
	struct loco_error err;
	bson_t body;
	size_t i;

	if (loco_getmem_req_decode(&pkt->body, &req, &err) != 0) {
		bad_body(s, pkt, &err);
		return;
	}
	if ((c = member_chat(s, req.chat_id)) == NULL) {
		locosim_respond_status(s, pkt->hdr.packet_id, "GETMEM",
		    ST_INVALID_CHANNEL);
		goto out;
	}
	memset(&res, 0, sizeof res);
	res.status = ST_OK;
	res.members = xcalloc(c->n_members + 1, sizeof *res.members);
	for (i = 0; i < c->n_members; i++) {
		struct locosim_user *u =
		    locosim_world_user(s->sim->world, c->members[i].user_id);

		if (u != NULL)
			member_from_user(s->sim, c, u,
			    &res.members[res.n_members++]);
	}
	res.token = locosim_world_now(s->sim->world);
	bson_init(&body);
	loco_getmem_res_encode(&res, &body);
	locosim_respond(s, pkt->hdr.packet_id, "GETMEM", &body);
	bson_destroy(&body);
	loco_getmem_res_release(&res);
out:
	loco_getmem_req_release(&req);
}

static void
h_member(struct locosim_session *s, const struct loco_packet *pkt)
{
	struct loco_member_req req;
	struct loco_member_res res;
	struct locosim_chat *c;
	struct loco_error err;
	bson_t body;
	size_t i;

	if (loco_member_req_decode(&pkt->body, &req, &err) != 0) {
		bad_body(s, pkt, &err);
		return;
	}
	if ((c = member_chat(s, req.chat_id)) == NULL) {
		locosim_respond_status(s, pkt->hdr.packet_id, "MEMBER",
		    ST_INVALID_CHANNEL);
		goto out;
	}
	memset(&res, 0, sizeof res);
	res.status = ST_OK;
	res.chat_id = c->id;
	res.members = xcalloc(req.n_member_ids + 1, sizeof *res.members);
	for (i = 0; i < req.n_member_ids; i++) {
		struct locosim_user *u =
		    locosim_world_user(s->sim->world, req.member_ids[i]);

		/* Ids that are not in the room are left out. */
		if (u != NULL && locosim_chat_member(c, u->id) != NULL)
			member_from_user(s->sim, c, u,
			    &res.members[res.n_members++]);
	}
	bson_init(&body);
	loco_member_res_encode(&res, &body);
	locosim_respond(s, pkt->hdr.packet_id, "MEMBER", &body);
	bson_destroy(&body);
	loco_member_res_release(&res);
out:
	loco_member_req_release(&req);
}

static void
h_write(struct locosim_session *s, const struct loco_packet *pkt)
{
	struct locosim *sim = s->sim;
	bool forward = strcmp(pkt->hdr.method, "FORWARD") == 0;
	struct loco_write_req req;
	struct locosim_write *rec;
	struct locosim_chat *c;
	struct loco_chatlog *cl;
	struct loco_error err;
	int32_t status = ST_OK;
	bson_t body;

	if (loco_write_req_decode(&pkt->body, &req, &err) != 0) {
		bad_body(s, pkt, &err);
		return;
	}
	if ((c = member_chat(s, req.chat_id)) == NULL)
		status = ST_INVALID_CHANNEL;
	else if (req.type <= LOCO_MSG_FEED ||
	    loco_msgtype_is_deleted(req.type) ||
	    (req.type == LOCO_MSG_TEXT &&
	        (req.msg == NULL || *req.msg == '\0')))
		status = ST_INVALID_BODY;
	sim->writes =
	    xreallocarray(sim->writes, sim->n_writes + 1, sizeof *sim->writes);
	rec = &sim->writes[sim->n_writes++];
	memset(rec, 0, sizeof *rec);
	rec->chat_id = req.chat_id;
	rec->author = s->user_id;
	rec->msg_id = req.msg_id;
	rec->type = req.type;
	rec->text = xstrdup(req.msg ? req.msg : "");
	rec->extra = xstrdup(req.extra ? req.extra : "");
	rec->status = status;
	if (status != ST_OK) {
		locosim_respond_status(s, pkt->hdr.packet_id, pkt->hdr.method,
		    status);
		goto out;
	}
	/* WRITE's "extra" becomes the chatLog's "attachment". */
	cl = locosim_chat_append(sim->world, c, s->user_id, req.type, req.msg,
	    req.extra && strcmp(req.extra, "{}") != 0 ? req.extra : "",
	    req.msg_id);
	rec->log_id = cl->log_id;
	bson_init(&body);
	if (forward) {
		struct loco_forward_res res;

		memset(&res, 0, sizeof res);
		res.has_chatlog = true;
		res.chatlog = *cl;
		loco_forward_res_encode(&res, &body);
	} else {
		struct loco_write_res res;

		memset(&res, 0, sizeof res);
		res.chat_id = c->id;
		res.log_id = cl->log_id;
		res.prev_id = cl->prev_id;
		res.msg_id = req.msg_id;
		res.send_at = cl->send_at;
		res.has_chatlog = true;
		res.chatlog = *cl;
		loco_write_res_encode(&res, &body);
	}
	locosim_respond(s, pkt->hdr.packet_id, pkt->hdr.method, &body);
	bson_destroy(&body);
	/* Everyone else, the author's other devices included, gets MSG. */
	locosim_deliver(sim, c, cl, s->serial);
out:
	loco_write_req_release(&req);
}

static void
h_syncmsg(struct locosim_session *s, const struct loco_packet *pkt)
{
	struct loco_syncmsg_req req;
	struct loco_syncmsg_res res;
	struct locosim_chat *c;
	struct loco_error err;
	size_t first, n, i, cnt;
	int64_t max;
	bool is_ok;
	bson_t body;

	if (loco_syncmsg_req_decode(&pkt->body, &req, &err) != 0) {
		bad_body(s, pkt, &err);
		return;
	}
	if ((c = member_chat(s, req.chat_id)) == NULL) {
		locosim_respond_status(s, pkt->hdr.packet_id, "SYNCMSG",
		    ST_INVALID_CHANNEL);
		goto out;
	}
	cnt = req.cnt <= 0 || req.cnt > SYNCMSG_PAGE_MAX ? SYNCMSG_PAGE_DEFAULT
	                                                 : (size_t)req.cnt;
	/* Paging is forward (decision 6); a missing max means "to now". */
	max = req.max > 0 ? req.max : locosim_chat_last_log_id(c);
	n = locosim_chat_page(c, req.cur, max, cnt, &first, &is_ok);
	memset(&res, 0, sizeof res);
	res.status = ST_OK;
	res.is_ok = is_ok;
	res.chatlogs = xcalloc(n + 1, sizeof *res.chatlogs);
	for (i = 0; i < n; i++)
		loco_chatlog_copy(&res.chatlogs[i], &c->log[first + i]);
	res.n_chatlogs = n;
	res.min_log_id = c->n_log ? c->log[0].log_id : 0;
	res.jsi = res.min_log_id;
	res.last_token_id =
	    locosim_world_account(s->sim->world, s->user_id)->last_token_id;
	if (is_open(c))
		res.li = c->link_id;
	bson_init(&body);
	loco_syncmsg_res_encode(&res, &body);
	locosim_respond(s, pkt->hdr.packet_id, "SYNCMSG", &body);
	bson_destroy(&body);
	loco_syncmsg_res_release(&res);
out:
	loco_syncmsg_req_release(&req);
}

static void
h_mchatlogs(struct locosim_session *s, const struct loco_packet *pkt)
{
	struct loco_mchatlogs_req req;
	struct loco_mchatlogs_res res;
	struct loco_error err;
	size_t i, j, cap = 0;
	bson_t body;

	if (loco_mchatlogs_req_decode(&pkt->body, &req, &err) != 0) {
		bad_body(s, pkt, &err);
		return;
	}
	memset(&res, 0, sizeof res);
	res.status = ST_OK;
	res.eof = true;
	for (i = 0; i < req.n_chats; i++) {
		struct locosim_chat *c = member_chat(s, req.chat_ids[i]);

		if (c == NULL)
			continue;
		for (j = 0; j < c->n_log; j++) {
			if (c->log[j].log_id <= req.sinces[i])
				continue;
			if (res.n_chatlogs == MCHATLOGS_MAX) {
				res.eof = false;
				break;
			}
			if (res.n_chatlogs == cap) {
				cap = cap ? cap * 2 : 32;
				res.chatlogs = xreallocarray(res.chatlogs, cap,
				    sizeof *res.chatlogs);
			}
			loco_chatlog_copy(&res.chatlogs[res.n_chatlogs++],
			    &c->log[j]);
		}
	}
	bson_init(&body);
	loco_mchatlogs_res_encode(&res, &body);
	locosim_respond(s, pkt->hdr.packet_id, "MCHATLOGS", &body);
	bson_destroy(&body);
	loco_mchatlogs_res_release(&res);
	loco_mchatlogs_req_release(&req);
}

static void
h_notiread(struct locosim_session *s, const struct loco_packet *pkt)
{
	struct loco_notiread_req req;
	struct loco_decunread_push p;
	struct locosim_member *m;
	struct locosim_chat *c;
	struct loco_error err;
	bson_t body;

	if (loco_notiread_req_decode(&pkt->body, &req, &err) != 0) {
		bad_body(s, pkt, &err);
		return;
	}
	if ((c = member_chat(s, req.chat_id)) == NULL) {
		locosim_respond_status(s, pkt->hdr.packet_id, "NOTIREAD",
		    ST_INVALID_CHANNEL);
		goto out;
	}
	m = locosim_chat_member(c, s->user_id);
	/* A watermark never moves back, nor past the last message. */
	if (req.watermark > locosim_chat_last_log_id(c))
		req.watermark = locosim_chat_last_log_id(c);
	if (req.watermark > m->watermark)
		m->watermark = req.watermark;
	locosim_respond_status(s, pkt->hdr.packet_id, "NOTIREAD", ST_OK);
	memset(&p, 0, sizeof p);
	p.chat_id = c->id;
	p.user_id = s->user_id;
	p.watermark = m->watermark;
	bson_init(&body);
	loco_decunread_push_encode(&p, &body);
	locosim_push_chat(s->sim, c, s->serial, "DECUNREAD", &body);
	bson_destroy(&body);
out:
	loco_notiread_req_release(&req);
}

static void
h_deletemsg(struct locosim_session *s, const struct loco_packet *pkt)
{
	struct loco_deletemsg_req req;
	struct loco_syncdlmsg_push p;
	struct loco_chatlog *orig, *feed;
	struct locosim_chat *c;
	struct loco_error err;
	bson_t body;

	if (loco_deletemsg_req_decode(&pkt->body, &req, &err) != 0) {
		bad_body(s, pkt, &err);
		return;
	}
	if ((c = member_chat(s, req.chat_id)) == NULL) {
		locosim_respond_status(s, pkt->hdr.packet_id, "DELETEMSG",
		    ST_INVALID_CHANNEL);
		goto out;
	}
	/* The memo chat says yes and does nothing (LOCO.md 2.12). */
	if (strcmp(c->type, "MemoChat") == 0) {
		locosim_respond_status(s, pkt->hdr.packet_id, "DELETEMSG",
		    ST_OK);
		goto out;
	}
	orig = locosim_chat_find(c, req.log_id);
	if (orig == NULL || orig->author_id != s->user_id ||
	    loco_msgtype_is_deleted(orig->type) ||
	    orig->type == LOCO_MSG_FEED) {
		locosim_respond_status(s, pkt->hdr.packet_id, "DELETEMSG",
		    ST_CANNOT_DELETE);
		goto out;
	}
	feed = locosim_chat_delete(s->sim->world, c, s->user_id, req.log_id);
	locosim_respond_status(s, pkt->hdr.packet_id, "DELETEMSG", ST_OK);
	memset(&p, 0, sizeof p);
	p.chat_id = c->id;
	p.log_id = req.log_id;
	p.hidden = strcmp(c->type, "DirectChat") == 0;
	p.has_chatlog = true;
	loco_chatlog_copy(&p.chatlog, feed);
	bson_init(&body);
	loco_syncdlmsg_push_encode(&p, &body);
	locosim_push_chat(s->sim, c, s->serial, "SYNCDLMSG", &body);
	bson_destroy(&body);
	loco_syncdlmsg_push_release(&p);
out:
	loco_deletemsg_req_release(&req);
}

static void
h_action(struct locosim_session *s, const struct loco_packet *pkt)
{
	struct loco_action_req req;
	struct loco_syncaction_push p;
	struct locosim_chat *c;
	struct loco_error err;
	bson_t body;

	if (loco_action_req_decode(&pkt->body, &req, &err) != 0) {
		bad_body(s, pkt, &err);
		return;
	}
	/* Only "like" exists for this device type (LOCO.md 6.25). */
	if (req.type != 1) {
		locosim_respond_status(s, pkt->hdr.packet_id, "ACTION",
		    ST_INVALID_BODY);
		goto out;
	}
	if ((c = member_chat(s, req.chat_id)) == NULL ||
	    locosim_chat_find(c, req.log_id) == NULL) {
		locosim_respond_status(s, pkt->hdr.packet_id, "ACTION",
		    ST_INVALID_CHANNEL);
		goto out;
	}
	locosim_respond_status(s, pkt->hdr.packet_id, "ACTION", ST_OK);
	memset(&p, 0, sizeof p);
	p.user_id = s->user_id;
	p.chat_id = c->id;
	p.type = req.type;
	p.log_id = req.log_id;
	bson_init(&body);
	loco_syncaction_push_encode(&p, &body);
	locosim_push_chat(s->sim, c, s->serial, "SYNCACTION", &body);
	bson_destroy(&body);
out:
	loco_action_req_release(&req);
}

static void
h_setmeta(struct locosim_session *s, const struct loco_packet *pkt)
{
	struct loco_setmeta_req req;
	struct loco_setmeta_res res;
	struct loco_chgmeta cm;
	struct locosim_chat *c;
	struct loco_error err;
	bson_t body;

	if (loco_setmeta_req_decode(&pkt->body, &req, &err) != 0) {
		bad_body(s, pkt, &err);
		return;
	}
	if ((c = member_chat(s, req.chat_id)) == NULL) {
		locosim_respond_status(s, pkt->hdr.packet_id, "SETMETA",
		    ST_INVALID_CHANNEL);
		goto out;
	}
	if (req.type != 1 && req.type != 3) {
		locosim_respond_status(s, pkt->hdr.packet_id, "SETMETA",
		    ST_INVALID_BODY);
		goto out;
	}
	locosim_chat_set_meta(s->sim->world, c, req.type, s->user_id,
	    req.content ? req.content : "");
	memset(&res, 0, sizeof res);
	res.status = ST_OK;
	res.chat_id = c->id;
	res.meta.type = req.type;
	res.meta.revision =
	    req.type == 3 ? c->title_revision : c->notice_revision;
	res.meta.author_id = s->user_id;
	res.meta.content = req.content;
	res.meta.updated_at = (int32_t)locosim_world_now(s->sim->world);
	bson_init(&body);
	loco_setmeta_res_encode(&res, &body);
	locosim_respond(s, pkt->hdr.packet_id, "SETMETA", &body);
	bson_destroy(&body);
	memset(&cm, 0, sizeof cm);
	cm.chat_id = c->id;
	cm.meta = res.meta;
	bson_init(&body);
	loco_chgmeta_encode(&cm, &body);
	locosim_push_chat(s->sim, c, s->serial, "CHGMETA", &body);
	bson_destroy(&body);
out:
	loco_setmeta_req_release(&req);
}

static void
h_ping(struct locosim_session *s, const struct loco_packet *pkt)
{
	locosim_respond_status(s, pkt->hdr.packet_id, "PING", ST_OK);
}

static void
h_ship(struct locosim_session *s, const struct loco_packet *pkt)
{
	struct locosim *sim = s->sim;
	struct loco_ship_req req;
	struct loco_ship_res res;
	struct locosim_upload *u;
	struct loco_error err;
	bson_t body;

	if (loco_ship_req_decode(&pkt->body, &req, &err) != 0) {
		bad_body(s, pkt, &err);
		return;
	}
	if (member_chat(s, req.chat_id) == NULL) {
		locosim_respond_status(s, pkt->hdr.packet_id, "SHIP",
		    ST_INVALID_CHANNEL);
		goto out;
	}
	if (req.size <= 0 || req.size > INT32_MAX) {
		locosim_respond_status(s, pkt->hdr.packet_id, "SHIP",
		    ST_INVALID_BODY);
		goto out;
	}
	u = xcalloc(1, sizeof *u);
	u->key = xasprintf("talkm/sim/%u/upload.%s", ++sim->next_upload,
	    req.ext && *req.ext ? req.ext : "bin");
	u->chat_id = req.chat_id;
	u->user_id = s->user_id;
	u->type = req.type;
	u->size = req.size;
	u->checksum = xstrdup(req.checksum ? req.checksum : "");
	u->ext = xstrdup(req.ext ? req.ext : "");
	u->ship_session = s->serial;
	TAILQ_INSERT_TAIL(&sim->uploads, u, entry);
	memset(&res, 0, sizeof res);
	res.status = ST_OK;
	res.key = u->key;
	res.host = sim->listen_host;
	res.host6 = (char *)"";
	res.port = sim->ports[LOCOSIM_MEDIA];
	res.h = (char *)"";
	bson_init(&body);
	loco_ship_res_encode(&res, &body);
	locosim_respond(s, pkt->hdr.packet_id, "SHIP", &body);
	bson_destroy(&body);
out:
	loco_ship_req_release(&req);
}

/*
 * One open link of an INFOLINK answer (LOCO.md 2.8: ols[].ln is the open
 * chat's name). loco-wrapper reads ln; node-kakao reads the owner's open
 * profile in olu too. locosim keeps no link owner: the chat's first member
 * owns it, and the name is the chat's title.
 */
static void
open_link_append(struct locosim *sim, bson_t *arr, const char *key,
    const struct locosim_chat *c)
{
	const struct locosim_user *owner = c->n_members > 0
	    ? locosim_world_user(sim->world, c->members[0].user_id)
	    : NULL;
	const char *pic =
	    owner && owner->profile_image_url ? owner->profile_image_url : "";
	char *url = xasprintf(OPEN_LINK_URL, (long long)c->link_id);
	int32_t created = c->n_log > 0 ? c->log[0].send_at
	                               : (int32_t)locosim_world_now(sim->world);
	bson_t ol, olu, oc, co;

	bson_append_document_begin(arr, key, -1, &ol);
	BSON_APPEND_INT64(&ol, "li", c->link_id);
	BSON_APPEND_INT32(&ol, "otk", OPEN_TOKEN);
	loco_bson_append_str(&ol, "ln", c->title);
	loco_bson_append_str(&ol, "lu", url);
	loco_bson_append_str(&ol, "liu", "");
	loco_bson_append_str(&ol, "lcu", "");
	bson_append_document_begin(&ol, "olu", -1, &olu);
	BSON_APPEND_INT64(&olu, "userId", owner ? owner->id : 0);
	loco_bson_append_str(&olu, "nn", owner ? owner->nickname : NULL);
	loco_bson_append_str(&olu, "pi", pic);
	loco_bson_append_str(&olu, "fpi", pic);
	loco_bson_append_str(&olu, "opi", pic);
	BSON_APPEND_INT32(&olu, "lmt", OPEN_MEMBER_OWNER);
	BSON_APPEND_INT32(&olu, "ptp", OPEN_PROFILE_MAIN);
	BSON_APPEND_INT64(&olu, "opt", OPEN_TOKEN);
	BSON_APPEND_INT64(&olu, "pv", 0);
	bson_append_document_end(&ol, &olu);
	BSON_APPEND_INT32(&ol, "lt", OPEN_LINK_CHATROOM);
	loco_bson_append_str(&ol, "desc", "");
	BSON_APPEND_BOOL(&ol, "ac", true);
	BSON_APPEND_BOOL(&ol, "sc", true);
	BSON_APPEND_INT64(&ol, "pv", 0);
	BSON_APPEND_INT32(&ol, "ca", created);
	bson_append_document_begin(&ol, "oc", -1, &oc);
	BSON_APPEND_INT32(&oc, "t", OPEN_LINK_CHATROOM);
	bson_append_document_begin(&oc, "co", -1, &co);
	loco_bson_append_str(&co, "desc", "");
	bson_append_document_end(&oc, &co);
	bson_append_document_end(&ol, &oc);
	bson_append_document_end(arr, &ol);
	free(url);
}

/*
 * INFOLINK {lis: [linkId...]}: the open links of open chats the user is
 * in, as "ols"; ids of other links are left out (loco-wrapper asks for the
 * name of every open chat it meets).
 */
static void
h_infolink(struct locosim_session *s, const struct loco_packet *pkt)
{
	struct locosim_world *w = s->sim->world;
	int64_t *lis = NULL;
	size_t n = 0, i, j, k = 0;
	char idx[16];
	const char *key;
	bson_t body, arr;

	if (loco_bson_get_i64_array(&pkt->body, "lis", &lis, &n) != 1) {
		log_debug("locosim: session %u: INFOLINK without lis",
		    s->serial);
		locosim_respond_status(s, pkt->hdr.packet_id, "INFOLINK",
		    ST_INVALID_BODY);
		free(lis);
		return;
	}
	bson_init(&body);
	BSON_APPEND_INT32(&body, "status", ST_OK);
	bson_append_array_begin(&body, "ols", -1, &arr);
	for (i = 0; i < n; i++)
		for (j = 0; j < w->n_chats; j++) {
			struct locosim_chat *c = w->chats[j];

			if (!is_open(c) || c->link_id != lis[i] ||
			    locosim_chat_member(c, s->user_id) == NULL)
				continue;
			bson_uint32_to_string((uint32_t)k++, &key, idx,
			    sizeof idx);
			open_link_append(s->sim, &arr, key, c);
			break;
		}
	bson_append_array_end(&body, &arr);
	locosim_respond(s, pkt->hdr.packet_id, "INFOLINK", &body);
	bson_destroy(&body);
	free(lis);
}

static void
h_msg_echo(struct locosim_session *s, const struct loco_packet *pkt)
{
	(void)s;
	(void)pkt;
}
