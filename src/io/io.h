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
#define SK_IMPORT_BATCH 1000       /* rows per transaction */

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

typedef int (*sk_reject_cb)(void *arg, int64_t line, const char *reason, const char *column);

struct sk_csv_import_opts {
	const char *map_text;   /* the mapping as given */
	size_t map_len;
	int dry_run;
	int progress;           /* draw a progress bar on stderr */
	sk_reject_cb reject;    /* may be NULL */
	void *reject_arg;
};

struct sk_csv_import_report {
	struct sk_import_counts counts;
	char file_sha256[65];
	long resumed_after;     /* data rows a previous run had committed; 0 for a fresh run */
	int already_complete;   /* the same file and mapping were imported completely before */
	char delimiter;
	int bom;
};

/* Imports the CSV in (seekable: it is read once for its SHA-256, then parsed streaming),
 * in transactions of SK_IMPORT_BATCH rows, resuming after the last committed row of an
 * earlier run of the same file and mapping. */
int sk_csv_import(struct sk_core *c, FILE *in, const struct sk_csv_import_opts *o,
		  struct sk_csv_import_report *out, struct sk_errctx *err);

/* The report as JSON (CLI --json and POST /v1/imports): counts, file hash, resume state. */
struct json_t *sk_import_report_json(const struct sk_csv_import_report *r, int dry_run);

/* ---- the export (io/export.c) ---- */

enum sk_export_format { SK_EXPORT_CSV, SK_EXPORT_NDJSON };

/* Writes every contact (allowed_only: those the gate allows for purpose) with the gate's
 * answer and its fields to out, streaming, page by page. *n gets the rows written. */
int sk_export_contacts(struct sk_core *c, const char *purpose, enum sk_export_format fmt,
		       int allowed_only, FILE *out, long *n, struct sk_errctx *err);
/* Writes one CSV cell (RFC 4180 quoting; a leading =, +, -, @, tab or CR gets a ' first). */
int sk_csv_cell(FILE *out, const char *s);

#endif
