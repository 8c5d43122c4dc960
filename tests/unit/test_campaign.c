/* test_campaign.c: mail campaigns through the core (core/campaign.c): a description with an
 * error is refused naming it (merge fields limited to the purpose's), the preview counts a
 * crafted audience by reason and segment, a send queues each allowed person once however
 * often it runs, the gate is asked again when each mail is built, the mail carries the
 * one-click unsubscribe and the tracking only with lead_scoring, and a mail claimed before a
 * crash is not sent again. */
#include <fcntl.h>
#include <unistd.h>

#include "testlib.h"

#include "util/sktime.h"

#define T0 1767225600 /* 2026-01-01 */

static const char *const spec_ok =
	"{\"name\": \"Spring\", \"purpose\": \"newsletter\","
	" \"segment\": {\"fields\": {\"first_name\": \"Anna\"}},"
	" \"subject\": {\"sv\": \"Hej {{first_name}}\", \"en\": \"Hello {{ first_name }}\"},"
	" \"text\": {\"sv\": \"Hej {{first_name}}! Läs {{link:1}}\","
	" \"en\": \"Hi {{first_name}}! Read {{link:1}}\"},"
	" \"html\": {\"en\": \"<p>Hi {{first_name}}! <a href=\\\"{{link:1}}\\\">Read</a></p>\"},"
	" \"links\": [\"https://www.example.com/news?x=1#top\"],"
	" \"utm\": {\"source\": \"newsletter\", \"medium\": \"email\", \"campaign\": \"spring 26\"}}";

static void add(struct tenv *t, const char *email, const char *first, const char *purpose,
		enum sk_action action, int64_t at)
{
	char id[SK_ID_LEN + 1];
	struct sk_field_value f[] = {{"first_name", first}};
	int rc = sk_contact_add(t->core, email, f, first ? 1 : 0, id, &t->err);
	assert_true(rc == 0 || rc == SK_ERR_EXISTS);
	if (purpose)
		assert_int_equal(t_consent(t, email, purpose, action, "api", "test", at), 0);
}

static int create(struct tenv *t, const char *json, char id[SK_ID_LEN + 1])
{
	sk_errctx_reset(&t->err);
	return sk_campaign_create(t->core, json, T0 + 100, id, &t->err);
}

