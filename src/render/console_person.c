/* console_person.c: the console's "find a person" pages (docs/console.md, "Finding a person"):
 * the find form, the person's page (each purpose's gate answer and the event, evidence and
 * notice text it rests on; the history; the actions a role may use), the export, the erasure's
 * typed confirmation and its receipt. Every value goes through sk_html. */
#include "render/console.h"

#include <stdio.h>
#include <string.h>

#include "util/str.h"
#include "util/sktime.h"

#define M(name) sk_con_msg(f->lang, SK_CON_PN_##name)

int sk_con_person_find(struct sk_buf *b, const struct sk_con_frame *f, int what)
{
	int rc = sk_con_begin(b, f, sk_con_msg(f->lang, SK_CON_PERSON_TITLE));
	if (!rc && what == SK_CON_PFIND_NONE)
		rc = sk_html(b, "<p class=\"note\" role=\"status\">%s</p>\n", M(FIND_NONE));
	else if (!rc && what == SK_CON_PFIND_SUPPRESSED)
		rc = sk_html(b, "<p class=\"note\" role=\"status\">%s %s</p>\n", M(FIND_NONE),
			     M(FIND_SUPPRESSED));
	else if (!rc && what == SK_CON_PFIND_BAD)
		rc = sk_html(b, "<p class=\"error\" role=\"alert\">%s</p>\n", M(FIND_BAD));
	/* a form's answer is in the page's language (a POST's address has no switch of its own) */
	rc = rc ? rc : sk_html(b, "<p>%s</p>\n<form method=\"post\" action=\"/console/person?lang=%s\">",
			       M(FIND_INTRO), sk_lang_name(f->lang));
	rc = rc ? rc : sk_con_csrf(b, f);
	return rc ? rc : sk_html(b, "<label for=\"email\">%s</label><input type=\"email\" "
				 "id=\"email\" name=\"email\" required autocomplete=\"off\" "
				 "spellcheck=\"false\"> <button type=\"submit\">%s</button></form>\n",
				 M(FIND_EMAIL), M(FIND_SUBMIT));
}

const char *sk_con_person_done(int lang, const char *code)
{
	static const struct {
		const char *code;
		enum sk_con_msg msg;
	} done[] = {
		{"record", SK_CON_PN_DONE_RECORD},   {"pending", SK_CON_PN_DONE_PENDING},
		{"refuse", SK_CON_PN_DONE_REFUSE},   {"withdraw", SK_CON_PN_DONE_WITHDRAW},
		{"rectify", SK_CON_PN_DONE_RECTIFY}, {"link", SK_CON_PN_DONE_LINK},
	};
	for (size_t i = 0; code && i < sizeof(done) / sizeof(done[0]); i++)
		if (strcmp(code, done[i].code) == 0)
			return sk_con_msg(lang, done[i].msg);
	return NULL;
}

static int when(struct sk_buf *b, int64_t t)
{
	char s[SK_TIME_STRLEN];
	if (!t)
		return sk_html(b, "\xe2\x80\x94");
	sk_time_format(t, s);
	return sk_html(b, "<time datetime=\"%s\">%s</time>", s, s);
}

/* The event a state rests on: the summary every role that may find sees. */
static int event_summary(struct sk_buf *b, const struct sk_con_frame *f,
			 const struct sk_consent_event *ev)
{
	char v[16];
	snprintf(v, sizeof(v), "%d", ev->notice_version);
	int rc = sk_html(b, "<dl class=\"ev\"><dt>%s</dt><dd>%s (<code>%s</code>)</dd>"
			 "<dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>", M(P_METHOD),
			 sk_page_method(f->lang, ev->method), sk_method_name(ev->method), M(P_SOURCE),
			 ev->source[0] ? ev->source : "\xe2\x80\x94", M(P_WHEN));
	rc = rc ? rc : when(b, ev->occurred_at);
	rc = rc ? rc : sk_html(b, "</dd><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>",
			       M(P_NOTICE_VERSION), v, M(P_VALID_UNTIL));
	rc = rc ? rc : ev->valid_until ? when(b, ev->valid_until)
				       : sk_html(b, "%s", M(P_UNTIL_WITHDRAWN));
	return rc ? rc : sk_html(b, "</dd><dt>%s</dt><dd>%s</dd></dl>\n", M(P_BY),
				 ev->actor[0] ? ev->actor : "\xe2\x80\x94");
}

