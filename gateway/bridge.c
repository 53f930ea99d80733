/* locoirc: see LICENSE.
 *
 * The bridge's core: clients attach through the IRC server, get the burst
 * and their backlog from a generator that pauses whenever their send queue
 * is half full (so a thousand chats cannot overflow it), and then receive
 * every new message once the store has committed it. Delivery is one rule
 * for live and replayed lines alike: a client is sent the messages of a
 * chat above what it was last sent, read from the store, so nothing is
 * sent twice or skipped. What a client has acknowledged (PONG to a PING sent
 * after the lines) becomes its cursor in the store, per @client name.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "bridge-int.h"
#include "bridge-names.h"
#include "bridge-render.h"
#include "irc-numeric.h"
#include "irc-text.h"
#include "log.h"
#include "loco-msgtype.h"
#include "xmalloc.h"

/* Messages read from the store per delivery step of one chat. */
#define BRIDGE_DELIVER_STEP 200
/* Prefix of the tokens of delivery PINGs. */
#define BRIDGE_PING_PREFIX "locoirc-ack-"

static bool bridge_auth_cb(struct irc_server *s, const char *user,
    const char *password, void *arg);
static void bridge_attach_cb(struct irc_server *s, struct irc_client *c,
    void *arg);
static void bridge_command_cb(struct irc_server *s, struct irc_client *c,
    const struct irc_msg *m, void *arg);
static void bridge_pong_cb(struct irc_server *s, struct irc_client *c,
    const char *token, void *arg);
static void bridge_drained_cb(struct irc_server *s, struct irc_client *c,
    void *arg);
static void bridge_detach_cb(struct irc_server *s, struct irc_client *c,
    const char *reason, void *arg);
static void bridge_commit_cb(struct store *st, void *arg);
static void bridge_attach_step(struct bridge *b, struct bridge_client *bc);
static void bridge_wq_pump(struct bridge *b);
static void bridge_reaper_cb(evutil_socket_t fd, short what, void *arg);
static void bridge_fanout(struct bridge *b);
static void bridge_renames(struct bridge *b, const struct loco_member *m,
    size_t n);
static bool bridge_write_inflight(const struct bridge *b, int64_t chat_id);
static void bridge_to_viewers_ext(struct bridge *b,
    const struct bridge_chat *chat, const struct irc_msg *m,
    const struct irc_msg *ext);

static const struct irc_server_cbs bridge_server_cbs = {
    .auth = bridge_auth_cb,
    .attach = bridge_attach_cb,
    .command = bridge_command_cb,
    .pong = bridge_pong_cb,
    .drained = bridge_drained_cb,
    .detach = bridge_detach_cb,
};

/* ISUPPORT (IRC.md 2.13); NICKLEN/CHANNELLEN in bytes. */
static const char *const bridge_isupport[] = {
    "CASEMAPPING=ascii",
    "CHANTYPES=#&",
    "PREFIX=(ov)@+",
    "CHANMODES=,,,nt",
    "NETWORK=KakaoTalk",
    "NICKLEN=64",
    "CHANNELLEN=64",
    "TOPICLEN=300",
    "AWAYLEN=300",
    "MAXTARGETS=1",
    "TARGMAX=PRIVMSG:1,NOTICE:1,TAGMSG:1,NAMES:1,WHOIS:1,JOIN:,PART:",
    "UTF8ONLY",
    "CLIENTTAGDENY=*,-draft/react,-draft/unreact,-reply,-draft/reply",
    "SAFELIST",
    "MODES=0",
    "STATUSMSG=",
};

/* Tokens that exist only while their capability is offered. */
static const char *const bridge_isupport_history[] = {
    "CHATHISTORY=" BRIDGE_HISTORY_MAX_TEXT,
    "MSGREFTYPES=msgid,timestamp",
};

/* 001-005 and the MOTD. */
static void
bridge_welcome(struct irc_client *c)
{
	const char *tokens[sizeof bridge_isupport / sizeof bridge_isupport[0] +
	    sizeof bridge_isupport_history / sizeof bridge_isupport_history[0]];
	size_t n = 0, i;

	for (i = 0; i < sizeof bridge_isupport / sizeof bridge_isupport[0]; i++)
		tokens[n++] = bridge_isupport[i];
	if (IRC_CAP_OFFERED & IRC_CAP_BIT(IRC_CAP_CHATHISTORY))
		for (i = 0; i < sizeof bridge_isupport_history /
		         sizeof bridge_isupport_history[0];
		     i++)
			tokens[n++] = bridge_isupport_history[i];
	irc_client_welcome(c, tokens, n, BRIDGE_MOTD);
}

const char *
bridge_user_id_text(int64_t id, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRId64, id);
	return buf;
}

struct bridge_client *
bridge_client_find(struct bridge *b, uint64_t id)
{
	struct bridge_client *bc;

	for (bc = b->clients; bc != NULL; bc = bc->next)
		if (bc->id == id)
			return bc;
	return NULL;
}

/* Grow bc's per-chat arrays to the world's size; new chats start unsent
 * (tail) and joined. */
static void
bridge_client_grow(struct bridge *b, struct bridge_client *bc)
{
	size_t n = bridge_world_count_chats(b->world), i;

	if (n <= bc->n_chats)
		return;
	bc->joined = xreallocarray(bc->joined, n, sizeof *bc->joined);
	bc->sent = xreallocarray(bc->sent, n, sizeof *bc->sent);
	bc->acked = xreallocarray(bc->acked, n, sizeof *bc->acked);
	bc->pinged = xreallocarray(bc->pinged, n, sizeof *bc->pinged);
	for (i = bc->n_chats; i < n; i++) {
		bc->joined[i] = false;
		bc->sent[i] = BRIDGE_SENT_TAIL;
		bc->acked[i] = 0;
		bc->pinged[i] = BRIDGE_SENT_TAIL;
	}
	bc->n_chats = n;
}

static void
bridge_dirty_grow(struct bridge *b)
{
	size_t n = bridge_world_count_chats(b->world), i;

	if (n <= b->n_dirty)
		return;
	b->dirty = xreallocarray(b->dirty, n, sizeof *b->dirty);
	for (i = b->n_dirty; i < n; i++)
		b->dirty[i] = false;
	b->n_dirty = n;
}

/* The source of the account's own lines. */
static void
bridge_own_source(struct bridge *b, struct irc_msg *m)
{
	irc_msg_set_source(m, bridge_world_own_nick(b->world), b->own_user,
	    BRIDGE_RENDER_HOST);
}

/* Send to bc, counting. */
static void
bridge_send(struct bridge *b, struct bridge_client *bc, const struct irc_msg *m)
{
	if (irc_client_send(bc->c, m) == 0)
		b->stats.lines_out++;
}

void
bridge_broadcast(struct bridge *b, const struct irc_msg *m)
{
	struct bridge_client *bc, *next;

	for (bc = b->clients; bc != NULL; bc = next) {
		next = bc->next;
		bridge_send(b, bc, m);
	}
}

/* ---- topic, names, showing a chat ---- */

/*
 * A Kakao notice as a one-line topic (malloc'd): line breaks and controls
 * become spaces, cut on a character boundary at BRIDGE_TOPIC_MAX bytes.
 */
