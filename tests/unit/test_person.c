/* test_person.c: the console's "find a person" use cases (core/person.c) on the real store
 * (SQLite, or PostgreSQL under SK_TEST_PG): finding by any variant of the address, the view a
 * role may see (the summary without sealed evidence or history, the full view with them),
 * recording a phone or paper consent with its evidence and actor, refusals that store nothing,
 * roles that may not, rectification, the mailed link, the export and the typed erasure; and
 * the person's page (render/console_person.c) showing each role only what it may see and do;
 * and each action and read in the staff audit trail, a refused one not. */
#include "testlib.h"

#include <jansson.h>

#include "render/console.h"
#include "util/sktime.h"

#define EMAIL "person@example.com"

static const struct sk_staff viewer = {.name = "vera", .role = SK_ROLE_VIEWER};
static const struct sk_staff marketer = {.name = "mia", .role = SK_ROLE_MARKETER};
static const struct sk_staff dpo = {.name = "dana", .role = SK_ROLE_DPO};

static struct tenv *setup_contact(char id[SK_ID_LEN + 1])
{
	struct tenv *t = tenv_new(0);
	struct sk_field_value f[] = {{"first_name", "Pia"}};
	assert_int_equal(sk_contact_add(t->core, EMAIL, f, 1, id, &t->err), 0);
	return t;
}

static const struct sk_person_purpose *purpose_of(const struct sk_person_view *v,
						  const char *id)
{
	for (size_t i = 0; i < v->npurposes; i++)
		if (strcmp(v->purposes[i].purpose->id, id) == 0)
			return &v->purposes[i];
	fail_msg("no purpose %s in the view", id);
	return NULL;
}

struct trail {
	char text[4096];
	int n;
};

static int trail_add(void *arg, const struct sk_staff_audit_rec *a)
{
	struct trail *t = arg;
	size_t len = strlen(t->text);
	snprintf(t->text + len, sizeof(t->text) - len, "%s %s %s %s\n", a->action, a->target,
		 a->detail, a->who);
	t->n++;
	return 0;
}

static struct trail trail_of(struct tenv *t)
{
	struct trail tr = {0};
	assert_int_equal(sk_staff_audit_read(t->core, 0, 100, trail_add, &tr, &t->err), 0);
	return tr;
}

/* Found by any variant of the address; an unknown one is not found, and a suppressed one
 * says so. */
static void find_by_address(void **state)
{
	(void)state;
	char id[SK_ID_LEN + 1], got[SK_ID_LEN + 1], line[128];
	int suppressed = -1;
	struct tenv *t = setup_contact(id);
	assert_int_equal(sk_person_find(t->core, &viewer, "  Person@EXAMPLE.com ", got, &suppressed, &t->err), 0);
	assert_string_equal(got, id);
	assert_int_equal(suppressed, 0);
	assert_int_equal(sk_person_find(t->core, &viewer, "nobody@example.com", got, &suppressed, &t->err),
			 SK_ERR_NOT_FOUND);
	assert_string_equal(got, "");
	assert_int_equal(suppressed, 0);
	assert_int_equal(sk_suppress(t->core, "gone@example.com", "complained", &t->err), 0);
	assert_int_equal(sk_person_find(t->core, &viewer, "GONE@example.com", got, &suppressed, &t->err),
			 SK_ERR_NOT_FOUND);
	assert_int_equal(suppressed, 1);
	assert_int_equal(sk_person_find(t->core, &viewer, "not an address", got, &suppressed, &t->err),
			 SK_ERR_INVALID_EMAIL);
	/* every lookup that answered is audited, a miss too, never with the address */
	struct trail tr = trail_of(t);
	snprintf(line, sizeof(line), "contact.find %s found", id);
	assert_non_null(strstr(tr.text, line));
	assert_non_null(strstr(tr.text, "contact.find  none"));
	assert_non_null(strstr(tr.text, "contact.find  suppressed"));
	assert_null(strstr(tr.text, "example.com"));
	assert_null(strstr(tr.text, "EXAMPLE"));
	tenv_free(t);
}

/* A marketer's view has each purpose's state, the gate's answer and the evidence summary,
 * but no sealed evidence, notice text or history; a DPO's has them all. */
