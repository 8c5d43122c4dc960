/* h_campaigns.c: campaigns over HTTP (docs/campaigns.md): the API (/v1/campaigns, scope write
 * to create and send, read for the rest; POST /v1/suppressions for bounces and complaints)
 * and the public routes of a campaign mail: the one-click unsubscribe (/u/TOKEN: GET shows,
 * POST acts, RFC 8058), the open pixel (/o/TOKEN) and the click link (/l/TOKEN). */
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

#include "http/http.h"
#include "http/http_int.h"
#include "http/page.h"
#include "util/mem.h"
#include "util/sktime.h"
#include "vault/vault.h"

/* Per token: a burst of 10, then one a second; per client address: a burst of 300, then 50
 * a second (a mail provider's one-click posts and image proxies come from few addresses). */
#define TOKEN_BURST 10.0
#define TOKEN_RATE 1.0
#define CLIENT_BURST 300.0
#define CLIENT_RATE 50.0

/* ---- the API ---- */

int sk_h_campaign_create(struct sk_req *r)
{
	char id[SK_ID_LEN + 1];
	struct sk_campaign_rec rec;
	char *text = sk_strndup(r->body.data ? r->body.data : "", r->body.len);
	if (!text)
		return sk_errf(&r->err, SK_ERR_NOMEM, "out of memory");
	int rc = sk_campaign_create(r->core, text, sk_time_now(), id, &r->err);
	sk_free(text);
	if (rc || (rc = sk_campaign_get(r->core, id, &rec, &r->err)))
		return rc;
	rc = sk_reply_json(r, 201, sk_json_campaign(&rec));
	sk_free(rec.spec);
	return rc;
}

static int list_one(void *arg, const struct sk_campaign_rec *c)
{
	json_t *v = sk_json_campaign(c);
	return v && json_array_append_new(arg, v) == 0 ? 0 : SK_ERR_NOMEM;
}

int sk_h_campaign_list(struct sk_req *r)
{
	json_t *a = json_array();
	int rc = a ? sk_campaign_list(r->core, list_one, a, &r->err) : SK_ERR_NOMEM;
	if (rc) {
		json_decref(a);
		return rc;
	}
	return sk_reply_json(r, 200, json_pack("{s:o}", "campaigns", a));
}

int sk_h_campaign_get(struct sk_req *r)
{
	struct sk_campaign_rec rec;
	struct sk_campaign_status st;
	int rc = sk_campaign_get(r->core, r->param, &rec, &r->err);
	if (rc)
		return rc;
	if (!(rc = sk_campaign_status(r->core, rec.id, &st, &r->err))) {
		json_t *o = sk_json_campaign(&rec);
		json_t *s = sk_json_campaign_status(rec.id, &st);
		if (o && s && json_object_set_new(o, "sends", s) == 0)
			rc = sk_reply_json(r, 200, o);
		else {
			json_decref(o);
			json_decref(s);
			rc = sk_errf(&r->err, SK_ERR_NOMEM, "out of memory");
		}
	}
	sk_free(rec.spec);
	return rc;
}

int sk_h_campaign_preview(struct sk_req *r)
{
	struct sk_audience a;
	int rc = sk_campaign_preview(r->core, r->param, sk_time_now(), &a, &r->err);
	return rc ? rc : sk_reply_json(r, 200, sk_json_campaign_preview(r->param, &a));
}

int sk_h_campaign_send(struct sk_req *r)
{
	long queued = 0;
	int rc = sk_campaign_send(r->core, r->param, sk_time_now(), &queued, &r->err);
	return rc ? rc
		  : sk_reply_json(r, 200, json_pack("{s:s,s:I}", "id", r->param, "queued",
						    (json_int_t)queued));
}

int sk_h_suppression_add(struct sk_req *r)
{
	static const char *const allowed[] = {"email", "reason", NULL};
	const char *email, *reason;
	json_t *body;
	int rc = sk_req_json(r, allowed, &body);
	if (rc)
		return rc;
	if (!(rc = sk_json_str(r, body, "email", 1, &email)) &&
	    !(rc = sk_json_str(r, body, "reason", 1, &reason))) {
		if (strcmp(reason, "bounced") != 0 && strcmp(reason, "complained") != 0)
			rc = sk_errf(&r->err, SK_ERR_INVALID, "reason: bounced or complained");
		else
			rc = sk_suppress(r->core, email, reason, &r->err);
		if (!rc)
			rc = sk_reply_json(r, 200, sk_json_suppressed(1, reason));
	}
	json_decref(body);
	return rc;
}

/* ---- the links of a campaign mail (public) ---- */

/* The token's and the client's buckets (the token only as 128 bits of its BLAKE2b). */
static int rate(struct sk_req *r, const char *kind)
{
	uint8_t h[32];
	char key[48], ip[80];
	struct sk_hasher hs;
	snprintf(key, sizeof(key), "%s:", kind);
	sk_hasher_init_blake2b(&hs);
	sk_hasher_str(&hs, r->param);
	sk_hasher_final(&hs, h);
	for (int i = 0; i < 16; i++)
		snprintf(key + strlen(kind) + 1 + 2 * i, 3, "%02x", h[i]);
	if ((r->retry_after = sk_http_rate(key, TOKEN_RATE, TOKEN_BURST)))
		return SK_ERR_RATE_LIMITED;
	sk_client_bucket(r, ip + 2, sizeof(ip) - 2);
	ip[0] = kind[0];
	ip[1] = '!';
	r->retry_after = sk_http_rate(ip, CLIENT_RATE, CLIENT_BURST);
	return r->retry_after ? SK_ERR_RATE_LIMITED : 0;
}

