/* prefs.c: the preference centre's pages (page.h; docs/preference-centre.md, "Pages"): the
 * person's page, the readable export, the erasure's confirmation and receipt, the /p form and
 * its answer, the invalid and expired link pages. Every value goes through sk_html's "%s"
 * and every text is in the catalogue; the structure (ids, classes, forms) is the contract. */
#include "render/page.h"

#include <stdio.h>
#include <string.h>

#include "util/sktime.h"

/* ---- words for people ---- */

static const char *basis_text(int lang, enum sk_basis b)
{
	switch (b) {
	case SK_BASIS_CONSENT: return sk_page_msg(lang, SK_MSG_BASIS_CONSENT);
	case SK_BASIS_LEGITIMATE_INTEREST: return sk_page_msg(lang, SK_MSG_BASIS_LEGITIMATE_INTEREST);
	case SK_BASIS_CONTRACT: return sk_page_msg(lang, SK_MSG_BASIS_CONTRACT);
	case SK_BASIS_LEGAL_OBLIGATION: return sk_page_msg(lang, SK_MSG_BASIS_LEGAL_OBLIGATION);
	}
	return sk_basis_name(b);
}

static const char *status_text(int lang, enum sk_status s)
{
	switch (s) {
	case SK_ST_PENDING: return sk_page_msg(lang, SK_MSG_ST_PENDING);
	case SK_ST_GIVEN: return sk_page_msg(lang, SK_MSG_ST_GIVEN);
	case SK_ST_REFUSED: return sk_page_msg(lang, SK_MSG_ST_REFUSED);
	case SK_ST_WITHDRAWN: return sk_page_msg(lang, SK_MSG_ST_WITHDRAWN);
	case SK_ST_EXPIRED: return sk_page_msg(lang, SK_MSG_ST_EXPIRED);
	case SK_ST_UNVERIFIED: return sk_page_msg(lang, SK_MSG_ST_UNVERIFIED);
	default: return sk_page_msg(lang, SK_MSG_ST_UNKNOWN);
	}
}

static const char *action_text(int lang, enum sk_action a)
{
	switch (a) {
	case SK_ACT_GIVE: return sk_page_msg(lang, SK_MSG_A_GIVE);
	case SK_ACT_REFUSE: return sk_page_msg(lang, SK_MSG_A_REFUSE);
	case SK_ACT_WITHDRAW: return sk_page_msg(lang, SK_MSG_A_WITHDRAW);
	case SK_ACT_CONFIRM: return sk_page_msg(lang, SK_MSG_A_CONFIRM);
	case SK_ACT_EXPIRE: return sk_page_msg(lang, SK_MSG_A_EXPIRE);
	}
	return sk_action_name(a);
}

static const char *category_text(int lang, const char *cat)
{
	static const struct {
		const char *name;
		enum sk_page_msg msg;
	} cats[] = {{"contact", SK_MSG_CAT_CONTACT}, {"fields", SK_MSG_CAT_FIELDS},
		    {"data_key", SK_MSG_CAT_DATA_KEY}, {"consent_state", SK_MSG_CAT_CONSENT_STATE},
		    {"rectifications", SK_MSG_CAT_RECTIFICATIONS},
		    {"tracking_events", SK_MSG_CAT_TRACKING_EVENTS}, {"score", SK_MSG_CAT_SCORE},
		    {"mails_sent", SK_MSG_CAT_MAILS_SENT}, {"visitors", SK_MSG_CAT_VISITORS}};
	for (size_t i = 0; i < sizeof(cats) / sizeof(cats[0]); i++)
		if (strcmp(cats[i].name, cat) == 0)
			return sk_page_msg(lang, cats[i].msg);
	return cat;
}

/* "2026-11-30 20:37 UTC" into out (32 bytes). */
static const char *when(int64_t t, char out[32])
{
	char iso[SK_TIME_STRLEN];
	sk_time_format(t, iso);
	/* YYYY-MM-DDTHH:MM:SSZ -> YYYY-MM-DD HH:MM UTC */
	memcpy(out, iso, 10);
	out[10] = ' ';
	memcpy(out + 11, iso + 11, 5);
	memcpy(out + 16, " UTC", 5);
	return out;
}

