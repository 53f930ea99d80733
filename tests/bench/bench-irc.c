/* locoirc: see LICENSE.
 *
 * The IRC benchmark: locosim pushes N messages into a few chats while K
 * raw IRC clients are attached to the real locoircd, and one client
 * attaches to an account with a thousand chats. It prints delivery rate,
 * push-to-line latency, locoircd's CPU time and peak RSS; it asserts no
 * timings (the machine decides those) and fails only when a case cannot
 * run to the end. Every wait has a deadline; nothing sleeps.
 *
 * Each pushed text is "bench SEQ NS", NS being CLOCK_MONOTONIC at the push
 * in this process, so a client computes the latency from the line alone.
 * The pusher keeps at most a window of messages ahead of the slowest
 * client: the figures are those of a saturated gateway with a bounded
 * queue, not of a backlog growing for the whole run.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon-fixture.h"
#include "tap.h"

/* Messages pushed per load case unless $BENCH_N says otherwise. */
#define BENCH_N_DEFAULT 20000
/* Chats the load cases push into, round robin. */
#define BENCH_CHATS 10
/* Messages pushed but not yet seen by the slowest client ($BENCH_WINDOW). */
#define BENCH_WINDOW_DEFAULT 200
/* Chats (and messages in each) of the attach case ($BENCH_ATTACH_CHATS). */
#define BENCH_ATTACH_CHATS 1000
#define BENCH_ATTACH_MSGS 3
/* Other users of the attach world; each chat has two of them. */
#define BENCH_ATTACH_USERS 20
/* The first chat id of every world. */
#define BENCH_CHAT0 1000
/* The users the load cases post as (members of every chat). */
#define BENCH_BOB INT64_C(7000000002)
#define BENCH_CAROL INT64_C(7000000003)
/* The first of the attach world's other users. */
#define BENCH_USER0 INT64_C(7000000100)
/* Most clients one case attaches. */
#define BENCH_CLIENTS_MAX 64
/* Bounds of one phase: boot and store sync, attach, the push. */
#define BENCH_SYNC_MS 120000
#define BENCH_ATTACH_MS 120000
#define BENCH_PUSH_MS 300000
/* Silence after the last 366 before the attach case pings on its own. */
#define BENCH_IDLE_MS 2000
/* The whole program's watchdog, in seconds. */
#define BENCH_WATCHDOG 1500
/* Prefix of the gateway's delivery PINGs (gateway/bridge.c). */
#define BENCH_ACK_PREFIX "locoirc-ack-"
/* Token of our own PING in the attach fallback. */
#define BENCH_SYNC_TOKEN "bench-sync"

/* Where a client is. */
enum bench_phase {
	BENCH_REG,   /* registering: waiting for 001 */
	BENCH_BURST, /* burst and backlog: waiting for the delivery PING */
	BENCH_LIVE,  /* attached: counting messages */
	BENCH_DEAD,  /* closed or failed; why says why */
};

/* One raw IRC client. */
struct bench_client {
	int fd;
	char name[32];
	enum bench_phase phase;
	char in[1 << 16]; /* bytes not yet read as lines */
	size_t in_len;
	char out[4096]; /* lines not yet written */
	size_t out_len;

	int64_t t_connect, t_001, t_end; /* ns */
	bool by_sync;                    /* t_end is our PING's, not an ack */
	bool sync_sent;
	int64_t t_last_line; /* ns, any line */
	uint64_t lines, bytes;
	size_t ends;     /* 366 (end of NAMES): one per channel shown */
	size_t privmsgs; /* any PRIVMSG */

	size_t got, dups, bad; /* bench lines: first seen, again, malformed */
	int64_t *lat;          /* owned; latency (ns) of each first sighting */
	uint8_t *seen;         /* owned; a bit per sequence number */
	int64_t t_last;        /* ns of the last bench line */
	char why[160];
};

/* One case in progress: the fixture, the clients, the pusher. */
struct bench_run {
	struct dfix *f; /* borrowed */
	struct bench_client *c;
	size_t k;
	size_t n;      /* messages to push (0: none, attach case) */
	size_t chats;  /* chats to push into */
	size_t window; /* pushed but not yet seen by the slowest client */

	bool pushing;
	size_t pushed, replied, ctl_errs;
	char ctl_err[160];  /* the first refusal */
	char cout[1 << 16]; /* control commands not yet written */
	size_t cout_len;
	char cin[4096]; /* control replies not yet read as lines */
	size_t cin_len;
	int64_t t_first_push;
};

/* What a load case measured. */
struct bench_load_row {
	size_t k, n, delivered, dups;
	double rate;         /* messages/s per client */
	double p50, p99, mx; /* ms */
	double cpu, sim_cpu; /* s per 100k messages */
	long hwm_kb;
	bool complete;
};

