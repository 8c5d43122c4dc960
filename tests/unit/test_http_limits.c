/* test_http_limits.c: the abuse limits of the HTTP server that can be tested without a
 * socket: the client address (--trusted-proxy prefixes, X-Forwarded-For), and a revoked
 * key failing at once in every worker's core of the process. */
#include "testlib.h"

#include <arpa/inet.h>

#include "http/http_int.h"

/* ---- client addresses ---- */

static struct sk_ipaddr ip(const char *s)
{
	struct sk_ipaddr a;
	assert_int_equal(sk_ip_parse(s, strlen(s), &a), 0);
	return a;
}

static void expect_client(const char *peer, const char *xff, const char *const *proxies,
			  size_t n, const char *want)
{
	struct sk_cidr set[8];
	for (size_t i = 0; i < n; i++)
		assert_int_equal(sk_cidr_parse(proxies[i], &set[i]), 0);
	struct sk_ipaddr p = ip(peer), out;
	char text[64];
	sk_client_ip(&p, xff, set, n, &out);
	sk_ip_format(&out, text, sizeof(text));
	if (strcmp(text, want) != 0)
		fail_msg("peer %s, X-Forwarded-For '%s': wanted %s, got %s", peer, xff ? xff : "(none)",
			 want, text);
}

static void prefixes_parse_and_match(void **state)
{
	(void)state;
	struct sk_cidr c;
	static const char *const bad[] = {"", "10.0.0.0/", "10.0.0.0/33", "10.0.0/8", "fd00::/129",
					  "example.com", "10.0.0.0/8x", "10.0.0.0/-1", "::ffff:10.0.0.0/95",
					  "10.0.0.0 /8", NULL};
	for (int i = 0; bad[i]; i++)
		if (sk_cidr_parse(bad[i], &c) == 0)
			fail_msg("'%s' was accepted as a prefix", bad[i]);
	assert_int_equal(sk_cidr_parse("10.1.2.3/8", &c), 0);
	assert_int_equal(c.bits, 8);
	struct sk_ipaddr a = ip("10.200.0.1"), b = ip("11.0.0.1");
	assert_true(sk_cidr_match(&c, 1, &a));
	assert_false(sk_cidr_match(&c, 1, &b));
	assert_int_equal(sk_cidr_parse("192.0.2.7", &c), 0); /* one address: /32 */
	a = ip("192.0.2.7");
	b = ip("192.0.2.6");
	assert_true(sk_cidr_match(&c, 1, &a));
	assert_false(sk_cidr_match(&c, 1, &b));
	assert_int_equal(sk_cidr_parse("2001:db8:abcd::/49", &c), 0);
	a = ip("2001:db8:abcd:7fff::1");
	b = ip("2001:db8:abcd:8000::1");
	assert_true(sk_cidr_match(&c, 1, &a));
	assert_false(sk_cidr_match(&c, 1, &b));
	b = ip("10.0.0.1"); /* another family never matches */
	assert_false(sk_cidr_match(&c, 1, &b));
	/* a mapped IPv4 address is the IPv4 address, as peer and as prefix */
	assert_int_equal(sk_cidr_parse("::ffff:172.16.0.0/108", &c), 0);
	a = ip("172.16.9.9");
	assert_int_equal(a.family, AF_INET);
	assert_true(sk_cidr_match(&c, 1, &a));
	a = ip("::ffff:172.16.1.2");
	assert_int_equal(a.family, AF_INET);
	assert_true(sk_cidr_match(&c, 1, &a));
	assert_int_equal(sk_cidr_parse("0.0.0.0/0", &c), 0);
	a = ip("203.0.113.1");
	assert_true(sk_cidr_match(&c, 1, &a));
}

static void forwarded_for_counts_only_from_a_trusted_proxy(void **state)
{
	(void)state;
	static const char *const lb[] = {"127.0.0.1/32", "10.0.0.0/8", "fd00::/8"};
	/* no trusted proxy configured: the peer, whatever the header says */
	expect_client("127.0.0.1", "198.51.100.7", NULL, 0, "127.0.0.1");
	/* an untrusted peer's header is ignored */
	expect_client("192.0.2.50", "198.51.100.7", lb, 3, "192.0.2.50");
	/* a trusted peer without the header: the peer */
	expect_client("127.0.0.1", NULL, lb, 3, "127.0.0.1");
	expect_client("127.0.0.1", "", lb, 3, "127.0.0.1");
	/* a trusted peer: the right-most address */
	expect_client("127.0.0.1", "198.51.100.7", lb, 3, "198.51.100.7");
	/* what the client wrote itself (left) is not believed */
	expect_client("127.0.0.1", "1.2.3.4, 198.51.100.7", lb, 3, "198.51.100.7");
	/* trusted hops on the right are skipped, in either family */
	expect_client("127.0.0.1", "1.2.3.4,198.51.100.7, 10.1.1.1 ,fd00::5", lb, 3,
		      "198.51.100.7");
	expect_client("fd00::1", "2001:db8::9", lb, 3, "2001:db8::9");
	/* all trusted: the left-most */
	expect_client("127.0.0.1", "10.0.0.2, 10.0.0.3", lb, 3, "10.0.0.2");
	/* an entry that is not an address stops the walk at the last trusted hop */
	expect_client("127.0.0.1", "198.51.100.7, unknown", lb, 3, "127.0.0.1");
	expect_client("127.0.0.1", "198.51.100.7, nonsense, 10.0.0.9", lb, 3, "10.0.0.9");
	expect_client("127.0.0.1", "198.51.100.7:4711", lb, 3, "127.0.0.1");
	/* empty entries are skipped; the text form is canonical */
	expect_client("127.0.0.1", "2001:DB8:0:0::1,, ", lb, 3, "2001:db8::1");
	expect_client("127.0.0.1", "::ffff:198.51.100.8", lb, 3, "198.51.100.8");
}

/* ---- revocation ---- */

/* Two cores on one database, as two worker threads of one server: a key that one of them has
 * just checked (and cached) fails there at once when the other revokes it. Before, the cache
 * of the first held it for up to a second. */
static void a_revocation_reaches_every_core_at_once(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_store *store2;
	struct sk_core *core2;
	struct sk_key_rec k;
	char key[SK_KEY_STRLEN];
	assert_int_equal(sk_store_open(t->uri, 0, &store2, &t->err), 0);
	assert_int_equal(sk_core_open(store2, t->vault, 0, &core2, &t->err), 0);
	assert_int_equal(sk_key_create(t->core, "worker-test", "read", key, &t->err), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(sk_key_authenticate(core2, key, &k, &t->err), 0);
	assert_int_equal(sk_key_revoke(t->core, "worker-test", &t->err), 0);
	assert_int_equal(sk_key_authenticate(core2, key, &k, &t->err), SK_ERR_UNAUTHORIZED);
	assert_int_equal(sk_key_authenticate(t->core, key, &k, &t->err), SK_ERR_UNAUTHORIZED);
	/* a failed revocation (no such key) changes nothing for the keys that are cached */
	assert_int_equal(sk_key_create(t->core, "still-valid", "read", key, &t->err), 0);
	assert_int_equal(sk_key_authenticate(core2, key, &k, &t->err), 0);
	assert_int_equal(sk_key_revoke(t->core, "no-such-key", &t->err), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_key_authenticate(core2, key, &k, &t->err), 0);
	sk_core_free(core2);
	sk_store_close(store2);
	tenv_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(prefixes_parse_and_match),
		cmocka_unit_test(forwarded_for_counts_only_from_a_trusted_proxy),
		cmocka_unit_test(a_revocation_reaches_every_core_at_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
