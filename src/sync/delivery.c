/* delivery.c: webhook delivery. Each endpoint keeps a cursor into the change feed; the next
 * matching change is POSTed, signed, and the cursor moves only after a 2xx, so delivery is at
 * least once and in seq order. A dispatcher thread finds the endpoints due and a pool of
 * workers serves them, one endpoint per worker, so that a dead endpoint delays no other.
 * Failures back off (Retry-After honoured); see docs/internals/sync.md. With several servers
 * on one store, an endpoint is served by the holder of its lease alone, renewed before each
 * cursor write (docs/internals/serve.md, "Several servers on one store"). */
#include "sync/sync.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/log.h"
#include "util/curl_dl.h"

#include "util/mem.h"
#include "util/sktime.h"
#include "util/net.h"
#include "util/str.h"


/* An endpoint handed to the workers: queued (busy 0) or being served (busy 1). Never two
 * workers on one endpoint, so its changes stay in order. */
struct claim {
	char id[SK_ID_LEN + 1];
	int busy;
	int again; /* found due again while busy: served once more before it is dropped */
};

/* A lease of this server on one endpoint ("webhook:<id>"), as this server knows it. */
struct held {
	char id[SK_ID_LEN + 1];
	int64_t until;    /* Unix ms: ours until then (0: not ours) */
	int64_t retry_at; /* Unix ms: another server held it; not asked again before */
};

struct sk_delivery {
	struct sk_delivery_config cfg;
	pthread_t dispatcher;
	pthread_t workers[SK_DELIVERY_WORKERS_MAX];
	int nworkers;
	pthread_mutex_t lock;
	pthread_cond_t cond;  /* the dispatcher's sleep */
	pthread_cond_t work;  /* workers wait here for a claim */
	struct claim *claims;
	size_t nclaims, capclaims;
	int stopping;
	int woken; /* sk_delivery_wake since the dispatcher last looked */
	int64_t last_complaint;
	struct held *held; /* under lock */
	size_t nheld, capheld;
};

/* ---- one request ---- */

/* What one request needs besides its handle, and what it found out. */
struct xfer {
	const struct sk_delivery_config *cfg;
	int refused;          /* the socket callback refused an address */
	int64_t now;
	int64_t retry_after;  /* -1: none in the answer */
};

static int progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		    curl_off_t ulnow)
{
	const struct xfer *x = arg;
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return x->cfg->stopping(x->cfg->stopping_arg) ? 1 : 0;
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* Keeps the Retry-After of the last answer (a 100 Continue comes before the real one). */
static size_t header(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	static const char name[] = "retry-after:";
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		x->retry_after = -1;
	} else if (len > sizeof(name) - 1 && strncasecmp(p, name, sizeof(name) - 1) == 0 &&
		   len < 128) {
		char v[128];
		memcpy(v, p + sizeof(name) - 1, len - (sizeof(name) - 1));
		v[len - (sizeof(name) - 1)] = '\0';
		x->retry_after = sk_webhook_retry_after(v, x->now);
	}
	return len;
}

/* The last line of defence: every socket that a delivery opens is to an allowed address,
 * whatever resolved it (the check before pins the addresses with CURLOPT_RESOLVE; this
 * catches anything else). Not used through a configured proxy, which is the operator's. */
static curl_socket_t open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct xfer *x = arg;
	(void)purpose;
	if (!sk_net_addr_allowed(&a->addr, x->cfg->allow_private)) {
		x->refused = 1;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static enum sk_webhook_fail curl_fail(CURLcode cc, long oserr)
{
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT: return SK_WH_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_HOST: return SK_WH_RESOLVE;
	case CURLE_COULDNT_RESOLVE_PROXY: return SK_WH_PROXY;
	case CURLE_COULDNT_CONNECT: return oserr == ECONNREFUSED ? SK_WH_CONN_REFUSED : SK_WH_CONNECT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_USE_SSL_FAILED: return SK_WH_TLS;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM: return SK_WH_NETWORK;
	case CURLE_OUT_OF_MEMORY: return SK_WH_NOMEM;
	default: return SK_WH_OTHER;
	}
}

