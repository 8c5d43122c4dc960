/* serve.c: the daemon. Each thread that needs the database (the HTTP workers, maintenance,
 * the scrubber) gets its own store handle and core on first use (a handle belongs to one
 * thread, docs/internals/store.md); the mail worker and webhook delivery open their own.
 * Signals go to the main thread only: SIGHUP reloads the policy everywhere (and serve's
 * configuration file, through cfg->reload), SIGTERM and SIGINT stop everything in order.
 * Several servers may share one store: a policy applied by another is noticed within
 * POLICY_CHECK_MS, and the webhook delivery and the mail worker work under leases held in
 * this server's name (docs/internals/serve.md). */
#include "serve/serve.h"

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#include "core/core.h"
#include "util/log.h"
#include "mail/mail.h"
#include "serve/ratelimit.h"
#include "serve/writer.h"
#include "store/store.h"
#include "sync/sync.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/mem.h"
#include "util/sktime.h"
#include "util/str.h"

static const struct sk_server_config *config;

/* ---- one store and core per thread ---- */

struct worker {
	struct sk_store *store;
	struct sk_core *core;
	unsigned generation;     /* of the policy it loaded */
	int bulk_tried;          /* the writer's: its checkpoint moved off the commit path */
	struct worker *next;
};

static pthread_mutex_t workers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct worker *workers;
static _Thread_local struct worker *self;
static atomic_uint policy_generation;

/* This thread's core, opened on first use; the policy reloaded after a SIGHUP. */
static struct sk_core *thread_core(struct sk_errctx *err)
{
	if (self && self->generation != atomic_load(&policy_generation)) {
		if (sk_core_reload_policy(self->core, err) == 0)
			self->generation = atomic_load(&policy_generation);
	}
	if (self)
		return self->core;
	struct worker *w = sk_calloc(1, sizeof(*w));
	if (!w) {
		sk_errf(err, SK_ERR_NOMEM, "out of memory");
		return NULL;
	}
	w->generation = atomic_load(&policy_generation);
	if (sk_store_open_resident(config->db, &w->store, err) ||
	    sk_core_open(w->store, config->vault, 0, &w->core, err)) {
		sk_store_close(w->store);
		sk_free(w);
		return NULL;
	}
	pthread_mutex_lock(&workers_lock);
	w->next = workers;
	workers = w;
	pthread_mutex_unlock(&workers_lock);
	self = w;
	return w->core;
}

static void workers_close(void)
{
	while (workers) {
		struct worker *w = workers;
		workers = w->next;
		sk_core_free(w->core);
		sk_store_close(w->store);
		sk_free(w);
	}
	self = NULL;
}

/* ---- maintenance: unconfirmed requests and consents lapse (docs/forms.md) ---- */

#define MAINTENANCE_EVERY 3600 /* seconds */
#define POLICY_CHECK_MS 1000

/* A policy applied by another server or the CLI: when the store holds a version other than
 * the one this thread's core loaded, every thread reloads at its next use (as on SIGHUP).
 * One read a second of the newest policy row (its text too, a few KiB), on the maintenance
 * thread. */
static void policy_check(struct sk_core *core)
{
	static int64_t last_complaint;
	static int last_said;
	struct sk_errctx err = {0};
	int stored = 0;
	if (sk_core_policy_stored(core, &stored, &err)) {
		if (sk_time_now() - last_complaint >= 60) { /* once a minute at most */
			sk_log(SK_LOG_ERROR, "checking the policy version failed: %s",
				err.msg);
			last_complaint = sk_time_now();
		}
		return;
	}
	if (stored != sk_core_policy_version(core)) {
		if (stored != last_said)
			sk_log(SK_LOG_INFO, "policy version %d found in the store; "
				"reloading", stored);
		last_said = stored;
		atomic_fetch_add(&policy_generation, 1);
	}
}

/* A key rotation (samtycke key rotate, here or on another host): when the database's key
 * generation moved, the shared vault reloads the key file; every thread sees the new keys at
 * its next use. While the key file is behind (another host rotated and the file is not
 * copied yet), writes that need the key are refused with that error and this says so once a
 * minute. */
static void key_check(struct sk_core *core)
{
	static int64_t last_complaint;
	struct sk_errctx err = {0};
	int reloaded = 0;
	if (sk_core_key_refresh(core, &reloaded, &err)) {
		if (sk_time_now() - last_complaint >= 60) {
			sk_log(SK_LOG_ERROR, "%s", err.msg);
			last_complaint = sk_time_now();
		}
		return;
	}
	if (reloaded)
		sk_log(SK_LOG_INFO, "master key rotated: key generation %lld loaded",
		       (long long)sk_core_key_generation(core));
}

static pthread_mutex_t stop_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stop_cond = PTHREAD_COND_INITIALIZER;
static int stopping;

