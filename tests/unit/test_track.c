/* test_track.c: tracking under consent (core/track.c, docs/tracking.md): addresses truncated
 * (IPv4 /24, IPv6 /48, a mapped address as IPv4) unless ip_tracking is given, the company
 * looked up only with it, events attached to a person and scored only with lead_scoring,
 * withdrawal deleting score and history in the withdrawal's own transaction, the retention
 * purge, and the company ranges. Runs on SQLite and, with SK_TEST_PG, on PostgreSQL. */
#include "testlib.h"

#include <arpa/inet.h>

#include "core/webhook.h"
#include "io/io.h"
#include "render/console.h"
#include "render/page.h"
#include "util/net.h"
#include "sync/sync.h"

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
	/* neither lead_scoring nor ip_tracking: a mail event is not stored at all (even of no
	 * one, its time would tie it to the send log) */
	assert_int_equal(mail_event(t, id, "mail_click", "192.0.2.1", now, &stored), 0);
	assert_int_equal(stored, 0);
	assert_int_equal(mail_event(t, id, "mail_open", "192.0.2.1", now, &stored), 0);
	assert_int_equal(stored, 0);
	assert_int_equal(rows(t, "1 = 1"), 0);
	/* ip_tracking alone: not kept either (an event of nobody could never be found again
	 * when ip_tracking ends, and its full address would outlive it) */
	assert_int_equal(t_consent(t, "cy@example.com", "ip_tracking", SK_ACT_GIVE, "api",
				   "test", 0), 0);
	assert_int_equal(mail_event(t, id, "mail_click", "192.0.2.1", now, &stored), 0);
	assert_int_equal(stored, 0);
	assert_int_equal(rows(t, "1 = 1"), 0);
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
	/* the access export holds the attached events and the score */
	struct sk_access_export x;
	assert_int_equal(sk_export(t->core, id, "en", &x, &t->err), 0);
	assert_int_equal(x.ntrack_events, 2);
	/* both at the same second: (at, id) order puts either first */
	size_t k = strcmp(x.track_events[0].type, "mail_click") == 0 ? 0 : 1;
	assert_string_equal(x.track_events[k].type, "mail_click");
	assert_string_equal(x.track_events[1 - k].type, "mail_open");
	assert_string_equal(x.track_events[k].campaign_id, "cmp_1");
	assert_true(x.has_score);
	assert_int_equal(x.score.score, 6);
	/* the person's own export page shows them, escaped */
	sk_strlcpy(x.track_events[k].url, "https://www.example.com/<b>", sizeof(x.track_events[k].url));
	struct sk_buf b;
	assert_int_equal(sk_page_pref_export(&b, NULL, SK_LANG_EN, "tok", &x), 0);
	assert_non_null(strstr(b.data, "<section id=\"tracking\">"));
	assert_non_null(strstr(b.data, "Interest score: 6"));
	assert_non_null(strstr(b.data, "<td>mail_click</td><td>https://www.example.com/&lt;b&gt;</td>"));
	sk_buf_reset(&b);
	/* the console's export page shows the same (one rendering), with a send log row */
	struct sk_send_rec send = {.campaign_id = "cmp_spring", .state = "sent", .sent_at = NOW};
	struct sk_send_rec *sends = x.sends;
	size_t nsends = x.nsends;
	x.sends = &send;
	x.nsends = 1;
	struct sk_staff dpo = {.name = "dana", .role = SK_ROLE_DPO};
	struct sk_con_frame f = {.pol = sk_core_policy(t->core), .lang = SK_LANG_EN, .who = &dpo,
				 .csrf = "tok", .nav = SK_NAV_NONE};
	assert_int_equal(sk_con_person_export(&b, &f, &x), 0);
	assert_non_null(strstr(b.data, "<section id=\"visitors\">"));
	assert_non_null(strstr(b.data, "<section id=\"mailings\">"));
	assert_non_null(strstr(b.data, "<td>cmp_spring</td><td>sent </td>"));
	assert_non_null(strstr(b.data, "<section id=\"tracking\">"));
	assert_non_null(strstr(b.data, "Interest score: 6"));
	assert_non_null(strstr(b.data, "<td>mail_click</td><td>https://www.example.com/&lt;b&gt;</td>"));
	sk_buf_reset(&b);
	x.sends = sends;
	x.nsends = nsends;
	sk_access_export_reset(&x);
	/* withdrawn: neither is there any more */
	assert_int_equal(t_consent(t, "di@example.com", "lead_scoring", SK_ACT_WITHDRAW, "api",
				   "test", 0), 0);
	assert_int_equal(sk_export(t->core, id, "en", &x, &t->err), 0);
	assert_int_equal(x.ntrack_events, 0);
	assert_false(x.has_score);
	sk_access_export_reset(&x);
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

