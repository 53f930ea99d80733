/* locoirc: see LICENSE.
 *
 * IRC over TLS against the real locoircd: with [irc] tls_listen, READY
 * names an ircs port whose certificate (made here by the openssl program)
 * verifies against itself as the CA, for 127.0.0.1 and for localhost with
 * SNI; a TLS client registers (SASL and PASS), gets its burst, and its
 * PRIVMSG reaches locosim; the plain port still works next to it and
 * traffic crosses between the two; a plain-text client or a silent one on
 * the TLS port gets nowhere and the daemon carries on; a client trusting
 * another CA, or expecting another name or address, refuses the server;
 * and a tls_key that does not match tls_cert stops locoircd at start.
 */
#include "config.h"

#include <sys/wait.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509_vfy.h>

#include "daemon-fixture.h"
#include "ircc.h"
#include "tap.h"

/* The files the test makes in its temp dir. */
static char cert_path[600], key_path[600];   /* the server's */
static char other_cert[600], other_key[600]; /* an unrelated CA */

/* Make a self-signed P-256 certificate for 127.0.0.1 and localhost with
 * the openssl program; false after a diagnostic. */
static bool
make_cert(const char *cert, const char *key, const char *cn)
{
	const char *bin = getenv("LOCOIRC_OPENSSL");
	char subj[128];
	const char *args[] = {bin != NULL && *bin != '\0' ? bin : "openssl",
	    "req", "-x509", "-newkey", "ec", "-pkeyopt",
	    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out",
	    cert, "-subj", subj, "-days", "2", "-addext",
	    "subjectAltName=IP:127.0.0.1,DNS:localhost", NULL};
	char *argv[sizeof args / sizeof args[0]];
	size_t i;

	snprintf(subj, sizeof subj, "/CN=%s", cn);
	for (i = 0; i < sizeof args / sizeof args[0]; i++)
		argv[i] = (char *)(uintptr_t)args[i];
	if (tap_run(argv, NULL, 0) != 0) {
		diag("'%s req -x509' failed", argv[0]);
		return false;
	}
	return true;
}

/* The [irc] section: a plain and a TLS listener, with cert and key. */
static void
irc_section(char *buf, size_t len, const char *cert, const char *key)
{
	snprintf(buf, len,
	    "[irc]\n"
	    "listen = 127.0.0.1:0\n"
	    "tls_listen = 127.0.0.1:0\n"
	    "tls_cert = %s\n"
	    "tls_key = %s\n"
	    "password = " DFIX_IRC_HASH "\n"
	    "nick = alice\n",
	    cert, key);
}

/* Whether locosim's log of chat holds a message with exactly text. */
static bool
sim_has(struct dfix *f, int64_t chat, const char *text)
{
	struct dfix_msg *m = NULL;
	ssize_t n = dfix_sim_log(f, chat, &m), i;
	bool found = false;

	for (i = 0; i < n; i++)
		if (strcmp(m[i].text, text) == 0)
			found = true;
	if (!found)
		diag("chat %lld has no message '%s' (%zd messages)",
		    (long long)chat, text, n);
	dfix_msgs_free(m, n);
	return found;
}

/* A TLS client verifying 127.0.0.1 registers with SASL and gets its
 * burst; its PRIVMSG reaches locosim. The client is returned. */
static struct ircc *
tls_sasl(struct dfix *f)
{
	struct ircc_tls tls = {cert_path, "127.0.0.1"};
	struct ircc_lines burst = {NULL, 0};
	struct ircc *c;

	c = ircc_connect_tls(f->ircs_port, "tls", &tls);
	if (!ok(c != NULL, "TLS handshake verifying 127.0.0.1"))
		return NULL;
	ok(ircc_is_tls(c) && ircc_tls_verify_result(c) == X509_V_OK,
	    "the server's certificate verified");
	if (!ok(ircc_attach_on(c, "secure", "echo-message", true, &burst),
	        "SASL registration and burst over TLS")) {
		ircc_lines_free(&burst);
		return c;
	}
	ok(ircc_lines_find(&burst, 0, "001", NULL) >= 0, "001 over TLS");
	ok(ircc_lines_find(&burst, 0, "JOIN", "#Group") >= 0 &&
	        ircc_lines_find(&burst, 0, "JOIN", "#Second_Room") >= 0,
	    "the burst joins both groups");
	ok(ircc_lines_find(&burst, 0, "PRIVMSG", "hello") >= 0,
	    "and replays their history");
	ircc_lines_free(&burst);

	ircc_send(c, "PRIVMSG #Group :sent over TLS");
	ok(ircc_expect(c, "PRIVMSG", " PRIVMSG #Group :sent over TLS"),
	    "the TLS client's PRIVMSG is echoed");
	ok(sim_has(f, DFIX_GROUP, "sent over TLS"),
	    "locosim's group chat holds it");
	return c;
}

