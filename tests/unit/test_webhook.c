/* test_webhook.c: webhook signatures (the Standard Webhooks specification's own example),
 * the URL check of new endpoints over the address table (the classifier itself is
 * test_net.c), event lists, payloads, endpoints in the store, and delivery:
 * every delivery signed as a receiver checks it, back-off and giving up, Retry-After, the
 * fixed failure texts, proxies from the environment, and endpoints served independently,
 * against small servers on loopback. */
#include "testlib.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>

#include "util/curl_dl.h"

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

#include "addr_table.h"

/* The same table through the URL check that endpoints are added with, with and without
 * allow_private. */
static void url_literals(void **state)
{
	(void)state;
	struct sk_errctx e;
	char url[128];
	for (size_t i = 0; i < sizeof(address_table) / sizeof(address_table[0]); i++) {
		const char *a = address_table[i].addr;
		int v = address_table[i].verdict;
		snprintf(url, sizeof(url), strchr(a, ':') ? "http://[%s]:8080/h" : "http://%s:8080/h", a);
		int rc0 = sk_webhook_check_url(url, 0, &e);
		if ((rc0 == 0) != (v == PUB))
			fail_msg("%s without allow_private: %d (%s)", url, rc0, rc0 ? e.msg : "");
		if (rc0 && !strstr(e.msg, v == NEVER ? "never" : "--allow-private"))
			fail_msg("%s: %s", url, e.msg);
		if (rc0 && strstr(e.msg, a))
			fail_msg("%s: the message names the address: %s", url, e.msg);
		int rc1 = sk_webhook_check_url(url, 1, &e);
		if ((rc1 == 0) != (v != NEVER))
			fail_msg("%s with allow_private: %d (%s)", url, rc1, rc1 ? e.msg : "");
	}
}

static void url_checks(void **state)
{
	(void)state;
	struct sk_errctx e;
	static const char *const priv[] = {
		"http://127.0.0.1:8080/hook", "http://10.0.0.7/", "https://[::1]:8443/x",
		"http://192.168.1.1/", "http://localhost/", "http://[::ffff:127.0.0.1]/",
		"http://2130706433/", "http://0x7f.1/", "http://100.64.1.1/",
		/* final dots name the same host */
		"http://127.0.0.1./", "http://127.1../x", "http://localhost../",
	};
	static const char *const never[] = {
		"http://[fe80::1]/", "http://0.0.0.0/", "http://169.254.169.254/latest/meta-data/",
		"http://[fd00:ec2::254]/", "http://[::ffff:169.254.169.254]/", "http://[::a9fe:a9fe]/",
		"http://[64:ff9b::a9fe:a9fe]/", "http://224.0.0.1/", "http://255.255.255.255/",
		"http://198.18.0.1/", "http://[fec0::1]/", "http://[ff02::1]/", "http://0/",
	};
	for (size_t i = 0; i < sizeof(priv) / sizeof(priv[0]); i++) {
		if (sk_webhook_check_url(priv[i], 0, &e) != SK_ERR_INVALID)
			fail_msg("%s must be refused", priv[i]);
		assert_non_null(strstr(e.msg, "private"));
		if (sk_webhook_check_url(priv[i], 1, &e) != 0)
			fail_msg("%s must be allowed with allow_private: %s", priv[i], e.msg);
	}
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
		for (int allow = 0; allow <= 1; allow++) {
			if (sk_webhook_check_url(never[i], allow, &e) != SK_ERR_INVALID)
				fail_msg("%s must be refused (allow_private %d)", never[i], allow);
			assert_non_null(strstr(e.msg, "never"));
		}
	}
	/* a literal is judged at once; so is the localhost domain, which is loopback by
	 * definition (RFC 6761), in any case and with a final dot */
	assert_int_equal(sk_webhook_check_url("http://8.8.8.8/hook", 0, &e), 0);
	static const char *const localhost[] = {"http://LocalHost:9/x", "http://localhost./",
						 "http://app.localhost/", "http://a.b.localhost.:1/"};
	for (size_t i = 0; i < sizeof(localhost) / sizeof(localhost[0]); i++) {
		if (sk_webhook_check_url(localhost[i], 0, &e) != SK_ERR_INVALID)
			fail_msg("%s must be refused without allow_private", localhost[i]);
		assert_non_null(strstr(e.msg, "--allow-private-webhooks"));
		assert_int_equal(sk_webhook_check_url(localhost[i], 1, &e), 0);
	}
	/* a name that merely ends like one is a name */
	assert_int_equal(sk_webhook_check_url("http://notlocalhost/", 0, &e), 0);
	assert_int_equal(sk_webhook_check_url("http://localhost.example/", 0, &e), 0);
	/* any other name is not looked up when added: one that does not resolve (yet) is
	 * accepted, and delivery resolves and judges it before every attempt (sync.h) */
	assert_int_equal(sk_webhook_check_url("http://no-such-host.invalid/", 0, &e), 0);
	assert_int_equal(sk_webhook_check_url("https://ma.example.com/hooks/samtycke", 0, &e), 0);
	assert_int_equal(sk_webhook_check_url("ftp://8.8.8.8/", 1, &e), SK_ERR_INVALID);
	assert_non_null(strstr(e.msg, "http"));
	assert_int_equal(sk_webhook_check_url("file:///etc/passwd", 1, &e), SK_ERR_INVALID);
	assert_int_equal(sk_webhook_check_url("not a url", 1, &e), SK_ERR_INVALID);
	assert_int_equal(sk_webhook_check_url("http://exa mple.com/", 1, &e), SK_ERR_INVALID);
}

