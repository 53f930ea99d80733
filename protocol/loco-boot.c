/* locoirc: see LICENSE.
 *
 * Bodies of booking (GETCONF), CHECKIN and the session-control packets
 * (PING, KICKOUT, CHANGESVR). Pure BSON mapping on top of loco-bson: no
 * I/O and no policy beyond the defaults LOCO.md gives for absent keys.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "loco-bson.h"
#include "loco-boot.h"
#include "xmalloc.h"

/* One int32 key of a network block, in the order we write them. */
struct netconf_field {
	const char *key;
	size_t off;
};

static const struct netconf_field netconf_fields[] = {
    {"bgKeepItv", offsetof(struct loco_netconf, bg_keep_itv)},
    {"bgReconnItv", offsetof(struct loco_netconf, bg_reconn_itv)},
    {"bgPingItv", offsetof(struct loco_netconf, bg_ping_itv)},
    {"fgPingItv", offsetof(struct loco_netconf, fg_ping_itv)},
    {"reqTimeout", offsetof(struct loco_netconf, req_timeout)},
    {"encType", offsetof(struct loco_netconf, enc_type)},
    {"connTimeout", offsetof(struct loco_netconf, conn_timeout)},
    {"recvHeaderTimeout", offsetof(struct loco_netconf, recv_header_timeout)},
    {"inSegTimeout", offsetof(struct loco_netconf, in_seg_timeout)},
    {"outSegTimeout", offsetof(struct loco_netconf, out_seg_timeout)},
    {"blockSendBufSize", offsetof(struct loco_netconf, block_send_buf_size)},
};

static int opt_i32_array(const bson_t *doc, const char *what, const char *key,
    int32_t **out, size_t *n, struct loco_error *err);
static int opt_doc_copy(const bson_t *doc, const char *what, const char *key,
    bson_t **out, struct loco_error *err);
static int opt_subdoc(const bson_t *doc, const char *what, const char *key,
    bson_t *out, struct loco_error *err);
static int netconf_decode(const bson_t *doc, const char *what,
    struct loco_netconf *out, struct loco_error *err);
static void netconf_append(bson_t *out, const char *key,
    const struct loco_netconf *nc);
static void netconf_release(struct loco_netconf *nc);
static int ticket_decode(const bson_t *doc, struct loco_ticket *out,
    struct loco_error *err);
static void ticket_append(bson_t *out, const struct loco_ticket *t);
static void ticket_release(struct loco_ticket *t);
static int trailer_decode(const bson_t *doc, struct loco_trailer *out,
    struct loco_error *err);
static void trailer_append(bson_t *out, const struct loco_trailer *t);

/* Read an optional array of integers that must each fit in int32. */
static int
opt_i32_array(const bson_t *doc, const char *what, const char *key,
    int32_t **out, size_t *n, struct loco_error *err)
{
	int64_t *v = NULL;
	int32_t *w;
	size_t cnt = 0, i;

	if (loco_bson_opt_i64_array(doc, what, key, &v, &cnt, err) != 0)
		return -1;
	if (cnt == 0) {
		free(v);
		return 0;
	}
	w = xreallocarray(NULL, cnt, sizeof *w);
	for (i = 0; i < cnt; i++) {
		if (v[i] < INT32_MIN || v[i] > INT32_MAX) {
			free(v);
			free(w);
			loco_error_set(err, LOCO_ERR_TYPE,
			    "%s: '%s' holds a value that is not a 32-bit "
			    "integer",
			    what, key);
			return -1;
		}
		w[i] = (int32_t)v[i];
	}
	free(v);
	free(*out);
	*out = w;
	*n = cnt;
	return 0;
}

/* Copy an optional sub-document; *out stays NULL when it is absent. */
static int
opt_doc_copy(const bson_t *doc, const char *what, const char *key, bson_t **out,
    struct loco_error *err)
{
	bson_t sub;

	switch (opt_subdoc(doc, what, key, &sub, err)) {
	case 1:
		*out = bson_copy(&sub);
		return 0;
	case 0:
		return 0;
	default:
		return -1;
	}
}

/* Find an optional sub-document: 1 found, 0 absent, -1 wrong type. */
static int
opt_subdoc(const bson_t *doc, const char *what, const char *key, bson_t *out,
    struct loco_error *err)
{
	int r = loco_bson_get_doc(doc, key, out);

