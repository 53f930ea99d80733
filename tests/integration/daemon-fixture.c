/* locoirc: see LICENSE.
 *
 * The daemon tests' fixture: spawns the locosim and locoircd programs,
 * talks to locosim's control socket, follows locoircd's log on a pipe and
 * reads its store read-only with SQLite. Waits block in poll() on the
 * child's descriptors with a deadline; the only polling loop is "wait
 * until the store holds X", which has no event to wait on.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bson/bson.h>
#include <sqlite3.h>

#include "daemon-fixture.h"
#include "loco-bson.h"
#include "tap.h"

/* How often the store is looked at while waiting for it to fill. */
#define DFIX_STORE_POLL_MS 50

static struct dfix *dfix_current; /* for the atexit handler */

static void dfix_store_pause(struct dfix *f, unsigned ms);

/* Milliseconds on a monotonic clock. */
static int64_t
dfix_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Kill and reap whatever is still running (atexit). */
static void
dfix_kill_all(void)
{
	struct dfix *f = dfix_current;

	if (f == NULL)
		return;
	if (f->d > 0) {
		kill(f->d, SIGKILL);
		waitpid(f->d, NULL, 0);
		f->d = -1;
	}
	if (f->sim > 0) {
		kill(f->sim, SIGKILL);
		waitpid(f->sim, NULL, 0);
		f->sim = -1;
	}
}

/* Reset f and arrange for its children to be killed at exit. */
void
dfix_init(struct dfix *f)
{
	memset(f, 0, sizeof *f);
	f->sim = f->d = -1;
	f->sim_out = f->ctl = f->d_err = -1;
	snprintf(f->pub, sizeof f->pub, "%s/sim-pub.pem", tap_tmpdir());
	snprintf(f->cert, sizeof f->cert, "%s/sim-cert.pem", tap_tmpdir());
	snprintf(f->conf, sizeof f->conf, "%s/locoircd.conf", tap_tmpdir());
	snprintf(f->store, sizeof f->store, "%s/state.db", tap_tmpdir());
	dfix_current = f;
	signal(SIGPIPE, SIG_IGN);
	atexit(dfix_kill_all);
}

/* Read one line from fd into buf within ms; false on EOF or time. */
static bool
dfix_read_line_fd(int fd, char *buf, size_t size, unsigned ms)
{
	int64_t deadline = dfix_now_ms() + ms;
	struct pollfd pfd;
	size_t n = 0;
	ssize_t r;

	while (n + 1 < size) {
		int64_t left = deadline - dfix_now_ms();

		pfd.fd = fd;
		pfd.events = POLLIN;
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return false;
		if ((r = read(fd, buf + n, 1)) <= 0)
			return false;
		if (buf[n] == '\n') {
			buf[n] = '\0';
			return true;
		}
		n++;
	}
	return false;
}

/* Write a whole file; false on failure. */
static bool
dfix_put(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL || fputs(text, fp) == EOF) {
		if (fp != NULL)
			fclose(fp);
		return false;
	}
	return fclose(fp) == 0;
}

/* The program named by env, else nothing (the tests need it). */
static const char *
dfix_bin(const char *env)
{
	const char *p = getenv(env);

	return p != NULL && *p != '\0' ? p : NULL;
}

/* The locoircd program: $LOCOIRC_BIN, else the build tree's. */
const char *
dfix_locoircd(void)
{
	const char *p = dfix_bin("LOCOIRC_BIN");

	return p != NULL ? p : "../../src/locoircd";
}

