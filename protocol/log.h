/* locoirc: see LICENSE.
 *
 * Logging shared by every layer. The sink (stderr or syslog) and the level are
 * chosen once by src/; protocol/ and gateway/ only call the log_* functions.
 */
#ifndef LOCOIRC_PROTOCOL_LOG_H
#define LOCOIRC_PROTOCOL_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum log_level {
	LOG_LEVEL_WARN = 0,  /* warnings and errors only */
	LOG_LEVEL_INFO = 1,  /* default: state changes */
	LOG_LEVEL_DEBUG = 2, /* -v */
	LOG_LEVEL_TRACE = 3, /* -vv: redacted wire traces */
};

/* Send log lines to stderr (use_syslog false) or syslog under ident. */
void log_open(const char *ident, enum log_level level, bool use_syslog);

/* Change the level at run time (SIGHUP reload). */
void log_set_level(enum log_level level);

/* Current level, so callers can skip building expensive trace lines. */
enum log_level log_get_level(void);

/* Route libevent's own messages through this module. */
void log_hook_libevent(void);

/* Warning with ": strerror(errno)" appended. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Log and exit(1); for start-up failures and impossible states only. */
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/*
 * Copy untrusted bytes into dst as printable ASCII, escaping everything else
 * as \xNN (UTF-8 is escaped too: log lines stay one line and 7-bit). Always
 * NUL-terminates; truncates with "..." when dst is too small. Returns dst.
 */
char *log_escape(char *dst, size_t dstlen, const void *src, size_t srclen);

#endif
