/* test_backup.c: the erasure log (store/erasures.c) and its replay (core/backup.c): every
 * erasure, suppression and unsuppression written and synced before it is answered, an
 * erasure that cannot be logged not done, and a replay on an older copy of the store that
 * erases again, in order, what was erased since (docs/operations.md, 4). Both backends. */
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

#include "util/str.h"

/* The erasure log of this test, in t's folder. */
static void log_in(struct tenv *t, char *path, size_t cap)
{
	snprintf(path, cap, "%s/t.erasures", t->dir);
	sk_erasure_log_set(path);
}

struct collected {
	struct sk_erasure_entry e[16];
	int n;
};

static int collect(void *arg, const struct sk_erasure_entry *e)
{
	struct collected *c = arg;
	if (c->n < 16)
		c->e[c->n++] = *e;
	return 0;
}

static void log_file_entries(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct collected got = {0};
	char path[256], bad[300];
	long nbad = -1;
	struct sk_erasure_entry e = {.at_ms = 1000, .op = "erase", .has_key = 1,
				     .contact_id = "c_aaaaaaaaaaaaaaaaaaaaaaaa", .reason = "erased"};
	memset(e.mac, 'a', 64); /* the store writes and reads it; core makes and checks it */
	memset(e.key, 0xab, SK_HASH_LEN);
	log_in(t, path, sizeof(path));
	assert_int_equal(sk_erasure_log_append(&e), 0);
	/* a line cut by a crash, then more entries: the cut line is skipped, not the rest */
	FILE *f = fopen(path, "a");
	fputs("1 1500 erase c_cut", f);
	fputs("\n", f);
	fclose(f);
	struct sk_erasure_entry u = {.at_ms = 2000, .op = "unsuppress", .has_key = 1};
	memset(u.key, 0xab, SK_HASH_LEN);
	memset(u.mac, 'b', 64);
	assert_int_equal(sk_erasure_log_append(&u), 0);
	assert_int_equal(sk_erasure_log_each(path, 0, collect, &got, &nbad), 0);
	assert_int_equal(got.n, 2);
	assert_int_equal(nbad, 1);
	assert_string_equal(got.e[0].op, "erase");
	assert_string_equal(got.e[0].contact_id, e.contact_id);
	assert_memory_equal(got.e[0].key, e.key, SK_HASH_LEN);
	assert_string_equal(got.e[0].reason, "erased");
	assert_memory_equal(got.e[0].mac, e.mac, 65);
	assert_string_equal(got.e[1].op, "unsuppress");
	assert_string_equal(got.e[1].contact_id, "");
	/* since: only what is at or after the time */
	got.n = 0;
	assert_int_equal(sk_erasure_log_each(path, 2000, collect, &got, NULL), 0);
	assert_int_equal(got.n, 1);
	assert_string_equal(got.e[0].op, "unsuppress");
	/* a missing log has no entries; an unwritable one fails the append */
	got.n = 0;
	snprintf(bad, sizeof(bad), "%s/none/t.erasures", t->dir);
	assert_int_equal(sk_erasure_log_each(bad, 0, collect, &got, NULL), 0);
	assert_int_equal(got.n, 0);
	sk_erasure_log_set(bad);
	assert_int_equal(sk_erasure_log_append(&e), SK_ERR_IO);
	sk_erasure_log_set("");
	tenv_free(t);
}

/* The gate's reason for a core of its own. */
static const char *gate_core(struct sk_core *c, const char *email, const char *purpose)
{
	struct sk_gate_result g;
	sk_gate_check(c, email, purpose, sk_time_now(), &g);
	return sk_reason_name(g.reason);
}

/* Whether the file at path holds text. */
static int file_has(const char *path, const char *text)
{
	size_t len;
	char *p = t_read_file(path, &len);
	int yes = strstr(p, text) != NULL;
	free(p);
	return yes;
}

static void erasure_fails_when_it_cannot_be_logged(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_erasure_receipt r;
	char path[256], id[SK_ID_LEN + 1], found[SK_ID_LEN + 1];
	int yes;
	assert_int_equal(t_consent(t, "kept@example.com", "newsletter", SK_ACT_GIVE, "api", "t", 0), 0);
	assert_int_equal(sk_contact_find(t->core, "kept@example.com", id, &t->err), 0);
	snprintf(path, sizeof(path), "%s/missing/t.erasures", t->dir);
	sk_erasure_log_set(path);
	assert_int_equal(sk_forget(t->core, id, &r, &t->err), SK_ERR_IO);
	assert_non_null(strstr(t->err.msg, "erasure log"));
	/* nothing was erased: the contact, its consent and the address are as they were */
	assert_int_equal(sk_contact_find(t->core, "kept@example.com", found, &t->err), 0);
	assert_string_equal(found, id);
	assert_int_equal(sk_suppressed(t->core, "kept@example.com", &yes, &t->err), 0);
	assert_false(yes);
	assert_string_equal(t_gate(t, "kept@example.com", "newsletter", 0), "consent");
	assert_int_equal(sk_suppress(t->core, "kept@example.com", "bounced", &t->err), SK_ERR_IO);
	sk_erasure_log_set("");
	tenv_free(t);
}

