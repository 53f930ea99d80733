/* locoirc: see LICENSE.
 *
 * The IRC commands of an attached client (IRC.md 4.3), one table row each:
 * name, least parameters, handler. Everything is answered from the
 * bridge's world; JOIN and PART only show or hide a chat for the one
 * client, and whatever would change Kakao state from IRC (topics, modes,
 * nicks) is refused with the usual numeric. Messages go on to the core in
 * bridge.c, or to the service nick.
 *
 * Any send may drop the client for its SendQ: its struct bridge_client
 * then stays allocated but dead until the bridge's reaper runs, so
 * handlers return -1 as soon as a send fails or bc->dead is set, and send
 * nothing more.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bridge-int.h"
#include "bridge-names.h"
#include "bridge-render.h"
#include "irc-msg.h"
#include "irc-numeric.h"
#include "irc-server.h"
#include "irc-text.h"
#include "xmalloc.h"

/* The user part of the service nick's mask (its host is our name). */
#define BRIDGE_CMD_SERVICE_USER "service"
/* What WHO and WHOIS show as the service's real name. */
#define BRIDGE_CMD_SERVICE_REALNAME "locoirc service (try: help)"
/* Bytes of a real name or topic we put in one reply line. */
#define BRIDGE_CMD_TEXT_MAX 300
/* Bytes of channel names per 319 line, so ours stay under 512. */
#define BRIDGE_CMD_CHANLIST_MAX 380
/* Bytes of AWAY text we keep: the AWAY line to others must fit in 512. */
#define BRIDGE_CMD_AWAY_MAX 300
/* Nicks USERHOST answers (RFC 2812). */
#define BRIDGE_CMD_USERHOST_MAX 5
/* Room for an int64 in decimal and its NUL. */
#define BRIDGE_CMD_ID_LEN 24

/* A handler: 0, or -1 when bc may be gone (stop touching it). */
typedef int (*bridge_cmd_cb)(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m);

/* One row of the command table. */
struct bridge_cmd {
	const char *name;  /* upper case, as irc_msg_parse gives it */
	size_t min_params; /* fewer: 461 */
	bridge_cmd_cb fn;
};

/* Whoever WHO, WHOIS, USERHOST and ISON can be asked about. */
struct bridge_cmd_person {
	const char *nick; /* borrowed from the world or constant */
	const char *user; /* userbuf or constant */
	const char *host; /* constant or the server name */
	int64_t id;       /* Kakao user id; 0 for the service */
	bool service;     /* the service nick */
	bool own;         /* the account itself */
	char userbuf[BRIDGE_CMD_ID_LEN];
	char realname[BRIDGE_CMD_TEXT_MAX + 1];
};

static int bridge_cmd_message(struct bridge *, struct bridge_client *,
    const struct irc_msg *);
static int bridge_cmd_join(struct bridge *, struct bridge_client *,
    const struct irc_msg *);
static int bridge_cmd_part(struct bridge *, struct bridge_client *,
    const struct irc_msg *);
static int bridge_cmd_names(struct bridge *, struct bridge_client *,
    const struct irc_msg *);
static int bridge_cmd_who(struct bridge *, struct bridge_client *,
    const struct irc_msg *);
static int bridge_cmd_whois(struct bridge *, struct bridge_client *,
    const struct irc_msg *);
static int bridge_cmd_userhost(struct bridge *, struct bridge_client *,
    const struct irc_msg *);
static int bridge_cmd_ison(struct bridge *, struct bridge_client *,
    const struct irc_msg *);
static int bridge_cmd_topic(struct bridge *, struct bridge_client *,
    const struct irc_msg *);
static int bridge_cmd_mode(struct bridge *, struct bridge_client *,
    const struct irc_msg *);
static int bridge_cmd_list(struct bridge *, struct bridge_client *,
    const struct irc_msg *);
static int bridge_cmd_away(struct bridge *, struct bridge_client *,
    const struct irc_msg *);
static int bridge_cmd_motd(struct bridge *, struct bridge_client *,
    const struct irc_msg *);
static int bridge_cmd_version(struct bridge *, struct bridge_client *,
    const struct irc_msg *);
static int bridge_cmd_lusers(struct bridge *, struct bridge_client *,
    const struct irc_msg *);
static int bridge_cmd_history(struct bridge *, struct bridge_client *,
    const struct irc_msg *);
static int bridge_cmd_markread(struct bridge *, struct bridge_client *,
    const struct irc_msg *);
static int bridge_cmd_redact(struct bridge *, struct bridge_client *,
    const struct irc_msg *);
static int bridge_cmd_time(struct bridge *, struct bridge_client *,
    const struct irc_msg *);
static int bridge_cmd_nick(struct bridge *, struct bridge_client *,
    const struct irc_msg *);
static int bridge_cmd_setname(struct bridge *, struct bridge_client *,
    const struct irc_msg *);

/*
 * PRIVMSG and NOTICE check their own parameters (411/412 rather than 461),
 * hence 0 there. CAP, PING, PONG, QUIT, PASS, USER and AUTHENTICATE never
 * get here: the server answers them.
 */