static void view_by_role(void **state)
{
	(void)state;
	char id[SK_ID_LEN + 1];
	struct tenv *t = setup_contact(id);
	int64_t now = sk_time_now();
	struct sk_person_consent in = {.purpose = "newsletter", .action = SK_ACT_GIVE,
				       .method = "phone", .lang = "en", .reference = "CALL-77",
				       .note = "asked about events too"};
	struct sk_consent_event ev;
	assert_int_equal(sk_person_record(t->core, &marketer, id, &in, now, &ev, NULL, &t->err), 0);

	struct sk_person_view v;
	assert_int_equal(sk_person_view(t->core, &marketer, id, now, &v, &t->err), 0);
	assert_int_equal(v.full, 0);
	assert_string_equal(v.contact.fields[0].value, EMAIL);
	const struct sk_person_purpose *p = purpose_of(&v, "newsletter");
	assert_int_equal(p->status, SK_ST_GIVEN);
	assert_true(p->gate.allowed);
	assert_true(p->has_event);
	assert_string_equal(p->event.id, ev.id);
	assert_int_equal(p->event.method, SK_METHOD_PHONE);
	assert_string_equal(p->event.actor, "staff:mia");
	assert_null(p->evidence_json);
	assert_null(p->notice_text);
	assert_null(v.history);
	assert_int_equal(v.nhistory, 0);
	/* a purpose with nothing recorded: unknown, and the gate denies */
	const struct sk_person_purpose *q = purpose_of(&v, "offers");
	assert_int_equal(q->status, SK_ST_UNKNOWN);
	assert_false(q->gate.allowed);
	assert_false(q->has_event);
	sk_person_view_reset(&v);

	assert_int_equal(sk_person_view(t->core, &dpo, id, now, &v, &t->err), 0);
	assert_int_equal(v.full, 1);
	p = purpose_of(&v, "newsletter");
	assert_non_null(p->evidence_json);
	assert_non_null(strstr(p->evidence_json, "\"reference\":\"CALL-77\""));
	assert_non_null(strstr(p->evidence_json, "\"taken_by\":\"staff:mia\""));
	assert_non_null(strstr(p->evidence_json, "asked about events too"));
	assert_non_null(p->notice_text);
	assert_string_equal(p->notice_text,
			    sk_core_policy(t->core)->purposes[0].notice[SK_LANG_EN]);
	assert_int_equal(v.nhistory, 1);
	assert_string_equal(v.history[0].id, ev.id);
	sk_person_view_reset(&v);

	/* newest first */
	in.action = SK_ACT_WITHDRAW;
	in.reference = NULL;
	assert_int_equal(sk_person_record(t->core, &marketer, id, &in, now, NULL, NULL, &t->err), 0);
	assert_int_equal(sk_person_view(t->core, &dpo, id, now, &v, &t->err), 0);
	assert_int_equal(v.nhistory, 2);
	assert_int_equal(v.history[0].action, SK_ACT_WITHDRAW);
	assert_int_equal(v.history[1].action, SK_ACT_GIVE);
	assert_int_equal(purpose_of(&v, "newsletter")->status, SK_ST_WITHDRAWN);
	assert_false(purpose_of(&v, "newsletter")->gate.allowed);
	sk_person_view_reset(&v);

	/* unknown id */
	assert_int_equal(sk_person_view(t->core, &dpo, "c_nobody", now, &v, &t->err),
			 SK_ERR_NOT_FOUND);
	tenv_free(t);
}

/* What a phone consent records: method, actor, source, the time said, the notice version
 * told; and every bad input refused with nothing stored. */