/* The URL split that adding an endpoint uses (util/net.c, libc only) reads every URL it
 * accepts as curl does, which is what delivery checks again and sends to: the same host and
 * port. (The other forms of an IPv4 address, which curl normalises, are judged by the
 * resolver's reading in both; test_net.c.) */
static void url_split_agrees_with_curl(void **state)
{
	(void)state;
	static const char *const urls[] = {
		"http://example.com", "https://example.com/hook?a=1#f",
		"HTTPS://hooks.example.com:8443/x", "http://user:pw@example.com:81/",
		"http://[2001:db8::1]:8080/h", "http://[::1]/", "http://example.com:0080/x",
		"http://example.com?q", "http://127.0.0.1:9/x", "https://a-b_c.example:1/",
		"http://example.com#frag", "http://u@example.com/", "http://example.com:65535/",
		"http://xn--rksmrgs-5wao1o.example/",
	};
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		struct sk_url_parts p;
		assert_int_equal(sk_net_url_split(urls[i], &p), SK_NET_OK);
		CURLU *u = curl_url();
		char *host = NULL, *port = NULL;
		assert_non_null(u);
		if (curl_url_set(u, CURLUPART_URL, urls[i], 0) != CURLUE_OK ||
		    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
		    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
			fail_msg("%s: curl does not read it", urls[i]);
		char want[300];
		snprintf(want, sizeof(want), strchr(p.host, ':') ? "[%s]" : "%s", p.host);
		if (strcmp(host, want) != 0 || strcmp(port, p.port) != 0)
			fail_msg("%s: %s:%s here, %s:%s for curl", urls[i], want, p.port, host, port);
		curl_free(host);
		curl_free(port);
		curl_url_cleanup(u);
	}
}

/* The event a stored change is sent as: NULL when none, and when core would not hand the row
 * on at all (a type in no list is corrupt: core/domain.c). */
static const char *event_of(const struct sk_change_rec *rec)
{
	struct sk_change ch;
	if (sk__change_from_rec(rec, &ch, NULL))
		return NULL;
	return sk_webhook_event_name(&ch);
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
	assert_string_equal(event_of(&ch), "consent.withdrawn");
	snprintf(ch.type, sizeof(ch.type), "erased");
	assert_string_equal(event_of(&ch), "contact.erased");
	snprintf(ch.type, sizeof(ch.type), "import_batch"); /* a type this version does not send */
	assert_null(event_of(&ch));
}

/* Each change type and status is sent as the event it was sent as before the event names
 * became a table (core/vocab.h), and nothing else is sent. */
