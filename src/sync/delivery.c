/* delivery.c: the webhook delivery thread. Each endpoint keeps a cursor into the change feed;
 * the next matching change is POSTed, signed, and the cursor moves only after a 2xx, so
 * delivery is at least once and in seq order. Failures back off; see docs/internals/sync.md. */
#include "sync/sync.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "util/mem.h"
#include "util/sktime.h"
#include "util/str.h"
#include "vault/vault.h"

#define SCAN_BATCH 256
#define BACKOFF_CAP 3600
#define FOUND (-1)

struct sk_delivery {
	struct sk_delivery_config cfg;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stopping;
};

/* ---- finding the next change for an endpoint ---- */

struct scan {
	const char *events;
	int64_t last;             /* the last seq looked at */
	struct sk_change_rec hit; /* the first that matches */
};

static int scan_change(void *arg, const struct sk_change_rec *ch)
{
	struct scan *s = arg;
	s->last = ch->seq;
	if (sk_webhook_events_match(s->events, sk_webhook_event_name(ch))) {
		s->hit = *ch;
		return FOUND;
	}
	return 0;
}

/* ---- one request ---- */

static int progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		    curl_off_t ulnow)
{
	const struct sk_delivery_config *cfg = arg;
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return cfg->stopping(cfg->stopping_arg) ? 1 : 0;
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* POSTs body; *status gets the HTTP status (0 when there was no answer) and error a
 * description of a failure. */
static void post(const struct sk_delivery_config *cfg, const struct sk_webhook_rec *w,
		 const char *resolve, const char *msg_id, int64_t ts, const char *sig,
		 const char *body, size_t len, int *status, char *error, size_t errlen)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = NULL, *res = NULL, *t;
	char line[160];
	long code = 0;
	CURLcode cc;

	*status = 0;
	error[0] = '\0';
	if (!h) {
		sk_strlcpy(error, "out of memory", errlen);
		return;
	}
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	snprintf(line, sizeof(line), "webhook-id: %s", msg_id);
	if (hdr && (t = curl_slist_append(hdr, line)))
		hdr = t;
	snprintf(line, sizeof(line), "webhook-timestamp: %lld", (long long)ts);
	if (hdr && (t = curl_slist_append(hdr, line)))
		hdr = t;
	snprintf(line, sizeof(line), "webhook-signature: %s", sig);
	if (hdr && (t = curl_slist_append(hdr, line)))
		hdr = t;
	if (resolve[0])
		res = curl_slist_append(NULL, resolve);
	curl_easy_setopt(h, CURLOPT_URL, w->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, cfg->timeout_ms > 0 ? cfg->timeout_ms : 10000L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "samtycke/" SK_VERSION);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	if (res)
		curl_easy_setopt(h, CURLOPT_RESOLVE, res);
	if (cfg->stopping) {
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)cfg);
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	}
	cc = curl_easy_perform(h);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		*status = (int)code;
		if (code < 200 || code > 299)
			snprintf(error, errlen, "answered HTTP %ld", code);
	} else {
		snprintf(error, errlen, "%s", curl_easy_strerror(cc));
	}
	curl_slist_free_all(hdr);
	curl_slist_free_all(res);
	curl_easy_cleanup(h);
}

/* ---- one endpoint ---- */

/* The state after a failed attempt at change seq. */
static void failed(const struct sk_delivery_config *cfg, struct sk_webhook_rec *w, int64_t seq,
		   int64_t now)
{
	if (!w->first_failure_at)
		w->first_failure_at = now;
	w->failures++;
	if (now - w->first_failure_at >= cfg->retry_for) {
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
		return;
	}
	int64_t wait = cfg->backoff > 0 ? cfg->backoff : 5;
	for (int i = 1; i < w->failures && wait < BACKOFF_CAP; i++)
		wait *= 2;
	if (wait > BACKOFF_CAP)
		wait = BACKOFF_CAP;
	w->next_attempt_at = now + wait;
}

