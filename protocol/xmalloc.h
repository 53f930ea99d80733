/* locoirc: see LICENSE.
 *
 * Allocation wrappers that abort on exhaustion, so callers never check for
 * NULL after allocating (libbson already behaves this way).
 */
#ifndef LOCOIRC_PROTOCOL_XMALLOC_H
#define LOCOIRC_PROTOCOL_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a malloc'd string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Wipe size bytes at ptr (secrets) and free it; NULL is a no-op. */
void xfree_secret(void *ptr, size_t size);

#endif
