/* consent.c: the consent ledger and the state derived from it. Recording appends one
 * hash-chained event with its full evidence, moves the (contact, purpose) state by the one
 * transition function that replay uses too, and feeds the change sequence, all in one
 * transaction. Proof reads back who, when, where, how and the exact notice text. */
#include "core/core_int.h"

#include <string.h>

#include "util/mem.h"


/* The names of actions, statuses and methods: core/vocab.h. */

int sk__change_append(struct sk_core *c, enum sk_change_type t, const char *contact_id,
		      const char *purpose, const char *status, int64_t at, struct sk_errctx *err)
{
	return sk__change_append_seq(c, t, contact_id, purpose, status, at, NULL, err);
}

int sk__change_append_seq(struct sk_core *c, enum sk_change_type t, const char *contact_id,
			  const char *purpose, const char *status, int64_t at, int64_t *seq,
			  struct sk_errctx *err)
{
	struct sk_change_rec ch = {.at = at};
	int rc;
	sk_strlcpy(ch.type, sk_change_type_name(t), sizeof(ch.type));
	sk_strlcpy(ch.contact_id, contact_id ? contact_id : "", sizeof(ch.contact_id));
	sk_strlcpy(ch.purpose, purpose ? purpose : "", sizeof(ch.purpose));
	sk_strlcpy(ch.status, status ? status : "", sizeof(ch.status));
	if ((rc = sk_store_change_append(c->store, &ch)))
		sk__store_err(err, rc, "recording a change");
	else {
		c->changed = 1; /* the change hook runs after the commit (core/core.c) */
		if (seq)
			*seq = ch.seq;
	}
	return rc;
}

void sk_state_apply(struct sk_state_rec *st, const struct sk_event_rec *ev)
{
	enum sk_status next;
	switch (sk_action_from_name(ev->action)) {
	case SK_ACT_GIVE:
		next = (ev->flags & SK_EV_UNVERIFIED)      ? SK_ST_UNVERIFIED
		       : (ev->flags & SK_EV_DOUBLE_OPT_IN) ? SK_ST_PENDING
							   : SK_ST_GIVEN;
		break;
	case SK_ACT_CONFIRM:
		if (sk_status_from_name(st->status) != SK_ST_PENDING)
			return;
		next = SK_ST_GIVEN;
		break;
	case SK_ACT_REFUSE: next = SK_ST_REFUSED; break;
	case SK_ACT_WITHDRAW: next = SK_ST_WITHDRAWN; break;
	case SK_ACT_EXPIRE: next = SK_ST_EXPIRED; break;
	default: return; /* an altered row; the audit reports it */
	}
	sk_strlcpy(st->contact_id, ev->contact_id, sizeof(st->contact_id));
	sk_strlcpy(st->purpose, ev->purpose, sizeof(st->purpose));
	sk_strlcpy(st->status, sk_status_name(next), sizeof(st->status));
	sk_strlcpy(st->event_id, ev->id, sizeof(st->event_id));
	st->seq = ev->seq;
	st->updated_at = ev->occurred_at ? ev->occurred_at : ev->recorded_at;
	st->valid_until = ev->valid_until;
	st->notice_version = ev->notice_version;
}

enum sk_status sk_state_effective(const struct sk_state_rec *st, int64_t now)
{
	int s = sk_status_from_name(st->status);
	if (s < 0)
		return SK_ST_UNKNOWN;
	if (s == SK_ST_GIVEN && st->valid_until && now >= st->valid_until)
		return SK_ST_EXPIRED;
	return (enum sk_status)s;
}

enum sk_status sk_state_status(const struct sk_state *st, int64_t now)
{
	if (st->status == SK_ST_GIVEN && st->valid_until && now >= st->valid_until)
		return SK_ST_EXPIRED;
	return st->status;
}

/* Validates the request against the policy; fills what the event needs from it. */
static int req_check(struct sk_core *c, const struct sk_consent_req *req,
		     const struct sk_purpose **outp, struct sk_purpose *ghost,
		     struct sk_notice_rec *notice, struct sk_errctx *err)
{
	const char *lang = req->lang ? req->lang : "en";
	int rc;

