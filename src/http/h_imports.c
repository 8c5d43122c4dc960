/* h_imports.c: POST /v1/imports, the CSV import over HTTP (docs/import-export.md): the CSV
 * as text/csv with the mapping in ?map=, or {"csv": "...", "map": {...}}; the answer is the
 * report with its rejects (line, reason, column; never values). Bodies stay under 1 MiB. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http_int.h"
#include "io/io.h"
#include "util/mem.h"

#define MAX_REJECTS 1000

struct rejects {
	json_t *list;
	long n;
};

/* Rejects over HTTP name the line, reason and column; never the cells. */
static int add_reject(void *arg, int64_t line, const char *reason, const char *column,
		      const char *const *cells, size_t ncells)
{
	struct rejects *x = arg;
	(void)cells;
	(void)ncells;
	if (x->n++ >= MAX_REJECTS)
		return 0;
	json_t *o = sk_json_import_reject(line, reason, column);
	return o && json_array_append_new(x->list, o) == 0 ? 0 : SK_ERR_NOMEM;
}

int sk_h_imports(struct sk_req *r)
{
	static const char *const keys[] = {"csv", "map", NULL};
	const char *ct = sk_req_header(r, "Content-Type"), *dry = sk_req_arg(r, "dry_run");
	struct sk_csv_import_opts o = {0};
	struct sk_csv_import_report rep;
	struct rejects rj = {json_array(), 0};
	json_t *body = NULL;
	char *maptext = NULL;
	const char *csv = NULL;
	size_t csvlen = 0;
	FILE *in = NULL;
	int rc;

	if (!rj.list)
		return sk_errf(&r->err, SK_ERR_NOMEM, "out of memory");
	if (dry && strcmp(dry, "true") && strcmp(dry, "false")) {
		rc = sk_errf(&r->err, SK_ERR_INVALID, "dry_run must be true or false");
		goto out;
	}
	o.dry_run = dry && strcmp(dry, "true") == 0;
	if (ct && strncasecmp(ct, "text/csv", 8) == 0) {
		const char *m = sk_req_arg(r, "map");
		if (!m || !*m) {
			rc = sk_errf(&r->err, SK_ERR_INVALID, "a text/csv body needs the mapping in "
				     "the query argument 'map'");
			goto out;
		}
		if (!(maptext = sk_strdup(m))) {
			rc = sk_errf(&r->err, SK_ERR_NOMEM, "out of memory");
			goto out;
		}
		csv = r->body.data;
		csvlen = r->body.len;
	} else {
		if ((rc = sk_req_json(r, keys, &body)))
			goto out;
		json_t *c = json_object_get(body, "csv"), *m = json_object_get(body, "map");
		if (!json_is_string(c) || !json_is_object(m)) {
			rc = sk_errf(&r->err, SK_ERR_INVALID, "the body needs 'csv' (a string) and "
				     "'map' (an object)");
			goto out;
		}
		csv = json_string_value(c);
		csvlen = json_string_length(c);
		char *dumped = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
		maptext = dumped ? sk_strdup(dumped) : NULL;
		free(dumped);
		if (!maptext) {
			rc = sk_errf(&r->err, SK_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	if (!csvlen || !(in = fmemopen((void *)csv, csvlen, "rb"))) {
		rc = sk_errf(&r->err, SK_ERR_INVALID, "the CSV is empty");
		goto out;
	}
	o.map_text = maptext;
	o.map_len = strlen(maptext);
	o.reject = add_reject;
	o.reject_arg = &rj;
	if ((rc = sk_csv_import(r->core, in, &o, &rep, &r->err)))
		goto out;
	rc = sk_reply_json(r, 200, sk_json_import_answer(&rep, o.dry_run, json_incref(rj.list),
							 rj.n > MAX_REJECTS));
out:
	if (in)
		fclose(in);
	json_decref(rj.list);
	json_decref(body);
	sk_free(maptext);
	return rc;
}