char *
bridge_topic_text(const char *notice)
{
	char *t = irc_text_utf8_repair(notice, strlen(notice), NULL);
	size_t i, len, cut = 0;

	for (i = 0; t[i] != '\0'; i++)
		if ((unsigned char)t[i] < 0x20 || t[i] == 0x7f)
			t[i] = ' ';
	len = i;
	if (len > BRIDGE_TOPIC_MAX) {
		while (cut < BRIDGE_TOPIC_MAX) {
			size_t n = irc_text_utf8_seq(t + cut, len - cut);

			if (n == 0 || cut + n > BRIDGE_TOPIC_MAX)
				break;
			cut += n;
		}
		t[cut] = '\0';
	}
	return t;
}

void
bridge_send_topic(struct bridge *b, struct bridge_client *bc,
    const struct bridge_chat *chat, bool none_reply)
{
	const char *nick = irc_client_get_nick(bc->c);
	char *topic;

	if (chat->notice == NULL || chat->notice[0] == '\0') {
		if (none_reply)
			irc_client_numeric(bc->c, IRC_RPL_NOTOPIC,
			    IRC_RPL_NOTOPIC_FMT, nick, chat->name);
		return;
	}
	topic = bridge_topic_text(chat->notice);
	irc_client_numeric(bc->c, IRC_RPL_TOPIC, IRC_RPL_TOPIC_FMT, nick,
	    chat->name, topic);
	free(topic);
	irc_client_numeric(bc->c, IRC_RPL_TOPICWHOTIME,
	    IRC_RPL_TOPICWHOTIME_FMT, nick, chat->name, b->cfg.server_name,
	    (long long)b->started);
}

void
bridge_send_names(struct bridge *b, struct bridge_client *bc,
    const struct bridge_chat *chat)
{
	const char *nick = irc_client_get_nick(bc->c);
	bool uhnames = irc_client_has_cap(bc->c, IRC_CAP_USERHOST_IN_NAMES);
	/* ":server 353 nick = #chan :" plus names, under 512 with CRLF. */
	size_t room = IRC_MSG_LINE_MAX - 2 - 1 - strlen(b->cfg.server_name) -
	    strlen(" 353  = ") - strlen(nick) - strlen(chat->name) - 2;
	char line[IRC_MSG_LINE_MAX], idbuf[24], entry[256];
	size_t len = 0, i, elen;

	line[0] = '\0';
	for (i = 0; i < chat->n_members; i++) {
		struct bridge_user *u =
		    bridge_world_user(b->world, chat->members[i]);

		if (uhnames)
			snprintf(entry, sizeof entry, "%s!%s@%s", u->nick,
			    bridge_user_id_text(u->id, idbuf, sizeof idbuf),
			    BRIDGE_RENDER_HOST);
		else
			snprintf(entry, sizeof entry, "%s", u->nick);
		elen = strlen(entry);
		if (len > 0 && len + 1 + elen > room) {
			irc_client_numeric(bc->c, IRC_RPL_NAMREPLY,
			    IRC_RPL_NAMREPLY_FMT, nick, "=", chat->name, line);
			len = 0;
			line[0] = '\0';
		}
		if (len > 0)
			line[len++] = ' ';
		memcpy(line + len, entry, elen + 1);
		len += elen;
	}
	if (len > 0)
		irc_client_numeric(bc->c, IRC_RPL_NAMREPLY,
		    IRC_RPL_NAMREPLY_FMT, nick, "=", chat->name, line);
	irc_client_numeric(bc->c, IRC_RPL_ENDOFNAMES, IRC_RPL_ENDOFNAMES_FMT,
	    nick, chat->name);
}

void
bridge_show_chat(struct bridge *b, struct bridge_client *bc,
    struct bridge_chat *chat)
{
	struct irc_msg m;

	bridge_client_grow(b, bc);
	bc->joined[chat->index] = true;
	if (chat->query)
		return;
	irc_msg_init(&m);
	bridge_own_source(b, &m);
	irc_msg_set_command(&m, "JOIN");
	irc_msg_add_param(&m, chat->name);
	if (irc_client_has_cap(bc->c, IRC_CAP_EXTENDED_JOIN)) {
		irc_msg_add_param(&m, b->own_user);
		irc_msg_add_param(&m, bridge_world_own_nick(b->world));
		m.trailing = true;
	}
	bridge_send(b, bc, &m);
	irc_msg_release(&m);
	bridge_send_topic(b, bc, chat, false);
	bridge_read_on_join(b, bc, chat);
	bridge_send_names(b, bc, chat);
}

/* ---- delivering messages ---- */

static const char *
bridge_nick_of(int64_t user_id, void *arg)
{
	struct bridge *b = arg;

	return bridge_world_user(b->world, user_id)->nick;
}

/* The WRITE echo waiting for (chat, log id), or NULL. */
static struct bridge_echo *
bridge_echo_find(struct bridge *b, int64_t chat_id, int64_t log_id)
{
	struct bridge_echo *e;

	for (e = b->echoes; e != NULL; e = e->next)
		if (e->chat_id == chat_id && e->log_id == log_id)
			return e;
	return NULL;
}

/* What one delivery walk needs. */
struct bridge_walk {
	struct bridge *b;
	struct bridge_client *bc;
	struct bridge_chat *chat;
	struct bridge_render_in in;
	int64_t last; /* highest log id handed out */
	size_t n;     /* messages handed out */
	bool held;    /* stopped at a line whose WRITE is unanswered */
	bool paused;  /* stopped because the send queue is half full */
};

/*
 * Our own "* nick text" line is how an IRC ACTION reaches Kakao
 * (bridge_render_outgoing): IRC clients get it back as the ACTION it was,
 * which echo-message requires of the sender's copy.
 */
void
bridge_action_back(struct bridge *b, struct irc_msg *line)
{
	const char *own = bridge_world_own_nick(b->world);
	size_t olen = strlen(own);
	char *text, *act;

	if (line->nparams < 2 || strcmp(line->command, "PRIVMSG") != 0)
		return;
	text = line->params[line->nparams - 1];
	if (strncmp(text, "* ", 2) != 0 || strncmp(text + 2, own, olen) != 0 ||
	    text[2 + olen] != ' ' || text[3 + olen] == '\0')
		return;
	act = irc_text_action_wrap(text + 3 + olen);
	free(line->params[line->nparams - 1]);
	line->params[line->nparams - 1] = act;
}

/* Add a server tag ahead of the client-only ones (IRC.md 2.0). */
void
bridge_add_server_tag(struct irc_msg *m, const char *key, const char *value)
{
	struct irc_msg_tag t;
	size_t i;

	irc_msg_add_tag(m, key, value, false);
	t = m->tags[m->ntags - 1];
	for (i = m->ntags - 1; i > 0 && m->tags[i - 1].client_only; i--)
		m->tags[i] = m->tags[i - 1];
	m->tags[i] = t;
}

/*
 * Whether a replayed m must wait for bc's queue to drain. Rendering adds
 * a source, tags and a stamp to every ~400 bytes of text: the estimate
 * errs high.
 */
