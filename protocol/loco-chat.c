/* locoirc: see LICENSE.
 *
 * Bodies of the chat list, room and membership commands and pushes. Pure
 * BSON mapping on top of loco-bson and loco-chatlog: no I/O, no state, and
 * no policy beyond the defaults LOCO.md gives for absent keys.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loco-bson.h"
#include "loco-chat.h"
#include "xmalloc.h"

/* Element codecs for arrays of sub-documents. */
typedef int (*elem_decode_cb)(const bson_t *doc, const char *what, void *out,
    struct loco_error *err);
typedef void (*elem_encode_cb)(const void *in, bson_t *out);
typedef void (*elem_release_cb)(void *x);

/* Type strings; the first entry of a type is the one we write. */
static const struct {
	enum loco_chat_type type;
	const char *name;
} chat_types[] = {
    {LOCO_CHAT_DIRECT, "DirectChat"},
    {LOCO_CHAT_MULTI, "MultiChat"},
    {LOCO_CHAT_MEMO, "MemoChat"},
    {LOCO_CHAT_PLUS, "PlusChat"},
    {LOCO_CHAT_OPEN_MULTI, "OM"},
    {LOCO_CHAT_OPEN_DIRECT, "OD"},
    /* REST (pilsner) names, read only (LOCO.md 6.9) */
    {LOCO_CHAT_OPEN_MULTI, "OpenMultiChat"},
    {LOCO_CHAT_OPEN_DIRECT, "OpenDirectChat"},
};

/* LOGINLIST rp: nobody knows its meaning (LOCO.md 6.14). */
static const uint8_t loginlist_rp[6] = {0x00, 0x00, 0xff, 0xff, 0x00, 0x00};

static int decode_doc_array(const bson_t *doc, const char *what,
    const char *key, size_t size, elem_decode_cb dec, elem_release_cb rel,
    void **out, size_t *n, struct loco_error *err);
static void append_doc_array(bson_t *out, const char *key, const void *v,
    size_t n, size_t size, elem_encode_cb enc);
static void free_doc_array(void *v, size_t n, size_t size, elem_release_cb rel);
static int opt_chatlog(const bson_t *doc, const char *what, const char *key,
    struct loco_chatlog **out, struct loco_error *err);
static void free_chatlog(struct loco_chatlog *cl);
static int opt_chat_type(const bson_t *doc, const char *what, const char *key,
    enum loco_chat_type *out, struct loco_error *err);
static int need_i64_array(const bson_t *doc, const char *what, const char *key,
    int64_t **out, size_t *n, struct loco_error *err);
static int check_rp(const bson_t *doc, const char *what,
    struct loco_error *err);
static void append_opt_str(bson_t *out, const char *key, const char *s);
static void append_kind_str(bson_t *out, const char *key, const char *s,
    bool always);
static int chat_meta_decode(const bson_t *doc, const char *what,
    struct loco_chat_meta *out, struct loco_error *err);
static int member_decode(const bson_t *doc, const char *what,
    struct loco_member *out, struct loco_error *err);
static int chat_data_decode(const bson_t *doc, const char *what,
    struct loco_chat_data *out, struct loco_error *err);
static int chat_list_decode(const bson_t *doc, const char *what,
    struct loco_chat_list *out, struct loco_error *err);
static int display_member_decode(const bson_t *doc, const char *what,
    struct loco_display_member *out, struct loco_error *err);
static void display_member_encode(const struct loco_display_member *in,
    bson_t *out);
static void display_member_release(struct loco_display_member *x);
static int chat_info_decode(const bson_t *doc, const char *what,
    struct loco_chat_info *out, struct loco_error *err);
static int mem_push_decode(const bson_t *doc, const char *what,
    const char *id_key, int64_t *chat_id, struct loco_chatlog *cl,
    struct loco_error *err);
static void mem_push_encode(bson_t *out, const char *id_key, int64_t chat_id,
    const struct loco_chatlog *cl);
static int members_decode(const bson_t *doc, const char *what, const char *key,
    struct loco_member **out, size_t *n, struct loco_error *err);
static void members_free(struct loco_member *v, size_t n);

static int member_decode_cb(const bson_t *doc, const char *what, void *out,
    struct loco_error *err);
static void member_encode_cb(const void *in, bson_t *out);
static void member_release_cb(void *x);
static int chat_meta_decode_cb(const bson_t *doc, const char *what, void *out,
    struct loco_error *err);
static void chat_meta_encode_cb(const void *in, bson_t *out);
static void chat_meta_release_cb(void *x);
static int chat_data_decode_cb(const bson_t *doc, const char *what, void *out,
    struct loco_error *err);
static void chat_data_encode_cb(const void *in, bson_t *out);
static void chat_data_release_cb(void *x);
static int display_member_decode_cb(const bson_t *doc, const char *what,
    void *out, struct loco_error *err);
static void display_member_encode_cb(const void *in, bson_t *out);
static void display_member_release_cb(void *x);

/*
 * Decode the optional array doc[key] whose elements are documents, each
 * with dec into a malloc'd array of size-byte elements. The array grows
 * with the elements actually decoded, never from a count the peer gives.
 */
static int
decode_doc_array(const bson_t *doc, const char *what, const char *key,
    size_t size, elem_decode_cb dec, elem_release_cb rel, void **out, size_t *n,
    struct loco_error *err)
{
	char ewhat[64];
	bson_t arr, el;
	bson_iter_t it;
	char *items = NULL;
	size_t cnt = 0, cap = 0;
	int r;

	if ((r = loco_bson_get_array(doc, key, &arr)) == 0)
		return 0;
	if (r < 0 || !bson_iter_init(&it, &arr)) {
		loco_error_set(err, LOCO_ERR_TYPE, "%s: '%s' is not an array",
		    what, key);
		return -1;
	}
	(void)snprintf(ewhat, sizeof ewhat, "%s.%s[]", what, key);
	while (bson_iter_next(&it)) {
		const uint8_t *data;
		uint32_t len;

		if (!BSON_ITER_HOLDS_DOCUMENT(&it)) {
			loco_error_set(err, LOCO_ERR_TYPE,
			    "%s: element %zu is not a document", ewhat, cnt);
			goto fail;
		}
		bson_iter_document(&it, &len, &data);
		if (!bson_init_static(&el, data, len)) {
			loco_error_set(err, LOCO_ERR_TYPE,
			    "%s: element %zu is not a document", ewhat, cnt);
			goto fail;
		}
		if (cnt == cap) {
			cap = cap ? cap * 2 : 4;
			items = xreallocarray(items, cap, size);
		}
		if (dec(&el, ewhat, items + cnt * size, err) != 0)
			goto fail;
		cnt++;
	}
	*out = items;
	*n = cnt;
	return 0;
fail:
	free_doc_array(items, cnt, size, rel);
	return -1;
}

/* Append v[0..n) as an array of sub-documents named key. */
static void
append_doc_array(bson_t *out, const char *key, const void *v, size_t n,
    size_t size, elem_encode_cb enc)
{
	bson_t arr, el;
	char idx[16];
	const char *k;
	size_t i;

	bson_append_array_begin(out, key, -1, &arr);
	for (i = 0; i < n; i++) {
		bson_uint32_to_string((uint32_t)i, &k, idx, sizeof idx);
		bson_append_document_begin(&arr, k, -1, &el);
		enc((const char *)v + i * size, &el);
		bson_append_document_end(&arr, &el);
	}
	bson_append_array_end(out, &arr);
}

/* Release every element of v[0..n) and free v; NULL is a no-op. */
static void
free_doc_array(void *v, size_t n, size_t size, elem_release_cb rel)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		rel((char *)v + i * size);
	free(v);
}

/* Decode the optional chatLog doc[key] into a malloc'd struct. */
static int
opt_chatlog(const bson_t *doc, const char *what, const char *key,
    struct loco_chatlog **out, struct loco_error *err)
{
	struct loco_chatlog cl;
	bool has;

	if (loco_chatlog_decode_opt(doc, what, key, &has, &cl, err) != 0)
		return -1;
	if (has) {
		*out = xmalloc(sizeof **out);
		**out = cl;
	}
	return 0;
}

/* Release and free a heap chatLog; NULL is a no-op. */
static void
free_chatlog(struct loco_chatlog *cl)
{
	if (cl == NULL)
		return;
	loco_chatlog_release(cl);
	free(cl);
}

