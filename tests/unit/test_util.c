/* test_util.c: the capped buffer, RFC 3339 times and durations, hex and ids, and the error
 * table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/mem.h"
#include "util/sktime.h"
#include "util/str.h"

static void buf_cap_is_enforced(void **state)
{
	(void)state;
	struct sk_buf b;
	sk_buf_init(&b, 10);
	assert_int_equal(sk_buf_appends(&b, "0123456789"), 0);
	assert_int_equal(sk_buf_appends(&b, "x"), SK_ERR_TOO_LARGE);
	assert_int_equal(b.len, 10);
	assert_string_equal(b.data, "0123456789");
	sk_buf_clear(&b);
	assert_int_equal(sk_buf_printf(&b, "%d-%s", 42, "ab"), 0);
	assert_string_equal(b.data, "42-ab");
	assert_int_equal(sk_buf_printf(&b, "%s", "too long!"), SK_ERR_TOO_LARGE);
	assert_string_equal(b.data, "42-ab");
	sk_buf_reset(&b);
}

static void buf_alloc_failure_keeps_content(void **state)
{
	(void)state;
	struct sk_buf b;
	sk_buf_init(&b, 1 << 20);
	assert_int_equal(sk_buf_appends(&b, "abc"), 0);
	sk_mem_fail_after(0);
	char big[200];
	memset(big, 'x', sizeof(big));
	assert_int_equal(sk_buf_append(&b, big, sizeof(big)), SK_ERR_NOMEM);
	sk_mem_fail_after(-1);
	assert_string_equal(b.data, "abc");
	sk_buf_reset(&b);
}

static void time_round_trip(void **state)
{
	(void)state;
	int64_t t;
	char s[SK_TIME_STRLEN];
	assert_int_equal(sk_time_parse("2026-11-29T05:17:39Z", &t), 0);
	assert_int_equal(t, 1795929459);
	sk_time_format(t, s);
	assert_string_equal(s, "2026-11-29T05:17:39Z");
	assert_int_equal(sk_time_parse("2026-11-29T07:17:39.123+02:00", &t), 0);
	assert_int_equal(t, 1795929459);
	assert_int_equal(sk_time_parse("1970-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(sk_time_parse("2024-02-29T00:00:00Z", &t), 0);
}

static void time_rejects_bad_input(void **state)
{
	(void)state;
	int64_t t;
	const char *bad[] = {"", "2026-11-29", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
			     "2026-11-29T24:00:00Z", "2026-11-29T05:17:39", "2026-11-29T05:17:39Zx",
			     "2026-11-29T05:17:39+2:00", "abcd-11-29T05:17:39Z"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sk_time_parse(bad[i], &t), SK_ERR_INVALID);
}

/* The forms people type and spreadsheets export, for the CLI and the CSV import: without a
 * zone they are UTC; anything else is refused; the API's parser stays RFC 3339 only. */
static void time_human_forms(void **state)
{
	(void)state;
	int64_t t;
	static const struct {
		const char *s;
		int64_t want;
	} good[] = {{"2025-05-01 10:00", 1746093600},     {"2025-05-01T10:00", 1746093600},
		    {"2025-05-01 10:00:07", 1746093607},  {"2025-05-01", 1746057600},
		    {"2025-05-01T12:00:00+02:00", 1746093600}, {"2025-05-01T10:00:00Z", 1746093600}};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		t = 0;
		assert_int_equal(sk_time_parse_human(good[i].s, &t), 0);
		assert_int_equal(t, good[i].want);
	}
	const char *bad[] = {"", "2025-05-01 10", "2025-05-01 10:0", "2025-05-01 1:00",
			     "2025-05-01 10:00:0", "2025-05-01 24:00", "2025-02-30 10:00",
			     "01/05/2025 10:00", "2025-05-01 10:00 ", "2025-05-01  10:00",
			     "2025-05-01 10:00Z", "yesterday", "2025-05-01x10:00"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sk_time_parse_human(bad[i], &t), SK_ERR_INVALID);
	assert_int_equal(sk_time_parse_human(NULL, &t), SK_ERR_INVALID);
	assert_int_equal(sk_time_parse("2025-05-01 10:00", &t), SK_ERR_INVALID);
	assert_non_null(strstr(SK_TIME_FORMS, "2025-05-01 10:00"));
}

