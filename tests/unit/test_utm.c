/* test_utm.c: the UTM link builder (core/utm.c, docs/utm.md): every rule of the URL and of
 * the values, each error naming its field, the encoding (RFC 3986), the lowercasing, and
 * the existing query and fragment kept (utm_* already there replaced). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/utm.h"
#include "util/mem.h"

/* Builds url with the given values; returns the link (static) or NULL, with the error's
 * field and message kept. */
static char got[20000];
static const char *got_field;
static struct sk_errctx got_err;
static int got_rc;

static const char *build6(const char *url, const char *s, const char *m, const char *c,
			  const char *t, const char *x, int keep)
{
	struct sk_utm_in in = {url, s, m, c, t, x, keep};
	char *out = (char *)"untouched";
	memset(&got_err, 0, sizeof(got_err));
	got_field = "untouched";
	got_rc = sk_utm_build(&in, &out, &got_field, &got_err);
	if (got_rc) {
		assert_null(out);
		return NULL;
	}
	assert_non_null(out);
	assert_null(got_field);
	assert_true(strlen(out) < sizeof(got));
	snprintf(got, sizeof(got), "%s", out);
	sk_free(out);
	return got;
}

static const char *build(const char *url)
{
	return build6(url, "newsletter", "email", "spring", NULL, NULL, 0);
}

/* Asserts that the build failed as invalid, naming field, with why in the message. */
static void refused(const char *field, const char *why)
{
	assert_int_equal(got_rc, SK_ERR_INVALID);
	assert_int_equal(got_err.code, SK_ERR_INVALID);
	assert_non_null(got_field);
	assert_string_equal(got_field, field);
	if (!strstr(got_err.msg, why))
		fail_msg("message '%s' lacks '%s'", got_err.msg, why);
	/* the message starts with the field's name */
	assert_memory_equal(got_err.msg, field, strlen(field));
}

static void tags_a_plain_url(void **state)
{
	(void)state;
	assert_string_equal(build("https://www.example.com/"),
			    "https://www.example.com/?utm_source=newsletter&utm_medium=email"
			    "&utm_campaign=spring");
	assert_string_equal(build("http://example.com"),
			    "http://example.com?utm_source=newsletter&utm_medium=email"
			    "&utm_campaign=spring");
	assert_string_equal(build("HTTPS://Example.COM:8443/a/b.html"),
			    "HTTPS://Example.COM:8443/a/b.html?utm_source=newsletter"
			    "&utm_medium=email&utm_campaign=spring");
	assert_string_equal(build("https://[2001:db8::1]:8080/x"),
			    "https://[2001:db8::1]:8080/x?utm_source=newsletter&utm_medium=email"
			    "&utm_campaign=spring");
}

static void term_and_content_are_optional_and_ordered(void **state)
{
	(void)state;
	assert_string_equal(build6("https://example.com/", "s", "m", "c", "t", "x", 0),
			    "https://example.com/?utm_source=s&utm_medium=m&utm_campaign=c"
			    "&utm_term=t&utm_content=x");
	assert_string_equal(build6("https://example.com/", "s", "m", "c", NULL, "x", 0),
			    "https://example.com/?utm_source=s&utm_medium=m&utm_campaign=c"
			    "&utm_content=x");
	/* empty or only white space: left out */
	assert_string_equal(build6("https://example.com/", "s", "m", "c", "  ", "", 0),
			    "https://example.com/?utm_source=s&utm_medium=m&utm_campaign=c");
}

static void keeps_the_query_and_the_fragment_last(void **state)
{
	(void)state;
	assert_string_equal(build("https://example.com/p?a=1&b=two#top"),
			    "https://example.com/p?a=1&b=two&utm_source=newsletter&utm_medium=email"
			    "&utm_campaign=spring#top");
	/* a fragment with '?' and '/' in it stays whole, and last */
	assert_string_equal(build("https://example.com/#/app?x=1"),
			    "https://example.com/?utm_source=newsletter&utm_medium=email"
			    "&utm_campaign=spring#/app?x=1");
	/* an empty query, and empty parameters, add no stray '&' */
	assert_string_equal(build("https://example.com/?"),
			    "https://example.com/?utm_source=newsletter&utm_medium=email"
			    "&utm_campaign=spring");
	assert_string_equal(build("https://example.com/?&a=1&&b=%20#"),
			    "https://example.com/?a=1&b=%20&utm_source=newsletter&utm_medium=email"
			    "&utm_campaign=spring#");
	/* the query's own encoding is left as it is */
	assert_string_equal(build("https://example.com/?q=%C3%A5+x&flag"),
			    "https://example.com/?q=%C3%A5+x&flag&utm_source=newsletter"
			    "&utm_medium=email&utm_campaign=spring");
}

