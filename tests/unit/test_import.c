/* test_import.c: the import mapping parser, the streaming CSV reader (delimiters, BOM,
 * quoting, line numbers, limits) and the row rules, with their failure paths: malformed
 * mappings, storage failing mid-import (nothing of the batch stays), allocation failures. */
#include "testlib.h"

#include "core/import.h"
#include "io/io.h"

static const char *MAP =
	"{\"email\":\"email\",\"fields\":{\"first_name\":\"first_name\"},"
	"\"consents\":{\"newsletter\":{\"value\":\"nl\",\"at\":\"nl_at\",\"source\":\"nl_src\"}}}";

struct rj {
	char lines[1024];
};

static int rj_add(void *arg, int64_t line, const char *reason, const char *column)
{
	struct rj *r = arg;
	size_t n = strlen(r->lines);
	snprintf(r->lines + n, sizeof(r->lines) - n, "%lld:%s:%s;", (long long)line, reason, column);
	return 0;
}

/* Imports text with MAP (or map); returns the code, fills rep and rejects. */
static int imp(struct tenv *t, const char *text, size_t len, const char *map, int dry,
	       struct sk_csv_import_report *rep, struct rj *r)
{
	struct sk_csv_import_opts o = {.map_text = map ? map : MAP, .dry_run = dry,
				       .reject = rj_add, .reject_arg = r};
	o.map_len = strlen(o.map_text);
	memset(r, 0, sizeof(*r));
	FILE *f = fmemopen((void *)text, len, "rb");
	assert_non_null(f);
	int rc = sk_csv_import(t->core, f, &o, rep, &t->err);
	fclose(f);
	return rc;
}

static void test_map_parse(void **state)
{
	(void)state;
	struct sk_import_map *m;
	struct sk_errctx err = {0};
	assert_int_equal(sk_import_map_parse(MAP, strlen(MAP), &m, &err), 0);
	assert_string_equal(m->email, "email");
	assert_int_equal(m->nfields, 1);
	assert_int_equal(m->nconsents, 1);
	assert_string_equal(m->consents[0].at, "nl_at");
	sk_import_map_free(m);
	sk_import_map_free(NULL);

	static const struct {
		const char *text, *msg;
	} bad[] = {
		{"", "malformed JSON"},
		{"[]", "expected a JSON object"},
		{"{}", "email is missing"},
		{"{\"email\":1}", "email must be a column name"},
		{"{\"email\":\"\"}", "email must be a column name"},
		{"{\"email\":\"e\",\"x\":1}", "unknown key 'x'"},
		{"{\"email\":\"e\",\"fields\":[]}", "fields must be an object"},
		{"{\"email\":\"e\",\"fields\":{\"a\":2}}", "fields.a must be a column name"},
		{"{\"email\":\"e\",\"consents\":{\"p\":\"x\"}}", "consents.p must be an object"},
		{"{\"email\":\"e\",\"consents\":{\"p\":{}}}", "consents.p.value is missing"},
		{"{\"email\":\"e\",\"consents\":{\"p\":{\"value\":\"v\",\"when\":\"w\"}}}",
		 "unknown key 'when'"},
		{"{\"email\":\"e\",\"email\":\"f\"}", "malformed JSON"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = NULL;
		sk_errctx_reset(&err);
		assert_int_equal(sk_import_map_parse(bad[i].text, strlen(bad[i].text), &m, &err),
				 SK_ERR_INVALID);
		assert_null(m);
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, bad[i].msg);
	}
	/* every allocation failing in turn cleans up */
	for (long n = 0; n < 20; n++) {
		sk_mem_fail_after(n);
		m = NULL;
		int rc = sk_import_map_parse(MAP, strlen(MAP), &m, &err);
		sk_mem_fail_after(-1);
		if (rc == 0)
			sk_import_map_free(m);
		else
			assert_null(m);
	}
}

