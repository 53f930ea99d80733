/* locoirc: see LICENSE.
 *
 * The engine tests' fixture: the world, locosim and the engine in one
 * process on one event loop, and the recording owner. The owner checks
 * order as messages arrive (log ids strictly ascending per chat, each
 * prevId equal to the message before), so a duplicate or a gap is caught
 * where it happens, and te_check_world compares the end result with
 * locosim's own logs.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "log.h"
#include "loco-chat.h"
#include "loco-error.h"
#include "locosim.h"
#include "locosim-world.h"
#include "t-engine-lib.h"
#include "tap.h"
#include "tclient.h"
#include "xmalloc.h"

/* Shared by every fixture of the program. */
static struct event_base *te_base;
static char te_rsa_path[512], te_cert_path[512], te_certkey_path[512];
static unsigned te_counter;

static void te_burst_cb(evutil_socket_t fd, short what, void *arg);
static bool te_state_reached(void *arg);
static bool te_caught_up(void *arg);
static bool te_requests_reached(void *arg);
static bool te_done_called(void *arg);
static struct te_chat *te_chat_get(struct te_owner *o, int64_t chat_id);
static void te_member_event(struct te_owner *o, char kind, int64_t chat_id,
    int64_t user_id, const char *nickname);

static void te_state_cb(struct loco_engine *e, enum loco_engine_state state,
    enum loco_engine_stop why, const char *detail, void *arg);
static void te_login_state_cb(struct loco_engine *e,
    const struct loco_login_state *ls, void *arg);
static void te_chat_cb(struct loco_engine *e, const struct loco_engine_chat *c,
    void *arg);
static void te_chat_gone_cb(struct loco_engine *e, int64_t chat_id, void *arg);
static void te_members_cb(struct loco_engine *e, int64_t chat_id,
    const struct loco_member *m, size_t n, void *arg);
static void te_member_joined_cb(struct loco_engine *e, int64_t chat_id,
    int64_t user_id, const char *nickname, void *arg);
static void te_member_left_cb(struct loco_engine *e, int64_t chat_id,
    int64_t user_id, const char *nickname, void *arg);
static void te_message_cb(struct loco_engine *e, const struct loco_chatlog *cl,
    const char *nickname, void *arg);
static void te_deleted_cb(struct loco_engine *e, int64_t chat_id,
    int64_t log_id, void *arg);
static void te_reaction_cb(struct loco_engine *e, int64_t chat_id,
    int64_t log_id, int64_t user_id, int32_t type, void *arg);
static void te_read_cb(struct loco_engine *e, int64_t chat_id, int64_t user_id,
    int64_t watermark, void *arg);
static bool te_refresh_cb(struct loco_engine *e, void *arg);

/* What te_state_reached waits for. */
struct te_state_cond {
	struct te_owner *o;
	enum loco_engine_state state;
	unsigned count;
};

/* What te_requests_reached waits for. */
struct te_count_cond {
	struct locosim *sim;
	const char *method;
	size_t n;
};

/* The next value of the callback order counter. */
unsigned
te_seq(void)
{
	return ++te_counter;
}

/* Log level, event base and key file paths for the whole program. */
struct event_base *
te_init(void)
{
	const char *dir = tap_tmpdir();

	log_open("t-engine",
	    getenv("LOCOIRC_TEST_VERBOSE") ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN,
	    false);
	snprintf(te_rsa_path, sizeof te_rsa_path, "%s/rsa.pem", dir);
	snprintf(te_cert_path, sizeof te_cert_path, "%s/cert.pem", dir);
	snprintf(te_certkey_path, sizeof te_certkey_path, "%s/certkey.pem",
	    dir);
	te_base = event_base_new();
	return te_base;
}

/* Run the deferred frees, then free the event base. */
void
te_done_all(void)
{
	/* Deferred frees (connections, engines) run from the loop. */
	event_base_dispatch(te_base);
	event_base_free(te_base);
	te_base = NULL;
}

/* Run the loop until cond holds or ms pass. */
bool
te_loop_until(te_cond_fn cond, void *arg, unsigned ms)
{
	return tclient_loop_until(te_base, cond, arg, ms);
}

