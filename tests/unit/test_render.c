/* test_render.c: the render layer (src/render) alone: each JSON shape's keys, their order and
 * types for a known input, null for an absent time or id, the receipt and the purposes built
 * from a real core, sk_html's escaping of every special character, and the page catalogue
 * (every message in both languages). Linked with render and the layers below only. */
#include "testlib.h"

#include <jansson.h>

#include "render/page.h"
#include "render/render.h"
#include "util/sktime.h"

/* The object's keys, in order, joined by commas. */
static char *keys_of(json_t *o)
{
	static char out[1024];
	const char *k;
	json_t *v;
	out[0] = '\0';
	assert_true(json_is_object(o));
	json_object_foreach(o, k, v) {
		if (out[0])
			strcat(out, ",");
		strcat(out, k);
	}
	return out;
}

static const char *str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	assert_true(json_is_string(v));
	return json_string_value(v);
}

static int64_t t_at(const char *s)
{
	int64_t t;
	assert_int_equal(sk_time_parse(s, &t), 0);
	return t;
}

static void an_event(struct sk_consent_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->seq = 7;
	strcpy(ev->id, "e_event0000000000000000001");
	strcpy(ev->contact_id, "c_contact00000000000000001");
	strcpy(ev->purpose, "newsletter");
	ev->action = SK_ACT_GIVE;
	ev->occurred_at = t_at("2026-01-02T03:04:05Z");
	ev->recorded_at = t_at("2026-01-02T03:04:06Z");
	ev->method = SK_METHOD_FORM;
	strcpy(ev->source, "form:nl https://www.example.com/page?email=someone@example.com");
	ev->notice_version = 2;
	memset(ev->notice_sha256, 0xab, SK_HASH_LEN);
	strcpy(ev->lang, "sv");
	strcpy(ev->actor, "api:crm");
	ev->flags = SK_EV_UNVERIFIED;
}

static void time_and_duration(void **state)
{
	(void)state;
	json_t *t = sk_json_time(0);
	assert_true(json_is_null(t));
	json_decref(t);
	t = sk_json_time(t_at("2026-01-02T03:04:05Z"));
	assert_string_equal(json_string_value(t), "2026-01-02T03:04:05Z");
	json_decref(t);
	t = sk_json_duration((struct sk_duration){0, 'd'});
	assert_true(json_is_null(t));
	json_decref(t);
	t = sk_json_duration((struct sk_duration){24, 'm'});
	assert_string_equal(json_string_value(t), "24 months");
	json_decref(t);
}

static void event_state_change(void **state)
{
	(void)state;
	struct sk_consent_event ev;
	an_event(&ev);
	json_t *e = sk_json_event(&ev);
	assert_string_equal(keys_of(e), "seq,id,purpose,action,occurred_at,recorded_at,method,"
			    "source,notice_version,notice_sha256,lang,actor,verified,valid_until");
	assert_int_equal(json_integer_value(json_object_get(e, "seq")), 7);
	assert_string_equal(str(e, "occurred_at"), "2026-01-02T03:04:05Z");
	assert_true(json_is_false(json_object_get(e, "verified")));
	assert_true(json_is_null(json_object_get(e, "valid_until")));
	/* a page's query never leaves in an answer */
	assert_null(strstr(str(e, "source"), "someone"));
	assert_int_equal(strlen(str(e, "notice_sha256")), 2 * SK_HASH_LEN);
	json_decref(e);

	struct sk_state st = {0};
	strcpy(st.purpose, "newsletter");
	st.status = SK_ST_GIVEN;
	strcpy(st.event_id, ev.id);
	st.valid_until = t_at("2026-02-01T00:00:00Z");
	st.notice_version = 2;
	json_t *s = sk_json_state(&st, t_at("2026-01-15T00:00:00Z"));
	assert_string_equal(keys_of(s), "purpose,status,event_id,valid_until,notice_version");
	assert_string_equal(str(s, "status"), "given");
	json_decref(s);
	s = sk_json_state(&st, t_at("2026-03-01T00:00:00Z")); /* lapsed: as the gate sees it */
	assert_string_equal(str(s, "status"), "expired");
	json_decref(s);
	st.valid_until = 0;
	s = sk_json_state(&st, t_at("2026-03-01T00:00:00Z"));
	assert_true(json_is_null(json_object_get(s, "valid_until")));
	json_decref(s);

	struct sk_change ch = {.seq = 3, .type = SK_CHG_UNSUPPRESSED,
			       .at = t_at("2026-01-02T03:04:05Z")};
	json_t *c = sk_json_change(&ch);
	assert_string_equal(keys_of(c), "seq,type,contact_id,purpose,status,at");
	assert_true(json_is_null(json_object_get(c, "contact_id")));
	assert_true(json_is_null(json_object_get(c, "purpose")));
	assert_true(json_is_null(json_object_get(c, "status")));
	json_decref(c);
}

static void contact_and_gate(void **state)
{
	(void)state;
	struct sk_field_value f[] = {{"email", "a@example.com"}, {"first_name", "Asa"}};
	struct sk_contact ct = {.id = "c_contact00000000000000001", .created_at = 1,
				.fields = f, .nfields = 2};
	json_t *o = sk_json_contact(&ct);
	assert_string_equal(keys_of(o), "id,created_at,updated_at,fields");
	assert_true(json_is_null(json_object_get(o, "updated_at")));
	assert_string_equal(str(json_object_get(o, "fields"), "first_name"), "Asa");
	json_decref(o);

	struct sk_gate_result g = {.allowed = 0, .reason = SK_RSN_NO_CONSENT};
	o = sk_json_gate(&g);
	assert_string_equal(keys_of(o), "allowed,reason,consent_id");
	assert_true(json_is_false(json_object_get(o, "allowed")));
	assert_true(json_is_null(json_object_get(o, "consent_id")));
	json_decref(o);
	strcpy(g.consent_id, "e_event0000000000000000001");
	g.allowed = 1;
	g.reason = SK_RSN_CONSENT;
	o = sk_json_gate(&g);
	assert_string_equal(str(o, "consent_id"), g.consent_id);
	json_decref(o);
}

static void erasure_and_purge(void **state)
{
	(void)state;
	static const char *const cats[] = {"contact", "fields"};
	struct sk_erasure_receipt r = {.erasure_id = "x_erasure00000000000000001",
				       .contact_id = "c_contact00000000000000001",
				       .erased_at = 1, .categories = cats, .ncategories = 2,
				       .suppressed = 1, .ledger_events_kept = 4};
	json_t *o = sk_json_erasure(&r);
	assert_string_equal(keys_of(o), "erasure_id,contact_id,erased_at,categories,suppressed,"
			    "ledger_events_kept,scrub_pending");
	assert_int_equal(json_array_size(json_object_get(o, "categories")), 2);
	assert_int_equal(json_integer_value(json_object_get(o, "ledger_events_kept")), 4);
	assert_true(json_is_false(json_object_get(o, "scrub_pending")));
	json_decref(o);
	/* an address no contact had: no id, nothing deleted */
	r.contact_id[0] = '\0';
	r.ncategories = 0;
	o = sk_json_erasure(&r);
	assert_true(json_is_null(json_object_get(o, "contact_id")));
	assert_int_equal(json_array_size(json_object_get(o, "categories")), 0);
	json_decref(o);

	char ids[2][SK_ID_LEN + 1] = {"c_a", "c_b"};
	struct sk_purge_report p = {.dry_run = 1, .total = 2};
	p.by_reason[SK_PURGE_EXPIRED].id = ids;
	p.by_reason[SK_PURGE_EXPIRED].n = 2;
	o = sk_json_purge(&p);
	assert_string_equal(keys_of(o), "dry_run,contacts,total,tracking_events");
	/* every reason, in the list's order, even when empty */
	assert_string_equal(keys_of(json_object_get(o, "contacts")),
			    "never_consented,withdrawn,expired,pending,unverified,inactive");
	json_t *ex = json_object_get(json_object_get(o, "contacts"), "expired");
	assert_int_equal(json_array_size(ex), 2);
	assert_string_equal(json_string_value(json_array_get(ex, 1)), "c_b");
	assert_int_equal(json_integer_value(json_object_get(o, "total")), 2);
	json_decref(o);
}

