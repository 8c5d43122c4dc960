/* test_console_import.c: the console's import pages (render/console_import.c) in each state
 * of a job: the form (saved mappings, the error of a refused upload, escaped), a running job
 * (the bar, the refresh for browsers without JavaScript, the script), a finished one (the bar
 * at its max, the counts, the rejects and their file; a warning when the rejects file was
 * not written), a dry run's import button, an interrupted import's resume button (and why,
 * when an error stopped it), a failure; and the progress JSON. */
#include <jansson.h>

#include "testlib.h"

#include "render/console.h"

static const struct sk_staff who = {.name = "mia", .role = SK_ROLE_MARKETER};

static struct sk_con_frame frame(int lang)
{
	return (struct sk_con_frame){.lang = lang, .who = &who, .csrf = "tok<1>", .nav = SK_NAV_IMPORT};
}

static struct sk_import_job job(enum sk_job_state st, int dry)
{
	struct sk_import_job j = {.id = "im_job1", .staff = "mia", .role = SK_ROLE_MARKETER,
				  .dry_run = dry, .state = st, .rows = 3000, .committed = 0,
				  .bytes = 1500, .total_bytes = 6000, .rows_per_s = 1234.4,
				  .eta_s = 75};
	j.counts = (struct sk_import_counts){.rows = 3000, .created = 2900, .given = 2800,
					     .unverified = 50, .refused = 40, .rejected = 30,
					     .fields_dropped = 12};
	return j;
}

static int has(const struct sk_buf *b, const char *s)
{
	return strstr(b->data, s) != NULL;
}

static void the_form_lists_saved_mappings_and_escapes_the_error(void **state)
{
	(void)state;
	struct sk_con_frame f = frame(SK_LANG_EN);
	struct sk_buf b;
	const char *names[] = {"crm-2025", "hubspot"};
	assert_int_equal(sk_con_import_form(&b, &f, names, 2, "line 1: <script>", 0), 0);
	assert_true(has(&b, "enctype=\"multipart/form-data\""));
	assert_true(has(&b, "name=\"csrf\" value=\"tok&lt;1&gt;\""));
	assert_true(has(&b, "<option value=\"crm-2025\">crm-2025</option>"));
	assert_true(has(&b, "<option value=\"hubspot\">"));
	assert_true(has(&b, "role=\"alert\""));
	assert_true(has(&b, "line 1: &lt;script&gt;"));
	assert_false(has(&b, "<script>"));
	assert_true(has(&b, "value=\"dry_run\" checked"));
	sk_buf_reset(&b);
	/* without an import folder: no form, the reason */
	assert_int_equal(sk_con_import_form(&b, &f, names, 0, NULL, 1), 0);
	assert_false(has(&b, "<form method=\"post\" action=\"/console/import\""));
	assert_true(has(&b, "--import-dir"));
	sk_buf_reset(&b);
	f = frame(SK_LANG_SV);
	assert_int_equal(sk_con_import_form(&b, &f, names, 0, NULL, 0), 0);
	assert_true(has(&b, "Provkörning"));
	sk_buf_reset(&b);
}

static void a_running_job_shows_its_bar_and_refreshes_without_javascript(void **state)
{
	(void)state;
	struct sk_con_frame f = frame(SK_LANG_EN);
	struct sk_buf b;
	struct sk_import_job j = job(SK_JOB_RUNNING, 0);
	assert_int_equal(sk_con_import_job(&b, &f, &j, 1, 1, NULL, 0), 0);
	assert_true(has(&b, "<progress id=\"imp-bar\" aria-labelledby=\"imp-progress-h\" "
			    "max=\"6000\" value=\"1500\">25 %</progress>"));
	assert_true(has(&b, "<span id=\"imp-rows\">3000</span> rows done"));
	assert_true(has(&b, "<span id=\"imp-rate\">1234</span> rows/s"));
	assert_true(has(&b, "<span id=\"imp-left\">1:15</span> left"));
	/* the refresh is in the head, inside <noscript>: a browser running the script polls */
	const char *refresh = strstr(b.data, "<noscript><meta http-equiv=\"refresh\"");
	assert_non_null(refresh);
	assert_true(refresh < strstr(b.data, "</head>"));
	assert_true(has(&b, "<script src=\"/assets/console.js\" defer></script>"));
	assert_true(has(&b, "data-progress=\"/console/import/im_job1/progress\""));
	assert_false(has(&b, "imp-counts")); /* no counts before it is done */
	sk_buf_reset(&b);
}

