/* locoirc: see LICENSE.
 *
 * Chat list, room and membership bodies: hand-worked BSON vectors decoded
 * field by field and re-encoded byte for byte (LOGINLIST request with rp,
 * MEMBER response, LCHATLIST page of an open chat), the liberal forms of
 * decision 12, nested errors, chat type names, and the generic codec
 * checks for every struct.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>

#include "bodycheck.h"
#include "loco-chat.h"
#include "tap.h"
#include "xmalloc.h"

/* void-pointer wrappers so bodycheck can drive each codec */
#define CODEC_CB(t)                                                            \
	static int t##_dec(const bson_t *d, void *o, struct loco_error *e)     \
	{                                                                      \
		return loco_##t##_decode(d, o, e);                             \
	}                                                                      \
	static void t##_enc(const void *i, bson_t *o)                          \
	{                                                                      \
		loco_##t##_encode(i, o);                                       \
	}                                                                      \
	static void t##_rel(void *x)                                           \
	{                                                                      \
		loco_##t##_release(x);                                         \
	}
#define CODEC(t, k, req, len, resp)                                            \
	{                                                                      \
		.name = #t, .size = sizeof(struct loco_##t),                   \
		.decode = t##_dec, .encode = t##_enc, .release = t##_rel,      \
		.fill = t##_fill, .keys = k, .required = req, .lenient = len,  \
		.verbatim = "t type", .response = resp                         \
	}

/* The chat-list keys, shared by LOGINLIST and LCHATLIST responses. */
#define LIST_KEYS                                                              \
	"chatDatas lastChatId lastTokenId ltk lbk mcmRevision delChatIds kc "  \
	"eof "

CODEC_CB(chat_meta)
CODEC_CB(member)
CODEC_CB(chat_data)
CODEC_CB(chat_list)
CODEC_CB(loginlist_req)
CODEC_CB(loginlist_res)
CODEC_CB(lchatlist_req)
CODEC_CB(lchatlist_res)
CODEC_CB(chatonroom_req)
CODEC_CB(chatonroom_res)
CODEC_CB(chat_info)
CODEC_CB(chatinfo_req)
CODEC_CB(chatinfo_res)
CODEC_CB(getmem_req)
CODEC_CB(getmem_res)
CODEC_CB(member_req)
CODEC_CB(member_res)
CODEC_CB(newmem)
CODEC_CB(delmem)
CODEC_CB(syncjoin)
CODEC_CB(left)
CODEC_CB(chgmeta)
CODEC_CB(setmeta_req)
CODEC_CB(setmeta_res)

static int64_t *i64v(size_t n, int64_t first);
static char **strv(size_t n, const char *prefix);
static void fill_chatlog(struct loco_chatlog *cl, int64_t base);
static struct loco_chatlog *new_chatlog(int64_t base);
static void fill_meta(struct loco_chat_meta *m, int32_t base);
static void fill_member(struct loco_member *m, int32_t base);
static struct loco_member *new_members(size_t n, int32_t base);
static void fill_data(struct loco_chat_data *d, int32_t base);
static void fill_list(struct loco_chat_list *l, int32_t base);
static void fill_info(struct loco_chat_info *ci, int32_t base);
static void chat_meta_fill(void *p);
static void member_fill(void *p);
static void chat_data_fill(void *p);
static void chat_list_fill(void *p);
static void loginlist_req_fill(void *p);
static void loginlist_res_fill(void *p);
static void lchatlist_req_fill(void *p);
static void lchatlist_res_fill(void *p);
static void chatonroom_req_fill(void *p);
static void chatonroom_res_fill(void *p);
static void chat_info_fill(void *p);
static void chatinfo_req_fill(void *p);
static void chatinfo_res_fill(void *p);
static void getmem_req_fill(void *p);
static void getmem_res_fill(void *p);
static void member_req_fill(void *p);
static void member_res_fill(void *p);
static void newmem_fill(void *p);
static void delmem_fill(void *p);
static void syncjoin_fill(void *p);
static void left_fill(void *p);
static void chgmeta_fill(void *p);
static void setmeta_req_fill(void *p);
static void setmeta_res_fill(void *p);
static bson_t *json(const char *s);
static void expect_error(bodycheck_decode_cb dec, bodycheck_release_cb rel,
    size_t size, const char *js, enum loco_error_code code, const char *needle);
static void test_loginlist_req_vector(void);
static void test_member_res_vector(void);
static void test_lchatlist_res_vector(void);
static void test_liberal_forms(void);
static void test_nested_errors(void);
static void test_chat_types(void);
static void test_chatonroom_big_room(void);
static bool key_type(const bson_t *doc, const char *key, bson_type_t t);
static void test_member_kinds(void);
static void test_client_required_keys(void);

/* doc[key] exists with BSON type t (EOD: is absent). */
static bool
key_type(const bson_t *doc, const char *key, bson_type_t t)
{
	bson_iter_t it;

	if (!bson_iter_init_find(&it, doc, key))
		return t == BSON_TYPE_EOD;
	return bson_iter_type(&it) == t;
}

/*
 * A member with nothing but its id and kind still carries every key the
 * strict clients require for that kind (KiwiTalk's User and open User,
 * loco-wrapper's MEMBER reader), and none of the other kind's.
 */
static void
test_member_kinds(void)
{
	static const char *const normal_strs[] = {"countryIso",
	    "profileImageUrl", "fullProfileImageUrl", "originalProfileImageUrl",
	    "statusMessage", "linkedServices"};
	static const char *const open_strs[] = {"pi", "fpi", "opi"};
	static const char *const open_ints[] = {"opt", "mt", "ptp"};
	struct loco_member m = {0};
	bool good = true;
	bson_iter_t it;
	bson_t out;
	size_t i;

	m.user_id = 5;
	m.type = LOCO_USER_FRIEND;
	bson_init(&out);
	loco_member_encode(&m, &out);
	ok(key_type(&out, "accountId", BSON_TYPE_INT64),
	    "normal member: accountId is int64 even when 0");
	for (i = 0; i < sizeof normal_strs / sizeof *normal_strs; i++)
		if (!bson_iter_init_find(&it, &out, normal_strs[i]) ||
		    !BSON_ITER_HOLDS_UTF8(&it) ||
		    strcmp(bson_iter_utf8(&it, NULL), "") != 0) {
			diag("normal member: %s", normal_strs[i]);
			good = false;
		}
	ok(good, "normal member: absent strings are written as \"\"");
	ok(bson_iter_init_find(&it, &out, "suspended") &&
	        BSON_ITER_HOLDS_BOOL(&it) && !bson_iter_bool(&it),
	    "normal member: suspended false is written");
	ok(key_type(&out, "pi", BSON_TYPE_EOD) &&
	        key_type(&out, "opt", BSON_TYPE_EOD) &&
	        key_type(&out, "mt", BSON_TYPE_EOD) &&
	        key_type(&out, "ptp", BSON_TYPE_EOD),
	    "normal member: no open-profile keys");

	m.type = LOCO_USER_OPEN_PROFILE;
	bson_reinit(&out);
	loco_member_encode(&m, &out);
	good = true;
	for (i = 0; i < sizeof open_strs / sizeof *open_strs; i++)
		if (!key_type(&out, open_strs[i], BSON_TYPE_UTF8))
			good = false;
	for (i = 0; i < sizeof open_ints / sizeof *open_ints; i++)
		if (!bson_iter_init_find(&it, &out, open_ints[i]) ||
		    !BSON_ITER_HOLDS_INT32(&it) || bson_iter_int32(&it) != 0)
			good = false;
	ok(good, "open member: pi fpi opi strings, opt mt ptp int32 0");
	ok(key_type(&out, "accountId", BSON_TYPE_EOD) &&
	        key_type(&out, "linkedServices", BSON_TYPE_EOD) &&
	        key_type(&out, "suspended", BSON_TYPE_EOD) &&
	        key_type(&out, "statusMessage", BSON_TYPE_EOD),
	    "open member: no normal-profile keys");
	bson_destroy(&out);
}

