/* h_banner.c: the visitor banner (docs/banner.md): the script /c.js, the answers and the
 * identification it posts (public, only from the policy's banner origins, small bodies,
 * rate-limited per client), and GET /v1/visitors/{id} for tools and tests. */
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/http_int.h"
#include "util/mem.h"
#include "util/sktime.h"

/* The script may be kept a few minutes: a changed policy (a new banner version) reaches
 * visitors that soon, and an answer to an old version is refused and asked again. */
#define BANNER_CACHE "public, max-age=300"

int sk_h_banner_js(struct sk_req *r)
{
	struct sk_banner_view v;
	struct sk_buf b;
	const char *gpc = sk_req_header(r, "Sec-GPC");
	int rc = sk_banner_view(r->core, &v, &r->err);
	if (rc)
		return rc;
	if (sk_banner_js(&b, &v, sk_server_cfg()->public_url, gpc && strcmp(gpc, "1") == 0) ||
	    sk_reply_text(r, 200, b.data)) {
		sk_buf_reset(&b);
		return sk_errf(&r->err, SK_ERR_NOMEM, "out of memory");
	}
	sk_buf_reset(&b);
	r->content_type = "text/javascript; charset=utf-8";
	r->cache_control = BANNER_CACHE;
	r->vary = "Sec-GPC";
	return 0;
}

/* 0 when the request comes from one of the banner's origins (exactly), with the CORS
 * answer header set; otherwise 403, before the body is looked at. */
static int site_origin(struct sk_req *r)
{
	const char *origin = sk_req_header(r, "Origin");
	if (!origin || !sk_policy_site_origin_allowed(sk_core_policy(r->core), origin))
		return sk_errf(&r->err, SK_ERR_FORBIDDEN, "Origin: this site may not post to the "
			       "banner (the policy's banner.origins)");
	sk_strlcpy(r->cors_origin, origin, sizeof(r->cors_origin));
	return 0;
}

/* The checks every post shares: origin, the client's rate, the body's type; then the JSON
 * object with only the keys allowed. */
static int post_begin(struct sk_req *r, const char *const *allowed, json_t **doc)
{
	char bucket[80], ip[72];
	const char *ct = sk_req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
	int rc = site_origin(r);
	*doc = NULL;
	if (rc)
		return rc;
	sk_client_bucket(r, ip, sizeof(ip));
	snprintf(bucket, sizeof(bucket), "v%s", ip); /* a bucket of its own, beside the forms' */
	double rate = sk_server_cfg()->form_rate;
	if ((r->retry_after = sk_http_rate(bucket, rate / 60.0, rate)))
		return sk_errf(&r->err, SK_ERR_RATE_LIMITED, "too many answers from this address; "
			       "retry after %d s", r->retry_after);
	/* JSON, or text/plain (what a page's script can send without a preflight) */
	if (!ct || (strncasecmp(ct, "application/json", 16) != 0 &&
		    strncasecmp(ct, "text/plain", 10) != 0))
		return sk_errf(&r->err, SK_ERR_UNSUPPORTED_MEDIA, "send application/json or "
			       "text/plain holding JSON");
	return sk_req_json(r, allowed, doc);
}

int sk_h_visitor_preflight(struct sk_req *r)
{
	int rc = site_origin(r);
	if (rc)
		return rc;
	sk_strlcpy(r->allow, "POST", sizeof(r->allow));
	return sk_reply_text(r, 204, "");
}

int sk_h_visitor_answer(struct sk_req *r)
{
	static const char *const keys[] = {"visitor", "lang", "version", "choices", "page",
					   "signal", NULL};
	struct sk_visitor_choice ch[SK_VISITOR_MAX_CHOICES];
	struct sk_visitor_answer_in in = {.choices = ch,
					  .user_agent = sk_req_header(r, MHD_HTTP_HEADER_USER_AGENT)};
	char id[SK_ID_LEN + 1];
	json_t *doc, *choices, *v;
	const char *purpose;
	int rc = post_begin(r, keys, &doc);
	if (rc ||
	    (rc = sk_json_str(r, doc, "visitor", 0, &in.visitor_id)) ||
	    (rc = sk_json_str(r, doc, "lang", 1, &in.lang)) ||
	    (rc = sk_json_str(r, doc, "version", 1, &in.version)) ||
	    (rc = sk_json_str(r, doc, "page", 0, &in.page)) ||
	    (rc = sk_json_str(r, doc, "signal", 1, &in.signal)))
		goto out;
	choices = json_object_get(doc, "choices");
	if (!json_is_object(choices)) {
		rc = sk_errf(&r->err, SK_ERR_INVALID, "'choices' must be an object of purpose: "
			     "true or false");
		goto out;
	}
	if (json_object_size(choices) > SK_VISITOR_MAX_CHOICES) {
		rc = sk_errf(&r->err, SK_ERR_INVALID, "'choices' holds at most %d purposes",
			     SK_VISITOR_MAX_CHOICES);
		goto out;
	}
	json_object_foreach(choices, purpose, v) {
		if (!json_is_boolean(v)) {
			rc = sk_errf(&r->err, SK_ERR_INVALID, "'choices.%.63s' must be true or false",
				     purpose);
			goto out;
		}
		ch[in.nchoices].purpose = purpose;
		ch[in.nchoices++].give = json_is_true(v);
	}
	if ((rc = sk_visitor_answer(r->core, &in, sk_time_now(), id, &r->err)))
		goto out;
	rc = sk_reply_json(r, 200, json_pack("{s:s,s:s}", "status", "ok", "visitor", id));
out:
	json_decref(doc);
	return rc;
}

int sk_h_visitor_identify(struct sk_req *r)
{
	static const char *const keys[] = {"visitor", "token", NULL};
	const char *visitor, *token;
	json_t *doc;
	int carried = 0;
	int rc = post_begin(r, keys, &doc);
	if (rc || (rc = sk_json_str(r, doc, "visitor", 1, &visitor)) ||
	    (rc = sk_json_str(r, doc, "token", 1, &token)))
		goto out;
	if (strlen(token) >= SK_PREF_LINK_MAX) {
		rc = sk_errf(&r->err, SK_ERR_INVALID, "token: not valid (altered, expired or not "
			     "made for this)");
		goto out;
	}
	if ((rc = sk_visitor_identify_token(r->core, visitor, token, sk_time_now(), &carried,
					    &r->err)))
		goto out;
	rc = sk_reply_json(r, 200, json_pack("{s:s,s:b}", "status", "ok", "tied", 1));
out:
	json_decref(doc);
	return rc;
}

int sk_h_visitor_get(struct sk_req *r)
{
	struct sk_visitor_view v;
	int rc = sk_visitor_get(r->core, r->param, &v, &r->err);
	if (rc)
		return rc;
	rc = sk_reply_json(r, 200, sk_json_visitor(&v));
	sk_visitor_view_reset(&v);
	return rc;
}
