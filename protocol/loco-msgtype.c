/* locoirc: see LICENSE.
 *
 * The message type table (LOCO.md 2.13) and the feed type names (2.14).
 * Every other module asks here for a type's name, label or flags so the
 * numbering lives in exactly one place.
 */
#include "config.h"

#include <string.h>

#include "loco-msgtype.h"

#define M LOCO_MSGTYPE_MEDIA
#define A LOCO_MSGTYPE_ATTACH

/* Ascending by type so lookups can binary-search. */
static const struct loco_msgtype_info msgtypes[] = {
    {LOCO_MSG_FEED, "feed", "Notice", 0},
    {LOCO_MSG_TEXT, "text", "Text", 0},
    {LOCO_MSG_PHOTO, "photo", "Photo", M | A},
    {LOCO_MSG_VIDEO, "video", "Video", M | A},
    {LOCO_MSG_CONTACT, "contact", "Contact", A},
    {LOCO_MSG_AUDIO, "audio", "Voice message", M | A},
    {LOCO_MSG_DITEMEMOTICON, "ditememoticon", "Emoticon", A},
    {LOCO_MSG_DITEMGIFT, "ditemgift", "Gift", A},
    {LOCO_MSG_DITEMIMG, "ditemimg", "Item image", A},
    {LOCO_MSG_KAKAOLINKV1, "kakaolinkv1", "KakaoLink", A},
    {LOCO_MSG_AVATAR, "avatar", "Avatar", A},
    {LOCO_MSG_STICKER, "sticker", "Emoticon", A},
    {LOCO_MSG_SCHEDULE, "schedule", "Schedule", A},
    {LOCO_MSG_VOTE, "vote", "Poll", A},
    {LOCO_MSG_LOTTERY, "lottery", "Lottery", A},
    {LOCO_MSG_MAP, "map", "Location", A},
    {LOCO_MSG_PROFILE, "profile", "Profile", A},
    {LOCO_MSG_FILE, "file", "File", M | A},
    {LOCO_MSG_STICKERANI, "stickerani", "Animated emoticon", A},
    {LOCO_MSG_NUDGE, "nudge", "Nudge", 0},
    {LOCO_MSG_ACTIONCON, "actioncon", "Action emoticon", A},
    {LOCO_MSG_SEARCH, "search", "Search result", A},
    {LOCO_MSG_POST, "post", "Post", A},
    {LOCO_MSG_STICKERGIF, "stickergif", "GIF emoticon", A},
    {LOCO_MSG_REPLY, "reply", "Reply", A},
    {LOCO_MSG_MULTIPHOTO, "multiphoto", "Photos", M | A},
    {LOCO_MSG_VOIP, "voip", "Call", A},
    {LOCO_MSG_LIVETALK, "livetalk", "Live talk", A},
    {LOCO_MSG_CUSTOM, "custom", "Shared content", A},
    {LOCO_MSG_ALIM, "alim", "Notification", A},
    {LOCO_MSG_PLUSFRIEND, "plusfriend", "Plus friend message", A},
    {LOCO_MSG_PLUSEVENT, "plusevent", "Plus event", A},
    {LOCO_MSG_PLUSFRIENDVIRAL, "plusfriendviral", "Plus friend share", A},
    {LOCO_MSG_OPEN_SCHEDULE, "openschedule", "Schedule", A},
    {LOCO_MSG_OPEN_VOTE, "openvote", "Poll", A},
    {LOCO_MSG_OPEN_POST, "openpost", "Post", A},
};

#undef M
#undef A

