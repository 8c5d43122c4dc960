/* test_visitor.c: the visitor banner's core (core/visitor.c) on a real store: the policy's
 * banner section and site origins, answers and their checks (nothing stored on error), the
 * version hash, what a visitor may be used for, the signed token, carrying answers to a
 * contact with the contact's own later event winning, the gate after the tie, failing
 * closed, erasure and purge. */
#include "testlib.h"

#include <jansson.h>

#include "render/page.h"
#include "render/render.h"
#include "util/sktime.h"

#define DAY 86400

static int64_t count_answers(struct tenv *t, const char *vid)
{
	struct sk_visitor_view v;
	if (sk_visitor_get(t->core, vid, &v, &t->err))
		return -1;
	int64_t n = (int64_t)v.nanswers;
	sk_visitor_view_reset(&v);
	return n;
}

/* Records an answer in en with the current version; returns the code, the id in vid. */
static int answer(struct tenv *t, const char *vid_in, int ip, int ls, const char *signal,
		  int64_t now, char vid[SK_ID_LEN + 1])
{
	char version[SK_BANNER_VERSION_LEN + 1];
	assert_int_equal(sk_banner_version(t->core, SK_LANG_EN, version, &t->err), 0);
	struct sk_visitor_choice ch[] = {{"ip_tracking", ip}, {"lead_scoring", ls}};
	struct sk_visitor_answer_in in = {.visitor_id = vid_in, .lang = "en", .version = version,
					  .choices = ch, .nchoices = 2,
					  .page = "https://www.example.com/pricing?utm_source=x#top",
					  .signal = signal, .user_agent = "Mozilla/5.0 (X11; Linux)"};
	return sk_visitor_answer(t->core, &in, now, vid, &t->err);
}

static int given(struct tenv *t, const char *vid, const char *purpose, int64_t now)
{
	int g = -1;
	assert_int_equal(sk_visitor_given(t->core, vid, purpose, now, &g, &t->err), 0);
	return g;
}

static void policy_banner(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	const struct sk_policy *p = t->core->policy;
	assert_true(p->banner.present);
	assert_int_equal(p->banner.npurposes, 2); /* the defaults: ip_tracking, lead_scoring */
	assert_string_equal(p->banner.purposes[0], "ip_tracking");
	assert_string_equal(p->banner.purposes[1], "lead_scoring");
	assert_true(sk_policy_site_origin_allowed(p, "https://www.example.com"));
	assert_false(sk_policy_site_origin_allowed(p, "https://www.example.com:444"));
	assert_false(sk_policy_site_origin_allowed(p, "http://www.example.com"));
	assert_false(sk_policy_site_origin_allowed(p, "https://evil.example"));
	assert_false(sk_policy_site_origin_allowed(p, NULL));
	/* only purposes on consent of kind tracking or profiling */
	size_t len;
	char *policy = t_example_policy(&len);
	assert_int_not_equal(t_apply_text(t, t_policy_with(policy, "  origins: [https://www.example.com]\n",
		"  origins: [https://www.example.com]\n  purposes: [newsletter]\n")), 0);
	assert_non_null(strstr(t->err.msg, "tracking or profiling"));
	assert_int_not_equal(t_apply_text(t, t_policy_with(policy, "  origins: [https://www.example.com]\n",
		"  origins: [https://www.example.com/]\n")), 0);
	assert_int_equal(t_apply_text(t, t_policy_with(policy, "  origins: [https://www.example.com]\n",
		"  origins: [https://www.example.com]\n  purposes: [lead_scoring]\n")), 0);
	assert_int_equal(t->core->policy->banner.npurposes, 1);
	/* without a banner, no origin is allowed */
	char *cut = strdup(policy);
	*strstr(cut, "\nbanner:") = '\0';
	assert_int_equal(t_apply_text(t, cut), 0);
	assert_false(sk_policy_site_origin_allowed(t->core->policy, "https://www.example.com"));
	free(cut);
	free(policy);
	tenv_free(t);
}