/* Spawn locosim, read its ports and connect to its control port. */
bool
dfix_sim_start(struct dfix *f, const char *world_json)
{
	const char *bin = dfix_bin("LOCOSIM_BIN");
	char world[600], simlog[600], line[512];
	struct sockaddr_in sin;
	int out[2], fd;

	if (!ok(bin != NULL && access(bin, X_OK) == 0,
	        "the locosim program is at $LOCOSIM_BIN (%s)",
	        bin ? bin : "unset"))
		return false;
	snprintf(world, sizeof world, "%s/world.json", tap_tmpdir());
	snprintf(simlog, sizeof simlog, "%s/locosim.log", tap_tmpdir());
	if (!dfix_put(world, world_json) || pipe2(out, O_CLOEXEC) != 0) {
		ok(false, "write the world: %s", strerror(errno));
		return false;
	}
	if ((f->sim = fork()) == 0) {
#ifdef __linux__
		prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
		dup2(out[1], STDOUT_FILENO);
		if ((fd = open(simlog, O_WRONLY | O_CREAT | O_APPEND, 0600)) >=
		    0)
			dup2(fd, STDERR_FILENO);
		if ((fd = open("/dev/null", O_RDONLY)) >= 0)
			dup2(fd, STDIN_FILENO);
		execl(bin, bin, "-w", world, "--pubkey-out", f->pub,
		    "--cert-out", f->cert, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	f->sim_out = out[0];
	if (!ok(f->sim > 0, "spawn locosim"))
		return false;
	if (!ok(dfix_read_line_fd(f->sim_out, line, sizeof line, DFIX_WAIT_MS),
	        "locosim says READY"))
		return false;
	if (!ok(sscanf(line,
	            "READY booking=%u checkin=%u chat=%u media=%u http=%u "
	            "control=%u",
	            &f->sim_port[0], &f->sim_port[1], &f->sim_port[2],
	            &f->sim_port[3], &f->sim_port[4], &f->sim_port[5]) == 6,
	        "locosim's READY line names its ports")) {
		diag("%s", line);
		return false;
	}
	f->ctl = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)f->sim_port[5]);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return ok(f->ctl >= 0 &&
	        connect(f->ctl, (struct sockaddr *)&sin, sizeof sin) == 0,
	    "connect to locosim's control port");
}

