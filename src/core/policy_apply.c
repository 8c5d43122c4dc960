/* policy_apply.c: storing a validated policy and versioning its notices. A notice whose text
 * changed in any language becomes a new version of that purpose's notice; old versions stay
 * in the store forever, so every consent can show exactly what the person was told. */
#include "core/core_int.h"

#include <string.h>

#include "util/mem.h"

/* 1 when some language's text differs from the stored newest version (or none is stored). */
static int notice_changed(struct sk_core *c, const struct sk_purpose *p, int *rc,
			  struct sk_errctx *err)
{
	for (int l = 0; l < SK_NLANG; l++) {
		struct sk_notice_rec n;
		*rc = sk_store_notice_get(c->store, p->id, 0, sk_lang_name(l), &n);
		if (*rc == SK_ERR_NOT_FOUND) {
			*rc = 0;
			return 1;
		}
		if (*rc) {
			sk__store_err(err, *rc, "reading a notice");
			return 0;
		}
		if (strcmp(n.text, p->notice[l]) != 0)
			return 1;
	}
	return 0;
}

static int store_notices(struct sk_core *c, struct sk_purpose *p, int64_t now, int *is_new,
			 struct sk_errctx *err)
{
	int rc, version;
	rc = sk_store_notice_latest(c->store, p->id, &version);
	if (rc)
		return sk__store_err(err, rc, "reading notice versions");
	*is_new = notice_changed(c, p, &rc, err);
	if (rc)
		return rc;
	if (!*is_new) {
		p->notice_version = version;
		return 0;
	}
	p->notice_version = version + 1;
	for (int l = 0; l < SK_NLANG; l++) {
		struct sk_notice_rec n = {.version = p->notice_version, .text = p->notice[l],
					  .created_at = now};
		sk_strlcpy(n.purpose, p->id, sizeof(n.purpose));
		sk_strlcpy(n.lang, sk_lang_name(l), sizeof(n.lang));
		sk_vault_sha256(n.text, strlen(n.text), n.sha256);
		rc = sk_store_notice_put(c->store, &n);
		if (rc)
			return sk__store_err(err, rc, "storing a notice");
	}
	return 0;
}

int sk_policy_apply(struct sk_core *c, const char *text, size_t len, const char *filename,
		    struct sk_notice_change **changes, size_t *nchanges, struct sk_errctx *err)
{
	struct sk_policy *p = NULL;
	struct sk_notice_change *ch = NULL;
	int64_t now = sk_time_now();
	int rc, version;

	rc = sk_policy_parse(text, len, filename, &p, err);
	if (rc)
		return rc;
	ch = sk_calloc(p->npurposes, sizeof(*ch));
	if (!ch) {
		rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = sk__core_begin(c, err);
	if (rc)
		goto out;
	for (size_t i = 0; i < p->npurposes && !rc; i++) {
		rc = store_notices(c, &p->purposes[i], now, &ch[i].is_new, err);
		sk_strlcpy(ch[i].purpose, p->purposes[i].id, sizeof(ch[i].purpose));
		ch[i].version = p->purposes[i].notice_version;
	}
	if (!rc) {
		rc = sk_store_policy_put(c->store, now, text, len, &version);
		if (rc)
			sk__store_err(err, rc, "storing the policy");
	}
	rc = sk__core_end(c, rc, err);
	if (rc)
		goto out;
	sk_policy_free(c->policy);
	c->policy = p;
	c->policy_version = version;
	p = NULL;
	if (changes) {
		*changes = ch;
		*nchanges = c->policy->npurposes;
		ch = NULL;
	}
out:
	sk_policy_free(p);
	sk_free(ch);
	return rc;
}

int sk__policy_load(struct sk_core *c, struct sk_errctx *err)
{
	struct sk_policy *p = NULL;
	char *text = NULL;
	size_t len;
	int64_t at;
	int rc, version;

	rc = sk_store_policy_get(c->store, &text, &len, &version, &at);
	if (rc == SK_ERR_NOT_FOUND)
		return 0;
	if (rc)
		return sk__store_err(err, rc, "reading the policy");
	rc = sk_policy_parse(text, len, "stored policy", &p, err);
	for (size_t i = 0; !rc && i < p->npurposes; i++) {
		rc = sk_store_notice_latest(c->store, p->purposes[i].id, &p->purposes[i].notice_version);
		if (rc)
			sk__store_err(err, rc, "reading notice versions");
	}
	if (!rc) {
		sk_policy_free(c->policy);
		c->policy = p;
		c->policy_version = version;
		p = NULL;
	}
	sk_policy_free(p);
	sk_free(text);
	return rc;
}
