/* locoirc: see LICENSE.
 *
 * IRC names for Kakao users and chats (IRC.md 4.5). Sanitisers build names
 * one whole character at a time, so a cut at the byte limit never splits
 * UTF-8; the registry compares names with CASEMAPPING=ascii (IRC.md 2.13)
 * and never moves a name once given unless asked to. No I/O, no store.
 */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge-names.h"
#include "irc-text.h"
#include "xmalloc.h"

/* A name under construction, at most cap bytes plus a NUL. */
struct bridge_names_buf {
	char b[BRIDGE_NAMES_NICKLEN + BRIDGE_NAMES_CHANLEN + 8];
	size_t len;
	size_t cap;
	bool full; /* a character did not fit: stop appending */
};

/* One assignment of the registry. */
struct bridge_names_entry {
	enum bridge_names_kind kind;
	int64_t id;
	char *name;
	bool fresh; /* not yet reported as persisted */
};

struct bridge_names {
	int64_t own_id;
	char *own_nick;
	bool ascii;
	struct bridge_names_entry
	    *v; /* XXX linear search; fine for a few 1000s */
	size_t n;
	size_t alloc;
};

static void bridge_names_put(struct bridge_names_buf *nb, const char *s,
    size_t n);
static uint32_t bridge_names_decode(const char *s, size_t n);
static bool bridge_names_is_space(uint32_t cp);
static bool bridge_names_is_invisible(uint32_t cp);
static const char *bridge_names_latin(uint32_t cp, char *one);
static bool bridge_names_rfc_nick_char(unsigned char c);
static size_t bridge_names_trim(const char *s, const char **start);
static size_t bridge_names_utf8_cut(const char *s, size_t len, size_t max);
static void bridge_names_out(const struct bridge_names_buf *nb, char *out,
    size_t len);
static bool bridge_names_taken(const struct bridge_names *reg,
    enum bridge_names_kind kind, const char *name,
    const struct bridge_names_entry *self);
static struct bridge_names_entry *
bridge_names_lookup(const struct bridge_names *reg, enum bridge_names_kind kind,
    int64_t id);
static char *bridge_names_unique(const struct bridge_names *reg,
    enum bridge_names_kind kind, int64_t id, const char *wanted,
    const struct bridge_names_entry *self);
static struct bridge_names_entry *bridge_names_add(struct bridge_names *reg,
    enum bridge_names_kind kind, int64_t id, char *name, bool fresh);

/*
 * Revised Romanization of Korean (Ministry of Culture and Tourism, 2000),
 * as in its published consonant and vowel tables. A syllable is
 * U+AC00 + (lead * 21 + vowel) * 28 + tail (Unicode 3.12). Leads use the
 * "before a vowel" column; tails use the "final" column, so the
 * tense/aspirated finals fold (ㄲ,ㅋ -> k; ㄷ,ㅅ,ㅆ,ㅈ,ㅊ,ㅌ,ㅎ -> t;
 * ㅍ -> p) and each double final is read by the consonant pronounced
 * alone (ㄳ k, ㄵ ㄶ n, ㄺ k, ㄻ m, ㄼ ㄽ ㄾ ㅀ l, ㄿ ㅄ p: 닭 dak, 값 gap).
 * We romanise syllable by syllable: no sound changes across syllables
 * and no hyphens, so 한글 is "hangeul" and 신라 "sinra" (not "silla").
 */
static const char *const bridge_names_rr_lead[19] = {"g", "kk", "n", "d", "tt",
    "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"};
static const char *const bridge_names_rr_vowel[21] = {"a", "ae", "ya", "yae",
    "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi",
    "yu", "eu", "ui", "i"};
static const char *const bridge_names_rr_tail[28] = {"", "k", "k", "k", "n",
    "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p", "t",
    "t", "ng", "t", "t", "k", "t", "p", "t"};

/* Latin-1 letters U+00C0..U+00FF without their accents ("" = drop). */
static const char *const bridge_names_latin1[64] = {"A", "A", "A", "A", "A",
    "A", "AE", "C", "E", "E", "E", "E", "I", "I", "I", "I", "D", "N", "O", "O",
    "O", "O", "O", "", "O", "U", "U", "U", "U", "Y", "Th", "ss", "a", "a", "a",
    "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", "d", "n",
    "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y"};

