/* bench_writes_plain.c: the plain-SQLite reference of bench/writes.sh. T threads, each with
 * its own connection (WAL, synchronous=FULL and busy_timeout as samtycke sets them), insert
 * one row per transaction (BEGIN IMMEDIATE, INSERT, COMMIT) for S seconds into a table that
 * holds N rows first; prints the rate and the p50 and p99 of one transaction. It prints
 * figures and never fails on speed. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "store/sqlite_tuning.h"

#define BUSY_MS 5000 /* as src/store/sqlite.c */
#define MAX_SAMPLES 2000000

static const char *path;
static double seconds;
static double t_end;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static double *lat; /* seconds per transaction, all threads */
static long nlat;
static long nfail;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, sqlite3 *db)
{
	fprintf(stderr, "bench_writes_plain: %s: %s\n", what, db ? sqlite3_errmsg(db) : "");
	exit(1);
}

static sqlite3 *open_db(void)
{
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die("open", db);
	sqlite3_busy_timeout(db, BUSY_MS);
	if (sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
			     SK_SQLITE_TUNING, NULL, NULL, NULL) != SQLITE_OK)
		die("pragmas", db);
	return db;
}

/* One row like a consent event: a key, a time and ~200 bytes of payload. */
static int insert(sqlite3_stmt *ins, long tid, long i)
{
	char key[64], payload[200];
	snprintf(key, sizeof(key), "t%ld-%ld@bench.example", tid, i);
	memset(payload, 'x', sizeof(payload));
	sqlite3_bind_text(ins, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(ins, 2, (sqlite3_int64)time(NULL));
	sqlite3_bind_blob(ins, 3, payload, sizeof(payload), SQLITE_TRANSIENT);
	int rc = sqlite3_step(ins);
	sqlite3_reset(ins);
	return rc == SQLITE_DONE ? 0 : rc;
}

static void *writer(void *arg)
{
	long tid = (long)arg, i = 0;
	sqlite3 *db = open_db();
	sqlite3_stmt *begin, *commit, *rollback, *ins;
	if (sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, NULL) ||
	    sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL) ||
	    sqlite3_prepare_v2(db, "ROLLBACK", -1, &rollback, NULL) ||
	    sqlite3_prepare_v2(db, "INSERT INTO ev(email, at, payload) VALUES (?1, ?2, ?3)", -1,
			       &ins, NULL))
		die("prepare", db);
	while (now_s() < t_end) {
		double t0 = now_s();
		int rc = sqlite3_step(begin);
		sqlite3_reset(begin);
		if (rc == SQLITE_DONE)
			rc = insert(ins, tid, i++);
		else
			rc = rc == SQLITE_DONE ? 0 : rc;
		if (rc == 0) {
			rc = sqlite3_step(commit);
			sqlite3_reset(commit);
			rc = rc == SQLITE_DONE ? 0 : rc;
		}
		if (rc) {
			sqlite3_step(rollback);
			sqlite3_reset(rollback);
		}
		double dt = now_s() - t0;
		pthread_mutex_lock(&mu);
		if (rc)
			nfail++;
		else if (nlat < MAX_SAMPLES)
			lat[nlat++] = dt;
		pthread_mutex_unlock(&mu);
	}
	sqlite3_finalize(begin);
	sqlite3_finalize(commit);
	sqlite3_finalize(rollback);
	sqlite3_finalize(ins);
	sqlite3_close(db);
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: bench_writes_plain DB THREADS SECONDS PREFILL\n");
		return 2;
	}
	path = argv[1];
	long threads = strtol(argv[2], NULL, 10), prefill = strtol(argv[4], NULL, 10);
	seconds = strtod(argv[3], NULL);
	if (threads < 1 || threads > 1024 || seconds <= 0 || prefill < 0) {
		fprintf(stderr, "bench_writes_plain: THREADS 1 to 1024, SECONDS > 0, PREFILL >= 0\n");
		return 2;
	}
	if (!(lat = malloc(sizeof(double) * MAX_SAMPLES)))
		return 1;
	sqlite3 *db = open_db();
	if (sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS ev(seq INTEGER PRIMARY KEY, email TEXT "
			     "UNIQUE, at INTEGER, payload BLOB)", NULL, NULL, NULL))
		die("create", db);
	sqlite3_stmt *ins;
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) ||
	    sqlite3_prepare_v2(db, "INSERT INTO ev(email, at, payload) VALUES (?1, ?2, ?3)", -1,
			       &ins, NULL))
		die("prefill", db);
	for (long i = 0; i < prefill; i++)
		if (insert(ins, -1, i))
			die("prefill insert", db);
	sqlite3_finalize(ins);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL))
		die("prefill commit", db);
	sqlite3_close(db);

	pthread_t *t = calloc((size_t)threads, sizeof(*t));
	double t0 = now_s();
	t_end = t0 + seconds;
	for (long i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, writer, (void *)i))
			die("pthread_create", NULL);
	for (long i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	double el = now_s() - t0;
	qsort(lat, (size_t)nlat, sizeof(double), cmp);
	double p50 = nlat ? lat[nlat / 2] : 0, p99 = nlat ? lat[(long)(nlat * 0.99)] : 0;
	printf("PLAINBENCH threads=%ld commits=%ld seconds=%.3f rps=%.1f p50_us=%.0f "
	       "p99_us=%.0f failed=%ld\n",
	       threads, nlat, el, (double)nlat / el, p50 * 1e6, p99 * 1e6, nfail);
	free(t);
	free(lat);
	return 0;
}