static void export_document(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	const struct sk_policy *pol = sk_core_policy(t->core);
	struct sk_export_event hist[2] = {{.notice_text = "Notice", .evidence_json = "{\"ip\":1}"},
					  {.evidence_json = "not json"}};
	an_event(&hist[0].event);
	an_event(&hist[1].event);
	struct sk_export_consent cons = {.history = hist, .nhistory = 2};
	strcpy(cons.state.purpose, "newsletter");
	cons.state.status = SK_ST_WITHDRAWN;
	const struct sk_purpose *purposes[] = {sk_policy_purpose(pol, "newsletter")};
	struct sk_export_share sh[2] = {{.name = "crm", .scopes = "read"},
					{.webhook = 1, .name = "hook", .url = "https://h.example/",
					 .events = "all"}};
	struct sk_export_rect rect = {.at = 1, .fields = "first_name,company", .actor = "cli"};
	struct sk_access_export x = {.exported_at = 1, .lang = SK_LANG_SV, .policy = pol,
				     .contact = {.id = "c_contact00000000000000001"},
				     .consents = &cons, .nconsents = 1, .purposes = purposes,
				     .npurposes = 1, .shared = sh, .nshared = 2, .rects = &rect,
				     .nrects = 1};
	json_t *o = sk_json_export(&x);
	assert_string_equal(keys_of(o), "exported_at,controller,contact,consents,purposes,"
			    "shared_with,rectifications,visitors,behaviour");
	json_t *c0 = json_array_get(json_object_get(o, "consents"), 0);
	assert_string_equal(keys_of(c0), "purpose,history,status,valid_until,language,validity,"
			    "actor,jurisdiction,retention,withdrawal_method");
	/* the TS 27560 fields: none known yet (no last event, no purpose) are null */
	assert_true(json_is_null(json_object_get(c0, "language")));
	assert_true(json_is_null(json_object_get(c0, "validity")));
	assert_true(json_is_null(json_object_get(c0, "actor")));
	assert_true(json_is_null(json_object_get(c0, "retention")));
	assert_string_equal(str(c0, "jurisdiction"), "SE");
	assert_non_null(strstr(str(c0, "withdrawal_method"), "dpo@example.com"));
	json_t *h = json_object_get(c0, "history");
	assert_string_equal(str(json_array_get(h, 0), "notice_text"), "Notice");
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(json_array_get(h, 0), "evidence"), "ip")), 1);
	/* no stored notice: no key; evidence that does not parse: null */
	assert_null(json_object_get(json_array_get(h, 1), "notice_text"));
	assert_true(json_is_null(json_object_get(json_array_get(h, 1), "evidence")));
	json_t *p0 = json_array_get(json_object_get(o, "purposes"), 0);
	assert_string_equal(keys_of(p0), "id,title,description,legal_basis,kind,validity,"
			    "retention,fields");
	assert_string_equal(str(p0, "title"), "Nyhetsbrev");
	json_t *sw = json_object_get(o, "shared_with");
	assert_string_equal(keys_of(json_array_get(sw, 0)), "name,scopes,kind");
	assert_string_equal(keys_of(json_array_get(sw, 1)), "name,url,events,kind");
	json_decref(o);
	/* with the event that set the state and the purpose: their values */
	cons.last = &hist[1];
	cons.purpose = purposes[0];
	o = sk_json_export(&x);
	c0 = json_array_get(json_object_get(o, "consents"), 0);
	assert_string_equal(str(c0, "language"), "sv");
	assert_string_equal(str(c0, "actor"), "api:crm");
	assert_string_equal(str(c0, "validity"), "24 months");
	assert_string_equal(str(c0, "retention"), "30 days");
	json_t *r0 = json_array_get(json_object_get(o, "rectifications"), 0);
	assert_int_equal(json_array_size(json_object_get(r0, "fields")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(r0, "fields"), 1)),
			    "company");
	json_decref(o);
	tenv_free(t);
}

/* The receipt of an event: a purpose's only entry of services[0].purposes[0]. */
static json_t *receipt_purpose(json_t *rc)
{
	json_t *svc = json_array_get(json_object_get(rc, "services"), 0);
	assert_int_equal(json_array_size(json_object_get(svc, "purposes")), 1);
	return json_array_get(json_object_get(svc, "purposes"), 0);
}

static json_t *receipt_of(struct tenv *t, const char *event_id)
{
	struct sk_consent_receipt r;
	assert_int_equal(sk_receipt(t->core, event_id, &r, &t->err), 0);
	return sk_json_receipt(&r);
}

/* Moved from test_core.c: the receipt's JSON, built from what core says. */
static void receipt_document(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_consent_event ev;
	struct sk_consent_receipt r;
	struct sk_consent_req req = {.email = "anna@example.com", .purpose = "newsletter",
				     .action = SK_ACT_GIVE, .method = "form", .source = "form:nl",
				     .lang = "sv"};
	assert_int_equal(sk_consent_record(t->core, &req, &ev, &t->err), 0);
	assert_int_equal(sk_receipt(t->core, ev.id, &r, &t->err), 0);
	json_t *rc = sk_json_receipt(&r);
	assert_string_equal(json_string_value(json_object_get(rc, "version")), "KI-CR-v1.1.0");
	assert_string_equal(json_string_value(json_object_get(rc, "consentReceiptID")), ev.id);
	assert_string_equal(json_string_value(json_object_get(rc, "piiPrincipalId")), ev.contact_id);
	/* the method in words (SK_METHOD_LIST's phrase), then the source */
	assert_string_equal(str(rc, "collectionMethod"), "Web form (source: form:nl)");
	assert_int_equal(json_integer_value(json_object_get(rc, "consentTimestamp")), ev.occurred_at);
	/* the controller's address as a schema.org PostalAddress, split as the policy splits it */
	json_t *ctl = json_array_get(json_object_get(rc, "piiControllers"), 0);
	json_t *addr = json_object_get(ctl, "address");
	assert_string_equal(keys_of(addr), "streetAddress,postalCode,addressLocality,addressCountry");
	assert_string_equal(str(addr, "streetAddress"), "Exempelgatan 1");
	assert_string_equal(str(addr, "postalCode"), "111 22");
	assert_string_equal(str(addr, "addressLocality"), "Stockholm");
	assert_string_equal(str(addr, "addressCountry"), "Sweden");
	/* the service is the controller's; the purpose is its title in the event's language */
	json_t *svc = json_array_get(json_object_get(rc, "services"), 0);
	assert_string_equal(str(svc, "service"), "Exempel AB");
	json_t *pur = receipt_purpose(rc);
	assert_string_equal(str(pur, "purpose"), "Nyhetsbrev");
	assert_string_equal(str(pur, "consentType"), "EXPLICIT");
	assert_non_null(strstr(str(pur, "termination"), "valid until "));
	/* Kantara's categories, not the policy's words: newsletter is communication, its fields
	 * email (contact) and first_name (biographical) */
	json_t *pc = json_object_get(pur, "purposeCategory");
	assert_int_equal(json_array_size(pc), 1);
	assert_string_equal(json_string_value(json_array_get(pc, 0)), "Marketing");
	json_t *pii = json_object_get(pur, "piiCategory");
	assert_int_equal(json_array_size(pii), 2);
	assert_string_equal(json_string_value(json_array_get(pii, 0)), "Biographical");
	assert_string_equal(json_string_value(json_array_get(pii, 1)), "Contact");
	/* nothing personal but the opaque id */
	char *text = json_dumps(rc, 0);
	assert_null(strstr(text, "anna"));
	free(text);
	json_decref(rc);
	/* a purpose no longer in the policy: its id, and no category is claimed */
	r.purpose = NULL;
	r.purpose_category = NULL;
	r.npii = 0;
	rc = sk_json_receipt(&r);
	pur = receipt_purpose(rc);
	assert_string_equal(str(pur, "purpose"), "newsletter");
	assert_int_equal(json_array_size(json_object_get(pur, "purposeCategory")), 0);
	assert_int_equal(json_array_size(json_object_get(pur, "piiCategory")), 0);
	json_decref(rc);
	tenv_free(t);
}

