/* locoirc: see LICENSE.
 *
 * Typed bodies of the session, chat-list and membership commands: the
 * chatDatas element and the chat list shared by LOGINLIST and LCHATLIST,
 * CHATONROOM, CHATINFO, GETMEM, MEMBER, SETMETA and the pushes NEWMEM,
 * DELMEM, SYNCJOIN, LEFT and CHGMETA (LOCO.md 1.9, 2.6-2.9, 2.16).
 *
 * Common rules: decode ignores unknown keys, accepts ids as
 * int32/int64/integral double and repairs invalid UTF-8; a missing
 * required key fails with LOCO_ERR_MISSING, a wrong type (an element of an
 * array included) with LOCO_ERR_TYPE, and after a failure *out holds
 * nothing to release. A response whose status is not 0 stops decoding
 * there. Encode appends to a document the caller has initialised, in the
 * key order of the struct, ids as int64 and other integers as int32.
 * Strings are owned and NULL when absent; required-looking strings are
 * written as "" when NULL. Keys marked "optional" are written only when
 * non-zero, non-NULL or true, as the real server omits them for chats
 * they do not apply to. Counted arrays are malloc'd (NULL when empty) and
 * their counts come from the elements actually present, never from the
 * peer; parallel arrays (i/k, a/w, chatIds/maxIds) may differ in length.
 */
#ifndef LOCOIRC_PROTOCOL_LOCO_CHAT_H
#define LOCOIRC_PROTOCOL_LOCO_CHAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bson/bson.h>

#include "loco-chatlog.h"
#include "loco-error.h"

/* Chat kinds, from the LOCO type strings (LOCO.md 2.16). */
enum loco_chat_type {
	LOCO_CHAT_UNKNOWN = 0, /* absent or a string we do not know */
	LOCO_CHAT_DIRECT,      /* "DirectChat" */
	LOCO_CHAT_MULTI,       /* "MultiChat" */
	LOCO_CHAT_MEMO,        /* "MemoChat", chat with oneself */
	LOCO_CHAT_PLUS,        /* "PlusChat" */
	LOCO_CHAT_OPEN_MULTI,  /* "OM" (open group) */
	LOCO_CHAT_OPEN_DIRECT  /* "OD" (open 1:1) */
};

/* Chat meta types (LOCO.md 2.8; NK channel/meta.ts, KT channel.rs). */
enum loco_meta_type {
	LOCO_META_NOTICE = 1, /* the room's notice, our topic */
	LOCO_META_GROUP = 2,
	LOCO_META_TITLE = 3,   /* the room's name */
	LOCO_META_PROFILE = 4, /* the room's picture */
	LOCO_META_TV = 5,
	LOCO_META_PRIVILEGE = 6,
	LOCO_META_TV_LIVE = 7,
	LOCO_META_PLUS_BACKGROUND = 8,
	LOCO_META_LIVE_TALK_INFO = 11,
	LOCO_META_LIVE_TALK_COUNT = 12,
	LOCO_META_OPEN_CHANNEL_CHAT = 13,
	LOCO_META_BOT = 14
};

/* Member user types (LOCO.md 2.9). */
enum loco_user_type {
	LOCO_USER_NOT_FRIEND = -100,
	LOCO_USER_DEACTIVATED = 9,
	LOCO_USER_FRIEND = 100,
	LOCO_USER_OPEN_PROFILE = 1000 /* open-chat member */
};

/* One chat meta: CHATINFO chatMetas[], CHGMETA and SETMETA "meta". */
struct loco_chat_meta {
	int32_t type; /* enum loco_meta_type; other values kept; required */
	int64_t revision;
	int64_t author_id;
	char *content;      /* text or JSON, depending on type */
	int32_t updated_at; /* Unix seconds */
};

/* One member: GETMEM/MEMBER members[], CHATONROOM m[] (LOCO.md 2.9).
 * Only userId is required on decode. Encode writes the keys strict clients
 * require for the member's kind even when empty or 0 (docs/locosim-compat.md):
 * a normal member (type other than 1000) always gets accountId, countryIso,
 * the three profile URLs, statusMessage, linkedServices and suspended; an
 * open-chat member (type 1000) always gets pi, fpi, opi, opt, mt and ptp.
 * Other keys are written when set. */
