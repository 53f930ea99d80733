/* locoirc: see LICENSE.
 *
 * UTF-8 and text shaping for IRC lines. Lengths are always in bytes, since
 * the 512-byte IRC limit is in bytes and Hangul takes three of them a
 * character (IRC.md 2.12, 3 #16). Casemapping is ascii, the one IRC.md 2.13
 * advertises, so Hangul and other non-ASCII names compare byte for byte.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "irc-text.h"
#include "xmalloc.h"

static size_t irc_text_unit(const char *s, size_t avail);
static bool irc_text_is_format(unsigned char c);

size_t
irc_text_utf8_seq(const char *str, size_t avail)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n, i;
	unsigned int cp;

	if (avail == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (avail < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Bytes of the character at s: a valid sequence, else one byte. */
static size_t
irc_text_unit(const char *s, size_t avail)
{
	size_t n = irc_text_utf8_seq(s, avail);

	return n == 0 ? 1 : n;
}

bool
irc_text_utf8_valid(const char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		if ((n = irc_text_utf8_seq(s + i, len - i)) == 0)
			return false;
		i += n;
	}
	return true;
}

char *
irc_text_utf8_repair(const char *s, size_t len, size_t *outlen)
{
	char *out = xmalloc(len * 3 + 1);
	size_t i = 0, o = 0, n;

	while (i < len) {
		if ((n = irc_text_utf8_seq(s + i, len - i)) == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(out + o, s + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	if (outlen != NULL)
		*outlen = o;
	return out;
}

size_t
irc_text_split(const char *s, size_t len, size_t budget,
    struct irc_text_span **out)
{
	struct irc_text_span *v = NULL;
	size_t nv = 0, off = 0;

	if (budget < IRC_TEXT_BUDGET_MIN)
		budget = IRC_TEXT_BUDGET_MIN;
	while (off < len) {
		size_t end = off, u, cut, sp = 0;
		bool at_space = false;

		/* Take whole characters while they fit. */
		while (end < len &&
		    end - off + (u = irc_text_unit(s + end, len - end)) <=
		        budget)
			end += u;
		cut = end;
		if (end < len) {
			size_t i;

			/* Prefer the last space in the second half. */
			for (i = end; i > off + budget / 2; i--)
				if (s[i - 1] == ' ') {
					sp = i;
					break;
				}
			if (s[end] == ' ') {
				at_space = true;
			} else if (sp != 0) {
				cut = sp - 1;
				at_space = true;
			}
		}
		v = xreallocarray(v, nv + 1, sizeof *v);
		v[nv].off = off;
		v[nv].len = cut - off;
		v[nv].at_space = at_space;
		nv++;
		off = cut + (at_space ? 1 : 0);
	}
	*out = v;
	return nv;
}

size_t
irc_text_lines(const char *s, size_t len, struct irc_text_span **out)
{
	struct irc_text_span *v = NULL;
	size_t nv = 0, off = 0, i;

	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '\r' && s[i] != '\n')
			continue;
		if (i > off) {
			v = xreallocarray(v, nv + 1, sizeof *v);
			v[nv].off = off;
			v[nv].len = i - off;
			v[nv].at_space = false;
			nv++;
		}
		if (i + 1 < len && s[i] == '\r' && s[i + 1] == '\n')
			i++;
		off = i + 1;
	}
	*out = v;
	return nv;
}

char *
irc_text_action_wrap(const char *text)
{
	return xasprintf("\001ACTION %s\001", text);
}

bool
irc_text_action_unwrap(const char *s, size_t len, size_t *off, size_t *tlen)
{
	static const char tag[] = "\001ACTION";
	size_t n = sizeof tag - 1, end = len;

	if (len < n || memcmp(s, tag, n) != 0)
		return false;
	if (end > n && s[end - 1] == '\001')
		end--;
	if (end == n) { /* "\001ACTION\001": an empty action */
		*off = n;
		*tlen = 0;
		return true;
	}
	if (s[n] != ' ')
		return false; /* "\001ACTIONS": some other CTCP */
	*off = n + 1;
	*tlen = end - n - 1;
	return true;
}

/* Whether c is an IRC formatting code (modern.ircdocs.horse formatting). */
static bool
irc_text_is_format(unsigned char c)
{
	return c == 0x02 || c == 0x03 || c == 0x04 || c == 0x0f || c == 0x11 ||
	    c == 0x16 || c == 0x1d || c == 0x1e || c == 0x1f;
}

size_t
irc_text_strip_controls(char *s, size_t len, int flags)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\t')
			s[o++] = ' ';
		else if (c >= 0x20 && c != 0x7f)
			s[o++] = (char)c;
		else if ((flags & IRC_TEXT_KEEP_FORMAT) &&
		    irc_text_is_format(c))
			s[o++] = (char)c;
	}
	s[o] = '\0';
	return o;
}

int
irc_text_casecmp(const char *a, const char *b)
{
	unsigned char ca, cb;

	do {
		ca = (unsigned char)*a++;
		cb = (unsigned char)*b++;
		if (ca >= 'A' && ca <= 'Z')
			ca = (unsigned char)(ca - 'A' + 'a');
		if (cb >= 'A' && cb <= 'Z')
			cb = (unsigned char)(cb - 'A' + 'a');
	} while (ca == cb && ca != '\0');
	return (int)ca - (int)cb;
}

bool
irc_text_caseeq(const char *a, const char *b)
{
	return irc_text_casecmp(a, b) == 0;
}

char *
irc_text_casefold(char *s)
{
	char *c;

	for (c = s; *c != '\0'; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	return s;
}
