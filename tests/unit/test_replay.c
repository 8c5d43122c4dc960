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
	sqlite3 *db;
	assert_int_equal(sqlite3_open(t->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE consent_state SET status = 'given' WHERE "
					  "(contact_id, purpose) = (SELECT contact_id, purpose FROM "
					  "consent_state WHERE status = 'withdrawn' LIMIT 1)",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_changes(db), 1);
	/* and delete another */
	assert_int_equal(sqlite3_exec(db, "DELETE FROM consent_state WHERE (contact_id, purpose) = "
					  "(SELECT contact_id, purpose FROM consent_state WHERE "
					  "status = 'refused' LIMIT 1)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_close(db);

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(replay_equals_state_after_random_events),
		cmocka_unit_test(replay_fails_cleanly_on_storage_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
