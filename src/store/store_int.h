/* store_int.h: what the files of src/store share and nothing outside them sees: each
 * backend's open function, which sk_store_open (store.c) reaches through its scheme table. */
#ifndef SK_STORE_INT_H
#define SK_STORE_INT_H

#include "store/store.h"

/* SQLite backend (src/store/sqlite.c), opened on a file path (sk_store_open has taken the
 * URI apart). create != 0: the file must not exist yet and is created and migrated;
 * otherwise it must exist. Opens in WAL mode, synchronous=FULL, secure_delete=ON, foreign
 * keys on, and runs any pending migration. */
int sk__store_open_sqlite(const char *path, int create, struct sk_store **out,
			  struct sk_errctx *err);

/* PostgreSQL backend (src/store/pg.c), opened on the whole URI (handed to libpq's
 * PQconnectdb). The database must exist; create != 0 makes the schema in it (EXISTS when
 * there is one), otherwise it must hold one (NOT_INITIALISED); an older one is migrated. */
int sk__store_open_pg(const char *uri, int create, struct sk_store **out, struct sk_errctx *err);

/* The SQL of rows_each and rows_put for each table, at the index of sk_store_tables:
 * constants made from store.c's table list. select: every column in the table's order, rows
 * in its order (both backends); insert: SQLite's, with ?N parameters; insert_pg:
 * PostgreSQL's, with $N and ON CONFLICT DO NOTHING (a taken key is EXISTS by the row count,
 * never an error that would end the caller's transaction). */
struct sk__store_rows_sql {
	const char *select;
	const char *insert;
	const char *insert_pg;
};
extern const struct sk__store_rows_sql sk__store_rows_sql[];

/* Where the last SK_ERR_CORRUPT on this thread was found ("table.column"), set by the
 * backends, read through sk_store_corrupt_where. */
void sk__store_corrupt(const char *where);

/* For the tests: how often the SQLite backend's hot gate cache (sqlite.c) answered and
 * missed, summed over every handle on the file of s. -1 when s has no cache (yet). */
int sk__store_sqlite_hot_stats(struct sk_store *s, long *hits, long *misses);
/* For the tests: the answers the table keeps now, of any generation; -1 without a table. */
long sk__store_sqlite_hot_kept(struct sk_store *s);

#endif
