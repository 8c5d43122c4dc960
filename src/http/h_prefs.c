/* h_prefs.c: the preference centre's public routes (/p, /p/{token}/...; docs/preference-
 * centre.md): each parses, checks the form's CSRF token and Origin on a POST, takes from the
 * rate limits (per link token, and per client address where an address is typed or a mail
 * is asked for), makes one core call (sk_pref_*) and renders its page (render/prefs.c). */
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/http.h"
#include "http/http_int.h"
#include "http/page.h"
#include "util/mem.h"
#include "util/sktime.h"
#include "vault/vault.h"

/* Per link token: a burst of 30 requests, then one a second (a person clicking through
 * their page never meets it; a script hammering one link does). */
#define TOKEN_BURST 30.0
#define TOKEN_RATE 1.0
/* The /p form's CSRF binding (no link yet). */
#define ASK_BOUND "p"

/* ---- what every route shares ---- */

/* The link token's bucket: "t:" and 128 bits of its BLAKE2b, so that the token itself is
 * never kept in the limiter's memory. */
static int token_rate(struct sk_req *r)
{
	uint8_t h[32];
	char key[2 + 32 + 1] = "t:";
	struct sk_hasher hs;
	sk_hasher_init_blake2b(&hs);
	sk_hasher_str(&hs, r->param);
	sk_hasher_final(&hs, h);
	for (int i = 0; i < 16; i++)
		snprintf(key + 2 + 2 * i, 3, "%02x", h[i]);
	r->retry_after = sk_http_rate(key, TOKEN_RATE, TOKEN_BURST);
	return r->retry_after ? SK_ERR_RATE_LIMITED : 0;
}

/* The client address's bucket, as the forms' (--form-rate-limit a minute). */
static int client_rate(struct sk_req *r)
{
	const struct sk_server_config *cfg = sk_server_cfg();
	char ipkey[72];
	sk_client_bucket(r, ipkey, sizeof(ipkey));
	r->retry_after = sk_http_rate(ipkey, cfg->form_rate / 60.0, cfg->form_rate);
	return r->retry_after ? SK_ERR_RATE_LIMITED : 0;
}

/* A page of a heading and one paragraph from the catalogue, with status. Its language
 * switch leads, for a POST, to the page to show instead: /p for /p and a renewal, the
 * person's page for the person's forms (the POST's own address has no page). */
static int message(struct sk_req *r, int status, int lang, enum sk_page_msg title,
		   enum sk_page_msg text)
{
	struct sk_buf b;
	char self[sizeof(r->param) + 8] = "/p";
	int post = strcmp(r->method, "POST") == 0;
	if (post && r->param[0] && !strstr(r->route->path, "/renew"))
		snprintf(self, sizeof(self), "/p/%s", r->param);
	int rc = sk_page_pref_message(&b, sk_page_policy(r), lang, post ? self : NULL,
				      sk_page_msg(lang, title), sk_page_msg(lang, text));
	return sk_page_reply(r, &b, status, rc);
}

/* The page for a refusal before any core call: 429, 403, 415, 422. */
static int refusal(struct sk_req *r, int lang, int rc)
{
	enum sk_page_msg m = rc == SK_ERR_RATE_LIMITED ? SK_MSG_PREF_RATE
			     : rc == SK_ERR_FORBIDDEN ? SK_MSG_PREF_FORBIDDEN
						      : SK_MSG_PREF_BAD_FORM;
	return message(r, sk_err_http_status(rc), lang, SK_MSG_WENT_WRONG, m);
}

/* The page for a link that core refused: invalid (400, with the way to /p), expired (410,
 * with the button that mails a fresh one), or a failure (its status; nothing was stored). */