/* The full evidence (SK_CAN_EVIDENCE): the sealed evidence, the notice text shown by
 * version and hash, and the receipt. */
static int event_full(struct sk_buf *b, const struct sk_con_frame *f,
		      const struct sk_person_purpose *p)
{
	char hash[2 * SK_HASH_LEN + 1];
	sk_hex(p->event.notice_sha256, SK_HASH_LEN, hash);
	int rc = sk_html(b, "<h4>%s</h4><pre class=\"evidence\">%s</pre>\n", M(P_EVIDENCE),
			 p->evidence_json ? p->evidence_json : M(P_NONE));
	if (!rc && p->given.seq)
		rc = sk_html(b, "<h4>%s</h4><pre class=\"evidence\">%s</pre>\n", M(P_GIVEN_EVIDENCE),
			     p->given_evidence_json ? p->given_evidence_json : M(P_NONE));
	rc = rc ? rc : sk_html(b, "<h4>%s (%s %d, %s, SHA-256 <code class=\"hash\">%s</code>)</h4>"
			       "<blockquote class=\"notice\">%s</blockquote>\n", M(P_NOTICE_SHOWN),
			       M(P_NOTICE_VERSION), p->event.notice_version, p->event.lang, hash,
			       p->notice_text ? p->notice_text : M(P_NONE));
	return rc ? rc : sk_html(b, "<p><a href=\"/console/receipt/%s\" download>%s</a></p>\n",
				 p->event.id, M(P_RECEIPT));
}

static int purposes(struct sk_buf *b, const struct sk_con_frame *f,
		    const struct sk_person_view *v)
{
	int rc = sk_html(b, "<h2>%s</h2>\n", M(P_PURPOSES));
	for (size_t i = 0; !rc && i < v->npurposes; i++) {
		const struct sk_person_purpose *p = &v->purposes[i];
		const char *title = p->purpose->title[f->lang];
		rc = sk_html(b, "<section class=\"purpose\" aria-labelledby=\"pp-%s\"><h3 id=\"pp-%s\">"
			     "%s <code>%s</code></h3>\n<p><span class=\"gate %s\">%s %s: %s</span> "
			     "\xc2\xb7 %s: <strong>%s</strong></p>\n", p->purpose->id, p->purpose->id,
			     title ? title : p->purpose->id, p->purpose->id,
			     p->gate.allowed ? "allowed" : "denied", M(P_GATE),
			     p->gate.allowed ? M(P_ALLOWED) : M(P_DENIED),
			     sk_reason_name(p->gate.reason), M(P_STATUS),
			     p->has_event ? sk_status_name(p->status) : M(P_NOTHING));
		if (!rc && p->has_event) {
			rc = sk_html(b, "<h4>%s: %s <code>%s</code></h4>\n", M(P_RESTS_ON),
				     sk_action_name(p->event.action), p->event.id);
			rc = rc ? rc : event_summary(b, f, &p->event);
			if (!rc && v->full)
				rc = event_full(b, f, p);
		}
		rc = rc ? rc : sk_html(b, "</section>\n");
	}
	return rc;
}

static int history(struct sk_buf *b, const struct sk_con_frame *f,
		   const struct sk_person_view *v)
{
	int rc = sk_html(b, "<h2>%s</h2>\n<table><thead><tr><th scope=\"col\">%s</th>"
			 "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
			 "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
			 "</tr></thead><tbody>\n", M(P_HISTORY), M(P_WHEN), M(P_PURPOSE), M(P_EVENT),
			 M(P_METHOD), M(P_NOTICE_VERSION), M(P_BY), M(P_RECEIPT));
	for (size_t i = 0; !rc && i < v->nhistory; i++) {
		const struct sk_consent_event *e = &v->history[i];
		rc = sk_html(b, "<tr><td>");
		rc = rc ? rc : when(b, e->occurred_at ? e->occurred_at : e->recorded_at);
		rc = rc ? rc : sk_html(b, "</td><td>%s</td><td>%s</td><td>%s</td><td>%d</td>"
				       "<td>%s</td><td><a href=\"/console/receipt/%s\" download>%s</a>"
				       "</td></tr>\n", e->purpose, sk_action_name(e->action),
				       sk_method_name(e->method), e->notice_version, e->actor,
				       e->id, e->id);
	}
	return rc ? rc : sk_html(b, "</tbody></table>\n");
}

