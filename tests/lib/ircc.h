/* locoirc: see LICENSE.
 *
 * A raw IRC client for the integration tests: a blocking connect to
 * 127.0.0.1, then reads in poll() with a deadline, one line at a time,
 * parsed with gateway/irc-msg. Tests wait for the line they expect, collect
 * a run of lines, register in any of the ways locoircd accepts, and prove
 * that something did NOT arrive by a PING/PONG round-trip instead of a
 * sleep. Failures are reported as TAP diagnostics; the checks are the
 * test's.
 */
#ifndef LOCOIRC_TESTS_IRCC_H
#define LOCOIRC_TESTS_IRCC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "irc-msg.h"

/* How long any single wait may take (the daemon fixture's DFIX_WAIT_MS). */
#define IRCC_WAIT_MS 20000

/* A run of received lines (without CRLF); owned by the struct. */
struct ircc_lines {
	char **v;
	size_t n;
};

/* How ircc_register proves who it is. */
enum ircc_auth {
	IRCC_AUTH_SASL,     /* CAP REQ sasl, AUTHENTICATE PLAIN */
	IRCC_AUTH_PASS,     /* PASS user[@client]:password */
	IRCC_AUTH_USERPASS, /* USER user[@client] 0 * :x, PASS password */
	IRCC_AUTH_NONE,     /* neither: only NICK and USER */
};

/* What ircc_register sends; strings borrowed. */
struct ircc_reg {
	enum ircc_auth auth;
	const char *user;     /* login name; NULL: "alice" */
	const char *client;   /* the @client part, or NULL for none */
	const char *password; /* NULL: "secret" */
	const char *nick;     /* NULL: "alice" */
	const char *caps;     /* space-separated caps to REQ (sasl added for
	                         SASL), or NULL: no CAP negotiation at all
	                         unless SASL needs it */
};

struct ircc;

/*
 * Connect to 127.0.0.1:port; name tags diagnostics ("c1"). rcvbuf > 0
 * shrinks the socket's receive buffer first (a slow reader). NULL after a
 * diagnostic.
 */
struct ircc *ircc_connect(unsigned port, const char *name, int rcvbuf);
/* Close and free; NULL is a no-op. */
void ircc_free(struct ircc *c);

/* How a TLS client checks the server; strings borrowed. */
struct ircc_tls {
	const char *ca_file; /* PEM file of the certificates to trust */
	const char *host;    /* the name ("localhost": also sent as SNI) or
	                        address ("127.0.0.1") the server's
	                        certificate must carry */
};

/*
 * Wrap c's fresh connection in TLS: a blocking handshake (at most
 * IRCC_WAIT_MS) that verifies the server's certificate chain against
 * tls->ca_file and its name against tls->host; afterwards every read and
 * write goes through TLS and still waits only in poll(). False after a
 * diagnostic; c is then closed (free it), and ircc_tls_verify_result says
 * whether the certificate was the reason.
 */
bool ircc_start_tls(struct ircc *c, const struct ircc_tls *tls);
/* ircc_connect, then ircc_start_tls; NULL after a diagnostic. */
struct ircc *ircc_connect_tls(unsigned port, const char *name,
    const struct ircc_tls *tls);
/* The X509_V_* result of c's certificate check (X509_V_OK (0) when it
 * passed or there was none). */
long ircc_tls_verify_result(const struct ircc *c);
/* Whether c speaks TLS. */
bool ircc_is_tls(const struct ircc *c);

/* The client's name for diagnostics (borrowed). */
const char *ircc_name(const struct ircc *c);

/* Answer every PING from the server with a PONG while reading. */
void ircc_set_auto_pong(struct ircc *c, bool on);
/* Copy every line read into the TAP output as a diagnostic. */
void ircc_set_trace(struct ircc *c, bool on);

/*
 * While any client waits, also drain another descriptor (a daemon's log
 * pipe, so the daemon never blocks on it): pump(arg) reads what is there
 * without blocking and returns the descriptor to watch, or -1. For every
 * client of the process; NULL turns it off.
 */
void ircc_set_pump(int (*pump)(void *arg), void *arg);

