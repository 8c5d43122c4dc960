/* test_policy.c: unit tests for the policy file parser (src/core/policy.c): the example file,
 * each validation rule with its file:line: and key path, the limits, field value checks, and
 * allocation failure at every step. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/policy.h"
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
	assert_int_equal(p->npurposes, 6);

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
			assert_int_equal(p->npurposes, 6);
			sk_policy_free(p);
		}
	}
	assert_true(n > 100);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_validation_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_field_validate),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_alloc_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
