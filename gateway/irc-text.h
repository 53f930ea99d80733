/* locoirc: see LICENSE.
 *
 * Text helpers for the IRC side: UTF-8 validation and repair, cutting long
 * or multi-line text into IRC-sized pieces without breaking a character,
 * CTCP ACTION, control-character stripping and CASEMAPPING=ascii
 * comparison (IRC.md 2.12, 2.13). Pure functions on byte strings; no I/O.
 */
#ifndef LOCOIRC_GATEWAY_IRC_TEXT_H
#define LOCOIRC_GATEWAY_IRC_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* The smallest budget irc_text_split honours (one 4-byte character). */
#define IRC_TEXT_BUDGET_MIN 4

/* A piece of a borrowed input string. */
struct irc_text_span {
	size_t off;    /* byte offset into the input */
	size_t len;    /* byte length */
	bool at_space; /* a space followed and was dropped by the split */
};

/* Whether s (len bytes) is valid UTF-8 (no overlongs, surrogates or
 * values past U+10FFFF). NUL bytes count as valid. */
bool irc_text_utf8_valid(const char *s, size_t len);

/*
 * The length (1-4) of the valid UTF-8 sequence at s (avail bytes left), or
 * 0 if the bytes there are not one.
 */
size_t irc_text_utf8_seq(const char *s, size_t avail);

/*
 * A malloc'd NUL-terminated copy of s with every byte that does not start a
 * valid sequence replaced by U+FFFD; *outlen (may be NULL) gets its length.
 * NUL bytes are kept (strip them with irc_text_strip_controls).
 */
char *irc_text_utf8_repair(const char *s, size_t len, size_t *outlen);

/*
 * Split s (len bytes) into chunks of at most budget bytes (raised to
 * IRC_TEXT_BUDGET_MIN) that never cut a UTF-8 sequence; a cut prefers the
 * last space in the second half of the chunk, which is then dropped and
 * marked with at_space. Invalid bytes count as one-byte characters. Returns
 * the number of chunks (0 for empty input) and a malloc'd array in *out
 * that the caller frees. Joining the chunks with " " after each at_space
 * chunk gives s back.
 */
size_t irc_text_split(const char *s, size_t len, size_t budget,
    struct irc_text_span **out);

/*
 * Split s (len bytes) into lines on CRLF, LF or a lone CR. Empty lines are
 * dropped: IRC has no empty PRIVMSG (412). Returns the count and a malloc'd
 * array in *out (caller frees; NULL when 0).
 */
size_t irc_text_lines(const char *s, size_t len, struct irc_text_span **out);

/* A malloc'd "\001ACTION text\001". */
char *irc_text_action_wrap(const char *text);

/*
 * Whether s (len bytes) is a CTCP ACTION ("\001ACTION text\001"; the closing
 * \001 may be missing, as some clients send it). On true, *off and *tlen
 * give the text inside.
 */
bool irc_text_action_unwrap(const char *s, size_t len, size_t *off,
    size_t *tlen);

/* Keep the IRC formatting codes (bold, colour, hex colour, reset,
 * monospace, reverse, italics, strikethrough, underline). */
#define IRC_TEXT_KEEP_FORMAT 0x1

/*
 * Strip C0 control characters and DEL from s in place (NUL-terminated at
 * the new length, which is returned); a tab becomes a space. With
 * IRC_TEXT_KEEP_FORMAT the formatting codes stay (Kakao -> IRC); without,
 * they go too (IRC -> Kakao, where they would show as garbage).
 */
size_t irc_text_strip_controls(char *s, size_t len, int flags);

/* Compare a and b under CASEMAPPING=ascii (only A-Z fold); like strcmp. */
int irc_text_casecmp(const char *a, const char *b);

/* Whether a and b are equal under CASEMAPPING=ascii. */
bool irc_text_caseeq(const char *a, const char *b);

/* Fold s to lower case in place under CASEMAPPING=ascii; returns s. */
char *irc_text_casefold(char *s);

#endif