static const struct bridge_cmd bridge_cmds[] = {
    {"PRIVMSG", 0, bridge_cmd_message},
    {"NOTICE", 0, bridge_cmd_message},
    {"TAGMSG", 0, bridge_cmd_message},
    {"JOIN", 1, bridge_cmd_join},
    {"PART", 1, bridge_cmd_part},
    {"NAMES", 0, bridge_cmd_names},
    {"WHO", 0, bridge_cmd_who},
    {"WHOIS", 1, bridge_cmd_whois},
    {"USERHOST", 1, bridge_cmd_userhost},
    {"ISON", 1, bridge_cmd_ison},
    {"TOPIC", 1, bridge_cmd_topic},
    {"MODE", 1, bridge_cmd_mode},
    {"LIST", 0, bridge_cmd_list},
    {"AWAY", 0, bridge_cmd_away},
    {"MOTD", 0, bridge_cmd_motd},
    {"VERSION", 0, bridge_cmd_version},
    {"LUSERS", 0, bridge_cmd_lusers},
    {"TIME", 0, bridge_cmd_time},
    {"NICK", 0, bridge_cmd_nick},
    {"SETNAME", 1, bridge_cmd_setname},
    {"CHATHISTORY", 0, bridge_cmd_history},
    {"MARKREAD", 0, bridge_cmd_markread},
    {"REDACT", 0, bridge_cmd_redact},
};

/* The client's nick, the first parameter of every numeric. */
static const char *
bridge_cmd_nick_of(const struct bridge_client *bc)
{
	return irc_client_get_nick(bc->c);
}

/* Our server name, as the source and WHO/WHOIS server field. */
static const char *
bridge_cmd_server(const struct bridge *b)
{
	return b->cfg.server_name;
}

/*
 * A name the client sent, fit to echo as a middle parameter of a numeric:
 * "*" when it could not be one (empty, a space, a leading ':').
 */
static const char *
bridge_cmd_echo(const char *s)
{
	if (*s == '\0' || *s == ':' || strchr(s, ' ') != NULL)
		return "*";
	return s;
}

/*
 * Copy s into out (size bytes) fit for one reply parameter: invalid UTF-8
 * repaired, control characters (a notice's newlines) turned into spaces,
 * cut on a character boundary. Kakao text is not sanitised anywhere else.
 */
static void
bridge_cmd_clean(const char *s, char *out, size_t size)
{
	char *fixed;
	size_t len, i;

	if (s == NULL)
		s = "";
	fixed = irc_text_utf8_repair(s, strlen(s), &len);
	if (len > size - 1) {
		len = size - 1;
		while (len > 0 && ((unsigned char)fixed[len] & 0xc0) == 0x80)
			len--;
	}
	for (i = 0; i < len; i++) {
		if ((unsigned char)fixed[i] < 0x20 || fixed[i] == 0x7f)
			out[i] = ' ';
		else
			out[i] = fixed[i];
	}
	out[len] = '\0';
	free(fixed);
}

/* Whether name has a channel prefix (CHANTYPES=#&). */
static bool
bridge_cmd_is_channel_name(const char *name)
{
	return name[0] == '#' || name[0] == '&';
}

/* The shown channel name names, or NULL (queries are not channels). */
static struct bridge_chat *
bridge_cmd_find_channel(struct bridge *b, const char *name)
{
	struct bridge_chat *chat;

	if (!bridge_cmd_is_channel_name(name))
		return NULL;
	chat = bridge_world_find_target(b->world, name);
	if (chat == NULL || chat->gone || chat->query)
		return NULL;
	return chat;
}

/* Whether bc has chat shown (the arrays may lag a growing world). */
static bool
bridge_cmd_is_joined(const struct bridge_client *bc,
    const struct bridge_chat *chat)
{
	return chat->index < bc->n_chats && bc->joined[chat->index];
}

/* Fill p from a Kakao user (the account included). */
static void
bridge_cmd_person_user(struct bridge *b, const struct bridge_user *u,
    struct bridge_cmd_person *p)
{
	memset(p, 0, sizeof *p);
	p->nick = u->nick;
	p->user = bridge_user_id_text(u->id, p->userbuf, sizeof p->userbuf);
	p->host = BRIDGE_RENDER_HOST;
	p->id = u->id;
	p->own = u->id == bridge_world_own_id(b->world);
	bridge_cmd_clean(u->kakao_nick != NULL ? u->kakao_nick : u->nick,
	    p->realname, sizeof p->realname);
}

/*
 * Find who nick names: the service, the account (whatever nick this
 * client has right now, too) or a Kakao user. False when nobody.
 */
