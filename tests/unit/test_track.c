/* test_track.c: tracking under consent (core/track.c, docs/tracking.md): addresses truncated
 * (IPv4 /24, IPv6 /48, a mapped address as IPv4) unless ip_tracking is given, the company
 * looked up only with it, events attached to a person and scored only with lead_scoring,
 * withdrawal deleting score and history in the withdrawal's own transaction, the retention
 * purge, and the company ranges. Runs on SQLite and, with SK_TEST_PG, on PostgreSQL. */
#include "testlib.h"

#include <arpa/inet.h>

#include "util/net.h"

#define NOW 1767225600 /* 2026-01-01 */
#define DAY 86400

static const char *trunc_of(const char *ip)
{
	static char out[64];
	struct sk_ipaddr a;
	assert_int_equal(sk_ip_parse(ip, strlen(ip), &a), 0);
	sk_ip_truncate(&a);
	sk_ip_format(&a, out, sizeof(out));
	return out;
}

static void test_truncation(void **state)
{
	(void)state;
	assert_string_equal(trunc_of("192.0.2.123"), "192.0.2.0");
	assert_string_equal(trunc_of("203.0.113.255"), "203.0.113.0");
	assert_string_equal(trunc_of("2001:db8:abcd:1234:5678::1"), "2001:db8:abcd::");
	assert_string_equal(trunc_of("2001:db8:ab:ffff:ffff:ffff:ffff:ffff"), "2001:db8:ab::");
	/* an IPv4-mapped IPv6 address is IPv4: its /24, not its /48 (which would keep it all) */
	assert_string_equal(trunc_of("::ffff:198.51.100.77"), "198.51.100.0");
}

/* The contact id of email, after giving it the purposes listed (NULL-terminated). */
static void person(struct tenv *t, const char *email, const char *const *purposes,
		   char id[SK_ID_LEN + 1])
{
	struct sk_gate_result g;
	assert_int_equal(t_consent(t, email, "newsletter", SK_ACT_GIVE, "api", "test", 0), 0);
	for (size_t i = 0; purposes && purposes[i]; i++)
		assert_int_equal(t_consent(t, email, purposes[i], SK_ACT_GIVE, "api", "test", 0), 0);
	sk_gate_check(t->core, email, "newsletter", sk_time_now(), &g);
	assert_true(g.allowed);
	sk_strlcpy(id, g.contact_id, SK_ID_LEN + 1);
}

static int mail_event(struct tenv *t, const char *id, const char *type, const char *ip,
		      int64_t at, int *stored)
{
	struct sk_track_in in = {.type = type, .contact_id = id, .campaign_id = "cmp_1",
				 .url = type[5] == 'c' ? "https://www.example.com/pricing/team" : NULL,
				 .ip = ip, .at = at};
	return sk_track_record(t->core, &in, stored, &t->err);
}

/* What is stored of contact id's events, straight from the table (attached or not). */
static int64_t rows(struct tenv *t, const char *where)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM track_events WHERE %s", where);
	return t_db_int(t->db, sql);
}

static void test_ip_without_ip_tracking(void **state)
{
	struct tenv *t = tenv_new(0);
	static const char *const ls[] = {"lead_scoring", NULL};
	char id[SK_ID_LEN + 1];
	int stored = 0;
	(void)state;
	const struct sk_company_range r[] = {{.network = "192.0.2.0/24", .name = "Example AB"}};
	assert_int_equal(sk_company_load(t->core, r, 1, NULL, &t->err), 0);
	person(t, "ann@example.com", ls, id);
	int64_t now = sk_time_now();
	assert_int_equal(mail_event(t, id, "mail_open", "192.0.2.123", now, &stored), 0);
	assert_int_equal(stored, 1);
	assert_int_equal(rows(t, "ip = '192.0.2.0' AND company = ''"), 1);
	assert_int_equal(rows(t, "ip LIKE '%123%'"), 0); /* the full address was never written */
	/* IPv6: its /48 */
	assert_int_equal(mail_event(t, id, "mail_open", "2001:db8:1:2:3::4", now, &stored), 0);
	assert_int_equal(rows(t, "ip = '2001:db8:1::'"), 1);
	tenv_free(t);
}