static bool
bridge_replay_must_wait(const struct bridge *b, struct bridge_client *bc,
    const struct store_message *m)
{
	size_t queued = irc_client_get_queued(bc->c);
	size_t len = (m->text != NULL ? strlen(m->text) : 0) +
	    (m->attachment != NULL ? strlen(m->attachment) : 0);
	size_t est = IRC_MSG_LINE_MAX + len + len / 2;

	if (queued >= b->cfg.sendq_max / 2)
		return true;
	return queued > 0 && queued + est > b->cfg.sendq_max - IRC_MSG_LINE_MAX;
}

static bool
bridge_walk_cb(const struct store_message *m, void *arg)
{
	struct bridge_walk *w = arg;
	struct bridge *b = w->b;
	struct bridge_client *bc = w->bc;
	struct bridge_echo *echo;
	struct irc_msg *lines = NULL;
	char idbuf[24];
	size_t n, i;
	bool labeled = false;

	if (bc->dead)
		return false;
	echo = m->author_id == b->cfg.own_id
	    ? bridge_echo_find(b, m->chat_id, m->log_id)
	    : NULL;
	/* Our own line while a WRITE to this chat awaits its answer may be
	 * that WRITE's: hold the chat until the answer says whose echo it
	 * is (the engine answers from a later event than the store's). */
	if (m->author_id == b->cfg.own_id && echo == NULL &&
	    bridge_write_inflight(b, m->chat_id)) {
		w->held = true;
		return false;
	}
	/* A replay yields to the send queue before each message: it goes
	 * only when the queue is under half full and the message fits in
	 * the rest (a big one waits for an empty queue). The drained
	 * callback resumes. */
	if (w->in.replay && bridge_replay_must_wait(b, bc, m)) {
		w->paused = true;
		irc_client_want_drained(bc->c);
		return false;
	}
	w->last = m->log_id;
	w->n++;
	if (echo != NULL && echo->client_id == bc->id) {
		/* The sender sees its own line only with echo-message,
		 * as the answer to its labeled PRIVMSG. */
		if (!irc_client_has_cap(bc->c, IRC_CAP_ECHO_MESSAGE)) {
			if (echo->label != NULL) {
				irc_client_begin_labeled(bc->c, echo->label);
				irc_client_end_labeled(bc->c);
			}
			return true;
		}
		irc_client_begin_labeled(bc->c, echo->label);
		labeled = true;
	}
	n = bridge_render_message(&w->in, m, &lines);
	if (n == 1 && m->author_id == b->cfg.own_id)
		bridge_action_back(b, &lines[0]);
	for (i = 0; i < n; i++) {
		bridge_add_server_tag(&lines[i], "account",
		    bridge_user_id_text(m->author_id, idbuf, sizeof idbuf));
		bridge_send(b, bc, &lines[i]);
		irc_msg_release(&lines[i]);
	}
	free(lines);
	if (labeled)
		irc_client_end_labeled(bc->c);
	if (n > 0)
		b->stats.messages_out++;
	return true;
}

/* Whether a WRITE to chat_id is out and unanswered. */
static bool
bridge_write_inflight(const struct bridge *b, int64_t chat_id)
{
	const struct bridge_write *w;

	for (w = b->inflight; w != NULL; w = w->next)
		if (w->chat_id == chat_id)
			return true;
	return false;
}

void
bridge_render_setup(struct bridge *b, struct bridge_client *bc,
    struct bridge_chat *chat, bool replay, struct bridge_render_in *in)
{
	memset(in, 0, sizeof *in);
	in->server_name = b->cfg.server_name;
	in->target = chat->name;
	in->query = chat->query;
	in->own_nick = bridge_world_own_nick(b->world);
	in->own_id = b->cfg.own_id;
	in->replay = replay;
	in->server_time = irc_client_has_cap(bc->c, IRC_CAP_SERVER_TIME);
	in->message_tags = irc_client_has_cap(bc->c, IRC_CAP_MESSAGE_TAGS);
	/* Clients that cannot render +reply get the context as text. */
	in->reply_prefix = true;
	in->now = time(NULL);
	in->nick_of = bridge_nick_of;
	in->arg = b;
}

/*
 * Send bc up to BRIDGE_DELIVER_STEP messages of chat above bc->sent.
 * Returns true when more remain; *paused says the replay stopped for the
 * send queue (resume from the drained callback).
 */
static bool
bridge_deliver_step(struct bridge *b, struct bridge_client *bc,
    struct bridge_chat *chat, bool replay, bool *paused)
{
	struct bridge_walk w;
	int64_t *sent;
	bool batch;
	const char *params[2];

	bridge_client_grow(b, bc);
	sent = &bc->sent[chat->index];
	if (*sent != BRIDGE_SENT_TAIL && *sent >= chat->cursor)
		return false;
	memset(&w, 0, sizeof w);
	w.b = b;
	w.bc = bc;
	w.chat = chat;
	w.last = *sent;
	bridge_render_setup(b, bc, chat, replay, &w.in);
	batch = replay;
	if (batch) {
		params[0] = chat->name;
		params[1] = NULL;
		irc_client_batch_begin(bc->c, "chathistory", params);
	}
	if (*sent == BRIDGE_SENT_TAIL) {
		if (b->cfg.new_client_backlog > 0)
			store_foreach_message_tail(b->store, chat->id,
			    b->cfg.new_client_backlog, bridge_walk_cb, &w);
		/* Nothing older than this is owed to this client. */
		if (!w.held)
			*sent = chat->cursor;
		else if (w.n > 0)
			*sent = w.last;
	} else {
		store_foreach_message(b->store, chat->id, *sent,
		    BRIDGE_DELIVER_STEP, bridge_walk_cb, &w);
		if (w.last > *sent)
			*sent = w.last;
		else if (w.n == 0 && !w.held && !w.paused)
			*sent = chat->cursor; /* nothing stored above it */
	}
	if (batch)
		irc_client_batch_end(bc->c);
	if (w.n > 0)
		bc->ping_wanted = true;
	*paused = w.paused;
	return !w.held && *sent < chat->cursor &&
	    (w.paused || w.n == BRIDGE_DELIVER_STEP);
}

void
bridge_deliver_chat(struct bridge *b, struct bridge_client *bc,
    struct bridge_chat *chat, bool replay)
{
	bool paused = false;

	while (!bc->dead && bridge_deliver_step(b, bc, chat, replay, &paused))
		if (paused) {
			bc->behind = true;
			break;
		}
}

/* Send a delivery PING when lines went out and none is in flight. */
static void
bridge_maybe_ping(struct bridge *b, struct bridge_client *bc)
{
	struct irc_msg m;
	char token[64];

	if (bc->dead || !bc->ping_wanted || bc->ping_seq != 0 ||
	    bc->phase != BRIDGE_ATTACH_DONE)
		return;
	bc->ping_wanted = false;
	bc->ping_seq = ++b->ping_seq;
	memcpy(bc->pinged, bc->sent, bc->n_chats * sizeof *bc->sent);
	snprintf(token, sizeof token, BRIDGE_PING_PREFIX "%" PRIu64,
	    bc->ping_seq);
	irc_msg_init(&m);
	irc_msg_set_command(&m, "PING");
	irc_msg_add_param(&m, token);
	irc_client_send(bc->c, &m);
	irc_msg_release(&m);
}

