/* http.h: the HTTP adapter (libmicrohttpd): the configuration of `samtycke serve`, and the
 * start and stop that the daemon (src/serve) calls. */
#ifndef SK_HTTP_H
#define SK_HTTP_H

#include <stddef.h>

#include "core/core.h" /* struct sk_group_job */
#include "util/version.h"

struct sk_errctx;
struct sk_vault;
struct sk_mail_config;

#define SK_MAX_TRUSTED_PROXIES 32
#define SK_MAX_CONNECTIONS 1000
#define SK_MAX_CLIENT_CONNECTIONS 64

/* The fields marked reloadable are atomics: serve's SIGHUP (the reload hook below, on the
 * main thread) writes them while the threads read them (docs/operations.md, "SIGHUP"). */
struct sk_server_config {
	const char *db;            /* store URI; each worker thread opens its own handle */
	struct sk_vault *vault;    /* shared; reloads its keys itself on a key rotation (vault.h) */
	const char *listen;        /* "127.0.0.1:8080", "[::1]:8080"; port 0 picks one */
	unsigned threads;          /* worker threads (epoll thread pool) */
	unsigned timeout;          /* seconds a client may stay silent */
	_Atomic double rate_limit; /* requests per second per key; 0: off (reloadable) */
	size_t max_body;           /* bytes */
	unsigned max_connections;  /* open connections in all, split among the threads by
				    * libmicrohttpd; 0: SK_MAX_CONNECTIONS */
	unsigned max_client_connections; /* per client address; 0: SK_MAX_CLIENT_CONNECTIONS */
	const char *const *trusted_proxies; /* --trusted-proxy prefixes ("10.0.0.0/8") */
	size_t ntrusted_proxies;   /* at most SK_MAX_TRUSTED_PROXIES */
	/* forms (docs/forms.md) */
	const struct sk_mail_config *mail; /* NULL: no mail, so no double opt-in */
	const char *public_url;    /* base of links in mails; NULL: http://LISTEN */
	int public_url_default;    /* public_url is http://LISTEN, not --public-url: then a
				    * request's own Host names our origin too */
	_Atomic double form_rate;  /* form posts per minute per IP; 0: off (reloadable) */
	_Atomic int confirm_days;  /* how long a confirmation link holds (reloadable) */
	_Atomic int pending_days;  /* unconfirmed consents expire after this; 0: never
				    * (reloadable) */
	int purge_daily;           /* run the purge (docs/rights.md) once a day */
	/* webhooks (docs/webhooks.md) */
	int allow_private_webhooks; /* targets on loopback and private networks are allowed */
	_Atomic int webhook_backoff; /* seconds before the first retry; 0: 5 (reloadable) */
	_Atomic long webhook_retry_for; /* seconds a change is retried; 0: 3 days (reloadable) */
	const char *webhook_proxy; /* proxy for deliveries; NULL: none (environment ignored) */
	/* group commit (docs/internals/group-commit.md) */
	unsigned write_queue;      /* API writes waiting for the writer; one more is 503; 0:
				    * SK_WRITE_QUEUE */
	/* several servers on one store (docs/internals/serve.md) */
	unsigned lease_seconds;    /* how long a webhook or mail lease holds; 0:
				    * SK_LEASE_SECONDS */
	/* the staff console's sessions (docs/console.md) */
	_Atomic unsigned console_idle_minutes;  /* a session unused this long ends; 0: 30
						 * (reloadable) */
	_Atomic unsigned console_session_hours; /* every session ends this long after sign-in;
						 * 0: 12 (reloadable) */
	/* the console's imports (docs/console.md, "Importing") */
	const char *import_dir;    /* the spool folder of staged uploads, job states, rejects
				    * and saved mappings; NULL: the console cannot import */
	/* operations (docs/operations.md) */
	_Atomic int log_format;    /* SK_LOG_TEXT (default) or SK_LOG_JSON: the access log
				    * and the server's own lines on stderr */
	const char *metrics_listen; /* HOST:PORT of a second listener serving only GET
				     * /metrics without a key; NULL: /metrics only on the main
				     * listener, for a key with the scope metrics */
	/* SIGHUP: called on the daemon's main thread after the policy reload is asked for;
	 * it re-reads the configuration file and writes the reloadable fields. NULL: none. */
	void (*reload)(void *arg);
	void *reload_arg;
};

enum { SK_LOG_TEXT = 0, SK_LOG_JSON = 1 };

#define SK_LEASE_SECONDS 30

#define SK_WRITE_QUEUE 256
#define SK_WRITE_QUEUE_MAX 65536

struct sk_core;
struct sk_http;

/* One API write handed to the daemon's writer (group commit): job runs on the writer's
 * thread and core, in the group's transaction; then done(w) is called on that thread with
 * job.rc set (0 only once the group's commit is durable). */
struct sk_http_write {
	struct sk_group_job job;
	void (*done)(struct sk_http_write *w);
	struct sk_http_write *next; /* the writer's queue */
};

/* What the daemon (src/serve) lends the HTTP adapter. */
struct sk_http_env {
	/* The calling thread's core (its own store connection); NULL with err set on failure. */
	struct sk_core *(*core)(struct sk_errctx *err);
	/* The rate limits (token buckets the daemon keeps): 0 when key may go on, else the
	 * seconds to wait; rate per second, 0: off. */
	int (*rate)(const char *key, double rate, double burst);
	/* Group commit: queues w for the writer. 0: done(w) will be called; SK_ERR_BUSY with a
	 * message in err when the queue is full or the writer is stopping (done is not called,
	 * nothing was run). NULL: writes run on the request's own thread. */
	int (*write)(struct sk_http_write *w, struct sk_errctx *err);
	/* Runs what the writer holds and stops it (sk_http_stop calls it before the adapter
	 * stops, so that no request waits on a writer that is gone); NULL: none. */
	void (*write_stop)(void);
};

/* Checks the options the adapter takes (listen address, trusted proxies, connection caps
 * against the open-file limit) without side effects: SK_ERR_USAGE names the option. */
int sk_http_check(const struct sk_server_config *cfg, struct sk_errctx *err);
/* Checks a --listen value alone (as sk_http_check does): SK_ERR_USAGE "--listen ...". */
int sk_http_listen_check(const char *listen, struct sk_errctx *err);
/* Listens (after sk_http_check) and prints "listening on http://HOST:PORT"; one
 * access-log line per request on stderr. cfg and env must outlive the server. */
int sk_http_start(const struct sk_server_config *cfg, const struct sk_http_env *env,
		  struct sk_http **out, struct sk_errctx *err);
/* Stops accepting, lets requests in flight finish (at most the timeout), stops; frees h. */
void sk_http_stop(struct sk_http *h);

/* libmicrohttpd, with the version it runs with (samtycke --version). */
void sk_http_versions(sk_version_fn *fn, void *arg);

#endif
