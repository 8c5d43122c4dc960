/* rights.c: the data subject's rights and disposal (docs/rights.md): export of everything
 * held, erasure that leaves only a keyed hash on the suppression list, the clean-up of fields
 * whose purposes ended, and the purge of contacts without a basis. */
#include "core/core_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/sktime.h"

#define PURGE_BATCH 500

/* ---- states of one contact ---- */

static int states_load(struct sk_core *c, const char *id, struct sk__states *s,
		       struct sk_errctx *err)
{
	s->n = 0;
	int rc = sk_store_state_each(c->store, id, sk__states_add, s);
	return rc ? sk__store_err(err, rc, "reading consent state") : 0;
}

/* A basis that still holds at now: a given or pending consent, or unverified legacy data
 * waiting for review. */
static int live(const struct sk_state_rec *st, int64_t now)
{
	enum sk_status s = sk_state_effective(st, now);
	return s == SK_ST_GIVEN || s == SK_ST_PENDING || s == SK_ST_UNVERIFIED;
}

/* ---- withdrawal clean-up ---- */

struct names {
	char (*name)[64];
	size_t n, alloc;
};

static int names_add(void *arg, const char *name, const uint8_t *sealed, size_t len)
{
	(void)sealed;
	(void)len;
	struct names *x = arg;
	if (x->n == x->alloc) {
		size_t na = x->alloc ? 2 * x->alloc : 16;
		char (*p)[64] = sk_realloc(x->name, na * sizeof(*p));
		if (!p)
			return SK_ERR_NOMEM;
		x->name = p;
		x->alloc = na;
	}
	sk_strlcpy(x->name[x->n++], name, 64);
	return 0;
}

int sk__fields_cleanup(struct sk_core *c, const char *contact_id, int *ndeleted,
		       struct sk_errctx *err)
{
	struct sk__states s = {0};
	struct names f = {0};
	int64_t now = sk_time_now();
	int rc = states_load(c, contact_id, &s, err);
	*ndeleted = 0;
	if (!rc && (rc = sk_store_field_each(c->store, contact_id, names_add, &f)))
		sk__store_err(err, rc, "reading fields");
	for (size_t i = 0; !rc && i < f.n; i++) {
		int needed = strcmp(f.name[i], "email") == 0;
		for (size_t j = 0; !needed && j < s.n; j++) {
			const struct sk_purpose *p = sk_policy_purpose(c->policy, s.st[j].purpose);
			if (!p || !live(&s.st[j], now))
				continue;
			for (size_t k = 0; k < p->nfields && !needed; k++)
				needed = strcmp(p->fields[k], f.name[i]) == 0;
		}
		/* purposes on another basis than consent need their fields whatever the state */
		for (size_t j = 0; !needed && j < c->policy->npurposes; j++) {
			const struct sk_purpose *p = &c->policy->purposes[j];
			if (p->basis == SK_BASIS_CONSENT)
				continue;
			for (size_t k = 0; k < p->nfields && !needed; k++)
				needed = strcmp(p->fields[k], f.name[i]) == 0;
		}
		if (!needed && (rc = sk_store_field_delete(c->store, contact_id, f.name[i])))
			sk__store_err(err, rc, "deleting a field");
		else if (!needed)
			(*ndeleted)++;
	}
	sk_free(s.st);
	sk_free(f.name);
	return rc;
}

/* ---- the scrub after an erasure ---- */

/* meta "scrub_pending": "SINCE GEN", SINCE the time (seconds) of the oldest erasure waiting,
 * GEN counting the marks, so that a retry clears only the mark it saw: an erasure committed
 * after its store scrub changes GEN and keeps its own scrub owed. "" when none waits. */
#define META_SCRUB "scrub_pending"

static int scrub_read(struct sk_core *c, char v[64], int64_t *since, long long *gen)
{
	int rc = sk_store_meta_get(c->store, META_SCRUB, v, 64);
	*since = 0;
	*gen = 0;
	if (rc == SK_ERR_NOT_FOUND) {
		v[0] = '\0';
		return 0;
	}
	if (rc)
		return rc;
	char *end;
	*since = strtoll(v, &end, 10);
	*gen = strtoll(end, NULL, 10);
	return 0;
}

