/* A small HTTP/1.1 server on 127.0.0.1 for webhook tests, run on threads
 * inside the test process. Each path follows a script of answers, one per
 * request, the last repeating: "200", "500", "429", "410", "302",
 * "slow:MS:STATUS" (answer after MS milliseconds), "drop" (close without an
 * answer). Every request is captured (headers, body) for the test to check. */
#ifndef TESTS_RECEIVER_H
#define TESTS_RECEIVER_H
#include <stdbool.h>
#include <stddef.h>

typedef struct receiver receiver_t;

typedef struct {
	char path[256];
	char *headers; /* raw header block, as received */
	char *body;
	size_t body_len;
} receiver_request;

receiver_t *receiver_start(void);
/* Stops accepting, waits for the handlers still running, frees everything. */
void receiver_stop(receiver_t *rx);
int receiver_port(const receiver_t *rx);
/* "http://127.0.0.1:PORT" + path, malloc'd. */
char *receiver_url(const receiver_t *rx, const char *path);
/* Sets the script of path (comma-separated steps, see above). */
void receiver_script(receiver_t *rx, const char *path, const char *steps);
/* Answers every request on path with 200 and this JSON body (replacing any script). */
void receiver_content(receiver_t *rx, const char *path, const char *json_body);
/* Requests received on path so far (counted when their body has arrived). */
int receiver_count(receiver_t *rx, const char *path);
/* Waits until path has at least n requests; false after timeout_ms. */
bool receiver_wait(receiver_t *rx, const char *path, int n, int timeout_ms);
/* A copy of the index-th request on path (free with receiver_request_free); false if none. */
bool receiver_get(receiver_t *rx, const char *path, int index, receiver_request *out);
void receiver_request_free(receiver_request *r);
/* Value of a header of a captured request (case-insensitive), malloc'd, or NULL. */
char *receiver_header(const receiver_request *r, const char *name);

#endif
