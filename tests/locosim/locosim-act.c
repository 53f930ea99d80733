/* locoirc: see LICENSE.
 *
 * Acting as other users and misbehaving on purpose: the part of locosim's
 * API that tests and the control socket drive. Every action changes the
 * world through locosim-world.c and pushes exactly what the real server
 * would push, coalesced per action.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "log.h"
#include "loco-boot.h"
#include "loco-bson.h"
#include "loco-chat.h"
#include "loco-msg.h"
#include "loco-msgtype.h"
#include "locosim-internal.h"
#include "xmalloc.h"

static int for_sessions(struct locosim *sim, int64_t user,
    void (*fn)(struct locosim_session *, void *), void *arg);
static void fault_drop(struct locosim_session *s, void *arg);
static void fault_changesvr(struct locosim_session *s, void *arg);
static void fault_kickout(struct locosim_session *s, void *arg);
static void fault_corrupt(struct locosim_session *s, void *arg);
static void fault_unknown(struct locosim_session *s, void *arg);
static void fault_stall(struct locosim_session *s, void *arg);
static void push_meta(struct locosim *sim, struct locosim_chat *c,
    int32_t type);

int64_t
locosim_send(struct locosim *sim, int64_t chat_id, int64_t author, int32_t type,
    const char *text, const char *attachment)
{
	struct locosim_chat *c = locosim_world_chat(sim->world, chat_id);
	struct loco_chatlog *cl;

	if (c == NULL || locosim_chat_member(c, author) == NULL)
		return -1;
	cl = locosim_chat_append(sim->world, c, author, type, text, attachment,
	    0);
	locosim_cork_all(sim);
	locosim_deliver(sim, c, cl, 0);
	locosim_uncork_all(sim);
	return cl->log_id;
}

int64_t
locosim_send_text(struct locosim *sim, int64_t chat_id, int64_t author,
    const char *text)
{
	return locosim_send(sim, chat_id, author, LOCO_MSG_TEXT, text, "");
}

int64_t
locosim_reply(struct locosim *sim, int64_t chat_id, int64_t author,
    int64_t src_log_id, const char *text)
{
	struct locosim_chat *c = locosim_world_chat(sim->world, chat_id);
	struct loco_chatlog *src;
	struct loco_attachment a;
	char *json;
	int64_t id;

	if (c == NULL || (src = locosim_chat_find(c, src_log_id)) == NULL)
		return -1;
	memset(&a, 0, sizeof a);
	a.src_log_id = src->log_id;
	a.src_user_id = src->author_id;
	a.src_message = src->message;
	a.src_type = loco_msgtype_base(src->type);
	json = loco_attachment_encode(&a);
	id = locosim_send(sim, chat_id, author, LOCO_MSG_REPLY, text, json);
	free(json);
	return id;
}

int64_t
locosim_send_photo(struct locosim *sim, int64_t chat_id, int64_t author,
    const void *data, size_t len, int32_t w, int32_t h)
{
	struct locosim_chat *c = locosim_world_chat(sim->world, chat_id);
	struct loco_attachment a;
	char *key, *url, *json;
	int64_t id;

	if (c == NULL || locosim_chat_member(c, author) == NULL)
		return -1;
	key = xasprintf("talkm/sim/%u/photo.jpg", ++sim->next_upload);
	locosim_file_put(sim, key, "image/jpeg", data, len);
	url = locosim_file_url(sim, key);
	memset(&a, 0, sizeof a);
	a.url = url;
	a.k = key;
	a.size = (int64_t)len;
	a.w = w;
	a.h = h;
	a.thumbnail_url = url;
	json = loco_attachment_encode(&a);
	id = locosim_send(sim, chat_id, author, LOCO_MSG_PHOTO, "", json);
	free(json);
	free(url);
	free(key);
	return id;
}

int64_t
locosim_delete(struct locosim *sim, int64_t chat_id, int64_t by, int64_t log_id)
{
	struct locosim_chat *c = locosim_world_chat(sim->world, chat_id);
	struct loco_syncdlmsg_push p;
	struct loco_chatlog *feed;
	bson_t body;
	int64_t id;

	if (c == NULL ||
	    (feed = locosim_chat_delete(sim->world, c, by, log_id)) == NULL)
		return -1;
	id = feed->log_id;
	memset(&p, 0, sizeof p);
	p.chat_id = chat_id;
	p.log_id = log_id;
	p.has_chatlog = true;
	loco_chatlog_copy(&p.chatlog, feed);
	bson_init(&body);
	loco_syncdlmsg_push_encode(&p, &body);
	locosim_cork_all(sim);
	locosim_push_chat(sim, c, 0, "SYNCDLMSG", &body);
	locosim_uncork_all(sim);
	bson_destroy(&body);
	loco_syncdlmsg_push_release(&p);
	return id;
}

int
locosim_react(struct locosim *sim, int64_t chat_id, int64_t user,
    int64_t log_id, int32_t type)
{
	struct locosim_chat *c = locosim_world_chat(sim->world, chat_id);
	struct loco_syncaction_push p;
	bson_t body;

	if (c == NULL || locosim_chat_member(c, user) == NULL ||
	    locosim_chat_find(c, log_id) == NULL)
		return -1;
	memset(&p, 0, sizeof p);
	p.user_id = user;
	p.chat_id = chat_id;
	p.type = type;
	p.log_id = log_id;
	bson_init(&body);
	loco_syncaction_push_encode(&p, &body);
	locosim_push_chat(sim, c, 0, "SYNCACTION", &body);
	bson_destroy(&body);
	return 0;
}

int64_t
locosim_join(struct locosim *sim, int64_t chat_id, int64_t user,
    int64_t inviter)
{
	struct locosim_chat *c = locosim_world_chat(sim->world, chat_id);
	struct loco_chatlog *feed;
	struct loco_newmem nm;
	struct loco_syncjoin sj;
	bson_t body;
	size_t i;

	if (c == NULL ||
	    (feed = locosim_chat_add_member(sim->world, c, inviter, user)) ==
	        NULL)
		return -1;
	locosim_cork_all(sim);
	/* The newcomer's own devices learn of the chat by SYNCJOIN. */
	memset(&sj, 0, sizeof sj);
	sj.chat_id = chat_id;
	loco_chatlog_copy(&sj.chatlog, feed);
	bson_init(&body);
	loco_syncjoin_encode(&sj, &body);
	locosim_push_user(sim, user, 0, "SYNCJOIN", &body);
	bson_destroy(&body);
	loco_syncjoin_release(&sj);
	memset(&nm, 0, sizeof nm);
	nm.chat_id = chat_id;
	loco_chatlog_copy(&nm.chatlog, feed);
	bson_init(&body);
	loco_newmem_encode(&nm, &body);
	for (i = 0; i < c->n_members; i++)
		if (c->members[i].user_id != user)
			locosim_push_user(sim, c->members[i].user_id, 0,
			    "NEWMEM", &body);
	bson_destroy(&body);
	loco_newmem_release(&nm);
	locosim_uncork_all(sim);
	return feed->log_id;
}

