/* gate.c: the only way to ask "may we?". One store call reads suppression, contact and
 * state (more read the suppression list under the legacy keys of an address with non-ASCII
 * letters: core/canon.c; one more, only when nothing is recorded, asks for an unconfirmed
 * form request); the answer is allowed or denied with a reason code and the consent relied
 * on. It fails closed: whatever goes wrong, the answer is denied with reason "error". The
 * export's candidates are decided by the same rule from the state their walk read. */
#include "core/core_int.h"

#include <string.h>

#include "util/mem.h"
#include "util/metrics.h"

_Static_assert(SK_NREASONS <= SK_METRICS_REASONS, "the gate's reasons fit the metrics' slots");

/* The reasons are SK_REASON_LIST (core/vocab.h). */
static enum sk_reason consent_reason(enum sk_status s)
{
	switch (s) {
	case SK_ST_GIVEN: return SK_RSN_CONSENT;
	case SK_ST_PENDING: return SK_RSN_PENDING_CONFIRMATION;
	case SK_ST_REFUSED: return SK_RSN_REFUSED;
	case SK_ST_WITHDRAWN: return SK_RSN_WITHDRAWN;
	case SK_ST_EXPIRED: return SK_RSN_EXPIRED;
	case SK_ST_UNVERIFIED: return SK_RSN_UNVERIFIED;
	default: return SK_RSN_NO_CONSENT;
	}
}

/* The gate's rule: whether a purpose on basis b allows an address, not suppressed, whose
 * effective status is s. sk_gate_check and sk_gate_candidates both ask it. */
static int basis_allows(enum sk_basis b, enum sk_status s)
{
	switch (b) {
	case SK_BASIS_CONSENT: return s == SK_ST_GIVEN;
	/* allowed unless the person objected (refused or withdrew) */
	case SK_BASIS_LEGITIMATE_INTEREST: return s != SK_ST_REFUSED && s != SK_ST_WITHDRAWN;
	case SK_BASIS_CONTRACT: return 1;
	case SK_BASIS_LEGAL_OBLIGATION: return 1;
	}
	return 0;
}

int sk__gate_allows(enum sk_basis b, enum sk_status s)
{
	return basis_allows(b, s);
}

/* The answer for purpose p from what was read about the address (g; key its email_key):
 * sk_gate_check and sk_gate_check_candidate both end here. out->reason is SK_RSN_ERROR on
 * entry and stays so when a store call fails. */
static void gate_decide(struct sk_core *c, const struct sk_purpose *p,
			const struct sk_gate_rec *g, const uint8_t key[SK_HASH_LEN], int64_t now,
			struct sk_gate_result *out)
{
	if (g->suppressed) {
		/* the suppression's own reason "erased" marks an erasure (core/rights.c) */
		int erased = strcmp(g->suppress_reason, "erased") == 0;
		out->reason = erased ? SK_RSN_ERASED : SK_RSN_SUPPRESSED;
		return;
	}
	if (g->found)
		memcpy(out->contact_id, g->contact_id, sizeof(out->contact_id));
	enum sk_status s = g->has_state ? sk_state_effective(&g->state, now) : SK_ST_UNKNOWN;
	if (g->has_state && s != SK_ST_UNKNOWN) {
		memcpy(out->consent_id, g->state.event_id, sizeof(out->consent_id));
		out->valid_until = g->state.valid_until;
	}
	/* A stored state whose status is no status (a tampered database) reads as nothing
	 * recorded, which denies a consent; a legitimate interest would allow it, so there the
	 * answer is denied with the error reason: the gate never allows on a word it cannot
	 * read. */
	if (g->has_state && s == SK_ST_UNKNOWN && p->basis == SK_BASIS_LEGITIMATE_INTEREST)
		return; /* out->reason stays SK_RSN_ERROR, not allowed */

	switch (p->basis) {
	case SK_BASIS_CONSENT:
		/* Nothing recorded yet, but a form submission waits for the person's confirmation:
		 * asked only on this denied path, so that an allowed check stays one lookup. */
		if (s == SK_ST_UNKNOWN) {
			int held = 0;
			if (sk_store_request_pending(c->store, key, p->id, now, &held))
				return;
			if (held)
				s = SK_ST_PENDING;
		}
		out->reason = consent_reason(s);
		out->allowed = basis_allows(p->basis, s);
		break;
	case SK_BASIS_LEGITIMATE_INTEREST:
		out->allowed = basis_allows(p->basis, s);
		out->reason = out->allowed ? SK_RSN_LEGITIMATE_INTEREST : SK_RSN_OBJECTED;
		break;
	case SK_BASIS_CONTRACT:
		out->allowed = basis_allows(p->basis, s);
		out->reason = SK_RSN_CONTRACT;
		break;
	case SK_BASIS_LEGAL_OBLIGATION:
		out->allowed = basis_allows(p->basis, s);
		out->reason = SK_RSN_LEGAL_OBLIGATION;
		break;
	}
}

/* The gate for one address and purpose; with cand (an address the candidate walk found),
 * what the walk already read in this snapshot stands for the gate's own lookup when the
 * address's key is the one the state is stored under. canon (may be NULL) gets the
 * canonical address. */
