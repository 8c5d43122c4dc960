/* rights.c: the JSON of the data subject's rights and of disposal (docs/rights.md): the
 * access export, the erasure receipt and the purge report, from core's structs, one shape
 * each for the command line and the API. */
#include <jansson.h>
#include <stdio.h>
#include <math.h>
#include <string.h>

#include "render/render.h"

/* An event of the export: its shape, the notice text shown (when stored) and the evidence. */
static json_t *export_event(const struct sk_export_event *e)
{
	json_t *o = sk_json_event(&e->event);
	if (e->notice_text)
		json_object_set_new(o, "notice_text", json_string(e->notice_text));
	json_t *evd = e->evidence_json ? json_loads(e->evidence_json, 0, NULL) : NULL;
	json_object_set_new(o, "evidence", evd ? evd : json_null());
	return o;
}

/* A string, or null for NULL or "". */
static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* A consent record, with the ISO/IEC TS 27560 fields samtycke holds after status and
 * valid_until (docs/rights.md says which field each carries). */
static json_t *export_consent(const struct sk_export_consent *c, const struct sk_policy *pol,
			      int64_t now)
{
	json_t *hist = json_array();
	for (size_t i = 0; i < c->nhistory; i++)
		json_array_append_new(hist, export_event(&c->history[i]));
	json_t *o = json_pack("{s:s,s:o}", "purpose", c->state.purpose, "history", hist);
	json_t *st = sk_json_state(&c->state, now);
	json_object_set(o, "status", json_object_get(st, "status"));
	json_object_set(o, "valid_until", json_object_get(st, "valid_until"));
	json_decref(st);
	const struct sk_consent_event *ev = c->last ? &c->last->event : NULL;
	char how[512];
	snprintf(how, sizeof(how), "at any time, in the ways the notice names or by asking "
		 "the controller (%s)", pol->org_contact);
	json_object_set_new(o, "language", str_or_null(ev ? ev->lang : NULL));
	json_object_set_new(o, "validity", c->purpose ? sk_json_duration(c->purpose->validity)
						      : json_null());
	json_object_set_new(o, "actor", str_or_null(ev ? ev->actor : NULL));
	json_object_set_new(o, "jurisdiction", str_or_null(pol->org_jurisdiction));
	json_object_set_new(o, "retention", c->purpose ? sk_json_duration(c->purpose->retention)
						       : json_null());
	json_object_set_new(o, "withdrawal_method", json_string(how));
	return o;
}

static json_t *export_purpose(const struct sk_purpose *u, int l)
{
	json_t *fields = json_array();
	for (size_t k = 0; k < u->nfields; k++)
		json_array_append_new(fields, json_string(u->fields[k]));
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o}", "id", u->id, "title", u->title[l],
			 "description", u->description[l], "legal_basis", sk_basis_name(u->basis),
			 "kind", sk_kind_name(u->kind), "validity", sk_json_duration(u->validity),
			 "retention", sk_json_duration(u->retention), "fields", fields);
}

static json_t *export_share(const struct sk_export_share *s)
{
	if (s->webhook)
		return json_pack("{s:s,s:s,s:s,s:s}", "name", s->name, "url", s->url, "events",
				 s->events, "kind", "webhook");
	return json_pack("{s:s,s:s,s:s}", "name", s->name, "scopes", s->scopes, "kind", "api_key");
}

static json_t *export_rect(const struct sk_export_rect *r)
{
	json_t *names = json_array();
	for (const char *p = r->fields; *p;) {
		size_t len = strcspn(p, ",");
		json_array_append_new(names, json_stringn(p, len));
		p += len + (p[len] == ',');
	}
	return json_pack("{s:o,s:o,s:s}", "at", sk_json_time(r->at), "fields", names, "actor",
			 r->actor);
}

/* ---- tracking and lead scoring (helper track; docs/tracking.md) ---- */

json_t *sk_json_track_event(const struct sk_track_rec *e)
{
	static const char *const utm_names[SK_NUTM] = {"source", "medium", "campaign", "term",
						       "content"};
	json_t *utm = json_object();
	for (int i = 0; i < SK_NUTM; i++)
		if (e->utm[i][0])
			json_object_set_new(utm, utm_names[i], json_string(e->utm[i]));
	return json_pack("{s:s,s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id", e->id, "at",
			 sk_json_time(e->at), "type", e->type, "name", str_or_null(e->name), "url",
			 str_or_null(e->url), "utm", utm, "visitor_id", str_or_null(e->visitor_id),
			 "campaign_id", str_or_null(e->campaign_id), "ip", str_or_null(e->ip),
			 "company", str_or_null(e->company));
}

static json_t *export_track_events(const struct sk_access_export *x)
{
	json_t *a = json_array();
	for (size_t i = 0; i < x->ntrack_events; i++)
		json_array_append_new(a, sk_json_track_event(&x->track_events[i]));
	return a;
}

