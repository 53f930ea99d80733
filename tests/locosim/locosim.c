/* locoirc: see LICENSE.
 *
 * The simulator object: listeners, sessions, the one path every response
 * and push takes (where faults apply), fan-out to the sessions of chat
 * members, and the public API that tests and the control socket use to act
 * as other users and to misbehave on purpose.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <openssl/ssl.h>

#include "log.h"
#include "loco-bson.h"
#include "loco-chat.h"
#include "loco-msg.h"
#include "loco-msgtype.h"
#include "locosim-internal.h"
#include "xmalloc.h"

/* A response waiting out the delay fault. */
struct locosim_delayed {
	TAILQ_ENTRY(locosim_delayed) entry;
	struct locosim *sim;
	struct locosim_held *h; /* owned */
	struct event *ev;       /* owned */
};

static void locosim_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg);
static void locosim_accept_error_cb(struct evconnlistener *l, void *arg);
static void locosim_packet_cb(struct loco_conn *conn,
    const struct loco_packet *pkt, void *arg);
static void locosim_closed_cb(struct loco_conn *conn,
    const struct loco_error *err, void *arg);
static void locosim_delay_cb(evutil_socket_t fd, short what, void *arg);
static int locosim_listen(struct locosim *sim, enum locosim_listener which,
    struct loco_error *err);
static void session_send(struct locosim_session *s, struct locosim_held *h);
static void session_free(struct locosim_session *s);
static struct locosim_held *held_new(unsigned session, uint32_t id, bool push,
    const char *method, const bson_t *body);
static void held_free(struct locosim_held *h);
static void count_request(struct locosim *sim, const char *method);

void
locosim_opts_init(struct locosim_opts *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->cipher = LOCO_CIPHER_GCM;
}

static struct locosim_held *
held_new(unsigned session, uint32_t id, bool push, const char *method,
    const bson_t *body)
{
	struct locosim_held *h = xcalloc(1, sizeof *h);

	h->session = session;
	h->id = id;
	h->push = push;
	snprintf(h->method, sizeof h->method, "%s", method);
	h->body = body ? bson_copy(body) : bson_new();
	return h;
}

static void
held_free(struct locosim_held *h)
{
	if (h == NULL)
		return;
	bson_destroy(h->body);
	free(h);
}

struct locosim_session *
locosim_session_find(struct locosim *sim, unsigned serial)
{
	struct locosim_session *s;

	TAILQ_FOREACH(s, &sim->sessions, entry)
		if (s->serial == serial)
			return s;
	return NULL;
}

/* The last step of every packet we send: stall and corruption apply here. */
static void
session_send(struct locosim_session *s, struct locosim_held *h)
{
	struct loco_error err;
	int r;

	if (s->conn == NULL) {
		held_free(h);
		return;
	}
	if (s->stalled) {
		TAILQ_INSERT_TAIL(&s->held, h, entry);
		return;
	}
	if (s->corrupt_next) {
		s->corrupt_next = false;
		loco_conn_corrupt_next_frame(s->conn);
	}
	if (h->push)
		r = loco_conn_push(s->conn, h->method, h->body, NULL, &err);
	else
		r = loco_conn_reply(s->conn, h->id, h->method, h->body, &err);
	if (r != 0)
		log_debug("%s: cannot send %s to session %u: %s", __func__,
		    h->method, s->serial, err.msg);
	held_free(h);
}

static void
locosim_delay_cb(evutil_socket_t fd, short what, void *arg)
{
	struct locosim_delayed *d = arg;
	struct locosim_session *s = locosim_session_find(d->sim, d->h->session);

	(void)fd;
	(void)what;
	TAILQ_REMOVE(&d->sim->delayed, d, entry);
	event_free(d->ev);
	if (s != NULL) {
		s->deferred--;
		session_send(s, d->h);
		locosim_session_settle(s);
	} else
		held_free(d->h);
	free(d);
}

