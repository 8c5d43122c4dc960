/* test_curl_dl.c: util/curl_dl.c alone: libcurl is not loaded until a curl_* name is used,
 * a library that cannot be loaded gives a clear error naming it, and once loaded the names
 * reach the real libcurl (a URL is read as curl reads it). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "util/curl_dl.h"

static void not_loaded_before_use(void **state)
{
	(void)state;
	assert_int_equal(sk_curl_loaded(), 0);
}

static void missing_library_is_a_clear_error(void **state)
{
	(void)state;
	struct sk_errctx err = {0};
	assert_int_equal(sk_curl_try("libsk-no-such-curl.so.4", &err), SK_ERR_IO);
	assert_non_null(strstr(err.msg, "libsk-no-such-curl.so.4"));
	assert_non_null(strstr(err.msg, "cannot load"));
	/* a library without curl's functions: libc */
	assert_int_equal(sk_curl_try("libc.so.6", &err), SK_ERR_IO);
	assert_non_null(strstr(err.msg, "lacks curl_global_init"));
	assert_int_equal(sk_curl_loaded(), 0);
}

static void loads_on_first_use(void **state)
{
	(void)state;
	struct sk_errctx err = {0};
	assert_int_equal(sk_curl_try(SK_CURL_SONAME, &err), 0);
	CURLU *u = curl_url(); /* the first use loads it */
	assert_non_null(u);
	assert_int_equal(sk_curl_loaded(), 1);
	assert_int_equal(sk_curl_load(&err), 0);
	char *host = NULL;
	assert_int_equal(curl_url_set(u, CURLUPART_URL, "https://hooks.example:8443/x", 0),
			 CURLUE_OK);
	assert_int_equal(curl_url_get(u, CURLUPART_HOST, &host, 0), CURLUE_OK);
	assert_string_equal(host, "hooks.example");
	curl_free(host);
	curl_url_cleanup(u);
	CURL *h = curl_easy_init();
	assert_non_null(h);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_TIMEOUT, 5L), CURLE_OK);
	curl_easy_cleanup(h);
	assert_true(curl_getdate("Sun, 06 Nov 1994 08:49:37 GMT", NULL) == 784111777);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(not_loaded_before_use),
		cmocka_unit_test(missing_library_is_a_clear_error),
		cmocka_unit_test(loads_on_first_use),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