/* Stop locosim with SIGTERM and reap it. */
bool
dfix_sim_stop(struct dfix *f)
{
	int status = -1;

	if (f->ctl >= 0)
		close(f->ctl);
	f->ctl = -1;
	if (f->sim <= 0)
		return false;
	kill(f->sim, SIGTERM);
	/* locosim closes its stdout only by exiting. */
	{
		char line[256];

		while (dfix_read_line_fd(f->sim_out, line, sizeof line,
		    DFIX_WAIT_MS))
			;
	}
	if (waitpid(f->sim, &status, 0) != f->sim)
		status = -1;
	f->sim = -1;
	close(f->sim_out);
	f->sim_out = -1;
	return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void dfix_ctl_vsend(struct dfix *f, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Send a formatted command line. */
static void
dfix_ctl_vsend(struct dfix *f, const char *fmt, va_list ap)
{
	/* Text commands carry whole messages: up to locosim's 64 KiB. */
	static char line[64 * 1024 + 2];
	size_t len, off = 0;
	ssize_t n;
	int w;

	w = vsnprintf(line, sizeof line - 1, fmt, ap);
	if (w < 0 || (size_t)w >= sizeof line - 1) {
		diag("control command too long (%d bytes)", w);
		return;
	}
	len = (size_t)w;
	line[len++] = '\n';
	while (f->ctl >= 0 && off < len) {
		if ((n = write(f->ctl, line + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			diag("control write: %s", strerror(errno));
			return;
		}
		off += (size_t)n;
	}
}

/* Send a control command without reading its reply. */
void
dfix_ctl_send(struct dfix *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dfix_ctl_vsend(f, fmt, ap);
	va_end(ap);
}

/* Read the next control reply line within the deadline. */
char *
dfix_ctl_reply(struct dfix *f)
{
	int64_t deadline = dfix_now_ms() + DFIX_WAIT_MS;
	struct pollfd pfd;
	char *nl, *line;
	ssize_t n;

	while (f->ctl >= 0) {
		int64_t left;

		if ((nl = memchr(f->ctl_buf, '\n', f->ctl_len)) != NULL) {
			size_t len = (size_t)(nl - f->ctl_buf);

			line = malloc(len + 1);
			memcpy(line, f->ctl_buf, len);
			line[len] = '\0';
			memmove(f->ctl_buf, nl + 1, f->ctl_len - len - 1);
			f->ctl_len -= len + 1;
			return line;
		}
		left = deadline - dfix_now_ms();
		pfd.fd = f->ctl;
		pfd.events = POLLIN;
		if (f->ctl_len == sizeof f->ctl_buf || left <= 0 ||
		    poll(&pfd, 1, (int)left) <= 0)
			break;
		n = read(f->ctl, f->ctl_buf + f->ctl_len,
		    sizeof f->ctl_buf - f->ctl_len);
		if (n <= 0)
			break;
		f->ctl_len += (size_t)n;
	}
	diag("control: no reply line");
	return NULL;
}

/* Send a control command and read its reply. */
char *
dfix_ctl(struct dfix *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dfix_ctl_vsend(f, fmt, ap);
	va_end(ap);
	return dfix_ctl_reply(f);
}

/* The number after "ok ", or INT64_MIN. */
static int64_t
dfix_ok_num(const char *reply)
{
	char *end;
	long long v;

	if (reply == NULL || strncmp(reply, "ok ", 3) != 0)
		return INT64_MIN;
	v = strtoll(reply + 3, &end, 10);
	return *end == '\0' && end != reply + 3 ? v : INT64_MIN;
}

/* Send a control command answering "ok N" and return N. */
int64_t
dfix_ctl_num(struct dfix *f, const char *fmt, ...)
{
	char *reply;
	int64_t v;
	va_list ap;

	va_start(ap, fmt);
	dfix_ctl_vsend(f, fmt, ap);
	va_end(ap);
	reply = dfix_ctl_reply(f);
	if ((v = dfix_ok_num(reply)) == INT64_MIN)
		diag("control reply: %s", reply ? reply : "(none)");
	free(reply);
	return v;
}

/* Free a message list. */
void
dfix_msgs_free(struct dfix_msg *m, ssize_t n)
{
	ssize_t i;

	for (i = 0; i < n; i++)
		free(m[i].text);
	free(m);
}

/* Every message of a chat in locosim, through "log CHAT 0". */
ssize_t
dfix_sim_log(struct dfix *f, int64_t chat, struct dfix_msg **out)
{
	struct dfix_msg *m = NULL;
	int64_t count, i;
	char *line;
	bson_error_t berr;
	bson_t doc;

	*out = NULL;
	count = dfix_ctl_num(f, "log %lld 0", (long long)chat);
	if (count < 0)
		return -1;
	m = calloc((size_t)count + 1, sizeof *m);
	for (i = 0; i < count; i++) {
		if ((line = dfix_ctl_reply(f)) == NULL)
			goto fail;
		if (!bson_init_from_json(&doc, line, -1, &berr)) {
			diag("log line '%s': %s", line, berr.message);
			free(line);
			goto fail;
		}
		free(line);
		if (loco_bson_get_i64(&doc, "logId", &m[i].log_id) != 1 ||
		    loco_bson_get_str(&doc, "message", &m[i].text) == -1 ||
		    loco_bson_get_i32(&doc, "type", &m[i].type) == -1) {
			bson_destroy(&doc);
			goto fail;
		}
		if (m[i].text == NULL)
			m[i].text = strdup("");
		bson_destroy(&doc);
	}
	line = dfix_ctl_reply(f);
	if (line == NULL || strcmp(line, ".") != 0) {
		free(line);
		goto fail;
	}
	free(line);
	*out = m;
	return (ssize_t)count;
fail:
	dfix_msgs_free(m, (ssize_t)count);
	return -1;
}

/* Open the store read-only; NULL when it does not exist (yet). */
static sqlite3 *
dfix_store_open(struct dfix *f)
{
	sqlite3 *db = NULL;

	if (access(f->store, F_OK) != 0)
		return NULL;
	if (sqlite3_open_v2(f->store, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		diag("open %s: %s", f->store, db ? sqlite3_errmsg(db) : "?");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, DFIX_WAIT_MS);
	return db;
}

/* Every message of a chat in the store, read-only. */
ssize_t
dfix_store_log(struct dfix *f, int64_t chat, struct dfix_msg **out)
{
	struct dfix_msg *m = NULL;
	sqlite3_stmt *s = NULL;
	sqlite3 *db;
	size_t n = 0, cap = 0;
	int rc;

	*out = NULL;
	if ((db = dfix_store_open(f)) == NULL)
		return 0;
	if (sqlite3_prepare_v2(db,
	        "SELECT log_id, text, type FROM messages WHERE chat_id = ?"
	        " ORDER BY log_id",
	        -1, &s, NULL) != SQLITE_OK) {
		/* The schema may not be there yet. */
		sqlite3_close(db);
		return 0;
	}
	sqlite3_bind_int64(s, 1, chat);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(s, 1);

		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			m = realloc(m, cap * sizeof *m);
		}
		m[n].log_id = sqlite3_column_int64(s, 0);
		m[n].text = strdup(t ? (const char *)t : "");
		m[n].type = sqlite3_column_int(s, 2);
		n++;
	}
	if (rc != SQLITE_DONE) {
		diag("read %s: %s", f->store, sqlite3_errmsg(db));
		sqlite3_finalize(s);
		sqlite3_close(db);
		dfix_msgs_free(m, (ssize_t)n);
		return -1;
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	*out = m;
	return (ssize_t)n;
}

/* One integer from the store. */
int64_t
dfix_store_int(struct dfix *f, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int64_t v = INT64_MIN;
	sqlite3 *db;

	if ((db = dfix_store_open(f)) == NULL)
		return INT64_MIN;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* Compare two logs; diag the first difference unless quiet. */
static bool
dfix_compare(int64_t chat, const struct dfix_msg *sim, ssize_t ns,
    const struct dfix_msg *st, ssize_t nt, bool quiet)
{
	ssize_t i;

	for (i = 0; i < ns && i < nt; i++)
		if (sim[i].log_id != st[i].log_id ||
		    strcmp(sim[i].text, st[i].text) != 0) {
			if (!quiet)
				diag("chat %lld, message %zd: locosim has %lld "
				     "'%s', the store %lld '%s'",
				    (long long)chat, i,
				    (long long)sim[i].log_id, sim[i].text,
				    (long long)st[i].log_id, st[i].text);
			return false;
		}
	if (ns != nt && !quiet)
		diag("chat %lld: locosim has %zd messages, the store %zd",
		    (long long)chat, ns, nt);
	return ns == nt;
}

/* Whether the store and locosim agree on a chat. */
bool
dfix_same_log(struct dfix *f, int64_t chat, bool quiet)
{
	struct dfix_msg *sim = NULL, *st = NULL;
	ssize_t ns, nt;
	bool same;

	ns = dfix_sim_log(f, chat, &sim);
	nt = dfix_store_log(f, chat, &st);
	same = ns >= 0 && nt >= 0 && dfix_compare(chat, sim, ns, st, nt, quiet);
	dfix_msgs_free(sim, ns);
	dfix_msgs_free(st, nt);
	return same;
}

/* Wait until the store agrees with locosim on every chat given. */
bool
dfix_wait_synced(struct dfix *f, const int64_t *chats, size_t n)
{
	int64_t deadline = dfix_now_ms() + DFIX_WAIT_MS;
	struct dfix_msg **sim = calloc(n, sizeof *sim);
	ssize_t *ns = calloc(n, sizeof *ns);
	bool all = false;
	size_t i;

	/* What locosim holds does not change while we wait. */
	for (i = 0; i < n; i++)
		if ((ns[i] = dfix_sim_log(f, chats[i], &sim[i])) < 0)
			goto out;
	/*
	 * The store has no event to wait on: look at it, then wait for the
	 * daemon's log (its progress) for a short while, until a deadline.
	 */
	for (;;) {
		all = true;
		for (i = 0; i < n && all; i++) {
			struct dfix_msg *st = NULL;
			ssize_t nt = dfix_store_log(f, chats[i], &st);

			all = nt >= 0 &&
			    dfix_compare(chats[i], sim[i], ns[i], st, nt, true);
			dfix_msgs_free(st, nt);
		}
		if (all || dfix_now_ms() > deadline)
			break;
		dfix_store_pause(f, DFIX_STORE_POLL_MS);
	}
	if (!all)
		for (i = 0; i < n; i++) {
			struct dfix_msg *st = NULL;
			ssize_t nt = dfix_store_log(f, chats[i], &st);

			dfix_compare(chats[i], sim[i], ns[i], st, nt, false);
			dfix_msgs_free(st, nt);
		}
out:
	for (i = 0; i < n; i++)
		dfix_msgs_free(sim[i], ns[i]);
	free(sim);
	free(ns);
	return all;
}

/*
 * Between two looks at the store: wait on the daemon's log for a while
 * (its progress), or, for a detached daemon without one, just that while.
 */
static void
dfix_store_pause(struct dfix *f, unsigned ms)
{
	if (f->d_err >= 0)
		dfix_pump(f, ms);
	else
		poll(NULL, 0, (int)ms);
}

/* Wait until the store holds more than n messages of a chat. */
ssize_t
dfix_wait_count(struct dfix *f, int64_t chat, ssize_t n, unsigned poll_ms)
{
	int64_t deadline = dfix_now_ms() + DFIX_WAIT_MS;
	struct dfix_msg *m;
	ssize_t have;

	/* No event says "committed": look, wait on the daemon, look again. */
	for (;;) {
		have = dfix_store_log(f, chat, &m);
		dfix_msgs_free(m, have);
		if (have > n)
			return have;
		if (dfix_now_ms() > deadline)
			return -1;
		dfix_store_pause(f, poll_ms);
	}
}

/* Write the daemon's configuration file, the token inline or in a file. */
static bool
dfix_write_conf_with(struct dfix *f, const char *token_file, const char *extra)
{
	char text[4096], tmp[640];
	bool own_store = extra != NULL && strstr(extra, "[store]") != NULL;
	bool own_irc = extra != NULL && strstr(extra, "[irc]") != NULL;
	size_t n = extra != NULL ? strlen(extra) : 0;
	bool good;

	snprintf(text, sizeof text,
	    "# written by %s\n"
	    "[account]\n"
	    "user_id = %lld\n"
	    "%s = %s\n"
	    "device_uuid = %s\n"
	    "%s%s%s"
	    "[loco]\n"
	    "booking = 127.0.0.1:%u\n"
	    "booking_ca = %s\n"
	    "rsa_public_key = %s\n"
	    "%s%s%s",
	    __FILE__, (long long)DFIX_USER,
	    token_file != NULL ? "access_token_file" : "access_token",
	    token_file != NULL ? token_file : DFIX_TOKEN, DFIX_DUUID,
	    own_store ? "" : "[store]\npath = ", own_store ? "" : f->store,
	    own_store ? "" : "\n", f->sim_port[0], f->cert, f->pub,
	    extra ? extra : "",
	    !own_irc && n > 0 && extra[n - 1] != '\n' ? "\n" : "",
	    own_irc ? "" : DFIX_IRC_SECTION);
	/* A new file replaces the old at once: a reload never reads half. */
	snprintf(tmp, sizeof tmp, "%s.new", f->conf);
	good = dfix_put(tmp, text) && chmod(tmp, 0600) == 0 &&
	    rename(tmp, f->conf) == 0;
	if (!good)
		diag("cannot write %s", f->conf);
	return good;
}

/* Write the daemon's configuration file with the token inline. */
bool
dfix_write_conf(struct dfix *f, const char *extra)
{
	return dfix_write_conf_with(f, NULL, extra);
}

/* Write the daemon's configuration file naming a token file. */
bool
dfix_write_conf_token_file(struct dfix *f, const char *token_file,
    const char *extra)
{
	return dfix_write_conf_with(f, token_file, extra);
}

/* Write a token file as conf_read_token accepts it. */
bool
dfix_write_token(const char *path, const char *token)
{
	char tmp[1024];
	bool good;
	FILE *fp;
	int fd;

	snprintf(tmp, sizeof tmp, "%s.new", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) <
	        0 ||
	    (fp = fdopen(fd, "w")) == NULL) {
		diag("cannot write %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	good = fprintf(fp, "%s\n", token) >= 0;
	if (fclose(fp) != 0)
		good = false;
	if (!good || rename(tmp, path) != 0) {
		diag("cannot write %s: %s", path, strerror(errno));
		return false;
	}
	return true;
}

/* Append what arrived on the daemon's stderr. */
static void
dfix_take(struct dfix *f, const char *buf, size_t n)
{
	f->log = realloc(f->log, f->log_len + n + 1);
	memcpy(f->log + f->log_len, buf, n);
	f->log_len += n;
	f->log[f->log_len] = '\0';
	if (getenv("LOCOIRC_TEST_VERBOSE") != NULL &&
	    strcmp(getenv("LOCOIRC_TEST_VERBOSE"), "1") == 0)
		diag("locoircd: %.*s", (int)n, buf);
}

/* Read what the daemon logs for up to ms. */
void
dfix_pump(struct dfix *f, unsigned ms)
{
	struct pollfd pfd;
	char buf[65536];
	ssize_t n;

	if (f->d_err < 0)
		return;
	pfd.fd = f->d_err;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, (int)ms) <= 0)
		return;
	if ((n = read(f->d_err, buf, sizeof buf)) > 0) {
		dfix_take(f, buf, (size_t)n);
		return;
	}
	close(f->d_err);
	f->d_err = -1;
}

/* Read what the daemon logged, without waiting. */
int
dfix_pump_now(void *arg)
{
	struct dfix *f = arg;

	dfix_pump(f, 0);
	return f->d_err;
}

/* Start locosim and locoircd for an IRC test. */
bool
dfix_irc_boot(struct dfix *f, const char *extra)
{
	static const int64_t chats[] = {DFIX_GROUP, DFIX_SECOND, DFIX_DIRECT,
	    DFIX_MEMO};

	if (!dfix_sim_start(f, DFIX_IRC_WORLD) || !dfix_write_conf(f, extra) ||
	    !dfix_daemon_start(f, NULL))
		return false;
	if (!ok(f->irc_port != 0, "locoircd listens for IRC (port %u)",
	        f->irc_port))
		return false;
	return ok(dfix_wait_synced(f, chats, sizeof chats / sizeof chats[0]),
	    "the store holds every chat's history");
}

/* Stop both programs; the daemon must exit 0. */
void
dfix_irc_end(struct dfix *f)
{
	int status;

	if (f->d > 0) {
		status = dfix_daemon_stop(f, SIGTERM);
		ok(status != -1 && WIFEXITED(status) &&
		        WEXITSTATUS(status) == 0,
		    "locoircd exits 0 on SIGTERM (status 0x%x)", status);
	}
	if (f->sim > 0)
		ok(dfix_sim_stop(f), "locosim exits 0");
}

/* Where the daemon's log ends now. */
size_t
dfix_log_mark(const struct dfix *f)
{
	return f->log_len;
}

/* Whether the current run's log holds text. */
bool
dfix_log_has(const struct dfix *f, const char *text)
{
	return f->log != NULL && f->log_len > f->run_start &&
	    strstr(f->log + f->run_start, text) != NULL;
}

/* Whether the log between from and its end holds text. */
bool
dfix_log_since(const struct dfix *f, size_t from, const char *text)
{
	return f->log != NULL && from < f->log_len &&
	    strstr(f->log + from, text) != NULL;
}

/* How many times text occurs in the log after from. */
int
dfix_count_since(const struct dfix *f, size_t from, const char *text)
{
	const char *p;
	int n = 0;

	if (f->log == NULL || from >= f->log_len)
		return 0;
	for (p = f->log + from; (p = strstr(p, text)) != NULL; p++)
		n++;
	return n;
}

/* Whether a control reply is exactly "ok" (frees it). */
bool
dfix_reply_ok(char *reply)
{
	bool good = reply != NULL && strcmp(reply, "ok") == 0;

	if (!good)
		diag("control reply: %s", reply ? reply : "(none)");
	free(reply);
	return good;
}

/* Wait until the log after *mark holds text. */
bool
dfix_log_wait(struct dfix *f, size_t *mark, const char *text)
{
	int64_t deadline = dfix_now_ms() + DFIX_WAIT_MS;
	const char *at;

	if (*mark < f->run_start)
		*mark = f->run_start;
	for (;;) {
		if (f->log != NULL && *mark < f->log_len &&
		    (at = strstr(f->log + *mark, text)) != NULL) {
			*mark = (size_t)(at - f->log) + strlen(text);
			return true;
		}
		if (f->d_err < 0 || dfix_now_ms() > deadline)
			return false;
		dfix_pump(f, (unsigned)(deadline - dfix_now_ms()));
	}
}

/* Build the argv to run locoircd, under $LOCOIRC_TEST_WRAPPER if set. */
static char **
dfix_argv(const char *const *pre, const char *const *args)
{
	const char *wrap = getenv("LOCOIRC_TEST_WRAPPER");
	char **argv = calloc(64, sizeof *argv), *copy = NULL, *w, *save;
	size_t n = 0, i;

	if (wrap != NULL && *wrap != '\0') {
		copy = strdup(wrap);
		for (w = strtok_r(copy, " ", &save); w != NULL && n < 16;
		     w = strtok_r(NULL, " ", &save))
			argv[n++] = strdup(w);
		free(copy);
	}
	argv[n++] = strdup(dfix_locoircd());
	for (i = 0; pre != NULL && pre[i] != NULL && n < 62; i++)
		argv[n++] = strdup(pre[i]);
	for (i = 0; args != NULL && args[i] != NULL && n < 62; i++)
		argv[n++] = strdup(args[i]);
	argv[n] = NULL;
	return argv;
}

/* Free what dfix_argv made. */
static void
dfix_argv_free(char **argv)
{
	size_t i;

	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

/* Spawn locoircd in the foreground and wait for READY. */
bool
dfix_daemon_start(struct dfix *f, const char *const *args)
{
	const char *pre[] = {"-f", "-c", f->conf, "--ready-fd=3", NULL};
	char line[256], **argv;
	int ready[2], err[2], fd;
	int64_t deadline;
	bool got = false;

	if (pipe2(ready, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
		ok(false, "pipes: %s", strerror(errno));
		return false;
	}
	argv = dfix_argv(pre, args);
	f->run_start = f->log_len;
	if ((f->d = fork()) == 0) {
#ifdef __linux__
		prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
		dup2(err[1], STDERR_FILENO);
		dup2(err[1], STDOUT_FILENO);
		dup2(ready[1], 3);
		if ((fd = open("/dev/null", O_RDONLY)) >= 0)
			dup2(fd, STDIN_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	dfix_argv_free(argv);
	close(ready[1]);
	close(err[1]);
	f->d_err = err[0];
	if (!ok(f->d > 0, "spawn locoircd")) {
		close(ready[0]);
		return false;
	}
	/* Wait for READY, reading the log meanwhile so it cannot block. */
	deadline = dfix_now_ms() + DFIX_WAIT_MS;
	while (!got && dfix_now_ms() < deadline) {
		struct pollfd pfd[2];

		pfd[0].fd = ready[0];
		pfd[0].events = POLLIN;
		pfd[1].fd = f->d_err;
		pfd[1].events = POLLIN;
		if (poll(pfd, f->d_err >= 0 ? 2 : 1,
		        (int)(deadline - dfix_now_ms())) <= 0)
			break;
		if (pfd[0].revents != 0) {
			got = dfix_read_line_fd(ready[0], line, sizeof line,
			    DFIX_WAIT_MS);
			if (!got)
				break;
		}
		if (f->d_err >= 0 && pfd[1].revents != 0)
			dfix_pump(f, 0);
	}
	close(ready[0]);
	if (!ok(got, "locoircd says READY")) {
		diag("its log:\n%s", f->log ? f->log + f->run_start : "");
		return false;
	}
	if (!ok(dfix_parse_ready(line, &f->irc_port, &f->ircs_port),
	        "the READY line names the IRC listeners")) {
		diag("READY line: '%s'", line);
		return false;
	}
	return true;
}

/* One "key=HOST:PORT[,HOST:PORT...]" (or "key=none") word: the first
 * port, 0 for none. */
static bool
dfix_ready_port(const char *word, size_t len, const char *key, unsigned *port)
{
	size_t klen = strlen(key);
	const char *colon = NULL, *p;
	unsigned v = 0;

	if (len <= klen + 1 || strncmp(word, key, klen) != 0 ||
	    word[klen] != '=')
		return false;
	word += klen + 1;
	len -= klen + 1;
	/* Several listeners are listed with commas: the first is ours. */
	for (p = word; p < word + len; p++)
		if (*p == ',') {
			len = (size_t)(p - word);
			break;
		}
	if (len == 4 && strncmp(word, "none", 4) == 0) {
		*port = 0;
		return true;
	}
	for (p = word; p < word + len; p++)
		if (*p == ':')
			colon = p;
	if (colon == NULL || colon == word || colon + 1 == word + len)
		return false;
	for (p = colon + 1; p < word + len; p++) {
		if (*p < '0' || *p > '9' || v > 65535)
			return false;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (v == 0 || v > 65535)
		return false;
	*port = v;
	return true;
}

/* Parse "READY irc=HOST:PORT [ircs=HOST:PORT]" (or irc=none). */
bool
dfix_parse_ready(const char *line, unsigned *irc, unsigned *ircs)
{
	const char *p, *end;

	*irc = *ircs = 0;
	if (strncmp(line, "READY ", 6) != 0)
		return false;
	p = line + 6;
	end = strchr(p, ' ');
	if (end == NULL)
		end = p + strlen(p);
	if (!dfix_ready_port(p, (size_t)(end - p), "irc", irc))
		return false;
	if (*end == '\0')
		return true;
	p = end + 1;
	end = p + strlen(p);
	return dfix_ready_port(p, (size_t)(end - p), "ircs", ircs);
}

/* Signal locoircd, read its log to the end and reap it. */
int
dfix_daemon_stop(struct dfix *f, int sig)
{
	int64_t deadline = dfix_now_ms() + DFIX_WAIT_MS;
	int status = -1;

	if (f->d <= 0)
		return -1;
	kill(f->d, sig);
	/* Its stderr reaches EOF when it exits; read everything till then. */
	while (f->d_err >= 0 && dfix_now_ms() < deadline)
		dfix_pump(f, (unsigned)(deadline - dfix_now_ms()));
	if (f->d_err >= 0) {
		diag("locoircd did not exit after signal %d", sig);
		kill(f->d, SIGKILL);
		close(f->d_err);
		f->d_err = -1;
		waitpid(f->d, NULL, 0);
	} else if (waitpid(f->d, &status, 0) != f->d)
		status = -1;
	f->d = -1;
	return status;
}

/* Read two descriptors to EOF (or the deadline) into malloc'd strings. */
static void
dfix_slurp2(int a, int b, char **outa, char **outb)
{
	int64_t deadline = dfix_now_ms() + DFIX_WAIT_MS;
	int fds[2] = {a, b};
	char *bufs[2] = {calloc(1, 1), calloc(1, 1)};
	size_t lens[2] = {0, 0};
	char tmp[4096];
	ssize_t n;
	int i;

	while ((fds[0] >= 0 || fds[1] >= 0) && dfix_now_ms() < deadline) {
		struct pollfd pfd[2];

		for (i = 0; i < 2; i++) {
			pfd[i].fd = fds[i];
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, 2, (int)(deadline - dfix_now_ms())) <= 0)
			break;
		for (i = 0; i < 2; i++) {
			if (fds[i] < 0 || pfd[i].revents == 0)
				continue;
			if ((n = read(fds[i], tmp, sizeof tmp)) <= 0) {
				close(fds[i]);
				fds[i] = -1;
				continue;
			}
			bufs[i] = realloc(bufs[i], lens[i] + (size_t)n + 1);
			memcpy(bufs[i] + lens[i], tmp, (size_t)n);
			lens[i] += (size_t)n;
			bufs[i][lens[i]] = '\0';
		}
	}
	for (i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	*outa = bufs[0];
	*outb = bufs[1];
}

/* Run locoircd to completion, capturing its output. */
int
dfix_run(const char *const *args, char **out, char **err)
{
	int po[2], pe[2], status = -1, fd;
	char **argv;
	pid_t pid;

	*out = *err = NULL;
	if (pipe2(po, O_CLOEXEC) != 0 || pipe2(pe, O_CLOEXEC) != 0)
		return -1;
	argv = dfix_argv(NULL, args);
	if ((pid = fork()) == 0) {
#ifdef __linux__
		prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
		dup2(po[1], STDOUT_FILENO);
		dup2(pe[1], STDERR_FILENO);
		if ((fd = open("/dev/null", O_RDONLY)) >= 0)
			dup2(fd, STDIN_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	dfix_argv_free(argv);
	close(po[1]);
	close(pe[1]);
	if (pid < 0) {
		close(po[0]);
		close(pe[0]);
		return -1;
	}
	dfix_slurp2(po[0], pe[0], out, err);
	if (waitpid(pid, &status, 0) != pid)
		status = -1;
	return status;
}
