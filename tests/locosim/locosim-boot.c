/* locoirc: see LICENSE.
 *
 * locosim's connection bootstrap (LOCO.md 1.8): the booking server answers
 * one GETCONF over TLS with the full configuration, pointing at the
 * check-in port, and the check-in server answers one CHECKIN over the
 * secure layer with the chat server's address. Both end the connection
 * after their one answer, as the real servers do.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "loco-boot.h"
#include "locosim-internal.h"

/* LOCO status codes of the bootstrap (LOCO.md section 3). */
#define ST_OK 0
#define ST_INVALID_METHOD (-202)
#define ST_INVALID_BODY (-203)
#define ST_INVALID_TOKEN (-950)

/* GETCONF values without a meaning for locosim: plausible ones. */
#define BOOT_REVISION 2147
#define BOOT_BG_KEEP_ITV 600
#define BOOT_BG_RECONN_ITV 300
#define BOOT_BG_PING_ITV 600
#define BOOT_REQ_TIMEOUT 15
#define BOOT_CONN_TIMEOUT 10
#define BOOT_RECV_HEADER_TIMEOUT 15
#define BOOT_IN_SEG_TIMEOUT 10
#define BOOT_OUT_SEG_TIMEOUT 10
#define BOOT_BLOCK_SEND_BUF 65536
/* Media limits: 300 MiB files, 14 days of storage. */
#define BOOT_UP_MAX (INT64_C(300) * 1024 * 1024)
#define BOOT_CONTENT_EXPIRE (14 * 24 * 60 * 60)
#define BOOT_CONCURRENT_UP 3
#define BOOT_TOKEN_EXPIRE (60 * 60)
/*
 * The rest of "trailer" and "trailer.h" (KiwiTalk requires every key,
 * node-kakao types them). Nobody has published real values, so these are
 * plausible guesses within KiwiTalk's integer widths (i8 for compRatio,
 * downMode and the codecs, i16 for the limits and vFps).
 */
#define BOOT_RESOLUTION 1280
#define BOOT_RESOLUTION_HD 2560
#define BOOT_COMP_RATIO 80
#define BOOT_COMP_RATIO_HD 90
#define BOOT_DOWN_MODE 0
#define BOOT_CONCURRENT_DOWN 5
#define BOOT_MAX_RELAY (100 * 1024 * 1024)
#define BOOT_DOWN_CHECK (1024 * 1024)
#define BOOT_V_CODEC 1
#define BOOT_V_FPS 30
#define BOOT_A_CODEC 1
#define BOOT_V_RESOLUTION 640
#define BOOT_V_BITRATE 1500000
#define BOOT_A_FREQUENCY 44100
#define BOOT_V_RESOLUTION_HD 1280
#define BOOT_V_BITRATE_HD 4000000
#define BOOT_A_FREQUENCY_HD 48000
/* CHECKIN: how long the answer may be reused, and the call servers. */
#define BOOT_CACHE_EXPIRE 86400
#define BOOT_CS_PORT 443
#define BOOT_VSS_PORT 9443

static void boot_finish(struct locosim_session *s, uint32_t id,
    const char *method, const bson_t *body);
static void boot_finish_status(struct locosim_session *s, uint32_t id,
    const char *method, int32_t status);
static void boot_netconf(const struct locosim *sim, int32_t *port,
    struct loco_netconf *nc);
static void boot_getconf(struct locosim_session *s,
    const struct loco_packet *pkt);
static void boot_checkin(struct locosim_session *s,
    const struct loco_packet *pkt);

/*
 * Answer and end the connection once the answer has left (the close waits
 * for answers a fault holds back).
 */
static void
boot_finish(struct locosim_session *s, uint32_t id, const char *method,
    const bson_t *body)
{
	locosim_respond(s, id, method, body);
	locosim_session_close(s);
}

/* boot_finish with a {status} body. */
static void
boot_finish_status(struct locosim_session *s, uint32_t id, const char *method,
    int32_t status)
{
	bson_t body;

	bson_init(&body);
	BSON_APPEND_INT32(&body, "status", status);
	boot_finish(s, id, method, &body);
	bson_destroy(&body);
}

/* Dispatch a request on the booking or check-in port. */
void
locosim_boot_packet(struct locosim_session *s, const struct loco_packet *pkt)
{
	const char *want =
	    s->kind == LOCOSIM_KIND_BOOKING ? "GETCONF" : "CHECKIN";

	if (strcmp(pkt->hdr.method, want) != 0) {
		log_debug("locosim: session %u: %s on the %s port", s->serial,
		    pkt->hdr.method, want);
		boot_finish_status(s, pkt->hdr.packet_id, pkt->hdr.method,
		    ST_INVALID_METHOD);
		return;
	}
	if (s->kind == LOCOSIM_KIND_BOOKING)
		boot_getconf(s, pkt);
	else
		boot_checkin(s, pkt);
}

