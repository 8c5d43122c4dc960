/* test_migrate.c: sk_migrate (core/migrate.c, samtycke migrate): a copy holds every row of its
 * source and answers as it does; a storage failure at any call on the target, or on the
 * source, leaves the target empty; a target with rows and a tampered ledger are refused. */
#include "testlib.h"

#include <sqlite3.h>

#include "util/buf.h"


static int count_cb(void *arg, const struct sk_value *row, int ncols)
{
	(void)row;
	(void)ncols;
	(*(long *)arg)++;
	return 0;
}

static long rows_in(struct sk_store *s)
{
	long n = 0;
	for (int t = 0; t < sk_store_ntables; t++)
		assert_int_equal(sk_store_rows_each(s, sk_store_tables[t].name, count_cb, &n), 0);
	return n;
}

/* A source with a bit of everything: fields, consents given, withdrawn and refused, an
 * erasure, a suppression, an API key. */
static struct tenv *source(void)
{
	struct tenv *t = tenv_new(1); /* behind the fault backend, not failing yet */
	struct sk_field_value f = {"first_name", "Åsa"};
	struct sk_erasure_receipt rec;
	char id[SK_ID_LEN + 1];
	assert_int_equal(sk_contact_add(t->core, "asa@example.com", &f, 1, id, &t->err), 0);
	assert_int_equal(t_consent(t, "asa@example.com", "newsletter", SK_ACT_GIVE, "form", "page:/", 0), 0);
	assert_int_equal(t_consent(t, "asa@example.com", "offers", SK_ACT_GIVE, "api", "crm", 0), 0);
	assert_int_equal(t_consent(t, "bo@example.com", "newsletter", SK_ACT_GIVE, "api", "crm", 0), 0);
	assert_int_equal(t_consent(t, "bo@example.com", "newsletter", SK_ACT_WITHDRAW, "api", "crm", 0), 0);
	assert_int_equal(t_consent(t, "cia@example.com", "offers", SK_ACT_REFUSE, "api", "crm", 0), 0);
	assert_int_equal(t_consent(t, "dan@example.com", "offers", SK_ACT_GIVE, "api", "crm", 0), 0);
	assert_int_equal(sk_forget_email(t->core, "dan@example.com", &rec, &t->err), 0);
	assert_int_equal(sk_suppress(t->core, "bounce@example.com", "bounced", &t->err), 0);
	return t;
}

/* Runs sql on t's store behind samtycke's back: through the sqlite3 library, or psql in the
 * PostgreSQL mode of testlib (SK_TEST_PG: t->uri is then the database's URI). */
