/* locoirc: see LICENSE.
 *
 * The bridge: one KakaoTalk account served to any number of IRC clients.
 * It takes the engine's events (after src/ has stored them), keeps the
 * IRC view of the account (bridge-world), runs the IRC server, sends each
 * attached client the burst and what it has not yet seen, fans every new
 * event out to every client in the form its capabilities allow, and turns
 * IRC commands into engine commands. Per-client delivery cursors live in
 * the store and move only when the client acknowledged the lines (a PONG
 * to a PING sent after them).
 */
#ifndef LOCOIRC_GATEWAY_BRIDGE_H
#define LOCOIRC_GATEWAY_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "loco-chat.h"
#include "loco-chatlog.h"
#include "loco-engine.h"
#include "store.h"

struct event_base;
struct bridge;

/* Messages per chat a client name never seen before gets on attach. */
#define BRIDGE_NEW_CLIENT_BACKLOG 20
/* WRITEs allowed in a burst, then one per BRIDGE_FLOOD_INTERVAL_MS. */
#define BRIDGE_FLOOD_BURST 5
#define BRIDGE_FLOOD_INTERVAL_MS 1000
/* WRITEs waiting for their turn per account before 404/FAIL. */
#define BRIDGE_FLOOD_QUEUE_MAX 100

/* The bridge's settings; strings copied, check_password borrowed. */
struct bridge_config {
	int64_t own_id;          /* the account's user id */
	const char *own_nick;    /* its IRC nick */
	const char *user;        /* the login name clients use ("" = any) */
	const char *server_name; /* our name in replies */
	bool nick_ascii;         /* romanised nicks */
	size_t sendq_max;
	unsigned registration_timeout;
	size_t new_client_backlog; /* BRIDGE_NEW_CLIENT_BACKLOG */
	/* Tell KakaoTalk (NOTIREAD) when a client marks a chat read: other
	 * members then see it read. Off unless the user opts in. */
	bool read_receipts;
	SSL_CTX *tls; /* borrowed; NULL: no TLS listeners */
	/* Check an IRC password (e.g. against a stored hash). */
	bool (*check_password)(const char *password, void *arg);
	void *check_arg;
};

/*
 * Make the bridge over st (borrowed; the bridge sets its commit
 * callback). NULL after logging (store error).
 */
struct bridge *bridge_new(struct event_base *base, struct store *st,
    const struct bridge_config *cfg);

/* Drop every client with ERROR :reason and free; NULL is a no-op. */
void bridge_free(struct bridge *b, const char *reason);

/* Listen (see irc_server_listen). */
int bridge_listen(struct bridge *b, const char *host, uint16_t port, bool tls);
/* "host:port" of the i-th listener; false when none. */
bool bridge_get_address(const struct bridge *b, size_t i, char *buf,
    size_t len);

/*
 * The engine the bridge sends commands to (borrowed; NULL while there is
 * none). Set it after every engine restart.
 */
void bridge_set_engine(struct bridge *b, struct loco_engine *e);

/*
 * The engine's events, called by src/ after it stored them (same
 * arguments as struct loco_engine_cbs). Messages reach clients after the
 * store committed them.
 */
void bridge_on_state(struct bridge *b, enum loco_engine_state state,
    enum loco_engine_stop why, const char *detail);
void bridge_on_chat(struct bridge *b, const struct loco_engine_chat *c);
void bridge_on_chat_gone(struct bridge *b, int64_t chat_id);
void bridge_on_members(struct bridge *b, int64_t chat_id,
    const struct loco_member *m, size_t n);
void bridge_on_member_joined(struct bridge *b, int64_t chat_id, int64_t user_id,
    const char *nickname);
void bridge_on_member_left(struct bridge *b, int64_t chat_id, int64_t user_id);
void bridge_on_message(struct bridge *b, const struct loco_chatlog *cl,
    const char *nickname);
void bridge_on_deleted(struct bridge *b, int64_t chat_id, int64_t log_id);
void bridge_on_reaction(struct bridge *b, int64_t chat_id, int64_t log_id,
    int64_t user_id, int32_t type);
void bridge_on_read(struct bridge *b, int64_t chat_id, int64_t user_id,
    int64_t watermark);

/* Counters for status and the benchmark. */
struct bridge_stats {
	size_t clients;         /* attached now */
	uint64_t lines_out;     /* IRC lines sent (all clients) */
	uint64_t messages_out;  /* messages delivered (all clients) */
	uint64_t writes;        /* WRITEs sent upstream */
	uint64_t writes_failed; /* ... that failed */
};
void bridge_get_stats(const struct bridge *b, struct bridge_stats *out);

#endif