/* One network block of GETCONF; port is the one-element ports array. */
static void
boot_netconf(const struct locosim *sim, int32_t *port, struct loco_netconf *nc)
{
	memset(nc, 0, sizeof *nc);
	*port = sim->ports[LOCOSIM_CHECKIN];
	nc->ports = port;
	nc->n_ports = 1;
	nc->bg_keep_itv = BOOT_BG_KEEP_ITV;
	nc->bg_reconn_itv = BOOT_BG_RECONN_ITV;
	nc->bg_ping_itv = BOOT_BG_PING_ITV;
	nc->fg_ping_itv = (int32_t)sim->opts.ping_interval;
	nc->req_timeout = BOOT_REQ_TIMEOUT;
	nc->enc_type = (int32_t)sim->opts.cipher;
	nc->conn_timeout = BOOT_CONN_TIMEOUT;
	nc->recv_header_timeout = BOOT_RECV_HEADER_TIMEOUT;
	nc->in_seg_timeout = BOOT_IN_SEG_TIMEOUT;
	nc->out_seg_timeout = BOOT_OUT_SEG_TIMEOUT;
	nc->block_send_buf_size = BOOT_BLOCK_SEND_BUF;
}

/* GETCONF: the whole configuration of LOCO.md 1.8, checkin at our port. */
static void
boot_getconf(struct locosim_session *s, const struct loco_packet *pkt)
{
	struct locosim *sim = s->sim;
	struct loco_getconf_req req;
	struct loco_getconf_res res;
	struct loco_error err;
	int32_t wifi_port, cell_port;
	char *hosts[1];
	bson_t body, profile, etc, trailer_h, arr;

	if (loco_getconf_req_decode(&pkt->body, &req, &err) != 0) {
		log_debug("locosim: session %u: %s", s->serial, err.msg);
		boot_finish_status(s, pkt->hdr.packet_id, "GETCONF",
		    ST_INVALID_BODY);
		return;
	}
	loco_getconf_req_release(&req);

	memset(&res, 0, sizeof res);
	res.status = ST_OK;
	res.revision = BOOT_REVISION;
	boot_netconf(sim, &cell_port, &res.cell);
	boot_netconf(sim, &wifi_port, &res.wifi);
	/* Every list names us; lsl[0] is the check-in host. */
	hosts[0] = sim->listen_host;
	res.ticket.ssl = hosts;
	res.ticket.n_ssl = 1;
	res.ticket.v2sl = hosts;
	res.ticket.n_v2sl = 1;
	res.ticket.lsl = hosts;
	res.ticket.n_lsl = 1;
	if (strchr(sim->listen_host, ':') != NULL) {
		res.ticket.lsl6 = hosts;
		res.ticket.n_lsl6 = 1;
	}
	/* agent-messenger takes the check-in host from "hosts". */
	res.hosts = hosts;
	res.n_hosts = 1;
	res.trailer.up_max_size = BOOT_UP_MAX;
	res.trailer.video_up_max_size = BOOT_UP_MAX;
	res.trailer.content_expire_time = BOOT_CONTENT_EXPIRE;
	res.trailer.concurrent_up_limit = BOOT_CONCURRENT_UP;
	res.trailer.token_expire_time = BOOT_TOKEN_EXPIRE;
	res.trailer.resolution = BOOT_RESOLUTION;
	res.trailer.resolution_hd = BOOT_RESOLUTION_HD;
	res.trailer.comp_ratio = BOOT_COMP_RATIO;
	res.trailer.comp_ratio_hd = BOOT_COMP_RATIO_HD;
	res.trailer.down_mode = BOOT_DOWN_MODE;
	res.trailer.concurrent_down_limit = BOOT_CONCURRENT_DOWN;
	res.trailer.max_relay_size = BOOT_MAX_RELAY;
	res.trailer.down_check_size = BOOT_DOWN_CHECK;
	res.trailer.v_codec = BOOT_V_CODEC;
	res.trailer.v_fps = BOOT_V_FPS;
	res.trailer.a_codec = BOOT_A_CODEC;
	res.trailer.v_resolution = BOOT_V_RESOLUTION;
	res.trailer.v_bitrate = BOOT_V_BITRATE;
	res.trailer.a_frequency = BOOT_A_FREQUENCY;

	bson_init(&profile);
	BSON_APPEND_INT32(&profile, "nicknameMaxLength", 20);
	BSON_APPEND_INT32(&profile, "statusMessageMaxLength", 60);
	BSON_APPEND_INT32(&profile, "profileUpdateItv", 86400);
	/* node-kakao's view of "profile": the video call settings. */
	BSON_APPEND_INT32(&profile, "vBitrate", BOOT_V_BITRATE);
	BSON_APPEND_INT32(&profile, "vResolution", BOOT_V_RESOLUTION);
	res.profile = &profile;
	bson_init(&etc);
	BSON_APPEND_INT32(&etc, "writeRetryTimeout", 10);
	BSON_APPEND_INT32(&etc, "syncMsgCount", 300);
	BSON_APPEND_INT32(&etc, "maxChatMembers", 100);
	/* node-kakao types etc.tracerouteHost and tracerouteHost6. */
	BSON_APPEND_ARRAY_BEGIN(&etc, "tracerouteHost", &arr);
	BSON_APPEND_UTF8(&arr, "0", sim->listen_host);
	bson_append_array_end(&etc, &arr);
	BSON_APPEND_ARRAY_BEGIN(&etc, "tracerouteHost6", &arr);
	bson_append_array_end(&etc, &arr);
	res.etc = &etc;
	/* "trailer.h": the same limits for HD media, and the HD video and
	 * audio settings KiwiTalk requires there. */
	bson_init(&trailer_h);
	BSON_APPEND_INT64(&trailer_h, "upMaxSize", BOOT_UP_MAX);
	BSON_APPEND_INT64(&trailer_h, "videoUpMaxSize", BOOT_UP_MAX);
	BSON_APPEND_INT32(&trailer_h, "contentExpireTime", BOOT_CONTENT_EXPIRE);
	BSON_APPEND_INT32(&trailer_h, "vResolution", BOOT_V_RESOLUTION_HD);
	BSON_APPEND_INT32(&trailer_h, "vBitrate", BOOT_V_BITRATE_HD);
	BSON_APPEND_INT32(&trailer_h, "aFrequency", BOOT_A_FREQUENCY_HD);
	res.trailer_h = &trailer_h;

	bson_init(&body);
	loco_getconf_res_encode(&res, &body);
	boot_finish(s, pkt->hdr.packet_id, "GETCONF", &body);
	bson_destroy(&body);
	bson_destroy(&trailer_h);
	bson_destroy(&etc);
	bson_destroy(&profile);
}