static void test_ip_with_ip_tracking(void **state)
{
	struct tenv *t = tenv_new(0);
	static const char *const both[] = {"lead_scoring", "ip_tracking", NULL};
	char id[SK_ID_LEN + 1];
	int stored = 0;
	(void)state;
	const struct sk_company_range r[] = {{.network = "192.0.2.0/24", .name = "Example AB"}};
	assert_int_equal(sk_company_load(t->core, r, 1, NULL, &t->err), 0);
	person(t, "bo@example.com", both, id);
	int64_t now = sk_time_now();
	assert_int_equal(mail_event(t, id, "mail_open", "192.0.2.123", now, &stored), 0);
	assert_int_equal(rows(t, "ip = '192.0.2.123' AND company = 'Example AB'"), 1);
	/* an address in no range: full, no company */
	assert_int_equal(mail_event(t, id, "mail_open", "198.51.100.9", now, &stored), 0);
	assert_int_equal(rows(t, "ip = '198.51.100.9' AND company = ''"), 1);

	/* withdrawing ip_tracking truncates the stored addresses and clears the companies */
	assert_int_equal(t_consent(t, "bo@example.com", "ip_tracking", SK_ACT_WITHDRAW, "api",
				   "test", 0), 0);
	assert_int_equal(rows(t, "ip = '192.0.2.0' AND company = ''"), 1);
	assert_int_equal(rows(t, "ip = '198.51.100.0'"), 1);
	assert_int_equal(rows(t, "company <> ''"), 0);
	tenv_free(t);
}

static void test_no_lead_scoring_no_attach_no_score(void **state)
{
	struct tenv *t = tenv_new(0);
	char id[SK_ID_LEN + 1];
	struct sk_score sc;
	int stored = 0;
	(void)state;
	person(t, "cy@example.com", NULL, id);
	int64_t now = sk_time_now();
	assert_int_equal(mail_event(t, id, "mail_click", "192.0.2.1", now, &stored), 0);
	assert_int_equal(stored, 1); /* kept, but of nobody */
	assert_int_equal(rows(t, "contact_id IS NULL"), 1);
	assert_int_equal(rows(t, "contact_id IS NOT NULL"), 0);
	assert_int_equal(t_db_int(t->db, "SELECT count(*) FROM scores"), 0);
	assert_int_equal(sk_score_get(t->core, id, now, &sc, &t->err), 0);
	assert_int_equal(sc.has, 0);
	assert_string_equal(sk_reason_name(sc.reason), "no_consent");
	/* a refusal is no more than nothing */
	assert_int_equal(t_consent(t, "cy@example.com", "lead_scoring", SK_ACT_REFUSE, "api",
				   "test", 0), 0);
	assert_int_equal(mail_event(t, id, "mail_click", "192.0.2.1", now, &stored), 0);
	assert_int_equal(rows(t, "contact_id IS NOT NULL"), 0);
	assert_int_equal(sk_score_get(t->core, id, now, &sc, &t->err), 0);
	assert_int_equal(sc.has, 0);
	assert_string_equal(sk_reason_name(sc.reason), "refused");
	tenv_free(t);
}

static void test_lead_scoring_scores(void **state)
{
	struct tenv *t = tenv_new(0);
	static const char *const ls[] = {"lead_scoring", NULL};
	char id[SK_ID_LEN + 1];
	struct sk_score sc;
	int stored = 0;
	int64_t seq0 = 0, seq1 = 0;
	(void)state;
	person(t, "di@example.com", ls, id);
	int64_t now = sk_time_now();
	assert_int_equal(sk_store_change_last(t->store, &seq0), 0);
	/* a click on a pricing page: mail_click 5 + nothing else (the rule for pricing pages
	 * is for page views) */
	assert_int_equal(mail_event(t, id, "mail_click", NULL, now, &stored), 0);
	assert_int_equal(rows(t, "contact_id IS NOT NULL"), 1);
	assert_int_equal(sk_score_get(t->core, id, now, &sc, &t->err), 0);
	assert_int_equal(sc.has, 1);
	assert_true(sc.score > 4.99 && sc.score < 5.01);
	assert_int_equal(sc.stored, 5);
	assert_int_equal(sc.nevents, 1);
	assert_int_equal(sc.last_activity, now);
	/* the score moved: one "score" change, carrying no score */
	assert_int_equal(sk_store_change_last(t->store, &seq1), 0);
	assert_int_equal(seq1, seq0 + 1);
	/* an open: +1 */
	assert_int_equal(mail_event(t, id, "mail_open", NULL, now, &stored), 0);
	assert_int_equal(sk_score_get(t->core, id, now, &sc, &t->err), 0);
	assert_int_equal(sc.stored, 6);
	/* 30 days on, the click is worth half */
	assert_int_equal(sk_score_get(t->core, id, now + 30 * DAY, &sc, &t->err), 0);
	assert_true(sc.score > 2.5 + 0.2 && sc.score < 2.5 + 0.3); /* open: 1 * 0.5^(30/14) */
	/* an unknown contact */
	assert_int_equal(sk_score_get(t->core, "c_aaaaaaaaaaaaaaaaaaaaaaaa", now, &sc, &t->err),
			 SK_ERR_NOT_FOUND);
	tenv_free(t);
}

