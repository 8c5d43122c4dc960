/* test_import.c: the import mapping parser, the streaming CSV reader (delimiters, BOM,
 * quoting, line numbers, limits) and the row rules, with their failure paths: malformed
 * mappings, storage failing mid-import (nothing of the batch stays), allocation failures. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* RTLD_NEXT */
#endif
#include <dlfcn.h>
#include <jansson.h>
#include <sqlite3.h>

#include "testlib.h"

#include "core/import.h"
#include "io/io.h"

static const char *MAP =
	"{\"email\":\"email\",\"fields\":{\"first_name\":\"first_name\"},"
	"\"consents\":{\"newsletter\":{\"value\":\"nl\",\"at\":\"nl_at\",\"source\":\"nl_src\"}}}";

struct rj {
	char lines[1024];
	char cells[1024]; /* the cells of each reject, '|' between, ';' after */
};

static int rj_add(void *arg, int64_t line, const char *reason, const char *column,
		  const char *const *cells, size_t ncells)
{
	struct rj *r = arg;
	size_t n = strlen(r->lines);
	snprintf(r->lines + n, sizeof(r->lines) - n, "%lld:%s:%s;", (long long)line, reason, column);
	for (size_t i = 0; i < ncells; i++) {
		n = strlen(r->cells);
		snprintf(r->cells + n, sizeof(r->cells) - n, "%s%s", i ? "|" : "", cells[i]);
	}
	n = strlen(r->cells);
	snprintf(r->cells + n, sizeof(r->cells) - n, ";");
	return 0;
}

/* The stored value of a field (malloc'd), NULL when the contact or the field is absent. */
static char *t_field(struct tenv *t, const char *email, const char *name)
{
	struct sk_contact ct;
	char *v = NULL;
	if (sk_contact_get(t->core, email, &ct, &t->err))
		return NULL;
	for (size_t i = 0; i < ct.nfields; i++)
		if (strcmp(ct.fields[i].name, name) == 0)
			v = strdup(ct.fields[i].value);
	sk_contact_reset(&ct);
	return v;
}

static long t_contacts(struct tenv *t)
{
	char ids[100][SK_ID_LEN + 1];
	size_t n;
	assert_int_equal(sk_contact_page(t->core, "", 100, ids, &n, &t->err), 0);
	return (long)n;
}