static int action_form(struct sk_buf *b, const struct sk_con_frame *f, const char *id,
		       const char *what)
{
	int rc = sk_html(b, "<form method=\"post\" action=\"/console/person/%s/%s?lang=%s\">", id,
			 what, sk_lang_name(f->lang));
	return rc ? rc : sk_con_csrf(b, f);
}

static int purpose_select(struct sk_buf *b, const struct sk_con_frame *f, const char *fid,
			  int consent_only)
{
	int rc = sk_html(b, "<label for=\"%s\">%s</label><select id=\"%s\" name=\"purpose\" "
			 "required>", fid, M(P_PURPOSE), fid);
	for (size_t i = 0; !rc && f->pol && i < f->pol->npurposes; i++) {
		const struct sk_purpose *p = &f->pol->purposes[i];
		if (consent_only && p->basis != SK_BASIS_CONSENT)
			continue;
		rc = sk_html(b, "<option value=\"%s\">%s</option>", p->id,
			     p->title[f->lang] ? p->title[f->lang] : p->id);
	}
	return rc ? rc : sk_html(b, "</select>\n");
}

static int method_radios(struct sk_buf *b, const struct sk_con_frame *f, const char *name)
{
	return sk_html(b, "<fieldset><legend>%s</legend><label class=\"inline\"><input "
		       "type=\"radio\" name=\"method\" value=\"phone\" checked> %s</label>"
		       "<label class=\"inline\"><input type=\"radio\" name=\"method\" value=\"paper\">"
		       " %s</label></fieldset>\n", name, M(R_METHOD_PHONE), M(R_METHOD_PAPER));
}

