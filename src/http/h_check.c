/* h_check.c: /v1/check, the gate over HTTP, for one address or up to 10,000 at once. */
#include <string.h>

#include "http/http_int.h"
#include "util/sktime.h"

#define BULK_MAX 10000

static json_t *result_json(const struct sk_gate_result *g)
{
	return json_pack("{s:b,s:s,s:o}", "allowed", g->allowed, "reason",
			 sk_reason_name(g->reason),
			 "consent_id", g->consent_id[0] ? json_string(g->consent_id) : json_null());
}

int sk_h_check(struct sk_req *r)
{
	struct sk_gate_result g;
	const char *email = sk_req_arg(r, "email"), *purpose = sk_req_arg(r, "purpose");
	if (!email || !purpose)
		return sk_errf(&r->err, SK_ERR_INVALID, "give ?email=ADDRESS&purpose=PURPOSE");
	sk_gate_check(r->core, email, purpose, sk_time_now(), &g);
	return sk_reply_json(r, 200, result_json(&g));
}

int sk_h_check_bulk(struct sk_req *r)
{
	static const char *const keys[] = {"purpose", "emails", NULL};
	struct sk_gate_result g;
	const char *purpose;
	json_t *body, *emails, *e, *results = NULL;
	size_t i;
	int rc;

	if ((rc = sk_req_json(r, keys, &body)))
		return rc;
	if ((rc = sk_json_str(r, body, "purpose", 1, &purpose)))
		goto out;
	emails = json_object_get(body, "emails");
	if (!json_is_array(emails)) {
		rc = sk_errf(&r->err, SK_ERR_INVALID, "'emails' must be an array of addresses");
		goto out;
	}
	if (json_array_size(emails) > BULK_MAX) {
		rc = sk_errf(&r->err, SK_ERR_TOO_LARGE, "at most %d addresses per request", BULK_MAX);
		goto out;
	}
	json_array_foreach(emails, i, e) {
		if (!json_is_string(e)) {
			rc = sk_errf(&r->err, SK_ERR_INVALID, "'emails[%zu]' must be a string", i);
			goto out;
		}
	}
	/* One read snapshot: every answer sees the same moment of the store. If it cannot
	 * start, each check fails closed on its own. */
	results = json_array();
	int64_t now = sk_time_now();
	int snapshot = sk_core_read_begin(r->core, NULL) == 0;
	json_array_foreach(emails, i, e) {
		sk_gate_check(r->core, json_string_value(e), purpose, now, &g);
		if (json_array_append_new(results, result_json(&g))) {
			rc = sk_errf(&r->err, SK_ERR_NOMEM, "out of memory");
			break;
		}
	}
	if (snapshot)
		sk_core_read_end(r->core);
	if (!rc)
		rc = sk_reply_json(r, 200, json_pack("{s:O}", "results", results));
out:
	json_decref(results);
	json_decref(body);
	return rc;
}