	if ((rc = sk_core_need_policy(c, err)))
		return rc;
	const struct sk_purpose *p = sk_policy_purpose(c->policy, req->purpose ? req->purpose : "");
	/* A purpose dropped from the policy (policy apply --force) can still see its pending
	 * consents lapse: the notice they named is still stored. */
	if (!p && req->purpose && req->action == SK_ACT_EXPIRE && req->notice_version > 0) {
		ghost->id = (char *)req->purpose;
		p = ghost;
	}
	if (!p)
		return sk_errf(err, SK_ERR_UNKNOWN_PURPOSE, "purpose '%.63s' is not in the policy",
			       req->purpose ? req->purpose : "");
	if ((int)req->action < 0 || req->action > SK_ACT_EXPIRE)
		return sk_errf(err, SK_ERR_INVALID, "action must be give, refuse, withdraw, confirm or expire");
	if (!req->method || !sk_method_valid(req->method))
		return sk_errf(err, SK_ERR_INVALID, "method must be one of form, preference_centre, "
			       "import, api, cli, mail_link, one_click, phone, paper, banner");
	if (req->source && strlen(req->source) >= sizeof(((struct sk_event_rec *)0)->source))
		return sk_errf(err, SK_ERR_INVALID, "source is longer than 255 bytes");
	if (req->actor && strlen(req->actor) >= sizeof(((struct sk_event_rec *)0)->actor))
		return sk_errf(err, SK_ERR_INVALID, "actor is longer than 127 bytes");
	if (sk_lang_from_name(lang) < 0)
		return sk_errf(err, SK_ERR_INVALID, "lang must be sv or en");
	if (req->notice_version < 0)
		return sk_errf(err, SK_ERR_INVALID, "notice_version must be positive");
	if (req->occurred_at > sk_time_now() + SK__FUTURE_SLACK)
		return sk_errf(err, SK_ERR_INVALID, "occurred_at is in the future");
	int version = req->notice_version ? req->notice_version : p->notice_version;
	rc = sk_store_notice_get(c->store, p->id, version, lang, notice);
	if (rc == SK_ERR_NOT_FOUND)
		return sk_errf(err, SK_ERR_INVALID, "purpose '%s' has no notice version %d in '%s'",
			       p->id, version, lang);
	if (rc)
		return sk__store_err(err, rc, "reading a notice");
	*outp = p;
	return 0;
}

/* Finds or (for an address never seen) creates the contact; refuses suppressed addresses for
 * anything that would bring them back. */
static int resolve_contact(struct sk_core *c, const struct sk_consent_req *req,
			   struct sk_contact_rec *rec, struct sk_errctx *err)
{
	struct sk__addr a;
	uint8_t dk[SK_VAULT_KEY_LEN];
	struct sk_gate_rec g;
	int rc, brings_back = req->action == SK_ACT_GIVE || req->action == SK_ACT_CONFIRM;

	if (req->contact_id) {
		rc = sk_store_contact_by_id(c->store, req->contact_id, rec);
		if (rc == SK_ERR_NOT_FOUND)
			return sk_errf(err, rc, "no such contact");
		return rc ? sk__store_err(err, rc, "reading a contact") : 0;
	}
	if ((rc = sk__addr_parse(c, req->email, &a, err)))
		return rc;
	rc = sk__addr_lookup(c, &a, req->purpose, &g);
	if (rc) {
		sk__store_err(err, rc, "looking up a contact");
		goto out;
	}
	if (g.suppressed && (brings_back || !g.found)) {
		rc = sk_errf(err, SK_ERR_SUPPRESSED, "the address is on the suppression list (%s)",
			     g.suppress_reason);
		goto out;
	}
	if (g.found) {
		rc = sk_store_contact_by_id(c->store, g.contact_id, rec);
		if (rc)
			sk__store_err(err, rc, "reading a contact");
		goto out;
	}
	if (req->action == SK_ACT_CONFIRM || req->action == SK_ACT_EXPIRE) {
		rc = sk_errf(err, SK_ERR_NOT_FOUND, "no contact has this address");
		goto out;
	}
	rc = sk__contact_create(c, a.written, a.key, rec, dk, err);
	if (!rc)
		rc = sk__change_append(c, SK_CHG_CONTACT, rec->id, NULL, NULL, rec->created_at, err);
out:
	sk__addr_wipe(&a);
	sk_vault_wipe(dk, sizeof(dk));
	return rc;
}

