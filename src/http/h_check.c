/* h_check.c: /v1/check, the gate over HTTP, for one address or up to 10,000 at once. */
#include <string.h>

#include "http/http_int.h"
#include "util/mem.h"
#include "util/sktime.h"

int sk_h_check(struct sk_req *r)
{
	struct sk_gate_result g;
	const char *email = sk_req_arg(r, "email"), *purpose = sk_req_arg(r, "purpose");
	if (!email || !purpose)
		return sk_errf(&r->err, SK_ERR_INVALID, "give ?email=ADDRESS&purpose=PURPOSE");
	sk_gate_check(r->core, email, purpose, sk_time_now(), &g);
	/* the fixed answer without jansson (render/answers.c), the same bytes */
	char text[SK_JSON_GATE_MAX];
	if (sk_json_gate_text(&g, text, sizeof(text)) >= 0)
		return sk_reply_text(r, 200, text);
	return sk_reply_json(r, 200, sk_json_gate(&g));
}

int sk_h_check_bulk(struct sk_req *r)
{
	static const char *const keys[] = {"purpose", "emails", NULL};
	struct sk_gate_result *g = NULL;
	const char *purpose, **emails = NULL;
	json_t *body, *list, *e;
	size_t i, n;
	int rc;

	if ((rc = sk_req_json(r, keys, &body)))
		return rc;
	if ((rc = sk_json_str(r, body, "purpose", 1, &purpose)))
		goto out;
	list = json_object_get(body, "emails");
	if (!json_is_array(list)) {
		rc = sk_errf(&r->err, SK_ERR_INVALID, "'emails' must be an array of addresses");
		goto out;
	}
	n = json_array_size(list);
	if (!(emails = sk_calloc(n + 1, sizeof(*emails)))) {
		rc = sk_errf(&r->err, SK_ERR_NOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(list, i, e) {
		if (!(emails[i] = json_string_value(e))) {
			rc = sk_errf(&r->err, SK_ERR_INVALID, "'emails[%zu]' must be a string", i);
			goto out;
		}
	}
	if ((rc = sk_gate_check_many(r->core, emails, n, purpose, sk_time_now(), &g, &r->err)))
		goto out;
	rc = sk_reply_json(r, 200, sk_json_gate_bulk(g, n));
out:
	json_decref(body);
	sk_free(emails);
	sk_free(g);
	return rc;
}