static void a_finished_job_shows_counts_rejects_and_its_file(void **state)
{
	(void)state;
	struct sk_con_frame f = frame(SK_LANG_EN);
	struct sk_buf b;
	struct sk_import_job j = job(SK_JOB_DONE, 0);
	struct sk_import_reject r[2] = {{101, "email", "invalid_email"}, {7, "<b>nl</b>", "invalid"}};
	assert_int_equal(sk_con_import_job(&b, &f, &j, 0, 0, r, 2), 0);
	assert_true(has(&b, "max=\"6000\" value=\"6000\">100 %</progress>")); /* at its max */
	assert_true(has(&b, "<strong id=\"imp-state\">Done.</strong>"));
	assert_false(has(&b, "http-equiv=\"refresh\"")); /* nothing left to wait for */
	assert_false(has(&b, "console.js"));
	assert_true(has(&b, "<tr data-count=\"created\"><th scope=\"row\">Contacts created</th>"
			    "<td class=\"num\">2900</td></tr>"));
	assert_true(has(&b, "<tr data-count=\"fields_dropped\">"));
	assert_true(has(&b, "<td class=\"num\">101</td><td>email</td><td><code>invalid_email</code>"));
	assert_true(has(&b, "&lt;b&gt;nl&lt;/b&gt;"));
	assert_true(has(&b, "href=\"/console/import/im_job1/rejects.csv\" download"));
	assert_false(has(&b, "/run?lang=")); /* an import that is done runs no more */
	sk_buf_reset(&b);
	/* none rejected */
	assert_int_equal(sk_con_import_job(&b, &f, &j, 0, 0, r, 0), 0);
	assert_true(has(&b, "No row was rejected."));
	assert_false(has(&b, "id=\"imp-warning\""));
	sk_buf_reset(&b);
	/* done, but its rejects file was not written: a warning, escaped, not a failure */
	snprintf(j.error, sizeof(j.error), "the rejects file <not> written");
	assert_int_equal(sk_con_import_job(&b, &f, &j, 0, 0, r, 0), 0);
	assert_true(has(&b, "<strong id=\"imp-state\">Done.</strong>"));
	assert_true(has(&b, "id=\"imp-warning\">the rejects file &lt;not&gt; written</p>"));
	assert_false(has(&b, "The import failed"));
	sk_buf_reset(&b);
}

static void a_dry_run_offers_the_import_and_an_interrupted_one_resume(void **state)
{
	(void)state;
	struct sk_con_frame f = frame(SK_LANG_EN);
	struct sk_buf b;
	struct sk_import_job j = job(SK_JOB_DONE, 1);
	assert_int_equal(sk_con_import_job(&b, &f, &j, 0, 1, NULL, 0), 0);
	assert_true(has(&b, "<h1>Dry run</h1>"));
	assert_true(has(&b, "Nothing was stored."));
	assert_true(has(&b, "<form method=\"post\" action=\"/console/import/im_job1/run?lang=en\">"
			    "<input type=\"hidden\" name=\"csrf\" value=\"tok&lt;1&gt;\">"
			    "<button type=\"submit\">Import the file</button>"));
	sk_buf_reset(&b);
	/* its file no longer kept: no button, the reason */
	assert_int_equal(sk_con_import_job(&b, &f, &j, 0, 0, NULL, 0), 0);
	assert_false(has(&b, "/run?lang="));
	assert_true(has(&b, "no longer kept"));
	sk_buf_reset(&b);
	/* running on disk but not in this server: interrupted */
	j = job(SK_JOB_RUNNING, 0);
	j.committed = 5000;
	assert_int_equal(sk_con_import_job(&b, &f, &j, 0, 1, NULL, 0), 0);
	assert_true(has(&b, "id=\"imp-interrupted\""));
	assert_true(has(&b, "5000 rows committed"));
	assert_true(has(&b, "<button type=\"submit\">Resume the import</button>"));
	assert_false(has(&b, "http-equiv=\"refresh\""));
	assert_false(has(&b, "id=\"imp-error\""));
	sk_buf_reset(&b);
	/* stopped by a storage error after rows were committed: why, and still resumable */
	snprintf(j.error, sizeof(j.error), "storage <failed>");
	assert_int_equal(sk_con_import_job(&b, &f, &j, 0, 1, NULL, 0), 0);
	assert_true(has(&b, "id=\"imp-error\">storage &lt;failed&gt;</p>"));
	assert_true(has(&b, "<button type=\"submit\">Resume the import</button>"));
	sk_buf_reset(&b);
	/* failed: why, escaped */
	j = job(SK_JOB_FAILED, 0);
	snprintf(j.error, sizeof(j.error), "line 3: <bad>");
	assert_int_equal(sk_con_import_job(&b, &f, &j, 0, 0, NULL, 0), 0);
	assert_true(has(&b, "The import failed: line 3: &lt;bad&gt;"));
	assert_false(has(&b, "/run?lang="));
	sk_buf_reset(&b);
}

static void the_progress_json(void **state)
{
	(void)state;
	struct sk_import_job j = job(SK_JOB_RUNNING, 0);
	json_t *o = sk_con_import_progress_json(&j, 1);
	assert_string_equal(json_string_value(json_object_get(o, "state")), "running");
	assert_int_equal(json_integer_value(json_object_get(o, "bytes")), 1500);
	assert_false(json_is_true(json_object_get(o, "done")));
	json_decref(o);
	o = sk_con_import_progress_json(&j, 0);
	assert_string_equal(json_string_value(json_object_get(o, "state")), "interrupted");
	json_decref(o);
	j = job(SK_JOB_DONE, 0);
	o = sk_con_import_progress_json(&j, 0);
	assert_string_equal(json_string_value(json_object_get(o, "state")), "done");
	assert_int_equal(json_integer_value(json_object_get(o, "bytes")), 6000);
	assert_true(json_is_true(json_object_get(o, "done")));
	assert_true(json_real_value(json_object_get(o, "eta_s")) == 0.0);
	json_decref(o);
	assert_non_null(strstr(sk_console_js, "getElementById('imp-live')"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_form_lists_saved_mappings_and_escapes_the_error),
		cmocka_unit_test(a_running_job_shows_its_bar_and_refreshes_without_javascript),
		cmocka_unit_test(a_finished_job_shows_counts_rejects_and_its_file),
		cmocka_unit_test(a_dry_run_offers_the_import_and_an_interrupted_one_resume),
		cmocka_unit_test(the_progress_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