/* Read an optional chat type string; unknown strings read as UNKNOWN. */
static int
opt_chat_type(const bson_t *doc, const char *what, const char *key,
    enum loco_chat_type *out, struct loco_error *err)
{
	char *s = NULL;

	if (loco_bson_opt_str(doc, what, key, &s, err) != 0)
		return -1;
	if (s != NULL)
		*out = loco_chat_type_from_name(s);
	free(s);
	return 0;
}

/* Read a required array of ids. */
static int
need_i64_array(const bson_t *doc, const char *what, const char *key,
    int64_t **out, size_t *n, struct loco_error *err)
{
	int r = loco_bson_get_i64_array(doc, key, out, n);

	if (r == 1)
		return 0;
	if (r == 0)
		loco_error_set(err, LOCO_ERR_MISSING, "%s: missing '%s'", what,
		    key);
	else
		loco_error_set(err, LOCO_ERR_TYPE,
		    "%s: '%s' is not an array of integers", what, key);
	return -1;
}

/* rp may be binary (any subtype), null or absent (LOCO.md decision 12). */
static int
check_rp(const bson_t *doc, const char *what, struct loco_error *err)
{
	const uint8_t *data;
	uint32_t len;

	if (loco_bson_get_bin(doc, "rp", &data, &len) < 0) {
		loco_error_set(err, LOCO_ERR_TYPE, "%s: 'rp' is not binary",
		    what);
		return -1;
	}
	return 0;
}

/* Append s only when it is set. */
static void
append_opt_str(bson_t *out, const char *key, const char *s)
{
	if (s != NULL)
		bson_append_utf8(out, key, -1, s, -1);
}

/* Append s when it is set, or "" when always (a key some client needs). */
static void
append_kind_str(bson_t *out, const char *key, const char *s, bool always)
{
	if (always)
		loco_bson_append_str(out, key, s);
	else
		append_opt_str(out, key, s);
}

/* The LOCO string of a chat type. */
const char *
loco_chat_type_name(enum loco_chat_type t)
{
	size_t i;

	for (i = 0; i < sizeof chat_types / sizeof chat_types[0]; i++)
		if (chat_types[i].type == t)
			return chat_types[i].name;
	return "";
}

/* The chat type a LOCO (or REST) string names. */
enum loco_chat_type
loco_chat_type_from_name(const char *s)
{
	size_t i;

	if (s == NULL)
		return LOCO_CHAT_UNKNOWN;
	for (i = 0; i < sizeof chat_types / sizeof chat_types[0]; i++)
		if (strcmp(chat_types[i].name, s) == 0)
			return chat_types[i].type;
	return LOCO_CHAT_UNKNOWN;
}

/* Open chats are the OM and OD kinds. */
bool
loco_chat_type_is_open(enum loco_chat_type t)
{
	return t == LOCO_CHAT_OPEN_MULTI || t == LOCO_CHAT_OPEN_DIRECT;
}

/* Decode a chat meta, naming what in errors. */
static int
chat_meta_decode(const bson_t *doc, const char *what,
    struct loco_chat_meta *out, struct loco_error *err)
{
	memset(out, 0, sizeof *out);
	if (loco_bson_need_i32(doc, what, "type", &out->type, err) != 0 ||
	    loco_bson_opt_i64(doc, what, "revision", &out->revision, err) !=
	        0 ||
	    loco_bson_opt_i64(doc, what, "authorId", &out->author_id, err) !=
	        0 ||
	    loco_bson_opt_str(doc, what, "content", &out->content, err) != 0 ||
	    loco_bson_opt_i32(doc, what, "updatedAt", &out->updated_at, err) !=
	        0) {
		loco_chat_meta_release(out);
		return -1;
	}
	return 0;
}

/* Decode a chat meta into out. */
int
loco_chat_meta_decode(const bson_t *doc, struct loco_chat_meta *out,
    struct loco_error *err)
{
	return chat_meta_decode(doc, "meta", out, err);
}

/* Append the keys of a chat meta to out. */
void
loco_chat_meta_encode(const struct loco_chat_meta *in, bson_t *out)
{
	bson_append_int32(out, "type", -1, in->type);
	bson_append_int64(out, "revision", -1, in->revision);
	bson_append_int64(out, "authorId", -1, in->author_id);
	loco_bson_append_str(out, "content", in->content);
	bson_append_int32(out, "updatedAt", -1, in->updated_at);
}

/* Free what a chat meta owns and zero it. */
void
loco_chat_meta_release(struct loco_chat_meta *x)
{
	free(x->content);
	memset(x, 0, sizeof *x);
}

/* Decode a member, naming what in errors. */
static int
member_decode(const bson_t *doc, const char *what, struct loco_member *out,
    struct loco_error *err)
{
	memset(out, 0, sizeof *out);
	if (loco_bson_need_i64(doc, what, "userId", &out->user_id, err) != 0 ||
	    loco_bson_opt_i64(doc, what, "accountId", &out->account_id, err) !=
	        0 ||
	    loco_bson_opt_str(doc, what, "nickName", &out->nickname, err) !=
	        0 ||
	    loco_bson_opt_str(doc, what, "countryIso", &out->country_iso,
	        err) != 0 ||
	    loco_bson_opt_str(doc, what, "profileImageUrl",
	        &out->profile_image_url, err) != 0 ||
	    loco_bson_opt_str(doc, what, "fullProfileImageUrl",
	        &out->full_profile_image_url, err) != 0 ||
	    loco_bson_opt_str(doc, what, "originalProfileImageUrl",
	        &out->original_profile_image_url, err) != 0 ||
	    loco_bson_opt_str(doc, what, "statusMessage", &out->status_message,
	        err) != 0 ||
	    loco_bson_opt_str(doc, what, "linkedServices",
	        &out->linked_services, err) != 0 ||
	    loco_bson_opt_i32(doc, what, "type", &out->type, err) != 0 ||
	    loco_bson_opt_bool(doc, what, "suspended", &out->suspended, err) !=
	        0 ||
	    loco_bson_lax_i32(doc, "ut", &out->ut) != 0 ||
	    loco_bson_opt_str(doc, what, "pi", &out->pi, err) != 0 ||
	    loco_bson_opt_str(doc, what, "fpi", &out->fpi, err) != 0 ||
	    loco_bson_opt_str(doc, what, "opi", &out->opi, err) != 0 ||
	    loco_bson_lax_i32(doc, "opt", &out->opt) != 0 ||
	    loco_bson_opt_i64(doc, what, "pli", &out->pli, err) != 0 ||
	    loco_bson_opt_i32(doc, what, "mt", &out->mt, err) != 0 ||
	    loco_bson_opt_i32(doc, what, "ptp", &out->ptp, err) != 0) {
		loco_member_release(out);
		return -1;
	}
	return 0;
}

/* Decode a member into out. */
int
loco_member_decode(const bson_t *doc, struct loco_member *out,
    struct loco_error *err)
{
	return member_decode(doc, "member", out, err);
}

/*
 * Append the keys of a member to out. Keys a strict client requires for
 * this kind of member are written even when empty or 0 (KiwiTalk's serde
 * structs, node-kakao's and loco-wrapper's readers; docs/locosim-compat.md).
 */
void
loco_member_encode(const struct loco_member *in, bson_t *out)
{
	bool open = in->type == LOCO_USER_OPEN_PROFILE;

	bson_append_int64(out, "userId", -1, in->user_id);
	if (!open || in->account_id != 0)
		bson_append_int64(out, "accountId", -1, in->account_id);
	loco_bson_append_str(out, "nickName", in->nickname);
	append_kind_str(out, "countryIso", in->country_iso, !open);
	append_kind_str(out, "profileImageUrl", in->profile_image_url, !open);
	append_kind_str(out, "fullProfileImageUrl", in->full_profile_image_url,
	    !open);
	append_kind_str(out, "originalProfileImageUrl",
	    in->original_profile_image_url, !open);
	append_kind_str(out, "statusMessage", in->status_message, !open);
	append_kind_str(out, "linkedServices", in->linked_services, !open);
	bson_append_int32(out, "type", -1, in->type);
	if (!open || in->suspended)
		bson_append_bool(out, "suspended", -1, in->suspended);
	if (in->ut != 0)
		bson_append_int32(out, "ut", -1, in->ut);
	append_kind_str(out, "pi", in->pi, open);
	append_kind_str(out, "fpi", in->fpi, open);
	append_kind_str(out, "opi", in->opi, open);
	if (open || in->opt != 0)
		bson_append_int32(out, "opt", -1, in->opt);
	if (in->pli != 0)
		bson_append_int64(out, "pli", -1, in->pli);
	if (open || in->mt != 0)
		bson_append_int32(out, "mt", -1, in->mt);
	if (open || in->ptp != 0)
		bson_append_int32(out, "ptp", -1, in->ptp);
}

