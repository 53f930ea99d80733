/* locoirc: see LICENSE.
 *
 * The configuration loader: every key parsed, every default, and every
 * error naming the file, the line and the key. Token files are checked the
 * way ssh checks keys, tokens never appear in errors, and a failed load
 * leaves the configuration already loaded untouched (the SIGHUP rule).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "conf.h"
#include "loco-error.h"
#include "loco-key.h"
#include "tap.h"

/*
 * A password line: PBKDF2-SHA256 of "correct horse", salt 00..0f, 1000
 * iterations, as the openssl CLI computes it (t-passwd checks that).
 */
#define HASH                                                                   \
	"pbkdf2-sha256$1000$AAECAwQFBgcICQoLDA0ODw==$"                         \
	"yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGQ="

/* A token no error message may ever show. */
#define SECRET "s3cr3t-T0KEN-do-not-log"

static char pub_path[600];   /* a 2048-bit e = 3 key, PEM */
static char small_path[600]; /* a 1024-bit key, PEM */
static char cert_path[600];  /* a self-signed certificate, or "" */

/*
 * Write text to dir/name with mode; returns the path (static buffer). A
 * configuration without an [irc] section gets a minimal one at its end (the
 * section is required; at the end it moves no line numbers).
 */
static const char *__attribute__((format(printf, 3, 4)))
put(const char *name, mode_t mode, const char *fmt, ...)
{
	static char path[600];
	va_list ap;
	FILE *f;
	size_t nlen = strlen(name);
	char *text;
	int n;

	snprintf(path, sizeof path, "%s/%s", tap_tmpdir(), name);
	unlink(path);
	if ((f = fopen(path, "w")) == NULL) {
		diag("cannot write %s: %s", path, strerror(errno));
		return path;
	}
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	text = malloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(text, (size_t)n + 1, fmt, ap);
	va_end(ap);
	fputs(text, f);
	if (nlen > 5 && strcmp(name + nlen - 5, ".conf") == 0 &&
	    strstr(text, "[irc]") == NULL)
		fprintf(f, "\n[irc]\npassword = %s\n", HASH);
	free(text);
	fclose(f);
	chmod(path, mode);
	return path;
}

/* Load the file and expect it to fail; returns the errors (malloc'd). */
static char *
load_bad(const char *path)
{
	char *errs = NULL;
	struct conf *c = conf_load(path, &errs);

	if (c != NULL) {
		diag("%s loaded although it should not", path);
		conf_free(c);
		return calloc(1, 1);
	}
	return errs != NULL ? errs : calloc(1, 1);
}

/* Load the file and expect success; diag the errors otherwise. */
static struct conf *
load_good(const char *path)
{
	char *errs = NULL;
	struct conf *c = conf_load(path, &errs);

	if (c == NULL)
		diag("errors:\n%s", errs ? errs : "(none)");
	free(errs);
	return c;
}

/* Whether errs holds a line starting "PATH:LINE: " and containing what. */
static bool
has_error(const char *errs, const char *path, int line, const char *what)
{
	char prefix[700];
	const char *l = errs;

	snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
	while (l != NULL && *l != '\0') {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);

		if (strncmp(l, prefix, strlen(prefix)) == 0 &&
		    memmem(l, len, what, strlen(what)) != NULL)
			return true;
		l = nl ? nl + 1 : NULL;
	}
	return false;
}

/* The number of lines in errs. */
static int
count_lines(const char *errs)
{
	int n = 0;

	for (; *errs != '\0'; errs++)
		if (*errs == '\n')
			n++;
	return n;
}

/* Check that path fails with exactly one error at line about what. */
static void
one_error(const char *path, int line, const char *what, const char *label)
{
	char *errs = load_bad(path);

	if (!ok(has_error(errs, path, line, what) && count_lines(errs) == 1,
	        "%s: one error at line %d naming '%s'", label, line, what))
		diag("errors:\n%s", errs);
	if (strstr(errs, SECRET) != NULL)
		ok(false, "%s: the token appears in the errors", label);
	free(errs);
}

/* A config (0600) holding only the required keys plus extra lines. */
static const char *
minimal(const char *name, const char *account_extra, const char *rest)
{
	return put(name, 0600,
	    "; comment\n"
	    "[account]\n"
	    "user_id = 7000000001\n"
	    "access_token = tok\n"
	    "device_uuid = dev\n"
	    "%s"
	    "%s",
	    account_extra, rest);
}

/* Every key set, each to something other than its default. */
static void
test_every_key(void)
{
	const char *path;
	EVP_PKEY *pub;
	struct loco_error err;
	struct conf *c;
	char dir[600];

	put("every.token", 0600, "tok-from-file\n");
	snprintf(dir, sizeof dir, "%s/sub", tap_tmpdir());
	mkdir(dir, 0700);
	path = put("every.conf", 0600,
	    "# every key\n"
	    "[account]\n"
	    "user_id = 9223372036854775807\n"
	    "access_token_file = every.token\n"
	    "refresh_token = refresh-1\n"
	    "device_uuid = 0123456789abcdef\n"
	    "os = android\n"
	    "app_version = 25.9.2\n"
	    "dtype = 1\n"
	    "ntype = 3\n"
	    "mccmnc = 45006\n"
	    "lang = en\n"
	    "country_iso = US\n"
	    "\n"
	    "[loco]\n"
	    "booking = [::1]:4443\n"
	    "%s%s%s"
	    "checkin_fallback = ticket.example.org:995\n"
	    "rsa_public_key = %s\n"
	    "key_encrypt_type = 15\n"
	    "encrypt_type = 2\n"
	    "ping_interval = 30\n"
	    "[store]\n"
	    "path = sub/state.db\n"
	    "[log]\n"
	    "level = trace\n",
	    cert_path[0] ? "booking_ca = " : "", cert_path,
	    cert_path[0] ? "\n" : "", pub_path);
	if (!ok((c = load_good(path)) != NULL, "every key: loads"))
		return;
	is_str(c->path, path);
	is_str(c->dir, tap_tmpdir());
	is_int(c->user_id, ==, INT64_MAX);
	is_str(c->access_token, "tok-from-file");
	ok(c->access_token_file != NULL &&
	        strcmp(strrchr(c->access_token_file, '/'), "/every.token") ==
	            0 &&
	        c->access_token_file[0] == '/',
	    "access_token_file is made absolute (%s)",
	    c->access_token_file ? c->access_token_file : "NULL");
	is_str(c->refresh_token, "refresh-1");
	is_str(c->device_uuid, "0123456789abcdef");
	is_str(c->os, "android");
	is_str(c->app_version, "25.9.2");
	is_int(c->dtype, ==, 1);
	is_int(c->ntype, ==, 3);
	is_str(c->mccmnc, "45006");
	is_str(c->lang, "en");
	is_str(c->country_iso, "US");
	is_str(c->booking_host, "::1");
	is_int(c->booking_port, ==, 4443);
	if (cert_path[0] != '\0')
		is_str(c->booking_ca, cert_path);
	else
		skip("no openssl program: booking_ca not tested");
	is_str(c->checkin_host, "ticket.example.org");
	is_int(c->checkin_port, ==, 995);
	is_str(c->rsa_public_key, pub_path);
	pub = loco_key_load_public(pub_path, &err);
	ok(c->rsa_key != NULL && pub != NULL && EVP_PKEY_eq(c->rsa_key, pub),
	    "the RSA key is the file's");
	EVP_PKEY_free(pub);
	is_int(c->key_encrypt_type, ==, 15);
	is_int(c->encrypt_type, ==, 2);
	is_int(c->ping_interval, ==, 30);
	ok(c->store_path != NULL &&
	        strncmp(c->store_path, tap_tmpdir(), strlen(tap_tmpdir())) ==
	            0 &&
	        strcmp(c->store_path + strlen(tap_tmpdir()), "/sub/state.db") ==
	            0,
	    "store path is taken from the file's directory (%s)",
	    c->store_path ? c->store_path : "NULL");
	is_int(c->log_level, ==, LOG_LEVEL_TRACE);
	conf_free(c);
}