static void test_map_bind(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_import_map *m;
	const char *cols[] = {"email", "first_name", "nl", "nl_at", "nl_src"};
	const char *dup[] = {"email", "email"};
	assert_int_equal(sk_import_map_parse(MAP, strlen(MAP), &m, &t->err), 0);
	assert_int_equal(sk_import_map_bind(m, cols, 5, t->core->policy, &t->err), 0);
	assert_int_equal(m->consents[0].source_i, 4);
	assert_int_equal(sk_import_map_bind(m, cols, 4, t->core->policy, &t->err), SK_ERR_INVALID);
	assert_non_null(strstr(t->err.msg, "'nl_src', which is not in the header"));
	assert_int_equal(sk_import_map_bind(m, dup, 2, t->core->policy, &t->err), SK_ERR_INVALID);
	sk_import_map_free(m);
	const char *und = "{\"email\":\"email\",\"fields\":{\"shoe\":\"nl\"}}";
	assert_int_equal(sk_import_map_parse(und, strlen(und), &m, &t->err), 0);
	assert_int_equal(sk_import_map_bind(m, cols, 5, t->core->policy, &t->err),
			 SK_ERR_UNDECLARED_FIELD);
	sk_import_map_free(m);
	const char *unk = "{\"email\":\"email\",\"consents\":{\"horoscope\":{\"value\":\"nl\"}}}";
	assert_int_equal(sk_import_map_parse(unk, strlen(unk), &m, &t->err), 0);
	assert_int_equal(sk_import_map_bind(m, cols, 5, t->core->policy, &t->err),
			 SK_ERR_UNKNOWN_PURPOSE);
	sk_import_map_free(m);
	tenv_free(t);
}

static void test_values(void **state)
{
	(void)state;
	int64_t t;
	assert_int_equal(sk_import_yesno("yes"), 1);
	assert_int_equal(sk_import_yesno(" JA "), 1);
	assert_int_equal(sk_import_yesno("True"), 1);
	assert_int_equal(sk_import_yesno("1"), 1);
	assert_int_equal(sk_import_yesno("y"), 1);
	assert_int_equal(sk_import_yesno("nej"), 0);
	assert_int_equal(sk_import_yesno("FALSE"), 0);
	assert_int_equal(sk_import_yesno("0"), 0);
	assert_int_equal(sk_import_yesno(""), -1);
	assert_int_equal(sk_import_yesno("  "), -1);
	assert_int_equal(sk_import_yesno(NULL), -1);
	assert_int_equal(sk_import_yesno("maybe"), -2);
	assert_int_equal(sk_import_yesno("yes please"), -2);
	assert_int_equal(sk_import_yesno("yesyesyesyes"), -2);
	assert_int_equal(sk_import_date("2025-03-01T10:00:00Z", &t), 0);
	assert_int_equal(t, 1740823200);
	assert_int_equal(sk_import_date("2025-03-01", &t), 0);
	assert_int_equal(t, 1740787200);
	assert_int_equal(sk_import_date("2025-13-01", &t), SK_ERR_INVALID);
	assert_int_equal(sk_import_date("yesterday", &t), SK_ERR_INVALID);
	assert_int_equal(sk_import_date("", &t), SK_ERR_INVALID);
	assert_string_equal(sk_reject_name(SK_REJ_DUPLICATE), "duplicate");
	assert_string_equal(sk_reject_name(99), "invalid");
}

static void test_csv_reader(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_csv_import_report rep;
	struct rj r;
	static const char semi[] =
		"\xEF\xBB\xBF" "email;first_name;nl;nl_at;nl_src\r\n"
		"a@x.example;\"Semi; colon\";yes;2025-01-01T10:00:00Z;form:x\r\n"
		"\r\n"
		"bad;Bo;yes;;\r\n"
		"b@x.example;\"Quote \"\"q\"\"\";no;;\r\n"
		"c@x.example;Bo;ja;;\r\n"
		"A@X.EXAMPLE ;Bo;yes;2025-01-01T10:00:00Z;form:x";
	assert_int_equal(imp(t, semi, sizeof(semi) - 1, NULL, 0, &rep, &r), 0);
	assert_int_equal(rep.bom, 1);
	assert_int_equal(rep.delimiter, ';');
	assert_int_equal(rep.counts.rows, 5);
	assert_int_equal(rep.counts.created, 3);
	assert_int_equal(rep.counts.given, 1);
	assert_int_equal(rep.counts.refused, 1);
	assert_int_equal(rep.counts.unverified, 1);
	assert_int_equal(rep.counts.rejected, 2);
	assert_string_equal(r.lines, "4:invalid_email:email;7:duplicate:email;");
	struct sk_contact ct;
	assert_int_equal(sk_contact_get(t->core, "a@x.example", &ct, &t->err), 0);
	assert_string_equal(ct.fields[1].value, "Semi; colon");
	sk_contact_reset(&ct);
	struct sk_gate_result g;
	sk_gate_check(t->core, "c@x.example", "newsletter", sk_time_now(), &g);
	assert_string_equal(g.reason, "unverified");

	/* a cell with a line break: reported at the line the row begins on */
	static const char ml[] = "email,first_name,nl,nl_at,nl_src\n"
				 "d@x.example,\"two\nlines\",yes,,\n"
				 "e@x.example,Bo,perhaps,,\n"
				 "m@x.example,Bo,yes,2025-01-01,\"form\nx\"\n";
	assert_int_equal(imp(t, ml, sizeof(ml) - 1, NULL, 0, &rep, &r), 0);
	assert_string_equal(r.lines, "2:invalid:first_name;4:invalid:nl;5:invalid:nl_src;");

	/* wrong number of cells, too many columns */
	char wide[4096] = "email,first_name,nl,nl_at,nl_src\nf@x.example,Bo\ng@x.example,Bo,,,";
	for (int i = 0; i < 300; i++)
		strcat(wide, ",x"); /* lint: allow (test data, bounded) */
	strcat(wide, "\nh@x.example,Bo,,,\n"); /* lint: allow */
	assert_int_equal(imp(t, wide, strlen(wide), NULL, 0, &rep, &r), 0);
	assert_string_equal(r.lines, "2:invalid:;3:too_large:;");
	assert_int_equal(rep.counts.created, 1);
	tenv_free(t);
}