/* The score.changed webhook: only with sales_followup allowed at delivery, with the score;
 * otherwise skipped (the cursor passes it). */
static void test_score_webhook_needs_sales_followup(void **state)
{
	struct tenv *t = tenv_new(0);
	static const char *const ls[] = {"lead_scoring", NULL};
	static const char *const ls_sf[] = {"lead_scoring", "sales_followup", NULL};
	char a[SK_ID_LEN + 1], b[SK_ID_LEN + 1], wid[SK_ID_LEN + 1];
	char secret[SK_WEBHOOK_SECRET_MAX];
	struct sk_webhook_job job;
	struct sk_change hit;
	int ready = 0, found = 0;
	(void)state;
	person(t, "ja@example.com", ls, a);     /* no sales_followup */
	person(t, "ko@example.com", ls_sf, b);  /* with it */
	assert_int_equal(sk_webhook_add(t->core, "http://127.0.0.1:9/x", "score.changed", "crm",
					1, wid, secret, &t->err), 0);
	int64_t now = sk_time_now();
	assert_int_equal(mail_event(t, a, "mail_click", NULL, now, NULL), 0);
	assert_int_equal(mail_event(t, b, "mail_click", NULL, now, NULL), 0);
	assert_int_equal(sk_webhook_job_open(t->core, wid, now, &job, &ready, &t->err), 0);
	assert_true(ready);
	assert_int_equal(sk_webhook_job_next(t->core, &job, &hit, &found, &t->err), 0);
	assert_true(found);
	assert_int_equal(hit.type, SK_CHG_SCORE);
	assert_string_equal(hit.contact_id, b); /* a's change was skipped */
	assert_int_equal(hit.score, 5);
	char *body = NULL;
	size_t blen = 0;
	assert_int_equal(sk_webhook_payload(&hit, &body, &blen), 0);
	assert_non_null(strstr(body, "\"type\":\"score.changed\""));
	assert_non_null(strstr(body, "\"score\":5"));
	sk_free(body);
	assert_int_equal(sk_webhook_job_delivered(t->core, &job, hit.seq, now, 200, &t->err), 0);
	/* sales_followup withdrawn before delivery: b's next change is skipped too */
	assert_int_equal(mail_event(t, b, "mail_click", NULL, now, NULL), 0);
	assert_int_equal(t_consent(t, "ko@example.com", "sales_followup", SK_ACT_WITHDRAW, "api",
				   "test", 0), 0);
	assert_int_equal(sk_webhook_job_next(t->core, &job, &hit, &found, &t->err), 0);
	assert_false(found);
	sk_webhook_job_close(&job);
	tenv_free(t);
}

/* The contacts export's score column: filled only for people with sales_followup. */
static void test_export_score_column(void **state)
{
	struct tenv *t = tenv_new(0);
	static const char *const ls[] = {"lead_scoring", NULL};
	static const char *const ls_sf[] = {"lead_scoring", "sales_followup", NULL};
	char a[SK_ID_LEN + 1], b[SK_ID_LEN + 1];
	char *text = NULL;
	size_t len = 0;
	long n = 0;
	(void)state;
	person(t, "lo@example.com", ls, a);
	person(t, "mi@example.com", ls_sf, b);
	int64_t now = sk_time_now();
	assert_int_equal(mail_event(t, a, "mail_click", NULL, now, NULL), 0);
	assert_int_equal(mail_event(t, b, "mail_click", NULL, now, NULL), 0);
	FILE *out = open_memstream(&text, &len);
	assert_non_null(out);
	assert_int_equal(sk_export_contacts(t->core, "newsletter", SK_EXPORT_CSV, 0, out, &n,
					    &t->err), 0);
	fclose(out);
	assert_int_equal(n, 2);
	assert_non_null(strstr(text, ",score\r\n"));
	char line_a[512] = "", line_b[512] = "";
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
		if (strncmp(l, a, SK_ID_LEN) == 0)
			snprintf(line_a, sizeof(line_a), "%s", l);
		if (strncmp(l, b, SK_ID_LEN) == 0)
			snprintf(line_b, sizeof(line_b), "%s", l);
	}
	free(text);
	/* the last cell: empty without sales_followup, the score with it */
	assert_non_null(strstr(line_a, ",\r"));
	assert_null(strstr(line_a, ",5\r"));
	assert_non_null(strstr(line_b, ",5\r"));
	tenv_free(t);
}

