/* locoirc: see LICENSE.
 *
 * Filling struct loco_error. Kept apart so every module reports errors the
 * same way, and OpenSSL's thread-local error queue is always drained.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "loco-error.h"

void
loco_error_set(struct loco_error *err, enum loco_error_code code,
    const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	err->code = code;
	err->status = 0;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
}

void
loco_error_set_openssl(struct loco_error *err, enum loco_error_code code,
    const char *what)
{
	unsigned long e, last = 0;
	char reason[96];

	while ((e = ERR_get_error()) != 0)
		last = e;
	if (err == NULL)
		return;
	if (last != 0) {
		ERR_error_string_n(last, reason, sizeof reason);
		loco_error_set(err, code, "%s: %s", what, reason);
	} else
		loco_error_set(err, code, "%s", what);
}

void
loco_error_clear(struct loco_error *err)
{
	if (err == NULL)
		return;
	err->code = LOCO_ERR_NONE;
	err->status = 0;
	err->msg[0] = '\0';
}

const char *
loco_error_code_name(enum loco_error_code code)
{
	static const char *const names[] = {
	    [LOCO_ERR_NONE] = "none",
	    [LOCO_ERR_MALFORMED] = "malformed",
	    [LOCO_ERR_TOO_LARGE] = "too-large",
	    [LOCO_ERR_CRYPTO] = "crypto",
	    [LOCO_ERR_HANDSHAKE] = "handshake",
	    [LOCO_ERR_MISSING] = "missing",
	    [LOCO_ERR_TYPE] = "type",
	    [LOCO_ERR_RANGE] = "range",
	    [LOCO_ERR_IO] = "io",
	    [LOCO_ERR_TLS] = "tls",
	    [LOCO_ERR_RESOLVE] = "resolve",
	    [LOCO_ERR_TIMEOUT] = "timeout",
	    [LOCO_ERR_CLOSED] = "closed",
	    [LOCO_ERR_STATUS] = "status",
	    [LOCO_ERR_BUSY] = "busy",
	    [LOCO_ERR_CONFIG] = "config",
	};

	if ((unsigned)code >= sizeof names / sizeof names[0] ||
	    names[code] == NULL)
		return "unknown";
	return names[code];
}
