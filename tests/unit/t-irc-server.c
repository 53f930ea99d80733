/* locoirc: see LICENSE.
 *
 * Tests of the IRC server, in process on 127.0.0.1:0 with a fake owner,
 * driven by real TCP (and TLS) connections on the same event loop:
 * SASL PLAIN (chunked payloads, failure, abort, bad mechanism, too long),
 * PASS forms (a bare password holding ':' too), registration errors and timeout, line limits, CAP delaying
 * registration, tag and command filtering per capability, batches,
 * labeled responses, SendQ drops, TLS, the welcome burst and closes from
 * inside callbacks.
 */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/util.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "irc-msg.h"
#include "irc-numeric.h"
#include "irc-server.h"
#include "log.h"
#include "tap.h"
#include "xmalloc.h"

#define SERVER "irc.test"
#define WAIT_MS 5000
#define MOTD "first line\nsecond\r\n\nlast\n"

/* What the fake owner saw. */
struct fake {
	struct irc_server *s;
	int attached;
	int detached;
	int commands;
	int drained;
	uint64_t last_id;
	char user[80];
	char client_name[80];
	char nick[80];
	bool tls;
	char detach_reason[160];
	size_t detach_queued;
	char pong_token[80];
	char *deferred; /* label from irc_client_defer_label */
	uint64_t deferred_id;
	int after_close; /* what a send returned after BYE's close */
	int long_rc;     /* what a send of an over-long line returned */
	const char *alt_password;
	const char *const *isupport;
	size_t nisupport;
	const char *motd;
};

/* One test connection. */
struct tc {
	struct bufferevent *bev;
	bool connected;
	bool closed;
	char line[IRC_MSG_READ_MAX + 1];
};

static struct event_base *base;
static SSL_CTX *server_tls;
static SSL_CTX *client_tls;
static struct fake fake;

/* ---- event-loop helpers ---- */

/* The deadline of loop_until passed. */
static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(bool *)arg = true;
}

/* Turn the loop until cond(arg) holds or ms pass; whether it held. */
static bool
loop_until(bool (*cond)(void *), void *arg, unsigned ms)
{
	bool expired = false, held;
	struct event *ev = evtimer_new(base, deadline_cb, &expired);
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	evtimer_add(ev, &tv);
	while (!(held = cond(arg)) && !expired)
		if (event_base_loop(base, EVLOOP_ONCE) < 0)
			break;
	event_free(ev);
	return held;
}

/* An int reached a value. */
struct int_wait {
	const int *p;
	int want;
};

static bool
int_reached(void *arg)
{
	struct int_wait *w = arg;

	return *w->p >= w->want;
}

/* Wait until *p >= want. */
static bool
wait_int(const int *p, int want)
{
	struct int_wait w = {p, want};

	return loop_until(int_reached, &w, WAIT_MS);
}

/* ---- the fake owner ---- */

static bool
fake_auth(struct irc_server *s, const char *user, const char *password,
    void *arg)
{
	(void)s;
	(void)arg;
	return strcmp(user, "alice") == 0 &&
	    (strcmp(password, "secret") == 0 ||
	        (fake.alt_password != NULL &&
	            strcmp(password, fake.alt_password) == 0));
}

static void
fake_attach(struct irc_server *s, struct irc_client *c, void *arg)
{
	(void)s;
	(void)arg;
	fake.attached++;
	fake.last_id = irc_client_get_id(c);
	snprintf(fake.user, sizeof fake.user, "%s", irc_client_get_user(c));
	snprintf(fake.client_name, sizeof fake.client_name, "%s",
	    irc_client_get_client_name(c));
	snprintf(fake.nick, sizeof fake.nick, "%s", irc_client_get_nick(c));
	fake.tls = irc_client_is_tls(c);
	irc_client_welcome(c, fake.isupport, fake.nisupport, fake.motd);
}

/* A PRIVMSG with every kind of tag, a TAGMSG, an AWAY and an end mark. */
static void
fake_send_tags(struct irc_client *c)
{
	struct irc_msg m;

	irc_msg_init(&m);
	irc_msg_add_tag(&m, "draft/react", "x", true);
	irc_msg_add_tag(&m, "time", "2024-01-02T03:04:05.000Z", false);
	irc_msg_add_tag(&m, "msgid", "42", false);
	irc_msg_add_tag(&m, "account", "bob", false);
	irc_msg_set_source(&m, "bob", "b", "h");
	irc_msg_set_command(&m, "PRIVMSG");
	irc_msg_add_param(&m, irc_client_get_nick(c));
	irc_msg_add_param(&m, "hello there");
	irc_client_send(c, &m);
	irc_msg_release(&m);

	irc_msg_init(&m);
	irc_msg_add_tag(&m, "typing", "active", true);
	irc_msg_set_source(&m, "bob", "b", "h");
	irc_msg_set_command(&m, "TAGMSG");
	irc_msg_add_param(&m, irc_client_get_nick(c));
	irc_client_send(c, &m);
	irc_msg_release(&m);

	irc_msg_init(&m);
	irc_msg_set_source(&m, "bob", "b", "h");
	irc_msg_set_command(&m, "AWAY");
	irc_msg_add_param(&m, "gone");
	irc_client_send(c, &m);
	irc_msg_release(&m);

	irc_client_notice(c, "end");
}

static void
fake_command(struct irc_server *s, struct irc_client *c,
    const struct irc_msg *m, void *arg)
{
	const char *p0 = m->nparams > 0 ? m->params[0] : "";
	static const char *const outer[] = {"#a", NULL};
	static const char *const ctx[] = {"foo", NULL};
	char text[401];
	int i, n;

	(void)s;
	(void)arg;
	fake.commands++;
	if (strcmp(m->command, "ECHO") == 0)
		irc_client_notice(c, "echo %s", p0);
	else if (strcmp(m->command, "SILENT") == 0)
		return;
	else if (strcmp(m->command, "MULTI") == 0) {
		n = atoi(p0);
		for (i = 0; i < n; i++)
			irc_client_notice(c, "line %d", i);
	} else if (strcmp(m->command, "DEFER") == 0) {
		free(fake.deferred);
		fake.deferred = irc_client_defer_label(c);
		fake.deferred_id = irc_client_get_id(c);
		irc_client_notice(c, "working");
	} else if (strcmp(m->command, "FLOOD") == 0) {
		memset(text, 'x', sizeof text - 1);
		text[sizeof text - 1] = '\0';
		n = atoi(p0);
		for (i = 0; i < n; i++)
			if (irc_client_notice(c, "%s", text) == -1)
				break;
	} else if (strcmp(m->command, "TAGS") == 0)
		fake_send_tags(c);
	else if (strcmp(m->command, "NEST") == 0) {
		irc_client_batch_begin(c, "chathistory", outer);
		irc_client_notice(c, "outer");
		irc_client_batch_begin(c, "inner", NULL);
		irc_client_notice(c, "inner");
		irc_client_batch_end(c);
		irc_client_batch_end(c);
		irc_client_notice(c, "after");
	} else if (strcmp(m->command, "STD") == 0)
		irc_client_stdreply(c, "FAIL", "CHATHISTORY", "INVALID_PARAMS",
		    ctx, "bad params");
	else if (strcmp(m->command, "BYE") == 0) {
		irc_client_close(c, "bye now");
		fake.after_close = irc_client_notice(c, "too late");
	} else if (strcmp(m->command, "LONG") == 0) {
		char long_text[601];

		memset(long_text, 'y', sizeof long_text - 1);
		long_text[sizeof long_text - 1] = '\0';
		fake.long_rc = irc_client_notice(c, "%s", long_text);
		irc_client_notice(c, "short");
	} else if (strcmp(m->command, "RENAME") == 0)
		irc_client_set_nick(c, p0, "u", "h");
	else
		irc_client_numeric(c, IRC_ERR_UNKNOWNCOMMAND,
		    IRC_ERR_UNKNOWNCOMMAND_FMT, irc_client_get_nick(c),
		    m->command);
}

