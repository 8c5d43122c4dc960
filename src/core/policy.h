/* policy.h: the organisation's policy (controller, declared contact fields, purposes with
 * their notices) as parsed from the human-edited YAML policy file, and lookups into it. */
#ifndef SK_POLICY_H
#define SK_POLICY_H

#include <stddef.h>

#include "util/sktime.h"

struct sk_errctx;

/* The languages notices are written in; every text exists in each. */
enum sk_lang { SK_LANG_SV, SK_LANG_EN, SK_NLANG };

enum sk_basis {
	SK_BASIS_CONSENT,
	SK_BASIS_LEGITIMATE_INTEREST,
	SK_BASIS_CONTRACT,
	SK_BASIS_LEGAL_OBLIGATION,
};

enum sk_kind { SK_KIND_COMMUNICATION, SK_KIND_PROFILING, SK_KIND_TRACKING, SK_KIND_OTHER };

enum sk_field_type { SK_FIELD_EMAIL, SK_FIELD_TEXT, SK_FIELD_PHONE, SK_FIELD_COUNTRY };

struct sk_field_def {
	char *name;          /* [a-z][a-z0-9_]*, at most 63 chars */
	enum sk_field_type type;
	int max_length;      /* in bytes, for text; defaults per type */
	char *label[SK_NLANG];
};

struct sk_purpose {
	char *id;            /* [a-z][a-z0-9_]*, at most 63 chars */
	enum sk_kind kind;
	enum sk_basis basis;
	struct sk_duration validity;   /* how long a consent holds; n == 0: until withdrawn */
	struct sk_duration retention;  /* how long data stays after the basis ends */
	int double_opt_in;
	char *title[SK_NLANG];
	char *description[SK_NLANG];
	char *notice[SK_NLANG];        /* the exact text shown when asking */
	char **fields;                 /* names of declared fields this purpose needs */
	size_t nfields;
	int notice_version;            /* current version; filled from the store, 0 until then */
};

/* A form field: a declared contact field the form asks for. */
struct sk_form_field {
	char *name;          /* a declared field that one of the form's consent purposes needs */
	int required;        /* 1: a submission without it is refused; always 1 for email */
};

/* A consent option on a form: never pre-ticked, worded with the purpose's notice text. */
struct sk_form_consent {
	char *purpose;       /* a purpose on legal basis consent */
	int double_opt_in;   /* 1: pending until confirmed; always 1 when the purpose requires it */
};

/* A web form, declared in the policy under forms:. */
struct sk_form {
	char *id;            /* [a-z][a-z0-9_]*, at most 63 chars */
	char *title[SK_NLANG];
	/* The form's own purpose: what submitting the form does (a registration), given by the
	 * submission itself and never by a box; on legal basis contract, or consent of kind
	 * other. NULL when the form has none: then the form exists only to ask its consent
	 * options and at least one of them is ticked. The consent options of a form with its
	 * own purpose are optional extras (GDPR Art. 7(4): no bundling). */
	char *purpose;
	struct sk_form_field *fields;      /* in file order; always holds email */
	size_t nfields;
	struct sk_form_consent *consents;  /* in file order; at least one unless purpose is set */
	size_t nconsents;
	char *success_url;   /* http(s) URL, NULL when absent */
	char *error_url;     /* http(s) URL, NULL when absent */
	char **origins;      /* "https://host[:port]" or "http://host[:port]", lowercase */
	size_t norigins;
};

/* The visitor banner of the web site (banner:, docs/banner.md); present is 0 without one. */
struct sk_banner {
	int present;
	char *title[SK_NLANG];
	char *intro[SK_NLANG];
	/* The purposes it asks for, in order: each on consent, of kind tracking or profiling;
	 * by default those of ip_tracking and lead_scoring that the policy declares. */
	char **purposes;
	size_t npurposes;
	char **origins;      /* the web sites that may load it and post to /v/... and /t */
	size_t norigins;
};

/* A lead-scoring rule (scoring.rules, docs/scoring.md): an attached event that matches every
 * condition given earns points, halved every half_life after the event. */
#define SK_SCORE_MAX_RULES 100
#define SK_SCORE_POINTS_MAX 1000
struct sk_score_rule {
	char *type;          /* page_view, event, mail_open, mail_click; NULL: any */
	char *name;          /* a custom event's name, exact; NULL: any */
	char *url;           /* a URL pattern, '*' matching any run of characters; NULL: any */
	char *utm[5];        /* source, medium, campaign, term, content: exact, case-insensitive;
			      * NULL: any */
	long points;         /* -SK_SCORE_POINTS_MAX .. SK_SCORE_POINTS_MAX */
	struct sk_duration half_life; /* n == 0: no decay */
};

