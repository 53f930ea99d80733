/* locoirc: see LICENSE.
 *
 * Typed bodies of a media upload (LOCO.md 2.10, decision 9): SHIP on the
 * chat session, POST on a separate secure connection to the media host,
 * and the COMPLETE push that ends it. The raw file bytes between POST and
 * COMPLETE are not BSON and are not handled here.
 *
 * Common rules as in loco-chat.h: unknown keys ignored, ids read from
 * int32/int64/integral double and written as int64, other integers int32,
 * strings owned (NULL when absent, written as "" when NULL), a missing
 * required key is LOCO_ERR_MISSING, a wrong type LOCO_ERR_TYPE, nothing to
 * release after a failure, and a response with a non-zero status stops
 * decoding there.
 */
#ifndef LOCOIRC_PROTOCOL_LOCO_MEDIA_H
#define LOCOIRC_PROTOCOL_LOCO_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bson/bson.h>

#include "loco-chatlog.h"
#include "loco-error.h"

/* SHIP request. c, t and s are required. */
struct loco_ship_req {
	int64_t chat_id; /* "c" */
	int32_t
	    type; /* "t": message type, 2 photo, 3 video, 5 audio, 18 file */
	int64_t size;   /* "s": file size in bytes, int64 */
	char *checksum; /* "cs": SHA-1 hex of the whole file */
	char *ext;      /* "e": extension without the dot (LOCO.md 6.20) */
	char *extra;    /* "ex": JSON, usually "{}" */
};

/* SHIP response. k, vh and p are required when status is 0. */
struct loco_ship_res {
	int32_t status;
	char *key;    /* "k": upload key, e.g. "talkm/.../i_abc.jpeg" */
	char *host;   /* "vh": media host for POST */
	char *host6;  /* "vh6" */
	int32_t port; /* "p" */
	char *h;      /* unknown ("unused", LOCO.md 2.10): kept if a string */
};

/* POST request, the first packet on the media connection. k, c and s are
 * required. */
struct loco_post_req {
	int64_t user_id; /* "u" */
	char *key;       /* "k": from SHIP */
	int32_t type;    /* "t" */
	int64_t size;    /* "s" */
	int64_t chat_id; /* "c" */
	char *file_name; /* "f" (LW sends null) */
	int64_t msg_id;  /* "mid": client message id */
	bool no_seen;    /* "ns" */
	int32_t width;   /* "w": photos and videos */
	int32_t height;  /* "h" */
	char *os;
	char *app_ver; /* "av" */
	int32_t ntype; /* "nt" */
	char *mccmnc;  /* "mm" */
	char *extra;   /* "ex": JSON, "{}" or {"cmt":""} */
	int32_t dt;    /* meaning unknown; LW/OK send 4 */
	int32_t scp;   /* meaning unknown; LW/OK send 1 */
};

/* POST response. The offset is read from "o" (NK) or "offset" (KT), "o"
 * winning when both are present (LOCO.md 2.10 conflict), and written as
 * "o". A negative offset fails with LOCO_ERR_RANGE. */
struct loco_post_res {
	int32_t status;
	int64_t offset; /* resume the raw bytes from here */
};

/* COMPLETE push: the upload became this message. chatLog is required when
 * status is 0. */
struct loco_complete {
	int32_t status;
	struct loco_chatlog *chatlog; /* owned; NULL when absent */
};

int loco_ship_req_decode(const bson_t *doc, struct loco_ship_req *out,
    struct loco_error *err);
void loco_ship_req_encode(const struct loco_ship_req *in, bson_t *out);
void loco_ship_req_release(struct loco_ship_req *x);

int loco_ship_res_decode(const bson_t *doc, struct loco_ship_res *out,
    struct loco_error *err);
void loco_ship_res_encode(const struct loco_ship_res *in, bson_t *out);
void loco_ship_res_release(struct loco_ship_res *x);

int loco_post_req_decode(const bson_t *doc, struct loco_post_req *out,
    struct loco_error *err);
void loco_post_req_encode(const struct loco_post_req *in, bson_t *out);
void loco_post_req_release(struct loco_post_req *x);

int loco_post_res_decode(const bson_t *doc, struct loco_post_res *out,
    struct loco_error *err);
void loco_post_res_encode(const struct loco_post_res *in, bson_t *out);
void loco_post_res_release(struct loco_post_res *x);

/* chatLog is written only when set. */
int loco_complete_decode(const bson_t *doc, struct loco_complete *out,
    struct loco_error *err);
void loco_complete_encode(const struct loco_complete *in, bson_t *out);
void loco_complete_release(struct loco_complete *x);

/* for the fuzz target */
/* Run every decoder of this module on doc and release what succeeded. */
void loco_media_fuzz_decode_all(const bson_t *doc);

#endif