static int link_error(struct sk_req *r, int lang, int rc)
{
	struct sk_buf b;
	const struct sk_policy *pol = sk_page_policy(r);
	if (rc == SK_ERR_INVALID || rc == SK_ERR_NOT_FOUND) {
		rc = sk_page_pref_invalid(&b, pol, lang);
		return sk_page_reply(r, &b, 400, rc);
	}
	if (rc == SK_ERR_EXPIRED) {
		char csrf[SK_PREF_LINK_MAX];
		rc = sk_pref_csrf(r->core, r->param, sk_time_now(), csrf);
		rc = rc ? rc : sk_page_pref_expired(&b, pol, lang, r->param, csrf);
		return sk_page_reply(r, &b, 410, rc);
	}
	return message(r, sk_err_http_status(rc), lang, SK_MSG_WENT_WRONG, SK_MSG_TRY_AGAIN);
}

/* A form post's fields (application/x-www-form-urlencoded only; each at most once; any
 * other name is refused). */
struct post {
	const char *csrf, *lang, *purpose, *action, *email, *notice_version;
	char *store;
};

/* What every POST does before its core call: the Origin (absent or ours), the rate limits
 * (the token's on a /p/{token} route; the client's when client is set), the body's type,
 * its fields, and the CSRF token bound to bound. *lang follows the posted lang. Returns 0,
 * or the error (the page is the caller's to send through refusal). */
static int post_begin(struct sk_req *r, struct post *p, const char *bound, int client, int *lang)
{
	const char *ct = sk_req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
	const char *origin = sk_req_header(r, "Origin");
	int rc;
	/* "null", an opaque origin, is what a browser sends under a no-referrer policy, from a
	 * sandboxed frame or with some privacy tools. It names no site: on a link's routes the
	 * CSRF token bound to the link decides. Not on /p, whose token anyone can fetch: there a
	 * sandboxed frame on any site could make its visitors ask for links. Any site named must
	 * be ours. */
	int opaque = origin && strcmp(origin, "null") == 0;
	if (origin && (opaque ? !r->param[0] : !sk_origin_own(r, origin)))
		return sk_errf(&r->err, SK_ERR_FORBIDDEN, "posts come from this site only");
	if (r->param[0] && (rc = token_rate(r)))
		return rc;
	if (client && (rc = client_rate(r)))
		return rc;
	if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0)
		return sk_errf(&r->err, SK_ERR_UNSUPPORTED_MEDIA, "send application/x-www-form-urlencoded");
	const struct sk_post_field fields[] = {
		{"csrf", &p->csrf}, {"lang", &p->lang}, {"purpose", &p->purpose},
		{"action", &p->action}, {"email", &p->email}, {"notice_version", &p->notice_version},
		{NULL, NULL},
	};
	if ((rc = sk_req_form(r, fields, &p->store)))
		return rc;
	if (p->lang && sk_lang_from_name(p->lang) < 0)
		return sk_errf(&r->err, SK_ERR_INVALID, "lang must be sv or en");
	*lang = sk_page_lang(r, p->lang);
	if (sk_pref_csrf_check(r->core, bound, p->csrf ? p->csrf : "", sk_time_now()))
		return sk_errf(&r->err, SK_ERR_FORBIDDEN, "the form's csrf token is missing or wrong");
	return 0;
}

/* ---- /p: asking for a link ---- */

int sk_h_pref_ask(struct sk_req *r)
{
	int lang = sk_page_lang(r, NULL);
	char csrf[SK_PREF_LINK_MAX];
	struct sk_buf b;
	int rc = sk_pref_csrf(r->core, ASK_BOUND, sk_time_now(), csrf);
	rc = rc ? rc : sk_page_pref_ask(&b, sk_page_policy(r), lang, csrf, NULL);
	return sk_page_reply(r, &b, 200, rc);
}

