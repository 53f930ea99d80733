/* locoirc: see LICENSE.
 *
 * locoircd's configuration: an INI file read through libinih into a
 * struct conf, every value validated, every error naming the file, the
 * line and the key. Loading is pure (file in, struct or errors out), so a
 * SIGHUP reload can load into a new struct and swap only when it is valid.
 */
#ifndef LOCOIRC_SRC_CONF_H
#define LOCOIRC_SRC_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "log.h"

/* Defaults; docs/locoircd.conf.5 and conf/locoircd.conf.example agree. */
#define CONF_DEFAULT_OS "mac"
#define CONF_DEFAULT_APP_VERSION "26.2.0"
#define CONF_DEFAULT_DTYPE 2
#define CONF_DEFAULT_NTYPE 0
#define CONF_DEFAULT_MCCMNC "999"
#define CONF_DEFAULT_LANG "ko"
#define CONF_DEFAULT_COUNTRY_ISO "KR"
#define CONF_DEFAULT_BOOKING_HOST "booking-loco.kakao.com"
#define CONF_DEFAULT_BOOKING_PORT 443
#define CONF_DEFAULT_KEY_ENCRYPT_TYPE 16
#define CONF_DEFAULT_ENCRYPT_TYPE 3
#define CONF_DEFAULT_STORE_PATH "locoircd.db"
#define CONF_DEFAULT_IRC_LISTEN "127.0.0.1:6667"
#define CONF_DEFAULT_SERVER_NAME "locoircd"
#define CONF_DEFAULT_REGISTRATION_TIMEOUT 30
#define CONF_DEFAULT_SENDQ_MAX (1024 * 1024)
#define CONF_DEFAULT_BACKLOG 20
/* Bytes of [irc] user and nick. */
#define CONF_IRC_NAME_MAX 64

/* Limits on what a configuration may hold. */
#define CONF_FILE_MAX (1024 * 1024) /* bytes in the configuration file */
#define CONF_TOKEN_MAX 4096         /* bytes in a token or token file */
#define CONF_ERRORS_MAX 50          /* errors reported before giving up */
#define CONF_LISTEN_MAX 16          /* addresses in listen or tls_listen */

/* One address to listen on; port 0 lets the kernel choose (tests). */
struct conf_listen {
	char *host; /* a name, an IPv4 address or an IPv6 one (no brackets) */
	int64_t port;
};

/*
 * A loaded configuration. Read-only once conf_load returns it; every string
 * and the key are owned by it. Paths are absolute (relative ones in the
 * file are taken from the file's directory).
 */
struct conf {
	char *path; /* the file, as given to conf_load */
	char *dir;  /* its directory, absolute */

	/* [account] */
	int64_t user_id;
	char *access_token;      /* secret; inline or read from the file */
	char *access_token_file; /* NULL when the token is inline */
	char *refresh_token;     /* secret; NULL when not set */
	char *device_uuid;
	char *os;
	char *app_version;
	int64_t dtype;
	int64_t ntype;
	char *mccmnc;
	char *lang;
	char *country_iso;

	/* [loco] */
	char *booking_host;
	int64_t booking_port;
	char *booking_ca;     /* NULL: OpenSSL's default trust store */
	char *checkin_host;   /* NULL: no fallback */
	int64_t checkin_port; /* 0 when checkin_host is NULL */
	char *rsa_public_key; /* NULL: the built-in Kakao key */
	EVP_PKEY *rsa_key; /* owned; loaded from rsa_public_key or built in */
	int64_t key_encrypt_type; /* 16, or 12/15 */
	int64_t encrypt_type;     /* 3 (GCM), or 2 (CFB) */
	int64_t ping_interval;    /* seconds; 0 = the server's choice */

	/* [store] */
	char *store_path;

	/* [log] */
	enum log_level log_level;

	/* [irc] (required). */
	bool irc;                       /* the section is present */
	struct conf_listen *irc_listen; /* plain-text listeners */
	size_t n_irc_listen;
	struct conf_listen *irc_tls_listen; /* TLS listeners; may be none */
	size_t n_irc_tls_listen;
	char *tls_cert; /* NULL unless set; required with tls_listen */
	char *tls_key;  /* likewise */
	char *server_name;
	char *irc_password; /* secret: a passwd_hash line, never logged */
	bool nick_ascii;    /* romanised ASCII nicks instead of UTF-8 */
	int64_t registration_timeout; /* seconds */
	int64_t sendq_max;            /* bytes queued per client */
	char *irc_user;     /* the login name, or NULL: any name is accepted */
	char *irc_nick;     /* the account's nick, or NULL: chosen at start */
	int64_t backlog;    /* messages per chat for a client never seen */
	bool read_receipts; /* NOTIREAD when a client marks a chat read */
};

/*
 * Load and validate the INI file at path. Returns a new configuration the
 * caller frees with conf_free, or NULL with *errors set to a malloc'd text
 * of one error per line ("FILE:LINE: [section] key: what is wrong"), sorted
 * by line, which the caller frees. Reads the token file, the key and CA
 * files it names, but changes nothing and logs nothing.
 */
struct conf *conf_load(const char *path, char **errors);

/* Free c, wiping its secrets first; NULL is a no-op. */
void conf_free(struct conf *c);

/*
 * Whether a and b would run the LOCO engine the same way: every [account]
 * and [loco] value equal, the token and the RSA key included. A reload
 * that changes any of them restarts the engine.
 */
bool conf_engine_equal(const struct conf *a, const struct conf *b);

/*
 * Read an access token from the file at path as conf_load does: a regular
 * file owned by us (or root), not accessible by group or others, holding
 * one line of printable ASCII (its newline is trimmed). Returns the token
 * (malloc'd; wipe it with xfree_secret) or NULL with the reason in why.
 */
char *conf_read_token(const char *path, char *why, size_t whylen);

/* The level's name in the configuration ("warn", "info", ...). */
const char *conf_log_level_name(enum log_level level);

#endif
