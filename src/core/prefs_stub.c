/* prefs_stub.c: TEMPORARY (helper prefpages): a minimal stand-in for core/prefs.c (helper
 * prefcore) so that the pages and routes can be built and tested before it lands. Never
 * merge this file. */
#include <stdio.h>
#include <string.h>

#include "core/core_int.h"
#include "util/mem.h"
#include "util/str.h"
#include "util/sktime.h"
#include "vault/vault.h"

int sk_pref_link(struct sk_core *c, const char *contact_id, int64_t now, int days,
		 char token[SK_PREF_LINK_MAX], int64_t *expires, struct sk_errctx *err)
{
	int rc = sk_contact_exists(c, contact_id, err);
	if (rc)
		return rc;
	int64_t e = now + (int64_t)days * 86400;
	if (expires)
		*expires = e;
	return sk_vault_token_sign(c->vault, SK_PREF_TAG, contact_id, e, token);
}

int sk_pref_check(struct sk_core *c, const char *token, int64_t now,
		  char contact_id[SK_ID_LEN + 1], struct sk_errctx *err)
{
	char subject[SK_TOKEN_MAX];
	int rc = sk_vault_token_verify(c->vault, SK_PREF_TAG, token, now, subject, NULL);
	if (rc && rc != SK_ERR_EXPIRED)
		return sk_errf(err, SK_ERR_INVALID, "invalid link");
	int e = sk_contact_exists(c, subject, err);
	if (e == SK_ERR_NOT_FOUND)
		return sk_errf(err, SK_ERR_INVALID, "invalid link");
	if (e)
		return e;
	sk_strlcpy(contact_id, subject, SK_ID_LEN + 1);
	return rc ? sk_errf(err, SK_ERR_EXPIRED, "expired") : 0;
}

void sk_pref_view_reset(struct sk_pref_view *v)
{
	sk_contact_reset(&v->contact);
	for (size_t i = 0; i < v->npurposes; i++) {
		sk_free(v->purposes[i].notice_text);
		sk_free(v->purposes[i].page);
	}
	sk_free(v->purposes);
	memset(v, 0, sizeof(*v));
}

struct find { int64_t seq; struct sk_consent_event *ev; int found; };
static int find_ev(void *arg, const struct sk_consent_event *ev)
{
	struct find *f = arg;
	if (ev->seq == f->seq) {
		*f->ev = *ev;
		f->found = 1;
	}
	return 0;
}

int sk_pref_view(struct sk_core *c, const char *token, int64_t now, struct sk_pref_view *out,
		 struct sk_errctx *err)
{
	char id[SK_ID_LEN + 1];
	memset(out, 0, sizeof(*out));
	int rc = sk_pref_check(c, token, now, id, err);
	if (rc)
		return rc;
	const struct sk_policy *pol = sk_core_policy(c);
	out->at = now;
	if ((rc = sk_contact_get_by_id(c, id, &out->contact, err)))
		return rc;
	out->purposes = sk_calloc(pol->npurposes ? pol->npurposes : 1, sizeof(*out->purposes));
	out->npurposes = pol->npurposes;
	for (size_t i = 0; i < pol->npurposes; i++) {
		struct sk_pref_purpose *pp = &out->purposes[i];
		struct sk_state st;
		pp->purpose = &pol->purposes[i];
		pp->changeable = pol->purposes[i].basis == SK_BASIS_CONSENT;
		if (sk_consent_state(c, id, pp->purpose->id, &st, err) == 0) {
			pp->status = sk_state_status(&st, now);
			struct find f = {st.seq, &pp->event, 0};
			sk_consent_history(c, id, find_ev, &f, err);
			pp->has_event = f.found;
		}
	}
	return 0;
}

int sk_pref_set(struct sk_core *c, const char *token, const struct sk_pref_change *ch,
		int64_t now, struct sk_consent_event *out, struct sk_errctx *err)
{
	char id[SK_ID_LEN + 1];
	int rc = sk_pref_check(c, token, now, id, err);
	if (rc)
		return rc;
	const struct sk_purpose *p = sk_policy_purpose(sk_core_policy(c), ch->purpose);
	if (!p || p->basis != SK_BASIS_CONSENT)
		return sk_errf(err, SK_ERR_INVALID, "not a purpose you can change here");
	struct sk_consent_req req = {.contact_id = id, .purpose = ch->purpose,
		.action = ch->give ? SK_ACT_GIVE : SK_ACT_WITHDRAW, .method = "preference_centre",
		.source = "preference_centre", .lang = ch->lang, .occurred_at = now,
		.evidence_json = "{\"via\":\"link mailed to the contact's own address\"}"};
	return sk_consent_record(c, &req, out, err);
}

int sk_pref_export(struct sk_core *c, const char *token, int64_t now, const char *lang,
		   struct sk_access_export *out, struct sk_errctx *err)
{
	char id[SK_ID_LEN + 1];
	int rc = sk_pref_check(c, token, now, id, err);
	return rc ? rc : sk_export(c, id, lang, out, err);
}

int sk_pref_erase(struct sk_core *c, const char *token, int64_t now,
		  struct sk_erasure_receipt *out, struct sk_errctx *err)
{
	char id[SK_ID_LEN + 1];
	int rc = sk_pref_check(c, token, now, id, err);
	return rc ? rc : sk_forget(c, id, out, err);
}

int sk_pref_request(struct sk_core *c, const char *email, const char *lang, int64_t now,
		    struct sk_errctx *err)
{
	char canon[SK_EMAIL_MAX + 1];
	(void)c; (void)lang; (void)now;
	return sk_email_canonical(email, canon, err) ? SK_ERR_INVALID_EMAIL : 0;
}

int sk_pref_renew(struct sk_core *c, const char *token, const char *lang, int64_t now,
		  struct sk_errctx *err)
{
	char id[SK_ID_LEN + 1];
	(void)lang;
	int rc = sk_pref_check(c, token, now, id, err);
	return rc == SK_ERR_EXPIRED ? 0 : rc;
}

static void bind_hex(const char *bound, char out[33])
{
	uint8_t h[32];
	sk_vault_sha256(bound, strlen(bound), h);
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

int sk_pref_csrf(struct sk_core *c, const char *bound, int64_t now, char out[SK_PREF_LINK_MAX])
{
	char hx[33];
	bind_hex(bound, hx);
	return sk_vault_token_sign(c->vault, "csrf", hx, now + 7200, out);
}

int sk_pref_csrf_check(struct sk_core *c, const char *bound, const char *csrf, int64_t now)
{
	char hx[33], subject[SK_TOKEN_MAX];
	bind_hex(bound, hx);
	if (sk_vault_token_verify(c->vault, "csrf", csrf, now, subject, NULL) ||
	    strcmp(subject, hx) != 0)
		return SK_ERR_FORBIDDEN;
	return 0;
}

const char *sk_ua_class(const char *ua)
{
	(void)ua;
	return "unknown";
}