/* Imports text with MAP (or map); returns the code, fills rep and rejects. */
static int imp(struct tenv *t, const char *text, size_t len, const char *map, int dry,
	       struct sk_csv_import_report *rep, struct rj *r)
{
	struct sk_csv_import_opts o = {.map_text = map ? map : MAP, .dry_run = dry, .bulk = 1,
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
	/* how Excel and HubSpot export a time: read as UTC (issue 11) */
	assert_int_equal(sk_import_date("2025-03-01 10:00", &t), 0);
	assert_int_equal(t, 1740823200);
	assert_int_equal(sk_import_date(" 2025-03-01 10:00:30 ", &t), 0);
	assert_int_equal(t, 1740823230);
	assert_int_equal(sk_import_date("2025-03-01 10:0", &t), SK_ERR_INVALID);
	assert_int_equal(sk_import_date("2025-03-01 24:00", &t), SK_ERR_INVALID);
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
	assert_string_equal(sk_reason_name(g.reason), "unverified");

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

/* A quote that is never closed stops the import before anything is stored, naming the line
 * where the quote opened (not one reject swallowing every later row). */
static void test_csv_unclosed_quote(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_csv_import_report rep;
	struct rj r;
	static const char open1[] = "email,first_name,nl,nl_at,nl_src\n"
				    "a@x.example,Bo,yes,,\n"
				    "b@x.example,\"Bo,yes,,\n"
				    "c@x.example,Bo,yes,,\n"
				    "d@x.example,Bo,yes,,\n";
	assert_int_equal(imp(t, open1, sizeof(open1) - 1, NULL, 0, &rep, &r), SK_ERR_INVALID);
	if (!strstr(t->err.msg, "line 3: a quote opened here is never closed"))
		fail_msg("message: %s", t->err.msg);
	assert_int_equal(t_contacts(t), 0);
	/* the quote opens in a later cell of a row that began two lines earlier */
	static const char open2[] = "email,first_name,nl,nl_at,nl_src\n"
				    "e@x.example,\"two\n"
				    "lines\",yes,,\n"
				    "f@x.example,Bo,\"yes,,\n"
				    "g@x.example,Bo,yes,,\n";
	assert_int_equal(imp(t, open2, sizeof(open2) - 1, NULL, 0, &rep, &r), SK_ERR_INVALID);
	assert_non_null(strstr(t->err.msg, "line 4: a quote opened here"));
	/* ... and one that runs past 64 KiB names its line too */
	size_t len = 70000;
	char *big = malloc(len + 200);
	int n = snprintf(big, 200, "email,first_name,nl,nl_at,nl_src\nh@x.example,Bo,yes,,\n"
			 "\n   \ni@x.example,\"");
	for (size_t i = 0; i < len; i++)
		big[n + i] = i % 50 == 49 ? '\n' : 'x';
	big[n + len] = '\0';
	assert_int_equal(imp(t, big, strlen(big), NULL, 0, &rep, &r), SK_ERR_INVALID);
	if (!strstr(t->err.msg, "line 5: a quote opened here is not closed within 64 KiB"))
		fail_msg("message: %s", t->err.msg);
	free(big);
	assert_int_equal(t_contacts(t), 0);
	/* a quote closed at the very end is fine */
	static const char closed[] = "email,first_name,nl,nl_at,nl_src\nj@x.example,\"Bo\",yes,,\"\"";
	assert_int_equal(imp(t, closed, sizeof(closed) - 1, NULL, 0, &rep, &r), 0);
	assert_int_equal(rep.counts.created, 1);
	tenv_free(t);
}

/* A NUL byte in a cell the mapping uses rejects the row naming its line and column; nothing
 * truncated is stored. In the header it stops the import. */
static void test_csv_nul(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_csv_import_report rep;
	struct rj r;
	static const char nul[] = "email,first_name,nl,nl_at,nl_src,note\n"
				  "a@x.example,Bo,yes,,,\n"
				  "b@x.example,An\0na,yes,,,\n"
				  "c@x.example,Bo,yes,,,x\0y\n"
				  "d@x.example,Bo,yes,2025-01-01\0,form,\n";
	assert_int_equal(imp(t, nul, sizeof(nul) - 1, NULL, 0, &rep, &r), 0);
	assert_string_equal(r.lines, "3:nul_byte:first_name;5:nul_byte:nl_at;");
	assert_int_equal(rep.counts.created, 2); /* a NUL in an unmapped column is ignored */
	char *v = t_field(t, "b@x.example", "first_name");
	assert_null(v);
	assert_int_equal(sk_contact_find(t->core, "b@x.example", (char[SK_ID_LEN + 1]){0},
					 &t->err), SK_ERR_NOT_FOUND);
	static const char hnul[] = "email,first\0name\nz@x.example,Bo\n";
	assert_int_equal(imp(t, hnul, sizeof(hnul) - 1, NULL, 0, &rep, &r), SK_ERR_INVALID);
	assert_non_null(strstr(t->err.msg, "line 1: column 2 of the header holds a NUL byte"));
	tenv_free(t);
}

/* Line numbers are the physical lines an editor shows: whitespace-only lines, CRLF, blank
 * lines and quoted line breaks each count once. */
static void test_csv_line_numbers(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_csv_import_report rep;
	struct rj r;
	static const char ws[] = "email,first_name,nl,nl_at,nl_src\r\n"
				 "  \r\n"
				 "a@x.example,Bo,maybe,,\r\n"
				 "\t \n"
				 " \n"
				 "b@x.example,Bo,maybe,,\n"
				 "\n"
				 "c@x.example,\"x\r\ny\",maybe,,\n"
				 "   \n"
				 "d@x.example,Bo,maybe,,\n"
				 "e@x.example,Bo,yes,,";
	assert_int_equal(imp(t, ws, sizeof(ws) - 1, NULL, 0, &rep, &r), 0);
	assert_string_equal(r.lines, "3:invalid:nl;6:invalid:nl;8:invalid:nl;11:invalid:nl;");
	assert_int_equal(rep.counts.rows, 5);
	tenv_free(t);
}

#define ENC_MAP(enc)                                                                           \
	"{\"email\":\"email\",\"encoding\":\"" enc "\",\"fields\":{\"first_name\":\"first_name\"}," \
	"\"consents\":{\"newsletter\":{\"value\":\"nl\",\"at\":\"nl_at\",\"source\":\"nl_src\"}}}"

/* One rule for every door: UTF-8 or a named encoding; UTF-16 and Latin-1 are named in an
 * error that gives the line and byte, before anything is stored; U+FFFD is never stored. */
static void test_csv_encoding(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_csv_import_report rep;
	struct rj r;
	static const char latin1[] = "email,first_name,nl,nl_at,nl_src\n"
				     "a@x.example,Bo,yes,,\n"
				     "b@x.example,Ren\xe9" "e,yes,,\n";
	assert_int_equal(imp(t, latin1, sizeof(latin1) - 1, NULL, 0, &rep, &r), SK_ERR_INVALID);
	if (!strstr(t->err.msg, "line 3, byte 16 (byte 70 of the file): not UTF-8") ||
	    !strstr(t->err.msg, "Latin-1") || !strstr(t->err.msg, "\"encoding\""))
		fail_msg("message: %s", t->err.msg);
	assert_int_equal(t_contacts(t), 0); /* not even the good row before it */
	static const char cp1252[] = "email,first_name,nl,nl_at,nl_src\nb@x.example,\x93Q\x94,yes,,\n";
	assert_int_equal(imp(t, cp1252, sizeof(cp1252) - 1, NULL, 0, &rep, &r), SK_ERR_INVALID);
	assert_non_null(strstr(t->err.msg, "probably Windows-1252"));
	/* malformed UTF-8 of every kind: overlong, surrogate, past U+10FFFF, cut at the end */
	static const char *const bad8[] = {"email\nx\xc0\xaf\n", "email\nx\xed\xa0\x80\n",
					   "email\nx\xf4\x90\x80\x80\n", "email\nx\xe2\x82"};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(imp(t, bad8[i], strlen(bad8[i]), "{\"email\":\"email\"}", 0, &rep,
				     &r), SK_ERR_INVALID);
		if (!strstr(t->err.msg, "line 2, byte 2 "))
			fail_msg("case %zu: %s", i, t->err.msg);
	}
	/* UTF-16, by its byte order mark or by its NUL bytes */
	static const char u16bom[] = "\xff\xfe" "e\0m\0a\0i\0l\0\n\0";
	assert_int_equal(imp(t, u16bom, sizeof(u16bom) - 1, NULL, 0, &rep, &r), SK_ERR_INVALID);
	assert_non_null(strstr(t->err.msg, "UTF-16 (little-endian, with a byte order mark)"));
	static const char u16be[] = "\0e\0m\0a\0i\0l\0\n";
	assert_int_equal(imp(t, u16be, sizeof(u16be) - 1, NULL, 0, &rep, &r), SK_ERR_INVALID);
	assert_non_null(strstr(t->err.msg, "UTF-16 (big-endian: every other byte is NUL)"));
	assert_int_equal(t_contacts(t), 0);