static void gate_answer(struct sk_core *c, const struct sk_gate_candidate *cand,
			const char *email, const char *purpose, int64_t now,
			struct sk_gate_result *out, char *canon)
{
	const struct sk_purpose *p;
	struct sk__addr a;
	struct sk_gate_rec g;
	uint8_t key[SK_HASH_LEN];
	int rc;

	memset(out, 0, sizeof(*out));
	out->reason = SK_RSN_ERROR;
	if (canon)
		canon[0] = '\0';
	p = c->policy && purpose ? sk_policy_purpose(c->policy, purpose) : NULL;
	if (!p) {
		out->reason = SK_RSN_UNKNOWN_PURPOSE;
		return;
	}
	if (sk__addr_parse(c, email, &a, NULL)) {
		out->reason = SK_RSN_INVALID_EMAIL;
		return;
	}
	if (canon)
		memcpy(canon, a.canon, sizeof(a.canon));
	if (cand && sk_vault_equal(a.key, cand->email_key, SK_HASH_LEN) &&
	    strcmp(cand->state.purpose, p->id) == 0) {
		/* what the gate's lookup would read under this key, in this snapshot: the walk's
		 * state, and no suppression under the key (the walk's NOT EXISTS) */
		memset(&g, 0, sizeof(g));
		g.found = 1;
		memcpy(g.contact_id, cand->state.contact_id, sizeof(g.contact_id));
		g.has_state = 1;
		g.state = cand->state;
		rc = sk__addr_legacy_suppressed(c, &a, &g);
	} else {
		rc = sk__addr_lookup(c, &a, p->id, &g);
	}
	memcpy(key, a.key, sizeof(key));
	sk__addr_wipe(&a);
	if (rc)
		return;
	gate_decide(c, p, &g, key, now, out);
}

/* Every gate answer of the process is made here (the API, forms, campaigns, audiences, a
 * command run by the server), so it is counted here, once, for GET /metrics
 * (samtycke_gate_answers_total): the answer and its reason, nothing about whom it was for. */
static void gate_check(struct sk_core *c, const struct sk_gate_candidate *cand,
		       const char *email, const char *purpose, int64_t now,
		       struct sk_gate_result *out, char *canon)
{
	gate_answer(c, cand, email, purpose, now, out, canon);
	sk_metrics_gate(out->allowed, (int)out->reason);
}

void sk_gate_check(struct sk_core *c, const char *email, const char *purpose, int64_t now,
		   struct sk_gate_result *out)
{
	gate_check(c, NULL, email, purpose, now, out, NULL);
}

void sk_gate_check_candidate(struct sk_core *c, const struct sk_gate_candidate *cand,
			     const char *email, const char *purpose, int64_t now,
			     struct sk_gate_result *out, char *canon)
{
	gate_check(c, cand, email, purpose, now, out, canon);
}

struct cand_page {
	struct sk_gate_candidate *out;
	size_t n;
};

static int cand_add(void *arg, const struct sk_state_rec *st, const uint8_t *email_key)
{
	struct cand_page *pg = arg;
	pg->out[pg->n].state = *st;
	memcpy(pg->out[pg->n].email_key, email_key, SK_HASH_LEN);
	pg->n++;
	return 0;
}

int sk_gate_candidates(struct sk_core *c, const char *purpose, const char *after, long limit,
		       struct sk_gate_candidate *out, size_t *n, int *all, struct sk_errctx *err)
{
	const struct sk_purpose *p = c->policy ? sk_policy_purpose(c->policy, purpose) : NULL;
	*n = 0;
	*all = 0;
	if (!p)
		return sk_errf(err, SK_ERR_UNKNOWN_PURPOSE, "purpose '%.63s' is not in the policy",
			       purpose);
	/* The state index lists every contact the gate may allow only when the gate's rule
	 * allows no status but given: then an allowed address has a state stored as given
	 * (given with valid_until passed is expired: a candidate the gate then denies). */
#define SK__ONLY_GIVEN(sfx, name) &&(SK_ST_##sfx == SK_ST_GIVEN || !basis_allows(p->basis, SK_ST_##sfx))
	int only_given = 1 SK_STATUS_LIST(SK__ONLY_GIVEN);
#undef SK__ONLY_GIVEN
	if (!only_given) {
		*all = 1;
		return 0;
	}
	struct cand_page pg = {out, 0};
	int rc = sk_store_state_given_each(c->store, purpose, after ? after : "", limit, cand_add,
					   &pg);
	*n = pg.n;
	return rc ? sk__store_err(err, rc, "reading consent state") : 0;
}

int sk_gate_check_many(struct sk_core *c, const char *const *emails, size_t n,
		       const char *purpose, int64_t now, struct sk_gate_result **out,
		       struct sk_errctx *err)
{
	*out = NULL;
	if (n > SK_GATE_MANY_MAX)
		return sk_errf(err, SK_ERR_TOO_LARGE, "at most %d addresses per request",
			       SK_GATE_MANY_MAX);
	if (!(*out = sk_calloc(n ? n : 1, sizeof(**out))))
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	/* One read snapshot: every answer sees the same moment of the store. If it cannot
	 * start, each check fails closed on its own. */
	int snapshot = sk_core_read_begin(c, NULL) == 0;
	for (size_t i = 0; i < n; i++)
		sk_gate_check(c, emails[i], purpose, now, &(*out)[i]);
	if (snapshot)
		sk_core_read_end(c);
	return 0;
}
