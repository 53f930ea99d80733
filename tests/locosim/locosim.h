/* locoirc: see LICENSE.
 *
 * locosim, the LOCO server simulator, as a library: tests start it
 * in-process on 127.0.0.1:0, act as other users through this API, read
 * back what a client did and inject faults. The locosim program wraps the
 * same calls behind a control socket. It is built on protocol/ in the
 * server role and must behave like the real servers in LOCO.md.
 */
#ifndef LOCOIRC_TESTS_LOCOSIM_H
#define LOCOIRC_TESTS_LOCOSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "loco-chatlog.h"
#include "loco-error.h"
#include "loco-secure.h"

struct event_base;
struct locosim;
struct locosim_world;

enum locosim_listener {
	LOCOSIM_BOOKING = 0, /* TLS; GETCONF */
	LOCOSIM_CHECKIN,     /* secure layer; CHECKIN */
	LOCOSIM_CHAT,        /* secure layer; the session */
	LOCOSIM_MEDIA,       /* secure layer; POST + raw bytes */
	LOCOSIM_HTTP,        /* plain HTTP; uploaded files at their url */
	LOCOSIM_CONTROL,     /* control line protocol (TCP) */
	LOCOSIM_NLISTENERS
};

struct locosim_opts {
	const char *world_path;  /* JSON world file, or: */
	const char *world_json;  /* JSON world text (tests) */
	const char *save_path;   /* write the world here on locosim_free */
	const char *listen_host; /* default 127.0.0.1 */
	uint16_t ports[LOCOSIM_NLISTENERS]; /* 0 = any free port */
	bool no_control; /* do not open the control listener */
	/* RSA private key PEM; generated with e = 3 (and saved there) when
	 * the file is absent; NULL = a fresh key in memory. */
	const char *rsa_key_path;
	/* Booking TLS certificate and key PEM, generated (self-signed for
	 * localhost and 127.0.0.1) when absent; NULL = in memory. */
	const char *tls_cert_path;
	const char *tls_key_path;
	enum loco_cipher cipher;    /* default GCM; CFB accepts 12 or 15 */
	unsigned chat_page_size;    /* chatDatas per LOGINLIST/LCHATLIST page;
				      0 = 2, so LCHATLIST is always needed */
	size_t frame_plain_max;     /* split responses into frames of this
				      many plaintext bytes; 0 = 4096 */
	unsigned ping_interval;     /* GETCONF fgPingItv seconds; 0 = 60 */
	unsigned response_delay_ms; /* delay every response (slow server) */
	/* Send every packet in its own frame. The real server coalesces
	 * small pushes, but some clients (OpenKakao) read one packet per
	 * frame; this lets them be tested too. */
	bool no_coalesce;
};

/* Fill opts with defaults (all zero but the cipher). */
void locosim_opts_init(struct locosim_opts *opts);

/*
 * Load the world, make or load keys and certificate, and bind every
 * listener. Returns NULL with err on failure. base is borrowed.
 */
struct locosim *locosim_new(struct event_base *base,
    const struct locosim_opts *opts, struct loco_error *err);

/* Close every session and listener, save the world if asked, free. */
void locosim_free(struct locosim *sim);

/* The port a listener is bound to. */
uint16_t locosim_port(const struct locosim *sim, enum locosim_listener which);

/* The public half of the RSA key clients must use (borrowed). */
EVP_PKEY *locosim_public_key(const struct locosim *sim);

/* The booking certificate as PEM (borrowed), for the client's trust store. */
const char *locosim_tls_cert_pem(const struct locosim *sim);

/* The world (borrowed); tests may read it, and change it only through
 * locosim_* calls so that pushes go out. */
struct locosim_world *locosim_world(struct locosim *sim);

/* One "READY" line naming every bound port, for the program and spawners:
 * "READY booking=P checkin=P chat=P media=P http=P control=P". Static. */
const char *locosim_ready_line(const struct locosim *sim);