static void create_refuses_with_the_reason(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char id[SK_ID_LEN + 1];
	static const struct {
		const char *json, *says;
		int rc;
	} bad[] = {
		{"not json", "not JSON", SK_ERR_INVALID},
		{"{\"name\": \"x\", \"purpose\": \"nope\", \"subject\": {\"en\": \"s\"},"
		 " \"text\": {\"en\": \"t\"}}", "nope", SK_ERR_UNKNOWN_PURPOSE},
		{"{\"name\": \"x\", \"purpose\": \"lead_scoring\", \"subject\": {\"en\": \"s\"},"
		 " \"text\": {\"en\": \"t\"}}", "communication", SK_ERR_INVALID},
		/* a field the policy declares, but newsletter does not list */
		{"{\"name\": \"x\", \"purpose\": \"newsletter\", \"subject\": {\"en\": \"s\"},"
		 " \"text\": {\"en\": \"Hi {{company}}\"}}", "merge field company", SK_ERR_INVALID},
		{"{\"name\": \"x\", \"purpose\": \"newsletter\", \"subject\": {\"en\": \"s\"},"
		 " \"text\": {\"en\": \"t\"}, \"html\": {\"en\": \"{{shoe_size}}\"}}",
		 "html.en: merge field shoe_size", SK_ERR_INVALID},
		{"{\"name\": \"x\", \"purpose\": \"newsletter\", \"subject\": {\"en\": \"s {{first_name}\"},"
		 " \"text\": {\"en\": \"t\"}}", "without its }}", SK_ERR_INVALID},
		{"{\"name\": \"x\", \"purpose\": \"newsletter\", \"subject\": {\"en\": \"s\"},"
		 " \"text\": {\"en\": \"{{link:2}}\"}, \"links\": [\"https://www.example.com/\"]}",
		 "link:2", SK_ERR_INVALID},
		{"{\"name\": \"x\", \"purpose\": \"newsletter\", \"subject\": {\"en\": \"s\"},"
		 " \"text\": {\"en\": \"t\"}, \"links\": [\"javascript:alert(1)\"]}", "links[0]",
		 SK_ERR_INVALID},
		{"{\"name\": \"x\", \"purpose\": \"newsletter\", \"subject\": {\"en\": \"s\"}}",
		 "plain text", SK_ERR_INVALID},
		{"{\"name\": \"x\", \"purpose\": \"newsletter\", \"subject\": {\"en\": \"a\\nBcc: x\"},"
		 " \"text\": {\"en\": \"t\"}}", "one line", SK_ERR_INVALID},
		{"{\"name\": \"x\", \"purpose\": \"newsletter\", \"subject\": {\"en\": \"s\"},"
		 " \"text\": {\"en\": \"t\"}, \"segment\": {\"fields\": {\"company\": \"A\"}}}",
		 "segment.fields: company", SK_ERR_INVALID},
		{"{\"name\": \"x\", \"purpose\": \"newsletter\", \"subject\": {\"de\": \"s\"},"
		 " \"text\": {\"en\": \"t\"}}", "de", SK_ERR_INVALID},
		{"{\"name\": \"x\", \"purpose\": \"newsletter\", \"subject\": {\"en\": \"s\"},"
		 " \"text\": {\"en\": \"t\"}, \"utm\": {\"evil\": \"x\"}}", "utm.evil", SK_ERR_INVALID},
		{"{\"name\": \"x\", \"purpose\": \"newsletter\", \"subject\": {\"en\": \"s\"},"
		 " \"text\": {\"en\": \"t\"}, \"links\": [\"https://www.example.com/\"],"
		 " \"utm\": {\"source\": \"nl\"}}", "utm (links[0])", SK_ERR_INVALID},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = create(t, bad[i].json, id);
		if (rc != bad[i].rc || !strstr(t->err.msg, bad[i].says))
			fail_msg("case %zu: %d %s", i, rc, t->err.msg);
	}
	/* a link whose built form (with the UTM values) leaves no room in a redirect for the
	 * visitor token is refused at create: a click on it could not be answered */
	char longjson[2048], path[1024];
	memset(path, 'a', 780);
	path[780] = '\0';
	snprintf(longjson, sizeof(longjson), "{\"name\": \"x\", \"purpose\": \"newsletter\","
		 " \"subject\": {\"en\": \"s\"}, \"text\": {\"en\": \"{{link:1}}\"},"
		 " \"links\": [\"https://www.example.com/%s\"], \"utm\": {\"source\": \"nl\","
		 " \"medium\": \"email\", \"campaign\": \"spring\"}}", path);
	assert_int_equal(create(t, longjson, id), SK_ERR_INVALID);
	assert_non_null(strstr(t->err.msg, "links[0]: with the UTM values longer than"));
	/* the same link without UTM values fits */
	snprintf(longjson, sizeof(longjson), "{\"name\": \"x\", \"purpose\": \"newsletter\","
		 " \"subject\": {\"en\": \"s\"}, \"text\": {\"en\": \"{{link:1}}\"},"
		 " \"links\": [\"https://www.example.com/%s\"]}", path);
	assert_int_equal(create(t, longjson, id), 0);
	/* the same field is fine where the purpose lists it */
	assert_int_equal(create(t, "{\"name\": \"x\", \"purpose\": \"offers\", \"subject\": "
				   "{\"en\": \"s\"}, \"text\": {\"en\": \"Hi {{company}}\"}}", id), 0);
	assert_int_equal(create(t, spec_ok, id), 0);
	struct sk_campaign_rec rec;
	assert_int_equal(sk_campaign_get(t->core, id, &rec, &t->err), 0);
	assert_string_equal(rec.status, "draft");
	assert_string_equal(rec.purpose, "newsletter");
	sk_free(rec.spec);
	tenv_free(t);
}

/* The crafted audience of newsletter: a and h allowed in the segment, b allowed outside it,
 * c withdrawn, d refused, e suppressed, f with no consent for it. */
static void crafted(struct tenv *t)
{
	add(t, "a@example.com", "Anna", "newsletter", SK_ACT_GIVE, T0);
	add(t, "b@example.com", "Bo", "newsletter", SK_ACT_GIVE, T0);
	add(t, "c@example.com", "Anna", "newsletter", SK_ACT_GIVE, T0);
	assert_int_equal(t_consent(t, "c@example.com", "newsletter", SK_ACT_WITHDRAW, "api", "t",
				   T0 + 1), 0);
	add(t, "d@example.com", "Anna", "newsletter", SK_ACT_REFUSE, T0);
	add(t, "e@example.com", "Anna", "newsletter", SK_ACT_GIVE, T0);
	assert_int_equal(sk_suppress(t->core, "e@example.com", "bounced", &t->err), 0);
	add(t, "f@example.com", "Anna", "offers", SK_ACT_GIVE, T0);
}