static bool
bridge_cmd_person_find(struct bridge *b, struct bridge_client *bc,
    const char *nick, struct bridge_cmd_person *p)
{
	struct bridge_user *u;

	if (irc_text_caseeq(nick, BRIDGE_NAMES_SERVICE_NICK)) {
		memset(p, 0, sizeof *p);
		p->nick = BRIDGE_NAMES_SERVICE_NICK;
		p->user = BRIDGE_CMD_SERVICE_USER;
		p->host = bridge_cmd_server(b);
		p->service = true;
		snprintf(p->realname, sizeof p->realname, "%s",
		    BRIDGE_CMD_SERVICE_REALNAME);
		return true;
	}
	if (irc_text_caseeq(nick, bridge_world_own_nick(b->world)) ||
	    irc_text_caseeq(nick, bridge_cmd_nick_of(bc))) {
		u = bridge_world_user(b->world, bridge_world_own_id(b->world));
		bridge_cmd_person_user(b, u, p);
		/* The account's nick is fixed even if the user row lags. */
		p->nick = bridge_world_own_nick(b->world);
		p->own = true;
		return true;
	}
	if ((u = bridge_world_find_nick(b->world, nick)) == NULL)
		return false;
	bridge_cmd_person_user(b, u, p);
	return true;
}

/* Only the account can be away, and only as this client set it. */
static const char *
bridge_cmd_person_away(const struct bridge_client *bc,
    const struct bridge_cmd_person *p)
{
	return p->own ? bc->away : NULL;
}

/* Send ":own!user@host COMMAND target [:text]" to c. */
static int
bridge_cmd_send_own(struct bridge *b, struct irc_client *c, const char *command,
    const char *target, const char *text)
{
	struct irc_msg m;
	int rc;

	irc_msg_init(&m);
	irc_msg_set_source(&m, bridge_world_own_nick(b->world), b->own_user,
	    BRIDGE_RENDER_HOST);
	irc_msg_set_command(&m, command);
	if (target != NULL)
		irc_msg_add_param(&m, target);
	if (text != NULL) {
		irc_msg_add_param(&m, text);
		m.trailing = true;
	}
	if ((rc = irc_client_send(c, &m)) == 0)
		b->stats.lines_out++;
	irc_msg_release(&m);
	return rc;
}

/* PRIVMSG/NOTICE/TAGMSG: the checks every target needs, then route. */
static int
bridge_cmd_message(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	bool tagmsg = strcmp(m->command, "TAGMSG") == 0;
	const char *text;

	if (m->nparams < 1 || *m->params[0] == '\0')
		return irc_client_numeric(bc->c, IRC_ERR_NORECIPIENT,
		    IRC_ERR_NORECIPIENT_FMT, bridge_cmd_nick_of(bc),
		    m->command);
	if (!tagmsg && (m->nparams < 2 || *m->params[1] == '\0'))
		return irc_client_numeric(bc->c, IRC_ERR_NOTEXTTOSEND,
		    IRC_ERR_NOTEXTTOSEND_FMT, bridge_cmd_nick_of(bc));
	if (!irc_text_caseeq(m->params[0], BRIDGE_NAMES_SERVICE_NICK)) {
		bridge_cmd_privmsg(b, bc, m);
		return 0;
	}
	/* A NOTICE never gets an answer, and TAGMSG has nothing to say. */
	if (strcmp(m->command, "PRIVMSG") != 0)
		return 0;
	text = m->params[1];
	if (irc_client_has_cap(bc->c, IRC_CAP_ECHO_MESSAGE) &&
	    bridge_cmd_send_own(b, bc->c, "PRIVMSG", BRIDGE_NAMES_SERVICE_NICK,
	        text) < 0)
		return -1;
	/* CTCPs (VERSION, PING from the client's query window) are not
	 * commands. */
	if (text[0] == '\001')
		return 0;
	bridge_service_command(b, bc, text);
	return 0;
}

/*
 * Whether the attach generator will still show chat to bc (burst) or
 * replay it (replay phase): JOIN must leave those to it, or the client
 * would see the JOIN or the backlog twice.
 */
static bool
bridge_cmd_attach_pending(const struct bridge_client *bc,
    const struct bridge_chat *chat, enum bridge_attach_phase phase)
{
	return bc->phase == phase && chat->index >= bc->attach_pos;
}

/* JOIN: show mapped channels again, with what was missed meanwhile. */
static int
bridge_cmd_join(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	struct bridge_chat *chat;
	char *list, *name, *save = NULL;
	int rc = 0;

	/* "JOIN 0" leaves everything elsewhere; here nothing is left. */
	if (strcmp(m->params[0], "0") == 0)
		return 0;
	list = xstrdup(m->params[0]);
	for (name = strtok_r(list, ",", &save); name != NULL;
	     name = strtok_r(NULL, ",", &save)) {
		if ((chat = bridge_cmd_find_channel(b, name)) == NULL) {
			if ((rc = irc_client_numeric(bc->c,
			         IRC_ERR_NOSUCHCHANNEL,
			         IRC_ERR_NOSUCHCHANNEL_FMT,
			         bridge_cmd_nick_of(bc),
			         bridge_cmd_echo(name))) < 0)
				break;
			continue;
		}
		if (bridge_cmd_is_joined(bc, chat) ||
		    bridge_cmd_attach_pending(bc, chat, BRIDGE_ATTACH_BURST))
			continue;
		bridge_show_chat(b, bc, chat);
		/* In the burst the replay phase sends the backlog. */
		if (!bc->dead && bc->phase != BRIDGE_ATTACH_BURST &&
		    !bridge_cmd_attach_pending(bc, chat, BRIDGE_ATTACH_REPLAY))
			bridge_deliver_chat(b, bc, chat, true);
		if (bc->dead) {
			rc = -1;
			break;
		}
	}
	free(list);
	return rc < 0 ? -1 : 0;
}

