/* worker.c: the mail worker of `samtycke serve`. A thread with its own store connection
 * takes the next mail due from the outbox (core/outbox.c), sends it over SMTP, and reports
 * the result, so that no request thread ever waits for a mail server. With several servers
 * on one store, only the holder of the lease "mail" sends (docs/internals/serve.md). */
#include "mail/mail.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/sktime.h"

struct sk_mail_worker {
	struct sk_mail_worker_config cfg;
	struct sk_mail_config mail;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stopping;
	int64_t lease_until; /* Unix ms: the lease "mail" is ours until then (0: not ours) */
	int64_t lease_retry; /* Unix ms: another server holds it; not asked again before */
	int64_t lease_complaint; /* Unix ms: the last failure to reach the lease said on stderr */
};

static int is_stopping(void *arg)
{
	struct sk_mail_worker *w = arg;
	pthread_mutex_lock(&w->lock);
	int s = w->stopping;
	pthread_mutex_unlock(&w->lock);
	return s;
}

int sk_mail_worker_pass(struct sk_core *c, const struct sk_mail_config *mail,
			const char *public_url, int max, int *nfailed, struct sk_errctx *err)
{
	int rc = 0;
	if (nfailed)
		*nfailed = 0;
	for (int i = 0; i < max && !rc; i++) {
		struct sk_outgoing m;
		struct sk_errctx why = {0};
		int64_t now = sk_time_now();
		if ((rc = sk_core_reload_policy(c, err)))
			break;
		rc = sk_outbox_take(c, public_url, now, &m, err);
		if (rc == SK_ERR_NOT_FOUND) {
			sk_errctx_reset(err);
			rc = 0;
			break;
		}
		if (rc)
			break;
		struct sk_mail msg = {.to = m.to, .subject = m.subject, .text = m.text,
				      .html = m.html, .list_unsub = m.list_unsub};
		int sent = sk_mail_send(mail, &msg, &why);
		/* Abandoned because the server is stopping: tried again at the next start. */
		if (sent && mail->stopping && mail->stopping(mail->stopping_arg)) {
			sk_outgoing_reset(&m);
			break;
		}
		rc = sk_outbox_done(c, &m, sent, why.msg, sk_time_now(), err);
		/* Operators see every failure by the mail's id and the reason, never an address. */
		if (sent)
			sk_log(SK_LOG_ERROR, "mail %s %s: %s", m.rec.id,
				sent == SK_ERR_INVALID ||
						sk_time_now() - m.rec.created_at >= SK_OUTBOX_RETRY_FOR
					? "given up"
					: "failed, will try again",
				why.msg);
		if (sent && nfailed)
			(*nfailed)++;
		int paced = m.campaign && mail->campaign_rate > 0;
		sk_outgoing_reset(&m);
		/* campaign mail at most campaign_rate a second (--campaign-rate) */
		if (paced && !rc) {
			long left = (long)(1000.0 / mail->campaign_rate); /* ms; a real clock */
			while (left > 0 && !(mail->stopping && mail->stopping(mail->stopping_arg))) {
				long step = left < 20 ? left : 20;
				struct timespec ts = {0, step * 1000000L};
				nanosleep(&ts, NULL);
				left -= step;
			}
		}
	}
	return rc;
}

/* Whether this server is the one that sends: takes the lease "mail", or renews it once a
 * third of it has passed (so it never runs out while the worker lives); a server that does
 * not hold it asks again at most once a second. Always 1 without a lease holder. */
static int lease_ours(struct sk_mail_worker *w, struct sk_core *core)
{
	struct sk_errctx err = {0};
	int64_t now = sk_time_now_ms(), ttl = w->cfg.lease_ms > 0 ? w->cfg.lease_ms : 30000;
	int got = 0;
	if (!w->cfg.lease_holder)
		return 1;
	if (w->lease_until - now > 2 * ttl / 3)
		return 1;
	if (!w->lease_until && w->lease_retry > now)
		return 0;
	if (sk_core_lease_take(core, "mail", w->cfg.lease_holder, now, now + ttl, &got, &err)) {
		/* the store did not answer: ours while what we took has not run out */
		if (now - w->lease_complaint >= 60000) { /* once a minute at most */
			sk_log(SK_LOG_WARN, "mail worker: %s", err.msg);
			w->lease_complaint = now;
		}
		return w->lease_until > now;
	}
	if (got && !w->lease_until)
		sk_log(SK_LOG_INFO, "this server sends the mail (lease \"mail\")");
	else if (!got && w->lease_until)
		sk_log(SK_LOG_INFO, "another server sends the mail now (lease \"mail\")");
	w->lease_until = got ? now + ttl : 0;
	w->lease_retry = got ? 0 : now + (ttl < 1000 ? ttl : 1000);
	return got;
}

static void *run(void *arg)
{
	struct sk_mail_worker *w = arg;
	struct sk_store *store = NULL;
	struct sk_core *core = NULL;
	struct sk_errctx err = {0};
	int64_t last_complaint = 0;

	for (;;) {
		int rc = 0;
		if (!core) {
			rc = sk_store_open_resident(w->cfg.db, &store, &err);
			if (!rc)
				rc = sk_core_open(store, w->cfg.vault, 0, &core, &err);
			if (rc) {
				sk_core_free(core);
				sk_store_close(store);
				core = NULL;
				store = NULL;
			}
		}
		w->mail.campaign_rate = w->cfg.mail->campaign_rate; /* reloadable (SIGHUP) */
		if (!rc && lease_ours(w, core))
			rc = sk_mail_worker_pass(core, &w->mail, w->cfg.public_url, 50, NULL, &err);
		if (rc && sk_time_now() - last_complaint >= 60) {
			/* Messages name mails by id, never an address. */
			sk_log(SK_LOG_WARN, "mail worker: %s",
				err.msg[0] ? err.msg : sk_err_message(rc));
			last_complaint = sk_time_now();
		}
		pthread_mutex_lock(&w->lock);
		int stop = sk_nap(&w->cond, &w->lock, &w->stopping,
				  w->cfg.poll_ms > 0 ? w->cfg.poll_ms : 250);
		pthread_mutex_unlock(&w->lock);
		if (stop)
			break;
	}
	/* A clean stop frees the lease at once: another server sends without waiting. */
	if (core && w->lease_until > sk_time_now_ms() &&
	    sk_core_lease_release(core, "mail", w->cfg.lease_holder, &err))
		sk_log(SK_LOG_WARN, "mail worker: %s (the lease expires)", err.msg);
	sk_core_free(core);
	sk_store_close(store);
	return NULL;
}

int sk_mail_worker_start(const struct sk_mail_worker_config *cfg, struct sk_mail_worker **out,
			 struct sk_errctx *err)
{
	struct sk_mail_worker *w = sk_calloc(1, sizeof(*w));
	if (!w)
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	w->cfg = *cfg;
	w->mail = *cfg->mail;
	w->mail.stopping = is_stopping;
	w->mail.stopping_arg = w;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (pthread_create(&w->thread, NULL, run, w) != 0) {
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->cond);
		sk_free(w);
		return sk_errf(err, SK_ERR_IO, "cannot start the mail worker");
	}
	*out = w;
	return 0;
}

void sk_mail_worker_stop(struct sk_mail_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	sk_free(w);
}