/* ---- the frame: heading and language switch ---- */

/* The page's start (sk_page_begin: the header, <main> and the heading), then the language
 * switch. The switch's links are
 * "?lang=xx" (this page again), or "SELF?lang=xx" for an answer to a POST (self: the page to
 * show instead, since the POST's own address has no page to GET). */
static int begin_at(struct sk_buf *b, const struct sk_policy *pol, int lang, const char *title,
		    const char *self)
{
	static const enum sk_page_msg names[SK_NLANG] = {SK_MSG_PREF_LANG_SV, SK_MSG_PREF_LANG_EN};
	int rc = sk_page_begin(b, pol, lang, title);
	rc = rc ? rc : sk_html(b, "<nav class=\"lang\" aria-label=\"%s\"><ul>",
			       sk_page_msg(lang, SK_MSG_PREF_LANG_NAV));
	for (int l = 0; !rc && l < SK_NLANG; l++)
		rc = sk_html(b, l == lang ? "<li><a href=\"%s?lang=%s\" lang=\"%s\" hreflang=\"%s\" "
					    "aria-current=\"true\">%s</a></li>"
					  : "<li><a href=\"%s?lang=%s\" lang=\"%s\" hreflang=\"%s\">%s</a></li>",
			     self ? self : "", sk_lang_name(l), sk_lang_name(l), sk_lang_name(l),
			     sk_page_msg(l, names[l]));
	return rc ? rc : sk_html(b, "</ul></nav>\n");
}

static int begin(struct sk_buf *b, const struct sk_policy *pol, int lang, const char *title)
{
	return begin_at(b, pol, lang, title, NULL);
}

/* The hidden fields every form of these pages carries. */
static int hidden(struct sk_buf *b, int lang, const char *csrf)
{
	return sk_html(b, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
		       "<input type=\"hidden\" name=\"lang\" value=\"%s\">\n", csrf,
		       sk_lang_name(lang));
}

/* <dl> of the contact's fields, labelled as the policy declares them. */
static int data_list(struct sk_buf *b, const struct sk_policy *pol, int lang,
		     const struct sk_contact *ct)
{
	if (!ct->nfields)
		return sk_html(b, "<p>%s</p>\n", sk_page_msg(lang, SK_MSG_PREF_NO_DATA));
	int rc = sk_html(b, "<dl>\n");
	for (size_t i = 0; !rc && i < ct->nfields; i++) {
		const struct sk_field_def *d = pol ? sk_policy_field(pol, ct->fields[i].name) : NULL;
		const char *label = d && d->label[lang] ? d->label[lang] : ct->fields[i].name;
		rc = sk_html(b, "<dt>%s</dt><dd>%s</dd>\n", label, ct->fields[i].value);
	}
	return rc ? rc : sk_html(b, "</dl>\n");
}

/* ---- the person's page ---- */

static int evidence(struct sk_buf *b, int lang, const struct sk_pref_purpose *pp)
{
	char t[32];
	const struct sk_consent_event *ev = &pp->event;
	int rc = sk_html(b, "<h3>%s</h3>\n<dl class=\"evidence\">\n<dt>%s</dt><dd>%s</dd>\n"
			 "<dt>%s</dt><dd>%s</dd>\n<dt>%s</dt><dd>%s</dd>\n",
			 sk_page_msg(lang, SK_MSG_PREF_EVIDENCE), sk_page_msg(lang, SK_MSG_PREF_WHEN),
			 when(ev->occurred_at ? ev->occurred_at : ev->recorded_at, t),
			 sk_page_msg(lang, SK_MSG_PREF_WHERE), pp->page ? pp->page : ev->source,
			 sk_page_msg(lang, SK_MSG_PREF_HOW), sk_page_method(lang, ev->method));
	if (!rc && pp->confirmed_at)
		rc = sk_html(b, "<dt>%s</dt><dd>%s</dd>\n", sk_page_msg(lang, SK_MSG_PREF_CONFIRMED_AT),
			     when(pp->confirmed_at, t));
	if (!rc && ev->notice_version > 0)
		rc = sk_html(b, "<dt>%s</dt><dd>%d</dd>\n", sk_page_msg(lang, SK_MSG_PREF_NOTICE_VERSION),
			     ev->notice_version);
	rc = rc ? rc : sk_html(b, "</dl>\n<details><summary>%s</summary>\n<p class=\"notice\">%s</p>"
			       "</details>\n", sk_page_msg(lang, SK_MSG_PREF_NOTICE_SHOWN),
			       pp->notice_text ? pp->notice_text
					       : sk_page_msg(lang, SK_MSG_PREF_NOTICE_GONE));
	return rc;
}

