/* testlib.h: set-up shared by the unit tests: a temporary folder with a fresh key file, a
 * real store opened by URI like the binary opens it (SQLite, or PostgreSQL when SK_TEST_PG
 * names a cluster; optionally behind the fault-injecting backend) and a core with the example policy applied. Header-only so that
 * each test binary stays one file. */
#ifndef SK_TESTLIB_H
#define SK_TESTLIB_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "core/core_int.h" /* white-box: tests may look inside the core */
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"
#include "vault/vault.h"

struct tenv {
	char dir[64];
	char db[128];  /* the database file, for tests that look into it or tamper with it */
	char uri[160]; /* the store URI every open goes through (t_store_uri) */
	char key[128];
	struct sk_store *store; /* the fault wrapper when wrapped */
	struct sk_vault *vault;
	struct sk_core *core;
	struct sk_errctx err;
};

static inline char *t_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *p = malloc((size_t)n + 1);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return p;
}

static inline char *t_example_policy(size_t *len)
{
	char path[1024];
	const char *root = getenv("SK_SOURCE_ROOT");
	snprintf(path, sizeof(path), "%s/examples/policy.yaml", root ? root : ".");
	return t_read_file(path, len);
}

static inline int t_apply_text(struct tenv *t, const char *text)
{
	return sk_policy_apply(t->core, text, strlen(text), "test.yaml", NULL, NULL, &t->err);
}

/* policy with its first occurrence of from replaced by to (the from must be there), in a
 * static buffer: valid until the next call. */
static inline const char *t_policy_with(const char *policy, const char *from, const char *to)
{
	static char buf[1 << 17];
	const char *p = strstr(policy, from);
	assert_non_null(p);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - policy), policy, to, p + strlen(from));
	return buf;
}

/* Applies the example policy with offers on legitimate interest (and dropped from the
 * webinar form, which may only ask for consent-based purposes): 0 or the apply's error. */
static inline int t_apply_offers_li(struct tenv *t)
{
	size_t len;
	char *policy = t_example_policy(&len);
	char *li = strdup(t_policy_with(policy, "legal_basis: consent\n    validity: 24 months\n    "
					"retention: 30 days\n    double_opt_in: false\n    "
					"fields: [email, first_name, last_name, company]",
					"legal_basis: legitimate_interest\n    validity: 24 months\n    "
					"retention: 30 days\n    double_opt_in: false\n    "
					"fields: [email, first_name, last_name, company]"));
	int rc = t_apply_text(t, t_policy_with(li, "      - purpose: offers\n        double_opt_in: "
					      "false\n", ""));
	free(li);
	free(policy);
	return rc;
}

/* The PostgreSQL mode: SK_TEST_PG holds a base URI (tests/pg.sh start prints one); NULL
 * when the suite runs on SQLite. */
static inline const char *t_pg(void)
{
	const char *base = getenv("SK_TEST_PG");
	return base && *base ? base : NULL;
}

/* A test of a SQLite fact (the file, its WAL, the hot gate cache): skipped on PostgreSQL,
 * where the guarantee it checks has its own test or does not apply. */
#define T_SQLITE_ONLY()            \
	do {                       \
		if (t_pg())        \
			skip();    \
	} while (0)

/* The database name a path gets in PostgreSQL mode: its letters and digits, the rest '_'. */
static inline void t_pg_name(const char *path, char *out, size_t cap)
{
	size_t n = 0;
	const char *p = strlen(path) > 58 ? path + strlen(path) - 58 : path;
	n = (size_t)snprintf(out, cap, "sk");
	for (; *p && n + 1 < cap; p++)
		out[n++] = ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9')) ? *p : '_';
	out[n] = '\0';
}

/* Runs tests/pg.sh VERB BASE NAME quietly; its exit status. */
static inline int t_pg_sh(const char *verb, const char *name)
{
	char cmd[1024];
	const char *root = getenv("SK_SOURCE_ROOT");
	snprintf(cmd, sizeof(cmd), "sh '%s/tests/pg.sh' %s '%s' '%s' >/dev/null 2>&1",
		 root ? root : ".", verb, t_pg(), name);
	return system(cmd);
}

/* The store URI of a database file path, as every unit test opens its store (the binary's
 * --db takes the same URIs). On SQLite, sqlite:PATH. In PostgreSQL mode (SK_TEST_PG), a
 * database of its own named after the path, made (empty) the first time it is asked for:
 * opening with create makes the schema in it, as samtycke init does; t_store_drop (tenv_free
 * calls it) drops it. */
