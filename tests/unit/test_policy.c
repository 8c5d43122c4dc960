/* test_policy.c: unit tests for the policy file parser (src/core/policy.c): the example file,
 * each validation rule with its file:line: and key path (forms included, and the no-bundling
 * rule of GDPR Art. 7(4)), the limits, field value checks, form lookups, and allocation
 * failure at every step; and applying (src/core/policy_apply.c): an identical file stores
 * nothing, dropping a purpose that contacts hold is refused unless forced, the dry run. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/policy.h"
#include "testlib.h"
#include "util/err.h"
#include "util/mem.h"

/* A small valid policy; the comments give the line numbers the cases below rely on. */
#define ORG                                                                                   \
	"organisation: {name: Exempel AB, contact: dpo@example.com, address: Gatan 1,"         \
	" privacy_policy_url: https://www.example.com/privacy}\n" /* 1 */
#define FIELDS "fields:\n  email: {type: email}\n" /* 2, 3 */
#define PURPOSE_A                                                                             \
	"purposes:\n"                       /* 4 */                                        \
	"  a:\n"                            /* 5 */                                        \
	"    kind: communication\n"         /* 6 */                                        \
	"    legal_basis: consent\n"        /* 7 */                                        \
	"    fields: [email]\n"             /* 8 */                                        \
	"    title: {sv: T, en: T}\n"       /* 9 */                                        \
	"    description: {sv: D, en: D}\n" /* 10 */                                       \
	"    notice: {sv: N, en: N}\n"      /* 11 */
#define MINIMAL ORG FIELDS PURPOSE_A

/* A policy with forms: purposes a and b (consent), c (legitimate interest) and d (consent with
 * double opt-in), and the start of a form f. The cases append from line 14 or 18. */
#define PT "title: {sv: T, en: T}, description: {sv: D, en: D}, notice: {sv: N, en: N}"
/* Lines 1 to 9, shared by FBASE and RBASE: the organisation, three fields, purposes a, b, c. */
#define PBASE                                                                                  \
	ORG                                                                    /* 1 */         \
	"fields:\n"                                                            /* 2 */         \
	"  email: {type: email}\n"                                             /* 3 */         \
	"  first_name: {type: text}\n"                                         /* 4 */         \
	"  company: {type: text}\n"                                            /* 5 */         \
	"purposes:\n"                                                          /* 6 */         \
	"  a: {kind: communication, legal_basis: consent, fields: [email, first_name], " PT "}\n" \
	"  b: {kind: profiling, legal_basis: consent, fields: [email], " PT "}\n" /* 8 */       \
	"  c: {kind: other, legal_basis: legitimate_interest, fields: [email, company], " PT    \
	"}\n"                                                                  /* 9 */
#define FBASE                                                                                  \
	PBASE                                                                  /* 1-9 */       \
	"  d: {kind: communication, legal_basis: consent, double_opt_in: true, fields: [email], " \
	PT "}\n"                                                               /* 10 */        \
	"forms:\n"                                                             /* 11 */        \
	"  f:\n"                                                               /* 12 */        \
	"    title: {sv: T, en: T}\n"                                          /* 13 */
#define FFIELDS "    fields:\n      email: {required: true}\n" /* 14, 15 */
#define FCONSENTS "    consents:\n      - purpose: a\n"      /* 16, 17 */
#define FORM_OK FBASE FFIELDS FCONSENTS

