/* locoirc: see LICENSE.
 *
 * IRCv3 capability negotiation: one table of the capabilities we offer and
 * the per-client CAP state machine over it. Replies are built as struct
 * irc_msg and written with irc_msg_write; long lists are split into '*'
 * continuation lines for 302 clients so no line passes the line limit.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>

#include "irc-cap.h"
#include "irc-msg.h"

/* The capability cannot be removed once CAP LS 302 was seen. */
#define IRC_CAP_F_STICKY_302 0x1

/* Longest "name=value" token in the table, with room to spare. */
#define IRC_CAP_TOKEN_MAX 64

/* One capability we offer. */
struct irc_cap_entry {
	enum irc_cap_id id;
	const char *name;  /* case-sensitive */
	const char *value; /* shown in LS/NEW to 302 clients only, or NULL */
	int flags;
};

/* The table, indexed by enum irc_cap_id. */
static const struct irc_cap_entry irc_cap_table[IRC_CAP_COUNT] = {
    {IRC_CAP_SASL, "sasl", "PLAIN", 0},
    {IRC_CAP_SERVER_TIME, "server-time", NULL, 0},
    {IRC_CAP_MESSAGE_TAGS, "message-tags", NULL, 0},
    {IRC_CAP_ECHO_MESSAGE, "echo-message", NULL, 0},
    {IRC_CAP_BATCH, "batch", NULL, 0},
    {IRC_CAP_LABELED_RESPONSE, "labeled-response", NULL, 0},
    {IRC_CAP_MULTI_PREFIX, "multi-prefix", NULL, 0},
    {IRC_CAP_USERHOST_IN_NAMES, "userhost-in-names", NULL, 0},
    {IRC_CAP_EXTENDED_JOIN, "extended-join", NULL, 0},
    {IRC_CAP_AWAY_NOTIFY, "away-notify", NULL, 0},
    {IRC_CAP_ACCOUNT_NOTIFY, "account-notify", NULL, 0},
    {IRC_CAP_ACCOUNT_TAG, "account-tag", NULL, 0},
    {IRC_CAP_CHGHOST, "chghost", NULL, 0},
    {IRC_CAP_INVITE_NOTIFY, "invite-notify", NULL, 0},
    {IRC_CAP_CAP_NOTIFY, "cap-notify", NULL, IRC_CAP_F_STICKY_302},
    {IRC_CAP_SETNAME, "setname", NULL, 0},
    {IRC_CAP_STANDARD_REPLIES, "standard-replies", NULL, 0},
    {IRC_CAP_SELF_MESSAGE, "znc.in/self-message", NULL, 0},
    {IRC_CAP_CHATHISTORY, "draft/chathistory", NULL, 0},
    {IRC_CAP_READ_MARKER, "draft/read-marker", NULL, 0},
    {IRC_CAP_REDACTION, "draft/message-redaction", NULL, 0},
};

static int irc_cap_write(const char *server, const char *command,
    const char *const *params, size_t nparams, struct evbuffer *out);
static int irc_cap_send_list(const struct irc_cap_client *c, uint32_t mask,
    bool values, const char *sub, const char *nick, const char *server,
    struct evbuffer *out);
static unsigned irc_cap_parse_version(const char *s);
static bool irc_cap_req_apply(struct irc_cap_client *c, const char *list);
static int irc_cap_reply(const char *server, const char *nick, const char *sub,
    const char *arg, struct evbuffer *out);

/* Write one line ":<server> <command> <params...>" to out. */
static int
irc_cap_write(const char *server, const char *command,
    const char *const *params, size_t nparams, struct evbuffer *out)
{
	struct irc_msg m;
	size_t i;
	int r = -1;

	irc_msg_init(&m);
	irc_msg_set_source(&m, server, NULL, NULL);
	irc_msg_set_command(&m, command);
	for (i = 0; i < nparams; i++) {
		if (irc_msg_add_param(&m, params[i]) == -1)
			goto out;
	}
	m.trailing = true;
	r = irc_msg_write(out, &m);
out:
	irc_msg_release(&m);
	return r;
}

/* Write ":<server> CAP <nick> <sub> :<arg>" to out. */
static int
irc_cap_reply(const char *server, const char *nick, const char *sub,
    const char *arg, struct evbuffer *out)
{
	const char *p[3];

	p[0] = nick;
	p[1] = sub;
	p[2] = arg;
	return irc_cap_write(server, "CAP", p, 3, out);
}

