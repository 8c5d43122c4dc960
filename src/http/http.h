/* http.h: the HTTP server (libmicrohttpd): what the serve command configures and runs. */
#ifndef SK_HTTP_H
#define SK_HTTP_H

#include <stddef.h>

struct sk_errctx;
struct sk_vault;

struct sk_server_config {
	const char *db;            /* each worker thread opens its own connection */
	struct sk_vault *vault;    /* shared, read-only */
	const char *listen;        /* "127.0.0.1:8080", "[::1]:8080"; port 0 picks one */
	unsigned threads;          /* worker threads (epoll thread pool) */
	unsigned timeout;          /* seconds a client may stay silent */
	double rate_limit;         /* requests per second per key; 0: off */
	size_t max_body;           /* bytes */
};

/* Serves until SIGTERM or SIGINT, then lets in-flight requests finish and closes the
 * database. SIGHUP reloads the applied policy in every worker. Prints
 * "listening on http://HOST:PORT" on stdout once ready, and one access-log line per request
 * on stderr. */
int sk_server_run(const struct sk_server_config *cfg, struct sk_errctx *err);

#endif
