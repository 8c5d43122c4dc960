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

/* For the tests: how often the SQLite backend's hot gate cache (sqlite.c) answered and
 * missed, summed over every handle on the file of s. -1 when s has no cache (yet). */
int sk__store_sqlite_hot_stats(struct sk_store *s, long *hits, long *misses);
/* For the tests: the answers the table keeps now, of any generation; -1 without a table. */
long sk__store_sqlite_hot_kept(struct sk_store *s);

#endif