/* POSTs body. *status gets the HTTP status (0 when there was no answer), *fail why the
 * attempt failed (SK_WH_OK after a 2xx), *retry_after the Retry-After in seconds (-1: none). */
static void post(const struct sk_delivery_config *cfg, const char *url, const char *resolve, const char *msg_id, int64_t ts, const char *sig,
		 const char *body, size_t len, int *status, enum sk_webhook_fail *fail,
		 int64_t *retry_after)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = NULL, *res = NULL, *t;
	struct xfer x = {.cfg = cfg, .now = ts, .retry_after = -1};
	char line[160];
	long code = 0, oserr = 0;
	CURLcode cc;

	*status = 0;
	*retry_after = -1;
	*fail = SK_WH_NOMEM;
	if (!h)
		return;
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
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, cfg->timeout_ms > 0 ? cfg->timeout_ms : 10000L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "samtycke/" SK_VERSION);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
	/* "" switches off http_proxy, https_proxy and all_proxy from the environment. */
	curl_easy_setopt(h, CURLOPT_PROXY, cfg->proxy ? cfg->proxy : "");
	if (!cfg->proxy) {
		curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
		curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &x);
	}
	if (res)
		curl_easy_setopt(h, CURLOPT_RESOLVE, res);
	if (cfg->stopping) {
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, &x);
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	}
	cc = curl_easy_perform(h);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		*status = (int)code;
		*fail = code >= 200 && code <= 299 ? SK_WH_OK : code == 410 ? SK_WH_GONE : SK_WH_HTTP;
		if (code == 429 || code == 503)
			*retry_after = x.retry_after;
	} else if (x.refused) {
		*fail = SK_WH_ADDR_NEVER;
	} else {
		curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &oserr);
		*fail = curl_fail(cc, oserr);
		/* Through a proxy, curl connects to the proxy alone. */
		if (cfg->proxy && (cc == CURLE_COULDNT_CONNECT || cc == CURLE_PROXY))
			*fail = SK_WH_PROXY;
	}
	curl_slist_free_all(hdr);
	curl_slist_free_all(res);
	curl_easy_cleanup(h);
}

/* ---- leases: one server per endpoint ---- */

static int open_core(struct sk_delivery *d, struct sk_store **store, struct sk_core **core,
		     struct sk_errctx *err);

/* d's entry for endpoint id (d->lock held), added when missing; NULL when out of memory. */
static struct held *held_find(struct sk_delivery *d, const char *id)
{
	for (size_t i = 0; i < d->nheld; i++)
		if (strcmp(d->held[i].id, id) == 0)
			return &d->held[i];
	if (d->nheld == d->capheld) {
		size_t cap = d->capheld ? 2 * d->capheld : 16;
		void *p = sk_realloc(d->held, cap * sizeof(*d->held));
		if (!p)
			return NULL;
		d->held = p;
		d->capheld = cap;
	}
	struct held *h = &d->held[d->nheld++];
	memset(h, 0, sizeof(*h));
	memcpy(h->id, id, SK_ID_LEN + 1);
	return h;
}

/* Takes or renews the lease on endpoint id for cfg->lease_ms: *ours 1 when this server
 * holds it now. Without a lease holder (one process alone) always ours. d (NULL in
 * sk_delivery_pass) remembers the outcome: an endpoint another server holds is not asked
 * for again within a second, so that the servers that do not hold it do not take the
 * store's write lock on every poll. renew: asked even so (before a cursor write). */
