/* bench_audit.c: export-contacts --allowed-only, audit verify and ledger replay --check at N
 * contacts (half of them withdrawn), each beside plain SQLite doing the same listing or scan,
 * with both times and their ratio; it prints figures and never fails on speed. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/core.h"
#include "io/io.h"
#include "store/sqlite_tuning.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/sktime.h"
#include "vault/vault.h"

#define BATCH 10000
#define REPS 3 /* timed runs of the export and the verify (and their references); the fastest */
#define DEFAULT_N 100000L
#define POLICY_MAX (1024 * 1024)

static void usage(void)
{
	fprintf(stderr, "usage: bench_audit [-p POLICY] DIR [N]\n"
			"  DIR     an empty directory for the two databases\n"
			"  N       contacts to load (default %ld)\n"
			"  POLICY  default $SK_SOURCE_ROOT/examples/policy.yaml\n", DEFAULT_N);
	exit(2);
}

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "bench_audit: %s: %s\n", what, detail);
	exit(1);
}

static double min_d(double a, double b)
{
	return a < b ? a : b;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sq_check(sqlite3 *db, int rc, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
		die(what, sqlite3_errmsg(db));
}

static struct sk_core *open_core(const char *dir, int create, struct sk_store **st,
				 struct sk_vault **v)
{
	char keyfile[4096], db[4096];
	struct sk_errctx err = {0};
	struct sk_core *core = NULL;
	snprintf(keyfile, sizeof(keyfile), "%s/master.key", dir);
	snprintf(db, sizeof(db), "%s/samtycke.db", dir);
	if ((create && sk_vault_keyfile_create(keyfile, &err)) || sk_vault_open(keyfile, v, &err) ||
	    sk_store_open(db, create, st, &err) || sk_core_open(*st, *v, create, &core, &err))
		die("opening samtycke", err.msg);
	return core;
}

static void close_core(struct sk_core *c, struct sk_store *st, struct sk_vault *v)
{
	sk_core_free(c);
	sk_store_close(st);
	sk_vault_free(v);
}

static void load(const char *dir, const char *policy_path, long n)
{
	struct sk_store *st;
	struct sk_vault *v;
	struct sk_errctx err = {0};
	struct sk_core *c = open_core(dir, 1, &st, &v);
	struct sk_buf b;
	char chunk[8192], addr[64];
	size_t got;
	FILE *f = fopen(policy_path, "rb");
	if (!f)
		die(policy_path, strerror(errno));
	sk_buf_init(&b, POLICY_MAX);
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (sk_buf_append(&b, chunk, got))
			die(policy_path, "too large");
	fclose(f);
	if (sk_policy_apply(c, b.data ? b.data : "", b.len, policy_path, NULL, NULL, &err))
		die("applying the policy", err.msg);
	sk_buf_reset(&b);

	/* plain: the same contacts and states, one table each */
	char path[4096];
	sqlite3 *db;
	snprintf(path, sizeof(path), "%s/plain.db", dir);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die("opening plain.db", sqlite3_errmsg(db));
	sq_check(db, sqlite3_exec(db, "PRAGMA journal_mode = WAL;"
			  "CREATE TABLE contacts(id TEXT PRIMARY KEY, email TEXT) WITHOUT ROWID;"
			  "CREATE TABLE states(contact_id TEXT, purpose TEXT, status TEXT,"
			  " PRIMARY KEY(contact_id, purpose)) WITHOUT ROWID;", NULL, NULL, NULL),
		 "creating plain.db");
	sqlite3_stmt *ic, *is;
	sq_check(db, sqlite3_prepare_v2(db, "INSERT INTO contacts VALUES(?1, ?2)", -1, &ic, NULL), "prep");
	sq_check(db, sqlite3_prepare_v2(db, "INSERT INTO states VALUES(?1, 'newsletter', ?2)", -1, &is,
					NULL), "prep");

	int64_t at = sk_time_now() - 86400;
	for (long i = 0; i < n; i += BATCH) {
		if (sk_core_batch_begin(c, &err))
			die("batch", err.msg);
		sq_check(db, sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), "begin");
		for (long j = i; j < n && j < i + BATCH; j++) {
			struct sk_consent_event ev;
			snprintf(addr, sizeof(addr), "user%ld@bench.example", j);
			struct sk_consent_req req = {.email = addr, .purpose = "newsletter",
						     .action = SK_ACT_GIVE, .method = "import",
						     .source = "bench", .occurred_at = at};
			if (sk_consent_record(c, &req, &ev, &err))
				die("recording", err.msg);
			if (j % 2) {
				req.action = SK_ACT_WITHDRAW;
				req.occurred_at = at + 1;
				if (sk_consent_record(c, &req, NULL, &err))
					die("recording", err.msg);
			}
			sqlite3_bind_text(ic, 1, ev.contact_id, -1, SQLITE_STATIC);
			sqlite3_bind_text(ic, 2, addr, -1, SQLITE_STATIC);
			sq_check(db, sqlite3_step(ic), "insert");
			sqlite3_reset(ic);
			sqlite3_bind_text(is, 1, ev.contact_id, -1, SQLITE_STATIC);
			sqlite3_bind_text(is, 2, j % 2 ? "withdrawn" : "given", -1, SQLITE_STATIC);
			sq_check(db, sqlite3_step(is), "insert");
			sqlite3_reset(is);
		}
		if (sk_core_batch_commit(c, &err))
			die("commit", err.msg);
		sq_check(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), "commit");
	}
	sqlite3_finalize(ic);
	sqlite3_finalize(is);
	sqlite3_close(db);
	close_core(c, st, v);
}

