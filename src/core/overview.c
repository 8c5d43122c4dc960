/* overview.c: the figures of the staff console's overview (docs/console.md, "The overview"):
 * per purpose what the gate answers now, gives and withdrawals per week, the ledger head and
 * the last audit, webhook lag, the mail outbox and the suppression list. Counts only, read
 * in one snapshot through the store's aggregates; never a row about a person. */
#include "core/core_int.h"
#include "core/webhook.h"

#include <stdio.h>
#include <string.h>

#include "util/mem.h"

#define META_AUDIT_LAST "audit_last"

static const char *const ov_names[] = {
#define SK__OV_NAME(n, s) s,
	SK_OV_COUNT_LIST(SK__OV_NAME)
#undef SK__OV_NAME
};

const char *sk_ov_count_name(enum sk_ov_count i)
{
	return (unsigned)i < SK_OV_NCOUNTS ? ov_names[i] : "?";
}

/* ---- the last audit (meta "audit_last": "AT EVENTS FIRST_BAD_SEQ") ---- */

int sk_audit_record(struct sk_core *c, const struct sk_audit *a, int64_t at,
		    struct sk_errctx *err)
{
	char v[96];
	snprintf(v, sizeof(v), "%lld %lld %lld", (long long)at, (long long)a->events,
		 (long long)(a->broken ? a->first_bad_seq : 0));
	int rc = sk_store_meta_set(c->store, META_AUDIT_LAST, v);
	return rc ? sk__store_err(err, rc, "recording the audit's result") : 0;
}

int sk_audit_last(struct sk_core *c, struct sk_audit_last *out, struct sk_errctx *err)
{
	char v[96];
	long long at, events, bad;
	memset(out, 0, sizeof(*out));
	int rc = sk_store_meta_get(c->store, META_AUDIT_LAST, v, sizeof(v));
	if (rc == SK_ERR_NOT_FOUND)
		return 0;
	if (rc)
		return sk__store_err(err, rc, "reading the last audit's result");
	if (sscanf(v, "%lld %lld %lld", &at, &events, &bad) != 3 || at <= 0 || events < 0 ||
	    bad < 0)
		return sk_errf(err, SK_ERR_CORRUPT, "meta.%s is not an audit's result",
			       META_AUDIT_LAST);
	out->at = at;
	out->events = events;
	out->first_bad_seq = bad;
	return 0;
}

/* ---- the figures ---- */

void sk_overview_reset(struct sk_overview *o)
{
	sk_free(o->purposes);
	sk_free(o->webhooks);
	sk_free(o->supp);
	memset(o, 0, sizeof(*o));
}

/* Monday 00:00 UTC of the week holding t (1970-01-01 was a Thursday). */
static int64_t week_of(int64_t t)
{
	int64_t day = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int64_t dow = ((day + 3) % 7 + 7) % 7; /* 0: Monday */
	return (day - dow) * 86400;
}

/* One group of states: the status the gate sees at o->now, bucketed by the gate's rule. */
static int state_group(void *arg, const struct sk_tally_rec *t)
{
	struct sk_overview *o = arg;
	struct sk_overview_purpose *op = NULL;
	for (size_t i = 0; i < o->npurposes; i++)
		if (strcmp(o->purposes[i].purpose->id, t->a) == 0)
			op = &o->purposes[i];
	if (!op)
		return 0; /* a purpose no longer in the policy: the gate knows it not */
	if (t->y) { /* suppressed: the gate denies whatever the state */
		op->n[SK_OV_SUPPRESSED] += t->count;
		return 0;
	}
	/* the group's effective status, by the same function the gate uses: a valid_until at
	 * or before now (t->x) stands for any such time */
	struct sk_state_rec st;
	memset(&st, 0, sizeof(st));
	sk_strlcpy(st.status, t->b, sizeof(st.status));
	st.valid_until = t->x ? o->now : 0;
	enum sk_status s = sk_state_effective(&st, o->now);
	enum sk_ov_count k;
	if (s != SK_ST_UNKNOWN && sk__gate_allows(op->purpose->basis, s))
		k = SK_OV_ALLOWED;
	else if (s == SK_ST_WITHDRAWN)
		k = SK_OV_WITHDRAWN;
	else if (s == SK_ST_REFUSED)
		k = SK_OV_REFUSED;
	else if (s == SK_ST_EXPIRED)
		k = SK_OV_EXPIRED;
	else if (s == SK_ST_PENDING)
		k = SK_OV_PENDING;
	else if (s == SK_ST_UNVERIFIED)
		k = SK_OV_UNVERIFIED;
	else
		return 0; /* a word that is no status (a tampered row): the audit's business */
	op->n[k] += t->count;
	return 0;
}