/* Whether bc should get live messages of chat now. */
static bool
bridge_client_live(struct bridge_client *bc, const struct bridge_chat *chat)
{
	if (chat->gone || chat->index >= bc->n_chats ||
	    !bc->joined[chat->index])
		return false;
	if (bc->phase == BRIDGE_ATTACH_DONE)
		return true;
	return bc->phase == BRIDGE_ATTACH_REPLAY &&
	    chat->index < bc->attach_pos;
}

/* After a commit: persist new names, then fan out. */
static void
bridge_commit_cb(struct store *st, void *arg)
{
	struct bridge *b = arg;

	(void)st;
	if (bridge_world_persist(b->world) != 0)
		log_warnx("cannot keep IRC names in the store");
	bridge_fanout(b);
}

/* Every dirty chat to every client that shows it. */
static void
bridge_fanout(struct bridge *b)
{
	struct bridge_client *bc, *next;
	struct bridge_echo *e, **pp;
	size_t i;

	if (!b->any_dirty)
		return;
	b->any_dirty = false;
	for (i = 0; i < b->n_dirty; i++) {
		struct bridge_chat *chat;

		if (!b->dirty[i])
			continue;
		b->dirty[i] = false;
		chat = bridge_world_chat_at(b->world, i);
		for (bc = b->clients; bc != NULL; bc = next) {
			next = bc->next;
			bridge_client_grow(b, bc);
			/* A query opens when its first line arrives. */
			if (chat->query && !chat->gone)
				bc->joined[i] = true;
			if (bridge_client_live(bc, chat))
				bridge_deliver_chat(b, bc, chat, false);
		}
	}
	for (bc = b->clients; bc != NULL; bc = next) {
		next = bc->next;
		bridge_maybe_ping(b, bc);
	}
	/* The echoes of stored messages have been through the fan-out. */
	for (pp = &b->echoes; (e = *pp) != NULL;) {
		struct bridge_chat *chat =
		    bridge_world_chat(b->world, e->chat_id);

		if (chat != NULL && !chat->gone && chat->cursor < e->log_id) {
			pp = &e->next;
			continue;
		}
		*pp = e->next;
		free(e->label);
		free(e);
	}
}

/* ---- attach ---- */

static bool
bridge_auth_cb(struct irc_server *s, const char *user, const char *password,
    void *arg)
{
	struct bridge *b = arg;

	(void)s;
	if (b->cfg.user[0] != '\0' && strcmp(user, b->cfg.user) != 0)
		return false;
	return b->cfg.check_password(password, b->cfg.check_arg);
}

/* Load bc's cursors: chats without one get the tail of their history. */
static void
bridge_cursor_cb(int64_t chat_id, int64_t log_id, void *arg)
{
	struct bridge_client *bc = arg;
	struct bridge_chat *chat = bridge_world_chat(bc->b->world, chat_id);

	if (chat == NULL || chat->index >= bc->n_chats)
		return;
	bc->sent[chat->index] = log_id;
	bc->acked[chat->index] = log_id;
}

static void
bridge_attach_cb(struct irc_server *s, struct irc_client *c, void *arg)
{
	struct bridge *b = arg;
	struct bridge_client *bc;
	const char *own = bridge_world_own_nick(b->world);

	(void)s;
	bc = xcalloc(1, sizeof *bc);
	bc->b = b;
	bc->c = c;
	bc->id = irc_client_get_id(c);
	bc->name = xstrdup(irc_client_get_client_name(c));
	bc->phase = BRIDGE_ATTACH_BURST;
	irc_client_set_data(c, bc);
	bc->next = b->clients;
	b->clients = bc;
	b->stats.clients++;
	bridge_client_grow(b, bc);
	if (store_foreach_client_cursor(b->store, bc->name, bridge_cursor_cb,
	        bc) != 0)
		log_warnx("cannot read the cursors of client '%s'; it gets "
		          "recent history only",
		    bc->name);
	log_info("irc: %s attached as '%s' (client '%s')",
	    irc_client_get_addr(c), irc_client_get_nick(c), bc->name);
	/* The account's nick and mask in every client, whatever it asked
	 * for (a NICK line tells it when the nick differs). */
	irc_client_set_nick(c, own, b->own_user, BRIDGE_RENDER_HOST);
	bridge_welcome(c);
	irc_client_numeric(c, IRC_RPL_UMODEIS, IRC_RPL_UMODEIS_FMT, own, "+i");
	bridge_cmd_welcome_lusers(b, bc);
	if (b->state != LOCO_ENGINE_ONLINE)
		bridge_service_say(b, bc, "KakaoTalk is %s%s%s",
		    loco_engine_state_name(b->state),
		    b->state_detail != NULL ? ": " : "",
		    b->state_detail != NULL ? b->state_detail : "");
	bridge_attach_step(b, bc);
}

/* Mark every chat as sent up to its newest message. */
static void
bridge_client_start_live(struct bridge *b, struct bridge_client *bc)
{
	size_t i;

	bridge_client_grow(b, bc);
	for (i = 0; i < bc->n_chats; i++)
		bc->sent[i] = bridge_world_chat_at(b->world, i)->cursor;
}

/*
 * Run bc's attach generator until it is done or its queue is half full;
 * the drained callback resumes it.
 */
static void
bridge_attach_step(struct bridge *b, struct bridge_client *bc)
{
	size_t half = b->cfg.sendq_max / 2;
	bool paused = false;

	while (!bc->dead && bc->phase != BRIDGE_ATTACH_DONE) {
		size_t n = bridge_world_count_chats(b->world);
		struct bridge_chat *chat;

		if (irc_client_get_queued(bc->c) >= half)
			return;
		if (bc->attach_pos >= n) {
			bc->attach_pos = 0;
			bc->phase = bc->phase == BRIDGE_ATTACH_BURST
			    ? BRIDGE_ATTACH_REPLAY
			    : BRIDGE_ATTACH_DONE;
			/* A client that fetches history itself gets no
			 * automatic replay (chathistory spec): it starts live,
			 * at every chat's newest message. */
			if (bc->phase == BRIDGE_ATTACH_REPLAY &&
			    irc_client_has_cap(bc->c, IRC_CAP_CHATHISTORY)) {
				bridge_client_start_live(b, bc);
				bc->phase = BRIDGE_ATTACH_DONE;
			}
			/* The PING ends every attach, even one with nothing to
			 * replay: clients and tests know the burst is over. */
			if (bc->phase == BRIDGE_ATTACH_DONE)
				bc->ping_wanted = true;
			continue;
		}
		chat = bridge_world_chat_at(b->world, bc->attach_pos);
		bridge_client_grow(b, bc);
		if (chat->gone) {
			bc->attach_pos++;
			continue;
		}
		if (bc->phase == BRIDGE_ATTACH_BURST) {
			bridge_show_chat(b, bc, chat);
			bc->attach_pos++;
			continue;
		}
		if (!bc->joined[chat->index] ||
		    !bridge_deliver_step(b, bc, chat, true, &paused))
			bc->attach_pos++;
		else if (paused)
			return; /* the drained callback resumes */
	}
	if (!bc->dead)
		bridge_maybe_ping(b, bc);
}