static void test_cap(void **state)
{
	struct tenv *t = tenv_new(0);
	static const char *const ls[] = {"lead_scoring", NULL};
	char id[SK_ID_LEN + 1];
	struct sk_score sc;
	(void)state;
	person(t, "ed@example.com", ls, id);
	int64_t now = sk_time_now();
	for (int i = 0; i < 25; i++) /* 25 clicks of 5 points: 125, capped at 100 */
		assert_int_equal(mail_event(t, id, "mail_click", NULL, now, NULL), 0);
	assert_int_equal(sk_score_get(t->core, id, now, &sc, &t->err), 0);
	assert_true(sc.score > 99.99 && sc.score < 100.01);
	assert_int_equal(sc.stored, 100);
	assert_int_equal(sc.nevents, 25);
	tenv_free(t);
}

/* Withdrawal deletes score and history in the withdrawal's own transaction: with the store
 * failing at each call in turn, either the withdrawal is recorded and the history is gone,
 * or neither happened. */
static void test_withdrawal_deletes_in_same_transaction(void **state)
{
	static const char *const ls[] = {"lead_scoring", NULL};
	int done = 0;
	(void)state;
	for (long n = 1; !done && n < 400; n++) {
		struct tenv *t = tenv_new(1);
		char id[SK_ID_LEN + 1];
		person(t, "fa@example.com", ls, id);
		int64_t now = sk_time_now();
		assert_int_equal(mail_event(t, id, "mail_click", "192.0.2.1", now, NULL), 0);
		assert_int_equal(mail_event(t, id, "mail_open", "192.0.2.1", now, NULL), 0);
		sk_store_fault_set(t->store, n, 0); /* that call only: the rollback runs */
		int rc = t_consent(t, "fa@example.com", "lead_scoring", SK_ACT_WITHDRAW, "api",
				   "test", 0);
		sk_store_fault_set(t->store, 0, 0);
		const char *g = t_gate(t, "fa@example.com", "lead_scoring", 0);
		int64_t events = rows(t, "contact_id IS NOT NULL");
		int64_t scores = t_db_int(t->db, "SELECT count(*) FROM scores");
		/* (an error reported after the commit still leaves the withdrawal whole) */
		if (strcmp(g, "withdrawn") == 0) {
			assert_int_equal(events, 0);
			assert_int_equal(scores, 0);
		} else {
			assert_int_not_equal(rc, 0);
			assert_string_equal(g, "consent"); /* nothing happened */
			assert_int_equal(events, 2);
			assert_int_equal(scores, 1);
		}
		done = rc == 0;
		tenv_free(t);
	}
	assert_true(done);
}

static void test_withdrawal_then_nothing_attached(void **state)
{
	struct tenv *t = tenv_new(0);
	static const char *const ls[] = {"lead_scoring", NULL};
	char id[SK_ID_LEN + 1];
	struct sk_score sc;
	(void)state;
	person(t, "gus@example.com", ls, id);
	int64_t now = sk_time_now();
	assert_int_equal(mail_event(t, id, "mail_click", NULL, now, NULL), 0);
	assert_int_equal(t_consent(t, "gus@example.com", "lead_scoring", SK_ACT_WITHDRAW, "api",
				   "test", 0), 0);
	assert_int_equal(rows(t, "1 = 1"), 0);
	assert_int_equal(mail_event(t, id, "mail_click", NULL, now, NULL), 0);
	assert_int_equal(rows(t, "contact_id IS NOT NULL"), 0);
	assert_int_equal(sk_score_get(t->core, id, now, &sc, &t->err), 0);
	assert_int_equal(sc.has, 0);
	assert_string_equal(sk_reason_name(sc.reason), "withdrawn");
	tenv_free(t);
}

