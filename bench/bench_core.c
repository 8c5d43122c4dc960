/* bench_core.c: the core benchmark. Loads N contacts with one consent each and asks the gate
 * M times, through samtycke and through one plain SQLite table doing the same work, and prints
 * both rates and their ratio. It prints figures and never fails on speed. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#define BENCH_NAME "bench_core"
#include "bench.h"
#include "core/core.h"
#include "store/sqlite_tuning.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/sktime.h"
#include "vault/vault.h"

#define BATCH 10000
#define DEFAULT_N 1000000L
#define DEFAULT_M 1000000L
#define PURPOSE "newsletter"
#define SEED 0x9e3779b97f4a7c15ULL

struct rates {
	double check_s;  /* seconds for M gate checks */
	double append_s; /* seconds for N appends */
};

static void usage(void)
{
	fprintf(stderr, "usage: bench_core [-t] [-p POLICY] [-m CHECKS] [-s STORE] DIR [N]\n"
			"  -t      give plain SQLite samtycke's page cache and mmap settings too\n"
			"  -s      samtycke's store URI (an empty PostgreSQL database, for one),\n"
			"          instead of DIR/samtycke.db; the key file stays DIR/master.key\n"
			"  DIR     an empty directory for the two databases\n"
			"  N       contacts to load (default %ld)\n"
			"  CHECKS  gate checks to time (default %ld)\n"
			"  POLICY  default $SK_SOURCE_ROOT/examples/policy.yaml\n",
		DEFAULT_N, DEFAULT_M);
	exit(2);
}

/* xorshift64: the same deterministic sequence of addresses for both sides. */
static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static void address(char *out, size_t len, long i)
{
	snprintf(out, len, "user%ld@bench.example", i);
}

static long parse_count(const char *s)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v <= 0)
		usage();
	return v;
}

/* ---- samtycke ---- */

static struct sk_core *samtycke_open(const char *dir, const char *store_uri, const char *policy_path,
				    struct sk_store **st, struct sk_vault **v)
{
	char keyfile[4096], db[4096];
	struct sk_errctx err = {0};
	struct sk_core *core;

	snprintf(keyfile, sizeof(keyfile), "%s/master.key", dir);
	if (store_uri)
		snprintf(db, sizeof(db), "%s", store_uri);
	else
		snprintf(db, sizeof(db), "%s/samtycke.db", dir);
	if (sk_vault_keyfile_create(keyfile, &err) || sk_vault_open(keyfile, v, &err) ||
	    sk_store_open(db, 1, st, &err) || sk_core_open(*st, *v, 1, &core, &err))
		die("opening samtycke", err.msg);
	apply_policy(core, policy_path);
	return core;
}

static double samtycke_load(struct sk_core *core, long n, int64_t occurred_at)
{
	char addr[64];
	struct sk_errctx err = {0};
	struct sk_consent_req req = {
		.email = addr,
		.purpose = PURPOSE,
		.action = SK_ACT_GIVE,
		.method = "import",
		.source = "bench",
		.occurred_at = occurred_at,
	};
	double t0 = now_s();
	for (long i = 0; i < n; i += BATCH) {
		if (sk_core_batch_begin(core, &err))
			die("starting a batch", err.msg);
		for (long j = i; j < n && j < i + BATCH; j++) {
			address(addr, sizeof(addr), j);
			if (sk_consent_record(core, &req, NULL, &err))
				die("recording a consent", err.msg);
		}
		if (sk_core_batch_commit(core, &err))
			die("committing a batch", err.msg);
	}
	return now_s() - t0;
}

static double samtycke_check(struct sk_core *core, long n, long m, int64_t now)
{
	char addr[64];
	struct sk_gate_result res;
	uint64_t seed = SEED;
	long allowed = 0;
	double t0 = now_s();
	for (long k = 0; k < m; k++) {
		address(addr, sizeof(addr), (long)(xorshift(&seed) % (uint64_t)n));
		sk_gate_check(core, addr, PURPOSE, now, &res);
		allowed += res.allowed;
	}
	double t = now_s() - t0;
	if (allowed != m) {
		fprintf(stderr, "bench_core: only %ld of %ld gate checks were allowed (last reason: %s);"
				" the benchmark measured nothing\n", allowed, m,
			sk_reason_name(res.reason));
		exit(1);
	}
	return t;
}

/* ---- plain SQLite: one table, one prepared statement ---- */

static void sq_check(sqlite3 *db, int rc, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
		die(what, sqlite3_errmsg(db));
}

/* -t: the plain side gets samtycke's page cache and mmap settings too. */
static int plain_tuned;

static sqlite3 *plain_open(const char *dir)
{
	char path[4096];
	sqlite3 *db;
	snprintf(path, sizeof(path), "%s/plain.db", dir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		die("opening plain.db", sqlite3_errmsg(db));
	sq_check(db, sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
				  "CREATE TABLE consents(email TEXT PRIMARY KEY, purpose TEXT,"
				  " given_at INTEGER);", NULL, NULL, NULL), "creating plain.db");
	if (plain_tuned)
		sq_check(db, sqlite3_exec(db, SK_SQLITE_TUNING, NULL, NULL, NULL), "tuning plain.db");
	return db;
}

