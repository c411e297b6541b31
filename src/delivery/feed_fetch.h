/* Fetches a calendar feed with libcurl: 10 s in all, at most ICS_MAX_FEED
 * bytes, redirects followed only to https (or http when private addresses
 * are allowed; never to file), HTTP errors are failures, no proxy whatever
 * the environment says. Every connection goes through the SSRF policy
 * (delivery/curl_policy): metadata and reserved addresses are always
 * refused; loopback, private and link-local ones unless allow_private
 * (WEBHOOK_ALLOW_PRIVATE, from app/config), without which only https is
 * fetched. */
#ifndef DELIVERY_FEED_FETCH_H
#define DELIVERY_FEED_FETCH_H
#include <stdbool.h>
#include <stddef.h>

/* On success *body (malloc'd, NUL-terminated) holds *len bytes; on failure
 * errbuf (n bytes) says why. */
bool feed_fetch(const char *url, bool allow_private, char **body, size_t *len, char *errbuf, size_t n);

#endif
