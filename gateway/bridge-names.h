/* locoirc: see LICENSE.
 *
 * Naming rules of the bridge (IRC.md 4.5): IRC nicks from Kakao profile
 * names, channel names from chat titles, and a registry that hands them out
 * uniquely under CASEMAPPING=ascii and keeps each one stable once given.
 * Pure code: the bridge seeds the registry from the store and persists what
 * it reports as new; this module does no I/O.
 */
#ifndef LOCOIRC_GATEWAY_BRIDGE_NAMES_H
#define LOCOIRC_GATEWAY_BRIDGE_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* NICKLEN and CHANNELLEN we advertise, in bytes (IRC.md 2.13: >= 64). */
#define BRIDGE_NAMES_NICKLEN 64
#define BRIDGE_NAMES_CHANLEN 64

/* The service nick (DESIGN.md) and the fixed query nick of the memo chat;
 * both start with '*', which sanitised nicks never contain. */
#define BRIDGE_NAMES_SERVICE_NICK "*loco"
#define BRIDGE_NAMES_MEMO_NICK "*memo"

/* Stems of the fallback names; the registry appends the Kakao id. */
#define BRIDGE_NAMES_NICK_FALLBACK "kakao"
#define BRIDGE_NAMES_CHAN_FALLBACK "#chat"

/* The two name spaces of the registry. */
enum bridge_names_kind {
	BRIDGE_NAMES_USER, /* Kakao userId -> nick */
	BRIDGE_NAMES_CHAT  /* Kakao chatId -> #channel */
};

struct bridge_names;

/*
 * Write into out (len bytes, len >= 1) an IRC nick made from a Kakao
 * profile name: ends trimmed of spaces, spaces -> '_', no control or
 * invalid bytes, none of ",*?!@." anywhere, no '#', '&', ':', '$' or '+' in
 * front, a '_' in front of a leading digit or '-', cut on a character
 * boundary to BRIDGE_NAMES_NICKLEN (and len - 1) bytes. UTF-8 is kept
 * unless ascii, which romanises Hangul syllables (Revised Romanization,
 * one syllable at a time), strips Latin accents, keeps only the RFC 2812
 * nick characters and drops everything else. Returns false (and writes
 * BRIDGE_NAMES_NICK_FALLBACK) when nothing usable is left; NULL is empty.
 */
bool bridge_names_nick_sanitise(const char *kakao_nick, bool ascii, char *out,
    size_t len);

/*
 * Write into out (len bytes, len >= 1) a channel name made from a chat
 * title (or the members' names the caller joined for an untitled chat):
 * '#', then the title with ends trimmed, spaces -> '_', no control or
 * invalid bytes, no ',' or ':' (RFC 2812 chanstring), UTF-8 kept, cut on a
 * character boundary to BRIDGE_NAMES_CHANLEN (and len - 1) bytes. Returns
 * false (and writes BRIDGE_NAMES_CHAN_FALLBACK) when nothing is left.
 */
bool bridge_names_channel_sanitise(const char *title, char *out, size_t len);

/*
 * Romanise one Hangul syllable (U+AC00..U+D7A3) into out (at least 8 bytes)
 * in lower case; returns its length, or 0 if cp is not one.
 */
size_t bridge_names_romanise(uint32_t cp, char *out);

/*
 * A new, empty registry for the account own_id whose nick is own_nick
 * (copied): that nick, BRIDGE_NAMES_SERVICE_NICK and BRIDGE_NAMES_MEMO_NICK
 * are never handed out, and own_id's nick is always own_nick. ascii picks
 * ASCII nicks (config key for clients without UTF-8). Free with
 * bridge_names_free.
 */
struct bridge_names *bridge_names_new(int64_t own_id, const char *own_nick,
    bool ascii);

/* Free reg and every name it holds; NULL is a no-op. */
void bridge_names_free(struct bridge_names *reg);

/*
 * Seed a persisted pair (not reported as new). Returns -1 if id already has
 * a name, name is taken under the casemapping or reserved, or name is not
 * what the sanitiser would keep unchanged in this registry's mode (the id
 * then gets a fresh name when first asked for).
 */
int bridge_names_load(struct bridge_names *reg, enum bridge_names_kind kind,
    int64_t id, const char *name);

/*
 * The channel of chat_id: the existing one even if title changed, else a
 * new unique name from title (suffix "_2", "_3"... on collision). The
 * result is borrowed from reg until it is freed.
 */
const char *bridge_names_chat(struct bridge_names *reg, int64_t chat_id,
    const char *title);

/* The nick of user_id, like bridge_names_chat; own_id gets own_nick. */
const char *bridge_names_user(struct bridge_names *reg, int64_t user_id,
    const char *kakao_nick);

/*
 * Give id a new name made from wanted (profile change, or the service's
 * rename command); keeps the current name if it is what wanted gives.
 * Returns the name (borrowed), reported as new when it changed.
 */
const char *bridge_names_rename(struct bridge_names *reg,
    enum bridge_names_kind kind, int64_t id, const char *wanted);

/* The name of id (borrowed), or NULL if it has none yet. */
const char *bridge_names_get(const struct bridge_names *reg,
    enum bridge_names_kind kind, int64_t id);

/* Find the id named name under CASEMAPPING=ascii; false if none. */
bool bridge_names_find(const struct bridge_names *reg,
    enum bridge_names_kind kind, const char *name, int64_t *id);

/* Whether name is reserved (own nick, service nick, memo nick). */
bool bridge_names_is_reserved(const struct bridge_names *reg, const char *name);

/*
 * Walk the assignments made or changed since the last
 * bridge_names_mark_persisted: start with *pos = 0 and call until it
 * returns false. The name is borrowed until the next mutating call.
 */
bool bridge_names_next_new(const struct bridge_names *reg, size_t *pos,
    enum bridge_names_kind *kind, int64_t *id, const char **name);

/* Mark every assignment as persisted (after the store committed them). */
void bridge_names_mark_persisted(struct bridge_names *reg);

#endif
