/* h_webhooks.c: webhook endpoints over HTTP (scope admin): create one (its secret is in the
 * answer, once), read its delivery status, remove it. Each handler parses, calls one core
 * function (core/webhook.h) and renders; delivery is in src/sync. */
#include <string.h>

#include "http/http.h"
#include "http/http_int.h"
#include "sync/sync.h"

/* The events array of a request as a comma-separated list. */
static int events_arg(struct sk_req *r, json_t *body, char *out, size_t outlen)
{
	json_t *ev = json_object_get(body, "events"), *v;
	size_t i, used = 0;
	if (!json_is_array(ev) || json_array_size(ev) == 0)
		return sk_errf(&r->err, SK_ERR_INVALID, "'events' must be a non-empty array of "
			       "event names");
	out[0] = '\0';
	json_array_foreach(ev, i, v) {
		const char *s = json_string_value(v);
		size_t n = s ? strlen(s) : 0;
		if (!s || !n || strchr(s, ','))
			return sk_errf(&r->err, SK_ERR_INVALID, "'events' must hold event names");
		if (used + n + 2 > outlen)
			return sk_errf(&r->err, SK_ERR_INVALID, "'events' is too long");
		if (used)
			out[used++] = ',';
		memcpy(out + used, s, n + 1);
		used += n;
	}
	return 0;
}

int sk_h_webhook_create(struct sk_req *r)
{
	static const char *const allowed[] = {"url", "events", "name", NULL};
	char events[1024], id[SK_ID_LEN + 1], secret[SK_WEBHOOK_SECRET_MAX];
	const char *url, *name;
	json_t *body;
	int rc;

	if ((rc = sk_req_json(r, allowed, &body)))
		return rc;
	if (!(rc = sk_json_str(r, body, "url", 1, &url)) &&
	    !(rc = sk_json_str(r, body, "name", 0, &name)) &&
	    !(rc = events_arg(r, body, events, sizeof(events))))
		rc = sk_webhook_add(r->core, url, events, name, sk_server_cfg()->allow_private_webhooks,
				    id, secret, &r->err);
	json_decref(body);
	if (rc)
		return rc;
	rc = sk_reply_json(r, 201, sk_json_webhook_created(id, secret));
	memset(secret, 0, sizeof(secret));
	return rc;
}

int sk_h_webhook_get(struct sk_req *r)
{
	struct sk_webhook_info w;
	int rc = sk_webhook_get(r->core, r->param, &w, &r->err);
	return rc ? rc : sk_reply_json(r, 200, sk_json_webhook(&w));
}

int sk_h_webhook_delete(struct sk_req *r)
{
	int rc = sk_webhook_remove(r->core, r->param, &r->err);
	return rc ? rc : sk_reply_json(r, 200, sk_json_webhook_deleted(r->param));
}
