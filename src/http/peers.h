/* Connections per client address, so one address cannot take every slot.
 * Used by the event-loop thread only: no locking. */
#ifndef HTTP_PEERS_H
#define HTTP_PEERS_H
#include <stdbool.h>
#include <sys/socket.h>

typedef struct peers peers_t;

/* A new table (free with peers_free); max_per_peer 0 means no cap. */
peers_t *peers_new(int max_per_peer);
void peers_free(peers_t *p);
/* Counts a connection from addr; false (and nothing counted) when that
 * address already holds max_per_peer connections. */
bool peers_acquire(peers_t *p, const struct sockaddr_storage *addr);
/* Forgets one connection from addr (acquired before). */
void peers_release(peers_t *p, const struct sockaddr_storage *addr);

#endif
