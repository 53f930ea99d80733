/* locoirc: see LICENSE.
 *
 * CHATHISTORY (draft/chathistory, IRC.md 2.6) from the store, and the
 * plain-client equivalent behind the service's "history". Positions are
 * log ids, which order a chat's messages totally; a msgid is one already,
 * and a timestamp becomes the log id of the last message sent at or
 * before it (sendAt has whole seconds only). Every answer is chosen as log
 * ids first and sent afterwards, so a store error can still be a FAIL and
 * a batch is never left half written. Lines are rendered as the live and
 * replay paths render them (bridge_render_message plus the account tag),
 * never other than PRIVMSG and NOTICE, and deleted messages are left out.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bridge-int.h"
#include "bridge-render.h"
#include "irc-msg.h"
#include "irc-server.h"
#include "irc-text.h"
#include "log.h"
#include "store.h"
#include "xmalloc.h"

#define BRIDGE_HISTORY_CMD "CHATHISTORY"
#define BRIDGE_HISTORY_TIME_PREFIX "timestamp="
#define BRIDGE_HISTORY_MSGID_PREFIX "msgid="
/* Digits of a limit we read; longer ones are as good as infinite. */
#define BRIDGE_HISTORY_LIMIT_DIGITS 18

/* A parsed message reference. */
struct bridge_history_ref {
	bool star;    /* "*" (LATEST only) */
	bool is_time; /* timestamp=, else msgid= */
	int64_t ms;   /* timestamp: milliseconds since the epoch */
	int64_t log_id;
};

/* Why a reference was refused. */
enum bridge_history_bad {
	BRIDGE_HISTORY_BAD_PARAM = 1, /* INVALID_PARAMS: cannot be parsed */
	BRIDGE_HISTORY_BAD_TYPE,      /* INVALID_MSGREFTYPE: unknown type */
};

/*
 * The messages one answer picks: log ids with lo < id < hi, oldest first
 * in ids[0..n). The send-queue budget keeps an answer from overflowing
 * the client's SendQ: what does not fit is cut at the far end from the
 * reference, so paging on from the last line received misses nothing.
 */
struct bridge_history_pick {
	int64_t chat_id;
	int64_t lo, hi;
	int64_t *ids; /* max entries, owned */
	size_t n, max;
	size_t budget;  /* bytes the lines may take, estimated */
	bool full;      /* stopped by max or the budget */
	size_t rows;    /* rows the last walk handed out */
	int64_t lowest; /* lowest log id the last walk handed out */
	/* A backward batch before it is taken, ascending. */
	int64_t *batch_ids;
	size_t *batch_est;
	size_t batch_n;
};

/* What rendering one answer needs. */
struct bridge_history_out {
	struct bridge *b;
	struct bridge_client *bc;
	struct bridge_chat *chat;
	struct bridge_render_in in;
	size_t messages; /* messages that gave at least one line */
};

/* Render one stored message to the client, as a replayed line. */
static bool
bridge_history_render_cb(const struct store_message *m, void *arg)
{
	struct bridge_history_out *o = arg;
	struct bridge *b = o->b;
	struct irc_msg *lines = NULL;
	char idbuf[24];
	size_t n, i, sent = 0;

	if (o->bc->dead || m->deleted)
		return false;
	n = bridge_render_message(&o->in, m, &lines);
	if (n == 1 && m->author_id == b->cfg.own_id)
		bridge_action_back(b, &lines[0]);
	snprintf(idbuf, sizeof idbuf, "%" PRId64, m->author_id);
	for (i = 0; i < n; i++) {
		/* Without draft/event-playback only these two may appear. */
		if (strcmp(lines[i].command, "PRIVMSG") == 0 ||
		    strcmp(lines[i].command, "NOTICE") == 0) {
			bridge_add_server_tag(&lines[i], "account", idbuf);
			if (irc_client_send(o->bc->c, &lines[i]) == 0) {
				b->stats.lines_out++;
				sent++;
			}
		}
		irc_msg_release(&lines[i]);
	}
	free(lines);
	if (sent > 0) {
		b->stats.messages_out++;
		o->messages++;
	}
	return false;
}

