/* locoirc: see LICENSE.
 *
 * The wiring of locoircd: one event base and one DNS base, the SQLite store,
 * and the LOCO engine whose every callback lands in the store. Signals stop
 * (engine, then store) or reload the configuration (a new struct, swapped
 * only when valid; the engine restarts only if its part changed). This file
 * knows no wire format: it joins protocol/ and gateway/ through their APIs.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bson/bson.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <sqlite3.h>

#include "bridge-names.h"
#include "bridge.h"
#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "loco-engine.h"
#include "loco-error.h"
#include "passwd.h"
#include "store.h"
#include "xmalloc.h"

/* The READY line: "READY irc=HOST:PORT[,...] [ircs=HOST:PORT[,...]]". */
#define DAEMON_READY_MAX 2048
/* The store setting that keeps the account's nick stable across starts. */
#define DAEMON_NICK_SETTING "own_nick"
/* The nick when neither the config nor the account says one. */
#define DAEMON_NICK_DEFAULT "me"
/* Rounds of the loop allowed to run deferred frees after shutdown. */
#define DAEMON_DRAIN_ROUNDS 100
/* Longest engine detail we log (escaped). */
#define DAEMON_DETAIL_MAX 256

/* The daemon's state; one per process, passed to every callback. */
struct daemon {
	struct event_base *base; /* owned */
	struct evdns_base *dns;  /* owned; NULL if resolving is off */
	struct conf *conf;       /* owned; replaced on reload */
	const char *conf_path;   /* borrowed from the options */
	enum log_level cli_level;
	struct store *store;          /* owned */
	char *store_path;             /* owned; where the open store is */
	struct loco_engine *engine;   /* owned; NULL when not running */
	struct bridge *bridge;        /* owned: the IRC side */
	SSL_CTX *irc_tls;             /* owned; NULL without tls_listen */
	char ready[DAEMON_READY_MAX]; /* the READY line */
	/* The last password that verified, as SHA-256(pepper || password),
	 * and the hash line it verified against: PBKDF2 is slow on purpose,
	 * and a client that reconnects should not stall everyone else. */
	unsigned char pw_pepper[32];
	unsigned char pw_ok[32];
	char *pw_ok_for; /* owned copy of conf->irc_password; NULL: none */
	SSL_CTX *tls;    /* owned; borrowed by the engine */
	EVP_PKEY *rsa;   /* a reference; borrowed by the engine */
	struct event *ev_term;        /* owned */
	struct event *ev_int;         /* owned */
	struct event *ev_hup;         /* owned */
	enum loco_engine_state state; /* as last reported */
	char last_detail[DAEMON_DETAIL_MAX];
	bool failed; /* the store failed: stop, exit 1 */
};

static void daemon_signal_cb(evutil_socket_t sig, short what, void *arg);
static void daemon_store_fail_cb(struct store *st, void *arg);
static void daemon_state_cb(struct loco_engine *e, enum loco_engine_state state,
    enum loco_engine_stop why, const char *detail, void *arg);
static void daemon_login_state_cb(struct loco_engine *e,
    const struct loco_login_state *ls, void *arg);
static void daemon_chat_cb(struct loco_engine *e,
    const struct loco_engine_chat *c, void *arg);
static void daemon_chat_gone_cb(struct loco_engine *e, int64_t chat_id,
    void *arg);
static void daemon_members_cb(struct loco_engine *e, int64_t chat_id,
    const struct loco_member *m, size_t n, void *arg);
static void daemon_member_joined_cb(struct loco_engine *e, int64_t chat_id,
    int64_t user_id, const char *nickname, void *arg);
static void daemon_member_left_cb(struct loco_engine *e, int64_t chat_id,
    int64_t user_id, const char *nickname, void *arg);
static void daemon_message_cb(struct loco_engine *e,
    const struct loco_chatlog *cl, const char *nickname, void *arg);
static void daemon_deleted_cb(struct loco_engine *e, int64_t chat_id,
    int64_t log_id, void *arg);
static void daemon_reaction_cb(struct loco_engine *e, int64_t chat_id,
    int64_t log_id, int64_t user_id, int32_t type, void *arg);
