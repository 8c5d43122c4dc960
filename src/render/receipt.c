/* receipt.c: the JSON of a consent receipt in the Kantara Initiative Consent Receipt v1.1
 * format (GET /v1/consents/{id}/receipt, samtycke consent receipt), from core's struct
 * sk_consent_receipt; the words of what each event means are in the table below. */
#include <jansson.h>
#include <stdio.h>

#include "render/render.h"
#include "util/sktime.h"

/* What each receipt says (docs/rights.md): the purpose's consentType and its termination,
 * which is `before`, the event's time (consent_at) and `after`, or `after` alone when
 * `before` is NULL. A given consent with a validity says until when instead. */
static const struct {
	const char *consent_type;
	const char *before, *after;
} terms[] = {
	[SK_TERMS_GIVEN] = {"EXPLICIT", NULL, "valid until withdrawn; withdraw at any time"},
	[SK_TERMS_PENDING] = {"EXPLICIT", NULL,
			      "not in force until the person confirms it through the link mailed "
			      "to them (double opt-in); then valid until withdrawn; withdraw at "
			      "any time"},
	[SK_TERMS_REFUSED] = {"REFUSED", "no consent: refused at ",
			      "; nothing is processed on consent for this purpose"},
	[SK_TERMS_WITHDRAWN] = {"WITHDRAWN", "ended: withdrawn at ",
				"; nothing is processed on this consent from then on"},
	[SK_TERMS_EXPIRED] = {"EXPIRED", "ended: expired at ",
			      "; nothing is processed on this consent until it is given again"},
	[SK_TERMS_UNVERIFIED] = {"UNVERIFIED", NULL,
				 "not in force: consent was claimed without evidence (an "
				 "unverified import); it is not relied on until the person gives "
				 "it again"},
};

static void termination_of(const struct sk_consent_receipt *r, char *out, size_t cap)
{
	char at[SK_TIME_STRLEN];
	if (r->terms == SK_TERMS_GIVEN && r->valid_until) {
		sk_time_format(r->valid_until, at);
		snprintf(out, cap, "valid until %s or until withdrawn, whichever comes first; "
			 "withdraw at any time", at);
	} else if (terms[r->terms].before) {
		sk_time_format(r->consent_at, at);
		snprintf(out, cap, "%s%s%s", terms[r->terms].before, at, terms[r->terms].after);
	} else {
		snprintf(out, cap, "%s", terms[r->terms].after);
	}
}

static json_t *strings(const char *const *s, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(s[i]));
	return a;
}

static json_t *purpose_json(const struct sk_consent_receipt *r)
{
	const struct sk_purpose *p = r->purpose;
	char termination[256];
	termination_of(r, termination, sizeof(termination));
	return json_pack("{s:s,s:s,s:o,s:o,s:b,s:s,s:b}", "purpose",
			 p ? p->title[r->text_lang] : r->purpose_id, "consentType",
			 terms[r->terms].consent_type, "purposeCategory",
			 strings(&r->purpose_category, r->purpose_category ? 1 : 0), "piiCategory",
			 strings(r->pii_categories, r->npii), "primaryPurpose", 1, "termination",
			 termination, "thirdPartyDisclosure", 0);
}

/* A schema.org PostalAddress: the policy's parts, or its one line as the street. */
static json_t *address_json(const struct sk_policy *pol)
{
	json_t *a = json_object();
	if (!pol->org_street) {
		json_object_set_new(a, "streetAddress", json_string(pol->org_address));
		return a;
	}
	json_object_set_new(a, "streetAddress", json_string(pol->org_street));
	if (pol->org_postal_code)
		json_object_set_new(a, "postalCode", json_string(pol->org_postal_code));
	if (pol->org_locality)
		json_object_set_new(a, "addressLocality", json_string(pol->org_locality));
	if (pol->org_region)
		json_object_set_new(a, "addressRegion", json_string(pol->org_region));
	if (pol->org_country)
		json_object_set_new(a, "addressCountry", json_string(pol->org_country));
	return a;
}

json_t *sk_json_receipt(const struct sk_consent_receipt *r)
{
	const struct sk_policy *pol = r->policy;
	char method[300];
	snprintf(method, sizeof(method), "%s%s%s%s", r->method_phrase ? r->method_phrase : r->method,
		 r->source[0] ? " (source: " : "", r->source, r->source[0] ? ")" : "");
	json_t *controller = json_pack(
		"{s:s,s:b,s:s,s:o,s:s,s:s,s:s}", "piiController", pol->org_name, "onBehalf", 0,
		"contact", pol->org_contact, "address", address_json(pol), "email",
		pol->org_contact, "phone", pol->org_phone ? pol->org_phone : "", "piiControllerUrl",
		pol->org_privacy_url);
	json_t *service = json_pack("{s:s,s:[o]}", "service", pol->org_name, "purposes",
				    purpose_json(r));
	return json_pack("{s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:[o],s:s,s:[o],s:b,s:[]}", "version",
			 "KI-CR-v1.1.0", "jurisdiction",
			 pol->org_jurisdiction ? pol->org_jurisdiction : "", "consentTimestamp",
			 (json_int_t)r->consent_at, "collectionMethod", method, "consentReceiptID",
			 r->event_id, "language", r->lang, "piiPrincipalId", r->contact_id,
			 "piiControllers", controller, "policyUrl", pol->org_privacy_url, "services",
			 service, "sensitive", 0, "spiCat");
}
