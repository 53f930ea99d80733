/* locoirc: see LICENSE.
 *
 * The IRC server: listeners, one struct irc_client per connection, line
 * framing with the IRC limits, registration (CAP, SASL PLAIN, PASS, NICK,
 * USER) and an output path that adapts every line to what its client
 * negotiated (IRC.md 2.0, 2.4, 2.5, 4.1). It knows nothing of KakaoTalk:
 * registered clients' commands go to the owner through struct
 * irc_server_cbs. Clients are freed only from their own zero-timeout event,
 * so any callback may close any client.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "irc-cap.h"
#include "irc-msg.h"
#include "irc-numeric.h"
#include "irc-server.h"
#include "irc-text.h"
#include "log.h"
#include "xmalloc.h"

/* Lines handled per read callback before yielding to other clients. */
#define IRC_SERVER_READ_BUDGET 32
/* Input buffered per client before we stop reading from it. */
#define IRC_SERVER_INPUT_MAX (4 * IRC_MSG_READ_MAX)
/* Seconds a closing client gets to take its last lines. */
#define IRC_SERVER_FLUSH_SECS 10
/* Open batches per client (irc-server.h). */
#define IRC_SERVER_BATCH_DEPTH 4
/* RPL_ISUPPORT tokens per line (modern.ircdocs.horse: at most 13). */
#define IRC_SERVER_ISUPPORT_TOKENS 13
/* SASL AUTHENTICATE chunk size: a full chunk means more follows. */
#define IRC_SERVER_SASL_CHUNK 400
/* Longest user or client name taken from credentials. */
#define IRC_SERVER_LOGIN_MAX 64
/* Defaults for config fields left at zero. */
#define IRC_SERVER_SENDQ_DEFAULT (1024 * 1024)
#define IRC_SERVER_REG_TIMEOUT_DEFAULT 60
/* Room for one formatted line: all server tags plus the 512 bytes. */
#define IRC_SERVER_LINE_BUF (IRC_MSG_TAGS_SERVER_MAX + IRC_MSG_LINE_MAX + 1)
/* "[v6 address]:port" as text. */
#define IRC_SERVER_ADDR_MAX 96
/* Longest MOTD piece in one 372 line. */
#define IRC_SERVER_MOTD_BUDGET 400

enum irc_client_state {
	IRC_CLIENT_REGISTERING, /* before 001: CAP, SASL, PASS, NICK, USER */
	IRC_CLIENT_REGISTERED,  /* attached to the owner */
	IRC_CLIENT_CLOSING,     /* ERROR queued; flushing, sends are no-ops */
	IRC_CLIENT_DEAD,        /* free scheduled on free_ev */
};

enum irc_sasl_state {
	IRC_SASL_NONE,    /* no exchange under way */
	IRC_SASL_PAYLOAD, /* PLAIN chosen; collecting base64 chunks */
	IRC_SASL_DONE,    /* succeeded; user and client_name are set */
};

/*
 * One level of labeled-response collection. With a label, the lines sent
 * while it is on top are kept here (already adapted to the client) and
 * written as one labeled response when it is popped; without one (a
 * begin_labeled(NULL)) lines go straight out.
 */
struct irc_label_ctx {
	char *label;           /* owned; NULL: plain lines */
	struct irc_msg *lines; /* owned, nlines of them */
	size_t nlines;
	size_t bytes;  /* formatted size of lines, held against sendq_max */
	bool deferred; /* irc_client_defer_label took the label */
};

/* One open batch. */
struct irc_batch {
	char ref[16]; /* "" when the client lacks batch: nothing was sent */
};

struct irc_client {
	TAILQ_ENTRY(irc_client) entry;
	struct irc_server *s; /* borrowed: the server frees its clients */
	uint64_t id;
	char tag[32];  /* "irc#12" */
	char addr[64]; /* numeric remote host */
	bool tls;
	enum irc_client_state state;
	bool attached;  /* attach ran; detach is still owed */
	bool congested; /* output passed sendq_max/2 since the last drained */
	struct bufferevent *bev;
	struct event *reg_ev;    /* registration timeout */
	struct event *resume_ev; /* more lines after the read budget */
	struct event *flush_ev;  /* gives up flushing a closing client */
	struct event *free_ev;   /* the deferred free */
	struct irc_cap_client cap;
	unsigned prereg_lines;
	char *nick;        /* NULL until NICK */
	char *ident;       /* user part of our own prefix */
	char *host;        /* host part of our own prefix */
	char *user_param;  /* USER's first parameter, "user[@client]" */
	char *user;        /* logged-in user, set on success */
	char *client_name; /* the @client part, "" when none */
	char *pass;        /* secret: PASS until it is checked */
	enum irc_sasl_state sasl;
	char *sasl_buf; /* secret: base64 collected, IRC_SERVER_SASL_MAX+1 */
	size_t sasl_len;
	struct irc_label_ctx *labels; /* stack, nlabels deep */
	size_t nlabels;
	size_t labels_cap;
	struct irc_batch batches[IRC_SERVER_BATCH_DEPTH];
	size_t nbatches;
	size_t batch_overflow; /* begins past the depth, ignored */
	void *data;            /* the owner's; borrowed */
};

struct irc_listener {
	struct irc_server *s;
	struct evconnlistener *lev;
	struct event *retry_ev; /* re-enables accept after EMFILE */
	bool tls;
	char addr[IRC_SERVER_ADDR_MAX];
};

struct irc_server {
	struct event_base *base; /* borrowed */
	char *name;
	char *network;
	char *version;
	size_t sendq_max;
	unsigned reg_timeout;
	SSL_CTX *tls; /* up-ref'd */
	struct irc_server_cbs cbs;
	void *arg;
	struct irc_listener **listeners;
	size_t nlisteners;
	/* Every client in any state; removed only when freed, so a walk
	 * survives closes done by the callbacks it makes. */
	TAILQ_HEAD(irc_client_list, irc_client) clients;
	size_t nregistered;
	uint64_t next_id;
	uint64_t next_batch;
	char created[64];
};

static const struct timeval irc_server_zero_tv = {0, 0};

static void irc_server_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg);
static void irc_server_accept_error_cb(struct evconnlistener *lev, void *arg);
static void irc_server_retry_cb(evutil_socket_t fd, short what, void *arg);
static void irc_client_read_cb(struct bufferevent *bev, void *ctx);
static void irc_client_write_cb(struct bufferevent *bev, void *ctx);
static void irc_client_event_cb(struct bufferevent *bev, short what, void *ctx);
static void irc_client_reg_timeout_cb(evutil_socket_t fd, short what,
    void *ctx);
static void irc_client_resume_cb(evutil_socket_t fd, short what, void *ctx);
static void irc_client_flush_timeout_cb(evutil_socket_t fd, short what,
    void *ctx);
static void irc_client_free_cb(evutil_socket_t fd, short what, void *ctx);

static void irc_client_free(struct irc_client *c);
static void irc_client_schedule_free(struct irc_client *c);
static void irc_client_shutdown(struct irc_client *c, const char *reason,
    bool send_error);
static void irc_client_process(struct irc_client *c, bool all);
static void irc_client_line(struct irc_client *c, const char *line, size_t len);
static void irc_client_dispatch(struct irc_client *c, const struct irc_msg *m);
static int irc_client_send_msg(struct irc_client *c, const struct irc_msg *msg,
    bool add_source);
static int irc_client_queue(struct irc_client *c, const struct irc_msg *m);
static void irc_client_label_push(struct irc_client *c, const char *label);
static void irc_client_label_pop(struct irc_client *c);
static void irc_client_try_register(struct irc_client *c);
static const char *irc_client_nick_or_star(const struct irc_client *c);

/* The sockaddr as "host:port" or "[host]:port" in buf; host alone in
 * hostbuf when it is not NULL. v4-mapped v6 addresses read as v4. */
