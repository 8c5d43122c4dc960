/* webhook.c: what a delivery sends and checks: the JSON payload of a change, Standard
 * Webhooks signatures, the check of a target URL before each attempt (curl's URL parser,
 * then util/net.h's resolve-and-check), Retry-After, and the fixed texts of delivery
 * failures. The endpoints themselves are core/webhook.c; delivery is delivery.c. */
#include "sync/sync.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/curl_dl.h"

#include "util/mem.h"
#include "util/net.h"
#include "util/sktime.h"
#include "util/str.h"
#include "vault/vault.h"

int sk_webhook_resolve(const char *url, int allow_private, char *resolve, size_t resolvelen,
		       enum sk_webhook_fail *outfail)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	enum sk_webhook_fail fail = SK_WH_OK;

	if (resolve && resolvelen)
		resolve[0] = '\0';
	if (!u) {
		fail = SK_WH_NOMEM;
		goto out;
	}
	if (strlen(url) >= 1024 || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		fail = SK_WH_BAD_URL;
		goto out;
	}
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		fail = SK_WH_BAD_SCHEME;
		goto out;
	}
	/* An IPv6 literal comes in brackets. */
	char name[256];
	size_t hl = strlen(host);
	int literal6 = hl > 2 && host[0] == '[' && host[hl - 1] == ']';
	if (hl >= sizeof(name)) {
		fail = SK_WH_BAD_URL;
		goto out;
	}
	if (literal6) {
		memcpy(name, host + 1, hl - 2);
		name[hl - 2] = '\0';
	} else {
		memcpy(name, host, hl + 1);
	}
	switch (sk_net_host_check(name, port, allow_private, resolve, resolvelen)) {
	case SK_NET_OK: break;
	case SK_NET_RESOLVE: fail = SK_WH_RESOLVE; break;
	case SK_NET_ADDR_PRIVATE: fail = SK_WH_ADDR_PRIVATE; break;
	case SK_NET_ADDR_NEVER: fail = SK_WH_ADDR_NEVER; break;
	case SK_NET_NOMEM: fail = SK_WH_NOMEM; break;
	default: fail = SK_WH_BAD_URL; break;
	}
out:
	if (fail && resolve && resolvelen)
		resolve[0] = '\0';
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	*outfail = fail;
	return fail ? SK_ERR_INVALID : 0;
}

/* ---- what last_error says ---- */

static const char *const fail_texts[] = {
#define SK__WH_TEXT(sfx, text) text,
	SK_WEBHOOK_FAIL_MAP(SK__WH_TEXT)
#undef SK__WH_TEXT
};

void sk_webhook_fail_text(enum sk_webhook_fail fail, int status, char *out, size_t outlen)
{
	if (fail == SK_WH_HTTP)
		snprintf(out, outlen, "answered HTTP %d", status);
	else
		sk_strlcpy(out, (unsigned)fail < sizeof(fail_texts) / sizeof(fail_texts[0])
				       ? fail_texts[fail] : "the request failed", outlen);
}

int64_t sk_webhook_retry_after(const char *value, int64_t now)
{
	char buf[64];
	size_t n;
	while (*value == ' ' || *value == '\t')
		value++;
	n = strcspn(value, "\r\n");
	while (n && (value[n - 1] == ' ' || value[n - 1] == '\t'))
		n--;
	if (!n || n >= sizeof(buf))
		return -1;
	memcpy(buf, value, n);
	buf[n] = '\0';
	if (strspn(buf, "0123456789") == n) {
		if (n > 9)
			return SK_WEBHOOK_RETRY_AFTER_MAX;
		int64_t s = 0;
		for (size_t i = 0; i < n; i++)
			s = s * 10 + (buf[i] - '0');
		return s > SK_WEBHOOK_RETRY_AFTER_MAX ? SK_WEBHOOK_RETRY_AFTER_MAX : s;
	}
	/* An HTTP date: IMF-fixdate, or the obsolete RFC 850 and asctime forms, which
	 * curl_getdate reads too. A date names its month, so it holds letters. */
	if (strspn(buf, "0123456789 :-.+") == n)
		return -1;
	time_t t = curl_getdate(buf, NULL);
	if (t == (time_t)-1)
		return -1;
	int64_t d = (int64_t)t - now;
	return d < 0 ? 0 : d > SK_WEBHOOK_RETRY_AFTER_MAX ? SK_WEBHOOK_RETRY_AFTER_MAX : d;
}

/* ---- signatures and payloads ---- */

int sk_webhook_sign(const char *secret, const char *msg_id, int64_t timestamp, const char *body,
		    size_t len, char out[SK_WEBHOOK_SIG_MAX])
{
	return sk_vault_whsec_sign(secret, msg_id, timestamp, body, len, out);
}

int sk_webhook_payload(const struct sk_change *ch, char **out, size_t *outlen)
{
	const char *ev = sk_webhook_event_name(ch);
	int consent = ch->type == SK_CHG_CONSENT;
	json_t *o;
	char *s;
	if (!ev)
		return SK_ERR_INVALID;
	o = json_pack("{s:s,s:I,s:o,s:o,s:o,s:o}", "type", ev, "seq", (json_int_t)ch->seq,
		      "contact_id", ch->contact_id[0] ? json_string(ch->contact_id) : json_null(),
		      "purpose",
		      consent ? json_string(ch->purpose) : json_null(), "status",
		      consent ? json_string(sk_status_name(ch->status)) : json_null(), "at",
		      sk_json_time(ch->at));
	/* score.changed: the score, which sk_webhook_job_next set only with sales_followup */
	if (o && ch->type == SK_CHG_SCORE && json_object_set_new(o, "score", json_integer(ch->score)))
		o = (json_decref(o), NULL);
	s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!s)
		return SK_ERR_NOMEM;
	*out = sk_strdup(s);
	free(s);
	if (!*out)
		return SK_ERR_NOMEM;
	*outlen = strlen(*out);
	return 0;
}
