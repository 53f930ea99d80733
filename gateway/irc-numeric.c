/* locoirc: see LICENSE.
 *
 * The numerics table built from irc-numeric.h's defines, and lookups over
 * it. The IRCv3 standard replies are those IRC.md 2.6-2.12 lists.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "irc-numeric.h"

#define IRC_NUMERIC_ROW(n)                                                     \
	{                                                                      \
		IRC_##n, #n, IRC_##n##_FMT                                     \
	}

/* Every numeric we send, ordered by code. */
static const struct irc_numeric irc_numerics[] = {
    IRC_NUMERIC_ROW(RPL_WELCOME),
    IRC_NUMERIC_ROW(RPL_YOURHOST),
    IRC_NUMERIC_ROW(RPL_CREATED),
    IRC_NUMERIC_ROW(RPL_MYINFO),
    IRC_NUMERIC_ROW(RPL_ISUPPORT),
    IRC_NUMERIC_ROW(RPL_UMODEIS),
    IRC_NUMERIC_ROW(RPL_LUSERCLIENT),
    IRC_NUMERIC_ROW(RPL_LUSERCHANNELS),
    IRC_NUMERIC_ROW(RPL_LUSERME),
    IRC_NUMERIC_ROW(RPL_LOCALUSERS),
    IRC_NUMERIC_ROW(RPL_GLOBALUSERS),
    IRC_NUMERIC_ROW(RPL_AWAY),
    IRC_NUMERIC_ROW(RPL_USERHOST),
    IRC_NUMERIC_ROW(RPL_ISON),
    IRC_NUMERIC_ROW(RPL_UNAWAY),
    IRC_NUMERIC_ROW(RPL_NOWAWAY),
    IRC_NUMERIC_ROW(RPL_WHOISUSER),
    IRC_NUMERIC_ROW(RPL_WHOISSERVER),
    IRC_NUMERIC_ROW(RPL_ENDOFWHO),
    IRC_NUMERIC_ROW(RPL_ENDOFWHOIS),
    IRC_NUMERIC_ROW(RPL_WHOISCHANNELS),
    IRC_NUMERIC_ROW(RPL_LISTSTART),
    IRC_NUMERIC_ROW(RPL_LIST),
    IRC_NUMERIC_ROW(RPL_LISTEND),
    IRC_NUMERIC_ROW(RPL_CHANNELMODEIS),
    IRC_NUMERIC_ROW(RPL_CREATIONTIME),
    IRC_NUMERIC_ROW(RPL_WHOISACCOUNT),
    IRC_NUMERIC_ROW(RPL_NOTOPIC),
    IRC_NUMERIC_ROW(RPL_TOPIC),
    IRC_NUMERIC_ROW(RPL_TOPICWHOTIME),
    IRC_NUMERIC_ROW(RPL_ENDOFINVITELIST),
    IRC_NUMERIC_ROW(RPL_ENDOFEXCEPTLIST),
    IRC_NUMERIC_ROW(RPL_VERSION),
    IRC_NUMERIC_ROW(RPL_WHOREPLY),
    IRC_NUMERIC_ROW(RPL_NAMREPLY),
    IRC_NUMERIC_ROW(RPL_ENDOFNAMES),
    IRC_NUMERIC_ROW(RPL_ENDOFBANLIST),
    IRC_NUMERIC_ROW(RPL_MOTD),
    IRC_NUMERIC_ROW(RPL_MOTDSTART),
    IRC_NUMERIC_ROW(RPL_ENDOFMOTD),
    IRC_NUMERIC_ROW(RPL_TIME),
    IRC_NUMERIC_ROW(ERR_NOSUCHNICK),
    IRC_NUMERIC_ROW(ERR_NOSUCHSERVER),
    IRC_NUMERIC_ROW(ERR_NOSUCHCHANNEL),
    IRC_NUMERIC_ROW(ERR_CANNOTSENDTOCHAN),
    IRC_NUMERIC_ROW(ERR_NOORIGIN),
    IRC_NUMERIC_ROW(ERR_INVALIDCAPCMD),
    IRC_NUMERIC_ROW(ERR_NORECIPIENT),
    IRC_NUMERIC_ROW(ERR_NOTEXTTOSEND),
    IRC_NUMERIC_ROW(ERR_INPUTTOOLONG),
    IRC_NUMERIC_ROW(ERR_UNKNOWNCOMMAND),
    IRC_NUMERIC_ROW(ERR_NOMOTD),
    IRC_NUMERIC_ROW(ERR_NONICKNAMEGIVEN),
    IRC_NUMERIC_ROW(ERR_ERRONEUSNICKNAME),
    IRC_NUMERIC_ROW(ERR_NICKNAMEINUSE),
    IRC_NUMERIC_ROW(ERR_NOTONCHANNEL),
    IRC_NUMERIC_ROW(ERR_NOTREGISTERED),
    IRC_NUMERIC_ROW(ERR_NEEDMOREPARAMS),
    IRC_NUMERIC_ROW(ERR_ALREADYREGISTERED),
    IRC_NUMERIC_ROW(ERR_PASSWDMISMATCH),
    IRC_NUMERIC_ROW(ERR_CHANOPRIVSNEEDED),
    IRC_NUMERIC_ROW(ERR_UMODEUNKNOWNFLAG),
    IRC_NUMERIC_ROW(ERR_USERSDONTMATCH),
    IRC_NUMERIC_ROW(RPL_LOGGEDIN),
    IRC_NUMERIC_ROW(RPL_SASLSUCCESS),
    IRC_NUMERIC_ROW(ERR_SASLFAIL),
    IRC_NUMERIC_ROW(ERR_SASLTOOLONG),
    IRC_NUMERIC_ROW(ERR_SASLABORTED),
    IRC_NUMERIC_ROW(ERR_SASLALREADY),
    IRC_NUMERIC_ROW(RPL_SASLMECHS),
};

