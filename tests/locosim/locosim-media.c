/* locoirc: see LICENSE.
 *
 * locosim's media side: the upload server (LOCO.md 2.10), where POST names
 * an upload announced by SHIP, the raw file bytes follow and COMPLETE
 * answers with the message the upload became, and a small HTTP server that
 * serves every stored file at its attachment url, as Kakao's CDN does. The
 * file store lives in memory; nothing here touches the file system.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <openssl/evp.h>

#include "log.h"
#include "loco-chatlog.h"
#include "loco-media.h"
#include "loco-msgtype.h"
#include "locosim-internal.h"
#include "xmalloc.h"

/* LOCO status codes of the upload server (LOCO.md section 3). */
#define ST_OK 0
#define ST_INVALID_METHOD (-202)
#define ST_INVALID_BODY (-203)
#define ST_INVALID_CHANNEL (-401)

/* Longest file name kept from POST "f", in bytes with the NUL. */
#define MEDIA_NAME_MAX 256
/* The receive buffer starts at this size and doubles. */
#define MEDIA_BUF_MIN 65536
/* HTTP server limits: requests carry no body worth reading. */
#define HTTP_MAX_HEADERS 16384
#define HTTP_MAX_BODY 65536
#define HTTP_TIMEOUT_SEC 30
#define HTTP_METHODS_ALL                                                       \
	(EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | \
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |        \
	    EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH)

/*
 * An upload being received. The SHIP record comes first so that the
 * session, which owns s->upload and frees it with free() after its
 * strings, frees this whole struct; the rest is what POST added.
 */
struct media_upload {
	struct locosim_upload up;  /* must stay the first member */
	char name[MEDIA_NAME_MAX]; /* POST "f", "" when absent */
	int32_t w;                 /* POST "w" */
	int32_t h;                 /* POST "h" */
	int64_t msg_id;            /* POST "mid" */
	size_t cap;                /* bytes allocated at s->upload_data */
};

/* File extensions and the mime types they are served with. */
static const struct {
	const char *ext;
	const char *mime;
} media_mimes[] = {
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"png", "image/png"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"heic", "image/heic"},
    {"bmp", "image/bmp"},
    {"mp4", "video/mp4"},
    {"m4v", "video/mp4"},
    {"mov", "video/quicktime"},
    {"webm", "video/webm"},
    {"m4a", "audio/mp4"},
    {"aac", "audio/aac"},
    {"mp3", "audio/mpeg"},
    {"ogg", "audio/ogg"},
    {"wav", "audio/wav"},
    {"amr", "audio/amr"},
    {"txt", "text/plain; charset=utf-8"},
    {"pdf", "application/pdf"},
    {"zip", "application/zip"},
    {"json", "application/json"},
};

static void media_fail(struct locosim_session *s, uint32_t id,
    const char *method, int32_t status);
static void media_post(struct locosim_session *s,
    const struct loco_packet *pkt);
static void media_raw_cb(struct loco_conn *conn, const void *data, size_t len,
    size_t left, void *arg);
static void media_complete(struct locosim_session *s);
static void media_complete_fail(struct locosim_session *s, int32_t status);
static char *media_attachment(const struct locosim *sim,
    const struct media_upload *mu, const char *cs, const char *mime);
static const char *media_mime(const char *ext);
static void media_sha1_hex(const void *data, size_t len, char hex[41]);
static struct locosim_file *file_find(struct locosim *sim, const char *key);
static void locosim_http_cb(struct evhttp_request *req, void *arg);

/*
 * Answer {status} and end the media connection once the answer has left.
 */
static void
media_fail(struct locosim_session *s, uint32_t id, const char *method,
    int32_t status)
{
	locosim_respond_status(s, id, method, status);
	locosim_session_close(s);
}

/* Dispatch a request on the media port: POST only. */
void
locosim_media_packet(struct locosim_session *s, const struct loco_packet *pkt)
{
	if (strcmp(pkt->hdr.method, "POST") != 0) {
		log_debug("locosim: session %u: %s on the media port",
		    s->serial, pkt->hdr.method);
		media_fail(s, pkt->hdr.packet_id, pkt->hdr.method,
		    ST_INVALID_METHOD);
		return;
	}
	media_post(s, pkt);
}

/*
 * POST: claim the upload SHIP announced, answer offset 0 (locosim never
 * resumes) and take the next s bytes as the file.
 */
