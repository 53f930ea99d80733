/* locoirc: see LICENSE.
 *
 * The bridge's world model: chats and users with their IRC names, loaded
 * from the store and kept current from the engine's events. bridge-names
 * decides every name; this file only asks it for names, keeps the tables
 * that find chats and users by id and by IRC name, and hands the new names
 * back to the store. It knows nothing of IRC clients or the wire.
 */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bridge-names.h"
#include "bridge-world.h"
#include "irc-text.h"
#include "log.h"
#include "xmalloc.h"

/* How many member names make up an untitled group chat's channel. */
#define BRIDGE_WORLD_UNTITLED_NAMES 4

/* The name of a direct chat whose peer is not known yet: it starts with
 * '*' like the memo nick, so no user's nick can equal it. */
#define BRIDGE_WORLD_NO_PEER "*unknown"

/* Kakao id -> position in an array (open addressing, linear probing). */
struct bridge_world_idmap {
	int64_t *keys;
	size_t *vals; /* position + 1; 0 = empty slot */
	size_t cap;   /* a power of two, or 0 */
	size_t n;
};

/* An entry of a name index, embedded in the object it names. */
struct bridge_world_node {
	struct bridge_world_node *next;
	uint32_t hash;          /* of the casefolded key */
	const char *const *key; /* the object's name field */
	void *obj;              /* the object (borrowed) */
	bool linked;
};

/* Casemapped name -> object (chained; nodes are owned by the objects). */
struct bridge_world_index {
	struct bridge_world_node **b;
	size_t nb; /* a power of two, or 0 */
	size_t n;
};

/* A user and what only this file sees. */
struct bridge_world_user {
	struct bridge_user u; /* first: a bridge_user * is one of these */
	struct bridge_world_node node; /* in w->nicks */
	size_t *direct; /* indexes of the direct chats with this peer */
	size_t n_direct;
	size_t a_direct;
};

/* A chat and what only this file sees. */
struct bridge_world_chat {
	struct bridge_chat c;          /* first, as above */
	struct bridge_world_node node; /* in w->channels when a channel */
	size_t a_members;
};

struct bridge_world {
	struct store *st; /* borrowed */
	int64_t own_id;
	struct bridge_names *names;
	struct bridge_world_chat **chats; /* by index */
	size_t n_chats;
	size_t a_chats;
	struct bridge_world_idmap chat_ids;
	struct bridge_world_user **users; /* in order of creation */
	size_t n_users;
	size_t a_users;
	struct bridge_world_idmap user_ids;
	struct bridge_world_index channels; /* group chats by name */
	struct bridge_world_index nicks;    /* users by nick */
	struct bridge_world_chat *memo;     /* borrowed from chats, or NULL */
	bool loading;                       /* store walk: names come later */
};

/* A member as the loader collects it. */
struct bridge_world_load_member {
	int64_t user_id;
	char *nickname;
};

static size_t bridge_world_idmap_get(const struct bridge_world_idmap *m,
    int64_t key);
static void bridge_world_idmap_put(struct bridge_world_idmap *m, int64_t key,
    size_t val);
static uint32_t bridge_world_hash(const char *s);
static void bridge_world_index_add(struct bridge_world_index *ix,
    struct bridge_world_node *node);
static void bridge_world_index_remove(struct bridge_world_index *ix,
    struct bridge_world_node *node);
static void *bridge_world_index_find(const struct bridge_world_index *ix,
    const char *name);
static struct bridge_world_user *bridge_world_user_get(struct bridge_world *w,
    int64_t id, const char *kakao_nick);
static void bridge_world_user_name(struct bridge_world *w,
    struct bridge_world_user *wu);
static struct bridge_world_chat *bridge_world_chat_get(struct bridge_world *w,
    int64_t id);
static struct bridge_world_chat *bridge_world_chat_add(struct bridge_world *w,
    int64_t id, enum loco_chat_type type);
static bool bridge_world_is_direct(enum loco_chat_type type);
static void bridge_world_set_peer(struct bridge_world *w,
    struct bridge_world_chat *wc, int64_t peer_id);
static void bridge_world_unclassify(struct bridge_world *w,
    struct bridge_world_chat *wc);
static void bridge_world_classify(struct bridge_world *w,
    struct bridge_world_chat *wc, const struct loco_engine_chat *ec);
static char *bridge_world_untitled(struct bridge_world *w,
    const struct bridge_world_chat *wc, const struct loco_engine_chat *ec);
static bool bridge_world_set_str(char **dst, const char *src);
static bool bridge_world_member_insert(struct bridge_world_chat *wc,
    int64_t user_id);
