/* h_metrics.c: GET /metrics in the Prometheus text exposition format 0.0.4
 * (docs/operations.md, "Metrics and logs"): the process's counters (util/metrics.h), labelled
 * with the route table's patterns, and what the store holds (sk_health), read at most once
 * every METRICS_CACHE_MS per process, so that an anonymous scraper of --metrics-listen cannot
 * make the server read more. No personal data: route patterns, reason names, endpoint ids,
 * counts and times. */
#include "http/http_int.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "core/webhook.h"
#include "util/mem.h"
#include "util/metrics.h"
#include "util/sktime.h"

#define METRICS_MAX (4u << 20) /* bytes an answer may hold */
#define CT_PROMETHEUS "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_CACHE_MS 5000 /* a scrape within this of the last store read reuses it */

/* The store's figures of the last read, shared by every worker: one refresh at a time (the
 * others wait for it under the lock and reuse what it read). */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sk_health cached;
static int64_t cached_at; /* monotonic ms of the read; 0: none yet */

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + 1; /* never 0 */
}

/* The store's figures into *OUT (reset by the caller), read again only when the cached ones
 * are METRICS_CACHE_MS old. */
static int health_cached(struct sk_core *c, struct sk_health *out, struct sk_errctx *err)
{
	int rc = 0;
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&cache_lock);
	int64_t now = mono_ms();
	if (!cached_at || now - cached_at >= METRICS_CACHE_MS) {
		struct sk_health fresh;
		if ((rc = sk_health(c, &fresh, err)))
			goto out;
		sk_health_reset(&cached);
		cached = fresh;
		cached_at = now;
	}
	*out = cached;
	out->webhooks = NULL;
	if (cached.nwebhooks) {
		if (!(out->webhooks = sk_calloc(cached.nwebhooks, sizeof(*out->webhooks)))) {
			rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
			memset(out, 0, sizeof(*out));
			goto out;
		}
		memcpy(out->webhooks, cached.webhooks, cached.nwebhooks * sizeof(*out->webhooks));
	}
out:
	pthread_mutex_unlock(&cache_lock);
	return rc;
}

/* A label value, escaped as the format wants (backslash, quote, newline). */
static int label(struct sk_buf *b, const char *v)
{
	int rc = 0;
	for (; *v && !rc; v++) {
		if (*v == '\\' || *v == '"')
			rc = sk_buf_printf(b, "\\%c", *v);
		else if (*v == '\n')
			rc = sk_buf_appends(b, "\\n");
		else
			rc = sk_buf_append(b, v, 1);
	}
	return rc;
}

