/* test_core_webhook.c: the webhook use cases of core (core/webhook.c), linked with core and
 * the layers below it only (no sync, no libcurl): status and list as structs, and the
 * functions the delivery threads go through, above all their failure paths: unknown ids,
 * disabled endpoints, a malformed stored secret, storage failures, back-off and giving up;
 * the bounded read of GET /metrics (enabled endpoints, a bounded pending count). */
#include "testlib.h"

#include "core/webhook.h"
#include "util/sktime.h"

static void add_one(struct tenv *t, const char *events, char id[SK_ID_LEN + 1])
{
	char secret[SK_WEBHOOK_SECRET_MAX];
	assert_int_equal(sk_webhook_add(t->core, "http://127.0.0.1:9/x", events, "crm", 1, id,
					secret, &t->err), 0);
}

static void set_state(struct tenv *t, const char *id, int enabled, int64_t next_attempt_at)
{
	struct sk_webhook_rec w;
	assert_int_equal(sk_store_webhook_get(t->store, id, &w), 0);
	w.enabled = enabled;
	w.next_attempt_at = next_attempt_at;
	assert_int_equal(sk_store_webhook_state(t->store, &w), 0);
}

static void unknown_ids(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_webhook_info w;
	struct sk_webhook_job job;
	int ready = 1;
	assert_int_equal(sk_webhook_get(t->core, "w_nosuchendpoint000000000", &w, &t->err),
			 SK_ERR_NOT_FOUND);
	assert_string_equal(t->err.msg, "no webhook endpoint with that id");
	assert_int_equal(sk_webhook_remove(t->core, "w_nosuchendpoint000000000", &t->err),
			 SK_ERR_NOT_FOUND);
	assert_string_equal(t->err.msg, "no webhook endpoint with that id");
	/* a delivery of an endpoint removed meanwhile: nothing to do, not an error */
	assert_int_equal(sk_webhook_job_open(t->core, "w_nosuchendpoint000000000", sk_time_now(),
					     &job, &ready, &t->err), 0);
	assert_int_equal(ready, 0);
	assert_null(job.secret);
	sk_webhook_job_close(&job);
	struct sk_webhook_info *all = (void *)1;
	size_t n = 9;
	assert_int_equal(sk_webhook_list(t->core, &all, &n, &t->err), 0);
	assert_int_equal(n, 0);
	sk_free(all);
	tenv_free(t);
}

static void add_refuses(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char id[SK_ID_LEN + 1], secret[SK_WEBHOOK_SECRET_MAX];
	assert_int_equal(sk_webhook_add(t->core, NULL, "all", NULL, 1, id, secret, &t->err),
			 SK_ERR_INVALID);
	assert_string_equal(t->err.msg, "url is required");
	assert_int_equal(sk_webhook_add(t->core, "http://127.0.0.1:9/x", "all", NULL, 0, id, secret,
					&t->err), SK_ERR_INVALID);
	assert_non_null(strstr(t->err.msg, "private"));
	assert_int_equal(sk_webhook_add(t->core, "gopher://127.0.0.1/", "all", NULL, 1, id, secret,
					&t->err), SK_ERR_INVALID);
	assert_string_equal(t->err.msg, "url: only http and https URLs are accepted");
	assert_int_equal(sk_webhook_add(t->core, "http://127.0.0.1:9/x y", "all", NULL, 1, id,
					secret, &t->err), SK_ERR_INVALID);
	assert_string_equal(t->err.msg, "url: not an absolute http or https URL");
	assert_int_equal(sk_webhook_add(t->core, "http://127.0.0.1:9/x", "consent.bogus", NULL, 1,
					id, secret, &t->err), SK_ERR_INVALID);
	assert_string_equal(t->err.msg, "events: unknown event 'consent.bogus'");
	assert_int_equal(sk_webhook_add(t->core, "http://127.0.0.1:9/x", "all", "a\nb", 1, id,
					secret, &t->err), SK_ERR_INVALID);
	assert_non_null(strstr(t->err.msg, "name:"));
	struct sk_webhook_info *all;
	size_t n;
	assert_int_equal(sk_webhook_list(t->core, &all, &n, &t->err), 0);
	assert_int_equal(n, 0); /* nothing written */
	sk_free(all);
	tenv_free(t);
}

