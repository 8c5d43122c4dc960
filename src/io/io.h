/* io.h: bulk input and output of contacts: the CSV import (io/csv_import.c, its mapping in
 * io/mapping.c) and the export of every contact with the gate's answer (io/export.c).
 * Formats, rules and limits: docs/import-export.md. */
#ifndef SK_IO_H
#define SK_IO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/import.h"
#include "util/version.h"

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

/* Progress given to a caller (the console's import worker): rows read (an earlier run's
 * committed rows included), rows committed so far, bytes read of total_bytes, seconds
 * since this run began, this run's rows per second, seconds left (from the bytes still to
 * read), and done on the last call. */
struct sk_import_progress {
	long rows, committed;
	long long bytes, total_bytes;
	double elapsed_s, rows_per_s, eta_s;
	int done;
	const struct sk_import_counts *counts; /* the counts so far */
};
/* Called every 1,000 rows (at most five times a second), after each committed batch, and
 * once at the end (done). The last call of a real import (not a dry run) comes inside the
 * import's last transaction, before its commit, so that what the callback writes through
 * the core (an audit row) commits with the import's last rows. A nonzero return stops the
 * import as an error would: the open batch is rolled back, the committed ones stay, and a
 * later run of the same file and mapping resumes after them. */
typedef int (*sk_progress_cb)(void *arg, const struct sk_import_progress *p);

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
	sk_progress_cb on_progress; /* may be NULL; called with progress_arg */
	void *progress_arg;
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

/* ---- the console's import jobs (io/import_job.c, docs/console.md "Importing") ---- */

/* A spool directory holds one folder per job, DIR/ID/: upload.csv (the staged file, mode
 * 0600, removed once imported), mapping.json, job.json (the state below) and rejects.csv
 * (line, column, reason: never a value); and the saved mappings, DIR/mappings/NAME.json. */
#define PATH_MAX_SK 4096
#define SK_MAPPING_MAX (1024 * 1024)   /* bytes of a mapping (as for the command line) */
#define SK_MAPPING_NAME_MAX 40          /* a saved mapping's name: a-z, 0-9, -, _ */
#define SK_MAPPINGS_MAX 100             /* saved mappings listed */

/* struct sk_import_job and struct sk_import_reject are declared in core/import.h, so that
 * the console's renderer needs only core. */

/* 1 when id could name a job (letters, digits, _; so never a path). */
int sk_import_job_id_ok(const char *id);
/* Stages a job in dir (created, mode 0700, when missing): a new id, the file and the mapping
 * (both copied, mode 0600), state queued, who and dry_run. */
int sk_import_job_create(const char *dir, const char *csv, size_t csvlen, const char *map,
			 size_t maplen, int dry_run, const struct sk_staff *who,
			 struct sk_import_job *out, struct sk_errctx *err);
/* The job id's state; SK_ERR_NOT_FOUND when there is none. */
int sk_import_job_load(const char *dir, const char *id, struct sk_import_job *out,
		       struct sk_errctx *err);
/* Writes j's state (through a temporary file and a rename). */
int sk_import_job_save(const char *dir, const struct sk_import_job *j, struct sk_errctx *err);
/* Runs job j on c: sk_csv_import of its file and mapping (j->dry_run: a dry run), with its
 * state saved at every progress step (sk_progress_cb's steps) and rejects.csv rewritten
 * whole. hook (may be NULL) is called at each step after the state is saved, with
 * sk_progress_cb's rules (the last call of a real import is inside its last transaction; a
 * nonzero return stops the import). On success j is done and saved, and a real import's
 * upload is removed; on an error j is left running for the caller to record (it keeps the
 * upload so that a later run can resume). */
int sk_import_job_run(struct sk_core *c, const char *dir, struct sk_import_job *j,
		      sk_progress_cb hook, void *hook_arg, struct sk_errctx *err);
/* Removes a job's staged upload; 1 when it is still there. */
void sk_import_job_remove_upload(const char *dir, const char *id);
int sk_import_job_has_upload(const char *dir, const char *id);
/* Removes the staged uploads older than max_age seconds at now (a dry run never imported, an
 * interrupted import never resumed: personal data is not kept for ever), except those of
 * the jobs active says run (active may be NULL). Returns how many it removed. */
#define SK_IMPORT_KEEP_DAYS 7
int sk_import_job_sweep(const char *dir, int64_t now, int64_t max_age,
			int (*active)(const char *id));
/* The path of a job's rejects file (0, or -1 for a bad id or a path too long). */
int sk_import_job_rejects_path(const char *dir, const char *id, char *out, size_t outlen);
/* The first max rejects of a job's rejects file (none while there is no file). */
int sk_import_job_rejects(const char *dir, const char *id, size_t max,
			  struct sk_import_reject *out, size_t *n, struct sk_errctx *err);
/* 1 when name could name a saved mapping. */
int sk_import_mapping_name_ok(const char *name);
/* Saves text (a mapping, already checked) as dir's mapping name, replacing one of the name. */
int sk_import_mapping_save(const char *dir, const char *name, const char *text, size_t len,
			   struct sk_errctx *err);
/* The saved mapping name (*out NUL-terminated; sk_free it); SK_ERR_NOT_FOUND when none. */
int sk_import_mapping_load(const char *dir, const char *name, char **out, size_t *len,
			   struct sk_errctx *err);
/* The names of the saved mappings, sorted, at most max. */
int sk_import_mapping_list(const char *dir, char (*names)[SK_MAPPING_NAME_MAX + 1], size_t max,
			   size_t *n);
/* A mapping written in YAML (the same keys as the JSON) as JSON text (*out: sk_free it):
 * the console takes either. SK_ERR_INVALID names the line. */
int sk_import_map_yaml(const char *text, size_t len, char **out, struct sk_errctx *err);

/* ---- the company ranges file (io/companies.c; docs/tracking.md, helper track) ---- */

#define SK_COMPANY_ROWS_MAX 1000000
/* Reads a CSV file of company ranges (network,company or first,last,company; an optional
 * header row) and replaces the stored ranges with them (sk_company_load), all or nothing.
 * A bad row: SK_ERR_INVALID, the message "line N: FIELD: ..." naming no value. */
struct sk_core;
int sk_companies_load_csv(struct sk_core *c, FILE *in, size_t *nloaded, struct sk_errctx *err);

/* libcsv, with the version it was built against (it has no run-time call; samtycke
 * --version). */
void sk_io_versions(sk_version_fn *fn, void *arg);

#endif