/* Delivers up to max changes to endpoint id; *nsent counts the requests made. */
static int deliver_endpoint(struct sk_core *c, const struct sk_delivery_config *cfg,
			    const char *id, int max, int *nsent, struct sk_errctx *err)
{
	struct sk_webhook_rec w;
	char ad[SK_ID_LEN + 16], *secret = NULL, *body = NULL;
	size_t slen = 0, blen = 0;
	int rc;

	if ((rc = sk_store_webhook_get(c->store, id, &w)))
		return rc == SK_ERR_NOT_FOUND ? 0 : sk_errf(err, rc, "cannot read a webhook endpoint");
	if (!w.enabled || w.next_attempt_at > sk_time_now())
		return 0;
	snprintf(ad, sizeof(ad), "webhook/%s", w.id);
	if ((rc = sk_vault_unseal_system(c->vault, ad, w.secret, w.secret_len, &secret, &slen)))
		return sk_errf(err, rc, "cannot open the secret of webhook %s", w.id);
	w.secret = NULL;
	w.secret_len = 0;
	for (int sent = 0; sent < max;) {
		struct scan s = {w.events, w.cursor, {0}};
		rc = sk_store_change_each(c->store, w.cursor, SCAN_BATCH, scan_change, &s);
		if (rc && rc != FOUND) {
			rc = sk_errf(err, rc, "cannot read the change feed");
			break;
		}
		if (rc != FOUND) {
			rc = 0;
			if (s.last != w.cursor) {
				/* Nothing for this endpoint: move past what it does not want. */
				w.cursor = s.last;
				if ((rc = sk_store_webhook_state(c->store, &w)))
					rc = sk_errf(err, rc, "cannot save a webhook cursor");
				if (!rc)
					continue;
			}
			break;
		}
		rc = 0;
		char msg_id[80], sig[SK_WEBHOOK_SIG_MAX], resolve[SK_WEBHOOK_RESOLVE_MAX];
		int64_t now = sk_time_now();
		int status = 0;
		struct sk_errctx uerr = {0};
		snprintf(msg_id, sizeof(msg_id), "msg_%s_%lld", w.id, (long long)s.hit.seq);
		sk_free(body);
		body = NULL;
		if ((rc = sk_webhook_payload(&s.hit, &body, &blen)) ||
		    (rc = sk_webhook_sign(secret, msg_id, now, body, blen, sig))) {
			rc = sk_errf(err, rc, "cannot build webhook %s", msg_id);
			break;
		}
		w.last_attempt_at = now;
		/* Resolved and checked again at every attempt, and the request pinned to the
		 * addresses checked, so that DNS cannot turn a public name private later. */
		if (sk_webhook_check_url(w.url, cfg->allow_private, resolve, sizeof(resolve), &uerr)) {
			w.last_status = 0;
			sk_strlcpy(w.last_error, uerr.msg, sizeof(w.last_error));
		} else {
			post(cfg, &w, resolve, msg_id, now, sig, body, blen, &status, w.last_error,
			     sizeof(w.last_error));
			w.last_status = status;
			sent++;
			if (nsent)
				(*nsent)++;
		}
		/* Abandoned because the server is stopping: not the receiver's failure. */
		if (status == 0 && cfg->stopping && cfg->stopping(cfg->stopping_arg))
			break;
		now = sk_time_now();
		int go_on = 0;
		if (status >= 200 && status <= 299) {
			w.cursor = s.hit.seq;
			w.failures = 0;
			w.first_failure_at = 0;
			w.next_attempt_at = 0;
			w.last_error[0] = '\0';
			go_on = 1;
		} else if (status == 410) {
			w.enabled = 0;
			sk_strlcpy(w.last_error, "answered 410 Gone: endpoint disabled",
				   sizeof(w.last_error));
			fprintf(stderr, "samtycke: webhook %s answered 410 Gone and is disabled\n", w.id);
		} else {
			failed(cfg, &w, s.hit.seq, now);
			go_on = w.next_attempt_at == 0; /* given up on that change: the next one */
		}
		if ((rc = sk_store_webhook_state(c->store, &w))) {
			rc = sk_errf(err, rc, "cannot save the state of webhook %s", w.id);
			break;
		}
		if (!go_on)
			break;
	}
	if (secret)
		sk_vault_wipe(secret, slen);
	sk_free(secret);
	sk_free(body);
	return rc;
}

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

