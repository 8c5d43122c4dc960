/* receipt.c: what a consent receipt (Kantara Initiative Consent Receipt v1.1) says about one
 * ledger event: the event, the applied policy (controller, purpose) and nothing personal but
 * the contact's opaque id. Its JSON is render/receipt.c's. */
#include "core/core_int.h"

#include <string.h>

#include "util/str.h"

int sk_receipt(struct sk_core *c, const char *event_id, struct sk_consent_receipt *out,
	       struct sk_errctx *err)
{
	struct sk_event_rec ev;
	int rc;

	if ((rc = sk_core_need_policy(c, err)))
		return rc;
	rc = sk_store_ledger_get(c->store, event_id, sk__copy_event, &ev);
	if (rc == SK_ERR_NOT_FOUND)
		return sk_errf(err, rc, "no consent event has this id");
	if (rc)
		return sk__store_err(err, rc, "reading the ledger");
	memset(out, 0, sizeof(*out));
	out->policy = c->policy;
	out->purpose = sk_policy_purpose(c->policy, ev.purpose);
	sk_strlcpy(out->event_id, ev.id, sizeof(out->event_id));
	sk_strlcpy(out->contact_id, ev.contact_id, sizeof(out->contact_id));
	sk_strlcpy(out->lang, ev.lang, sizeof(out->lang));
	sk_strlcpy(out->method, ev.method, sizeof(out->method));
	sk_strlcpy(out->purpose_id, ev.purpose, sizeof(out->purpose_id));
	out->text_lang = sk_lang_from_name(ev.lang);
	if (out->text_lang < 0)
		out->text_lang = SK_LANG_EN;
	/* an old row's source may carry a page's query string: never served (docs/rights.md) */
	sk_source_strip(ev.source, out->source, sizeof(out->source));
	out->consent_at = ev.occurred_at ? ev.occurred_at : ev.recorded_at;
	out->valid_until = ev.valid_until;
	return 0;
}