/*
 * Write the caps in mask as "CAP <nick> <sub>" lines; when c saw 302 the
 * list is split into '*' continuation lines that fit c->line_max. Returns
 * the number of lines written or -1.
 */
static int
irc_cap_send_list(const struct irc_cap_client *c, uint32_t mask, bool values,
    const char *sub, const char *nick, const char *server, struct evbuffer *out)
{
	char cur[IRC_CAP_COUNT * IRC_CAP_TOKEN_MAX + 1];
	char tok[IRC_CAP_TOKEN_MAX];
	const char *p[4];
	bool split = c->version >= IRC_CAP_VERSION_302;
	size_t overhead, budget, curlen = 0, toklen;
	int i, lines = 0;

	/* ":" server " CAP " nick " " sub " * :" ... CRLF */
	overhead =
	    1 + strlen(server) + 5 + strlen(nick) + 1 + strlen(sub) + 4 + 2;
	budget = c->line_max > overhead ? c->line_max - overhead : 0;
	cur[0] = '\0';
	for (i = 0; i < IRC_CAP_COUNT; i++) {
		if ((mask & IRC_CAP_BIT(i)) == 0)
			continue;
		if (values && irc_cap_table[i].value != NULL)
			toklen = (size_t)snprintf(tok, sizeof tok, "%s=%s",
			    irc_cap_table[i].name, irc_cap_table[i].value);
		else
			toklen = (size_t)snprintf(tok, sizeof tok, "%s",
			    irc_cap_table[i].name);
		if (split && curlen > 0 && curlen + 1 + toklen > budget) {
			p[0] = nick;
			p[1] = sub;
			p[2] = "*";
			p[3] = cur;
			if (irc_cap_write(server, "CAP", p, 4, out) == -1)
				return -1;
			lines++;
			curlen = 0;
			cur[0] = '\0';
		}
		if (curlen > 0)
			cur[curlen++] = ' ';
		memcpy(cur + curlen, tok, toklen + 1);
		curlen += toklen;
	}
	if (irc_cap_reply(server, nick, sub, cur, out) == -1)
		return -1;
	return lines + 1;
}

/* The LS version in s: 302 for any number from 302 up, else 0. */
static unsigned
irc_cap_parse_version(const char *s)
{
	unsigned v = 0;

	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		if (v < IRC_CAP_VERSION_302)
			v = v * 10 + (unsigned)(*s - '0');
	}
	return v >= IRC_CAP_VERSION_302 ? IRC_CAP_VERSION_302 : 0;
}

/*
 * Apply a REQ list to c: all of it, or (any unknown, unoffered or
 * unremovable name, or an empty list) none of it. Returns whether applied.
 */
static bool
irc_cap_req_apply(struct irc_cap_client *c, const char *list)
{
	uint32_t enabled = c->enabled;
	const char *s = list, *name;
	size_t len;
	bool neg, any = false;
	int id;

	while (*s != '\0') {
		if (*s == ' ') {
			s++;
			continue;
		}
		len = strcspn(s, " ");
		neg = s[0] == '-';
		name = neg ? s + 1 : s;
		id = irc_cap_lookup(name, neg ? len - 1 : len);
		if (id < 0 || (c->offered & IRC_CAP_BIT(id)) == 0)
			return false;
		if (neg) {
			if ((irc_cap_table[id].flags & IRC_CAP_F_STICKY_302) &&
			    c->version >= IRC_CAP_VERSION_302)
				return false;
			enabled &= ~IRC_CAP_BIT(id);
		} else
			enabled |= IRC_CAP_BIT(id);
		any = true;
		s += len;
	}
	if (!any)
		return false;
	c->enabled = enabled;
	return true;
}

/* Start state: nothing enabled, every capability offered, not negotiating. */
void
irc_cap_client_init(struct irc_cap_client *c)
{
	memset(c, 0, sizeof *c);
	c->offered = IRC_CAP_OFFERED;
	c->line_max = IRC_MSG_LINE_MAX;
}

/* Mark registration complete. */
void
irc_cap_set_registered(struct irc_cap_client *c)
{
	c->registered = true;
	c->negotiating = false;
}

