/* test_prefs.c: the preference centre's use cases (core/prefs.c) on the real store (SQLite,
 * or PostgreSQL under SK_TEST_PG): links bound to their contact, expiring and dead after
 * erasure; the view in policy order with its evidence; changes as ledger events with their
 * method, evidence and change feed entry; refusals that store nothing; the mail limit; CSRF
 * tokens; user agent classes; and the preflink mail built from the outbox. */
#include "testlib.h"

#include <jansson.h>

#include "util/sktime.h"

#define EMAIL "pref@example.com"
#define DAY 86400

static struct tenv *setup_contact(char id[SK_ID_LEN + 1])
{
	struct tenv *t = tenv_new(0);
	struct sk_field_value f[] = {{"first_name", "Pia"}};
	assert_int_equal(sk_contact_add(t->core, EMAIL, f, 1, id, &t->err), 0);
	return t;
}

static void mint(struct tenv *t, const char *id, char token[SK_PREF_LINK_MAX])
{
	assert_int_equal(sk_pref_link(t->core, id, sk_time_now(), 30, token, NULL, &t->err), 0);
}

/* A link opens its own contact only, expires, cannot be altered or borrowed from another use,
 * and dies with an erasure. */
static void link_mint_and_check(void **state)
{
	(void)state;
	char id[SK_ID_LEN + 1], other[SK_ID_LEN + 1], got[SK_ID_LEN + 1];
	char tok[SK_PREF_LINK_MAX], tok2[SK_PREF_LINK_MAX], bad[SK_PREF_LINK_MAX];
	int64_t now = sk_time_now(), exp = 0;
	struct tenv *t = setup_contact(id);
	assert_int_equal(sk_contact_add(t->core, "other@example.com", NULL, 0, other, &t->err), 0);

	assert_int_equal(sk_pref_link(t->core, id, now, 30, tok, &exp, &t->err), 0);
	assert_int_equal(exp, now + 30 * DAY);
	assert_null(strstr(tok, "pref")); /* no address in it */
	assert_int_equal(sk_pref_check(t->core, tok, now, got, &t->err), 0);
	assert_string_equal(got, id);
	assert_int_equal(sk_pref_link(t->core, other, now, 1, tok2, NULL, &t->err), 0);
	assert_int_equal(sk_pref_check(t->core, tok2, now, got, &t->err), 0);
	assert_string_equal(got, other);

	/* expired: authentic, so the contact is named (for a fresh link by mail) */
	assert_int_equal(sk_pref_check(t->core, tok, now + 31 * DAY, got, &t->err), SK_ERR_EXPIRED);
	assert_string_equal(got, id);
	/* altered, anywhere */
	for (size_t i = 0; i < strlen(tok); i += 7) {
		strcpy(bad, tok);
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		assert_int_equal(sk_pref_check(t->core, bad, now, got, &t->err), SK_ERR_INVALID);
		assert_string_equal(got, "");
	}
	assert_int_equal(sk_pref_check(t->core, "", now, got, &t->err), SK_ERR_INVALID);
	assert_int_equal(sk_pref_check(t->core, NULL, now, got, &t->err), SK_ERR_INVALID);
	/* the same subject signed for another use (a confirmation link) is no preference link */
	assert_int_equal(sk_vault_token_sign(t->vault, "confirm", id, now + DAY, bad), 0);
	assert_int_equal(sk_pref_check(t->core, bad, now, got, &t->err), SK_ERR_INVALID);
	/* bounds */
	assert_int_equal(sk_pref_link(t->core, id, now, 0, bad, NULL, &t->err), SK_ERR_INVALID);
	assert_int_equal(sk_pref_link(t->core, id, now, 366, bad, NULL, &t->err), SK_ERR_INVALID);
	assert_int_equal(sk_pref_link(t->core, id, now, 365, bad, NULL, &t->err), 0);
	assert_int_equal(sk_pref_link(t->core, "c_nosuchcontactatall00000", now, 30, bad, NULL,
				      &t->err), SK_ERR_NOT_FOUND);

	/* erased: the link is no link at all, expired or not; the other's still holds */
	struct sk_erasure_receipt r;
	assert_int_equal(sk_forget(t->core, id, &r, &t->err), 0);
	assert_int_equal(sk_pref_check(t->core, tok, now, got, &t->err), SK_ERR_INVALID);
	assert_int_equal(sk_pref_check(t->core, tok, now + 31 * DAY, got, &t->err), SK_ERR_INVALID);
	assert_int_equal(sk_pref_check(t->core, tok2, now, got, &t->err), 0);
	tenv_free(t);
}

/* The view: the person's data, every purpose in policy order with its state, the event, the
 * notice text shown and the page it was given on. */