/*
 * Keys strict clients require whatever the values: CHATONROOM o, jsi, f,
 * mr; chatInfo invalidNewMessageCount and (not open) joinedAtForNewMem;
 * kc in every chat list. Those of unknown meaning read leniently.
 */
static void
test_client_required_keys(void)
{
	struct loco_chatonroom_res cr = {0}, back;
	struct loco_chat_info ci = {0};
	struct loco_chat_list cl = {0};
	struct loco_error err = {0};
	bson_iter_t it, sub;
	bson_t out, *doc;

	cr.chat_id = 1;
	cr.type = LOCO_CHAT_MULTI;
	bson_init(&out);
	loco_chatonroom_res_encode(&cr, &out);
	ok(key_type(&out, "o", BSON_TYPE_INT64) &&
	        key_type(&out, "jsi", BSON_TYPE_INT64) &&
	        key_type(&out, "f", BSON_TYPE_BOOL),
	    "CHATONROOM: o and jsi int64, f bool, even when 0/false");
	ok(bson_iter_init_find(&it, &out, "mr") && BSON_ITER_HOLDS_UTF8(&it) &&
	        strcmp(bson_iter_utf8(&it, NULL), "") == 0,
	    "CHATONROOM: mr is a string even when unset");
	bson_destroy(&out);

	doc = json("{\"c\": 1, \"o\": \"soon\", \"jsi\": [1], \"f\": 1,"
	           " \"mr\": 7}");
	if (ok(loco_chatonroom_res_decode(doc, &back, &err) == 0,
	        "CHATONROOM: odd types in o jsi f mr decode: %s", err.msg)) {
		ok(back.last_update == 0 && back.jsi == 0 && back.f &&
		        back.mr == NULL,
		    "CHATONROOM: only usable values are kept");
		loco_chatonroom_res_release(&back);
	}
	bson_destroy(doc);

	ci.chat_id = 2;
	ci.type = LOCO_CHAT_DIRECT;
	bson_init(&out);
	loco_chat_info_encode(&ci, &out);
	ok(key_type(&out, "joinedAtForNewMem", BSON_TYPE_INT32) &&
	        key_type(&out, "invalidNewMessageCount", BSON_TYPE_BOOL) &&
	        key_type(&out, "left", BSON_TYPE_BOOL) &&
	        key_type(&out, "chatMetas", BSON_TYPE_ARRAY) &&
	        key_type(&out, "displayMembers", BSON_TYPE_ARRAY),
	    "chatInfo of a normal chat: joinedAtForNewMem, flags, arrays");
	ci.type = LOCO_CHAT_OPEN_MULTI;
	bson_reinit(&out);
	loco_chat_info_encode(&ci, &out);
	ok(key_type(&out, "joinedAtForNewMem", BSON_TYPE_EOD),
	    "chatInfo of an open chat: no joinedAtForNewMem");
	bson_destroy(&out);

	bson_init(&out);
	loco_chat_list_encode(&cl, &out);
	ok(bson_iter_init_find(&it, &out, "kc") && BSON_ITER_HOLDS_ARRAY(&it) &&
	        bson_iter_recurse(&it, &sub) && !bson_iter_next(&sub),
	    "chat list: kc is an empty array");
	bson_destroy(&out);
}

/* n consecutive ids from first, malloc'd. */
static int64_t *
i64v(size_t n, int64_t first)
{
	int64_t *v = xreallocarray(NULL, n, sizeof *v);
	size_t i;

	for (i = 0; i < n; i++)
		v[i] = first + (int64_t)i;
	return v;
}

/* n strings "prefix0", "prefix1", ..., malloc'd. */
static char **
strv(size_t n, const char *prefix)
{
	char **v = xreallocarray(NULL, n, sizeof *v);
	size_t i;

	for (i = 0; i < n; i++)
		v[i] = xasprintf("%s%zu", prefix, i);
	return v;
}

/* A chatLog with every field set, values from base up. */
static void
fill_chatlog(struct loco_chatlog *cl, int64_t base)
{
	cl->log_id = base + 1;
	cl->prev_id = base + 2;
	cl->chat_id = base + 3;
	cl->author_id = base + 4;
	cl->type = (int32_t)(base % 1000) + 5;
	cl->send_at = 1700000000 + (int32_t)(base % 1000);
	cl->msg_id = base + 6;
	cl->message = xasprintf("message %lld", (long long)base);
	cl->attachment = xstrdup("{\"k\":\"v\"}");
	cl->supplement = xstrdup("{\"s\":1}");
	cl->referer = 2;
}

/* A heap chatLog filled from base. */
static struct loco_chatlog *
new_chatlog(int64_t base)
{
	struct loco_chatlog *cl = xcalloc(1, sizeof *cl);

	fill_chatlog(cl, base);
	return cl;
}

/* A chat meta (title) with values from base up. */
static void
fill_meta(struct loco_chat_meta *m, int32_t base)
{
	m->type = LOCO_META_TITLE;
	m->revision = base + 1;
	m->author_id = base + 2;
	m->content = xasprintf("title %d", base);
	m->updated_at = 1600000000 + base;
}

/* A member with every normal and open-chat field set. */
static void
fill_member(struct loco_member *m, int32_t base)
{
	m->user_id = base + 1;
	m->account_id = base + 2;
	m->nickname = xasprintf("nick%d", base);
	m->country_iso = xstrdup("KR");
	m->profile_image_url = xasprintf("https://p.example/%d", base);
	m->full_profile_image_url = xasprintf("https://f.example/%d", base);
	m->original_profile_image_url = xasprintf("https://o.example/%d", base);
	m->status_message = xasprintf("status %d", base);
	m->linked_services = xstrdup("story");
	m->type = LOCO_USER_OPEN_PROFILE;
	m->suspended = true;
	m->ut = base + 3;
	m->pi = xasprintf("pi%d", base);
	m->fpi = xasprintf("fpi%d", base);
	m->opi = xasprintf("opi%d", base);
	m->opt = base + 4;
	m->pli = base + 5;
	m->mt = 2;
	m->ptp = 16;
}

/* n filled members, malloc'd. */
static struct loco_member *
new_members(size_t n, int32_t base)
{
	struct loco_member *v = xcalloc(n, sizeof *v);
	size_t i;

	for (i = 0; i < n; i++)
		fill_member(&v[i], base + 10 * (int32_t)i);
	return v;
}