/* Run the loop for ms (only to prove a negative). */
void
te_settle(unsigned ms)
{
	te_loop_until(NULL, NULL, ms);
}

/*
 * The world: four users and a big room's worth more, Alice's account
 * with a saved revision, and chats of every kind (see t-engine-lib.h).
 */
char *
te_world_json(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int i;

	fprintf(f,
	    "{\"users\": ["
	    "{\"userId\": 5000000001, \"nickName\": \"Alice\"},"
	    "{\"userId\": 5000000002, \"nickName\": \"Bob\"},"
	    "{\"userId\": 5000000003, \"nickName\": \"Carol\"},"
	    "{\"userId\": 5000000004, \"nickName\": \"Dave\"}");
	for (i = 0; i < TE_BIG_N; i++)
		fprintf(f, ",{\"userId\": %lld, \"nickName\": \"user%d\"}",
		    (long long)(TE_BIG_BASE + i), i);
	fprintf(f,
	    "], \"accounts\": ["
	    "{\"userId\": 5000000001, \"accessToken\": \"tok-alice\","
	    " \"deviceUuid\": \"dev-alice\", \"revision\": %d,"
	    " \"lastTokenId\": %d},"
	    "{\"userId\": 5000000002, \"accessToken\": \"tok-bob\","
	    " \"deviceUuid\": \"dev-bob\"}],"
	    " \"chats\": [",
	    TE_REVISION, TE_LAST_TOKEN_ID);
	fprintf(f,
	    "{\"chatId\": 10, \"type\": \"MultiChat\","
	    " \"title\": \"Group\", \"notice\": \"Be nice\","
	    " \"members\": [5000000001, 5000000002, 5000000003],"
	    " \"messages\": [");
	for (i = 0; i < TE_GROUP_MESSAGES; i++)
		fprintf(f, "%s{\"authorId\": %lld, \"message\": \"group %d\"}",
		    i ? "," : "",
		    (long long)(i % 3 == 0 ? TE_UA
		            : i % 3 == 1   ? TE_UB
		                           : TE_UC),
		    i);
	fprintf(f,
	    "]},"
	    "{\"chatId\": 11, \"type\": \"DirectChat\","
	    " \"members\": [5000000001, 5000000002], \"messages\": ["
	    "{\"authorId\": 5000000002, \"message\": \"hi alice\"},"
	    "{\"authorId\": 5000000001, \"message\": \"hi bob\"},"
	    "{\"authorId\": 5000000002, \"message\": \"\\uc548\\ub155\"},"
	    "{\"authorId\": 5000000002, \"message\": \"4\"},"
	    "{\"authorId\": 5000000001, \"message\": \"5\"}]},"
	    "{\"chatId\": 12, \"type\": \"MemoChat\","
	    " \"members\": [5000000001], \"messages\": ["
	    "{\"authorId\": 5000000001, \"message\": \"note 1\"},"
	    "{\"authorId\": 5000000001, \"message\": \"note 2\"}]},"
	    "{\"chatId\": 13, \"type\": \"OM\", \"title\": \"Open\","
	    " \"linkId\": 777,"
	    " \"members\": [5000000001, 5000000002, 5000000003],"
	    " \"messages\": ["
	    "{\"authorId\": 5000000003, \"message\": \"open 1\"},"
	    "{\"authorId\": 5000000002, \"message\": \"open 2\"},"
	    "{\"authorId\": 5000000003, \"message\": \"open 3\"}]},"
	    "{\"chatId\": 14, \"type\": \"MultiChat\","
	    " \"title\": \"Broken\", \"infoFails\": true,"
	    " \"members\": [5000000001, 5000000002], \"messages\": ["
	    "{\"authorId\": 5000000002, \"message\": \"b1\"},"
	    "{\"authorId\": 5000000002, \"message\": \"b2\"},"
	    "{\"authorId\": 5000000001, \"message\": \"b3\"},"
	    "{\"authorId\": 5000000002, \"message\": \"b4\"}]},"
	    "{\"chatId\": 15, \"type\": \"MultiChat\", \"title\": \"Big\","
	    " \"members\": [5000000001");
	for (i = 0; i < TE_BIG_N; i++)
		fprintf(f, ",%lld", (long long)(TE_BIG_BASE + i));
	fprintf(f,
	    "], \"messages\": ["
	    "{\"authorId\": %lld, \"message\": \"big 1\"},"
	    "{\"authorId\": 5000000001, \"message\": \"big 2\"},"
	    "{\"authorId\": %lld, \"message\": \"big 3\"}]},"
	    "{\"chatId\": 16, \"type\": \"MultiChat\","
	    " \"title\": \"Other\","
	    " \"members\": [5000000002, 5000000003], \"messages\": ["
	    "{\"authorId\": 5000000002, \"message\": \"not for A\"}]},"
	    "{\"chatId\": 17, \"type\": \"MultiChat\","
	    " \"title\": \"Empty\","
	    " \"members\": [5000000001, 5000000002]}]}",
	    (long long)TE_BIG_BASE, (long long)(TE_BIG_BASE + 7));
	fclose(f);
	return buf;
}