static void view_contents(void **state)
{
	(void)state;
	char id[SK_ID_LEN + 1], tok[SK_PREF_LINK_MAX];
	struct tenv *t = setup_contact(id);
	struct sk_consent_req req = {.contact_id = id, .purpose = "newsletter",
				     .action = SK_ACT_GIVE, .method = "form",
				     .source = "form:newsletter", .lang = "sv", .actor = "form",
				     .evidence_json = "{\"page_url\":\"https://www.example.com/nl\"}"};
	assert_int_equal(sk_consent_record(t->core, &req, NULL, &t->err), 0);
	mint(t, id, tok);

	struct sk_pref_view v;
	int64_t now = sk_time_now();
	assert_int_equal(sk_pref_view(t->core, tok, now, &v, &t->err), 0);
	assert_string_equal(v.contact.id, id);
	assert_string_equal(v.contact.fields[0].value, EMAIL);
	assert_true(v.link_expires > now + 29 * DAY);
	const struct sk_policy *pol = sk_core_policy(t->core);
	assert_int_equal(v.npurposes, pol->npurposes);
	for (size_t i = 0; i < v.npurposes; i++) {
		assert_string_equal(v.purposes[i].purpose->id, pol->purposes[i].id);
		const struct sk_pref_purpose *pp = &v.purposes[i];
		if (strcmp(pp->purpose->id, "newsletter") == 0) {
			assert_int_equal(pp->status, SK_ST_GIVEN);
			assert_true(pp->has_event);
			assert_int_equal(pp->event.method, SK_METHOD_FORM);
			assert_string_equal(pp->event.lang, "sv");
			assert_non_null(pp->notice_text);
			assert_non_null(strstr(pp->notice_text, "nyhetsbrev"));
			assert_string_equal(pp->page, "https://www.example.com/nl");
			assert_int_equal(pp->confirmed_at, 0);
		} else {
			assert_int_equal(pp->status, SK_ST_UNKNOWN);
			assert_false(pp->has_event);
			assert_null(pp->notice_text);
		}
		assert_true(pp->changeable);
	}
	sk_pref_view_reset(&v);
	assert_int_equal(sk_pref_view(t->core, tok, now + 31 * DAY, &v, &t->err), SK_ERR_EXPIRED);
	assert_null(v.purposes);
	tok[5] ^= 1;
	assert_int_equal(sk_pref_view(t->core, tok, now, &v, &t->err), SK_ERR_INVALID);
	tenv_free(t);
}

/* The last consent change of the feed, and how many "contact" changes came after it. */
struct last_change {
	int64_t seq;
	struct sk_change ch;
	int contact_after;
};
static int keep_change(void *arg, const struct sk_change *ch)
{
	struct last_change *l = arg;
	if (ch->type == SK_CHG_CONTACT)
		l->contact_after++;
	if (ch->type != SK_CHG_CONSENT)
		return 0;
	l->seq = ch->seq;
	l->ch = *ch;
	l->contact_after = 0;
	return 0;
}
static struct last_change last_change(struct tenv *t)
{
	struct last_change l = {0};
	assert_int_equal(sk_changes(t->core, 0, 0, keep_change, &l, &t->err), 0);
	return l;
}

/* A give and a withdrawal are ledger events with method and source preference_centre, the
 * notice version shown, the evidence of the contract, and a change feed entry each; the gate
 * follows at once; no-ops record nothing. */
