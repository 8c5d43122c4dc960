/* test_outbox.c: web form submissions through the core (sk_form_submit, sk_form_confirm) and
 * the mail outbox drained by the worker's pass against a real aiosmtpd: a submission is
 * stored whole or not at all, a lapsed request confirms nothing, mail waits in the outbox
 * while SMTP is down and goes when it is back, IDN domains go out in ASCII, and an address
 * that needs SMTPUTF8 fails clearly. */
#include "testlib.h"

#include "mail/mail.h"
#include "smtpd.h"
#include "util/sktime.h"

static const struct sk_form *form(struct tenv *t, const char *id)
{
	const struct sk_form *f = sk_policy_form(t->core->policy, id);
	assert_non_null(f);
	return f;
}

static int submit(struct tenv *t, const char *formid, const char *email,
		  const char *const *consents, size_t n)
{
	struct sk_field_value fields[] = {{"email", email}, {"first_name", "Anna"},
					  {"last_name", "Berg"}};
	struct sk_form_input in = {.form = form(t, formid), .email = email, .fields = fields,
				   .nfields = strcmp(formid, "webinar") == 0 ? 3 : 1,
				   .consents = consents, .nconsents = n, .lang = "en",
				   .page_url = "https://www.example.com/w?email=x@example.com#f",
				   .ip = "192.0.2.1", .user_agent = "test", .can_mail = 1,
				   .link_days = 7, .link_base = "https://consent.example.com"};
	struct sk_form_outcome o;
	return sk_form_submit(t->core, &in, &o, &t->err);
}

static long outbox_waiting(struct tenv *t)
{
	struct sk_outbox_rec m;
	int rc = sk_store_outbox_next(t->store, INT64_MAX, &m);
	assert_true(rc == 0 || rc == SK_ERR_NOT_FOUND);
	return rc == 0;
}

/* Under a storage failure at every step, a submission is stored whole (contact, events,
 * request, mail) or not at all, and the answer is the error. */
static void submit_whole_or_nothing(void **state)
{
	(void)state;
	const char *const consents[] = {"offers", "event_invitations"};
	int done = 0;
	long failures = 0;
	for (long n = 1; !done && n < 400; n++) {
		struct tenv *t = tenv_new(1);
		sk_store_fault_set(t->store, n, 0); /* the Nth call fails; the rollback runs */
		int rc = submit(t, "webinar", "whole@example.com", consents, 2);
		sk_store_fault_set(t->store, 0, 0);
		char id[SK_ID_LEN + 1];
		int found = sk_contact_find(t->core, "whole@example.com", id, &t->err) == 0;
		if (rc == 0) {
			assert_true(found);
			assert_string_equal(t_gate(t, "whole@example.com", "offers", 0), "consent");
			assert_string_equal(t_gate(t, "whole@example.com", "event_invitations", 0),
					    "pending_confirmation");
			assert_int_equal(outbox_waiting(t), 1);
			done = 1;
		} else {
			assert_false(found);
			assert_int_equal(outbox_waiting(t), 0);
			assert_string_equal(t_gate(t, "whole@example.com", "event_invitations", 0),
					    "no_consent");
			failures++;
		}
		tenv_free(t);
	}
	assert_true(done);
	assert_true(failures > 0); /* an injected fault made it fail: errors are not ignored */
}

/* A key rotation between a submission and its confirmation: the sealed request is re-sealed
 * under the new key and confirms; the confirmation link signed before the rotation is refused
 * (a forged one would be a forged consent: the person submits again), one signed after works. */
