/* locoirc: see LICENSE.
 *
 * locoircd against the locosim program: it logs in, its store fills with
 * every chat's history and then with what other users send live; SIGHUP
 * changes the log level at once, a bad file leaves the running
 * configuration in place, an engine setting restarts the engine; SIGTERM
 * ends it with status 0 and a clean log. Then the same detached (no -f):
 * READY on --ready-fd, the pid file, SIGTERM.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon-fixture.h"
#include "tap.h"

static const int64_t chats[] = {DFIX_GROUP, DFIX_DIRECT, DFIX_MEMO};
#define NCHATS (sizeof chats / sizeof chats[0])

/* Login, history, live messages. */
static void
test_sync(struct dfix *f)
{
	int64_t id, last;
	int i;

	ok(dfix_wait_synced(f, chats, NCHATS),
	    "the store holds every chat's history");
	is_int(dfix_store_int(f, "SELECT count(*) FROM chats"), ==, 3);
	ok(dfix_log_has(f, "locoircd " PACKAGE_VERSION " (libevent "),
	    "the versions are logged");
	ok(dfix_log_has(f, "loco: "), "engine states are logged");

	for (i = 0; i < 5; i++)
		ok(dfix_ctl_num(f, "send %lld %lld live %d",
		       (long long)DFIX_GROUP, (long long)DFIX_BOB, i) > 0,
		    "Bob sends message %d to the group", i);
	for (i = 0; i < 3; i++)
		ok(dfix_ctl_num(f, "send %lld %lld direct %d",
		       (long long)DFIX_DIRECT, (long long)DFIX_BOB, i) > 0,
		    "Bob sends message %d directly", i);
	last = dfix_ctl_num(f, "send %lld %lld the last one",
	    (long long)DFIX_GROUP, (long long)DFIX_CAROL);
	ok(dfix_wait_synced(f, chats, NCHATS),
	    "the store holds the live messages");
	id = dfix_store_int(f, "SELECT cursor FROM chats WHERE chat_id = 10");
	is_int(id, ==, last);
}

/* SIGHUP: level at once; a bad file keeps the old; [loco] restarts. */
static void
test_reload(struct dfix *f)
{
	char extra[800];
	size_t mark, from;

	from = mark = dfix_log_mark(f);
	if (!dfix_write_conf(f, "[log]\nlevel = debug\n"))
		return;
	kill(f->d, SIGHUP);
	ok(dfix_log_wait(f, &mark, "configuration reloaded (log level debug)"),
	    "SIGHUP applies a new log level");
	ok(!dfix_log_since(f, from, "restarting the LOCO engine"),
	    "a new log level alone does not restart the engine");

	/*
	 * At warn, the reload's own info lines are silent at once. The new
	 * store path draws a warning (it needs a restart), which shows that
	 * the reload is done.
	 */
	from = mark = dfix_log_mark(f);
	snprintf(extra, sizeof extra,
	    "[store]\npath = %s/other.db\n"
	    "[log]\nlevel = warn\n",
	    tap_tmpdir());
	dfix_write_conf(f, extra);
	kill(f->d, SIGHUP);
	ok(dfix_log_wait(f, &mark, "other.db' takes effect at the next start"),
	    "a new store path waits for a restart");
	/* Then a broken file: its errors are warnings, so they show. */
	dfix_write_conf(f, "bogus = 1\n[log]\nlevel = info\n");
	kill(f->d, SIGHUP);
	ok(dfix_log_wait(f, &mark,
	       "reload failed; the running configuration "
	       "stays"),
	    "a bad file is refused");
	ok(dfix_log_wait(f, &mark,
	       "locoircd.conf:12: [loco] unknown key "
	       "'bogus'"),
	    "with its errors, by file and line");
	ok(!dfix_log_since(f, from, "configuration reloaded") &&
	        dfix_count_since(f, from, "SIGHUP: reloading") == 1,
	    "level warn applied at once: no info lines after it");
	ok(dfix_ctl_num(f, "send %lld %lld still alive", (long long)DFIX_GROUP,
	       (long long)DFIX_BOB) > 0,
	    "Bob sends again");
	ok(dfix_wait_synced(f, chats, NCHATS), "and the daemon still stores");

	/* A [loco] change restarts the engine, which logs in again. */
	mark = dfix_log_mark(f);
	dfix_write_conf(f, "ping_interval = 30\n[log]\nlevel = info\n");
	kill(f->d, SIGHUP);
	ok(dfix_log_wait(f, &mark, "reload: restarting the LOCO engine"),
	    "a [loco] change restarts the engine");
	ok(dfix_log_wait(f, &mark, "configuration reloaded (log level info)"),
	    "and the level is back to info");
	ok(dfix_ctl_num(f, "send %lld %lld after the restart",
	       (long long)DFIX_DIRECT, (long long)DFIX_BOB) > 0,
	    "Bob sends after the restart");
	ok(dfix_wait_synced(f, chats, NCHATS),
	    "the restarted engine stores it");
}