	/* the mapping names the encoding: converted with iconv, then imported */
	assert_int_equal(imp(t, latin1, sizeof(latin1) - 1, ENC_MAP("windows-1252"), 0, &rep, &r),
			 0);
	assert_int_equal(rep.counts.created, 2);
	char *v = t_field(t, "b@x.example", "first_name");
	assert_non_null(v);
	assert_string_equal(v, "Ren\xc3\xa9" "e");
	free(v);
	static const char le[] = "e\0m\0a\0i\0l\0,\0f\0i\0r\0s\0t\0_\0n\0a\0m\0e\0,\0n\0l\0,\0n\0l\0"
				 "_\0a\0t\0,\0n\0l\0_\0s\0r\0c\0\r\0\n\0c\0@\0x\0.\0e\0x\0a\0m\0p\0l\0"
				 "e\0,\0Z\0o\0\xeb\0,\0y\0e\0s\0,\0,\0\r\0\n\0";
	assert_int_equal(imp(t, le, sizeof(le) - 1, ENC_MAP("utf-16"), 0, &rep, &r), 0);
	assert_int_equal(rep.counts.created, 1);
	assert_non_null(v = t_field(t, "c@x.example", "first_name"));
	assert_string_equal(v, "Zo\xc3\xab");
	free(v);
	/* errors of a named encoding: a byte it does not define, a UTF-8 file named otherwise,
	 * a name iconv does not know */
	static const char undef[] = "email,first_name,nl,nl_at,nl_src\nd@x.example,A\x81,yes,,\n";
	assert_int_equal(imp(t, undef, sizeof(undef) - 1, ENC_MAP("windows-1252"), 0, &rep, &r),
			 SK_ERR_INVALID);
	assert_non_null(strstr(t->err.msg, "line 2, byte 47 of the file: not valid windows-1252"));
	static const char u8[] = "email,first_name,nl,nl_at,nl_src\nd@x.example,Zo\xc3\xab,yes,,\n";
	assert_int_equal(imp(t, u8, sizeof(u8) - 1, ENC_MAP("latin1"), 0, &rep, &r), SK_ERR_INVALID);
	assert_non_null(strstr(t->err.msg, "but the file is UTF-8"));
	assert_int_equal(imp(t, u8, sizeof(u8) - 1, ENC_MAP("klingon"), 0, &rep, &r), SK_ERR_INVALID);
	assert_non_null(strstr(t->err.msg, "encoding 'klingon' is not known"));
	assert_int_equal(imp(t, u8, sizeof(u8) - 1, ENC_MAP("a b"), 0, &rep, &r), SK_ERR_INVALID);
	assert_int_equal(imp(t, u8, sizeof(u8) - 1, ENC_MAP("UTF-8"), 0, &rep, &r), 0);
	assert_int_equal(sk_contact_find(t->core, "d@x.example", (char[SK_ID_LEN + 1]){0}, &t->err),
			 0);
	/* U+FFFD in a used cell: text an earlier conversion damaged; the row is rejected */
	static const char fffd[] = "email,first_name,nl,nl_at,nl_src\n"
				   "e@x.example,Ren\xef\xbf\xbd" "e,yes,,\n"
				   "f@x.example,Bo,yes,,\n";
	assert_int_equal(imp(t, fffd, sizeof(fffd) - 1, NULL, 0, &rep, &r), 0);
	assert_string_equal(r.lines, "2:replacement_char:first_name;");
	assert_int_equal(rep.counts.created, 1);
	/* the reject callback gets the row's cells (for --rejects-with-data) */
	assert_string_equal(r.cells, "e@x.example|Ren\xef\xbf\xbd" "e|yes||;");
	tenv_free(t);
}

static const char *MINMAP =
	"{\"email\":\"email\",\"fields\":{\"first_name\":\"first_name\",\"company\":\"company\","
	"\"phone\":\"phone\"},\"consents\":{\"newsletter\":{\"value\":\"nl\"},"
	"\"lead_scoring\":{\"value\":\"ls\"}}}";

/* An import stores only the fields that a purpose the row consents to needs (or one on
 * legitimate interest), as forms do; the others are dropped and counted. */
static void test_import_minimisation(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_csv_import_report rep;
	struct rj r;
	char *v;
	/* newsletter needs first_name; lead_scoring needs company; sales_followup needs phone */
	static const char rows[] = "email,first_name,company,phone,nl,ls\n"
				   "a@x.example,Anna,Acme,+46 8 1234,yes,\n"
				   "b@x.example,Bo,Bolag,+46 8 1234,no,yes\n"
				   "c@x.example,Cia,Cab,+46 8 1234,no,no\n"
				   "d@x.example,Dan,Dab,not a phone,yes,\n";
	assert_int_equal(imp(t, rows, sizeof(rows) - 1, MINMAP, 0, &rep, &r), 0);
	assert_string_equal(r.lines, ""); /* the bad phone is dropped, not checked */
	assert_int_equal(rep.counts.fields_dropped, 2 + 2 + 3 + 2);
	assert_non_null(v = t_field(t, "a@x.example", "first_name"));
	free(v);
	assert_null(t_field(t, "a@x.example", "company"));
	assert_null(t_field(t, "a@x.example", "phone"));
	assert_null(t_field(t, "b@x.example", "first_name"));
	assert_non_null(v = t_field(t, "b@x.example", "company"));
	assert_string_equal(v, "Bolag");
	free(v);
	assert_null(t_field(t, "c@x.example", "first_name"));
	assert_null(t_field(t, "c@x.example", "company"));
	assert_int_equal(rep.counts.fields_dropped, 9); /* its JSON: test_render.c */

	/* a later file: a yes against a refusal does not count; a yes that meets a live consent
	 * does; a kept field is still checked */
	static const char again[] = "email,first_name,company,phone,nl,ls\n"
				    "c@x.example,Cia,Cab,,yes,\n"
				    "a@x.example,Annie,Acme,,yes,\n"
				    "f@x.example,Fi\x01,Fab,,yes,\n";
	assert_int_equal(imp(t, again, sizeof(again) - 1, MINMAP, 0, &rep, &r), 0);
	assert_null(t_field(t, "c@x.example", "first_name"));
	assert_non_null(v = t_field(t, "a@x.example", "first_name"));
	assert_string_equal(v, "Annie");
	free(v);
	assert_string_equal(r.lines, "4:invalid:first_name;");
	assert_int_equal(rep.counts.fields_dropped, 2 + 1); /* none of the rejected row */
	tenv_free(t);

	/* a purpose on legitimate interest needs its fields whatever the row says */
	t = tenv_new(0);
	size_t len;
	char *policy = t_example_policy(&len);
	const char *from = "legal_basis: consent\n    validity: 12 months\n    retention: 30 days\n"
			   "    double_opt_in: false\n    fields: [email, first_name, last_name, "
			   "company, phone]";
	char *at = strstr(policy, from);
	assert_non_null(at);
	char *li = malloc(len + 64);
	snprintf(li, len + 64, "%.*slegal_basis: legitimate_interest%s", (int)(at - policy), policy,
		 at + strlen("legal_basis: consent"));
	assert_int_equal(t_apply_text(t, li), 0);
	free(li);
	free(policy);
	static const char norows[] = "email,first_name,company,phone,nl,ls\n"
				     "e@x.example,Eva,Eab,+46 8 1234,no,no\n";
	assert_int_equal(imp(t, norows, sizeof(norows) - 1, MINMAP, 0, &rep, &r), 0);
	assert_int_equal(rep.counts.fields_dropped, 0);
	assert_non_null(v = t_field(t, "e@x.example", "phone"));
	free(v);
	tenv_free(t);
}

/* A purpose that needs double opt-in stays pending when an import or the API gives it,
 * until the person confirms; the gate allows only then. */
static void test_import_double_opt_in_stays_pending(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_csv_import_report rep;
	struct rj r;
	size_t len;
	char *policy = t_example_policy(&len);
	/* the first double_opt_in of the example policy is the newsletter's */
	assert_int_equal(t_apply_text(t, t_policy_with(policy, "double_opt_in: false",
						       "double_opt_in: true")), 0);
	free(policy);
	assert_true(sk_policy_purpose(t->core->policy, "newsletter")->double_opt_in);
	static const char rows[] = "email,first_name,nl,nl_at,nl_src\n"
				   "doi@x.example,Di,yes,2026-06-01T10:00:00Z,crm:export\n";
	assert_int_equal(imp(t, rows, sizeof(rows) - 1, MAP, 0, &rep, &r), 0);
	assert_string_equal(r.lines, "");
	assert_string_equal(t_gate(t, "doi@x.example", "newsletter", 0), "pending_confirmation");
	assert_int_equal(t_consent(t, "api@x.example", "newsletter", SK_ACT_GIVE, "api", "crm", 0), 0);
	assert_string_equal(t_gate(t, "api@x.example", "newsletter", 0), "pending_confirmation");
	/* the same file again does not confirm it */
	assert_int_equal(imp(t, rows, sizeof(rows) - 1, MAP, 0, &rep, &r), 0);
	assert_string_equal(t_gate(t, "doi@x.example", "newsletter", 0), "pending_confirmation");
	/* the person's confirmation does */
	assert_int_equal(t_consent(t, "doi@x.example", "newsletter", SK_ACT_CONFIRM, "mail_link",
				   "mail:double-opt-in", 0), 0);
	assert_string_equal(t_gate(t, "doi@x.example", "newsletter", 0), "consent");
	tenv_free(t);
}

/* The export is exact for machines; --for-spreadsheet escapes formulas and writes a BOM. */
static void test_export_exact(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char *buf = NULL;
	size_t len = 0;
	long n;
	struct sk_field_value f[] = {{"first_name", "=1+1"}, {"company", " Acme "},
				     {"phone", "+46 8 123 456"}};
	char id[SK_ID_LEN + 1];
	assert_int_equal(sk_contact_add(t->core, "=1+1.x@example.com", f, 3, id, &t->err), 0);
	assert_int_equal(t_consent(t, "=1+1.x@example.com", "sales_followup", SK_ACT_GIVE, "api",
				   "test", 0), 0);
	FILE *o = open_memstream(&buf, &len);
	assert_int_equal(sk_export_contacts(t->core, "sales_followup", SK_EXPORT_CSV, 0, o, &n,
					    &t->err), 0);
	fclose(o);
	assert_int_equal(n, 1);
	assert_int_equal(strncmp(buf, "id,", 3), 0); /* no BOM */
	/* the last cell, score: empty (sales_followup given, but no lead score) */
	if (!strstr(buf, ",=1+1.x@example.com,=1+1.x@example.com,true,consent,=1+1,,\" Acme \","
			 "+46 8 123 456,,\r\n"))
		fail_msg("exact export: %s", buf);
	free(buf);
	o = open_memstream(&buf, &len);
	assert_int_equal(sk_export_contacts(t->core, "sales_followup", SK_EXPORT_CSV_SPREADSHEET, 0,
					    o, &n, &t->err), 0);
	fclose(o);
	assert_int_equal(strncmp(buf, "\xEF\xBB\xBFid,", 6), 0);
	if (!strstr(buf, ",'=1+1.x@example.com,'=1+1.x@example.com,true,consent,'=1+1,,\" Acme \","
			 "'+46 8 123 456,,\r\n"))
		fail_msg("spreadsheet export: %s", buf);
	free(buf);
	/* one cell each way */
	o = open_memstream(&buf, &len);
	assert_int_equal(sk_csv_cell(o, "-5"), 0);
	fputc('|', o);
	assert_int_equal(sk_csv_cell_sheet(o, "-5"), 0);
	fputc('|', o);
	assert_int_equal(sk_csv_cell_sheet(o, "@a,b"), 0);
	fputc('|', o);
	assert_int_equal(sk_csv_cell(o, "\tx"), 0);
	fclose(o);
	assert_string_equal(buf, "-5|'-5|\"'@a,b\"|\"\tx\"");
	free(buf);
	tenv_free(t);
}

/* Statements SQLite runs, counted while counting is on: this binary's sqlite3_step comes
 * before the library's and hands every call on. */
static long steps;
static int counting;

int sqlite3_step(sqlite3_stmt *st)
{
	static int (*real)(sqlite3_stmt *);
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "sqlite3_step");
	if (counting && !sqlite3_stmt_busy(st))
		steps++;
	return real(st);
}