static int purpose_section(struct sk_buf *b, int lang, const char *token, const char *csrf,
			   const struct sk_pref_purpose *pp)
{
	const struct sk_purpose *p = pp->purpose;
	int consent = p->basis == SK_BASIS_CONSENT;
	int rc = sk_html(b, "<section id=\"purpose-%s\" class=\"purpose\">\n<h2>%s</h2>\n<p>%s</p>\n"
			 "<dl class=\"basis\">\n<dt>%s</dt><dd>%s</dd>\n",
			 p->id, p->title[lang], p->description[lang],
			 sk_page_msg(lang, SK_MSG_PREF_BASIS), basis_text(lang, p->basis));
	/* the status in words (its class says the same, for style: never colour alone); a
	 * purpose on another basis has no consent to show */
	if (!rc && consent)
		rc = sk_html(b, "<dt>%s</dt><dd class=\"status status-%s\">%s</dd>\n",
			     sk_page_msg(lang, SK_MSG_PREF_STATUS), sk_status_name(pp->status),
			     status_text(lang, pp->status));
	else if (!rc)
		rc = sk_html(b, "<dt>%s</dt><dd class=\"status status-basis\">%s</dd>\n",
			     sk_page_msg(lang, SK_MSG_PREF_STATUS),
			     sk_page_msg(lang, SK_MSG_ST_NOT_CONSENT));
	rc = rc ? rc : sk_html(b, "</dl>\n");
	if (!rc && !consent)
		rc = sk_html(b, "<p>%s</p>\n", sk_page_msg(lang, SK_MSG_PREF_NOT_CONSENT));
	if (!rc && pp->has_event)
		rc = evidence(b, lang, pp);
	else if (!rc && consent)
		rc = sk_html(b, "<p>%s</p>\n", sk_page_msg(lang, SK_MSG_PREF_NO_EVENT));
	if (!rc && consent && pp->changeable) {
		int given = pp->status == SK_ST_GIVEN;
		rc = sk_html(b, "<form method=\"post\" action=\"/p/%s/consent\">\n", token);
		rc = rc ? rc : hidden(b, lang, csrf);
		/* giving: the notice text in force beside the button, and its version posted with
		 * it, so the event names the text the person read */
		if (!rc && !given && p->notice_version > 0)
			rc = sk_html(b, "<p class=\"notice-current\"><strong>%s</strong><br>%s</p>\n"
				     "<input type=\"hidden\" name=\"notice_version\" value=\"%d\">\n",
				     sk_page_msg(lang, SK_MSG_PREF_NOTICE_NOW), p->notice[lang],
				     p->notice_version);
		rc = rc ? rc : sk_html(b, "<input type=\"hidden\" name=\"purpose\" value=\"%s\">\n"
				       "<button type=\"submit\" name=\"action\" value=\"%s\">%s</button>\n"
				       "</form>\n", p->id, given ? "withdraw" : "give",
				       sk_page_msg(lang, given ? SK_MSG_PREF_WITHDRAW : SK_MSG_PREF_GIVE));
	}
	return rc ? rc : sk_html(b, "</section>\n");
}