static void preview_counts_by_reason(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char id[SK_ID_LEN + 1];
	struct sk_audience a;
	crafted(t);
	assert_int_equal(create(t, spec_ok, id), 0);
	assert_int_equal(sk_campaign_preview(t->core, id, T0 + 200, &a, &t->err), 0);
	assert_int_equal(a.contacts, 6);
	assert_int_equal(a.allowed, 1);
	assert_int_equal(a.segment, 1);
	assert_int_equal(a.by_reason[SK_RSN_CONSENT], 1);
	assert_int_equal(a.by_reason[SK_RSN_WITHDRAWN], 1);
	assert_int_equal(a.by_reason[SK_RSN_REFUSED], 1);
	assert_int_equal(a.by_reason[SK_RSN_SUPPRESSED], 1);
	assert_int_equal(a.by_reason[SK_RSN_NO_CONSENT], 1);
	/* the plain audience has both allowed: the segment only narrows it */
	assert_int_equal(sk_audience(t->core, "newsletter", T0 + 200, &a, &t->err), 0);
	assert_int_equal(a.allowed, 2);
	assert_int_equal(sk_campaign_preview(t->core, "g_nope", T0, &a, &t->err),
			 SK_ERR_NOT_FOUND);
	tenv_free(t);
}

static long outbox_rows(struct tenv *t)
{
	return t_db_int(t->db, "SELECT count(*) FROM mail_outbox WHERE kind = 'campaign'");
}

static void send_queues_each_once(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char id[SK_ID_LEN + 1];
	long queued = -1;
	struct sk_campaign_status st;
	crafted(t);
	assert_int_equal(create(t, spec_ok, id), 0);
	assert_int_equal(sk_campaign_send(t->core, id, T0 + 200, &queued, &t->err), 0);
	assert_int_equal(queued, 1);
	assert_int_equal(outbox_rows(t), 1);
	/* again (a crash before it finished, or twice by mistake): nobody twice */
	assert_int_equal(sk_campaign_send(t->core, id, T0 + 300, &queued, &t->err), 0);
	assert_int_equal(queued, 0);
	assert_int_equal(outbox_rows(t), 1);
	/* someone who joined since is added */
	add(t, "h@example.com", "Anna", "newsletter", SK_ACT_GIVE, T0 + 250);
	assert_int_equal(sk_campaign_send(t->core, id, T0 + 300, &queued, &t->err), 0);
	assert_int_equal(queued, 1);
	assert_int_equal(outbox_rows(t), 2);
	assert_int_equal(sk_campaign_status(t->core, id, &st, &t->err), 0);
	assert_int_equal(st.queued, 2);
	assert_int_equal(st.sent + st.skipped + st.failed, 0);
	struct sk_campaign_rec rec;
	assert_int_equal(sk_campaign_get(t->core, id, &rec, &t->err), 0);
	assert_string_equal(rec.status, "queued");
	sk_free(rec.spec);
	/* campaign mail does not count against a person's form mails of the day */
	assert_int_equal(t_mails_to(t, "a@example.com"), 0);
	/* the send log is in the person's access export */
	char cid[SK_ID_LEN + 1];
	struct sk_access_export x;
	assert_int_equal(sk_contact_find(t->core, "a@example.com", cid, &t->err), 0);
	assert_int_equal(sk_export(t->core, cid, "en", &x, &t->err), 0);
	assert_int_equal(x.nsends, 1);
	assert_string_equal(x.sends[0].campaign_id, id);
	assert_string_equal(x.sends[0].state, "queued");
	sk_access_export_reset(&x);
	tenv_free(t);
}

/* A withdrawal between the send and the mail's turn: the mail is not built, the row says
 * why. */
