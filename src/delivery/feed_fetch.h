/* Fetches a calendar feed with libcurl: 10 s in all, at most ICS_MAX_FEED
 * bytes, redirects followed only to https (or http when private addresses
 * are allowed; never to file), HTTP errors are failures. Unless
 * allow_private, connections to loopback, private, link-local and other
 * non-public addresses are refused, and only https is fetched. */
#ifndef DELIVERY_FEED_FETCH_H
#define DELIVERY_FEED_FETCH_H
#include <stdbool.h>
#include <stddef.h>

/* On success *body (malloc'd, NUL-terminated) holds *len bytes; on failure
 * errbuf (n bytes) says why. */
bool feed_fetch(const char *url, bool allow_private, char **body, size_t *len, char *errbuf, size_t n);

#endif
