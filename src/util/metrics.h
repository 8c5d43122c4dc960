/* metrics.h: the process's counters for GET /metrics (docs/operations.md, "Metrics and
 * logs"): requests by route index, method and status, latency histograms per route, gate
 * answers by reason. Lock-free (relaxed atomics), per process; no personal data is ever kept:
 * indexes of the route table and the reason list only. */
#ifndef SK_METRICS_H
#define SK_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define SK_METRICS_ROUTES 192  /* route-table slots; the last one is "no route" */
#define SK_METRICS_NO_ROUTE (SK_METRICS_ROUTES - 1)
#define SK_METRICS_REASONS 32  /* gate reasons (core/vocab.h SK_NREASONS fits below) */
#define SK_METRICS_NBUCKETS 13 /* latency bounds, 1 ms to 10 s; one more slot for +Inf */

/* The methods counted, in slot order; anything else is "other". */
#define SK_METRICS_NMETHODS 8
extern const char *const sk_metrics_methods[SK_METRICS_NMETHODS];
/* The name M is logged and counted under: M when it is in the list, else "other" (so that
 * no client bytes reach a label or a log line). */
const char *sk_metrics_method(const char *m);
/* The status codes counted one by one; any other is counted in the last slot ("other"). */
#define SK_METRICS_NCODES 38
extern const int sk_metrics_codes[SK_METRICS_NCODES - 1];
/* The histogram's upper bounds in microseconds, ascending. */
extern const int64_t sk_metrics_bucket_us[SK_METRICS_NBUCKETS];

/* Notes the process's start (Unix seconds); sk_metrics_started reads it (0: never). */
void sk_metrics_start(int64_t at);
int64_t sk_metrics_started(void);

/* One request answered: route is its index in the route table (SK_METRICS_NO_ROUTE when it
 * matched none), method the request's, status the answer's, us how long it took. */
void sk_metrics_request(size_t route, const char *method, int status, int64_t us);
/* One gate answer. reason: its index in the reason list (below SK_METRICS_REASONS). */
void sk_metrics_gate(int allowed, int reason);

/* Readers (each value read on its own: a scrape during requests may see one request in one
 * family and not yet in the next). */
uint64_t sk_metrics_requests(size_t route, int method, int code_slot);
/* The route's latency: buckets[i] the answers at or below sk_metrics_bucket_us[i] (not yet
 * cumulative), buckets[SK_METRICS_NBUCKETS] those above the last; *count their sum; *sum_us
 * the total time. */
void sk_metrics_latency(size_t route, uint64_t buckets[SK_METRICS_NBUCKETS + 1],
			uint64_t *count, uint64_t *sum_us);
uint64_t sk_metrics_gates(int allowed, int reason);

/* Open connections of the main listener: +1 / -1. */
void sk_metrics_conn(int delta);
int64_t sk_metrics_conns(void);

#endif
