/* locoirc: see LICENSE.
 *
 * locosim's "alive" mode: every so often a random non-account member of a
 * random chat says something, sends a photo, replies to or reacts to a
 * recent message. It goes through locosim_send_text, locosim_send_photo,
 * locosim_reply and locosim_react, exactly as the control socket does, so
 * whatever a client sees from the demo it could also see in a test.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <event2/event.h>

#include "log.h"
#include "loco-msgtype.h"
#include "locosim-alive.h"
#include "locosim-internal.h"
#include "xmalloc.h"

/* How far back a reply or reaction may look for its message. */
#define ALIVE_RECENT 10

/* What one tick does. */
enum alive_kind {
	ALIVE_TEXT = 0, /* a line from alive_lines */
	ALIVE_PHOTO,    /* a generated JPEG */
	ALIVE_REPLY,    /* a line from alive_replies quoting a recent message */
	ALIVE_REACT,    /* a like on a recent message */
};

struct locosim_alive {
	struct locosim *sim; /* borrowed; outlives this object */
	struct event *timer; /* owned */
	uint32_t mean_ms;
	uint64_t rng; /* splitmix64 state */
	uint64_t count;
};

/* Short lines such as a group chat is made of, Korean and English. */
static const char *const alive_lines[] = {
    "안녕하세요 👋",
    "점심 뭐 먹을까요?",
    "오늘 날씨 좋네요 ☀️",
    "ㅋㅋㅋㅋ",
    "퇴근하고 싶다...",
    "커피 한잔 하실 분? ☕",
    "주말에 뭐 하세요?",
    "방금 도착했어요",
    "좋아요!",
    "anyone around?",
    "just pushed a fix, please have a look",
    "running 5 min late, sorry",
    "sounds good to me 👍",
    "lunch at 12:30?",
    "Guten Abend! 🌙",
    "did you see the news today?",
};

/* Answers that make sense under almost anything. */
static const char *const alive_replies[] = {
    "저도요!",
    "ㅋㅋ 맞아요",
    "정말요? 😮",
    "좋은 생각이에요",
    "+1",
    "agreed",
    "haha, true",
    "wait, really?",
};

/* Photo sizes, landscape and portrait. */
static const int32_t alive_sizes[][2] = {{320, 240}, {480, 360}, {640, 480},
    {360, 480}};

#define ALIVE_N(a) (sizeof(a) / sizeof((a)[0]))

static void alive_tick_cb(evutil_socket_t fd, short what, void *arg);

