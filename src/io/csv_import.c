/* csv_import.c: the streaming CSV import. libcsv parses RFC 4180 (with a ',' or ';'
 * delimiter taken from the header line, UTF-8 with or without BOM) fed one physical line at a
 * time, so every row knows the line it starts on and memory stays bounded by one row. */
#include <csv.h>
#include <jansson.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "io/io.h"
#include "util/mem.h"
#include "util/str.h"
#include "vault/vault.h"

#define CHUNK 65536
#define ROWBUF (SK_CSV_MAX_ROW + 2 * SK_CSV_MAX_COLS + 16)

struct imp {
	struct sk_core *c;
	const struct sk_csv_import_opts *o;
	struct sk_csv_import_report *rep;
	struct sk_errctx *err;
	struct sk_import_map *map;
	struct sk_import *im;
	struct csv_parser p;
	/* the row being read: NUL-terminated cells at off[i] in row */
	char *row;
	size_t rowlen;
	size_t off[SK_CSV_MAX_COLS];
	size_t ncols;
	int too_many;
	/* the header */
	char **hdr;
	size_t nhdr;
	/* lines: line is the physical line being fed, row_line where the current row began */
	int64_t line, row_line;
	int at_boundary, line_started;
	size_t pending;
	int ended;             /* a row ended during the last feed */
	int rc;                /* the first fatal error; parsing goes on, ignored */
	long skip;             /* data rows committed by an earlier run */
	long in_batch;
	char id[96];
	/* progress */
	long long fsize, fpos;
	int drawn;
};

static void cell(void *s, size_t len, void *data)
{
	struct imp *x = data;
	if (x->rc)
		return;
	if (x->ncols == SK_CSV_MAX_COLS) {
		x->too_many = 1;
		return;
	}
	if (x->rowlen + len + 1 > ROWBUF) { /* cannot happen: pending is checked first */
		x->too_many = 1;
		return;
	}
	x->off[x->ncols++] = x->rowlen;
	if (len && s)
		memcpy(x->row + x->rowlen, s, len);
	x->rowlen += len;
	x->row[x->rowlen++] = '\0';
}

static const char *col(struct imp *x, int i)
{
	return i >= 0 && (size_t)i < x->ncols ? x->row + x->off[i] : NULL;
}

static char *trimdup(const char *s)
{
	size_t n;
	s = sk_trim(s, &n);
	return sk_strndup(s, n);
}

static int header(struct imp *x)
{
	if (x->too_many)
		return sk_errf(x->err, SK_ERR_TOO_LARGE, "line 1: the header has more than %d "
			       "columns", SK_CSV_MAX_COLS);
	if (!(x->hdr = sk_calloc(x->ncols ? x->ncols : 1, sizeof(char *))))
		return sk_errf(x->err, SK_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < x->ncols; i++) {
		if (!(x->hdr[i] = trimdup(col(x, (int)i))))
			return sk_errf(x->err, SK_ERR_NOMEM, "out of memory");
		x->nhdr++;
	}
	return sk_import_map_bind(x->map, (const char *const *)x->hdr, x->nhdr, x->c->policy,
				  x->err);
}

static void progress(struct imp *x, int last)
{
	if (!x->o->progress || x->fsize <= 0)
		return;
	int pct = (int)(x->fpos * 100 / x->fsize), w = pct * 30 / 100;
	fprintf(stderr, "\rimporting [%.*s%*s] %3d%% %ld rows", w,
		"##############################", 30 - w, "", pct, x->rep->counts.rows);
	if (last)
		fputc('\n', stderr);
	x->drawn = 1;
}

static int reject(struct imp *x, int64_t line, int reason, const char *column)
{
	if (!x->o->reject)
		return 0;
	int rc = x->o->reject(x->o->reject_arg, line, sk_reject_name(reason), column);
	return rc ? sk_errf(x->err, rc, "writing the reject report") : 0;
}

/* One data row. skipped: committed by an earlier run; checked again (for duplicates and
 * the reject report) without writing or counting. */