/* Only the required keys: everything else has its documented default. */
static void
test_defaults(void)
{
	const char *path = minimal("defaults.conf", "", "");
	struct loco_error err;
	EVP_PKEY *kakao;
	struct conf *c;
	char want[700];

	if (!ok((c = load_good(path)) != NULL, "defaults: loads"))
		return;
	is_int(c->user_id, ==, 7000000001);
	is_str(c->access_token, "tok");
	ok(c->access_token_file == NULL, "no token file");
	ok(c->refresh_token == NULL, "no refresh token");
	is_str(c->device_uuid, "dev");
	is_str(c->os, "mac");
	is_str(c->app_version, "26.2.0");
	is_int(c->dtype, ==, 2);
	is_int(c->ntype, ==, 0);
	is_str(c->mccmnc, "999");
	is_str(c->lang, "ko");
	is_str(c->country_iso, "KR");
	is_str(c->booking_host, "booking-loco.kakao.com");
	is_int(c->booking_port, ==, 443);
	ok(c->booking_ca == NULL, "booking_ca: the system store");
	ok(c->checkin_host == NULL && c->checkin_port == 0,
	    "no checkin fallback");
	ok(c->rsa_public_key == NULL, "no key file");
	kakao = loco_key_kakao_default(&err);
	ok(c->rsa_key != NULL && kakao != NULL &&
	        EVP_PKEY_eq(c->rsa_key, kakao) == 1,
	    "the built-in Kakao key");
	EVP_PKEY_free(kakao);
	is_int(c->key_encrypt_type, ==, 16);
	is_int(c->encrypt_type, ==, 3);
	is_int(c->ping_interval, ==, 0);
	snprintf(want, sizeof want, "%s/locoircd.db", tap_tmpdir());
	is_str(c->store_path, want);
	is_int(c->log_level, ==, LOG_LEVEL_INFO);
	conf_free(c);

	/* Either encrypt key alone picks its partner. */
	path = minimal("pair1.conf", "", "[loco]\nencrypt_type = 2\n");
	if ((c = load_good(path)) != NULL) {
		ok(c->encrypt_type == 2 && c->key_encrypt_type == 15,
		    "encrypt_type 2 alone: key_encrypt_type 15");
		conf_free(c);
	} else
		ok(false, "encrypt_type 2 alone loads");
	path = minimal("pair2.conf", "", "[loco]\nkey_encrypt_type = 12\n");
	if ((c = load_good(path)) != NULL) {
		ok(c->encrypt_type == 2 && c->key_encrypt_type == 12,
		    "key_encrypt_type 12 alone: encrypt_type 2");
		conf_free(c);
	} else
		ok(false, "key_encrypt_type 12 alone loads");
	path = minimal("pair3.conf", "",
	    "[loco]\nkey_encrypt_type = 16\nencrypt_type = 3\n"
	    "booking = 127.0.0.1:1\n");
	if ((c = load_good(path)) != NULL) {
		ok(c->encrypt_type == 3 && c->key_encrypt_type == 16 &&
		        strcmp(c->booking_host, "127.0.0.1") == 0 &&
		        c->booking_port == 1,
		    "16 with 3, and an IPv4 booking address");
		conf_free(c);
	} else
		ok(false, "16 with 3 loads");

	/* Syntax libinih accepts: ':' separators, inline comments, BOM,
	 * CRLF, indentation. */
	path = put("syntax.conf", 0600,
	    "\xef\xbb\xbf[account]\r\n"
	    "  user_id: 42   ; inline comment\r\n"
	    "\taccess_token = tok\r\n"
	    "device_uuid=dev\r\n"
	    "# hash comment\r\n");
	if ((c = load_good(path)) != NULL) {
		ok(c->user_id == 42 && strcmp(c->access_token, "tok") == 0 &&
		        strcmp(c->device_uuid, "dev") == 0,
		    "BOM, CRLF, ':' and inline comments are understood");
		conf_free(c);
	} else
		ok(false, "BOM, CRLF, ':' and inline comments load");
}