/* Start locosim in one cipher profile with the test world. */
bool
te_fix_start(struct te_fix *f, enum loco_cipher cipher)
{
	struct locosim_opts opts;
	struct loco_error err;
	char *json = te_world_json();

	memset(f, 0, sizeof *f);
	f->base = te_base;
	f->cipher = cipher;
	locosim_opts_init(&opts);
	opts.world_json = json;
	opts.no_control = true;
	opts.rsa_key_path = te_rsa_path;
	opts.tls_cert_path = te_cert_path;
	opts.tls_key_path = te_certkey_path;
	opts.cipher = cipher;
	/* fgPingItv: the engine takes its PING cadence from GETCONF. */
	opts.ping_interval = 1;
	f->sim = locosim_new(te_base, &opts, &err);
	free(json);
	if (!ok(f->sim != NULL, "locosim starts (%s)",
	        cipher == LOCO_CIPHER_CFB ? "CFB" : "GCM")) {
		diag("%s", err.msg);
		return false;
	}
	f->ssl = tclient_sim_ssl_ctx(f->sim);
	return f->ssl != NULL;
}

/* Stop the burst and free the simulator. */
void
te_fix_stop(struct te_fix *f)
{
	te_burst_stop(f);
	locosim_free(f->sim);
	f->sim = NULL;
	SSL_CTX_free(f->ssl);
	f->ssl = NULL;
	/* Let the closes of both sides finish. */
	te_settle(50);
}

/* An engine configuration for Alice against f's simulator. */
void
te_config(struct te_fix *f, struct loco_engine_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->user_id = TE_UA;
	cfg->access_token = "tok-alice";
	cfg->device_uuid = "dev-alice";
	cfg->os = "mac";
	cfg->app_version = "26.2.0";
	cfg->dtype = 2;
	cfg->ntype = 0;
	cfg->mccmnc = "99999";
	cfg->lang = "ko";
	cfg->country_iso = "KR";
	cfg->booking_host = "127.0.0.1";
	cfg->booking_port = locosim_port(f->sim, LOCOSIM_BOOKING);
	cfg->booking_tls = f->ssl;
	cfg->rsa_public = locosim_public_key(f->sim);
	if (f->cipher == LOCO_CIPHER_CFB) {
		cfg->key_encrypt_type = 12;
		cfg->cipher = LOCO_CIPHER_CFB;
	} else {
		cfg->key_encrypt_type = 16;
		cfg->cipher = LOCO_CIPHER_GCM;
	}
	cfg->request_timeout_ms = 4000;
	cfg->backoff_min_ms = 50;
	cfg->backoff_max_ms = 400;
	cfg->sync_page = 50;
}