static void
fake_pong(struct irc_server *s, struct irc_client *c, const char *token,
    void *arg)
{
	(void)s;
	(void)c;
	(void)arg;
	snprintf(fake.pong_token, sizeof fake.pong_token, "%s", token);
}

static void
fake_drained(struct irc_server *s, struct irc_client *c, void *arg)
{
	(void)s;
	(void)c;
	(void)arg;
	fake.drained++;
}

static void
fake_detach(struct irc_server *s, struct irc_client *c, const char *reason,
    void *arg)
{
	(void)s;
	(void)arg;
	fake.detached++;
	fake.detach_queued = irc_client_get_queued(c);
	snprintf(fake.detach_reason, sizeof fake.detach_reason, "%s", reason);
}

/* A server listening on 127.0.0.1:0 (and a TLS listener as #1). */
static struct irc_server *
server_new(unsigned reg_timeout, size_t sendq, bool tls)
{
	struct irc_server_config cfg = {SERVER, "TestNet", "locoircd-test",
	    sendq, reg_timeout, tls ? server_tls : NULL};
	struct irc_server_cbs cbs = {fake_auth, fake_attach, fake_command,
	    fake_pong, fake_drained, fake_detach};
	struct irc_server *s;

	free(fake.deferred);
	memset(&fake, 0, sizeof fake);
	fake.motd = MOTD;
	s = irc_server_new(base, &cfg, &cbs, NULL);
	if (irc_server_listen(s, "127.0.0.1", 0, false) != 0 ||
	    (tls && irc_server_listen(s, "127.0.0.1", 0, true) != 0))
		diag("cannot listen");
	fake.s = s;
	return s;
}

/* ---- the test client ---- */

static void
tc_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct tc *t = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		t->connected = true;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		t->closed = true;
}

static bool
tc_ready(void *arg)
{
	struct tc *t = arg;

	return t->connected || t->closed;
}

static bool
tc_has_line(void *arg)
{
	struct tc *t = arg;
	struct evbuffer *in = bufferevent_get_input(t->bev);

	return t->closed ||
	    evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_CRLF).pos >= 0;
}

static bool
tc_is_closed(void *arg)
{
	return ((struct tc *)arg)->closed;
}

static void
tc_free(struct tc *t)
{
	if (t == NULL)
		return;
	bufferevent_free(t->bev);
	free(t);
}

/* Connect to listener i of s (TLS or plain) and wait until it is up. */
static struct tc *
tc_connect_to(struct irc_server *s, size_t i, bool tls)
{
	struct sockaddr_storage ss;
	int sslen = sizeof ss;
	char addr[80];
	struct tc *t = xcalloc(1, sizeof *t);

	if (!irc_server_get_address(s, i, addr, sizeof addr) ||
	    evutil_parse_sockaddr_port(addr, (struct sockaddr *)&ss, &sslen) !=
	        0) {
		diag("no address for listener %zu", i);
		free(t);
		return NULL;
	}
	if (tls) {
		t->bev = bufferevent_openssl_socket_new(base, -1,
		    SSL_new(client_tls), BUFFEREVENT_SSL_CONNECTING,
		    BEV_OPT_CLOSE_ON_FREE);
		bufferevent_openssl_set_allow_dirty_shutdown(t->bev, 1);
	} else
		t->bev =
		    bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(t->bev, NULL, NULL, tc_event_cb, t);
	bufferevent_enable(t->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(t->bev, (struct sockaddr *)&ss, sslen) !=
	        0 ||
	    !loop_until(tc_ready, t, WAIT_MS) || !t->connected) {
		diag("cannot connect to %s", addr);
		tc_free(t);
		return NULL;
	}
	return t;
}

static struct tc *
tc_connect(struct irc_server *s)
{
	return tc_connect_to(s, 0, false);
}

/* Send one line (CRLF added). */
static void __attribute__((format(printf, 2, 3)))
tc_send(struct tc *t, const char *fmt, ...)
{
	struct evbuffer *out = bufferevent_get_output(t->bev);
	va_list ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(out, fmt, ap);
	va_end(ap);
	evbuffer_add(out, "\r\n", 2);
}

/* The next line (without CRLF), or NULL on timeout or close. */
static const char *
tc_next(struct tc *t)
{
	struct evbuffer *in;
	size_t n;
	char *s;

	if (t == NULL || !loop_until(tc_has_line, t, WAIT_MS))
		return NULL;
	in = bufferevent_get_input(t->bev);
	if ((s = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF)) == NULL)
		return NULL;
	snprintf(t->line, sizeof t->line, "%s", s);
	free(s);
	return t->line;
}

/* Read lines until one contains needle; that line, or NULL. */
static const char *
tc_until(struct tc *t, const char *needle)
{
	const char *l;

	while ((l = tc_next(t)) != NULL)
		if (strstr(l, needle) != NULL)
			return l;
	return NULL;
}

/* Wait until the server closed t. */
static bool
tc_wait_closed(struct tc *t)
{
	return t != NULL && loop_until(tc_is_closed, t, WAIT_MS);
}

/* Whether line l starts with prefix (NULL-safe, for ok()). */
static bool
starts(const char *l, const char *prefix)
{
	return l != NULL && strncmp(l, prefix, strlen(prefix)) == 0;
}

/* Connect, optionally negotiate caps, register as alice with nick; the
 * welcome burst is consumed. */
static struct tc *
tc_login(struct irc_server *s, const char *nick, const char *caps)
{
	struct tc *t = tc_connect(s);

	if (t == NULL)
		return NULL;
	if (caps != NULL) {
		tc_send(t, "CAP LS 302");
		tc_send(t, "CAP REQ :%s", caps);
	}
	tc_send(t, "PASS alice@dev:secret");
	tc_send(t, "NICK %s", nick);
	tc_send(t, "USER alice 0 * :Alice");
	if (caps != NULL)
		tc_send(t, "CAP END");
	if (tc_until(t, fake.motd != NULL ? " 376 " : " 422 ") == NULL) {
		diag("%s did not register", nick);
		tc_free(t);
		return NULL;
	}
	return t;
}