/* What the attach case measured. */
struct bench_attach_row {
	size_t chats, msgs;
	double t_001, t_end; /* ms after connect */
	bool by_sync;
	uint64_t lines, bytes;
	size_t ends, privmsgs;
	double cpu; /* s, during the attach */
	long hwm_before_kb, hwm_kb, rss_kb;
	bool complete;
};

static struct dfix fixture; /* static: the fixture's atexit handler reads it */

static int64_t bench_now(void);
static int bench_cmp_i64(const void *a, const void *b);
static bool bench_env_size(const char *name, size_t def, size_t lo, size_t hi,
    size_t *out);
static double bench_proc_cpu(pid_t pid);
static long bench_proc_kb(pid_t pid, const char *key);
static char *bench_world_load(size_t chats);
static char *bench_world_attach(size_t chats, size_t msgs);
static bool bench_boot(struct dfix *f, const char *world, const char *count_sql,
    int64_t want);
static void bench_end(struct dfix *f);
static bool bench_client_open(struct bench_client *c, unsigned port,
    const char *name, size_t n);
static void bench_client_close(struct bench_client *c);
static void bench_client_queue(struct bench_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void bench_client_flush(struct bench_client *c);
static void bench_client_die(struct bench_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void bench_client_line(struct bench_run *r, struct bench_client *c,
    char *line, size_t len, int64_t now);
static void bench_client_read(struct bench_run *r, struct bench_client *c);
static void bench_push_fill(struct bench_run *r);
static void bench_ctl_io(struct bench_run *r, short revents);
static bool bench_all_attached(const struct bench_run *r);
static bool bench_all_delivered(const struct bench_run *r);
static bool bench_loop(struct bench_run *r, int64_t deadline_ms,
    bool (*done)(const struct bench_run *));
static bool bench_load(struct dfix *f, size_t k, size_t n, size_t window,
    struct bench_load_row *row);
static bool bench_attach(struct dfix *f, size_t chats, size_t msgs,
    struct bench_attach_row *row);

/* Nanoseconds on the monotonic clock (the one the pushed texts carry). */
static int64_t
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* qsort order for latencies. */
static int
bench_cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* A size from the environment within [lo, hi], else def; false when set
 * but bad (diagnosed). */
static bool
bench_env_size(const char *name, size_t def, size_t lo, size_t hi, size_t *out)
{
	const char *s = getenv(name);
	unsigned long long v;
	char *end;

	*out = def;
	if (s == NULL || *s == '\0')
		return true;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || *s < '0' || *s > '9' || v < lo ||
	    v > hi) {
		fprintf(stderr,
		    "bench-irc: %s must be a number in [%zu, %zu], "
		    "not '%s'\n",
		    name, lo, hi, s);
		return false;
	}
	*out = (size_t)v;
	return true;
}

/* utime + stime of pid in seconds, or -1 (/proc/PID/stat). */
static double
bench_proc_cpu(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: skip past the
	 * last ')'; utime and stime are then the 12th and 13th fields. */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	p++;
	for (i = 0; i < 11; i++) {
		while (*p == ' ')
			p++;
		while (*p != ' ' && *p != '\0')
			p++;
	}
	if (sscanf(p, " %llu %llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* A "Key:  N kB" value of /proc/PID/status, or -1. */
static long
bench_proc_kb(pid_t pid, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *fp;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof line, fp) != NULL)
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	fclose(fp);
	return v;
}

/*
 * The load cases' world (malloc'd JSON): alice, bob and carol in chats
 * group chats, each with one message so that the burst has a backlog and
 * so ends with the gateway's delivery PING.
 */
static char *
bench_world_load(size_t chats)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *fp = open_memstream(&buf, &len);

	if (fp == NULL)
		return NULL;
	fprintf(fp,
	    "{\"users\": ["
	    "{\"userId\": %" PRId64 ", \"nickName\": \"Alice\"},"
	    "{\"userId\": %" PRId64 ", \"nickName\": \"Bob\"},"
	    "{\"userId\": %" PRId64 ", \"nickName\": \"Carol\"}],"
	    " \"accounts\": [{\"userId\": %" PRId64 ", \"accessToken\": "
	    "\"%s\", \"deviceUuid\": \"%s\"}],"
	    " \"chats\": [",
	    DFIX_USER, BENCH_BOB, BENCH_CAROL, DFIX_USER, DFIX_TOKEN,
	    DFIX_DUUID);
	for (i = 0; i < chats; i++)
		fprintf(fp,
		    "%s{\"chatId\": %zu, \"type\": \"MultiChat\", "
		    "\"title\": \"Bench %zu\", \"members\": [%" PRId64
		    ", %" PRId64 ", %" PRId64 "], \"messages\": "
		    "[{\"authorId\": %" PRId64 ", \"message\": \"start\"}]}",
		    i > 0 ? "," : "", BENCH_CHAT0 + i, i, DFIX_USER, BENCH_BOB,
		    BENCH_CAROL, BENCH_BOB);
	fputs("]}", fp);
	if (fclose(fp) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The attach case's world (malloc'd JSON): chats group chats of alice
 * and two of BENCH_ATTACH_USERS others, msgs messages each. */
static char *
bench_world_attach(size_t chats, size_t msgs)
{
	char *buf = NULL;
	size_t len = 0, i, j;
	FILE *fp = open_memstream(&buf, &len);

	if (fp == NULL)
		return NULL;
	fprintf(fp,
	    "{\"users\": [{\"userId\": %" PRId64 ", \"nickName\": \"Alice\"}",
	    DFIX_USER);
	for (i = 0; i < BENCH_ATTACH_USERS; i++)
		fprintf(fp,
		    ", {\"userId\": %" PRId64 ", \"nickName\": \"User%zu\"}",
		    BENCH_USER0 + (int64_t)i, i);
	fprintf(fp,
	    "], \"accounts\": [{\"userId\": %" PRId64 ", \"accessToken\": "
	    "\"%s\", \"deviceUuid\": \"%s\"}], \"chats\": [",
	    DFIX_USER, DFIX_TOKEN, DFIX_DUUID);
	for (i = 0; i < chats; i++) {
		int64_t a = BENCH_USER0 + (int64_t)(i % BENCH_ATTACH_USERS);
		int64_t b =
		    BENCH_USER0 + (int64_t)((i + 7) % BENCH_ATTACH_USERS);

		fprintf(fp,
		    "%s{\"chatId\": %zu, \"type\": \"MultiChat\", "
		    "\"title\": \"Room %04zu\", \"members\": [%" PRId64
		    ", %" PRId64 ", %" PRId64 "], \"messages\": [",
		    i > 0 ? "," : "", BENCH_CHAT0 + i, i, DFIX_USER, a, b);
		for (j = 0; j < msgs; j++)
			fprintf(fp,
			    "%s{\"authorId\": %" PRId64 ", \"message\": "
			    "\"hello %zu from room %zu\"}",
			    j > 0 ? "," : "", j % 2 ? b : a, j, i);
		fputs("]}", fp);
	}
	fputs("]}", fp);
	if (fclose(fp) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * Start locosim with world and locoircd on it, then wait until count_sql
 * on the store reaches want (the history the clients must see).
 */
static bool
bench_boot(struct dfix *f, const char *world, const char *count_sql,
    int64_t want)
{
	int64_t deadline = bench_now() / 1000000 + BENCH_SYNC_MS, have;

	f->ctl_len = 0;
	if (world == NULL || !dfix_sim_start(f, world) ||
	    !dfix_write_conf(f, NULL) || !dfix_daemon_start(f, NULL))
		return false;
	if (!ok(f->irc_port != 0, "locoircd listens for IRC (port %u)",
	        f->irc_port))
		return false;
	/* No event says "stored": look, wait on the daemon's log, look. */
	for (;;) {
		have = dfix_store_int(f, count_sql);
		if (have >= want || bench_now() / 1000000 > deadline)
			break;
		dfix_pump(f, 100);
	}
	if (!ok(have >= want,
	        "the store holds the world (%" PRId64 " of %" PRId64 ")",
	        have == INT64_MIN ? 0 : have, want))
		return false;
	return true;
}

/* Stop locoircd (it must exit 0) and locosim, and drop the store. */
static void
bench_end(struct dfix *f)
{
	const char *sfx[] = {"", "-wal", "-shm"};
	char path[700];
	int status;
	size_t i;

	if (f->d > 0) {
		status = dfix_daemon_stop(f, SIGTERM);
		ok(status != -1 && WIFEXITED(status) &&
		        WEXITSTATUS(status) == 0,
		    "locoircd exits 0 on SIGTERM (status 0x%x)", status);
	}
	if (f->sim > 0)
		ok(dfix_sim_stop(f), "locosim exits 0");
	/* The next case starts from an empty store. */
	for (i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		snprintf(path, sizeof path, "%s%s", f->store, sfx[i]);
		unlink(path);
	}
}

/* Connect c to 127.0.0.1:port and queue its registration as
 * alice@name; n is the number of sequence numbers it may see. */
static bool
bench_client_open(struct bench_client *c, unsigned port, const char *name,
    size_t n)
{
	struct sockaddr_in sin;
	int fl;

	memset(c, 0, sizeof *c);
	snprintf(c->name, sizeof c->name, "%s", name);
	c->phase = BENCH_DEAD;
	c->lat = calloc(n > 0 ? n : 1, sizeof *c->lat);
	c->seen = calloc(n / 8 + 1, 1);
	c->t_connect = bench_now();
	if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		diag("%s: socket: %s", name, strerror(errno));
		return false;
	}
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* Loopback connects at once; the reads are what must not block. */
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof sin) != 0 ||
	    (fl = fcntl(c->fd, F_GETFL)) == -1 ||
	    fcntl(c->fd, F_SETFL, fl | O_NONBLOCK) == -1) {
		diag("%s: connect to port %u: %s", name, port, strerror(errno));
		close(c->fd);
		c->fd = -1;
		return false;
	}
	c->phase = BENCH_REG;
	c->t_last_line = c->t_connect;
	bench_client_queue(c, "PASS alice@%s:%s", name, DFIX_IRC_PASSWORD);
	bench_client_queue(c, "NICK alice");
	bench_client_queue(c, "USER alice 0 * :bench");
	return true;
}

/* Close c's socket and free what it owns. */
static void
bench_client_close(struct bench_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->lat);
	free(c->seen);
	c->lat = NULL;
	c->seen = NULL;
}