/* Send one line (CRLF added); false when the write failed. */
bool ircc_send(struct ircc *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Send bytes as they are. */
bool ircc_send_raw(struct ircc *c, const void *buf, size_t len);

/*
 * The next line (malloc'd, no CR/LF), or NULL at EOF or after ms. A PING
 * is answered first when auto-pong is on (and still returned).
 */
char *ircc_read(struct ircc *c, unsigned ms);
/* Whether the server closed the connection (EOF seen). */
bool ircc_is_closed(const struct ircc *c);

/*
 * Whether raw matches: command (NULL: any; case-insensitive, numerics as
 * "001") and substr (NULL: any) somewhere in the line.
 */
bool ircc_match(const char *raw, const char *command, const char *substr);

/*
 * Read until a line matches command and substr; it is returned (malloc'd)
 * and the lines before it are dropped (kept in *skipped when not NULL).
 * NULL after IRCC_WAIT_MS or at EOF, with a diagnostic.
 */
char *ircc_wait(struct ircc *c, const char *command, const char *substr);
char *ircc_wait_skipped(struct ircc *c, const char *command, const char *substr,
    struct ircc_lines *skipped);
/* ircc_wait, then free the line: whether it came. */
bool ircc_expect(struct ircc *c, const char *command, const char *substr);

/*
 * Collect every line up to and including the first that matches command
 * and substr into out (appended). False at the deadline or EOF (what came
 * is still in out).
 */
bool ircc_collect(struct ircc *c, const char *command, const char *substr,
    struct ircc_lines *out);

/*
 * Send PING with a fresh token and collect every line up to the PONG
 * carrying it into out (when not NULL; the PONG is not kept). False when
 * the PONG does not come.
 */
bool ircc_sync(struct ircc *c, struct ircc_lines *out);
/*
 * Whether no line matching command and substr arrives before a PING/PONG
 * round-trip; a line that does is diagnosed.
 */
bool ircc_none(struct ircc *c, const char *command, const char *substr);

/*
 * Read until EOF (everything read is appended to out when not NULL); false
 * when the connection stays open past ms.
 */
bool ircc_wait_closed(struct ircc *c, unsigned ms, struct ircc_lines *out);

/*
 * Register as r says and read up to 001 (kept in out when not NULL). True
 * when 001 came; on failure the reason is diagnosed.
 */
bool ircc_register(struct ircc *c, const struct ircc_reg *r,
    struct ircc_lines *out);
/*
 * Connect, register with SASL PLAIN as alice@client_name (NULL: no
 * @client) with caps, and collect the burst up to and including its
 * closing PING, which is answered when pong is true. NULL after a
 * diagnostic.
 */
struct ircc *ircc_attach(unsigned port, const char *name, const char *client,
    const char *caps, bool pong, struct ircc_lines *burst);
/* The same on a connection already made (a TLS one, say); false after a
 * diagnostic (c stays the caller's). */
bool ircc_attach_on(struct ircc *c, const char *client, const char *caps,
    bool pong, struct ircc_lines *burst);

/* The PING token of a PING line (malloc'd) or NULL. */
char *ircc_ping_token(const char *raw);

/* Parse raw into m (initialised by the caller); false on a bad line. */
bool ircc_parse(const char *raw, struct irc_msg *m);
/* A tag's value (malloc'd) or NULL when raw has no such tag. */
char *ircc_tag(const char *raw, const char *key);
/* Parameter i (malloc'd; the trailing one too) or NULL. */
char *ircc_param(const char *raw, size_t i);
/* The source's nick!user@host (malloc'd) or NULL. */
char *ircc_source(const char *raw);
/* Bytes of raw after its tags, with the CRLF it had on the wire. */
size_t ircc_body_len(const char *raw);
/* The command of raw (malloc'd, upper case) or NULL. */
char *ircc_command(const char *raw);

/* Append a copy of raw. */
void ircc_lines_add(struct ircc_lines *l, const char *raw);
/* Free every line and zero l. */
void ircc_lines_free(struct ircc_lines *l);
/* Index of the first line at or after from matching, or -1. */
ssize_t ircc_lines_find(const struct ircc_lines *l, size_t from,
    const char *command, const char *substr);
/* How many lines match. */
size_t ircc_lines_count(const struct ircc_lines *l, const char *command,
    const char *substr);
/* Diagnose every line (on a failure). */
void ircc_lines_diag(const struct ircc_lines *l, const char *title);

#endif
