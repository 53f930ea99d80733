/* locoirc: see LICENSE.
 *
 * What the bridge's files share (bridge.c: core, attach, fan-out, writes;
 * bridge-cmd.c: the IRC command table; bridge-service.c: the service
 * nick). Not for use outside gateway/bridge*.c.
 */
#ifndef LOCOIRC_GATEWAY_BRIDGE_INT_H
#define LOCOIRC_GATEWAY_BRIDGE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "bridge-names.h"
#include "bridge-render.h"
#include "bridge-world.h"
#include "bridge.h"
#include "irc-msg.h"
#include "irc-server.h"
#include "loco-engine.h"
#include "store.h"

struct event;

/* The MOTD: what a newcomer needs to find their way. */
#define BRIDGE_MOTD                                                            \
	"locoircd serves one KakaoTalk account.\n"                             \
	"Group chats are channels, direct chats are queries, the memo chat\n"  \
	"is the query " BRIDGE_NAMES_MEMO_NICK                                 \
	". Talk to " BRIDGE_NAMES_SERVICE_NICK " for help, status and chats."
/* Messages one CHATHISTORY request may ask for (ISUPPORT CHATHISTORY). */
#define BRIDGE_HISTORY_MAX 100
#define BRIDGE_HISTORY_MAX_TEXT "100"
/* Own deletions remembered against a late deleted event. */
#define BRIDGE_REDACT_RECENT 32
/* Bytes of a topic (TOPICLEN in ISUPPORT says the same). */
#define BRIDGE_TOPIC_MAX 300

/* Where a client's attach has got to. */
enum bridge_attach_phase {
	BRIDGE_ATTACH_BURST,  /* JOIN/topic/NAMES, chat by chat */
	BRIDGE_ATTACH_REPLAY, /* backlog, chat by chat */
	BRIDGE_ATTACH_DONE,   /* live */
};

/* One attached IRC client (owned by the bridge, freed at detach). */
struct bridge_client {
	struct bridge *b;     /* borrowed */
	struct irc_client *c; /* borrowed; valid until detach */
	uint64_t id;          /* irc_client_get_id */
	char *name;           /* the @client name ("" when none), owned */
	char *away;           /* AWAY text or NULL, owned */
	/* Per chat, by bridge_chat index (grown with the world): */
	bool *joined;    /* the channel/query is shown (PART clears) */
	int64_t *sent;   /* highest log id sent to this client */
	int64_t *acked;  /* highest log id the store has for its name */
	int64_t *pinged; /* sent[] when the PING in flight went out */
	size_t n_chats;  /* size of the four arrays */
	enum bridge_attach_phase phase;
	size_t attach_pos; /* next chat index of the phase */
	/* Delivery acks: one PING in flight at a time. */
	uint64_t ping_seq; /* token of the PING in flight, 0 = none */
	bool ping_wanted;  /* lines were sent since that PING */
	/* Detached: unlinked from b->clients, freed from a zero timer,
	 * because a send deep inside a walk may drop the client. */
	bool dead;
	/* A replay after the attach (JOIN) paused for the send queue. */
	bool behind;
	struct bridge_client *next; /* in b->clients or b->dead */
};

/* sent[] value of a chat this client name has no cursor for: its first
 * delivery is the newest cfg.new_client_backlog messages. */
#define BRIDGE_SENT_TAIL INT64_C(-1)

/* A WRITE answered but not yet fanned out: its sender gets the echo only
 * with echo-message, under its label. */
struct bridge_echo {
	int64_t chat_id;
	int64_t log_id;
	uint64_t client_id;
	char *label; /* owned, or NULL */
	struct bridge_echo *next;
};

/* One WRITE waiting for flood control or for its answer. */
struct bridge_write {
	struct bridge *b;
	uint64_t client_id; /* the sender (0 = the service) */
	char *label;        /* deferred labeled-response label, or NULL */
	int64_t chat_id;
	int32_t type;
	char *text;
	char *extra;  /* attachment JSON or NULL */
	char *target; /* as the client named it, for 404 */
	struct bridge_write *next;
};

struct bridge {
	struct event_base *base;       /* borrowed */
	struct store *store;           /* borrowed */
	struct loco_engine *engine;    /* borrowed; NULL when none */
	struct bridge_world *world;    /* owned */
	struct irc_server *server;     /* owned */
	struct bridge_config cfg;      /* strings owned */
	char *own_user;                /* own_id as text, the user part */
	struct bridge_client *clients; /* owned list */
	bool *dirty;                   /* chats with new messages, by index */
	size_t n_dirty;
	bool any_dirty;
	enum loco_engine_state state;
	bool trouble;       /* an outage was announced; its end will be too */
	char *state_detail; /* owned */
	time_t started;
	uint64_t ping_seq; /* last PING token number used */
	/* Flood control on WRITE. */
	struct bridge_write *wq_head, *wq_tail; /* waiting, owned */
	/* Sent, answer pending: owned by the engine's callback (its arg),
	 * listed here so fan-out can wait for the answer. */
	struct bridge_write *inflight;
	size_t wq_len;
	unsigned tokens;            /* WRITEs allowed right now */
	struct event *wq_timer;     /* refills tokens; owned */
	struct bridge_echo *echoes; /* owned list */
	/* Our own deletions relayed from DELETEMSG's answer, so a later
	 * deleted event for one is not relayed again (bridge-redact.c). */
	struct {
		int64_t chat_id;
		int64_t log_id; /* 0: free */
	} redacted[BRIDGE_REDACT_RECENT];
	size_t redacted_next;
	struct bridge_client *dead; /* detached, to free; owned */
	struct event *reaper;       /* frees b->dead; owned */
	struct bridge_stats stats;
};