/* A bytes estimate of m's lines, as the replay's queue check makes it. */
static size_t
bridge_history_estimate(const struct store_message *m)
{
	size_t len = (m->text != NULL ? strlen(m->text) : 0) +
	    (m->attachment != NULL ? strlen(m->attachment) : 0);

	return IRC_MSG_LINE_MAX + len + len / 2;
}

/* Take one message of estimated size est if max and the budget allow;
 * the first always fits. */
static bool
bridge_history_take(struct bridge_history_pick *p, size_t est)
{
	if (p->n == p->max || (p->n > 0 && est > p->budget)) {
		p->full = true;
		return false;
	}
	p->budget = est > p->budget ? 0 : p->budget - est;
	return true;
}

/* Forward walk callback: append from lo upward until hi. */
static bool
bridge_history_forward_cb(const struct store_message *m, void *arg)
{
	struct bridge_history_pick *p = arg;

	if (m->log_id >= p->hi)
		return false;
	if (m->deleted)
		return true;
	if (!bridge_history_take(p, bridge_history_estimate(m)))
		return false;
	p->ids[p->n++] = m->log_id;
	return p->n < p->max;
}

/* Oldest-first messages above p->lo and below p->hi, up to p->max. */
static int
bridge_history_forward(struct store *st, struct bridge_history_pick *p)
{
	if (p->n == p->max || p->lo >= INT64_MAX - 1)
		return 0;
	return store_foreach_message(st, p->chat_id, p->lo, 0,
	    bridge_history_forward_cb, p);
}

/* Backward walk callback: collect one batch, ascending. */
static bool
bridge_history_batch_cb(const struct store_message *m, void *arg)
{
	struct bridge_history_pick *p = arg;

	if (p->rows++ == 0)
		p->lowest = m->log_id;
	if (m->deleted || m->log_id <= p->lo)
		return true;
	p->batch_ids[p->batch_n] = m->log_id;
	p->batch_est[p->batch_n] = bridge_history_estimate(m);
	p->batch_n++;
	return true;
}

/*
 * Newest-first messages below p->hi and above p->lo, up to p->max, left
 * oldest first in p->ids after what it held. Deleted rows do not count,
 * so it walks on in batches until it has enough or the chat ends.
 */
static int
bridge_history_backward(struct store *st, struct bridge_history_pick *p)
{
	int64_t bound = p->hi, *got;
	size_t want, ngot = 0, i;
	int rc = 0;

	got = xreallocarray(NULL, p->max > 0 ? p->max : 1, sizeof *got);
	p->batch_ids =
	    xreallocarray(NULL, p->max > 0 ? p->max : 1, sizeof *p->batch_ids);
	p->batch_est =
	    xreallocarray(NULL, p->max > 0 ? p->max : 1, sizeof *p->batch_est);
	while (!p->full && p->n < p->max && p->lo < INT64_MAX &&
	    bound > p->lo + 1) {
		want = p->max - p->n;
		p->rows = 0;
		p->batch_n = 0;
		if ((rc = store_foreach_message_before(st, p->chat_id, bound,
		         want, bridge_history_batch_cb, p)) != 0)
			break;
		for (i = p->batch_n; i > 0; i--) {
			if (!bridge_history_take(p, p->batch_est[i - 1]))
				break;
			got[ngot++] = p->batch_ids[i - 1];
			p->n++;
		}
		if (p->rows < want)
			break; /* the chat has no more below */
		bound = p->lowest;
	}
	/* got[] is newest first: append it reversed. */
	for (i = 0; i < ngot; i++)
		p->ids[p->n - 1 - i] = got[i];
	free(got);
	free(p->batch_ids);
	free(p->batch_est);
	p->batch_ids = NULL;
	p->batch_est = NULL;
	return rc;
}

/* Start a pick of at most max messages of chat for bc. */
static void
bridge_history_pick_init(struct bridge *b, struct bridge_client *bc,
    struct bridge_chat *chat, size_t max, struct bridge_history_pick *p)
{
	size_t queued = irc_client_get_queued(bc->c);
	size_t half = b->cfg.sendq_max / 2;

	memset(p, 0, sizeof *p);
	p->chat_id = chat->id;
	p->lo = INT64_MIN;
	p->hi = INT64_MAX;
	p->max = max;
	p->ids = xreallocarray(NULL, max > 0 ? max : 1, sizeof *p->ids);
	p->budget = queued < half ? half - queued : 0;
}