static void every_change_is_sent_as_its_event(void **state)
{
	(void)state;
	static const struct {
		const char *type, *status, *event;
	} cases[] = {
		{"consent", "given", "consent.given"},
		{"consent", "withdrawn", "consent.withdrawn"},
		{"consent", "refused", "consent.refused"},
		{"consent", "expired", "consent.expired"},
		{"consent", "pending", "consent.pending"},
		{"consent", "unverified", "consent.unverified"},
		{"consent", "unknown", NULL},
		{"consent", "", NULL},
		{"consent", "bogus", NULL},
		{"contact", "", "contact.changed"},
		{"contact", "given", "contact.changed"},
		{"erased", "", "contact.erased"},
		{"unsuppressed", "", "contact.unsuppressed"},
		{"", "", NULL},
		{"consent.given", "", NULL},
		{"Consent", "given", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sk_change_rec ch = {.seq = 1, .contact_id = "c_x", .purpose = "newsletter"};
		snprintf(ch.type, sizeof(ch.type), "%s", cases[i].type);
		snprintf(ch.status, sizeof(ch.status), "%s", cases[i].status);
		const char *ev = event_of(&ch);
		if (cases[i].event ? !ev || strcmp(ev, cases[i].event) != 0 : ev != NULL)
			fail_msg("type '%s' status '%s': sent as %s, want %s", cases[i].type,
				 cases[i].status, ev ? ev : "nothing",
				 cases[i].event ? cases[i].event : "nothing");
		/* and each event name subscribes on its own */
		if (cases[i].event) {
			char out[64];
			struct sk_errctx e;
			assert_int_equal(sk_webhook_events_parse(cases[i].event, out, sizeof(out), &e), 0);
			assert_string_equal(out, cases[i].event);
		}
	}
	/* a prefix or an extension of an event name is no event */
	char out[64];
	struct sk_errctx e;
	assert_int_equal(sk_webhook_events_parse("consent.give", out, sizeof(out), &e), SK_ERR_INVALID);
	assert_int_equal(sk_webhook_events_parse("consent.givenx", out, sizeof(out), &e), SK_ERR_INVALID);
	assert_int_equal(sk_webhook_events_parse("consent", out, sizeof(out), &e), SK_ERR_INVALID);
}

static void payload_ids_only(void **state)
{
	(void)state;
	struct sk_change ch = {.seq = 42, .type = SK_CHG_CONSENT, .contact_id = "c_abc",
			       .purpose = "newsletter", .status = SK_ST_WITHDRAWN,
			       .at = 1764400000};
	char *body;
	size_t len;
	assert_int_equal(sk_webhook_payload(&ch, &body, &len), 0);
	assert_string_equal(body, "{\"type\":\"consent.withdrawn\",\"seq\":42,\"contact_id\":"
			    "\"c_abc\",\"purpose\":\"newsletter\",\"status\":\"withdrawn\","
			    "\"at\":\"2025-11-29T07:06:40Z\"}");
	assert_int_equal(len, strlen(body));
	sk_free(body);
	struct sk_change er = {.seq = 43, .type = SK_CHG_ERASED, .contact_id = "c_abc", .at = 1};
	assert_int_equal(sk_webhook_payload(&er, &body, &len), 0);
	assert_non_null(strstr(body, "\"type\":\"contact.erased\""));
	assert_non_null(strstr(body, "\"purpose\":null"));
	sk_free(body);
}

/* The status as `webhook list --json` and the API give it (render/webhook.c): one
 * endpoint, or {"webhooks":[..]} of all with id NULL. */
static json_t *status_of(struct tenv *t, const char *id)
{
	json_t *o = NULL;
	if (id) {
		struct sk_webhook_info w;
		assert_int_equal(sk_webhook_get(t->core, id, &w, &t->err), 0);
		o = sk_json_webhook(&w);
	} else {
		struct sk_webhook_info *all;
		size_t n;
		assert_int_equal(sk_webhook_list(t->core, &all, &n, &t->err), 0);
		o = sk_json_webhooks(all, n);
		sk_free(all);
	}
	assert_non_null(o);
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
	struct sk_webhook_info gone;
	assert_int_equal(sk_webhook_get(t->core, id, &gone, &t->err), SK_ERR_NOT_FOUND);
	tenv_free(t);
}

/* Several servers on one store: only the holder of an endpoint's lease delivers to it, and
 * the status names that holder (docs/internals/serve.md). */
static void delivery_under_lease(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char id[SK_ID_LEN + 1], secret[SK_WEBHOOK_SECRET_MAX], name[64];
	assert_int_equal(sk_webhook_add(t->core, "http://127.0.0.1:1/hook", "all", NULL, 1, id,
					secret, &t->err), 0);
	assert_int_equal(t_consent(t, "a@example.com", "newsletter", SK_ACT_GIVE, "form", "test", 0), 0);
	json_t *o = status_of(t, id);
	assert_true(json_is_null(json_object_get(o, "delivered_by"))); /* nobody yet */
	json_decref(o);
	snprintf(name, sizeof(name), "webhook:%s", id);
	int64_t now = sk_time_now_ms();
	int got = 0;
	assert_int_equal(sk_store_lease_take(t->store, name, "other:1:aa", now, now + 60000, &got), 0);
	assert_int_equal(got, 1);
	struct sk_delivery_config cfg = {.allow_private = 1, .backoff = 5, .retry_for = 100,
					 .timeout_ms = 2000, .lease_holder = "me:2:bb",
					 .lease_ms = 60000};
	int sent = -1;
	assert_int_equal(sk_delivery_pass(t->core, &cfg, 10, &sent, &t->err), 0);
	assert_int_equal(sent, 0); /* another server's endpoint: left alone */
	o = status_of(t, id);
	json_t *by = json_object_get(o, "delivered_by");
	assert_string_equal(json_string_value(json_object_get(by, "server")), "other:1:aa");
	assert_non_null(json_string_value(json_object_get(by, "until")));
	assert_int_equal(jint(o, "failures"), 0);
	json_decref(o);
	/* its holder stops cleanly: taken over at once */
	assert_int_equal(sk_store_lease_release(t->store, name, "other:1:aa"), 0);
	assert_int_equal(sk_delivery_pass(t->core, &cfg, 10, &sent, &t->err), 0);
	assert_int_equal(sent, 1);
	o = status_of(t, id);
	by = json_object_get(o, "delivered_by");
	assert_string_equal(json_string_value(json_object_get(by, "server")), "me:2:bb");
	assert_int_equal(jint(o, "failures"), 1); /* refused: the outcome is saved by the holder */
	json_decref(o);
	/* the lease run out: the status names nobody */
	assert_int_equal(sk_store_lease_take(t->store, name, "me:2:bb", now, now - 1, &got), 0);
	o = status_of(t, id);
	assert_true(json_is_null(json_object_get(o, "delivered_by")));
	json_decref(o);
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

/* ---- a small HTTP server on loopback ---- */

/* Answers every request with reply (after reading its head and body, or whatever came
 * within 200 ms); with reply NULL it listens but never accepts, so a request is never
 * answered. Counts requests and keeps the time of the first. */
struct tsrv {
	int fd, port;
	const char *reply;
	pthread_t th;
	atomic_int nreq, stop;
	atomic_llong first_ms;
	char last[2048]; /* the head of the last request */
};

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *tsrv_run(void *arg)
{
	struct tsrv *v = arg;
	while (!atomic_load(&v->stop)) {
		struct pollfd p = {v->fd, POLLIN, 0};
		if (poll(&p, 1, 50) <= 0)
			continue;
		int c = accept(v->fd, NULL, NULL);
		if (c < 0)
			continue;
		char buf[4096];
		size_t used = 0;
		for (;;) {
			struct pollfd q = {c, POLLIN, 0};
			if (poll(&q, 1, 200) <= 0)
				break;
			ssize_t n = recv(c, buf + used, sizeof(buf) - 1 - used, 0);
			if (n <= 0)
				break;
			used += (size_t)n;
			buf[used] = '\0';
			char *end = strstr(buf, "\r\n\r\n");
			if (end) {
				const char *cl = strstr(buf, "Content-Length: ");
				size_t want = (size_t)(end + 4 - buf) + (cl ? strtoul(cl + 16, NULL, 10) : 0);
				if (used >= want || used == sizeof(buf) - 1)
					break;
			}
			if (used == sizeof(buf) - 1)
				break;
		}
		buf[used] = '\0';
		snprintf(v->last, sizeof(v->last), "%.2000s", buf);
		if (atomic_fetch_add(&v->nreq, 1) == 0)
			atomic_store(&v->first_ms, mono_ms());
		ssize_t w = send(c, v->reply, strlen(v->reply), MSG_NOSIGNAL);
		(void)w;
		close(c);
	}
	return NULL;
}

static struct tsrv *tsrv_new(const char *reply)
{
	struct tsrv *v = calloc(1, sizeof(*v));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	v->reply = reply;
	v->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(v->fd >= 0);
	assert_int_equal(bind(v->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(v->fd, 16), 0);
	assert_int_equal(getsockname(v->fd, (struct sockaddr *)&a, &len), 0);
	v->port = ntohs(a.sin_port);
	if (reply)
		assert_int_equal(pthread_create(&v->th, NULL, tsrv_run, v), 0);
	return v;
}

static void tsrv_free(struct tsrv *v)
{
	atomic_store(&v->stop, 1);
	if (v->reply)
		pthread_join(v->th, NULL);
	close(v->fd);
	free(v);
}

static const char *const R204 = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";

static void add_at(struct tenv *t, const char *fmt, int port, char id[SK_ID_LEN + 1])
{
	char url[128], secret[SK_WEBHOOK_SECRET_MAX];
	snprintf(url, sizeof(url), fmt, port);
	assert_int_equal(sk_webhook_add(t->core, url, "all", NULL, 1, id, secret, &t->err), 0);
}

/* Moves an endpoint to another id (and url, when given), its secret sealed again for it. */
static void endpoint_move(struct tenv *t, const char *id, const char *newid, const char *url)
{
	struct sk_webhook_rec w;
	char ad[64], *secret = NULL;
	uint8_t *sealed = NULL;
	size_t slen, sealed_len;
	assert_int_equal(sk_store_webhook_get(t->store, id, &w), 0);
	snprintf(ad, sizeof(ad), "webhook/%s", id);
	assert_int_equal(sk_vault_unseal_system(t->vault, ad, w.secret, w.secret_len, &secret,
						&slen), 0);
	snprintf(ad, sizeof(ad), "webhook/%s", newid);
	assert_int_equal(sk_vault_seal_system(t->vault, ad, secret, slen, &sealed, &sealed_len), 0);
	sk_free(secret);
	snprintf(w.id, sizeof(w.id), "%s", newid);
	if (url)
		snprintf(w.url, sizeof(w.url), "%s", url);
	w.secret = sealed;
	w.secret_len = sealed_len;
	assert_int_equal(sk_store_webhook_delete(t->store, id), 0);
	assert_int_equal(sk_store_webhook_put(t->store, &w), 0);
	sk_free(sealed);
}

static json_t *one_attempt(struct tenv *t, const char *id, const struct sk_delivery_config *cfg)
{
	struct sk_webhook_rec w;
	int sent;
	assert_int_equal(sk_store_webhook_get(t->store, id, &w), 0);
	w.next_attempt_at = 0;
	assert_int_equal(sk_store_webhook_state(t->store, &w), 0);
	assert_int_equal(sk_delivery_pass(t->core, cfg, 1, &sent, &t->err), 0);
	return status_of(t, id);
}

/* last_error is one fixed text per kind of failure: never an address, a host name, a
 * resolver's answer, or curl's own words. */
static void failure_texts(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct tsrv *silent = tsrv_new(NULL);
	struct tsrv *s500 = tsrv_new("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"
				     "Connection: close\r\n\r\n");
	struct tsrv *ok = tsrv_new(R204);
	char id[SK_ID_LEN + 1];
	struct sk_delivery_config cfg = {.allow_private = 1, .backoff = 5, .retry_for = 1000,
					 .timeout_ms = 400};
	static const char *const revealing[] = {"127.", "localhost", "invalid", "private",
						"loopback", "Couldn't", "Failed", "Could not",
						"port", "::1"};
	struct {
		const char *url; /* %d: the port */
		int port, allow_private;
		const char *text;
	} cases[] = {
		{"http://127.0.0.1:1/h%d", 0, 1, "connection refused"},
		{"http://127.0.0.1:%d/h", silent->port, 1, "timed out: no answer in time"},
		{"http://127.0.0.1:%d/h", s500->port, 1, "answered HTTP 500"},
		{"https://127.0.0.1:%d/h", s500->port, 1,
		 "TLS failed: handshake or certificate not accepted"},
		{"http://127.0.0.1:%d/h", ok->port, 0,
		 "refused: the host resolves to an address that webhooks may not reach"},
		{"http://localhost:%d/h", ok->port, 0,
		 "refused: the host resolves to an address that webhooks may not reach"},
		{"http://[::1]:%d/h", ok->port, 0,
		 "refused: the host resolves to an address that webhooks may not reach"},
		{"http://no-such-host.invalid:%d/h", ok->port, 1, "the host name did not resolve"},
	};
	assert_int_equal(t_consent(t, "a@example.com", "newsletter", SK_ACT_GIVE, "form", "test", 0), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char url[128];
		add_at(t, "http://127.0.0.1:%d/x", ok->port, id);
		snprintf(url, sizeof(url), cases[i].url, cases[i].port);
		endpoint_move(t, id, "w_aaaaaaaaaaaaaaaaaaaaaaaa", url);
		/* the cursor back by one, so that one change is due */
		struct sk_webhook_rec w;
		assert_int_equal(sk_store_webhook_get(t->store, "w_aaaaaaaaaaaaaaaaaaaaaaaa", &w), 0);
		w.cursor--;
		assert_int_equal(sk_store_webhook_state(t->store, &w), 0);
		cfg.allow_private = cases[i].allow_private;
		int before = atomic_load(&ok->nreq);
		json_t *o = one_attempt(t, "w_aaaaaaaaaaaaaaaaaaaaaaaa", &cfg);
		const char *e = json_string_value(json_object_get(o, "last_error"));
		if (!e || strcmp(e, cases[i].text) != 0)
			fail_msg("%s: last_error '%s', expected '%s'", url, e ? e : "(null)",
				 cases[i].text);
		for (size_t j = 0; j < sizeof(revealing) / sizeof(revealing[0]); j++)
			if (strstr(e, revealing[j]))
				fail_msg("%s: last_error '%s' reveals '%s'", url, e, revealing[j]);
		assert_int_equal(jint(o, "failures"), 1);
		json_decref(o);
		/* a refused address is never connected to */
		assert_int_equal(atomic_load(&ok->nreq), before);
		assert_int_equal(sk_webhook_remove(t->core, "w_aaaaaaaaaaaaaaaaaaaaaaaa", &t->err), 0);
	}
	/* every kind has its text, none empty but success, none with an address */
	char text[128];
	for (int f = SK_WH_BAD_URL; f <= SK_WH_OTHER; f++) {
		sk_webhook_fail_text((enum sk_webhook_fail)f, 503, text, sizeof(text));
		assert_true(strlen(text) > 5);
		assert_null(strpbrk(text, "%@/"));
	}
	sk_webhook_fail_text(SK_WH_HTTP, 429, text, sizeof(text));
	assert_string_equal(text, "answered HTTP 429");
	tsrv_free(silent);
	tsrv_free(s500);
	tsrv_free(ok);
	tenv_free(t);
}

static void retry_after_values(void **state)
{
	(void)state;
	int64_t now;
	assert_int_equal(sk_time_parse("2026-01-01T00:00:00Z", &now), 0);
	static const struct {
		const char *v;
		int64_t want;
	} cases[] = {
		{"120", 120}, {" 7 \r\n", 7}, {"0", 0}, {"3600", 3600}, {"3601", 3600},
		{"99999999999999", 3600}, {"", -1}, {"abc", -1}, {"-5", -1}, {"12.5", -1},
		{"1e3", -1}, {"Thu, 01 Jan 2026 00:02:00 GMT", 120},
		{"Thursday, 01-Jan-26 00:02:00 GMT", 120}, {"Thu Jan  1 00:02:00 2026", 120},
		{"Wed, 31 Dec 2025 23:00:00 GMT", 0}, {"Fri, 02 Jan 2026 00:00:00 GMT", 3600},
		{"Thu, 99 Foo 2026 00:00:00 GMT", -1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t got = sk_webhook_retry_after(cases[i].v, now);
		if (got != cases[i].want)
			fail_msg("Retry-After '%s': %lld, expected %lld", cases[i].v, (long long)got,
				 (long long)cases[i].want);
	}
}

/* A 429 or 503 with Retry-After waits at least that long (at most an hour); other statuses
 * ignore it; the give-up clock is not hurried by it. */
static void retry_after_honoured(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct tsrv *r503 = tsrv_new("HTTP/1.1 503 Busy\r\nRetry-After: 120\r\nContent-Length: 0\r\n"
				     "Connection: close\r\n\r\n");
	struct tsrv *r429 = tsrv_new("HTTP/1.1 429 Too Many\r\nretry-after: Thu, 01 Jan 2026 "
				     "00:30:00 GMT\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
	struct tsrv *rbig = tsrv_new("HTTP/1.1 503 Busy\r\nRetry-After: 86400\r\nContent-Length: 0"
				     "\r\nConnection: close\r\n\r\n");
	struct tsrv *r500 = tsrv_new("HTTP/1.1 500 Oops\r\nRetry-After: 120\r\nContent-Length: 0\r\n"
				     "Connection: close\r\n\r\n");
	struct tsrv *rshort = tsrv_new("HTTP/1.1 503 Busy\r\nRetry-After: 1\r\nContent-Length: 0\r\n"
				       "Connection: close\r\n\r\n");
	struct {
		struct tsrv *srv;
		const char *next; /* next_attempt_at after a failure at 00:00:00 */
	} cases[] = {
		{r503, "2026-01-01T00:02:00Z"},  /* 120 s */
		{r429, "2026-01-01T00:30:00Z"},  /* the date */
		{rbig, "2026-01-01T01:00:00Z"},  /* capped at an hour */
		{r500, "2026-01-01T00:00:05Z"},  /* not on a 500: the back-off */
		{rshort, "2026-01-01T00:00:05Z"}, /* never sooner than the back-off */
	};
	struct sk_delivery_config cfg = {.allow_private = 1, .backoff = 5, .retry_for = 300,
					 .timeout_ms = 2000};
	char id[SK_ID_LEN + 1];
	setenv("SAMTYCKE_NOW", "2026-01-01T00:00:00Z", 1);
	assert_int_equal(t_consent(t, "a@example.com", "newsletter", SK_ACT_GIVE, "form", "test", 0), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		add_at(t, "http://127.0.0.1:%d/h", cases[i].srv->port, id);
		struct sk_webhook_rec w;
		assert_int_equal(sk_store_webhook_get(t->store, id, &w), 0);
		w.cursor--;
		assert_int_equal(sk_store_webhook_state(t->store, &w), 0);
		json_t *o = one_attempt(t, id, &cfg);
		assert_int_equal(atomic_load(&cases[i].srv->nreq), 1);
		assert_int_equal(jint(o, "failures"), 1);
		const char *next = json_string_value(json_object_get(o, "next_attempt_at"));
		if (!next || strcmp(next, cases[i].next) != 0)
			fail_msg("case %zu: next_attempt_at %s, expected %s", i, next ? next : "null",
				 cases[i].next);
		json_decref(o);
		assert_int_equal(sk_webhook_remove(t->core, id, &t->err), 0);
	}
	/* Retried as Retry-After says, the change is given up only when the retry period
	 * (300 s from the first failure) has passed, not after a number of attempts. */
	add_at(t, "http://127.0.0.1:%d/h", r503->port, id);
	struct sk_webhook_rec w;
	assert_int_equal(sk_store_webhook_get(t->store, id, &w), 0);
	w.cursor--;
	assert_int_equal(sk_store_webhook_state(t->store, &w), 0);
	int64_t at;
	assert_int_equal(sk_time_parse("2026-01-01T00:00:00Z", &at), 0);
	int attempts = 0;
	for (;;) {
		char ts[SK_TIME_STRLEN];
		sk_time_format(at, ts);
		setenv("SAMTYCKE_NOW", ts, 1);
		int sent;
		assert_int_equal(sk_delivery_pass(t->core, &cfg, 1, &sent, &t->err), 0);
		assert_int_equal(sent, 1);
		attempts++;
		json_t *o = status_of(t, id);
		if (jint(o, "failed_changes")) {
			json_decref(o);
			break;
		}
		assert_int_equal(jint(o, "failures"), attempts);
		int64_t next;
		assert_int_equal(sk_time_parse(json_string_value(json_object_get(o, "next_attempt_at")),
					       &next), 0);
		assert_true(next - at >= 120);
		json_decref(o);
		at = next;
	}
	/* 0, 120, 240 failed and were retried; 360 is past the period */
	assert_int_equal(attempts, 4);
	unsetenv("SAMTYCKE_NOW");
	tsrv_free(r503);
	tsrv_free(r429);
	tsrv_free(rbig);
	tsrv_free(r500);
	tsrv_free(rshort);
	tenv_free(t);
}

/* http_proxy and friends in the environment are not used; a configured proxy is. */
static void proxy_from_environment_ignored(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct tsrv *ok = tsrv_new(R204);
	struct sk_errctx e;
	char id[SK_ID_LEN + 1];
	struct sk_delivery_config cfg = {.allow_private = 1, .backoff = 5, .retry_for = 1000,
					 .timeout_ms = 2000};
	setenv("http_proxy", "http://127.0.0.1:1", 1);
	setenv("HTTPS_PROXY", "http://127.0.0.1:1", 1);
	setenv("all_proxy", "http://127.0.0.1:1", 1);
	setenv("ALL_PROXY", "http://127.0.0.1:1", 1);
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	assert_int_equal(t_consent(t, "a@example.com", "newsletter", SK_ACT_GIVE, "form", "test", 0), 0);
	add_at(t, "http://127.0.0.1:%d/h", ok->port, id);
	struct sk_webhook_rec w;
	assert_int_equal(sk_store_webhook_get(t->store, id, &w), 0);
	int64_t cursor = --w.cursor;
	assert_int_equal(sk_store_webhook_state(t->store, &w), 0);
	json_t *o = one_attempt(t, id, &cfg);
	assert_int_equal(atomic_load(&ok->nreq), 1);
	assert_int_equal(jint(o, "last_delivered_seq"), cursor + 1);
	assert_int_equal(jint(o, "last_status"), 204);
	json_decref(o);
	/* the request went straight to the receiver, not in proxy form */
	assert_int_equal(strncmp(ok->last, "POST /h HTTP/1.1", 16), 0);
	/* a configured proxy is used: a dead one fails the attempt */
	w.cursor = cursor;
	assert_int_equal(sk_store_webhook_get(t->store, id, &w), 0);
	w.cursor = cursor;
	assert_int_equal(sk_store_webhook_state(t->store, &w), 0);
	cfg.proxy = "http://127.0.0.1:1";
	o = one_attempt(t, id, &cfg);
	assert_int_equal(atomic_load(&ok->nreq), 1);
	assert_string_equal(json_string_value(json_object_get(o, "last_error")),
			    "the configured proxy failed");
	json_decref(o);
	unsetenv("http_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	/* --webhook-proxy values */
	assert_int_equal(sk_delivery_proxy_check("http://proxy.example.com:3128", &e), 0);
	assert_int_equal(sk_delivery_proxy_check("https://proxy.example.com", &e), 0);
	assert_int_equal(sk_delivery_proxy_check("socks5h://127.0.0.1:1080", &e), 0);
	assert_int_equal(sk_delivery_proxy_check("proxy.example.com:3128", &e), SK_ERR_INVALID);
	assert_non_null(strstr(e.msg, "--webhook-proxy"));
	assert_int_equal(sk_delivery_proxy_check("ftp://proxy.example.com", &e), SK_ERR_INVALID);
	assert_int_equal(sk_delivery_proxy_check("http://", &e), SK_ERR_INVALID);
	assert_int_equal(sk_delivery_proxy_check("", &e), SK_ERR_INVALID);
	tsrv_free(ok);
	tenv_free(t);
}

/* header NAME of the request head in v->last, copied to out; 0 when absent. */
static int head_value(const struct tsrv *v, const char *name, char *out, size_t cap)
{
	char want[64];
	snprintf(want, sizeof(want), "\r\n%s: ", name);
	const char *h = strstr(v->last, want), *end = strstr(v->last, "\r\n\r\n");
	if (!h || !end || h > end)
		return 0;
	h += strlen(want);
	size_t n = strcspn(h, "\r\n");
	if (n >= cap)
		return 0;
	memcpy(out, h, n);
	out[n] = '\0';
	return 1;
}

/* What a receiver checks (Standard Webhooks): each delivery carries webhook-id,
 * webhook-timestamp (now, within the 5 minutes receivers accept) and webhook-signature, the
 * signature of that id, that timestamp and the body as sent, under the endpoint's own
 * secret; each change has its own id. */
static void deliveries_are_signed(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct tsrv *rx = tsrv_new(R204);
	char id[SK_ID_LEN + 1], url[128], secret[SK_WEBHOOK_SECRET_MAX], first_id[96] = "";
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", rx->port);
	assert_int_equal(sk_webhook_add(t->core, url, "all", NULL, 1, id, secret, &t->err), 0);
	struct sk_delivery_config cfg = {.allow_private = 1, .backoff = 5, .retry_for = 1000,
					 .timeout_ms = 4000};
	for (int round = 0; round < 2; round++) {
		assert_int_equal(t_consent(t, "a@example.com", "newsletter",
					   round ? SK_ACT_WITHDRAW : SK_ACT_GIVE, "form", "test", 0), 0);
		int before = atomic_load(&rx->nreq), sent = 0;
		assert_int_equal(sk_delivery_pass(t->core, &cfg, 1, &sent, &t->err), 0);
		assert_int_equal(atomic_load(&rx->nreq), before + 1);
		char msg_id[96], ts[32], sig[256], want[SK_WEBHOOK_SIG_MAX];
		if (!head_value(rx, "webhook-id", msg_id, sizeof(msg_id)) ||
		    !head_value(rx, "webhook-timestamp", ts, sizeof(ts)) ||
		    !head_value(rx, "webhook-signature", sig, sizeof(sig)))
			fail_msg("a delivery without webhook-id, webhook-timestamp or "
				 "webhook-signature:\n%s", rx->last);
		const char *body = strstr(rx->last, "\r\n\r\n") + 4;
		assert_true(strspn(ts, "0123456789") == strlen(ts) && ts[0]);
		long long at = strtoll(ts, NULL, 10), now = (long long)sk_time_now();
		if (at < now - 300 || at > now + 300)
			fail_msg("webhook-timestamp %lld is not now (%lld)", at, now);
		assert_int_equal(sk_webhook_sign(secret, msg_id, at, body, strlen(body), want), 0);
		if (strcmp(sig, want) != 0)
			fail_msg("webhook-signature %s is not the signature of id %s, timestamp %s and "
				 "the body under the endpoint's secret (%s)", sig, msg_id, ts, want);
		if (round == 0)
			snprintf(first_id, sizeof(first_id), "%s", msg_id);
		else if (strcmp(first_id, msg_id) == 0)
			fail_msg("two changes were sent with one webhook-id (%s)", msg_id);
	}
	/* a positive control of the comparison: another secret signs otherwise */
	char other[SK_WEBHOOK_SIG_MAX], mine[SK_WEBHOOK_SIG_MAX];
	assert_int_equal(sk_webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "m", 1, "x", 1,
					 other), 0);
	assert_int_equal(sk_webhook_sign(secret, "m", 1, "x", 1, mine), 0);
	assert_string_not_equal(other, mine);
	tsrv_free(rx);
	tenv_free(t);
}

/* Three endpoints that never answer, served first, and a healthy one: the healthy one has
 * the change within about a second. Stopping abandons the hanging requests at once and
 * does not count them against the receivers. */
static void independent_endpoints(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct tsrv *dead[3], *ok = tsrv_new(R204);
	char id[SK_ID_LEN + 1];
	static const char *const dead_ids[] = {"w_000000000000000000000001",
					       "w_000000000000000000000002",
					       "w_000000000000000000000003"};
	for (int i = 0; i < 3; i++) {
		dead[i] = tsrv_new(NULL);
		add_at(t, "http://127.0.0.1:%d/dead", dead[i]->port, id);
		endpoint_move(t, id, dead_ids[i], NULL);
	}
	add_at(t, "http://127.0.0.1:%d/ok", ok->port, id);
	endpoint_move(t, id, "w_zzzzzzzzzzzzzzzzzzzzzzzz", NULL); /* listed last */
	struct sk_delivery_config cfg = {.db = t->uri, .vault = t->vault, .allow_private = 1,
					 .backoff = 5, .retry_for = 1000, .timeout_ms = 8000,
					 .poll_ms = 50};
	struct sk_delivery *d = NULL;
	assert_int_equal(sk_delivery_start(&cfg, &d, &t->err), 0);
	long long t0 = mono_ms();
	assert_int_equal(t_consent(t, "a@example.com", "newsletter", SK_ACT_GIVE, "form", "test", 0), 0);
	while (atomic_load(&ok->nreq) < 2 && mono_ms() - t0 < 6000)
		usleep(10000);
	long long took = atomic_load(&ok->first_ms) - t0;
	if (atomic_load(&ok->nreq) < 2 || took > 1500)
		fail_msg("the healthy endpoint got %d requests, the first after %lld ms",
			 atomic_load(&ok->nreq), took);
	/* the dead ones were all tried at once (their requests hang) */
	usleep(200000);
	long long s0 = mono_ms();
	sk_delivery_stop(d);
	long long stop_ms = mono_ms() - s0;
	if (stop_ms > 1500)
		fail_msg("stopping took %lld ms", stop_ms);
	for (int i = 0; i < 3; i++) {
		json_t *o = status_of(t, dead_ids[i]);
		assert_int_equal(jint(o, "failures"), 0); /* abandoned, not failed */
		assert_int_equal(jint(o, "pending"), 2);
		json_decref(o);
		tsrv_free(dead[i]);
	}
	json_t *o = status_of(t, "w_zzzzzzzzzzzzzzzzzzzzzzzz");
	assert_int_equal(jint(o, "pending"), 0);
	json_decref(o);
	tsrv_free(ok);
	tenv_free(t);
}

/* A change committed by this process wakes the delivery through the core's change hook:
 * with a poll interval of a minute, the receiver still has the consent within seconds (the
 * 5 s bound is far above the time it takes and far below the poll; no speed is asserted).
 * Without the hook it would wait for the next poll, a minute away. */
static void commit_wakes_delivery(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct tsrv *ok = tsrv_new(R204);
	char id[SK_ID_LEN + 1];
	add_at(t, "http://127.0.0.1:%d/ok", ok->port, id);
	struct sk_delivery_config cfg = {.db = t->uri, .vault = t->vault, .allow_private = 1,
					 .backoff = 5, .retry_for = 1000, .timeout_ms = 8000,
					 .poll_ms = 60000};
	struct sk_delivery *d = NULL;
	assert_int_equal(sk_delivery_start(&cfg, &d, &t->err), 0);
	sk_core_set_change_hook(sk_delivery_wake, d);
	usleep(300000); /* the dispatcher's first look (nothing due) is over; it sleeps */
	assert_int_equal(atomic_load(&ok->nreq), 0);
	long long t0 = mono_ms();
	assert_int_equal(t_consent(t, "a@example.com", "newsletter", SK_ACT_GIVE, "form", "test", 0), 0);
	while (atomic_load(&ok->nreq) < 2 && mono_ms() - t0 < 5000)
		usleep(5000);
	int got = atomic_load(&ok->nreq);
	/* a withdrawal, the same way */
	long long t1 = mono_ms();
	assert_int_equal(t_consent(t, "a@example.com", "newsletter", SK_ACT_WITHDRAW, "form", "test", 0),
			 0);
	while (atomic_load(&ok->nreq) < got + 1 && mono_ms() - t1 < 5000)
		usleep(5000);
	int got2 = atomic_load(&ok->nreq);
	/* the receiver counts a request before it answers; the cursor moves after the answer */
	long long pending = -1;
	for (long long t2 = mono_ms(); pending != 0 && mono_ms() - t2 < 5000; usleep(5000)) {
		json_t *o = status_of(t, id);
		pending = jint(o, "pending");
		json_decref(o);
	}
	sk_core_set_change_hook(NULL, NULL);
	sk_delivery_stop(d);
	if (got < 2 || got2 < got + 1)
		fail_msg("the receiver got %d requests after the consent and %d after the withdrawal "
			 "(the commit did not wake the delivery)", got, got2);
	assert_int_equal(pending, 0);
	tsrv_free(ok);
	tenv_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(signature_known_vector),
		cmocka_unit_test(deliveries_are_signed),
		cmocka_unit_test(every_change_is_sent_as_its_event),
		cmocka_unit_test(url_literals),
		cmocka_unit_test(url_checks),
		cmocka_unit_test(url_split_agrees_with_curl),
		cmocka_unit_test(event_lists),
		cmocka_unit_test(payload_ids_only),
		cmocka_unit_test(endpoints_and_secret),
		cmocka_unit_test(delivery_backs_off_then_gives_up),
		cmocka_unit_test(delivery_under_lease),
		cmocka_unit_test(delivery_storage_failures),
		cmocka_unit_test(add_failures),
		cmocka_unit_test(failure_texts),
		cmocka_unit_test(retry_after_values),
		cmocka_unit_test(retry_after_honoured),
		cmocka_unit_test(proxy_from_environment_ignored),
		cmocka_unit_test(independent_endpoints),
		cmocka_unit_test(commit_wakes_delivery),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