static void
irc_server_format_addr(const struct sockaddr *sa, socklen_t salen, char *buf,
    size_t len, char *hostbuf, size_t hostlen)
{
	char host[INET6_ADDRSTRLEN + 1], serv[16];
	const char *h = host;

	if (getnameinfo(sa, salen, host, sizeof host, serv, sizeof serv,
	        NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(host, sizeof host, "?");
		snprintf(serv, sizeof serv, "?");
	}
	if (strncmp(h, "::ffff:", 7) == 0 && strchr(h + 7, '.') != NULL)
		h += 7;
	if (strchr(h, ':') != NULL)
		snprintf(buf, len, "[%s]:%s", h, serv);
	else
		snprintf(buf, len, "%s:%s", h, serv);
	if (hostbuf != NULL)
		snprintf(hostbuf, hostlen, "%s", h);
}

struct irc_server *
irc_server_new(struct event_base *base, const struct irc_server_config *cfg,
    const struct irc_server_cbs *cbs, void *arg)
{
	struct irc_server *s;
	const char *name;
	time_t now = time(NULL);
	struct tm tm;

	if (base == NULL)
		return NULL;
	s = xcalloc(1, sizeof *s);
	s->base = base;
	name = cfg != NULL ? cfg->server_name : NULL;
	if (name == NULL || *name == '\0' || strpbrk(name, " \r\n:") != NULL) {
		if (name != NULL)
			log_warnx("irc: bad server name '%s', using 'locoircd'",
			    name);
		name = "locoircd";
	}
	s->name = xstrdup(name);
	s->network = xstrdup(
	    cfg != NULL && cfg->network != NULL ? cfg->network : "KakaoTalk");
	s->version = xstrdup(
	    cfg != NULL && cfg->version != NULL ? cfg->version : "locoircd");
	s->sendq_max = cfg != NULL && cfg->sendq_max > 0
	    ? cfg->sendq_max
	    : IRC_SERVER_SENDQ_DEFAULT;
	s->reg_timeout = cfg != NULL && cfg->registration_timeout > 0
	    ? cfg->registration_timeout
	    : IRC_SERVER_REG_TIMEOUT_DEFAULT;
	if (cfg != NULL && cfg->tls != NULL && SSL_CTX_up_ref(cfg->tls) == 1)
		s->tls = cfg->tls;
	if (cbs != NULL)
		s->cbs = *cbs;
	s->arg = arg;
	TAILQ_INIT(&s->clients);
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(s->created, sizeof s->created,
	        "%a %b %d %Y at %H:%M:%S UTC", &tm) == 0)
		snprintf(s->created, sizeof s->created, "at %lld",
		    (long long)now);
	return s;
}

/*
 * Best effort for a plain socket about to be freed: hand what is queued
 * (the ERROR line) to the kernel now. The bufferevent keeps its output
 * frozen for its own writer, so copy it out instead of evbuffer_write.
 */
static void
irc_client_flush_now(struct irc_client *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t n = evbuffer_get_length(out);
	unsigned char *p;

	if (n == 0 || (p = evbuffer_pullup(out, (ev_ssize_t)n)) == NULL)
		return;
	if (send(bufferevent_getfd(c->bev), p, n, MSG_NOSIGNAL | MSG_DONTWAIT) <
	    0)
		log_debug("%s: %s: %s", __func__, c->tag,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

void
irc_server_free(struct irc_server *s, const char *reason)
{
	struct irc_client *c;
	size_t i;

	if (s == NULL)
		return;
	if (reason == NULL)
		reason = "Server shutting down";
	for (i = 0; i < s->nlisteners; i++) {
		evconnlistener_free(s->listeners[i]->lev);
		event_free(s->listeners[i]->retry_ev);
		free(s->listeners[i]);
	}
	free(s->listeners);
	s->listeners = NULL;
	s->nlisteners = 0;
	TAILQ_FOREACH(c, &s->clients, entry)
		irc_client_shutdown(c, reason, true);
	while ((c = TAILQ_FIRST(&s->clients)) != NULL) {
		if (!c->tls && c->state == IRC_CLIENT_CLOSING)
			irc_client_flush_now(c);
		irc_client_free(c);
	}
	free(s->name);
	free(s->network);
	free(s->version);
	SSL_CTX_free(s->tls);
	free(s);
}

int
irc_server_listen(struct irc_server *s, const char *host, uint16_t port,
    bool tls)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct irc_listener *l;
	struct evconnlistener *lev = NULL;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof ss;
	const char *node = host;
	char portstr[8];
	int rc, saved = 0;

	if (tls && s->tls == NULL) {
		log_warnx("irc: cannot listen on '%s' port %u with TLS: no "
		          "certificate configured",
		    host != NULL ? host : "*", port);
		return -1;
	}
	if (node != NULL && (*node == '\0' || strcmp(node, "*") == 0))
		node = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(portstr, sizeof portstr, "%u", port);
	if ((rc = getaddrinfo(node, portstr, &hints, &res)) != 0) {
		log_warnx("irc: cannot resolve '%s': %s",
		    node != NULL ? node : "*", gai_strerror(rc));
		return -1;
	}
	l = xcalloc(1, sizeof *l);
	l->s = s;
	l->tls = tls;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		lev = evconnlistener_new_bind(s->base, irc_server_accept_cb, l,
		    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE |
		        LEV_OPT_CLOSE_ON_EXEC,
		    -1, ai->ai_addr, (int)ai->ai_addrlen);
		if (lev != NULL)
			break;
		saved = errno;
	}
	freeaddrinfo(res);
	if (lev == NULL) {
		free(l);
		errno = saved;
		log_warn("irc: cannot listen on '%s' port %u",
		    node != NULL ? node : "*", port);
		return -1;
	}
	l->lev = lev;
	l->retry_ev = evtimer_new(s->base, irc_server_retry_cb, l);
	evconnlistener_set_error_cb(lev, irc_server_accept_error_cb);
	if (getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)&ss,
	        &sslen) == 0)
		irc_server_format_addr((struct sockaddr *)&ss, sslen, l->addr,
		    sizeof l->addr, NULL, 0);
	else
		snprintf(l->addr, sizeof l->addr, "?");
	s->listeners = xreallocarray(s->listeners, s->nlisteners + 1,
	    sizeof *s->listeners);
	s->listeners[s->nlisteners++] = l;
	log_info("irc: listening on %s%s", l->addr, tls ? " (TLS)" : "");
	return 0;
}

bool
irc_server_get_address(const struct irc_server *s, size_t i, char *buf,
    size_t len)
{
	if (s == NULL || i >= s->nlisteners)
		return false;
	snprintf(buf, len, "%s", s->listeners[i]->addr);
	return true;
}

struct irc_client *
irc_server_find_client(struct irc_server *s, uint64_t id)
{
	struct irc_client *c;

	TAILQ_FOREACH(c, &s->clients, entry)
		if (c->id == id)
			return c->state == IRC_CLIENT_REGISTERED ? c : NULL;
	return NULL;
}

size_t
irc_server_count_clients(const struct irc_server *s)
{
	return s->nregistered;
}

void
irc_server_foreach_client(struct irc_server *s, irc_server_client_cb cb,
    void *arg)
{
	struct irc_client *c;

	/* Entries leave the list only in irc_client_free, never here. */
	TAILQ_FOREACH(c, &s->clients, entry)
		if (c->state == IRC_CLIENT_REGISTERED)
			cb(c, arg);
}

const char *
irc_server_get_name(const struct irc_server *s)
{
	return s->name;
}

/* Accept after a descriptor shortage, a second later (tmux). */
static void
irc_server_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct irc_listener *l = arg;

	(void)fd;
	(void)what;
	evconnlistener_enable(l->lev);
}

/* accept() failed: back off on descriptor exhaustion. */
static void
irc_server_accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct irc_listener *l = arg;
	int err = EVUTIL_SOCKET_ERROR();
	struct timeval tv = {1, 0};

	log_warnx("irc: cannot accept on %s: %s", l->addr,
	    evutil_socket_error_to_string(err));
	if (err == EMFILE || err == ENFILE) {
		evconnlistener_disable(lev);
		evtimer_add(l->retry_ev, &tv);
	}
}

/* A new connection: a client in REGISTERING with its timeout running. */
/* OpenSSL's reason for e; it has none for some codes. */
static const char *
irc_server_ssl_reason(unsigned long e)
{
	const char *r = ERR_reason_error_string(e);

	return r != NULL ? r : "unknown TLS error";
}

