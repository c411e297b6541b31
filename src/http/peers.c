#include "http/peers.h"
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { BUCKETS = 4096 };

typedef struct peer {
	unsigned char key[16]; /* IPv6, or IPv4 mapped into it */
	int conns;
	struct peer *next;
} peer;

struct peers {
	int max;
	peer *buckets[BUCKETS];
};

/* IPv4 as ::ffff:a.b.c.d, so both families share one key space. */
static void key_of(const struct sockaddr_storage *addr, unsigned char key[16])
{
	memset(key, 0, 16);
	if (addr->ss_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)addr)->sin6_addr, 16);
	} else if (addr->ss_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)addr)->sin_addr, 4);
	}
}

static peer **slot(peers_t *p, const unsigned char key[16])
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	peer **s = &p->buckets[h % BUCKETS];
	while (*s && memcmp((*s)->key, key, 16))
		s = &(*s)->next;
	return s;
}

peers_t *peers_new(int max_per_peer)
{
	peers_t *p = calloc(1, sizeof *p);
	if (!p)
		abort();
	p->max = max_per_peer;
	return p;
}

void peers_free(peers_t *p)
{
	if (!p)
		return;
	for (int i = 0; i < BUCKETS; i++)
		for (peer *e = p->buckets[i], *n; e; e = n) {
			n = e->next;
			free(e);
		}
	free(p);
}

bool peers_acquire(peers_t *p, const struct sockaddr_storage *addr)
{
	unsigned char key[16];
	key_of(addr, key);
	peer **s = slot(p, key);
	if (!*s) {
		*s = calloc(1, sizeof **s);
		if (!*s)
			return false;
		memcpy((*s)->key, key, 16);
	}
	if (p->max > 0 && (*s)->conns >= p->max)
		return false;
	(*s)->conns++;
	return true;
}

void peers_release(peers_t *p, const struct sockaddr_storage *addr)
{
	unsigned char key[16];
	key_of(addr, key);
	peer **s = slot(p, key);
	if (!*s)
		return;
	if (--(*s)->conns <= 0) {
		peer *dead = *s;
		*s = dead->next;
		free(dead);
	}
}