/* Issue 12: an imported row runs no statement twice. A new contact with one field and one
 * consent needs 9 (the gate lookup, the contact, its data key, its sealed address and the
 * field, its change, the event, the state, its change); the notice, the ledger head, the
 * contact and the state are not read again for its event, nor the suppression list for its
 * contact (before: 15 a row here, 28.8 with three purposes). */
static void test_import_statements(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_csv_import_report rep;
	struct rj r;
	const long rows = 600;
	size_t cap = 64 + (size_t)rows * 80, n = 0;
	char *csv = malloc(cap);
	n += (size_t)snprintf(csv + n, cap - n, "email,first_name,nl,nl_at,nl_src\n");
	for (long i = 0; i < rows; i++)
		n += (size_t)snprintf(csv + n, cap - n,
				      "s%ld@x.example,Bo,yes,2025-01-01T10:00:00Z,form:x\n", i);
	steps = 0;
	counting = 1;
	int rc = imp(t, csv, n, NULL, 0, &rep, &r);
	counting = 0;
	assert_int_equal(rc, 0);
	assert_int_equal(rep.counts.given, rows);
	assert_int_equal(t_contacts(t), 100); /* the page holds 100: there are more */
	/* the import's own statements (record, batches, mapping) are a few dozen */
	if (steps > 9 * rows + 40)
		fail_msg("%ld statements for %ld rows (%.1f a row)", steps, rows,
			 (double)steps / (double)rows);
	/* the rows are whole: a field reads back, every event is in the ledger */
	char *v = t_field(t, "s599@x.example", "first_name");
	assert_non_null(v);
	assert_string_equal(v, "Bo");
	free(v);
	free(csv);
	tenv_free(t);
}

