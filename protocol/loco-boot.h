/* locoirc: see LICENSE.
 *
 * Typed bodies of the connection bootstrap and session control: GETCONF
 * (booking), CHECKIN, PING, KICKOUT and CHANGESVR (LOCO.md 1.8, 1.10,
 * 1.11). Requests and responses both decode and encode, so the client
 * engine and the simulator share one definition of every key.
 *
 * Common rules for every codec here: decode ignores unknown keys, accepts
 * ids as int32/int64/integral double and repairs invalid UTF-8; a missing
 * required key fails with LOCO_ERR_MISSING, a wrong type with
 * LOCO_ERR_TYPE, and after a failure *out holds nothing to release.
 * A response whose status is not 0 stops decoding there: the other fields
 * keep their defaults. Encode appends to a document the caller has
 * initialised, ids as int64, other integers as int32. Strings are owned and
 * NULL when absent; a NULL string is written as "".
 */
#ifndef LOCOIRC_PROTOCOL_LOCO_BOOT_H
#define LOCOIRC_PROTOCOL_LOCO_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bson/bson.h>

#include "loco-error.h"

/* KICKOUT reasons (LOCO.md 1.11; the change-server value is -2 in NK and
 * 2 in KT, so both are named). */
enum loco_kickout_reason {
	LOCO_KICKOUT_OTHER_DEVICE = 0,     /* same slot taken: stop, no loop */
	LOCO_KICKOUT_ACCOUNT_DELETED = 1,  /* stop and report */
	LOCO_KICKOUT_CHANGE_SERVER = 2,    /* KT: reconnect like CHANGESVR */
	LOCO_KICKOUT_CHANGE_SERVER_NK = -2 /* NK: reconnect like CHANGESVR */
};

/* GETCONF request, sent to booking over TLS. */
struct loco_getconf_req {
	char *mccmnc;    /* "MCCMNC" */
	char *os;        /* "mac", "win32", "android" */
	char *model;     /* "" on PC */
	int64_t user_id; /* LW only; written only when non-zero */
};

/* A GETCONF network block: "wifi" or "3g". Intervals are in seconds;
 * 0 means the server did not say. */
struct loco_netconf {
	int32_t *ports; /* checkin ports; ports[0] is used (LOCO.md 6.16) */
	size_t n_ports;
	int32_t *ports6; /* AM only; written only when non-empty */
	size_t n_ports6;
	int32_t bg_keep_itv;
	int32_t bg_reconn_itv;
	int32_t bg_ping_itv;
	int32_t fg_ping_itv; /* PING cadence in the foreground (1.10) */
	int32_t req_timeout;
	int32_t enc_type; /* secure-layer encrypt type the server advertises */
	int32_t conn_timeout;
	int32_t recv_header_timeout;
	int32_t in_seg_timeout;
	int32_t out_seg_timeout;
	int32_t block_send_buf_size;
};

/* GETCONF "ticket": host lists. */
struct loco_ticket {
	char **ssl;
	size_t n_ssl;
	char **v2sl;
	size_t n_v2sl;
	char **lsl; /* checkin hosts; old servers sent one string (OK-plan) */
	size_t n_lsl;
	char **lsl6;
	size_t n_lsl6;
	int32_t lslp; /* old checkin port (OK-plan); 0 = absent, not written */
};

/* GETCONF "trailer": media limits. Sizes in bytes, times in seconds.
 * The fields from resolution on are the media settings KiwiTalk's booking
 * struct requires (and node-kakao types); their exact meaning is unknown,
 * so they are always written (int32) and read leniently. */
struct loco_trailer {
	int64_t up_max_size;
	int64_t video_up_max_size;
	int32_t content_expire_time;
	int32_t concurrent_up_limit;
	int32_t token_expire_time;
	int32_t resolution;            /* "resolution": photo long side, px */
	int32_t resolution_hd;         /* "resolutionHD" */
	int32_t comp_ratio;            /* "compRatio": JPEG quality, % */
	int32_t comp_ratio_hd;         /* "compRatioHD" */
	int32_t down_mode;             /* "downMode" */
	int32_t concurrent_down_limit; /* "concurrentDownLimit" */
	int32_t max_relay_size;        /* "maxRelaySize", bytes */
	int32_t down_check_size;       /* "downCheckSize", bytes */
	int32_t v_codec;               /* "vCodec" */
	int32_t v_fps;                 /* "vFps" */
	int32_t a_codec;               /* "aCodec" */
	int32_t v_resolution;          /* "vResolution" */
	int32_t v_bitrate;             /* "vBitrate", bit/s */
	int32_t a_frequency;           /* "aFrequency", Hz */
};

