/* webhook.c: the JSON of webhook endpoints: an endpoint's status (`samtycke webhook list
 * --json` and GET /v1/webhooks/{id}), the list, a created endpoint with its secret and a
 * removed one. (The payloads sent to endpoints are sync's: src/sync/webhook.c.) */
#include "render/render.h"

#include <jansson.h>
#include <string.h>

/* The stored comma-separated list as an array of names. */
static json_t *events_json(const char *events)
{
	json_t *a = json_array();
	for (const char *p = events; a && *p;) {
		size_t n = strcspn(p, ",");
		json_array_append_new(a, json_stringn(p, n));
		p += n;
		if (*p == ',')
			p++;
	}
	return a;
}

json_t *sk_json_webhook(const struct sk_webhook_info *w)
{
	return json_pack("{s:s,s:s,s:s,s:o,s:b,s:I,s:I,s:o,s:o,s:o,s:i,s:I,s:o,s:o,s:o}", "id", w->id,
			 "name", w->name, "url", w->url, "events", events_json(w->events),
			 "enabled", w->enabled, "last_delivered_seq",
			 (json_int_t)w->last_delivered_seq, "pending", (json_int_t)w->pending,
			 "last_status", w->last_status ? json_integer(w->last_status) : json_null(),
			 "last_error", w->last_error[0] ? json_string(w->last_error) : json_null(),
			 "next_attempt_at", sk_json_time(w->next_attempt_at), "failures",
			 w->failures, "failed_changes", (json_int_t)w->failed_changes,
			 "last_failed_seq",
			 w->last_failed_seq ? json_integer(w->last_failed_seq) : json_null(),
			 "created_at", sk_json_time(w->created_at), "delivered_by",
			 w->delivered_by[0]
				 ? json_pack("{s:s,s:o}", "server", w->delivered_by, "until",
					     sk_json_time(w->delivered_by_until))
				 : json_null());
}

json_t *sk_json_webhooks(const struct sk_webhook_info *w, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		json_t *o = sk_json_webhook(&w[i]);
		if (!o || json_array_append_new(arr, o)) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr ? json_pack("{s:o}", "webhooks", arr) : NULL;
}

json_t *sk_json_webhook_created(const char *id, const char *secret)
{
	return json_pack("{s:s,s:s}", "id", id, "secret", secret);
}

json_t *sk_json_webhook_removed(const char *id)
{
	return json_pack("{s:s,s:b}", "id", id, "removed", 1);
}

json_t *sk_json_webhook_deleted(const char *id)
{
	return json_pack("{s:s,s:b}", "id", id, "deleted", 1);
}
