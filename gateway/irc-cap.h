/* locoirc: see LICENSE.
 *
 * IRCv3 capability negotiation (CAP LS/LIST/REQ/END and NEW/DEL with
 * cap-notify) as a pure state machine per client: it reads a parsed CAP
 * command and appends the reply lines to an evbuffer. It does no I/O of its
 * own and knows nothing of sockets; the IRC server calls it and asks
 * irc_cap_has before sending anything an extension governs.
 */
#ifndef LOCOIRC_GATEWAY_IRC_CAP_H
#define LOCOIRC_GATEWAY_IRC_CAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evbuffer;
struct irc_msg;

/* ERR_INVALIDCAPCMD: "<nick> <subcommand> :Invalid CAP command". */
#define IRC_CAP_ERR_INVALIDCAPCMD 410

/* The LS version from which values, continuation and cap-notify apply. */
#define IRC_CAP_VERSION_302 302

/* Every capability the gateway knows, one bit each in a bitset. */
enum irc_cap_id {
	IRC_CAP_SASL = 0,
	IRC_CAP_SERVER_TIME,
	IRC_CAP_MESSAGE_TAGS,
	IRC_CAP_ECHO_MESSAGE,
	IRC_CAP_BATCH,
	IRC_CAP_LABELED_RESPONSE,
	IRC_CAP_MULTI_PREFIX,
	IRC_CAP_USERHOST_IN_NAMES,
	IRC_CAP_EXTENDED_JOIN,
	IRC_CAP_AWAY_NOTIFY,
	IRC_CAP_ACCOUNT_NOTIFY,
	IRC_CAP_ACCOUNT_TAG,
	IRC_CAP_CHGHOST,
	IRC_CAP_INVITE_NOTIFY,
	IRC_CAP_CAP_NOTIFY,
	IRC_CAP_SETNAME,
	IRC_CAP_STANDARD_REPLIES,
	IRC_CAP_SELF_MESSAGE, /* znc.in/self-message */
	IRC_CAP_CHATHISTORY,  /* draft/chathistory */
	IRC_CAP_READ_MARKER,  /* draft/read-marker */
	IRC_CAP_REDACTION,    /* draft/message-redaction */
	IRC_CAP_COUNT
};

/* The bit of one capability in a bitset. */
#define IRC_CAP_BIT(id) ((uint32_t)1 << (id))
/* Every capability in the table. */
#define IRC_CAP_ALL ((uint32_t)((1u << IRC_CAP_COUNT) - 1))
/* What a new client is offered: the table minus the capabilities whose
 * feature is not built yet (a capability offered must be honoured). */
#define IRC_CAP_OFFERED IRC_CAP_ALL

/*
 * One client's negotiation state, a plain value embedded in the client.
 * Fill it with irc_cap_client_init; the server may read the fields.
 */
struct irc_cap_client {
	unsigned version; /* highest CAP LS version seen (0, or 302) */
	uint32_t offered; /* what this client is offered (NEW/DEL change it) */
	uint32_t enabled; /* what it negotiated */
	bool negotiating; /* LS/REQ before registration, until CAP END */
	bool registered;  /* set by irc_cap_set_registered */
	size_t line_max;  /* reply line limit with CRLF; IRC_MSG_LINE_MAX */
};

/* Start state: nothing enabled, every capability offered, not negotiating. */
void irc_cap_client_init(struct irc_cap_client *c);

/*
 * Tell the state the client completed registration: later LS and REQ no
 * longer suspend it and END is ignored.
 */
void irc_cap_set_registered(struct irc_cap_client *c);

/*
 * Handle one parsed CAP command from a client (cap->command "CAP") and
 * append the replies to out, each line ":<server> CAP <nick> ...". nick is
 * the client's nick or "*" before it has one. LS [version] lists what is
 * offered (values and '*' continuation lines from 302, which also enables
 * cap-notify); LIST lists what is enabled; REQ enables and ("-name")
 * disables the whole list or nothing (ACK or NAK with the list as sent;
 * names are case-sensitive; cap-notify cannot be removed after 302); END
 * ends negotiation. A missing subcommand gets 461, an unknown one 410.
 * Returns 0, or -1 if a reply could not be formatted (a nick or server name
 * with a space); lines written before that stay in out.
 */
int irc_cap_handle(struct irc_cap_client *c, const struct irc_msg *cap,
    const char *nick, const char *server, struct evbuffer *out);

/* Whether c negotiated capability id. */
bool irc_cap_has(const struct irc_cap_client *c, enum irc_cap_id id);

/*
 * Whether the client is in the middle of negotiation: registration must
 * wait for CAP END while this is true.
 */
bool irc_cap_is_negotiating(const struct irc_cap_client *c);

/*
 * Offer (add true: CAP NEW) or withdraw (add false: CAP DEL) the caps in
 * mask for client c. Only caps whose offer actually changes are announced,
 * and only to a client with cap-notify; withdrawn caps are disabled either
 * way. Returns the number of lines appended to out (0 when nothing to say),
 * or -1 if a line could not be formatted.
 */
int irc_cap_new_del(struct irc_cap_client *c, uint32_t mask, bool add,
    const char *nick, const char *server, struct evbuffer *out);

/* The name of capability id ("znc.in/self-message"), or NULL. */
const char *irc_cap_name(enum irc_cap_id id);

/*
 * The capability called exactly name (len bytes, case-sensitive), or -1
 * when there is none.
 */
int irc_cap_lookup(const char *name, size_t len);

#endif
