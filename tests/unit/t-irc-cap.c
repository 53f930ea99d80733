/* locoirc: see LICENSE.
 *
 * Tests of IRCv3 capability negotiation: exact CAP LS lines with and
 * without 302 (hand-split continuation lines), REQ atomicity, removal,
 * LIST, END, 410 and 461, NEW/DEL only to cap-notify clients, case-sensitive
 * names and garbage parameters.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "irc-cap.h"
#include "irc-msg.h"
#include "tap.h"

#define SERVER "irc.test"
#define ALL_302                                                                \
	"sasl=PLAIN server-time message-tags echo-message batch "              \
	"labeled-response multi-prefix userhost-in-names extended-join "       \
	"away-notify account-notify account-tag chghost invite-notify "        \
	"cap-notify setname standard-replies znc.in/self-message "             \
	"draft/chathistory draft/read-marker draft/message-redaction"
#define ALL_OLD                                                                \
	"sasl server-time message-tags echo-message batch "                    \
	"labeled-response multi-prefix userhost-in-names extended-join "       \
	"away-notify account-notify account-tag chghost invite-notify "        \
	"cap-notify setname standard-replies znc.in/self-message "             \
	"draft/chathistory draft/read-marker draft/message-redaction"

static char outbuf[65536];

static const char *run(struct irc_cap_client *c, const char *line, int *rc);
static const char *drain(struct evbuffer *b);
static void test_ls(void);
static void test_split(void);
static void test_req(void);
static void test_end(void);
static void test_errors(void);
static void test_new_del(void);
static void test_garbage(void);

/* Copy out and empty b into outbuf. */
static const char *
drain(struct evbuffer *b)
{
	size_t n = evbuffer_get_length(b);

	if (n >= sizeof outbuf)
		n = sizeof outbuf - 1;
	evbuffer_remove(b, outbuf, n);
	outbuf[n] = '\0';
	evbuffer_drain(b, evbuffer_get_length(b));
	return outbuf;
}

/* Parse line as a client's, hand it to c with nick "*"; the reply text. */
static const char *
run(struct irc_cap_client *c, const char *line, int *rc)
{
	struct evbuffer *b = evbuffer_new();
	struct irc_msg m;
	const char *s;
	int r = -2;

	irc_msg_init(&m);
	if (irc_msg_parse(&m, line, strlen(line), IRC_MSG_FROM_CLIENT, NULL) ==
	    0)
		r = irc_cap_handle(c, &m, "*", SERVER, b);
	irc_msg_release(&m);
	s = drain(b);
	evbuffer_free(b);
	if (rc != NULL)
		*rc = r;
	return s;
}

/* LS with and without 302: values only for 302, cap-notify implied. */
static void
test_ls(void)
{
	struct irc_cap_client c;
	int rc;

	irc_cap_client_init(&c);
	is_str(run(&c, "CAP LS", &rc), ":" SERVER " CAP * LS :" ALL_OLD "\r\n");
	is_int(rc, ==, 0);
	is_uint(c.version, ==, 0);
	ok(!irc_cap_has(&c, IRC_CAP_CAP_NOTIFY), "no cap-notify without 302");
	ok(irc_cap_is_negotiating(&c), "LS suspends registration");

	irc_cap_client_init(&c);
	is_str(run(&c, "CAP LS 302", &rc),
	    ":" SERVER " CAP * LS :" ALL_302 "\r\n");
	is_uint(c.version, ==, 302);
	ok(irc_cap_has(&c, IRC_CAP_CAP_NOTIFY), "302 implies cap-notify");

	irc_cap_client_init(&c);
	is_str(run(&c, "cap ls 303", NULL),
	    ":" SERVER " CAP * LS :" ALL_302 "\r\n");
	is_uint(c.version, ==, 302);
	/* A later plain LS does not lower the version. */
	is_str(run(&c, "CAP LS", NULL),
	    ":" SERVER " CAP * LS :" ALL_302 "\r\n");

	irc_cap_client_init(&c);
	run(&c, "CAP LS 301", NULL);
	is_uint(c.version, ==, 0);
}