static int seal_evidence(struct sk_core *c, const struct sk_event_rec *ev, const char *json,
			 uint8_t **out, size_t *outlen, struct sk_errctx *err)
{
	uint8_t dk[SK_VAULT_KEY_LEN];
	char ad[128];
	int rc = sk__datakey(c, ev->contact_id, dk, err);
	if (rc)
		return rc;
	sk__seal_ad(ev->contact_id, ev->id, ad);
	rc = sk_vault_seal(dk, ad, json, strlen(json), out, outlen);
	sk_vault_wipe(dk, sizeof(dk));
	return rc ? sk_errf(err, rc, "out of memory") : 0;
}

/* sk_consent_record; outstate (may be NULL) gets the state the event left, as written in
 * the same transaction. */
static int record(struct sk_core *c, const struct sk_consent_req *req,
		  struct sk_consent_event *out, struct sk_state *outstate, int64_t *change_seq,
		  struct sk_errctx *err)
{
	const struct sk_purpose *p = NULL;
	struct sk_purpose ghost = {0};
	struct sk_notice_rec notice;
	struct sk_contact_rec contact;
	struct sk_state_rec st = {.status = "unknown"};
	struct sk_event_rec ev = {0};
	uint8_t *evidence = NULL;
	int64_t now = sk_time_now();
	int rc, ndeleted = 0;

	if ((rc = req_check(c, req, &p, &ghost, &notice, err)))
		return rc;
	if ((rc = sk__core_begin(c, err)))
		return rc;
	if ((rc = resolve_contact(c, req, &contact, err)))
		goto out;
	rc = sk_store_state_get(c->store, contact.id, p->id, &st);
	if (rc && rc != SK_ERR_NOT_FOUND) {
		sk__store_err(err, rc, "reading consent state");
		goto out;
	}
	rc = 0;
	if (req->action == SK_ACT_CONFIRM && sk_status_from_name(st.status) != SK_ST_PENDING) {
		rc = sk_errf(err, SK_ERR_INVALID, "nothing to confirm: the consent is not pending");
		goto out;
	}
	if ((rc = sk_store_ledger_last(c->store, &ev.seq, ev.prev_hash))) {
		sk__store_err(err, rc, "reading the ledger head");
		goto out;
	}
	ev.seq++;
	if (sk_id_new("e_", ev.id)) {
		rc = sk_errf(err, SK_ERR_IO, "no randomness for an id");
		goto out;
	}
	sk_strlcpy(ev.contact_id, contact.id, sizeof(ev.contact_id));
	sk_strlcpy(ev.purpose, p->id, sizeof(ev.purpose));
	sk_strlcpy(ev.action, sk_action_name(req->action), sizeof(ev.action));
	sk_strlcpy(ev.method, req->method, sizeof(ev.method));
	/* a URL in the source keeps scheme, host and path only (docs/rights.md) */
	sk_source_strip(req->source ? req->source : "", ev.source, sizeof(ev.source));
	sk_strlcpy(ev.lang, notice.lang, sizeof(ev.lang));
	sk_strlcpy(ev.actor, req->actor ? req->actor : "", sizeof(ev.actor));
	ev.recorded_at = now;
	ev.notice_version = notice.version;
	memcpy(ev.notice_sha256, notice.sha256, SK_HASH_LEN);

	/* A live consent happens when it is recorded; an imported one must say when. */
	int is_import = sk_method_from_name(req->method) == SK_METHOD_IMPORT;
	ev.occurred_at = req->occurred_at ? req->occurred_at : is_import ? 0 : now;
	if (req->action == SK_ACT_GIVE) {
		if (ev.occurred_at == 0 || ev.source[0] == '\0')
			ev.flags |= SK_EV_UNVERIFIED;
		else if (p->double_opt_in || req->double_opt_in)
			ev.flags |= SK_EV_DOUBLE_OPT_IN;
	}
	if ((req->action == SK_ACT_GIVE && !(ev.flags & SK_EV_UNVERIFIED)) ||
	    req->action == SK_ACT_CONFIRM)
		ev.valid_until = p->validity.n ? sk_time_add(ev.occurred_at, p->validity) : 0;