static char *read_example(size_t *len)
{
	const char *root = getenv("SK_SOURCE_ROOT");
	char path[4096];
	snprintf(path, sizeof(path), "%s/examples/policy.yaml", root && *root ? root : ".");
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = malloc(2 * 1024 * 1024);
	assert_non_null(buf);
	*len = fread(buf, 1, 2 * 1024 * 1024 - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static int parse(const char *yaml, struct sk_policy **out, struct sk_errctx *err)
{
	sk_errctx_reset(err);
	return sk_policy_parse(yaml, strlen(yaml), "t.yaml", out, err);
}

/* Parses yaml, which must fail with code and a message containing want. */
static void expect_fail(const char *name, const char *yaml, int code, const char *want)
{
	struct sk_errctx err;
	struct sk_policy *sentinel = (struct sk_policy *)&err, *p = sentinel;
	int rc = parse(yaml, &p, &err);
	if (rc != code || !strstr(err.msg, want) || p != sentinel) {
		print_error("case %s: rc %d, message \"%s\", wanted %d and \"%s\"\n", name, rc,
			    err.msg, code, want);
		fail();
	}
}

static void test_example(void **state)
{
	(void)state;
	size_t len;
	char *text = read_example(&len);
	struct sk_errctx err;
	struct sk_policy *p = NULL;
	sk_errctx_reset(&err);
	int rc = sk_policy_parse(text, len, "policy.yaml", &p, &err);
	if (rc)
		print_error("%s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_string_equal(p->org_name, "Exempel AB");
	assert_string_equal(p->org_contact, "dpo@example.com");
	assert_string_equal(p->org_privacy_url, "https://www.example.com/privacy");
	/* the address in parts (a consent receipt's PostalAddress) and as one line */
	assert_string_equal(p->org_street, "Exempelgatan 1");
	assert_string_equal(p->org_postal_code, "111 22");
	assert_string_equal(p->org_locality, "Stockholm");
	assert_null(p->org_region);
	assert_string_equal(p->org_country, "Sweden");
	assert_string_equal(p->org_address, "Exempelgatan 1, 111 22 Stockholm, Sweden");
	assert_int_equal(p->npurposes, 7);

	static const struct {
		const char *id;
		enum sk_kind kind;
		int validity_months;
		size_t nfields;
	} want[] = {
		{"newsletter", SK_KIND_COMMUNICATION, 24, 2},
		{"offers", SK_KIND_COMMUNICATION, 24, 4},
		{"event_invitations", SK_KIND_COMMUNICATION, 12, 5},
		{"lead_scoring", SK_KIND_PROFILING, 12, 2},
		{"ip_tracking", SK_KIND_TRACKING, 6, 1},
		{"sales_followup", SK_KIND_PROFILING, 12, 5},
		/* the webinar form's own purpose: registering is not a marketing consent */
		{"webinar_registration", SK_KIND_OTHER, 3, 4},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct sk_purpose *pu = sk_policy_purpose(p, want[i].id);
		assert_non_null(pu);
		assert_ptr_equal(pu, &p->purposes[i]);
		assert_int_equal(pu->kind, want[i].kind);
		assert_int_equal(pu->basis, SK_BASIS_CONSENT);
		assert_int_equal(pu->validity.n, want[i].validity_months);
		assert_int_equal(pu->validity.unit, 'm');
		assert_int_equal(pu->retention.n, 30);
		assert_int_equal(pu->retention.unit, 'd');
		assert_int_equal(pu->double_opt_in, 0);
		assert_int_equal(pu->nfields, want[i].nfields);
		assert_string_equal(pu->fields[0], "email");
		assert_int_equal(pu->notice_version, 0);
		for (int l = 0; l < SK_NLANG; l++) {
			assert_true(strlen(pu->title[l]) > 0);
			assert_true(strlen(pu->description[l]) > 10);
			assert_true(strlen(pu->notice[l]) > 100);
			assert_non_null(strstr(pu->notice[l], "Exempel AB"));
		}
	}
	assert_string_equal(sk_policy_purpose(p, "newsletter")->title[SK_LANG_SV], "Nyhetsbrev");

	assert_int_equal(p->nfields, 6);
	assert_int_equal(sk_policy_field(p, "email")->type, SK_FIELD_EMAIL);
	assert_int_equal(sk_policy_field(p, "email")->max_length, 254);
	assert_int_equal(sk_policy_field(p, "first_name")->max_length, 100);
	assert_string_equal(sk_policy_field(p, "first_name")->label[SK_LANG_SV], "Förnamn");
	assert_int_equal(sk_policy_field(p, "phone")->type, SK_FIELD_PHONE);
	assert_int_equal(sk_policy_field(p, "country")->type, SK_FIELD_COUNTRY);
	assert_int_equal(sk_policy_field(p, "country")->max_length, 2);
	for (size_t i = 0; i < p->nfields; i++)
		assert_true(sk_policy_field_needed(p, p->fields[i].name));
	assert_false(sk_policy_field_needed(p, "shoe_size"));
	assert_null(sk_policy_field(p, "shoe_size"));
	assert_null(sk_policy_purpose(p, "unknown"));
	assert_null(sk_policy_purpose(p, NULL));

	struct sk_purpose *mut = sk_policy_purpose_mut(p, "offers");
	assert_non_null(mut);
	mut->notice_version = 3;
	assert_int_equal(sk_policy_purpose(p, "offers")->notice_version, 3);

	sk_policy_free(p);
	free(text);
}

static void test_minimal_defaults(void **state)
{
	(void)state;
	struct sk_errctx err;
	struct sk_policy *p = NULL;
	assert_int_equal(parse(ORG "fields:\n  email: {type: email}\n  note: {type: text}\n"
			       "purposes:\n  a:\n    kind: other\n    legal_basis: legitimate_interest\n"
			       "    double_opt_in: yes\n    fields: [email, note]\n"
			       "    title: {sv: T, en: T}\n    description: {sv: D, en: D}\n"
			       "    notice: {sv: N, en: N}\n",
			       &p, &err),
			 0);
	const struct sk_purpose *a = sk_policy_purpose(p, "a");
	assert_int_equal(a->kind, SK_KIND_OTHER);
	assert_int_equal(a->basis, SK_BASIS_LEGITIMATE_INTEREST);
	assert_int_equal(a->validity.n, 0);
	assert_int_equal(a->retention.n, 0);
	assert_int_equal(a->double_opt_in, 1);
	assert_int_equal(sk_policy_field(p, "note")->max_length, 200);
	assert_null(sk_policy_field(p, "note")->label[SK_LANG_SV]);
	sk_policy_free(p);

	p = NULL;
	assert_int_equal(parse(MINIMAL, &p, &err), 0);
	assert_int_equal(sk_policy_purpose(p, "a")->double_opt_in, 0);
	/* one line: kept whole, no parts */
	assert_string_equal(p->org_address, "Gatan 1");
	assert_null(p->org_street);
	assert_null(p->org_country);
	sk_policy_free(p);
	/* parts without a postal code or locality, with a region */
	p = NULL;
	assert_int_equal(parse("organisation: {name: x, contact: y, privacy_policy_url: https://x,"
			       " address: {street_address: 1 Main St, region: Ontario, country: CA}}\n"
			       FIELDS PURPOSE_A, &p, &err), 0);
	assert_string_equal(p->org_address, "1 Main St, Ontario, CA");
	assert_string_equal(p->org_region, "Ontario");
	assert_null(p->org_locality);
	sk_policy_free(p);
	p = NULL;
	assert_int_equal(parse("organisation: {name: x, contact: y, privacy_policy_url: https://x,"
			       " address: {street_address: Gatan 2, locality: Lund}}\n"
			       FIELDS PURPOSE_A, &p, &err), 0);
	assert_string_equal(p->org_address, "Gatan 2, Lund");
	sk_policy_free(p);
	sk_policy_free(NULL);
}

static void test_validation_errors(void **state)
{
	(void)state;
	static const struct {
		const char *name, *yaml, *want;
	} cases[] = {
		{"syntax", ORG FIELDS "purposes:\n  a: [\n", "t.yaml:6: syntax error: "},
		{"syntax indent", "organisation:\n  name: x\n bad: y\n", "t.yaml:3: syntax error: "},
		{"invalid utf-8", "organisation:\n  name: \xff\n", "t.yaml:2: syntax error: "},
		{"not a mapping", "- a\n- b\n", "t.yaml:1: document: expected a mapping"},
		{"empty", "", "t.yaml:1: document: expected a mapping"},
		{"two documents", MINIMAL "---\na: b\n", "t.yaml:12: document: only one document"},
		{"alias", ORG FIELDS "purposes:\n  a: &x {kind: other}\n  b: *x\n",
		 "t.yaml:5: purposes.a: anchors and aliases are not allowed"},
		{"alias only", "a: *x\n", "aliases are not allowed"},
		{"complex key", "? [a]\n: b\n", "t.yaml:1: document: mapping keys must be strings"},
		{"nul in scalar", ORG FIELDS PURPOSE_A "    validity: \"24\\0 months\"\n",
		 "t.yaml:12: purposes.a.validity: value contains a NUL"},
		{"unknown top key", MINIMAL "colour: red\n", "t.yaml:12: colour: unknown key"},
		{"unknown purpose key", MINIMAL "    colour: red\n",
		 "t.yaml:12: purposes.a.colour: unknown key"},
		{"unknown org key", "organisation: {name: x, fax: y}\n",
		 "t.yaml:1: organisation.fax: unknown key"},
		{"duplicate key", MINIMAL "    kind: other\n", "t.yaml:12: purposes.a.kind: duplicate key"},
		{"duplicate purpose", MINIMAL "  a: {}\n", "t.yaml:12: purposes.a: duplicate key"},
		{"duplicate field", ORG "fields:\n  email: {type: email}\n  email: {type: email}\n",
		 "t.yaml:4: fields.email: duplicate key"},
		{"missing organisation", FIELDS PURPOSE_A, "t.yaml:1: organisation: missing"},
		{"missing fields", ORG PURPOSE_A, "t.yaml:1: fields: missing"},
		{"missing purposes", ORG FIELDS, "t.yaml:1: purposes: missing"},
		{"missing address",
		 "fields: {}\norganisation:\n  name: x\n  contact: y\n  privacy_policy_url: https://x\n",
		 "t.yaml:2: organisation.address: missing"},
		{"empty name", "organisation: {name: '', contact: y, address: z, "
			       "privacy_policy_url: https://x}\n",
		 "t.yaml:1: organisation.name: must not be empty"},
		{"bad url", "organisation:\n  name: x\n  contact: y\n  address: z\n"
			    "  privacy_policy_url: www.example.com\n",
		 "t.yaml:5: organisation.privacy_policy_url: expected a URL starting with https://"},
		{"bare scheme url", "organisation: {name: x, contact: y, address: z, "
				    "privacy_policy_url: 'https://'}\n",
		 "organisation.privacy_policy_url: expected a URL"},
		{"address: unknown part", "organisation: {name: x, contact: y, privacy_policy_url: "
					  "https://x, address: {street_address: a, zip: b}}\n",
		 "t.yaml:1: organisation.address.zip: unknown key"},
		{"address: no street", "organisation:\n  name: x\n  contact: y\n  privacy_policy_url:"
				       " https://x\n  address:\n    locality: Stockholm\n",
		 "t.yaml:5: organisation.address.street_address: missing"},
		{"address: empty part", "organisation: {name: x, contact: y, privacy_policy_url: "
					"https://x, address: {street_address: a, country: ''}}\n",
		 "t.yaml:1: organisation.address.country: must not be empty"},
		{"address: a list", "organisation: {name: x, contact: y, privacy_policy_url: "
				    "https://x, address: [a, b]}\n",
		 "t.yaml:1: organisation.address: expected one line or a mapping"},
		{"org not a mapping", "organisation: Exempel AB\n",
		 "t.yaml:1: organisation: expected a mapping"},
		{"name not a string", "organisation:\n  name: [a, b]\n",
		 "t.yaml:2: organisation.name: expected a string"},
		{"purpose fields not a list", ORG FIELDS "purposes:\n  a:\n    kind: other\n"
			"    legal_basis: consent\n    fields: email\n",
		 "t.yaml:8: purposes.a.fields: expected a list"},
		{"purpose fields item not a string", ORG FIELDS "purposes:\n  a:\n    kind: other\n"
			"    legal_basis: consent\n    fields: [email, {x: y}]\n",
		 "t.yaml:8: purposes.a.fields[1]: expected a string"},
		{"bad purpose id", ORG FIELDS "purposes:\n  Newsletter: {}\n",
		 "t.yaml:5: purposes.Newsletter: expected an id"},
		{"purpose id with dash", ORG FIELDS "purposes:\n  news-letter: {}\n",
		 "t.yaml:5: purposes.news-letter: expected an id"},
		{"purpose id too long", ORG FIELDS "purposes:\n  "
			"a123456789012345678901234567890123456789012345678901234567890123: {}\n",
		 "t.yaml:5: purposes.a12345678"},
		{"bad field name", ORG "fields:\n  email: {type: email}\n  2nd: {type: text}\n",
		 "t.yaml:4: fields.2nd: expected an id"},
		{"bad field type", ORG "fields:\n  email: {type: email}\n  born: {type: date}\n",
		 "t.yaml:4: fields.born.type: expected one of email, text, phone, country"},
		{"field missing type", ORG "fields:\n  email: {type: email}\n  note:\n"
			"    max_length: 3\n", "t.yaml:4: fields.note.type: missing"},
		{"max_length on email", ORG "fields:\n  email: {type: email, max_length: 100}\n",
		 "t.yaml:3: fields.email.max_length: only allowed for type text"},
		{"max_length zero", ORG "fields:\n  email: {type: email}\n"
			"  note: {type: text, max_length: 0}\n",
		 "t.yaml:4: fields.note.max_length: expected a number from 1 to 10000"},
		{"max_length too big", ORG "fields:\n  email: {type: email}\n"
			"  note: {type: text, max_length: 10001}\n",
		 "fields.note.max_length: expected a number from 1 to 10000"},
		{"max_length not a number", ORG "fields:\n  email: {type: email}\n"
			"  note: {type: text, max_length: -5}\n",
		 "fields.note.max_length: expected a number from 1 to 10000"},
		{"label unknown language", ORG "fields:\n  email: {type: email}\n"
			"  note: {type: text, label: {sv: Not, de: Notiz}}\n",
		 "t.yaml:4: fields.note.label.de: unknown key"},
		{"no email field", ORG "fields:\n  name: {type: text}\n" PURPOSE_A,
		 "t.yaml:2: fields.email: missing"},
		{"empty fields", ORG "fields: {}\n" PURPOSE_A, "t.yaml:2: fields.email: missing"},
		{"email of type text", ORG "fields:\n  email: {type: text}\n",
		 "t.yaml:3: fields.email.type: the field email must have type email"},
		{"second email field", ORG "fields:\n  email: {type: email}\n"
			"  work_email: {type: email}\n",
		 "t.yaml:4: fields.work_email.type: only the field named email may have type email"},
		{"bad kind", ORG FIELDS "purposes:\n  a:\n    kind: mailing\n",
		 "t.yaml:6: purposes.a.kind: expected one of communication, profiling, tracking, other"},
		{"missing kind", ORG FIELDS "purposes:\n  a:\n    legal_basis: consent\n",
		 "t.yaml:5: purposes.a.kind: missing"},
		{"bad basis", ORG FIELDS "purposes:\n  a:\n    kind: other\n    legal_basis: vital\n",
		 "t.yaml:7: purposes.a.legal_basis: expected one of consent, legitimate_interest, "
		 "contract, legal_obligation"},
		{"bad validity", MINIMAL "    validity: two years\n",
		 "t.yaml:12: purposes.a.validity: expected a duration such as '24 months'"},
		{"zero validity", MINIMAL "    validity: 0 days\n",
		 "t.yaml:12: purposes.a.validity: expected a duration"},
		{"bad retention", MINIMAL "    retention: 30 weeks\n",
		 "t.yaml:12: purposes.a.retention: expected a duration such as '24 months'"},
		{"bad double_opt_in", MINIMAL "    double_opt_in: maybe\n",
		 "t.yaml:12: purposes.a.double_opt_in: expected true or false"},
		{"empty purpose fields", ORG FIELDS "purposes:\n  a:\n    kind: other\n"
			"    legal_basis: consent\n    fields: []\n",
		 "t.yaml:8: purposes.a.fields: expected a non-empty list"},
		{"undeclared field", ORG FIELDS "purposes:\n  a:\n    kind: other\n"
			"    legal_basis: consent\n    fields: [email, phone]\n",
		 "t.yaml:8: purposes.a.fields[1]: not a declared field"},
		{"undeclared field block list", ORG FIELDS "purposes:\n  a:\n    kind: other\n"
			"    legal_basis: consent\n    fields:\n      - email\n      - phone\n",
		 "t.yaml:10: purposes.a.fields[1]: not a declared field"},
		{"field listed twice", ORG FIELDS "purposes:\n  a:\n    kind: other\n"
			"    legal_basis: consent\n    fields: [email, email]\n",
		 "t.yaml:8: purposes.a.fields[1]: listed twice"},
		{"missing title", ORG FIELDS "purposes:\n  a:\n    kind: other\n"
			"    legal_basis: consent\n    fields: [email]\n",
		 "t.yaml:5: purposes.a.title: missing"},
		{"missing english title", ORG FIELDS "purposes:\n  a:\n    kind: other\n"
			"    legal_basis: consent\n    fields: [email]\n    title:\n      sv: T\n",
		 "t.yaml:9: purposes.a.title.en: missing"},
		{"missing notice", ORG FIELDS "purposes:\n  a:\n    kind: other\n"
			"    legal_basis: contract\n    fields: [email]\n    title: {sv: T, en: T}\n"
			"    description: {sv: D, en: D}\n",
		 "t.yaml:5: purposes.a.notice: missing"},
		{"empty notice", ORG FIELDS "purposes:\n  a:\n    kind: other\n"
			"    legal_basis: consent\n    fields: [email]\n    title: {sv: T, en: T}\n"
			"    description: {sv: D, en: D}\n    notice:\n      sv: N\n      en: ' '\n",
		 "t.yaml:13: purposes.a.notice.en: must not be empty"},
		{"notice not a mapping", ORG FIELDS "purposes:\n  a:\n    kind: other\n"
			"    legal_basis: consent\n    fields: [email]\n    title: {sv: T, en: T}\n"
			"    description: {sv: D, en: D}\n    notice: N\n",
		 "t.yaml:11: purposes.a.notice: expected a mapping"},
		{"no purposes", ORG FIELDS "purposes: {}\n", "t.yaml:4: purposes: expected at least "
							   "one purpose"},
		{"purposes not a mapping", ORG FIELDS "purposes:\n", "t.yaml:4: purposes: expected a "
								    "mapping"},
		{"field not needed", ORG "fields:\n  email: {type: email}\n  phone: {type: phone}\n"
			PURPOSE_A,
		 "t.yaml:4: fields.phone: not needed by any purpose"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_fail(cases[i].name, cases[i].yaml, SK_ERR_POLICY, cases[i].want);
}

/* Appends to a malloc'ed string, growing it. */
static char *cat(char *s, size_t *len, const char *add)
{
	size_t n = strlen(add);
	s = realloc(s, *len + n + 1);
	assert_non_null(s);
	memcpy(s + *len, add, n + 1);
	*len += n;
	return s;
}

static void test_limits(void **state)
{
	(void)state;
	struct sk_errctx err;
	struct sk_policy *p = NULL;
	char line[256];
	size_t len;

	/* The whole text: at most 1 MiB. */
	len = 1024 * 1024 + 1;
	char *big = malloc(len + 1);
	assert_non_null(big);
	memset(big, '#', len);
	big[len] = '\0';
	sk_errctx_reset(&err);
	assert_int_equal(sk_policy_parse(big, len, "t.yaml", &p, &err), SK_ERR_TOO_LARGE);
	assert_non_null(strstr(err.msg, "t.yaml: "));
	assert_non_null(strstr(err.msg, "1 MiB"));
	assert_null(p);
	free(big);

	/* One scalar: at most 64 KiB. */
	for (size_t n = 65536; n <= 65537; n++) {
		char *s = NULL;
		len = 0;
		s = cat(s, &len, ORG FIELDS PURPOSE_A "    validity: ");
		char *pad = malloc(n + 1);
		assert_non_null(pad);
		memset(pad, 'x', n);
		pad[n] = '\0';
		s = cat(s, &len, pad);
		s = cat(s, &len, "\n");
		free(pad);
		sk_errctx_reset(&err);
		assert_int_equal(sk_policy_parse(s, len, "t.yaml", &p, &err), SK_ERR_POLICY);
		if (n == 65536)
			assert_non_null(strstr(err.msg, "expected a duration"));
		else
			assert_non_null(strstr(err.msg, "t.yaml:12: purposes.a.validity: value longer "
						       "than 65536 bytes"));
		free(s);
	}

	/* Nesting: 16 levels are read (and then rejected by kind), 17 are not. */
	for (int depth = 16; depth <= 17; depth++) {
		char open[32], close[32], s[128];
		memset(open, '[', (size_t)depth - 1);
		memset(close, ']', (size_t)depth - 1);
		open[depth - 1] = close[depth - 1] = '\0';
		snprintf(s, sizeof(s), "organisation: %s%s\n", open, close);
		expect_fail("depth", s, SK_ERR_POLICY,
			    depth == 16 ? "t.yaml:1: organisation: expected a mapping"
					: "t.yaml:1: organisation[0][0][0][0][0][0][0][0][0][0][0][0][0]"
					  "[0][0]: nested deeper than 16 levels");
	}

	/* Purposes and fields: at most 200 each. */
	for (int n = 200; n <= 201; n++) {
		char *s = NULL;
		len = 0;
		s = cat(s, &len, ORG FIELDS "purposes:\n");
		for (int i = 0; i < n; i++) {
			snprintf(line, sizeof(line), "  p%d: {kind: other, legal_basis: consent, "
				 "fields: [email], title: {sv: T, en: T}, description: {sv: D, en: D}, "
				 "notice: {sv: N, en: N}}\n", i);
			s = cat(s, &len, line);
		}
		int rc = parse(s, &p, &err);
		if (n == 200) {
			assert_int_equal(rc, 0);
			assert_int_equal(p->npurposes, 200);
			sk_policy_free(p);
			p = NULL;
		} else {
			assert_int_equal(rc, SK_ERR_POLICY);
			assert_non_null(strstr(err.msg, "t.yaml:5: purposes: more than 200 purposes"));
		}
		free(s);
	}
	for (int n = 200; n <= 201; n++) {
		char *s = NULL;
		len = 0;
		s = cat(s, &len, ORG "fields:\n  email: {type: email}\n");
		for (int i = 1; i < n; i++) {
			snprintf(line, sizeof(line), "  f%d: {type: text}\n", i);
			s = cat(s, &len, line);
		}
		s = cat(s, &len, "purposes:\n  a:\n    kind: other\n    legal_basis: consent\n"
			"    title: {sv: T, en: T}\n    description: {sv: D, en: D}\n"
			"    notice: {sv: N, en: N}\n    fields:\n      - email\n");
		for (int i = 1; i < n; i++) {
			snprintf(line, sizeof(line), "      - f%d\n", i);
			s = cat(s, &len, line);
		}
		int rc = parse(s, &p, &err);
		if (n == 200) {
			assert_int_equal(rc, 0);
			assert_int_equal(p->nfields, 200);
			assert_int_equal(p->purposes[0].nfields, 200);
			sk_policy_free(p);
			p = NULL;
		} else {
			assert_int_equal(rc, SK_ERR_POLICY);
			assert_non_null(strstr(err.msg, "t.yaml:3: fields: more than 200 fields"));
		}
		free(s);
	}
}

static void test_example_forms(void **state)
{
	(void)state;
	size_t len;
	char *text = read_example(&len);
	struct sk_errctx err;
	struct sk_policy *p = NULL;
	sk_errctx_reset(&err);
	int rc = sk_policy_parse(text, len, "policy.yaml", &p, &err);
	if (rc)
		print_error("%s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_int_equal(p->nforms, 2);

	const struct sk_form *nl = sk_policy_form(p, "newsletter");
	assert_ptr_equal(nl, &p->forms[0]);
	assert_string_equal(nl->id, "newsletter");
	assert_string_equal(nl->title[SK_LANG_SV], "Prenumerera på vårt nyhetsbrev");
	assert_string_equal(nl->title[SK_LANG_EN], "Subscribe to our newsletter");
	assert_int_equal(nl->nfields, 1);
	assert_string_equal(nl->fields[0].name, "email");
	assert_int_equal(nl->fields[0].required, 1);
	assert_int_equal(nl->nconsents, 1);
	assert_string_equal(nl->consents[0].purpose, "newsletter");
	assert_int_equal(nl->consents[0].double_opt_in, 1);
	assert_string_equal(nl->success_url, "https://www.example.com/tack");
	assert_string_equal(nl->error_url, "https://www.example.com/fel");
	assert_int_equal(nl->norigins, 1);
	assert_string_equal(nl->origins[0], "https://www.example.com");

	const struct sk_form *wb = sk_policy_form(p, "webinar");
	assert_ptr_equal(wb, &p->forms[1]);
	/* Registering is the form's own purpose; every marketing consent is an optional box. */
	assert_string_equal(wb->purpose, "webinar_registration");
	assert_null(nl->purpose);
	assert_non_null(wb->title[SK_LANG_SV]);
	assert_non_null(wb->title[SK_LANG_EN]);
	static const struct {
		const char *name;
		int required;
	} fields[] = {{"email", 1}, {"first_name", 1}, {"last_name", 1}, {"company", 0}};
	assert_int_equal(wb->nfields, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(wb->fields[i].name, fields[i].name);
		assert_int_equal(wb->fields[i].required, fields[i].required);
		assert_ptr_equal(sk_form_field(wb, fields[i].name), &wb->fields[i]);
	}
	static const struct {
		const char *purpose;
		int doi;
	} consents[] = {{"event_invitations", 1}, {"offers", 0}, {"lead_scoring", 0}};
	assert_int_equal(wb->nconsents, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(wb->consents[i].purpose, consents[i].purpose);
		assert_int_equal(wb->consents[i].double_opt_in, consents[i].doi);
		assert_ptr_equal(sk_form_consent(wb, consents[i].purpose), &wb->consents[i]);
	}
	assert_null(wb->success_url);
	assert_null(wb->error_url);
	assert_int_equal(wb->norigins, 1);

	/* Every form field is needed by one of the form's purposes, and each is on consent. */
	for (size_t i = 0; i < p->nforms; i++) {
		const struct sk_form *f = &p->forms[i];
		for (size_t j = 0; j < f->nconsents; j++)
			assert_int_equal(sk_policy_purpose(p, f->consents[j].purpose)->basis,
					 SK_BASIS_CONSENT);
		const struct sk_purpose *own = f->purpose ? sk_policy_purpose(p, f->purpose) : NULL;
		for (size_t j = 0; j < f->nfields; j++) {
			int needed = 0;
			for (size_t m = 0; own && m < own->nfields; m++)
				needed |= strcmp(own->fields[m], f->fields[j].name) == 0;
			/* No bundling: what the form is for needs every required field. */
			if (own && f->fields[j].required)
				assert_true(needed);
			for (size_t k = 0; k < f->nconsents; k++) {
				const struct sk_purpose *pu = sk_policy_purpose(p, f->consents[k].purpose);
				for (size_t m = 0; m < pu->nfields; m++)
					needed |= strcmp(pu->fields[m], f->fields[j].name) == 0;
			}
			assert_true(needed);
		}
	}

	/* Lookups. */
	assert_null(sk_policy_form(p, "unknown"));
	assert_null(sk_policy_form(p, NULL));
	assert_null(sk_policy_form(NULL, "newsletter"));
	assert_ptr_equal(sk_form_field(nl, "email"), &nl->fields[0]);
	assert_null(sk_form_field(nl, "first_name")); /* declared, and the purpose allows it */
	assert_null(sk_form_field(nl, NULL));
	assert_null(sk_form_field(NULL, "email"));
	assert_ptr_equal(sk_form_consent(nl, "newsletter"), &nl->consents[0]);
	assert_null(sk_form_consent(nl, "offers"));
	assert_null(sk_form_consent(nl, NULL));
	assert_null(sk_form_consent(NULL, "newsletter"));

	/* Origins match exactly. */
	assert_true(sk_form_origin_allowed(nl, "https://www.example.com"));
	static const char *const refused[] = {
		"https://www.example.com/", "https://WWW.example.com", "http://www.example.com",
		"https://www.example.com:443", "https://www.example.com.evil.example",
		"https://evil.www.example.com", "https://www.example.co", "https://example.com",
		"https://www.example.comx", " https://www.example.com", "null", "",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (sk_form_origin_allowed(nl, refused[i])) {
			print_error("origin \"%s\" was allowed\n", refused[i]);
			fail();
		}
	assert_false(sk_form_origin_allowed(nl, NULL));
	assert_false(sk_form_origin_allowed(NULL, "https://www.example.com"));

	sk_policy_free(p);
	free(text);
}

static void test_form_defaults(void **state)
{
	(void)state;
	struct sk_errctx err;
	struct sk_policy *p = NULL;

	/* No forms: key at all, and an empty one. */
	assert_int_equal(parse(MINIMAL, &p, &err), 0);
	assert_int_equal(p->nforms, 0);
	assert_null(p->forms);
	assert_null(sk_policy_form(p, "f"));
	sk_policy_free(p);
	p = NULL;
	assert_int_equal(parse(MINIMAL "forms: {}\n", &p, &err), 0);
	assert_int_equal(p->nforms, 0);
	sk_policy_free(p);
	p = NULL;

	/* The smallest form: no URLs, no origins, double opt-in off. */
	assert_int_equal(parse(FORM_OK, &p, &err), 0);
	const struct sk_form *f = sk_policy_form(p, "f");
	assert_non_null(f);
	assert_string_equal(f->title[SK_LANG_EN], "T");
	assert_int_equal(f->nfields, 1);
	assert_int_equal(f->nconsents, 1);
	assert_int_equal(f->consents[0].double_opt_in, 0);
	assert_null(f->success_url);
	assert_null(f->error_url);
	assert_int_equal(f->norigins, 0);
	assert_null(f->origins);
	assert_false(sk_form_origin_allowed(f, "https://www.example.com"));
	sk_policy_free(p);
	p = NULL;

	/* required defaults to false, except for email, which is always required; a purpose with
	 * double opt-in keeps it on a form; several origins; allowed_origins: [] allows none. */
	assert_int_equal(parse(FBASE "    fields:\n      email: {}\n      first_name: {}\n"
			       "    consents:\n      - purpose: a\n        double_opt_in: yes\n"
			       "      - purpose: d\n      - {purpose: b, double_opt_in: false}\n"
			       "    success_url: http://intranet.example.com/thanks?form=f\n"
			       "    allowed_origins:\n      - https://www.example.com\n"
			       "      - http://localhost:8080\n      - 'https://[::1]:8443'\n"
			       "      - http://127.0.0.1:3000\n      - https://xn--exmpel-bua.se\n"
			       "  g:\n    title: {sv: G, en: G}\n    fields: {email: {required: true}}\n"
			       "    consents: [{purpose: b}]\n    allowed_origins: []\n",
			       &p, &err),
			 0);
	f = sk_policy_form(p, "f");
	assert_int_equal(sk_form_field(f, "email")->required, 1);
	assert_int_equal(sk_form_field(f, "first_name")->required, 0);
	assert_int_equal(sk_form_consent(f, "a")->double_opt_in, 1);
	assert_int_equal(sk_form_consent(f, "d")->double_opt_in, 1);
	assert_int_equal(sk_form_consent(f, "b")->double_opt_in, 0);
	assert_string_equal(f->success_url, "http://intranet.example.com/thanks?form=f");
	assert_null(f->error_url);
	assert_int_equal(f->norigins, 5);
	assert_true(sk_form_origin_allowed(f, "http://localhost:8080"));
	assert_true(sk_form_origin_allowed(f, "https://[::1]:8443"));
	assert_false(sk_form_origin_allowed(f, "http://localhost"));
	assert_false(sk_form_origin_allowed(f, "http://localhost:8081"));
	const struct sk_form *g = sk_policy_form(p, "g");
	assert_ptr_equal(g, &p->forms[1]);
	assert_int_equal(g->norigins, 0);
	assert_false(sk_form_origin_allowed(g, "https://www.example.com"));
	sk_policy_free(p);
}

static void test_form_errors(void **state)
{
	(void)state;
	static const struct {
		const char *name, *yaml, *want;
	} cases[] = {
		/* the form itself */
		{"forms not a mapping", MINIMAL "forms: [a]\n", "t.yaml:12: forms: expected a mapping"},
		{"bad form id", MINIMAL "forms:\n  Sign-Up: {}\n", "t.yaml:13: forms.Sign-Up: expected an id"},
		{"form not a mapping", MINIMAL "forms:\n  f: x\n", "t.yaml:13: forms.f: expected a mapping"},
		{"duplicate form", FORM_OK "  f: {}\n", "t.yaml:18: forms.f: duplicate key"},
		{"unknown form key", FORM_OK "    colour: red\n", "t.yaml:18: forms.f.colour: unknown key"},
		{"missing title", MINIMAL "forms:\n  f:\n    fields: {email: {}}\n",
		 "t.yaml:13: forms.f.title: missing"},
		{"missing english title", MINIMAL "forms:\n  f:\n    title: {sv: T}\n",
		 "t.yaml:14: forms.f.title.en: missing"},
		{"empty title", MINIMAL "forms:\n  f:\n    title: {sv: T, en: ''}\n",
		 "t.yaml:14: forms.f.title.en: must not be empty"},

		/* fields */
		{"fields missing", FBASE FCONSENTS, "t.yaml:12: forms.f.fields: missing"},
		{"fields not a mapping", FBASE "    fields: [email]\n" FCONSENTS,
		 "t.yaml:14: forms.f.fields: expected a mapping"},
		{"undeclared form field", FBASE FFIELDS "      phone: {required: false}\n" FCONSENTS,
		 "t.yaml:16: forms.f.fields.phone: not a declared field"},
		{"field no purpose of the form needs", FBASE FFIELDS "      company: {required: false}\n"
			FCONSENTS,
		 "t.yaml:16: forms.f.fields.company: no consent purpose of this form needs it "
		 "(minimisation)"},
		{"field only another purpose needs", FBASE FFIELDS "      first_name: {required: true}\n"
			"    consents:\n      - purpose: b\n",
		 "t.yaml:16: forms.f.fields.first_name: no consent purpose of this form needs it "
		 "(minimisation)"},
		{"form without email", FBASE "    fields:\n      first_name: {required: true}\n" FCONSENTS,
		 "t.yaml:14: forms.f.fields.email: missing"},
		{"form with no fields", FBASE "    fields: {}\n" FCONSENTS,
		 "t.yaml:14: forms.f.fields.email: missing"},
		{"required not a bool", FBASE "    fields:\n      email: {required: sometimes}\n" FCONSENTS,
		 "t.yaml:15: forms.f.fields.email.required: expected true or false"},
		{"required not a string", FBASE "    fields:\n      email: {required: [true]}\n" FCONSENTS,
		 "t.yaml:15: forms.f.fields.email.required: expected a string"},
		{"unknown field key", FBASE "    fields:\n      email:\n        required: true\n"
			"        label: E-mail\n" FCONSENTS,
		 "t.yaml:17: forms.f.fields.email.label: unknown key"},
		{"field entry not a mapping", FBASE "    fields:\n      email: true\n" FCONSENTS,
		 "t.yaml:15: forms.f.fields.email: expected a mapping"},
		{"email not required", FBASE "    fields:\n      email: {required: false}\n" FCONSENTS,
		 "t.yaml:15: forms.f.fields.email.required: the email field is always required"},

		/* consents */
		{"consents missing", FBASE FFIELDS, "t.yaml:12: forms.f.consents: missing"},
		{"no consent option", FBASE FFIELDS "    consents: []\n",
		 "t.yaml:16: forms.f.consents: expected at least one consent option"},
		{"consents not a list", FBASE FFIELDS "    consents: {purpose: a}\n",
		 "t.yaml:16: forms.f.consents: expected a list"},
		{"consent not a mapping", FBASE FFIELDS "    consents: [a]\n",
		 "t.yaml:16: forms.f.consents[0]: expected a mapping"},
		{"consent without purpose", FBASE FFIELDS "    consents:\n      - double_opt_in: true\n",
		 "t.yaml:17: forms.f.consents[0].purpose: missing"},
		{"unknown purpose", FBASE FFIELDS "    consents:\n      - purpose: a\n      - purpose: zz\n",
		 "t.yaml:18: forms.f.consents[1].purpose: not a defined purpose"},
		{"purpose listed twice", FORM_OK "      - purpose: b\n      - purpose: a\n",
		 "t.yaml:19: forms.f.consents[2].purpose: purpose listed twice"},
		{"purpose not on consent", FBASE FFIELDS "    consents:\n      - purpose: c\n",
		 "t.yaml:17: forms.f.consents[0].purpose: the purpose is on legal basis "
		 "legitimate_interest; only purposes on legal basis consent"},
		{"pre_ticked", FORM_OK "        pre_ticked: true\n",
		 "t.yaml:18: forms.f.consents[0].pre_ticked: not allowed: consent options are never "
		 "pre-ticked and are always worded with the purpose's notice text"},
		{"pre_ticked false", FORM_OK "        pre_ticked: false\n",
		 "t.yaml:18: forms.f.consents[0].pre_ticked: not allowed: consent options are never "
		 "pre-ticked"},
		{"checked", FBASE FFIELDS "    consents:\n      - {checked: true, purpose: a}\n",
		 "t.yaml:17: forms.f.consents[0].checked: not allowed: consent options are never "
		 "pre-ticked"},
		{"default", FORM_OK "        default: yes\n",
		 "t.yaml:18: forms.f.consents[0].default: not allowed: consent options are never "
		 "pre-ticked"},
		{"selected", FORM_OK "        selected: true\n",
		 "t.yaml:18: forms.f.consents[0].selected: not allowed: consent options are never "
		 "pre-ticked"},
		{"own consent wording", FORM_OK "        text: {sv: Ja tack, en: Yes please}\n",
		 "t.yaml:18: forms.f.consents[0].text: unknown key; a consent option has only purpose "
		 "and double_opt_in: consent options are never pre-ticked and are always worded with "
		 "the purpose's notice text"},
		{"pre_ticked on an unknown purpose", FBASE FFIELDS
			"    consents:\n      - purpose: zz\n        checked: true\n",
		 "t.yaml:18: forms.f.consents[0].checked: not allowed"},
		{"bad double_opt_in", FORM_OK "        double_opt_in: maybe\n",
		 "t.yaml:18: forms.f.consents[0].double_opt_in: expected true or false"},
		{"double opt-in taken away", FBASE FFIELDS
			"    consents:\n      - purpose: d\n        double_opt_in: false\n",
		 "t.yaml:18: forms.f.consents[0].double_opt_in: the purpose d requires double opt-in"},

		/* URLs */
		{"success_url without scheme", FORM_OK "    success_url: www.example.com/tack\n",
		 "t.yaml:18: forms.f.success_url: expected a URL starting with https:// or http://"},
		{"error_url ftp", FORM_OK "    error_url: ftp://example.com/fel\n",
		 "t.yaml:18: forms.f.error_url: expected a URL starting with https:// or http://"},
		{"bare scheme", FORM_OK "    error_url: 'https://'\n",
		 "t.yaml:18: forms.f.error_url: expected a URL"},
		{"empty success_url", FORM_OK "    success_url: ''\n",
		 "t.yaml:18: forms.f.success_url: must not be empty"},
		{"success_url with a line break", FORM_OK
			"    success_url: \"https://www.example.com/\\r\\nSet-Cookie: a=b\"\n",
		 "t.yaml:18: forms.f.success_url: expected a URL starting with https:// or http://, "
		 "without spaces or control characters"},
		{"success_url with a space", FORM_OK "    success_url: https://www.example.com/a b\n",
		 "t.yaml:18: forms.f.success_url: expected a URL"},
		{"success_url not a string", FORM_OK "    success_url: [https://www.example.com]\n",
		 "t.yaml:18: forms.f.success_url: expected a string"},

		/* origins */
		{"origins not a list", FORM_OK "    allowed_origins: https://www.example.com\n",
		 "t.yaml:18: forms.f.allowed_origins: expected a list"},
		{"origin not a string", FORM_OK "    allowed_origins: [[https://www.example.com]]\n",
		 "t.yaml:18: forms.f.allowed_origins[0]: expected a string"},
		{"origin listed twice", FORM_OK "    allowed_origins:\n      - https://a.example.com\n"
			"      - https://b.example.com\n      - https://a.example.com\n",
		 "t.yaml:21: forms.f.allowed_origins[2]: listed twice"},

		/* A form never shows a consent option without its text: a purpose on consent must
		 * have its notice in both languages, not empty. */
		{"form purpose notice missing", ORG FIELDS "purposes:\n  a:\n    kind: communication\n"
			"    legal_basis: consent\n    fields: [email]\n    title: {sv: T, en: T}\n"
			"    description: {sv: D, en: D}\n"
			"forms:\n  f: {title: {sv: T, en: T}, fields: {email: {}}, consents: [{purpose: a}]}\n",
		 "t.yaml:5: purposes.a.notice: missing"},
		{"form purpose notice in one language", ORG FIELDS "purposes:\n  a:\n"
			"    kind: communication\n    legal_basis: consent\n    fields: [email]\n"
			"    title: {sv: T, en: T}\n    description: {sv: D, en: D}\n"
			"    notice:\n      sv: Vi skickar nyhetsbrev.\n"
			"forms:\n  f: {title: {sv: T, en: T}, fields: {email: {}}, consents: [{purpose: a}]}\n",
		 "t.yaml:11: purposes.a.notice.en: missing"},
		{"form purpose notice empty", ORG FIELDS "purposes:\n  a:\n    kind: communication\n"
			"    legal_basis: consent\n    fields: [email]\n    title: {sv: T, en: T}\n"
			"    description: {sv: D, en: D}\n    notice: {sv: '', en: We send a newsletter.}\n"
			"forms:\n  f: {title: {sv: T, en: T}, fields: {email: {}}, consents: [{purpose: a}]}\n",
		 "t.yaml:11: purposes.a.notice.sv: must not be empty"},
		{"form purpose notice blank", ORG FIELDS "purposes:\n  a:\n    kind: communication\n"
			"    legal_basis: consent\n    fields: [email]\n    title: {sv: T, en: T}\n"
			"    description: {sv: D, en: D}\n    notice:\n      sv: Vi skickar nyhetsbrev.\n"
			"      en: \"  \\n\"\n"
			"forms:\n  f: {title: {sv: T, en: T}, fields: {email: {}}, consents: [{purpose: a}]}\n",
		 "t.yaml:13: purposes.a.notice.en: must not be empty"},
		{"form purpose notice null", ORG FIELDS "purposes:\n  a:\n    kind: communication\n"
			"    legal_basis: consent\n    fields: [email]\n    title: {sv: T, en: T}\n"
			"    description: {sv: D, en: D}\n    notice:\n      sv:\n      en: N\n"
			"forms:\n  f: {title: {sv: T, en: T}, fields: {email: {}}, consents: [{purpose: a}]}\n",
		 "t.yaml:12: purposes.a.notice.sv: must not be empty"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_fail(cases[i].name, cases[i].yaml, SK_ERR_POLICY, cases[i].want);

	/* Origins: the shapes accepted and refused, each with why. */
	static const struct {
		const char *origin, *want; /* want NULL: accepted */
	} origins[] = {
		{"https://www.example.com", NULL},
		{"http://www.example.com", NULL},
		{"https://www.example.com:8443", NULL},
		{"http://localhost:8080", NULL},
		{"http://127.0.0.1:3000", NULL},
		{"https://[::1]:8443", NULL},
		{"https://xn--exmpel-bua.se", NULL},
		{"https://a-b.example.com:65535", NULL},
		{"https://www.example.com/", "an origin has no path and no trailing slash"},
		{"https://www.example.com/path", "an origin has no path"},
		{"https://www.example.com:8443/", "an origin has no path"},
		{"www.example.com", "expected an origin such as https://www.example.com"},
		{"ftp://www.example.com", "expected an origin such as"},
		{"https://", "expected an origin such as"},
		{"https:///x", "expected an origin such as"},
		{"https://WWW.example.com", "write the host in lowercase"},
		{"https://www.example.com:443", "leave out the default port"},
		{"http://www.example.com:80", "leave out the default port"},
		{"https://www.example.com:0", "expected a port from 1 to 65535"},
		{"https://www.example.com:65536", "expected a port from 1 to 65535"},
		{"https://www.example.com:08443", "expected a port from 1 to 65535"},
		{"https://www.example.com:", "expected a port from 1 to 65535"},
		{"https://www.example.com:x", "expected a port from 1 to 65535"},
		{"https://*.example.com", "expected an origin such as"},
		{"*", "expected an origin such as"},
		{"null", "expected an origin such as"},
		{"https://www..example.com", "expected an origin such as"},
		{"https://.example.com", "expected an origin such as"},
		{"https://example.com.", "expected an origin such as"},
		{"https://-x.example.com", "expected an origin such as"},
		{"https://x-.example.com", "expected an origin such as"},
		{"https://user@www.example.com", "expected an origin such as"},
		{"https://www.example.com?a=b", "expected an origin such as"},
		{"https://www.example.com#top", "expected an origin such as"},
		{"https://www.example.com ", "expected an origin such as"},
		{"https://[]", "expected an origin such as"},
		{"https://[::1", "expected an origin such as"},
		{"https://www.exämple.com", "expected an origin such as"},
	};
	for (size_t i = 0; i < sizeof(origins) / sizeof(origins[0]); i++) {
		char yaml[4096], want[256];
		snprintf(yaml, sizeof(yaml), "%s    allowed_origins: ['%s']\n", FORM_OK,
			 origins[i].origin);
		if (!origins[i].want) {
			struct sk_errctx err;
			struct sk_policy *p = NULL;
			if (parse(yaml, &p, &err)) {
				print_error("origin %s: %s\n", origins[i].origin, err.msg);
				fail();
			}
			assert_true(sk_form_origin_allowed(sk_policy_form(p, "f"), origins[i].origin));
			sk_policy_free(p);
			continue;
		}
		snprintf(want, sizeof(want), "t.yaml:18: forms.f.allowed_origins[0]: %s",
			 origins[i].want);
		expect_fail(origins[i].origin, yaml, SK_ERR_POLICY, want);
	}
}

static void test_form_limits(void **state)
{
	(void)state;
	struct sk_errctx err;
	struct sk_policy *p = NULL;
	char line[256];
	size_t len;

	/* Forms: at most 100. */
	for (int n = 100; n <= 101; n++) {
		char *s = NULL;
		len = 0;
		s = cat(s, &len, MINIMAL "forms:\n");
		for (int i = 0; i < n; i++) {
			snprintf(line, sizeof(line), "  f%d: {title: {sv: T, en: T}, fields: {email: {}}, "
				 "consents: [{purpose: a}]}\n", i);
			s = cat(s, &len, line);
		}
		int rc = parse(s, &p, &err);
		if (n == 100) {
			assert_int_equal(rc, 0);
			assert_int_equal(p->nforms, 100);
			assert_non_null(sk_policy_form(p, "f99"));
			sk_policy_free(p);
			p = NULL;
		} else {
			assert_int_equal(rc, SK_ERR_POLICY);
			assert_non_null(strstr(err.msg, "t.yaml:13: forms: more than 100 forms"));
		}
		free(s);
	}

	/* Fields per form: at most 64. */
	for (int n = 64; n <= 65; n++) {
		char *s = NULL;
		len = 0;
		s = cat(s, &len, ORG "fields:\n  email: {type: email}\n");
		for (int i = 1; i < n; i++) {
			snprintf(line, sizeof(line), "  f%d: {type: text}\n", i);
			s = cat(s, &len, line);
		}
		s = cat(s, &len, "purposes:\n  a:\n    kind: other\n    legal_basis: consent\n"
			"    title: {sv: T, en: T}\n    description: {sv: D, en: D}\n"
			"    notice: {sv: N, en: N}\n    fields:\n      - email\n");
		for (int i = 1; i < n; i++) {
			snprintf(line, sizeof(line), "      - f%d\n", i);
			s = cat(s, &len, line);
		}
		s = cat(s, &len, "forms:\n  f:\n    title: {sv: T, en: T}\n    consents: [{purpose: a}]\n"
			"    fields:\n      email: {required: true}\n");
		for (int i = 1; i < n; i++) {
			snprintf(line, sizeof(line), "      f%d: {required: false}\n", i);
			s = cat(s, &len, line);
		}
		int rc = parse(s, &p, &err);
		if (n == 64) {
			assert_int_equal(rc, 0);
			assert_int_equal(p->forms[0].nfields, 64);
			sk_policy_free(p);
			p = NULL;
		} else {
			assert_int_equal(rc, SK_ERR_POLICY);
			snprintf(line, sizeof(line), "t.yaml:%d: forms.f.fields: more than 64 fields",
				 2 * n + 16);
			if (!strstr(err.msg, line)) {
				print_error("%s\nwanted %s\n", err.msg, line);
				fail();
			}
		}
		free(s);
	}

	/* Consent options per form: at most 32; origins: at most 16. */
	for (int n = 32; n <= 33; n++) {
		char *s = NULL;
		len = 0;
		s = cat(s, &len, ORG FIELDS "purposes:\n");
		for (int i = 0; i < n; i++) {
			snprintf(line, sizeof(line), "  p%d: {kind: other, legal_basis: consent, "
				 "fields: [email], " PT "}\n", i);
			s = cat(s, &len, line);
		}
		s = cat(s, &len, "forms:\n  f:\n    title: {sv: T, en: T}\n    fields: {email: {}}\n"
			"    consents:\n");
		for (int i = 0; i < n; i++) {
			snprintf(line, sizeof(line), "      - purpose: p%d\n", i);
			s = cat(s, &len, line);
		}
		int rc = parse(s, &p, &err);
		if (n == 32) {
			assert_int_equal(rc, 0);
			assert_int_equal(p->forms[0].nconsents, 32);
			sk_policy_free(p);
			p = NULL;
		} else {
			assert_int_equal(rc, SK_ERR_POLICY);
			snprintf(line, sizeof(line), "t.yaml:%d: forms.f.consents: more than 32 consent "
				 "options", n + 10);
			if (!strstr(err.msg, line)) {
				print_error("%s\nwanted %s\n", err.msg, line);
				fail();
			}
		}
		free(s);
	}
	for (int n = 16; n <= 17; n++) {
		char *s = NULL;
		len = 0;
		s = cat(s, &len, FORM_OK "    allowed_origins:\n");
		for (int i = 0; i < n; i++) {
			snprintf(line, sizeof(line), "      - https://o%d.example.com\n", i);
			s = cat(s, &len, line);
		}
		int rc = parse(s, &p, &err);
		if (n == 16) {
			assert_int_equal(rc, 0);
			assert_int_equal(p->forms[0].norigins, 16);
			assert_true(sk_form_origin_allowed(&p->forms[0], "https://o15.example.com"));
			sk_policy_free(p);
			p = NULL;
		} else {
			assert_int_equal(rc, SK_ERR_POLICY);
			assert_non_null(strstr(err.msg, "t.yaml:19: forms.f.allowed_origins: more than 16 "
						       "origins"));
		}
		free(s);
	}
}

static void test_field_validate(void **state)
{
	(void)state;
	static const struct {
		struct sk_field_def f;
		const char *value;
		int code;
	} cases[] = {
		{{"email", SK_FIELD_EMAIL, 254, {0}}, "anna@example.com", 0},
		{{"email", SK_FIELD_EMAIL, 254, {0}}, "Anna.Berg+news@exempel.se", 0},
		{{"email", SK_FIELD_EMAIL, 254, {0}}, "åsa@exempel.se", 0},
		{{"email", SK_FIELD_EMAIL, 254, {0}}, "annaexample.com", SK_ERR_INVALID_EMAIL},
		{{"email", SK_FIELD_EMAIL, 254, {0}}, "anna@@example.com", SK_ERR_INVALID_EMAIL},
		{{"email", SK_FIELD_EMAIL, 254, {0}}, "an@na@example.com", SK_ERR_INVALID_EMAIL},
		{{"email", SK_FIELD_EMAIL, 254, {0}}, "@example.com", SK_ERR_INVALID_EMAIL},
		{{"email", SK_FIELD_EMAIL, 254, {0}}, "anna@", SK_ERR_INVALID_EMAIL},
		{{"email", SK_FIELD_EMAIL, 254, {0}}, "anna berg@example.com", SK_ERR_INVALID_EMAIL},
		{{"email", SK_FIELD_EMAIL, 254, {0}}, "anna@example.com\n", SK_ERR_INVALID_EMAIL},
		{{"email", SK_FIELD_EMAIL, 254, {0}}, "anna@exa\x7fmple.com", SK_ERR_INVALID_EMAIL},
		{{"email", SK_FIELD_EMAIL, 254, {0}}, "anna@ex\xffmple.com", SK_ERR_INVALID_EMAIL},
		{{"email", SK_FIELD_EMAIL, 254, {0}}, "", SK_ERR_INVALID_EMAIL},
		{{"first_name", SK_FIELD_TEXT, 10, {0}}, "Åsa", 0},
		{{"first_name", SK_FIELD_TEXT, 10, {0}}, "", 0},
		{{"first_name", SK_FIELD_TEXT, 10, {0}}, "0123456789", 0},
		{{"first_name", SK_FIELD_TEXT, 10, {0}}, "01234567890", SK_ERR_INVALID},
		{{"first_name", SK_FIELD_TEXT, 10, {0}}, "Åsa\tBerg", SK_ERR_INVALID},
		{{"first_name", SK_FIELD_TEXT, 10, {0}}, "Åsa\nBerg", SK_ERR_INVALID},
		{{"first_name", SK_FIELD_TEXT, 10, {0}}, "Åsa\x7f", SK_ERR_INVALID},
		{{"first_name", SK_FIELD_TEXT, 10, {0}}, "Åsa\xc2\x85", SK_ERR_INVALID},
		{{"first_name", SK_FIELD_TEXT, 10, {0}}, "\xc3\x28", SK_ERR_INVALID},
		{{"first_name", SK_FIELD_TEXT, 10, {0}}, "\xc0\xaf", SK_ERR_INVALID},
		{{"first_name", SK_FIELD_TEXT, 10, {0}}, "\xed\xa0\x80", SK_ERR_INVALID},
		{{"first_name", SK_FIELD_TEXT, 10, {0}}, "\xf4\x90\x80\x80", SK_ERR_INVALID},
		{{"first_name", SK_FIELD_TEXT, 10, {0}}, "Ann\xc3", SK_ERR_INVALID},
		{{"phone", SK_FIELD_PHONE, 32, {0}}, "+46 8 123 45 67", 0},
		{{"phone", SK_FIELD_PHONE, 32, {0}}, "08-123 45 67", 0},
		{{"phone", SK_FIELD_PHONE, 32, {0}}, "(08) 1234", 0},
		{{"phone", SK_FIELD_PHONE, 32, {0}}, "1234", 0},
		{{"phone", SK_FIELD_PHONE, 32, {0}}, "123", SK_ERR_INVALID},
		{{"phone", SK_FIELD_PHONE, 32, {0}}, "+ (1) 23", SK_ERR_INVALID},
		{{"phone", SK_FIELD_PHONE, 32, {0}}, "46+8123456", SK_ERR_INVALID},
		{{"phone", SK_FIELD_PHONE, 32, {0}}, "08-123 45 67 ext", SK_ERR_INVALID},
		{{"phone", SK_FIELD_PHONE, 32, {0}}, "123456789012345678901234567890123",
		 SK_ERR_INVALID},
		{{"country", SK_FIELD_COUNTRY, 2, {0}}, "SE", 0},
		{{"country", SK_FIELD_COUNTRY, 2, {0}}, "se", SK_ERR_INVALID},
		{{"country", SK_FIELD_COUNTRY, 2, {0}}, "SWE", SK_ERR_INVALID},
		{{"country", SK_FIELD_COUNTRY, 2, {0}}, "S", SK_ERR_INVALID},
		{{"country", SK_FIELD_COUNTRY, 2, {0}}, "S1", SK_ERR_INVALID},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sk_errctx err;
		sk_errctx_reset(&err);
		int rc = sk_policy_field_validate(&cases[i].f, cases[i].value, &err);
		if (rc != cases[i].code) {
			print_error("case %zu (%s): rc %d, wanted %d\n", i, cases[i].f.name, rc,
				    cases[i].code);
			fail();
		}
		if (rc) {
			assert_int_equal(strncmp(err.msg, cases[i].f.name, strlen(cases[i].f.name)), 0);
			if (strlen(cases[i].value) >= 3)
				assert_null(strstr(err.msg, cases[i].value));
		}
	}
	struct sk_field_def f = {"email", SK_FIELD_EMAIL, 254, {0}};
	struct sk_errctx err;
	assert_int_equal(sk_policy_field_validate(&f, NULL, &err), SK_ERR_INVALID_EMAIL);
	assert_string_equal(err.msg, "email: missing");
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(sk_lang_from_name("sv"), SK_LANG_SV);
	assert_int_equal(sk_lang_from_name("en"), SK_LANG_EN);
	assert_int_equal(sk_lang_from_name("de"), -1);
	assert_int_equal(sk_lang_from_name(NULL), -1);
	assert_string_equal(sk_lang_name(SK_LANG_SV), "sv");
	assert_string_equal(sk_lang_name(SK_LANG_EN), "en");
	assert_null(sk_lang_name(SK_NLANG));
	assert_null(sk_lang_name(-1));
	assert_string_equal(sk_basis_name(SK_BASIS_CONSENT), "consent");
	assert_string_equal(sk_basis_name(SK_BASIS_LEGITIMATE_INTEREST), "legitimate_interest");
	assert_string_equal(sk_basis_name(SK_BASIS_CONTRACT), "contract");
	assert_string_equal(sk_basis_name(SK_BASIS_LEGAL_OBLIGATION), "legal_obligation");
	assert_string_equal(sk_kind_name(SK_KIND_COMMUNICATION), "communication");
	assert_string_equal(sk_kind_name(SK_KIND_PROFILING), "profiling");
	assert_string_equal(sk_kind_name(SK_KIND_TRACKING), "tracking");
	assert_string_equal(sk_kind_name(SK_KIND_OTHER), "other");
	assert_string_equal(sk_field_type_name(SK_FIELD_EMAIL), "email");
	assert_string_equal(sk_field_type_name(SK_FIELD_TEXT), "text");
	assert_string_equal(sk_field_type_name(SK_FIELD_PHONE), "phone");
	assert_string_equal(sk_field_type_name(SK_FIELD_COUNTRY), "country");
}

/* A policy with a registration purpose r (contract), a consent purpose o of kind other, and the
 * marketing consents a and b; the cases append to form f from line 15. */
#define RBASE                                                                                  \
	PBASE                                                                  /* 1-9 */       \
	"  r: {kind: other, legal_basis: contract, fields: [email, company], " PT "}\n" /* 10 */ \
	"  o: {kind: other, legal_basis: consent, fields: [email, company], " PT "}\n" /* 11 */ \
	"forms:\n"                                                             /* 12 */        \
	"  f:\n"                                                               /* 13 */        \
	"    title: {sv: T, en: T}\n"                                          /* 14 */

/* GDPR Art. 7(4): submitting a form never depends on giving a consent. */
static void test_form_bundling(void **state)
{
	(void)state;
	static const struct {
		const char *name, *yaml, *want;
	} cases[] = {
		{"consent option required", FORM_OK "        required: true\n",
		 "t.yaml:18: forms.f.consents[0].required: not allowed: a consent option is always "
		 "optional: submitting a form may not depend on giving a consent (GDPR Art. 7(4))"},
		{"consent option required false", FORM_OK "        required: false\n",
		 "t.yaml:18: forms.f.consents[0].required: not allowed: a consent option is always "
		 "optional"},
		{"consent option mandatory", FBASE FFIELDS "    consents:\n      - {mandatory: yes, "
			"purpose: a}\n",
		 "t.yaml:17: forms.f.consents[0].mandatory: not allowed: a consent option is always "
		 "optional"},
		{"own purpose a marketing consent", RBASE "    purpose: a\n"
			"    fields: {email: {}}\n",
		 "t.yaml:15: forms.f.purpose: the purpose is a communication consent; submitting a "
		 "form may not depend on it (GDPR Art. 7(4))"},
		{"own purpose profiling consent", RBASE "    purpose: b\n    fields: {email: {}}\n",
		 "t.yaml:15: forms.f.purpose: the purpose is a profiling consent"},
		{"own purpose on legitimate interest", RBASE "    purpose: c\n"
			"    fields: {email: {}}\n",
		 "t.yaml:15: forms.f.purpose: the purpose is on legal basis legitimate_interest; a "
		 "form's own purpose is on legal basis contract (a registration) or consent"},
		{"own purpose unknown", RBASE "    purpose: zz\n    fields: {email: {}}\n",
		 "t.yaml:15: forms.f.purpose: not a defined purpose"},
		{"own purpose not a string", RBASE "    purpose: [r]\n    fields: {email: {}}\n",
		 "t.yaml:15: forms.f.purpose: expected a string"},
		{"own purpose also a box", RBASE "    purpose: o\n    fields: {email: {}}\n"
			"    consents:\n      - purpose: o\n",
		 "t.yaml:18: forms.f.consents[0].purpose: the form's own purpose; it is given by "
		 "submitting the form, not by a box"},
		/* A registration that requires a field only a marketing consent needs. */
		{"registration requires consent data", RBASE "    purpose: r\n    fields:\n"
			"      email: {}\n      first_name: {required: true}\n"
			"    consents:\n      - purpose: a\n",
		 "t.yaml:18: forms.f.fields.first_name.required: the form's own purpose r does not "
		 "list this field, so only a consent option needs it: submitting the form may not "
		 "depend on giving data for a consent (GDPR Art. 7(4))"},
		/* Without an own purpose, a required field is one every consent option needs. */
		{"one box requires another's data", FBASE "    fields:\n      email: {}\n"
			"      first_name: {required: yes}\n    consents:\n      - purpose: a\n"
			"      - purpose: b\n",
		 "t.yaml:16: forms.f.fields.first_name.required: the consent option b does not need "
		 "this field, so a person ticking only b would have to give data for another consent "
		 "(GDPR Art. 7(4))"},
		{"no own purpose and no box", RBASE "    fields: {email: {}}\n    consents: []\n",
		 "t.yaml:16: forms.f.consents: expected at least one consent option (or the form's "
		 "own purpose)"},
		{"no own purpose, consents missing", RBASE "    fields: {email: {}}\n",
		 "t.yaml:13: forms.f.consents: missing"},
		/* Minimisation still holds with an own purpose. */
		{"field neither purpose needs", RBASE "    purpose: r\n    fields:\n      email: {}\n"
			"      first_name: {}\n",
		 "t.yaml:18: forms.f.fields.first_name: no consent purpose of this form needs it"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_fail(cases[i].name, cases[i].yaml, SK_ERR_POLICY, cases[i].want);

	/* Accepted: a registration (contract) with optional boxes, or none at all; a registration
	 * on its own consent (kind other); a required field every box needs. */
	static const char *const ok[] = {
		RBASE "    purpose: r\n    fields:\n      email: {}\n      company: {required: true}\n"
		"      first_name: {required: false}\n    consents:\n      - purpose: a\n"
		"      - purpose: b\n",
		RBASE "    purpose: r\n    fields: {email: {}, company: {required: true}}\n",
		RBASE "    purpose: r\n    fields: {email: {}}\n    consents: []\n",
		RBASE "    purpose: o\n    fields: {email: {}, company: {required: true}}\n"
		"    consents: [{purpose: a}]\n",
		FBASE "    fields: {email: {}, first_name: {required: true}}\n"
		"    consents: [{purpose: a}]\n",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct sk_errctx err;
		struct sk_policy *p = NULL;
		if (parse(ok[i], &p, &err)) {
			print_error("case %zu: %s\n", i, err.msg);
			fail();
		}
		const struct sk_form *f = sk_policy_form(p, "f");
		assert_true(i == 4 ? f->purpose == NULL : f->purpose != NULL);
		sk_policy_free(p);
	}

	/* A stored policy from before the required-field rule still loads, so that a database
	 * holding one opens and takes a corrected policy; a file being applied is refused. */
	const char *old = FBASE "    fields:\n      email: {}\n      first_name: {required: yes}\n"
			  "    consents:\n      - purpose: a\n      - purpose: b\n";
	struct sk_errctx err;
	struct sk_policy *p = NULL;
	sk_errctx_reset(&err);
	assert_int_equal(sk_policy_parse_flags(old, strlen(old), "stored", SK_POLICY_PARSE_STORED,
					       &p, &err), 0);
	assert_int_equal(sk_policy_form(p, "f")->fields[1].required, 1);
	sk_policy_free(p);
	p = NULL;
	assert_int_equal(sk_policy_parse_flags(old, strlen(old), "stored", 0, &p, &err),
			 SK_ERR_POLICY);
	assert_null(p);
}

/* ---- applying ---- */

/* The example with the text between from and to cut out; free with free(). */
static char *example_cut(const char *from, const char *to)
{
	size_t len;
	char *text = t_example_policy(&len);
	char *a = strstr(text, from), *b = a ? strstr(a, to) : NULL;
	assert_non_null(b);
	memmove(a, b, strlen(b) + 1);
	return text;
}

/* The example with the first occurrence of what replaced by with; free with free(). */
static char *example_with(const char *what, const char *with)
{
	size_t len;
	char *text = t_example_policy(&len);
	char *at = strstr(text, what);
	assert_non_null(at);
	char *out = malloc(len + strlen(with) + 1);
	size_t head = (size_t)(at - text);
	memcpy(out, text, head);
	strcpy(out + head, with);
	strcat(out, at + strlen(what));
	free(text);
	return out;
}

static int stored_version(struct tenv *t)
{
	char *text = NULL;
	size_t len;
	int64_t at;
	int version = -1;
	assert_int_equal(sk_store_policy_get(t->store, &text, &len, &version, &at), 0);
	sk_free(text);
	return version;
}

static int notice_version(struct tenv *t, const char *purpose)
{
	int version = -1;
	assert_int_equal(sk_store_notice_latest(t->store, purpose, &version), 0);
	return version;
}

static const struct sk_policy_diff *find_diff(const struct sk_policy_plan *pl,
					      enum sk_policy_item item, const char *id)
{
	for (size_t i = 0; i < pl->ndiffs; i++)
		if (pl->diffs[i].item == item && strcmp(pl->diffs[i].id, id) == 0)
			return &pl->diffs[i];
	return NULL;
}

static void test_apply_unchanged(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	size_t len;
	char *text = t_example_policy(&len);
	assert_int_equal(stored_version(t), 1);

	/* The same file again: no new policy version, no new notice version. */
	struct sk_notice_change *ch = NULL;
	size_t nch = 0;
	assert_int_equal(sk_policy_apply(t->core, text, len, "policy.yaml", &ch, &nch, &t->err), 0);
	assert_int_equal(stored_version(t), 1);
	assert_int_equal(t->core->policy_version, 1);
	assert_int_equal(nch, 7);
	for (size_t i = 0; i < nch; i++) {
		assert_int_equal(ch[i].version, 1);
		assert_false(ch[i].is_new);
		assert_int_equal(notice_version(t, ch[i].purpose), 1);
	}
	sk_free(ch);
	struct sk_policy_plan *pl = NULL;
	assert_int_equal(sk_policy_update(t->core, text, len, "policy.yaml", 0, &pl, &t->err), 0);
	assert_true(pl->unchanged);
	assert_int_equal(pl->base_version, 1);
	assert_int_equal(pl->version, 1);
	assert_int_equal(pl->ndiffs, 0);
	assert_false(pl->refused);
	sk_policy_plan_free(pl);
	assert_int_equal(stored_version(t), 1);

	/* A comment more is another text: a new policy version (the record of what was applied),
	 * but no difference in meaning and no new notice version. */
	char *commented = malloc(len + 32);
	memcpy(commented, text, len);
	strcpy(commented + len, "# approved by legal\n");
	assert_int_equal(sk_policy_update(t->core, commented, strlen(commented), "policy.yaml", 0,
					  &pl, &t->err), 0);
	assert_false(pl->unchanged);
	assert_int_equal(pl->version, 2);
	assert_int_equal(pl->ndiffs, 0);
	for (size_t i = 0; i < pl->nnotices; i++)
		assert_false(pl->notices[i].is_new);
	sk_policy_plan_free(pl);
	assert_int_equal(stored_version(t), 2);
	assert_int_equal(notice_version(t, "newsletter"), 1);
	/* ... and applying that one again stores nothing either */
	assert_int_equal(sk_policy_update(t->core, commented, strlen(commented), "policy.yaml", 0,
					  &pl, &t->err), 0);
	assert_true(pl->unchanged);
	assert_int_equal(pl->version, 2);
	sk_policy_plan_free(pl);
	assert_int_equal(stored_version(t), 2);

	/* The original again differs from the newest (the commented one): version 3. */
	assert_int_equal(sk_policy_apply(t->core, text, len, "policy.yaml", NULL, NULL, &t->err), 0);
	assert_int_equal(stored_version(t), 3);
	free(commented);
	free(text);
	tenv_free(t);
}

/* Contacts holding ip_tracking: given (a), pending (b), unverified (e); not holding it:
 * withdrawn (c), expired (d), refused (f). */
static void hold_ip_tracking(struct tenv *t, int64_t now)
{
	struct sk_consent_req pend = {.email = "b@example.com", .purpose = "ip_tracking",
				      .action = SK_ACT_GIVE, .method = "form", .source = "f",
				      .lang = "en", .actor = "test", .double_opt_in = 1};
	assert_int_equal(t_consent(t, "a@example.com", "ip_tracking", SK_ACT_GIVE, "api", "t", 0), 0);
	assert_int_equal(sk_consent_record(t->core, &pend, NULL, &t->err), 0);
	assert_int_equal(t_consent(t, "c@example.com", "ip_tracking", SK_ACT_GIVE, "api", "t", 0), 0);
	assert_int_equal(t_consent(t, "c@example.com", "ip_tracking", SK_ACT_WITHDRAW, "api", "t", 0),
			 0);
	assert_int_equal(t_consent(t, "d@example.com", "ip_tracking", SK_ACT_GIVE, "api", "t",
				   now - 400 * 86400LL), 0);
	assert_int_equal(t_consent(t, "e@example.com", "ip_tracking", SK_ACT_GIVE, "import", "old crm",
				   0), 0);
	assert_int_equal(t_consent(t, "f@example.com", "ip_tracking", SK_ACT_REFUSE, "api", "t", 0), 0);
	assert_string_equal(t_gate(t, "a@example.com", "ip_tracking", now), "consent");
	assert_string_equal(t_gate(t, "b@example.com", "ip_tracking", now), "pending_confirmation");
	assert_string_equal(t_gate(t, "d@example.com", "ip_tracking", now), "expired");
	assert_string_equal(t_gate(t, "e@example.com", "ip_tracking", now), "unverified");
}

static void test_apply_drop_purpose(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	int64_t now = sk_time_now(), n = -1;
	hold_ip_tracking(t, now);

	/* The store's count: given, pending and unverified; a given consent past its validity
	 * (six months) no longer counts. */
	assert_int_equal(sk_store_state_count_live(t->store, "ip_tracking", now, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(sk_store_state_count_live(t->store, "ip_tracking", now + 200 * 86400LL, &n),
			 0);
	assert_int_equal(n, 2);
	assert_int_equal(sk_store_state_count_live(t->store, "sales_followup", now, &n), 0);
	assert_int_equal(n, 0);

	/* Without ip_tracking (and with a newsletter notice changed): refused, nothing stored. */
	char *drop = example_cut("\n  ip_tracking:\n", "\n  sales_followup:\n");
	char *p2 = strstr(drop, "will send our newsletter");
	assert_non_null(p2);
	memcpy(p2, "will mail", 9);
	assert_int_equal(sk_policy_apply(t->core, drop, strlen(drop), "new.yaml", NULL, NULL,
					 &t->err), SK_ERR_POLICY);
	assert_non_null(strstr(t->err.msg, "new.yaml: refusing to drop purposes that contacts "
				"still hold: ip_tracking (3 contacts)"));
	assert_non_null(strstr(t->err.msg, "--force"));
	assert_null(strstr(t->err.msg, "@"));
	assert_int_equal(stored_version(t), 1);
	assert_int_equal(notice_version(t, "newsletter"), 1);
	assert_int_equal(t->core->policy_version, 1);
	assert_non_null(sk_policy_purpose(t->core->policy, "ip_tracking"));
	assert_string_equal(t_gate(t, "a@example.com", "ip_tracking", now), "consent");

	/* The dry run says so, and what else would change, and stores nothing. */
	struct sk_policy_plan *pl = NULL;
	assert_int_equal(sk_policy_update(t->core, drop, strlen(drop), "new.yaml",
					  SK_POLICY_DRY_RUN, &pl, &t->err), 0);
	assert_true(pl->refused);
	assert_false(pl->forced);
	assert_false(pl->unchanged);
	assert_int_equal(pl->base_version, 1);
	assert_int_equal(pl->version, 2);
	assert_non_null(strstr(pl->why, "ip_tracking (3 contacts)"));
	const struct sk_policy_diff *d = find_diff(pl, SK_PI_PURPOSE, "ip_tracking");
	assert_non_null(d);
	assert_int_equal(d->op, SK_PO_REMOVED);
	assert_int_equal(d->holders, 3);
	d = find_diff(pl, SK_PI_PURPOSE, "newsletter");
	assert_non_null(d);
	assert_int_equal(d->op, SK_PO_CHANGED);
	assert_string_equal(d->attrs, "notice");
	assert_int_equal(pl->ndiffs, 2);
	for (size_t i = 0; i < pl->nnotices; i++)
		assert_int_equal(pl->notices[i].is_new,
				 strcmp(pl->notices[i].purpose, "newsletter") == 0);
	sk_policy_plan_free(pl);
	assert_int_equal(stored_version(t), 1);
	assert_int_equal(notice_version(t, "newsletter"), 1);

	/* Forced: applied; the records stay, the gate no longer knows the purpose. */
	assert_int_equal(sk_policy_update(t->core, drop, strlen(drop), "new.yaml", SK_POLICY_FORCE,
					  &pl, &t->err), 0);
	assert_false(pl->refused);
	assert_true(pl->forced);
	assert_int_equal(pl->version, 2);
	assert_non_null(strstr(pl->why, "ip_tracking (3 contacts)"));
	sk_policy_plan_free(pl);
	assert_int_equal(stored_version(t), 2);
	assert_int_equal(notice_version(t, "newsletter"), 2);
	assert_string_equal(t_gate(t, "a@example.com", "ip_tracking", now), "unknown_purpose");
	assert_int_equal(sk_store_state_count_live(t->store, "ip_tracking", now, &n), 0);
	assert_int_equal(n, 3);
	/* The pending consent of the dropped purpose still lapses (pending expire). */
	long expired = 0, deleted = 0;
	assert_int_equal(sk_pending_expire(t->core, now + 8 * 86400LL, 7, &expired, &deleted,
					   &t->err), 0);
	assert_int_equal(expired, 1);
	assert_int_equal(deleted, 1);
	assert_int_equal(sk_store_state_count_live(t->store, "ip_tracking", now, &n), 0);
	assert_int_equal(n, 2);

	/* Adding it back and dropping it again is refused again. */
	size_t len;
	char *full = t_example_policy(&len);
	assert_int_equal(sk_policy_apply(t->core, full, len, "policy.yaml", NULL, NULL, &t->err), 0);
	assert_int_equal(sk_policy_apply(t->core, drop, strlen(drop), "new.yaml", NULL, NULL,
					 &t->err), SK_ERR_POLICY);
	free(full);
	free(drop);
	tenv_free(t);
}

/* Nobody holds the purpose (withdrawn, expired, refused only): it may go. */
static void test_apply_drop_unheld(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	int64_t now = sk_time_now();
	assert_int_equal(t_consent(t, "c@example.com", "ip_tracking", SK_ACT_GIVE, "api", "t", 0), 0);
	assert_int_equal(t_consent(t, "c@example.com", "ip_tracking", SK_ACT_WITHDRAW, "api", "t", 0),
			 0);
	assert_int_equal(t_consent(t, "d@example.com", "ip_tracking", SK_ACT_GIVE, "api", "t",
				   now - 400 * 86400LL), 0);
	assert_int_equal(t_consent(t, "f@example.com", "ip_tracking", SK_ACT_REFUSE, "api", "t", 0), 0);
	/* a live consent for another purpose does not count */
	assert_int_equal(t_consent(t, "c@example.com", "newsletter", SK_ACT_GIVE, "api", "t", 0), 0);
	char *drop = example_cut("\n  ip_tracking:\n", "\n  sales_followup:\n");
	struct sk_policy_plan *pl = NULL;
	assert_int_equal(sk_policy_update(t->core, drop, strlen(drop), "new.yaml", 0, &pl, &t->err),
			 0);
	assert_false(pl->refused);
	assert_false(pl->forced);
	assert_string_equal(pl->why, "");
	const struct sk_policy_diff *d = find_diff(pl, SK_PI_PURPOSE, "ip_tracking");
	assert_non_null(d);
	assert_int_equal(d->op, SK_PO_REMOVED);
	assert_int_equal(d->holders, 0);
	sk_policy_plan_free(pl);
	assert_int_equal(stored_version(t), 2);
	assert_null(sk_policy_purpose(t->core->policy, "ip_tracking"));
	free(drop);
	tenv_free(t);
}

/* The difference names forms, fields and settings too; a file that does not parse is
 * refused whatever the flags. */
static void test_apply_diff(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	/* webinar without the lead scoring box; the retention of contacts without a basis */
	char *a = example_cut("      - purpose: lead_scoring\n", "    allowed_origins");
	char *b = strstr(a, "  no_basis: 30 days");
	assert_non_null(b);
	memcpy(b, "  no_basis: 60 days", 19);
	struct sk_policy_plan *pl = NULL;
	assert_int_equal(sk_policy_update(t->core, a, strlen(a), "a.yaml", SK_POLICY_DRY_RUN, &pl,
					  &t->err), 0);
	assert_int_equal(pl->ndiffs, 2);
	const struct sk_policy_diff *d = find_diff(pl, SK_PI_FORM, "webinar");
	assert_non_null(d);
	assert_int_equal(d->op, SK_PO_CHANGED);
	assert_string_equal(d->attrs, "consents");
	d = find_diff(pl, SK_PI_SETTING, "retention");
	assert_non_null(d);
	assert_string_equal(d->attrs, "no_basis");
	sk_policy_plan_free(pl);

	/* a field and a form added: phone asked on a new form of sales follow-up */
	char *f = example_with("\n# How long contacts stay",
			       "  call_me:\n    title: {sv: Ring mig, en: Call me}\n"
			       "    fields: {email: {}, phone: {required: false}}\n"
			       "    consents: [{purpose: sales_followup}]\n"
			       "\n# How long contacts stay");
	assert_int_equal(sk_policy_update(t->core, f, strlen(f), "f.yaml", SK_POLICY_DRY_RUN, &pl,
					  &t->err), 0);
	assert_int_equal(pl->ndiffs, 1);
	assert_int_equal(pl->diffs[0].item, SK_PI_FORM);
	assert_int_equal(pl->diffs[0].op, SK_PO_ADDED);
	assert_string_equal(pl->diffs[0].id, "call_me");
	sk_policy_plan_free(pl);

	/* invalid: refused with its line, even as a dry run or forced */
	char *bad = example_with("    purpose: webinar_registration\n", "    purpose: offers\n");
	for (int flags = 0; flags <= 3; flags++) {
		pl = (struct sk_policy_plan *)t;
		sk_errctx_reset(&t->err);
		assert_int_equal(sk_policy_update(t->core, bad, strlen(bad), "bad.yaml", flags, &pl,
						  &t->err), SK_ERR_POLICY);
		assert_null(pl);
		assert_non_null(strstr(t->err.msg, "forms.webinar.purpose: the purpose is a "
					"communication consent"));
	}
	assert_int_equal(stored_version(t), 1);
	free(bad);
	free(f);
	free(a);
	tenv_free(t);
}

/* A database holding a policy from before the no-bundling rule opens, shows the difference
 * and takes the corrected one. */
static void test_apply_over_old_policy(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	const char *old = FBASE "    fields:\n      email: {}\n      first_name: {required: yes}\n"
			  "    consents:\n      - purpose: a\n      - purpose: b\n";
	int version;
	assert_int_equal(sk_store_policy_put(t->store, sk_time_now(), old, strlen(old), &version), 0);
	assert_int_equal(version, 2);
	assert_int_equal(sk_core_reload_policy(t->core, &t->err), 0);
	assert_int_equal(t->core->policy_version, 2);
	assert_non_null(sk_policy_form(t->core->policy, "f"));
	/* re-applying the old text itself is refused: it is checked as a file */
	assert_int_equal(sk_policy_apply(t->core, old, strlen(old), "old.yaml", NULL, NULL, &t->err),
			 SK_ERR_POLICY);
	const char *fixed = FBASE "    fields:\n      email: {}\n      first_name: {required: no}\n"
			    "    consents:\n      - purpose: a\n      - purpose: b\n";
	struct sk_policy_plan *pl = NULL;
	assert_int_equal(sk_policy_update(t->core, fixed, strlen(fixed), "fixed.yaml", 0, &pl,
					  &t->err), 0);
	assert_int_equal(pl->base_version, 2);
	assert_int_equal(pl->version, 3);
	const struct sk_policy_diff *d = find_diff(pl, SK_PI_FORM, "f");
	assert_non_null(d);
	assert_string_equal(d->attrs, "fields");
	sk_policy_plan_free(pl);
	tenv_free(t);
}

/* A storage or allocation failure at any step stores nothing and never lets a drop through. */
static void test_apply_failures(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(1);
	hold_ip_tracking(t, sk_time_now());
	char *changed = example_with("will send our newsletter", "will mail our newsletter");
	char *drop = example_cut("\n  ip_tracking:\n", "\n  sales_followup:\n");
	struct sk_policy_plan *pl = NULL;
	long n;
	/* The refusal reads, then rolls back: every read that fails is an error, never a pass. (A
	 * failing rollback, the last call, is left out: it would leave the transaction open.) */
	sk_store_fault_set(t->store, 0, 0);
	assert_int_equal(sk_policy_update(t->core, drop, strlen(drop), "d.yaml", 0, &pl, &t->err),
			 SK_ERR_POLICY);
	long calls = sk_store_fault_calls(t->store);
	assert_true(calls > 3);
	for (n = 1; n < calls; n++) {
		sk_store_fault_set(t->store, n, 0);
		int rc = sk_policy_update(t->core, drop, strlen(drop), "d.yaml", 0, &pl, &t->err);
		sk_store_fault_set(t->store, 0, 0);
		assert_null(pl);
		assert_int_equal(rc, SK_ERR_STORAGE);
		assert_int_equal(stored_version(t), 1);
	}
	assert_int_equal(sk_policy_update(t->core, drop, strlen(drop), "d.yaml", 0, &pl, &t->err),
			 SK_ERR_POLICY);
	assert_non_null(strstr(t->err.msg, "ip_tracking (3 contacts)"));
	for (n = 1;; n++) {
		sk_store_fault_set(t->store, n, 0);
		int rc = sk_policy_update(t->core, changed, strlen(changed), "c.yaml", 0, &pl, &t->err);
		sk_store_fault_set(t->store, 0, 0);
		if (rc == 0)
			break;
		assert_null(pl);
		assert_int_equal(rc, SK_ERR_STORAGE);
		assert_true(n < 100);
		assert_int_equal(stored_version(t), 1);
		assert_int_equal(notice_version(t, "newsletter"), 1);
		assert_int_equal(t->core->policy_version, 1);
	}
	sk_policy_plan_free(pl);
	assert_int_equal(stored_version(t), 2);
	assert_int_equal(notice_version(t, "newsletter"), 2);
	for (n = 0;; n++) {
		sk_mem_fail_after(n);
		int rc = sk_policy_update(t->core, drop, strlen(drop), "d.yaml", SK_POLICY_DRY_RUN, &pl,
					  &t->err);
		sk_mem_fail_after(-1);
		if (rc == 0)
			break;
		assert_int_equal(rc, SK_ERR_NOMEM);
		assert_null(pl);
		assert_true(n < 10000);
	}
	assert_true(pl->refused);
	sk_policy_plan_free(pl);
	assert_int_equal(stored_version(t), 2);
	free(changed);
	free(drop);
	tenv_free(t);
}

static void test_alloc_failure(void **state)
{
	(void)state;
	size_t len;
	char *text = read_example(&len);
	int rc = -1;
	long n;
	for (n = 0; rc != 0; n++) {
		struct sk_errctx err;
		struct sk_policy *sentinel = (struct sk_policy *)&err, *p = sentinel;
		sk_errctx_reset(&err);
		sk_mem_fail_after(n);
		rc = sk_policy_parse(text, len, "policy.yaml", &p, &err);
		sk_mem_fail_after(-1);
		if (rc) {
			if (rc != SK_ERR_NOMEM) {
				print_error("after %ld allocations: rc %d (%s)\n", n, rc, err.msg);
				fail();
			}
			assert_ptr_equal(p, sentinel);
		} else {
			assert_ptr_not_equal(p, sentinel);
			assert_int_equal(p->npurposes, 7);
			assert_int_equal(p->nforms, 2);
			sk_policy_free(p);
		}
	}
	assert_true(n > 100);
	free(text);
}

/* organisation.brand: a valid brand is kept as written; each kind of mistake is refused with
 * file:line: and key; colours that WCAG AA would fail are refused naming both colours. */
#define BRAND_ORG(b)                                                                          \
	"organisation:\n  name: Exempel AB\n  contact: dpo@example.com\n  address: Gatan 1\n"  \
	"  privacy_policy_url: https://www.example.com/privacy\n  brand:\n" b                 \
	FIELDS PURPOSE_A
static void test_brand(void **state)
{
	(void)state;
	struct sk_errctx err;
	struct sk_policy *p = NULL;
	const char *ok = BRAND_ORG("    logo_url: https://www.example.com/logo.svg\n"
				   "    primary: '#0B5E3B'\n    background: '#fbfaf7'\n"
				   "    text: '#222222'\n"
				   "    stylesheet_url: https://cdn.example.com:8443/brand.css?v=2\n");
	sk_errctx_reset(&err);
	int rc = sk_policy_parse(ok, strlen(ok), "t.yaml", &p, &err);
	if (rc)
		print_error("%s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_string_equal(p->brand_logo_url, "https://www.example.com/logo.svg");
	assert_string_equal(p->brand_primary, "#0B5E3B");
	assert_string_equal(p->brand_background, "#fbfaf7");
	assert_string_equal(p->brand_text, "#222222");
	assert_string_equal(p->brand_stylesheet_url, "https://cdn.example.com:8443/brand.css?v=2");
	assert_string_equal(sk_brand_primary(p), "#0B5E3B");
	sk_policy_free(p);
	p = NULL;
	/* no brand: NULLs, and the defaults are readable */
	assert_int_equal(sk_policy_parse(MINIMAL, strlen(MINIMAL), "t.yaml", &p, &err), 0);
	assert_null(p->brand_logo_url);
	assert_null(p->brand_primary);
	assert_null(p->brand_stylesheet_url);
	assert_string_equal(sk_brand_background(p), SK_BRAND_BACKGROUND);
	assert_true(sk_contrast(sk_brand_text(p), sk_brand_background(p)) >= 4.5);
	assert_true(sk_contrast(sk_brand_background(p), sk_brand_primary(p)) >= 4.5);
	sk_policy_free(p);
	p = NULL;
	/* http on the loopback (tests) */
	const char *local = BRAND_ORG("    stylesheet_url: http://127.0.0.1:8080/b.css\n"
				      "    logo_url: http://localhost/l.png\n");
	assert_int_equal(sk_policy_parse(local, strlen(local), "t.yaml", &p, &err), 0);
	sk_policy_free(p);
	p = NULL;

	/* the luminance: known WCAG ratios */
	assert_true(sk_contrast("#000000", "#ffffff") > 20.99);
	assert_true(sk_contrast("#ffffff", "#000000") > 20.99);
	assert_true(sk_contrast("#777777", "#ffffff") < 4.5);  /* 4.48: the classic near miss */
	assert_true(sk_contrast("#767676", "#ffffff") >= 4.5); /* 4.54 */
	assert_true(sk_contrast("#ffffff", "#ffffff") < 1.01);
	assert_true(sk_contrast("#fff", "#000000") == 0);

	static const struct {
		const char *name, *yaml, *want;
	} cases[] = {
		{"http logo", BRAND_ORG("    logo_url: http://www.example.com/logo.png\n"),
		 "t.yaml:7: organisation.brand.logo_url: expected an https:// URL"},
		{"http lookalike of localhost", BRAND_ORG("    logo_url: http://localhost.example.com/l\n"),
		 "t.yaml:7: organisation.brand.logo_url: expected an https:// URL"},
		{"ftp url", BRAND_ORG("    logo_url: ftp://www.example.com/l.png\n"),
		 "t.yaml:7: organisation.brand.logo_url: expected an https:// URL"},
		{"http on a loopback lookalike", BRAND_ORG("    logo_url: http://127.0.0.10/l.png\n"),
		 "t.yaml:7: organisation.brand.logo_url: expected an https:// URL"},
		{"javascript url", BRAND_ORG("    stylesheet_url: 'javascript:alert(1)'\n"),
		 "t.yaml:7: organisation.brand.stylesheet_url: expected an https:// URL"},
		{"quote in url", BRAND_ORG("    logo_url: https://www.example.com/a\"b.png\n"),
		 "t.yaml:7: organisation.brand.logo_url: expected an https:// URL"},
		{"space in url", BRAND_ORG("    logo_url: 'https://www.example.com/a b.png'\n"),
		 "t.yaml:7: organisation.brand.logo_url: expected an https:// URL"},
		{"control in url", BRAND_ORG("    logo_url: \"https://www.example.com/a\\tb\"\n"),
		 "t.yaml:7: organisation.brand.logo_url: expected an https:// URL"},
		{"user info", BRAND_ORG("    logo_url: https://me@www.example.com/l.png\n"),
		 "t.yaml:7: organisation.brand.logo_url: expected an https:// URL"},
		{"no host", BRAND_ORG("    logo_url: https:///l.png\n"),
		 "t.yaml:7: organisation.brand.logo_url: expected an https:// URL"},
		{"host with semicolon", BRAND_ORG("    logo_url: https://a.example;b/l.png\n"),
		 "t.yaml:7: organisation.brand.logo_url: expected an origin"},
		{"url too long", BRAND_ORG("    logo_url: https://www.example.com/"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.png\n"),
		 "t.yaml:7: organisation.brand.logo_url: expected an https:// URL"},
		{"short colour", BRAND_ORG("    primary: '#fff'\n"),
		 "t.yaml:7: organisation.brand.primary: expected a colour written #rrggbb"},
		{"named colour", BRAND_ORG("    text: black\n"),
		 "t.yaml:7: organisation.brand.text: expected a colour written #rrggbb"},
		{"colour with more", BRAND_ORG("    background: '#ffffff;x'\n"),
		 "t.yaml:7: organisation.brand.background: expected a colour written #rrggbb"},
		{"colour not hex", BRAND_ORG("    background: '#gggggg'\n"),
		 "t.yaml:7: organisation.brand.background: expected a colour written #rrggbb"},
		{"unknown brand key", BRAND_ORG("    font: Comic Sans\n"),
		 "t.yaml:7: organisation.brand.font: unknown key"},
		{"brand not a mapping", "organisation:\n  name: x\n  contact: y\n  address: z\n"
		 "  privacy_policy_url: https://x\n  brand: blue\n" FIELDS PURPOSE_A,
		 "t.yaml:6: organisation.brand: expected a mapping"},
		{"grey text", BRAND_ORG("    text: '#999999'\n"),
		 "t.yaml:6: organisation.brand: the text colour #999999 on the background #ffffff "
		 "has a contrast of 2.85:1; at least 4.5:1"},
		{"dark background, default text", BRAND_ORG("    background: '#202020'\n"),
		 "organisation.brand: the text colour #1a1a1a on the background #202020"},
		{"light primary", BRAND_ORG("    primary: '#ffcc00'\n"),
		 "t.yaml:6: organisation.brand: the button text (the background colour #ffffff) on "
		 "the primary colour #ffcc00 has a contrast of 1.5"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sk_errctx_reset(&err);
		p = NULL;
		rc = sk_policy_parse(cases[i].yaml, strlen(cases[i].yaml), "t.yaml", &p, &err);
		if (rc != SK_ERR_POLICY || !strstr(err.msg, cases[i].want))
			fail_msg("%s: rc %d, got \"%s\", want \"%s\"", cases[i].name, rc, err.msg,
				 cases[i].want);
		assert_null(p);
	}
}

/* word in text, case-insensitively, as a whole word (not inside a longer one) */
static int has_word(const char *text, const char *word)
{
	size_t n = strlen(word);
	for (const char *t = strcasestr(text, word); t; t = strcasestr(t + 1, word)) {
		unsigned char before = t > text ? (unsigned char)t[-1] : ' ';
		unsigned char after = (unsigned char)t[n];
		int lb = before >= 0x80 || ((before | 0x20) >= 'a' && (before | 0x20) <= 'z');
		int la = after >= 0x80 || ((after | 0x20) >= 'a' && (after | 0x20) <= 'z');
		if (!lb && !la)
			return 1;
	}
	return 0;
}

/* The example's forms never tell a person that data is used which the form does not ask for:
 * no notice shown on a form (its own purpose's, its consent options') names, in either
 * language, a declared field that the form leaves out (docs/forms.md, "What a form's notices
 * may say"). */
static void test_example_notices_match_forms(void **state)
{
	(void)state;
	size_t len;
	char *text = read_example(&len);
	struct sk_errctx err;
	struct sk_policy *p = NULL;
	sk_errctx_reset(&err);
	assert_int_equal(sk_policy_parse(text, len, "policy.yaml", &p, &err), 0);
	size_t checked = 0;
	for (size_t i = 0; i < p->nforms; i++) {
		const struct sk_form *f = &p->forms[i];
		const char *shown[1 + 32];
		size_t nshown = 0;
		if (f->purpose)
			shown[nshown++] = f->purpose;
		for (size_t j = 0; j < f->nconsents && nshown < 33; j++)
			shown[nshown++] = f->consents[j].purpose;
		for (size_t k = 0; k < p->nfields; k++) {
			const struct sk_field_def *d = &p->fields[k];
			if (sk_form_field(f, d->name))
				continue;
			for (size_t j = 0; j < nshown; j++) {
				const struct sk_purpose *pu = sk_policy_purpose(p, shown[j]);
				for (int l = 0; l < SK_NLANG; l++) {
					if (d->label[l] && has_word(pu->notice[l], d->label[l]))
						fail_msg("form %s: the %s notice of %s names \"%s\", "
							 "which the form does not ask for", f->id,
							 sk_lang_name(l), pu->id, d->label[l]);
					checked++;
				}
			}
		}
	}
	assert_true(checked > 20);
	/* the check itself finds a field's label in a notice */
	assert_true(has_word("use your first name to greet you", "First name"));
	assert_true(has_word("ditt namn, ditt land och", "Land"));
	assert_false(has_word("i utlandet", "Land"));
	sk_policy_free(p);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_validation_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_example_forms),
		cmocka_unit_test(test_form_defaults),
		cmocka_unit_test(test_form_errors),
		cmocka_unit_test(test_form_limits),
		cmocka_unit_test(test_field_validate),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_alloc_failure),
		cmocka_unit_test(test_form_bundling),
		cmocka_unit_test(test_apply_unchanged),
		cmocka_unit_test(test_apply_drop_purpose),
		cmocka_unit_test(test_apply_drop_unheld),
		cmocka_unit_test(test_apply_diff),
		cmocka_unit_test(test_apply_over_old_policy),
		cmocka_unit_test(test_apply_failures),
		cmocka_unit_test(test_brand),
		cmocka_unit_test(test_example_notices_match_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
