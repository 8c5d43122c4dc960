/* ratelimit.h: the token buckets behind every rate limit of `samtycke serve` (API keys, form
 * posts per client address), owned by the daemon and lent to the HTTP adapter through
 * struct sk_http_env. */
#ifndef SK_SERVE_RATELIMIT_H
#define SK_SERVE_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define SK_RATE_ENTRIES 16384 /* buckets in the daemon's table */

/* Token bucket of the daemon's table: 0 when key may go on, else the seconds to wait. rate
 * per second (0: off), burst tokens at most. A table that could not be allocated refuses. */
int sk_rate_take(const char *key, double rate, double burst);

struct sk_rate_table;
/* A table of at most cap buckets; seed keys the hash. NULL when out of memory or cap is 0. */
struct sk_rate_table *sk_rate_table_new(size_t cap, uint64_t seed);
void sk_rate_table_free(struct sk_rate_table *t);
/* As sk_rate_take, at time now (seconds). Keys are compared whole; a full table forgets the
 * least recently used bucket that has refilled (else the least recently used). */
int sk_rate_table_take(struct sk_rate_table *t, const char *key, double rate, double burst,
		       double now);
size_t sk_rate_table_count(struct sk_rate_table *t);
/* The hash slot of key (tests use it to find keys that collide). */
size_t sk_rate_table_slot(const struct sk_rate_table *t, const char *key);

#endif