static void replay_erases_again_in_order(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_erasure_receipt r;
	struct sk_erasures_report rep;
	struct sk_migrate_result mr;
	struct sk_store *old = NULL;
	struct sk_core *oc = NULL;
	char path[256], db2[160], uri2[200], a[SK_ID_LEN + 1], b[SK_ID_LEN + 1], x[SK_ID_LEN + 1];
	int yes;

	log_in(t, path, sizeof(path));
	assert_int_equal(t_consent(t, "gone@example.com", "newsletter", SK_ACT_GIVE, "api", "t", 0), 0);
	assert_int_equal(t_consent(t, "back@example.com", "newsletter", SK_ACT_GIVE, "api", "t", 0), 0);
	assert_int_equal(t_consent(t, "stays@example.com", "newsletter", SK_ACT_GIVE, "api", "t", 0), 0);
	assert_int_equal(sk_contact_find(t->core, "gone@example.com", a, &t->err), 0);
	assert_int_equal(sk_contact_find(t->core, "back@example.com", b, &t->err), 0);
	/* the older copy ("the backup"): migrate copies every row into a store of its own */
	snprintf(db2, sizeof(db2), "%s/old.db", t->dir);
	t_store_uri(db2, uri2, sizeof(uri2));
	assert_int_equal(sk_store_open(uri2, 1, &old, &t->err), 0);
	assert_int_equal(sk_migrate(t->core, old, 0, NULL, NULL, &mr, &t->err), 0);

	/* after it: one erased; one erased and then back (unsuppressed) */
	assert_int_equal(sk_forget(t->core, a, &r, &t->err), 0);
	assert_int_equal(sk_forget(t->core, b, &r, &t->err), 0);
	assert_int_equal(sk_unsuppress(t->core, "back@example.com", &t->err), 0);
	assert_true(file_has(path, a));
	assert_true(file_has(path, " unsuppress "));
	assert_false(file_has(path, "example.com")); /* keyed hashes only, never an address */

	/* the old copy still has both; the replay brings it to what was done since */
	assert_int_equal(sk_core_open(old, t->vault, 0, &oc, &t->err), 0);
	assert_int_equal(sk_contact_find(oc, "gone@example.com", x, &t->err), 0);
	assert_int_equal(sk_erasures_replay(oc, path, 0, &rep, &t->err), 0);
	assert_int_equal(rep.entries, 3);
	assert_int_equal(rep.erased, 2);
	assert_int_equal(rep.unsuppressed, 1);
	assert_int_equal(sk_contact_find(oc, "gone@example.com", x, &t->err), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_suppressed(oc, "gone@example.com", &yes, &t->err), 0);
	assert_true(yes);
	assert_string_equal(gate_core(oc, "gone@example.com", "newsletter"), "erased");
	assert_int_equal(sk_contact_find(oc, "back@example.com", x, &t->err), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_suppressed(oc, "back@example.com", &yes, &t->err), 0);
	assert_false(yes); /* came back after the erasure: not suppressed again */
	assert_string_equal(gate_core(oc, "stays@example.com", "newsletter"), "consent");
	int64_t bad, count;
	assert_int_equal(sk_audit_verify(oc, &bad, &count, NULL, &t->err), 0);
	/* the replay logged nothing of its own */
	size_t len;
	char *p = t_read_file(path, &len);
	int lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += p[i] == '\n';
	free(p);
	assert_int_equal(lines, 3);
	/* idempotent: a second replay finds nothing left to erase and changes nothing */
	assert_int_equal(sk_erasures_replay(oc, path, 0, &rep, &t->err), 0);
	assert_int_equal(rep.erased, 0);
	assert_int_equal(sk_suppressed(oc, "back@example.com", &yes, &t->err), 0);
	assert_false(yes);
	assert_int_equal(sk_suppressed(oc, "gone@example.com", &yes, &t->err), 0);
	assert_true(yes);
	sk_core_free(oc);
	sk_store_close(old);
	t_store_drop(db2);
	sk_erasure_log_set("");
	tenv_free(t);
}

/* The erasure log is authenticated (M5): a line changed or written without the key is not
 * done, and counted; a log that others may write, or a symbolic link, is refused. */