/*
 * CHECKIN: the chat server is us. A body without userId is -203; a userId
 * that is no account of the world is -950: the real check-in has no
 * documented answer for it, and -950 makes a client stop after one token
 * refresh (LOCO.md section 3), where -1 would have it retry forever.
 */
static void
boot_checkin(struct locosim_session *s, const struct loco_packet *pkt)
{
	struct locosim *sim = s->sim;
	struct loco_checkin_req req;
	struct loco_checkin_res res;
	struct loco_error err;
	bson_t body;

	if (loco_checkin_req_decode(&pkt->body, &req, &err) != 0) {
		log_debug("locosim: session %u: %s", s->serial, err.msg);
		boot_finish_status(s, pkt->hdr.packet_id, "CHECKIN",
		    ST_INVALID_BODY);
		return;
	}
	if (locosim_world_account(sim->world, req.user_id) == NULL) {
		log_debug("locosim: session %u: CHECKIN for unknown user %lld",
		    s->serial, (long long)req.user_id);
		boot_finish_status(s, pkt->hdr.packet_id, "CHECKIN",
		    ST_INVALID_TOKEN);
		goto out;
	}
	memset(&res, 0, sizeof res);
	res.status = ST_OK;
	res.host = sim->listen_host;
	res.host6 = (char *)"";
	res.port = sim->ports[LOCOSIM_CHAT];
	res.cache_expire = BOOT_CACHE_EXPIRE;
	res.cshost = sim->listen_host;
	res.cshost6 = (char *)"";
	res.csport = BOOT_CS_PORT;
	res.vsshost = sim->listen_host;
	res.vsshost6 = (char *)"";
	res.vssport = BOOT_VSS_PORT;
	res.mccmnc = req.mccmnc != NULL ? req.mccmnc : (char *)"";
	bson_init(&body);
	loco_checkin_res_encode(&res, &body);
	boot_finish(s, pkt->hdr.packet_id, "CHECKIN", &body);
	bson_destroy(&body);
out:
	loco_checkin_req_release(&req);
}