static void durations_are_calendar_aware(void **state)
{
	(void)state;
	struct sk_duration d;
	int64_t t, u;
	char s[SK_TIME_STRLEN];
	assert_int_equal(sk_duration_parse("24 months", &d), 0);
	assert_int_equal(d.n, 24);
	assert_int_equal(d.unit, 'm');
	assert_int_equal(sk_duration_parse("1 year", &d), 0);
	assert_int_equal(d.unit, 'y');
	assert_int_equal(sk_duration_parse("30 days", &d), 0);
	assert_int_equal(sk_duration_parse("0 days", &d), SK_ERR_INVALID);
	assert_int_equal(sk_duration_parse("24 fortnights", &d), SK_ERR_INVALID);
	assert_int_equal(sk_duration_parse("months", &d), SK_ERR_INVALID);

	sk_time_parse("2026-01-31T10:00:00Z", &t);
	u = sk_time_add(t, (struct sk_duration){1, 'm'});
	sk_time_format(u, s);
	assert_string_equal(s, "2026-02-28T10:00:00Z");
	u = sk_time_add(t, (struct sk_duration){24, 'm'});
	sk_time_format(u, s);
	assert_string_equal(s, "2028-01-31T10:00:00Z");
	u = sk_time_add(t, (struct sk_duration){30, 'd'});
	sk_time_format(u, s);
	assert_string_equal(s, "2026-03-02T10:00:00Z");
	sk_duration_format((struct sk_duration){24, 'm'}, s, sizeof(s));
	assert_string_equal(s, "24 months");
}

static void hex_and_ids(void **state)
{
	(void)state;
	uint8_t in[3] = {0x00, 0xab, 0xff}, out[3];
	char hex[7], a[SK_ID_LEN + 1], b[SK_ID_LEN + 1];
	sk_hex(in, 3, hex);
	assert_string_equal(hex, "00abff");
	assert_int_equal(sk_unhex("00ABff", out, 3), 0);
	assert_memory_equal(in, out, 3);
	assert_int_equal(sk_unhex("00abf", out, 3), SK_ERR_INVALID);
	assert_int_equal(sk_unhex("00abgg", out, 3), SK_ERR_INVALID);
	assert_int_equal(sk_id_new("c_", a), 0);
	assert_int_equal(sk_id_new("c_", b), 0);
	assert_int_equal(strlen(a), SK_ID_LEN);
	assert_memory_equal(a, "c_", 2);
	assert_string_not_equal(a, b);
	/* later ids sort after earlier ones, across every carry of the time digits */
	for (uint64_t ms = 1795929459000ull; ms < 1795929459000ull + 40000; ms++) {
		assert_int_equal(sk_id_new_at("c_", ms, a), 0);
		assert_int_equal(sk_id_new_at("c_", ms + 1, b), 0);
		if (strcmp(a, b) >= 0)
			fail_msg("id at %llu ms sorts after the one a millisecond later",
				 (unsigned long long)ms);
	}
}

static void error_table_is_consistent(void **state)
{
	(void)state;
	assert_string_equal(sk_err_name(SK_ERR_NOT_FOUND), "not_found");
	assert_int_equal(sk_err_http_status(SK_ERR_NOT_FOUND), 404);
	assert_int_equal(sk_err_http_status(SK_ERR_UNDECLARED_FIELD), 422);
	assert_string_equal(sk_err_name(9999), "unknown_error");
	/* names are unique */
	for (int i = 0; i <= SK_ERR_EXPIRED; i++)
		for (int j = i + 1; j <= SK_ERR_EXPIRED; j++)
			assert_string_not_equal(sk_err_name(i), sk_err_name(j));
	struct sk_errctx e;
	assert_int_equal(sk_errf(&e, SK_ERR_INVALID, "field '%s' bad", "x"), SK_ERR_INVALID);
	assert_string_equal(e.msg, "field 'x' bad");
	assert_int_equal(sk_errf(NULL, SK_ERR_IO, "ignored"), SK_ERR_IO);
}

/* 1 when s is valid UTF-8 without control characters (a check of its own, not str.c's). */
static int clean_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		int n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3
			: (*p & 0xf8) == 0xf0 ? 4 : 0;
		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f)) || (n == 2 && *p < 0xc2))
			return 0;
		for (int i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		p += n;
	}
	return 1;
}