/* A chatDatas element of an open chat with every key set. */
static void
fill_data(struct loco_chat_data *d, int32_t base)
{
	d->chat_id = base + 1;
	d->type = LOCO_CHAT_OPEN_MULTI;
	d->active_members = base + 2;
	d->new_count = base + 3;
	d->last_log_id = base + 4;
	d->last_seen_log_id = base + 5;
	d->last_log = new_chatlog(base + 100);
	d->icon_user_ids = i64v(2, base + 6);
	d->n_icon_user_ids = 2;
	d->icon_nicknames = strv(3, "k");
	d->n_icon_nicknames = 3;
	d->last_update = base + 8;
	d->push_alert = true;
	d->mmr = base + 9;
	d->jn = base + 10;
	d->link_id = base + 11;
	d->open_token = base + 12;
}

/* A chat list of two chats; eof false, the non-default. */
static void
fill_list(struct loco_chat_list *l, int32_t base)
{
	size_t i;

	l->n_chats = 2;
	l->chats = xcalloc(l->n_chats, sizeof *l->chats);
	for (i = 0; i < l->n_chats; i++)
		fill_data(&l->chats[i], base + 1000 * (int32_t)i);
	l->last_chat_id = base + 1;
	l->last_token_id = base + 2;
	l->ltk = base + 3;
	l->lbk = base + 4;
	l->mcm_revision = base + 5;
	l->del_chat_ids = i64v(2, base + 6);
	l->n_del_chat_ids = 2;
	l->eof = false; /* the default when absent is true */
}

/* A chatInfo with two metas and two display members. */
static void
fill_info(struct loco_chat_info *ci, int32_t base)
{
	size_t i;

	ci->chat_id = base + 1;
	ci->type = LOCO_CHAT_MULTI;
	ci->active_members = base + 2;
	ci->new_message_count = base + 3;
	ci->invalid_new_message_count = true;
	ci->last_log_id = base + 4;
	ci->last_seen_log_id = base + 5;
	ci->last_chat_log = new_chatlog(base + 200);
	ci->last_updated_at = base + 6;
	ci->push_alert = true;
	ci->meta.name = xstrdup("room");
	ci->meta.image_path = xstrdup("/img");
	ci->meta.image_url = xstrdup("https://i.example/s");
	ci->meta.full_image_url = xstrdup("https://i.example/f");
	ci->n_metas = 2;
	ci->metas = xcalloc(ci->n_metas, sizeof *ci->metas);
	fill_meta(&ci->metas[0], base + 10);
	fill_meta(&ci->metas[1], base + 20);
	ci->metas[1].type = LOCO_META_NOTICE;
	ci->n_display_members = 2;
	ci->display_members =
	    xcalloc(ci->n_display_members, sizeof *ci->display_members);
	for (i = 0; i < ci->n_display_members; i++) {
		ci->display_members[i].user_id = base + 30 + (int64_t)i;
		ci->display_members[i].nickname = xasprintf("dm%zu", i);
		ci->display_members[i].country_iso = xstrdup("JP");
		ci->display_members[i].profile_image_url =
		    xasprintf("https://d.example/%zu", i);
	}
	ci->left = true;
	ci->joined_at_for_new_mem = 1500000000 + base;
	ci->link_id = base + 7;
	ci->open_token = base + 8;
	ci->direct_chat = true;
}

/* Fill a struct loco_chat_meta with distinct non-default values. */
static void
chat_meta_fill(void *p)
{
	fill_meta(p, 10);
}

/* Fill a struct loco_member with distinct non-default values. */
static void
member_fill(void *p)
{
	fill_member(p, 20);
}

/* Fill a struct loco_chat_data with distinct non-default values. */
static void
chat_data_fill(void *p)
{
	fill_data(p, 30);
}

/* Fill a struct loco_chat_list with distinct non-default values. */
static void
chat_list_fill(void *p)
{
	fill_list(p, 40);
}

/* Fill a struct loco_loginlist_req with distinct non-default values. */
static void
loginlist_req_fill(void *p)
{
	struct loco_loginlist_req *x = p;

	x->app_ver = xstrdup("26.2.0");
	x->prt_ver = xstrdup("1");
	x->os = xstrdup("mac");
	x->lang = xstrdup("ko");
	x->duuid = xstrdup("0123abcd");
	x->oauth_token = xstrdup("secret-token");
	x->dtype = 2;
	x->ntype = 3;
	x->mccmnc = xstrdup("99999");
	x->revision = 51;
	x->chat_ids = i64v(3, 52);
	x->n_chat_ids = 3;
	x->max_ids = i64v(2, 60);
	x->n_max_ids = 2;
	x->last_token_id = 62;
	x->lbk = 63;
	x->bg = true;
	x->pcst = 1;
}

/* Fill a struct loco_loginlist_res with distinct non-default values. */
static void
loginlist_res_fill(void *p)
{
	struct loco_loginlist_res *x = p;

	x->user_id = 71;
	x->revision = 72;
	x->revision_info = xstrdup("{\"r\":1}");
	x->min_log_id = 73;
	x->sb = 74;
	fill_list(&x->list, 80);
}

/* Fill a struct loco_lchatlist_req with distinct non-default values. */
static void
lchatlist_req_fill(void *p)
{
	struct loco_lchatlist_req *x = p;

	x->chat_ids = i64v(2, 91);
	x->n_chat_ids = 2;
	x->max_ids = i64v(2, 95);
	x->n_max_ids = 2;
	x->last_token_id = 97;
	x->last_chat_id = 98;
}

/* Fill a struct loco_lchatlist_res with distinct non-default values. */
static void
lchatlist_res_fill(void *p)
{
	struct loco_lchatlist_res *x = p;

	fill_list(&x->list, 110);
}

/* Fill a struct loco_chatonroom_req with distinct non-default values. */
static void
chatonroom_req_fill(void *p)
{
	struct loco_chatonroom_req *x = p;

	x->chat_id = 121;
	x->token = 122;
	x->opt = 123;
}

/* Fill a struct loco_chatonroom_res with distinct non-default values. */
static void
chatonroom_res_fill(void *p)
{
	struct loco_chatonroom_res *x = p;

	x->chat_id = 131;
	x->type = LOCO_CHAT_OPEN_DIRECT;
	x->last_log_id = 132;
	x->members = new_members(2, 133);
	x->n_members = 2;
	x->member_ids = i64v(3, 160);
	x->n_member_ids = 3;
	x->watermark_user_ids = i64v(2, 170);
	x->n_watermark_user_ids = 2;
	x->watermarks = i64v(3, 180);
	x->n_watermarks = 3;
	x->open_token = 190;
	x->noti_read = true;
	x->last_update = 1700000191;
	x->jsi = 192;
	x->f = true;
	x->mr = xstrdup("{\"m\":193}");
}

/* Fill a struct loco_chat_info with distinct non-default values. */
static void
chat_info_fill(void *p)
{
	fill_info(p, 300);
}

/* Fill a struct loco_chatinfo_req with distinct non-default values. */
static void
chatinfo_req_fill(void *p)
{
	struct loco_chatinfo_req *x = p;

	x->chat_id = 401;
}

/* Fill a struct loco_chatinfo_res with distinct non-default values. */
static void
chatinfo_res_fill(void *p)
{
	struct loco_chatinfo_res *x = p;

	fill_info(&x->info, 500);
}

/* Fill a struct loco_getmem_req with distinct non-default values. */
static void
getmem_req_fill(void *p)
{
	struct loco_getmem_req *x = p;

	x->chat_id = 601;
}

/* Fill a struct loco_getmem_res with distinct non-default values. */
static void
getmem_res_fill(void *p)
{
	struct loco_getmem_res *x = p;

	x->members = new_members(3, 610);
	x->n_members = 3;
	x->token = 650;
}

