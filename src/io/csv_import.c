/* csv_import.c: the streaming CSV import. A first pass hashes the file and checks it whole
 * (encoding, header, quotes, row sizes) so that a broken file stores nothing; the second
 * feeds libcsv (RFC 4180, ',' or ';' taken from the header line) one physical line at a time
 * of UTF-8 text (iconv converts first when the mapping names an encoding), so every row knows
 * the line it starts on and memory stays bounded by one row. */
#include <csv.h>
#include <errno.h>
#include <iconv.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "io/io.h"
#include "util/mem.h"
#include "util/str.h"
#include "vault/vault.h"

#define CHUNK 65536
#define DECBUF (4 * CHUNK) /* UTF-8 from CHUNK bytes of any single- or two-byte encoding */
#define ROWBUF (SK_CSV_MAX_ROW + 2 * SK_CSV_MAX_COLS + 16)

/* libcsv 3.0.3's parser states (libcsv.c): struct csv_parser is public, the names are not */
#define CSVST_ROW_NOT_BEGUN 0
#define CSVST_FIELD_BEGUN 2

/* A streaming UTF-8 check of the file's bytes (first pass): physical lines, and where the
 * first malformed sequence starts. */
struct utf8v {
	int need;              /* continuation bytes still expected */
	unsigned char lo, hi;  /* the range of the next continuation byte */
	long long start;       /* file offset of the sequence being read */
	int64_t line;          /* the current physical line, from 1 */
	long long line_off;    /* file offset where it begins */
	int nonascii;          /* a multi-byte character was seen */
	unsigned char lead;    /* the first byte of the sequence being read */
	int bad;
	unsigned char bad_lead; /* the first byte of the bad sequence (for the guess) */
	int64_t bad_line;
	long long bad_off, bad_col;
};

struct imp {
	struct sk_core *c;
	const struct sk_csv_import_opts *o;
	struct sk_csv_import_report *rep;
	struct sk_errctx *err;
	struct sk_import_map *map;
	struct sk_import *im;
	struct csv_parser p;
	int check;             /* the first pass: hash and check, nothing stored */
	/* the row being read: NUL-terminated cells at off[i] in row, clen[i] bytes each */
	char *row;
	size_t rowlen;
	size_t off[SK_CSV_MAX_COLS], clen[SK_CSV_MAX_COLS];
	size_t ncols;
	int too_many;
	/* the header */
	char **hdr;
	size_t nhdr;
	int hdr_seen;
	/* lines: line is the physical line being fed, row_line where the current row began,
	 * field_line where the current cell began (for a quote that is never closed) */
	int64_t line, row_line, field_line;
	int at_boundary;
	size_t pending;
	int rc;                /* the first fatal error; parsing goes on, ignored */
	long skip;             /* data rows committed by an earlier run */
	long in_batch;
	long batch;            /* rows in this transaction: SK_IMPORT_BATCH, doubling */
	size_t batch_bytes;    /* ... or fewer: the bytes its rows may hold until written */
	char id[96];
	/* reading and decoding */
	struct sk_hasher hs;
	struct utf8v u;
	iconv_t cd;            /* (iconv_t)-1: the file is read as UTF-8 */
	int single_byte;       /* the named encoding has one byte per character */
	char *raw, *dec;
	size_t carry;          /* raw bytes read but not decoded yet (a partial character) */
	long long raw_off;     /* raw bytes decoded so far */
	int64_t dlines;        /* line ends decoded so far (for iconv's errors) */
	int started;
	/* progress */
	long long fsize, fpos;
	int drawn;
	double t0, tlast;      /* monotonic seconds: start, last line drawn */
	long rows0;            /* rows when this run began (a resumed run skips some) */
	int bulk;              /* the store is in bulk mode (sk_core_bulk) */
	long committed;        /* data rows committed (an earlier run's included) */
	int committing;        /* progress after a commit: not held back by the rate */
};

