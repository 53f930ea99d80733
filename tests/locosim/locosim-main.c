/* locoirc: see LICENSE.
 *
 * The locosim program: parse options, start the simulator on one event
 * base, print the READY line on stdout for whoever spawned it, and run
 * until SIGINT or SIGTERM, when the world is saved (with -s) and everything
 * is freed. All the simulating happens in liblocosim.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bson/bson.h>
#include <event2/event.h>
#include <openssl/crypto.h>

#include "log.h"
#include "loco-error.h"
#include "loco-key.h"
#include "loco-secure.h"
#include "locosim.h"
#include "locosim-alive.h"
#include "xmalloc.h"

/* Exit status for bad command-line arguments. */
#define EXIT_USAGE 2

/* Long options without a short form. */
enum {
	OPT_CFB = 256,
	OPT_GCM,
	OPT_KEY_TYPE,
	OPT_PAGE,
	OPT_FRAME,
	OPT_PING,
	OPT_PUBKEY_OUT,
	OPT_CERT_OUT,
	OPT_NO_COALESCE,
	OPT_ALIVE,
};

/* What the command line asked for. */
struct main_opts {
	struct locosim_opts sim;
	bool cipher_set;        /* --cfb or --gcm was given */
	unsigned key_type;      /* --key-type, 0 when not given */
	const char *pubkey_out; /* --pubkey-out FILE */
	const char *cert_out;   /* --cert-out FILE */
	uint32_t alive_ms;      /* --alive mean interval, 0 = off */
	int verbose;
};

static const char *const main_listener_names[LOCOSIM_NLISTENERS] = {"booking",
    "checkin", "chat", "media", "http", "control"};

static const struct option main_longopts[] = {
    {"world", required_argument, NULL, 'w'},
    {"listen", required_argument, NULL, 'l'},
    {"ports", required_argument, NULL, 'p'},
    {"rsa-key", required_argument, NULL, 'k'},
    {"cert", required_argument, NULL, 'c'},
    {"cert-key", required_argument, NULL, 'K'},
    {"save", required_argument, NULL, 's'},
    {"cfb", no_argument, NULL, OPT_CFB},
    {"gcm", no_argument, NULL, OPT_GCM},
    {"key-type", required_argument, NULL, OPT_KEY_TYPE},
    {"page", required_argument, NULL, OPT_PAGE},
    {"frame", required_argument, NULL, OPT_FRAME},
    {"ping", required_argument, NULL, OPT_PING},
    {"pubkey-out", required_argument, NULL, OPT_PUBKEY_OUT},
    {"cert-out", required_argument, NULL, OPT_CERT_OUT},
    {"no-coalesce", no_argument, NULL, OPT_NO_COALESCE},
    {"alive", required_argument, NULL, OPT_ALIVE},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static void main_signal_cb(evutil_socket_t sig, short what, void *arg);

/* Print the synopsis to f. */
static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: locosim -w WORLD.json [-v] [-l HOST] [-p NAME=PORT,...]\n"
	    "               [-k RSA_KEY.pem] [-c CERT.pem -K CERTKEY.pem]\n"
	    "               [--cfb | --gcm] [--key-type 12|15|16] "
	    "[-s SAVE.json]\n"
	    "               [--page N] [--frame N] [--ping N] [--no-coalesce]\n"
	    "               [--pubkey-out FILE] [--cert-out FILE] "
	    "[--alive SECONDS]\n"
	    "       locosim --help | --version\n"
	    "NAME is booking, checkin, chat, media, http or control; see "
	    "locosim(1).\n");
}

/* Complain about a bad argument and exit with the usage status. */
static void __attribute__((format(printf, 1, 2), noreturn))
bad_args(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "locosim: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\ntry 'locosim --help'\n");
	exit(EXIT_USAGE);
}

/* Parse s as a decimal number in [lo, hi] for option what, or exit. */
static unsigned long
parse_number(const char *what, const char *s, unsigned long lo,
    unsigned long hi)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		bad_args("%s: '%s' is not a number", what, s);
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0')
		bad_args("%s: '%s' is not a number", what, s);
	if (v < lo || v > hi)
		bad_args("%s: %lu is out of range [%lu, %lu]", what, v, lo, hi);
	return v;
}

/*
 * Parse --alive SECONDS (a decimal with at most three decimals, such as
 * "20" or "0.05") into milliseconds, or exit. 0 turns the mode off.
 */