static inline void t_store_uri(const char *path, char *out, size_t cap)
{
	if (t_pg()) {
		char name[64];
		t_pg_name(path, name, sizeof(name));
		assert_true((size_t)snprintf(out, cap, "%s/%s", t_pg(), name) < cap);
		(void)t_pg_sh("createdb", name); /* fails harmlessly when it exists */
		return;
	}
	assert_true((size_t)snprintf(out, cap, "sqlite:%s", path) < cap);
}

/* Drops the PostgreSQL database of a path (t_store_uri); nothing on SQLite. */
static inline void t_store_drop(const char *path)
{
	char name[64];
	if (!t_pg())
		return;
	t_pg_name(path, name, sizeof(name));
	assert_int_equal(t_pg_sh("dropdb", name), 0);
}

/* SQL of a test (tampering, counting) as PostgreSQL reads it: SQLite's blob literals
 * X'..' become '\\x..'::bytea, printf('%.Nc', 'x') repeat('x', N), parameters ?N
 * become $N. Allocated; the caller frees it. */
static inline char *t_pg_sql(const char *sql)
{
	size_t n = strlen(sql), o = 0;
	char *out = malloc(n * 2 + 16);
	assert_non_null(out);
	for (size_t i = 0; i < n; i++) {
		int width, used = 0;
		char ch;
		if (sscanf(sql + i, "printf('%%.%dc', '%c')%n", &width, &ch, &used) == 2 && used) {
			o += (size_t)sprintf(out + o, "repeat('%c', %d)", ch, width);
			i += (size_t)used - 1;
			continue;
		}
		/* a blob literal starts a token: an x at the end of a word or of a string (an id
		 * such as 'c_..6x' followed by its quote) is not one */
		if ((sql[i] == 'X' || sql[i] == 'x') && sql[i + 1] == '\'' &&
		    (i == 0 || !((sql[i - 1] >= 'a' && sql[i - 1] <= 'z') ||
				 (sql[i - 1] >= 'A' && sql[i - 1] <= 'Z') ||
				 (sql[i - 1] >= '0' && sql[i - 1] <= '9') || sql[i - 1] == '_' ||
				 sql[i - 1] == '\''))) {
			const char *end = strchr(sql + i + 2, '\'');
			assert_non_null(end);
			o += (size_t)sprintf(out + o, "'\\x%.*s'::bytea", (int)(end - (sql + i + 2)),
					     sql + i + 2);
			i = (size_t)(end - sql);
			continue;
		}
		out[o++] = sql[i] == '?' && sql[i + 1] >= '1' && sql[i + 1] <= '9' ? '$' : sql[i];
	}
	out[o] = '\0';
	return out;
}

/* The PostgreSQL connection to the database of a path (t_store_uri); fails the test when
 * it cannot connect. */
static inline PGconn *t_pg_connect(const char *path)
{
	char name[64], uri[256];
	t_pg_name(path, name, sizeof(name));
	snprintf(uri, sizeof(uri), "%s/%s", t_pg(), name);
	PGconn *c = PQconnectdb(uri);
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("connecting to %s: %s", name, PQerrorMessage(c));
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	return c;
}

/* Runs SQL (one statement or several) on the store of a path through a connection of its
 * own, on either backend; fails the test when it fails. The rows the last statement
 * changed. */
static inline long t_db_exec(const char *path, const char *sql)
{
	long n;
	if (t_pg()) {
		PGconn *c = t_pg_connect(path);
		char *q = t_pg_sql(sql);
		PGresult *r = PQexec(c, q);
		if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
			fail_msg("%s: %s", q, PQerrorMessage(c));
		n = atol(PQcmdTuples(r));
		PQclear(r);
		free(q);
		PQfinish(c);
		return n;
	}
	sqlite3 *db;
	char *msg = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	n = sqlite3_changes(db);
	sqlite3_close(db);
	return n;
}

/* The integer in the first column of the first row of a query (0 when NULL); fails the
 * test when there is no row. */
static inline int64_t t_db_int(const char *path, const char *sql)
{
	int64_t v = 0;
	if (t_pg()) {
		PGconn *c = t_pg_connect(path);
		char *q = t_pg_sql(sql);
		PGresult *r = PQexec(c, q);
		if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1)
			fail_msg("%s: %s", q, PQerrorMessage(c));
		v = PQgetisnull(r, 0, 0) ? 0 : strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
		free(q);
		PQfinish(c);
		return v;
	}
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* 1 when needle is in a file of the store of a path: the database file, WAL and shared
 * memory on SQLite; on PostgreSQL (after a CHECKPOINT) every file of the tables, their TOAST
 * and indexes in the cluster's data folder, and (wal != 0) every WAL segment. */