/* PART: hide the channel from this client only; Kakao is not told. */
static int
bridge_cmd_part(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	struct bridge_chat *chat;
	const char *reason = NULL;
	char *list, *name, *save = NULL;
	int rc = 0;

	if (m->nparams >= 2 && *m->params[1] != '\0')
		reason = m->params[1];
	list = xstrdup(m->params[0]);
	for (name = strtok_r(list, ",", &save); name != NULL;
	     name = strtok_r(NULL, ",", &save)) {
		if ((chat = bridge_cmd_find_channel(b, name)) == NULL)
			rc = irc_client_numeric(bc->c, IRC_ERR_NOSUCHCHANNEL,
			    IRC_ERR_NOSUCHCHANNEL_FMT, bridge_cmd_nick_of(bc),
			    bridge_cmd_echo(name));
		else if (!bridge_cmd_is_joined(bc, chat))
			rc = irc_client_numeric(bc->c, IRC_ERR_NOTONCHANNEL,
			    IRC_ERR_NOTONCHANNEL_FMT, bridge_cmd_nick_of(bc),
			    chat->name);
		else {
			/* Cleared first: fan-out skips it from now on. */
			bc->joined[chat->index] = false;
			rc = bridge_cmd_send_own(b, bc->c, "PART", chat->name,
			    reason);
		}
		if (rc < 0)
			break;
	}
	free(list);
	return rc < 0 ? -1 : 0;
}

/* NAMES: the member list of each mapped channel; 366 alone otherwise. */
static int
bridge_cmd_names(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	struct bridge_chat *chat;
	char *list, *name, *save = NULL;
	int rc = 0;

	/* Listing every channel's members would flood; "*" ends it. */
	if (m->nparams < 1 || *m->params[0] == '\0')
		return irc_client_numeric(bc->c, IRC_RPL_ENDOFNAMES,
		    IRC_RPL_ENDOFNAMES_FMT, bridge_cmd_nick_of(bc), "*");
	list = xstrdup(m->params[0]);
	for (name = strtok_r(list, ",", &save); name != NULL;
	     name = strtok_r(NULL, ",", &save)) {
		if ((chat = bridge_cmd_find_channel(b, name)) == NULL) {
			if ((rc = irc_client_numeric(bc->c, IRC_RPL_ENDOFNAMES,
			         IRC_RPL_ENDOFNAMES_FMT, bridge_cmd_nick_of(bc),
			         bridge_cmd_echo(name))) < 0)
				break;
			continue;
		}
		bridge_send_names(b, bc, chat);
		if (bc->dead) {
			rc = -1;
			break;
		}
	}
	free(list);
	return rc < 0 ? -1 : 0;
}

/* One 352 line for p as seen in channel ("*" outside one). */
static int
bridge_cmd_who_reply(struct bridge *b, struct bridge_client *bc,
    const char *channel, const struct bridge_cmd_person *p)
{
	return irc_client_numeric(bc->c, IRC_RPL_WHOREPLY, IRC_RPL_WHOREPLY_FMT,
	    bridge_cmd_nick_of(bc), channel, p->user, p->host,
	    bridge_cmd_server(b), p->nick,
	    bridge_cmd_person_away(bc, p) != NULL ? "G" : "H", 0, p->realname);
}

/* WHO <channel|nick>: members or one user, then 315; masks match nothing. */
static int
bridge_cmd_who(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	struct bridge_cmd_person p;
	struct bridge_chat *chat;
	struct bridge_user *u;
	const char *mask = "*";
	size_t i;

	if (m->nparams >= 1 && *m->params[0] != '\0')
		mask = m->params[0];
	if (bridge_cmd_is_channel_name(mask)) {
		if ((chat = bridge_cmd_find_channel(b, mask)) != NULL) {
			for (i = 0; i < chat->n_members; i++) {
				u = bridge_world_user(b->world,
				    chat->members[i]);
				bridge_cmd_person_user(b, u, &p);
				if (bridge_cmd_who_reply(b, bc, chat->name,
				        &p) < 0)
					return -1;
			}
		}
	} else if (bridge_cmd_person_find(b, bc, mask, &p)) {
		if (bridge_cmd_who_reply(b, bc, "*", &p) < 0)
			return -1;
	}
	return irc_client_numeric(bc->c, IRC_RPL_ENDOFWHO, IRC_RPL_ENDOFWHO_FMT,
	    bridge_cmd_nick_of(bc), bridge_cmd_echo(mask));
}

/*
 * 319: the channels this client shows that p is in (all shown ones for
 * the account), several lines when they do not fit one.
 */
