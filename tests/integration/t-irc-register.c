/* locoirc: see LICENSE.
 *
 * IRC registration against the real locoircd: SASL PLAIN, ZNC-style
 * PASS user@client:password, and USER user@client with PASS password all
 * get 001 as the account's nick; a wrong password gets 904 (SASL, and the
 * client may try again) or 464 then ERROR and the close (PASS), and
 * nothing else; with [irc] user set, another login name is refused the
 * same way; a client registering with another nick is renamed to the
 * account's; PASS after registration gets 462.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon-fixture.h"
#include "ircc.h"
#include "tap.h"

/* Our own [irc] section: a fixed login name, so others are refused. */
#define REG_IRC                                                                \
	"[irc]\n"                                                              \
	"listen = 127.0.0.1:0\n"                                               \
	"password = " DFIX_IRC_HASH "\n"                                       \
	"user = alice\n"                                                       \
	"nick = alice\n"

/* The same with the password "other" (1000 iterations, salt as
 * DFIX_IRC_HASH's). */
#define REG_IRC_OTHER                                                          \
	"[irc]\n"                                                              \
	"listen = 127.0.0.1:0\n"                                               \
	"password = pbkdf2-sha256$1000$bG9jb2lyYy10ZXN0c2FsdA==$"              \
	"svYC5JhOX/3gElw+pJWqPvLFvG4HSvT07Hk9PRmSo7k=\n"                       \
	"user = alice\n"                                                       \
	"nick = alice\n"

/* Register as r says; check 001 names the account's nick. */
static void
good_login(struct dfix *f, const char *what, const struct ircc_reg *r)
{
	struct ircc_lines got = {NULL, 0};
	struct ircc *c = ircc_connect(f->irc_port, what, 0);
	char *nick = NULL;
	ssize_t i;

	if (!ok(c != NULL, "%s: connect", what))
		return;
	if (ok(ircc_register(c, r, &got), "%s: 001 arrives", what)) {
		i = ircc_lines_find(&got, 0, "001", NULL);
		nick = i >= 0 ? ircc_param(got.v[i], 0) : NULL;
		is_str(nick, "alice");
		ok(ircc_lines_count(&got, "464", NULL) == 0 &&
		        ircc_lines_count(&got, "904", NULL) == 0,
		    "%s: no refusal on the way", what);
		ok(ircc_expect(c, "PING", NULL),
		    "%s: the burst ends with a PING", what);
	}
	free(nick);
	ircc_lines_free(&got);
	ircc_free(c);
}

/* SASL with a bad credential: 904, nothing else, and a retry works. */
static void
sasl_refused(struct dfix *f, const char *what, const char *b64,
    const char *good_b64)
{
	struct ircc *c = ircc_connect(f->irc_port, what, 0);
	struct ircc_lines got = {NULL, 0};

	if (!ok(c != NULL, "%s: connect", what))
		return;
	ircc_send(c, "CAP LS 302");
	ircc_send(c, "NICK alice");
	ircc_send(c, "USER alice 0 * :x");
	ircc_send(c, "CAP REQ :sasl");
	if (!ok(ircc_expect(c, "CAP", " ACK "), "%s: sasl ACKed", what))
		goto out;
	ircc_send(c, "AUTHENTICATE PLAIN");
	if (!ok(ircc_expect(c, "AUTHENTICATE", "+"), "%s: AUTHENTICATE +",
	        what))
		goto out;
	ircc_send(c, "AUTHENTICATE %s", b64);
	ok(ircc_collect(c, "904", NULL, &got), "%s: 904", what);
	ok(ircc_lines_count(&got, "903", NULL) == 0 &&
	        ircc_lines_count(&got, "900", NULL) == 0,
	    "%s: no 900/903 before it", what);
	ok(ircc_none(c, NULL, NULL),
	    "%s: nothing else arrives (no 001, no ERROR)", what);
	/* The client may try again on the same connection. */
	ircc_send(c, "AUTHENTICATE PLAIN");
	ok(ircc_expect(c, "AUTHENTICATE", "+"), "%s: a retry is offered", what);
	ircc_send(c, "AUTHENTICATE %s", good_b64);
	ok(ircc_expect(c, "903", NULL), "%s: the retry succeeds (903)", what);
	ircc_send(c, "CAP END");
	ok(ircc_expect(c, "001", NULL), "%s: then 001", what);
out:
	ircc_lines_free(&got);
	ircc_free(c);
}