static int data_row(struct imp *x, int skipped)
{
	struct sk_field_value fields[64];
	const char *fcols[64];
	struct sk_import_consent cons[64];
	struct sk_import_counts scratch = {0};
	struct sk_import_row r = {0};
	char evidence[200];
	const char *column = "";
	int reason = SK_REJ_NONE, rc;
	struct sk_import_counts *counts = skipped ? &scratch : &x->rep->counts;

	if (x->too_many || x->ncols != x->nhdr) {
		counts->rows++;
		counts->rejected++;
		return reject(x, x->row_line, x->too_many ? SK_REJ_TOO_LARGE : SK_REJ_INVALID, "");
	}
	r.email = col(x, x->map->email_i);
	r.email_col = x->map->email;
	for (size_t i = 0; i < x->map->nfields && i < 64; i++) {
		const char *v = col(x, x->map->fields[i].col_i);
		if (!v || !*v)
			continue;
		fields[r.nfields] = (struct sk_field_value){x->map->fields[i].field, v};
		fcols[r.nfields++] = x->map->fields[i].column;
	}
	r.fields = fields;
	r.field_cols = fcols;
	for (size_t i = 0; i < x->map->nconsents && i < 64; i++) {
		const struct sk_map_consent *mc = &x->map->consents[i];
		cons[r.nconsents++] = (struct sk_import_consent){
			mc->purpose, col(x, mc->value_i), col(x, mc->at_i), col(x, mc->source_i),
			mc->value, mc->at ? mc->at : "", mc->source ? mc->source : ""};
	}
	r.consents = cons;
	snprintf(evidence, sizeof(evidence), "{\"import\":{\"file_sha256\":\"%s\",\"line\":%lld}}",
		 x->rep->file_sha256, (long long)x->row_line);
	r.evidence_json = evidence;
	if (skipped) {
		int dry = x->o->dry_run;
		sk_import_set_dry_run(x->im, 1);
		rc = sk_import_row(x->im, &r, counts, &reason, &column, x->err);
		sk_import_set_dry_run(x->im, dry);
	} else {
		rc = sk_import_row(x->im, &r, counts, &reason, &column, x->err);
	}
	if (rc)
		return rc;
	return reason ? reject(x, x->row_line, reason, column) : 0;
}

static int batch_flush(struct imp *x, int done)
{
	int rc;
	if (x->o->dry_run)
		return 0;
	if ((rc = sk_import_record_put(x->c, x->id, &x->rep->counts, done, x->err)) ||
	    (rc = sk_core_batch_commit(x->c, x->err)))
		return rc;
	x->in_batch = 0;
	return done ? 0 : sk_core_batch_begin(x->c, x->err);
}

static void row_end(int term, void *data)
{
	struct imp *x = data;
	(void)term;
	x->ended = 1;
	if (!x->rc) {
		if (!x->hdr) {
			x->rc = header(x);
		} else if (x->rep->counts.rows < x->skip) {
			/* counted by the earlier run: the record holds the totals */
			x->rep->counts.rows++;
			x->rc = data_row(x, 1);
		} else {
			x->rc = data_row(x, 0);
			if (!x->rc && !x->o->dry_run && ++x->in_batch >= SK_IMPORT_BATCH)
				x->rc = batch_flush(x, 0);
			if (x->rep->counts.rows % 1000 == 0)
				progress(x, 0);
		}
	}
	x->ncols = 0;
	x->rowlen = 0;
	x->too_many = 0;
}

/* Feeds one piece of a physical line (up to and including its '\n', if any). */
static int feed(struct imp *x, const char *s, size_t len)
{
	int nl = len && s[len - 1] == '\n';
	if (!x->line_started && x->at_boundary &&
	    ((len == 1 && nl) || (len == 2 && nl && s[0] == '\r'))) {
		x->line++; /* a blank line between rows */
		return 0;
	}
	if (x->at_boundary) {
		x->row_line = x->line;
		x->at_boundary = 0;
	}
	x->line_started = 1;
	x->pending += len;
	if (x->pending > SK_CSV_MAX_ROW)
		return sk_errf(x->err, SK_ERR_TOO_LARGE, "line %lld: the row that begins here is "
			       "over %d KiB (or a quote is never closed)", (long long)x->row_line,
			       SK_CSV_MAX_ROW / 1024);
	x->ended = 0;
	if (csv_parse(&x->p, s, len, cell, row_end, x) != len)
		return sk_errf(x->err, SK_ERR_INVALID, "line %lld: %s", (long long)x->line,
			       csv_strerror(csv_error(&x->p)));
	if (x->rc)
		return x->rc;
	x->fpos += (long long)len;
	if (x->ended) {
		x->pending = 0;
		x->at_boundary = 1;
	}
	if (nl) {
		x->line++;
		x->line_started = 0;
	}
	return 0;
}

/* ',' or ';': whichever appears more often outside quotes in the header line. */
static char delimiter(const char *s, size_t len)
{
	size_t comma = 0, semi = 0;
	int q = 0;
	for (size_t i = 0; i < len && s[i] != '\n'; i++) {
		if (s[i] == '"')
			q = !q;
		else if (!q && s[i] == ',')
			comma++;
		else if (!q && s[i] == ';')
			semi++;
	}
	return semi > comma ? ';' : ',';
}

static int file_hash(FILE *in, char out[65], long long *size, struct sk_errctx *err)
{
	struct sk_hasher st;
	uint8_t h[32];
	char *buf = sk_malloc(CHUNK);
	size_t n;
	if (!buf)
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	sk_hasher_init(&st);
	*size = 0;
	while ((n = fread(buf, 1, CHUNK, in)) > 0) {
		sk_hasher_update(&st, buf, n);
		*size += (long long)n;
	}
	sk_free(buf);
	if (ferror(in) || fseek(in, 0, SEEK_SET))
		return sk_errf(err, SK_ERR_IO, "cannot read the CSV file (it must be a regular file)");
	sk_hasher_final(&st, h);
	sk_hex(h, 32, out);
	return 0;
}