/*
 * Acting as other users. Each changes the world the way the real server
 * would and pushes to every session that should see it (all sessions of
 * every member, the author's own included, since here the author is
 * another device). They return the new log id (or 0) on success, -1 when
 * the chat, user or message is unknown or the action is not allowed.
 */
int64_t locosim_send(struct locosim *sim, int64_t chat_id, int64_t author,
    int32_t type, const char *text, const char *attachment);
int64_t locosim_send_text(struct locosim *sim, int64_t chat_id, int64_t author,
    const char *text);
/* A reply (type 26) quoting src_log_id. */
int64_t locosim_reply(struct locosim *sim, int64_t chat_id, int64_t author,
    int64_t src_log_id, const char *text);
/* A photo (type 2) whose bytes are served over HTTP at its url. */
int64_t locosim_send_photo(struct locosim *sim, int64_t chat_id, int64_t author,
    const void *data, size_t len, int32_t w, int32_t h);
int64_t locosim_delete(struct locosim *sim, int64_t chat_id, int64_t by,
    int64_t log_id);
int locosim_react(struct locosim *sim, int64_t chat_id, int64_t user,
    int64_t log_id, int32_t type);
int64_t locosim_join(struct locosim *sim, int64_t chat_id, int64_t user,
    int64_t inviter);
int64_t locosim_leave(struct locosim *sim, int64_t chat_id, int64_t user);
int locosim_rename(struct locosim *sim, int64_t chat_id, int64_t by,
    const char *title);
int locosim_set_notice(struct locosim *sim, int64_t chat_id, int64_t by,
    const char *notice);
/* user has read up to watermark: DECUNREAD to the other members. */
int locosim_mark_read(struct locosim *sim, int64_t chat_id, int64_t user,
    int64_t watermark);
/* A new chat with members (SYNCJOIN to the members' sessions). */
int64_t locosim_create_chat(struct locosim *sim, const char *type,
    const int64_t *members, size_t n, const char *title);

/* Reading back what clients did. */
struct locosim_write {
	int64_t chat_id;
	int64_t author; /* the session's user */
	int64_t log_id; /* assigned, 0 if the WRITE failed */
	int64_t msg_id; /* client's msgId */
	int32_t type;
	char *text;     /* owned by locosim */
	char *extra;    /* owned by locosim */
	int32_t status; /* what the WRITE was answered with */
};
/* Number of WRITEs seen since start, and the nth (0-based; borrowed). */
size_t locosim_write_count(const struct locosim *sim);
const struct locosim_write *locosim_write_get(const struct locosim *sim,
    size_t nth);
/* Sessions logged in as user (0 = any user). */
size_t locosim_session_count(const struct locosim *sim, int64_t user);
/* Packets with method received from clients since start. */
size_t locosim_request_count(const struct locosim *sim, const char *method);

/*
 * Faults. Each applies to every current session of user (0 = all users)
 * and returns how many sessions it touched.
 */
int locosim_drop(struct locosim *sim, int64_t user); /* abort the TCP */
int locosim_changesvr(struct locosim *sim, int64_t user);
int locosim_kickout(struct locosim *sim, int64_t user, int32_t reason);
int locosim_corrupt_next_frame(struct locosim *sim, int64_t user);
int locosim_push_unknown(struct locosim *sim, int64_t user, const char *method);
/* Stop reading from and writing to the sessions (a hung peer), or resume. */
int locosim_stall(struct locosim *sim, int64_t user, bool stalled);
/* Hold the next n responses, then send them in reverse order. */
void locosim_reorder_responses(struct locosim *sim, unsigned n);
void locosim_set_response_delay(struct locosim *sim, unsigned ms);
/* LOGINLIST for user answers -950 while expired. */
int locosim_expire_token(struct locosim *sim, int64_t user, bool expired);
/* The next LOGINLIST answers status (e.g. -999); 0 clears. */
void locosim_fail_next_login(struct locosim *sim, int32_t status);

#endif
