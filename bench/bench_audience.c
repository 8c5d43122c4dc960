/* bench_audience.c: the audience benchmark (issue 16). Loads N contacts with a mix of
 * newsletter consents (given, unverified, expired, refused, withdrawn, none, suppressed)
 * into samtycke and into a plain SQLite pair of tables (contacts, consents, suppressions),
 * then times the allowed audience of the purpose with every rule applied: samtycke's allowed
 * list (sk_export_contacts --allowed-only, the console's and export-contacts' walk of the
 * state index), its counts of every contact (sk_audience), and a campaign's preview with a
 * segment (sk_campaign_preview: first_name "Anna", a quarter of the contacts), beside SQL
 * joins doing the same. Each must find the expected number. Prints figures and ratios;
 * never fails on speed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#define BENCH_NAME "bench_audience"
#include "bench.h"
#include "core/core.h"
#include "io/io.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/sktime.h"
#include "vault/vault.h"

#define BATCH 10000
#define DEFAULT_N 1000000L
#define PURPOSE "newsletter"
#define DAY 86400

static void address(char *out, size_t len, long i)
{
	snprintf(out, len, "aud%ld@bench.example.com", i);
}

/* What contact i holds for the newsletter, by i mod 100 (the same on both sides). */
enum kind { K_GIVEN, K_UNVERIFIED, K_EXPIRED, K_REFUSED, K_WITHDRAWN, K_NONE };
static enum kind kind_of(long i)
{
	long r = i % 100;
	return r < 70 ? K_GIVEN : r < 80 ? K_UNVERIFIED : r < 85 ? K_EXPIRED : r < 90 ? K_REFUSED
	       : r < 95 ? K_WITHDRAWN : K_NONE;
}
/* 2 % of the addresses are suppressed (bounced), whatever they consented to. */
static int suppressed(long i)
{
	return i % 50 == 7;
}

/* A quarter of the contacts are named Anna: the campaign's segment. */
static int in_segment(long i)
{
	return i % 4 == 0;
}

static long expected_allowed(long n, int segment)
{
	long k = 0;
	for (long i = 0; i < n; i++)
		k += kind_of(i) == K_GIVEN && !suppressed(i) && (!segment || in_segment(i));
	return k;
}

/* ---- samtycke ---- */

static struct sk_core *sk_open(const char *dir, const char *policy_path, int fresh,
			       struct sk_store **st, struct sk_vault **v)
{
	char keyfile[4096], db[4096];
	struct sk_errctx err = {0};
	struct sk_core *core;
	snprintf(keyfile, sizeof(keyfile), "%s/master.key", dir);
	snprintf(db, sizeof(db), "%s/samtycke.db", dir);
	if ((fresh && sk_vault_keyfile_create(keyfile, &err)) || sk_vault_open(keyfile, v, &err) ||
	    sk_store_open(db, fresh, st, &err) || sk_core_open(*st, *v, fresh, &core, &err))
		die("opening samtycke", err.msg);
	if (fresh)
		apply_policy(core, policy_path);
	return core;
}

static void rec(struct sk_core *core, const char *addr, const char *purpose, enum sk_action a,
		int64_t at)
{
	struct sk_errctx err = {0};
	struct sk_consent_req req = {.email = addr, .purpose = purpose, .action = a,
				     .method = "import", .source = "bench", .occurred_at = at};
	if (sk_consent_record(core, &req, NULL, &err))
		die("recording a consent", err.msg);
}

