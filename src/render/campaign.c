/* campaign.c: what the API and the command line answer about campaigns (JSON), and the
 * one-click unsubscribe page of a campaign mail (docs/campaigns.md). Nothing here decides:
 * the core's structs in, JSON or HTML out. */
#include <jansson.h>

#include "render/page.h"
#include "render/render.h"

json_t *sk_json_campaign(const struct sk_campaign_rec *rec)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o}", "id", rec->id, "name", rec->name,
			      "purpose", rec->purpose, "status", rec->status, "created_at",
			      sk_json_time(rec->created_at), "updated_at",
			      sk_json_time(rec->updated_at));
	if (o && rec->spec) {
		json_t *spec = json_loads(rec->spec, 0, NULL);
		if (!spec || json_object_set_new(o, "campaign", spec)) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

json_t *sk_json_campaign_status(const char *id, const struct sk_campaign_status *st)
{
	json_t *skipped = json_object();
	for (int i = 0; skipped && i < SK_NREASONS; i++)
		if (st->skipped_by[i] &&
		    json_object_set_new(skipped, sk_reason_name((enum sk_reason)i),
					json_integer(st->skipped_by[i]))) {
			json_decref(skipped);
			return NULL;
		}
	if (!skipped)
		return NULL;
	return json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:o}", "id", id, "queued",
			 (json_int_t)st->queued, "sending", (json_int_t)st->sending, "sent",
			 (json_int_t)st->sent, "failed", (json_int_t)st->failed, "skipped_total",
			 (json_int_t)st->skipped, "skipped", skipped);
}

json_t *sk_json_campaign_preview(const char *id, const struct sk_audience *a)
{
	json_t *ex = json_object();
	for (int i = 0; ex && i < SK_NREASONS; i++)
		if (!sk_reason_allowed((enum sk_reason)i) && a->by_reason[i] &&
		    json_object_set_new(ex, sk_reason_name((enum sk_reason)i),
					json_integer(a->by_reason[i]))) {
			json_decref(ex);
			return NULL;
		}
	if (ex && a->segment && json_object_set_new(ex, "segment", json_integer(a->segment))) {
		json_decref(ex);
		return NULL;
	}
	if (!ex)
		return NULL;
	return json_pack("{s:s,s:o,s:I,s:I,s:o}", "id", id, "at", sk_json_time(a->at), "contacts",
			 (json_int_t)a->contacts, "audience", (json_int_t)a->allowed, "excluded",
			 ex);
}

json_t *sk_json_send(const struct sk_send_rec *r)
{
	return json_pack("{s:s,s:s,s:s?,s:s?,s:s,s:o,s:o}", "campaign", r->campaign_id, "state",
			 r->state, "reason", r->reason[0] ? r->reason : NULL, "consent_event",
			 r->consent_id[0] ? r->consent_id : NULL, "lang", r->lang, "queued_at",
			 sk_json_time(r->queued_at), "sent_at", sk_json_time(r->sent_at));
}

int sk_page_unsub(struct sk_buf *b, const struct sk_policy *pol, int lang, const char *token,
		  const char *purpose_title)
{
	int rc = sk_page_begin(b, pol, lang, sk_page_msg(lang, SK_MSG_UNSUB_TITLE));
	rc = rc ? rc : sk_html(b, "<p>%s</p>\n<p><strong>%s</strong></p>\n"
			       "<form method=\"post\" action=\"/u/%s\">\n"
			       "<input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\n"
			       "<button type=\"submit\">%s</button>\n</form>\n",
			       sk_page_msg(lang, SK_MSG_UNSUB_TEXT), purpose_title, token,
			       sk_page_msg(lang, SK_MSG_UNSUB_BUTTON));
	return rc;
}
