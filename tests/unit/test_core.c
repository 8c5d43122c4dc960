/* test_core.c: contacts with minimisation, the consent ledger and every reason of the gate,
 * notice versions, the audit over a tampered ledger, sealing at rest, and failure paths:
 * the gate fails closed under the fault-injecting store, and failed writes leave nothing. */
#include "testlib.h"

#include "core/core_int.h" /* the upgrade tests write fields as version 1 did */
#include "core/import.h"
#include "core/webhook.h"

#include <jansson.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "util/sktime.h"

static const int64_t DAY = 86400;

/* Runs SQL on the test database with a separate connection (either backend). */
static void t_sql(struct tenv *t, const char *sql)
{
	t_db_exec(t->db, sql);
}

static long t_count(struct tenv *t, const char *table)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	return (long)t_db_int(t->db, sql);
}

static void contact_variants_are_one_contact(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_field_value f[] = {{"first_name", "Anna"}, {"company", "Exempel AB"}};
	char id[SK_ID_LEN + 1], id2[SK_ID_LEN + 1];
	struct sk_contact ct;

	assert_int_equal(sk_contact_add(t->core, "anna@example.com", f, 2, id, &t->err), 0);
	assert_int_equal(sk_contact_find(t->core, " Anna@EXAMPLE.com ", id2, &t->err), 0);
	assert_string_equal(id, id2);
	assert_int_equal(sk_contact_add(t->core, "ANNA@example.com\t", NULL, 0, id2, &t->err),
			 SK_ERR_EXISTS);
	assert_int_equal(sk_contact_get(t->core, "anna@EXAMPLE.COM", &ct, &t->err), 0);
	assert_int_equal(ct.nfields, 3);
	assert_string_equal(ct.fields[0].name, "email");
	assert_string_equal(ct.fields[0].value, "anna@example.com");
	assert_string_equal(ct.fields[1].name, "company");
	assert_string_equal(ct.fields[2].value, "Anna");
	sk_contact_reset(&ct);

	struct sk_field_value e[] = {{"last_name", "Andersson"}};
	assert_int_equal(sk_contact_edit(t->core, id, e, 1, "test", &t->err), 0);
	assert_int_equal(sk_contact_get_by_id(t->core, id, &ct, &t->err), 0);
	assert_int_equal(ct.nfields, 4);
	sk_contact_reset(&ct);
	assert_int_equal(sk_contact_find(t->core, "nobody@example.com", id2, &t->err),
			 SK_ERR_NOT_FOUND);
	tenv_free(t);
}

/* An edit that answers with the contact reads it in its own transaction: whichever store
 * call fails, the answer is an error and the field is unchanged; else the answer holds the
 * new value. */
static void edit_answers_whole_or_not_at_all(void **state)
{
	(void)state;
	int done = 0;
	long failures = 0;
	for (long n = 1; !done && n < 200; n++) {
		struct tenv *t = tenv_new(1);
		struct sk_field_value f[] = {{"first_name", "Anna"}};
		struct sk_field_value e[] = {{"first_name", "Berit"}};
		struct sk_contact ct;
		char id[SK_ID_LEN + 1];
		assert_int_equal(sk_contact_add(t->core, "edit@example.com", f, 1, id, &t->err), 0);
		sk_store_fault_set(t->store, n, 0);
		int rc = sk_contact_edit_get(t->core, id, e, 1, "test", &ct, &t->err);
		sk_store_fault_set(t->store, 0, 0);
		if (rc == 0) {
			assert_string_equal(ct.fields[1].value, "Berit");
			done = 1;
		} else {
			assert_int_equal(ct.nfields, 0);
			failures++;
		}
		sk_contact_reset(&ct);
		assert_int_equal(sk_contact_get_by_id(t->core, id, &ct, &t->err), 0);
		assert_string_equal(ct.fields[1].value, rc ? "Anna" : "Berit");
		sk_contact_reset(&ct);
		tenv_free(t);
	}
	assert_true(done);
	assert_true(failures > 0); /* an injected fault made it fail: errors are not ignored */
}

static void undeclared_or_invalid_fields_store_nothing(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char id[SK_ID_LEN + 1];
	long contacts = t_count(t, "contacts"), changes = t_count(t, "changes");

	struct sk_field_value shoe[] = {{"first_name", "Anna"}, {"shoe_size", "38"}};
	assert_int_equal(sk_contact_add(t->core, "anna@example.com", shoe, 2, id, &t->err),
			 SK_ERR_UNDECLARED_FIELD);
	assert_non_null(strstr(t->err.msg, "shoe_size"));
	struct sk_field_value phone[] = {{"phone", "call me maybe"}};
	assert_int_equal(sk_contact_add(t->core, "anna@example.com", phone, 1, id, &t->err),
			 SK_ERR_INVALID);
	assert_null(strstr(t->err.msg, "call me"));
	struct sk_field_value twice[] = {{"first_name", "A"}, {"first_name", "B"}};
	assert_int_equal(sk_contact_add(t->core, "anna@example.com", twice, 2, id, &t->err),
			 SK_ERR_INVALID);
	struct sk_field_value mail[] = {{"email", "other@example.com"}};
	assert_int_equal(sk_contact_add(t->core, "anna@example.com", mail, 1, id, &t->err),
			 SK_ERR_INVALID);
	assert_int_equal(sk_contact_add(t->core, "not an address", NULL, 0, id, &t->err),
			 SK_ERR_INVALID_EMAIL);
	assert_int_equal(t_count(t, "contacts"), contacts);
	assert_int_equal(t_count(t, "contact_fields"), 0);
	assert_int_equal(t_count(t, "changes"), changes);

	/* edit follows the same rules and changes nothing when refused */
	struct sk_field_value f_ok[] = {{"first_name", "Anna"}};
	assert_int_equal(sk_contact_add(t->core, "anna@example.com", NULL, 0, id, &t->err), 0);
	long fields = t_count(t, "contact_fields");
	assert_int_equal(sk_contact_edit(t->core, id, shoe, 2, "test", &t->err), SK_ERR_UNDECLARED_FIELD);
	assert_int_equal(sk_contact_edit(t->core, "c_nosuchcontact", f_ok, 1, "test", &t->err),
			 SK_ERR_NOT_FOUND);
	assert_int_equal(t_count(t, "contact_fields"), fields);
	tenv_free(t);
}

/* Many addresses at once: each answer in the order asked, each failing closed on its own;
 * past the limit nothing is checked. */
static void gate_checks_many_in_order(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_gate_result *g;
	assert_int_equal(t_consent(t, "many@example.com", "newsletter", SK_ACT_GIVE, "form", "f", 0),
			 0);
	const char *emails[] = {"nobody@example.com", "MANY@example.com", "not an address"};
	assert_int_equal(sk_gate_check_many(t->core, emails, 3, "newsletter", sk_time_now(), &g,
					    &t->err), 0);
	assert_false(g[0].allowed);
	assert_int_equal(g[0].reason, SK_RSN_NO_CONSENT);
	assert_true(g[1].allowed);
	assert_int_equal(g[1].reason, SK_RSN_CONSENT);
	assert_false(g[2].allowed);
	assert_int_equal(g[2].reason, SK_RSN_INVALID_EMAIL);
	sk_free(g);
	assert_int_equal(sk_gate_check_many(t->core, emails, SK_GATE_MANY_MAX + 1, "newsletter",
					    sk_time_now(), &g, &t->err), SK_ERR_TOO_LARGE);
	assert_null(g);
	tenv_free(t);
}

/* The order the overview reports in: every state first ('s'), then every event ('e'). */
struct overview_log {
	char seen[16];
	size_t n;
};

static int overview_state(void *arg, const struct sk_state *st)
{
	struct overview_log *x = arg;
	(void)st;
	if (x->n < sizeof(x->seen) - 1)
		x->seen[x->n++] = 's';
	return 0;
}

static int overview_event(void *arg, const struct sk_consent_event *ev)
{
	struct overview_log *x = arg;
	(void)ev;
	if (x->n < sizeof(x->seen) - 1)
		x->seen[x->n++] = 'e';
	return 0;
}