	if (r < 0)
		loco_error_set(err, LOCO_ERR_TYPE, "%s: '%s' is not a document",
		    what, key);
	return r;
}

/* Decode a "wifi" or "3g" block. */
static int
netconf_decode(const bson_t *doc, const char *what, struct loco_netconf *out,
    struct loco_error *err)
{
	size_t i;

	if (opt_i32_array(doc, what, "ports", &out->ports, &out->n_ports,
	        err) != 0 ||
	    opt_i32_array(doc, what, "ports6", &out->ports6, &out->n_ports6,
	        err) != 0)
		return -1;
	for (i = 0; i < sizeof netconf_fields / sizeof netconf_fields[0]; i++) {
		int32_t *p =
		    (int32_t *)(void *)((char *)out + netconf_fields[i].off);

		if (loco_bson_opt_i32(doc, what, netconf_fields[i].key, p,
		        err) != 0)
			return -1;
	}
	return 0;
}

/* Append a network block as a sub-document named key. */
static void
netconf_append(bson_t *out, const char *key, const struct loco_netconf *nc)
{
	bson_t sub;
	size_t i;

	bson_append_document_begin(out, key, -1, &sub);
	loco_bson_append_i32_array(&sub, "ports", nc->ports, nc->n_ports);
	if (nc->n_ports6 > 0)
		loco_bson_append_i32_array(&sub, "ports6", nc->ports6,
		    nc->n_ports6);
	for (i = 0; i < sizeof netconf_fields / sizeof netconf_fields[0]; i++) {
		const int32_t *p =
		    (const int32_t *)(const void *)((const char *)nc +
		        netconf_fields[i].off);

		bson_append_int32(&sub, netconf_fields[i].key, -1, *p);
	}
	bson_append_document_end(out, &sub);
}

/* Free a network block's arrays and zero it. */
static void
netconf_release(struct loco_netconf *nc)
{
	free(nc->ports);
	free(nc->ports6);
	memset(nc, 0, sizeof *nc);
}

/* Decode "ticket"; lsl may be an array or, on old servers, one string. */
static int
ticket_decode(const bson_t *doc, struct loco_ticket *out,
    struct loco_error *err)
{
	static const char what[] = "GETCONF.ticket";
	char *one = NULL;
	int r;

	if (loco_bson_opt_str_array(doc, what, "ssl", &out->ssl, &out->n_ssl,
	        err) != 0 ||
	    loco_bson_opt_str_array(doc, what, "v2sl", &out->v2sl, &out->n_v2sl,
	        err) != 0 ||
	    loco_bson_opt_str_array(doc, what, "lsl6", &out->lsl6, &out->n_lsl6,
	        err) != 0 ||
	    loco_bson_opt_i32(doc, what, "lslp", &out->lslp, err) != 0)
		return -1;
	r = loco_bson_get_str(doc, "lsl", &one);
	if (r == 1) {
		out->lsl = xcalloc(1, sizeof *out->lsl);
		out->lsl[0] = one;
		out->n_lsl = 1;
		return 0;
	}
	if (loco_bson_get_str_array(doc, "lsl", &out->lsl, &out->n_lsl) < 0) {
		loco_error_set(err, LOCO_ERR_TYPE,
		    "%s: 'lsl' is neither a string nor an array of strings",
		    what);
		return -1;
	}
	return 0;
}

/* Append "ticket"; lsl is always written as an array. */
static void
ticket_append(bson_t *out, const struct loco_ticket *t)
{
	bson_t sub;

	bson_append_document_begin(out, "ticket", -1, &sub);
	loco_bson_append_str_array(&sub, "ssl", (const char *const *)t->ssl,
	    t->n_ssl);
	loco_bson_append_str_array(&sub, "v2sl", (const char *const *)t->v2sl,
	    t->n_v2sl);
	loco_bson_append_str_array(&sub, "lsl", (const char *const *)t->lsl,
	    t->n_lsl);
	loco_bson_append_str_array(&sub, "lsl6", (const char *const *)t->lsl6,
	    t->n_lsl6);
	if (t->lslp != 0)
		bson_append_int32(&sub, "lslp", -1, t->lslp);
	bson_append_document_end(out, &sub);
}