int sk__scrub_mark(struct sk_core *c, struct sk_errctx *err)
{
	int64_t since;
	long long gen;
	char v[64];
	int rc = scrub_read(c, v, &since, &gen);
	if (rc)
		return sk__store_err(err, rc, "reading the scrub mark");
	snprintf(v, sizeof(v), "%lld %lld", (long long)(since ? since : sk_time_now()), gen + 1);
	if ((rc = sk_store_meta_set(c->store, META_SCRUB, v)))
		return sk__store_err(err, rc, "recording the scrub");
	return 0;
}

int sk_scrub_pending(struct sk_core *c, int64_t *since, struct sk_errctx *err)
{
	char v[64];
	long long gen;
	int rc = sk_core_read_begin(c, err);
	if (rc)
		return rc;
	rc = scrub_read(c, v, since, &gen);
	sk_core_read_end(c);
	return rc ? sk__store_err(err, rc, "reading the scrub mark") : 0;
}

int sk_scrub_retry(struct sk_core *c, int *pending, struct sk_errctx *err)
{
	char seen[64], now[64];
	int64_t since;
	long long gen;
	int rc;
	*pending = 0;
	if (c->in_batch) /* a checkpoint cannot run inside a transaction */
		return sk_errf(err, SK_ERR_USAGE, "the scrub runs outside a batch");
	if ((rc = sk_core_read_begin(c, err)))
		return rc;
	rc = scrub_read(c, seen, &since, &gen);
	sk_core_read_end(c);
	if (rc)
		return sk__store_err(err, rc, "reading the scrub mark");
	if (!since)
		return 0;
	rc = sk_store_scrub(c->store);
	if (rc == SK_ERR_BUSY) {
		*pending = 1; /* a reader still holds what was deleted: later */
		return 0;
	}
	if (rc)
		return sk__store_err(err, rc, "scrubbing after an erasure");
	/* Scrubbed: clear the mark if it is still the one seen. A mark changed meanwhile is a
	 * later erasure's, still owed. The clearing stays in the WAL until the next checkpoint:
	 * its pages hold the meta table only, nothing of a person, so it is not scrubbed again
	 * (a second checkpoint cost three more syncs on every erasure). Its commit need not be
	 * durable (SK_TX_WRITE_LAZY): a crash that loses it leaves the mark, and the scrub is
	 * done once more, which finds nothing left. */
	if ((rc = sk_store_begin(c->store, SK_TX_WRITE_LAZY)))
		return sk__store_err(err, rc, "starting a transaction");
	if ((rc = scrub_read(c, now, &since, &gen)))
		sk__store_err(err, rc, "reading the scrub mark");
	else if (strcmp(now, seen) == 0 && (rc = sk_store_meta_set(c->store, META_SCRUB, "")))
		sk__store_err(err, rc, "clearing the scrub mark");
	return sk__core_end(c, rc, err);
}

/* ---- erasure ---- */

static int count_event(void *arg, const struct sk_event_rec *ev)
{
	(void)ev;
	(*(long *)arg)++;
	return 0;
}

int sk__contact_erase(struct sk_core *c, const struct sk_contact_rec *ct, const char *reason,
		      struct sk_errctx *err)
{
	/* The erasure log first (synced), then the deletion, which commits after: a crash
	 * between the two leaves an entry for an erasure that did not happen, and a restore
	 * erases that person (who asked for it, or whom the purge found without a basis); never
	 * an erasure that the log does not know of (docs/operations.md, 4). */
	int rc = sk__erasure_log(c, "erase", ct->id, reason ? ct->email_key : NULL, reason, err);
	if (rc)
		return rc;
	if ((rc = sk_store_contact_delete(c->store, ct->id)))
		return sk__store_err(err, rc, "deleting a contact");
	if (reason && (rc = sk__suppress_key_put(c, ct->email_key, reason, err)))
		return rc;
	if ((rc = sk__change_append(c, SK_CHG_ERASED, ct->id, NULL, NULL, sk_time_now(), err)))
		return rc;
	return sk__scrub_mark(c, err);
}