/* A visitor's banner answer (en, the current version); its id in vid. */
static void answer(struct tenv *t, const char *vid_in, int ip, int ls, char vid[SK_ID_LEN + 1])
{
	char version[SK_BANNER_VERSION_LEN + 1];
	assert_int_equal(sk_banner_version(t->core, SK_LANG_EN, version, &t->err), 0);
	struct sk_visitor_choice ch[] = {{"ip_tracking", ip}, {"lead_scoring", ls}};
	struct sk_visitor_answer_in in = {.visitor_id = vid_in, .lang = "en", .version = version,
					  .choices = ch, .nchoices = 2,
					  .page = "https://www.example.com/", .signal = "click"};
	assert_int_equal(sk_visitor_answer(t->core, &in, sk_time_now(), vid, &t->err), 0);
}

static int web_event(struct tenv *t, const char *vid, const char *ip, int *stored)
{
	struct sk_track_in in = {.type = "page_view", .visitor_id = vid, .ip = ip,
				 .url = "https://www.example.com/pricing", .utm_campaign = "spring",
				 .at = sk_time_now()};
	return sk_track_record(t->core, &in, stored, &t->err);
}

/* Web events: stored only with ip_tracking or lead_scoring given by the visitor; the full
 * address and the company only with ip_tracking; attached only to a contact the visitor is
 * tied to, and only with that contact's lead_scoring. */
static void test_web_events(void **state)
{
	struct tenv *t = tenv_new(0);
	char none[SK_ID_LEN + 1], ipt[SK_ID_LEN + 1], ls[SK_ID_LEN + 1], cid[SK_ID_LEN + 1];
	int stored = -1;
	(void)state;
	const struct sk_company_range r[] = {{.network = "192.0.2.0/24", .name = "Example AB"}};
	assert_int_equal(sk_company_load(t->core, r, 1, NULL, &t->err), 0);
	/* neither: not stored at all, and the same answer */
	answer(t, NULL, 0, 0, none);
	assert_int_equal(web_event(t, none, "192.0.2.7", &stored), 0);
	assert_int_equal(stored, 0);
	assert_int_equal(rows(t, "1 = 1"), 0);
	/* an unknown visitor: the same */
	assert_int_equal(web_event(t, "v_aaaaaaaaaaaaaaaaaaaaaaaa", "192.0.2.7", &stored), 0);
	assert_int_equal(stored, 0);
	/* ip_tracking only: the full address and its company, of no one */
	answer(t, NULL, 1, 0, ipt);
	assert_int_equal(web_event(t, ipt, "192.0.2.7", &stored), 0);
	assert_int_equal(stored, 1);
	assert_int_equal(rows(t, "ip = '192.0.2.7' AND company = 'Example AB'"
			       " AND contact_id IS NULL AND utm_campaign = 'spring'"), 1);
	/* lead_scoring only, not tied: truncated, no company, of no one */
	answer(t, NULL, 0, 1, ls);
	assert_int_equal(web_event(t, ls, "192.0.2.7", &stored), 0);
	assert_int_equal(stored, 1);
	assert_int_equal(rows(t, "ip = '192.0.2.0' AND company = '' AND contact_id IS NULL"), 1);
	/* tied to a contact (its banner answer carried to the contact): attached and scored */
	person(t, "no@example.com", NULL, cid);
	assert_int_equal(sk_visitor_identify(t->core, ls, cid, sk_time_now(), NULL, &t->err), 0);
	assert_string_equal(t_gate(t, "no@example.com", "lead_scoring", 0), "consent");
	assert_int_equal(web_event(t, ls, "192.0.2.7", &stored), 0);
	assert_int_equal(stored, 1);
	assert_int_equal(rows(t, "contact_id IS NOT NULL AND ip = '192.0.2.0'"), 1);
	struct sk_score sc;
	assert_int_equal(sk_score_get(t->core, cid, sk_time_now(), &sc, &t->err), 0);
	assert_int_equal(sc.has, 1);
	assert_int_equal(sc.stored, 10); /* a pricing page view */
	/* the contact withdraws lead_scoring: history gone, the tied visitor's events from
	 * before the tie (not attached, but linkable through the visitor) too, and the
	 * visitor's next event is not stored (the tied visitor's answer is the contact's) */
	char of_ls[64];
	snprintf(of_ls, sizeof(of_ls), "visitor_id = '%s'", ls);
	assert_int_equal(rows(t, of_ls), 2);
	assert_int_equal(t_consent(t, "no@example.com", "lead_scoring", SK_ACT_WITHDRAW, "api",
				   "test", 0), 0);
	assert_int_equal(rows(t, "contact_id IS NOT NULL"), 0);
	assert_int_equal(rows(t, of_ls), 0);
	assert_int_equal(rows(t, "ip = '192.0.2.7' AND company = 'Example AB'"), 1); /* not hers */
	assert_int_equal(web_event(t, ls, "192.0.2.7", &stored), 0);
	assert_int_equal(rows(t, "contact_id IS NOT NULL"), 0);
	tenv_free(t);
}