/* Make the engine with the recording callbacks. */
bool
te_owner_new(struct te_owner *o, struct te_fix *f,
    const struct loco_engine_config *cfg, const struct loco_login_state *ls,
    const struct loco_cursor *cursors, size_t n_cursors)
{
	struct loco_engine_cbs cbs;
	struct loco_error err;
	size_t i;

	memset(o, 0, sizeof *o);
	o->sim = f->sim;
	memset(&cbs, 0, sizeof cbs);
	cbs.state = te_state_cb;
	cbs.login_state = te_login_state_cb;
	cbs.chat = te_chat_cb;
	cbs.chat_gone = te_chat_gone_cb;
	cbs.members = te_members_cb;
	cbs.member_joined = te_member_joined_cb;
	cbs.member_left = te_member_left_cb;
	cbs.message = te_message_cb;
	cbs.deleted = te_deleted_cb;
	cbs.reaction = te_reaction_cb;
	cbs.read = te_read_cb;
	cbs.refresh_token = te_refresh_cb;
	for (i = 0; i < n_cursors; i++) {
		struct te_chat *c = te_chat_get(o, cursors[i].chat_id);

		c->cursor = c->start = cursors[i].last_log_id;
	}
	o->e = loco_engine_new(te_base, NULL, cfg, ls, cursors, n_cursors, &cbs,
	    o, &err);
	if (!ok(o->e != NULL, "the engine is made"))
		diag("%s", err.msg);
	return o->e != NULL;
}

/* Free the engine and every record. */
void
te_owner_free(struct te_owner *o)
{
	size_t i;

	if (!o->freed)
		loco_engine_free(o->e);
	o->e = NULL;
	for (i = 0; i < o->n_chats; i++) {
		free(o->chats[i].title);
		free(o->chats[i].notice);
	}
	free(o->chats);
	for (i = 0; i < o->n_msgs; i++) {
		free(o->msgs[i].text);
		free(o->msgs[i].nick);
	}
	free(o->msgs);
	for (i = 0; i < o->n_events; i++)
		free(o->events[i].nick);
	free(o->events);
	memset(o, 0, sizeof *o);
	te_settle(20);
}

/* The cursors a restarted engine is handed. */
size_t
te_owner_cursors(const struct te_owner *o, struct loco_cursor **out)
{
	size_t i, n = 0;

	*out = xcalloc(o->n_chats + 1, sizeof **out);
	for (i = 0; i < o->n_chats; i++)
		if (!o->chats[i].gone) {
			(*out)[n].chat_id = o->chats[i].chat_id;
			(*out)[n].last_log_id = o->chats[i].cursor;
			n++;
		}
	return n;
}

/* The owner's record of chat_id, made on first use. */
static struct te_chat *
te_chat_get(struct te_owner *o, int64_t chat_id)
{
	struct te_chat *c;
	size_t i;

	for (i = 0; i < o->n_chats; i++)
		if (o->chats[i].chat_id == chat_id)
			return &o->chats[i];
	o->chats = xreallocarray(o->chats, o->n_chats + 1, sizeof *o->chats);
	c = &o->chats[o->n_chats++];
	memset(c, 0, sizeof *c);
	c->chat_id = chat_id;
	return c;
}

/* The owner's record of chat_id, or NULL. */
struct te_chat *
te_owner_chat(struct te_owner *o, int64_t chat_id)
{
	size_t i;

	for (i = 0; i < o->n_chats; i++)
		if (o->chats[i].chat_id == chat_id)
			return &o->chats[i];
	return NULL;
}

/* Messages delivered for chat_id. */
size_t
te_owner_count(const struct te_owner *o, int64_t chat_id)
{
	size_t i, n = 0;

	for (i = 0; i < o->n_msgs; i++)
		if (o->msgs[i].chat_id == chat_id)
			n++;
	return n;
}

/* How often state was reported. */
unsigned
te_state_count(const struct te_owner *o, enum loco_engine_state state)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < o->n_states; i++)
		if (o->states[i] == state)
			n++;
	return n;
}

/* Events of kind recorded. */
size_t
te_event_count(const struct te_owner *o, char kind)
{
	size_t i, n = 0;

	for (i = 0; i < o->n_events; i++)
		if (o->events[i].kind == kind)
			n++;
	return n;
}

