/* h_console_person.c: the console's "find a person" routes (docs/console.md, "Finding a
 * person"): /console/person (find by a POSTed address), /console/person/{id} (the page) and its
 * actions, /console/receipt/{event id}. The server has checked the session, the role's
 * permission (the route's "@CAN") and a POST's CSRF token before these run; each parses, makes
 * one core call (sk_person_*) and renders (render/console_person.c). An action ends in a 303
 * back to the page with a done code (never personal data) for its role="status" line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http/http.h"
#include "http/http_int.h"
#include "render/render.h"
#include "util/mem.h"
#include "util/sktime.h"

/* A console form post's fields: each at most once, csrf ignored (the server checked it). */
struct post {
	const char *email, *purpose, *action, *method, *when, *notice_version, *reference, *note,
		*field, *value, *confirm, *notice_lang;
	char *store;
};

static int parse(struct sk_req *r, struct post *p)
{
	const struct sk_post_field fields[] = {
		{"csrf", NULL}, {"email", &p->email}, {"purpose", &p->purpose},
		{"action", &p->action}, {"method", &p->method}, {"when", &p->when},
		{"notice_version", &p->notice_version}, {"reference", &p->reference},
		{"note", &p->note}, {"field", &p->field}, {"value", &p->value},
		{"confirm", &p->confirm}, {"notice_lang", &p->notice_lang}, {NULL, NULL},
	};
	p->store = NULL;
	return sk_req_form(r, fields, &p->store);
}

/* The 404 page of an unknown or erased id. */
static int missing(struct sk_req *r)
{
	struct sk_con_frame f;
	struct sk_buf b;
	sk_con_frame_of(r, SK_NAV_PERSON, &f);
	return sk_con_reply(r, &b, 404, sk_con_person_missing(&b, &f));
}

/* A failure that is not the person's absence: a console page with its status (the message
 * is core's, which names no personal data). */
static int failure(struct sk_req *r, int rc)
{
	struct sk_con_frame f;
	struct sk_buf b;
	if (rc == SK_ERR_NOT_FOUND)
		return missing(r);
	sk_con_frame_of(r, SK_NAV_PERSON, &f);
	int brc = sk_con_message(&b, &f, sk_con_msg(f.lang, SK_CON_PN_REFUSED), r->err.msg);
	return sk_con_reply(r, &b, sk_err_http_status(rc), brc);
}

/* The person's page at status; done and error as sk_con_person_page. */
static int page(struct sk_req *r, int status, const char *done, const char *error)
{
	struct sk_person_view v;
	struct sk_con_frame f;
	struct sk_buf b;
	struct sk_errctx err = {0};
	int rc = sk_person_view(r->core, &r->staff, r->param, sk_time_now(), &v, &err);
	if (rc) {
		r->err = err;
		return failure(r, rc);
	}
	sk_con_frame_of(r, SK_NAV_PERSON, &f);
	rc = sk_con_person_page(&b, &f, &v, done, error);
	sk_person_view_reset(&v);
	return sk_con_reply(r, &b, status, rc);
}

/* After an action: 303 to the page with its done code, or the page again with the refusal. */
static int after(struct sk_req *r, int rc, const char *done)
{
	if (rc == SK_ERR_NOT_FOUND)
		return missing(r);
	if (rc == SK_ERR_STORAGE || rc == SK_ERR_NOMEM || rc == SK_ERR_BUSY || rc == SK_ERR_IO)
		return failure(r, rc);
	if (rc) {
		char msg[sizeof(r->err.msg)];
		sk_strlcpy(msg, r->err.msg, sizeof(msg));
		return page(r, sk_err_http_status(rc), NULL, msg);
	}
	snprintf(r->location, sizeof(r->location), "/console/person/%s?done=%s&lang=%s", r->param,
		 done, sk_lang_name(sk_page_lang(r, NULL)));
	return sk_reply_text(r, 303, "") ? sk_errf(&r->err, SK_ERR_NOMEM, "out of memory") : 0;
}

/* ---- find ---- */