/* Mark c dead with a reason (the first one is kept). */
static void
bench_client_die(struct bench_client *c, const char *fmt, ...)
{
	va_list ap;

	if (c->phase == BENCH_DEAD)
		return;
	c->phase = BENCH_DEAD;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof c->why, fmt, ap);
	va_end(ap);
	diag("%s: %s", c->name, c->why);
}

/*
 * Queue one line (CRLF added); the loop writes it. Lines queued together
 * leave in one write, as the registration must: three small writes would
 * wait on Nagle and the daemon's delayed ACK, and time our client.
 */
static void
bench_client_queue(struct bench_client *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->phase == BENCH_DEAD)
		return;
	va_start(ap, fmt);
	n = vsnprintf(c->out + c->out_len, sizeof c->out - c->out_len - 2, fmt,
	    ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof c->out - c->out_len - 2) {
		/* We only send PONGs; a full queue means the server stalls. */
		bench_client_die(c, "output queue full");
		return;
	}
	c->out_len += (size_t)n;
	memcpy(c->out + c->out_len, "\r\n", 2);
	c->out_len += 2;
}

/* Write what c has queued, as far as the socket takes it. */
static void
bench_client_flush(struct bench_client *c)
{
	ssize_t n;

	while (c->phase != BENCH_DEAD && c->out_len > 0) {
		n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				bench_client_die(c, "write: %s",
				    strerror(errno));
			return;
		}
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
}