int sk_delivery_pass(struct sk_core *c, const struct sk_delivery_config *cfg, int max,
		     int *nsent, struct sk_errctx *err)
{
	struct ids l = {.now = sk_time_now()};
	int rc = sk_store_webhook_each(c->store, due, &l), first = 0;

	if (nsent)
		*nsent = 0;
	if (rc)
		rc = sk_errf(err, rc, "cannot read the webhook endpoints");
	/* One endpoint's failure does not hold up the others. */
	for (size_t i = 0; i < l.n && !rc; i++) {
		int r = deliver_endpoint(c, cfg, l.id[i], max, nsent, err);
		if (r && !first)
			first = r;
	}
	sk_free(l.id);
	return rc ? rc : first;
}

/* ---- the thread ---- */

static int is_stopping(void *arg)
{
	struct sk_delivery *d = arg;
	pthread_mutex_lock(&d->lock);
	int s = d->stopping;
	pthread_mutex_unlock(&d->lock);
	return s;
}

static void *run(void *arg)
{
	struct sk_delivery *d = arg;
	struct sk_store *store = NULL;
	struct sk_core *core = NULL;
	struct sk_errctx err = {0};
	int64_t last_complaint = 0;

	for (;;) {
		int rc = 0, sent = 0;
		if (!core) {
			rc = sk_store_open_sqlite(d->cfg.db, 0, &store, &err);
			if (!rc)
				rc = sk_core_open(store, d->cfg.vault, 0, &core, &err);
			if (rc) {
				sk_core_free(core);
				sk_store_close(store);
				core = NULL;
				store = NULL;
			}
		}
		if (!rc)
			rc = sk_delivery_pass(core, &d->cfg, 100, &sent, &err);
		if (rc && sk_time_now() - last_complaint >= 60) {
			/* Messages name endpoints and changes by id, never personal data. */
			fprintf(stderr, "samtycke: webhook delivery: %s\n",
				err.msg[0] ? err.msg : sk_err_message(rc));
			last_complaint = sk_time_now();
		}
		pthread_mutex_lock(&d->lock);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		long ms = d->cfg.poll_ms > 0 ? d->cfg.poll_ms : 200;
		until.tv_sec += ms / 1000;
		until.tv_nsec += (ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!d->stopping && pthread_cond_timedwait(&d->cond, &d->lock, &until) == 0)
			;
		int stop = d->stopping;
		pthread_mutex_unlock(&d->lock);
		if (stop)
			break;
	}
	sk_core_free(core);
	sk_store_close(store);
	return NULL;
}

int sk_delivery_start(const struct sk_delivery_config *cfg, struct sk_delivery **out,
		      struct sk_errctx *err)
{
	struct sk_delivery *d = sk_calloc(1, sizeof(*d));
	if (!d)
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	d->cfg = *cfg;
	d->cfg.stopping = is_stopping;
	d->cfg.stopping_arg = d;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	if (pthread_create(&d->thread, NULL, run, d) != 0) {
		pthread_mutex_destroy(&d->lock);
		pthread_cond_destroy(&d->cond);
		sk_free(d);
		return sk_errf(err, SK_ERR_IO, "cannot start the webhook delivery thread");
	}
	*out = d;
	return 0;
}

void sk_delivery_stop(struct sk_delivery *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	d->stopping = 1;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->cond);
	sk_free(d);
}
