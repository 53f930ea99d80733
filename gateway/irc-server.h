/* locoirc: see LICENSE.
 *
 * The IRC server: listeners (plain and TLS), one struct irc_client per
 * connection, line framing with the IRC length limits, a bounded send
 * queue, registration (CAP, SASL PLAIN, PASS, NICK, USER) with a timeout,
 * and an output path that adapts every line to what its client negotiated
 * (tags, batches, labeled responses). It knows nothing of KakaoTalk: once a
 * client is registered, every command goes to the owner (the bridge)
 * through a callback vtable.
 */
#ifndef LOCOIRC_GATEWAY_IRC_SERVER_H
#define LOCOIRC_GATEWAY_IRC_SERVER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "irc-cap.h"
#include "irc-msg.h"

struct event_base;
struct irc_server;
struct irc_client;

/* Longest nick a client may register with, in bytes. */
#define IRC_SERVER_NICK_MAX 64
/* Longest label (labeled-response) we keep, in bytes (the spec's 64). */
#define IRC_SERVER_LABEL_MAX 64
/* Longest SASL PLAIN payload (base64, all AUTHENTICATE chunks). */
#define IRC_SERVER_SASL_MAX 1200
/* Lines a client may send before registering, so a talker cannot pin us. */
#define IRC_SERVER_PREREG_LINES_MAX 100

/* Settings; strings are copied by irc_server_new. */
struct irc_server_config {
	const char *server_name; /* in every reply's source; no spaces */
	const char *network;     /* NETWORK=, "KakaoTalk" */
	const char *version;     /* 004 and VERSION, e.g. "locoircd-0.1" */
	size_t sendq_max;        /* bytes queued per client before the drop;
	                          * 0 means 1 MiB */
	unsigned registration_timeout; /* seconds; 0 means 60 */
	SSL_CTX *tls; /* borrowed (up-ref'd); needed for TLS listeners */
};

/*
 * The owner's callbacks. Every pointer argument is borrowed for the call.
 * A client pointer is valid until the detach callback returns; keep
 * irc_client_get_id and irc_server_find_client for anything later.
 */
struct irc_server_cbs {
	/*
	 * Check credentials for user (the name before '@', may be "" when the
	 * client sent none) and password. Return true to accept.
	 */
	bool (*auth)(struct irc_server *s, const char *user,
	    const char *password, void *arg);
	/*
	 * The client completed registration (CAP END, credentials, NICK and
	 * USER): the owner sends the welcome (irc_client_welcome) and the
	 * burst. Registration replies before 001 are the server's.
	 */
	void (*attach)(struct irc_server *s, struct irc_client *c, void *arg);
	/*
	 * A command from a registered client. The server handles CAP, PING,
	 * PONG (see pong), QUIT, PASS/USER (462) and AUTHENTICATE (462)
	 * itself; everything else comes here. Lines the owner sends from this
	 * callback form the labeled response when the client sent a label.
	 */
	void (*command)(struct irc_server *s, struct irc_client *c,
	    const struct irc_msg *m, void *arg);
	/* A PONG from a registered client, with its token ("" if none). */
	void (*pong)(struct irc_server *s, struct irc_client *c,
	    const char *token, void *arg);
	/* The client's output fell below half its send queue limit again
	 * (for generators such as the replay on attach). */
	void (*drained)(struct irc_server *s, struct irc_client *c, void *arg);
	/* The client is going away (after attach only); reason for logs. */
	void (*detach)(struct irc_server *s, struct irc_client *c,
	    const char *reason, void *arg);
};

/* A new server with no listeners. NULL only when base is NULL. */
struct irc_server *irc_server_new(struct event_base *base,
    const struct irc_server_config *cfg, const struct irc_server_cbs *cbs,
    void *arg);

/*
 * Drop every client (ERROR :reason, no callbacks but detach), close the
 * listeners and free; NULL is a no-op. The ERROR reaches plain clients
 * only if their socket takes it at once: for a graceful stop, close the
 * clients first and let the loop run. Not from inside s's callbacks.
 */
void irc_server_free(struct irc_server *s, const char *reason);

/*
 * Listen on host:port (port 0: the kernel picks); tls picks the TLS
 * listener kind (cfg->tls must be set). Returns 0, or -1 after logging.
 * The bound address is then in irc_server_get_address.
 */
int irc_server_listen(struct irc_server *s, const char *host, uint16_t port,
    bool tls);

/*
 * The i-th listener's bound address as "host:port" ("[v6]:port") in buf;
 * false when there is no such listener.
 */
bool irc_server_get_address(const struct irc_server *s, size_t i, char *buf,
    size_t len);

/* The registered client with this id, or NULL when it is gone. */
struct irc_client *irc_server_find_client(struct irc_server *s, uint64_t id);

/* Number of registered clients. */
size_t irc_server_count_clients(const struct irc_server *s);