static void
irc_server_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct irc_listener *l = arg;
	struct irc_server *s = l->s;
	struct irc_client *c;
	char full[IRC_SERVER_ADDR_MAX];
	struct timeval tv;
	SSL *ssl;
	int one;

	(void)lev;
	/* IRC lines are small and interactive: without this each reply
	 * waits for the client's delayed ACK (measured: p50 44 ms vs 1.5). */
	one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c = xcalloc(1, sizeof *c);
	c->s = s;
	c->id = ++s->next_id;
	c->tls = l->tls;
	snprintf(c->tag, sizeof c->tag, "irc#%llu", (unsigned long long)c->id);
	irc_server_format_addr(sa, (socklen_t)salen, full, sizeof full, c->addr,
	    sizeof c->addr);
	if (c->tls) {
		if ((ssl = SSL_new(s->tls)) == NULL) {
			log_warnx("%s: cannot start TLS for %s: %s", c->tag,
			    full, irc_server_ssl_reason(ERR_get_error()));
			ERR_clear_error();
			evutil_closesocket(fd);
			free(c);
			return;
		}
		c->bev = bufferevent_openssl_socket_new(s->base, fd, ssl,
		    BUFFEREVENT_SSL_ACCEPTING,
		    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
		/* Clients often just drop TCP; that is an EOF, not an attack
		 * on a protocol that has its own QUIT/ERROR. */
		if (c->bev != NULL)
			bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	} else
		c->bev = bufferevent_socket_new(s->base, fd,
		    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (c->bev == NULL) {
		log_warnx("%s: cannot set up the connection from %s", c->tag,
		    full);
		evutil_closesocket(fd);
		free(c);
		return;
	}
	c->reg_ev = evtimer_new(s->base, irc_client_reg_timeout_cb, c);
	c->resume_ev = evtimer_new(s->base, irc_client_resume_cb, c);
	c->flush_ev = evtimer_new(s->base, irc_client_flush_timeout_cb, c);
	c->free_ev = evtimer_new(s->base, irc_client_free_cb, c);
	irc_cap_client_init(&c->cap);
	c->host = xstrdup(c->addr);
	TAILQ_INSERT_TAIL(&s->clients, c, entry);
	bufferevent_setcb(c->bev, irc_client_read_cb, irc_client_write_cb,
	    irc_client_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, IRC_SERVER_INPUT_MAX);
	bufferevent_setwatermark(c->bev, EV_WRITE, s->sendq_max / 2, 0);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	tv.tv_sec = (time_t)s->reg_timeout;
	tv.tv_usec = 0;
	evtimer_add(c->reg_ev, &tv);
	log_info("%s: connection from %s%s", c->tag, full,
	    c->tls ? " (TLS)" : "");
}

/* ---- lifetime ---- */

/* Release everything c holds; only from the free event or server free. */
static void
irc_client_free(struct irc_client *c)
{
	size_t i, j;

	TAILQ_REMOVE(&c->s->clients, c, entry);
	if (c->state == IRC_CLIENT_REGISTERED)
		c->s->nregistered--;
	event_free(c->reg_ev);
	event_free(c->resume_ev);
	event_free(c->flush_ev);
	event_free(c->free_ev);
	bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
	bufferevent_free(c->bev);
	for (i = 0; i < c->nlabels; i++) {
		for (j = 0; j < c->labels[i].nlines; j++)
			irc_msg_release(&c->labels[i].lines[j]);
		free(c->labels[i].lines);
		free(c->labels[i].label);
	}
	free(c->labels);
	free(c->nick);
	free(c->ident);
	free(c->host);
	free(c->user_param);
	free(c->user);
	free(c->client_name);
	if (c->pass != NULL)
		xfree_secret(c->pass, strlen(c->pass));
	if (c->sasl_buf != NULL)
		xfree_secret(c->sasl_buf, IRC_SERVER_SASL_MAX + 1);
	free(c);
}

/* Stop all I/O and free c from the loop, never inline. */
static void
irc_client_schedule_free(struct irc_client *c)
{
	if (c->state == IRC_CLIENT_DEAD)
		return;
	c->state = IRC_CLIENT_DEAD;
	evtimer_del(c->reg_ev);
	evtimer_del(c->resume_ev);
	evtimer_del(c->flush_ev);
	bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	evtimer_add(c->free_ev, &irc_server_zero_tv);
}

/* Write every open labeled response out (or drop them when the
 * connection is gone) and empty the stack. */
static void
irc_client_labels_end(struct irc_client *c)
{
	while (c->nlabels > 0)
		irc_client_label_pop(c);
}

/*
 * The single way out: optional ERROR line, detach, then free once the
 * output is flushed (or after IRC_SERVER_FLUSH_SECS). The state is CLOSING
 * before the detach callback runs, so sends from it are no-ops.
 */
static void
irc_client_shutdown(struct irc_client *c, const char *reason, bool send_error)
{
	struct evbuffer *out;
	struct timeval tv = {IRC_SERVER_FLUSH_SECS, 0};
	char safe[400];
	size_t i;

	if (c->state >= IRC_CLIENT_CLOSING)
		return;
	if (send_error)
		irc_client_labels_end(c); /* may end in a SendQ drop */
	if (c->state >= IRC_CLIENT_CLOSING)
		return;
	if (c->state == IRC_CLIENT_REGISTERED)
		c->s->nregistered--;
	c->state = IRC_CLIENT_CLOSING;
	evtimer_del(c->reg_ev);
	evtimer_del(c->resume_ev);
	snprintf(safe, sizeof safe, "%s", reason);
	for (i = 0; safe[i] != '\0'; i++)
		if (safe[i] == '\r' || safe[i] == '\n')
			safe[i] = ' ';
	log_info("%s: %s disconnected: %s", c->tag, c->addr, safe);
	out = bufferevent_get_output(c->bev);
	if (send_error)
		evbuffer_add_printf(out, "ERROR :Closing link: %s\r\n", safe);
	else
		evbuffer_drain(out, evbuffer_get_length(out));
	if (c->attached) {
		c->attached = false;
		if (c->s->cbs.detach != NULL)
			c->s->cbs.detach(c->s, c, safe, c->s->arg);
	}
	if (c->state == IRC_CLIENT_DEAD)
		return;
	if (evbuffer_get_length(out) == 0) {
		irc_client_schedule_free(c);
		return;
	}
	/* Keep reading (and discarding) so the close is not a reset that
	 * destroys the ERROR line in flight. */
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	evtimer_add(c->flush_ev, &tv);
}

void
irc_client_close(struct irc_client *c, const char *reason)
{
	if (c == NULL)
		return;
	irc_client_shutdown(c, reason != NULL ? reason : "Closed", true);
}

void
irc_client_want_drained(struct irc_client *c)
{
	if (c->state == IRC_CLIENT_REGISTERED)
		c->congested = true;
}

/* ---- libevent callbacks ---- */

/* Lines arrived. */
static void
irc_client_read_cb(struct bufferevent *bev, void *ctx)
{
	(void)bev;
	irc_client_process(ctx, false);
}

/* Output fell to the low watermark: finish a close, or tell the owner. */
static void
irc_client_write_cb(struct bufferevent *bev, void *ctx)
{
	struct irc_client *c = ctx;
	struct irc_server *s = c->s;

	if (c->state == IRC_CLIENT_CLOSING) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			irc_client_schedule_free(c);
		return;
	}
	if (c->state != IRC_CLIENT_REGISTERED || !c->congested)
		return;
	c->congested = false;
	if (s->cbs.drained != NULL)
		s->cbs.drained(s, c, s->arg);
}

/* EOF, error, or the TLS handshake failed. */
static void
irc_client_event_cb(struct bufferevent *bev, short what, void *ctx)
{
	struct irc_client *c = ctx;
	unsigned long e;
	char why[160];

	if (c->state >= IRC_CLIENT_CLOSING) {
		if ((what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) != 0)
			irc_client_schedule_free(c);
		return;
	}
	if ((what & BEV_EVENT_CONNECTED) != 0)
		return;
	if ((what & BEV_EVENT_EOF) != 0) {
		/* What came before the EOF still counts (a final QUIT). */
		irc_client_process(c, true);
		irc_client_shutdown(c, "Connection closed", false);
		return;
	}
	if (c->tls && (e = bufferevent_get_openssl_error(bev)) != 0) {
		snprintf(why, sizeof why, "TLS error: %s",
		    irc_server_ssl_reason(e));
		while (bufferevent_get_openssl_error(bev) != 0)
			continue;
	} else
		snprintf(why, sizeof why, "Read error: %s",
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	irc_client_shutdown(c, why, false);
}

/* Registration did not complete in time. */
static void
irc_client_reg_timeout_cb(evutil_socket_t fd, short what, void *ctx)
{
	struct irc_client *c = ctx;

	(void)fd;
	(void)what;
	if (c->state == IRC_CLIENT_REGISTERING)
		irc_client_shutdown(c, "registration timed out", true);
}

/* Continue with lines left over by the read budget. */
static void
irc_client_resume_cb(evutil_socket_t fd, short what, void *ctx)
{
	(void)fd;
	(void)what;
	irc_client_process(ctx, false);
}

/* The client would not take its last lines. */
static void
irc_client_flush_timeout_cb(evutil_socket_t fd, short what, void *ctx)
{
	struct irc_client *c = ctx;

	(void)fd;
	(void)what;
	log_debug("%s: %s: dropping %zu unflushed bytes", __func__, c->tag,
	    evbuffer_get_length(bufferevent_get_output(c->bev)));
	irc_client_schedule_free(c);
}

/* The deferred free. */
static void
irc_client_free_cb(evutil_socket_t fd, short what, void *ctx)
{
	struct irc_client *c = ctx;

	(void)fd;
	(void)what;
	log_debug("%s: %s: freed", __func__, c->tag);
	irc_client_free(c);
}

/* ---- input ---- */

/* Take complete lines out of the input and handle them. */
static void
irc_client_process(struct irc_client *c, bool all)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	enum irc_msg_err why;
	unsigned budget = IRC_SERVER_READ_BUDGET;
	char *line;
	size_t len;
	int r;

	if (c->state >= IRC_CLIENT_CLOSING) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	while (all || budget-- > 0) {
		r = irc_msg_read(in, IRC_MSG_READ_MAX, &line, &len, &why);
		if (r == 0)
			return;
		if (r < 0) {
			log_debug("%s: %s: no end of line within %d bytes",
			    __func__, c->tag, IRC_MSG_READ_MAX);
			irc_client_shutdown(c, "Input line too long", true);
			return;
		}
		irc_client_line(c, line, len);
		free(line);
		if (c->state >= IRC_CLIENT_CLOSING)
			return;
	}
	if (evbuffer_get_length(in) > 0)
		evtimer_add(c->resume_ev, &irc_server_zero_tv);
}