/* The last event of kind, or NULL. */
const struct te_event *
te_event_last(const struct te_owner *o, char kind)
{
	size_t i;

	for (i = o->n_events; i > 0; i--)
		if (o->events[i - 1].kind == kind)
			return &o->events[i - 1];
	return NULL;
}

/* Record a small event. */
static struct te_event *
te_event_add(struct te_owner *o, char kind, int64_t chat_id)
{
	struct te_event *ev;

	o->events =
	    xreallocarray(o->events, o->n_events + 1, sizeof *o->events);
	ev = &o->events[o->n_events++];
	memset(ev, 0, sizeof *ev);
	ev->kind = kind;
	ev->chat_id = chat_id;
	ev->seq = te_seq();
	return ev;
}

/* Any callback after loco_engine_free is an error. */
static bool
te_after_free(struct te_owner *o)
{
	if (o->freed) {
		o->callbacks_after_free++;
		return true;
	}
	return false;
}

/* Record a state change. */
static void
te_state_cb(struct loco_engine *e, enum loco_engine_state state,
    enum loco_engine_stop why, const char *detail, void *arg)
{
	struct te_owner *o = arg;
	unsigned delay;

	if (te_after_free(o))
		return;
	te_seq();
	if (o->n_states < sizeof o->states / sizeof o->states[0]) {
		o->states[o->n_states] = state;
		o->whys[o->n_states++] = why;
	}
	snprintf(o->detail, sizeof o->detail, "%s", detail);
	if (state == LOCO_ENGINE_BACKOFF)
		snprintf(o->backoff_detail, sizeof o->backoff_detail, "%s",
		    detail);
	if (state == LOCO_ENGINE_BACKOFF && o->free_on_backoff) {
		o->free_on_backoff = false;
		loco_engine_free(e);
		o->freed = true;
	}
	if (state == LOCO_ENGINE_BACKOFF &&
	    o->n_delays < sizeof o->delays / sizeof o->delays[0] &&
	    sscanf(detail, "reconnecting in %u ms", &delay) == 1)
		o->delays[o->n_delays++] = delay;
	/* The token must never reach a line a user or log can see. */
	if (strstr(detail, "tok-alice") != NULL)
		o->order_errors++;
}

/* Record the login state to hand back. */
static void
te_login_state_cb(struct loco_engine *e, const struct loco_login_state *ls,
    void *arg)
{
	struct te_owner *o = arg;

	(void)e;
	if (te_after_free(o))
		return;
	te_seq();
	o->ls = *ls;
	o->n_ls++;
}

/* Record a chat as reported. */
static void
te_chat_cb(struct loco_engine *e, const struct loco_engine_chat *v, void *arg)
{
	struct te_owner *o = arg;
	struct te_chat *c;

	(void)e;
	if (te_after_free(o))
		return;
	c = te_chat_get(o, v->chat_id);
	if (c->reports++ == 0)
		c->first_seq = te_seq();
	c->type = v->type;
	free(c->title);
	c->title = v->title ? xstrdup(v->title) : NULL;
	free(c->notice);
	c->notice = v->notice ? xstrdup(v->notice) : NULL;
	c->link_id = v->link_id;
	c->last_log_id = v->last_log_id;
	c->gone = false;
}

/* Record that a chat is gone. */
static void
te_chat_gone_cb(struct loco_engine *e, int64_t chat_id, void *arg)
{
	struct te_owner *o = arg;

	(void)e;
	if (te_after_free(o))
		return;
	te_seq();
	te_chat_get(o, chat_id)->gone = true;
}

/* Record a member list. */
static void
te_members_cb(struct loco_engine *e, int64_t chat_id,
    const struct loco_member *m, size_t n, void *arg)
{
	struct te_owner *o = arg;
	struct te_chat *c;
	size_t i;

	(void)e;
	if (te_after_free(o))
		return;
	te_seq();
	c = te_chat_get(o, chat_id);
	c->member_cbs++;
	c->n_members = n;
	c->member_names = true;
	for (i = 0; i < n; i++)
		if (m[i].nickname == NULL || *m[i].nickname == '\0')
			c->member_names = false;
}

