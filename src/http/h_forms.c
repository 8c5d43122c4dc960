/* h_forms.c: the public web forms (docs/forms.md): the form page, submissions (form posts
 * and JSON) that accept only declared fields and record each ticked consent with its
 * evidence, CORS for the listed origins, and the double opt-in confirmation pages. */
#include <microhttpd.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "http/http_int.h"
#include "http/page.h"
#include "util/mem.h"
#include "util/sktime.h"
#include "vault/vault.h"

#define FORM_BODY_MAX (64 * 1024)
#define MAX_PAIRS 128
#define HONEYPOT "website"

static const struct sk_form *find_form(struct sk_req *r)
{
	if (sk_core_need_policy(r->core, &r->err))
		return NULL;
	const struct sk_form *f = sk_policy_form(sk_core_policy(r->core), r->param);
	if (!f)
		sk_errf(&r->err, SK_ERR_NOT_FOUND, "no such form");
	return f;
}

int sk_h_form_page(struct sk_req *r)
{
	const struct sk_form *f = find_form(r);
	if (!f)
		return r->err.code;
	int lang = sk_page_lang(r, NULL);
	struct sk_buf b;
	r->page_form = f; /* its allowed_origins may frame it (sk_page_csp) */
	int rc = sk_page_form(&b, sk_page_policy(r), f, lang, HONEYPOT);
	return sk_page_reply(r, &b, 200, rc);
}

/* ---- CORS ---- */

/* 0 when the request may come from its Origin (none, our own, or a listed one); sets the
 * CORS answer header for a listed origin. Our own is --public-url's origin, or without one
 * the request's Host. */
static int origin_check(struct sk_req *r, const struct sk_form *f)
{
	const char *origin = sk_req_header(r, "Origin");
	if (origin && sk_form_origin_allowed(f, origin)) {
		sk_strlcpy(r->cors_origin, origin, sizeof(r->cors_origin));
		return 0;
	}
	if (sk_origin_own(r, origin))
		return 0;
	return sk_errf(&r->err, SK_ERR_FORBIDDEN, "this form does not accept posts from that origin");
}

int sk_h_form_preflight(struct sk_req *r)
{
	const struct sk_form *f = find_form(r);
	const char *origin = sk_req_header(r, "Origin");
	if (!f)
		return r->err.code;
	if (!origin || !sk_form_origin_allowed(f, origin))
		return sk_errf(&r->err, SK_ERR_FORBIDDEN, "this form does not accept posts from that origin");
	sk_strlcpy(r->cors_origin, origin, sizeof(r->cors_origin));
	sk_strlcpy(r->allow, "POST", sizeof(r->allow));
	return sk_reply_text(r, 204, "");
}

/* ---- submissions ---- */

struct submission {
	struct sk_field_value fields[MAX_PAIRS];
	size_t nfields;
	const char *consents[MAX_PAIRS];
	size_t nconsents;
	const char *lang, *page_url, *honeypot;
	const char *visitor; /* sk_visitor: the banner's visitor id (docs/banner.md) */
	int json;
	char *store; /* decoded copy of a form body */
	json_t *doc; /* a JSON body */
};

static int take_pair(struct sk_req *r, struct submission *s, const char *k, const char *v)
{
	if (strcmp(k, "consent") == 0) {
		if (s->nconsents == MAX_PAIRS)
			return sk_errf(&r->err, SK_ERR_TOO_LARGE, "too many consents");
		s->consents[s->nconsents++] = v;
	} else if (strcmp(k, "lang") == 0) {
		s->lang = v;
	} else if (strcmp(k, "page_url") == 0) {
		s->page_url = v;
	} else if (strcmp(k, HONEYPOT) == 0) {
		s->honeypot = v;
	} else if (strcmp(k, "sk_visitor") == 0) {
		s->visitor = v;
	} else {
		for (size_t i = 0; i < s->nfields; i++)
			if (strcmp(s->fields[i].name, k) == 0)
				return sk_errf(&r->err, SK_ERR_INVALID, "field '%.64s' is given twice", k);
		if (s->nfields == MAX_PAIRS)
			return sk_errf(&r->err, SK_ERR_TOO_LARGE, "too many fields");
		s->fields[s->nfields].name = k;
		s->fields[s->nfields++].value = v;
	}
	return 0;
}

static int take_form_pair(void *arg, struct sk_req *r, const char *k, const char *v)
{
	return take_pair(r, arg, k, v);
}