static int family(struct sk_buf *b, const char *name, const char *type, const char *help)
{
	return sk_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The route label of a route-table index (SK_METRICS_NO_ROUTE: "unmatched"). */
static const char *route_name(size_t i)
{
	return i < sk_nroutes ? sk_routes[i].path : "unmatched";
}

static int requests(struct sk_buf *b)
{
	int rc = family(b, "samtycke_http_requests_total", "counter",
			"HTTP requests answered by this process, by route pattern, method and status");
	for (size_t i = 0; i < SK_METRICS_ROUTES && !rc; i++) {
		if (i >= sk_nroutes && i != SK_METRICS_NO_ROUTE)
			continue;
		for (int m = 0; m < SK_METRICS_NMETHODS && !rc; m++)
			for (int k = 0; k < SK_METRICS_NCODES && !rc; k++) {
				uint64_t n = sk_metrics_requests(i, m, k);
				if (!n)
					continue;
				char code[8];
				if (k < SK_METRICS_NCODES - 1)
					snprintf(code, sizeof(code), "%d", sk_metrics_codes[k]);
				else
					snprintf(code, sizeof(code), "other");
				if ((rc = sk_buf_appends(b, "samtycke_http_requests_total{route=\"")) ||
				    (rc = label(b, route_name(i))))
					break;
				rc = sk_buf_printf(b, "\",method=\"%s\",code=\"%s\"} %llu\n",
						   sk_metrics_methods[m], code, (unsigned long long)n);
			}
	}
	return rc;
}

static int latency(struct sk_buf *b)
{
	const char *name = "samtycke_http_request_duration_seconds";
	int rc = family(b, name, "histogram",
			"Time from a request's headers to its answer, by route pattern");
	for (size_t i = 0; i < SK_METRICS_ROUTES && !rc; i++) {
		if (i >= sk_nroutes && i != SK_METRICS_NO_ROUTE)
			continue;
		uint64_t bk[SK_METRICS_NBUCKETS + 1], count, sum_us, cum = 0;
		sk_metrics_latency(i, bk, &count, &sum_us);
		if (!count)
			continue;
		for (int j = 0; j <= SK_METRICS_NBUCKETS && !rc; j++) {
			cum += bk[j];
			char le[24];
			if (j < SK_METRICS_NBUCKETS)
				snprintf(le, sizeof(le), "%g", (double)sk_metrics_bucket_us[j] / 1e6);
			else
				snprintf(le, sizeof(le), "+Inf");
			if (!(rc = sk_buf_printf(b, "%s_bucket{route=\"", name)) &&
			    !(rc = label(b, route_name(i))))
				rc = sk_buf_printf(b, "\",le=\"%s\"} %llu\n", le, (unsigned long long)cum);
		}
		if (!rc && !(rc = sk_buf_printf(b, "%s_sum{route=\"", name)) &&
		    !(rc = label(b, route_name(i))))
			rc = sk_buf_printf(b, "\"} %.6f\n", (double)sum_us / 1e6);
		if (!rc && !(rc = sk_buf_printf(b, "%s_count{route=\"", name)) &&
		    !(rc = label(b, route_name(i))))
			rc = sk_buf_printf(b, "\"} %llu\n", (unsigned long long)count);
	}
	return rc;
}

/* Every reason with its usual answer (zero included, so that a rate over it exists from the
 * start), and any other pair that was counted. */
static int gates(struct sk_buf *b)
{
	int rc = family(b, "samtycke_gate_answers_total", "counter",
			"Gate answers made by this process, by answer and reason");
	for (int i = 0; i < SK_NREASONS && !rc; i++)
		for (int a = 1; a >= 0 && !rc; a--) {
			uint64_t n = sk_metrics_gates(a, i);
			if (!n && a != sk_reason_allowed((enum sk_reason)i))
				continue;
			rc = sk_buf_printf(b, "samtycke_gate_answers_total{allowed=\"%s\","
					   "reason=\"%s\"} %llu\n", a ? "true" : "false",
					   sk_reason_name((enum sk_reason)i), (unsigned long long)n);
		}
	return rc;
}

static int gauge(struct sk_buf *b, const char *name, const char *help, long long v)
{
	int rc = family(b, name, "gauge", help);
	return rc ? rc : sk_buf_printf(b, "%s %lld\n", name, v);
}

static int stored(struct sk_buf *b, const struct sk_health *h, int64_t now)
{
	int rc = family(b, "samtycke_webhook_pending_changes", "gauge",
			"Changes after an endpoint's cursor that it wants, by endpoint id");
	for (size_t i = 0; i < h->nwebhooks && !rc; i++)
		rc = sk_buf_printf(b, "samtycke_webhook_pending_changes{endpoint=\"%s\"} %lld\n",
				   h->webhooks[i].id, (long long)h->webhooks[i].pending);
	rc = rc ? rc : family(b, "samtycke_webhook_oldest_pending_age_seconds", "gauge",
			      "Age of the oldest change an endpoint has not yet been sent (0: none)");
	for (size_t i = 0; i < h->nwebhooks && !rc; i++) {
		int64_t at = h->webhooks[i].pending_oldest_at;
		rc = sk_buf_printf(b, "samtycke_webhook_oldest_pending_age_seconds{endpoint=\"%s\"} "
				   "%lld\n", h->webhooks[i].id,
				   (long long)(at && now > at ? now - at : 0));
	}
	const struct {
		const char *name, *help;
		long long v;
	} g[] = {
		{"samtycke_mail_outbox_queued", "Mails waiting in the outbox (neither sent nor "
		 "given up)", h->outbox_waiting},
		{"samtycke_mail_outbox_oldest_age_seconds", "Age of the oldest mail waiting in the "
		 "outbox (0: none)", h->outbox_oldest && now > h->outbox_oldest
					      ? now - h->outbox_oldest : 0},
		{"samtycke_mail_outbox_failed", "Mails given up on, not yet purged", h->outbox_failed},
		{"samtycke_ledger_head_sequence", "Sequence number of the ledger's last event "
		 "(0: empty)", h->ledger_seq},
		{"samtycke_database_size_bytes", "Size of the database (SQLite: page_count * "
		 "page_size; PostgreSQL: pg_database_size)", h->db_bytes},
		{"samtycke_audit_last_ok", "1 when the last recorded audit verify found the ledger "
		 "chain whole, 0 when broken or none recorded",
		 h->verify.at && !h->verify.first_bad_seq},
		{"samtycke_audit_last_timestamp_seconds", "When the last audit verify ran (Unix "
		 "time; 0: none recorded)", h->verify.at},
	};
	for (size_t i = 0; i < sizeof(g) / sizeof(g[0]) && !rc; i++)
		rc = gauge(b, g[i].name, g[i].help, g[i].v);
	return rc;
}

int sk_h_metrics(struct sk_req *r)
{
	struct sk_health h;
	struct sk_buf b;
	int rc = health_cached(r->core, &h, &r->err);
	if (rc)
		return rc;
	sk_buf_init(&b, METRICS_MAX);
	rc = family(&b, "samtycke_build_info", "gauge", "The running version (always 1)");
	rc = rc ? rc : sk_buf_printf(&b, "samtycke_build_info{version=\"%s\"} 1\n", SK_VERSION);
	rc = rc ? rc : gauge(&b, "samtycke_process_start_time_seconds",
			     "When this process started (Unix time)",
			     (long long)sk_metrics_started());
	rc = rc ? rc : gauge(&b, "samtycke_http_open_connections",
			     "Connections open on the main listener", (long long)sk_metrics_conns());
	rc = rc ? rc : requests(&b);
	rc = rc ? rc : latency(&b);
	rc = rc ? rc : gates(&b);
	rc = rc ? rc : stored(&b, &h, sk_time_now());
	sk_health_reset(&h);
	if (rc) {
		sk_buf_reset(&b);
		return sk_errf(&r->err, SK_ERR_NOMEM, "the metrics do not fit in %u bytes",
			       METRICS_MAX);
	}
	size_t len;
	char *text = sk_buf_steal(&b, &len);
	if (!text)
		return sk_errf(&r->err, SK_ERR_NOMEM, "out of memory");
	sk_free(r->reply);
	r->reply = text;
	r->reply_len = len;
	r->status = 200;
	r->content_type = CT_PROMETHEUS;
	return 0;
}