/* What the erasure deletes (sk_store_contact_delete and its cascades), by the names the
 * access export gives them: mails_sent is the campaigns' send log, visitors the banner
 * visitors tied to the person with their answers. */
static const char *const erased_categories[] = {"contact", "fields", "data_key",
						 "consent_state", "rectifications",
						 "tracking_events", "score", "mails_sent",
						 "visitors"};

/* The receipt of an erasure (contact_id NULL: no contact had the address). */
static int erasure_receipt(const char *contact_id, long events, int scrub_pending,
			   struct sk_erasure_receipt *r, struct sk_errctx *err)
{
	memset(r, 0, sizeof(*r));
	if (sk_id_new("x_", r->erasure_id))
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	if (contact_id) {
		sk_strlcpy(r->contact_id, contact_id, sizeof(r->contact_id));
		r->categories = erased_categories;
		r->ncategories = sizeof(erased_categories) / sizeof(erased_categories[0]);
	}
	r->erased_at = sk_time_now();
	r->suppressed = 1;
	r->ledger_events_kept = events;
	r->scrub_pending = scrub_pending;
	return 0;
}

int sk__forget_in(struct sk_core *c, const char *id, long *events, struct sk_errctx *err)
{
	struct sk_contact_rec ct;
	int rc = sk_store_contact_by_id(c->store, id, &ct);
	*events = 0;
	if (rc == SK_ERR_NOT_FOUND)
		return sk_errf(err, rc, "no such contact");
	if (rc)
		return sk__store_err(err, rc, "reading a contact");
	if ((rc = sk_store_ledger_each(c->store, ct.id, 0, count_event, events)))
		return sk__store_err(err, rc, "reading the ledger");
	return sk__contact_erase(c, &ct, "erased", err);
}

int sk__forget_done(struct sk_core *c, const char *id, long events,
		    struct sk_erasure_receipt *receipt, struct sk_errctx *err)
{
	/* Committed: the erasure is answered whatever the scrub does. Nothing of the person may
	 * stay in the WAL: move it into the file (where secure_delete zeroed the freed space) and
	 * truncate it; while a reader prevents that, it stays recorded and is retried. A failure
	 * here is not the erasure's: it stays pending too. */
	int pending = 0;
	struct sk_errctx scrub_err = {0};
	if (sk_scrub_retry(c, &pending, &scrub_err))
		pending = 1;
	return erasure_receipt(id, events, pending, receipt, err);
}

int sk_forget(struct sk_core *c, const char *id, struct sk_erasure_receipt *receipt,
	      struct sk_errctx *err)
{
	long events = 0;
	char cid[SK_ID_LEN + 1];
	int rc = sk__core_begin(c, err);
	if (rc)
		return rc;
	sk_strlcpy(cid, id ? id : "", sizeof(cid));
	rc = sk__forget_in(c, cid, &events, err);
	if ((rc = sk__core_end(c, rc, err)))
		return rc;
	return sk__forget_done(c, cid, events, receipt, err);
}

int sk_forget_email(struct sk_core *c, const char *email, struct sk_erasure_receipt *receipt,
		    struct sk_errctx *err)
{
	char id[SK_ID_LEN + 1];
	int rc = sk_contact_find(c, email, id, err);
	if (rc == 0)
		return sk_forget(c, id, receipt, err);
	if (rc != SK_ERR_NOT_FOUND)
		return rc;
	/* Unknown: nothing to delete, but the address must never come in later. */
	if ((rc = sk_suppress(c, email, "erased", err)))
		return rc;
	return erasure_receipt(NULL, 0, 0, receipt, err);
}

/* ---- export ---- */

/* Grows the array whose pointer is at arr (*n elements of size, *alloc allocated) by one
 * zeroed element and returns it; NULL when out of memory. The pointer is read and written
 * with memcpy, whatever its element type. */
static void *grow(void *arr, size_t *n, size_t *alloc, size_t size)
{
	char *a;
	memcpy(&a, arr, sizeof(a));
	if (*n == *alloc) {
		size_t na = *alloc ? 2 * *alloc : 8;
		char *p = sk_realloc(a, na * size);
		if (!p)
			return NULL;
		a = p;
		memcpy(arr, &a, sizeof(a));
		*alloc = na;
	}
	char *e = a + (*n)++ * size;
	memset(e, 0, size);
	return e;
}

