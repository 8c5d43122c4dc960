/* rights.c: the data subject's rights and disposal (docs/rights.md): export of everything
 * held, erasure that leaves only a keyed hash on the suppression list, the clean-up of fields
 * whose purposes ended, and the purge of contacts without a basis. */
#include "core/core_int.h"

#include <jansson.h>
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
	/* Scrubbed: clear the mark if it is still the one seen, then scrub again so that not
	 * even the old mark is left behind (that one may wait for readers: it holds nothing
	 * personal). A mark changed meanwhile is a later erasure's, still owed. */
	if ((rc = sk__core_begin(c, err)))
		return rc;
	if ((rc = scrub_read(c, now, &since, &gen)))
		sk__store_err(err, rc, "reading the scrub mark");
	else if (strcmp(now, seen) == 0 && (rc = sk_store_meta_set(c->store, META_SCRUB, "")))
		sk__store_err(err, rc, "clearing the scrub mark");
	if ((rc = sk__core_end(c, rc, err)))
		return rc;
	sk_store_scrub(c->store);
	return 0;
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
	int rc = sk_store_contact_delete(c->store, ct->id);
	if (rc)
		return sk__store_err(err, rc, "deleting a contact");
	if (reason && (rc = sk__suppress_key(c, ct->email_key, reason, err)))
		return rc;
	if ((rc = sk__change_append(c, SK_CHG_ERASED, ct->id, NULL, NULL, sk_time_now(), err)))
		return rc;
	return sk__scrub_mark(c, err);
}

static json_t *erasure_receipt(const char *contact_id, long events, int scrub_pending)
{
	char id[SK_ID_LEN + 1];
	if (sk_id_new("x_", id))
		return NULL;
	json_t *cats = contact_id ? json_pack("[s,s,s,s,s]", "contact", "fields", "data_key",
					      "consent_state", "rectifications")
				  : json_array();
	return json_pack("{s:s,s:o,s:o,s:o,s:b,s:I,s:b}", "erasure_id", id, "contact_id",
			 contact_id ? json_string(contact_id) : json_null(), "erased_at",
			 sk_json_time(sk_time_now()), "categories", cats, "suppressed", 1,
			 "ledger_events_kept", (json_int_t)events, "scrub_pending", scrub_pending);
}

int sk_forget(struct sk_core *c, const char *id, json_t **receipt, struct sk_errctx *err)
{
	struct sk_contact_rec ct;
	long events = 0;
	int rc = sk__core_begin(c, err);
	if (rc)
		return rc;
	rc = sk_store_contact_by_id(c->store, id, &ct);
	if (rc == SK_ERR_NOT_FOUND)
		sk_errf(err, rc, "no such contact");
	else if (rc)
		sk__store_err(err, rc, "reading a contact");
	if (!rc && (rc = sk_store_ledger_each(c->store, ct.id, 0, count_event, &events)))
		sk__store_err(err, rc, "reading the ledger");
	if (!rc)
		rc = sk__contact_erase(c, &ct, "erased", err);
	if ((rc = sk__core_end(c, rc, err)))
		return rc;
	/* Committed: the erasure is answered whatever the scrub does. Nothing of the person may
	 * stay in the WAL: move it into the file (where secure_delete zeroed the freed space) and
	 * truncate it; while a reader prevents that, it stays recorded and is retried. A failure
	 * here is not the erasure's: it stays pending too. */
	int pending = 0;
	struct sk_errctx scrub_err = {0};
	if (sk_scrub_retry(c, &pending, &scrub_err))
		pending = 1;
	*receipt = erasure_receipt(ct.id, events, pending);
	return *receipt ? 0 : sk_errf(err, SK_ERR_NOMEM, "out of memory");
}

int sk_forget_email(struct sk_core *c, const char *email, json_t **receipt, struct sk_errctx *err)
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
	*receipt = erasure_receipt(NULL, 0, 0);
	return *receipt ? 0 : sk_errf(err, SK_ERR_NOMEM, "out of memory");
}

/* ---- export ---- */

struct export_ctx {
	struct sk_core *c;
	const uint8_t *dk;      /* NULL when the data key is gone */
	json_t *consents;       /* purpose -> {status.., history:[..]} */
	int rc;
	struct sk_errctx *err;
};

static int export_event(void *arg, const struct sk_event_rec *ev)
{
	struct export_ctx *x = arg;
	struct sk_notice_rec n;
	struct sk_consent_event de;
	const char *where = NULL;
	if (sk__event_from_rec(ev, &de, &where))
		return x->rc = sk__corrupt_word(x->err, "reading the ledger", where);
	json_t *e = sk_json_event(&de);
	if (sk_store_notice_get(x->c->store, ev->purpose, ev->notice_version, ev->lang, &n) == 0)
		json_object_set_new(e, "notice_text", json_string(n.text));
	json_t *evd = NULL;
	if (ev->evidence && x->dk) {
		char ad[128], *plain;
		size_t len;
		sk__seal_ad(ev->contact_id, ev->id, ad);
		if (sk_vault_unseal(x->dk, ad, ev->evidence, ev->evidence_len, &plain, &len) == 0) {
			evd = json_loads(plain, 0, NULL);
			sk_free(plain);
		}
	}
	json_object_set_new(e, "evidence", evd ? evd : json_null());
	json_t *p = json_object_get(x->consents, ev->purpose);
	if (!p) {
		p = json_pack("{s:s,s:[]}", "purpose", ev->purpose, "history");
		json_object_set_new(x->consents, ev->purpose, p);
	}
	json_array_append_new(json_object_get(p, "history"), e);
	return 0;
}