/* Walk the registered clients; the callback must not free any. */
typedef void (*irc_server_client_cb)(struct irc_client *c, void *arg);
void irc_server_foreach_client(struct irc_server *s, irc_server_client_cb cb,
    void *arg);

/* The server's name (borrowed). */
const char *irc_server_get_name(const struct irc_server *s);

/* ---- one client ---- */

/* A number unique for the process lifetime (never reused). */
uint64_t irc_client_get_id(const struct irc_client *c);
/* The registered nick (borrowed). */
const char *irc_client_get_nick(const struct irc_client *c);
/* The user name it logged in as, and the @client part ("" when none). */
const char *irc_client_get_user(const struct irc_client *c);
const char *irc_client_get_client_name(const struct irc_client *c);
/* The remote address as text, for logs and WHOIS. */
const char *irc_client_get_addr(const struct irc_client *c);
/* Whether it came in over TLS. */
bool irc_client_is_tls(const struct irc_client *c);
/* The negotiated capabilities. */
bool irc_client_has_cap(const struct irc_client *c, enum irc_cap_id id);
/* Bytes queued for it right now. */
size_t irc_client_get_queued(const struct irc_client *c);
/* Call the drained callback after the next write that leaves the queue
 * at or below half full (even if it never went above): for a generator
 * waiting for room for one big item. */
void irc_client_want_drained(struct irc_client *c);
/* Owner's pointer (NULL until set). */
void irc_client_set_data(struct irc_client *c, void *data);
void *irc_client_get_data(const struct irc_client *c);

/*
 * Change the client's nick (the server remembers it and sends
 * ":old!user@host NICK new" to it, unless old and new are the same).
 * Used to force the account's nick. user and host (NULL: unchanged)
 * become the client's own prefix, as 001 shows it. A nick that cannot be
 * written in a line (space, comma, CR/LF, leading ':') is refused with a
 * log.
 */
void irc_client_set_nick(struct irc_client *c, const char *nick,
    const char *user, const char *host);

/*
 * Send 001-005 and the MOTD (422 when motd is NULL; lines split on LF)
 * with isupport (n "KEY=value" tokens, packed into as few 005 lines as
 * fit, at most 13 each; a token with a space is skipped with a log).
 * Registered clients only (from the attach callback on).
 */
void irc_client_welcome(struct irc_client *c, const char *const *isupport,
    size_t n, const char *motd);

/*
 * Send msg to c, adapted to its capabilities (msg is not changed): time
 * needs server-time, batch needs batch, account needs account-tag, label
 * needs labeled-response, every other tag needs message-tags; TAGMSG needs
 * message-tags, BATCH needs batch, AWAY away-notify, SETNAME setname,
 * CHGHOST chghost, ACCOUNT account-notify, otherwise the line is dropped
 * (not an error: 0).
 * Inside an open batch the line gets its batch tag. A line over the limits
 * after filtering is dropped with a log. If the queue passes sendq_max the
 * client is dropped with ERROR (Closing link: SendQ exceeded) and every
 * later send is a no-op. Returns 0 or -1 (dropped, or the client is
 * closing).
 */
int irc_client_send(struct irc_client *c, const struct irc_msg *msg);

/* printf-style numeric: ":server CODE " fmt, as irc-numeric.h formats. */
int irc_client_numeric(struct irc_client *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * A standard reply ("FAIL", "WARN", "NOTE") for command with code and
 * context params (NULL-terminated list), then the description. To a
 * client without standard-replies any of them becomes a NOTICE to its
 * nick ("command code: description").
 */
int irc_client_stdreply(struct irc_client *c, const char *type,
    const char *command, const char *code, const char *const *context,
    const char *description);

/* A NOTICE from the server to the client's nick. */
int irc_client_notice(struct irc_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Open a batch of type with params (NULL-terminated): for a client with
 * batch, sends BATCH +ref (tagged with the enclosing batch, if any) and
 * tags every later line with it until irc_client_batch_end; without batch
 * nothing is sent and lines go untagged. Batches nest (depth 4).
 */
void irc_client_batch_begin(struct irc_client *c, const char *type,
    const char *const *params);
void irc_client_batch_end(struct irc_client *c);

/*
 * Inside the command callback: the answer will come later (e.g. after a
 * WRITE). Returns the label (malloc'd) or NULL when the command carried
 * none or the client lacks labeled-response; the server then sends no ACK
 * for this command. Deliver the answer with irc_client_begin_labeled.
 */
char *irc_client_defer_label(struct irc_client *c);

/*
 * Send the lines from here to irc_client_end_labeled as the labeled
 * response for label (NULL: plain lines): one line gets the label tag,
 * several a labeled-response batch, none an ACK.
 */
void irc_client_begin_labeled(struct irc_client *c, const char *label);
void irc_client_end_labeled(struct irc_client *c);

/*
 * Close: send ERROR :reason, stop reading, free after the output is
 * flushed (or 10 s). The detach callback runs at once.
 */
void irc_client_close(struct irc_client *c, const char *reason);

#endif