	if (req->evidence_json && *req->evidence_json) {
		if ((rc = seal_evidence(c, &ev, req->evidence_json, &evidence, &ev.evidence_len, err)))
			goto out;
		ev.evidence = evidence;
	}
	ev.hash_version = SK_LEDGER_HASH_CURRENT;
	sk_ledger_hash(&ev, ev.hash);
	if ((rc = sk_store_ledger_append(c->store, &ev))) {
		sk__store_err(err, rc, "appending to the ledger");
		goto out;
	}
	sk_state_apply(&st, &ev);
	if ((rc = sk_store_state_put(c->store, &st))) {
		sk__store_err(err, rc, "storing consent state");
		goto out;
	}
	/* Data goes when its basis goes: fields no live purpose needs are deleted now. */
	if (req->action == SK_ACT_WITHDRAW || req->action == SK_ACT_REFUSE ||
	    req->action == SK_ACT_EXPIRE) {
		if ((rc = sk__fields_cleanup(c, contact.id, &ndeleted, err)))
			goto out;
		/* lead_scoring: score and history go; ip_tracking: addresses truncated */
		if ((rc = sk__track_basis_ended(c, contact.id, p->id, err)))
			goto out;
	}
	rc = sk__change_append_seq(c, SK_CHG_CONSENT, contact.id, p->id, st.status, now, change_seq,
				   err);
	/* Fields deleted with the basis: a "contact" change after the consent change, so that a
	 * system holding copies of them learns to delete them too (docs/rights.md). */
	if (!rc && ndeleted)
		rc = sk__change_append(c, SK_CHG_CONTACT, contact.id, NULL, NULL, now, err);
out:
	rc = sk__core_end(c, rc, err);
	sk_free(evidence);
	/* cannot fail: the action and the method were checked against their lists */
	if (!rc && out)
		(void)sk__event_from_rec(&ev, out, NULL);
	if (!rc && outstate)
		sk__state_from_rec(&st, outstate);
	return rc;
}

int sk_consent_record(struct sk_core *c, const struct sk_consent_req *req,
		      struct sk_consent_event *out, struct sk_errctx *err)
{
	return record(c, req, out, NULL, NULL, err);
}

int sk_consent_record_state(struct sk_core *c, const struct sk_consent_req *req,
			    struct sk_consent_event *out, struct sk_state *state,
			    int64_t *change_seq, struct sk_errctx *err)
{
	return record(c, req, out, state, change_seq, err);
}

int sk_consent_state(struct sk_core *c, const char *contact_id, const char *purpose,
		     struct sk_state *out, struct sk_errctx *err)
{
	struct sk_state_rec r;
	int rc = sk_store_state_get(c->store, contact_id, purpose, &r);
	if (rc == SK_ERR_NOT_FOUND)
		return sk_errf(err, rc, "no consent event for this purpose");
	if (rc)
		return sk__store_err(err, rc, "reading consent state");
	sk__state_from_rec(&r, out);
	return 0;
}

int sk_consent_states(struct sk_core *c, const char *contact_id, sk_state_fn cb, void *arg,
		      struct sk_errctx *err)
{
	struct sk__relay x = {.state = cb, .arg = arg};
	int rc = sk_store_state_each(c->store, contact_id, sk__relay_state, &x);
	return rc ? sk__relay_err(err, rc, &x, "reading consent state") : 0;
}

int sk_consent_history(struct sk_core *c, const char *contact_id, sk_consent_event_fn cb,
		       void *arg, struct sk_errctx *err)
{
	struct sk__relay x = {.event = cb, .arg = arg};
	int rc = sk_store_ledger_each(c->store, contact_id, 0, sk__relay_event, &x);
	return rc ? sk__relay_err(err, rc, &x, "reading the ledger") : 0;
}

int sk_consent_overview(struct sk_core *c, const char *contact_id, sk_state_fn state,
			void *state_arg, sk_consent_event_fn event, void *event_arg,
			struct sk_errctx *err)
{
	int rc = sk_core_read_begin(c, err);
	if (rc)
		return rc;
	if (!(rc = sk_contact_exists(c, contact_id, err)) &&
	    !(rc = sk_consent_states(c, contact_id, state, state_arg, err)))
		rc = sk_consent_history(c, contact_id, event, event_arg, err);
	sk_core_read_end(c);
	return rc;
}

void sk_proof_reset(struct sk_proof *p)
{
	sk_free(p->notice_text);
	sk_free(p->evidence_json);
	sk_free(p->given_evidence_json);
	memset(p, 0, sizeof(*p));
}

struct proof_ctx {
	struct sk_proof *p;
	struct sk_core *c;
	const uint8_t *dk; /* NULL when the data key is gone */
	int rc;
	struct sk_errctx *err;
};

