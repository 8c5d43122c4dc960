/* webhook.h: the webhook endpoint use cases (add, remove, status, list), the event names of
 * the change feed and subscription matching, the target rule for adding an endpoint, and
 * what the delivery threads of src/sync need from the store, named for what they do
 * (docs/internals/sync.md). */
#ifndef SK_CORE_WEBHOOK_H
#define SK_CORE_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "vault/vault.h"

#define SK_WEBHOOK_SECRET_MAX SK_WHSEC_MAX /* "whsec_" and base64 of 24 bytes (vault.h) */
#define SK_WEBHOOK_RETRY_AFTER_MAX 3600    /* the longest Retry-After honoured, seconds */
#define SK_WEBHOOK_BACKOFF_CAP 3600        /* the longest back-off between attempts */

/* ---- events ---- */

/* The event a change is sent as ("consent.withdrawn", "contact.erased" ...); NULL for a
 * change of a type that is not sent. */
const char *sk_webhook_event_name(const struct sk_change *ch);
/* Checks a comma-separated list of event names (or "all") and writes it, without spaces or
 * repeats, to out. SK_ERR_INVALID naming the first unknown name. */
int sk_webhook_events_parse(const char *list, char *out, size_t outlen, struct sk_errctx *err);
/* 1 when an endpoint subscribed to events (as stored) wants event. */
int sk_webhook_events_match(const char *events, const char *event);

/* The target rule for a new endpoint, checked without the network: http or https, and a host
 * that is an allowed address or a name (sk_net_url_check_offline; a name is not looked up:
 * delivery resolves and judges it before every attempt). 0, or SK_ERR_INVALID with a message
 * naming the rule broken. */
int sk_webhook_check_url(const char *url, int allow_private, struct sk_errctx *err);

/* ---- endpoints ---- */

/* A new endpoint: the secret is made here (vault.h), returned once in outsecret and stored
 * sealed. Its cursor starts at the newest change, so it receives what happens from now on. */
int sk_webhook_add(struct sk_core *c, const char *url, const char *events, const char *name,
		   int allow_private, char outid[SK_ID_LEN + 1],
		   char outsecret[SK_WEBHOOK_SECRET_MAX], struct sk_errctx *err);
/* SK_ERR_NOT_FOUND for an unknown id. */
int sk_webhook_remove(struct sk_core *c, const char *id, struct sk_errctx *err);
/* A new secret for endpoint id, made and sealed as add's, returned once in outsecret; the
 * old one signs nothing more (a delivery already under way finishes with it). Its delivery
 * state is untouched. SK_ERR_NOT_FOUND for an unknown id. */
int sk_webhook_rotate(struct sk_core *c, const char *id, char outsecret[SK_WEBHOOK_SECRET_MAX],
		      struct sk_errctx *err);
/* Stops deliveries to endpoint id (kept, with its state, to be seen or removed); a delivery
 * under way does not enable it again. SK_ERR_NOT_FOUND for an unknown id. */
int sk_webhook_disable(struct sk_core *c, const char *id, struct sk_errctx *err);

/* The delivery status of one endpoint. */
struct sk_webhook_info {
	char id[SK_ID_LEN + 1];
	char name[64];
	char url[1024];
	char events[512];          /* comma-separated event names, or "all" */
	int enabled;
	int64_t last_delivered_seq; /* the cursor */
	int64_t pending;           /* changes after the cursor that the endpoint wants */
	int64_t pending_oldest_at; /* when the oldest of them was made; 0: none pending */
	int last_status;           /* HTTP status of the last attempt; 0: none */
	char last_error[256];      /* "" when none */
	int64_t next_attempt_at;   /* 0: none (and always 0 when disabled) */
	int failures;
	int64_t failed_changes;    /* changes given up on */
	int64_t last_failed_seq;   /* 0: none */
	int64_t created_at;
	/* The server that delivers to it now, several servers on one store sharing the work
	 * (docs/internals/serve.md): the holder of its lease, "" when no lease is live. */
	char delivered_by[SK_LEASE_HOLDER_MAX];
	int64_t delivered_by_until; /* Unix seconds, rounded up: the lease's expiry */
};
/* One endpoint; SK_ERR_NOT_FOUND for an unknown id. */
int sk_webhook_get(struct sk_core *c, const char *id, struct sk_webhook_info *out,
		   struct sk_errctx *err);