static void overview_reads_states_then_history(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct overview_log x = {{0}, 0};
	char id[SK_ID_LEN + 1];
	assert_int_equal(t_consent(t, "ov@example.com", "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
	assert_int_equal(t_consent(t, "ov@example.com", "newsletter", SK_ACT_WITHDRAW, "api", "a", 0), 0);
	assert_int_equal(t_consent(t, "ov@example.com", "offers", SK_ACT_REFUSE, "api", "a", 0), 0);
	assert_int_equal(sk_contact_find(t->core, "ov@example.com", id, &t->err), 0);
	assert_int_equal(sk_consent_overview(t->core, id, overview_state, &x, overview_event, &x,
					     &t->err), 0);
	assert_string_equal(x.seen, "sseee");
	x.n = 0;
	memset(x.seen, 0, sizeof(x.seen));
	assert_int_equal(sk_consent_overview(t->core, "c_nosuchcontact00000000000", overview_state,
					     &x, overview_event, &x, &t->err), SK_ERR_NOT_FOUND);
	assert_int_equal(x.n, 0);
	tenv_free(t);
}

static void gate_answers_each_reason(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	int64_t now = sk_time_now();

	assert_string_equal(t_gate(t, "anna@example.com", "newsletter", 0), "no_consent");
	assert_int_equal(t_consent(t, "anna@example.com", "newsletter", SK_ACT_GIVE, "form",
				   "form:newsletter", 0), 0);
	assert_string_equal(t_gate(t, " Anna@EXAMPLE.com ", "newsletter", 0), "consent");
	assert_string_equal(t_gate(t, "anna@example.com", "offers", 0), "no_consent");
	assert_string_equal(t_gate(t, "anna@example.com", "horoscopes", 0), "unknown_purpose");
	assert_string_equal(t_gate(t, "anna at example", "newsletter", 0), "invalid_email");

	/* validity: 24 months for the newsletter */
	assert_string_equal(t_gate(t, "anna@example.com", "newsletter", now + 700 * DAY), "consent");
	assert_string_equal(t_gate(t, "anna@example.com", "newsletter", now + 740 * DAY), "expired");

	assert_int_equal(t_consent(t, "anna@example.com", "newsletter", SK_ACT_WITHDRAW, "mail_link",
				   "mail:newsletter", 0), 0);
	assert_string_equal(t_gate(t, "anna@example.com", "newsletter", 0), "withdrawn");
	assert_int_equal(t_consent(t, "anna@example.com", "offers", SK_ACT_REFUSE, "form",
				   "form:offers", 0), 0);
	assert_string_equal(t_gate(t, "anna@example.com", "offers", 0), "refused");

	/* given long ago: expired at the moment of the check */
	assert_int_equal(t_consent(t, "old@example.com", "offers", SK_ACT_GIVE, "import",
				   "crm-2022.csv", now - 900 * DAY), 0);
	assert_string_equal(t_gate(t, "old@example.com", "offers", 0), "expired");

	/* claimed without evidence: an import without a date, or any give without a source */
	assert_int_equal(t_consent(t, "bare@example.com", "offers", SK_ACT_GIVE, "import",
				   "crm.csv", 0), 0);
	assert_string_equal(t_gate(t, "bare@example.com", "offers", 0), "unverified");
	assert_int_equal(t_consent(t, "bare@example.com", "newsletter", SK_ACT_GIVE, "api", "", 0), 0);
	assert_string_equal(t_gate(t, "bare@example.com", "newsletter", 0), "unverified");

	/* suppression outranks consent, and refuses a new give */
	assert_int_equal(t_consent(t, "supp@example.com", "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
	assert_int_equal(sk_suppress(t->core, "SUPP@example.com", "bounced", &t->err), 0);
	assert_string_equal(t_gate(t, "supp@example.com", "newsletter", 0), "suppressed");
	assert_int_equal(t_consent(t, "supp@example.com", "offers", SK_ACT_GIVE, "form", "f", 0),
			 SK_ERR_SUPPRESSED);
	assert_int_equal(sk_suppress(t->core, "gone@example.com", "erased", &t->err), 0);
	assert_string_equal(t_gate(t, "gone@example.com", "newsletter", 0), "erased");
	assert_int_equal(t_consent(t, "gone@example.com", "newsletter", SK_ACT_GIVE, "form", "f", 0),
			 SK_ERR_SUPPRESSED);
	tenv_free(t);
}

/* The policy with offers on another legal basis (and dropped from the webinar form, which may
 * only ask for consent-based purposes); 0 or the apply's error. */
static int apply_offers_on(struct tenv *t, const char *basis)
{
	size_t len;
	char to[256];
	char *policy = t_example_policy(&len);
	snprintf(to, sizeof(to), "legal_basis: %s\n    validity: 24 months\n    retention: 30 days\n"
		 "    double_opt_in: false\n    fields: [email, first_name, last_name, company]", basis);
	char *b = strdup(t_policy_with(policy, "legal_basis: consent\n    validity: 24 months\n    "
				       "retention: 30 days\n    double_opt_in: false\n    "
				       "fields: [email, first_name, last_name, company]", to));
	int rc = t_apply_text(t, t_policy_with(b, "      - purpose: offers\n        double_opt_in: "
					      "false\n", ""));
	free(b);
	free(policy);
	return rc;
}

/* allowed and reason of one check, read from the result itself */
static int gate_allows(struct tenv *t, const char *email, const char *purpose, const char *reason)
{
	struct sk_gate_result g;
	sk_gate_check(t->core, email, purpose, sk_time_now(), &g);
	assert_string_equal(sk_reason_name(g.reason), reason);
	return g.allowed;
}

/* Each legal basis by its own rule: legitimate interest allows until the person objects
 * (refuses or withdraws) and never on a status it cannot read; a contract and a legal
 * obligation allow whatever is recorded. */
static void gate_answers_each_basis(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	assert_int_equal(apply_offers_on(t, "legitimate_interest"), 0);
	assert_true(gate_allows(t, "li@example.com", "offers", "legitimate_interest"));
	assert_int_equal(t_consent(t, "li.refused@example.com", "offers", SK_ACT_REFUSE, "api",
				   "crm", 0), 0);
	assert_false(gate_allows(t, "li.refused@example.com", "offers", "objected"));
	assert_int_equal(t_consent(t, "li.withdrew@example.com", "offers", SK_ACT_WITHDRAW, "api",
				   "crm", 0), 0);
	assert_false(gate_allows(t, "li.withdrew@example.com", "offers", "objected"));
	/* a status nobody wrote (a tampered database): denied with the error reason under
	 * legitimate interest, which would allow "nothing recorded"; a consent denies it too */
	assert_int_equal(t_consent(t, "li.tampered@example.com", "newsletter", SK_ACT_GIVE, "form",
				   "f", 0), 0);
	assert_true(gate_allows(t, "li.tampered@example.com", "newsletter", "consent"));
	t_sql(t, "UPDATE consent_state SET status = 'granted' WHERE purpose = 'offers'");
	assert_false(gate_allows(t, "li.refused@example.com", "offers", "error"));
	assert_false(gate_allows(t, "li.withdrew@example.com", "offers", "error"));
	t_sql(t, "UPDATE consent_state SET status = 'granted' WHERE purpose = 'newsletter'");
	assert_false(gate_allows(t, "li.tampered@example.com", "newsletter", "no_consent"));
	assert_true(gate_allows(t, "li@example.com", "offers", "legitimate_interest"));

	assert_int_equal(apply_offers_on(t, "contract"), 0);
	assert_true(gate_allows(t, "client@example.com", "offers", "contract"));
	assert_int_equal(apply_offers_on(t, "legal_obligation"), 0);
	assert_true(gate_allows(t, "client@example.com", "offers", "legal_obligation"));
	tenv_free(t);
}

static void double_opt_in_and_other_bases(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	size_t len;
	char *policy = t_example_policy(&len);
	/* newsletter with double opt-in; offers on legitimate interest; ip_tracking on contract */
	char *p1 = strdup(t_policy_with(policy, "double_opt_in: false", "double_opt_in: true"));
	char *p2 = strdup(t_policy_with(p1, "legal_basis: consent\n    validity: 24 months\n    "
					 "retention: 30 days\n    double_opt_in: false\n    "
					 "fields: [email, first_name, last_name, company]",
				     "legal_basis: legitimate_interest\n    validity: 24 months\n    "
				     "retention: 30 days\n    double_opt_in: false\n    "
				     "fields: [email, first_name, last_name, company]"));
	/* a form may only ask for consent-based purposes: drop offers from the webinar form */
	char *p3 = strdup(t_policy_with(p2, "      - purpose: offers\n        double_opt_in: false\n", ""));
	assert_int_equal(t_apply_text(t, p3), 0);
	free(p3);
	assert_true(sk_policy_purpose(t->core->policy, "newsletter")->double_opt_in);
	assert_int_equal(sk_policy_purpose(t->core->policy, "offers")->basis,
			 SK_BASIS_LEGITIMATE_INTEREST);

	assert_int_equal(t_consent(t, "doi@example.com", "newsletter", SK_ACT_CONFIRM, "mail_link",
				   "l", 0), SK_ERR_NOT_FOUND);
	assert_int_equal(t_consent(t, "doi@example.com", "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
	assert_string_equal(t_gate(t, "doi@example.com", "newsletter", 0), "pending_confirmation");
	assert_int_equal(t_consent(t, "doi@example.com", "newsletter", SK_ACT_CONFIRM, "mail_link",
				   "link", 0), 0);
	assert_string_equal(t_gate(t, "doi@example.com", "newsletter", 0), "consent");
	assert_int_equal(t_consent(t, "doi@example.com", "newsletter", SK_ACT_CONFIRM, "mail_link",
				   "link", 0), SK_ERR_INVALID);
	/* the state an event left comes back with it, as stored in the same transaction */
	struct sk_consent_req q = {.email = "doi2@example.com", .purpose = "newsletter",
				   .action = SK_ACT_GIVE, .method = "form", .source = "f",
				   .lang = "en", .actor = "test"};
	struct sk_consent_event ev;
	struct sk_state st, again;
	int64_t chseq = 0, last = 0;
	assert_int_equal(sk_consent_record_state(t->core, &q, &ev, &st, &chseq, &t->err), 0);
	assert_int_equal(st.status, SK_ST_PENDING);
	assert_int_equal(st.seq, ev.seq);
	assert_string_equal(st.event_id, ev.id);
	/* the change's number is the feed's, which counts contact changes too: not the ledger's */
	assert_int_equal(sk_store_change_last(t->store, &last), 0);
	assert_int_equal(chseq, last);
	assert_true(chseq != ev.seq);
	q.action = SK_ACT_CONFIRM;
	q.method = "mail_link";
	assert_int_equal(sk_consent_record_state(t->core, &q, &ev, &st, &chseq, &t->err), 0);
	assert_int_equal(chseq, last + 1);
	assert_int_equal(st.status, SK_ST_GIVEN);
	assert_int_equal(sk_consent_state(t->core, ev.contact_id, "newsletter", &again, &t->err), 0);
	assert_int_equal(st.status, again.status);
	assert_int_equal(st.seq, again.seq);
	assert_int_equal(st.valid_until, again.valid_until);
	assert_string_equal(st.event_id, again.event_id);

	assert_string_equal(t_gate(t, "li@example.com", "offers", 0), "legitimate_interest");
	assert_int_equal(t_consent(t, "li@example.com", "offers", SK_ACT_WITHDRAW, "api", "crm", 0), 0);
	assert_string_equal(t_gate(t, "li@example.com", "offers", 0), "objected");
	free(p1);
	free(p2);
	free(policy);
	tenv_free(t);
}

static void bad_requests_append_nothing(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_consent_req r = {.email = "anna@example.com", .purpose = "newsletter",
				   .action = SK_ACT_GIVE, .method = "form", .source = "f",
				   .lang = "en"};
	r.purpose = "horoscopes";
	assert_int_equal(sk_consent_record(t->core, &r, NULL, &t->err), SK_ERR_UNKNOWN_PURPOSE);
	r.purpose = "newsletter";
	r.method = "carrier_pigeon";
	assert_int_equal(sk_consent_record(t->core, &r, NULL, &t->err), SK_ERR_INVALID);
	r.method = "form";
	r.lang = "de";
	assert_int_equal(sk_consent_record(t->core, &r, NULL, &t->err), SK_ERR_INVALID);
	r.lang = "sv";
	r.notice_version = 7;
	assert_int_equal(sk_consent_record(t->core, &r, NULL, &t->err), SK_ERR_INVALID);
	assert_non_null(strstr(t->err.msg, "notice version 7"));
	r.notice_version = 0;
	r.occurred_at = sk_time_now() + 3600;
	assert_int_equal(sk_consent_record(t->core, &r, NULL, &t->err), SK_ERR_INVALID);
	r.occurred_at = 0;
	r.email = "nope";
	assert_int_equal(sk_consent_record(t->core, &r, NULL, &t->err), SK_ERR_INVALID_EMAIL);
	assert_int_equal(t_count(t, "consent_ledger"), 0);
	assert_int_equal(t_count(t, "contacts"), 0);
	tenv_free(t);
}

static void notices_are_versioned_and_proof_shows_text(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	size_t len;
	char *policy = t_example_policy(&len);
	struct sk_proof p;
	struct sk_consent_event ev;
	const char *v1_en = sk_policy_purpose(t->core->policy, "newsletter")->notice[SK_LANG_EN];
	char *v1 = strdup(v1_en);

	assert_int_equal(sk_policy_purpose(t->core->policy, "newsletter")->notice_version, 1);
	struct sk_consent_req r = {.email = "anna@example.com", .purpose = "newsletter",
				   .action = SK_ACT_GIVE, .method = "form",
				   .source = "form:newsletter https://www.example.com/nyhetsbrev",
				   .lang = "en", .actor = "test",
				   .evidence_json = "{\"ip\":\"192.0.2.7\"}"};
	assert_int_equal(sk_consent_record(t->core, &r, &ev, &t->err), 0);
	assert_int_equal(ev.notice_version, 1);

	/* the same policy again keeps version 1; a changed text makes version 2 */
	assert_int_equal(t_apply_text(t, policy), 0);
	assert_int_equal(sk_policy_purpose(t->core->policy, "newsletter")->notice_version, 1);
	assert_int_equal(t_apply_text(t, t_policy_with(policy, "about once a month. Your",
						    "about twice a month. Your")), 0);
	assert_int_equal(sk_policy_purpose(t->core->policy, "newsletter")->notice_version, 2);
	assert_int_equal(sk_policy_purpose(t->core->policy, "offers")->notice_version, 1);

	/* proof shows version 1's exact text, its hash, and the evidence */
	assert_int_equal(sk_consent_proof(t->core, "ANNA@example.com", "newsletter", &p, &t->err), 0);
	assert_string_equal(p.notice_text, v1);
	uint8_t h[32];
	sk_vault_sha256(v1, strlen(v1), h);
	assert_memory_equal(p.event.notice_sha256, h, 32);
	assert_string_equal(p.event.source, "form:newsletter https://www.example.com/nyhetsbrev");
	assert_string_equal(sk_method_name(p.event.method), "form");
	assert_string_equal(p.evidence_json, "{\"ip\":\"192.0.2.7\"}");
	sk_proof_reset(&p);

	/* a new consent gets version 2; asking for version 1 explicitly still works */
	r.email = "berit@example.com";
	assert_int_equal(sk_consent_record(t->core, &r, &ev, &t->err), 0);
	assert_int_equal(ev.notice_version, 2);
	r.notice_version = 1;
	r.email = "carl@example.com";
	assert_int_equal(sk_consent_record(t->core, &r, &ev, &t->err), 0);
	assert_int_equal(ev.notice_version, 1);
	assert_int_equal(sk_consent_proof(t->core, "nobody@example.com", "newsletter", &p, &t->err),
			 SK_ERR_NOT_FOUND);
	assert_int_equal(sk_consent_proof(t->core, "anna@example.com", "offers", &p, &t->err),
			 SK_ERR_NOT_FOUND);
	free(v1);
	free(policy);
	tenv_free(t);
}

/* Four events; verify, then the given tampering, then verify again. */
static int64_t tampered_at(const char *sql)
{
	struct tenv *t = tenv_new(0);
	int64_t bad = -1, count;
	for (int i = 0; i < 4; i++) {
		char mail[64];
		snprintf(mail, sizeof(mail), "p%d@example.com", i);
		assert_int_equal(t_consent(t, mail, "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
	}
	struct sk_audit a;
	assert_int_equal(sk_audit_verify(t->core, &bad, &count, NULL, &t->err), 0);
	assert_int_equal(count, 4);
	assert_int_equal(sk_audit(t->core, 1, &a, &t->err), 0);
	assert_false(a.broken);
	assert_int_equal(a.events, 4);
	t_sql(t, sql);
	assert_int_equal(sk_audit_verify(t->core, &bad, &count, NULL, &t->err), SK_ERR_CHAIN_BROKEN);
	char want[64];
	snprintf(want, sizeof(want), "sequence number %lld", (long long)bad);
	assert_non_null(strstr(t->err.msg, want));
	/* the audit reports a broken chain as a finding, not an error */
	assert_int_equal(sk_audit(t->core, 0, &a, &t->err), 0);
	assert_true(a.broken);
	assert_int_equal(a.first_bad_seq, bad);
	assert_int_equal(a.scrub_since, 0);
	tenv_free(t);
	return bad;
}

static void audit_names_first_bad_seq(void **state)
{
	(void)state;
	assert_int_equal(tampered_at("UPDATE consent_ledger SET action = 'refuse' WHERE seq = 3"), 3);
	assert_int_equal(tampered_at("UPDATE consent_ledger SET source = 'x' WHERE seq = 1"), 1);
	assert_int_equal(tampered_at("UPDATE consent_ledger SET recorded_at = recorded_at + 1 "
				     "WHERE seq = 4"), 4);
	assert_int_equal(tampered_at("DELETE FROM consent_ledger WHERE seq = 2"), 2);
	assert_int_equal(tampered_at("DELETE FROM consent_ledger WHERE seq = 4; "
				     "UPDATE consent_ledger SET seq = 4 WHERE seq = 3"), 3);
	/* reordering: rows 2 and 3 swap places */
	assert_int_equal(tampered_at("UPDATE consent_ledger SET seq = -2 WHERE seq = 2; "
				     "UPDATE consent_ledger SET seq = 2 WHERE seq = 3; "
				     "UPDATE consent_ledger SET seq = 3 WHERE seq = -2"), 2);
}

/* ---- ledger hash versions (migration 7): 1 = SHA-256, 2 = BLAKE2b-256 ---- */

/* Known answers, computed independently (Python's hashlib over the same framing: 4-byte
 * big-endian length before each field, integers as 8-byte big-endian). Version 1 is the hash
 * every event written before migration 7 carries, so it must never change. */
static void ledger_hash_known_answers(void **state)
{
	(void)state;
	struct sk_event_rec ev = {0};
	uint8_t h[SK_HASH_LEN];
	char hex[2 * SK_HASH_LEN + 1];
	ev.seq = 7;
	sk_strlcpy(ev.id, "e_kat", sizeof(ev.id));
	sk_strlcpy(ev.contact_id, "c_kat", sizeof(ev.contact_id));
	sk_strlcpy(ev.purpose, "newsletter", sizeof(ev.purpose));
	sk_strlcpy(ev.action, "give", sizeof(ev.action));
	ev.occurred_at = 1700000000;
	ev.recorded_at = 1700000001;
	sk_strlcpy(ev.method, "form", sizeof(ev.method));
	sk_strlcpy(ev.source, "form:signup https://www.example.com/", sizeof(ev.source));
	ev.notice_version = 3;
	memset(ev.notice_sha256, 0x33, SK_HASH_LEN);
	sk_strlcpy(ev.lang, "sv", sizeof(ev.lang));
	ev.valid_until = 1763072000;
	sk_strlcpy(ev.actor, "subject", sizeof(ev.actor));
	ev.flags = 5;
	ev.evidence = (const uint8_t *)"sealed";
	ev.evidence_len = 6;
	memset(ev.prev_hash, 0x11, SK_HASH_LEN);

	ev.hash_version = SK_LEDGER_HASH_SHA256;
	sk_ledger_hash(&ev, h);
	sk_hex(h, SK_HASH_LEN, hex);
	assert_string_equal(hex, "82981067db3e6aac226fb9d3a3427308f108203aaf2784cac88248d241783e41");
	ev.hash_version = SK_LEDGER_HASH_BLAKE2B;
	sk_ledger_hash(&ev, h);
	sk_hex(h, SK_HASH_LEN, hex);
	assert_string_equal(hex, "3fad119a7f5bcec92fbc0575c59d159deb39203d51e9b502e0e7ead168401f22");
	/* 0 is the current version, which is BLAKE2b */
	uint8_t h0[SK_HASH_LEN];
	ev.hash_version = 0;
	sk_ledger_hash(&ev, h0);
	assert_memory_equal(h0, h, SK_HASH_LEN);
	/* the version is a hashed field: another number, another hash */
	ev.hash_version = 3;
	sk_ledger_hash(&ev, h0);
	assert_memory_not_equal(h0, h, SK_HASH_LEN);
}

static int events_into(void *arg, const struct sk_event_rec *ev)
{
	struct sk_event_rec *all = arg;
	assert_true(ev->seq >= 1 && ev->seq <= 8);
	all[ev->seq - 1] = *ev;
	all[ev->seq - 1].evidence = NULL; /* none here: t_consent gives no evidence */
	assert_null(ev->evidence);
	return 0;
}

static long replay_diffs(struct tenv *t)
{
	long ndiff = -1;
	assert_int_equal(sk_ledger_replay(t->core, 0, NULL, NULL, &ndiff, &t->err), 0);
	return ndiff;
}

/* A database as the code before migration 7 left it: schema version 6 (consent_ledger
 * without hash_version) and nold events hashed with SHA-256 (version 1), built at test time:
 * the events are recorded through the core, then rehashed as version 1 (the hash whose known
 * answer is checked above) and the column dropped. Then opened again, so that migration 7
 * runs as it would on an upgrade. */
static struct tenv *old_database(int nold)
{
	struct tenv *t = tenv_new(0);
	struct sk_event_rec ev[8];
	uint8_t prev[SK_HASH_LEN] = {0};
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_true(nold <= 8);
	for (int i = 0; i < nold; i++) {
		char mail[64];
		snprintf(mail, sizeof(mail), "old%d@example.com", i);
		assert_int_equal(t_consent(t, mail, "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
	}
	assert_int_equal(sk_store_ledger_each(t->store, NULL, 0, events_into, ev), 0);
	sk_core_free(t->core);
	sk_store_close(t->store);
	assert_int_equal(sqlite3_open(t->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "UPDATE consent_ledger SET prev_hash = ?2, hash = ?3"
					    " WHERE seq = ?1", -1, &st, NULL), SQLITE_OK);
	for (int i = 0; i < nold; i++) {
		assert_int_equal(ev[i].hash_version, SK_LEDGER_HASH_BLAKE2B);
		ev[i].hash_version = SK_LEDGER_HASH_SHA256;
		memcpy(ev[i].prev_hash, prev, SK_HASH_LEN);
		sk_ledger_hash(&ev[i], ev[i].hash);
		memcpy(prev, ev[i].hash, SK_HASH_LEN);
		sqlite3_bind_int64(st, 1, ev[i].seq);
		sqlite3_bind_blob(st, 2, ev[i].prev_hash, SK_HASH_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(st, 3, ev[i].hash, SK_HASH_LEN, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_exec(db, "ALTER TABLE consent_ledger DROP COLUMN hash_version;"
					  "DROP TABLE leases; DROP TABLE staff_users; DROP TABLE staff_sessions;"
					  " DROP TABLE staff_audit; DROP TABLE visitor_answers;"
					  " DROP TABLE visitors; DROP TABLE track_events;"
					  " DROP TABLE company_ranges; DROP TABLE scores;"
					  " DROP TABLE campaign_sends; DROP TABLE campaigns;"
					  " PRAGMA user_version = 6;", NULL, NULL,
				      NULL), SQLITE_OK);
	sqlite3_close(db);
	/* reopened: migrations 7 on */
	assert_int_equal(sk_store_open(t->uri, 0, &t->store, &t->err), 0);
	assert_int_equal(sk_core_open(t->store, t->vault, 0, &t->core, &t->err), 0);
	return t;
}

static void t_exec_int(struct tenv *t, const char *sql, int64_t want)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(t->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0), want);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* The upgrade: old events keep verifying as version 1, new ones are version 2, and the chain
 * holds across the boundary (audit verify, audit head, replay --check). */
static void ledger_upgrade_keeps_old_events(void **state)
{
	(void)state;
	T_SQLITE_ONLY(); /* SQLite's migration 7 on an old file */
	struct tenv *t = old_database(3);
	int64_t bad = -1, count = 0;
	uint8_t head[SK_HASH_LEN];
	struct sk_event_rec last;
	t_exec_int(t, "PRAGMA user_version", 12);
	t_exec_int(t, "SELECT count(*) FROM consent_ledger WHERE hash_version = 1", 3);
	assert_int_equal(sk_audit_verify(t->core, &bad, &count, head, &t->err), 0);
	assert_int_equal(count, 3);
	assert_int_equal(sk_store_ledger_each(t->store, NULL, 2, sk__copy_event, &last), 0);
	assert_int_equal(last.hash_version, SK_LEDGER_HASH_SHA256);
	assert_memory_equal(head, last.hash, SK_HASH_LEN);
	assert_int_equal(replay_diffs(t), 0);

	assert_int_equal(t_consent(t, "new0@example.com", "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
	assert_int_equal(t_consent(t, "old1@example.com", "newsletter", SK_ACT_WITHDRAW, "form", "f", 0), 0);
	t_exec_int(t, "SELECT count(*) FROM consent_ledger WHERE hash_version = 2 AND seq > 3", 2);
	assert_int_equal(sk_audit_verify(t->core, &bad, &count, head, &t->err), 0);
	assert_int_equal(count, 5);
	assert_int_equal(sk_store_ledger_each(t->store, NULL, 4, sk__copy_event, &last), 0);
	assert_int_equal(last.seq, 5);
	assert_int_equal(last.hash_version, SK_LEDGER_HASH_BLAKE2B);
	assert_memory_equal(head, last.hash, SK_HASH_LEN);
	assert_int_equal(replay_diffs(t), 0);
	tenv_free(t);
}

/* An old database (3 version-1 events), 2 version-2 events after it, the tampering, then
 * the audit: the first bad sequence number. */
static int64_t mixed_tampered_at(const char *sql)
{
	struct tenv *t = old_database(3);
	int64_t bad = -1, count;
	assert_int_equal(t_consent(t, "new0@example.com", "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
	assert_int_equal(t_consent(t, "new1@example.com", "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
	assert_int_equal(sk_audit_verify(t->core, &bad, &count, NULL, &t->err), 0);
	assert_int_equal(count, 5);
	t_sql(t, sql);
	int rc = sk_audit_verify(t->core, &bad, &count, NULL, &t->err);
	tenv_free(t);
	return rc == SK_ERR_CHAIN_BROKEN ? bad : 0;
}

static void ledger_mixed_chain_tampered(void **state)
{
	(void)state;
	T_SQLITE_ONLY(); /* SQLite's migration 7 on an old file */
	/* a version-2 row altered */
	assert_int_equal(mixed_tampered_at("UPDATE consent_ledger SET action = 'refuse' WHERE seq = 5"), 5);
	/* a version-2 row's version flipped to 1 (or to a version this build does not know) */
	assert_int_equal(mixed_tampered_at("UPDATE consent_ledger SET hash_version = 1 WHERE seq = 4"), 4);
	assert_int_equal(mixed_tampered_at("UPDATE consent_ledger SET hash_version = 1 WHERE seq = 5"), 5);
	assert_int_equal(mixed_tampered_at("UPDATE consent_ledger SET hash_version = 3 WHERE seq = 4"), 4);
	assert_int_equal(mixed_tampered_at("UPDATE consent_ledger SET hash_version = 0 WHERE seq = 5"), 5);
	/* a version-1 row's version raised, a version-1 row altered */
	assert_int_equal(mixed_tampered_at("UPDATE consent_ledger SET hash_version = 2 WHERE seq = 3"), 3);
	assert_int_equal(mixed_tampered_at("UPDATE consent_ledger SET source = 'x' WHERE seq = 2"), 2);
	/* across the boundary: the first version-2 row no longer names the last version-1 one,
	 * or the last version-1 row deleted */
	assert_int_equal(mixed_tampered_at("UPDATE consent_ledger SET prev_hash = zeroblob(32) "
					   "WHERE seq = 4"), 4);
	assert_int_equal(mixed_tampered_at("DELETE FROM consent_ledger WHERE seq = 3"), 3);
}

/* Appends one event for contact_id chained onto the head (or, with prev, onto that hash
 * instead), hashed as version hv: its own hash is right for what it holds. */
static void append_event(struct tenv *t, const char *contact_id, int hv, const uint8_t *prev)
{
	struct sk_event_rec ev = {0};
	assert_int_equal(sk_store_begin(t->store, 1), 0);
	assert_int_equal(sk_store_ledger_last(t->store, &ev.seq, ev.prev_hash), 0);
	if (prev)
		memcpy(ev.prev_hash, prev, SK_HASH_LEN);
	ev.seq++;
	assert_int_equal(sk_id_new("e_", ev.id), 0);
	sk_strlcpy(ev.contact_id, contact_id, sizeof(ev.contact_id));
	sk_strlcpy(ev.purpose, "newsletter", sizeof(ev.purpose));
	sk_strlcpy(ev.action, "withdraw", sizeof(ev.action));
	ev.occurred_at = ev.recorded_at = sk_time_now();
	sk_strlcpy(ev.method, "form", sizeof(ev.method));
	sk_strlcpy(ev.source, "f", sizeof(ev.source));
	ev.notice_version = 1;
	sk_strlcpy(ev.lang, "en", sizeof(ev.lang));
	sk_strlcpy(ev.actor, "test", sizeof(ev.actor));
	ev.hash_version = hv;
	sk_ledger_hash(&ev, ev.hash);
	assert_int_equal(sk_store_ledger_append(t->store, &ev), 0);
	assert_int_equal(sk_store_commit(t->store), 0);
}

static void append_with_version(struct tenv *t, const char *contact_id, int hv)
{
	append_event(t, contact_id, hv, NULL);
}

/* The prev link: an event whose own hash is right but that names another event before it
 * (as a row copied in from another database, or chained onto an older row) breaks the chain
 * at that event; so does one of a hash version this build does not know, even hashed
 * rightly as that version. */
static void ledger_checks_each_link(void **state)
{
	(void)state;
	uint8_t other[SK_HASH_LEN];
	for (size_t i = 0; i < SK_HASH_LEN; i++)
		other[i] = (uint8_t)(0xa5 ^ i);
	for (int k = 0; k < 2; k++) {
		struct tenv *t = tenv_new(0);
		char id[SK_ID_LEN + 1];
		int64_t bad = -1, count;
		for (int i = 0; i < 3; i++) {
			char mail[64];
			snprintf(mail, sizeof(mail), "link%d@example.com", i);
			assert_int_equal(t_consent(t, mail, "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
		}
		assert_int_equal(sk_contact_find(t->core, "link0@example.com", id, &t->err), 0);
		if (k == 0)
			append_event(t, id, SK_LEDGER_HASH_BLAKE2B, other);
		else
			append_event(t, id, SK_LEDGER_HASH_BLAKE2B + 1, NULL);
		assert_int_equal(sk_audit_verify(t->core, &bad, &count, NULL, &t->err),
				 SK_ERR_CHAIN_BROKEN);
		assert_int_equal(bad, 4);
		assert_non_null(strstr(t->err.msg, "sequence number 4"));
		tenv_free(t);
	}
}

/* No downgrade: a version-1 event, correctly chained and hashed, after a version-2 one is a
 * broken chain at that event; the same event as version 2 is whole (so it is the rule, not
 * the chain, that refuses it). */
static void ledger_refuses_downgrade(void **state)
{
	(void)state;
	T_SQLITE_ONLY(); /* SQLite's migration 7 on an old file */
	for (int hv = SK_LEDGER_HASH_SHA256; hv <= SK_LEDGER_HASH_BLAKE2B; hv++) {
		struct tenv *t = old_database(2);
		char id[SK_ID_LEN + 1];
		int64_t bad = -1, count;
		assert_int_equal(t_consent(t, "new0@example.com", "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
		assert_int_equal(sk_contact_find(t->core, "new0@example.com", id, &t->err), 0);
		append_with_version(t, id, hv);
		int rc = sk_audit_verify(t->core, &bad, &count, NULL, &t->err);
		if (hv == SK_LEDGER_HASH_SHA256) {
			assert_int_equal(rc, SK_ERR_CHAIN_BROKEN);
			assert_int_equal(bad, 4);
			assert_non_null(strstr(t->err.msg, "sequence number 4"));
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(count, 4);
		}
		tenv_free(t);
	}
}

/* Every byte of the database file and its WAL, searched for the plain value. */
static int db_contains(struct tenv *t, const char *needle)
{
	return t_db_contains(t->db, needle, strlen(needle));
}

static void no_personal_data_in_clear(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_field_value f[] = {{"first_name", "Zebulonia"}, {"last_name", "Quattlebaum"},
				     {"phone", "+46 70 123 45 67"}};
	char id[SK_ID_LEN + 1];
	assert_int_equal(sk_contact_add(t->core, "zebulonia.q@canary.example", f, 3, id, &t->err), 0);
	struct sk_consent_req r = {.email = "zebulonia.q@canary.example", .purpose = "newsletter",
				   .action = SK_ACT_GIVE, .method = "form", .source = "form:x",
				   .lang = "en", .evidence_json = "{\"ip\":\"198.51.100.23\"}"};
	assert_int_equal(sk_consent_record(t->core, &r, NULL, &t->err), 0);
	assert_false(db_contains(t, "zebulonia"));
	assert_false(db_contains(t, "Zebulonia"));
	assert_false(db_contains(t, "Quattlebaum"));
	assert_false(db_contains(t, "canary.example"));
	assert_false(db_contains(t, "123 45 67"));
	assert_false(db_contains(t, "198.51.100.23"));
	/* the test would see them if they were there */
	assert_true(db_contains(t, "newsletter"));
	tenv_free(t);
}

static void wrong_key_is_refused(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char other[160];
	struct sk_vault *v;
	struct sk_core *c;
	snprintf(other, sizeof(other), "%s/other.key", t->dir);
	assert_int_equal(sk_vault_keyfile_create(other, &t->err), 0);
	assert_int_equal(sk_vault_open(other, &v, &t->err), 0);
	assert_int_equal(sk_core_open(t->store, v, 0, &c, &t->err), SK_ERR_KEY);
	sk_vault_free(v);
	assert_int_equal(sk_core_open(t->store, t->vault, 0, &c, &t->err), 0);
	assert_non_null(c->policy);
	sk_core_free(c);
	tenv_free(t);
}

static void gate_fails_closed(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(1);
	struct sk_gate_result g;
	assert_int_equal(t_consent(t, "anna@example.com", "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
	sk_store_fault_set(t->store, 0, 0);
	sk_gate_check(t->core, "anna@example.com", "newsletter", sk_time_now(), &g);
	assert_true(g.allowed);
	long calls = sk_store_fault_calls(t->store);
	assert_true(calls >= 1);
	for (long n = 1; n <= calls; n++) {
		sk_store_fault_set(t->store, n, 1);
		sk_gate_check(t->core, "anna@example.com", "newsletter", sk_time_now(), &g);
		assert_false(g.allowed);
		assert_string_equal(sk_reason_name(g.reason), "error");
	}
	/* nothing recorded: the gate also asks for an unconfirmed form request, and a failure
	 * there is an error too, not "no_consent" */
	sk_store_fault_set(t->store, 0, 0);
	sk_gate_check(t->core, "nobody@example.com", "newsletter", sk_time_now(), &g);
	assert_string_equal(sk_reason_name(g.reason), "no_consent");
	calls = sk_store_fault_calls(t->store);
	assert_true(calls >= 2);
	for (long n = 1; n <= calls; n++) {
		sk_store_fault_set(t->store, n, 1);
		sk_gate_check(t->core, "nobody@example.com", "newsletter", sk_time_now(), &g);
		assert_false(g.allowed);
		assert_string_equal(sk_reason_name(g.reason), "error");
	}
	sk_store_fault_set(t->store, 0, 0);
	tenv_free(t);
}

/* A write that fails at any storage call leaves the ledger whole and the state equal to it. */
static void failed_writes_leave_nothing(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(1);
	int64_t bad, count;
	long ndiff;
	assert_int_equal(t_consent(t, "first@example.com", "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
	long events = t_count(t, "consent_ledger"), changes = t_count(t, "changes");
	long contacts = t_count(t, "contacts");
	long failures = 0;
	for (long n = 1;; n++) {
		sk_store_fault_set(t->store, n, 0);
		int rc = t_consent(t, "new@example.com", "offers", SK_ACT_GIVE, "form", "f", 0);
		if (rc == 0)
			break;
		failures++;
		assert_true(n < 100);
		sk_store_fault_set(t->store, 0, 0);
		assert_int_equal(t_count(t, "consent_ledger"), events);
		assert_int_equal(t_count(t, "changes"), changes);
		assert_int_equal(t_count(t, "contacts"), contacts);
		assert_string_equal(t_gate(t, "new@example.com", "offers", 0), "no_consent");
	}
	sk_store_fault_set(t->store, 0, 0);
	assert_true(failures > 0); /* an injected fault made it fail: errors are not ignored */
	assert_int_equal(t_count(t, "consent_ledger"), events + 1);
	assert_int_equal(sk_audit_verify(t->core, &bad, &count, NULL, &t->err), 0);
	assert_int_equal(sk_ledger_replay(t->core, 0, NULL, NULL, &ndiff, &t->err), 0);
	assert_int_equal(ndiff, 0);

	/* the same under allocation failure */
	for (long n = 0;; n++) {
		sk_mem_fail_after(n);
		int rc = t_consent(t, "mem@example.com", "offers", SK_ACT_GIVE, "form", "f", 0);
		sk_mem_fail_after(-1);
		if (rc == 0)
			break;
		assert_true(n < 1000);
		assert_int_equal(t_count(t, "consent_ledger"), events + 1);
	}
	assert_int_equal(sk_audit_verify(t->core, &bad, &count, NULL, &t->err), 0);
	assert_int_equal(count, events + 2);
	tenv_free(t);
}

static void api_keys(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char key[SK_KEY_STRLEN], key2[SK_KEY_STRLEN];
	struct sk_key_rec k;

	assert_int_equal(sk_key_create(t->core, "crm", "read,write", key, &t->err), 0);
	assert_int_equal(sk_key_authenticate(t->core, key, &k, &t->err), 0);
	assert_string_equal(k.name, "crm");
	assert_true(sk_key_has_scope(&k, "read"));
	assert_true(sk_key_has_scope(&k, "write"));
	assert_false(sk_key_has_scope(&k, "admin"));
	assert_false(sk_key_has_scope(&k, "rea"));
	/* the secret is not in the database, only its hash */
	assert_false(db_contains(t, strchr(key, '.') + 1));

	char bad[SK_KEY_STRLEN];
	snprintf(bad, sizeof(bad), "%s", key);
	bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == '0' ? '1' : '0';
	assert_int_equal(sk_key_authenticate(t->core, bad, &k, &t->err), SK_ERR_UNAUTHORIZED);
	assert_string_equal(k.name, "");
	assert_int_equal(sk_key_authenticate(t->core, "nonsense", &k, &t->err), SK_ERR_UNAUTHORIZED);
	assert_int_equal(sk_key_authenticate(t->core, "", &k, &t->err), SK_ERR_UNAUTHORIZED);
	/* within the second, the same string is matched from the cache, with its record; any
	 * other string with the same id (longer, shorter) is checked in full and refused */
	for (int i = 0; i < 3; i++) {
		memset(&k, 0, sizeof(k));
		assert_int_equal(sk_key_authenticate(t->core, key, &k, &t->err), 0);
		assert_string_equal(k.name, "crm");
		assert_string_equal(k.scopes, "read,write");
	}
	snprintf(bad, sizeof(bad), "%s", key);
	bad[strlen(bad) - 1] = '\0';
	assert_int_equal(sk_key_authenticate(t->core, bad, &k, &t->err), SK_ERR_UNAUTHORIZED);
	char longer[SK_KEY_STRLEN + 2];
	snprintf(longer, sizeof(longer), "%s0", key);
	assert_int_equal(sk_key_authenticate(t->core, longer, &k, &t->err), SK_ERR_UNAUTHORIZED);
	assert_int_equal(sk_key_authenticate(t->core, key, &k, &t->err), 0);

	assert_int_equal(sk_key_create(t->core, "crm", "read", key2, &t->err), SK_ERR_EXISTS);
	assert_int_equal(sk_key_create(t->core, "x", "read,root", key2, &t->err), SK_ERR_INVALID);
	assert_int_equal(sk_key_create(t->core, "x", "", key2, &t->err), SK_ERR_INVALID);
	assert_int_equal(sk_key_create(t->core, "bad name", "read", key2, &t->err), SK_ERR_INVALID);

	assert_int_equal(sk_key_revoke(t->core, "crm", &t->err), 0);
	assert_int_equal(sk_key_authenticate(t->core, key, &k, &t->err), SK_ERR_UNAUTHORIZED);
	assert_int_equal(sk_key_revoke(t->core, "crm", &t->err), SK_ERR_NOT_FOUND);
	/* the name is free again; the old key stays revoked */
	assert_int_equal(sk_key_create(t->core, "crm", "read", key2, &t->err), 0);
	assert_int_equal(sk_key_authenticate(t->core, key2, &k, &t->err), 0);
	assert_int_equal(sk_key_authenticate(t->core, key, &k, &t->err), SK_ERR_UNAUTHORIZED);
	tenv_free(t);
}

/* What an idempotent call does: records a consent (a write) and answers 201, or fails. */
struct idem_try {
	struct tenv *t;
	int calls;
	int fail;
	char body[64];
};

static int idem_try(void *arg, int *status, const char **body)
{
	struct idem_try *x = arg;
	x->calls++;
	int rc = t_consent(x->t, "idem@example.com", "newsletter", SK_ACT_GIVE, "api", "test", 0);
	if (rc)
		return rc;
	if (x->fail)
		return sk_errf(&x->t->err, SK_ERR_INVALID, "the call failed after its write");
	snprintf(x->body, sizeof(x->body), "{\"call\":%d}", x->calls);
	*status = 201;
	*body = x->body;
	return 0;
}

static int idem_count(void *arg, const struct sk_consent_event *ev)
{
	(void)ev;
	(*(long *)arg)++;
	return 0;
}

static long idem_events(struct tenv *t)
{
	long n = 0;
	char id[SK_ID_LEN + 1];
	if (sk_contact_find(t->core, "idem@example.com", id, &t->err) == 0)
		(void)sk_consent_history(t->core, id, idem_count, &n, &t->err);
	return n;
}

/* sk_idem_run: a retry gets the first answer and writes nothing; another request under the
 * same key is refused; a failed call saves neither its write nor an answer; a bad key is
 * refused before anything runs; after the TTL the key is forgotten. */
static void idempotent_answers(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct idem_try x = {.t = t};
	struct sk_answer a;
	const char req[] = "POST /v1/consents {...}";

	assert_int_equal(sk_idem_run(t->core, "k_1", "retry-1", req, sizeof(req), idem_try, &x, &a,
				     &t->err), 0);
	assert_int_equal(a.status, 0);
	assert_int_equal(x.calls, 1);
	assert_int_equal(idem_events(t), 1);
	assert_int_equal(sk_idem_run(t->core, "k_1", "retry-1", req, sizeof(req), idem_try, &x, &a,
				     &t->err), 0);
	assert_int_equal(x.calls, 1);
	assert_int_equal(a.status, 201);
	assert_string_equal(a.body, "{\"call\":1}");
	sk_free(a.body);
	assert_int_equal(idem_events(t), 1);
	/* another request under the same key; the same key of another API key is its own */
	assert_int_equal(sk_idem_run(t->core, "k_1", "retry-1", "other", 5, idem_try, &x, &a,
				     &t->err), SK_ERR_IDEMPOTENCY_MISMATCH);
	assert_int_equal(x.calls, 1);
	assert_int_equal(sk_idem_run(t->core, "k_2", "retry-1", "other", 5, idem_try, &x, &a,
				     &t->err), 0);
	assert_int_equal(x.calls, 2);
	assert_int_equal(idem_events(t), 2);
	/* a call that fails after writing: its write and no answer are kept */
	x.fail = 1;
	assert_int_equal(sk_idem_run(t->core, "k_1", "retry-2", req, sizeof(req), idem_try, &x, &a,
				     &t->err), SK_ERR_INVALID);
	assert_int_equal(idem_events(t), 2);
	x.fail = 0;
	assert_int_equal(sk_idem_run(t->core, "k_1", "retry-2", req, sizeof(req), idem_try, &x, &a,
				     &t->err), 0);
	assert_int_equal(a.status, 0);
	assert_int_equal(idem_events(t), 3);
	/* keys that are not 1 to 255 printable ASCII bytes: refused, nothing runs */
	char longkey[300];
	memset(longkey, 'k', 256);
	longkey[256] = '\0';
	const char *bad[] = {"", "tab\there", longkey, "caf\xc3\xa9"};
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(sk_idem_run(t->core, "k_1", bad[i], req, sizeof(req), idem_try, &x,
					     &a, &t->err), SK_ERR_INVALID);
	assert_int_equal(x.calls, 4);
	/* no key: the call just runs */
	assert_int_equal(sk_idem_run(t->core, "k_1", NULL, req, sizeof(req), idem_try, &x, &a,
				     &t->err), 0);
	assert_int_equal(x.calls, 5);
	/* after the TTL it is forgotten */
	char later[SK_TIME_STRLEN];
	sk_time_format(sk_time_now() + SK_IDEM_TTL + 10, later);
	setenv("SAMTYCKE_NOW", later, 1);
	assert_int_equal(sk_idem_run(t->core, "k_1", "retry-1", req, sizeof(req), idem_try, &x, &a,
				     &t->err), 0);
	unsetenv("SAMTYCKE_NOW");
	assert_int_equal(a.status, 0);
	assert_int_equal(x.calls, 6);
	tenv_free(t);
}

static void receipt_of_an_event(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_consent_event ev;
	struct sk_consent_receipt rc;
	struct sk_consent_req r = {.email = "anna@example.com", .purpose = "newsletter",
				   .action = SK_ACT_GIVE, .method = "form", .source = "form:nl",
				   .lang = "sv"};
	assert_int_equal(sk_consent_record(t->core, &r, &ev, &t->err), 0);
	/* what the receipt says (its JSON: test_render.c) */
	assert_int_equal(sk_receipt(t->core, ev.id, &rc, &t->err), 0);
	assert_string_equal(rc.event_id, ev.id);
	assert_string_equal(rc.contact_id, ev.contact_id);
	assert_string_equal(rc.method, "form");
	assert_string_equal(rc.source, "form:nl");
	assert_string_equal(rc.lang, "sv");
	assert_int_equal(rc.consent_at, ev.occurred_at);
	assert_non_null(rc.purpose);
	assert_string_equal(rc.purpose->title[rc.text_lang], "Nyhetsbrev");
	assert_ptr_equal(rc.policy, sk_core_policy(t->core));
	assert_int_equal(rc.action, SK_ACT_GIVE);
	assert_int_equal(rc.terms, SK_TERMS_GIVEN);
	assert_string_equal(rc.method_phrase, "Web form");
	assert_string_equal(rc.purpose_category, "Marketing");
	assert_int_equal(rc.npii, 2);
	assert_string_equal(rc.pii_categories[0], "Biographical");
	assert_string_equal(rc.pii_categories[1], "Contact");
	assert_int_equal(sk_receipt(t->core, "e_nosuchevent", &rc, &t->err), SK_ERR_NOT_FOUND);
	/* the events that refuse or end a consent, and an unverified claim, say so */
	struct { enum sk_action action; const char *method, *source; enum sk_receipt_terms terms; }
	steps[] = {{SK_ACT_REFUSE, "api", "crm", SK_TERMS_REFUSED},
		   {SK_ACT_WITHDRAW, "mail_link", "mail", SK_TERMS_WITHDRAWN},
		   {SK_ACT_GIVE, "import", "", SK_TERMS_UNVERIFIED}};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		r.action = steps[i].action;
		r.method = steps[i].method;
		r.source = steps[i].source;
		r.occurred_at = 0;
		assert_int_equal(sk_consent_record(t->core, &r, &ev, &t->err), 0);
		assert_int_equal(sk_receipt(t->core, ev.id, &rc, &t->err), 0);
		assert_int_equal(rc.action, steps[i].action);
		assert_int_equal(rc.terms, steps[i].terms);
		/* the time of the event; none for a claim without one (not its recording) */
		assert_int_equal(rc.consent_at, steps[i].terms == SK_TERMS_UNVERIFIED ? 0
								: ev.occurred_at);
		assert_int_equal(rc.recorded_at, ev.recorded_at);
	}
	tenv_free(t);
}

/* Kantara's categories: one per purpose kind and per field type, all in its appendices. */
static void receipt_category_tables(void **state)
{
	(void)state;
	static const char *const purpose_cats[] = {
		"Core Function", "Contracted Service", "Delivery", "Contact Requested",
		"Personalized Experience", "Marketing", "Marketing Third Parties",
		"Sharing for Delivery", "Sharing for Marketing",
		"3rd Party Sharing for Core Function", "Legally Required Data Retention",
		"Required by Law Enforcement or Government", "Protecting Your Health",
		"Protecting Our Interests", "Improve Performance"};
	static const char *const pii_cats[] = {"Biographical", "Contact", "Biometric",
					       "Communications/Social", "Network/Service", "Health",
					       "Financial"};
	for (int k = SK_KIND_COMMUNICATION; k <= SK_KIND_OTHER; k++) {
		const char *c = sk_kind_purpose_category((enum sk_kind)k);
		int found = 0;
		assert_non_null(c);
		for (size_t i = 0; i < sizeof(purpose_cats) / sizeof(purpose_cats[0]); i++)
			found |= strcmp(c, purpose_cats[i]) == 0;
		if (!found)
			fail_msg("kind %s maps to \"%s\", not a Kantara purpose category",
				 sk_kind_name((enum sk_kind)k), c);
	}
	assert_string_equal(sk_kind_purpose_category(SK_KIND_COMMUNICATION), "Marketing");
	assert_string_equal(sk_kind_purpose_category(SK_KIND_OTHER), "Contracted Service");
	assert_null(sk_kind_purpose_category((enum sk_kind)99));
	for (int f = SK_FIELD_EMAIL; f <= SK_FIELD_COUNTRY; f++) {
		const char *c = sk_field_pii_category((enum sk_field_type)f);
		int found = 0;
		assert_non_null(c);
		for (size_t i = 0; i < sizeof(pii_cats) / sizeof(pii_cats[0]); i++)
			found |= strcmp(c, pii_cats[i]) == 0;
		assert_true(found);
	}
	assert_string_equal(sk_field_pii_category(SK_FIELD_EMAIL), "Contact");
	assert_string_equal(sk_field_pii_category(SK_FIELD_TEXT), "Biographical");
	assert_null(sk_field_pii_category((enum sk_field_type)99));
	/* every method reads as a phrase, not its stored word */
	for (int m = 0; m < SK_NMETHODS; m++) {
		const char *ph = sk_method_phrase((enum sk_method)m);
		assert_non_null(ph);
		assert_true(ph[0] >= 'A' && ph[0] <= 'Z');
		assert_null(strchr(ph, '_'));
	}
	assert_null(sk_method_phrase((enum sk_method)SK_NMETHODS));
}

static int t_pending_give(struct tenv *t, const char *email, const char *purpose, int64_t at,
			  struct sk_consent_event *out)
{
	struct sk_consent_req r = {.email = email, .purpose = purpose, .action = SK_ACT_GIVE,
				   .method = "form", .source = "form:newsletter", .lang = "en",
				   .occurred_at = at, .double_opt_in = 1,
				   .evidence_json = "{\"ip\":\"203.0.113.77\"}"};
	return sk_consent_record(t->core, &r, out, &t->err);
}

static void double_opt_in_confirm_and_expiry(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_consent_event ev;
	int n;
	long expired, deleted, ndiff;
	int64_t now = sk_time_now(), bad, count;

	/* confirmed: given from the confirmation on */
	assert_int_equal(t_pending_give(t, "doi@example.com", "newsletter", 0, &ev), 0);
	assert_string_equal(t_gate(t, "doi@example.com", "newsletter", 0), "pending_confirmation");
	assert_int_equal(sk_pending_confirm(t->core, ev.contact_id, ev.seq, ev.seq,
					    "{\"ip\":\"198.51.100.4\"}", &n, &t->err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(t_gate(t, "doi@example.com", "newsletter", 0), "consent");
	struct sk_proof pr;
	assert_int_equal(sk_consent_proof(t->core, "doi@example.com", "newsletter", &pr, &t->err), 0);
	assert_string_equal(sk_action_name(pr.event.action), "confirm");
	assert_string_equal(pr.evidence_json, "{\"ip\":\"198.51.100.4\"}");
	assert_int_equal(pr.given.seq, ev.seq);
	assert_string_equal(pr.given_evidence_json, "{\"ip\":\"203.0.113.77\"}");
	sk_proof_reset(&pr);
	/* a second press confirms nothing more and appends nothing */
	long events = 0;
	assert_int_equal(sk_audit_verify(t->core, &bad, &events, NULL, &t->err), 0);
	assert_int_equal(sk_pending_confirm(t->core, ev.contact_id, ev.seq, ev.seq, "{}", &n, &t->err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(sk_audit_verify(t->core, &bad, &count, NULL, &t->err), 0);
	assert_int_equal(count, events);
	/* a range that does not cover the pending event confirms nothing */
	assert_int_equal(t_pending_give(t, "other@example.com", "newsletter", 0, &ev), 0);
	assert_int_equal(sk_pending_confirm(t->core, ev.contact_id, ev.seq + 1, ev.seq + 5, "{}", &n,
					    &t->err), 0);
	assert_int_equal(n, 0);
	assert_string_equal(t_gate(t, "other@example.com", "newsletter", 0), "pending_confirmation");

	/* left unconfirmed: expired, and the contact's personal data deleted */
	struct sk_field_value f[] = {{"first_name", "Zorblatt"}};
	char id[SK_ID_LEN + 1];
	assert_int_equal(sk_contact_add(t->core, "stale@example.com", f, 1, id, &t->err), 0);
	assert_int_equal(t_pending_give(t, "stale@example.com", "newsletter", now - 10 * DAY, &ev), 0);
	/* one with something else to keep: only the pending consent expires */
	assert_int_equal(t_consent(t, "keeper@example.com", "offers", SK_ACT_GIVE, "form", "f", 0), 0);
	assert_int_equal(t_pending_give(t, "keeper@example.com", "newsletter", now - 10 * DAY, &ev), 0);
	assert_int_equal(sk_pending_expire(t->core, now, 7, &expired, &deleted, &t->err), 0);
	assert_int_equal(expired, 2);
	assert_int_equal(deleted, 1);
	assert_int_equal(sk_contact_find(t->core, "stale@example.com", id, &t->err), SK_ERR_NOT_FOUND);
	assert_string_equal(t_gate(t, "stale@example.com", "newsletter", 0), "no_consent");
	assert_string_equal(t_gate(t, "keeper@example.com", "newsletter", 0), "expired");
	assert_string_equal(t_gate(t, "keeper@example.com", "offers", 0), "consent");
	/* the recent pending one stays */
	assert_string_equal(t_gate(t, "other@example.com", "newsletter", 0), "pending_confirmation");
	assert_false(db_contains(t, "Zorblatt"));
	/* the ledger still verifies and replay accepts the deleted contact's missing state */
	assert_int_equal(sk_audit_verify(t->core, &bad, &count, NULL, &t->err), 0);
	assert_int_equal(sk_ledger_replay(t->core, 0, NULL, NULL, &ndiff, &t->err), 0);
	assert_int_equal(ndiff, 0);
	tenv_free(t);
}

/* Pending expiry reads the pending states only (through the index of migration 6), never
 * every consent state: a given state whose row cannot even be read does not stop it, where
 * a scan of every state failed on that row. */
static void pending_expiry_reads_only_pending_states(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_consent_event ev;
	long expired = -1, deleted = -1;
	int64_t now = sk_time_now();
	assert_int_equal(t_consent(t, "given@example.com", "offers", SK_ACT_GIVE, "form", "f", 0), 0);
	assert_int_equal(t_pending_give(t, "stale@example.com", "newsletter", now - 10 * DAY, &ev), 0);
	assert_int_equal(t_pending_give(t, "fresh@example.com", "newsletter", 0, &ev), 0);
	assert_int_equal(t_count(t, t_pg() ? "pg_indexes WHERE indexname = 'consent_state_pending'"
				 : "sqlite_master WHERE name = 'consent_state_pending'"), 1);
	/* the given state's event id longer than its field: reading that row is an error */
	t_sql(t, t_pg() ? "UPDATE consent_state SET event_id = repeat('0', 200) WHERE status = 'given'"
	      : "UPDATE consent_state SET event_id = printf('%0200d', 0) WHERE status = 'given'");
	assert_int_equal(sk_pending_expire(t->core, now, 7, &expired, &deleted, &t->err), 0);
	assert_int_equal(expired, 1);
	assert_int_equal(deleted, 1);
	assert_string_equal(t_gate(t, "stale@example.com", "newsletter", 0), "no_consent");
	assert_string_equal(t_gate(t, "fresh@example.com", "newsletter", 0), "pending_confirmation");
	/* nothing older than the cut-off is left pending: a second pass does nothing */
	assert_int_equal(sk_pending_expire(t->core, now, 7, &expired, &deleted, &t->err), 0);
	assert_int_equal(expired, 0);
	tenv_free(t);
}

static void count_hook(void *arg)
{
	(*(int *)arg)++;
}

/* The change hook runs once per commit that appended a change, after the commit; not for a
 * write that failed and rolled back, not for a batch until it commits, never for a batch
 * rolled back, and not after it is cleared. */
static void change_hook_after_commit_only(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	int calls = 0;
	sk_core_set_change_hook(count_hook, &calls);
	assert_int_equal(t_consent(t, "a@example.com", "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
	assert_int_equal(calls, 1);
	assert_int_not_equal(t_consent(t, "a@example.com", "nosuchpurpose", SK_ACT_GIVE, "form", "f",
				       0), 0);
	assert_int_equal(calls, 1);
	struct sk_gate_result g;
	sk_gate_check(t->core, "a@example.com", "newsletter", sk_time_now(), &g);
	assert_int_equal(calls, 1);
	assert_int_equal(sk_core_batch_begin(t->core, &t->err), 0);
	assert_int_equal(t_consent(t, "b@example.com", "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
	assert_int_equal(t_consent(t, "c@example.com", "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
	assert_int_equal(calls, 1);
	assert_int_equal(sk_core_batch_commit(t->core, &t->err), 0);
	assert_int_equal(calls, 2);
	assert_int_equal(sk_core_batch_begin(t->core, &t->err), 0);
	assert_int_equal(t_consent(t, "d@example.com", "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
	sk_core_batch_rollback(t->core);
	assert_int_equal(sk_core_batch_begin(t->core, &t->err), 0);
	assert_int_equal(sk_core_batch_commit(t->core, &t->err), 0); /* nothing appended */
	assert_int_equal(calls, 2);
	sk_core_set_change_hook(NULL, NULL);
	assert_int_equal(t_consent(t, "a@example.com", "newsletter", SK_ACT_WITHDRAW, "form", "f", 0), 0);
	assert_int_equal(calls, 2);
	tenv_free(t);
}

/* ---- one person, one canonical address (canonical form version 2) ---- */

/* Åsa.Öberg in three spellings: composed with capitals, lower case with spaces around,
 * decomposed (A + combining ring above, O + combining diaeresis). */
#define ASA_UPPER "\xc3\x85sa.\xc3\x96""berg@Example.com"
#define ASA_LOWER " \xc3\xa5sa.\xc3\xb6""berg@example.com "
#define ASA_NFD "A\xcc\x8asa.O\xcc\x88""berg@example.com"

static void unicode_spellings_are_one_person(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	const char *spellings[] = {ASA_UPPER, ASA_LOWER, ASA_NFD};
	char id[SK_ID_LEN + 1], id2[SK_ID_LEN + 1];
	struct sk_contact ct;
	struct sk_gate_result g;
	struct sk_erasure_receipt receipt;
	int yes;

	assert_int_equal(sk_contact_add(t->core, ASA_UPPER, NULL, 0, id, &t->err), 0);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(sk_contact_find(t->core, spellings[i], id2, &t->err), 0);
		assert_string_equal(id, id2);
		assert_int_equal(sk_contact_add(t->core, spellings[i], NULL, 0, id2, &t->err),
				 SK_ERR_EXISTS);
	}
	/* kept as written, for the person and the CRM */
	assert_int_equal(sk_contact_get_by_id(t->core, id, &ct, &t->err), 0);
	assert_string_equal(ct.fields[0].name, "email");
	assert_string_equal(ct.fields[0].value, ASA_UPPER);
	sk_contact_reset(&ct);

	/* a consent under one spelling: one gate answer under every spelling */
	assert_int_equal(t_consent(t, ASA_NFD, "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
	assert_int_equal(t_consent(t, ASA_LOWER, "offers", SK_ACT_REFUSE, "form", "f", 0), 0);
	for (size_t i = 0; i < 3; i++) {
		sk_gate_check(t->core, spellings[i], "newsletter", sk_time_now(), &g);
		assert_true(g.allowed);
		assert_string_equal(g.contact_id, id);
		assert_string_equal(t_gate(t, spellings[i], "offers", 0), "refused");
	}
	assert_int_equal(t_count(t, "contacts"), 1);

	/* erased under one spelling: one suppression entry, which every spelling meets */
	assert_int_equal(sk_forget_email(t->core, ASA_LOWER, &receipt, &t->err), 0);
	assert_int_equal(t_count(t, "suppressions"), 1);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(t_gate(t, spellings[i], "newsletter", 0), "erased");
		assert_int_equal(sk_suppressed(t->core, spellings[i], &yes, &t->err), 0);
		assert_true(yes);
		assert_int_equal(sk_contact_add(t->core, spellings[i], NULL, 0, id2, &t->err),
				 SK_ERR_SUPPRESSED);
		assert_int_equal(t_consent(t, spellings[i], "newsletter", SK_ACT_GIVE, "api", "a", 0),
				 SK_ERR_SUPPRESSED);
	}
	assert_int_equal(t_count(t, "contacts"), 0);
	assert_int_equal(t_count(t, "suppressions"), 1);
	tenv_free(t);
}

/* Addresses the new rules refuse, on the core's paths (the CLI and HTTP paths are in
 * tests/integration/canon.sh). */
static void undecodable_addresses_are_refused(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	const char *bad[] = {"\xe5sa@example.com", "=?utf-8?q?=C3=A5sa?=@example.com"};
	const char *why[] = {"not valid UTF-8 at byte 1", "encoded word"};
	char id[SK_ID_LEN + 1];
	for (size_t i = 0; i < 2; i++) {
		memset(&t->err, 0, sizeof(t->err));
		assert_int_equal(sk_contact_add(t->core, bad[i], NULL, 0, id, &t->err),
				 SK_ERR_INVALID_EMAIL);
		assert_non_null(strstr(t->err.msg, why[i]));
		assert_int_equal(t_consent(t, bad[i], "newsletter", SK_ACT_GIVE, "form", "f", 0),
				 SK_ERR_INVALID_EMAIL);
		assert_non_null(strstr(t->err.msg, why[i]));
		assert_string_equal(t_gate(t, bad[i], "newsletter", 0), "invalid_email");
	}
	assert_int_equal(t_count(t, "contacts"), 0);
	assert_int_equal(t_count(t, "consent_ledger"), 0);
	tenv_free(t);
}

/* The key that the version 1 rules gave to an address as written. */
static void t_legacy_key(struct tenv *t, const char *written, uint8_t key[SK_HASH_LEN])
{
	char old[SK_EMAIL_MAX + 1];
	assert_int_equal(sk_email_canonical_legacy(written, old, &t->err), 0);
	sk_vault_email_key(t->vault, old, key);
}

/* An address suppressed before version 2 (only its keyed hash is left, made by the old
 * rules from the spelling of that day) stays suppressed for the spellings those rules keyed
 * otherwise, on every path that checks the list. */
static void old_suppressions_still_hold(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	uint8_t key[SK_HASH_LEN];
	char id[SK_ID_LEN + 1];
	int yes;

	/* erased when the CRM spelt the person "Åsa.Öberg@Example.com" */
	t_legacy_key(t, ASA_UPPER, key);
	assert_int_equal(sk_store_suppression_put(t->store, key, "erased", 1700000000), 0);
	/* spellings the old rules keyed differently from that one */
	const char *spellings[] = {ASA_LOWER, ASA_NFD, "\xc3\xa5sa.\xc3\x96""berg@example.com"};
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(t_gate(t, spellings[i], "newsletter", 0), "erased");
		assert_int_equal(sk_suppressed(t->core, spellings[i], &yes, &t->err), 0);
		assert_true(yes);
		assert_int_equal(sk_contact_add(t->core, spellings[i], NULL, 0, id, &t->err),
				 SK_ERR_SUPPRESSED);
		assert_int_equal(t_consent(t, spellings[i], "newsletter", SK_ACT_GIVE, "import", "i", 0),
				 SK_ERR_SUPPRESSED);
		/* an import row */
		struct sk_import *im;
		struct sk_import_counts counts = {0};
		struct sk_import_row row = {.email = spellings[i], .email_col = "email"};
		int reason;
		const char *column;
		assert_int_equal(sk_import_new(t->core, 0, &im), 0);
		assert_int_equal(sk_import_row(im, &row, &counts, &reason, &column, &t->err), 0);
		assert_int_equal(reason, SK_REJ_SUPPRESSED);
		sk_import_free(im);
	}
	assert_int_equal(t_count(t, "contacts"), 0);
	/* the list is asked only for what it holds: others pass */
	assert_string_equal(t_gate(t, "\xc3\xa5sa.lund@example.com", "newsletter", 0), "no_consent");
	assert_string_equal(t_gate(t, "asa.oberg@example.com", "newsletter", 0), "no_consent");

	/* unsuppress, under another spelling, lifts the old entry too */
	assert_int_equal(sk_unsuppress(t->core, ASA_LOWER, &t->err), 0);
	assert_int_equal(t_count(t, "suppressions"), 0);
	assert_string_equal(t_gate(t, ASA_NFD, "newsletter", 0), "no_consent");
	struct sk_consent_req r = {.email = ASA_LOWER, .purpose = "newsletter",
				   .action = SK_ACT_GIVE, .method = "form", .source = "form:x",
				   .lang = "en", .double_opt_in = 1};
	assert_int_equal(sk_consent_record(t->core, &r, NULL, &t->err), 0);
	assert_string_equal(t_gate(t, ASA_NFD, "newsletter", 0), "pending_confirmation");
	tenv_free(t);
}

static void t_hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* Makes a contact what a version 1 database held: the "email" field the version 1 form
 * (what the old code stored), the contact and its states keyed by it, no canon_version. */
static void t_make_v1(struct tenv *t, const char *id, const char *written, int64_t created_at)
{
	char old[SK_EMAIL_MAX + 1], hex[2 * SK_HASH_LEN + 1], sql[512];
	uint8_t key[SK_HASH_LEN], dk[SK_VAULT_KEY_LEN];
	assert_int_equal(sk_email_canonical_legacy(written, old, &t->err), 0);
	sk_vault_email_key(t->vault, old, key);
	assert_int_equal(sk__datakey(t->core, id, dk, &t->err), 0);
	assert_int_equal(sk__field_store(t->core, id, dk, "email", old, &t->err), 0);
	t_hex(key, SK_HASH_LEN, hex);
	snprintf(sql, sizeof(sql),
		 "UPDATE contacts SET email_key = X'%s', created_at = %lld WHERE id = '%s';"
		 "UPDATE consent_state SET email_key = X'%s' WHERE contact_id = '%s';"
		 "DELETE FROM meta WHERE key = 'canon_version';",
		 hex, (long long)created_at, id, hex, id);
	t_sql(t, sql);
}

static int t_reopen(struct tenv *t)
{
	sk_core_free(t->core);
	t->core = NULL;
	return sk_core_open(t->store, t->vault, 0, &t->core, &t->err);
}

static void upgrade_rekeys_a_version_1_database(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char id[SK_ID_LEN + 1], ascii[SK_ID_LEN + 1], v[16];
	struct sk_gate_result g;
	int64_t bad, count;

	assert_int_equal(sk_contact_add(t->core, ASA_UPPER, NULL, 0, id, &t->err), 0);
	assert_int_equal(t_consent(t, ASA_UPPER, "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
	assert_int_equal(t_consent(t, "bo@example.com", "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
	assert_int_equal(sk_contact_find(t->core, "bo@example.com", ascii, &t->err), 0);
	t_make_v1(t, id, ASA_UPPER, 1000);
	t_make_v1(t, ascii, "bo@example.com", 1000);
	assert_int_equal(t_reopen(t), 0);
	assert_non_null(strstr(t->core->canon_note, "1 contacts re-keyed"));
	assert_int_equal(sk_store_meta_get(t->store, "canon_version", v, sizeof(v)), 0);
	assert_string_equal(v, "2");
	assert_int_equal(sk_store_meta_get(t->store, "canon_report", v, sizeof(v)), SK_ERR_NOT_FOUND);
	const char *spellings[] = {ASA_UPPER, ASA_LOWER, ASA_NFD};
	for (size_t i = 0; i < 3; i++) {
		sk_gate_check(t->core, spellings[i], "newsletter", sk_time_now(), &g);
		assert_true(g.allowed);
		assert_string_equal(g.contact_id, id);
	}
	assert_string_equal(t_gate(t, "BO@example.com", "newsletter", 0), "consent");
	/* done once: the next open changes nothing */
	assert_int_equal(t_reopen(t), 0);
	assert_string_equal(t->core->canon_note, "");
	assert_string_equal(t_gate(t, ASA_NFD, "newsletter", 0), "consent");
	assert_int_equal(sk_audit_verify(t->core, &bad, &count, NULL, &t->err), 0);
	tenv_free(t);
}

/* Two version 1 contacts that are one person under version 2: the older keeps the key, the
 * other is kept (by its id) and reported. Both orders, since contacts are visited by id. */
static void upgrade_keeps_both_of_a_collision(void **state)
{
	(void)state;
	for (int older_first = 0; older_first < 2; older_first++) {
		struct tenv *t = tenv_new(0);
		char a[SK_ID_LEN + 1], b[SK_ID_LEN + 1], report[1024], want[128];
		struct sk_gate_result g;
		struct sk_contact ct;
		/* A, spelt with a capital, had a version 1 key of its own */
		assert_int_equal(t_consent(t, "\xc3\x85sa@example.com", "newsletter", SK_ACT_GIVE,
					   "form", "f", 0), 0);
		assert_int_equal(sk_contact_find(t->core, "\xc3\x85sa@example.com", a, &t->err), 0);
		t_make_v1(t, a, "\xc3\x85sa@example.com", older_first ? 1000 : 3000);
		/* B, spelt in lower case, came in later as another contact */
		assert_int_equal(t_consent(t, "\xc3\xa5sa@example.com", "newsletter", SK_ACT_REFUSE,
					   "form", "f", 0), 0);
		assert_int_equal(sk_contact_find(t->core, "\xc3\xa5sa@example.com", b, &t->err), 0);
		assert_string_not_equal(a, b);
		t_make_v1(t, b, "\xc3\xa5sa@example.com", 2000);

		assert_int_equal(t_reopen(t), 0);
		const char *kept = older_first ? a : b, *apart = older_first ? b : a;
		sk_gate_check(t->core, "\xc3\x85SA@example.com", "newsletter", sk_time_now(), &g);
		assert_string_equal(g.contact_id, kept);
		assert_string_equal(sk_reason_name(g.reason), older_first ? "consent" : "refused");
		/* the other is still there, by its id, and named in the note and the report */
		assert_int_equal(t_count(t, "contacts"), 2);
		assert_int_equal(sk_contact_get_by_id(t->core, apart, &ct, &t->err), 0);
		sk_contact_reset(&ct);
		assert_non_null(strstr(t->core->canon_note, "1 kept apart"));
		assert_non_null(strstr(t->core->canon_note, apart));
		assert_int_equal(sk_store_meta_get(t->store, "canon_report", report, sizeof(report)), 0);
		snprintf(want, sizeof(want), "{\"id\":\"%s\",\"kept\":\"%s\"}", apart, kept);
		assert_non_null(strstr(report, want));
		tenv_free(t);
	}
}

/* A version 1 address the new rules refuse (a Latin-1 byte) keeps its key and is reported. */
static void upgrade_reports_refused_addresses(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char id[SK_ID_LEN + 1], report[512];
	uint8_t key[SK_HASH_LEN];
	struct sk_contact_rec rec;
	assert_int_equal(sk_contact_add(t->core, "latin@example.com", NULL, 0, id, &t->err), 0);
	t_make_v1(t, id, "\xe5sa@example.com", 1000);
	assert_int_equal(t_reopen(t), 0);
	assert_non_null(strstr(t->core->canon_note, "refuse"));
	assert_non_null(strstr(t->core->canon_note, id));
	assert_int_equal(sk_store_meta_get(t->store, "canon_report", report, sizeof(report)), 0);
	assert_non_null(strstr(report, id));
	t_legacy_key(t, "\xe5sa@example.com", key);
	assert_int_equal(sk_store_contact_by_id(t->store, id, &rec), 0);
	assert_memory_equal(rec.email_key, key, SK_HASH_LEN);
	tenv_free(t);
}

/* The upgrade is one transaction: a storage failure at any call leaves version 1 whole, and
 * the next open does it all. */
static void upgrade_is_all_or_nothing(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(1);
	char id[SK_ID_LEN + 1], v[16];
	uint8_t key[SK_HASH_LEN], newkey[SK_HASH_LEN];
	struct sk_contact_rec rec;
	int upgraded_early = 0;
	assert_int_equal(sk_contact_add(t->core, ASA_UPPER, NULL, 0, id, &t->err), 0);
	assert_int_equal(t_consent(t, ASA_UPPER, "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
	assert_int_equal(sk_store_contact_by_id(t->store, id, &rec), 0);
	memcpy(newkey, rec.email_key, SK_HASH_LEN);
	t_make_v1(t, id, ASA_UPPER, 1000);
	t_legacy_key(t, ASA_UPPER, key);
	long failures = 0;
	for (long n = 1;; n++) {
		assert_true(n < 200);
		sk_store_fault_set(t->store, n, 0);
		int rc = t_reopen(t);
		sk_store_fault_set(t->store, 0, 0);
		if (rc == 0)
			break;
		failures++;
		/* version 1 whole, or (a failure after the upgrade, loading the policy) 2 whole */
		assert_int_equal(sk_store_contact_by_id(t->store, id, &rec), 0);
		if (sk_store_meta_get(t->store, "canon_version", v, sizeof(v)) == SK_ERR_NOT_FOUND) {
			assert_memory_equal(rec.email_key, key, SK_HASH_LEN);
		} else {
			assert_string_equal(v, "2");
			assert_memory_equal(rec.email_key, newkey, SK_HASH_LEN);
			upgraded_early++;
		}
	}
	/* most failures fell inside the upgrade, and rolled it back */
	assert_true(failures - upgraded_early >= 5);
	assert_string_equal(t_gate(t, ASA_LOWER, "newsletter", 0), "consent");
	tenv_free(t);
}

/* The name and parse functions generated from core/vocab.h: every word parses back to its
 * value, the stored words are the ones earlier versions stored, and anything else is -1. */
static void vocab_names_parse_back(void **state)
{
	(void)state;
	for (int i = 0; i < SK_NACTIONS; i++)
		assert_int_equal(sk_action_from_name(sk_action_name((enum sk_action)i)), i);
	for (int i = 0; i < SK_NSTATUSES; i++)
		assert_int_equal(sk_status_from_name(sk_status_name((enum sk_status)i)), i);
	for (int i = 0; i < SK_NMETHODS; i++) {
		assert_int_equal(sk_method_from_name(sk_method_name((enum sk_method)i)), i);
		assert_true(sk_method_valid(sk_method_name((enum sk_method)i)));
	}
	for (int i = 0; i < SK_NREASONS; i++)
		assert_int_equal(sk_reason_from_name(sk_reason_name((enum sk_reason)i)), i);
	for (int i = 0; i < SK_NCHANGES; i++)
		assert_int_equal(sk_change_type_from_name(sk_change_type_name((enum sk_change_type)i)), i);
	for (int i = 0; i < SK_NEVENTS; i++)
		assert_int_equal(sk_event_from_name(sk_event_name((enum sk_event)i)), i);
	/* words that are in the ledger, the state table and the change feed already */
	assert_string_equal(sk_action_name(SK_ACT_GIVE), "give");
	assert_string_equal(sk_action_name(SK_ACT_EXPIRE), "expire");
	assert_string_equal(sk_status_name(SK_ST_UNKNOWN), "unknown");
	assert_string_equal(sk_status_name(SK_ST_UNVERIFIED), "unverified");
	assert_string_equal(sk_method_name(SK_METHOD_PREFERENCE_CENTRE), "preference_centre");
	assert_string_equal(sk_change_type_name(SK_CHG_UNSUPPRESSED), "unsuppressed");
	assert_string_equal(sk_reason_name(SK_RSN_PENDING_CONFIRMATION), "pending_confirmation");
	assert_true(sk_reason_allowed(SK_RSN_LEGAL_OBLIGATION));
	assert_false(sk_reason_allowed(SK_RSN_ERROR));
	assert_false(sk_action_client(SK_ACT_EXPIRE));
	assert_true(sk_action_client(SK_ACT_CONFIRM));
	/* no other word, no prefix, no other case, no NULL; no name out of range */
	assert_int_equal(sk_action_from_name("giv"), -1);
	assert_int_equal(sk_action_from_name("Give"), -1);
	assert_int_equal(sk_status_from_name("given "), -1);
	assert_int_equal(sk_status_from_name(NULL), -1);
	assert_false(sk_method_valid("sms"));
	assert_false(sk_method_valid(NULL));
	assert_int_equal(sk_reason_from_name(""), -1);
	assert_int_equal(sk_change_type_from_name("contacts"), -1);
	assert_int_equal(sk_event_from_name("consent"), -1);
	assert_int_equal(sk_event_from_namen("consent.givenx", 13), SK_EVT_CONSENT_GIVEN);
	assert_int_equal(sk_event_from_namen("consent.given", 12), -1);
	assert_null(sk_action_name((enum sk_action)SK_NACTIONS));
	assert_null(sk_status_name((enum sk_status)-1));
	assert_null(sk_event_name((enum sk_event)SK_NEVENTS));
	assert_false(sk_action_client((enum sk_action)SK_NACTIONS));
}

/* ---- key rotation (core/keyrot.c) ---- */

static void t_copy_file(const char *from, const char *to)
{
	size_t len;
	char *p = t_read_file(from, &len);
	FILE *f = fopen(to, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, len, f), len);
	fclose(f);
	assert_int_equal(chmod(to, 0600), 0);
	free(p);
}

/* A core of its own over the test database, with a vault of its own opened from path: what
 * another process (a server) holds. */
struct t_other {
	struct sk_vault *vault;
	struct sk_store *store;
	struct sk_core *core;
};
static int t_other_open(struct tenv *t, const char *path, struct t_other *o)
{
	memset(o, 0, sizeof(*o));
	assert_int_equal(sk_vault_open(path, &o->vault, &t->err), 0);
	assert_int_equal(sk_store_open(t->uri, 0, &o->store, &t->err), 0);
	return sk_core_open(o->store, o->vault, 0, &o->core, &t->err);
}
static void t_other_close(struct t_other *o)
{
	sk_core_free(o->core);
	sk_store_close(o->store);
	sk_vault_free(o->vault);
}

/* The rotation: every data key and webhook secret is made again under the new key in one
 * transaction; the new key file alone opens everything (the carried email key finds the
 * contacts and the suppression entry made before); a copy of the old key file is refused and
 * opens no data key; a server that still holds the old key and writes afterwards reloads
 * inside its transaction instead of wrapping with the retired key. */
static void key_rotation_rewraps_everything(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_field_value f[] = {{"first_name", "Anna"}};
	char id[SK_ID_LEN + 1], id2[SK_ID_LEN + 1], wid[SK_ID_LEN + 1], old[160];
	char secret[SK_WEBHOOK_SECRET_MAX];
	struct sk_master_key_report r;
	struct sk_contact ct;
	struct t_other srv, bulk, fresh, stale;
	int sup = 0;

	assert_int_equal(sk_contact_add(t->core, "anna@example.com", f, 1, id, &t->err), 0);
	assert_int_equal(sk_contact_add(t->core, "bo@example.com", NULL, 0, id2, &t->err), 0);
	assert_int_equal(sk_suppress(t->core, "gone@example.com", "opted_out", &t->err), 0);
	assert_int_equal(sk_webhook_add(t->core, "http://127.0.0.1:9/x", "all", "crm", 1, wid,
					secret, &t->err), 0);
	snprintf(old, sizeof(old), "%s/old.key", t->dir);
	t_copy_file(t->key, old);
	assert_int_equal(t_other_open(t, t->key, &srv), 0); /* a server, started before */
	assert_int_equal(t_other_open(t, t->key, &bulk), 0); /* and one importing in batches */

	assert_int_equal(sk_master_key_check(t->core, &r, &t->err), 0);
	assert_int_equal(r.generation, 1);
	assert_int_equal(r.ok[SK_SEALED_DATAKEY], 2);
	assert_int_equal(sk_master_key_rotate(t->core, NULL, &r, &t->err), 0);
	assert_int_equal(r.generation, 2);
	assert_int_equal(r.ok[SK_SEALED_DATAKEY], 2);
	assert_int_equal(r.ok[SK_SEALED_WEBHOOK], 1);
	assert_int_equal(sk_core_key_generation(t->core), 2);

	/* the server still holds generation 1: its next new contact reloads first */
	assert_int_equal(sk_core_key_generation(srv.core), 1);
	assert_int_equal(sk_contact_add(srv.core, "carl@example.com", f, 1, id2, &t->err), 0);
	assert_int_equal(sk_core_key_generation(srv.core), 2);
	t_other_close(&srv);
	/* a batch (the import's bulk path) asks once, at its first new data key */
	assert_int_equal(sk_core_batch_begin(bulk.core, &t->err), 0);
	assert_int_equal(sk_contact_add(bulk.core, "dan@example.com", f, 1, id2, &t->err), 0);
	assert_int_equal(sk_contact_add(bulk.core, "eva@example.com", f, 1, id2, &t->err), 0);
	assert_int_equal(sk_core_batch_commit(bulk.core, &t->err), 0);
	assert_int_equal(sk_core_key_generation(bulk.core), 2);
	t_other_close(&bulk);

	/* the new key file alone opens everything */
	assert_int_equal(t_other_open(t, t->key, &fresh), 0);
	assert_int_equal(sk_master_key_check(fresh.core, &r, &t->err), 0);
	assert_int_equal(r.generation, 2);
	assert_int_equal(r.ok[SK_SEALED_DATAKEY], 5);
	assert_int_equal(r.ok[SK_SEALED_WEBHOOK], 1);
	assert_int_equal(r.failed[0] + r.failed[1] + r.failed[2], 0);
	assert_int_equal(sk_contact_get(fresh.core, "Anna@example.com", &ct, &t->err), 0);
	assert_string_equal(ct.fields[1].value, "Anna");
	sk_contact_reset(&ct);
	assert_int_equal(sk_suppressed(fresh.core, "gone@example.com", &sup, &t->err), 0);
	assert_int_equal(sup, 1);
	t_other_close(&fresh);

	/* the old key file: refused at open, and it opens no stored data key */
	assert_int_equal(t_other_open(t, old, &stale), SK_ERR_KEY);
	assert_non_null(strstr(t->err.msg, "generation 2"));
	uint8_t w[8 * SK_VAULT_WRAPPED_LEN], dk[SK_VAULT_KEY_LEN];
	size_t lens[8];
	size_t n = t_db_blobs(t->db, "SELECT wrapped FROM contact_keys WHERE contact_id = ?1", id, w,
			      SK_VAULT_WRAPPED_LEN, lens, 8);
	assert_int_equal(n, 1);
	assert_int_equal(sk_vault_datakey_unwrap(stale.vault, id, w, lens[0], dk), SK_ERR_CRYPTO);
	t_other_close(&stale);
	tenv_free(t);
}

/* A rotation that fails anywhere before its commit changes nothing: the old key file still
 * opens everything, and no new key file is left beside it. A data key that does not open
 * stops the rotation; key check counts it. */
static void key_rotation_all_or_nothing(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(1);
	char id[SK_ID_LEN + 1], tmp[160], wid[SK_ID_LEN + 1], secret[SK_WEBHOOK_SECRET_MAX];
	struct sk_master_key_report r;
	struct stat st;
	int done = 0;
	long failures = 0;

	assert_int_equal(sk_contact_add(t->core, "anna@example.com", NULL, 0, id, &t->err), 0);
	assert_int_equal(sk_webhook_add(t->core, "http://127.0.0.1:9/x", "all", "crm", 1, wid,
					secret, &t->err), 0);
	snprintf(tmp, sizeof(tmp), "%s.rotate", t->key);
	for (long n = 1; !done && n < 100; n++) {
		sk_store_fault_set(t->store, n, 0);
		int rc = sk_master_key_rotate(t->core, NULL, &r, &t->err);
		sk_store_fault_set(t->store, 0, 0);
		if (rc == 0) {
			done = 1;
			break;
		}
		failures++;
		/* failed before its commit: nothing changed; after it (reloading the new key
		 * failed): the rotation stands; either way the key file opens everything */
		assert_int_not_equal(stat(tmp, &st), 0);
		assert_int_equal(sk_master_key_check(t->core, &r, &t->err), 0);
		assert_int_equal(r.ok[SK_SEALED_DATAKEY] + r.ok[SK_SEALED_WEBHOOK], 2);
		if (r.generation == 2)
			done = 1;
		else
			assert_int_equal(r.generation, 1);
	}
	assert_true(done);
	assert_true(failures > 5);
	assert_int_equal(sk_core_key_generation(t->core), 2);

	/* a row the key does not open: counted by check, and the rotation refuses */
	t_sql(t, "UPDATE contact_keys SET wrapped = wrapped || wrapped");
	assert_int_equal(sk_master_key_check(t->core, &r, &t->err), SK_ERR_CRYPTO);
	assert_int_equal(r.failed[SK_SEALED_DATAKEY], 1);
	assert_int_equal(r.ok[SK_SEALED_WEBHOOK], 1);
	assert_null(strstr(t->err.msg, "@"));
	assert_int_equal(sk_master_key_rotate(t->core, NULL, &r, &t->err), SK_ERR_CRYPTO);
	assert_int_equal(sk_core_key_generation(t->core), 2);
	assert_int_not_equal(stat(tmp, &st), 0);
	tenv_free(t);
}

/* A rotation killed after its commit, before the rename (the new key file beside the old):
 * the next opening completes it and says so; a leftover of one killed before its commit is
 * ignored. */
static void key_rotation_completed_at_open(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char id[SK_ID_LEN + 1], tmp[160], keep[160];
	struct sk_master_key_report r;
	struct t_other o;
	struct stat st;

	assert_int_equal(sk_contact_add(t->core, "anna@example.com", NULL, 0, id, &t->err), 0);
	snprintf(tmp, sizeof(tmp), "%s.rotate", t->key);
	snprintf(keep, sizeof(keep), "%s/before.key", t->dir);
	t_copy_file(t->key, keep);
	/* a leftover that is not the database's: ignored */
	assert_int_equal(sk_vault_keyfile_create(tmp, &t->err), 0);
	assert_int_equal(t_other_open(t, t->key, &o), 0);
	assert_string_equal(sk_core_open_note(o.core), "");
	t_other_close(&o);
	assert_int_equal(sk_master_key_rotate(t->core, NULL, &r, &t->err), 0);
	/* put the state of a kill between commit and rename back: new file beside, old in place */
	assert_int_equal(rename(t->key, tmp), 0);
	t_copy_file(keep, t->key);
	assert_int_equal(t_other_open(t, t->key, &o), 0);
	assert_non_null(strstr(sk_core_open_note(o.core), "interrupted key rotation"));
	assert_int_equal(sk_core_key_generation(o.core), 2);
	assert_int_not_equal(stat(tmp, &st), 0);
	assert_int_equal(sk_master_key_check(o.core, &r, &t->err), 0);
	assert_int_equal(r.ok[SK_SEALED_DATAKEY], 1);
	t_other_close(&o);
	tenv_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(contact_variants_are_one_contact),
		cmocka_unit_test(undeclared_or_invalid_fields_store_nothing),
		cmocka_unit_test(gate_answers_each_reason),
		cmocka_unit_test(gate_answers_each_basis),
		cmocka_unit_test(gate_checks_many_in_order),
		cmocka_unit_test(edit_answers_whole_or_not_at_all),
		cmocka_unit_test(overview_reads_states_then_history),
		cmocka_unit_test(vocab_names_parse_back),
		cmocka_unit_test(double_opt_in_and_other_bases),
		cmocka_unit_test(bad_requests_append_nothing),
		cmocka_unit_test(notices_are_versioned_and_proof_shows_text),
		cmocka_unit_test(audit_names_first_bad_seq),
		cmocka_unit_test(ledger_hash_known_answers),
		cmocka_unit_test(ledger_upgrade_keeps_old_events),
		cmocka_unit_test(ledger_mixed_chain_tampered),
		cmocka_unit_test(ledger_refuses_downgrade),
		cmocka_unit_test(ledger_checks_each_link),
		cmocka_unit_test(no_personal_data_in_clear),
		cmocka_unit_test(wrong_key_is_refused),
		cmocka_unit_test(gate_fails_closed),
		cmocka_unit_test(failed_writes_leave_nothing),
		cmocka_unit_test(api_keys),
		cmocka_unit_test(idempotent_answers),
		cmocka_unit_test(receipt_of_an_event),
		cmocka_unit_test(receipt_category_tables),
		cmocka_unit_test(double_opt_in_confirm_and_expiry),
		cmocka_unit_test(pending_expiry_reads_only_pending_states),
		cmocka_unit_test(change_hook_after_commit_only),
		cmocka_unit_test(unicode_spellings_are_one_person),
		cmocka_unit_test(undecodable_addresses_are_refused),
		cmocka_unit_test(old_suppressions_still_hold),
		cmocka_unit_test(upgrade_rekeys_a_version_1_database),
		cmocka_unit_test(upgrade_keeps_both_of_a_collision),
		cmocka_unit_test(upgrade_reports_refused_addresses),
		cmocka_unit_test(upgrade_is_all_or_nothing),
		cmocka_unit_test(key_rotation_rewraps_everything),
		cmocka_unit_test(key_rotation_all_or_nothing),
		cmocka_unit_test(key_rotation_completed_at_open),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
