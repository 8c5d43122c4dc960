/* test_multipart.c: the console upload's multipart/form-data parser (http/multipart.c) with
 * what a browser sends and with hostile bodies: boundaries (quoted, at the start or after a
 * preamble, inside a part's bytes), missing parts and closings, header caps, NUL bytes,
 * duplicate names and too many parts. */
#include "testlib.h"

#include "http/multipart.h"

#define CT "multipart/form-data; boundary=----WebKitFormBoundaryX"
#define B "------WebKitFormBoundaryX"

static const char browser[] =
	B "\r\n"
	"Content-Disposition: form-data; name=\"csrf\"\r\n\r\n"
	"tok123\r\n" B "\r\n"
	"Content-Disposition: form-data; name=\"csv\"; filename=\"contacts.csv\"\r\n"
	"Content-Type: text/csv\r\n\r\n"
	"email,newsletter\r\na@example.com,yes\r\n\r\n" B "\r\n"
	"Content-Disposition: form-data; name=\"map\"; filename=\"\"\r\n"
	"Content-Type: application/octet-stream\r\n\r\n"
	"\r\n" B "--\r\n";

static int parse(const char *ct, const char *body, size_t len, struct sk_mp_part *p, size_t *n,
		 struct sk_errctx *err)
{
	memset(err, 0, sizeof(*err));
	return sk_mp_parse(ct, body, len, p, n, err);
}

static void a_browser_body_parses(void **state)
{
	(void)state;
	struct sk_mp_part p[SK_MP_MAX_PARTS];
	struct sk_errctx err;
	size_t n;
	assert_int_equal(parse(CT, browser, sizeof(browser) - 1, p, &n, &err), 0);
	assert_int_equal(n, 3);
	const struct sk_mp_part *csrf = sk_mp_get(p, n, "csrf"), *csv = sk_mp_get(p, n, "csv"),
				*map = sk_mp_get(p, n, "map");
	assert_non_null(csrf);
	assert_int_equal(csrf->len, 6);
	assert_memory_equal(csrf->data, "tok123", 6);
	assert_false(csrf->is_file);
	assert_non_null(csv);
	assert_true(csv->is_file);
	assert_string_equal(csv->filename, "contacts.csv");
	/* the part's own trailing CRLF is data; the delimiter's CRLF is not */
	assert_int_equal(csv->len, strlen("email,newsletter\r\na@example.com,yes\r\n"));
	assert_non_null(map);
	assert_true(map->is_file);
	assert_int_equal(map->len, 0);
	assert_null(sk_mp_get(p, n, "nothing"));
	/* a quoted boundary, a preamble before the first one, and an epilogue after the end */
	char body[512];
	int len = snprintf(body, sizeof(body), "preamble text\r\n--a b:c\r\nContent-Disposition: "
			   "form-data; name=x\r\n\r\nv\r\n--a b:c--\r\nepilogue");
	assert_int_equal(parse("Multipart/Form-Data; charset=utf-8; boundary=\"a b:c\"", body,
			       (size_t)len, p, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(p[0].name, "x");
	assert_int_equal(p[0].len, 1);
}

static void a_boundary_string_inside_data_is_data_unless_it_follows_a_line_break(void **state)
{
	(void)state;
	struct sk_mp_part p[SK_MP_MAX_PARTS];
	struct sk_errctx err;
	size_t n;
	static const char body[] = "--XY\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n"
				   "a--XYb--XY\r\n--XYZ\r\n--XY--";
	assert_int_equal(parse("multipart/form-data; boundary=XY", body, sizeof(body) - 1, p, &n,
			       &err), SK_ERR_INVALID); /* "\r\n--XYZ": a delimiter, then junk */
	static const char ok[] = "--XY\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n"
				 "a--XYb--XY\r\n--XY--";
	assert_int_equal(parse("multipart/form-data; boundary=XY", ok, sizeof(ok) - 1, p, &n, &err), 0);
	assert_int_equal(p[0].len, strlen("a--XYb--XY"));
}

static void bad_content_types_and_boundaries_are_refused(void **state)
{
	(void)state;
	struct sk_mp_part p[SK_MP_MAX_PARTS];
	struct sk_errctx err;
	size_t n = 99;
	static const char *const bad[] = {
		NULL, "", "application/x-www-form-urlencoded", "multipart/form-data",
		"multipart/form-data; boundary=", "multipart/form-data; boundary=\"\"",
		"multipart/form-data; boundary=\"unclosed",
		"multipart/form-data; boundary=12345678901234567890123456789012345678901234567890"
		"123456789012345678901", /* 71 bytes: over RFC 2046's 70 */
		"multipart/form-data; boundary=\"trailing \"", "multipart/mixed; boundary=x",
		"multipart/form-data; boundary=a\x01z",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], browser, sizeof(browser) - 1, p, &n, &err) != SK_ERR_INVALID)
			fail_msg("content type %zu was taken", i);
		assert_int_equal(n, 0);
	}
	/* the right type but another boundary than the body's: no part found */
	assert_int_equal(parse("multipart/form-data; boundary=other", browser, sizeof(browser) - 1,
			       p, &n, &err), SK_ERR_INVALID);
	assert_int_equal(parse(CT, NULL, 0, p, &n, &err), SK_ERR_INVALID);
	assert_int_equal(parse(CT, "", 0, p, &n, &err), SK_ERR_INVALID);
}