static void version_hash(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char sv[SK_BANNER_VERSION_LEN + 1], en[SK_BANNER_VERSION_LEN + 1],
		en2[SK_BANNER_VERSION_LEN + 1];
	assert_int_equal(sk_banner_version(t->core, SK_LANG_SV, sv, &t->err), 0);
	assert_int_equal(sk_banner_version(t->core, SK_LANG_EN, en, &t->err), 0);
	assert_int_equal(strlen(en), 64);
	assert_string_not_equal(sv, en);
	size_t len;
	char *policy = t_example_policy(&len);
	/* a changed intro text is a new version */
	assert_int_equal(t_apply_text(t, t_policy_with(policy, "We would like to know",
						       "We would love to know")), 0);
	assert_int_equal(sk_banner_version(t->core, SK_LANG_EN, en2, &t->err), 0);
	assert_string_not_equal(en, en2);
	/* a changed notice of a banner purpose is one too */
	assert_int_equal(t_apply_text(t, policy), 0);
	assert_int_equal(sk_banner_version(t->core, SK_LANG_EN, en2, &t->err), 0);
	char en3[SK_BANNER_VERSION_LEN + 1];
	assert_int_equal(t_apply_text(t, t_policy_with(policy, "Exempel AB records the IP address",
						       "Exempel AB stores the IP address")), 0);
	assert_int_equal(sk_banner_version(t->core, SK_LANG_EN, en3, &t->err), 0);
	assert_string_not_equal(en2, en3);
	free(policy);
	tenv_free(t);
}

static void answers_and_checks(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	int64_t now = sk_time_now();
	char vid[SK_ID_LEN + 1], v2[SK_ID_LEN + 1];
	assert_int_equal(answer(t, NULL, 1, 0, "click", now, vid), 0);
	assert_int_equal(strncmp(vid, "v_", 2), 0);
	assert_int_equal(strlen(vid), SK_ID_LEN);
	struct sk_visitor_view v;
	assert_int_equal(sk_visitor_get(t->core, vid, &v, &t->err), 0);
	assert_int_equal(v.nanswers, 2);
	assert_string_equal(v.answers[0].purpose, "ip_tracking");
	assert_string_equal(v.answers[0].action, "give");
	assert_string_equal(v.answers[1].action, "refuse");
	assert_string_equal(v.answers[0].page, "https://www.example.com/pricing");
	assert_string_equal(v.answers[0].signal, "click");
	assert_string_equal(v.answers[0].ua_class, "desktop");
	assert_string_equal(v.answers[0].lang, "en");
	assert_int_equal(strlen(v.answers[0].banner_version), 64);
	assert_true(v.answers[0].notice_version >= 1);
	assert_string_equal(v.visitor.contact_id, "");
	sk_visitor_view_reset(&v);
	assert_int_equal(given(t, vid, "ip_tracking", now), 1);
	assert_int_equal(given(t, vid, "lead_scoring", now), 0);
	/* a change of mind: the give becomes a withdrawal */
	assert_int_equal(answer(t, vid, 0, 0, "click", now + 10, v2), 0);
	assert_string_equal(v2, vid);
	assert_int_equal(given(t, vid, "ip_tracking", now + 10), 0);
	assert_int_equal(sk_visitor_get(t->core, vid, &v, &t->err), 0);
	assert_int_equal(v.nanswers, 4);
	assert_string_equal(v.answers[2].action, "withdraw");
	assert_string_equal(v.answers[3].action, "refuse");
	sk_visitor_view_reset(&v);

	/* every check fails with nothing stored */
	char version[SK_BANNER_VERSION_LEN + 1];
	assert_int_equal(sk_banner_version(t->core, SK_LANG_EN, version, &t->err), 0);
	struct sk_visitor_choice ch[] = {{"ip_tracking", 1}, {"newsletter", 1}};
	struct sk_visitor_answer_in in = {.visitor_id = vid, .lang = "en", .version = version,
					  .choices = ch, .nchoices = 2, .signal = "click"};
	char out[SK_ID_LEN + 1];
	assert_int_equal(sk_visitor_answer(t->core, &in, now, out, &t->err), SK_ERR_INVALID);
	assert_non_null(strstr(t->err.msg, "choices"));
	in.nchoices = 1;
	in.version = "0000000000000000000000000000000000000000000000000000000000000000";
	assert_int_equal(sk_visitor_answer(t->core, &in, now, out, &t->err), SK_ERR_INVALID);
	assert_non_null(strstr(t->err.msg, "version"));
	/* the sv version is not the en one */
	char sv[SK_BANNER_VERSION_LEN + 1];
	assert_int_equal(sk_banner_version(t->core, SK_LANG_SV, sv, &t->err), 0);
	in.version = sv;
	assert_int_equal(sk_visitor_answer(t->core, &in, now, out, &t->err), SK_ERR_INVALID);
	in.version = version;
	in.signal = "gpc"; /* a GPC answer gives nothing */
	assert_int_equal(sk_visitor_answer(t->core, &in, now, out, &t->err), SK_ERR_INVALID);
	assert_non_null(strstr(t->err.msg, "signal"));
	in.signal = "click";
	in.lang = "de";
	assert_int_equal(sk_visitor_answer(t->core, &in, now, out, &t->err), SK_ERR_INVALID);
	assert_non_null(strstr(t->err.msg, "lang"));
	in.lang = "en";
	in.page = "javascript:alert(1)";
	assert_int_equal(sk_visitor_answer(t->core, &in, now, out, &t->err), SK_ERR_INVALID);
	assert_non_null(strstr(t->err.msg, "page"));
	in.page = NULL;
	in.visitor_id = "v_aaaaaaaaaaaaaaaaaaaaaaaa"; /* well formed, unknown */
	assert_int_equal(sk_visitor_answer(t->core, &in, now, out, &t->err), SK_ERR_NOT_FOUND);
	assert_int_equal(count_answers(t, vid), 4);
	/* a GPC refusal is recorded with its signal */
	assert_int_equal(answer(t, NULL, 0, 0, "gpc", now, v2), 0);
	assert_int_equal(sk_visitor_get(t->core, v2, &v, &t->err), 0);
	assert_string_equal(v.answers[0].signal, "gpc");
	assert_string_equal(v.answers[0].action, "refuse");
	sk_visitor_view_reset(&v);
	tenv_free(t);
}