static void tamper(struct tenv *t, const char *sql)
{
	const char *pg = getenv("SK_TEST_PG");
	if (pg && *pg) {
		char cmd[1024];
		snprintf(cmd, sizeof(cmd), "psql -q -X -v ON_ERROR_STOP=1 '%s' -c \"%s\" >/dev/null",
			 t->uri, sql);
		assert_int_equal(system(cmd), 0);
		return;
	}
	sqlite3 *db;
	assert_int_equal(sqlite3_open(t->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* Closes a target; in testlib's PostgreSQL mode (which defines T_SQLITE_ONLY) also drops
 * the database t_store_uri made for it. */
static void target_free(struct tenv *t, struct sk_store *s, const char *name)
{
	sk_store_close(s);
#ifdef T_SQLITE_ONLY
	char path[160];
	snprintf(path, sizeof(path), "%s/%s", t->dir, name);
	t_store_drop(path);
#else
	(void)t;
	(void)name;
#endif
}

/* A new target store beside t's, behind the fault backend (not failing yet). */
static struct sk_store *target(struct tenv *t, const char *name)
{
	char path[160], uri[200];
	struct sk_store *s;
	snprintf(path, sizeof(path), "%s/%s", t->dir, name);
	t_store_uri(path, uri, sizeof(uri));
	assert_int_equal(sk_store_open(uri, 1, &s, &t->err), 0);
	assert_int_equal(sk_store_fault_wrap(s, 0, 0, &s), 0);
	return s;
}

struct progress {
	long calls;
	int64_t last;
};

static void on_progress(void *arg, const char *table, int64_t total)
{
	struct progress *p = arg;
	assert_non_null(sk_store_table(table));
	assert_true(total > p->last);
	p->calls++;
	p->last = total;
}

static void test_copy_equals_source(void **state)
{
	(void)state;
	struct tenv *t = source();
	struct sk_store *to = target(t, "copy.db");
	struct sk_migrate_result r;
	struct progress p = {0};
	int64_t seq;
	uint8_t head[SK_HASH_LEN];

	assert_int_equal(sk_migrate(t->core, to, 1, on_progress, &p, &r, &t->err), 0);
	assert_int_equal(r.verified, 1);
	assert_int_equal(p.calls, r.total); /* every row, each once */
	assert_int_equal(r.ntables, sk_store_ntables);
	int64_t sum = 0;
	for (int i = 0; i < r.ntables; i++) {
		assert_string_equal(r.table[i], sk_store_tables[i].name);
		sum += r.rows[i];
	}
	assert_int_equal(sum, r.total);
	assert_int_equal(sk_store_ledger_last(t->store, &seq, head), 0);
	assert_int_equal(r.ledger_seq, seq);
	assert_int_equal(seq, 6);
	assert_memory_equal(r.ledger_head, head, SK_HASH_LEN);

	char *a = t_rows_dump(t->store), *b = t_rows_dump(to);
	assert_string_equal(a, b); /* every value of every row, its type included */
	assert_int_equal((long)r.total, rows_in(to));
	sk_free(a);
	sk_free(b);

	/* the copy answers as the source: the key opens it, the gate, the sealed fields */
	struct sk_core *c;
	struct sk_contact ct;
	assert_int_equal(sk_core_open(to, t->vault, 0, &c, &t->err), 0);
	const char *pairs[][2] = {{"asa@example.com", "newsletter"}, {"asa@example.com", "offers"},
				  {"bo@example.com", "newsletter"}, {"cia@example.com", "offers"},
				  {"dan@example.com", "offers"}, {"bounce@example.com", "offers"}};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		struct sk_gate_result g1, g2;
		sk_gate_check(t->core, pairs[i][0], pairs[i][1], sk_time_now(), &g1);
		sk_gate_check(c, pairs[i][0], pairs[i][1], sk_time_now(), &g2);
		assert_int_equal(g1.allowed, g2.allowed);
		assert_int_equal(g1.reason, g2.reason);
		assert_string_equal(g1.consent_id, g2.consent_id);
	}
	assert_int_equal(sk_contact_get(c, "asa@example.com", &ct, &t->err), 0);
	int found = 0;
	for (size_t i = 0; i < ct.nfields; i++)
		found |= strcmp(ct.fields[i].name, "first_name") == 0 &&
			 strcmp(ct.fields[i].value, "Åsa") == 0;
	assert_true(found);
	sk_contact_reset(&ct);
	sk_core_free(c);

	/* a second migrate into the copy: refused, nothing written */
	a = t_rows_dump(to);
	assert_int_equal(sk_migrate(t->core, to, 0, NULL, NULL, &r, &t->err), SK_ERR_EXISTS);
	assert_non_null(strstr(t->err.msg, "target: the store is not empty (table meta"));
	b = t_rows_dump(to);
	assert_string_equal(a, b);
	sk_free(a);
	sk_free(b);
	target_free(t, to, "copy.db");
	tenv_free(t);
}

/* A target holding one row that collides with nothing of the source is still refused, and
 * keeps only its row. */
static void test_target_with_rows_refused(void **state)
{
	(void)state;
	struct tenv *t = source();
	struct sk_store *to = target(t, "busy.db");
	struct sk_migrate_result r;
	struct sk_contact_rec c = {.created_at = 1, .updated_at = 1};
	strcpy(c.id, "c_other");
	memset(c.email_key, 7, SK_HASH_LEN);
	assert_int_equal(sk_store_contact_insert(to, &c), 0);
	assert_int_equal(sk_migrate(t->core, to, 0, NULL, NULL, &r, &t->err), SK_ERR_EXISTS);
	assert_non_null(strstr(t->err.msg, "target: the store is not empty (table contacts has rows)"));
	assert_int_equal(rows_in(to), 1);
	assert_int_equal(r.verified, 0);
	target_free(t, to, "busy.db");
	tenv_free(t);
}

/* A storage failure at any one call on the target (rows_put, the checks, the commit) fails
 * the migrate, says "target:", and leaves the target empty. */
static void test_target_failure_leaves_it_empty(void **state)
{
	(void)state;
	struct tenv *t = source();
	struct sk_store *to = target(t, "fail.db");
	struct sk_migrate_result r;

	/* how many calls a whole migrate makes on the target: into a scratch store */
	struct sk_store *scratch = target(t, "scratch.db");
	assert_int_equal(sk_migrate(t->core, scratch, 0, NULL, NULL, &r, &t->err), 0);
	long calls = sk_store_fault_calls(scratch);
	target_free(t, scratch, "scratch.db");
	assert_true(calls > r.total);

	long puts_failed = 0;
	for (long n = 1; n <= calls; n++) {
		sk_store_fault_set(to, n, 0);
		int rc = sk_migrate(t->core, to, 0, NULL, NULL, &r, &t->err);
		sk_store_fault_set(to, 0, 0);
		if (rc != SK_ERR_STORAGE)
			print_error("call %ld: migrate returned %d (%s)\n", n, rc, t->err.msg);
		assert_int_equal(rc, SK_ERR_STORAGE);
		assert_int_equal(r.verified, 0);
		assert_true(strncmp(t->err.msg, "target: ", 8) == 0);
		puts_failed += strstr(t->err.msg, "writing a row of table") != NULL;
		assert_int_equal(rows_in(to), 0);
	}
	assert_int_equal(puts_failed, r.total); /* each rows_put failed once */
	/* and then it takes the copy whole */
	assert_int_equal(sk_migrate(t->core, to, 0, NULL, NULL, &r, &t->err), 0);
	assert_int_equal(rows_in(to), (long)r.total);
	target_free(t, to, "fail.db");
	tenv_free(t);
}

/* A failing read of the source: "source:", the target empty. */
static void test_source_failure_leaves_target_empty(void **state)
{
	(void)state;
	struct tenv *t = source();
	struct sk_store *to = target(t, "src-fail.db");
	struct sk_migrate_result r;

	for (long n = 1; n <= 4; n++) { /* the read begin, the head, the first tables */
		sk_store_fault_set(t->store, n, 0);
		int rc = sk_migrate(t->core, to, 0, NULL, NULL, &r, &t->err);
		sk_store_fault_set(t->store, 0, 0);
		assert_int_equal(rc, SK_ERR_STORAGE);
		assert_true(strncmp(t->err.msg, "source: ", 8) == 0);
		assert_int_equal(rows_in(to), 0);
	}
	target_free(t, to, "src-fail.db");
	tenv_free(t);
}

/* A ledger edited behind samtycke's back: copied as stored, so the copy's chain breaks at the
 * edited event; the migrate fails there and the target stays empty. */
static void test_tampered_ledger_refused(void **state)
{
	(void)state;
	struct tenv *t = source();
	struct sk_store *to = target(t, "tampered.db");
	struct sk_migrate_result r;

	tamper(t, "UPDATE consent_ledger SET source = 'forged' WHERE seq = 3");
	assert_int_equal(sk_migrate(t->core, to, 0, NULL, NULL, &r, &t->err), SK_ERR_CHAIN_BROKEN);
	assert_non_null(strstr(t->err.msg, "target: the copied ledger's hash chain is broken at "
					   "sequence number 3"));
	assert_int_equal(rows_in(to), 0);
	target_free(t, to, "tampered.db");
	tenv_free(t);
}

/* A state edited behind the ledger's back: the copy's replay check finds it. */
static void test_state_mismatch_refused(void **state)
{
	(void)state;
	struct tenv *t = source();
	struct sk_store *to = target(t, "state.db");
	struct sk_migrate_result r;

	tamper(t, "UPDATE consent_state SET status = 'given' WHERE status = 'withdrawn'");
	assert_int_equal(sk_migrate(t->core, to, 0, NULL, NULL, &r, &t->err),
			 SK_ERR_STATE_MISMATCH);
	assert_non_null(strstr(t->err.msg, "target: the stored consent state differs from the "
					   "ledger in 1 place"));
	assert_int_equal(rows_in(to), 0);
	target_free(t, to, "state.db");
	tenv_free(t);
}

/* A backend that stores a value otherwise than it was given (here: one byte of a sealed
 * field, which neither the chain nor the replay reads) is caught by reading every table back:
 * the migrate fails and the target stays empty. */
static int (*real_rows_put)(struct sk_store *, const char *, const struct sk_value *);

static int bent_rows_put(struct sk_store *s, const char *table, const struct sk_value *row)
{
	if (strcmp(table, "contact_fields") != 0)
		return real_rows_put(s, table, row);
	struct sk_value bent[3];
	uint8_t buf[4096];
	memcpy(bent, row, sizeof(bent));
	assert_int_equal(bent[2].type, SK_VALUE_BLOB);
	assert_true(bent[2].len > 0 && bent[2].len <= sizeof(buf));
	memcpy(buf, bent[2].p, bent[2].len);
	buf[0] ^= 1;
	bent[2].p = buf;
	return real_rows_put(s, table, bent);
}

static void test_value_changed_in_copy_refused(void **state)
{
	(void)state;
	struct tenv *t = source();
	struct sk_store *to = target(t, "bent.db");
	struct sk_migrate_result r;
	struct sk_store_methods bent = *to->m;
	const struct sk_store_methods *was = to->m;

	real_rows_put = was->rows_put;
	bent.rows_put = bent_rows_put;
	to->m = &bent;
	assert_int_equal(sk_migrate(t->core, to, 0, NULL, NULL, &r, &t->err), SK_ERR_STORAGE);
	assert_non_null(strstr(t->err.msg, "target: table contact_fields reads back otherwise"));
	to->m = was;
	assert_int_equal(rows_in(to), 0);
	target_free(t, to, "bent.db");
	tenv_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_equals_source),
		cmocka_unit_test(test_target_with_rows_refused),
		cmocka_unit_test(test_target_failure_leaves_it_empty),
		cmocka_unit_test(test_source_failure_leaves_target_empty),
		cmocka_unit_test(test_tampered_ledger_refused),
		cmocka_unit_test(test_state_mismatch_refused),
		cmocka_unit_test(test_value_changed_in_copy_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
