/* locoirc: see LICENSE.
 *
 * The error out-parameter of protocol/, shaped like libbson's bson_error_t:
 * a code to branch on and a message to show. protocol/ never logs errors
 * itself; it fills one of these and returns -1 (or NULL).
 */
#ifndef LOCOIRC_PROTOCOL_LOCO_ERROR_H
#define LOCOIRC_PROTOCOL_LOCO_ERROR_H

#define LOCO_ERROR_MSG_LEN 128

enum loco_error_code {
	LOCO_ERR_NONE = 0,
	LOCO_ERR_MALFORMED, /* bytes that are not what LOCO says */
	LOCO_ERR_TOO_LARGE, /* a body or frame over its limit */
	LOCO_ERR_CRYPTO,    /* OpenSSL failure, bad tag, bad key */
	LOCO_ERR_HANDSHAKE, /* secure-layer handshake refused */
	LOCO_ERR_MISSING,   /* a required field is absent */
	LOCO_ERR_TYPE,      /* a field has the wrong BSON type */
	LOCO_ERR_RANGE,     /* a value outside what we accept */
	LOCO_ERR_IO,        /* socket error or EOF */
	LOCO_ERR_TLS,       /* TLS handshake or verification */
	LOCO_ERR_RESOLVE,   /* host name lookup */
	LOCO_ERR_TIMEOUT,   /* a request or connect timed out */
	LOCO_ERR_CLOSED,    /* the connection was closed first */
	LOCO_ERR_STATUS,    /* the peer answered with status != 0 */
	LOCO_ERR_BUSY,      /* no free packet id or queue full */
	LOCO_ERR_CONFIG,    /* bad parameter from our own caller */
};

struct loco_error {
	enum loco_error_code code;
	int status; /* LOCO status when code is LOCO_ERR_STATUS */
	char msg[LOCO_ERROR_MSG_LEN];
};

/* Fill err (which may be NULL) with code and a printf-style message. */
void loco_error_set(struct loco_error *err, enum loco_error_code code,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Fill err with LOCO_ERR_CRYPTO (or code) and "what: <openssl reason>",
 * draining OpenSSL's error queue so stale errors never leak into later
 * messages.
 */
void loco_error_set_openssl(struct loco_error *err, enum loco_error_code code,
    const char *what);

/* Reset err to LOCO_ERR_NONE with an empty message; NULL is a no-op. */
void loco_error_clear(struct loco_error *err);

/* A stable lower-case name for code, for logs and tests. */
const char *loco_error_code_name(enum loco_error_code code);

#endif