static int bridge_world_cmp_id(const void *a, const void *b);
static int bridge_world_cmp_user(const void *a, const void *b);
static void bridge_world_load_name_cb(int kind, int64_t id, const char *name,
    void *arg);
static void bridge_world_load_user_cb(const struct store_user *u, void *arg);
static void bridge_world_load_chat_cb(const struct store_chat *c, void *arg);
static void bridge_world_load_member_cb(const struct store_member *m,
    void *arg);
static bool bridge_world_load_tail_cb(const struct store_message *m, void *arg);
static int bridge_world_load(struct bridge_world *w);

/* Where key sits in m, or 0 when absent; else the stored value + 1. */
static size_t
bridge_world_idmap_get(const struct bridge_world_idmap *m, int64_t key)
{
	size_t i;

	if (m->cap == 0)
		return 0;
	i = (size_t)((uint64_t)key * UINT64_C(0x9e3779b97f4a7c15) >> 32) &
	    (m->cap - 1);
	while (m->vals[i] != 0) {
		if (m->keys[i] == key)
			return m->vals[i];
		i = (i + 1) & (m->cap - 1);
	}
	return 0;
}

/* Map key to val (a new key: ids are never removed), growing at half. */
static void
bridge_world_idmap_put(struct bridge_world_idmap *m, int64_t key, size_t val)
{
	struct bridge_world_idmap bigger;
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		memset(&bigger, 0, sizeof bigger);
		bigger.cap = m->cap == 0 ? 64 : m->cap * 2;
		bigger.keys = xcalloc(bigger.cap, sizeof *bigger.keys);
		bigger.vals = xcalloc(bigger.cap, sizeof *bigger.vals);
		for (i = 0; i < m->cap; i++)
			if (m->vals[i] != 0)
				bridge_world_idmap_put(&bigger, m->keys[i],
				    m->vals[i] - 1);
		free(m->keys);
		free(m->vals);
		*m = bigger;
	}
	i = (size_t)((uint64_t)key * UINT64_C(0x9e3779b97f4a7c15) >> 32) &
	    (m->cap - 1);
	while (m->vals[i] != 0 && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	if (m->vals[i] == 0)
		m->n++;
	m->keys[i] = key;
	m->vals[i] = val + 1;
}

/* FNV-1a of s folded under CASEMAPPING=ascii, so equal names collide. */
static uint32_t
bridge_world_hash(const char *s)
{
	uint32_t h = 2166136261u;
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		h = (h ^ c) * 16777619u;
	}
	return h;
}

/* Link node under the current value of its key. */
static void
bridge_world_index_add(struct bridge_world_index *ix,
    struct bridge_world_node *node)
{
	struct bridge_world_node **b, *n, *next;
	size_t nb, i;

	if (node->linked)
		bridge_world_index_remove(ix, node);
	if (ix->n + 1 > ix->nb) {
		nb = ix->nb == 0 ? 64 : ix->nb * 2;
		b = xcalloc(nb, sizeof *b);
		for (i = 0; i < ix->nb; i++)
			for (n = ix->b[i]; n != NULL; n = next) {
				next = n->next;
				n->next = b[n->hash & (nb - 1)];
				b[n->hash & (nb - 1)] = n;
			}
		free(ix->b);
		ix->b = b;
		ix->nb = nb;
	}
	node->hash = bridge_world_hash(*node->key);
	node->next = ix->b[node->hash & (ix->nb - 1)];
	ix->b[node->hash & (ix->nb - 1)] = node;
	node->linked = true;
	ix->n++;
}

/* Unlink node; it finds its bucket by the hash it was linked with, so its
 * key may already have changed (or been freed). */
static void
bridge_world_index_remove(struct bridge_world_index *ix,
    struct bridge_world_node *node)
{
	struct bridge_world_node **p;

	if (!node->linked)
		return;
	for (p = &ix->b[node->hash & (ix->nb - 1)]; *p != NULL; p = &(*p)->next)
		if (*p == node) {
			*p = node->next;
			break;
		}
	node->next = NULL;
	node->linked = false;
	ix->n--;
}

/* The object named name (casemapped), or NULL. */
static void *
bridge_world_index_find(const struct bridge_world_index *ix, const char *name)
{
	struct bridge_world_node *n;
	uint32_t h;

	if (ix->nb == 0 || name == NULL)
		return NULL;
	h = bridge_world_hash(name);
	for (n = ix->b[h & (ix->nb - 1)]; n != NULL; n = n->next)
		if (n->hash == h && irc_text_caseeq(*n->key, name))
			return n->obj;
	return NULL;
}