/* A web event kept is a sighting of its visitor (sk_visitor_touch in sk_track_record's
 * write): at a purge 400 days after their answers (the untied-visitor purge takes those not
 * seen for 395), a visitor tracked 340 days before it stays; one whose events were not kept (no
 * tracking purpose given) goes. */
static void test_web_event_touches_visitor(void **state)
{
	struct tenv *t = tenv_new(0);
	int64_t now = sk_time_now(), old = now - 60 * (int64_t)DAY, later = old + 400 * (int64_t)DAY;
	char version[SK_BANNER_VERSION_LEN + 1], seen[SK_ID_LEN + 1], quiet[SK_ID_LEN + 1];
	int stored = -1;
	(void)state;
	assert_int_equal(sk_banner_version(t->core, SK_LANG_EN, version, &t->err), 0);
	struct sk_visitor_choice yes[] = {{"ip_tracking", 1}, {"lead_scoring", 0}};
	struct sk_visitor_choice no[] = {{"ip_tracking", 0}, {"lead_scoring", 0}};
	struct sk_visitor_answer_in in = {.lang = "en", .version = version, .choices = yes,
					  .nchoices = 2, .page = "https://www.example.com/",
					  .signal = "click"};
	assert_int_equal(sk_visitor_answer(t->core, &in, old, seen, &t->err), 0);
	in.choices = no;
	assert_int_equal(sk_visitor_answer(t->core, &in, old, quiet, &t->err), 0);
	assert_int_equal(web_event(t, seen, "192.0.2.7", &stored), 0);
	assert_int_equal(stored, 1);
	assert_int_equal(web_event(t, quiet, "192.0.2.7", &stored), 0);
	assert_int_equal(stored, 0);
	struct sk_visitor_view v;
	assert_int_equal(sk_visitor_get(t->core, seen, &v, &t->err), 0);
	assert_true(v.visitor.last_seen_at >= now);
	sk_visitor_view_reset(&v);
	struct sk_purge_report r;
	assert_int_equal(rows(t, "1 = 1"), 1);
	assert_int_equal(sk_purge(t->core, later, 30, 0, &r, &t->err), 0);
	sk_purge_report_reset(&r);
	assert_int_equal(sk_visitor_get(t->core, seen, &v, &t->err), 0);
	sk_visitor_view_reset(&v);
	assert_int_equal(sk_visitor_get(t->core, quiet, &v, &t->err), SK_ERR_NOT_FOUND);
	tenv_free(t);
}

/* A visitor tied to a contact with ip_tracking (no lead_scoring): its events are the
 * person's though not attached. Withdrawing ip_tracking truncates them; the erasure deletes
 * them. */