static int unsub_refusal(struct sk_req *r, int lang, int rc)
{
	enum sk_page_msg m = rc == SK_ERR_RATE_LIMITED ? SK_MSG_PREF_RATE
			     : rc == SK_ERR_USAGE      ? SK_MSG_UNSUB_BAD
						       : SK_MSG_UNSUB_INVALID;
	int status = rc == SK_ERR_RATE_LIMITED ? 429
		     : rc == SK_ERR_EXPIRED    ? 410
		     : rc == SK_ERR_INVALID || rc == SK_ERR_USAGE ? 400
								  : sk_err_http_status(rc);
	return sk_reply_page(r, status, lang, sk_page_msg(lang, SK_MSG_WENT_WRONG),
			     sk_page_msg(lang, m));
}

/* GET /u/TOKEN: what the button withdraws, and the button. Changes nothing (link scanners
 * follow every GET). */
int sk_h_unsub_page(struct sk_req *r)
{
	struct sk_send_rec row;
	struct sk_buf b;
	char purpose[SK_PURPOSE_MAX];
	int lang = sk_page_lang(r, NULL);
	int rc = rate(r, "u");
	if (!rc)
		rc = sk_campaign_unsub_check(r->core, r->param, sk_time_now(), &row, purpose,
					     &r->err);
	const struct sk_purpose *p = rc ? NULL : sk_policy_purpose(sk_core_policy(r->core), purpose);
	if (rc || !p)
		return unsub_refusal(r, lang, rc ? rc : SK_ERR_INVALID);
	rc = sk_page_unsub(&b, sk_page_policy(r), lang, r->param, p->title[lang]);
	return sk_page_reply(r, &b, 200, rc);
}

/* POST /u/TOKEN: RFC 8058's one-click (body List-Unsubscribe=One-Click, urlencoded or
 * multipart) from the mail provider, or the page's form, which posts the same. No cookie,
 * no Origin to check: the signed token is the authority. */
int sk_h_unsub_post(struct sk_req *r)
{
	const char *body = r->body.data ? r->body.data : "";
	size_t len = r->body.len;
	int lang = sk_page_lang(r, NULL);
	int rc = rate(r, "u");
	if (!rc && !memmem(body, len, "List-Unsubscribe=One-Click", 26) &&
	    !(memmem(body, len, "name=\"List-Unsubscribe\"", 23) && memmem(body, len, "One-Click", 9)))
		rc = sk_errf(&r->err, SK_ERR_USAGE, "not a one-click unsubscribe");
	if (!rc)
		rc = sk_campaign_unsubscribe(r->core, r->param, sk_time_now(), &r->err);
	if (rc)
		return unsub_refusal(r, lang, rc);
	return sk_reply_page(r, 200, lang, sk_page_msg(lang, SK_MSG_UNSUB_DONE_TITLE),
			     sk_page_msg(lang, SK_MSG_UNSUB_DONE));
}

/* GET /o/TOKEN: the same 1x1 transparent GIF whatever the token, never cached. */
int sk_h_mail_open(struct sk_req *r)
{
	static const unsigned char gif[] = {
		0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00,
		0x00, 0x00, 0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c,
		0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00,
		0x3b};
	struct sk_errctx ignore = {0};
	if (rate(r, "o") == 0)
		sk_campaign_open(r->core, r->param, r->ip, sk_time_now(), &ignore);
	char *p = sk_memdup(gif, sizeof(gif));
	if (!p)
		return sk_errf(&r->err, SK_ERR_NOMEM, "out of memory");
	sk_free(r->reply);
	r->reply = p;
	r->reply_len = sizeof(gif);
	r->status = 200;
	r->content_type = "image/gif";
	r->retry_after = 0;
	return 0;
}

_Static_assert(sizeof(((struct sk_req *)0)->location) == SK_CAMPAIGN_REDIRECT_MAX,
	       "core's SK_CAMPAIGN_REDIRECT_MAX is the room of a Location");

/* GET /l/TOKEN: 303 to the campaign's link the token names, with its UTM values. */
int sk_h_mail_click(struct sk_req *r)
{
	char target[SK_CAMPAIGN_URL_MAX];
	int lang = sk_page_lang(r, NULL);
	int rc = rate(r, "l");
	if (!rc)
		rc = sk_campaign_click(r->core, r->param, r->ip, sk_time_now(), target, &r->err);
	if (!rc && strlen(target) >= sizeof(r->location))
		rc = sk_errf(&r->err, SK_ERR_INVALID, "the link is too long");
	if (rc)
		return unsub_refusal(r, lang, rc == SK_ERR_USAGE ? SK_ERR_INVALID : rc);
	memcpy(r->location, target, strlen(target) + 1);
	return sk_reply_text(r, 303, "");
}