static void
media_post(struct locosim_session *s, const struct loco_packet *pkt)
{
	struct locosim *sim = s->sim;
	struct loco_post_req req;
	struct loco_post_res res;
	struct locosim_upload *u;
	struct media_upload *mu;
	struct loco_error err;
	size_t n;
	bson_t body;

	if (loco_post_req_decode(&pkt->body, &req, &err) != 0) {
		log_debug("locosim: session %u: %s", s->serial, err.msg);
		media_fail(s, pkt->hdr.packet_id, "POST", ST_INVALID_BODY);
		return;
	}
	TAILQ_FOREACH(u, &sim->uploads, entry)
		if (strcmp(u->key, req.key) == 0)
			break;
	/* A second POST, an unknown key or one that is not this upload's. */
	if (s->upload != NULL || u == NULL || req.user_id != u->user_id ||
	    req.chat_id != u->chat_id || req.size != u->size) {
		log_debug("locosim: session %u: POST for no matching upload",
		    s->serial);
		media_fail(s, pkt->hdr.packet_id, "POST", ST_INVALID_BODY);
		goto out;
	}
	TAILQ_REMOVE(&sim->uploads, u, entry);
	mu = xcalloc(1, sizeof *mu);
	mu->up = *u;
	free(u);
	if (req.file_name != NULL) {
		n = strlen(req.file_name);
		if (n >= sizeof mu->name) {
			/* Cut before a character, not inside one. */
			n = sizeof mu->name - 1;
			while (n > 0 &&
			    ((unsigned char)req.file_name[n] & 0xc0) == 0x80)
				n--;
		}
		memcpy(mu->name, req.file_name, n);
	}
	mu->w = req.width;
	mu->h = req.height;
	mu->msg_id = req.msg_id;
	s->upload = &mu->up;
	s->post_id = pkt->hdr.packet_id;

	memset(&res, 0, sizeof res);
	res.status = ST_OK;
	res.offset = 0;
	bson_init(&body);
	loco_post_res_encode(&res, &body);
	locosim_respond(s, pkt->hdr.packet_id, "POST", &body);
	bson_destroy(&body);
	if (loco_conn_expect_raw(s->conn, (size_t)mu->up.size, media_raw_cb, s,
	        &err) != 0) {
		log_warnx("locosim: session %u: %s", s->serial, err.msg);
		locosim_session_close(s);
	}
out:
	loco_post_req_release(&req);
}

/* Raw file bytes: collect them, and finish the upload with the last. */
static void
media_raw_cb(struct loco_conn *conn, const void *data, size_t len, size_t left,
    void *arg)
{
	struct locosim_session *s = arg;
	struct media_upload *mu = (struct media_upload *)s->upload;
	size_t need = s->upload_len + len, size = (size_t)mu->up.size;

	(void)conn;
	/* Grow with what arrives, so a false size costs nothing up front. */
	if (need > mu->cap) {
		if (mu->cap == 0)
			mu->cap = MEDIA_BUF_MIN;
		while (mu->cap < need)
			mu->cap *= 2;
		if (mu->cap > size)
			mu->cap = size;
		s->upload_data = xreallocarray(s->upload_data, mu->cap, 1);
	}
	memcpy(s->upload_data + s->upload_len, data, len);
	s->upload_len = need;
	if (left == 0)
		media_complete(s);
}

/* Lower-case hex SHA-1 of data. */
static void
media_sha1_hex(const void *data, size_t len, char hex[41])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	hex[0] = '\0';
	if (EVP_Digest(data, len, md, &mdlen, EVP_sha1(), NULL) != 1 ||
	    mdlen != 20)
		return;
	for (i = 0; i < mdlen; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0x0f];
	}
	hex[40] = '\0';
}

/* COMPLETE with status and no message, then the end of the session. */
static void
media_complete_fail(struct locosim_session *s, int32_t status)
{
	struct loco_complete c;
	bson_t body;

	memset(&c, 0, sizeof c);
	c.status = status;
	bson_init(&body);
	loco_complete_encode(&c, &body);
	locosim_push(s, "COMPLETE", &body);
	bson_destroy(&body);
	locosim_session_close(s);
}

/*
 * The whole file is in: check it against SHIP's checksum, store it, post
 * the message to the chat, answer COMPLETE here and MSG everywhere else
 * (the uploader's other devices too), then hang up.
 */
