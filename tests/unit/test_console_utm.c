/* test_console_utm.c: the console's UTM page as HTML (render/console_utm.c): what was typed
 * comes back escaped (a hostile value cannot leave its attribute), each refusal stands next
 * to its own field (aria-invalid, described by the error) in the page's language, the link
 * built has its copy button (hidden until the script shows it), and the JSON of the link. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/utm.h"
#include "render/console.h"
#include "render/render.h"
#include "util/mem.h"

static struct sk_staff viewer = {.name = "vera", .role = SK_ROLE_VIEWER};

static char *page(int lang, const struct sk_utm_in *in, const char *link,
		  const struct sk_utm_fault *faults, size_t n)
{
	struct sk_con_frame f = {.pol = NULL, .lang = lang, .who = &viewer, .csrf = "tok",
				 .nav = SK_NAV_UTM};
	struct sk_buf b;
	assert_int_equal(sk_con_utm(&b, &f, in, link, faults, n), 0);
	assert_int_equal(sk_con_end(&b), 0);
	return sk_buf_steal(&b, NULL);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void the_empty_form(void **state)
{
	(void)state;
	char *html = page(SK_LANG_EN, NULL, NULL, NULL, 0);
	assert_non_null(strstr(html, "<form method=\"get\" action=\"/console/utm\""));
	assert_non_null(strstr(html, "<a href=\"/console/utm\" aria-current=\"page\">UTM links</a>"));
	for (const char *const *n = (const char *const[]){"url", "source", "medium", "campaign",
							  "term", "content", NULL}; *n; n++) {
		char want[64];
		snprintf(want, sizeof(want), "name=\"%s\" value=\"\"", *n);
		assert_non_null(strstr(html, want));
	}
	assert_null(strstr(html, "utm-link"));
	assert_null(strstr(html, "aria-invalid"));
	assert_null(strstr(html, "role=\"alert\""));
	sk_free(html);
}

static void typed_values_come_back_escaped(void **state)
{
	(void)state;
	struct sk_utm_in in = {"https://x.example/\"><script>alert(1)</script>", "a\"b", "<m>",
			       "c&d", "'t'", NULL, 1};
	char *html = page(SK_LANG_EN, &in, "https://x.example/?a=1&utm_source=a%22b", NULL, 0);
	assert_null(strstr(html, "<script>alert"));
	assert_null(strstr(html, "\"><script"));
	assert_non_null(strstr(html, "value=\"https://x.example/&quot;&gt;&lt;script&gt;"));
	assert_non_null(strstr(html, "value=\"a&quot;b\""));
	assert_non_null(strstr(html, "value=\"&lt;m&gt;\""));
	assert_non_null(strstr(html, "value=\"c&amp;d\""));
	assert_non_null(strstr(html, "name=\"keep_case\" value=\"1\" checked"));
	/* the link, in its read-only field, with the copy button hidden until the script runs */
	assert_non_null(strstr(html, "id=\"utm-link\""));
	assert_non_null(strstr(html, "value=\"https://x.example/?a=1&amp;utm_source=a%22b\""));
	assert_non_null(strstr(html, "<button type=\"button\" id=\"utm-copy\" hidden"));
	assert_non_null(strstr(html, "<script src=\"/assets/console.js\" defer></script>"));
	sk_free(html);
}

static void each_refusal_next_to_its_field(void **state)
{
	(void)state;
	struct sk_utm_in in = {"ftp://x.example/", "", "m", "c", NULL, NULL, 0};
	struct sk_utm_fault faults[SK_UTM_NFIELDS];
	size_t n = sk_utm_faults(&in, faults);
	assert_int_equal(n, 2);
	char *html = page(SK_LANG_SV, &in, NULL, faults, n);
	assert_non_null(strstr(html, "<html lang=\"sv\">"));
	assert_int_equal(count(html, "aria-invalid=\"true\""), 2);
	assert_int_equal(count(html, "class=\"error field-error\""), 2);
	/* the error between the label and the field, which it describes */
	const char *label = strstr(html, "<label for=\"utm-url\">");
	const char *error = strstr(html, "<p class=\"error field-error\" id=\"utm-url-error\">"
				       "Adressen måste börja med http:// eller https://.</p>");
	const char *input = strstr(html, "<input type=\"text\" id=\"utm-url\"");
	assert_true(label && error && input && label < error && error < input);
	assert_non_null(strstr(html, "aria-describedby=\"utm-source-error utm-source-hint\""));
	assert_non_null(strstr(html, "id=\"utm-source-error\">Fältet måste fyllas i.</p>"));
	assert_null(strstr(html, "utm-medium-error"));
	assert_non_null(strstr(html, "role=\"alert\" id=\"utm-failed\""));
	assert_null(strstr(html, "utm-link"));
	sk_free(html);
	/* in English */
	html = page(SK_LANG_EN, &in, NULL, faults, n);
	assert_non_null(strstr(html, ">The address must start with http:// or https://.</p>"));
	assert_non_null(strstr(html, ">This field is required.</p>"));
	sk_free(html);
}

/* Every reason core has is worded in both languages (the catalogue has no empty text). */
static void every_reason_is_worded(void **state)
{
	(void)state;
	for (int why = SK_UTM_OK + 1; why < SK_UTM_NWHY; why++) {
		struct sk_utm_fault fault = {"term", (enum sk_utm_why)why};
		for (int lang = 0; lang < 2; lang++) {
			char *html = page(lang, NULL, NULL, &fault, 1);
			const char *e = strstr(html, "id=\"utm-term-error\">");
			assert_non_null(e);
			assert_true(e[strlen("id=\"utm-term-error\">")] != '<');
			sk_free(html);
		}
	}
}

static void the_json(void **state)
{
	(void)state;
	json_t *v = sk_json_utm("https://x.example/?utm_source=a");
	char *s = json_dumps(v, JSON_COMPACT);
	assert_string_equal(s, "{\"url\":\"https://x.example/?utm_source=a\"}");
	free(s);
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_empty_form),
		cmocka_unit_test(typed_values_come_back_escaped),
		cmocka_unit_test(each_refusal_next_to_its_field),
		cmocka_unit_test(every_reason_is_worded),
		cmocka_unit_test(the_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
