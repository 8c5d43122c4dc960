/* receipt.c: consent receipts in the Kantara Initiative Consent Receipt v1.1 format, built
 * from one ledger event, the applied policy (controller, purpose) and nothing personal but
 * the contact's opaque id. */
#include "core/core_int.h"

#include <jansson.h>
#include <string.h>

#include "util/sktime.h"

static json_t *purpose_json(const struct sk_purpose *p, const struct sk_event_rec *ev, int lang)
{
	char until[SK_TIME_STRLEN], termination[256];
	json_t *fields = json_array();
	const char *desc = ev->purpose;
	if (p) {
		for (size_t i = 0; i < p->nfields; i++)
			json_array_append_new(fields, json_string(p->fields[i]));
		desc = p->description[lang];
	}
	if (ev->valid_until) {
		sk_time_format(ev->valid_until, until);
		snprintf(termination, sizeof(termination), "valid until %s or until withdrawn, "
			 "whichever comes first; withdraw at any time", until);
	} else {
		snprintf(termination, sizeof(termination), "valid until withdrawn; withdraw at any time");
	}
	return json_pack("{s:s,s:s,s:[s],s:o,s:b,s:s,s:b}", "purpose", desc, "consentType",
			 "EXPLICIT", "purposeCategory", p ? sk_kind_name(p->kind) : "other",
			 "piiCategory", fields, "primaryPurpose", 1, "termination", termination,
			 "thirdPartyDisclosure", 0);
}

int sk_receipt(struct sk_core *c, const char *event_id, json_t **out, struct sk_errctx *err)
{
	struct {
		struct sk_event_rec ev;
	} f;
	char method[300], source[sizeof(f.ev.source)];
	int rc;

	if ((rc = sk_core_need_policy(c, err)))
		return rc;
	rc = sk_store_ledger_get(c->store, event_id, sk__copy_event, &f.ev);
	if (rc == SK_ERR_NOT_FOUND)
		return sk_errf(err, rc, "no consent event has this id");
	if (rc)
		return sk__store_err(err, rc, "reading the ledger");
	const struct sk_policy *pol = c->policy;
	const struct sk_purpose *p = sk_policy_purpose(pol, f.ev.purpose);
	int lang = sk_lang_from_name(f.ev.lang);
	if (lang < 0)
		lang = SK_LANG_EN;
	/* an old row's source may carry a page's query string: never served (docs/rights.md) */
	sk_source_strip(f.ev.source, source, sizeof(source));
	snprintf(method, sizeof(method), "%s%s%s", f.ev.method, source[0] ? ": " : "", source);
	json_t *controller = json_pack(
		"{s:s,s:b,s:s,s:{s:s},s:s,s:s,s:s}", "piiController", pol->org_name, "onBehalf", 0,
		"contact", pol->org_contact, "address", "streetAddress", pol->org_address, "email",
		pol->org_contact, "phone", pol->org_phone ? pol->org_phone : "", "piiControllerUrl",
		pol->org_privacy_url);
	json_t *service = json_pack("{s:s,s:[o]}", "service", p ? p->title[lang] : f.ev.purpose,
				    "purposes", purpose_json(p, &f.ev, lang));
	*out = json_pack("{s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:[o],s:s,s:[o],s:b,s:[]}", "version",
			 "KI-CR-v1.1.0", "jurisdiction",
			 pol->org_jurisdiction ? pol->org_jurisdiction : "", "consentTimestamp",
			 (json_int_t)(f.ev.occurred_at ? f.ev.occurred_at : f.ev.recorded_at),
			 "collectionMethod", method, "consentReceiptID", f.ev.id, "language",
			 f.ev.lang, "piiPrincipalId", f.ev.contact_id, "piiControllers", controller,
			 "policyUrl", pol->org_privacy_url, "services", service, "sensitive", 0,
			 "spiCat");
	return *out ? 0 : sk_errf(err, SK_ERR_NOMEM, "out of memory");
}
