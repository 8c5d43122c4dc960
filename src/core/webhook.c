/* webhook.c: the webhook endpoint use cases: add (target rule, secret sealed through the
 * vault, cursor at the newest change), remove, status and list; the event names of the
 * change feed and subscription matching; and the store work of the delivery threads
 * (endpoints due, the next change an endpoint wants, the outcome of an attempt, back-off
 * and giving up). The HTTP requests themselves are src/sync/delivery.c. */
#include "core/webhook.h"

#include <stdio.h>
#include <string.h>

#include "core/core_int.h"
#include "util/mem.h"
#include "util/net.h"
#include "util/sktime.h"
#include "util/str.h"
#include "vault/vault.h"

#define SCAN_BATCH 256
#define FOUND (-1)

/* ---- events ---- */

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

/* ---- the target rule ---- */

int sk_webhook_check_url(const char *url, int allow_private, struct sk_errctx *err)
{
	switch (sk_net_url_check_offline(url, allow_private)) {
	case SK_NET_OK: return 0;
	case SK_NET_NOMEM: return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	case SK_NET_BAD_SCHEME:
		return sk_errf(err, SK_ERR_INVALID, "url: only http and https URLs are accepted");
	case SK_NET_ADDR_PRIVATE:
		return sk_errf(err, SK_ERR_INVALID, "url: a loopback, private or shared (CGNAT) "
			       "address: add it with webhook add --allow-private, or over HTTP to a "
			       "server started with serve --allow-private-webhooks; either way it is "
			       "delivered to only by a server started with --allow-private-webhooks");
	case SK_NET_ADDR_NEVER:
		return sk_errf(err, SK_ERR_INVALID, "url: a link-local, cloud metadata, multicast, "
			       "documentation or other special-purpose address, which webhooks never "
			       "reach, not even with --allow-private");
	default: return sk_errf(err, SK_ERR_INVALID, "url: not an absolute http or https URL");
	}
}

/* ---- endpoints ---- */

/* The associated data of a sealed secret: "webhook/<id>". */
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

	if (!url || (rc = sk_webhook_check_url(url, allow_private, err)))
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
	if ((rc = sk__core_begin(c, err)))
		goto out;
	if (!(rc = sk__seal_system(c, ad, secret, strlen(secret), &sealed, &sealed_len, err))) {
		w.secret = sealed;
		w.secret_len = sealed_len;
		if ((rc = sk_store_change_last(c->store, &w.cursor)) ||
		    (rc = sk_store_webhook_put(c->store, &w)))
			rc = sk_errf(err, rc, "cannot store the webhook endpoint");
	}
	if ((rc = sk__core_end(c, rc, err)))
		goto out;
	memcpy(outid, w.id, SK_ID_LEN + 1);
	memcpy(outsecret, secret, SK_WEBHOOK_SECRET_MAX);
out:
	sk_vault_wipe(secret, sizeof(secret));
	sk_free(sealed);
	return rc;
}

int sk_webhook_remove(struct sk_core *c, const char *id, struct sk_errctx *err)
{
	int rc = sk_store_webhook_delete(c->store, id);
	if (rc == SK_ERR_NOT_FOUND)
		return sk_errf(err, rc, "no webhook endpoint with that id");
	return rc ? sk_errf(err, rc, "cannot remove the webhook endpoint") : 0;
}

int sk_webhook_rotate(struct sk_core *c, const char *id, char outsecret[SK_WEBHOOK_SECRET_MAX],
		      struct sk_errctx *err)
{
	uint8_t *sealed = NULL;
	char secret[SK_WEBHOOK_SECRET_MAX], ad[SK_ID_LEN + 16];
	size_t sealed_len = 0;
	int rc;

	if (!id || strlen(id) > SK_ID_LEN)
		return sk_errf(err, SK_ERR_NOT_FOUND, "no webhook endpoint with that id");
	if ((rc = sk_vault_whsec_new(secret)))
		return sk_errf(err, rc, "cannot make a webhook secret");
	secret_ad(id, ad);
	if ((rc = sk__core_begin(c, err)))
		goto out;
	if (!(rc = sk__seal_system(c, ad, secret, strlen(secret), &sealed, &sealed_len, err))) {
		rc = sk_store_webhook_secret_set(c->store, id, sealed, sealed_len);
		if (rc == SK_ERR_NOT_FOUND)
			rc = sk_errf(err, rc, "no webhook endpoint with that id");
		else if (rc)
			rc = sk_errf(err, rc, "cannot store the webhook secret");
	}
	if (!(rc = sk__core_end(c, rc, err)))
		memcpy(outsecret, secret, SK_WEBHOOK_SECRET_MAX);
out:
	sk_vault_wipe(secret, sizeof(secret));
	sk_free(sealed);
	return rc;
}

