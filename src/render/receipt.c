/* receipt.c: the JSON of a consent receipt in the Kantara Initiative Consent Receipt v1.1
 * format (GET /v1/consents/{id}/receipt), from core's struct sk_consent_receipt. */
#include <jansson.h>
#include <stdio.h>

#include "render/render.h"
#include "util/sktime.h"

static json_t *purpose_json(const struct sk_consent_receipt *r)
{
	const struct sk_purpose *p = r->purpose;
	char until[SK_TIME_STRLEN], termination[256];
	json_t *fields = json_array();
	const char *desc = r->purpose_id;
	if (p) {
		for (size_t i = 0; i < p->nfields; i++)
			json_array_append_new(fields, json_string(p->fields[i]));
		desc = p->description[r->text_lang];
	}
	if (r->valid_until) {
		sk_time_format(r->valid_until, until);
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

json_t *sk_json_receipt(const struct sk_consent_receipt *r)
{
	const struct sk_policy *pol = r->policy;
	char method[300];
	snprintf(method, sizeof(method), "%s%s%s", r->method, r->source[0] ? ": " : "", r->source);
	json_t *controller = json_pack(
		"{s:s,s:b,s:s,s:{s:s},s:s,s:s,s:s}", "piiController", pol->org_name, "onBehalf", 0,
		"contact", pol->org_contact, "address", "streetAddress", pol->org_address, "email",
		pol->org_contact, "phone", pol->org_phone ? pol->org_phone : "", "piiControllerUrl",
		pol->org_privacy_url);
	json_t *service = json_pack("{s:s,s:[o]}", "service",
				    r->purpose ? r->purpose->title[r->text_lang] : r->purpose_id,
				    "purposes", purpose_json(r));
	return json_pack("{s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:[o],s:s,s:[o],s:b,s:[]}", "version",
			 "KI-CR-v1.1.0", "jurisdiction",
			 pol->org_jurisdiction ? pol->org_jurisdiction : "", "consentTimestamp",
			 (json_int_t)r->consent_at, "collectionMethod", method, "consentReceiptID",
			 r->event_id, "language", r->lang, "piiPrincipalId", r->contact_id,
			 "piiControllers", controller, "policyUrl", pol->org_privacy_url, "services",
			 service, "sensitive", 0, "spiCat");
}
