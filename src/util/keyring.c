#include "util/keyring.h"
#include "util/crypto.h"
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { KEY_LEN = 32, NONCE_LEN = 12, TAG_LEN = 16, MAX_PLAIN = 4096 };

static unsigned char derived[KEY_LEN];
static bool loaded;

void keyring_set(const char *secret_key)
{
	SHA256((const unsigned char *)secret_key, strlen(secret_key), derived);
	loaded = true;
}

/* Reads the key file; "" when it does not exist. */
static bool read_key_file(const char *path, char out[129], err_t *err)
{
	FILE *f = fopen(path, "r");
	out[0] = '\0';
	if (!f)
		return errno == ENOENT ? true
				       : err_set(err, ERR_CODE_SECRET_KEY_UNREADABLE, "cannot read %s: %s", path,
						 strerror(errno));
	size_t n = fread(out, 1, 128, f);
	fclose(f);
	out[n] = '\0';
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' '))
		out[--n] = '\0';
	if (n < 32)
		return err_set(err, ERR_CODE_SECRET_KEY_INVALID,
			       "%s holds fewer than 32 characters; remove it to have a new key generated, or set WORKESTRA_SECRET_KEY",
			       path);
	return true;
}

/* Creates the key file exclusively, so two processes starting together agree
 * on one key (the loser reads the winner's). */
static bool create_key_file(const char *path, char out[129], err_t *err)
{
	char dir[1024];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST)
			return err_set(err, ERR_CODE_SECRET_KEY_UNWRITABLE,
				       "WORKESTRA_SECRET_KEY is unset and the folder %s cannot be created: %s", dir, strerror(errno));
	}
	unsigned char raw[32];
	if (!crypto_random(raw, sizeof raw))
		return err_set(err, ERR_CODE_SECRET_KEY_UNWRITABLE, "no secure random source for a new secret key");
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		if (errno == EEXIST) {
			usleep(100 * 1000); /* the other process is writing it */
			return read_key_file(path, out, err);
		}
		return err_set(err, ERR_CODE_SECRET_KEY_UNWRITABLE,
			       "WORKESTRA_SECRET_KEY is unset and %s cannot be created: %s", path, strerror(errno));
	}
	crypto_hex(raw, sizeof raw, out);
	char line[130];
	int len = snprintf(line, sizeof line, "%s\n", out);
	bool ok = write(fd, line, (size_t)len) == len;
	ok = close(fd) == 0 && ok;
	return ok ? true : err_set(err, ERR_CODE_SECRET_KEY_UNWRITABLE, "could not write %s", path);
}

bool keyring_secret(const char *secret, const char *key_file, char out[129], err_t *err)
{
	if (secret && *secret) {
		if (strlen(secret) < 16)
			return err_set(err, ERR_CODE_SECRET_KEY_INVALID, "WORKESTRA_SECRET_KEY must be at least 16 characters");
		snprintf(out, 129, "%s", secret);
		return true;
	}
	if (!read_key_file(key_file, out, err))
		return false;
	return out[0] ? true : create_key_file(key_file, out, err);
}

bool keyring_load(const char *secret, const char *key_file, err_t *err)
{
	char key[129];
	if (!keyring_secret(secret, key_file, key, err))
		return false;
	keyring_set(key);
	return true;
}

char *keyring_seal(const char *plain, const char *context)
{
	size_t n = strlen(plain);
	if (!loaded || n > MAX_PLAIN)
		return NULL;
	unsigned char buf[NONCE_LEN + MAX_PLAIN + TAG_LEN];
	if (!crypto_random(buf, NONCE_LEN))
		return NULL;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int len = 0, fin = 0;
	bool ok = ctx && EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, derived, buf) == 1 &&
		  EVP_EncryptUpdate(ctx, NULL, &len, (const unsigned char *)context, (int)strlen(context)) == 1 &&
		  EVP_EncryptUpdate(ctx, buf + NONCE_LEN, &len, (const unsigned char *)plain, (int)n) == 1 &&
		  EVP_EncryptFinal_ex(ctx, buf + NONCE_LEN + len, &fin) == 1 &&
		  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, buf + NONCE_LEN + len + fin) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok)
		return NULL;
	size_t total = NONCE_LEN + (size_t)(len + fin) + TAG_LEN;
	char *out = malloc(3 + 4 * (total + 2) / 3 + 2);
	if (!out)
		return NULL;
	memcpy(out, "v1.", 3);
	crypto_b64url_encode(buf, total, out + 3);
	return out;
}

char *keyring_open(const char *sealed, const char *context)
{
	if (!loaded || strncmp(sealed, "v1.", 3))
		return NULL;
	size_t slen = strlen(sealed + 3);
	if (slen > 4 * (NONCE_LEN + MAX_PLAIN + TAG_LEN) / 3 + 4)
		return NULL;
	unsigned char buf[NONCE_LEN + MAX_PLAIN + TAG_LEN + 8];
	long total = crypto_b64url_decode(sealed + 3, slen, buf);
	if (total < NONCE_LEN + TAG_LEN)
		return NULL;
	int clen = (int)total - NONCE_LEN - TAG_LEN;
	char *out = malloc((size_t)clen + 1);
	if (!out)
		return NULL;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int len = 0, fin = 0;
	bool ok = ctx && EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, derived, buf) == 1 &&
		  EVP_DecryptUpdate(ctx, NULL, &len, (const unsigned char *)context, (int)strlen(context)) == 1 &&
		  EVP_DecryptUpdate(ctx, (unsigned char *)out, &len, buf + NONCE_LEN, clen) == 1 &&
		  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, buf + NONCE_LEN + clen) == 1 &&
		  EVP_DecryptFinal_ex(ctx, (unsigned char *)out + len, &fin) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		free(out);
		return NULL;
	}
	out[len + fin] = '\0';
	return out;
}