int sk_page_pref(struct sk_buf *b, const struct sk_policy *pol, int lang, const char *token,
		 const char *csrf, const struct sk_pref_view *v, const char *saved,
		 const char *error)
{
	char t[32], self[SK_PREF_LINK_MAX + 8];
	/* with an error it answers a POST of its form: the switch leads to the page itself */
	snprintf(self, sizeof(self), "/p/%s", token);
	int rc = begin_at(b, pol, lang, sk_page_msg(lang, SK_MSG_PREF_TITLE), error ? self : NULL);
	if (!rc && error)
		rc = sk_html(b, "<p role=\"alert\" class=\"error\">%s %s</p>\n",
			     sk_page_msg(lang, SK_MSG_PREF_NOT_SAVED), error);
	if (!rc && saved && !error) {
		const struct sk_pref_purpose *pp = NULL;
		for (size_t i = 0; i < v->npurposes; i++)
			if (strcmp(v->purposes[i].purpose->id, saved) == 0)
				pp = &v->purposes[i];
		/* what the page shows now, named: a saved= that names no purpose on consent
		 * (a hand-made address) says nothing */
		if (pp && pp->purpose->basis == SK_BASIS_CONSENT)
			rc = sk_html(b, "<p role=\"status\" class=\"saved\">%s: %s</p>\n",
				     sk_page_msg(lang, pp->status == SK_ST_GIVEN ? SK_MSG_PREF_SAVED_GIVEN
										  : SK_MSG_PREF_SAVED_WITHDRAWN),
				     pp->purpose->title[lang]);
	}
	rc = rc ? rc : sk_html(b, "<p>%s</p>\n<section id=\"data\">\n<h2>%s</h2>\n",
			       sk_page_msg(lang, SK_MSG_PREF_INTRO), sk_page_msg(lang, SK_MSG_PREF_DATA));
	rc = rc ? rc : data_list(b, pol, lang, &v->contact);
	rc = rc ? rc : sk_html(b, "</section>\n");
	for (size_t i = 0; !rc && i < v->npurposes; i++)
		rc = purpose_section(b, lang, token, csrf, &v->purposes[i]);
	const char *ln = sk_lang_name(lang);
	rc = rc ? rc : sk_html(b, "<section id=\"links\">\n<h2>%s</h2>\n<ul>\n"
			       "<li><a href=\"/p/%s/export.json\">%s</a></li>\n"
			       "<li><a href=\"/p/%s/export?lang=%s\">%s</a></li>\n"
			       "<li><a href=\"/p/%s/erase?lang=%s\">%s</a></li>\n</ul>\n",
			       sk_page_msg(lang, SK_MSG_PREF_YOUR_DATA), token,
			       sk_page_msg(lang, SK_MSG_PREF_DOWNLOAD), token, ln,
			       sk_page_msg(lang, SK_MSG_PREF_SEE_EXPORT), token, ln,
			       sk_page_msg(lang, SK_MSG_PREF_ERASE_LINK));
	if (!rc && v->link_expires)
		rc = sk_html(b, "<p class=\"expires\">%s %s</p>\n",
			     sk_page_msg(lang, SK_MSG_PREF_LINK_VALID), when(v->link_expires, t));
	rc = rc ? rc : sk_html(b, "</section>\n");
	return rc;
}

/* ---- the readable export ---- */