static void daemon_read_cb(struct loco_engine *e, int64_t chat_id,
    int64_t user_id, int64_t watermark, void *arg);
static bool daemon_refresh_token_cb(struct loco_engine *e, void *arg);

/* The engine's callbacks: everything it reports goes to the store. */
static const struct loco_engine_cbs daemon_engine_cbs = {
    .state = daemon_state_cb,
    .login_state = daemon_login_state_cb,
    .chat = daemon_chat_cb,
    .chat_gone = daemon_chat_gone_cb,
    .members = daemon_members_cb,
    .member_joined = daemon_member_joined_cb,
    .member_left = daemon_member_left_cb,
    .message = daemon_message_cb,
    .deleted = daemon_deleted_cb,
    .reaction = daemon_reaction_cb,
    .read = daemon_read_cb,
    .refresh_token = daemon_refresh_token_cb,
};

/*
 * What the operator should do after each terminal stop (LOCO.md section 3
 * and decision 10), indexed by enum loco_engine_stop.
 */
static const char *const daemon_stop_advice[] = {
    [LOCO_ENGINE_STOP_NONE] = NULL,
    [LOCO_ENGINE_STOP_REQUESTED] = NULL,
    [LOCO_ENGINE_STOP_KICKED] =
        "the server logged this gateway out: another device took its "
        "login slot, or the account is gone. locoircd stays offline so "
        "that the two devices do not keep kicking each other out; send "
        "SIGHUP or restart it to log in again",
    [LOCO_ENGINE_STOP_TOKEN] =
        "the server refused the access token. Put a fresh token in "
        "[account] access_token or access_token_file, then send SIGHUP",
    [LOCO_ENGINE_STOP_UPGRADE] =
        "the server wants a newer client. Raise [account] app_version "
        "(see locoircd.conf(5)), then send SIGHUP",
    [LOCO_ENGINE_STOP_RESTRICTED] =
        "the server has restricted or blocked this account or address. "
        "Check the account in the KakaoTalk app; send SIGHUP to try again",
};

/* The level to log at: the file's, raised to the command line's floor. */
enum log_level
daemon_log_level(const struct conf *conf, enum log_level cli_level)
{
	return conf->log_level > cli_level ? conf->log_level : cli_level;
}