/* Issue 12: a batch is validated in file order (rejects and their line numbers as before)
 * and written sorted by email_key, so that the trees ordered by it are written in key
 * order: within one batch the ledger follows the key, not the file. */
static void test_import_key_order(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_csv_import_report rep;
	struct rj r;
	const long rows = 60;
	size_t cap = 256 + (size_t)rows * 80, n = 0;
	char *csv = malloc(cap);
	n += (size_t)snprintf(csv + n, cap - n, "email,first_name,nl,nl_at,nl_src\n");
	for (long i = 0; i < rows; i++)
		n += (size_t)snprintf(csv + n, cap - n,
				      "o%ld@x.example,Bo,yes,2025-01-01T10:00:00Z,form:x\n", i);
	/* line 62: a second copy of line 2 (a duplicate); line 63: a bad address */
	n += (size_t)snprintf(csv + n, cap - n, "o0@x.example,Al,no,,\nnot-an-address,Bo,yes,,\n");
	assert_int_equal(imp(t, csv, n, NULL, 0, &rep, &r), 0);
	assert_int_equal(rep.counts.created, rows);
	assert_int_equal(rep.counts.given, rows);
	assert_string_equal(r.lines, "62:duplicate:email;63:invalid_email:email;");
	char *v = t_field(t, "o0@x.example", "first_name"); /* the first copy's effect */
	assert_non_null(v);
	assert_string_equal(v, "Bo");
	free(v);

	/* the ledger in email_key order (one batch): each event's seq above the one before */
	static const char *const in_key_order =
		"FROM (SELECT l.seq, lag(l.seq) OVER (ORDER BY c.email_key, l.seq) AS prev"
		" FROM consent_ledger AS l JOIN contacts AS c ON c.id = l.contact_id) AS o";
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT count(*) %s", in_key_order);
	long events = (long)t_db_int(t->db, sql);
	snprintf(sql, sizeof(sql), "SELECT count(*) %s WHERE o.seq < o.prev", in_key_order);
	long out_of_order = (long)t_db_int(t->db, sql);
	assert_int_equal(events, rows);
	if (out_of_order)
		fail_msg("%ld of %ld events are not in email_key order", out_of_order, events);
	free(csv);
	tenv_free(t);
}