/* Give wu its nick from the registry and index it. */
static void
bridge_world_user_name(struct bridge_world *w, struct bridge_world_user *wu)
{
	wu->u.nick = bridge_names_user(w->names, wu->u.id, wu->u.kakao_nick);
	bridge_world_index_add(&w->nicks, &wu->node);
}

/* The user id, created when unknown with kakao_nick (borrowed, may be
 * NULL); a known user without a profile name learns it (the nick stays). */
static struct bridge_world_user *
bridge_world_user_get(struct bridge_world *w, int64_t id,
    const char *kakao_nick)
{
	struct bridge_world_user *wu;
	size_t pos;

	if ((pos = bridge_world_idmap_get(&w->user_ids, id)) != 0) {
		wu = w->users[pos - 1];
		if (wu->u.kakao_nick == NULL && kakao_nick != NULL)
			wu->u.kakao_nick = xstrdup(kakao_nick);
		return wu;
	}
	wu = xcalloc(1, sizeof *wu);
	wu->u.id = id;
	wu->u.kakao_nick = kakao_nick != NULL ? xstrdup(kakao_nick) : NULL;
	wu->node.key = &wu->u.nick;
	wu->node.obj = wu;
	if (w->n_users == w->a_users) {
		w->a_users = w->a_users == 0 ? 64 : w->a_users * 2;
		w->users =
		    xreallocarray(w->users, w->a_users, sizeof *w->users);
	}
	w->users[w->n_users] = wu;
	bridge_world_idmap_put(&w->user_ids, id, w->n_users);
	w->n_users++;
	/* while loading, every profile name is read before nicks are given */
	if (!w->loading)
		bridge_world_user_name(w, wu);
	return wu;
}

/* The chat id, or NULL. */
static struct bridge_world_chat *
bridge_world_chat_get(struct bridge_world *w, int64_t id)
{
	size_t pos;

	if ((pos = bridge_world_idmap_get(&w->chat_ids, id)) == 0)
		return NULL;
	return w->chats[pos - 1];
}

/* A new chat at the next index, not yet named. */
static struct bridge_world_chat *
bridge_world_chat_add(struct bridge_world *w, int64_t id,
    enum loco_chat_type type)
{
	struct bridge_world_chat *wc;

	wc = xcalloc(1, sizeof *wc);
	wc->c.id = id;
	wc->c.index = w->n_chats;
	wc->c.type = type;
	wc->node.key = &wc->c.name;
	wc->node.obj = wc;
	if (w->n_chats == w->a_chats) {
		w->a_chats = w->a_chats == 0 ? 64 : w->a_chats * 2;
		w->chats =
		    xreallocarray(w->chats, w->a_chats, sizeof *w->chats);
	}
	w->chats[w->n_chats] = wc;
	bridge_world_idmap_put(&w->chat_ids, id, w->n_chats);
	w->n_chats++;
	return wc;
}

/* Whether chats of type are 1:1 queries on the peer's nick. */
static bool
bridge_world_is_direct(enum loco_chat_type type)
{
	return type == LOCO_CHAT_DIRECT || type == LOCO_CHAT_OPEN_DIRECT;
}

/* Make peer_id (0 = unknown) the peer of the direct chat wc: its name
 * follows the peer's nick, and the peer finds the chat. */
static void
bridge_world_set_peer(struct bridge_world *w, struct bridge_world_chat *wc,
    int64_t peer_id)
{
	struct bridge_world_user *wu;
	size_t pos, i;

	if (wc->c.peer_id != 0 &&
	    (pos = bridge_world_idmap_get(&w->user_ids, wc->c.peer_id)) != 0) {
		wu = w->users[pos - 1];
		for (i = 0; i < wu->n_direct; i++)
			if (wu->direct[i] == wc->c.index) {
				wu->direct[i] = wu->direct[--wu->n_direct];
				break;
			}
	}
	wc->c.peer_id = peer_id;
	if (peer_id == 0) {
		wc->c.name = BRIDGE_WORLD_NO_PEER;
		return;
	}
	wu = bridge_world_user_get(w, peer_id, NULL);
	if (wu->n_direct == wu->a_direct) {
		wu->a_direct = wu->a_direct == 0 ? 2 : wu->a_direct * 2;
		wu->direct =
		    xreallocarray(wu->direct, wu->a_direct, sizeof *wu->direct);
	}
	wu->direct[wu->n_direct++] = wc->c.index;
	wc->c.name = wu->u.nick;
}