/* Fill a struct loco_member_req with distinct non-default values. */
static void
member_req_fill(void *p)
{
	struct loco_member_req *x = p;

	x->chat_id = 701;
	x->member_ids = i64v(4, 702);
	x->n_member_ids = 4;
}

/* Fill a struct loco_member_res with distinct non-default values. */
static void
member_res_fill(void *p)
{
	struct loco_member_res *x = p;

	x->chat_id = 801;
	x->members = new_members(1, 810);
	x->n_members = 1;
}

/* Fill a struct loco_newmem with distinct non-default values. */
static void
newmem_fill(void *p)
{
	struct loco_newmem *x = p;

	x->chat_id = 901;
	fill_chatlog(&x->chatlog, 910);
}

/* Fill a struct loco_delmem with distinct non-default values. */
static void
delmem_fill(void *p)
{
	struct loco_delmem *x = p;

	x->chat_id = 1001;
	fill_chatlog(&x->chatlog, 1010);
}

/* Fill a struct loco_syncjoin with distinct non-default values. */
static void
syncjoin_fill(void *p)
{
	struct loco_syncjoin *x = p;

	x->chat_id = 1101;
	fill_chatlog(&x->chatlog, 1110);
}

/* Fill a struct loco_left with distinct non-default values. */
static void
left_fill(void *p)
{
	struct loco_left *x = p;

	x->chat_id = 1201;
	x->last_token_id = 1202;
}

/* Fill a struct loco_chgmeta with distinct non-default values. */
static void
chgmeta_fill(void *p)
{
	struct loco_chgmeta *x = p;

	x->chat_id = 1301;
	fill_meta(&x->meta, 1310);
}

/* Fill a struct loco_setmeta_req with distinct non-default values. */
static void
setmeta_req_fill(void *p)
{
	struct loco_setmeta_req *x = p;

	x->chat_id = 1401;
	x->type = LOCO_META_NOTICE;
	x->content = xstrdup("notice");
}

/* Fill a struct loco_setmeta_res with distinct non-default values. */
static void
setmeta_res_fill(void *p)
{
	struct loco_setmeta_res *x = p;

	x->chat_id = 1501;
	fill_meta(&x->meta, 1510);
}

/* Parse canonical extended JSON; aborts on a test typo. */
static bson_t *
json(const char *s)
{
	bson_error_t berr;
	bson_t *doc = bson_new_from_json((const uint8_t *)s, -1, &berr);

	if (doc == NULL) {
		diag("bad test JSON %s: %s", s, berr.message);
		abort();
	}
	return doc;
}

/* Decoding js must fail with code and a message containing needle. */
static void
expect_error(bodycheck_decode_cb dec, bodycheck_release_cb rel, size_t size,
    const char *js, enum loco_error_code code, const char *needle)
{
	struct loco_error err = {0};
	bson_t *doc = json(js);
	void *x = xcalloc(1, size);
	int r = dec(doc, x, &err);

	if (!ok(r == -1 && err.code == code && strstr(err.msg, needle) != NULL,
	        "%s: %s naming %s", js, loco_error_code_name(code), needle)) {
		diag("got %d %s: %s", r, loco_error_code_name(err.code),
		    err.msg);
		if (r == 0)
			rel(x);
	}
	free(x);
	bson_destroy(doc);
}

/* A LOGINLIST request worked out by hand: big ids, negative lbk, rp. */
static void
test_loginlist_req_vector(void)
{
	static const char hex[] =
	    "13 01 00 00" /* document length 275 */
	    /* string "appVer" = "26.2.0" (length 7 with the NUL) */
	    "02 61 70 70 56 65 72 00 07 00 00 00 32 36 2e 32 2e 30 00"
	    "02 70 72 74 56 65 72 00 02 00 00 00 31 00" /* "prtVer" = "1" */
	    "02 6f 73 00 04 00 00 00 6d 61 63 00"       /* "os" = "mac" */
	    "02 6c 61 6e 67 00 03 00 00 00 6b 6f 00"    /* "lang" = "ko" */
	    /* string "duuid" = "dev-1" */
	    "02 64 75 75 69 64 00 06 00 00 00 64 65 76 2d 31 00"
	    /* string "oauthToken" = "tok" */
	    "02 6f 61 75 74 68 54 6f 6b 65 6e 00 04 00 00 00 74 6f 6b 00"
	    "10 64 74 79 70 65 00 02 00 00 00" /* int32 "dtype" = 2 */
	    "10 6e 74 79 70 65 00 00 00 00 00" /* int32 "ntype" = 0 */
	    /* string "MCCMNC" = "99999" */
	    "02 4d 43 43 4d 4e 43 00 06 00 00 00 39 39 39 39 39 00"
	    "10 72 65 76 69 73 69 6f 6e 00 05 00 00 00" /* int32 revision 5 */
	    "04 63 68 61 74 49 64 73 00"                /* array "chatIds" */
	    "  1b 00 00 00"                             /* its length 27 */
	    "  12 30 00 88 77 66 55 44 33 22 11" /* int64 "0" = 0x1122334455667788 */
	    "  12 31 00 12 00 00 00 00 00 00 00" /* int64 "1" = 18 */
	    "  00"                               /* end of "chatIds" */
	    "04 6d 61 78 49 64 73 00"            /* array "maxIds" */
	    "  1b 00 00 00"                      /* its length 27 */
	    "  12 30 00 08 07 06 05 04 03 02 01" /* int64 "0" = 0x0102030405060708 */
	    "  12 31 00 00 00 00 00 00 00 00 00" /* int64 "1" = 0 */
	    "  00"                               /* end of "maxIds" */
	    /* int64 "lastTokenId" = 2^63 - 1 */
	    "12 6c 61 73 74 54 6f 6b 65 6e 49 64 00 ff ff ff ff ff ff ff 7f"
	    "10 6c 62 6b 00 ff ff ff ff" /* int32 "lbk" = -1 */
	    /* binary "rp": length 6, subtype 0, 00 00 ff ff 00 00 */
	    "05 72 70 00 06 00 00 00 00 00 00 ff ff 00 00"
	    "08 62 67 00 00" /* bool "bg" = false */
	    "00";            /* end of document */
	struct loco_loginlist_req r;
	struct loco_error err = {0};
	bson_t *doc = bodycheck_hex_doc(hex);
	bson_t out;

	if (!ok(loco_loginlist_req_decode(doc, &r, &err) == 0,
	        "LOGINLIST vector decodes")) {
		diag("%s", err.msg);
		bson_destroy(doc);
		return;
	}
	is_str(r.app_ver, "26.2.0");
	is_str(r.prt_ver, "1");
	is_str(r.os, "mac");
	is_str(r.lang, "ko");
	is_str(r.duuid, "dev-1");
	is_str(r.oauth_token, "tok");
	is_int(r.dtype, ==, 2);
	is_int(r.ntype, ==, 0);
	is_str(r.mccmnc, "99999");
	is_int(r.revision, ==, 5);
	if (is_uint(r.n_chat_ids, ==, 2)) {
		is_int(r.chat_ids[0], ==, INT64_C(0x1122334455667788));
		is_int(r.chat_ids[1], ==, 18);
	}
	if (is_uint(r.n_max_ids, ==, 2)) {
		is_int(r.max_ids[0], ==, INT64_C(0x0102030405060708));
		is_int(r.max_ids[1], ==, 0);
	}
	is_int(r.last_token_id, ==, INT64_MAX);
	is_int(r.lbk, ==, -1);
	ok(!r.bg, "bg false");
	is_int(r.pcst, ==, 0);
	bson_init(&out);
	loco_loginlist_req_encode(&r, &out);
	is_mem(bson_get_data(&out), out.len, bson_get_data(doc), doc->len);
	bson_destroy(&out);
	loco_loginlist_req_release(&r);
	bson_destroy(doc);
}

