#include "util/cursor.h"
#include "util/crypto.h"
#include <stdio.h>
#include <string.h>

/* Raw form: "kind:f1:f2..." then base64url; the field charset has no ':'. */
enum { RAW_MAX = (CURSOR_MAX - 1) / 4 * 3 };

static bool field_ok(const char *s, size_t len)
{
	if (len >= CURSOR_FIELD)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", s[i]) || !s[i])
			return false;
	return true;
}

void cursor_encode(const char *kind, const char *const *fields, int n, char out[CURSOR_MAX])
{
	char raw[RAW_MAX + 1];
	size_t len = (size_t)snprintf(raw, sizeof raw, "%s", kind);
	for (int i = 0; i < n && len < sizeof raw; i++)
		len += (size_t)snprintf(raw + len, sizeof raw - len, ":%s", fields[i]);
	if (len >= sizeof raw)
		len = sizeof raw - 1;
	crypto_b64url_encode((const unsigned char *)raw, len, out);
}

bool cursor_decode(const char *text, char kind[CURSOR_KIND], char fields[CURSOR_FIELDS][CURSOR_FIELD], int *n)
{
	size_t tlen = strlen(text);
	unsigned char raw[CURSOR_MAX];
	if (tlen == 0 || tlen >= CURSOR_MAX)
		return false;
	long rlen = crypto_b64url_decode(text, tlen, raw);
	if (rlen <= 0)
		return false;
	raw[rlen] = '\0';
	const char *p = (const char *)raw, *end = p + rlen;
	const char *colon = memchr(p, ':', (size_t)(end - p));
	size_t klen = colon ? (size_t)(colon - p) : (size_t)(end - p);
	if (klen == 0 || klen >= CURSOR_KIND || !field_ok(p, klen))
		return false;
	memcpy(kind, p, klen);
	kind[klen] = '\0';
	*n = 0;
	while (colon) {
		p = colon + 1;
		colon = memchr(p, ':', (size_t)(end - p));
		size_t flen = colon ? (size_t)(colon - p) : (size_t)(end - p);
		if (*n >= CURSOR_FIELDS || !field_ok(p, flen))
			return false;
		memcpy(fields[*n], p, flen);
		fields[(*n)++][flen] = '\0';
	}
	return true;
}