/* Each kind of error names the file, the line and the key. */
static void
test_errors(void)
{
	const char *path;
	char *errs;

	path = minimal("e-key.conf", "", "[loco]\nbooking_port = 1\n");
	one_error(path, 7, "[loco] unknown key 'booking_port'", "unknown key");
	path = minimal("e-sect.conf", "", "[daemon]\nfoo = 1\n");
	one_error(path, 6, "unknown section [daemon]", "unknown section");
	path = minimal("e-int.conf", "dtype = two\n", "");
	one_error(path, 6, "[account] dtype: 'two' is not a number",
	    "bad integer");
	path = minimal("e-range.conf", "dtype = 3\n", "");
	one_error(path, 6, "[account] dtype: '3' is out of range (1 to 2)",
	    "integer out of range");
	path = minimal("e-plus.conf", "ntype = +1\n", "");
	one_error(path, 6, "[account] ntype: '+1' is not a number",
	    "a sign is not a number");
	path = minimal("e-big.conf", "",
	    "[loco]\nping_interval = 99999999999999999999\n");
	one_error(path, 7,
	    "[loco] ping_interval: '99999999999999999999' is out",
	    "integer overflow");
	path = put("e-uid.conf", 0600,
	    "[account]\nuser_id = 0\naccess_token = t\ndevice_uuid = d\n");
	one_error(path, 2, "[account] user_id: '0' is out of range",
	    "user_id 0");

	path = minimal("e-hp1.conf", "", "[loco]\nbooking = example.org\n");
	one_error(path, 7,
	    "[loco] booking: 'example.org': expected 'host:port'",
	    "host without port");
	path = minimal("e-hp2.conf", "", "[loco]\nbooking = ::1:443\n");
	one_error(path, 7, "[loco] booking: '::1:443': an IPv6 address needs",
	    "bare IPv6");
	path = minimal("e-hp3.conf", "", "[loco]\nbooking = [nope]:443\n");
	one_error(path, 7, "[loco] booking: '[nope]:443': not an IPv6",
	    "bad bracketed address");
	path = minimal("e-hp4.conf", "", "[loco]\nbooking = h:0\n");
	one_error(path, 7, "[loco] booking: 'h:0': the port", "port 0");
	path = minimal("e-hp5.conf", "", "[loco]\nbooking = h:65536\n");
	one_error(path, 7, "[loco] booking: 'h:65536': the port", "port 65536");
	path = minimal("e-hp6.conf", "",
	    "[loco]\ncheckin_fallback = bad_host!:1\n");
	one_error(path, 7, "[loco] checkin_fallback: 'bad_host!:1': not a host",
	    "bad host name");
	path = minimal("e-hp7.conf", "", "[loco]\nbooking = [::1]443\n");
	one_error(path, 7,
	    "[loco] booking: '[::1]443': expected '[address]:port'",
	    "brackets without a port");
	path = minimal("e-hp8.conf", "", "[loco]\nbooking = -x.org:443\n");
	one_error(path, 7, "[loco] booking: '-x.org:443': not a host",
	    "a label starting with '-'");
	path = minimal("e-hp9.conf", "", "[loco]\nbooking = x-.example:443\n");
	one_error(path, 7, "[loco] booking: 'x-.example:443': not a host",
	    "a label ending with '-'");

	path = put("e-nouid.conf", 0600,
	    "\n[account]\naccess_token = t\ndevice_uuid = d\n");
	one_error(path, 2, "[account] user_id: missing", "missing user_id");
	path = put("e-noacct.conf", 0600,
	    "[irc]\npassword = " HASH "\n[log]\nlevel = info\n");
	errs = load_bad(path);
	ok(has_error(errs, path, 4, "[account] user_id: missing") &&
	        has_error(errs, path, 4, "[account] device_uuid: missing") &&
	        has_error(errs, path, 4, "[account] access_token: missing") &&
	        count_lines(errs) == 3,
	    "no [account]: three missing keys at the last line");
	free(errs);
	path = put("e-notok.conf", 0600,
	    "[account]\nuser_id = 1\ndevice_uuid = d\n");
	one_error(path, 1,
	    "[account] access_token: missing (set access_token or",
	    "neither access_token nor access_token_file");
	put("e-both.token", 0600, "t2\n");
	path = put("e-both.conf", 0600,
	    "[account]\nuser_id = 1\naccess_token = t\ndevice_uuid = d\n"
	    "access_token_file = e-both.token\n");
	one_error(path, 5,
	    "[account] access_token_file: access_token and access_token_file "
	    "(line 3) exclude",
	    "both access_token and access_token_file");

	path = minimal("e-pair.conf", "",
	    "[loco]\nencrypt_type = 2\nkey_encrypt_type = 16\n");
	one_error(path, 8,
	    "[loco] key_encrypt_type: key_encrypt_type 16 does not go with "
	    "encrypt_type 2",
	    "16 with 2");
	path = minimal("e-pair2.conf", "",
	    "[loco]\nkey_encrypt_type = 12\nencrypt_type = 3\n");
	one_error(path, 8, "[loco] encrypt_type: key_encrypt_type 12 does not",
	    "12 with 3");
	path = minimal("e-kt.conf", "", "[loco]\nkey_encrypt_type = 13\n");
	one_error(path, 7, "[loco] key_encrypt_type: 13 is not 12, 15 or 16",
	    "key_encrypt_type 13");
	path = minimal("e-et.conf", "", "[loco]\nencrypt_type = 1\n");
	one_error(path, 7, "[loco] encrypt_type: '1' is out of range",
	    "encrypt_type 1");

	path = minimal("e-rsa.conf", "", "[loco]\nrsa_public_key = none.pem\n");
	one_error(path, 7, "[loco] rsa_public_key: cannot open '",
	    "missing key file");
	put("garbage.pem", 0644, "not a key\n");
	path = minimal("e-rsa2.conf", "",
	    "[loco]\nrsa_public_key = garbage.pem\n");
	one_error(path, 7,
	    "[loco] rsa_public_key: ", "a key file without a key");
	path = minimal("e-rsa3.conf", "", "[loco]\nrsa_public_key = .\n");
	one_error(path, 7, "[loco] rsa_public_key: '",
	    "a directory as key file");
	if (small_path[0] != '\0') {
		char rest[700];

		snprintf(rest, sizeof rest, "[loco]\nrsa_public_key = %s\n",
		    small_path);
		path = minimal("e-rsa4.conf", "", rest);
		one_error(path, 7, "is not a 2048-bit RSA key",
		    "a 1024-bit key");
	}
	path = minimal("e-ca.conf", "", "[loco]\nbooking_ca = none.crt\n");
	one_error(path, 7, "[loco] booking_ca: cannot open '",
	    "missing CA file");
	path = minimal("e-ca2.conf", "", "[loco]\nbooking_ca = garbage.pem\n");
	one_error(path, 7, "[loco] booking_ca: no PEM certificate in",
	    "a CA file without certificates");
	path = minimal("e-store.conf", "", "[store]\npath = nodir/x.db\n");
	one_error(path, 7, "[store] path: no directory '",
	    "store in no directory");
	path = minimal("e-store2.conf", "", "[store]\npath = sub/\n");
	one_error(path, 7, "[store] path: '", "store path naming a directory");

	{
		char d[700];

		/* The default store is checked too. */
		snprintf(d, sizeof d, "%s/dstore", tap_tmpdir());
		mkdir(d, 0700);
		snprintf(d, sizeof d, "%s/dstore/locoircd.db", tap_tmpdir());
		mkdir(d, 0700);
		path = minimal("dstore/x.conf", "",
		    "[irc]\npassword = " HASH "\n");
		one_error(path, 7, "[store] path: '",
		    "a default store that is a directory");
	}
	path = minimal("e-dup.conf", "device_uuid = again\n", "");
	one_error(path, 6,
	    "[account] device_uuid: duplicate key (first set on line 5)",
	    "duplicate key");
	path = minimal("e-empty.conf", "os =\n", "");
	one_error(path, 6, "[account] os: empty value", "empty value");
	path = minimal("e-os.conf", "os = Mac\n", "");
	one_error(path, 6, "[account] os: 'Mac' is not mac, win32 or android",
	    "bad os");
	path = minimal("e-ver.conf", "app_version = 26..0\n", "");
	one_error(path, 6, "[account] app_version: '26..0' is not a version",
	    "bad app_version");
	path = minimal("e-mcc.conf", "mccmnc = 45a\n", "");
	one_error(path, 6, "[account] mccmnc: '45a' is not 3 to 6 digits",
	    "bad mccmnc");
	path = minimal("e-lang.conf", "lang = KO\n", "");
	one_error(path, 6, "[account] lang: 'KO' is not", "bad lang");
	path = minimal("e-cc.conf", "country_iso = kor\n", "");
	one_error(path, 6, "[account] country_iso: 'kor' is not",
	    "bad country_iso");
	path = put("e-uuid.conf", 0600,
	    "[account]\nuser_id = 1\naccess_token = t\ndevice_uuid = a b\n");
	one_error(path, 4, "[account] device_uuid: 'a b' is not",
	    "a device_uuid with a space");
	path = minimal("e-level.conf", "", "[log]\nlevel = loud\n");
	one_error(path, 7, "[log] level: 'loud' is not warn, info, debug",
	    "bad log level");
	path = minimal("e-esc.conf", "os = \x01zz\n", "");
	one_error(path, 6, "[account] os: '\\x01zz' is not",
	    "control characters are escaped in errors");

	path = put("e-outside.conf", 0600,
	    "user_id = 1\n[account]\nuser_id = 1\naccess_token = t\n"
	    "device_uuid = d\n");
	one_error(path, 1, "key 'user_id' is outside any section",
	    "a key before any section");
	path = minimal("e-syntax.conf", "just words\n", "");
	one_error(path, 6, "expected '[section]' or 'key = value'",
	    "a line that is no key");
	path = minimal("e-bracket.conf", "", "[loco\n");
	one_error(path, 6, "no ']' after the section name", "an open bracket");
	{
		char big[400];

		memset(big, 'x', sizeof big - 1);
		big[sizeof big - 1] = '\0';
		path = put("e-long.conf", 0600,
		    "[account]\nuser_id = 1\naccess_token = t\n"
		    "device_uuid = d\n; %s\n",
		    big);
		one_error(path, 5, "the line is longer than",
		    "an over-long line");
	}
	path = put("e-nul.conf", 0600,
	    "[irc]\npassword = " HASH "\n[account]\nuser_id = 1\n");
	{
		FILE *f = fopen(path, "a");

		fwrite("os = m\0ac\n", 1, 10, f);
		fputs("access_token = t\ndevice_uuid = d\n", f);
		fclose(f);
	}
	one_error(path, 5, "the line holds a NUL byte", "a NUL byte");

	/* Several errors at once, sorted by line. */
	path = put("e-many.conf", 0600,
	    "[account]\n"
	    "dtype = 9\n"
	    "[bogus]\n"
	    "x = 1\n"
	    "[loco]\n"
	    "booking = nope\n"
	    "nokey = 2\n");
	errs = load_bad(path);
	ok(has_error(errs, path, 1, "user_id: missing") &&
	        has_error(errs, path, 2, "dtype") &&
	        has_error(errs, path, 3, "unknown section [bogus]") &&
	        has_error(errs, path, 6, "booking") &&
	        has_error(errs, path, 7, "unknown key 'nokey'") &&
	        count_lines(errs) == 7,
	    "every error is reported, once");
	ok(strstr(errs, ":1: ") < strstr(errs, ":2: ") &&
	        strstr(errs, ":2: ") < strstr(errs, ":3: ") &&
	        strstr(errs, ":6: ") < strstr(errs, ":7: "),
	    "sorted by line");
	free(errs);

	/* A flood of errors is capped. */
	{
		char *text = calloc(1, 200 * 16 + 64), *p = text;
		int i;

		p += sprintf(p, "[account]\n");
		for (i = 0; i < 200; i++)
			p += sprintf(p, "bad%d = 1\n", i);
		path = put("e-flood.conf", 0600, "%s", text);
		free(text);
		errs = load_bad(path);
		ok(count_lines(errs) == CONF_ERRORS_MAX + 1 &&
		        strstr(errs, "more errors not shown") != NULL,
		    "errors stop at %d, with a note", CONF_ERRORS_MAX);
		free(errs);
	}

	errs = load_bad("/nonexistent/locoircd.conf");
	ok(strstr(errs, "/nonexistent/locoircd.conf: cannot open: ") == errs,
	    "a missing file: %.*s", (int)strcspn(errs, "\n"), errs);
	free(errs);
	errs = load_bad(tap_tmpdir());
	ok(strstr(errs, "not a regular file") != NULL,
	    "a directory is no configuration");
	free(errs);
}