struct loco_member {
	int64_t user_id; /* required */
	int64_t account_id;
	char *nickname; /* "nickName" */
	char *country_iso;
	char *profile_image_url;
	char *full_profile_image_url;
	char *original_profile_image_url;
	char *status_message;
	char *linked_services; /* "linkedServices", e.g. "" or "story" */
	int32_t type;          /* enum loco_user_type */
	bool suspended;
	int32_t ut;  /* meaning unknown (LOCO.md 2.9) */
	char *pi;    /* open chats: profile image URL */
	char *fpi;   /* open chats: full profile image URL */
	char *opi;   /* open chats: original profile image URL */
	int32_t opt; /* open chats: open token (NK) */
	int64_t pli; /* open chats: profile link id (valid when ptp is 16) */
	int32_t mt;  /* open chats: permission (host, manager, member) */
	int32_t ptp; /* open chats: profile type (LW) */
};

/* One chatDatas[] element (LOCO.md 1.9 table). */
struct loco_chat_data {
	int64_t chat_id;               /* "c"; required */
	enum loco_chat_type type;      /* "t" */
	int32_t active_members;        /* "a" */
	int32_t new_count;             /* "n": unread messages */
	int64_t last_log_id;           /* "ll": last log id (LOCO.md 6.6) */
	int64_t last_seen_log_id;      /* "s": last read log id (LOCO.md 6.6) */
	struct loco_chatlog *last_log; /* "l", owned; NULL when absent */
	int64_t *icon_user_ids;        /* "i": users shown for the room */
	size_t n_icon_user_ids;
	char **icon_nicknames; /* "k": nicknames parallel to "i" */
	size_t n_icon_nicknames;
	int64_t last_update; /* "o": last-update timestamp */
	bool push_alert;     /* "p" */
	int64_t mmr;         /* meaning unknown; 0 on open chats */
	int32_t jn;          /* optional; meaning unknown, non-open only */
	int64_t link_id;     /* "li", optional: open chats only */
	int32_t open_token;  /* "otk", optional: open chats only */
};

/* The chat-list part of the LOGINLIST and LCHATLIST responses. Encode
 * also writes "kc" (element type unknown) as an empty array, which
 * loco-wrapper requires; decode ignores it. */
struct loco_chat_list {
	struct loco_chat_data *chats; /* "chatDatas" */
	size_t n_chats;
	int64_t last_chat_id;  /* next LCHATLIST "lastChatId" */
	int64_t last_token_id; /* next LCHATLIST/LOGINLIST "lastTokenId" */
	int64_t ltk;           /* meaning unknown */
	int32_t lbk;           /* "last block token", next LOGINLIST "lbk" */
	int32_t mcm_revision;  /* "mcmRevision" */
	int64_t *del_chat_ids; /* "delChatIds": chats gone since last login */
	size_t n_del_chat_ids;
	bool eof; /* false: call LCHATLIST again (LOCO.md 6.13) */
};

/* LOGINLIST request (LOCO.md 1.9). oauthToken and duuid are required.
 * rp is always written as the binary 00 00 FF FF 00 00 (LOCO.md 6.14) and
 * read as binary, null or absent. */
struct loco_loginlist_req {
	char *app_ver; /* "appVer"; too old gives -999 */
	char *prt_ver; /* "prtVer", "1" */
	char *os;
	char *lang;
	char *duuid;       /* device UUID */
	char *oauth_token; /* secret: wiped on release; "oauthToken" (6.15) */
	int32_t dtype;     /* 2 = sub-device/PC, 1 = main */
	int32_t ntype;
	char *mccmnc;
	int32_t revision;  /* last revision from the server, 0 at first */
	int64_t *chat_ids; /* known chats */
	size_t n_chat_ids;
	int64_t *max_ids; /* last known log id per chat, parallel */
	size_t n_max_ids;
	int64_t last_token_id;
	int32_t lbk;
	bool bg;
	int32_t pcst; /* optional PC status: 1 unlocked, 2 locked */
};

/* LOGINLIST response. userId is required when status is 0; rp as in the
 * request. */
struct loco_loginlist_res {
	int32_t status;
	int64_t user_id;
	int32_t revision;
	char *revision_info; /* JSON text; optional */
	int64_t min_log_id;
	int32_t sb; /* meaning unknown */
	struct loco_chat_list list;
};