static void status_as_struct(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char a[SK_ID_LEN + 1], b[SK_ID_LEN + 1];
	add_one(t, "consent.withdrawn", a);
	add_one(t, "all", b);
	assert_int_equal(t_consent(t, "a@example.com", "newsletter", SK_ACT_GIVE, "form", "t", 0), 0);
	assert_int_equal(t_consent(t, "a@example.com", "newsletter", SK_ACT_WITHDRAW, "form", "t",
				   0), 0);
	struct sk_webhook_info w;
	assert_int_equal(sk_webhook_get(t->core, a, &w, &t->err), 0);
	assert_string_equal(w.id, a);
	assert_string_equal(w.name, "crm");
	assert_string_equal(w.url, "http://127.0.0.1:9/x");
	assert_string_equal(w.events, "consent.withdrawn");
	assert_int_equal(w.enabled, 1);
	assert_int_equal(w.pending, 1);
	assert_true(w.created_at > 0);
	assert_string_equal(w.last_error, "");
	/* a disabled endpoint has no next attempt, whatever is stored */
	set_state(t, a, 0, sk_time_now() + 100);
	assert_int_equal(sk_webhook_get(t->core, a, &w, &t->err), 0);
	assert_int_equal(w.enabled, 0);
	assert_int_equal(w.next_attempt_at, 0);
	struct sk_webhook_info *all;
	size_t n;
	assert_int_equal(sk_webhook_list(t->core, &all, &n, &t->err), 0);
	assert_int_equal(n, 2);
	int64_t pa = strcmp(all[0].id, a) == 0 ? all[0].pending : all[1].pending;
	int64_t pb = strcmp(all[0].id, b) == 0 ? all[0].pending : all[1].pending;
	assert_int_equal(pa, 1);
	assert_true(pb >= 2); /* the contact, the give and the withdrawal */
	sk_free(all);
	tenv_free(t);
}