int sk_webhook_disable(struct sk_core *c, const char *id, struct sk_errctx *err)
{
	struct sk_webhook_rec w;
	int rc;
	if (!id || strlen(id) > SK_ID_LEN)
		return sk_errf(err, SK_ERR_NOT_FOUND, "no webhook endpoint with that id");
	if ((rc = sk__core_begin(c, err)))
		return rc;
	rc = sk_store_webhook_get(c->store, id, &w);
	if (rc == SK_ERR_NOT_FOUND) {
		rc = sk_errf(err, rc, "no webhook endpoint with that id");
	} else if (rc) {
		rc = sk_errf(err, rc, "cannot read the webhook endpoint");
	} else {
		w.enabled = 0;
		w.next_attempt_at = 0;
		if ((rc = sk_store_webhook_state(c->store, &w)))
			rc = sk_errf(err, rc, "cannot disable the webhook endpoint");
	}
	return sk__core_end(c, rc, err);
}

struct counter {
	const char *events;
	int64_t n;
	int64_t oldest; /* at of the first change counted (the feed is in seq order); 0: none */
};

/* A walk of the change feed failed: a word outside its list is named by its column. */
static int feed_err(struct sk_errctx *err, int rc, const struct sk__relay *x)
{
	if (rc == SK_ERR_CORRUPT && x->where)
		return sk__corrupt_word(err, "reading the change feed", x->where);
	return sk_errf(err, rc, "cannot read the change feed");
}

static int count_pending(void *arg, const struct sk_change *ch)
{
	struct counter *k = arg;
	if (sk_webhook_events_match(k->events, sk_webhook_event_name(ch)) && !k->n++)
		k->oldest = ch->at;
	return 0;
}

/* The status of one endpoint; the pending count reads the feed after its cursor: all of it,
 * or the first LIMIT changes (LIMIT >= 0). */
static int info_fill(struct sk_core *c, const struct sk_webhook_rec *w, long limit,
		     struct sk_webhook_info *out, struct sk_errctx *err)
{
	struct counter k = {w->events, 0, 0};
	int rc;
	struct sk__relay x = {.change = count_pending, .arg = &k};
	if ((rc = sk_store_change_each(c->store, w->cursor, limit, sk__relay_change, &x)))
		return feed_err(err, rc, &x);
	memset(out, 0, sizeof(*out));
	memcpy(out->id, w->id, sizeof(out->id));
	sk_strlcpy(out->name, w->name, sizeof(out->name));
	sk_strlcpy(out->url, w->url, sizeof(out->url));
	sk_strlcpy(out->events, w->events, sizeof(out->events));
	out->enabled = w->enabled;
	out->last_delivered_seq = w->cursor;
	out->pending = k.n;
	out->pending_oldest_at = k.oldest;
	out->last_status = w->last_status;
	sk_strlcpy(out->last_error, w->last_error, sizeof(out->last_error));
	out->next_attempt_at = w->enabled ? w->next_attempt_at : 0;
	out->failures = w->failures;
	out->failed_changes = w->nfailed;
	out->last_failed_seq = w->last_failed_seq;
	out->created_at = w->created_at;
	/* the lease of the server delivering to it, if live (sync/delivery.c takes it) */
	char name[16 + SK_ID_LEN];
	int64_t until = 0;
	snprintf(name, sizeof(name), "webhook:%s", w->id);
	rc = sk_store_lease_get(c->store, name, out->delivered_by, &until);
	if (rc && rc != SK_ERR_NOT_FOUND)
		return sk__store_err(err, rc, "reading the delivery lease");
	if (rc || until <= sk_time_now_ms()) {
		out->delivered_by[0] = '\0';
		until = 0;
	}
	out->delivered_by_until = (until + 999) / 1000;
	return 0;
}