/* The plain join listing the allowed contacts as CSV lines, to out; returns the count. */
static long plain_join(const char *dir, FILE *out)
{
	char path[4096];
	sqlite3 *db;
	sqlite3_stmt *q;
	long n = 0;
	snprintf(path, sizeof(path), "%s/plain.db", dir);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die("opening plain.db", sqlite3_errmsg(db));
	sq_check(db, sqlite3_prepare_v2(db, "SELECT c.id, c.email FROM contacts AS c JOIN states AS s"
					" ON s.contact_id = c.id WHERE s.purpose = 'newsletter'"
					" AND s.status = 'given' ORDER BY c.id", -1, &q, NULL), "prep");
	while (sqlite3_step(q) == SQLITE_ROW) {
		fprintf(out, "%s,%s,true,consent\r\n", sqlite3_column_text(q, 0),
			sqlite3_column_text(q, 1));
		n++;
	}
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

/* A plain full scan of samtycke's ledger table, every column read. */
static long plain_scan(const char *dir)
{
	char path[4096];
	sqlite3 *db;
	sqlite3_stmt *q;
	long n = 0, bytes = 0;
	snprintf(path, sizeof(path), "%s/samtycke.db", dir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		die("opening samtycke.db", sqlite3_errmsg(db));
	sq_check(db, sqlite3_prepare_v2(db, "SELECT * FROM consent_ledger ORDER BY seq", -1, &q, NULL),
		 "prep");
	while (sqlite3_step(q) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(q); i++) {
			(void)sqlite3_column_blob(q, i);
			bytes += sqlite3_column_bytes(q, i);
		}
		n++;
	}
	sqlite3_finalize(q);
	sqlite3_close(db);
	return bytes ? n : 0;
}

static void line(const char *what, double s, const char *ref, double r)
{
	printf("%-44s %9.3f s   %-22s %8.3f s   ratio %.2f\n", what, s, ref, r, r / s);
}

/* RssAnon (KiB) of this process, sampled every millisecond: the peak of memory that is the
 * process's own (the heap, SQLite's page cache), not the database file's pages that SQLite's
 * mmap brings into VmRSS and the kernel can drop at any time. */
static atomic_int sampling;
static atomic_long anon_peak;

static long rss_anon_kib(void)
{
	char line[256];
	long kib = 0;
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "RssAnon:", 8) == 0)
			kib = strtol(line + 8, NULL, 10);
	if (f)
		fclose(f);
	return kib;
}

static void *sampler(void *arg)
{
	(void)arg;
	while (atomic_load(&sampling)) {
		long k = rss_anon_kib();
		if (k > atomic_load(&anon_peak))
			atomic_store(&anon_peak, k);
		usleep(1000);
	}
	return NULL;
}

/* Runs ledger replay (write -1: only open and close; 0: --check; 1: the rebuild) in a child:
 * seconds, the child's peak VmRSS (getrusage, with the mmapped file) and its peak RssAnon. */
static void replay_child(const char *dir, int mode, double *secs, long *peak_kib, long *anon_kib)
{
	int fd[2];
	if (pipe(fd))
		die("pipe", strerror(errno));
	double t0 = now_s();
	pid_t pid = fork();
	if (pid < 0)
		die("fork", strerror(errno));
	if (pid == 0) {
		struct sk_store *st;
		struct sk_vault *v;
		struct sk_errctx err = {0};
		long ndiff = -1;
		pthread_t th;
		atomic_store(&sampling, 1);
		atomic_store(&anon_peak, 0);
		if (pthread_create(&th, NULL, sampler, NULL))
			_exit(3);
		struct sk_core *c = open_core(dir, 0, &st, &v);
		int rc = mode >= 0 ? sk_ledger_replay(c, mode, NULL, NULL, &ndiff, &err) : 0;
		close_core(c, st, v);
		atomic_store(&sampling, 0);
		pthread_join(th, NULL);
		long peak = atomic_load(&anon_peak);
		if (write(fd[1], &peak, sizeof(peak)) != sizeof(peak))
			_exit(4);
		_exit(rc || (mode >= 0 && ndiff != 0) ? 1 : 0);
	}
	close(fd[1]);
	int status;
	struct rusage ru;
	if (read(fd[0], anon_kib, sizeof(*anon_kib)) != sizeof(*anon_kib))
		*anon_kib = -1;
	close(fd[0]);
	if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		die("replay", "the child failed (differences or an error)");
	*secs = now_s() - t0;
	*peak_kib = ru.ru_maxrss;
}