/*
 * One line from the server (len bytes, no CR/LF, NUL-terminated): count
 * it, answer PINGs, follow registration and the burst, and time bench
 * messages.
 */
static void
bench_client_line(struct bench_run *r, struct bench_client *c, char *line,
    size_t len, int64_t now)
{
	char *p = line, *cmd, *rest, *text, *end;
	unsigned long long seq, ns;

	c->lines++;
	c->bytes += len + 2;
	c->t_last_line = now;
	/* Skip the tags and the source; what remains is "CMD params". */
	if (*p == '@' && (p = strchr(p, ' ')) == NULL)
		return;
	while (*p == ' ')
		p++;
	if (*p == ':' && (p = strchr(p, ' ')) == NULL)
		return;
	while (*p == ' ')
		p++;
	cmd = p;
	if ((rest = strchr(p, ' ')) != NULL)
		*rest++ = '\0';
	else
		rest = p + strlen(p);

	if (strcmp(cmd, "PING") == 0) {
		if (*rest == ':')
			rest++;
		bench_client_queue(c, "PONG :%s", rest);
		if (c->phase == BENCH_BURST &&
		    strncmp(rest, BENCH_ACK_PREFIX,
		        sizeof BENCH_ACK_PREFIX - 1) == 0) {
			c->phase = BENCH_LIVE;
			c->t_end = now;
		}
		return;
	}
	if (strcmp(cmd, "PONG") == 0) {
		if (c->phase == BENCH_BURST && c->sync_sent &&
		    strstr(rest, BENCH_SYNC_TOKEN) != NULL) {
			c->phase = BENCH_LIVE;
			c->t_end = now;
			c->by_sync = true;
		}
		return;
	}
	if (strcmp(cmd, "001") == 0) {
		if (c->phase == BENCH_REG) {
			c->phase = BENCH_BURST;
			c->t_001 = now;
		}
		return;
	}
	if (strcmp(cmd, "366") == 0) {
		c->ends++;
		return;
	}
	if (strcmp(cmd, "464") == 0 || strcmp(cmd, "ERROR") == 0) {
		bench_client_die(c, "refused: %s", line);
		return;
	}
	if (strcmp(cmd, "PRIVMSG") != 0)
		return;
	c->privmsgs++;
	if ((text = strstr(rest, " :")) == NULL ||
	    strncmp(text + 2, "bench ", 6) != 0)
		return;
	errno = 0;
	seq = strtoull(text + 8, &end, 10);
	if (errno != 0 || *end != ' ' || seq >= r->n) {
		c->bad++;
		return;
	}
	ns = strtoull(end + 1, &end, 10);
	if (errno != 0 || *end != '\0') {
		c->bad++;
		return;
	}
	if (c->seen[seq / 8] & (1u << (seq % 8))) {
		c->dups++;
		return;
	}
	c->seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
	c->lat[c->got++] = now - (int64_t)ns;
	c->t_last = now;
}