/* Undo bridge_world_classify before the chat's type changes. */
static void
bridge_world_unclassify(struct bridge_world *w, struct bridge_world_chat *wc)
{
	bridge_world_index_remove(&w->channels, &wc->node);
	if (wc->c.peer_id != 0)
		bridge_world_set_peer(w, wc, 0);
	if (w->memo == wc)
		w->memo = NULL;
	wc->c.peer_id = 0;
	wc->c.name = NULL;
	wc->c.query = false;
}

/*
 * Name wc after its type: the memo nick, the peer's nick (from the
 * members, else from ec's icons), or a channel from the registry (its
 * persisted name, else the title, else the members' names). ec may be NULL.
 */
static void
bridge_world_classify(struct bridge_world *w, struct bridge_world_chat *wc,
    const struct loco_engine_chat *ec)
{
	const char *title, *nick;
	char *joined = NULL;
	int64_t peer = 0;
	size_t i;

	if (wc->c.type == LOCO_CHAT_MEMO) {
		wc->c.query = true;
		wc->c.name = BRIDGE_NAMES_MEMO_NICK;
		if (w->memo == NULL || w->memo->c.gone)
			w->memo = wc;
		return;
	}
	if (bridge_world_is_direct(wc->c.type)) {
		wc->c.query = true;
		for (i = 0; i < wc->c.n_members && peer == 0; i++)
			if (wc->c.members[i] != w->own_id)
				peer = wc->c.members[i];
		for (i = 0; ec != NULL && ec->icon_user_ids != NULL &&
		     i < ec->n_icons && peer == 0;
		     i++)
			if (ec->icon_user_ids[i] != w->own_id &&
			    ec->icon_user_ids[i] != 0) {
				peer = ec->icon_user_ids[i];
				nick = ec->icon_nicknames != NULL
				    ? ec->icon_nicknames[i]
				    : NULL;
				bridge_world_user_get(w, peer, nick);
			}
		bridge_world_set_peer(w, wc, peer);
		return;
	}
	wc->c.query = false;
	if (bridge_names_get(w->names, BRIDGE_NAMES_CHAT, wc->c.id) == NULL) {
		title = wc->c.title;
		if (title == NULL || *title == '\0')
			title = joined = bridge_world_untitled(w, wc, ec);
		wc->c.name = bridge_names_chat(w->names, wc->c.id, title);
	} else
		wc->c.name =
		    bridge_names_get(w->names, BRIDGE_NAMES_CHAT, wc->c.id);
	bridge_world_index_add(&w->channels, &wc->node);
	free(joined);
}

/* The members' profile names joined with ", " for an untitled chat: from
 * the known members, else from ec's icons; the account left out. Malloc'd,
 * or NULL when there are none. */
static char *
bridge_world_untitled(struct bridge_world *w,
    const struct bridge_world_chat *wc, const struct loco_engine_chat *ec)
{
	const char *names[BRIDGE_WORLD_UNTITLED_NAMES];
	struct bridge_world_user *wu;
	size_t n = 0, i, len = 0;
	const char *s;
	char *out;
	size_t pos;

	for (i = 0; i < wc->c.n_members && n < BRIDGE_WORLD_UNTITLED_NAMES;
	     i++) {
		if (wc->c.members[i] == w->own_id)
			continue;
		pos = bridge_world_idmap_get(&w->user_ids, wc->c.members[i]);
		wu = pos != 0 ? w->users[pos - 1] : NULL;
		if (wu != NULL && wu->u.kakao_nick != NULL &&
		    *wu->u.kakao_nick != '\0')
			names[n++] = wu->u.kakao_nick;
	}
	if (n == 0 && ec != NULL && ec->icon_nicknames != NULL)
		for (i = 0; i < ec->n_icons && n < BRIDGE_WORLD_UNTITLED_NAMES;
		     i++) {
			s = ec->icon_nicknames[i];
			if (ec->icon_user_ids != NULL &&
			    ec->icon_user_ids[i] == w->own_id)
				continue;
			if (s != NULL && *s != '\0')
				names[n++] = s;
		}
	if (n == 0)
		return NULL;
	for (i = 0; i < n; i++)
		len += strlen(names[i]) + 2;
	out = xmalloc(len + 1);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(out, ", ");
		strcat(out, names[i]);
	}
	return out;
}

/* Replace *dst with a copy of src unless src is NULL or equal; true when
 * it changed. */
static bool
bridge_world_set_str(char **dst, const char *src)
{
	if (src == NULL || (*dst != NULL && strcmp(*dst, src) == 0))
		return false;
	free(*dst);
	*dst = xstrdup(src);
	return true;
}

