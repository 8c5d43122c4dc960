/* sync.h: keeping connected systems in step: the payloads of the change feed, Standard
 * Webhooks signatures, the check before each delivery that refuses private and
 * special-purpose targets, the delivery threads, and the JSON of an endpoint's status
 * (docs/internals/sync.md). The endpoints themselves are core/webhook.h. */
#ifndef SK_SYNC_H
#define SK_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "core/webhook.h"
#include "render/render.h" /* sk_json_time for payloads and the status */
#include "util/net.h"
#include "vault/vault.h"

struct sk_vault;

#define SK_WEBHOOK_SIG_MAX SK_WHSIG_MAX       /* "v1," and base64 of 32 bytes (vault.h) */
#define SK_WEBHOOK_RESOLVE_MAX SK_NET_RESOLVE_MAX /* a CURLOPT_RESOLVE entry (util/net.h) */

/* Why a delivery attempt failed: the fixed text that last_error gets. No text names an
 * address, a host, a resolver's answer or curl's own words, so that the status of an
 * endpoint tells nothing about the network inside. */
#define SK_WEBHOOK_FAIL_MAP(X)                                                            \
	X(OK, "")                                                                         \
	X(BAD_URL, "the URL is not an absolute http or https URL")                         \
	X(BAD_SCHEME, "the URL is not an http or https URL")                               \
	X(RESOLVE, "the host name did not resolve")                                        \
	X(ADDR_PRIVATE, "refused: the host resolves to an address that webhooks may not reach") \
	X(ADDR_NEVER, "refused: the host resolves to an address that webhooks may not reach") \
	X(TIMEOUT, "timed out: no answer in time")                                          \
	X(CONN_REFUSED, "connection refused")                                               \
	X(CONNECT, "could not connect")                                                     \
	X(TLS, "TLS failed: handshake or certificate not accepted")                         \
	X(NETWORK, "the connection failed while sending or receiving")                     \
	X(PROXY, "the configured proxy failed")                                             \
	X(HTTP, "answered HTTP N")                                                          \
	X(GONE, "answered 410 Gone: endpoint disabled")                                     \
	X(NOMEM, "out of memory")                                                           \
	X(OTHER, "the request failed")
enum sk_webhook_fail {
#define SK__WH_ENUM(sfx, text) SK_WH_##sfx,
	SK_WEBHOOK_FAIL_MAP(SK__WH_ENUM)
#undef SK__WH_ENUM
};
/* The text for a failure (status: the HTTP status, for SK_WH_HTTP). */
void sk_webhook_fail_text(enum sk_webhook_fail fail, int status, char *out, size_t outlen);

/* Checks a target URL before an attempt: http or https (as curl reads the URL, which is what
 * the request goes to), a host that resolves, and every address of it allowed
 * (sk_net_host_check). resolve (may be NULL) gets "host:port:addr,addr" for
 * CURLOPT_RESOLVE, so that the request goes to the addresses checked. 0, or SK_ERR_INVALID
 * with *outfail saying why. */
int sk_webhook_resolve(const char *url, int allow_private, char *resolve, size_t resolvelen,
		       enum sk_webhook_fail *outfail);

/* Retry-After of a 429 or 503 answer: delay-seconds or an HTTP date (relative to now), as
 * seconds from now, capped at SK_WEBHOOK_RETRY_AFTER_MAX (core/webhook.h); -1 when
 * malformed. */
int64_t sk_webhook_retry_after(const char *value, int64_t now);

/* Standard Webhooks: "v1," base64(HMAC-SHA256(secret bytes, id "." timestamp "." body)),
 * secret being "whsec_" and base64. SK_ERR_INVALID for a malformed secret. */
int sk_webhook_sign(const char *secret, const char *msg_id, int64_t timestamp, const char *body,
		    size_t len, char out[SK_WEBHOOK_SIG_MAX]);
/* The JSON body sent for a change (ids only); *out is allocated with sk_malloc. */
int sk_webhook_payload(const struct sk_change *ch, char **out, size_t *outlen);

/* ---- delivery (sync/delivery.c) ---- */
#define SK_DELIVERY_WORKERS 8      /* endpoints served at once, by default */
#define SK_DELIVERY_WORKERS_MAX 64
struct sk_delivery_config {
	const char *db;          /* store URI; each thread opens its own handle */
	struct sk_vault *vault;  /* shared; reloads its keys itself (vault.h) */
	int allow_private;       /* deliver to private addresses (tests, internal networks) */
	_Atomic int backoff;     /* seconds before the first retry; doubles, capped at 1 h */
	_Atomic int64_t retry_for; /* seconds from a change's first failure until it is given
				    * up (both atomic: sk_delivery_set_retry) */
	long timeout_ms;         /* per request */
	long poll_ms;            /* how often the feed is read */
	/* When set, polled during a request: nonzero abandons it (the server is stopping); the
	 * change is then tried again later, as after any failure. */
	int (*stopping)(void *arg);
	void *stopping_arg;
	/* The proxy for deliveries (http://, https://, socks5:// or socks5h://); NULL: none,
	 * whatever http_proxy, https_proxy or all_proxy in the environment say. */
	const char *proxy;
	int workers;             /* endpoints delivered to at once; 0: SK_DELIVERY_WORKERS */
	/* Several servers on one store (docs/internals/serve.md): each endpoint is delivered
	 * to by the holder of the lease "webhook:<id>" alone. lease_holder is this server's
	 * id; NULL: no leases (one process alone). lease_ms: how long a lease holds. */
	const char *lease_holder;
	long lease_ms;
};
struct sk_delivery;
/* Starts the delivery threads: one that finds the endpoints due, and a pool of workers
 * that each deliver to one endpoint at a time, so that a slow or dead endpoint holds up
 * one worker, not the others. */
int sk_delivery_start(const struct sk_delivery_config *cfg, struct sk_delivery **out,
		      struct sk_errctx *err);
/* Stops them (a request in flight is abandoned) and frees d; NULL is a no-op. */
void sk_delivery_stop(struct sk_delivery *d);
/* Wakes the dispatcher now instead of at its next poll (arg: the struct sk_delivery): the
 * change hook of this process's core (sk_core_set_change_hook), so that a change committed
 * here reaches the receivers without waiting for poll_ms. */
void sk_delivery_wake(void *arg);
/* Changes a running delivery's retry schedule (serve's SIGHUP): each failure from now on is
 * planned with it. */
void sk_delivery_set_retry(struct sk_delivery *d, int backoff, int64_t retry_for);
/* One pass over every endpoint, one after another in this thread: delivers what is due, in
 * seq order, at most max changes per endpoint. *nsent (may be NULL) gets the number of
 * requests made. */
int sk_delivery_pass(struct sk_core *c, const struct sk_delivery_config *cfg, int max,
		     int *nsent, struct sk_errctx *err);
/* Checks a --webhook-proxy URL: SK_ERR_INVALID naming what is wrong. */
int sk_delivery_proxy_check(const char *proxy, struct sk_errctx *err);

#endif