static int lease_hold(struct sk_core *c, const struct sk_delivery_config *cfg,
		      struct sk_delivery *d, const char *id, int renew, int *ours,
		      struct sk_errctx *err)
{
	char name[16 + SK_ID_LEN];
	int64_t now = sk_time_now_ms(), ttl = cfg->lease_ms > 0 ? cfg->lease_ms : 30000;
	*ours = 1;
	if (!cfg->lease_holder)
		return 0;
	if (d && !renew) {
		pthread_mutex_lock(&d->lock);
		struct held *h = held_find(d, id);
		int skip = h && h->retry_at > now;
		pthread_mutex_unlock(&d->lock);
		if (skip) {
			*ours = 0;
			return 0;
		}
	}
	snprintf(name, sizeof(name), "webhook:%s", id);
	int rc = sk_core_lease_take(c, name, cfg->lease_holder, now, now + ttl, ours, err);
	if (rc)
		return rc;
	if (d) {
		pthread_mutex_lock(&d->lock);
		struct held *h = held_find(d, id);
		if (h) {
			h->until = *ours ? now + ttl : 0;
			h->retry_at = *ours ? 0 : now + (ttl < 1000 ? ttl : 1000);
		}
		pthread_mutex_unlock(&d->lock);
	}
	return 0;
}

/* At a clean stop: every lease this server holds is freed at once, so that another server
 * takes the endpoints over without waiting for them to expire. */
static void leases_release(struct sk_delivery *d)
{
	struct sk_store *store = NULL;
	struct sk_core *core = NULL;
	struct sk_errctx err = {0};
	int64_t now = sk_time_now_ms();
	size_t n = 0;
	for (size_t i = 0; i < d->nheld; i++)
		n += d->held[i].until > now;
	if (!d->cfg.lease_holder || !n)
		return;
	if (open_core(d, &store, &core, &err)) {
		sk_log(SK_LOG_WARN, "webhook leases not released (they expire): %s",
			err.msg);
		return;
	}
	for (size_t i = 0; i < d->nheld; i++) {
		char name[16 + SK_ID_LEN];
		if (d->held[i].until <= now)
			continue;
		snprintf(name, sizeof(name), "webhook:%s", d->held[i].id);
		if (sk_core_lease_release(core, name, d->cfg.lease_holder, &err))
			sk_log(SK_LOG_WARN, "webhook %s: lease not released (it expires): "
				"%s", d->held[i].id, err.msg);
	}
	sk_core_free(core);
	sk_store_close(store);
}

/* ---- one endpoint ---- */

/* Delivers up to max changes to endpoint id; *nsent counts the requests made. What is read
 * and saved goes through core (core/webhook.h); this decides nothing but the request. */
static int deliver_endpoint(struct sk_core *c, const struct sk_delivery_config *cfg,
			    struct sk_delivery *d, const char *id, int max, int *nsent,
			    struct sk_errctx *err)
{
	struct sk_webhook_job job;
	const struct sk_webhook_retry retry = {cfg->backoff, cfg->retry_for};
	char *body = NULL;
	size_t blen = 0;
	int rc, ready, ours;