/* Free what a member owns and zero it. */
void
loco_member_release(struct loco_member *x)
{
	free(x->nickname);
	free(x->country_iso);
	free(x->profile_image_url);
	free(x->full_profile_image_url);
	free(x->original_profile_image_url);
	free(x->status_message);
	free(x->linked_services);
	free(x->pi);
	free(x->fpi);
	free(x->opi);
	memset(x, 0, sizeof *x);
}

/* Decode the optional member array doc[key]. */
static int
members_decode(const bson_t *doc, const char *what, const char *key,
    struct loco_member **out, size_t *n, struct loco_error *err)
{
	void *v = NULL;

	if (decode_doc_array(doc, what, key, sizeof **out, member_decode_cb,
	        member_release_cb, &v, n, err) != 0)
		return -1;
	*out = v;
	return 0;
}

/* Release and free a member array. */
static void
members_free(struct loco_member *v, size_t n)
{
	free_doc_array(v, n, sizeof *v, member_release_cb);
}

/* Decode a chatDatas element, naming what in errors. */
static int
chat_data_decode(const bson_t *doc, const char *what,
    struct loco_chat_data *out, struct loco_error *err)
{
	memset(out, 0, sizeof *out);
	if (loco_bson_need_i64(doc, what, "c", &out->chat_id, err) != 0 ||
	    opt_chat_type(doc, what, "t", &out->type, err) != 0 ||
	    loco_bson_opt_i32(doc, what, "a", &out->active_members, err) != 0 ||
	    loco_bson_opt_i32(doc, what, "n", &out->new_count, err) != 0 ||
	    loco_bson_opt_i64(doc, what, "ll", &out->last_log_id, err) != 0 ||
	    loco_bson_opt_i64(doc, what, "s", &out->last_seen_log_id, err) !=
	        0 ||
	    opt_chatlog(doc, what, "l", &out->last_log, err) != 0 ||
	    loco_bson_opt_i64_array(doc, what, "i", &out->icon_user_ids,
	        &out->n_icon_user_ids, err) != 0 ||
	    loco_bson_opt_str_array(doc, what, "k", &out->icon_nicknames,
	        &out->n_icon_nicknames, err) != 0 ||
	    loco_bson_opt_i64(doc, what, "o", &out->last_update, err) != 0 ||
	    loco_bson_opt_bool(doc, what, "p", &out->push_alert, err) != 0 ||
	    loco_bson_lax_i64(doc, "mmr", &out->mmr) != 0 ||
	    loco_bson_lax_i32(doc, "jn", &out->jn) != 0 ||
	    loco_bson_opt_i64(doc, what, "li", &out->link_id, err) != 0 ||
	    loco_bson_opt_i32(doc, what, "otk", &out->open_token, err) != 0) {
		loco_chat_data_release(out);
		return -1;
	}
	return 0;
}

/* Decode a chatDatas element into out. */
int
loco_chat_data_decode(const bson_t *doc, struct loco_chat_data *out,
    struct loco_error *err)
{
	return chat_data_decode(doc, "chatData", out, err);
}

/* Append the keys of a chatDatas element to out. */
void
loco_chat_data_encode(const struct loco_chat_data *in, bson_t *out)
{
	bson_append_int64(out, "c", -1, in->chat_id);
	bson_append_utf8(out, "t", -1, loco_chat_type_name(in->type), -1);
	bson_append_int32(out, "a", -1, in->active_members);
	bson_append_int32(out, "n", -1, in->new_count);
	bson_append_int64(out, "ll", -1, in->last_log_id);
	bson_append_int64(out, "s", -1, in->last_seen_log_id);
	if (in->last_log != NULL)
		loco_chatlog_append(out, "l", in->last_log);
	loco_bson_append_i64_array(out, "i", in->icon_user_ids,
	    in->n_icon_user_ids);
	loco_bson_append_str_array(out, "k",
	    (const char *const *)in->icon_nicknames, in->n_icon_nicknames);
	bson_append_int64(out, "o", -1, in->last_update);
	bson_append_bool(out, "p", -1, in->push_alert);
	bson_append_int64(out, "mmr", -1, in->mmr);
	if (in->jn != 0)
		bson_append_int32(out, "jn", -1, in->jn);
	if (in->link_id != 0)
		bson_append_int64(out, "li", -1, in->link_id);
	if (in->open_token != 0)
		bson_append_int32(out, "otk", -1, in->open_token);
}

/* Free what a chatDatas element owns and zero it. */
void
loco_chat_data_release(struct loco_chat_data *x)
{
	free_chatlog(x->last_log);
	free(x->icon_user_ids);
	loco_strv_free(x->icon_nicknames, x->n_icon_nicknames);
	memset(x, 0, sizeof *x);
}

/* Decode the chat-list keys, naming what in errors. eof defaults to true
 * so that a server which omits it cannot make us loop on LCHATLIST. */
static int
chat_list_decode(const bson_t *doc, const char *what,
    struct loco_chat_list *out, struct loco_error *err)
{
	void *v = NULL;

	memset(out, 0, sizeof *out);
	out->eof = true;
	if (decode_doc_array(doc, what, "chatDatas", sizeof *out->chats,
	        chat_data_decode_cb, chat_data_release_cb, &v, &out->n_chats,
	        err) != 0)
		return -1;
	out->chats = v;
	if (loco_bson_opt_i64(doc, what, "lastChatId", &out->last_chat_id,
	        err) != 0 ||
	    loco_bson_opt_i64(doc, what, "lastTokenId", &out->last_token_id,
	        err) != 0 ||
	    loco_bson_lax_i64(doc, "ltk", &out->ltk) != 0 ||
	    loco_bson_opt_i32(doc, what, "lbk", &out->lbk, err) != 0 ||
	    loco_bson_lax_i32(doc, "mcmRevision", &out->mcm_revision) != 0 ||
	    loco_bson_opt_i64_array(doc, what, "delChatIds", &out->del_chat_ids,
	        &out->n_del_chat_ids, err) != 0 ||
	    loco_bson_opt_bool(doc, what, "eof", &out->eof, err) != 0) {
		loco_chat_list_release(out);
		return -1;
	}
	return 0;
}

/* Decode a chat-list part of a response into out. */
int
loco_chat_list_decode(const bson_t *doc, struct loco_chat_list *out,
    struct loco_error *err)
{
	return chat_list_decode(doc, "chat list", out, err);
}

/* Append the keys of a chat-list part of a response to out. */
void
loco_chat_list_encode(const struct loco_chat_list *in, bson_t *out)
{
	append_doc_array(out, "chatDatas", in->chats, in->n_chats,
	    sizeof *in->chats, chat_data_encode_cb);
	bson_append_int64(out, "lastChatId", -1, in->last_chat_id);
	bson_append_int64(out, "lastTokenId", -1, in->last_token_id);
	bson_append_int64(out, "ltk", -1, in->ltk);
	bson_append_int32(out, "lbk", -1, in->lbk);
	bson_append_int32(out, "mcmRevision", -1, in->mcm_revision);
	loco_bson_append_i64_array(out, "delChatIds", in->del_chat_ids,
	    in->n_del_chat_ids);
	/* kc: its elements' type is unknown; loco-wrapper needs the array. */
	loco_bson_append_i64_array(out, "kc", NULL, 0);
	bson_append_bool(out, "eof", -1, in->eof);
}

/* Free what a chat-list part of a response owns and zero it. */
void
loco_chat_list_release(struct loco_chat_list *x)
{
	free_doc_array(x->chats, x->n_chats, sizeof *x->chats,
	    chat_data_release_cb);
	free(x->del_chat_ids);
	memset(x, 0, sizeof *x);
}

/* Decode a LOGINLIST request; oauthToken and duuid are required. */
int
loco_loginlist_req_decode(const bson_t *doc, struct loco_loginlist_req *out,
    struct loco_error *err)
{
	static const char what[] = "LOGINLIST";

