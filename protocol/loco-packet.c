/* locoirc: see LICENSE.
 *
 * Packet framing. The parser peeks at the header with evbuffer_copyout and
 * checks the announced body length against the caller's limit before it
 * waits for a single body byte, so a hostile length cannot make us buffer
 * without bound.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "loco-bson.h"
#include "loco-packet.h"

static void le_put32(uint8_t *p, uint32_t v);
static uint32_t le_get32(const uint8_t *p);

static void
le_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t
le_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

bool
loco_method_is_valid(const char *method)
{
	size_t i;

	for (i = 0; method[i] != '\0'; i++)
		if (i >= LOCO_METHOD_LEN || method[i] <= 0x20 ||
		    method[i] >= 0x7f)
			return false;
	return i > 0;
}

void
loco_header_encode(const struct loco_header *hdr, uint8_t out[LOCO_HDR_LEN])
{
	uint16_t status = (uint16_t)hdr->status;

	le_put32(out, hdr->packet_id);
	out[4] = (uint8_t)status;
	out[5] = (uint8_t)(status >> 8);
	memset(out + 6, 0, LOCO_METHOD_LEN);
	memcpy(out + 6, hdr->method, strnlen(hdr->method, LOCO_METHOD_LEN));
	out[17] = hdr->body_type;
	le_put32(out + 18, hdr->body_len);
}

int
loco_header_decode(const uint8_t in[LOCO_HDR_LEN], struct loco_header *hdr,
    struct loco_error *err)
{
	char shown[LOCO_METHOD_LEN * 4 + 1];

	memset(hdr, 0, sizeof *hdr);
	hdr->packet_id = le_get32(in);
	hdr->status = (int16_t)(uint16_t)(in[4] | in[5] << 8);
	/* The method ends at the first NUL; 11 characters have none. */
	memcpy(hdr->method, in + 6, LOCO_METHOD_LEN);
	hdr->method[LOCO_METHOD_LEN] = '\0';
	hdr->body_type = in[17];
	hdr->body_len = le_get32(in + 18);

	if (!loco_method_is_valid(hdr->method)) {
		size_t i, o = 0;

		for (i = 0; i < LOCO_METHOD_LEN; i++)
			o += (size_t)snprintf(shown + o, sizeof shown - o,
			    "%02x", in[6 + i]);
		loco_error_set(err, LOCO_ERR_MALFORMED,
		    "invalid method bytes %s in packet %u", shown,
		    hdr->packet_id);
		return -1;
	}
	if (hdr->body_type != LOCO_BODY_TYPE_BSON &&
	    hdr->body_type != LOCO_BODY_TYPE_BSON_ALT) {
		loco_error_set(err, LOCO_ERR_MALFORMED,
		    "unknown body type %u in %s packet %u", hdr->body_type,
		    hdr->method, hdr->packet_id);
		return -1;
	}
	return 0;
}

int
loco_packet_encode(struct evbuffer *out, uint32_t packet_id, int16_t status,
    const char *method, const bson_t *body, struct loco_error *err)
{
	static const uint8_t empty[LOCO_EMPTY_BODY_LEN] = {5, 0, 0, 0, 0};
	struct loco_header hdr;
	uint8_t raw[LOCO_HDR_LEN];
	const uint8_t *data = empty;
	uint32_t len = sizeof empty;

	if (!loco_method_is_valid(method)) {
		loco_error_set(err, LOCO_ERR_CONFIG, "invalid method name");
		return -1;
	}
	if (body != NULL) {
		data = bson_get_data(body);
		len = body->len;
	}
	memset(&hdr, 0, sizeof hdr);
	hdr.packet_id = packet_id;
	hdr.status = status;
	memcpy(hdr.method, method, strlen(method));
	hdr.body_type = LOCO_BODY_TYPE_BSON;
	hdr.body_len = len;
	loco_header_encode(&hdr, raw);
	if (evbuffer_expand(out, LOCO_HDR_LEN + (size_t)len) != 0 ||
	    evbuffer_add(out, raw, sizeof raw) != 0 ||
	    evbuffer_add(out, data, len) != 0) {
		loco_error_set(err, LOCO_ERR_IO, "cannot buffer %s packet",
		    method);
		return -1;
	}
	return 0;
}

int
loco_packet_parse(struct evbuffer *in, size_t max_body, struct loco_packet *pkt,
    struct loco_error *err)
{
	uint8_t raw[LOCO_HDR_LEN];
	struct loco_header hdr;
	const uint8_t *data;
	bson_t view;
	bson_error_t berr;
	struct loco_error berr2 = {LOCO_ERR_MALFORMED, 0,
	    "body is not a BSON document"};

	if (evbuffer_get_length(in) < LOCO_HDR_LEN)
		return 0;
	if (evbuffer_copyout(in, raw, sizeof raw) != (ev_ssize_t)sizeof raw) {
		loco_error_set(err, LOCO_ERR_IO, "cannot read packet header");
		return -1;
	}
	if (loco_header_decode(raw, &hdr, err) != 0)
		return -1;
	if (hdr.body_len > max_body) {
		loco_error_set(err, LOCO_ERR_TOO_LARGE,
		    "%s packet %u body of %u bytes exceeds limit %zu",
		    hdr.method, hdr.packet_id, hdr.body_len, max_body);
		return -1;
	}
	if (evbuffer_get_length(in) < LOCO_HDR_LEN + (size_t)hdr.body_len)
		return 0;

	pkt->hdr = hdr;
	if (hdr.body_len == 0) {
		/* Tolerated as the empty document (OK-loco does the same). */
		bson_init(&pkt->body);
		evbuffer_drain(in, LOCO_HDR_LEN);
		return 1;
	}
	data = evbuffer_pullup(in, LOCO_HDR_LEN + (ev_ssize_t)hdr.body_len);
	if (data == NULL) {
		loco_error_set(err, LOCO_ERR_IO, "cannot read packet body");
		return -1;
	}
	data += LOCO_HDR_LEN;
	/*
	 * Our own walk first: it bounds nesting depth, which libbson's
	 * recursive validator does not, then libbson validates the rest.
	 */
	if (loco_bson_check(data, hdr.body_len, &berr2) != 0 ||
	    !bson_init_static(&view, data, hdr.body_len)) {
		loco_error_set(err, LOCO_ERR_MALFORMED, "%s packet %u: %s",
		    hdr.method, hdr.packet_id, berr2.msg);
		return -1;
	}
	if (!bson_validate_with_error(&view, BSON_VALIDATE_NONE, &berr)) {
		loco_error_set(err, LOCO_ERR_MALFORMED,
		    "%s packet %u has invalid BSON: %s", hdr.method,
		    hdr.packet_id, berr.message);
		return -1;
	}
	bson_copy_to(&view, &pkt->body);
	evbuffer_drain(in, LOCO_HDR_LEN + (size_t)hdr.body_len);
	return 1;
}

void
loco_packet_release(struct loco_packet *pkt)
{
	bson_destroy(&pkt->body);
}

int32_t
loco_packet_status(const struct loco_packet *pkt)
{
	int64_t v;

	if (loco_bson_get_i64(&pkt->body, "status", &v) == 1 &&
	    v >= INT32_MIN && v <= INT32_MAX)
		return (int32_t)v;
	return pkt->hdr.status;
}