int64_t
locosim_leave(struct locosim *sim, int64_t chat_id, int64_t user)
{
	struct locosim_chat *c = locosim_world_chat(sim->world, chat_id);
	struct locosim_account *a;
	struct loco_chatlog *feed;
	struct loco_delmem dm;
	struct loco_left left;
	bson_t body;
	int64_t id;

	if (c == NULL ||
	    (feed = locosim_chat_remove_member(sim->world, c, user)) == NULL)
		return -1;
	id = feed->log_id;
	locosim_cork_all(sim);
	memset(&dm, 0, sizeof dm);
	dm.chat_id = chat_id;
	loco_chatlog_copy(&dm.chatlog, feed);
	bson_init(&body);
	loco_delmem_encode(&dm, &body);
	locosim_push_chat(sim, c, 0, "DELMEM", &body);
	bson_destroy(&body);
	loco_delmem_release(&dm);
	/* The leaver's own devices get LEFT. */
	memset(&left, 0, sizeof left);
	left.chat_id = chat_id;
	a = locosim_world_account(sim->world, user);
	left.last_token_id = a ? a->last_token_id : 0;
	bson_init(&body);
	loco_left_encode(&left, &body);
	locosim_push_user(sim, user, 0, "LEFT", &body);
	bson_destroy(&body);
	locosim_uncork_all(sim);
	return id;
}

