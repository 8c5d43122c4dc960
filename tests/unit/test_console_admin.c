/* test_console_admin.c: the core and the pages behind the console's audiences, retention,
 * and webhooks and keys pages (docs/console.md): sk_audience's counts by the gate's reasons
 * (a moved clock, suppression, a pending double opt-in), webhook secret rotation and
 * disabling, and what the pages show by role. On SQLite, and on PostgreSQL with SK_TEST_PG. */
#include "testlib.h"

#include "core/webhook.h"
#include "render/console.h"
#include "util/sktime.h"

#define DAY 86400

static void give(struct tenv *t, const char *email, int64_t at)
{
	assert_int_equal(t_consent(t, email, "newsletter", SK_ACT_GIVE, "form", "form:newsletter",
				   at),
			 0);
}

/* The audience of the newsletter: each contact counted once, under the gate's reason. */
static void audience_counts(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_audience a;
	int64_t now = sk_time_now();

	give(t, "allowed1@example.com", now - DAY);
	give(t, "allowed2@example.com", now - 2 * DAY);
	give(t, "old@example.com", now - 800 * DAY); /* beyond its 24 months */
	give(t, "gone@example.com", now - 3 * DAY);
	assert_int_equal(t_consent(t, "gone@example.com", "newsletter", SK_ACT_WITHDRAW, "form",
				   "form:newsletter", now - DAY), 0);
	assert_int_equal(t_consent(t, "no@example.com", "newsletter", SK_ACT_REFUSE, "form",
				   "form:newsletter", now - DAY), 0);
	/* claimed without a date: no evidence */
	assert_int_equal(t_consent(t, "bare@example.com", "newsletter", SK_ACT_GIVE, "import",
				   "crm.csv", 0), 0);
	/* a double opt-in not yet confirmed */
	struct sk_consent_req pend = {.email = "doi@example.com", .purpose = "newsletter",
				      .action = SK_ACT_GIVE, .method = "form",
				      .source = "form:newsletter", .lang = "en",
				      .occurred_at = now - DAY, .double_opt_in = 1,
				      .evidence_json = "{\"ip\":\"203.0.113.77\"}"};
	assert_int_equal(sk_consent_record(t->core, &pend, NULL, &t->err), 0);
	/* given, then the address bounced: suppression outranks the consent */
	give(t, "bounced@example.com", now - DAY);
	assert_int_equal(sk_suppress(t->core, "bounced@example.com", "bounced", &t->err), 0);
	/* a contact with a consent for another purpose only */
	assert_int_equal(t_consent(t, "other@example.com", "offers", SK_ACT_GIVE, "form",
				   "form:offers", now - DAY), 0);

	assert_int_equal(sk_audience(t->core, "newsletter", now, &a, &t->err), 0);
	assert_int_equal(a.at, now);
	assert_int_equal(a.contacts, 9);
	assert_int_equal(a.allowed, 2);
	assert_int_equal(a.by_reason[SK_RSN_CONSENT], 2);
	assert_int_equal(a.by_reason[SK_RSN_EXPIRED], 1);
	assert_int_equal(a.by_reason[SK_RSN_WITHDRAWN], 1);
	assert_int_equal(a.by_reason[SK_RSN_REFUSED], 1);
	assert_int_equal(a.by_reason[SK_RSN_UNVERIFIED], 1);
	assert_int_equal(a.by_reason[SK_RSN_PENDING_CONFIRMATION], 1);
	assert_int_equal(a.by_reason[SK_RSN_SUPPRESSED], 1);
	assert_int_equal(a.by_reason[SK_RSN_NO_CONSENT], 1);
	long sum = 0;
	for (int i = 0; i < SK_NREASONS; i++)
		sum += a.by_reason[i];
	assert_int_equal(sum, a.contacts);

	/* the clock moved 25 months on: the two given consents have expired too */
	assert_int_equal(sk_audience(t->core, "newsletter", now + 760 * DAY, &a, &t->err), 0);
	assert_int_equal(a.allowed, 0);
	assert_int_equal(a.by_reason[SK_RSN_CONSENT], 0);
	assert_int_equal(a.by_reason[SK_RSN_EXPIRED], 3);
	assert_int_equal(a.by_reason[SK_RSN_SUPPRESSED], 1);

	/* another purpose, asked of the same contacts */
	assert_int_equal(sk_audience(t->core, "offers", now, &a, &t->err), 0);
	assert_int_equal(a.contacts, 9);
	assert_int_equal(a.allowed, 1);
	assert_int_equal(a.by_reason[SK_RSN_NO_CONSENT], 7);
	assert_int_equal(a.by_reason[SK_RSN_SUPPRESSED], 1); /* whatever the purpose */
	tenv_free(t);
}