int sk_h_con_person_ask(struct sk_req *r)
{
	struct sk_con_frame f;
	struct sk_buf b;
	sk_con_frame_of(r, SK_NAV_PERSON, &f);
	return sk_con_reply(r, &b, 200, sk_con_person_find(&b, &f, SK_CON_PFIND_ASK));
}

int sk_h_con_person_find(struct sk_req *r)
{
	struct sk_con_frame f;
	struct sk_buf b;
	struct post p;
	char id[SK_ID_LEN + 1];
	int suppressed = 0, what;
	int rc = parse(r, &p);
	if (!rc && !p.email)
		rc = sk_errf(&r->err, SK_ERR_INVALID, "the address is missing");
	if (!rc) {
		rc = sk_person_find(r->core, &r->staff, p.email, id, &suppressed, &r->err);
		if (p.email)
			sk_vault_wipe(p.store, strlen(p.store));
	}
	sk_free(p.store);
	if (rc == 0) {
		/* the address stays in the body: the page is named by the contact's opaque id */
		snprintf(r->location, sizeof(r->location), "/console/person/%s?lang=%s", id,
			 sk_lang_name(sk_page_lang(r, NULL)));
		return sk_reply_text(r, 303, "") ? sk_errf(&r->err, SK_ERR_NOMEM, "out of memory")
						 : 0;
	}
	if (rc == SK_ERR_NOT_FOUND)
		what = suppressed ? SK_CON_PFIND_SUPPRESSED : SK_CON_PFIND_NONE;
	else if (rc == SK_ERR_INVALID_EMAIL || rc == SK_ERR_INVALID)
		what = SK_CON_PFIND_BAD;
	else
		return failure(r, rc);
	sk_errctx_reset(&r->err);
	sk_con_frame_of(r, SK_NAV_PERSON, &f);
	return sk_con_reply(r, &b, what == SK_CON_PFIND_BAD ? 422 : 200,
			    sk_con_person_find(&b, &f, what));
}

/* ---- the page ---- */

int sk_h_con_person(struct sk_req *r)
{
	struct sk_con_frame f;
	sk_con_frame_of(r, SK_NAV_PERSON, &f);
	return page(r, 200, sk_con_person_done(f.lang, sk_req_arg(r, "done")), NULL);
}

/* ---- actions ---- */

static int record(struct sk_req *r, int withdraw)
{
	struct post p;
	struct sk_person_consent in = {0};
	int mailed = 0, rc = parse(r, &p);
	if (rc)
		goto out;
	in.purpose = p.purpose;
	in.action = withdraw ? SK_ACT_WITHDRAW
		    : p.action && strcmp(p.action, "refuse") == 0 ? SK_ACT_REFUSE
		    : p.action && strcmp(p.action, "give") == 0   ? SK_ACT_GIVE
								  : (enum sk_action)-1;
	in.method = p.method;
	in.reference = p.reference;
	in.note = p.note;
	/* the language of the notice the person was told; the page's when not said */
	if (p.notice_lang && *p.notice_lang && sk_lang_from_name(p.notice_lang) < 0) {
		rc = sk_errf(&r->err, SK_ERR_INVALID, "the notice language must be sv or en");
		goto out;
	}
	in.lang = p.notice_lang && *p.notice_lang ? p.notice_lang
						  : sk_lang_name(sk_page_lang(r, NULL));
	if (p.when && *p.when && sk_time_parse_human(p.when, &in.occurred_at)) {
		rc = sk_errf(&r->err, SK_ERR_INVALID, "the time must be YYYY-MM-DDTHH:MM (UTC)");
		goto out;
	}
	if (p.notice_version && *p.notice_version) {
		char *end;
		long v = strtol(p.notice_version, &end, 10);
		if (*end || v < 1 || v > 1000000) {
			rc = sk_errf(&r->err, SK_ERR_INVALID, "the notice version is a number from 1");
			goto out;
		}
		in.notice_version = (int)v;
	}
	rc = sk_person_record(r->core, &r->staff, r->param, &in, sk_time_now(), NULL, &mailed,
			      &r->err);
out:
	sk_free(p.store);
	return after(r, rc, withdraw ? "withdraw" : mailed ? "pending"
				     : in.action == SK_ACT_REFUSE ? "refuse" : "record");
}