static int ledger_group(void *arg, const struct sk_tally_rec *t)
{
	struct sk_overview *o = arg;
	if (t->x < 0 || t->x >= SK_OV_WEEKS)
		return 0; /* occurred after this week (a clock ahead) */
	switch (sk_action_from_name(t->a)) {
	case SK_ACT_GIVE:
		/* a give that waits for its confirmation, or claims a consent without evidence,
		 * gives nothing the gate relies on (yet) */
		if (!(t->y & (SK_EV_DOUBLE_OPT_IN | SK_EV_UNVERIFIED)))
			o->gives[t->x] += t->count;
		break;
	case SK_ACT_CONFIRM: o->gives[t->x] += t->count; break;
	case SK_ACT_WITHDRAW: o->withdrawals[t->x] += t->count; break;
	default: break;
	}
	return 0;
}

static int supp_group(void *arg, const struct sk_tally_rec *t)
{
	struct sk_overview *o = arg;
	struct sk_overview_supp *n = sk_realloc(o->supp, (o->nsupp + 1) * sizeof(*n));
	if (!n)
		return SK_ERR_NOMEM;
	o->supp = n;
	sk_strlcpy(n[o->nsupp].reason, t->a, sizeof(n[o->nsupp].reason));
	n[o->nsupp++].n = t->count;
	return 0;
}

/* What the overview and GET /metrics (sk_health) both read, in the caller's snapshot: the
 * ledger's head, the last audit, the webhook endpoints and the outbox's counts. */
struct ops_figures {
	int64_t *ledger_seq;
	uint8_t *ledger_head;          /* SK_HASH_LEN bytes */
	struct sk_audit_last *verify;
	struct sk_webhook_info **webhooks;
	size_t *nwebhooks;
	int64_t *outbox_waiting, *outbox_oldest, *outbox_failed;
	long pending_limit; /* < 0: every endpoint, pending counted in full (the overview) */
};

/* One group of the outbox's tally: waiting (neither sent nor given up) or given up. */
static int outbox_group(void *arg, const struct sk_tally_rec *t)
{
	const struct ops_figures *x = arg;
	if (!t->x && !t->y) {
		*x->outbox_waiting += t->count;
		*x->outbox_oldest = t->min;
	} else if (t->y) {
		*x->outbox_failed += t->count;
	}
	return 0;
}

static int ops_read(struct sk_core *c, const struct ops_figures *x, struct sk_errctx *err)
{
	int rc = sk_store_ledger_last(c->store, x->ledger_seq, x->ledger_head);
	if (rc == SK_ERR_NOT_FOUND) {
		*x->ledger_seq = 0;
		memset(x->ledger_head, 0, SK_HASH_LEN);
		rc = 0;
	}
	if (rc)
		return sk__store_err(err, rc, "reading the ledger's head");
	if ((rc = sk_audit_last(c, x->verify, err)) ||
	    (rc = x->pending_limit < 0
			  ? sk_webhook_list(c, x->webhooks, x->nwebhooks, err)
			  : sk_webhook_list_enabled(c, x->pending_limit, x->webhooks,
						    x->nwebhooks, err)))
		return rc;
	if ((rc = sk_store_outbox_tally(c->store, outbox_group, (void *)x)))
		return sk__store_err(err, rc, "counting the mail outbox");
	return 0;
}

int sk_overview(struct sk_core *c, int64_t now, struct sk_overview *out, struct sk_errctx *err)
{
	struct sk_overview o;
	int rc;

	memset(&o, 0, sizeof(o));
	memset(out, 0, sizeof(*out));
	o.now = now;
	o.policy = c->policy;
	o.policy_version = c->policy_version;
	int64_t first = week_of(now) - (SK_OV_WEEKS - 1) * (int64_t)SK_OV_WEEK;
	for (int i = 0; i < SK_OV_WEEKS; i++)
		o.week_start[i] = first + i * (int64_t)SK_OV_WEEK;
	if ((rc = sk_core_read_begin(c, err)))
		return rc;
	if (c->policy && c->policy->npurposes) {
		if (!(o.purposes = sk_calloc(c->policy->npurposes, sizeof(*o.purposes)))) {
			rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
			goto out;
		}
		o.npurposes = c->policy->npurposes;
		for (size_t i = 0; i < o.npurposes && !rc; i++) {
			o.purposes[i].purpose = &c->policy->purposes[i];
			rc = sk_store_request_count(c->store, c->policy->purposes[i].id, now,
						    &o.purposes[i].requests);
			if (rc)
				rc = sk__store_err(err, rc, "counting form requests");
		}
		if (rc)
			goto out;
	}
	if ((rc = sk_store_state_tally(c->store, now, state_group, &o))) {
		rc = sk__store_err(err, rc, "counting consent states");
		goto out;
	}
	if ((rc = sk_store_ledger_tally(c->store, first, SK_OV_WEEK, ledger_group, &o))) {
		rc = sk__store_err(err, rc, "counting ledger events");
		goto out;
	}
	struct ops_figures x = {&o.ledger_seq, o.ledger_head, &o.verify, &o.webhooks,
				&o.nwebhooks, &o.outbox_waiting, &o.outbox_oldest, &o.outbox_failed,
				-1};
	if ((rc = ops_read(c, &x, err)))
		goto out;
	if ((rc = sk_store_suppression_tally(c->store, supp_group, &o)))
		rc = sk__store_err(err, rc, "counting the suppression list");
out:
	sk_core_read_end(c);
	if (rc) {
		sk_overview_reset(&o);
		return rc;
	}
	*out = o;
	return 0;
}