/*
 * A close asked for while output was held back (stall, delay, reorder)
 * waits until that output is gone: flush before close holds under faults
 * too. May free s.
 */
void
locosim_session_settle(struct locosim_session *s)
{
	if (s->close_pending && s->conn != NULL && !s->stalled &&
	    s->deferred == 0 && TAILQ_EMPTY(&s->held))
		loco_conn_close(s->conn);
}

void
locosim_session_release_held(struct locosim_session *s)
{
	struct locosim_held *h;
	struct loco_error err;

	if (s->conn == NULL || s->stalled)
		return;
	/* The backlog leaves as one burst, coalesced like an action's. */
	if (!s->sim->opts.no_coalesce)
		loco_conn_cork(s->conn);
	while (s->conn != NULL && !s->stalled &&
	    (h = TAILQ_FIRST(&s->held)) != NULL) {
		TAILQ_REMOVE(&s->held, h, entry);
		session_send(s, h);
	}
	if (s->conn != NULL && !s->sim->opts.no_coalesce)
		(void)loco_conn_uncork(s->conn, &err);
	locosim_session_settle(s);
}

void
locosim_respond(struct locosim_session *s, uint32_t id, const char *method,
    const bson_t *body)
{
	struct locosim *sim = s->sim;
	struct locosim_held *h;
	bson_iter_t it;

	h = held_new(s->serial, id, false, method, body);
	/* Every response carries a status (LOCO.md decision 12). */
	if (!bson_iter_init_find(&it, h->body, "status"))
		BSON_APPEND_INT32(h->body, "status", 0);
	if (sim->reorder_left > 0) {
		TAILQ_INSERT_HEAD(&sim->reorder, h, entry);
		s->deferred++;
		if (--sim->reorder_left > 0)
			return;
		/* Release the held ones, newest first. */
		while ((h = TAILQ_FIRST(&sim->reorder)) != NULL) {
			struct locosim_session *t;

			TAILQ_REMOVE(&sim->reorder, h, entry);
			if ((t = locosim_session_find(sim, h->session)) !=
			    NULL) {
				t->deferred--;
				session_send(t, h);
				locosim_session_settle(t);
			} else
				held_free(h);
		}
		return;
	}
	if (sim->response_delay_ms > 0) {
		struct locosim_delayed *d = xcalloc(1, sizeof *d);
		struct timeval tv;

		d->sim = sim;
		d->h = h;
		d->ev = evtimer_new(sim->base, locosim_delay_cb, d);
		tv.tv_sec = sim->response_delay_ms / 1000;
		tv.tv_usec = (sim->response_delay_ms % 1000) * 1000;
		TAILQ_INSERT_TAIL(&sim->delayed, d, entry);
		s->deferred++;
		evtimer_add(d->ev, &tv);
		return;
	}
	session_send(s, h);
}

void
locosim_respond_status(struct locosim_session *s, uint32_t id,
    const char *method, int32_t status)
{
	bson_t body;

	bson_init(&body);
	BSON_APPEND_INT32(&body, "status", status);
	locosim_respond(s, id, method, &body);
	bson_destroy(&body);
}

void
locosim_push(struct locosim_session *s, const char *method, const bson_t *body)
{
	session_send(s, held_new(s->serial, 0, true, method, body));
}

void
locosim_push_user(struct locosim *sim, int64_t user, unsigned skip,
    const char *method, const bson_t *body)
{
	struct locosim_session *s, *next;

	/* A push may close a session (a write error), hence the _SAFE walk. */
	for (s = TAILQ_FIRST(&sim->sessions); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		if (s->kind == LOCOSIM_KIND_CHAT && s->user_id == user &&
		    s->serial != skip && s->conn != NULL)
			locosim_push(s, method, body);
	}
}