/* Resume replays that paused for the send queue after the attach (JOIN). */
static void
bridge_catch_up(struct bridge *b, struct bridge_client *bc)
{
	size_t i;

	bc->behind = false;
	bridge_client_grow(b, bc);
	for (i = 0; i < bc->n_chats && !bc->dead && !bc->behind; i++) {
		struct bridge_chat *chat = bridge_world_chat_at(b->world, i);

		if (!chat->gone && bc->joined[i] &&
		    bc->sent[i] != BRIDGE_SENT_TAIL &&
		    bc->sent[i] < chat->cursor)
			bridge_deliver_chat(b, bc, chat, true);
	}
	if (!bc->dead)
		bridge_maybe_ping(b, bc);
}

static void
bridge_drained_cb(struct irc_server *s, struct irc_client *c, void *arg)
{
	struct bridge *b = arg;
	struct bridge_client *bc = irc_client_get_data(c);

	(void)s;
	if (bc == NULL || bc->dead)
		return;
	if (bc->phase != BRIDGE_ATTACH_DONE) {
		bridge_attach_step(b, bc);
		return;
	}
	if (bc->behind)
		bridge_catch_up(b, bc);
}

static void
bridge_pong_cb(struct irc_server *s, struct irc_client *c, const char *token,
    void *arg)
{
	struct bridge *b = arg;
	struct bridge_client *bc = irc_client_get_data(c);
	char want[64];
	size_t i;

	(void)s;
	if (bc == NULL || bc->ping_seq == 0)
		return;
	snprintf(want, sizeof want, BRIDGE_PING_PREFIX "%" PRIu64,
	    bc->ping_seq);
	if (strcmp(token, want) != 0)
		return;
	bc->ping_seq = 0;
	for (i = 0; i < bc->n_chats; i++) {
		struct bridge_chat *chat = bridge_world_chat_at(b->world, i);

		if (bc->pinged[i] == BRIDGE_SENT_TAIL ||
		    bc->pinged[i] <= bc->acked[i])
			continue;
		if (store_set_client_cursor(b->store, bc->name, chat->id,
		        bc->pinged[i]) != 0) {
			log_warnx("cannot store the cursor of client '%s'",
			    bc->name);
			break;
		}
		bc->acked[i] = bc->pinged[i];
	}
	bridge_maybe_ping(b, bc);
}

static void
bridge_client_free(struct bridge_client *bc)
{
	free(bc->name);
	free(bc->away);
	free(bc->joined);
	free(bc->sent);
	free(bc->acked);
	free(bc->pinged);
	free(bc);
}

static void
bridge_detach_cb(struct irc_server *s, struct irc_client *c, const char *reason,
    void *arg)
{
	struct bridge *b = arg;
	struct bridge_client *bc = irc_client_get_data(c), **pp;

	(void)s;
	if (bc == NULL)
		return;
	for (pp = &b->clients; *pp != NULL; pp = &(*pp)->next)
		if (*pp == bc) {
			*pp = bc->next;
			break;
		}
	b->stats.clients--;
	log_info("irc: client '%s' (%s) detached: %s", bc->name,
	    irc_client_get_addr(c), reason != NULL ? reason : "");
	irc_client_set_data(c, NULL);
	bc->dead = true;
	bc->next = b->dead;
	b->dead = bc;
	event_active(b->reaper, EV_TIMEOUT, 0);
}

/* Free the clients detached since the last run. */
static void
bridge_reaper_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bridge *b = arg;
	struct bridge_client *bc;

	(void)fd;
	(void)what;
	while ((bc = b->dead) != NULL) {
		b->dead = bc->next;
		bridge_client_free(bc);
	}
}

static void
bridge_command_cb(struct irc_server *s, struct irc_client *c,
    const struct irc_msg *m, void *arg)
{
	struct bridge *b = arg;
	struct bridge_client *bc = irc_client_get_data(c);

	(void)s;
	if (bc != NULL)
		bridge_cmd_dispatch(b, bc, m);
}

/* ---- IRC to Kakao ---- */

static void
bridge_write_free(struct bridge_write *w)
{
	free(w->label);
	free(w->text);
	free(w->extra);
	free(w->target);
	free(w);
}

/* Tell the sender of w that it failed (404 under its label). */
static void
bridge_write_fail(struct bridge *b, struct bridge_write *w, const char *why)
{
	struct bridge_client *bc = bridge_client_find(b, w->client_id);

	b->stats.writes_failed++;
	log_info("irc: message to %s not sent: %s", w->target, why);
	if (bc == NULL) {
		if (w->client_id == 0)
			bridge_service_announce(b, "not sent to %s: %s",
			    w->target, why);
		return;
	}
	irc_client_begin_labeled(bc->c, w->label);
	irc_client_numeric(bc->c, IRC_ERR_CANNOTSENDTOCHAN,
	    IRC_ERR_CANNOTSENDTOCHAN_FMT, irc_client_get_nick(bc->c), w->target,
	    why);
	irc_client_end_labeled(bc->c);
}

static void
bridge_write_cb(struct loco_engine *e, int32_t status,
    const struct loco_chatlog *cl, const struct loco_error *err, void *arg)
{
	struct bridge_write *w = arg, **pp;
	struct bridge *b = w->b;
	struct bridge_echo *echo;
	struct bridge_chat *chat;
	char why[300];

	(void)e;
	for (pp = &b->inflight; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	w->next = NULL;
	/* Lines held for this answer can go now, whatever it says. */
	if ((chat = bridge_world_chat(b->world, w->chat_id)) != NULL) {
		bridge_dirty_grow(b);
		b->dirty[chat->index] = true;
		b->any_dirty = true;
	}
	if (status != 0 || cl == NULL) {
		if (status == 0) {
			/* The engine stopped before the message's turn: it
			 * arrives after the restart; answer the label now. */
			struct bridge_client *bc =
			    bridge_client_find(b, w->client_id);

			if (bc != NULL && w->label != NULL) {
				irc_client_begin_labeled(bc->c, w->label);
				irc_client_end_labeled(bc->c);
			}
		} else {
			if (err != NULL && err->msg[0] != '\0')
				snprintf(why, sizeof why,
				    "KakaoTalk refused the message: %s",
				    err->msg);
			else
				snprintf(why, sizeof why,
				    "KakaoTalk refused the message (status "
				    "%" PRId32 ")",
				    status);
			bridge_write_fail(b, w, why);
		}
		bridge_write_free(w);
		bridge_fanout(b);
		return;
	}
	/* The message went through the store already; it is fanned out at
	 * the commit, where the sender's copy becomes its echo. */
	echo = xcalloc(1, sizeof *echo);
	echo->chat_id = cl->chat_id;
	echo->log_id = cl->log_id;
	echo->client_id = w->client_id;
	echo->label = w->label;
	w->label = NULL;
	echo->next = b->echoes;
	b->echoes = echo;
	bridge_write_free(w);
	bridge_fanout(b);
}

/* Send queued WRITEs while flood tokens last. */
static void
bridge_wq_pump(struct bridge *b)
{
	struct bridge_write *w;
	struct loco_error err;

	while (b->tokens > 0 && (w = b->wq_head) != NULL) {
		b->wq_head = w->next;
		if (b->wq_head == NULL)
			b->wq_tail = NULL;
		b->wq_len--;
		w->next = NULL;
		if (b->engine == NULL) {
			bridge_write_fail(b, w,
			    "KakaoTalk is not connected; "
			    "see " BRIDGE_NAMES_SERVICE_NICK " status");
			bridge_write_free(w);
			continue;
		}
		b->tokens--;
		b->stats.writes++;
		if (loco_engine_write(b->engine, w->chat_id, w->type, w->text,
		        w->extra, bridge_write_cb, w, &err) != 0) {
			char why[300];

			snprintf(why, sizeof why, "not sent: %s", err.msg);
			bridge_write_fail(b, w, why);
			bridge_write_free(w);
			continue;
		}
		w->next = b->inflight;
		b->inflight = w;
	}
	if (b->wq_head != NULL || b->tokens < BRIDGE_FLOOD_BURST) {
		struct timeval tv = {BRIDGE_FLOOD_INTERVAL_MS / 1000,
		    (BRIDGE_FLOOD_INTERVAL_MS % 1000) * 1000};

		if (!evtimer_pending(b->wq_timer, NULL))
			evtimer_add(b->wq_timer, &tv);
	}
}

static void
bridge_wq_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bridge *b = arg;

	(void)fd;
	(void)what;
	if (b->tokens < BRIDGE_FLOOD_BURST)
		b->tokens++;
	bridge_wq_pump(b);
}

