/* locoirc: see LICENSE.
 *
 * Placeholder: being written.
 */
#ifndef LOCOIRC_PROTOCOL_LOCO_MEDIA_H
#define LOCOIRC_PROTOCOL_LOCO_MEDIA_H

#endif
