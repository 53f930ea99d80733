/* locoirc: see LICENSE.
 *
 * Read markers (draft/read-marker) and KakaoTalk's read state. Until it
 * is built the capability is not offered, and the command is unknown.
 */
#include "config.h"

#include "bridge-int.h"
#include "irc-numeric.h"

void
bridge_read_command(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	(void)b;
	irc_client_numeric(bc->c, IRC_ERR_UNKNOWNCOMMAND,
	    IRC_ERR_UNKNOWNCOMMAND_FMT, irc_client_get_nick(bc->c), m->command);
}

void
bridge_read_on_join(struct bridge *b, struct bridge_client *bc,
    const struct bridge_chat *chat)
{
	(void)b;
	(void)bc;
	(void)chat;
}

void
bridge_read_on_read(struct bridge *b, int64_t chat_id, int64_t user_id,
    int64_t watermark)
{
	(void)b;
	(void)chat_id;
	(void)user_id;
	(void)watermark;
}