static void set_give_withdraw(void **state)
{
	(void)state;
	char id[SK_ID_LEN + 1], tok[SK_PREF_LINK_MAX];
	struct tenv *t = setup_contact(id);
	struct sk_consent_event ev;
	mint(t, id, tok);
	int64_t now = sk_time_now();
	char page[300];
	snprintf(page, sizeof(page), "https://consent.example.com/p/%s/consent?x=1", tok);
	struct sk_pref_change ch = {.purpose = "offers", .give = 1, .lang = "sv", .page = page,
				    .user_agent = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"};

	assert_int_equal(sk_pref_set(t->core, tok, &ch, now, &ev, &t->err), 0);
	assert_true(ev.seq > 0);
	assert_int_equal(ev.action, SK_ACT_GIVE);
	assert_int_equal(ev.method, SK_METHOD_PREFERENCE_CENTRE);
	assert_string_equal(ev.source, "preference_centre");
	assert_int_equal(ev.notice_version, 1);
	assert_string_equal(ev.lang, "sv");
	assert_string_equal(t_gate(t, EMAIL, "offers", 0), "consent");
	struct last_change l = last_change(t);
	assert_int_equal(l.ch.type, SK_CHG_CONSENT);
	assert_string_equal(l.ch.purpose, "offers");
	assert_int_equal(l.ch.status, SK_ST_GIVEN);

	struct sk_proof pr;
	assert_int_equal(sk_consent_proof(t->core, EMAIL, "offers", &pr, &t->err), 0);
	json_error_t je;
	json_t *e = json_loads(pr.evidence_json, 0, &je);
	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(e, "user_agent_class")), "desktop");
	assert_string_equal(json_string_value(json_object_get(e, "via")),
			    "link mailed by samtycke to the contact's own address");
	assert_int_equal(json_integer_value(json_object_get(e, "notice_version")), 1);
	assert_string_equal(json_string_value(json_object_get(e, "page")),
			    "https://consent.example.com/p/{token}/consent");
	assert_non_null(json_string_value(json_object_get(e, "at")));
	assert_null(json_object_get(e, "double_opt_in"));
	assert_null(strstr(pr.evidence_json, tok)); /* the link's token is not kept */
	assert_null(strstr(pr.evidence_json, "Firefox")); /* only the class */
	json_decref(e);
	sk_proof_reset(&pr);

	/* giving what is given records nothing */
	long n = t_ledger_count(t, id);
	assert_int_equal(sk_pref_set(t->core, tok, &ch, now, &ev, &t->err), 0);
	assert_int_equal(ev.seq, 0);
	assert_int_equal(t_ledger_count(t, id), n);
	assert_int_equal(last_change(t).seq, l.seq);

	/* withdrawing takes one call, like giving */
	ch.give = 0;
	assert_int_equal(sk_pref_set(t->core, tok, &ch, now, &ev, &t->err), 0);
	assert_int_equal(ev.action, SK_ACT_WITHDRAW);
	assert_int_equal(ev.method, SK_METHOD_PREFERENCE_CENTRE);
	assert_string_equal(t_gate(t, EMAIL, "offers", 0), "withdrawn");
	struct last_change l2 = last_change(t);
	assert_true(l2.seq > l.seq);
	assert_int_equal(l2.ch.status, SK_ST_WITHDRAWN);
	assert_string_equal(l2.ch.contact_id, id);
	/* the withdrawal clean-up, as any withdrawal: first_name, which no live purpose needs
	 * now, is deleted and a "contact" change tells the systems holding copies */
	assert_int_equal(l2.contact_after, 1);
	struct sk_contact ct;
	assert_int_equal(sk_contact_get_by_id(t->core, id, &ct, &t->err), 0);
	assert_int_equal(ct.nfields, 1);
	sk_contact_reset(&ct);
	/* withdrawing what is not given records nothing */
	n = t_ledger_count(t, id);
	assert_int_equal(sk_pref_set(t->core, tok, &ch, now, &ev, &t->err), 0);
	ch.purpose = "newsletter";
	assert_int_equal(sk_pref_set(t->core, tok, &ch, now, &ev, &t->err), 0);
	assert_int_equal(ev.seq, 0);
	assert_int_equal(t_ledger_count(t, id), n);

	/* refusals, each storing nothing */
	ch.give = 1;
	ch.purpose = "no_such_purpose";
	assert_int_equal(sk_pref_set(t->core, tok, &ch, now, &ev, &t->err), SK_ERR_INVALID);
	ch.purpose = "offers";
	ch.lang = "de";
	assert_int_equal(sk_pref_set(t->core, tok, &ch, now, &ev, &t->err), SK_ERR_INVALID);
	ch.lang = "en";
	/* a give beside a notice text that is no longer the one in force (the page was shown
	 * before the policy changed it): the event would name a text the person did not read */
	int current = sk_policy_purpose(sk_core_policy(t->core), "offers")->notice_version;
	ch.notice_version = current + 1;
	assert_int_equal(sk_pref_set(t->core, tok, &ch, now, &ev, &t->err), SK_ERR_INVALID);
	assert_non_null(strstr(t->err.msg, "notice text has changed"));
	ch.notice_version = 0;
	assert_int_equal(sk_pref_set(t->core, tok, &ch, now + 31 * DAY, &ev, &t->err), SK_ERR_EXPIRED);
	char bad[SK_PREF_LINK_MAX];
	strcpy(bad, tok);
	bad[3] ^= 1;
	assert_int_equal(sk_pref_set(t->core, bad, &ch, now, &ev, &t->err), SK_ERR_INVALID);
	assert_int_equal(t_ledger_count(t, id), n);
	assert_string_equal(t_gate(t, EMAIL, "offers", 0), "withdrawn");
	tenv_free(t);
}

