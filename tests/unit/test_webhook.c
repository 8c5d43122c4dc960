/* test_webhook.c: webhook signatures (the Standard Webhooks specification's own example),
 * the private-address check, event lists, payloads, endpoints in the store, and delivery
 * failures with back-off and giving up, against a port where nothing listens. */
#include "testlib.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "sync/sync.h"
#include "util/sktime.h"

static void signature_known_vector(void **state)
{
	(void)state;
	char sig[SK_WEBHOOK_SIG_MAX];
	const char *body = "{\"test\": 2432232314}";
	/* The example of the Standard Webhooks specification (and its libraries' tests). */
	assert_int_equal(sk_webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
					 "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body,
					 strlen(body), sig), 0);
	assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	/* Any change of id, time or body changes it. */
	assert_int_equal(sk_webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
					 "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331, body,
					 strlen(body), sig), 0);
	assert_string_not_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	/* A secret without the prefix or with bad base64 is refused. */
	assert_int_equal(sk_webhook_sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "m", 1, "x", 1, sig),
			 SK_ERR_INVALID);
	assert_int_equal(sk_webhook_sign("whsec_!!!!", "m", 1, "x", 1, sig), SK_ERR_INVALID);
	assert_int_equal(sk_webhook_sign("whsec_", "m", 1, "x", 1, sig), SK_ERR_INVALID);
}

static int is_private(const char *addr)
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
	return sk_webhook_addr_private((struct sockaddr *)&ss);
}

static void private_addresses(void **state)
{
	(void)state;
	static const char *const priv[] = {
		"127.0.0.1", "127.255.255.254", "10.0.0.1", "10.255.255.255", "172.16.0.1",
		"172.31.255.255", "192.168.0.1", "192.168.255.255", "169.254.169.254", "0.0.0.0",
		"::1", "::", "fc00::1", "fdff:ffff::1", "fe80::1", "febf:ffff::1",
		"::ffff:127.0.0.1", "::ffff:10.1.2.3", "::ffff:192.168.1.1",
	};
	static const char *const pub[] = {
		"8.8.8.8", "11.0.0.1", "172.15.255.255", "172.32.0.1", "192.167.255.255",
		"192.169.0.1", "169.253.0.1", "126.255.255.255", "128.0.0.1", "2001:db8::1",
		"fec0::1", "fbff::1", "::ffff:8.8.8.8", "::2",
	};
	for (size_t i = 0; i < sizeof(priv) / sizeof(priv[0]); i++) {
		if (!is_private(priv[i]))
			fail_msg("%s must count as private", priv[i]);
	}
	for (size_t i = 0; i < sizeof(pub) / sizeof(pub[0]); i++) {
		if (is_private(pub[i]))
			fail_msg("%s must not count as private", pub[i]);
	}
}

static void url_checks(void **state)
{
	(void)state;
	struct sk_errctx e;
	char res[SK_WEBHOOK_RESOLVE_MAX];
	static const char *const refused[] = {
		"http://127.0.0.1:8080/hook", "http://10.0.0.7/", "https://[::1]:8443/x",
		"http://[fe80::1]/", "http://192.168.1.1/", "http://0.0.0.0/", "http://localhost/",
		"http://[::ffff:127.0.0.1]/",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (sk_webhook_check_url(refused[i], 0, res, sizeof(res), &e) != SK_ERR_INVALID)
			fail_msg("%s must be refused", refused[i]);
		assert_non_null(strstr(e.msg, "private"));
		if (sk_webhook_check_url(refused[i], 1, res, sizeof(res), &e) != 0)
			fail_msg("%s must be allowed with allow_private: %s", refused[i], e.msg);
	}
	/* localhost resolves by name: the request is pinned to the addresses checked */
	assert_int_equal(sk_webhook_check_url("http://localhost:9/x", 1, res, sizeof(res), &e), 0);
	assert_true(strncmp(res, "localhost:9:", 12) == 0);
	assert_non_null(strstr(res, "127.0.0.1"));
	/* a literal needs no pinning */
	assert_int_equal(sk_webhook_check_url("http://8.8.8.8/hook", 0, res, sizeof(res), &e), 0);
	assert_string_equal(res, "");
	assert_int_equal(sk_webhook_check_url("ftp://8.8.8.8/", 1, NULL, 0, &e), SK_ERR_INVALID);
	assert_non_null(strstr(e.msg, "http"));
	assert_int_equal(sk_webhook_check_url("file:///etc/passwd", 1, NULL, 0, &e), SK_ERR_INVALID);
	assert_int_equal(sk_webhook_check_url("not a url", 1, NULL, 0, &e), SK_ERR_INVALID);
	assert_int_equal(sk_webhook_check_url("http://no-such-host.invalid/", 1, NULL, 0, &e),
			 SK_ERR_INVALID);
}