/* Receipts of the events that refuse and end a consent say so, with the event's time. */
static void receipt_terms_follow_the_event(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_consent_event ev;
	char at[SK_TIME_STRLEN], want[128];

	struct sk_consent_req req = {.email = "anna@example.com", .purpose = "lead_scoring",
				     .action = SK_ACT_REFUSE, .method = "api", .source = "crm"};
	assert_int_equal(sk_consent_record(t->core, &req, &ev, &t->err), 0);
	json_t *rc = receipt_of(t, ev.id);
	json_t *pur = receipt_purpose(rc);
	assert_string_equal(str(pur, "consentType"), "REFUSED");
	sk_time_format(ev.occurred_at, at);
	snprintf(want, sizeof(want), "no consent: refused at %s;", at);
	assert_non_null(strstr(str(pur, "termination"), want));
	assert_null(strstr(str(pur, "termination"), "valid until"));
	assert_int_equal(json_integer_value(json_object_get(rc, "consentTimestamp")), ev.occurred_at);
	assert_string_equal(str(rc, "collectionMethod"),
			    "Recorded by a connected system via the API (source: crm)");
	/* lead scoring is profiling: its score is a category of its own */
	json_t *pii = json_object_get(pur, "piiCategory");
	assert_string_equal(json_string_value(json_array_get(pii, json_array_size(pii) - 1)),
			    "Profiling");
	json_decref(rc);

	req.action = SK_ACT_GIVE;
	assert_int_equal(sk_consent_record(t->core, &req, &ev, &t->err), 0);
	req.action = SK_ACT_WITHDRAW;
	req.method = "one_click";
	req.source = "";
	assert_int_equal(sk_consent_record(t->core, &req, &ev, &t->err), 0);
	rc = receipt_of(t, ev.id);
	pur = receipt_purpose(rc);
	assert_string_equal(str(pur, "consentType"), "WITHDRAWN");
	sk_time_format(ev.occurred_at, at);
	snprintf(want, sizeof(want), "ended: withdrawn at %s;", at);
	assert_non_null(strstr(str(pur, "termination"), want));
	assert_null(strstr(str(pur, "termination"), "valid until"));
	assert_string_equal(str(rc, "collectionMethod"), "One-click unsubscribe in an e-mail");
	json_decref(rc);
	tenv_free(t);
}

/* The expiry of a pending consent that was never confirmed ends it: its receipt says so. */
static void receipt_of_an_expiry(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_consent_event ev;
	struct sk_consent_req req = {.email = "bo@example.com", .purpose = "newsletter",
				     .action = SK_ACT_GIVE, .method = "form", .source = "form:nl",
				     .lang = "en", .double_opt_in = 1};
	long expired, deleted;
	char at[SK_TIME_STRLEN], want[128];

	/* another consent keeps the contact (and its states) after the expiry */
	assert_int_equal(t_consent(t, "bo@example.com", "offers", SK_ACT_GIVE, "form", "form:nl",
				   0), 0);
	assert_int_equal(sk_consent_record(t->core, &req, &ev, &t->err), 0);
	json_t *rc = receipt_of(t, ev.id);
	json_t *pur = receipt_purpose(rc);
	assert_string_equal(str(pur, "consentType"), "EXPLICIT");
	assert_non_null(strstr(str(pur, "termination"), "not in force until the person confirms"));
	json_decref(rc);

	int64_t later = sk_time_now() + 8 * 86400LL;
	assert_int_equal(sk_pending_expire(t->core, later, 7, &expired, &deleted, &t->err), 0);
	assert_int_equal(expired, 1);
	struct sk_state st;
	assert_int_equal(sk_consent_state(t->core, ev.contact_id, "newsletter", &st, &t->err), 0);
	rc = receipt_of(t, st.event_id);
	pur = receipt_purpose(rc);
	assert_string_equal(str(pur, "consentType"), "EXPIRED");
	sk_time_format(json_integer_value(json_object_get(rc, "consentTimestamp")), at);
	snprintf(want, sizeof(want), "ended: expired at %s;", at);
	assert_non_null(strstr(str(pur, "termination"), want));
	assert_true(json_integer_value(json_object_get(rc, "consentTimestamp")) > 0);
	json_decref(rc);
	tenv_free(t);
}

/* An unverified import: no invented consent time, and it says it is not relied on. */
static void receipt_of_an_unverified_import(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_consent_event ev;
	struct sk_consent_req req = {.email = "cai@example.com", .purpose = "newsletter",
				     .action = SK_ACT_GIVE, .method = "import", .source = "crm.csv"};
	assert_int_equal(sk_consent_record(t->core, &req, &ev, &t->err), 0);
	assert_true(ev.flags & SK_EV_UNVERIFIED);
	json_t *rc = receipt_of(t, ev.id);
	/* no time was claimed: 0, never the time of the import */
	assert_int_equal(json_integer_value(json_object_get(rc, "consentTimestamp")), 0);
	json_t *pur = receipt_purpose(rc);
	assert_string_equal(str(pur, "consentType"), "UNVERIFIED");
	assert_non_null(strstr(str(pur, "termination"), "not in force"));
	assert_null(strstr(str(pur, "termination"), "valid until"));
	json_decref(rc);
	/* a claimed time without a source: the claimed time, still unverified */
	int64_t claimed = t_at("2024-05-01T10:00:00Z");
	req.email = "dag@example.com";
	req.source = "";
	req.occurred_at = claimed;
	assert_int_equal(sk_consent_record(t->core, &req, &ev, &t->err), 0);
	rc = receipt_of(t, ev.id);
	assert_int_equal(json_integer_value(json_object_get(rc, "consentTimestamp")), claimed);
	assert_string_equal(str(receipt_purpose(rc), "consentType"), "UNVERIFIED");
	assert_string_equal(str(rc, "collectionMethod"), "Imported from another system");
	json_decref(rc);
	tenv_free(t);
}