/* The same page whether the address is known or not (sk_pref_request decides quietly). */
int sk_h_pref_request(struct sk_req *r)
{
	struct post p = {0};
	struct sk_buf b;
	int lang = sk_page_lang(r, NULL);
	int rc = post_begin(r, &p, ASK_BOUND, 1, &lang);
	if (rc) {
		rc = refusal(r, lang, rc);
	} else if ((rc = sk_pref_request(r->core, p.email ? p.email : "", sk_lang_name(lang),
					 sk_time_now(), &r->err)) == SK_ERR_INVALID_EMAIL) {
		char csrf[SK_PREF_LINK_MAX];
		rc = sk_pref_csrf(r->core, ASK_BOUND, sk_time_now(), csrf);
		rc = rc ? rc : sk_page_pref_ask(&b, sk_page_policy(r), lang, csrf,
						sk_page_msg(lang, SK_MSG_ASK_BAD_EMAIL));
		rc = sk_page_reply(r, &b, 422, rc);
	} else if (rc) {
		rc = message(r, sk_err_http_status(rc), lang, SK_MSG_WENT_WRONG, SK_MSG_TRY_AGAIN);
	} else {
		rc = sk_page_pref_sent(&b, sk_page_policy(r), lang);
		rc = sk_page_reply(r, &b, 200, rc);
	}
	sk_free(p.store);
	return rc;
}

/* ---- /p/{token}: the person's page ---- */

/* The person's page at status, with saved or error said on it. */
static int person_page(struct sk_req *r, int lang, int status, const char *saved,
		       const char *error)
{
	struct sk_pref_view v = {0};
	struct sk_buf b;
	char csrf[SK_PREF_LINK_MAX];
	int64_t now = sk_time_now();
	int rc = sk_pref_view(r->core, r->param, now, &v, &r->err);
	if (rc) {
		rc = link_error(r, lang, rc);
	} else {
		rc = sk_pref_csrf(r->core, r->param, now, csrf);
		rc = rc ? rc : sk_page_pref(&b, sk_page_policy(r), lang, r->param, csrf, &v,
					    saved, error);
		rc = sk_page_reply(r, &b, status, rc);
	}
	sk_pref_view_reset(&v);
	return rc;
}

int sk_h_pref_page(struct sk_req *r)
{
	int lang = sk_page_lang(r, NULL);
	if (token_rate(r))
		return refusal(r, lang, SK_ERR_RATE_LIMITED);
	return person_page(r, lang, 200, sk_req_arg(r, "saved"), NULL);
}

int sk_h_pref_consent(struct sk_req *r)
{
	const struct sk_server_config *cfg = sk_server_cfg();
	struct post p = {0};
	int lang = sk_page_lang(r, NULL);
	char page[512];
	int rc = post_begin(r, &p, r->param, 0, &lang);
	if (!rc && (!p.purpose || !p.action ||
		    (strcmp(p.action, "give") != 0 && strcmp(p.action, "withdraw") != 0)))
		rc = sk_errf(&r->err, SK_ERR_INVALID, "send purpose and action (give or withdraw)");
	long nv = 0;
	if (!rc && p.notice_version) {
		char *end;
		nv = strtol(p.notice_version, &end, 10);
		if (end == p.notice_version || *end || nv < 1 || nv > 1000000)
			rc = sk_errf(&r->err, SK_ERR_INVALID, "notice_version must be a version number");
	}
	if (rc) {
		rc = refusal(r, lang, rc);
		goto out;
	}
	/* the page's address as evidence, without the token (a credential) */
	snprintf(page, sizeof(page), "%s/p", cfg->public_url ? cfg->public_url : "");
	struct sk_pref_change ch = {
		.purpose = p.purpose, .give = strcmp(p.action, "give") == 0,
		.lang = sk_lang_name(lang), .page = page,
		.user_agent = sk_req_header(r, MHD_HTTP_HEADER_USER_AGENT), .notice_version = (int)nv};
	rc = sk_pref_set(r->core, r->param, &ch, sk_time_now(), NULL, &r->err);
	if (rc == SK_ERR_INVALID || rc == SK_ERR_FORBIDDEN || rc == SK_ERR_UNKNOWN_PURPOSE ||
	    rc == SK_ERR_SUPPRESSED) {
		/* nothing stored: the page again (if the link still holds), saying why */
		char why[sizeof(r->err.msg)];
		int status = sk_err_http_status(rc);
		sk_strlcpy(why, r->err.msg, sizeof(why));
		rc = person_page(r, lang, status, NULL, why);
	} else if (rc) {
		rc = link_error(r, lang, rc);
	} else {
		/* the purpose goes into the address escaped by construction: it is one the core
		 * just accepted, [a-z0-9_] */
		snprintf(r->location, sizeof(r->location), "/p/%s?saved=%s&lang=%s", r->param,
			 p.purpose, sk_lang_name(lang));
		rc = sk_reply_text(r, 303, "");
	}
out:
	sk_free(p.store);
	return rc;
}

