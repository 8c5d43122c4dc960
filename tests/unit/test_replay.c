/* test_replay.c: the consent state rebuilt from the ledger equals the stored state after a
 * random sequence of 1,000 events, and replay finds and repairs a stored state that was
 * changed behind the ledger's back. */
#include "testlib.h"

#include <sqlite3.h>

static const char *const purposes[] = {"newsletter", "offers", "event_invitations",
				       "lead_scoring", "ip_tracking", "sales_followup"};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static unsigned next(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

struct diffs {
	int n;
	char status[16];
	char derived[16];
};

static int note_diff(void *arg, const struct sk_replay_diff *d)
{
	struct diffs *x = arg;
	x->n++;
	snprintf(x->status, sizeof(x->status), "%s",
		 d->stored == SK_ST_MISSING ? "missing" : sk_status_name(d->stored));
	snprintf(x->derived, sizeof(x->derived), "%s",
		 d->derived == SK_ST_MISSING ? "missing" : sk_status_name(d->derived));
	return 0;
}

static void replay_equals_state_after_random_events(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	size_t len;
	char *policy = t_example_policy(&len);
	/* double opt-in on the newsletter, so that pending and confirm take part */
	char *doi = strstr(policy, "double_opt_in: false");
	memcpy(doi, "double_opt_in: true ", 20);
	assert_int_equal(sk_policy_apply(t->core, policy, len, "p.yaml", NULL, NULL, &t->err), 0);
	free(policy);

	int recorded = 0, refused = 0;
	int64_t now = sk_time_now();
	while (recorded < 1000) {
		char mail[64];
		snprintf(mail, sizeof(mail), "person%u@example.com", next(60));
		const char *purpose = purposes[next(6)];
		enum sk_action a = (enum sk_action)next(5);
		const char *method = next(4) == 0 ? "import" : "form";
		int64_t at = next(3) == 0 ? 0 : now - (int64_t)next(1000) * 86400;
		int rc = t_consent(t, mail, purpose, a, method, next(5) ? "src" : "", at);
		/* confirming what is not pending, or expiring an unknown address, is refused */
		if (rc) {
			assert_true(a == SK_ACT_CONFIRM || a == SK_ACT_EXPIRE);
			refused++;
			continue;
		}
		recorded++;
	}
	assert_true(refused > 0);

	struct diffs d = {0};
	long ndiff = -1;
	assert_int_equal(sk_ledger_replay(t->core, 0, note_diff, &d, &ndiff, &t->err), 0);
	assert_int_equal(ndiff, 0);
	assert_int_equal(d.n, 0);
	int64_t bad, count;
	assert_int_equal(sk_audit_verify(t->core, &bad, &count, NULL, &t->err), 0);
	assert_int_equal(count, 1000);

	/* change one stored state behind the ledger's back */
	assert_int_equal(t_db_exec(t->db, "UPDATE consent_state SET status = 'given' WHERE "
				   "(contact_id, purpose) = (SELECT contact_id, purpose FROM "
				   "consent_state WHERE status = 'withdrawn' LIMIT 1)"), 1);
	/* and delete another */
	assert_int_equal(t_db_exec(t->db, "DELETE FROM consent_state WHERE (contact_id, purpose) = "
				   "(SELECT contact_id, purpose FROM consent_state WHERE "
				   "status = 'refused' LIMIT 1)"), 1);

	assert_int_equal(sk_ledger_replay(t->core, 0, note_diff, &d, &ndiff, &t->err), 0);
	assert_int_equal(ndiff, 2);
	/* --check left it; a real replay rebuilds it */
	assert_int_equal(sk_ledger_replay(t->core, 1, NULL, NULL, &ndiff, &t->err), 0);
	assert_int_equal(ndiff, 2);
	assert_int_equal(sk_ledger_replay(t->core, 0, NULL, NULL, &ndiff, &t->err), 0);
	assert_int_equal(ndiff, 0);
	tenv_free(t);
}

static void replay_fails_cleanly_on_storage_error(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(1);
	long ndiff;
	for (int i = 0; i < 20; i++) {
		char mail[64];
		snprintf(mail, sizeof(mail), "p%d@example.com", i);
		assert_int_equal(t_consent(t, mail, purposes[i % 6], SK_ACT_GIVE, "form", "f", 0), 0);
	}
	for (long n = 1; n < 6; n++) {
		sk_store_fault_set(t->store, n, 0);
		int rc = sk_ledger_replay(t->core, 1, NULL, NULL, &ndiff, &t->err);
		sk_store_fault_set(t->store, 0, 0);
		if (rc == 0)
			break;
		assert_int_equal(rc, SK_ERR_STORAGE);
	}
	assert_int_equal(sk_ledger_replay(t->core, 0, NULL, NULL, &ndiff, &t->err), 0);
	assert_int_equal(ndiff, 0);
	tenv_free(t);
}

/* Every difference as one line "contact purpose stored derived", in the order reported. */
struct difflist {
	char *text;
	size_t len, cap;
	int n;
};

static int list_diff(void *arg, const struct sk_replay_diff *d)
{
	struct difflist *l = arg;
	char line[160];
	int k = snprintf(line, sizeof(line), "%s %s %s %s\n", d->contact_id, d->purpose,
			 d->stored == SK_ST_MISSING ? "missing" : sk_status_name(d->stored),
			 d->derived == SK_ST_MISSING ? "missing" : sk_status_name(d->derived));
	if (l->len + (size_t)k + 1 > l->cap) {
		l->cap = 2 * (l->len + (size_t)k + 1);
		l->text = realloc(l->text, l->cap);
		assert_non_null(l->text);
	}
	memcpy(l->text + l->len, line, (size_t)k + 1);
	l->len += (size_t)k;
	l->n++;
	return 0;
}

/* 600 contacts (more states than one page of the streamed check) with states changed,
 * deleted and added behind the ledger's back: --check (streamed, one contact at a time)
 * reports exactly the differences, in the same order, as the whole-ledger replay that a
 * rebuild runs; and it needs a fixed number of allocations whatever the number of states
 * (the whole-ledger replay grows its table with them and fails when allocation is cut). */
static void streamed_check_equals_whole_replay(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	long ndiff = -1;
	assert_int_equal(sk_core_batch_begin(t->core, &t->err), 0);
	for (int i = 0; i < 600; i++) {
		char mail[64];
		snprintf(mail, sizeof(mail), "s%03d@example.com", i);
		assert_int_equal(t_consent(t, mail, purposes[i % 6], SK_ACT_GIVE, "form", "f", 0), 0);
		assert_int_equal(t_consent(t, mail, purposes[(i + 1) % 6], i % 2 ? SK_ACT_REFUSE
						   : SK_ACT_GIVE, "form", "f", 0), 0);
		if (i % 3 == 0)
			assert_int_equal(t_consent(t, mail, purposes[i % 6], SK_ACT_WITHDRAW, "form",
						   "f", 0), 0);
	}
	assert_int_equal(sk_core_batch_commit(t->core, &t->err), 0);
	char id[SK_ID_LEN + 1];
	assert_int_equal(sk_contact_add(t->core, "noevents@example.com", NULL, 0, id, &t->err), 0);
	/* in order: none yet */
	assert_int_equal(sk_ledger_replay(t->core, 0, NULL, NULL, &ndiff, &t->err), 0);
	assert_int_equal(ndiff, 0);
	/* no more allocations than a streamed check needs (its context and one contact's
	 * states), whatever the size; the whole-ledger table needs 4 for these 1,200 states */
	sk_mem_fail_after(3);
	int rc = sk_ledger_replay(t->core, 0, NULL, NULL, &ndiff, &t->err);
	sk_mem_fail_after(-1);
	if (rc)
		fail_msg("--check over 1,200 states failed with 3 allocations allowed: %s", t->err.msg);

	static const char *const tamper[] = {
		"UPDATE consent_state SET status = 'given' WHERE (contact_id, purpose) IN (SELECT"
		" contact_id, purpose FROM consent_state WHERE status = 'withdrawn'"
		" ORDER BY contact_id LIMIT 5)",
		"UPDATE consent_state SET seq = seq + 1000 WHERE contact_id ="
		" (SELECT contact_id FROM consent_state ORDER BY contact_id DESC LIMIT 1)",
		"DELETE FROM consent_state WHERE (contact_id, purpose) IN (SELECT contact_id,"
		" purpose FROM consent_state WHERE status = 'refused' ORDER BY contact_id"
		" LIMIT 10 OFFSET 100)",
		"DELETE FROM consent_state WHERE contact_id = (SELECT contact_id FROM consent_state"
		" ORDER BY contact_id LIMIT 1 OFFSET 600)",
	};
	for (size_t i = 0; i < sizeof(tamper) / sizeof(tamper[0]); i++)
		t_db_exec(t->db, tamper[i]);
	char sql[512];
	/* stored states with no event: one for the contact without events, one for a
	 * purpose a contact never had */
	snprintf(sql, sizeof(sql), "INSERT INTO consent_state SELECT email_key, 'newsletter', id,"
		 " 'given', 1, 'e_x', 0, 0, 1 FROM contacts WHERE id = '%s';"
		 "INSERT INTO consent_state SELECT c.email_key, 'zzz_unknown', c.id, 'given', 1,"
		 " 'e_y', 0, 0, 1 FROM contacts AS c ORDER BY c.id LIMIT 1 OFFSET 200", id);
	t_db_exec(t->db, sql);

	struct difflist streamed = {0}, whole = {0};
	assert_int_equal(sk_ledger_replay(t->core, 0, list_diff, &streamed, &ndiff, &t->err), 0);
	assert_int_equal(ndiff, streamed.n);
	assert_true(streamed.n >= 10);
	assert_non_null(strstr(streamed.text, " zzz_unknown given missing\n"));
	assert_non_null(strstr(streamed.text, " refused\n"));        /* deleted: stored missing */
	assert_non_null(strstr(streamed.text, " given withdrawn\n")); /* changed */
	/* the rebuild replays the whole ledger in memory and reports before it writes */
	assert_int_equal(sk_ledger_replay(t->core, 1, list_diff, &whole, &ndiff, &t->err), 0);
	if (strcmp(streamed.text, whole.text) != 0)
		fail_msg("streamed:\n%s\nwhole:\n%s", streamed.text, whole.text);
	assert_int_equal(sk_ledger_replay(t->core, 0, NULL, NULL, &ndiff, &t->err), 0);
	assert_int_equal(ndiff, 0);
	free(streamed.text);
	free(whole.text);
	tenv_free(t);
}

/* The streamed --check fails cleanly (a storage error, nothing left open) wherever the
 * store fails, and works again after. */
static void streamed_check_fails_cleanly(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(1);
	long ndiff;
	for (int i = 0; i < 20; i++) {
		char mail[64];
		snprintf(mail, sizeof(mail), "p%d@example.com", i);
		assert_int_equal(t_consent(t, mail, purposes[i % 6], SK_ACT_GIVE, "form", "f", 0), 0);
	}
	int failed = 0;
	for (long n = 1; n < 60; n++) {
		sk_store_fault_set(t->store, n, 0);
		int rc = sk_ledger_replay(t->core, 0, NULL, NULL, &ndiff, &t->err);
		sk_store_fault_set(t->store, 0, 0);
		if (rc == 0)
			break;
		failed++;
		assert_int_equal(rc, SK_ERR_STORAGE);
	}
	assert_true(failed >= 3);
	for (long n = 1; n < 30; n++) { /* and when memory runs out */
		sk_mem_fail_after(n);
		int rc = sk_ledger_replay(t->core, 0, NULL, NULL, &ndiff, &t->err);
		sk_mem_fail_after(-1);
		if (rc == 0)
			break;
		assert_true(rc == SK_ERR_NOMEM || rc == SK_ERR_STORAGE);
	}
	assert_int_equal(sk_ledger_replay(t->core, 0, NULL, NULL, &ndiff, &t->err), 0);
	assert_int_equal(ndiff, 0);
	tenv_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(replay_equals_state_after_random_events),
		cmocka_unit_test(streamed_check_equals_whole_replay),
		cmocka_unit_test(streamed_check_fails_cleanly),
		cmocka_unit_test(replay_fails_cleanly_on_storage_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
