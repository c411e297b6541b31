/* A tiny SMTP server for tests: a thread on a loopback port that accepts
 * every message (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and keeps
 * what it received, so tests can read the mail a command sent. */
#ifndef TESTS_SMTP_SINK_H
#define TESTS_SMTP_SINK_H
#include <stddef.h>

typedef struct {
	char *from;  /* MAIL FROM argument */
	char *rcpt;  /* first RCPT TO argument */
	char *data;  /* the message (headers and body), dot-unstuffed */
} smtp_sink_message;

/* Starts the sink; returns its port (aborts the test on failure). */
int smtp_sink_start(void);
void smtp_sink_stop(void);
/* Messages received so far. */
size_t smtp_sink_count(void);
/* A copy of message i (free with smtp_sink_message_free). */
smtp_sink_message smtp_sink_get(size_t i);
void smtp_sink_message_free(smtp_sink_message *m);
/* Waits up to ms milliseconds for at least n messages; returns the count. */
size_t smtp_sink_wait(size_t n, int ms);

#endif