/* A MEMBER response worked out by hand: one normal member, UTF-8 nick. */
static void
test_member_res_vector(void)
{
	static const char hex[] =
	    "c8 00 00 00"                         /* document length 200 */
	    "10 73 74 61 74 75 73 00 00 00 00 00" /* int32 "status" = 0 */
	    /* int64 "chatId" = 0x00000f0000000001 */
	    "12 63 68 61 74 49 64 00 01 00 00 00 00 0f 00 00"
	    "04 6d 65 6d 62 65 72 73 00" /* array "members" */
	    "  9e 00 00 00"              /* its length 158 */
	    "  03 30 00"                 /* document "0" */
	    "    96 00 00 00"            /* its length 150 */
	    /* int64 "userId" = 0x0123456789abcdef */
	    "    12 75 73 65 72 49 64 00 ef cd ab 89 67 45 23 01"
	    /* int64 "accountId" = 77 */
	    "    12 61 63 63 6f 75 6e 74 49 64 00 4d 00 00 00 00 00 00 00"
	    /* string "nickName" = U+AE40 U+CCA0 U+C218, 9 bytes + NUL */
	    "    02 6e 69 63 6b 4e 61 6d 65 00 0a 00 00 00"
	    "    ea b9 80 ec b2 a0 ec 88 98 00"
	    /* string "countryIso" = "KR" */
	    "    02 63 6f 75 6e 74 72 79 49 73 6f 00 03 00 00 00 4b 52 00"
	    /* string "profileImageUrl" = "https://p.example/1.jpg" (24) */
	    "    02 70 72 6f 66 69 6c 65 49 6d 61 67 65 55 72 6c 00"
	    "    18 00 00 00 68 74 74 70 73 3a 2f 2f 70 2e 65 78 61 6d 70 6c"
	    "    65 2f 31 2e 6a 70 67 00"
	    "    10 74 79 70 65 00 64 00 00 00"       /* int32 "type" = 100 */
	    "    08 73 75 73 70 65 6e 64 65 64 00 01" /* bool "suspended" */
	    "    00"                                  /* end of "0" */
	    "  00"                                    /* end of "members" */
	    "00";                                     /* end of document */
	/*
	 * Its re-encoding: a normal member gets every key KiwiTalk requires,
	 * the absent strings as "" (each 1 + key + NUL + 4 + 1 bytes: 26,
	 * 30, 20 and 21, 97 in all), so the member grows 150 -> 247, the
	 * array 158 -> 255 and the document 200 -> 297.
	 */
	static const char want_hex[] =
	    "29 01 00 00"                         /* document length 297 */
	    "10 73 74 61 74 75 73 00 00 00 00 00" /* int32 "status" = 0 */
	    "12 63 68 61 74 49 64 00 01 00 00 00 00 0f 00 00" /* "chatId" */
	    "04 6d 65 6d 62 65 72 73 00" /* array "members" */
	    "  ff 00 00 00"              /* its length 255 */
	    "  03 30 00"                 /* document "0" */
	    "    f7 00 00 00"            /* its length 247 */
	    "    12 75 73 65 72 49 64 00 ef cd ab 89 67 45 23 01"
	    "    12 61 63 63 6f 75 6e 74 49 64 00 4d 00 00 00 00 00 00 00"
	    "    02 6e 69 63 6b 4e 61 6d 65 00 0a 00 00 00"
	    "    ea b9 80 ec b2 a0 ec 88 98 00"
	    "    02 63 6f 75 6e 74 72 79 49 73 6f 00 03 00 00 00 4b 52 00"
	    "    02 70 72 6f 66 69 6c 65 49 6d 61 67 65 55 72 6c 00"
	    "    18 00 00 00 68 74 74 70 73 3a 2f 2f 70 2e 65 78 61 6d 70 6c"
	    "    65 2f 31 2e 6a 70 67 00"
	    /* string "fullProfileImageUrl" = "" */
	    "    02 66 75 6c 6c 50 72 6f 66 69 6c 65 49 6d 61 67 65 55 72 6c"
	    "    00 01 00 00 00 00"
	    /* string "originalProfileImageUrl" = "" */
	    "    02 6f 72 69 67 69 6e 61 6c 50 72 6f 66 69 6c 65 49 6d 61 67"
	    "    65 55 72 6c 00 01 00 00 00 00"
	    /* string "statusMessage" = "" */
	    "    02 73 74 61 74 75 73 4d 65 73 73 61 67 65 00 01 00 00 00 00"
	    /* string "linkedServices" = "" */
	    "    02 6c 69 6e 6b 65 64 53 65 72 76 69 63 65 73 00 01 00 00 00"
	    "    00"
	    "    10 74 79 70 65 00 64 00 00 00"       /* int32 "type" = 100 */
	    "    08 73 75 73 70 65 6e 64 65 64 00 01" /* bool "suspended" */
	    "    00"                                  /* end of "0" */
	    "  00"                                    /* end of "members" */
	    "00";                                     /* end of document */
	bson_t *want = bodycheck_hex_doc(want_hex);
	struct loco_member_res r;
	struct loco_error err = {0};
	bson_t *doc = bodycheck_hex_doc(hex);
	bson_t out;

	if (!ok(loco_member_res_decode(doc, &r, &err) == 0,
	        "MEMBER vector decodes")) {
		diag("%s", err.msg);
		bson_destroy(want);
		bson_destroy(doc);
		return;
	}
	is_int(r.status, ==, 0);
	is_int(r.chat_id, ==, INT64_C(0x00000f0000000001));
	if (is_uint(r.n_members, ==, 1)) {
		const struct loco_member *m = &r.members[0];

		is_int(m->user_id, ==, INT64_C(0x0123456789abcdef));
		is_int(m->account_id, ==, 77);
		is_str(m->nickname, "\xea\xb9\x80\xec\xb2\xa0\xec\x88\x98");
		is_str(m->country_iso, "KR");
		is_str(m->profile_image_url, "https://p.example/1.jpg");
		ok(m->full_profile_image_url == NULL &&
		        m->original_profile_image_url == NULL &&
		        m->status_message == NULL &&
		        m->linked_services == NULL && m->pi == NULL &&
		        m->fpi == NULL && m->opi == NULL,
		    "absent member strings are NULL");
		is_int(m->type, ==, LOCO_USER_FRIEND);
		ok(m->suspended, "suspended");
		ok(m->ut == 0 && m->opt == 0 && m->pli == 0 && m->mt == 0 &&
		        m->ptp == 0,
		    "absent open-chat fields are 0");
	}
	bson_init(&out);
	loco_member_res_encode(&r, &out);
	is_mem(bson_get_data(&out), out.len, bson_get_data(want), want->len);
	bson_destroy(&out);
	loco_member_res_release(&r);
	bson_destroy(want);
	bson_destroy(doc);
}