/* Allocation failing at each call in turn while a batch is kept for its sorted write: the
 * import fails with "out of memory" or succeeds; a failed run leaves nothing of its batch. */
static void test_import_key_order_nomem(void **state)
{
	(void)state;
	static const char three[] = "email,first_name,nl,nl_at,nl_src\n"
				    "p@x.example,Bo,yes,2025-01-01T10:00:00Z,form:x\n"
				    "q@x.example,Bo,no,,\n"
				    "r@x.example,Bo,yes,,\n";
	int ok = 0;
	for (long fail = 0; fail < 2000 && !ok; fail++) {
		struct tenv *t = tenv_new(0);
		struct sk_csv_import_report rep;
		struct rj r;
		char id[SK_ID_LEN + 1];
		sk_mem_fail_after(fail);
		int rc = imp(t, three, sizeof(three) - 1, NULL, 0, &rep, &r);
		sk_mem_fail_after(-1);
		int found = 0;
		for (const char *const *e = (const char *const[]){"p@x.example", "q@x.example",
								  "r@x.example", NULL};
		     *e; e++)
			found += sk_contact_find(t->core, *e, id, &t->err) == 0;
		if (rc == 0) {
			/* an allocation failing is never the row's fault (no reject) */
			if (found != 3)
				fail_msg("allocation %ld failed, the import succeeded, but %d of 3 "
					 "rows are there (rejects: %s)", fail, found, r.lines);
			ok = 1;
		} else if (found) {
			fail_msg("allocation %ld failed (%s) but %d rows stayed", fail, t->err.msg,
				 found);
		}
		tenv_free(t);
	}
	assert_true(ok);
}