/* The first OpenSSL error as text (the queue is cleared). */
static const char *
daemon_ssl_error(char *buf, size_t len)
{
	unsigned long e = ERR_get_error();

	if (e == 0)
		snprintf(buf, len, "unknown error");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

/*
 * The TLS context for booking: peer verification against booking_ca or
 * OpenSSL's default paths, TLS 1.2 or newer. NULL after logging.
 */
static SSL_CTX *
daemon_tls_new(const struct conf *c)
{
	SSL_CTX *ctx;
	char why[256];

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		log_warnx("cannot create a TLS context: %s",
		    daemon_ssl_error(why, sizeof why));
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (c->booking_ca != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, c->booking_ca, NULL) !=
		    1) {
			log_warnx("cannot load CA file '%s': %s", c->booking_ca,
			    daemon_ssl_error(why, sizeof why));
			goto fail;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		log_warnx("cannot load the system CA store: %s",
		    daemon_ssl_error(why, sizeof why));
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* Fill the engine's configuration from c (strings borrowed). */
static void
daemon_engine_config(const struct daemon *d, const struct conf *c,
    struct loco_engine_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->user_id = c->user_id;
	cfg->access_token = c->access_token;
	cfg->device_uuid = c->device_uuid;
	cfg->os = c->os;
	cfg->app_version = c->app_version;
	cfg->dtype = (int32_t)c->dtype;
	cfg->ntype = (int32_t)c->ntype;
	cfg->mccmnc = c->mccmnc;
	cfg->lang = c->lang;
	cfg->country_iso = c->country_iso;
	cfg->booking_host = c->booking_host;
	cfg->booking_port = (uint16_t)c->booking_port;
	cfg->booking_tls = d->tls;
	cfg->checkin_fallback_host = c->checkin_host;
	cfg->checkin_fallback_port = (uint16_t)c->checkin_port;
	cfg->rsa_public = d->rsa;
	cfg->key_encrypt_type = (uint32_t)c->key_encrypt_type;
	cfg->cipher = c->encrypt_type == 2 ? LOCO_CIPHER_CFB : LOCO_CIPHER_GCM;
	cfg->ping_interval = (unsigned)c->ping_interval;
}

/* Stop and free the engine and what it borrowed; no callback follows. */
static void
daemon_engine_stop(struct daemon *d)
{
	if (d->engine != NULL) {
		loco_engine_stop(d->engine);
		loco_engine_free(d->engine);
		d->engine = NULL;
	}
	if (d->bridge != NULL)
		bridge_set_engine(d->bridge, NULL);
	SSL_CTX_free(d->tls);
	d->tls = NULL;
	EVP_PKEY_free(d->rsa);
	d->rsa = NULL;
}

/*
 * Create the engine from the current configuration and the store's saved
 * login state and cursors, and start it. -1 after logging.
 */
static int
daemon_engine_start(struct daemon *d)
{
	struct loco_engine_config cfg;
	struct loco_login_state ls;
	struct loco_cursor *cursors = NULL;
	struct loco_error err;
	size_t n = 0;

	memset(&ls, 0, sizeof ls);
	if (store_get_login_state(d->store, &ls) != 0 ||
	    store_get_cursors(d->store, &cursors, &n) != 0) {
		free(cursors);
		return -1;
	}
	if ((d->tls = daemon_tls_new(d->conf)) == NULL) {
		free(cursors);
		return -1;
	}
	EVP_PKEY_up_ref(d->conf->rsa_key);
	d->rsa = d->conf->rsa_key;
	daemon_engine_config(d, d->conf, &cfg);
	d->engine = loco_engine_new(d->base, d->dns, &cfg, &ls, cursors, n,
	    &daemon_engine_cbs, d, &err);
	free(cursors);
	if (d->engine == NULL) {
		log_warnx("cannot create the LOCO engine: %s", err.msg);
		daemon_engine_stop(d);
		return -1;
	}
	log_info("account %" PRId64 " as %s %s via %s:%" PRId64 "; %zu chats "
	         "in the store",
	    d->conf->user_id, d->conf->os, d->conf->app_version,
	    d->conf->booking_host, d->conf->booking_port, n);
	d->state = LOCO_ENGINE_IDLE;
	d->last_detail[0] = '\0';
	if (d->bridge != NULL)
		bridge_set_engine(d->bridge, d->engine);
	loco_engine_start(d->engine);
	return 0;
}

/* The store failed: stop taking events and leave the loop (exit 1). */
static void
daemon_store_failed(struct daemon *d, const char *what)
{
	if (d->failed)
		return;
	d->failed = true;
	log_warnx("cannot store %s; stopping so that nothing is lost "
	          "(the next start fetches it again)",
	    what);
	event_base_loopbreak(d->base);
}

/* The store lost a batch (e.g. a commit failed from its timer). */
static void
daemon_store_fail_cb(struct store *st, void *arg)
{
	(void)st;
	daemon_store_failed(arg, "a batch of events");
}

/* The engine changed state: log it once; a terminal stop says why. */
static void
daemon_state_cb(struct loco_engine *e, enum loco_engine_state state,
    enum loco_engine_stop why, const char *detail, void *arg)
{
	struct daemon *d = arg;
	char esc[DAEMON_DETAIL_MAX];

	(void)e;
	log_escape(esc, sizeof esc, detail != NULL ? detail : "",
	    detail != NULL ? strlen(detail) : 0);
	if (state == d->state && strcmp(esc, d->last_detail) == 0)
		return;
	if (d->bridge != NULL)
		bridge_on_state(d->bridge, state, why, detail);
	d->state = state;
	memcpy(d->last_detail, esc, sizeof esc);
	if (state != LOCO_ENGINE_STOPPED || why == LOCO_ENGINE_STOP_REQUESTED ||
	    why == LOCO_ENGINE_STOP_NONE) {
		log_info("loco: %s%s%s", loco_engine_state_name(state),
		    esc[0] != '\0' ? ": " : "", esc);
		return;
	}
	log_warnx("loco: %s%s%s", loco_engine_state_name(state),
	    esc[0] != '\0' ? ": " : "", esc);
	if ((size_t)why <
	        sizeof daemon_stop_advice / sizeof daemon_stop_advice[0] &&
	    daemon_stop_advice[why] != NULL)
		log_warnx("%s", daemon_stop_advice[why]);
}

/* New login state (revision, lastTokenId, lbk) for the next login. */
static void
daemon_login_state_cb(struct loco_engine *e, const struct loco_login_state *ls,
    void *arg)
{
	struct daemon *d = arg;

	(void)e;
	if (!d->failed && store_set_login_state(d->store, ls) != 0)
		daemon_store_failed(d, "the login state");
}

/* A chat is new or changed. */
static void
daemon_chat_cb(struct loco_engine *e, const struct loco_engine_chat *c,
    void *arg)
{
	struct daemon *d = arg;

	(void)e;
	if (!d->failed && store_put_chat(d->store, c) != 0)
		daemon_store_failed(d, "a chat");
	else if (!d->failed)
		bridge_on_chat(d->bridge, c);
}

/* This account left a chat or lost it. */
static void
daemon_chat_gone_cb(struct loco_engine *e, int64_t chat_id, void *arg)
{
	struct daemon *d = arg;

	(void)e;
	if (!d->failed && store_chat_gone(d->store, chat_id) != 0)
		daemon_store_failed(d, "a chat's departure");
	else if (!d->failed)
		bridge_on_chat_gone(d->bridge, chat_id);
}

/* A chat's full member list. */
static void
daemon_members_cb(struct loco_engine *e, int64_t chat_id,
    const struct loco_member *m, size_t n, void *arg)
{
	struct daemon *d = arg;

	(void)e;
	if (!d->failed && store_set_members(d->store, chat_id, m, n) != 0)
		daemon_store_failed(d, "a member list");
	else if (!d->failed)
		bridge_on_members(d->bridge, chat_id, m, n);
}

/* One member joined a chat. */
static void
daemon_member_joined_cb(struct loco_engine *e, int64_t chat_id, int64_t user_id,
    const char *nickname, void *arg)
{
	struct daemon *d = arg;

	(void)e;
	if (!d->failed &&
	    store_add_member(d->store, chat_id, user_id, nickname) != 0)
		daemon_store_failed(d, "a new member");
	else if (!d->failed)
		bridge_on_member_joined(d->bridge, chat_id, user_id, nickname);
}

/* One member left a chat. */
static void
daemon_member_left_cb(struct loco_engine *e, int64_t chat_id, int64_t user_id,
    const char *nickname, void *arg)
{
	struct daemon *d = arg;

	(void)e;
	(void)nickname;
	if (!d->failed && store_remove_member(d->store, chat_id, user_id) != 0)
		daemon_store_failed(d, "a member's departure");
	else if (!d->failed)
		bridge_on_member_left(d->bridge, chat_id, user_id);
}

/*
 * A message above its chat's cursor: the store keeps it and moves the
 * cursor in the same transaction. The author's open-chat nickname is not
 * kept here: authors of old messages need not be members any more.
 */
static void
daemon_message_cb(struct loco_engine *e, const struct loco_chatlog *cl,
    const char *nickname, void *arg)
{
	struct daemon *d = arg;

	(void)e;
	if (!d->failed && store_add_message(d->store, cl) != 0)
		daemon_store_failed(d, "a message");
	else if (!d->failed)
		bridge_on_message(d->bridge, cl, nickname);
}

/* A message was deleted for everyone. */
static void
daemon_deleted_cb(struct loco_engine *e, int64_t chat_id, int64_t log_id,
    void *arg)
{
	struct daemon *d = arg;

	(void)e;
	if (!d->failed && store_mark_deleted(d->store, chat_id, log_id) != 0)
		daemon_store_failed(d, "a deletion");
	else if (!d->failed)
		bridge_on_deleted(d->bridge, chat_id, log_id);
}

/* Someone reacted to a message. */
static void
daemon_reaction_cb(struct loco_engine *e, int64_t chat_id, int64_t log_id,
    int64_t user_id, int32_t type, void *arg)
{
	struct daemon *d = arg;

	(void)e;
	if (!d->failed &&
	    store_add_reaction(d->store, chat_id, log_id, user_id, type) != 0)
		daemon_store_failed(d, "a reaction");
	else if (!d->failed)
		bridge_on_reaction(d->bridge, chat_id, log_id, user_id, type);
}

/* Someone (perhaps this account elsewhere) read a chat up to watermark. */
static void
daemon_read_cb(struct loco_engine *e, int64_t chat_id, int64_t user_id,
    int64_t watermark, void *arg)
{
	struct daemon *d = arg;

	(void)e;
	if (!d->failed &&
	    store_set_read(d->store, chat_id, user_id, watermark) != 0)
		daemon_store_failed(d, "a read mark");
	else if (!d->failed)
		bridge_on_read(d->bridge, chat_id, user_id, watermark);
}

/*
 * The server refused the token. There is no HTTPS login here yet, but the
 * operator may have put a fresh token in the token file: try it once.
 */
static bool
daemon_refresh_token_cb(struct loco_engine *e, void *arg)
{
	struct daemon *d = arg;
	char why[512], *token;
	bool fresh;

	if (d->conf->access_token_file == NULL)
		return false;
	if ((token = conf_read_token(d->conf->access_token_file, why,
	         sizeof why)) == NULL) {
		log_warnx("cannot read the access token again: %s", why);
		return false;
	}
	fresh = strcmp(token, d->conf->access_token) != 0;
	if (!fresh) {
		xfree_secret(token, strlen(token) + 1);
		return false;
	}
	log_info("access token refused; trying the new one in '%s'",
	    d->conf->access_token_file);
	loco_engine_set_token(e, token);
	/* Remember it, so a later -950 or a SIGHUP compares with the token
	 * in use rather than the one we started with. */
	xfree_secret(d->conf->access_token, strlen(d->conf->access_token) + 1);
	d->conf->access_token = token;
	return true;
}

/* Log a multi-line error text one line at a time. */
static void
daemon_log_lines(const char *text)
{
	const char *l = text, *nl;

	while (*l != '\0') {
		nl = strchr(l, '\n');
		log_warnx("%.*s", nl ? (int)(nl - l) : (int)strlen(l), l);
		if (nl == NULL)
			break;
		l = nl + 1;
	}
}

/* Whether two optional strings are equal. */
static bool
daemon_str_same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Whether the [irc] settings the bridge took at start are unchanged
 * (the password is read at each login, so it is not compared). */
static bool
daemon_irc_same(const struct conf *a, const struct conf *b)
{
	size_t i;

	if (a->n_irc_listen != b->n_irc_listen ||
	    a->n_irc_tls_listen != b->n_irc_tls_listen)
		return false;
	for (i = 0; i < a->n_irc_listen; i++)
		if (strcmp(a->irc_listen[i].host, b->irc_listen[i].host) != 0 ||
		    a->irc_listen[i].port != b->irc_listen[i].port)
			return false;
	for (i = 0; i < a->n_irc_tls_listen; i++)
		if (strcmp(a->irc_tls_listen[i].host,
		        b->irc_tls_listen[i].host) != 0 ||
		    a->irc_tls_listen[i].port != b->irc_tls_listen[i].port)
			return false;
	return daemon_str_same(a->tls_cert, b->tls_cert) &&
	    daemon_str_same(a->tls_key, b->tls_key) &&
	    daemon_str_same(a->server_name, b->server_name) &&
	    daemon_str_same(a->irc_user, b->irc_user) &&
	    daemon_str_same(a->irc_nick, b->irc_nick) &&
	    a->nick_ascii == b->nick_ascii &&
	    a->registration_timeout == b->registration_timeout &&
	    a->sendq_max == b->sendq_max && a->backlog == b->backlog;
}

/*
 * SIGHUP: load the file into a new struct; on errors keep running as we
 * are. Otherwise the log level applies at once, and the engine restarts if
 * its part changed (or it is not running, so SIGHUP also retries after a
 * terminal stop).
 */
static void
daemon_reload(struct daemon *d)
{
	struct conf *nc, *old;
	char *errs = NULL;
	bool restart;

	log_info("SIGHUP: reloading '%s'", d->conf_path);
	if ((nc = conf_load(d->conf_path, &errs)) == NULL) {
		log_warnx("reload failed; the running configuration stays:");
		daemon_log_lines(errs);
		free(errs);
		return;
	}
	log_set_level(daemon_log_level(nc, d->cli_level));
	if (strcmp(nc->store_path, d->store_path) != 0)
		log_warnx("[store] path '%s' takes effect at the next start; "
		          "still using '%s'",
		    nc->store_path, d->store_path);
	if (!daemon_irc_same(d->conf, nc))
		log_warnx("[irc] changes other than password take effect at "
		          "the next start (clients stay connected)");
	restart = d->engine == NULL || d->state == LOCO_ENGINE_STOPPED ||
	    !conf_engine_equal(d->conf, nc);
	old = d->conf;
	d->conf = nc;
	if (restart) {
		log_info("reload: restarting the LOCO engine");
		daemon_engine_stop(d);
		if (daemon_engine_start(d) != 0)
			log_warnx("the LOCO engine is not running; fix the "
			          "problem and send SIGHUP");
	}
	conf_free(old);
	log_info("configuration reloaded (log level %s)",
	    conf_log_level_name(log_get_level()));
}

/* SIGTERM and SIGINT leave the loop; SIGHUP reloads. */
static void
daemon_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	if (sig == SIGHUP) {
		daemon_reload(d);
		return;
	}
	log_info("%s: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	event_base_loopbreak(d->base);
}

/* Add a persistent handler for sig; NULL after logging. */
static struct event *
daemon_signal_new(struct daemon *d, int sig)
{
	struct event *ev;

	if ((ev = evsignal_new(d->base, sig, daemon_signal_cb, d)) == NULL ||
	    evsignal_add(ev, NULL) != 0) {
		log_warnx("cannot handle signal %d", sig);
		if (ev != NULL)
			event_free(ev);
		return NULL;
	}
	return ev;
}

/* Check an IRC password against the configured hash (the current one,
 * so a reload applies to the next login). */
static bool
daemon_check_password(const char *password, void *arg)
{
	struct daemon *d = arg;
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool have = false;

	if (ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, d->pw_pepper, sizeof d->pw_pepper) == 1 &&
	    EVP_DigestUpdate(ctx, password, strlen(password)) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == sizeof md)
		have = true;
	EVP_MD_CTX_free(ctx);
	if (have && d->pw_ok_for != NULL &&
	    strcmp(d->pw_ok_for, d->conf->irc_password) == 0 &&
	    CRYPTO_memcmp(md, d->pw_ok, sizeof md) == 0)
		return true;
	if (!passwd_verify(d->conf->irc_password, password))
		return false;
	if (have) {
		free(d->pw_ok_for);
		d->pw_ok_for = xstrdup(d->conf->irc_password);
		memcpy(d->pw_ok, md, sizeof md);
	}
	return true;
}

/*
 * The account's IRC nick: [irc] nick, else the one chosen at an earlier
 * start, else the account's own Kakao nickname as a nick, else "me". The
 * choice is kept in the store so it does not move once clients know it.
 * malloc'd; NULL after logging on a store error.
 */
static char *
daemon_own_nick(struct daemon *d)
{
	char *nick = NULL, *kakao, buf[BRIDGE_NAMES_NICKLEN + 1];

	if (d->conf->irc_nick != NULL)
		nick = xstrdup(d->conf->irc_nick);
	else if (store_get_setting(d->store, DAEMON_NICK_SETTING, &nick) != 0)
		return NULL;
	if (nick == NULL) {
		kakao = store_get_nickname(d->store, d->conf->user_id);
		/* Sanitised nicks never hold '*', so they cannot be the
		 * service or memo nick. */
		if (kakao != NULL &&
		    bridge_names_nick_sanitise(kakao, d->conf->nick_ascii, buf,
		        sizeof buf))
			nick = xstrdup(buf);
		else {
			/* Not kept: the next start, with the account's
			 * nickname in the store, picks a real nick. */
			free(kakao);
			return xstrdup(DAEMON_NICK_DEFAULT);
		}
		free(kakao);
	}
	if (store_set_setting(d->store, DAEMON_NICK_SETTING, nick) != 0 ||
	    store_flush(d->store) != 0) {
		free(nick);
		return NULL;
	}
	return nick;
}

/* The TLS context of the IRC listeners. NULL after logging. */
static SSL_CTX *
daemon_irc_tls_new(const struct conf *c)
{
	SSL_CTX *ctx;
	char why[256];

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		log_warnx("cannot create a TLS context: %s",
		    daemon_ssl_error(why, sizeof why));
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, c->tls_cert) != 1) {
		log_warnx("cannot load [irc] tls_cert '%s': %s", c->tls_cert,
		    daemon_ssl_error(why, sizeof why));
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, c->tls_key, SSL_FILETYPE_PEM) !=
	        1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		log_warnx("cannot load [irc] tls_key '%s' (or it does not "
		          "match tls_cert): %s",
		    c->tls_key, daemon_ssl_error(why, sizeof why));
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* Append the bound addresses of listeners [from, to) to the READY line. */
static void
daemon_ready_add(struct daemon *d, const char *key, size_t from, size_t to)
{
	char addr[128];
	size_t i, len;

	for (i = from; i < to; i++) {
		if (!bridge_get_address(d->bridge, i, addr, sizeof addr))
			continue;
		len = strlen(d->ready);
		snprintf(d->ready + len, sizeof d->ready - len, "%s%s",
		    i == from ? key : ",", addr);
	}
}