/* Record a member joining ('j') or leaving ('l') unless o was freed. */
static void
te_member_event(struct te_owner *o, char kind, int64_t chat_id, int64_t user_id,
    const char *nickname)
{
	struct te_event *ev;

	if (te_after_free(o))
		return;
	ev = te_event_add(o, kind, chat_id);
	ev->user_id = user_id;
	ev->nick = nickname ? xstrdup(nickname) : NULL;
}

/* Record a member joining. */
static void
te_member_joined_cb(struct loco_engine *e, int64_t chat_id, int64_t user_id,
    const char *nickname, void *arg)
{
	(void)e;
	te_member_event(arg, 'j', chat_id, user_id, nickname);
}

/* Record a member leaving. */
static void
te_member_left_cb(struct loco_engine *e, int64_t chat_id, int64_t user_id,
    const char *nickname, void *arg)
{
	(void)e;
	te_member_event(arg, 'l', chat_id, user_id, nickname);
}

/* A message: stored, and checked against the chat's cursor at once. */
static void
te_message_cb(struct loco_engine *e, const struct loco_chatlog *cl,
    const char *nickname, void *arg)
{
	struct te_owner *o = arg;
	struct te_chat *c;
	struct te_msg *m;

	if (te_after_free(o))
		return;
	c = te_chat_get(o, cl->chat_id);
	if (c->reports == 0) {
		diag("message %lld of chat %lld before the chat was reported",
		    (long long)cl->log_id, (long long)cl->chat_id);
		o->order_errors++;
	}
	if (cl->log_id <= c->cursor) {
		diag("chat %lld: log %lld delivered after %lld",
		    (long long)cl->chat_id, (long long)cl->log_id,
		    (long long)c->cursor);
		o->order_errors++;
	} else if (cl->prev_id != c->cursor) {
		diag("chat %lld: gap: log %lld has prev %lld, cursor %lld",
		    (long long)cl->chat_id, (long long)cl->log_id,
		    (long long)cl->prev_id, (long long)c->cursor);
		o->order_errors++;
	}
	if (cl->log_id > c->cursor)
		c->cursor = cl->log_id;
	o->msgs = xreallocarray(o->msgs, o->n_msgs + 1, sizeof *o->msgs);
	m = &o->msgs[o->n_msgs++];
	memset(m, 0, sizeof *m);
	m->chat_id = cl->chat_id;
	m->log_id = cl->log_id;
	m->prev_id = cl->prev_id;
	m->author_id = cl->author_id;
	m->type = cl->type;
	m->text = xstrdup(cl->message ? cl->message : "");
	m->nick = nickname ? xstrdup(nickname) : NULL;
	m->seq = te_seq();
	if (c->first_msg_seq == 0)
		c->first_msg_seq = m->seq;
	if (o->free_on_message) {
		o->free_on_message = false;
		loco_engine_free(e);
		o->freed = true;
	}
}

/* Record a deletion. */
static void
te_deleted_cb(struct loco_engine *e, int64_t chat_id, int64_t log_id, void *arg)
{
	struct te_owner *o = arg;

	(void)e;
	if (te_after_free(o))
		return;
	te_event_add(o, 'd', chat_id)->log_id = log_id;
}

/* Record a reaction. */
static void
te_reaction_cb(struct loco_engine *e, int64_t chat_id, int64_t log_id,
    int64_t user_id, int32_t type, void *arg)
{
	struct te_owner *o = arg;
	struct te_event *ev;

	(void)e;
	if (te_after_free(o))
		return;
	ev = te_event_add(o, 'r', chat_id);
	ev->log_id = log_id;
	ev->user_id = user_id;
	ev->type = type;
}

/* Record a read mark. */
static void
te_read_cb(struct loco_engine *e, int64_t chat_id, int64_t user_id,
    int64_t watermark, void *arg)
{
	struct te_owner *o = arg;
	struct te_event *ev;

	(void)e;
	if (te_after_free(o))
		return;
	ev = te_event_add(o, 'R', chat_id);
	ev->log_id = watermark;
	ev->user_id = user_id;
}