/* Only purposes on consent may be changed. */
static void set_not_on_consent(void **state)
{
	(void)state;
	char id[SK_ID_LEN + 1], tok[SK_PREF_LINK_MAX];
	struct tenv *t = setup_contact(id);
	assert_int_equal(t_apply_offers_li(t), 0);
	mint(t, id, tok);
	struct sk_pref_change ch = {.purpose = "offers", .give = 0, .lang = "en"};
	assert_int_equal(sk_pref_set(t->core, tok, &ch, sk_time_now(), NULL, &t->err), SK_ERR_INVALID);
	ch.give = 1;
	assert_int_equal(sk_pref_set(t->core, tok, &ch, sk_time_now(), NULL, &t->err), SK_ERR_INVALID);
	struct sk_pref_view v;
	assert_int_equal(sk_pref_view(t->core, tok, sk_time_now(), &v, &t->err), 0);
	for (size_t i = 0; i < v.npurposes; i++)
		assert_int_equal(v.purposes[i].changeable,
				 strcmp(v.purposes[i].purpose->id, "offers") != 0);
	sk_pref_view_reset(&v);
	assert_int_equal(t_ledger_count(t, id), 0);
	tenv_free(t);
}

/* A suppressed address is not brought back by its own link; a withdrawal still goes. */
static void set_suppressed(void **state)
{
	(void)state;
	char id[SK_ID_LEN + 1], tok[SK_PREF_LINK_MAX];
	struct tenv *t = setup_contact(id);
	mint(t, id, tok);
	struct sk_pref_change ch = {.purpose = "newsletter", .give = 1, .lang = "en"};
	assert_int_equal(sk_pref_set(t->core, tok, &ch, sk_time_now(), NULL, &t->err), 0);
	assert_int_equal(sk_suppress(t->core, "PREF@example.com", "opted_out", &t->err), 0);
	long n = t_ledger_count(t, id);
	ch.purpose = "offers";
	assert_int_equal(sk_pref_set(t->core, tok, &ch, sk_time_now(), NULL, &t->err),
			 SK_ERR_FORBIDDEN);
	assert_int_equal(t_ledger_count(t, id), n);
	ch.purpose = "newsletter";
	ch.give = 0;
	assert_int_equal(sk_pref_set(t->core, tok, &ch, sk_time_now(), NULL, &t->err), 0);
	assert_int_equal(t_ledger_count(t, id), n + 1);
	tenv_free(t);
}

/* A double opt-in purpose given on the page ends given, confirmed by the link, and its
 * evidence says so. */