static void rotation_keeps_requests_refuses_old_confirm_links(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	const char *const consents[] = {"newsletter"};
	char old[SK_TOKEN_MAX], fresh[SK_TOKEN_MAX];
	struct sk_master_key_report r;
	struct sk_outbox_rec m;
	int n = -1;

	assert_int_equal(submit(t, "newsletter", "rot@example.com", consents, 1), 0);
	assert_int_equal(sk_store_outbox_next(t->store, INT64_MAX, &m), 0);
	assert_int_equal(sk_vault_token_sign(t->vault, "confirm", m.ref, sk_time_now() + 3600, old),
			 0);
	assert_int_equal(sk_form_link_check(t->core, old, NULL, &t->err), 0);
	assert_int_equal(sk_master_key_rotate(t->core, NULL, &r, &t->err), 0);
	assert_int_equal(r.ok[SK_SEALED_REQUEST], 1);
	assert_int_equal(sk_master_key_check(t->core, &r, &t->err), 0);
	assert_int_equal(r.ok[SK_SEALED_REQUEST], 1);
	assert_int_equal(sk_form_link_check(t->core, old, NULL, &t->err), SK_ERR_INVALID);
	assert_int_equal(sk_vault_token_sign(t->vault, "confirm", m.ref, sk_time_now() + 3600,
					     fresh), 0);
	assert_int_equal(sk_form_link_check(t->core, fresh, NULL, &t->err), 0);
	assert_int_equal(sk_form_confirm(t->core, m.ref, "{}", &n, &t->err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(t_gate(t, "rot@example.com", "newsletter", 0), "consent");
	tenv_free(t);
}

/* The sealed request keeps no query string of the page, and a confirmation records give and
 * confirm, the give dated when it was submitted. */
static void confirm_records_the_request(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	const char *const consents[] = {"newsletter"};
	assert_int_equal(submit(t, "newsletter", "conf@example.com", consents, 1), 0);
	struct sk_outbox_rec m;
	assert_int_equal(sk_store_outbox_next(t->store, INT64_MAX, &m), 0);
	int n = -1;
	assert_int_equal(sk_form_confirm(t->core, m.ref, "{\"ip\":\"192.0.2.9\"}", &n, &t->err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(t_gate(t, "conf@example.com", "newsletter", 0), "consent");
	struct sk_proof p;
	assert_int_equal(sk_consent_proof(t->core, "conf@example.com", "newsletter", &p, &t->err), 0);
	/* the clear source names the site only; the page's path is in the sealed evidence */
	assert_string_equal(p.given.source, "form:newsletter v1 https://www.example.com");
	assert_non_null(strstr(p.given_evidence_json, "\"page_url\":\"https://www.example.com/w\""));
	assert_null(strstr(p.given_evidence_json, "email="));
	sk_proof_reset(&p);
	/* the same link again: nothing left */
	assert_int_equal(sk_form_confirm(t->core, m.ref, "{}", &n, &t->err), 0);
	assert_int_equal(n, 0);
	tenv_free(t);
}

/* A request lapses with its link (link_days, 7 here): a link signed for longer then says
 * the request is gone, and following it records nothing, before the request is deleted. */
static void a_lapsed_request_confirms_nothing(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	const char *const consents[] = {"newsletter"};
	assert_int_equal(submit(t, "newsletter", "lapsed@example.com", consents, 1), 0);
	struct sk_outbox_rec m;
	assert_int_equal(sk_store_outbox_next(t->store, INT64_MAX, &m), 0);
	char later[SK_TOKEN_MAX], at[64];
	int64_t now = sk_time_now();
	assert_int_equal(sk_vault_token_sign(t->vault, "confirm", m.ref, now + 60 * 86400, later), 0);
	struct sk_link_info li;
	/* a positive control: before it lapses the same link is open */
	assert_int_equal(sk_form_link_check(t->core, later, &li, &t->err), 0);
	assert_int_equal(li.state, SK_LINK_OPEN);
	sk_link_info_reset(&li);
	sk_time_format(now + 8 * 86400, at);
	setenv("SAMTYCKE_NOW", at, 1);
	int rc = sk_form_link_check(t->core, later, &li, &t->err), n = -1;
	int lstate = li.state;
	sk_link_info_reset(&li);
	int crc = sk_form_confirm_link(t->core, later, "192.0.2.9", "ua", &n, NULL, &t->err);
	unsetenv("SAMTYCKE_NOW");
	assert_int_equal(rc, 0);
	assert_int_equal(lstate, SK_LINK_GONE);
	assert_int_equal(crc, 0);
	assert_int_equal(n, 0);
	assert_string_not_equal(t_gate(t, "lapsed@example.com", "newsletter", 0), "consent");
	tenv_free(t);
}

/* What the HTTP adapter used to decide is core's now: a robot's post (the honeypot filled)
 * and a double opt-in post while no mail server is configured store nothing and queue
 * nothing; the latter says why (503 busy), the former answers as for a person. */
static void robots_and_mailless_posts_store_nothing(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	const char *const doi[] = {"newsletter"}, *const plain[] = {"offers"};
	struct sk_field_value fields[] = {{"email", "robot@example.com"}};
	struct sk_form_input in = {.form = form(t, "newsletter"), .email = "robot@example.com",
				   .fields = fields, .nfields = 1, .consents = doi, .nconsents = 1,
				   .lang = "en", .ip = "192.0.2.1", .can_mail = 1, .link_days = 7,
				   .robot = 1};
	struct sk_form_outcome o;
	char id[SK_ID_LEN + 1];
	assert_int_equal(sk_form_submit(t->core, &in, &o, &t->err), 0);
	assert_int_equal(o.npending, 1); /* the answer a person would get */
	assert_int_equal(sk_contact_find(t->core, "robot@example.com", id, &t->err), SK_ERR_NOT_FOUND);
	assert_int_equal(outbox_waiting(t), 0);

	in.robot = 0;
	in.can_mail = 0;
	assert_int_equal(sk_form_submit(t->core, &in, &o, &t->err), SK_ERR_BUSY);
	assert_non_null(strstr(t->err.msg, "no mail server is configured"));
	assert_int_equal(sk_contact_find(t->core, "robot@example.com", id, &t->err), SK_ERR_NOT_FOUND);
	assert_int_equal(outbox_waiting(t), 0);

	/* a consent that needs no confirmation goes in without mail */
	in.form = form(t, "webinar");
	struct sk_field_value reg[] = {{"email", "robot@example.com"}, {"first_name", "A"},
				       {"last_name", "B"}};
	in.fields = reg;
	in.nfields = 3;
	in.consents = plain;
	assert_int_equal(sk_form_submit(t->core, &in, &o, &t->err), 0);
	assert_string_equal(t_gate(t, "robot@example.com", "offers", 0), "consent");
	tenv_free(t);
}

/* A confirmation link is checked in core: whole and unexpired confirms, with the click's
 * address and user agent as evidence; altered, made for another use, or expired does not. */
static void confirm_link_holds_its_token(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	const char *const consents[] = {"newsletter"};
	assert_int_equal(submit(t, "newsletter", "link@example.com", consents, 1), 0);
	struct sk_outbox_rec m;
	assert_int_equal(sk_store_outbox_next(t->store, INT64_MAX, &m), 0);
	char good[SK_TOKEN_MAX], other[SK_TOKEN_MAX], old[SK_TOKEN_MAX], bent[SK_TOKEN_MAX];
	int64_t now = sk_time_now();
	assert_int_equal(sk_vault_token_sign(t->vault, "confirm", m.ref, now + 3600, good), 0);
	assert_int_equal(sk_vault_token_sign(t->vault, "unsubscribe", m.ref, now + 3600, other), 0);
	assert_int_equal(sk_vault_token_sign(t->vault, "confirm", m.ref, now - 1, old), 0);
	memcpy(bent, good, sizeof(bent));
	bent[3] = bent[3] == 'A' ? 'B' : 'A';
	int n = -1;
	assert_int_equal(sk_form_link_check(t->core, good, NULL, &t->err), 0);
	assert_int_equal(sk_form_link_check(t->core, bent, NULL, &t->err), SK_ERR_INVALID);
	assert_int_equal(sk_form_link_check(t->core, other, NULL, &t->err), SK_ERR_INVALID);
	assert_int_equal(sk_form_link_check(t->core, old, NULL, &t->err), SK_ERR_EXPIRED);
	assert_int_equal(sk_form_link_check(t->core, "", NULL, &t->err), SK_ERR_INVALID);
	const char *bad[] = {bent, other, old};
	for (size_t i = 0; i < 3; i++) {
		assert_true(sk_form_confirm_link(t->core, bad[i], "192.0.2.9", "ua", &n, NULL, &t->err) != 0);
		assert_int_equal(n, 0);
		assert_string_equal(t_gate(t, "link@example.com", "newsletter", 0),
				    "pending_confirmation");
	}
	assert_int_equal(sk_form_confirm_link(t->core, good, "192.0.2.9", "Firefox", &n, NULL, &t->err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(t_gate(t, "link@example.com", "newsletter", 0), "consent");
	struct sk_proof p;
	assert_int_equal(sk_consent_proof(t->core, "link@example.com", "newsletter", &p, &t->err), 0);
	assert_string_equal(p.evidence_json, "{\"ip\":\"192.0.2.9\",\"user_agent\":\"Firefox\"}");
	sk_proof_reset(&p);
	tenv_free(t);
}

/* SMTP down: the post was stored and its mail waits; when the server is back, the worker
 * sends it on its next attempt, once. */
static void mail_waits_while_smtp_is_down(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char url[64], maildir[128], now[32];
	int port = free_port();
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", port);
	snprintf(maildir, sizeof(maildir), "%s/maildir", t->dir);
	struct sk_mail_config cfg = {.url = url, .from = "Exempel AB <noreply@example.com>",
				     .timeout = 5};
	const char *const consents[] = {"newsletter"};
	int nfailed = 0;
	assert_int_equal(submit(t, "newsletter", "waits@example.com", consents, 1), 0);
	assert_int_equal(sk_mail_worker_pass(t->core, &cfg, "http://x", 10, &nfailed, &t->err), 0);
	assert_int_equal(nfailed, 1);
	smtpd_start_in(t->dir, port, maildir, 0);
	/* not due yet: the back-off holds it */
	assert_int_equal(sk_mail_worker_pass(t->core, &cfg, "http://x", 10, &nfailed, &t->err), 0);
	char names[4][512];
	assert_int_equal(maildir_list(maildir, names, 4, 0), 0);
	/* two minutes later it is due, and goes */
	sk_time_format(sk_time_now() + 120, now);
	setenv("SAMTYCKE_NOW", now, 1);
	assert_int_equal(sk_mail_worker_pass(t->core, &cfg, "http://x", 10, &nfailed, &t->err), 0);
	assert_int_equal(nfailed, 0);
	assert_int_equal(maildir_list(maildir, names, 4, 1), 1);
	char *raw = slurp(names[0]);
	assert_non_null(strstr(raw, "X-RcptTo: waits@example.com"));
	assert_non_null(strstr(raw, "From: Exempel AB <noreply@example.com>"));
	assert_non_null(strstr(raw, "https://consent.example.com/f/confirm/"));
	free(raw);
	/* sent once */
	assert_int_equal(sk_mail_worker_pass(t->core, &cfg, "http://x", 10, &nfailed, &t->err), 0);
	assert_int_equal(maildir_list(maildir, names, 4, 2), 1);
	unsetenv("SAMTYCKE_NOW");
	smtpd_stop(NULL);
	tenv_free(t);
}

/* A submission in Swedish whose webinar form gives offers at once and holds
 * event_invitations: the link says what it is about (open, then confirmed, then gone), in
 * the submission's language, and the mail does not claim that nothing is recorded. */
static void link_says_what_it_is_about(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	const char *const consents[] = {"event_invitations", "offers"};
	struct sk_field_value fields[] = {{"email", "about@example.com"}, {"first_name", "Sara"},
					  {"last_name", "Lind"}};
	struct sk_form_input in = {.form = form(t, "webinar"), .email = "about@example.com",
				   .fields = fields, .nfields = 3, .consents = consents,
				   .nconsents = 2, .lang = "sv", .ip = "192.0.2.1", .can_mail = 1,
				   .link_days = 7, .link_base = "https://consent.example.com"};
	struct sk_form_outcome o;
	struct sk_link_info li;
	struct sk_outgoing out;
	char tok[SK_TOKEN_MAX], later[SK_TOKEN_MAX], old[SK_TOKEN_MAX];
	int64_t now = sk_time_now();
	int n = -1;
	assert_int_equal(sk_form_submit(t->core, &in, &o, &t->err), 0);
	assert_string_equal(t_gate(t, "about@example.com", "offers", 0), "consent");
	assert_int_equal(sk_outbox_take(t->core, "http://x", sk_time_now(), &out, &t->err), 0);
	assert_non_null(strstr(out.text, "Inbjudningar till evenemang"));
	assert_null(strstr(out.text, "inget samtycke registreras"));
	assert_non_null(strstr(out.text, "redan registrerat"));
	assert_int_equal(sk_vault_token_sign(t->vault, "confirm", out.rec.ref, now + 3600, tok), 0);
	assert_int_equal(sk_vault_token_sign(t->vault, "confirm", out.rec.ref, now + 30 * 86400,
					     later), 0);
	assert_int_equal(sk_vault_token_sign(t->vault, "confirm", out.rec.ref, now - 1, old), 0);

	assert_int_equal(sk_form_link_check(t->core, tok, &li, &t->err), 0);
	assert_int_equal(li.state, SK_LINK_OPEN);
	assert_int_equal(li.lang, SK_LANG_SV);
	assert_int_equal(li.npurposes, 1);
	assert_string_equal(li.purposes[0]->id, "event_invitations");
	/* the details confirming would store, as posted, for the page to show first */
	assert_int_equal(li.nfields, 2);
	assert_string_equal(li.fields[0]->name, "first_name");
	assert_string_equal(li.values[0], "Sara");
	assert_string_equal(li.fields[1]->name, "last_name");
	assert_string_equal(li.values[1], "Lind");
	sk_link_info_reset(&li);
	assert_int_equal(li.nfields, 0);

	assert_int_equal(sk_form_confirm_link(t->core, tok, "192.0.2.9", "ua", &n, NULL, &t->err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(sk_form_link_check(t->core, tok, &li, &t->err), 0);
	assert_int_equal(li.state, SK_LINK_CONFIRMED);
	assert_int_equal(li.nfields, 0); /* a confirmed request holds no fields any more */
	assert_int_equal(li.lang, SK_LANG_SV);
	assert_int_equal(li.npurposes, 1);
	assert_string_equal(li.purposes[0]->id, "event_invitations");
	/* an expired link of a confirmed request still says it was confirmed */
	assert_int_equal(sk_form_link_check(t->core, old, &li, &t->err), SK_ERR_EXPIRED);
	assert_int_equal(li.state, SK_LINK_CONFIRMED);
	/* what is kept is no pending request: the gate and a second confirmation see nothing */
	assert_string_equal(t_gate(t, "about@example.com", "event_invitations", 0), "consent");
	assert_int_equal(sk_form_confirm_link(t->core, tok, "192.0.2.9", "ua", &n, NULL, &t->err), 0);
	assert_int_equal(n, 0);
	/* it goes when the link lapses: then the link (one signed for longer) says gone */
	long nd = 0;
	assert_int_equal(sk_form_requests_expire(t->core, now + 8 * 86400, &nd, &t->err), 0);
	assert_int_equal(nd, 1);
	assert_int_equal(sk_form_link_check(t->core, later, &li, &t->err), 0);
	assert_int_equal(li.state, SK_LINK_GONE);
	assert_int_equal(li.lang, -1);
	assert_int_equal(li.npurposes, 0);
	sk_outgoing_reset(&out);

	/* a request whose person was erased: gone, and nothing is confirmed from it */
	in.email = fields[0].value = "erased@example.com";
	assert_int_equal(sk_form_submit(t->core, &in, &o, &t->err), 0);
	assert_int_equal(sk_outbox_take(t->core, "http://x", sk_time_now(), &out, &t->err), 0);
	assert_int_equal(sk_vault_token_sign(t->vault, "confirm", out.rec.ref, now + 3600, tok), 0);
	struct sk_erasure_receipt rcpt;
	assert_int_equal(sk_forget_email(t->core, "erased@example.com", &rcpt, &t->err), 0);
	assert_int_equal(sk_form_link_check(t->core, tok, &li, &t->err), 0);
	assert_int_equal(li.state, SK_LINK_GONE);
	assert_int_equal(sk_form_confirm_link(t->core, tok, "192.0.2.9", "ua", &n, NULL, &t->err), 0);
	assert_int_equal(n, 0);
	sk_outgoing_reset(&out);
	tenv_free(t);
}

/* An internationalised domain goes out as its A-label; a local part beyond ASCII to a
 * server without SMTPUTF8 is given up at once with a clear reason, and goes to one with it. */
static void idn_and_smtputf8(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char url[64], maildir[128], names[4][512];
	int port = free_port(), nfailed = 0;
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", port);
	snprintf(maildir, sizeof(maildir), "%s/maildir", t->dir);
	struct sk_mail_config cfg = {.url = url, .from = "noreply@example.com", .timeout = 5};
	const char *const consents[] = {"newsletter"};
	smtpd_start_in(t->dir, port, maildir, 0);
	assert_int_equal(submit(t, "newsletter", "anna@räksmörgås.example", consents, 1), 0);
	assert_int_equal(sk_mail_worker_pass(t->core, &cfg, "http://x", 10, &nfailed, &t->err), 0);
	assert_int_equal(nfailed, 0);
	assert_int_equal(maildir_list(maildir, names, 4, 1), 1);
	char *raw = slurp(names[0]);
	assert_non_null(strstr(raw, "X-RcptTo: anna@xn--rksmrgs-5wao1o.example"));
	free(raw);

	assert_int_equal(submit(t, "newsletter", "åsa@example.com", consents, 1), 0);
	assert_int_equal(sk_mail_worker_pass(t->core, &cfg, "http://x", 10, &nfailed, &t->err), 0);
	assert_int_equal(nfailed, 1);
	struct sk_outbox_rec m;
	assert_int_equal(sk_store_outbox_next(t->store, INT64_MAX, &m), SK_ERR_NOT_FOUND);
	smtpd_stop(NULL);

	/* the same address to a server that offers SMTPUTF8 */
	char maildir2[160];
	snprintf(maildir2, sizeof(maildir2), "%s/maildir2", t->dir);
	port = free_port();
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", port);
	smtpd_start_in(t->dir, port, maildir2, 1);
	assert_int_equal(submit(t, "newsletter", "björn@example.com", consents, 1), 0);
	assert_int_equal(sk_mail_worker_pass(t->core, &cfg, "http://x", 10, &nfailed, &t->err), 0);
	assert_int_equal(nfailed, 0);
	assert_int_equal(maildir_list(maildir2, names, 4, 1), 1);
	smtpd_stop(NULL);
	tenv_free(t);
}

/* No answer from the mail server is not a refusal, for an address beyond ASCII too: the
 * mail waits for the next attempt. */
static void smtputf8_address_waits_when_smtp_is_down(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char url[64];
	int nfailed = 0;
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", free_port());
	struct sk_mail_config cfg = {.url = url, .from = "noreply@example.com", .timeout = 5};
	const char *const consents[] = {"newsletter"};
	assert_int_equal(submit(t, "newsletter", "örjan@example.com", consents, 1), 0);
	assert_int_equal(sk_mail_worker_pass(t->core, &cfg, "http://x", 10, &nfailed, &t->err), 0);
	assert_int_equal(nfailed, 1);
	struct sk_outbox_rec m;
	assert_int_equal(sk_store_outbox_next(t->store, INT64_MAX, &m), 0);
	assert_int_equal(m.failed_at, 0);
	assert_int_equal(m.attempts, 1);
	tenv_free(t);
}

/* sk_form_check holds a submission against its form, in core, before anything is looked up. */
static void submission_fits_its_form(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	const struct sk_form *nl = form(t, "newsletter");
	struct sk_field_value email[] = {{"email", "fits@example.com"}};
	struct sk_field_value extra[] = {{"email", "fits@example.com"}, {"company", "X"}};
	struct sk_field_value none[] = {{"first_name", "A"}};
	const char *const ok[] = {"newsletter"}, *const twice[] = {"newsletter", "newsletter"},
			  *const other[] = {"offers"};
	struct {
		const struct sk_field_value *f;
		size_t nf;
		const char *const *c;
		size_t nc;
		int rc;
		const char *says;
	} cases[] = {
		{email, 1, ok, 1, 0, ""},
		{extra, 2, ok, 1, SK_ERR_UNDECLARED_FIELD, "field 'company' is not part of this form"},
		{none, 1, ok, 1, SK_ERR_UNDECLARED_FIELD, "first_name"},
		{email, 1, other, 1, SK_ERR_INVALID, "consent 'offers' is not offered"},
		{email, 1, twice, 2, SK_ERR_INVALID, "given twice"},
		{email, 1, ok, 0, SK_ERR_INVALID, "tick at least one consent"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sk_form_input in = {.form = nl, .email = "fits@example.com",
					   .fields = cases[i].f, .nfields = cases[i].nf,
					   .consents = cases[i].c, .nconsents = cases[i].nc,
					   .lang = "en"};
		sk_errctx_reset(&t->err);
		assert_int_equal(sk_form_check(t->core, &in, &t->err), cases[i].rc);
		assert_non_null(strstr(t->err.msg, cases[i].says));
	}
	/* the webinar's own purpose: no box needed, but its required fields are */
	const struct sk_form *web = form(t, "webinar");
	struct sk_field_value reg[] = {{"email", "fits@example.com"}, {"first_name", "A"}};
	struct sk_form_input in = {.form = web, .email = "fits@example.com", .fields = reg,
				   .nfields = 2, .lang = "en"};
	assert_int_equal(sk_form_check(t->core, &in, &t->err), SK_ERR_INVALID);
	assert_non_null(strstr(t->err.msg, "field 'last_name' is required"));
	tenv_free(t);
}

/* Minimisation on the form path: a post stores at once only the fields that the purposes
 * given at once need; a field that only a purpose awaiting confirmation needs waits with
 * it, and is stored when the person confirms. */
static void form_stores_only_what_given_purposes_need(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	size_t len;
	char *policy = t_example_policy(&len);
	/* the webinar's own purpose without company: only event_invitations (double opt-in on
	 * this form) and offers need it */
	assert_int_equal(t_apply_text(t, t_policy_with(policy, "validity: 3 months\n    retention: "
				      "30 days\n    double_opt_in: false\n    fields: [email, "
				      "first_name, last_name, company]", "validity: 3 months\n    "
				      "retention: 30 days\n    double_opt_in: false\n    fields: "
				      "[email, first_name, last_name]")), 0);
	free(policy);
	struct sk_field_value fields[] = {{"email", "mini@example.com"}, {"first_name", "Mia"},
					  {"last_name", "Nord"}, {"company", "Minico AB"}};
	const char *const consents[] = {"event_invitations"};
	struct sk_form_input in = {.form = form(t, "webinar"), .email = "mini@example.com",
				   .fields = fields, .nfields = 4, .consents = consents,
				   .nconsents = 1, .lang = "en", .ip = "192.0.2.1",
				   .user_agent = "test", .can_mail = 1, .link_days = 7,
				   .link_base = "https://consent.example.com"};
	struct sk_form_outcome o;
	assert_int_equal(sk_form_submit(t->core, &in, &o, &t->err), 0);
	char id[SK_ID_LEN + 1];
	struct sk_contact ct;
	assert_int_equal(sk_contact_find(t->core, "mini@example.com", id, &t->err), 0);
	assert_int_equal(sk_contact_get_by_id(t->core, id, &ct, &t->err), 0);
	assert_int_equal(ct.nfields, 3); /* email, first_name, last_name: no company yet */
	for (size_t i = 0; i < ct.nfields; i++)
		assert_string_not_equal(ct.fields[i].name, "company");
	sk_contact_reset(&ct);
	struct sk_outbox_rec m;
	assert_int_equal(sk_store_outbox_next(t->store, INT64_MAX, &m), 0);
	int n = -1;
	assert_int_equal(sk_form_confirm(t->core, m.ref, "{}", &n, &t->err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(sk_contact_get_by_id(t->core, id, &ct, &t->err), 0);
	int company = 0;
	for (size_t i = 0; i < ct.nfields; i++)
		company += strcmp(ct.fields[i].name, "company") == 0 &&
			   strcmp(ct.fields[i].value, "Minico AB") == 0;
	assert_int_equal(company, 1);
	sk_contact_reset(&ct);
	tenv_free(t);
}

/* A confirmation checks the suppression list itself: an address suppressed after its post,
 * by a way that left the request (here the store's own call), confirms nothing and is not
 * brought back. */
static void confirm_of_a_suppressed_address_records_nothing(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	const char *const consents[] = {"newsletter"};
	assert_int_equal(submit(t, "newsletter", "late@example.com", consents, 1), 0);
	uint8_t key[SK_HASH_LEN];
	sk_vault_email_key(t->vault, "late@example.com", key);
	assert_int_equal(sk_store_suppression_put(t->store, key, "bounced", sk_time_now()), 0);
	struct sk_outbox_rec m;
	assert_int_equal(sk_store_outbox_next(t->store, INT64_MAX, &m), 0);
	int n = -1;
	assert_int_equal(sk_form_confirm(t->core, m.ref, "{}", &n, &t->err), 0);
	assert_int_equal(n, 0);
	char id[SK_ID_LEN + 1];
	assert_int_equal(sk_contact_find(t->core, "late@example.com", id, &t->err), SK_ERR_NOT_FOUND);
	assert_string_equal(t_gate(t, "late@example.com", "newsletter", 0), "suppressed");
	/* the request is gone: the link confirms nothing later either */
	assert_int_equal(sk_form_confirm(t->core, m.ref, "{}", &n, &t->err), 0);
	assert_int_equal(n, 0);
	tenv_free(t);
}

/* The body of a quoted-printable message as text: soft line breaks joined, =XX decoded. */
static char *qp_body(const char *raw)
{
	const char *b = strstr(raw, "\r\n\r\n");
	if (!b)
		b = strstr(raw, "\n\n");
	assert_non_null(b);
	char *out = malloc(strlen(b) + 1), *o = out;
	for (const char *p = b; *p; p++) {
		if (*p == '=' && p[1] == '\r' && p[2] == '\n')
			p += 2;
		else if (*p == '=' && p[1] == '\n')
			p += 1;
		else if (*p == '=' && p[1] && p[2]) {
			char hex[3] = {p[1], p[2], 0};
			*o++ = (char)strtol(hex, NULL, 16);
			p += 2;
		} else if (*p != '\r')
			*o++ = *p;
	}
	*o = '\0';
	return out;
}

/* The token of the first line that starts with prefix, into tok. */
static void token_after(const char *text, const char *prefix, char tok[SK_TOKEN_MAX])
{
	char line[SK_TOKEN_MAX + 64];
	snprintf(line, sizeof(line), "\n%s", prefix);
	const char *p = strstr(text, line);
	assert_non_null(p);
	p += strlen(line);
	size_t n = strcspn(p, "\r\n");
	assert_true(n > 0 && n < SK_TOKEN_MAX);
	memcpy(tok, p, n);
	tok[n] = '\0';
}

/* The confirmation mail offers the preference centre: a person on file their own link,
 * anyone else the page that mails one. */
static void confirm_mail_offers_the_preference_centre(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	const char *const nl[] = {"newsletter"}, *const both[] = {"event_invitations", "offers"};
	struct sk_outgoing out;
	char tok[SK_TOKEN_MAX], got[SK_ID_LEN + 1], id[SK_ID_LEN + 1];
	int64_t now = sk_time_now();
	/* a new address, nothing on file until it confirms: the /p page */
	assert_int_equal(submit(t, "newsletter", "new@example.com", nl, 1), 0);
	assert_int_equal(sk_outbox_take(t->core, "http://x", sk_time_now(), &out, &t->err), 0);
	assert_non_null(strstr(out.text, "\nhttps://consent.example.com/p\n"));
	assert_null(strstr(out.text, "/p/"));
	assert_non_null(strstr(out.text, "see the data we hold"));
	assert_int_equal(sk_outbox_done(t->core, &out, 0, NULL, now, &t->err), 0);
	sk_outgoing_reset(&out);
	/* offers is given at once, so the address is on file: its own link */
	assert_int_equal(submit(t, "webinar", "onfile@example.com", both, 2), 0);
	assert_int_equal(sk_contact_find(t->core, "onfile@example.com", id, &t->err), 0);
	assert_int_equal(sk_outbox_take(t->core, "http://x", sk_time_now(), &out, &t->err), 0);
	token_after(out.text, "https://consent.example.com/p/", tok);
	assert_int_equal(sk_pref_check(t->core, tok, now, got, &t->err), 0);
	assert_string_equal(got, id);
	assert_int_equal(sk_pref_check(t->core, tok, now + 31 * 86400, got, &t->err), SK_ERR_EXPIRED);
	sk_outgoing_reset(&out);
	tenv_free(t);
}

/* "Mail me my link": the preflink mail reaches a real SMTP server, to the address on file,
 * in the language asked, with a link that opens this person's page; a fourth request in a
 * day sends nothing. */
static void preflink_mail_reaches_smtp(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char url[64], maildir[128], names[8][512], tok[SK_TOKEN_MAX], id[SK_ID_LEN + 1];
	char got[SK_ID_LEN + 1];
	int port = free_port(), nfailed = 0;
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", port);
	snprintf(maildir, sizeof(maildir), "%s/maildir", t->dir);
	struct sk_mail_config cfg = {.url = url, .from = "noreply@example.com", .timeout = 5};
	assert_int_equal(sk_contact_add(t->core, "Link.Me@example.com", NULL, 0, id, &t->err), 0);
	smtpd_start_in(t->dir, port, maildir, 0);
	assert_int_equal(sk_pref_request(t->core, "link.me@EXAMPLE.com", "en", sk_time_now(),
					 &t->err), 0);
	assert_int_equal(sk_pref_request(t->core, "nobody@example.com", "en", sk_time_now(),
					 &t->err), 0);
	assert_int_equal(sk_mail_worker_pass(t->core, &cfg, "https://consent.example.com", 10,
					     &nfailed, &t->err), 0);
	assert_int_equal(nfailed, 0);
	assert_int_equal(maildir_list(maildir, names, 8, 1), 1);
	char *raw = slurp(names[0]);
	assert_non_null(strstr(raw, "X-RcptTo: Link.Me@example.com")); /* as on file */
	assert_non_null(strstr(raw, "Subject: =?UTF-8?")); /* the en dash: RFC 2047 */
	char *body = qp_body(raw);
	assert_non_null(strstr(body, "Exempel AB"));
	assert_non_null(strstr(body, "did not ask for this link"));
	token_after(body, "https://consent.example.com/p/", tok);
	assert_int_equal(sk_pref_check(t->core, tok, sk_time_now(), got, &t->err), 0);
	assert_string_equal(got, id);
	free(body);
	free(raw);
	/* two more today, then nothing */
	for (int i = 0; i < 4; i++)
		assert_int_equal(sk_pref_request(t->core, "link.me@example.com", "sv", sk_time_now(),
						 &t->err), 0);
	assert_int_equal(sk_mail_worker_pass(t->core, &cfg, "https://consent.example.com", 10,
					     &nfailed, &t->err), 0);
	assert_int_equal(maildir_list(maildir, names, 8, 4), 3);
	smtpd_stop(NULL);
	tenv_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(submission_fits_its_form),
		cmocka_unit_test(form_stores_only_what_given_purposes_need),
		cmocka_unit_test(confirm_of_a_suppressed_address_records_nothing),
		cmocka_unit_test(submit_whole_or_nothing),
		cmocka_unit_test(confirm_records_the_request),
		cmocka_unit_test(a_lapsed_request_confirms_nothing),
		cmocka_unit_test(robots_and_mailless_posts_store_nothing),
		cmocka_unit_test(confirm_link_holds_its_token),
		cmocka_unit_test(link_says_what_it_is_about),
		cmocka_unit_test_teardown(mail_waits_while_smtp_is_down, smtpd_stop),
		cmocka_unit_test_teardown(idn_and_smtputf8, smtpd_stop),
		cmocka_unit_test(smtputf8_address_waits_when_smtp_is_down),
		cmocka_unit_test(confirm_mail_offers_the_preference_centre),
		cmocka_unit_test(rotation_keeps_requests_refuses_old_confirm_links),
		cmocka_unit_test_teardown(preflink_mail_reaches_smtp, smtpd_stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