/* PASS with a bad credential: 464, ERROR, close; nothing else. */
static void
pass_refused(struct dfix *f, const char *what, const char *pass,
    const char *user)
{
	struct ircc *c = ircc_connect(f->irc_port, what, 0);
	struct ircc_lines got = {NULL, 0};
	ssize_t i464, ierr;

	if (!ok(c != NULL, "%s: connect", what))
		return;
	ircc_send(c, "PASS %s", pass);
	ircc_send(c, "NICK alice");
	ircc_send(c, "USER %s 0 * :x", user);
	ok(ircc_wait_closed(c, IRCC_WAIT_MS, &got), "%s: the server closes",
	    what);
	i464 = ircc_lines_find(&got, 0, "464", NULL);
	ierr = ircc_lines_find(&got, 0, "ERROR", NULL);
	ok(i464 >= 0, "%s: 464", what);
	ok(ierr > i464, "%s: then ERROR", what);
	is_int(ircc_lines_count(&got, "001", NULL), ==, 0);
	/* 464 and ERROR, and at most notices before them. */
	ok(got.n ==
	        ircc_lines_count(&got, "464", NULL) +
	            ircc_lines_count(&got, "ERROR", NULL) +
	            ircc_lines_count(&got, "NOTICE", NULL),
	    "%s: nothing but 464 and ERROR", what);
	if (got.n != ircc_lines_count(&got, "464", NULL) + 1)
		ircc_lines_diag(&got, what);
	ircc_lines_free(&got);
	ircc_free(c);
}

/* A client that asked for another nick is renamed to the account's. */
static void
forced_nick(struct dfix *f)
{
	struct ircc_reg r = {IRCC_AUTH_SASL, NULL, "nick", NULL, "Zorro", NULL};
	struct ircc_lines got = {NULL, 0};
	struct ircc *c = ircc_connect(f->irc_port, "nick", 0);
	char *p0 = NULL, *p1 = NULL, *src = NULL;
	ssize_t i;

	if (!ok(c != NULL, "forced nick: connect"))
		return;
	if (!ok(ircc_register(c, &r, &got), "forced nick: registered"))
		goto out;
	i = ircc_lines_find(&got, 0, "001", NULL);
	p0 = i >= 0 ? ircc_param(got.v[i], 0) : NULL;
	ok(p0 != NULL && strcmp(p0, "alice") == 0,
	    "001 uses the account's nick, not Zorro (got %s)",
	    p0 ? p0 : "none");
	if (!ok(ircc_collect(c, "PING", NULL, &got), "the burst ends"))
		goto out;
	i = ircc_lines_find(&got, 0, "NICK", NULL);
	if (ok(i >= 0, "a NICK line renames the client")) {
		p1 = ircc_param(got.v[i], 0);
		src = ircc_source(got.v[i]);
		is_str(p1, "alice");
		ok(src != NULL && strncmp(src, "Zorro", 5) == 0 &&
		        (src[5] == '\0' || src[5] == '!'),
		    "from its old nick (source %s)", src ? src : "none");
	} else
		ircc_lines_diag(&got, "burst");
	/* The server now knows it as alice: a PING round-trip still works
	 * and WHOIS alice answers. */
	ircc_send(c, "WHOIS alice");
	ok(ircc_expect(c, "318", NULL), "WHOIS alice ends with 318");
	ircc_send(c, "PASS secret");
	ok(ircc_expect(c, "462", NULL), "PASS after registration: 462");
out:
	free(p0);
	free(p1);
	free(src);
	ircc_lines_free(&got);
	ircc_free(c);
}

