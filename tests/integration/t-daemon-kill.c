/* locoirc: see LICENSE.
 *
 * The crash test of the issue: other users send a burst of messages to
 * every chat, locoircd is killed with SIGKILL while it is storing them,
 * more arrive while it is down, and after a restart (with -vv, whose wire
 * traces must not show the token) the store must match locosim's log for
 * every chat exactly: nothing missing, nothing doubled, cursors at the
 * newest message.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon-fixture.h"
#include "tap.h"

/* Messages sent before the kill, and while the daemon is down. */
#define BURST_BEFORE 150
#define BURST_DOWN 60
/* How often to look at the store while waiting to kill. */
#define KILL_POLL_MS 2

static const int64_t chats[] = {DFIX_GROUP, DFIX_DIRECT, DFIX_MEMO};
#define NCHATS (sizeof chats / sizeof chats[0])

/* Send n messages round-robin over the chats, without waiting. */
static void
burst(struct dfix *f, int first, int n)
{
	int i;

	for (i = first; i < first + n; i++) {
		int64_t chat = chats[(size_t)i % NCHATS];
		int64_t author = chat == DFIX_MEMO ? DFIX_USER : DFIX_BOB;

		dfix_ctl_send(f, "send %lld %lld burst message %d",
		    (long long)chat, (long long)author, i);
	}
}

/* Read n replies; how many were "ok N". */
static int
replies(struct dfix *f, int n)
{
	int i, good = 0;

	for (i = 0; i < n; i++) {
		char *r = dfix_ctl_reply(f);

		if (r != NULL && strncmp(r, "ok ", 3) == 0)
			good++;
		free(r);
	}
	return good;
}

/* Start, burst, kill, burst, restart, compare. */
int
main(void)
{
	static struct dfix f; /* read by the fixture's atexit handler */
	const char *vv[] = {"-vv", NULL};
	struct dfix_msg *m = NULL;
	ssize_t before, at_kill, total = 0;
	size_t i;
	int status;

	tap_init(180);
	dfix_init(&f);
	if (!dfix_sim_start(&f, DFIX_WORLD))
		return done_testing();
	if (!dfix_write_conf(&f, "[log]\nlevel = info\n") ||
	    !dfix_daemon_start(&f, NULL))
		goto out;
	ok(dfix_wait_synced(&f, chats, NCHATS), "the history is stored");
	before = dfix_store_log(&f, DFIX_GROUP, &m);
	dfix_msgs_free(m, before);

	burst(&f, 0, BURST_BEFORE);
	/* Kill as soon as the first message of the burst is committed. */
	at_kill = dfix_wait_count(&f, DFIX_GROUP, before, KILL_POLL_MS);
	ok(at_kill > before, "the burst starts to reach the store");
	status = dfix_daemon_stop(&f, SIGKILL);
	ok(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	    "SIGKILL mid-burst");
	diag("the group chat held %zd of its messages at the kill",
	    at_kill - before);
	is_int(replies(&f, BURST_BEFORE), ==, BURST_BEFORE);
	burst(&f, BURST_BEFORE, BURST_DOWN);
	is_int(replies(&f, BURST_DOWN), ==, BURST_DOWN);

	if (!dfix_daemon_start(&f, vv))
		goto out;
	ok(dfix_wait_synced(&f, chats, NCHATS),
	    "after the restart the store matches locosim for every chat");
	for (i = 0; i < NCHATS; i++) {
		char sql[128];
		ssize_t n = dfix_store_log(&f, chats[i], &m);

		if (n > 0) {
			snprintf(sql, sizeof sql,
			    "SELECT cursor FROM chats WHERE chat_id = %lld",
			    (long long)chats[i]);
			is_int(dfix_store_int(&f, sql), ==, m[n - 1].log_id);
			total += n;
		}
		dfix_msgs_free(m, n);
	}
	is_int(dfix_store_int(&f, "SELECT count(*) FROM messages"), ==, total);
	ok(total >= BURST_BEFORE + BURST_DOWN + 4,
	    "every burst message is there (%zd messages)", total);
	ok(dfix_log_has(&f, "trace: "), "-vv logs wire traces");
	ok(!dfix_log_has(&f, DFIX_TOKEN), "and never the token");

	status = dfix_daemon_stop(&f, SIGTERM);
	ok(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "SIGTERM: exit status 0");
	ok(!dfix_log_has(&f, "Sanitizer") && !dfix_log_has(&f, "runtime error"),
	    "no sanitizer report");
out:
	if (f.d > 0)
		dfix_daemon_stop(&f, SIGKILL);
	ok(dfix_sim_stop(&f), "locosim exits 0");
	free(f.log);
	return done_testing();
}