static int
bridge_cmd_whois_channels(struct bridge *b, struct bridge_client *bc,
    const struct bridge_cmd_person *p)
{
	char buf[BRIDGE_CMD_CHANLIST_MAX + BRIDGE_NAMES_CHANLEN + 2];
	struct bridge_chat *chat;
	size_t i, n, used = 0, len;

	n = bridge_world_count_chats(b->world);
	for (i = 0; i < n; i++) {
		chat = bridge_world_chat_at(b->world, i);
		if (chat == NULL || chat->gone || chat->query ||
		    !bridge_cmd_is_joined(bc, chat))
			continue;
		if (!p->own && !bridge_world_is_member(b->world, chat, p->id))
			continue;
		len = strlen(chat->name);
		if (len > BRIDGE_NAMES_CHANLEN)
			continue; /* the registry never makes one */
		if (used > 0 && used + 1 + len > BRIDGE_CMD_CHANLIST_MAX) {
			buf[used] = '\0';
			if (irc_client_numeric(bc->c, IRC_RPL_WHOISCHANNELS,
			        IRC_RPL_WHOISCHANNELS_FMT,
			        bridge_cmd_nick_of(bc), p->nick, buf) < 0)
				return -1;
			used = 0;
		}
		if (used > 0)
			buf[used++] = ' ';
		memcpy(buf + used, chat->name, len);
		used += len;
	}
	if (used == 0)
		return 0;
	buf[used] = '\0';
	return irc_client_numeric(bc->c, IRC_RPL_WHOISCHANNELS,
	    IRC_RPL_WHOISCHANNELS_FMT, bridge_cmd_nick_of(bc), p->nick, buf);
}

/* WHOIS [server] <nick>: 311, 319, 312, 301, 330, 318 or 401 + 318. */
static int
bridge_cmd_whois(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	struct bridge_cmd_person p;
	const char *nick, *me = bridge_cmd_nick_of(bc), *away;

	/* With two parameters the first names a server: there is only us. */
	nick = m->params[m->nparams >= 2 ? 1 : 0];
	if (!bridge_cmd_person_find(b, bc, nick, &p)) {
		if (irc_client_numeric(bc->c, IRC_ERR_NOSUCHNICK,
		        IRC_ERR_NOSUCHNICK_FMT, me, bridge_cmd_echo(nick)) < 0)
			return -1;
		return irc_client_numeric(bc->c, IRC_RPL_ENDOFWHOIS,
		    IRC_RPL_ENDOFWHOIS_FMT, me, bridge_cmd_echo(nick));
	}
	if (irc_client_numeric(bc->c, IRC_RPL_WHOISUSER, IRC_RPL_WHOISUSER_FMT,
	        me, p.nick, p.user, p.host, p.realname) < 0)
		return -1;
	if (!p.service && bridge_cmd_whois_channels(b, bc, &p) < 0)
		return -1;
	if (irc_client_numeric(bc->c, IRC_RPL_WHOISSERVER,
	        IRC_RPL_WHOISSERVER_FMT, me, p.nick, bridge_cmd_server(b),
	        "KakaoTalk") < 0)
		return -1;
	if ((away = bridge_cmd_person_away(bc, &p)) != NULL &&
	    irc_client_numeric(bc->c, IRC_RPL_AWAY, IRC_RPL_AWAY_FMT, me,
	        p.nick, away) < 0)
		return -1;
	/* The account name is the Kakao user id (IRC.md 4.3). */
	if (!p.service &&
	    irc_client_numeric(bc->c, IRC_RPL_WHOISACCOUNT,
	        IRC_RPL_WHOISACCOUNT_FMT, me, p.nick, p.user) < 0)
		return -1;
	return irc_client_numeric(bc->c, IRC_RPL_ENDOFWHOIS,
	    IRC_RPL_ENDOFWHOIS_FMT, me, p.nick);
}

/* USERHOST nick...: "nick=+user@host" for up to five known nicks. */
static int
bridge_cmd_userhost(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	struct bridge_cmd_person p;
	char buf[IRC_MSG_LINE_MAX], item[IRC_MSG_LINE_MAX];
	size_t i, used = 0, len;

	buf[0] = '\0';
	for (i = 0; i < m->nparams && i < BRIDGE_CMD_USERHOST_MAX; i++) {
		if (!bridge_cmd_person_find(b, bc, m->params[i], &p))
			continue;
		len = (size_t)snprintf(item, sizeof item, "%s%s=%c%s@%s",
		    used > 0 ? " " : "", p.nick,
		    bridge_cmd_person_away(bc, &p) != NULL ? '-' : '+', p.user,
		    p.host);
		if (used + len >= sizeof buf - 64)
			break; /* keep room for the rest of the line */
		memcpy(buf + used, item, len + 1);
		used += len;
	}
	return irc_client_numeric(bc->c, IRC_RPL_USERHOST, IRC_RPL_USERHOST_FMT,
	    bridge_cmd_nick_of(bc), buf);
}