/* Base64 of len bytes at p (malloc'd). */
static char *
b64(const void *p, size_t len)
{
	char *out = xmalloc(len / 3 * 4 + 8);

	EVP_EncodeBlock((unsigned char *)out, p, (int)len);
	return out;
}

/* The SASL PLAIN payload for authcid/password, base64'd. */
static char *
sasl_payload(const char *authcid, const char *password)
{
	char raw[1024];
	size_t a = strlen(authcid), p = strlen(password);

	raw[0] = '\0';
	memcpy(raw + 1, authcid, a);
	raw[1 + a] = '\0';
	memcpy(raw + 2 + a, password, p);
	return b64(raw, 2 + a + p);
}

/* CAP LS, NICK, USER, REQ sasl, AUTHENTICATE PLAIN up to the "+". */
static struct tc *
sasl_start(struct irc_server *s, const char *nick)
{
	struct tc *t = tc_connect(s);

	if (t == NULL)
		return NULL;
	tc_send(t, "CAP LS 302");
	tc_send(t, "NICK %s", nick);
	tc_send(t, "USER x 0 * :x");
	tc_send(t, "CAP REQ :sasl");
	if (tc_until(t, "ACK :sasl") == NULL) {
		tc_free(t);
		return NULL;
	}
	tc_send(t, "AUTHENTICATE PLAIN");
	if (!is_str(tc_next(t), "AUTHENTICATE +")) {
		tc_free(t);
		return NULL;
	}
	return t;
}

/* ---- tests ---- */

static void
test_sasl(void)
{
	struct irc_server *s = server_new(30, 1 << 20, false);
	char *pl = NULL, pw[400], chunk[401];
	struct tc *t = NULL;
	int i;

	/* The usual path: LS, REQ, PLAIN, payload, END. */
	t = tc_connect(s);
	if (t == NULL)
		goto end;
	tc_send(t, "CAP LS 302");
	ok(strstr(tc_until(t, "CAP * LS") ? t->line : "", "sasl=PLAIN") != NULL,
	    "LS 302 offers sasl=PLAIN");
	tc_send(t, "NICK al");
	tc_send(t, "USER x 0 * :x");
	tc_send(t, "CAP REQ :sasl");
	is_str(tc_next(t), ":irc.test CAP al ACK :sasl");
	tc_send(t, "AUTHENTICATE PLAIN");
	is_str(tc_next(t), "AUTHENTICATE +");
	pl = sasl_payload("alice@phone", "secret");
	tc_send(t, "AUTHENTICATE %s", pl);
	is_str(tc_next(t),
	    ":irc.test 900 al al!alice@127.0.0.1 alice "
	    ":You are now logged in as alice");
	is_str(tc_next(t), ":irc.test 903 al :SASL authentication successful");
	tc_send(t, "AUTHENTICATE PLAIN");
	is_str(tc_next(t),
	    ":irc.test 907 al :You have already authenticated using SASL");
	is_int(fake.attached, ==, 0);
	tc_send(t, "CAP END");
	ok(starts(tc_next(t),
	       ":irc.test 001 al :Welcome to the TestNet IRC "
	       "network al!alice@127.0.0.1"),
	    "001 after CAP END");
	is_int(fake.attached, ==, 1);
	is_str(fake.user, "alice");
	is_str(fake.client_name, "phone");
	ok(tc_until(t, " 376 ") != NULL, "burst ends with 376");
	tc_send(t, "AUTHENTICATE PLAIN");
	is_str(tc_next(t),
	    ":irc.test 907 al :You have already authenticated using SASL");
	tc_free(t);
	free(pl);
	pl = NULL;

	/* A payload over 400 bytes: a full chunk, then the rest. */
	memset(pw, 'p', 350);
	pw[350] = '\0';
	fake.alt_password = pw;
	pl = sasl_payload("alice", pw);
	is_uint(strlen(pl), ==, 476);
	if ((t = sasl_start(s, "split")) == NULL)
		goto end;
	tc_send(t, "AUTHENTICATE %.400s", pl);
	tc_send(t, "AUTHENTICATE %s", pl + 400);
	ok(starts(tc_next(t), ":irc.test 900 split "), "split payload: 900");
	ok(starts(tc_next(t), ":irc.test 903 split "), "split payload: 903");
	tc_free(t);
	free(pl);

	/* Exactly 400 bytes of base64, so a lone "+" ends it. */
	pw[293] = '\0';
	pl = sasl_payload("alice", pw);
	is_uint(strlen(pl), ==, 400);
	if ((t = sasl_start(s, "exact")) == NULL)
		goto end;
	tc_send(t, "AUTHENTICATE %s", pl);
	tc_send(t, "PING :waiting");
	is_str(tc_next(t), ":irc.test PONG irc.test :waiting");
	tc_send(t, "AUTHENTICATE +");
	ok(starts(tc_next(t), ":irc.test 900 exact "), "400 + '+': 900");
	ok(starts(tc_next(t), ":irc.test 903 exact "), "400 + '+': 903");
	tc_free(t);
	free(pl);
	pl = NULL;

	/* Wrong password: 904, and registration then fails for lack of
	 * credentials (464, ERROR), never 001. */
	if ((t = sasl_start(s, "bad")) == NULL)
		goto end;
	pl = sasl_payload("alice", "wrong");
	tc_send(t, "AUTHENTICATE %s", pl);
	is_str(tc_next(t), ":irc.test 904 bad :SASL authentication failed");
	tc_send(t, "CAP END");
	is_str(tc_next(t), ":irc.test 464 bad :Password incorrect");
	ok(starts(tc_next(t), "ERROR :Closing link: "), "ERROR after 464");
	ok(tc_next(t) == NULL && t->closed, "closed, nothing else");
	is_int(fake.attached, ==, 1);
	tc_free(t);
	free(pl);
	pl = NULL;

	/* Abort, unknown mechanism, too long, bad base64. */
	if ((t = sasl_start(s, "ab")) == NULL)
		goto end;
	tc_send(t, "AUTHENTICATE *");
	is_str(tc_next(t), ":irc.test 906 ab :SASL authentication aborted");
	tc_send(t, "AUTHENTICATE EXTERNAL");
	is_str(tc_next(t),
	    ":irc.test 908 ab PLAIN :are available SASL mechanisms");
	is_str(tc_next(t), ":irc.test 904 ab :SASL authentication failed");
	tc_send(t, "AUTHENTICATE PLAIN");
	is_str(tc_next(t), "AUTHENTICATE +");
	memset(chunk, 'A', 400);
	chunk[400] = '\0';
	for (i = 0; i < 4; i++)
		tc_send(t, "AUTHENTICATE %s", chunk);
	is_str(tc_next(t), ":irc.test 905 ab :SASL message too long");
	tc_send(t, "AUTHENTICATE PLAIN");
	is_str(tc_next(t), "AUTHENTICATE +");
	tc_send(t, "AUTHENTICATE %s", "!!!!");
	is_str(tc_next(t), ":irc.test 904 ab :SASL authentication failed");
	tc_send(t, "AUTHENTICATE PLAIN");
	is_str(tc_next(t), "AUTHENTICATE +");
	pl = sasl_payload("alice@x", "secret");
	tc_send(t, "AUTHENTICATE %s", pl);
	ok(starts(tc_next(t), ":irc.test 900 ab "), "success after failures");
end:
	free(pl);
	tc_free(t);
	irc_server_free(s, "test over");
}