/* Feed type short names; LOCO.md 2.14. */
static const struct {
	int32_t type;
	const char *name;
} feedtypes[] = {
    {LOCO_FEED_LOCAL_LEAVE, "local_leave"},
    {LOCO_FEED_INVITE, "invite"},
    {LOCO_FEED_LEAVE, "leave"},
    {LOCO_FEED_SECRET_LEAVE, "secret_leave"},
    {LOCO_FEED_OPENLINK_JOIN, "openlink_join"},
    {LOCO_FEED_OPENLINK_DELETED, "openlink_deleted"},
    {LOCO_FEED_OPENLINK_KICKED, "openlink_kicked"},
    {LOCO_FEED_CHANNEL_KICKED, "channel_kicked"},
    {LOCO_FEED_CHANNEL_DELETED, "channel_deleted"},
    {LOCO_FEED_RICH_CONTENT, "rich_content"},
    {LOCO_FEED_OPEN_MANAGER_GRANT, "open_manager_grant"},
    {LOCO_FEED_OPEN_MANAGER_REVOKE, "open_manager_revoke"},
    {LOCO_FEED_OPENLINK_REWRITE, "openlink_rewrite"},
    {LOCO_FEED_DELETE_TO_ALL, "delete_to_all"},
    {LOCO_FEED_OPENLINK_HAND_OVER, "openlink_hand_over"},
    {LOCO_FEED_TEAM_CHANNEL_EVENT, "team_channel_event"},
};

#define NMSGTYPES (sizeof msgtypes / sizeof msgtypes[0])
#define NFEEDTYPES (sizeof feedtypes / sizeof feedtypes[0])

/* Hand out the whole table. */
const struct loco_msgtype_info *
loco_msgtype_table(size_t *n)
{
	*n = NMSGTYPES;
	return msgtypes;
}

/* Find a type's row by binary search, ignoring the deleted bit. */
const struct loco_msgtype_info *
loco_msgtype_lookup(int32_t type)
{
	int32_t base = loco_msgtype_base(type);
	size_t lo = 0, hi = NMSGTYPES;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (msgtypes[mid].type == base)
			return &msgtypes[mid];
		if (msgtypes[mid].type < base)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Find a row by short name. */
const struct loco_msgtype_info *
loco_msgtype_by_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < NMSGTYPES; i++) {
		if (strcmp(msgtypes[i].name, name) == 0)
			return &msgtypes[i];
	}
	return NULL;
}

/* Short name of a type, "unknown" if none. */
const char *
loco_msgtype_name(int32_t type)
{
	const struct loco_msgtype_info *mt = loco_msgtype_lookup(type);

	return mt != NULL ? mt->name : "unknown";
}

/* Human label of a type, "Unknown" if none. */
const char *
loco_msgtype_label(int32_t type)
{
	const struct loco_msgtype_info *mt = loco_msgtype_lookup(type);

	return mt != NULL ? mt->label : "Unknown";
}

/* Type number for a short name, -1 if none. */
int32_t
loco_msgtype_from_name(const char *name)
{
	const struct loco_msgtype_info *mt = loco_msgtype_by_name(name);

	return mt != NULL ? mt->type : -1;
}

/* Strip the deleted bit. */
int32_t
loco_msgtype_base(int32_t type)
{
	return (int32_t)((uint32_t)type & ~(uint32_t)LOCO_MSGTYPE_DELETED_BIT);
}

/* Test the deleted bit. */
bool
loco_msgtype_is_deleted(int32_t type)
{
	return ((uint32_t)type & LOCO_MSGTYPE_DELETED_BIT) != 0;
}

/* Whether a type carries downloadable media. */
bool
loco_msgtype_is_media(int32_t type)
{
	const struct loco_msgtype_info *mt = loco_msgtype_lookup(type);

	return mt != NULL && (mt->flags & LOCO_MSGTYPE_MEDIA) != 0;
}

/* Whether a type keeps its content in the attachment. */
bool
loco_msgtype_has_attachment(int32_t type)
{
	const struct loco_msgtype_info *mt = loco_msgtype_lookup(type);

	return mt != NULL && (mt->flags & LOCO_MSGTYPE_ATTACH) != 0;
}

/* Short name of a feed type, "unknown" if none. */
const char *
loco_feed_type_name(int32_t feed_type)
{
	size_t i;

	for (i = 0; i < NFEEDTYPES; i++) {
		if (feedtypes[i].type == feed_type)
			return feedtypes[i].name;
	}
	return "unknown";
}