static void url_strip_keeps_scheme_host_path(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{"https://www.example.com/webinar?email=anna%40example.com#top",
		 "https://www.example.com/webinar"},
		{"https://anna:secret@www.example.com:8443/a/b?x=1", "https://www.example.com:8443/a/b"},
		{"http://anna@example.com@evil.example/p", "http://evil.example/p"},
		{"HTTPS://WWW.EXAMPLE.COM/Path#frag", "HTTPS://WWW.EXAMPLE.COM/Path"},
		{"https://www.example.com?email=a@example.com", "https://www.example.com"},
		{"https://www.example.com#a@example.com", "https://www.example.com"},
		{"//cdn.example.com/x?y", "//cdn.example.com/x"},
		{"/landing?email=a@example.com", "/landing"},
		{"www.example.com/p?q", "www.example.com/p"},
		{"mailto:anna@example.com", "mailto:"},
		{"tel:+46701234567", "tel:"},
		{"https://www.example.com/s\xc3\xa5ng?x", "https://www.example.com/s\xc3\xa5ng"},
		{"https://www.example.com/a\x01" "b\xff" "c\xc3", "https://www.example.com/abc"},
		{"", ""},
		{"?only=query", ""},
	};
	char out[256];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(sk_url_strip(cases[i][0], out, sizeof(out)), 0);
		assert_string_equal(out, cases[i][1]);
		assert_true(clean_utf8(out));
	}
}

static void url_strip_cuts_on_a_character_boundary(void **state)
{
	(void)state;
	/* two-, three- and four-byte characters in the path */
	const char *in = "https://h.example/\xc3\xa5\xe2\x82\xac\xf0\x9f\x98\x80x\xc3\xa4?q=1";
	char full[128], out[128];
	assert_int_equal(sk_url_strip(in, full, sizeof(full)), 0);
	size_t n = strlen(full);
	for (size_t cap = 1; cap <= n + 1; cap++) {
		memset(out, 'Z', sizeof(out));
		int rc = sk_url_strip(in, out, cap);
		assert_int_equal(rc, cap == n + 1 ? 0 : SK_ERR_TOO_LARGE);
		assert_true(strlen(out) <= cap - 1);
		assert_true(clean_utf8(out));
		assert_memory_equal(out, full, strlen(out)); /* a prefix of the whole */
		assert_int_equal(out[cap], 'Z');              /* nothing written past outlen */
	}
	assert_int_equal(sk_url_strip(in, out, 0), SK_ERR_TOO_LARGE);
	/* the same for sources */
	for (size_t cap = 1; cap < 40; cap++) {
		int rc = sk_source_strip("form:x v1 https://h.example/\xc3\xa5\xc3\xa4?e=a", out, cap);
		assert_true(rc == 0 || rc == SK_ERR_TOO_LARGE);
		assert_true(strlen(out) <= cap - 1);
		assert_true(clean_utf8(out));
	}
}

static void source_strip_reduces_each_url(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{"form:webinar v3 https://www.example.com/w?email=anna%40example.com#x",
		 "form:webinar v3 https://www.example.com/w"},
		{"form:webinar v3 /landing?email=a@example.com", "form:webinar v3 /landing"},
		{"page=https://u:p@www.example.com/a?b crm", "page=https://www.example.com/a crm"},
		{"crm", "crm"},
		{"import:batch-7 row 12", "import:batch-7 row 12"},
		{"ticket #123", "ticket #123"},
		{"form:x?email=a@example.com", "form:x"},
		{"mail:double-opt-in", "mail:double-opt-in"},
	};
	char out[256];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(sk_source_strip(cases[i][0], out, sizeof(out)), 0);
		assert_string_equal(out, cases[i][1]);
	}
}

/* A deadline for pthread_cond_timedwait: ms ahead of now, its nanoseconds always below a
 * second (a value past it makes the wait fail with EINVAL at once). */
static void deadlines_are_normalised(void **state)
{
	(void)state;
	long cases[] = {0, 1, 999, 1000, 1500, 2999, 60000};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct timespec before, d;
		clock_gettime(CLOCK_REALTIME, &before);
		sk_deadline(cases[i], &d);
		assert_true(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
		double ahead = (double)(d.tv_sec - before.tv_sec) +
			       (double)(d.tv_nsec - before.tv_nsec) / 1e9;
		assert_true(ahead >= cases[i] / 1000.0 - 0.001 && ahead < cases[i] / 1000.0 + 0.5);
	}
}

/* The counters of GET /metrics: a bound belongs to its bucket (le), a method or status
 * outside the lists goes to "other", a route index out of range to "no route", a reason out
 * of range is not counted. */