void
bridge_send_text(struct bridge *b, struct bridge_client *bc,
    struct bridge_chat *chat, const char *target, const char *text, char *label)
{
	struct bridge_write *w = xcalloc(1, sizeof *w);

	w->b = b;
	w->client_id = bc != NULL ? bc->id : 0;
	w->label = label;
	w->chat_id = chat->id;
	w->type = LOCO_MSG_TEXT;
	w->text = xstrdup(text);
	w->target = xstrdup(target);
	if (b->wq_len >= BRIDGE_FLOOD_QUEUE_MAX) {
		bridge_write_fail(b, w,
		    "too many messages waiting for KakaoTalk; slow down");
		bridge_write_free(w);
		return;
	}
	if (b->wq_tail != NULL)
		b->wq_tail->next = w;
	else
		b->wq_head = w;
	b->wq_tail = w;
	b->wq_len++;
	bridge_wq_pump(b);
}

/* The msgid a client tag names (+reply / +draft/reply), in chat. */
static bool
bridge_tag_msgid(const struct irc_msg *m, const struct bridge_chat *chat,
    int64_t *log_id)
{
	const char *v = irc_msg_get_tag(m, "reply", true);
	int64_t cid;

	if (v == NULL)
		v = irc_msg_get_tag(m, "draft/reply", true);
	return v != NULL && bridge_render_parse_msgid(v, &cid, log_id) &&
	    cid == chat->id;
}

/* TAGMSG: a reaction becomes ACTION; everything else is dropped. */
static void
bridge_tagmsg(struct bridge *b, struct bridge_client *bc,
    struct bridge_chat *chat, const struct irc_msg *m)
{
	struct loco_error err;
	int64_t log_id;

	if (irc_msg_get_tag(m, "draft/react", true) == NULL ||
	    !bridge_tag_msgid(m, chat, &log_id) || b->engine == NULL)
		return;
	/* Kakao knows one reaction (like, type 1): any emoji maps to it. */
	if (loco_engine_react(b->engine, chat->id, log_id, 1, NULL, NULL,
	        &err) != 0)
		irc_client_stdreply(bc->c, "FAIL", "TAGMSG", "REACT_FAILED",
		    NULL, err.msg);
}

void
bridge_cmd_privmsg(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	const char *target, *nick = irc_client_get_nick(bc->c);
	struct bridge_chat *chat;
	char *text;
	bool notice = strcmp(m->command, "NOTICE") == 0;
	bool tagmsg = strcmp(m->command, "TAGMSG") == 0;

	if (m->nparams < 1) {
		if (!notice)
			irc_client_numeric(bc->c, IRC_ERR_NORECIPIENT,
			    IRC_ERR_NORECIPIENT_FMT, nick, m->command);
		return;
	}
	target = m->params[0];
	chat = bridge_world_find_target(b->world, target);
	if (chat == NULL) {
		if (!notice)
			irc_client_numeric(bc->c,
			    target[0] == '#' || target[0] == '&'
			        ? IRC_ERR_NOSUCHCHANNEL
			        : IRC_ERR_NOSUCHNICK,
			    target[0] == '#' || target[0] == '&'
			        ? IRC_ERR_NOSUCHCHANNEL_FMT
			        : IRC_ERR_NOSUCHNICK_FMT,
			    nick, target);
		return;
	}
	if (tagmsg) {
		bridge_tagmsg(b, bc, chat, m);
		return;
	}
	/* Clients answer CTCPs with NOTICE; none of it goes to Kakao. */
	if (notice)
		return;
	if (m->nparams < 2 || m->params[1][0] == '\0') {
		irc_client_numeric(bc->c, IRC_ERR_NOTEXTTOSEND,
		    IRC_ERR_NOTEXTTOSEND_FMT, nick);
		return;
	}
	if ((text = bridge_render_outgoing(bridge_world_own_nick(b->world),
	         m->params[1])) == NULL)
		return; /* a CTCP other than ACTION */
	bridge_send_text(b, bc, chat, target, text,
	    irc_client_defer_label(bc->c));
	free(text);
}

/* ---- Kakao to IRC ---- */

void
bridge_on_message(struct bridge *b, const struct loco_chatlog *cl,
    const char *nickname)
{
	struct bridge_chat *chat;
	struct bridge_user *u;

	/* A message can name a chat before its chat info came (a push for a
	 * chat made a moment ago): show it now, its name follows. */
	if (bridge_world_chat(b->world, cl->chat_id) == NULL) {
		struct loco_engine_chat c;

		memset(&c, 0, sizeof c);
		c.chat_id = cl->chat_id;
		c.last_log_id = cl->log_id;
		bridge_on_chat(b, &c);
	}
	/* An author known by no member list yet (open chats): the message's
	 * nickname is better than a made-up nick. */
	u = bridge_world_user(b->world, cl->author_id);
	if (nickname != NULL && nickname[0] != '\0' && u->kakao_nick == NULL &&
	    cl->author_id != b->cfg.own_id) {
		struct loco_member m;

		memset(&m, 0, sizeof m);
		m.user_id = cl->author_id;
		m.nickname = (char *)nickname;
		bridge_renames(b, &m, 1);
	}
	bridge_world_note_message(b->world, cl->chat_id, cl->log_id,
	    cl->send_at);
	if ((chat = bridge_world_chat(b->world, cl->chat_id)) == NULL)
		return;
	bridge_dirty_grow(b);
	b->dirty[chat->index] = true;
	b->any_dirty = true;
}

/* Send m to every client that shows chat. */
static void
bridge_to_viewers(struct bridge *b, const struct bridge_chat *chat,
    const struct irc_msg *m)
{
	bridge_to_viewers_ext(b, chat, m, NULL);
}