/*
 * Send the picked messages of chat to bc in a chathistory batch (an empty
 * one when there are none); *sent gets the number of messages shown.
 */
static int
bridge_history_send(struct bridge *b, struct bridge_client *bc,
    struct bridge_chat *chat, const struct bridge_history_pick *p, size_t *sent)
{
	struct bridge_history_out o;
	const char *params[2] = {chat->name, NULL};
	size_t i;
	int rc = 0;

	memset(&o, 0, sizeof o);
	o.b = b;
	o.bc = bc;
	o.chat = chat;
	/* History is backlog: a stamp for clients without server-time. */
	bridge_render_setup(b, bc, chat, true, &o.in);
	irc_client_batch_begin(bc->c, "chathistory", params);
	for (i = 0; i < p->n && !bc->dead; i++)
		if (store_get_message(b->store, chat->id, p->ids[i],
		        bridge_history_render_cb, &o) < 0)
			rc = -1;
	if (!bc->dead)
		irc_client_batch_end(bc->c);
	if (sent != NULL)
		*sent = o.messages;
	return rc;
}

int
bridge_history_send_latest(struct bridge *b, struct bridge_client *bc,
    struct bridge_chat *chat, size_t n, size_t *sent)
{
	struct bridge_history_pick p;
	int rc;

	*sent = 0;
	bridge_history_pick_init(b, bc, chat, n, &p);
	if ((rc = bridge_history_backward(b->store, &p)) == 0)
		rc = bridge_history_send(b, bc, chat, &p, sent);
	free(p.ids);
	return rc;
}

/* ---- parsing ---- */

/* n digits at s as a number; false when one is not a digit. */
static bool
bridge_history_digits(const char *s, size_t n, int64_t *out)
{
	size_t i;

	*out = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*out = *out * 10 + (s[i] - '0');
	}
	return true;
}

/* Floor division by a positive d. */
static int64_t
bridge_history_floor_div(int64_t a, int64_t d)
{
	return a >= 0 ? a / d : -((-a + d - 1) / d);
}

/* Parse a reference for chat (star allowed only when star_ok; chat NULL
 * refuses msgids). */
static int
bridge_history_parse_ref(const char *s, const struct bridge_chat *chat,
    bool star_ok, struct bridge_history_ref *r)
{
	const char *eq;
	int64_t chat_id;

	memset(r, 0, sizeof *r);
	if (strcmp(s, "*") == 0) {
		if (!star_ok)
			return BRIDGE_HISTORY_BAD_PARAM;
		r->star = true;
		return 0;
	}
	if (strncmp(s, BRIDGE_HISTORY_TIME_PREFIX,
	        strlen(BRIDGE_HISTORY_TIME_PREFIX)) == 0) {
		r->is_time = true;
		return bridge_render_parse_time(s +
		               strlen(BRIDGE_HISTORY_TIME_PREFIX),
		           &r->ms)
		    ? 0
		    : BRIDGE_HISTORY_BAD_PARAM;
	}
	if (strncmp(s, BRIDGE_HISTORY_MSGID_PREFIX,
	        strlen(BRIDGE_HISTORY_MSGID_PREFIX)) == 0) {
		/* A msgid of another chat names no position in this one. */
		if (chat == NULL ||
		    !bridge_render_parse_msgid(s +
		            strlen(BRIDGE_HISTORY_MSGID_PREFIX),
		        &chat_id, &r->log_id) ||
		    chat_id != chat->id)
			return BRIDGE_HISTORY_BAD_PARAM;
		return 0;
	}
	eq = strchr(s, '=');
	return eq != NULL && eq > s ? BRIDGE_HISTORY_BAD_TYPE
	                            : BRIDGE_HISTORY_BAD_PARAM;
}

/* Log ids strictly after r are above the returned one. */
static int
bridge_history_lo(struct bridge *b, const struct bridge_chat *chat,
    const struct bridge_history_ref *r, int64_t *lo)
{
	if (r->star) {
		*lo = INT64_MIN;
		return 0;
	}
	if (!r->is_time) {
		*lo = r->log_id;
		return 0;
	}
	/* After T: a message of second s is at s.000, after T when
	 * s > floor(T / 1000). */
	return store_find_log_at(b->store, chat->id,
	    bridge_history_floor_div(r->ms, 1000), lo);
}