static int export_key(void *arg, const struct sk_key_rec *k)
{
	json_t *arr = arg;
	if (k->revoked_at || !(sk_key_has_scope(k, "read") || sk_key_has_scope(k, "dsr")))
		return 0;
	json_array_append_new(arr, json_pack("{s:s,s:s,s:s}", "name", k->name, "scopes",
					     k->scopes, "kind", "api_key"));
	return 0;
}

static int export_webhook(void *arg, const struct sk_webhook_rec *w)
{
	if (!w->enabled)
		return 0;
	json_array_append_new(arg, json_pack("{s:s,s:s,s:s,s:s}", "name", w->name[0] ? w->name : w->id,
					     "url", w->url, "events", w->events, "kind", "webhook"));
	return 0;
}

static int export_rect(void *arg, int64_t at, const char *actor, const char *fields)
{
	json_t *arr = arg, *names = json_array();
	for (const char *p = fields; *p;) {
		size_t len = strcspn(p, ",");
		json_array_append_new(names, json_stringn(p, len));
		p += len + (p[len] == ',');
	}
	json_array_append_new(arr, json_pack("{s:o,s:o,s:s}", "at", sk_json_time(at), "fields",
					     names, "actor", actor ? actor : ""));
	return 0;
}

int sk_export(struct sk_core *c, const char *id, const char *lang, json_t **out,
	      struct sk_errctx *err)
{
	struct sk_contact ct;
	struct sk__states s = {0};
	uint8_t dk[SK_VAULT_KEY_LEN];
	int l = sk_lang_from_name(lang ? lang : "en"), rc;
	int64_t now = sk_time_now();

	if (l < 0)
		return sk_errf(err, SK_ERR_INVALID, "lang must be sv or en");
	if ((rc = sk_core_need_policy(c, err)) || (rc = sk_core_read_begin(c, err)))
		return rc;
	if ((rc = sk_contact_get_by_id(c, id, &ct, err))) {
		sk_core_read_end(c);
		return rc;
	}
	const struct sk_policy *pol = c->policy;
	json_t *doc = json_pack("{s:o,s:{s:s,s:s,s:s,s:s},s:o}", "exported_at", sk_json_time(now),
				"controller", "name", pol->org_name, "contact", pol->org_contact,
				"address", pol->org_address, "privacy_policy_url",
				pol->org_privacy_url, "contact", sk_json_contact(&ct));
	struct export_ctx x = {c, NULL, json_object(), 0, err};
	int dkrc = sk__datakey(c, id, dk, err);
	x.dk = dkrc ? NULL : dk;
	rc = sk_store_ledger_each(c->store, id, 0, export_event, &x);
	if (!rc)
		rc = states_load(c, id, &s, err);
	json_t *consents = json_array(), *purposes = json_array();
	for (size_t i = 0; !rc && i < s.n; i++) {
		json_t *p = json_object_get(x.consents, s.st[i].purpose);
		if (!p)
			continue;
		struct sk_state ds;
		sk__state_from_rec(&s.st[i], &ds);
		json_t *st = sk_json_state(&ds, now);
		json_object_set(p, "status", json_object_get(st, "status"));
		json_object_set(p, "valid_until", json_object_get(st, "valid_until"));
		json_decref(st);
		json_array_append(consents, p);
		const struct sk_purpose *u = sk_policy_purpose(pol, s.st[i].purpose);
		if (!u)
			continue;
		json_t *fields = json_array();
		for (size_t k = 0; k < u->nfields; k++)
			json_array_append_new(fields, json_string(u->fields[k]));
		json_array_append_new(purposes, json_pack(
			"{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o}", "id", u->id, "title", u->title[l],
			"description", u->description[l], "legal_basis", sk_basis_name(u->basis),
			"kind", sk_kind_name(u->kind), "validity", sk_json_duration(u->validity),
			"retention", sk_json_duration(u->retention), "fields", fields));
	}
	json_t *shared = json_array(), *rect = json_array();
	if (!rc && (rc = sk_store_key_each(c->store, export_key, shared)))
		sk__store_err(err, rc, "reading API keys");
	if (!rc && (rc = sk_store_webhook_each(c->store, export_webhook, shared)))
		sk__store_err(err, rc, "reading webhooks");
	if (!rc && (rc = sk_store_rectification_each(c->store, id, export_rect, rect)))
		sk__store_err(err, rc, "reading rectifications");
	sk_core_read_end(c);
	sk_vault_wipe(dk, sizeof(dk));
	json_object_set_new(doc, "consents", consents);
	json_object_set_new(doc, "purposes", purposes);
	json_object_set_new(doc, "shared_with", shared);
	json_object_set_new(doc, "rectifications", rect);
	json_object_set_new(doc, "behaviour", json_pack("{s:[],s:[],s:[]}", "tracking_events",
							"scores", "mails_sent"));
	json_decref(x.consents);
	sk_free(s.st);
	sk_contact_reset(&ct);
	if (rc) {
		json_decref(doc);
		return rc;
	}
	*out = doc;
	return doc ? 0 : sk_errf(err, SK_ERR_NOMEM, "out of memory");
}