	/* another server's endpoint: left to it */
	if ((rc = lease_hold(c, cfg, d, id, 0, &ours, err)) || !ours)
		return rc;
	if ((rc = sk_webhook_job_open(c, id, sk_time_now(), &job, &ready, err)) || !ready)
		return rc;
	for (int sent = 0; sent < max;) {
		struct sk_change hit;
		int found;
		if ((rc = sk_webhook_job_next(c, &job, &hit, &found, err)) || !found)
			break;
		char msg_id[80], sig[SK_WEBHOOK_SIG_MAX], resolve[SK_WEBHOOK_RESOLVE_MAX];
		char error[256];
		int64_t now = sk_time_now(), attempt_at = now;
		int status = 0;
		snprintf(msg_id, sizeof(msg_id), "msg_%s_%lld", job.ep.id, (long long)hit.seq);
		sk_free(body);
		body = NULL;
		if ((rc = sk_webhook_payload(&hit, &body, &blen)) ||
		    (rc = sk_webhook_sign(job.secret, msg_id, now, body, blen, sig))) {
			rc = sk_errf(err, rc, "cannot build webhook %s", msg_id);
			break;
		}
		/* Resolved and checked again at every attempt, and the request pinned to the
		 * addresses checked, so that DNS cannot turn a public name private later. Through
		 * a configured proxy the proxy connects, but the name is still checked here. */
		enum sk_webhook_fail fail;
		int64_t retry_after = -1;
		if (!sk_webhook_resolve(job.ep.url, cfg->allow_private, resolve, sizeof(resolve),
					&fail)) {
			post(cfg, job.ep.url, resolve, msg_id, now, sig, body, blen, &status, &fail,
			     &retry_after);
			sent++;
			if (nsent)
				(*nsent)++;
		}
		/* Abandoned because the server is stopping: not the receiver's failure. */
		if (status == 0 && cfg->stopping && cfg->stopping(cfg->stopping_arg))
			break;
		sk_webhook_fail_text(fail, status, error, sizeof(error));
		now = sk_time_now();
		int go_on = 0;
		/* Still ours? A server stalled beyond its lease (or cut off from the store) may
		 * find another one serving the endpoint: it writes nothing and stops, and the
		 * change it sent is the one a receiver may see twice (docs/webhooks.md). */
		if ((rc = lease_hold(c, cfg, d, id, 1, &ours, err)) || !ours) {
			if (!rc)
				sk_log(SK_LOG_WARN, "webhook %s: lease lost to another server; "
					"it delivers from its cursor", job.ep.id);
			break;
		}
		if (fail == SK_WH_OK) {
			rc = sk_webhook_job_delivered(c, &job, hit.seq, attempt_at, status, err);
			go_on = 1;
		} else if (fail == SK_WH_GONE) {
			rc = sk_webhook_job_gone(c, &job, attempt_at, status, error, err);
			sk_log(SK_LOG_WARN, "webhook %s answered 410 Gone and is disabled",
				job.ep.id);
		} else {
			/* given up on that change: the next one */
			rc = sk_webhook_job_failed(c, &job, hit.seq, attempt_at, now, status, error,
						   retry_after, &retry, &go_on, err);
		}
		if (rc || !go_on)
			break;
	}
	sk_webhook_job_close(&job);
	sk_free(body);
	return rc;
}

int sk_delivery_pass(struct sk_core *c, const struct sk_delivery_config *cfg, int max,
		     int *nsent, struct sk_errctx *err)
{
	char (*ids)[SK_ID_LEN + 1] = NULL;
	size_t n = 0;
	int rc = sk_webhook_due(c, sk_time_now(), &ids, &n, err), first = 0;

	if (nsent)
		*nsent = 0;
	/* One endpoint's failure does not hold up the others. */
	for (size_t i = 0; i < n && !rc; i++) {
		int r = deliver_endpoint(c, cfg, NULL, ids[i], max, nsent, err);
		if (r && !first)
			first = r;
	}
	sk_free(ids);
	return rc ? rc : first;
}

/* ---- the threads ---- */

/* The endpoints due, as sk_webhook_due gives them. */
struct ids {
	char (*id)[SK_ID_LEN + 1];
	size_t n;
};

static int is_stopping(void *arg)
{
	struct sk_delivery *d = arg;
	pthread_mutex_lock(&d->lock);
	int s = d->stopping;
	pthread_mutex_unlock(&d->lock);
	return s;
}

/* Sleeps ms on cond (d->lock held) unless stopping; returns d->stopping. */
static int nap(struct sk_delivery *d, pthread_cond_t *cond, long ms)
{
	return sk_nap(cond, &d->lock, &d->stopping, ms);
}

/* Messages name endpoints and changes by id, never personal data; one a minute at most. */
static void complain(struct sk_delivery *d, int rc, const struct sk_errctx *err)
{
	pthread_mutex_lock(&d->lock);
	int now = sk_time_now() - d->last_complaint >= 60;
	if (now)
		d->last_complaint = sk_time_now();
	pthread_mutex_unlock(&d->lock);
	if (now)
		sk_log(SK_LOG_WARN, "webhook delivery: %s",
			err->msg[0] ? err->msg : sk_err_message(rc));
}