static void validity_and_unknowns(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	int64_t now = sk_time_now();
	char vid[SK_ID_LEN + 1];
	assert_int_equal(answer(t, NULL, 1, 1, "click", now, vid), 0);
	assert_int_equal(given(t, vid, "ip_tracking", now + 150 * DAY), 1);
	/* ip_tracking holds 6 months, lead_scoring 12 */
	assert_int_equal(given(t, vid, "ip_tracking", now + 200 * DAY), 0);
	assert_int_equal(given(t, vid, "lead_scoring", now + 200 * DAY), 1);
	assert_int_equal(given(t, vid, "no_such_purpose", now), 0);
	assert_int_equal(given(t, vid, "newsletter", now), 0);
	assert_int_equal(given(t, "v_aaaaaaaaaaaaaaaaaaaaaaaa", "ip_tracking", now), 0);
	assert_int_equal(given(t, "not an id", "ip_tracking", now), 0);
	char ct[SK_ID_LEN + 1];
	assert_int_equal(sk_visitor_contact(t->core, vid, ct, &t->err), 0);
	assert_string_equal(ct, "");
	tenv_free(t);
}

/* A contact with a newsletter consent, for the tie. */
static void make_contact(struct tenv *t, const char *email, int64_t at, char id[SK_ID_LEN + 1])
{
	assert_int_equal(t_consent(t, email, "newsletter", SK_ACT_GIVE, "api", "test", at), 0);
	assert_int_equal(sk_contact_find(t->core, email, id, &t->err), 0);
}

static int history_method(void *arg, const struct sk_consent_event *ev)
{
	int *n = arg;
	if (ev->method == SK_METHOD_BANNER)
		(*n)++;
	return 0;
}