static double plain_load(sqlite3 *db, long n, int64_t occurred_at)
{
	char addr[64];
	sqlite3_stmt *ins;
	sq_check(db, sqlite3_prepare_v2(db, "INSERT INTO consents(email, purpose, given_at)"
					" VALUES(?1, ?2, ?3)", -1, &ins, NULL), "preparing INSERT");
	double t0 = now_s();
	for (long i = 0; i < n; i += BATCH) {
		sq_check(db, sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), "BEGIN");
		for (long j = i; j < n && j < i + BATCH; j++) {
			address(addr, sizeof(addr), j);
			sqlite3_bind_text(ins, 1, addr, -1, SQLITE_STATIC);
			sqlite3_bind_text(ins, 2, PURPOSE, -1, SQLITE_STATIC);
			sqlite3_bind_int64(ins, 3, occurred_at);
			sq_check(db, sqlite3_step(ins), "INSERT");
			sqlite3_reset(ins);
		}
		sq_check(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), "COMMIT");
	}
	double t = now_s() - t0;
	sqlite3_finalize(ins);
	return t;
}

static double plain_check(sqlite3 *db, long n, long m, int64_t given_at)
{
	char addr[64];
	sqlite3_stmt *sel;
	uint64_t seed = SEED;
	long found = 0;
	sq_check(db, sqlite3_prepare_v2(db, "SELECT purpose, given_at FROM consents WHERE email = ?1",
					-1, &sel, NULL), "preparing SELECT");
	double t0 = now_s();
	for (long k = 0; k < m; k++) {
		address(addr, sizeof(addr), (long)(xorshift(&seed) % (uint64_t)n));
		sqlite3_bind_text(sel, 1, addr, -1, SQLITE_STATIC);
		int rc = sqlite3_step(sel);
		if (rc == SQLITE_ROW && sqlite3_column_text(sel, 0) &&
		    sqlite3_column_int64(sel, 1) == given_at)
			found++;
		sq_check(db, rc, "SELECT");
		sqlite3_reset(sel);
	}
	double t = now_s() - t0;
	sqlite3_finalize(sel);
	if (found != m) {
		fprintf(stderr, "bench_core: only %ld of %ld plain lookups found a row\n", found, m);
		exit(1);
	}
	return t;
}

/* ---- report ---- */

static void row(const char *label, double ops, double sk_s, double plain_s)
{
	double a = ops / sk_s, b = ops / plain_s;
	printf("%-32s%-16.0f%-16.0f%.3g x\n", label, a, b, a / b);
}

int main(int argc, char **argv)
{
	const char *policy = NULL, *store_uri = NULL, *root = getenv("SK_SOURCE_ROOT");
	char policy_buf[4096];
	long n = DEFAULT_N, m = DEFAULT_M;
	struct sk_store *store;
	struct sk_vault *vault;
	struct rates sk, plain;
	struct rusage ru;
	int c;

	while ((c = getopt(argc, argv, "p:m:s:t")) != -1) {
		if (c == 't')
			plain_tuned = 1;
		else if (c == 'p')
			policy = optarg;
		else if (c == 'm')
			m = parse_count(optarg);
		else if (c == 's')
			store_uri = optarg;
		else
			usage();
	}
	if (argc - optind < 1 || argc - optind > 2)
		usage();
	const char *dir = argv[optind];
	if (argc - optind == 2)
		n = parse_count(argv[optind + 1]);
	if (!policy) {
		snprintf(policy_buf, sizeof(policy_buf), "%s/examples/policy.yaml",
			 root && *root ? root : ".");
		policy = policy_buf;
	}

	/* Loaded a day ago, so every consent is verified, given and well within its validity. */
	int64_t now = sk_time_now(), given_at = now - 86400;
	struct sk_core *core = samtycke_open(dir, store_uri, policy, &store, &vault);
	sqlite3 *db = plain_open(dir);

	sk.append_s = samtycke_load(core, n, given_at);
	plain.append_s = plain_load(db, n, given_at);
	sk.check_s = samtycke_check(core, n, m, now);
	plain.check_s = plain_check(db, n, m, given_at);

	sk_core_free(core);
	sk_store_close(store);
	sk_vault_free(vault);
	sqlite3_close(db);
	getrusage(RUSAGE_SELF, &ru);

	printf("bench/core: N=%ld contacts, M=%ld checks, one thread, samtycke on %s\n", n, m,
	       store_uri ? (strncmp(store_uri, "postgres", 8) == 0 ? "PostgreSQL" : "-s STORE")
			 : "SQLite");
	printf("%-32s%-16s%-16s%s\n", "", "samtycke", "plain SQLite", "ratio");
	row("gate checks /s", (double)m, sk.check_s, plain.check_s);
	row("consent appends /s (batch 10k)", (double)n, sk.append_s, plain.append_s);
	printf("\n%-32s%-16.2f%-16.2f(seconds)\n", "load time", sk.append_s, plain.append_s);
	printf("%-32s%-16.2f%-16.2f(seconds)\n", "check time", sk.check_s, plain.check_s);
	if (store_uri)
		printf("%-32s%-16s%-16.1f(MiB, after close)\n", "database file", "-",
		       file_mib(dir, "plain.db") + file_mib(dir, "plain.db-wal"));
	else
		printf("%-32s%-16.1f%-16.1f(MiB, after close)\n", "database file",
		       file_mib(dir, "samtycke.db") + file_mib(dir, "samtycke.db-wal"),
		       file_mib(dir, "plain.db") + file_mib(dir, "plain.db-wal"));
	printf("%-32s%.1f MiB\n", "peak RSS (whole process)", (double)ru.ru_maxrss / 1024.0);
	printf("SQLite %s\nsamtycke settings:     %s\nplain SQLite settings: %s\n",
	       sqlite3_libversion(), SK_SQLITE_TUNING,
	       plain_tuned ? "the same (-t)" : "SQLite's defaults (2 MiB page cache, no mmap)");
	return 0;
}
