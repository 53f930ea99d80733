/* locoirc: see LICENSE.
 *
 * Placeholder: being written.
 */
#ifndef LOCOIRC_PROTOCOL_LOCO_MSGTYPE_H
#define LOCOIRC_PROTOCOL_LOCO_MSGTYPE_H

#endif