/* Free the ticket's host lists and zero it. */
static void
ticket_release(struct loco_ticket *t)
{
	loco_strv_free(t->ssl, t->n_ssl);
	loco_strv_free(t->v2sl, t->n_v2sl);
	loco_strv_free(t->lsl, t->n_lsl);
	loco_strv_free(t->lsl6, t->n_lsl6);
	memset(t, 0, sizeof *t);
}

/* Decode the media limits of "trailer"; other keys are ignored. */
static int
trailer_decode(const bson_t *doc, struct loco_trailer *out,
    struct loco_error *err)
{
	static const char what[] = "GETCONF.trailer";

	if (loco_bson_opt_i64(doc, what, "upMaxSize", &out->up_max_size, err) !=
	        0 ||
	    loco_bson_opt_i64(doc, what, "videoUpMaxSize",
	        &out->video_up_max_size, err) != 0 ||
	    loco_bson_opt_i32(doc, what, "contentExpireTime",
	        &out->content_expire_time, err) != 0 ||
	    loco_bson_opt_i32(doc, what, "concurrentUpLimit",
	        &out->concurrent_up_limit, err) != 0 ||
	    loco_bson_opt_i32(doc, what, "tokenExpireTime",
	        &out->token_expire_time, err) != 0)
		return -1;
	(void)loco_bson_lax_i32(doc, "resolution", &out->resolution);
	(void)loco_bson_lax_i32(doc, "resolutionHD", &out->resolution_hd);
	(void)loco_bson_lax_i32(doc, "compRatio", &out->comp_ratio);
	(void)loco_bson_lax_i32(doc, "compRatioHD", &out->comp_ratio_hd);
	(void)loco_bson_lax_i32(doc, "downMode", &out->down_mode);
	(void)loco_bson_lax_i32(doc, "concurrentDownLimit",
	    &out->concurrent_down_limit);
	(void)loco_bson_lax_i32(doc, "maxRelaySize", &out->max_relay_size);
	(void)loco_bson_lax_i32(doc, "downCheckSize", &out->down_check_size);
	(void)loco_bson_lax_i32(doc, "vCodec", &out->v_codec);
	(void)loco_bson_lax_i32(doc, "vFps", &out->v_fps);
	(void)loco_bson_lax_i32(doc, "aCodec", &out->a_codec);
	(void)loco_bson_lax_i32(doc, "vResolution", &out->v_resolution);
	(void)loco_bson_lax_i32(doc, "vBitrate", &out->v_bitrate);
	(void)loco_bson_lax_i32(doc, "aFrequency", &out->a_frequency);
	return 0;
}

/* Append "trailer". */
static void
trailer_append(bson_t *out, const struct loco_trailer *t)
{
	bson_t sub;

	bson_append_document_begin(out, "trailer", -1, &sub);
	bson_append_int64(&sub, "upMaxSize", -1, t->up_max_size);
	bson_append_int64(&sub, "videoUpMaxSize", -1, t->video_up_max_size);
	bson_append_int32(&sub, "contentExpireTime", -1,
	    t->content_expire_time);
	bson_append_int32(&sub, "concurrentUpLimit", -1,
	    t->concurrent_up_limit);
	bson_append_int32(&sub, "tokenExpireTime", -1, t->token_expire_time);
	bson_append_int32(&sub, "resolution", -1, t->resolution);
	bson_append_int32(&sub, "resolutionHD", -1, t->resolution_hd);
	bson_append_int32(&sub, "compRatio", -1, t->comp_ratio);
	bson_append_int32(&sub, "compRatioHD", -1, t->comp_ratio_hd);
	bson_append_int32(&sub, "downMode", -1, t->down_mode);
	bson_append_int32(&sub, "concurrentDownLimit", -1,
	    t->concurrent_down_limit);
	bson_append_int32(&sub, "maxRelaySize", -1, t->max_relay_size);
	bson_append_int32(&sub, "downCheckSize", -1, t->down_check_size);
	bson_append_int32(&sub, "vCodec", -1, t->v_codec);
	bson_append_int32(&sub, "vFps", -1, t->v_fps);
	bson_append_int32(&sub, "aCodec", -1, t->a_codec);
	bson_append_int32(&sub, "vResolution", -1, t->v_resolution);
	bson_append_int32(&sub, "vBitrate", -1, t->v_bitrate);
	bson_append_int32(&sub, "aFrequency", -1, t->a_frequency);
	bson_append_document_end(out, &sub);
}