/* The standard replies of IRC.md 2.6 (CHATHISTORY), 2.7 (MARKREAD), 2.8
 * (REDACT) and 2.12 (BATCH multiline). */
static const struct irc_numeric_stdreply irc_numeric_stdreplies[] = {
    {"FAIL", "CHATHISTORY", "INVALID_PARAMS", "%s :%s"},
    {"FAIL", "CHATHISTORY", "INVALID_TARGET", "%s %s :%s"},
    {"FAIL", "CHATHISTORY", "MESSAGE_ERROR", "%s %s :%s"},
    {"FAIL", "CHATHISTORY", "INVALID_MSGREFTYPE", "%s %s :%s"},
    {"FAIL", "MARKREAD", "INVALID_PARAMS", "%s :%s"},
    {"FAIL", "MARKREAD", "NEED_MORE_PARAMS", ":%s"},
    {"FAIL", "MARKREAD", "INTERNAL_ERROR", "%s :%s"},
    {"FAIL", "REDACT", "INVALID_TARGET", "%s :%s"},
    {"FAIL", "REDACT", "REDACT_FORBIDDEN", "%s %s :%s"},
    {"FAIL", "REDACT", "REDACT_WINDOW_EXPIRED", "%s %s %s :%s"},
    {"FAIL", "REDACT", "UNKNOWN_MSGID", "%s %s :%s"},
    {"FAIL", "BATCH", "MULTILINE_MAX_BYTES", "%s :%s"},
    {"FAIL", "BATCH", "MULTILINE_MAX_LINES", "%s :%s"},
    {"FAIL", "BATCH", "MULTILINE_INVALID_TARGET", "%s %s :%s"},
    {"FAIL", "BATCH", "MULTILINE_INVALID", ":%s"},
};

const struct irc_numeric *
irc_numeric_lookup(int code)
{
	size_t lo = 0, hi = sizeof irc_numerics / sizeof irc_numerics[0];

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (irc_numerics[mid].code == code)
			return &irc_numerics[mid];
		if (irc_numerics[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *
irc_numeric_name(int code)
{
	const struct irc_numeric *n = irc_numeric_lookup(code);

	return n != NULL ? n->name : NULL;
}

const struct irc_numeric *
irc_numeric_table(size_t *n)
{
	*n = sizeof irc_numerics / sizeof irc_numerics[0];
	return irc_numerics;
}

const struct irc_numeric_stdreply *
irc_numeric_stdreply(const char *command, const char *code)
{
	size_t i;

	for (i = 0; i <
	     sizeof irc_numeric_stdreplies / sizeof irc_numeric_stdreplies[0];
	     i++)
		if (strcmp(irc_numeric_stdreplies[i].command, command) == 0 &&
		    strcmp(irc_numeric_stdreplies[i].code, code) == 0)
			return &irc_numeric_stdreplies[i];
	return NULL;
}