static void disabled_and_not_due(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char a[SK_ID_LEN + 1], b[SK_ID_LEN + 1], c[SK_ID_LEN + 1];
	add_one(t, "all", a);
	add_one(t, "all", b);
	add_one(t, "all", c);
	int64_t now = sk_time_now();
	set_state(t, b, 0, 0);         /* disabled */
	set_state(t, c, 1, now + 60);  /* backing off */
	char (*ids)[SK_ID_LEN + 1] = NULL;
	size_t n = 0;
	assert_int_equal(sk_webhook_due(t->core, now, &ids, &n, &t->err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(ids[0], a);
	sk_free(ids);
	assert_int_equal(sk_webhook_due(t->core, now + 60, &ids, &n, &t->err), 0);
	assert_int_equal(n, 2);
	sk_free(ids);
	struct sk_webhook_job job;
	int ready = 1;
	assert_int_equal(sk_webhook_job_open(t->core, b, now, &job, &ready, &t->err), 0);
	assert_int_equal(ready, 0);
	assert_null(job.secret);
	assert_int_equal(sk_webhook_job_open(t->core, c, now, &job, &ready, &t->err), 0);
	assert_int_equal(ready, 0);
	assert_int_equal(sk_webhook_job_open(t->core, c, now + 60, &job, &ready, &t->err), 0);
	assert_int_equal(ready, 1);
	assert_int_equal(strncmp(job.secret, "whsec_", 6), 0);
	assert_null(job.ep.secret);
	sk_webhook_job_close(&job);
	assert_null(job.secret);
	tenv_free(t);
}

static void malformed_secret(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char a[SK_ID_LEN + 1];
	add_one(t, "all", a);
	static const uint8_t junk[][8] = {{0}, {1, 2, 3, 4, 5, 6, 7, 8}};
	for (size_t i = 0; i < 3; i++) {
		struct sk_webhook_rec w;
		assert_int_equal(sk_store_webhook_get(t->store, a, &w), 0);
		struct sk_webhook_rec copy = w;
		copy.secret = i < 2 ? junk[i] : (const uint8_t *)"";
		copy.secret_len = i < 2 ? sizeof(junk[i]) : 0;
		assert_int_equal(sk_store_webhook_delete(t->store, a), 0);
		assert_int_equal(sk_store_webhook_put(t->store, &copy), 0);
		struct sk_webhook_job job;
		int ready = 1;
		int rc = sk_webhook_job_open(t->core, a, sk_time_now(), &job, &ready, &t->err);
		assert_int_not_equal(rc, 0);
		assert_int_equal(ready, 0);
		assert_null(job.secret);
		char want[80];
		snprintf(want, sizeof(want), "cannot open the secret of webhook %s", a);
		assert_string_equal(t->err.msg, want);
		sk_webhook_job_close(&job); /* harmless after a failure */
	}
	/* the endpoint is still there and its status still reads */
	struct sk_webhook_info info;
	assert_int_equal(sk_webhook_get(t->core, a, &info, &t->err), 0);
	tenv_free(t);
}

/* The outcomes of attempts as delivery records them. */
static void outcomes(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char a[SK_ID_LEN + 1];
	add_one(t, "consent.given", a);
	assert_int_equal(t_consent(t, "a@example.com", "newsletter", SK_ACT_GIVE, "form", "t", 0), 0);
	assert_int_equal(t_consent(t, "b@example.com", "newsletter", SK_ACT_GIVE, "form", "t", 0), 0);
	int64_t now = sk_time_now();
	struct sk_webhook_job job;
	struct sk_change ch, ch2;
	int ready, found, given_up;
	assert_int_equal(sk_webhook_job_open(t->core, a, now, &job, &ready, &t->err), 0);
	assert_int_equal(ready, 1);
	/* the first change it wants; the cursor stays until it is delivered */
	int64_t cursor0 = job.ep.cursor;
	assert_int_equal(sk_webhook_job_next(t->core, &job, &ch, &found, &t->err), 0);
	assert_int_equal(found, 1);
	assert_int_equal(ch.type, SK_CHG_CONSENT);
	assert_int_equal(ch.status, SK_ST_GIVEN);
	assert_true(ch.seq > cursor0);
	assert_int_equal(job.ep.cursor, cursor0);
	/* failures back off, doubling, at least a Retry-After, capped */
	const struct sk_webhook_retry r = {10, 1000};
	assert_int_equal(sk_webhook_job_failed(t->core, &job, ch.seq, now, now, 503, "x", -1, &r,
					       &given_up, &t->err), 0);
	assert_int_equal(given_up, 0);
	assert_int_equal(job.ep.next_attempt_at, now + 10);
	assert_int_equal(sk_webhook_job_failed(t->core, &job, ch.seq, now, now, 503, "x", -1, &r,
					       &given_up, &t->err), 0);
	assert_int_equal(job.ep.next_attempt_at, now + 20);
	assert_int_equal(sk_webhook_job_failed(t->core, &job, ch.seq, now, now, 503, "x", 9999, &r,
					       &given_up, &t->err), 0);
	assert_int_equal(job.ep.next_attempt_at, now + SK_WEBHOOK_RETRY_AFTER_MAX);
	struct sk_webhook_info info;
	assert_int_equal(sk_webhook_get(t->core, a, &info, &t->err), 0);
	assert_int_equal(info.failures, 3);
	assert_int_equal(info.last_status, 503);
	assert_string_equal(info.last_error, "x");
	/* after retry_for the change is given up and skipped */
	assert_int_equal(sk_webhook_job_failed(t->core, &job, ch.seq, now + 1000, now + 1000, 0,
					       "timed out", -1, &r, &given_up, &t->err), 0);
	assert_int_equal(given_up, 1);
	assert_int_equal(sk_webhook_get(t->core, a, &info, &t->err), 0);
	assert_int_equal(info.failures, 0);
	assert_int_equal(info.failed_changes, 1);
	assert_int_equal(info.last_failed_seq, ch.seq);
	assert_int_equal(info.last_delivered_seq, ch.seq);
	assert_non_null(strstr(info.last_error, "given up after 4 attempts: timed out"));
	/* delivered: the cursor moves, the error goes */
	assert_int_equal(sk_webhook_job_next(t->core, &job, &ch2, &found, &t->err), 0);
	assert_int_equal(found, 1);
	assert_true(ch2.seq > ch.seq);
	assert_int_equal(sk_webhook_job_delivered(t->core, &job, ch2.seq, now, 204, &t->err), 0);
	assert_int_equal(sk_webhook_get(t->core, a, &info, &t->err), 0);
	assert_int_equal(info.last_delivered_seq, ch2.seq);
	assert_int_equal(info.pending, 0);
	assert_string_equal(info.last_error, "");
	assert_int_equal(sk_webhook_job_next(t->core, &job, &ch, &found, &t->err), 0);
	assert_int_equal(found, 0);
	/* 410 Gone disables it: no longer due */
	assert_int_equal(sk_webhook_job_gone(t->core, &job, now, 410, "gone", &t->err), 0);
	sk_webhook_job_close(&job);
	assert_int_equal(sk_webhook_get(t->core, a, &info, &t->err), 0);
	assert_int_equal(info.enabled, 0);
	char (*ids)[SK_ID_LEN + 1];
	size_t n;
	assert_int_equal(sk_webhook_due(t->core, now, &ids, &n, &t->err), 0);
	assert_int_equal(n, 0);
	sk_free(ids);
	tenv_free(t);
}

/* Changes an endpoint does not want are passed over: the cursor moves past them, saved. */
static void passed_over(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char a[SK_ID_LEN + 1];
	add_one(t, "contact.erased", a);
	assert_int_equal(t_consent(t, "a@example.com", "newsletter", SK_ACT_GIVE, "form", "t", 0), 0);
	int64_t last = 0;
	assert_int_equal(sk_store_change_last(t->store, &last), 0);
	struct sk_webhook_job job;
	struct sk_change ch;
	int ready, found = 1;
	assert_int_equal(sk_webhook_job_open(t->core, a, sk_time_now(), &job, &ready, &t->err), 0);
	assert_true(job.ep.cursor < last);
	assert_int_equal(sk_webhook_job_next(t->core, &job, &ch, &found, &t->err), 0);
	assert_int_equal(found, 0);
	assert_int_equal(job.ep.cursor, last);
	sk_webhook_job_close(&job);
	struct sk_webhook_info info;
	assert_int_equal(sk_webhook_get(t->core, a, &info, &t->err), 0);
	assert_int_equal(info.last_delivered_seq, last);
	assert_int_equal(info.pending, 0);
	tenv_free(t);
}

/* A job that another server's job overtook (it stalled past its lease, then took the lease
 * again) writes nothing over what that server stored: the cursor never goes back and a 410's
 * disabling is never undone. */
static void stale_job_writes_nothing(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char a[SK_ID_LEN + 1];
	add_one(t, "all", a);
	assert_int_equal(t_consent(t, "a@example.com", "newsletter", SK_ACT_GIVE, "form", "t", 0), 0);
	assert_int_equal(t_consent(t, "b@example.com", "newsletter", SK_ACT_GIVE, "form", "t", 0), 0);
	int64_t now = sk_time_now();
	struct sk_webhook_job stalled, other;
	struct sk_change ch1, ch2;
	int ready, found;
	struct sk_webhook_info info;

	assert_int_equal(sk_webhook_job_open(t->core, a, now, &stalled, &ready, &t->err), 0);
	assert_int_equal(ready, 1);
	assert_int_equal(sk_webhook_job_next(t->core, &stalled, &ch1, &found, &t->err), 0);
	assert_int_equal(found, 1);
	/* meanwhile the other server delivers two changes and is then told 410 Gone */
	assert_int_equal(sk_webhook_job_open(t->core, a, now, &other, &ready, &t->err), 0);
	assert_int_equal(sk_webhook_job_next(t->core, &other, &ch2, &found, &t->err), 0);
	assert_int_equal(sk_webhook_job_delivered(t->core, &other, ch2.seq, now, 200, &t->err), 0);
	assert_int_equal(sk_webhook_job_next(t->core, &other, &ch2, &found, &t->err), 0);
	assert_int_equal(found, 1);
	assert_int_equal(sk_webhook_job_delivered(t->core, &other, ch2.seq, now, 200, &t->err), 0);
	assert_int_equal(sk_webhook_job_gone(t->core, &other, now, 410, "gone", &t->err), 0);
	sk_webhook_job_close(&other);
	/* the stalled one comes back with its first change answered */
	assert_int_equal(sk_webhook_job_delivered(t->core, &stalled, ch1.seq, now, 200, &t->err),
			 SK_ERR_BUSY);
	assert_non_null(strstr(t->err.msg, "another server"));
	sk_webhook_job_close(&stalled);
	assert_int_equal(sk_webhook_get(t->core, a, &info, &t->err), 0);
	assert_int_equal(info.last_delivered_seq, ch2.seq); /* not back to ch1 */
	assert_int_equal(info.enabled, 0);                  /* still disabled */
	tenv_free(t);
}

/* A storage failure at each store call of a delivery step is an error with a message, and
 * no crash. */
static void storage_failures(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(1);
	char a[SK_ID_LEN + 1];
	add_one(t, "all", a);
	assert_int_equal(t_consent(t, "a@example.com", "newsletter", SK_ACT_GIVE, "form", "t", 0), 0);
	int64_t now = sk_time_now();
	struct sk_webhook_job job;
	struct sk_change ch;
	int ready, found, given_up;
	const struct sk_webhook_retry r = {10, 1000};
	char (*ids)[SK_ID_LEN + 1];
	size_t n;
	struct sk_webhook_info info, *all;

	sk_store_fault_set(t->store, 1, 0);
	assert_int_not_equal(sk_webhook_due(t->core, now, &ids, &n, &t->err), 0);
	assert_string_equal(t->err.msg, "cannot read the webhook endpoints");
	sk_free(ids);
	sk_store_fault_set(t->store, 1, 0);
	assert_int_not_equal(sk_webhook_job_open(t->core, a, now, &job, &ready, &t->err), 0);
	assert_string_equal(t->err.msg, "cannot read a webhook endpoint");
	assert_int_equal(ready, 0);
	sk_store_fault_set(t->store, 1, 0);
	assert_int_not_equal(sk_webhook_get(t->core, a, &info, &t->err), 0);
	sk_store_fault_set(t->store, 1, 0);
	assert_int_not_equal(sk_webhook_list(t->core, &all, &n, &t->err), 0);
	sk_store_fault_set(t->store, 0, 0);

	assert_int_equal(sk_webhook_job_open(t->core, a, now, &job, &ready, &t->err), 0);
	assert_int_equal(ready, 1);
	sk_store_fault_set(t->store, 1, 0);
	assert_int_not_equal(sk_webhook_job_next(t->core, &job, &ch, &found, &t->err), 0);
	assert_string_equal(t->err.msg, "cannot read the change feed");
	sk_store_fault_set(t->store, 0, 0);
	assert_int_equal(sk_webhook_job_next(t->core, &job, &ch, &found, &t->err), 0);
	assert_int_equal(found, 1);
	sk_store_fault_set(t->store, 1, 0);
	assert_int_not_equal(sk_webhook_job_failed(t->core, &job, ch.seq, now, now, 0, "x", -1, &r,
						   &given_up, &t->err), 0);
	char want[80];
	snprintf(want, sizeof(want), "cannot read the state of webhook %s", a);
	assert_string_equal(t->err.msg, want);
	sk_store_fault_set(t->store, 2, 0); /* the read before the write passes, the write fails */
	assert_int_not_equal(sk_webhook_job_failed(t->core, &job, ch.seq, now, now, 0, "x", -1, &r,
						   &given_up, &t->err), 0);
	snprintf(want, sizeof(want), "cannot save the state of webhook %s", a);
	assert_string_equal(t->err.msg, want);
	sk_store_fault_set(t->store, 1, 0);
	assert_int_not_equal(sk_webhook_job_delivered(t->core, &job, ch.seq, now, 200, &t->err), 0);
	sk_store_fault_set(t->store, 1, 0);
	assert_int_not_equal(sk_webhook_job_gone(t->core, &job, now, 410, "gone", &t->err), 0);
	sk_store_fault_set(t->store, 0, 0);
	sk_webhook_job_close(&job);
	/* nothing was saved by the failed calls */
	assert_int_equal(sk_webhook_get(t->core, a, &info, &t->err), 0);
	assert_int_equal(info.enabled, 1);
	assert_int_equal(info.failures, 0);
	assert_true(info.pending > 0);
	tenv_free(t);
}

/* GET /metrics's read (sk_health): disabled endpoints are left out, and each pending count
 * reads a bounded part of the feed, so that a scrape's work does not grow with the backlog. */
static void health_bounded(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char a[SK_ID_LEN + 1], b[SK_ID_LEN + 1];
	add_one(t, "all", a);
	add_one(t, "all", b);
	for (int i = 0; i < 3; i++)
		assert_int_equal(t_consent(t, "a@example.com", "newsletter",
					   i % 2 ? SK_ACT_WITHDRAW : SK_ACT_GIVE, "form", "t", 0), 0);
	set_state(t, a, 0, 0);
	struct sk_webhook_info *all;
	size_t n;
	assert_int_equal(sk_webhook_list_enabled(t->core, 2, &all, &n, &t->err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(all[0].id, b);
	assert_int_equal(all[0].pending, 2); /* at least 4 after the cursor; 2 read */
	assert_true(all[0].pending_oldest_at > 0);
	sk_free(all);
	/* the full list still has both, counted in full */
	assert_int_equal(sk_webhook_list(t->core, &all, &n, &t->err), 0);
	assert_int_equal(n, 2);
	assert_true(all[0].pending >= 4 && all[1].pending >= 4);
	sk_free(all);
	struct sk_health h;
	assert_int_equal(sk_health(t->core, &h, &t->err), 0);
	assert_int_equal(h.nwebhooks, 1);
	assert_string_equal(h.webhooks[0].id, b);
	assert_true(h.webhooks[0].pending >= 4);
	sk_health_reset(&h);
	tenv_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unknown_ids),
		cmocka_unit_test(add_refuses),
		cmocka_unit_test(status_as_struct),
		cmocka_unit_test(disabled_and_not_due),
		cmocka_unit_test(malformed_secret),
		cmocka_unit_test(outcomes),
		cmocka_unit_test(passed_over),
		cmocka_unit_test(storage_failures),
		cmocka_unit_test(stale_job_writes_nothing),
		cmocka_unit_test(health_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
