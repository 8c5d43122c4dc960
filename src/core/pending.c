/* pending.c: consents recorded pending (double opt-in through the API, and links mailed by
 * versions before form requests, docs/forms.md): confirmed by their link, or left
 * unconfirmed past the limit expired, and a contact that has nothing else loses its personal
 * data. */
#include "core/core_int.h"

#include <string.h>

#include "util/mem.h"

struct confirm_ctx {
	int64_t first, last;
	struct sk__states list;
};

static int collect_pending(void *arg, const struct sk_state_rec *st)
{
	struct confirm_ctx *x = arg;
	if (sk_status_from_name(st->status) != SK_ST_PENDING || st->seq < x->first ||
	    st->seq > x->last)
		return 0;
	return sk__states_add(&x->list, st);
}

int sk_pending_confirm(struct sk_core *c, const char *contact_id, int64_t first_seq,
		       int64_t last_seq, const char *evidence_json, int *nconfirmed,
		       struct sk_errctx *err)
{
	struct confirm_ctx x = {first_seq, last_seq, {0}};
	int rc;

	*nconfirmed = 0;
	if ((rc = sk_core_batch_begin(c, err)))
		return rc;
	rc = sk_store_state_each(c->store, contact_id, collect_pending, &x);
	if (rc)
		sk__store_err(err, rc, "reading consent state");
	for (size_t i = 0; !rc && i < x.list.n; i++) {
		const struct sk_state_rec *st = &x.list.st[i];
		struct sk_consent_req req = {.contact_id = contact_id, .purpose = st->purpose,
					     .action = SK_ACT_CONFIRM, .method = sk_method_name(SK_METHOD_MAIL_LINK),
					     .source = "mail:double-opt-in", .actor = "form",
					     .evidence_json = evidence_json,
					     .notice_version = st->notice_version};
		/* the language of the give it confirms */
		struct sk_event_rec given;
		int grc = sk_store_ledger_get(c->store, st->event_id, sk__copy_event, &given);
		req.lang = grc == 0 ? given.lang : "en";
		rc = sk_consent_record(c, &req, NULL, err);
	}
	if (rc) {
		sk_core_batch_rollback(c);
	} else if (!(rc = sk_core_batch_commit(c, err))) {
		*nconfirmed = (int)x.list.n;
	}
	sk_free(x.list.st);
	return rc;
}

struct expire_ctx {
	int64_t before;
	struct sk__states list;
};

static int collect_stale(void *arg, const struct sk_state_rec *st)
{
	struct expire_ctx *x = arg;
	if (sk_status_from_name(st->status) != SK_ST_PENDING || st->updated_at >= x->before)
		return 0;
	return sk__states_add(&x->list, st);
}

/* 1 when some state of the contact still holds a basis or a record worth keeping. */
static int holds_more(void *arg, const struct sk_state_rec *st)
{
	(void)arg;
	int s = sk_status_from_name(st->status);
	return s != SK_ST_PENDING && s != SK_ST_EXPIRED ? 1 : 0;
}

int sk_pending_expire(struct sk_core *c, int64_t now, int days, long *nexpired, long *ndeleted,
		      struct sk_errctx *err)
{
	struct expire_ctx x = {now - (int64_t)days * 86400, {0}};
	int rc;

	*nexpired = *ndeleted = 0;
	/* the pending states only (an index of them), not every consent state */
	rc = sk_store_state_pending_each(c->store, x.before, collect_stale, &x);
	if (rc) {
		sk_free(x.list.st);
		return sk__store_err(err, rc, "reading consent state");
	}
	const struct sk_state_rec *stale = x.list.st;
	/* One contact at a time, each in its own transaction: a crash leaves whole contacts. */
	for (size_t i = 0; !rc && i < x.list.n; i++) {
		const char *id = stale[i].contact_id;
		if ((rc = sk_core_batch_begin(c, err)))
			break;
		struct sk_consent_req req = {.contact_id = id, .purpose = stale[i].purpose,
					     .action = SK_ACT_EXPIRE, .method = sk_method_name(SK_METHOD_CLI),
					     .source = "pending-expiry", .actor = "samtycke",
					     .notice_version = stale[i].notice_version};
		rc = sk_consent_record(c, &req, NULL, err);
		int more = 0;
		if (!rc) {
			more = sk_store_state_each(c->store, id, holds_more, NULL);
			if (more < 0 || more > 1) {
				rc = sk__store_err(err, more, "reading consent state");
				more = 0;
			}
		}
		if (!rc && !more && (i + 1 == x.list.n || strcmp(stale[i + 1].contact_id, id) != 0)) {
			if (!(rc = sk__erasure_log(c, "erase", id, NULL, NULL, err)) &&
			    (rc = sk_store_contact_delete(c->store, id)))
				sk__store_err(err, rc, "deleting a contact");
			else if (!(rc = sk__scrub_mark(c, err)))
				(*ndeleted)++;
		}
		if (rc) {
			sk_core_batch_rollback(c);
			break;
		}
		if ((rc = sk_core_batch_commit(c, err)))
			break;
		(*nexpired)++;
	}
	/* Nothing of them may stay in the store's files: scrubbed now, or, while a reader holds
	 * the store, owed and retried (docs/rights.md). */
	int owed;
	if (!rc && *ndeleted)
		rc = sk_scrub_retry(c, &owed, err);
	sk_free(x.list.st);
	return rc;
}