/* Answer refresh_token as the test asked. */
static bool
te_refresh_cb(struct loco_engine *e, void *arg)
{
	struct te_owner *o = arg;

	if (te_after_free(o))
		return false;
	te_seq();
	o->refresh_calls++;
	switch (o->refresh) {
	case TE_REFRESH_FIX:
		loco_engine_set_token(e, "tok-alice");
		locosim_expire_token(o->sim, TE_UA, false);
		return true;
	case TE_REFRESH_NOFIX:
		return true;
	default:
		return false;
	}
}

/* The (count)th report of a state has come. */
static bool
te_state_reached(void *arg)
{
	struct te_state_cond *c = arg;

	return te_state_count(c->o, c->state) >= c->count;
}

/* Wait for the count-th report of state. */
bool
te_wait_state(struct te_owner *o, enum loco_engine_state state, unsigned count)
{
	struct te_state_cond c = {o, state, count};

	return te_loop_until(te_state_reached, &c, TE_WAIT_MS);
}

/* ONLINE, and every chat of Alice's has all its messages. */
static bool
te_caught_up(void *arg)
{
	struct te_owner *o = arg;
	struct locosim_world *w = locosim_world(o->sim);
	struct te_chat *c;
	size_t i;

	if (o->e == NULL || loco_engine_get_state(o->e) != LOCO_ENGINE_ONLINE)
		return false;
	for (i = 0; i < w->n_chats; i++) {
		if (locosim_chat_member(w->chats[i], TE_UA) == NULL)
			continue;
		c = te_owner_chat(o, w->chats[i]->id);
		if (locosim_chat_last_log_id(w->chats[i]) != 0 &&
		    (c == NULL ||
		        c->cursor != locosim_chat_last_log_id(w->chats[i])))
			return false;
	}
	return true;
}

/* Wait until online with every message of the world. */
bool
te_wait_caught_up(struct te_owner *o)
{
	return te_loop_until(te_caught_up, o, TE_WAIT_MS);
}

/* locosim has seen enough requests of a method. */
static bool
te_requests_reached(void *arg)
{
	struct te_count_cond *c = arg;

	return locosim_request_count(c->sim, c->method) >= c->n;
}

/* Wait for n requests of method at locosim. */
bool
te_wait_requests(struct locosim *sim, const char *method, size_t n)
{
	struct te_count_cond c = {sim, method, n};

	return te_loop_until(te_requests_reached, &c, TE_WAIT_MS);
}

/* Compare the delivered messages with locosim's logs. */
bool
te_check_world(struct te_owner *o, const char *what)
{
	struct locosim_world *w = locosim_world(o->sim);
	bool all = true;
	size_t i, j, k;

	for (i = 0; i < w->n_chats; i++) {
		struct locosim_chat *wc = w->chats[i];
		struct te_chat *c = te_owner_chat(o, wc->id);
		int64_t start = c != NULL ? c->start : 0;
		const struct te_msg *m;
		const char *bad = NULL;
		char why[200];

		if (locosim_chat_member(wc, TE_UA) == NULL) {
			/* A chat we left keeps what came before. */
			if (c != NULL && c->gone)
				continue;
			if (te_owner_count(o, wc->id) != 0 &&
			    !ok(false, "%s: nothing from chat %lld", what,
			        (long long)wc->id))
				all = false;
			continue;
		}
		/* The world's messages after the owner's start, in order,
		 * against the owner's messages of the chat, in order. */
		for (j = 0, k = 0; bad == NULL; j++, k++) {
			const struct loco_chatlog *cl = NULL;

			while (j < wc->n_log && wc->log[j].log_id <= start)
				j++;
			while (k < o->n_msgs && o->msgs[k].chat_id != wc->id)
				k++;
			if (j < wc->n_log)
				cl = &wc->log[j];
			m = k < o->n_msgs ? &o->msgs[k] : NULL;
			if (cl == NULL && m == NULL)
				break;
			if (cl == NULL) {
				snprintf(why, sizeof why,
				    "log %lld is not in the world",
				    (long long)m->log_id);
				bad = why;
			} else if (m == NULL) {
				snprintf(why, sizeof why, "log %lld missing",
				    (long long)cl->log_id);
				bad = why;
			} else if (m->log_id != cl->log_id ||
			    m->prev_id != cl->prev_id ||
			    m->author_id != cl->author_id ||
			    (m->type & 0x3fff) != (cl->type & 0x3fff) ||
			    (m->type == cl->type &&
			        strcmp(m->text,
			            cl->message ? cl->message : "") != 0)) {
				snprintf(why, sizeof why,
				    "log %lld (prev %lld, \"%.40s\") is not "
				    "log %lld (prev %lld, \"%.40s\")",
				    (long long)m->log_id, (long long)m->prev_id,
				    m->text, (long long)cl->log_id,
				    (long long)cl->prev_id,
				    cl->message ? cl->message : "");
				bad = why;
			}
		}
		if (!ok(bad == NULL,
		        "%s: chat %lld matches locosim's log (%zu messages)",
		        what, (long long)wc->id, te_owner_count(o, wc->id))) {
			diag("%s", bad);
			all = false;
		}
	}
	if (!is_int(o->order_errors, ==, 0))
		all = false;
	return all;
}