/* The same, with ext (if not NULL) for clients with extended-join. */
static void
bridge_to_viewers_ext(struct bridge *b, const struct bridge_chat *chat,
    const struct irc_msg *m, const struct irc_msg *ext)
{
	struct bridge_client *bc, *next;

	for (bc = b->clients; bc != NULL; bc = next) {
		next = bc->next;
		if (chat->index < bc->n_chats && bc->joined[chat->index] &&
		    (bc->phase != BRIDGE_ATTACH_BURST ||
		        chat->index < bc->attach_pos))
			bridge_send(b, bc,
			    ext != NULL &&
			            irc_client_has_cap(bc->c,
			                IRC_CAP_EXTENDED_JOIN)
			        ? ext
			        : m);
	}
}

/* Show a new (or returning) chat to the clients past its burst spot. */
static void
bridge_show_everywhere(struct bridge *b, struct bridge_chat *chat)
{
	struct bridge_client *bc, *next;

	for (bc = b->clients; bc != NULL; bc = next) {
		next = bc->next;
		bridge_client_grow(b, bc);
		if (bc->phase == BRIDGE_ATTACH_BURST &&
		    chat->index >= bc->attach_pos)
			continue; /* the burst will get there */
		bridge_show_chat(b, bc, chat);
	}
}

void
bridge_on_chat(struct bridge *b, const struct loco_engine_chat *c)
{
	unsigned change = bridge_world_update_chat(b->world, c);
	struct bridge_chat *chat = bridge_world_chat(b->world, c->chat_id);
	struct irc_msg m;
	char *topic;

	bridge_dirty_grow(b);
	if (chat == NULL || chat->gone)
		return;
	if (change & (BRIDGE_WORLD_NEW | BRIDGE_WORLD_BACK)) {
		bridge_show_everywhere(b, chat);
		return;
	}
	if ((change & BRIDGE_WORLD_TOPIC) && !chat->query) {
		irc_msg_init(&m);
		irc_msg_set_source(&m, b->cfg.server_name, NULL, NULL);
		irc_msg_set_command(&m, "TOPIC");
		irc_msg_add_param(&m, chat->name);
		topic =
		    bridge_topic_text(chat->notice != NULL ? chat->notice : "");
		irc_msg_add_param(&m, topic);
		free(topic);
		m.trailing = true;
		bridge_to_viewers(b, chat, &m);
		irc_msg_release(&m);
	}
}

void
bridge_on_chat_gone(struct bridge *b, int64_t chat_id)
{
	struct bridge_chat *chat = bridge_world_chat(b->world, chat_id);
	struct irc_msg m;
	struct bridge_client *bc;

	if (chat == NULL || chat->gone)
		return;
	if (!chat->query) {
		irc_msg_init(&m);
		bridge_own_source(b, &m);
		irc_msg_set_command(&m, "PART");
		irc_msg_add_param(&m, chat->name);
		irc_msg_add_param(&m, "you left this chat in KakaoTalk");
		bridge_to_viewers(b, chat, &m);
		irc_msg_release(&m);
	}
	bridge_world_chat_gone(b->world, chat_id);
	for (bc = b->clients; bc != NULL; bc = bc->next)
		if (chat->index < bc->n_chats)
			bc->joined[chat->index] = false;
}

/* JOIN or PART of one member, to the viewers of chat. */
static void
bridge_member_line(struct bridge *b, struct bridge_chat *chat, int64_t user_id,
    bool joined)
{
	struct bridge_user *u;
	struct irc_msg m, ext;
	char idbuf[24];

	if (chat->query || user_id == b->cfg.own_id)
		return;
	u = bridge_world_user(b->world, user_id);
	irc_msg_init(&m);
	irc_msg_set_source(&m, u->nick,
	    bridge_user_id_text(user_id, idbuf, sizeof idbuf),
	    BRIDGE_RENDER_HOST);
	irc_msg_set_command(&m, joined ? "JOIN" : "PART");
	irc_msg_add_param(&m, chat->name);
	if (!joined) {
		bridge_to_viewers(b, chat, &m);
		irc_msg_release(&m);
		return;
	}
	/* extended-join: the account (the user id) and the real name. */
	irc_msg_init(&ext);
	irc_msg_set_source(&ext, u->nick, idbuf, BRIDGE_RENDER_HOST);
	irc_msg_set_command(&ext, "JOIN");
	irc_msg_add_param(&ext, chat->name);
	irc_msg_add_param(&ext, idbuf);
	irc_msg_add_param(&ext,
	    u->kakao_nick != NULL ? u->kakao_nick : u->nick);
	ext.trailing = true;
	bridge_to_viewers_ext(b, chat, &m, &ext);
	irc_msg_release(&ext);
	irc_msg_release(&m);
}

/* NICK for every user whose profile name changed. */
static void
bridge_renames(struct bridge *b, const struct loco_member *m, size_t n)
{
	struct irc_msg msg;
	char *old, idbuf[24];
	size_t i;

	for (i = 0; i < n; i++) {
		old = NULL;
		if (m[i].nickname == NULL || m[i].user_id == b->cfg.own_id ||
		    !bridge_world_rename_user(b->world, m[i].user_id,
		        m[i].nickname, &old))
			continue;
		irc_msg_init(&msg);
		irc_msg_set_source(&msg, old,
		    bridge_user_id_text(m[i].user_id, idbuf, sizeof idbuf),
		    BRIDGE_RENDER_HOST);
		irc_msg_set_command(&msg, "NICK");
		irc_msg_add_param(&msg,
		    bridge_world_user(b->world, m[i].user_id)->nick);
		bridge_broadcast(b, &msg);
		irc_msg_release(&msg);
		/* The real name is the profile name: setname clients learn it
		 * (the server drops SETNAME for the others). */
		irc_msg_init(&msg);
		irc_msg_set_source(&msg,
		    bridge_world_user(b->world, m[i].user_id)->nick, idbuf,
		    BRIDGE_RENDER_HOST);
		irc_msg_set_command(&msg, "SETNAME");
		irc_msg_add_param(&msg, m[i].nickname);
		msg.trailing = true;
		bridge_broadcast(b, &msg);
		irc_msg_release(&msg);
		free(old);
	}
}

void
bridge_on_members(struct bridge *b, int64_t chat_id,
    const struct loco_member *m, size_t n)
{
	struct bridge_chat *chat = bridge_world_chat(b->world, chat_id);
	int64_t *old = NULL;
	size_t n_old = 0, i, j;

	bridge_renames(b, m, n);
	if (chat != NULL && chat->n_members > 0) {
		n_old = chat->n_members;
		old = xreallocarray(NULL, n_old, sizeof *old);
		memcpy(old, chat->members, n_old * sizeof *old);
	}
	if (!bridge_world_set_members(b->world, chat_id, m, n) ||
	    (chat = bridge_world_chat(b->world, chat_id)) == NULL ||
	    chat->gone || n_old == 0) {
		/* A first member list is part of the chat's burst, not a
		 * flood of JOINs. */
		free(old);
		return;
	}
	/* Both lists are ascending: walk them together for the changes. */
	for (i = 0, j = 0; i < n_old || j < chat->n_members;) {
		if (j >= chat->n_members ||
		    (i < n_old && old[i] < chat->members[j]))
			bridge_member_line(b, chat, old[i++], false);
		else if (i >= n_old || chat->members[j] < old[i])
			bridge_member_line(b, chat, chat->members[j++], true);
		else
			i++, j++;
	}
	free(old);
}

