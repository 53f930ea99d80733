/* locoirc: see LICENSE.
 *
 * Bad input from IRC clients: invalid UTF-8, control bytes, NUL bytes,
 * over-long lines and tags, junk commands and parameters, a torrent of
 * lines to unknown targets, a client vanishing mid-line. Each gets a clear
 * answer or is dropped alone; the daemon stays up, other clients stay
 * served, and what reaches KakaoTalk is valid UTF-8 without controls.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon-fixture.h"
#include "irc-text.h"
#include "ircc.h"
#include "tap.h"

/* The newest message of chat in locosim, malloc'd, or NULL. */
static char *
sim_last(struct dfix *f, int64_t chat)
{
	struct dfix_msg *m = NULL;
	ssize_t n = dfix_sim_log(f, chat, &m);
	char *t = n > 0 ? strdup(m[n - 1].text) : NULL;

	dfix_msgs_free(m, n);
	return t;
}

/* Invalid UTF-8 and controls are cleaned before they reach Kakao. */
static void
bad_text(struct dfix *f, struct ircc *c)
{
	static const char raw[] = "PRIVMSG #Group :bad \xff\xfe utf8 "
	                          "\x02"
	                          "bold\x03"
	                          "4red\x0f end\r\n";
	char *t;

	ok(ircc_send_raw(c, raw, sizeof raw - 1), "send invalid UTF-8");
	ok(ircc_expect(c, "PRIVMSG", "end"), "it is echoed");
	t = sim_last(f, DFIX_GROUP);
	ok(t != NULL && irc_text_utf8_valid(t, strlen(t)),
	    "locosim got valid UTF-8 (%s)", t ? t : "nothing");
	ok(t != NULL && strchr(t, '\x02') == NULL &&
	        strchr(t, '\x03') == NULL && strstr(t, "bad ") == t &&
	        strstr(t, " end") != NULL,
	    "without IRC formatting codes");
	free(t);
}

/* Lines the parser must refuse or ignore, each answered alone. */
static void
bad_lines(struct dfix *f, struct ircc *c)
{
	char big[6000], tags[5000];
	static const char nul[] = "PRIVMSG #Group :a\0b\r\n";

	(void)f;
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	ircc_send(c, "PRIVMSG #Group :%s", big);
	ok(ircc_expect(c, "417", NULL), "a 6000-byte line: 417");
	memset(tags, 'a', sizeof tags - 1);
	tags[sizeof tags - 1] = '\0';
	ircc_send(c, "@+x=%s PRIVMSG #Group :tagged", tags);
	ok(ircc_expect(c, "417", NULL), "5000 bytes of tags: 417");
	ok(ircc_send_raw(c, nul, sizeof nul - 1), "a NUL byte in a line");
	ircc_send(c, "\x01\x02\x03");
	ircc_send(c, ":");
	ircc_send(c, "@");
	ircc_send(c, "PRIVMSG #Group :\x01VERSION\x01");
	ircc_send(c, "PRIVMSG  :empty target");
	ircc_send(c, "JOIN ,,,,");
	ircc_send(c, "MODE");
	ircc_send(c, "WHO");
	ircc_send(c, "CAP REQ :no-such-cap");
	ircc_send(c, "AUTHENTICATE PLAIN");
	ok(ircc_sync(c, NULL), "after the junk the client is still served");
}

/* A torrent of lines to unknown targets: answered or dropped, the
 * daemon survives and the other client is unaffected. */
static void
torrent(struct dfix *f, struct ircc *c, struct ircc *other)
{
	int i;

	for (i = 0; i < 2000; i++)
		ircc_send(c, "PRIVMSG #nosuch%d :x", i);
	ok(ircc_sync(c, NULL) || ircc_is_closed(c),
	    "a torrent of 2000 errors: served or dropped");
	dfix_ctl_num(f, "send %lld %lld still here", (long long)DFIX_GROUP,
	    (long long)DFIX_BOB);
	ok(ircc_expect(other, "PRIVMSG", "#Group :still here"),
	    "the other client still gets messages");
}

/* A client that vanishes in the middle of a line. */
static void
vanish(struct dfix *f)
{
	struct ircc *c = ircc_connect(f->irc_port, "ghost", 0);
	static const char half[] = "PRIVMSG #Group :half a li";

	ok(c != NULL, "connect a client that will vanish");
	if (c != NULL)
		ircc_send_raw(c, half, sizeof half - 1);
	ircc_free(c);
}

int
main(void)
{
	static struct dfix f; /* read by the fixture's atexit handler */
	struct ircc *c = NULL, *other = NULL, *late = NULL;

	tap_init(120);
	dfix_init(&f);
	ircc_set_pump(dfix_pump_now, &f);
	if (!dfix_irc_boot(&f, NULL))
		goto out;
	c = ircc_attach(f.irc_port, "junk", "junk", "echo-message", true, NULL);
	other = ircc_attach(f.irc_port, "other", "other", NULL, true, NULL);
	if (!ok(c != NULL && other != NULL, "two clients attach"))
		goto out;
	bad_text(&f, c);
	bad_lines(&f, c);
	torrent(&f, c, other);
	vanish(&f);
	late = ircc_attach(f.irc_port, "late", "late", NULL, true, NULL);
	ok(late != NULL, "a new client still attaches");
out:
	ircc_free(c);
	ircc_free(other);
	ircc_free(late);
	dfix_irc_end(&f);
	free(f.log);
	return done_testing();
}