/* Each hostile body is refused whole, with a message that holds none of its data. */
static void hostile_bodies_are_refused(void **state)
{
	(void)state;
	struct sk_mp_part p[SK_MP_MAX_PARTS];
	struct sk_errctx err;
	size_t n;
	static const struct {
		const char *what, *body;
	} bad[] = {
		{"no closing boundary", B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
					"secret@example.com"},
		{"a closing boundary cut short", B "\r\nContent-Disposition: form-data; "
						 "name=\"a\"\r\n\r\nx\r\n" B "-"},
		{"no Content-Disposition", B "\r\nContent-Type: text/plain\r\n\r\nx\r\n" B "--"},
		{"no headers at all", B "\r\n\r\nx\r\n" B "--"},
		{"no name", B "\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\nx\r\n" B "--"},
		{"an empty name", B "\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nx\r\n" B "--"},
		{"not form-data", B "\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n" B
				  "--"},
		{"a name never closed", B "\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n" B
					"--"},
		{"two names", B "\r\nContent-Disposition: form-data; name=a; name=b\r\n\r\nx\r\n" B "--"},
		{"two dispositions", B "\r\nContent-Disposition: form-data; name=a\r\n"
				     "Content-Disposition: form-data; name=b\r\n\r\nx\r\n" B "--"},
		{"a header without a colon", B "\r\nContent-Disposition: form-data; name=a\r\nbogus\r\n"
					     "\r\nx\r\n" B "--"},
		{"a bare LF in a header", B "\r\nContent-Disposition: form-data; name=a\nX: y\r\n\r\nx"
					  "\r\n" B "--"},
		{"a name over 64 bytes", B "\r\nContent-Disposition: form-data; name=\"aaaaaaaaaaaaaaaa"
					 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\r\n\r\nx"
					 "\r\n" B "--"},
		{"a field sent twice", B "\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n" B
				       "\r\nContent-Disposition: form-data; name=a\r\n\r\ny\r\n" B "--"},
		{"junk after a boundary", B "junk\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n"
					  B "--"},
		{"headers that never end", B "\r\nContent-Disposition: form-data; name=a\r\n"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(CT, bad[i].body, strlen(bad[i].body), p, &n, &err);
		if (rc != SK_ERR_INVALID)
			fail_msg("%s: taken (%d)", bad[i].what, rc);
		assert_null(strstr(err.msg, "secret"));
	}
}

static void nul_bytes_and_caps(void **state)
{
	(void)state;
	struct sk_mp_part p[SK_MP_MAX_PARTS];
	struct sk_errctx err;
	size_t n;
	/* a NUL in a part's headers is refused; in its data (a file) it is data, and the
	 * caller decides (the upload refuses one in a text field or the mapping) */
	static const char nulhdr[] = B "\r\nContent-Disposition: form-data; name=\"a\0b\"\r\n\r\nx\r\n" B "--";
	assert_int_equal(parse(CT, nulhdr, sizeof(nulhdr) - 1, p, &n, &err), SK_ERR_INVALID);
	static const char nuldata[] = B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\0y\r\n" B "--";
	assert_int_equal(parse(CT, nuldata, sizeof(nuldata) - 1, p, &n, &err), 0);
	assert_int_equal(p[0].len, 3);
	/* a header block past SK_MP_MAX_HEADERS */
	size_t big = SK_MP_MAX_HEADERS + 200;
	char *body = malloc(big + 200);
	int len = snprintf(body, 200, B "\r\nContent-Disposition: form-data; name=a\r\nX-Pad: ");
	memset(body + len, 'p', big);
	len += (int)big;
	len += snprintf(body + len, 200, "\r\n\r\nx\r\n" B "--");
	assert_int_equal(parse(CT, body, (size_t)len, p, &n, &err), SK_ERR_INVALID);
	free(body);
	/* SK_MP_MAX_PARTS parts parse; one more is refused */
	struct sk_buf b;
	for (int extra = 0; extra <= 1; extra++) {
		sk_buf_init(&b, 1 << 20);
		for (int i = 0; i < SK_MP_MAX_PARTS + extra; i++)
			sk_buf_printf(&b, B "\r\nContent-Disposition: form-data; name=\"f%d\"\r\n\r\nv\r\n", i);
		sk_buf_appends(&b, B "--");
		int rc = parse(CT, b.data, b.len, p, &n, &err);
		assert_int_equal(rc, extra ? SK_ERR_INVALID : 0);
		if (!extra)
			assert_int_equal(n, SK_MP_MAX_PARTS);
		sk_buf_reset(&b);
	}
	/* a file name past the cap is cut, not refused (it is only shown) */
	char fn[300];
	len = snprintf(fn, sizeof(fn), B "\r\nContent-Disposition: form-data; name=f; filename=\"%0100d"
		       ".csv\"\r\n\r\nx\r\n" B "--", 7);
	assert_int_equal(parse(CT, fn, (size_t)len, p, &n, &err), 0);
	assert_int_equal(strlen(p[0].filename), SK_MP_MAX_NAME);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_browser_body_parses),
		cmocka_unit_test(a_boundary_string_inside_data_is_data_unless_it_follows_a_line_break),
		cmocka_unit_test(bad_content_types_and_boundaries_are_refused),
		cmocka_unit_test(hostile_bodies_are_refused),
		cmocka_unit_test(nul_bytes_and_caps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