/*
 * A reload with a new password: the old one stops working at once even
 * though it verified before (the daemon remembers the last good password
 * to skip PBKDF2 on reconnects), and the new one works.
 */
static void
password_reload(struct dfix *f)
{
	struct ircc_reg r;
	size_t mark = dfix_log_mark(f);

	if (!ok(dfix_write_conf(f, REG_IRC_OTHER), "write a new password"))
		return;
	kill(f->d, SIGHUP);
	if (!ok(dfix_log_wait(f, &mark, "configuration reloaded"),
	        "the daemon reloads"))
		return;
	pass_refused(f, "the old password after the reload", "alice@x:secret",
	    "alice");
	memset(&r, 0, sizeof r);
	r.auth = IRCC_AUTH_PASS;
	r.client = "laptop";
	r.password = "other";
	good_login(f, "the new password after the reload", &r);
	good_login(f, "the new password again (remembered)", &r);
}

/* No credentials at all: no 001 (464 and a close are fine). */
static void
no_credentials(struct dfix *f)
{
	struct ircc *c = ircc_connect(f->irc_port, "anon", 0);
	struct ircc_lines got = {NULL, 0};
	bool synced;

	if (!ok(c != NULL, "anonymous: connect"))
		return;
	ircc_send(c, "NICK alice");
	ircc_send(c, "USER alice 0 * :x");
	synced = ircc_sync(c, &got);
	ok((synced || ircc_is_closed(c)) &&
	        ircc_lines_count(&got, "001", NULL) == 0,
	    "NICK and USER without a password do not register");
	ircc_lines_free(&got);
	ircc_free(c);
}

int
main(void)
{
	static struct dfix f; /* read by the fixture's atexit handler */
	/* base64 of "\0alice@sasl\0secret", "\0alice@sasl\0wrong" and
	 * "\0bob@sasl\0secret". */
	const char *good = "AGFsaWNlQHNhc2wAc2VjcmV0";
	const char *wrong = "AGFsaWNlQHNhc2wAd3Jvbmc=";
	const char *bob = "AGJvYkBzYXNsAHNlY3JldA==";
	struct ircc_reg r;

	tap_init(120);
	dfix_init(&f);
	ircc_set_pump(dfix_pump_now, &f);
	if (!dfix_irc_boot(&f, REG_IRC))
		goto out;

	memset(&r, 0, sizeof r);
	r.auth = IRCC_AUTH_SASL;
	r.client = "phone";
	good_login(&f, "SASL alice@phone", &r);
	r.client = NULL;
	good_login(&f, "SASL alice", &r);
	r.auth = IRCC_AUTH_PASS;
	r.client = "laptop";
	good_login(&f, "PASS alice@laptop:secret", &r);
	r.auth = IRCC_AUTH_USERPASS;
	r.client = "desk";
	good_login(&f, "USER alice@desk + PASS secret", &r);
	r.caps = "server-time";
	r.auth = IRCC_AUTH_PASS;
	r.client = "capped";
	good_login(&f, "CAP then PASS", &r);

	sasl_refused(&f, "SASL wrong password", wrong, good);
	sasl_refused(&f, "SASL other user", bob, good);
	pass_refused(&f, "PASS wrong password", "alice@x:wrong", "alice");
	pass_refused(&f, "PASS other user", "bob@x:secret", "bob");
	pass_refused(&f, "USER + PASS wrong password", "wrong", "alice@y");
	pass_refused(&f, "USER other + PASS", "secret", "bob@y");
	forced_nick(&f);
	no_credentials(&f);
	password_reload(&f);
out:
	dfix_irc_end(&f);
	free(f.log);
	return done_testing();
}