static void event_lists(void **state)
{
	(void)state;
	char out[512];
	struct sk_errctx e;
	assert_int_equal(sk_webhook_events_parse("all", out, sizeof(out), &e), 0);
	assert_string_equal(out, "all");
	assert_int_equal(sk_webhook_events_parse("consent.withdrawn, contact.erased,consent.withdrawn",
						 out, sizeof(out), &e), 0);
	assert_string_equal(out, "consent.withdrawn,contact.erased");
	assert_true(sk_webhook_events_match(out, "contact.erased"));
	assert_false(sk_webhook_events_match(out, "consent.given"));
	assert_false(sk_webhook_events_match(out, "contact"));
	assert_false(sk_webhook_events_match(out, NULL));
	assert_true(sk_webhook_events_match("all", "consent.given"));
	assert_int_equal(sk_webhook_events_parse("consent.given,consent.bogus", out, sizeof(out), &e),
			 SK_ERR_INVALID);
	assert_non_null(strstr(e.msg, "consent.bogus"));
	assert_int_equal(sk_webhook_events_parse("", out, sizeof(out), &e), SK_ERR_INVALID);
	assert_int_equal(sk_webhook_events_parse(" , ", out, sizeof(out), &e), SK_ERR_INVALID);

	struct sk_change_rec ch = {.seq = 7, .type = "consent", .contact_id = "c_x",
				   .purpose = "newsletter", .status = "withdrawn", .at = 0};
	assert_string_equal(sk_webhook_event_name(&ch), "consent.withdrawn");
	snprintf(ch.type, sizeof(ch.type), "erased");
	assert_string_equal(sk_webhook_event_name(&ch), "contact.erased");
	snprintf(ch.type, sizeof(ch.type), "import_batch"); /* a type this version does not send */
	assert_null(sk_webhook_event_name(&ch));
}

static void payload_ids_only(void **state)
{
	(void)state;
	struct sk_change_rec ch = {.seq = 42, .type = "consent", .contact_id = "c_abc",
				   .purpose = "newsletter", .status = "withdrawn",
				   .at = 1764400000};
	char *body;
	size_t len;
	assert_int_equal(sk_webhook_payload(&ch, &body, &len), 0);
	assert_string_equal(body, "{\"type\":\"consent.withdrawn\",\"seq\":42,\"contact_id\":"
			    "\"c_abc\",\"purpose\":\"newsletter\",\"status\":\"withdrawn\","
			    "\"at\":\"2025-11-29T07:06:40Z\"}");
	assert_int_equal(len, strlen(body));
	sk_free(body);
	struct sk_change_rec er = {.seq = 43, .type = "erased", .contact_id = "c_abc", .at = 1};
	assert_int_equal(sk_webhook_payload(&er, &body, &len), 0);
	assert_non_null(strstr(body, "\"type\":\"contact.erased\""));
	assert_non_null(strstr(body, "\"purpose\":null"));
	sk_free(body);
}

static json_t *status_of(struct tenv *t, const char *id)
{
	json_t *o = NULL;
	assert_int_equal(sk_webhook_status(t->core, id, &o, &t->err), 0);
	return o;
}

