/* locoirc: see LICENSE.
 *
 * Placeholder: being written.
 */
#ifndef LOCOIRC_PROTOCOL_LOCO_CHATLOG_H
#define LOCOIRC_PROTOCOL_LOCO_CHATLOG_H

#endif