/* Read what arrived for c and hand over every complete line. */
static void
bench_client_read(struct bench_run *r, struct bench_client *c)
{
	int64_t now;
	size_t off, i;
	ssize_t n;

	for (;;) {
		if (c->in_len == sizeof c->in) {
			bench_client_die(c, "a line longer than %zu bytes",
			    sizeof c->in);
			return;
		}
		n = read(c->fd, c->in + c->in_len, sizeof c->in - c->in_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			bench_client_die(c, "%s after %" PRIu64 " lines",
			    n == 0 ? "closed by the server" : strerror(errno),
			    c->lines);
			return;
		}
		/* One clock reading per read: lines in it arrived together. */
		now = bench_now();
		c->in_len += (size_t)n;
		off = 0;
		for (i = 0; i < c->in_len && c->phase != BENCH_DEAD; i++) {
			size_t len;

			if (c->in[i] != '\n')
				continue;
			len = i - off;
			if (len > 0 && c->in[off + len - 1] == '\r')
				len--;
			c->in[off + len] = '\0';
			bench_client_line(r, c, c->in + off, len, now);
			off = i + 1;
		}
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
		if (c->phase == BENCH_DEAD)
			return;
	}
}

/* Queue control commands while the window allows. */
static void
bench_push_fill(struct bench_run *r)
{
	size_t slowest = SIZE_MAX, i;

	if (!r->pushing)
		return;
	for (i = 0; i < r->k; i++)
		if (r->c[i].phase == BENCH_LIVE && r->c[i].got < slowest)
			slowest = r->c[i].got;
	if (slowest == SIZE_MAX)
		return;
	while (r->pushed < r->n && r->pushed - slowest < r->window &&
	    sizeof r->cout - r->cout_len > 128) {
		size_t chat = BENCH_CHAT0 + r->pushed % r->chats;
		int64_t author = r->pushed % 2 ? BENCH_CAROL : BENCH_BOB;
		int64_t now = bench_now();
		int len;

		if (r->pushed == 0)
			r->t_first_push = now;
		len = snprintf(r->cout + r->cout_len,
		    sizeof r->cout - r->cout_len,
		    "send %zu %" PRId64 " bench %zu %" PRId64 "\n", chat,
		    author, r->pushed, now);
		r->cout_len += (size_t)len;
		r->pushed++;
	}
}

/* Write queued control commands and count the replies. */
static void
bench_ctl_io(struct bench_run *r, short revents)
{
	int fd = r->f->ctl;
	size_t off, i;
	ssize_t n;

	while (r->cout_len > 0) {
		n = send(fd, r->cout, r->cout_len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EINTR && errno != EAGAIN &&
			    errno != EWOULDBLOCK) {
				diag("control write: %s", strerror(errno));
				r->pushing = false;
				r->cout_len = 0;
			}
			break;
		}
		memmove(r->cout, r->cout + n, r->cout_len - (size_t)n);
		r->cout_len -= (size_t)n;
	}
	if ((revents & (POLLIN | POLLHUP | POLLERR)) == 0)
		return;
	for (;;) {
		n = read(fd, r->cin + r->cin_len, sizeof r->cin - r->cin_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0 ||
			    (errno != EAGAIN && errno != EWOULDBLOCK)) {
				diag("control socket closed");
				r->pushing = false;
			}
			return;
		}
		r->cin_len += (size_t)n;
		off = 0;
		for (i = 0; i < r->cin_len; i++) {
			if (r->cin[i] != '\n')
				continue;
			if (strncmp(r->cin + off, "ok ", 3) == 0)
				r->replied++;
			else if (r->ctl_errs++ == 0)
				snprintf(r->ctl_err, sizeof r->ctl_err, "%.*s",
				    (int)(i - off), r->cin + off);
			off = i + 1;
		}
		if (off == 0 && r->cin_len == sizeof r->cin) {
			diag("control: a reply line too long");
			r->pushing = false;
			return;
		}
		memmove(r->cin, r->cin + off, r->cin_len - off);
		r->cin_len -= off;
	}
}