struct export_ctx {
	struct sk_core *c;
	const uint8_t *dk;      /* NULL when the data key is gone */
	struct sk_export_event *ev; /* every event of the contact, in ledger order */
	size_t nev, alloc;
	struct sk_access_export *x;
	size_t nshared_alloc, nrects_alloc;
	struct sk_errctx *err;
	int reported;           /* export_event recorded its failure in err */
};

static int export_event(void *arg, const struct sk_event_rec *ev)
{
	struct export_ctx *x = arg;
	struct sk_notice_rec n;
	struct sk_export_event *e = grow(&x->ev, &x->nev, &x->alloc, sizeof(*x->ev));
	const char *where = NULL;
	if (!e)
		return SK_ERR_NOMEM;
	if (sk__event_from_rec(ev, &e->event, &where)) {
		x->reported = 1;
		return sk__corrupt_word(x->err, "reading the ledger", where);
	}
	if (sk_store_notice_get(x->c->store, ev->purpose, ev->notice_version, ev->lang, &n) == 0 &&
	    !(e->notice_text = sk_strdup(n.text)))
		return SK_ERR_NOMEM;
	if (ev->evidence && x->dk) {
		char ad[128], *plain;
		size_t len;
		sk__seal_ad(ev->contact_id, ev->id, ad);
		if (sk_vault_unseal(x->dk, ad, ev->evidence, ev->evidence_len, &plain, &len) == 0)
			e->evidence_json = plain;
	}
	return 0;
}

static char *dup_or_null(const char *s, int *bad)
{
	char *d = sk_strdup(s);
	if (!d)
		*bad = 1;
	return d;
}

static int export_key(void *arg, const struct sk_key_rec *k)
{
	struct export_ctx *x = arg;
	int bad = 0;
	if (k->revoked_at || !(sk_key_has_scope(k, "read") || sk_key_has_scope(k, "dsr")))
		return 0;
	struct sk_export_share *sh = grow(&x->x->shared, &x->x->nshared, &x->nshared_alloc,
					  sizeof(*sh));
	if (!sh)
		return SK_ERR_NOMEM;
	sh->name = dup_or_null(k->name, &bad);
	sh->scopes = dup_or_null(k->scopes, &bad);
	return bad ? SK_ERR_NOMEM : 0;
}

static int export_webhook(void *arg, const struct sk_webhook_rec *w)
{
	struct export_ctx *x = arg;
	int bad = 0;
	if (!w->enabled)
		return 0;
	struct sk_export_share *sh = grow(&x->x->shared, &x->x->nshared, &x->nshared_alloc,
					  sizeof(*sh));
	if (!sh)
		return SK_ERR_NOMEM;
	sh->webhook = 1;
	sh->name = dup_or_null(w->name[0] ? w->name : w->id, &bad);
	sh->url = dup_or_null(w->url, &bad);
	sh->events = dup_or_null(w->events, &bad);
	return bad ? SK_ERR_NOMEM : 0;
}

static int export_rect(void *arg, int64_t at, const char *actor, const char *fields)
{
	struct export_ctx *x = arg;
	int bad = 0;
	struct sk_export_rect *r = grow(&x->x->rects, &x->x->nrects, &x->nrects_alloc,
					sizeof(*r));
	if (!r)
		return SK_ERR_NOMEM;
	r->at = at;
	r->fields = dup_or_null(fields, &bad);
	r->actor = dup_or_null(actor ? actor : "", &bad);
	return bad ? SK_ERR_NOMEM : 0;
}

static void export_event_reset(struct sk_export_event *e)
{
	sk_free(e->notice_text);
	if (e->evidence_json)
		sk_vault_wipe(e->evidence_json, strlen(e->evidence_json));
	sk_free(e->evidence_json);
}