static double mono(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void cell(void *s, size_t len, void *data)
{
	struct imp *x = data;
	if (x->rc)
		return;
	x->field_line = x->line; /* the next cell begins on this line */
	if (x->ncols == SK_CSV_MAX_COLS) {
		x->too_many = 1;
		return;
	}
	if (x->rowlen + len + 1 > ROWBUF) { /* cannot happen: pending is checked first */
		x->too_many = 1;
		return;
	}
	x->off[x->ncols] = x->rowlen;
	x->clen[x->ncols++] = len;
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
	int rc;
	if (!(x->hdr = sk_calloc(x->ncols ? x->ncols : 1, sizeof(char *))))
		return sk_errf(x->err, SK_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < x->ncols; i++) {
		if (!(x->hdr[i] = trimdup(col(x, (int)i))))
			return sk_errf(x->err, SK_ERR_NOMEM, "out of memory");
		x->nhdr++;
	}
	if ((rc = sk_import_map_bind(x->map, (const char *const *)x->hdr, x->nhdr, sk_core_policy(x->c),
				     x->err)))
		return rc;
	if (x->o->header && (rc = x->o->header(x->o->reject_arg, (const char *const *)x->hdr,
						 x->nhdr)))
		return sk_errf(x->err, rc, "writing the reject report");
	return 0;
}

/* The first pass sees the header: the limits that stop the whole import. */
static int header_check(struct imp *x)
{
	if (x->too_many)
		return sk_errf(x->err, SK_ERR_TOO_LARGE, "line 1: the header has more than %d "
			       "columns", SK_CSV_MAX_COLS);
	for (size_t i = 0; i < x->ncols; i++)
		if (strlen(col(x, (int)i)) != x->clen[i])
			return sk_errf(x->err, SK_ERR_INVALID, "line 1: column %zu of the header "
				       "holds a NUL byte", i + 1);
	return 0;
}

/* The progress on stderr (SK_PROGRESS_*). The rate counts this run's rows; the time left
 * is the elapsed time scaled by the bytes still to read. tty: at most 5 redraws a second;
 * json: the caller calls it once per committed batch and at the end (last). */
static int progress(struct imp *x, int last)
{
	if ((x->o->progress == SK_PROGRESS_NONE && !x->o->on_progress) || x->check)
		return 0;
	double now = mono(), el = now - x->t0;
	if ((x->o->progress == SK_PROGRESS_TTY || x->o->on_progress) && !last && !x->committing &&
	    now - x->tlast < 0.2)
		return 0;
	x->tlast = now;
	long rows = x->rep->counts.rows, done = rows - x->rows0;
	long long size = x->fsize > 0 ? x->fsize : 0, pos = last ? size : x->fpos;
	double rate = el > 0 ? (double)(done > 0 ? done : 0) / el : 0;
	double left = last || pos <= 0 || pos >= size ? 0 : el * (double)(size - pos) / (double)pos;
	if (x->o->on_progress) {
		struct sk_import_progress p = {
			.rows = rows, .committed = x->committed, .bytes = pos, .total_bytes = size,
			.elapsed_s = el, .rows_per_s = rate, .eta_s = left, .done = last,
			.counts = &x->rep->counts,
		};
		int rc = x->o->on_progress(x->o->progress_arg, &p);
		if (rc)
			return sk_errf(x->err, rc, "the import was stopped");
	}
	if (x->o->progress == SK_PROGRESS_NONE)
		return 0;
	if (x->o->progress == SK_PROGRESS_JSON) {
		fprintf(stderr, "{\"progress\":\"import\",\"rows\":%ld,\"bytes\":%lld,"
			"\"total_bytes\":%lld,\"elapsed_s\":%.3f,\"rows_per_s\":%.0f,"
			"\"eta_s\":%.1f,\"done\":%s}\n", rows, pos, size, el, rate, left,
			last ? "true" : "false");
		fflush(stderr);
		return 0;
	}
	int pct = size ? (int)(pos * 100 / size) : 100, w = pct * 30 / 100;
	fprintf(stderr, "\rimporting [%.*s%*s] %3d%% %ld rows, %.0f rows/s, %s%ld:%02ld left ", w,
		"##############################", 30 - w, "", pct, rows, rate, "",
		(long)(left + 0.5) / 60, (long)(left + 0.5) % 60);
	if (last)
		fputc('\n', stderr);
	x->drawn = 1;
	return 0;
}

static int reject(struct imp *x, int64_t line, int reason, const char *column)
{
	const char *cells[SK_CSV_MAX_COLS];
	if (!x->o->reject)
		return 0;
	for (size_t i = 0; i < x->ncols; i++)
		cells[i] = x->row + x->off[i];
	int rc = x->o->reject(x->o->reject_arg, line, sk_reject_name(reason), column, cells,
			      x->ncols);
	return rc ? sk_errf(x->err, rc, "writing the reject report") : 0;
}

/* A NUL byte (the value would be cut short) or U+FFFD (text an earlier conversion already
 * damaged) in a column the mapping uses; SK_REJ_NONE when every such cell is clean. */
static int text_check(struct imp *x, int i, const char **column)
{
	if (i < 0 || (size_t)i >= x->ncols)
		return SK_REJ_NONE;
	const char *v = col(x, i);
	*column = (size_t)i < x->nhdr ? x->hdr[i] : "";
	if (strlen(v) != x->clen[i])
		return SK_REJ_NUL_BYTE;
	if (x->clen[i] >= 3 && memmem(v, x->clen[i], "\xEF\xBF\xBD", 3))
		return SK_REJ_REPLACEMENT_CHAR;
	return SK_REJ_NONE;
}

static int row_text_check(struct imp *x, const char **column)
{
	const struct sk_import_map *m = x->map;
	int r = text_check(x, m->email_i, column);
	for (size_t i = 0; !r && i < m->nfields; i++)
		r = text_check(x, m->fields[i].col_i, column);
	for (size_t i = 0; !r && i < m->nconsents; i++)
		if (!(r = text_check(x, m->consents[i].value_i, column)) &&
		    !(r = text_check(x, m->consents[i].at_i, column)))
			r = text_check(x, m->consents[i].source_i, column);
	return r;
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

	if (x->too_many || x->ncols != x->nhdr)
		reason = x->too_many ? SK_REJ_TOO_LARGE : SK_REJ_INVALID;
	else
		reason = row_text_check(x, &column);
	if (reason) {
		counts->rows++;
		counts->rejected++;
		return reject(x, x->row_line, reason, column);
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

/* A batch: one transaction, and a fresh seed for the randomness its rows draw (ids, data
 * keys, nonces: sk_vault_rng_seed). */
static int batch_begin(struct imp *x)
{
	if (sk_vault_rng_seed())
		return sk_errf(x->err, SK_ERR_IO, "no randomness from the operating system");
	return sk_core_batch_begin(x->c, x->err);
}

static int batch_flush(struct imp *x, int done)
{
	int rc;
	if (x->o->dry_run)
		return 0;
	/* the batch's rows in email_key order, then the record, in one transaction */
	if ((rc = sk_import_flush(x->im, x->err)) ||
	    (rc = sk_import_record_put(x->c, x->id, &x->rep->counts, done, x->err)) ||
	    (rc = sk_core_batch_commit(x->c, x->err)))
		return rc;
	x->in_batch = 0;
	x->committed = x->rep->counts.rows;
	if (!done && (x->o->progress == SK_PROGRESS_JSON || x->o->on_progress)) {
		x->committing = 1;
		rc = progress(x, 0);
		x->committing = 0;
		if (rc)
			return rc;
	}
	return done ? 0 : batch_begin(x);
}

static void row_end(int term, void *data)
{
	struct imp *x = data;
	(void)term;
	if (!x->rc) {
		if (x->check) {
			if (!x->hdr_seen)
				x->rc = header_check(x);
		} else if (!x->hdr) {
			x->rc = header(x);
		} else if (x->rep->counts.rows < x->skip) {
			/* counted by the earlier run: the record holds the totals */
			x->rep->counts.rows++;
			x->rc = data_row(x, 1);
		} else {
			x->rc = data_row(x, 0);
			if (!x->rc && !x->o->dry_run &&
			    (++x->in_batch >= x->batch ||
			     sk_import_pending_bytes(x->im) >= x->batch_bytes)) {
				x->rc = batch_flush(x, 0);
				if (x->batch < SK_IMPORT_BATCH_MAX)
					x->batch *= 2;
			}
			if (!x->rc && x->rep->counts.rows % 1000 == 0 &&
			    (x->o->progress == SK_PROGRESS_TTY || x->o->on_progress))
				x->rc = progress(x, 0);
		}
	}
	x->hdr_seen = 1;
	x->ncols = 0;
	x->rowlen = 0;
	x->too_many = 0;
}

/* libcsv is inside a quoted cell (a quote opened and not closed yet). */
static int in_quote(const struct imp *x)
{
	return x->p.pstate == CSVST_FIELD_BEGUN && x->p.quoted;
}

/* Feeds one piece of a physical line (up to and including its '\n', if any). Lines are
 * counted by '\n' only: CRLF is one line end, and a line of spaces between rows is a line
 * like any other, so line numbers are those a text editor shows. */
static int feed(struct imp *x, const char *s, size_t len)
{
	int nl = len && s[len - 1] == '\n';
	if (x->at_boundary) {
		x->row_line = x->field_line = x->line;
		x->at_boundary = 0;
	}
	x->pending += len;
	if (x->pending > SK_CSV_MAX_ROW) {
		if (in_quote(x))
			return sk_errf(x->err, SK_ERR_INVALID, "line %lld: a quote opened here is not "
				       "closed within %d KiB (a quote that is never closed?)",
				       (long long)x->field_line, SK_CSV_MAX_ROW / 1024);
		if (!x->hdr_seen)
			return sk_errf(x->err, SK_ERR_TOO_LARGE, "line 1: the header is over %d KiB",
				       SK_CSV_MAX_ROW / 1024);
		return sk_errf(x->err, SK_ERR_TOO_LARGE, "line %lld: the row that begins here is "
			       "over %d KiB", (long long)x->row_line, SK_CSV_MAX_ROW / 1024);
	}
	if (csv_parse(&x->p, s, len, cell, row_end, x) != len)
		return sk_errf(x->err, SK_ERR_INVALID, "line %lld: %s", (long long)x->line,
			       csv_strerror(csv_error(&x->p)));
	if (x->rc)
		return x->rc;
	if (nl)
		x->line++;
	if (x->p.pstate == CSVST_ROW_NOT_BEGUN) { /* between rows (blank lines included) */
		x->pending = 0;
		x->at_boundary = 1;
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

/* ---- encodings ---- */

static void utf8v_bad(struct utf8v *u, long long at, unsigned char lead)
{
	u->bad = 1;
	u->bad_lead = lead;
	u->bad_off = at;
	u->bad_line = u->line;
	u->bad_col = at - u->line_off + 1;
}

/* Checks n bytes at file offset off; 0, or -1 at the first malformed sequence (overlong
 * forms, surrogates and code points past U+10FFFF included). */
static int utf8v_feed(struct utf8v *u, const unsigned char *s, size_t n, long long off)
{
	for (size_t i = 0; i < n && !u->bad; i++) {
		unsigned char b = s[i];
		long long at = off + (long long)i;
		if (u->need) {
			if (b < u->lo || b > u->hi) {
				utf8v_bad(u, u->start, u->lead);
				break;
			}
			u->lo = 0x80;
			u->hi = 0xBF;
			u->need--;
			continue;
		}
		if (b == '\n') {
			u->line++;
			u->line_off = at + 1;
		}
		if (b < 0x80)
			continue;
		u->start = at;
		u->nonascii = 1;
		u->lead = b;
		u->lo = b == 0xE0 ? 0xA0 : b == 0xF0 ? 0x90 : 0x80;
		u->hi = b == 0xED ? 0x9F : b == 0xF4 ? 0x8F : 0xBF;
		u->need = b >= 0xC2 && b <= 0xDF ? 1 : b >= 0xE0 && b <= 0xEF ? 2
			: b >= 0xF0 && b <= 0xF4 ? 3 : 0;
		if (!u->need)
			utf8v_bad(u, at, b);
	}
	return u->bad ? -1 : 0;
}

static int not_utf8(struct imp *x)
{
	const struct utf8v *u = &x->u;
	const char *guess = u->bad_lead >= 0x80 && u->bad_lead <= 0x9F
				    ? "Windows-1252"
				    : "Latin-1 (ISO-8859-1) or Windows-1252";
	return sk_errf(x->err, SK_ERR_INVALID, "line %lld, byte %lld (byte %lld of the file): "
		       "not UTF-8; the file is probably %s: save it as UTF-8, or name its "
		       "encoding in the mapping (\"encoding\": \"windows-1252\"); nothing was "
		       "stored", (long long)u->bad_line, u->bad_col, u->bad_off + 1, guess);
}

/* UTF-16 by its byte order mark or by every other byte being NUL: its name, or NULL. */
static const char *utf16_guess(const unsigned char *s, size_t n, int *le)
{
	size_t pairs = n / 2 < 64 ? n / 2 : 64, even = 0, odd = 0;
	*le = 1;
	if (n >= 2 && s[0] == 0xFF && s[1] == 0xFE)
		return "UTF-16 (little-endian, with a byte order mark)";
	if (n >= 2 && s[0] == 0xFE && s[1] == 0xFF) {
		*le = 0;
		return "UTF-16 (big-endian, with a byte order mark)";
	}
	for (size_t i = 0; i < pairs; i++) {
		even += s[2 * i] == 0;
		odd += s[2 * i + 1] == 0;
	}
	if (pairs >= 2 && even == 0 && 2 * odd > pairs)
		return "UTF-16 (little-endian: every other byte is NUL)";
	if (pairs >= 2 && odd == 0 && 2 * even > pairs) {
		*le = 0;
		return "UTF-16 (big-endian: every other byte is NUL)";
	}
	return NULL;
}

/* Opens iconv for the mapping's encoding, once the first bytes are known: "utf-16" without
 * a byte order mark is read in the byte order its NUL bytes show (iconv would assume
 * big-endian). */
static int conv_open(struct imp *x, const unsigned char *s, size_t n)
{
	const char *enc = x->map->encoding;
	int le;
	const char *g = utf16_guess(s, n, &le);
	if ((strcasecmp(enc, "utf-16") == 0 || strcasecmp(enc, "utf16") == 0) && g &&
	    !(n >= 2 && (s[0] == 0xFF || s[0] == 0xFE)))
		enc = le ? "UTF-16LE" : "UTF-16BE";
	x->single_byte = strncasecmp(enc, "utf", 3) && strncasecmp(enc, "ucs", 3);
	if ((x->cd = iconv_open("UTF-8", enc)) == (iconv_t)-1)
		return sk_errf(x->err, SK_ERR_INVALID, "mapping: encoding '%.32s' is not known to "
			       "iconv", enc);
	return 0;
}

static int64_t count_nl(const char *s, size_t n)
{
	int64_t k = 0;
	for (const char *e = s + n; (s = memchr(s, '\n', (size_t)(e - s))) != NULL; s++)
		k++;
	return k;
}

/* The next piece of the file as UTF-8 in *out (*n bytes, 0 at the end). The first pass
 * hashes every byte read and checks the encoding. */
static int next(struct imp *x, FILE *in, char **out, size_t *n)
{
	size_t got = fread(x->raw + x->carry, 1, CHUNK - x->carry, in);
	unsigned char *raw = (unsigned char *)x->raw;
	if (ferror(in))
		return sk_errf(x->err, SK_ERR_IO, "cannot read the CSV file");
	if (x->check)
		sk_hasher_update(&x->hs, x->raw + x->carry, got);
	if (!x->started && got) {
		int le;
		const char *g;
		x->started = 1;
		if (x->map->encoding) {
			if (conv_open(x, raw, got))
				return x->err->code;
		} else if (x->check && (g = utf16_guess(raw, got, &le))) {
			return sk_errf(x->err, SK_ERR_INVALID, "line 1, byte 1: the file is %s, not "
				       "UTF-8: save it as UTF-8, or name its encoding in the mapping "
				       "(\"encoding\": \"utf-16\"); nothing was stored", g);
		}
	}
	if (x->cd == (iconv_t)-1) {
		if (x->check && utf8v_feed(&x->u, raw, got, x->raw_off))
			return not_utf8(x);
		x->raw_off += (long long)got;
		*out = x->raw;
		*n = got;
		return 0;
	}
	if (x->check && x->single_byte && !x->u.bad)
		(void)utf8v_feed(&x->u, raw + x->carry, got, x->raw_off + (long long)x->carry);
	char *ip = x->raw, *op = x->dec;
	size_t il = x->carry + got, ol = DECBUF;
	if (il && iconv(x->cd, &ip, &il, &op, &ol) == (size_t)-1 && errno != EINVAL) {
		long long at = x->raw_off + (ip - x->raw);
		return sk_errf(x->err, SK_ERR_INVALID, "line %lld, byte %lld of the file: not "
			       "valid %.32s%s; nothing was stored",
			       (long long)(x->dlines + count_nl(x->dec, (size_t)(op - x->dec)) + 1),
			       at + 1, x->map->encoding,
			       errno == E2BIG ? " (a character too long)" : "");
	}
	if (!got && il) /* the end of the file inside a character */
		return sk_errf(x->err, SK_ERR_INVALID, "the file ends inside a %.32s character; "
			       "nothing was stored", x->map->encoding);
	x->raw_off += (long long)(ip - x->raw);
	memmove(x->raw, ip, il);
	x->carry = il;
	*out = x->dec;
	*n = (size_t)(op - x->dec);
	x->dlines += count_nl(x->dec, *n);
	return 0;
}

/* One pass over the file: the first (check) hashes and checks everything, the second
 * imports. */
static int pass(struct imp *x, FILE *in, int check)
{
	char *s;
	size_t n;
	int rc, first = 1;

	x->check = check;
	x->line = 1;
	x->row_line = x->field_line = 0;
	x->at_boundary = 1;
	x->pending = 0;
	x->hdr_seen = 0;
	x->ncols = x->rowlen = 0;
	x->too_many = 0;
	x->carry = 0;
	x->raw_off = 0;
	x->dlines = 0;
	x->started = 0;
	memset(&x->u, 0, sizeof(x->u));
	x->u.line = 1;
	if (x->cd != (iconv_t)-1) {
		iconv_close(x->cd);
		x->cd = (iconv_t)-1;
	}
	if (fseek(in, 0, SEEK_SET))
		return sk_errf(x->err, SK_ERR_IO, "cannot read the CSV file (it must be a regular "
			       "file)");
	if (csv_init(&x->p, CSV_APPEND_NULL))
		return sk_errf(x->err, SK_ERR_NOMEM, "out of memory");
	while (!(rc = next(x, in, &s, &n)) && n) {
		if (first) {
			first = 0;
			if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
				x->rep->bom = 1;
				s += 3;
				n -= 3;
			}
			if (x->map->encoding && x->raw_off >= 2 &&
			    ((unsigned char)x->raw[0] == 0xFF || (unsigned char)x->raw[0] == 0xFE))
				x->rep->bom = 1;
			x->rep->delimiter = delimiter(s, n);
			csv_set_delim(&x->p, (unsigned char)x->rep->delimiter);
		}
		x->fpos = x->raw_off;
		while (n) {
			char *e = memchr(s, '\n', n);
			size_t len = e ? (size_t)(e - s) + 1 : n;
			if ((rc = feed(x, s, len)))
				goto out;
			s += len;
			n -= len;
		}
	}
	if (rc)
		goto out;
	if (check && x->cd == (iconv_t)-1 && x->u.need) {
		utf8v_bad(&x->u, x->u.start, x->u.lead);
		rc = not_utf8(x);
		goto out;
	}
	if (check && x->cd != (iconv_t)-1 && x->single_byte && !x->u.bad && !x->u.need &&
	    x->u.nonascii) {
		rc = sk_errf(x->err, SK_ERR_INVALID, "the mapping names the encoding '%.32s', but "
			     "the file is UTF-8 (it holds UTF-8 characters): remove \"encoding\" "
			     "from the mapping; nothing was stored", x->map->encoding);
		goto out;
	}
	if (in_quote(x)) {
		rc = sk_errf(x->err, SK_ERR_INVALID, "line %lld: a quote opened here is never "
			     "closed (the file ends inside it); nothing was stored",
			     (long long)x->field_line);
		goto out;
	}
	csv_fini(&x->p, cell, row_end, x);
	if ((rc = x->rc))
		goto out;
	if (!x->hdr_seen)
		rc = sk_errf(x->err, SK_ERR_INVALID, "the CSV file is empty (no header line)");
out:
	csv_free(&x->p);
	return rc;
}

int sk_csv_import(struct sk_core *c, FILE *in, const struct sk_csv_import_opts *o,
		  struct sk_csv_import_report *out, struct sk_errctx *err)
{
	struct imp x = {.c = c, .o = o, .rep = out, .err = err, .cd = (iconv_t)-1};
	uint8_t mh[32], h[32];
	char mhex[65];
	int rc, found = 0, done = 0, in_tx = 0;
	struct stat st;

	memset(out, 0, sizeof(*out));
	if ((rc = sk_core_need_policy(c, err)) ||
	    (rc = sk_import_map_parse(o->map_text, o->map_len, &x.map, err)))
		return rc;
	if (!(x.row = sk_malloc(ROWBUF)) || !(x.raw = sk_malloc(CHUNK)) ||
	    (x.map->encoding && !(x.dec = sk_malloc(DECBUF))) ||
	    sk_import_new(c, o->dry_run, &x.im)) {
		rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
		goto out;
	}
	sk_import_set_deferred(x.im, 1); /* each batch validated in file order, written sorted */
	if (fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode))
		x.fsize = (long long)st.st_size;
	/* 1. the file's hash and every check that can refuse it whole */
	sk_hasher_init(&x.hs);
	if ((rc = pass(&x, in, 1)))
		goto out;
	sk_hasher_final(&x.hs, h);
	sk_hex(h, 32, out->file_sha256);
	if (!x.fsize)
		x.fsize = x.raw_off;
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
		if (o->bulk && (rc = sk_core_bulk(c, SK_BULK_IMPORT, err)))
			goto out;
		x.bulk = o->bulk;
		if ((rc = batch_begin(&x)))
			goto out;
		in_tx = 1;
	}
	/* 2. the import */
	x.t0 = x.tlast = mono();
	x.batch = SK_IMPORT_BATCH;
	x.batch_bytes = o->batch_bytes ? o->batch_bytes : SK_IMPORT_BATCH_BYTES;
	x.rows0 = x.committed = x.skip;
	if ((rc = pass(&x, in, 0)))
		goto out;
	if (x.skip > out->counts.rows) {
		rc = sk_errf(err, SK_ERR_INVALID, "the file has fewer rows than the import record");
		goto out;
	}
	if ((rc = progress(&x, 1)))
		goto out;
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
	sk_vault_rng_stop();
	/* the import's rows are committed (or rolled back) by now: a failed last checkpoint
	 * loses nothing (the WAL holds it; the next commit's autocheckpoint copies it), so it
	 * does not turn a finished import into a failure */
	if (x.bulk) {
		struct sk_errctx e2 = {0};
		(void)sk_core_bulk(c, SK_BULK_OFF, &e2);
	}
	if (x.cd != (iconv_t)-1)
		iconv_close(x.cd);
	for (size_t i = 0; i < x.nhdr; i++)
		sk_free(x.hdr[i]);
	sk_free(x.hdr);
	sk_import_free(x.im);
	sk_import_map_free(x.map);
	sk_free(x.row);
	sk_free(x.raw);
	sk_free(x.dec);
	return rc;
}

void sk_io_versions(sk_version_fn *fn, void *arg)
{
	char v[24];
	snprintf(v, sizeof(v), "%d.%d.%d", CSV_MAJOR, CSV_MINOR, CSV_RELEASE);
	fn(arg, "libcsv", v);
}