static void replaces_utm_values_already_there(void **state)
{
	(void)state;
	/* every one of the five is removed, in any case or encoding, also one this link does
	 * not set; other parameters that only look alike stay */
	assert_string_equal(build("https://example.com/?utm_source=old&a=1&UTM_Medium=x"
				  "&utm%5Fcampaign=y&utm_term=stale&utm_content&utm_id=7"
				  "&xutm_source=1#f"),
			    "https://example.com/?a=1&utm_id=7&xutm_source=1&utm_source=newsletter"
			    "&utm_medium=email&utm_campaign=spring#f");
	/* only utm_* in the query: nothing else is left */
	assert_string_equal(build("https://example.com/?utm_source=a&utm_source=b"),
			    "https://example.com/?utm_source=newsletter&utm_medium=email"
			    "&utm_campaign=spring");
}

static void values_are_trimmed_and_lowercased(void **state)
{
	(void)state;
	assert_string_equal(build6("https://example.com/", "  News Letter\t", "E-Mail\n",
				   "Höst ÅÄÖ É×", NULL, NULL, 0),
			    "https://example.com/?utm_source=news%20letter&utm_medium=e-mail"
			    "&utm_campaign=h%C3%B6st%20%C3%A5%C3%A4%C3%B6%20%C3%A9%C3%97");
	/* keep_case: as given (trimmed still) */
	assert_string_equal(build6("https://example.com/", " News ", "Mail", "ÅR", NULL, NULL, 1),
			    "https://example.com/?utm_source=News&utm_medium=Mail"
			    "&utm_campaign=%C3%85R");
}

static void values_are_percent_encoded(void **state)
{
	(void)state;
	/* unreserved stay; everything else as %XX in upper-case hex, space as %20 (never '+') */
	assert_string_equal(build6("https://example.com/", "a-b.c_d~e", "x&y=z", "50% off+#1",
				   "a/b?c", "\"<'>\"", 0),
			    "https://example.com/?utm_source=a-b.c_d~e&utm_medium=x%26y%3Dz"
			    "&utm_campaign=50%25%20off%2B%231&utm_term=a%2Fb%3Fc"
			    "&utm_content=%22%3C%27%3E%22");
	/* emoji: four bytes, each encoded */
	assert_string_equal(build6("https://example.com/", "s", "m", "\xf0\x9f\x8c\xb8", NULL,
				   NULL, 0),
			    "https://example.com/?utm_source=s&utm_medium=m"
			    "&utm_campaign=%F0%9F%8C%B8");
}

static void required_values_are_named(void **state)
{
	(void)state;
	assert_null(build6("https://example.com/", NULL, "m", "c", NULL, NULL, 0));
	refused("source", "source is required");
	assert_null(build6("https://example.com/", "s", " \t ", "c", NULL, NULL, 0));
	refused("medium", "medium is required");
	assert_null(build6("https://example.com/", "s", "m", "", NULL, NULL, 0));
	refused("campaign", "campaign is required");
	/* the first fault is the one named: url before the values */
	assert_null(build6("", NULL, NULL, NULL, NULL, NULL, 0));
	refused("url", "url is required");
	assert_null(build6(NULL, "s", "m", "c", NULL, NULL, 0));
	refused("url", "url is required");
}

static void bad_values_are_named(void **state)
{
	(void)state;
	char big[SK_UTM_VALUE_MAX + 2];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_null(build6("https://example.com/", "s", "m", "c", big, NULL, 0));
	refused("term", "term is longer than 200 bytes");
	big[SK_UTM_VALUE_MAX] = 0; /* exactly the cap: taken */
	assert_non_null(build6("https://example.com/", "s", "m", "c", big, NULL, 0));
	assert_null(build6("https://example.com/", "s", "m", "c", NULL, "a\x01z", 0));
	refused("content", "content must not hold control characters");
	assert_null(build6("https://example.com/", "s\x7f", "m", "c", NULL, NULL, 0));
	refused("source", "must not hold control characters");
	assert_null(build6("https://example.com/", "s", "a\xc2\x85z", "c", NULL, NULL, 0));
	refused("medium", "must not hold control characters"); /* C1: NEL */
	assert_null(build6("https://example.com/", "s", "m", "a\xe5z", NULL, NULL, 0));
	refused("campaign", "campaign is not valid UTF-8"); /* Latin-1 'å' */
	assert_null(build6("https://example.com/", "s", "m", "\xc0\xaf", NULL, NULL, 0));
	refused("campaign", "not valid UTF-8"); /* overlong '/' */
	assert_null(build6("https://example.com/", "s", "m", "ok", "\xed\xa0\x80", NULL, 0));
	refused("term", "not valid UTF-8"); /* a surrogate */
}

