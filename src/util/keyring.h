/* The process's secret key (WORKESTRA_SECRET_KEY, or one generated once into
 * the data folder) and authenticated encryption of small secrets with it:
 * AES-256-GCM under SHA-256 of the key, bound to a context string (a row id)
 * so a sealed value copied to another row does not open. */
#ifndef UTIL_KEYRING_H
#define UTIL_KEYRING_H
#include "util/err.h"
#include <stddef.h>

/* The server secret: secret when given (WORKESTRA_SECRET_KEY, at least 16
 * characters), otherwise the content of key_file, created (64 random hex
 * characters, mode 0600, exclusively, so concurrent starters agree) when
 * absent. out holds 129. */
bool keyring_secret(const char *secret, const char *key_file, char out[129], err_t *err);
/* Loads the keyring's key from keyring_secret. Call once at start-up, before
 * any thread uses the keyring. */
bool keyring_load(const char *secret, const char *key_file, err_t *err);
/* Sets the key directly (tests). */
void keyring_set(const char *secret_key);

/* Seals plain (NUL-terminated) for context; returns a malloc'd
 * "v1.<base64url(nonce | ciphertext | tag)>" or NULL (no key, or OpenSSL failed). */
char *keyring_seal(const char *plain, const char *context);
/* Opens what keyring_seal made for the same context: a malloc'd string, or NULL
 * when the key is wrong, the context differs or the text was altered. */
char *keyring_open(const char *sealed, const char *context);

#endif
