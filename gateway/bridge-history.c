/* locoirc: see LICENSE.
 *
 * CHATHISTORY (draft/chathistory) from the store. Until it is built the
 * capability is not offered, and the command is unknown.
 */
#include "config.h"

#include "bridge-int.h"
#include "irc-numeric.h"

void
bridge_history_command(struct bridge *b, struct bridge_client *bc,
    const struct irc_msg *m)
{
	(void)b;
	irc_client_numeric(bc->c, IRC_ERR_UNKNOWNCOMMAND,
	    IRC_ERR_UNKNOWNCOMMAND_FMT, irc_client_get_nick(bc->c), m->command);
}