static int actions(struct sk_buf *b, const struct sk_con_frame *f,
		   const struct sk_person_view *v)
{
	enum sk_role role = f->who ? f->who->role : SK_ROLE_VIEWER;
	const char *id = v->contact.id;
	char now[SK_TIME_STRLEN];
	int rc = 0;
	sk_time_format(v->at, now);
	now[16] = '\0'; /* YYYY-MM-DDTHH:MM, as datetime-local takes it */
	if (!sk_role_may(role, SK_CAN_RECORD) && !sk_role_may(role, SK_CAN_RECTIFY) &&
	    !sk_role_may(role, SK_CAN_LINK) && !sk_role_may(role, SK_CAN_EXPORT) &&
	    !sk_role_may(role, SK_CAN_ERASE))
		return 0;
	rc = sk_html(b, "<h2>%s</h2>\n", M(P_ACTIONS));
	if (!rc && sk_role_may(role, SK_CAN_RECORD)) {
		rc = sk_html(b, "<section class=\"action\" aria-labelledby=\"a-record\"><h3 "
			     "id=\"a-record\">%s</h3>\n", M(R_TITLE));
		rc = rc ? rc : action_form(b, f, id, "record");
		rc = rc ? rc : purpose_select(b, f, "r-purpose", 1);
		rc = rc ? rc : sk_html(b, "<fieldset><legend>%s</legend><label class=\"inline\">"
				       "<input type=\"radio\" name=\"action\" value=\"give\" checked> %s"
				       "</label><label class=\"inline\"><input type=\"radio\" "
				       "name=\"action\" value=\"refuse\"> %s</label></fieldset>\n",
				       M(R_ACTION), M(R_GIVE), M(R_REFUSE));
		rc = rc ? rc : method_radios(b, f, M(P_METHOD));
		rc = rc ? rc : sk_html(b, "<label for=\"r-when\">%s</label><input type=\"datetime-local\""
				       " id=\"r-when\" name=\"when\" max=\"%s\">\n<label "
				       "for=\"r-notice\">%s</label><input type=\"number\" id=\"r-notice\" "
				       "name=\"notice_version\" min=\"1\" placeholder=\"%s\">\n"
				       "<label for=\"r-lang\">%s</label><select id=\"r-lang\" "
				       "name=\"notice_lang\"><option value=\"sv\"%s>svenska</option>"
				       "<option value=\"en\"%s>English</option></select>\n"
				       "<label for=\"r-ref\">%s</label><input type=\"text\" id=\"r-ref\" "
				       "name=\"reference\" required maxlength=\"128\">\n<label "
				       "for=\"r-note\">%s</label><textarea id=\"r-note\" name=\"note\" "
				       "rows=\"2\" maxlength=\"2000\"></textarea>\n<p class=\"muted\">%s"
				       "</p><button type=\"submit\">%s</button></form></section>\n",
				       M(R_WHEN), now, M(R_NOTICE), M(R_CURRENT), M(R_NOTICE_LANG),
				       f->lang == SK_LANG_SV ? " selected" : "",
				       f->lang == SK_LANG_SV ? "" : " selected", M(R_REF), M(R_NOTE),
				       M(R_DOI), M(R_SUBMIT));
		/* withdraw: only what is in force can be withdrawn */
		rc = rc ? rc : sk_html(b, "<section class=\"action\" aria-labelledby=\"a-withdraw\">"
				       "<h3 id=\"a-withdraw\">%s</h3>\n", M(W_TITLE));
		rc = rc ? rc : action_form(b, f, id, "withdraw");
		rc = rc ? rc : purpose_select(b, f, "w-purpose", 1);
		rc = rc ? rc : method_radios(b, f, M(P_METHOD));
		rc = rc ? rc : sk_html(b, "<label for=\"w-ref\">%s</label><input type=\"text\" "
				       "id=\"w-ref\" name=\"reference\" maxlength=\"128\">\n<button "
				       "type=\"submit\">%s</button></form></section>\n", M(R_REF),
				       M(W_SUBMIT));
	}
	if (!rc && sk_role_may(role, SK_CAN_RECTIFY)) {
		rc = sk_html(b, "<section class=\"action\" aria-labelledby=\"a-rectify\"><h3 "
			     "id=\"a-rectify\">%s</h3>\n", M(C_TITLE));
		rc = rc ? rc : action_form(b, f, id, "rectify");
		rc = rc ? rc : sk_html(b, "<label for=\"c-field\">%s</label><select id=\"c-field\" "
				       "name=\"field\" required>", M(C_FIELD));
		for (size_t i = 0; !rc && f->pol && i < f->pol->nfields; i++) {
			const struct sk_field_def *d = &f->pol->fields[i];
			if (strcmp(d->name, "email") == 0)
				continue;
			rc = sk_html(b, "<option value=\"%s\">%s</option>", d->name,
				     d->label[f->lang] ? d->label[f->lang] : d->name);
		}
		rc = rc ? rc : sk_html(b, "</select>\n<label for=\"c-value\">%s</label><input "
				       "type=\"text\" id=\"c-value\" name=\"value\" required>\n<button "
				       "type=\"submit\">%s</button></form></section>\n", M(C_VALUE),
				       M(C_SUBMIT));
	}
	if (!rc && sk_role_may(role, SK_CAN_LINK)) {
		rc = sk_html(b, "<section class=\"action\" aria-labelledby=\"a-link\"><h3 "
			     "id=\"a-link\">%s</h3>\n<p>%s</p>", M(L_TITLE), M(L_TEXT));
		rc = rc ? rc : action_form(b, f, id, "link");
		rc = rc ? rc : sk_html(b, "<button type=\"submit\">%s</button></form></section>\n",
				       M(L_SUBMIT));
	}
	if (!rc && sk_role_may(role, SK_CAN_EXPORT))
		rc = sk_html(b, "<section class=\"action\" aria-labelledby=\"a-export\"><h3 "
			     "id=\"a-export\">%s</h3>\n<p><a href=\"/console/person/%s/export\">%s</a>"
			     " \xc2\xb7 <a href=\"/console/person/%s/export.json\" download>%s</a></p>"
			     "</section>\n", M(X_TITLE), id, M(X_PAGE), id, M(X_JSON));
	if (!rc && sk_role_may(role, SK_CAN_ERASE))
		rc = sk_html(b, "<section class=\"action\" aria-labelledby=\"a-erase\"><h3 "
			     "id=\"a-erase\">%s</h3>\n<p><a class=\"button danger\" "
			     "href=\"/console/person/%s/erase\">%s</a></p></section>\n", M(E_TITLE), id,
			     M(E_LINK));
	return rc;
}

