#include "mcp/state.h"
#include "util/crypto.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_BODY = 64 * 1024, MAX_MAC_TEXT = 64 };

/* One label for every use: the name inside the signed body keeps the uses
 * apart, and states signed before a deploy still verify after it. */
static void state_key(const confirm_key *k, unsigned char out[32])
{
	static const char label[] = "workestra-time mcp requestState";
	crypto_hmac_sha256(k->key, sizeof k->key, label, sizeof label - 1, out);
}

char *mcp_state_sign(const confirm_key *k, const char *name, const char *user_id, json_t *state, long ttl_seconds)
{
	json_t *body = json_pack("{s:s, s:s, s:I, s:O}", "n", name, "u", user_id, "e",
				 (json_int_t)time(NULL) + ttl_seconds, "s", state);
	char *text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(body);
	if (!text)
		return NULL;
	size_t len = strlen(text);
	unsigned char key[32], mac[32];
	state_key(k, key);
	crypto_hmac_sha256(key, sizeof key, text, len, mac);
	char *out = malloc(4 * (len / 3 + 1) + 1 + 4 * (sizeof mac / 3 + 1) + 2);
	if (!out)
		abort();
	size_t n = crypto_b64url_encode((const unsigned char *)text, len, out);
	out[n++] = '.';
	crypto_b64url_encode(mac, sizeof mac, out + n);
	free(text);
	return out;
}

json_t *mcp_state_open(const confirm_key *k, const char *name, const char *user_id, const char *signed_state)
{
	const char *dot = strchr(signed_state, '.');
	size_t blen = dot ? (size_t)(dot - signed_state) : 0;
	if (!dot || blen == 0 || blen > MAX_BODY || strlen(dot + 1) > MAX_MAC_TEXT)
		return NULL;
	unsigned char *text = malloc(3 * blen / 4 + 4), mac[64], want[32], key[32];
	if (!text)
		abort();
	long tlen = crypto_b64url_decode(signed_state, blen, text);
	long mlen = crypto_b64url_decode(dot + 1, strlen(dot + 1), mac);
	json_t *state = NULL;
	if (tlen > 0 && mlen == (long)sizeof want) {
		state_key(k, key);
		crypto_hmac_sha256(key, sizeof key, text, (size_t)tlen, want);
		json_t *body = crypto_equal(mac, (size_t)mlen, want, sizeof want)
				       ? json_loadb((const char *)text, (size_t)tlen, 0, NULL)
				       : NULL;
		const char *n = json_string_value(json_object_get(body, "n"));
		const char *u = json_string_value(json_object_get(body, "u"));
		json_int_t e = json_integer_value(json_object_get(body, "e"));
		if (n && u && !strcmp(n, name) && !strcmp(u, user_id) && e >= (json_int_t)time(NULL))
			state = json_incref(json_object_get(body, "s"));
		json_decref(body);
	}
	free(text);
	return state;
}
