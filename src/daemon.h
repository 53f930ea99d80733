/* locoirc: see LICENSE.
 *
 * The running daemon: one event base, the store, the LOCO engine wired to
 * write everything it reports into the store, and the signals (SIGTERM and
 * SIGINT stop, SIGHUP reloads). It owns the shutdown order: engine first,
 * then the store, so that nothing the engine reported is lost.
 */
#ifndef LOCOIRC_SRC_DAEMON_H
#define LOCOIRC_SRC_DAEMON_H

#include "log.h"

struct conf;

/* What main() decided before the daemon starts. */
struct daemon_opts {
	const char *conf_path;    /* absolute; loaded again on SIGHUP */
	enum log_level cli_level; /* -v/-vv floor; the file may only raise it */
	int ready_fd; /* where READY goes (then closed), or -1 for stdout */
};

/*
 * Run until SIGTERM or SIGINT (or a store failure): open the store, start
 * the engine, announce READY, serve. conf is taken (freed on return). Logs
 * every failure itself; returns the process exit status, 0 after a clean
 * shutdown and 1 when starting failed or the store could not be written.
 */
int daemon_run(struct conf *conf, const struct daemon_opts *opts);

/* The level to log at: the file's, raised to the command line's floor. */
enum log_level daemon_log_level(const struct conf *conf,
    enum log_level cli_level);

#endif