static void
test_pass(void)
{
	struct irc_server *s = server_new(30, 1 << 20, false);
	struct tc *t = NULL;

	/* ZNC style with a client name. */
	if ((t = tc_connect(s)) == NULL)
		goto end;
	tc_send(t, "PING :early");
	is_str(tc_next(t), ":irc.test PONG irc.test :early");
	tc_send(t, "JOIN #a");
	is_str(tc_next(t), ":irc.test 451 * :You have not registered");
	tc_send(t, "NICK");
	is_str(tc_next(t), ":irc.test 431 * :No nickname given");
	tc_send(t, "NICK 1abc");
	is_str(tc_next(t), ":irc.test 432 * 1abc :Erroneous nickname");
	tc_send(t, "NICK a,b");
	is_str(tc_next(t), ":irc.test 432 * a,b :Erroneous nickname");
	tc_send(t, "NICK :has space");
	is_str(tc_next(t), ":irc.test 432 * * :Erroneous nickname");
	tc_send(t, "NICK #chan");
	is_str(tc_next(t), ":irc.test 432 * #chan :Erroneous nickname");
	tc_send(t, "USER a b c");
	is_str(tc_next(t), ":irc.test 461 * USER :Not enough parameters");
	tc_send(t, "PASS alice@laptop:secret");
	tc_send(t, "NICK \xc3\xa9t\xc3\xa9");
	tc_send(t, "USER whoever 0 * :Real Name");
	ok(starts(tc_next(t), ":irc.test 001 \xc3\xa9t\xc3\xa9 "),
	    "UTF-8 nick registers");
	is_str(fake.user, "alice");
	is_str(fake.client_name, "laptop");
	ok(tc_until(t, " 376 ") != NULL, "welcome done");
	tc_send(t, "PASS x");
	ok(strstr(tc_next(t) ? t->line : "", " 462 ") != NULL,
	    "PASS after registration: 462");
	tc_send(t, "USER a b c d");
	ok(strstr(tc_next(t) ? t->line : "", " 462 ") != NULL,
	    "USER after registration: 462");
	tc_send(t, "AUTHENTICATE PLAIN");
	ok(strstr(tc_next(t) ? t->line : "", " 462 ") != NULL,
	    "AUTHENTICATE after registration without SASL: 462");
	tc_free(t);

	/* USER user@client + bare PASS. */
	if ((t = tc_connect(s)) == NULL)
		goto end;
	tc_send(t, "USER alice@desk 0 * :Alice");
	tc_send(t, "PASS secret");
	tc_send(t, "NICK al2");
	ok(starts(tc_next(t), ":irc.test 001 al2 "), "USER alice@desk + PASS");
	is_str(fake.client_name, "desk");
	tc_free(t);

	/* user:password, no client name. */
	if ((t = tc_connect(s)) == NULL)
		goto end;
	tc_send(t, "PASS alice:secret");
	tc_send(t, "NICK al3");
	tc_send(t, "USER bob 0 * :Bob");
	ok(starts(tc_next(t), ":irc.test 001 al3 "), "PASS alice:secret");
	is_str(fake.user, "alice");
	is_str(fake.client_name, "");
	is_int(fake.attached, ==, 3);
	tc_free(t);

	/* Wrong password: 464, ERROR, close, and nothing else. */
	if ((t = tc_connect(s)) == NULL)
		goto end;
	tc_send(t, "PASS alice:nope");
	tc_send(t, "NICK bad");
	tc_send(t, "USER alice 0 * :x");
	is_str(tc_next(t), ":irc.test 464 bad :Password incorrect");
	ok(starts(tc_next(t), "ERROR :Closing link:"), "ERROR after 464");
	ok(tc_next(t) == NULL && t->closed, "then closed");
	is_int(fake.attached, ==, 3);
	tc_free(t);

	/* No password at all. */
	if ((t = tc_connect(s)) == NULL)
		goto end;
	tc_send(t, "NICK none");
	tc_send(t, "USER alice 0 * :x");
	is_str(tc_next(t), ":irc.test 464 none :Password incorrect");
	ok(starts(tc_next(t), "ERROR :Closing link:"), "no password: ERROR");
	ok(tc_next(t) == NULL && t->closed, "no password: closed");
	is_int(fake.attached, ==, 3);
end:
	tc_free(t);
	irc_server_free(s, "test over");
}

/* PASS with pass and user; 001 (and who registered) or 464 and the close. */
static void
pass_case(struct irc_server *s, const char *what, const char *pass,
    const char *user, const char *want_user, const char *want_client)
{
	struct tc *t = tc_connect(s);
	int attached = fake.attached;

	if (!ok(t != NULL, "%s: connect", what))
		return;
	tc_send(t, "PASS %s", pass);
	tc_send(t, "NICK pc");
	tc_send(t, "USER %s 0 * :x", user);
	if (want_user != NULL) {
		ok(starts(tc_next(t), ":irc.test 001 pc "), "%s: 001", what);
		ok(fake.attached == attached + 1 &&
		        strcmp(fake.user, want_user) == 0 &&
		        strcmp(fake.client_name, want_client) == 0,
		    "%s: registered as '%s@%s' (got '%s@%s')", what, want_user,
		    want_client, fake.user, fake.client_name);
	} else {
		ok(starts(tc_next(t), ":irc.test 464 pc "), "%s: 464", what);
		ok(starts(tc_next(t), "ERROR :Closing link:"), "%s: ERROR",
		    what);
		ok(tc_next(t) == NULL && t->closed, "%s: then closed", what);
		is_int(fake.attached, ==, attached);
	}
	tc_free(t);
}

/* A bare PASS password may contain ':': the ZNC reading comes first, then
 * the whole string for the user from USER, unless the part before ':'
 * names a client. */
