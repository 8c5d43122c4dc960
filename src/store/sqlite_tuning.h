/* sqlite_tuning.h: the page cache and memory-mapped I/O each samtycke connection uses, in
 * one place, so that bench/bench_core.c can give its plain SQLite reference the same. */
#ifndef SK_SQLITE_TUNING_H
#define SK_SQLITE_TUNING_H

/* 16 MiB of page cache; up to 256 MiB of the file read through mmap (address space, not
 * memory: the kernel's page cache backs it). Writes still go through the WAL as usual. */
#define SK_SQLITE_TUNING "PRAGMA cache_size = -16384; PRAGMA mmap_size = 268435456;"

#endif