/* Decode a GETCONF request; no key is required. */
int
loco_getconf_req_decode(const bson_t *doc, struct loco_getconf_req *out,
    struct loco_error *err)
{
	static const char what[] = "GETCONF";

	memset(out, 0, sizeof *out);
	if (loco_bson_opt_str(doc, what, "MCCMNC", &out->mccmnc, err) != 0 ||
	    loco_bson_opt_str(doc, what, "os", &out->os, err) != 0 ||
	    loco_bson_opt_str(doc, what, "model", &out->model, err) != 0 ||
	    loco_bson_opt_i64(doc, what, "userId", &out->user_id, err) != 0) {
		loco_getconf_req_release(out);
		return -1;
	}
	return 0;
}

/* Encode a GETCONF request. */
void
loco_getconf_req_encode(const struct loco_getconf_req *in, bson_t *out)
{
	loco_bson_append_str(out, "MCCMNC", in->mccmnc);
	loco_bson_append_str(out, "os", in->os);
	loco_bson_append_str(out, "model", in->model);
	if (in->user_id != 0)
		bson_append_int64(out, "userId", -1, in->user_id);
}

/* Free a GETCONF request's strings and zero it. */
void
loco_getconf_req_release(struct loco_getconf_req *x)
{
	free(x->mccmnc);
	free(x->os);
	free(x->model);
	memset(x, 0, sizeof *x);
}

/* Decode a GETCONF response; nothing is required. */
int
loco_getconf_res_decode(const bson_t *doc, struct loco_getconf_res *out,
    struct loco_error *err)
{
	static const char what[] = "GETCONF";
	bson_t sub;
	int r;

	memset(out, 0, sizeof *out);
	if (loco_bson_opt_i32(doc, what, "status", &out->status, err) != 0)
		goto fail;
	if (out->status != 0)
		return 0;
	if (loco_bson_opt_i32(doc, what, "revision", &out->revision, err) != 0)
		goto fail;
	if ((r = opt_subdoc(doc, what, "3g", &sub, err)) < 0 ||
	    (r == 1 &&
	        netconf_decode(&sub, "GETCONF.3g", &out->cell, err) != 0))
		goto fail;
	if ((r = opt_subdoc(doc, what, "wifi", &sub, err)) < 0 ||
	    (r == 1 &&
	        netconf_decode(&sub, "GETCONF.wifi", &out->wifi, err) != 0))
		goto fail;
	if ((r = opt_subdoc(doc, what, "ticket", &sub, err)) < 0 ||
	    (r == 1 && ticket_decode(&sub, &out->ticket, err) != 0))
		goto fail;
	if (loco_bson_opt_str_array(doc, what, "hosts", &out->hosts,
	        &out->n_hosts, err) != 0)
		goto fail;
	if ((r = opt_subdoc(doc, what, "trailer", &sub, err)) < 0 ||
	    (r == 1 && trailer_decode(&sub, &out->trailer, err) != 0))
		goto fail;
	if (opt_doc_copy(doc, what, "profile", &out->profile, err) != 0 ||
	    opt_doc_copy(doc, what, "etc", &out->etc, err) != 0 ||
	    opt_doc_copy(doc, what, "trailer.h", &out->trailer_h, err) != 0)
		goto fail;
	return 0;
fail:
	loco_getconf_res_release(out);
	return -1;
}

/* Encode a GETCONF response; absent opaque blocks are not written. */
void
loco_getconf_res_encode(const struct loco_getconf_res *in, bson_t *out)
{
	bson_append_int32(out, "status", -1, in->status);
	bson_append_int32(out, "revision", -1, in->revision);
	netconf_append(out, "3g", &in->cell);
	netconf_append(out, "wifi", &in->wifi);
	ticket_append(out, &in->ticket);
	if (in->n_hosts > 0)
		loco_bson_append_str_array(out, "hosts",
		    (const char *const *)in->hosts, in->n_hosts);
	if (in->profile != NULL)
		bson_append_document(out, "profile", -1, in->profile);
	if (in->etc != NULL)
		bson_append_document(out, "etc", -1, in->etc);
	trailer_append(out, &in->trailer);
	if (in->trailer_h != NULL)
		bson_append_document(out, "trailer.h", -1, in->trailer_h);
}