static void gate_asked_at_send_time(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char id[SK_ID_LEN + 1];
	struct sk_outgoing m;
	struct sk_campaign_status st;
	add(t, "a@example.com", "Anna", "newsletter", SK_ACT_GIVE, T0);
	add(t, "h@example.com", "Anna", "newsletter", SK_ACT_GIVE, T0);
	assert_int_equal(create(t, spec_ok, id), 0);
	assert_int_equal(sk_campaign_send(t->core, id, T0 + 200, NULL, &t->err), 0);
	assert_int_equal(t_consent(t, "a@example.com", "newsletter", SK_ACT_WITHDRAW, "api", "t",
				   T0 + 300), 0);
	assert_int_equal(sk_outbox_take(t->core, "https://consent.example.com", T0 + 400, &m,
					&t->err), 0);
	assert_non_null(strstr(m.to, "h@example.com"));
	assert_int_equal(sk_outbox_done(t->core, &m, 0, NULL, T0 + 401, &t->err), 0);
	sk_outgoing_reset(&m);
	assert_int_equal(sk_outbox_take(t->core, "https://consent.example.com", T0 + 402, &m,
					&t->err), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_campaign_status(t->core, id, &st, &t->err), 0);
	assert_int_equal(st.sent, 1);
	assert_int_equal(st.skipped, 1);
	assert_int_equal(st.skipped_by[SK_RSN_WITHDRAWN], 1);
	assert_int_equal(st.queued, 0);
	tenv_free(t);
}

/* What a mail holds: merged (escaped in HTML), the unsubscribe link in the header and the
 * body, the preference link; tracking (pixel, click links) only with lead_scoring. */
