/* locoirc: see LICENSE.
 *
 * libFuzzer target for every typed body decoder. The input is taken as a
 * BSON body the way the packet parser would accept it (our structural
 * check, then libbson's validation), and every decoder of every module is
 * run on it, so each one meets every shape the fuzzer finds.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include <bson/bson.h>

#include "loco-boot.h"
#include "loco-bson.h"
#include "loco-chat.h"
#include "loco-chatlog.h"
#include "loco-media.h"
#include "loco-msg.h"

#define FUZZ_INPUT_MAX (1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct loco_error err;
	bson_error_t berr;
	bson_t doc;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	if (loco_bson_check(data, size, &err) != 0 ||
	    !bson_init_static(&doc, data, size) ||
	    !bson_validate_with_error(&doc, BSON_VALIDATE_NONE, &berr))
		return 0;
	loco_chatlog_fuzz_decode_all(&doc);
	loco_msg_fuzz_decode_all(&doc);
	loco_chat_fuzz_decode_all(&doc);
	loco_boot_fuzz_decode_all(&doc);
	loco_media_fuzz_decode_all(&doc);
	return 0;
}