static void
test_pass_colon(void)
{
	struct irc_server *s = server_new(30, 1 << 20, false);

	fake.alt_password = "pass:word";
	pass_case(s, "bare pass:word, USER alice", "pass:word", "alice",
	    "alice", "");
	pass_case(s, "bare pass:word, USER alice@desk", "pass:word",
	    "alice@desk", "alice", "desk");
	pass_case(s, "bare ::pass:word:, USER alice@d",
	    "::pass:word:", "alice@d", NULL, NULL);
	pass_case(s, "ZNC alice@phone:pass:word", "alice@phone:pass:word",
	    "whoever@desk", "alice", "phone");
	pass_case(s, "ZNC alice:secret still wins", "alice:secret", "bob@desk",
	    "alice", "");
	pass_case(s, "bare pass:wrong", "pass:wrong", "alice", NULL, NULL);
	pass_case(s, "bare pass:word for USER bob", "pass:word", "bob", NULL,
	    NULL);
	pass_case(s, "ZNC alice@x:wrong", "alice@x:wrong", "alice", NULL, NULL);
	pass_case(s, "plain secret with USER alice", "secret", "alice", "alice",
	    "");

	/* The whole string is the password even when it starts with a
	 * user name: "bob:secret" is alice's password here, not bob's
	 * login (the name before ':' is not the account's). */
	fake.alt_password = "bob:secret";
	pass_case(s, "bare bob:secret, USER alice", "bob:secret", "alice",
	    "alice", "");
	/* But a part before ':' naming a client is a ZNC login for
	 * certain: no second reading. */
	fake.alt_password = "al@ice:secret2";
	pass_case(s, "ZNC-shaped al@ice:secret2 is not retried bare",
	    "al@ice:secret2", "alice", NULL, NULL);
	fake.alt_password = NULL;
	irc_server_free(s, "test over");
}

static void
test_timeout(void)
{
	struct irc_server *s = server_new(1, 1 << 20, false);
	struct tc *t = tc_connect(s);

	if (t != NULL)
		tc_send(t, "NICK slow");
	is_str(tc_next(t), "ERROR :Closing link: registration timed out");
	ok(tc_wait_closed(t), "closed after the registration timeout");
	tc_free(t);
	irc_server_free(s, "test over");
}

static void
test_lines(void)
{
	struct irc_server *s = server_new(30, 1 << 20, false);
	struct evbuffer *out;
	char *big = xmalloc(IRC_MSG_READ_MAX + 100);
	struct tc *t = NULL;
	int i;

	if ((t = tc_login(s, "ln", NULL)) == NULL)
		goto end;
	memset(big, 'a', 600);
	big[600] = '\0';
	tc_send(t, "ECHO :%s", big);
	is_str(tc_next(t), ":irc.test 417 ln :Input line was too long");
	memset(big, 'b', 5000);
	big[5000] = '\0';
	tc_send(t, "@+x=%s ECHO hi", big);
	is_str(tc_next(t), ":irc.test 417 ln :Input line was too long");
	tc_send(t, "ECHO still");
	is_str(tc_next(t), ":irc.test NOTICE ln :echo still");

	/* Empty lines, NUL bytes and junk are dropped without a word. */
	out = bufferevent_get_output(t->bev);
	evbuffer_add(out, "\r\n   \r\nEC\0HO x\r\n", 16);
	tc_send(t, "12 x");
	tc_send(t, "FOO");
	tc_send(t, "ECHO next");
	is_str(tc_next(t), ":irc.test 421 ln 12 :Unknown command");
	is_str(tc_next(t), ":irc.test 421 ln FOO :Unknown command");
	is_str(tc_next(t), ":irc.test NOTICE ln :echo next");

	/* The owner's over-long line is dropped, not cut. */
	tc_send(t, "LONG");
	is_str(tc_next(t), ":irc.test NOTICE ln :short");
	is_int(fake.long_rc, ==, -1);

	/* No end of line within the read limit: ERROR and close. */
	memset(big, 'z', IRC_MSG_READ_MAX + 50);
	evbuffer_add(out, big, IRC_MSG_READ_MAX + 50);
	is_str(tc_next(t), "ERROR :Closing link: Input line too long");
	ok(tc_wait_closed(t), "closed after an endless line");
	ok(wait_int(&fake.detached, 1), "detach called");
	is_str(fake.detach_reason, "Input line too long");
	tc_free(t);

	/* A talker that never registers is cut off. */
	if ((t = tc_connect(s)) == NULL)
		goto end;
	for (i = 0; i <= IRC_SERVER_PREREG_LINES_MAX; i++)
		tc_send(t, "FOO %d", i);
	ok(starts(tc_until(t, "ERROR"),
	       "ERROR :Closing link: Too many lines before registration"),
	    "too many lines before registration");
	ok(tc_wait_closed(t), "talker closed");
end:
	free(big);
	tc_free(t);
	irc_server_free(s, "test over");
}

static void
test_cap_flow(void)
{
	struct irc_server *s = server_new(30, 1 << 20, false);
	struct tc *t = tc_connect(s);

	if (t == NULL)
		goto end;
	tc_send(t, "CAP LS 302");
	tc_send(t, "PASS alice:secret");
	tc_send(t, "NICK capper");
	tc_send(t, "USER alice 0 * :x");
	ok(tc_until(t, "CAP * LS") != NULL, "LS reply");
	tc_send(t, "PING :probe");
	is_str(tc_next(t), ":irc.test PONG irc.test :probe");
	is_int(fake.attached, ==, 0);
	tc_send(t, "CAP REQ :server-time");
	is_str(tc_next(t), ":irc.test CAP capper ACK :server-time");
	tc_send(t, "CAP END");
	ok(starts(tc_next(t), ":irc.test 001 capper "), "001 after CAP END");
	is_int(fake.attached, ==, 1);
	ok(tc_until(t, " 376 ") != NULL, "welcome done");
	tc_send(t, "CAP LIST");
	is_str(tc_next(t), ":irc.test CAP capper LIST :server-time cap-notify");
	tc_send(t, "CAP REQ :batch");
	is_str(tc_next(t), ":irc.test CAP capper ACK :batch");
	ok(irc_client_has_cap(irc_server_find_client(s, fake.last_id),
	       IRC_CAP_BATCH),
	    "REQ after registration takes effect");
end:
	tc_free(t);
	irc_server_free(s, "test over");
}

/* Parse the next line of t into m (FROM_SERVER); false on failure. */
static bool
next_msg(struct tc *t, struct irc_msg *m)
{
	const char *l = tc_next(t);

	if (l == NULL)
		return false;
	if (irc_msg_parse(m, l, strlen(l), IRC_MSG_FROM_SERVER, NULL) != 0) {
		diag("unparsable line: %s", l);
		return false;
	}
	return true;
}

/* The value of tag key (server tag) in m or "". */
static const char *
tagv(const struct irc_msg *m, const char *key)
{
	const char *v = irc_msg_get_tag(m, key, false);

	return v != NULL ? v : "(none)";
}