int sk_con_person_page(struct sk_buf *b, const struct sk_con_frame *f,
		       const struct sk_person_view *v, const char *done, const char *error)
{
	int rc = sk_con_begin(b, f, M(P_TITLE));
	if (!rc && done)
		rc = sk_html(b, "<p class=\"note\" role=\"status\">%s</p>\n", done);
	if (!rc && error)
		rc = sk_html(b, "<p class=\"error\" role=\"alert\">%s %s</p>\n", M(REFUSED), error);
	if (!rc && v->suppressed)
		rc = sk_html(b, "<p class=\"error\">%s</p>\n", M(P_SUPPRESSED));
	rc = rc ? rc : sk_html(b, "<h2>%s</h2>\n<table class=\"fields\"><tbody><tr><th "
			       "scope=\"row\">%s</th><td><code>%s</code></td></tr>\n", M(P_FIELDS),
			       M(P_ID), v->contact.id);
	for (size_t i = 0; !rc && i < v->contact.nfields; i++) {
		const struct sk_field_value *fv = &v->contact.fields[i];
		const struct sk_field_def *d = f->pol ? sk_policy_field(f->pol, fv->name) : NULL;
		const char *label = d && d->label[f->lang] ? d->label[f->lang] : fv->name;
		rc = sk_html(b, "<tr><th scope=\"row\">%s</th><td>%s</td></tr>\n", label, fv->value);
	}
	rc = rc ? rc : sk_html(b, "</tbody></table>\n");
	rc = rc ? rc : purposes(b, f, v);
	if (!rc && v->full)
		rc = history(b, f, v);
	return rc ? rc : actions(b, f, v);
}

int sk_con_person_export(struct sk_buf *b, const struct sk_con_frame *f,
			 const struct sk_access_export *x)
{
	int rc = sk_con_begin(b, f, M(X_TITLE));
	rc = rc ? rc : sk_html(b, "<p><a href=\"/console/person/%s\">%s</a> \xc2\xb7 <a "
			       "href=\"/console/person/%s/export.json\" download>%s</a></p>\n<h2>%s</h2>"
			       "<table class=\"fields\"><tbody>", x->contact.id, M(BACK),
			       x->contact.id, M(X_JSON), M(P_FIELDS));
	for (size_t i = 0; !rc && i < x->contact.nfields; i++)
		rc = sk_html(b, "<tr><th scope=\"row\">%s</th><td>%s</td></tr>\n",
			     x->contact.fields[i].name, x->contact.fields[i].value);
	rc = rc ? rc : sk_html(b, "</tbody></table>\n<h2>%s</h2>\n", M(X_CONSENTS));
	for (size_t i = 0; !rc && i < x->nconsents; i++) {
		const struct sk_export_consent *ec = &x->consents[i];
		rc = sk_html(b, "<h3>%s: %s</h3>\n<ul>", ec->state.purpose,
			     sk_status_name(sk_state_status(&ec->state, x->exported_at)));
		for (size_t j = 0; !rc && j < ec->nhistory; j++) {
			const struct sk_consent_event *e = &ec->history[j].event;
			rc = sk_html(b, "<li>");
			rc = rc ? rc : when(b, e->occurred_at ? e->occurred_at : e->recorded_at);
			rc = rc ? rc : sk_html(b, " %s, %s, %s %d</li>", sk_action_name(e->action),
					       sk_page_method(f->lang, e->method), M(P_NOTICE_VERSION),
					       e->notice_version);
		}
		rc = rc ? rc : sk_html(b, "</ul>\n");
	}
	if (!rc && x->nrects) {
		rc = sk_html(b, "<h2>%s</h2><ul>", M(X_RECTS));
		for (size_t i = 0; !rc && i < x->nrects; i++) {
			rc = sk_html(b, "<li>");
			rc = rc ? rc : when(b, x->rects[i].at);
			rc = rc ? rc : sk_html(b, " %s (%s)</li>", x->rects[i].fields, x->rects[i].actor);
		}
		rc = rc ? rc : sk_html(b, "</ul>\n");
	}
	if (!rc && x->nshared) {
		rc = sk_html(b, "<h2>%s</h2><ul>", M(X_SHARED));
		for (size_t i = 0; !rc && i < x->nshared; i++)
			rc = sk_html(b, "<li>%s</li>", x->shared[i].name);
		rc = rc ? rc : sk_html(b, "</ul>\n");
	}
	/* the tied visitors, the send log, the score and tracking: the preference centre's */
	return rc ? rc : sk_page_export_behaviour(b, f->lang, x);
}