static void set_double_opt_in(void **state)
{
	(void)state;
	char id[SK_ID_LEN + 1], tok[SK_PREF_LINK_MAX];
	struct tenv *t = setup_contact(id);
	size_t len;
	char *policy = t_example_policy(&len);
	assert_int_equal(t_apply_text(t, t_policy_with(policy, "    double_opt_in: false\n    fields: "
							"[email, first_name]",
							"    double_opt_in: true\n    fields: "
							"[email, first_name]")), 0);
	free(policy);
	assert_true(sk_core_policy(t->core)->purposes[0].double_opt_in);
	mint(t, id, tok);
	struct sk_consent_event ev;
	struct sk_pref_change ch = {.purpose = "newsletter", .give = 1, .lang = "en",
				    .user_agent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile"};
	assert_int_equal(sk_pref_set(t->core, tok, &ch, sk_time_now(), &ev, &t->err), 0);
	assert_int_equal(ev.action, SK_ACT_CONFIRM);
	assert_string_equal(t_gate(t, EMAIL, "newsletter", 0), "consent");
	struct last_change l = last_change(t);
	assert_int_equal(l.ch.status, SK_ST_GIVEN);

	struct sk_proof pr;
	assert_int_equal(sk_consent_proof(t->core, EMAIL, "newsletter", &pr, &t->err), 0);
	assert_int_equal(pr.state.status, SK_ST_GIVEN);
	assert_int_equal(pr.event.method, SK_METHOD_PREFERENCE_CENTRE);
	assert_true(pr.given.seq > 0);
	assert_true(pr.given.flags & SK_EV_DOUBLE_OPT_IN);
	assert_non_null(strstr(pr.given_evidence_json, "\"double_opt_in\":\"confirmed by the link\""));
	assert_non_null(strstr(pr.evidence_json, "\"double_opt_in\":\"confirmed by the link\""));
	assert_non_null(strstr(pr.evidence_json, "\"user_agent_class\":\"mobile\""));
	sk_proof_reset(&pr);

	struct sk_pref_view v;
	assert_int_equal(sk_pref_view(t->core, tok, sk_time_now(), &v, &t->err), 0);
	assert_int_equal(v.purposes[0].status, SK_ST_GIVEN);
	assert_true(v.purposes[0].confirmed_at > 0);
	sk_pref_view_reset(&v);

	/* a link handed out by the controller works the same, and the evidence says so */
	char handed[SK_PREF_LINK_MAX], got[SK_ID_LEN + 1];
	int64_t now = sk_time_now();
	assert_int_equal(sk_pref_link_via(t->core, id, SK_PREF_VIA_API, now, 1, handed, NULL,
					  &t->err), 0);
	assert_int_equal(sk_pref_check(t->core, handed, now, got, &t->err), 0);
	assert_string_equal(got, id);
	ch.give = 0;
	assert_int_equal(sk_pref_set(t->core, handed, &ch, now, &ev, &t->err), 0);
	assert_int_equal(ev.action, SK_ACT_WITHDRAW);
	assert_int_equal(sk_consent_proof(t->core, EMAIL, "newsletter", &pr, &t->err), 0);
	assert_non_null(strstr(pr.evidence_json, "\"via\":\"link made through the API and handed "
					       "to the contact by the controller\""));
	sk_proof_reset(&pr);
	assert_int_equal(sk_pref_link_via(t->core, id, SK_PREF_VIA_CLI, now, 1, handed, NULL,
					  &t->err), 0);
	ch.give = 1;
	assert_int_equal(sk_pref_set(t->core, handed, &ch, now, &ev, &t->err), 0);
	assert_int_equal(sk_consent_proof(t->core, EMAIL, "newsletter", &pr, &t->err), 0);
	assert_non_null(strstr(pr.evidence_json, "\"via\":\"link made with samtycke link"));
	sk_proof_reset(&pr);
	tenv_free(t);
}

/* Under a storage failure at every step, a double opt-in give through the link (a give and
 * a confirm) and a link request are stored whole or not at all, and the answer is the
 * error: an error means nothing was stored. */
static void whole_or_nothing(void **state)
{
	(void)state;
	int done = 0;
	long failures = 0;
	for (long n = 1; !done && n < 400; n++) {
		struct tenv *t = tenv_new(1);
		char id[SK_ID_LEN + 1], tok[SK_PREF_LINK_MAX];
		size_t len;
		char *policy = t_example_policy(&len);
		assert_int_equal(t_apply_text(t, t_policy_with(policy, "    double_opt_in: false\n    "
							"fields: [email, first_name]",
							"    double_opt_in: true\n    "
							"fields: [email, first_name]")), 0);
		free(policy);
		assert_int_equal(sk_contact_add(t->core, EMAIL, NULL, 0, id, &t->err), 0);
		mint(t, id, tok);
		struct sk_pref_change ch = {.purpose = "newsletter", .give = 1, .lang = "en"};
		sk_store_fault_set(t->store, n, 0); /* the Nth call fails; the rollback runs */
		int rc = sk_pref_set(t->core, tok, &ch, sk_time_now(), NULL, &t->err);
		int rrc = sk_pref_request(t->core, EMAIL, "en", sk_time_now(), &t->err);
		sk_store_fault_set(t->store, 0, 0);
		if (rc == 0) {
			assert_string_equal(t_gate(t, EMAIL, "newsletter", 0), "consent");
			assert_int_equal(t_ledger_count(t, id), 2);
		} else {
			assert_string_equal(t_gate(t, EMAIL, "newsletter", 0), "no_consent");
			assert_int_equal(t_ledger_count(t, id), 0);
			failures++;
		}
		assert_int_equal(t_mails_to(t, EMAIL), rrc == 0);
		done = rc == 0 && rrc == 0;
		tenv_free(t);
	}
	assert_true(done);
	assert_true(failures > 0); /* an injected fault made it fail: errors are not ignored */
}

/* "Mail me my link": a mail for a known, unsuppressed address, at most three a day, nothing
 * for anyone else, and the same answer every time. */
static void request_and_renew(void **state)
{
	(void)state;
	char id[SK_ID_LEN + 1], tok[SK_PREF_LINK_MAX];
	struct tenv *t = setup_contact(id);
	int64_t now = sk_time_now();

	/* unknown: the same work as for a known address (one row under the keyed hash, so that
	 * the answer's time tells nothing), and the worker finds nobody to mail */
	assert_int_equal(sk_pref_request(t->core, "nobody@example.com", "en", now, &t->err), 0);
	assert_int_equal(t_mails_to(t, "nobody@example.com"), 1);
	struct sk_outgoing out;
	assert_int_equal(sk_outbox_take(t->core, "https://consent.example.com", now, &out, &t->err),
			 SK_ERR_NOT_FOUND);
	assert_int_equal(sk_pref_request(t->core, "not an address", "en", now, &t->err),
			 SK_ERR_INVALID_EMAIL);

	assert_int_equal(sk_pref_request(t->core, " Pref@Example.COM ", "sv", now, &t->err), 0);
	assert_int_equal(t_mails_to(t, EMAIL), 1);
	struct sk_outbox_rec m;
	assert_int_equal(sk_store_outbox_next(t->store, now, &m), 0);
	assert_string_equal(m.kind, "preflink:sv");
	assert_string_equal(m.ref, ""); /* found by its key when the mail is built */
	assert_int_equal(sk_outbox_take(t->core, "https://consent.example.com", now, &out, &t->err),
			 0);
	assert_string_equal(out.to, EMAIL);
	sk_outgoing_reset(&out);
	for (int i = 0; i < 5; i++)
		assert_int_equal(sk_pref_request(t->core, EMAIL, "en", now, &t->err), 0);
	assert_int_equal(t_mails_to(t, EMAIL), SK_FORM_MAILS_PER_DAY);

	/* renew: the expired link's contact, under the same limit */
	char other[SK_ID_LEN + 1];
	assert_int_equal(sk_contact_add(t->core, "renew@example.com", NULL, 0, other, &t->err), 0);
	assert_int_equal(sk_pref_link(t->core, other, now - 10 * DAY, 1, tok, NULL, &t->err), 0);
	assert_int_equal(sk_pref_renew(t->core, tok, "en", now, &t->err), 0);
	assert_int_equal(t_mails_to(t, "renew@example.com"), 1);
	tok[4] ^= 1;
	assert_int_equal(sk_pref_renew(t->core, tok, "en", now, &t->err), SK_ERR_INVALID);
	assert_int_equal(t_mails_to(t, "renew@example.com"), 1);

	/* suppressed: nothing */
	assert_int_equal(sk_suppress(t->core, "renew@example.com", "opted_out", &t->err), 0);
	assert_int_equal(sk_pref_request(t->core, "renew@example.com", "en", now, &t->err), 0);
	assert_int_equal(sk_pref_link(t->core, other, now, 1, tok, NULL, &t->err), 0);
	assert_int_equal(sk_pref_renew(t->core, tok, "en", now, &t->err), 0);
	tenv_free(t);
}

/* A suppressed address gets no mail. Asking for it queues the same row as for any address
 * (so that the answer's time does not tell that it was once on file), and the worker drops
 * it; a renewal (the holder of a link) queues nothing. */
static void request_suppressed_mails_nothing(void **state)
{
	(void)state;
	char id[SK_ID_LEN + 1], tok[SK_PREF_LINK_MAX];
	struct tenv *t = setup_contact(id);
	int64_t now = sk_time_now();
	mint(t, id, tok);
	assert_int_equal(sk_suppress(t->core, EMAIL, "opted_out", &t->err), 0);
	assert_int_equal(sk_pref_request(t->core, EMAIL, "en", now, &t->err), 0);
	assert_int_equal(t_mails_to(t, EMAIL), 1);
	struct sk_outgoing out;
	assert_int_equal(sk_outbox_take(t->core, "https://consent.example.com", now, &out, &t->err),
			 SK_ERR_NOT_FOUND);
	assert_int_equal(sk_pref_renew(t->core, tok, "en", now, &t->err), 0);
	assert_int_equal(t_mails_to(t, EMAIL), 1);
	assert_int_equal(sk_outbox_take(t->core, "https://consent.example.com", now, &out, &t->err),
			 SK_ERR_NOT_FOUND);
	tenv_free(t);
}

/* The outbox builds the preflink mail: to the address on file, in the language asked, with a
 * link that opens this person's page. */
static void preflink_mail(void **state)
{
	(void)state;
	char id[SK_ID_LEN + 1], got[SK_ID_LEN + 1];
	struct tenv *t = setup_contact(id);
	int64_t now = sk_time_now();
	assert_int_equal(sk_pref_request(t->core, "PREF@example.com", "sv", now, &t->err), 0);
	struct sk_outgoing m;
	assert_int_equal(sk_outbox_take(t->core, "https://consent.example.com", now, &m, &t->err), 0);
	assert_string_equal(m.to, EMAIL);
	assert_non_null(strstr(m.subject, "Din länk"));
	assert_non_null(strstr(m.text, "Exempel AB"));
	assert_non_null(strstr(m.text, "strunta i det"));
	const char *p = strstr(m.text, "\nhttps://consent.example.com/p/");
	assert_non_null(p);
	char token[SK_PREF_LINK_MAX];
	p += strlen("\nhttps://consent.example.com/p/");
	size_t n = strcspn(p, "\n");
	assert_true(n < sizeof(token));
	memcpy(token, p, n);
	token[n] = '\0';
	assert_int_equal(sk_pref_check(t->core, token, now, got, &t->err), 0);
	assert_string_equal(got, id);
	assert_int_equal(sk_pref_check(t->core, token, now + 31 * DAY, got, &t->err), SK_ERR_EXPIRED);
	assert_int_equal(sk_outbox_done(t->core, &m, 0, NULL, now, &t->err), 0);
	sk_outgoing_reset(&m);

	/* erased before it went: dropped, nothing sent */
	assert_int_equal(sk_pref_request(t->core, EMAIL, "en", now, &t->err), 0);
	struct sk_erasure_receipt r;
	assert_int_equal(sk_forget(t->core, id, &r, &t->err), 0);
	assert_int_equal(sk_outbox_take(t->core, "https://consent.example.com", now, &m, &t->err),
			 SK_ERR_NOT_FOUND);
	tenv_free(t);
}

/* Export and erasure through the link: this person's data; after the erasure the link is
 * dead and the address suppressed. */
static void export_and_erase(void **state)
{
	(void)state;
	char id[SK_ID_LEN + 1], tok[SK_PREF_LINK_MAX], got[SK_ID_LEN + 1];
	struct tenv *t = setup_contact(id);
	mint(t, id, tok);
	struct sk_access_export x;
	assert_int_equal(sk_pref_export(t->core, tok, sk_time_now(), "sv", &x, &t->err), 0);
	assert_string_equal(x.contact.id, id);
	sk_access_export_reset(&x);
	assert_int_equal(sk_pref_export(t->core, tok, sk_time_now() + 31 * DAY, "sv", &x, &t->err),
			 SK_ERR_EXPIRED);
	struct sk_erasure_receipt r;
	assert_int_equal(sk_pref_erase(t->core, tok, sk_time_now() + 31 * DAY, &r, &t->err),
			 SK_ERR_EXPIRED);
	assert_int_equal(sk_contact_exists(t->core, id, &t->err), 0);
	assert_int_equal(sk_pref_erase(t->core, tok, sk_time_now(), &r, &t->err), 0);
	assert_string_equal(r.contact_id, id);
	assert_int_equal(sk_pref_check(t->core, tok, sk_time_now(), got, &t->err), SK_ERR_INVALID);
	int sup = 0;
	assert_int_equal(sk_suppressed(t->core, EMAIL, &sup, &t->err), 0);
	assert_true(sup);
	assert_int_equal(sk_pref_erase(t->core, tok, sk_time_now(), &r, &t->err), SK_ERR_INVALID);
	tenv_free(t);
}

/* CSRF tokens hold for what they were made for, for two hours, unaltered. */
static void csrf_tokens(void **state)
{
	(void)state;
	char id[SK_ID_LEN + 1], tok[SK_PREF_LINK_MAX], tok2[SK_PREF_LINK_MAX];
	char csrf[SK_PREF_LINK_MAX], bad[SK_PREF_LINK_MAX];
	struct tenv *t = setup_contact(id);
	int64_t now = sk_time_now();
	mint(t, id, tok);
	assert_int_equal(sk_pref_link(t->core, id, now, 7, tok2, NULL, &t->err), 0);
	assert_int_equal(sk_pref_csrf(t->core, tok, now, csrf), 0);
	assert_int_equal(sk_pref_csrf_check(t->core, tok, csrf, now), 0);
	assert_int_equal(sk_pref_csrf_check(t->core, tok, csrf, now + 7199), 0);
	assert_int_equal(sk_pref_csrf_check(t->core, tok, csrf, now + 7201), SK_ERR_FORBIDDEN);
	/* another link of the same person, the /p form's name, nothing */
	assert_int_equal(sk_pref_csrf_check(t->core, tok2, csrf, now), SK_ERR_FORBIDDEN);
	assert_int_equal(sk_pref_csrf_check(t->core, "/p", csrf, now), SK_ERR_FORBIDDEN);
	assert_int_equal(sk_pref_csrf_check(t->core, tok, "", now), SK_ERR_FORBIDDEN);
	assert_int_equal(sk_pref_csrf_check(t->core, tok, NULL, now), SK_ERR_FORBIDDEN);
	/* altered; and a link token is no CSRF token */
	strcpy(bad, csrf);
	bad[strlen(bad) - 2] = bad[strlen(bad) - 2] == 'A' ? 'B' : 'A';
	assert_int_equal(sk_pref_csrf_check(t->core, tok, bad, now), SK_ERR_FORBIDDEN);
	assert_int_equal(sk_pref_csrf_check(t->core, tok, tok, now), SK_ERR_FORBIDDEN);
	/* a fixed name for the /p form */
	assert_int_equal(sk_pref_csrf(t->core, "/p", now, csrf), 0);
	assert_int_equal(sk_pref_csrf_check(t->core, "/p", csrf, now), 0);
	assert_int_equal(sk_pref_csrf_check(t->core, tok, csrf, now), SK_ERR_FORBIDDEN);
	tenv_free(t);
}

/* The preflink mail's text: in the language asked, the controller, what the page shows, the
 * link alone on its line, when it expires, "ignore it"; prose wrapped at 72; bad input
 * refused. */
static void preflink_mail_text(void **state)
{
	(void)state;
	struct sk_errctx err = {0};
	char *subject, *text;
	const char *link = "https://consent.example.com/p/abcdefghijklmnopqrstuvwxyz0123456789_-"
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZ.abcdefghijklmnopqrstuvwxyz0123456789";
	int64_t exp = 1798761600; /* 2027-01-01 00:00 UTC */
	assert_int_equal(sk_mail_preflink("sv", "Exempel AB", link, exp, &subject, &text, &err), 0);
	assert_string_equal(subject, "Din länk till dina uppgifter och val – Exempel AB");
	assert_non_null(strstr(text, "Exempel AB"));
	assert_non_null(strstr(text, "ge eller återkalla"));
	assert_non_null(strstr(text, "1 januari 2027 kl. 00:00 (UTC)"));
	assert_non_null(strstr(text, "strunta i det"));
	char line[256];
	snprintf(line, sizeof(line), "\n%s\n", link);
	assert_non_null(strstr(text, line));
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n"), chars = 0;
		for (size_t i = 0; i < n; i++)
			chars += ((unsigned char)p[i] & 0xc0) != 0x80;
		assert_true(chars <= 72 || strncmp(p, link, n) == 0);
		p += n + (p[n] != '\0');
	}
	sk_free(subject);
	sk_free(text);
	assert_int_equal(sk_mail_preflink("en", "Example Ltd", link, exp, &subject, &text, &err), 0);
	assert_non_null(strstr(subject, "Your link to your data and choices"));
	assert_non_null(strstr(text, "withdraw each"));
	assert_non_null(strstr(text, "1 January 2027 at 00:00 UTC"));
	assert_non_null(strstr(text, "did not ask for this link"));
	sk_free(subject);
	sk_free(text);
	assert_int_equal(sk_mail_preflink("de", "Example Ltd", link, exp, &subject, &text, &err),
			 SK_ERR_INVALID);
	assert_int_equal(sk_mail_preflink("en", "Example\nLtd", link, exp, &subject, &text, &err),
			 SK_ERR_INVALID);
	assert_int_equal(sk_mail_preflink("en", "Example Ltd", "https://x y", exp, &subject, &text,
					  &err), SK_ERR_INVALID);
	assert_null(subject);
	assert_null(text);
}