/* Continuation lines, split by hand at a 100-byte budget. */
static void
test_split(void)
{
	struct irc_cap_client c;
	struct evbuffer *b;
	struct irc_msg m;
	char server[401], *line, *joined;
	size_t len, n = 0, jl = 0;
	bool fits = true, stars = true;

	irc_cap_client_init(&c);
	c.line_max = 100;
	is_str(run(&c, "CAP LS 302", NULL),
	    ":" SERVER " CAP * LS * :sasl=PLAIN server-time message-tags "
	    "echo-message batch labeled-response\r\n"
	    ":" SERVER " CAP * LS * :multi-prefix userhost-in-names "
	    "extended-join away-notify account-notify\r\n"
	    ":" SERVER " CAP * LS * :account-tag chghost invite-notify "
	    "cap-notify setname standard-replies\r\n"
	    ":" SERVER " CAP * LS * :znc.in/self-message draft/chathistory "
	    "draft/read-marker\r\n"
	    ":" SERVER " CAP * LS :draft/message-redaction\r\n");
	/* Without 302 the list is never split. */
	irc_cap_client_init(&c);
	c.line_max = 100;
	is_str(run(&c, "CAP LS", NULL),
	    ":" SERVER " CAP * LS :" ALL_OLD "\r\n");

	/* A 400-byte server name at the default 512: every line fits. */
	memset(server, 'a', 400);
	server[400] = '\0';
	irc_cap_client_init(&c);
	b = evbuffer_new();
	irc_msg_init(&m);
	irc_msg_parse(&m, "CAP LS 302", 10, IRC_MSG_FROM_CLIENT, NULL);
	is_int(irc_cap_handle(&c, &m, "somenick", server, b), ==, 0);
	irc_msg_release(&m);
	joined = calloc(1, 4096);
	while (irc_msg_read(b, 4096, &line, &len, NULL) == 1) {
		n++;
		if (len + 2 > IRC_MSG_LINE_MAX)
			fits = false;
		irc_msg_init(&m);
		if (irc_msg_parse(&m, line, len, IRC_MSG_FROM_SERVER, NULL) ==
		        0 &&
		    m.nparams >= 3) {
			if (evbuffer_get_length(b) > 0 &&
			    (m.nparams != 4 || strcmp(m.params[2], "*") != 0))
				stars = false;
			if (evbuffer_get_length(b) == 0 && m.nparams != 3)
				stars = false;
			if (jl > 0)
				joined[jl++] = ' ';
			strcpy(joined + jl, m.params[m.nparams - 1]);
			jl += strlen(m.params[m.nparams - 1]);
		}
		irc_msg_release(&m);
		free(line);
	}
	ok(n > 1, "long server name splits LS (%zu lines)", n);
	ok(fits, "every line fits 512 bytes");
	ok(stars, "'*' on all lines but the last");
	is_str(joined, ALL_302);
	free(joined);
	evbuffer_free(b);
}