static int banner_events(struct tenv *t, const char *cid)
{
	int n = 0;
	assert_int_equal(sk_consent_history(t->core, cid, history_method, &n, &t->err), 0);
	return n;
}

static void token_identify(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	int64_t now = sk_time_now();
	char vid[SK_ID_LEN + 1], cid[SK_ID_LEN + 1], ct[SK_ID_LEN + 1], tok[SK_PREF_LINK_MAX];
	int carried = -1;
	make_contact(t, "vera@example.com", now - 100, cid);
	assert_int_equal(answer(t, NULL, 1, 1, "click", now - 50, vid), 0);
	assert_int_equal(sk_visitor_token(t->core, cid, now, tok, &t->err), 0);
	assert_int_equal(sk_visitor_token(t->core, "c_aaaaaaaaaaaaaaaaaaaaaaaa", now, tok + 0,
					  &t->err), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_visitor_token(t->core, cid, now, tok, &t->err), 0);
	/* forged: one character changed; expired; another tag's token (a preference link) */
	char forged[SK_PREF_LINK_MAX];
	snprintf(forged, sizeof(forged), "%s", tok);
	forged[strlen(forged) - 3] = forged[strlen(forged) - 3] == 'A' ? 'B' : 'A';
	assert_int_equal(sk_visitor_identify_token(t->core, vid, forged, now, &carried, &t->err),
			 SK_ERR_INVALID);
	/* the token is short-lived: 30 minutes and one second later it ties nothing */
	assert_int_equal(SK_VISITOR_TOKEN_MINUTES, 30);
	assert_int_equal(sk_visitor_identify_token(t->core, vid, tok,
						   now + SK_VISITOR_TOKEN_MINUTES * 60 + 1,
						   &carried, &t->err), SK_ERR_INVALID);
	char pref[SK_PREF_LINK_MAX];
	assert_int_equal(sk_pref_link(t->core, cid, now, 30, pref, NULL, &t->err), 0);
	assert_int_equal(sk_visitor_identify_token(t->core, vid, pref, now, &carried, &t->err),
			 SK_ERR_INVALID);
	assert_int_equal(sk_visitor_contact(t->core, vid, ct, &t->err), 0);
	assert_string_equal(ct, ""); /* nothing tied */
	assert_int_equal(banner_events(t, cid), 0);
	assert_string_equal(t_gate(t, "vera@example.com", "lead_scoring", now), "no_consent");
	/* a visitor whose answers give nothing (refused both; or a give lapsed by validity) is
	 * not tied, even with a good token */
	char none[SK_ID_LEN + 1], lapsed[SK_ID_LEN + 1];
	assert_int_equal(answer(t, NULL, 0, 0, "click", now - 40, none), 0);
	assert_int_equal(sk_visitor_identify_token(t->core, none, tok, now, &carried, &t->err),
			 SK_ERR_INVALID);
	assert_non_null(strstr(t->err.msg, "given nothing"));
	assert_int_equal(answer(t, NULL, 1, 0, "click", now - 200 * DAY, lapsed), 0);
	assert_int_equal(sk_visitor_identify_token(t->core, lapsed, tok, now, &carried, &t->err),
			 SK_ERR_INVALID);
	assert_int_equal(sk_visitor_contact(t->core, none, ct, &t->err), 0);
	assert_string_equal(ct, "");
	assert_int_equal(sk_visitor_contact(t->core, lapsed, ct, &t->err), 0);
	assert_string_equal(ct, "");
	assert_int_equal(banner_events(t, cid), 0);
	/* the real token ties and carries both answers */
	assert_int_equal(sk_visitor_identify_token(t->core, vid, tok, now, &carried, &t->err), 0);
	assert_int_equal(carried, 2);
	assert_int_equal(sk_visitor_contact(t->core, vid, ct, &t->err), 0);
	assert_string_equal(ct, cid);
	assert_int_equal(banner_events(t, cid), 2);
	assert_string_equal(t_gate(t, "vera@example.com", "lead_scoring", now), "consent");
	/* the access export holds the tied visitor with its answers */
	struct sk_access_export x;
	assert_int_equal(sk_export(t->core, cid, "en", &x, &t->err), 0);
	assert_int_equal(x.nvisitors, 1);
	assert_string_equal(x.visitors[0].visitor.id, vid);
	assert_int_equal(x.visitors[0].nanswers, 2);
	/* in the JSON and on the person's export page */
	json_t *j = sk_json_export(&x);
	char *js = json_dumps(j, JSON_COMPACT);
	assert_non_null(strstr(js, vid));
	free(js);
	json_decref(j);
	struct sk_buf page;
	sk_buf_init(&page, 1 << 20);
	assert_int_equal(sk_page_pref_export(&page, t->core->policy, SK_LANG_EN, "tok", &x), 0);
	assert_non_null(strstr(page.data, "<section id=\"visitors\">"));
	assert_non_null(strstr(page.data, "<td>lead_scoring</td><td>Gave consent</td>"));
	sk_buf_reset(&page);
	sk_access_export_reset(&x);
	struct sk_proof pr;
	assert_int_equal(sk_consent_proof(t->core, "vera@example.com", "lead_scoring", &pr, &t->err), 0);
	assert_int_equal(pr.event.occurred_at, now - 50); /* the answer's own time */
	assert_int_equal(strncmp(pr.event.source, "banner:", 7), 0);
	assert_int_equal(strlen(pr.event.source), 7 + 12);
	assert_non_null(pr.evidence_json);
	assert_non_null(strstr(pr.evidence_json, vid));
	assert_non_null(strstr(pr.evidence_json, "\"identified_by\":\"mail_link\""));
	sk_proof_reset(&pr);
	/* identifying again carries nothing new */
	assert_int_equal(sk_visitor_identify_token(t->core, vid, tok, now + 1, &carried, &t->err), 0);
	assert_int_equal(carried, 0);
	assert_int_equal(banner_events(t, cid), 2);
	/* an unknown visitor */
	assert_int_equal(sk_visitor_identify_token(t->core, "v_aaaaaaaaaaaaaaaaaaaaaaaa", tok, now,
						   &carried, &t->err), SK_ERR_NOT_FOUND);
	tenv_free(t);
}