/* The next pseudo-random number (splitmix64: small, good enough here). */
static uint64_t
alive_rand(struct locosim_alive *a)
{
	uint64_t z = (a->rng += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* A number in [0, n); n > 0. */
static size_t
alive_pick(struct locosim_alive *a, size_t n)
{
	return (size_t)(alive_rand(a) % n);
}

/* Arm the timer for mean/2 + [0, mean): on average mean, +-50%. */
static void
alive_arm(struct locosim_alive *a)
{
	uint64_t ms = a->mean_ms / 2 + alive_pick(a, a->mean_ms);
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(a->timer, &tv);
}

/* Whether user of chat c may act: a member without an account here. */
static bool
alive_is_actor(struct locosim *sim, int64_t user)
{
	return locosim_world_account(sim->world, user) == NULL &&
	    locosim_world_user(sim->world, user) != NULL;
}

/* How many members of c may act. */
static size_t
alive_actors(struct locosim *sim, const struct locosim_chat *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->n_members; i++)
		if (alive_is_actor(sim, c->members[i].user_id))
			n++;
	return n;
}

/* A random chat with at least one actor, or NULL when there is none. */
static struct locosim_chat *
alive_pick_chat(struct locosim_alive *a)
{
	struct locosim_world *w = a->sim->world;
	size_t i, n = 0, k;

	for (i = 0; i < w->n_chats; i++)
		if (alive_actors(a->sim, w->chats[i]) > 0)
			n++;
	if (n == 0)
		return NULL;
	k = alive_pick(a, n);
	for (i = 0; i < w->n_chats; i++)
		if (alive_actors(a->sim, w->chats[i]) > 0 && k-- == 0)
			return w->chats[i];
	return NULL;
}

/* A random actor of c, which has one. */
static int64_t
alive_pick_actor(struct locosim_alive *a, const struct locosim_chat *c)
{
	size_t i, k = alive_pick(a, alive_actors(a->sim, c));

	for (i = 0; i < c->n_members; i++)
		if (alive_is_actor(a->sim, c->members[i].user_id) && k-- == 0)
			return c->members[i].user_id;
	return 0;
}

/* A random recent message of c one can reply or react to; 0 if none. */
static int64_t
alive_pick_recent(struct locosim_alive *a, const struct locosim_chat *c)
{
	int64_t ids[ALIVE_RECENT];
	size_t i, n = 0;

	for (i = c->n_log; i > 0 && n < ALIVE_RECENT; i--) {
		const struct loco_chatlog *cl = &c->log[i - 1];
		int32_t base = loco_msgtype_base(cl->type);

		if ((cl->type & LOCO_MSGTYPE_DELETED_BIT) != 0)
			continue;
		if (base == LOCO_MSG_TEXT || base == LOCO_MSG_PHOTO ||
		    base == LOCO_MSG_REPLY)
			ids[n++] = cl->log_id;
	}
	return n == 0 ? 0 : ids[alive_pick(a, n)];
}

/* Do one random action; true if something happened. */
static bool
alive_act(struct locosim_alive *a)
{
	static const char *const names[] = {"text", "photo", "reply", "react"};
	struct locosim_chat *c;
	enum alive_kind kind;
	int64_t user, src = 0, id = -1;
	size_t roll;

	if ((c = alive_pick_chat(a)) == NULL)
		return false;
	user = alive_pick_actor(a, c);
	/* Mostly talk; the rest is split evenly. */
	roll = alive_pick(a, 10);
	kind = roll < 4 ? ALIVE_TEXT
	    : roll < 6  ? ALIVE_PHOTO
	    : roll < 8  ? ALIVE_REPLY
	                : ALIVE_REACT;
	if ((kind == ALIVE_REPLY || kind == ALIVE_REACT) &&
	    (src = alive_pick_recent(a, c)) == 0)
		kind = ALIVE_TEXT;
	switch (kind) {
	case ALIVE_TEXT:
		id = locosim_send_text(a->sim, c->id, user,
		    alive_lines[alive_pick(a, ALIVE_N(alive_lines))]);
		break;
	case ALIVE_PHOTO: {
		const int32_t *wh =
		    alive_sizes[alive_pick(a, ALIVE_N(alive_sizes))];
		size_t len;
		uint8_t *jpeg = locosim_make_jpeg(wh[0], wh[1], &len);

		id = locosim_send_photo(a->sim, c->id, user, jpeg, len, wh[0],
		    wh[1]);
		free(jpeg);
		break;
	}
	case ALIVE_REPLY:
		id = locosim_reply(a->sim, c->id, user, src,
		    alive_replies[alive_pick(a, ALIVE_N(alive_replies))]);
		break;
	case ALIVE_REACT:
		id = locosim_react(a->sim, c->id, user, src, 1);
		break;
	}
	if (id < 0) {
		log_warnx("locosim: alive: cannot %s as %lld in chat %lld",
		    names[kind], (long long)user, (long long)c->id);
		return false;
	}
	log_info("locosim: alive: %lld did %s in chat %lld", (long long)user,
	    names[kind], (long long)c->id);
	return true;
}

/* One tick: act, then wait again. */
static void
alive_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct locosim_alive *a = arg;

	(void)fd;
	(void)what;
	if (alive_act(a))
		a->count++;
	alive_arm(a);
}

struct locosim_alive *
locosim_alive_new(struct locosim *sim, uint32_t mean_ms, uint64_t seed)
{
	struct locosim_alive *a;

	if (mean_ms == 0 || mean_ms > LOCOSIM_ALIVE_MAX_MS)
		return NULL;
	a = xcalloc(1, sizeof *a);
	a->sim = sim;
	a->mean_ms = mean_ms;
	a->rng = seed;
	if ((a->timer = evtimer_new(sim->base, alive_tick_cb, a)) == NULL) {
		free(a);
		return NULL;
	}
	alive_arm(a);
	return a;
}

void
locosim_alive_free(struct locosim_alive *a)
{
	if (a == NULL)
		return;
	event_free(a->timer);
	free(a);
}

uint64_t
locosim_alive_count(const struct locosim_alive *a)
{
	return a->count;
}