/* Insert user_id into wc's ascending members; false if already there. */
static bool
bridge_world_member_insert(struct bridge_world_chat *wc, int64_t user_id)
{
	size_t lo = 0, hi = wc->c.n_members, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (wc->c.members[mid] == user_id)
			return false;
		if (wc->c.members[mid] < user_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (wc->c.n_members == wc->a_members) {
		wc->a_members = wc->a_members == 0 ? 4 : wc->a_members * 2;
		wc->c.members = xreallocarray(wc->c.members, wc->a_members,
		    sizeof *wc->c.members);
	}
	memmove(wc->c.members + lo + 1, wc->c.members + lo,
	    (wc->c.n_members - lo) * sizeof *wc->c.members);
	wc->c.members[lo] = user_id;
	wc->c.n_members++;
	return true;
}

/* qsort order of int64_t. */
static int
bridge_world_cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* qsort order of users by id. */
static int
bridge_world_cmp_user(const void *a, const void *b)
{
	const struct bridge_world_user *x =
	    *(struct bridge_world_user *const *)a;
	const struct bridge_world_user *y =
	    *(struct bridge_world_user *const *)b;

	return bridge_world_cmp_id(&x->u.id, &y->u.id);
}

/* A persisted name: seeds the registry (a refused one is given anew). */
static void
bridge_world_load_name_cb(int kind, int64_t id, const char *name, void *arg)
{
	struct bridge_world *w = arg;
	enum bridge_names_kind k;

	if (kind == STORE_NAME_USER)
		k = BRIDGE_NAMES_USER;
	else if (kind == STORE_NAME_CHAT)
		k = BRIDGE_NAMES_CHAT;
	else {
		log_debug("%s: unknown name kind %d", __func__, kind);
		return;
	}
	if (bridge_names_load(w->names, k, id, name) == -1)
		log_debug("%s: stored name of %d/%" PRId64 " not kept",
		    __func__, kind, id);
}

/* A stored user: its profile name (the nick is given after the walk). */
static void
bridge_world_load_user_cb(const struct store_user *u, void *arg)
{
	bridge_world_user_get(arg, u->user_id, u->nickname);
}

/* A stored chat: the shown ones are created (named after the walk). */
static void
bridge_world_load_chat_cb(const struct store_chat *c, void *arg)
{
	struct bridge_world *w = arg;
	struct bridge_world_chat *wc;

	if (c->gone || bridge_world_chat_get(w, c->chat_id) != NULL)
		return;
	wc = bridge_world_chat_add(w, c->chat_id,
	    loco_chat_type_from_name(c->type));
	bridge_world_set_str(&wc->c.title, c->title);
	bridge_world_set_str(&wc->c.notice, c->notice);
	wc->c.cursor = c->cursor;
}

/* A stored member of the chat arg; its chat nickname stands in for a
 * missing profile name. */
static void
bridge_world_load_member_cb(const struct store_member *m, void *arg)
{
	void **ctx = arg;
	struct bridge_world *w = ctx[0];
	struct bridge_world_chat *wc = ctx[1];

	bridge_world_user_get(w, m->user_id, m->nickname);
	bridge_world_member_insert(wc, m->user_id);
}

/* The newest stored message of a chat: its sendAt. */
static bool
bridge_world_load_tail_cb(const struct store_message *m, void *arg)
{
	struct bridge_chat *c = arg;

	c->last_send_at = m->send_at;
	if (m->log_id > c->cursor)
		c->cursor = m->log_id;
	return true;
}

/* Fill w from its store: names first (they win), then every profile name,
 * then nicks, then chat names, each in id order so that collisions
 * resolve the same way on every start. */
static int
bridge_world_load(struct bridge_world *w)
{
	struct bridge_world_chat *wc;
	void *ctx[2];
	size_t i;

	w->loading = true;
	if (store_foreach_name(w->st, bridge_world_load_name_cb, w) == -1 ||
	    store_foreach_user(w->st, bridge_world_load_user_cb, w) == -1 ||
	    store_foreach_chat(w->st, bridge_world_load_chat_cb, w) == -1)
		goto fail;
	for (i = 0; i < w->n_chats; i++) {
		wc = w->chats[i];
		ctx[0] = w;
		ctx[1] = wc;
		if (store_foreach_member(w->st, wc->c.id,
		        bridge_world_load_member_cb, ctx) == -1 ||
		    store_foreach_message_tail(w->st, wc->c.id, 1,
		        bridge_world_load_tail_cb, &wc->c) == -1)
			goto fail;
	}
	w->loading = false;
	if (w->n_users > 1)
		qsort(w->users, w->n_users, sizeof *w->users,
		    bridge_world_cmp_user);
	for (i = 0; i < w->n_users; i++)
		bridge_world_idmap_put(&w->user_ids, w->users[i]->u.id, i);
	for (i = 0; i < w->n_users; i++)
		bridge_world_user_name(w, w->users[i]);
	for (i = 0; i < w->n_chats; i++)
		bridge_world_classify(w, w->chats[i], NULL);
	return 0;

fail:
	w->loading = false;
	return -1;
}

struct bridge_world *
bridge_world_new(struct store *st, int64_t own_id, const char *own_nick,
    bool ascii)
{
	struct bridge_world *w;

	if (st == NULL) {
		log_warnx("cannot load the bridge's chats: no store");
		return NULL;
	}
	w = xcalloc(1, sizeof *w);
	w->st = st;
	w->own_id = own_id;
	w->names = bridge_names_new(own_id, own_nick, ascii);
	if (bridge_world_load(w) == -1) {
		log_warnx("cannot load the bridge's chats and names from the "
		          "store");
		bridge_world_free(w);
		return NULL;
	}
	bridge_world_user_get(w, own_id, NULL);
	return w;
}

void
bridge_world_free(struct bridge_world *w)
{
	struct bridge_world_chat *wc;
	struct bridge_world_user *wu;
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; i < w->n_chats; i++) {
		wc = w->chats[i];
		free(wc->c.title);
		free(wc->c.notice);
		free(wc->c.members);
		free(wc);
	}
	free(w->chats);
	for (i = 0; i < w->n_users; i++) {
		wu = w->users[i];
		free(wu->u.kakao_nick);
		free(wu->direct);
		free(wu);
	}
	free(w->users);
	free(w->chat_ids.keys);
	free(w->chat_ids.vals);
	free(w->user_ids.keys);
	free(w->user_ids.vals);
	free(w->channels.b);
	free(w->nicks.b);
	bridge_names_free(w->names);
	free(w);
}