static json_int_t jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static void endpoints_and_secret(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char id[SK_ID_LEN + 1], secret[SK_WEBHOOK_SECRET_MAX];
	assert_int_equal(t_consent(t, "a@example.com", "newsletter", SK_ACT_GIVE, "form", "test", 0), 0);
	assert_int_equal(sk_webhook_add(t->core, "http://127.0.0.1:9/x", "all", NULL, 0, id, secret,
					&t->err), SK_ERR_INVALID);
	assert_int_equal(sk_webhook_add(t->core, "http://127.0.0.1:9/x", "consent.withdrawn", "ma",
					1, id, secret, &t->err), 0);
	assert_int_equal(strncmp(id, "w_", 2), 0);
	assert_int_equal(strncmp(secret, "whsec_", 6), 0);
	assert_int_equal(strlen(secret), 6 + 32);
	/* sealed: the secret is not in the row, and opens only with the system key */
	struct sk_webhook_rec w;
	assert_int_equal(sk_store_webhook_get(t->store, id, &w), 0);
	assert_true(w.secret_len > strlen(secret));
	assert_null(memmem(w.secret, w.secret_len, secret + 6, strlen(secret + 6)));
	char ad[64], *open = NULL;
	size_t olen;
	snprintf(ad, sizeof(ad), "webhook/%s", id);
	assert_int_equal(sk_vault_unseal_system(t->vault, ad, w.secret, w.secret_len, &open, &olen), 0);
	assert_string_equal(open, secret);
	sk_free(open);
	assert_int_equal(sk_vault_unseal_system(t->vault, "webhook/w_other", w.secret, w.secret_len,
						&open, &olen), SK_ERR_CRYPTO);
	/* the cursor starts at the newest change: the give before is not pending */
	json_t *o = status_of(t, id);
	assert_int_equal(jint(o, "pending"), 0);
	assert_true(jint(o, "last_delivered_seq") > 0);
	json_decref(o);
	assert_int_equal(t_consent(t, "a@example.com", "newsletter", SK_ACT_WITHDRAW, "form", "test", 0), 0);
	assert_int_equal(t_consent(t, "b@example.com", "newsletter", SK_ACT_GIVE, "form", "test", 0), 0);
	o = status_of(t, id);
	assert_int_equal(jint(o, "pending"), 1); /* only the withdrawal matches */
	json_decref(o);
	o = status_of(t, NULL);
	assert_int_equal(json_array_size(json_object_get(o, "webhooks")), 1);
	json_decref(o);
	assert_int_equal(sk_webhook_remove(t->core, id, &t->err), 0);
	assert_int_equal(sk_webhook_remove(t->core, id, &t->err), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_webhook_status(t->core, id, &o, &t->err), SK_ERR_NOT_FOUND);
	tenv_free(t);
}

static void delivery_backs_off_then_gives_up(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char id[SK_ID_LEN + 1], secret[SK_WEBHOOK_SECRET_MAX];
	/* port 1 on loopback: nothing listens, the connection is refused at once */
	assert_int_equal(sk_webhook_add(t->core, "http://127.0.0.1:1/hook", "all", NULL, 1, id,
					secret, &t->err), 0);
	assert_int_equal(t_consent(t, "a@example.com", "newsletter", SK_ACT_GIVE, "form", "test", 0), 0);
	json_t *o = status_of(t, id);
	json_int_t start = jint(o, "last_delivered_seq");
	assert_int_equal(jint(o, "pending"), 2); /* the contact and the consent */
	json_decref(o);
	struct sk_delivery_config cfg = {.allow_private = 1, .backoff = 5, .retry_for = 100,
					 .timeout_ms = 2000};
	int sent = 0;
	setenv("SAMTYCKE_NOW", "2026-01-01T00:00:00Z", 1);
	assert_int_equal(sk_delivery_pass(t->core, &cfg, 10, &sent, &t->err), 0);
	assert_int_equal(sent, 1); /* stops at the first failure */
	o = status_of(t, id);
	assert_int_equal(jint(o, "last_delivered_seq"), start);
	assert_int_equal(jint(o, "failures"), 1);
	assert_string_equal(json_string_value(json_object_get(o, "next_attempt_at")),
			    "2026-01-01T00:00:05Z");
	assert_non_null(json_string_value(json_object_get(o, "last_error")));
	json_decref(o);
	/* not due yet: nothing is tried */
	assert_int_equal(sk_delivery_pass(t->core, &cfg, 10, &sent, &t->err), 0);
	assert_int_equal(sent, 0);
	/* the second failure waits twice as long */
	setenv("SAMTYCKE_NOW", "2026-01-01T00:00:05Z", 1);
	assert_int_equal(sk_delivery_pass(t->core, &cfg, 10, &sent, &t->err), 0);
	assert_int_equal(sent, 1);
	o = status_of(t, id);
	assert_int_equal(jint(o, "failures"), 2);
	assert_string_equal(json_string_value(json_object_get(o, "next_attempt_at")),
			    "2026-01-01T00:00:15Z");
	json_decref(o);
	/* past the retry period: the change is given up, recorded, and the next one tried */
	setenv("SAMTYCKE_NOW", "2026-01-01T00:01:40Z", 1);
	assert_int_equal(sk_delivery_pass(t->core, &cfg, 10, &sent, &t->err), 0);
	o = status_of(t, id);
	assert_int_equal(jint(o, "failed_changes"), 1);
	assert_int_equal(jint(o, "last_failed_seq"), start + 1);
	assert_int_equal(jint(o, "last_delivered_seq"), start + 1);
	assert_int_equal(jint(o, "pending"), 1);
	assert_int_equal(jint(o, "failures"), 1); /* the next change failed once */
	assert_true(json_is_true(json_object_get(o, "enabled")));
	json_decref(o);
	unsetenv("SAMTYCKE_NOW");
	tenv_free(t);
}