static void record_checks(void **state)
{
	(void)state;
	char id[SK_ID_LEN + 1];
	struct tenv *t = setup_contact(id);
	int64_t now = sk_time_now();
	struct sk_person_consent in = {.purpose = "newsletter", .action = SK_ACT_GIVE,
				       .method = "paper", .lang = "sv", .reference = "FORM-12",
				       .occurred_at = now - 3600};
	struct sk_consent_event ev;
	/* refused: no reference, the future, an unknown method or purpose, a version not yet
	 * written, a role that may not */
	struct sk_person_consent bad = in;
	bad.reference = "  ";
	assert_int_equal(sk_person_record(t->core, &marketer, id, &bad, now, &ev, NULL, &t->err),
			 SK_ERR_INVALID);
	bad = in;
	bad.occurred_at = now + 60;
	assert_int_equal(sk_person_record(t->core, &marketer, id, &bad, now, &ev, NULL, &t->err),
			 SK_ERR_INVALID);
	bad = in;
	bad.method = "form";
	assert_int_equal(sk_person_record(t->core, &marketer, id, &bad, now, &ev, NULL, &t->err),
			 SK_ERR_INVALID);
	bad = in;
	bad.purpose = "nope";
	assert_int_equal(sk_person_record(t->core, &marketer, id, &bad, now, &ev, NULL, &t->err),
			 SK_ERR_UNKNOWN_PURPOSE);
	bad = in;
	bad.notice_version = 2;
	assert_int_equal(sk_person_record(t->core, &marketer, id, &bad, now, &ev, NULL, &t->err),
			 SK_ERR_INVALID);
	assert_int_equal(sk_person_record(t->core, &viewer, id, &in, now, &ev, NULL, &t->err),
			 SK_ERR_FORBIDDEN);
	assert_int_equal(sk_person_record(t->core, &marketer, "c_nobody", &in, now, &ev, NULL,
					  &t->err), SK_ERR_NOT_FOUND);
	assert_int_equal(t_ledger_count(t, id), 0);

	assert_int_equal(sk_person_record(t->core, &marketer, id, &in, now, &ev, NULL, &t->err), 0);
	assert_int_equal(ev.method, SK_METHOD_PAPER);
	assert_string_equal(ev.actor, "staff:mia");
	assert_string_equal(ev.source, "console");
	assert_int_equal(ev.occurred_at, now - 3600);
	assert_int_equal(ev.notice_version, 1);
	assert_string_equal(ev.lang, "sv");
	assert_int_equal(ev.flags & SK_EV_UNVERIFIED, 0);
	assert_string_equal(t_gate(t, EMAIL, "newsletter", 0), "consent");
	assert_int_equal(t_ledger_count(t, id), 1);

	/* only what is in force can be withdrawn */
	struct sk_person_consent w = {.purpose = "offers", .action = SK_ACT_WITHDRAW,
				      .method = "phone"};
	assert_int_equal(sk_person_record(t->core, &marketer, id, &w, now, &ev, NULL, &t->err),
			 SK_ERR_INVALID);
	assert_int_equal(t_ledger_count(t, id), 1);

	/* a withdrawal holds against a paper form dated before it: the give is refused, naming
	 * why, and the consent stays withdrawn; one dated after it is taken */
	struct sk_person_consent wn = {.purpose = "newsletter", .action = SK_ACT_WITHDRAW,
				       .method = "phone", .occurred_at = now - 1800};
	assert_int_equal(sk_person_record(t->core, &marketer, id, &wn, now, &ev, NULL, &t->err), 0);
	assert_string_equal(t_gate(t, EMAIL, "newsletter", 0), "withdrawn");
	struct sk_person_consent old = in;
	old.occurred_at = now - 30 * 86400;
	assert_int_equal(sk_person_record(t->core, &marketer, id, &old, now, &ev, NULL, &t->err),
			 SK_ERR_INVALID);
	assert_non_null(strstr(t->err.msg, "withdrew"));
	assert_string_equal(t_gate(t, EMAIL, "newsletter", 0), "withdrawn");
	assert_int_equal(t_ledger_count(t, id), 2);
	old.occurred_at = now - 60;
	assert_int_equal(sk_person_record(t->core, &marketer, id, &old, now, &ev, NULL, &t->err), 0);
	assert_string_equal(t_gate(t, EMAIL, "newsletter", 0), "consent");
	assert_int_equal(t_ledger_count(t, id), 3);

	/* a suppressed address cannot be given a consent */
	assert_int_equal(sk_suppress(t->core, EMAIL, "complained", &t->err), 0);
	in.purpose = "offers";
	assert_int_equal(sk_person_record(t->core, &marketer, id, &in, now, &ev, NULL, &t->err),
			 SK_ERR_SUPPRESSED);
	assert_int_equal(t_ledger_count(t, id), 3);
	tenv_free(t);
}

/* A double opt-in purpose given by phone is pending, and a link is mailed to the person. */
static void record_double_opt_in(void **state)
{
	(void)state;
	char id[SK_ID_LEN + 1];
	struct tenv *t = setup_contact(id);
	size_t len;
	char *policy = t_example_policy(&len);
	assert_int_equal(t_apply_text(t, t_policy_with(policy, "    double_opt_in: false\n    fields: "
							"[email, first_name]",
							"    double_opt_in: true\n    fields: "
							"[email, first_name]")), 0);
	free(policy);
	int mailed = 0;
	struct sk_person_consent in = {.purpose = "newsletter", .action = SK_ACT_GIVE,
				       .method = "phone", .reference = "CALL-1"};
	assert_int_equal(t_mails_to(t, EMAIL), 0);
	assert_int_equal(sk_person_record(t->core, &marketer, id, &in, sk_time_now(), NULL,
					  &mailed, &t->err), 0);
	assert_int_equal(mailed, 1);
	assert_string_equal(t_gate(t, EMAIL, "newsletter", 0), "pending_confirmation");
	assert_int_equal(t_mails_to(t, EMAIL), 1);
	tenv_free(t);
}