static void mail_holds_links_and_tracking_only_with_lead_scoring(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char id[SK_ID_LEN + 1];
	struct sk_outgoing m[2];
	add(t, "plain@example.com", "Anna", "newsletter", SK_ACT_GIVE, T0);
	add(t, "lead@example.com", "Anna", "newsletter", SK_ACT_GIVE, T0);
	assert_int_equal(t_consent(t, "lead@example.com", "lead_scoring", SK_ACT_GIVE, "api", "t",
				   T0), 0);
	add(t, "esc@example.com", "<b>Anna</b>", "newsletter", SK_ACT_GIVE, T0);
	assert_int_equal(create(t, "{\"name\": \"x\", \"purpose\": \"newsletter\","
				   " \"subject\": {\"en\": \"Hello {{first_name}}\"},"
				   " \"text\": {\"en\": \"Hi {{first_name}}! {{link:1}}\"},"
				   " \"html\": {\"en\": \"<p>{{first_name}} <a href=\\\"{{link:1}}\\\">"
				   "x</a></p>\"}, \"links\": [\"https://www.example.com/n?x=1#top\"],"
				   " \"utm\": {\"source\": \"nl\", \"medium\": \"email\","
				   " \"campaign\": \"Spring 26\"}}", id),
			 0);
	assert_int_equal(sk_campaign_send(t->core, id, T0 + 200, NULL, &t->err), 0);
	int seen = 0;
	for (int i = 0; i < 3; i++) {
		struct sk_outgoing x;
		assert_int_equal(sk_outbox_take(t->core, "https://consent.example.com", T0 + 300,
						&x, &t->err), 0);
		assert_int_equal(x.campaign, 1);
		assert_non_null(x.list_unsub);
		assert_true(strncmp(x.list_unsub, "<https://consent.example.com/u/", 31) == 0);
		/* the same link visible in the body, and the preference centre's */
		char u[256];
		snprintf(u, sizeof(u), "%.*s", (int)(strchr(x.list_unsub, '>') - x.list_unsub - 1),
			 x.list_unsub + 1);
		assert_non_null(strstr(x.text, u));
		assert_non_null(strstr(x.text, "https://consent.example.com/p/"));
		assert_non_null(strstr(x.html, "https://consent.example.com/p/"));
		if (strstr(x.to, "esc@")) {
			assert_string_equal(x.subject, "Hello <b>Anna</b>");
			assert_non_null(strstr(x.text, "Hi <b>Anna</b>!"));
			assert_non_null(strstr(x.html, "<p>&lt;b&gt;Anna&lt;/b&gt; <a"));
			seen |= 4;
		} else if (strstr(x.to, "lead@")) {
			assert_non_null(strstr(x.html, "https://consent.example.com/o/"));
			assert_non_null(strstr(x.text, "https://consent.example.com/l/"));
			assert_null(strstr(x.text, "www.example.com/n"));
			m[1] = x;
			seen |= 2;
			continue;
		} else {
			assert_null(strstr(x.html, "/o/"));
			assert_null(strstr(x.text, "/l/"));
			assert_non_null(strstr(x.text, "https://www.example.com/n?x=1&utm_source=nl"
						       "&utm_medium=email&utm_campaign=spring%2026#top"));
			m[0] = x;
			seen |= 1;
			continue;
		}
		sk_outgoing_reset(&x);
	}
	assert_int_equal(seen, 7);
	/* the click link of the tracked mail leads to the target with the UTM values; a link
	 * with its index changed is refused (never an open redirect) */
	char *l = strstr(m[1].text, "https://consent.example.com/l/") + 30, tok[256], target[SK_CAMPAIGN_URL_MAX];
	size_t n = strcspn(l, " \n");
	snprintf(tok, sizeof(tok), "%.*s", (int)n, l);
	assert_int_equal(sk_campaign_click(t->core, tok, "192.0.2.1", T0 + 400, target, &t->err), 0);
	assert_string_equal(target, "https://www.example.com/n?x=1&utm_source=nl&utm_medium=email"
				    "&utm_campaign=spring%2026#top");
	tok[3] ^= 1;
	assert_int_equal(sk_campaign_click(t->core, tok, NULL, T0 + 400, target, &t->err),
			 SK_ERR_INVALID);
	char *o = strstr(m[1].html, "/o/") + 3, otok[256];
	snprintf(otok, sizeof(otok), "%.*s", (int)strcspn(o, "\""), o);
	assert_int_equal(sk_campaign_open(t->core, otok, NULL, T0 + 400, &t->err), 0);
	/* an open token is not a click token */
	assert_int_equal(sk_campaign_click(t->core, otok, NULL, T0 + 400, target, &t->err),
			 SK_ERR_INVALID);
	/* the open and the click were recorded for the person, through the tracking call */
	char lead_id[SK_ID_LEN + 1];
	struct sk_score sc;
	assert_int_equal(sk_contact_find(t->core, "lead@example.com", lead_id, &t->err), 0);
	assert_int_equal(sk_score_get(t->core, lead_id, T0 + 401, &sc, &t->err), 0);
	assert_true(sc.has);
	assert_int_equal(sc.nevents, 2);
	/* a score segment: only the person with a score in range (the click's 5 points and the
	 * open's 1), active within the days; the others have no score */
	char sid[SK_ID_LEN + 1];
	struct sk_audience a;
	assert_int_equal(create(t, "{\"name\": \"s\", \"purpose\": \"newsletter\","
				   " \"subject\": {\"en\": \"s\"}, \"text\": {\"en\": \"t\"},"
				   " \"segment\": {\"score_min\": 5, \"active_within_days\": 1}}", sid),
			 0);
	assert_int_equal(sk_campaign_preview(t->core, sid, T0 + 402, &a, &t->err), 0);
	assert_int_equal(a.allowed, 1);
	assert_int_equal(a.segment, 2);
	/* ten days later it was not active within one day */
	assert_int_equal(sk_campaign_preview(t->core, sid, T0 + 10 * 86400, &a, &t->err), 0);
	assert_int_equal(a.allowed, 0);
	assert_int_equal(create(t, "{\"name\": \"s\", \"purpose\": \"newsletter\","
				   " \"subject\": {\"en\": \"s\"}, \"text\": {\"en\": \"t\"},"
				   " \"segment\": {\"score_max\": 3}}", sid), 0);
	assert_int_equal(sk_campaign_preview(t->core, sid, T0 + 402, &a, &t->err), 0);
	assert_int_equal(a.allowed, 0);
	assert_int_equal(a.segment, 3);
	sk_outgoing_reset(&m[0]);
	sk_outgoing_reset(&m[1]);
	tenv_free(t);
}

/* Anna (newsletter given at T0) is sent a campaign at T0 + 200, its mail taken at T0 + 300:
 * the unsubscribe token of its List-Unsubscribe header into token (256 bytes). */
static void mailed_unsub_token(struct tenv *t, char *token)
{
	char id[SK_ID_LEN + 1];
	struct sk_outgoing m;
	add(t, "a@example.com", "Anna", "newsletter", SK_ACT_GIVE, T0);
	assert_int_equal(create(t, spec_ok, id), 0);
	assert_int_equal(sk_campaign_send(t->core, id, T0 + 200, NULL, &t->err), 0);
	assert_int_equal(sk_outbox_take(t->core, "https://c.example.com", T0 + 300, &m, &t->err),
			 0);
	snprintf(token, 256, "%.*s", (int)(strchr(m.list_unsub, '>') - m.list_unsub - 25),
		 m.list_unsub + 25);
	sk_outgoing_reset(&m);
}