static void later_wins(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	int64_t now = sk_time_now();
	char vid[SK_ID_LEN + 1], cid[SK_ID_LEN + 1];
	int carried = -1;
	make_contact(t, "lars@example.com", now - 1000, cid);
	/* the visitor gave both at now - 500; the person withdrew lead_scoring (given at
	 * now - 900) themselves at now - 100: their later word stands */
	assert_int_equal(answer(t, NULL, 1, 1, "click", now - 500, vid), 0);
	assert_int_equal(t_consent(t, "lars@example.com", "lead_scoring", SK_ACT_GIVE, "api", "t",
				   now - 900), 0);
	assert_int_equal(t_consent(t, "lars@example.com", "lead_scoring", SK_ACT_WITHDRAW, "api",
				   "t", now - 100), 0);
	assert_int_equal(sk_visitor_identify(t->core, vid, cid, now, &carried, &t->err), 0);
	assert_int_equal(carried, 1); /* ip_tracking only */
	assert_string_equal(t_gate(t, "lars@example.com", "lead_scoring", now), "withdrawn");
	assert_string_equal(t_gate(t, "lars@example.com", "ip_tracking", now), "consent");
	/* an answer later than the person's own event is carried */
	char v2[SK_ID_LEN + 1];
	assert_int_equal(answer(t, NULL, 0, 1, "click", now - 50, v2), 0);
	assert_int_equal(sk_visitor_identify(t->core, v2, cid, now, &carried, &t->err), 0);
	assert_string_equal(t_gate(t, "lars@example.com", "lead_scoring", now), "consent");
	assert_string_equal(t_gate(t, "lars@example.com", "ip_tracking", now), "withdrawn");
	/* unknown contact or visitor: nothing tied */
	assert_int_equal(sk_visitor_identify(t->core, vid, "c_aaaaaaaaaaaaaaaaaaaaaaaa", now,
					     &carried, &t->err), SK_ERR_NOT_FOUND);
	tenv_free(t);
}