/* ISON nick...: the nicks that exist (everyone mapped counts as on). */
static int
bridge_cmd_ison(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	struct bridge_cmd_person p;
	char buf[IRC_MSG_LINE_MAX], *list, *name, *save;
	size_t i, used = 0, len;

	buf[0] = '\0';
	/* Nicks come as separate parameters or space-separated in one. */
	for (i = 0; i < m->nparams; i++) {
		list = xstrdup(m->params[i]);
		save = NULL;
		for (name = strtok_r(list, " ", &save); name != NULL;
		     name = strtok_r(NULL, " ", &save)) {
			if (!bridge_cmd_person_find(b, bc, name, &p))
				continue;
			len = strlen(p.nick);
			if (used + 1 + len >= sizeof buf - 64)
				break;
			if (used > 0)
				buf[used++] = ' ';
			memcpy(buf + used, p.nick, len + 1);
			used += len;
		}
		free(list);
	}
	return irc_client_numeric(bc->c, IRC_RPL_ISON, IRC_RPL_ISON_FMT,
	    bridge_cmd_nick_of(bc), buf);
}

/* TOPIC <chan> [text]: the notice; changing it from IRC is refused. */
static int
bridge_cmd_topic(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	struct bridge_chat *chat;

	if ((chat = bridge_cmd_find_channel(b, m->params[0])) == NULL)
		return irc_client_numeric(bc->c, IRC_ERR_NOSUCHCHANNEL,
		    IRC_ERR_NOSUCHCHANNEL_FMT, bridge_cmd_nick_of(bc),
		    bridge_cmd_echo(m->params[0]));
	if (m->nparams < 2) {
		bridge_send_topic(b, bc, chat, true);
		return 0;
	}
	/* XXX SETMETA (LOCO_META_NOTICE) could do it (IRC.md 4.3 "later"). */
	return irc_client_numeric(bc->c, IRC_ERR_CHANOPRIVSNEEDED,
	    "%s %s :You cannot change the topic from IRC",
	    bridge_cmd_nick_of(bc), chat->name);
}

/* Whether a user mode change only touches modes we claim anyway. */
static bool
bridge_cmd_umode_harmless(const char *modes)
{
	return modes[strspn(modes, "+-iw")] == '\0';
}

/* MODE on a channel: +nt, empty lists, no changes. */
static int
bridge_cmd_mode_channel(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m, const struct bridge_chat *chat)
{
	const char *me = bridge_cmd_nick_of(bc), *modes;

	if (m->nparams < 2) {
		if (irc_client_numeric(bc->c, IRC_RPL_CHANNELMODEIS,
		        IRC_RPL_CHANNELMODEIS_FMT, me, chat->name, "+nt") < 0)
			return -1;
		return irc_client_numeric(bc->c, IRC_RPL_CREATIONTIME,
		    IRC_RPL_CREATIONTIME_FMT, me, chat->name,
		    (long long)b->started);
	}
	modes = m->params[1];
	if (*modes == '+')
		modes++;
	/* A bare list mode asks for the list, which is always empty. */
	if (m->nparams == 2 && strcmp(modes, "b") == 0)
		return irc_client_numeric(bc->c, IRC_RPL_ENDOFBANLIST,
		    IRC_RPL_ENDOFBANLIST_FMT, me, chat->name);
	if (m->nparams == 2 && strcmp(modes, "e") == 0)
		return irc_client_numeric(bc->c, IRC_RPL_ENDOFEXCEPTLIST,
		    IRC_RPL_ENDOFEXCEPTLIST_FMT, me, chat->name);
	if (m->nparams == 2 && strcmp(modes, "I") == 0)
		return irc_client_numeric(bc->c, IRC_RPL_ENDOFINVITELIST,
		    IRC_RPL_ENDOFINVITELIST_FMT, me, chat->name);
	return irc_client_numeric(bc->c, IRC_ERR_CHANOPRIVSNEEDED,
	    IRC_ERR_CHANOPRIVSNEEDED_FMT, me, chat->name);
}

/* MODE <target> [modes]: channels, our own user modes, nobody else's. */
static int
bridge_cmd_mode(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	struct bridge_cmd_person p;
	struct bridge_chat *chat;
	const char *target = m->params[0], *me = bridge_cmd_nick_of(bc);

	if (bridge_cmd_is_channel_name(target)) {
		if ((chat = bridge_cmd_find_channel(b, target)) == NULL)
			return irc_client_numeric(bc->c, IRC_ERR_NOSUCHCHANNEL,
			    IRC_ERR_NOSUCHCHANNEL_FMT, me,
			    bridge_cmd_echo(target));
		return bridge_cmd_mode_channel(b, bc, m, chat);
	}
	if (!bridge_cmd_person_find(b, bc, target, &p))
		return irc_client_numeric(bc->c, IRC_ERR_NOSUCHNICK,
		    IRC_ERR_NOSUCHNICK_FMT, me, bridge_cmd_echo(target));
	if (!p.own)
		return irc_client_numeric(bc->c, IRC_ERR_USERSDONTMATCH,
		    IRC_ERR_USERSDONTMATCH_FMT, me);
	if (m->nparams < 2)
		return irc_client_numeric(bc->c, IRC_RPL_UMODEIS,
		    IRC_RPL_UMODEIS_FMT, me, "+i");
	/* Clients set +i (or +w) on connect: let that pass quietly. */
	if (bridge_cmd_umode_harmless(m->params[1]))
		return 0;
	return irc_client_numeric(bc->c, IRC_ERR_UMODEUNKNOWNFLAG,
	    IRC_ERR_UMODEUNKNOWNFLAG_FMT, me);
}

