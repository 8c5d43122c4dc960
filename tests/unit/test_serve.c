/* test_serve.c: the daemon's rate limits (src/serve/ratelimit.c), without a socket:
 * whole-key buckets, a bounded table, eviction that keeps busy clients limited, a burst that
 * idling cannot grow, and refusal when there is no memory for a bucket. */
#include "testlib.h"

#include "serve/ratelimit.h"
#include "util/mem.h"

/* ---- the rate table ---- */

/* Two keys that land in the same slot of t. */
static void colliding(struct sk_rate_table *t, char a[32], char b[32])
{
	snprintf(a, 32, "ip:192.0.2.1");
	size_t want = sk_rate_table_slot(t, a);
	for (int i = 2; i < 100000; i++) {
		snprintf(b, 32, "ip:198.51.100.%d.%d", i / 250, i % 250);
		if (sk_rate_table_slot(t, b) == want)
			return;
	}
	fail_msg("no colliding key found");
}

static void colliding_keys_have_their_own_buckets(void **state)
{
	(void)state;
	struct sk_rate_table *t = sk_rate_table_new(8, 42);
	char a[32], b[32];
	assert_non_null(t);
	colliding(t, a, b);
	assert_int_equal(sk_rate_table_slot(t, a), sk_rate_table_slot(t, b));
	/* a uses up its burst of 3 (rate: 1 a minute) */
	for (int i = 0; i < 3; i++)
		assert_int_equal(sk_rate_table_take(t, a, 1 / 60.0, 3, 100.0), 0);
	assert_true(sk_rate_table_take(t, a, 1 / 60.0, 3, 100.0) > 0);
	/* b, in the same slot, has its own full burst, and taking it does not refill a */
	for (int i = 0; i < 3; i++)
		assert_int_equal(sk_rate_table_take(t, b, 1 / 60.0, 3, 100.0), 0);
	assert_true(sk_rate_table_take(t, b, 1 / 60.0, 3, 100.0) > 0);
	assert_true(sk_rate_table_take(t, a, 1 / 60.0, 3, 101.0) > 0);
	assert_int_equal(sk_rate_table_count(t), 2);
	sk_rate_table_free(t);
}

static void the_table_stays_bounded(void **state)
{
	(void)state;
	struct sk_rate_table *t = sk_rate_table_new(64, 7);
	char key[32];
	assert_non_null(t);
	for (int i = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "ip:10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		assert_int_equal(sk_rate_table_take(t, key, 1, 2, i * 0.001), 0);
		assert_true(sk_rate_table_count(t) <= 64);
	}
	assert_int_equal(sk_rate_table_count(t), 64);
	sk_rate_table_free(t);
}

/* A full table forgets a bucket that has refilled before one that is still drained, even
 * when the drained one is the least recently used. */
static void eviction_keeps_a_drained_bucket(void **state)
{
	(void)state;
	struct sk_rate_table *t = sk_rate_table_new(4, 1);
	assert_non_null(t);
	for (int i = 0; i < 2; i++)
		assert_int_equal(sk_rate_table_take(t, "slow", 0.01, 2, 0.0), 0);
	assert_true(sk_rate_table_take(t, "slow", 0.01, 2, 0.0) > 0);
	assert_int_equal(sk_rate_table_take(t, "k1", 100, 200, 0.5), 0);
	assert_int_equal(sk_rate_table_take(t, "k2", 100, 200, 0.5), 0);
	assert_int_equal(sk_rate_table_take(t, "k3", 100, 200, 0.5), 0);
	/* at t=2 the table is full; "slow" is the oldest but still drained, k1 has refilled */
	assert_int_equal(sk_rate_table_take(t, "new", 100, 200, 2.0), 0);
	assert_int_equal(sk_rate_table_count(t), 4);
	assert_true(sk_rate_table_take(t, "slow", 0.01, 2, 2.0) > 0);
	sk_rate_table_free(t);
}