static void audience_refuses(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_audience a = {.contacts = -5};
	assert_int_equal(sk_audience(t->core, "no_such_purpose", sk_time_now(), &a, &t->err),
			 SK_ERR_UNKNOWN_PURPOSE);
	assert_string_equal(t->err.msg, "that purpose is not in the policy");
	assert_int_equal(a.contacts, -5); /* untouched on failure */
	assert_int_equal(sk_audience(t->core, NULL, sk_time_now(), &a, &t->err),
			 SK_ERR_UNKNOWN_PURPOSE);
	/* nobody at all: zero, not an error */
	assert_int_equal(sk_audience(t->core, "newsletter", sk_time_now(), &a, &t->err), 0);
	assert_int_equal(a.contacts, 0);
	assert_int_equal(a.allowed, 0);
	tenv_free(t);
}

/* A storage failure at any store call: either the whole answer fails (nothing filled), or
 * the gate failed closed for some contact: counted under "error", never allowed. */
static void audience_storage_failure(void **state)
{
	(void)state;
	int done = 0, closed = 0;
	for (long n = 1; !done && n < 400; n++) {
		struct tenv *t = tenv_new(1);
		struct sk_audience a = {.contacts = -5};
		int64_t now = sk_time_now();
		give(t, "one@example.com", now - DAY);
		give(t, "two@example.com", now - DAY);
		assert_int_equal(t_consent(t, "three@example.com", "newsletter", SK_ACT_REFUSE, "form",
					   "form:newsletter", now - DAY), 0);
		sk_store_fault_set(t->store, n, 0);
		int rc = sk_audience(t->core, "newsletter", now, &a, &t->err);
		long calls = sk_store_fault_calls(t->store);
		sk_store_fault_set(t->store, 0, 0);
		if (rc) {
			assert_int_equal(a.contacts, -5);
		} else {
			long sum = 0;
			for (int i = 0; i < SK_NREASONS; i++)
				sum += a.by_reason[i];
			assert_int_equal(a.contacts, 3);
			assert_int_equal(sum, 3);
			/* each contact gets its own answer or "error", never allowed by mistake */
			assert_int_equal(a.allowed, a.by_reason[SK_RSN_CONSENT]);
			assert_true(a.allowed <= 2 && a.by_reason[SK_RSN_REFUSED] <= 1);
			assert_int_equal(a.allowed + a.by_reason[SK_RSN_REFUSED] +
						 a.by_reason[SK_RSN_ERROR], 3);
			closed += a.by_reason[SK_RSN_ERROR] > 0;
			done = calls < n; /* the injected failure came after the last call */
		}
		tenv_free(t);
	}
	assert_true(done);
	assert_true(closed > 0);
}

/* The opened secret of endpoint id, as a delivery would sign with it. */
static void secret_of(struct tenv *t, const char *id, char *out, size_t len)
{
	struct sk_webhook_job job;
	int ready = 0;
	assert_int_equal(sk_webhook_job_open(t->core, id, sk_time_now(), &job, &ready, &t->err), 0);
	assert_non_null(job.secret);
	snprintf(out, len, "%s", job.secret);
	sk_webhook_job_close(&job);
}

static void webhook_rotate(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char id[SK_ID_LEN + 1], first[SK_WEBHOOK_SECRET_MAX], second[SK_WEBHOOK_SECRET_MAX];
	char opened[SK_WEBHOOK_SECRET_MAX * 2];
	struct sk_webhook_info w;
	assert_int_equal(sk_webhook_add(t->core, "http://127.0.0.1:9/x", "all", "crm", 1, id, first,
					&t->err), 0);
	secret_of(t, id, opened, sizeof(opened));
	assert_string_equal(opened, first);
	assert_int_equal(sk_webhook_rotate(t->core, id, second, &t->err), 0);
	assert_string_not_equal(second, first);
	assert_int_equal(strncmp(second, "whsec_", 6), 0);
	/* deliveries now sign with the new secret */
	secret_of(t, id, opened, sizeof(opened));
	assert_string_equal(opened, second);
	assert_int_equal(sk_webhook_get(t->core, id, &w, &t->err), 0);
	assert_int_equal(w.enabled, 1);
	assert_string_equal(w.name, "crm");
	assert_int_equal(sk_webhook_rotate(t->core, "w_nosuchendpoint000000000", second, &t->err),
			 SK_ERR_NOT_FOUND);
	assert_string_equal(t->err.msg, "no webhook endpoint with that id");
	tenv_free(t);
}