/* Free everything a GETCONF response owns and zero it. */
void
loco_getconf_res_release(struct loco_getconf_res *x)
{
	netconf_release(&x->cell);
	netconf_release(&x->wifi);
	ticket_release(&x->ticket);
	loco_strv_free(x->hosts, x->n_hosts);
	if (x->profile != NULL)
		bson_destroy(x->profile);
	if (x->etc != NULL)
		bson_destroy(x->etc);
	if (x->trailer_h != NULL)
		bson_destroy(x->trailer_h);
	memset(x, 0, sizeof *x);
}

/* Decode a CHECKIN request; userId is required. */
int
loco_checkin_req_decode(const bson_t *doc, struct loco_checkin_req *out,
    struct loco_error *err)
{
	static const char what[] = "CHECKIN";

	memset(out, 0, sizeof *out);
	if (loco_bson_need_i64(doc, what, "userId", &out->user_id, err) != 0 ||
	    loco_bson_opt_str(doc, what, "os", &out->os, err) != 0 ||
	    loco_bson_opt_i32(doc, what, "ntype", &out->ntype, err) != 0 ||
	    loco_bson_opt_str(doc, what, "appVer", &out->app_ver, err) != 0 ||
	    loco_bson_opt_str(doc, what, "MCCMNC", &out->mccmnc, err) != 0 ||
	    loco_bson_opt_str(doc, what, "lang", &out->lang, err) != 0 ||
	    loco_bson_opt_str(doc, what, "countryISO", &out->country_iso,
	        err) != 0 ||
	    loco_bson_opt_bool(doc, what, "useSub", &out->use_sub, err) != 0) {
		loco_checkin_req_release(out);
		return -1;
	}
	return 0;
}

/* Encode a CHECKIN request. */
void
loco_checkin_req_encode(const struct loco_checkin_req *in, bson_t *out)
{
	bson_append_int64(out, "userId", -1, in->user_id);
	loco_bson_append_str(out, "os", in->os);
	bson_append_int32(out, "ntype", -1, in->ntype);
	loco_bson_append_str(out, "appVer", in->app_ver);
	loco_bson_append_str(out, "MCCMNC", in->mccmnc);
	loco_bson_append_str(out, "lang", in->lang);
	loco_bson_append_str(out, "countryISO", in->country_iso);
	bson_append_bool(out, "useSub", -1, in->use_sub);
}

/* Free a CHECKIN request's strings and zero it. */
void
loco_checkin_req_release(struct loco_checkin_req *x)
{
	free(x->os);
	free(x->app_ver);
	free(x->mccmnc);
	free(x->lang);
	free(x->country_iso);
	memset(x, 0, sizeof *x);
}

/* Decode a CHECKIN response; host is required when status is 0. */
int
loco_checkin_res_decode(const bson_t *doc, struct loco_checkin_res *out,
    struct loco_error *err)
{
	static const char what[] = "CHECKIN";

	memset(out, 0, sizeof *out);
	out->port = LOCO_CHECKIN_DEFAULT_PORT;
	if (loco_bson_opt_i32(doc, what, "status", &out->status, err) != 0)
		goto fail;
	if (out->status != 0)
		return 0;
	if (loco_bson_need_str(doc, what, "host", &out->host, err) != 0 ||
	    loco_bson_opt_str(doc, what, "host6", &out->host6, err) != 0 ||
	    loco_bson_opt_i32(doc, what, "port", &out->port, err) != 0 ||
	    loco_bson_opt_i32(doc, what, "cacheExpire", &out->cache_expire,
	        err) != 0 ||
	    loco_bson_opt_str(doc, what, "cshost", &out->cshost, err) != 0 ||
	    loco_bson_opt_str(doc, what, "cshost6", &out->cshost6, err) != 0 ||
	    loco_bson_opt_i32(doc, what, "csport", &out->csport, err) != 0 ||
	    loco_bson_opt_str(doc, what, "vsshost", &out->vsshost, err) != 0 ||
	    loco_bson_opt_str(doc, what, "vsshost6", &out->vsshost6, err) !=
	        0 ||
	    loco_bson_opt_i32(doc, what, "vssport", &out->vssport, err) != 0 ||
	    loco_bson_opt_str(doc, what, "MCCMNC", &out->mccmnc, err) != 0)
		goto fail;
	return 0;
fail:
	loco_checkin_res_release(out);
	return -1;
}