	memset(out, 0, sizeof *out);
	if (loco_bson_opt_str(doc, what, "appVer", &out->app_ver, err) != 0 ||
	    loco_bson_opt_str(doc, what, "prtVer", &out->prt_ver, err) != 0 ||
	    loco_bson_opt_str(doc, what, "os", &out->os, err) != 0 ||
	    loco_bson_opt_str(doc, what, "lang", &out->lang, err) != 0 ||
	    loco_bson_need_str(doc, what, "duuid", &out->duuid, err) != 0 ||
	    loco_bson_need_str(doc, what, "oauthToken", &out->oauth_token,
	        err) != 0 ||
	    loco_bson_opt_i32(doc, what, "dtype", &out->dtype, err) != 0 ||
	    loco_bson_opt_i32(doc, what, "ntype", &out->ntype, err) != 0 ||
	    loco_bson_opt_str(doc, what, "MCCMNC", &out->mccmnc, err) != 0 ||
	    loco_bson_opt_i32(doc, what, "revision", &out->revision, err) !=
	        0 ||
	    loco_bson_opt_i64_array(doc, what, "chatIds", &out->chat_ids,
	        &out->n_chat_ids, err) != 0 ||
	    loco_bson_opt_i64_array(doc, what, "maxIds", &out->max_ids,
	        &out->n_max_ids, err) != 0 ||
	    loco_bson_opt_i64(doc, what, "lastTokenId", &out->last_token_id,
	        err) != 0 ||
	    loco_bson_opt_i32(doc, what, "lbk", &out->lbk, err) != 0 ||
	    check_rp(doc, what, err) != 0 ||
	    loco_bson_opt_bool(doc, what, "bg", &out->bg, err) != 0 ||
	    loco_bson_opt_i32(doc, what, "pcst", &out->pcst, err) != 0) {
		loco_loginlist_req_release(out);
		return -1;
	}
	return 0;
}

/* Append the keys of a LOGINLIST request to out. */
void
loco_loginlist_req_encode(const struct loco_loginlist_req *in, bson_t *out)
{
	loco_bson_append_str(out, "appVer", in->app_ver);
	loco_bson_append_str(out, "prtVer", in->prt_ver);
	loco_bson_append_str(out, "os", in->os);
	loco_bson_append_str(out, "lang", in->lang);
	loco_bson_append_str(out, "duuid", in->duuid);
	loco_bson_append_str(out, "oauthToken", in->oauth_token);
	bson_append_int32(out, "dtype", -1, in->dtype);
	bson_append_int32(out, "ntype", -1, in->ntype);
	loco_bson_append_str(out, "MCCMNC", in->mccmnc);
	bson_append_int32(out, "revision", -1, in->revision);
	loco_bson_append_i64_array(out, "chatIds", in->chat_ids,
	    in->n_chat_ids);
	loco_bson_append_i64_array(out, "maxIds", in->max_ids, in->n_max_ids);
	bson_append_int64(out, "lastTokenId", -1, in->last_token_id);
	bson_append_int32(out, "lbk", -1, in->lbk);
	bson_append_binary(out, "rp", -1, BSON_SUBTYPE_BINARY, loginlist_rp,
	    sizeof loginlist_rp);
	bson_append_bool(out, "bg", -1, in->bg);
	if (in->pcst != 0)
		bson_append_int32(out, "pcst", -1, in->pcst);
}

/* Free what a LOGINLIST request owns and zero it. */
void
loco_loginlist_req_release(struct loco_loginlist_req *x)
{
	free(x->app_ver);
	free(x->prt_ver);
	free(x->os);
	free(x->lang);
	free(x->duuid);
	if (x->oauth_token != NULL)
		xfree_secret(x->oauth_token, strlen(x->oauth_token));
	free(x->mccmnc);
	free(x->chat_ids);
	free(x->max_ids);
	memset(x, 0, sizeof *x);
}

/* Decode a LOGINLIST response; userId is required on success. */
int
loco_loginlist_res_decode(const bson_t *doc, struct loco_loginlist_res *out,
    struct loco_error *err)
{
	static const char what[] = "LOGINLIST";

	memset(out, 0, sizeof *out);
	out->list.eof = true;
	if (loco_bson_opt_i32(doc, what, "status", &out->status, err) != 0)
		goto fail;
	if (out->status != 0)
		return 0;
	if (loco_bson_need_i64(doc, what, "userId", &out->user_id, err) != 0 ||
	    loco_bson_opt_i32(doc, what, "revision", &out->revision, err) !=
	        0 ||
	    loco_bson_opt_str(doc, what, "revisionInfo", &out->revision_info,
	        err) != 0 ||
	    loco_bson_opt_i64(doc, what, "minLogId", &out->min_log_id, err) !=
	        0 ||
	    loco_bson_lax_i32(doc, "sb", &out->sb) != 0 ||
	    check_rp(doc, what, err) != 0 ||
	    chat_list_decode(doc, what, &out->list, err) != 0)
		goto fail;
	return 0;
fail:
	loco_loginlist_res_release(out);
	return -1;
}

/* Append the keys of a LOGINLIST response to out. */
void
loco_loginlist_res_encode(const struct loco_loginlist_res *in, bson_t *out)
{
	bson_append_int32(out, "status", -1, in->status);
	bson_append_int64(out, "userId", -1, in->user_id);
	bson_append_int32(out, "revision", -1, in->revision);
	append_opt_str(out, "revisionInfo", in->revision_info);
	bson_append_int64(out, "minLogId", -1, in->min_log_id);
	bson_append_int32(out, "sb", -1, in->sb);
	bson_append_binary(out, "rp", -1, BSON_SUBTYPE_BINARY, loginlist_rp,
	    sizeof loginlist_rp);
	loco_chat_list_encode(&in->list, out);
}

/* Free what a LOGINLIST response owns and zero it. */
void
loco_loginlist_res_release(struct loco_loginlist_res *x)
{
	free(x->revision_info);
	loco_chat_list_release(&x->list);
	memset(x, 0, sizeof *x);
}

/* Decode an LCHATLIST request; every key is optional (decision 12). */
int
loco_lchatlist_req_decode(const bson_t *doc, struct loco_lchatlist_req *out,
    struct loco_error *err)
{
	static const char what[] = "LCHATLIST";

	memset(out, 0, sizeof *out);
	if (loco_bson_opt_i64_array(doc, what, "chatIds", &out->chat_ids,
	        &out->n_chat_ids, err) != 0 ||
	    loco_bson_opt_i64_array(doc, what, "maxIds", &out->max_ids,
	        &out->n_max_ids, err) != 0 ||
	    loco_bson_opt_i64(doc, what, "lastTokenId", &out->last_token_id,
	        err) != 0 ||
	    loco_bson_opt_i64(doc, what, "lastChatId", &out->last_chat_id,
	        err) != 0) {
		loco_lchatlist_req_release(out);
		return -1;
	}
	return 0;
}

/* Append the keys of an LCHATLIST request to out. */
void
loco_lchatlist_req_encode(const struct loco_lchatlist_req *in, bson_t *out)
{
	loco_bson_append_i64_array(out, "chatIds", in->chat_ids,
	    in->n_chat_ids);
	loco_bson_append_i64_array(out, "maxIds", in->max_ids, in->n_max_ids);
	bson_append_int64(out, "lastTokenId", -1, in->last_token_id);
	bson_append_int64(out, "lastChatId", -1, in->last_chat_id);
}

/* Free what an LCHATLIST request owns and zero it. */
void
loco_lchatlist_req_release(struct loco_lchatlist_req *x)
{
	free(x->chat_ids);
	free(x->max_ids);
	memset(x, 0, sizeof *x);
}

/* Decode an LCHATLIST response. */
int
loco_lchatlist_res_decode(const bson_t *doc, struct loco_lchatlist_res *out,
    struct loco_error *err)
{
	static const char what[] = "LCHATLIST";

	memset(out, 0, sizeof *out);
	out->list.eof = true;
	if (loco_bson_opt_i32(doc, what, "status", &out->status, err) != 0)
		goto fail;
	if (out->status != 0)
		return 0;
	if (chat_list_decode(doc, what, &out->list, err) != 0)
		goto fail;
	return 0;
fail:
	loco_lchatlist_res_release(out);
	return -1;
}

/* Append the keys of an LCHATLIST response to out. */
void
loco_lchatlist_res_encode(const struct loco_lchatlist_res *in, bson_t *out)
{
	bson_append_int32(out, "status", -1, in->status);
	loco_chat_list_encode(&in->list, out);
}