int64_t
bridge_world_own_id(const struct bridge_world *w)
{
	return w->own_id;
}

const char *
bridge_world_own_nick(const struct bridge_world *w)
{
	return bridge_names_get(w->names, BRIDGE_NAMES_USER, w->own_id);
}

size_t
bridge_world_count_chats(const struct bridge_world *w)
{
	return w->n_chats;
}

size_t
bridge_world_count_users(const struct bridge_world *w)
{
	return w->n_users;
}

struct bridge_chat *
bridge_world_chat_at(struct bridge_world *w, size_t i)
{
	return i < w->n_chats ? &w->chats[i]->c : NULL;
}

struct bridge_chat *
bridge_world_chat(struct bridge_world *w, int64_t id)
{
	struct bridge_world_chat *wc;

	wc = bridge_world_chat_get(w, id);
	return wc != NULL ? &wc->c : NULL;
}

struct bridge_chat *
bridge_world_find_target(struct bridge_world *w, const char *target)
{
	struct bridge_world_chat *wc, *od = NULL;
	struct bridge_world_user *wu;
	size_t i;

	if (target == NULL || *target == '\0')
		return NULL;
	if (*target == '#' || *target == '&') {
		wc = bridge_world_index_find(&w->channels, target);
		return wc != NULL && !wc->c.gone ? &wc->c : NULL;
	}
	if (irc_text_caseeq(target, BRIDGE_NAMES_MEMO_NICK))
		return w->memo != NULL && !w->memo->c.gone ? &w->memo->c : NULL;
	if ((wu = bridge_world_index_find(&w->nicks, target)) == NULL)
		return NULL;
	for (i = 0; i < wu->n_direct; i++) {
		wc = w->chats[wu->direct[i]];
		if (wc->c.gone)
			continue;
		if (wc->c.type == LOCO_CHAT_DIRECT)
			return &wc->c;
		if (od == NULL)
			od = wc;
	}
	return od != NULL ? &od->c : NULL;
}

struct bridge_user *
bridge_world_user(struct bridge_world *w, int64_t id)
{
	return &bridge_world_user_get(w, id, NULL)->u;
}

struct bridge_user *
bridge_world_find_nick(struct bridge_world *w, const char *nick)
{
	struct bridge_world_user *wu;

	wu = bridge_world_index_find(&w->nicks, nick);
	return wu != NULL ? &wu->u : NULL;
}