/* CHGMETA for the title (3) or notice (1) of c to every member. */
static void
push_meta(struct locosim *sim, struct locosim_chat *c, int32_t type)
{
	struct loco_chgmeta cm;
	bson_t body;

	memset(&cm, 0, sizeof cm);
	cm.chat_id = c->id;
	cm.meta.type = type;
	cm.meta.revision = type == 3 ? c->title_revision : c->notice_revision;
	cm.meta.author_id = type == 3 ? c->title_author : c->notice_author;
	cm.meta.content = xstrdup(type == 3 ? (c->title ? c->title : "")
	                                    : (c->notice ? c->notice : ""));
	cm.meta.updated_at = (int32_t)locosim_world_now(sim->world);
	bson_init(&body);
	loco_chgmeta_encode(&cm, &body);
	locosim_push_chat(sim, c, 0, "CHGMETA", &body);
	bson_destroy(&body);
	loco_chgmeta_release(&cm);
}

int
locosim_rename(struct locosim *sim, int64_t chat_id, int64_t by,
    const char *title)
{
	struct locosim_chat *c = locosim_world_chat(sim->world, chat_id);

	if (c == NULL || locosim_chat_member(c, by) == NULL)
		return -1;
	locosim_chat_set_meta(sim->world, c, 3, by, title);
	push_meta(sim, c, 3);
	return 0;
}

int
locosim_set_notice(struct locosim *sim, int64_t chat_id, int64_t by,
    const char *notice)
{
	struct locosim_chat *c = locosim_world_chat(sim->world, chat_id);

	if (c == NULL || locosim_chat_member(c, by) == NULL)
		return -1;
	locosim_chat_set_meta(sim->world, c, 1, by, notice);
	push_meta(sim, c, 1);
	return 0;
}

int
locosim_mark_read(struct locosim *sim, int64_t chat_id, int64_t user,
    int64_t watermark)
{
	struct locosim_chat *c = locosim_world_chat(sim->world, chat_id);
	struct loco_decunread_push p;
	struct locosim_member *m;
	bson_t body;

	if (c == NULL || (m = locosim_chat_member(c, user)) == NULL)
		return -1;
	if (watermark > m->watermark)
		m->watermark = watermark;
	memset(&p, 0, sizeof p);
	p.chat_id = chat_id;
	p.user_id = user;
	p.watermark = m->watermark;
	bson_init(&body);
	loco_decunread_push_encode(&p, &body);
	locosim_push_chat(sim, c, 0, "DECUNREAD", &body);
	bson_destroy(&body);
	return 0;
}

int64_t
locosim_create_chat(struct locosim *sim, const char *type,
    const int64_t *members, size_t n, const char *title)
{
	struct locosim_chat *c;
	struct loco_chatlog *feed = NULL;
	int64_t id = 1;
	size_t i;

	for (i = 0; i < sim->world->n_chats; i++)
		if (sim->world->chats[i]->id >= id)
			id = sim->world->chats[i]->id + 1;
	if (n == 0 ||
	    (c = locosim_world_add_chat(sim->world, id, type, members, 1)) ==
	        NULL)
		return -1;
	if (title != NULL)
		locosim_chat_set_meta(sim->world, c, 3, members[0], title);
	/* Everyone else is invited by the creator, one feed each. */
	for (i = 1; i < n; i++)
		feed = locosim_chat_add_member(sim->world, c, members[0],
		    members[i]);
	locosim_cork_all(sim);
	for (i = 0; i < n; i++) {
		struct loco_syncjoin sj;
		bson_t body;

		memset(&sj, 0, sizeof sj);
		sj.chat_id = id;
		if (feed != NULL)
			loco_chatlog_copy(&sj.chatlog, feed);
		bson_init(&body);
		loco_syncjoin_encode(&sj, &body);
		locosim_push_user(sim, members[i], 0, "SYNCJOIN", &body);
		bson_destroy(&body);
		loco_syncjoin_release(&sj);
	}
	locosim_uncork_all(sim);
	return id;
}

