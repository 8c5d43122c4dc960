/* h_consents.c: /v1/consents: append a consent event (idempotently), and its Kantara
 * consent receipt. */
#include <stdio.h>
#include <string.h>

#include "http/http_int.h"
#include "util/sktime.h"

static int consent_create(struct sk_req *r, void *arg)
{
	static const char *const keys[] = {"email", "contact_id", "purpose", "action", "method",
					   "source", "notice_version", "lang", "occurred_at",
					   "evidence", NULL};
	struct sk_consent_req req = {0};
	struct sk_consent_event ev;
	struct sk_state st;
	int64_t chseq = 0;
	const char *action, *at;
	char actor[80], *evidence = NULL;
	json_t *body, *v;
	int rc;
	(void)arg;

	if ((rc = sk_req_json(r, keys, &body)))
		return rc;
	snprintf(actor, sizeof(actor), "api:%s", r->key.name);
	req.actor = actor;
	req.source = actor;
	req.method = sk_method_name(SK_METHOD_API);
	if ((rc = sk_json_str(r, body, "email", 0, &req.email)) ||
	    (rc = sk_json_str(r, body, "contact_id", 0, &req.contact_id)) ||
	    (rc = sk_json_str(r, body, "purpose", 1, &req.purpose)) ||
	    (rc = sk_json_str(r, body, "action", 1, &action)) ||
	    (rc = sk_json_str(r, body, "lang", 0, &req.lang)) ||
	    (rc = sk_json_str(r, body, "occurred_at", 0, &at)))
		goto out;
	if ((v = json_object_get(body, "method")) && (rc = sk_json_str(r, body, "method", 1, &req.method)))
		goto out;
	if ((v = json_object_get(body, "source")) && (rc = sk_json_str(r, body, "source", 1, &req.source)))
		goto out;
	if (!req.email == !req.contact_id) {
		rc = sk_errf(&r->err, SK_ERR_INVALID, "give exactly one of 'email' and 'contact_id'");
		goto out;
	}
	/* the actions a client may record: SK_ACTION_LIST's client column (core/vocab.h) */
	int a = sk_action_from_name(action);
	if (a < 0 || !sk_action_client((enum sk_action)a)) {
		rc = sk_errf(&r->err, SK_ERR_INVALID,
			     "'action' must be give, refuse, withdraw or confirm");
		goto out;
	}
	req.action = (enum sk_action)a;
	if (at && sk_time_parse(at, &req.occurred_at)) {
		rc = sk_errf(&r->err, SK_ERR_INVALID, "'occurred_at' must be an RFC 3339 time");
		goto out;
	}
	if ((v = json_object_get(body, "notice_version"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 1000000) {
			rc = sk_errf(&r->err, SK_ERR_INVALID, "'notice_version' must be a positive integer");
			goto out;
		}
		req.notice_version = (int)json_integer_value(v);
	}
	if ((v = json_object_get(body, "evidence"))) {
		if (!json_is_object(v)) {
			rc = sk_errf(&r->err, SK_ERR_INVALID, "'evidence' must be an object");
			goto out;
		}
		if (!(evidence = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS))) {
			rc = sk_errf(&r->err, SK_ERR_NOMEM, "out of memory");
			goto out;
		}
		req.evidence_json = evidence;
	}
	if ((rc = sk_consent_record_state(r->core, &req, &ev, &st, &chseq, &r->err)))
		goto out;
	rc = sk_reply_json(r, 201, sk_json_consent_recorded(&ev, sk_status_name(st.status), chseq));
out:
	free(evidence);
	json_decref(body);
	return rc;
}

int sk_h_consent_create(struct sk_req *r)
{
	return sk_idempotent(r, consent_create, NULL);
}

int sk_h_receipt(struct sk_req *r)
{
	struct sk_consent_receipt receipt;
	int rc = sk_receipt(r->core, r->param, &receipt, &r->err);
	return rc ? rc : sk_reply_json(r, 200, sk_json_receipt(&receipt));
}
