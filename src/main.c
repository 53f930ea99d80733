/* locoirc: see LICENSE.
 *
 * locoircd's entry point: the command line, --check-config, the log sink
 * (stderr in the foreground, syslog once detached), detaching from the
 * terminal and the pid file. The daemon itself runs in daemon.c.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <bson/bson.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <sqlite3.h>

#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "passwd.h"
#include "xmalloc.h"

#ifndef LOCOIRC_SYSCONFDIR
#define LOCOIRC_SYSCONFDIR "/etc"
#endif

/* The configuration file when -c is not given. */
#define MAIN_DEFAULT_CONF LOCOIRC_SYSCONFDIR "/locoircd.conf"
/* Exit status for a bad command line. */
#define EXIT_USAGE 2

/* Long options without a short form. */
enum {
	OPT_CHECK_CONFIG = 256,
	OPT_READY_FD,
	OPT_PIDFILE,
	OPT_HASH_PASSWORD,
};

/* What the command line asked for. */
struct main_opts {
	const char *conf;    /* -c FILE */
	bool foreground;     /* -f */
	int verbose;         /* -v count */
	bool check_config;   /* --check-config */
	bool hash_password;  /* --hash-password */
	int ready_fd;        /* --ready-fd, -1 = stdout */
	const char *pidfile; /* --pidfile FILE, or NULL */
};

static const struct option main_longopts[] = {
    {"config", required_argument, NULL, 'c'},
    {"foreground", no_argument, NULL, 'f'},
    {"verbose", no_argument, NULL, 'v'},
    {"check-config", no_argument, NULL, OPT_CHECK_CONFIG},
    {"ready-fd", required_argument, NULL, OPT_READY_FD},
    {"pidfile", required_argument, NULL, OPT_PIDFILE},
    {"hash-password", no_argument, NULL, OPT_HASH_PASSWORD},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* Print the synopsis to f. */
static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: locoircd [-fv] [-c FILE] [--ready-fd=N] [--pidfile=FILE]\n"
	    "       locoircd --check-config [-c FILE]\n"
	    "       locoircd --hash-password\n"
	    "       locoircd --help | --version\n"
	    "The default FILE is %s; see locoircd(8).\n",
	    MAIN_DEFAULT_CONF);
}

/* Complain about the command line and exit with the usage status. */
static void __attribute__((format(printf, 1, 2), noreturn))
bad_args(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "locoircd: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\ntry 'locoircd --help'\n");
	exit(EXIT_USAGE);
}

/* Fill o from the command line, or exit. */
static void
main_parse_args(int argc, char **argv, struct main_opts *o)
{
	char *end;
	long v;
	int ch;

	memset(o, 0, sizeof *o);
	o->conf = MAIN_DEFAULT_CONF;
	o->ready_fd = -1;
	while ((ch = getopt_long(argc, argv, "c:fvhV", main_longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			if (optarg[0] == '\0')
				bad_args("-c: empty file name");
			o->conf = optarg;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'v':
			o->verbose++;
			break;
		case OPT_CHECK_CONFIG:
			o->check_config = true;
			break;
		case OPT_HASH_PASSWORD:
			o->hash_password = true;
			break;
		case OPT_READY_FD:
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' ||
			    *end != '\0' || errno != 0 || v > INT_MAX)
				bad_args("--ready-fd: '%s' is not a descriptor",
				    optarg);
			if (fcntl((int)v, F_GETFD) == -1)
				bad_args("--ready-fd: descriptor %ld is not "
				         "open",
				    v);
			o->ready_fd = (int)v;
			break;
		case OPT_PIDFILE:
			if (optarg[0] == '\0')
				bad_args("--pidfile: empty file name");
			o->pidfile = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("locoircd %s (libevent %s, %s, libbson %s, "
			       "SQLite %s)\n",
			    PACKAGE_VERSION, event_get_version(),
			    OpenSSL_version(OPENSSL_VERSION),
			    bson_get_version(), sqlite3_libversion());
			exit(0);
		default:
			fprintf(stderr, "try 'locoircd --help'\n");
			exit(EXIT_USAGE);
		}
	}
	if (optind != argc)
		bad_args("unexpected argument '%s'", argv[optind]);
}

/*
 * --hash-password: read one line from stdin (without echo on a terminal),
 * print its hash line for [irc] password. Returns the exit status.
 */
