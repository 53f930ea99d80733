/* locoirc: see LICENSE.
 *
 * libFuzzer target for the packet stream parser. The first byte picks the
 * body limit and how the rest is cut into reads, so the fuzzer explores
 * packets that span reads and reads that hold several packets.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>

#include "loco-packet.h"

#define FUZZ_INPUT_MAX (1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t limits[] = {0, 5, 64, 4096, LOCO_BODY_MAX_DEFAULT};
	struct evbuffer *in;
	struct loco_packet pkt;
	struct loco_error err;
	size_t limit, chunk, off = 1;
	int r = 0;

	if (size < 1 || size > FUZZ_INPUT_MAX)
		return 0;
	limit = limits[data[0] % (sizeof limits / sizeof limits[0])];
	/* 1..32 bytes a read, or everything at once. */
	chunk = (data[0] >> 3) == 0 ? size : (size_t)(data[0] >> 3);
	in = evbuffer_new();
	while (off < size && r >= 0) {
		size_t n = size - off < chunk ? size - off : chunk;

		evbuffer_add(in, data + off, n);
		off += n;
		while ((r = loco_packet_parse(in, limit, &pkt, &err)) == 1) {
			bson_iter_t it;

			(void)loco_packet_status(&pkt);
			if (bson_iter_init(&it, &pkt.body))
				while (bson_iter_next(&it))
					(void)bson_iter_type(&it);
			loco_packet_release(&pkt);
		}
	}
	evbuffer_free(in);
	return 0;
}