/* Log ids strictly before r are below the returned one. */
static int
bridge_history_hi(struct bridge *b, const struct bridge_chat *chat,
    const struct bridge_history_ref *r, int64_t *hi)
{
	int64_t id;

	if (!r->is_time) {
		*hi = r->log_id;
		return 0;
	}
	/* Before T: s * 1000 < T, that is s <= floor((T - 1) / 1000). */
	if (store_find_log_at(b->store, chat->id,
	        bridge_history_floor_div(r->ms - 1, 1000), &id) != 0)
		return -1;
	*hi = id + 1;
	return 0;
}

/* The limit parameter: 1 or more, capped at max; 0 when invalid. */
static size_t
bridge_history_parse_limit(const char *s, size_t max)
{
	size_t i, n = strlen(s);
	int64_t v;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	s += strspn(s, "0");
	n = strlen(s);
	if (n == 0)
		return 0;
	if (n > BRIDGE_HISTORY_LIMIT_DIGITS)
		return max;
	(void)bridge_history_digits(s, n, &v);
	return (uint64_t)v > max ? max : (size_t)v;
}

/* FAIL CHATHISTORY code with up to three context params. */
static void
bridge_history_fail(struct bridge_client *bc, const char *code, const char *a,
    const char *b2, const char *c, const char *text)
{
	const char *ctx[4] = {a, b2, c, NULL};

	irc_client_stdreply(bc->c, "FAIL", BRIDGE_HISTORY_CMD, code, ctx, text);
}

/* ---- the subcommands ---- */

/* One target's sorted entry for TARGETS. */
struct bridge_history_target {
	int64_t send_at;
	int64_t chat_id;
	const char *name;
};

static int
bridge_history_target_cmp(const void *x, const void *y)
{
	const struct bridge_history_target *a = x, *b = y;

	if (a->send_at != b->send_at)
		return a->send_at < b->send_at ? -1 : 1;
	if (a->chat_id != b->chat_id)
		return a->chat_id < b->chat_id ? -1 : 1;
	return 0;
}

/* TARGETS <timestamp> <timestamp> <limit>. */
static void
bridge_history_targets(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m, const char *sub)
{
	struct bridge_history_ref r1, r2;
	struct bridge_history_target *v;
	struct bridge_chat *chat;
	struct irc_msg line;
	char when[32];
	size_t limit, i, n = 0, count, first;
	int64_t lo, hi, ms;

	if (bridge_history_parse_ref(m->params[1], NULL, false, &r1) != 0 ||
	    !r1.is_time) {
		bridge_history_fail(bc, "INVALID_PARAMS", sub, m->params[1],
		    NULL, "Invalid timestamp");
		return;
	}
	if (bridge_history_parse_ref(m->params[2], NULL, false, &r2) != 0 ||
	    !r2.is_time) {
		bridge_history_fail(bc, "INVALID_PARAMS", sub, m->params[2],
		    NULL, "Invalid timestamp");
		return;
	}
	if ((limit = bridge_history_parse_limit(m->params[3],
	         BRIDGE_HISTORY_MAX)) == 0) {
		bridge_history_fail(bc, "INVALID_PARAMS", sub, m->params[3],
		    NULL, "Invalid limit");
		return;
	}
	lo = r1.ms < r2.ms ? r1.ms : r2.ms;
	hi = r1.ms < r2.ms ? r2.ms : r1.ms;
	count = bridge_world_count_chats(b->world);
	v = xreallocarray(NULL, count > 0 ? count : 1, sizeof *v);
	for (i = 0; i < count; i++) {
		chat = bridge_world_chat_at(b->world, i);
		/* Only what a client can name back (not "*unknown"). */
		if (chat == NULL || chat->gone || chat->last_send_at <= 0 ||
		    bridge_world_find_target(b->world, chat->name) != chat)
			continue;
		ms = chat->last_send_at * 1000;
		if (ms <= lo || ms >= hi)
			continue;
		v[n].send_at = chat->last_send_at;
		v[n].chat_id = chat->id;
		v[n].name = chat->name;
		n++;
	}
	qsort(v, n, sizeof *v, bridge_history_target_cmp);
	/* Counted from the first timestamp, as BETWEEN counts. */
	first = r1.ms <= r2.ms || n <= limit ? 0 : n - limit;
	if (n - first > limit)
		n = first + limit;
	irc_client_batch_begin(bc->c, "draft/chathistory-targets", NULL);
	for (i = first; i < n && !bc->dead; i++) {
		bridge_render_time(v[i].send_at, when, sizeof when);
		irc_msg_init(&line);
		irc_msg_set_source(&line, b->cfg.server_name, NULL, NULL);
		irc_msg_set_command(&line, BRIDGE_HISTORY_CMD);
		irc_msg_add_param(&line, "TARGETS");
		irc_msg_add_param(&line, v[i].name);
		irc_msg_add_param(&line, when);
		if (irc_client_send(bc->c, &line) == 0)
			b->stats.lines_out++;
		irc_msg_release(&line);
	}
	if (!bc->dead)
		irc_client_batch_end(bc->c);
	free(v);
}