/* Free what an LCHATLIST response owns and zero it. */
void
loco_lchatlist_res_release(struct loco_lchatlist_res *x)
{
	loco_chat_list_release(&x->list);
	memset(x, 0, sizeof *x);
}

/* Decode a CHATONROOM request; chatId is required. */
int
loco_chatonroom_req_decode(const bson_t *doc, struct loco_chatonroom_req *out,
    struct loco_error *err)
{
	static const char what[] = "CHATONROOM";

	memset(out, 0, sizeof *out);
	if (loco_bson_need_i64(doc, what, "chatId", &out->chat_id, err) != 0 ||
	    loco_bson_opt_i64(doc, what, "token", &out->token, err) != 0 ||
	    loco_bson_lax_i32(doc, "opt", &out->opt) != 0) {
		loco_chatonroom_req_release(out);
		return -1;
	}
	return 0;
}

/* Append the keys of a CHATONROOM request to out. */
void
loco_chatonroom_req_encode(const struct loco_chatonroom_req *in, bson_t *out)
{
	bson_append_int64(out, "chatId", -1, in->chat_id);
	bson_append_int64(out, "token", -1, in->token);
	bson_append_int32(out, "opt", -1, in->opt);
}

/* Free what a CHATONROOM request owns and zero it. */
void
loco_chatonroom_req_release(struct loco_chatonroom_req *x)
{
	memset(x, 0, sizeof *x);
}

/* Decode a CHATONROOM response; "c" is required on success. */
int
loco_chatonroom_res_decode(const bson_t *doc, struct loco_chatonroom_res *out,
    struct loco_error *err)
{
	static const char what[] = "CHATONROOM";

	memset(out, 0, sizeof *out);
	if (loco_bson_opt_i32(doc, what, "status", &out->status, err) != 0)
		goto fail;
	if (out->status != 0)
		return 0;
	if (loco_bson_need_i64(doc, what, "c", &out->chat_id, err) != 0 ||
	    opt_chat_type(doc, what, "t", &out->type, err) != 0 ||
	    loco_bson_opt_i64(doc, what, "l", &out->last_log_id, err) != 0 ||
	    members_decode(doc, what, "m", &out->members, &out->n_members,
	        err) != 0 ||
	    loco_bson_opt_i64_array(doc, what, "mi", &out->member_ids,
	        &out->n_member_ids, err) != 0 ||
	    loco_bson_opt_i64_array(doc, what, "a", &out->watermark_user_ids,
	        &out->n_watermark_user_ids, err) != 0 ||
	    loco_bson_opt_i64_array(doc, what, "w", &out->watermarks,
	        &out->n_watermarks, err) != 0 ||
	    loco_bson_opt_i32(doc, what, "otk", &out->open_token, err) != 0 ||
	    loco_bson_opt_bool(doc, what, "notiRead", &out->noti_read, err) !=
	        0 ||
	    loco_bson_lax_i64(doc, "o", &out->last_update) != 0 ||
	    loco_bson_lax_i64(doc, "jsi", &out->jsi) != 0)
		goto fail;
	/* f and mr: keys of unknown meaning, kept only when well typed. */
	(void)loco_bson_get_bool(doc, "f", &out->f);
	if (loco_bson_get_str(doc, "mr", &out->mr) != 1)
		out->mr = NULL;
	return 0;
fail:
	loco_chatonroom_res_release(out);
	return -1;
}

/* Append the keys of a CHATONROOM response to out. */
void
loco_chatonroom_res_encode(const struct loco_chatonroom_res *in, bson_t *out)
{
	bson_append_int32(out, "status", -1, in->status);
	bson_append_int64(out, "c", -1, in->chat_id);
	bson_append_utf8(out, "t", -1, loco_chat_type_name(in->type), -1);
	bson_append_int64(out, "l", -1, in->last_log_id);
	if (in->n_members > 0 || in->n_member_ids == 0)
		append_doc_array(out, "m", in->members, in->n_members,
		    sizeof *in->members, member_encode_cb);
	if (in->n_member_ids > 0)
		loco_bson_append_i64_array(out, "mi", in->member_ids,
		    in->n_member_ids);
	loco_bson_append_i64_array(out, "a", in->watermark_user_ids,
	    in->n_watermark_user_ids);
	loco_bson_append_i64_array(out, "w", in->watermarks, in->n_watermarks);
	bson_append_int64(out, "o", -1, in->last_update);
	bson_append_int64(out, "jsi", -1, in->jsi);
	bson_append_bool(out, "f", -1, in->f);
	loco_bson_append_str(out, "mr", in->mr);
	if (in->open_token != 0)
		bson_append_int32(out, "otk", -1, in->open_token);
	if (in->noti_read)
		bson_append_bool(out, "notiRead", -1, true);
}

/* Free what a CHATONROOM response owns and zero it. */
void
loco_chatonroom_res_release(struct loco_chatonroom_res *x)
{
	members_free(x->members, x->n_members);
	free(x->member_ids);
	free(x->watermark_user_ids);
	free(x->watermarks);
	free(x->mr);
	memset(x, 0, sizeof *x);
}

/* Decode a displayMembers element, naming what in errors. */
static int
display_member_decode(const bson_t *doc, const char *what,
    struct loco_display_member *out, struct loco_error *err)
{
	memset(out, 0, sizeof *out);
	if (loco_bson_need_i64(doc, what, "userId", &out->user_id, err) != 0 ||
	    loco_bson_opt_str(doc, what, "nickName", &out->nickname, err) !=
	        0 ||
	    loco_bson_opt_str(doc, what, "countryIso", &out->country_iso,
	        err) != 0 ||
	    loco_bson_opt_str(doc, what, "profileImageUrl",
	        &out->profile_image_url, err) != 0) {
		display_member_release(out);
		return -1;
	}
	return 0;
}

/* Append a displayMembers element's keys. */
static void
display_member_encode(const struct loco_display_member *in, bson_t *out)
{
	bson_append_int64(out, "userId", -1, in->user_id);
	loco_bson_append_str(out, "nickName", in->nickname);
	loco_bson_append_str(out, "countryIso", in->country_iso);
	loco_bson_append_str(out, "profileImageUrl", in->profile_image_url);
}

/* Free a displayMembers element's strings and zero it. */
static void
display_member_release(struct loco_display_member *x)
{
	free(x->nickname);
	free(x->country_iso);
	free(x->profile_image_url);
	memset(x, 0, sizeof *x);
}

/* Decode a chatInfo object, naming what in errors. lastUpdatedAt has no
 * known type (NK types it "unknown"), so only an integer is kept. */
static int
chat_info_decode(const bson_t *doc, const char *what,
    struct loco_chat_info *out, struct loco_error *err)
{
	char mwhat[48];
	void *v = NULL;
	bson_t meta;
	int r;

	memset(out, 0, sizeof *out);
	if (loco_bson_need_i64(doc, what, "chatId", &out->chat_id, err) != 0 ||
	    opt_chat_type(doc, what, "type", &out->type, err) != 0 ||
	    loco_bson_opt_i32(doc, what, "activeMembersCount",
	        &out->active_members, err) != 0 ||
	    loco_bson_opt_i32(doc, what, "newMessageCount",
	        &out->new_message_count, err) != 0 ||
	    loco_bson_opt_bool(doc, what, "invalidNewMessageCount",
	        &out->invalid_new_message_count, err) != 0 ||
	    loco_bson_opt_i64(doc, what, "lastLogId", &out->last_log_id, err) !=
	        0 ||
	    loco_bson_opt_i64(doc, what, "lastSeenLogId",
	        &out->last_seen_log_id, err) != 0 ||
	    opt_chatlog(doc, what, "lastChatLog", &out->last_chat_log, err) !=
	        0)
		goto fail;
	(void)loco_bson_get_i64(doc, "lastUpdatedAt", &out->last_updated_at);
	if (loco_bson_opt_bool(doc, what, "pushAlert", &out->push_alert, err) !=
	    0)
		goto fail;
	if ((r = loco_bson_get_doc(doc, "meta", &meta)) < 0) {
		loco_error_set(err, LOCO_ERR_TYPE,
		    "%s: 'meta' is not a document", what);
		goto fail;
	}
	(void)snprintf(mwhat, sizeof mwhat, "%s.meta", what);
	if (r == 1 &&
	    (loco_bson_opt_str(&meta, mwhat, "name", &out->meta.name, err) !=
	            0 ||
	        loco_bson_opt_str(&meta, mwhat, "image_path",
	            &out->meta.image_path, err) != 0 ||
	        loco_bson_opt_str(&meta, mwhat, "imageUrl",
	            &out->meta.image_url, err) != 0 ||
	        loco_bson_opt_str(&meta, mwhat, "fullImageUrl",
	            &out->meta.full_image_url, err) != 0))
		goto fail;
	if (decode_doc_array(doc, what, "chatMetas", sizeof *out->metas,
	        chat_meta_decode_cb, chat_meta_release_cb, &v, &out->n_metas,
	        err) != 0)
		goto fail;
	out->metas = v;
	v = NULL;
	if (decode_doc_array(doc, what, "displayMembers",
	        sizeof *out->display_members, display_member_decode_cb,
	        display_member_release_cb, &v, &out->n_display_members,
	        err) != 0)
		goto fail;
	out->display_members = v;
	if (loco_bson_opt_bool(doc, what, "left", &out->left, err) != 0 ||
	    loco_bson_lax_i32(doc, "joinedAtForNewMem",
	        &out->joined_at_for_new_mem) != 0 ||
	    loco_bson_opt_i64(doc, what, "li", &out->link_id, err) != 0 ||
	    loco_bson_opt_i32(doc, what, "otk", &out->open_token, err) != 0 ||
	    loco_bson_opt_bool(doc, what, "directChat", &out->direct_chat,
	        err) != 0)
		goto fail;
	return 0;
fail:
	loco_chat_info_release(out);
	return -1;
}