/* The command word of an unparsable line, fit for a 421 parameter. */
static void
irc_client_bad_word(const char *line, size_t len, char *buf, size_t size)
{
	const char *p = line, *end = line + len, *w;
	size_t n, i;

	if (p < end && *p == '@')
		while (p < end && *p != ' ')
			p++;
	while (p < end && *p == ' ')
		p++;
	if (p < end && *p == ':') {
		while (p < end && *p != ' ')
			p++;
		while (p < end && *p == ' ')
			p++;
	}
	w = p;
	while (p < end && *p != ' ')
		p++;
	n = (size_t)(p - w);
	if (n == 0 || n >= size || n > 32 || *w == ':' ||
	    !irc_text_utf8_valid(w, n)) {
		snprintf(buf, size, "*");
		return;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)w[i] < 0x21 || w[i] == 0x7f) {
			snprintf(buf, size, "*");
			return;
		}
	memcpy(buf, w, n);
	buf[n] = '\0';
}

/* One line from the client. */
static void
irc_client_line(struct irc_client *c, const char *line, size_t len)
{
	struct irc_msg m;
	enum irc_msg_err why;
	const char *label;
	char word[40];
	size_t depth;

	irc_msg_init(&m);
	if (irc_msg_parse(&m, line, len, IRC_MSG_FROM_CLIENT, &why) == -1 &&
	    why == IRC_MSG_ERR_EMPTY)
		return;
	if (c->state == IRC_CLIENT_REGISTERING &&
	    ++c->prereg_lines > IRC_SERVER_PREREG_LINES_MAX) {
		irc_msg_release(&m);
		irc_client_shutdown(c, "Too many lines before registration",
		    true);
		return;
	}
	switch (why) {
	case IRC_MSG_OK:
		break;
	case IRC_MSG_ERR_TAGS_LONG:
	case IRC_MSG_ERR_TOO_LONG:
		irc_client_numeric(c, IRC_ERR_INPUTTOOLONG,
		    IRC_ERR_INPUTTOOLONG_FMT, irc_client_nick_or_star(c));
		return;
	case IRC_MSG_ERR_BAD_COMMAND:
		if (c->state == IRC_CLIENT_REGISTERED) {
			irc_client_bad_word(line, len, word, sizeof word);
			irc_client_numeric(c, IRC_ERR_UNKNOWNCOMMAND,
			    IRC_ERR_UNKNOWNCOMMAND_FMT,
			    irc_client_nick_or_star(c), word);
		}
		return;
	default:
		log_debug("%s: %s: line ignored: %s", __func__, c->tag,
		    irc_msg_err_string(why));
		return;
	}

	depth = c->nlabels;
	label = irc_msg_get_tag(&m, "label", false);
	if (label != NULL && *label != '\0' &&
	    strlen(label) <= IRC_SERVER_LABEL_MAX &&
	    irc_cap_has(&c->cap, IRC_CAP_LABELED_RESPONSE) &&
	    irc_cap_has(&c->cap, IRC_CAP_BATCH))
		irc_client_label_push(c, label);
	irc_client_dispatch(c, &m);
	while (c->nlabels > depth)
		irc_client_label_pop(c);
	irc_msg_release(&m);
}

/* Relay lines another module wrote to buf (irc-cap) through the output
 * path, so they get labels, batches and filtering like any other. */
static void
irc_client_relay(struct irc_client *c, struct evbuffer *buf)
{
	struct irc_msg m;
	char *line;
	size_t len;

	irc_msg_init(&m);
	while (irc_msg_read(buf, evbuffer_get_length(buf) + 1, &line, &len,
	           NULL) == 1) {
		if (irc_msg_parse(&m, line, len, IRC_MSG_FROM_SERVER, NULL) ==
		    0)
			irc_client_send(c, &m);
		else
			log_warnx("%s: cannot relay a CAP reply", c->tag);
		free(line);
		irc_msg_release(&m);
	}
}

/* CAP, before or after registration. */
static void
irc_client_cap(struct irc_client *c, const struct irc_msg *m)
{
	struct evbuffer *buf = evbuffer_new();

	if (irc_cap_handle(&c->cap, m, irc_client_nick_or_star(c), c->s->name,
	        buf) == -1)
		log_warnx("%s: cannot format a CAP reply", c->tag);
	irc_client_relay(c, buf);
	evbuffer_free(buf);
	irc_client_try_register(c);
}

/* PING: PONG with the token. */
static void
irc_client_ping(struct irc_client *c, const struct irc_msg *m)
{
	struct irc_msg pong;

	if (m->nparams < 1 || *m->params[0] == '\0') {
		irc_client_numeric(c, IRC_ERR_NOORIGIN, IRC_ERR_NOORIGIN_FMT,
		    irc_client_nick_or_star(c));
		return;
	}
	irc_msg_init(&pong);
	irc_msg_set_command(&pong, "PONG");
	irc_msg_add_param(&pong, c->s->name);
	irc_msg_add_param(&pong, m->params[m->nparams - 1]);
	pong.trailing = true;
	irc_client_send(c, &pong);
	irc_msg_release(&pong);
}

/* Whether nick is acceptable: no IRC syntax characters, no leading
 * channel/prefix character or digit, valid UTF-8, bounded. */
static bool
irc_server_nick_ok(const char *nick)
{
	size_t len = strlen(nick), i;

	if (len == 0 || len > IRC_SERVER_NICK_MAX)
		return false;
	if (strchr("#&:$+", nick[0]) != NULL ||
	    (nick[0] >= '0' && nick[0] <= '9'))
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)nick[i] <= 0x20 || nick[i] == 0x7f ||
		    strchr(",*?!@", nick[i]) != NULL)
			return false;
	return irc_text_utf8_valid(nick, len);
}

/* NICK before registration. */
static void
irc_client_nick_cmd(struct irc_client *c, const struct irc_msg *m)
{
	const char *nick = m->nparams > 0 ? m->params[0] : "";

	if (*nick == '\0') {
		irc_client_numeric(c, IRC_ERR_NONICKNAMEGIVEN,
		    IRC_ERR_NONICKNAMEGIVEN_FMT, irc_client_nick_or_star(c));
		return;
	}
	if (!irc_server_nick_ok(nick)) {
		/* Echo the nick only when it can be a middle parameter. */
		irc_client_numeric(c, IRC_ERR_ERRONEUSNICKNAME,
		    IRC_ERR_ERRONEUSNICKNAME_FMT, irc_client_nick_or_star(c),
		    strchr(nick, ' ') == NULL && *nick != ':' &&
		            strlen(nick) <= 2 * IRC_SERVER_NICK_MAX
		        ? nick
		        : "*");
		return;
	}
	free(c->nick);
	c->nick = xstrdup(nick);
	irc_client_try_register(c);
}

/* USER before registration. */
static void
irc_client_user_cmd(struct irc_client *c, const struct irc_msg *m)
{
	if (m->nparams < 4 || *m->params[0] == '\0') {
		irc_client_numeric(c, IRC_ERR_NEEDMOREPARAMS,
		    IRC_ERR_NEEDMOREPARAMS_FMT, irc_client_nick_or_star(c),
		    "USER");
		return;
	}
	free(c->user_param);
	c->user_param = xstrdup(m->params[0]);
	irc_client_try_register(c);
}

/* PASS before registration: kept until the credentials are checked. */
static void
irc_client_pass_cmd(struct irc_client *c, const struct irc_msg *m)
{
	if (m->nparams < 1) {
		irc_client_numeric(c, IRC_ERR_NEEDMOREPARAMS,
		    IRC_ERR_NEEDMOREPARAMS_FMT, irc_client_nick_or_star(c),
		    "PASS");
		return;
	}
	if (c->pass != NULL)
		xfree_secret(c->pass, strlen(c->pass));
	c->pass = xstrdup(m->params[0]);
}

/* Forget a SASL exchange in progress. */
static void
irc_client_sasl_reset(struct irc_client *c)
{
	if (c->sasl_buf != NULL)
		OPENSSL_cleanse(c->sasl_buf, IRC_SERVER_SASL_MAX + 1);
	c->sasl_len = 0;
	if (c->sasl == IRC_SASL_PAYLOAD)
		c->sasl = IRC_SASL_NONE;
}