/* An LCHATLIST page worked out by hand: one open group chat. */
static void
test_lchatlist_res_vector(void)
{
	static const char hex[] =
	    "47 01 00 00"                             /* document length 327 */
	    "10 73 74 61 74 75 73 00 00 00 00 00"     /* int32 "status" = 0 */
	    "04 63 68 61 74 44 61 74 61 73 00"        /* array "chatDatas" */
	    "  b0 00 00 00"                           /* its length 176 */
	    "  03 30 00"                              /* document "0" */
	    "    a8 00 00 00"                         /* its length 168 */
	    "    12 63 00 01 00 00 00 00 00 00 10"    /* int64 "c" = 2^60 + 1 */
	    "    02 74 00 03 00 00 00 4f 4d 00"       /* string "t" = "OM" */
	    "    10 61 00 03 00 00 00"                /* int32 "a" = 3 */
	    "    10 6e 00 02 00 00 00"                /* int32 "n" = 2 */
	    "    12 6c 6c 00 84 03 00 00 00 00 00 00" /* int64 "ll" = 900 */
	    "    12 73 00 82 03 00 00 00 00 00 00"    /* int64 "s" = 898 */
	    "    04 69 00"                            /* array "i" */
	    "      1b 00 00 00"                       /* its length 27 */
	    "      12 30 00 0b 00 00 00 00 00 00 00"  /* int64 "0" = 11 */
	    "      12 31 00 0c 00 00 00 00 00 00 00"  /* int64 "1" = 12 */
	    "      00"                                /* end of "i" */
	    "    04 6b 00"                            /* array "k" */
	    "      17 00 00 00"                       /* its length 23 */
	    "      02 30 00 02 00 00 00 41 00"        /* string "0" = "A" */
	    "      02 31 00 02 00 00 00 42 00"        /* string "1" = "B" */
	    "      00"                                /* end of "k" */
	    "    12 6f 00 00 f1 53 65 00 00 00 00" /* int64 "o" = 1700000000 */
	    "    08 70 00 01"                      /* bool "p" = true */
	    "    12 6d 6d 72 00 00 00 00 00 00 00 00 00" /* int64 "mmr" = 0 */
	    "    12 6c 69 00 02 00 00 00 00 00 00 20" /* int64 "li" = 2^61 + 2 */
	    "    10 6f 74 6b 00 07 00 00 00"          /* int32 "otk" = 7 */
	    "    00"                                  /* end of "0" */
	    "  00"                                    /* end of "chatDatas" */
	    /* int64 "lastChatId" = 2^60 + 1 */
	    "12 6c 61 73 74 43 68 61 74 49 64 00 01 00 00 00 00 00 00 10"
	    /* int64 "lastTokenId" = 42 */
	    "12 6c 61 73 74 54 6f 6b 65 6e 49 64 00 2a 00 00 00 00 00 00 00"
	    "12 6c 74 6b 00 2b 00 00 00 00 00 00 00" /* int64 "ltk" = 43 */
	    "10 6c 62 6b 00 2c 00 00 00"             /* int32 "lbk" = 44 */
	    /* int32 "mcmRevision" = 45 */
	    "10 6d 63 6d 52 65 76 69 73 69 6f 6e 00 2d 00 00 00"
	    "04 64 65 6c 43 68 61 74 49 64 73 00" /* array "delChatIds" */
	    "  10 00 00 00"                       /* its length 16 */
	    "  12 30 00 63 00 00 00 00 00 00 00"  /* int64 "0" = 99 */
	    "  00"                                /* end of "delChatIds" */
	    "04 6b 63 00 05 00 00 00 00"          /* array "kc" = [] */
	    "08 65 6f 66 00 01"                   /* bool "eof" = true */
	    "00";                                 /* end of document */
	struct loco_lchatlist_res r;
	struct loco_error err = {0};
	bson_t *doc = bodycheck_hex_doc(hex);
	bson_t out;

	if (!ok(loco_lchatlist_res_decode(doc, &r, &err) == 0,
	        "LCHATLIST vector decodes")) {
		diag("%s", err.msg);
		bson_destroy(doc);
		return;
	}
	if (is_uint(r.list.n_chats, ==, 1)) {
		const struct loco_chat_data *d = &r.list.chats[0];

		is_int(d->chat_id, ==, INT64_C(0x1000000000000001));
		is_int(d->type, ==, LOCO_CHAT_OPEN_MULTI);
		is_int(d->active_members, ==, 3);
		is_int(d->new_count, ==, 2);
		is_int(d->last_log_id, ==, 900);
		is_int(d->last_seen_log_id, ==, 898);
		ok(d->last_log == NULL, "no l: last_log NULL");
		if (is_uint(d->n_icon_user_ids, ==, 2)) {
			is_int(d->icon_user_ids[0], ==, 11);
			is_int(d->icon_user_ids[1], ==, 12);
		}
		if (is_uint(d->n_icon_nicknames, ==, 2)) {
			is_str(d->icon_nicknames[0], "A");
			is_str(d->icon_nicknames[1], "B");
		}
		is_int(d->last_update, ==, 1700000000);
		ok(d->push_alert, "p true");
		is_int(d->mmr, ==, 0);
		is_int(d->jn, ==, 0);
		is_int(d->link_id, ==, INT64_C(0x2000000000000002));
		is_int(d->open_token, ==, 7);
	}
	is_int(r.list.last_chat_id, ==, INT64_C(0x1000000000000001));
	is_int(r.list.last_token_id, ==, 42);
	is_int(r.list.ltk, ==, 43);
	is_int(r.list.lbk, ==, 44);
	is_int(r.list.mcm_revision, ==, 45);
	if (is_uint(r.list.n_del_chat_ids, ==, 1))
		is_int(r.list.del_chat_ids[0], ==, 99);
	ok(r.list.eof, "eof true");
	bson_init(&out);
	loco_lchatlist_res_encode(&r, &out);
	is_mem(bson_get_data(&out), out.len, bson_get_data(doc), doc->len);
	bson_destroy(&out);
	loco_lchatlist_res_release(&r);
	bson_destroy(doc);
}

