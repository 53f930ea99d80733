/* locoirc: see LICENSE.
 *
 * The client engine: logs one account in over LOCO (booking over TLS,
 * checkin, LOGINLIST, LCHATLIST), keeps the session alive (PING, CHANGESVR,
 * reconnect with backoff), and keeps a complete, ordered view of every
 * chat by catching up with SYNCMSG after each (re)connect and on every gap.
 * It stores nothing: its owner hands it the saved login state and per-chat
 * cursors at start and learns of every change through callbacks.
 */
#ifndef LOCOIRC_PROTOCOL_LOCO_ENGINE_H
#define LOCOIRC_PROTOCOL_LOCO_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "loco-chat.h"
#include "loco-chatlog.h"
#include "loco-error.h"
#include "loco-secure.h"

struct event_base;
struct evdns_base;
struct loco_engine;

/* Where the engine is; every change is reported once through state_cb. */
enum loco_engine_state {
	LOCO_ENGINE_IDLE = 0, /* created, not started */
	LOCO_ENGINE_BOOKING,  /* GETCONF over TLS */
	LOCO_ENGINE_CHECKIN,  /* CHECKIN over the secure layer */
	LOCO_ENGINE_LOGIN,    /* LOGINLIST and LCHATLIST pages */
	LOCO_ENGINE_SYNCING,  /* filling chats above their cursors */
	LOCO_ENGINE_ONLINE,   /* caught up; pushes flow */
	LOCO_ENGINE_BACKOFF,  /* waiting to reconnect after a failure */
	LOCO_ENGINE_STOPPED,  /* terminal: kicked, token dead, too old */
};

/* Why the engine stopped for good (LOCO.md decision 10, section 3). */
enum loco_engine_stop {
	LOCO_ENGINE_STOP_NONE = 0,
	LOCO_ENGINE_STOP_REQUESTED,  /* loco_engine_stop() */
	LOCO_ENGINE_STOP_KICKED,     /* KICKOUT reason 0/1: another device */
	LOCO_ENGINE_STOP_TOKEN,      /* -950 and the refresh did not help */
	LOCO_ENGINE_STOP_UPGRADE,    /* -999: app_version too old */
	LOCO_ENGINE_STOP_RESTRICTED, /* -997, -304, -444, -445, -805 */
};

/* Everything needed to reach and log in to a LOCO server. Strings are
 * copied by loco_engine_new. */
/*
 * user_id, access_token, device_uuid, app_version and rsa_public are
 * required, and booking_host (with booking_tls) or checkin_fallback_host.
 * Other NULL strings mean os "mac", mccmnc "999", lang "ko", country_iso
 * "KR"; dtype 0 means 2; key_encrypt_type 0 means 16 for GCM and 12 for
 * CFB. booking_tls and rsa_public get a reference of their own.
 */
struct loco_engine_config {
	int64_t user_id;
	const char *access_token; /* secret */
	const char *device_uuid;
	const char *os; /* "mac" */
	const char *app_version;
	int32_t dtype; /* 2 */
	int32_t ntype; /* 0 */
	const char *mccmnc;
	const char *lang;
	const char *country_iso;
	const char *booking_host; /* booking-loco.kakao.com */
	uint16_t booking_port;    /* 443 */
	SSL_CTX *booking_tls;     /* borrowed; verifies the booking server */
	const char *checkin_fallback_host; /* NULL = none */
	uint16_t checkin_fallback_port;
	EVP_PKEY *rsa_public;        /* borrowed; the secure-layer key */
	uint32_t key_encrypt_type;   /* 16 */
	enum loco_cipher cipher;     /* GCM */
	unsigned ping_interval;      /* seconds; 0 = GETCONF fgPingItv or 60 */
	unsigned request_timeout_ms; /* 0 = 30 s */
	unsigned backoff_min_ms;     /* 0 = 2000 */
	unsigned backoff_max_ms;     /* 0 = 60000 */
	unsigned sync_page;          /* SYNCMSG cnt; 0 = 50 */
};

/* The saved login state handed in at start and reported on change. */
struct loco_login_state {
	int32_t revision;
	int64_t last_token_id;
	int32_t lbk;
};

/* A chat's cursor: the highest log id the owner has durably stored. */
struct loco_cursor {
	int64_t chat_id;
	int64_t last_log_id;
};

/* A chat as the engine knows it; strings borrowed for the callback. */
struct loco_engine_chat {
	int64_t chat_id;
	enum loco_chat_type type;
	const char *title;        /* meta 3, or NULL */
	const char *notice;       /* meta 1, or NULL */
	int64_t link_id;          /* open chats */
	int64_t last_log_id;      /* newest message the server has */
	int64_t last_seen_log_id; /* this account's read watermark */
	int32_t active_members;
	const int64_t *icon_user_ids; /* chatDatas "i"; n_icons entries */
	char *const *icon_nicknames;  /* chatDatas "k"; n_icons entries */
	size_t n_icons;
};

/*
 * The owner's callbacks (a vtable: BitlBee's bee_ui_funcs shape). Every
 * pointer argument is borrowed for the call. Any may be NULL.
 */