/* What is carried is the visitor's current answer: a lapsed give is not; a give renews a
 * contact's consent that has expired. */
static void carry_current_only(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	int64_t now = sk_time_now();
	char old[SK_ID_LEN + 1], fresh[SK_ID_LEN + 1], cid[SK_ID_LEN + 1];
	int carried = -1;
	make_contact(t, "erik@example.com", now - 300 * (int64_t)DAY, cid);
	/* ip_tracking holds 6 months: a give of 7 months ago has lapsed */
	assert_int_equal(answer(t, NULL, 1, 0, "click", now - 210 * (int64_t)DAY, old), 0);
	assert_int_equal(sk_visitor_identify(t->core, old, cid, now, &carried, &t->err), 0);
	assert_int_equal(carried, 1); /* the refusal of lead_scoring only */
	assert_string_equal(t_gate(t, "erik@example.com", "ip_tracking", now), "no_consent");
	/* the contact's own give of 8 months ago has expired: a recent banner give renews it */
	assert_int_equal(t_consent(t, "erik@example.com", "ip_tracking", SK_ACT_GIVE, "api", "t",
				   now - 240 * (int64_t)DAY), 0);
	assert_string_equal(t_gate(t, "erik@example.com", "ip_tracking", now), "expired");
	assert_int_equal(answer(t, NULL, 1, 0, "click", now - 10, fresh), 0);
	assert_int_equal(sk_visitor_identify(t->core, fresh, cid, now, &carried, &t->err), 0);
	assert_string_equal(t_gate(t, "erik@example.com", "ip_tracking", now), "consent");
	tenv_free(t);
}

static void gate_after_tie(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	int64_t now = sk_time_now();
	char vid[SK_ID_LEN + 1], cid[SK_ID_LEN + 1];
	make_contact(t, "gia@example.com", now - 1000, cid);
	assert_int_equal(answer(t, NULL, 1, 1, "click", now - 500, vid), 0);
	assert_int_equal(sk_visitor_identify(t->core, vid, cid, now - 400, NULL, &t->err), 0);
	assert_int_equal(given(t, vid, "lead_scoring", now), 1);
	/* the person withdraws elsewhere (the preference centre, the CRM): the tied visitor
	 * follows the gate, not its own old answer */
	assert_int_equal(t_consent(t, "gia@example.com", "lead_scoring", SK_ACT_WITHDRAW, "api",
				   "t", now - 10), 0);
	assert_int_equal(given(t, vid, "lead_scoring", now), 0);
	assert_int_equal(given(t, vid, "ip_tracking", now), 1);
	/* a later banner answer of the tied browser is an anonymous post: nothing of the
	 * person changes, but the browser's refusal holds for it at once */
	char v2[SK_ID_LEN + 1];
	assert_int_equal(answer(t, vid, 0, 1, "click", now, v2), 0);
	assert_string_equal(t_gate(t, "gia@example.com", "ip_tracking", now), "consent");
	assert_string_equal(t_gate(t, "gia@example.com", "lead_scoring", now), "withdrawn");
	assert_int_equal(given(t, vid, "ip_tracking", now), 0);
	assert_int_equal(given(t, vid, "lead_scoring", now), 0);
	/* the person's own later give (the preference centre) outranks the browser's refusal */
	assert_int_equal(t_consent(t, "gia@example.com", "ip_tracking", SK_ACT_GIVE, "api", "t",
				   now + 5), 0);
	assert_int_equal(given(t, vid, "ip_tracking", now + 10), 1);
	/* identified again by a mail link, the browser's answers are carried, later wins */
	char tok[SK_PREF_LINK_MAX];
	int carried = -1;
	assert_int_equal(sk_visitor_token(t->core, cid, now, tok, &t->err), 0);
	assert_int_equal(sk_visitor_identify_token(t->core, vid, tok, now + 20, &carried, &t->err), 0);
	assert_int_equal(carried, 1); /* lead_scoring; ip_tracking's own give came later */
	assert_string_equal(t_gate(t, "gia@example.com", "lead_scoring", now + 20), "consent");
	assert_string_equal(t_gate(t, "gia@example.com", "ip_tracking", now + 20), "consent");
	/* erasure takes the tied visitor and its answers */
	struct sk_erasure_receipt r;
	assert_int_equal(sk_forget(t->core, cid, &r, &t->err), 0);
	struct sk_visitor_view v;
	assert_int_equal(sk_visitor_get(t->core, vid, &v, &t->err), SK_ERR_NOT_FOUND);
	assert_int_equal(given(t, vid, "ip_tracking", now), 0);
	tenv_free(t);
}