/* Apply fn to every chat session of user (0 = every user). */
static int
for_sessions(struct locosim *sim, int64_t user,
    void (*fn)(struct locosim_session *, void *), void *arg)
{
	struct locosim_session *s, *next;
	int n = 0;

	for (s = TAILQ_FIRST(&sim->sessions); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		if (s->kind != LOCOSIM_KIND_CHAT || s->conn == NULL ||
		    s->user_id == 0 || (user != 0 && s->user_id != user))
			continue;
		fn(s, arg);
		n++;
	}
	return n;
}

static void
fault_drop(struct locosim_session *s, void *arg)
{
	(void)arg;
	loco_conn_abort(s->conn);
}

static void
fault_changesvr(struct locosim_session *s, void *arg)
{
	(void)arg;
	locosim_push(s, "CHANGESVR", NULL);
}

static void
fault_kickout(struct locosim_session *s, void *arg)
{
	struct loco_kickout k;
	bson_t body;

	k.reason = *(int32_t *)arg;
	bson_init(&body);
	loco_kickout_encode(&k, &body);
	locosim_push(s, "KICKOUT", &body);
	bson_destroy(&body);
	/* The real server hangs up after a KICKOUT. */
	locosim_session_close(s);
}

static void
fault_corrupt(struct locosim_session *s, void *arg)
{
	(void)arg;
	s->corrupt_next = true;
}

static void
fault_unknown(struct locosim_session *s, void *arg)
{
	bson_t *body = BCON_NEW("chatId", BCON_INT64(1), "what",
	    BCON_UTF8("a push no client knows"));

	locosim_push(s, arg, body);
	bson_destroy(body);
}

static void
fault_stall(struct locosim_session *s, void *arg)
{
	bool stalled = *(bool *)arg;

	s->stalled = stalled;
	loco_conn_set_read_enabled(s->conn, !stalled);
	if (stalled)
		return;
	locosim_session_release_held(s);
}

int
locosim_drop(struct locosim *sim, int64_t user)
{
	return for_sessions(sim, user, fault_drop, NULL);
}

int
locosim_changesvr(struct locosim *sim, int64_t user)
{
	return for_sessions(sim, user, fault_changesvr, NULL);
}

int
locosim_kickout(struct locosim *sim, int64_t user, int32_t reason)
{
	return for_sessions(sim, user, fault_kickout, &reason);
}

int
locosim_corrupt_next_frame(struct locosim *sim, int64_t user)
{
	return for_sessions(sim, user, fault_corrupt, NULL);
}

int
locosim_push_unknown(struct locosim *sim, int64_t user, const char *method)
{
	if (!loco_method_is_valid(method))
		return -1;
	return for_sessions(sim, user, fault_unknown, (void *)method);
}

int
locosim_stall(struct locosim *sim, int64_t user, bool stalled)
{
	return for_sessions(sim, user, fault_stall, &stalled);
}

void
locosim_reorder_responses(struct locosim *sim, unsigned n)
{
	sim->reorder_left = n;
}

void
locosim_set_response_delay(struct locosim *sim, unsigned ms)
{
	sim->response_delay_ms = ms;
}

int
locosim_expire_token(struct locosim *sim, int64_t user, bool expired)
{
	struct locosim_account *a = locosim_world_account(sim->world, user);

	if (a == NULL)
		return -1;
	a->token_expired = expired;
	return 0;
}

void
locosim_fail_next_login(struct locosim *sim, int32_t status)
{
	sim->fail_next_login = status;
}