/* Handle one CAP command and append the replies to out. */
int
irc_cap_handle(struct irc_cap_client *c, const struct irc_msg *cap,
    const char *nick, const char *server, struct evbuffer *out)
{
	const char *sub, *p[3];
	unsigned v;

	if (cap->nparams < 1 || cap->params[0] == NULL) {
		p[0] = nick;
		p[1] = "CAP";
		p[2] = "Not enough parameters";
		return irc_cap_write(server, "461", p, 3, out);
	}
	sub = cap->params[0];
	if (strcasecmp(sub, "LS") == 0) {
		v = irc_cap_parse_version(
		    cap->nparams > 1 ? cap->params[1] : NULL);
		if (v > c->version)
			c->version = v;
		if (c->version >= IRC_CAP_VERSION_302)
			c->enabled |= IRC_CAP_BIT(IRC_CAP_CAP_NOTIFY);
		if (!c->registered)
			c->negotiating = true;
		return irc_cap_send_list(c, c->offered,
		           c->version >= IRC_CAP_VERSION_302, "LS", nick,
		           server, out) < 0
		    ? -1
		    : 0;
	}
	if (strcasecmp(sub, "LIST") == 0)
		return irc_cap_send_list(c, c->enabled, false, "LIST", nick,
		           server, out) < 0
		    ? -1
		    : 0;
	if (strcasecmp(sub, "REQ") == 0) {
		if (cap->nparams < 2) {
			p[0] = nick;
			p[1] = "CAP";
			p[2] = "Not enough parameters";
			return irc_cap_write(server, "461", p, 3, out);
		}
		if (!c->registered)
			c->negotiating = true;
		return irc_cap_reply(server, nick,
		    irc_cap_req_apply(c, cap->params[1]) ? "ACK" : "NAK",
		    cap->params[1], out);
	}
	if (strcasecmp(sub, "END") == 0) {
		c->negotiating = false;
		return 0;
	}
	/* A subcommand the writer cannot put back as a middle param. */
	if (*sub == '\0' || *sub == ':' || strchr(sub, ' ') != NULL ||
	    strlen(sub) > 32)
		sub = "*";
	p[0] = nick;
	p[1] = sub;
	p[2] = "Invalid CAP command";
	return irc_cap_write(server, "410", p, 3, out);
}

/* Whether c negotiated id. */
bool
irc_cap_has(const struct irc_cap_client *c, enum irc_cap_id id)
{
	if ((unsigned)id >= IRC_CAP_COUNT)
		return false;
	return (c->enabled & IRC_CAP_BIT(id)) != 0;
}

/* Whether registration must still wait for CAP END. */
bool
irc_cap_is_negotiating(const struct irc_cap_client *c)
{
	return c->negotiating;
}

/* Offer or withdraw caps and tell a cap-notify client. */
int
irc_cap_new_del(struct irc_cap_client *c, uint32_t mask, bool add,
    const char *nick, const char *server, struct evbuffer *out)
{
	uint32_t changed;
	int r;

	mask &= IRC_CAP_ALL;
	if (add) {
		changed = mask & ~c->offered;
		c->offered |= changed;
	} else {
		changed = mask & c->offered;
		c->offered &= ~changed;
	}
	if (changed == 0 || !irc_cap_has(c, IRC_CAP_CAP_NOTIFY)) {
		if (!add)
			c->enabled &= ~changed;
		return 0;
	}
	/* Announce DEL before forgetting cap-notify itself. */
	if (!add)
		c->enabled &= ~(changed & ~IRC_CAP_BIT(IRC_CAP_CAP_NOTIFY));
	r = irc_cap_send_list(c, changed,
	    add && c->version >= IRC_CAP_VERSION_302, add ? "NEW" : "DEL", nick,
	    server, out);
	if (!add)
		c->enabled &= ~changed;
	return r;
}

/* The name of id, or NULL. */
const char *
irc_cap_name(enum irc_cap_id id)
{
	if ((unsigned)id >= IRC_CAP_COUNT)
		return NULL;
	return irc_cap_table[id].name;
}

/* Look a capability up by exact name. */
int
irc_cap_lookup(const char *name, size_t len)
{
	int i;

	for (i = 0; i < IRC_CAP_COUNT; i++) {
		if (strlen(irc_cap_table[i].name) == len &&
		    memcmp(irc_cap_table[i].name, name, len) == 0)
			return i;
	}
	return -1;
}