static void
test_tags(void)
{
	struct irc_server *s = server_new(30, 1 << 20, false);
	struct tc *a = NULL, *b = NULL, *c = NULL;
	struct irc_msg m;
	char r1[32] = "", r2[32] = "";

	irc_msg_init(&m);
	a = tc_login(s, "a", NULL);
	b = tc_login(s, "b", "server-time");
	c = tc_login(s, "c", "message-tags server-time batch account-tag");
	if (a == NULL || b == NULL || c == NULL)
		goto end;
	tc_send(a, "TAGS");
	is_str(tc_next(a), ":bob!b@h PRIVMSG a :hello there");
	is_str(tc_next(a), ":irc.test NOTICE a :end");
	tc_send(b, "TAGS");
	is_str(tc_next(b),
	    "@time=2024-01-02T03:04:05.000Z :bob!b@h PRIVMSG b :hello there");
	is_str(tc_next(b), ":irc.test NOTICE b :end");
	tc_send(c, "TAGS");
	is_str(tc_next(c),
	    "@time=2024-01-02T03:04:05.000Z;msgid=42;account=bob;"
	    "+draft/react=x :bob!b@h PRIVMSG c :hello there");
	is_str(tc_next(c), "@+typing=active :bob!b@h TAGMSG c");
	is_str(tc_next(c), ":irc.test NOTICE c :end");

	/* Batches: invisible without the cap, nested with it. */
	tc_send(a, "NEST");
	is_str(tc_next(a), ":irc.test NOTICE a :outer");
	is_str(tc_next(a), ":irc.test NOTICE a :inner");
	is_str(tc_next(a), ":irc.test NOTICE a :after");
	tc_send(c, "NEST");
	if (!next_msg(c, &m))
		goto end;
	ok(m.ntags == 0 && strcmp(m.command, "BATCH") == 0 && m.nparams == 3 &&
	        m.params[0][0] == '+' &&
	        strcmp(m.params[1], "chathistory") == 0 &&
	        strcmp(m.params[2], "#a") == 0,
	    "outer BATCH +ref chathistory #a");
	snprintf(r1, sizeof r1, "%s", m.nparams > 0 ? m.params[0] + 1 : "");
	if (!next_msg(c, &m))
		goto end;
	is_str(tagv(&m, "batch"), r1);
	is_str(m.params[1], "outer");
	if (!next_msg(c, &m))
		goto end;
	is_str(tagv(&m, "batch"), r1);
	ok(strcmp(m.command, "BATCH") == 0 && m.params[0][0] == '+' &&
	        strcmp(m.params[1], "inner") == 0,
	    "inner BATCH +ref inner, tagged with the outer");
	snprintf(r2, sizeof r2, "%s", m.params[0] + 1);
	ok(strcmp(r1, r2) != 0, "distinct refs");
	if (!next_msg(c, &m))
		goto end;
	is_str(tagv(&m, "batch"), r2);
	is_str(m.params[1], "inner");
	if (!next_msg(c, &m))
		goto end;
	is_str(tagv(&m, "batch"), r1);
	ok(strcmp(m.command, "BATCH") == 0 && m.params[0][0] == '-' &&
	        strcmp(m.params[0] + 1, r2) == 0,
	    "inner BATCH -ref in the outer");
	if (!next_msg(c, &m))
		goto end;
	ok(m.ntags == 0 && strcmp(m.command, "BATCH") == 0 &&
	        m.params[0][0] == '-' && strcmp(m.params[0] + 1, r1) == 0,
	    "outer BATCH -ref untagged");
	is_str(tc_next(c), ":irc.test NOTICE c :after");

	/* Standard replies, or a NOTICE without the cap. */
	tc_send(a, "STD");
	is_str(tc_next(a),
	    ":irc.test NOTICE a :CHATHISTORY INVALID_PARAMS: bad params");
	tc_send(c, "CAP REQ standard-replies");
	ok(tc_until(c, "ACK") != NULL, "standard-replies acked");
	tc_send(c, "STD");
	is_str(tc_next(c),
	    ":irc.test FAIL CHATHISTORY INVALID_PARAMS foo :bad params");
end:
	irc_msg_release(&m);
	tc_free(a);
	tc_free(b);
	tc_free(c);
	irc_server_free(s, "test over");
}

static void
test_labels(void)
{
	struct irc_server *s = server_new(30, 1 << 20, false);
	struct tc *t = NULL, *u = NULL;
	struct irc_client *c;
	struct irc_msg m;
	char ref[32] = "";
	int i;

	irc_msg_init(&m);
	t = tc_login(s, "l", "message-tags batch labeled-response");
	u = tc_login(s, "nb", "labeled-response");
	if (t == NULL || u == NULL)
		goto end;
	tc_send(t, "@label=a SILENT");
	is_str(tc_next(t), "@label=a :irc.test ACK");
	tc_send(t, "@label=b ECHO hi");
	is_str(tc_next(t), "@label=b :irc.test NOTICE l :echo hi");
	tc_send(t, "@label=c MULTI 3");
	if (!next_msg(t, &m))
		goto end;
	ok(strcmp(tagv(&m, "label"), "c") == 0 &&
	        strcmp(m.command, "BATCH") == 0 && m.nparams == 2 &&
	        m.params[0][0] == '+' &&
	        strcmp(m.params[1], "labeled-response") == 0,
	    "labeled-response batch opens with the label");
	snprintf(ref, sizeof ref, "%s", m.nparams > 0 ? m.params[0] + 1 : "");
	for (i = 0; i < 3; i++) {
		char want[32];

		if (!next_msg(t, &m))
			goto end;
		snprintf(want, sizeof want, "line %d", i);
		ok(strcmp(tagv(&m, "batch"), ref) == 0 &&
		        irc_msg_get_tag(&m, "label", false) == NULL &&
		        m.nparams == 2 && strcmp(m.params[1], want) == 0,
		    "batched line %d", i);
	}
	if (!next_msg(t, &m))
		goto end;
	ok(strcmp(m.command, "BATCH") == 0 && m.params[0][0] == '-' &&
	        strcmp(m.params[0] + 1, ref) == 0,
	    "labeled-response batch closes");
	tc_send(t, "@label=d PING tok");
	is_str(tc_next(t), "@label=d :irc.test PONG irc.test :tok");
	tc_send(t, "@label=e PONG tok2");
	is_str(tc_next(t), "@label=e :irc.test ACK");
	is_str(fake.pong_token, "tok2");
	tc_send(t, "@label=i FOO");
	is_str(tc_next(t), "@label=i :irc.test 421 l FOO :Unknown command");
	tc_send(t, "@label=h CAP LIST");
	is_str(tc_next(t),
	    "@label=h :irc.test CAP l LIST :message-tags batch "
	    "labeled-response cap-notify");

	/* Deferred: the callback's own lines go plain, no ACK, and the
	 * answer comes later with the label. */
	tc_send(t, "@label=f DEFER");
	is_str(tc_next(t), ":irc.test NOTICE l :working");
	tc_send(t, "@label=g SILENT");
	is_str(tc_next(t), "@label=g :irc.test ACK");
	is_str(fake.deferred, "f");
	c = irc_server_find_client(s, fake.deferred_id);
	ok(c != NULL, "deferring client found by id");
	if (c == NULL)
		goto end;
	irc_client_begin_labeled(c, fake.deferred);
	irc_client_notice(c, "done");
	irc_client_end_labeled(c);
	is_str(tc_next(t), "@label=f :irc.test NOTICE l :done");
	irc_client_begin_labeled(c, fake.deferred);
	irc_client_end_labeled(c);
	is_str(tc_next(t), "@label=f :irc.test ACK");

	/* A label over 64 bytes is ignored. */
	tc_send(t, "@label=%065d ECHO x", 0);
	is_str(tc_next(t), ":irc.test NOTICE l :echo x");

	/* labeled-response without batch: treated as unlabeled. */
	tc_send(u, "@label=j SILENT");
	tc_send(u, "@label=k ECHO hi");
	is_str(tc_next(u), ":irc.test NOTICE nb :echo hi");
end:
	irc_msg_release(&m);
	tc_free(t);
	tc_free(u);
	irc_server_free(s, "test over");
}