/* Decode a chatInfo object into out. */
int
loco_chat_info_decode(const bson_t *doc, struct loco_chat_info *out,
    struct loco_error *err)
{
	return chat_info_decode(doc, "chatInfo", out, err);
}

/* Append the keys of a chatInfo object to out. */
void
loco_chat_info_encode(const struct loco_chat_info *in, bson_t *out)
{
	const struct loco_chat_info_meta *m = &in->meta;
	bson_t sub;

	bson_append_int64(out, "chatId", -1, in->chat_id);
	bson_append_utf8(out, "type", -1, loco_chat_type_name(in->type), -1);
	bson_append_int32(out, "activeMembersCount", -1, in->active_members);
	bson_append_int32(out, "newMessageCount", -1, in->new_message_count);
	bson_append_bool(out, "invalidNewMessageCount", -1,
	    in->invalid_new_message_count);
	bson_append_int64(out, "lastLogId", -1, in->last_log_id);
	bson_append_int64(out, "lastSeenLogId", -1, in->last_seen_log_id);
	if (in->last_chat_log != NULL)
		loco_chatlog_append(out, "lastChatLog", in->last_chat_log);
	bson_append_int64(out, "lastUpdatedAt", -1, in->last_updated_at);
	bson_append_bool(out, "pushAlert", -1, in->push_alert);
	if (m->name != NULL || m->image_path != NULL || m->image_url != NULL ||
	    m->full_image_url != NULL) {
		bson_append_document_begin(out, "meta", -1, &sub);
		append_opt_str(&sub, "name", m->name);
		append_opt_str(&sub, "image_path", m->image_path);
		append_opt_str(&sub, "imageUrl", m->image_url);
		append_opt_str(&sub, "fullImageUrl", m->full_image_url);
		bson_append_document_end(out, &sub);
	}
	append_doc_array(out, "chatMetas", in->metas, in->n_metas,
	    sizeof *in->metas, chat_meta_encode_cb);
	append_doc_array(out, "displayMembers", in->display_members,
	    in->n_display_members, sizeof *in->display_members,
	    display_member_encode_cb);
	bson_append_bool(out, "left", -1, in->left);
	if (!loco_chat_type_is_open(in->type))
		bson_append_int32(out, "joinedAtForNewMem", -1,
		    in->joined_at_for_new_mem);
	if (in->link_id != 0)
		bson_append_int64(out, "li", -1, in->link_id);
	if (in->open_token != 0)
		bson_append_int32(out, "otk", -1, in->open_token);
	bson_append_bool(out, "directChat", -1, in->direct_chat);
}

/* Free what a chatInfo object owns and zero it. */
void
loco_chat_info_release(struct loco_chat_info *x)
{
	free_chatlog(x->last_chat_log);
	free(x->meta.name);
	free(x->meta.image_path);
	free(x->meta.image_url);
	free(x->meta.full_image_url);
	free_doc_array(x->metas, x->n_metas, sizeof *x->metas,
	    chat_meta_release_cb);
	free_doc_array(x->display_members, x->n_display_members,
	    sizeof *x->display_members, display_member_release_cb);
	memset(x, 0, sizeof *x);
}

/* Decode a CHATINFO request; chatId is required. */
int
loco_chatinfo_req_decode(const bson_t *doc, struct loco_chatinfo_req *out,
    struct loco_error *err)
{
	memset(out, 0, sizeof *out);
	return loco_bson_need_i64(doc, "CHATINFO", "chatId", &out->chat_id,
	    err);
}

/* Append the keys of a CHATINFO request to out. */
void
loco_chatinfo_req_encode(const struct loco_chatinfo_req *in, bson_t *out)
{
	bson_append_int64(out, "chatId", -1, in->chat_id);
}

/* Free what a CHATINFO request owns and zero it. */
void
loco_chatinfo_req_release(struct loco_chatinfo_req *x)
{
	memset(x, 0, sizeof *x);
}

/* Decode a CHATINFO response; chatInfo is required on success. */
int
loco_chatinfo_res_decode(const bson_t *doc, struct loco_chatinfo_res *out,
    struct loco_error *err)
{
	static const char what[] = "CHATINFO";
	bson_t sub;

	memset(out, 0, sizeof *out);
	if (loco_bson_opt_i32(doc, what, "status", &out->status, err) != 0)
		return -1;
	if (out->status != 0)
		return 0;
	if (loco_bson_need_doc(doc, what, "chatInfo", &sub, err) != 0 ||
	    chat_info_decode(&sub, "CHATINFO.chatInfo", &out->info, err) != 0) {
		loco_chatinfo_res_release(out);
		return -1;
	}
	return 0;
}

/* Append the keys of a CHATINFO response to out. */
void
loco_chatinfo_res_encode(const struct loco_chatinfo_res *in, bson_t *out)
{
	bson_t sub;

	bson_append_int32(out, "status", -1, in->status);
	bson_append_document_begin(out, "chatInfo", -1, &sub);
	loco_chat_info_encode(&in->info, &sub);
	bson_append_document_end(out, &sub);
}

/* Free what a CHATINFO response owns and zero it. */
void
loco_chatinfo_res_release(struct loco_chatinfo_res *x)
{
	loco_chat_info_release(&x->info);
	memset(x, 0, sizeof *x);
}

/* Decode a GETMEM request; chatId is required. */
int
loco_getmem_req_decode(const bson_t *doc, struct loco_getmem_req *out,
    struct loco_error *err)
{
	memset(out, 0, sizeof *out);
	return loco_bson_need_i64(doc, "GETMEM", "chatId", &out->chat_id, err);
}

/* Append the keys of a GETMEM request to out. */
void
loco_getmem_req_encode(const struct loco_getmem_req *in, bson_t *out)
{
	bson_append_int64(out, "chatId", -1, in->chat_id);
}

/* Free what a GETMEM request owns and zero it. */
void
loco_getmem_req_release(struct loco_getmem_req *x)
{
	memset(x, 0, sizeof *x);
}

/* Decode a GETMEM response. */
int
loco_getmem_res_decode(const bson_t *doc, struct loco_getmem_res *out,
    struct loco_error *err)
{
	static const char what[] = "GETMEM";

	memset(out, 0, sizeof *out);
	if (loco_bson_opt_i32(doc, what, "status", &out->status, err) != 0)
		goto fail;
	if (out->status != 0)
		return 0;
	if (members_decode(doc, what, "members", &out->members, &out->n_members,
	        err) != 0 ||
	    loco_bson_opt_i64(doc, what, "token", &out->token, err) != 0)
		goto fail;
	return 0;
fail:
	loco_getmem_res_release(out);
	return -1;
}

/* Append the keys of a GETMEM response to out. */
void
loco_getmem_res_encode(const struct loco_getmem_res *in, bson_t *out)
{
	bson_append_int32(out, "status", -1, in->status);
	append_doc_array(out, "members", in->members, in->n_members,
	    sizeof *in->members, member_encode_cb);
	bson_append_int64(out, "token", -1, in->token);
}