int sk_h_con_person_record(struct sk_req *r)
{
	return record(r, 0);
}

int sk_h_con_person_withdraw(struct sk_req *r)
{
	return record(r, 1);
}

int sk_h_con_person_rectify(struct sk_req *r)
{
	struct post p;
	int rc = parse(r, &p);
	if (!rc)
		rc = sk_person_rectify(r->core, &r->staff, r->param, p.field, p.value, &r->err);
	sk_free(p.store);
	return after(r, rc, "rectify");
}

int sk_h_con_person_link(struct sk_req *r)
{
	struct post p;
	int rc = parse(r, &p);
	if (!rc)
		rc = sk_person_link(r->core, &r->staff, r->param,
				    sk_lang_name(sk_page_lang(r, NULL)), sk_time_now(), &r->err);
	sk_free(p.store);
	return after(r, rc, "link");
}

static int export_reply(struct sk_req *r, int json)
{
	struct sk_access_export x;
	struct sk_con_frame f;
	struct sk_buf b;
	sk_con_frame_of(r, SK_NAV_PERSON, &f);
	int rc = sk_person_export(r->core, &r->staff, r->param, sk_lang_name(f.lang), &x, &r->err);
	if (rc)
		return failure(r, rc);
	if (json) {
		r->disposition = "attachment; filename=\"access-export.json\"";
		rc = sk_reply_json(r, 200, sk_json_export(&x));
		if (rc)
			rc = sk_errf(&r->err, SK_ERR_NOMEM, "out of memory");
	} else {
		rc = sk_con_reply(r, &b, 200, sk_con_person_export(&b, &f, &x));
	}
	sk_access_export_reset(&x);
	return rc;
}

int sk_h_con_person_export(struct sk_req *r)
{
	return export_reply(r, 0);
}

int sk_h_con_person_export_json(struct sk_req *r)
{
	return export_reply(r, 1);
}

/* The confirmation page; status 200, or 422 after a wrong confirmation. */
static int erase_ask(struct sk_req *r, int wrong)
{
	struct sk_con_frame f;
	struct sk_buf b;
	char code[8];
	int rc = sk_contact_exists(r->core, r->param, &r->err);
	if (rc)
		return failure(r, rc);
	sk_person_erase_code(r->param, code);
	sk_con_frame_of(r, SK_NAV_PERSON, &f);
	return sk_con_reply(r, &b, wrong ? 422 : 200,
			    sk_con_person_erase_ask(&b, &f, r->param, code, wrong));
}

int sk_h_con_person_erase_page(struct sk_req *r)
{
	return erase_ask(r, 0);
}

int sk_h_con_person_erase(struct sk_req *r)
{
	struct sk_erasure_receipt rec;
	struct sk_con_frame f;
	struct sk_buf b;
	struct post p;
	int rc = parse(r, &p);
	if (!rc)
		rc = sk_person_erase(r->core, &r->staff, r->param, p.confirm ? p.confirm : "", &rec,
				     &r->err);
	if (p.store)
		sk_vault_wipe(p.store, strlen(p.store));
	sk_free(p.store);
	if (rc == SK_ERR_INVALID) {
		sk_errctx_reset(&r->err);
		return erase_ask(r, 1);
	}
	if (rc)
		return failure(r, rc);
	json_t *j = sk_json_erasure(&rec);
	char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(j);
	if (!text)
		return sk_errf(&r->err, SK_ERR_NOMEM, "out of memory");
	sk_con_frame_of(r, SK_NAV_PERSON, &f);
	rc = sk_con_reply(r, &b, 200, sk_con_person_erased(&b, &f, &rec, text));
	free(text);
	return rc;
}

int sk_h_con_receipt(struct sk_req *r)
{
	struct sk_consent_receipt rec;
	int rc = sk_person_receipt(r->core, &r->staff, r->param, &rec, &r->err);
	if (rc)
		return failure(r, rc);
	r->disposition = "attachment; filename=\"consent-receipt.json\"";
	return sk_reply_json(r, 200, sk_json_receipt(&rec))
		       ? sk_errf(&r->err, SK_ERR_NOMEM, "out of memory")
		       : 0;
}