/* REQ: all or nothing, removal, case-sensitivity, LIST. */
static void
test_req(void)
{
	struct irc_cap_client c;

	irc_cap_client_init(&c);
	run(&c, "CAP LS 302", NULL);
	is_str(run(&c, "CAP REQ :multi-prefix server-time", NULL),
	    ":" SERVER " CAP * ACK :multi-prefix server-time\r\n");
	ok(irc_cap_has(&c, IRC_CAP_MULTI_PREFIX), "multi-prefix on");
	ok(irc_cap_has(&c, IRC_CAP_SERVER_TIME), "server-time on");
	is_str(run(&c, "CAP LIST", NULL),
	    ":" SERVER " CAP * LIST :server-time multi-prefix cap-notify\r\n");

	is_str(run(&c, "CAP REQ :batch bogus-cap", NULL),
	    ":" SERVER " CAP * NAK :batch bogus-cap\r\n");
	ok(!irc_cap_has(&c, IRC_CAP_BATCH), "NAK leaves batch off");
	is_str(run(&c, "CAP REQ :batch -server-time Echo-Message", NULL),
	    ":" SERVER " CAP * NAK :batch -server-time Echo-Message\r\n");
	ok(irc_cap_has(&c, IRC_CAP_SERVER_TIME), "NAK keeps server-time");
	ok(!irc_cap_has(&c, IRC_CAP_BATCH), "NAK: batch still off");
	is_str(run(&c, "CAP REQ :SASL", NULL),
	    ":" SERVER " CAP * NAK :SASL\r\n");
	is_str(run(&c, "CAP REQ :sasl=PLAIN", NULL),
	    ":" SERVER " CAP * NAK :sasl=PLAIN\r\n");
	ok(!irc_cap_has(&c, IRC_CAP_SASL), "sasl off after NAKs");

	is_str(run(&c, "CAP REQ :-multi-prefix znc.in/self-message", NULL),
	    ":" SERVER " CAP * ACK :-multi-prefix znc.in/self-message\r\n");
	ok(!irc_cap_has(&c, IRC_CAP_MULTI_PREFIX), "multi-prefix removed");
	ok(irc_cap_has(&c, IRC_CAP_SELF_MESSAGE), "self-message on");
	is_str(run(&c, "CAP REQ :-cap-notify", NULL),
	    ":" SERVER " CAP * NAK :-cap-notify\r\n");
	ok(irc_cap_has(&c, IRC_CAP_CAP_NOTIFY), "cap-notify stays after 302");
	is_str(run(&c, "CAP LIST", NULL),
	    ":" SERVER " CAP * LIST :server-time cap-notify "
	    "znc.in/self-message\r\n");

	/* Before 302 cap-notify is an ordinary, removable cap. */
	irc_cap_client_init(&c);
	is_str(run(&c, "CAP REQ cap-notify", NULL),
	    ":" SERVER " CAP * ACK :cap-notify\r\n");
	ok(irc_cap_has(&c, IRC_CAP_CAP_NOTIFY), "cap-notify requested");
	is_str(run(&c, "CAP REQ :-cap-notify", NULL),
	    ":" SERVER " CAP * ACK :-cap-notify\r\n");
	ok(!irc_cap_has(&c, IRC_CAP_CAP_NOTIFY), "cap-notify removed pre-302");
	ok(irc_cap_is_negotiating(&c), "REQ suspends registration");
	is_str(run(&c, "CAP LIST", NULL), ":" SERVER " CAP * LIST :\r\n");
}

/* END ends negotiation; after registration nothing suspends it. */
static void
test_end(void)
{
	struct irc_cap_client c;

	irc_cap_client_init(&c);
	ok(!irc_cap_is_negotiating(&c), "not negotiating at start");
	run(&c, "CAP LS 302", NULL);
	ok(irc_cap_is_negotiating(&c), "negotiating after LS");
	is_str(run(&c, "CAP END", NULL), "");
	ok(!irc_cap_is_negotiating(&c), "END ends negotiation");
	irc_cap_set_registered(&c);
	run(&c, "CAP LS", NULL);
	run(&c, "CAP REQ :batch", NULL);
	ok(!irc_cap_is_negotiating(&c), "LS/REQ after registration");
	ok(irc_cap_has(&c, IRC_CAP_BATCH), "REQ works after registration");
}

/* Unknown and missing subcommands. */
static void
test_errors(void)
{
	struct irc_cap_client c;

	irc_cap_client_init(&c);
	is_str(run(&c, "CAP FOO", NULL),
	    ":" SERVER " 410 * FOO :Invalid CAP command\r\n");
	is_str(run(&c, "CAP :foo bar", NULL),
	    ":" SERVER " 410 * * :Invalid CAP command\r\n");
	is_str(run(&c, "CAP", NULL),
	    ":" SERVER " 461 * CAP :Not enough parameters\r\n");
	is_str(run(&c, "CAP REQ", NULL),
	    ":" SERVER " 461 * CAP :Not enough parameters\r\n");
	is_str(run(&c, "CAP REQ :", NULL), ":" SERVER " CAP * NAK :\r\n");
	is_str(run(&c, "CAP REQ :-", NULL), ":" SERVER " CAP * NAK :-\r\n");
	is_uint(c.enabled, ==, 0);
}