/*
 * Terminal stops: the daemon stays up, tells the operator what to do, and
 * SIGHUP logs in again.
 */
static void
test_terminal(struct dfix *f)
{
	size_t mark = dfix_log_mark(f);

	ok(dfix_ctl_num(f, "kickout %lld 0", (long long)DFIX_USER) == 1,
	    "locosim kicks the daemon out");
	ok(dfix_log_wait(f, &mark, "another device took its login slot"),
	    "the log says why and what to do");
	ok(dfix_log_wait(f, &mark, "send SIGHUP or restart it"),
	    "including how to come back");
	kill(f->d, SIGHUP);
	ok(dfix_log_wait(f, &mark, "reload: restarting the LOCO engine"),
	    "SIGHUP after a stop restarts the engine");
	ok(dfix_ctl_num(f, "send %lld %lld back again", (long long)DFIX_GROUP,
	       (long long)DFIX_BOB) > 0,
	    "Bob sends");
	ok(dfix_wait_synced(f, chats, NCHATS), "and it is stored again");

	mark = dfix_log_mark(f);
	ok(dfix_reply_ok(dfix_ctl(f, "expire %lld", (long long)DFIX_USER)),
	    "locosim expires the token");
	ok(dfix_ctl_num(f, "changesvr %lld", (long long)DFIX_USER) == 1,
	    "and moves the daemon to another server");
	ok(dfix_log_wait(f, &mark, "the server refused the access token"),
	    "a refused token is reported");
	ok(dfix_log_wait(f, &mark, "access_token_file, then send SIGHUP"),
	    "with what to do");

	mark = dfix_log_mark(f);
	ok(dfix_reply_ok(dfix_ctl(f, "unexpire %lld", (long long)DFIX_USER)) &&
	        dfix_reply_ok(dfix_ctl(f, "faillogin -999")),
	    "locosim takes the token back, and will refuse the next login");
	kill(f->d, SIGHUP);
	ok(dfix_log_wait(f, &mark, "the server wants a newer client"),
	    "-999 is reported");
	ok(dfix_log_wait(f, &mark, "Raise [account] app_version"),
	    "with what to do");
	kill(f->d, SIGHUP);
	ok(dfix_log_wait(f, &mark, "reload: restarting the LOCO engine"),
	    "SIGHUP tries again");
	ok(dfix_ctl_num(f, "send %lld %lld once more", (long long)DFIX_DIRECT,
	       (long long)DFIX_BOB) > 0,
	    "Bob sends");
	ok(dfix_wait_synced(f, chats, NCHATS), "and the daemon is back");
}

/* SIGTERM: exit 0 and a clean end of the log. */
static void
test_term(struct dfix *f)
{
	size_t mark = dfix_log_mark(f);
	int status = dfix_daemon_stop(f, SIGTERM);

	if (!ok(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	        "SIGTERM: exit status 0"))
		diag("wait status %d", status);
	ok(dfix_log_since(f, mark, "SIGTERM: shutting down") &&
	        dfix_log_since(f, mark, "locoircd stopped (exit status 0)"),
	    "the log says it stopped");
	ok(!dfix_log_since(f, mark, "warning:") &&
	        !dfix_log_since(f, mark, "fatal:"),
	    "no warning while stopping");
	ok(!dfix_log_has(f, "Sanitizer") && !dfix_log_has(f, "runtime error"),
	    "no sanitizer report");
	ok(!dfix_log_has(f, DFIX_TOKEN), "the token never reached the log");
	if (dfix_log_since(f, mark, "warning:"))
		diag("log since SIGTERM:\n%s", f->log + mark);
}