static inline int t_db_contains_in(const char *path, const void *needle, size_t nlen, int wal)
{
	char files[4096][320];
	int n = 0;
	if (t_pg()) {
		PGconn *c = t_pg_connect(path);
		PGresult *r = PQexec(c, "CHECKPOINT");
		PQclear(r);
		r = PQexecParams(c, "SELECT current_setting('data_directory') || '/' || pg_relation_filepath(c.oid)"
			   " FROM pg_class AS c WHERE c.relfilenode <> 0 AND (c.relnamespace ="
			   " 'public'::regnamespace OR c.oid IN (SELECT reltoastrelid FROM pg_class"
			   " WHERE relnamespace = 'public'::regnamespace) OR c.oid IN (SELECT"
			   " indexrelid FROM pg_index WHERE indrelid IN (SELECT reltoastrelid FROM"
			   " pg_class WHERE relnamespace = 'public'::regnamespace)))"
			   " UNION ALL SELECT current_setting('data_directory') || '/pg_wal/' || name"
			   " FROM pg_ls_waldir() WHERE $1 = 1", 1, NULL, (const char *const[]){wal ? "1" : "0"},
			   NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			fail_msg("listing the store's files: %s", PQerrorMessage(c));
		for (int i = 0; i < PQntuples(r) && n < 4096; i++)
			snprintf(files[n++], sizeof(files[0]), "%s", PQgetvalue(r, i, 0));
		PQclear(r);
		PQfinish(c);
	} else {
		const char *suffix[] = {"", "-wal", "-shm"};
		for (int i = 0; i < 3; i++)
			snprintf(files[n++], sizeof(files[0]), "%s%s", path, suffix[i]);
	}
	for (int i = 0; i < n; i++) {
		size_t len;
		if (access(files[i], F_OK) != 0)
			continue;
		char *data = t_read_file(files[i], &len);
		int found = memmem(data, len, needle, nlen) != NULL;
		free(data);
		if (found)
			return 1;
	}
	return 0;
}

/* The first column of each row of a query with one text parameter (?1), as bytes: at most
 * max rows of at most cap bytes each into out (row i at out + i * cap, its length in
 * lens[i]); returns how many rows. */
static inline size_t t_db_blobs(const char *path, const char *sql, const char *param,
				uint8_t *out, size_t cap, size_t *lens, size_t max)
{
	size_t n = 0;
	if (t_pg()) {
		PGconn *c = t_pg_connect(path);
		char *q = t_pg_sql(sql);
		PGresult *r = PQexecParams(c, q, 1, NULL, &param, NULL, NULL, 1);
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			fail_msg("%s: %s", q, PQerrorMessage(c));
		for (int i = 0; i < PQntuples(r); i++, n++) {
			assert_true(n < max);
			lens[n] = (size_t)PQgetlength(r, i, 0);
			assert_true(lens[n] <= cap);
			memcpy(out + n * cap, PQgetvalue(r, i, 0), lens[n]);
		}
		PQclear(r);
		free(q);
		PQfinish(c);
		return n;
	}
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_bind_text(st, 1, param, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		assert_true(n < max);
		lens[n] = (size_t)sqlite3_column_bytes(st, 0);
		assert_true(lens[n] <= cap);
		memcpy(out + n * cap, sqlite3_column_blob(st, 0), lens[n]);
		n++;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* PostgreSQL: 1 when a tuple (live, or dead and not yet removed by VACUUM) on a page of a
 * table of the store holds bytes p[0..n), read from the pages themselves (pageinspect), not
 * through SQL, which would not show a deleted row. What VACUUM leaves in the free space of a
 * page is no tuple (docs/internals/store.md, "Erasure on PostgreSQL"). */
static inline int t_pg_tuple_has(const char *path, const void *p, size_t n)
{
	PGconn *c = t_pg_connect(path);
	PGresult *r = PQexec(c, "CREATE EXTENSION IF NOT EXISTS pageinspect");
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("pageinspect: %s", PQerrorMessage(c));
	PQclear(r);
	const char *v[1] = {p};
	int len[1] = {(int)n}, fmt[1] = {1};
	r = PQexecParams(c, "SELECT count(*) FROM pg_class AS c,"
			 " generate_series(0, (pg_relation_size(c.oid) / 8192)::int - 1) AS b,"
			 " heap_page_items(get_raw_page(c.oid::regclass::text, b)) AS h"
			 " WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace"
			 " AND h.t_data IS NOT NULL AND position($1::bytea IN h.t_data) > 0",
			 1, NULL, v, len, fmt, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("reading pages: %s", PQerrorMessage(c));
	int found = atoi(PQgetvalue(r, 0, 0)) > 0;
	PQclear(r);
	PQfinish(c);
	return found;
}

static inline int t_db_contains(const char *path, const void *needle, size_t nlen)
{
	return t_db_contains_in(path, needle, nlen, 1);
}

/* Every row of every table of s (sk_store_tables), as text: each value's type, then its
 * integer or its bytes in hex, rows in order. For comparing two stores; sk_free it. */
static inline int t__rows_dump_cb(void *arg, const struct sk_value *row, int ncols)
{
	struct sk_buf *b = arg;
	for (int i = 0; i < ncols; i++) {
		sk_buf_printf(b, "|%d:", row[i].type);
		if (row[i].type == SK_VALUE_INT)
			sk_buf_printf(b, "%lld", (long long)row[i].i);
		for (size_t j = 0; row[i].type != SK_VALUE_INT && j < row[i].len; j++)
			sk_buf_printf(b, "%02x", ((const uint8_t *)row[i].p)[j]);
	}
	sk_buf_appends(b, "\n");
	return 0;
}

static inline char *t_rows_dump(struct sk_store *s)
{
	struct sk_buf b;
	sk_buf_init(&b, 1 << 22);
	for (int t = 0; t < sk_store_ntables; t++) {
		sk_buf_printf(&b, "%s\n", sk_store_tables[t].name);
		assert_int_equal(sk_store_rows_each(s, sk_store_tables[t].name, t__rows_dump_cb, &b), 0);
	}
	return sk_buf_steal(&b, NULL);
}

/* A fresh environment; fault != 0 puts the fault backend (not failing yet) in between. */
static inline struct tenv *tenv_new(int fault)
{
	struct tenv *t = calloc(1, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/sk-unit.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->db, sizeof(t->db), "%s/t.db", t->dir);
	t_store_uri(t->db, t->uri, sizeof(t->uri));
	snprintf(t->key, sizeof(t->key), "%s/t.key", t->dir);
	assert_int_equal(sk_vault_keyfile_create(t->key, &t->err), 0);
	assert_int_equal(sk_vault_open(t->key, &t->vault, &t->err), 0);
	assert_int_equal(sk_store_open(t->uri, 1, &t->store, &t->err), 0);
	if (fault)
		assert_int_equal(sk_store_fault_wrap(t->store, 0, 0, &t->store), 0);
	assert_int_equal(sk_core_open(t->store, t->vault, 1, &t->core, &t->err), 0);
	size_t len;
	char *policy = t_example_policy(&len);
	assert_int_equal(sk_policy_apply(t->core, policy, len, "policy.yaml", NULL, NULL, &t->err), 0);
	free(policy);
	return t;
}

static inline void tenv_free(struct tenv *t)
{
	char cmd[256];
	sk_core_free(t->core);
	sk_store_close(t->store);
	sk_vault_free(t->vault);
	t_store_drop(t->db);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
	free(t);
}

/* Records one consent event through the core; returns the code. */
static inline int t_consent(struct tenv *t, const char *email, const char *purpose,
			    enum sk_action action, const char *method, const char *source,
			    int64_t at)
{
	struct sk_consent_req r = {.email = email, .purpose = purpose, .action = action,
				   .method = method, .source = source, .occurred_at = at,
				   .lang = "en", .actor = "test"};
	return sk_consent_record(t->core, &r, NULL, &t->err);
}

/* The number of ledger events of contact id (its access export's history). */
static inline long t_ledger_count(struct tenv *t, const char *id)
{
	long n = 0;
	struct sk_access_export x;
	assert_int_equal(sk_export(t->core, id, "en", &x, &t->err), 0);
	for (size_t i = 0; i < x.nconsents; i++)
		n += (long)x.consents[i].nhistory;
	sk_access_export_reset(&x);
	return n;
}

/* The number of mails in the outbox to email, sent or not. */
static inline long t_mails_to(struct tenv *t, const char *email)
{
	uint8_t key[SK_HASH_LEN];
	long n = 0;
	assert_int_equal(sk__email_key(t->core, email, key, &t->err), 0);
	assert_int_equal(sk_store_outbox_count(t->store, key, 0, &n), 0);
	return n;
}

static inline const char *t_gate(struct tenv *t, const char *email, const char *purpose,
				 int64_t now)
{
	struct sk_gate_result g;
	sk_gate_check(t->core, email, purpose, now ? now : sk_time_now(), &g);
	const char *reason = sk_reason_name(g.reason);
	assert_non_null(reason);
	/* allowed must agree with the reason */
	if (g.allowed)
		assert_true(strcmp(reason, "consent") == 0 ||
			    strcmp(reason, "legitimate_interest") == 0 ||
			    strcmp(reason, "contract") == 0 ||
			    strcmp(reason, "legal_obligation") == 0);
	return reason;
}

#endif