/* Free what a GETMEM response owns and zero it. */
void
loco_getmem_res_release(struct loco_getmem_res *x)
{
	members_free(x->members, x->n_members);
	memset(x, 0, sizeof *x);
}

/* Decode a MEMBER request; chatId and memberIds are required. */
int
loco_member_req_decode(const bson_t *doc, struct loco_member_req *out,
    struct loco_error *err)
{
	static const char what[] = "MEMBER";

	memset(out, 0, sizeof *out);
	if (loco_bson_need_i64(doc, what, "chatId", &out->chat_id, err) != 0 ||
	    need_i64_array(doc, what, "memberIds", &out->member_ids,
	        &out->n_member_ids, err) != 0) {
		loco_member_req_release(out);
		return -1;
	}
	return 0;
}

/* Append the keys of an MEMBER request to out. */
void
loco_member_req_encode(const struct loco_member_req *in, bson_t *out)
{
	bson_append_int64(out, "chatId", -1, in->chat_id);
	loco_bson_append_i64_array(out, "memberIds", in->member_ids,
	    in->n_member_ids);
}

/* Free what an MEMBER request owns and zero it. */
void
loco_member_req_release(struct loco_member_req *x)
{
	free(x->member_ids);
	memset(x, 0, sizeof *x);
}

/* Decode a MEMBER response. */
int
loco_member_res_decode(const bson_t *doc, struct loco_member_res *out,
    struct loco_error *err)
{
	static const char what[] = "MEMBER";

	memset(out, 0, sizeof *out);
	if (loco_bson_opt_i32(doc, what, "status", &out->status, err) != 0)
		goto fail;
	if (out->status != 0)
		return 0;
	if (loco_bson_opt_i64(doc, what, "chatId", &out->chat_id, err) != 0 ||
	    members_decode(doc, what, "members", &out->members, &out->n_members,
	        err) != 0)
		goto fail;
	return 0;
fail:
	loco_member_res_release(out);
	return -1;
}

/* Append the keys of an MEMBER response to out. */
void
loco_member_res_encode(const struct loco_member_res *in, bson_t *out)
{
	bson_append_int32(out, "status", -1, in->status);
	bson_append_int64(out, "chatId", -1, in->chat_id);
	append_doc_array(out, "members", in->members, in->n_members,
	    sizeof *in->members, member_encode_cb);
}

/* Free what an MEMBER response owns and zero it. */
void
loco_member_res_release(struct loco_member_res *x)
{
	members_free(x->members, x->n_members);
	memset(x, 0, sizeof *x);
}

/* The shape shared by NEWMEM, DELMEM and SYNCJOIN: an id and a required
 * chatLog; a missing id is taken from the chatLog. */
static int
mem_push_decode(const bson_t *doc, const char *what, const char *id_key,
    int64_t *chat_id, struct loco_chatlog *cl, struct loco_error *err)
{
	memset(cl, 0, sizeof *cl);
	if (loco_chatlog_decode_need(doc, what, "chatLog", cl, err) != 0)
		return -1;
	*chat_id = cl->chat_id;
	if (loco_bson_opt_i64(doc, what, id_key, chat_id, err) != 0) {
		loco_chatlog_release(cl);
		return -1;
	}
	return 0;
}

/* Append the id and the chatLog of a NEWMEM/DELMEM/SYNCJOIN push. */
static void
mem_push_encode(bson_t *out, const char *id_key, int64_t chat_id,
    const struct loco_chatlog *cl)
{
	bson_append_int64(out, id_key, -1, chat_id);
	loco_chatlog_append(out, "chatLog", cl);
}

/* Decode an NEWMEM push into out. */
int
loco_newmem_decode(const bson_t *doc, struct loco_newmem *out,
    struct loco_error *err)
{
	memset(out, 0, sizeof *out);
	return mem_push_decode(doc, "NEWMEM", "chatId", &out->chat_id,
	    &out->chatlog, err);
}

/* Append the keys of an NEWMEM push to out. */
void
loco_newmem_encode(const struct loco_newmem *in, bson_t *out)
{
	mem_push_encode(out, "chatId", in->chat_id, &in->chatlog);
}

/* Free what an NEWMEM push owns and zero it. */
void
loco_newmem_release(struct loco_newmem *x)
{
	loco_chatlog_release(&x->chatlog);
	memset(x, 0, sizeof *x);
}

/* Decode a DELMEM push into out. */
int
loco_delmem_decode(const bson_t *doc, struct loco_delmem *out,
    struct loco_error *err)
{
	memset(out, 0, sizeof *out);
	return mem_push_decode(doc, "DELMEM", "chatId", &out->chat_id,
	    &out->chatlog, err);
}

/* Append the keys of a DELMEM push to out. */
void
loco_delmem_encode(const struct loco_delmem *in, bson_t *out)
{
	mem_push_encode(out, "chatId", in->chat_id, &in->chatlog);
}

/* Free what a DELMEM push owns and zero it. */
void
loco_delmem_release(struct loco_delmem *x)
{
	loco_chatlog_release(&x->chatlog);
	memset(x, 0, sizeof *x);
}

/* Decode an SYNCJOIN push into out. */
int
loco_syncjoin_decode(const bson_t *doc, struct loco_syncjoin *out,
    struct loco_error *err)
{
	memset(out, 0, sizeof *out);
	return mem_push_decode(doc, "SYNCJOIN", "c", &out->chat_id,
	    &out->chatlog, err);
}

/* Append the keys of an SYNCJOIN push to out. */
void
loco_syncjoin_encode(const struct loco_syncjoin *in, bson_t *out)
{
	mem_push_encode(out, "c", in->chat_id, &in->chatlog);
}

/* Free what an SYNCJOIN push owns and zero it. */
void
loco_syncjoin_release(struct loco_syncjoin *x)
{
	loco_chatlog_release(&x->chatlog);
	memset(x, 0, sizeof *x);
}

/* Decode a LEFT push; chatId is required. */
int
loco_left_decode(const bson_t *doc, struct loco_left *out,
    struct loco_error *err)
{
	memset(out, 0, sizeof *out);
	if (loco_bson_need_i64(doc, "LEFT", "chatId", &out->chat_id, err) !=
	        0 ||
	    loco_bson_opt_i64(doc, "LEFT", "lastTokenId", &out->last_token_id,
	        err) != 0) {
		loco_left_release(out);
		return -1;
	}
	return 0;
}

/* Append the keys of an LEFT push to out. */
void
loco_left_encode(const struct loco_left *in, bson_t *out)
{
	bson_append_int64(out, "chatId", -1, in->chat_id);
	bson_append_int64(out, "lastTokenId", -1, in->last_token_id);
}

/* Free what an LEFT push owns and zero it. */
void
loco_left_release(struct loco_left *x)
{
	memset(x, 0, sizeof *x);
}

/* Decode a CHGMETA push; chatId and meta are required. */
int
loco_chgmeta_decode(const bson_t *doc, struct loco_chgmeta *out,
    struct loco_error *err)
{
	bson_t sub;

	memset(out, 0, sizeof *out);
	if (loco_bson_need_i64(doc, "CHGMETA", "chatId", &out->chat_id, err) !=
	        0 ||
	    loco_bson_need_doc(doc, "CHGMETA", "meta", &sub, err) != 0 ||
	    chat_meta_decode(&sub, "CHGMETA.meta", &out->meta, err) != 0) {
		loco_chgmeta_release(out);
		return -1;
	}
	return 0;
}

/* Append the keys of a CHGMETA push to out. */
void
loco_chgmeta_encode(const struct loco_chgmeta *in, bson_t *out)
{
	bson_t sub;

	bson_append_int64(out, "chatId", -1, in->chat_id);
	bson_append_document_begin(out, "meta", -1, &sub);
	loco_chat_meta_encode(&in->meta, &sub);
	bson_append_document_end(out, &sub);
}

/* Free what a CHGMETA push owns and zero it. */
void
loco_chgmeta_release(struct loco_chgmeta *x)
{
	loco_chat_meta_release(&x->meta);
	memset(x, 0, sizeof *x);
}

/* Decode a SETMETA request; chatId and type are required. */
int
loco_setmeta_req_decode(const bson_t *doc, struct loco_setmeta_req *out,
    struct loco_error *err)
{
	static const char what[] = "SETMETA";