static int export_consent(struct sk_buf *b, int lang, const struct sk_access_export *x,
			  const struct sk_export_consent *c)
{
	char t[32];
	const char *title = c->purpose ? c->purpose->title[lang] : c->state.purpose;
	int rc = sk_html(b, "<section class=\"consent\" id=\"consent-%s\">\n<h3>%s</h3>\n<dl>\n"
			 "<dt>%s</dt><dd>%s</dd>\n", c->state.purpose, title,
			 sk_page_msg(lang, SK_MSG_PREF_STATUS),
			 status_text(lang, sk_state_status(&c->state, x->exported_at)));
	if (!rc && c->purpose)
		rc = sk_html(b, "<dt>%s</dt><dd>%s</dd>\n", sk_page_msg(lang, SK_MSG_PREF_BASIS),
			     basis_text(lang, c->purpose->basis));
	if (!rc && c->state.valid_until)
		rc = sk_html(b, "<dt>%s</dt><dd>%s</dd>\n", sk_page_msg(lang, SK_MSG_EXP_VALID_UNTIL),
			     when(c->state.valid_until, t));
	rc = rc ? rc : sk_html(b, "</dl>\n<table>\n<caption>%s</caption>\n<thead><tr>"
			       "<th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
			       "<th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
			       "<th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
			       sk_page_msg(lang, SK_MSG_EXP_HISTORY), sk_page_msg(lang, SK_MSG_PREF_WHEN),
			       sk_page_msg(lang, SK_MSG_EXP_ACTION), sk_page_msg(lang, SK_MSG_PREF_HOW),
			       sk_page_msg(lang, SK_MSG_PREF_WHERE),
			       sk_page_msg(lang, SK_MSG_PREF_NOTICE_VERSION));
	for (size_t i = 0; !rc && i < c->nhistory; i++) {
		const struct sk_consent_event *ev = &c->history[i].event;
		rc = sk_html(b, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%d</td></tr>\n",
			     when(ev->occurred_at ? ev->occurred_at : ev->recorded_at, t),
			     action_text(lang, ev->action), sk_page_method(lang, ev->method),
			     ev->source, ev->notice_version);
	}
	rc = rc ? rc : sk_html(b, "</tbody>\n</table>\n");
	/* the notice text that set the state, as shown then */
	if (!rc && c->last && c->last->notice_text)
		rc = sk_html(b, "<details><summary>%s</summary>\n<p class=\"notice\">%s</p></details>\n",
			     sk_page_msg(lang, SK_MSG_PREF_NOTICE_SHOWN), c->last->notice_text);
	return rc ? rc : sk_html(b, "</section>\n");
}

/* The banner's answers of the browsers tied to the person (docs/banner.md). */
static int export_visitors(struct sk_buf *b, int lang, const struct sk_access_export *x)
{
	char t[32];
	size_t n = 0;
	int rc = sk_html(b, "<section id=\"visitors\">\n<h2>%s</h2>\n",
			 sk_page_msg(lang, SK_MSG_EXP_VISITORS));
	for (size_t i = 0; i < x->nvisitors; i++)
		n += x->visitors[i].nanswers;
	if (!rc && !n)
		return sk_html(b, "<p>%s</p>\n</section>\n", sk_page_msg(lang, SK_MSG_EXP_NO_VISITORS));
	rc = rc ? rc : sk_html(b, "<table>\n<thead><tr><th scope=\"col\">%s</th><th scope=\"col\">"
			       "%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead>"
			       "\n<tbody>\n", sk_page_msg(lang, SK_MSG_PREF_WHEN),
			       sk_page_msg(lang, SK_MSG_EXP_PURPOSE), sk_page_msg(lang, SK_MSG_EXP_ANSWER),
			       sk_page_msg(lang, SK_MSG_EXP_PAGE));
	for (size_t i = 0; !rc && i < x->nvisitors; i++)
		for (size_t j = 0; !rc && j < x->visitors[i].nanswers; j++) {
			const struct sk_visitor_answer_rec *a = &x->visitors[i].answers[j];
			int act = sk_action_from_name(a->action);
			rc = sk_html(b, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
				     when(a->at, t), a->purpose,
				     act >= 0 ? action_text(lang, (enum sk_action)act) : a->action,
				     a->page);
		}
	return rc ? rc : sk_html(b, "</tbody>\n</table>\n</section>\n");
}

