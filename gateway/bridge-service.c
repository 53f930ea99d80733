/* locoirc: see LICENSE.
 *
 * The service nick *loco: the account's control line, talking in a query
 * window as BitlBee's root and ZNC's *status do (a NOTICE would land in
 * the server buffer of many clients). It answers help, status, chats and
 * rename from the bridge's own state, and is the voice the bridge uses to
 * tell clients about the upstream connection. It sends nothing upstream.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bridge-int.h"
#include "bridge-names.h"
#include "bridge-render.h"
#include "irc-msg.h"
#include "irc-server.h"
#include "irc-text.h"
#include "log.h"
#include "loco-chat.h"
#include "loco-engine.h"
#include "store.h"
#include "xmalloc.h"

/* The user part of the service's mask; its host is our server name. */
#define BRIDGE_SERVICE_USER "service"
/*
 * Bytes of text per PRIVMSG: ":*loco!service@<server> PRIVMSG <nick> :"
 * takes up to about 100 of the 512 with a 64-byte nick and server name.
 */
#define BRIDGE_SERVICE_TEXT_MAX 400
/* Lines "chats" lists before it asks for a filter (the SendQ is finite). */
#define BRIDGE_SERVICE_CHATS_MAX 200
/* Messages "history" sends by default, and at most. */
#define BRIDGE_SERVICE_HISTORY_DEFAULT 20
#define BRIDGE_SERVICE_HISTORY_MAX 200

/* A service command: 0, or -1 when bc may be gone (send nothing more). */
typedef int (*bridge_service_cb)(struct bridge *b, struct bridge_client *bc,
    const char *args);

/* One row of the command table. */
struct bridge_service_cmd {
	const char *name;  /* matched case-insensitively */
	const char *usage; /* arguments, for help */
	const char *help;  /* one line */
	bridge_service_cb fn;
};

static int bridge_service_help(struct bridge *, struct bridge_client *,
    const char *);
static int bridge_service_status(struct bridge *, struct bridge_client *,
    const char *);
static int bridge_service_chats(struct bridge *, struct bridge_client *,
    const char *);
static int bridge_service_rename(struct bridge *, struct bridge_client *,
    const char *);
static int bridge_service_history(struct bridge *, struct bridge_client *,
    const char *);

static const struct bridge_service_cmd bridge_service_cmds[] = {
    {"help", "", "this list", bridge_service_help},
    {"status", "",
        "the KakaoTalk connection, uptime, attached clients, the store",
        bridge_service_status},
    {"chats", "[text]",
        "your chats: IRC name, kind, members, title (text filters them)",
        bridge_service_chats},
    {"rename", "<#channel> <new name>",
        "give a channel another IRC name, kept across restarts",
        bridge_service_rename},
    {"history", "<#channel|nick> [n]",
        "the last n (20, at most 200) messages of a chat, in its window",
        bridge_service_history},
};

/* What "chats" calls each kind of chat, by enum loco_chat_type. */
static const char *const bridge_service_kinds[] = {
    [LOCO_CHAT_UNKNOWN] = "chat",
    [LOCO_CHAT_DIRECT] = "direct",
    [LOCO_CHAT_MULTI] = "group",
    [LOCO_CHAT_MEMO] = "memo",
    [LOCO_CHAT_PLUS] = "plus",
    [LOCO_CHAT_OPEN_MULTI] = "open group",
    [LOCO_CHAT_OPEN_DIRECT] = "open direct",
};

/* A malloc'd printf of fmt (no xvasprintf in xmalloc.h). */
static char *bridge_service_vformat(const char *fmt, va_list ap)
    __attribute__((format(printf, 1, 0)));