/* Rectify names the staff member; the address is not changed here; a viewer may not. */
static void rectify_and_link(void **state)
{
	(void)state;
	char id[SK_ID_LEN + 1];
	struct tenv *t = setup_contact(id);
	assert_int_equal(sk_person_rectify(t->core, &viewer, id, "first_name", "Per", &t->err),
			 SK_ERR_FORBIDDEN);
	assert_int_equal(sk_person_rectify(t->core, &marketer, id, "email", "x@example.com",
					   &t->err), SK_ERR_INVALID);
	assert_int_equal(sk_person_rectify(t->core, &marketer, id, "shoe_size", "44", &t->err),
			 SK_ERR_UNDECLARED_FIELD);
	assert_int_equal(sk_person_rectify(t->core, &marketer, id, "first_name", "Per", &t->err), 0);
	struct sk_access_export x;
	assert_int_equal(sk_export(t->core, id, "en", &x, &t->err), 0);
	assert_int_equal(x.nrects, 1);
	assert_string_equal(x.rects[0].actor, "staff:mia");
	assert_string_equal(x.rects[0].fields, "first_name");
	int found = 0;
	for (size_t i = 0; i < x.contact.nfields; i++)
		found |= strcmp(x.contact.fields[i].name, "first_name") == 0 &&
			 strcmp(x.contact.fields[i].value, "Per") == 0;
	assert_true(found);
	sk_access_export_reset(&x);

	/* the link goes by mail to the address on file */
	assert_int_equal(sk_person_link(t->core, &viewer, id, "sv", sk_time_now(), &t->err),
			 SK_ERR_FORBIDDEN);
	assert_int_equal(t_mails_to(t, EMAIL), 0);
	assert_int_equal(sk_person_link(t->core, &marketer, id, "sv", sk_time_now(), &t->err), 0);
	assert_int_equal(t_mails_to(t, EMAIL), 1);
	assert_int_equal(sk_suppress(t->core, EMAIL, "complained", &t->err), 0);
	assert_int_equal(sk_person_link(t->core, &marketer, id, "sv", sk_time_now(), &t->err),
			 SK_ERR_SUPPRESSED);
	/* (the suppression dropped the queued mail; none was queued after it) */
	assert_int_equal(t_mails_to(t, EMAIL), 0);
	tenv_free(t);
}

/* Export and erase need the DPO; a wrong confirmation erases nothing; the address (any
 * variant) or the short code erases, and then the person is gone and the gate says so. */
static void export_and_erase(void **state)
{
	(void)state;
	char id[SK_ID_LEN + 1], code[8], got[SK_ID_LEN + 1];
	struct tenv *t = setup_contact(id);
	struct sk_access_export x;
	struct sk_erasure_receipt r;
	assert_int_equal(sk_person_export(t->core, &marketer, id, "en", &x, &t->err),
			 SK_ERR_FORBIDDEN);
	assert_int_equal(sk_person_export(t->core, &dpo, id, "en", &x, &t->err), 0);
	assert_string_equal(x.contact.id, id);
	sk_access_export_reset(&x);

	sk_person_erase_code(id, code);
	assert_int_equal(strlen(code), 6);
	assert_int_equal(sk_person_erase(t->core, &marketer, id, EMAIL, &r, &t->err),
			 SK_ERR_FORBIDDEN);
	assert_int_equal(sk_person_erase(t->core, &dpo, id, "other@example.com", &r, &t->err),
			 SK_ERR_INVALID);
	assert_int_equal(sk_person_erase(t->core, &dpo, id, "", &r, &t->err), SK_ERR_INVALID);
	assert_int_equal(sk_person_erase(t->core, &dpo, id, "ABCDEF", &r, &t->err), SK_ERR_INVALID);
	assert_int_equal(sk_contact_exists(t->core, id, &t->err), 0);

	struct tenv *t2 = setup_contact(got);
	char code2[8];
	sk_person_erase_code(got, code2);
	/* the short code, typed in lower case */
	for (char *p = code2; *p; p++)
		*p = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
	assert_int_equal(sk_person_erase(t2->core, &dpo, got, code2, &r, &t2->err), 0);
	assert_string_equal(r.contact_id, got);
	assert_int_equal(sk_contact_exists(t2->core, got, &t2->err), SK_ERR_NOT_FOUND);
	tenv_free(t2);

	assert_int_equal(sk_person_erase(t->core, &dpo, id, " PERSON@example.COM", &r, &t->err), 0);
	assert_string_equal(r.contact_id, id);
	assert_int_equal(r.suppressed, 1);
	assert_int_equal(sk_contact_exists(t->core, id, &t->err), SK_ERR_NOT_FOUND);
	assert_string_equal(t_gate(t, EMAIL, "newsletter", 0), "erased");
	struct sk_person_view v;
	assert_int_equal(sk_person_view(t->core, &dpo, id, sk_time_now(), &v, &t->err),
			 SK_ERR_NOT_FOUND);
	assert_int_equal(sk_person_erase(t->core, &dpo, id, EMAIL, &r, &t->err), SK_ERR_NOT_FOUND);
	tenv_free(t);
}