static uint32_t
parse_alive(const char *s)
{
	const char *p = s;
	uint64_t ms = 0;
	int decimals = -1;

	if (*p < '0' || *p > '9')
		bad_args("--alive: '%s' is not a number of seconds", s);
	for (; *p != '\0'; p++) {
		if (*p == '.' && decimals < 0) {
			decimals = 0;
			continue;
		}
		if (*p < '0' || *p > '9' || decimals == 3)
			bad_args("--alive: '%s' is not a number of seconds "
			         "(at most 3 decimals)",
			    s);
		ms = ms * 10 + (uint64_t)(*p - '0');
		if (decimals >= 0)
			decimals++;
		if (ms > LOCOSIM_ALIVE_MAX_MS)
			break;
	}
	if (decimals < 0)
		decimals = 0;
	for (; decimals < 3; decimals++)
		ms *= 10;
	if (ms > LOCOSIM_ALIVE_MAX_MS)
		bad_args("--alive: '%s' is out of range [0, %u]", s,
		    LOCOSIM_ALIVE_MAX_MS / 1000);
	return (uint32_t)ms;
}

/* Parse "name=P,name=P" into ports, or exit. */
static void
parse_ports(const char *arg, uint16_t ports[LOCOSIM_NLISTENERS])
{
	char *copy = xstrdup(arg), *item, *save = NULL, *eq;
	int i;

	for (item = strtok_r(copy, ",", &save); item != NULL;
	     item = strtok_r(NULL, ",", &save)) {
		if ((eq = strchr(item, '=')) == NULL)
			bad_args("-p: '%s' is not NAME=PORT", item);
		*eq = '\0';
		for (i = 0; i < LOCOSIM_NLISTENERS; i++)
			if (strcmp(item, main_listener_names[i]) == 0)
				break;
		if (i == LOCOSIM_NLISTENERS)
			bad_args("-p: unknown listener '%s'", item);
		ports[i] = (uint16_t)parse_number("-p", eq + 1, 0, 65535);
	}
	free(copy);
}

/* Fill o from the command line, or exit on a bad one. */
static void
parse_args(int argc, char **argv, struct main_opts *o)
{
	int ch;

	memset(o, 0, sizeof *o);
	locosim_opts_init(&o->sim);
	while ((ch = getopt_long(argc, argv, "w:l:p:k:c:K:s:vhV", main_longopts,
	            NULL)) != -1) {
		switch (ch) {
		case 'w':
			o->sim.world_path = optarg;
			break;
		case 'l':
			if (optarg[0] == '\0')
				bad_args("-l: empty host");
			o->sim.listen_host = optarg;
			break;
		case 'p':
			parse_ports(optarg, o->sim.ports);
			break;
		case 'k':
			o->sim.rsa_key_path = optarg;
			break;
		case 'c':
			o->sim.tls_cert_path = optarg;
			break;
		case 'K':
			o->sim.tls_key_path = optarg;
			break;
		case 's':
			o->sim.save_path = optarg;
			break;
		case OPT_CFB:
		case OPT_GCM:
			if (o->cipher_set &&
			    o->sim.cipher !=
			        (ch == OPT_CFB ? LOCO_CIPHER_CFB
			                       : LOCO_CIPHER_GCM))
				bad_args("--cfb and --gcm exclude each other");
			o->cipher_set = true;
			o->sim.cipher =
			    ch == OPT_CFB ? LOCO_CIPHER_CFB : LOCO_CIPHER_GCM;
			break;
		case OPT_KEY_TYPE:
			o->key_type = (unsigned)parse_number("--key-type",
			    optarg, 12, 16);
			if (o->key_type != LOCO_KEY_ENCRYPT_OAEP_LEGACY &&
			    o->key_type != LOCO_KEY_ENCRYPT_OAEP_LEGACY2 &&
			    o->key_type != LOCO_KEY_ENCRYPT_OAEP)
				bad_args("--key-type must be 12, 15 or 16");
			break;
		case OPT_PAGE:
			o->sim.chat_page_size =
			    (unsigned)parse_number("--page", optarg, 1, 100000);
			break;
		case OPT_FRAME:
			o->sim.frame_plain_max = parse_number("--frame", optarg,
			    1, 16UL * 1024 * 1024);
			break;
		case OPT_PING:
			o->sim.ping_interval =
			    (unsigned)parse_number("--ping", optarg, 1, 86400);
			break;
		case OPT_PUBKEY_OUT:
			o->pubkey_out = optarg;
			break;
		case OPT_CERT_OUT:
			o->cert_out = optarg;
			break;
		case OPT_NO_COALESCE:
			o->sim.no_coalesce = true;
			break;
		case OPT_ALIVE:
			o->alive_ms = parse_alive(optarg);
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("locosim %s (libevent %s, %s, libbson %s)\n",
			    PACKAGE_VERSION, event_get_version(),
			    OpenSSL_version(OPENSSL_VERSION),
			    bson_get_version());
			exit(0);
		default:
			fprintf(stderr, "try 'locosim --help'\n");
			exit(EXIT_USAGE);
		}
	}
	if (optind != argc)
		bad_args("unexpected argument '%s'", argv[optind]);
	if (o->sim.world_path == NULL)
		bad_args("no world file (-w WORLD.json)");
	if ((o->sim.tls_cert_path == NULL) != (o->sim.tls_key_path == NULL))
		bad_args("-c and -K go together");
	/*
	 * The handshake word follows the cipher: 16 with GCM, 12 or 15 with
	 * CFB. The server accepts both CFB words, so --key-type can only
	 * choose the cipher and check that it agrees with --cfb/--gcm.
	 */
	if (o->key_type != 0) {
		enum loco_cipher want = o->key_type == LOCO_KEY_ENCRYPT_OAEP
		    ? LOCO_CIPHER_GCM
		    : LOCO_CIPHER_CFB;

		if (o->cipher_set && o->sim.cipher != want)
			bad_args("--key-type %u does not go with --%s",
			    o->key_type,
			    o->sim.cipher == LOCO_CIPHER_CFB ? "cfb" : "gcm");
		o->sim.cipher = want;
	}
}