static void unsubscribe_withdraws(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char token[256], purpose[SK_PURPOSE_MAX];
	struct sk_send_rec row;
	mailed_unsub_token(t, token);
	assert_string_equal(t_gate(t, "a@example.com", "newsletter", T0 + 400), "consent");
	/* forged: nothing changes */
	char forged[256];
	sk_strlcpy(forged, token, sizeof(forged));
	forged[strlen(forged) - 2] ^= 1;
	assert_int_equal(sk_campaign_unsubscribe(t->core, forged, T0 + 400, &t->err),
			 SK_ERR_INVALID);
	assert_int_equal(sk_campaign_unsubscribe(t->core, "", T0 + 400, &t->err), SK_ERR_INVALID);
	assert_string_equal(t_gate(t, "a@example.com", "newsletter", T0 + 400), "consent");
	/* expired: nothing changes */
	assert_int_equal(sk_campaign_unsubscribe(t->core, token,
						 T0 + 300 + SK_CAMPAIGN_TOKEN_DAYS * 86400LL + 1,
						 &t->err), SK_ERR_EXPIRED);
	assert_string_equal(t_gate(t, "a@example.com", "newsletter", T0 + 400), "consent");
	assert_int_equal(sk_campaign_unsub_check(t->core, token, T0 + 400, &row, purpose, &t->err),
			 0);
	assert_string_equal(purpose, "newsletter");
	assert_int_equal(sk_campaign_unsubscribe(t->core, token, T0 + 400, &t->err), 0);
	assert_string_equal(t_gate(t, "a@example.com", "newsletter", T0 + 500), "withdrawn");
	long events = t_ledger_count(t, row.contact_id);
	/* a repeat records nothing more */
	assert_int_equal(sk_campaign_unsubscribe(t->core, token, T0 + 450, &t->err), 0);
	assert_int_equal(t_ledger_count(t, row.contact_id), events);
	assert_int_equal(t_db_int(t->db, "SELECT count(*) FROM consent_ledger WHERE"
					 " method = 'one_click' AND action = 'withdraw'"), 1);
	/* erased: the token names nobody any more */
	struct sk_erasure_receipt receipt;
	assert_int_equal(sk_forget(t->core, row.contact_id, &receipt, &t->err), 0);
	assert_int_equal(sk_campaign_unsubscribe(t->core, token, T0 + 600, &t->err),
			 SK_ERR_INVALID);
	assert_int_equal(t_db_int(t->db, "SELECT count(*) FROM campaign_sends"), 0);
	tenv_free(t);
}

/* A key rotation after the mail went out: its unsubscribe link still withdraws (the old token
 * key is carried for the links that take consent away; test_vault's rotation_keys shows the
 * limits: only through the carried check, and never a life longer than the old links'). */
static void unsubscribe_survives_key_rotation(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char token[256], purpose[SK_PURPOSE_MAX];
	struct sk_send_rec row;
	struct sk_master_key_report r;
	mailed_unsub_token(t, token);
	assert_int_equal(sk_master_key_rotate(t->core, NULL, &r, &t->err), 0);
	assert_int_equal(sk_campaign_unsub_check(t->core, token, T0 + 400, &row, purpose, &t->err),
			 0);
	assert_int_equal(sk_campaign_unsubscribe(t->core, token, T0 + 400, &t->err), 0);
	assert_string_equal(t_gate(t, "a@example.com", "newsletter", T0 + 500), "withdrawn");
	tenv_free(t);
}

/* A mail claimed and not known to be sent (the process died): not sent again. */
static void claimed_mail_is_not_sent_twice(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char id[SK_ID_LEN + 1];
	struct sk_outgoing m;
	struct sk_campaign_status st;
	add(t, "a@example.com", "Anna", "newsletter", SK_ACT_GIVE, T0);
	assert_int_equal(create(t, spec_ok, id), 0);
	assert_int_equal(sk_campaign_send(t->core, id, T0 + 200, NULL, &t->err), 0);
	assert_int_equal(sk_outbox_take(t->core, "https://c.example.com", T0 + 300, &m, &t->err),
			 0);
	sk_outgoing_reset(&m); /* ... and the process dies before it knows */
	assert_int_equal(sk_outbox_take(t->core, "https://c.example.com", T0 + 3600, &m, &t->err),
			 SK_ERR_NOT_FOUND);
	assert_int_equal(sk_campaign_status(t->core, id, &st, &t->err), 0);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.sent + st.queued + st.sending, 0);
	assert_int_equal(t_db_int(t->db, "SELECT count(*) FROM campaign_sends WHERE"
					 " reason = 'interrupted'"), 1);
	tenv_free(t);
}