static void fail_closed(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(1);
	int64_t now = sk_time_now();
	char vid[SK_ID_LEN + 1];
	assert_int_equal(answer(t, NULL, 1, 1, "click", now, vid), 0);
	assert_int_equal(given(t, vid, "ip_tracking", now), 1);
	for (long n = 1; n <= 3; n++) {
		int g = -1;
		sk_store_fault_set(t->store, n, 1);
		int rc = sk_visitor_given(t->core, vid, "ip_tracking", now, &g, &t->err);
		sk_store_fault_set(t->store, 0, 0);
		if (rc == 0) {
			assert_int_equal(g, 1); /* every call passed before the fault */
			break;
		}
		assert_int_equal(g, 0); /* an error is never a yes */
	}
	/* an answer that fails half-way stores nothing */
	long before = (long)count_answers(t, vid);
	for (long n = 1; n <= 6; n++) {
		char out[SK_ID_LEN + 1];
		sk_store_fault_set(t->store, n, 0);
		int rc = answer(t, vid, 0, 0, "click", now + n, out);
		sk_store_fault_set(t->store, 0, 0);
		if (rc == 0) {
			before = (long)count_answers(t, vid);
			continue;
		}
		assert_int_equal(count_answers(t, vid), before);
	}
	tenv_free(t);
}

static void purge_untied(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	int64_t now = sk_time_now();
	char old[SK_ID_LEN + 1], fresh[SK_ID_LEN + 1], tied[SK_ID_LEN + 1], cid[SK_ID_LEN + 1];
	make_contact(t, "pia@example.com", now, cid);
	assert_int_equal(answer(t, NULL, 1, 0, "click", now - 400 * (int64_t)DAY, old), 0);
	assert_int_equal(answer(t, NULL, 1, 0, "click", now - 400 * (int64_t)DAY, tied), 0);
	assert_int_equal(answer(t, NULL, 1, 0, "click", now, fresh), 0);
	/* an old visitor with a recent tracking event stays */
	char seen[SK_ID_LEN + 1];
	assert_int_equal(answer(t, NULL, 1, 0, "click", now - 400 * (int64_t)DAY, seen), 0);
	assert_int_equal(sk_visitor_touch(t->core, seen, now - DAY, &t->err), 0);
	assert_int_equal(sk_visitor_touch(t->core, "v_aaaaaaaaaaaaaaaaaaaaaaaa", now, &t->err), 0);
	assert_int_equal(sk_visitor_touch(t->core, "junk", now, &t->err), 0);
	assert_int_equal(sk_visitor_identify(t->core, tied, cid, now - 399 * (int64_t)DAY, NULL,
					     &t->err), 0);
	struct sk_purge_report r;
	assert_int_equal(sk_purge(t->core, now, 30, 0, &r, &t->err), 0);
	sk_purge_report_reset(&r);
	struct sk_visitor_view v;
	assert_int_equal(sk_visitor_get(t->core, old, &v, &t->err), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_visitor_get(t->core, fresh, &v, &t->err), 0);
	sk_visitor_view_reset(&v);
	assert_int_equal(sk_visitor_get(t->core, seen, &v, &t->err), 0);
	sk_visitor_view_reset(&v);
	assert_int_equal(sk_visitor_get(t->core, tied, &v, &t->err), 0);
	sk_visitor_view_reset(&v);
	tenv_free(t);
}

