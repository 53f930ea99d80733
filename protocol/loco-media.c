/* locoirc: see LICENSE.
 *
 * Bodies of the media upload: SHIP, POST and COMPLETE. Pure BSON mapping
 * on top of loco-bson and loco-chatlog; the connection that carries POST
 * and the raw bytes lives elsewhere.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "loco-bson.h"
#include "loco-media.h"
#include "xmalloc.h"

/* Decode a SHIP request into out; c, t and s are required. */
int
loco_ship_req_decode(const bson_t *doc, struct loco_ship_req *out,
    struct loco_error *err)
{
	static const char what[] = "SHIP";

	memset(out, 0, sizeof *out);
	if (loco_bson_need_i64(doc, what, "c", &out->chat_id, err) != 0 ||
	    loco_bson_need_i32(doc, what, "t", &out->type, err) != 0 ||
	    loco_bson_need_i64(doc, what, "s", &out->size, err) != 0 ||
	    loco_bson_opt_str(doc, what, "cs", &out->checksum, err) != 0 ||
	    loco_bson_opt_str(doc, what, "e", &out->ext, err) != 0 ||
	    loco_bson_opt_str(doc, what, "ex", &out->extra, err) != 0) {
		loco_ship_req_release(out);
		return -1;
	}
	return 0;
}

/* Append the keys of a SHIP request to out. */
void
loco_ship_req_encode(const struct loco_ship_req *in, bson_t *out)
{
	bson_append_int64(out, "c", -1, in->chat_id);
	bson_append_int32(out, "t", -1, in->type);
	bson_append_int64(out, "s", -1, in->size);
	loco_bson_append_str(out, "cs", in->checksum);
	loco_bson_append_str(out, "e", in->ext);
	loco_bson_append_str(out, "ex", in->extra);
}

/* Free what a SHIP request owns and zero it. */
void
loco_ship_req_release(struct loco_ship_req *x)
{
	free(x->checksum);
	free(x->ext);
	free(x->extra);
	memset(x, 0, sizeof *x);
}

/* Decode a SHIP response into out. "h" has no known meaning or type, so
 * it is kept only when it is a string and never fails the decode. */
int
loco_ship_res_decode(const bson_t *doc, struct loco_ship_res *out,
    struct loco_error *err)
{
	static const char what[] = "SHIP";

	memset(out, 0, sizeof *out);
	if (loco_bson_opt_i32(doc, what, "status", &out->status, err) != 0)
		goto fail;
	if (out->status != 0)
		return 0;
	if (loco_bson_need_str(doc, what, "k", &out->key, err) != 0 ||
	    loco_bson_need_str(doc, what, "vh", &out->host, err) != 0 ||
	    loco_bson_opt_str(doc, what, "vh6", &out->host6, err) != 0 ||
	    loco_bson_need_i32(doc, what, "p", &out->port, err) != 0)
		goto fail;
	if (loco_bson_get_str(doc, "h", &out->h) < 0)
		out->h = NULL;
	return 0;
fail:
	loco_ship_res_release(out);
	return -1;
}

/* Append the keys of a SHIP response to out; "h" only when set. */
void
loco_ship_res_encode(const struct loco_ship_res *in, bson_t *out)
{
	bson_append_int32(out, "status", -1, in->status);
	loco_bson_append_str(out, "k", in->key);
	loco_bson_append_str(out, "vh", in->host);
	loco_bson_append_str(out, "vh6", in->host6);
	bson_append_int32(out, "p", -1, in->port);
	if (in->h != NULL)
		bson_append_utf8(out, "h", -1, in->h, -1);
}

/* Free what a SHIP response owns and zero it. */
void
loco_ship_res_release(struct loco_ship_res *x)
{
	free(x->key);
	free(x->host);
	free(x->host6);
	free(x->h);
	memset(x, 0, sizeof *x);
}

/* Decode a POST request into out; k, c and s are required. */
int
loco_post_req_decode(const bson_t *doc, struct loco_post_req *out,
    struct loco_error *err)
{
	static const char what[] = "POST";

	memset(out, 0, sizeof *out);
	if (loco_bson_opt_i64(doc, what, "u", &out->user_id, err) != 0 ||
	    loco_bson_need_str(doc, what, "k", &out->key, err) != 0 ||
	    loco_bson_opt_i32(doc, what, "t", &out->type, err) != 0 ||
	    loco_bson_need_i64(doc, what, "s", &out->size, err) != 0 ||
	    loco_bson_need_i64(doc, what, "c", &out->chat_id, err) != 0 ||
	    loco_bson_opt_str(doc, what, "f", &out->file_name, err) != 0 ||
	    loco_bson_opt_i64(doc, what, "mid", &out->msg_id, err) != 0 ||
	    loco_bson_opt_bool(doc, what, "ns", &out->no_seen, err) != 0 ||
	    loco_bson_opt_i32(doc, what, "w", &out->width, err) != 0 ||
	    loco_bson_opt_i32(doc, what, "h", &out->height, err) != 0 ||
	    loco_bson_opt_str(doc, what, "os", &out->os, err) != 0 ||
	    loco_bson_opt_str(doc, what, "av", &out->app_ver, err) != 0 ||
	    loco_bson_opt_i32(doc, what, "nt", &out->ntype, err) != 0 ||
	    loco_bson_opt_str(doc, what, "mm", &out->mccmnc, err) != 0 ||
	    loco_bson_opt_str(doc, what, "ex", &out->extra, err) != 0 ||
	    loco_bson_opt_i32(doc, what, "dt", &out->dt, err) != 0 ||
	    loco_bson_opt_i32(doc, what, "scp", &out->scp, err) != 0) {
		loco_post_req_release(out);
		return -1;
	}
	return 0;
}