static int count_change(void *arg, const struct sk_change *ch)
{
	(void)ch;
	(*(long *)arg)++;
	return 0;
}

/* The length of the change feed: what webhooks deliver and the API's feed pages. */
static long feed_len(struct tenv *t)
{
	long n = 0;
	assert_int_equal(sk_changes(t->core, 0, 0, count_change, &n, &t->err), 0);
	return n;
}

/* Every count of an import report, each its own assertion so that a failure names it. */
static void assert_counts_equal(const struct sk_import_counts *a, const struct sk_import_counts *b)
{
	assert_int_equal(a->rows, b->rows);
	assert_int_equal(a->created, b->created);
	assert_int_equal(a->updated, b->updated);
	assert_int_equal(a->given, b->given);
	assert_int_equal(a->unverified, b->unverified);
	assert_int_equal(a->refused, b->refused);
	assert_int_equal(a->unchanged, b->unchanged);
	assert_int_equal(a->rejected, b->rejected);
	assert_int_equal(a->fields_dropped, b->fields_dropped);
}

/* The bytes a batch's rows may hold until their sorted write are a limit: past it the batch
 * is committed early (here after every row), so a storage failure later leaves the rows
 * committed before it, and the re-run resumes after them. The resumed import ends as one
 * clean run of the same file does: the same reported counts (no row counted twice, no
 * committed row "updated" again) and a change feed of the same length (no change, so no
 * webhook delivery, emitted twice). */
