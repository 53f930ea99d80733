/* locoirc: see LICENSE.
 *
 * locoircd's entry point. For now it reports its version and the versions
 * of the libraries it was built with; the daemon grows here.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <bson/bson.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <sqlite3.h>

static void usage(void);

static void
usage(void)
{
	fprintf(stderr, "usage: locoircd [-V]\n");
}

int
main(int argc, char **argv)
{
	if (argc == 2 &&
	    (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0)) {
		printf("locoircd %s (libevent %s, %s, libbson %s, SQLite %s)\n",
		    PACKAGE_VERSION, event_get_version(),
		    OpenSSL_version(OPENSSL_VERSION), bson_get_version(),
		    sqlite3_libversion());
		return 0;
	}
	usage();
	return 1;
}