/* What decision 12 asks us to accept. */
static void
test_liberal_forms(void)
{
	struct loco_loginlist_req lq;
	struct loco_lchatlist_req cq;
	struct loco_lchatlist_res cs;
	struct loco_newmem nm;
	struct loco_chat_info ci;
	struct loco_error err = {0};
	bson_t *doc;

	/* rp null, int32 lbk/revision/dtype, no arrays */
	doc = json("{\"duuid\": \"d\", \"oauthToken\": \"t\", \"rp\": null, "
	           "\"lbk\": 3, \"revision\": 4, \"dtype\": 2}");
	if (ok(loco_loginlist_req_decode(doc, &lq, &err) == 0,
	        "LOGINLIST with rp null")) {
		ok(lq.lbk == 3 && lq.revision == 4 && lq.dtype == 2,
		    "int32 lbk, revision, dtype");
		ok(lq.n_chat_ids == 0 && lq.chat_ids == NULL,
		    "absent chatIds is empty");
		loco_loginlist_req_release(&lq);
	} else
		diag("%s", err.msg);
	bson_destroy(doc);

	/* rp of another binary subtype and length, or absent */
	doc = json("{\"duuid\": \"d\", \"oauthToken\": \"t\", "
	           "\"rp\": {\"$binary\": {\"base64\": \"AQD//wEA\", "
	           "\"subType\": \"80\"}}}");
	if (ok(loco_loginlist_req_decode(doc, &lq, &err) == 0,
	        "LOGINLIST with user-subtype rp"))
		loco_loginlist_req_release(&lq);
	bson_destroy(doc);
	expect_error(loginlist_req_dec, loginlist_req_rel, sizeof lq,
	    "{\"duuid\": \"d\", \"oauthToken\": \"t\", \"rp\": \"AAD//wAA\"}",
	    LOCO_ERR_TYPE, "'rp'");

	/* LCHATLIST with only the last two keys */
	doc = json("{\"lastTokenId\": 5, \"lastChatId\": {\"$numberLong\": "
	           "\"6\"}}");
	if (ok(loco_lchatlist_req_decode(doc, &cq, &err) == 0,
	        "LCHATLIST with two keys")) {
		ok(cq.last_token_id == 5 && cq.last_chat_id == 6 &&
		        cq.n_chat_ids == 0 && cq.n_max_ids == 0,
		    "LCHATLIST cursor read");
		loco_lchatlist_req_release(&cq);
	}
	bson_destroy(doc);

	/* a chat list without eof means done: never loop on LCHATLIST */
	doc = json("{\"status\": 0}");
	if (ok(loco_lchatlist_res_decode(doc, &cs, &err) == 0,
	        "LCHATLIST {status: 0}")) {
		ok(cs.list.eof && cs.list.n_chats == 0, "eof defaults true");
		loco_lchatlist_res_release(&cs);
	}
	bson_destroy(doc);

	/* NEWMEM without chatId takes the chatLog's */
	doc = json("{\"chatLog\": {\"logId\": 1, \"chatId\": 77, \"authorId\": "
	           "2, \"type\": 0, \"message\": \"{}\"}}");
	if (ok(loco_newmem_decode(doc, &nm, &err) == 0,
	        "NEWMEM without chatId")) {
		is_int(nm.chat_id, ==, 77);
		is_int(nm.chatlog.log_id, ==, 1);
		loco_newmem_release(&nm);
	} else
		diag("%s", err.msg);
	bson_destroy(doc);

	/* lastUpdatedAt has no known type: a string is ignored */
	doc = json("{\"chatId\": 5, \"lastUpdatedAt\": \"yesterday\", "
	           "\"type\": \"NewKindOfChat\"}");
	if (ok(loco_chat_info_decode(doc, &ci, &err) == 0,
	        "chatInfo with string lastUpdatedAt")) {
		is_int(ci.last_updated_at, ==, 0);
		is_int(ci.type, ==, LOCO_CHAT_UNKNOWN);
		loco_chat_info_release(&ci);
	}
	bson_destroy(doc);
}

/* Errors inside arrays and sub-documents name where they are. */
static void
test_nested_errors(void)
{
	expect_error(lchatlist_res_dec, lchatlist_res_rel,
	    sizeof(struct loco_lchatlist_res),
	    "{\"chatDatas\": [{\"c\": 1}, 5]}", LOCO_ERR_TYPE, "chatDatas");
	expect_error(lchatlist_res_dec, lchatlist_res_rel,
	    sizeof(struct loco_lchatlist_res),
	    "{\"chatDatas\": [{\"c\": 1}, {\"t\": \"OM\"}]}", LOCO_ERR_MISSING,
	    "'c'");
	expect_error(lchatlist_res_dec, lchatlist_res_rel,
	    sizeof(struct loco_lchatlist_res),
	    "{\"chatDatas\": [{\"c\": 1, \"i\": [1, \"2\"]}]}", LOCO_ERR_TYPE,
	    "'i'");
	expect_error(lchatlist_res_dec, lchatlist_res_rel,
	    sizeof(struct loco_lchatlist_res),
	    "{\"chatDatas\": [{\"c\": 1, \"k\": [\"a\", 2]}]}", LOCO_ERR_TYPE,
	    "'k'");
	expect_error(lchatlist_res_dec, lchatlist_res_rel,
	    sizeof(struct loco_lchatlist_res),
	    "{\"chatDatas\": [{\"c\": 1, \"l\": {\"logId\": 1}}]}",
	    LOCO_ERR_MISSING, "chatDatas[].l");
	expect_error(lchatlist_res_dec, lchatlist_res_rel,
	    sizeof(struct loco_lchatlist_res), "{\"delChatIds\": [1.5]}",
	    LOCO_ERR_TYPE, "'delChatIds'");
	expect_error(chatonroom_res_dec, chatonroom_res_rel,
	    sizeof(struct loco_chatonroom_res),
	    "{\"c\": 1, \"m\": [{\"userId\": 1}, {\"nickName\": \"x\"}]}",
	    LOCO_ERR_MISSING, "'userId'");
	expect_error(chatonroom_res_dec, chatonroom_res_rel,
	    sizeof(struct loco_chatonroom_res),
	    "{\"c\": 1, \"m\": [{\"userId\": 1, \"suspended\": \"no\"}]}",
	    LOCO_ERR_TYPE, "'suspended'");
	expect_error(chatonroom_res_dec, chatonroom_res_rel,
	    sizeof(struct loco_chatonroom_res), "{\"c\": 1, \"w\": [\"x\"]}",
	    LOCO_ERR_TYPE, "'w'");
	expect_error(chatinfo_res_dec, chatinfo_res_rel,
	    sizeof(struct loco_chatinfo_res),
	    "{\"status\": 0, \"chatInfo\": {\"type\": \"MultiChat\"}}",
	    LOCO_ERR_MISSING, "'chatId'");
	expect_error(chatinfo_res_dec, chatinfo_res_rel,
	    sizeof(struct loco_chatinfo_res),
	    "{\"chatInfo\": {\"chatId\": 1, \"meta\": {\"name\": 5}}}",
	    LOCO_ERR_TYPE, "'name'");
	expect_error(chatinfo_res_dec, chatinfo_res_rel,
	    sizeof(struct loco_chatinfo_res),
	    "{\"chatInfo\": {\"chatId\": 1, \"chatMetas\": [{\"type\": 3}, "
	    "{\"content\": \"x\"}]}}",
	    LOCO_ERR_MISSING, "'type'");
	expect_error(chatinfo_res_dec, chatinfo_res_rel,
	    sizeof(struct loco_chatinfo_res),
	    "{\"chatInfo\": {\"chatId\": 1, \"displayMembers\": [{}]}}",
	    LOCO_ERR_MISSING, "'userId'");
	expect_error(chatinfo_res_dec, chatinfo_res_rel,
	    sizeof(struct loco_chatinfo_res),
	    "{\"chatInfo\": {\"chatId\": 1, \"displayMembers\": "
	    "[{\"userId\": 1, \"nickName\": []}]}}",
	    LOCO_ERR_TYPE, "'nickName'");
	expect_error(chgmeta_dec, chgmeta_rel, sizeof(struct loco_chgmeta),
	    "{\"chatId\": 1, \"meta\": {\"content\": \"x\"}}", LOCO_ERR_MISSING,
	    "CHGMETA.meta");
	expect_error(newmem_dec, newmem_rel, sizeof(struct loco_newmem),
	    "{\"chatId\": 1, \"chatLog\": {\"chatId\": 1, \"authorId\": 2, "
	    "\"type\": 0}}",
	    LOCO_ERR_MISSING, "'logId'");
	expect_error(member_req_dec, member_req_rel,
	    sizeof(struct loco_member_req),
	    "{\"chatId\": 1, \"memberIds\": [1, {}]}", LOCO_ERR_TYPE,
	    "'memberIds'");
}