/* GETCONF response. */
struct loco_getconf_res {
	int32_t status;
	int32_t revision;
	struct loco_netconf cell; /* "3g" */
	struct loco_netconf wifi;
	struct loco_ticket ticket;
	char **hosts; /* "hosts": check-in hosts agent-messenger looks for
			 before ticket.lsl; written only when non-empty */
	size_t n_hosts;
	bson_t *profile; /* owned opaque copy; NULL when absent */
	bson_t *etc;     /* owned opaque copy; NULL when absent */
	struct loco_trailer trailer;
	bson_t *trailer_h; /* "trailer.h", owned opaque copy; NULL if absent */
};

/* CHECKIN request. userId is required. */
struct loco_checkin_req {
	int64_t user_id;
	char *os;
	int32_t ntype; /* 0 wired/Wi-Fi, 3 cellular */
	char *app_ver;
	char *mccmnc;
	char *lang;
	char *country_iso; /* "countryISO" */
	bool use_sub;      /* true for PC/tablet sub-devices */
};

/* CHECKIN response. host is required when status is 0. */
struct loco_checkin_res {
	int32_t status;
	char *host; /* chat server, IPv4 */
	char *host6;
	int32_t port;         /* LOCO_CHECKIN_DEFAULT_PORT when absent (OK) */
	int32_t cache_expire; /* seconds the answer may be reused */
	char *cshost;         /* call server */
	char *cshost6;
	int32_t csport;
	char *vsshost; /* video server */
	char *vsshost6;
	int32_t vssport;
	char *mccmnc;
};

/* The chat-server port OK assumes when CHECKIN gives none. */
#define LOCO_CHECKIN_DEFAULT_PORT 5223

/* KICKOUT push. A missing reason reads as 0, the "stop" reason. */
struct loco_kickout {
	int32_t reason; /* enum loco_kickout_reason, other values kept */
};

/* PING response (the request body is empty). */
struct loco_ping_res {
	int32_t status;
};

int loco_getconf_req_decode(const bson_t *doc, struct loco_getconf_req *out,
    struct loco_error *err);
void loco_getconf_req_encode(const struct loco_getconf_req *in, bson_t *out);
void loco_getconf_req_release(struct loco_getconf_req *x);

/* ticket.lsl is read as a string array or a single string. */
int loco_getconf_res_decode(const bson_t *doc, struct loco_getconf_res *out,
    struct loco_error *err);
void loco_getconf_res_encode(const struct loco_getconf_res *in, bson_t *out);
void loco_getconf_res_release(struct loco_getconf_res *x);

int loco_checkin_req_decode(const bson_t *doc, struct loco_checkin_req *out,
    struct loco_error *err);
void loco_checkin_req_encode(const struct loco_checkin_req *in, bson_t *out);
void loco_checkin_req_release(struct loco_checkin_req *x);

int loco_checkin_res_decode(const bson_t *doc, struct loco_checkin_res *out,
    struct loco_error *err);
void loco_checkin_res_encode(const struct loco_checkin_res *in, bson_t *out);
void loco_checkin_res_release(struct loco_checkin_res *x);

int loco_kickout_decode(const bson_t *doc, struct loco_kickout *out,
    struct loco_error *err);
void loco_kickout_encode(const struct loco_kickout *in, bson_t *out);
void loco_kickout_release(struct loco_kickout *x);

/* CHANGESVR push: the body means nothing; decode accepts any document and
 * returns 0, encode writes no key. */
int loco_changesvr_decode(const bson_t *doc, struct loco_error *err);
void loco_changesvr_encode(bson_t *out);

/* PING request: the body is empty; decode accepts any document. */
int loco_ping_req_decode(const bson_t *doc, struct loco_error *err);
void loco_ping_req_encode(bson_t *out);

int loco_ping_res_decode(const bson_t *doc, struct loco_ping_res *out,
    struct loco_error *err);
void loco_ping_res_encode(const struct loco_ping_res *in, bson_t *out);
void loco_ping_res_release(struct loco_ping_res *x);

/* for the fuzz target */
/* Run every decoder of this module on doc and release what succeeded. */
void loco_boot_fuzz_decode_all(const bson_t *doc);

#endif