/* A second TLS client, verifying the name localhost (sent as SNI),
 * registers with PASS. */
static void
tls_pass_localhost(struct dfix *f)
{
	struct ircc_tls tls = {cert_path, "localhost"};
	struct ircc_reg r = {IRCC_AUTH_PASS, NULL, "sni", NULL, NULL, NULL};
	struct ircc *c = ircc_connect_tls(f->ircs_port, "sni", &tls);

	if (!ok(c != NULL, "TLS handshake verifying localhost"))
		return;
	ok(ircc_register(c, &r, NULL), "PASS registration over TLS");
	ircc_free(c);
}

/* The plain port next to TLS: a client attaches, and what it sends
 * reaches the TLS client and what locosim pushes reaches both. */
static void
plain_too(struct dfix *f, struct ircc *tc)
{
	struct ircc *pc =
	    ircc_attach(f->irc_port, "plain", "desk", NULL, true, NULL);

	if (!ok(pc != NULL, "plain IRC still registers on the plain port"))
		return;
	ircc_send(pc, "PRIVMSG #Group :sent in plain text");
	ok(ircc_expect(tc, "PRIVMSG", "#Group :sent in plain text"),
	    "the TLS client sees the plain client's line");
	ok(sim_has(f, DFIX_GROUP, "sent in plain text"),
	    "locosim holds the plain client's line");
	dfix_ctl_num(f, "send %lld %lld %s", (long long)DFIX_GROUP,
	    (long long)DFIX_BOB, "from-bob-to-both");
	ok(ircc_expect(tc, "PRIVMSG", ":from-bob-to-both"),
	    "Bob's message reaches the TLS client");
	ok(ircc_expect(pc, "PRIVMSG", ":from-bob-to-both"),
	    "and the plain client");
	ircc_free(pc);
}

