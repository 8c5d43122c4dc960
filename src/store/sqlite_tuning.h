/* sqlite_tuning.h: the page cache and memory-mapped I/O each samtycke connection uses, in
 * one place, so that bench/bench_core.c can give its plain SQLite reference the same. */
#ifndef SK_SQLITE_TUNING_H
#define SK_SQLITE_TUNING_H

/* Up to this much of the file is read through mmap (address space, not memory: the kernel's
 * page cache backs it, and only the pages touched count in RSS). A build may set another
 * (-DSK_SQLITE_MMAP_BYTES=N) to measure; SQLite caps it at its own maximum (2 GiB on Debian). */
#ifndef SK_SQLITE_MMAP_BYTES
#define SK_SQLITE_MMAP_BYTES 268435456
#endif
#define SK__STR(x) #x
#define SK__XSTR(x) SK__STR(x)

/* Entries of the hot gate cache (sqlite.c, "the hot gate cache"): one table per database
 * file, shared by the handles of a process that ask the gate outside a transaction (the
 * server's worker threads), about 200 bytes an entry: 131,072 are about 26 MiB at most (a
 * power of two; pages are touched only as entries fill). A build may set another
 * (-DSK_SQLITE_HOT_SLOTS=N) to measure. */
#ifndef SK_SQLITE_HOT_SLOTS
#define SK_SQLITE_HOT_SLOTS 131072
#endif

/* 16 MiB of page cache; mmap as above. Writes still go through the WAL as usual. */
#define SK_SQLITE_CACHE "PRAGMA cache_size = -16384;"
#define SK_SQLITE_TUNING SK_SQLITE_CACHE " PRAGMA mmap_size = " SK__XSTR(SK_SQLITE_MMAP_BYTES) ";"

#endif