/* One message of the burst. */
static void
te_burst_cb(evutil_socket_t fd, short what, void *arg)
{
	static const int64_t chats[] = {TE_GROUP, TE_DIRECT, TE_OPEN, TE_BIG};
	struct te_fix *f = arg;
	int64_t chat = chats[f->burst_n % 4];
	int64_t author = chat == TE_OPEN ? TE_UC
	    : chat == TE_BIG             ? TE_BIG_BASE + 3
	                                 : TE_UB;
	char text[64];

	(void)fd;
	(void)what;
	snprintf(text, sizeof text, "burst %u", f->burst_n++);
	/* A chat someone left no longer takes messages; no matter. */
	(void)locosim_send_text(f->sim, chat, author, text);
}

/* Start sending a message every period_ms. */
void
te_burst_start(struct te_fix *f, unsigned period_ms)
{
	struct timeval tv;

	te_burst_stop(f);
	f->burst_ev = event_new(f->base, -1, EV_PERSIST, te_burst_cb, f);
	tv.tv_sec = period_ms / 1000;
	tv.tv_usec = (period_ms % 1000) * 1000;
	evtimer_add(f->burst_ev, &tv);
}

/* Stop the burst. */
void
te_burst_stop(struct te_fix *f)
{
	if (f->burst_ev != NULL)
		event_free(f->burst_ev);
	f->burst_ev = NULL;
}

/* Record a command's answer. */
void
te_done_cb(struct loco_engine *e, int32_t status, const struct loco_error *err,
    void *arg)
{
	struct te_done *d = arg;

	(void)e;
	d->calls++;
	d->status = status;
	d->err_code = err ? err->code : LOCO_ERR_NONE;
	d->seq = te_seq();
}

/* Record a WRITE's answer and its message. */
void
te_write_cb(struct loco_engine *e, int32_t status,
    const struct loco_chatlog *cl, const struct loco_error *err, void *arg)
{
	struct te_done *d = arg;

	(void)e;
	d->calls++;
	d->status = status;
	d->err_code = err ? err->code : LOCO_ERR_NONE;
	d->seq = te_seq();
	if (cl != NULL) {
		d->log_id = cl->log_id;
		d->prev_id = cl->prev_id;
		free(d->text);
		d->text = xstrdup(cl->message ? cl->message : "");
	}
}

/* Free what a te_done holds. */
void
te_done_release(struct te_done *d)
{
	free(d->text);
	memset(d, 0, sizeof *d);
}

/* A command's callback has run. */
static bool
te_done_called(void *arg)
{
	return ((struct te_done *)arg)->calls > 0;
}

/* Wait until a command has been answered. */
bool
te_wait_done(struct te_done *d)
{
	return te_loop_until(te_done_called, d, TE_WAIT_MS);
}
