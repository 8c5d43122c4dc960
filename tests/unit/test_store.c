/* test_store.c: unit tests of the SQLite storage backend on a temporary file, opened by URI
 * as everything opens a store; of the URI table that picks the backend; of the scrub's
 * contract; and of the fault-injecting wrapper. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* RTLD_NEXT */
#endif
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_int.h"
#include "testlib.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/str.h"

struct fx {
	char dir[64];
	char path[128];
	struct sk_store *s;
};

/* Opens the store of the database file path through its URI (t_store_uri). */
static int sopen(const char *path, int create, struct sk_store **out, struct sk_errctx *err)
{
	char uri[256];
	t_store_uri(path, uri, sizeof(uri));
	return sk_store_open(uri, create, out, err);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct sk_errctx err = {0};

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/sk_test_store_XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/db", f->dir);
	assert_int_equal(sopen(f->path, 1, &f->s, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char p[160];

	sk_store_close(f->s);
	sk_mem_fail_after(-1); /* a test that failed with allocations failing */
	t_store_drop(f->path);
	unlink(f->path);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s/plain", f->dir);
	unlink(p);
	t_store_drop(p); /* PostgreSQL: the databases other stores of a test were given */
	snprintf(p, sizeof(p), "%s/copy", f->dir);
	t_store_drop(p);
	assert_int_equal(rmdir(f->dir), 0);
	free(f);
	return 0;
}

static void key_of(uint8_t key[SK_HASH_LEN], int n)
{
	memset(key, 0, SK_HASH_LEN);
	key[0] = (uint8_t)n;
	key[31] = 0xee;
}

static void add_contact(struct sk_store *s, const char *id, int n)
{
	struct sk_contact_rec c = {0};

	sk_strlcpy(c.id, id, sizeof(c.id));
	key_of(c.email_key, n);
	c.created_at = 1000 + n;
	c.updated_at = 1000 + n;
	assert_int_equal(sk_store_contact_insert(s, &c), 0);
}

static void test_open_create_twice(void **state)
{
	struct fx *f = *state;
	struct sk_errctx err = {0};
	struct sk_store *s = NULL;
	struct stat sb;

	assert_int_equal(sopen(f->path, 1, &s, &err), SK_ERR_EXISTS);
	assert_null(s);
	assert_int_equal(err.code, SK_ERR_EXISTS);
	if (t_pg()) { /* the database holds a store: init refuses to make a second one */
		assert_non_null(strstr(err.msg, "already holds a samtycke store"));
		assert_null(strstr(err.msg, "postgresql://"));
		return;
	}
	assert_non_null(strstr(err.msg, f->path));
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
}

static void test_open_missing(void **state)
{
	struct fx *f = *state;
	struct sk_errctx err = {0};
	struct sk_store *s = NULL;
	char p[160];

	snprintf(p, sizeof(p), "%s/missing", f->dir);
	assert_int_equal(sopen(p, 0, &s, &err), SK_ERR_NOT_INITIALISED);
	assert_null(s);
	assert_int_equal(err.code, SK_ERR_NOT_INITIALISED);
	if (t_pg()) { /* an empty database (sopen made it): nothing was written to it */
		assert_non_null(strstr(err.msg, "run init first"));
		assert_int_equal(t_db_int(p, "SELECT count(*) FROM pg_tables"
					  " WHERE schemaname = 'public'"), 0);
		t_store_drop(p);
		return;
	}
	assert_non_null(strstr(err.msg, p));
	assert_int_equal(access(p, F_OK), -1);
}

/* Another program's database is refused and left as it was (not even switched to WAL). */
static void test_open_foreign_db(void **state)
{
	struct fx *f = *state;
	struct sk_errctx err = {0};
	struct sk_store *s = NULL;
	sqlite3 *db;
	sqlite3_stmt *st;
	char p[160];

	snprintf(p, sizeof(p), "%s/plain", f->dir);
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(sopen(p, 0, &s, &err), SK_ERR_NOT_INITIALISED);
	assert_null(s);
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "delete");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* A failed init leaves no file behind. */
static void test_create_fails_cleanly(void **state)
{
	struct fx *f = *state;
	struct sk_errctx err = {0};
	struct sk_store *s = NULL;
	char p[160];

	snprintf(p, sizeof(p), "%s/plain", f->dir);
	sk_mem_fail_after(0);
	assert_int_equal(sopen(p, 1, &s, &err), SK_ERR_NOMEM);
	sk_mem_fail_after(-1);
	assert_null(s);
	assert_int_equal(access(p, F_OK), -1);
}

/* A database migrated by a newer samtycke is refused. */
static void test_open_newer_schema(void **state)
{
	struct fx *f = *state;
	struct sk_errctx err = {0};

	sk_store_close(f->s);
	f->s = NULL;
	t_db_exec(f->path, t_pg() ? "UPDATE samtycke_schema SET version = 99" /* PostgreSQL's */
			: "PRAGMA user_version = 99");
	assert_int_equal(sopen(f->path, 0, &f->s, &err), SK_ERR_STORAGE);
	assert_null(f->s);
	assert_non_null(strstr(err.msg, "newer"));
}

static void test_reopen_keeps_data(void **state)
{
	struct fx *f = *state;
	struct sk_errctx err = {0};
	char v[16];

	assert_int_equal(sk_store_meta_set(f->s, "k", "v1"), 0);
	sk_store_close(f->s);
	f->s = NULL;
	assert_int_equal(sopen(f->path, 0, &f->s, &err), 0);
	assert_int_equal(sk_store_meta_get(f->s, "k", v, sizeof(v)), 0);
	assert_string_equal(v, "v1");
}

static void test_wal_and_version(void **state)
{
	struct fx *f = *state;
	sqlite3 *db;
	sqlite3_stmt *st;

	if (t_pg()) { /* PostgreSQL's own migrations: the whole schema, then the console's */
		assert_int_equal(t_db_int(f->path, "SELECT max(version) FROM samtycke_schema"), 5);
		assert_int_equal(t_db_int(f->path, "SELECT count(*) FROM leases"), 0);
		assert_int_equal(t_db_int(f->path, "SELECT count(*) FROM pg_indexes WHERE indexname IN"
					  " ('consent_state_pending', 'api_keys_active_name',"
					  " 'mail_outbox_due', 'consent_state_contact')"), 4);
		/* the outbox's due index serves the next-mail query's ORDER BY (migration 5) */
		assert_int_equal(t_db_int(f->path, "SELECT count(*) FROM pg_indexes WHERE indexname ="
					  " 'mail_outbox_due' AND indexdef LIKE"
					  " '%((kind = ''campaign''::text)), next_attempt_at, created_at) WHERE%'"), 1);
		return;
	}

	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 12); /* migrations applied */
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* The outbox's next-mail query (SQ_OUTBOX_NEXT, as sqlite.c has it) reads the due index in
 * its order: no temporary b-tree sorts every due row for each mail a campaign sends. */
static void test_outbox_next_plan(void **state)
{
	struct fx *f = *state;
	sqlite3 *db;
	sqlite3_stmt *st;
	char plan[1024] = "";

	if (t_pg()) /* test_wal_and_version checks PostgreSQL's index */
		return;
	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN SELECT id FROM mail_outbox"
					    " WHERE sent_at = 0 AND failed_at = 0"
					    " AND next_attempt_at <= ?1"
					    " ORDER BY kind = 'campaign', next_attempt_at, created_at"
					    " LIMIT 1",
					    -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		size_t n = strlen(plan);
		snprintf(plan + n, sizeof(plan) - n, "%s; ", (const char *)sqlite3_column_text(st, 3));
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (!strstr(plan, "USING INDEX mail_outbox_due") || strstr(plan, "TEMP B-TREE"))
		fail_msg("the next-mail query's plan: %s", plan);
}

/* The next mail: due mail in the order it was due, except that campaign mail comes after
 * every other due mail, so that a confirmation or a preference link queued behind a large
 * campaign is sent at once (docs/campaigns.md, "Pace"). */
static void test_outbox_next_order(void **state)
{
	struct sk_store *s = ((struct fx *)*state)->s;
	struct sk_outbox_rec m, got;
	static const struct { const char *kind; int64_t due; } q[] = {
		{"campaign", 100}, {"campaign", 101}, {"confirm", 500}, {"preflink:sv", 300},
		{"confirm", 900},
	};
	for (int i = 0; i < 5; i++) {
		memset(&m, 0, sizeof(m));
		snprintf(m.id, sizeof(m.id), "m_%024d", i);
		key_of(m.email_key, i + 1);
		sk_strlcpy(m.kind, q[i].kind, sizeof(m.kind));
		sk_strlcpy(m.ref, "r_x", sizeof(m.ref));
		m.created_at = m.next_attempt_at = q[i].due;
		assert_int_equal(sk_store_outbox_put(s, &m), 0);
	}
	static const char *const want[] = {"m_000000000000000000000003", "m_000000000000000000000002",
					   "m_000000000000000000000000", "m_000000000000000000000001"};
	for (int i = 0; i < 4; i++) {
		assert_int_equal(sk_store_outbox_next(s, 800, &got), 0);
		assert_string_equal(got.id, want[i]);
		got.sent_at = 800;
		assert_int_equal(sk_store_outbox_state(s, &got), 0);
	}
	/* the confirmation due at 900 is not due at 800 */
	assert_int_equal(sk_store_outbox_next(s, 800, &got), SK_ERR_NOT_FOUND);
}

static void test_meta(void **state)
{
	struct sk_store *s = ((struct fx *)*state)->s;
	char v[8];

	assert_int_equal(sk_store_meta_get(s, "schema", v, sizeof(v)), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_store_meta_set(s, "schema", "one"), 0);
	assert_int_equal(sk_store_meta_get(s, "schema", v, sizeof(v)), 0);
	assert_string_equal(v, "one");
	assert_int_equal(sk_store_meta_set(s, "schema", "two"), 0);
	assert_int_equal(sk_store_meta_get(s, "schema", v, sizeof(v)), 0);
	assert_string_equal(v, "two");
	assert_int_equal(sk_store_meta_set(s, "long", "0123456789"), 0);
	assert_int_equal(sk_store_meta_get(s, "long", v, sizeof(v)), SK_ERR_TOO_LARGE);
}

static void test_transactions(void **state)
{
	struct sk_store *s = ((struct fx *)*state)->s;
	char v[8];

	assert_int_equal(sk_store_rollback(s), 0); /* none active */
	assert_int_equal(sk_store_begin(s, 1), 0);
	assert_int_equal(sk_store_meta_set(s, "a", "1"), 0);
	assert_int_equal(sk_store_rollback(s), 0);
	assert_int_equal(sk_store_meta_get(s, "a", v, sizeof(v)), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_store_begin(s, 1), 0);
	assert_int_equal(sk_store_meta_set(s, "a", "2"), 0);
	assert_int_equal(sk_store_commit(s), 0);
	assert_int_equal(sk_store_begin(s, 0), 0);
	assert_int_equal(sk_store_meta_get(s, "a", v, sizeof(v)), 0);
	assert_string_equal(v, "2");
	assert_int_equal(sk_store_commit(s), 0);
	assert_int_equal(sk_store_commit(s), SK_ERR_STORAGE); /* none active */
}

static void test_policy(void **state)
{
	struct sk_store *s = ((struct fx *)*state)->s;
	char *text = NULL;
	size_t len = 0;
	int version = 0;
	int64_t at = 0;

	assert_int_equal(sk_store_policy_get(s, &text, &len, &version, &at), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_store_policy_put(s, 10, "first: 1\n", 9, &version), 0);
	assert_int_equal(version, 1);
	assert_int_equal(sk_store_policy_put(s, 20, "second: 2\nXX", 10, &version), 0);
	assert_int_equal(version, 2);
	assert_int_equal(sk_store_policy_get(s, &text, &len, &version, &at), 0);
	assert_int_equal(version, 2);
	assert_int_equal(at, 20);
	assert_int_equal(len, 10);
	assert_string_equal(text, "second: 2\n");
	sk_free(text);
}

static void put_notice(struct sk_store *s, const char *purpose, int version, const char *lang,
		       const char *text)
{
	struct sk_notice_rec n = {0};

	sk_strlcpy(n.purpose, purpose, sizeof(n.purpose));
	n.version = version;
	sk_strlcpy(n.lang, lang, sizeof(n.lang));
	n.text = text;
	memset(n.sha256, version, SK_HASH_LEN);
	n.created_at = 100 * version;
	assert_int_equal(sk_store_notice_put(s, &n), 0);
}

static void test_notices(void **state)
{
	struct sk_store *s = ((struct fx *)*state)->s;
	struct sk_notice_rec n;
	uint8_t h2[SK_HASH_LEN];
	int v = -1;

	assert_int_equal(sk_store_notice_latest(s, "newsletter", &v), 0);
	assert_int_equal(v, 0);
	put_notice(s, "newsletter", 1, "sv", "Nyhetsbrev v1");
	put_notice(s, "newsletter", 1, "en", "Newsletter v1");
	put_notice(s, "newsletter", 2, "sv", "Nyhetsbrev v2");
	put_notice(s, "profiling", 5, "sv", "Profilering");

	assert_int_equal(sk_store_notice_get(s, "newsletter", 0, "sv", &n), 0);
	assert_int_equal(n.version, 2);
	assert_string_equal(n.text, "Nyhetsbrev v2");
	assert_string_equal(n.purpose, "newsletter");
	assert_string_equal(n.lang, "sv");
	memset(h2, 2, SK_HASH_LEN);
	assert_memory_equal(n.sha256, h2, SK_HASH_LEN);
	assert_int_equal(n.created_at, 200);

	assert_int_equal(sk_store_notice_get(s, "newsletter", 1, "sv", &n), 0);
	assert_int_equal(n.version, 1);
	assert_string_equal(n.text, "Nyhetsbrev v1");
	assert_int_equal(sk_store_notice_get(s, "newsletter", 0, "en", &n), 0);
	assert_int_equal(n.version, 1);
	assert_string_equal(n.text, "Newsletter v1");
	assert_int_equal(sk_store_notice_get(s, "newsletter", 2, "en", &n), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_store_notice_get(s, "other", 0, "sv", &n), SK_ERR_NOT_FOUND);

	assert_int_equal(sk_store_notice_latest(s, "newsletter", &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(sk_store_notice_latest(s, "profiling", &v), 0);
	assert_int_equal(v, 5);

	n.text = "changed";
	assert_int_equal(sk_store_notice_put(s, &n), SK_ERR_EXISTS);

	if (t_pg())
		return; /* the text stays in libpq's result: nothing is allocated to fail */
	sk_mem_fail_after(0);
	assert_int_equal(sk_store_notice_get(s, "newsletter", 0, "sv", &n), SK_ERR_NOMEM);
	sk_mem_fail_after(-1);
}

static void test_contacts(void **state)
{
	struct sk_store *s = ((struct fx *)*state)->s;
	struct sk_contact_rec c = {0}, got;
	uint8_t key[SK_HASH_LEN];

	add_contact(s, "c_aaaaaaaaaaaaaaaaaaaaaaaa", 1);
	sk_strlcpy(c.id, "c_aaaaaaaaaaaaaaaaaaaaaaaa", sizeof(c.id));
	key_of(c.email_key, 2);
	assert_int_equal(sk_store_contact_insert(s, &c), SK_ERR_EXISTS); /* same id */
	sk_strlcpy(c.id, "c_bbbbbbbbbbbbbbbbbbbbbbbb", sizeof(c.id));
	key_of(c.email_key, 1);
	assert_int_equal(sk_store_contact_insert(s, &c), SK_ERR_EXISTS); /* same email_key */

	key_of(key, 1);
	assert_int_equal(sk_store_contact_by_key(s, key, &got), 0);
	assert_string_equal(got.id, "c_aaaaaaaaaaaaaaaaaaaaaaaa");
	assert_memory_equal(got.email_key, key, SK_HASH_LEN);
	assert_int_equal(got.created_at, 1001);
	assert_int_equal(got.updated_at, 1001);

	assert_int_equal(sk_store_contact_touch(s, "c_aaaaaaaaaaaaaaaaaaaaaaaa", 5000), 0);
	assert_int_equal(sk_store_contact_by_id(s, "c_aaaaaaaaaaaaaaaaaaaaaaaa", &got), 0);
	assert_memory_equal(got.email_key, key, SK_HASH_LEN);
	assert_int_equal(got.created_at, 1001);
	assert_int_equal(got.updated_at, 5000);

	key_of(key, 2);
	assert_int_equal(sk_store_contact_by_key(s, key, &got), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_store_contact_by_id(s, "c_bbbbbbbbbbbbbbbbbbbbbbbb", &got),
			 SK_ERR_NOT_FOUND);
	assert_int_equal(sk_store_contact_touch(s, "c_bbbbbbbbbbbbbbbbbbbbbbbb", 1),
			 SK_ERR_NOT_FOUND);
}

struct fields_seen {
	int n;
	int stop_at;
	char names[4][16];
	char values[4][16];
};

static int field_cb(void *arg, const char *name, const uint8_t *sealed, size_t len)
{
	struct fields_seen *fs = arg;

	assert_true(fs->n < 4);
	sk_strlcpy(fs->names[fs->n], name, sizeof(fs->names[fs->n]));
	assert_true(len < 16);
	memcpy(fs->values[fs->n], sealed, len);
	fs->values[fs->n][len] = '\0';
	return ++fs->n == fs->stop_at ? 42 : 0;
}

static void test_fields(void **state)
{
	struct sk_store *s = ((struct fx *)*state)->s;
	struct fields_seen fs = {0};
	const char *id = "c_aaaaaaaaaaaaaaaaaaaaaaaa";

	add_contact(s, id, 1);
	add_contact(s, "c_bbbbbbbbbbbbbbbbbbbbbbbb", 2);
	assert_int_equal(sk_store_field_put(s, id, "name", (const uint8_t *)"old", 3), 0);
	assert_int_equal(sk_store_field_put(s, id, "country", (const uint8_t *)"se", 2), 0);
	assert_int_equal(sk_store_field_put(s, id, "name", (const uint8_t *)"new", 3), 0);
	assert_int_equal(sk_store_field_each(s, id, field_cb, &fs), 0);
	assert_int_equal(fs.n, 2);
	assert_string_equal(fs.names[0], "country");
	assert_string_equal(fs.values[0], "se");
	assert_string_equal(fs.names[1], "name");
	assert_string_equal(fs.values[1], "new");

	memset(&fs, 0, sizeof(fs));
	fs.stop_at = 1;
	assert_int_equal(sk_store_field_each(s, id, field_cb, &fs), 42);
	assert_int_equal(fs.n, 1);

	memset(&fs, 0, sizeof(fs));
	assert_int_equal(sk_store_field_each(s, "c_bbbbbbbbbbbbbbbbbbbbbbbb", field_cb, &fs), 0);
	assert_int_equal(fs.n, 0);

	/* foreign keys are on: no field without its contact */
	assert_int_equal(sk_store_field_put(s, "c_nobodynobodynobodynobod", "name",
					    (const uint8_t *)"x", 1), SK_ERR_STORAGE);
}

static void test_datakey(void **state)
{
	struct sk_store *s = ((struct fx *)*state)->s;
	const char *id = "c_aaaaaaaaaaaaaaaaaaaaaaaa";
	uint8_t k1[40], k2[40], out[64];
	size_t len = 0;

	memset(k1, 0x11, sizeof(k1));
	memset(k2, 0x22, sizeof(k2));
	add_contact(s, id, 1);
	assert_int_equal(sk_store_datakey_get(s, id, out, sizeof(out), &len), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_store_datakey_put(s, id, k1, sizeof(k1)), 0);
	assert_int_equal(sk_store_datakey_get(s, id, out, sizeof(out), &len), 0);
	assert_int_equal(len, sizeof(k1));
	assert_memory_equal(out, k1, sizeof(k1));
	assert_int_equal(sk_store_datakey_get(s, id, out, 39, &len), SK_ERR_TOO_LARGE);
	assert_int_equal(sk_store_datakey_put(s, id, k2, sizeof(k2)), 0);
	assert_int_equal(sk_store_datakey_get(s, id, out, sizeof(out), &len), 0);
	assert_memory_equal(out, k2, sizeof(k2));
}

static void make_event(struct sk_event_rec *ev, int64_t seq, const char *contact_id)
{
	memset(ev, 0, sizeof(*ev));
	ev->seq = seq;
	snprintf(ev->id, sizeof(ev->id), "e_%024lld", (long long)seq);
	sk_strlcpy(ev->contact_id, contact_id, sizeof(ev->contact_id));
	sk_strlcpy(ev->purpose, "newsletter", sizeof(ev->purpose));
	sk_strlcpy(ev->action, "give", sizeof(ev->action));
	ev->occurred_at = 100 + seq;
	ev->recorded_at = 200 + seq;
	sk_strlcpy(ev->method, "form", sizeof(ev->method));
	sk_strlcpy(ev->source, "https://example.org/signup", sizeof(ev->source));
	ev->notice_version = 3;
	memset(ev->notice_sha256, 0x33, SK_HASH_LEN);
	sk_strlcpy(ev->lang, "sv", sizeof(ev->lang));
	ev->valid_until = 9999;
	sk_strlcpy(ev->actor, "subject", sizeof(ev->actor));
	ev->flags = 5;
	memset(ev->prev_hash, (int)seq - 1, SK_HASH_LEN);
	memset(ev->hash, (int)seq, SK_HASH_LEN);
}

struct events_seen {
	int n;
	int stop_at;
	int64_t seq[8];
	struct sk_event_rec last;
	uint8_t evidence[16];
	size_t evidence_len;
	int evidence_null;
};

static int event_cb(void *arg, const struct sk_event_rec *ev)
{
	struct events_seen *es = arg;

	assert_true(es->n < 8);
	es->seq[es->n] = ev->seq;
	es->last = *ev;
	es->evidence_null = ev->evidence == NULL;
	es->evidence_len = ev->evidence_len;
	if (ev->evidence) {
		assert_true(ev->evidence_len <= sizeof(es->evidence));
		memcpy(es->evidence, ev->evidence, ev->evidence_len);
	}
	return ++es->n == es->stop_at ? 7 : 0;
}

static void test_ledger(void **state)
{
	struct sk_store *s = ((struct fx *)*state)->s;
	const char *a = "c_aaaaaaaaaaaaaaaaaaaaaaaa", *b = "c_bbbbbbbbbbbbbbbbbbbbbbbb";
	struct sk_event_rec ev, want;
	struct events_seen es = {0};
	uint8_t hash[SK_HASH_LEN], zero[SK_HASH_LEN] = {0};
	int64_t seq = -1;

	memset(hash, 0xff, sizeof(hash));
	assert_int_equal(sk_store_ledger_last(s, &seq, hash), 0);
	assert_int_equal(seq, 0);
	assert_memory_equal(hash, zero, SK_HASH_LEN);

	make_event(&ev, 1, a);
	ev.evidence = (const uint8_t *)"sealed-proof";
	ev.evidence_len = 12;
	assert_int_equal(sk_store_ledger_append(s, &ev), 0);
	make_event(&ev, 2, b);
	assert_int_equal(sk_store_ledger_append(s, &ev), 0);
	make_event(&want, 3, a);
	sk_strlcpy(want.action, "withdraw", sizeof(want.action));
	assert_int_equal(sk_store_ledger_append(s, &want), 0);

	assert_int_equal(sk_store_ledger_last(s, &seq, hash), 0);
	assert_int_equal(seq, 3);
	assert_memory_equal(hash, want.hash, SK_HASH_LEN);

	make_event(&ev, 3, a);
	sk_strlcpy(ev.id, "e_another_id_for_seq_three", sizeof(ev.id));
	assert_int_equal(sk_store_ledger_append(s, &ev), SK_ERR_EXISTS); /* taken seq */
	make_event(&ev, 4, a);
	sk_strlcpy(ev.id, want.id, sizeof(ev.id));
	assert_int_equal(sk_store_ledger_append(s, &ev), SK_ERR_EXISTS); /* taken id */

	assert_int_equal(sk_store_ledger_each(s, NULL, 0, event_cb, &es), 0);
	assert_int_equal(es.n, 3);
	assert_int_equal(es.seq[0], 1);
	assert_int_equal(es.seq[1], 2);
	assert_int_equal(es.seq[2], 3);
	/* the last row read back field by field */
	assert_string_equal(es.last.id, want.id);
	assert_string_equal(es.last.contact_id, a);
	assert_string_equal(es.last.purpose, "newsletter");
	assert_string_equal(es.last.action, "withdraw");
	assert_int_equal(es.last.occurred_at, 103);
	assert_int_equal(es.last.recorded_at, 203);
	assert_string_equal(es.last.method, "form");
	assert_string_equal(es.last.source, "https://example.org/signup");
	assert_int_equal(es.last.notice_version, 3);
	assert_memory_equal(es.last.notice_sha256, want.notice_sha256, SK_HASH_LEN);
	assert_string_equal(es.last.lang, "sv");
	assert_int_equal(es.last.valid_until, 9999);
	assert_string_equal(es.last.actor, "subject");
	assert_int_equal(es.last.flags, 5);
	assert_true(es.evidence_null);
	assert_int_equal(es.evidence_len, 0);
	assert_memory_equal(es.last.prev_hash, want.prev_hash, SK_HASH_LEN);
	assert_memory_equal(es.last.hash, want.hash, SK_HASH_LEN);

	memset(&es, 0, sizeof(es));
	assert_int_equal(sk_store_ledger_each(s, a, 0, event_cb, &es), 0);
	assert_int_equal(es.n, 2);
	assert_int_equal(es.seq[0], 1);
	assert_int_equal(es.seq[1], 3);

	memset(&es, 0, sizeof(es));
	es.stop_at = 1;
	assert_int_equal(sk_store_ledger_each(s, a, 0, event_cb, &es), 7);
	assert_int_equal(es.n, 1);
	assert_false(es.evidence_null);
	assert_int_equal(es.evidence_len, 12);
	assert_memory_equal(es.evidence, "sealed-proof", 12);

	memset(&es, 0, sizeof(es));
	assert_int_equal(sk_store_ledger_each(s, NULL, 1, event_cb, &es), 0);
	assert_int_equal(es.n, 2);
	assert_int_equal(es.seq[0], 2);
	assert_int_equal(es.seq[1], 3);

	memset(&es, 0, sizeof(es));
	assert_int_equal(sk_store_ledger_each(s, b, 2, event_cb, &es), 0);
	assert_int_equal(es.n, 0);
}

/* A row changed behind samtycke's back (too long text, short hash) is still read. */
static void test_ledger_tampered(void **state)
{
	struct fx *f = *state;
	struct sk_event_rec ev;
	struct events_seen es = {0};
	uint8_t want[SK_HASH_LEN] = {0xab, 0xcd, 0xef};

	make_event(&ev, 1, "c_aaaaaaaaaaaaaaaaaaaaaaaa");
	assert_int_equal(sk_store_ledger_append(f->s, &ev), 0);
	assert_int_equal(t_db_exec(f->path, "UPDATE consent_ledger SET hash = x'abcdef', prev_hash = x''"
				   " WHERE seq = 1"), 1);

	/* hashes of the wrong length are read (zero-filled) so that the audit can report them */
	assert_int_equal(sk_store_ledger_each(f->s, NULL, 0, event_cb, &es), 0);
	assert_int_equal(es.n, 1);
	assert_memory_equal(es.last.hash, want, SK_HASH_LEN);
	memset(want, 0, sizeof(want));
	assert_memory_equal(es.last.prev_hash, want, SK_HASH_LEN);
}


static void make_state(struct sk_state_rec *st, const char *contact_id, const char *purpose,
		       const char *status, int64_t seq)
{
	memset(st, 0, sizeof(*st));
	sk_strlcpy(st->contact_id, contact_id, sizeof(st->contact_id));
	sk_strlcpy(st->purpose, purpose, sizeof(st->purpose));
	sk_strlcpy(st->status, status, sizeof(st->status));
	st->seq = seq;
	snprintf(st->event_id, sizeof(st->event_id), "e_%024lld", (long long)seq);
	st->updated_at = 100 + seq;
	st->valid_until = 500 + seq;
	st->notice_version = 2;
}

struct states_seen {
	int n;
	char keys[8][128];
};

static int state_cb(void *arg, const struct sk_state_rec *st)
{
	struct states_seen *ss = arg;

	assert_true(ss->n < 8);
	snprintf(ss->keys[ss->n++], sizeof(ss->keys[0]), "%s/%s/%s", st->contact_id, st->purpose,
		 st->status);
	return 0;
}

static void test_state(void **state)
{
	struct sk_store *s = ((struct fx *)*state)->s;
	const char *a = "c_aaaaaaaaaaaaaaaaaaaaaaaa", *b = "c_bbbbbbbbbbbbbbbbbbbbbbbb";
	struct sk_state_rec st, got;
	struct states_seen ss = {0};

	assert_int_equal(sk_store_state_get(s, a, "newsletter", &got), SK_ERR_NOT_FOUND);
	/* a state needs its contact */
	make_state(&st, a, "newsletter", "given", 1);
	assert_int_equal(sk_store_state_put(s, &st), SK_ERR_STORAGE);
	add_contact(s, a, 1);
	add_contact(s, b, 2);
	make_state(&st, b, "newsletter", "given", 1);
	assert_int_equal(sk_store_state_put(s, &st), 0);
	make_state(&st, a, "profiling", "refused", 2);
	assert_int_equal(sk_store_state_put(s, &st), 0);
	make_state(&st, a, "newsletter", "given", 3);
	assert_int_equal(sk_store_state_put(s, &st), 0);
	make_state(&st, a, "newsletter", "withdrawn", 4);
	assert_int_equal(sk_store_state_put(s, &st), 0);

	assert_int_equal(sk_store_state_get(s, a, "newsletter", &got), 0);
	assert_string_equal(got.contact_id, a);
	assert_string_equal(got.purpose, "newsletter");
	assert_string_equal(got.status, "withdrawn");
	assert_int_equal(got.seq, 4);
	assert_string_equal(got.event_id, st.event_id);
	assert_int_equal(got.updated_at, 104);
	assert_int_equal(got.valid_until, 504);
	assert_int_equal(got.notice_version, 2);

	assert_int_equal(sk_store_state_each(s, NULL, state_cb, &ss), 0);
	assert_int_equal(ss.n, 3);
	assert_non_null(strstr(ss.keys[0], "aaaa/newsletter/withdrawn"));
	assert_non_null(strstr(ss.keys[1], "aaaa/profiling/refused"));
	assert_non_null(strstr(ss.keys[2], "bbbb/newsletter/given"));

	memset(&ss, 0, sizeof(ss));
	assert_int_equal(sk_store_state_each(s, b, state_cb, &ss), 0);
	assert_int_equal(ss.n, 1);
	assert_non_null(strstr(ss.keys[0], "bbbb/newsletter/given"));

	assert_int_equal(sk_store_state_clear(s), 0);
	memset(&ss, 0, sizeof(ss));
	assert_int_equal(sk_store_state_each(s, NULL, state_cb, &ss), 0);
	assert_int_equal(ss.n, 0);
}

static void test_gate_lookup(void **state)
{
	struct sk_store *s = ((struct fx *)*state)->s;
	const char *a = "c_aaaaaaaaaaaaaaaaaaaaaaaa";
	struct sk_gate_rec g;
	struct sk_state_rec st;
	uint8_t key[SK_HASH_LEN];

	/* unknown address */
	key_of(key, 1);
	memset(&g, 0x5a, sizeof(g));
	assert_int_equal(sk_store_gate_lookup(s, key, "newsletter", &g), 0);
	assert_false(g.suppressed);
	assert_string_equal(g.suppress_reason, "");
	assert_false(g.found);
	assert_string_equal(g.contact_id, "");
	assert_false(g.has_state);
	assert_int_equal(g.state.seq, 0);

	/* a contact without state for the purpose */
	add_contact(s, a, 1);
	make_state(&st, a, "profiling", "given", 1);
	assert_int_equal(sk_store_state_put(s, &st), 0);
	assert_int_equal(sk_store_gate_lookup(s, key, "newsletter", &g), 0);
	assert_false(g.suppressed);
	assert_true(g.found);
	assert_string_equal(g.contact_id, a);
	assert_false(g.has_state);

	/* a contact with state */
	make_state(&st, a, "newsletter", "given", 2);
	assert_int_equal(sk_store_state_put(s, &st), 0);
	assert_int_equal(sk_store_gate_lookup(s, key, "newsletter", &g), 0);
	assert_false(g.suppressed);
	assert_true(g.found);
	assert_true(g.has_state);
	assert_string_equal(g.state.contact_id, a);
	assert_string_equal(g.state.purpose, "newsletter");
	assert_string_equal(g.state.status, "given");
	assert_int_equal(g.state.seq, 2);
	assert_string_equal(g.state.event_id, st.event_id);
	assert_int_equal(g.state.updated_at, 102);
	assert_int_equal(g.state.valid_until, 502);
	assert_int_equal(g.state.notice_version, 2);

	/* suppressed: both an unknown address and the contact's */
	assert_int_equal(sk_store_suppression_put(s, key, "bounce", 10), 0);
	assert_int_equal(sk_store_suppression_put(s, key, "complaint", 11), 0);
	assert_int_equal(sk_store_gate_lookup(s, key, "newsletter", &g), 0);
	assert_true(g.suppressed);
	assert_string_equal(g.suppress_reason, "complaint");
	assert_true(g.found);
	assert_true(g.has_state);
	key_of(key, 9);
	assert_int_equal(sk_store_suppression_put(s, key, "unsubscribed", 12), 0);
	assert_int_equal(sk_store_gate_lookup(s, key, "newsletter", &g), 0);
	assert_true(g.suppressed);
	assert_string_equal(g.suppress_reason, "unsubscribed");
	assert_false(g.found);
	assert_false(g.has_state);
}

/* The hot gate cache (store/sqlite.c): a lookup outside a transaction may be answered from
 * it, but never after a commit from another handle or another connection (any process's
 * commit rewrites the WAL-index header it is checked against), and never inside a read
 * snapshot, which keeps seeing its own moment. */
/* The hot gate cache is not used while a statement of the handle still steps (an iteration
 * whose callback asks the gate): that lookup reads the iteration's older snapshot and must
 * not be kept under the newer header (review of issue 12). */
struct hot_cb_ctx {
	struct sk_store *s, *s2;
	const char *a;
	int done;
};

static int hot_in_callback(void *arg, const struct sk_state_rec *row)
{
	struct hot_cb_ctx *x = arg;
	struct sk_state_rec st;
	struct sk_gate_rec g;
	uint8_t key[SK_HASH_LEN];
	(void)row;
	if (x->done++)
		return 0;
	key_of(key, 1);
	make_state(&st, x->a, "newsletter", "withdrawn", 2); /* another handle commits */
	assert_int_equal(sk_store_state_put(x->s2, &st), 0);
	assert_int_equal(sk_store_gate_lookup(x->s, key, "newsletter", &g), 0);
	return 0;
}

static void test_hot_gate_cache_in_callback(void **state)
{
	T_SQLITE_ONLY();
	struct fx *f = *state;
	struct sk_store *s = f->s, *s2;
	struct sk_errctx err = {0};
	const char *a = "c_aaaaaaaaaaaaaaaaaaaaaaaa";
	struct sk_gate_rec g;
	struct sk_state_rec st;
	uint8_t key[SK_HASH_LEN];

	key_of(key, 1);
	add_contact(s, a, 1);
	make_state(&st, a, "newsletter", "given", 1);
	assert_int_equal(sk_store_state_put(s, &st), 0);
	make_state(&st, a, "offers", "given", 1);
	assert_int_equal(sk_store_state_put(s, &st), 0);
	assert_int_equal(sk_store_gate_lookup(s, key, "newsletter", &g), 0);
	assert_int_equal(sopen(f->path, 0, &s2, &err), 0);
	assert_int_equal(sk_store_gate_lookup(s2, key, "newsletter", &g), 0);
	assert_int_equal(sk_store_gate_lookup(s2, key, "newsletter", &g), 0);
	struct hot_cb_ctx x = {s, s2, a, 0};
	assert_int_equal(sk_store_state_each(s, a, hot_in_callback, &x), 0);
	assert_int_equal(sk_store_gate_lookup(s2, key, "newsletter", &g), 0);
	assert_string_equal(g.state.status, "withdrawn");
	sk_store_close(s2);
}

/* After a deletion of a contact commits, the table keeps no answer for its key, under any
 * purpose (they could answer nothing again, but they would keep an erased key's link to its
 * contact in memory); another person's answers stay; a commit that deletes nothing leaves
 * them all (the positive control). Without notices to name the purposes, the table is
 * wiped whole. */
static void test_hot_gate_cache_wiped_on_erasure(void **state)
{
	T_SQLITE_ONLY();
	struct fx *f = *state;
	struct sk_store *s = f->s;
	struct sk_gate_rec g;
	struct sk_state_rec st;
	uint8_t key[SK_HASH_LEN], other[SK_HASH_LEN];

	put_notice(s, "newsletter", 1, "en", "Our newsletter.");
	put_notice(s, "offers", 1, "en", "Our offers.");
	key_of(key, 1);
	key_of(other, 3);
	add_contact(s, "c_wipe1", 1);
	add_contact(s, "c_keep3", 3);
	make_state(&st, "c_wipe1", "newsletter", "given", 1);
	assert_int_equal(sk_store_state_put(s, &st), 0);
	for (int i = 0; i < 2; i++) { /* the first lookup of each fills the table */
		assert_int_equal(sk_store_gate_lookup(s, key, "newsletter", &g), 0);
		assert_int_equal(sk_store_gate_lookup(s, key, "offers", &g), 0);
		assert_int_equal(sk_store_gate_lookup(s, other, "newsletter", &g), 0);
	}
	assert_int_equal(sk__store_sqlite_hot_kept(s), 3);
	assert_int_equal(sk_store_meta_set(s, "t_other", "1"), 0); /* a commit, no deletion */
	assert_int_equal(sk__store_sqlite_hot_kept(s), 3);

	assert_int_equal(sk_store_begin(s, SK_TX_WRITE), 0);
	assert_int_equal(sk_store_contact_delete(s, "c_wipe1"), 0);
	assert_int_equal(sk__store_sqlite_hot_kept(s), 3); /* not before the commit */
	assert_int_equal(sk_store_commit(s), 0);
	assert_int_equal(sk__store_sqlite_hot_kept(s), 1); /* c_keep3's stays */

	/* outside a transaction, the deletion is its own commit */
	assert_int_equal(sk_store_contact_delete(s, "c_keep3"), 0);
	assert_int_equal(sk__store_sqlite_hot_kept(s), 0);
}

/* With no notice to name the purposes, an erasure wipes the whole table. */
static void test_hot_gate_cache_wiped_whole(void **state)
{
	T_SQLITE_ONLY();
	struct fx *f = *state;
	struct sk_store *s = f->s;
	struct sk_gate_rec g;
	uint8_t key[SK_HASH_LEN], other[SK_HASH_LEN];

	key_of(key, 1);
	key_of(other, 3);
	add_contact(s, "c_wipe1", 1);
	add_contact(s, "c_keep3", 3);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(sk_store_gate_lookup(s, key, "newsletter", &g), 0);
		assert_int_equal(sk_store_gate_lookup(s, other, "newsletter", &g), 0);
	}
	assert_int_equal(sk__store_sqlite_hot_kept(s), 2);
	assert_int_equal(sk_store_contact_delete(s, "c_wipe1"), 0);
	assert_int_equal(sk__store_sqlite_hot_kept(s), 0);
}

static void test_hot_gate_cache(void **state)
{
	T_SQLITE_ONLY();
	struct fx *f = *state;
	struct sk_store *s = f->s, *s2;
	struct sk_errctx err = {0};
	const char *a = "c_aaaaaaaaaaaaaaaaaaaaaaaa";
	struct sk_gate_rec g, first;
	struct sk_state_rec st;
	uint8_t key[SK_HASH_LEN];
	long hits = 0, misses = 0, hits2 = 0;
	sqlite3 *raw;

	key_of(key, 1);
	add_contact(s, a, 1);
	make_state(&st, a, "newsletter", "given", 1);
	assert_int_equal(sk_store_state_put(s, &st), 0);
	/* the first lookups read SQLite (and fill the cache); then the cache answers, with
	 * the same record */
	assert_int_equal(sk_store_gate_lookup(s, key, "newsletter", &first), 0);
	assert_int_equal(sk_store_gate_lookup(s, key, "newsletter", &g), 0);
	assert_int_equal(sk__store_sqlite_hot_stats(s, &hits, &misses), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(sk_store_gate_lookup(s, key, "newsletter", &g), 0);
		assert_memory_equal(&g, &first, sizeof(g));
	}
	assert_int_equal(sk__store_sqlite_hot_stats(s, &hits2, &misses), 0);
	assert_int_equal(hits2, hits + 3);
	assert_string_equal(g.state.status, "given");
	assert_string_equal(g.state.purpose, "newsletter");
	assert_string_equal(g.state.contact_id, a);

	/* another handle (another server thread) withdraws: the very next lookup sees it */
	assert_int_equal(sopen(f->path, 0, &s2, &err), 0);
	make_state(&st, a, "newsletter", "withdrawn", 2);
	assert_int_equal(sk_store_state_put(s2, &st), 0);
	assert_int_equal(sk_store_gate_lookup(s, key, "newsletter", &g), 0);
	assert_string_equal(g.state.status, "withdrawn");
	assert_int_equal(g.state.seq, 2);
	/* ... and a suppression */
	assert_int_equal(sk_store_gate_lookup(s, key, "newsletter", &g), 0);
	assert_int_equal(sk_store_suppression_put(s2, key, "complaint", 11), 0);
	assert_int_equal(sk_store_gate_lookup(s, key, "newsletter", &g), 0);
	assert_true(g.suppressed);
	assert_string_equal(g.suppress_reason, "complaint");

	/* a plain SQLite connection (what another program would use) changes the state */
	assert_int_equal(sk_store_gate_lookup(s, key, "newsletter", &g), 0);
	assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "DELETE FROM suppressions; UPDATE consent_state SET"
				      " status = 'refused', seq = 3", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sk_store_gate_lookup(s, key, "newsletter", &g), 0);
	assert_false(g.suppressed);
	assert_string_equal(g.state.status, "refused");
	assert_int_equal(g.state.seq, 3);

	/* inside a read snapshot the cache is not used: the snapshot keeps its moment */
	assert_int_equal(sk_store_gate_lookup(s, key, "newsletter", &g), 0);
	assert_int_equal(sk__store_sqlite_hot_stats(s, &hits, &misses), 0);
	assert_int_equal(sk_store_begin(s, 0), 0);
	assert_int_equal(sk_store_gate_lookup(s, key, "newsletter", &g), 0);
	assert_string_equal(g.state.status, "refused");
	assert_int_equal(sqlite3_exec(raw, "UPDATE consent_state SET status = 'given', seq = 4",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sk_store_gate_lookup(s, key, "newsletter", &g), 0);
	assert_string_equal(g.state.status, "refused");
	assert_int_equal(sk__store_sqlite_hot_stats(s, &hits2, &misses), 0);
	assert_int_equal(hits2, hits);
	assert_int_equal(sk_store_commit(s), 0);
	assert_int_equal(sk_store_gate_lookup(s, key, "newsletter", &g), 0);
	assert_string_equal(g.state.status, "given");
	assert_int_equal(g.state.seq, 4);

	/* a stored value that cannot be read is an error every time, never a cached answer */
	assert_int_equal(sqlite3_exec(raw, "UPDATE consent_state SET status ="
				      " 'a-status-far-too-long-for-its-field'", NULL, NULL, NULL),
			 SQLITE_OK);
	for (int i = 0; i < 3; i++)
		assert_int_equal(sk_store_gate_lookup(s, key, "newsletter", &g), SK_ERR_CORRUPT);
	sqlite3_close(raw);
	sk_store_close(s2);
}

struct changes_seen {
	int n;
	int stop_at;
	int64_t seq[8];
	struct sk_change_rec last;
};

static int change_cb(void *arg, const struct sk_change_rec *ch)
{
	struct changes_seen *cs = arg;

	assert_true(cs->n < 8);
	cs->seq[cs->n++] = ch->seq;
	cs->last = *ch;
	return cs->n == cs->stop_at ? 9 : 0;
}

static void append_change(struct sk_store *s, const char *type, int64_t want)
{
	struct sk_change_rec ch = {0};

	sk_strlcpy(ch.type, type, sizeof(ch.type));
	sk_strlcpy(ch.contact_id, "c_aaaaaaaaaaaaaaaaaaaaaaaa", sizeof(ch.contact_id));
	sk_strlcpy(ch.purpose, "newsletter", sizeof(ch.purpose));
	sk_strlcpy(ch.status, "given", sizeof(ch.status));
	ch.at = 700 + want;
	assert_int_equal(sk_store_change_append(s, &ch), 0);
	assert_int_equal(ch.seq, want);
}

static void test_changes(void **state)
{
	struct sk_store *s = ((struct fx *)*state)->s;
	struct changes_seen cs = {0};

	append_change(s, "consent", 1);
	append_change(s, "contact", 2);
	assert_int_equal(sk_store_begin(s, 1), 0);
	append_change(s, "consent", 3);
	assert_int_equal(sk_store_rollback(s), 0);
	append_change(s, "erased", 3); /* no gap after the rollback */
	append_change(s, "consent", 4);

	assert_int_equal(sk_store_change_each(s, 0, 2, change_cb, &cs), 0);
	assert_int_equal(cs.n, 2);
	assert_int_equal(cs.seq[0], 1);
	assert_int_equal(cs.seq[1], 2);
	assert_string_equal(cs.last.type, "contact");
	assert_string_equal(cs.last.contact_id, "c_aaaaaaaaaaaaaaaaaaaaaaaa");
	assert_string_equal(cs.last.purpose, "newsletter");
	assert_string_equal(cs.last.status, "given");
	assert_int_equal(cs.last.at, 702);

	memset(&cs, 0, sizeof(cs));
	assert_int_equal(sk_store_change_each(s, 1, 0, change_cb, &cs), 0);
	assert_int_equal(cs.n, 3);
	assert_int_equal(cs.seq[0], 2);
	assert_int_equal(cs.seq[2], 4);
	assert_string_equal(cs.last.type, "consent");

	memset(&cs, 0, sizeof(cs));
	cs.stop_at = 3;
	assert_int_equal(sk_store_change_each(s, 0, -1, change_cb, &cs), 9);
	assert_int_equal(cs.n, 3);
	assert_string_equal(cs.last.type, "erased");
}

static void test_ledger_get(void **state)
{
	struct sk_store *s = ((struct fx *)*state)->s;
	struct sk_event_rec ev;
	struct events_seen es = {0};

	make_event(&ev, 1, "c_aaaaaaaaaaaaaaaaaaaaaaaa");
	assert_int_equal(sk_store_ledger_append(s, &ev), 0);
	make_event(&ev, 2, "c_bbbbbbbbbbbbbbbbbbbbbbbb");
	assert_int_equal(sk_store_ledger_append(s, &ev), 0);
	assert_int_equal(sk_store_ledger_get(s, ev.id, event_cb, &es), 0);
	assert_int_equal(es.n, 1);
	assert_int_equal(es.last.seq, 2);
	assert_string_equal(es.last.contact_id, "c_bbbbbbbbbbbbbbbbbbbbbbbb");
	assert_memory_equal(es.last.hash, ev.hash, SK_HASH_LEN);
	es.stop_at = 2;
	assert_int_equal(sk_store_ledger_get(s, "e_000000000000000000000001", event_cb, &es), 7);
	assert_int_equal(sk_store_ledger_get(s, "e_nosuchevent", event_cb, &es), SK_ERR_NOT_FOUND);
	assert_int_equal(es.n, 2);
}

struct keys_seen {
	int n;
	char names[4][64];
	int64_t revoked[4];
};

static int key_cb(void *arg, const struct sk_key_rec *k)
{
	struct keys_seen *ks = arg;

	assert_true(ks->n < 4);
	sk_strlcpy(ks->names[ks->n], k->name, sizeof(ks->names[0]));
	ks->revoked[ks->n++] = k->revoked_at;
	return 0;
}

static void put_key(struct sk_store *s, const char *id, const char *name, int64_t at, int want)
{
	struct sk_key_rec k = {0};

	sk_strlcpy(k.id, id, sizeof(k.id));
	sk_strlcpy(k.name, name, sizeof(k.name));
	sk_strlcpy(k.scopes, "read,write", sizeof(k.scopes));
	memset(k.secret_hash, 0x44, SK_HASH_LEN);
	k.created_at = at;
	assert_int_equal(sk_store_key_put(s, &k), want);
}

static void test_keys(void **state)
{
	struct sk_store *s = ((struct fx *)*state)->s;
	struct sk_key_rec k;
	struct keys_seen ks = {0};
	uint8_t h[SK_HASH_LEN];

	put_key(s, "k_aaaaaaaaaaaaaaaaaaaaaaaa", "mailer", 10, 0);
	put_key(s, "k_bbbbbbbbbbbbbbbbbbbbbbbb", "mailer", 11, SK_ERR_EXISTS); /* active name */
	assert_int_equal(sk_store_key_get(s, "k_aaaaaaaaaaaaaaaaaaaaaaaa", &k), 0);
	assert_string_equal(k.name, "mailer");
	assert_string_equal(k.scopes, "read,write");
	memset(h, 0x44, sizeof(h));
	assert_memory_equal(k.secret_hash, h, SK_HASH_LEN);
	assert_int_equal(k.created_at, 10);
	assert_int_equal(k.revoked_at, 0);
	assert_int_equal(sk_store_key_get(s, "k_bbbbbbbbbbbbbbbbbbbbbbbb", &k), SK_ERR_NOT_FOUND);

	assert_int_equal(sk_store_key_revoke(s, "mailer", 20), 0);
	assert_int_equal(sk_store_key_revoke(s, "mailer", 21), SK_ERR_NOT_FOUND);
	put_key(s, "k_bbbbbbbbbbbbbbbbbbbbbbbb", "mailer", 30, 0); /* the name is free again */
	assert_int_equal(sk_store_key_each(s, key_cb, &ks), 0);
	assert_int_equal(ks.n, 2);
	assert_int_equal(ks.revoked[0], 20);
	assert_int_equal(ks.revoked[1], 0);
}

static void test_idempotency(void **state)
{
	struct sk_store *s = ((struct fx *)*state)->s;
	struct sk_idem_rec r = {0}, got;
	char v[8];

	sk_strlcpy(r.key_id, "k_aaaaaaaaaaaaaaaaaaaaaaaa", sizeof(r.key_id));
	sk_strlcpy(r.idem_key, "retry-1", sizeof(r.idem_key));
	memset(r.request_hash, 0x55, SK_HASH_LEN);
	r.status = 201;
	r.body = "{\"id\":\"e_1\"}";
	r.created_at = 100;
	assert_int_equal(sk_store_idem_get(s, r.key_id, "retry-1", &got), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_store_idem_put(s, &r), 0);
	assert_int_equal(sk_store_idem_put(s, &r), SK_ERR_EXISTS);
	assert_int_equal(sk_store_idem_get(s, "k_bbbbbbbbbbbbbbbbbbbbbbbb", "retry-1", &got),
			 SK_ERR_NOT_FOUND); /* keys do not share answers */

	assert_int_equal(sk_store_idem_get(s, r.key_id, "retry-1", &got), 0);
	assert_int_equal(sk_store_meta_get(s, "unset", v, sizeof(v)), SK_ERR_NOT_FOUND);
	assert_string_equal(got.body, "{\"id\":\"e_1\"}"); /* still valid */
	assert_int_equal(got.status, 201);
	assert_memory_equal(got.request_hash, r.request_hash, SK_HASH_LEN);
	assert_int_equal(got.created_at, 100);
	assert_string_equal(got.idem_key, "retry-1");

	assert_int_equal(sk_store_idem_purge(s, 100), 0);
	assert_int_equal(sk_store_idem_get(s, r.key_id, "retry-1", &got), 0);
	assert_int_equal(sk_store_idem_purge(s, 101), 0);
	assert_int_equal(sk_store_idem_get(s, r.key_id, "retry-1", &got), SK_ERR_NOT_FOUND);
}

static void test_fault(void **state)
{
	struct fx *f = *state;
	struct sk_store *w = NULL;
	char v[8];

	assert_int_equal(sk_store_fault_wrap(f->s, 2, 1, &w), 0);
	f->s = w; /* the wrapper owns the SQLite store now */
	assert_int_equal(sk_store_meta_set(w, "a", "1"), 0);
	assert_int_equal(sk_store_meta_set(w, "b", "2"), SK_ERR_STORAGE);
	assert_int_equal(sk_store_meta_get(w, "a", v, sizeof(v)), SK_ERR_STORAGE);
	assert_int_equal(sk_store_begin(w, 1), SK_ERR_STORAGE);
	assert_int_equal(sk_store_fault_calls(w), 4);

	sk_store_fault_set(w, 0, 0);
	assert_int_equal(sk_store_meta_get(w, "a", v, sizeof(v)), 0);
	assert_string_equal(v, "1");
	assert_int_equal(sk_store_meta_get(w, "b", v, sizeof(v)), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_store_fault_calls(w), 2);

	sk_store_fault_set(w, 1, 0); /* not sticky: only the first call fails */
	assert_int_equal(sk_store_meta_get(w, "a", v, sizeof(v)), SK_ERR_STORAGE);
	assert_int_equal(sk_store_meta_get(w, "a", v, sizeof(v)), 0);
}

/* Runs one statement on the file behind the store's back. */
static void tamper(struct fx *f, const char *sql)
{
	t_db_exec(f->path, sql);
}

static int count_cb(void *arg, const void *rec)
{
	(void)rec;
	(*(int *)arg)++;
	return 0;
}

static void test_overlong_text_is_corrupt(void **state)
{
	struct fx *f = *state;
	struct sk_store *s = f->s;
	const char *a = "c_aaaaaaaaaaaaaaaaaaaaaaaa";
	struct sk_event_rec ev;
	struct sk_state_rec st;
	struct sk_key_rec k;
	struct sk_contact_rec c;
	uint8_t key[SK_HASH_LEN];
	int n = 0;

	add_contact(s, a, 1);
	make_event(&ev, 1, a);
	assert_int_equal(sk_store_ledger_append(s, &ev), 0);
	make_event(&ev, 2, a);
	assert_int_equal(sk_store_ledger_append(s, &ev), 0);
	make_state(&st, a, "newsletter", "given", 1);
	assert_int_equal(sk_store_state_put(s, &st), 0);
	append_change(s, "consent", 1);
	put_key(s, "k_aaaaaaaaaaaaaaaaaaaaaaaa", "crm", 10, 0);

	/* exactly as long as the field allows (255 bytes in a 256-byte field) still reads */
	tamper(f, "UPDATE consent_ledger SET source = printf('%.255c', 'x') WHERE seq = 1");
	assert_int_equal(sk_store_ledger_each(s, NULL, 0, (sk_event_cb)count_cb, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(sk_store_corrupt_where(), "");

	/* one byte more is corruption, named by table and column; nothing is handed on */
	tamper(f, "UPDATE consent_ledger SET source = printf('%.256c', 'x') WHERE seq = 2");
	n = 0;
	assert_int_equal(sk_store_ledger_each(s, NULL, 0, (sk_event_cb)count_cb, &n), SK_ERR_CORRUPT);
	assert_int_equal(n, 1); /* the good row before it, not the corrupt one */
	assert_string_equal(sk_store_corrupt_where(), "consent_ledger.source");
	assert_int_equal(sk_store_ledger_get(s, ev.id, (sk_event_cb)count_cb, &n), SK_ERR_CORRUPT);

	/* a NUL byte inside a text would cut it silently: corrupt too (PostgreSQL's text
	 * cannot hold one) */
	if (t_pg()) {
		tamper(f, "UPDATE consent_ledger SET source = 'ok' WHERE seq = 2");
	} else {
		tamper(f, "UPDATE consent_ledger SET source = 'ok', actor = CAST(x'61620063' AS TEXT)"
			  " WHERE seq = 2");
		assert_int_equal(sk_store_ledger_get(s, ev.id, (sk_event_cb)count_cb, &n),
				 SK_ERR_CORRUPT);
		assert_string_equal(sk_store_corrupt_where(), "consent_ledger.actor");
	}
	tamper(f, "UPDATE consent_ledger SET actor = 'subject' WHERE seq = 2");
	assert_int_equal(sk_store_ledger_get(s, ev.id, (sk_event_cb)count_cb, &n), 0);

	tamper(f, "UPDATE consent_state SET status = 'given-and-then-some'");
	assert_int_equal(sk_store_state_get(s, a, "newsletter", &st), SK_ERR_CORRUPT);
	assert_string_equal(sk_store_corrupt_where(), "consent_state.status");
	assert_int_equal(sk_store_state_each(s, NULL, (sk_state_cb)count_cb, &n), SK_ERR_CORRUPT);
	key_of(key, 1);
	struct sk_gate_rec g;
	assert_int_equal(sk_store_gate_lookup(s, key, "newsletter", &g), SK_ERR_CORRUPT);

	tamper(f, "UPDATE changes SET type = printf('%.32c', 't')");
	assert_int_equal(sk_store_change_each(s, 0, 10, (sk_change_cb)count_cb, &n), SK_ERR_CORRUPT);
	assert_string_equal(sk_store_corrupt_where(), "changes.type");

	tamper(f, "UPDATE api_keys SET name = printf('%.64c', 'n')");
	assert_int_equal(sk_store_key_get(s, "k_aaaaaaaaaaaaaaaaaaaaaaaa", &k), SK_ERR_CORRUPT);
	assert_string_equal(sk_store_corrupt_where(), "api_keys.name");

	tamper(f, t_pg() ? "SET session_replication_role = replica; UPDATE contacts SET id = id || 'x'"
	       : "PRAGMA foreign_keys = OFF; UPDATE contacts SET id = id || 'x'");
	assert_int_equal(sk_store_contact_by_key(s, key, &c), SK_ERR_CORRUPT);
	assert_string_equal(sk_store_corrupt_where(), "contacts.id");
}

/* ---- the URI table (sk_store_open) ---- */

/* meta "k" as seen through uri: the value, or "" when the open fails. */
static void meta_through(const char *uri, char *out, size_t cap)
{
	struct sk_errctx err = {0};
	struct sk_store *s = NULL;
	out[0] = '\0';
	if (sk_store_open(uri, 0, &s, &err) == 0)
		assert_int_equal(sk_store_meta_get(s, "k", out, cap), 0);
	sk_store_close(s);
}

/* A plain path, sqlite:PATH (any case), sqlite:///ABSOLUTE all name the same SQLite file. */
static void test_uri_names_the_file(void **state)
{
	T_SQLITE_ONLY();
	struct fx *f = *state;
	char uri[256], v[16];

	assert_int_equal(sk_store_meta_set(f->s, "k", "same"), 0);
	meta_through(f->path, v, sizeof(v));
	assert_string_equal(v, "same");
	snprintf(uri, sizeof(uri), "sqlite:%s", f->path);
	meta_through(uri, v, sizeof(v));
	assert_string_equal(v, "same");
	snprintf(uri, sizeof(uri), "SQLite:%s", f->path);
	meta_through(uri, v, sizeof(v));
	assert_string_equal(v, "same");
	assert_true(f->path[0] == '/');
	snprintf(uri, sizeof(uri), "sqlite://%s", f->path); /* sqlite:///tmp/... */
	meta_through(uri, v, sizeof(v));
	assert_string_equal(v, "same");

	/* the file each names, as the default key file is derived from it */
	assert_ptr_equal(sk_store_uri_file(f->path), f->path);
	assert_string_equal(sk_store_uri_file(uri), f->path);
	assert_string_equal(sk_store_uri_file("sqlite:rel/x.db"), "rel/x.db");
	assert_string_equal(sk_store_uri_file("./a:b.db"), "./a:b.db");
	assert_string_equal(sk_store_uri_file("/srv/a:b.db"), "/srv/a:b.db");
	assert_null(sk_store_uri_file("sqlite:"));
	assert_null(sk_store_uri_file("sqlite://host/x.db"));
	assert_null(sk_store_uri_file("postgresql://localhost/samtycke"));
	assert_null(sk_store_uri_file("mysql:x"));
	assert_null(sk_store_uri_file(""));
	assert_null(sk_store_uri_file(NULL));
}

/* create through a URI makes the file it names, private, and a relative sqlite:PATH is
 * relative to the working directory. A ':' after a '/' is part of a plain path. */
static void test_uri_create(void **state)
{
	struct fx *f = *state;
	struct sk_errctx err = {0};
	struct sk_store *s = NULL;
	struct stat sb;
	char cwd[512], p[192];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(f->dir), 0);
	int rc = sk_store_open("sqlite:plain", 1, &s, &err);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(rc, 0);
	sk_store_close(s);
	s = NULL;
	snprintf(p, sizeof(p), "%s/plain", f->dir);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(unlink(p), 0);

	snprintf(p, sizeof(p), "%s/a:b", f->dir);
	assert_int_equal(sk_store_open(p, 1, &s, &err), 0);
	sk_store_close(s);
	s = NULL;
	assert_int_equal(access(p, F_OK), 0);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(access("sqlite:plain", F_OK), -1); /* no file named after the URI */
}

/* What is refused: SK_ERR_USAGE, a message naming the scheme and never the rest (a server
 * URI may carry a password), no file made, *out NULL. */
static void refused(const char *uri, const char *want, const char *never)
{
	struct sk_errctx err = {0};
	struct sk_store *s = (struct sk_store *)&err; /* must come back NULL */

	assert_int_equal(sk_store_open(uri, 1, &s, &err), SK_ERR_USAGE);
	assert_null(s);
	assert_int_equal(err.code, SK_ERR_USAGE);
	if (!strstr(err.msg, want))
		fail_msg("'%s': message '%s' lacks '%s'", uri, err.msg, want);
	if (never && strstr(err.msg, never))
		fail_msg("'%s': message '%s' shows '%s'", uri, err.msg, never);
}

static void test_uri_refused(void **state)
{
	struct fx *f = *state;
	char uri[256], p[192];

	refused("mysql://app:hunter2@db.example.com/samtycke", "unknown store URI scheme 'mysql'",
		"hunter2");
	refused("Redis:6379", "unknown store URI scheme 'Redis'", "6379");
	refused("file:/tmp/x.db", "unknown store URI scheme 'file'", "/tmp/x.db");
	refused("a:b", "'a'", NULL);
	refused("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz:x",
		"'abcdefghijklmnopqrstuvwxyzabcdef...'", "ghijklmnopqrstuvwxyz:x");
	refused("", "empty", NULL);
	refused("sqlite:", "names no file", NULL);
	refused("sqlite://", "names no file", NULL);
	snprintf(uri, sizeof(uri), "sqlite://localhost%s/plain", f->dir);
	refused(uri, "takes no host", NULL);
	snprintf(p, sizeof(p), "%s/plain", f->dir);
	assert_int_equal(access(p, F_OK), -1);

	struct sk_errctx err = {0};
	struct sk_store *s = NULL;
	assert_int_equal(sk_store_open(NULL, 0, &s, &err), SK_ERR_USAGE);
	assert_null(s);
}

/* A URI as samtycke init shows it: never the password. */
static void test_uri_shown(void **state)
{
	(void)state;
	char out[256];
	static const char *const cases[][2] = {
		{"postgresql://app:hunter2@db.example.com:5432/sk", "postgresql://app:***@db.example.com:5432/sk"},
		{"postgres://app:hun@ter2@db.example.com/sk", "postgres://app:***@db.example.com/sk"},
		{"postgresql://app@db.example.com/sk?sslmode=require&password=hunter2&x=1",
		 "postgresql://app@db.example.com/sk?sslmode=require&password=***&x=1"},
		{"postgresql://db.example.com/sk?password=hunter2", "postgresql://db.example.com/sk?password=***"},
		/* libpq percent-decodes names: these are the password too */
		{"postgresql://db.example.com/sk?pass%77ord=hunter2&x=1", "postgresql://db.example.com/sk?password=***&x=1"},
		{"postgresql://db.example.com/sk?%70%61%73%73%77%6f%72%64=hunter2", "postgresql://db.example.com/sk?password=***"},
		{"postgresql://db.example.com/sk?passwords=1&passwor=2", "postgresql://db.example.com/sk?passwords=1&passwor=2"},
		{"sqlite:/srv/a:b@c.db", "sqlite:/srv/a:b@c.db"},
		{"/srv/samtycke.db", "/srv/samtycke.db"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sk_store_uri_shown(cases[i][0], out, sizeof(out));
		assert_string_equal(out, cases[i][1]);
	}
	sk_store_uri_shown("postgresql://app:hunter2@h/sk", out, 12);
	assert_null(strstr(out, "hunter2"));
	assert_int_equal(strlen(out), 11);
}

/* A PostgreSQL server that cannot be reached (a port nothing listens on, or a wrong
 * password): STORAGE, a message that says so, never the URI's password; *out NULL. */
static void test_uri_pg_unreachable(void **state)
{
	(void)state;
	struct sk_errctx err = {0};
	struct sk_store *s = (struct sk_store *)&err;
	assert_int_equal(sk_store_open("postgresql://app:hunter2@127.0.0.1:1/samtycke?connect_timeout=5",
				       0, &s, &err), SK_ERR_STORAGE);
	assert_null(s);
	assert_non_null(strstr(err.msg, "cannot connect to the PostgreSQL store"));
	assert_null(strstr(err.msg, "hunter2"));
	assert_null(strstr(err.msg, "postgresql://"));
	if (!t_pg())
		return;
	/* a wrong password to a server that checks them: the test cluster trusts loopback, so
	 * a role that does not exist stands in for it */
	char uri[256];
	snprintf(uri, sizeof(uri), "postgresql://nobody_here:hunter2@%s/postgres",
		 strstr(t_pg(), "@") + 1);
	assert_int_equal(sk_store_open(uri, 0, &s, &err), SK_ERR_STORAGE);
	assert_null(s);
	assert_non_null(strstr(err.msg, "cannot connect"));
	assert_null(strstr(err.msg, "hunter2"));
}

/* An insert that meets a taken key answers EXISTS and the write transaction goes on (core
 * relies on it: a contact that exists already is an answer, not a failure): what came
 * before and after it commits. On PostgreSQL a raised unique violation would abort the
 * whole transaction. */
static void test_exists_keeps_the_transaction(void **state)
{
	struct fx *f = *state;
	struct sk_key_rec k = {0};
	char v[8];

	add_contact(f->s, "c_exists_one", 1);
	put_key(f->s, "k_exists_one", "crm", 10, 0);
	assert_int_equal(sk_store_begin(f->s, SK_TX_WRITE), 0);
	assert_int_equal(sk_store_meta_set(f->s, "before", "1"), 0);
	struct sk_contact_rec c = {0};
	sk_strlcpy(c.id, "c_exists_two", sizeof(c.id));
	key_of(c.email_key, 1); /* the first contact's key */
	assert_int_equal(sk_store_contact_insert(f->s, &c), SK_ERR_EXISTS);
	sk_strlcpy(k.id, "k_exists_two", sizeof(k.id));
	sk_strlcpy(k.name, "crm", sizeof(k.name)); /* an active key has the name */
	sk_strlcpy(k.scopes, "read", sizeof(k.scopes));
	assert_int_equal(sk_store_key_put(f->s, &k), SK_ERR_EXISTS);
	assert_int_equal(sk_store_meta_set(f->s, "after", "2"), 0);
	assert_int_equal(sk_store_commit(f->s), 0);
	assert_int_equal(sk_store_meta_get(f->s, "before", v, sizeof(v)), 0);
	assert_int_equal(sk_store_meta_get(f->s, "after", v, sizeof(v)), 0);
	assert_string_equal(v, "2");
	assert_int_equal(sk_store_contact_by_id(f->s, "c_exists_two", &c), SK_ERR_NOT_FOUND);
}

/* PostgreSQL ends a transaction at a failed statement: its commit must then fail (the
 * server answers ROLLBACK to the COMMIT), never report the write as done. */
static void test_pg_failed_statement_fails_commit(void **state)
{
	struct fx *f = *state;
	struct sk_state_rec st;
	char v[8];

	if (!t_pg())
		skip(); /* SQLite undoes the failed statement alone and goes on */
	assert_int_equal(sk_store_begin(f->s, SK_TX_WRITE), 0);
	assert_int_equal(sk_store_meta_set(f->s, "lost", "1"), 0);
	make_state(&st, "c_no_such_contact", "newsletter", "given", 1); /* no contact: fails */
	assert_int_equal(sk_store_state_put(f->s, &st), SK_ERR_STORAGE);
	assert_int_not_equal(sk_store_commit(f->s), 0);
	assert_int_equal(sk_store_rollback(f->s), 0);
	assert_int_equal(sk_store_meta_get(f->s, "lost", v, sizeof(v)), SK_ERR_NOT_FOUND);
}

/* Ends every other connection to the store's database (a server restart, as its clients see
 * it). */
static void pg_kill_others(const char *path)
{
	assert_true(t_db_int(path, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
			     " WHERE datname = current_database() AND pid <> pg_backend_pid()") >= 1);
}

/* A connection the server ended is opened again at the next call outside a transaction (a
 * server's threads live through a database restart); inside one, the calls fail until the
 * caller rolls back, and nothing of the transaction commits. */
static void test_pg_connection_lost(void **state)
{
	struct fx *f = *state;
	char v[8];
	int rc;

	if (!t_pg())
		skip(); /* a SQLite file has no connection to lose */
	assert_int_equal(sk_store_meta_set(f->s, "a", "1"), 0);
	pg_kill_others(f->path);
	rc = sk_store_meta_get(f->s, "a", v, sizeof(v)); /* finds it gone: STORAGE, or healed */
	assert_true(rc == SK_ERR_STORAGE || rc == 0);
	assert_int_equal(sk_store_meta_get(f->s, "a", v, sizeof(v)), 0);
	assert_string_equal(v, "1");

	assert_int_equal(sk_store_begin(f->s, SK_TX_WRITE), 0);
	assert_int_equal(sk_store_meta_set(f->s, "b", "2"), 0);
	pg_kill_others(f->path);
	assert_int_equal(sk_store_meta_set(f->s, "c", "3"), SK_ERR_STORAGE);
	assert_int_equal(sk_store_meta_set(f->s, "d", "4"), SK_ERR_STORAGE); /* not alone */
	assert_int_not_equal(sk_store_commit(f->s), 0);
	assert_int_equal(sk_store_rollback(f->s), 0);
	assert_int_equal(sk_store_meta_get(f->s, "a", v, sizeof(v)), 0);
	assert_int_equal(sk_store_meta_get(f->s, "b", v, sizeof(v)), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_store_meta_get(f->s, "d", v, sizeof(v)), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_store_begin(f->s, SK_TX_WRITE), 0); /* and writes again */
	assert_int_equal(sk_store_meta_set(f->s, "e", "5"), 0);
	assert_int_equal(sk_store_commit(f->s), 0);
}

struct opener {
	const char *path;
	struct sk_store *s;
	int rc;
};

static void *open_main(void *arg)
{
	struct opener *o = arg;
	struct sk_errctx err = {0};
	o->rc = sopen(o->path, 1, &o->s, &err);
	return NULL;
}

/* Two inits of one empty database at once (two servers set up together): the schema is
 * made once, under the writer's lock; the other answers EXISTS, never a half-made store or
 * a storage error. */
static void test_pg_two_inits_at_once(void **state)
{
	struct fx *f = *state;
	struct opener o[2] = {{0}};
	pthread_t th[2];
	char p[192];

	if (!t_pg())
		skip(); /* SQLite: O_EXCL on the file (test_open_create_twice) */
	snprintf(p, sizeof(p), "%s/plain", f->dir); /* dropped by the teardown */
	for (int round = 0; round < 3; round++) {
		t_store_drop(p);
		char uri[256];
		t_store_uri(p, uri, sizeof(uri)); /* an empty database again */
		for (int i = 0; i < 2; i++) {
			o[i].path = p;
			o[i].s = NULL;
			assert_int_equal(pthread_create(&th[i], NULL, open_main, &o[i]), 0);
		}
		for (int i = 0; i < 2; i++)
			assert_int_equal(pthread_join(th[i], NULL), 0);
		if (!((o[0].rc == 0 && o[1].rc == SK_ERR_EXISTS) || (o[1].rc == 0 && o[0].rc == SK_ERR_EXISTS)))
			fail_msg("round %d: %s and %s", round, sk_err_name(o[0].rc), sk_err_name(o[1].rc));
		assert_true((o[0].rc == 0 && o[1].rc == SK_ERR_EXISTS) ||
			    (o[1].rc == 0 && o[0].rc == SK_ERR_EXISTS));
		for (int i = 0; i < 2; i++)
			sk_store_close(o[i].s);
		assert_int_equal(t_db_int(p, "SELECT count(*) FROM samtycke_schema"), 1);
	}
}

/* ---- PostgreSQL: several connections at once (contracts 3 and 4) ---- */

#define PG_WRITES 150

struct writer {
	struct sk_store *s;
	int id;
	int failed;      /* calls that did not answer 0 */
	int first_error;
};

static void writer_fail(struct writer *w, int rc)
{
	if (rc && !w->failed++)
		w->first_error = rc;
}

/* Core's write, as it runs it: begin, read the ledger head, append head + 1 chained to it,
 * append a change, commit. */
static void *writer_main(void *arg)
{
	struct writer *w = arg;
	for (int i = 0; i < PG_WRITES; i++) {
		struct sk_event_rec ev;
		struct sk_change_rec ch = {0};
		uint8_t head[SK_HASH_LEN];
		int64_t seq = 0;
		int rc = sk_store_begin(w->s, SK_TX_WRITE);
		if (rc) {
			writer_fail(w, rc);
			continue;
		}
		if ((rc = sk_store_ledger_last(w->s, &seq, head)) == 0) {
			make_event(&ev, seq + 1, w->id ? "c_writer1" : "c_writer0");
			memcpy(ev.prev_hash, head, SK_HASH_LEN);
			memset(ev.hash, 0, SK_HASH_LEN);
			memcpy(ev.hash, &ev.seq, sizeof(ev.seq));
			ev.hash[31] = (uint8_t)(w->id + 1);
			rc = sk_store_ledger_append(w->s, &ev);
		}
		sk_strlcpy(ch.type, "consent", sizeof(ch.type));
		sk_strlcpy(ch.contact_id, ev.contact_id, sizeof(ch.contact_id));
		if (rc == 0)
			rc = sk_store_change_append(w->s, &ch);
		if (rc == 0)
			rc = sk_store_commit(w->s);
		if (rc)
			(void)sk_store_rollback(w->s);
		writer_fail(w, rc);
	}
	return NULL;
}

struct chain {
	int64_t n;
	int broken;
	uint8_t prev[SK_HASH_LEN];
};

static int chain_cb(void *arg, const struct sk_event_rec *ev)
{
	struct chain *c = arg;
	c->broken += ev->seq != c->n + 1 || memcmp(ev->prev_hash, c->prev, SK_HASH_LEN) != 0;
	memcpy(c->prev, ev->hash, SK_HASH_LEN);
	c->n++;
	return 0;
}

struct poll {
	int64_t cursor;
	int gaps;
};

static int poll_cb(void *arg, const struct sk_change_rec *ch)
{
	struct poll *p = arg;
	p->gaps += ch->seq != p->cursor + 1;
	p->cursor = ch->seq;
	return 0;
}

/* Two connections writing at once, as two servers do: every write succeeds, the ledger is
 * numbered 1, 2, 3 ... and each event chains to the one before (the writer lock makes
 * ledger_last + 1 safe); meanwhile a third connection polling the change feed by cursor
 * never sees a seq before the ones below it (commit order is seq order). */
static void test_pg_concurrent_writers(void **state)
{
	struct fx *f = *state;
	struct sk_errctx err = {0};
	struct writer w[2] = {{0}};
	pthread_t th[2];
	struct sk_store *poller = NULL;
	struct poll p = {0};
	struct chain c = {0};
	int64_t last = 0;

	if (!t_pg())
		skip(); /* SQLite: test_group and the integration tests cover one file's writers */
	for (int i = 0; i < 2; i++) {
		w[i].id = i;
		assert_int_equal(sopen(f->path, 0, &w[i].s, &err), 0);
	}
	assert_int_equal(sopen(f->path, 0, &poller, &err), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
	while (p.cursor < 2 * PG_WRITES && w[0].failed + w[1].failed == 0) {
		int64_t before = p.cursor;
		assert_int_equal(sk_store_change_each(poller, p.cursor, 0, poll_cb, &p), 0);
		if (p.cursor == before)
			usleep(1000);
		if (p.cursor == before && sk_store_change_last(poller, &last) == 0 &&
		    last == 2 * PG_WRITES && p.cursor == last)
			break;
	}
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	for (int i = 0; i < 2; i++) {
		if (w[i].failed)
			fail_msg("writer %d: %d writes failed, the first with %s", i, w[i].failed,
				 sk_err_name(w[i].first_error));
		sk_store_close(w[i].s);
	}
	assert_int_equal(sk_store_change_each(poller, p.cursor, 0, poll_cb, &p), 0);
	assert_int_equal(p.gaps, 0);
	assert_int_equal(p.cursor, 2 * PG_WRITES);
	assert_int_equal(sk_store_ledger_each(poller, NULL, 0, chain_cb, &c), 0);
	assert_int_equal(c.n, 2 * PG_WRITES);
	assert_int_equal(c.broken, 0);
	sk_store_close(poller);
}

struct begin_wait {
	struct sk_store *s;
	int rc;
	double seconds;
};

static double t_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *begin_main(void *arg)
{
	struct begin_wait *b = arg;
	double t0 = t_now();
	b->rc = sk_store_begin(b->s, SK_TX_WRITE);
	b->seconds = t_now() - t0;
	return NULL;
}

/* begin waits for the writer before it (another connection): it returns once that one
 * commits; a writer that holds on past the lock timeout (5 s) makes it answer BUSY. A
 * read transaction never waits for a writer. */
static void test_pg_begin_waits_then_busy(void **state)
{
	struct fx *f = *state;
	struct sk_errctx err = {0};
	struct begin_wait b = {0};
	pthread_t th;

	if (!t_pg())
		skip(); /* SQLite's busy timeout: test_lazy_begin_fails and the writer tests */
	assert_int_equal(sopen(f->path, 0, &b.s, &err), 0);
	assert_int_equal(sk_store_begin(f->s, SK_TX_WRITE), 0);
	assert_int_equal(sk_store_meta_set(f->s, "w", "1"), 0);
	assert_int_equal(pthread_create(&th, NULL, begin_main, &b), 0);
	usleep(400 * 1000);
	assert_int_equal(sk_store_commit(f->s), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(b.rc, 0);
	assert_true(b.seconds >= 0.3);
	char v[8];
	assert_int_equal(sk_store_meta_get(b.s, "w", v, sizeof(v)), 0); /* sees the commit */
	assert_string_equal(v, "1");
	/* now b.s writes and holds on: f->s waits the lock timeout, then BUSY */
	double t0 = t_now();
	assert_int_equal(sk_store_begin(f->s, SK_TX_WRITE), SK_ERR_BUSY);
	double waited = t_now() - t0;
	assert_true(waited >= 4.5 && waited < 10);
	assert_int_equal(sk_store_rollback(f->s), 0); /* nothing open: harmless */
	assert_int_equal(sk_store_begin(f->s, SK_TX_READ), 0); /* a reader does not wait */
	assert_int_equal(sk_store_commit(f->s), 0);
	assert_int_equal(sk_store_rollback(b.s), 0);
	assert_int_equal(sk_store_begin(f->s, SK_TX_WRITE), 0); /* free again */
	assert_int_equal(sk_store_rollback(f->s), 0);
	sk_store_close(b.s);
}

/* ---- scrub (store.h, contract 6) ---- */

static int file_holds(const char *path, const char *needle)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return 0;
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf), fp), k = strlen(needle);
	fclose(fp);
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(buf + i, needle, k) == 0)
			return 1;
	return 0;
}

/* While another handle reads, scrub answers BUSY at once (not after the 5 s busy wait);
 * once it returns 0, no byte of the deleted rows is left in the database file or its WAL. */
static void test_scrub(void **state)
{
	struct fx *f = *state;
	struct sk_errctx err = {0};
	struct sk_store *reader = NULL;
	const char *id = "c_scrubscrubscrubscrubscru", *mark = "scrub-me-0x5eed-personal";
	char wal[160], v[16];
	struct stat sb;
	struct timespec t0, t1;

	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	add_contact(f->s, id, 7);
	assert_int_equal(sk_store_field_put(f->s, id, "name", (const uint8_t *)mark, strlen(mark)), 0);
	assert_int_equal(sk_store_scrub(f->s), 0);
	/* the check below can see it: on PostgreSQL, as a tuple on a page of a table */
	assert_true(t_pg() ? t_pg_tuple_has(f->path, mark, strlen(mark)) : file_holds(f->path, mark));

	assert_int_equal(sopen(f->path, 0, &reader, &err), 0);
	assert_int_equal(sk_store_begin(reader, 0), 0);
	assert_int_equal(sk_store_meta_get(reader, "unset", v, sizeof(v)), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_store_contact_delete(f->s, id), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(sk_store_scrub(f->s), SK_ERR_BUSY);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 3);
	assert_int_equal(sk_store_commit(reader), 0);
	sk_store_close(reader);

	assert_int_equal(sk_store_scrub(f->s), 0);
	if (t_pg()) { /* no tuple holds it; the WAL does until recycled (store.md) */
		assert_false(t_pg_tuple_has(f->path, mark, strlen(mark)));
		return;
	}
	assert_int_equal(stat(wal, &sb), 0);
	assert_int_equal(sb.st_size, 0);
	assert_false(file_holds(f->path, mark));
	assert_false(file_holds(wal, mark));
}

/* Issue 12: what the SQLite backend answers from memory inside a write transaction (the
 * ledger head, the gate's answer, the states of a contact made in it, the contact, its data
 * key) follows every write of the transaction, and nothing of it outlives a rollback or
 * hides another connection's commit. */
static void test_write_tx_caches(void **state)
{
	struct fx *f = *state;
	struct sk_store *s = f->s, *s2;
	struct sk_errctx err = {0};
	struct sk_event_rec ev;
	struct sk_gate_rec g;
	struct sk_state_rec st, got;
	struct sk_contact_rec c;
	uint8_t key[SK_HASH_LEN], h[SK_HASH_LEN], wrapped[72], out[128];
	int64_t seq;
	size_t n;

	key_of(key, 1);
	assert_int_equal(sk_store_begin(s, 1), 0);
	add_contact(s, "c_cache1", 1);
	assert_int_equal(sk_store_ledger_last(s, &seq, h), 0);
	assert_int_equal(seq, 0);
	make_event(&ev, 1, "c_cache1");
	assert_int_equal(sk_store_ledger_append(s, &ev), 0);
	assert_int_equal(sk_store_ledger_last(s, &seq, h), 0);
	assert_int_equal(seq, 1);
	assert_memory_equal(h, ev.hash, SK_HASH_LEN);
	/* a failed append (the seq is taken) leaves the head as it was */
	assert_int_equal(sk_store_ledger_append(s, &ev), SK_ERR_EXISTS);
	assert_int_equal(sk_store_ledger_last(s, &seq, h), 0);
	assert_int_equal(seq, 1);
	/* a contact made in this transaction has no state until one is put */
	assert_int_equal(sk_store_gate_lookup(s, key, "newsletter", &g), 0);
	assert_true(g.found);
	assert_false(g.suppressed);
	assert_false(g.has_state);
	assert_int_equal(sk_store_state_get(s, "c_cache1", "newsletter", &got), SK_ERR_NOT_FOUND);
	make_state(&st, "c_cache1", "newsletter", "given", 1);
	assert_int_equal(sk_store_state_put(s, &st), 0);
	assert_int_equal(sk_store_state_get(s, "c_cache1", "newsletter", &got), 0);
	assert_string_equal(got.status, "given");
	assert_int_equal(sk_store_state_get(s, "c_cache1", "offers", &got), SK_ERR_NOT_FOUND);
	/* the gate's answer follows the state and the suppression list */
	assert_int_equal(sk_store_gate_lookup(s, key, "newsletter", &g), 0);
	assert_true(g.has_state);
	assert_string_equal(g.state.status, "given");
	assert_int_equal(sk_store_suppression_put(s, key, "bounce", 10), 0);
	assert_int_equal(sk_store_gate_lookup(s, key, "newsletter", &g), 0);
	assert_true(g.suppressed);
	/* the data key and the contact */
	memset(wrapped, 0x5a, sizeof(wrapped));
	assert_int_equal(sk_store_datakey_put(s, "c_cache1", wrapped, sizeof(wrapped)), 0);
	assert_int_equal(sk_store_datakey_get(s, "c_cache1", out, sizeof(out), &n), 0);
	assert_int_equal(n, sizeof(wrapped));
	assert_memory_equal(out, wrapped, n);
	assert_int_equal(sk_store_datakey_get(s, "c_cache1", out, 8, &n), SK_ERR_TOO_LARGE);
	assert_int_equal(sk_store_contact_by_id(s, "c_cache1", &c), 0);
	assert_int_equal(sk_store_contact_touch(s, "c_cache1", 4242), 0);
	assert_int_equal(sk_store_contact_by_id(s, "c_cache1", &c), 0);
	assert_int_equal(c.updated_at, 4242);
	assert_int_equal(sk_store_rollback(s), 0);

	/* after the rollback nothing of it is answered */
	assert_int_equal(sk_store_begin(s, 1), 0);
	assert_int_equal(sk_store_ledger_last(s, &seq, h), 0);
	assert_int_equal(seq, 0);
	assert_int_equal(sk_store_gate_lookup(s, key, "newsletter", &g), 0);
	assert_false(g.found);
	assert_false(g.suppressed);
	assert_int_equal(sk_store_contact_by_id(s, "c_cache1", &c), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_store_datakey_get(s, "c_cache1", out, sizeof(out), &n),
			 SK_ERR_NOT_FOUND);
	add_contact(s, "c_cache2", 2);
	make_event(&ev, 1, "c_cache2");
	assert_int_equal(sk_store_ledger_append(s, &ev), 0);
	assert_int_equal(sk_store_commit(s), 0);

	/* another connection appends between two of our transactions: we see its head */
	assert_int_equal(sopen(f->path, 0, &s2, &err), 0);
	assert_int_equal(sk_store_begin(s2, 1), 0);
	make_event(&ev, 2, "c_cache2");
	assert_int_equal(sk_store_ledger_append(s2, &ev), 0);
	assert_int_equal(sk_store_commit(s2), 0);
	sk_store_close(s2);
	assert_int_equal(sk_store_begin(s, 1), 0);
	assert_int_equal(sk_store_ledger_last(s, &seq, h), 0);
	assert_int_equal(seq, 2);
	assert_memory_equal(h, ev.hash, SK_HASH_LEN);
	assert_int_equal(sk_store_rollback(s), 0);
}

/* Bulk mode: only between transactions; on twice is once; the data stays readable after
 * it, and a store closed while in it stops its checkpointer. */
static void test_bulk(void **state)
{
	struct fx *f = *state;
	struct sk_store *s = f->s;
	struct sk_contact_rec c;
	char id[32];

	assert_int_equal(sk_store_begin(s, 1), 0);
	assert_int_equal(sk_store_bulk(s, 1), SK_ERR_USAGE);
	assert_int_equal(sk_store_rollback(s), 0);
	assert_int_equal(sk_store_bulk(s, 1), 0);
	assert_int_equal(sk_store_bulk(s, 1), 0);
	for (int b = 0; b < 3; b++) {
		assert_int_equal(sk_store_begin(s, 1), 0);
		for (int i = 0; i < 80; i++) { /* key_of: at most 256 distinct keys */
			snprintf(id, sizeof(id), "c_bulk%03d", b * 80 + i);
			add_contact(s, id, b * 80 + i);
		}
		assert_int_equal(sk_store_commit(s), 0);
	}
	assert_int_equal(sk_store_bulk(s, 0), 0);
	assert_int_equal(sk_store_bulk(s, 0), 0);
	assert_int_equal(sk_store_contact_by_id(s, "c_bulk239", &c), 0);
	/* closed while in bulk mode (teardown closes it) */
	assert_int_equal(sk_store_bulk(s, 1), 0);
}

/* Whether this process maps the file path (a line of /proc/self/maps ending in it; the file
 * reports no size, so it is read line by line). */
static int maps_file(const char *path)
{
	FILE *maps = fopen("/proc/self/maps", "r");
	char *line = NULL;
	size_t cap = 0, p = strlen(path);
	ssize_t n;
	int found = 0;
	assert_non_null(maps);
	while (!found && (n = getline(&line, &cap, maps)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		found = (size_t)n >= p && strcmp(line + n - p, path) == 0;
	}
	free(line);
	fclose(maps);
	return found;
}

/* bound_memory: the handle reads without mapping the file; an ordinary handle maps it. */
static void test_bound_memory(void **state)
{
	T_SQLITE_ONLY();
	struct fx *f = *state;
	struct sk_errctx err = {0};
	struct sk_store *plain = NULL;
	struct sk_contact_rec c;

	add_contact(f->s, "c_mapped", 1);
	assert_int_equal(sk_store_scrub(f->s), 0); /* its pages into the file, read from there */
	assert_int_equal(sk_store_bound_memory(f->s), 0);
	assert_int_equal(sk_store_contact_by_id(f->s, "c_mapped", &c), 0);
	assert_false(maps_file(f->path));
	/* the positive control: a handle at the defaults maps the file it reads */
	assert_int_equal(sopen(f->path, 0, &plain, &err), 0);
	assert_int_equal(sk_store_contact_by_id(plain, "c_mapped", &c), 0);
	assert_true(maps_file(f->path));
	sk_store_close(plain);
	assert_false(maps_file(f->path));
}

/* ---- lazy write transactions: a VFS over the default one that counts xSync calls ---- */

static sqlite3_vfs *real_vfs;
static int syncs;
static struct {
	const sqlite3_io_methods *real;
	sqlite3_io_methods counting;
} io_tab[8];

static int counting_sync(sqlite3_file *f, int flags)
{
	for (size_t i = 0; i < sizeof(io_tab) / sizeof(io_tab[0]); i++)
		if (f->pMethods == &io_tab[i].counting) {
			syncs++;
			return io_tab[i].real->xSync(f, flags);
		}
	return SQLITE_IOERR;
}

/* The real xOpen fills the file; its methods table is swapped for a copy whose xSync
 * counts (one copy per distinct table the real VFS uses). */
static int counting_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
			 int *out_flags)
{
	(void)vfs;
	int rc = real_vfs->xOpen(real_vfs, name, f, flags, out_flags);
	if (rc != SQLITE_OK || !f->pMethods)
		return rc;
	for (size_t i = 0; i < sizeof(io_tab) / sizeof(io_tab[0]); i++) {
		if (!io_tab[i].real) {
			io_tab[i].real = f->pMethods;
			io_tab[i].counting = *f->pMethods;
			io_tab[i].counting.xSync = counting_sync;
		}
		if (io_tab[i].real == f->pMethods) {
			f->pMethods = &io_tab[i].counting;
			return SQLITE_OK;
		}
	}
	return SQLITE_OK; /* table full: not counted (the test then fails, not silently passes) */
}

static sqlite3_vfs counting_vfs;

/* A store on f's file whose SQLite files count their syncs (the counting VFS made the
 * default until counting_close), its WAL begun. */
static struct sk_store *counting_store(struct fx *f)
{
	struct sk_errctx err = {0};
	struct sk_store *s = NULL;
	real_vfs = sqlite3_vfs_find(NULL);
	counting_vfs = *real_vfs;
	counting_vfs.zName = "sk_counting";
	counting_vfs.xOpen = counting_open;
	assert_int_equal(sqlite3_vfs_register(&counting_vfs, 1), SQLITE_OK);
	assert_int_equal(sopen(f->path, 0, &s, &err), 0);
	assert_int_equal(sk_store_meta_set(s, "t_lazy", "0"), 0); /* the WAL is begun */
	return s;
}

static void counting_close(struct sk_store *s)
{
	sk_store_close(s);
	assert_int_equal(sqlite3_vfs_unregister(&counting_vfs), SQLITE_OK);
}

/* SK_TX_WRITE_LAZY: its commit does not sync; the next ordinary commit (after a lazy commit
 * or a lazy rollback) syncs again, as every commit did before. */
static void test_lazy_write(void **state)
{
	T_SQLITE_ONLY();
	struct sk_store *s = counting_store(*state);

	syncs = 0;
	assert_int_equal(sk_store_begin(s, SK_TX_WRITE_LAZY), 0);
	assert_int_equal(sk_store_meta_set(s, "t_lazy", "1"), 0);
	assert_int_equal(sk_store_commit(s), 0);
	assert_int_equal(syncs, 0);
	assert_int_equal(sk_store_meta_set(s, "t_lazy", "2"), 0);
	assert_true(syncs > 0);

	assert_int_equal(sk_store_begin(s, SK_TX_WRITE_LAZY), 0);
	assert_int_equal(sk_store_meta_set(s, "t_lazy", "3"), 0);
	assert_int_equal(sk_store_rollback(s), 0);
	syncs = 0;
	assert_int_equal(sk_store_meta_set(s, "t_lazy", "4"), 0);
	assert_true(syncs > 0);

	char v[8];
	assert_int_equal(sk_store_meta_get(s, "t_lazy", v, sizeof(v)), 0);
	assert_string_equal(v, "4");
	counting_close(s);
}

/* A lazy begin that fails (another writer holds the lock) leaves no lazy setting behind:
 * the next autocommit write syncs (review of issue 12). */
static void test_lazy_begin_fails(void **state)
{
	T_SQLITE_ONLY(); /* SQLite's synchronous setting */
	struct fx *f = *state;
	struct sk_store *s = counting_store(f);
	sqlite3 *other = NULL;

	assert_int_equal(sqlite3_open_v2(f->path, &other, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sk_store_begin(s, SK_TX_WRITE_LAZY), 0); /* busy */
	assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	syncs = 0;
	assert_int_equal(sk_store_meta_set(s, "t_lazy", "1"), 0); /* autocommit, ordinary */
	assert_true(syncs > 0);
	counting_close(s);
}

/* bound_memory survives a bulk mode switched on and off (a server's writer). */
static void test_bound_memory_after_bulk(void **state)
{
	struct fx *f = *state;
	struct sk_contact_rec c;

	add_contact(f->s, "c_mapped", 1);
	assert_int_equal(sk_store_scrub(f->s), 0);
	assert_int_equal(sk_store_bound_memory(f->s), 0);
	assert_int_equal(sk_store_bulk(f->s, SK_BULK_CHECKPOINT), 0);
	assert_int_equal(sk_store_bulk(f->s, SK_BULK_OFF), 0);
	assert_int_equal(sk_store_contact_by_id(f->s, "c_mapped", &c), 0);
	assert_false(maps_file(f->path));
}

/* The connections SQLite opened in this process, in order: this binary's sqlite3_open_v2
 * comes before the library's and hands every call on. */
static sqlite3 *opened[16];
static int nopened;

int sqlite3_open_v2(const char *name, sqlite3 **db, int flags, const char *vfs)
{
	static int (*real)(const char *, sqlite3 **, int, const char *);
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "sqlite3_open_v2");
	int rc = real(name, db, flags, vfs);
	if (nopened < 16)
		opened[nopened++] = *db;
	return rc;
}

/* Issue 12: a store's connection is used by one thread at a time, so it takes no
 * per-connection mutex (SQLITE_OPEN_NOMUTEX: sqlite3_db_mutex is NULL), and SQLite keeps
 * no memory statistics (no global mutex around its allocations). The bulk checkpointer's
 * own connection, shared with the thread that stops it, keeps its mutex. */
static void test_connection_nomutex(void **state)
{
	T_SQLITE_ONLY();
	struct fx *f = *state;
	struct sk_store *s;
	struct sk_errctx err = {0};

	nopened = 0;
	assert_int_equal(sopen(f->path, 0, &s, &err), 0);
	assert_int_equal(nopened, 1);
	assert_null(sqlite3_db_mutex(opened[0]));
	assert_int_equal(sk_store_bulk(s, 1), 0);
	assert_int_equal(nopened, 2);
	assert_non_null(sqlite3_db_mutex(opened[1]));
	assert_int_equal(sk_store_bulk(s, 0), 0);
	sk_store_close(s);
	assert_int_equal(sqlite3_memory_used(), 0);
}

static long long pragma_of(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The two bulk modes: both move the checkpoint off the commit path; only the import's grows
 * the page cache; off restores the cache and autocheckpoint and leaves the map as the handle
 * had it (a server's bound_memory survives its writer's bulk mode). */
static void test_bulk_modes(void **state)
{
	T_SQLITE_ONLY();
	struct fx *f = *state;
	struct sk_store *s;
	struct sk_errctx err = {0};

	nopened = 0;
	assert_int_equal(sopen(f->path, 0, &s, &err), 0);
	assert_int_equal(nopened, 1);
	sqlite3 *db = opened[0];
	assert_int_equal(sk_store_bound_memory(s), 0);
	assert_int_equal(sk_store_bulk(s, 7), SK_ERR_USAGE);

	assert_int_equal(sk_store_bulk(s, SK_BULK_CHECKPOINT), 0);
	assert_int_equal(nopened, 2); /* the checkpointer's connection */
	assert_int_equal(pragma_of(db, "PRAGMA wal_autocheckpoint"), 0);
	assert_int_equal(pragma_of(db, "PRAGMA cache_size"), -16384);
	assert_int_equal(sk_store_bulk(s, SK_BULK_OFF), 0);
	assert_int_equal(pragma_of(db, "PRAGMA wal_autocheckpoint"), 1000);
	assert_int_equal(pragma_of(db, "PRAGMA mmap_size"), 0);

	assert_int_equal(sk_store_bulk(s, SK_BULK_IMPORT), 0);
	assert_int_equal(pragma_of(db, "PRAGMA wal_autocheckpoint"), 0);
	assert_int_equal(pragma_of(db, "PRAGMA cache_size"), -131072);
	assert_int_equal(sk_store_bulk(s, SK_BULK_OFF), 0);
	assert_int_equal(pragma_of(db, "PRAGMA cache_size"), -16384);
	assert_int_equal(pragma_of(db, "PRAGMA mmap_size"), 0);
	sk_store_close(s);
}

/* ---- backup and restore (issue 17; docs/operations.md, 4) ---- */

static void test_lease_live(void **state)
{
	struct fx *f = *state;
	int64_t n = -1;
	int got;
	assert_int_equal(sk_store_lease_live(f->s, 1000, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(sk_store_lease_take(f->s, "mail", "srv1", 1000, 3000, &got), 0);
	assert_int_equal(sk_store_lease_take(f->s, "webhook:a", "srv1", 1000, 5000, &got), 0);
	assert_int_equal(sk_store_lease_live(f->s, 2000, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(sk_store_lease_live(f->s, 3000, &n), 0);
	assert_int_equal(n, 1); /* until 3000: run out at 3000 */
	assert_int_equal(sk_store_lease_live(f->s, 5000, &n), 0);
	assert_int_equal(n, 0);
}

static void test_backup_restore(void **state)
{
	struct fx *f = *state;
	struct sk_errctx err = {0};
	struct sk_store *copy = NULL, *other = NULL;
	char bak[160], junk[200], tmp[200], v[200];
	uint8_t head[SK_HASH_LEN];
	int64_t seq = -1;
	struct stat st;

	snprintf(bak, sizeof(bak), "%s/backup.db", f->dir);
	assert_int_equal(sk_store_meta_set(f->s, "x", "1"), 0);
	if (t_pg()) { /* pg_dump and pg_restore are its backup tools */
		assert_int_equal(sk_store_backup_to(f->s, bak, 1234, &seq, head), SK_ERR_USAGE);
		assert_int_equal(sk_store_restore_from(f->s, bak), SK_ERR_USAGE);
		assert_int_not_equal(access(bak, F_OK), 0);
		return;
	}
	assert_int_equal(sk_store_backup_to(f->s, bak, 1234, &seq, head), 0);
	assert_int_equal(seq, 0); /* an empty ledger */
	assert_int_equal(stat(bak, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* one self-contained file: no -wal or -journal beside it */
	snprintf(tmp, sizeof(tmp), "%s-wal", bak);
	assert_int_not_equal(access(tmp, F_OK), 0);
	assert_int_equal(sk_store_backup_to(f->s, bak, 1234, &seq, head), SK_ERR_EXISTS);

	/* the restore reads a checked copy of the backup, never the backup itself */
	snprintf(tmp, sizeof(tmp), "%s/checked.db", f->dir);
	assert_int_equal(sk_store_file_copy(bak, tmp, &err), 0);
	assert_int_equal(sk_store_file_copy(bak, tmp, &err), SK_ERR_EXISTS);
	snprintf(junk, sizeof(junk), "%s/missing.db", f->dir);
	assert_int_equal(sk_store_file_copy(junk, junk, &err), SK_ERR_IO);
	snprintf(junk, sizeof(junk), "%s/junk.db", f->dir);
	FILE *j = fopen(junk, "w");
	fputs("this is no database, just text long enough to be read as a header, or not", j);
	fclose(j);
	snprintf(v, sizeof(v), "%s/junk-copy.db", f->dir);
	assert_int_equal(sk_store_file_copy(junk, v, &err), SK_ERR_IO);
	assert_int_not_equal(access(v, F_OK), 0); /* nothing half made is left */

	/* the copy is a store, with the backup's meta rows */
	assert_int_equal(sk_store_open(tmp, 0, &copy, &err), 0);
	assert_int_equal(sk_store_meta_get(copy, "x", v, sizeof(v)), 0);
	assert_string_equal(v, "1");
	assert_int_equal(sk_store_meta_get(copy, SK_META_BACKUP_AT, v, sizeof(v)), 0);
	assert_string_equal(v, "1234");
	assert_int_equal(sk_store_meta_get(copy, SK_META_BACKUP_SEQ, v, sizeof(v)), 0);
	assert_string_equal(v, "0");
	sk_store_close(copy);
	/* the live store has none: they are written into the copy only */
	assert_int_equal(sk_store_meta_get(f->s, SK_META_BACKUP_AT, v, sizeof(v)), SK_ERR_NOT_FOUND);

	/* restore: every page replaced, seen by another connection open meanwhile */
	assert_int_equal(sopen(f->path, 0, &other, &err), 0);
	assert_int_equal(sk_store_meta_set(f->s, "y", "after"), 0);
	assert_int_equal(sk_store_restore_from(f->s, tmp), 0);
	assert_int_equal(sk_store_meta_get(other, "y", v, sizeof(v)), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_store_meta_get(other, "x", v, sizeof(v)), 0);
	assert_int_equal(sk_store_meta_get(f->s, SK_META_BACKUP_AT, v, sizeof(v)), 0);
	assert_int_equal(sk_store_meta_set(other, "z", "writes go on"), 0);
	/* a file that is no database leaves the store as it was */
	assert_int_not_equal(sk_store_restore_from(f->s, junk), 0);
	assert_int_equal(sk_store_meta_get(f->s, "z", v, sizeof(v)), 0);
	sk_store_close(other);

	/* install: refuses an existing name unless told to replace it */
	snprintf(v, sizeof(v), "%s/next.db", f->dir);
	j = fopen(v, "w");
	fclose(j);
	assert_int_equal(sk_store_file_install(tmp, v, 0, &err), SK_ERR_EXISTS);
	assert_int_equal(access(tmp, F_OK), 0);
	assert_int_equal(sk_store_file_install(tmp, v, 1, &err), 0);
	assert_int_not_equal(access(tmp, F_OK), 0);
	sk_store_file_remove(v);
	sk_store_file_remove(tmp); /* the -wal and -shm the restore's reader left */
	sk_store_file_remove(bak);
	unlink(junk);
}

/* ---- leases (several servers on one store) ---- */

static void test_lease(void **state)
{
	struct fx *f = *state;
	int got = -1;

	assert_int_equal(sk_store_lease_take(f->s, "webhook:a", "srv1", 1000, 3000, &got), 0);
	assert_int_equal(got, 1); /* free */
	assert_int_equal(sk_store_lease_take(f->s, "webhook:a", "srv2", 2000, 4000, &got), 0);
	assert_int_equal(got, 0); /* srv1's until 3000 */
	assert_int_equal(sk_store_lease_take(f->s, "webhook:b", "srv2", 2000, 4000, &got), 0);
	assert_int_equal(got, 1); /* another name is another lease */
	assert_int_equal(sk_store_lease_take(f->s, "webhook:a", "srv1", 2500, 5500, &got), 0);
	assert_int_equal(got, 1); /* its holder renews */
	assert_int_equal(sk_store_lease_take(f->s, "webhook:a", "srv2", 5499, 9000, &got), 0);
	assert_int_equal(got, 0); /* not expired yet: the renewal counts */
	assert_int_equal(sk_store_lease_take(f->s, "webhook:a", "srv2", 5500, 9000, &got), 0);
	assert_int_equal(got, 1); /* expired: taken over */
	assert_int_equal(sk_store_lease_take(f->s, "webhook:a", "srv1", 5600, 9600, &got), 0);
	assert_int_equal(got, 0); /* the old holder lost it */
	assert_int_equal(sk_store_lease_release(f->s, "webhook:a", "srv1"), 0);
	assert_int_equal(sk_store_lease_take(f->s, "webhook:a", "srv3", 5700, 9700, &got), 0);
	assert_int_equal(got, 0); /* a release by one who does not hold it frees nothing */
	assert_int_equal(sk_store_lease_release(f->s, "webhook:a", "srv2"), 0);
	assert_int_equal(sk_store_lease_take(f->s, "webhook:a", "srv3", 5700, 9700, &got), 0);
	assert_int_equal(got, 1); /* released by its holder: free at once */

	/* lease_get: who holds it and until when (shown in the webhook status) */
	char holder[SK_LEASE_HOLDER_MAX];
	int64_t until = -1;
	assert_int_equal(sk_store_lease_get(f->s, "webhook:a", holder, &until), 0);
	assert_string_equal(holder, "srv3");
	assert_int_equal(until, 9700);
	assert_int_equal(sk_store_lease_take(f->s, "webhook:a", "srv3", 6000, 12000, &got), 0);
	assert_int_equal(sk_store_lease_get(f->s, "webhook:a", holder, &until), 0);
	assert_int_equal(until, 12000); /* the renewal is seen */
	assert_int_equal(sk_store_lease_release(f->s, "webhook:a", "srv3"), 0);
	assert_int_equal(sk_store_lease_get(f->s, "webhook:a", holder, &until), SK_ERR_NOT_FOUND);
	assert_string_equal(holder, "");
	assert_int_equal(sk_store_lease_get(f->s, "nothing", holder, &until), SK_ERR_NOT_FOUND);
}

/* ---- moving rows (samtycke migrate) ---- */

struct rows_copy {
	struct sk_store *to;
	const char *table;
	long n;
};

static int rows_copy_cb(void *arg, const struct sk_value *row, int ncols)
{
	struct rows_copy *c = arg;
	assert_int_equal(ncols, sk_store_table(c->table)->ncols);
	c->n++;
	return sk_store_rows_put(c->to, c->table, row);
}


/* webhook_secret_set: a rotation replaces the sealed secret alone; the name, URL, events
 * and delivery state stay as they were; an unknown id is NOT_FOUND. */
static void test_webhook_secret_set(void **state)
{
	struct fx *f = *state;
	const uint8_t old[] = "sealed-old", new_secret[] = "sealed-new-longer";
	struct sk_webhook_rec w = {.id = "w_secretset0000000000000", .name = "crm",
				   .url = "https://crm.example.com/hook", .events = "all",
				   .secret = old, .secret_len = sizeof(old), .created_at = 100,
				   .enabled = 1, .cursor = 7, .failures = 2, .last_status = 500,
				   .last_error = "HTTP 500"};
	struct sk_webhook_rec got;

	assert_int_equal(sk_store_webhook_put(f->s, &w), 0);
	assert_int_equal(sk_store_webhook_secret_set(f->s, w.id, new_secret, sizeof(new_secret)), 0);
	assert_int_equal(sk_store_webhook_get(f->s, w.id, &got), 0);
	assert_int_equal(got.secret_len, sizeof(new_secret));
	assert_memory_equal(got.secret, new_secret, sizeof(new_secret));
	assert_string_equal(got.name, "crm");
	assert_string_equal(got.url, "https://crm.example.com/hook");
	assert_int_equal(got.enabled, 1);
	assert_int_equal(got.cursor, 7);
	assert_int_equal(got.failures, 2);
	assert_int_equal(got.last_status, 500);
	assert_string_equal(got.last_error, "HTTP 500");
	assert_int_equal(sk_store_webhook_secret_set(f->s, "w_nosuchendpoint000000000", new_secret,
						     sizeof(new_secret)),
			 SK_ERR_NOT_FOUND);
}

/* sealed_replace (key rotation): the wrapped data key, a webhook's secret and a form
 * request's payload are replaced alone; a data key read before in the same write
 * transaction is not served from a cache afterwards; an unknown id is NOT_FOUND. */
static void test_sealed_replace(void **state)
{
	struct fx *f = *state;
	const char *id = "c_sealedreplace000000000";
	const uint8_t blob[] = "wrapped-under-the-new-key", payload[] = "sealed-payload-old";
	uint8_t k1[40], out[64];
	size_t len = 0;
	struct sk_request_rec r = {.id = "r_sealedreplace000000000", .purposes = "newsletter",
				   .created_at = 10, .expires_at = 20, .payload = payload,
				   .payload_len = sizeof(payload)}, got;
	struct sk_webhook_rec w = {.id = "w_sealedreplace000000000", .name = "crm",
				   .url = "https://crm.example.com/hook", .events = "all",
				   .secret = payload, .secret_len = sizeof(payload),
				   .created_at = 100, .enabled = 1};
	struct sk_webhook_rec wg;

	memset(k1, 0x11, sizeof(k1));
	add_contact(f->s, id, 7);
	assert_int_equal(sk_store_datakey_put(f->s, id, k1, sizeof(k1)), 0);
	assert_int_equal(sk_store_request_put(f->s, &r), 0);
	assert_int_equal(sk_store_webhook_put(f->s, &w), 0);

	assert_int_equal(sk_store_begin(f->s, 1), 0);
	assert_int_equal(sk_store_datakey_get(f->s, id, out, sizeof(out), &len), 0);
	assert_int_equal(sk_store_sealed_replace(f->s, SK_SEALED_DATAKEY, id, blob, sizeof(blob)), 0);
	assert_int_equal(sk_store_datakey_get(f->s, id, out, sizeof(out), &len), 0);
	assert_int_equal(len, sizeof(blob));
	assert_memory_equal(out, blob, sizeof(blob));
	assert_int_equal(sk_store_sealed_replace(f->s, SK_SEALED_REQUEST, r.id, blob, sizeof(blob)),
			 0);
	assert_int_equal(sk_store_sealed_replace(f->s, SK_SEALED_WEBHOOK, w.id, blob, sizeof(blob)),
			 0);
	assert_int_equal(sk_store_commit(f->s), 0);

	assert_int_equal(sk_store_request_get(f->s, r.id, &got), 0);
	assert_int_equal(got.payload_len, sizeof(blob));
	assert_memory_equal(got.payload, blob, sizeof(blob));
	assert_string_equal(got.purposes, "newsletter");
	assert_int_equal(got.expires_at, 20);
	assert_int_equal(sk_store_webhook_get(f->s, w.id, &wg), 0);
	assert_memory_equal(wg.secret, blob, sizeof(blob));
	assert_string_equal(wg.url, "https://crm.example.com/hook");
	assert_int_equal(sk_store_sealed_replace(f->s, SK_SEALED_DATAKEY, "c_nosuch000000000000000000",
						 blob, sizeof(blob)), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_store_sealed_replace(f->s, SK_SEALED_REQUEST, "r_nosuch000000000000000000",
						 blob, sizeof(blob)), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_store_sealed_replace(f->s, 99, id, blob, sizeof(blob)), SK_ERR_INVALID);
}

static int visitor_seen_cb(void *arg, const struct sk_visitor_rec *v)
{
	char *out = arg;
	strcat(out, v->id);
	strcat(out, ";");
	return 0;
}

static int answer_seen_cb(void *arg, const struct sk_visitor_answer_rec *a)
{
	struct sk_visitor_answer_rec *out = arg;
	out[out[0].seq ? 1 : 0] = *a;
	return 0;
}

/* The banner's visitors (issue 16): put and get, the tie, answers in order, erasure with the
 * contact, purge of the untied and unseen only. */
static void test_visitors(void **state)
{
	struct fx *f = *state;
	struct sk_contact_rec c = {.created_at = 5, .updated_at = 6};
	struct sk_visitor_rec v = {.id = "v_one", .created_at = 10, .last_seen_at = 10}, got;
	strcpy(c.id, "c_vis");
	key_of(c.email_key, 41);
	assert_int_equal(sk_store_contact_insert(f->s, &c), 0);
	assert_int_equal(sk_store_visitor_get(f->s, "v_one", &got), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_store_visitor_put(f->s, &v), 0);
	assert_int_equal(sk_store_visitor_get(f->s, "v_one", &got), 0);
	assert_string_equal(got.contact_id, "");
	assert_int_equal(got.created_at, 10);
	/* the answers, append-only and in order */
	struct sk_visitor_answer_rec a = {.visitor_id = "v_one", .purpose = "ip_tracking",
					  .action = "give", .at = 11, .notice_version = 2,
					  .lang = "sv", .page = "https://www.example.com/a",
					  .signal = "click", .ua_class = "mobile"};
	memset(a.banner_version, 'a', SK_BANNER_VERSION_LEN);
	memset(a.notice_sha256, 0x5a, SK_HASH_LEN);
	assert_int_equal(sk_store_visitor_answer_append(f->s, &a), 0);
	int64_t first = a.seq;
	strcpy(a.action, "withdraw");
	a.at = 12;
	assert_int_equal(sk_store_visitor_answer_append(f->s, &a), 0);
	assert_true(a.seq > first);
	struct sk_visitor_answer_rec seen[2];
	memset(seen, 0, sizeof(seen));
	assert_int_equal(sk_store_visitor_answer_each(f->s, "v_one", answer_seen_cb, seen), 0);
	assert_string_equal(seen[0].action, "give");
	assert_string_equal(seen[1].action, "withdraw");
	assert_int_equal(seen[0].notice_version, 2);
	assert_memory_equal(seen[0].notice_sha256, a.notice_sha256, SK_HASH_LEN);
	assert_int_equal(strlen(seen[0].banner_version), SK_BANNER_VERSION_LEN);
	assert_string_equal(seen[0].page, "https://www.example.com/a");
	assert_string_equal(seen[0].ua_class, "mobile");
	/* the tie; the contact's visitors */
	strcpy(v.contact_id, "c_vis");
	v.last_seen_at = 20;
	assert_int_equal(sk_store_visitor_put(f->s, &v), 0);
	assert_int_equal(sk_store_visitor_get(f->s, "v_one", &got), 0);
	assert_string_equal(got.contact_id, "c_vis");
	assert_int_equal(got.created_at, 10); /* kept */
	assert_int_equal(got.last_seen_at, 20);
	char ids[128] = "";
	assert_int_equal(sk_store_visitor_each_by_contact(f->s, "c_vis", visitor_seen_cb, ids), 0);
	assert_string_equal(ids, "v_one;");
	/* purge: only the untied and unseen go */
	struct sk_visitor_rec old = {.id = "v_old", .created_at = 1, .last_seen_at = 1};
	struct sk_visitor_rec young = {.id = "v_young", .created_at = 1, .last_seen_at = 100};
	assert_int_equal(sk_store_visitor_put(f->s, &old), 0);
	assert_int_equal(sk_store_visitor_put(f->s, &young), 0);
	a.at = 1;
	strcpy(a.visitor_id, "v_old");
	assert_int_equal(sk_store_visitor_answer_append(f->s, &a), 0);
	int64_t n = -1;
	assert_int_equal(sk_store_visitor_purge(f->s, 50, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(sk_store_visitor_get(f->s, "v_old", &got), SK_ERR_NOT_FOUND);
	memset(seen, 0, sizeof(seen));
	assert_int_equal(sk_store_visitor_answer_each(f->s, "v_old", answer_seen_cb, seen), 0);
	assert_int_equal(seen[0].seq, 0); /* its answers went with it */
	assert_int_equal(sk_store_visitor_get(f->s, "v_young", &got), 0);
	assert_int_equal(sk_store_visitor_get(f->s, "v_one", &got), 0); /* tied: stays */
	/* erasure of the contact takes its visitors and their answers */
	assert_int_equal(sk_store_contact_delete(f->s, "c_vis"), 0);
	assert_int_equal(sk_store_visitor_get(f->s, "v_one", &got), SK_ERR_NOT_FOUND);
	memset(seen, 0, sizeof(seen));
	assert_int_equal(sk_store_visitor_answer_each(f->s, "v_one", answer_seen_cb, seen), 0);
	assert_int_equal(seen[0].seq, 0);
}

static void test_rows_copy(void **state)
{
	struct fx *f = *state;
	struct sk_errctx err = {0};
	struct sk_contact_rec c = {.created_at = 5, .updated_at = 6};
	struct sk_event_rec ev = {.seq = 1, .occurred_at = 7, .recorded_at = 8, .notice_version = 1,
				  .valid_until = 0, .flags = 3};
	struct sk_store *to;
	char path[160];

	/* a row in the tables with each kind of value: text, integer, blob, NULL, empty blob */
	strcpy(c.id, "c1");
	key_of(c.email_key, 1);
	assert_int_equal(sk_store_contact_insert(f->s, &c), 0);
	assert_int_equal(sk_store_field_put(f->s, "c1", "email", (const uint8_t *)"\0sealed\xff", 8), 0);
	assert_int_equal(sk_store_field_put(f->s, "c1", "empty", (const uint8_t *)"", 0), 0);
	strcpy(ev.id, "e1");
	strcpy(ev.contact_id, "c1");
	strcpy(ev.purpose, "newsletter");
	strcpy(ev.action, "give");
	strcpy(ev.method, "api");
	strcpy(ev.source, "s\xc3\xa5");
	strcpy(ev.lang, "sv");
	strcpy(ev.actor, "t");
	memset(ev.hash, 0xab, SK_HASH_LEN);
	assert_int_equal(sk_store_ledger_append(f->s, &ev), 0); /* evidence NULL */
	assert_int_equal(sk_store_meta_set(f->s, "k", "v"), 0);
	int got;
	assert_int_equal(sk_store_lease_take(f->s, "mail", "srv1", 1, 2, &got), 0);
	/* a tied visitor (contact_id text) and an untied one (NULL), with an answer */
	struct sk_visitor_rec vr = {.id = "v_tied", .contact_id = "c1", .created_at = 1,
				    .last_seen_at = 2};
	assert_int_equal(sk_store_visitor_put(f->s, &vr), 0);
	struct sk_visitor_rec vu = {.id = "v_untied", .created_at = 3, .last_seen_at = 4};
	assert_int_equal(sk_store_visitor_put(f->s, &vu), 0);
	struct sk_visitor_answer_rec va = {.visitor_id = "v_untied", .purpose = "ip_tracking",
					   .action = "give", .at = 5, .notice_version = 1,
					   .lang = "en", .signal = "click", .ua_class = "desktop"};
	assert_int_equal(sk_store_visitor_answer_append(f->s, &va), 0);

	snprintf(path, sizeof(path), "%s/copy", f->dir);
	assert_int_equal(sopen(path, 1, &to, &err), 0);
	assert_int_equal(sk_store_begin(to, SK_TX_WRITE), 0);
	long rows = 0;
	for (int t = 0; t < sk_store_ntables; t++) {
		struct rows_copy cp = {.to = to, .table = sk_store_tables[t].name};
		assert_int_equal(sk_store_rows_each(f->s, cp.table, rows_copy_cb, &cp), 0);
		rows += cp.n;
	}
	assert_int_equal(sk_store_commit(to), 0);
	assert_true(rows >= 5);

	char *a = t_rows_dump(f->s), *b = t_rows_dump(to);
	assert_string_equal(a, b); /* every value of every row, its type included */
	assert_non_null(strstr(a, "|3:00736561")); /* the blob with a NUL byte came whole */
	assert_non_null(strstr(a, "|3:\n")); /* the empty field's blob is a blob, not NULL */
	sk_free(a);
	sk_free(b);

	/* a taken key: EXISTS, and nothing else changes */
	struct rows_copy again = {.to = to, .table = "contacts"};
	assert_int_equal(sk_store_rows_each(f->s, "contacts", rows_copy_cb, &again), SK_ERR_EXISTS);
	/* a name that is not one of the tables: refused, never put into SQL */
	assert_int_equal(sk_store_rows_each(f->s, "contacts; DROP TABLE meta", rows_copy_cb, &again),
			 SK_ERR_USAGE);
	assert_int_equal(sk_store_rows_each(f->s, "leases", rows_copy_cb, &again), SK_ERR_USAGE);
	assert_int_equal(sk_store_rows_put(to, "nope", NULL), SK_ERR_USAGE);
	sk_store_close(to);
	char p[512];
	snprintf(p, sizeof(p), "rm -f '%s' '%s-wal' '%s-shm'", path, path, path);
	assert_int_equal(system(p), 0);
}

/* ---- the staff console: users, sessions, the audit trail (migration 9) ---- */

struct staff_seen {
	int n;
	char names[4][64];
};

static int staff_cb(void *arg, const struct sk_staff_rec *u)
{
	struct staff_seen *ss = arg;
	if (ss->n < 4)
		sk_strlcpy(ss->names[ss->n], u->name, sizeof(ss->names[0]));
	ss->n++;
	return 0;
}

static void test_staff_users(void **state)
{
	struct sk_store *s = ((struct fx *)*state)->s;
	struct sk_staff_rec u = {.created_at = 10}, got;
	struct staff_seen seen = {0};

	strcpy(u.name, "zoe");
	strcpy(u.role, "dpo");
	strcpy(u.hash, "$argon2id$v=19$m=65536,t=2,p=1$x$y");
	assert_int_equal(sk_store_staff_put(s, &u), 0);
	assert_int_equal(sk_store_staff_put(s, &u), SK_ERR_EXISTS); /* a taken name */
	strcpy(u.name, "adam");
	strcpy(u.role, "viewer");
	assert_int_equal(sk_store_staff_put(s, &u), 0);
	assert_int_equal(sk_store_staff_get(s, "zoe", &got), 0);
	assert_string_equal(got.role, "dpo");
	assert_string_equal(got.hash, "$argon2id$v=19$m=65536,t=2,p=1$x$y");
	assert_int_equal(got.created_at, 10);
	assert_int_equal(got.disabled, 0);
	assert_int_equal(sk_store_staff_get(s, "nobody", &got), SK_ERR_NOT_FOUND);

	got.failed = 4;
	got.locked_until = 99;
	got.disabled = 1;
	strcpy(got.hash, "new");
	assert_int_equal(sk_store_staff_update(s, &got), 0);
	assert_int_equal(sk_store_staff_get(s, "zoe", &got), 0);
	assert_int_equal(got.failed, 4);
	assert_int_equal(got.locked_until, 99);
	assert_int_equal(got.disabled, 1);
	assert_string_equal(got.hash, "new");
	assert_int_equal(got.created_at, 10); /* not written by update */
	strcpy(got.name, "nobody");
	assert_int_equal(sk_store_staff_update(s, &got), SK_ERR_NOT_FOUND);

	assert_int_equal(sk_store_staff_each(s, staff_cb, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.names[0], "adam"); /* by name */
	assert_string_equal(seen.names[1], "zoe");
}

static void test_staff_sessions(void **state)
{
	struct sk_store *s = ((struct fx *)*state)->s;
	struct sk_session_rec ss = {.created_at = 100, .last_seen = 100, .expires_at = 200}, got;

	strcpy(ss.id, "s_aaaaaaaaaaaaaaaaaaaaaaaa");
	memset(ss.secret_hash, 0x5a, SK_HASH_LEN);
	strcpy(ss.staff, "zoe");
	strcpy(ss.who, "zoe");
	strcpy(ss.role, "dpo");
	assert_int_equal(sk_store_session_put(s, &ss), 0);
	strcpy(ss.id, "s_bbbbbbbbbbbbbbbbbbbbbbbb");
	ss.staff[0] = '\0';
	strcpy(ss.key_id, "k_cccccccccccccccccccccccc");
	strcpy(ss.who, "key:mailer");
	ss.expires_at = 300;
	assert_int_equal(sk_store_session_put(s, &ss), 0);

	assert_int_equal(sk_store_session_get(s, "s_aaaaaaaaaaaaaaaaaaaaaaaa", &got), 0);
	assert_string_equal(got.staff, "zoe");
	assert_string_equal(got.key_id, "");
	assert_string_equal(got.role, "dpo");
	uint8_t h[SK_HASH_LEN];
	memset(h, 0x5a, sizeof(h));
	assert_memory_equal(got.secret_hash, h, SK_HASH_LEN);
	assert_int_equal(got.expires_at, 200);
	assert_int_equal(sk_store_session_touch(s, "s_aaaaaaaaaaaaaaaaaaaaaaaa", 150), 0);
	assert_int_equal(sk_store_session_get(s, "s_aaaaaaaaaaaaaaaaaaaaaaaa", &got), 0);
	assert_int_equal(got.last_seen, 150);
	assert_int_equal(sk_store_session_get(s, "s_bbbbbbbbbbbbbbbbbbbbbbbb", &got), 0);
	assert_string_equal(got.key_id, "k_cccccccccccccccccccccccc");
	assert_string_equal(got.who, "key:mailer");

	/* purge: only the ended ones */
	assert_int_equal(sk_store_session_purge(s, 200), 0);
	assert_int_equal(sk_store_session_get(s, "s_aaaaaaaaaaaaaaaaaaaaaaaa", &got), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_store_session_get(s, "s_bbbbbbbbbbbbbbbbbbbbbbbb", &got), 0);
	assert_int_equal(sk_store_session_delete(s, "s_bbbbbbbbbbbbbbbbbbbbbbbb"), 0);
	assert_int_equal(sk_store_session_delete(s, "s_bbbbbbbbbbbbbbbbbbbbbbbb"), 0);
	assert_int_equal(sk_store_session_get(s, "s_bbbbbbbbbbbbbbbbbbbbbbbb", &got), SK_ERR_NOT_FOUND);

	/* delete_staff: every session of that user, not another user's nor a key's */
	ss.expires_at = 900;
	strcpy(ss.key_id, "");
	strcpy(ss.staff, "zoe");
	strcpy(ss.id, "s_dddddddddddddddddddddddd");
	assert_int_equal(sk_store_session_put(s, &ss), 0);
	strcpy(ss.id, "s_eeeeeeeeeeeeeeeeeeeeeeee");
	assert_int_equal(sk_store_session_put(s, &ss), 0);
	strcpy(ss.staff, "Zoe");
	strcpy(ss.id, "s_ffffffffffffffffffffffff");
	assert_int_equal(sk_store_session_put(s, &ss), 0);
	strcpy(ss.staff, "");
	strcpy(ss.key_id, "k_cccccccccccccccccccccccc");
	strcpy(ss.id, "s_gggggggggggggggggggggggg");
	assert_int_equal(sk_store_session_put(s, &ss), 0);
	assert_int_equal(sk_store_session_delete_staff(s, "zoe"), 0);
	assert_int_equal(sk_store_session_get(s, "s_dddddddddddddddddddddddd", &got), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_store_session_get(s, "s_eeeeeeeeeeeeeeeeeeeeeeee", &got), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_store_session_get(s, "s_ffffffffffffffffffffffff", &got), 0);
	assert_int_equal(sk_store_session_delete_staff(s, ""), 0); /* never a key's */
	assert_int_equal(sk_store_session_get(s, "s_gggggggggggggggggggggggg", &got), 0);
	assert_int_equal(sk_store_session_delete_staff(s, "zoe"), 0); /* none left: still 0 */
}

struct audit_seen {
	int n;
	int64_t seq[8];
	char action[8][48];
};

static int audit_cb(void *arg, const struct sk_staff_audit_rec *a)
{
	struct audit_seen *as = arg;
	if (as->n < 8) {
		as->seq[as->n] = a->seq;
		sk_strlcpy(as->action[as->n], a->action, sizeof(as->action[0]));
	}
	as->n++;
	return 0;
}

static void test_staff_audit(void **state)
{
	struct sk_store *s = ((struct fx *)*state)->s;
	struct audit_seen seen = {0};

	assert_int_equal(sk_store_staff_audit_each(s, 0, 0, audit_cb, &seen), 0);
	assert_int_equal(seen.n, 0);
	assert_int_equal(sk_store_begin(s, SK_TX_WRITE), 0);
	for (int i = 1; i <= 5; i++) {
		struct sk_staff_audit_rec a = {.at = 1000 + i};
		strcpy(a.who, "zoe");
		strcpy(a.role, "dpo");
		snprintf(a.action, sizeof(a.action), "act%d", i);
		strcpy(a.target, "c_x");
		strcpy(a.detail, "d\xc3\xa5");
		assert_int_equal(sk_store_staff_audit_append(s, &a), 0);
		assert_int_equal(a.seq, i); /* 1, 2, 3 ...: set by append */
	}
	assert_int_equal(sk_store_commit(s), 0);

	/* newest first, all of it */
	assert_int_equal(sk_store_staff_audit_each(s, 0, 0, audit_cb, &seen), 0);
	assert_int_equal(seen.n, 5);
	assert_int_equal(seen.seq[0], 5);
	assert_string_equal(seen.action[0], "act5");
	assert_int_equal(seen.seq[4], 1);
	/* a page: before 4, at most 2 */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(sk_store_staff_audit_each(s, 4, 2, audit_cb, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.seq[0], 3);
	assert_int_equal(seen.seq[1], 2);
}

/* ---- the console's overview: aggregates ---- */

struct tallies {
	int n;
	char row[16][128];
};

static int tally_cb(void *arg, const struct sk_tally_rec *t)
{
	struct tallies *ts = arg;
	assert_true(ts->n < 16);
	snprintf(ts->row[ts->n++], sizeof(ts->row[0]), "%s/%s/%lld/%lld/%lld/%lld", t->a, t->b,
		 (long long)t->x, (long long)t->y, (long long)t->min, (long long)t->count);
	return 0;
}

/* The overview's four aggregates: states by purpose, status, lapsed at now and suppressed;
 * ledger events by action, week and flags since a time; suppressions by reason; the outbox
 * by sent and given up with its oldest. Counts in groups, in the documented order. */
static void test_tallies(void **state)
{
	struct sk_store *s = ((struct fx *)*state)->s;
	const char *ids[4] = {"c_aaaaaaaaaaaaaaaaaaaaaaaa", "c_bbbbbbbbbbbbbbbbbbbbbbbb",
			      "c_cccccccccccccccccccccccc", "c_dddddddddddddddddddddddd"};
	struct sk_state_rec st;
	struct tallies t = {0};
	uint8_t key[SK_HASH_LEN];

	/* empty: no group at all */
	assert_int_equal(sk_store_state_tally(s, 1000, tally_cb, &t), 0);
	assert_int_equal(sk_store_ledger_tally(s, 0, 100, tally_cb, &t), 0);
	assert_int_equal(sk_store_suppression_tally(s, tally_cb, &t), 0);
	assert_int_equal(sk_store_outbox_tally(s, tally_cb, &t), 0);
	assert_int_equal(t.n, 0);

	for (int i = 0; i < 4; i++)
		add_contact(s, ids[i], i + 1);
	/* newsletter: a and b given (a's valid_until passed at 1000, b's not), c given with no
	 * limit but suppressed, d withdrawn; offers: a refused */
	make_state(&st, ids[0], "newsletter", "given", 1);
	st.valid_until = 1000;
	assert_int_equal(sk_store_state_put(s, &st), 0);
	make_state(&st, ids[1], "newsletter", "given", 2);
	st.valid_until = 1001;
	assert_int_equal(sk_store_state_put(s, &st), 0);
	make_state(&st, ids[2], "newsletter", "given", 3);
	st.valid_until = 0;
	assert_int_equal(sk_store_state_put(s, &st), 0);
	make_state(&st, ids[3], "newsletter", "withdrawn", 4);
	assert_int_equal(sk_store_state_put(s, &st), 0);
	make_state(&st, ids[0], "offers", "refused", 5);
	assert_int_equal(sk_store_state_put(s, &st), 0);
	key_of(key, 3);
	assert_int_equal(sk_store_suppression_put(s, key, "opted_out", 50), 0);
	key_of(key, 9); /* no contact: counted among suppressions only */
	assert_int_equal(sk_store_suppression_put(s, key, "bounced", 51), 0);
	key_of(key, 10);
	assert_int_equal(sk_store_suppression_put(s, key, "opted_out", 52), 0);

	assert_int_equal(sk_store_state_tally(s, 1000, tally_cb, &t), 0);
	assert_int_equal(t.n, 5);
	assert_string_equal(t.row[0], "newsletter/given/0/0/0/1"); /* b: 1001 > now */
	assert_string_equal(t.row[1], "newsletter/given/0/1/0/1"); /* c: no limit, suppressed */
	assert_string_equal(t.row[2], "newsletter/given/1/0/0/1"); /* a: 1000 <= now */
	assert_string_equal(t.row[3], "newsletter/withdrawn/1/0/0/1"); /* make_state's 504 */
	assert_string_equal(t.row[4], "offers/refused/1/0/0/1");
	t.n = 0;
	assert_int_equal(sk_store_state_tally(s, 100, tally_cb, &t), 0); /* a moved clock */
	assert_int_equal(t.n, 4);
	assert_string_equal(t.row[0], "newsletter/given/0/0/0/2"); /* a and b both still valid */
	assert_string_equal(t.row[2], "newsletter/withdrawn/0/0/0/1");
	assert_string_equal(t.row[3], "offers/refused/0/0/0/1");

	/* the ledger: weeks of width 100 from 1000; before since is left out */
	struct sk_event_rec ev;
	int64_t at[] = {999, 1000, 1050, 1099, 1100, 1350};
	const char *act[] = {"give", "give", "give", "withdraw", "give", "confirm"};
	int flags[] = {0, 0, 2, 0, 0, 0};
	for (int i = 0; i < 6; i++) {
		make_event(&ev, i + 1, ids[0]);
		ev.occurred_at = at[i];
		sk_strlcpy(ev.action, act[i], sizeof(ev.action));
		ev.flags = flags[i];
		assert_int_equal(sk_store_ledger_append(s, &ev), 0);
	}
	t.n = 0;
	assert_int_equal(sk_store_ledger_tally(s, 1000, 100, tally_cb, &t), 0);
	assert_int_equal(t.n, 5);
	assert_string_equal(t.row[0], "confirm//3/0/0/1");
	assert_string_equal(t.row[1], "give//0/0/0/1");
	assert_string_equal(t.row[2], "give//0/2/0/1"); /* flags kept apart */
	assert_string_equal(t.row[3], "give//1/0/0/1");
	assert_string_equal(t.row[4], "withdraw//0/0/0/1");
	assert_int_equal(sk_store_ledger_tally(s, 1000, 0, tally_cb, &t), SK_ERR_USAGE);

	t.n = 0;
	assert_int_equal(sk_store_suppression_tally(s, tally_cb, &t), 0);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.row[0], "bounced//0/0/0/1");
	assert_string_equal(t.row[1], "opted_out//0/0/0/2");

	/* the outbox: two waiting (oldest 300), one sent, one given up */
	struct sk_outbox_rec m;
	int64_t created[] = {400, 300, 200, 100};
	for (int i = 0; i < 4; i++) {
		memset(&m, 0, sizeof(m));
		snprintf(m.id, sizeof(m.id), "m_%024d", i);
		key_of(m.email_key, i + 1);
		sk_strlcpy(m.kind, "confirm", sizeof(m.kind));
		sk_strlcpy(m.ref, "r_x", sizeof(m.ref));
		m.created_at = m.next_attempt_at = created[i];
		m.sent_at = i == 2 ? 250 : 0;
		m.failed_at = i == 3 ? 150 : 0;
		assert_int_equal(sk_store_outbox_put(s, &m), 0);
		assert_int_equal(sk_store_outbox_state(s, &m), 0);
	}
	t.n = 0;
	assert_int_equal(sk_store_outbox_tally(s, tally_cb, &t), 0);
	assert_int_equal(t.n, 3);
	assert_string_equal(t.row[0], "//0/0/300/2");
	assert_string_equal(t.row[1], "//0/1/100/1");
	assert_string_equal(t.row[2], "//1/0/200/1");
}

/* ---- tracking and lead scoring (issue 16, helper track; SQLite 11, PostgreSQL 4) ---- */

struct track_seen {
	int n;
	struct sk_track_rec e[4];
};

static int track_cb(void *arg, const struct sk_track_rec *e)
{
	struct track_seen *ts = arg;
	assert_true(ts->n < 4);
	ts->e[ts->n++] = *e;
	return 0;
}

static void track_ev(struct sk_store *s, const char *id, int64_t at, const char *contact,
		     const char *visitor, const char *ip)
{
	struct sk_track_rec *e = calloc(1, sizeof(*e));
	assert_non_null(e);
	sk_strlcpy(e->id, id, sizeof(e->id));
	e->at = at;
	sk_strlcpy(e->type, "page_view", sizeof(e->type));
	sk_strlcpy(e->url, "https://www.example.com/pricing", sizeof(e->url));
	sk_strlcpy(e->utm[SK_UTM_SOURCE], "news", sizeof(e->utm[0]));
	sk_strlcpy(e->utm[SK_UTM_CONTENT], "b\xc3\xa5t", sizeof(e->utm[0]));
	sk_strlcpy(e->contact_id, contact, sizeof(e->contact_id));
	sk_strlcpy(e->visitor_id, visitor, sizeof(e->visitor_id));
	sk_strlcpy(e->ip, ip, sizeof(e->ip));
	sk_strlcpy(e->company, contact[0] ? "Example AB" : "", sizeof(e->company));
	assert_int_equal(sk_store_track_put(s, e), 0);
	free(e);
}

struct score_seen {
	size_t n;
	char id[4][SK_ID_LEN + 1];
	int64_t score[4];
};

static int score_cb(void *arg, const struct sk_score_rec *r)
{
	struct score_seen *ss = arg;
	if (ss->n < 4) {
		sk_strlcpy(ss->id[ss->n], r->contact_id, sizeof(ss->id[0]));
		ss->score[ss->n] = r->score;
	}
	ss->n++;
	return 0;
}

static void test_track_events(void **state)
{
	struct sk_store *s = ((struct fx *)*state)->s;
	struct track_seen *ts = calloc(1, sizeof(*ts));
	long n = -1;
	assert_non_null(ts);
	add_contact(s, "c_track1", 1);
	add_contact(s, "c_track2", 2);
	track_ev(s, "t_2", 200, "c_track1", "v_one", "192.0.2.7");
	track_ev(s, "t_1", 100, "c_track1", "v_one", "2001:db8::1");
	track_ev(s, "t_3", 300, "", "v_one", "198.51.100.0");
	track_ev(s, "t_4", 400, "c_track2", "", "");
	assert_int_equal(sk_store_track_each(s, "c_track1", NULL, track_cb, ts), 0);
	assert_int_equal(ts->n, 2); /* attached only, in time order */
	assert_string_equal(ts->e[0].id, "t_1");
	assert_string_equal(ts->e[1].id, "t_2");
	assert_string_equal(ts->e[1].url, "https://www.example.com/pricing");
	assert_string_equal(ts->e[1].utm[SK_UTM_CONTENT], "b\xc3\xa5t");
	assert_string_equal(ts->e[1].ip, "192.0.2.7");
	assert_string_equal(ts->e[1].company, "Example AB");
	memset(ts, 0, sizeof(*ts));
	assert_int_equal(sk_store_track_each(s, NULL, "v_one", track_cb, ts), 0);
	assert_int_equal(ts->n, 3); /* the visitor's, attached or not */
	assert_string_equal(ts->e[2].contact_id, ""); /* none stored: "" back */
	memset(ts, 0, sizeof(*ts));
	assert_int_equal(sk_store_track_each(s, NULL, "", track_cb, ts), 0);
	assert_int_equal(ts->n, 0); /* no visitor id matches nothing */

	/* the address rewritten (ip_tracking withdrawn) */
	assert_int_equal(sk_store_track_ip_set(s, "t_2", "192.0.2.0", ""), 0);
	memset(ts, 0, sizeof(*ts));
	assert_int_equal(sk_store_track_each(s, "c_track1", NULL, track_cb, ts), 0);
	assert_string_equal(ts->e[1].ip, "192.0.2.0");
	assert_string_equal(ts->e[1].company, "");

	/* the score: put replaces, get NOT_FOUND when none */
	struct sk_score_rec sc = {.score = 12, .computed_at = 300, .nevents = 2, .last_at = 200},
			    got;
	sk_strlcpy(sc.contact_id, "c_track1", sizeof(sc.contact_id));
	assert_int_equal(sk_store_score_get(s, "c_track1", &got), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_store_score_put(s, &sc), 0);
	sc.score = 15;
	assert_int_equal(sk_store_score_put(s, &sc), 0);
	assert_int_equal(sk_store_score_get(s, "c_track1", &got), 0);
	assert_int_equal(got.score, 15);
	assert_int_equal(got.computed_at, 300);
	assert_int_equal(got.nevents, 2);
	assert_int_equal(got.last_at, 200);
	sk_strlcpy(sc.contact_id, "c_track2", sizeof(sc.contact_id));
	assert_int_equal(sk_store_score_put(s, &sc), 0);

	/* the purge's consent sweep: every score; every event with an address or attached */
	struct score_seen ss = {0};
	assert_int_equal(sk_store_score_each(s, score_cb, &ss), 0);
	assert_int_equal(ss.n, 2);
	assert_string_equal(ss.id[0], "c_track1");
	assert_string_equal(ss.id[1], "c_track2");
	assert_int_equal(ss.score[0], 15);
	track_ev(s, "t_6", 450, "", "v_bare", ""); /* neither: not swept */
	memset(ts, 0, sizeof(*ts));
	assert_int_equal(sk_store_track_sweep_each(s, track_cb, ts), 0);
	assert_int_equal(ts->n, 4);
	assert_string_equal(ts->e[0].id, "t_1");
	assert_string_equal(ts->e[2].id, "t_3");
	assert_string_equal(ts->e[3].id, "t_4"); /* attached, without an address */

	/* the per-visitor count since a time: v_one has t_1 (100), t_2 (200), t_3 (300) */
	int64_t cnt = -1;
	assert_int_equal(sk_store_track_count_visitor(s, "v_one", 150, &cnt), 0);
	assert_int_equal(cnt, 2);
	assert_int_equal(sk_store_track_count_visitor(s, "v_one", 0, &cnt), 0);
	assert_int_equal(cnt, 3);
	assert_int_equal(sk_store_track_count_visitor(s, "v_none", 0, &cnt), 0);
	assert_int_equal(cnt, 0);

	/* forget: the contact's attached events and score, nobody else's */
	assert_int_equal(sk_store_track_forget(s, "c_track1"), 0);
	assert_int_equal(sk_store_score_get(s, "c_track1", &got), SK_ERR_NOT_FOUND);
	memset(ts, 0, sizeof(*ts));
	assert_int_equal(sk_store_track_each(s, NULL, "v_one", track_cb, ts), 0);
	assert_int_equal(ts->n, 1);
	assert_string_equal(ts->e[0].id, "t_3");
	assert_int_equal(sk_store_score_get(s, "c_track2", &got), 0);

	/* the erasure takes the contact's events and score with it */
	assert_int_equal(sk_store_contact_delete(s, "c_track2"), 0);
	assert_int_equal(sk_store_score_get(s, "c_track2", &got), SK_ERR_NOT_FOUND);
	memset(ts, 0, sizeof(*ts));
	assert_int_equal(sk_store_track_each(s, "c_track2", NULL, track_cb, ts), 0);
	assert_int_equal(ts->n, 0);

	/* retention: before a time, and how many went */
	track_ev(s, "t_5", 500, "", "v_two", "");
	assert_int_equal(sk_store_track_purge(s, 400, &n), 0);
	assert_int_equal(n, 1); /* t_3 */
	memset(ts, 0, sizeof(*ts));
	assert_int_equal(sk_store_track_each(s, NULL, "v_two", track_cb, ts), 0);
	assert_int_equal(ts->n, 1);
	free(ts);
}

static void ipkey(uint8_t k[SK_IPKEY_LEN], uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	memset(k, 0, SK_IPKEY_LEN);
	k[10] = k[11] = 0xff;
	k[12] = a, k[13] = b, k[14] = c, k[15] = d;
}

/* db_size (GET /metrics): the database's size in bytes, which grows as rows are written;
 * on SQLite the main file's pages (page_count * page_size) once checkpointed. */
static void test_db_size(void **state)
{
	struct fx *f = *state;
	struct sk_store *s = f->s;
	int64_t before = -1, after = -1;
	assert_int_equal(sk_store_db_size(s, &before), 0);
	assert_true(before > 0);
	assert_int_equal(sk_store_begin(s, 1), 0);
	for (int i = 0; i < 3000; i++) {
		struct sk_contact_rec c = {0};
		snprintf(c.id, sizeof(c.id), "c_size%06d", i);
		memset(c.email_key, 0x5a, SK_HASH_LEN);
		c.email_key[0] = (uint8_t)(i >> 8);
		c.email_key[1] = (uint8_t)i;
		c.created_at = c.updated_at = 1000;
		assert_int_equal(sk_store_contact_insert(s, &c), 0);
	}
	assert_int_equal(sk_store_commit(s), 0);
	assert_int_equal(sk_store_db_size(s, &after), 0);
	assert_true(after > before);
	if (!t_pg()) {
		struct stat sb;
		sk_store_close(f->s);
		f->s = NULL;
		assert_int_equal(stat(f->path, &sb), 0); /* closed: the WAL is in the file */
		assert_int_equal((int64_t)sb.st_size, after);
		assert_int_equal(sopen(f->path, 0, &f->s, &(struct sk_errctx){0}), 0);
	}
}

static void test_company_ranges(void **state)
{
	struct sk_store *s = ((struct fx *)*state)->s;
	uint8_t lo[SK_IPKEY_LEN], hi[SK_IPKEY_LEN], at[SK_IPKEY_LEN];
	char name[SK_COMPANY_MAX + 1];
	ipkey(lo, 10, 0, 0, 0), ipkey(hi, 10, 255, 255, 255);
	assert_int_equal(sk_store_company_put(s, lo, hi, "Wide AB"), 0);
	ipkey(lo, 10, 1, 0, 0), ipkey(hi, 10, 1, 0, 255);
	assert_int_equal(sk_store_company_put(s, lo, hi, "Narrow AB"), 0);
	/* 200.x sorts after 10.x bytewise as numerically: not "inside" 10/8 by text order */
	ipkey(lo, 192, 0, 2, 0), ipkey(hi, 192, 0, 2, 255);
	assert_int_equal(sk_store_company_put(s, lo, hi, "Doc AB"), 0);
	ipkey(at, 10, 1, 0, 200);
	assert_int_equal(sk_store_company_find(s, at, name, sizeof(name)), 0);
	assert_string_equal(name, "Narrow AB"); /* the narrowest holding it */
	ipkey(at, 10, 2, 0, 1);
	assert_int_equal(sk_store_company_find(s, at, name, sizeof(name)), 0);
	assert_string_equal(name, "Wide AB");
	ipkey(at, 192, 0, 2, 255);
	assert_int_equal(sk_store_company_find(s, at, name, sizeof(name)), 0);
	assert_string_equal(name, "Doc AB");
	ipkey(at, 192, 0, 3, 0);
	assert_int_equal(sk_store_company_find(s, at, name, sizeof(name)), SK_ERR_NOT_FOUND);
	ipkey(at, 9, 255, 255, 255);
	assert_int_equal(sk_store_company_find(s, at, name, sizeof(name)), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_store_company_clear(s), 0);
	ipkey(at, 10, 1, 0, 200);
	assert_int_equal(sk_store_company_find(s, at, name, sizeof(name)), SK_ERR_NOT_FOUND);
}

/* ---- campaigns (issue 16) ---- */

static int campaign_seen(void *arg, const struct sk_campaign_rec *c)
{
	struct tallies *ts = arg;
	snprintf(ts->row[ts->n++], sizeof(ts->row[0]), "%s/%.40s/%s/%s", c->id, c->name, c->status,
		 c->spec ? "spec" : "-");
	return 0;
}

static int send_seen(void *arg, const struct sk_send_rec *r)
{
	struct tallies *ts = arg;
	snprintf(ts->row[ts->n++], sizeof(ts->row[0]), "%s/%s/%s/%lld", r->id, r->campaign_id,
		 r->state, (long long)r->queued_at);
	return 0;
}

/* Campaigns: put and get (spec whole), a second put updates the status only; the list newest
 * first. The send log: one row per (campaign, contact), a second is EXISTS; its state set;
 * the tally by state and reason; a contact's rows; and the rows go with the contact. */
static void test_campaigns(void **state)
{
	struct sk_store *s = ((struct fx *)*state)->s;
	struct sk_campaign_rec c = {0}, got;
	struct tallies t = {0};

	assert_int_equal(sk_store_campaign_get(s, "k_none", &got), SK_ERR_NOT_FOUND);
	sk_strlcpy(c.id, "k_1", sizeof(c.id));
	sk_strlcpy(c.name, "Spring", sizeof(c.name));
	sk_strlcpy(c.purpose, "newsletter", sizeof(c.purpose));
	sk_strlcpy(c.status, "draft", sizeof(c.status));
	c.created_at = c.updated_at = 100;
	c.spec = "{\"subject\": {\"en\": \"Hi\"}}";
	assert_int_equal(sk_store_campaign_put(s, &c), 0);
	sk_strlcpy(c.id, "k_2", sizeof(c.id));
	c.created_at = c.updated_at = 200;
	assert_int_equal(sk_store_campaign_put(s, &c), 0);
	sk_strlcpy(c.id, "k_1", sizeof(c.id));
	sk_strlcpy(c.status, "queued", sizeof(c.status));
	sk_strlcpy(c.name, "renamed", sizeof(c.name));
	c.updated_at = 300;
	c.spec = "{}";
	assert_int_equal(sk_store_campaign_put(s, &c), 0);
	assert_int_equal(sk_store_campaign_get(s, "k_1", &got), 0);
	assert_string_equal(got.name, "Spring");
	assert_string_equal(got.status, "queued");
	assert_string_equal(got.purpose, "newsletter");
	assert_int_equal(got.created_at, 100);
	assert_int_equal(got.updated_at, 300);
	assert_string_equal(got.spec, "{\"subject\": {\"en\": \"Hi\"}}");
	sk_free(got.spec);
	assert_int_equal(sk_store_campaign_each(s, campaign_seen, &t), 0);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.row[0], "k_2/Spring/draft/-");
	assert_string_equal(t.row[1], "k_1/Spring/queued/-");

	add_contact(s, "c_a", 1);
	add_contact(s, "c_b", 2);
	struct sk_send_rec r = {0}, rg;
	const char *who[] = {"c_a", "c_b"};
	for (int i = 0; i < 2; i++) {
		snprintf(r.id, sizeof(r.id), "q_%d", i);
		sk_strlcpy(r.campaign_id, "k_1", sizeof(r.campaign_id));
		sk_strlcpy(r.contact_id, who[i], sizeof(r.contact_id));
		sk_strlcpy(r.state, "queued", sizeof(r.state));
		sk_strlcpy(r.consent_id, "e_1", sizeof(r.consent_id));
		sk_strlcpy(r.lang, "sv", sizeof(r.lang));
		r.queued_at = 400 + i;
		assert_int_equal(sk_store_send_put(s, &r), 0);
	}
	/* the same person again, under a new row id: refused */
	sk_strlcpy(r.id, "q_9", sizeof(r.id));
	assert_int_equal(sk_store_send_put(s, &r), SK_ERR_EXISTS);
	assert_int_equal(sk_store_send_get(s, "q_9", &rg), SK_ERR_NOT_FOUND);
	/* the other campaign may queue the same person */
	sk_strlcpy(r.campaign_id, "k_2", sizeof(r.campaign_id));
	assert_int_equal(sk_store_send_put(s, &r), 0);

	assert_int_equal(sk_store_send_get(s, "q_0", &rg), 0);
	assert_string_equal(rg.contact_id, "c_a");
	assert_string_equal(rg.lang, "sv");
	assert_string_equal(rg.consent_id, "e_1");
	sk_strlcpy(rg.state, "skipped", sizeof(rg.state));
	sk_strlcpy(rg.reason, "withdrawn", sizeof(rg.reason));
	rg.consent_id[0] = '\0';
	assert_int_equal(sk_store_send_state(s, &rg), 0);
	assert_int_equal(sk_store_send_get(s, "q_0", &rg), 0);
	assert_string_equal(rg.state, "skipped");
	assert_string_equal(rg.reason, "withdrawn");
	assert_string_equal(rg.consent_id, "");
	assert_int_equal(sk_store_send_get(s, "q_1", &rg), 0);
	sk_strlcpy(rg.state, "sent", sizeof(rg.state));
	rg.sent_at = 500;
	assert_int_equal(sk_store_send_state(s, &rg), 0);

	t.n = 0;
	assert_int_equal(sk_store_send_tally(s, "k_1", tally_cb, &t), 0);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.row[0], "/sent/0/0/0/1");
	assert_string_equal(t.row[1], "withdrawn/skipped/0/0/0/1");

	t.n = 0;
	assert_int_equal(sk_store_send_each_contact(s, "c_b", send_seen, &t), 0);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.row[0], "q_1/k_1/sent/401");
	assert_string_equal(t.row[1], "q_9/k_2/queued/401");

	/* erasure: the contact's send log goes with it, the other's stays */
	assert_int_equal(sk_store_contact_delete(s, "c_b"), 0);
	t.n = 0;
	assert_int_equal(sk_store_send_each_contact(s, "c_b", send_seen, &t), 0);
	assert_int_equal(t.n, 0);
	assert_int_equal(sk_store_send_get(s, "q_1", &rg), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_store_send_get(s, "q_0", &rg), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_create_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bound_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lazy_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_foreign_db, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_fails_cleanly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_newer_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_and_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_meta, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_contacts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_datakey, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ledger, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ledger_tampered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlong_text_is_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gate_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hot_gate_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ledger_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idempotency, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uri_names_the_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uri_create, setup, teardown),
		cmocka_unit_test(test_uri_shown),
		cmocka_unit_test_setup_teardown(test_uri_pg_unreachable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exists_keeps_the_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pg_failed_statement_fails_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pg_connection_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pg_two_inits_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pg_concurrent_writers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pg_begin_waits_then_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uri_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scrub, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_tx_caches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bulk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_nomutex, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bulk_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hot_gate_cache_in_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hot_gate_cache_wiped_on_erasure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hot_gate_cache_wiped_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lazy_begin_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bound_memory_after_bulk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lease, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rows_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_staff_users, setup, teardown),
		cmocka_unit_test_setup_teardown(test_staff_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_staff_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_visitors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_webhook_secret_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tallies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_track_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_company_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_campaigns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_next_plan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_next_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sealed_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lease_live, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_restore, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