/* Encode a CHECKIN response. */
void
loco_checkin_res_encode(const struct loco_checkin_res *in, bson_t *out)
{
	bson_append_int32(out, "status", -1, in->status);
	loco_bson_append_str(out, "host", in->host);
	loco_bson_append_str(out, "host6", in->host6);
	bson_append_int32(out, "port", -1, in->port);
	bson_append_int32(out, "cacheExpire", -1, in->cache_expire);
	loco_bson_append_str(out, "cshost", in->cshost);
	loco_bson_append_str(out, "cshost6", in->cshost6);
	bson_append_int32(out, "csport", -1, in->csport);
	loco_bson_append_str(out, "vsshost", in->vsshost);
	loco_bson_append_str(out, "vsshost6", in->vsshost6);
	bson_append_int32(out, "vssport", -1, in->vssport);
	loco_bson_append_str(out, "MCCMNC", in->mccmnc);
}

/* Free a CHECKIN response's strings and zero it. */
void
loco_checkin_res_release(struct loco_checkin_res *x)
{
	free(x->host);
	free(x->host6);
	free(x->cshost);
	free(x->cshost6);
	free(x->vsshost);
	free(x->vsshost6);
	free(x->mccmnc);
	memset(x, 0, sizeof *x);
}

/* Decode a KICKOUT push; a missing reason reads as 0. */
int
loco_kickout_decode(const bson_t *doc, struct loco_kickout *out,
    struct loco_error *err)
{
	memset(out, 0, sizeof *out);
	if (loco_bson_opt_i32(doc, "KICKOUT", "reason", &out->reason, err) !=
	    0) {
		loco_kickout_release(out);
		return -1;
	}
	return 0;
}

/* Encode a KICKOUT push. */
void
loco_kickout_encode(const struct loco_kickout *in, bson_t *out)
{
	bson_append_int32(out, "reason", -1, in->reason);
}

/* Zero a KICKOUT push (it owns nothing). */
void
loco_kickout_release(struct loco_kickout *x)
{
	memset(x, 0, sizeof *x);
}

/* Accept any CHANGESVR body: only the method matters. */
int
loco_changesvr_decode(const bson_t *doc, struct loco_error *err)
{
	(void)doc;
	(void)err;
	return 0;
}

/* CHANGESVR has no keys to write. */
void
loco_changesvr_encode(bson_t *out)
{
	(void)out;
}

/* Accept any PING request body. */
int
loco_ping_req_decode(const bson_t *doc, struct loco_error *err)
{
	(void)doc;
	(void)err;
	return 0;
}

/* A PING request is the empty document. */
void
loco_ping_req_encode(bson_t *out)
{
	(void)out;
}

/* Decode a PING response: only its status. */
int
loco_ping_res_decode(const bson_t *doc, struct loco_ping_res *out,
    struct loco_error *err)
{
	memset(out, 0, sizeof *out);
	if (loco_bson_opt_i32(doc, "PING", "status", &out->status, err) != 0) {
		loco_ping_res_release(out);
		return -1;
	}
	return 0;
}

/* Encode a PING response. */
void
loco_ping_res_encode(const struct loco_ping_res *in, bson_t *out)
{
	bson_append_int32(out, "status", -1, in->status);
}

/* Zero a PING response (it owns nothing). */
void
loco_ping_res_release(struct loco_ping_res *x)
{
	memset(x, 0, sizeof *x);
}

/* Run every decoder of this module on doc and release what succeeded. */
void
loco_boot_fuzz_decode_all(const bson_t *doc)
{
	struct loco_getconf_req gq;
	struct loco_getconf_res gs;
	struct loco_checkin_req cq;
	struct loco_checkin_res cs;
	struct loco_kickout ko;
	struct loco_ping_res pr;

	if (loco_getconf_req_decode(doc, &gq, NULL) == 0)
		loco_getconf_req_release(&gq);
	if (loco_getconf_res_decode(doc, &gs, NULL) == 0)
		loco_getconf_res_release(&gs);
	if (loco_checkin_req_decode(doc, &cq, NULL) == 0)
		loco_checkin_req_release(&cq);
	if (loco_checkin_res_decode(doc, &cs, NULL) == 0)
		loco_checkin_res_release(&cs);
	if (loco_kickout_decode(doc, &ko, NULL) == 0)
		loco_kickout_release(&ko);
	(void)loco_changesvr_decode(doc, NULL);
	(void)loco_ping_req_decode(doc, NULL);
	if (loco_ping_res_decode(doc, &pr, NULL) == 0)
		loco_ping_res_release(&pr);
}