void
bridge_on_member_joined(struct bridge *b, int64_t chat_id, int64_t user_id,
    const char *nickname)
{
	struct bridge_chat *chat;

	if (!bridge_world_add_member(b->world, chat_id, user_id, nickname) ||
	    (chat = bridge_world_chat(b->world, chat_id)) == NULL || chat->gone)
		return;
	bridge_member_line(b, chat, user_id, true);
}

void
bridge_on_member_left(struct bridge *b, int64_t chat_id, int64_t user_id)
{
	struct bridge_chat *chat = bridge_world_chat(b->world, chat_id);

	if (chat == NULL || chat->gone ||
	    !bridge_world_is_member(b->world, chat, user_id))
		return;
	bridge_member_line(b, chat, user_id, false);
	bridge_world_remove_member(b->world, chat_id, user_id);
}

void
bridge_on_deleted(struct bridge *b, int64_t chat_id, int64_t log_id)
{
	/* The feed message (type 0, feed 14) says it in the chat for every
	 * client; those with message-redaction also get REDACT. */
	bridge_redact_on_deleted(b, chat_id, log_id);
}

void
bridge_on_read(struct bridge *b, int64_t chat_id, int64_t user_id,
    int64_t watermark)
{
	bridge_read_on_read(b, chat_id, user_id, watermark);
}

void
bridge_on_reaction(struct bridge *b, int64_t chat_id, int64_t log_id,
    int64_t user_id, int32_t type)
{
	struct bridge_chat *chat = bridge_world_chat(b->world, chat_id);
	struct bridge_user *u;
	struct irc_msg m;
	char idbuf[24], msgid[48];

	if (chat == NULL || chat->gone)
		return;
	/* Only clients with message-tags see reactions (TAGMSG); a text
	 * fallback would be noise (IRC.md 3, row 14). */
	u = bridge_world_user(b->world, user_id);
	bridge_render_msgid(chat_id, log_id, msgid, sizeof msgid);
	irc_msg_init(&m);
	irc_msg_add_tag(&m, "draft/react", type == 1 ? "\xe2\x9d\xa4" : "+1",
	    true);
	irc_msg_add_tag(&m, "reply", msgid, true);
	irc_msg_add_tag(&m, "draft/reply", msgid, true);
	irc_msg_set_source(&m, u->nick,
	    bridge_user_id_text(user_id, idbuf, sizeof idbuf),
	    BRIDGE_RENDER_HOST);
	irc_msg_set_command(&m, "TAGMSG");
	irc_msg_add_param(&m,
	    chat->query ? bridge_world_own_nick(b->world) : chat->name);
	bridge_to_viewers(b, chat, &m);
	irc_msg_release(&m);
}

void
bridge_on_state(struct bridge *b, enum loco_engine_state state,
    enum loco_engine_stop why, const char *detail)
{
	(void)why;
	b->state = state;
	free(b->state_detail);
	b->state_detail =
	    detail != NULL && detail[0] != '\0' ? xstrdup(detail) : NULL;
	/* Say what users must know: trouble, and the end of it (also when
	 * the end is a restart by SIGHUP, through booking and login). */
	if (state == LOCO_ENGINE_BACKOFF || state == LOCO_ENGINE_STOPPED) {
		b->trouble = true;
		bridge_service_announce(b, "KakaoTalk is %s%s%s",
		    loco_engine_state_name(state), detail != NULL ? ": " : "",
		    detail != NULL ? detail : "");
	} else if (state == LOCO_ENGINE_ONLINE && b->trouble) {
		b->trouble = false;
		bridge_service_announce(b, "KakaoTalk is online again");
	}
}

/* ---- lifecycle ---- */

struct bridge *
bridge_new(struct event_base *base, struct store *st,
    const struct bridge_config *cfg)
{
	struct bridge *b = xcalloc(1, sizeof *b);
	struct irc_server_config scfg;
	char idbuf[24];

	b->base = base;
	b->store = st;
	b->cfg = *cfg;
	b->cfg.own_nick = xstrdup(cfg->own_nick);
	b->cfg.user = xstrdup(cfg->user != NULL ? cfg->user : "");
	b->cfg.server_name = xstrdup(cfg->server_name);
	b->own_user =
	    xstrdup(bridge_user_id_text(cfg->own_id, idbuf, sizeof idbuf));
	b->state = LOCO_ENGINE_IDLE;
	b->started = time(NULL);
	b->tokens = BRIDGE_FLOOD_BURST;
	if ((b->world = bridge_world_new(st, cfg->own_id, cfg->own_nick,
	         cfg->nick_ascii)) == NULL) {
		bridge_free(b, NULL);
		return NULL;
	}
	bridge_dirty_grow(b);
	b->wq_timer = evtimer_new(base, bridge_wq_timer_cb, b);
	b->reaper = evtimer_new(base, bridge_reaper_cb, b);
	memset(&scfg, 0, sizeof scfg);
	scfg.server_name = cfg->server_name;
	scfg.network = "KakaoTalk";
	scfg.version = PACKAGE_NAME "-" PACKAGE_VERSION;
	scfg.sendq_max = cfg->sendq_max;
	scfg.registration_timeout = cfg->registration_timeout;
	scfg.tls = cfg->tls;
	b->server = irc_server_new(base, &scfg, &bridge_server_cbs, b);
	if (b->server == NULL || b->wq_timer == NULL || b->reaper == NULL) {
		bridge_free(b, NULL);
		return NULL;
	}
	store_set_commit_cb(st, bridge_commit_cb, b);
	return b;
}

void
bridge_free(struct bridge *b, const char *reason)
{
	struct bridge_write *w;
	struct bridge_echo *e;

	if (b == NULL)
		return;
	if (b->store != NULL)
		store_set_commit_cb(b->store, NULL, NULL);
	/* Detach callbacks free the clients. */
	irc_server_free(b->server, reason != NULL ? reason : "shutting down");
	while (b->clients != NULL) {
		struct bridge_client *bc = b->clients;

		b->clients = bc->next;
		bridge_client_free(bc);
	}
	if (b->reaper != NULL) {
		bridge_reaper_cb(-1, 0, b);
		event_free(b->reaper);
	}
	while ((w = b->wq_head) != NULL) {
		b->wq_head = w->next;
		bridge_write_free(w);
	}
	while ((e = b->echoes) != NULL) {
		b->echoes = e->next;
		free(e->label);
		free(e);
	}
	if (b->wq_timer != NULL)
		event_free(b->wq_timer);
	bridge_world_free(b->world);
	free(b->dirty);
	free(b->state_detail);
	free(b->own_user);
	free((char *)b->cfg.own_nick);
	free((char *)b->cfg.user);
	free((char *)b->cfg.server_name);
	free(b);
}

int
bridge_listen(struct bridge *b, const char *host, uint16_t port, bool tls)
{
	return irc_server_listen(b->server, host, port, tls);
}

bool
bridge_get_address(const struct bridge *b, size_t i, char *buf, size_t len)
{
	return irc_server_get_address(b->server, i, buf, len);
}

void
bridge_set_engine(struct bridge *b, struct loco_engine *e)
{
	b->engine = e;
}

void
bridge_get_stats(const struct bridge *b, struct bridge_stats *out)
{
	*out = b->stats;
}