/* LCHATLIST request; a peer may send only the last two keys. */
struct loco_lchatlist_req {
	int64_t *chat_ids;
	size_t n_chat_ids;
	int64_t *max_ids; /* parallel to chat_ids */
	size_t n_max_ids;
	int64_t last_token_id;
	int64_t last_chat_id;
};

/* LCHATLIST response. */
struct loco_lchatlist_res {
	int32_t status;
	struct loco_chat_list list;
};

/* CHATONROOM request. chatId is required. */
struct loco_chatonroom_req {
	int64_t chat_id;
	int64_t token; /* last known log id or 0 (KT); always written */
	int32_t opt;
};

/* CHATONROOM response (LOCO.md 2.7). "c" is required when status is 0. */
struct loco_chatonroom_res {
	int32_t status;
	int64_t chat_id;             /* "c" */
	enum loco_chat_type type;    /* "t" */
	int64_t last_log_id;         /* "l": SYNCMSG max */
	struct loco_member *members; /* "m": rooms of up to 100 members */
	size_t n_members;
	int64_t *member_ids; /* "mi", optional: bigger rooms */
	size_t n_member_ids;
	int64_t *watermark_user_ids; /* "a" */
	size_t n_watermark_user_ids;
	int64_t *watermarks; /* "w": read log id, parallel to "a" */
	size_t n_watermarks;
	int32_t open_token; /* "otk", optional: open chats */
	bool noti_read;     /* "notiRead", optional: open chats */
	/* Always written, read leniently (meanings unknown, LOCO.md 2.7;
	 * KiwiTalk requires o, f and mr, node-kakao types jsi too). */
	int64_t last_update; /* "o": last-update timestamp, Unix seconds */
	int64_t jsi;         /* "jsi": the chat's first log id */
	bool f;              /* "f" */
	char *mr;            /* "mr": JSON text; written as "" when NULL */
};

/* CHATINFO chatInfo.meta: the keys we use. */
struct loco_chat_info_meta {
	char *name;
	char *image_path;     /* "image_path" */
	char *image_url;      /* "imageUrl" */
	char *full_image_url; /* "fullImageUrl" */
};

/* CHATINFO chatInfo.displayMembers[]. userId is required. */
struct loco_display_member {
	int64_t user_id;
	char *nickname; /* "nickName" */
	char *country_iso;
	char *profile_image_url;
};

/* CHATINFO "chatInfo" (LOCO.md 2.8). chatId is required. */
struct loco_chat_info {
	int64_t chat_id;
	enum loco_chat_type type;
	int32_t active_members; /* "activeMembersCount" */
	int32_t new_message_count;
	bool invalid_new_message_count; /* "invalidNewMessageCount" (NK) */
	int64_t last_log_id;
	int64_t last_seen_log_id;
	struct loco_chatlog *last_chat_log; /* owned; NULL when absent */
	int64_t last_updated_at; /* type unknown (NK): read if an integer */
	bool push_alert;
	struct loco_chat_info_meta meta; /* written when any field is set */
	struct loco_chat_meta *metas;    /* "chatMetas"; title is type 3 */
	size_t n_metas;
	struct loco_display_member *display_members;
	size_t n_display_members;
	bool left;
	/* "joinedAtForNewMem", Unix seconds; written for every chat that is
	 * not open (KiwiTalk requires it there), read leniently. */
	int32_t joined_at_for_new_mem;
	int64_t link_id;    /* "li", optional: open chats */
	int32_t open_token; /* "otk", optional: open chats */
	bool direct_chat;   /* "directChat" */
};

/* CHATINFO request. chatId is required. */
struct loco_chatinfo_req {
	int64_t chat_id;
};

/* CHATINFO response. chatInfo is required when status is 0. */
struct loco_chatinfo_res {
	int32_t status;
	struct loco_chat_info info; /* "chatInfo" */
};

/* GETMEM request. chatId is required. */
struct loco_getmem_req {
	int64_t chat_id;
};

/* GETMEM response. */
struct loco_getmem_res {
	int32_t status;
	struct loco_member *members;
	size_t n_members;
	int64_t token; /* member-list revision or time */
};

/* MEMBER request: chatId and memberIds are required. */
struct loco_member_req {
	int64_t chat_id;
	int64_t *member_ids; /* up to 300 per request (NK) */
	size_t n_member_ids;
};

/* MEMBER response. */
struct loco_member_res {
	int32_t status;
	int64_t chat_id;
	struct loco_member *members;
	size_t n_members;
};