static void *maintenance(void *arg)
{
	(void)arg;
	struct sk_errctx err;
	int64_t last_purge = 0;
	for (long tick = 0;; tick++) {
		struct sk_core *core = thread_core(&err);
		long expired = 0, deleted = 0, lapsed = 0;
		if (core) {
			policy_check(core);
			key_check(core);
		}
		/* the rest hourly: every MAINTENANCE_EVERY ticks of POLICY_CHECK_MS */
		if (tick % (MAINTENANCE_EVERY * 1000L / POLICY_CHECK_MS) != 0)
			goto nap;
		if (!core || sk_form_requests_expire(core, sk_time_now(), &lapsed, &err))
			sk_log(SK_LOG_ERROR, "deleting lapsed form requests failed: %s", err.msg);
		else if (lapsed)
			sk_log(SK_LOG_INFO, "deleted %ld unconfirmed form requests", lapsed);
		if (config->pending_days &&
		    (!core || sk_pending_expire(core, sk_time_now(), config->pending_days, &expired,
						&deleted, &err)))
			sk_log(SK_LOG_ERROR, "pending expiry failed: %s", err.msg);
		else if (expired)
			sk_log(SK_LOG_INFO, "expired %ld unconfirmed consents, deleted %ld "
				"contacts", expired, deleted);
		struct sk_purge_report res;
		if (config->purge_daily && core && sk_time_now() - last_purge >= 86400) {
			if (sk_purge(core, sk_time_now(), config->pending_days ? config->pending_days : 7,
				     0, &res, &err)) {
				sk_log(SK_LOG_ERROR, "purge failed: %s", err.msg);
			} else {
				sk_log(SK_LOG_INFO, "purge removed %lld contacts",
					(long long)res.total);
				sk_purge_report_reset(&res);
			}
			last_purge = sk_time_now();
		}
	nap:
		pthread_mutex_lock(&stop_lock);
		int done = sk_nap(&stop_cond, &stop_lock, &stopping, POLICY_CHECK_MS);
		pthread_mutex_unlock(&stop_lock);
		if (done)
			return NULL;
	}
}

/* ---- pending erasure scrubs (docs/rights.md): retried every SCRUB_EVERY_MS ---- */

#define SCRUB_EVERY_MS 2000

static void *scrubber(void *arg)
{
	(void)arg;
	struct sk_errctx err;
	int pending, was = 0;
	for (;;) {
		struct sk_core *core = thread_core(&err);
		if (core && sk_scrub_retry(core, &pending, &err) == 0) {
			if (was && !pending)
				sk_log(SK_LOG_INFO, "the WAL scrub after an erasure is complete");
			was = pending;
		}
		pthread_mutex_lock(&stop_lock);
		int done = sk_nap(&stop_cond, &stop_lock, &stopping, SCRUB_EVERY_MS);
		pthread_mutex_unlock(&stop_lock);
		if (done)
			return NULL;
	}
}

/* ---- group commit: the writer (serve/writer.c) ---- */

static struct sk_writer *writer;

/* The writer's core: the thread's own, with the WAL checkpoint off its commit path
 * (SK_BULK_CHECKPOINT: a second connection checkpoints every 100 ms), so that no group's
 * commit copies the WAL into the database file (docs/internals/group-commit.md). If that
 * cannot start, the checkpoints stay in the commits, as on every other connection. */
static struct sk_core *writer_core(struct sk_errctx *err)
{
	struct sk_core *c = thread_core(err);
	if (c && !self->bulk_tried) {
		struct sk_errctx e2 = {0};
		self->bulk_tried = 1;
		if (sk_core_bulk(c, SK_BULK_CHECKPOINT, &e2))
			sk_log(SK_LOG_WARN, "%s; the writer checkpoints in its commits",
				e2.msg);
	}
	return c;
}

static int write_submit(struct sk_http_write *w, struct sk_errctx *err)
{
	return sk_writer_submit(writer, w, err);
}

static void write_stop(void)
{
	sk_writer_stop(writer); /* writer stays valid: a late submit is refused */
}

/* ---- start and stop ---- */

/* This server's name in the store's leases: "HOST:PID:RANDOM", unique among the servers of
 * one store (the random part tells apart two runs that got the same PID). */
static char lease_holder[SK_LEASE_HOLDER_MAX];

