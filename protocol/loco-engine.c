/* locoirc: see LICENSE.
 *
 * The client engine: one account's LOCO session from booking to ONLINE,
 * kept alive with PING and reconnects, and a per-chat cursor that only
 * moves forward one message at a time, so the owner sees every message
 * exactly once and in log id order. Pushes that do not continue a chat's
 * cursor are never delivered out of order: they raise the chat's known
 * last log id and SYNCMSG fills the gap. It stores nothing and knows
 * nothing of IRC; all it learns goes out through the owner's callbacks.
 */
#include "config.h"

#include <sys/queue.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <bson/bson.h>

#include "log.h"
#include "loco-boot.h"
#include "loco-bson.h"
#include "loco-chat.h"
#include "loco-chatlog.h"
#include "loco-conn.h"
#include "loco-engine.h"
#include "loco-key.h"
#include "loco-msg.h"
#include "loco-msgtype.h"
#include "xmalloc.h"

/* Defaults for the zero values of struct loco_engine_config. */
#define ENGINE_PING_DEFAULT_S 60
/* Longest PING interval we take from GETCONF or the config (s). */
#define ENGINE_PING_MAX_S 3600
#define ENGINE_REQUEST_TIMEOUT_DEFAULT_MS 30000
#define ENGINE_BACKOFF_MIN_DEFAULT_MS 2000
#define ENGINE_BACKOFF_MAX_DEFAULT_MS 60000
#define ENGINE_SYNC_PAGE_DEFAULT 50
/* Largest SYNCMSG page we ask for (locosim and OK stay at or below). */
#define ENGINE_SYNC_PAGE_MAX 300
/* MEMBER takes at most this many ids per request (NK, LOCO.md 2.7). */
#define ENGINE_MEMBER_BATCH 300
/* Catch-up requests (CHATINFO, CHATONROOM, MEMBER, SYNCMSG) in flight at
 * once: enough to overlap round trips, few enough not to look like a
 * scraper (LOCO.md 6.29). */
#define ENGINE_BACKGROUND_MAX 8
/* LCHATLIST pages per login before we stop believing eof will come. */
#define ENGINE_LIST_PAGES_MAX 10000
#define ENGINE_DETAIL_LEN 256

/* Which connection the engine holds. */
enum engine_phase {
	ENGINE_PHASE_NONE = 0, /* no connection */
	ENGINE_PHASE_BOOKING,  /* TLS to booking, GETCONF */
	ENGINE_PHASE_CHECKIN,  /* secure layer to checkin, CHECKIN */
	ENGINE_PHASE_CHAT,     /* secure layer to the chat server */
};

/* What a request is for; decides its reply handler. */
enum engine_req_kind {
	ENGINE_REQ_GETCONF,    /* booking */
	ENGINE_REQ_CHECKIN,    /* check-in */
	ENGINE_REQ_LOGINLIST,  /* login and the first chat-list page */
	ENGINE_REQ_LCHATLIST,  /* further chat-list pages */
	ENGINE_REQ_PING,       /* liveness */
	ENGINE_REQ_CHATINFO,   /* catch-up: names */
	ENGINE_REQ_CHATONROOM, /* catch-up: members, last log id */
	ENGINE_REQ_MEMBER,     /* catch-up: a big room's members */
	ENGINE_REQ_SYNCMSG,    /* catch-up: one page of messages */
	/* owner commands from here on */
	ENGINE_REQ_WRITE,    /* loco_engine_write */
	ENGINE_REQ_DELETE,   /* loco_engine_delete */
	ENGINE_REQ_REACT,    /* loco_engine_react */
	ENGINE_REQ_NOTIREAD, /* loco_engine_mark_read */
	ENGINE_REQ_SETMETA,  /* loco_engine_set_meta */
};

/* Where one of a chat's per-session fetches stands. */
enum engine_fetch {
	ENGINE_FETCH_NONE = 0, /* not needed (yet) */
	ENGINE_FETCH_WANTED,   /* to send when a slot is free */
	ENGINE_FETCH_BUSY,     /* sent, no answer yet */
	ENGINE_FETCH_DONE,     /* answered (or refused) this session */
};

/*
 * One request in flight, or an owner command waiting for its callback.
 * The connection holds it as the reply argument until the reply (or the
 * close) comes; then it is freed, or queued on e->writes or e->done.
 */
struct engine_req {
	TAILQ_ENTRY(engine_req) entry; /* e->writes or e->done */
	struct loco_engine *e;         /* back pointer; e outlives it */
	enum engine_req_kind kind;
	unsigned gen;    /* e->gen when sent */
	bool background; /* counted in e->in_flight */
	int64_t chat_id;
	int64_t value; /* SYNCMSG max, NOTIREAD watermark, SETMETA type */
	int32_t type;  /* WRITE message type */
	char *text;    /* WRITE text, owned */
	char *extra;   /* WRITE attachment JSON, owned */
	loco_engine_done_cb done_cb;
	loco_engine_write_cb write_cb;
	void *arg; /* borrowed: the owner's */
	/* The outcome, kept until the callback runs. */
	int32_t status;
	bool has_err;
	struct loco_error err;
	bool has_cl;
	struct loco_chatlog cl; /* WRITE: the stored message */
};
TAILQ_HEAD(engine_req_list, engine_req);

/* One chat as the engine knows it. */
struct engine_chat {
	int64_t id;
	enum loco_chat_type type;
	char *title;  /* owned; meta 3 */
	char *notice; /* owned; meta 1 */
	int64_t link_id;
	int64_t last_log_id; /* highest log id known to exist */
	int64_t last_seen_log_id;
	int32_t active_members;
	int64_t *icon_ids; /* owned */
	char **icon_nicks; /* owned, n_icons entries */
	size_t n_icons;
	int64_t cursor;         /* highest log id delivered (or handed in) */
	bool confirmed;         /* the server says we are in it */
	bool reported;          /* the owner has had a chat callback */
	bool dirty;             /* reported fields changed since */
	enum engine_fetch info; /* CHATINFO this session */
	enum engine_fetch room; /* CHATONROOM this session */
	bool room_again;        /* members asked for while room was busy */
	bool filling;           /* a SYNCMSG is in flight */
	bool fill_stuck;        /* the server has nothing below last_log_id */
	/* Members of a big room, collected by MEMBER batches. */
	int64_t *member_ids; /* owned; NULL when not collecting */
	size_t n_member_ids;
	size_t member_next; /* first id of the next batch */
	bool member_busy;
	struct loco_member *members; /* owned, collected so far */
	size_t n_members;
};

struct loco_engine {
	struct event_base *base;       /* borrowed */
	struct evdns_base *dns;        /* borrowed, may be NULL */
	struct loco_engine_config cfg; /* strings are our copies */
	char *token;   /* secret: the access token, wiped on free */
	SSL_CTX *tls;  /* referenced */
	EVP_PKEY *rsa; /* referenced */
	struct loco_engine_cbs cbs;
	void *arg; /* borrowed: the owner's */

	enum loco_engine_state state;
	enum loco_engine_stop why;
	bool dead;    /* loco_engine_free was called; memory goes later */
	unsigned gen; /* bumped whenever a connection is given up */
	enum engine_phase phase;
	struct loco_conn *conn; /* owned; the one connection */
	char *chat_host;        /* owned; from CHECKIN, for log lines */
	uint16_t chat_port;

	struct loco_login_state ls;          /* current */
	struct loco_login_state ls_reported; /* as last told to the owner */
	int64_t user_id;                     /* from LOGINLIST, else cfg */
	unsigned getconf_ping_s;             /* GETCONF fgPingItv */
	unsigned ping_s;                     /* in use this session */
	struct timespec last_rx; /* last packet from the chat server */
	bool ping_busy;
	unsigned backoff_ms; /* next reconnect delay before jitter */
	bool refresh_tried;  /* -950: refresh_token was called already */
	unsigned list_pages;
	int64_t last_chat_id; /* LCHATLIST paging */
	unsigned in_flight;   /* background requests in flight */
	int64_t next_msg_id;

	struct engine_chat **chats; /* owned; sorted by id */
	size_t n_chats;
	size_t cap_chats;
	struct engine_req_list writes; /* WRITEs waiting for their turn */
	struct engine_req_list done;   /* callbacks to run from done_ev */

	struct event *retry_ev; /* reconnect after backoff */
	struct event *ping_ev;  /* PING cadence */
	struct event *done_ev;  /* zero timeout: command callbacks */
};

/* A push method and its handler. */
typedef void (
    *engine_push_fn)(struct loco_engine *e, const struct loco_packet *pkt);

static const struct timeval engine_zero_tv = {0, 0};

static void engine_ms_tv(unsigned ms, struct timeval *tv);
static long long engine_elapsed_ms(const struct timespec *since);
static bool engine_set_state(struct loco_engine *e,
    enum loco_engine_state state, enum loco_engine_stop why, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));
static bool engine_set_str(char **dst, const char *src);

static struct engine_chat *engine_chat_find(const struct loco_engine *e,
    int64_t id);
static struct engine_chat *engine_chat_add(struct loco_engine *e, int64_t id);
static struct engine_chat *engine_chat_learn(struct loco_engine *e, int64_t id);
static void engine_chat_free(struct engine_chat *c);
static void engine_chat_forget(struct loco_engine *e, int64_t id);
static void engine_chat_reset(struct engine_chat *c);
static void engine_chat_drop_members(struct engine_chat *c);
static void engine_room_again(struct engine_chat *c);
static bool engine_chat_intro_done(const struct engine_chat *c);
static bool engine_report_chat(struct loco_engine *e, struct engine_chat *c);
static bool engine_chat_gone(struct loco_engine *e, int64_t id);
static void engine_set_meta(struct engine_chat *c, int32_t type,
    const char *content);

static struct engine_req *engine_req_new(struct loco_engine *e,
    enum engine_req_kind kind, int64_t chat_id);
static void engine_req_free(struct engine_req *r);
static bool engine_req_is_command(enum engine_req_kind kind);
static int engine_send(struct loco_engine *e, struct engine_req *r,
    const char *method, const bson_t *body, unsigned timeout_ms,
    struct loco_error *err);
static void engine_done_later(struct loco_engine *e, struct engine_req *r);
static void engine_writes_reached(struct loco_engine *e, int64_t chat_id,
    int64_t cursor);
static void engine_writes_flush(struct loco_engine *e, int64_t chat_id,
    bool all);

static void engine_begin(struct loco_engine *e, const char *why);
static void engine_connect(struct loco_engine *e, enum engine_phase phase,
    const char *host, uint16_t port, const char *why);