/* NEWMEM push: a feed chatLog listing who joined. chatLog is required;
 * a missing chatId is taken from the chatLog. */
struct loco_newmem {
	int64_t chat_id;
	struct loco_chatlog chatlog; /* "chatLog"; feed type 0 */
};

/* DELMEM push: a feed chatLog naming who left; rules as NEWMEM. */
struct loco_delmem {
	int64_t chat_id;
	struct loco_chatlog chatlog; /* "chatLog"; feed type 0 */
};

/* SYNCJOIN push: this account joined a chat; rules as NEWMEM. */
struct loco_syncjoin {
	int64_t chat_id;             /* "c" */
	struct loco_chatlog chatlog; /* "chatLog" */
};

/* LEFT push: this account left a chat elsewhere. chatId is required. */
struct loco_left {
	int64_t chat_id;
	int64_t last_token_id;
};

/* CHGMETA push. chatId and meta are required. */
struct loco_chgmeta {
	int64_t chat_id;
	struct loco_chat_meta meta;
};

/* SETMETA request. chatId and type are required. */
struct loco_setmeta_req {
	int64_t chat_id;
	int32_t type; /* enum loco_meta_type */
	char *content;
};

/* SETMETA response. chatId and meta are required when status is 0. */
struct loco_setmeta_res {
	int32_t status;
	int64_t chat_id;
	struct loco_chat_meta meta;
};

/* The LOCO string of t; "" for LOCO_CHAT_UNKNOWN. Never NULL. */
const char *loco_chat_type_name(enum loco_chat_type t);

/* The chat type named s (also the REST names "OpenMultiChat" and
 * "OpenDirectChat"); LOCO_CHAT_UNKNOWN for NULL or an unknown string. */
enum loco_chat_type loco_chat_type_from_name(const char *s);

/* True for OM and OD. */
bool loco_chat_type_is_open(enum loco_chat_type t);

int loco_chat_meta_decode(const bson_t *doc, struct loco_chat_meta *out,
    struct loco_error *err);
void loco_chat_meta_encode(const struct loco_chat_meta *in, bson_t *out);
void loco_chat_meta_release(struct loco_chat_meta *x);

int loco_member_decode(const bson_t *doc, struct loco_member *out,
    struct loco_error *err);
void loco_member_encode(const struct loco_member *in, bson_t *out);
void loco_member_release(struct loco_member *x);

int loco_chat_data_decode(const bson_t *doc, struct loco_chat_data *out,
    struct loco_error *err);
void loco_chat_data_encode(const struct loco_chat_data *in, bson_t *out);
void loco_chat_data_release(struct loco_chat_data *x);

/* The chat-list keys of a LOGINLIST or LCHATLIST response body. */
int loco_chat_list_decode(const bson_t *doc, struct loco_chat_list *out,
    struct loco_error *err);
void loco_chat_list_encode(const struct loco_chat_list *in, bson_t *out);
void loco_chat_list_release(struct loco_chat_list *x);

int loco_loginlist_req_decode(const bson_t *doc, struct loco_loginlist_req *out,
    struct loco_error *err);
void loco_loginlist_req_encode(const struct loco_loginlist_req *in,
    bson_t *out);
/* Wipes oauth_token before freeing it. */
void loco_loginlist_req_release(struct loco_loginlist_req *x);

int loco_loginlist_res_decode(const bson_t *doc, struct loco_loginlist_res *out,
    struct loco_error *err);
void loco_loginlist_res_encode(const struct loco_loginlist_res *in,
    bson_t *out);
void loco_loginlist_res_release(struct loco_loginlist_res *x);

int loco_lchatlist_req_decode(const bson_t *doc, struct loco_lchatlist_req *out,
    struct loco_error *err);
void loco_lchatlist_req_encode(const struct loco_lchatlist_req *in,
    bson_t *out);
void loco_lchatlist_req_release(struct loco_lchatlist_req *x);

int loco_lchatlist_res_decode(const bson_t *doc, struct loco_lchatlist_res *out,
    struct loco_error *err);
void loco_lchatlist_res_encode(const struct loco_lchatlist_res *in,
    bson_t *out);
void loco_lchatlist_res_release(struct loco_lchatlist_res *x);

int loco_chatonroom_req_decode(const bson_t *doc,
    struct loco_chatonroom_req *out, struct loco_error *err);