static void test_retention_purge(void **state)
{
	struct tenv *t = tenv_new(0);
	static const char *const ls[] = {"lead_scoring", NULL};
	char id[SK_ID_LEN + 1];
	long n = -1;
	(void)state;
	person(t, "hu@example.com", ls, id);
	int64_t now = sk_time_now();
	assert_int_equal(mail_event(t, id, "mail_open", NULL, now - 91 * DAY, NULL), 0);
	assert_int_equal(mail_event(t, id, "mail_open", NULL, now - 89 * DAY, NULL), 0);
	/* the example policy keeps events 90 days */
	assert_int_equal(sk_track_purge(t->core, now, &n, &t->err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rows(t, "1 = 1"), 1);
	/* sk_purge, which the server's purge worker runs, purges them too and says so */
	struct sk_purge_report rep;
	assert_int_equal(sk_purge(t->core, now + 2 * DAY, 30, 0, &rep, &t->err), 0);
	assert_int_equal(rep.tracking_events, 1);
	sk_purge_report_reset(&rep);
	assert_int_equal(rows(t, "1 = 1"), 0);
	tenv_free(t);
}

static void test_bad_input(void **state)
{
	struct tenv *t = tenv_new(0);
	char id[SK_ID_LEN + 1];
	int stored = 1;
	(void)state;
	person(t, "io@example.com", NULL, id);
	struct sk_track_in in = {.type = "mail_view", .contact_id = id};
	assert_int_equal(sk_track_record(t->core, &in, &stored, &t->err), SK_ERR_INVALID);
	assert_non_null(strstr(t->err.msg, "type"));
	assert_int_equal(stored, 0);
	in.type = "mail_open";
	in.contact_id = "c_short";
	assert_int_equal(sk_track_record(t->core, &in, &stored, &t->err), SK_ERR_INVALID);
	in.contact_id = id;
	in.url = "https://www.example.com/\n";
	assert_int_equal(sk_track_record(t->core, &in, &stored, &t->err), SK_ERR_INVALID);
	assert_non_null(strstr(t->err.msg, "url"));
	in.url = NULL;
	in.type = "page_view"; /* a web event without a visitor */
	assert_int_equal(sk_track_record(t->core, &in, &stored, &t->err), SK_ERR_INVALID);
	assert_non_null(strstr(t->err.msg, "visitor"));
	/* a contact that does not exist (erased since the mail went): dropped, not an error */
	in.type = "mail_open";
	in.contact_id = "c_aaaaaaaaaaaaaaaaaaaaaaaa";
	assert_int_equal(sk_track_record(t->core, &in, &stored, &t->err), 0);
	assert_int_equal(stored, 0);
	assert_int_equal(rows(t, "1 = 1"), 0);
	tenv_free(t);
}

static void test_company_load(void **state)
{
	struct tenv *t = tenv_new(0);
	char name[SK_COMPANY_MAX + 1];
	size_t bad = 99;
	(void)state;
	const struct sk_company_range ok[] = {
		{.network = "192.0.2.0/24", .name = "Example AB"},
		{.first = "198.51.100.10", .last = "198.51.100.20", .name = "Range AB"},
		{.network = "2001:db8::/32", .name = "Six AB"},
	};
	assert_int_equal(sk_company_load(t->core, ok, 3, &bad, &t->err), 0);
	assert_int_equal(sk_company_lookup(t->core, "192.0.2.200", name, &t->err), 0);
	assert_string_equal(name, "Example AB");
	assert_int_equal(sk_company_lookup(t->core, "::ffff:192.0.2.200", name, &t->err), 0);
	assert_string_equal(name, "Example AB");
	assert_int_equal(sk_company_lookup(t->core, "198.51.100.20", name, &t->err), 0);
	assert_string_equal(name, "Range AB");
	assert_int_equal(sk_company_lookup(t->core, "198.51.100.21", name, &t->err),
			 SK_ERR_NOT_FOUND);
	assert_int_equal(sk_company_lookup(t->core, "2001:db8:ffff::1", name, &t->err), 0);
	assert_string_equal(name, "Six AB");
	assert_int_equal(sk_company_lookup(t->core, "not an address", name, &t->err),
			 SK_ERR_INVALID);
	/* all or nothing: a bad range refuses the load, naming the row and field, and the
	 * ranges stay as they were */
	const struct sk_company_range badr[] = {
		{.network = "203.0.113.0/24", .name = "New AB"},
		{.first = "203.0.113.9", .last = "203.0.113.1", .name = "Backwards AB"},
	};
	assert_int_equal(sk_company_load(t->core, badr, 2, &bad, &t->err), SK_ERR_INVALID);
	assert_int_equal(bad, 1);
	assert_non_null(strstr(t->err.msg, "last"));
	assert_int_equal(sk_company_lookup(t->core, "203.0.113.5", name, &t->err),
			 SK_ERR_NOT_FOUND);
	assert_int_equal(sk_company_lookup(t->core, "192.0.2.1", name, &t->err), 0);
	const struct sk_company_range badn[] = {{.network = "192.0.2.0/33", .name = "X"}};
	assert_int_equal(sk_company_load(t->core, badn, 1, &bad, &t->err), SK_ERR_INVALID);
	assert_non_null(strstr(t->err.msg, "network"));
	tenv_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_ip_without_ip_tracking),
		cmocka_unit_test(test_ip_with_ip_tracking),
		cmocka_unit_test(test_no_lead_scoring_no_attach_no_score),
		cmocka_unit_test(test_lead_scoring_scores),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_withdrawal_deletes_in_same_transaction),
		cmocka_unit_test(test_withdrawal_then_nothing_attached),
		cmocka_unit_test(test_retention_purge),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_company_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