/* Count the NOTICE lines of t until it closes; the last line in last. */
static int
drain_to_close(struct tc *t, char *last, size_t len)
{
	const char *l;
	int n = 0;

	last[0] = '\0';
	while ((l = tc_next(t)) != NULL) {
		if (strstr(l, " NOTICE ") != NULL)
			n++;
		snprintf(last, len, "%s", l);
	}
	return n;
}

static void
test_sendq(void)
{
	const size_t sendq = 64 * 1024;
	struct irc_server *s = server_new(30, sendq, false);
	struct tc *t = NULL;
	char last[600];
	int n, rounds;

	/* A burst far over the limit in one callback. */
	if ((t = tc_login(s, "burst", NULL)) == NULL)
		goto end;
	is_uint(irc_server_count_clients(s), ==, 1);
	bufferevent_disable(t->bev, EV_READ);
	tc_send(t, "FLOOD 1000");
	ok(wait_int(&fake.detached, 1), "flooded client detached");
	is_str(fake.detach_reason, "SendQ exceeded");
	ok(fake.detach_queued > sendq / 2 && fake.detach_queued <= sendq + 1024,
	    "queue bounded at the drop (%zu bytes)", fake.detach_queued);
	is_uint(irc_server_count_clients(s), ==, 0);
	ok(irc_server_find_client(s, fake.last_id) == NULL,
	    "dropped client not found");
	bufferevent_enable(t->bev, EV_READ);
	n = drain_to_close(t, last, sizeof last);
	ok(n > 0 && n < 1000, "only part of the flood arrived (%d lines)", n);
	is_str(last, "ERROR :Closing link: SendQ exceeded");
	ok(t->closed, "connection closed after the flush");
	tc_free(t);

	/* A reader that stops: the kernel's buffers fill first, then ours. */
	if ((t = tc_login(s, "stuck", NULL)) == NULL)
		goto end;
	bufferevent_disable(t->bev, EV_READ);
	for (rounds = 0; rounds < 3000 && fake.detached < 2; rounds++) {
		tc_send(t, "FLOOD 50");
		wait_int(&fake.commands, fake.commands + 1);
	}
	is_int(fake.detached, ==, 2);
	ok(fake.detach_queued <= sendq + 1024, "stuck client's queue bounded");
	bufferevent_enable(t->bev, EV_READ);
	drain_to_close(t, last, sizeof last);
	is_str(last, "ERROR :Closing link: SendQ exceeded");
	tc_free(t);

	/* A reader that keeps up gets drained once it is below half. */
	if ((t = tc_login(s, "reader", NULL)) == NULL)
		goto end;
	tc_send(t, "FLOOD 100");
	for (n = 0; n < 100 && tc_next(t) != NULL; n++)
		continue;
	is_int(n, ==, 100);
	ok(wait_int(&fake.drained, 1), "drained after a congested burst");
	is_int(fake.detached, ==, 2);
end:
	tc_free(t);
	irc_server_free(s, "test over");
}

/* A self-signed certificate and the two contexts. */
static bool
make_tls(void)
{
	EVP_PKEY *pkey = NULL;
	X509 *x = NULL;
	X509_NAME *name;
	bool rc = false;

	if ((pkey = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL)
		goto out;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, pkey);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"irc.test", -1, -1, 0);
	X509_set_issuer_name(x, name);
	if (X509_sign(x, pkey, EVP_sha256()) == 0)
		goto out;
	server_tls = SSL_CTX_new(TLS_server_method());
	client_tls = SSL_CTX_new(TLS_client_method());
	if (server_tls == NULL || client_tls == NULL ||
	    SSL_CTX_use_certificate(server_tls, x) != 1 ||
	    SSL_CTX_use_PrivateKey(server_tls, pkey) != 1 ||
	    X509_STORE_add_cert(SSL_CTX_get_cert_store(client_tls), x) != 1)
		goto out;
	SSL_CTX_set_verify(client_tls, SSL_VERIFY_PEER, NULL);
	rc = true;
out:
	X509_free(x);
	EVP_PKEY_free(pkey);
	return rc;
}

static void
test_tls(void)
{
	struct irc_server *s;
	struct tc *t = NULL;

	if (!ok(make_tls(), "test certificate made"))
		return;
	s = server_new(30, 1 << 20, true);
	ok(irc_server_listen(s, "127.0.0.1", 0, true) == 0,
	    "a second TLS listener");
	t = tc_connect_to(s, 1, true);
	ok(t != NULL, "TLS handshake with the server");
	if (t == NULL)
		goto end;
	tc_send(t, "PASS alice@tls:secret");
	tc_send(t, "NICK sec");
	tc_send(t, "USER x 0 * :x");
	ok(starts(tc_next(t), ":irc.test 001 sec "), "001 over TLS");
	ok(fake.tls, "client marked TLS");
	is_str(fake.client_name, "tls");
	ok(tc_until(t, " 376 ") != NULL, "welcome over TLS");
	tc_send(t, "QUIT :bye");
	is_str(tc_next(t), "ERROR :Closing link: Quit");
	ok(tc_wait_closed(t), "TLS client closed");
	ok(wait_int(&fake.detached, 1), "TLS client detached");
end:
	tc_free(t);
	irc_server_free(s, "test over");
}