static int form_submit(struct tenv *t, const char *email, const char *vid)
{
	const struct sk_form *f = sk_policy_form(t->core->policy, "webinar");
	struct sk_field_value fields[] = {{"email", email}, {"first_name", "Anna"},
					  {"last_name", "Berg"}};
	const char *const consents[] = {"offers"};
	struct sk_form_input in = {.form = f, .email = email, .fields = fields, .nfields = 3,
				   .consents = consents, .nconsents = 1, .lang = "en",
				   .page_url = "https://www.example.com/webinar", .ip = "192.0.2.1",
				   .user_agent = "test", .can_mail = 1, .link_days = 7,
				   .link_base = "https://consent.example.com", .visitor_id = vid};
	struct sk_form_outcome o;
	return sk_form_submit(t->core, &in, &o, &t->err);
}

/* A form submission carrying the visitor id: a new address's consents given at once carry
 * the answers; for a known address nothing changes until the person confirms from the
 * mail. */
static void form_carries(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	int64_t now = sk_time_now();
	char vid[SK_ID_LEN + 1], cid[SK_ID_LEN + 1], ct[SK_ID_LEN + 1];
	assert_int_equal(answer(t, NULL, 0, 1, "click", now - 60, vid), 0);
	assert_int_equal(form_submit(t, "nova@example.com", vid), 0);
	assert_int_equal(sk_contact_find(t->core, "nova@example.com", cid, &t->err), 0);
	assert_int_equal(sk_visitor_contact(t->core, vid, ct, &t->err), 0);
	assert_string_equal(ct, cid);
	assert_int_equal(banner_events(t, cid), 2);
	assert_string_equal(t_gate(t, "nova@example.com", "lead_scoring", now), "consent");
	assert_string_equal(t_gate(t, "nova@example.com", "ip_tracking", now), "refused");
	/* a forged or unknown visitor id ties nothing and is no error */
	assert_int_equal(form_submit(t, "other@example.com", "v_aaaaaaaaaaaaaaaaaaaaaaaa"), 0);
	assert_int_equal(form_submit(t, "third@example.com", "'; drop"), 0);

	/* a known address: an anonymous post changes nothing of theirs */
	char v2[SK_ID_LEN + 1], known[SK_ID_LEN + 1];
	make_contact(t, "known@example.com", now - 1000, known);
	assert_int_equal(answer(t, NULL, 1, 1, "click", now - 30, v2), 0);
	assert_int_equal(form_submit(t, "known@example.com", v2), 0);
	assert_int_equal(sk_visitor_contact(t->core, v2, ct, &t->err), 0);
	assert_string_equal(ct, "");
	assert_int_equal(banner_events(t, known), 0);
	assert_string_equal(t_gate(t, "known@example.com", "ip_tracking", now), "no_consent");
	/* until they confirm from the mail */
	struct sk_outbox_rec m;
	int found = 0;
	while (sk_store_outbox_next(t->store, INT64_MAX, &m) == 0) {
		int n = 0;
		m.sent_at = now; /* out of the queue */
		assert_int_equal(sk_store_outbox_state(t->store, &m), 0);
		if (strcmp(m.kind, "confirm") != 0)
			continue;
		assert_int_equal(sk_form_confirm(t->core, m.ref, "{}", &n, &t->err), 0);
		found += n;
	}
	assert_true(found >= 1);
	assert_int_equal(sk_visitor_contact(t->core, v2, ct, &t->err), 0);
	assert_string_equal(ct, known);
	assert_int_equal(banner_events(t, known), 2);
	assert_string_equal(t_gate(t, "known@example.com", "ip_tracking", now), "consent");
	tenv_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(policy_banner),
		cmocka_unit_test(version_hash),
		cmocka_unit_test(answers_and_checks),
		cmocka_unit_test(validity_and_unknowns),
		cmocka_unit_test(token_identify),
		cmocka_unit_test(later_wins),
		cmocka_unit_test(carry_current_only),
		cmocka_unit_test(gate_after_tie),
		cmocka_unit_test(fail_closed),
		cmocka_unit_test(purge_untied),
		cmocka_unit_test(form_carries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
