/* locoirc: see LICENSE.
 *
 * The TAP library behind every C test. It also arms a watchdog and owns
 * the per-test temporary directory, so tests stay parallel-safe.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

static int tap_count;
static int tap_failed;
static int tap_planned = -1;
static char tap_dir[PATH_MAX];
static pid_t tap_owner;

static void tap_alarm(int sig);
static void tap_rm_rf(const char *path);
static void tap_cleanup(void);
static void tap_hexdump(const char *label, const void *p, size_t len);

static void
tap_alarm(int sig)
{
	static const char msg[] = "Bail out! watchdog expired\n";

	(void)sig;
	if (write(STDOUT_FILENO, msg, sizeof msg - 1) < 0) {
		/* nothing more we can do from a signal handler */
	}
	_exit(99);
}

void
tap_init(unsigned seconds)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, tap_alarm);
	alarm(seconds ? seconds : 60);
	tap_owner = getpid();
}

void
plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
}

int
done_testing(void)
{
	if (tap_planned < 0)
		printf("1..%d\n", tap_count);
	else if (tap_planned != tap_count) {
		diag("planned %d tests but ran %d", tap_planned, tap_count);
		return 1;
	}
	if (tap_count == 0) {
		diag("no test ran");
		return 1;
	}
	return tap_failed ? 1 : 0;
}

void
diag(const char *fmt, ...)
{
	va_list ap;
	char buf[4096];
	char *line, *save = NULL;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		printf("# %s\n", line);
}

static bool
tap_result(bool pass, const char *file, int line, const char *desc)
{
	tap_count++;
	printf("%s %d - %s\n", pass ? "ok" : "not ok", tap_count, desc);
	if (!pass) {
		tap_failed++;
		diag("  failed at %s:%d", file, line);
	}
	return pass;
}

bool
tap_ok(bool pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	char desc[512];

	va_start(ap, fmt);
	vsnprintf(desc, sizeof desc, fmt, ap);
	va_end(ap);
	return tap_result(pass, file, line, desc);
}

static bool
tap_cmp(intmax_t c, const char *op)
{
	if (strcmp(op, "==") == 0)
		return c == 0;
	if (strcmp(op, "!=") == 0)
		return c != 0;
	if (strcmp(op, "<") == 0)
		return c < 0;
	if (strcmp(op, "<=") == 0)
		return c <= 0;
	if (strcmp(op, ">") == 0)
		return c > 0;
	if (strcmp(op, ">=") == 0)
		return c >= 0;
	fprintf(stderr, "tap: unknown operator %s\n", op);
	abort();
}

bool
tap_is_int(intmax_t a, const char *op, intmax_t b, const char *as,
    const char *bs, const char *file, int line)
{
	char desc[512];
	bool pass = tap_cmp(a < b ? -1 : a > b, op);

	snprintf(desc, sizeof desc, "%s %s %s", as, op, bs);
	if (!tap_result(pass, file, line, desc))
		diag("  left: %jd, right: %jd", a, b);
	return pass;
}

bool
tap_is_uint(uintmax_t a, const char *op, uintmax_t b, const char *as,
    const char *bs, const char *file, int line)
{
	char desc[512];
	bool pass = tap_cmp(a < b ? -1 : a > b, op);

	snprintf(desc, sizeof desc, "%s %s %s", as, op, bs);
	if (!tap_result(pass, file, line, desc))
		diag("  left: %ju (0x%jx), right: %ju (0x%jx)", a, a, b, b);
	return pass;
}