static void test_import_batch_bytes(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(1);
	struct sk_csv_import_report rep, clean;
	struct rj r;
	char csv[2048];
	size_t n = (size_t)snprintf(csv, sizeof(csv), "email,first_name,nl,nl_at,nl_src\n");
	for (int i = 0; i < 20; i++)
		n += (size_t)snprintf(csv + n, sizeof(csv) - n,
				      "b%d@x.example,Bo,yes,2025-01-01T10:00:00Z,form:x\n", i);
	struct sk_csv_import_opts o = {.map_text = MAP, .map_len = strlen(MAP), .bulk = 1,
				       .reject = rj_add, .reject_arg = &r, .batch_bytes = 1};
	memset(&r, 0, sizeof(r));
	FILE *f = fmemopen(csv, n, "rb");
	assert_non_null(f);
	sk_store_fault_set(t->store, 150, 0); /* well inside the 20 rows */
	assert_int_not_equal(sk_csv_import(t->core, f, &o, &rep, &t->err), 0);
	sk_store_fault_set(t->store, 0, 0);
	char id[SK_ID_LEN + 1];
	assert_int_equal(sk_contact_find(t->core, "b0@x.example", id, &t->err), 0);
	assert_int_equal(sk_contact_find(t->core, "b19@x.example", id, &t->err),
			 SK_ERR_NOT_FOUND);
	/* the re-run resumes after the committed rows and ends as one clean run would */
	rewind(f);
	assert_int_equal(sk_csv_import(t->core, f, &o, &rep, &t->err), 0);
	fclose(f);
	assert_true(rep.resumed_after > 0 && rep.resumed_after < 20);
	assert_int_equal(rep.counts.rows, 20);
	assert_int_equal(rep.counts.created, 20);
	assert_int_equal(sk_contact_find(t->core, "b19@x.example", id, &t->err), 0);

	/* the same file, imported once into a fresh database */
	struct tenv *t2 = tenv_new(0);
	f = fmemopen(csv, n, "rb");
	assert_non_null(f);
	memset(&r, 0, sizeof(r));
	assert_int_equal(sk_csv_import(t2->core, f, &o, &clean, &t2->err), 0);
	fclose(f);
	assert_int_equal(clean.resumed_after, 0);
	assert_int_equal(clean.counts.given, 20);
	assert_counts_equal(&rep.counts, &clean.counts);
	assert_int_equal(feed_len(t), feed_len(t2));
	tenv_free(t2);
	tenv_free(t);
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
		cmocka_unit_test(test_csv_unclosed_quote),
		cmocka_unit_test(test_csv_nul),
		cmocka_unit_test(test_csv_line_numbers),
		cmocka_unit_test(test_csv_encoding),
		cmocka_unit_test(test_import_minimisation),
		cmocka_unit_test(test_import_double_opt_in_stays_pending),
		cmocka_unit_test(test_export_exact),
		cmocka_unit_test(test_import_statements),
		cmocka_unit_test(test_import_key_order),
		cmocka_unit_test(test_import_key_order_nomem),
		cmocka_unit_test(test_import_batch_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