static void metrics_slots(void **state)
{
	(void)state;
	uint64_t b[SK_METRICS_NBUCKETS + 1], count, sum;
	sk_metrics_request(3, "GET", 200, 1000);    /* le 0.001 */
	sk_metrics_request(3, "GET", 200, 1001);    /* le 0.0025 */
	sk_metrics_request(3, "BREW", 299, 10000001); /* +Inf; method and status: other */
	sk_metrics_latency(3, b, &count, &sum);
	assert_int_equal(b[0], 1);
	assert_int_equal(b[1], 1);
	assert_int_equal(b[SK_METRICS_NBUCKETS], 1);
	assert_int_equal(count, 3);
	assert_int_equal(sum, 1000 + 1001 + 10000001);
	assert_int_equal(sk_metrics_requests(3, 0, 0), 2); /* GET, 200 */
	assert_int_equal(sk_metrics_requests(3, SK_METRICS_NMETHODS - 1, SK_METRICS_NCODES - 1), 1);
	assert_int_equal(sk_metrics_requests(4, 0, 0), 0);
	sk_metrics_request(100000, "HEAD", 404, -5); /* out of range: no route; negative: 0 */
	sk_metrics_latency(SK_METRICS_NO_ROUTE, b, &count, &sum);
	assert_int_equal(count, 1);
	assert_int_equal(b[0], 1);
	assert_int_equal(sk_metrics_requests(SK_METRICS_NO_ROUTE, 1, 15), 1); /* HEAD, 404 */
	assert_int_equal(sk_metrics_codes[15], 404);
	sk_metrics_gate(1, 0);
	sk_metrics_gate(0, 5);
	sk_metrics_gate(0, 5);
	sk_metrics_gate(0, SK_METRICS_REASONS); /* out of range: dropped */
	assert_int_equal(sk_metrics_gates(1, 0), 1);
	assert_int_equal(sk_metrics_gates(0, 5), 2);
	assert_int_equal(sk_metrics_gates(1, 5), 0);
	assert_int_equal(sk_metrics_gates(0, SK_METRICS_REASONS), 0);
}

/* The JSON escape of the log's lines: quote, backslash and control bytes, bytes that are not
 * UTF-8, cut to fit. */
static void log_json_escape(void **state)
{
	(void)state;
	char out[64];
	assert_int_equal(sk_log_json_escape(out, sizeof(out), "a\"b\\c\n"), 13);
	assert_string_equal(out, "a\\\"b\\\\c\\u000a");
	size_t n = sk_log_json_escape(out, 12, "0123456789abcdef");
	assert_true(n < 12);
	assert_int_equal(strlen(out), n);
	/* UTF-8 as it is; a byte that is not UTF-8 becomes U+FFFD, DEL is escaped: the result is
	 * valid JSON (and valid UTF-8) whatever the input */
	assert_int_equal(sk_log_json_escape(out, sizeof(out), "\xc3\xa5\xe2\x82\xac\xf0\x9f\x98\x80"), 9);
	assert_string_equal(out, "\xc3\xa5\xe2\x82\xac\xf0\x9f\x98\x80");
	sk_log_json_escape(out, sizeof(out), "G\x01\xff\"\\T\x7f");
	assert_string_equal(out, "G\\u0001\\ufffd\\\"\\\\T\\u007f");
	/* a stray continuation byte, an overlong form, a surrogate, a cut sequence */
	sk_log_json_escape(out, sizeof(out), "\x80\xc0\xaf\xed\xa0\x80\xe2\x82");
	assert_string_equal(out, "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(deadlines_are_normalised),
		cmocka_unit_test(metrics_slots),
		cmocka_unit_test(log_json_escape),
		cmocka_unit_test(buf_cap_is_enforced),
		cmocka_unit_test(buf_alloc_failure_keeps_content),
		cmocka_unit_test(time_round_trip),
		cmocka_unit_test(time_rejects_bad_input),
		cmocka_unit_test(time_human_forms),
		cmocka_unit_test(durations_are_calendar_aware),
		cmocka_unit_test(hex_and_ids),
		cmocka_unit_test(error_table_is_consistent),
		cmocka_unit_test(url_strip_keeps_scheme_host_path),
		cmocka_unit_test(url_strip_cuts_on_a_character_boundary),
		cmocka_unit_test(source_strip_reduces_each_url),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