static int parse_json(struct sk_req *r, struct submission *s)
{
	const char *key;
	json_t *v;
	int rc = sk_req_json(r, NULL, &s->doc);

	if (rc)
		return rc;
	json_object_foreach(s->doc, key, v) {
		if (strcmp(key, "consent") == 0) {
			size_t i;
			json_t *e;
			if (!json_is_array(v))
				return sk_errf(&r->err, SK_ERR_INVALID, "'consent' must be an array of purposes");
			json_array_foreach(v, i, e) {
				if (!json_is_string(e))
					return sk_errf(&r->err, SK_ERR_INVALID, "'consent[%zu]' must be a string", i);
				if ((rc = take_pair(r, s, key, json_string_value(e))))
					return rc;
			}
			continue;
		}
		if (!json_is_string(v))
			return sk_errf(&r->err, SK_ERR_INVALID, "'%.64s' must be a string", key);
		if ((rc = take_pair(r, s, key, json_string_value(v))))
			return rc;
	}
	return 0;
}

static void submission_reset(struct submission *s)
{
	sk_free(s->store);
	json_decref(s->doc);
}

/* What parsing checks itself: the parameters that are not fields; the rest of the
 * submission is checked by sk_form_check. *email gets the email field, if any. */
static int check_params(struct sk_req *r, struct submission *s, const char **email)
{
	*email = NULL;
	for (size_t i = 0; i < s->nfields; i++)
		if (strcmp(s->fields[i].name, "email") == 0)
			*email = s->fields[i].value;
	if (s->lang && sk_lang_from_name(s->lang) < 0)
		return sk_errf(&r->err, SK_ERR_INVALID, "lang must be sv or en");
	if (s->page_url && strlen(s->page_url) > 200)
		return sk_errf(&r->err, SK_ERR_INVALID, "page_url is longer than 200 bytes");
	return 0;
}

/* A form post's answer: the redirect or page; a JSON post's: the JSON. */
static int answer(struct sk_req *r, const struct sk_form *f, struct submission *s, int lang,
		  int rc, const struct sk_form_outcome *o)
{
	if (s->json) {
		if (rc)
			return rc;
		return sk_reply_json(r, 200, sk_json_form_outcome(o));
	}
	if (rc && f->error_url) {
		snprintf(r->location, sizeof(r->location), "%s%cerror=%s", f->error_url,
			 strchr(f->error_url, '?') ? '&' : '?', sk_err_name(rc));
		return sk_reply_text(r, 303, "");
	}
	if (rc) {
		int status = sk_err_http_status(rc);
		return sk_reply_page(r, status, lang, sk_page_msg(lang, SK_MSG_WENT_WRONG),
				     r->err.msg);
	}
	if (f->success_url) {
		sk_strlcpy(r->location, f->success_url, sizeof(r->location));
		return sk_reply_text(r, 303, "");
	}
	return sk_reply_page(r, 200, lang, sk_page_msg(lang, SK_MSG_THANKS),
			     sk_page_msg(lang, o->npending ? SK_MSG_MAIL_SENT : SK_MSG_SAVED));
}

int sk_h_form_post(struct sk_req *r)
{
	const struct sk_server_config *cfg = sk_server_cfg();
	struct submission s = {0};
	struct sk_form_outcome o = {0};
	const char *email = NULL;
	int rc, lang = SK_LANG_EN;
	char ipkey[72];

	const struct sk_form *f = find_form(r);
	if (!f)
		return r->err.code;
	r->page_form = f; /* the answer page shows in the form's frame on the company site */
	lang = sk_page_lang(r, NULL); /* until the submission names its own */
	const char *ct = sk_req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
	s.json = ct && strncasecmp(ct, "application/json", 16) == 0;
	if ((rc = origin_check(r, f)))
		goto out;
	sk_client_bucket(r, ipkey, sizeof(ipkey));
	if ((r->retry_after = sk_http_rate(ipkey, cfg->form_rate / 60.0, cfg->form_rate))) {
		rc = sk_errf(&r->err, SK_ERR_RATE_LIMITED, "too many submissions from this address; "
			     "retry after %d s", r->retry_after);
		goto out;
	}
	if (r->body.len > FORM_BODY_MAX) {
		rc = sk_errf(&r->err, SK_ERR_TOO_LARGE, "a form submission is at most %d bytes",
			     FORM_BODY_MAX);
		goto out;
	}
	if (!s.json && (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0)) {
		rc = sk_errf(&r->err, SK_ERR_UNSUPPORTED_MEDIA, "send application/x-www-form-urlencoded "
			     "or application/json");
		goto out;
	}
	if ((rc = s.json ? parse_json(r, &s) : sk_req_urlencoded(r, take_form_pair, &s, &s.store)))
		goto out;
	lang = sk_page_lang(r, s.lang);
	if ((rc = check_params(r, &s, &email)))
		goto out;
	const char *gpch = sk_req_header(r, "Sec-GPC");
	struct sk_form_input in = {
		.form = f, .email = email, .fields = s.fields, .nfields = s.nfields,
		.consents = s.consents, .nconsents = s.nconsents, .lang = sk_lang_name(lang),
		.page_url = s.page_url ? s.page_url : sk_req_header(r, MHD_HTTP_HEADER_REFERER),
		.ip = r->ip, .user_agent = sk_req_header(r, MHD_HTTP_HEADER_USER_AGENT),
		.gpc = gpch && strcmp(gpch, "1") == 0, .scripted = s.json, .can_mail = cfg->mail != NULL,
		.link_days = cfg->confirm_days, .link_base = cfg->public_url,
		.robot = s.honeypot && s.honeypot[0], .visitor_id = s.visitor};
	rc = sk_form_submit(r->core, &in, &o, &r->err);
out:
	rc = answer(r, f, &s, lang, rc, &o);
	submission_reset(&s);
	return rc;
}

