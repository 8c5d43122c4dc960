/* sync.h: keeping connected systems in step: webhook endpoints (add, list, status, remove),
 * the event names and payloads of the change feed, Standard Webhooks signatures, the check
 * that refuses private targets, and the delivery thread (docs/internals/sync.md). */
#ifndef SK_SYNC_H
#define SK_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

struct sockaddr;
struct sk_vault;

#define SK_WEBHOOK_SECRET_MAX 64 /* "whsec_" and base64 of 24 bytes, with room */
#define SK_WEBHOOK_SIG_MAX 64    /* "v1," and base64 of 32 bytes, with room */
#define SK_WEBHOOK_RESOLVE_MAX 1400 /* a CURLOPT_RESOLVE entry: host:port:addr,addr.. */

/* The event a change is sent as ("consent.withdrawn", "contact.erased" ...); NULL for a
 * change of a type that is not sent. */
const char *sk_webhook_event_name(const struct sk_change_rec *ch);
/* Checks a comma-separated list of event names (or "all") and writes it, without spaces or
 * repeats, to out. SK_ERR_INVALID naming the first unknown name. */
int sk_webhook_events_parse(const char *list, char *out, size_t outlen, struct sk_errctx *err);
/* 1 when an endpoint subscribed to events (as stored) wants event. */
int sk_webhook_events_match(const char *events, const char *event);

/* 1 when the address is loopback, private, link-local, unique-local or unspecified (IPv4,
 * IPv6, and IPv4 mapped into IPv6). */
int sk_webhook_addr_private(const struct sockaddr *sa);
/* Checks a target URL: http or https, a host that resolves, and unless allow_private no
 * address of it private. resolve (may be NULL) gets "host:port:addr,addr" for
 * CURLOPT_RESOLVE, so that the request goes to the addresses checked. SK_ERR_INVALID with a
 * message naming the rule broken. */
int sk_webhook_check_url(const char *url, int allow_private, char *resolve, size_t resolvelen,
			 struct sk_errctx *err);

/* Standard Webhooks: "v1," base64(HMAC-SHA256(secret bytes, id "." timestamp "." body)),
 * secret being "whsec_" and base64. SK_ERR_INVALID for a malformed secret. */
int sk_webhook_sign(const char *secret, const char *msg_id, int64_t timestamp, const char *body,
		    size_t len, char out[SK_WEBHOOK_SIG_MAX]);
/* The JSON body sent for a change (ids only); *out is allocated with sk_malloc. */
int sk_webhook_payload(const struct sk_change_rec *ch, char **out, size_t *outlen);

/* A new endpoint: the secret is made here, returned once in outsecret and stored sealed.
 * Its cursor starts at the newest change, so it receives what happens from now on. */
int sk_webhook_add(struct sk_core *c, const char *url, const char *events, const char *name,
		   int allow_private, char outid[SK_ID_LEN + 1],
		   char outsecret[SK_WEBHOOK_SECRET_MAX], struct sk_errctx *err);
int sk_webhook_remove(struct sk_core *c, const char *id, struct sk_errctx *err);
/* {"id","name","url","events","enabled","last_delivered_seq","pending","last_status",
 * "last_error","next_attempt_at","failures","failed_changes","last_failed_seq",
 * "created_at"}: one endpoint (id) or, with id NULL, {"webhooks":[..]} of all. */
int sk_webhook_status(struct sk_core *c, const char *id, struct json_t **out,
		      struct sk_errctx *err);

/* ---- delivery (sync/delivery.c) ---- */
struct sk_delivery_config {
	const char *db;          /* the thread opens its own connection */
	struct sk_vault *vault;  /* shared, read-only */
	int allow_private;       /* deliver to private addresses (tests, internal networks) */
	int backoff;             /* seconds before the first retry; doubles, capped at 1 h */
	int64_t retry_for;       /* seconds from a change's first failure until it is given up */
	long timeout_ms;         /* per request */
	long poll_ms;            /* how often the feed is read */
	/* When set, polled during a request: nonzero abandons it (the server is stopping); the
	 * change is then tried again later, as after any failure. */
	int (*stopping)(void *arg);
	void *stopping_arg;
};
struct sk_delivery;
/* Starts the delivery thread. */
int sk_delivery_start(const struct sk_delivery_config *cfg, struct sk_delivery **out,
		      struct sk_errctx *err);
/* Stops it (an attempt in flight finishes or times out) and frees d; NULL is a no-op. */
void sk_delivery_stop(struct sk_delivery *d);
/* One pass over every endpoint: delivers what is due, in seq order, at most max changes per
 * endpoint. *nsent (may be NULL) gets the number of requests made. */
int sk_delivery_pass(struct sk_core *c, const struct sk_delivery_config *cfg, int max,
		     int *nsent, struct sk_errctx *err);

#endif