static void test_tied_visitor_ip_and_erasure(void **state)
{
	struct tenv *t = tenv_new(0);
	char vid[SK_ID_LEN + 1], cid[SK_ID_LEN + 1];
	int stored = 0;
	(void)state;
	answer(t, NULL, 1, 0, vid);
	person(t, "ob@example.com", NULL, cid);
	assert_int_equal(sk_visitor_identify(t->core, vid, cid, sk_time_now(), NULL, &t->err), 0);
	assert_string_equal(t_gate(t, "ob@example.com", "ip_tracking", 0), "consent");
	assert_int_equal(web_event(t, vid, "2001:db8:1:2::7", &stored), 0);
	assert_int_equal(stored, 1);
	assert_int_equal(rows(t, "ip = '2001:db8:1:2::7' AND contact_id IS NULL"), 1);
	assert_int_equal(t_consent(t, "ob@example.com", "ip_tracking", SK_ACT_WITHDRAW, "api",
				   "test", 0), 0);
	assert_int_equal(rows(t, "ip = '2001:db8:1::'"), 1);
	assert_int_equal(rows(t, "ip = '2001:db8:1:2::7'"), 0);
	/* the erasure takes the tied visitor's events too */
	struct sk_erasure_receipt rec;
	assert_int_equal(sk_forget(t->core, cid, &rec, &t->err), 0);
	(void)rec; /* static names only: nothing to free */
	assert_int_equal(rows(t, "1 = 1"), 0);
	tenv_free(t);
}

/* A consent that lapses by validity (no event) ends what it allowed: the score is no longer
 * shared (export column, score.changed) and the purge deletes it with the history; the
 * purge truncates the addresses kept under a lapsed ip_tracking. lead_scoring lasts 12
 * months in the example policy, ip_tracking 6. */
static void test_lapsed_consent_ends_score_and_ip(void **state)
{
	struct tenv *t = tenv_new(0);
	char a[SK_ID_LEN + 1], b[SK_ID_LEN + 1];
	int has = -1;
	int64_t score = -1;
	long n = -1;
	(void)state;
	const struct sk_company_range r[] = {{.network = "192.0.2.0/24", .name = "Example AB"}};
	assert_int_equal(sk_company_load(t->core, r, 1, NULL, &t->err), 0);
	int64_t now = sk_time_now();
	/* a: lead_scoring given 360 days ago (lapses in about 5 days), sales_followup today */
	person(t, "la@example.com", NULL, a);
	assert_int_equal(t_consent(t, "la@example.com", "lead_scoring", SK_ACT_GIVE, "api", "t",
				   now - 360 * DAY), 0);
	assert_int_equal(t_consent(t, "la@example.com", "sales_followup", SK_ACT_GIVE, "api",
				   "t", now), 0);
	/* b: lead_scoring today, ip_tracking 175 days ago (lapses in about a week) */
	person(t, "lb@example.com", NULL, b);
	assert_int_equal(t_consent(t, "lb@example.com", "lead_scoring", SK_ACT_GIVE, "api", "t",
				   now), 0);
	assert_int_equal(t_consent(t, "lb@example.com", "ip_tracking", SK_ACT_GIVE, "api", "t",
				   now - 175 * DAY), 0);
	assert_int_equal(mail_event(t, a, "mail_click", NULL, now, NULL), 0);
	assert_int_equal(mail_event(t, b, "mail_click", "192.0.2.9", now, NULL), 0);
	assert_int_equal(rows(t, "contact_id IS NOT NULL"), 2);
	assert_int_equal(rows(t, "ip = '192.0.2.9' AND company = 'Example AB'"), 1);
	assert_int_equal(sk_score_shared(t->core, a, "la@example.com", now + 1, &has, &score,
					 &t->err), 0);
	assert_int_equal(has, 1);
	assert_int_equal(score, 5);
	/* ten days on, no event since: a's lead_scoring and b's ip_tracking have lapsed */
	int64_t later = now + 10 * DAY;
	assert_int_equal(sk_score_shared(t->core, a, "la@example.com", later, &has, &score,
					 &t->err), 0);
	assert_int_equal(has, 0); /* sales_followup alone shares no score */
	assert_int_equal(t_db_int(t->db, "SELECT count(*) FROM scores"), 2); /* still stored */
	assert_int_equal(sk_track_purge(t->core, later, &n, &t->err), 0);
	assert_int_equal(n, 2); /* a's history, b's event truncated */
	char where[128];
	snprintf(where, sizeof(where), "contact_id = '%s'", a);
	assert_int_equal(rows(t, where), 0);
	snprintf(where, sizeof(where), "SELECT count(*) FROM scores WHERE contact_id = '%s'", a);
	assert_int_equal(t_db_int(t->db, where), 0);
	/* b keeps its event and score (lead_scoring holds), with the address truncated */
	snprintf(where, sizeof(where), "contact_id = '%s' AND ip = '192.0.2.0' AND company = ''",
		 b);
	assert_int_equal(rows(t, where), 1);
	assert_int_equal(rows(t, "ip = '192.0.2.9'"), 0);
	/* a second purge finds nothing more */
	assert_int_equal(sk_track_purge(t->core, later, &n, &t->err), 0);
	assert_int_equal(n, 0);
	tenv_free(t);
}

