/* locoirc: see LICENSE.
 *
 * locosim's keys: the RSA key of the secure layer (e = 3, as Kakao's) and
 * the booking server's TLS context with a certificate that clients can
 * trust directly. Both are loaded from PEM files when they exist and are
 * otherwise generated, and saved when a path was given. OpenSSL 3 EVP and
 * X509 calls only.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "loco-key.h"
#include "locosim-internal.h"
#include "xmalloc.h"

/* The secure layer's key: RSA-2048 with e = 3 (LOCO.md 1.4). */
#define TLS_RSA_BITS 2048
#define TLS_RSA_E 3
/* The certificate is valid from an hour ago (clock skew) for ten years. */
#define TLS_CERT_BACKDATE (60 * 60)
#define TLS_CERT_DAYS (10 * 365 + 2)

static bool tls_file_exists(const char *path);
static int tls_add_ext(X509 *x, int nid, const char *value);
static X509 *tls_make_cert(EVP_PKEY *key, struct loco_error *err);
static int tls_save_cert(X509 *x, const char *path, struct loco_error *err);
static char *tls_cert_pem(SSL_CTX *ctx, struct loco_error *err);

/* Whether path names something that exists (errors other than ENOENT
 * count as existing, so that loading reports them). */
static bool
tls_file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 || errno != ENOENT;
}

/* Load the secure-layer key from path, or make it (and save it there). */
EVP_PKEY *
locosim_tls_load_or_make_rsa(const char *path, struct loco_error *err)
{
	EVP_PKEY *key;

	if (path != NULL && tls_file_exists(path)) {
		if ((key = loco_key_load_private(path, err)) == NULL)
			return NULL;
		if (!loco_key_is_usable(key)) {
			loco_error_set(err, LOCO_ERR_CONFIG,
			    "cannot use '%s': not a 2048-bit rsa key", path);
			EVP_PKEY_free(key);
			return NULL;
		}
		return key;
	}
	if ((key = loco_key_generate(TLS_RSA_BITS, TLS_RSA_E, err)) == NULL)
		return NULL;
	if (path != NULL && loco_key_save_private(key, path, err) != 0) {
		EVP_PKEY_free(key);
		return NULL;
	}
	return key;
}

/* Add one X509v3 extension, given in openssl.cnf syntax, to x; the
 * reason of a failure stays on OpenSSL's error queue. */
static int
tls_add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value)) == NULL)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

/*
 * A self-signed certificate for localhost and 127.0.0.1 over key. It is
 * also a CA, so a client can load it as its only trust anchor.
 */
static X509 *
tls_make_cert(EVP_PKEY *key, struct loco_error *err)
{
	X509 *x = NULL;
	X509_NAME *name;
	BIGNUM *serial = NULL;

	if ((x = X509_new()) == NULL || !X509_set_version(x, X509_VERSION_3))
		goto fail;
	/* A random positive 63-bit serial. */
	if ((serial = BN_new()) == NULL ||
	    !BN_rand(serial, 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
	    BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) == NULL)
		goto fail;
	if (X509_gmtime_adj(X509_getm_notBefore(x), -TLS_CERT_BACKDATE) ==
	        NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), TLS_CERT_DAYS,
	        -TLS_CERT_BACKDATE, NULL) == NULL)
		goto fail;
	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	        (const unsigned char *)"localhost", -1, -1, 0) ||
	    !X509_set_issuer_name(x, name) || !X509_set_pubkey(x, key))
		goto fail;
	/* ECDSA needs digitalSignature; keyCertSign makes it a usable CA. */
	if (tls_add_ext(x, NID_basic_constraints, "critical,CA:TRUE") != 0 ||
	    tls_add_ext(x, NID_key_usage,
	        "critical,digitalSignature,keyCertSign") != 0 ||
	    tls_add_ext(x, NID_ext_key_usage, "serverAuth") != 0 ||
	    tls_add_ext(x, NID_subject_key_identifier, "hash") != 0 ||
	    tls_add_ext(x, NID_subject_alt_name,
	        "DNS:localhost,IP:127.0.0.1") != 0)
		goto fail;
	if (X509_sign(x, key, EVP_sha256()) <= 0)
		goto fail;
	BN_free(serial);
	return x;

fail:
	loco_error_set_openssl(err, LOCO_ERR_CRYPTO,
	    "cannot make the tls certificate");
	BN_free(serial);
	X509_free(x);
	return NULL;
}

