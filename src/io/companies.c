/* companies.c: the company ranges file (docs/tracking.md, "Company lookup"): a CSV file the
 * user supplies, read with libcsv, each row a network in CIDR form and a company name, or a
 * first address, a last address and a name; an optional header row. Every row is checked
 * (an error names its line and field) before core replaces the ranges, all or nothing. */
#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io/io.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/str.h"

#define CELL_MAX 256      /* a cell longer than any address or name we take */
#define COLS_MAX 3

struct crow {
	char *cell[COLS_MAX];
	int ncells;
	long line;
};

struct cread {
	struct crow *rows;
	size_t n, alloc;
	struct crow cur;
	long line, row_line;
	int in_row, too_many, too_long;
	long bad_line;
	int failed; /* out of memory */
};

static void row_free(struct crow *r)
{
	for (int i = 0; i < COLS_MAX; i++)
		sk_free(r->cell[i]);
	memset(r, 0, sizeof(*r));
}

static void on_cell(void *s, size_t len, void *arg)
{
	struct cread *x = arg;
	if (!x->in_row) {
		x->in_row = 1;
		x->row_line = x->line;
	}
	if (x->cur.ncells >= COLS_MAX) {
		if (!x->too_many && !x->too_long && !x->bad_line)
			x->bad_line = x->row_line, x->too_many = 1;
		x->cur.ncells++;
		return;
	}
	if (len > CELL_MAX) {
		if (!x->too_many && !x->too_long && !x->bad_line)
			x->bad_line = x->row_line, x->too_long = 1;
		len = 0;
	}
	char *c = sk_malloc(len + 1);
	if (!c) {
		x->failed = 1;
		return;
	}
	memcpy(c, s ? s : "", len);
	c[len] = '\0';
	x->cur.cell[x->cur.ncells++] = c;
}

static void on_row(int ch, void *arg)
{
	struct cread *x = arg;
	(void)ch;
	if (!x->in_row)
		return;
	x->in_row = 0;
	x->cur.line = x->row_line;
	/* a blank line is no row */
	if (x->cur.ncells == 1 && x->cur.cell[0] && !x->cur.cell[0][0]) {
		row_free(&x->cur);
		return;
	}
	if (x->n == x->alloc) {
		size_t na = x->alloc ? x->alloc * 2 : 256;
		void *p = na > SK_COMPANY_ROWS_MAX + 1 ? NULL : sk_realloc(x->rows, na * sizeof(*x->rows));
		if (!p) {
			x->failed = 1;
			row_free(&x->cur);
			return;
		}
		x->rows = p;
		x->alloc = na;
	}
	x->rows[x->n++] = x->cur;
	memset(&x->cur, 0, sizeof(x->cur));
}

/* Trims spaces around a cell in place. */
static char *trim(char *s)
{
	if (!s)
		return NULL;
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

int sk_companies_load_csv(struct sk_core *c, FILE *in, size_t *nloaded, struct sk_errctx *err)
{
	struct cread x = {.line = 1};
	struct csv_parser p;
	struct sk_company_range *r = NULL;
	char buf[8192];
	int rc = 0;
	*nloaded = 0;
	if (csv_init(&p, CSV_APPEND_NULL))
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	/* fed a line at a time, so that a row knows the line it starts on */
	while (!x.failed && fgets(buf, sizeof(buf), in)) {
		size_t len = strlen(buf);
		if (csv_parse(&p, buf, len, on_cell, on_row, &x) != len) {
			rc = sk_errf(err, SK_ERR_INVALID, "line %ld: not CSV (%s)", x.line,
				     csv_strerror(csv_error(&p)));
			goto out;
		}
		if (len && buf[len - 1] == '\n')
			x.line++;
	}
	if (ferror(in)) {
		rc = sk_errf(err, SK_ERR_IO, "cannot read the file");
		goto out;
	}
	if (csv_fini(&p, on_cell, on_row, &x)) {
		rc = sk_errf(err, SK_ERR_INVALID, "line %ld: a quote is never closed", x.row_line);
		goto out;
	}
	if (x.failed) {
		rc = x.n > SK_COMPANY_ROWS_MAX
			     ? sk_errf(err, SK_ERR_TOO_LARGE, "more than %d ranges", SK_COMPANY_ROWS_MAX)
			     : sk_errf(err, SK_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (x.bad_line) {
		rc = sk_errf(err, SK_ERR_INVALID, "line %ld: %s", x.bad_line,
			     x.too_many ? "more than 3 fields (network,company or first,last,company)"
					: "a field longer than 256 characters");
		goto out;
	}
	size_t first = 0;
	if (x.n && x.rows[0].cell[0] &&
	    (strcasecmp(trim(x.rows[0].cell[0]), "network") == 0 ||
	     strcasecmp(trim(x.rows[0].cell[0]), "first") == 0))
		first = 1; /* the header */
	if (x.n > SK_COMPANY_ROWS_MAX + first) {
		rc = sk_errf(err, SK_ERR_TOO_LARGE, "more than %d ranges", SK_COMPANY_ROWS_MAX);
		goto out;
	}
	if (!(r = sk_calloc(x.n - first + 1, sizeof(*r)))) {
		rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = first; i < x.n; i++) {
		struct crow *w = &x.rows[i];
		struct sk_company_range *g = &r[i - first];
		struct sk_errctx e = {0};
		uint8_t a[16], b[16];
		if (w->ncells == 2) {
			g->network = trim(w->cell[0]);
			g->name = trim(w->cell[1]);
		} else if (w->ncells == 3) {
			g->first = trim(w->cell[0]);
			g->last = trim(w->cell[1]);
			g->name = trim(w->cell[2]);
		} else {
			rc = sk_errf(err, SK_ERR_INVALID, "line %ld: expected network,company or "
				     "first,last,company", w->line);
			goto out;
		}
		if ((rc = sk_company_range_keys(g, a, b, &e))) {
			rc = sk_errf(err, rc, "line %ld: %s", w->line, e.msg);
			goto out;
		}
	}
	size_t bad = 0;
	if ((rc = sk_company_load(c, r, x.n - first, &bad, err)))
		goto out;
	*nloaded = x.n - first;
out:
	csv_free(&p);
	for (size_t i = 0; i < x.n; i++)
		row_free(&x.rows[i]);
	row_free(&x.cur);
	sk_free(x.rows);
	sk_free(r);
	return rc;
}