/* Token files are private or refused; tokens never reach an error. */
static void
test_tokens(void)
{
	const char *path;
	char why[512], *tok;
	struct conf *c;

	put("t640.token", 0640, "abc\n");
	path = put("t640.conf", 0600,
	    "[account]\nuser_id = 1\ndevice_uuid = d\n"
	    "access_token_file = t640.token\n");
	one_error(path, 4, "[account] access_token_file: '", "mode 0640");
	{
		char *errs = load_bad(path);

		ok(strstr(errs, "accessible by group or others (mode 0640)") !=
		        NULL,
		    "mode 0640 is named in the error");
		free(errs);
	}
	put("t604.token", 0604, "abc\n");
	path = put("t604.conf", 0600,
	    "[account]\nuser_id = 1\ndevice_uuid = d\n"
	    "access_token_file = t604.token\n");
	one_error(path, 4, "(mode 0604); chmod 600 it", "mode 0604");
	put("t600.token", 0600, "%s\n", SECRET);
	path = put("t600.conf", 0600,
	    "[account]\nuser_id = 1\ndevice_uuid = d\n"
	    "access_token_file = t600.token\n");
	if ((c = load_good(path)) != NULL) {
		is_str(c->access_token, SECRET);
		conf_free(c);
	} else
		ok(false, "mode 0600 is accepted");

	put("crlf.token", 0600, "%s\r\n\n", SECRET);
	snprintf(why, sizeof why, "%s/crlf.token", tap_tmpdir());
	tok = conf_read_token(why, why, sizeof why);
	is_str(tok, SECRET);
	free(tok);
	put("nonl.token", 0400, "%s", SECRET);
	snprintf(why, sizeof why, "%s/nonl.token", tap_tmpdir());
	tok = conf_read_token(why, why, sizeof why);
	ok(tok != NULL && strcmp(tok, SECRET) == 0,
	    "a token without newline, mode 0400");
	free(tok);
	put("owned.token", 0600, "%s\n", SECRET);
	snprintf(why, sizeof why, "%s/owned.token", tap_tmpdir());
	if (geteuid() == 0 && chown(why, 4242, 4242) == 0) {
		tok = conf_read_token(why, why, sizeof why);
		ok(tok == NULL && strstr(why, "is owned by uid 4242") != NULL,
		    "a token file of another user is refused: %s", why);
		free(tok);
	} else
		skip("not root: cannot give a file away");
	put("two.token", 0600, "%s\nsecond\n", SECRET);
	snprintf(why, sizeof why, "%s/two.token", tap_tmpdir());
	tok = conf_read_token(why, why, sizeof why);
	ok(tok == NULL && strstr(why, "one line") != NULL &&
	        strstr(why, SECRET) == NULL,
	    "two lines are refused: %s", why);
	free(tok);
	put("empty.token", 0600, "\n\n");
	snprintf(why, sizeof why, "%s/empty.token", tap_tmpdir());
	tok = conf_read_token(why, why, sizeof why);
	ok(tok == NULL && strstr(why, "is empty") != NULL,
	    "an empty token file is refused: %s", why);
	free(tok);
	snprintf(why, sizeof why, "%s/none.token", tap_tmpdir());
	tok = conf_read_token(why, why, sizeof why);
	ok(tok == NULL && strstr(why, "cannot open") != NULL,
	    "a missing token file: %s", why);
	free(tok);
	{
		char *big = malloc(CONF_TOKEN_MAX + 10);

		memset(big, 'a', CONF_TOKEN_MAX + 9);
		big[CONF_TOKEN_MAX + 9] = '\0';
		put("big.token", 0600, "%s", big);
		free(big);
		snprintf(why, sizeof why, "%s/big.token", tap_tmpdir());
		tok = conf_read_token(why, why, sizeof why);
		ok(tok == NULL && strstr(why, "larger than") != NULL,
		    "an oversized token file: %s", why);
		free(tok);
	}

	/* Inline secrets need a private configuration file. */
	path = put("open.conf", 0644,
	    "[account]\nuser_id = 1\ndevice_uuid = d\naccess_token = %s\n",
	    SECRET);
	one_error(path, 4, "[account] access_token: '",
	    "an inline token in a 0644 file");
	{
		char *errs = load_bad(path);

		ok(strstr(errs,
		       "(mode 0644); chmod 600 it or use "
		       "access_token_file") != NULL,
		    "which says what to do");
		free(errs);
	}
	path = put("open2.conf", 0640,
	    "[account]\nuser_id = 1\ndevice_uuid = d\n"
	    "access_token_file = t600.token\nrefresh_token = %s\n",
	    SECRET);
	one_error(path, 5, "[account] refresh_token: '",
	    "an inline refresh token in a 0640 file");
	path = put("open3.conf", 0644,
	    "[account]\nuser_id = 1\ndevice_uuid = d\n"
	    "access_token_file = t600.token\n");
	if ((c = load_good(path)) != NULL) {
		ok(true, "a 0644 file with only a token file is fine");
		conf_free(c);
	} else
		ok(false, "a 0644 file with only a token file is fine");
	path = put("sp.conf", 0600,
	    "[account]\nuser_id = 1\ndevice_uuid = d\naccess_token = a%sb c\n",
	    SECRET);
	one_error(path, 4, "[account] access_token: the value is not",
	    "a token with a space, not quoted back");
}