static int holder_new(struct sk_errctx *err)
{
	char host[64] = "", hex[17];
	uint8_t rnd[8];
	if (gethostname(host, sizeof(host) - 1) != 0 || !host[0])
		sk_strlcpy(host, "host", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	if (sk_random(rnd, sizeof(rnd)))
		return sk_errf(err, SK_ERR_IO, "no randomness for this server's lease name");
	sk_hex(rnd, sizeof(rnd), hex);
	snprintf(lease_holder, sizeof(lease_holder), "%s:%ld:%s", host, (long)getpid(), hex);
	return 0;
}

static int verify_at_start(struct sk_errctx *err)
{
	struct sk_store *store = NULL;
	struct sk_core *core = NULL;
	int64_t bad = 0, nev = 0;
	int rc = sk_store_open(config->db, 0, &store, err);
	if (!rc)
		rc = sk_core_open(store, config->vault, 0, &core, err);
	if (!rc && (rc = sk_audit_verify(core, &bad, &nev, NULL, err)) == SK_ERR_CHAIN_BROKEN) {
		/* recorded for the console's overview; the refusal stays the error */
		struct sk_audit a = {.broken = 1, .events = nev, .first_bad_seq = bad};
		struct sk_errctx ignored = {0};
		(void)sk_audit_record(core, &a, sk_time_now(), &ignored);
		sk_errf(err, rc, "serve refuses to start: ledger chain broken at sequence number "
			"%lld; nothing was written. Run 'samtycke audit verify' and see "
			"docs/rights.md", (long long)bad);
	} else if (!rc) {
		struct sk_audit a = {.events = nev};
		rc = sk_audit_record(core, &a, sk_time_now(), err);
	}
	sk_core_free(core);
	sk_store_close(store);
	return rc;
}

int sk_serve_run(const struct sk_server_config *cfg, struct sk_errctx *err)
{
	sigset_t sigs;
	int rc, sig;

	config = cfg;
	/* the server's own lines as text or JSON (--log-format); its start for GET /metrics */
	sk_log_set_json(cfg->log_format == SK_LOG_JSON);
	sk_metrics_start(sk_time_now());
	/* Usage errors first, before anything is opened. */
	if ((rc = sk_http_check(cfg, err)))
		return rc;
	/* A broken ledger chain: refuse to start, so that nothing is appended to it and no answer
	 * rests on it until someone has looked (docs/rights.md, "Ledger integrity at start").
	 * The check reads the whole ledger on a connection of its own, closed after it, so that
	 * the pages it mapped do not stay in the server's memory. */
	if ((rc = verify_at_start(err)) || (rc = holder_new(err)))
		return rc;
	/* Signals go to the main thread's sigwait only; every thread started after inherits
	 * the mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	static const struct sk_http_env env = {.core = thread_core, .rate = sk_rate_take,
					       .write = write_submit, .write_stop = write_stop};
	struct sk_http *http = NULL;
	if ((rc = sk_writer_start(cfg->write_queue ? cfg->write_queue : SK_WRITE_QUEUE,
				  writer_core, &writer, err))) {
		workers_close();
		return rc;
	}
	if ((rc = sk_http_start(cfg, &env, &http, err))) {
		sk_writer_free(writer);
		writer = NULL;
		workers_close();
		return rc;
	}
	pthread_t maint, scrub;
	int have_maint = pthread_create(&maint, NULL, maintenance, NULL) == 0;
	int have_scrub = pthread_create(&scrub, NULL, scrubber, NULL) == 0;
	/* Mail is sent by its own thread from the outbox, never on a request thread. */
	struct sk_mail_worker *mailer = NULL;
	long lease_ms = 1000L * (cfg->lease_seconds ? cfg->lease_seconds : SK_LEASE_SECONDS);
	struct sk_mail_worker_config mcfg = {.db = cfg->db, .vault = cfg->vault, .mail = cfg->mail,
					     .public_url = cfg->public_url,
					     .lease_holder = lease_holder, .lease_ms = lease_ms};
	if (cfg->mail && sk_mail_worker_start(&mcfg, &mailer, err))
		sk_log(SK_LOG_WARN, "%s; no mail is sent", err->msg);
	struct sk_delivery_config dcfg = {
		.db = cfg->db, .vault = cfg->vault, .allow_private = cfg->allow_private_webhooks,
		.backoff = cfg->webhook_backoff ? cfg->webhook_backoff : 5,
		.retry_for = cfg->webhook_retry_for ? cfg->webhook_retry_for : 3 * 86400,
		.timeout_ms = 10000, .poll_ms = 200, .proxy = cfg->webhook_proxy,
		.lease_holder = lease_holder, .lease_ms = lease_ms};
	struct sk_delivery *delivery = NULL;
	if (sk_delivery_start(&dcfg, &delivery, err))
		sk_log(SK_LOG_WARN, "%s; webhooks are not delivered", err->msg);
	else /* a change committed by this process wakes the delivery at once (poll: others') */
		sk_core_set_change_hook(sk_delivery_wake, delivery);

	for (;;) {
		if (sigwait(&sigs, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			atomic_fetch_add(&policy_generation, 1);
			if (cfg->reload) {
				cfg->reload(cfg->reload_arg);
				sk_delivery_set_retry(delivery, cfg->webhook_backoff ? cfg->webhook_backoff
										: 5,
						      cfg->webhook_retry_for ? cfg->webhook_retry_for
									     : 3 * 86400);
			}
			continue;
		}
		break;
	}
	sk_http_stop(http); /* it stops the writer too, before the adapter (env.write_stop) */
	sk_writer_free(writer); /* stopped by now: no thread uses it */
	writer = NULL;
	pthread_mutex_lock(&stop_lock);
	stopping = 1;
	pthread_cond_broadcast(&stop_cond);
	pthread_mutex_unlock(&stop_lock);
	if (have_maint)
		pthread_join(maint, NULL);
	if (have_scrub)
		pthread_join(scrub, NULL);
	sk_core_set_change_hook(NULL, NULL); /* waits for a wake in progress */
	sk_delivery_stop(delivery);
	sk_mail_worker_stop(mailer);
	workers_close();
	return 0;
}