static void engine_close_conn(struct loco_engine *e);
static void engine_drop_session(struct loco_engine *e);
static void engine_fail(struct loco_engine *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void engine_stop_for(struct loco_engine *e, enum loco_engine_stop why,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void engine_booking_failed(struct loco_engine *e, const char *why);
static void engine_refused(struct loco_engine *e, const char *what,
    int32_t status);
static void engine_send_getconf(struct loco_engine *e);
static void engine_send_checkin(struct loco_engine *e);
static void engine_send_loginlist(struct loco_engine *e);
static void engine_send_lchatlist(struct loco_engine *e);
static void engine_cursor_arrays(const struct loco_engine *e, int64_t **ids,
    int64_t **maxes, size_t *n);
static bool engine_list_page(struct loco_engine *e,
    const struct loco_chat_list *list);
static void engine_list_done(struct loco_engine *e);
static void engine_report_login_state(struct loco_engine *e);

static void engine_pump(struct loco_engine *e);
static int engine_send_chatinfo(struct loco_engine *e, struct engine_chat *c);
static int engine_send_chatonroom(struct loco_engine *e, struct engine_chat *c);
static int engine_send_member(struct loco_engine *e, struct engine_chat *c);
static int engine_send_syncmsg(struct loco_engine *e, struct engine_chat *c);
static bool engine_offer(struct loco_engine *e, struct engine_chat *c,
    const struct loco_chatlog *cl, const char *nickname);
static bool engine_deliver(struct loco_engine *e, struct engine_chat *c,
    const struct loco_chatlog *cl, const char *nickname);
static bool engine_members(struct loco_engine *e, struct engine_chat *c,
    const struct loco_member *m, size_t n);

static void engine_on_getconf(struct loco_engine *e, struct engine_req *r,
    const struct loco_packet *pkt, const struct loco_error *err);
static void engine_on_checkin(struct loco_engine *e, struct engine_req *r,
    const struct loco_packet *pkt, const struct loco_error *err);
static void engine_on_loginlist(struct loco_engine *e, struct engine_req *r,
    const struct loco_packet *pkt, const struct loco_error *err);
static void engine_on_lchatlist(struct loco_engine *e, struct engine_req *r,
    const struct loco_packet *pkt, const struct loco_error *err);
static void engine_on_ping(struct loco_engine *e, struct engine_req *r,
    const struct loco_packet *pkt, const struct loco_error *err);
static void engine_on_chatinfo(struct loco_engine *e, struct engine_req *r,
    const struct loco_packet *pkt, const struct loco_error *err);
static void engine_on_chatonroom(struct loco_engine *e, struct engine_req *r,
    const struct loco_packet *pkt, const struct loco_error *err);
static void engine_on_member(struct loco_engine *e, struct engine_req *r,
    const struct loco_packet *pkt, const struct loco_error *err);
static void engine_on_syncmsg(struct loco_engine *e, struct engine_req *r,
    const struct loco_packet *pkt, const struct loco_error *err);
static void engine_on_command(struct loco_engine *e, struct engine_req *r,
    const struct loco_packet *pkt, const struct loco_error *err);
static bool engine_background_error(struct loco_engine *e, const char *method,
    const struct loco_error *err);

static void engine_push_msg(struct loco_engine *e,
    const struct loco_packet *pkt);
static void engine_push_syncdlmsg(struct loco_engine *e,
    const struct loco_packet *pkt);
static void engine_push_syncaction(struct loco_engine *e,
    const struct loco_packet *pkt);
static void engine_push_decunread(struct loco_engine *e,
    const struct loco_packet *pkt);
static void engine_push_newmem(struct loco_engine *e,
    const struct loco_packet *pkt);
static void engine_push_delmem(struct loco_engine *e,
    const struct loco_packet *pkt);
static void engine_push_chgmeta(struct loco_engine *e,
    const struct loco_packet *pkt);
static void engine_push_left(struct loco_engine *e,
    const struct loco_packet *pkt);
static void engine_push_syncjoin(struct loco_engine *e,
    const struct loco_packet *pkt);
static void engine_push_kickout(struct loco_engine *e,
    const struct loco_packet *pkt);
static void engine_push_changesvr(struct loco_engine *e,
    const struct loco_packet *pkt);

static void engine_member_feed(struct loco_engine *e, int64_t chat_id,
    struct loco_chatlog *cl, bool joined);
static struct engine_chat *engine_command_chat(struct loco_engine *e,
    int64_t chat_id, struct loco_error *err);
static char *engine_strdup_or(const char *s, const char *def);
static int engine_simple_command(struct loco_engine *e,
    enum engine_req_kind kind, int64_t chat_id, int64_t value,
    const char *method, const bson_t *body, loco_engine_done_cb cb, void *arg,
    struct loco_error *err);

static void engine_connected_cb(struct loco_conn *conn, void *arg);
static void engine_packet_cb(struct loco_conn *conn,
    const struct loco_packet *pkt, void *arg);
static void engine_closed_cb(struct loco_conn *conn,
    const struct loco_error *err, void *arg);
static void engine_reply_cb(struct loco_conn *conn,
    const struct loco_packet *pkt, const struct loco_error *err, void *arg);
static void engine_retry_cb(evutil_socket_t fd, short what, void *arg);
static void engine_ping_cb(evutil_socket_t fd, short what, void *arg);
static void engine_done_cb(evutil_socket_t fd, short what, void *arg);
static void engine_destroy_cb(evutil_socket_t fd, short what, void *arg);

/* Pushes the engine acts on; everything else is logged and dropped. */
static const struct {
	const char *method;
	engine_push_fn fn;
} engine_pushes[] = {
    {"MSG", engine_push_msg},
    {"SYNCDLMSG", engine_push_syncdlmsg},
    {"SYNCACTION", engine_push_syncaction},
    {"DECUNREAD", engine_push_decunread},
    {"NEWMEM", engine_push_newmem},
    {"DELMEM", engine_push_delmem},
    {"CHGMETA", engine_push_chgmeta},
    {"LEFT", engine_push_left},
    {"SYNCJOIN", engine_push_syncjoin},
    {"KICKOUT", engine_push_kickout},
    {"CHANGESVR", engine_push_changesvr},
};

static const char *const engine_state_names[] = {
    "idle",
    "booking",
    "checkin",
    "login",
    "syncing",
    "online",
    "backoff",
    "stopped",
};

/* Convert milliseconds to a timeval. */
static void
engine_ms_tv(unsigned ms, struct timeval *tv)
{
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (long)(ms % 1000) * 1000;
}

/* Milliseconds since *since on the monotonic clock. */
static long long
engine_elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)(now.tv_sec - since->tv_sec) * 1000 +
	    (now.tv_nsec - since->tv_nsec) / 1000000;
}

/*
 * Move to state, log it once and tell the owner. Returns whether the
 * caller may go on: false when the owner freed, stopped or restarted the
 * engine from the callback.
 */
static bool
engine_set_state(struct loco_engine *e, enum loco_engine_state state,
    enum loco_engine_stop why, const char *fmt, ...)
{
	char detail[ENGINE_DETAIL_LEN];
	unsigned gen = e->gen;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	e->state = state;
	e->why = why;
	log_debug("loco-engine %lld: %s: %s", (long long)e->cfg.user_id,
	    loco_engine_state_name(state), detail);
	if (e->cbs.state != NULL && !e->dead)
		e->cbs.state(e, state, why, detail, e->arg);
	return !e->dead && e->gen == gen && e->state == state;
}

/* Replace *dst by a copy of src (NULL clears); true if it changed. */
static bool
engine_set_str(char **dst, const char *src)
{
	if (*dst == NULL && src == NULL)
		return false;
	if (*dst != NULL && src != NULL && strcmp(*dst, src) == 0)
		return false;
	free(*dst);
	*dst = src != NULL ? xstrdup(src) : NULL;
	return true;
}