int sk_webhook_get(struct sk_core *c, const char *id, struct sk_webhook_info *out,
		   struct sk_errctx *err)
{
	struct sk_webhook_rec w;
	int rc;
	if ((rc = sk_core_read_begin(c, err)))
		return rc;
	rc = sk_store_webhook_get(c->store, id, &w);
	if (rc == SK_ERR_NOT_FOUND)
		rc = sk_errf(err, rc, "no webhook endpoint with that id");
	else if (rc)
		rc = sk_errf(err, rc, "cannot read the webhook endpoint");
	else
		rc = info_fill(c, &w, -1, out, err);
	sk_core_read_end(c);
	return rc;
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

/* sk_webhook_list (LIMIT < 0: every endpoint, every pending change counted) and
 * sk_webhook_list_enabled (LIMIT >= 0). */
static int list(struct sk_core *c, long limit, struct sk_webhook_info **out, size_t *n,
		struct sk_errctx *err)
{
	struct lister l = {0};
	struct sk_webhook_info *all = NULL;
	size_t m = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = sk_core_read_begin(c, err)))
		return rc;
	if ((rc = sk_store_webhook_each(c->store, collect, &l))) {
		rc = sk_errf(err, rc, "cannot read the webhook endpoints");
		goto out;
	}
	if (l.n && !(all = sk_calloc(l.n, sizeof(*all)))) {
		rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < l.n && !rc; i++)
		if (limit < 0 || l.recs[i].enabled)
			rc = info_fill(c, &l.recs[i], limit, &all[m++], err);
	if (!rc) {
		*out = all;
		*n = m;
		all = NULL;
	}
out:
	sk_free(all);
	sk_free(l.recs);
	sk_core_read_end(c);
	return rc;
}

int sk_webhook_list(struct sk_core *c, struct sk_webhook_info **out, size_t *n,
		    struct sk_errctx *err)
{
	return list(c, -1, out, n, err);
}

int sk_webhook_list_enabled(struct sk_core *c, long limit, struct sk_webhook_info **out,
			    size_t *n, struct sk_errctx *err)
{
	return list(c, limit < 0 ? 0 : limit, out, n, err);
}

/* ---- for the delivery threads ---- */

struct ids {
	char (*id)[SK_ID_LEN + 1];
	size_t n, cap;
	int64_t now;
};

static int due(void *arg, const struct sk_webhook_rec *w)
{
	struct ids *l = arg;
	if (!w->enabled || w->next_attempt_at > l->now)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		void *p = sk_realloc(l->id, cap * sizeof(*l->id));
		if (!p)
			return SK_ERR_NOMEM;
		l->id = p;
		l->cap = cap;
	}
	memcpy(l->id[l->n++], w->id, SK_ID_LEN + 1);
	return 0;
}

int sk_webhook_due(struct sk_core *c, int64_t now, char (**ids)[SK_ID_LEN + 1], size_t *n,
		   struct sk_errctx *err)
{
	struct ids l = {.now = now};
	int rc = sk_store_webhook_each(c->store, due, &l);
	*ids = l.id;
	*n = l.n;
	return rc ? sk_errf(err, rc, "cannot read the webhook endpoints") : 0;
}

int sk_webhook_job_open(struct sk_core *c, const char *id, int64_t now,
			struct sk_webhook_job *job, int *ready, struct sk_errctx *err)
{
	char ad[SK_ID_LEN + 16];
	int rc;

	memset(job, 0, sizeof(*job));
	*ready = 0;
	if ((rc = sk_store_webhook_get(c->store, id, &job->ep)))
		return rc == SK_ERR_NOT_FOUND ? 0 : sk_errf(err, rc, "cannot read a webhook endpoint");
	job->stored_cursor = job->ep.cursor;
	if (!job->ep.enabled || job->ep.next_attempt_at > now) {
		job->ep.secret = NULL;
		job->ep.secret_len = 0;
		return 0;
	}
	secret_ad(job->ep.id, ad);
	rc = sk_vault_unseal_system(c->vault, ad, job->ep.secret, job->ep.secret_len, &job->secret,
				    &job->secret_len);
	if (rc && sk__key_retry(c)) /* a rotation elsewhere: the vault reloaded */
		rc = sk_vault_unseal_system(c->vault, ad, job->ep.secret, job->ep.secret_len,
					    &job->secret, &job->secret_len);
	job->ep.secret = NULL; /* not valid past the next store call */
	job->ep.secret_len = 0;
	if (rc) {
		job->secret = NULL;
		job->secret_len = 0;
		return sk_errf(err, rc, "cannot open the secret of webhook %s", job->ep.id);
	}
	*ready = 1;
	return 0;
}