/* The campaigns' send log (docs/campaigns.md). */
static int export_mails(struct sk_buf *b, int lang, const struct sk_access_export *x)
{
	char t[32];
	int rc = sk_html(b, "<section id=\"mailings\">\n<h2>%s</h2>\n",
			 sk_page_msg(lang, SK_MSG_EXP_MAILS));
	if (!rc && !x->nsends)
		return sk_html(b, "<p>%s</p>\n</section>\n", sk_page_msg(lang, SK_MSG_EXP_NO_MAILS));
	rc = rc ? rc : sk_html(b, "<table>\n<thead><tr><th scope=\"col\">%s</th><th scope=\"col\">"
			       "%s</th><th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
			       sk_page_msg(lang, SK_MSG_PREF_WHEN),
			       sk_page_msg(lang, SK_MSG_EXP_MAIL_CAMPAIGN),
			       sk_page_msg(lang, SK_MSG_EXP_MAIL_STATE));
	for (size_t i = 0; !rc && i < x->nsends; i++)
		rc = sk_html(b, "<tr><td>%s</td><td>%s</td><td>%s %s</td></tr>\n",
			     when(x->sends[i].sent_at ? x->sends[i].sent_at : x->sends[i].queued_at, t),
			     x->sends[i].campaign_id, x->sends[i].state, x->sends[i].reason);
	return rc ? rc : sk_html(b, "</tbody>\n</table>\n</section>\n");
}

/* The export's tracking part (helper track): the stored score and the attached events, each
 * with its time, type and page (docs/tracking.md). */
static int export_tracking(struct sk_buf *b, int lang, const struct sk_access_export *x)
{
	char t[32];
	int rc = sk_html(b, "<section id=\"tracking\">\n<h2>%s</h2>\n",
			 sk_page_msg(lang, SK_MSG_EXP_TRACKING));
	if (!rc && !x->has_score && !x->ntrack_events)
		return sk_html(b, "<p>%s</p>\n</section>\n", sk_page_msg(lang, SK_MSG_EXP_NO_TRACKING));
	if (!rc && x->has_score)
		rc = sk_html(b, "<p>%s: %d (%s)</p>\n", sk_page_msg(lang, SK_MSG_EXP_SCORE),
			     (int)x->score.score, when(x->score.computed_at, t)); /* <= the cap */
	if (!rc && x->ntrack_events)
		rc = sk_html(b, "<table>\n<thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s"
			     "</th><th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
			     sk_page_msg(lang, SK_MSG_PREF_WHEN), sk_page_msg(lang, SK_MSG_EXP_EVENT),
			     sk_page_msg(lang, SK_MSG_EXP_PAGE));
	for (size_t i = 0; !rc && i < x->ntrack_events; i++) {
		const struct sk_track_rec *e = &x->track_events[i];
		rc = sk_html(b, "<tr><td>%s</td><td>%s%s%s</td><td>%s</td></tr>\n", when(e->at, t),
			     e->type, e->name[0] ? ": " : "", e->name, e->url);
	}
	if (!rc && x->ntrack_events)
		rc = sk_html(b, "</tbody>\n</table>\n");
	return rc ? rc : sk_html(b, "</section>\n");
}

int sk_page_export_behaviour(struct sk_buf *b, int lang, const struct sk_access_export *x)
{
	int rc = export_visitors(b, lang, x);
	rc = rc ? rc : export_mails(b, lang, x);
	return rc ? rc : export_tracking(b, lang, x);
}