/* The value of one base64 character, or -1. */
static int
irc_server_b64_value(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/*
 * Strict base64 (RFC 4648, padded) of len bytes at in into out (at least
 * len / 4 * 3 bytes). Returns the decoded length or -1.
 */
static int
irc_server_b64_decode(const char *in, size_t len, unsigned char *out)
{
	size_t i, o = 0;
	int v[4], k, pad;

	if (len == 0 || len % 4 != 0)
		return -1;
	for (i = 0; i < len; i += 4) {
		pad = 0;
		for (k = 0; k < 4; k++) {
			if (in[i + k] == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad > 0 ||
			    (v[k] = irc_server_b64_value(in[i + k])) < 0)
				return -1;
		}
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[o++] =
			    (unsigned char)((v[1] & 0xf) << 4 | v[2] >> 2);
		if (pad < 1)
			out[o++] = (unsigned char)((v[2] & 0x3) << 6 | v[3]);
	}
	return (int)o;
}

/* Split "user[@client]" into c's user and client name; false when either
 * is too long to be a name. */
static bool
irc_client_set_login(struct irc_client *c, const char *login)
{
	const char *at = strchr(login, '@');
	size_t ulen = at != NULL ? (size_t)(at - login) : strlen(login);
	const char *client = at != NULL ? at + 1 : "";

	if (ulen > IRC_SERVER_LOGIN_MAX ||
	    strlen(client) > IRC_SERVER_LOGIN_MAX)
		return false;
	free(c->user);
	free(c->client_name);
	c->user = xstrndup(login, ulen);
	c->client_name = xstrdup(client);
	return true;
}

/* Check the credentials in the collected SASL PLAIN payload. */
static void
irc_client_sasl_plain(struct irc_client *c)
{
	struct irc_server *s = c->s;
	unsigned char *raw;
	const char *authzid, *authcid, *passwd;
	size_t cap = c->sasl_len / 4 * 3 + 1;
	char mask[256];
	int n;
	bool ok = false;

	raw = xmalloc(cap);
	n = c->sasl_len > 0
	    ? irc_server_b64_decode(c->sasl_buf, c->sasl_len, raw)
	    : -1;
	irc_client_sasl_reset(c);
	if (n > 0) {
		raw[n] = '\0';
		/* authzid \0 authcid \0 passwd, with no third NUL. */
		authzid = (const char *)raw;
		authcid = authzid + strlen(authzid) + 1;
		if (authcid < (const char *)raw + n) {
			passwd = authcid + strlen(authcid) + 1;
			ok = passwd <= (const char *)raw + n &&
			    passwd + strlen(passwd) == (const char *)raw + n &&
			    *authcid != '\0' &&
			    (*authzid == '\0' ||
			        strcmp(authzid, authcid) == 0) &&
			    irc_client_set_login(c, authcid) &&
			    s->cbs.auth != NULL &&
			    s->cbs.auth(s, c->user, passwd, s->arg);
		}
	}
	OPENSSL_cleanse(raw, cap);
	free(raw);
	if (!ok) {
		log_info("%s: SASL PLAIN authentication failed", c->tag);
		irc_client_numeric(c, IRC_ERR_SASLFAIL, IRC_ERR_SASLFAIL_FMT,
		    irc_client_nick_or_star(c));
		return;
	}
	c->sasl = IRC_SASL_DONE;
	snprintf(mask, sizeof mask, "%s!%s@%s", irc_client_nick_or_star(c),
	    *c->user != '\0' ? c->user : "user", c->host);
	irc_client_numeric(c, IRC_RPL_LOGGEDIN, IRC_RPL_LOGGEDIN_FMT,
	    irc_client_nick_or_star(c), mask, *c->user != '\0' ? c->user : "*",
	    *c->user != '\0' ? c->user : "*");
	irc_client_numeric(c, IRC_RPL_SASLSUCCESS, IRC_RPL_SASLSUCCESS_FMT,
	    irc_client_nick_or_star(c));
	irc_client_try_register(c);
}

/* AUTHENTICATE before registration (SASL PLAIN only). */
static void
irc_client_authenticate(struct irc_client *c, const struct irc_msg *m)
{
	struct irc_msg plus;
	const char *arg;
	size_t len;

	if (c->sasl == IRC_SASL_DONE) {
		irc_client_numeric(c, IRC_ERR_SASLALREADY,
		    IRC_ERR_SASLALREADY_FMT, irc_client_nick_or_star(c));
		return;
	}
	if (m->nparams < 1 || *m->params[0] == '\0') {
		irc_client_numeric(c, IRC_ERR_NEEDMOREPARAMS,
		    IRC_ERR_NEEDMOREPARAMS_FMT, irc_client_nick_or_star(c),
		    "AUTHENTICATE");
		return;
	}
	arg = m->params[0];
	if (strcmp(arg, "*") == 0) {
		irc_client_sasl_reset(c);
		irc_client_numeric(c, IRC_ERR_SASLABORTED,
		    IRC_ERR_SASLABORTED_FMT, irc_client_nick_or_star(c));
		return;
	}
	if (c->sasl == IRC_SASL_NONE) {
		if (strcasecmp(arg, "PLAIN") != 0) {
			irc_client_numeric(c, IRC_RPL_SASLMECHS,
			    IRC_RPL_SASLMECHS_FMT, irc_client_nick_or_star(c),
			    "PLAIN");
			irc_client_numeric(c, IRC_ERR_SASLFAIL,
			    IRC_ERR_SASLFAIL_FMT, irc_client_nick_or_star(c));
			return;
		}
		c->sasl = IRC_SASL_PAYLOAD;
		c->sasl_len = 0;
		if (c->sasl_buf == NULL)
			c->sasl_buf = xmalloc(IRC_SERVER_SASL_MAX + 1);
		/* The prompt carries no source (IRCv3 sasl-3.1 examples). */
		irc_msg_init(&plus);
		irc_msg_set_command(&plus, "AUTHENTICATE");
		irc_msg_add_param(&plus, "+");
		irc_client_send_msg(c, &plus, false);
		irc_msg_release(&plus);
		return;
	}
	len = strlen(arg);
	if (len > IRC_SERVER_SASL_CHUNK ||
	    c->sasl_len + len > IRC_SERVER_SASL_MAX) {
		irc_client_sasl_reset(c);
		irc_client_numeric(c, IRC_ERR_SASLTOOLONG,
		    IRC_ERR_SASLTOOLONG_FMT, irc_client_nick_or_star(c));
		return;
	}
	if (strcmp(arg, "+") != 0) {
		memcpy(c->sasl_buf + c->sasl_len, arg, len);
		c->sasl_len += len;
	}
	if (len == IRC_SERVER_SASL_CHUNK)
		return; /* a full chunk: more follows, maybe a lone "+" */
	irc_client_sasl_plain(c);
}

/*
 * Check PASS, which is "user[@client]:password" (ZNC) or a bare password
 * for the login USER gave; c's user and client name are set from the form
 * that passed. A bare password may itself hold ':', so when the ZNC
 * reading fails the whole string is tried as the password too, unless
 * the part before ':' names a client ("user@client"): that one is a ZNC
 * login for certain, and its owner gets 464 without a second guess (a
 * password with '@' before its first ':' needs SASL or the full form).
 */
static bool
irc_client_check_pass(struct irc_client *c)
{
	struct irc_server *s = c->s;
	const char *colon = strchr(c->pass, ':');
	char *login;
	bool ok, znc_login;

	if (s->cbs.auth == NULL)
		return false;
	if (colon != NULL) {
		login = xstrndup(c->pass, (size_t)(colon - c->pass));
		znc_login = strchr(login, '@') != NULL;
		ok = irc_client_set_login(c, login) &&
		    s->cbs.auth(s, c->user, colon + 1, s->arg);
		free(login);
		if (ok || znc_login)
			return ok;
	}
	return irc_client_set_login(c, c->user_param) &&
	    s->cbs.auth(s, c->user, c->pass, s->arg);
}

/*
 * Finish registration once NICK, USER, the end of CAP negotiation and the
 * credentials are all in; a failed check closes the link with 464 only.
 */
static void
irc_client_try_register(struct irc_client *c)
{
	struct irc_server *s = c->s;
	const char *why = NULL;
	char e_user[80], e_client[80], e_nick[80];
	bool ok = false;

	if (c->state != IRC_CLIENT_REGISTERING || c->nick == NULL ||
	    c->user_param == NULL || irc_cap_is_negotiating(&c->cap) ||
	    c->sasl == IRC_SASL_PAYLOAD)
		return;
	if (c->sasl == IRC_SASL_DONE)
		ok = true;
	else if (c->pass == NULL)
		why = "No password given";
	else {
		ok = irc_client_check_pass(c);
		if (!ok)
			why = "Password incorrect";
	}
	if (c->pass != NULL) {
		xfree_secret(c->pass, strlen(c->pass));
		c->pass = NULL;
	}
	if (!ok) {
		/* The 464 and ERROR go out plain: no labeled response for a
		 * registration that never happened. */
		irc_client_labels_end(c);
		irc_client_numeric(c, IRC_ERR_PASSWDMISMATCH,
		    IRC_ERR_PASSWDMISMATCH_FMT, irc_client_nick_or_star(c));
		irc_client_shutdown(c, why != NULL ? why : "Password incorrect",
		    true);
		return;
	}
	/* Whatever label the last command had is answered before 001. */
	irc_client_labels_end(c);
	if (c->state != IRC_CLIENT_REGISTERING)
		return;
	c->state = IRC_CLIENT_REGISTERED;
	s->nregistered++;
	irc_cap_set_registered(&c->cap);
	evtimer_del(c->reg_ev);
	free(c->ident);
	c->ident = xstrdup(*c->user != '\0' ? c->user : "user");
	/* Names come from the client: escaped, one line, 7-bit. */
	log_info("%s: registered as %s%s%s (nick %s)", c->tag,
	    log_escape(e_user, sizeof e_user, c->user, strlen(c->user)),
	    *c->client_name != '\0' ? "@" : "",
	    log_escape(e_client, sizeof e_client, c->client_name,
	        strlen(c->client_name)),
	    log_escape(e_nick, sizeof e_nick, c->nick, strlen(c->nick)));
	c->attached = true;
	if (s->cbs.attach != NULL)
		s->cbs.attach(s, c, s->arg);
}

/* One parsed command. */
static void
irc_client_dispatch(struct irc_client *c, const struct irc_msg *m)
{
	struct irc_server *s = c->s;
	const char *cmd = m->command;
	const char *nick = irc_client_nick_or_star(c);

	if (strcmp(cmd, "CAP") == 0) {
		irc_client_cap(c, m);
		return;
	}
	if (strcmp(cmd, "PING") == 0) {
		irc_client_ping(c, m);
		return;
	}
	if (strcmp(cmd, "QUIT") == 0) {
		irc_client_shutdown(c, "Quit", true);
		return;
	}
	if (c->state == IRC_CLIENT_REGISTERING) {
		if (strcmp(cmd, "NICK") == 0)
			irc_client_nick_cmd(c, m);
		else if (strcmp(cmd, "USER") == 0)
			irc_client_user_cmd(c, m);
		else if (strcmp(cmd, "PASS") == 0)
			irc_client_pass_cmd(c, m);
		else if (strcmp(cmd, "AUTHENTICATE") == 0)
			irc_client_authenticate(c, m);
		else if (strcmp(cmd, "PONG") != 0)
			irc_client_numeric(c, IRC_ERR_NOTREGISTERED,
			    IRC_ERR_NOTREGISTERED_FMT, nick);
		return;
	}
	if (strcmp(cmd, "PONG") == 0) {
		if (s->cbs.pong != NULL)
			s->cbs.pong(s, c, m->nparams > 0 ? m->params[0] : "",
			    s->arg);
	} else if (strcmp(cmd, "PASS") == 0 || strcmp(cmd, "USER") == 0)
		irc_client_numeric(c, IRC_ERR_ALREADYREGISTERED,
		    IRC_ERR_ALREADYREGISTERED_FMT, nick);
	else if (strcmp(cmd, "AUTHENTICATE") == 0) {
		if (c->sasl == IRC_SASL_DONE)
			irc_client_numeric(c, IRC_ERR_SASLALREADY,
			    IRC_ERR_SASLALREADY_FMT, nick);
		else
			irc_client_numeric(c, IRC_ERR_ALREADYREGISTERED,
			    IRC_ERR_ALREADYREGISTERED_FMT, nick);
	} else if (s->cbs.command != NULL)
		s->cbs.command(s, c, m, s->arg);
}

/* ---- output ---- */

/* The capability a command needs to be sent at all, or -1. */
static int
irc_server_command_cap(const char *cmd)
{
	static const struct {
		const char *cmd;
		enum irc_cap_id cap;
	} gated[] = {
	    {"TAGMSG", IRC_CAP_MESSAGE_TAGS},
	    {"BATCH", IRC_CAP_BATCH},
	    {"AWAY", IRC_CAP_AWAY_NOTIFY},
	    {"SETNAME", IRC_CAP_SETNAME},
	    {"CHGHOST", IRC_CAP_CHGHOST},
	    {"ACCOUNT", IRC_CAP_ACCOUNT_NOTIFY},
	};
	size_t i;

	for (i = 0; i < sizeof gated / sizeof gated[0]; i++)
		if (strcasecmp(cmd, gated[i].cmd) == 0)
			return (int)gated[i].cap;
	return -1;
}

/* The capability a tag needs. */
static enum irc_cap_id
irc_server_tag_cap(const struct irc_msg_tag *t)
{
	if (t->client_only)
		return IRC_CAP_MESSAGE_TAGS;
	if (strcmp(t->key, "time") == 0)
		return IRC_CAP_SERVER_TIME;
	if (strcmp(t->key, "batch") == 0)
		return IRC_CAP_BATCH;
	if (strcmp(t->key, "account") == 0)
		return IRC_CAP_ACCOUNT_TAG;
	if (strcmp(t->key, "label") == 0)
		return IRC_CAP_LABELED_RESPONSE;
	return IRC_CAP_MESSAGE_TAGS;
}

/* Put a tag first in m (labels and batch refs of labeled responses). */
static void
irc_server_tag_prepend(struct irc_msg *m, const char *key, const char *value)
{
	irc_msg_add_tag(m, key, value, false);
	if (m->ntags > 1) {
		struct irc_msg_tag t = m->tags[m->ntags - 1];

		memmove(&m->tags[1], &m->tags[0],
		    (m->ntags - 1) * sizeof m->tags[0]);
		m->tags[0] = t;
	}
}

/* The ref of the innermost open batch the client was told about. */
static const char *
irc_client_batch_ref(const struct irc_client *c)
{
	size_t i;

	for (i = c->nbatches; i > 0; i--)
		if (c->batches[i - 1].ref[0] != '\0')
			return c->batches[i - 1].ref;
	return NULL;
}

/*
 * Build in out the copy of msg that c may see: tags it negotiated (server
 * tags first), the open batch's tag, and our source if it has none.
 */
static void
irc_client_adapt(const struct irc_client *c, const struct irc_msg *msg,
    bool add_source, struct irc_msg *out)
{
	const char *ref;
	bool has_batch = false;
	size_t i;
	int pass;

	irc_msg_init(out);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < msg->ntags; i++) {
			const struct irc_msg_tag *t = &msg->tags[i];

			if (t->client_only != (pass == 1) ||
			    !irc_cap_has(&c->cap, irc_server_tag_cap(t)))
				continue;
			if (!t->client_only && strcmp(t->key, "batch") == 0)
				has_batch = true;
			irc_msg_add_tag(out, t->key, t->value, t->client_only);
		}
		if (pass == 0 && !has_batch &&
		    irc_cap_has(&c->cap, IRC_CAP_BATCH) &&
		    (ref = irc_client_batch_ref(c)) != NULL)
			irc_msg_add_tag(out, "batch", ref, false);
	}
	if (msg->source != NULL)
		out->source = xstrdup(msg->source);
	else if (add_source)
		out->source = xstrdup(c->s->name);
	out->command = xstrdup(msg->command != NULL ? msg->command : "");
	for (i = 0; i < msg->nparams && i < IRC_MSG_PARAMS_MAX; i++)
		out->params[out->nparams++] =
		    xstrdup(msg->params[i] != NULL ? msg->params[i] : "");
	out->trailing = msg->trailing;
}

