/* metrics.c: the process's counters for GET /metrics (util/metrics.h): fixed arrays of
 * relaxed atomics, so that counting is one atomic add on the request path and never a lock.
 * Labels are indexes (route table, method list, status list, reason list); the HTTP adapter
 * turns them into names when it renders them. */
#include "util/metrics.h"

#include <stdatomic.h>
#include <string.h>

const char *const sk_metrics_methods[SK_METRICS_NMETHODS] = {
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"};

const int sk_metrics_codes[SK_METRICS_NCODES - 1] = {
	200, 201, 202, 204, 206, 301, 302, 303, 304, 307, 308, 400, 401, 402, 403, 404, 405,
	406, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 422, 428, 429, 431, 500, 501,
	502, 503, 504};

const int64_t sk_metrics_bucket_us[SK_METRICS_NBUCKETS] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000};

static atomic_llong started;
static atomic_llong conns;
static atomic_ullong requests[SK_METRICS_ROUTES][SK_METRICS_NMETHODS][SK_METRICS_NCODES];
static atomic_ullong latency[SK_METRICS_ROUTES][SK_METRICS_NBUCKETS + 1];
static atomic_ullong latency_sum[SK_METRICS_ROUTES];
static atomic_ullong gates[2][SK_METRICS_REASONS];

void sk_metrics_start(int64_t at)
{
	atomic_store(&started, at);
}

int64_t sk_metrics_started(void)
{
	return atomic_load(&started);
}

static int method_slot(const char *m)
{
	for (int i = 0; m && i < SK_METRICS_NMETHODS - 1; i++)
		if (strcmp(m, sk_metrics_methods[i]) == 0)
			return i;
	return SK_METRICS_NMETHODS - 1;
}

const char *sk_metrics_method(const char *m)
{
	return sk_metrics_methods[method_slot(m)];
}

static int code_slot(int status)
{
	for (int i = 0; i < SK_METRICS_NCODES - 1; i++)
		if (sk_metrics_codes[i] == status)
			return i;
	return SK_METRICS_NCODES - 1;
}

void sk_metrics_request(size_t route, const char *method, int status, int64_t us)
{
	if (route >= SK_METRICS_ROUTES)
		route = SK_METRICS_NO_ROUTE;
	if (us < 0)
		us = 0;
	atomic_fetch_add_explicit(&requests[route][method_slot(method)][code_slot(status)], 1,
				  memory_order_relaxed);
	int b = 0;
	while (b < SK_METRICS_NBUCKETS && us > sk_metrics_bucket_us[b])
		b++;
	atomic_fetch_add_explicit(&latency[route][b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&latency_sum[route], (unsigned long long)us,
				  memory_order_relaxed);
}

void sk_metrics_gate(int allowed, int reason)
{
	if (reason < 0 || reason >= SK_METRICS_REASONS)
		return;
	atomic_fetch_add_explicit(&gates[allowed != 0][reason], 1, memory_order_relaxed);
}

uint64_t sk_metrics_requests(size_t route, int method, int code)
{
	if (route >= SK_METRICS_ROUTES || method < 0 || method >= SK_METRICS_NMETHODS ||
	    code < 0 || code >= SK_METRICS_NCODES)
		return 0;
	return atomic_load_explicit(&requests[route][method][code], memory_order_relaxed);
}

void sk_metrics_latency(size_t route, uint64_t buckets[SK_METRICS_NBUCKETS + 1],
			uint64_t *count, uint64_t *sum_us)
{
	*count = 0;
	*sum_us = 0;
	memset(buckets, 0, (SK_METRICS_NBUCKETS + 1) * sizeof(*buckets));
	if (route >= SK_METRICS_ROUTES)
		return;
	for (int b = 0; b <= SK_METRICS_NBUCKETS; b++) {
		buckets[b] = atomic_load_explicit(&latency[route][b], memory_order_relaxed);
		*count += buckets[b];
	}
	*sum_us = atomic_load_explicit(&latency_sum[route], memory_order_relaxed);
}

uint64_t sk_metrics_gates(int allowed, int reason)
{
	if (reason < 0 || reason >= SK_METRICS_REASONS)
		return 0;
	return atomic_load_explicit(&gates[allowed != 0][reason], memory_order_relaxed);
}

void sk_metrics_conn(int delta)
{
	atomic_fetch_add_explicit(&conns, delta, memory_order_relaxed);
}

int64_t sk_metrics_conns(void)
{
	return atomic_load_explicit(&conns, memory_order_relaxed);
}