/* The subcommands that return messages, by the references they take. */
enum bridge_history_kind {
	BRIDGE_HISTORY_LATEST,
	BRIDGE_HISTORY_BEFORE,
	BRIDGE_HISTORY_AFTER,
	BRIDGE_HISTORY_AROUND,
	BRIDGE_HISTORY_BETWEEN,
	BRIDGE_HISTORY_TARGETS,
};

static const struct {
	const char *name;
	enum bridge_history_kind kind;
	size_t nparams; /* with the subcommand */
} bridge_history_subs[] = {
    {"LATEST", BRIDGE_HISTORY_LATEST, 4},
    {"BEFORE", BRIDGE_HISTORY_BEFORE, 4},
    {"AFTER", BRIDGE_HISTORY_AFTER, 4},
    {"AROUND", BRIDGE_HISTORY_AROUND, 4},
    {"BETWEEN", BRIDGE_HISTORY_BETWEEN, 5},
    {"TARGETS", BRIDGE_HISTORY_TARGETS, 4},
};

/* Parse reference i of m for chat, answering FAIL when it is bad. */
static bool
bridge_history_ref_arg(struct bridge_client *bc, const struct irc_msg *m,
    size_t i, const struct bridge_chat *chat, bool star_ok, const char *sub,
    struct bridge_history_ref *r)
{
	switch (bridge_history_parse_ref(m->params[i], chat, star_ok, r)) {
	case 0:
		return true;
	case BRIDGE_HISTORY_BAD_TYPE:
		bridge_history_fail(bc, "INVALID_MSGREFTYPE", sub, m->params[1],
		    m->params[i], "Unknown message reference type");
		return false;
	default:
		bridge_history_fail(bc, "INVALID_PARAMS", sub, m->params[i],
		    NULL,
		    strncmp(m->params[i], BRIDGE_HISTORY_TIME_PREFIX,
		        strlen(BRIDGE_HISTORY_TIME_PREFIX)) == 0
		        ? "Invalid timestamp"
		        : strncmp(m->params[i], BRIDGE_HISTORY_MSGID_PREFIX,
		              strlen(BRIDGE_HISTORY_MSGID_PREFIX)) == 0
		        ? "Unknown msgid for this target"
		        : "Invalid message reference");
		return false;
	}
}

