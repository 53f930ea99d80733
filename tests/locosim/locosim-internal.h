/* locoirc: see LICENSE.
 *
 * What the locosim modules share and tests do not see: the simulator
 * object, its sessions, and the helpers through which every response and
 * push leaves (so that faults such as delay, reorder and stall apply to
 * all of them alike).
 */
#ifndef LOCOIRC_TESTS_LOCOSIM_INTERNAL_H
#define LOCOIRC_TESTS_LOCOSIM_INTERNAL_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bson/bson.h>
#include <openssl/types.h>

#include "loco-conn.h"
#include "locosim.h"
#include "locosim-world.h"

struct evconnlistener;
struct evhttp;
struct locosim_control;
struct locosim_delayed;

/* The kind of listener a session came in on. */
enum locosim_kind {
	LOCOSIM_KIND_BOOKING = 0, /* TLS, GETCONF then close */
	LOCOSIM_KIND_CHECKIN,     /* secure, CHECKIN then close */
	LOCOSIM_KIND_CHAT,        /* secure, LOGINLIST and the session */
	LOCOSIM_KIND_MEDIA,       /* secure, POST + raw bytes + COMPLETE */
};

/* A packet held back by a fault (delay, reorder, stall). */
struct locosim_held {
	TAILQ_ENTRY(locosim_held) entry;
	unsigned session; /* serial of the session it is for */
	uint32_t id;      /* packet id */
	bool push;        /* id is ours (push) rather than a reply */
	char method[12];
	bson_t *body; /* owned */
};
TAILQ_HEAD(locosim_held_list, locosim_held);

/* An upload announced by SHIP and not yet completed on the media port. */
struct locosim_upload {
	TAILQ_ENTRY(locosim_upload) entry;
	char *key; /* owned; the "k" handed out by SHIP */
	int64_t chat_id;
	int64_t user_id;
	int32_t type;          /* message type the upload becomes */
	int64_t size;          /* announced size in bytes */
	char *checksum;        /* owned; SHA-1 hex from SHIP, may be "" */
	char *ext;             /* owned; extension without dot */
	unsigned ship_session; /* the chat session that sent SHIP */
};
TAILQ_HEAD(locosim_upload_list, locosim_upload);

/* A stored file served over HTTP at /<key>. */
struct locosim_file {
	TAILQ_ENTRY(locosim_file) entry;
	char *key;     /* owned */
	char *mime;    /* owned */
	uint8_t *data; /* owned */
	size_t len;
};
TAILQ_HEAD(locosim_file_list, locosim_file);

/* One client connection on any listener. */
struct locosim_session {
	TAILQ_ENTRY(locosim_session) entry;
	struct locosim *sim;    /* borrowed; outlives every session */
	struct loco_conn *conn; /* owned; NULL once closed */
	enum locosim_kind kind;
	unsigned serial; /* stable id, for references from elsewhere */
	int64_t user_id; /* 0 until LOGINLIST succeeds */
	char *duuid;     /* owned; device of this session */
	char os[16];
	int32_t dtype;     /* device slot: a second login kicks the first */
	bool stalled;      /* hold everything for this session */
	bool corrupt_next; /* flip a bit in the next frame */
	/* Media sessions: the upload being received. */
	struct locosim_upload *upload; /* owned while receiving */
	uint8_t *upload_data;          /* owned */
	size_t upload_len;
	uint32_t post_id;              /* packet id of the POST */
	struct locosim_held_list held; /* output held while stalled */
	unsigned deferred;  /* responses waiting out a delay or reorder */
	bool close_pending; /* close once nothing is held back */
};
TAILQ_HEAD(locosim_session_list, locosim_session);

struct locosim_method_count {
	char method[12];
	size_t count;
};

struct locosim {
	struct event_base *base;  /* borrowed */
	struct locosim_opts opts; /* strings below are our copies */
	char *save_path;
	char *listen_host;
	struct locosim_world *world; /* owned */
	EVP_PKEY *rsa;               /* owned; private */
	SSL_CTX *tls;                /* owned; booking server context */
	char *tls_cert_pem;          /* owned */
	struct evconnlistener *listeners[LOCOSIM_NLISTENERS]; /* owned */
	uint16_t ports[LOCOSIM_NLISTENERS];
	struct evhttp *http;             /* owned */
	struct locosim_control *control; /* owned */
	char ready[256];