/* score.changed is skipped when lead_scoring lapsed by validity, sales_followup given. */
static void test_score_webhook_needs_lead_scoring_now(void **state)
{
	struct tenv *t = tenv_new(0);
	char a[SK_ID_LEN + 1], wid[SK_ID_LEN + 1];
	char secret[SK_WEBHOOK_SECRET_MAX];
	struct sk_webhook_job job;
	struct sk_change hit;
	int ready = 0, found = 1;
	(void)state;
	int64_t now = sk_time_now();
	person(t, "lw@example.com", NULL, a);
	/* given 370 days ago: lapsed since about 5 days; the event was in its time */
	assert_int_equal(t_consent(t, "lw@example.com", "lead_scoring", SK_ACT_GIVE, "api", "t",
				   now - 370 * DAY), 0);
	assert_int_equal(t_consent(t, "lw@example.com", "sales_followup", SK_ACT_GIVE, "api",
				   "t", now), 0);
	assert_int_equal(sk_webhook_add(t->core, "http://127.0.0.1:9/x", "score.changed", "crm",
					1, wid, secret, &t->err), 0);
	assert_int_equal(mail_event(t, a, "mail_click", NULL, now - 300 * DAY, NULL), 0);
	assert_int_equal(t_db_int(t->db, "SELECT count(*) FROM scores"), 1);
	assert_int_equal(sk_webhook_job_open(t->core, wid, now, &job, &ready, &t->err), 0);
	assert_true(ready);
	assert_int_equal(sk_webhook_job_next(t->core, &job, &hit, &found, &t->err), 0);
	assert_false(found);
	sk_webhook_job_close(&job);
	tenv_free(t);
}

/* A visitor's web events are capped per 24 hours: beyond SK_TRACK_VISITOR_DAY_MAX an event
 * is answered as usual but not stored; another visitor is not affected; a day later the
 * visitor's events are stored again. */
static void test_visitor_daily_cap(void **state)
{
	struct tenv *t = tenv_new(0);
	char v[SK_ID_LEN + 1], w[SK_ID_LEN + 1];
	int stored = -1;
	(void)state;
	answer(t, NULL, 1, 0, v);
	answer(t, NULL, 1, 0, w);
	int64_t now = sk_time_now();
	struct sk_track_in in = {.type = "page_view", .visitor_id = v, .ip = "192.0.2.7",
				 .url = "https://www.example.com/"};
	assert_int_equal(SK_TRACK_VISITOR_DAY_MAX, 500);
	for (int i = 0; i < SK_TRACK_VISITOR_DAY_MAX; i++) {
		in.at = now - 3600 + i;
		assert_int_equal(sk_track_record(t->core, &in, &stored, &t->err), 0);
		assert_int_equal(stored, 1);
	}
	in.at = now;
	assert_int_equal(sk_track_record(t->core, &in, &stored, &t->err), 0);
	assert_int_equal(stored, 0); /* the 501st within 24 hours: not stored */
	char where[64];
	snprintf(where, sizeof(where), "visitor_id = '%s'", v);
	assert_int_equal(rows(t, where), SK_TRACK_VISITOR_DAY_MAX);
	in.visitor_id = w; /* another visitor: stored */
	assert_int_equal(sk_track_record(t->core, &in, &stored, &t->err), 0);
	assert_int_equal(stored, 1);
	in.visitor_id = v; /* 25 hours on: the window has passed */
	in.at = now + 25 * 3600;
	assert_int_equal(sk_track_record(t->core, &in, &stored, &t->err), 0);
	assert_int_equal(stored, 1);
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
		cmocka_unit_test(test_lapsed_consent_ends_score_and_ip),
		cmocka_unit_test(test_score_webhook_needs_lead_scoring_now),
		cmocka_unit_test(test_visitor_daily_cap),
		cmocka_unit_test(test_retention_purge),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_company_load),
		cmocka_unit_test(test_score_webhook_needs_sales_followup),
		cmocka_unit_test(test_export_score_column),
		cmocka_unit_test(test_web_events),
		cmocka_unit_test(test_tied_visitor_ip_and_erasure),
		cmocka_unit_test(test_web_event_touches_visitor),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
