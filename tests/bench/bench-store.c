/* locoirc: see LICENSE.
 *
 * A small benchmark of the store: messages written in bursts (one commit
 * per burst through the event loop, as in the daemon), then paged back.
 * Prints one line per phase; not a test (built by make check, not run).
 * Usage: bench-store [messages [burst]]; the database is a temp file.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "loco-msgtype.h"
#include "store.h"
#include "xmalloc.h"

static double now(void);
static bool count_cb(const struct store_message *m, void *arg);

/* Monotonic seconds. */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Count the messages of a page and remember the last log id. */
static bool
count_cb(const struct store_message *m, void *arg)
{
	int64_t *last = arg;

	*last = m->log_id;
	return true;
}

int
main(int argc, char **argv)
{
	char dir[] = "/tmp/locoirc-bench.XXXXXX";
	char *path, *sidecar;
	struct event_base *base;
	struct store *st;
	struct store_stats stats;
	struct loco_chatlog cl;
	char text[96];
	long total = argc > 1 ? atol(argv[1]) : 100000;
	long burst = argc > 2 ? atol(argv[2]) : 500;
	long i, pages = 0;
	int64_t after = 0, last = 0;
	double t0, t1;

	if (total <= 0 || burst <= 0 || mkdtemp(dir) == NULL) {
		fprintf(stderr, "usage: bench-store [messages [burst]]\n");
		return 2;
	}
	path = xasprintf("%s/bench.db", dir);
	base = event_base_new();
	if (base == NULL || (st = store_open(base, path)) == NULL)
		return 1;

	memset(&cl, 0, sizeof cl);
	cl.chat_id = 1;
	cl.author_id = 42;
	cl.type = LOCO_MSG_TEXT;
	cl.message = text;
	t0 = now();
	for (i = 1; i <= total; i++) {
		cl.log_id = i;
		cl.prev_id = i - 1;
		cl.send_at = 1700000000 + (int32_t)(i / 10);
		snprintf(text, sizeof text, "message number %ld of the bench",
		    i);
		if (store_add_message(st, &cl) != 0)
			return 1;
		if (i % burst == 0)
			event_base_loop(base, EVLOOP_NONBLOCK);
	}
	event_base_loop(base, EVLOOP_NONBLOCK);
	t1 = now();
	store_get_stats(st, &stats);
	printf("write: %ld messages in bursts of %ld: %.3f s, %.0f msg/s, "
	       "%" PRIu64 " commits\n",
	    total, burst, t1 - t0, (double)total / (t1 - t0), stats.commits);

	t0 = now();
	for (;;) {
		last = after;
		if (store_foreach_message(st, 1, after, 200, count_cb, &last) !=
		    0)
			return 1;
		pages++;
		if (last == after)
			break;
		after = last;
	}
	t1 = now();
	printf("read: %ld pages of 200: %.3f s\n", pages, t1 - t0);

	store_close(st);
	event_base_free(base);
	unlink(path);
	sidecar = xasprintf("%s-wal", path);
	unlink(sidecar);
	free(sidecar);
	sidecar = xasprintf("%s-shm", path);
	unlink(sidecar);
	free(sidecar);
	rmdir(dir);
	free(path);
	return 0;
}