static void
media_complete(struct locosim_session *s)
{
	struct locosim *sim = s->sim;
	struct media_upload *mu = (struct media_upload *)s->upload;
	struct locosim_upload *u = &mu->up;
	struct locosim_chat *chat;
	struct loco_chatlog *cl;
	struct loco_complete c;
	const char *mime, *cs;
	char hex[41], *json;
	bson_t body;

	media_sha1_hex(s->upload_data, s->upload_len, hex);
	if (*u->checksum != '\0' && strcasecmp(u->checksum, hex) != 0) {
		log_debug("locosim: session %u: bad checksum, sha-1 %s",
		    s->serial, hex);
		media_complete_fail(s, ST_INVALID_BODY);
		return;
	}
	/* The uploader may have left the chat since SHIP. */
	if ((chat = locosim_world_chat(sim->world, u->chat_id)) == NULL ||
	    locosim_chat_member(chat, u->user_id) == NULL) {
		media_complete_fail(s, ST_INVALID_CHANNEL);
		return;
	}
	mime = media_mime(u->ext);
	locosim_file_put(sim, u->key, mime, s->upload_data, s->upload_len);
	cs = *u->checksum != '\0' ? u->checksum : hex;
	json = media_attachment(sim, mu, cs, mime);
	cl = locosim_chat_append(sim->world, chat, u->user_id, u->type, "",
	    json, mu->msg_id);
	free(json);

	memset(&c, 0, sizeof c);
	c.status = ST_OK;
	c.chatlog = cl;
	bson_init(&body);
	loco_complete_encode(&c, &body);
	locosim_push(s, "COMPLETE", &body);
	bson_destroy(&body);
	locosim_deliver(sim, chat, cl, u->ship_session);
	/* Frees s, and the upload with it. */
	locosim_session_close(s);
}

/*
 * The attachment JSON of an uploaded file (LOCO.md 2.15): url, k, s,
 * name, w, h from the common codec, then the per-type keys it lacks, the
 * checksum cs and the mime type mt. Returns a malloc'd string.
 */
static char *
media_attachment(const struct locosim *sim, const struct media_upload *mu,
    const char *cs, const char *mime)
{
	struct loco_attachment a;
	char *url, *json;
	bson_t doc;

	url = locosim_file_url(sim, mu->up.key);
	memset(&a, 0, sizeof a);
	a.url = url;
	a.k = mu->up.key;
	a.size = mu->up.size;
	a.name = mu->name[0] != '\0' ? (char *)mu->name : NULL;
	a.w = mu->w;
	a.h = mu->h;
	if (mu->up.type == LOCO_MSG_PHOTO)
		a.thumbnail_url = url;
	bson_init(&doc);
	loco_attachment_to_bson(&a, &doc);
	switch (mu->up.type) {
	case LOCO_MSG_PHOTO:
		if (mu->w != 0 && mu->h != 0) {
			BSON_APPEND_INT32(&doc, "thumbnailWidth", mu->w);
			BSON_APPEND_INT32(&doc, "thumbnailHeight", mu->h);
		}
		break;
	case LOCO_MSG_VIDEO:
		/* Videos name their key tk. */
		BSON_APPEND_UTF8(&doc, "tk", mu->up.key);
		break;
	case LOCO_MSG_FILE:
		/* Files give their size as size (OK reads s, written too). */
		BSON_APPEND_INT64(&doc, "size", mu->up.size);
		break;
	default:
		break;
	}
	BSON_APPEND_UTF8(&doc, "cs", cs);
	BSON_APPEND_UTF8(&doc, "mt", mime);
	/* Every string above is valid UTF-8 (decoded with repair, or ours);
	 * the fallback only guards against a surprise. */
	if ((json = loco_json_from_bson(&doc)) == NULL)
		json = loco_attachment_encode(&a);
	bson_destroy(&doc);
	free(url);
	return json;
}

/* The mime type for a file extension (without the dot). */
static const char *
media_mime(const char *ext)
{
	size_t i;

	for (i = 0; i < sizeof media_mimes / sizeof media_mimes[0]; i++)
		if (strcasecmp(ext, media_mimes[i].ext) == 0)
			return media_mimes[i].mime;
	return "application/octet-stream";
}

/* The stored file under key, or NULL. */
static struct locosim_file *
file_find(struct locosim *sim, const char *key)
{
	struct locosim_file *f;

	TAILQ_FOREACH(f, &sim->files, entry)
		if (strcmp(f->key, key) == 0)
			return f;
	return NULL;
}

/* Store a copy of data under key, replacing an older file. */
void
locosim_file_put(struct locosim *sim, const char *key, const char *mime,
    const void *data, size_t len)
{
	struct locosim_file *f = file_find(sim, key);
	uint8_t *copy = xmalloc(len);

	/* Copied before the old bytes go: data may be them. */
	if (len > 0)
		memcpy(copy, data, len);
	if (f == NULL) {
		f = xcalloc(1, sizeof *f);
		f->key = xstrdup(key);
		TAILQ_INSERT_TAIL(&sim->files, f, entry);
	}
	free(f->mime);
	free(f->data);
	f->mime = xstrdup(mime != NULL ? mime : "application/octet-stream");
	f->data = copy;
	f->len = len;
}