int sk_con_person_erase_ask(struct sk_buf *b, const struct sk_con_frame *f, const char *id,
			    const char *code, int wrong)
{
	int rc = sk_con_begin(b, f, M(E_TITLE));
	if (!rc && wrong)
		rc = sk_html(b, "<p class=\"error\" role=\"alert\">%s</p>\n", M(E_WRONG));
	rc = rc ? rc : sk_html(b, "<p>%s</p>\n", M(E_TEXT));
	rc = rc ? rc : sk_html(b, "<form method=\"post\" action=\"/console/person/%s/erase?lang=%s\">",
			       id, sk_lang_name(f->lang));
	rc = rc ? rc : sk_con_csrf(b, f);
	return rc ? rc : sk_html(b, "<label for=\"confirm\">%s</label><p class=\"muted\" "
				 "id=\"confirm-how\">%s <strong><code>%s</code></strong></p><input "
				 "type=\"text\" id=\"confirm\" name=\"confirm\" required "
				 "autocomplete=\"off\" spellcheck=\"false\" "
				 "aria-describedby=\"confirm-how\"> <button type=\"submit\" "
				 "class=\"danger\">%s</button></form>\n<p><a href=\"/console/person/%s\">"
				 "%s</a></p>\n", M(E_CONFIRM), M(E_HOW), code, M(E_SUBMIT), id, M(BACK));
}

int sk_con_person_erased(struct sk_buf *b, const struct sk_con_frame *f,
			 const struct sk_erasure_receipt *r, const char *json)
{
	int rc = sk_con_begin(b, f, M(E_DONE));
	rc = rc ? rc : sk_html(b, "<p class=\"note\" role=\"status\">%s</p>\n", M(E_DONE_TEXT));
	if (!rc && r->scrub_pending)
		rc = sk_html(b, "<p class=\"muted\">%s</p>\n", M(E_SCRUB));
	/* the receipt holds the contact's opaque id only: a data: link downloads it */
	rc = rc ? rc : sk_html(b, "<pre class=\"evidence\">%s</pre>\n<p><a download=\"erasure-%s.json\" "
			       "href=\"data:application/json;charset=utf-8,", json, r->erasure_id);
	for (const unsigned char *p = (const unsigned char *)json; !rc && *p; p++) {
		char esc[4];
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-_.:,", *p))
			rc = sk_buf_append(b, (const char *)p, 1);
		else {
			snprintf(esc, sizeof(esc), "%%%02X", *p);
			rc = sk_buf_append(b, esc, 3);
		}
	}
	return rc ? rc : sk_html(b, "\">%s</a></p>\n", M(E_RECEIPT_JSON));
}

int sk_con_person_missing(struct sk_buf *b, const struct sk_con_frame *f)
{
	int rc = sk_con_message(b, f, M(MISSING), M(MISSING_TEXT));
	return rc ? rc : sk_html(b, "<p><a href=\"/console/person\">%s</a></p>\n", sk_con_msg(f->lang, SK_CON_PERSON_TITLE));
}
