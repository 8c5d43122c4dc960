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

struct sk_policy {
	char *org_name;
	char *org_contact;
	char *org_address;
	char *org_privacy_url;
	char *org_phone;        /* optional */
	char *org_jurisdiction; /* optional, such as "SE" */
	struct sk_field_def *fields;
	size_t nfields;
	struct sk_purpose *purposes;
	size_t npurposes;
};

/* Parses and validates a policy document. Errors name the file, line and key:
 * "policy.yaml:14: purposes.newsletter.validity: expected a duration such as '24 months'".
 * filename is used only in messages. */
int sk_policy_parse(const char *text, size_t len, const char *filename, struct sk_policy **out,
		    struct sk_errctx *err);
void sk_policy_free(struct sk_policy *p);

const struct sk_purpose *sk_policy_purpose(const struct sk_policy *p, const char *id);
struct sk_purpose *sk_policy_purpose_mut(struct sk_policy *p, const char *id);
const struct sk_field_def *sk_policy_field(const struct sk_policy *p, const char *name);
/* 1 when some purpose needs the field (minimisation: only such fields may be stored). */
int sk_policy_field_needed(const struct sk_policy *p, const char *name);
/* Checks a value against the field's type; the message names the field, never the value. */
int sk_policy_field_validate(const struct sk_field_def *f, const char *value,
			     struct sk_errctx *err);

/* "sv" -> SK_LANG_SV ...; -1 when unknown. */
int sk_lang_from_name(const char *name);
const char *sk_lang_name(int lang);
const char *sk_basis_name(enum sk_basis b);
const char *sk_kind_name(enum sk_kind k);
const char *sk_field_type_name(enum sk_field_type t);

#endif
