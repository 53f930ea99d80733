/* locoirc: see LICENSE.
 *
 * The configuration loader: libinih splits the file into sections and
 * key = value pairs, a table names every key we know with its setter, and a
 * final pass checks what only the whole file can tell (required keys, key
 * pairs, defaults). Errors are collected, not logged, so --check-config and
 * a SIGHUP reload can show all of them; the old configuration is never
 * touched.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "conf.h"
#include "loco-error.h"
#include "loco-key.h"
#include "log.h"
#include "passwd.h"
#include "xmalloc.h"

/* Longest host name (RFC 1035) and label. */
#define CONF_HOST_MAX 253
#define CONF_LABEL_MAX 63
/* Longest device UUID we accept (win32 ones are 88 characters). */
#define CONF_UUID_MAX 256
/* Longest app_version ("26.2.0"). */
#define CONF_VERSION_MAX 32
/* How much of a bad value an error message quotes. */
#define CONF_QUOTE_MAX 64

/* The sections a file may have. */
static const char *const conf_sections[] = {"account", "loco", "store", "log",
    "irc"};
#define CONF_NSECTIONS (sizeof conf_sections / sizeof conf_sections[0])

struct conf_parser;
struct conf_key;

/* Sets one key from its (non-empty) value; -1 after recording an error. */
typedef int (*conf_set_cb)(struct conf_parser *p, const struct conf_key *k,
    const char *value);
/* Whether a string value has the right shape. */
typedef bool (*conf_check_cb)(const char *value);

/* One key of the file: where it lives and how it is set. */
struct conf_key {
	const char *section;
	const char *name;
	conf_set_cb set;
	size_t off;          /* the struct conf field it fills */
	int64_t min, max;    /* integers: the accepted range */
	conf_check_cb check; /* strings: the shape test */
	const char *what;    /* strings: the shape, for errors */
};

/* One error, kept until they are sorted by line. */
struct conf_msg {
	int line;
	char *text;
};

/* The state of one load. */
struct conf_parser {
	struct conf *c;
	FILE *f;
	char *line; /* getline's buffer; may hold a token, wiped */
	size_t linecap;
	int lineno;                 /* the line last handed to libinih */
	mode_t file_mode;           /* permissions of the file */
	const struct conf_key *key; /* the key being set */
	int seen[48];               /* line each key was set on, 0 = not */
	int section_line[CONF_NSECTIONS]; /* first header line, 0 = none */
	struct conf_msg *msgs;
	size_t n_msgs;
	bool too_many;
};

static char *conf_reader_cb(char *str, int num, void *stream);
static int conf_handler_cb(void *user, const char *section, const char *name,
    const char *value);
static int conf_set_int(struct conf_parser *p, const struct conf_key *k,
    const char *value);
static int conf_set_string(struct conf_parser *p, const struct conf_key *k,
    const char *value);
static int conf_set_token(struct conf_parser *p, const struct conf_key *k,
    const char *value);
static int conf_set_token_file(struct conf_parser *p, const struct conf_key *k,
    const char *value);
static int conf_set_booking(struct conf_parser *p, const struct conf_key *k,
    const char *value);
static int conf_set_checkin(struct conf_parser *p, const struct conf_key *k,
    const char *value);
static int conf_set_ca(struct conf_parser *p, const struct conf_key *k,
    const char *value);
static int conf_set_rsa(struct conf_parser *p, const struct conf_key *k,
    const char *value);
static int conf_set_store(struct conf_parser *p, const struct conf_key *k,
    const char *value);
static int conf_set_level(struct conf_parser *p, const struct conf_key *k,
    const char *value);
static int conf_set_listen(struct conf_parser *p, const struct conf_key *k,
    const char *value);
static int conf_set_tls_file(struct conf_parser *p, const struct conf_key *k,
    const char *value);
static int conf_set_password(struct conf_parser *p, const struct conf_key *k,
    const char *value);
static int conf_set_bool(struct conf_parser *p, const struct conf_key *k,
    const char *value);
static bool conf_check_server_name(const char *v);
static bool conf_check_irc_user(const char *v);
static bool conf_check_irc_nick(const char *v);
static bool conf_check_uuid(const char *v);
static bool conf_check_os(const char *v);
static bool conf_check_version(const char *v);
static bool conf_check_mccmnc(const char *v);
static bool conf_check_lang(const char *v);
static bool conf_check_country(const char *v);

#define CONF_STR(sect, name, field, check, what)                               \
	{                                                                      \
		sect, name, conf_set_string, offsetof(struct conf, field), 0,  \
		    0, check, what                                             \
	}
#define CONF_INT(sect, name, field, lo, hi)                                    \
	{                                                                      \
		sect, name, conf_set_int, offsetof(struct conf, field), lo,    \
		    hi, NULL, NULL                                             \
	}
#define CONF_FN(sect, name, fn)                                                \
	{                                                                      \
		sect, name, fn, 0, 0, 0, NULL, NULL                            \
	}