unsigned
bridge_world_update_chat(struct bridge_world *w,
    const struct loco_engine_chat *c)
{
	struct bridge_world_chat *wc;
	unsigned flags = 0;
	bool title, topic;

	if (c == NULL)
		return 0;
	if ((wc = bridge_world_chat_get(w, c->chat_id)) == NULL) {
		wc = bridge_world_chat_add(w, c->chat_id, c->type);
		bridge_world_set_str(&wc->c.title, c->title);
		bridge_world_set_str(&wc->c.notice, c->notice);
		bridge_world_classify(w, wc, c);
		return BRIDGE_WORLD_NEW;
	}
	if (wc->c.gone) {
		wc->c.gone = false;
		flags |= BRIDGE_WORLD_BACK;
		if (wc->c.type == LOCO_CHAT_MEMO &&
		    (w->memo == NULL || w->memo->c.gone))
			w->memo = wc;
	}
	title = bridge_world_set_str(&wc->c.title, c->title);
	topic = bridge_world_set_str(&wc->c.notice, c->notice);
	if (title)
		flags |= BRIDGE_WORLD_TITLE;
	if (topic)
		flags |= BRIDGE_WORLD_TOPIC;
	if (c->type != LOCO_CHAT_UNKNOWN && c->type != wc->c.type) {
		/* only a chat first seen without a type gets here */
		log_debug("%s: chat %" PRId64 " changes type %d -> %d",
		    __func__, c->chat_id, (int)wc->c.type, (int)c->type);
		bridge_world_unclassify(w, wc);
		wc->c.type = c->type;
		bridge_world_classify(w, wc, c);
	} else if (bridge_world_is_direct(wc->c.type) && wc->c.peer_id == 0)
		bridge_world_classify(w, wc, c);
	return flags;
}

bool
bridge_world_chat_gone(struct bridge_world *w, int64_t chat_id)
{
	struct bridge_world_chat *wc;

	if ((wc = bridge_world_chat_get(w, chat_id)) == NULL || wc->c.gone)
		return false;
	wc->c.gone = true;
	return true;
}

bool
bridge_world_set_members(struct bridge_world *w, int64_t chat_id,
    const struct loco_member *m, size_t n)
{
	struct bridge_world_chat *wc;
	int64_t *ids;
	size_t i, k = 0;
	bool changed;

	if ((wc = bridge_world_chat_get(w, chat_id)) == NULL) {
		log_debug("%s: members of unknown chat %" PRId64, __func__,
		    chat_id);
		return false;
	}
	ids = xreallocarray(NULL, n, sizeof *ids);
	for (i = 0; i < n; i++) {
		bridge_world_user_get(w, m[i].user_id, m[i].nickname);
		ids[i] = m[i].user_id;
	}
	qsort(ids, n, sizeof *ids, bridge_world_cmp_id);
	for (i = 0; i < n; i++)
		if (k == 0 || ids[k - 1] != ids[i])
			ids[k++] = ids[i];
	changed = k != wc->c.n_members ||
	    (k > 0 && memcmp(ids, wc->c.members, k * sizeof *ids) != 0);
	if (changed) {
		free(wc->c.members);
		wc->c.members = ids;
		wc->c.n_members = k;
		wc->a_members = n; /* xreallocarray gave n >= k slots */
	} else
		free(ids);
	if (bridge_world_is_direct(wc->c.type))
		for (i = 0; i < wc->c.n_members; i++)
			if (wc->c.members[i] != w->own_id) {
				if (wc->c.members[i] != wc->c.peer_id)
					bridge_world_set_peer(w, wc,
					    wc->c.members[i]);
				break;
			}
	return changed;
}

bool
bridge_world_add_member(struct bridge_world *w, int64_t chat_id,
    int64_t user_id, const char *kakao_nick)
{
	struct bridge_world_chat *wc;

	if ((wc = bridge_world_chat_get(w, chat_id)) == NULL) {
		log_debug("%s: member of unknown chat %" PRId64, __func__,
		    chat_id);
		return false;
	}
	bridge_world_user_get(w, user_id, kakao_nick);
	if (!bridge_world_member_insert(wc, user_id))
		return false;
	if (bridge_world_is_direct(wc->c.type) && wc->c.peer_id == 0 &&
	    user_id != w->own_id)
		bridge_world_set_peer(w, wc, user_id);
	return true;
}