void sk_webhook_job_close(struct sk_webhook_job *job)
{
	if (job->secret)
		sk_vault_wipe(job->secret, job->secret_len);
	sk_free(job->secret);
	job->secret = NULL;
	job->secret_len = 0;
}

struct scan {
	struct sk_core *c;
	const char *events;
	int64_t last;             /* the last seq looked at */
	struct sk_change hit;     /* the first that matches */
	int rc;                   /* a failure of the score's checks */
};

/* A score change is sent only when sales_followup is allowed for the person at delivery,
 * with the stored score (docs/scoring.md); otherwise it is skipped. *send 0 or 1. A
 * failure to ask is an error, so the change is tried again rather than skipped or sent. */
static int score_send(struct sk_core *c, struct sk_change *ch, int *send)
{
	struct sk_gate_result g;
	struct sk_score_rec rec;
	int rc = sk__gate_contact(c, ch->contact_id, SK_PURPOSE_SALES_FOLLOWUP, sk_time_now(),
				  &g, NULL);
	*send = 0;
	if (rc == SK_ERR_NOT_FOUND)
		return 0; /* erased since */
	if (rc)
		return rc;
	if (!g.allowed) /* no sales_followup: skipped */
		return 0;
	if (g.reason == SK_RSN_ERROR)
		return SK_ERR_STORAGE;
	/* lead_scoring must still be allowed too (it may have lapsed by validity, no event) */
	if ((rc = sk__gate_contact(c, ch->contact_id, SK_PURPOSE_LEAD_SCORING, sk_time_now(), &g,
				   NULL)))
		return rc == SK_ERR_NOT_FOUND ? 0 : rc;
	if (g.reason == SK_RSN_ERROR)
		return SK_ERR_STORAGE;
	if (!g.allowed) /* lead_scoring lapsed: skipped */
		return 0;
	rc = sk_store_score_get(c->store, ch->contact_id, &rec);
	if (rc == SK_ERR_NOT_FOUND)
		return 0; /* lead_scoring ended since: no score to send */
	if (rc)
		return rc;
	ch->score = rec.score;
	*send = 1;
	return 0;
}

static int scan_change(void *arg, const struct sk_change *ch)
{
	struct scan *s = arg;
	if (sk_webhook_events_match(s->events, sk_webhook_event_name(ch))) {
		struct sk_change hit = *ch;
		int send = 1;
		if (ch->type == SK_CHG_SCORE && (s->rc = score_send(s->c, &hit, &send)))
			return FOUND; /* stops the walk before this change: s->last stays */
		s->last = ch->seq;
		if (send) {
			s->hit = hit;
			return FOUND;
		}
		return 0;
	}
	s->last = ch->seq;
	return 0;
}

static int save(struct sk_core *c, struct sk_webhook_job *job, struct sk_errctx *err);

int sk_webhook_job_next(struct sk_core *c, struct sk_webhook_job *job, struct sk_change *out,
			int *found, struct sk_errctx *err)
{
	struct sk_webhook_rec *w = &job->ep;
	*found = 0;
	for (;;) {
		struct scan s = {c, w->events, w->cursor, {0}, 0};
		struct sk__relay x = {.change = scan_change, .arg = &s};
		int rc = sk_store_change_each(c->store, w->cursor, SCAN_BATCH, sk__relay_change, &x);
		if (rc == FOUND && s.rc) {
			/* the score's checks failed: what was skipped before it is passed over */
			if (s.last != w->cursor) {
				w->cursor = s.last;
				(void)save(c, job, err);
			}
			return sk_errf(err, s.rc, "cannot check sales_followup for a score change");
		}
		if (rc == FOUND) {
			*out = s.hit;
			*found = 1;
			return 0;
		}
		if (rc)
			return feed_err(err, rc, &x);
		if (s.last == w->cursor)
			return 0;
		/* Nothing for this endpoint: move past what it does not want. */
		w->cursor = s.last;
		if ((rc = save(c, job, err)))
			return rc;
	}
}