int sk_page_pref_export(struct sk_buf *b, const struct sk_policy *pol, int lang,
			const char *token, const struct sk_access_export *x)
{
	char t[32];
	int rc = begin(b, pol, lang, sk_page_msg(lang, SK_MSG_EXP_TITLE));
	rc = rc ? rc : sk_html(b, "<p>%s: %s</p>\n<section id=\"data\">\n<h2>%s</h2>\n",
			       sk_page_msg(lang, SK_MSG_EXP_AT), when(x->exported_at, t),
			       sk_page_msg(lang, SK_MSG_PREF_DATA));
	rc = rc ? rc : data_list(b, pol, lang, &x->contact);
	rc = rc ? rc : sk_html(b, "</section>\n<section id=\"consents\">\n<h2>%s</h2>\n",
			       sk_page_msg(lang, SK_MSG_EXP_CONSENTS));
	if (!rc && !x->nconsents)
		rc = sk_html(b, "<p>%s</p>\n", sk_page_msg(lang, SK_MSG_EXP_NO_CONSENTS));
	for (size_t i = 0; !rc && i < x->nconsents; i++)
		rc = export_consent(b, lang, x, &x->consents[i]);
	rc = rc ? rc : sk_html(b, "</section>\n<section id=\"rectifications\">\n<h2>%s</h2>\n",
			       sk_page_msg(lang, SK_MSG_EXP_RECTS));
	if (!rc && !x->nrects)
		rc = sk_html(b, "<p>%s</p>\n", sk_page_msg(lang, SK_MSG_EXP_NO_RECTS));
	else if (!rc)
		rc = sk_html(b, "<table>\n<thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
			     "<th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
			     sk_page_msg(lang, SK_MSG_PREF_WHEN), sk_page_msg(lang, SK_MSG_EXP_FIELDS),
			     sk_page_msg(lang, SK_MSG_EXP_BY));
	for (size_t i = 0; !rc && i < x->nrects; i++)
		rc = sk_html(b, "<tr><td>%s</td><td>%s</td><td>%s</td></tr>\n",
			     when(x->rects[i].at, t), x->rects[i].fields, x->rects[i].actor);
	if (!rc && x->nrects)
		rc = sk_html(b, "</tbody>\n</table>\n");
	/* the banner's visitors, the send log, the tracking (issue 16): shared with the
	 * console's export page */
	rc = rc ? rc : sk_html(b, "</section>\n");
	rc = rc ? rc : sk_page_export_behaviour(b, lang, x);
	rc = rc ? rc : sk_html(b, "<section id=\"shared\">\n<h2>%s</h2>\n",
			       sk_page_msg(lang, SK_MSG_EXP_SHARED));
	if (!rc && !x->nshared)
		rc = sk_html(b, "<p>%s</p>\n", sk_page_msg(lang, SK_MSG_EXP_NO_SHARED));
	else if (!rc)
		rc = sk_html(b, "<ul>\n");
	for (size_t i = 0; !rc && i < x->nshared; i++)
		rc = sk_html(b, "<li>%s: %s</li>\n",
			     sk_page_msg(lang, x->shared[i].webhook ? SK_MSG_EXP_WEBHOOK : SK_MSG_EXP_KEY),
			     x->shared[i].name);
	if (!rc && x->nshared)
		rc = sk_html(b, "</ul>\n");
	rc = rc ? rc : sk_html(b, "</section>\n<p><a href=\"/p/%s?lang=%s\">%s</a></p>\n", token,
			       sk_lang_name(lang), sk_page_msg(lang, SK_MSG_PREF_BACK));
	return rc;
}

/* ---- erasure ---- */

int sk_page_pref_erase(struct sk_buf *b, const struct sk_policy *pol, int lang,
		       const char *token, const char *csrf)
{
	int rc = begin(b, pol, lang, sk_page_msg(lang, SK_MSG_ERASE_TITLE));
	rc = rc ? rc : sk_html(b, "<p>%s</p>\n<form method=\"post\" action=\"/p/%s/erase\">\n",
			       sk_page_msg(lang, SK_MSG_ERASE_TEXT), token);
	rc = rc ? rc : hidden(b, lang, csrf);
	rc = rc ? rc : sk_html(b, "<button type=\"submit\">%s</button>\n</form>\n"
			       "<p><a href=\"/p/%s?lang=%s\">%s</a></p>\n",
			       sk_page_msg(lang, SK_MSG_ERASE_BUTTON), token, sk_lang_name(lang),
			       sk_page_msg(lang, SK_MSG_PREF_BACK));
	return rc;
}

