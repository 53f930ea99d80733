/* locoirc: see LICENSE.
 *
 * IRC numerics as format strings, ngIRCd style: IRC_<NAME> is the code and
 * IRC_<NAME>_FMT the parameters after it, starting with the client's nick,
 * so a reply is ":<server> <code> " followed by the formatted text. Only the
 * numerics IRC.md 4 uses, plus the RFC ones the commands of IRC.md 4.3 need
 * (301, 319, 402, 409, 501, 502), and the IRCv3 standard replies it names.
 */
#ifndef LOCOIRC_GATEWAY_IRC_NUMERIC_H
#define LOCOIRC_GATEWAY_IRC_NUMERIC_H

#include <stddef.h>

/* One row of the numerics table (static storage). */
struct irc_numeric {
	int code;
	const char *name;   /* "RPL_WELCOME" */
	const char *format; /* printf-style; first %s is the client's nick */
};

/* One IRCv3 standard reply (FAIL/WARN/NOTE) the gateway sends. */
struct irc_numeric_stdreply {
	const char *type;    /* "FAIL", "WARN" or "NOTE" */
	const char *command; /* "CHATHISTORY", or "*" */
	const char *code;    /* "INVALID_PARAMS" */
	const char *format;  /* context params and description, printf-style */
};

#define IRC_RPL_WELCOME 1
#define IRC_RPL_WELCOME_FMT "%s :Welcome to the %s IRC network %s"
#define IRC_RPL_YOURHOST 2
#define IRC_RPL_YOURHOST_FMT "%s :Your host is %s, running version %s"
#define IRC_RPL_CREATED 3
#define IRC_RPL_CREATED_FMT "%s :This server was created %s"
#define IRC_RPL_MYINFO 4
#define IRC_RPL_MYINFO_FMT "%s %s %s %s %s"
#define IRC_RPL_ISUPPORT 5
#define IRC_RPL_ISUPPORT_FMT "%s %s :are supported by this server"
#define IRC_RPL_UMODEIS 221
#define IRC_RPL_UMODEIS_FMT "%s %s"
#define IRC_RPL_LUSERCLIENT 251
#define IRC_RPL_LUSERCLIENT_FMT                                                \
	"%s :There are %zu users and 0 invisible on 1 servers"