/* Reload semantics: a new struct per load; a failure touches nothing. */
static void
test_reload(void)
{
	const char *path;
	struct conf *a, *b;
	char *errs = NULL;

	path = minimal("reload.conf", "app_version = 1.2.3\n",
	    "[log]\nlevel = warn\n");
	if (!ok((a = load_good(path)) != NULL, "reload: the first load"))
		return;
	b = load_good(path);
	ok(b != NULL && b != a && conf_engine_equal(a, b),
	    "loading again gives an equal, separate struct");
	conf_free(b);

	path = minimal("reload.conf", "app_version = 1.2.3\n",
	    "[log]\nlevel = debug\n");
	b = load_good(path);
	ok(b != NULL && conf_engine_equal(a, b) &&
	        b->log_level == LOG_LEVEL_DEBUG,
	    "a new log level alone does not touch the engine's part");
	conf_free(b);

	path = minimal("reload.conf", "app_version = 1.2.4\n", "");
	b = load_good(path);
	ok(b != NULL && !conf_engine_equal(a, b),
	    "a new app_version changes the engine's part");
	conf_free(b);
	path = minimal("reload.conf", "app_version = 1.2.3\n",
	    "[loco]\nping_interval = 10\n[log]\nlevel = warn\n");
	b = load_good(path);
	ok(b != NULL && !conf_engine_equal(a, b), "so does a [loco] key");
	conf_free(b);
	path = put("reload.conf", 0600,
	    "[account]\nuser_id = 7000000001\naccess_token = tok2\n"
	    "device_uuid = dev\napp_version = 1.2.3\n[log]\nlevel = warn\n");
	b = load_good(path);
	ok(b != NULL && !conf_engine_equal(a, b), "and a new token");
	conf_free(b);

	path = minimal("reload.conf", "app_version = x\n", "[nope]\n");
	b = conf_load(path, &errs);
	ok(b == NULL && errs != NULL, "a bad file fails to load");
	free(errs);
	ok(strcmp(a->app_version, "1.2.3") == 0 &&
	        a->log_level == LOG_LEVEL_WARN &&
	        strcmp(a->access_token, "tok") == 0 && a->user_id == 7000000001,
	    "and the loaded configuration is untouched");
	conf_free(a);
}

