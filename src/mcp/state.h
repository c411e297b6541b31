/* Signed state handed to an MCP client and back: a 2026-07-28 requestState,
 * and the confirmation card an MCP App holds. The client carries it but can
 * neither read a secret from it nor alter it, nor replay it for another
 * caller, another purpose or after its lifetime: any instance sharing the
 * server secret verifies it, so no instance has to remember it. */
#ifndef MCP_STATE_H
#define MCP_STATE_H
#include "core/confirm.h"
#include <jansson.h>

/* base64url(JSON {n: name, u: user_id, e: expiry, s: state}) "."
 * base64url(HMAC-SHA256 of that JSON) under a key derived from k; expires
 * ttl_seconds from now. Returns a malloc'd string the caller frees (NULL only
 * when state cannot be printed). state is borrowed. */
char *mcp_state_sign(const confirm_key *k, const char *name, const char *user_id, json_t *state, long ttl_seconds);

/* The state inside signed (new reference), or NULL when it does not verify,
 * has expired, or was signed for another name or user. */
json_t *mcp_state_open(const confirm_key *k, const char *name, const char *user_id, const char *signed_state);

#endif
