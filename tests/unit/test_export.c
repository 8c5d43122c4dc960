/* test_export.c: export-contacts --allowed-only (io/export.c) walks the state index and opens
 * only the contacts the gate may allow, and lists exactly the rows a full export marks
 * allowed, for a purpose on consent and for one on legitimate interest. */
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "testlib.h"
#include "io/io.h"

static const int64_t DAY = 86400;

static void t_sql(struct tenv *t, const char *sql)
{
	t_db_exec(t->db, sql);
}

/* The export as one string (to be freed); *rc its code, *n its row count. */
static char *export(struct tenv *t, const char *purpose, int allowed_only, int *rc, long *n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&buf, &len);
	assert_non_null(o);
	*rc = sk_export_contacts(t->core, purpose, SK_EXPORT_CSV, allowed_only, o, n, &t->err);
	fclose(o);
	return buf;
}

/* The header and the rows of a full export that say allowed (",true,"), in their order. */
static char *allowed_rows(const char *full)
{
	char *out = calloc(1, strlen(full) + 1), *w = out;
	const char *line = full;
	int first = 1;
	while (*line) {
		const char *end = strstr(line, "\r\n");
		size_t len = end ? (size_t)(end - line) + 2 : strlen(line);
		if (first || memmem(line, len, ",true,", 6)) {
			memcpy(w, line, len);
			w += len;
		}
		first = 0;
		line += len;
	}
	return out;
}

/* Denied contacts whose sealed address cannot even be opened do not stop the export
 * --allowed-only: it opens only candidates from the state index (a given consent, not
 * suppressed). The full export, which opens every contact, fails on them. */