/* The receipt of an event needs the evidence permission. */
static void receipt_by_role(void **state)
{
	(void)state;
	char id[SK_ID_LEN + 1];
	struct tenv *t = setup_contact(id);
	struct sk_person_consent in = {.purpose = "newsletter", .action = SK_ACT_GIVE,
				       .method = "phone", .reference = "CALL-2"};
	struct sk_consent_event ev;
	struct sk_consent_receipt r;
	assert_int_equal(sk_person_record(t->core, &marketer, id, &in, sk_time_now(), &ev, NULL,
					  &t->err), 0);
	assert_int_equal(sk_person_receipt(t->core, &marketer, ev.id, &r, &t->err),
			 SK_ERR_FORBIDDEN);
	assert_int_equal(sk_person_receipt(t->core, &dpo, ev.id, &r, &t->err), 0);
	assert_string_equal(r.contact_id, id);
	assert_string_equal(r.method, "phone");
	assert_int_equal(sk_person_receipt(t->core, &dpo, "e_nothing", &r, &t->err),
			 SK_ERR_NOT_FOUND);
	tenv_free(t);
}

/* The person's page as each role sees it: the gate's answer and the summary for all; the
 * sealed evidence, the notice text and the history for the DPO only; each action's form only
 * for a role that may use it, each with the session's CSRF token. */