void
locosim_push_chat(struct locosim *sim, const struct locosim_chat *chat,
    unsigned skip, const char *method, const bson_t *body)
{
	size_t i;

	for (i = 0; i < chat->n_members; i++)
		locosim_push_user(sim, chat->members[i].user_id, skip, method,
		    body);
}

void
locosim_cork_all(struct locosim *sim)
{
	struct locosim_session *s;

	if (sim->opts.no_coalesce)
		return;
	TAILQ_FOREACH(s, &sim->sessions, entry)
		if (s->kind == LOCOSIM_KIND_CHAT && s->conn != NULL)
			loco_conn_cork(s->conn);
}

void
locosim_uncork_all(struct locosim *sim)
{
	struct locosim_session *s, *next;
	struct loco_error err;

	if (sim->opts.no_coalesce)
		return;
	for (s = TAILQ_FIRST(&sim->sessions); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		if (s->kind == LOCOSIM_KIND_CHAT && s->conn != NULL)
			(void)loco_conn_uncork(s->conn, &err);
	}
}

void
locosim_deliver(struct locosim *sim, struct locosim_chat *chat,
    const struct loco_chatlog *cl, unsigned skip)
{
	struct loco_msg_push msg;
	struct locosim_user *u;
	bool open =
	    strcmp(chat->type, "OM") == 0 || strcmp(chat->type, "OD") == 0;
	bson_t body;

	memset(&msg, 0, sizeof msg);
	msg.chat_id = chat->id;
	msg.log_id = cl->log_id;
	loco_chatlog_copy(&msg.chatlog, cl);
	msg.no_seen = false;
	/* Nicknames ride along only in open chats (LOCO.md 2.1). */
	if (open) {
		msg.li = chat->link_id;
		if ((u = locosim_world_user(sim->world, cl->author_id)) != NULL)
			msg.author_nickname = xstrdup(u->nickname);
	}
	bson_init(&body);
	loco_msg_push_encode(&msg, &body);
	locosim_push_chat(sim, chat, skip, "MSG", &body);
	bson_destroy(&body);
	loco_msg_push_release(&msg);
}

void
locosim_session_close(struct locosim_session *s)
{
	if (s->conn == NULL)
		return;
	s->close_pending = true;
	/* Closes now unless output is held back; the closed callback frees s. */
	locosim_session_settle(s);
}

static void
session_free(struct locosim_session *s)
{
	struct locosim_held *h;

	TAILQ_REMOVE(&s->sim->sessions, s, entry);
	while ((h = TAILQ_FIRST(&s->held)) != NULL) {
		TAILQ_REMOVE(&s->held, h, entry);
		held_free(h);
	}
	if (s->upload != NULL) {
		free(s->upload->key);
		free(s->upload->checksum);
		free(s->upload->ext);
		free(s->upload);
	}
	free(s->upload_data);
	free(s->duuid);
	free(s);
}

static void
count_request(struct locosim *sim, const char *method)
{
	size_t i;

	for (i = 0; i < sim->n_counts; i++)
		if (strcmp(sim->counts[i].method, method) == 0) {
			sim->counts[i].count++;
			return;
		}
	sim->counts =
	    xreallocarray(sim->counts, sim->n_counts + 1, sizeof *sim->counts);
	snprintf(sim->counts[sim->n_counts].method,
	    sizeof sim->counts[0].method, "%s", method);
	sim->counts[sim->n_counts++].count = 1;
}

static void
locosim_packet_cb(struct loco_conn *conn, const struct loco_packet *pkt,
    void *arg)
{
	struct locosim_session *s = arg;

	(void)conn;
	count_request(s->sim, pkt->hdr.method);
	switch (s->kind) {
	case LOCOSIM_KIND_BOOKING:
	case LOCOSIM_KIND_CHECKIN:
		locosim_boot_packet(s, pkt);
		break;
	case LOCOSIM_KIND_CHAT:
		locosim_chat_packet(s, pkt);
		break;
	case LOCOSIM_KIND_MEDIA:
		locosim_media_packet(s, pkt);
		break;
	}
}