/* Lifetime of a bridge_client pointer across callbacks. */
struct bridge_client *bridge_client_find(struct bridge *b, uint64_t id);

/* "nick!userid@kakao" parts for a Kakao user, and for the account. */
const char *bridge_user_id_text(int64_t id, char *buf, size_t len);

/*
 * Show chat to bc: JOIN (extended when negotiated, from the own nick),
 * 332/333 or nothing, NAMES (353/366); for a query nothing. Marks it
 * joined. The backlog is not sent here.
 */
void bridge_show_chat(struct bridge *b, struct bridge_client *bc,
    struct bridge_chat *chat);
/* NAMES for chat: 353 lines (multi-prefix, userhost-in-names), 366. */
void bridge_send_names(struct bridge *b, struct bridge_client *bc,
    const struct bridge_chat *chat);
/* A notice as a one-line topic of at most BRIDGE_TOPIC_MAX bytes
 * (malloc'd). */
char *bridge_topic_text(const char *notice);
/* 332/333 or 331 for chat. */
void bridge_send_topic(struct bridge *b, struct bridge_client *bc,
    const struct bridge_chat *chat, bool none_reply);
/* Send a line to every attached client (each filtered by its caps). */
void bridge_broadcast(struct bridge *b, const struct irc_msg *m);
/* Send the messages of chat above bc->sent (live or replay). */
void bridge_deliver_chat(struct bridge *b, struct bridge_client *bc,
    struct bridge_chat *chat, bool replay);

/*
 * Queue text for chat from client bc (NULL: the service) under flood
 * control; label (taken over) is the deferred labeled-response label.
 * A failure is answered to bc with 404/FAIL.
 */
void bridge_send_text(struct bridge *b, struct bridge_client *bc,
    struct bridge_chat *chat, const char *target, const char *text,
    char *label);

/* Commands (bridge-cmd.c): every line of a registered client. */
void bridge_cmd_dispatch(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m);
/*
 * IRCv3 history, read markers and redaction (bridge-history.c,
 * bridge-read.c, bridge-redact.c). Each command handler gets every line of
 * its command from a registered client.
 */
/* CHATHISTORY (draft/chathistory). */
void bridge_history_command(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m);
/* MARKREAD (draft/read-marker). */
void bridge_read_command(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m);
/* After JOIN and before 366: MARKREAD for chat to a client with the cap. */
void bridge_read_on_join(struct bridge *b, struct bridge_client *bc,
    const struct bridge_chat *chat);
/* The engine's read event (DECUNREAD or our own mark). */
void bridge_read_on_read(struct bridge *b, int64_t chat_id, int64_t user_id,
    int64_t watermark);
/* REDACT (draft/message-redaction). */
void bridge_redact_command(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m);
/* A message was deleted upstream (already marked in the store). */
void bridge_redact_on_deleted(struct bridge *b, int64_t chat_id,
    int64_t log_id);

/* The newest n messages of chat to bc as a replay shows them, in a
 * chathistory batch (the service's "history"); *sent gets how many were
 * shown. 0, or -1 when the store failed. */
int bridge_history_send_latest(struct bridge *b, struct bridge_client *bc,
    struct bridge_chat *chat, size_t n, size_t *sent);
/* Fill in (for bridge_render_message) for chat as seen by bc; replay
 * asks for text stamps where the client lacks server-time. */
void bridge_render_setup(struct bridge *b, struct bridge_client *bc,
    struct bridge_chat *chat, bool replay, struct bridge_render_in *in);
/* Add a server tag ahead of the client-only ones (IRC.md 2.0). */
void bridge_add_server_tag(struct irc_msg *m, const char *key,
    const char *value);
/* Our own "* nick text" (how an IRC ACTION reaches Kakao) back as the
 * ACTION it was, for a rendered line of the account's. */
void bridge_action_back(struct bridge *b, struct irc_msg *line);

/* The LUSERS numerics, sent after the welcome. */
void bridge_cmd_welcome_lusers(struct bridge *b, struct bridge_client *bc);
/* PRIVMSG/NOTICE/TAGMSG (bridge.c). */
void bridge_cmd_privmsg(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m);

/* The service nick (bridge-service.c): text sent to it by bc. */
void bridge_service_command(struct bridge *b, struct bridge_client *bc,
    const char *text);
/* A NOTICE-like PRIVMSG from the service nick to one client / to all. */
void bridge_service_say(struct bridge *b, struct bridge_client *bc,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void bridge_service_announce(struct bridge *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