/*
 * Format m into buf and check the limits: at most 512 bytes with CRLF
 * after the tags, tags within the server limit. Returns the length or -1.
 */
static int
irc_client_format(const struct irc_client *c, const struct irc_msg *m,
    char *buf, size_t size)
{
	const char *body;
	size_t tagslen = 0;
	int n;

	n = irc_msg_format(m, buf, size);
	if (n < 0) {
		log_warnx("%s: cannot send %s: malformed or too long", c->tag,
		    m->command != NULL ? m->command : "(none)");
		return -1;
	}
	if (buf[0] == '@') {
		body = strchr(buf, ' ');
		tagslen = body != NULL ? (size_t)(body - buf) + 1 : (size_t)n;
	}
	if (tagslen > IRC_MSG_TAGS_SERVER_MAX ||
	    (size_t)n - tagslen + 2 > IRC_MSG_LINE_MAX) {
		log_warnx("%s: cannot send %s: line of %d bytes over the "
		          "limit",
		    c->tag, m->command, n);
		return -1;
	}
	return n;
}

/* Check the send queue after output grew; drops c when over. */
static int
irc_client_check_sendq(struct irc_client *c, size_t extra)
{
	size_t n = evbuffer_get_length(bufferevent_get_output(c->bev)) + extra;

	if (n > c->s->sendq_max) {
		log_warnx("%s: SendQ exceeded (%zu bytes queued, limit %zu)",
		    c->tag, n, c->s->sendq_max);
		irc_client_shutdown(c, "SendQ exceeded", true);
		return -1;
	}
	if (n > c->s->sendq_max / 2)
		c->congested = true;
	return 0;
}

/* Format m (final form) and append it to the socket's output. */
static int
irc_client_queue(struct irc_client *c, const struct irc_msg *m)
{
	char buf[IRC_SERVER_LINE_BUF + 2];
	int n;

	if (c->state >= IRC_CLIENT_CLOSING)
		return -1;
	if ((n = irc_client_format(c, m, buf, sizeof buf - 2)) < 0)
		return -1;
	buf[n] = '\r';
	buf[n + 1] = '\n';
	evbuffer_add(bufferevent_get_output(c->bev), buf, (size_t)n + 2);
	if (log_get_level() >= LOG_LEVEL_TRACE)
		log_trace("%s: > %s", c->tag, m->command);
	return irc_client_check_sendq(c, 0);
}

