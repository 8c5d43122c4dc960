/* test_net.c: util/net.c alone (it links only util): the classifier of special-purpose
 * addresses over the shared table, the range table itself, the strict URL split, and the
 * resolve-and-check of a URL with the pin it writes for CURLOPT_RESOLVE. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "util/net.h"

#include "addr_table.h"

static int verdict_of(const char *addr)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
	} else {
		assert_int_equal(inet_pton(AF_INET6, addr, &in6->sin6_addr), 1);
		in6->sin6_family = AF_INET6;
	}
	const char *what = NULL;
	int v = (int)sk_net_addr_class((struct sockaddr *)&ss, &what);
	assert_non_null(what);
	return v;
}

static void address_classifier(void **state)
{
	(void)state;
	assert_int_equal(sk_net_ranges_check(), 0);
	for (size_t i = 0; i < sizeof(address_table) / sizeof(address_table[0]); i++) {
		int v = verdict_of(address_table[i].addr);
		if (v != address_table[i].verdict)
			fail_msg("%s: verdict %d, expected %d", address_table[i].addr, v,
				 address_table[i].verdict);
	}
}


/* The same table through the URL check, with and without allow_private. */
static void url_check_over_the_table(void **state)
{
	(void)state;
	char url[128], res[SK_NET_RESOLVE_MAX];
	for (size_t i = 0; i < sizeof(address_table) / sizeof(address_table[0]); i++) {
		const char *a = address_table[i].addr;
		int v = address_table[i].verdict;
		snprintf(url, sizeof(url), strchr(a, ':') ? "http://[%s]:8080/h" : "http://%s:8080/h", a);
		enum sk_net_fail f0 = sk_net_url_check(url, 0, res, sizeof(res));
		enum sk_net_fail want0 = v == PUB ? SK_NET_OK : v == PRIV ? SK_NET_ADDR_PRIVATE
									    : SK_NET_ADDR_NEVER;
		if (f0 != want0)
			fail_msg("%s without allow_private: %d, expected %d", url, f0, want0);
		assert_string_equal(res, ""); /* a literal is not pinned */
		enum sk_net_fail f1 = sk_net_url_check(url, 1, res, sizeof(res));
		if (f1 != (v == NEVER ? SK_NET_ADDR_NEVER : SK_NET_OK))
			fail_msg("%s with allow_private: %d", url, f1);
	}
}