int main(int argc, char **argv)
{
	char policy_default[4096];
	const char *policy = NULL;
	long n = DEFAULT_N;
	int c;
	while ((c = getopt(argc, argv, "p:")) != -1) {
		if (c == 'p')
			policy = optarg;
		else
			usage();
	}
	if (optind >= argc)
		usage();
	const char *dir = argv[optind];
	if (optind + 1 < argc) {
		char *end;
		n = strtol(argv[optind + 1], &end, 10);
		if (*end || n <= 0)
			usage();
	}
	if (!policy) {
		const char *root = getenv("SK_SOURCE_ROOT");
		snprintf(policy_default, sizeof(policy_default), "%s/examples/policy.yaml",
			 root ? root : ".");
		policy = policy_default;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("bench_audit: N = %ld contacts, each given a newsletter consent, every second one "
	       "withdrawn (%ld ledger events)\n", n, n + n / 2);
	double t0 = now_s();
	load(dir, policy, n);
	printf("loaded in %.1f s\n", now_s() - t0);

	FILE *null = fopen("/dev/null", "w");
	if (!null)
		die("/dev/null", strerror(errno));
	struct sk_store *st;
	struct sk_vault *v;
	struct sk_errctx err = {0};
	struct sk_core *core = open_core(dir, 0, &st, &v);
	long nexp = 0, nfull = 0;

	/* the reference first, so that both find the files in the page cache; each side REPS
	 * times in turn and the fastest kept, so that a burst of other work on the shared
	 * machine weighs less */
	long nplain = 0;
	double plain_s = 1e9, exp_s = 1e9;
	for (int r = 0; r < REPS; r++) {
		t0 = now_s();
		nplain = plain_join(dir, null);
		plain_s = min_d(plain_s, now_s() - t0);
		t0 = now_s();
		if (sk_export_contacts(core, "newsletter", SK_EXPORT_CSV, 1, null, &nexp, &err))
			die("export --allowed-only", err.msg);
		exp_s = min_d(exp_s, now_s() - t0);
	}
	t0 = now_s();
	if (sk_export_contacts(core, "newsletter", SK_EXPORT_CSV, 0, null, &nfull, &err))
		die("export", err.msg);
	double full_s = now_s() - t0;
	if (nexp != nplain || nfull != n)
		die("export", "the exports and the join do not list the same contacts");
	printf("export-contacts --allowed-only: %ld of %ld contacts allowed\n", nexp, n);
	line("export --allowed-only (state index)", exp_s, "plain SQL join", plain_s);
	line("export, every contact gated (old path)", full_s, "plain SQL join", plain_s);

	long nscan = 0;
	int64_t bad = 0, nev = 0;
	double scan_s = 1e9, verify_s = 1e9;
	for (int r = 0; r < REPS; r++) {
		t0 = now_s();
		nscan = plain_scan(dir);
		scan_s = min_d(scan_s, now_s() - t0);
		t0 = now_s();
		if (sk_audit_verify(core, &bad, &nev, NULL, &err))
			die("audit verify", err.msg);
		verify_s = min_d(verify_s, now_s() - t0);
	}
	if (nev != nscan)
		die("audit verify", "did not read every event");
	printf("audit verify: %lld events\n", (long long)nev);
	line("audit verify (BLAKE2b chain, v2)", verify_s, "plain full scan", scan_s);
	close_core(core, st, v);

	double base_s, check_s, whole_s;
	long base_kib, check_kib, whole_kib, base_anon, check_anon, whole_anon;
	replay_child(dir, -1, &base_s, &base_kib, &base_anon);
	replay_child(dir, 0, &check_s, &check_kib, &check_anon);
	replay_child(dir, 1, &whole_s, &whole_kib, &whole_anon);
	line("ledger replay --check (streamed)", check_s, "plain full scan", scan_s);
	line("ledger replay, whole ledger in memory", whole_s, "plain full scan", scan_s);
	printf("peak RSS (VmHWM, with the mmapped file): open and close only %ld KiB; replay --check "
	       "%ld KiB; whole-ledger replay %ld KiB\n", base_kib, check_kib, whole_kib);
	printf("peak RssAnon (heap and page cache, sampled every ms): open and close only %ld KiB; "
	       "replay --check %ld KiB; whole-ledger replay %ld KiB\n", base_anon, check_anon,
	       whole_anon);
	fclose(null);
	return 0;
}