/* One purpose shape: GET /v1/purposes and policy show --json print the same purposes. */
static void purposes_and_policy(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_notice_set *ns;
	const struct sk_policy *pol = sk_core_policy(t->core);
	assert_int_equal(sk_policy_notices(t->core, &ns, &t->err), 0);
	json_t *list = sk_json_purposes(pol, ns);
	json_t *doc = sk_json_policy(pol, sk_core_policy_version(t->core), ns);
	assert_string_equal(keys_of(doc), "policy_version,organisation,fields,purposes");
	assert_true(json_equal(json_object_get(list, "purposes"), json_object_get(doc, "purposes")));
	json_t *p0 = json_array_get(json_object_get(list, "purposes"), 0);
	assert_string_equal(keys_of(p0), "id,kind,legal_basis,double_opt_in,validity,retention,"
			    "fields,title,description,notice");
	json_t *notice = json_object_get(p0, "notice");
	assert_string_equal(keys_of(notice), "version,text,sha256");
	assert_string_equal(keys_of(json_object_get(notice, "text")), "sv,en");
	assert_string_equal(str(json_object_get(notice, "text"), "en"),
			    pol->purposes[0].notice[SK_LANG_EN]);
	assert_int_equal(strlen(str(json_object_get(notice, "sha256"), "sv")), 2 * SK_HASH_LEN);
	json_decref(list);
	json_decref(doc);
	sk_notice_sets_free(ns, pol->npurposes);
	tenv_free(t);
}

static void small_answers(void **state)
{
	(void)state;
	struct sk_csv_import_report rep = {.counts = {.rows = 3, .fields_dropped = 9},
					   .file_sha256 = "ab"};
	json_t *o = sk_json_import_report(&rep, 1);
	assert_string_equal(keys_of(o), "file_sha256,dry_run,already_complete,resumed_after,rows,"
			    "created,updated,given,unverified,refused,unchanged,rejected,"
			    "fields_dropped");
	assert_int_equal(json_integer_value(json_object_get(o, "fields_dropped")), 9);
	assert_true(json_is_true(json_object_get(o, "dry_run")));
	json_decref(o);
	o = sk_json_import_answer(&rep, 0, json_array(), 1);
	assert_true(json_is_array(json_object_get(o, "rejects")));
	assert_true(json_is_true(json_object_get(o, "rejects_truncated")));
	json_decref(o);

	struct sk_audit au = {.events = 5};
	o = sk_json_audit(&au);
	assert_string_equal(keys_of(o), "ok,events,head,scrub_pending");
	assert_true(json_is_null(json_object_get(o, "scrub_pending")));
	json_decref(o);
	au = (struct sk_audit){.broken = 1, .events = 5, .first_bad_seq = 3,
			       .scrub_since = t_at("2026-01-02T03:04:05Z")};
	o = sk_json_audit(&au);
	assert_string_equal(keys_of(o), "ok,events,first_bad_seq,scrub_pending");
	assert_string_equal(str(json_object_get(o, "scrub_pending"), "since"),
			    "2026-01-02T03:04:05Z");
	json_decref(o);

	o = sk_json_suppressed(1, NULL);
	assert_string_equal(keys_of(o), "suppressed");
	json_decref(o);
	o = sk_json_suppressed(1, "opted_out");
	assert_string_equal(keys_of(o), "suppressed,reason");
	json_decref(o);
	o = sk_json_key_revoked("crm");
	assert_string_equal(keys_of(o), "name,revoked");
	json_decref(o);
	o = sk_json_key_revoked(NULL);
	assert_string_equal(keys_of(o), "revoked");
	json_decref(o);

	const char *given[] = {"newsletter"};
	struct sk_form_outcome fo = {.given = {given[0]}, .ngiven = 1};
	o = sk_json_form_outcome(&fo);
	assert_string_equal(keys_of(o), "status,given,pending,ignored");
	assert_int_equal(json_array_size(json_object_get(o, "given")), 1);
	assert_int_equal(json_array_size(json_object_get(o, "ignored")), 0);
	json_decref(o);
}

static void html_escapes_every_special_character(void **state)
{
	(void)state;
	struct sk_buf b;
	sk_buf_init(&b, 4096);
	assert_int_equal(sk_html(&b, "<p title=\"%s\">%s</p>", "a\"b'c", "<script>&x</script>"), 0);
	assert_string_equal(b.data, "<p title=\"a&quot;b&#39;c\">&lt;script&gt;&amp;x&lt;/script&gt;</p>");
	sk_buf_reset(&b);
	sk_buf_init(&b, 4096);
	/* NULL writes nothing; %d an int; %% a percent sign; anything else is text */
	assert_int_equal(sk_html(&b, "[%s]%d%%%x", (const char *)NULL, -42), 0);
	assert_string_equal(b.data, "[]-42%%x");
	sk_buf_reset(&b);
	/* a whole page: the title is escaped in <title> and in the heading */
	assert_int_equal(sk_page_message(&b, NULL, SK_LANG_SV, "<b>", "a & b"), 0);
	assert_int_equal(sk_page_end(&b, NULL), 0);
	assert_non_null(strstr(b.data, "<html lang=\"sv\">"));
	assert_non_null(strstr(b.data, "<title>&lt;b&gt;</title>"));
	assert_non_null(strstr(b.data, "<h1>&lt;b&gt;</h1>"));
	assert_non_null(strstr(b.data, "<p>a &amp; b</p>"));
	assert_null(strstr(b.data, "<b>"));
	sk_buf_reset(&b);
	/* a page over its cap is an error, not a truncated page */
	char *big = malloc(SK_PAGE_MAX);
	memset(big, 'x', SK_PAGE_MAX - 1);
	big[SK_PAGE_MAX - 1] = '\0';
	assert_int_not_equal(sk_page_message(&b, NULL, SK_LANG_EN, "t", big), 0);
	sk_buf_reset(&b);
	free(big);
}

static void catalogue_has_every_message_in_both_languages(void **state)
{
	(void)state;
	for (int m = 0; m < SK_PAGE_NMSG; m++)
		for (int l = 0; l < SK_NLANG; l++) {
			const char *s = sk_page_msg(l, (enum sk_page_msg)m);
			assert_non_null(s);
			assert_true(s[0] != '\0');
		}
	/* Swedish where asked, English otherwise */
	assert_string_equal(sk_page_msg(SK_LANG_SV, SK_MSG_SEND), "Skicka");
	assert_string_equal(sk_page_msg(SK_LANG_EN, SK_MSG_SEND), "Send");
	assert_string_equal(sk_page_msg(99, SK_MSG_SEND), "Send");
}

