/* locoirc: see LICENSE.
 *
 * Placeholder: being written.
 */
#ifndef LOCOIRC_PROTOCOL_LOCO_CHAT_H
#define LOCOIRC_PROTOCOL_LOCO_CHAT_H

#endif