	memset(out, 0, sizeof *out);
	if (loco_bson_need_i64(doc, what, "chatId", &out->chat_id, err) != 0 ||
	    loco_bson_need_i32(doc, what, "type", &out->type, err) != 0 ||
	    loco_bson_opt_str(doc, what, "content", &out->content, err) != 0) {
		loco_setmeta_req_release(out);
		return -1;
	}
	return 0;
}

/* Append the keys of an SETMETA request to out. */
void
loco_setmeta_req_encode(const struct loco_setmeta_req *in, bson_t *out)
{
	bson_append_int64(out, "chatId", -1, in->chat_id);
	bson_append_int32(out, "type", -1, in->type);
	loco_bson_append_str(out, "content", in->content);
}

/* Free what an SETMETA request owns and zero it. */
void
loco_setmeta_req_release(struct loco_setmeta_req *x)
{
	free(x->content);
	memset(x, 0, sizeof *x);
}

/* Decode a SETMETA response; chatId and meta are required on success. */
int
loco_setmeta_res_decode(const bson_t *doc, struct loco_setmeta_res *out,
    struct loco_error *err)
{
	static const char what[] = "SETMETA";
	bson_t sub;

	memset(out, 0, sizeof *out);
	if (loco_bson_opt_i32(doc, what, "status", &out->status, err) != 0)
		goto fail;
	if (out->status != 0)
		return 0;
	if (loco_bson_need_i64(doc, what, "chatId", &out->chat_id, err) != 0 ||
	    loco_bson_need_doc(doc, what, "meta", &sub, err) != 0 ||
	    chat_meta_decode(&sub, "SETMETA.meta", &out->meta, err) != 0)
		goto fail;
	return 0;
fail:
	loco_setmeta_res_release(out);
	return -1;
}

/* Append the keys of an SETMETA response to out. */
void
loco_setmeta_res_encode(const struct loco_setmeta_res *in, bson_t *out)
{
	bson_t sub;

	bson_append_int32(out, "status", -1, in->status);
	bson_append_int64(out, "chatId", -1, in->chat_id);
	bson_append_document_begin(out, "meta", -1, &sub);
	loco_chat_meta_encode(&in->meta, &sub);
	bson_append_document_end(out, &sub);
}

/* Free what an SETMETA response owns and zero it. */
void
loco_setmeta_res_release(struct loco_setmeta_res *x)
{
	loco_chat_meta_release(&x->meta);
	memset(x, 0, sizeof *x);
}

/* Array element callback: decode one member. */
static int
member_decode_cb(const bson_t *doc, const char *what, void *out,
    struct loco_error *err)
{
	return member_decode(doc, what, out, err);
}

/* Array element callback: encode one member. */
static void
member_encode_cb(const void *in, bson_t *out)
{
	loco_member_encode(in, out);
}

/* Array element callback: release one member. */
static void
member_release_cb(void *x)
{
	loco_member_release(x);
}

/* Array element callback: decode one chat meta. */
static int
chat_meta_decode_cb(const bson_t *doc, const char *what, void *out,
    struct loco_error *err)
{
	return chat_meta_decode(doc, what, out, err);
}

/* Array element callback: encode one chat meta. */
static void
chat_meta_encode_cb(const void *in, bson_t *out)
{
	loco_chat_meta_encode(in, out);
}

/* Array element callback: release one chat meta. */
static void
chat_meta_release_cb(void *x)
{
	loco_chat_meta_release(x);
}

/* Array element callback: decode one chat data. */
static int
chat_data_decode_cb(const bson_t *doc, const char *what, void *out,
    struct loco_error *err)
{
	return chat_data_decode(doc, what, out, err);
}

/* Array element callback: encode one chat data. */
static void
chat_data_encode_cb(const void *in, bson_t *out)
{
	loco_chat_data_encode(in, out);
}

/* Array element callback: release one chat data. */
static void
chat_data_release_cb(void *x)
{
	loco_chat_data_release(x);
}

/* Array element callback: decode one display member. */
static int
display_member_decode_cb(const bson_t *doc, const char *what, void *out,
    struct loco_error *err)
{
	return display_member_decode(doc, what, out, err);
}

/* Array element callback: encode one display member. */
static void
display_member_encode_cb(const void *in, bson_t *out)
{
	display_member_encode(in, out);
}

/* Array element callback: release one display member. */
static void
display_member_release_cb(void *x)
{
	display_member_release(x);
}

/* Run every decoder of this module on doc and release what succeeded. */
void
loco_chat_fuzz_decode_all(const bson_t *doc)
{
	union {
		struct loco_chat_meta meta;
		struct loco_member member;
		struct loco_chat_data data;
		struct loco_chat_list list;
		struct loco_loginlist_req llq;
		struct loco_loginlist_res lls;
		struct loco_lchatlist_req lcq;
		struct loco_lchatlist_res lcs;
		struct loco_chatonroom_req crq;
		struct loco_chatonroom_res crs;
		struct loco_chat_info info;
		struct loco_chatinfo_req ciq;
		struct loco_chatinfo_res cis;
		struct loco_getmem_req gmq;
		struct loco_getmem_res gms;
		struct loco_member_req mbq;
		struct loco_member_res mbs;
		struct loco_newmem nm;
		struct loco_delmem dm;
		struct loco_syncjoin sj;
		struct loco_left lf;
		struct loco_chgmeta cm;
		struct loco_setmeta_req smq;
		struct loco_setmeta_res sms;
	} u;

	if (loco_chat_meta_decode(doc, &u.meta, NULL) == 0)
		loco_chat_meta_release(&u.meta);
	if (loco_member_decode(doc, &u.member, NULL) == 0)
		loco_member_release(&u.member);
	if (loco_chat_data_decode(doc, &u.data, NULL) == 0)
		loco_chat_data_release(&u.data);
	if (loco_chat_list_decode(doc, &u.list, NULL) == 0)
		loco_chat_list_release(&u.list);
	if (loco_loginlist_req_decode(doc, &u.llq, NULL) == 0)
		loco_loginlist_req_release(&u.llq);
	if (loco_loginlist_res_decode(doc, &u.lls, NULL) == 0)
		loco_loginlist_res_release(&u.lls);
	if (loco_lchatlist_req_decode(doc, &u.lcq, NULL) == 0)
		loco_lchatlist_req_release(&u.lcq);
	if (loco_lchatlist_res_decode(doc, &u.lcs, NULL) == 0)
		loco_lchatlist_res_release(&u.lcs);
	if (loco_chatonroom_req_decode(doc, &u.crq, NULL) == 0)
		loco_chatonroom_req_release(&u.crq);
	if (loco_chatonroom_res_decode(doc, &u.crs, NULL) == 0)
		loco_chatonroom_res_release(&u.crs);
	if (loco_chat_info_decode(doc, &u.info, NULL) == 0)
		loco_chat_info_release(&u.info);
	if (loco_chatinfo_req_decode(doc, &u.ciq, NULL) == 0)
		loco_chatinfo_req_release(&u.ciq);
	if (loco_chatinfo_res_decode(doc, &u.cis, NULL) == 0)
		loco_chatinfo_res_release(&u.cis);
	if (loco_getmem_req_decode(doc, &u.gmq, NULL) == 0)
		loco_getmem_req_release(&u.gmq);
	if (loco_getmem_res_decode(doc, &u.gms, NULL) == 0)
		loco_getmem_res_release(&u.gms);
	if (loco_member_req_decode(doc, &u.mbq, NULL) == 0)
		loco_member_req_release(&u.mbq);
	if (loco_member_res_decode(doc, &u.mbs, NULL) == 0)
		loco_member_res_release(&u.mbs);
	if (loco_newmem_decode(doc, &u.nm, NULL) == 0)
		loco_newmem_release(&u.nm);
	if (loco_delmem_decode(doc, &u.dm, NULL) == 0)
		loco_delmem_release(&u.dm);
	if (loco_syncjoin_decode(doc, &u.sj, NULL) == 0)
		loco_syncjoin_release(&u.sj);
	if (loco_left_decode(doc, &u.lf, NULL) == 0)
		loco_left_release(&u.lf);
	if (loco_chgmeta_decode(doc, &u.cm, NULL) == 0)
		loco_chgmeta_release(&u.cm);
	if (loco_setmeta_req_decode(doc, &u.smq, NULL) == 0)
		loco_setmeta_req_release(&u.smq);
	if (loco_setmeta_res_decode(doc, &u.sms, NULL) == 0)
		loco_setmeta_res_release(&u.sms);
}
