/* locoirc: see LICENSE.
 *
 * The tests' raw IRC client. It blocks only in poll() with a deadline, so
 * a daemon that stays silent fails the test with a diagnostic instead of
 * hanging it; absence is proven by a PING/PONG round-trip, which the
 * server answers in order after everything it had to send before.
 * With TLS the handshake blocks (under a socket timeout), then the socket
 * turns non-blocking so reads and writes still wait only in poll().
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ircc.h"
#include "irc-msg.h"
#include "tap.h"

/* Lines shown from what was skipped when a wait fails. */
#define IRCC_DIAG_TAIL 15

struct ircc {
	int fd;
	char name[32];
	char *buf; /* received bytes not yet returned as lines */
	size_t len, cap;
	bool closed;      /* EOF or a read error */
	bool auto_pong;   /* answer PINGs while reading */
	bool trace;       /* diag every line read */
	unsigned serial;  /* for sync tokens */
	SSL_CTX *tls_ctx; /* owned; NULL for plain text */
	SSL *ssl;         /* owned; NULL for plain text */
	long verify;      /* the last handshake's X509_V_* result */
};

static bool ircc_wait_fd(struct ircc *c, short events, int64_t deadline);
static const char *ircc_ssl_why(void);

/* What to drain while waiting (ircc_set_pump); process-wide. */
static int (*ircc_pump)(void *);
static void *ircc_pump_arg;

/* Milliseconds on a monotonic clock. */
static int64_t
ircc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Connect to 127.0.0.1:port with a blocking socket. */
struct ircc *
ircc_connect(unsigned port, const char *name, int rcvbuf)
{
	struct sockaddr_in sin;
	struct ircc *c;
	int fd;

	if (port == 0 || port > 65535) {
		diag("%s: no IRC port to connect to", name);
		return NULL;
	}
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		diag("%s: socket: %s", name, strerror(errno));
		return NULL;
	}
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
		diag("%s: cannot connect to 127.0.0.1:%u: %s", name, port,
		    strerror(errno));
		close(fd);
		return NULL;
	}
	c = calloc(1, sizeof *c);
	c->fd = fd;
	c->verify = X509_V_OK;
	snprintf(c->name, sizeof c->name, "%s", name);
	return c;
}

/* The oldest queued OpenSSL error as text (the queue is emptied). */
static const char *
ircc_ssl_why(void)
{
	static char why[256];
	unsigned long e = ERR_get_error();

	if (e == 0)
		snprintf(why, sizeof why, "%s",
		    errno != 0 ? strerror(errno) : "no detail");
	else
		ERR_error_string_n(e, why, sizeof why);
	ERR_clear_error();
	return why;
}

/* Wait in poll() until c's socket is ready for events (draining the pump
 * meanwhile); false at the deadline. */
static bool
ircc_wait_fd(struct ircc *c, short events, int64_t deadline)
{
	struct pollfd pfd[2];

	for (;;) {
		int other = ircc_pump != NULL ? ircc_pump(ircc_pump_arg) : -1;
		int64_t left = deadline - ircc_now_ms();

		if (left <= 0)
			return false;
		pfd[0].fd = c->fd;
		pfd[0].events = events;
		pfd[0].revents = 0;
		pfd[1].fd = other;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		if (poll(pfd, other >= 0 ? 2 : 1, (int)left) < 0 &&
		    errno != EINTR)
			return false;
		if (pfd[0].revents != 0)
			return true;
	}
}