/* Whether every client is past its burst (or dead). */
static bool
bench_all_attached(const struct bench_run *r)
{
	size_t i;

	for (i = 0; i < r->k; i++)
		if (r->c[i].phase == BENCH_REG || r->c[i].phase == BENCH_BURST)
			return false;
	return true;
}

/* Whether every live client has seen every message (or none is left). */
static bool
bench_all_delivered(const struct bench_run *r)
{
	size_t i;

	for (i = 0; i < r->k; i++)
		if (r->c[i].phase == BENCH_LIVE && r->c[i].got < r->n)
			return false;
	return true;
}

/*
 * Drive the clients, the pusher and the daemon's log until done holds or
 * the deadline (ms on the monotonic clock) passes; returns done's answer.
 */
static bool
bench_loop(struct bench_run *r, int64_t deadline_ms,
    bool (*done)(const struct bench_run *))
{
	struct pollfd pfd[BENCH_CLIENTS_MAX + 2];
	size_t i;

	for (;;) {
		int64_t left = deadline_ms - bench_now() / 1000000;
		int64_t now = bench_now();

		if (done(r))
			return true;
		if (left <= 0)
			return false;
		/* The attach fallback: all channels shown, then silence. */
		for (i = 0; i < r->k && r->n == 0; i++) {
			struct bench_client *c = &r->c[i];

			if (c->phase == BENCH_BURST && !c->sync_sent &&
			    c->ends >= r->chats &&
			    now - c->t_last_line >
			        BENCH_IDLE_MS * INT64_C(1000000)) {
				bench_client_queue(c,
				    "PING :" BENCH_SYNC_TOKEN);
				c->sync_sent = true;
			}
		}
		bench_push_fill(r);
		pfd[0].fd = r->pushing ? r->f->ctl : -1;
		pfd[0].events = POLLIN | (r->cout_len > 0 ? POLLOUT : 0);
		pfd[1].fd = r->f->d_err;
		pfd[1].events = POLLIN;
		for (i = 0; i < r->k; i++) {
			pfd[i + 2].fd =
			    r->c[i].phase == BENCH_DEAD ? -1 : r->c[i].fd;
			pfd[i + 2].events =
			    POLLIN | (r->c[i].out_len > 0 ? POLLOUT : 0);
		}
		/* Wake now and then for the idle check and the deadline. */
		if (left > 250)
			left = 250;
		if (poll(pfd, r->k + 2, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			diag("poll: %s", strerror(errno));
			return false;
		}
		if (pfd[0].fd >= 0 && pfd[0].revents != 0)
			bench_ctl_io(r, pfd[0].revents);
		if (pfd[1].fd >= 0 && pfd[1].revents != 0)
			dfix_pump(r->f, 0);
		for (i = 0; i < r->k; i++) {
			struct bench_client *c = &r->c[i];

			if (pfd[i + 2].fd < 0 || pfd[i + 2].revents == 0)
				continue;
			if (pfd[i + 2].revents & POLLOUT)
				bench_client_flush(c);
			if (pfd[i + 2].revents & (POLLIN | POLLHUP | POLLERR))
				bench_client_read(r, c);
		}
	}
}

/*
 * One load case: a fresh world of BENCH_CHATS chats, k clients attached,
 * n messages pushed. False when it could not run (already diagnosed);
 * row then holds what was measured.
 */
static bool
bench_load(struct dfix *f, size_t k, size_t n, size_t window,
    struct bench_load_row *row)
{
	static struct bench_client clients[BENCH_CLIENTS_MAX];
	static struct bench_run r;
	char *world = bench_world_load(BENCH_CHATS);
	double cpu0, cpu1, sim0, sim1;
	int64_t *all = NULL, t_last = 0, span;
	size_t i, total = 0, live = 0;
	bool good = false;
	char name[32];
	int fl = -1, one = 1;

	memset(row, 0, sizeof *row);
	memset(&r, 0, sizeof r);
	row->k = k;
	row->n = n;
	r.f = f;
	r.c = clients;
	r.k = k;
	r.n = n;
	r.chats = BENCH_CHATS;
	r.window = window;
	for (i = 0; i < k; i++)
		clients[i].fd = -1;
	diag("load case: K=%zu, N=%zu", k, n);
	if (!bench_boot(f, world, "SELECT count(*) FROM messages",
	        (int64_t)BENCH_CHATS))
		goto out;
	for (i = 0; i < k; i++) {
		snprintf(name, sizeof name, "bench%zu", i);
		if (!bench_client_open(&clients[i], f->irc_port, name, n))
			goto out;
	}
	if (!ok(bench_loop(&r, bench_now() / 1000000 + BENCH_ATTACH_MS,
	            bench_all_attached),
	        "K=%zu: every client gets its burst", k))
		goto out;
	for (i = 0; i < k; i++)
		if (!ok(clients[i].phase == BENCH_LIVE && clients[i].ends > 0,
		        "%s is attached with %zu channels", clients[i].name,
		        clients[i].ends))
			goto out;

	/* The control socket is the fixture's, blocking; ours for a while. */
	/* Many small commands in flight: Nagle would hold them for an ACK
	 * that locosim delays, and time our socket instead of the daemon. */
	if ((fl = fcntl(f->ctl, F_GETFL)) == -1 ||
	    fcntl(f->ctl, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    setsockopt(f->ctl, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) !=
	        0) {
		ok(false, "control socket non-blocking: %s", strerror(errno));
		goto out;
	}
	cpu0 = bench_proc_cpu(f->d);
	sim0 = bench_proc_cpu(f->sim);
	r.pushing = true;
	row->complete = bench_loop(&r, bench_now() / 1000000 + BENCH_PUSH_MS,
	    bench_all_delivered);
	cpu1 = bench_proc_cpu(f->d);
	sim1 = bench_proc_cpu(f->sim);
	row->hwm_kb = bench_proc_kb(f->d, "VmHWM");
	r.pushing = false;
	(void)fcntl(f->ctl, F_SETFL, fl);

	for (i = 0; i < k; i++) {
		total += clients[i].got;
		row->dups += clients[i].dups;
		if (clients[i].phase == BENCH_LIVE)
			live++;
		if (clients[i].got > 0 && clients[i].t_last > t_last)
			t_last = clients[i].t_last;
	}
	row->delivered = k > 0 ? total / k : 0;
	if (total > 0) {
		all = malloc(total * sizeof *all);
		total = 0;
		for (i = 0; i < k; i++) {
			memcpy(all + total, clients[i].lat,
			    clients[i].got * sizeof *all);
			total += clients[i].got;
		}
		qsort(all, total, sizeof *all, bench_cmp_i64);
		row->p50 = (double)all[(total - 1) * 50 / 100] / 1e6;
		row->p99 = (double)all[(total - 1) * 99 / 100] / 1e6;
		row->mx = (double)all[total - 1] / 1e6;
		span = t_last - r.t_first_push;
		row->rate =
		    span > 0 ? (double)row->delivered * 1e9 / (double)span : 0;
	}
	if (cpu0 >= 0 && cpu1 >= 0)
		row->cpu = (cpu1 - cpu0) / (double)n * 100000;
	if (sim0 >= 0 && sim1 >= 0)
		row->sim_cpu = (sim1 - sim0) / (double)n * 100000;
	ok(r.ctl_errs == 0, "K=%zu: locosim took every push (%zu refused%s%s)",
	    k, r.ctl_errs, r.ctl_errs ? ": " : "", r.ctl_err);
	ok(live == k, "K=%zu: every client stays attached (%zu of %zu)", k,
	    live, k);
	ok(row->complete && row->dups == 0,
	    "K=%zu: every client gets each of %zu messages once "
	    "(%zu each on average, %zu doubled, %zu pushed, %zu acked)",
	    k, n, row->delivered, row->dups, r.pushed, r.replied);
	good = row->complete && live == k && r.ctl_errs == 0;
out:
	for (i = 0; i < k; i++)
		bench_client_close(&clients[i]);
	free(all);
	free(world);
	bench_end(f);
	return good;
}

/*
 * The attach case: chats chats of msgs messages each, stored by the
 * daemon; then one client connects and reads the burst and backlog.
 */
static bool
bench_attach(struct dfix *f, size_t chats, size_t msgs,
    struct bench_attach_row *row)
{
	static struct bench_client client;
	static struct bench_run r;
	char *world = bench_world_attach(chats, msgs), sql[128];
	double cpu0;
	bool good = false;

	memset(row, 0, sizeof *row);
	memset(&r, 0, sizeof r);
	row->chats = chats;
	row->msgs = msgs;
	r.f = f;
	r.c = &client;
	r.k = 1;
	r.chats = chats;
	client.fd = -1;
	diag("attach case: %zu chats of %zu messages", chats, msgs);
	/* Every chat's history is in the store before the client comes. */
	snprintf(sql, sizeof sql,
	    "SELECT count(*) FROM messages WHERE chat_id >= %d", BENCH_CHAT0);
	if (!bench_boot(f, world, sql, (int64_t)(chats * msgs)))
		goto out;
	row->hwm_before_kb = bench_proc_kb(f->d, "VmHWM");
	cpu0 = bench_proc_cpu(f->d);
	if (!bench_client_open(&client, f->irc_port, "attach", 1))
		goto out;
	row->complete = bench_loop(&r, bench_now() / 1000000 + BENCH_ATTACH_MS,
	    bench_all_attached);
	row->hwm_kb = bench_proc_kb(f->d, "VmHWM");
	row->rss_kb = bench_proc_kb(f->d, "VmRSS");
	row->cpu = bench_proc_cpu(f->d) - cpu0;
	row->complete = row->complete && client.phase == BENCH_LIVE;
	if (client.t_001 != 0)
		row->t_001 = (double)(client.t_001 - client.t_connect) / 1e6;
	if (client.t_end != 0)
		row->t_end = (double)(client.t_end - client.t_connect) / 1e6;
	row->by_sync = client.by_sync;
	row->lines = client.lines;
	row->bytes = client.bytes;
	row->ends = client.ends;
	row->privmsgs = client.privmsgs;
	ok(row->complete, "the burst and backlog end (%" PRIu64 " lines)",
	    client.lines);
	ok(client.ends == chats, "every chat is shown (%zu of %zu)",
	    client.ends, chats);
	if (row->by_sync)
		diag("no delivery PING after the backlog; timed to our own "
		     "PING's PONG instead");
	good = row->complete && client.ends == chats;
out:
	bench_client_close(&client);
	free(world);
	bench_end(f);
	return good;
}

int
main(void)
{
	static const size_t ks[] = {1, 10};
	struct bench_load_row rows[sizeof ks / sizeof ks[0]];
	struct bench_attach_row at;
	size_t n, window, chats, i;
	bool ran[sizeof ks / sizeof ks[0]], at_ran;

	if (!bench_env_size("BENCH_N", BENCH_N_DEFAULT, 1, 10000000, &n) ||
	    !bench_env_size("BENCH_WINDOW", BENCH_WINDOW_DEFAULT, 1, 1000000,
	        &window) ||
	    !bench_env_size("BENCH_ATTACH_CHATS", BENCH_ATTACH_CHATS, 1, 100000,
	        &chats))
		return 2;
	tap_init(BENCH_WATCHDOG);
	dfix_init(&fixture);

	for (i = 0; i < sizeof ks / sizeof ks[0]; i++)
		ran[i] = bench_load(&fixture, ks[i], n, window, &rows[i]);
	at_ran = bench_attach(&fixture, chats, BENCH_ATTACH_MSGS, &at);

	printf("\nlocoircd IRC benchmark: N=%zu messages into %d chats, "
	       "window %zu, %ld CPUs\n",
	    n, BENCH_CHATS, window, sysconf(_SC_NPROCESSORS_ONLN));
	printf("%4s %12s %9s %9s %9s %13s %13s %10s\n", "K", "msg/s/client",
	    "p50 ms", "p99 ms", "max ms", "cpu s/100k", "sim s/100k",
	    "peak RSS");
	for (i = 0; i < sizeof ks / sizeof ks[0]; i++)
		printf("%4zu %12.0f %9.2f %9.2f %9.2f %13.2f %13.2f %7.1f MiB"
		       "%s\n",
		    rows[i].k, rows[i].rate, rows[i].p50, rows[i].p99,
		    rows[i].mx, rows[i].cpu, rows[i].sim_cpu,
		    (double)rows[i].hwm_kb / 1024,
		    ran[i] ? "" : "  (incomplete)");
	printf("\nattach: %zu chats x %zu messages, 1 client\n", at.chats,
	    at.msgs);
	printf("  001 after %.1f ms; burst + backlog done after %.1f ms%s%s\n",
	    at.t_001, at.t_end, at.by_sync ? " (own PING)" : "",
	    at_ran ? "" : "  (incomplete)");
	printf("  %" PRIu64 " lines, %.1f KiB, %zu channels, %zu backlog "
	       "messages; locoircd %.2f s CPU\n",
	    at.lines, (double)at.bytes / 1024, at.ends, at.privmsgs, at.cpu);
	printf("  peak RSS %.1f MiB before attach, %.1f MiB after "
	       "(RSS now %.1f MiB)\n",
	    (double)at.hwm_before_kb / 1024, (double)at.hwm_kb / 1024,
	    (double)at.rss_kb / 1024);
	return done_testing();
}