static void url_rules(void **state)
{
	(void)state;
	static const struct {
		const char *url, *why;
	} bad[] = {
		{"ftp://example.com/", "must start with http:// or https://"},
		{"javascript:alert(1)", "must start with http:// or https://"},
		{"//example.com/", "must start with http:// or https://"},
		{"example.com", "must start with http:// or https://"},
		{"https:/example.com", "must start with http:// or https://"},
		{"https://", "needs a host"},
		{"https:///path", "needs a host"},
		{"https://:80/", "needs a host"},
		{"https://example.com/a b", "must not hold spaces"},
		{" https://example.com/", "must not hold spaces"},
		{"https://example.com/\t", "must not hold control characters"},
		{"https://example.com/\r\nSet-Cookie:x", "must not hold control characters"},
		{"https://example.com/\x7f", "must not hold control characters"},
		{"https://example.com/\xc3\xa5", "must be ASCII"},
		{"https://exämple.com/", "must be ASCII"},
		{"https://example.com/<script>", "do not allow"},
		{"https://example.com/a\\b", "do not allow"},
		{"https://example.com/\"", "do not allow"},
		{"https://example.com/%", "'%' that is not followed by two hex digits"},
		{"https://example.com/%4", "'%' that is not followed by two hex digits"},
		{"https://example.com/%zz", "'%' that is not followed by two hex digits"},
		{"https://example.com/#a#b", "more than one '#'"},
		{"https://user:pw@example.com/", "must not carry a user name or password"},
		{"https://evil.example@example.com/", "must not carry a user name or password"},
		{"https://exa_mple.com/", "characters a host name does not have"},
		{"https://exa%41mple.com/", "characters a host name does not have"},
		{"https://example.com:0/", "port that is not a number 1-65535"},
		{"https://example.com:65536/", "port that is not a number 1-65535"},
		{"https://example.com:/", "port that is not a number 1-65535"},
		{"https://example.com:8a/", "port that is not a number 1-65535"},
		{"https://example.com:123456/", "port that is not a number 1-65535"},
		{"https://[2001:db8::1/", "IPv6 host without its closing ']'"},
		{"https://[]/", "IPv6 host without its closing ']'"},
		{"https://[example.com]/", "IPv6 host that is not an address"},
		{"https://[::1]x/", "characters after its IPv6 host"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (build(bad[i].url))
			fail_msg("taken: %s", bad[i].url);
		refused("url", bad[i].why);
	}
	/* the longest URL taken, and one byte more */
	char url[SK_UTM_URL_MAX + 2];
	memset(url, 'a', sizeof(url) - 1);
	url[sizeof(url) - 1] = 0;
	memcpy(url, "https://example.com/", 20);
	assert_null(build(url));
	refused("url", "url is longer than 2048 bytes");
	url[SK_UTM_URL_MAX] = 0;
	assert_non_null(build(url));
	/* ports at the edges, every sub-delim in a path */
	assert_non_null(build("http://example.com:1/"));
	assert_non_null(build("http://example.com:65535/"));
	assert_non_null(build("https://example.com/a;b,c!$'()*+=@:~-._/?k=v[0]"));
	/* the message never quotes the value */
	assert_null(build("https://secret-person@example.com/"));
	assert_null(strstr(got_err.msg, "secret-person"));
}

/* The reason the console shows in its own words: the field and its why, each message
 * "FIELD TEXT" of SK_UTM_WHY_LIST; a fault pointer may be NULL. */
static void the_reason_is_given_for_the_console(void **state)
{
	(void)state;
	static const struct {
		const char *url, *s, *c, *field;
		enum sk_utm_why why;
	} cases[] = {
		{"https://example.com/", "s", "", "campaign", SK_UTM_REQUIRED},
		{"ftp://example.com/", "s", "c", "url", SK_UTM_SCHEME},
		{"https://example.com:99999/", "s", "c", "url", SK_UTM_BAD_PORT},
		{"https://a@example.com/", "s", "c", "url", SK_UTM_USERINFO},
		{"https://example.com/", "\xff", "c", "source", SK_UTM_NOT_UTF8},
		{"https://example.com/", "s", "c\n", "campaign", SK_UTM_OK}, /* trimmed: taken */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sk_utm_in in = {cases[i].url, cases[i].s, "m", cases[i].c, NULL, NULL, 0};
		struct sk_utm_fault fault = {"untouched", SK_UTM_NWHY};
		struct sk_errctx err = {0};
		char *out = NULL;
		int rc = sk_utm_build_why(&in, &out, &fault, &err);
		assert_int_equal(fault.why, cases[i].why);
		if (cases[i].why == SK_UTM_OK) {
			assert_int_equal(rc, 0);
			assert_null(fault.field);
			sk_free(out);
			continue;
		}
		assert_int_equal(rc, SK_ERR_INVALID);
		assert_string_equal(fault.field, cases[i].field);
		assert_memory_equal(err.msg, cases[i].field, strlen(cases[i].field));
	}
	struct sk_utm_in in = {"https://example.com/", "s", "m", "c", NULL, NULL, 0};
	char *out = NULL;
	assert_int_equal(sk_utm_build_why(&in, &out, NULL, NULL), 0);
	sk_free(out);
	in.url = "x";
	assert_int_equal(sk_utm_build_why(&in, &out, NULL, NULL), SK_ERR_INVALID);
}

/* Every field's refusal at once, in field order, the first the same as the build's. */
static void every_fault_at_once(void **state)
{
	(void)state;
	struct sk_utm_fault f[SK_UTM_NFIELDS], first;
	struct sk_errctx err = {0};
	char *out = NULL;
	struct sk_utm_in in = {"ftp://x.example/", "", "m", "\x01", "ok", "\xff", 0};
	assert_int_equal(sk_utm_faults(&in, f), 4);
	assert_string_equal(f[0].field, "url");
	assert_int_equal(f[0].why, SK_UTM_SCHEME);
	assert_string_equal(f[1].field, "source");
	assert_int_equal(f[1].why, SK_UTM_REQUIRED);
	assert_string_equal(f[2].field, "campaign");
	assert_int_equal(f[2].why, SK_UTM_CONTROL);
	assert_string_equal(f[3].field, "content");
	assert_int_equal(f[3].why, SK_UTM_NOT_UTF8);
	assert_int_equal(sk_utm_build_why(&in, &out, &first, &err), SK_ERR_INVALID);
	assert_string_equal(first.field, f[0].field);
	/* a link that can be built has none */
	struct sk_utm_in good = {"https://example.com/", "s", "m", "c", NULL, NULL, 0};
	assert_int_equal(sk_utm_faults(&good, f), 0);
	/* every one of the six at once */
	struct sk_utm_in all = {NULL, NULL, " ", "", "\x02", "\x7f", 0};
	assert_int_equal(sk_utm_faults(&all, f), 6);
}

/* Every allocation that fails leaves nothing behind and answers NOMEM (ASan finds leaks). */
static void out_of_memory(void **state)
{
	(void)state;
	int ok = 0;
	for (long n = 0; n < 64 && !ok; n++) {
		struct sk_utm_in in = {"https://example.com/?a=1#x", "s", "m", "c", "t", "x", 0};
		struct sk_errctx err = {0};
		char *out = NULL;
		sk_mem_fail_after(n);
		int rc = sk_utm_build(&in, &out, NULL, &err);
		sk_mem_fail_after(-1);
		if (rc == 0) {
			ok = 1;
			sk_free(out);
		} else {
			assert_int_equal(rc, SK_ERR_NOMEM);
			assert_null(out);
		}
	}
	assert_true(ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tags_a_plain_url),
		cmocka_unit_test(term_and_content_are_optional_and_ordered),
		cmocka_unit_test(keeps_the_query_and_the_fragment_last),
		cmocka_unit_test(replaces_utm_values_already_there),
		cmocka_unit_test(values_are_trimmed_and_lowercased),
		cmocka_unit_test(values_are_percent_encoded),
		cmocka_unit_test(required_values_are_named),
		cmocka_unit_test(bad_values_are_named),
		cmocka_unit_test(url_rules),
		cmocka_unit_test(the_reason_is_given_for_the_console),
		cmocka_unit_test(every_fault_at_once),
		cmocka_unit_test(out_of_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