int sk_csv_import(struct sk_core *c, FILE *in, const struct sk_csv_import_opts *o,
		  struct sk_csv_import_report *out, struct sk_errctx *err)
{
	struct imp x = {.c = c, .o = o, .rep = out, .err = err, .line = 1, .at_boundary = 1};
	uint8_t mh[32];
	char mhex[65];
	char *buf = NULL;
	size_t n;
	int rc, found = 0, done = 0, first = 1, in_tx = 0;

	memset(out, 0, sizeof(*out));
	if ((rc = sk_core_need_policy(c, err)) ||
	    (rc = sk_import_map_parse(o->map_text, o->map_len, &x.map, err)))
		return rc;
	if (csv_init(&x.p, CSV_APPEND_NULL)) {
		sk_import_map_free(x.map);
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	}
	if (!(x.row = sk_malloc(ROWBUF)) || !(buf = sk_malloc(CHUNK)) ||
	    sk_import_new(c, o->dry_run, &x.im)) {
		rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = file_hash(in, out->file_sha256, &x.fsize, err)))
		goto out;
	sk_vault_sha256(o->map_text, o->map_len, mh);
	sk_hex(mh, 32, mhex);
	snprintf(x.id, sizeof(x.id), "%s:%.16s", out->file_sha256, mhex);
	if (!o->dry_run) {
		if ((rc = sk_import_record_get(c, x.id, &out->counts, &done, &found, err)))
			goto out;
		if (found && done) {
			out->already_complete = 1;
			goto out;
		}
		x.skip = found ? out->counts.rows : 0;
		out->resumed_after = x.skip;
		out->counts.rows = 0;
		if ((rc = sk_core_batch_begin(c, err)))
			goto out;
		in_tx = 1;
	}
	while ((n = fread(buf, 1, CHUNK, in)) > 0) {
		char *s = buf;
		if (first) {
			first = 0;
			if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
				out->bom = 1;
				s += 3;
				n -= 3;
				x.fpos += 3;
			}
			if (!memchr(s, '\n', n) && n == CHUNK - (out->bom ? 3 : 0)) {
				rc = sk_errf(err, SK_ERR_TOO_LARGE, "line 1: the header is over %d KiB",
					     SK_CSV_MAX_ROW / 1024);
				goto out;
			}
			out->delimiter = delimiter(s, n);
			csv_set_delim(&x.p, (unsigned char)out->delimiter);
		}
		while (n) {
			char *e = memchr(s, '\n', n);
			size_t len = e ? (size_t)(e - s) + 1 : n;
			if ((rc = feed(&x, s, len)))
				goto out;
			s += len;
			n -= len;
		}
	}
	if (ferror(in)) {
		rc = sk_errf(err, SK_ERR_IO, "cannot read the CSV file");
		goto out;
	}
	csv_fini(&x.p, cell, row_end, &x);
	if ((rc = x.rc))
		goto out;
	if (!x.hdr) {
		rc = sk_errf(err, SK_ERR_INVALID, "the CSV file is empty (no header line)");
		goto out;
	}
	progress(&x, 1);
	if (x.skip > out->counts.rows) {
		rc = sk_errf(err, SK_ERR_INVALID, "the file has fewer rows than the import record");
		goto out;
	}
	if (!o->dry_run) {
		/* the totals: this run's counts already include the earlier runs' */
		if ((rc = batch_flush(&x, 1)))
			goto out;
		in_tx = 0;
	}
out:
	if (x.drawn && rc)
		fputc('\n', stderr);
	if (rc && in_tx)
		sk_core_batch_rollback(c);
	for (size_t i = 0; i < x.nhdr; i++)
		sk_free(x.hdr[i]);
	sk_free(x.hdr);
	csv_free(&x.p);
	sk_import_free(x.im);
	sk_import_map_free(x.map);
	sk_free(x.row);
	sk_free(buf);
	return rc;
}

json_t *sk_import_report_json(const struct sk_csv_import_report *r, int dry_run)
{
	const struct sk_import_counts *n = &r->counts;
	return json_pack("{s:s,s:b,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "file_sha256",
			 r->file_sha256, "dry_run", dry_run, "already_complete",
			 r->already_complete, "resumed_after", (json_int_t)r->resumed_after, "rows",
			 (json_int_t)n->rows, "created", (json_int_t)n->created, "updated",
			 (json_int_t)n->updated, "given", (json_int_t)n->given, "unverified",
			 (json_int_t)n->unverified, "refused", (json_int_t)n->refused, "unchanged",
			 (json_int_t)n->unchanged, "rejected", (json_int_t)n->rejected);
}