/* Latin Extended-A U+0100..U+017F, one base letter each (16 a row). */
static const char bridge_names_latin_a[] = "AaAaAaCcCcCcCcDd"
                                           "DdEeEeEeEeEeGgGg"
                                           "GgGgHhHhIiIiIiIi"
                                           "IiIiJjKkkLlLlLlL"
                                           "lLlNnNnNnnNnOoOo"
                                           "OoOoRrRrRrSsSsSs"
                                           "SsTtTtTtUuUuUuUu"
                                           "UuUuWwYyYZzZzZzs";

/* Append n bytes (one character) if they fit; else stop appending. */
static void
bridge_names_put(struct bridge_names_buf *nb, const char *s, size_t n)
{
	if (nb->full || nb->len + n > nb->cap) {
		nb->full = true;
		return;
	}
	memcpy(nb->b + nb->len, s, n);
	nb->len += n;
	nb->b[nb->len] = '\0';
}

/* The code point of the valid n-byte UTF-8 sequence at s. */
static uint32_t
bridge_names_decode(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t cp;
	size_t i;

	if (n == 1)
		return u[0];
	cp = u[0] & (0xff >> (n + 1));
	for (i = 1; i < n; i++)
		cp = (cp << 6) | (u[i] & 0x3f);
	return cp;
}

/* Whether cp is a space we turn into '_' (ASCII, NBSP, ideographic). */
static bool
bridge_names_is_space(uint32_t cp)
{
	return cp == ' ' || cp == 0xa0 || cp == 0x3000;
}

