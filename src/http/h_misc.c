/* h_misc.c: /healthz, /v1/purposes, the change feed /v1/changes, and /v1/audit/verify. */
#include <stdlib.h>

#include "http/http_int.h"
#include "util/sktime.h"
#include "util/str.h"

#define CHANGES_DEFAULT 100
#define CHANGES_MAX 1000

int sk_h_healthz(struct sk_req *r)
{
	return sk_reply_text(r, 200, "{\"status\":\"ok\"}");
}

int sk_h_purposes(struct sk_req *r)
{
	struct sk_notice_set *ns;
	int rc = sk_policy_notices(r->core, &ns, &r->err);
	if (rc)
		return rc;
	const struct sk_policy *pol = sk_core_policy(r->core);
	json_t *v = sk_json_purposes(pol, ns);
	sk_notice_sets_free(ns, pol->npurposes);
	return sk_reply_json(r, 200, v);
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

int sk_h_changes(struct sk_req *r)
{
	long after, limit;
	int rc;
	if ((rc = arg_long(r, "after", 0, 0x7fffffffffffffffL, 0, &after)) ||
	    (rc = arg_long(r, "limit", 1, CHANGES_MAX, CHANGES_DEFAULT, &limit)))
		return rc;
	struct sk_json_list f = {json_array(), 0, after};
	if ((rc = sk_changes(r->core, after, limit, sk_json_list_change, &f, &r->err))) {
		json_decref(f.arr);
		return rc;
	}
	return sk_reply_json(r, 200, sk_json_changes(f.arr, f.last));
}

int sk_h_audit(struct sk_req *r)
{
	struct sk_audit a;
	/* outside a read snapshot (SK_ROUTE_ONE_READ): the result is recorded for the
	 * console's overview */
	int rc = sk_audit(r->core, 0, &a, &r->err);
	rc = rc ? rc : sk_audit_record(r->core, &a, sk_time_now(), &r->err);
	return rc ? rc : sk_reply_json(r, 200, sk_json_audit(&a));
}