bool
bridge_world_remove_member(struct bridge_world *w, int64_t chat_id,
    int64_t user_id)
{
	struct bridge_world_chat *wc;
	size_t lo = 0, hi, mid;

	if ((wc = bridge_world_chat_get(w, chat_id)) == NULL)
		return false;
	hi = wc->c.n_members;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (wc->c.members[mid] == user_id) {
			/* a direct chat keeps its peer's name after a leave */
			memmove(wc->c.members + mid, wc->c.members + mid + 1,
			    (wc->c.n_members - mid - 1) *
			        sizeof *wc->c.members);
			wc->c.n_members--;
			return true;
		}
		if (wc->c.members[mid] < user_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

bool
bridge_world_is_member(const struct bridge_world *w,
    const struct bridge_chat *c, int64_t user_id)
{
	size_t lo = 0, hi, mid;

	(void)w;
	if (c == NULL)
		return false;
	hi = c->n_members;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (c->members[mid] == user_id)
			return true;
		if (c->members[mid] < user_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

bool
bridge_world_rename_user(struct bridge_world *w, int64_t user_id,
    const char *kakao_nick, char **old_nick)
{
	struct bridge_world_user *wu;
	const char *nick;
	char *old;
	size_t pos, i;
	bool fresh;

	if (old_nick != NULL)
		*old_nick = NULL;
	if (kakao_nick == NULL)
		return false;
	/* a user new to the world may still have a persisted nick */
	fresh = (pos = bridge_world_idmap_get(&w->user_ids, user_id)) == 0;
	wu = fresh ? bridge_world_user_get(w, user_id, kakao_nick)
	           : w->users[pos - 1];
	bridge_world_set_str(&wu->u.kakao_nick, kakao_nick);
	if (user_id == w->own_id)
		return false;
	/* the registry frees the old name when it gives a new one */
	old = xstrdup(wu->u.nick);
	bridge_world_index_remove(&w->nicks, &wu->node);
	nick = bridge_names_rename(w->names, BRIDGE_NAMES_USER, user_id,
	    kakao_nick);
	wu->u.nick = nick;
	bridge_world_index_add(&w->nicks, &wu->node);
	for (i = 0; i < wu->n_direct; i++)
		w->chats[wu->direct[i]]->c.name = nick;
	/* nobody has seen a fresh user's nick: no NICK to send */
	if (fresh || strcmp(old, nick) == 0) {
		free(old);
		return false;
	}
	if (old_nick != NULL)
		*old_nick = old;
	else
		free(old);
	return true;
}

int
bridge_world_rename_chat(struct bridge_world *w, int64_t chat_id,
    const char *wanted, char **old_name, const char **why)
{
	char cand[BRIDGE_NAMES_CHANLEN + 8];
	struct bridge_world_chat *wc;
	const char *title, *dummy;
	int64_t other;
	char *old;

	if (why == NULL)
		why = &dummy;
	if (old_name != NULL)
		*old_name = NULL;
	if ((wc = bridge_world_chat_get(w, chat_id)) == NULL) {
		*why = "no such chat";
		return -1;
	}
	if (wc->c.query) {
		*why = "a query has no channel name";
		return -1;
	}
	if (wanted == NULL) {
		*why = "no name given";
		return -1;
	}
	/* the sanitiser puts the '#' in front itself */
	title = *wanted == '#' ? wanted + 1 : wanted;
	if (!bridge_names_channel_sanitise(title, cand, sizeof cand)) {
		*why = "no usable characters in that name";
		return -1;
	}
	if (bridge_names_find(w->names, BRIDGE_NAMES_CHAT, cand, &other) &&
	    other != chat_id) {
		*why = "that name is taken";
		return -1;
	}
	old = xstrdup(wc->c.name);
	bridge_world_index_remove(&w->channels, &wc->node);
	wc->c.name =
	    bridge_names_rename(w->names, BRIDGE_NAMES_CHAT, chat_id, title);
	bridge_world_index_add(&w->channels, &wc->node);
	if (old_name != NULL)
		*old_name = old;
	else
		free(old);
	return 0;
}

void
bridge_world_note_message(struct bridge_world *w, int64_t chat_id,
    int64_t log_id, int64_t send_at)
{
	struct bridge_world_chat *wc;

	if ((wc = bridge_world_chat_get(w, chat_id)) == NULL ||
	    log_id <= wc->c.cursor)
		return;
	wc->c.cursor = log_id;
	wc->c.last_send_at = send_at;
}

int
bridge_world_persist(struct bridge_world *w)
{
	enum bridge_names_kind kind;
	const char *name;
	size_t pos = 0;
	int64_t id;

	while (bridge_names_next_new(w->names, &pos, &kind, &id, &name))
		if (store_put_name(w->st,
		        kind == BRIDGE_NAMES_USER ? STORE_NAME_USER
		                                  : STORE_NAME_CHAT,
		        id, name) == -1)
			return -1;
	bridge_names_mark_persisted(w->names);
	return 0;
}
