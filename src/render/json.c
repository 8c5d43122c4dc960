/* json.c: the JSON shapes of contacts, consent events, states and changes, one definition
 * for the command line's --json and for the HTTP API (the pieces the other render files
 * build their documents from). */
#include <jansson.h>

#include "render/render.h"
#include "util/sktime.h"
#include "util/str.h"

json_t *sk_json_time(int64_t t)
{
	char s[SK_TIME_STRLEN];
	if (t == 0)
		return json_null();
	sk_time_format(t, s);
	return json_string(s);
}

json_t *sk_json_contact(const struct sk_contact *ct)
{
	json_t *f = json_object();
	for (size_t i = 0; i < ct->nfields; i++)
		json_object_set_new(f, ct->fields[i].name, json_string(ct->fields[i].value));
	return json_pack("{s:s,s:o,s:o,s:o}", "id", ct->id, "created_at",
			 sk_json_time(ct->created_at), "updated_at", sk_json_time(ct->updated_at),
			 "fields", f);
}

/* The source as served: rows written before URLs were stripped on the way in may still
 * carry a page's query or fragment (an address, a name); they never leave in an answer. The
 * stored row stays as it is, as the ledger hash covers it (docs/rights.md). */
json_t *sk_json_event(const struct sk_consent_event *ev)
{
	char hash[2 * SK_HASH_LEN + 1], source[sizeof(ev->source)];
	sk_hex(ev->notice_sha256, SK_HASH_LEN, hash);
	sk_source_strip(ev->source, source, sizeof(source));
	return json_pack("{s:I,s:s,s:s,s:s,s:o,s:o,s:s,s:s,s:i,s:s,s:s,s:s,s:b,s:o}", "seq",
			 (json_int_t)ev->seq, "id", ev->id, "purpose", ev->purpose, "action",
			 sk_action_name(ev->action), "occurred_at", sk_json_time(ev->occurred_at),
			 "recorded_at", sk_json_time(ev->recorded_at), "method",
			 sk_method_name(ev->method), "source", source,
			 "notice_version", ev->notice_version, "notice_sha256", hash, "lang",
			 ev->lang, "actor", ev->actor, "verified", !(ev->flags & SK_EV_UNVERIFIED),
			 "valid_until", sk_json_time(ev->valid_until));
}

json_t *sk_json_state(const struct sk_state *st, int64_t now)
{
	return json_pack("{s:s,s:s,s:s,s:o,s:i}", "purpose", st->purpose, "status",
			 sk_status_name(sk_state_status(st, now)), "event_id", st->event_id,
			 "valid_until", sk_json_time(st->valid_until), "notice_version",
			 st->notice_version);
}

static json_t *str_or_null(const char *s)
{
	return *s ? json_string(s) : json_null();
}

json_t *sk_json_change(const struct sk_change *ch)
{
	/* contact_id null: an unsuppressed address that no contact holds; status null: not a
	 * consent change */
	json_t *status = ch->status == SK_ST_UNKNOWN ? json_null()
						     : json_string(sk_status_name(ch->status));
	return json_pack("{s:I,s:s,s:o,s:o,s:o,s:o}", "seq", (json_int_t)ch->seq, "type",
			 sk_change_type_name(ch->type), "contact_id", str_or_null(ch->contact_id),
			 "purpose", str_or_null(ch->purpose), "status", status, "at",
			 sk_json_time(ch->at));
}

json_t *sk_json_texts(char *const t[SK_NLANG])
{
	json_t *o = json_object();
	for (int l = 0; l < SK_NLANG; l++)
		json_object_set_new(o, sk_lang_name(l), json_string(t[l]));
	return o;
}

json_t *sk_json_duration(struct sk_duration d)
{
	char s[32];
	if (!d.n)
		return json_null();
	sk_duration_format(d, s, sizeof(s));
	return json_string(s);
}