/* ---- the figures of GET /metrics ---- */

void sk_health_reset(struct sk_health *h)
{
	sk_free(h->webhooks);
	memset(h, 0, sizeof(*h));
}

int sk_health(struct sk_core *c, struct sk_health *out, struct sk_errctx *err)
{
	struct sk_health h;
	int rc;

	memset(&h, 0, sizeof(h));
	memset(out, 0, sizeof(*out));
	if ((rc = sk_core_read_begin(c, err)))
		return rc;
	uint8_t head[SK_HASH_LEN];
	struct ops_figures x = {&h.ledger_seq, head, &h.verify, &h.webhooks, &h.nwebhooks,
				&h.outbox_waiting, &h.outbox_oldest, &h.outbox_failed,
				SK_HEALTH_PENDING_MAX};
	if (!(rc = ops_read(c, &x, err)) && (rc = sk_store_db_size(c->store, &h.db_bytes)))
		rc = sk__store_err(err, rc, "reading the database's size");
	sk_core_read_end(c);
	if (rc) {
		sk_health_reset(&h);
		return rc;
	}
	*out = h;
	return 0;
}

/* ---- notices and the policy lint (the purposes page) ---- */

void sk_notice_history_reset(struct sk_notice_history *h)
{
	for (size_t i = 0; i < h->nv; i++)
		for (int l = 0; l < SK_NLANG; l++)
			sk_free(h->v[i].text[l]);
	sk_free(h->v);
	memset(h, 0, sizeof(*h));
}

int sk_notice_history(struct sk_core *c, const char *purpose, struct sk_notice_history *out,
		      struct sk_errctx *err)
{
	static const char *const langs[SK_NLANG] = {"sv", "en"};
	struct sk_notice_history h;
	struct sk_notice_rec n;
	int latest = 0, rc;

	memset(&h, 0, sizeof(h));
	memset(out, 0, sizeof(*out));
	sk_strlcpy(h.purpose, purpose, sizeof(h.purpose));
	if ((rc = sk_core_read_begin(c, err)))
		return rc;
	if ((rc = sk_store_notice_latest(c->store, purpose, &latest))) {
		rc = sk__store_err(err, rc, "reading the notice's versions");
		goto out;
	}
	if (latest > 0 && !(h.v = sk_calloc((size_t)latest, sizeof(*h.v)))) {
		rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (int v = 1; v <= latest && !rc; v++) {
		struct sk_notice_version *nv = &h.v[h.nv++];
		nv->version = v;
		for (int l = 0; l < SK_NLANG && !rc; l++) {
			rc = sk_store_notice_get(c->store, purpose, v, langs[l], &n);
			if (rc == SK_ERR_NOT_FOUND) {
				rc = 0;
				continue;
			}
			if (rc) {
				rc = sk__store_err(err, rc, "reading a notice");
				break;
			}
			if (!nv->since || n.created_at < nv->since)
				nv->since = n.created_at;
			if (!(nv->text[l] = sk_strdup(n.text ? n.text : "")))
				rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
		}
	}
out:
	sk_core_read_end(c);
	if (rc) {
		sk_notice_history_reset(&h);
		return rc;
	}
	*out = h;
	return 0;
}

int sk_policy_lint(struct sk_core *c, struct sk_policy_lint *out, struct sk_errctx *err)
{
	char *text = NULL;
	size_t len = 0;
	struct sk_policy *pol = NULL;
	struct sk_errctx perr = {0};
	int version = 0;
	int64_t at = 0;

	memset(out, 0, sizeof(*out));
	int rc = sk_store_policy_get(c->store, &text, &len, &version, &at);
	if (rc == SK_ERR_NOT_FOUND)
		return 0;
	if (rc)
		return sk__store_err(err, rc, "reading the applied policy");
	out->version = version;
	out->applied_at = at;
	/* today's checks, all of them (sk_policy_parse, not the stored-policy flags) */
	rc = sk_policy_parse(text, len, "policy", &pol, &perr);
	sk_free(text);
	if (rc == SK_ERR_NOMEM) {
		sk_errctx_reset(&perr);
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	}
	out->ok = rc == 0;
	if (rc)
		sk_strlcpy(out->finding, perr.msg, sizeof(out->finding));
	sk_errctx_reset(&perr);
	sk_policy_free(pol);
	return 0;
}
