/* locoirc: see LICENSE.
 *
 * What the engine tests share: a world for locosim, the simulator and the
 * engine on one event_base, and an "owner" that records every engine
 * callback the way the gateway's store would, checks the per-chat order
 * of messages as they arrive, and compares what it got with locosim's
 * chat logs. Waits run the loop until a condition holds or a deadline
 * passes; nothing sleeps.
 */
#ifndef LOCOIRC_TESTS_T_ENGINE_LIB_H
#define LOCOIRC_TESTS_T_ENGINE_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "loco-engine.h"
#include "loco-secure.h"

struct event;
struct event_base;
struct locosim;

/* The account the engine logs in as, and the other users. */
#define TE_UA INT64_C(5000000001) /* Alice: the engine's account */
#define TE_UB INT64_C(5000000002) /* Bob */
#define TE_UC INT64_C(5000000003) /* Carol */
#define TE_UD INT64_C(5000000004) /* Dave: in no chat at first */
/* The big room's extra members are TE_BIG_BASE + 0 .. TE_BIG_N - 1. */
#define TE_BIG_BASE INT64_C(5000001000)
#define TE_BIG_N 350

/* The world's chats (see t-engine-lib.c for their contents). */
#define TE_GROUP INT64_C(10)  /* MultiChat "Group", notice, 120 messages */
#define TE_DIRECT INT64_C(11) /* DirectChat with Bob */
#define TE_MEMO INT64_C(12)   /* MemoChat */
#define TE_OPEN INT64_C(13)   /* OM "Open" */
#define TE_BROKEN INT64_C(14) /* CHATINFO answers -401 */
#define TE_BIG INT64_C(15)    /* 351 members: CHATONROOM "mi" */
#define TE_OTHER INT64_C(16)  /* Alice is not a member */
#define TE_EMPTY INT64_C(17)  /* no messages */
#define TE_GROUP_MESSAGES 120
/* Revision and lastTokenId of Alice's account in the world. */
#define TE_REVISION 7
#define TE_LAST_TOKEN_ID 42

/* Generous deadline for anything that should happen (ms). */
#define TE_WAIT_MS 15000

/* One delivered message, as the owner stored it. */
struct te_msg {
	int64_t chat_id;
	int64_t log_id;
	int64_t prev_id;
	int64_t author_id;
	int32_t type;
	char *text;   /* owned */
	char *nick;   /* owned; NULL when none came */
	unsigned seq; /* te_seq() when it arrived */
};

/* A chat as the owner knows it. */
struct te_chat {
	int64_t chat_id;
	enum loco_chat_type type;
	char *title;  /* owned */
	char *notice; /* owned */
	int64_t link_id;
	int64_t last_log_id;
	unsigned reports;       /* chat callbacks */
	unsigned member_cbs;    /* members callbacks */
	size_t n_members;       /* size of the last member list */
	bool member_names;      /* every member of that list had a nickname */
	bool gone;              /* chat_gone came */
	int64_t cursor;         /* last delivered log id (or handed in) */
	int64_t start;          /* the cursor handed to the engine */
	unsigned first_seq;     /* te_seq() of the first chat callback */
	unsigned first_msg_seq; /* of the first message, 0 = none */
};

/* One of the small events (deleted, reaction, read, joined, left). */
struct te_event {
	char kind; /* 'd'eleted, 'r'eaction, 'R'ead, 'j'oined, 'l'eft */
	int64_t chat_id;
	int64_t log_id;  /* deleted, reaction; watermark for reads */
	int64_t user_id; /* reaction, read, joined, left */
	int32_t type;    /* reaction */
	char *nick;      /* owned; joined, left */
	unsigned seq;
};

/* How refresh_token answers. */
enum te_refresh {
	TE_REFRESH_FAIL = 0, /* return false */
	TE_REFRESH_FIX,      /* set the token, un-expire it, return true */
	TE_REFRESH_NOFIX,    /* return true without changing anything */
};

/* Everything the owner recorded. */
struct te_owner {
	struct loco_engine *e; /* owned */
	struct locosim *sim;   /* borrowed */
	enum loco_engine_state states[512];
	enum loco_engine_stop whys[512];
	size_t n_states;
	char detail[256];         /* of the last state callback */
	char backoff_detail[256]; /* of the last BACKOFF */
	unsigned delays[512];     /* backoff delays announced, in ms */
	size_t n_delays;
	struct loco_login_state ls;
	unsigned n_ls;
	struct te_chat *chats; /* owned */
	size_t n_chats;
	struct te_msg *msgs; /* owned */
	size_t n_msgs;
	struct te_event *events; /* owned */
	size_t n_events;
	unsigned refresh_calls;
	enum te_refresh refresh;
	unsigned order_errors; /* duplicates, reorders, gaps seen */
	bool free_on_message;  /* free the engine in the next message cb */
	bool free_on_backoff;  /* free the engine when it backs off */
	unsigned callbacks_after_free;
	bool freed;
};

