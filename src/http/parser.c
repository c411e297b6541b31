#include "http/parser.h"
#include <stdint.h>
#include <string.h>
#include <strings.h>

/* RFC 9110 tchar: the characters of a method or a field name. */
static bool is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Field values: visible ASCII, obs-text, space and tab; no other controls. */
static bool is_field_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* Request-target bytes: visible ASCII only (no spaces, controls or raw UTF-8). */
static bool is_target_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

static http_parse_status fail(http_head *out, err_code code, const char *message)
{
	out->status = err_code_status(code);
	out->code = code;
	out->message = message;
	return HTTP_PARSE_ERROR;
}

static int hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes s[0..n) into the arena ('+' is a space when plus_space).
 * NULL on a bad escape or an encoded NUL. */
static char *decode(arena_t *a, const char *s, size_t n, bool plus_space)
{
	char *out = arena_alloc(a, n + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			int hi = i + 1 < n ? hex((unsigned char)s[i + 1]) : -1;
			int lo = i + 2 < n ? hex((unsigned char)s[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return NULL;
			*o++ = (char)(hi * 16 + lo);
			i += 2;
		} else {
			*o++ = plus_space && c == '+' ? ' ' : (char)c;
		}
	}
	*o = '\0';
	return out;
}

/* Splits the query into decoded "name=value" arguments. */
static http_parse_status parse_query(arena_t *a, const char *q, size_t n, http_head *out)
{
	out->args = arena_alloc(a, sizeof *out->args * (HTTP_MAX_ARGS + 1));
	for (size_t i = 0; i < n;) {
		const char *amp = memchr(q + i, '&', n - i);
		size_t plen = amp ? (size_t)(amp - (q + i)) : n - i;
		const char *p = q + i;
		i += plen + 1;
		if (plen == 0)
			continue;
		if (out->nargs == HTTP_MAX_ARGS)
			return fail(out, ERR_CODE_URI_TOO_LONG, "the query has more than 100 arguments");
		const char *eq = memchr(p, '=', plen);
		size_t nlen = eq ? (size_t)(eq - p) : plen;
		char *name = decode(a, p, nlen, true);
		char *value = eq ? decode(a, eq + 1, plen - nlen - 1, true) : NULL;
		if (!name || (eq && !value))
			return fail(out, ERR_CODE_BAD_REQUEST, "the query has an invalid percent-encoding");
		if (strchr(name, '='))
			return fail(out, ERR_CODE_BAD_REQUEST, "a query argument's name contains '='");
		out->args[out->nargs++] = value ? arena_sprintf(a, "%s=%s", name, value) : name;
	}
	out->args[out->nargs] = NULL;
	return HTTP_PARSE_OK;
}

static http_parse_status parse_target(arena_t *a, const char *t, size_t n, http_head *out)
{
	if (n > HTTP_MAX_URI)
		return fail(out, ERR_CODE_URI_TOO_LONG, "the request URI is longer than 8192 bytes");
	for (size_t i = 0; i < n; i++)
		if (!is_target_char((unsigned char)t[i]) || t[i] == '#')
			return fail(out, ERR_CODE_BAD_REQUEST, "the request URI has characters that must be percent-encoded");
	if (n == 1 && t[0] == '*') {
		out->path = "*";
		out->args = arena_alloc(a, sizeof *out->args);
		return HTTP_PARSE_OK;
	}
	if (t[0] != '/')
		return fail(out, ERR_CODE_BAD_REQUEST, "the request target must be a path starting with '/'");
	const char *qm = memchr(t, '?', n);
	size_t plen = qm ? (size_t)(qm - t) : n;
	char *path = decode(a, t, plen, false);
	if (!path)
		return fail(out, ERR_CODE_BAD_REQUEST, "the path has an invalid percent-encoding");
	/* Dot segments never name a resource here; refusing them keeps every
	 * later path check (routing, static files) free of traversal cases. */
	for (const char *s = path; (s = strchr(s, '/')); s++) {
		size_t seg = strcspn(s + 1, "/");
		if ((seg == 1 && s[1] == '.') || (seg == 2 && s[1] == '.' && s[2] == '.'))
			return fail(out, ERR_CODE_BAD_REQUEST, "the path has '.' or '..' segments");
	}
	out->path = path;
	return qm ? parse_query(a, qm + 1, n - plen - 1, out) : parse_query(a, "", 0, out);
}

static http_parse_status parse_request_line(arena_t *a, const char *l, size_t n, http_head *out)
{
	const char *sp1 = memchr(l, ' ', n);
	if (!sp1 || sp1 == l)
		return fail(out, ERR_CODE_BAD_REQUEST, "the request line is not 'METHOD /path HTTP/1.1'");
	size_t mlen = (size_t)(sp1 - l);
	for (size_t i = 0; i < mlen; i++)
		if (!is_tchar((unsigned char)l[i]))
			return fail(out, ERR_CODE_BAD_REQUEST, "the method is not a token");
	const char *t = sp1 + 1, *end = l + n;
	const char *sp2 = memchr(t, ' ', (size_t)(end - t));
	if (!sp2)
		return fail(out, ERR_CODE_BAD_REQUEST, "the request line has no HTTP version");
	const char *v = sp2 + 1;
	size_t vlen = (size_t)(end - v);
	if (vlen != 8 || strncmp(v, "HTTP/", 5) || v[6] != '.' || v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9')
		return fail(out, ERR_CODE_BAD_REQUEST, "the request line's version is not HTTP/1.x");
	if (v[5] != '1')
		return fail(out, ERR_CODE_HTTP_VERSION_NOT_SUPPORTED, "only HTTP/1.0 and HTTP/1.1 are served");
	out->minor = v[7] - '0';
	if (out->minor > 1)
		return fail(out, ERR_CODE_HTTP_VERSION_NOT_SUPPORTED, "only HTTP/1.0 and HTTP/1.1 are served");
	static const char *const known[] = { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS" };
	out->method = NULL;
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strlen(known[i]) == mlen && !memcmp(known[i], l, mlen))
			out->method = known[i];
	if (!out->method)
		return fail(out, ERR_CODE_METHOD_NOT_IMPLEMENTED,
			    "this server implements GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS");
	if (sp2 == t)
		return fail(out, ERR_CODE_BAD_REQUEST, "the request target is empty");
	return parse_target(a, t, (size_t)(sp2 - t), out);
}

/* Whether the comma-separated list v holds token (case-insensitive). */
static bool list_has(const char *v, const char *token)
{
	size_t tl = strlen(token);
	for (const char *p = v; *p;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		size_t n = strcspn(p, ",");
		size_t m = n;
		while (m && (p[m - 1] == ' ' || p[m - 1] == '\t'))
			m--;
		if (m == tl && !strncasecmp(p, token, tl))
			return true;
		p += n;
	}
	return false;
}

static http_parse_status parse_field(arena_t *a, const char *l, size_t n, http_head *out)
{
	if (l[0] == ' ' || l[0] == '\t')
		return fail(out, ERR_CODE_BAD_REQUEST, "folded header lines are not accepted");
	const char *colon = memchr(l, ':', n);
	if (!colon)
		return fail(out, ERR_CODE_BAD_REQUEST, "a header line has no colon");
	size_t nlen = (size_t)(colon - l);
	if (nlen == 0)
		return fail(out, ERR_CODE_BAD_REQUEST, "a header line has an empty name");
	for (size_t i = 0; i < nlen; i++)
		if (!is_tchar((unsigned char)l[i]))
			return fail(out, ERR_CODE_BAD_REQUEST, "a header name has characters that are not allowed");
	const char *v = colon + 1, *end = l + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	for (const char *p = v; p < end; p++)
		if (!is_field_char((unsigned char)*p))
			return fail(out, ERR_CODE_BAD_REQUEST, "a header value has control characters");
	if (out->nfields == HTTP_MAX_HEADERS)
		return fail(out, ERR_CODE_HEADERS_TOO_LARGE, "more than 100 header fields");
	char *name = arena_strndup(a, l, nlen);
	for (char *p = name; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	out->fields[out->nfields].name = name;
	out->fields[out->nfields].value = arena_strndup(a, v, (size_t)(end - v));
	out->nfields++;
	return HTTP_PARSE_OK;
}

/* Content-Length: digits only; repeated fields (or a list) must agree. */
static http_parse_status content_length(http_head *out, const char *v)
{
	for (const char *p = v; *p;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		long long n = 0;
		int digits = 0;
		while (*p >= '0' && *p <= '9') {
			if (++digits > 15)
				return fail(out, ERR_CODE_PAYLOAD_TOO_LARGE, "the Content-Length is out of range");
			n = n * 10 + (*p++ - '0');
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (!digits || (*p && *p != ','))
			return fail(out, ERR_CODE_BAD_REQUEST, "invalid Content-Length");
		if (out->content_length >= 0 && out->content_length != n)
			return fail(out, ERR_CODE_BAD_REQUEST, "conflicting Content-Length values");
		out->content_length = n;
	}
	if (out->content_length < 0)
		return fail(out, ERR_CODE_BAD_REQUEST, "invalid Content-Length");
	return HTTP_PARSE_OK;
}

/* The framing and connection rules that follow from the fields. */
static http_parse_status semantics(http_head *out)
{
	int hosts = 0;
	const char *te = NULL;
	out->keep_alive = out->minor == 1;
	for (int i = 0; i < out->nfields; i++) {
		const char *n = out->fields[i].name, *v = out->fields[i].value;
		if (!strcmp(n, "content-length")) {
			if (content_length(out, v) == HTTP_PARSE_ERROR)
				return HTTP_PARSE_ERROR;
		} else if (!strcmp(n, "transfer-encoding")) {
			if (te)
				return fail(out, ERR_CODE_BAD_REQUEST, "repeated Transfer-Encoding");
			te = v;
		} else if (!strcmp(n, "host")) {
			hosts++;
		} else if (!strcmp(n, "connection")) {
			if (list_has(v, "close"))
				out->keep_alive = false;
			else if (list_has(v, "keep-alive"))
				out->keep_alive = true;
		} else if (!strcmp(n, "expect")) {
			if (strcasecmp(v, "100-continue"))
				return fail(out, ERR_CODE_EXPECTATION_FAILED, "only Expect: 100-continue is understood");
			out->expect_continue = true;
		}
	}
	if (out->minor == 1 && hosts != 1)
		return fail(out, ERR_CODE_BAD_REQUEST, hosts ? "more than one Host header" : "an HTTP/1.1 request needs a Host header");
	if (te) {
		/* Both framings at once is how requests are smuggled past proxies. */
		if (out->content_length >= 0)
			return fail(out, ERR_CODE_BAD_REQUEST, "both Content-Length and Transfer-Encoding");
		if (strcasecmp(te, "chunked"))
			return fail(out, ERR_CODE_NOT_IMPLEMENTED, "the only transfer coding understood is chunked");
		out->chunked = true;
	}
	return HTTP_PARSE_OK;
}

size_t http_head_end(const char *buf, size_t len, size_t from)
{
	for (const char *p = memchr(buf + from, '\n', len - from); p; p = memchr(p + 1, '\n', len - (size_t)(p + 1 - buf))) {
		size_t at = (size_t)(p - buf) + 1;
		if (at < len && buf[at] == '\n')
			return at + 1;
		if (at + 1 < len && buf[at] == '\r' && buf[at + 1] == '\n')
			return at + 2;
		if (at >= len)
			break;
	}
	return 0;
}

http_parse_status http_parse_head(arena_t *a, const char *buf, size_t len, http_head *out)
{
	memset(out, 0, sizeof *out);
	out->content_length = -1;
	/* Empty lines before a request line are ignored (RFC 9112 2.2). */
	size_t start = 0;
	while (start < len && start < 8 && (buf[start] == '\r' || buf[start] == '\n'))
		start++;
	size_t end = len > start ? http_head_end(buf, len, start) : 0;
	if (!end || end > HTTP_MAX_HEAD) {
		const char *nl = memchr(buf + start, '\n', len - start);
		size_t line = (size_t)((nl ? nl : buf + len) - (buf + start));
		if (line > HTTP_MAX_URI + HTTP_MAX_METHOD + 12)
			return fail(out, ERR_CODE_URI_TOO_LONG, "the request URI is longer than 8192 bytes");
		if (len >= HTTP_MAX_HEAD)
			return fail(out, ERR_CODE_HEADERS_TOO_LARGE, "the request head is larger than 32 KB");
		return HTTP_PARSE_MORE;
	}
	out->head_len = end;
	out->fields = arena_alloc(a, sizeof *out->fields * HTTP_MAX_HEADERS);
	bool first = true;
	for (size_t at = start; at < end;) {
		const char *nl = memchr(buf + at, '\n', end - at);
		size_t n = (size_t)(nl - (buf + at));
		const char *l = buf + at;
		at += n + 1;
		if (n && l[n - 1] == '\r')
			n--;
		if (memchr(l, '\r', n) || memchr(l, '\0', n))
			return fail(out, ERR_CODE_BAD_REQUEST, "a bare CR or NUL in the request head");
		if (n == 0)
			break; /* the empty line that ends the head */
		http_parse_status st = first ? parse_request_line(a, l, n, out) : parse_field(a, l, n, out);
		if (st != HTTP_PARSE_OK)
			return st;
		first = false;
	}
	if (first)
		return fail(out, ERR_CODE_BAD_REQUEST, "the request has no request line");
	return semantics(out);
}

const char *http_head_field(const http_head *h, const char *name)
{
	for (int i = 0; i < h->nfields; i++)
		if (!strcmp(h->fields[i].name, name))
			return h->fields[i].value;
	return NULL;
}
