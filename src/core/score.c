/* score.c: lead scoring (docs/scoring.md): the policy's rules applied to the events attached
 * to a person, each event's points halved every half-life, the sum capped; a score exists
 * only with lead_scoring given. The stored score, in whole points, is what a change is
 * measured against: a move of at least one point appends a "score" change (score.changed). */
#include "core/core_int.h"

#include <math.h>
#include <strings.h>
#include <string.h>

#include "util/mem.h"

static char lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (char)(ch + ('a' - 'A')) : ch;
}

/* '*' matches any run of characters (none included); the rest ASCII case-insensitively.
 * Iterative, with one backtrack point: linear in practice, never exponential. */
int sk_score_url_match(const char *pattern, const char *url)
{
	const char *p = pattern, *u = url, *star = NULL, *mark = NULL;
	while (*u) {
		if (*p == '*') {
			star = p++;
			mark = u;
		} else if (*p && lower(*p) == lower(*u)) {
			p++;
			u++;
		} else if (star) {
			p = star + 1;
			u = ++mark;
		} else {
			return 0;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

static int rule_matches(const struct sk_score_rule *r, const struct sk_track_rec *e)
{
	if (r->type && strcmp(r->type, e->type) != 0)
		return 0;
	if (r->name && strcmp(r->name, e->name) != 0)
		return 0;
	if (r->url && !sk_score_url_match(r->url, e->url))
		return 0;
	for (int i = 0; i < SK_NUTM; i++)
		if (r->utm[i] && strcasecmp(r->utm[i], e->utm[i]) != 0)
			return 0;
	return 1;
}

/* A half-life in seconds: days, months of 30 days, years of 365 days. */
static double half_life_seconds(struct sk_duration d)
{
	double day = 86400.0;
	switch (d.unit) {
	case 'd': return d.n * day;
	case 'm': return d.n * 30 * day;
	case 'y': return d.n * 365 * day;
	}
	return 0;
}

double sk_score_event(const struct sk_policy *p, const struct sk_track_rec *e, int64_t now)
{
	double sum = 0;
	for (size_t i = 0; p && i < p->nscore_rules; i++) {
		const struct sk_score_rule *r = &p->score_rules[i];
		if (!rule_matches(r, e))
			continue;
		double pts = (double)r->points, hl = half_life_seconds(r->half_life);
		if (hl > 0 && now > e->at)
			pts *= pow(0.5, (double)(now - e->at) / hl);
		sum += pts;
	}
	return sum;
}

struct sum_ctx {
	const struct sk_policy *p;
	int64_t now;
	double sum;
	long n;
	int64_t last;
};

static int sum_event(void *arg, const struct sk_track_rec *e)
{
	struct sum_ctx *x = arg;
	x->sum += sk_score_event(x->p, e, x->now);
	x->n++;
	if (e->at > x->last)
		x->last = e->at;
	return 0;
}

/* Every attached event's points at now, capped to [0, cap]. */
static int score_sum(struct sk_core *c, const char *contact_id, int64_t now, struct sum_ctx *x)
{
	memset(x, 0, sizeof(*x));
	x->p = sk_core_policy(c);
	x->now = now;
	int rc = sk_store_track_each(c->store, contact_id, NULL, sum_event, x);
	if (x->sum < 0)
		x->sum = 0;
	if (x->p && x->sum > (double)x->p->score_cap)
		x->sum = (double)x->p->score_cap;
	return rc;
}

int sk__score_update(struct sk_core *c, const char *contact_id, int64_t now,
		     struct sk_errctx *err)
{
	struct sk_score_rec old, rec = {0};
	struct sum_ctx x;
	int rc = sk_store_score_get(c->store, contact_id, &old);
	if (rc == SK_ERR_NOT_FOUND) {
		memset(&old, 0, sizeof(old));
		rc = 0;
	}
	if (rc || (rc = score_sum(c, contact_id, now, &x)))
		return sk__store_err(err, rc, "computing a score");
	sk_strlcpy(rec.contact_id, contact_id, sizeof(rec.contact_id));
	rec.score = (int64_t)llround(x.sum);
	rec.computed_at = now;
	rec.nevents = x.n;
	rec.last_at = x.last;
	if ((rc = sk_store_score_put(c->store, &rec)))
		return sk__store_err(err, rc, "storing a score");
	/* the change carries no score: the webhook reads it at delivery, with sales_followup */
	if (rec.score != old.score)
		return sk__change_append(c, SK_CHG_SCORE, contact_id, NULL, NULL, now, err);
	return 0;
}

int sk_score_get(struct sk_core *c, const char *contact_id, int64_t now, struct sk_score *out,
		 struct sk_errctx *err)
{
	struct sk_gate_result g;
	struct sk_score_rec rec;
	struct sum_ctx x;
	int rc;
	memset(out, 0, sizeof(*out));
	out->reason = SK_RSN_ERROR;
	if ((rc = sk_core_need_policy(c, err)) || (rc = sk_core_read_begin(c, err)))
		return rc;
	if ((rc = sk__gate_contact(c, contact_id, SK_PURPOSE_LEAD_SCORING, now, &g, err)))
		goto out;
	out->reason = g.reason;
	if (!g.allowed)
		goto out; /* no lead_scoring: no score, whatever is stored */
	if ((rc = score_sum(c, contact_id, now, &x))) {
		sk__store_err(err, rc, "computing a score");
		goto out;
	}
	rc = sk_store_score_get(c->store, contact_id, &rec);
	if (rc && rc != SK_ERR_NOT_FOUND) {
		sk__store_err(err, rc, "reading a score");
		goto out;
	}
	if (rc == 0) {
		out->stored = rec.score;
		out->computed_at = rec.computed_at;
	}
	rc = 0;
	out->has = 1;
	out->score = x.sum;
	out->nevents = x.n;
	out->last_activity = x.last;
out:
	sk_core_read_end(c);
	return rc;
}

int sk_score_shared(struct sk_core *c, const char *contact_id, const char *email, int64_t now,
		    int *has, int64_t *score, struct sk_errctx *err)
{
	struct sk_gate_result g;
	struct sk_score_rec rec;
	*has = 0;
	*score = 0;
	sk_gate_check(c, email ? email : "", SK_PURPOSE_SALES_FOLLOWUP, now, &g);
	if (!g.allowed || strcmp(g.contact_id, contact_id) != 0)
		return 0;
	/* and lead_scoring still allowed now: a consent lapsed by validity ends the score
	 * although no event deleted it yet (the purge does) */
	sk_gate_check(c, email ? email : "", SK_PURPOSE_LEAD_SCORING, now, &g);
	if (!g.allowed) /* lead_scoring lapsed: no score shared */
		return 0;
	int rc = sk_store_score_get(c->store, contact_id, &rec);
	if (rc == SK_ERR_NOT_FOUND)
		return 0;
	if (rc)
		return sk__store_err(err, rc, "reading a score");
	*has = 1;
	*score = rec.score;
	return 0;
}