/* Send msg adapted to c, into the open labeled response if any. */
static int
irc_client_send_msg(struct irc_client *c, const struct irc_msg *msg,
    bool add_source)
{
	struct irc_label_ctx *lc;
	struct irc_msg m;
	char buf[IRC_SERVER_LINE_BUF];
	int cap, n, r;

	if (c == NULL || c->state >= IRC_CLIENT_CLOSING || msg == NULL ||
	    msg->command == NULL)
		return -1;
	cap = irc_server_command_cap(msg->command);
	if (cap >= 0 && !irc_cap_has(&c->cap, (enum irc_cap_id)cap))
		return 0; /* filtered by design, not a failure */
	irc_client_adapt(c, msg, add_source, &m);
	lc = c->nlabels > 0 ? &c->labels[c->nlabels - 1] : NULL;
	if (lc == NULL || lc->label == NULL) {
		r = irc_client_queue(c, &m);
		irc_msg_release(&m);
		return r;
	}
	if ((n = irc_client_format(c, &m, buf, sizeof buf)) < 0) {
		irc_msg_release(&m);
		return -1;
	}
	lc->lines = xreallocarray(lc->lines, lc->nlines + 1, sizeof *lc->lines);
	lc->lines[lc->nlines++] = m; /* moved */
	lc->bytes += (size_t)n + 2;
	return irc_client_check_sendq(c, lc->bytes);
}

int
irc_client_send(struct irc_client *c, const struct irc_msg *msg)
{
	return irc_client_send_msg(c, msg, true);
}

/* A fresh batch reference: the server's counter in base 36. */
static void
irc_server_batch_ref(struct irc_server *s, char *buf, size_t size)
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	char tmp[16];
	uint64_t v = ++s->next_batch;
	size_t n = 0, i;

	do {
		tmp[n++] = digits[v % 36];
		v /= 36;
	} while (v > 0 && n < sizeof tmp);
	for (i = 0; i < n && i + 1 < size; i++)
		buf[i] = tmp[n - 1 - i];
	buf[i] = '\0';
}

/* Start collecting a labeled response (label NULL: plain lines). */
static void
irc_client_label_push(struct irc_client *c, const char *label)
{
	struct irc_label_ctx *lc;

	if (c->nlabels == c->labels_cap) {
		c->labels_cap = c->labels_cap == 0 ? 2 : c->labels_cap * 2;
		c->labels =
		    xreallocarray(c->labels, c->labels_cap, sizeof *c->labels);
	}
	lc = &c->labels[c->nlabels++];
	memset(lc, 0, sizeof *lc);
	lc->label = label != NULL ? xstrdup(label) : NULL;
}

/* Write out the top labeled response: ACK, one labeled line, or a
 * labeled-response batch; plain lines when the label was deferred. */
static void
irc_client_label_pop(struct irc_client *c)
{
	struct irc_label_ctx lc;
	struct irc_msg m;
	char ref[16];
	size_t i;
	bool live;

	if (c->nlabels == 0)
		return;
	lc = c->labels[--c->nlabels];
	live = c->state < IRC_CLIENT_CLOSING;
	if (lc.label == NULL || !live)
		goto out;
	if (lc.deferred) {
		for (i = 0; i < lc.nlines && c->state < IRC_CLIENT_CLOSING; i++)
			irc_client_queue(c, &lc.lines[i]);
		goto out;
	}
	if (lc.nlines == 1) {
		irc_server_tag_prepend(&lc.lines[0], "label", lc.label);
		irc_client_queue(c, &lc.lines[0]);
		goto out;
	}
	irc_msg_init(&m);
	irc_msg_add_tag(&m, "label", lc.label, false);
	m.source = xstrdup(c->s->name);
	if (lc.nlines == 0) {
		irc_msg_set_command(&m, "ACK");
		irc_client_queue(c, &m);
		irc_msg_release(&m);
		goto out;
	}
	irc_server_batch_ref(c->s, ref, sizeof ref);
	irc_msg_set_command(&m, "BATCH");
	m.params[m.nparams++] = xasprintf("+%s", ref);
	irc_msg_add_param(&m, "labeled-response");
	if (irc_client_queue(c, &m) == 0) {
		for (i = 0; i < lc.nlines && c->state < IRC_CLIENT_CLOSING;
		     i++) {
			if (irc_msg_get_tag(&lc.lines[i], "batch", false) ==
			    NULL)
				irc_server_tag_prepend(&lc.lines[i], "batch",
				    ref);
			irc_client_queue(c, &lc.lines[i]);
		}
		irc_msg_release(&m);
		irc_msg_init(&m);
		m.source = xstrdup(c->s->name);
		irc_msg_set_command(&m, "BATCH");
		m.params[m.nparams++] = xasprintf("-%s", ref);
		irc_client_queue(c, &m);
	}
	irc_msg_release(&m);
out:
	for (i = 0; i < lc.nlines; i++)
		irc_msg_release(&lc.lines[i]);
	free(lc.lines);
	free(lc.label);
}

/* Format a line from "COMMAND params" text and send it from the server. */
static int __attribute__((format(printf, 2, 0)))
irc_client_vsendf(struct irc_client *c, const char *fmt, va_list ap)
{
	char line[IRC_MSG_LINE_MAX * 2];
	struct irc_msg m;
	enum irc_msg_err why;
	int n, r;

	if (c == NULL || c->state >= IRC_CLIENT_CLOSING)
		return -1;
	n = vsnprintf(line, sizeof line, fmt, ap);
	if (n < 0 || (size_t)n >= sizeof line) {
		log_warnx("%s: cannot send a line of %d bytes", c->tag, n);
		return -1;
	}
	irc_msg_init(&m);
	if (irc_msg_parse(&m, line, (size_t)n, IRC_MSG_FROM_SERVER, &why) ==
	    -1) {
		log_warnx("%s: cannot send a line: %s", c->tag,
		    irc_msg_err_string(why));
		return -1;
	}
	r = irc_client_send(c, &m);
	irc_msg_release(&m);
	return r;
}

/* irc_client_vsendf with the arguments inline. */
static int __attribute__((format(printf, 2, 3)))
irc_client_sendf(struct irc_client *c, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = irc_client_vsendf(c, fmt, ap);
	va_end(ap);
	return r;
}

int
irc_client_numeric(struct irc_client *c, int code, const char *fmt, ...)
{
	char text[IRC_MSG_LINE_MAX * 2];
	va_list ap;
	int n;

	if (c == NULL || c->state >= IRC_CLIENT_CLOSING)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof text || code < 0 || code > 999) {
		log_warnx("%s: cannot format numeric %d", c->tag, code);
		return -1;
	}
	return irc_client_sendf(c, "%03d %s", code, text);
}

/* A server NOTICE to c's nick with text as the trailing parameter. */
static int
irc_client_notice_text(struct irc_client *c, const char *text)
{
	struct irc_msg m;
	int r;

	irc_msg_init(&m);
	irc_msg_set_command(&m, "NOTICE");
	irc_msg_add_param(&m, irc_client_nick_or_star(c));
	irc_msg_add_param(&m, text);
	m.trailing = true;
	r = irc_client_send(c, &m);
	irc_msg_release(&m);
	return r;
}

int
irc_client_notice(struct irc_client *c, const char *fmt, ...)
{
	char *text;
	va_list ap;
	int r;

	if (c == NULL || c->state >= IRC_CLIENT_CLOSING)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) == -1)
		fatalx("%s: out of memory", __func__);
	va_end(ap);
	r = irc_client_notice_text(c, text);
	free(text);
	return r;
}

int
irc_client_stdreply(struct irc_client *c, const char *type, const char *command,
    const char *code, const char *const *context, const char *description)
{
	struct irc_msg m;
	char *text;
	size_t i;
	int r = -1;

	if (c == NULL || c->state >= IRC_CLIENT_CLOSING)
		return -1;
	if (!irc_cap_has(&c->cap, IRC_CAP_STANDARD_REPLIES)) {
		text = xasprintf("%s %s: %s", command, code, description);
		r = irc_client_notice_text(c, text);
		free(text);
		return r;
	}
	irc_msg_init(&m);
	irc_msg_set_command(&m, type);
	irc_msg_add_param(&m, command);
	irc_msg_add_param(&m, code);
	for (i = 0; context != NULL && context[i] != NULL; i++)
		if (irc_msg_add_param(&m, context[i]) == -1)
			goto out;
	if (irc_msg_add_param(&m, description) == -1)
		goto out;
	m.trailing = true;
	r = irc_client_send(c, &m);
out:
	irc_msg_release(&m);
	return r;
}