static int
main_hash_password(void)
{
	struct termios old, quiet;
	char buf[1024], *hash;
	bool tty = isatty(STDIN_FILENO) == 1, got;
	size_t len;

	if (tty) {
		fprintf(stderr, "Password: ");
		fflush(stderr);
		if (tcgetattr(STDIN_FILENO, &old) != 0)
			tty = false;
	}
	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	got = fgets(buf, sizeof buf, stdin) != NULL;
	if (tty)
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	len = got ? strlen(buf) : 0;
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	else if (len == sizeof buf - 1) {
		OPENSSL_cleanse(buf, sizeof buf);
		fprintf(stderr, "locoircd: the password is too long\n");
		return 1;
	}
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	if (len == 0) {
		OPENSSL_cleanse(buf, sizeof buf);
		fprintf(stderr, "locoircd: empty password refused\n");
		return 1;
	}
	hash = passwd_hash(buf);
	OPENSSL_cleanse(buf, sizeof buf);
	if (hash == NULL) {
		fprintf(stderr, "locoircd: cannot hash the password\n");
		return 1;
	}
	printf("%s\n", hash);
	xfree_secret(hash, strlen(hash) + 1);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* path made absolute against the current directory (not resolved). */
static char *
main_absolute(const char *path)
{
	char cwd[PATH_MAX];

	if (path[0] == '/')
		return xstrdup(path);
	if (getcwd(cwd, sizeof cwd) == NULL)
		fatal("cannot get the current directory");
	return xasprintf("%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, path);
}

/*
 * Open and lock the pid file before detaching, so that a second locoircd
 * is refused on the terminal. The lock survives the fork. -1 after logging.
 */
static int
main_pidfile_open(const char *path)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		log_warn("cannot open pid file '%s'", path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			log_warnx("pid file '%s' is locked: is another "
			          "locoircd running?",
			    path);
		else
			log_warn("cannot lock pid file '%s'", path);
		close(fd);
		return -1;
	}
	/* Others may read it, whatever our umask. */
	(void)fchmod(fd, 0644);
	return fd;
}

/* Write our pid (after detaching, when it is final). -1 after logging. */
static int
main_pidfile_write(int fd, const char *path)
{
	char buf[32];
	int n;

	n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || write(fd, buf, (size_t)n) != n) {
		log_warn("cannot write pid file '%s'", path);
		return -1;
	}
	return 0;
}

/*
 * Detach: fork (the parent exits 0), new session, cwd /, stdio on
 * /dev/null. A ready descriptor among 0-2 is moved out of the way first.
 */
static void
main_daemonise(int *ready_fd)
{
	pid_t pid;
	int fd;

	if (*ready_fd >= 0 && *ready_fd <= 2 &&
	    (*ready_fd = fcntl(*ready_fd, F_DUPFD_CLOEXEC, 3)) < 0)
		fatal("cannot move the ready descriptor");
	fflush(NULL);
	if ((pid = fork()) < 0)
		fatal("cannot fork");
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		fatal("cannot start a new session");
	if (chdir("/") != 0)
		fatal("cannot change directory to /");
	if ((fd = open("/dev/null", O_RDWR)) < 0)
		fatal("cannot open /dev/null");
	if (dup2(fd, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0 ||
	    dup2(fd, STDERR_FILENO) < 0)
		fatal("cannot redirect standard descriptors");
	if (fd > STDERR_FILENO)
		close(fd);
}

/* Parse options and the configuration, then detach and run. */
int
main(int argc, char **argv)
{
	struct main_opts o;
	struct daemon_opts dopts;
	struct conf *conf;
	enum log_level cli_level;
	char *path, *pidpath = NULL, *errs = NULL;
	int pidfd = -1, status;

	main_parse_args(argc, argv, &o);
	if (o.hash_password)
		return main_hash_password();
	/* A peer that goes away must not kill us mid-write. */
	signal(SIGPIPE, SIG_IGN);
	/* The store holds private chats: nothing we create is shared. */
	umask(077);
	/* One thread uses SQLite: its mutexes were ~6% of the fan-out
	 * (callgrind, make bench). Must precede any other SQLite call. */
	if (sqlite3_config(SQLITE_CONFIG_SINGLETHREAD) != SQLITE_OK)
		fprintf(stderr,
		    "locoircd: SQLite keeps its locks (it was "
		    "initialised already)\n");
	cli_level = o.verbose >= 2 ? LOG_LEVEL_TRACE
	    : o.verbose == 1       ? LOG_LEVEL_DEBUG
	                           : LOG_LEVEL_WARN;
	log_open("locoircd",
	    cli_level > LOG_LEVEL_INFO ? cli_level : LOG_LEVEL_INFO, false);
	log_hook_libevent();

	path = main_absolute(o.conf);
	if ((conf = conf_load(path, &errs)) == NULL) {
		fputs(errs, stderr);
		free(errs);
		free(path);
		return 1;
	}
	if (o.check_config) {
		printf("configuration OK\n");
		conf_free(conf);
		free(path);
		return 0;
	}

	log_open("locoircd", daemon_log_level(conf, cli_level), !o.foreground);
	if (o.pidfile != NULL) {
		pidpath = main_absolute(o.pidfile);
		if ((pidfd = main_pidfile_open(pidpath)) < 0) {
			conf_free(conf);
			free(pidpath);
			free(path);
			return 1;
		}
	}
	if (!o.foreground)
		main_daemonise(&o.ready_fd);
	if (pidfd >= 0 && main_pidfile_write(pidfd, pidpath) != 0) {
		conf_free(conf);
		status = 1;
		goto out;
	}

	memset(&dopts, 0, sizeof dopts);
	dopts.conf_path = path;
	dopts.cli_level = cli_level;
	dopts.ready_fd = o.ready_fd;
	status = daemon_run(conf, &dopts);
out:
	if (pidfd >= 0) {
		unlink(pidpath);
		close(pidfd);
	}
	free(pidpath);
	free(path);
	libevent_global_shutdown();
	return status;
}