json_t *sk_json_score(const char *contact_id, const struct sk_score *sc, int64_t at)
{
	if (!sc->has)
		return json_pack("{s:s,s:n,s:s,s:o,s:o,s:o,s:I}", "contact_id", contact_id,
				 "score", "reason", sk_reason_name(sc->reason), "at", sk_json_time(at),
				 "computed_at", json_null(), "last_activity", json_null(), "events",
				 (json_int_t)0);
	/* two decimals: the decay makes long fractions that say nothing more */
	return json_pack("{s:s,s:f,s:s,s:o,s:o,s:o,s:I}", "contact_id", contact_id, "score",
			 round(sc->score * 100) / 100, "reason", sk_reason_name(sc->reason), "at", sk_json_time(at),
			 "computed_at", sk_json_time(sc->computed_at), "last_activity",
			 sk_json_time(sc->last_activity), "events", (json_int_t)sc->nevents);
}

static json_t *export_scores(const struct sk_access_export *x)
{
	json_t *a = json_array();
	if (x->has_score)
		json_array_append_new(a, json_pack("{s:I,s:o,s:I,s:o}", "score",
						   (json_int_t)x->score.score, "computed_at",
						   sk_json_time(x->score.computed_at), "events",
						   (json_int_t)x->score.nevents, "last_activity",
						   sk_json_time(x->score.last_at)));
	return a;
}

json_t *sk_json_export(const struct sk_access_export *x)
{
	const struct sk_policy *pol = x->policy;
	json_t *doc = json_pack("{s:o,s:{s:s,s:s,s:s,s:s},s:o}", "exported_at",
				sk_json_time(x->exported_at), "controller", "name", pol->org_name,
				"contact", pol->org_contact, "address", pol->org_address,
				"privacy_policy_url", pol->org_privacy_url, "contact",
				sk_json_contact(&x->contact));
	json_t *consents = json_array(), *purposes = json_array(), *shared = json_array(),
	       *rect = json_array();
	for (size_t i = 0; i < x->nconsents; i++)
		json_array_append_new(consents, export_consent(&x->consents[i], pol, x->exported_at));
	for (size_t i = 0; i < x->npurposes; i++)
		json_array_append_new(purposes, export_purpose(x->purposes[i], x->lang));
	for (size_t i = 0; i < x->nshared; i++)
		json_array_append_new(shared, export_share(&x->shared[i]));
	for (size_t i = 0; i < x->nrects; i++)
		json_array_append_new(rect, export_rect(&x->rects[i]));
	json_object_set_new(doc, "consents", consents);
	json_object_set_new(doc, "purposes", purposes);
	json_object_set_new(doc, "shared_with", shared);
	json_object_set_new(doc, "rectifications", rect);
	/* the banner's visitors tied to the person, with their answers (docs/banner.md) */
	json_t *visitors = json_array();
	for (size_t i = 0; visitors && i < x->nvisitors; i++)
		json_array_append_new(visitors, sk_json_visitor(&x->visitors[i]));
	json_object_set_new(doc, "visitors", visitors);
	/* behaviour: the tracking events attached to the person and the score (helper track),
	 * the send log as the mails sent and skipped (helper campaign) */
	json_t *mails = json_array();
	for (size_t i = 0; mails && i < x->nsends; i++)
		json_array_append_new(mails, sk_json_send(&x->sends[i]));
	json_object_set_new(doc, "behaviour", json_pack("{s:o,s:o,s:o}", "tracking_events",
							export_track_events(x), "scores",
							export_scores(x), "mails_sent", mails));
	return doc;
}

json_t *sk_json_erasure(const struct sk_erasure_receipt *r)
{
	json_t *cats = json_array();
	for (size_t i = 0; i < r->ncategories; i++)
		json_array_append_new(cats, json_string(r->categories[i]));
	return json_pack("{s:s,s:o,s:o,s:o,s:b,s:I,s:b}", "erasure_id", r->erasure_id,
			 "contact_id", r->contact_id[0] ? json_string(r->contact_id) : json_null(),
			 "erased_at", sk_json_time(r->erased_at), "categories", cats, "suppressed",
			 r->suppressed, "ledger_events_kept", (json_int_t)r->ledger_events_kept,
			 "scrub_pending", r->scrub_pending);
}

json_t *sk_json_purge(const struct sk_purge_report *r)
{
	json_t *lists = json_object();
	for (int i = 0; i < SK_PURGE_NREASONS; i++) {
		json_t *ids = json_array();
		for (size_t k = 0; k < r->by_reason[i].n; k++)
			json_array_append_new(ids, json_string(r->by_reason[i].id[k]));
		json_object_set_new(lists, sk_purge_reason_name(i), ids);
	}
	return json_pack("{s:b,s:o,s:I,s:I}", "dry_run", r->dry_run, "contacts", lists, "total",
			 (json_int_t)r->total, "tracking_events", (json_int_t)r->tracking_events);
}