/* The IRC side: the bridge over the store, its listeners, READY. */
static int
daemon_bridge_start(struct daemon *d)
{
	const struct conf *c = d->conf;
	struct bridge_config bcfg;
	char *nick;
	size_t i, n_plain = 0, n_tls = 0;

	if (c->n_irc_tls_listen > 0 &&
	    (d->irc_tls = daemon_irc_tls_new(c)) == NULL)
		return -1;
	if (RAND_bytes(d->pw_pepper, sizeof d->pw_pepper) != 1) {
		log_warnx("cannot get random bytes for the password cache");
		return -1;
	}
	if ((nick = daemon_own_nick(d)) == NULL)
		return -1;
	memset(&bcfg, 0, sizeof bcfg);
	bcfg.own_id = c->user_id;
	bcfg.own_nick = nick;
	bcfg.user = c->irc_user != NULL ? c->irc_user : "";
	bcfg.server_name = c->server_name;
	bcfg.nick_ascii = c->nick_ascii;
	bcfg.sendq_max = (size_t)c->sendq_max;
	bcfg.registration_timeout = (unsigned)c->registration_timeout;
	bcfg.new_client_backlog = (size_t)c->backlog;
	bcfg.read_receipts = c->read_receipts;
	bcfg.tls = d->irc_tls;
	bcfg.check_password = daemon_check_password;
	bcfg.check_arg = d;
	d->bridge = bridge_new(d->base, d->store, &bcfg);
	if (d->bridge == NULL) {
		free(nick);
		return -1;
	}
	log_info("irc: the account's nick is %s", nick);
	free(nick);
	for (i = 0; i < c->n_irc_listen; i++, n_plain++)
		if (bridge_listen(d->bridge, c->irc_listen[i].host,
		        (uint16_t)c->irc_listen[i].port, false) != 0)
			return -1;
	for (i = 0; i < c->n_irc_tls_listen; i++, n_tls++)
		if (bridge_listen(d->bridge, c->irc_tls_listen[i].host,
		        (uint16_t)c->irc_tls_listen[i].port, true) != 0)
			return -1;
	snprintf(d->ready, sizeof d->ready, "READY");
	daemon_ready_add(d, " irc=", 0, n_plain);
	daemon_ready_add(d, " ircs=", n_plain, n_plain + n_tls);
	strncat(d->ready, "\n", sizeof d->ready - strlen(d->ready) - 1);
	return 0;
}