static void
locosim_closed_cb(struct loco_conn *conn, const struct loco_error *err,
    void *arg)
{
	struct locosim_session *s = arg;

	(void)conn;
	if (err != NULL && err->code != LOCO_ERR_NONE)
		log_debug("locosim: session %u (user %lld) ended: %s",
		    s->serial, (long long)s->user_id, err->msg);
	s->conn = NULL;
	session_free(s);
}

static void
locosim_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct locosim *sim = arg;
	struct locosim_session *s;
	struct loco_conn_opts opts;
	struct loco_conn_cbs cbs;
	struct loco_error err;
	enum locosim_kind kind;
	char tag[32];
	int i;

	(void)sa;
	(void)salen;
	for (i = 0; i < LOCOSIM_NLISTENERS; i++)
		if (sim->listeners[i] == l)
			break;
	switch (i) {
	case LOCOSIM_BOOKING:
		kind = LOCOSIM_KIND_BOOKING;
		break;
	case LOCOSIM_CHECKIN:
		kind = LOCOSIM_KIND_CHECKIN;
		break;
	case LOCOSIM_CHAT:
		kind = LOCOSIM_KIND_CHAT;
		break;
	case LOCOSIM_MEDIA:
		kind = LOCOSIM_KIND_MEDIA;
		break;
	default:
		evutil_closesocket(fd);
		return;
	}
	loco_conn_opts_init(&opts);
	if (kind == LOCOSIM_KIND_BOOKING) {
		opts.transport = LOCO_CONN_TLS;
		opts.ssl_ctx = sim->tls;
	} else {
		opts.transport = LOCO_CONN_SECURE;
		opts.key = sim->rsa;
		opts.cipher = sim->opts.cipher;
	}
	/* Split large responses across frames, as the real server does. */
	opts.max_plain =
	    sim->opts.frame_plain_max ? sim->opts.frame_plain_max : 4096;
	s = xcalloc(1, sizeof *s);
	s->sim = sim;
	s->kind = kind;
	s->serial = ++sim->next_serial;
	TAILQ_INIT(&s->held);
	snprintf(tag, sizeof tag, "sim#%u", s->serial);
	opts.tag = tag;
	memset(&cbs, 0, sizeof cbs);
	cbs.packet = locosim_packet_cb;
	cbs.closed = locosim_closed_cb;
	TAILQ_INSERT_TAIL(&sim->sessions, s, entry);
	s->conn = loco_conn_accept(sim->base, fd, &opts, &cbs, s, &err);
	if (s->conn == NULL) {
		log_warnx("locosim: cannot accept: %s", err.msg);
		session_free(s);
	}
}

static void
locosim_accept_error_cb(struct evconnlistener *l, void *arg)
{
	(void)arg;
	log_warn("locosim: accept failed");
	/* Out of descriptors: pause rather than spin. */
	if (errno == EMFILE || errno == ENFILE)
		evconnlistener_disable(l);
}

