/* h_misc.c: /healthz, /v1/purposes, the change feed /v1/changes, and /v1/audit/verify. */
#include <stdlib.h>

#include "http/http_int.h"
#include "util/str.h"

#define CHANGES_DEFAULT 100
#define CHANGES_MAX 1000

int sk_h_healthz(struct sk_req *r)
{
	return sk_reply_text(r, 200, "{\"status\":\"ok\"}");
}

static int purpose_json(struct sk_req *r, const struct sk_purpose *p, json_t **out)
{
	json_t *text = json_object(), *sha = json_object(), *fields = json_array();
	char hex[2 * SK_HASH_LEN + 1];
	int rc = 0;
	for (int l = 0; l < SK_NLANG && !rc; l++) {
		struct sk_notice_rec n;
		if ((rc = sk_notice_get(r->core, p->id, p->notice_version, sk_lang_name(l), &n, &r->err)))
			break;
		sk_hex(n.sha256, SK_HASH_LEN, hex);
		json_object_set_new(text, sk_lang_name(l), json_string(n.text));
		json_object_set_new(sha, sk_lang_name(l), json_string(hex));
	}
	for (size_t i = 0; i < p->nfields; i++)
		json_array_append_new(fields, json_string(p->fields[i]));
	*out = json_pack("{s:s,s:s,s:s,s:b,s:o,s:o,s:o,s:o,s:o,s:{s:i,s:o,s:o}}", "id", p->id,
			 "kind", sk_kind_name(p->kind), "legal_basis", sk_basis_name(p->basis),
			 "double_opt_in", p->double_opt_in, "validity", sk_json_duration(p->validity),
			 "retention", sk_json_duration(p->retention), "fields", fields, "title",
			 sk_json_texts(p->title), "description", sk_json_texts(p->description), "notice",
			 "version", p->notice_version, "text", text, "sha256", sha);
	if (rc) {
		json_decref(*out);
		return rc;
	}
	return *out ? 0 : sk_errf(&r->err, SK_ERR_NOMEM, "out of memory");
}

int sk_h_purposes(struct sk_req *r)
{
	int rc = sk_core_need_policy(r->core, &r->err);
	if (rc)
		return rc;
	json_t *arr = json_array(), *p;
	for (size_t i = 0; i < sk_core_policy(r->core)->npurposes; i++) {
		if ((rc = purpose_json(r, &sk_core_policy(r->core)->purposes[i], &p))) {
			json_decref(arr);
			return rc;
		}
		json_array_append_new(arr, p);
	}
	return sk_reply_json(r, 200, json_pack("{s:o}", "purposes", arr));
}

/* A whole number from a query argument within [lo, hi], or def when absent. */
static int arg_long(struct sk_req *r, const char *name, long lo, long hi, long def, long *out)
{
	const char *s = sk_req_arg(r, name);
	char *end;
	*out = def;
	if (!s)
		return 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < lo || v > hi)
		return sk_errf(&r->err, SK_ERR_INVALID, "'%s' must be a whole number from %ld to %ld",
			       name, lo, hi);
	*out = v;
	return 0;
}

struct feed {
	json_t *arr;
	int64_t next;
};

static int add_change(void *arg, const struct sk_change *ch)
{
	struct feed *f = arg;
	f->next = ch->seq;
	return json_array_append_new(f->arr, sk_json_change(ch)) ? SK_ERR_NOMEM : 0;
}

int sk_h_changes(struct sk_req *r)
{
	long after, limit;
	int rc;
	if ((rc = arg_long(r, "after", 0, 0x7fffffffffffffffL, 0, &after)) ||
	    (rc = arg_long(r, "limit", 1, CHANGES_MAX, CHANGES_DEFAULT, &limit)))
		return rc;
	struct feed f = {json_array(), after};
	if ((rc = sk_changes(r->core, after, limit, add_change, &f, &r->err))) {
		json_decref(f.arr);
		return rc;
	}
	return sk_reply_json(r, 200, json_pack("{s:o,s:I}", "changes", f.arr, "next",
					       (json_int_t)f.next));
}

int sk_h_audit(struct sk_req *r)
{
	uint8_t head[SK_HASH_LEN];
	char hex[2 * SK_HASH_LEN + 1];
	int64_t bad = 0, count = 0, since = 0;
	int rc = sk_audit_verify(r->core, &bad, &count, head, &r->err);
	if (rc && rc != SK_ERR_CHAIN_BROKEN)
		return rc;
	int src = sk_scrub_pending(r->core, &since, &r->err);
	if (src)
		return src;
	/* an erasure whose WAL scrub a reader still holds up (docs/rights.md) */
	json_t *scrub = since ? json_pack("{s:o}", "since", sk_json_time(since)) : json_null();
	if (rc == SK_ERR_CHAIN_BROKEN)
		return sk_reply_json(r, 200, json_pack("{s:b,s:I,s:I,s:o}", "ok", 0, "events",
						       (json_int_t)count, "first_bad_seq",
						       (json_int_t)bad, "scrub_pending", scrub));
	sk_hex(head, SK_HASH_LEN, hex);
	return sk_reply_json(r, 200, json_pack("{s:b,s:I,s:s,s:o}", "ok", 1, "events",
					       (json_int_t)count, "head", hex, "scrub_pending",
					       scrub));
}