/* Append the keys of a POST request to out. */
void
loco_post_req_encode(const struct loco_post_req *in, bson_t *out)
{
	bson_append_int64(out, "u", -1, in->user_id);
	loco_bson_append_str(out, "k", in->key);
	bson_append_int32(out, "t", -1, in->type);
	bson_append_int64(out, "s", -1, in->size);
	bson_append_int64(out, "c", -1, in->chat_id);
	loco_bson_append_str(out, "f", in->file_name);
	bson_append_int64(out, "mid", -1, in->msg_id);
	bson_append_bool(out, "ns", -1, in->no_seen);
	bson_append_int32(out, "w", -1, in->width);
	bson_append_int32(out, "h", -1, in->height);
	loco_bson_append_str(out, "os", in->os);
	loco_bson_append_str(out, "av", in->app_ver);
	bson_append_int32(out, "nt", -1, in->ntype);
	loco_bson_append_str(out, "mm", in->mccmnc);
	loco_bson_append_str(out, "ex", in->extra);
	bson_append_int32(out, "dt", -1, in->dt);
	bson_append_int32(out, "scp", -1, in->scp);
}

/* Free what a POST request owns and zero it. */
void
loco_post_req_release(struct loco_post_req *x)
{
	free(x->key);
	free(x->file_name);
	free(x->os);
	free(x->app_ver);
	free(x->mccmnc);
	free(x->extra);
	memset(x, 0, sizeof *x);
}

/* Decode a POST response into out; the offset may be "o" or "offset". */
int
loco_post_res_decode(const bson_t *doc, struct loco_post_res *out,
    struct loco_error *err)
{
	static const char what[] = "POST";
	int r;

	memset(out, 0, sizeof *out);
	if (loco_bson_opt_i32(doc, what, "status", &out->status, err) != 0)
		return -1;
	if (out->status != 0)
		return 0;
	if ((r = loco_bson_get_i64(doc, "o", &out->offset)) < 0) {
		loco_error_set(err, LOCO_ERR_TYPE, "%s: 'o' is not an integer",
		    what);
		return -1;
	}
	if (r == 0 &&
	    loco_bson_opt_i64(doc, what, "offset", &out->offset, err) != 0)
		return -1;
	if (out->offset < 0) {
		loco_error_set(err, LOCO_ERR_RANGE, "%s: negative offset %lld",
		    what, (long long)out->offset);
		out->offset = 0;
		return -1;
	}
	return 0;
}

/* Append the keys of a POST response to out. */
void
loco_post_res_encode(const struct loco_post_res *in, bson_t *out)
{
	bson_append_int32(out, "status", -1, in->status);
	bson_append_int64(out, "o", -1, in->offset);
}

/* Zero a POST response (it owns nothing). */
void
loco_post_res_release(struct loco_post_res *x)
{
	memset(x, 0, sizeof *x);
}

/* Decode a COMPLETE push into out; chatLog is required on success. */
int
loco_complete_decode(const bson_t *doc, struct loco_complete *out,
    struct loco_error *err)
{
	static const char what[] = "COMPLETE";
	struct loco_chatlog *cl;

	memset(out, 0, sizeof *out);
	if (loco_bson_opt_i32(doc, what, "status", &out->status, err) != 0)
		return -1;
	if (out->status != 0)
		return 0;
	cl = xcalloc(1, sizeof *cl);
	if (loco_chatlog_decode_need(doc, what, "chatLog", cl, err) != 0) {
		free(cl);
		return -1;
	}
	out->chatlog = cl;
	return 0;
}

/* Append the keys of a COMPLETE push to out. */
void
loco_complete_encode(const struct loco_complete *in, bson_t *out)
{
	bson_append_int32(out, "status", -1, in->status);
	if (in->chatlog != NULL)
		loco_chatlog_append(out, "chatLog", in->chatlog);
}

/* Free what a COMPLETE push owns and zero it. */
void
loco_complete_release(struct loco_complete *x)
{
	if (x->chatlog != NULL) {
		loco_chatlog_release(x->chatlog);
		free(x->chatlog);
	}
	memset(x, 0, sizeof *x);
}

/* Run every decoder of this module on doc and release what succeeded. */
void
loco_media_fuzz_decode_all(const bson_t *doc)
{
	struct loco_ship_req sq;
	struct loco_ship_res ss;
	struct loco_post_req pq;
	struct loco_post_res ps;
	struct loco_complete c;

	if (loco_ship_req_decode(doc, &sq, NULL) == 0)
		loco_ship_req_release(&sq);
	if (loco_ship_res_decode(doc, &ss, NULL) == 0)
		loco_ship_res_release(&ss);
	if (loco_post_req_decode(doc, &pq, NULL) == 0)
		loco_post_req_release(&pq);
	if (loco_post_res_decode(doc, &ps, NULL) == 0)
		loco_post_res_release(&ps);
	if (loco_complete_decode(doc, &c, NULL) == 0)
		loco_complete_release(&c);
}
