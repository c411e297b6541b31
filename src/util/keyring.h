/* The process's secret key (WORKESTRA_SECRET_KEY, or one generated once into
 * the data folder) and authenticated encryption of small secrets with it:
 * AES-256-GCM under SHA-256 of the key, bound to a context string (a row id)
 * so a sealed value copied to another row does not open. */
#ifndef UTIL_KEYRING_H
#define UTIL_KEYRING_H
#include "util/err.h"
#include <stddef.h>

/* Uses WORKESTRA_SECRET_KEY when set; otherwise reads <data_dir>/secret_key,
 * creating it (64 random hex characters, mode 0600) when absent. Call once at
 * start-up, before any thread uses the keyring. */
bool keyring_load(const char *data_dir, err_t *err);
/* Sets the key directly (tests). */
void keyring_set(const char *secret_key);
bool keyring_ready(void);

/* Seals plain (NUL-terminated) for context; returns a malloc'd
 * "v1.<base64url(nonce | ciphertext | tag)>" or NULL (no key, or OpenSSL failed). */
char *keyring_seal(const char *plain, const char *context);
/* Opens what keyring_seal made for the same context: a malloc'd string, or NULL
 * when the key is wrong, the context differs or the text was altered. */
char *keyring_open(const char *sealed, const char *context);

#endif