#define IRC_RPL_LUSERCHANNELS 254
#define IRC_RPL_LUSERCHANNELS_FMT "%s %zu :channels formed"
#define IRC_RPL_LUSERME 255
#define IRC_RPL_LUSERME_FMT "%s :I have %zu clients and 0 servers"
#define IRC_RPL_LOCALUSERS 265
#define IRC_RPL_LOCALUSERS_FMT "%s %zu %zu :Current local users %zu, max %zu"
#define IRC_RPL_GLOBALUSERS 266
#define IRC_RPL_GLOBALUSERS_FMT "%s %zu %zu :Current global users %zu, max %zu"
#define IRC_RPL_AWAY 301
#define IRC_RPL_AWAY_FMT "%s %s :%s"
#define IRC_RPL_USERHOST 302
#define IRC_RPL_USERHOST_FMT "%s :%s"
#define IRC_RPL_ISON 303
#define IRC_RPL_ISON_FMT "%s :%s"
#define IRC_RPL_UNAWAY 305
#define IRC_RPL_UNAWAY_FMT "%s :You are no longer marked as being away"
#define IRC_RPL_NOWAWAY 306
#define IRC_RPL_NOWAWAY_FMT "%s :You have been marked as being away"
#define IRC_RPL_WHOISUSER 311
#define IRC_RPL_WHOISUSER_FMT "%s %s %s %s * :%s"
#define IRC_RPL_WHOISSERVER 312
#define IRC_RPL_WHOISSERVER_FMT "%s %s %s :%s"
#define IRC_RPL_ENDOFWHO 315
#define IRC_RPL_ENDOFWHO_FMT "%s %s :End of WHO list"
#define IRC_RPL_ENDOFWHOIS 318
#define IRC_RPL_ENDOFWHOIS_FMT "%s %s :End of WHOIS list"
#define IRC_RPL_WHOISCHANNELS 319
#define IRC_RPL_WHOISCHANNELS_FMT "%s %s :%s"
#define IRC_RPL_LISTSTART 321
#define IRC_RPL_LISTSTART_FMT "%s Channel :Users  Name"
#define IRC_RPL_LIST 322
#define IRC_RPL_LIST_FMT "%s %s %u :%s"
#define IRC_RPL_LISTEND 323
#define IRC_RPL_LISTEND_FMT "%s :End of LIST"
#define IRC_RPL_CHANNELMODEIS 324
#define IRC_RPL_CHANNELMODEIS_FMT "%s %s %s"
#define IRC_RPL_CREATIONTIME 329
#define IRC_RPL_CREATIONTIME_FMT "%s %s %lld"
#define IRC_RPL_WHOISACCOUNT 330
#define IRC_RPL_WHOISACCOUNT_FMT "%s %s %s :is logged in as"
#define IRC_RPL_NOTOPIC 331
#define IRC_RPL_NOTOPIC_FMT "%s %s :No topic is set"
#define IRC_RPL_TOPIC 332
#define IRC_RPL_TOPIC_FMT "%s %s :%s"
#define IRC_RPL_TOPICWHOTIME 333
#define IRC_RPL_TOPICWHOTIME_FMT "%s %s %s %lld"
#define IRC_RPL_ENDOFINVITELIST 347
#define IRC_RPL_ENDOFINVITELIST_FMT "%s %s :End of channel invite list"
#define IRC_RPL_ENDOFEXCEPTLIST 349
#define IRC_RPL_ENDOFEXCEPTLIST_FMT "%s %s :End of channel exception list"
#define IRC_RPL_VERSION 351
#define IRC_RPL_VERSION_FMT "%s %s %s :%s"
#define IRC_RPL_WHOREPLY 352
#define IRC_RPL_WHOREPLY_FMT "%s %s %s %s %s %s %s :%d %s"
#define IRC_RPL_NAMREPLY 353
#define IRC_RPL_NAMREPLY_FMT "%s %s %s :%s"
#define IRC_RPL_ENDOFNAMES 366
#define IRC_RPL_ENDOFNAMES_FMT "%s %s :End of NAMES list"
#define IRC_RPL_ENDOFBANLIST 368
#define IRC_RPL_ENDOFBANLIST_FMT "%s %s :End of channel ban list"
#define IRC_RPL_MOTD 372
#define IRC_RPL_MOTD_FMT "%s :- %s"
#define IRC_RPL_MOTDSTART 375
#define IRC_RPL_MOTDSTART_FMT "%s :- %s Message of the day -"
#define IRC_RPL_ENDOFMOTD 376
#define IRC_RPL_ENDOFMOTD_FMT "%s :End of MOTD command"
#define IRC_RPL_TIME 391
#define IRC_RPL_TIME_FMT "%s %s :%s"
#define IRC_ERR_NOSUCHNICK 401
#define IRC_ERR_NOSUCHNICK_FMT "%s %s :No such nick/channel"
#define IRC_ERR_NOSUCHSERVER 402
#define IRC_ERR_NOSUCHSERVER_FMT "%s %s :No such server"
#define IRC_ERR_NOSUCHCHANNEL 403
#define IRC_ERR_NOSUCHCHANNEL_FMT "%s %s :No such channel"
#define IRC_ERR_CANNOTSENDTOCHAN 404
#define IRC_ERR_CANNOTSENDTOCHAN_FMT "%s %s :%s"
#define IRC_ERR_NOORIGIN 409
#define IRC_ERR_NOORIGIN_FMT "%s :No origin specified"
#define IRC_ERR_INVALIDCAPCMD 410
#define IRC_ERR_INVALIDCAPCMD_FMT "%s %s :Invalid CAP subcommand"
#define IRC_ERR_NORECIPIENT 411
#define IRC_ERR_NORECIPIENT_FMT "%s :No recipient given (%s)"
#define IRC_ERR_NOTEXTTOSEND 412
#define IRC_ERR_NOTEXTTOSEND_FMT "%s :No text to send"
#define IRC_ERR_INPUTTOOLONG 417
#define IRC_ERR_INPUTTOOLONG_FMT "%s :Input line was too long"
#define IRC_ERR_UNKNOWNCOMMAND 421
#define IRC_ERR_UNKNOWNCOMMAND_FMT "%s %s :Unknown command"
#define IRC_ERR_NOMOTD 422
#define IRC_ERR_NOMOTD_FMT "%s :MOTD File is missing"
#define IRC_ERR_NONICKNAMEGIVEN 431
#define IRC_ERR_NONICKNAMEGIVEN_FMT "%s :No nickname given"
#define IRC_ERR_ERRONEUSNICKNAME 432
#define IRC_ERR_ERRONEUSNICKNAME_FMT "%s %s :Erroneous nickname"
#define IRC_ERR_NICKNAMEINUSE 433
#define IRC_ERR_NICKNAMEINUSE_FMT "%s %s :Nickname is already in use"
#define IRC_ERR_NOTONCHANNEL 442
#define IRC_ERR_NOTONCHANNEL_FMT "%s %s :You're not on that channel"
#define IRC_ERR_NOTREGISTERED 451
#define IRC_ERR_NOTREGISTERED_FMT "%s :You have not registered"
#define IRC_ERR_NEEDMOREPARAMS 461
#define IRC_ERR_NEEDMOREPARAMS_FMT "%s %s :Not enough parameters"
#define IRC_ERR_ALREADYREGISTERED 462
#define IRC_ERR_ALREADYREGISTERED_FMT "%s :You may not reregister"
#define IRC_ERR_PASSWDMISMATCH 464
#define IRC_ERR_PASSWDMISMATCH_FMT "%s :Password incorrect"
#define IRC_ERR_CHANOPRIVSNEEDED 482
#define IRC_ERR_CHANOPRIVSNEEDED_FMT "%s %s :You're not channel operator"
#define IRC_ERR_UMODEUNKNOWNFLAG 501
#define IRC_ERR_UMODEUNKNOWNFLAG_FMT "%s :Unknown MODE flag"
#define IRC_ERR_USERSDONTMATCH 502
#define IRC_ERR_USERSDONTMATCH_FMT "%s :Cannot change mode for other users"
#define IRC_RPL_LOGGEDIN 900
#define IRC_RPL_LOGGEDIN_FMT "%s %s %s :You are now logged in as %s"
#define IRC_RPL_SASLSUCCESS 903
#define IRC_RPL_SASLSUCCESS_FMT "%s :SASL authentication successful"
#define IRC_ERR_SASLFAIL 904
#define IRC_ERR_SASLFAIL_FMT "%s :SASL authentication failed"
#define IRC_ERR_SASLTOOLONG 905
#define IRC_ERR_SASLTOOLONG_FMT "%s :SASL message too long"
#define IRC_ERR_SASLABORTED 906
#define IRC_ERR_SASLABORTED_FMT "%s :SASL authentication aborted"
#define IRC_ERR_SASLALREADY 907
#define IRC_ERR_SASLALREADY_FMT "%s :You have already authenticated using SASL"
#define IRC_RPL_SASLMECHS 908
#define IRC_RPL_SASLMECHS_FMT "%s %s :are available SASL mechanisms"

/* The row for code, or NULL if the gateway never sends it. */
const struct irc_numeric *irc_numeric_lookup(int code);

/* The symbolic name of code ("ERR_NOSUCHNICK"), or NULL. */
const char *irc_numeric_name(int code);

/* The whole table, ordered by code; *n gets its length. */
const struct irc_numeric *irc_numeric_table(size_t *n);

/*
 * The standard reply for command and code (type FAIL/WARN/NOTE), or NULL
 * when IRC.md names none.
 */
const struct irc_numeric_stdreply *irc_numeric_stdreply(const char *command,
    const char *code);

#endif