void sk_access_export_reset(struct sk_access_export *x)
{
	if (!x)
		return;
	sk_visitor_views_free(x->visitors, x->nvisitors);
	x->visitors = NULL;
	x->nvisitors = 0;
	sk_free(x->track_events); /* tracking (helper track) */
	sk_contact_reset(&x->contact);
	for (size_t i = 0; i < x->nconsents; i++) {
		for (size_t j = 0; j < x->consents[i].nhistory; j++)
			export_event_reset(&x->consents[i].history[j]);
		sk_free(x->consents[i].history);
	}
	sk_free(x->consents);
	sk_free(x->purposes);
	for (size_t i = 0; i < x->nshared; i++) {
		sk_free(x->shared[i].name);
		sk_free(x->shared[i].scopes);
		sk_free(x->shared[i].url);
		sk_free(x->shared[i].events);
	}
	sk_free(x->shared);
	for (size_t i = 0; i < x->nrects; i++) {
		sk_free(x->rects[i].fields);
		sk_free(x->rects[i].actor);
	}
	sk_free(x->rects);
	sk_free(x->sends); /* campaign */
	memset(x, 0, sizeof(*x));
}

/* Moves the events of each state's purpose (in ledger order) into one consent per state that
 * has any; events of a purpose without a state are left out, as they always were. */
static int export_group(struct export_ctx *x, const struct sk__states *s)
{
	struct sk_access_export *out = x->x;
	const struct sk_policy *pol = out->policy;
	if (s->n && (!(out->consents = sk_calloc(s->n, sizeof(*out->consents))) ||
		     !(out->purposes = sk_calloc(s->n, sizeof(*out->purposes)))))
		return SK_ERR_NOMEM;
	for (size_t i = 0; i < s->n; i++) {
		size_t n = 0;
		for (size_t k = 0; k < x->nev; k++)
			n += strcmp(x->ev[k].event.purpose, s->st[i].purpose) == 0;
		if (!n)
			continue;
		struct sk_export_consent *ec = &out->consents[out->nconsents];
		if (!(ec->history = sk_calloc(n, sizeof(*ec->history))))
			return SK_ERR_NOMEM;
		out->nconsents++;
		sk__state_from_rec(&s->st[i], &ec->state);
		for (size_t k = 0; k < x->nev; k++) {
			if (strcmp(x->ev[k].event.purpose, s->st[i].purpose) != 0)
				continue;
			if (strcmp(x->ev[k].event.id, ec->state.event_id) == 0)
				ec->last = &ec->history[ec->nhistory];
			ec->history[ec->nhistory++] = x->ev[k];
			memset(&x->ev[k], 0, sizeof(x->ev[k])); /* moved (its purpose now "") */
		}
		const struct sk_purpose *u = sk_policy_purpose(pol, s->st[i].purpose);
		ec->purpose = u;
		if (u)
			out->purposes[out->npurposes++] = u;
	}
	return 0;
}

/* campaign: one row of the person's send log */
static int export_send(void *arg, const struct sk_send_rec *r)
{
	struct sk_access_export *x = arg;
	struct sk_send_rec *n = sk_realloc(x->sends, (x->nsends + 1) * sizeof(*n));
	if (!n)
		return SK_ERR_NOMEM;
	x->sends = n;
	x->sends[x->nsends++] = *r;
	return 0;
}

int sk_export(struct sk_core *c, const char *id, const char *lang, struct sk_access_export *out,
	      struct sk_errctx *err)
{
	struct sk_access_export doc = {0};
	struct sk__states s = {0};
	uint8_t dk[SK_VAULT_KEY_LEN];
	int l = sk_lang_from_name(lang ? lang : "en"), rc;