/* Write the READY line to fd (then close it) or stdout. */
static int
daemon_ready(const struct daemon *d, int fd)
{
	const char *p = d->ready;
	size_t left = strlen(p);
	ssize_t n;

	if (fd < 0) {
		if (fputs(p, stdout) != EOF && fflush(stdout) == 0)
			return 0;
		log_warn("cannot write READY");
		return -1;
	}
	while (left > 0) {
		if ((n = write(fd, p, left)) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("cannot write READY to fd %d", fd);
			close(fd);
			return -1;
		}
		p += n;
		left -= (size_t)n;
	}
	close(fd);
	return 0;
}

/* Free everything in the order that loses nothing: engine, then store. */
static void
daemon_teardown(struct daemon *d)
{
	int i;

	daemon_engine_stop(d);
	/* After the engine: its last answers still reach the clients. */
	bridge_free(d->bridge, "locoircd is shutting down");
	d->bridge = NULL;
	SSL_CTX_free(d->irc_tls);
	d->irc_tls = NULL;
	OPENSSL_cleanse(d->pw_ok, sizeof d->pw_ok);
	free(d->pw_ok_for);
	d->pw_ok_for = NULL;
	if (d->store != NULL) {
		if (store_flush(d->store) != 0)
			d->failed = true;
		store_close(d->store);
		d->store = NULL;
	}
	free(d->store_path);
	d->store_path = NULL;
	if (d->dns != NULL) {
		evdns_base_free(d->dns, 0);
		d->dns = NULL;
	}
	if (d->ev_term != NULL)
		event_free(d->ev_term);
	if (d->ev_int != NULL)
		event_free(d->ev_int);
	if (d->ev_hup != NULL)
		event_free(d->ev_hup);
	d->ev_term = d->ev_int = d->ev_hup = NULL;
	/* Let closed connections run their deferred frees. */
	for (i = 0; i < DAEMON_DRAIN_ROUNDS &&
	     event_base_get_num_events(d->base,
	         EVENT_BASE_COUNT_ADDED | EVENT_BASE_COUNT_ACTIVE) > 0;
	     i++)
		event_base_loop(d->base, EVLOOP_NONBLOCK);
	conf_free(d->conf);
	d->conf = NULL;
	event_base_free(d->base);
	d->base = NULL;
}

