/* import.h: applying one row of a bulk import (docs/import-export.md): the consent rules
 * (evidence or unverified, refusals, opt-outs kept), suppression, declared fields, and
 * duplicate addresses within one file. The CSV reading itself is in io/csv_import.c. */
#ifndef SK_IMPORT_H
#define SK_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/* Why a row was rejected; names go into reports (never values). */
enum sk_reject {
	SK_REJ_NONE,
	SK_REJ_INVALID_EMAIL,
	SK_REJ_SUPPRESSED,
	SK_REJ_UNDECLARED_FIELD,
	SK_REJ_INVALID,
	SK_REJ_DUPLICATE,
	SK_REJ_TOO_LARGE,
	SK_REJ_NUL_BYTE,         /* a NUL byte in a cell the mapping uses */
	SK_REJ_REPLACEMENT_CHAR, /* U+FFFD in such a cell: text damaged by an earlier conversion */
};
const char *sk_reject_name(int r);

struct sk_import_counts {
	long rows;        /* data rows read (rejected ones included) */
	long created;     /* contacts created */
	long updated;     /* rows that matched a contact already there */
	long given;       /* gives with date and source (given, or pending under double opt-in) */
	long unverified;  /* "yes" without date or source: stored as unverified */
	long refused;     /* refusals (a withdrawal when the consent was given) */
	long unchanged;   /* consent cells that changed nothing (same or older, opt-out kept) */
	long rejected;    /* rows rejected */
	long fields_dropped; /* field cells not stored: no purpose the row consents to needs them */
};

/* What a CSV import (io/csv_import.c, sk_csv_import) did: here beside the counts so that
 * the renderer (render/import.c) needs only core. */
struct sk_csv_import_report {
	struct sk_import_counts counts;
	char file_sha256[65];
	long resumed_after;     /* data rows a previous run had committed; 0 for a fresh run */
	int already_complete;   /* the same file and mapping were imported completely before */
	char delimiter;
	int bom;
};

/* A console import job (io/import_job.c keeps it in its spool folder; docs/console.md). */
enum sk_job_state { SK_JOB_QUEUED, SK_JOB_RUNNING, SK_JOB_DONE, SK_JOB_FAILED };
/* "queued", "running", "done", "failed" (core/import.c) */
const char *sk_job_state_name(enum sk_job_state s);

struct sk_import_job {
	char id[SK_ID_LEN + 1];
	char staff[64];          /* who started it (struct sk_staff's name) */
	enum sk_role role;
	int dry_run;
	enum sk_job_state state;
	int64_t created;
	long rows, committed;    /* rows read; rows committed (an earlier run's included) */
	long long bytes, total_bytes;
	double elapsed_s, rows_per_s, eta_s;
	long resumed_after;      /* rows an earlier run had committed */
	int already_complete;    /* this file and mapping were imported completely before */
	int runs;                /* runs begun: more than one after a dry run or a resume */
	char error[256];         /* why it failed (never a value of the file) */
	char file_sha256[65];
	struct sk_import_counts counts;
};

/* A rejected row as the page lists it. */
struct sk_import_reject {
	long long line;
	char column[128];
	char reason[32];
};

/* One consent of a row, as the mapping names it: purpose, and the cells (NULL or "" when
 * empty) with their column names (for reports). */
struct sk_import_consent {
	const char *purpose;
	const char *value, *at, *source;
	const char *value_col, *at_col, *source_col;
};

struct sk_import_row {
	const char *email;
	const char *email_col;
	const struct sk_field_value *fields; /* empty cells left out */
	const char *const *field_cols;       /* the column of each field */
	size_t nfields;
	const struct sk_import_consent *consents;
	size_t nconsents;
	const char *evidence_json;           /* sealed with each give; NULL for none */
};

struct sk_import;

/* An import run on c; dry_run reads but never writes. */
int sk_import_new(struct sk_core *c, int dry_run, struct sk_import **out);
void sk_import_free(struct sk_import *im);
/* Switches writing off (1) or on (0) for the next rows. */
void sk_import_set_dry_run(struct sk_import *im, int dry_run);
/* Applies one row inside the caller's batch. A rejected row sets *reason (SK_REJ_*) and
 * *column (the column at fault, "" when none) and writes nothing; counts go to *counts.
 * Minimisation, as forms do: a field is stored only when a purpose that the row consents to
 * (a yes the import records, given or unverified, or one that confirms a consent already
 * live) or a purpose on another basis than consent needs it; the others are dropped
 * (counts->fields_dropped) and not validated. Returns 0, or an error (storage) that must
 * stop the import. */
int sk_import_row(struct sk_import *im, const struct sk_import_row *row,
		  struct sk_import_counts *counts, int *reason, const char **column,
		  struct sk_errctx *err);
/* Deferred mode (1), for batches: sk_import_row validates and counts a row in file order
 * as before, but keeps what it would write (copied) until sk_import_flush, which writes the
 * batch's rows sorted by email_key, so that the trees ordered by it are written in key order.
 * Rows of one address keep their file order (the second is a duplicate anyway). The caller
 * holds one transaction from the first row to the flush. Off (0, the default): each row is
 * written at once. */
void sk_import_set_deferred(struct sk_import *im, int deferred);
/* Writes the rows kept in deferred mode, in email_key order, and forgets them (also when a
 * write fails: the caller then rolls its transaction back). 0, or the first error. */
int sk_import_flush(struct sk_import *im, struct sk_errctx *err);
/* Rows kept and the bytes they hold (to bound a batch's memory). */
size_t sk_import_pending(const struct sk_import *im);
size_t sk_import_pending_bytes(const struct sk_import *im);
/* Marks an address as seen (rows skipped when an import resumes), so that a later copy of
 * it is still a duplicate. Invalid addresses are ignored. */
void sk_import_mark_seen(struct sk_import *im, const char *email);
/* 1 for yes/ja/true/1/y, 0 for no/nej/false/0/n, -1 for empty, -2 for anything else. */
int sk_import_yesno(const char *v);
/* RFC 3339 or a plain YYYY-MM-DD (midnight UTC); 0 or SK_ERR_INVALID. */
int sk_import_date(const char *v, int64_t *out);

/* The import record: how far an import of one file with one mapping got (rows committed and
 * the counts so far), kept in the store inside each batch so that a re-run resumes after the
 * last committed row. id names file and mapping (their SHA-256), never data. *found is 0
 * when there is none. */
int sk_import_record_get(struct sk_core *c, const char *id, struct sk_import_counts *out,
			 int *done, int *found, struct sk_errctx *err);
int sk_import_record_put(struct sk_core *c, const char *id, const struct sk_import_counts *n,
			 int done, struct sk_errctx *err);

/* Up to limit contact ids after after ("" for the start), in id order, into ids; *n gets
 * how many (fewer than limit at the end). For exports that page through every contact. */
int sk_contact_page(struct sk_core *c, const char *after, long limit,
		    char (*ids)[SK_ID_LEN + 1], size_t *n, struct sk_errctx *err);

#endif