	struct locosim_session_list sessions;
	unsigned next_serial;

	struct locosim_write *writes; /* owned array */
	size_t n_writes;
	struct locosim_method_count *counts; /* owned array */
	size_t n_counts;

	struct locosim_upload_list uploads;
	struct locosim_file_list files;
	unsigned next_upload;

	/* Faults. */
	int32_t fail_next_login; /* status for the next LOGINLIST, 0 = none */
	unsigned reorder_left;   /* responses still to hold */
	struct locosim_held_list reorder;      /* held for reordering */
	TAILQ_HEAD(, locosim_delayed) delayed; /* owned; waiting out a delay */
	unsigned response_delay_ms;
};

/* The session with serial, or NULL when it has gone. */
struct locosim_session *locosim_session_find(struct locosim *sim,
    unsigned serial);

/*
 * Answer request id on s with method and body (a status is added when the
 * body has none). Applies the delay, reorder and stall faults. body is
 * borrowed.
 */
void locosim_respond(struct locosim_session *s, uint32_t id, const char *method,
    const bson_t *body);

/* Answer with only {status}. */
void locosim_respond_status(struct locosim_session *s, uint32_t id,
    const char *method, int32_t status);

/* Push method/body to one session. */
void locosim_push(struct locosim_session *s, const char *method,
    const bson_t *body);

/*
 * Push to every logged-in chat session of every member of chat, except the
 * session with serial skip (0 = none).
 */
void locosim_push_chat(struct locosim *sim, const struct locosim_chat *chat,
    unsigned skip, const char *method, const bson_t *body);

/* Push to every logged-in chat session of user, except skip. */
void locosim_push_user(struct locosim *sim, int64_t user, unsigned skip,
    const char *method, const bson_t *body);

/* Hold all output of every chat session until locosim_uncork_all, so the
 * pushes of one action leave coalesced, as the real server's do. */
void locosim_cork_all(struct locosim *sim);
void locosim_uncork_all(struct locosim *sim);

/*
 * Close s after what is queued has been sent (flush before close),
 * including output a fault holds back. May free s at once.
 */
void locosim_session_close(struct locosim_session *s);

/* Close s if a close is pending and nothing is held back. May free s. */
void locosim_session_settle(struct locosim_session *s);

/* Send what a stall held back, as one burst; may free s. */
void locosim_session_release_held(struct locosim_session *s);

/* The packet dispatchers, one per listener kind. */
void locosim_boot_packet(struct locosim_session *s,
    const struct loco_packet *pkt);
void locosim_chat_packet(struct locosim_session *s,
    const struct loco_packet *pkt);
void locosim_media_packet(struct locosim_session *s,
    const struct loco_packet *pkt);

/* Deliver a new message: MSG to every member's sessions except skip. */
void locosim_deliver(struct locosim *sim, struct locosim_chat *chat,
    const struct loco_chatlog *cl, unsigned skip);

/* Media: the HTTP URL of a stored file, malloc'd. */
char *locosim_file_url(const struct locosim *sim, const char *key);
/* Store a file (data copied) under key; replaces an older one. */
void locosim_file_put(struct locosim *sim, const char *key, const char *mime,
    const void *data, size_t len);

/* A valid grey-scale JPEG of w x h pixels (a checkerboard), malloc'd;
 * *len gets its size. Shared by the photo command and the alive mode. */
uint8_t *locosim_make_jpeg(int w, int h, size_t *len);

/* TLS and keys (locosim-tls.c). */
EVP_PKEY *locosim_tls_load_or_make_rsa(const char *path,
    struct loco_error *err);
SSL_CTX *locosim_tls_server_ctx(const char *cert_path, const char *key_path,
    char **cert_pem, struct loco_error *err);

/* HTTP file server (locosim-media.c). */
int locosim_http_start(struct locosim *sim, struct loco_error *err);
void locosim_http_stop(struct locosim *sim);

/* Control socket (locosim-control.c). */
struct locosim_control *locosim_control_new(struct locosim *sim,
    struct loco_error *err);
void locosim_control_free(struct locosim_control *c);

#endif