bool
tap_is_str(const char *a, const char *b, const char *as, const char *bs,
    const char *file, int line)
{
	char desc[512];
	bool pass;

	pass = (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
	snprintf(desc, sizeof desc, "%s == %s", as, bs);
	if (!tap_result(pass, file, line, desc))
		diag("  left: %s%s%s\n  right: %s%s%s", a ? "\"" : "",
		    a ? a : "NULL", a ? "\"" : "", b ? "\"" : "",
		    b ? b : "NULL", b ? "\"" : "");
	return pass;
}

static void
tap_hexdump(const char *label, const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i, j;
	char line[80];

	diag("  %s (%zu bytes):", label, len);
	for (i = 0; i < len && i < 512; i += 16) {
		int o = snprintf(line, sizeof line, "    %04zx ", i);

		for (j = i; j < len && j < i + 16; j++)
			o += snprintf(line + o, sizeof line - (size_t)o,
			    " %02x", b[j]);
		diag("%s", line);
	}
	if (len > 512)
		diag("    ...");
}

bool
tap_is_mem(const void *a, size_t alen, const void *b, size_t blen,
    const char *as, const char *bs, const char *file, int line)
{
	char desc[512];
	bool pass = alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);

	snprintf(desc, sizeof desc, "%s == %s", as, bs);
	if (!tap_result(pass, file, line, desc)) {
		size_t i;

		for (i = 0; i < alen && i < blen; i++)
			if (((const uint8_t *)a)[i] != ((const uint8_t *)b)[i])
				break;
		diag("  first difference at offset %zu", i);
		tap_hexdump("left", a, alen);
		tap_hexdump("right", b, blen);
	}
	return pass;
}

void
tap_skip(const char *file, int line, const char *why)
{
	(void)file;
	(void)line;
	tap_count++;
	printf("ok %d # SKIP %s\n", tap_count, why);
}

uint8_t *
tap_hex(const char *hex, size_t *len)
{
	size_t n = 0, cap = strlen(hex) / 2 + 1;
	uint8_t *out = malloc(cap);
	int hi = -1;

	if (out == NULL)
		abort();
	for (; *hex != '\0'; hex++) {
		int v;

		if (isspace((unsigned char)*hex))
			continue;
		if (!isxdigit((unsigned char)*hex)) {
			fprintf(stderr, "tap_hex: bad digit '%c'\n", *hex);
			abort();
		}
		v = isdigit((unsigned char)*hex)
		    ? *hex - '0'
		    : tolower((unsigned char)*hex) - 'a' + 10;
		if (hi < 0)
			hi = v;
		else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0) {
		fprintf(stderr, "tap_hex: odd number of digits\n");
		abort();
	}
	*len = n;
	return out;
}

const char *
tap_data_path(const char *name)
{
	static char path[PATH_MAX];
	const char *dir = getenv("LOCOIRC_TEST_DATA");

	snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/data", name);
	return path;
}

static void
tap_rm_rf(const char *path)
{
	DIR *d;
	struct dirent *de;
	char sub[PATH_MAX];
	struct stat st;

	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
			tap_rm_rf(sub);
		}
		closedir(d);
		rmdir(path);
	} else
		unlink(path);
}

static void
tap_cleanup(void)
{
	const char *keep = getenv("LOCOIRC_TEST_KEEP");

	if (getpid() != tap_owner || tap_dir[0] == '\0')
		return;
	if (keep != NULL && strcmp(keep, "1") == 0) {
		diag("kept %s", tap_dir);
		return;
	}
	tap_rm_rf(tap_dir);
}

const char *
tap_tmpdir(void)
{
	const char *base;

	if (tap_dir[0] != '\0')
		return tap_dir;
	base = getenv("TMPDIR");
	snprintf(tap_dir, sizeof tap_dir, "%s/locoirc-test.XXXXXX",
	    base && *base ? base : "/tmp");
	if (mkdtemp(tap_dir) == NULL) {
		perror("mkdtemp");
		exit(99);
	}
	atexit(tap_cleanup);
	return tap_dir;
}

int
tap_run(char *const argv[], const void *input, size_t inlen)
{
	int fds[2];
	pid_t pid;
	int status;

	if (pipe(fds) != 0)
		return -1;
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(fds[0], STDIN_FILENO);
		close(fds[0]);
		close(fds[1]);
		/* Tool chatter must not look like TAP. */
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[0]);
	if (input != NULL && inlen > 0) {
		const uint8_t *p = input;

		while (inlen > 0) {
			ssize_t w = write(fds[1], p, inlen);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			p += w;
			inlen -= (size_t)w;
		}
	}
	close(fds[1]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