/* The http url of key on our file server, malloc'd. */
char *
locosim_file_url(const struct locosim *sim, const char *key)
{
	static const char hexdig[] = "0123456789ABCDEF";
	const unsigned char *p;
	const char *host = sim->listen_host;
	bool v6 = strchr(host, ':') != NULL;
	char *path, *q, *url;

	/* Unreserved characters and '/' stay; everything else is %XX. */
	path = xmalloc(strlen(key) * 3 + 1);
	for (p = (const unsigned char *)key, q = path; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p) != NULL) {
			*q++ = (char)*p;
			continue;
		}
		*q++ = '%';
		*q++ = hexdig[*p >> 4];
		*q++ = hexdig[*p & 0x0f];
	}
	*q = '\0';
	url = xasprintf("http://%s%s%s:%u/%s", v6 ? "[" : "", host,
	    v6 ? "]" : "", sim->ports[LOCOSIM_HTTP], path);
	free(path);
	return url;
}

/* GET or HEAD /<key>: the stored file; nothing else is served. */
static void
locosim_http_cb(struct evhttp_request *req, void *arg)
{
	struct locosim *sim = arg;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct evkeyvalq *hdrs = evhttp_request_get_output_headers(req);
	const struct evhttp_uri *uri;
	struct locosim_file *f = NULL;
	struct evbuffer *body = NULL;
	const char *path;
	char *key = NULL, len_str[32];
	size_t klen = 0;

	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(hdrs, "Allow", "GET, HEAD");
		evhttp_send_error(req, HTTP_BADMETHOD, NULL);
		return;
	}
	uri = evhttp_request_get_evhttp_uri(req);
	path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	/* The key is the whole decoded path; a NUL in it matches nothing. */
	if (path != NULL && path[0] == '/' &&
	    (key = evhttp_uridecode(path + 1, 0, &klen)) != NULL &&
	    klen == strlen(key))
		f = file_find(sim, key);
	free(key);
	if (f == NULL) {
		evhttp_send_error(req, HTTP_NOTFOUND, NULL);
		return;
	}
	snprintf(len_str, sizeof len_str, "%zu", f->len);
	evhttp_add_header(hdrs, "Content-Type", f->mime);
	evhttp_add_header(hdrs, "Content-Length", len_str);
	/* HEAD: the headers only (libevent keeps our Content-Length). */
	if (cmd == EVHTTP_REQ_GET) {
		body = evbuffer_new();
		if (body == NULL || evbuffer_add(body, f->data, f->len) != 0) {
			evbuffer_free(body);
			evhttp_send_error(req, HTTP_INTERNAL, NULL);
			return;
		}
	}
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	if (body != NULL)
		evbuffer_free(body);
}

/* Start the file server on its configured port (0 = any). */
int
locosim_http_start(struct locosim *sim, struct loco_error *err)
{
	struct evhttp_bound_socket *bound;
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	uint16_t port = sim->opts.ports[LOCOSIM_HTTP];

	if ((sim->http = evhttp_new(sim->base)) == NULL) {
		loco_error_set(err, LOCO_ERR_IO, "cannot make an http server");
		return -1;
	}
	/* All methods reach the callback, which answers 405 itself. */
	evhttp_set_allowed_methods(sim->http, HTTP_METHODS_ALL);
	evhttp_set_max_headers_size(sim->http, HTTP_MAX_HEADERS);
	evhttp_set_max_body_size(sim->http, HTTP_MAX_BODY);
	evhttp_set_timeout(sim->http, HTTP_TIMEOUT_SEC);
	evhttp_set_gencb(sim->http, locosim_http_cb, sim);
	bound =
	    evhttp_bind_socket_with_handle(sim->http, sim->listen_host, port);
	if (bound == NULL) {
		loco_error_set(err, LOCO_ERR_IO, "cannot listen on %s:%u: %s",
		    sim->listen_host, port, strerror(errno));
		goto fail;
	}
	if (getsockname(evhttp_bound_socket_get_fd(bound),
	        (struct sockaddr *)&ss, &len) != 0) {
		loco_error_set(err, LOCO_ERR_IO, "getsockname: %s",
		    strerror(errno));
		goto fail;
	}
	sim->ports[LOCOSIM_HTTP] = ntohs(ss.ss_family == AF_INET6
	        ? ((struct sockaddr_in6 *)&ss)->sin6_port
	        : ((struct sockaddr_in *)&ss)->sin_port);
	return 0;

fail:
	evhttp_free(sim->http);
	sim->http = NULL;
	return -1;
}

/* Stop the file server; requests in flight are dropped. */
void
locosim_http_stop(struct locosim *sim)
{
	if (sim->http == NULL)
		return;
	evhttp_free(sim->http);
	sim->http = NULL;
}