/* One command's answer. */
struct te_done {
	unsigned calls;
	int32_t status;
	enum loco_error_code err_code; /* LOCO_ERR_NONE when no err */
	int64_t log_id;                /* WRITE: the stored message's */
	int64_t prev_id;
	char *text; /* owned; WRITE */
	unsigned seq;
};

/* A simulator and everything a test runs with. */
struct te_fix {
	struct event_base *base;
	struct locosim *sim; /* owned */
	SSL_CTX *ssl;        /* owned; trusts sim's booking certificate */
	enum loco_cipher cipher;
	struct event *burst_ev; /* owned; NULL when no burst runs */
	unsigned burst_n;       /* messages the burst has sent */
};

typedef bool (*te_cond_fn)(void *arg);

/* A counter bumped by every recorded callback, to check their order. */
unsigned te_seq(void);

/* Once per program: log level, event base, key files in tap_tmpdir(). */
struct event_base *te_init(void);
/* Free the event base after letting every deferred free run. */
void te_done_all(void);

/* The world as JSON; malloc'd. */
char *te_world_json(void);

/* Start a simulator in cipher's profile with the test world. */
bool te_fix_start(struct te_fix *f, enum loco_cipher cipher);
/* Stop the burst, free the simulator and the SSL context. */
void te_fix_stop(struct te_fix *f);

/* A config for Alice against f's simulator (strings are static). */
void te_config(struct te_fix *f, struct loco_engine_config *cfg);

/* Set up o and make its engine (not started); false on failure. */
bool te_owner_new(struct te_owner *o, struct te_fix *f,
    const struct loco_engine_config *cfg, const struct loco_login_state *ls,
    const struct loco_cursor *cursors, size_t n_cursors);
/* Free the engine (if still there) and everything recorded. */
void te_owner_free(struct te_owner *o);
/* The owner's cursors, for a restarted engine; *out malloc'd. */
size_t te_owner_cursors(const struct te_owner *o, struct loco_cursor **out);
struct te_chat *te_owner_chat(struct te_owner *o, int64_t chat_id);
/* Messages delivered for chat_id. */
size_t te_owner_count(const struct te_owner *o, int64_t chat_id);
/* How many times state was reported. */
unsigned te_state_count(const struct te_owner *o, enum loco_engine_state state);
/* Events of kind. */
size_t te_event_count(const struct te_owner *o, char kind);
const struct te_event *te_event_last(const struct te_owner *o, char kind);

/* Run the loop until cond(arg) holds or ms pass; whether it held. */
bool te_loop_until(te_cond_fn cond, void *arg, unsigned ms);
/* Run the loop for ms, only to prove that something did NOT happen. */
void te_settle(unsigned ms);
/* Wait for the (count)th report of state; whether it came. */
bool te_wait_state(struct te_owner *o, enum loco_engine_state state,
    unsigned count);
/* Wait until the engine is ONLINE and has every message of the world. */
bool te_wait_caught_up(struct te_owner *o);
/* Wait until locosim has seen n requests of method. */
bool te_wait_requests(struct locosim *sim, const char *method, size_t n);

/*
 * Compare what o received with locosim's logs of Alice's chats: same log
 * ids, same order, no gaps, no duplicates, same authors and texts, and no
 * order errors on the way. One TAP assertion per chat; what names them.
 */
bool te_check_world(struct te_owner *o, const char *what);

/* Send a message every period_ms from Bob or Carol, round the chats. */
void te_burst_start(struct te_fix *f, unsigned period_ms);
void te_burst_stop(struct te_fix *f);

/* Command callbacks recording into a struct te_done. */
void te_done_cb(struct loco_engine *e, int32_t status,
    const struct loco_error *err, void *arg);
void te_write_cb(struct loco_engine *e, int32_t status,
    const struct loco_chatlog *cl, const struct loco_error *err, void *arg);
void te_done_release(struct te_done *d);
/* Wait until d has been called. */
bool te_wait_done(struct te_done *d);

#endif