/* Set a send and receive timeout on fd (0: none). */
static void
ircc_set_timeouts(int fd, unsigned ms)
{
	struct timeval tv = {(time_t)(ms / 1000),
	    (suseconds_t)(ms % 1000) * 1000};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* Handshake over c's socket and verify the server as tls says. */
bool
ircc_start_tls(struct ircc *c, const struct ircc_tls *tls)
{
	unsigned char ip[16];
	bool is_ip;
	int flags, rc;

	if (c->ssl != NULL || c->len > 0 || c->closed) {
		diag("%s: TLS must start on a fresh connection", c->name);
		return false;
	}
	is_ip = inet_pton(AF_INET, tls->host, ip) == 1 ||
	    inet_pton(AF_INET6, tls->host, ip) == 1;
	ERR_clear_error();
	if ((c->tls_ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(c->tls_ctx, TLS1_2_VERSION) != 1) {
		diag("%s: cannot make a TLS context: %s", c->name,
		    ircc_ssl_why());
		goto fail;
	}
	if (SSL_CTX_load_verify_locations(c->tls_ctx, tls->ca_file, NULL) !=
	    1) {
		diag("%s: cannot load CA file '%s': %s", c->name, tls->ca_file,
		    ircc_ssl_why());
		goto fail;
	}
	SSL_CTX_set_verify(c->tls_ctx, SSL_VERIFY_PEER, NULL);
	if ((c->ssl = SSL_new(c->tls_ctx)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1) {
		diag("%s: cannot make a TLS connection: %s", c->name,
		    ircc_ssl_why());
		goto fail;
	}
	/* An address is checked against the IP SANs and never sent as SNI
	 * (RFC 6066 3); a name is both. */
	if (is_ip)
		rc = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl),
		    tls->host);
	else
		rc = SSL_set1_host(c->ssl, tls->host) == 1 &&
		    SSL_set_tlsext_host_name(c->ssl, tls->host) == 1;
	if (rc != 1) {
		diag("%s: cannot check for host '%s': %s", c->name, tls->host,
		    ircc_ssl_why());
		goto fail;
	}
	/* The handshake blocks, but never past the test's deadline. OpenSSL
	 * writes with write(2), not send(MSG_NOSIGNAL): a server that hung up
	 * raises SIGPIPE, which tap_init ignores. */
	ircc_set_timeouts(c->fd, IRCC_WAIT_MS);
	errno = 0;
	rc = SSL_connect(c->ssl);
	c->verify = SSL_get_verify_result(c->ssl);
	if (rc != 1) {
		if (c->verify != X509_V_OK)
			diag("%s: TLS handshake with '%s' failed: certificate "
			     "verify: %s",
			    c->name, tls->host,
			    X509_verify_cert_error_string(c->verify));
		else
			diag("%s: TLS handshake with '%s' failed: %s", c->name,
			    tls->host, ircc_ssl_why());
		ERR_clear_error();
		goto fail;
	}
	ircc_set_timeouts(c->fd, 0);
	if ((flags = fcntl(c->fd, F_GETFL)) < 0 ||
	    fcntl(c->fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		diag("%s: fcntl: %s", c->name, strerror(errno));
		goto fail;
	}
	if (c->trace)
		diag("%s: %s with %s", c->name, SSL_get_version(c->ssl),
		    SSL_get_cipher_name(c->ssl));
	return true;
fail:
	SSL_free(c->ssl);
	c->ssl = NULL;
	SSL_CTX_free(c->tls_ctx);
	c->tls_ctx = NULL;
	c->closed = true;
	return false;
}

/* Connect and start TLS. */
struct ircc *
ircc_connect_tls(unsigned port, const char *name, const struct ircc_tls *tls)
{
	struct ircc *c = ircc_connect(port, name, 0);

	if (c != NULL && !ircc_start_tls(c, tls)) {
		ircc_free(c);
		return NULL;
	}
	return c;
}

/* The verification result of the last handshake. */
long
ircc_tls_verify_result(const struct ircc *c)
{
	return c->verify;
}

/* Whether the connection is TLS. */
bool
ircc_is_tls(const struct ircc *c)
{
	return c->ssl != NULL;
}

/* Close and free c. */
void
ircc_free(struct ircc *c)
{
	if (c == NULL)
		return;
	if (c->ssl != NULL) {
		/* Best effort close_notify: the socket is non-blocking and
		 * the server may be gone already. */
		if (!c->closed)
			SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		ERR_clear_error();
	}
	SSL_CTX_free(c->tls_ctx);
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	free(c);
}

/* The name given at connect. */
const char *
ircc_name(const struct ircc *c)
{
	return c->name;
}

/* Turn automatic PONGs on or off. */
void
ircc_set_auto_pong(struct ircc *c, bool on)
{
	c->auto_pong = on;
}

/* Set the descriptor drained while waiting. */
void
ircc_set_pump(int (*pump)(void *arg), void *arg)
{
	ircc_pump = pump;
	ircc_pump_arg = arg;
}

/* Turn line tracing on or off. */
void
ircc_set_trace(struct ircc *c, bool on)
{
	c->trace = on;
}

/* Write everything or fail. */
bool
ircc_send_raw(struct ircc *c, const void *buf, size_t len)
{
	int64_t deadline = ircc_now_ms() + IRCC_WAIT_MS;
	const char *p = buf;
	ssize_t n;
	int e;

	while (c->ssl != NULL && len > 0) {
		ERR_clear_error();
		if ((e = SSL_write(c->ssl, p,
		         len > INT_MAX ? INT_MAX : (int)len)) > 0) {
			p += e;
			len -= (size_t)e;
			continue;
		}
		e = SSL_get_error(c->ssl, e);
		if ((e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) &&
		    ircc_wait_fd(c,
		        e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN, deadline))
			continue;
		diag("%s: SSL_write: %s", c->name,
		    e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ
		        ? "timed out"
		        : ircc_ssl_why());
		return false;
	}
	while (len > 0) {
		if ((n = send(c->fd, p, len, MSG_NOSIGNAL)) < 0) {
			if (errno == EINTR)
				continue;
			diag("%s: send: %s", c->name, strerror(errno));
			return false;
		}
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* Format one line and send it with CRLF. */
bool
ircc_send(struct ircc *c, const char *fmt, ...)
{
	char line[16384];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof line - 2) {
		diag("%s: line too long for ircc_send", c->name);
		return false;
	}
	line[n++] = '\r';
	line[n++] = '\n';
	if (c->trace)
		diag("%s <- %.*s", c->name, n - 2, line);
	return ircc_send_raw(c, line, (size_t)n);
}

/* Take one complete line out of the buffer, or NULL. */
static char *
ircc_take_line(struct ircc *c)
{
	char *nl, *line;
	size_t n;

	if (c->len == 0 || (nl = memchr(c->buf, '\n', c->len)) == NULL)
		return NULL;
	n = (size_t)(nl - c->buf);
	line = malloc(n + 1);
	memcpy(line, c->buf, n);
	if (n > 0 && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	memmove(c->buf, nl + 1, c->len - (size_t)(nl - c->buf) - 1);
	c->len -= (size_t)(nl - c->buf) + 1;
	return line;
}

/* The PING token of raw, or NULL. */
char *
ircc_ping_token(const char *raw)
{
	struct irc_msg m;
	char *t = NULL;

	irc_msg_init(&m);
	if (ircc_parse(raw, &m) && strcmp(m.command, "PING") == 0)
		t = strdup(m.nparams > 0 ? m.params[m.nparams - 1] : "");
	irc_msg_release(&m);
	return t;
}

/*
 * Read what the socket (or OpenSSL) has: bytes, or 0 when there is nothing
 * yet; EOF and errors set closed.
 */
static ssize_t
ircc_recv(struct ircc *c, char *buf, size_t len)
{
	ssize_t n;
	int e;

	if (c->ssl == NULL) {
		n = read(c->fd, buf, len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return 0;
		if (n <= 0)
			c->closed = true;
		return n > 0 ? n : 0;
	}
	ERR_clear_error();
	if ((e = SSL_read(c->ssl, buf, len > INT_MAX ? INT_MAX : (int)len)) > 0)
		return e;
	e = SSL_get_error(c->ssl, e);
	/* A record without application data (a session ticket) or half a
	 * record: poll again. */
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return 0;
	if (e != SSL_ERROR_ZERO_RETURN && c->trace)
		diag("%s: TLS read ends: %s", c->name, ircc_ssl_why());
	ERR_clear_error();
	c->closed = true;
	return 0;
}

/* The next line within ms, answering PINGs when asked. */
char *
ircc_read(struct ircc *c, unsigned ms)
{
	int64_t deadline = ircc_now_ms() + ms;
	struct pollfd pfd[2];
	char *line, *tok;
	ssize_t n;

	for (;;) {
		int64_t left;
		int other = ircc_pump != NULL ? ircc_pump(ircc_pump_arg) : -1;

		if ((line = ircc_take_line(c)) != NULL) {
			if (c->trace)
				diag("%s -> %s", c->name, line);
			if (c->auto_pong &&
			    (tok = ircc_ping_token(line)) != NULL) {
				ircc_send(c, "PONG :%s", tok);
				free(tok);
			}
			return line;
		}
		if (c->closed)
			return NULL;
		if (c->cap - c->len < 65536) {
			c->cap = c->cap ? c->cap * 2 : 131072;
			c->buf = realloc(c->buf, c->cap);
		}
		/* Decrypted bytes already inside OpenSSL never wake poll(). */
		if (c->ssl != NULL && SSL_pending(c->ssl) > 0) {
			if ((n = ircc_recv(c, c->buf + c->len,
			         c->cap - c->len)) > 0)
				c->len += (size_t)n;
			continue;
		}
		left = deadline - ircc_now_ms();
		if (left < 0)
			left = 0;
		pfd[0].fd = c->fd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		pfd[1].fd = other;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		if (poll(pfd, other >= 0 ? 2 : 1, (int)left) <= 0)
			return NULL;
		if (pfd[0].revents == 0)
			continue; /* only the other descriptor: drain it */
		if ((n = ircc_recv(c, c->buf + c->len, c->cap - c->len)) > 0)
			c->len += (size_t)n;
	}
}

/* Whether EOF was seen. */
bool
ircc_is_closed(const struct ircc *c)
{
	return c->closed &&
	    (c->len == 0 || memchr(c->buf, '\n', c->len) == NULL);
}

/* Parse a line the server sent. */
bool
ircc_parse(const char *raw, struct irc_msg *m)
{
	return irc_msg_parse(m, raw, strlen(raw), IRC_MSG_FROM_SERVER, NULL) ==
	    0;
}

/* Command and substring match. */
bool
ircc_match(const char *raw, const char *command, const char *substr)
{
	struct irc_msg m;
	bool good = true;

	if (substr != NULL && strstr(raw, substr) == NULL)
		return false;
	if (command == NULL)
		return true;
	irc_msg_init(&m);
	good = ircc_parse(raw, &m) && strcasecmp(m.command, command) == 0;
	irc_msg_release(&m);
	return good;
}

/* Diagnose the last few lines of l. */
static void
ircc_diag_tail(const struct ircc *c, const struct ircc_lines *l)
{
	size_t i = l->n > IRCC_DIAG_TAIL ? l->n - IRCC_DIAG_TAIL : 0;

	if (l->n == 0)
		diag("%s: nothing arrived", c->name);
	for (; i < l->n; i++)
		diag("%s got: %s", c->name, l->v[i]);
}

/* Wait for a matching line, keeping the rest. */
char *
ircc_wait_skipped(struct ircc *c, const char *command, const char *substr,
    struct ircc_lines *skipped)
{
	int64_t deadline = ircc_now_ms() + IRCC_WAIT_MS;
	struct ircc_lines mine = {NULL, 0};
	struct ircc_lines *keep = skipped != NULL ? skipped : &mine;
	size_t from = keep->n;
	char *line;

	for (;;) {
		int64_t left = deadline - ircc_now_ms();

		line = ircc_read(c, left > 0 ? (unsigned)left : 0);
		if (line == NULL)
			break;
		if (ircc_match(line, command, substr)) {
			ircc_lines_free(&mine);
			return line;
		}
		ircc_lines_add(keep, line);
		free(line);
	}
	diag("%s: no %s%s%s%s line %s", c->name, command ? command : "",
	    substr ? " '" : "", substr ? substr : "", substr ? "'" : "",
	    c->closed ? "before EOF" : "in time");
	{
		struct ircc_lines tail = {keep->v + from, keep->n - from};

		ircc_diag_tail(c, &tail);
	}
	ircc_lines_free(&mine);
	return NULL;
}

/* Wait for a matching line, dropping the rest. */
char *
ircc_wait(struct ircc *c, const char *command, const char *substr)
{
	return ircc_wait_skipped(c, command, substr, NULL);
}

/* Wait for a matching line and free it. */
bool
ircc_expect(struct ircc *c, const char *command, const char *substr)
{
	char *line = ircc_wait(c, command, substr);

	free(line);
	return line != NULL;
}

/* Collect up to and including a matching line. */
bool
ircc_collect(struct ircc *c, const char *command, const char *substr,
    struct ircc_lines *out)
{
	char *line = ircc_wait_skipped(c, command, substr, out);

	if (line == NULL)
		return false;
	ircc_lines_add(out, line);
	free(line);
	return true;
}

/* Whether raw is the PONG for token. */
static bool
ircc_is_pong(const char *raw, const char *token)
{
	struct irc_msg m;
	bool good;

	irc_msg_init(&m);
	good = ircc_parse(raw, &m) && strcmp(m.command, "PONG") == 0 &&
	    m.nparams > 0 && strcmp(m.params[m.nparams - 1], token) == 0;
	irc_msg_release(&m);
	return good;
}

/* PING and read up to its PONG. */
bool
ircc_sync(struct ircc *c, struct ircc_lines *out)
{
	int64_t deadline = ircc_now_ms() + IRCC_WAIT_MS;
	struct ircc_lines mine = {NULL, 0};
	char token[64], *line;

	snprintf(token, sizeof token, "ircc-sync-%u", ++c->serial);
	if (!ircc_send(c, "PING %s", token))
		return false;
	for (;;) {
		int64_t left = deadline - ircc_now_ms();

		line = ircc_read(c, left > 0 ? (unsigned)left : 0);
		if (line == NULL)
			break;
		if (ircc_is_pong(line, token)) {
			free(line);
			ircc_lines_free(&mine);
			return true;
		}
		ircc_lines_add(out != NULL ? out : &mine, line);
		free(line);
	}
	diag("%s: no PONG %s %s", c->name, token,
	    c->closed ? "before EOF" : "in time");
	ircc_diag_tail(c, out != NULL ? out : &mine);
	ircc_lines_free(&mine);
	return false;
}

/* Whether nothing matching arrives before a PING/PONG round-trip. */
bool
ircc_none(struct ircc *c, const char *command, const char *substr)
{
	struct ircc_lines got = {NULL, 0};
	bool synced = ircc_sync(c, &got);
	size_t i;
	bool none = synced;

	for (i = 0; i < got.n; i++)
		if (ircc_match(got.v[i], command, substr)) {
			diag("%s: unexpected: %s", c->name, got.v[i]);
			none = false;
		}
	ircc_lines_free(&got);
	return none;
}

/* Read to EOF. */
bool
ircc_wait_closed(struct ircc *c, unsigned ms, struct ircc_lines *out)
{
	int64_t deadline = ircc_now_ms() + ms;
	char *line;

	for (;;) {
		int64_t left = deadline - ircc_now_ms();

		line = ircc_read(c, left > 0 ? (unsigned)left : 0);
		if (line == NULL)
			return c->closed;
		if (out != NULL)
			ircc_lines_add(out, line);
		free(line);
	}
}

/* The SASL PLAIN payload for authcid and password, base64. */
static char *
ircc_sasl_plain(const char *authcid, const char *password)
{
	size_t alen = strlen(authcid), plen = strlen(password);
	size_t raw_len = 1 + alen + 1 + plen;
	unsigned char *raw = malloc(raw_len);
	char *b64 = malloc(4 * ((raw_len + 2) / 3) + 1);

	/* authzid empty: the authcid names the account. */
	raw[0] = '\0';
	memcpy(raw + 1, authcid, alen);
	raw[1 + alen] = '\0';
	memcpy(raw + 2 + alen, password, plen);
	EVP_EncodeBlock((unsigned char *)b64, raw, (int)raw_len);
	free(raw);
	return b64;
}

/* Whether a registration reply says no. */
static bool
ircc_is_refusal(const char *raw)
{
	return ircc_match(raw, "464", NULL) || ircc_match(raw, "904", NULL) ||
	    ircc_match(raw, "ERROR", NULL) || ircc_match(raw, "465", NULL);
}

/* Read up to a line matching command (or a refusal), keeping all. */
static char *
ircc_reg_wait(struct ircc *c, const char *command, const char *substr,
    struct ircc_lines *out)
{
	int64_t deadline = ircc_now_ms() + IRCC_WAIT_MS;
	char *line;

	for (;;) {
		int64_t left = deadline - ircc_now_ms();

		line = ircc_read(c, left > 0 ? (unsigned)left : 0);
		if (line == NULL) {
			diag("%s: registration: no %s %s", c->name, command,
			    c->closed ? "before EOF" : "in time");
			ircc_diag_tail(c, out);
			return NULL;
		}
		ircc_lines_add(out, line);
		if (ircc_match(line, command, substr))
			return line;
		if (ircc_is_refusal(line)) {
			diag("%s: registration refused: %s", c->name, line);
			free(line);
			return NULL;
		}
		free(line);
	}
}

/* Register and read up to 001. */
bool
ircc_register(struct ircc *c, const struct ircc_reg *r, struct ircc_lines *out)
{
	const char *user = r->user ? r->user : "alice";
	const char *pw = r->password ? r->password : "secret";
	const char *nick = r->nick ? r->nick : "alice";
	struct ircc_lines mine = {NULL, 0};
	struct ircc_lines *keep = out != NULL ? out : &mine;
	bool cap = r->caps != NULL || r->auth == IRCC_AUTH_SASL;
	char login[256], req[1024], *line = NULL, *b64;
	bool good = false;

	snprintf(login, sizeof login, "%s%s%s", user, r->client ? "@" : "",
	    r->client ? r->client : "");
	if (cap)
		ircc_send(c, "CAP LS 302");
	if (r->auth == IRCC_AUTH_PASS)
		ircc_send(c, "PASS %s:%s", login, pw);
	else if (r->auth == IRCC_AUTH_USERPASS)
		ircc_send(c, "PASS %s", pw);
	ircc_send(c, "NICK %s", nick);
	ircc_send(c, "USER %s 0 * :ircc %s",
	    r->auth == IRCC_AUTH_USERPASS ? login : user, c->name);
	if (cap) {
		/* The last LS line has no '*' continuation marker. */
		for (;;) {
			free(line);
			if ((line = ircc_reg_wait(c, "CAP", " LS ", keep)) ==
			    NULL)
				goto out;
			if (strstr(line, " LS * ") == NULL)
				break;
		}
		snprintf(req, sizeof req, "%s%s%s",
		    r->auth == IRCC_AUTH_SASL ? "sasl" : "",
		    r->auth == IRCC_AUTH_SASL && r->caps && *r->caps ? " " : "",
		    r->caps ? r->caps : "");
		if (*req != '\0') {
			ircc_send(c, "CAP REQ :%s", req);
			free(line);
			if ((line = ircc_reg_wait(c, "CAP", NULL, keep)) ==
			    NULL)
				goto out;
			if (strstr(line, " ACK ") == NULL) {
				diag("%s: CAP REQ :%s refused: %s", c->name,
				    req, line);
				goto out;
			}
		}
	}
	if (r->auth == IRCC_AUTH_SASL) {
		ircc_send(c, "AUTHENTICATE PLAIN");
		free(line);
		if ((line = ircc_reg_wait(c, "AUTHENTICATE", NULL, keep)) ==
		    NULL)
			goto out;
		b64 = ircc_sasl_plain(login, pw);
		ircc_send(c, "AUTHENTICATE %s", b64);
		free(b64);
		free(line);
		if ((line = ircc_reg_wait(c, "903", NULL, keep)) == NULL)
			goto out;
	}
	if (cap)
		ircc_send(c, "CAP END");
	free(line);
	if ((line = ircc_reg_wait(c, "001", NULL, keep)) == NULL)
		goto out;
	good = true;
out:
	free(line);
	ircc_lines_free(&mine);
	return good;
}

/* Register as alice@client with SASL on c and read the burst. */
bool
ircc_attach_on(struct ircc *c, const char *client, const char *caps, bool pong,
    struct ircc_lines *burst)
{
	struct ircc_reg r = {IRCC_AUTH_SASL, NULL, client, NULL, NULL, caps};
	struct ircc_lines mine = {NULL, 0};
	struct ircc_lines *keep = burst != NULL ? burst : &mine;
	char *line, *tok;

	if (!ircc_register(c, &r, keep)) {
		ircc_lines_free(&mine);
		return false;
	}
	/* The burst ends with the server's PING (the delivery ack). */
	if ((line = ircc_wait_skipped(c, "PING", NULL, keep)) == NULL) {
		ircc_lines_free(&mine);
		return false;
	}
	ircc_lines_add(keep, line);
	if (pong && !c->auto_pong && (tok = ircc_ping_token(line)) != NULL) {
		ircc_send(c, "PONG :%s", tok);
		free(tok);
	}
	free(line);
	ircc_lines_free(&mine);
	return true;
}

/* Connect, register as alice@client with SASL and read the burst. */
struct ircc *
ircc_attach(unsigned port, const char *name, const char *client,
    const char *caps, bool pong, struct ircc_lines *burst)
{
	struct ircc *c;

	if ((c = ircc_connect(port, name, 0)) == NULL)
		return NULL;
	if (!ircc_attach_on(c, client, caps, pong, burst)) {
		ircc_free(c);
		return NULL;
	}
	return c;
}

/* A tag's value, malloc'd. */
char *
ircc_tag(const char *raw, const char *key)
{
	struct irc_msg m;
	const char *v;
	char *out = NULL;
	size_t i;

	irc_msg_init(&m);
	if (ircc_parse(raw, &m))
		for (i = 0; i < m.ntags; i++)
			if (strcmp(m.tags[i].key, key) == 0) {
				v = m.tags[i].value;
				out = strdup(v ? v : "");
			}
	irc_msg_release(&m);
	return out;
}

/* Parameter i, malloc'd. */
char *
ircc_param(const char *raw, size_t i)
{
	struct irc_msg m;
	char *out = NULL;

	irc_msg_init(&m);
	if (ircc_parse(raw, &m) && i < m.nparams)
		out = strdup(m.params[i]);
	irc_msg_release(&m);
	return out;
}

/* The source, malloc'd. */
char *
ircc_source(const char *raw)
{
	struct irc_msg m;
	char *out = NULL;

	irc_msg_init(&m);
	if (ircc_parse(raw, &m) && m.source != NULL)
		out = strdup(m.source);
	irc_msg_release(&m);
	return out;
}

/* The command, malloc'd. */
char *
ircc_command(const char *raw)
{
	struct irc_msg m;
	char *out = NULL;

	irc_msg_init(&m);
	if (ircc_parse(raw, &m))
		out = strdup(m.command);
	irc_msg_release(&m);
	return out;
}

/* Length after the tags, plus the CRLF. */
size_t
ircc_body_len(const char *raw)
{
	const char *p = raw;

	if (*p == '@') {
		if ((p = strchr(p, ' ')) == NULL)
			return 0;
		while (*p == ' ')
			p++;
	}
	return strlen(p) + 2;
}

/* Append a copy. */
void
ircc_lines_add(struct ircc_lines *l, const char *raw)
{
	l->v = realloc(l->v, (l->n + 1) * sizeof *l->v);
	l->v[l->n++] = strdup(raw);
}

/* Free all. */
void
ircc_lines_free(struct ircc_lines *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* First match at or after from. */
ssize_t
ircc_lines_find(const struct ircc_lines *l, size_t from, const char *command,
    const char *substr)
{
	size_t i;

	for (i = from; i < l->n; i++)
		if (ircc_match(l->v[i], command, substr))
			return (ssize_t)i;
	return -1;
}

/* Count matches. */
size_t
ircc_lines_count(const struct ircc_lines *l, const char *command,
    const char *substr)
{
	size_t i, n = 0;

	for (i = 0; i < l->n; i++)
		if (ircc_match(l->v[i], command, substr))
			n++;
	return n;
}

/* Diagnose every line. */
void
ircc_lines_diag(const struct ircc_lines *l, const char *title)
{
	size_t i;

	diag("%s (%zu lines):", title, l->n);
	for (i = 0; i < l->n; i++)
		diag("  %s", l->v[i]);
}
