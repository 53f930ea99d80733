/* locoirc: see LICENSE.
 *
 * Placeholder: being written.
 */
#include "config.h"

#include "store.h"