/* One 322 line for chat. */
static int
bridge_cmd_list_one(struct bridge_client *bc, const struct bridge_chat *chat)
{
	char topic[BRIDGE_CMD_TEXT_MAX + 1];

	bridge_cmd_clean(chat->notice, topic, sizeof topic);
	return irc_client_numeric(bc->c, IRC_RPL_LIST, IRC_RPL_LIST_FMT,
	    bridge_cmd_nick_of(bc), chat->name, (unsigned)chat->n_members,
	    topic);
}

/* LIST [chans]: every shown channel (how users discover chats), or those
 * named; ELIST conditions (">3") are not supported and list everything. */
static int
bridge_cmd_list(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	struct bridge_chat *chat;
	char *list, *name, *save = NULL;
	size_t i, n;
	int rc = 0;

	if (irc_client_numeric(bc->c, IRC_RPL_LISTSTART, IRC_RPL_LISTSTART_FMT,
	        bridge_cmd_nick_of(bc)) < 0)
		return -1;
	if (m->nparams >= 1 && bridge_cmd_is_channel_name(m->params[0])) {
		list = xstrdup(m->params[0]);
		for (name = strtok_r(list, ",", &save); name != NULL;
		     name = strtok_r(NULL, ",", &save)) {
			chat = bridge_cmd_find_channel(b, name);
			if (chat != NULL &&
			    (rc = bridge_cmd_list_one(bc, chat)) < 0)
				break;
		}
		free(list);
	} else {
		n = bridge_world_count_chats(b->world);
		for (i = 0; i < n && rc == 0; i++) {
			chat = bridge_world_chat_at(b->world, i);
			if (chat != NULL && !chat->gone && !chat->query)
				rc = bridge_cmd_list_one(bc, chat);
		}
	}
	if (rc < 0)
		return -1;
	return irc_client_numeric(bc->c, IRC_RPL_LISTEND, IRC_RPL_LISTEND_FMT,
	    bridge_cmd_nick_of(bc));
}

/* AWAY [text]: per client and local only; other clients hear of it. */
static int
bridge_cmd_away(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	struct bridge_client *o, *next;
	char text[BRIDGE_CMD_AWAY_MAX + 1];
	bool away = m->nparams >= 1 && *m->params[0] != '\0';

	free(bc->away);
	bc->away = NULL;
	if (away) {
		bridge_cmd_clean(m->params[0], text, sizeof text);
		bc->away = xstrdup(text);
	}
	if ((away ? irc_client_numeric(bc->c, IRC_RPL_NOWAWAY,
	                IRC_RPL_NOWAWAY_FMT, bridge_cmd_nick_of(bc))
	          : irc_client_numeric(bc->c, IRC_RPL_UNAWAY,
	                IRC_RPL_UNAWAY_FMT, bridge_cmd_nick_of(bc))) < 0)
		return -1;
	/*
	 * Not bridge_broadcast: the sender must not hear it back. The server
	 * drops AWAY for clients without away-notify. A send can drop only
	 * the client it goes to, so keeping next first is enough.
	 */
	for (o = b->clients; o != NULL; o = next) {
		next = o->next;
		if (o != bc)
			bridge_cmd_send_own(b, o->c, "AWAY", NULL,
			    away ? text : NULL);
	}
	return 0;
}

/* MOTD: the same text the welcome sent. */
static int
bridge_cmd_motd(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	static const char motd[] = BRIDGE_MOTD;
	struct irc_text_span *lines = NULL;
	char line[BRIDGE_CMD_TEXT_MAX + 1];
	const char *me = bridge_cmd_nick_of(bc);
	size_t i, n;
	int rc = -1;

	(void)m;
	n = irc_text_lines(motd, strlen(motd), &lines);
	if (n == 0)
		return irc_client_numeric(bc->c, IRC_ERR_NOMOTD,
		    IRC_ERR_NOMOTD_FMT, me);
	if (irc_client_numeric(bc->c, IRC_RPL_MOTDSTART, IRC_RPL_MOTDSTART_FMT,
	        me, bridge_cmd_server(b)) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		snprintf(line, sizeof line, "%.*s", (int)lines[i].len,
		    motd + lines[i].off);
		if (irc_client_numeric(bc->c, IRC_RPL_MOTD, IRC_RPL_MOTD_FMT,
		        me, line) < 0)
			goto out;
	}
	rc = irc_client_numeric(bc->c, IRC_RPL_ENDOFMOTD, IRC_RPL_ENDOFMOTD_FMT,
	    me);
out:
	free(lines);
	return rc < 0 ? -1 : 0;
}

/* VERSION: 351 (a server parameter can only mean us). */
static int
bridge_cmd_version(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	(void)m;
	return irc_client_numeric(bc->c, IRC_RPL_VERSION, IRC_RPL_VERSION_FMT,
	    bridge_cmd_nick_of(bc), "locoircd-" PACKAGE_VERSION,
	    bridge_cmd_server(b), "KakaoTalk gateway");
}