static void ua_classes(void **state)
{
	(void)state;
	assert_string_equal(sk_ua_class(NULL), "unknown");
	assert_string_equal(sk_ua_class(""), "unknown");
	assert_string_equal(sk_ua_class("Googlebot/2.1 (+http://www.google.com/bot.html)"), "bot");
	assert_string_equal(sk_ua_class("curl/8.5.0"), "bot");
	assert_string_equal(sk_ua_class("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)"), "tablet");
	assert_string_equal(sk_ua_class("Mozilla/5.0 (Linux; Android 14; SM-X710) Safari/537.36"),
			    "tablet");
	assert_string_equal(sk_ua_class("Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari"),
			    "mobile");
	assert_string_equal(sk_ua_class("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"),
			    "mobile");
	assert_string_equal(sk_ua_class("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/128.0"),
			    "desktop");
	assert_string_equal(sk_ua_class("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0)"), "desktop");
	assert_string_equal(sk_ua_class("Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0"),
			    "desktop");
	assert_string_equal(sk_ua_class("SomethingElse/1.0"), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(link_mint_and_check),
		cmocka_unit_test(view_contents),
		cmocka_unit_test(set_give_withdraw),
		cmocka_unit_test(set_not_on_consent),
		cmocka_unit_test(set_suppressed),
		cmocka_unit_test(set_double_opt_in),
		cmocka_unit_test(whole_or_nothing),
		cmocka_unit_test(request_and_renew),
		cmocka_unit_test(request_suppressed_mails_nothing),
		cmocka_unit_test(preflink_mail),
		cmocka_unit_test(export_and_erase),
		cmocka_unit_test(csrf_tokens),
		cmocka_unit_test(preflink_mail_text),
		cmocka_unit_test(ua_classes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