/* The chat with id, or NULL. */
static struct engine_chat *
engine_chat_find(const struct loco_engine *e, int64_t id)
{
	size_t lo = 0, hi = e->n_chats, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (e->chats[mid]->id == id)
			return e->chats[mid];
		if (e->chats[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Insert a new chat with id (not present yet), keeping the order. */
static struct engine_chat *
engine_chat_add(struct loco_engine *e, int64_t id)
{
	struct engine_chat *c = xcalloc(1, sizeof *c);
	size_t i;

	c->id = id;
	if (e->n_chats == e->cap_chats) {
		e->cap_chats = e->cap_chats ? e->cap_chats * 2 : 16;
		e->chats =
		    xreallocarray(e->chats, e->cap_chats, sizeof *e->chats);
	}
	for (i = e->n_chats; i > 0 && e->chats[i - 1]->id > id; i--)
		e->chats[i] = e->chats[i - 1];
	e->chats[i] = c;
	e->n_chats++;
	return c;
}

/*
 * A chat the server just told us about (a push or the chat list): known
 * to be ours. A chat new to this session is introduced (CHATINFO and
 * CHATONROOM) once the chat list is done.
 */
static struct engine_chat *
engine_chat_learn(struct loco_engine *e, int64_t id)
{
	struct engine_chat *c;

	if ((c = engine_chat_find(e, id)) == NULL)
		c = engine_chat_add(e, id);
	c->confirmed = true;
	if ((e->state == LOCO_ENGINE_SYNCING ||
	        e->state == LOCO_ENGINE_ONLINE) &&
	    c->info == ENGINE_FETCH_NONE) {
		c->info = ENGINE_FETCH_WANTED;
		c->room = ENGINE_FETCH_WANTED;
	}
	return c;
}

/* Free a chat and everything it owns. */
static void
engine_chat_free(struct engine_chat *c)
{
	if (c == NULL)
		return;
	free(c->title);
	free(c->notice);
	free(c->icon_ids);
	loco_strv_free(c->icon_nicks, c->n_icons);
	engine_chat_drop_members(c);
	free(c);
}

/* Drop chat id from the table; its waiting WRITEs get their callbacks. */
static void
engine_chat_forget(struct loco_engine *e, int64_t id)
{
	size_t i;

	engine_writes_flush(e, id, false);
	for (i = 0; i < e->n_chats; i++)
		if (e->chats[i]->id == id)
			break;
	if (i == e->n_chats)
		return;
	engine_chat_free(e->chats[i]);
	memmove(&e->chats[i], &e->chats[i + 1],
	    (e->n_chats - i - 1) * sizeof *e->chats);
	e->n_chats--;
}

/* Forget what a chat was doing on the connection that just ended. */
static void
engine_chat_reset(struct engine_chat *c)
{
	c->info = ENGINE_FETCH_NONE;
	c->room = ENGINE_FETCH_NONE;
	c->room_again = false;
	c->filling = false;
	c->fill_stuck = false;
	c->member_busy = false;
	engine_chat_drop_members(c);
}

/* Forget the member collection of a big room. */
static void
engine_chat_drop_members(struct engine_chat *c)
{
	size_t i;

	free(c->member_ids);
	c->member_ids = NULL;
	c->n_member_ids = 0;
	c->member_next = 0;
	for (i = 0; i < c->n_members; i++)
		loco_member_release(&c->members[i]);
	free(c->members);
	c->members = NULL;
	c->n_members = 0;
}

/* A members refresh asked for while one was running: run it now. */
static void
engine_room_again(struct engine_chat *c)
{
	if (c->room_again) {
		c->room_again = false;
		c->room = ENGINE_FETCH_WANTED;
	}
}

/* Whether CHATINFO and CHATONROOM have answered this session. */
static bool
engine_chat_intro_done(const struct engine_chat *c)
{
	return c->info == ENGINE_FETCH_DONE && c->room == ENGINE_FETCH_DONE;
}

/* Tell the owner about c; false when the owner stopped or freed us. */
static bool
engine_report_chat(struct loco_engine *e, struct engine_chat *c)
{
	struct loco_engine_chat v;
	unsigned gen = e->gen;

	c->reported = true;
	c->dirty = false;
	if (e->cbs.chat == NULL || e->dead)
		return !e->dead;
	memset(&v, 0, sizeof v);
	v.chat_id = c->id;
	v.type = c->type;
	v.title = c->title;
	v.notice = c->notice;
	v.link_id = c->link_id;
	v.last_log_id = c->last_log_id;
	v.last_seen_log_id = c->last_seen_log_id;
	v.active_members = c->active_members;
	v.icon_user_ids = c->icon_ids;
	v.icon_nicknames = c->icon_nicks;
	v.n_icons = c->n_icons;
	e->cbs.chat(e, &v, e->arg);
	return !e->dead && e->gen == gen;
}

/* Forget chat id and tell the owner; false as engine_report_chat. */
static bool
engine_chat_gone(struct loco_engine *e, int64_t id)
{
	unsigned gen = e->gen;

	engine_chat_forget(e, id);
	if (e->cbs.chat_gone != NULL && !e->dead)
		e->cbs.chat_gone(e, id, e->arg);
	return !e->dead && e->gen == gen;
}

/* Apply a title (3) or notice (1) meta to c; marks it dirty on change. */
static void
engine_set_meta(struct engine_chat *c, int32_t type, const char *content)
{
	if (type == LOCO_META_TITLE) {
		if (engine_set_str(&c->title, content))
			c->dirty = true;
	} else if (type == LOCO_META_NOTICE) {
		if (engine_set_str(&c->notice, content))
			c->dirty = true;
	}
}

/* A request context of kind for chat_id (0 when none). */
static struct engine_req *
engine_req_new(struct loco_engine *e, enum engine_req_kind kind,
    int64_t chat_id)
{
	struct engine_req *r = xcalloc(1, sizeof *r);

	r->e = e;
	r->kind = kind;
	r->chat_id = chat_id;
	return r;
}

/* Free a request context. */
static void
engine_req_free(struct engine_req *r)
{
	if (r == NULL)
		return;
	free(r->text);
	free(r->extra);
	loco_chatlog_release(&r->cl);
	free(r);
}

/* Whether kind is an owner command, whose callback must run once. */
static bool
engine_req_is_command(enum engine_req_kind kind)
{
	return kind >= ENGINE_REQ_WRITE;
}

/*
 * Send method/body on the current connection with r as the reply
 * context. Returns 0, or -1 with err (r is still the caller's).
 */
static int
engine_send(struct loco_engine *e, struct engine_req *r, const char *method,
    const bson_t *body, unsigned timeout_ms, struct loco_error *err)
{
	r->gen = e->gen;
	if (e->conn == NULL) {
		loco_error_set(err, LOCO_ERR_CLOSED, "not connected");
		return -1;
	}
	if (loco_conn_request(e->conn, method, body, timeout_ms,
	        engine_reply_cb, r, NULL, err) != 0)
		return -1;
	if (r->background)
		e->in_flight++;
	return 0;
}

/* Queue r's callback to run from the event loop, never nested. */
static void
engine_done_later(struct loco_engine *e, struct engine_req *r)
{
	TAILQ_INSERT_TAIL(&e->done, r, entry);
	if (!evtimer_pending(e->done_ev, NULL))
		evtimer_add(e->done_ev, &engine_zero_tv);
}

/* WRITEs of chat_id whose message is now delivered get their callback. */
static void
engine_writes_reached(struct loco_engine *e, int64_t chat_id, int64_t cursor)
{
	struct engine_req *r, *next;

	for (r = TAILQ_FIRST(&e->writes); r != NULL; r = next) {
		next = TAILQ_NEXT(r, entry);
		if (r->chat_id == chat_id && r->cl.log_id <= cursor) {
			TAILQ_REMOVE(&e->writes, r, entry);
			engine_done_later(e, r);
		}
	}
}

/*
 * Stop waiting for the delivery of WRITEs of chat_id (or of every chat):
 * they succeeded, so their callbacks run with the stored message.
 */
static void
engine_writes_flush(struct loco_engine *e, int64_t chat_id, bool all)
{
	struct engine_req *r, *next;

	for (r = TAILQ_FIRST(&e->writes); r != NULL; r = next) {
		next = TAILQ_NEXT(r, entry);
		if (all || r->chat_id == chat_id) {
			TAILQ_REMOVE(&e->writes, r, entry);
			engine_done_later(e, r);
		}
	}
}

/* Start the bootstrap: booking, or the check-in fallback without one. */
static void
engine_begin(struct loco_engine *e, const char *why)
{
	if (e->cfg.booking_host != NULL)
		engine_connect(e, ENGINE_PHASE_BOOKING, e->cfg.booking_host,
		    e->cfg.booking_port, why);
	else
		engine_connect(e, ENGINE_PHASE_CHECKIN,
		    e->cfg.checkin_fallback_host, e->cfg.checkin_fallback_port,
		    why);
}

/*
 * Give up the current connection (if any) and open one for phase to
 * host:port, reporting the state that phase means.
 */
static void
engine_connect(struct loco_engine *e, enum engine_phase phase, const char *host,
    uint16_t port, const char *why)
{
	static const enum loco_engine_state states[] = {
	    LOCO_ENGINE_IDLE,
	    LOCO_ENGINE_BOOKING,
	    LOCO_ENGINE_CHECKIN,
	    LOCO_ENGINE_LOGIN,
	};
	static const char *const what[] = {"", "booking", "check-in", "chat"};
	struct loco_conn_opts opts;
	struct loco_conn_cbs cbs;
	struct loco_error err;
	char tag[LOCO_CONN_TAG_LEN];

	engine_close_conn(e);
	e->phase = phase;
	if (!engine_set_state(e, states[phase], LOCO_ENGINE_STOP_NONE,
	        "%s%sconnecting to %s server %s:%u", why ? why : "",
	        why ? "; " : "", what[phase], host, (unsigned)port))
		return;
	loco_conn_opts_init(&opts);
	if (phase == ENGINE_PHASE_BOOKING) {
		opts.transport = LOCO_CONN_TLS;
		opts.ssl_ctx = e->tls;
		opts.tls_hostname = host;
	} else {
		opts.transport = LOCO_CONN_SECURE;
		opts.key = e->rsa;
		opts.key_encrypt_type = e->cfg.key_encrypt_type;
		opts.cipher = e->cfg.cipher;
	}
	opts.request_timeout_ms = e->cfg.request_timeout_ms;
	if (opts.request_timeout_ms < LOCO_CONN_CONNECT_TIMEOUT_DEFAULT)
		opts.connect_timeout_ms = opts.request_timeout_ms;
	snprintf(tag, sizeof tag, "engine-%s", what[phase]);
	opts.tag = tag;
	memset(&cbs, 0, sizeof cbs);
	cbs.connected = engine_connected_cb;
	cbs.packet = engine_packet_cb;
	cbs.closed = engine_closed_cb;
	e->conn = loco_conn_connect(e->base, e->dns, host, port, &opts, &cbs, e,
	    &err);
	if (e->conn != NULL)
		return;
	if (phase == ENGINE_PHASE_BOOKING)
		engine_booking_failed(e, err.msg);
	else
		engine_fail(e, "cannot connect to %s:%u: %s", host,
		    (unsigned)port, err.msg);
}

/*
 * Close the connection the engine holds. Its pending requests answer
 * with LOCO_ERR_CLOSED, which the bumped generation marks as stale.
 */
static void
engine_close_conn(struct loco_engine *e)
{
	struct loco_conn *conn = e->conn;

	e->gen++;
	e->conn = NULL;
	e->phase = ENGINE_PHASE_NONE;
	e->ping_busy = false;
	if (conn != NULL)
		loco_conn_close(conn);
}

/* End the session: connection, PING and every chat's fetches. */
static void
engine_drop_session(struct loco_engine *e)
{
	size_t i;

	evtimer_del(e->ping_ev);
	engine_close_conn(e);
	e->in_flight = 0;
	for (i = 0; i < e->n_chats; i++)
		engine_chat_reset(e->chats[i]);
}

/* Drop the session and reconnect after the backoff delay. */
static void
engine_fail(struct loco_engine *e, const char *fmt, ...)
{
	char why[ENGINE_DETAIL_LEN];
	unsigned delay, jitter = 0;
	struct timeval tv;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	engine_drop_session(e);
	delay = e->backoff_ms;
	if (delay / 2 > 0 &&
	    RAND_bytes((unsigned char *)&jitter, sizeof jitter) == 1)
		jitter %= delay / 2 + 1;
	else
		jitter = 0;
	e->backoff_ms = e->backoff_ms > e->cfg.backoff_max_ms / 2
	    ? e->cfg.backoff_max_ms
	    : e->backoff_ms * 2;
	delay += jitter;
	/* Armed first: a stop from the state callback disarms it. */
	engine_ms_tv(delay, &tv);
	evtimer_add(e->retry_ev, &tv);
	engine_set_state(e, LOCO_ENGINE_BACKOFF, LOCO_ENGINE_STOP_NONE,
	    "reconnecting in %u ms: %s", delay, why);
}

/* Drop the session for good (until loco_engine_start). */
static void
engine_stop_for(struct loco_engine *e, enum loco_engine_stop why,
    const char *fmt, ...)
{
	char detail[ENGINE_DETAIL_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	engine_drop_session(e);
	evtimer_del(e->retry_ev);
	/* WRITEs the server took still get their answer. */
	engine_writes_flush(e, 0, true);
	engine_set_state(e, LOCO_ENGINE_STOPPED, why, "%s", detail);
}

/* Booking failed: go to the configured check-in host, else back off. */
static void
engine_booking_failed(struct loco_engine *e, const char *why)
{
	char reason[ENGINE_DETAIL_LEN];

	if (e->cfg.checkin_fallback_host == NULL) {
		engine_fail(e, "booking failed: %s", why);
		return;
	}
	snprintf(reason, sizeof reason, "booking failed (%s)", why);
	engine_connect(e, ENGINE_PHASE_CHECKIN, e->cfg.checkin_fallback_host,
	    e->cfg.checkin_fallback_port, reason);
}

/*
 * A CHECKIN or LOGINLIST status other than 0 (LOCO.md section 3 and
 * decision 10): -950 refreshes the token once, the account-level refusals
 * stop, anything else backs off.
 */
static void
engine_refused(struct loco_engine *e, const char *what, int32_t status)
{
	unsigned gen;
	bool refreshed;

	switch (status) {
	case -950:
		if (e->refresh_tried || e->cbs.refresh_token == NULL) {
			engine_stop_for(e, LOCO_ENGINE_STOP_TOKEN,
			    "%s: access token refused (-950)%s", what,
			    e->refresh_tried ? " again after a refresh" : "");
			return;
		}
		e->refresh_tried = true;
		engine_drop_session(e);
		gen = e->gen;
		refreshed = e->cbs.refresh_token(e, e->arg);
		if (e->dead || e->gen != gen)
			return;
		if (!refreshed)
			engine_stop_for(e, LOCO_ENGINE_STOP_TOKEN,
			    "%s: access token refused (-950) and not refreshed",
			    what);
		else
			engine_begin(e, "retrying with a refreshed token");
		return;
	case -999:
		engine_stop_for(e, LOCO_ENGINE_STOP_UPGRADE,
		    "%s: app version %s is too old for the server (-999)", what,
		    e->cfg.app_version);
		return;
	case -997:
	case -304:
	case -444:
	case -445:
	case -805:
		engine_stop_for(e, LOCO_ENGINE_STOP_RESTRICTED,
		    "%s: the server restricts this account or client (%d)",
		    what, (int)status);
		return;
	default:
		engine_fail(e, "%s refused with status %d", what, (int)status);
	}
}

/* GETCONF on the booking connection (LOCO.md 1.8). */
static void
engine_send_getconf(struct loco_engine *e)
{
	struct loco_getconf_req q;
	struct engine_req *r;
	struct loco_error err;
	bson_t body;

	memset(&q, 0, sizeof q);
	q.mccmnc = e->cfg.mccmnc != NULL ? (char *)e->cfg.mccmnc : NULL;
	q.os = (char *)e->cfg.os;
	q.model = (char *)"";
	bson_init(&body);
	loco_getconf_req_encode(&q, &body);
	r = engine_req_new(e, ENGINE_REQ_GETCONF, 0);
	if (engine_send(e, r, "GETCONF", &body, 0, &err) != 0) {
		engine_req_free(r);
		bson_destroy(&body);
		engine_booking_failed(e, err.msg);
		return;
	}
	bson_destroy(&body);
}

/* CHECKIN on the check-in connection (LOCO.md 1.8). */
static void
engine_send_checkin(struct loco_engine *e)
{
	struct loco_checkin_req q;
	struct engine_req *r;
	struct loco_error err;
	bson_t body;

	memset(&q, 0, sizeof q);
	q.user_id = e->cfg.user_id;
	q.os = (char *)e->cfg.os;
	q.ntype = e->cfg.ntype;
	q.app_ver = (char *)e->cfg.app_version;
	q.mccmnc = (char *)e->cfg.mccmnc;
	q.lang = (char *)e->cfg.lang;
	q.country_iso = (char *)e->cfg.country_iso;
	q.use_sub = true;
	bson_init(&body);
	loco_checkin_req_encode(&q, &body);
	r = engine_req_new(e, ENGINE_REQ_CHECKIN, 0);
	if (engine_send(e, r, "CHECKIN", &body, 0, &err) != 0) {
		engine_req_free(r);
		bson_destroy(&body);
		engine_fail(e, "cannot send CHECKIN: %s", err.msg);
		return;
	}
	bson_destroy(&body);
}

/* Every chat's id and cursor, for LOGINLIST/LCHATLIST chatIds/maxIds. */
static void
engine_cursor_arrays(const struct loco_engine *e, int64_t **ids,
    int64_t **maxes, size_t *n)
{
	size_t i;

	*ids = xcalloc(e->n_chats + 1, sizeof **ids);
	*maxes = xcalloc(e->n_chats + 1, sizeof **maxes);
	for (i = 0; i < e->n_chats; i++) {
		(*ids)[i] = e->chats[i]->id;
		(*maxes)[i] = e->chats[i]->cursor;
	}
	*n = e->n_chats;
}

/* LOGINLIST on the chat connection (LOCO.md 1.9); the body is wiped. */
static void
engine_send_loginlist(struct loco_engine *e)
{
	struct loco_loginlist_req q;
	struct engine_req *r;
	struct loco_error err;
	bson_t body;
	int rc;

	memset(&q, 0, sizeof q);
	q.app_ver = (char *)e->cfg.app_version;
	q.prt_ver = (char *)"1";
	q.os = (char *)e->cfg.os;
	q.lang = (char *)e->cfg.lang;
	q.duuid = (char *)e->cfg.device_uuid;
	q.oauth_token = e->token;
	q.dtype = e->cfg.dtype;
	q.ntype = e->cfg.ntype;
	q.mccmnc = (char *)e->cfg.mccmnc;
	q.revision = e->ls.revision;
	engine_cursor_arrays(e, &q.chat_ids, &q.max_ids, &q.n_chat_ids);
	q.n_max_ids = q.n_chat_ids;
	q.last_token_id = e->ls.last_token_id;
	q.lbk = e->ls.lbk;
	bson_init(&body);
	loco_loginlist_req_encode(&q, &body);
	free(q.chat_ids);
	free(q.max_ids);
	r = engine_req_new(e, ENGINE_REQ_LOGINLIST, 0);
	rc = engine_send(e, r, "LOGINLIST", &body, 0, &err);
	/* The body held the token. */
	OPENSSL_cleanse((void *)bson_get_data(&body), body.len);
	bson_destroy(&body);
	if (rc != 0) {
		engine_req_free(r);
		engine_fail(e, "cannot send LOGINLIST: %s", err.msg);
	}
}

/* The next LCHATLIST page (LOCO.md 1.9, 6.13). */
static void
engine_send_lchatlist(struct loco_engine *e)
{
	struct loco_lchatlist_req q;
	struct engine_req *r;
	struct loco_error err;
	bson_t body;
	int rc;

	memset(&q, 0, sizeof q);
	engine_cursor_arrays(e, &q.chat_ids, &q.max_ids, &q.n_chat_ids);
	q.n_max_ids = q.n_chat_ids;
	q.last_token_id = e->ls.last_token_id;
	q.last_chat_id = e->last_chat_id;
	bson_init(&body);
	loco_lchatlist_req_encode(&q, &body);
	loco_lchatlist_req_release(&q);
	r = engine_req_new(e, ENGINE_REQ_LCHATLIST, 0);
	rc = engine_send(e, r, "LCHATLIST", &body, 0, &err);
	bson_destroy(&body);
	if (rc != 0) {
		engine_req_free(r);
		engine_fail(e, "cannot send LCHATLIST: %s", err.msg);
	}
}

/*
 * Take in one page of the chat list: chats become known (and are
 * reported once introduced), gone ones are reported. False when the
 * owner stopped or freed us from a callback.
 */
static bool
engine_list_page(struct loco_engine *e, const struct loco_chat_list *list)
{
	size_t i, j;

	for (i = 0; i < list->n_chats; i++) {
		const struct loco_chat_data *d = &list->chats[i];
		struct engine_chat *c = engine_chat_learn(e, d->chat_id);
		bool icons_same = c->n_icons == d->n_icon_user_ids;

		if (d->type != LOCO_CHAT_UNKNOWN && d->type != c->type) {
			c->type = d->type;
			c->dirty = true;
		}
		if (d->active_members != c->active_members) {
			c->active_members = d->active_members;
			c->dirty = true;
		}
		if (d->last_log_id > c->last_log_id) {
			c->last_log_id = d->last_log_id;
			c->dirty = true;
		}
		if (d->last_seen_log_id != c->last_seen_log_id) {
			c->last_seen_log_id = d->last_seen_log_id;
			c->dirty = true;
		}
		if (d->link_id != 0 && d->link_id != c->link_id) {
			c->link_id = d->link_id;
			c->dirty = true;
		}
		for (j = 0; icons_same && j < c->n_icons; j++)
			if (c->icon_ids[j] != d->icon_user_ids[j] ||
			    strcmp(c->icon_nicks[j],
			        j < d->n_icon_nicknames && d->icon_nicknames[j]
			            ? d->icon_nicknames[j]
			            : "") != 0)
				icons_same = false;
		if (!icons_same) {
			free(c->icon_ids);
			loco_strv_free(c->icon_nicks, c->n_icons);
			c->n_icons = d->n_icon_user_ids;
			c->icon_ids =
			    xcalloc(c->n_icons + 1, sizeof *c->icon_ids);
			c->icon_nicks =
			    xcalloc(c->n_icons + 1, sizeof *c->icon_nicks);
			for (j = 0; j < c->n_icons; j++) {
				c->icon_ids[j] = d->icon_user_ids[j];
				c->icon_nicks[j] =
				    xstrdup(j < d->n_icon_nicknames &&
				                d->icon_nicknames[j] != NULL
				            ? d->icon_nicknames[j]
				            : "");
			}
			c->dirty = true;
		}
	}
	for (i = 0; i < list->n_del_chat_ids; i++)
		if (!engine_chat_gone(e, list->del_chat_ids[i]))
			return false;
	if (list->last_chat_id != 0)
		e->last_chat_id = list->last_chat_id;
	if (list->last_token_id != 0)
		e->ls.last_token_id = list->last_token_id;
	if (list->lbk != 0)
		e->ls.lbk = list->lbk;
	return true;
}

/* Tell the owner the login state if it changed since last time. */
static void
engine_report_login_state(struct loco_engine *e)
{
	if (memcmp(&e->ls, &e->ls_reported, sizeof e->ls) == 0)
		return;
	e->ls_reported = e->ls;
	if (e->cbs.login_state != NULL && !e->dead)
		e->cbs.login_state(e, &e->ls, e->arg);
}

/*
 * The chat list is complete: every chat (listed, handed in, or pushed
 * meanwhile) is introduced and filled from here on.
 */
static void
engine_list_done(struct loco_engine *e)
{
	unsigned gen = e->gen;
	size_t i;

	for (i = 0; i < e->n_chats; i++) {
		e->chats[i]->info = ENGINE_FETCH_WANTED;
		e->chats[i]->room = ENGINE_FETCH_WANTED;
	}
	engine_report_login_state(e);
	if (e->dead || e->gen != gen)
		return;
	if (!engine_set_state(e, LOCO_ENGINE_SYNCING, LOCO_ENGINE_STOP_NONE,
	        "logged in as user %lld; catching up %zu chats",
	        (long long)e->user_id, e->n_chats))
		return;
	engine_pump(e);
}

/*
 * Start what the chats need, at most ENGINE_BACKGROUND_MAX requests at a
 * time: introductions (CHATINFO, then CHATONROOM), MEMBER batches and
 * SYNCMSG fills. SYNCING becomes ONLINE when nothing is left.
 */
static void
engine_pump(struct loco_engine *e)
{
	struct engine_chat *c;
	bool idle = true;
	size_t i;

	if (e->dead || e->conn == NULL ||
	    (e->state != LOCO_ENGINE_SYNCING && e->state != LOCO_ENGINE_ONLINE))
		return;
	for (i = 0; i < e->n_chats; i++) {
		c = e->chats[i];
		if (c->info == ENGINE_FETCH_WANTED) {
			idle = false;
			if (e->in_flight >= ENGINE_BACKGROUND_MAX ||
			    engine_send_chatinfo(e, c) != 0)
				break;
		}
		if (c->room == ENGINE_FETCH_WANTED &&
		    c->info != ENGINE_FETCH_BUSY) {
			idle = false;
			if (e->in_flight >= ENGINE_BACKGROUND_MAX ||
			    engine_send_chatonroom(e, c) != 0)
				break;
		}
		if (c->member_ids != NULL && !c->member_busy) {
			idle = false;
			if (e->in_flight >= ENGINE_BACKGROUND_MAX ||
			    engine_send_member(e, c) != 0)
				break;
		}
		if (!c->filling && c->confirmed && engine_chat_intro_done(c) &&
		    !c->fill_stuck && c->cursor < c->last_log_id) {
			idle = false;
			if (e->in_flight >= ENGINE_BACKGROUND_MAX ||
			    engine_send_syncmsg(e, c) != 0)
				break;
		}
		if (c->info == ENGINE_FETCH_BUSY ||
		    c->room == ENGINE_FETCH_BUSY || c->member_busy ||
		    c->filling)
			idle = false;
	}
	if (idle && e->in_flight == 0 && e->state == LOCO_ENGINE_SYNCING)
		engine_set_state(e, LOCO_ENGINE_ONLINE, LOCO_ENGINE_STOP_NONE,
		    "caught up: %zu chats of user %lld", e->n_chats,
		    (long long)e->user_id);
}

/* CHATINFO for c (names and notice, LOCO.md 2.8). */
static int
engine_send_chatinfo(struct loco_engine *e, struct engine_chat *c)
{
	struct loco_chatinfo_req q;
	struct engine_req *r;
	struct loco_error err;
	bson_t body;
	int rc;

	q.chat_id = c->id;
	bson_init(&body);
	loco_chatinfo_req_encode(&q, &body);
	r = engine_req_new(e, ENGINE_REQ_CHATINFO, c->id);
	r->background = true;
	if ((rc = engine_send(e, r, "CHATINFO", &body, 0, &err)) != 0) {
		log_debug("%s: chat %lld: %s", __func__, (long long)c->id,
		    err.msg);
		engine_req_free(r);
	} else
		c->info = ENGINE_FETCH_BUSY;
	bson_destroy(&body);
	return rc;
}

/* CHATONROOM for c (members and last log id, LOCO.md 2.7). */
static int
engine_send_chatonroom(struct loco_engine *e, struct engine_chat *c)
{
	struct loco_chatonroom_req q;
	struct engine_req *r;
	struct loco_error err;
	bson_t body;
	int rc;

	memset(&q, 0, sizeof q);
	q.chat_id = c->id;
	q.token = c->cursor;
	bson_init(&body);
	loco_chatonroom_req_encode(&q, &body);
	r = engine_req_new(e, ENGINE_REQ_CHATONROOM, c->id);
	r->background = true;
	if ((rc = engine_send(e, r, "CHATONROOM", &body, 0, &err)) != 0) {
		log_debug("%s: chat %lld: %s", __func__, (long long)c->id,
		    err.msg);
		engine_req_free(r);
	} else {
		c->room = ENGINE_FETCH_BUSY;
		c->room_again = false;
	}
	bson_destroy(&body);
	return rc;
}

/* The next MEMBER batch of a big room. */
static int
engine_send_member(struct loco_engine *e, struct engine_chat *c)
{
	struct loco_member_req q;
	struct engine_req *r;
	struct loco_error err;
	bson_t body;
	size_t n = c->n_member_ids - c->member_next;
	int rc;

	if (n > ENGINE_MEMBER_BATCH)
		n = ENGINE_MEMBER_BATCH;
	q.chat_id = c->id;
	q.member_ids = c->member_ids + c->member_next;
	q.n_member_ids = n;
	bson_init(&body);
	loco_member_req_encode(&q, &body);
	r = engine_req_new(e, ENGINE_REQ_MEMBER, c->id);
	r->background = true;
	r->value = (int64_t)n;
	if ((rc = engine_send(e, r, "MEMBER", &body, 0, &err)) != 0) {
		log_debug("%s: chat %lld: %s", __func__, (long long)c->id,
		    err.msg);
		engine_req_free(r);
	} else
		c->member_busy = true;
	bson_destroy(&body);
	return rc;
}

/* One SYNCMSG page of c from its cursor (decision 6). */
static int
engine_send_syncmsg(struct loco_engine *e, struct engine_chat *c)
{
	struct loco_syncmsg_req q;
	struct engine_req *r;
	struct loco_error err;
	bson_t body;
	int rc;

	q.chat_id = c->id;
	q.cur = c->cursor;
	q.cnt = (int32_t)e->cfg.sync_page;
	q.max = c->last_log_id;
	bson_init(&body);
	loco_syncmsg_req_encode(&q, &body);
	r = engine_req_new(e, ENGINE_REQ_SYNCMSG, c->id);
	r->background = true;
	r->value = q.max;
	if ((rc = engine_send(e, r, "SYNCMSG", &body, 0, &err)) != 0) {
		log_debug("%s: chat %lld: %s", __func__, (long long)c->id,
		    err.msg);
		engine_req_free(r);
	} else
		c->filling = true;
	bson_destroy(&body);
	return rc;
}

/*
 * A message that arrived on its own (MSG, a WRITE answer, a feed in
 * NEWMEM/DELMEM/SYNCDLMSG): delivered at once when it continues the
 * cursor, dropped when at or below it, otherwise it only raises the
 * chat's last log id and the gap is filled by SYNCMSG. False when the
 * owner stopped or freed us from a callback.
 */
static bool
engine_offer(struct loco_engine *e, struct engine_chat *c,
    const struct loco_chatlog *cl, const char *nickname)
{
	if (cl->log_id <= c->cursor) {
		log_debug("%s: chat %lld: log %lld already delivered", __func__,
		    (long long)c->id, (long long)cl->log_id);
		return true;
	}
	if (cl->log_id > c->last_log_id) {
		c->last_log_id = cl->log_id;
		c->fill_stuck = false;
	}
	if (e->state == LOCO_ENGINE_ONLINE || e->state == LOCO_ENGINE_SYNCING) {
		if (!c->filling && engine_chat_intro_done(c) &&
		    cl->prev_id == c->cursor)
			return engine_deliver(e, c, cl, nickname);
		if (!c->filling && engine_chat_intro_done(c))
			log_debug("%s: chat %lld: gap before log %lld (prev "
			          "%lld, cursor %lld): filling",
			    __func__, (long long)c->id, (long long)cl->log_id,
			    (long long)cl->prev_id, (long long)c->cursor);
		engine_pump(e);
	}
	return !e->dead;
}

/*
 * Hand one message to the owner and move the cursor to it; WRITEs that
 * waited for it complete. False when the owner stopped or freed us.
 */
static bool
engine_deliver(struct loco_engine *e, struct engine_chat *c,
    const struct loco_chatlog *cl, const char *nickname)
{
	unsigned gen = e->gen;
	int64_t chat_id = c->id;

	c->cursor = cl->log_id;
	if (cl->log_id > c->last_log_id)
		c->last_log_id = cl->log_id;
	if (e->cbs.message != NULL && !e->dead)
		e->cbs.message(e, cl, nickname, e->arg);
	if (e->dead)
		return false;
	engine_writes_reached(e, chat_id, cl->log_id);
	return e->gen == gen;
}

/* Report c's full member list. False as engine_report_chat. */
static bool
engine_members(struct loco_engine *e, struct engine_chat *c,
    const struct loco_member *m, size_t n)
{
	unsigned gen = e->gen;

	if (c->confirmed && !c->reported && !engine_report_chat(e, c))
		return false;
	if (e->cbs.members != NULL && !e->dead)
		e->cbs.members(e, c->id, m, n, e->arg);
	return !e->dead && e->gen == gen;
}

/*
 * A catch-up request got no answer: LOCO_ERR_CLOSED means the connection
 * is going and its closed callback decides; a timeout means the server
 * is not keeping up, which is a broken session. Returns true when the
 * caller should stop.
 */
static bool
engine_background_error(struct loco_engine *e, const char *method,
    const struct loco_error *err)
{
	if (err == NULL)
		return false;
	if (err->code != LOCO_ERR_CLOSED)
		engine_fail(e, "no answer to %s: %s", method, err->msg);
	return true;
}

/* GETCONF answered: check in at ticket.lsl[0]:wifi.ports[0]. */
static void
engine_on_getconf(struct loco_engine *e, struct engine_req *r,
    const struct loco_packet *pkt, const struct loco_error *err)
{
	struct loco_getconf_res res;
	struct loco_error derr;
	char *host;
	int32_t port;

	(void)r;
	if (err != NULL) {
		if (err->code != LOCO_ERR_CLOSED)
			engine_booking_failed(e, err->msg);
		return;
	}
	if (loco_getconf_res_decode(&pkt->body, &res, &derr) != 0) {
		engine_booking_failed(e, derr.msg);
		return;
	}
	if (res.status != 0 || res.ticket.n_lsl == 0 ||
	    res.ticket.lsl[0] == NULL || *res.ticket.lsl[0] == '\0' ||
	    res.wifi.n_ports == 0 || res.wifi.ports[0] <= 0 ||
	    res.wifi.ports[0] > 65535) {
		char why[64];

		snprintf(why, sizeof why,
		    "GETCONF status %d without a usable "
		    "check-in address",
		    (int)res.status);
		loco_getconf_res_release(&res);
		engine_booking_failed(e, why);
		return;
	}
	if (res.wifi.fg_ping_itv > 0)
		e->getconf_ping_s = res.wifi.fg_ping_itv > ENGINE_PING_MAX_S
		    ? ENGINE_PING_MAX_S
		    : (unsigned)res.wifi.fg_ping_itv;
	host = xstrdup(res.ticket.lsl[0]);
	port = res.wifi.ports[0];
	loco_getconf_res_release(&res);
	engine_connect(e, ENGINE_PHASE_CHECKIN, host, (uint16_t)port, NULL);
	free(host);
}

/* CHECKIN answered: connect to the chat server it names. */
static void
engine_on_checkin(struct loco_engine *e, struct engine_req *r,
    const struct loco_packet *pkt, const struct loco_error *err)
{
	struct loco_checkin_res res;
	struct loco_error derr;
	int32_t status;

	(void)r;
	if (err != NULL) {
		if (err->code != LOCO_ERR_CLOSED)
			engine_fail(e, "no answer to CHECKIN: %s", err->msg);
		return;
	}
	if ((status = loco_packet_status(pkt)) != 0) {
		engine_refused(e, "CHECKIN", status);
		return;
	}
	if (loco_checkin_res_decode(&pkt->body, &res, &derr) != 0) {
		engine_fail(e, "bad CHECKIN answer: %s", derr.msg);
		return;
	}
	if (res.host == NULL || *res.host == '\0' || res.port <= 0 ||
	    res.port > 65535) {
		loco_checkin_res_release(&res);
		engine_fail(e, "CHECKIN gave no chat server address");
		return;
	}
	free(e->chat_host);
	e->chat_host = xstrdup(res.host);
	e->chat_port = (uint16_t)res.port;
	loco_checkin_res_release(&res);
	engine_connect(e, ENGINE_PHASE_CHAT, e->chat_host, e->chat_port, NULL);
}

/* LOGINLIST answered: the session is ours; page the chat list. */
static void
engine_on_loginlist(struct loco_engine *e, struct engine_req *r,
    const struct loco_packet *pkt, const struct loco_error *err)
{
	struct loco_loginlist_res res;
	struct loco_error derr;
	struct timeval tv;
	int32_t status;

	(void)r;
	if (err != NULL) {
		if (err->code != LOCO_ERR_CLOSED)
			engine_fail(e, "no answer to LOGINLIST: %s", err->msg);
		return;
	}
	if ((status = loco_packet_status(pkt)) != 0) {
		engine_refused(e, "LOGINLIST", status);
		return;
	}
	if (loco_loginlist_res_decode(&pkt->body, &res, &derr) != 0) {
		engine_fail(e, "bad LOGINLIST answer: %s", derr.msg);
		return;
	}
	e->refresh_tried = false;
	e->backoff_ms = e->cfg.backoff_min_ms;
	if (res.user_id != 0)
		e->user_id = res.user_id;
	e->ls.revision = res.revision;
	e->last_chat_id = 0;
	e->list_pages = 0;
	/* Liveness from here on (LOCO.md 1.10). */
	e->ping_s = e->cfg.ping_interval ? e->cfg.ping_interval
	    : e->getconf_ping_s          ? e->getconf_ping_s
	                                 : ENGINE_PING_DEFAULT_S;
	clock_gettime(CLOCK_MONOTONIC, &e->last_rx);
	engine_ms_tv(e->ping_s * 1000, &tv);
	evtimer_add(e->ping_ev, &tv);
	if (!engine_list_page(e, &res.list)) {
		loco_loginlist_res_release(&res);
		return;
	}
	loco_loginlist_res_release(&res);
	/* LCHATLIST at least once, even after eof (LOCO.md 6.13). */
	engine_send_lchatlist(e);
}

/* One LCHATLIST page answered: the next, or the catch-up. */
static void
engine_on_lchatlist(struct loco_engine *e, struct engine_req *r,
    const struct loco_packet *pkt, const struct loco_error *err)
{
	struct loco_lchatlist_res res;
	struct loco_error derr;
	int64_t before = e->last_chat_id;
	int32_t status;
	bool eof;

	(void)r;
	if (engine_background_error(e, "LCHATLIST", err))
		return;
	if ((status = loco_packet_status(pkt)) != 0) {
		engine_fail(e, "LCHATLIST refused with status %d", (int)status);
		return;
	}
	if (loco_lchatlist_res_decode(&pkt->body, &res, &derr) != 0) {
		engine_fail(e, "bad LCHATLIST answer: %s", derr.msg);
		return;
	}
	if (!engine_list_page(e, &res.list)) {
		loco_lchatlist_res_release(&res);
		return;
	}
	eof = res.list.eof;
	/* A page that does not move on would repeat forever. */
	if (!eof &&
	    (res.list.n_chats == 0 || e->last_chat_id == before ||
	        ++e->list_pages >= ENGINE_LIST_PAGES_MAX)) {
		log_debug("%s: chat list does not advance; taking it as done",
		    __func__);
		eof = true;
	}
	loco_lchatlist_res_release(&res);
	if (eof)
		engine_list_done(e);
	else
		engine_send_lchatlist(e);
}

/* PING answered (or not: then the peer is dead). */
static void
engine_on_ping(struct loco_engine *e, struct engine_req *r,
    const struct loco_packet *pkt, const struct loco_error *err)
{
	(void)r;
	(void)pkt;
	e->ping_busy = false;
	if (err != NULL && err->code != LOCO_ERR_CLOSED)
		engine_fail(e, "no answer to PING for %u s", 2 * e->ping_s);
}

/* CHATINFO answered: name, notice, counts; failures are survived. */
static void
engine_on_chatinfo(struct loco_engine *e, struct engine_req *r,
    const struct loco_packet *pkt, const struct loco_error *err)
{
	struct loco_chatinfo_res res;
	struct loco_chat_info *ci = &res.info;
	struct engine_chat *c;
	struct loco_error derr;
	int32_t status;
	size_t i;

	if ((c = engine_chat_find(e, r->chat_id)) != NULL)
		c->info = ENGINE_FETCH_DONE;
	if (engine_background_error(e, "CHATINFO", err))
		return;
	if (c == NULL) {
		engine_pump(e);
		return;
	}
	/* One bad chat must not break the sync (LOCO.md 6.26). */
	if ((status = loco_packet_status(pkt)) != 0)
		log_debug("%s: chat %lld: CHATINFO status %d", __func__,
		    (long long)c->id, (int)status);
	else if (loco_chatinfo_res_decode(&pkt->body, &res, &derr) != 0)
		log_debug("%s: chat %lld: %s", __func__, (long long)c->id,
		    derr.msg);
	else {
		const char *title = NULL, *notice = NULL;

		c->confirmed = true;
		if (ci->type != LOCO_CHAT_UNKNOWN && ci->type != c->type) {
			c->type = ci->type;
			c->dirty = true;
		}
		for (i = 0; i < ci->n_metas; i++)
			if (ci->metas[i].type == LOCO_META_TITLE)
				title = ci->metas[i].content;
			else if (ci->metas[i].type == LOCO_META_NOTICE)
				notice = ci->metas[i].content;
		/* Open chats may carry their name in meta.name only. */
		if (title == NULL && ci->meta.name != NULL &&
		    *ci->meta.name != '\0')
			title = ci->meta.name;
		engine_set_meta(c, LOCO_META_TITLE, title);
		engine_set_meta(c, LOCO_META_NOTICE, notice);
		if (ci->active_members != 0 &&
		    ci->active_members != c->active_members) {
			c->active_members = ci->active_members;
			c->dirty = true;
		}
		if (ci->last_log_id > c->last_log_id) {
			c->last_log_id = ci->last_log_id;
			c->fill_stuck = false;
			c->dirty = true;
		}
		if (ci->last_seen_log_id > c->last_seen_log_id) {
			c->last_seen_log_id = ci->last_seen_log_id;
			c->dirty = true;
		}
		if (ci->link_id != 0 && ci->link_id != c->link_id) {
			c->link_id = ci->link_id;
			c->dirty = true;
		}
		loco_chatinfo_res_release(&res);
	}
	if (c->confirmed && (!c->reported || c->dirty) &&
	    !engine_report_chat(e, c))
		return;
	engine_pump(e);
}

/* CHATONROOM answered: members (or their ids) and the last log id. */
static void
engine_on_chatonroom(struct loco_engine *e, struct engine_req *r,
    const struct loco_packet *pkt, const struct loco_error *err)
{
	struct loco_chatonroom_res res;
	struct engine_chat *c;
	struct loco_error derr;
	int32_t status;

	if ((c = engine_chat_find(e, r->chat_id)) != NULL)
		c->room = ENGINE_FETCH_DONE;
	if (engine_background_error(e, "CHATONROOM", err))
		return;
	if (c == NULL) {
		engine_pump(e);
		return;
	}
	if ((status = loco_packet_status(pkt)) != 0) {
		log_debug("%s: chat %lld: CHATONROOM status %d", __func__,
		    (long long)c->id, (int)status);
		engine_room_again(c);
		engine_pump(e);
		return;
	}
	if (loco_chatonroom_res_decode(&pkt->body, &res, &derr) != 0) {
		log_debug("%s: chat %lld: %s", __func__, (long long)c->id,
		    derr.msg);
		engine_room_again(c);
		engine_pump(e);
		return;
	}
	c->confirmed = true;
	if (res.type != LOCO_CHAT_UNKNOWN && c->type == LOCO_CHAT_UNKNOWN) {
		c->type = res.type;
		c->dirty = true;
	}
	if (res.last_log_id > c->last_log_id) {
		c->last_log_id = res.last_log_id;
		c->fill_stuck = false;
		c->dirty = true;
	}
	if (res.n_member_ids > 0 && res.n_members == 0) {
		/* A big room: ids only, names by MEMBER (LOCO.md 6.28). */
		engine_chat_drop_members(c);
		c->member_ids = res.member_ids;
		c->n_member_ids = res.n_member_ids;
		c->member_next = 0;
		res.member_ids = NULL;
		res.n_member_ids = 0;
		loco_chatonroom_res_release(&res);
		if (c->dirty && c->reported && !engine_report_chat(e, c))
			return;
		engine_pump(e);
		return;
	}
	if (res.n_members > 0 && (int32_t)res.n_members != c->active_members) {
		c->active_members = (int32_t)res.n_members;
		c->dirty = true;
	}
	if (c->dirty && c->reported && !engine_report_chat(e, c)) {
		loco_chatonroom_res_release(&res);
		return;
	}
	if (!engine_members(e, c, res.members, res.n_members)) {
		loco_chatonroom_res_release(&res);
		return;
	}
	loco_chatonroom_res_release(&res);
	if ((c = engine_chat_find(e, r->chat_id)) != NULL)
		engine_room_again(c);
	engine_pump(e);
}

/* One MEMBER batch answered: collect, then report the whole room. */
static void
engine_on_member(struct loco_engine *e, struct engine_req *r,
    const struct loco_packet *pkt, const struct loco_error *err)
{
	struct loco_member_res res;
	struct engine_chat *c;
	struct loco_error derr;
	int32_t status;
	size_t i;
	bool ok;

	if ((c = engine_chat_find(e, r->chat_id)) != NULL)
		c->member_busy = false;
	if (engine_background_error(e, "MEMBER", err))
		return;
	if (c == NULL || c->member_ids == NULL) {
		engine_pump(e);
		return;
	}
	if ((status = loco_packet_status(pkt)) != 0 ||
	    loco_member_res_decode(&pkt->body, &res, &derr) != 0) {
		log_debug("%s: chat %lld: MEMBER failed (status %d)", __func__,
		    (long long)c->id, (int)status);
		engine_chat_drop_members(c);
		engine_room_again(c);
		engine_pump(e);
		return;
	}
	c->members = xreallocarray(c->members, c->n_members + res.n_members + 1,
	    sizeof *c->members);
	/* Take the decoded members over; the emptied shells free nothing. */
	for (i = 0; i < res.n_members; i++) {
		c->members[c->n_members++] = res.members[i];
		memset(&res.members[i], 0, sizeof res.members[i]);
	}
	loco_member_res_release(&res);
	c->member_next += (size_t)r->value;
	if (c->member_next < c->n_member_ids) {
		engine_pump(e);
		return;
	}
	ok = engine_members(e, c, c->members, c->n_members);
	if ((c = engine_chat_find(e, r->chat_id)) != NULL) {
		engine_chat_drop_members(c);
		engine_room_again(c);
	}
	if (ok)
		engine_pump(e);
}

/* A SYNCMSG page answered: deliver what is above the cursor, in order. */
static void
engine_on_syncmsg(struct loco_engine *e, struct engine_req *r,
    const struct loco_packet *pkt, const struct loco_error *err)
{
	struct loco_syncmsg_res res;
	struct engine_chat *c;
	struct loco_error derr;
	int64_t before;
	int32_t status;
	size_t i;

	if ((c = engine_chat_find(e, r->chat_id)) != NULL)
		c->filling = false;
	if (engine_background_error(e, "SYNCMSG", err))
		return;
	if (c == NULL) {
		engine_pump(e);
		return;
	}
	if ((status = loco_packet_status(pkt)) != 0 ||
	    loco_syncmsg_res_decode(&pkt->body, &res, &derr) != 0) {
		/* Tried again on the next session, not in a loop now. */
		log_debug("%s: chat %lld: SYNCMSG failed (status %d)", __func__,
		    (long long)c->id, (int)status);
		c->fill_stuck = true;
		engine_pump(e);
		return;
	}
	before = c->cursor;
	for (i = 0; i < res.n_chatlogs; i++) {
		struct loco_chatlog *cl = &res.chatlogs[i];

		if (cl->log_id <= c->cursor)
			continue;
		cl->chat_id = c->id;
		if (!engine_deliver(e, c, cl, NULL)) {
			loco_syncmsg_res_release(&res);
			return;
		}
	}
	/*
	 * Paging goes on while the cursor is below the known last log id.
	 * A page that brought nothing new while asking up to that id means
	 * the server has nothing more there (hidden or purged messages):
	 * stop rather than ask again forever.
	 */
	if (c->cursor == before && r->value >= c->last_log_id &&
	    c->cursor < c->last_log_id) {
		log_debug("%s: chat %lld: nothing between %lld and %lld",
		    __func__, (long long)c->id, (long long)c->cursor,
		    (long long)c->last_log_id);
		c->fill_stuck = true;
	}
	loco_syncmsg_res_release(&res);
	engine_pump(e);
}

/*
 * An owner command answered, refused, timed out or cut off by a close.
 * Its callback always runs from the event loop; a successful WRITE first
 * waits until its message has been delivered in order.
 */
static void
engine_on_command(struct loco_engine *e, struct engine_req *r,
    const struct loco_packet *pkt, const struct loco_error *err)
{
	struct loco_write_res wres;
	struct loco_setmeta_res mres;
	struct engine_chat *c;
	struct loco_error derr;

	if (e->dead) {
		engine_req_free(r);
		return;
	}
	if (pkt == NULL) {
		r->status = -1;
		r->has_err = true;
		r->err = *err;
		engine_done_later(e, r);
		return;
	}
	if ((r->status = loco_packet_status(pkt)) != 0) {
		r->has_err = true;
		loco_error_set(&r->err, LOCO_ERR_STATUS, "%s refused with %d",
		    pkt->hdr.method, (int)r->status);
		r->err.status = r->status;
		engine_done_later(e, r);
		return;
	}
	c = engine_chat_find(e, r->chat_id);
	switch (r->kind) {
	case ENGINE_REQ_WRITE:
		if (loco_write_res_decode(&pkt->body, &wres, &derr) != 0) {
			r->status = -1;
			r->has_err = true;
			r->err = derr;
			break;
		}
		r->has_cl = true;
		if (wres.has_chatlog) {
			r->cl = wres.chatlog;
			memset(&wres.chatlog, 0, sizeof wres.chatlog);
		} else {
			/* Older servers: build it as NK does (LOCO.md 2.2). */
			r->cl.log_id = wres.log_id;
			r->cl.prev_id = wres.prev_id;
			r->cl.author_id = e->user_id;
			r->cl.type = r->type;
			r->cl.send_at = wres.send_at;
			r->cl.msg_id = wres.msg_id;
			r->cl.message = xstrdup(r->text ? r->text : "");
			r->cl.attachment = xstrdup(r->extra ? r->extra : "");
		}
		r->cl.chat_id = r->chat_id;
		loco_write_res_release(&wres);
		if (c == NULL || r->cl.log_id <= c->cursor)
			break;
		TAILQ_INSERT_TAIL(&e->writes, r, entry);
		engine_offer(e, c, &r->cl, NULL);
		return;
	case ENGINE_REQ_NOTIREAD:
		if (c != NULL && r->value > c->last_seen_log_id)
			c->last_seen_log_id = r->value;
		if (e->cbs.read != NULL)
			e->cbs.read(e, r->chat_id, e->user_id, r->value,
			    e->arg);
		if (e->dead) {
			engine_req_free(r);
			return;
		}
		break;
	case ENGINE_REQ_SETMETA:
		if (loco_setmeta_res_decode(&pkt->body, &mres, &derr) != 0) {
			log_debug("%s: chat %lld: %s", __func__,
			    (long long)r->chat_id, derr.msg);
			break;
		}
		if (c != NULL)
			engine_set_meta(c, mres.meta.type,
			    mres.meta.content ? mres.meta.content : "");
		loco_setmeta_res_release(&mres);
		if (c != NULL && c->dirty && c->reported)
			(void)engine_report_chat(e, c);
		if (e->dead) {
			engine_req_free(r);
			return;
		}
		break;
	default:
		break;
	}
	engine_done_later(e, r);
}

/* MSG: a new message, delivered if it continues its chat's cursor. */
static void
engine_push_msg(struct loco_engine *e, const struct loco_packet *pkt)
{
	struct loco_msg_push m;
	struct loco_error err;
	struct engine_chat *c;

	if (loco_msg_push_decode(&pkt->body, &m, &err) != 0) {
		log_debug("%s: %s", __func__, err.msg);
		return;
	}
	if (m.chat_id == 0)
		m.chat_id = m.chatlog.chat_id;
	c = engine_chat_learn(e, m.chat_id);
	if (m.li != 0)
		c->link_id = m.li;
	m.chatlog.chat_id = m.chat_id;
	engine_offer(e, c, &m.chatlog, m.author_nickname);
	loco_msg_push_release(&m);
}

/* SYNCDLMSG (decision 7): a message was deleted; the feed is a message. */
static void
engine_push_syncdlmsg(struct loco_engine *e, const struct loco_packet *pkt)
{
	struct loco_syncdlmsg_push p;
	struct loco_error err;
	struct engine_chat *c;
	unsigned gen = e->gen;

	if (loco_syncdlmsg_push_decode(&pkt->body, &p, &err) != 0) {
		log_debug("%s: %s", __func__, err.msg);
		return;
	}
	if (e->cbs.deleted != NULL)
		e->cbs.deleted(e, p.chat_id, p.log_id, e->arg);
	if (!e->dead && e->gen == gen && p.has_chatlog &&
	    p.chatlog.log_id != 0) {
		c = engine_chat_learn(e, p.chat_id);
		p.chatlog.chat_id = p.chat_id;
		engine_offer(e, c, &p.chatlog, NULL);
	}
	loco_syncdlmsg_push_release(&p);
}

/* SYNCACTION: a reaction on a message. */
static void
engine_push_syncaction(struct loco_engine *e, const struct loco_packet *pkt)
{
	struct loco_syncaction_push p;
	struct loco_error err;

	if (loco_syncaction_push_decode(&pkt->body, &p, &err) != 0) {
		log_debug("%s: %s", __func__, err.msg);
		return;
	}
	if (e->cbs.reaction != NULL)
		e->cbs.reaction(e, p.chat_id, p.log_id, p.user_id, p.type,
		    e->arg);
	loco_syncaction_push_release(&p);
}

/* DECUNREAD: someone (maybe this account elsewhere) read up to a mark. */
static void
engine_push_decunread(struct loco_engine *e, const struct loco_packet *pkt)
{
	struct loco_decunread_push p;
	struct loco_error err;
	struct engine_chat *c;

	if (loco_decunread_push_decode(&pkt->body, &p, &err) != 0) {
		log_debug("%s: %s", __func__, err.msg);
		return;
	}
	if (p.user_id == e->user_id &&
	    (c = engine_chat_find(e, p.chat_id)) != NULL &&
	    p.watermark > c->last_seen_log_id)
		c->last_seen_log_id = p.watermark;
	if (e->cbs.read != NULL)
		e->cbs.read(e, p.chat_id, p.user_id, p.watermark, e->arg);
	loco_decunread_push_release(&p);
}

/*
 * The feed of NEWMEM/DELMEM is a message of the chat: it goes through
 * the cursor like any other, then each member named is reported.
 */
static void
engine_member_feed(struct loco_engine *e, int64_t chat_id,
    struct loco_chatlog *cl, bool joined)
{
	struct loco_feed f;
	struct loco_error err;
	struct engine_chat *c;
	unsigned gen = e->gen;
	bool self_left = false;
	size_t i;

	c = engine_chat_learn(e, chat_id);
	cl->chat_id = chat_id;
	if (!engine_offer(e, c, cl, NULL) || e->gen != gen)
		return;
	if (loco_feed_decode(cl->message, &f, &err) != 0) {
		log_debug("%s: chat %lld: %s", __func__, (long long)chat_id,
		    err.msg);
		return;
	}
	if (joined) {
		for (i = 0; i < f.n_members && e->gen == gen && !e->dead; i++)
			if (e->cbs.member_joined != NULL)
				e->cbs.member_joined(e, chat_id,
				    f.members[i].user_id, f.members[i].nickname,
				    e->arg);
	} else if (f.has_member) {
		if (e->cbs.member_left != NULL)
			e->cbs.member_left(e, chat_id, f.member.user_id,
			    f.member.nickname, e->arg);
		self_left = f.member.user_id == e->user_id;
	}
	loco_feed_release(&f);
	/* Kicked out of the room: as LEFT. */
	if (self_left && !e->dead && e->gen == gen)
		engine_chat_gone(e, chat_id);
}

/* NEWMEM: members joined (invite or open-link join). */
static void
engine_push_newmem(struct loco_engine *e, const struct loco_packet *pkt)
{
	struct loco_newmem p;
	struct loco_error err;

	if (loco_newmem_decode(&pkt->body, &p, &err) != 0) {
		log_debug("%s: %s", __func__, err.msg);
		return;
	}
	engine_member_feed(e, p.chat_id, &p.chatlog, true);
	loco_newmem_release(&p);
}

/* DELMEM: a member left or was kicked. */
static void
engine_push_delmem(struct loco_engine *e, const struct loco_packet *pkt)
{
	struct loco_delmem p;
	struct loco_error err;

	if (loco_delmem_decode(&pkt->body, &p, &err) != 0) {
		log_debug("%s: %s", __func__, err.msg);
		return;
	}
	engine_member_feed(e, p.chat_id, &p.chatlog, false);
	loco_delmem_release(&p);
}

/* CHGMETA: a chat's title or notice changed. */
static void
engine_push_chgmeta(struct loco_engine *e, const struct loco_packet *pkt)
{
	struct loco_chgmeta p;
	struct loco_error err;
	struct engine_chat *c;

	if (loco_chgmeta_decode(&pkt->body, &p, &err) != 0) {
		log_debug("%s: %s", __func__, err.msg);
		return;
	}
	if ((c = engine_chat_find(e, p.chat_id)) != NULL) {
		engine_set_meta(c, p.meta.type,
		    p.meta.content ? p.meta.content : "");
		if (c->dirty && c->reported)
			(void)engine_report_chat(e, c);
	}
	loco_chgmeta_release(&p);
}

/* LEFT: this account left a chat on another device. */
static void
engine_push_left(struct loco_engine *e, const struct loco_packet *pkt)
{
	struct loco_left p;
	struct loco_error err;
	unsigned gen = e->gen;
	int64_t chat_id;

	if (loco_left_decode(&pkt->body, &p, &err) != 0) {
		log_debug("%s: %s", __func__, err.msg);
		return;
	}
	chat_id = p.chat_id;
	if (p.last_token_id != 0)
		e->ls.last_token_id = p.last_token_id;
	loco_left_release(&p);
	if (!engine_chat_gone(e, chat_id) || e->gen != gen)
		return;
	engine_report_login_state(e);
}

/* SYNCJOIN: this account joined a chat; it is introduced and filled. */
static void
engine_push_syncjoin(struct loco_engine *e, const struct loco_packet *pkt)
{
	struct loco_syncjoin p;
	struct loco_error err;
	struct engine_chat *c;

	if (loco_syncjoin_decode(&pkt->body, &p, &err) != 0) {
		log_debug("%s: %s", __func__, err.msg);
		return;
	}
	c = engine_chat_learn(e, p.chat_id);
	if (p.chatlog.log_id != 0) {
		p.chatlog.chat_id = p.chat_id;
		engine_offer(e, c, &p.chatlog, NULL);
	} else
		engine_pump(e);
	loco_syncjoin_release(&p);
}

/* KICKOUT (decision 10): 0/1 stop for good, +-2 move like CHANGESVR. */
static void
engine_push_kickout(struct loco_engine *e, const struct loco_packet *pkt)
{
	struct loco_kickout k;
	struct loco_error err;

	if (loco_kickout_decode(&pkt->body, &k, &err) != 0)
		k.reason = LOCO_KICKOUT_OTHER_DEVICE;
	switch (k.reason) {
	case LOCO_KICKOUT_CHANGE_SERVER:
	case LOCO_KICKOUT_CHANGE_SERVER_NK:
		engine_drop_session(e);
		e->backoff_ms = e->cfg.backoff_min_ms;
		engine_begin(e, "server asked to change servers (KICKOUT)");
		return;
	case LOCO_KICKOUT_ACCOUNT_DELETED:
		engine_stop_for(e, LOCO_ENGINE_STOP_KICKED,
		    "kicked out: the account was deleted (KICKOUT 1)");
		return;
	case LOCO_KICKOUT_OTHER_DEVICE:
		engine_stop_for(e, LOCO_ENGINE_STOP_KICKED,
		    "kicked out: another device logged in to this slot "
		    "(KICKOUT 0)");
		return;
	default:
		/* Unknown: reconnecting could kick someone back and forth. */
		engine_stop_for(e, LOCO_ENGINE_STOP_KICKED,
		    "kicked out by the server (KICKOUT %d)", (int)k.reason);
	}
}

/* CHANGESVR: full reconnect from booking, at once. */
static void
engine_push_changesvr(struct loco_engine *e, const struct loco_packet *pkt)
{
	(void)pkt;
	engine_drop_session(e);
	e->backoff_ms = e->cfg.backoff_min_ms;
	engine_begin(e, "server asked to change servers");
}

/* The transport is up: send what this phase starts with. */
static void
engine_connected_cb(struct loco_conn *conn, void *arg)
{
	struct loco_engine *e = arg;

	if (e->dead || conn != e->conn)
		return;
	switch (e->phase) {
	case ENGINE_PHASE_BOOKING:
		engine_send_getconf(e);
		break;
	case ENGINE_PHASE_CHECKIN:
		engine_send_checkin(e);
		break;
	case ENGINE_PHASE_CHAT:
		engine_send_loginlist(e);
		break;
	case ENGINE_PHASE_NONE:
		break;
	}
}

/* A push (LOCO.md 2.12): dispatch on the method; unknown ones drop. */
static void
engine_packet_cb(struct loco_conn *conn, const struct loco_packet *pkt,
    void *arg)
{
	struct loco_engine *e = arg;
	char name[LOCO_METHOD_LEN * 4 + 1];
	size_t i;

	if (e->dead || conn != e->conn)
		return;
	clock_gettime(CLOCK_MONOTONIC, &e->last_rx);
	if (e->phase != ENGINE_PHASE_CHAT) {
		log_debug("%s: %s push during the bootstrap dropped", __func__,
		    log_escape(name, sizeof name, pkt->hdr.method,
		        strlen(pkt->hdr.method)));
		return;
	}
	for (i = 0; i < sizeof engine_pushes / sizeof engine_pushes[0]; i++)
		if (strcmp(pkt->hdr.method, engine_pushes[i].method) == 0) {
			engine_pushes[i].fn(e, pkt);
			return;
		}
	log_debug("%s: unknown push %s dropped", __func__,
	    log_escape(name, sizeof name, pkt->hdr.method,
	        strlen(pkt->hdr.method)));
}

/* The connection ended without our asking. */
static void
engine_closed_cb(struct loco_conn *conn, const struct loco_error *err,
    void *arg)
{
	struct loco_engine *e = arg;
	enum engine_phase phase = e->phase;

	if (e->dead || conn != e->conn)
		return;
	/* It is going away by itself: do not close it again. */
	e->conn = NULL;
	switch (phase) {
	case ENGINE_PHASE_BOOKING:
		engine_booking_failed(e, err->msg);
		break;
	case ENGINE_PHASE_CHECKIN:
		engine_fail(e, "check-in connection lost: %s", err->msg);
		break;
	default:
		engine_fail(e, "connection lost: %s", err->msg);
		break;
	}
}

/* Every reply (or its absence) comes here with its request context. */
static void
engine_reply_cb(struct loco_conn *conn, const struct loco_packet *pkt,
    const struct loco_error *err, void *arg)
{
	struct engine_req *r = arg;
	struct loco_engine *e = r->e;

	(void)conn;
	if (r->background && r->gen == e->gen && e->in_flight > 0)
		e->in_flight--;
	if (pkt != NULL && r->gen == e->gen)
		clock_gettime(CLOCK_MONOTONIC, &e->last_rx);
	if (engine_req_is_command(r->kind)) {
		engine_on_command(e, r, pkt, err);
		return;
	}
	if (e->dead || r->gen != e->gen) {
		engine_req_free(r);
		return;
	}
	switch (r->kind) {
	case ENGINE_REQ_GETCONF:
		engine_on_getconf(e, r, pkt, err);
		break;
	case ENGINE_REQ_CHECKIN:
		engine_on_checkin(e, r, pkt, err);
		break;
	case ENGINE_REQ_LOGINLIST:
		engine_on_loginlist(e, r, pkt, err);
		break;
	case ENGINE_REQ_LCHATLIST:
		engine_on_lchatlist(e, r, pkt, err);
		break;
	case ENGINE_REQ_PING:
		engine_on_ping(e, r, pkt, err);
		break;
	case ENGINE_REQ_CHATINFO:
		engine_on_chatinfo(e, r, pkt, err);
		break;
	case ENGINE_REQ_CHATONROOM:
		engine_on_chatonroom(e, r, pkt, err);
		break;
	case ENGINE_REQ_MEMBER:
		engine_on_member(e, r, pkt, err);
		break;
	case ENGINE_REQ_SYNCMSG:
		engine_on_syncmsg(e, r, pkt, err);
		break;
	default:
		break;
	}
	engine_req_free(r);
}

/* The backoff delay is over: try again from booking. */
static void
engine_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct loco_engine *e = arg;

	(void)fd;
	(void)what;
	if (!e->dead && e->state == LOCO_ENGINE_BACKOFF)
		engine_begin(e, NULL);
}

/* PING cadence: a silent or unanswering server is dead (LOCO.md 1.10). */
static void
engine_ping_cb(evutil_socket_t fd, short what, void *arg)
{
	struct loco_engine *e = arg;
	struct engine_req *r;
	struct loco_error err;
	struct timeval tv;
	long long quiet;

	(void)fd;
	(void)what;
	if (e->dead || e->conn == NULL || e->phase != ENGINE_PHASE_CHAT)
		return;
	quiet = engine_elapsed_ms(&e->last_rx);
	if (quiet >= 2000LL * e->ping_s) {
		engine_fail(e, "nothing heard from the server for %lld s",
		    quiet / 1000);
		return;
	}
	engine_ms_tv(e->ping_s * 1000, &tv);
	evtimer_add(e->ping_ev, &tv);
	if (e->ping_busy)
		return;
	r = engine_req_new(e, ENGINE_REQ_PING, 0);
	if (engine_send(e, r, "PING", NULL, 2000 * e->ping_s, &err) != 0) {
		engine_req_free(r);
		log_debug("%s: %s", __func__, err.msg);
		return;
	}
	e->ping_busy = true;
}

/* Run the queued command callbacks, each exactly once. */
static void
engine_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct loco_engine *e = arg;
	struct engine_req *r;

	(void)fd;
	(void)what;
	while (!e->dead && (r = TAILQ_FIRST(&e->done)) != NULL) {
		TAILQ_REMOVE(&e->done, r, entry);
		if (r->kind == ENGINE_REQ_WRITE) {
			if (r->write_cb != NULL)
				r->write_cb(e, r->status,
				    r->status == 0 && r->has_cl ? &r->cl : NULL,
				    r->has_err ? &r->err : NULL, r->arg);
		} else if (r->done_cb != NULL)
			r->done_cb(e, r->status, r->has_err ? &r->err : NULL,
			    r->arg);
		engine_req_free(r);
	}
}

/* The deferred half of loco_engine_free. */
static void
engine_destroy_cb(evutil_socket_t fd, short what, void *arg)
{
	struct loco_engine *e = arg;
	struct engine_req *r;
	size_t i;

	(void)fd;
	(void)what;
	while ((r = TAILQ_FIRST(&e->done)) != NULL) {
		TAILQ_REMOVE(&e->done, r, entry);
		engine_req_free(r);
	}
	while ((r = TAILQ_FIRST(&e->writes)) != NULL) {
		TAILQ_REMOVE(&e->writes, r, entry);
		engine_req_free(r);
	}
	for (i = 0; i < e->n_chats; i++)
		engine_chat_free(e->chats[i]);
	free(e->chats);
	event_free(e->retry_ev);
	event_free(e->ping_ev);
	event_free(e->done_ev);
	if (e->token != NULL)
		xfree_secret(e->token, strlen(e->token));
	free((char *)e->cfg.device_uuid);
	free((char *)e->cfg.os);
	free((char *)e->cfg.app_version);
	free((char *)e->cfg.mccmnc);
	free((char *)e->cfg.lang);
	free((char *)e->cfg.country_iso);
	free((char *)e->cfg.booking_host);
	free((char *)e->cfg.checkin_fallback_host);
	free(e->chat_host);
	SSL_CTX_free(e->tls);
	EVP_PKEY_free(e->rsa);
	free(e);
}

/* The chat a command is for, if the engine can send one now. */
static struct engine_chat *
engine_command_chat(struct loco_engine *e, int64_t chat_id,
    struct loco_error *err)
{
	struct engine_chat *c;

	if (e->dead || e->conn == NULL ||
	    (e->state != LOCO_ENGINE_ONLINE &&
	        e->state != LOCO_ENGINE_SYNCING)) {
		loco_error_set(err, LOCO_ERR_CLOSED, "not logged in (%s)",
		    loco_engine_state_name(e->state));
		return NULL;
	}
	if ((c = engine_chat_find(e, chat_id)) == NULL || !c->confirmed) {
		loco_error_set(err, LOCO_ERR_CONFIG, "unknown chat %lld",
		    (long long)chat_id);
		return NULL;
	}
	return c;
}

/* xstrdup of s, or of def when s is NULL or empty. */
static char *
engine_strdup_or(const char *s, const char *def)
{
	return xstrdup(s != NULL && *s != '\0' ? s : def);
}

/* Copy the configuration, state and cursors; nothing connects yet. */
struct loco_engine *
loco_engine_new(struct event_base *base, struct evdns_base *dns,
    const struct loco_engine_config *cfg, const struct loco_login_state *state,
    const struct loco_cursor *cursors, size_t n_cursors,
    const struct loco_engine_cbs *cbs, void *arg, struct loco_error *err)
{
	struct loco_engine *e;
	struct engine_chat *c;
	size_t i;

	if (base == NULL || cfg == NULL) {
		loco_error_set(err, LOCO_ERR_CONFIG, "no event base or config");
		return NULL;
	}
	if (cfg->user_id == 0 || cfg->access_token == NULL ||
	    *cfg->access_token == '\0' || cfg->device_uuid == NULL ||
	    *cfg->device_uuid == '\0' || cfg->app_version == NULL ||
	    *cfg->app_version == '\0') {
		loco_error_set(err, LOCO_ERR_CONFIG,
		    "user id, access token, device uuid and app version are "
		    "required");
		return NULL;
	}
	if (cfg->booking_host == NULL && cfg->checkin_fallback_host == NULL) {
		loco_error_set(err, LOCO_ERR_CONFIG,
		    "neither a booking nor a check-in host");
		return NULL;
	}
	if (cfg->booking_host != NULL && cfg->booking_tls == NULL) {
		loco_error_set(err, LOCO_ERR_CONFIG,
		    "booking needs a TLS context");
		return NULL;
	}
	if (cfg->rsa_public == NULL || !loco_key_is_usable(cfg->rsa_public)) {
		loco_error_set(err, LOCO_ERR_CONFIG,
		    "no usable RSA public key for the secure layer");
		return NULL;
	}
	if (cfg->cipher != LOCO_CIPHER_GCM && cfg->cipher != LOCO_CIPHER_CFB) {
		loco_error_set(err, LOCO_ERR_CONFIG, "unknown cipher %d",
		    (int)cfg->cipher);
		return NULL;
	}

	e = xcalloc(1, sizeof *e);
	e->base = base;
	e->dns = dns;
	e->cfg = *cfg;
	e->cfg.access_token = NULL;
	e->token = xstrdup(cfg->access_token);
	e->cfg.device_uuid = xstrdup(cfg->device_uuid);
	e->cfg.os = engine_strdup_or(cfg->os, "mac");
	e->cfg.app_version = xstrdup(cfg->app_version);
	e->cfg.mccmnc = engine_strdup_or(cfg->mccmnc, "999");
	e->cfg.lang = engine_strdup_or(cfg->lang, "ko");
	e->cfg.country_iso = engine_strdup_or(cfg->country_iso, "KR");
	e->cfg.booking_host =
	    cfg->booking_host ? xstrdup(cfg->booking_host) : NULL;
	e->cfg.checkin_fallback_host = cfg->checkin_fallback_host
	    ? xstrdup(cfg->checkin_fallback_host)
	    : NULL;
	if (e->cfg.dtype == 0)
		e->cfg.dtype = 2;
	if (e->cfg.key_encrypt_type == 0)
		e->cfg.key_encrypt_type = cfg->cipher == LOCO_CIPHER_CFB
		    ? LOCO_KEY_ENCRYPT_OAEP_LEGACY
		    : LOCO_KEY_ENCRYPT_OAEP;
	if (e->cfg.request_timeout_ms == 0)
		e->cfg.request_timeout_ms = ENGINE_REQUEST_TIMEOUT_DEFAULT_MS;
	if (e->cfg.backoff_min_ms == 0)
		e->cfg.backoff_min_ms = ENGINE_BACKOFF_MIN_DEFAULT_MS;
	if (e->cfg.backoff_max_ms == 0)
		e->cfg.backoff_max_ms = ENGINE_BACKOFF_MAX_DEFAULT_MS;
	if (e->cfg.backoff_max_ms < e->cfg.backoff_min_ms)
		e->cfg.backoff_max_ms = e->cfg.backoff_min_ms;
	if (e->cfg.ping_interval > ENGINE_PING_MAX_S)
		e->cfg.ping_interval = ENGINE_PING_MAX_S;
	if (e->cfg.sync_page == 0)
		e->cfg.sync_page = ENGINE_SYNC_PAGE_DEFAULT;
	if (e->cfg.sync_page > ENGINE_SYNC_PAGE_MAX)
		e->cfg.sync_page = ENGINE_SYNC_PAGE_MAX;
	e->tls = cfg->booking_tls;
	if (e->tls != NULL)
		SSL_CTX_up_ref(e->tls);
	e->rsa = cfg->rsa_public;
	EVP_PKEY_up_ref(e->rsa);
	e->cfg.booking_tls = NULL;
	e->cfg.rsa_public = NULL;
	if (cbs != NULL)
		e->cbs = *cbs;
	e->arg = arg;
	e->state = LOCO_ENGINE_IDLE;
	if (state != NULL)
		e->ls = *state;
	e->ls_reported = e->ls;
	e->user_id = cfg->user_id;
	e->backoff_ms = e->cfg.backoff_min_ms;
	e->next_msg_id = (int64_t)time(NULL) * 1000;
	TAILQ_INIT(&e->writes);
	TAILQ_INIT(&e->done);
	for (i = 0; i < n_cursors; i++) {
		if ((c = engine_chat_find(e, cursors[i].chat_id)) == NULL)
			c = engine_chat_add(e, cursors[i].chat_id);
		if (cursors[i].last_log_id > c->cursor)
			c->cursor = cursors[i].last_log_id;
		if (c->cursor > c->last_log_id)
			c->last_log_id = c->cursor;
	}
	e->retry_ev = evtimer_new(base, engine_retry_cb, e);
	e->ping_ev = evtimer_new(base, engine_ping_cb, e);
	e->done_ev = evtimer_new(base, engine_done_cb, e);
	if (e->retry_ev == NULL || e->ping_ev == NULL || e->done_ev == NULL)
		fatalx("%s: out of memory", __func__);
	return e;
}

/* Begin the bootstrap from IDLE or STOPPED. */
void
loco_engine_start(struct loco_engine *e)
{
	if (e == NULL || e->dead ||
	    (e->state != LOCO_ENGINE_IDLE && e->state != LOCO_ENGINE_STOPPED))
		return;
	e->backoff_ms = e->cfg.backoff_min_ms;
	e->refresh_tried = false;
	engine_begin(e, NULL);
}

/* End the session and stay STOPPED until started again. */
void
loco_engine_stop(struct loco_engine *e)
{
	if (e == NULL || e->dead || e->state == LOCO_ENGINE_STOPPED)
		return;
	engine_stop_for(e, LOCO_ENGINE_STOP_REQUESTED, "stopped by request");
}

/* Stop without callbacks and free from the event loop. */
void
loco_engine_free(struct loco_engine *e)
{
	if (e == NULL || e->dead)
		return;
	e->dead = true;
	engine_drop_session(e);
	evtimer_del(e->retry_ev);
	evtimer_del(e->done_ev);
	if (event_base_once(e->base, -1, EV_TIMEOUT, engine_destroy_cb, e,
	        &engine_zero_tv) != 0)
		fatalx("%s: cannot schedule the engine's free", __func__);
}

/* The current state. */
enum loco_engine_state
loco_engine_get_state(const struct loco_engine *e)
{
	return e->state;
}

/* A lower-case name for s, for logs and tests. */
const char *
loco_engine_state_name(enum loco_engine_state s)
{
	if ((size_t)s >=
	    sizeof engine_state_names / sizeof engine_state_names[0])
		return "unknown";
	return engine_state_names[s];
}

/* Replace the access token, wiping the old one. */
void
loco_engine_set_token(struct loco_engine *e, const char *token)
{
	if (e == NULL || token == NULL)
		return;
	if (e->token != NULL)
		xfree_secret(e->token, strlen(e->token));
	e->token = xstrdup(token);
}

/* WRITE a message; cb gets the stored chatLog once it is delivered. */
int
loco_engine_write(struct loco_engine *e, int64_t chat_id, int32_t type,
    const char *text, const char *extra, loco_engine_write_cb cb, void *arg,
    struct loco_error *err)
{
	struct loco_write_req q;
	struct engine_req *r;
	bson_t body;
	int rc;

	if (engine_command_chat(e, chat_id, err) == NULL)
		return -1;
	memset(&q, 0, sizeof q);
	q.chat_id = chat_id;
	q.msg_id = ++e->next_msg_id;
	q.msg = (char *)(text != NULL ? text : "");
	q.type = type != 0 ? type : LOCO_MSG_TEXT;
	/* NK's choice in a disputed field (LOCO.md 2.2). */
	q.no_seen = true;
	q.extra = (char *)extra;
	bson_init(&body);
	loco_write_req_encode(&q, &body);
	r = engine_req_new(e, ENGINE_REQ_WRITE, chat_id);
	r->type = q.type;
	r->text = xstrdup(q.msg);
	r->extra = extra != NULL ? xstrdup(extra) : NULL;
	r->write_cb = cb;
	r->arg = arg;
	if ((rc = engine_send(e, r, "WRITE", &body, 0, err)) != 0)
		engine_req_free(r);
	bson_destroy(&body);
	return rc;
}

/* Send a command whose answer is only a status. */
static int
engine_simple_command(struct loco_engine *e, enum engine_req_kind kind,
    int64_t chat_id, int64_t value, const char *method, const bson_t *body,
    loco_engine_done_cb cb, void *arg, struct loco_error *err)
{
	struct engine_req *r = engine_req_new(e, kind, chat_id);

	r->value = value;
	r->done_cb = cb;
	r->arg = arg;
	if (engine_send(e, r, method, body, 0, err) != 0) {
		engine_req_free(r);
		return -1;
	}
	return 0;
}

/* DELETEMSG for everyone. */
int
loco_engine_delete(struct loco_engine *e, int64_t chat_id, int64_t log_id,
    loco_engine_done_cb cb, void *arg, struct loco_error *err)
{
	struct loco_deletemsg_req q;
	bson_t body;
	int rc;

	if (engine_command_chat(e, chat_id, err) == NULL)
		return -1;
	q.chat_id = chat_id;
	q.log_id = log_id;
	bson_init(&body);
	loco_deletemsg_req_encode(&q, &body);
	rc = engine_simple_command(e, ENGINE_REQ_DELETE, chat_id, log_id,
	    "DELETEMSG", &body, cb, arg, err);
	bson_destroy(&body);
	return rc;
}

/* ACTION: react to a message. */
int
loco_engine_react(struct loco_engine *e, int64_t chat_id, int64_t log_id,
    int32_t type, loco_engine_done_cb cb, void *arg, struct loco_error *err)
{
	struct loco_action_req q;
	bson_t body;
	int rc;

	if (engine_command_chat(e, chat_id, err) == NULL)
		return -1;
	q.chat_id = chat_id;
	q.log_id = log_id;
	q.type = type;
	bson_init(&body);
	loco_action_req_encode(&q, &body);
	rc = engine_simple_command(e, ENGINE_REQ_REACT, chat_id, log_id,
	    "ACTION", &body, cb, arg, err);
	bson_destroy(&body);
	return rc;
}

/* NOTIREAD up to watermark, never backwards. */
int
loco_engine_mark_read(struct loco_engine *e, int64_t chat_id, int64_t watermark,
    loco_engine_done_cb cb, void *arg, struct loco_error *err)
{
	struct loco_notiread_req q;
	struct engine_chat *c;
	bson_t body;
	int rc;

	if ((c = engine_command_chat(e, chat_id, err)) == NULL)
		return -1;
	q.chat_id = chat_id;
	/* Only ever forward: an older mark repeats the current one. */
	q.watermark =
	    watermark > c->last_seen_log_id ? watermark : c->last_seen_log_id;
	q.li = loco_chat_type_is_open(c->type) ? c->link_id : 0;
	bson_init(&body);
	loco_notiread_req_encode(&q, &body);
	rc = engine_simple_command(e, ENGINE_REQ_NOTIREAD, chat_id, q.watermark,
	    "NOTIREAD", &body, cb, arg, err);
	bson_destroy(&body);
	return rc;
}

/* CHATONROOM again; the list comes through cbs->members. */
int
loco_engine_refresh_members(struct loco_engine *e, int64_t chat_id,
    struct loco_error *err)
{
	struct engine_chat *c;

	if ((c = engine_command_chat(e, chat_id, err)) == NULL)
		return -1;
	if (c->room == ENGINE_FETCH_BUSY || c->member_ids != NULL)
		c->room_again = true;
	else
		c->room = ENGINE_FETCH_WANTED;
	engine_pump(e);
	return 0;
}

/* SETMETA for the title or the notice. */
int
loco_engine_set_meta(struct loco_engine *e, int64_t chat_id, int32_t type,
    const char *content, loco_engine_done_cb cb, void *arg,
    struct loco_error *err)
{
	struct loco_setmeta_req q;
	bson_t body;
	int rc;

	if (type != LOCO_META_TITLE && type != LOCO_META_NOTICE) {
		loco_error_set(err, LOCO_ERR_CONFIG,
		    "meta type %d is neither title (3) nor notice (1)",
		    (int)type);
		return -1;
	}
	if (engine_command_chat(e, chat_id, err) == NULL)
		return -1;
	q.chat_id = chat_id;
	q.type = type;
	q.content = (char *)(content != NULL ? content : "");
	bson_init(&body);
	loco_setmeta_req_encode(&q, &body);
	rc = engine_simple_command(e, ENGINE_REQ_SETMETA, chat_id, type,
	    "SETMETA", &body, cb, arg, err);
	bson_destroy(&body);
	return rc;
}