static int
locosim_listen(struct locosim *sim, enum locosim_listener which,
    struct loco_error *err)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	socklen_t len = sizeof ss;
	char spec[128];
	int sslen = sizeof ss;
	evutil_socket_t fd;

	memset(&ss, 0, sizeof ss);
	/* libevent's parser refuses an explicit port 0: leave it out. */
	if (sim->opts.ports[which] == 0)
		snprintf(spec, sizeof spec, "%s", sim->listen_host);
	else
		snprintf(spec, sizeof spec,
		    strchr(sim->listen_host, ':') != NULL ? "[%s]:%u" : "%s:%u",
		    sim->listen_host, sim->opts.ports[which]);
	if (evutil_parse_sockaddr_port(spec, (struct sockaddr *)&ss, &sslen) !=
	    0) {
		loco_error_set(err, LOCO_ERR_CONFIG,
		    "cannot parse listen address '%s'", spec);
		return -1;
	}
	sim->listeners[which] = evconnlistener_new_bind(sim->base,
	    locosim_accept_cb, sim,
	    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
	    -1, (struct sockaddr *)&ss, sslen);
	if (sim->listeners[which] == NULL) {
		loco_error_set(err, LOCO_ERR_IO, "cannot listen on %s: %s",
		    spec, strerror(errno));
		return -1;
	}
	evconnlistener_set_error_cb(sim->listeners[which],
	    locosim_accept_error_cb);
	fd = evconnlistener_get_fd(sim->listeners[which]);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		loco_error_set(err, LOCO_ERR_IO, "getsockname: %s",
		    strerror(errno));
		return -1;
	}
	sim->ports[which] = ntohs(ss.ss_family == AF_INET6
	        ? ((struct sockaddr_in6 *)&ss)->sin6_port
	        : sin->sin_port);
	return 0;
}

struct locosim *
locosim_new(struct event_base *base, const struct locosim_opts *opts,
    struct loco_error *err)
{
	struct locosim *sim = xcalloc(1, sizeof *sim);
	int i;

	sim->base = base;
	sim->opts = *opts;
	sim->opts.world_path = NULL;
	sim->opts.world_json = NULL;
	sim->save_path = opts->save_path ? xstrdup(opts->save_path) : NULL;
	sim->listen_host =
	    xstrdup(opts->listen_host ? opts->listen_host : "127.0.0.1");
	sim->opts.save_path = sim->save_path;
	sim->opts.listen_host = sim->listen_host;
	sim->opts.rsa_key_path = NULL;
	sim->opts.tls_cert_path = NULL;
	sim->opts.tls_key_path = NULL;
	if (sim->opts.chat_page_size == 0)
		sim->opts.chat_page_size = 2;
	if (sim->opts.ping_interval == 0)
		sim->opts.ping_interval = 60;
	sim->response_delay_ms = opts->response_delay_ms;
	TAILQ_INIT(&sim->sessions);
	TAILQ_INIT(&sim->reorder);
	TAILQ_INIT(&sim->delayed);
	TAILQ_INIT(&sim->uploads);
	TAILQ_INIT(&sim->files);

	if (opts->world_json != NULL)
		sim->world = locosim_world_from_json(opts->world_json,
		    strlen(opts->world_json), err);
	else if (opts->world_path != NULL)
		sim->world = locosim_world_load(opts->world_path, err);
	else
		loco_error_set(err, LOCO_ERR_CONFIG, "no world given");
	if (sim->world == NULL)
		goto fail;
	if ((sim->rsa = locosim_tls_load_or_make_rsa(opts->rsa_key_path,
	         err)) == NULL)
		goto fail;
	if ((sim->tls = locosim_tls_server_ctx(opts->tls_cert_path,
	         opts->tls_key_path, &sim->tls_cert_pem, err)) == NULL)
		goto fail;
	for (i = LOCOSIM_BOOKING; i <= LOCOSIM_MEDIA; i++)
		if (locosim_listen(sim, (enum locosim_listener)i, err) != 0)
			goto fail;
	if (locosim_http_start(sim, err) != 0)
		goto fail;
	if (!opts->no_control &&
	    (sim->control = locosim_control_new(sim, err)) == NULL)
		goto fail;
	snprintf(sim->ready, sizeof sim->ready,
	    "READY booking=%u checkin=%u chat=%u media=%u http=%u control=%u",
	    sim->ports[LOCOSIM_BOOKING], sim->ports[LOCOSIM_CHECKIN],
	    sim->ports[LOCOSIM_CHAT], sim->ports[LOCOSIM_MEDIA],
	    sim->ports[LOCOSIM_HTTP], sim->ports[LOCOSIM_CONTROL]);
	return sim;
fail:
	locosim_free(sim);
	return NULL;
}

