/* locoirc: see LICENSE.
 *
 * Placeholder: being written.
 */
#ifndef LOCOIRC_PROTOCOL_LOCO_CONN_H
#define LOCOIRC_PROTOCOL_LOCO_CONN_H

#endif