static void test_csv_failures(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_csv_import_report rep;
	struct rj r;
	/* empty file, header only, a header the mapping does not fit */
	assert_int_equal(imp(t, "", 0, NULL, 0, &rep, &r), SK_ERR_INVALID);
	assert_non_null(strstr(t->err.msg, "empty"));
	assert_int_equal(imp(t, "email,first_name,nl,nl_at,nl_src\n", 33, NULL, 0, &rep, &r), 0);
	assert_int_equal(rep.counts.rows, 0);
	assert_int_equal(imp(t, "mail,x\na,b\n", 11, NULL, 0, &rep, &r), SK_ERR_INVALID);
	/* a row over 64 KiB */
	size_t len = 70000;
	char *big = malloc(len + 100);
	int n = snprintf(big, 100, "email,first_name,nl,nl_at,nl_src\ni@x.example,");
	memset(big + n, 'x', len);
	memcpy(big + n + len, ",yes,,\n", 8);
	assert_int_equal(imp(t, big, strlen(big), NULL, 0, &rep, &r), SK_ERR_TOO_LARGE);
	assert_non_null(strstr(t->err.msg, "line 2"));
	free(big);
	/* dry run writes nothing */
	static const char one[] = "email,first_name,nl,nl_at,nl_src\nj@x.example,Bo,yes,,\n";
	assert_int_equal(imp(t, one, sizeof(one) - 1, NULL, 1, &rep, &r), 0);
	assert_int_equal(rep.counts.created, 1);
	assert_int_equal(sk_contact_find(t->core, "j@x.example", (char[SK_ID_LEN + 1]){0}, &t->err),
			 SK_ERR_NOT_FOUND);
	tenv_free(t);
}

/* Storage failing at every call in turn: the import fails cleanly or succeeds, and a failed
 * run leaves whole batches only (contacts equal the record's rows). */
static void test_csv_storage_faults(void **state)
{
	(void)state;
	static const char two[] = "email,first_name,nl,nl_at,nl_src\n"
				  "k@x.example,Bo,yes,2025-01-01T10:00:00Z,form:x\n"
				  "l@x.example,Bo,no,,\n";
	for (long fail = 1; fail < 80; fail++) {
		struct tenv *t = tenv_new(1);
		struct sk_csv_import_report rep;
		struct rj r;
		sk_store_fault_set(t->store, fail, 0);
		int rc = imp(t, two, sizeof(two) - 1, NULL, 0, &rep, &r);
		sk_store_fault_set(t->store, 0, 0);
		char id[SK_ID_LEN + 1];
		int found = sk_contact_find(t->core, "k@x.example", id, &t->err) == 0;
		if (rc == 0) {
			assert_true(found);
			tenv_free(t);
			break;
		}
		if (found)
			fail_msg("call %ld failed (%s) but the batch stayed", fail, t->err.msg);
		tenv_free(t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_parse),
		cmocka_unit_test(test_map_bind),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_csv_reader),
		cmocka_unit_test(test_csv_failures),
		cmocka_unit_test(test_csv_storage_faults),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