/* The event as the proof hands it out; a corrupt row fails the proof. */
static int proof_copy(struct proof_ctx *x, const struct sk_event_rec *ev,
		      struct sk_consent_event *out)
{
	const char *where = NULL;
	if (sk__event_from_rec(ev, out, &where))
		return x->rc = sk__corrupt_word(x->err, "reading the ledger", where);
	return 0;
}

/* Opens ev's sealed evidence into *out (left NULL when there is none or the key is gone). */
static int open_evidence(struct proof_ctx *x, const struct sk_event_rec *ev, char **out)
{
	char ad[128];
	size_t len;
	if (!ev->evidence || !x->dk)
		return 0;
	sk__seal_ad(ev->contact_id, ev->id, ad);
	if (sk_vault_unseal(x->dk, ad, ev->evidence, ev->evidence_len, out, &len))
		return x->rc = sk_errf(x->err, SK_ERR_CRYPTO, "evidence of event %lld cannot be opened",
				       (long long)ev->seq);
	return 0;
}

static int proof_event(void *arg, const struct sk_event_rec *ev)
{
	struct proof_ctx *x = arg;
	struct sk_proof *p = x->p;
	if (strcmp(ev->purpose, p->state.purpose) != 0 || ev->seq > p->state.seq)
		return 0;
	if (sk_action_from_name(ev->action) == SK_ACT_GIVE && ev->seq < p->state.seq) {
		if (proof_copy(x, ev, &p->given))
			return x->rc;
		sk_free(p->given_evidence_json);
		p->given_evidence_json = NULL;
		if (open_evidence(x, ev, &p->given_evidence_json))
			return x->rc;
	}
	if (ev->seq != p->state.seq)
		return 0;
	if (proof_copy(x, ev, &p->event))
		return x->rc;
	if (sk_action_from_name(ev->action) != SK_ACT_CONFIRM) {
		p->given.seq = 0;
		sk_free(p->given_evidence_json);
		p->given_evidence_json = NULL;
	}
	if (open_evidence(x, ev, &p->evidence_json))
		return x->rc;
	return 1; /* found: stop */
}

int sk_consent_proof(struct sk_core *c, const char *email, const char *purpose,
		     struct sk_proof *out, struct sk_errctx *err)
{
	char id[SK_ID_LEN + 1];
	uint8_t dk[SK_VAULT_KEY_LEN];
	struct sk_notice_rec n;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = sk_contact_find(c, email, id, err)))
		return rc;
	if ((rc = sk_consent_state(c, id, purpose, &out->state, err)))
		return rc;
	rc = sk__datakey(c, id, dk, err);
	if (rc && rc != SK_ERR_NOT_FOUND)
		return rc;
	out->evidence_shredded = rc == SK_ERR_NOT_FOUND;
	struct proof_ctx x = {out, c, rc ? NULL : dk, 0, err};
	rc = sk_store_ledger_each(c->store, id, 0, proof_event, &x);
	sk_vault_wipe(dk, sizeof(dk));
	if (x.rc)
		rc = x.rc;
	else if (rc == 1)
		rc = 0;
	else if (rc)
		sk__store_err(err, rc, "reading the ledger");
	else
		rc = sk_errf(err, SK_ERR_CHAIN_BROKEN, "the event behind the state is missing from "
			     "the ledger: run 'samtycke audit verify'");
	if (!rc) {
		rc = sk_store_notice_get(c->store, purpose, out->event.notice_version,
					 out->event.lang, &n);
		if (rc)
			sk__store_err(err, rc, "reading the notice shown");
		else if (!(out->notice_text = sk_strdup(n.text)))
			rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
	}
	if (rc)
		sk_proof_reset(out);
	return rc;
}

int sk__purpose_proof(struct sk_core *c, const char *contact_id, const char *email,
		      const char *purpose, int64_t now, enum sk_status *status,
		      struct sk_proof *out, struct sk_errctx *err)
{
	struct sk_state st;
	*status = SK_ST_UNKNOWN;
	int rc = sk_consent_state(c, contact_id, purpose, &st, err);
	if (rc == SK_ERR_NOT_FOUND) {
		sk_errctx_reset(err);
		return 0;
	}
	if (rc)
		return rc;
	*status = sk_state_status(&st, now);
	return (rc = sk_consent_proof(c, email, purpose, out, err)) ? rc : 1;
}