/* Every storage failure during a pass is reported, and never moves the cursor past a change
 * that was not delivered. */
static void delivery_storage_failures(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(1);
	char id[SK_ID_LEN + 1], secret[SK_WEBHOOK_SECRET_MAX];
	assert_int_equal(sk_webhook_add(t->core, "http://127.0.0.1:1/hook", "all", NULL, 1, id,
					secret, &t->err), 0);
	assert_int_equal(t_consent(t, "a@example.com", "newsletter", SK_ACT_GIVE, "form", "test", 0), 0);
	struct sk_delivery_config cfg = {.allow_private = 1, .backoff = 5, .retry_for = 100,
					 .timeout_ms = 2000};
	int sent;
	sk_store_fault_set(t->store, 0, 0);
	assert_int_equal(sk_delivery_pass(t->core, &cfg, 10, &sent, &t->err), 0);
	long n = sk_store_fault_calls(t->store);
	assert_true(n >= 3);
	for (long i = 1; i <= n; i++) {
		/* make the endpoint due again */
		struct sk_webhook_rec w;
		sk_store_fault_set(t->store, 0, 0);
		assert_int_equal(sk_store_webhook_get(t->store, id, &w), 0);
		int64_t cursor = w.cursor;
		w.next_attempt_at = 0;
		assert_int_equal(sk_store_webhook_state(t->store, &w), 0);
		sk_store_fault_set(t->store, i, 1);
		int rc = sk_delivery_pass(t->core, &cfg, 10, &sent, &t->err);
		sk_store_fault_set(t->store, 0, 0);
		if (i < n)
			assert_int_not_equal(rc, 0);
		assert_int_equal(sk_store_webhook_get(t->store, id, &w), 0);
		assert_int_equal(w.cursor, cursor);
	}
	tenv_free(t);
}

static size_t count_endpoints(struct tenv *t)
{
	json_t *o = status_of(t, NULL);
	size_t n = json_array_size(json_object_get(o, "webhooks"));
	json_decref(o);
	return n;
}

/* Adding an endpoint under every allocation failure and every storage failure in turn:
 * either it is stored whole (and its secret opens) or nothing is stored. */
static void add_failures(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(1);
	char id[SK_ID_LEN + 1], secret[SK_WEBHOOK_SECRET_MAX];
	int rc = -1;
	for (long n = 0; rc != 0 && n < 100; n++) {
		sk_mem_fail_after(n);
		rc = sk_webhook_add(t->core, "http://127.0.0.1:9/x", "all", "a", 1, id, secret, &t->err);
		sk_mem_fail_after(-1);
		if (rc)
			assert_int_equal(count_endpoints(t), 0);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(count_endpoints(t), 1);
	sk_store_fault_set(t->store, 0, 0);
	assert_int_equal(sk_webhook_add(t->core, "http://127.0.0.1:9/y", "all", "b", 1, id, secret,
					&t->err), 0);
	long calls = sk_store_fault_calls(t->store);
	assert_true(calls >= 2);
	for (long i = 1; i <= calls; i++) {
		sk_store_fault_set(t->store, i, 0);
		assert_int_not_equal(sk_webhook_add(t->core, "http://127.0.0.1:9/z", "all", "c", 1, id,
						    secret, &t->err), 0);
		sk_store_fault_set(t->store, 0, 0);
		assert_int_equal(count_endpoints(t), 2);
	}
	tenv_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(signature_known_vector),
		cmocka_unit_test(private_addresses),
		cmocka_unit_test(url_checks),
		cmocka_unit_test(event_lists),
		cmocka_unit_test(payload_ids_only),
		cmocka_unit_test(endpoints_and_secret),
		cmocka_unit_test(delivery_backs_off_then_gives_up),
		cmocka_unit_test(delivery_storage_failures),
		cmocka_unit_test(add_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