/* Choose the messages of one subcommand; -1 on a store error. */
static int
bridge_history_choose(struct bridge *b, struct bridge_chat *chat,
    enum bridge_history_kind kind, const struct bridge_history_ref *r1,
    const struct bridge_history_ref *r2, struct bridge_history_pick *p)
{
	size_t max = p->max;
	int64_t a, z;

	switch (kind) {
	case BRIDGE_HISTORY_LATEST:
		if (bridge_history_lo(b, chat, r1, &p->lo) != 0)
			return -1;
		return bridge_history_backward(b->store, p);
	case BRIDGE_HISTORY_BEFORE:
		if (bridge_history_hi(b, chat, r1, &p->hi) != 0)
			return -1;
		return bridge_history_backward(b->store, p);
	case BRIDGE_HISTORY_AFTER:
		if (bridge_history_lo(b, chat, r1, &p->lo) != 0)
			return -1;
		return bridge_history_forward(b->store, p);
	case BRIDGE_HISTORY_AROUND:
		/* Half before the reference, the rest from it on (a msgid's
		 * own message included: it is the context asked for). */
		if (bridge_history_hi(b, chat, r1, &a) != 0)
			return -1;
		p->hi = a;
		p->max = max / 2;
		if (bridge_history_backward(b->store, p) != 0)
			return -1;
		p->full = false;
		p->max = max;
		p->lo = a - 1;
		p->hi = INT64_MAX;
		return bridge_history_forward(b->store, p);
	case BRIDGE_HISTORY_BETWEEN:
		if (bridge_history_lo(b, chat, r1, &a) != 0 ||
		    bridge_history_hi(b, chat, r2, &z) != 0)
			return -1;
		if (a < z) {
			/* Forward from the first reference. */
			p->lo = a;
			p->hi = z;
			return bridge_history_forward(b->store, p);
		}
		/* Backward from the first reference to the second. */
		if (bridge_history_hi(b, chat, r1, &p->hi) != 0 ||
		    bridge_history_lo(b, chat, r2, &p->lo) != 0)
			return -1;
		return bridge_history_backward(b->store, p);
	case BRIDGE_HISTORY_TARGETS:
		break;
	}
	return 0;
}

void
bridge_history_command(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	struct bridge_history_ref r1, r2;
	struct bridge_history_pick p;
	struct bridge_chat *chat;
	const char *sub;
	size_t i, limit, nrefs;
	enum bridge_history_kind kind;

	if (m->nparams == 0) {
		bridge_history_fail(bc, "INVALID_PARAMS", "*", NULL, NULL,
		    "Insufficient parameters");
		return;
	}
	sub = m->params[0];
	for (i = 0;
	     i < sizeof bridge_history_subs / sizeof bridge_history_subs[0];
	     i++)
		if (strcasecmp(sub, bridge_history_subs[i].name) == 0)
			break;
	if (i == sizeof bridge_history_subs / sizeof bridge_history_subs[0]) {
		bridge_history_fail(bc, "INVALID_PARAMS", sub, NULL, NULL,
		    "Unknown command");
		return;
	}
	sub = bridge_history_subs[i].name;
	kind = bridge_history_subs[i].kind;
	if (m->nparams != bridge_history_subs[i].nparams) {
		bridge_history_fail(bc, "INVALID_PARAMS", sub, NULL, NULL,
		    m->nparams < bridge_history_subs[i].nparams
		        ? "Insufficient parameters"
		        : "Too many parameters");
		return;
	}
	if (kind == BRIDGE_HISTORY_TARGETS) {
		bridge_history_targets(b, bc, m, sub);
		return;
	}
	if ((chat = bridge_world_find_target(b->world, m->params[1])) == NULL) {
		bridge_history_fail(bc, "INVALID_TARGET", sub, m->params[1],
		    NULL, "No such channel or nick");
		return;
	}
	nrefs = kind == BRIDGE_HISTORY_BETWEEN ? 2 : 1;
	if (!bridge_history_ref_arg(bc, m, 2, chat,
	        kind == BRIDGE_HISTORY_LATEST, sub, &r1) ||
	    (nrefs == 2 &&
	        !bridge_history_ref_arg(bc, m, 3, chat, false, sub, &r2)))
		return;
	if ((limit = bridge_history_parse_limit(m->params[2 + nrefs],
	         BRIDGE_HISTORY_MAX)) == 0) {
		bridge_history_fail(bc, "INVALID_PARAMS", sub,
		    m->params[2 + nrefs], NULL, "Invalid limit");
		return;
	}
	bridge_history_pick_init(b, bc, chat, limit, &p);
	if (bridge_history_choose(b, chat, kind, &r1, nrefs == 2 ? &r2 : NULL,
	        &p) != 0 ||
	    bridge_history_send(b, bc, chat, &p, NULL) != 0) {
		if (!bc->dead)
			bridge_history_fail(bc, "MESSAGE_ERROR", sub,
			    m->params[1], NULL,
			    "Messages could not be retrieved");
	}
	free(p.ids);
}
