/* Verification of HS256 JSON Web Tokens (Supabase-style session tokens). */
#ifndef UTIL_JWT_H
#define UTIL_JWT_H
#include <stddef.h>
#include <time.h>

typedef enum {
	JWT_OK = 0,
	JWT_MALFORMED,
	JWT_BAD_ALG,       /* anything but HS256, including "none" */
	JWT_BAD_SIGNATURE,
	JWT_EXPIRED,
	JWT_NOT_YET_VALID,
	JWT_NO_SUBJECT,
} jwt_result;

/* Verifies token with secret at time now; on JWT_OK copies the "sub" claim into
 * sub (NUL-terminated, truncated to subsz). Tokens without "exp" are refused as
 * expired: a session token must expire. */
jwt_result jwt_verify_hs256(const char *token, const char *secret, time_t now, char *sub, size_t subsz);
/* Makes an HS256 token with the given claims JSON object text; returns a malloc'd
 * string the caller frees. Used by tests and the admin tooling. */
char *jwt_sign_hs256(const char *claims_json, const char *secret);
const char *jwt_result_str(jwt_result r);

#endif