struct sk_policy {
	char *org_name;
	char *org_contact;
	char *org_address;      /* one line; of a split address: its parts joined (", ") */
	/* The address's parts when the file splits it (organisation.address as a mapping, for
	 * a consent receipt's schema.org PostalAddress); all NULL when it is one line. Only
	 * street is required; the others may be NULL. */
	char *org_street, *org_postal_code, *org_locality, *org_region, *org_country;
	char *org_privacy_url;
	char *org_phone;        /* optional */
	char *org_jurisdiction; /* optional, such as "SE" */
	/* The brand of the public pages (organisation.brand, docs/policy.md); each optional,
	 * NULL when absent: a logo (https URL), colours as "#rrggbb" (primary: headings, buttons
	 * and links; background; text), and a stylesheet (https URL) loaded after ours. */
	char *brand_logo_url;
	char *brand_primary, *brand_background, *brand_text;
	char *brand_stylesheet_url;
	struct sk_field_def *fields;
	size_t nfields;
	struct sk_purpose *purposes;
	size_t npurposes;
	struct sk_duration retain_no_basis;  /* a contact without any consent event: 30 days */
	struct sk_duration retain_inactive;  /* nothing recorded for this long; n == 0: never */
	struct sk_form *forms;  /* optional; none when the file has no forms: */
	size_t nforms;
	struct sk_banner banner;
	/* ---- tracking and lead scoring (issue 16, helper track) ---- */
	struct sk_duration track_retention; /* tracking.retention: events older go; 90 days */
	struct sk_score_rule *score_rules;  /* scoring.rules, in file order */
	size_t nscore_rules;
	long score_cap;                     /* scoring.cap: the highest score; 100 */
};

/* Parses and validates a policy document. Errors name the file, line and key:
 * "policy.yaml:14: purposes.newsletter.validity: expected a duration such as '24 months'".
 * filename is used only in messages. */
int sk_policy_parse(const char *text, size_t len, const char *filename, struct sk_policy **out,
		    struct sk_errctx *err);
/* For a policy read back from the store: checks added after it may have been applied are
 * left out (the required-field rule of GDPR Art. 7(4)), so that a database holding an older
 * policy still opens and can be given a corrected one. Every other check still applies. */
#define SK_POLICY_PARSE_STORED 1
int sk_policy_parse_flags(const char *text, size_t len, const char *filename, int flags,
			  struct sk_policy **out, struct sk_errctx *err);
void sk_policy_free(struct sk_policy *p);

const struct sk_purpose *sk_policy_purpose(const struct sk_policy *p, const char *id);
struct sk_purpose *sk_policy_purpose_mut(struct sk_policy *p, const char *id);
const struct sk_field_def *sk_policy_field(const struct sk_policy *p, const char *name);
/* 1 when some purpose needs the field (minimisation: only such fields may be stored). */
int sk_policy_field_needed(const struct sk_policy *p, const char *name);
const struct sk_form *sk_policy_form(const struct sk_policy *p, const char *id);
/* The form's entry for a field or a purpose; NULL when the form does not ask for it. */
const struct sk_form_field *sk_form_field(const struct sk_form *f, const char *name);
const struct sk_form_consent *sk_form_consent(const struct sk_form *f, const char *purpose);
/* 1 when origin (an Origin header's value) is exactly one of the form's allowed_origins. */
int sk_form_origin_allowed(const struct sk_form *f, const char *origin);
/* 1 when origin (an Origin header's value) is exactly one of the banner's origins: the web
 * sites that may post to /v/... and /t. 0 without a banner. */
int sk_policy_site_origin_allowed(const struct sk_policy *p, const char *origin);
/* 1 when the banner asks for purpose. */
int sk_banner_has_purpose(const struct sk_policy *p, const char *purpose);
/* Checks a value against the field's type; the message names the field, never the value. */
int sk_policy_field_validate(const struct sk_field_def *f, const char *value,
			     struct sk_errctx *err);

/* "sv" -> SK_LANG_SV ...; -1 when unknown. */
/* The brand's colours when the policy (may be NULL) sets none: dark text on white, a blue
 * that white button text reads well on (contrast 6.7:1 and 16:1). */
#define SK_BRAND_PRIMARY "#1d4ed8"
#define SK_BRAND_BACKGROUND "#ffffff"
#define SK_BRAND_TEXT "#1a1a1a"
const char *sk_brand_primary(const struct sk_policy *p);
const char *sk_brand_background(const struct sk_policy *p);
const char *sk_brand_text(const struct sk_policy *p);
/* "#rrggbb" as red, green, blue in out (may be NULL: only checks). 0, or -1 when s is not
 * written so. */
int sk_colour_rgb(const char *s, unsigned char out[3]);
/* WCAG 2's contrast ratio of two "#rrggbb" colours, from 1 to 21 (0 when one is not a
 * colour). */
double sk_contrast(const char *a, const char *b);
/* The origin of url ("https://host[:port]", what comes before the path, query or fragment)
 * in out; -1 when it has none, holds user info ('@') or does not fit in size. */
int sk_url_origin(const char *url, char *out, size_t size);
#define SK_URL_ORIGIN_MAX 512 /* enough for the origin of a brand URL (at most 500 bytes) */
int sk_lang_from_name(const char *name);
const char *sk_lang_name(int lang);
const char *sk_basis_name(enum sk_basis b);
const char *sk_kind_name(enum sk_kind k);
const char *sk_field_type_name(enum sk_field_type t);

#endif
