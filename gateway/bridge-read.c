/* locoirc: see LICENSE.
 *
 * Read markers (draft/read-marker, IRC.md 2.7) and KakaoTalk's read
 * state. The marker is one timestamp per chat in the store, as a client
 * set it; it only moves forward, and every move reaches every client with
 * the capability. A read on another device (our own DECUNREAD) moves it
 * too. KakaoTalk hears of a client's mark (NOTIREAD) only when the user
 * opted in with read_receipts, because other members then see the chat
 * read.
 */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bridge-int.h"
#include "bridge-render.h"
#include "irc-msg.h"
#include "irc-server.h"
#include "log.h"
#include "loco-engine.h"
#include "store.h"

/* "YYYY-MM-DDThh:mm:ss.sssZ" (server-time) and the parameter prefix. */
#define BRIDGE_READ_TS_LEN 24
#define BRIDGE_READ_PREFIX "timestamp="
/* The latest second we can write as a four-digit year (9999-12-31). */
#define BRIDGE_READ_MAX_SEC INT64_C(253402300799)
/* How far ahead of our clock a client's marker may be: a marker names a
 * message it saw, so more than clock skew means a broken client, and a
 * marker in the future would swallow messages yet to come. */
#define BRIDGE_READ_AHEAD_MS INT64_C(86400000)

static void bridge_read_sent_cb(struct loco_engine *e, int32_t status,
    const struct loco_error *err, void *arg);

/*
 * A client's "timestamp=YYYY-MM-DDThh:mm:ss.sssZ" as milliseconds since
 * the epoch; false unless it is exactly that form (three fraction digits:
 * the value goes back to clients as given) and a real UTC time from 1970
 * on.
 */
static bool
bridge_read_parse(const char *param, int64_t *ms)
{
	size_t plen = strlen(BRIDGE_READ_PREFIX);
	const char *t;

	if (strncmp(param, BRIDGE_READ_PREFIX, plen) != 0)
		return false;
	t = param + plen;
	return strlen(t) == BRIDGE_READ_TS_LEN && t[19] == '.' &&
	    bridge_render_parse_time(t, ms) && *ms >= 0;
}

/* ms since the epoch as "timestamp=YYYY-MM-DDThh:mm:ss.sssZ". */
static void
bridge_read_format(int64_t ms, char *buf, size_t len)
{
	time_t t;
	struct tm tm;

	if (ms < 0 || ms / 1000 > BRIDGE_READ_MAX_SEC)
		ms = 0;
	t = (time_t)(ms / 1000);
	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof tm);
	snprintf(buf, len,
	    BRIDGE_READ_PREFIX "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, (int)(ms % 1000));
}

/* What a client sent, fit to echo as a middle parameter ("*" if not). */
static const char *
bridge_read_echo(const char *s)
{
	if (*s == '\0' || *s == ':' || strchr(s, ' ') != NULL)
		return "*";
	return s;
}

/* FAIL MARKREAD code [context] :text. */
static void
bridge_read_fail(struct bridge_client *bc, const char *code,
    const char *context, const char *text)
{
	const char *ctx[] = {context, NULL};

	irc_client_stdreply(bc->c, "FAIL", "MARKREAD", code,
	    context != NULL ? ctx : NULL, text);
}

/* Send ":server MARKREAD <chat> <timestamp=...|*>" to one client. */
static void
bridge_read_send(struct bridge *b, struct bridge_client *bc,
    const struct bridge_chat *chat, bool known, int64_t ms)
{
	char ts[64];
	struct irc_msg m;

	if (known)
		bridge_read_format(ms, ts, sizeof ts);
	else
		snprintf(ts, sizeof ts, "*");
	irc_msg_init(&m);
	irc_msg_set_source(&m, b->cfg.server_name, NULL, NULL);
	irc_msg_set_command(&m, "MARKREAD");
	irc_msg_add_param(&m, chat->name);
	irc_msg_add_param(&m, ts);
	if (irc_client_send(bc->c, &m) == 0)
		b->stats.lines_out++;
	irc_msg_release(&m);
}

/* The marker of chat moved to ms: tell every client with the cap but
 * except (which has had its answer; NULL: none). */
static void
bridge_read_push(struct bridge *b, const struct bridge_chat *chat, int64_t ms,
    const struct bridge_client *except)
{
	struct bridge_client *bc, *next;

	for (bc = b->clients; bc != NULL; bc = next) {
		next = bc->next;
		if (bc != except && !bc->dead &&
		    irc_client_has_cap(bc->c, IRC_CAP_READ_MARKER))
			bridge_read_send(b, bc, chat, true, ms);
	}
}

/* The answer to our NOTIREAD; success comes back as our own read event. */
static void
bridge_read_sent_cb(struct loco_engine *e, int32_t status,
    const struct loco_error *err, void *arg)
{
	(void)e;
	(void)arg;
	if (status != 0)
		log_warnx("cannot mark a chat read in KakaoTalk: %s",
		    err != NULL ? err->msg : "refused");
}

/*
 * A client moved chat's marker from old (had: there was one) to ms: with
 * read_receipts, tell KakaoTalk the newest message the marker covers, if
 * that is past what KakaoTalk was last told. The last watermark is read
 * off the old marker, one second short: a read on the phone puts the
 * marker at its message's second, and messages later in that second are
 * still unread there. A guess too low costs one repeated NOTIREAD (the
 * engine never moves the watermark back); too high would lose a receipt.
 */