/* A file of the source tree, read whole (malloc'd), or NULL. */
static char *
read_source(const char *rel)
{
	const char *data = getenv("LOCOIRC_TEST_DATA");
	char path[1200], *text;
	long len;
	FILE *f;

	/* $LOCOIRC_TEST_DATA is tests/data; else find it from this file. */
	if (data != NULL && *data != '\0')
		snprintf(path, sizeof path, "%s/../../%s", data, rel);
	else
		snprintf(path, sizeof path, "%.*s/../../%s",
		    (int)(strrchr(__FILE__, '/') - __FILE__), __FILE__, rel);
	if ((f = fopen(path, "r")) == NULL) {
		diag("cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)len + 1);
	if (fread(text, 1, (size_t)len, f) != (size_t)len) {
		free(text);
		text = NULL;
	}
	fclose(f);
	return text;
}

/*
 * The example file and the man page name every key, and the example's
 * defaults, uncommented, load into the same configuration as no keys.
 */
static void
test_docs(void)
{
	static const char *const keys[] = {"user_id", "access_token",
	    "access_token_file", "refresh_token", "device_uuid", "os",
	    "app_version", "dtype", "ntype", "mccmnc", "lang", "country_iso",
	    "booking", "booking_ca", "checkin_fallback", "rsa_public_key",
	    "key_encrypt_type", "encrypt_type", "ping_interval", "path",
	    "level", "listen", "tls_listen", "tls_cert", "tls_key",
	    "server_name", "password", "nick_ascii", "registration_timeout",
	    "sendq_max", "user", "nick", "backlog", "read_receipts"};
	static const char *const defaulted[] = {"os", "app_version", "dtype",
	    "ntype", "mccmnc", "lang", "country_iso", "booking",
	    "key_encrypt_type", "encrypt_type", "ping_interval", "path",
	    "level", "listen", "server_name", "nick_ascii",
	    "registration_timeout", "sendq_max", "backlog", "read_receipts"};
	char *example = read_source("conf/locoircd.conf.example");
	char *man = read_source("docs/locoircd.conf.5");
	char want[128], *out, *o, *line, *save = NULL;
	struct conf *a, *b;
	size_t i, j;
	bool all_ex = true, all_man = true;

	if (!ok(example != NULL && man != NULL,
	        "read the example and the man page")) {
		free(example);
		free(man);
		return;
	}
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		snprintf(want, sizeof want, "\n;%s =", keys[i]);
		if (strstr(example, want) == NULL) {
			diag("the example lacks %s", keys[i]);
			all_ex = false;
		}
		snprintf(want, sizeof want, "\n.It Ic %s ", keys[i]);
		if (strstr(man, want) == NULL) {
			diag("the man page lacks %s", keys[i]);
			all_man = false;
		}
	}
	ok(all_ex, "the example names every key");
	ok(all_man, "locoircd.conf(5) names every key");

	out = o = calloc(1, strlen(example) + 256);
	for (line = strtok_r(example, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '[')
			o += sprintf(o, "%s\n", line);
		/* The required password has no default to uncomment. */
		if (strcmp(line, "[irc]") == 0)
			o += sprintf(o, "password = %s\n", HASH);
		if (strcmp(line, "[account]") == 0)
			o += sprintf(o,
			    "user_id = 7000000001\n"
			    "access_token = tok\n"
			    "device_uuid = dev\n");
		for (j = 0; line[0] == ';' &&
		     j < sizeof defaulted / sizeof defaulted[0];
		     j++) {
			size_t klen = strlen(defaulted[j]);

			if (strncmp(line + 1, defaulted[j], klen) == 0 &&
			    strncmp(line + 1 + klen, " = ", 3) == 0)
				o += sprintf(o, "%s\n", line + 1);
		}
	}
	put("example.conf", 0600, "%s", out);
	snprintf(want, sizeof want, "%s/example.conf", tap_tmpdir());
	a = load_good(want);
	b = load_good(
	    minimal("nodefaults.conf", "", "[irc]\npassword = " HASH "\n"));
	ok(a != NULL && b != NULL && conf_engine_equal(a, b) &&
	        a->log_level == b->log_level &&
	        strcmp(a->store_path, b->store_path) == 0,
	    "the example's defaults are the real ones");
	ok(a != NULL && b != NULL && a->irc && b->irc && a->n_irc_listen == 1 &&
	        b->n_irc_listen == 1 &&
	        strcmp(a->irc_listen[0].host, b->irc_listen[0].host) == 0 &&
	        a->irc_listen[0].port == b->irc_listen[0].port &&
	        strcmp(a->server_name, b->server_name) == 0 &&
	        a->nick_ascii == b->nick_ascii &&
	        a->registration_timeout == b->registration_timeout &&
	        a->sendq_max == b->sendq_max,
	    "the example's [irc] defaults are the real ones");
	conf_free(a);
	conf_free(b);
	free(out);
	free(example);
	free(man);
}

/* The [irc] section: every key, the defaults, every error. */
static void
test_irc(void)
{
	const char *path;
	struct conf *c;
	char *errs, line[800], rest[1400];

	/* No [irc]: refused, an open gateway is a stolen account. */
	path = put("irc-none.conf", 0600,
	    "[account]\nuser_id = 1\naccess_token = t\ndevice_uuid = d\n"
	    "[irc]\n");
	errs = load_bad(path);
	ok(strstr(errs, "[irc] password: missing") != NULL,
	    "an [irc] without a password is refused");
	free(errs);
	{
		FILE *f = fopen(path, "w");

		fputs("[account]\nuser_id = 1\naccess_token = t\n"
		      "device_uuid = d\n",
		    f);
		fclose(f);
	}
	errs = load_bad(path);
	ok(strstr(errs, ": [irc] is missing: it needs at least password") !=
	            NULL &&
	        count_lines(errs) == 1,
	    "no [irc] at all: one error");
	free(errs);
	c = load_good(minimal("irc-min2.conf", "",
	    "[irc]\npassword = " HASH "\nuser = alice\nnick = Alice_K\n"
	    "backlog = 0\n"));
	ok(c != NULL && strcmp(c->irc_user, "alice") == 0 &&
	        strcmp(c->irc_nick, "Alice_K") == 0 && c->backlog == 0,
	    "[irc] user, nick and backlog");
	conf_free(c);
	path = minimal("irc-badnick.conf", "",
	    "[irc]\npassword = " HASH "\nnick = 1abc\n");
	one_error(path, 8, "[irc] nick: '1abc'",
	    "a nick starting with a digit");
	path = minimal("irc-badnick2.conf", "",
	    "[irc]\npassword = " HASH "\nnick = a b\n");
	one_error(path, 8, "[irc] nick: 'a b'", "a nick with a space");
	path = minimal("irc-baduser.conf", "",
	    "[irc]\npassword = " HASH "\nuser = a@b\n");
	one_error(path, 8, "[irc] user: 'a@b'", "a user name with '@'");
	path = minimal("irc-badbl.conf", "",
	    "[irc]\npassword = " HASH "\nbacklog = 10001\n");
	one_error(path, 8, "[irc] backlog: '10001' is out of range",
	    "backlog out of range");
	c = load_good(minimal("irc-none.conf", "", ""));
	ok(c != NULL && c->irc && c->backlog == 20 && c->irc_user == NULL &&
	        c->irc_nick == NULL,
	    "[irc] defaults: any user, nick chosen at start, backlog 20");
	conf_free(c);

	/* Only the password: the defaults. */
	c = load_good(
	    minimal("irc-min.conf", "", "[irc]\npassword = " HASH "\n"));
	if (ok(c != NULL && c->irc, "[irc] with a password loads")) {
		ok(c->n_irc_listen == 1 &&
		        strcmp(c->irc_listen[0].host, "127.0.0.1") == 0 &&
		        c->irc_listen[0].port == 6667,
		    "listen defaults to 127.0.0.1:6667");
		is_uint(c->n_irc_tls_listen, ==, 0);
		ok(c->tls_cert == NULL && c->tls_key == NULL, "no TLS files");
		is_str(c->server_name, "locoircd");
		is_str(c->irc_password, HASH);
		ok(!c->nick_ascii, "nick_ascii defaults to false");
		is_int(c->registration_timeout, ==, 30);
		is_int(c->sendq_max, ==, 1024 * 1024);
	}
	conf_free(c);

	/* Every key. */
	if (cert_path[0] != '\0') {
		snprintf(line, sizeof line, "%s/ca.key", tap_tmpdir());
		snprintf(rest, sizeof rest,
		    "[irc]\n"
		    "listen = 127.0.0.1:0, [::1]:6668 localhost:6669\n"
		    "tls_listen = 0.0.0.0:6697\n"
		    "tls_cert = %s\n"
		    "tls_key = ca.key\n"
		    "server_name = irc.example.org\n"
		    "password = %s\n"
		    "nick_ascii = yes\n"
		    "registration_timeout = 600\n"
		    "sendq_max = 65536\n",
		    cert_path, HASH);
		path = minimal("irc-every.conf", "", rest);
		c = load_good(path);
		if (ok(c != NULL, "[irc] every key: loads")) {
			ok(c->n_irc_listen == 3 &&
			        strcmp(c->irc_listen[0].host, "127.0.0.1") ==
			            0 &&
			        c->irc_listen[0].port == 0 &&
			        strcmp(c->irc_listen[1].host, "::1") == 0 &&
			        c->irc_listen[1].port == 6668 &&
			        strcmp(c->irc_listen[2].host, "localhost") ==
			            0 &&
			        c->irc_listen[2].port == 6669,
			    "listen: three addresses, commas or spaces");
			ok(c->n_irc_tls_listen == 1 &&
			        strcmp(c->irc_tls_listen[0].host, "0.0.0.0") ==
			            0 &&
			        c->irc_tls_listen[0].port == 6697,
			    "tls_listen");
			is_str(c->tls_cert, cert_path);
			is_str(c->tls_key, line);
			is_str(c->server_name, "irc.example.org");
			ok(c->nick_ascii, "nick_ascii = yes");
			is_int(c->registration_timeout, ==, 600);
			is_int(c->sendq_max, ==, 65536);
		}
		conf_free(c);
	} else {
		ok(false, "no certificate from the openssl program");
	}
	c = load_good(minimal("irc-bool.conf", "",
	    "[irc]\npassword = " HASH "\nnick_ascii = off\n"));
	ok(c != NULL && !c->nick_ascii, "nick_ascii = off");
	conf_free(c);

	/* Errors. */
	path = minimal("irc-nopw.conf", "", "[irc]\nnick_ascii = true\n");
	one_error(path, 6, "[irc] password: missing (required",
	    "password required");
	path = minimal("irc-empty.conf", "", "[irc]\n");
	one_error(path, 6, "[irc] password: missing", "an empty [irc] too");
	path = minimal("irc-plain.conf", "", "[irc]\npassword = hunter2\n");
	one_error(path, 7,
	    "[irc] password: not a password hash; run "
	    "'locoircd --hash-password'",
	    "plain-text password");
	errs = load_bad(path);
	ok(strstr(errs, "hunter2") == NULL, "the plain password is not shown");
	free(errs);
	path = minimal("irc-badhash.conf", "",
	    "[irc]\npassword = pbkdf2-sha256$0$AAAA$AAAA\n");
	one_error(path, 7, "[irc] password: not a password hash",
	    "malformed hash");
	path = minimal("irc-l1.conf", "",
	    "[irc]\npassword = " HASH "\nlisten = 127.0.0.1\n");
	one_error(path, 8, "[irc] listen: '127.0.0.1': expected 'host:port'",
	    "listen without a port");
	path = minimal("irc-l2.conf", "",
	    "[irc]\npassword = " HASH "\nlisten = 127.0.0.1:70000\n");
	one_error(path, 8, "[irc] listen: '127.0.0.1:70000': the port",
	    "listen port out of range");
	path = minimal("irc-l3.conf", "",
	    "[irc]\npassword = " HASH "\nlisten = ::1:6667\n");
	one_error(path, 8, "needs brackets", "IPv6 without brackets");
	path = minimal("irc-l4.conf", "",
	    "[irc]\npassword = " HASH
	    "\nlisten = 127.0.0.1:6667,127.0.0.1:6667\n");
	one_error(path, 8, "[irc] listen: '127.0.0.1:6667' is listed twice",
	    "listen duplicate");
	path = minimal("irc-l5.conf", "",
	    "[irc]\npassword = " HASH "\nlisten = , ,\n");
	one_error(path, 8, "[irc] listen: no address", "listen of separators");
	path = minimal("irc-l6.conf", "",
	    "[irc]\npassword = " HASH
	    "\nlisten = a:1 a:2 a:3 a:4 a:5 a:6 a:7 a:8 a:9 a:10 a:11 a:12 "
	    "a:13 a:14 a:15 a:16 a:17\n");
	one_error(path, 8, "[irc] listen: more than 16 addresses",
	    "too many listeners");
	path = minimal("irc-t1.conf", "",
	    "[irc]\npassword = " HASH "\ntls_listen = 127.0.0.1:6697\n");
	one_error(path, 8, "[irc] tls_listen: needs tls_cert and tls_key",
	    "tls_listen without files");
	snprintf(rest, sizeof rest,
	    "[irc]\npassword = " HASH "\ntls_cert = %s\n", pub_path);
	path = minimal("irc-t2.conf", "", rest);
	one_error(path, 8, "[irc] tls_cert: tls_key is missing",
	    "tls_cert alone");
	snprintf(rest, sizeof rest,
	    "[irc]\npassword = " HASH "\ntls_key = %s\n", pub_path);
	path = minimal("irc-t3.conf", "", rest);
	one_error(path, 8, "[irc] tls_key: tls_cert is missing",
	    "tls_key alone");
	snprintf(rest, sizeof rest,
	    "[irc]\npassword = " HASH
	    "\ntls_cert = nowhere.pem\ntls_key = %s\n",
	    pub_path);
	path = minimal("irc-t4.conf", "", rest);
	one_error(path, 8, "[irc] tls_cert: cannot open", "unreadable cert");
	snprintf(rest, sizeof rest,
	    "[irc]\npassword = " HASH "\ntls_cert = %s\ntls_key = %s\n",
	    pub_path, tap_tmpdir());
	path = minimal("irc-t5.conf", "", rest);
	one_error(path, 9, "[irc] tls_key: ", "a directory as the key");
	path = minimal("irc-s1.conf", "",
	    "[irc]\npassword = " HASH "\nserver_name = irc example\n");
	one_error(path, 8, "[irc] server_name: 'irc example' is not",
	    "server_name with a space");
	path = minimal("irc-s2.conf", "",
	    "[irc]\npassword = " HASH "\nserver_name = "
	    "a234567890123456789012345678901234567890123456789012345678901234"
	    "\n");
	one_error(path, 8, "[irc] server_name: ", "server_name of 64 bytes");
	path = minimal("irc-s3.conf", "",
	    "[irc]\npassword = " HASH "\nserver_name = -bad.example\n");
	one_error(path, 8, "[irc] server_name: ", "server_name with a dash");
	path = minimal("irc-b.conf", "",
	    "[irc]\npassword = " HASH "\nnick_ascii = maybe\n");
	one_error(path, 8, "[irc] nick_ascii: 'maybe' is not true or false",
	    "nick_ascii not a boolean");
	path = minimal("irc-r1.conf", "",
	    "[irc]\npassword = " HASH "\nregistration_timeout = 4\n");
	one_error(path, 8,
	    "[irc] registration_timeout: '4' is out of range "
	    "(5 to 600)",
	    "registration_timeout too small");
	path = minimal("irc-r2.conf", "",
	    "[irc]\npassword = " HASH "\nregistration_timeout = 601\n");
	one_error(path, 8, "[irc] registration_timeout: '601' is out",
	    "registration_timeout too large");
	path = minimal("irc-q1.conf", "",
	    "[irc]\npassword = " HASH "\nsendq_max = 65535\n");
	one_error(path, 8,
	    "[irc] sendq_max: '65535' is out of range "
	    "(65536 to 67108864)",
	    "sendq_max too small");
	path = minimal("irc-q2.conf", "",
	    "[irc]\npassword = " HASH "\nsendq_max = 67108865\n");
	one_error(path, 8, "[irc] sendq_max: '67108865' is out",
	    "sendq_max too large");
	path = minimal("irc-dup.conf", "",
	    "[irc]\npassword = " HASH "\npassword = " HASH "\n");
	one_error(path, 8, "[irc] password: duplicate key", "duplicate key");
	path = minimal("irc-unk.conf", "",
	    "[irc]\npassword = " HASH "\nport = 6667\n");
	one_error(path, 8, "[irc] unknown key 'port'", "unknown [irc] key");
}

/* Keys and a certificate the tests point at. */
static void
make_fixtures(void)
{
	struct loco_error err;
	EVP_PKEY *key;
	const char *openssl = getenv("LOCOIRC_OPENSSL");
	char keyout[600];

	snprintf(pub_path, sizeof pub_path, "%s/pub.pem", tap_tmpdir());
	key = loco_key_generate(2048, 3, &err);
	if (!ok(key != NULL && loco_key_save_public(key, pub_path, &err) == 0,
	        "make a 2048-bit public key"))
		diag("%s", err.msg);
	EVP_PKEY_free(key);
	snprintf(small_path, sizeof small_path, "%s/small.pem", tap_tmpdir());
	key = loco_key_generate(1024, 3, &err);
	if (key == NULL || loco_key_save_public(key, small_path, &err) != 0)
		small_path[0] = '\0';
	EVP_PKEY_free(key);

	/* The certificate comes from the openssl program, not from us. */
	snprintf(cert_path, sizeof cert_path, "%s/ca.crt", tap_tmpdir());
	snprintf(keyout, sizeof keyout, "%s/ca.key", tap_tmpdir());
	{
		const char *args[] = {openssl && *openssl ? openssl : "openssl",
		    "req", "-x509", "-newkey", "ec", "-pkeyopt",
		    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyout,
		    "-out", cert_path, "-subj", "/CN=localhost", "-days", "1",
		    NULL};
		char *argv[sizeof args / sizeof args[0]];
		size_t i;

		for (i = 0; i < sizeof args / sizeof args[0]; i++)
			argv[i] = (char *)(uintptr_t)args[i];
		if (tap_run(argv, NULL, 0) != 0)
			cert_path[0] = '\0';
	}
}

/* Run every group of checks. */
int
main(void)
{
	tap_init(0);
	make_fixtures();
	test_every_key();
	test_defaults();
	test_errors();
	test_tokens();
	test_reload();
	test_irc();
	test_docs();
	return done_testing();
}