/* A campaign whose first link goes to a banner origin's page, its second to a third party. */
static const char spec_two_links[] = "{\"name\": \"x\", \"purpose\": \"newsletter\","
				     " \"subject\": {\"en\": \"s\"},"
				     " \"text\": {\"en\": \"{{link:1}} {{link:2}}\"},"
				     " \"links\": [\"https://www.example.com/n\","
				     " \"https://other.example.net/x\"]}";

/* The click tokens of the first two tracked links of the one mail queued. */
static void click_tokens(struct tenv *t, const char *id, int64_t now, char tok[2][256])
{
	struct sk_outgoing x;
	static const char pat[] = "https://consent.example.com/l/";
	assert_int_equal(sk_campaign_send(t->core, id, now, NULL, &t->err), 0);
	assert_int_equal(sk_outbox_take(t->core, "https://consent.example.com", now + 1, &x,
					&t->err), 0);
	const char *l = x.text;
	for (int i = 0; i < 2; i++) {
		l = strstr(l, pat);
		assert_non_null(l);
		l += strlen(pat);
		snprintf(tok[i], 256, "%.*s", (int)strcspn(l, " \n"), l);
	}
	sk_outgoing_reset(&x);
}

/* A click carries a visitor token (#sk_vt=) only to a page of a banner origin and only while
 * the gate allows lead_scoring for the person: never to a third party, never after a
 * withdrawal (the click token itself lives 400 days); the visitor token is short-lived. */
static void visitor_token_only_with_lead_scoring_to_own_site(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char id[SK_ID_LEN + 1], tok[2][256], target[SK_CAMPAIGN_URL_MAX];
	add(t, "lead@example.com", "Anna", "newsletter", SK_ACT_GIVE, T0);
	assert_int_equal(t_consent(t, "lead@example.com", "lead_scoring", SK_ACT_GIVE, "api", "t",
				   T0), 0);
	assert_int_equal(create(t, spec_two_links, id), 0);
	click_tokens(t, id, T0 + 200, tok);
	assert_int_equal(sk_campaign_click(t->core, tok[0], NULL, T0 + 400, target, &t->err), 0);
	char *vt = strstr(target, "#sk_vt=");
	assert_non_null(vt);
	assert_int_equal(strncmp(target, "https://www.example.com/n#sk_vt=", 32), 0);
	/* the token ties a visitor that gave something within 30 minutes, not later */
	char version[SK_BANNER_VERSION_LEN + 1], vid[SK_ID_LEN + 1];
	assert_int_equal(sk_banner_version(t->core, SK_LANG_EN, version, &t->err), 0);
	struct sk_visitor_choice ch[] = {{"ip_tracking", 1}, {"lead_scoring", 1}};
	struct sk_visitor_answer_in in = {.lang = "en", .version = version, .choices = ch,
					  .nchoices = 2, .signal = "click"};
	assert_int_equal(sk_visitor_answer(t->core, &in, T0 + 401, vid, &t->err), 0);
	assert_int_equal(sk_visitor_identify_token(t->core, vid, vt + 7, T0 + 400 + 30 * 60 + 1,
						   NULL, &t->err), SK_ERR_INVALID);
	assert_int_equal(sk_visitor_identify_token(t->core, vid, vt + 7, T0 + 402, NULL, &t->err),
			 0);
	/* a third-party target gets none */
	assert_int_equal(sk_campaign_click(t->core, tok[1], NULL, T0 + 403, target, &t->err), 0);
	assert_string_equal(target, "https://other.example.net/x");
	/* after a withdrawal of lead_scoring the same link gets none */
	assert_int_equal(t_consent(t, "lead@example.com", "lead_scoring", SK_ACT_WITHDRAW, "api",
				   "t", T0 + 500), 0);
	assert_int_equal(sk_campaign_click(t->core, tok[0], NULL, T0 + 600, target, &t->err), 0);
	assert_string_equal(target, "https://www.example.com/n");
	tenv_free(t);
}

