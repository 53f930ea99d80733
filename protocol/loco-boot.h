/* locoirc: see LICENSE.
 *
 * Placeholder: being written.
 */
#ifndef LOCOIRC_PROTOCOL_LOCO_BOOT_H
#define LOCOIRC_PROTOCOL_LOCO_BOOT_H

#endif