static double sk_load(struct sk_core *core, long n, int64_t now)
{
	char addr[64];
	struct sk_errctx err = {0};
	double t0 = now_s();
	for (long i = 0; i < n; i += BATCH) {
		if (sk_core_batch_begin(core, &err))
			die("starting a batch", err.msg);
		for (long j = i; j < n && j < i + BATCH; j++) {
			struct sk_field_value name = {"first_name", in_segment(j) ? "Anna" : "Bo"};
			char id[SK_ID_LEN + 1];
			address(addr, sizeof(addr), j);
			if (sk_contact_add(core, addr, &name, 1, id, &err))
				die("adding a contact", err.msg);
			switch (kind_of(j)) {
			case K_GIVEN: rec(core, addr, PURPOSE, SK_ACT_GIVE, now - DAY); break;
			case K_UNVERIFIED: rec(core, addr, PURPOSE, SK_ACT_GIVE, 0); break;
			case K_EXPIRED: rec(core, addr, PURPOSE, SK_ACT_GIVE, now - 900 * DAY); break;
			case K_REFUSED: rec(core, addr, PURPOSE, SK_ACT_REFUSE, now - DAY); break;
			case K_WITHDRAWN:
				rec(core, addr, PURPOSE, SK_ACT_GIVE, now - 2 * DAY);
				rec(core, addr, PURPOSE, SK_ACT_WITHDRAW, now - DAY);
				break;
			case K_NONE: rec(core, addr, "offers", SK_ACT_GIVE, now - DAY); break;
			}
			if (suppressed(j) && sk_suppress(core, addr, "bounced", &err))
				die("suppressing", err.msg);
		}
		if (sk_core_batch_commit(core, &err))
			die("committing a batch", err.msg);
	}
	return now_s() - t0;
}

/* ---- plain SQLite: contacts, consents, suppressions; one join ---- */

static void sq(sqlite3 *db, int rc, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
		die(what, sqlite3_errmsg(db));
}

static sqlite3 *plain_open(const char *dir, int fresh)
{
	char path[4096];
	sqlite3 *db;
	snprintf(path, sizeof(path), "%s/plain.db", dir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		die("opening plain.db", sqlite3_errmsg(db));
	sq(db, sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;", NULL, NULL,
			    NULL), "plain.db pragmas");
	if (fresh)
		sq(db, sqlite3_exec(db,
				    "CREATE TABLE contacts(id INTEGER PRIMARY KEY, email TEXT NOT NULL"
				    " UNIQUE, first_name TEXT);"
				    "CREATE TABLE consents(contact_id INTEGER NOT NULL, purpose TEXT NOT"
				    " NULL, status TEXT NOT NULL, verified INTEGER NOT NULL,"
				    " valid_until INTEGER, PRIMARY KEY(contact_id, purpose));"
				    "CREATE INDEX consents_purpose ON consents(purpose, status);"
				    "CREATE TABLE suppressions(email TEXT PRIMARY KEY);",
				    NULL, NULL, NULL), "creating plain.db");
	return db;
}

static double plain_load(sqlite3 *db, long n, int64_t now)
{
	char addr[64];
	sqlite3_stmt *c, *s, *p;
	sq(db, sqlite3_prepare_v2(db, "INSERT INTO contacts(id, email, first_name) VALUES(?1, ?2,"
				  " ?3)", -1, &c, NULL), "prepare contacts");
	sq(db, sqlite3_prepare_v2(db, "INSERT INTO consents VALUES(?1, ?2, ?3, ?4, ?5)", -1, &s,
				  NULL), "prepare consents");
	sq(db, sqlite3_prepare_v2(db, "INSERT INTO suppressions(email) VALUES(?1)", -1, &p, NULL),
	   "prepare suppressions");
	int64_t until = now - DAY + 730 * DAY;
	double t0 = now_s();
	for (long i = 0; i < n; i += BATCH) {
		sq(db, sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), "BEGIN");
		for (long j = i; j < n && j < i + BATCH; j++) {
			enum kind k = kind_of(j);
			address(addr, sizeof(addr), j);
			sqlite3_bind_int64(c, 1, j + 1);
			sqlite3_bind_text(c, 2, addr, -1, SQLITE_STATIC);
			sqlite3_bind_text(c, 3, in_segment(j) ? "Anna" : "Bo", -1, SQLITE_STATIC);
			sq(db, sqlite3_step(c), "INSERT contact");
			sqlite3_reset(c);
			sqlite3_bind_int64(s, 1, j + 1);
			sqlite3_bind_text(s, 2, k == K_NONE ? "offers" : PURPOSE, -1, SQLITE_STATIC);
			sqlite3_bind_text(s, 3, k == K_REFUSED ? "refused" : k == K_WITHDRAWN
						? "withdrawn" : "given", -1, SQLITE_STATIC);
			sqlite3_bind_int(s, 4, k != K_UNVERIFIED);
			sqlite3_bind_int64(s, 5, k == K_EXPIRED ? now - 900 * DAY + 730 * DAY : until);
			sq(db, sqlite3_step(s), "INSERT consent");
			sqlite3_reset(s);
			if (suppressed(j)) {
				sqlite3_bind_text(p, 1, addr, -1, SQLITE_STATIC);
				sq(db, sqlite3_step(p), "INSERT suppression");
				sqlite3_reset(p);
			}
		}
		sq(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), "COMMIT");
	}
	sqlite3_finalize(c);
	sqlite3_finalize(s);
	sqlite3_finalize(p);
	sq(db, sqlite3_exec(db, "ANALYZE", NULL, NULL, NULL), "ANALYZE");
	return now_s() - t0;
}

