/* import.c: the JSON of a CSV import's report (counts, file hash, resume state), one shape
 * for `samtycke import --json` and POST /v1/imports (which adds its rejects), and of one
 * rejected row over HTTP. */
#include <jansson.h>

#include "render/render.h"

json_t *sk_json_import_report(const struct sk_csv_import_report *r, int dry_run)
{
	const struct sk_import_counts *n = &r->counts;
	return json_pack("{s:s,s:b,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "file_sha256",
			 r->file_sha256, "dry_run", dry_run, "already_complete",
			 r->already_complete, "resumed_after", (json_int_t)r->resumed_after, "rows",
			 (json_int_t)n->rows, "created", (json_int_t)n->created, "updated",
			 (json_int_t)n->updated, "given", (json_int_t)n->given, "unverified",
			 (json_int_t)n->unverified, "refused", (json_int_t)n->refused, "unchanged",
			 (json_int_t)n->unchanged, "rejected", (json_int_t)n->rejected,
			 "fields_dropped", (json_int_t)n->fields_dropped);
}

json_t *sk_json_import_answer(const struct sk_csv_import_report *r, int dry_run,
			      json_t *rejects, int truncated)
{
	json_t *v = sk_json_import_report(r, dry_run);
	if (v) {
		json_object_set(v, "rejects", rejects);
		json_object_set_new(v, "rejects_truncated", json_boolean(truncated));
	}
	json_decref(rejects);
	return v;
}

json_t *sk_json_import_reject(int64_t line, const char *reason, const char *column)
{
	return json_pack("{s:I,s:s,s:s}", "line", (json_int_t)line, "reason", reason, "column",
			 column);
}