static char *
bridge_service_vformat(const char *fmt, va_list ap)
{
	va_list ap2;
	char *s;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return xstrdup("(unprintable)");
	s = xmalloc((size_t)n + 1);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

/* Send one PRIVMSG from the service to bc's nick. */
static int
bridge_service_line(struct bridge *b, struct bridge_client *bc,
    const char *text)
{
	struct irc_msg m;
	int rc;

	irc_msg_init(&m);
	irc_msg_set_source(&m, BRIDGE_NAMES_SERVICE_NICK, BRIDGE_SERVICE_USER,
	    b->cfg.server_name);
	irc_msg_set_command(&m, "PRIVMSG");
	irc_msg_add_param(&m, irc_client_get_nick(bc->c));
	irc_msg_add_param(&m, text);
	m.trailing = true;
	if ((rc = irc_client_send(bc->c, &m)) == 0)
		b->stats.lines_out++;
	irc_msg_release(&m);
	return rc;
}

/*
 * Send text to bc as service lines: one PRIVMSG per line of it, long
 * lines cut on character boundaries. Chat titles and Kakao names end up
 * in here, so it is repaired and stripped of control characters first.
 */
static int
bridge_service_send(struct bridge *b, struct bridge_client *bc,
    const char *text)
{
	struct irc_text_span *lines = NULL, *chunks = NULL;
	size_t nlines, nchunks, i, j, len;
	char *fixed, *line, *chunk;
	int rc = 0;

	if (bc->dead)
		return -1;
	fixed = irc_text_utf8_repair(text, strlen(text), &len);
	nlines = irc_text_lines(fixed, len, &lines);
	for (i = 0; i < nlines && rc == 0; i++) {
		line = xstrndup(fixed + lines[i].off, lines[i].len);
		len = irc_text_strip_controls(line, lines[i].len,
		    IRC_TEXT_KEEP_FORMAT);
		nchunks =
		    irc_text_split(line, len, BRIDGE_SERVICE_TEXT_MAX, &chunks);
		for (j = 0; j < nchunks && rc == 0; j++) {
			chunk = xstrndup(line + chunks[j].off, chunks[j].len);
			rc = bridge_service_line(b, bc, chunk);
			free(chunk);
		}
		free(chunks);
		chunks = NULL;
		free(line);
	}
	free(lines);
	free(fixed);
	return rc < 0 || bc->dead ? -1 : 0;
}

void
bridge_service_say(struct bridge *b, struct bridge_client *bc, const char *fmt,
    ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = bridge_service_vformat(fmt, ap);
	va_end(ap);
	bridge_service_send(b, bc, text);
	free(text);
}

void
bridge_service_announce(struct bridge *b, const char *fmt, ...)
{
	struct bridge_client *bc, *next;
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = bridge_service_vformat(fmt, ap);
	va_end(ap);
	/* A send can drop (unlink) only the client it goes to. */
	for (bc = b->clients; bc != NULL; bc = next) {
		next = bc->next;
		bridge_service_send(b, bc, text);
	}
	free(text);
}

/* help: every command with its one line. */
static int
bridge_service_help(struct bridge *b, struct bridge_client *bc,
    const char *args)
{
	const struct bridge_service_cmd *cmd;
	size_t i;

	(void)args;
	if (bridge_service_send(b, bc, "commands (case does not matter):") < 0)
		return -1;
	for (i = 0;
	     i < sizeof bridge_service_cmds / sizeof bridge_service_cmds[0];
	     i++) {
		cmd = &bridge_service_cmds[i];
		bridge_service_say(b, bc, "  %s%s%s - %s", cmd->name,
		    cmd->usage[0] != '\0' ? " " : "", cmd->usage, cmd->help);
		if (bc->dead)
			return -1;
	}
	return 0;
}

/* Append "2d 03:04:05"-style uptime for secs to buf. */
static void
bridge_service_uptime(time_t secs, char *buf, size_t len)
{
	long long s = secs < 0 ? 0 : (long long)secs;

	if (s >= 86400)
		snprintf(buf, len, "%lldd %02lld:%02lld:%02lld", s / 86400,
		    s / 3600 % 24, s / 60 % 60, s % 60);
	else
		snprintf(buf, len, "%02lld:%02lld:%02lld", s / 3600,
		    s / 60 % 60, s % 60);
}

/* status: upstream, uptime, chats, clients, store, counters. */
static int
bridge_service_status(struct bridge *b, struct bridge_client *bc,
    const char *args)
{
	struct bridge_stats st;
	struct bridge_client *o;
	struct bridge_chat *chat;
	char up[64], since[64], *list = NULL, *tmp;
	size_t i, n, channels = 0, queries = 0;
	int64_t stored;
	struct tm tm;
	time_t now = time(NULL);

	(void)args;
	bridge_service_say(b, bc, "KakaoTalk: %s%s%s%s",
	    loco_engine_state_name(b->state),
	    b->state_detail != NULL ? " (" : "",
	    b->state_detail != NULL ? b->state_detail : "",
	    b->state_detail != NULL ? ")" : "");
	if (bc->dead)
		return -1;

	bridge_service_uptime(now - b->started, up, sizeof up);
	if (gmtime_r(&b->started, &tm) == NULL ||
	    strftime(since, sizeof since, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(since, sizeof since, "%lld", (long long)b->started);
	bridge_service_say(b, bc, "uptime: %s (since %s)", up, since);
	if (bc->dead)
		return -1;

	n = bridge_world_count_chats(b->world);
	for (i = 0; i < n; i++) {
		chat = bridge_world_chat_at(b->world, i);
		if (chat == NULL || chat->gone)
			continue;
		if (chat->query)
			queries++;
		else
			channels++;
	}
	bridge_service_say(b, bc,
	    "chats: %zu shown (%zu channels, %zu queries)", channels + queries,
	    channels, queries);
	if (bc->dead)
		return -1;

	/* bc is linked (not dead), so the list has at least it. */
	for (o = b->clients; o != NULL; o = o->next) {
		tmp = xasprintf("%s%s%s%s%s", list != NULL ? list : "",
		    list != NULL ? ", " : "", o->name[0] != '\0' ? "@" : "",
		    o->name[0] != '\0' ? o->name : "(no name)",
		    o == bc ? " (you)" : "");
		free(list);
		list = tmp;
	}
	bridge_get_stats(b, &st);
	bridge_service_say(b, bc, "clients: %zu attached: %s", st.clients,
	    list != NULL ? list : "none");
	free(list);
	if (bc->dead)
		return -1;

	if ((stored = store_count_messages(b->store, 0)) < 0)
		bridge_service_say(b, bc, "store: cannot count the messages");
	else
		bridge_service_say(b, bc, "store: %lld messages",
		    (long long)stored);
	if (bc->dead)
		return -1;

	bridge_service_say(b, bc,
	    "sent: %llu lines, %llu messages; WRITE: %llu (%llu failed), "
	    "%zu waiting",
	    (unsigned long long)st.lines_out,
	    (unsigned long long)st.messages_out, (unsigned long long)st.writes,
	    (unsigned long long)st.writes_failed, b->wq_len);
	return bc->dead ? -1 : 0;
}

/* Whether needle occurs in hay, ignoring ASCII case; NULL hay never. */
static bool
bridge_service_contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle), i;

	if (hay == NULL)
		return false;
	for (; *hay != '\0'; hay++) {
		for (i = 0; i < n; i++) {
			char a = hay[i], c = needle[i];

			if (a >= 'A' && a <= 'Z')
				a += 'a' - 'A';
			if (c >= 'A' && c <= 'Z')
				c += 'a' - 'A';
			if (a == '\0' || a != c)
				break;
		}
		if (i == n)
			return true;
	}
	return false;
}

/* What "chats" calls chat's kind. */
static const char *
bridge_service_kind(const struct bridge_chat *chat)
{
	size_t t = (size_t)chat->type;

	if (t >= sizeof bridge_service_kinds / sizeof bridge_service_kinds[0] ||
	    bridge_service_kinds[t] == NULL)
		return "chat";
	return bridge_service_kinds[t];
}

/* chats [text]: one line per shown chat, filtered by name or title. */
static int
bridge_service_chats(struct bridge *b, struct bridge_client *bc,
    const char *args)
{
	struct bridge_chat *chat;
	size_t i, n, shown = 0, more = 0;

	n = bridge_world_count_chats(b->world);
	for (i = 0; i < n; i++) {
		chat = bridge_world_chat_at(b->world, i);
		if (chat == NULL || chat->gone)
			continue;
		if (args[0] != '\0' &&
		    !bridge_service_contains(chat->name, args) &&
		    !bridge_service_contains(chat->title, args))
			continue;
		if (shown == BRIDGE_SERVICE_CHATS_MAX) {
			more++;
			continue;
		}
		shown++;
		bridge_service_say(b, bc, "%s  %s, %zu member%s%s%s%s",
		    chat->name, bridge_service_kind(chat), chat->n_members,
		    chat->n_members == 1 ? "" : "s",
		    chat->title != NULL ? ", \"" : "",
		    chat->title != NULL ? chat->title : "",
		    chat->title != NULL ? "\"" : "");
		if (bc->dead)
			return -1;
	}
	if (more > 0)
		bridge_service_say(b, bc,
		    "... and %zu more: narrow it down with chats <text>", more);
	else if (shown == 0)
		bridge_service_send(b, bc,
		    args[0] != '\0' ? "no chat matches" : "no chats yet");
	else
		bridge_service_say(b, bc, "%zu chat%s", shown,
		    shown == 1 ? "" : "s");
	return bc->dead ? -1 : 0;
}

/* Tell one client a channel it shows was renamed: PART old, show new. */
static void
bridge_service_renamed(struct bridge *b, struct bridge_client *o,
    struct bridge_chat *chat, const char *old_name)
{
	struct irc_msg m;
	char *reason;
	int rc;

	o->joined[chat->index] = false;
	reason = xasprintf("renamed to %s", chat->name);
	irc_msg_init(&m);
	irc_msg_set_source(&m, bridge_world_own_nick(b->world), b->own_user,
	    BRIDGE_RENDER_HOST);
	irc_msg_set_command(&m, "PART");
	irc_msg_add_param(&m, old_name);
	irc_msg_add_param(&m, reason);
	m.trailing = true;
	if ((rc = irc_client_send(o->c, &m)) == 0)
		b->stats.lines_out++;
	irc_msg_release(&m);
	free(reason);
	if (rc == 0 && !o->dead)
		bridge_show_chat(b, o, chat);
}

/* rename <#channel> <new name>: on purpose, persisted, shown to all. */
static int
bridge_service_rename(struct bridge *b, struct bridge_client *bc,
    const char *args)
{
	struct bridge_client *o, *next;
	struct bridge_chat *chat;
	const char *wanted, *why = NULL;
	char *name = NULL, *old = NULL;
	size_t len;
	bool saved;

	len = strcspn(args, " ");
	wanted = args + len + strspn(args + len, " ");
	if (len == 0 || *wanted == '\0') {
		bridge_service_send(b, bc,
		    "usage: rename <#channel> <new name>");
		return bc->dead ? -1 : 0;
	}
	name = xstrndup(args, len);
	if ((chat = bridge_world_find_target(b->world, name)) == NULL) {
		bridge_service_say(b, bc,
		    "cannot rename '%s': no such chat (see: chats)", name);
		goto out;
	}
	if (chat->query) {
		bridge_service_say(b, bc,
		    "cannot rename '%s': only channels have names of their own",
		    name);
		goto out;
	}
	if (bridge_world_rename_chat(b->world, chat->id, wanted, &old, &why) !=
	    0) {
		bridge_service_say(b, bc, "cannot rename '%s': %s", chat->name,
		    why != NULL ? why : "refused");
		goto out;
	}
	if (strcmp(old, chat->name) == 0) {
		bridge_service_say(b, bc, "'%s' already has that name",
		    chat->name);
		goto out;
	}
	/* The name is the user's choice: keep it across restarts. */
	saved = bridge_world_persist(b->world) == 0;
	log_info("service: channel '%s' renamed to '%s'", old, chat->name);
	for (o = b->clients; o != NULL; o = next) {
		next = o->next;
		if (chat->index < o->n_chats && o->joined[chat->index])
			bridge_service_renamed(b, o, chat, old);
	}
	if (saved)
		bridge_service_say(b, bc, "renamed '%s' to '%s'", old,
		    chat->name);
	else
		bridge_service_say(b, bc,
		    "renamed '%s' to '%s', but the store failed: the old name "
		    "comes back after a restart",
		    old, chat->name);
out:
	free(name);
	free(old);
	return bc->dead ? -1 : 0;
}

/*
 * history <target> [n]: the newest n messages of a chat, as a replay
 * shows them (stamped for clients without server-time), for clients that
 * cannot ask with CHATHISTORY (irssi, WeeChat 3.8).
 */
static int
bridge_service_history(struct bridge *b, struct bridge_client *bc,
    const char *args)
{
	struct bridge_chat *chat;
	const char *rest;
	char *name = NULL, *end;
	unsigned long long n = BRIDGE_SERVICE_HISTORY_DEFAULT;
	size_t len, sent = 0;

	len = strcspn(args, " ");
	rest = args + len + strspn(args + len, " ");
	if (len == 0) {
		bridge_service_send(b, bc,
		    "usage: history <#channel|nick> [n]");
		return bc->dead ? -1 : 0;
	}
	if (*rest != '\0') {
		errno = 0;
		n = strtoull(rest, &end, 10);
		if (*rest < '0' || *rest > '9' || *end != '\0' || n == 0) {
			bridge_service_say(b, bc,
			    "history: '%s' is not a number of messages (1 to "
			    "%d)",
			    rest, BRIDGE_SERVICE_HISTORY_MAX);
			return bc->dead ? -1 : 0;
		}
		if (errno == ERANGE || n > BRIDGE_SERVICE_HISTORY_MAX)
			n = BRIDGE_SERVICE_HISTORY_MAX;
	}
	name = xstrndup(args, len);
	if ((chat = bridge_world_find_target(b->world, name)) == NULL)
		bridge_service_say(b, bc,
		    "cannot show history of '%s': no such chat (see: chats)",
		    name);
	else if (bridge_history_send_latest(b, bc, chat, (size_t)n, &sent) != 0)
		bridge_service_say(b, bc,
		    "cannot show history of '%s': the store failed",
		    chat->name);
	else if (!bc->dead)
		bridge_service_say(b, bc, "history: %zu message%s of %s", sent,
		    sent == 1 ? "" : "s", chat->name);
	free(name);
	return bc->dead ? -1 : 0;
}

void
bridge_service_command(struct bridge *b, struct bridge_client *bc,
    const char *text)
{
	const struct bridge_service_cmd *cmd = NULL;
	char *line, *word, *args, *end;
	size_t i;

	line = xstrdup(text);
	irc_text_strip_controls(line, strlen(line), 0);
	word = line + strspn(line, " ");
	args = word + strcspn(word, " ");
	if (*args != '\0')
		*args++ = '\0';
	args += strspn(args, " ");
	/* Trailing spaces are no part of a channel name or a filter. */
	end = args + strlen(args);
	while (end > args && end[-1] == ' ')
		*--end = '\0';
	for (i = 0;
	     i < sizeof bridge_service_cmds / sizeof bridge_service_cmds[0];
	     i++) {
		if (strcasecmp(bridge_service_cmds[i].name, word) == 0) {
			cmd = &bridge_service_cmds[i];
			break;
		}
	}
	if (cmd != NULL)
		(void)cmd->fn(b, bc, args);
	else if (*word == '\0')
		bridge_service_send(b, bc, "try help");
	else
		bridge_service_say(b, bc, "unknown command '%s', try help",
		    word);
	free(line);
}