/* Whether cp is a control or an invisible format character we drop. */
static bool
bridge_names_is_invisible(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||
	    (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
	    (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff || cp == 0xad;
}

/* The ASCII form of a Latin letter with accents, "" if none is simple. */
static const char *
bridge_names_latin(uint32_t cp, char *one)
{
	if (cp >= 0xc0 && cp <= 0xff)
		return bridge_names_latin1[cp - 0xc0];
	if (cp == 0x132)
		return "IJ";
	if (cp == 0x133)
		return "ij";
	if (cp == 0x152)
		return "OE";
	if (cp == 0x153)
		return "oe";
	if (cp >= 0x100 && cp <= 0x17f) {
		one[0] = bridge_names_latin_a[cp - 0x100];
		one[1] = '\0';
		return one;
	}
	return "";
}

/* Whether c may appear in an RFC 2812 nick (letter, digit, special, -). */
static bool
bridge_names_rfc_nick_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("[]\\`_^{|}-", c) != NULL;
}

/* The length of s without leading and trailing ASCII spaces; *start at it. */
static size_t
bridge_names_trim(const char *s, const char **start)
{
	size_t len;

	while (*s == ' ')
		s++;
	len = strlen(s);
	while (len > 0 && s[len - 1] == ' ')
		len--;
	*start = s;
	return len;
}

/* The longest prefix of valid UTF-8 s (len bytes) of at most max bytes
 * that ends on a character boundary. */
static size_t
bridge_names_utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/* Copy a built name into out (len bytes), cut on a character boundary. */
static void
bridge_names_out(const struct bridge_names_buf *nb, char *out, size_t len)
{
	size_t n;

	n = bridge_names_utf8_cut(nb->b, nb->len, len - 1);
	memcpy(out, nb->b, n);
	out[n] = '\0';
}

size_t
bridge_names_romanise(uint32_t cp, char *out)
{
	uint32_t s;
	int n;

	if (cp < 0xac00 || cp > 0xd7a3)
		return 0;
	s = cp - 0xac00;
	n = snprintf(out, 8, "%s%s%s", bridge_names_rr_lead[s / 588],
	    bridge_names_rr_vowel[(s % 588) / 28],
	    bridge_names_rr_tail[s % 28]);
	return (size_t)n;
}

bool
bridge_names_nick_sanitise(const char *kakao_nick, bool ascii, char *out,
    size_t len)
{
	struct bridge_names_buf nb;
	const char *s, *t;
	size_t slen, i, n, k;
	uint32_t cp;
	bool prev_hangul = false, hangul;
	char rom[8], one[2];

	if (len == 0)
		return false;
	memset(&nb, 0, sizeof nb);
	nb.cap = BRIDGE_NAMES_NICKLEN;
	slen = bridge_names_trim(kakao_nick != NULL ? kakao_nick : "", &s);
	for (i = 0; i < slen && !nb.full; i += n) {
		if ((n = irc_text_utf8_seq(s + i, slen - i)) == 0) {
			n = 1; /* an invalid byte: drop it */
			continue;
		}
		cp = bridge_names_decode(s + i, n);
		hangul = false;
		if (bridge_names_is_invisible(cp) ||
		    (cp < 0x80 && strchr(",*?!@.", (int)cp) != NULL))
			t = "";
		else if (bridge_names_is_space(cp))
			t = "_";
		else if (nb.len == 0 && cp < 0x80 &&
		    strchr("#&:$+", (int)cp) != NULL)
			t = "";
		else if (!ascii) {
			bridge_names_put(&nb, s + i, n);
			prev_hangul = false;
			continue;
		} else if (cp < 0x80) {
			one[0] = (char)cp;
			one[1] = '\0';
			t = bridge_names_rfc_nick_char((unsigned char)cp) ? one
			                                                  : "";
		} else if ((k = bridge_names_romanise(cp, rom)) > 0) {
			/* a run of syllables is one word: capitalise it */
			if (!prev_hangul)
				rom[0] = (char)(rom[0] - 'a' + 'A');
			hangul = true;
			t = rom;
		} else
			t = bridge_names_latin(cp, one);
		/* a multi-letter romanisation counts as one character */
		if (*t != '\0')
			bridge_names_put(&nb, t, strlen(t));
		prev_hangul = hangul;
	}
	if (nb.len == 0) {
		nb.full = false;
		bridge_names_put(&nb, BRIDGE_NAMES_NICK_FALLBACK,
		    strlen(BRIDGE_NAMES_NICK_FALLBACK));
		bridge_names_out(&nb, out, len);
		return false;
	}
	if ((nb.b[0] >= '0' && nb.b[0] <= '9') || nb.b[0] == '-') {
		memmove(nb.b + 1, nb.b, nb.len + 1);
		nb.b[0] = '_';
		nb.len = bridge_names_utf8_cut(nb.b, nb.len + 1, nb.cap);
		nb.b[nb.len] = '\0';
	}
	bridge_names_out(&nb, out, len);
	return true;
}

bool
bridge_names_channel_sanitise(const char *title, char *out, size_t len)
{
	struct bridge_names_buf nb;
	const char *s;
	size_t slen, i, n;
	uint32_t cp;

	if (len == 0)
		return false;
	memset(&nb, 0, sizeof nb);
	nb.cap = BRIDGE_NAMES_CHANLEN;
	bridge_names_put(&nb, "#", 1);
	slen = bridge_names_trim(title != NULL ? title : "", &s);
	for (i = 0; i < slen && !nb.full; i += n) {
		if ((n = irc_text_utf8_seq(s + i, slen - i)) == 0) {
			n = 1;
			continue;
		}
		cp = bridge_names_decode(s + i, n);
		if (bridge_names_is_invisible(cp) || cp == ',' || cp == ':')
			continue;
		if (bridge_names_is_space(cp))
			bridge_names_put(&nb, "_", 1);
		else
			bridge_names_put(&nb, s + i, n);
	}
	if (nb.len == 1) {
		nb.len = 0;
		bridge_names_put(&nb, BRIDGE_NAMES_CHAN_FALLBACK,
		    strlen(BRIDGE_NAMES_CHAN_FALLBACK));
		bridge_names_out(&nb, out, len);
		return false;
	}
	bridge_names_out(&nb, out, len);
	return true;
}

struct bridge_names *
bridge_names_new(int64_t own_id, const char *own_nick, bool ascii)
{
	struct bridge_names *reg;

	reg = xcalloc(1, sizeof *reg);
	reg->own_id = own_id;
	reg->own_nick = xstrdup(own_nick != NULL ? own_nick : "");
	reg->ascii = ascii;
	return reg;
}

void
bridge_names_free(struct bridge_names *reg)
{
	size_t i;

	if (reg == NULL)
		return;
	for (i = 0; i < reg->n; i++)
		free(reg->v[i].name);
	free(reg->v);
	free(reg->own_nick);
	free(reg);
}

bool
bridge_names_is_reserved(const struct bridge_names *reg, const char *name)
{
	return irc_text_caseeq(name, reg->own_nick) ||
	    irc_text_caseeq(name, BRIDGE_NAMES_SERVICE_NICK) ||
	    irc_text_caseeq(name, BRIDGE_NAMES_MEMO_NICK);
}

/* Whether name is reserved or held by an entry of kind other than self. */
static bool
bridge_names_taken(const struct bridge_names *reg, enum bridge_names_kind kind,
    const char *name, const struct bridge_names_entry *self)
{
	size_t i;

	if (kind == BRIDGE_NAMES_USER && bridge_names_is_reserved(reg, name))
		return true;
	for (i = 0; i < reg->n; i++)
		if (&reg->v[i] != self && reg->v[i].kind == kind &&
		    irc_text_caseeq(reg->v[i].name, name))
			return true;
	return false;
}

/* The entry of (kind, id), or NULL. */
static struct bridge_names_entry *
bridge_names_lookup(const struct bridge_names *reg, enum bridge_names_kind kind,
    int64_t id)
{
	size_t i;

	for (i = 0; i < reg->n; i++)
		if (reg->v[i].kind == kind && reg->v[i].id == id)
			return &reg->v[i];
	return NULL;
}

/* A malloc'd free name for id from wanted: the sanitised form, or the
 * fallback stem plus the id, with "_2", "_3"... until it is free. */
static char *
bridge_names_unique(const struct bridge_names *reg, enum bridge_names_kind kind,
    int64_t id, const char *wanted, const struct bridge_names_entry *self)
{
	char base[BRIDGE_NAMES_NICKLEN + BRIDGE_NAMES_CHANLEN + 32];
	char cand[sizeof base + 32];
	char sfx[32];
	size_t limit, blen, cut;
	unsigned long k;
	bool real;

	if (kind == BRIDGE_NAMES_USER) {
		limit = BRIDGE_NAMES_NICKLEN;
		real = bridge_names_nick_sanitise(wanted, reg->ascii, base,
		    sizeof base);
	} else {
		limit = BRIDGE_NAMES_CHANLEN;
		real = bridge_names_channel_sanitise(wanted, base, sizeof base);
	}
	if (!real)
		snprintf(base, sizeof base, "%s%" PRId64,
		    kind == BRIDGE_NAMES_USER ? BRIDGE_NAMES_NICK_FALLBACK
		                              : BRIDGE_NAMES_CHAN_FALLBACK,
		    id);
	blen = strlen(base);
	/* the pigeonhole bounds the loop: n entries + 3 reserved names */
	for (k = 1;; k++) {
		if (k == 1)
			sfx[0] = '\0';
		else
			snprintf(sfx, sizeof sfx, "_%lu", k);
		cut = bridge_names_utf8_cut(base, blen, limit - strlen(sfx));
		memcpy(cand, base, cut);
		memcpy(cand + cut, sfx, strlen(sfx) + 1);
		if (!bridge_names_taken(reg, kind, cand, self))
			return xstrdup(cand);
	}
}

/* Append an entry taking name; returns it. */
static struct bridge_names_entry *
bridge_names_add(struct bridge_names *reg, enum bridge_names_kind kind,
    int64_t id, char *name, bool fresh)
{
	struct bridge_names_entry *e;

	if (reg->n == reg->alloc) {
		reg->alloc = reg->alloc == 0 ? 16 : reg->alloc * 2;
		reg->v = xreallocarray(reg->v, reg->alloc, sizeof *reg->v);
	}
	e = &reg->v[reg->n++];
	e->kind = kind;
	e->id = id;
	e->name = name;
	e->fresh = fresh;
	return e;
}

int
bridge_names_load(struct bridge_names *reg, enum bridge_names_kind kind,
    int64_t id, const char *name)
{
	char check[BRIDGE_NAMES_NICKLEN + BRIDGE_NAMES_CHANLEN + 8];
	bool real;

	if (name == NULL || bridge_names_lookup(reg, kind, id) != NULL ||
	    (kind == BRIDGE_NAMES_USER && id == reg->own_id))
		return -1;
	if (kind == BRIDGE_NAMES_USER)
		real = bridge_names_nick_sanitise(name, reg->ascii, check,
		    sizeof check);
	else /* the sanitiser puts the '#' in front itself */
		real = name[0] == '#' &&
		    bridge_names_channel_sanitise(name + 1, check,
		        sizeof check);
	if (!real || strcmp(check, name) != 0 ||
	    bridge_names_taken(reg, kind, name, NULL))
		return -1;
	bridge_names_add(reg, kind, id, xstrdup(name), false);
	return 0;
}

const char *
bridge_names_chat(struct bridge_names *reg, int64_t chat_id, const char *title)
{
	struct bridge_names_entry *e;

	if ((e = bridge_names_lookup(reg, BRIDGE_NAMES_CHAT, chat_id)) != NULL)
		return e->name;
	return bridge_names_add(reg, BRIDGE_NAMES_CHAT, chat_id,
	    bridge_names_unique(reg, BRIDGE_NAMES_CHAT, chat_id, title, NULL),
	    true)
	    ->name;
}

const char *
bridge_names_user(struct bridge_names *reg, int64_t user_id,
    const char *kakao_nick)
{
	struct bridge_names_entry *e;

	if (user_id == reg->own_id)
		return reg->own_nick;
	if ((e = bridge_names_lookup(reg, BRIDGE_NAMES_USER, user_id)) != NULL)
		return e->name;
	return bridge_names_add(reg, BRIDGE_NAMES_USER, user_id,
	    bridge_names_unique(reg, BRIDGE_NAMES_USER, user_id, kakao_nick,
	        NULL),
	    true)
	    ->name;
}

const char *
bridge_names_rename(struct bridge_names *reg, enum bridge_names_kind kind,
    int64_t id, const char *wanted)
{
	struct bridge_names_entry *e;
	char *name;

	if (kind == BRIDGE_NAMES_USER && id == reg->own_id)
		return reg->own_nick;
	if ((e = bridge_names_lookup(reg, kind, id)) == NULL)
		return kind == BRIDGE_NAMES_USER
		    ? bridge_names_user(reg, id, wanted)
		    : bridge_names_chat(reg, id, wanted);
	name = bridge_names_unique(reg, kind, id, wanted, e);
	if (strcmp(name, e->name) == 0) {
		free(name);
		return e->name;
	}
	free(e->name);
	e->name = name;
	e->fresh = true;
	return e->name;
}

const char *
bridge_names_get(const struct bridge_names *reg, enum bridge_names_kind kind,
    int64_t id)
{
	const struct bridge_names_entry *e;

	if (kind == BRIDGE_NAMES_USER && id == reg->own_id)
		return reg->own_nick;
	e = bridge_names_lookup(reg, kind, id);
	return e != NULL ? e->name : NULL;
}

bool
bridge_names_find(const struct bridge_names *reg, enum bridge_names_kind kind,
    const char *name, int64_t *id)
{
	size_t i;

	if (kind == BRIDGE_NAMES_USER && irc_text_caseeq(name, reg->own_nick)) {
		*id = reg->own_id;
		return true;
	}
	for (i = 0; i < reg->n; i++)
		if (reg->v[i].kind == kind &&
		    irc_text_caseeq(reg->v[i].name, name)) {
			*id = reg->v[i].id;
			return true;
		}
	return false;
}

bool
bridge_names_next_new(const struct bridge_names *reg, size_t *pos,
    enum bridge_names_kind *kind, int64_t *id, const char **name)
{
	const struct bridge_names_entry *e;

	while (*pos < reg->n) {
		e = &reg->v[(*pos)++];
		if (!e->fresh)
			continue;
		*kind = e->kind;
		*id = e->id;
		*name = e->name;
		return true;
	}
	return false;
}

void
bridge_names_mark_persisted(struct bridge_names *reg)
{
	size_t i;

	for (i = 0; i < reg->n; i++)
		reg->v[i].fresh = false;
}