static void form_and_confirm_pages(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	const struct sk_policy *pol = sk_core_policy(t->core);
	assert_true(pol->nforms > 0);
	struct sk_buf b;
	for (int l = 0; l < SK_NLANG; l++) {
		assert_int_equal(sk_page_form(&b, pol, &pol->forms[0], l, "website"), 0);
		assert_non_null(strstr(b.data, sk_page_msg(l, SK_MSG_SEND)));
		assert_non_null(strstr(b.data, "name=\"website\""));
		assert_null(strstr(b.data, " checked")); /* never pre-ticked */
		sk_buf_reset(&b);
	}
	assert_int_equal(sk_page_confirm(&b, NULL, SK_LANG_SV, "tok\"en<", NULL), 0);
	assert_non_null(strstr(b.data, "action=\"/f/confirm/tok&quot;en&lt;\""));
	assert_non_null(strstr(b.data, sk_page_msg(SK_LANG_SV, SK_MSG_CONFIRM_TEXT)));
	sk_buf_reset(&b);
	/* with what the link is about: the purposes' titles, in the page's language, escaped */
	struct sk_purpose p = {.id = "x"};
	p.title[SK_LANG_SV] = "Nyhetsbrev <b>";
	p.title[SK_LANG_EN] = "Newsletter";
	struct sk_link_info li = {.state = SK_LINK_OPEN, .lang = SK_LANG_SV, .npurposes = 1};
	li.purposes[0] = &p;
	assert_int_equal(sk_page_confirm(&b, NULL, SK_LANG_SV, "tok", &li), 0);
	assert_non_null(strstr(b.data, sk_page_msg(SK_LANG_SV, SK_MSG_CONFIRM_WHAT)));
	assert_non_null(strstr(b.data, "<li>Nyhetsbrev &lt;b&gt;</li>"));
	assert_null(strstr(b.data, "Newsletter"));
	assert_non_null(strstr(b.data, "action=\"/f/confirm/tok\""));
	sk_buf_reset(&b);
	assert_int_equal(sk_page_confirmed(&b, NULL, SK_LANG_EN, &li, 1, NULL), 0);
	assert_non_null(strstr(b.data, sk_page_msg(SK_LANG_EN, SK_MSG_ALREADY_CONFIRMED)));
	assert_non_null(strstr(b.data, "<li>Newsletter</li>"));
	assert_null(strstr(b.data, "<form"));
	sk_buf_reset(&b);
	assert_int_equal(sk_page_confirmed(&b, NULL, SK_LANG_EN, &li, 0, NULL), 0);
	assert_non_null(strstr(b.data, sk_page_msg(SK_LANG_EN, SK_MSG_CONFIRMED_WHAT)));
	assert_null(strstr(b.data, sk_page_msg(SK_LANG_EN, SK_MSG_ALREADY_CONFIRMED)));
	assert_null(strstr(b.data, "/p/"));
	sk_buf_reset(&b);
	/* with the person's own link to the preference centre, escaped */
	assert_int_equal(sk_page_confirmed(&b, NULL, SK_LANG_SV, &li, 0, "/p/a\"b"), 0);
	assert_non_null(strstr(b.data, "<a href=\"/p/a&quot;b\">Se och ändra dina val</a>"));
	sk_buf_reset(&b);
	tenv_free(t);
}

/* The brand and the landmarks on every page, with no inline style (the CSP forbids it); the
 * stylesheet in the brand's colours, its URL versioned by its text; and the CSP of a page:
 * nothing inline, the brand's origins only, no framing except by a form's own sites. */