	if (l < 0)
		return sk_errf(err, SK_ERR_INVALID, "lang must be sv or en");
	if ((rc = sk_core_need_policy(c, err)) || (rc = sk_core_read_begin(c, err)))
		return rc;
	if ((rc = sk_contact_get_by_id(c, id, &doc.contact, err))) {
		sk_core_read_end(c);
		return rc;
	}
	doc.exported_at = sk_time_now();
	doc.lang = l;
	doc.policy = c->policy;
	struct export_ctx x = {.c = c, .x = &doc, .err = err};
	int dkrc = sk__datakey(c, id, dk, err);
	x.dk = dkrc ? NULL : dk;
	if ((rc = sk_store_ledger_each(c->store, id, 0, export_event, &x)) && !x.reported)
		sk__store_err(err, rc, "reading the ledger");
	if (!rc)
		rc = states_load(c, id, &s, err);
	if (!rc && (rc = export_group(&x, &s)))
		sk_errf(err, rc, "out of memory");
	if (!rc && (rc = sk_store_key_each(c->store, export_key, &x)))
		sk__store_err(err, rc, "reading API keys");
	if (!rc && (rc = sk_store_webhook_each(c->store, export_webhook, &x)))
		sk__store_err(err, rc, "reading webhooks");
	if (!rc && (rc = sk_store_rectification_each(c->store, id, export_rect, &x)))
		sk__store_err(err, rc, "reading rectifications");
	/* the banner's visitors tied to the contact (issue 16, helper visitor) */
	if (!rc)
		rc = sk_visitor_by_contact(c, id, &doc.visitors, &doc.nvisitors, err);
	if (!rc && (rc = sk_store_send_each_contact(c->store, id, export_send, &doc)))
		sk__store_err(err, rc, "reading the campaign send log"); /* campaign */
	if (!rc) /* tracking events and score (helper track) */
		rc = sk__track_export(c, id, &doc, err);
	sk_core_read_end(c);
	sk_vault_wipe(dk, sizeof(dk));
	for (size_t k = 0; k < x.nev; k++)
		export_event_reset(&x.ev[k]);
	sk_free(x.ev);
	sk_free(s.st);
	if (rc) {
		sk_access_export_reset(&doc);
		return rc;
	}
	*out = doc;
	return 0;
}

/* ---- purge ---- */

static const char *const reasons[] = {
#define SK__PURGE_NAME(name, str) str,
	SK_PURGE_REASON_LIST(SK__PURGE_NAME)
#undef SK__PURGE_NAME
};

const char *sk_purge_reason_name(enum sk_purge_reason r)
{
	return (unsigned)r < SK_PURGE_NREASONS ? reasons[r] : "unknown";
}

void sk_purge_report_reset(struct sk_purge_report *r)
{
	if (!r)
		return;
	for (int i = 0; i < SK_PURGE_NREASONS; i++)
		sk_free(r->by_reason[i].id);
	memset(r, 0, sizeof(*r));
}

/* Why contact ct has no basis left at now (SK_PURGE_*), or -1 when it keeps one. */
static int purge_reason(struct sk_core *c, const struct sk_contact_rec *ct,
			const struct sk__states *s, int64_t now, int pending_days)
{
	const struct sk_policy *pol = c->policy;
	int64_t last = ct->updated_at;
	for (size_t i = 0; i < s->n; i++)
		if (s->st[i].updated_at > last)
			last = s->st[i].updated_at;
	if (pol->retain_inactive.n && sk_time_add(last, pol->retain_inactive) <= now)
		return SK_PURGE_INACTIVE;
	if (s->n == 0)
		return sk_time_add(ct->created_at, pol->retain_no_basis) <= now
			       ? SK_PURGE_NEVER_CONSENTED
			       : -1;
	/* Each ended basis has a deadline: when it ended plus how long its data may stay. */
	int why = -1;
	int64_t deadline = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct sk_state_rec *st = &s->st[i];
		const struct sk_purpose *p = sk_policy_purpose(pol, st->purpose);
		struct sk_duration ret = p ? p->retention : (struct sk_duration){0, 'd'};
		enum sk_status e = sk_state_effective(st, now);
		int r;
		int64_t d;
		switch (e) {
		case SK_ST_GIVEN:
			return -1;
		case SK_ST_PENDING:
			if (st->updated_at > now - (int64_t)pending_days * 86400)
				return -1;
			r = SK_PURGE_PENDING;
			d = st->updated_at + (int64_t)pending_days * 86400;
			break;
		case SK_ST_UNVERIFIED:
			r = SK_PURGE_UNVERIFIED;
			d = sk_time_add(st->updated_at, pol->retain_no_basis);
			break;
		case SK_ST_REFUSED:
		case SK_ST_WITHDRAWN:
			r = SK_PURGE_WITHDRAWN;
			d = sk_time_add(st->updated_at, ret);
			break;
		default: /* expired: at the end of its validity, or when it was expired */
			r = SK_PURGE_EXPIRED;
			d = sk_time_add(st->valid_until && st->valid_until <= now ? st->valid_until
										: st->updated_at, ret);
		}
		if (why < 0 || d > deadline) {
			why = r;
			deadline = d;
		}
	}
	return deadline <= now ? why : -1;
}