static void webhook_disable(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char id[SK_ID_LEN + 1], secret[SK_WEBHOOK_SECRET_MAX];
	struct sk_webhook_info w;
	struct sk_webhook_job job;
	char (*due)[SK_ID_LEN + 1] = NULL;
	size_t n = 9;
	int ready = 0;
	int64_t now = sk_time_now();
	assert_int_equal(sk_webhook_add(t->core, "http://127.0.0.1:9/x", "all", "crm", 1, id, secret,
					&t->err), 0);
	/* a delivery under way when the endpoint is disabled */
	assert_int_equal(sk_webhook_job_open(t->core, id, now, &job, &ready, &t->err), 0);
	assert_int_equal(ready, 1);
	assert_int_equal(sk_webhook_disable(t->core, id, &t->err), 0);
	assert_int_equal(sk_webhook_get(t->core, id, &w, &t->err), 0);
	assert_int_equal(w.enabled, 0);
	assert_int_equal(w.next_attempt_at, 0);
	/* its outcome is saved, and does not enable it again */
	assert_int_equal(sk_webhook_job_delivered(t->core, &job, job.ep.cursor, now, 200, &t->err), 0);
	sk_webhook_job_close(&job);
	assert_int_equal(sk_webhook_get(t->core, id, &w, &t->err), 0);
	assert_int_equal(w.enabled, 0);
	assert_int_equal(w.last_status, 200);
	assert_int_equal(sk_webhook_due(t->core, now + DAY, &due, &n, &t->err), 0);
	assert_int_equal(n, 0); /* never due */
	sk_free(due);
	assert_int_equal(sk_webhook_disable(t->core, "w_nosuchendpoint000000000", &t->err),
			 SK_ERR_NOT_FOUND);
	tenv_free(t);
}

/* ---- the pages ---- */

static char *page_of(int rc, struct sk_buf *b)
{
	assert_int_equal(rc, 0);
	assert_int_equal(sk_con_end(b), 0);
	return sk_buf_steal(b, NULL);
}

static void audiences_page(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_staff viewer = {.name = "vera", .role = SK_ROLE_VIEWER};
	struct sk_con_frame f = {.pol = sk_core_policy(t->core), .lang = SK_LANG_EN, .who = &viewer,
				 .csrf = "tok", .nav = SK_NAV_AUDIENCES};
	struct sk_audience a = {.at = 0, .contacts = 7, .allowed = 3};
	struct sk_buf b;
	a.by_reason[SK_RSN_CONSENT] = 3;
	a.by_reason[SK_RSN_WITHDRAWN] = 4;

	/* a viewer: the counts, no export link */
	char *html = page_of(sk_con_audiences(&b, &f, "newsletter", &a, 0, NULL), &b);
	assert_non_null(strstr(html, "<option value=\"newsletter\" selected>Newsletter</option>"));
	assert_null(strstr(html, "lead_scoring")); /* communication purposes only */
	assert_non_null(strstr(html, "id=\"allowed\">3</td>"));
	assert_non_null(strstr(html, "<tr data-reason=\"withdrawn\">"));
	assert_null(strstr(html, "data-reason=\"refused\"")); /* none: no row */
	assert_null(strstr(html, "allowed.csv"));
	sk_free(html);
	/* a marketer: the link to the allowed list */
	html = page_of(sk_con_audiences(&b, &f, "newsletter", &a, 1, NULL), &b);
	assert_non_null(strstr(html, "href=\"/console/audiences/newsletter/allowed.csv\""));
	sk_free(html);
	/* in Swedish */
	f.lang = SK_LANG_SV;
	html = page_of(sk_con_audiences(&b, &f, "newsletter", &a, 1, NULL), &b);
	assert_non_null(strstr(html, "<html lang=\"sv\">"));
	assert_non_null(strstr(html, "Får kontaktas"));
	sk_free(html);
	tenv_free(t);
}

static void retention_page(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_staff dpo = {.name = "dana", .role = SK_ROLE_DPO};
	struct sk_con_frame f = {.pol = sk_core_policy(t->core), .lang = SK_LANG_EN, .who = &dpo,
				 .csrf = "tok", .nav = SK_NAV_RETENTION};
	char ids[2][SK_ID_LEN + 1] = {"c_firstcontactid000000000", "c_secondcontactid00000000"};
	struct sk_purge_report rep = {.dry_run = 1, .total = 2};
	rep.by_reason[SK_PURGE_EXPIRED].id = ids;
	rep.by_reason[SK_PURGE_EXPIRED].n = 2;
	struct sk_buf b;
	char *html = page_of(sk_con_retention(&b, &f, &rep, NULL), &b);
	assert_non_null(strstr(html, "<tr data-reason=\"expired\"><th scope=\"row\">Expired <code>expired"
				     "</code></th><td class=\"num\">2</td>"));
	assert_non_null(strstr(html, "id=\"total\">2</td>"));
	assert_null(strstr(html, "c_firstcontactid")); /* counts only */
	assert_non_null(strstr(html, "This dry run changes nothing."));
	assert_non_null(strstr(html, "id=\"tracking-events\">Tracking events older than "
				     "tracking.retention are deleted too"));
	assert_non_null(strstr(html, "<form method=\"post\" action=\"/console/retention\">"
				     "<input type=\"hidden\" name=\"csrf\" value=\"tok\">"));
	sk_free(html);
	rep.dry_run = 0;
	rep.tracking_events = 1234;
	html = page_of(sk_con_retention(&b, &f, &rep, NULL), &b);
	assert_non_null(strstr(html, "<p class=\"note\" role=\"status\">The purge has run."));
	assert_non_null(strstr(html, "<p id=\"tracking-events\">Tracking events older than "
				     "tracking.retention deleted: <strong>1234</strong></p>"));
	sk_free(html);
	tenv_free(t);
}