static void
test_welcome(void)
{
	struct irc_server *s = server_new(30, 1 << 20, false);
	static char store[40][80];
	const char *toks[42];
	char seen[8192] = "", want[8192] = "";
	struct tc *t = NULL;
	struct irc_msg m;
	size_t i, n = 0, lines005 = 0;
	bool fits = true;

	irc_msg_init(&m);
	for (i = 0; i < 40; i++) {
		snprintf(store[i], sizeof store[i], "TOKEN%02zu=%.*s", i,
		    (int)(i * 7 % 60),
		    "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
		    "vv");
		toks[n++] = store[i];
		if (i == 20)
			toks[n++] = "bad token";
	}
	fake.isupport = toks;
	fake.nisupport = n;
	for (i = 0; i < n; i++) {
		if (strchr(toks[i], ' ') != NULL)
			continue;
		strcat(want, toks[i]);
		strcat(want, " ");
	}
	if ((t = tc_connect(s)) == NULL)
		goto end;
	tc_send(t, "PASS alice:secret");
	tc_send(t, "NICK w");
	tc_send(t, "USER x 0 * :x");
	is_str(tc_next(t),
	    ":irc.test 001 w :Welcome to the TestNet IRC network "
	    "w!alice@127.0.0.1");
	is_str(tc_next(t),
	    ":irc.test 002 w :Your host is irc.test, running "
	    "version locoircd-test");
	ok(starts(tc_next(t), ":irc.test 003 w :This server was created "),
	    "003");
	is_str(tc_next(t), ":irc.test 004 w irc.test locoircd-test iw nt");
	while (next_msg(t, &m) && strcmp(m.command, "005") == 0) {
		lines005++;
		if (strlen(t->line) + 2 > IRC_MSG_LINE_MAX || m.nparams < 3 ||
		    m.nparams - 2 > 13 ||
		    strcmp(m.params[m.nparams - 1],
		        "are supported by this server") != 0)
			fits = false;
		for (i = 1; i + 1 < m.nparams; i++) {
			strcat(seen, m.params[i]);
			strcat(seen, " ");
		}
	}
	ok(fits, "every 005 line within 512 bytes and 13 tokens");
	ok(lines005 >= 4, "tokens packed into %zu 005 lines", lines005);
	is_str(seen, want);
	is_str(m.command, "375");
	is_str(tc_next(t), ":irc.test 372 w :- first line");
	is_str(tc_next(t), ":irc.test 372 w :- second");
	is_str(tc_next(t), ":irc.test 372 w :- ");
	is_str(tc_next(t), ":irc.test 372 w :- last");
	is_str(tc_next(t), ":irc.test 376 w :End of MOTD command");
	tc_free(t);

	fake.motd = NULL;
	fake.isupport = NULL;
	fake.nisupport = 0;
	if ((t = tc_connect(s)) == NULL)
		goto end;
	tc_send(t, "PASS alice:secret");
	tc_send(t, "NICK w2");
	tc_send(t, "USER x 0 * :x");
	ok(tc_until(t, " 004 ") != NULL, "004");
	is_str(tc_next(t), ":irc.test 422 w2 :MOTD File is missing");
end:
	irc_msg_release(&m);
	tc_free(t);
	irc_server_free(s, "test over");
}

/* Count registered clients. */
static void
count_cb(struct irc_client *c, void *arg)
{
	(void)c;
	(*(int *)arg)++;
}

static void
test_misc(void)
{
	struct irc_server *s = server_new(30, 1 << 20, false);
	struct tc *a = NULL, *b = NULL, *d = NULL;
	struct irc_client *c;
	char addr[80];
	uint64_t ida, idb;
	int n = 0;

	ok(irc_server_get_address(s, 0, addr, sizeof addr) &&
	        starts(addr, "127.0.0.1:") && strcmp(addr, "127.0.0.1:0") != 0,
	    "bound address %s", addr);
	ok(!irc_server_get_address(s, 1, addr, sizeof addr), "no listener #1");
	is_str(irc_server_get_name(s), SERVER);
	ok(irc_server_listen(s, "no.such.host.invalid", 0, false) == -1,
	    "unresolvable host refused");
	ok(irc_server_listen(s, "127.0.0.1", 0, true) == -1,
	    "TLS without a certificate refused");

	if ((a = tc_login(s, "one", NULL)) == NULL)
		goto end;
	ida = fake.last_id;
	if ((b = tc_login(s, "two", NULL)) == NULL)
		goto end;
	idb = fake.last_id;
	ok(ida != idb, "distinct ids");
	is_uint(irc_server_count_clients(s), ==, 2);
	irc_server_foreach_client(s, count_cb, &n);
	is_int(n, ==, 2);
	c = irc_server_find_client(s, idb);
	ok(c != NULL && strcmp(irc_client_get_nick(c), "two") == 0,
	    "find by id");
	if (c == NULL)
		goto end;
	is_str(irc_client_get_addr(c), "127.0.0.1");
	ok(!irc_client_is_tls(c), "plain client");
	irc_client_set_data(c, &n);
	ok(irc_client_get_data(c) == &n, "owner data");

	/* The owner renames the client (and cannot break its lines). */
	tc_send(b, "RENAME canon");
	is_str(tc_next(b), ":two!u@h NICK canon");
	is_str(irc_client_get_nick(c), "canon");
	irc_client_set_nick(c, "bad nick", "u", "h");
	is_str(irc_client_get_nick(c), "canon");

	/* Close from inside the command callback. */
	tc_send(b, "BYE");
	is_str(tc_next(b), "ERROR :Closing link: bye now");
	ok(tc_wait_closed(b), "closed from the callback");
	is_int(fake.after_close, ==, -1);
	is_int(fake.detached, ==, 1);
	is_str(fake.detach_reason, "bye now");
	ok(irc_server_find_client(s, idb) == NULL, "closed client gone");
	is_uint(irc_server_count_clients(s), ==, 1);

	/* QUIT. */
	tc_send(a, "QUIT :later");
	is_str(tc_next(a), "ERROR :Closing link: Quit");
	ok(tc_wait_closed(a), "closed after QUIT");
	is_int(fake.detached, ==, 2);
	is_uint(irc_server_count_clients(s), ==, 0);

	/* A client still connected hears why the server goes away. */
	if ((d = tc_login(s, "last", NULL)) == NULL)
		goto end;
	irc_server_free(s, "shutting down");
	s = NULL;
	is_int(fake.detached, ==, 3);
	is_str(tc_next(d), "ERROR :Closing link: shutting down");
	ok(tc_wait_closed(d), "closed by the server's free");
end:
	tc_free(a);
	tc_free(b);
	tc_free(d);
	irc_server_free(s, "test over");
}

int
main(void)
{
	tap_init(120);
	log_open("t-irc-server",
	    getenv("TEST_VERBOSE") != NULL ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN,
	    false);
	base = event_base_new();
	test_sasl();
	test_pass();
	test_pass_colon();
	test_timeout();
	test_lines();
	test_cap_flow();
	test_tags();
	test_labels();
	test_sendq();
	test_tls();
	test_welcome();
	test_misc();
	free(fake.deferred);
	SSL_CTX_free(server_tls);
	SSL_CTX_free(client_tls);
	event_base_free(base);
	return done_testing();
}