static char *page_as(struct tenv *t, const struct sk_staff *who, const char *id, int lang)
{
	struct sk_person_view v;
	struct sk_buf b;
	struct sk_con_frame f = {.pol = sk_core_policy(t->core), .lang = lang, .who = who,
				 .csrf = "CSRF-TOKEN", .nav = SK_NAV_PERSON};
	assert_int_equal(sk_person_view(t->core, who, id, sk_time_now(), &v, &t->err), 0);
	assert_int_equal(sk_con_person_page(&b, &f, &v, NULL, NULL), 0);
	assert_int_equal(sk_con_end(&b), 0);
	sk_person_view_reset(&v);
	return sk_buf_steal(&b, NULL);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void page_by_role(void **state)
{
	(void)state;
	char id[SK_ID_LEN + 1];
	struct tenv *t = setup_contact(id);
	struct sk_person_consent in = {.purpose = "newsletter", .action = SK_ACT_GIVE,
				       .method = "phone", .reference = "CALL-<b>9</b>",
				       .note = "said <script>yes</script>"};
	assert_int_equal(sk_person_record(t->core, &marketer, id, &in, sk_time_now(), NULL, NULL,
					  &t->err), 0);
	const char *notice = sk_core_policy(t->core)->purposes[0].notice[SK_LANG_EN];

	char *v = page_as(t, &viewer, id, SK_LANG_EN);
	assert_non_null(strstr(v, "Pia"));
	assert_non_null(strstr(v, "consent</span>")); /* the gate's reason */
	assert_non_null(strstr(v, "staff:mia"));
	assert_null(strstr(v, "CALL-"));              /* no sealed evidence */
	assert_null(strstr(v, "History"));
	assert_null(strstr(v, notice));
	assert_int_equal(count(v, "action=\"/console/person/"), 0); /* no action at all */
	assert_null(strstr(v, "/erase"));
	assert_null(strstr(v, "/export"));
	free(v);

	char *m = page_as(t, &marketer, id, SK_LANG_EN);
	assert_null(strstr(m, "CALL-"));
	assert_null(strstr(m, "/console/receipt/"));
	assert_non_null(strstr(m, "/record?lang=en\""));
	assert_non_null(strstr(m, "/withdraw?lang=en\""));
	assert_non_null(strstr(m, "/rectify?lang=en\""));
	assert_non_null(strstr(m, "/link?lang=en\""));
	assert_null(strstr(m, "/export"));
	assert_null(strstr(m, "/erase"));
	assert_int_equal(count(m, "name=\"csrf\" value=\"CSRF-TOKEN\""), count(m, "<form"));
	free(m);

	char *d = page_as(t, &dpo, id, SK_LANG_SV);
	assert_non_null(strstr(d, "CALL-&lt;b&gt;9&lt;/b&gt;"));
	assert_null(strstr(d, "<script>"));
	assert_non_null(strstr(d, "Historik"));
	assert_non_null(strstr(d, "/console/receipt/"));
	assert_non_null(strstr(d, "/export\""));
	assert_non_null(strstr(d, "/erase\""));
	/* the notice text shown, in the event's language (en) */
	assert_non_null(strstr(d, "<blockquote class=\"notice\">"));
	free(d);
	tenv_free(t);
}

/* The audit trail: newest first, "ACTION TARGET DETAIL WHO" per row, joined by '\n'. */
/* Each action and each read of the person is one audit row, written with it; a refused
 * action writes none; no row holds the address. */
static void audited(void **state)
{
	(void)state;
	char id[SK_ID_LEN + 1], line[256];
	struct tenv *t = setup_contact(id);
	int64_t now = sk_time_now();
	struct sk_person_view v;
	struct sk_person_consent in = {.purpose = "newsletter", .action = SK_ACT_GIVE,
				       .method = "phone", .reference = "CALL-3"};
	struct sk_access_export x;
	struct sk_erasure_receipt r;
	int n0 = trail_of(t).n;

	assert_int_equal(sk_person_view(t->core, &marketer, id, now, &v, &t->err), 0);
	sk_person_view_reset(&v);
	assert_int_equal(sk_person_record(t->core, &marketer, id, &in, now, NULL, NULL, &t->err), 0);
	assert_int_equal(sk_person_rectify(t->core, &marketer, id, "first_name", "Per", &t->err), 0);
	assert_int_equal(sk_person_link(t->core, &marketer, id, "en", now, &t->err), 0);
	assert_int_equal(sk_person_export(t->core, &dpo, id, "en", &x, &t->err), 0);
	sk_access_export_reset(&x);
	/* refused: no row */
	assert_int_equal(sk_person_record(t->core, &viewer, id, &in, now, NULL, NULL, &t->err),
			 SK_ERR_FORBIDDEN);
	assert_int_equal(sk_person_erase(t->core, &dpo, id, "wrong@example.com", &r, &t->err),
			 SK_ERR_INVALID);
	assert_int_equal(trail_of(t).n, n0 + 5);
	assert_int_equal(sk_person_erase(t->core, &dpo, id, EMAIL, &r, &t->err), 0);

	struct trail tr = trail_of(t);
	assert_int_equal(tr.n, n0 + 6);
	const char *want[][3] = {{"contact.view", "summary", "mia"},
				 {"consent.record", "newsletter", "mia"},
				 {"contact.rectify", "first_name", "mia"},
				 {"contact.link", "", "mia"},
				 {"contact.export", "", "dana"},
				 {"contact.erase", "", "dana"}};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(line, sizeof(line), "%s %s %s %s\n", want[i][0], id, want[i][1], want[i][2]);
		if (!strstr(tr.text, line))
			fail_msg("no audit row '%s' in:\n%s", line, tr.text);
	}
	assert_null(strstr(tr.text, "@"));
	assert_null(strstr(tr.text, "Per"));
	tenv_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(find_by_address),
		cmocka_unit_test(view_by_role),
		cmocka_unit_test(record_checks),
		cmocka_unit_test(record_double_opt_in),
		cmocka_unit_test(rectify_and_link),
		cmocka_unit_test(export_and_erase),
		cmocka_unit_test(receipt_by_role),
		cmocka_unit_test(page_by_role),
		cmocka_unit_test(audited),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