/* Chat type strings both ways (LOCO.md 2.16). */
static void
test_chat_types(void)
{
	static const struct {
		enum loco_chat_type t;
		const char *name;
	} names[] = {
	    {LOCO_CHAT_DIRECT, "DirectChat"},
	    {LOCO_CHAT_MULTI, "MultiChat"},
	    {LOCO_CHAT_MEMO, "MemoChat"},
	    {LOCO_CHAT_PLUS, "PlusChat"},
	    {LOCO_CHAT_OPEN_MULTI, "OM"},
	    {LOCO_CHAT_OPEN_DIRECT, "OD"},
	};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		is_str(loco_chat_type_name(names[i].t), names[i].name);
		is_int(loco_chat_type_from_name(names[i].name), ==, names[i].t);
	}
	is_int(loco_chat_type_from_name("OpenMultiChat"), ==,
	    LOCO_CHAT_OPEN_MULTI);
	is_int(loco_chat_type_from_name("OpenDirectChat"), ==,
	    LOCO_CHAT_OPEN_DIRECT);
	is_int(loco_chat_type_from_name("multichat"), ==, LOCO_CHAT_UNKNOWN);
	is_int(loco_chat_type_from_name(""), ==, LOCO_CHAT_UNKNOWN);
	is_int(loco_chat_type_from_name(NULL), ==, LOCO_CHAT_UNKNOWN);
	is_str(loco_chat_type_name(LOCO_CHAT_UNKNOWN), "");
	ok(loco_chat_type_is_open(LOCO_CHAT_OPEN_MULTI) &&
	        loco_chat_type_is_open(LOCO_CHAT_OPEN_DIRECT) &&
	        !loco_chat_type_is_open(LOCO_CHAT_MULTI) &&
	        !loco_chat_type_is_open(LOCO_CHAT_UNKNOWN),
	    "only OM and OD are open");
}

/* Above 100 members CHATONROOM carries "mi" and no "m" (LOCO.md 6.28). */
static void
test_chatonroom_big_room(void)
{
	struct loco_chatonroom_res r = {0}, back;
	bson_iter_t it;
	bson_t out;

	r.chat_id = 9;
	r.type = LOCO_CHAT_MULTI;
	r.member_ids = i64v(150, 1);
	r.n_member_ids = 150;
	bson_init(&out);
	loco_chatonroom_res_encode(&r, &out);
	ok(!bson_iter_init_find(&it, &out, "m"), "no m beside mi");
	ok(!bson_iter_init_find(&it, &out, "otk") &&
	        !bson_iter_init_find(&it, &out, "notiRead"),
	    "no open-chat keys for a normal chat");
	if (ok(loco_chatonroom_res_decode(&out, &back, NULL) == 0,
	        "big room decodes")) {
		ok(back.n_member_ids == 150 && back.member_ids[149] == 150 &&
		        back.n_members == 0,
		    "150 ids, no members");
		loco_chatonroom_res_release(&back);
	}
	bson_reinit(&out);
	loco_chatonroom_res_release(&r);
	loco_chatonroom_res_encode(&r, &out);
	ok(bson_iter_init_find(&it, &out, "m") && BSON_ITER_HOLDS_ARRAY(&it),
	    "an empty room still has m: []");
	bson_destroy(&out);
}

/* Run the vectors, the targeted cases and the generic checks. */
int
main(void)
{
	static const struct bodycheck codecs[] = {
	    CODEC(chat_meta, "type revision authorId content updatedAt", "type",
	        "", false),
	    CODEC(member,
	        "userId accountId nickName countryIso profileImageUrl "
	        "fullProfileImageUrl originalProfileImageUrl statusMessage "
	        "linkedServices type suspended ut pi fpi opi opt pli mt ptp",
	        "userId", "ut opt", false),
	    CODEC(chat_data,
	        "c t a n ll s l i k o p mmr jn li otk l/logId l/message", "c",
	        "mmr jn", false),
	    CODEC(chat_list, LIST_KEYS "chatDatas/0/c chatDatas/1/otk", "",
	        "ltk mcmRevision kc", false),
	    CODEC(loginlist_req,
	        "appVer prtVer os lang duuid oauthToken dtype ntype MCCMNC "
	        "revision chatIds maxIds lastTokenId lbk rp bg pcst",
	        "duuid oauthToken", "", false),
	    CODEC(loginlist_res,
	        "status userId revision revisionInfo minLogId sb rp " LIST_KEYS,
	        "userId", "sb ltk mcmRevision kc", true),
	    CODEC(lchatlist_req, "chatIds maxIds lastTokenId lastChatId", "",
	        "", false),
	    CODEC(lchatlist_res, "status " LIST_KEYS "chatDatas/1/l/logId", "",
	        "ltk mcmRevision kc", true),
	    CODEC(chatonroom_req, "chatId token opt", "chatId", "opt", false),
	    CODEC(chatonroom_res,
	        "status c t l m mi a w o jsi f mr otk notiRead m/1/ptp", "c",
	        "o jsi f mr", true),
	    CODEC(chat_info,
	        "chatId type activeMembersCount newMessageCount "
	        "invalidNewMessageCount lastLogId lastSeenLogId lastChatLog "
	        "lastUpdatedAt pushAlert meta chatMetas displayMembers left "
	        "joinedAtForNewMem li otk directChat meta/name "
	        "meta/image_path meta/imageUrl meta/fullImageUrl "
	        "displayMembers/1/userId displayMembers/1/nickName "
	        "displayMembers/1/countryIso displayMembers/1/profileImageUrl "
	        "chatMetas/1/updatedAt",
	        "chatId", "lastUpdatedAt joinedAtForNewMem", false),
	    CODEC(chatinfo_req, "chatId", "chatId", "", false),
	    CODEC(chatinfo_res,
	        "status chatInfo chatInfo/chatId chatInfo/directChat",
	        "chatInfo", "", true),
	    CODEC(getmem_req, "chatId", "chatId", "", false),
	    CODEC(getmem_res, "status members token members/2/userId", "", "",
	        true),
	    CODEC(member_req, "chatId memberIds", "chatId memberIds", "",
	        false),
	    CODEC(member_res, "status chatId members", "", "", true),
	    CODEC(newmem, "chatId chatLog chatLog/logId", "chatLog", "", false),
	    CODEC(delmem, "chatId chatLog chatLog/logId", "chatLog", "", false),
	    CODEC(syncjoin, "c chatLog chatLog/logId", "chatLog", "", false),
	    CODEC(left, "chatId lastTokenId", "chatId", "", false),
	    CODEC(chgmeta, "chatId meta meta/type meta/content", "chatId meta",
	        "", false),
	    CODEC(setmeta_req, "chatId type content", "chatId type", "", false),
	    CODEC(setmeta_res, "status chatId meta meta/type", "chatId meta",
	        "", true),
	};
	size_t i;

	tap_init(0);
	test_loginlist_req_vector();
	test_member_res_vector();
	test_lchatlist_res_vector();
	test_liberal_forms();
	test_nested_errors();
	test_chat_types();
	test_chatonroom_big_room();
	test_member_kinds();
	test_client_required_keys();
	for (i = 0; i < sizeof codecs / sizeof codecs[0]; i++)
		bodycheck_run(&codecs[i]);
	return done_testing();
}
