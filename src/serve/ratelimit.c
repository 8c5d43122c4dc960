/* ratelimit.c: the token buckets behind every rate limit of the daemon (API keys, form posts
 * per client address). A bounded hash table with full-key comparison, so two clients never
 * share a bucket, and least-recently-used eviction that prefers buckets that are full again. */
#include "serve/ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "util/mem.h"
#include "util/str.h"

/* How many of the least recently used entries eviction looks at for one that is full. */
#define EVICT_SCAN 8

struct rate_entry {
	char *key;                    /* owned */
	uint64_t hash;
	double tokens, at, rate, burst;
	struct rate_entry *chain;     /* next in the same slot */
	struct rate_entry *newer, *older;
};

struct sk_rate_table {
	pthread_mutex_t lock;
	size_t cap, count, nslots;    /* nslots: a power of two, at least cap */
	uint64_t seed;
	struct rate_entry **slots;
	struct rate_entry *entries;   /* cap of them, allocated once */
	struct rate_entry *unused;    /* linked through chain */
	struct rate_entry *newest, *oldest;
};

/* FNV-1a from a per-table seed, then a 64-bit finaliser (murmur3's fmix64). */
static uint64_t key_hash(uint64_t seed, const char *key)
{
	uint64_t h = 14695981039346656037ull ^ seed;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		h ^= *p;
		h *= 1099511628211ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

struct sk_rate_table *sk_rate_table_new(size_t cap, uint64_t seed)
{
	struct sk_rate_table *t = cap ? sk_calloc(1, sizeof(*t)) : NULL;
	if (!t)
		return NULL;
	t->cap = cap;
	t->seed = seed;
	for (t->nslots = 1; t->nslots < cap; t->nslots <<= 1)
		;
	t->slots = sk_calloc(t->nslots, sizeof(*t->slots));
	t->entries = sk_calloc(cap, sizeof(*t->entries));
	if (!t->slots || !t->entries) {
		sk_rate_table_free(t);
		return NULL;
	}
	for (size_t i = cap; i-- > 0;) {
		t->entries[i].chain = t->unused;
		t->unused = &t->entries[i];
	}
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

void sk_rate_table_free(struct sk_rate_table *t)
{
	if (!t)
		return;
	if (t->entries) {
		for (size_t i = 0; i < t->cap; i++)
			sk_free(t->entries[i].key);
		pthread_mutex_destroy(&t->lock);
	}
	sk_free(t->entries);
	sk_free(t->slots);
	sk_free(t);
}

size_t sk_rate_table_slot(const struct sk_rate_table *t, const char *key)
{
	return (size_t)(key_hash(t->seed, key) & (t->nslots - 1));
}

size_t sk_rate_table_count(struct sk_rate_table *t)
{
	pthread_mutex_lock(&t->lock);
	size_t n = t->count;
	pthread_mutex_unlock(&t->lock);
	return n;
}

static void lru_unlink(struct sk_rate_table *t, struct rate_entry *e)
{
	if (e->newer)
		e->newer->older = e->older;
	else
		t->newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		t->oldest = e->newer;
	e->newer = e->older = NULL;
}

static void lru_push(struct sk_rate_table *t, struct rate_entry *e)
{
	e->older = t->newest;
	e->newer = NULL;
	if (t->newest)
		t->newest->newer = e;
	t->newest = e;
	if (!t->oldest)
		t->oldest = e;
}

/* Frees an entry for a new key: an unused one, else among the EVICT_SCAN least recently used
 * the oldest whose bucket has refilled (forgetting it loses nothing: a new bucket starts
 * full), else the least recently used one. */
static struct rate_entry *take_entry(struct sk_rate_table *t, double now)
{
	struct rate_entry *e = t->unused;
	if (e) {
		t->unused = e->chain;
		e->chain = NULL;
		return e;
	}
	e = t->oldest;
	struct rate_entry *c = t->oldest;
	for (int i = 0; c && i < EVICT_SCAN; i++, c = c->newer)
		if (c->tokens + (now - c->at) * c->rate >= c->burst) {
			e = c;
			break;
		}
	if (!e)
		return NULL;
	struct rate_entry **pp = &t->slots[e->hash & (t->nslots - 1)];
	while (*pp != e)
		pp = &(*pp)->chain;
	*pp = e->chain;
	lru_unlink(t, e);
	sk_free(e->key);
	memset(e, 0, sizeof(*e));
	t->count--;
	return e;
}

int sk_rate_table_take(struct sk_rate_table *t, const char *key, double rate, double burst,
		       double now)
{
	int wait = 0;
	if (rate <= 0)
		return 0;
	uint64_t h = key_hash(t->seed, key);
	pthread_mutex_lock(&t->lock);
	struct rate_entry *e = t->slots[h & (t->nslots - 1)];
	while (e && (e->hash != h || strcmp(e->key, key) != 0))
		e = e->chain;
	if (e) {
		lru_unlink(t, e);
	} else {
		char *k = sk_strdup(key);
		if (!k || !(e = take_entry(t, now))) {
			/* no memory for the key: refuse rather than let the request through */
			pthread_mutex_unlock(&t->lock);
			sk_free(k);
			return 1;
		}
		e->key = k;
		e->hash = h;
		e->tokens = burst;
		e->at = now;
		e->chain = t->slots[h & (t->nslots - 1)];
		t->slots[h & (t->nslots - 1)] = e;
		t->count++;
	}
	lru_push(t, e);
	e->rate = rate;
	e->burst = burst;
	e->tokens = fmin(burst, e->tokens + (now - e->at) * rate);
	e->at = now;
	if (e->tokens >= 1)
		e->tokens -= 1;
	else
		wait = (int)ceil((1 - e->tokens) / rate);
	pthread_mutex_unlock(&t->lock);
	return wait;
}

/* ---- the daemon's table ---- */

static pthread_once_t rates_once = PTHREAD_ONCE_INIT;
static struct sk_rate_table *rates;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void rates_init(void)
{
	uint64_t seed = 0;
	if (sk_random(&seed, sizeof(seed))) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	}
	rates = sk_rate_table_new(SK_RATE_ENTRIES, seed);
}

int sk_rate_take(const char *key, double rate, double burst)
{
	if (rate <= 0)
		return 0;
	pthread_once(&rates_once, rates_init);
	if (!rates)
		return 1; /* no memory for the table: refuse rather than let everything through */
	return sk_rate_table_take(rates, key, rate, burst, now_s());
}