static void replay_refuses_unverified_lines(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_erasure_receipt r;
	struct sk_erasures_report rep;
	struct sk_migrate_result mr;
	struct sk_store *old = NULL;
	struct sk_core *oc = NULL;
	struct collected got = {0};
	char path[256], db2[160], uri2[200], link[300], a[SK_ID_LEN + 1], b[SK_ID_LEN + 1];
	char x[SK_ID_LEN + 1], forged[400];

	log_in(t, path, sizeof(path));
	assert_int_equal(t_consent(t, "gone@example.com", "newsletter", SK_ACT_GIVE, "api", "t", 0), 0);
	assert_int_equal(t_consent(t, "kept@example.com", "newsletter", SK_ACT_GIVE, "api", "t", 0), 0);
	assert_int_equal(sk_contact_find(t->core, "gone@example.com", a, &t->err), 0);
	assert_int_equal(sk_contact_find(t->core, "kept@example.com", b, &t->err), 0);
	snprintf(db2, sizeof(db2), "%s/old.db", t->dir);
	t_store_uri(db2, uri2, sizeof(uri2));
	assert_int_equal(sk_store_open(uri2, 1, &old, &t->err), 0);
	assert_int_equal(sk_migrate(t->core, old, 0, NULL, NULL, &mr, &t->err), 0);
	assert_int_equal(sk_forget(t->core, a, &r, &t->err), 0);
	/* the real line with the other contact's id in it, and a version 1 line (no MAC) */
	size_t len;
	char *p = t_read_file(path, &len);
	char *at = strstr(p, a);
	assert_non_null(at);
	memcpy(at, b, SK_ID_LEN);
	snprintf(forged, sizeof(forged), "%s1 %lld erase %s - -\n", p,
		 (long long)sk_time_now_ms(), b);
	free(p);
	FILE *f = fopen(path, "a");
	fputs(forged, f);
	fclose(f);

	assert_int_equal(sk_core_open(old, t->vault, 0, &oc, &t->err), 0);
	assert_int_equal(sk_erasures_replay(oc, path, 0, &rep, &t->err), 0);
	assert_int_equal(rep.entries, 1); /* the real erasure */
	assert_int_equal(rep.unverified, 2);
	assert_int_equal(sk_contact_find(oc, "gone@example.com", x, &t->err), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_contact_find(oc, "kept@example.com", x, &t->err), 0);
	assert_string_equal(x, b); /* the forged lines erased nobody */

	/* a log group or others may write is refused, to read and to append */
	assert_int_equal(chmod(path, 0620), 0);
	assert_int_equal(sk_erasure_log_each(path, 0, collect, &got, NULL), SK_ERR_IO);
	assert_int_equal(sk_forget(t->core, b, &r, &t->err), SK_ERR_IO);
	assert_int_equal(chmod(path, 0600), 0);
	/* a symbolic link is not followed */
	snprintf(link, sizeof(link), "%s/link.erasures", t->dir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(sk_erasure_log_each(link, 0, collect, &got, NULL), SK_ERR_IO);
	sk_erasure_log_set(link);
	assert_int_equal(sk_forget(t->core, b, &r, &t->err), SK_ERR_IO);
	sk_core_free(oc);
	sk_store_close(old);
	t_store_drop(db2);
	sk_erasure_log_set("");
	tenv_free(t);
}

/* An unsuppression is logged before it commits, inside its transaction (M6): the log's order
 * is the commit order, and one the log cannot record is not done. */
static void unsuppress_logged_before_commit(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char path[256], bad[300];
	int yes;
	log_in(t, path, sizeof(path));
	assert_int_equal(sk_suppress(t->core, "back@example.com", "bounced", &t->err), 0);
	snprintf(bad, sizeof(bad), "%s/missing/t.erasures", t->dir);
	sk_erasure_log_set(bad);
	assert_int_equal(sk_unsuppress(t->core, "back@example.com", &t->err), SK_ERR_IO);
	assert_int_equal(sk_suppressed(t->core, "back@example.com", &yes, &t->err), 0);
	assert_true(yes); /* not lifted: the log could not record it */
	sk_erasure_log_set(path);
	assert_int_equal(sk_unsuppress(t->core, "back@example.com", &t->err), 0);
	assert_int_equal(sk_suppressed(t->core, "back@example.com", &yes, &t->err), 0);
	assert_false(yes);
	assert_true(file_has(path, " unsuppress "));
	sk_erasure_log_set("");
	tenv_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(log_file_entries),
		cmocka_unit_test(erasure_fails_when_it_cannot_be_logged),
		cmocka_unit_test(replay_erases_again_in_order),
		cmocka_unit_test(replay_refuses_unverified_lines),
		cmocka_unit_test(unsuppress_logged_before_commit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
