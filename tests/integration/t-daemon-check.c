/* locoirc: see LICENSE.
 *
 * locoircd's command line without a server: --check-config on good and
 * bad files (exit 0 or 1, "configuration OK" or errors naming file:line),
 * the usage errors (exit 2), --help and --version, and a daemon started on
 * a bad configuration, which must refuse to start and say why.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon-fixture.h"
#include "tap.h"

/* Write text to dir/name with mode; the path (static). */
static const char *
put(const char *name, mode_t mode, const char *text)
{
	static char path[600];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", tap_tmpdir(), name);
	if ((f = fopen(path, "w")) != NULL) {
		fputs(text, f);
		fclose(f);
	}
	chmod(path, mode);
	return path;
}

/* Run locoircd; check its exit status, and what stdout and stderr hold
 * (NULL: must be empty). */
static void
expect(const char *const *args, int code, const char *out_has,
    const char *err_has, const char *label)
{
	char *out = NULL, *err = NULL;
	int status = dfix_run(args, &out, &err);

	if (!ok(status != -1 && WIFEXITED(status) &&
	            WEXITSTATUS(status) == code,
	        "%s: exit status %d", label, code))
		diag("wait status %d", status);
	if (out_has != NULL)
		ok(out != NULL && strstr(out, out_has) != NULL,
		    "%s: stdout has '%.*s'", label, (int)strcspn(out_has, "\n"),
		    out_has);
	else
		ok(out != NULL && out[0] == '\0', "%s: nothing on stdout",
		    label);
	if (err_has != NULL)
		ok(err != NULL && strstr(err, err_has) != NULL,
		    "%s: stderr has '%s'", label, err_has);
	else
		ok(err != NULL && err[0] == '\0', "%s: nothing on stderr",
		    label);
	if (out != NULL && out[0] != '\0')
		diag("stdout: %s", out);
	if (err != NULL && err[0] != '\0')
		diag("stderr: %s", err);
	free(out);
	free(err);
}

/* Every command-line case, in turn. */
int
main(void)
{
	char good[600], bad[600], open_tok[600], nokey[600], want[1400];
	const char *bin = dfix_locoircd();

	tap_init(60);
	if (!ok(access(bin, X_OK) == 0, "locoircd is at %s", bin))
		return done_testing();

	put("good.token", 0600, "tok-from-file\n");
	snprintf(good, sizeof good, "%s",
	    put("good.conf", 0644,
	        "[account]\n"
	        "user_id = 7000000001\n"
	        "access_token_file = good.token\n"
	        "device_uuid = dev\n"
	        "[loco]\n"
	        "booking = 127.0.0.1:9\n"
	        "[log]\n"
	        "level = debug\n"
	        "[irc]\n"
	        "password = " DFIX_IRC_HASH "\n"));
	snprintf(bad, sizeof bad, "%s",
	    put("bad.conf", 0600,
	        "[account]\n"
	        "user_id = abc\n"
	        "access_token = t\n"
	        "device_uuid = dev\n"
	        "colour = blue\n"
	        "[irc]\n"
	        "password = " DFIX_IRC_HASH "\n"));
	put("open.token", 0644, "tok\n");
	snprintf(open_tok, sizeof open_tok, "%s",
	    put("open.conf", 0600,
	        "[account]\nuser_id = 1\ndevice_uuid = d\n"
	        "access_token_file = open.token\n"));
	snprintf(nokey, sizeof nokey, "%s",
	    put("nokey.conf", 0600,
	        "[account]\nuser_id = 1\ndevice_uuid = d\naccess_token = t\n"
	        "[loco]\nrsa_public_key = nowhere.pem\n"));

	{
		const char *a[] = {"--check-config", "-c", good, NULL};

		expect(a, 0, "configuration OK\n", NULL, "a good file");
	}
	{
		const char *a[] = {"--check-config", "--config", bad, NULL};
		char *out = NULL, *err = NULL;

		expect(a, 1, NULL, "[account] unknown key 'colour'",
		    "a bad file");
		dfix_run(a, &out, &err);
		snprintf(want, sizeof want,
		    "%s:2: [account] user_id: 'abc' is not a number\n"
		    "%s:5: [account] unknown key 'colour'\n",
		    bad, bad);
		is_str(err, want);
		free(out);
		free(err);
	}
	{
		const char *a[] = {"--check-config", "-c", open_tok, NULL};

		expect(a, 1, NULL, "(mode 0644); chmod 600 it",
		    "a token file others can read");
	}
	{
		const char *a[] = {"--check-config", "-c", nokey, NULL};

		expect(a, 1, NULL, ":6: [loco] rsa_public_key: cannot open",
		    "a missing key file");
	}
	{
		char missing[600];
		const char *a[] = {"--check-config", "-c", missing, NULL};

		snprintf(missing, sizeof missing, "%s/none.conf", tap_tmpdir());
		expect(a, 1, NULL, "none.conf: cannot open: ", "no such file");
	}
	{
		const char *a[] = {"-f", "-c", bad, NULL};

		expect(a, 1, NULL, ":2: [account] user_id: 'abc'",
		    "the daemon on a bad file");
	}
	{
		const char *a[] = {"--bogus", NULL};

		expect(a, 2, NULL, "try 'locoircd --help'",
		    "an unknown option");
	}
	{
		const char *a[] = {"-c", good, "extra", NULL};

		expect(a, 2, NULL, "unexpected argument 'extra'",
		    "an extra argument");
	}
	{
		const char *a[] = {"-f", "-c", good, "--ready-fd=99", NULL};

		expect(a, 2, NULL, "descriptor 99 is not open",
		    "a ready descriptor that is not open");
	}
	{
		const char *a[] = {"--ready-fd=x", NULL};

		expect(a, 2, NULL, "'x' is not a descriptor",
		    "a ready descriptor that is no number");
	}
	{
		const char *a[] = {"--help", NULL};

		expect(a, 0, "usage: locoircd", NULL, "--help");
	}
	{
		const char *a[] = {"-V", NULL};

		expect(a, 0, "locoircd " PACKAGE_VERSION " (libevent ", NULL,
		    "-V");
	}
	return done_testing();
}