/* ---- purge ---- */

static const char *const reasons[] = {"never_consented", "withdrawn", "expired", "pending",
				      "unverified", "inactive", NULL};

/* Why contact ct has no basis left at now, or NULL when it keeps one. */
static const char *purge_reason(struct sk_core *c, const struct sk_contact_rec *ct,
				const struct sk__states *s, int64_t now, int pending_days)
{
	const struct sk_policy *pol = c->policy;
	int64_t last = ct->updated_at;
	for (size_t i = 0; i < s->n; i++)
		if (s->st[i].updated_at > last)
			last = s->st[i].updated_at;
	if (pol->retain_inactive.n && sk_time_add(last, pol->retain_inactive) <= now)
		return "inactive";
	if (s->n == 0)
		return sk_time_add(ct->created_at, pol->retain_no_basis) <= now ? "never_consented"
										  : NULL;
	/* Each ended basis has a deadline: when it ended plus how long its data may stay. */
	const char *why = NULL;
	int64_t deadline = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct sk_state_rec *st = &s->st[i];
		const struct sk_purpose *p = sk_policy_purpose(pol, st->purpose);
		struct sk_duration ret = p ? p->retention : (struct sk_duration){0, 'd'};
		enum sk_status e = sk_state_effective(st, now);
		const char *r;
		int64_t d;
		switch (e) {
		case SK_ST_GIVEN:
			return NULL;
		case SK_ST_PENDING:
			if (st->updated_at > now - (int64_t)pending_days * 86400)
				return NULL;
			r = "pending";
			d = st->updated_at + (int64_t)pending_days * 86400;
			break;
		case SK_ST_UNVERIFIED:
			r = "unverified";
			d = sk_time_add(st->updated_at, pol->retain_no_basis);
			break;
		case SK_ST_REFUSED:
		case SK_ST_WITHDRAWN:
			r = "withdrawn";
			d = sk_time_add(st->updated_at, ret);
			break;
		default: /* expired: at the end of its validity, or when it was expired */
			r = "expired";
			d = sk_time_add(st->valid_until && st->valid_until <= now ? st->valid_until
										: st->updated_at, ret);
		}
		if (!why || d > deadline) {
			why = r;
			deadline = d;
		}
	}
	return deadline <= now ? why : NULL;
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

int sk_purge(struct sk_core *c, int64_t now, int pending_days, int dry_run, json_t **out,
	     struct sk_errctx *err)
{
	struct purge_batch *b = sk_malloc(sizeof(*b));
	struct sk__states s = {0};
	char after[SK_ID_LEN + 1] = "";
	json_t *lists = json_object();
	long total = 0;
	int rc;

	if (!b)
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	if ((rc = sk_core_need_policy(c, err)))
		goto out;
	for (int i = 0; reasons[i]; i++)
		json_object_set_new(lists, reasons[i], json_array());
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
			const char *why = rc ? NULL : purge_reason(c, ct, &s, now, pending_days);
			if (!rc && why && !dry_run)
				rc = sk__contact_erase(c, ct, strcmp(why, "withdrawn") == 0 ? "opted_out"
											: NULL, err);
			if (!dry_run)
				rc = sk__core_end(c, rc, err);
			if (!rc && why) {
				json_array_append_new(json_object_get(lists, why), json_string(ct->id));
				total++;
			}
		}
		if (b->n)
			memcpy(after, b->ct[b->n - 1].id, sizeof(after));
	} while (!rc && b->n == PURGE_BATCH);
	if (!rc && !dry_run && total) {
		/* as after an erasure: a reader may keep the scrub waiting; it stays recorded */
		int pending;
		struct sk_errctx scrub_err = {0};
		sk_scrub_retry(c, &pending, &scrub_err);
	}
out:
	sk_free(b);
	sk_free(s.st);
	if (rc) {
		json_decref(lists);
		return rc;
	}
	*out = json_pack("{s:b,s:o,s:I}", "dry_run", dry_run, "contacts", lists, "total",
			 (json_int_t)total);
	return *out ? 0 : sk_errf(err, SK_ERR_NOMEM, "out of memory");
}
