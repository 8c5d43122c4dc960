/* io.h: bulk input and output of contacts: the CSV import (io/csv_import.c, its mapping in
 * io/mapping.c) and the export of every contact with the gate's answer (io/export.c).
 * Formats, rules and limits: docs/import-export.md. */
#ifndef SK_IO_H
#define SK_IO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/import.h"

#define SK_CSV_MAX_ROW (64 * 1024) /* bytes in one row */
#define SK_CSV_MAX_COLS 256
#define SK_IMPORT_BATCH 5000       /* rows in the first transaction; each next one doubles */
#define SK_IMPORT_BATCH_MAX 80000  /* ... up to this many */
#define SK_IMPORT_BATCH_BYTES (32 * 1024 * 1024) /* or fewer: the rows a batch holds until it
						   * is written in key order stay under this */

/* ---- the mapping (io/mapping.c) ---- */

struct sk_map_consent {
	char *purpose;
	char *value, *at, *source; /* column names; at and source may be NULL */
	int value_i, at_i, source_i; /* column indexes once bound, -1 when absent */
};

struct sk_map_field {
	char *field;  /* a declared field */
	char *column;
	int col_i;
};

struct sk_import_map {
	char *email;  /* the column holding the address */
	char *encoding; /* the file's encoding for iconv ("windows-1252", "utf-16"...); NULL for
			 * UTF-8 (the default; "utf-8" and "utf8" are stored as NULL) */
	int email_i;
	struct sk_map_field *fields;
	size_t nfields;
	struct sk_map_consent *consents;
	size_t nconsents;
};

/* Parses a mapping (JSON, docs/import-export.md). Errors name the key, never a value. */
int sk_import_map_parse(const char *text, size_t len, struct sk_import_map **out,
			struct sk_errctx *err);
void sk_import_map_free(struct sk_import_map *m);
/* Binds the mapping to a header row and checks it against the policy: every column it names
 * must be in the header, every field declared and needed by a purpose, every purpose in
 * the policy. Fails the whole import (SK_ERR_INVALID, SK_ERR_UNDECLARED_FIELD,
 * SK_ERR_UNKNOWN_PURPOSE) before any row. */
int sk_import_map_bind(struct sk_import_map *m, const char *const *cols, size_t ncols,
		       const struct sk_policy *policy, struct sk_errctx *err);

/* ---- the CSV import (io/csv_import.c) ---- */

/* A rejected row: its first physical line, the reason (SK_REJ_* name), the column at fault
 * ("" for none) and the row's cells as read (ncells of them; for --rejects-with-data only:
 * they are personal data). */
typedef int (*sk_reject_cb)(void *arg, int64_t line, const char *reason, const char *column,
			    const char *const *cells, size_t ncells);
/* The header row (trimmed names), once, before the first reject. */
typedef int (*sk_header_cb)(void *arg, const char *const *cols, size_t ncols);

/* Progress of an import on stderr: nothing; a line redrawn in place (rows, rate, time
 * left: for a terminal); or one JSON object per line, after every committed batch and once
 * at the end (for scripts: the fields are in docs/import-export.md). */
enum { SK_PROGRESS_NONE, SK_PROGRESS_TTY, SK_PROGRESS_JSON };

struct sk_csv_import_opts {
	const char *map_text;   /* the mapping as given */
	size_t map_len;
	int dry_run;
	int progress;           /* SK_PROGRESS_*: how progress shows on stderr */
	int bulk;               /* the store's bulk mode (sk_core_bulk) for the import: for a
				 * process of its own (the CLI), not a shared server connection */
	sk_reject_cb reject;    /* may be NULL */
	sk_header_cb header;    /* may be NULL; called with reject_arg */
	void *reject_arg;
	size_t batch_bytes;     /* a batch is committed early once its rows waiting for their
				 * sorted write hold this many bytes; 0: SK_IMPORT_BATCH_BYTES */
};

/* struct sk_csv_import_report (what sk_csv_import did) is declared in core/import.h, so
 * that render/import.c can give its JSON without using io. */

/* Imports the CSV in (seekable: it is read twice). The first pass hashes the file (SHA-256)
 * and checks it whole before anything is stored: the encoding (UTF-8, or the mapping's
 * "encoding" through iconv; UTF-16 and Latin-1 are named in the error), the header, and
 * every row's structure (a quote never closed, a row over SK_CSV_MAX_ROW); an error names
 * the line (and byte). The second pass imports streaming, in transactions of
 * SK_IMPORT_BATCH rows, resuming after the last committed row of an earlier run of the same
 * file and mapping. */
int sk_csv_import(struct sk_core *c, FILE *in, const struct sk_csv_import_opts *o,
		  struct sk_csv_import_report *out, struct sk_errctx *err);

/* ---- the export (io/export.c) ---- */

enum sk_export_format { SK_EXPORT_CSV, SK_EXPORT_NDJSON, SK_EXPORT_CSV_SPREADSHEET };

/* Writes every contact (allowed_only: those the gate allows for purpose) with the gate's
 * answer and its fields to out, streaming, page by page. *n gets the rows written.
 * SK_EXPORT_CSV is exact (every value as stored); SK_EXPORT_CSV_SPREADSHEET is for Excel
 * and the like: a UTF-8 BOM first and sk_csv_cell_sheet cells. */
int sk_export_contacts(struct sk_core *c, const char *purpose, enum sk_export_format fmt,
		       int allowed_only, FILE *out, long *n, struct sk_errctx *err);
/* Writes one CSV cell exactly (RFC 4180 quoting when it holds a delimiter, quote or line
 * break, or starts or ends with a space or tab, so that a re-import reads it unchanged). */
int sk_csv_cell(FILE *out, const char *s);
/* The same for a spreadsheet: a cell starting with =, +, -, @, tab or CR gets a ' first, so
 * that it is never run as a formula (CSV injection). Not exact: for people, not machines. */
int sk_csv_cell_sheet(FILE *out, const char *s);

#endif