/* ---- confirmation ---- */

/* Checks the link and, in *lang, takes the language of the submission when known (the
 * person chose it on the form; the browser's may differ). Returns -1 when the handler
 * should go on (the request is open), else the page answered: confirmed already (200), the
 * request lapsed or gone (410), the link expired (410) or not valid (400), or a failure. */
static int link_page(struct sk_req *r, struct sk_link_info *li, int *lang)
{
	int rc = sk_form_link_check(r->core, r->param, li, &r->err);
	if (li->lang >= 0 && li->lang < SK_NLANG)
		*lang = li->lang;
	if ((rc == 0 || rc == SK_ERR_EXPIRED) && li->state == SK_LINK_CONFIRMED) {
		struct sk_buf b;
		rc = sk_page_confirmed(&b, sk_page_policy(r), *lang, li, 1, NULL);
		return sk_page_reply(r, &b, 200, rc);
	}
	if (rc == 0 && li->state == SK_LINK_GONE)
		return sk_reply_page(r, 410, *lang, sk_page_msg(*lang, SK_MSG_LAPSED),
				     sk_page_msg(*lang, SK_MSG_LAPSED_TEXT));
	if (rc == 0)
		return -1;
	if (rc == SK_ERR_EXPIRED)
		return sk_reply_page(r, 410, *lang, sk_page_msg(*lang, SK_MSG_LINK_EXPIRED),
				     sk_page_msg(*lang, SK_MSG_LINK_EXPIRED_TEXT));
	if (rc == SK_ERR_INVALID)
		return sk_reply_page(r, 400, *lang, sk_page_msg(*lang, SK_MSG_LINK_INVALID),
				     sk_page_msg(*lang, SK_MSG_LINK_INVALID_TEXT));
	return sk_reply_page(r, sk_err_http_status(rc), *lang, sk_page_msg(*lang, SK_MSG_WENT_WRONG),
			     sk_page_msg(*lang, SK_MSG_TRY_AGAIN));
}

int sk_h_confirm_page(struct sk_req *r)
{
	struct sk_link_info li;
	int lang = sk_page_lang(r, NULL);
	int rc = link_page(r, &li, &lang);
	if (rc == -1) {
		struct sk_buf b;
		rc = sk_page_confirm(&b, sk_page_policy(r), lang, r->param, &li);
		rc = sk_page_reply(r, &b, 200, rc);
	}
	sk_link_info_reset(&li);
	return rc;
}

int sk_h_confirm_post(struct sk_req *r)
{
	struct sk_link_info li;
	int n = 0, lang = sk_page_lang(r, NULL);
	int rc = link_page(r, &li, &lang);
	sk_link_info_reset(&li); /* the page shown after needs the purposes only */
	if (rc != -1)
		return rc;
	char contact[SK_ID_LEN + 1], token[SK_PREF_LINK_MAX], url[SK_PREF_LINK_MAX + 8];
	rc = sk_form_confirm_link(r->core, r->param, r->ip,
				  sk_req_header(r, MHD_HTTP_HEADER_USER_AGENT), &n, contact, &r->err);
	if (rc && rc != SK_ERR_NOT_FOUND) /* rolled back: a page, not the API's envelope */
		return sk_reply_page(r, sk_err_http_status(rc), lang,
				     sk_page_msg(lang, SK_MSG_WENT_WRONG),
				     sk_page_msg(lang, SK_MSG_TRY_AGAIN));
	if (n) {
		struct sk_buf b;
		struct sk_errctx ignore = {0};
		/* the person just proved the mailbox is theirs: their own preference link (on
		 * this server: a path), or none when it cannot be made */
		int have = contact[0] && sk_pref_link(r->core, contact, sk_time_now(),
						      SK_PREF_LINK_DAYS, token, NULL, &ignore) == 0;
		if (have)
			snprintf(url, sizeof(url), "/p/%s", token);
		rc = sk_page_confirmed(&b, sk_page_policy(r), lang, &li, 0, have ? url : NULL);
		return sk_page_reply(r, &b, 200, rc);
	}
	return sk_reply_page(r, 200, lang, sk_page_msg(lang, SK_MSG_THANKS),
			     sk_page_msg(lang, SK_MSG_NOTHING_LEFT));
}