/* ---- the exports ---- */

/* The access export of the link's person: as a page, or (json) as the API's JSON, a file
 * to download. */
static int export_reply(struct sk_req *r, int json)
{
	struct sk_access_export x = {0};
	struct sk_buf b;
	int lang = sk_page_lang(r, NULL);
	if (token_rate(r))
		return refusal(r, lang, SK_ERR_RATE_LIMITED);
	int rc = sk_pref_export(r->core, r->param, sk_time_now(), sk_lang_name(lang), &x, &r->err);
	if (rc)
		return link_error(r, lang, rc);
	if (json) {
		r->disposition = "attachment; filename=\"my-data.json\"";
		rc = sk_reply_json(r, 200, sk_json_export(&x));
	} else {
		rc = sk_page_pref_export(&b, sk_page_policy(r), lang, r->param, &x);
		rc = sk_page_reply(r, &b, 200, rc);
	}
	sk_access_export_reset(&x);
	return rc;
}

int sk_h_pref_export(struct sk_req *r)
{
	return export_reply(r, 0);
}

int sk_h_pref_export_json(struct sk_req *r)
{
	return export_reply(r, 1);
}

/* ---- erasure ---- */

int sk_h_pref_erase_page(struct sk_req *r)
{
	char id[SK_ID_LEN + 1], csrf[SK_PREF_LINK_MAX];
	struct sk_buf b;
	int64_t now = sk_time_now();
	int lang = sk_page_lang(r, NULL);
	if (token_rate(r))
		return refusal(r, lang, SK_ERR_RATE_LIMITED);
	int rc = sk_pref_check(r->core, r->param, now, id, &r->err);
	if (rc)
		return link_error(r, lang, rc);
	rc = sk_pref_csrf(r->core, r->param, now, csrf);
	rc = rc ? rc : sk_page_pref_erase(&b, sk_page_policy(r), lang, r->param, csrf);
	return sk_page_reply(r, &b, 200, rc);
}

int sk_h_pref_erase(struct sk_req *r)
{
	struct post p = {0};
	struct sk_erasure_receipt rec;
	struct sk_buf b;
	int lang = sk_page_lang(r, NULL);
	int rc = post_begin(r, &p, r->param, 0, &lang);
	if (rc) {
		rc = refusal(r, lang, rc);
	} else if ((rc = sk_pref_erase(r->core, r->param, sk_time_now(), &rec, &r->err))) {
		rc = link_error(r, lang, rc);
	} else {
		rc = sk_page_pref_erased(&b, sk_page_policy(r), lang, &rec);
		rc = sk_page_reply(r, &b, 200, rc);
	}
	sk_free(p.store);
	return rc;
}

/* ---- an expired link: a fresh one by mail ---- */

int sk_h_pref_renew(struct sk_req *r)
{
	struct post p = {0};
	struct sk_buf b;
	int lang = sk_page_lang(r, NULL);
	int rc = post_begin(r, &p, r->param, 1, &lang);
	if (rc) {
		rc = refusal(r, lang, rc);
	} else if ((rc = sk_pref_renew(r->core, r->param, sk_lang_name(lang), sk_time_now(),
				       &r->err)) == SK_ERR_INVALID) {
		rc = link_error(r, lang, rc);
	} else if (rc) {
		rc = message(r, sk_err_http_status(rc), lang, SK_MSG_WENT_WRONG, SK_MSG_TRY_AGAIN);
	} else {
		rc = sk_page_pref_sent(&b, sk_page_policy(r), lang);
		rc = sk_page_reply(r, &b, 200, rc);
	}
	sk_free(p.store);
	return rc;
}