/* Every key; docs/locoircd.conf.5 describes them in this order. */
static const struct conf_key conf_keys[] = {
    CONF_INT("account", "user_id", user_id, 1, INT64_MAX),
    CONF_FN("account", "access_token", conf_set_token),
    CONF_FN("account", "access_token_file", conf_set_token_file),
    CONF_FN("account", "refresh_token", conf_set_token),
    CONF_STR("account", "device_uuid", device_uuid, conf_check_uuid,
        "1 to 256 printable ASCII characters without spaces"),
    CONF_STR("account", "os", os, conf_check_os, "mac, win32 or android"),
    CONF_STR("account", "app_version", app_version, conf_check_version,
        "a version such as 26.2.0"),
    CONF_INT("account", "dtype", dtype, 1, 2),
    CONF_INT("account", "ntype", ntype, 0, 3),
    CONF_STR("account", "mccmnc", mccmnc, conf_check_mccmnc, "3 to 6 digits"),
    CONF_STR("account", "lang", lang, conf_check_lang,
        "2 or 3 lower-case letters"),
    CONF_STR("account", "country_iso", country_iso, conf_check_country,
        "2 upper-case letters"),
    CONF_FN("loco", "booking", conf_set_booking),
    CONF_FN("loco", "booking_ca", conf_set_ca),
    CONF_FN("loco", "checkin_fallback", conf_set_checkin),
    CONF_FN("loco", "rsa_public_key", conf_set_rsa),
    CONF_INT("loco", "key_encrypt_type", key_encrypt_type, 12, 16),
    CONF_INT("loco", "encrypt_type", encrypt_type, 2, 3),
    CONF_INT("loco", "ping_interval", ping_interval, 0, 3600),
    CONF_FN("store", "path", conf_set_store),
    CONF_FN("log", "level", conf_set_level),
    CONF_FN("irc", "listen", conf_set_listen),
    CONF_FN("irc", "tls_listen", conf_set_listen),
    CONF_FN("irc", "tls_cert", conf_set_tls_file),
    CONF_FN("irc", "tls_key", conf_set_tls_file),
    CONF_STR("irc", "server_name", server_name, conf_check_server_name,
        "a server name (a host name of at most 63 bytes)"),
    CONF_FN("irc", "password", conf_set_password),
    {"irc", "nick_ascii", conf_set_bool, offsetof(struct conf, nick_ascii), 0,
        0, NULL, NULL},
    CONF_INT("irc", "registration_timeout", registration_timeout, 5, 600),
    CONF_INT("irc", "sendq_max", sendq_max, 64 * 1024, 64 * 1024 * 1024),
    CONF_STR("irc", "user", irc_user, conf_check_irc_user,
        "1 to 64 printable ASCII characters without spaces, '@' or ':'"),
    CONF_STR("irc", "nick", irc_nick, conf_check_irc_nick,
        "an IRC nick: at most 64 bytes, no spaces or ,*?!@. and no "
        "leading #&:$+ or digit"),
    CONF_INT("irc", "backlog", backlog, 0, 10000),
    {"irc", "read_receipts", conf_set_bool,
        offsetof(struct conf, read_receipts), 0, 0, NULL, NULL},
};
#define CONF_NKEYS (sizeof conf_keys / sizeof conf_keys[0])
_Static_assert(CONF_NKEYS <= sizeof((struct conf_parser *)0)->seen /
            sizeof((struct conf_parser *)0)->seen[0],
    "conf_parser.seen is too small for conf_keys");

/* The names of the log levels, indexed by enum log_level. */
static const char *const conf_level_names[] = {"warn", "info", "debug",
    "trace"};

/* Record an error at line (printf-style); always returns -1. */
static int __attribute__((format(printf, 3, 4)))
conf_err(struct conf_parser *p, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (p->n_msgs >= CONF_ERRORS_MAX) {
		p->too_many = true;
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	p->msgs = xreallocarray(p->msgs, p->n_msgs + 1, sizeof *p->msgs);
	p->msgs[p->n_msgs].line = line;
	p->msgs[p->n_msgs].text = line > 0
	    ? xasprintf("%s:%d: %s", p->c->path, line, msg)
	    : xasprintf("%s: %s", p->c->path, msg);
	p->n_msgs++;
	return -1;
}

/* Record an error about the key being set, on its line; returns -1. */
static int __attribute__((format(printf, 2, 3)))
conf_key_err(struct conf_parser *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return conf_err(p, p->lineno, "[%s] %s: %s", p->key->section,
	    p->key->name, msg);
}

/* Quote a value from the file for an error message (escaped, cut). */
static const char *
conf_quote(char *buf, size_t len, const char *value)
{
	return log_escape(buf, len, value, strlen(value));
}

/* The index of section in conf_sections, or -1. */
static int
conf_section_index(const char *section)
{
	size_t i;

	for (i = 0; i < CONF_NSECTIONS; i++)
		if (strcmp(conf_sections[i], section) == 0)
			return (int)i;
	return -1;
}

/* The key section.name, or NULL. */
static const struct conf_key *
conf_key_find(const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < CONF_NKEYS; i++)
		if (strcmp(conf_keys[i].section, section) == 0 &&
		    strcmp(conf_keys[i].name, name) == 0)
			return &conf_keys[i];
	return NULL;
}

/* The line section.name was set on, 0 when it was not. */
static int
conf_seen(const struct conf_parser *p, const char *section, const char *name)
{
	const struct conf_key *k = conf_key_find(section, name);

	return k == NULL ? 0 : p->seen[k - conf_keys];
}

/* Point the parser at section.name, for errors raised after parsing. */
static void
conf_point(struct conf_parser *p, const char *section, const char *name,
    int line)
{
	p->key = conf_key_find(section, name);
	p->lineno = line;
}

/* Where a missing key of section should have been: its header, else EOF. */
static int
conf_missing_line(const struct conf_parser *p, const char *section)
{
	int i = conf_section_index(section);

	if (i >= 0 && p->section_line[i] > 0)
		return p->section_line[i];
	return p->lineno > 0 ? p->lineno : 1;
}

/*
 * Scan as libinih does for one of chars, stopping at an inline comment (a
 * ';' after white space). Returns the position of the match or of the end.
 */
static const char *
conf_find(const char *s, const char *chars)
{
	bool was_space = false;

	while (*s != '\0' && strchr(chars, *s) == NULL &&
	    !(was_space && *s == ';')) {
		was_space = *s == ' ' || *s == '\t';
		s++;
	}
	return s;
}

/*
 * libinih's reader: hand it one line at a time so that the line number is
 * ours to know, and catch what it would get wrong or only half report:
 * over-long lines (it would split them), NUL bytes, unknown sections, lines
 * that are neither a section nor a key. Leading white space is dropped,
 * which also turns off libinih's continuation lines. A rejected line is
 * handed over empty so that parsing goes on and every error is found.
 */
