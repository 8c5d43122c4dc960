/* h_track.c: web tracking and scores (helper track; docs/tracking.md, docs/scoring.md):
 * POST /t (public: page views and custom events from the banner script of a listed site)
 * and GET /v1/contacts/{id}/score. Each handler parses, makes one core call and renders. */
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "http/http_int.h"
#include "util/sktime.h"

#define TRACK_RATE 5.0    /* events per second per client (its /64 for IPv6) ... */
#define TRACK_BURST 50.0  /* ... in bursts of this many */

/* The Origin must be one of the policy's banner origins (sk_policy_site_origin_allowed);
 * then the CORS answer names it. */
static int track_origin(struct sk_req *r)
{
	const char *origin = sk_req_header(r, "Origin");
	const struct sk_policy *p = sk_core_policy(r->core);
	if (!origin || !p || !sk_policy_site_origin_allowed(p, origin))
		return sk_errf(&r->err, SK_ERR_FORBIDDEN, "tracking events are taken only from the "
			       "web sites the policy's banner lists");
	sk_strlcpy(r->cors_origin, origin, sizeof(r->cors_origin));
	return 0;
}

int sk_h_track_preflight(struct sk_req *r)
{
	int rc = track_origin(r);
	if (rc)
		return rc;
	sk_strlcpy(r->allow, "POST", sizeof(r->allow));
	return sk_reply_text(r, 204, "");
}

/* A string member of o at most max bytes, or absent (NULL). */
static int member(struct sk_req *r, json_t *o, const char *key, const char *field,
		  const char **out)
{
	json_t *v = json_object_get(o, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return sk_errf(&r->err, SK_ERR_BAD_REQUEST, "%s: must be a string", field);
	*out = json_string_value(v);
	return 0;
}

/* POST /t: {visitor, type: page_view|event, name, url, utm: {source, medium, campaign, term,
 * content}} as application/json or text/plain (navigator.sendBeacon). 204 for every event
 * taken, stored or not: the answer never tells what is known of the visitor. */
int sk_h_track_post(struct sk_req *r)
{
	static const char *const keys[] = {"visitor", "type", "name", "url", "utm", NULL};
	static const char *const utm_keys[] = {"source", "medium", "campaign", "term", "content",
					       NULL};
	const char *ct = sk_req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
	char bucket[80], ipkey[96];
	const char *utm[SK_NUTM] = {0};
	json_t *body = NULL, *u;
	int rc;

	if ((rc = track_origin(r)))
		return rc;
	sk_client_bucket(r, bucket, sizeof(bucket));
	snprintf(ipkey, sizeof(ipkey), "t:%s", bucket);
	if ((r->retry_after = sk_http_rate(ipkey, TRACK_RATE, TRACK_BURST)))
		return sk_errf(&r->err, SK_ERR_RATE_LIMITED, "too many tracking events from this "
			       "address; retry after %d s", r->retry_after);
	if (!ct || (strncasecmp(ct, "application/json", 16) != 0 &&
		    strncasecmp(ct, "text/plain", 10) != 0))
		return sk_errf(&r->err, SK_ERR_UNSUPPORTED_MEDIA, "send application/json or "
			       "text/plain");
	if ((rc = sk_req_json(r, keys, &body)))
		return rc == SK_ERR_INVALID ? (r->err.code = SK_ERR_BAD_REQUEST) : rc;
	struct sk_track_in in = {.ip = r->ip, .at = sk_time_now()};
	if ((rc = member(r, body, "visitor", "visitor", &in.visitor_id)) ||
	    (rc = member(r, body, "type", "type", &in.type)) ||
	    (rc = member(r, body, "name", "name", &in.name)) ||
	    (rc = member(r, body, "url", "url", &in.url)))
		goto out;
	if ((u = json_object_get(body, "utm")) && !json_is_null(u)) {
		const char *k;
		json_t *v;
		if (!json_is_object(u)) {
			rc = sk_errf(&r->err, SK_ERR_BAD_REQUEST, "utm: must be an object");
			goto out;
		}
		json_object_foreach(u, k, v) {
			size_t i = 0;
			while (utm_keys[i] && strcmp(utm_keys[i], k) != 0)
				i++;
			if (!utm_keys[i] || !json_is_string(v)) {
				rc = sk_errf(&r->err, SK_ERR_BAD_REQUEST, "utm: expected source, medium, "
					     "campaign, term and content as strings");
				goto out;
			}
			utm[i] = json_string_value(v);
		}
	}
	in.utm_source = utm[0], in.utm_medium = utm[1], in.utm_campaign = utm[2];
	in.utm_term = utm[3], in.utm_content = utm[4];
	if (!in.type || (strcmp(in.type, "page_view") != 0 && strcmp(in.type, "event") != 0)) {
		rc = sk_errf(&r->err, SK_ERR_BAD_REQUEST, "type: expected page_view or event");
		goto out;
	}
	if (!in.visitor_id || !in.visitor_id[0]) {
		rc = sk_errf(&r->err, SK_ERR_BAD_REQUEST, "visitor: the banner's visitor id is "
			     "required");
		goto out;
	}
	rc = sk_track_record(r->core, &in, NULL, &r->err);
	if (rc == SK_ERR_INVALID) /* core names the field */
		rc = r->err.code = SK_ERR_BAD_REQUEST;
	if (!rc)
		rc = sk_reply_text(r, 204, "");
out:
	json_decref(body);
	return rc;
}

/* GET /v1/contacts/{id}/score: the score at now, or null with the gate's reason when the
 * person has not given lead_scoring; 404 for an unknown contact. */
int sk_h_contact_score(struct sk_req *r)
{
	struct sk_score sc;
	int64_t now = sk_time_now();
	int rc = sk_score_get(r->core, r->param, now, &sc, &r->err);
	if (rc)
		return rc;
	return sk_reply_json(r, 200, sk_json_score(r->param, &sc, now));
}
