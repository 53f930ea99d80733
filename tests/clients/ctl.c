/* locoirc: see LICENSE.
 *
 * ctl: one command (or a batch from stdin) to locosim's control socket
 * from a shell script, the reply on stdout. The real-client tests use it
 * to act as other users and to read back what the gateway wrote, without
 * needing nc or a second language. It ends every batch with "quit" and
 * reads to EOF, so dumps ("ok N", lines, ".") need no parsing here.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* How long the whole exchange may take, in ms. */
#define CTL_TIMEOUT_MS 20000
/* The largest batch read from stdin, and the largest reply kept. */
#define CTL_MAX (8 * 1024 * 1024)
/* The reply to our closing quit, not shown. */
#define CTL_BYE "ok bye\n"

/* Exit statuses: every reply ok, some reply err, no exchange at all. */
enum ctl_status {
	CTL_OK = 0,
	CTL_ERR = 1,
	CTL_FAIL = 2,
};

/* A growing byte buffer. */
struct ctl_buf {
	char *p; /* owned */
	size_t len, cap;
};

/* Milliseconds of a monotonic clock. */
static long long
ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Append n bytes of s; false when the buffer would pass CTL_MAX. */
static bool
ctl_buf_add(struct ctl_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > CTL_MAX)
		return false;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL)
			return false;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return true;
}

/* Read all of stdin into b; false on error or overflow. */
static bool
ctl_read_stdin(struct ctl_buf *b)
{
	char chunk[4096];
	ssize_t n;

	while ((n = read(STDIN_FILENO, chunk, sizeof chunk)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || !ctl_buf_add(b, chunk, (size_t)n))
			return false;
	}
	if (b->len > 0 && b->p[b->len - 1] != '\n')
		return ctl_buf_add(b, "\n", 1);
	return true;
}

/* Connect to 127.0.0.1:port; the socket or -1 (reported). */
static int
ctl_connect(unsigned port)
{
	struct sockaddr_in sin;
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0) {
		fprintf(stderr, "ctl: socket: %s\n", strerror(errno));
		return -1;
	}
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
		fprintf(stderr, "ctl: cannot connect to 127.0.0.1:%u: %s\n",
		    port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Send all of out and read until EOF into in, within the deadline. */
static bool
ctl_exchange(int fd, const struct ctl_buf *out, struct ctl_buf *in)
{
	long long deadline = ctl_now_ms() + CTL_TIMEOUT_MS;
	size_t sent = 0;
	char chunk[4096];
	ssize_t n;

	for (;;) {
		struct pollfd pfd;
		long long left = deadline - ctl_now_ms();

		pfd.fd = fd;
		pfd.events = POLLIN | (sent < out->len ? POLLOUT : 0);
		if (left <= 0) {
			fprintf(stderr, "ctl: no answer within %d ms\n",
			    CTL_TIMEOUT_MS);
			return false;
		}
		if (poll(&pfd, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "ctl: poll: %s\n", strerror(errno));
			return false;
		}
		if ((pfd.revents & POLLOUT) != 0) {
			n = send(fd, out->p + sent, out->len - sent,
			    MSG_NOSIGNAL);
			if (n < 0 && errno != EINTR && errno != EAGAIN) {
				fprintf(stderr, "ctl: send: %s\n",
				    strerror(errno));
				return false;
			}
			if (n > 0)
				sent += (size_t)n;
		}
		if ((pfd.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
			n = recv(fd, chunk, sizeof chunk, 0);
			if (n == 0)
				return sent == out->len;
			if (n < 0 && errno != EINTR && errno != EAGAIN) {
				fprintf(stderr, "ctl: recv: %s\n",
				    strerror(errno));
				return false;
			}
			if (n > 0 && !ctl_buf_add(in, chunk, (size_t)n)) {
				fprintf(stderr, "ctl: reply too large\n");
				return false;
			}
		}
	}
}

/* Whether some reply line of in starts with "err ". */
static bool
ctl_has_err(const struct ctl_buf *in)
{
	const char *p = in->p;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, "err ", 4) == 0)
			return true;
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return false;
}

int
main(int argc, char **argv)
{
	struct ctl_buf out = {NULL, 0, 0}, in = {NULL, 0, 0};
	enum ctl_status status = CTL_FAIL;
	unsigned long port;
	char *end;
	int fd = -1, i;

	if (argc < 3) {
		fprintf(stderr,
		    "usage: ctl PORT COMMAND [ARG...]\n"
		    "       ctl PORT - < COMMANDS\n");
		return CTL_FAIL;
	}
	port = strtoul(argv[1], &end, 10);
	if (argv[1][0] < '0' || argv[1][0] > '9' || *end != '\0' || port == 0 ||
	    port > 65535) {
		fprintf(stderr, "ctl: '%s' is not a port\n", argv[1]);
		return CTL_FAIL;
	}
	if (argc == 3 && strcmp(argv[2], "-") == 0) {
		if (!ctl_read_stdin(&out)) {
			fprintf(stderr, "ctl: cannot read the commands\n");
			goto out;
		}
	} else {
		for (i = 2; i < argc; i++)
			if ((i > 2 && !ctl_buf_add(&out, " ", 1)) ||
			    !ctl_buf_add(&out, argv[i], strlen(argv[i])))
				goto out;
		if (!ctl_buf_add(&out, "\n", 1))
			goto out;
	}
	if (!ctl_buf_add(&out, "quit\n", 5) || (fd = ctl_connect(port)) < 0 ||
	    !ctl_exchange(fd, &out, &in))
		goto out;
	if (in.len < strlen(CTL_BYE) ||
	    strcmp(in.p + in.len - strlen(CTL_BYE), CTL_BYE) != 0) {
		fprintf(stderr, "ctl: the reply does not end with '%s'",
		    CTL_BYE);
		fwrite(in.p, 1, in.len, stderr);
		goto out;
	}
	in.len -= strlen(CTL_BYE);
	in.p[in.len] = '\0';
	fwrite(in.p, 1, in.len, stdout);
	status = ctl_has_err(&in) ? CTL_ERR : CTL_OK;
out:
	if (fd >= 0)
		close(fd);
	free(out.p);
	free(in.p);
	return fflush(stdout) == 0 ? (int)status : CTL_FAIL;
}