struct loco_engine_cbs {
	/* The state changed; detail is one human sentence for logs and
	 * users ("reconnecting in 4 s: connection reset"). why is set with
	 * LOCO_ENGINE_STOPPED. */
	void (*state)(struct loco_engine *e, enum loco_engine_state state,
	    enum loco_engine_stop why, const char *detail, void *arg);
	/* The login state to hand back at the next start changed. */
	void (*login_state)(struct loco_engine *e,
	    const struct loco_login_state *ls, void *arg);
	/* A chat is new or its name, notice, members count or last log id
	 * changed. */
	void (*chat)(struct loco_engine *e, const struct loco_engine_chat *c,
	    void *arg);
	/* This account is no longer in chat_id (delChatIds, LEFT). */
	void (*chat_gone)(struct loco_engine *e, int64_t chat_id, void *arg);
	/* The full member list of chat_id (CHATONROOM/GETMEM/MEMBER). */
	void (*members)(struct loco_engine *e, int64_t chat_id,
	    const struct loco_member *m, size_t n, void *arg);
	/* One member joined (NEWMEM) or left (DELMEM) chat_id. */
	void (*member_joined)(struct loco_engine *e, int64_t chat_id,
	    int64_t user_id, const char *nickname, void *arg);
	void (*member_left)(struct loco_engine *e, int64_t chat_id,
	    int64_t user_id, const char *nickname, void *arg);
	/*
	 * A message above the chat's cursor, in log id order per chat,
	 * exactly once: after this call the owner's cursor for cl->chat_id
	 * is cl->log_id (it should store both together). nickname is the
	 * author's open-chat nickname when the server sent one, else NULL.
	 */
	void (*message)(struct loco_engine *e, const struct loco_chatlog *cl,
	    const char *nickname, void *arg);
	/* log_id of chat_id was deleted for everyone. */
	void (*deleted)(struct loco_engine *e, int64_t chat_id, int64_t log_id,
	    void *arg);
	/* user_id reacted (type 1 = like) to log_id. */
	void (*reaction)(struct loco_engine *e, int64_t chat_id, int64_t log_id,
	    int64_t user_id, int32_t type, void *arg);
	/* user_id (possibly this account on another device) has read
	 * chat_id up to watermark. */
	void (*read)(struct loco_engine *e, int64_t chat_id, int64_t user_id,
	    int64_t watermark, void *arg);
	/*
	 * LOGINLIST said -950. The owner may fetch a new token and call
	 * loco_engine_set_token() before returning true; the engine then
	 * retries once. false (or NULL) stops with LOCO_ENGINE_STOP_TOKEN.
	 * The retry is a fresh bootstrap from booking; a -950 at CHECKIN
	 * is treated the same way.
	 */
	bool (*refresh_token)(struct loco_engine *e, void *arg);
};

/* Answer to a request made through the engine, exactly once. status is
 * LOCO's (0 = success); err is set when no answer came (status -1). */
typedef void (*loco_engine_done_cb)(struct loco_engine *e, int32_t status,
    const struct loco_error *err, void *arg);
/* Answer to a WRITE: cl is the stored message (NULL on failure). */
/*
 * A successful WRITE's callback runs after its message went through the
 * message callback, or, if the engine stops (or the account leaves the
 * chat) before the message's turn came, at the stop with status 0: the
 * message then arrives through the message callback after a restart.
 */
typedef void (*loco_engine_write_cb)(struct loco_engine *e, int32_t status,
    const struct loco_chatlog *cl, const struct loco_error *err, void *arg);

/*
 * Make an engine. cfg, state and cursors are copied; cbs is copied and arg
 * passed to every callback. dns may be NULL when every host is numeric.
 * Returns NULL with err for an unusable configuration.
 */
struct loco_engine *loco_engine_new(struct event_base *base,
    struct evdns_base *dns, const struct loco_engine_config *cfg,
    const struct loco_login_state *state, const struct loco_cursor *cursors,
    size_t n_cursors, const struct loco_engine_cbs *cbs, void *arg,
    struct loco_error *err);

/* Start connecting (from IDLE or STOPPED). */
void loco_engine_start(struct loco_engine *e);

/* Disconnect and stay STOPPED (LOCO_ENGINE_STOP_REQUESTED). */
void loco_engine_stop(struct loco_engine *e);

/* Stop and free; no callback runs during or after. NULL is a no-op. */
/*
 * Safe inside any engine callback: the memory goes from a zero-timeout
 * event (as loco_conn's does), so run the event loop once more before
 * event_base_free.
 */
void loco_engine_free(struct loco_engine *e);

enum loco_engine_state loco_engine_get_state(const struct loco_engine *e);
const char *loco_engine_state_name(enum loco_engine_state s);

/* Replace the access token (copied; the old one is wiped). */
void loco_engine_set_token(struct loco_engine *e, const char *token);

/*
 * Commands. Each fails at once (-1, err) when the engine is not ONLINE or
 * SYNCING, or the chat is unknown; otherwise cb runs exactly once later.
 */
int loco_engine_write(struct loco_engine *e, int64_t chat_id, int32_t type,
    const char *text, const char *extra, loco_engine_write_cb cb, void *arg,
    struct loco_error *err);
int loco_engine_delete(struct loco_engine *e, int64_t chat_id, int64_t log_id,
    loco_engine_done_cb cb, void *arg, struct loco_error *err);
int loco_engine_react(struct loco_engine *e, int64_t chat_id, int64_t log_id,
    int32_t type, loco_engine_done_cb cb, void *arg, struct loco_error *err);
/* NOTIREAD up to watermark (only ever forward). cb may be NULL. */
int loco_engine_mark_read(struct loco_engine *e, int64_t chat_id,
    int64_t watermark, loco_engine_done_cb cb, void *arg,
    struct loco_error *err);
/* Ask for chat_id's members again; they arrive through cbs->members. */
int loco_engine_refresh_members(struct loco_engine *e, int64_t chat_id,
    struct loco_error *err);
/* Set the title (meta 3) or notice (meta 1) of a chat. */
int loco_engine_set_meta(struct loco_engine *e, int64_t chat_id, int32_t type,
    const char *content, loco_engine_done_cb cb, void *arg,
    struct loco_error *err);

#endif
