/* receipt.c: what a Kantara Consent Receipt v1.1 says about one ledger event: what the event
 * means for the consent, the applied policy's controller and purpose with Kantara's
 * categories, and nothing personal but the contact's opaque id (JSON: render/receipt.c). */
#include "core/core_int.h"

#include <string.h>

#include "util/str.h"

/* Kantara CR v1.1, Appendix "Purpose Categories": the category of each purpose kind
 * (docs/policy.md says what the kinds are for). */
static const char *const purpose_category[] = {
	[SK_KIND_COMMUNICATION] = "Marketing",      /* newsletters, offers, invitations */
	[SK_KIND_PROFILING] = "Marketing",          /* lead scoring, purchase propensity */
	[SK_KIND_TRACKING] = "Marketing",           /* visit tracking, reverse-IP lookup */
	[SK_KIND_OTHER] = "Contracted Service",     /* a registration or other requested service */
};

/* Kantara CR v1.1, Appendix "PII Categories", in its order: index = its number - 1. */
static const char *const pii_names[] = {
	"Biographical", "Contact", "Biometric", "Communications/Social", "Network/Service",
	"Health", "Financial", "Official/Government Identifiers", "Social Welfare", "Judicial",
	"Property", "Employee Personnel Information", "Psychological", "Membership", "Behavioral",
	"Profiling", "Criminal",
};
enum { PII_BIOGRAPHICAL = 0, PII_CONTACT = 1, PII_BEHAVIORAL = 14, PII_PROFILING = 15 };
#define NPII (sizeof(pii_names) / sizeof(pii_names[0]))

/* The PII category of each field type: a text field holds a name, a company or a title
 * (biographical); an address, phone number or country is how to reach someone (contact). */
static const int field_pii[] = {
	[SK_FIELD_EMAIL] = PII_CONTACT,
	[SK_FIELD_TEXT] = PII_BIOGRAPHICAL,
	[SK_FIELD_PHONE] = PII_CONTACT,
	[SK_FIELD_COUNTRY] = PII_CONTACT,
};
/* What a purpose of each kind records besides its fields (-1: nothing). */
static const int kind_pii[] = {
	[SK_KIND_COMMUNICATION] = -1,
	[SK_KIND_PROFILING] = PII_PROFILING,  /* the score it computes */
	[SK_KIND_TRACKING] = PII_BEHAVIORAL,  /* the visits it records */
	[SK_KIND_OTHER] = -1,
};

const char *sk_kind_purpose_category(enum sk_kind k)
{
	return (unsigned)k < sizeof(purpose_category) / sizeof(purpose_category[0])
		       ? purpose_category[k]
		       : NULL;
}

const char *sk_field_pii_category(enum sk_field_type t)
{
	return (unsigned)t < sizeof(field_pii) / sizeof(field_pii[0]) ? pii_names[field_pii[t]]
								       : NULL;
}

/* The PII categories of purpose p, each once, in Kantara's order. */
static void pii_of(const struct sk_policy *pol, const struct sk_purpose *p,
		   struct sk_consent_receipt *out)
{
	unsigned char used[NPII] = {0};
	for (size_t i = 0; i < p->nfields; i++) {
		const struct sk_field_def *f = sk_policy_field(pol, p->fields[i]);
		if (f && (unsigned)f->type < sizeof(field_pii) / sizeof(field_pii[0]))
			used[field_pii[f->type]] = 1;
	}
	if ((unsigned)p->kind < sizeof(kind_pii) / sizeof(kind_pii[0]) && kind_pii[p->kind] >= 0)
		used[kind_pii[p->kind]] = 1;
	for (size_t i = 0; i < NPII && out->npii < SK_RECEIPT_PII_MAX; i++)
		if (used[i])
			out->pii_categories[out->npii++] = pii_names[i];
}

/* What the event means for the consent. */
static enum sk_receipt_terms terms_of(const struct sk_consent_event *ev)
{
	switch (ev->action) {
	case SK_ACT_GIVE:
		if (ev->flags & SK_EV_UNVERIFIED)
			return SK_TERMS_UNVERIFIED;
		return ev->flags & SK_EV_DOUBLE_OPT_IN ? SK_TERMS_PENDING : SK_TERMS_GIVEN;
	case SK_ACT_CONFIRM:
		return SK_TERMS_GIVEN;
	case SK_ACT_REFUSE:
		return SK_TERMS_REFUSED;
	case SK_ACT_WITHDRAW:
		return SK_TERMS_WITHDRAWN;
	case SK_ACT_EXPIRE:
		return SK_TERMS_EXPIRED;
	}
	return SK_TERMS_UNVERIFIED; /* not reached: the action was read from its list */
}

int sk_receipt(struct sk_core *c, const char *event_id, struct sk_consent_receipt *out,
	       struct sk_errctx *err)
{
	struct sk_event_rec rec;
	struct sk_consent_event ev;
	const char *where = NULL;
	int rc;

	if ((rc = sk_core_need_policy(c, err)))
		return rc;
	rc = sk_store_ledger_get(c->store, event_id, sk__copy_event, &rec);
	if (rc == SK_ERR_NOT_FOUND)
		return sk_errf(err, rc, "no consent event has this id");
	if (rc)
		return sk__store_err(err, rc, "reading the ledger");
	if ((rc = sk__event_from_rec(&rec, &ev, &where)))
		return sk_errf(err, rc, "stored data is corrupt while reading the ledger: %s holds "
			       "a word that is not in its list", where);
	memset(out, 0, sizeof(*out));
	out->policy = c->policy;
	out->purpose = sk_policy_purpose(c->policy, ev.purpose);
	sk_strlcpy(out->event_id, ev.id, sizeof(out->event_id));
	sk_strlcpy(out->contact_id, ev.contact_id, sizeof(out->contact_id));
	sk_strlcpy(out->lang, ev.lang, sizeof(out->lang));
	sk_strlcpy(out->method, sk_method_name(ev.method), sizeof(out->method));
	out->method_phrase = sk_method_phrase(ev.method);
	sk_strlcpy(out->purpose_id, ev.purpose, sizeof(out->purpose_id));
	out->text_lang = sk_lang_from_name(ev.lang);
	if (out->text_lang < 0)
		out->text_lang = SK_LANG_EN;
	/* an old row's source may carry a page's query string: never served (docs/rights.md) */
	sk_source_strip(ev.source, out->source, sizeof(out->source));
	out->action = ev.action;
	out->terms = terms_of(&ev);
	out->recorded_at = ev.recorded_at;
	/* A live event happens when it is recorded (occurred_at is set). An unverified give has
	 * the time its import claimed, or none: its recording time is not a consent time. */
	out->consent_at = ev.occurred_at ? ev.occurred_at
			  : out->terms == SK_TERMS_UNVERIFIED ? 0 : ev.recorded_at;
	out->valid_until = ev.valid_until;
	if (out->purpose) {
		out->purpose_category = sk_kind_purpose_category(out->purpose->kind);
		pii_of(c->policy, out->purpose, out);
	}
	return 0;
}