/* Every endpoint, in one read snapshot; *out (freed with sk_free) holds *n. */
int sk_webhook_list(struct sk_core *c, struct sk_webhook_info **out, size_t *n,
		    struct sk_errctx *err);
/* The enabled endpoints only, each pending count read from at most the first LIMIT changes
 * after its cursor (so a lower bound when it is further behind): GET /metrics's bounded
 * read (sk_health). */
int sk_webhook_list_enabled(struct sk_core *c, long limit, struct sk_webhook_info **out,
			    size_t *n, struct sk_errctx *err);

/* ---- for the delivery threads (sync/delivery.c) ---- */

/* The ids of the enabled endpoints due at now. *ids (freed with sk_free, also after an
 * error: it holds what was read before it) holds *n. */
int sk_webhook_due(struct sk_core *c, int64_t now, char (**ids)[SK_ID_LEN + 1], size_t *n,
		   struct sk_errctx *err);

/* One endpoint being delivered to: its state as read, and its opened secret. */
struct sk_webhook_job {
	struct sk_webhook_rec ep; /* the secret fields are cleared */
	char *secret;             /* "whsec_..."; wiped and freed by sk_webhook_job_close */
	size_t secret_len;
	int64_t stored_cursor;    /* the cursor in the store as this job last read or wrote it */
};
/* Reads endpoint id and opens its secret. *ready is 1 when it is to be delivered to now;
 * 0 (and rc 0) when it is gone, disabled or not due at now. A secret that does not open is
 * an error naming the endpoint. */
int sk_webhook_job_open(struct sk_core *c, const char *id, int64_t now,
			struct sk_webhook_job *job, int *ready, struct sk_errctx *err);
void sk_webhook_job_close(struct sk_webhook_job *job);
/* The first change after the cursor that the endpoint wants (*found 1, in *out). Changes it
 * does not want are passed over: the cursor moves past them and is saved. */
int sk_webhook_job_next(struct sk_core *c, struct sk_webhook_job *job, struct sk_change *out,
			int *found, struct sk_errctx *err);
/* The outcome of an attempt at change seq made at attempt_at, saved: delivered (the cursor
 * moves to seq, failures are forgotten); 410 Gone (the endpoint is disabled); failed
 * (error: the fixed text of the failure). */
int sk_webhook_job_delivered(struct sk_core *c, struct sk_webhook_job *job, int64_t seq,
			     int64_t attempt_at, int status, struct sk_errctx *err);
int sk_webhook_job_gone(struct sk_core *c, struct sk_webhook_job *job, int64_t attempt_at,
			int status, const char *error, struct sk_errctx *err);
/* How failures back off: backoff seconds before the first retry, doubling, capped at
 * SK_WEBHOOK_BACKOFF_CAP; a change failing for retry_for seconds from its first failure is
 * given up. */
struct sk_webhook_retry {
	int backoff;      /* <= 0: 5 */
	int64_t retry_for;
};
/* A failed attempt, judged at now: the next attempt waits the back-off (at least
 * retry_after, when >= 0, capped at SK_WEBHOOK_RETRY_AFTER_MAX), or, after retry_for, the
 * change is given up: recorded (failed_changes, last_failed_seq, last_error) and skipped,
 * and *given_up is 1. */
int sk_webhook_job_failed(struct sk_core *c, struct sk_webhook_job *job, int64_t seq,
			  int64_t attempt_at, int64_t now, int status, const char *error,
			  int64_t retry_after, const struct sk_webhook_retry *retry, int *given_up,
			  struct sk_errctx *err);

#endif
