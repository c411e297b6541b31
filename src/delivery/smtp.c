#include "delivery/smtp.h"
#include "util/crypto.h"
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The bare address of "Name <addr>" (or addr itself), in angle brackets. */
static void envelope_address(const char *from, char *out, size_t n)
{
	const char *lt = strchr(from, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	if (lt && gt)
		snprintf(out, n, "%.*s", (int)(gt - lt + 1), lt);
	else
		snprintf(out, n, "<%s>", from);
}

/* A header value with CR and LF removed: values come from the database and
 * must never start a header of their own. */
static char *header_safe(const char *s)
{
	char *out = strdup(s), *o = out;
	if (!out)
		abort();
	for (const char *p = s; *p; p++)
		if (*p != '\r' && *p != '\n')
			*o++ = *p;
	*o = '\0';
	return out;
}

static bool is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* Standard base64 (RFC 4648 with padding), for RFC 2047 encoded words. */
static char *base64(const char *in)
{
	static const char T[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(in);
	char *out = malloc(4 * ((n + 2) / 3) + 1), *o = out;
	if (!out)
		abort();
	const unsigned char *p = (const unsigned char *)in;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
		*o++ = T[v >> 18 & 63];
		*o++ = T[v >> 12 & 63];
		*o++ = i + 1 < n ? T[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? T[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static struct curl_slist *add_header(struct curl_slist *h, const char *name, const char *value)
{
	char *safe = header_safe(value);
	size_t n = strlen(name) + strlen(safe) + 64;
	char *line = malloc(n);
	if (!line)
		abort();
	if (!strcmp(name, "Subject") && !is_ascii(safe)) {
		char *b = base64(safe);
		line = realloc(line, strlen(b) + 32);
		if (!line)
			abort();
		sprintf(line, "Subject: =?UTF-8?B?%s?=", b);
		free(b);
	} else {
		snprintf(line, n, "%s: %s", name, safe);
	}
	h = curl_slist_append(h, line);
	free(line);
	free(safe);
	return h;
}

static void add_text_part(curl_mime *mime, const char *data, const char *type)
{
	curl_mimepart *part = curl_mime_addpart(mime);
	curl_mime_data(part, data, CURL_ZERO_TERMINATED);
	curl_mime_type(part, type);
	curl_mime_encoder(part, "quoted-printable");
}

bool smtp_send(const smtp_config *cfg, const smtp_message *m, err_t *err)
{
	CURL *curl = curl_easy_init();
	if (!curl)
		return err_set(err, ERR_INTERNAL, "smtp_failed", "could not start libcurl");
	char from_addr[330], date[64], msgid[96];
	unsigned char rnd[12];
	char rhex[25];
	envelope_address(cfg->from, from_addr, sizeof from_addr);
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	crypto_random(rnd, sizeof rnd);
	crypto_hex(rnd, sizeof rnd, rhex);
	snprintf(msgid, sizeof msgid, "<%s@workestra-time>", rhex);

	struct curl_slist *rcpt = curl_slist_append(NULL, m->to), *headers = NULL;
	headers = add_header(headers, "Date", date);
	headers = add_header(headers, "From", cfg->from);
	headers = add_header(headers, "To", m->to);
	headers = add_header(headers, "Subject", m->subject);
	headers = add_header(headers, "Message-ID", msgid);

	/* multipart/mixed { multipart/alternative { text, html }, attachment? } */
	curl_mime *mime = curl_mime_init(curl), *alt = curl_mime_init(curl);
	add_text_part(alt, m->text, "text/plain; charset=utf-8");
	add_text_part(alt, m->html, "text/html; charset=utf-8");
	curl_mimepart *part = curl_mime_addpart(mime);
	curl_mime_subparts(part, alt);
	curl_mime_type(part, "multipart/alternative");
	struct curl_slist *inline_hdr = curl_slist_append(NULL, "Content-Disposition: inline");
	curl_mime_headers(part, inline_hdr, 1);
	if (m->attachment_name) {
		part = curl_mime_addpart(mime);
		curl_mime_data(part, m->attachment ? m->attachment : "", CURL_ZERO_TERMINATED);
		curl_mime_type(part, m->attachment_type ? m->attachment_type : "application/octet-stream");
		curl_mime_filename(part, m->attachment_name);
		curl_mime_encoder(part, "base64");
	}

	curl_easy_setopt(curl, CURLOPT_URL, cfg->url);
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from_addr);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	if (cfg->user[0]) {
		curl_easy_setopt(curl, CURLOPT_USERNAME, cfg->user);
		curl_easy_setopt(curl, CURLOPT_PASSWORD, cfg->password);
		/* Credentials never travel in clear when the server offers STARTTLS. */
		curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	}
	CURLcode rc = curl_easy_perform(curl);
	curl_mime_free(mime);
	curl_slist_free_all(rcpt);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	if (rc != CURLE_OK)
		return err_set(err, ERR_UNAVAILABLE, "smtp_failed", "SMTP delivery to %s failed: %s", m->to,
			       curl_easy_strerror(rc));
	return true;
}
