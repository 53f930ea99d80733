/* locoirc: see LICENSE.
 *
 * Message redaction (draft/message-redaction) both ways. Until it is
 * built the capability is not offered, and the command is unknown.
 */
#include "config.h"

#include "bridge-int.h"
#include "irc-numeric.h"

void
bridge_redact_command(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	(void)b;
	irc_client_numeric(bc->c, IRC_ERR_UNKNOWNCOMMAND,
	    IRC_ERR_UNKNOWNCOMMAND_FMT, irc_client_get_nick(bc->c), m->command);
}

void
bridge_redact_on_deleted(struct bridge *b, int64_t chat_id, int64_t log_id)
{
	(void)b;
	(void)chat_id;
	(void)log_id;
}
