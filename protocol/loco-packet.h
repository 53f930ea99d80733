/* locoirc: see LICENSE.
 *
 * The LOCO packet: a 22-byte little-endian header followed by one BSON
 * document. This module encodes packets into an evbuffer and parses them out
 * of one incrementally; it does no I/O and knows nothing of encryption
 * (the secure layer yields the plain byte stream this parser reads).
 */
#ifndef LOCOIRC_PROTOCOL_LOCO_PACKET_H
#define LOCOIRC_PROTOCOL_LOCO_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bson/bson.h>

#include "loco-error.h"

struct evbuffer;

#define LOCO_HDR_LEN 22
#define LOCO_METHOD_LEN 11
#define LOCO_BODY_TYPE_BSON 0
/* node-kakao's codec also reads body type 8 as BSON; nobody sends it. */
#define LOCO_BODY_TYPE_BSON_ALT 8
/* The empty BSON document, used when a packet has no body. */
#define LOCO_EMPTY_BODY_LEN 5
/* Default cap on a body; LOCO documents none, the real server stays far below. */
#define LOCO_BODY_MAX_DEFAULT (16u * 1024 * 1024)

/* A decoded header. method is NUL-terminated (at most 11 characters). */
struct loco_header {
	uint32_t packet_id;
	int16_t status;
	char method[LOCO_METHOD_LEN + 1];
	uint8_t body_type;
	uint32_t body_len;
};

/* A whole packet; body is owned and must be released with the packet. */
struct loco_packet {
	struct loco_header hdr;
	bson_t body; /* owned: initialised by loco_packet_parse() */
};

/*
 * Write hdr as 22 bytes into out. The method is truncated to 11 characters
 * and NUL-padded, as the reference clients do.
 */
void loco_header_encode(const struct loco_header *hdr,
    uint8_t out[LOCO_HDR_LEN]);

/*
 * Read 22 bytes into hdr. Fails with LOCO_ERR_MALFORMED on an empty method,
 * a method with non-printable bytes, or an unknown body type; the body
 * length is not judged here.
 */
int loco_header_decode(const uint8_t in[LOCO_HDR_LEN], struct loco_header *hdr,
    struct loco_error *err);

/*
 * Append one packet to out. body may be NULL for the empty document.
 * Returns 0, or -1 if the method is empty/invalid or the body is larger
 * than UINT32_MAX.
 */
int loco_packet_encode(struct evbuffer *out, uint32_t packet_id, int16_t status,
    const char *method, const bson_t *body, struct loco_error *err);

/*
 * Try to take one packet from the front of in.
 * Returns 1 and fills pkt (caller calls loco_packet_release) after draining
 * its bytes; 0 if in does not yet hold a whole packet (nothing is drained);
 * -1 on a malformed header, a body longer than max_body (judged from the
 * header alone, before any body byte is buffered) or a body that is not
 * one valid BSON document. After -1 the stream cannot be resynchronised and
 * the connection should be closed. body_len 0 is read as the empty document.
 */
int loco_packet_parse(struct evbuffer *in, size_t max_body,
    struct loco_packet *pkt, struct loco_error *err);

/* Free the body of pkt; the struct itself is the caller's. */
void loco_packet_release(struct loco_packet *pkt);

/*
 * The packet's status: the body's int32/int64 "status" if present (modern
 * servers put it there), else the header's. See LOCO.md decision 3.
 */
int32_t loco_packet_status(const struct loco_packet *pkt);

/* True if method is 1-11 printable ASCII characters without spaces. */
bool loco_method_is_valid(const char *method);

#endif