static void admin_page(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_staff admin = {.name = "ada", .role = SK_ROLE_ADMIN};
	struct sk_con_frame f = {.pol = sk_core_policy(t->core), .lang = SK_LANG_EN, .who = &admin,
				 .csrf = "tok3n", .nav = SK_NAV_ADMIN};
	struct sk_webhook_info w[2] = {{.id = "w_a", .name = "<crm>", .url = "https://crm.example.com/h",
					.events = "all", .enabled = 1, .pending = 4, .last_status = 503,
					.last_error = "HTTP 503"},
				       {.id = "w_b", .url = "https://b.example.com/", .events = "all"}};
	struct sk_key_rec k[2] = {{.name = "etl", .scopes = "read", .created_at = 1},
				  {.name = "old", .scopes = "admin", .created_at = 1, .revoked_at = 2}};
	struct sk_staff_user u[3] = {{.name = "ada", .role = SK_ROLE_ADMIN},
				     {.name = "lou", .role = SK_ROLE_MARKETER, .locked_until = 500},
				     {.name = "old", .role = SK_ROLE_VIEWER, .disabled = 1}};
	struct sk_con_admin_view v = {.webhooks = w, .nwebhooks = 2, .keys = k, .nkeys = 2,
				      .users = u, .nusers = 3, .now = 100};
	struct sk_buf b;
	char *html = page_of(sk_con_admin(&b, &f, &v), &b);
	assert_non_null(strstr(html, "&lt;crm&gt;")); /* escaped */
	assert_null(strstr(html, "<crm>"));
	assert_non_null(strstr(html, "<td class=\"num lag\">4</td>"));
	assert_non_null(strstr(html, "HTTP 503"));
	/* an enabled endpoint can be disabled, a disabled one not again; both rotated */
	assert_non_null(strstr(html, "name=\"id\" value=\"w_a\""));
	assert_int_equal(strstr(strstr(html, "data-webhook=\"w_b\""), "webhook-disable") != NULL, 0);
	/* an active key can be revoked, a revoked one not */
	assert_non_null(strstr(html, "name=\"name\" value=\"etl\""));
	assert_null(strstr(html, "name=\"name\" value=\"old\""));
	/* users: a locked one can be unlocked; nobody disables themself or a disabled user */
	const char *lou = strstr(html, "<tr data-user=\"lou\">"), *old = strstr(html, "<tr data-user=\"old\">");
	assert_non_null(lou);
	assert_non_null(old);
	assert_non_null(strstr(lou, "Locked after failed sign-ins"));
	assert_true(strstr(lou, "user-unlock") < old && strstr(lou, "user-unlock") != NULL);
	assert_true(strstr(lou, "user-disable") < old && strstr(lou, "user-disable") != NULL);
	assert_null(strstr(old, "user-disable"));
	const char *ada = strstr(html, "<tr data-user=\"ada\">");
	assert_non_null(ada);
	assert_true(strstr(ada, "user-disable") == NULL || strstr(ada, "user-disable") > lou);
	/* every form carries the session's CSRF token */
	size_t forms = 0, tokens = 0;
	for (const char *p = html; (p = strstr(p, "<form method=\"post\"")); p++)
		forms++;
	for (const char *p = html; (p = strstr(p, "name=\"csrf\" value=\"tok3n\"")); p++)
		tokens++;
	assert_true(forms >= 6);
	assert_int_equal(tokens, forms); /* the header's sign-out among them */
	assert_null(strstr(html, "id=\"once\""));
	sk_free(html);
	/* a secret shown once, after an action */
	v.done = "The webhook was added.";
	v.once = "whsec_abc";
	v.once_label = "shown once";
	html = page_of(sk_con_admin(&b, &f, &v), &b);
	assert_non_null(strstr(html, "<code id=\"once\">whsec_abc</code>"));
	sk_free(html);
	tenv_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(audience_counts),
		cmocka_unit_test(audience_refuses),
		cmocka_unit_test(audience_storage_failure),
		cmocka_unit_test(webhook_rotate),
		cmocka_unit_test(webhook_disable),
		cmocka_unit_test(audiences_page),
		cmocka_unit_test(retention_page),
		cmocka_unit_test(admin_page),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