static void
bridge_read_upstream(struct bridge *b, const struct bridge_chat *chat, bool had,
    int64_t old, int64_t ms)
{
	struct loco_error err;
	int64_t log_id, last = 0;

	if (!b->cfg.read_receipts || b->engine == NULL)
		return;
	if (store_find_log_at(b->store, chat->id, ms / 1000, &log_id) == -1)
		return;
	/* What KakaoTalk has for us already: our read mark as the server
	 * reported it, else what the old marker implied. */
	if (store_get_read(b->store, chat->id, b->cfg.own_id, &last) == -1)
		return;
	if (last == 0 && had && old / 1000 > 0 &&
	    store_find_log_at(b->store, chat->id, old / 1000 - 1, &last) == -1)
		return;
	if (log_id <= last)
		return;
	if (loco_engine_mark_read(b->engine, chat->id, log_id,
	        bridge_read_sent_cb, NULL, &err) != 0)
		log_warnx("cannot mark chat %" PRId64 " read up to %" PRId64
		          ": %s",
		    chat->id, log_id, err.msg);
}

void
bridge_read_command(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	const struct bridge_chat *chat;
	int64_t ms, old = 0, now_ms;
	int had, moved;

	if (m->nparams < 1 || m->params[0][0] == '\0') {
		bridge_read_fail(bc, "NEED_MORE_PARAMS", NULL,
		    "Missing parameters");
		return;
	}
	if ((chat = bridge_world_find_target(b->world, m->params[0])) == NULL) {
		bridge_read_fail(bc, "INVALID_TARGET",
		    bridge_read_echo(m->params[0]), "No such channel or nick");
		return;
	}
	if (m->nparams < 2) {
		if ((had = store_get_read_marker(b->store, chat->id, &old)) ==
		    -1) {
			bridge_read_fail(bc, "INTERNAL_ERROR", chat->name,
			    "The read timestamp could not be read");
			return;
		}
		bridge_read_send(b, bc, chat, had == 1, old);
		return;
	}
	/* '*' is the server's "unknown", never a client's value; the
	 * parse refuses it with every other form but server-time's. */
	now_ms = (int64_t)time(NULL) * 1000;
	if (!bridge_read_parse(m->params[1], &ms) ||
	    ms > now_ms + BRIDGE_READ_AHEAD_MS) {
		bridge_read_fail(bc, "INVALID_PARAMS",
		    bridge_read_echo(m->params[1]),
		    "Expected timestamp=YYYY-MM-DDThh:mm:ss.sssZ");
		return;
	}
	if ((had = store_get_read_marker(b->store, chat->id, &old)) == -1 ||
	    (moved = store_set_read_marker(b->store, chat->id, ms)) == -1) {
		bridge_read_fail(bc, "INTERNAL_ERROR", chat->name,
		    "The read timestamp could not be set");
		return;
	}
	/* An older value is answered with the newer one we keep. */
	bridge_read_send(b, bc, chat, true, moved ? ms : old);
	if (!moved)
		return;
	bridge_read_push(b, chat, ms, bc);
	bridge_read_upstream(b, chat, had == 1, old, ms);
}

void
bridge_read_on_join(struct bridge *b, struct bridge_client *bc,
    const struct bridge_chat *chat)
{
	int64_t ms = 0;
	int had;

	if (chat->query || !irc_client_has_cap(bc->c, IRC_CAP_READ_MARKER))
		return;
	/* The spec wants a MARKREAD before 366 whatever happens: a store
	 * error (already logged) shows as "unknown". */
	had = store_get_read_marker(b->store, chat->id, &ms);
	bridge_read_send(b, bc, chat, had == 1, ms);
}

/* store_get_message callback: the message's sendAt. */
static bool
bridge_read_send_at_cb(const struct store_message *m, void *arg)
{
	int64_t *send_at = arg;

	*send_at = m->send_at;
	return false;
}

void
bridge_read_on_read(struct bridge *b, int64_t chat_id, int64_t user_id,
    int64_t watermark)
{
	const struct bridge_chat *chat;
	int64_t send_at = 0;
	int rc;

	/* Other members' reads are receipts, not our marker. */
	if (user_id != b->cfg.own_id || watermark <= 0)
		return;
	if ((chat = bridge_world_chat(b->world, chat_id)) == NULL || chat->gone)
		return;
	if ((rc = store_get_message(b->store, chat_id, watermark,
	         bridge_read_send_at_cb, &send_at)) != 1) {
		if (rc == 0)
			log_debug("%s: chat %" PRId64 ": message %" PRId64
			          " read elsewhere is not stored",
			    __func__, chat_id, watermark);
		return;
	}
	if (send_at <= 0 || send_at > BRIDGE_READ_MAX_SEC)
		return;
	/* KakaoTalk's times are whole seconds: the marker is the message's
	 * time as its time tag showed it (.000). */
	if (store_set_read_marker(b->store, chat_id, send_at * 1000) == 1)
		bridge_read_push(b, chat, send_at * 1000, NULL);
}