static void pages_in_the_brand_with_a_strict_csp(void **state)
{
	(void)state;
	struct sk_policy pol = {.org_name = "Exempel <AB>",
				.org_privacy_url = "https://www.example.com/privacy",
				.brand_logo_url = "https://cdn.example.com/logo.svg?x=1&y=2",
				.brand_primary = "#0b5e3b",
				.brand_stylesheet_url = "https://static.example.com:8443/b.css"};
	struct sk_buf b, css, csp;
	assert_int_equal(sk_page_begin(&b, &pol, SK_LANG_SV, "Tack"), 0);
	assert_int_equal(sk_page_end(&b, &pol), 0);
	assert_non_null(strstr(b.data, "<header class=\"site\"><img src=\"https://cdn.example.com/"
				       "logo.svg?x=1&amp;y=2\" alt=\"Exempel &lt;AB&gt;\""));
	assert_non_null(strstr(b.data, "<span class=\"org\">Exempel &lt;AB&gt;</span></header>"));
	assert_non_null(strstr(b.data, "<main id=\"main\">\n<h1>Tack</h1>"));
	assert_non_null(strstr(b.data, "<link rel=\"stylesheet\" href=\"/assets/page.css?v="));
	assert_non_null(strstr(b.data, "<link rel=\"stylesheet\" href=\"https://static.example.com:"
				       "8443/b.css\">"));
	/* the footer in the page's language */
	assert_non_null(strstr(b.data, "</main>\n<footer class=\"site\"><p>Exempel &lt;AB&gt; "
				       "&middot; <a href=\"https://www.example.com/privacy\">"
				       "Integritetspolicy</a></p></footer>"));
	assert_null(strstr(b.data, "style="));
	assert_null(strstr(b.data, "<style"));
	assert_null(strstr(b.data, "<script"));
	char *v1 = strstr(b.data, "page.css?v=");
	char ver[20];
	memcpy(ver, v1, 19);
	ver[19] = '\0';
	sk_buf_reset(&b);
	/* no policy: no logo, still the landmarks, the footer in English */
	assert_int_equal(sk_page_begin(&b, NULL, SK_LANG_EN, "T"), 0);
	assert_int_equal(sk_page_end(&b, NULL), 0);
	assert_null(strstr(b.data, "<img"));
	assert_non_null(strstr(b.data, "<header class=\"site\"></header>\n<main id=\"main\">"));
	assert_non_null(strstr(b.data, "</main>\n<footer class=\"site\"></footer>"));
	sk_buf_reset(&b);

	/* the stylesheet: the brand's colours, the defaults for the others */
	assert_int_equal(sk_page_css(&css, &pol), 0);
	assert_non_null(strstr(css.data, "--primary:#0b5e3b;--bg:#ffffff;--text:#1a1a1a;"));
	assert_non_null(strstr(css.data, "button,.button{"));
	assert_non_null(strstr(css.data, ":focus-visible{outline:3px solid var(--primary)"));
	sk_buf_reset(&css);
	assert_int_equal(sk_page_css(&css, NULL), 0);
	assert_non_null(strstr(css.data, "--primary:" SK_BRAND_PRIMARY ";--bg:" SK_BRAND_BACKGROUND
					 ";--text:" SK_BRAND_TEXT ";"));
	sk_buf_reset(&css);
	/* another brand, another stylesheet URL */
	pol.brand_primary = "#0b5e3c";
	assert_int_equal(sk_page_begin(&b, &pol, SK_LANG_SV, "Tack"), 0);
	assert_null(strstr(b.data, ver));
	sk_buf_reset(&b);

	/* the CSP of a page that is not a form's: no framing at all, no inline anything */
	assert_int_equal(sk_page_csp(&csp, NULL, NULL), 0);
	assert_string_equal(csp.data, SK_PAGE_CSP_DEFAULT);
	sk_buf_reset(&csp);
	assert_int_equal(sk_page_csp(&csp, &pol, NULL), 0);
	assert_string_equal(csp.data, "default-src 'none'; style-src 'self' "
			    "https://static.example.com:8443; img-src https://cdn.example.com; "
			    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
	sk_buf_reset(&csp);
	/* a form's page: framed by its allowed origins only; its redirects' origins may be
	 * posted to; an origin that could break out of its directive is left out */
	char *origins[] = {"https://www.example.com", "http://localhost:8080"};
	struct sk_form f = {.id = "nl", .success_url = "https://www.example.com/thanks?a=1",
			    .error_url = "https://x.example;script-src 'unsafe-inline'/e",
			    .origins = origins, .norigins = 2};
	assert_int_equal(sk_page_csp(&csp, &pol, &f), 0);
	assert_string_equal(csp.data, "default-src 'none'; style-src 'self' "
			    "https://static.example.com:8443; img-src https://cdn.example.com; "
			    "form-action 'self' https://www.example.com; base-uri 'none'; "
			    "frame-ancestors https://www.example.com http://localhost:8080");
	assert_null(strstr(csp.data, "unsafe-inline"));
	sk_buf_reset(&csp);
	/* an origin named twice (success_url and error_url on one site) is named once */
	f.error_url = "https://www.example.com/fel";
	assert_int_equal(sk_page_csp(&csp, NULL, &f), 0);
	assert_non_null(strstr(csp.data, "; form-action 'self' https://www.example.com; "));
	sk_buf_reset(&csp);
	f.norigins = 0;
	assert_int_equal(sk_page_csp(&csp, NULL, &f), 0);
	assert_non_null(strstr(csp.data, "; frame-ancestors 'none'"));
	sk_buf_reset(&csp);
}

/* The public pages: every value is escaped by construction, and every message exists in
 * both languages. */
static void pages_escape_every_value(void **state)
{
	(void)state;
	struct sk_buf b;
	sk_buf_init(&b, 4096);
	assert_int_equal(sk_html(&b, "<p title=\"%s\">%s %d%% %x</p>", "\"><script>", "a&b'<", 7),
			 0);
	assert_string_equal(b.data, "<p title=\"&quot;&gt;&lt;script&gt;\">a&amp;b&#39;&lt; 7% %x</p>");
	sk_buf_reset(&b);
	assert_int_equal(sk_page_begin(&b, NULL, SK_LANG_SV, "<b>Tack</b>"), 0);
	assert_non_null(strstr(b.data, "<html lang=\"sv\">"));
	assert_non_null(strstr(b.data, "<h1>&lt;b&gt;Tack&lt;/b&gt;</h1>"));
	assert_null(strstr(b.data, "<style")); /* the CSP allows no inline style */
	sk_buf_reset(&b);
	assert_string_equal(sk_page_msg(SK_LANG_SV, SK_MSG_SEND), "Skicka");
	assert_string_equal(sk_page_msg(SK_LANG_EN, SK_MSG_SEND), "Send");
	for (int m = SK_MSG_SEND; m <= SK_MSG_NOTHING_LEFT; m++)
		for (int l = 0; l < SK_NLANG; l++)
			assert_true(strlen(sk_page_msg(l, (enum sk_page_msg)m)) > 0);
}

/* How many times needle occurs in hay. */
static int count_of(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* The preference centre's page (render/prefs.c) from a hand-made view: the contract's
 * structure in both languages, one button per purpose on consent naming what it does, and
 * every value escaped. */
static void pref_page_structure(void **state)
{
	(void)state;
	struct sk_purpose ps[3] = {{.id = "news", .basis = SK_BASIS_CONSENT},
				   {.id = "offers", .basis = SK_BASIS_CONSENT},
				   {.id = "billing", .basis = SK_BASIS_CONTRACT}};
	for (int i = 0; i < 3; i++)
		for (int l = 0; l < SK_NLANG; l++) {
			ps[i].title[l] = l == SK_LANG_SV ? "Titel <i>" : "Title <i>";
			ps[i].description[l] = "What & why";
			ps[i].notice[l] = l == SK_LANG_SV ? "Vi mejlar <dig>" : "We mail <you>";
			ps[i].notice_version = 4;
		}
	struct sk_field_value fv[] = {{"email", "anna@example.com"}, {"name", "<img src=x>"}};
	struct sk_pref_purpose pp[3] = {{.purpose = &ps[0], .status = SK_ST_GIVEN, .has_event = 1,
					 .notice_text = "<script>alert(1)</script>",
					 .page = "https://www.example.com/?a=\"><b>", .changeable = 1},
					{.purpose = &ps[1], .status = SK_ST_UNKNOWN, .changeable = 1},
					{.purpose = &ps[2], .status = SK_ST_UNKNOWN}};
	pp[0].event.occurred_at = t_at("2026-05-01T10:00:00Z");
	pp[0].event.method = SK_METHOD_FORM;
	pp[0].event.notice_version = 3;
	struct sk_pref_view v = {.at = t_at("2026-06-01T10:00:00Z"), .purposes = pp, .npurposes = 3};
	v.contact.fields = fv;
	v.contact.nfields = 2;
	struct sk_buf b;
	for (int l = 0; l < SK_NLANG; l++) {
		const char *ln = sk_lang_name(l);
		char want[256];
		assert_int_equal(sk_page_pref(&b, NULL, l, "tok\"<", "cs\"rf", &v, NULL, NULL), 0);
		assert_int_equal(sk_page_end(&b, NULL), 0);
		snprintf(want, sizeof(want), "<html lang=\"%s\">", ln);
		assert_non_null(strstr(b.data, want));
		assert_non_null(strstr(b.data, "<nav class=\"lang\""));
		assert_non_null(strstr(b.data, "href=\"?lang=sv\""));
		assert_non_null(strstr(b.data, "href=\"?lang=en\""));
		/* one <main>, sk_page_begin's, which holds the switch and the sections */
		assert_non_null(strstr(b.data, "<main id=\"main\">"));
		assert_null(strstr(strstr(b.data, "<main") + 1, "<main"));
		assert_true(strstr(b.data, "<main") < strstr(b.data, "<nav class=\"lang\""));
		assert_non_null(strstr(b.data, "<section id=\"data\">"));
		assert_non_null(strstr(b.data, "<dd>&lt;img src=x&gt;</dd>"));
		assert_non_null(strstr(b.data, "<section id=\"purpose-news\" class=\"purpose\">\n<h2>T"));
		assert_non_null(strstr(b.data, "<section id=\"purpose-billing\" class=\"purpose\">"));
		/* the evidence: when, where, how, version, and the notice text in a <details> */
		assert_non_null(strstr(b.data, "2026-05-01 10:00 UTC"));
		assert_non_null(strstr(b.data, sk_page_msg(l, SK_MSG_M_FORM)));
		assert_non_null(strstr(b.data, "<dd>3</dd>"));
		assert_non_null(strstr(b.data, "<details><summary>"));
		assert_non_null(strstr(b.data, "&lt;script&gt;alert(1)&lt;/script&gt;"));
		assert_non_null(strstr(b.data, "?a=&quot;&gt;&lt;b&gt;"));
		assert_non_null(strstr(b.data, sk_page_msg(l, SK_MSG_BASIS_CONTRACT)));
		assert_non_null(strstr(b.data, sk_page_msg(l, SK_MSG_PREF_NOT_CONSENT)));
		assert_int_equal(count_of(b.data, "class=\"status status-"), 3); /* every purpose */
		assert_non_null(strstr(b.data, sk_page_msg(l, SK_MSG_ST_NOT_CONSENT)));
		/* one form and one button per purpose on consent: withdraw when given, else give */
		assert_int_equal(count_of(b.data, "<form method=\"post\" action=\"/p/tok&quot;&lt;/consent\">"), 2);
		assert_int_equal(count_of(b.data, "<button"), 2);
		snprintf(want, sizeof(want), "name=\"action\" value=\"withdraw\">%s</button>",
			 sk_page_msg(l, SK_MSG_PREF_WITHDRAW));
		assert_non_null(strstr(b.data, want));
		snprintf(want, sizeof(want), "name=\"action\" value=\"give\">%s</button>",
			 sk_page_msg(l, SK_MSG_PREF_GIVE));
		assert_non_null(strstr(b.data, want));
		/* giving: the notice text in force beside the button, escaped, and its version
		 * posted with it; withdrawing needs neither */
		snprintf(want, sizeof(want), "<strong>%s</strong><br>%s</p>\n<input type=\"hidden\" "
			 "name=\"notice_version\" value=\"4\">", sk_page_msg(l, SK_MSG_PREF_NOTICE_NOW),
			 l == SK_LANG_SV ? "Vi mejlar &lt;dig&gt;" : "We mail &lt;you&gt;");
		assert_non_null(strstr(b.data, want));
		assert_int_equal(count_of(b.data, "name=\"notice_version\""), 1);
		assert_non_null(strstr(b.data, "name=\"csrf\" value=\"cs&quot;rf\""));
		snprintf(want, sizeof(want), "name=\"lang\" value=\"%s\"", ln);
		assert_non_null(strstr(b.data, want));
		/* the three links, the language kept */
		assert_non_null(strstr(b.data, "href=\"/p/tok&quot;&lt;/export.json\""));
		snprintf(want, sizeof(want), "href=\"/p/tok&quot;&lt;/export?lang=%s\"", ln);
		assert_non_null(strstr(b.data, want));
		snprintf(want, sizeof(want), "href=\"/p/tok&quot;&lt;/erase?lang=%s\"", ln);
		assert_non_null(strstr(b.data, want));
		/* nothing a value held became markup; headings in order */
		assert_null(strstr(b.data, "<script>"));
		assert_null(strstr(b.data, "<img"));
		assert_null(strstr(b.data, "<i>"));
		assert_true(strstr(b.data, "<h1>") < strstr(b.data, "<h2>"));
		assert_true(strstr(b.data, "<h2>") < strstr(b.data, "<h3>"));
		assert_null(strstr(b.data, "role=\"status\""));
		sk_buf_reset(&b);
	}
	/* what was saved, in a status element; an error in an alert, escaped */
	assert_int_equal(sk_page_pref(&b, NULL, SK_LANG_EN, "t", "c", &v, "news", NULL), 0);
	assert_non_null(strstr(b.data, "<p role=\"status\" class=\"saved\">Saved: you have given"));
	sk_buf_reset(&b);
	assert_int_equal(sk_page_pref(&b, NULL, SK_LANG_SV, "t", "c", &v, "offers", NULL), 0);
	assert_non_null(strstr(b.data, sk_page_msg(SK_LANG_SV, SK_MSG_PREF_SAVED_WITHDRAWN)));
	sk_buf_reset(&b);
	assert_int_equal(sk_page_pref(&b, NULL, SK_LANG_EN, "t", "c", &v, "billing", NULL), 0);
	assert_null(strstr(b.data, "role=\"status\"")); /* not on consent: nothing to say */
	sk_buf_reset(&b);
	assert_int_equal(sk_page_pref(&b, NULL, SK_LANG_EN, "t", "c", &v, "<nosuch>", NULL), 0);
	assert_null(strstr(b.data, "role=\"status\""));
	assert_null(strstr(b.data, "nosuch"));
	sk_buf_reset(&b);
	assert_int_equal(sk_page_pref(&b, NULL, SK_LANG_EN, "t", "c", &v, "news", "no <b>"), 0);
	assert_non_null(strstr(b.data, "role=\"alert\""));
	assert_non_null(strstr(b.data, "no &lt;b&gt;"));
	assert_null(strstr(b.data, "role=\"status\""));
	sk_buf_reset(&b);
	/* answering a POST (with an error): the language switch leads to the page itself */
	assert_int_equal(sk_page_pref(&b, NULL, SK_LANG_EN, "t<", "c", &v, NULL, "x"), 0);
	assert_non_null(strstr(b.data, "href=\"/p/t&lt;?lang=sv\""));
	assert_null(strstr(b.data, "href=\"?lang="));
	sk_buf_reset(&b);
}

/* The other pages of the preference centre: the readable export, the erasure's
 * confirmation and receipt, /p and its answer, the invalid and expired link pages. */
static void pref_other_pages(void **state)
{
	(void)state;
	struct sk_purpose p = {.id = "news", .basis = SK_BASIS_CONSENT};
	p.title[SK_LANG_SV] = "Nyhetsbrev";
	p.title[SK_LANG_EN] = "Newsletter";
	struct sk_export_event hist[2] = {{.notice_text = "Notice <v1>"}, {.notice_text = NULL}};
	hist[0].event.action = SK_ACT_GIVE;
	hist[0].event.method = SK_METHOD_FORM;
	hist[0].event.occurred_at = t_at("2026-01-02T03:04:05Z");
	strcpy(hist[0].event.source, "form:<x>");
	hist[1].event.action = SK_ACT_WITHDRAW;
	hist[1].event.method = SK_METHOD_PREFERENCE_CENTRE;
	hist[1].event.occurred_at = t_at("2026-02-02T03:04:05Z");
	struct sk_export_consent ec = {.history = hist, .nhistory = 2, .purpose = &p, .last = &hist[0]};
	strcpy(ec.state.purpose, "news");
	ec.state.status = SK_ST_WITHDRAWN;
	struct sk_export_rect rect = {.at = t_at("2026-03-01T00:00:00Z"), .fields = "name",
				      .actor = "api:<crm>"};
	struct sk_export_share sh = {.webhook = 1, .name = "hook <1>"};
	struct sk_field_value fv[] = {{"email", "a&b@example.com"}};
	struct sk_access_export x = {.exported_at = t_at("2026-04-01T00:00:00Z"), .consents = &ec,
				     .nconsents = 1, .rects = &rect, .nrects = 1, .shared = &sh,
				     .nshared = 1};
	x.contact.fields = fv;
	x.contact.nfields = 1;
	struct sk_buf b;
	for (int l = 0; l < SK_NLANG; l++) {
		assert_int_equal(sk_page_pref_export(&b, NULL, l, "tok", &x), 0);
		assert_non_null(strstr(b.data, "<dd>a&amp;b@example.com</dd>"));
		assert_non_null(strstr(b.data, p.title[l]));
		assert_non_null(strstr(b.data, sk_page_msg(l, SK_MSG_A_GIVE)));
		assert_non_null(strstr(b.data, sk_page_msg(l, SK_MSG_A_WITHDRAW)));
		assert_non_null(strstr(b.data, sk_page_msg(l, SK_MSG_ST_WITHDRAWN)));
		assert_non_null(strstr(b.data, "form:&lt;x&gt;"));
		assert_non_null(strstr(b.data, "Notice &lt;v1&gt;"));
		assert_non_null(strstr(b.data, "api:&lt;crm&gt;"));
		assert_non_null(strstr(b.data, "hook &lt;1&gt;"));
		assert_non_null(strstr(b.data, "<th scope=\"col\">"));
		assert_non_null(strstr(b.data, "2026-02-02 03:04 UTC"));
		assert_null(strstr(b.data, "<x>"));
		sk_buf_reset(&b);

		assert_int_equal(sk_page_pref_erase(&b, NULL, l, "t<k", "c\"s"), 0);
		assert_non_null(strstr(b.data, "<form method=\"post\" action=\"/p/t&lt;k/erase\">"));
		assert_non_null(strstr(b.data, "name=\"csrf\" value=\"c&quot;s\""));
		assert_int_equal(count_of(b.data, "<button"), 1);
		assert_non_null(strstr(b.data, sk_page_msg(l, SK_MSG_ERASE_BUTTON)));
		sk_buf_reset(&b);

		static const char *const cats[] = {"contact", "data_key", "mails_sent", "visitors"};
		struct sk_erasure_receipt r = {.erasure_id = "x_1", .categories = cats, .ncategories = 4,
					       .suppressed = 1, .ledger_events_kept = 7,
					       .erased_at = t_at("2026-04-01T00:00:00Z")};
		assert_int_equal(sk_page_pref_erased(&b, NULL, l, &r), 0);
		assert_non_null(strstr(b.data, sk_page_msg(l, SK_MSG_CAT_CONTACT)));
		assert_non_null(strstr(b.data, sk_page_msg(l, SK_MSG_CAT_DATA_KEY)));
		assert_non_null(strstr(b.data, sk_page_msg(l, SK_MSG_CAT_MAILS_SENT)));
		assert_non_null(strstr(b.data, sk_page_msg(l, SK_MSG_CAT_VISITORS)));
		assert_null(strstr(b.data, "mails_sent")); /* named in the reader's words */
		assert_non_null(strstr(b.data, sk_page_msg(l, SK_MSG_ERASED_SUPPRESSED)));
		assert_non_null(strstr(b.data, l == SK_LANG_SV ? "behåller 7 händelser" : "keeps 7 events"));
		assert_null(strstr(b.data, "<form"));
		sk_buf_reset(&b);

		assert_int_equal(sk_page_pref_ask(&b, NULL, l, "c<s", NULL), 0);
		assert_non_null(strstr(b.data, "<form method=\"post\" action=\"/p\">"));
		assert_non_null(strstr(b.data, "<label for=\"email\">"));
		assert_non_null(strstr(b.data, "name=\"email\""));
		assert_non_null(strstr(b.data, "value=\"c&lt;s\""));
		assert_null(strstr(b.data, "role=\"alert\""));
		sk_buf_reset(&b);

		assert_int_equal(sk_page_pref_sent(&b, NULL, l), 0);
		assert_non_null(strstr(b.data, sk_page_msg(l, SK_MSG_ASK_SENT)));
		assert_non_null(strstr(b.data, "href=\"/p?lang=en\""));
		assert_non_null(strstr(b.data, "role=\"status\""));
		sk_buf_reset(&b);

		assert_int_equal(sk_page_pref_invalid(&b, NULL, l), 0);
		assert_non_null(strstr(b.data, sk_page_msg(l, SK_MSG_LINK_INVALID)));
		assert_non_null(strstr(b.data, "href=\"/p?lang="));
		sk_buf_reset(&b);

		assert_int_equal(sk_page_pref_expired(&b, NULL, l, "t\"k", "cs"), 0);
		assert_non_null(strstr(b.data, sk_page_msg(l, SK_MSG_LINK_EXPIRED)));
		assert_non_null(strstr(b.data, "action=\"/p/t&quot;k/renew\""));
		assert_non_null(strstr(b.data, sk_page_msg(l, SK_MSG_RENEW_BUTTON)));
		sk_buf_reset(&b);
	}
	/* a refusal or failure in the same frame: heading, switch (to self when given), text */
	assert_int_equal(sk_page_pref_message(&b, NULL, SK_LANG_SV, "/p/t\"", "T<", "x & y"), 0);
	assert_non_null(strstr(b.data, "<html lang=\"sv\">"));
	assert_non_null(strstr(b.data, "<h1>T&lt;</h1>"));
	assert_non_null(strstr(b.data, "<nav class=\"lang\""));
	assert_non_null(strstr(b.data, "href=\"/p/t&quot;?lang=en\""));
	assert_non_null(strstr(b.data, "</nav>\n<p>x &amp; y</p>\n"));
	sk_buf_reset(&b);
	assert_int_equal(sk_page_pref_message(&b, NULL, SK_LANG_EN, NULL, "T", "x"), 0);
	assert_non_null(strstr(b.data, "href=\"?lang=sv\""));
	sk_buf_reset(&b);
	assert_int_equal(sk_page_pref_ask(&b, NULL, SK_LANG_EN, "c", "bad <b>"), 0);
	assert_non_null(strstr(b.data, "<p role=\"alert\" class=\"error\">bad &lt;b&gt;</p>"));
	sk_buf_reset(&b);
}

/* The check path's fast answer (sk_json_gate_text) is the jansson answer, byte for byte, for
 * every reason, allowed or not, with and without a consent id; an id that JSON would escape,
 * and a buffer that is too small, are refused so that the caller falls back to jansson. */
static void gate_text_equals_jansson(void **state)
{
	(void)state;
	static const char *const ids[] = {"", "e_23ocqcqu7xjyfflpqez6avsh", "x"};
	char text[SK_JSON_GATE_MAX];
	for (int reason = 0; reason < SK_NREASONS; reason++)
		for (int allowed = 0; allowed < 2; allowed++)
			for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
				struct sk_gate_result g = {.allowed = allowed, .reason = reason};
				snprintf(g.consent_id, sizeof(g.consent_id), "%s", ids[i]);
				json_t *v = sk_json_gate(&g);
				assert_non_null(v);
				char *want = json_dumps(v, JSON_COMPACT);
				json_decref(v);
				int n = sk_json_gate_text(&g, text, sizeof(text));
				assert_int_equal(n, (int)strlen(want));
				assert_string_equal(text, want);
				/* exactly the length plus its NUL fits; one byte less does not */
				char small[SK_JSON_GATE_MAX];
				assert_int_equal(sk_json_gate_text(&g, small, (size_t)n + 1), n);
				assert_int_equal(sk_json_gate_text(&g, small, (size_t)n), -1);
				free(want);
			}
	/* an id with a byte that JSON escapes: left to jansson */
	static const char *const odd[] = {"e_\"x", "e_\\x", "e_\n", "e_\xc3\xa5"};
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		struct sk_gate_result g = {.allowed = 1, .reason = SK_RSN_CONSENT};
		snprintf(g.consent_id, sizeof(g.consent_id), "%s", odd[i]);
		assert_int_equal(sk_json_gate_text(&g, text, sizeof(text)), -1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pages_escape_every_value),
		cmocka_unit_test(pages_in_the_brand_with_a_strict_csp),
		cmocka_unit_test(time_and_duration),
		cmocka_unit_test(event_state_change),
		cmocka_unit_test(contact_and_gate),
		cmocka_unit_test(erasure_and_purge),
		cmocka_unit_test(export_document),
		cmocka_unit_test(receipt_document),
		cmocka_unit_test(receipt_terms_follow_the_event),
		cmocka_unit_test(receipt_of_an_expiry),
		cmocka_unit_test(receipt_of_an_unverified_import),
		cmocka_unit_test(purposes_and_policy),
		cmocka_unit_test(small_answers),
		cmocka_unit_test(gate_text_equals_jansson),
		cmocka_unit_test(html_escapes_every_special_character),
		cmocka_unit_test(catalogue_has_every_message_in_both_languages),
		cmocka_unit_test(form_and_confirm_pages),
		cmocka_unit_test(pref_page_structure),
		cmocka_unit_test(pref_other_pages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
