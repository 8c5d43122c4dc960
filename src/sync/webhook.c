/* webhook.c: webhook endpoints (add, remove, status), the event names and JSON payloads of
 * the change feed, Standard Webhooks signatures, the classifier of target addresses
 * (special-purpose ranges), and the fixed texts of delivery failures. Delivery itself is in
 * delivery.c. */
#include "sync/sync.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>

#include "util/mem.h"
#include "util/sktime.h"
#include "util/str.h"
#include "vault/vault.h"


/* The events are SK_EVENT_LIST (core/vocab.h): each names the change type it is sent for
 * and, for consent changes, the new status. */
const char *sk_webhook_event_name(const struct sk_change *ch)
{
	int type = (int)ch->type;
	int status = type == SK_CHG_CONSENT ? (int)ch->status : -1;
	for (int i = 0; i < SK_NEVENTS; i++)
		if ((int)sk_event_change((enum sk_event)i) == type &&
		    sk_event_status((enum sk_event)i) == status)
			return sk_event_name((enum sk_event)i);
	return NULL;
}

/* 1 when the comma-separated list holds name (len bytes). */
static int list_has(const char *list, const char *name, size_t len)
{
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		if (n == len && strncmp(p, name, len) == 0)
			return 1;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

int sk_webhook_events_parse(const char *list, char *out, size_t outlen, struct sk_errctx *err)
{
	size_t used = 0;
	int all = 0;
	if (!list || !*list)
		return sk_errf(err, SK_ERR_INVALID, "events: give a comma-separated list of events "
			       "or 'all'");
	out[0] = '\0';
	for (const char *p = list; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t n = strcspn(p, ", ");
		if (!n)
			break;
		if (n == 3 && strncmp(p, "all", 3) == 0) {
			all = 1;
		} else {
			if (sk_event_from_namen(p, n) < 0)
				return sk_errf(err, SK_ERR_INVALID, "events: unknown event '%.*s'",
					       (int)(n > 40 ? 40 : n), p);
			if (!list_has(out, p, n)) {
				if (used + n + 2 > outlen)
					return sk_errf(err, SK_ERR_INVALID, "events: too long");
				if (used)
					out[used++] = ',';
				memcpy(out + used, p, n);
				used += n;
				out[used] = '\0';
			}
		}
		p += n;
	}
	if (all)
		return sk_strlcpy(out, "all", outlen) ? SK_ERR_INVALID : 0;
	if (!used)
		return sk_errf(err, SK_ERR_INVALID, "events: give a comma-separated list of events "
			       "or 'all'");
	return 0;
}

int sk_webhook_events_match(const char *events, const char *event)
{
	return event && (strcmp(events, "all") == 0 || list_has(events, event, strlen(event)));
}

/* ---- target addresses ---- */

/* One range of the classifier: a prefix, what it is, and who may reach it. embed >= 0: an
 * IPv4 address sits at that byte offset, and the verdict is the stricter of the range's
 * and that address's. The most specific range that holds an address decides. Sources: the
 * IANA IPv4 and IPv6 Special-Purpose Address Registries, RFC 6890, 6052, 7526, 9637, and
 * the metadata addresses of the big clouds (docs/webhooks.md lists them). */
struct addr_range {
	const char *prefix;
	enum sk_addr_verdict verdict;
	signed char embed;
	const char *what;
};

static const struct addr_range ranges[] = {
	/* IPv4: public unless listed */
	{"0.0.0.0/0", SK_ADDR_PUBLIC, -1, "public"},
	{"0.0.0.0/8", SK_ADDR_NEVER, -1, "this network (0.0.0.0 reaches the host itself)"},
	{"10.0.0.0/8", SK_ADDR_PRIVATE, -1, "private (RFC 1918)"},
	{"100.64.0.0/10", SK_ADDR_PRIVATE, -1, "shared address space (CGNAT)"},
	{"100.100.100.200/32", SK_ADDR_NEVER, -1, "cloud metadata (Alibaba Cloud)"},
	{"127.0.0.0/8", SK_ADDR_PRIVATE, -1, "loopback"},
	{"168.63.129.16/32", SK_ADDR_NEVER, -1, "cloud platform service (Azure WireServer)"},
	{"169.254.0.0/16", SK_ADDR_NEVER, -1, "link-local (cloud metadata 169.254.169.254)"},
	{"172.16.0.0/12", SK_ADDR_PRIVATE, -1, "private (RFC 1918)"},
	{"192.0.0.0/24", SK_ADDR_NEVER, -1, "IETF protocol assignments"},
	{"192.0.2.0/24", SK_ADDR_NEVER, -1, "documentation (TEST-NET-1)"},
	{"192.31.196.0/24", SK_ADDR_NEVER, -1, "AS112-v4"},
	{"192.52.193.0/24", SK_ADDR_NEVER, -1, "AMT"},
	{"192.88.99.0/24", SK_ADDR_NEVER, -1, "6to4 relay anycast (deprecated)"},
	{"192.168.0.0/16", SK_ADDR_PRIVATE, -1, "private (RFC 1918)"},
	{"192.175.48.0/24", SK_ADDR_NEVER, -1, "AS112 direct delegation"},
	{"198.18.0.0/15", SK_ADDR_NEVER, -1, "benchmarking"},
	{"198.51.100.0/24", SK_ADDR_NEVER, -1, "documentation (TEST-NET-2)"},
	{"203.0.113.0/24", SK_ADDR_NEVER, -1, "documentation (TEST-NET-3)"},
	{"224.0.0.0/4", SK_ADDR_NEVER, -1, "multicast"},
	{"240.0.0.0/4", SK_ADDR_NEVER, -1, "reserved"},
	{"255.255.255.255/32", SK_ADDR_NEVER, -1, "limited broadcast"},
	/* IPv6: only global unicast (2000::/3) is public */
	{"::/0", SK_ADDR_NEVER, -1, "not global unicast"},
	{"::/128", SK_ADDR_NEVER, -1, "unspecified"},
	{"::1/128", SK_ADDR_PRIVATE, -1, "loopback"},
	{"::/96", SK_ADDR_NEVER, -1, "IPv4-compatible (deprecated)"},
	{"::ffff:0:0/96", SK_ADDR_PUBLIC, 12, "IPv4-mapped"},
	{"64:ff9b::/96", SK_ADDR_PRIVATE, 12, "NAT64 well-known prefix"},
	{"64:ff9b:1::/48", SK_ADDR_NEVER, -1, "NAT64 local use"},
	{"100::/64", SK_ADDR_NEVER, -1, "discard-only"},
	{"2000::/3", SK_ADDR_PUBLIC, -1, "public"},
	{"2001::/23", SK_ADDR_NEVER, -1, "IETF protocol assignments (Teredo, ORCHID, ...)"},
	{"2001:db8::/32", SK_ADDR_NEVER, -1, "documentation"},
	{"2002::/16", SK_ADDR_PUBLIC, 2, "6to4"},
	{"2620:4f:8000::/48", SK_ADDR_NEVER, -1, "AS112 direct delegation"},
	{"3fff::/20", SK_ADDR_NEVER, -1, "documentation"},
	{"5f00::/16", SK_ADDR_NEVER, -1, "segment routing (SRv6) SIDs"},
	{"fc00::/7", SK_ADDR_PRIVATE, -1, "unique local"},
	{"fd00:ec2::/32", SK_ADDR_NEVER, -1, "cloud metadata (AWS, fd00:ec2::254)"},
	{"fd20:ce::254/128", SK_ADDR_NEVER, -1, "cloud metadata (Google Cloud)"},
	{"fe80::/10", SK_ADDR_NEVER, -1, "link-local"},
	{"fec0::/10", SK_ADDR_NEVER, -1, "site-local (deprecated)"},
	{"ff00::/8", SK_ADDR_NEVER, -1, "multicast"},
};
#define NRANGES (sizeof(ranges) / sizeof(ranges[0]))

/* Parses "addr/bits" into family, 16 bytes and bits; -1 when malformed. */
static int range_parse(const char *prefix, int *family, uint8_t a[16], int *bits)
{
	char buf[64];
	const char *slash = strchr(prefix, '/');
	size_t n = slash ? (size_t)(slash - prefix) : 0;
	char *end;
	if (!slash || n >= sizeof(buf))
		return -1;
	memcpy(buf, prefix, n);
	buf[n] = '\0';
	long b = strtol(slash + 1, &end, 10);
	memset(a, 0, 16);
	*family = strchr(buf, ':') ? AF_INET6 : AF_INET;
	if (*end || b < 0 || b > (*family == AF_INET6 ? 128 : 32) ||
	    inet_pton(*family, buf, a) != 1)
		return -1;
	*bits = (int)b;
	return 0;
}

static int prefix_match(const uint8_t *a, const uint8_t *p, int bits)
{
	int whole = bits / 8, rest = bits % 8;
	if (memcmp(a, p, (size_t)whole) != 0)
		return 0;
	return !rest || ((a[whole] ^ p[whole]) & (0xff << (8 - rest)) & 0xff) == 0;
}

static enum sk_addr_verdict classify(int family, const uint8_t *a, const char **outwhat)
{
	int best = -1;
	enum sk_addr_verdict v = SK_ADDR_NEVER;
	const char *what = "unparsable range table";
	for (size_t i = 0; i < NRANGES; i++) {
		int fam, bits;
		uint8_t p[16];
		if (range_parse(ranges[i].prefix, &fam, p, &bits))
			return SK_ADDR_NEVER; /* fails closed; the unit test parses every entry */
		if (fam != family || bits <= best || !prefix_match(a, p, bits))
			continue;
		best = bits;
		v = ranges[i].verdict;
		what = ranges[i].what;
		if (ranges[i].embed >= 0) {
			const char *w4;
			enum sk_addr_verdict v4 = classify(AF_INET, a + ranges[i].embed, &w4);
			if (v4 >= v) {
				v = v4;
				what = w4;
			}
		}
	}
	if (outwhat)
		*outwhat = what;
	return v;
}

enum sk_addr_verdict sk_webhook_addr_class(const struct sockaddr *sa, const char **outwhat)
{
	if (outwhat)
		*outwhat = "not an IP address";
	if (sa->sa_family == AF_INET)
		return classify(AF_INET, (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr,
				outwhat);
	if (sa->sa_family == AF_INET6)
		return classify(AF_INET6, ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr,
				outwhat);
	return SK_ADDR_NEVER; /* anything else is not a place to send to */
}

int sk_webhook_addr_allowed(const struct sockaddr *sa, int allow_private)
{
	enum sk_addr_verdict v = sk_webhook_addr_class(sa, NULL);
	return v == SK_ADDR_PUBLIC || (allow_private && v == SK_ADDR_PRIVATE);
}

int sk_webhook_ranges_check(void)
{
	for (size_t i = 0; i < NRANGES; i++) {
		int fam, bits;
		uint8_t p[16];
		if (range_parse(ranges[i].prefix, &fam, p, &bits) ||
		    (ranges[i].embed >= 0 && (fam != AF_INET6 || ranges[i].embed > 12)))
			return (int)i + 1;
	}
	return 0;
}

int sk_webhook_resolve(const char *url, int allow_private, char *resolve, size_t resolvelen,
		       enum sk_webhook_fail *outfail)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
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
	int grc = getaddrinfo(name, port, &hints, &res);
	if (grc != 0 || !res) {
		fail = SK_WH_RESOLVE;
		goto out;
	}
	size_t used = 0;
	int literal = 0;
	if (resolve && resolvelen) {
		struct in6_addr a6;
		struct in_addr a4;
		literal = inet_pton(AF_INET6, name, &a6) == 1 || inet_pton(AF_INET, name, &a4) == 1;
		if (!literal) {
			int n = snprintf(resolve, resolvelen, "%s:%s:", name, port);
			used = n > 0 && (size_t)n < resolvelen ? (size_t)n : resolvelen;
		}
	}
	/* Every address is judged: one that may not be reached refuses the whole host. */
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		enum sk_addr_verdict v = sk_webhook_addr_class(ai->ai_addr, NULL);
		if (v == SK_ADDR_NEVER) {
			fail = SK_WH_ADDR_NEVER;
			goto out;
		}
		if (v == SK_ADDR_PRIVATE && !allow_private)
			fail = SK_WH_ADDR_PRIVATE; /* go on: a NEVER address later says more */
	}
	if (fail)
		goto out;
	for (struct addrinfo *ai = res; ai && resolve && resolvelen && !literal; ai = ai->ai_next) {
		char a[INET6_ADDRSTRLEN];
		const void *p = ai->ai_family == AF_INET6
					? (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
					: (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;
		if (used >= resolvelen || !inet_ntop(ai->ai_family, p, a, sizeof(a)))
			continue;
		int n = snprintf(resolve + used, resolvelen - used,
				 ai->ai_family == AF_INET6 ? "%s[%s]" : "%s%s",
				 resolve[used - 1] == ':' ? "" : ",", a);
		if (n < 0 || (size_t)n >= resolvelen - used)
			break; /* the addresses that fit are all checked too */
		used += (size_t)n;
	}
	if (resolve && resolvelen && !literal && used && resolve[used - 1] == ':')
		resolve[0] = '\0';
out:
	if (fail && resolve && resolvelen)
		resolve[0] = '\0';
	if (res)
		freeaddrinfo(res);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	*outfail = fail;
	return fail ? SK_ERR_INVALID : 0;
}

int sk_webhook_check_url(const char *url, int allow_private, char *resolve, size_t resolvelen,
			 struct sk_errctx *err)
{
	enum sk_webhook_fail fail;
	if (!sk_webhook_resolve(url, allow_private, resolve, resolvelen, &fail))
		return 0;
	switch (fail) {
	case SK_WH_NOMEM: return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	case SK_WH_BAD_SCHEME:
		return sk_errf(err, SK_ERR_INVALID, "url: only http and https URLs are accepted");
	case SK_WH_RESOLVE: return sk_errf(err, SK_ERR_INVALID, "url: the host does not resolve");
	case SK_WH_ADDR_PRIVATE:
		return sk_errf(err, SK_ERR_INVALID, "url: the host resolves to a loopback, private "
			       "or shared (CGNAT) address (allowed only with webhook add "
			       "--allow-private or serve --allow-private-webhooks)");
	case SK_WH_ADDR_NEVER:
		return sk_errf(err, SK_ERR_INVALID, "url: the host resolves to a link-local, cloud "
			       "metadata, multicast, documentation or other special-purpose address, "
			       "which webhooks never reach, not even with --allow-private");
	default: return sk_errf(err, SK_ERR_INVALID, "url: not an absolute http or https URL");
	}
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

/* ---- endpoints ---- */

static void secret_ad(const char *id, char ad[SK_ID_LEN + 16])
{
	snprintf(ad, SK_ID_LEN + 16, "webhook/%s", id);
}

int sk_webhook_add(struct sk_core *c, const char *url, const char *events, const char *name,
		   int allow_private, char outid[SK_ID_LEN + 1],
		   char outsecret[SK_WEBHOOK_SECRET_MAX], struct sk_errctx *err)
{
	struct sk_webhook_rec w = {.enabled = 1, .created_at = sk_time_now()};
	uint8_t *sealed = NULL;
	char secret[SK_WEBHOOK_SECRET_MAX], ad[SK_ID_LEN + 16];
	size_t sealed_len = 0;
	int rc;

	if (!url || (rc = sk_webhook_check_url(url, allow_private, NULL, 0, err)))
		return url ? rc : sk_errf(err, SK_ERR_INVALID, "url is required");
	if ((rc = sk_webhook_events_parse(events, w.events, sizeof(w.events), err)))
		return rc;
	if (name && (strlen(name) >= sizeof(w.name)))
		return sk_errf(err, SK_ERR_INVALID, "name: at most %zu bytes", sizeof(w.name) - 1);
	for (const char *p = name; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return sk_errf(err, SK_ERR_INVALID, "name: control characters are not allowed");
	sk_strlcpy(w.url, url, sizeof(w.url));
	sk_strlcpy(w.name, name ? name : "", sizeof(w.name));
	if ((rc = sk_id_new("w_", w.id)) || (rc = sk_vault_whsec_new(secret)))
		return sk_errf(err, rc, "cannot make a webhook id or secret");
	secret_ad(w.id, ad);
	if ((rc = sk_vault_seal_system(sk_core_vault(c), ad, secret, strlen(secret), &sealed, &sealed_len))) {
		rc = sk_errf(err, rc, "cannot seal the webhook secret");
		goto out;
	}
	w.secret = sealed;
	w.secret_len = sealed_len;
	if ((rc = sk_store_change_last(sk_core_store(c), &w.cursor)) ||
	    (rc = sk_store_webhook_put(sk_core_store(c), &w))) {
		rc = sk_errf(err, rc, "cannot store the webhook endpoint");
		goto out;
	}
	memcpy(outid, w.id, SK_ID_LEN + 1);
	memcpy(outsecret, secret, SK_WEBHOOK_SECRET_MAX);
out:
	sk_vault_wipe(secret, sizeof(secret));
	sk_free(sealed);
	return rc;
}

int sk_webhook_remove(struct sk_core *c, const char *id, struct sk_errctx *err)
{
	int rc = sk_store_webhook_delete(sk_core_store(c), id);
	if (rc == SK_ERR_NOT_FOUND)
		return sk_errf(err, rc, "no webhook endpoint with that id");
	return rc ? sk_errf(err, rc, "cannot remove the webhook endpoint") : 0;
}

struct counter {
	const char *events;
	json_int_t n;
};

static int count_pending(void *arg, const struct sk_change *ch)
{
	struct counter *k = arg;
	if (sk_webhook_events_match(k->events, sk_webhook_event_name(ch)))
		k->n++;
	return 0;
}

static json_t *events_json(const char *events)
{
	json_t *a = json_array();
	for (const char *p = events; a && *p;) {
		size_t n = strcspn(p, ",");
		json_array_append_new(a, json_stringn(p, n));
		p += n;
		if (*p == ',')
			p++;
	}
	return a;
}

/* The status of one endpoint; the pending count reads the feed after its cursor. */
static int status_json(struct sk_core *c, const struct sk_webhook_rec *w, json_t **out,
		       struct sk_errctx *err)
{
	struct counter k = {w->events, 0};
	int rc = 0;
	if ((rc = sk_changes(c, w->cursor, -1, count_pending, &k, NULL)))
		return sk_errf(err, rc, "cannot read the change feed");
	*out = json_pack("{s:s,s:s,s:s,s:o,s:b,s:I,s:I,s:o,s:o,s:o,s:i,s:I,s:o,s:o}", "id", w->id,
			 "name", w->name, "url", w->url, "events", events_json(w->events),
			 "enabled", w->enabled, "last_delivered_seq", (json_int_t)w->cursor,
			 "pending", k.n, "last_status",
			 w->last_status ? json_integer(w->last_status) : json_null(), "last_error",
			 w->last_error[0] ? json_string(w->last_error) : json_null(),
			 "next_attempt_at", sk_json_time(w->enabled ? w->next_attempt_at : 0),
			 "failures", w->failures, "failed_changes", (json_int_t)w->nfailed,
			 "last_failed_seq",
			 w->last_failed_seq ? json_integer(w->last_failed_seq) : json_null(),
			 "created_at", sk_json_time(w->created_at));
	return *out ? 0 : sk_errf(err, SK_ERR_NOMEM, "out of memory");
}

struct lister {
	struct sk_webhook_rec *recs;
	size_t n, cap;
};

static int collect(void *arg, const struct sk_webhook_rec *w)
{
	struct lister *l = arg;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		void *p = sk_realloc(l->recs, cap * sizeof(*l->recs));
		if (!p)
			return SK_ERR_NOMEM;
		l->recs = p;
		l->cap = cap;
	}
	l->recs[l->n] = *w;
	l->recs[l->n].secret = NULL; /* not needed here, and not valid past the callback */
	l->recs[l->n++].secret_len = 0;
	return 0;
}

int sk_webhook_status(struct sk_core *c, const char *id, json_t **out, struct sk_errctx *err)
{
	struct sk_webhook_rec w;
	struct lister l = {0};
	json_t *arr = NULL, *o;
	int rc;

	if ((rc = sk_core_read_begin(c, err)))
		return rc;
	if (id) {
		rc = sk_store_webhook_get(sk_core_store(c), id, &w);
		if (rc == SK_ERR_NOT_FOUND)
			rc = sk_errf(err, rc, "no webhook endpoint with that id");
		else if (rc)
			rc = sk_errf(err, rc, "cannot read the webhook endpoint");
		else
			rc = status_json(c, &w, out, err);
		goto out;
	}
	if ((rc = sk_store_webhook_each(sk_core_store(c), collect, &l))) {
		rc = sk_errf(err, rc, "cannot read the webhook endpoints");
		goto out;
	}
	arr = json_array();
	for (size_t i = 0; i < l.n && !rc; i++) {
		if (!(rc = status_json(c, &l.recs[i], &o, err)))
			json_array_append_new(arr, o);
	}
	if (!rc) {
		*out = json_pack("{s:o}", "webhooks", arr);
		arr = NULL;
		if (!*out)
			rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
	}
out:
	json_decref(arr);
	sk_free(l.recs);
	sk_core_read_end(c);
	return rc;
}