int sk_page_pref_erased(struct sk_buf *b, const struct sk_policy *pol, int lang,
			const struct sk_erasure_receipt *r)
{
	char t[32];
	int rc = begin_at(b, pol, lang, sk_page_msg(lang, SK_MSG_ERASED_TITLE), "/p");
	rc = rc ? rc : sk_html(b, "<p role=\"status\">%s</p>\n<ul class=\"erased\">\n",
			       sk_page_msg(lang, SK_MSG_ERASED_TEXT));
	for (size_t i = 0; !rc && i < r->ncategories; i++)
		rc = sk_html(b, "<li>%s</li>\n", category_text(lang, r->categories[i]));
	rc = rc ? rc : sk_html(b, "</ul>\n<p>%s</p>\n<p>", sk_page_msg(lang, SK_MSG_ERASED_SUPPRESSED));
	/* the catalogue's text is a format of its own: %d, the number of events kept */
	rc = rc ? rc : sk_html(b, sk_page_msg(lang, SK_MSG_ERASED_LEDGER), (int)r->ledger_events_kept);
	rc = rc ? rc : sk_html(b, "</p>\n");
	if (!rc && r->scrub_pending)
		rc = sk_html(b, "<p>%s</p>\n", sk_page_msg(lang, SK_MSG_ERASED_SCRUB));
	rc = rc ? rc : sk_html(b, "<dl>\n<dt>%s</dt><dd>%s</dd>\n<dt>%s</dt><dd>%s</dd>\n</dl>\n",
			       sk_page_msg(lang, SK_MSG_ERASED_ID), r->erasure_id,
			       sk_page_msg(lang, SK_MSG_ERASED_AT), when(r->erased_at, t));
	return rc;
}

/* ---- asking for a link ---- */

int sk_page_pref_ask(struct sk_buf *b, const struct sk_policy *pol, int lang,
		     const char *csrf, const char *error)
{
	int rc = begin(b, pol, lang, sk_page_msg(lang, SK_MSG_ASK_TITLE));
	if (!rc && error)
		rc = sk_html(b, "<p role=\"alert\" class=\"error\">%s</p>\n", error);
	rc = rc ? rc : sk_html(b, "<p>%s</p>\n<form method=\"post\" action=\"/p\">\n",
			       sk_page_msg(lang, SK_MSG_ASK_TEXT));
	rc = rc ? rc : hidden(b, lang, csrf);
	return rc ? rc : sk_html(b, "<label for=\"email\">%s</label>"
					"<input type=\"email\" id=\"email\" name=\"email\" "
					"autocomplete=\"email\" maxlength=\"254\" required>\n"
					"<p><button type=\"submit\">%s</button></p>\n</form>\n",
					sk_page_msg(lang, SK_MSG_ASK_EMAIL),
					sk_page_msg(lang, SK_MSG_ASK_BUTTON));
}

int sk_page_pref_sent(struct sk_buf *b, const struct sk_policy *pol, int lang)
{
	int rc = begin_at(b, pol, lang, sk_page_msg(lang, SK_MSG_ASK_SENT_TITLE), "/p");
	return rc ? rc : sk_html(b, "<p role=\"status\">%s</p>\n",
					sk_page_msg(lang, SK_MSG_ASK_SENT));
}

int sk_page_pref_message(struct sk_buf *b, const struct sk_policy *pol, int lang,
			 const char *self, const char *title, const char *text)
{
	int rc = begin_at(b, pol, lang, title, self);
	return rc ? rc : sk_html(b, "<p>%s</p>\n", text);
}

int sk_page_pref_invalid(struct sk_buf *b, const struct sk_policy *pol, int lang)
{
	int rc = begin(b, pol, lang, sk_page_msg(lang, SK_MSG_LINK_INVALID));
	return rc ? rc : sk_html(b, "<p>%s <a href=\"/p?lang=%s\">%s</a></p>\n",
					sk_page_msg(lang, SK_MSG_LINK_INVALID_PREF),
					sk_lang_name(lang), sk_page_msg(lang, SK_MSG_ASK_TITLE));
}

int sk_page_pref_expired(struct sk_buf *b, const struct sk_policy *pol, int lang,
			 const char *token, const char *csrf)
{
	int rc = begin(b, pol, lang, sk_page_msg(lang, SK_MSG_LINK_EXPIRED));
	rc = rc ? rc : sk_html(b, "<p>%s</p>\n<form method=\"post\" action=\"/p/%s/renew\">\n",
			       sk_page_msg(lang, SK_MSG_LINK_EXPIRED_PREF), token);
	rc = rc ? rc : hidden(b, lang, csrf);
	return rc ? rc : sk_html(b, "<button type=\"submit\">%s</button>\n</form>\n",
					sk_page_msg(lang, SK_MSG_RENEW_BUTTON));
}
