/* locoirc: see LICENSE.
 *
 * The message (chatLog) type numbers of LOCO.md 2.13 and the feed types of
 * 2.14, kept in one table with names, labels and flags. We follow the
 * Android numbering shared by node-kakao and KiwiTalk (decision 5); the
 * macOS command list's 12/14/26 numbering is deliberately not supported.
 */
#ifndef LOCOIRC_PROTOCOL_LOCO_MSGTYPE_H
#define LOCOIRC_PROTOCOL_LOCO_MSGTYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Set on the type of a deleted message; the rest is the original type. */
#define LOCO_MSGTYPE_DELETED_BIT 0x4000

/* chatLog `type` values (LOCO.md 2.13, node-kakao/KiwiTalk numbering). */
enum loco_msg_type {
	LOCO_MSG_FEED = 0,          /* system event; JSON in `message` */
	LOCO_MSG_TEXT = 1,          /* plain text, maybe mentions/long text */
	LOCO_MSG_PHOTO = 2,         /* one picture */
	LOCO_MSG_VIDEO = 3,         /* video clip */
	LOCO_MSG_CONTACT = 4,       /* shared contact card */
	LOCO_MSG_AUDIO = 5,         /* voice note */
	LOCO_MSG_DITEMEMOTICON = 6, /* item-store emoticon */
	LOCO_MSG_DITEMGIFT = 7,     /* item-store gift */
	LOCO_MSG_DITEMIMG = 8,      /* item-store image */
	LOCO_MSG_KAKAOLINKV1 = 9,   /* old KakaoLink share */
	LOCO_MSG_AVATAR = 11,       /* avatar */
	LOCO_MSG_STICKER = 12,      /* emoticon (sticker) */
	LOCO_MSG_SCHEDULE = 13,     /* calendar event */
	LOCO_MSG_VOTE = 14,         /* poll */
	LOCO_MSG_LOTTERY = 15,      /* lottery */
	LOCO_MSG_MAP = 16,          /* location */
	LOCO_MSG_PROFILE = 17,      /* shared profile */
	LOCO_MSG_FILE = 18,         /* file */
	LOCO_MSG_STICKERANI = 20,   /* animated emoticon */
	LOCO_MSG_NUDGE = 21,        /* nudge */
	LOCO_MSG_ACTIONCON = 22,    /* action emoticon */
	LOCO_MSG_SEARCH = 23,       /* shared search result */
	LOCO_MSG_POST = 24,         /* board post */
	LOCO_MSG_STICKERGIF = 25,   /* GIF emoticon */
	LOCO_MSG_REPLY = 26,        /* reply; source in the attachment */
	LOCO_MSG_MULTIPHOTO = 27,   /* several pictures */
	LOCO_MSG_VOIP = 51,         /* call log */
	LOCO_MSG_LIVETALK = 52,     /* live talk */
	LOCO_MSG_CUSTOM = 71,       /* KakaoLink template */
	LOCO_MSG_ALIM = 72,         /* notification */
	LOCO_MSG_PLUSFRIEND = 81,   /* Plus friend message */
	LOCO_MSG_PLUSEVENT = 82,    /* Plus event */
	LOCO_MSG_PLUSFRIENDVIRAL = 83, /* Plus viral */
	LOCO_MSG_OPEN_SCHEDULE = 96,   /* open-chat calendar event */
	LOCO_MSG_OPEN_VOTE = 97,       /* open-chat poll */
	LOCO_MSG_OPEN_POST = 98,       /* open-chat board post */
};

/* `feedType` inside the JSON `message` of a type 0 chatLog (LOCO.md 2.14). */
enum loco_feed_type {
	LOCO_FEED_LOCAL_LEAVE = -1,         /* client-side only */
	LOCO_FEED_INVITE = 1,               /* `inviter`, `members[]` */
	LOCO_FEED_LEAVE = 2,                /* `member` */
	LOCO_FEED_SECRET_LEAVE = 3,         /* leave without notice */
	LOCO_FEED_OPENLINK_JOIN = 4,        /* `members[]` */
	LOCO_FEED_OPENLINK_DELETED = 5,     /* open link deleted */
	LOCO_FEED_OPENLINK_KICKED = 6,      /* `member` */
	LOCO_FEED_CHANNEL_KICKED = 7,       /* channel kick */
	LOCO_FEED_CHANNEL_DELETED = 8,      /* channel deleted */
	LOCO_FEED_RICH_CONTENT = 10,        /* rich content */
	LOCO_FEED_OPEN_MANAGER_GRANT = 11,  /* `member` */
	LOCO_FEED_OPEN_MANAGER_REVOKE = 12, /* `member` */
	LOCO_FEED_OPENLINK_REWRITE = 13,    /* hidden by host: `member` */
	LOCO_FEED_DELETE_TO_ALL = 14,       /* `logId`, `hidden` */
	LOCO_FEED_OPENLINK_HAND_OVER = 15,  /* `prevHost`, `newHost` */
	LOCO_FEED_TEAM_CHANNEL_EVENT = 18,  /* team channel event */
};

/* Properties of a message type. */
enum loco_msgtype_flags {
	LOCO_MSGTYPE_MEDIA = 1 << 0,  /* carries downloadable media (url/k) */
	LOCO_MSGTYPE_ATTACH = 1 << 1, /* content lives in the attachment JSON */
};

/* One row of the type table; all strings are static. */
struct loco_msgtype_info {
	int32_t type;      /* enum loco_msg_type value */
	const char *name;  /* short, lower-case, stable: "text", "photo" */
	const char *label; /* for people: "Photo", "Voice message" */
	unsigned flags;    /* enum loco_msgtype_flags */
};

/* The whole table, ascending by type; *n gets its length. Static. */
const struct loco_msgtype_info *loco_msgtype_table(size_t *n);

/* The row for type (deleted bit masked), or NULL when unknown. */
const struct loco_msgtype_info *loco_msgtype_lookup(int32_t type);

/* The row whose short name is name (case-sensitive), or NULL. */
const struct loco_msgtype_info *loco_msgtype_by_name(const char *name);

/* Short name of type with the deleted bit masked; "unknown" when unknown. */
const char *loco_msgtype_name(int32_t type);

/* Human label of type with the deleted bit masked; "Unknown" when unknown. */
const char *loco_msgtype_label(int32_t type);

/* The type number named name, or -1 when no row has that short name. */
int32_t loco_msgtype_from_name(const char *name);

/* type without the deleted bit (type & ~0x4000). */
int32_t loco_msgtype_base(int32_t type);

/* Whether the deleted bit is set. */
bool loco_msgtype_is_deleted(int32_t type);

/* Whether the (base) type carries downloadable media. */
bool loco_msgtype_is_media(int32_t type);

/* Whether the (base) type keeps its content in the attachment JSON. */
bool loco_msgtype_has_attachment(int32_t type);

/* Short name of a feed type ("invite", "delete_to_all"); "unknown" else. */
const char *loco_feed_type_name(int32_t feed_type);

#endif