struct purge_batch {
	struct sk_contact_rec ct[PURGE_BATCH];
	size_t n;
};

static int batch_add(void *arg, const struct sk_contact_rec *ct)
{
	struct purge_batch *b = arg;
	b->ct[b->n++] = *ct;
	return 0;
}

static int purge_list_add(struct sk_purge_ids *l, const char *id)
{
	if (l->n == l->alloc) {
		size_t na = l->alloc ? 2 * l->alloc : 16;
		char (*p)[SK_ID_LEN + 1] = sk_realloc(l->id, na * sizeof(*p));
		if (!p)
			return SK_ERR_NOMEM;
		l->id = p;
		l->alloc = na;
	}
	sk_strlcpy(l->id[l->n++], id, SK_ID_LEN + 1);
	return 0;
}

int sk_purge(struct sk_core *c, int64_t now, int pending_days, int dry_run,
	     struct sk_purge_report *out, struct sk_errctx *err)
{
	struct purge_batch *b = sk_malloc(sizeof(*b));
	struct sk__states s = {0};
	char after[SK_ID_LEN + 1] = "";
	struct sk_purge_report rep = {.dry_run = dry_run};
	int rc;

	if (!b)
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	if ((rc = sk_core_need_policy(c, err)))
		goto out;
	/* In batches of ids: read a batch, then decide and delete one contact per transaction,
	 * so that a crash leaves every contact whole or gone. */
	do {
		b->n = 0;
		if ((rc = sk_store_contact_each(c->store, after, PURGE_BATCH, batch_add, b))) {
			sk__store_err(err, rc, "reading contacts");
			break;
		}
		for (size_t i = 0; !rc && i < b->n; i++) {
			const struct sk_contact_rec *ct = &b->ct[i];
			if ((rc = dry_run ? 0 : sk__core_begin(c, err)))
				break;
			rc = states_load(c, ct->id, &s, err);
			int why = rc ? -1 : purge_reason(c, ct, &s, now, pending_days);
			if (!rc && why >= 0 && !dry_run)
				rc = sk__contact_erase(c, ct, why == SK_PURGE_WITHDRAWN ? "opted_out"
											: NULL, err);
			if (!dry_run)
				rc = sk__core_end(c, rc, err);
			if (!rc && why >= 0) {
				if ((rc = purge_list_add(&rep.by_reason[why], ct->id)))
					sk_errf(err, rc, "out of memory");
				rep.total++;
			}
		}
		if (b->n)
			memcpy(after, b->ct[b->n - 1].id, sizeof(after));
	} while (!rc && b->n == PURGE_BATCH);
	/* the banner's visitors never tied to a contact and not seen for SK_VISITOR_KEEP_DAYS
	 * (docs/banner.md), with their answers */
	if (!rc && !dry_run) {
		if (!(rc = sk__core_begin(c, err))) {
			rc = sk_store_visitor_purge(c->store, now - (int64_t)SK_VISITOR_KEEP_DAYS * 86400,
						    NULL);
			if (rc)
				rc = sk__store_err(err, rc, "purging visitors");
			rc = sk__core_end(c, rc, err);
		}
	}
	/* tracking events past the policy's tracking.retention (docs/tracking.md) */
	if (!rc && !dry_run)
		rc = sk_track_purge(c, now, &rep.tracking_events, err);
	if (!rc && !dry_run && (rep.total || rep.tracking_events)) {
		/* as after an erasure: a reader may keep the scrub waiting; it stays recorded */
		int pending;
		struct sk_errctx scrub_err = {0};
		sk_scrub_retry(c, &pending, &scrub_err);
	}
out:
	sk_free(b);
	sk_free(s.st);
	if (rc) {
		sk_purge_report_reset(&rep);
		return rc;
	}
	*out = rep;
	return 0;
}
