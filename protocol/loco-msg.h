/* locoirc: see LICENSE.
 *
 * Placeholder: being written.
 */
#ifndef LOCOIRC_PROTOCOL_LOCO_MSG_H
#define LOCOIRC_PROTOCOL_LOCO_MSG_H

#endif
