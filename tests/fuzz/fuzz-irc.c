/* locoirc: see LICENSE.
 *
 * libFuzzer target for the IRC line codec and text splitter. The first byte
 * picks the origin, the reader's limit and how the rest is cut into reads;
 * every line read is parsed, written back and parsed again, and the two
 * messages must be identical (abort otherwise). Each line is also split
 * into chunks whose sizes and reassembly are checked.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "irc-msg.h"
#include "irc-text.h"

#define FUZZ_INPUT_MAX (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static bool same_str(const char *a, const char *b);
static bool same_msg(const struct irc_msg *a, const struct irc_msg *b);
static void check_line(const char *line, size_t len,
    enum irc_msg_origin origin);
static void check_split(const char *s, size_t len, size_t budget);

/* Whether a and b are both NULL or equal strings. */
static bool
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Whether two parsed messages are field for field the same. */
static bool
same_msg(const struct irc_msg *a, const struct irc_msg *b)
{
	size_t i;

	if (a->ntags != b->ntags || a->nparams != b->nparams ||
	    a->trailing != b->trailing || !same_str(a->source, b->source) ||
	    !same_str(a->nick, b->nick) || !same_str(a->user, b->user) ||
	    !same_str(a->host, b->host) || !same_str(a->command, b->command))
		return false;
	for (i = 0; i < a->ntags; i++)
		if (!same_str(a->tags[i].key, b->tags[i].key) ||
		    !same_str(a->tags[i].value, b->tags[i].value) ||
		    a->tags[i].client_only != b->tags[i].client_only)
			return false;
	for (i = 0; i < a->nparams; i++)
		if (!same_str(a->params[i], b->params[i]))
			return false;
	return true;
}

/* Parse, write, reparse and compare one line. */
static void
check_line(const char *line, size_t len, enum irc_msg_origin origin)
{
	struct irc_msg a, b;
	struct evbuffer *out;
	char *buf;
	size_t n;
	int r;

	irc_msg_init(&a);
	irc_msg_init(&b);
	if (irc_msg_parse(&a, line, len, origin, NULL) == -1)
		goto out;
	buf = malloc(len + 3);
	r = irc_msg_format(&a, buf, len + 3);
	/* The canonical form is never longer than what was parsed. */
	if (r < 0 || (size_t)r > len)
		abort();
	if (irc_msg_parse(&b, buf, (size_t)r, origin, NULL) == -1)
		abort();
	if (!same_msg(&a, &b))
		abort();
	out = evbuffer_new();
	if (irc_msg_write(out, &b) == -1)
		abort();
	n = evbuffer_get_length(out);
	if (n != (size_t)r + 2 || memcmp(evbuffer_pullup(out, -1), buf, r) != 0)
		abort();
	evbuffer_free(out);
	free(buf);
	if (a.nparams > 0)
		check_split(a.params[a.nparams - 1],
		    strlen(a.params[a.nparams - 1]), 4 + len % 61);
out:
	irc_msg_release(&a);
	irc_msg_release(&b);
}

/* Split s into chunks and check budget, boundaries and reassembly. */
static void
check_split(const char *s, size_t len, size_t budget)
{
	struct irc_text_span *v = NULL;
	size_t n, i, o = 0;
	char *joined = malloc(len + 1);

	n = irc_text_split(s, len, budget, &v);
	for (i = 0; i < n; i++) {
		if (v[i].len == 0 || v[i].len > budget ||
		    v[i].off + v[i].len > len)
			abort();
		/* A cut never lands inside a valid sequence. */
		if (v[i].off + v[i].len < len &&
		    (((unsigned char)s[v[i].off + v[i].len] & 0xc0) == 0x80) &&
		    irc_text_utf8_valid(s, len))
			abort();
		memcpy(joined + o, s + v[i].off, v[i].len);
		o += v[i].len;
		if (v[i].at_space)
			joined[o++] = ' ';
	}
	if (o != len || memcmp(joined, s, len) != 0)
		abort();
	free(joined);
	free(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t limits[] = {IRC_MSG_LINE_MAX, IRC_MSG_READ_MAX, 16};
	enum irc_msg_origin origin;
	struct evbuffer *in;
	size_t limit, chunk, off = 1, len;
	char *line;
	int r = 0;

	if (size < 1 || size > FUZZ_INPUT_MAX)
		return 0;
	origin = (data[0] & 1) ? IRC_MSG_FROM_SERVER : IRC_MSG_FROM_CLIENT;
	limit = limits[(data[0] >> 1) % 3];
	/* 1..32 bytes a read, or everything at once. */
	chunk = (data[0] >> 3) == 0 ? size : (size_t)(data[0] >> 3);
	in = evbuffer_new();
	while (off < size && r >= 0) {
		size_t n = size - off < chunk ? size - off : chunk;

		evbuffer_add(in, data + off, n);
		off += n;
		while ((r = irc_msg_read(in, limit, &line, &len, NULL)) == 1) {
			if (len >= limit)
				abort();
			check_line(line, len, origin);
			free(line);
		}
		if (r == -1 && evbuffer_get_length(in) < limit)
			abort();
	}
	/* Whatever is left unterminated is also a line to the parser. */
	if (r == 0 && evbuffer_get_length(in) > 0) {
		len = evbuffer_get_length(in);
		check_line((const char *)evbuffer_pullup(in, -1), len, origin);
	}
	evbuffer_free(in);
	return 0;
}