static void allowed_only_opens_only_candidates(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char id[SK_ID_LEN + 1];
	int rc;
	long n = -1;
	int64_t now = sk_time_now();
	assert_int_equal(t_consent(t, "yes@example.com", "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
	assert_int_equal(t_consent(t, "no@example.com", "newsletter", SK_ACT_REFUSE, "form", "f", 0), 0);
	assert_int_equal(t_consent(t, "gone@example.com", "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
	assert_int_equal(t_consent(t, "gone@example.com", "newsletter", SK_ACT_WITHDRAW, "form", "f",
				   0), 0);
	assert_int_equal(t_consent(t, "other@example.com", "offers", SK_ACT_GIVE, "form", "f", 0), 0);
	assert_int_equal(t_consent(t, "blocked@example.com", "newsletter", SK_ACT_GIVE, "form", "f",
				   0), 0);
	assert_int_equal(sk_suppress(t->core, "blocked@example.com", "bounced", &t->err), 0);
	/* stored as given, but past its validity: a candidate, which the gate then denies */
	assert_int_equal(t_consent(t, "old@example.com", "newsletter", SK_ACT_GIVE, "import", "f",
				   now - 800 * DAY), 0);
	assert_string_equal(t_gate(t, "old@example.com", "newsletter", 0), "expired");
	assert_int_equal(sk_contact_find(t->core, "yes@example.com", id, &t->err), 0);
	/* every non-candidate's sealed fields broken: opening one of them is an error */
	t_sql(t, "UPDATE contact_fields SET sealed = x'00' WHERE contact_id NOT IN"
		 " (SELECT contact_id FROM consent_state WHERE purpose = 'newsletter'"
		 " AND status = 'given' AND email_key NOT IN (SELECT email_key FROM suppressions))");
	char *full = export(t, "newsletter", 0, &rc, &n);
	assert_int_not_equal(rc, 0); /* the breakage is real */
	free(full);
	sk_errctx_reset(&t->err);
	char *out = export(t, "newsletter", 1, &rc, &n);
	if (rc)
		fail_msg("export --allowed-only failed: %s", t->err.msg);
	assert_int_equal(n, 1);
	assert_non_null(strstr(out, id));
	assert_non_null(strstr(out, ",yes@example.com,yes@example.com,true,consent,"));
	assert_null(strstr(out, "old@example.com"));
	free(out);
	tenv_free(t);
}

/* --allowed-only lists exactly the rows the full export marks allowed, in the same order:
 * for newsletter (consent: through the state index) and offers (legitimate interest:
 * allowed without a consent, so every contact is asked). */
static void allowed_only_equals_the_gate(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	assert_int_equal(t_apply_offers_li(t), 0);
	static const enum sk_action acts[] = {SK_ACT_GIVE, SK_ACT_REFUSE, SK_ACT_WITHDRAW};
	for (int i = 0; i < 60; i++) {
		char email[64];
		snprintf(email, sizeof(email), "p%02d@example.com", i);
		if (i % 5 == 4) { /* a contact with nothing recorded */
			char id[SK_ID_LEN + 1];
			assert_int_equal(sk_contact_add(t->core, email, NULL, 0, id, &t->err), 0);
			continue;
		}
		if (i % 3 == 2)
			assert_int_equal(t_consent(t, email, "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
		assert_int_equal(t_consent(t, email, i % 2 ? "newsletter" : "offers", acts[i % 3],
					   "form", "f", 0), 0);
		if (i % 7 == 0)
			assert_int_equal(sk_suppress(t->core, email, "bounced", &t->err), 0);
	}
	static const char *const purposes[] = {"newsletter", "offers"};
	for (int k = 0; k < 2; k++) {
		int rc;
		long nfull, nallowed;
		char *full = export(t, purposes[k], 0, &rc, &nfull);
		assert_int_equal(rc, 0);
		assert_int_equal(nfull, 60);
		char *want = allowed_rows(full);
		char *got = export(t, purposes[k], 1, &rc, &nallowed);
		assert_int_equal(rc, 0);
		if (strcmp(want, got) != 0)
			fail_msg("%s: --allowed-only differs from the allowed rows of the full export:\n"
				 "%s\n----\n%s", purposes[k], want, got);
		assert_true(nallowed > 3 && nallowed < 60);
		free(full);
		free(want);
		free(got);
	}
	tenv_free(t);
}

/* The full export's allowed rows and --allowed-only agree (the helper of the tests below). */
static void same_as_full(struct tenv *t)
{
	int rc;
	long nfull, nallowed;
	char *full = export(t, "newsletter", 0, &rc, &nfull);
	assert_int_equal(rc, 0);
	char *want = allowed_rows(full);
	char *got = export(t, "newsletter", 1, &rc, &nallowed);
	assert_int_equal(rc, 0);
	if (strcmp(want, got) != 0)
		fail_msg("--allowed-only differs from the allowed rows of the full export:\n%s\n----\n%s",
			 want, got);
	free(full);
	free(want);
	free(got);
}

/* A candidate whose address is suppressed only under a legacy key (a spelling the rules
 * before canonical form version 2 keyed otherwise) is not exported: the candidate walk sees
 * no suppression under the state's key, so the check of the candidate must still ask the
 * legacy keys, as the gate does. */
static void allowed_only_honours_legacy_suppression(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	const char *asa = "\xc3\xa5sa.\xc3\xb6""berg@example.com";
	char old[SK_EMAIL_MAX + 1];
	uint8_t key[SK_HASH_LEN];
	int rc;
	long n;
	assert_int_equal(t_consent(t, asa, "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
	assert_int_equal(t_consent(t, "yes@example.com", "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
	char *out = export(t, "newsletter", 1, &rc, &n);
	assert_int_equal(rc, 0);
	assert_int_equal(n, 2); /* both before the suppression */
	free(out);
	/* erased when a CRM spelt the person with capitals: only the old rules' key is left */
	assert_int_equal(sk_email_canonical_legacy("\xc3\x85sa.\xc3\x96""berg@Example.com", old,
						   &t->err), 0);
	sk_vault_email_key(t->vault, old, key);
	assert_int_equal(sk_store_suppression_put(t->store, key, "erased", 1700000000), 0);
	assert_string_equal(t_gate(t, asa, "newsletter", 0), "erased");
	out = export(t, "newsletter", 1, &rc, &n);
	assert_int_equal(rc, 0);
	assert_int_equal(n, 1);
	assert_null(strstr(out, "berg@example.com"));
	assert_non_null(strstr(out, "yes@example.com"));
	free(out);
	same_as_full(t);
	tenv_free(t);
}

/* A given state stored under another key than its contact's address has now (written behind
 * samtycke's back here) is not trusted as the gate's answer: the gate's own lookup decides,
 * and finds no consent under the address's key. Withdrawn and refused contacts never come
 * out either. */
static void allowed_only_rechecks_a_state_under_another_key(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	int rc;
	long n;
	assert_int_equal(t_consent(t, "moved@example.com", "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
	assert_int_equal(t_consent(t, "yes@example.com", "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
	assert_int_equal(t_consent(t, "gone@example.com", "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
	assert_int_equal(t_consent(t, "gone@example.com", "newsletter", SK_ACT_WITHDRAW, "form", "f",
				   0), 0);
	assert_int_equal(t_consent(t, "no@example.com", "newsletter", SK_ACT_REFUSE, "form", "f", 0), 0);
	t_sql(t, t_pg() ? "UPDATE consent_state SET email_key = decode(repeat('00', 32), 'hex')"
		 " WHERE contact_id ="
		 " (SELECT contact_id FROM consent_state WHERE status = 'given'"
		 "  ORDER BY contact_id LIMIT 1)" : "UPDATE consent_state SET email_key = zeroblob(32) WHERE contact_id ="
		 " (SELECT contact_id FROM consent_state WHERE status = 'given'"
		 "  ORDER BY contact_id LIMIT 1)");
	char *out = export(t, "newsletter", 1, &rc, &n);
	assert_int_equal(rc, 0);
	assert_int_equal(n, 1);
	assert_null(strstr(out, "gone@example.com"));
	assert_null(strstr(out, "no@example.com"));
	/* which of the two given ones was moved depends on the random ids; one is left */
	assert_true((strstr(out, "moved@example.com") != NULL) != (strstr(out, "yes@example.com") != NULL));
	free(out);
	same_as_full(t);
	tenv_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(allowed_only_opens_only_candidates),
		cmocka_unit_test(allowed_only_equals_the_gate),
		cmocka_unit_test(allowed_only_honours_legacy_suppression),
		cmocka_unit_test(allowed_only_rechecks_a_state_under_another_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