/* Write x as PEM to path (mode 0644), never through a symlink. */
static int
tls_save_cert(X509 *x, const char *path, struct loco_error *err)
{
	BIO *bio = NULL;
	char *data;
	long len;
	ssize_t n;
	int fd = -1;

	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_X509(bio, x) ||
	    (len = BIO_get_mem_data(bio, &data)) <= 0) {
		loco_error_set_openssl(err, LOCO_ERR_CRYPTO,
		    "cannot encode the tls certificate");
		goto fail;
	}
	fd = open(path,
	    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK,
	    0644);
	if (fd < 0) {
		loco_error_set(err, LOCO_ERR_CONFIG, "cannot create '%s': %s",
		    path, strerror(errno));
		goto fail;
	}
	while (len > 0) {
		n = write(fd, data, (size_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			loco_error_set(err, LOCO_ERR_CONFIG,
			    "cannot write '%s': %s", path,
			    n < 0 ? strerror(errno) : "short write");
			goto fail;
		}
		data += n;
		len -= n;
	}
	if (close(fd) != 0) {
		fd = -1;
		loco_error_set(err, LOCO_ERR_CONFIG, "cannot write '%s': %s",
		    path, strerror(errno));
		goto fail;
	}
	BIO_free(bio);
	return 0;

fail:
	if (fd >= 0)
		close(fd);
	BIO_free(bio);
	return -1;
}

/* The PEM of ctx's certificate and its chain, malloc'd. */
static char *
tls_cert_pem(SSL_CTX *ctx, struct loco_error *err)
{
	STACK_OF(X509) *chain = NULL;
	X509 *leaf = SSL_CTX_get0_certificate(ctx);
	BIO *bio;
	char *data, *pem = NULL;
	long len;
	int i;

	if (leaf == NULL) {
		loco_error_set(err, LOCO_ERR_CONFIG, "no tls certificate");
		return NULL;
	}
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_X509(bio, leaf))
		goto fail;
	if (SSL_CTX_get0_chain_certs(ctx, &chain) && chain != NULL)
		for (i = 0; i < sk_X509_num(chain); i++)
			if (!PEM_write_bio_X509(bio, sk_X509_value(chain, i)))
				goto fail;
	if ((len = BIO_get_mem_data(bio, &data)) <= 0)
		goto fail;
	pem = xstrndup(data, (size_t)len);
	BIO_free(bio);
	return pem;

fail:
	loco_error_set_openssl(err, LOCO_ERR_CRYPTO,
	    "cannot encode the tls certificate");
	BIO_free(bio);
	return NULL;
}

/* The booking context: saved certificate and key, or fresh ones. */
SSL_CTX *
locosim_tls_server_ctx(const char *cert_path, const char *key_path,
    char **cert_pem, struct loco_error *err)
{
	SSL_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	char what[300];

	*cert_pem = NULL;
	/* A certificate without its key (or the reverse) is of no use. */
	if ((cert_path == NULL) != (key_path == NULL)) {
		loco_error_set(err, LOCO_ERR_CONFIG,
		    "tls certificate and key paths go together");
		return NULL;
	}
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) {
		loco_error_set_openssl(err, LOCO_ERR_TLS,
		    "cannot make a tls context");
		goto fail;
	}
	if (cert_path != NULL && tls_file_exists(cert_path) &&
	    tls_file_exists(key_path)) {
		if (SSL_CTX_use_certificate_chain_file(ctx, cert_path) != 1) {
			snprintf(what, sizeof what, "cannot load '%s'",
			    cert_path);
			loco_error_set_openssl(err, LOCO_ERR_TLS, what);
			goto fail;
		}
		if (SSL_CTX_use_PrivateKey_file(ctx, key_path,
		        SSL_FILETYPE_PEM) != 1) {
			snprintf(what, sizeof what, "cannot load '%s'",
			    key_path);
			loco_error_set_openssl(err, LOCO_ERR_TLS, what);
			goto fail;
		}
	} else {
		if ((key = EVP_EC_gen("P-256")) == NULL) {
			loco_error_set_openssl(err, LOCO_ERR_CRYPTO,
			    "cannot generate the tls key");
			goto fail;
		}
		if ((x = tls_make_cert(key, err)) == NULL)
			goto fail;
		/* The key first: a certificate alone is regenerated. */
		if (cert_path != NULL &&
		    (loco_key_save_private(key, key_path, err) != 0 ||
		        tls_save_cert(x, cert_path, err) != 0))
			goto fail;
		if (SSL_CTX_use_certificate(ctx, x) != 1 ||
		    SSL_CTX_use_PrivateKey(ctx, key) != 1) {
			loco_error_set_openssl(err, LOCO_ERR_TLS,
			    "cannot use the tls certificate");
			goto fail;
		}
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		loco_error_set_openssl(err, LOCO_ERR_TLS,
		    "tls certificate and key do not match");
		goto fail;
	}
	if ((*cert_pem = tls_cert_pem(ctx, err)) == NULL)
		goto fail;
	X509_free(x);
	EVP_PKEY_free(key);
	return ctx;

fail:
	X509_free(x);
	EVP_PKEY_free(key);
	SSL_CTX_free(ctx);
	return NULL;
}