void loco_chatonroom_req_encode(const struct loco_chatonroom_req *in,
    bson_t *out);
void loco_chatonroom_req_release(struct loco_chatonroom_req *x);

/* "m" is written when it has members or "mi" is empty. */
int loco_chatonroom_res_decode(const bson_t *doc,
    struct loco_chatonroom_res *out, struct loco_error *err);
void loco_chatonroom_res_encode(const struct loco_chatonroom_res *in,
    bson_t *out);
void loco_chatonroom_res_release(struct loco_chatonroom_res *x);

int loco_chat_info_decode(const bson_t *doc, struct loco_chat_info *out,
    struct loco_error *err);
void loco_chat_info_encode(const struct loco_chat_info *in, bson_t *out);
void loco_chat_info_release(struct loco_chat_info *x);

int loco_chatinfo_req_decode(const bson_t *doc, struct loco_chatinfo_req *out,
    struct loco_error *err);
void loco_chatinfo_req_encode(const struct loco_chatinfo_req *in, bson_t *out);
void loco_chatinfo_req_release(struct loco_chatinfo_req *x);

int loco_chatinfo_res_decode(const bson_t *doc, struct loco_chatinfo_res *out,
    struct loco_error *err);
void loco_chatinfo_res_encode(const struct loco_chatinfo_res *in, bson_t *out);
void loco_chatinfo_res_release(struct loco_chatinfo_res *x);

int loco_getmem_req_decode(const bson_t *doc, struct loco_getmem_req *out,
    struct loco_error *err);
void loco_getmem_req_encode(const struct loco_getmem_req *in, bson_t *out);
void loco_getmem_req_release(struct loco_getmem_req *x);

int loco_getmem_res_decode(const bson_t *doc, struct loco_getmem_res *out,
    struct loco_error *err);
void loco_getmem_res_encode(const struct loco_getmem_res *in, bson_t *out);
void loco_getmem_res_release(struct loco_getmem_res *x);

int loco_member_req_decode(const bson_t *doc, struct loco_member_req *out,
    struct loco_error *err);
void loco_member_req_encode(const struct loco_member_req *in, bson_t *out);
void loco_member_req_release(struct loco_member_req *x);

int loco_member_res_decode(const bson_t *doc, struct loco_member_res *out,
    struct loco_error *err);
void loco_member_res_encode(const struct loco_member_res *in, bson_t *out);
void loco_member_res_release(struct loco_member_res *x);

int loco_newmem_decode(const bson_t *doc, struct loco_newmem *out,
    struct loco_error *err);
void loco_newmem_encode(const struct loco_newmem *in, bson_t *out);
void loco_newmem_release(struct loco_newmem *x);

int loco_delmem_decode(const bson_t *doc, struct loco_delmem *out,
    struct loco_error *err);
void loco_delmem_encode(const struct loco_delmem *in, bson_t *out);
void loco_delmem_release(struct loco_delmem *x);

int loco_syncjoin_decode(const bson_t *doc, struct loco_syncjoin *out,
    struct loco_error *err);
void loco_syncjoin_encode(const struct loco_syncjoin *in, bson_t *out);
void loco_syncjoin_release(struct loco_syncjoin *x);

int loco_left_decode(const bson_t *doc, struct loco_left *out,
    struct loco_error *err);
void loco_left_encode(const struct loco_left *in, bson_t *out);
void loco_left_release(struct loco_left *x);

int loco_chgmeta_decode(const bson_t *doc, struct loco_chgmeta *out,
    struct loco_error *err);
void loco_chgmeta_encode(const struct loco_chgmeta *in, bson_t *out);
void loco_chgmeta_release(struct loco_chgmeta *x);

int loco_setmeta_req_decode(const bson_t *doc, struct loco_setmeta_req *out,
    struct loco_error *err);
void loco_setmeta_req_encode(const struct loco_setmeta_req *in, bson_t *out);
void loco_setmeta_req_release(struct loco_setmeta_req *x);

int loco_setmeta_res_decode(const bson_t *doc, struct loco_setmeta_res *out,
    struct loco_error *err);
void loco_setmeta_res_encode(const struct loco_setmeta_res *in, bson_t *out);
void loco_setmeta_res_release(struct loco_setmeta_res *x);

/* for the fuzz target */
/* Run every decoder of this module on doc and release what succeeded. */
void loco_chat_fuzz_decode_all(const bson_t *doc);

#endif
