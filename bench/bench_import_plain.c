/* bench_import_plain.c: the plain side of bench/import.sh. Reads the same CSV with libcsv and
 * inserts every row into one SQLite table in one transaction with one prepared statement: no
 * hashing, no sealing, no ledger. Prints rows, seconds and peak memory. */
#include <csv.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define NCOLS 13

struct ld {
	sqlite3_stmt *st;
	int col;
	long rows;
	int header;
	int failed;
};

static void cell(void *s, size_t len, void *data)
{
	struct ld *x = data;
	if (!x->header && x->col < NCOLS)
		sqlite3_bind_text(x->st, x->col + 1, s ? s : "", (int)len, SQLITE_TRANSIENT);
	x->col++;
}

static void row(int c, void *data)
{
	struct ld *x = data;
	(void)c;
	if (x->header) {
		x->header = 0;
	} else {
		if (sqlite3_step(x->st) != SQLITE_DONE)
			x->failed = 1;
		sqlite3_reset(x->st);
		x->rows++;
	}
	x->col = 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct ld x = {.header = 1};
	struct csv_parser p;
	struct rusage ru;
	sqlite3 *db;
	char buf[65536];
	size_t n;

	if (argc != 3) {
		fprintf(stderr, "usage: bench_import_plain CSV DB\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f || sqlite3_open(argv[2], &db) != SQLITE_OK) {
		fprintf(stderr, "bench_import_plain: cannot open %s or %s\n", argv[1], argv[2]);
		return 1;
	}
	double t0 = now_s();
	sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			 "CREATE TABLE c(email TEXT PRIMARY KEY, first_name TEXT, last_name TEXT,"
			 " company TEXT, nl TEXT, nl_at TEXT, nl_src TEXT, of TEXT, of_at TEXT,"
			 " of_src TEXT, ls TEXT, ls_at TEXT, ls_src TEXT); BEGIN IMMEDIATE;",
		     NULL, NULL, NULL);
	if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO c VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)", -1,
			       &x.st, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_import_plain: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	csv_init(&p, CSV_APPEND_NULL);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		csv_parse(&p, buf, n, cell, row, &x);
	csv_fini(&p, cell, row, &x);
	sqlite3_finalize(x.st);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	double s = now_s() - t0;
	sqlite3_close(db);
	csv_free(&p);
	fclose(f);
	getrusage(RUSAGE_SELF, &ru);
	printf("plain rows %ld seconds %.3f rows_per_s %.0f peak_rss_kb %ld%s\n", x.rows, s,
	       (double)x.rows / s, ru.ru_maxrss, x.failed ? " (some inserts failed)" : "");
	return x.failed;
}