/* The allowed audience by one join: every address, read out as the list would be; with
 * segment, only the contacts named Anna. */
static double plain_audience(sqlite3 *db, int64_t now, int segment, long *n)
{
	sqlite3_stmt *q;
	long bytes = 0;
	int rc;
	sq(db, sqlite3_prepare_v2(db,
				  "SELECT c.id, c.email FROM consents s JOIN contacts c ON c.id ="
				  " s.contact_id WHERE s.purpose = ?1 AND s.status = 'given' AND"
				  " s.verified = 1 AND (s.valid_until IS NULL OR s.valid_until > ?2)"
				  " AND NOT EXISTS (SELECT 1 FROM suppressions p WHERE p.email ="
				  " c.email) AND (?3 = 0 OR c.first_name = 'Anna')", -1, &q, NULL),
	   "prepare the join");
	sqlite3_bind_text(q, 1, PURPOSE, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, now);
	sqlite3_bind_int(q, 3, segment);
	*n = 0;
	double t0 = now_s();
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		bytes += sqlite3_column_bytes(q, 1);
		(*n)++;
	}
	double t = now_s() - t0;
	sq(db, rc, "the join");
	sqlite3_finalize(q);
	(void)bytes;
	return t;
}

int main(int argc, char **argv)
{
	const char *root = getenv("SK_SOURCE_ROOT");
	char policy[4096], marker[4096];
	struct sk_store *store;
	struct sk_vault *vault;
	struct sk_errctx err = {0};
	struct rusage ru;
	long n = DEFAULT_N;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: bench_audience DIR [N]\n  DIR  a directory: empty, or one "
				"this program loaded before with the same N (the load is skipped)\n");
		return 2;
	}
	const char *dir = argv[1];
	if (argc == 3 && (n = strtol(argv[2], NULL, 10)) <= 0)
		die("N", "must be a positive number");
	snprintf(policy, sizeof(policy), "%s/examples/policy.yaml", root && *root ? root : ".");
	snprintf(marker, sizeof(marker), "%s/loaded-v2-%ld", dir, n);
	int fresh = access(marker, F_OK) != 0;
	if (fresh) /* what an earlier, other or unfinished load left */
		for (const char *const *f = (const char *const[]){"master.key", "samtycke.db",
								  "samtycke.db-wal", "samtycke.db-shm",
								  "plain.db", "plain.db-wal",
								  "plain.db-shm", NULL}; *f; f++) {
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s", dir, *f);
			unlink(path);
		}
	/* (a later run within a year of the load finds the same answers: the given ones stay
	 * valid, the expired ones expired) */
	int64_t now = sk_time_now();
	struct sk_core *core = sk_open(dir, policy, fresh, &store, &vault);
	sqlite3 *db = plain_open(dir, fresh);
	double sk_load_s = 0, plain_load_s = 0;
	if (fresh) {
		sk_load_s = sk_load(core, n, now);
		plain_load_s = plain_load(db, n, now);
		FILE *m = fopen(marker, "w");
		if (!m || fprintf(m, "%lld\n", (long long)now) < 0 || fclose(m))
			die(marker, "cannot write");
	}
	long want = expected_allowed(n, 0), want_seg = expected_allowed(n, 1), sk_n = 0,
	     plain_n = 0, plain_seg_n = 0;

	/* samtycke: the allowed list, every column, to /dev/null */
	FILE *null = fopen("/dev/null", "w");
	if (!null)
		die("/dev/null", strerror(errno));
	double t0 = now_s();
	if (sk_export_contacts(core, PURPOSE, SK_EXPORT_CSV, 1, null, &sk_n, &err))
		die("the allowed list", err.msg);
	double sk_list_s = now_s() - t0;
	fclose(null);
	/* samtycke: the counts by reason of every contact (the console's audience page) */
	struct sk_audience a;
	t0 = now_s();
	if (sk_audience(core, PURPOSE, sk_time_now(), &a, &err))
		die("the audience", err.msg);
	double sk_count_s = now_s() - t0;
	/* samtycke: a campaign's preview, its segment a quarter of the contacts */
	char cid[SK_ID_LEN + 1];
	struct sk_audience pv;
	if (sk_campaign_create(core,
			       "{\"name\": \"Bench\", \"purpose\": \"newsletter\", \"segment\":"
			       " {\"fields\": {\"first_name\": \"Anna\"}}, \"subject\": {\"en\":"
			       " \"Hello\"}, \"text\": {\"en\": \"Hi {{first_name}}\"}}",
			       sk_time_now(), cid, &err))
		die("creating the campaign", err.msg);
	t0 = now_s();
	if (sk_campaign_preview(core, cid, sk_time_now(), &pv, &err))
		die("the campaign's preview", err.msg);
	double sk_preview_s = now_s() - t0;
	double plain_s = plain_audience(db, sk_time_now(), 0, &plain_n);
	double plain_seg_s = plain_audience(db, sk_time_now(), 1, &plain_seg_n);

	sk_core_free(core);
	sk_store_close(store);
	sk_vault_free(vault);
	sqlite3_close(db);
	getrusage(RUSAGE_SELF, &ru);

	printf("bench/audience: N=%ld contacts, purpose %s, one thread, samtycke on SQLite\n", n,
	       PURPOSE);
	int ok = sk_n == want && a.allowed == want && plain_n == want && pv.allowed == want_seg &&
		 plain_seg_n == want_seg;
	printf("allowed: expected %ld; samtycke list %ld, samtycke counts %ld, plain join %ld\n"
	       "with the segment: expected %ld; samtycke preview %ld (%ld outside), plain join "
	       "%ld%s\n", want, sk_n, a.allowed, plain_n, want_seg, pv.allowed, pv.segment,
	       plain_seg_n, ok ? "" : "  MISMATCH");
	printf("%-36s%-14s%-14s%s\n", "", "samtycke", "plain SQLite", "ratio (plain time / samtycke)");
	printf("%-36s%-14.3f%-14.3f%.3g x\n", "allowed list (export walk), s", sk_list_s, plain_s,
	       plain_s / sk_list_s);
	printf("%-36s%-14.3f%-14.3f%.3g x\n", "counts of every contact, s", sk_count_s, plain_s,
	       plain_s / sk_count_s);
	printf("%-36s%-14.3f%-14.3f%.3g x\n", "campaign preview with segment, s", sk_preview_s,
	       plain_seg_s, plain_seg_s / sk_preview_s);
	printf("%-36s%-14.0f%-14.0f\n", "allowed contacts /s (list)", (double)sk_n / sk_list_s,
	       (double)plain_n / plain_s);
	if (fresh)
		printf("%-36s%-14.1f%-14.1f(seconds)\n", "load time", sk_load_s, plain_load_s);
	else
		printf("%-36s(databases of an earlier run reused)\n", "load");
	printf("%-36s%-14.1f%-14.1f(MiB)\n", "database file",
	       file_mib(dir, "samtycke.db") + file_mib(dir, "samtycke.db-wal"),
	       file_mib(dir, "plain.db") + file_mib(dir, "plain.db-wal"));
	printf("%-36s%.1f MiB\nSQLite %s\n", "peak RSS (whole process)", (double)ru.ru_maxrss / 1024.0,
	       sqlite3_libversion());
	return ok ? 0 : 1;
}