/* With every bucket drained, the least recently used is forgotten: the table never grows. */
static void eviction_falls_back_to_the_oldest(void **state)
{
	(void)state;
	struct sk_rate_table *t = sk_rate_table_new(2, 1);
	assert_non_null(t);
	assert_int_equal(sk_rate_table_take(t, "a", 0.01, 1, 0.0), 0);
	assert_int_equal(sk_rate_table_take(t, "b", 0.01, 1, 0.0), 0);
	assert_true(sk_rate_table_take(t, "b", 0.01, 1, 0.0) > 0);
	assert_int_equal(sk_rate_table_take(t, "c", 0.01, 1, 1.0), 0); /* forgets a */
	assert_int_equal(sk_rate_table_count(t), 2);
	assert_true(sk_rate_table_take(t, "b", 0.01, 1, 1.0) > 0);     /* b kept its state */
	sk_rate_table_free(t);
}

/* Through the server's own table (sk_rate_take): a client that has used up its burst stays
 * limited however many other clients come and go, and keys are never cut short. The table
 * before this change (1,024 slots, never evicted) handed a new key the bucket of an old one
 * once full, refilling it, so that the limited client was let through again. */
static void a_limited_client_stays_limited_among_many(void **state)
{
	(void)state;
	char key[96];
	for (int i = 0; i < 2; i++)
		assert_int_equal(sk_rate_take("ip:203.0.113.9", 0.001, 2), 0);
	assert_true(sk_rate_take("ip:203.0.113.9", 0.001, 2) > 0);
	for (int i = 0; i < 10000; i++) {
		snprintf(key, sizeof(key), "ip:198.18.%d.%d", i / 256, i % 256);
		assert_int_equal(sk_rate_take(key, 0.001, 2), 0);
		if (i % 97 == 0)
			assert_true(sk_rate_take("ip:203.0.113.9", 0.001, 2) > 0);
	}
	assert_true(sk_rate_take("ip:203.0.113.9", 0.001, 2) > 0);
}

static void long_keys_are_compared_whole(void **state)
{
	(void)state;
	char a[160], b[160];
	memset(a, 'x', 150);
	a[150] = '\0';
	memcpy(b, a, sizeof(a));
	b[149] = 'y';
	assert_int_equal(sk_rate_take(a, 0.001, 1), 0);
	assert_true(sk_rate_take(a, 0.001, 1) > 0);
	assert_int_equal(sk_rate_take(b, 0.001, 1), 0);
}

/* An idle client's bucket fills up to its burst and no further: after an hour without a
 * request it gets the burst (3) and then waits, not an hour's worth of requests. */
static void an_idle_bucket_holds_no_more_than_its_burst(void **state)
{
	(void)state;
	struct sk_rate_table *t = sk_rate_table_new(8, 3);
	assert_non_null(t);
	assert_int_equal(sk_rate_table_take(t, "key:idle", 1, 3, 0.0), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(sk_rate_table_take(t, "key:idle", 1, 3, 3600.0), 0);
	assert_true(sk_rate_table_take(t, "key:idle", 1, 3, 3600.0) > 0);
	sk_rate_table_free(t);
}

/* Without memory for a new client's bucket the request is refused, not let through. */
static void no_memory_for_a_bucket_refuses(void **state)
{
	(void)state;
	struct sk_rate_table *t = sk_rate_table_new(8, 5);
	assert_non_null(t);
	sk_mem_fail_after(0);
	int wait = sk_rate_table_take(t, "key:new", 1, 3, 0.0);
	sk_mem_fail_after(-1);
	assert_true(wait > 0);
	assert_int_equal(sk_rate_table_count(t), 0);
	/* a positive control: with memory the same client is let through */
	assert_int_equal(sk_rate_table_take(t, "key:new", 1, 3, 0.0), 0);
	sk_rate_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(colliding_keys_have_their_own_buckets),
		cmocka_unit_test(the_table_stays_bounded),
		cmocka_unit_test(eviction_keeps_a_drained_bucket),
		cmocka_unit_test(eviction_falls_back_to_the_oldest),
		cmocka_unit_test(a_limited_client_stays_limited_among_many),
		cmocka_unit_test(long_keys_are_compared_whole),
		cmocka_unit_test(an_idle_bucket_holds_no_more_than_its_burst),
		cmocka_unit_test(no_memory_for_a_bucket_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