static int open_core(struct sk_delivery *d, struct sk_store **store, struct sk_core **core,
		     struct sk_errctx *err)
{
	int rc = sk_store_open_resident(d->cfg.db, store, err);
	if (!rc)
		rc = sk_core_open(*store, d->cfg.vault, 0, core, err);
	if (rc) {
		sk_core_free(*core);
		sk_store_close(*store);
		*core = NULL;
		*store = NULL;
	}
	return rc;
}

/* The dispatcher's sleep (d->lock held): ms, or until sk_delivery_wake or stop; returns
 * d->stopping. A wake that came while it was looking is not lost: woken stays set. */
static int nap_or_wake(struct sk_delivery *d, long ms)
{
	struct timespec until;
	sk_deadline(ms, &until);
	while (!d->stopping && !d->woken && pthread_cond_timedwait(&d->cond, &d->lock, &until) == 0)
		;
	d->woken = 0;
	return d->stopping;
}

void sk_delivery_wake(void *arg)
{
	struct sk_delivery *d = arg;
	pthread_mutex_lock(&d->lock);
	d->woken = 1;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

static long poll_ms(const struct sk_delivery *d)
{
	return d->cfg.poll_ms > 0 ? d->cfg.poll_ms : 200;
}

/* Hands every due endpoint that no worker has yet to the workers, every poll_ms. */
static void *dispatch(void *arg)
{
	struct sk_delivery *d = arg;
	struct sk_store *store = NULL;
	struct sk_core *core = NULL;
	struct sk_errctx err = {0};

	for (;;) {
		int rc = core ? 0 : open_core(d, &store, &core, &err);
		struct ids l = {0};
		if (!rc)
			rc = sk_webhook_due(core, sk_time_now(), &l.id, &l.n, &err);
		if (rc)
			complain(d, rc, &err);
		pthread_mutex_lock(&d->lock);
		for (size_t i = 0; i < l.n; i++) {
			size_t j = 0;
			while (j < d->nclaims && strcmp(d->claims[j].id, l.id[i]) != 0)
				j++;
			if (j < d->nclaims) {
				/* queued, or being served: then served once more, since the worker
				 * may have read the endpoint's changes before this one came */
				if (d->claims[j].busy)
					d->claims[j].again = 1;
				continue;
			}
			if (d->nclaims == d->capclaims) {
				size_t cap = d->capclaims ? 2 * d->capclaims : 16;
				void *p = sk_realloc(d->claims, cap * sizeof(*d->claims));
				if (!p)
					break; /* the rest next time */
				d->claims = p;
				d->capclaims = cap;
			}
			memcpy(d->claims[d->nclaims].id, l.id[i], SK_ID_LEN + 1);
			d->claims[d->nclaims].again = 0;
			d->claims[d->nclaims++].busy = 0;
		}
		if (l.n)
			pthread_cond_broadcast(&d->work);
		int stop = nap_or_wake(d, poll_ms(d));
		pthread_mutex_unlock(&d->lock);
		sk_free(l.id);
		if (stop)
			break;
	}
	sk_core_free(core);
	sk_store_close(store);
	return NULL;
}

/* Takes the oldest queued endpoint, delivers what is due to it, and gives it back. */
static void *work(void *arg)
{
	struct sk_delivery *d = arg;
	struct sk_store *store = NULL;
	struct sk_core *core = NULL;
	struct sk_errctx err = {0};

	for (;;) {
		if (!core) {
			int rc = open_core(d, &store, &core, &err);
			if (rc) {
				complain(d, rc, &err);
				pthread_mutex_lock(&d->lock);
				int stop = nap(d, &d->work, poll_ms(d));
				pthread_mutex_unlock(&d->lock);
				if (stop)
					break;
				continue;
			}
		}
		pthread_mutex_lock(&d->lock);
		size_t i = 0;
		for (;;) {
			for (i = 0; i < d->nclaims && d->claims[i].busy; i++)
				;
			if (d->stopping || i < d->nclaims)
				break;
			pthread_cond_wait(&d->work, &d->lock);
		}
		if (d->stopping) {
			pthread_mutex_unlock(&d->lock);
			break;
		}
		char id[SK_ID_LEN + 1];
		d->claims[i].busy = 1;
		memcpy(id, d->claims[i].id, sizeof(id));
		pthread_mutex_unlock(&d->lock);

		int rc = deliver_endpoint(core, &d->cfg, d, id, 100, NULL, &err);
		if (rc)
			complain(d, rc, &err);

		pthread_mutex_lock(&d->lock);
		for (i = 0; i < d->nclaims && strcmp(d->claims[i].id, id) != 0; i++)
			;
		if (i < d->nclaims && d->claims[i].again) {
			d->claims[i].busy = d->claims[i].again = 0; /* served again, in its place */
			pthread_cond_signal(&d->work);
		} else if (i < d->nclaims) {
			/* keeps the queue in order: the oldest claim is served first */
			memmove(&d->claims[i], &d->claims[i + 1],
				(d->nclaims - i - 1) * sizeof(*d->claims));
			d->nclaims--;
		}
		pthread_mutex_unlock(&d->lock);
	}
	sk_core_free(core);
	sk_store_close(store);
	return NULL;
}

int sk_delivery_proxy_check(const char *proxy, struct sk_errctx *err)
{
	static const char *const schemes[] = {"http://", "https://", "socks5://", "socks5h://"};
	CURLU *u = curl_url();
	char *host = NULL;
	int ok = 0;
	if (!u)
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strncmp(proxy, schemes[i], strlen(schemes[i])) == 0)
			ok = 1;
	if (ok && (strlen(proxy) >= 1024 ||
		   curl_url_set(u, CURLUPART_URL, proxy, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
		   curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host[0]))
		ok = 0;
	curl_free(host);
	curl_url_cleanup(u);
	return ok ? 0 : sk_errf(err, SK_ERR_INVALID, "--webhook-proxy: give a URL "
				"http://HOST:PORT, https://, socks5:// or socks5h://");
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
	if (d->cfg.workers <= 0)
		d->cfg.workers = SK_DELIVERY_WORKERS;
	if (d->cfg.workers > SK_DELIVERY_WORKERS_MAX)
		d->cfg.workers = SK_DELIVERY_WORKERS_MAX;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	pthread_cond_init(&d->work, NULL);
	if (pthread_create(&d->dispatcher, NULL, dispatch, d) != 0) {
		pthread_mutex_destroy(&d->lock);
		pthread_cond_destroy(&d->cond);
		pthread_cond_destroy(&d->work);
		sk_free(d);
		return sk_errf(err, SK_ERR_IO, "cannot start the webhook delivery thread");
	}
	for (int i = 0; i < d->cfg.workers; i++) {
		if (pthread_create(&d->workers[i], NULL, work, d) != 0)
			break; /* fewer workers, still working */
		d->nworkers++;
	}
	if (!d->nworkers) {
		sk_delivery_stop(d);
		return sk_errf(err, SK_ERR_IO, "cannot start the webhook delivery threads");
	}
	*out = d;
	return 0;
}

void sk_delivery_set_retry(struct sk_delivery *d, int backoff, int64_t retry_for)
{
	if (!d)
		return;
	d->cfg.backoff = backoff;
	d->cfg.retry_for = retry_for;
}

void sk_delivery_stop(struct sk_delivery *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	d->stopping = 1;
	pthread_cond_broadcast(&d->cond);
	pthread_cond_broadcast(&d->work);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->dispatcher, NULL);
	for (int i = 0; i < d->nworkers; i++)
		pthread_join(d->workers[i], NULL);
	leases_release(d);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->cond);
	pthread_cond_destroy(&d->work);
	sk_free(d->claims);
	sk_free(d->held);
	sk_free(d);
}