static char *
conf_reader_cb(char *str, int num, void *stream)
{
	struct conf_parser *p = stream;
	char name[CONF_QUOTE_MAX], raw[16];
	const char *s, *end;
	ssize_t n;
	size_t len;
	int i;

	if ((n = getline(&p->line, &p->linecap, p->f)) < 0) {
		/* The buffer is libinih's, the same for every line, and has
		 * held the token: wipe it on the way out. */
		OPENSSL_cleanse(str, (size_t)num);
		return NULL;
	}
	p->lineno++;
	str[0] = '\0';
	if (n > 0 && p->line[n - 1] == '\n')
		p->line[--n] = '\0';
	if (n > 0 && p->line[n - 1] == '\r')
		p->line[--n] = '\0';
	if (memchr(p->line, '\0', (size_t)n) != NULL) {
		conf_err(p, p->lineno, "the line holds a NUL byte");
		return str;
	}
	s = p->line;
	if (p->lineno == 1 && strncmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	s += strspn(s, " \t");
	if (strlen(s) + 3 > (size_t)num) {
		conf_err(p, p->lineno, "the line is longer than %d bytes",
		    num - 3);
		return str;
	}
	if (*s == '\0' || *s == ';' || *s == '#')
		return strcpy(str, s);
	if (*s == '[') {
		end = conf_find(s + 1, "]");
		len = (size_t)(end - s - 1);
		i = -1;
		if (*end != ']') {
			conf_err(p, p->lineno, "no ']' after the section name");
			return str;
		}
		if (len < sizeof raw) {
			memcpy(raw, s + 1, len);
			raw[len] = '\0';
			i = conf_section_index(raw);
		}
		/* libinih still needs the header, to leave the section
		 * before; the handler ignores the keys of unknown ones. */
		if (i < 0)
			conf_err(p, p->lineno, "unknown section [%s]",
			    log_escape(name, sizeof name, s + 1, len));
		else if (p->section_line[i] == 0)
			p->section_line[i] = p->lineno;
		return strcpy(str, s);
	}
	if (*conf_find(s, "=:") == '\0') {
		conf_err(p, p->lineno, "expected '[section]' or 'key = value'");
		return str;
	}
	return strcpy(str, s);
}

/* libinih found key = value in section: find the key and set it. */
static int
conf_handler_cb(void *user, const char *section, const char *name,
    const char *value)
{
	struct conf_parser *p = user;
	const struct conf_key *k;
	char q[CONF_QUOTE_MAX];
	size_t i;

	if (section[0] == '\0') {
		conf_err(p, p->lineno, "key '%s' is outside any section",
		    conf_quote(q, sizeof q, name));
		return 1;
	}
	/* Keys of an unknown section: the header was reported already. */
	if (conf_section_index(section) < 0)
		return 1;
	if ((k = conf_key_find(section, name)) == NULL) {
		conf_err(p, p->lineno, "[%s] unknown key '%s'", section,
		    conf_quote(q, sizeof q, name));
		return 1;
	}
	i = (size_t)(k - conf_keys);
	p->key = k;
	if (p->seen[i] != 0) {
		conf_key_err(p, "duplicate key (first set on line %d)",
		    p->seen[i]);
		return 1;
	}
	p->seen[i] = p->lineno;
	if (value[0] == '\0') {
		conf_key_err(p, "empty value");
		return 1;
	}
	(void)k->set(p, k, value);
	/* Our errors are recorded; libinih's own count means syntax. */
	return 1;
}

/* Parse value as a decimal integer in [k->min, k->max]. */
static int
conf_set_int(struct conf_parser *p, const struct conf_key *k, const char *value)
{
	char q[CONF_QUOTE_MAX], *end = NULL;
	long long v = 0;

	/* strtoll alone would also take "+1" and " 1". */
	errno = 0;
	if ((value[0] >= '0' && value[0] <= '9') || value[0] == '-')
		v = strtoll(value, &end, 10);
	if (end == NULL || end == value || *end != '\0')
		return conf_key_err(p, "'%s' is not a number",
		    conf_quote(q, sizeof q, value));
	if (errno == ERANGE || v < k->min || v > k->max)
		return conf_key_err(p,
		    "'%s' is out of range (%" PRId64 " to %" PRId64 ")",
		    conf_quote(q, sizeof q, value), k->min, k->max);
	*(int64_t *)(void *)((char *)p->c + k->off) = v;
	return 0;
}

/* Set a string key whose shape k->check knows. */
static int
conf_set_string(struct conf_parser *p, const struct conf_key *k,
    const char *value)
{
	char q[CONF_QUOTE_MAX];
	char **field = (char **)(void *)((char *)p->c + k->off);

	if (!k->check(value))
		return conf_key_err(p, "'%s' is not %s",
		    conf_quote(q, sizeof q, value), k->what);
	*field = xstrdup(value);
	return 0;
}

/* Whether v could be a token: printable ASCII without spaces. */
static bool
conf_token_chars(const char *v, size_t max)
{
	size_t i;

	for (i = 0; v[i] != '\0'; i++)
		if (v[i] < 0x21 || v[i] > 0x7e || i >= max)
			return false;
	return i > 0;
}

/* Replace a secret field's value, wiping the old one. */
static void
conf_set_secret(char **field, char *value)
{
	if (*field != NULL)
		xfree_secret(*field, strlen(*field) + 1);
	*field = value;
}

/*
 * access_token or refresh_token written in the file itself: the file must
 * then be as private as a token file. The value is never quoted back.
 */
static int
conf_set_token(struct conf_parser *p, const struct conf_key *k,
    const char *value)
{
	bool access = strcmp(k->name, "access_token") == 0;

	if ((p->file_mode & 077) != 0)
		return conf_key_err(p,
		    "'%s' holds a secret but is accessible by group or others "
		    "(mode %04o); chmod 600 it%s",
		    p->c->path, (unsigned)(p->file_mode & 07777),
		    access ? " or use access_token_file" : "");
	if (!conf_token_chars(value, CONF_TOKEN_MAX))
		return conf_key_err(p,
		    "the value is not 1 to %d printable ASCII characters "
		    "without spaces",
		    CONF_TOKEN_MAX);
	conf_set_secret(access ? &p->c->access_token : &p->c->refresh_token,
	    xstrdup(value));
	return 0;
}

/* A path from the file, absolute, or taken from the file's directory. */
static char *
conf_path(const struct conf_parser *p, const char *value)
{
	if (value[0] == '/')
		return xstrdup(value);
	return xasprintf("%s/%s", p->c->dir, value);
}

/* access_token_file: read the token now, so errors point here. */
static int
conf_set_token_file(struct conf_parser *p, const struct conf_key *k,
    const char *value)
{
	char why[512], *token;

	(void)k;
	p->c->access_token_file = conf_path(p, value);
	if ((token = conf_read_token(p->c->access_token_file, why,
	         sizeof why)) == NULL)
		return conf_key_err(p, "%s", why);
	conf_set_secret(&p->c->access_token, token);
	return 0;
}

/* Whether host is a DNS name or an IPv4 address (not an IPv6 one). */
static bool
conf_check_host(const char *host)
{
	size_t len = strlen(host), label = 0, i;

	if (len == 0 || len > CONF_HOST_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char ch = host[i];

		if (ch == '.') {
			if (label == 0 || host[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		        (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return false;
		if ((ch == '-' && label == 0) || ++label > CONF_LABEL_MAX)
			return false;
	}
	return host[len - 1] != '-';
}

/*
 * Split "host:port" or "[v6]:port" into a malloc'd host and a port in
 * 1..65535; -1 with the reason in why.
 */
static int
conf_hostport(const char *value, char **host, int64_t *port, char *why,
    size_t whylen, long port_min)
{
	const char *colon, *ps;
	char *h = NULL, *end;
	unsigned char v6[16];
	long v;

	*host = NULL;
	if (value[0] == '[') {
		const char *close = strchr(value, ']');

		if (close == NULL || close[1] != ':') {
			snprintf(why, whylen, "expected '[address]:port'");
			return -1;
		}
		h = xstrndup(value + 1, (size_t)(close - value - 1));
		if (inet_pton(AF_INET6, h, v6) != 1) {
			snprintf(why, whylen,
			    "not an IPv6 address in brackets");
			goto fail;
		}
		ps = close + 2;
	} else {
		if ((colon = strrchr(value, ':')) == NULL) {
			snprintf(why, whylen, "expected 'host:port'");
			return -1;
		}
		if (memchr(value, ':', (size_t)(colon - value)) != NULL) {
			snprintf(why, whylen,
			    "an IPv6 address needs brackets: '[addr]:port'");
			return -1;
		}
		h = xstrndup(value, (size_t)(colon - value));
		if (!conf_check_host(h)) {
			snprintf(why, whylen, "not a host name or address");
			goto fail;
		}
		ps = colon + 1;
	}
	errno = 0;
	v = strtol(ps, &end, 10);
	if (*ps < '0' || *ps > '9' || *end != '\0' || errno != 0 ||
	    v < port_min || v > 65535) {
		snprintf(why, whylen,
		    "the port is not a number in %ld to 65535", port_min);
		goto fail;
	}
	*host = h;
	*port = v;
	return 0;
fail:
	free(h);
	return -1;
}

/* booking = host:port. */
static int
conf_set_booking(struct conf_parser *p, const struct conf_key *k,
    const char *value)
{
	char q[CONF_QUOTE_MAX], why[128];

	(void)k;
	if (conf_hostport(value, &p->c->booking_host, &p->c->booking_port, why,
	        sizeof why, 1) != 0)
		return conf_key_err(p, "'%s': %s",
		    conf_quote(q, sizeof q, value), why);
	return 0;
}

/* checkin_fallback = host:port. */
static int
conf_set_checkin(struct conf_parser *p, const struct conf_key *k,
    const char *value)
{
	char q[CONF_QUOTE_MAX], why[128];

	(void)k;
	if (conf_hostport(value, &p->c->checkin_host, &p->c->checkin_port, why,
	        sizeof why, 1) != 0)
		return conf_key_err(p, "'%s': %s",
		    conf_quote(q, sizeof q, value), why);
	return 0;
}

/* Open path for reading as a regular file; fd or -1 with why. */
static int
conf_open_regular(const char *path, struct stat *st, char *why, size_t whylen)
{
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)) <
	    0) {
		snprintf(why, whylen, "cannot open '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		snprintf(why, whylen, "'%s' is not a regular file", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* booking_ca: a readable PEM file with at least one certificate. */
static int
conf_set_ca(struct conf_parser *p, const struct conf_key *k, const char *value)
{
	char why[512];
	struct stat st;
	X509 *x = NULL;
	BIO *bio = NULL;
	int fd, n = 0;

	(void)k;
	p->c->booking_ca = conf_path(p, value);
	if ((fd = conf_open_regular(p->c->booking_ca, &st, why, sizeof why)) <
	    0)
		return conf_key_err(p, "%s", why);
	if ((bio = BIO_new_fd(fd, BIO_CLOSE)) == NULL) {
		close(fd);
		return conf_key_err(p, "cannot read '%s'", p->c->booking_ca);
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		X509_free(x);
		n++;
	}
	ERR_clear_error();
	BIO_free(bio);
	if (n == 0)
		return conf_key_err(p, "no PEM certificate in '%s'",
		    p->c->booking_ca);
	return 0;
}

/* rsa_public_key: a PEM file with a 2048-bit RSA public key. */
static int
conf_set_rsa(struct conf_parser *p, const struct conf_key *k, const char *value)
{
	struct loco_error err;
	char why[512];
	struct stat st;
	int fd;

	(void)k;
	p->c->rsa_public_key = conf_path(p, value);
	/* Say "cannot open" plainly before the decoder has its say. */
	if ((fd = conf_open_regular(p->c->rsa_public_key, &st, why,
	         sizeof why)) < 0)
		return conf_key_err(p, "%s", why);
	close(fd);
	if ((p->c->rsa_key =
	            loco_key_load_public(p->c->rsa_public_key, &err)) == NULL)
		return conf_key_err(p, "%s", err.msg);
	if (!loco_key_is_usable(p->c->rsa_key))
		return conf_key_err(p, "'%s' is not a 2048-bit RSA key",
		    p->c->rsa_public_key);
	return 0;
}

/*
 * Parse a listen list: host:port entries separated by commas or spaces,
 * each once. Fills *out and *n (freed by conf_free); -1 after an error.
 */
static int
conf_parse_listen(struct conf_parser *p, const char *value,
    struct conf_listen **out, size_t *n)
{
	char q[CONF_QUOTE_MAX], why[128], *tok;
	const char *s = value;
	struct conf_listen l;
	size_t len, i;

	while (*(s += strspn(s, ", \t")) != '\0') {
		len = strcspn(s, ", \t");
		tok = xstrndup(s, len);
		s += len;
		if (conf_hostport(tok, &l.host, &l.port, why, sizeof why, 0) !=
		    0) {
			conf_key_err(p, "'%s': %s",
			    conf_quote(q, sizeof q, tok), why);
			free(tok);
			return -1;
		}
		for (i = 0; i < *n; i++)
			if (strcmp((*out)[i].host, l.host) == 0 &&
			    (*out)[i].port == l.port && l.port != 0)
				break;
		if (i < *n || *n >= CONF_LISTEN_MAX) {
			if (i < *n)
				conf_key_err(p, "'%s' is listed twice",
				    conf_quote(q, sizeof q, tok));
			else
				conf_key_err(p, "more than %d addresses",
				    CONF_LISTEN_MAX);
			free(l.host);
			free(tok);
			return -1;
		}
		free(tok);
		*out = xreallocarray(*out, *n + 1, sizeof **out);
		(*out)[(*n)++] = l;
	}
	if (*n == 0)
		return conf_key_err(p, "no address");
	return 0;
}

/* [irc] listen and tls_listen. */
static int
conf_set_listen(struct conf_parser *p, const struct conf_key *k,
    const char *value)
{
	if (strcmp(k->name, "listen") == 0)
		return conf_parse_listen(p, value, &p->c->irc_listen,
		    &p->c->n_irc_listen);
	return conf_parse_listen(p, value, &p->c->irc_tls_listen,
	    &p->c->n_irc_tls_listen);
}

/* [irc] tls_cert and tls_key: files we can read (loaded by the listener). */
static int
conf_set_tls_file(struct conf_parser *p, const struct conf_key *k,
    const char *value)
{
	char **field =
	    strcmp(k->name, "tls_cert") == 0 ? &p->c->tls_cert : &p->c->tls_key;
	char why[512];
	struct stat st;
	int fd;

	*field = conf_path(p, value);
	if ((fd = conf_open_regular(*field, &st, why, sizeof why)) < 0)
		return conf_key_err(p, "%s", why);
	close(fd);
	return 0;
}

/*
 * [irc] password: a line from locoircd --hash-password. The value is never
 * quoted back: a plain-text one is the password itself.
 */
static int
conf_set_password(struct conf_parser *p, const struct conf_key *k,
    const char *value)
{
	(void)k;
	if (!passwd_is_hash(value))
		return conf_key_err(p,
		    "not a password hash; run 'locoircd --hash-password' and "
		    "set password to the line it prints");
	conf_set_secret(&p->c->irc_password, xstrdup(value));
	return 0;
}

/* A yes/no key: true, yes, on, 1 or false, no, off, 0. */
static int
conf_set_bool(struct conf_parser *p, const struct conf_key *k,
    const char *value)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	bool *field = (bool *)(void *)((char *)p->c + k->off);
	char q[CONF_QUOTE_MAX];
	size_t i;

	for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcmp(value, yes[i]) == 0) {
			*field = true;
			return 0;
		}
		if (strcmp(value, no[i]) == 0) {
			*field = false;
			return 0;
		}
	}
	return conf_key_err(p,
	    "'%s' is not true or false (yes/no, on/off, "
	    "1/0)",
	    conf_quote(q, sizeof q, value));
}

/* The store path must name a file in a writable directory. */
static int
conf_check_store(struct conf_parser *p)
{
	const char *path = p->c->store_path;
	char *slash = strrchr(path, '/'), *dir;
	struct stat st;
	int rc = 0;

	dir = slash == path ? xstrdup("/")
	                    : xstrndup(path, (size_t)(slash - path));
	if (slash[1] == '\0')
		rc =
		    conf_key_err(p, "'%s' names a directory, not a file", path);
	else if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		rc = conf_key_err(p, "no directory '%s'", dir);
	else if (access(dir, W_OK | X_OK) != 0)
		rc = conf_key_err(p, "cannot write in '%s': %s", dir,
		    strerror(errno));
	else if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		rc = conf_key_err(p, "'%s' is not a regular file", path);
	free(dir);
	return rc;
}

/* [store] path. */
static int
conf_set_store(struct conf_parser *p, const struct conf_key *k,
    const char *value)
{
	(void)k;
	p->c->store_path = conf_path(p, value);
	return conf_check_store(p);
}

/* [log] level = warn | info | debug | trace. */
static int
conf_set_level(struct conf_parser *p, const struct conf_key *k,
    const char *value)
{
	char q[CONF_QUOTE_MAX];
	size_t i;

	(void)k;
	for (i = 0; i < sizeof conf_level_names / sizeof conf_level_names[0];
	     i++)
		if (strcmp(value, conf_level_names[i]) == 0) {
			p->c->log_level = (enum log_level)i;
			return 0;
		}
	return conf_key_err(p, "'%s' is not warn, info, debug or trace",
	    conf_quote(q, sizeof q, value));
}

/* server_name: a host name (RFC 2812 servername), one label or more. */
static bool
conf_check_server_name(const char *v)
{
	return strlen(v) <= CONF_LABEL_MAX && conf_check_host(v);
}

/* [irc] user: the login name; '@' and ':' separate it from the client
 * name and password in PASS. */
static bool
conf_check_irc_user(const char *v)
{
	return conf_token_chars(v, CONF_IRC_NAME_MAX) &&
	    strpbrk(v, "@:") == NULL;
}

/* [irc] nick: what bridge-names would keep unchanged (IRC.md 4.5). */
static bool
conf_check_irc_nick(const char *v)
{
	const unsigned char *u = (const unsigned char *)v;

	if (*u == '\0' || strlen(v) > CONF_IRC_NAME_MAX ||
	    strchr("#&:$+-0123456789", *u) != NULL)
		return false;
	for (; *u != '\0'; u++)
		if (*u <= ' ' || *u == 0x7f || strchr(",*?!@.", *u) != NULL)
			return false;
	return true;
}

/* device_uuid: whatever the account registered, within reason. */
static bool
conf_check_uuid(const char *v)
{
	return conf_token_chars(v, CONF_UUID_MAX);
}

/* os: the agents LOCO servers know (LOCO.md 4.7). */
static bool
conf_check_os(const char *v)
{
	return strcmp(v, "mac") == 0 || strcmp(v, "win32") == 0 ||
	    strcmp(v, "android") == 0;
}

/* app_version: dot-separated numbers. */
static bool
conf_check_version(const char *v)
{
	size_t i, len = strlen(v);

	if (len == 0 || len > CONF_VERSION_MAX || v[0] == '.' ||
	    v[len - 1] == '.')
		return false;
	for (i = 0; i < len; i++)
		if (!(v[i] >= '0' && v[i] <= '9') &&
		    !(v[i] == '.' && v[i + 1] != '.'))
			return false;
	return true;
}

/* Whether v is between lo and hi characters, each in set. */
static bool
conf_check_chars(const char *v, size_t lo, size_t hi, const char *set)
{
	size_t len = strlen(v);

	return len >= lo && len <= hi && strspn(v, set) == len;
}

/* mccmnc: "999" on PCs, up to 6 digits on phones. */
static bool
conf_check_mccmnc(const char *v)
{
	return conf_check_chars(v, 3, 6, "0123456789");
}

/* lang: an ISO 639 code. */
static bool
conf_check_lang(const char *v)
{
	return conf_check_chars(v, 2, 3, "abcdefghijklmnopqrstuvwxyz");
}

/* country_iso: an ISO 3166 alpha-2 code. */
static bool
conf_check_country(const char *v)
{
	return conf_check_chars(v, 2, 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
}

/* Whether key_encrypt_type k goes with encrypt_type e (LOCO.md 1.4). */
static bool
conf_pair_ok(int64_t k, int64_t e)
{
	return (e == 3 && k == 16) || (e == 2 && (k == 12 || k == 15));
}

/* The [irc] checks and defaults, when the section is present. */
static void
conf_finish_irc(struct conf_parser *p)
{
	struct conf *c = p->c;
	int l_tls, l_cert, l_key, head;

	if ((head = p->section_line[conf_section_index("irc")]) == 0) {
		conf_err(p, 0,
		    "[irc] is missing: it needs at least password (an open "
		    "gateway is a stolen account; run 'locoircd "
		    "--hash-password')");
		return;
	}
	c->irc = true;
	if (conf_seen(p, "irc", "password") == 0) {
		conf_point(p, "irc", "password", head);
		conf_key_err(p,
		    "missing (required: an open gateway is a stolen "
		    "account; run 'locoircd --hash-password')");
	}
	l_tls = conf_seen(p, "irc", "tls_listen");
	l_cert = conf_seen(p, "irc", "tls_cert");
	l_key = conf_seen(p, "irc", "tls_key");
	if (l_cert != 0 && l_key == 0) {
		conf_point(p, "irc", "tls_cert", l_cert);
		conf_key_err(p, "tls_key is missing (they go together)");
	} else if (l_key != 0 && l_cert == 0) {
		conf_point(p, "irc", "tls_key", l_key);
		conf_key_err(p, "tls_cert is missing (they go together)");
	} else if (l_tls != 0 && l_cert == 0) {
		conf_point(p, "irc", "tls_listen", l_tls);
		conf_key_err(p, "needs tls_cert and tls_key");
	}
	if (conf_seen(p, "irc", "listen") == 0) {
		c->irc_listen = xcalloc(1, sizeof *c->irc_listen);
		c->irc_listen[0].host = xstrdup("127.0.0.1");
		c->irc_listen[0].port = 6667;
		c->n_irc_listen = 1;
	}
	if (c->server_name == NULL)
		c->server_name = xstrdup(CONF_DEFAULT_SERVER_NAME);
	if (conf_seen(p, "irc", "registration_timeout") == 0)
		c->registration_timeout = CONF_DEFAULT_REGISTRATION_TIMEOUT;
	if (conf_seen(p, "irc", "sendq_max") == 0)
		c->sendq_max = CONF_DEFAULT_SENDQ_MAX;
	if (conf_seen(p, "irc", "backlog") == 0)
		c->backlog = CONF_DEFAULT_BACKLOG;
}

/* Free a listen list. */
static void
conf_free_listen(struct conf_listen *l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(l[i].host);
	free(l);
}

/* What only the whole file can tell: required keys, pairs, defaults. */
static void
conf_finish(struct conf_parser *p)
{
	struct conf *c = p->c;
	struct loco_error err;
	int l_tok, l_file, l_key, l_enc;

	if (conf_seen(p, "account", "user_id") == 0) {
		conf_point(p, "account", "user_id",
		    conf_missing_line(p, "account"));
		conf_key_err(p, "missing (required)");
	}
	if (conf_seen(p, "account", "device_uuid") == 0) {
		conf_point(p, "account", "device_uuid",
		    conf_missing_line(p, "account"));
		conf_key_err(p, "missing (required)");
	}
	l_tok = conf_seen(p, "account", "access_token");
	l_file = conf_seen(p, "account", "access_token_file");
	if (l_tok != 0 && l_file != 0) {
		conf_point(p, "account",
		    l_tok > l_file ? "access_token" : "access_token_file",
		    l_tok > l_file ? l_tok : l_file);
		conf_key_err(p,
		    "access_token and access_token_file (line %d) exclude "
		    "each other",
		    l_tok > l_file ? l_file : l_tok);
	} else if (l_tok == 0 && l_file == 0) {
		conf_point(p, "account", "access_token",
		    conf_missing_line(p, "account"));
		conf_key_err(p,
		    "missing (set access_token or "
		    "access_token_file)");
	}

	/* Either key alone picks the other; both must agree. */
	l_key = conf_seen(p, "loco", "key_encrypt_type");
	l_enc = conf_seen(p, "loco", "encrypt_type");
	if (l_key == 0 && l_enc == 0) {
		c->key_encrypt_type = CONF_DEFAULT_KEY_ENCRYPT_TYPE;
		c->encrypt_type = CONF_DEFAULT_ENCRYPT_TYPE;
	} else if (l_key == 0 && c->encrypt_type != 0) {
		c->key_encrypt_type = c->encrypt_type == 3 ? 16 : 15;
	} else if (l_enc == 0 && c->key_encrypt_type != 0) {
		c->encrypt_type = c->key_encrypt_type == 16 ? 3 : 2;
	}
	if (c->key_encrypt_type != 0 && c->key_encrypt_type != 12 &&
	    c->key_encrypt_type != 15 && c->key_encrypt_type != 16) {
		conf_point(p, "loco", "key_encrypt_type", l_key);
		conf_key_err(p, "%" PRId64 " is not 12, 15 or 16",
		    c->key_encrypt_type);
	} else if (c->key_encrypt_type != 0 && c->encrypt_type != 0 &&
	    !conf_pair_ok(c->key_encrypt_type, c->encrypt_type)) {
		conf_point(p, "loco",
		    l_key > l_enc ? "key_encrypt_type" : "encrypt_type",
		    l_key > l_enc ? l_key : l_enc);
		conf_key_err(p,
		    "key_encrypt_type %" PRId64 " does not go with "
		    "encrypt_type %" PRId64
		    " (16 goes with 3; 12 or 15 with 2)",
		    c->key_encrypt_type, c->encrypt_type);
	}

	if (c->os == NULL)
		c->os = xstrdup(CONF_DEFAULT_OS);
	if (c->app_version == NULL)
		c->app_version = xstrdup(CONF_DEFAULT_APP_VERSION);
	if (conf_seen(p, "account", "dtype") == 0)
		c->dtype = CONF_DEFAULT_DTYPE;
	if (conf_seen(p, "account", "ntype") == 0)
		c->ntype = CONF_DEFAULT_NTYPE;
	if (c->mccmnc == NULL)
		c->mccmnc = xstrdup(CONF_DEFAULT_MCCMNC);
	if (c->lang == NULL)
		c->lang = xstrdup(CONF_DEFAULT_LANG);
	if (c->country_iso == NULL)
		c->country_iso = xstrdup(CONF_DEFAULT_COUNTRY_ISO);
	if (conf_seen(p, "loco", "booking") == 0) {
		c->booking_host = xstrdup(CONF_DEFAULT_BOOKING_HOST);
		c->booking_port = CONF_DEFAULT_BOOKING_PORT;
	}
	if (conf_seen(p, "loco", "rsa_public_key") == 0 &&
	    (c->rsa_key = loco_key_kakao_default(&err)) == NULL)
		conf_err(p, 0, "cannot load the built-in RSA key: %s", err.msg);
	if (conf_seen(p, "store", "path") == 0) {
		/* The default must be usable too (the directory may be /etc). */
		c->store_path =
		    xasprintf("%s/%s", c->dir, CONF_DEFAULT_STORE_PATH);
		conf_point(p, "store", "path", conf_missing_line(p, "store"));
		(void)conf_check_store(p);
	}
	if (conf_seen(p, "log", "level") == 0)
		c->log_level = LOG_LEVEL_INFO;
	conf_finish_irc(p);
}

/* Order errors by line (stable: insertion sort; there are few). */
static void
conf_sort_msgs(struct conf_parser *p)
{
	struct conf_msg m;
	size_t i, j;

	for (i = 1; i < p->n_msgs; i++) {
		m = p->msgs[i];
		for (j = i; j > 0 && p->msgs[j - 1].line > m.line; j--)
			p->msgs[j] = p->msgs[j - 1];
		p->msgs[j] = m;
	}
}

/* Join the errors into one malloc'd text and free them. */
static char *
conf_join_msgs(struct conf_parser *p)
{
	size_t i, len = 1, off = 0;
	char *out;

	conf_sort_msgs(p);
	/* conf_err refuses when full: add the note by hand. */
	if (p->too_many) {
		p->msgs =
		    xreallocarray(p->msgs, p->n_msgs + 1, sizeof *p->msgs);
		p->msgs[p->n_msgs].line = 0;
		p->msgs[p->n_msgs].text =
		    xasprintf("%s: more errors not shown", p->c->path);
		p->n_msgs++;
	}
	for (i = 0; i < p->n_msgs; i++)
		len += strlen(p->msgs[i].text) + 1;
	out = xmalloc(len);
	for (i = 0; i < p->n_msgs; i++) {
		size_t l = strlen(p->msgs[i].text);

		memcpy(out + off, p->msgs[i].text, l);
		out[off + l] = '\n';
		off += l + 1;
		free(p->msgs[i].text);
	}
	out[off] = '\0';
	free(p->msgs);
	p->msgs = NULL;
	p->n_msgs = 0;
	return out;
}

/* The absolute directory of path (which must exist). */
static char *
conf_dir_of(const char *path)
{
	char *real, *slash, *dir;

	if ((real = realpath(path, NULL)) == NULL)
		return NULL;
	slash = strrchr(real, '/');
	dir = slash == real ? xstrdup("/")
	                    : xstrndup(real, (size_t)(slash - real));
	free(real);
	return dir;
}

/* Load and validate the configuration file at path. */
struct conf *
conf_load(const char *path, char **errors)
{
	struct conf_parser p;
	struct stat st;
	int rc;

	*errors = NULL;
	memset(&p, 0, sizeof p);
	p.c = xcalloc(1, sizeof *p.c);
	p.c->path = xstrdup(path);
	if ((p.f = fopen(path, "re")) == NULL) {
		conf_err(&p, 0, "cannot open: %s", strerror(errno));
		goto fail;
	}
	if (fstat(fileno(p.f), &st) != 0 || !S_ISREG(st.st_mode)) {
		conf_err(&p, 0, "not a regular file");
		goto fail;
	}
	if (st.st_size > CONF_FILE_MAX) {
		conf_err(&p, 0, "larger than %d bytes", CONF_FILE_MAX);
		goto fail;
	}
	p.file_mode = st.st_mode;
	if ((p.c->dir = conf_dir_of(path)) == NULL) {
		conf_err(&p, 0, "cannot resolve its directory: %s",
		    strerror(errno));
		goto fail;
	}
	rc = ini_parse_stream(conf_reader_cb, &p, conf_handler_cb, &p);
	if (ferror(p.f))
		conf_err(&p, 0, "read error: %s", strerror(errno));
	else if (rc < 0)
		conf_err(&p, 0, "cannot parse (libinih error %d)", rc);
	else if (rc > 0)
		conf_err(&p, rc, "cannot parse this line");
	conf_finish(&p);
	if (p.n_msgs > 0 || p.too_many)
		goto fail;
	fclose(p.f);
	if (p.line != NULL)
		xfree_secret(p.line, p.linecap);
	return p.c;
fail:
	if (p.f != NULL)
		fclose(p.f);
	if (p.line != NULL)
		xfree_secret(p.line, p.linecap);
	*errors = conf_join_msgs(&p);
	conf_free(p.c);
	return NULL;
}

/* Free a configuration, wiping its secrets. */
void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	conf_set_secret(&c->access_token, NULL);
	conf_set_secret(&c->refresh_token, NULL);
	free(c->path);
	free(c->dir);
	free(c->access_token_file);
	free(c->device_uuid);
	free(c->os);
	free(c->app_version);
	free(c->mccmnc);
	free(c->lang);
	free(c->country_iso);
	free(c->booking_host);
	free(c->booking_ca);
	free(c->checkin_host);
	free(c->rsa_public_key);
	EVP_PKEY_free(c->rsa_key);
	free(c->store_path);
	conf_set_secret(&c->irc_password, NULL);
	conf_free_listen(c->irc_listen, c->n_irc_listen);
	conf_free_listen(c->irc_tls_listen, c->n_irc_tls_listen);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->server_name);
	free(c->irc_user);
	free(c->irc_nick);
	free(c);
}

/* Whether two optional strings are equal (both NULL counts). */
static bool
conf_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Whether a and b would run the engine the same way. */
bool
conf_engine_equal(const struct conf *a, const struct conf *b)
{
	return a->user_id == b->user_id &&
	    conf_streq(a->access_token, b->access_token) &&
	    conf_streq(a->access_token_file, b->access_token_file) &&
	    conf_streq(a->refresh_token, b->refresh_token) &&
	    conf_streq(a->device_uuid, b->device_uuid) &&
	    conf_streq(a->os, b->os) &&
	    conf_streq(a->app_version, b->app_version) &&
	    a->dtype == b->dtype && a->ntype == b->ntype &&
	    conf_streq(a->mccmnc, b->mccmnc) && conf_streq(a->lang, b->lang) &&
	    conf_streq(a->country_iso, b->country_iso) &&
	    conf_streq(a->booking_host, b->booking_host) &&
	    a->booking_port == b->booking_port &&
	    conf_streq(a->booking_ca, b->booking_ca) &&
	    conf_streq(a->checkin_host, b->checkin_host) &&
	    a->checkin_port == b->checkin_port &&
	    conf_streq(a->rsa_public_key, b->rsa_public_key) &&
	    EVP_PKEY_eq(a->rsa_key, b->rsa_key) == 1 &&
	    a->key_encrypt_type == b->key_encrypt_type &&
	    a->encrypt_type == b->encrypt_type &&
	    a->ping_interval == b->ping_interval;
}

/* Read a token file the way ssh reads a private key: private or refused. */
char *
conf_read_token(const char *path, char *why, size_t whylen)
{
	char buf[CONF_TOKEN_MAX + 2], *token = NULL;
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd;

	if ((fd = conf_open_regular(path, &st, why, whylen)) < 0)
		return NULL;
	if ((st.st_mode & 077) != 0) {
		snprintf(why, whylen,
		    "'%s' is accessible by group or others (mode %04o); "
		    "chmod 600 it",
		    path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(why, whylen, "'%s' is owned by uid %u, not by uid %u",
		    path, (unsigned)st.st_uid, (unsigned)geteuid());
		goto out;
	}
	while (len < sizeof buf - 1 &&
	    (n = read(fd, buf + len, sizeof buf - 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(why, whylen, "cannot read '%s': %s", path,
			    strerror(errno));
			goto out;
		}
		len += (size_t)n;
	}
	if (len > CONF_TOKEN_MAX) {
		snprintf(why, whylen, "'%s' is larger than %d bytes", path,
		    CONF_TOKEN_MAX);
		goto out;
	}
	while (len > 0 &&
	    (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
	        buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	buf[len] = '\0';
	if (len == 0)
		snprintf(why, whylen, "'%s' is empty", path);
	else if (strlen(buf) != len || !conf_token_chars(buf, CONF_TOKEN_MAX))
		snprintf(why, whylen,
		    "'%s' must hold one line of printable ASCII without "
		    "spaces",
		    path);
	else
		token = xstrdup(buf);
out:
	OPENSSL_cleanse(buf, sizeof buf);
	close(fd);
	return token;
}

/* The configuration name of a log level. */
const char *
conf_log_level_name(enum log_level level)
{
	if ((size_t)level >=
	    sizeof conf_level_names / sizeof conf_level_names[0])
		return "?";
	return conf_level_names[level];
}
