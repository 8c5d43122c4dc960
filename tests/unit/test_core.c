/* test_core.c: contacts with minimisation, the consent ledger and every reason of the gate,
 * notice versions, the audit over a tampered ledger, sealing at rest, and failure paths:
 * the gate fails closed under the fault-injecting store, and failed writes leave nothing. */
#include "testlib.h"

#include <jansson.h>
#include <sqlite3.h>

#include "util/sktime.h"

static const int64_t DAY = 86400;

/* Runs one SQL statement on the test database with a separate connection. */
static void t_sql(struct tenv *t, const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;
	assert_int_equal(sqlite3_open(t->db, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

static long t_count(struct tenv *t, const char *table)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	assert_int_equal(sqlite3_open(t->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	long n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
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

static const char *with_basis(const char *policy, const char *from, const char *to)
{
	static char buf[1 << 17];
	const char *p = strstr(policy, from);
	assert_non_null(p);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - policy), policy, to, p + strlen(from));
	return buf;
}

static void double_opt_in_and_other_bases(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	size_t len;
	char *policy = t_example_policy(&len);
	/* newsletter with double opt-in; offers on legitimate interest; ip_tracking on contract */
	char *p1 = strdup(with_basis(policy, "double_opt_in: false", "double_opt_in: true"));
	char *p2 = strdup(with_basis(p1, "legal_basis: consent\n    validity: 24 months\n    "
					 "retention: 30 days\n    double_opt_in: false\n    "
					 "fields: [email, first_name, last_name, company]",
				     "legal_basis: legitimate_interest\n    validity: 24 months\n    "
				     "retention: 30 days\n    double_opt_in: false\n    "
				     "fields: [email, first_name, last_name, company]"));
	/* a form may only ask for consent-based purposes: drop offers from the webinar form */
	char *p3 = strdup(with_basis(p2, "      - purpose: offers\n        double_opt_in: false\n", ""));
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
	struct sk_event_rec ev;
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
	assert_int_equal(t_apply_text(t, with_basis(policy, "about once a month and use",
						    "about twice a month and use")), 0);
	assert_int_equal(sk_policy_purpose(t->core->policy, "newsletter")->notice_version, 2);
	assert_int_equal(sk_policy_purpose(t->core->policy, "offers")->notice_version, 1);

	/* proof shows version 1's exact text, its hash, and the evidence */
	assert_int_equal(sk_consent_proof(t->core, "ANNA@example.com", "newsletter", &p, &t->err), 0);
	assert_string_equal(p.notice_text, v1);
	uint8_t h[32];
	sk_vault_sha256(v1, strlen(v1), h);
	assert_memory_equal(p.event.notice_sha256, h, 32);
	assert_string_equal(p.event.source, "form:newsletter https://www.example.com/nyhetsbrev");
	assert_string_equal(p.event.method, "form");
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
	assert_int_equal(sk_audit_verify(t->core, &bad, &count, NULL, &t->err), 0);
	assert_int_equal(count, 4);
	t_sql(t, sql);
	assert_int_equal(sk_audit_verify(t->core, &bad, &count, NULL, &t->err), SK_ERR_CHAIN_BROKEN);
	char want[64];
	snprintf(want, sizeof(want), "sequence number %lld", (long long)bad);
	assert_non_null(strstr(t->err.msg, want));
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

/* Every byte of the database file and its WAL, searched for the plain value. */
static int db_contains(struct tenv *t, const char *needle)
{
	const char *suffix[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < 3; i++) {
		char path[160];
		size_t len;
		snprintf(path, sizeof(path), "%s%s", t->db, suffix[i]);
		if (access(path, F_OK) != 0)
			continue;
		char *data = t_read_file(path, &len);
		int found = memmem(data, len, needle, strlen(needle)) != NULL;
		free(data);
		if (found)
			return 1;
	}
	return 0;
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
		assert_string_equal(g.reason, "error");
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
	for (long n = 1;; n++) {
		sk_store_fault_set(t->store, n, 0);
		int rc = t_consent(t, "new@example.com", "offers", SK_ACT_GIVE, "form", "f", 0);
		if (rc == 0)
			break;
		assert_true(n < 100);
		sk_store_fault_set(t->store, 0, 0);
		assert_int_equal(t_count(t, "consent_ledger"), events);
		assert_int_equal(t_count(t, "changes"), changes);
		assert_int_equal(t_count(t, "contacts"), contacts);
		assert_string_equal(t_gate(t, "new@example.com", "offers", 0), "no_consent");
	}
	sk_store_fault_set(t->store, 0, 0);
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

static void idempotent_answers(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_idem_rec r;
	int found;
	const char req[] = "POST /v1/consents {...}";

	assert_int_equal(sk_core_batch_begin(t->core, &t->err), 0);
	assert_int_equal(sk_idem_lookup(t->core, "k_1", "retry-1", req, sizeof(req), &r, &found,
					&t->err), 0);
	assert_false(found);
	assert_int_equal(sk_idem_save(t->core, "k_1", "retry-1", req, sizeof(req), 201,
				      "{\"id\":\"e_1\"}", &t->err), 0);
	assert_int_equal(sk_core_batch_commit(t->core, &t->err), 0);

	assert_int_equal(sk_idem_lookup(t->core, "k_1", "retry-1", req, sizeof(req), &r, &found,
					&t->err), 0);
	assert_true(found);
	assert_int_equal(r.status, 201);
	assert_string_equal(r.body, "{\"id\":\"e_1\"}");
	/* another request under the same key; the same key of another API key is its own */
	assert_int_equal(sk_idem_lookup(t->core, "k_1", "retry-1", "other", 5, &r, &found, &t->err),
			 SK_ERR_IDEMPOTENCY_MISMATCH);
	assert_int_equal(sk_idem_lookup(t->core, "k_2", "retry-1", "other", 5, &r, &found, &t->err), 0);
	assert_false(found);
	/* after the TTL it is forgotten */
	char later[SK_TIME_STRLEN];
	sk_time_format(sk_time_now() + SK_IDEM_TTL + 10, later);
	setenv("SAMTYCKE_NOW", later, 1);
	assert_int_equal(sk_idem_lookup(t->core, "k_1", "retry-1", req, sizeof(req), &r, &found,
					&t->err), 0);
	unsetenv("SAMTYCKE_NOW");
	assert_false(found);
	tenv_free(t);
}

static void receipt_of_an_event(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_event_rec ev;
	json_t *rc;
	struct sk_consent_req r = {.email = "anna@example.com", .purpose = "newsletter",
				   .action = SK_ACT_GIVE, .method = "form", .source = "form:nl",
				   .lang = "sv"};
	assert_int_equal(sk_consent_record(t->core, &r, &ev, &t->err), 0);
	assert_int_equal(sk_receipt(t->core, ev.id, &rc, &t->err), 0);
	assert_string_equal(json_string_value(json_object_get(rc, "version")), "KI-CR-v1.1.0");
	assert_string_equal(json_string_value(json_object_get(rc, "consentReceiptID")), ev.id);
	assert_string_equal(json_string_value(json_object_get(rc, "piiPrincipalId")), ev.contact_id);
	assert_string_equal(json_string_value(json_object_get(rc, "collectionMethod")), "form: form:nl");
	assert_int_equal(json_integer_value(json_object_get(rc, "consentTimestamp")), ev.occurred_at);
	json_t *svc = json_array_get(json_object_get(rc, "services"), 0);
	assert_string_equal(json_string_value(json_object_get(svc, "service")), "Nyhetsbrev");
	/* nothing personal but the opaque id */
	char *text = json_dumps(rc, 0);
	assert_null(strstr(text, "anna"));
	free(text);
	json_decref(rc);
	assert_int_equal(sk_receipt(t->core, "e_nosuchevent", &rc, &t->err), SK_ERR_NOT_FOUND);
	tenv_free(t);
}

static int t_pending_give(struct tenv *t, const char *email, const char *purpose, int64_t at,
			  struct sk_event_rec *out)
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
	struct sk_event_rec ev;
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
	assert_string_equal(pr.event.action, "confirm");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(contact_variants_are_one_contact),
		cmocka_unit_test(undeclared_or_invalid_fields_store_nothing),
		cmocka_unit_test(gate_answers_each_reason),
		cmocka_unit_test(double_opt_in_and_other_bases),
		cmocka_unit_test(bad_requests_append_nothing),
		cmocka_unit_test(notices_are_versioned_and_proof_shows_text),
		cmocka_unit_test(audit_names_first_bad_seq),
		cmocka_unit_test(no_personal_data_in_clear),
		cmocka_unit_test(wrong_key_is_refused),
		cmocka_unit_test(gate_fails_closed),
		cmocka_unit_test(failed_writes_leave_nothing),
		cmocka_unit_test(api_keys),
		cmocka_unit_test(idempotent_answers),
		cmocka_unit_test(receipt_of_an_event),
		cmocka_unit_test(double_opt_in_confirm_and_expiry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