/* Writes the job's endpoint state, only while the stored cursor is still the one this job
 * last read or wrote: another server that held the endpoint's lease meanwhile (this one
 * stalled past it, then took it again) may have moved it on, disabled the endpoint or
 * counted failures, and a stale record written over that would send changes again or
 * enable what a 410 disabled. Then SK_ERR_BUSY and nothing is written; the caller stops and
 * a later pass starts from the stored state. The caller holds the lease, so no other server
 * writes between the read and the write. */
static int save(struct sk_core *c, struct sk_webhook_job *job, struct sk_errctx *err)
{
	struct sk_webhook_rec now;
	int rc = sk_store_webhook_get(c->store, job->ep.id, &now);
	if (rc == SK_ERR_NOT_FOUND)
		return 0; /* deleted meanwhile: nothing to keep */
	if (rc)
		return sk_errf(err, rc, "cannot read the state of webhook %s", job->ep.id);
	if (now.cursor != job->stored_cursor)
		return sk_errf(err, SK_ERR_BUSY, "webhook %s was served by another server meanwhile; "
			       "it goes on from the stored cursor", job->ep.id);
	/* disabled meanwhile (from the console, sk_webhook_disable): it stays disabled */
	if (!now.enabled)
		job->ep.enabled = 0;
	if ((rc = sk_store_webhook_state(c->store, &job->ep)))
		return sk_errf(err, rc, "cannot save the state of webhook %s", job->ep.id);
	job->stored_cursor = job->ep.cursor;
	return 0;
}

int sk_webhook_job_delivered(struct sk_core *c, struct sk_webhook_job *job, int64_t seq,
			     int64_t attempt_at, int status, struct sk_errctx *err)
{
	struct sk_webhook_rec *w = &job->ep;
	w->last_attempt_at = attempt_at;
	w->last_status = status;
	w->last_error[0] = '\0';
	w->cursor = seq;
	w->failures = 0;
	w->first_failure_at = 0;
	w->next_attempt_at = 0;
	return save(c, job, err);
}

int sk_webhook_job_gone(struct sk_core *c, struct sk_webhook_job *job, int64_t attempt_at,
			int status, const char *error, struct sk_errctx *err)
{
	struct sk_webhook_rec *w = &job->ep;
	w->last_attempt_at = attempt_at;
	w->last_status = status;
	sk_strlcpy(w->last_error, error, sizeof(w->last_error));
	w->enabled = 0;
	return save(c, job, err);
}

int sk_webhook_job_failed(struct sk_core *c, struct sk_webhook_job *job, int64_t seq,
			  int64_t attempt_at, int64_t now, int status, const char *error,
			  int64_t retry_after, const struct sk_webhook_retry *retry, int *given_up,
			  struct sk_errctx *err)
{
	struct sk_webhook_rec *w = &job->ep;
	w->last_attempt_at = attempt_at;
	w->last_status = status;
	sk_strlcpy(w->last_error, error, sizeof(w->last_error));
	*given_up = 0;
	if (!w->first_failure_at)
		w->first_failure_at = now;
	w->failures++;
	if (now - w->first_failure_at >= retry->retry_for) {
		/* Given up: recorded and skipped, so that one bad change cannot stop the rest. */
		w->cursor = seq;
		w->nfailed++;
		w->last_failed_seq = seq;
		char e[sizeof(w->last_error) + 64];
		snprintf(e, sizeof(e), "change %lld given up after %d attempts: %.180s",
			 (long long)seq, w->failures, w->last_error);
		sk_strlcpy(w->last_error, e, sizeof(w->last_error));
		w->failures = 0;
		w->first_failure_at = 0;
		w->next_attempt_at = 0;
		*given_up = 1;
		return save(c, job, err);
	}
	int64_t wait = retry->backoff > 0 ? retry->backoff : 5;
	for (int i = 1; i < w->failures && wait < SK_WEBHOOK_BACKOFF_CAP; i++)
		wait *= 2;
	if (wait > SK_WEBHOOK_BACKOFF_CAP)
		wait = SK_WEBHOOK_BACKOFF_CAP;
	/* A 429 or 503 with Retry-After: at least that long (capped at an hour). The give-up
	 * clock runs from the first failure whatever the waits, so it comes no sooner. */
	if (retry_after > wait)
		wait = retry_after > SK_WEBHOOK_RETRY_AFTER_MAX ? SK_WEBHOOK_RETRY_AFTER_MAX
								 : retry_after;
	w->next_attempt_at = now + wait;
	return save(c, job, err);
}
