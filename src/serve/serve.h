/* serve.h: the daemon of `samtycke serve`: one store connection and core per thread, the
 * background workers (lapse of form requests and pending consents, the daily purge, erasure
 * scrubs, the mail worker, webhook delivery), the rate limits, signals, and the HTTP adapter
 * it runs
 * (src/http). */
#ifndef SK_SERVE_H
#define SK_SERVE_H

#include "http/http.h"

struct sk_errctx;

/* Serves until SIGTERM or SIGINT, then lets in-flight requests finish and closes the
 * database. SIGHUP reloads the applied policy in every thread. Refuses to start on a broken
 * ledger chain. Prints "listening on http://HOST:PORT" on stdout once ready, and one
 * access-log line per request on stderr. */
int sk_serve_run(const struct sk_server_config *cfg, struct sk_errctx *err);

#endif