/* Plain text on the TLS port: the server closes without a word of IRC. */
static void
plain_on_tls(struct dfix *f, struct ircc *tc)
{
	struct ircc_lines got = {NULL, 0};
	size_t mark = dfix_log_mark(f), i, irc = 0;
	struct ircc *c = ircc_connect(f->ircs_port, "cleartext", 0);

	if (!ok(c != NULL, "a plain-text client connects to the TLS port"))
		return;
	ircc_send(c, "CAP LS 302");
	ircc_send(c, "NICK alice");
	ircc_send(c, "USER alice 0 * :x");
	ircc_send(c, "PASS alice:" DFIX_IRC_PASSWORD);
	ok(ircc_wait_closed(c, IRCC_WAIT_MS, &got),
	    "the TLS port closes a plain-text client");
	/* At most a TLS alert comes back; nothing parses as IRC. */
	for (i = 0; i < got.n; i++) {
		char *cmd = ircc_command(got.v[i]);

		if (cmd != NULL && strlen(cmd) >= 3 &&
		    strspn(cmd, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") ==
		        strlen(cmd))
			irc++;
		free(cmd);
	}
	ok(irc == 0, "it gets no IRC line");
	ok(dfix_log_wait(f, &mark, "TLS error: "),
	    "locoircd logs the failed handshake");
	if (irc != 0)
		ircc_lines_diag(&got, "cleartext");
	ircc_lines_free(&got);
	ircc_free(c);

	/* One that connects and leaves at once. */
	c = ircc_connect(f->ircs_port, "hangup", 0);
	ok(c != NULL, "a client connects to the TLS port and hangs up");
	ircc_free(c);

	ok(ircc_sync(tc, NULL), "the TLS client is still served");
}

/* A client that distrusts the server: the handshake fails on the
 * certificate check, with the reason expected. */
static void
refused(struct dfix *f, const char *what, const char *ca, const char *host,
    long want)
{
	struct ircc_tls tls = {ca, host};
	struct ircc *c = ircc_connect(f->ircs_port, what, 0);
	bool up;

	if (!ok(c != NULL, "%s: connect", what))
		return;
	diag("%s: a handshake failure is expected next", what);
	up = ircc_start_tls(c, &tls);
	ok(!up, "%s: the handshake fails", what);
	ok(ircc_tls_verify_result(c) == want,
	    "%s: verify result %ld (%ld expected)", what,
	    ircc_tls_verify_result(c), want);
	ircc_free(c);
}

/* A tls_key that is not tls_cert's: locoircd exits non-zero at start,
 * saying so on stderr. */
static void
key_mismatch(struct dfix *f)
{
	char extra[2048], *out = NULL, *err = NULL;
	const char *args[] = {"-f", "-c", f->conf, NULL};
	int status;

	irc_section(extra, sizeof extra, cert_path, other_key);
	if (!ok(dfix_write_conf(f, extra), "configuration with the wrong key"))
		return;
	status = dfix_run(args, &out, &err);
	ok(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) != 0,
	    "locoircd exits non-zero with a mismatched tls_key (status "
	    "0x%x)",
	    status);
	ok(err != NULL && strstr(err, "tls_key") != NULL &&
	        strstr(err, other_key) != NULL &&
	        strstr(err, "does not match tls_cert") != NULL,
	    "stderr names the key and the mismatch");
	ok(err == NULL || strstr(err, "READY") == NULL,
	    "and it never got ready");
	if (err != NULL && strstr(err, "does not match tls_cert") == NULL)
		diag("stderr: %s", err);
	free(out);
	free(err);
}

int
main(void)
{
	static struct dfix f; /* read by the fixture's atexit handler */
	char extra[2048];
	struct ircc *tc = NULL;

	tap_init(120);
	dfix_init(&f);
	ircc_set_pump(dfix_pump_now, &f);
	snprintf(cert_path, sizeof cert_path, "%s/server.crt", tap_tmpdir());
	snprintf(key_path, sizeof key_path, "%s/server.key", tap_tmpdir());
	snprintf(other_cert, sizeof other_cert, "%s/other.crt", tap_tmpdir());
	snprintf(other_key, sizeof other_key, "%s/other.key", tap_tmpdir());
	if (!ok(make_cert(cert_path, key_path, "localhost") &&
	            make_cert(other_cert, other_key, "other CA"),
	        "certificates made with the openssl program"))
		goto out;

	irc_section(extra, sizeof extra, cert_path, key_path);
	if (!dfix_irc_boot(&f, extra))
		goto out;
	if (!ok(f.ircs_port != 0 && f.ircs_port != f.irc_port,
	        "READY names an ircs port (%u) beside irc (%u)", f.ircs_port,
	        f.irc_port))
		goto out;

	tc = tls_sasl(&f);
	tls_pass_localhost(&f);
	if (tc != NULL) {
		plain_too(&f, tc);
		plain_on_tls(&f, tc);
	}
	refused(&f, "another CA", other_cert, "127.0.0.1",
	    X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
	refused(&f, "another name", cert_path, "irc.example.org",
	    X509_V_ERR_HOSTNAME_MISMATCH);
	refused(&f, "another address", cert_path, "127.0.0.2",
	    X509_V_ERR_IP_ADDRESS_MISMATCH);
	if (tc != NULL)
		ok(ircc_sync(tc, NULL), "the daemon still serves TLS");
	ircc_free(tc);
	tc = NULL;
	dfix_irc_end(&f);

	key_mismatch(&f);
out:
	ircc_free(tc);
	dfix_irc_end(&f);
	free(f.log);
	return done_testing();
}