/*
 * LUSERS: the account's world in IRC's terms: its known users, its shown
 * channels, the attached clients (RFC 2812 3.4.2; servers send it after
 * the welcome too).
 */
static int
bridge_cmd_lusers(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	const char *nick = bridge_cmd_nick_of(bc);
	size_t users = bridge_world_count_users(b->world), chans = 0, i;
	size_t clients = b->stats.clients;

	(void)m;
	for (i = 0; i < bridge_world_count_chats(b->world); i++) {
		const struct bridge_chat *chat =
		    bridge_world_chat_at(b->world, i);

		if (!chat->gone && !chat->query)
			chans++;
	}
	if (irc_client_numeric(bc->c, IRC_RPL_LUSERCLIENT,
	        IRC_RPL_LUSERCLIENT_FMT, nick, users) != 0 ||
	    irc_client_numeric(bc->c, IRC_RPL_LUSERCHANNELS,
	        IRC_RPL_LUSERCHANNELS_FMT, nick, chans) != 0 ||
	    irc_client_numeric(bc->c, IRC_RPL_LUSERME, IRC_RPL_LUSERME_FMT,
	        nick, clients) != 0 ||
	    irc_client_numeric(bc->c, IRC_RPL_LOCALUSERS,
	        IRC_RPL_LOCALUSERS_FMT, nick, clients, clients, clients,
	        clients) != 0)
		return -1;
	return irc_client_numeric(bc->c, IRC_RPL_GLOBALUSERS,
	    IRC_RPL_GLOBALUSERS_FMT, nick, users, users, users, users);
}

/* The IRCv3 commands live in their own files; they answer themselves. */
static int
bridge_cmd_history(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	bridge_history_command(b, bc, m);
	return 0;
}

static int
bridge_cmd_markread(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	bridge_read_command(b, bc, m);
	return 0;
}

static int
bridge_cmd_redact(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	bridge_redact_command(b, bc, m);
	return 0;
}

void
bridge_cmd_welcome_lusers(struct bridge *b, struct bridge_client *bc)
{
	bridge_cmd_lusers(b, bc, NULL);
}

/* TIME: 391 in UTC, which is what the server-time tags use too. */
static int
bridge_cmd_time(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	char buf[64];
	time_t now = time(NULL);
	struct tm tm;

	(void)m;
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(buf, sizeof buf, "%A %B %d %Y -- %H:%M:%S +00:00", &tm) ==
	        0)
		snprintf(buf, sizeof buf, "%lld", (long long)now);
	return irc_client_numeric(bc->c, IRC_RPL_TIME, IRC_RPL_TIME_FMT,
	    bridge_cmd_nick_of(bc), bridge_cmd_server(b), buf);
}

/* NICK: the account's nick is fixed (contacts' nicks are reserved). */
static int
bridge_cmd_nick(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	const char *me = bridge_cmd_nick_of(bc);

	if (m->nparams < 1 || *m->params[0] == '\0')
		return irc_client_numeric(bc->c, IRC_ERR_NONICKNAMEGIVEN,
		    IRC_ERR_NONICKNAMEGIVEN_FMT, me);
	if (irc_text_caseeq(m->params[0], me) ||
	    irc_text_caseeq(m->params[0], bridge_world_own_nick(b->world)))
		return 0;
	return irc_client_numeric(bc->c, IRC_ERR_NICKNAMEINUSE,
	    "%s %s :Nickname is reserved for this account", me,
	    bridge_cmd_echo(m->params[0]));
}

/* SETNAME: the real name is the Kakao profile name. */
static int
bridge_cmd_setname(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	static const char *const none[] = {NULL};

	(void)b;
	(void)m;
	return irc_client_stdreply(bc->c, "FAIL", "SETNAME",
	    "CANNOT_CHANGE_REALNAME", none,
	    "The real name is the KakaoTalk profile name");
}

/* Every line of a registered client: find its row, check, run. */
void
bridge_cmd_dispatch(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	const struct bridge_cmd *cmd = NULL;
	size_t i;

	for (i = 0; i < sizeof bridge_cmds / sizeof bridge_cmds[0]; i++) {
		if (strcmp(bridge_cmds[i].name, m->command) == 0) {
			cmd = &bridge_cmds[i];
			break;
		}
	}
	if (cmd == NULL) {
		irc_client_numeric(bc->c, IRC_ERR_UNKNOWNCOMMAND,
		    IRC_ERR_UNKNOWNCOMMAND_FMT, bridge_cmd_nick_of(bc),
		    m->command);
		return;
	}
	if (m->nparams < cmd->min_params) {
		irc_client_numeric(bc->c, IRC_ERR_NEEDMOREPARAMS,
		    IRC_ERR_NEEDMOREPARAMS_FMT, bridge_cmd_nick_of(bc),
		    cmd->name);
		return;
	}
	/* -1 only says bc may be gone; there is nothing left to do. */
	(void)cmd->fn(b, bc, m);
}