/* Without -f: detach, READY on the descriptor, a pid file, SIGTERM. */
static void
test_detached(struct dfix *f)
{
	char pidfile[600], ready_arg[32], line[64], pidarg[640];
	int ready[2], status = -1, fd;
	pid_t child, pid = -1;
	FILE *pf;
	ssize_t n;

#ifdef PR_SET_CHILD_SUBREAPER
	/* The detached daemon becomes our child again, so we can reap it. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
		skip("cannot become a subreaper");
		return;
	}
#else
	skip("no subreaper here: detached mode not tested");
	return;
#endif
	snprintf(pidfile, sizeof pidfile, "%s/locoircd.pid", tap_tmpdir());
	snprintf(pidarg, sizeof pidarg, "--pidfile=%s", pidfile);
	if (pipe(ready) != 0)
		return;
	snprintf(ready_arg, sizeof ready_arg, "--ready-fd=%d", ready[1]);
	if ((child = fork()) == 0) {
		if ((fd = open("/dev/null", O_RDWR)) >= 0) {
			dup2(fd, STDIN_FILENO);
			dup2(fd, STDOUT_FILENO);
		}
		close(ready[0]);
		execl(dfix_locoircd(), dfix_locoircd(), "-c", f->conf,
		    ready_arg, pidarg, (char *)NULL);
		_exit(127);
	}
	close(ready[1]);
	ok(child > 0 && waitpid(child, &status, 0) == child &&
	        WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "detached: the foreground process exits 0");
	/* One read suffices: the line is written in one call; EOF if the
	 * daemon died first. */
	n = read(ready[0], line, sizeof line - 1);
	line[n > 0 ? n : 0] = '\0';
	close(ready[0]);
	ok(strncmp(line, "READY irc=127.0.0.1:", 20) == 0 &&
	        strchr(line, '\n') != NULL,
	    "detached: READY names the IRC address (%s)", line);
	if ((pf = fopen(pidfile, "r")) != NULL) {
		long v = 0;

		if (fscanf(pf, "%ld", &v) == 1)
			pid = (pid_t)v;
		fclose(pf);
	}
	if (!ok(pid > 0 && pid != child && kill(pid, 0) == 0,
	        "the pid file names the running daemon (%ld)", (long)pid))
		return;
	f->d = pid; /* killed at exit should the test fail */
	ok(dfix_ctl_num(f, "send %lld %lld to the daemon",
	       (long long)DFIX_GROUP, (long long)DFIX_CAROL) > 0,
	    "Carol sends");
	ok(dfix_wait_synced(f, chats, NCHATS), "the detached daemon stores it");
	kill(pid, SIGTERM);
	status = -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	f->d = -1;
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "detached: SIGTERM, exit status 0");
	ok(access(pidfile, F_OK) != 0, "the pid file is gone");
}

/* Start locosim and the daemon, then each scenario in turn. */
int
main(void)
{
	static struct dfix f; /* read by the fixture's atexit handler */

	tap_init(180);
	dfix_init(&f);
	if (!dfix_sim_start(&f, DFIX_WORLD))
		return done_testing();
	if (!dfix_write_conf(&f, "[log]\nlevel = info\n") ||
	    !dfix_daemon_start(&f, NULL))
		goto out;
	test_sync(&f);
	test_reload(&f);
	test_terminal(&f);
	test_term(&f);
	test_detached(&f);
out:
	if (f.d > 0)
		dfix_daemon_stop(&f, SIGKILL);
	ok(dfix_sim_stop(&f), "locosim exits 0");
	free(f.log);
	return done_testing();
}
