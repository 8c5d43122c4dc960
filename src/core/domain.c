/* domain.c: core's public boundary for consents. The store hands core records with the
 * stored words (strings); everything core hands out is a domain struct with the enums of
 * core/vocab.h. This is the one place that converts, and it decides what a stored word that
 * is not in its list becomes (a tampered database): see core.h. */
#include "core/core_int.h"

#include <string.h>

#include "util/str.h"

enum sk_status sk__status_from_stored(const char *word)
{
	int s = sk_status_from_name(word);
	return s < 0 ? SK_ST_UNKNOWN : (enum sk_status)s;
}

int sk__event_from_rec(const struct sk_event_rec *r, struct sk_consent_event *out,
		       const char **where)
{
	int action = sk_action_from_name(r->action), method = sk_method_from_name(r->method);
	if (action < 0 || method < 0) {
		if (where)
			*where = action < 0 ? "consent_ledger.action" : "consent_ledger.method";
		return SK_ERR_CORRUPT;
	}
	memset(out, 0, sizeof(*out));
	out->seq = r->seq;
	memcpy(out->id, r->id, sizeof(out->id));
	memcpy(out->contact_id, r->contact_id, sizeof(out->contact_id));
	memcpy(out->purpose, r->purpose, sizeof(out->purpose));
	out->action = (enum sk_action)action;
	out->occurred_at = r->occurred_at;
	out->recorded_at = r->recorded_at;
	out->method = (enum sk_method)method;
	memcpy(out->source, r->source, sizeof(out->source));
	out->notice_version = r->notice_version;
	memcpy(out->notice_sha256, r->notice_sha256, sizeof(out->notice_sha256));
	memcpy(out->lang, r->lang, sizeof(out->lang));
	out->valid_until = r->valid_until;
	memcpy(out->actor, r->actor, sizeof(out->actor));
	out->flags = r->flags;
	return 0;
}

void sk__state_from_rec(const struct sk_state_rec *r, struct sk_state *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->contact_id, r->contact_id, sizeof(out->contact_id));
	memcpy(out->purpose, r->purpose, sizeof(out->purpose));
	out->status = sk__status_from_stored(r->status);
	out->seq = r->seq;
	memcpy(out->event_id, r->event_id, sizeof(out->event_id));
	out->updated_at = r->updated_at;
	out->valid_until = r->valid_until;
	out->notice_version = r->notice_version;
}

int sk__change_from_rec(const struct sk_change_rec *r, struct sk_change *out,
			const char **where)
{
	int type = sk_change_type_from_name(r->type);
	if (type < 0) {
		if (where)
			*where = "changes.type";
		return SK_ERR_CORRUPT;
	}
	memset(out, 0, sizeof(*out));
	out->seq = r->seq;
	out->type = (enum sk_change_type)type;
	memcpy(out->contact_id, r->contact_id, sizeof(out->contact_id));
	memcpy(out->purpose, r->purpose, sizeof(out->purpose));
	out->status = sk__status_from_stored(r->status);
	out->at = r->at;
	return 0;
}

/* The records' text fields and the domain's are the same sizes: copied whole above. */
_Static_assert(sizeof(((struct sk_event_rec *)0)->source) ==
		       sizeof(((struct sk_consent_event *)0)->source) &&
		       sizeof(((struct sk_event_rec *)0)->actor) ==
			       sizeof(((struct sk_consent_event *)0)->actor) &&
		       sizeof(((struct sk_event_rec *)0)->lang) ==
			       sizeof(((struct sk_consent_event *)0)->lang) &&
		       sizeof(((struct sk_event_rec *)0)->purpose) ==
			       sizeof(((struct sk_consent_event *)0)->purpose),
	       "event record and domain event differ in a text field");

int sk__relay_event(void *arg, const struct sk_event_rec *r)
{
	struct sk__relay *x = arg;
	struct sk_consent_event ev;
	int rc = sk__event_from_rec(r, &ev, &x->where);
	return rc ? rc : x->event(x->arg, &ev);
}

int sk__relay_state(void *arg, const struct sk_state_rec *r)
{
	struct sk__relay *x = arg;
	struct sk_state st;
	sk__state_from_rec(r, &st);
	return x->state(x->arg, &st);
}

int sk__relay_change(void *arg, const struct sk_change_rec *r)
{
	struct sk__relay *x = arg;
	struct sk_change ch;
	int rc = sk__change_from_rec(r, &ch, &x->where);
	return rc ? rc : x->change(x->arg, &ch);
}

int sk__corrupt_word(struct sk_errctx *err, const char *what, const char *where)
{
	return sk_errf(err, SK_ERR_CORRUPT, "stored data is corrupt while %s: %s holds a word "
		       "that is not in its list", what, where);
}

int sk__relay_err(struct sk_errctx *err, int rc, const struct sk__relay *x, const char *what)
{
	if (rc == SK_ERR_CORRUPT && x->where)
		return sk__corrupt_word(err, what, x->where);
	return sk__store_err(err, rc, what);
}