void
irc_client_batch_begin(struct irc_client *c, const char *type,
    const char *const *params)
{
	struct irc_batch *b;
	struct irc_msg m;
	size_t i;

	if (c == NULL || c->state >= IRC_CLIENT_CLOSING)
		return;
	if (c->nbatches == IRC_SERVER_BATCH_DEPTH) {
		log_warnx("%s: batches nested deeper than %d", c->tag,
		    IRC_SERVER_BATCH_DEPTH);
		c->batch_overflow++;
		return;
	}
	b = &c->batches[c->nbatches];
	b->ref[0] = '\0';
	if (irc_cap_has(&c->cap, IRC_CAP_BATCH)) {
		char ref[sizeof b->ref];

		irc_server_batch_ref(c->s, ref, sizeof ref);
		irc_msg_init(&m);
		irc_msg_set_command(&m, "BATCH");
		m.params[m.nparams++] = xasprintf("+%s", ref);
		irc_msg_add_param(&m, type);
		for (i = 0; params != NULL && params[i] != NULL; i++)
			if (irc_msg_add_param(&m, params[i]) == -1)
				break;
		/* Sent before the push: it carries the outer batch's tag. */
		if (irc_client_send(c, &m) == 0)
			memcpy(b->ref, ref, sizeof ref);
		irc_msg_release(&m);
		if (c->state >= IRC_CLIENT_CLOSING)
			return;
	}
	c->nbatches++;
}

void
irc_client_batch_end(struct irc_client *c)
{
	char ref[sizeof c->batches[0].ref];
	struct irc_msg m;

	if (c == NULL)
		return;
	if (c->batch_overflow > 0) {
		c->batch_overflow--;
		return;
	}
	if (c->nbatches == 0)
		return;
	memcpy(ref, c->batches[--c->nbatches].ref, sizeof ref);
	if (ref[0] == '\0' || c->state >= IRC_CLIENT_CLOSING)
		return;
	/* Popped first: the end line belongs to the enclosing batch. */
	irc_msg_init(&m);
	irc_msg_set_command(&m, "BATCH");
	m.params[m.nparams++] = xasprintf("-%s", ref);
	irc_client_send(c, &m);
	irc_msg_release(&m);
}

char *
irc_client_defer_label(struct irc_client *c)
{
	struct irc_label_ctx *lc;

	if (c == NULL || c->nlabels == 0)
		return NULL;
	lc = &c->labels[c->nlabels - 1];
	if (lc->label == NULL)
		return NULL;
	lc->deferred = true;
	return xstrdup(lc->label);
}

void
irc_client_begin_labeled(struct irc_client *c, const char *label)
{
	if (c == NULL || c->state >= IRC_CLIENT_CLOSING)
		return;
	if (label != NULL &&
	    (*label == '\0' || strlen(label) > IRC_SERVER_LABEL_MAX ||
	        !irc_cap_has(&c->cap, IRC_CAP_LABELED_RESPONSE) ||
	        !irc_cap_has(&c->cap, IRC_CAP_BATCH)))
		label = NULL;
	irc_client_label_push(c, label);
}

void
irc_client_end_labeled(struct irc_client *c)
{
	if (c == NULL)
		return;
	irc_client_label_pop(c);
}

void
irc_client_welcome(struct irc_client *c, const char *const *isupport, size_t n,
    const char *motd)
{
	struct irc_server *s;
	const char *nick, *p, *eol;
	static const char tail[] = " :are supported by this server";
	char toks[IRC_MSG_LINE_MAX], mask[256];
	struct irc_text_span *spans = NULL;
	size_t i, j, budget, overhead, tlen, ntok = 0, used = 0, nspans, len;
	char *piece;

	if (c == NULL || c->state != IRC_CLIENT_REGISTERED)
		return;
	s = c->s;
	nick = irc_client_nick_or_star(c);
	snprintf(mask, sizeof mask, "%s!%s@%s", nick,
	    c->ident != NULL ? c->ident : "user", c->host);
	irc_client_numeric(c, IRC_RPL_WELCOME, IRC_RPL_WELCOME_FMT, nick,
	    s->network, mask);
	irc_client_numeric(c, IRC_RPL_YOURHOST, IRC_RPL_YOURHOST_FMT, nick,
	    s->name, s->version);
	irc_client_numeric(c, IRC_RPL_CREATED, IRC_RPL_CREATED_FMT, nick,
	    s->created);
	irc_client_numeric(c, IRC_RPL_MYINFO, IRC_RPL_MYINFO_FMT, nick, s->name,
	    s->version, "iw", "nt");

	/* ":server 005 nick <tokens> :are supported by this server\r\n" */
	overhead =
	    1 + strlen(s->name) + 5 + strlen(nick) + 1 + (sizeof tail - 1) + 2;
	budget = overhead < IRC_MSG_LINE_MAX ? IRC_MSG_LINE_MAX - overhead : 0;
	toks[0] = '\0';
	for (i = 0; i <= n; i++) {
		const char *t = i < n ? isupport[i] : NULL;

		if (t != NULL) {
			tlen = strlen(t);
			if (tlen == 0 || *t == ':' || strpbrk(t, " \r\n") ||
			    tlen > budget) {
				log_warnx("%s: ISUPPORT token '%.40s' skipped",
				    c->tag, t);
				continue;
			}
		} else
			tlen = 0;
		if (used > 0 &&
		    (t == NULL || ntok == IRC_SERVER_ISUPPORT_TOKENS ||
		        used + 1 + tlen > budget)) {
			irc_client_numeric(c, IRC_RPL_ISUPPORT,
			    IRC_RPL_ISUPPORT_FMT, nick, toks);
			used = ntok = 0;
			toks[0] = '\0';
		}
		if (t == NULL)
			break;
		if (used > 0)
			toks[used++] = ' ';
		memcpy(toks + used, t, tlen + 1);
		used += tlen;
		ntok++;
	}

	if (motd == NULL) {
		irc_client_numeric(c, IRC_ERR_NOMOTD, IRC_ERR_NOMOTD_FMT, nick);
		return;
	}
	irc_client_numeric(c, IRC_RPL_MOTDSTART, IRC_RPL_MOTDSTART_FMT, nick,
	    s->name);
	for (p = motd;;) {
		eol = strchr(p, '\n');
		len = eol != NULL ? (size_t)(eol - p) : strlen(p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		nspans = irc_text_split(p, len, IRC_SERVER_MOTD_BUDGET, &spans);
		if (nspans == 0)
			irc_client_numeric(c, IRC_RPL_MOTD, IRC_RPL_MOTD_FMT,
			    nick, "");
		for (j = 0; j < nspans; j++) {
			piece = xstrndup(p + spans[j].off, spans[j].len);
			irc_text_strip_controls(piece, strlen(piece),
			    IRC_TEXT_KEEP_FORMAT);
			irc_client_numeric(c, IRC_RPL_MOTD, IRC_RPL_MOTD_FMT,
			    nick, piece);
			free(piece);
		}
		free(spans);
		spans = NULL;
		/* A final newline does not make an empty last line. */
		if (eol == NULL || eol[1] == '\0')
			break;
		p = eol + 1;
	}
	irc_client_numeric(c, IRC_RPL_ENDOFMOTD, IRC_RPL_ENDOFMOTD_FMT, nick);
}

/* ---- accessors ---- */

/* c's nick, or "*" before it has one (numerics' first parameter). */
static const char *
irc_client_nick_or_star(const struct irc_client *c)
{
	return c->nick != NULL ? c->nick : "*";
}

uint64_t
irc_client_get_id(const struct irc_client *c)
{
	return c->id;
}

const char *
irc_client_get_nick(const struct irc_client *c)
{
	return irc_client_nick_or_star(c);
}

const char *
irc_client_get_user(const struct irc_client *c)
{
	return c->user != NULL ? c->user : "";
}

const char *
irc_client_get_client_name(const struct irc_client *c)
{
	return c->client_name != NULL ? c->client_name : "";
}

const char *
irc_client_get_addr(const struct irc_client *c)
{
	return c->addr;
}

bool
irc_client_is_tls(const struct irc_client *c)
{
	return c->tls;
}

bool
irc_client_has_cap(const struct irc_client *c, enum irc_cap_id id)
{
	return irc_cap_has(&c->cap, id);
}

size_t
irc_client_get_queued(const struct irc_client *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev));
}

void
irc_client_set_data(struct irc_client *c, void *data)
{
	c->data = data;
}

void *
irc_client_get_data(const struct irc_client *c)
{
	return c->data;
}

void
irc_client_set_nick(struct irc_client *c, const char *nick, const char *user,
    const char *host)
{
	struct irc_msg m;

	if (c == NULL || nick == NULL || *nick == '\0' || *nick == ':' ||
	    strpbrk(nick, " ,\r\n") != NULL) {
		log_warnx("%s: cannot use '%.64s' as a nick",
		    c != NULL ? c->tag : "irc", nick != NULL ? nick : "");
		return;
	}
	if (c->nick != NULL && strcmp(c->nick, nick) != 0) {
		irc_msg_init(&m);
		irc_msg_set_source(&m, c->nick, user, host);
		irc_msg_set_command(&m, "NICK");
		irc_msg_add_param(&m, nick);
		irc_client_send(c, &m);
		irc_msg_release(&m);
	}
	free(c->nick);
	c->nick = xstrdup(nick);
	if (user != NULL) {
		free(c->ident);
		c->ident = xstrdup(user);
	}
	if (host != NULL) {
		free(c->host);
		c->host = xstrdup(host);
	}
}