static void url_split(void **state)
{
	(void)state;
	static const struct {
		const char *url, *scheme, *host, *port;
	} good[] = {
		{"http://example.com", "http", "example.com", "80"},
		{"https://example.com/hook?a=1#f", "https", "example.com", "443"},
		{"HTTPS://Hooks.Example.com:8443/x", "https", "Hooks.Example.com", "8443"},
		{"http://user:pw@example.com:81/", "http", "example.com", "81"},
		{"http://[2001:db8::1]:8080/h", "http", "2001:db8::1", "8080"},
		{"http://[::1]/", "http", "::1", "80"},
		{"http://example.com:/x", "http", "example.com", "80"},
		{"http://example.com:0080/x", "http", "example.com", "80"},
		{"http://2130706433/", "http", "2130706433", "80"},
		{"http://example.com?q", "http", "example.com", "80"},
	};
	struct sk_url_parts u;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		enum sk_net_fail f = sk_net_url_split(good[i].url, &u);
		if (f != SK_NET_OK)
			fail_msg("%s: %d", good[i].url, f);
		assert_string_equal(u.scheme, good[i].scheme);
		assert_string_equal(u.host, good[i].host);
		assert_string_equal(u.port, good[i].port);
	}
	static const char *const bad_scheme[] = {
		"ftp://8.8.8.8/", "file:///etc/passwd", "gopher://example.com/", "httpx://example.com/",
		"javascript:alert(1)",
	};
	for (size_t i = 0; i < sizeof(bad_scheme) / sizeof(bad_scheme[0]); i++)
		if (sk_net_url_split(bad_scheme[i], &u) != SK_NET_BAD_SCHEME)
			fail_msg("%s: not refused for its scheme", bad_scheme[i]);
	static const char *const bad[] = {
		"", "not a url", "example.com/hook", "//example.com/", "http:/example.com/",
		"http:example.com", "http://", "http:///x", "http://:80/", "http://exa mple.com/",
		"http://example.com/a b", "http://example.com\\@127.0.0.1/", "http://a@b@example.com/",
		"http://example.com:65536/", "http://example.com:123456/", "http://example.com:8o/",
		"http://[::1/", "http://[::1]x/", "http://[not-v6]/", "http://[fe80::1%25eth0]/",
		"http://exa%6dple.com/", "http://example.com\t/", "http://ex\x01" "ample.com/",
		"http://ex\x7f" "ample.com/", "1http://example.com/", "http://example.com;x/",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sk_net_url_split(bad[i], &u) != SK_NET_BAD_URL)
			fail_msg("'%s': not refused as malformed", bad[i]);
	/* every limit: the URL below SK_NET_URL_MAX bytes, the host below 256 */
	char big[SK_NET_URL_MAX + 16];
	memset(big, 'a', sizeof(big));
	memcpy(big, "http://", 7);
	big[SK_NET_URL_MAX] = '\0';
	assert_int_equal(sk_net_url_split(big, &u), SK_NET_BAD_URL);
	big[7 + 255] = '\0';
	assert_int_equal(sk_net_url_split(big, &u), SK_NET_OK);
	assert_int_equal(strlen(u.host), 255);
	big[7 + 255] = 'a';
	big[7 + 256] = '\0';
	assert_int_equal(sk_net_url_split(big, &u), SK_NET_BAD_URL);
}

static void host_check_pins_names(void **state)
{
	(void)state;
	char res[SK_NET_RESOLVE_MAX];
	/* a name is pinned to the addresses checked */
	assert_int_equal(sk_net_url_check("http://localhost:9/x", 1, res, sizeof(res)), SK_NET_OK);
	assert_true(strncmp(res, "localhost:9:", 12) == 0);
	assert_non_null(strstr(res, "127.0.0.1"));
	/* refused: nothing pinned */
	assert_int_equal(sk_net_url_check("http://localhost:9/x", 0, res, sizeof(res)),
			 SK_NET_ADDR_PRIVATE);
	assert_string_equal(res, "");
	/* the other forms of an IPv4 address that the resolver reads are judged as it reads them */
	assert_int_equal(sk_net_url_check("http://2130706433/", 0, res, sizeof(res)),
			 SK_NET_ADDR_PRIVATE);
	assert_int_equal(sk_net_url_check("http://0x7f.1/", 0, res, sizeof(res)),
			 SK_NET_ADDR_PRIVATE);
	assert_int_equal(sk_net_url_check("http://0/", 1, res, sizeof(res)), SK_NET_ADDR_NEVER);
	assert_int_equal(sk_net_url_check("http://no-such-host.invalid/", 1, res, sizeof(res)),
			 SK_NET_RESOLVE);
	assert_string_equal(res, "");
	assert_int_equal(sk_net_url_check("ftp://8.8.8.8/", 1, res, sizeof(res)), SK_NET_BAD_SCHEME);
	assert_int_equal(sk_net_url_check("not a url", 1, NULL, 0), SK_NET_BAD_URL);
	/* a pin that does not fit is cut at an address, never mid-way */
	char small[20];
	assert_int_equal(sk_net_host_check("localhost", "9", 1, small, sizeof(small)), SK_NET_OK);
	assert_true(strlen(small) < sizeof(small));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(address_classifier),
		cmocka_unit_test(url_check_over_the_table),
		cmocka_unit_test(url_split),
		cmocka_unit_test(host_check_pins_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