/* NEW/DEL only reach clients with cap-notify, with 302 values. */
static void
test_new_del(void)
{
	struct irc_cap_client a, o, n;
	struct evbuffer *b = evbuffer_new();

	irc_cap_client_init(&a); /* 302: cap-notify implied */
	run(&a, "CAP LS 302", NULL);
	run(&a, "CAP REQ :sasl batch", NULL);
	irc_cap_client_init(&o); /* old client with cap-notify */
	run(&o, "CAP REQ :cap-notify sasl", NULL);
	irc_cap_client_init(&n); /* no cap-notify */
	run(&n, "CAP REQ :sasl", NULL);

	is_int(irc_cap_new_del(&a, IRC_CAP_BIT(IRC_CAP_SASL), false, "me",
	           SERVER, b),
	    ==, 1);
	is_str(drain(b), ":" SERVER " CAP me DEL :sasl\r\n");
	ok(!irc_cap_has(&a, IRC_CAP_SASL), "DEL disables sasl");
	ok(irc_cap_has(&a, IRC_CAP_BATCH), "DEL leaves batch");
	is_str(run(&a, "CAP REQ :sasl", NULL),
	    ":" SERVER " CAP * NAK :sasl\r\n");
	is_int(irc_cap_new_del(&a, IRC_CAP_BIT(IRC_CAP_SASL), false, "me",
	           SERVER, b),
	    ==, 0);
	is_str(drain(b), "");
	is_int(irc_cap_new_del(&a, IRC_CAP_BIT(IRC_CAP_SASL), true, "me",
	           SERVER, b),
	    ==, 1);
	is_str(drain(b), ":" SERVER " CAP me NEW :sasl=PLAIN\r\n");
	is_int(irc_cap_new_del(&a, IRC_CAP_BIT(IRC_CAP_SASL), true, "me",
	           SERVER, b),
	    ==, 0);
	is_str(run(&a, "CAP REQ :sasl", NULL),
	    ":" SERVER " CAP * ACK :sasl\r\n");

	is_int(irc_cap_new_del(&o,
	           IRC_CAP_BIT(IRC_CAP_SASL) | IRC_CAP_BIT(IRC_CAP_BATCH),
	           false, "old", SERVER, b),
	    ==, 1);
	is_str(drain(b), ":" SERVER " CAP old DEL :sasl batch\r\n");
	is_int(irc_cap_new_del(&o, IRC_CAP_BIT(IRC_CAP_SASL), true, "old",
	           SERVER, b),
	    ==, 1);
	is_str(drain(b), ":" SERVER " CAP old NEW :sasl\r\n");

	is_int(irc_cap_new_del(&n, IRC_CAP_BIT(IRC_CAP_SASL), false, "nn",
	           SERVER, b),
	    ==, 0);
	is_str(drain(b), "");
	ok(!irc_cap_has(&n, IRC_CAP_SASL), "silent DEL still disables");
	is_int(irc_cap_new_del(&n, 0xffffffffu, true, "nn", SERVER, b), ==, 0);
	is_str(drain(b), "");
	evbuffer_free(b);
}

/* Garbage never crashes and always gets a well-formed answer or none. */
static void
test_garbage(void)
{
	static const char *const lines[] = {
	    "CAP LS 99999999999999999999999",
	    "CAP LS -1",
	    "CAP LS abc",
	    "CAP LS :",
	    "CAP ls 302 extra params here",
	    "CAP REQ :   ",
	    "CAP REQ :- - --batch",
	    "CAP REQ :\x01\xff\xfe",
	    "CAP REQ a b c d e f g h i j k l m n",
	    "CAP LIST extra",
	    "CAP END now",
	    "CAP \xff\xfe",
	    "CAP NEW sasl",
	    "CAP DEL sasl",
	    "CAP ACK :sasl",
	    "CAP :",
	};
	struct irc_cap_client c;
	const char *s;
	size_t i;
	int rc;
	bool good = true;

	irc_cap_client_init(&c);
	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		s = run(&c, lines[i], &rc);
		if (rc != 0 ||
		    (*s != '\0' && strcmp(s + strlen(s) - 2, "\r\n") != 0)) {
			diag("line %zu: rc %d, reply '%s'", i, rc, s);
			good = false;
		}
	}
	ok(good, "garbage lines all answered");
	is_uint(c.version, ==, 302);
	ok((c.enabled & ~IRC_CAP_BIT(IRC_CAP_CAP_NOTIFY)) == 0,
	    "garbage enabled nothing but cap-notify");
	is_str(irc_cap_name(IRC_CAP_SELF_MESSAGE), "znc.in/self-message");
	ok(irc_cap_name(IRC_CAP_COUNT) == NULL, "name out of range");
	is_int(irc_cap_lookup("batch", 5), ==, IRC_CAP_BATCH);
	is_int(irc_cap_lookup("batc", 4), ==, -1);
	is_int(irc_cap_lookup("", 0), ==, -1);
}

int
main(void)
{
	tap_init(0);
	test_ls();
	test_split();
	test_req();
	test_end();
	test_errors();
	test_new_del();
	test_garbage();
	return done_testing();
}