/* The reviewer's case (issue 17, H3): whoever holds only the retired key file can sign click
 * and open links. After a rotation such a link still redirects (a mail queued before it
 * keeps working) but records nothing and hands out no visitor token that /v/identify could
 * tie to the person; and for a mail queued after the rotation it is not valid at all. */
static void retired_key_click_only_redirects(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char id[SK_ID_LEN + 1], tok[2][256], target[SK_CAMPAIGN_URL_MAX], oldkey[160];
	char subject[SK_TOKEN_MAX], forged[SK_TOKEN_MAX];
	struct sk_master_key_report r;
	struct sk_vault *old = NULL;
	add(t, "lead@example.com", "Anna", "newsletter", SK_ACT_GIVE, T0);
	assert_int_equal(t_consent(t, "lead@example.com", "lead_scoring", SK_ACT_GIVE, "api", "t",
				   T0), 0);
	assert_int_equal(create(t, spec_two_links, id), 0);
	click_tokens(t, id, T0 + 200, tok); /* signed by the key about to be retired */
	/* the retired key file, as a thief would keep it */
	snprintf(oldkey, sizeof(oldkey), "%s/old.key", t->dir);
	size_t klen = 0;
	char *kf = t_read_file(t->key, &klen);
	int fd = open(oldkey, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, kf, klen), (ssize_t)klen);
	close(fd);
	free(kf);
	assert_int_equal(sk_vault_open(oldkey, &old, &t->err), 0);
	assert_int_equal(sk_master_key_rotate(t->core, NULL, &r, &t->err), 0);

	assert_int_equal(sk_campaign_click(t->core, tok[0], NULL, T0 + 400, target, &t->err), 0);
	assert_string_equal(target, "https://www.example.com/n"); /* no #sk_vt= */
	assert_int_equal(t_db_int(t->db, "SELECT count(*) FROM track_events"), 0);
	/* an open pixel signed by the retired key: shown, not recorded */
	assert_int_equal(sk_vault_token_verify_carried(t->vault, SK_CAMPAIGN_LINK_TAG, tok[0],
						       T0 + 400, subject, NULL, NULL), 0);
	*strrchr(subject, '.') = '\0';
	assert_int_equal(sk_vault_token_sign(old, SK_CAMPAIGN_OPEN_TAG, subject, T0 + 86400,
					     forged), 0);
	assert_int_equal(sk_campaign_open(t->core, forged, NULL, T0 + 401, &t->err), 0);
	assert_int_equal(t_db_int(t->db, "SELECT count(*) FROM track_events"), 0);

	/* a mail queued after the rotation: the new key signs its links; one signed with the
	 * retired key for its row is refused */
	int64_t after = sk_time_now() + 100;
	char id2[SK_ID_LEN + 1], tok2[2][256];
	assert_int_equal(create(t, spec_two_links, id2), 0);
	click_tokens(t, id2, after, tok2);
	assert_int_equal(sk_vault_token_verify(t->vault, SK_CAMPAIGN_LINK_TAG, tok2[0], after + 1,
					       subject, NULL), 0);
	assert_int_equal(sk_vault_token_sign(old, SK_CAMPAIGN_LINK_TAG, subject, after + 86400,
					     forged), 0);
	assert_int_equal(sk_campaign_click(t->core, forged, NULL, after + 2, target, &t->err),
			 SK_ERR_INVALID);
	/* its own (new key) link works and counts */
	assert_int_equal(sk_campaign_click(t->core, tok2[0], NULL, after + 3, target, &t->err), 0);
	assert_non_null(strstr(target, "#sk_vt="));
	assert_int_equal(t_db_int(t->db, "SELECT count(*) FROM track_events"), 1);
	sk_vault_free(old);
	tenv_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(create_refuses_with_the_reason),
		cmocka_unit_test(preview_counts_by_reason),
		cmocka_unit_test(send_queues_each_once),
		cmocka_unit_test(gate_asked_at_send_time),
		cmocka_unit_test(mail_holds_links_and_tracking_only_with_lead_scoring),
		cmocka_unit_test(unsubscribe_withdraws),
		cmocka_unit_test(unsubscribe_survives_key_rotation),
		cmocka_unit_test(claimed_mail_is_not_sent_twice),
		cmocka_unit_test(visitor_token_only_with_lead_scoring_to_own_site),
		cmocka_unit_test(retired_key_click_only_redirects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