/* Write the booking certificate PEM to path; 0 or -1 (logged). */
static int
write_cert(const char *pem, const char *path)
{
	FILE *f;

	if (pem == NULL) {
		log_warnx("cannot write '%s': no certificate", path);
		return -1;
	}
	if ((f = fopen(path, "w")) == NULL) {
		log_warn("cannot create '%s'", path);
		return -1;
	}
	if (fputs(pem, f) == EOF || fclose(f) != 0) {
		log_warn("cannot write '%s'", path);
		return -1;
	}
	return 0;
}

/* SIGINT or SIGTERM: leave the loop; main frees and saves. */
static void
main_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct event_base *base = arg;

	(void)what;
	log_info("locosim: signal %d, shutting down", (int)sig);
	event_base_loopexit(base, NULL);
}

/* Start the simulator, announce READY and run until a signal. */
int
main(int argc, char **argv)
{
	struct main_opts o;
	struct event_base *base = NULL;
	struct event *sigint = NULL, *sigterm = NULL;
	struct locosim *sim = NULL;
	struct locosim_alive *alive = NULL;
	struct loco_error err;
	const char *cert_path;
	int status = 1;

	parse_args(argc, argv, &o);
	log_open("locosim",
	    o.verbose >= 2       ? LOG_LEVEL_TRACE
	        : o.verbose == 1 ? LOG_LEVEL_DEBUG
	                         : LOG_LEVEL_INFO,
	    false);
	log_hook_libevent();
	/* A peer that goes away must not kill us mid-write. */
	signal(SIGPIPE, SIG_IGN);

	if ((base = event_base_new()) == NULL) {
		log_warnx("locosim: cannot create an event base");
		goto out;
	}
	log_info("locosim %s (libevent %s with %s, %s, libbson %s)",
	    PACKAGE_VERSION, event_get_version(), event_base_get_method(base),
	    OpenSSL_version(OPENSSL_VERSION), bson_get_version());
	sigint = evsignal_new(base, SIGINT, main_signal_cb, base);
	sigterm = evsignal_new(base, SIGTERM, main_signal_cb, base);
	if (sigint == NULL || sigterm == NULL || evsignal_add(sigint, NULL) ||
	    evsignal_add(sigterm, NULL)) {
		log_warnx("locosim: cannot install signal handlers");
		goto out;
	}
	if ((sim = locosim_new(base, &o.sim, &err)) == NULL) {
		log_warnx("locosim: cannot start: %s", err.msg);
		goto out;
	}
	if (o.pubkey_out != NULL &&
	    loco_key_save_public(locosim_public_key(sim), o.pubkey_out, &err) !=
	        0) {
		log_warnx("locosim: cannot write the public key: %s", err.msg);
		goto out;
	}
	if (o.cert_out != NULL &&
	    write_cert(locosim_tls_cert_pem(sim), o.cert_out) != 0)
		goto out;
	cert_path = o.cert_out != NULL ? o.cert_out : o.sim.tls_cert_path;
	fprintf(stderr, "locosim: pubkey=%s cert=%s\n",
	    o.pubkey_out != NULL ? o.pubkey_out : "-",
	    cert_path != NULL ? cert_path : "-");
	fflush(stderr);
	/* Seeded from the clock: every demo run lives differently. */
	if (o.alive_ms > 0 &&
	    (alive = locosim_alive_new(sim, o.alive_ms,
	         (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32))) == NULL) {
		log_warnx("locosim: cannot start the alive mode");
		goto out;
	}
	/* The machine-readable line spawners wait for. */
	printf("%s\n", locosim_ready_line(sim));
	fflush(stdout);

	if (event_base_dispatch(base) < 0) {
		log_warnx("locosim: event loop failed");
		goto out;
	}
	status = 0;
out:
	/* Frees every session and saves the world when -s was given. */
	locosim_alive_free(alive);
	locosim_free(sim);
	if (sigint != NULL)
		event_free(sigint);
	if (sigterm != NULL)
		event_free(sigterm);
	if (base != NULL)
		event_base_free(base);
	libevent_global_shutdown();
	return status;
}