void
locosim_free(struct locosim *sim)
{
	struct locosim_session *s;
	struct locosim_held *h;
	struct locosim_delayed *d;
	struct locosim_upload *u;
	struct locosim_file *f;
	struct loco_error err;
	size_t i;
	int l;

	if (sim == NULL)
		return;
	locosim_control_free(sim->control);
	locosim_http_stop(sim);
	for (l = 0; l < LOCOSIM_NLISTENERS; l++)
		if (sim->listeners[l] != NULL)
			evconnlistener_free(sim->listeners[l]);
	/* Closing runs the closed callback, which frees the session. */
	while ((s = TAILQ_FIRST(&sim->sessions)) != NULL) {
		if (s->conn != NULL)
			loco_conn_abort(s->conn);
		else
			session_free(s);
	}
	while ((h = TAILQ_FIRST(&sim->reorder)) != NULL) {
		TAILQ_REMOVE(&sim->reorder, h, entry);
		held_free(h);
	}
	while ((d = TAILQ_FIRST(&sim->delayed)) != NULL) {
		TAILQ_REMOVE(&sim->delayed, d, entry);
		event_free(d->ev);
		held_free(d->h);
		free(d);
	}
	while ((u = TAILQ_FIRST(&sim->uploads)) != NULL) {
		TAILQ_REMOVE(&sim->uploads, u, entry);
		free(u->key);
		free(u->checksum);
		free(u->ext);
		free(u);
	}
	while ((f = TAILQ_FIRST(&sim->files)) != NULL) {
		TAILQ_REMOVE(&sim->files, f, entry);
		free(f->key);
		free(f->mime);
		free(f->data);
		free(f);
	}
	if (sim->world != NULL && sim->save_path != NULL &&
	    locosim_world_save(sim->world, sim->save_path, &err) != 0)
		log_warnx("locosim: cannot save the world: %s", err.msg);
	locosim_world_free(sim->world);
	for (i = 0; i < sim->n_writes; i++) {
		free(sim->writes[i].text);
		free(sim->writes[i].extra);
	}
	free(sim->writes);
	free(sim->counts);
	EVP_PKEY_free(sim->rsa);
	SSL_CTX_free(sim->tls);
	free(sim->tls_cert_pem);
	free(sim->save_path);
	free(sim->listen_host);
	free(sim);
}

uint16_t
locosim_port(const struct locosim *sim, enum locosim_listener which)
{
	return which < LOCOSIM_NLISTENERS ? sim->ports[which] : 0;
}

EVP_PKEY *
locosim_public_key(const struct locosim *sim)
{
	return sim->rsa;
}

const char *
locosim_tls_cert_pem(const struct locosim *sim)
{
	return sim->tls_cert_pem;
}

struct locosim_world *
locosim_world(struct locosim *sim)
{
	return sim->world;
}

const char *
locosim_ready_line(const struct locosim *sim)
{
	return sim->ready;
}

size_t
locosim_write_count(const struct locosim *sim)
{
	return sim->n_writes;
}

const struct locosim_write *
locosim_write_get(const struct locosim *sim, size_t nth)
{
	return nth < sim->n_writes ? &sim->writes[nth] : NULL;
}

size_t
locosim_session_count(const struct locosim *sim, int64_t user)
{
	const struct locosim_session *s;
	size_t n = 0;

	TAILQ_FOREACH(s, &sim->sessions, entry)
		if (s->kind == LOCOSIM_KIND_CHAT && s->conn != NULL &&
		    s->user_id != 0 && (user == 0 || s->user_id == user))
			n++;
	return n;
}

size_t
locosim_request_count(const struct locosim *sim, const char *method)
{
	size_t i;

	for (i = 0; i < sim->n_counts; i++)
		if (strcmp(sim->counts[i].method, method) == 0)
			return sim->counts[i].count;
	return 0;
}