/* Run the daemon until told to stop. */
int
daemon_run(struct conf *conf, const struct daemon_opts *opts)
{
	struct daemon d;
	int status = 1;

	memset(&d, 0, sizeof d);
	d.conf = conf;
	d.conf_path = opts->conf_path;
	d.cli_level = opts->cli_level;
	if ((d.base = event_base_new()) == NULL) {
		log_warnx("cannot create an event base");
		conf_free(conf);
		return 1;
	}
	log_info("locoircd %s (libevent %s with %s, %s, libbson %s, SQLite "
	         "%s)",
	    PACKAGE_VERSION, event_get_version(), event_base_get_method(d.base),
	    OpenSSL_version(OPENSSL_VERSION), bson_get_version(),
	    sqlite3_libversion());
	log_info("configuration '%s' (log level %s)", d.conf_path,
	    conf_log_level_name(log_get_level()));
	/* Idle name servers must not keep the loop alive at shutdown. */
	d.dns = evdns_base_new(d.base,
	    EVDNS_BASE_INITIALIZE_NAMESERVERS |
	        EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (d.dns == NULL)
		log_warnx("no DNS resolver (see /etc/resolv.conf); only "
		          "numeric hosts will work");
	if ((d.ev_term = daemon_signal_new(&d, SIGTERM)) == NULL ||
	    (d.ev_int = daemon_signal_new(&d, SIGINT)) == NULL ||
	    (d.ev_hup = daemon_signal_new(&d, SIGHUP)) == NULL)
		goto out;
	if ((d.store = store_open(d.base, d.conf->store_path)) == NULL)
		goto out;
	store_set_fail_cb(d.store, daemon_store_fail_cb, &d);
	d.store_path = xstrdup(d.conf->store_path);
	log_info("store '%s' open", d.store_path);
	if (daemon_bridge_start(&d) != 0)
		goto out;
	if (daemon_engine_start(&d) != 0)
		goto out;
	if (daemon_ready(&d, opts->ready_fd) != 0)
		goto out;
	if (event_base_dispatch(d.base) < 0) {
		log_warnx("the event loop failed");
		goto out;
	}
	status = 0;
out:
	daemon_teardown(&d);
	if (d.failed)
		status = 1;
	log_info("locoircd stopped (exit status %d)", status);
	return status;
}
