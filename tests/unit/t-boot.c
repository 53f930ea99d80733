/* locoirc: see LICENSE.
 *
 * Placeholder: being written.
 */
#include "config.h"

#include "tap.h"

int
main(void)
{
	tap_init(0);
	return done_testing();
}
