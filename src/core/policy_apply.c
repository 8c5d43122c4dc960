/* policy_apply.c: storing a validated policy and versioning its notices. A notice whose text
 * changed in any language becomes a new version of that purpose's notice; old versions stay
 * in the store forever, so every consent can show exactly what the person was told. Before
 * storing, the file is compared with the newest applied policy: an identical file stores
 * nothing, and a file that drops a purpose people still hold is refused unless forced. */
#include "core/core_int.h"

#include <stdio.h>
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

/* Sets p->notice_version and ch from the store; writes a new version when the text changed,
 * unless dry. */
static int plan_notices(struct sk_core *c, struct sk_purpose *p, int64_t now, int dry,
			struct sk_notice_change *ch, struct sk_errctx *err)
{
	int rc, version;
	rc = sk_store_notice_latest(c->store, p->id, &version);
	if (rc)
		return sk__store_err(err, rc, "reading notice versions");
	sk_strlcpy(ch->purpose, p->id, sizeof(ch->purpose));
	ch->is_new = notice_changed(c, p, &rc, err);
	if (rc)
		return rc;
	p->notice_version = ch->version = version + ch->is_new;
	for (int l = 0; ch->is_new && !dry && l < SK_NLANG; l++) {
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

int sk__purpose_in_use(struct sk_core *c, const char *purpose, int64_t now, int64_t *outn,
		       struct sk_errctx *err)
{
	int64_t held = 0;
	int rc = sk_store_state_count_live(c->store, purpose, now, outn);
	if (rc)
		return sk__store_err(err, rc, "counting the contacts that hold a purpose");
	/* and the unconfirmed form requests that ask for it (docs/forms.md) */
	if ((rc = sk_store_request_count(c->store, purpose, now, &held)))
		return sk__store_err(err, rc, "counting the form requests that name a purpose");
	*outn += held;
	return 0;
}

/* ---- comparing two policies ---- */

static int str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static int texts_eq(char *const a[SK_NLANG], char *const b[SK_NLANG])
{
	for (int l = 0; l < SK_NLANG; l++)
		if (!str_eq(a[l], b[l]))
			return 0;
	return 1;
}

static int dur_eq(struct sk_duration a, struct sk_duration b)
{
	return a.n == b.n && (a.n == 0 || a.unit == b.unit);
}

/* The same names in any order (each list holds a name at most once). */
static int names_eq(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++) {
		size_t j = 0;
		while (j < nb && strcmp(a[i], b[j]) != 0)
			j++;
		if (j == nb)
			return 0;
	}
	return 1;
}

static void attr(struct sk_policy_diff *d, int differs, const char *name)
{
	if (!differs)
		return;
	size_t len = strlen(d->attrs);
	snprintf(d->attrs + len, sizeof(d->attrs) - len, "%s%s", len ? " " : "", name);
}

static void purpose_attrs(struct sk_policy_diff *d, const struct sk_purpose *a,
			  const struct sk_purpose *b)
{
	attr(d, a->kind != b->kind, "kind");
	attr(d, a->basis != b->basis, "legal_basis");
	attr(d, !dur_eq(a->validity, b->validity), "validity");
	attr(d, !dur_eq(a->retention, b->retention), "retention");
	attr(d, a->double_opt_in != b->double_opt_in, "double_opt_in");
	attr(d, !names_eq(a->fields, a->nfields, b->fields, b->nfields), "fields");
	attr(d, !texts_eq(a->title, b->title), "title");
	attr(d, !texts_eq(a->description, b->description), "description");
	attr(d, !texts_eq(a->notice, b->notice), "notice");
}

static void field_attrs(struct sk_policy_diff *d, const struct sk_field_def *a,
			const struct sk_field_def *b)
{
	attr(d, a->type != b->type, "type");
	attr(d, a->max_length != b->max_length, "max_length");
	attr(d, !texts_eq(a->label, b->label), "label");
}

/* Form fields and consent options in order: it is the order on the page. */
static int form_fields_eq(const struct sk_form *a, const struct sk_form *b)
{
	if (a->nfields != b->nfields)
		return 0;
	for (size_t i = 0; i < a->nfields; i++)
		if (strcmp(a->fields[i].name, b->fields[i].name) != 0 ||
		    a->fields[i].required != b->fields[i].required)
			return 0;
	return 1;
}

static int form_consents_eq(const struct sk_form *a, const struct sk_form *b)
{
	if (a->nconsents != b->nconsents)
		return 0;
	for (size_t i = 0; i < a->nconsents; i++)
		if (strcmp(a->consents[i].purpose, b->consents[i].purpose) != 0 ||
		    a->consents[i].double_opt_in != b->consents[i].double_opt_in)
			return 0;
	return 1;
}

static void form_attrs(struct sk_policy_diff *d, const struct sk_form *a, const struct sk_form *b)
{
	attr(d, !texts_eq(a->title, b->title), "title");
	attr(d, !str_eq(a->purpose, b->purpose), "purpose");
	attr(d, !form_fields_eq(a, b), "fields");
	attr(d, !form_consents_eq(a, b), "consents");
	attr(d, !str_eq(a->success_url, b->success_url), "success_url");
	attr(d, !str_eq(a->error_url, b->error_url), "error_url");
	attr(d, !names_eq(a->origins, a->norigins, b->origins, b->norigins), "allowed_origins");
}

static struct sk_policy_diff *diff_add(struct sk_policy_plan *plan, enum sk_policy_item item,
				       enum sk_policy_op op, const char *id)
{
	struct sk_policy_diff *d = &plan->diffs[plan->ndiffs++];
	memset(d, 0, sizeof(*d));
	d->item = item;
	d->op = op;
	sk_strlcpy(d->id, id, sizeof(d->id));
	return d;
}

/* Keeps a changed item only when some attribute differs. */
static void diff_keep(struct sk_policy_plan *plan)
{
	if (!plan->diffs[plan->ndiffs - 1].attrs[0])
		plan->ndiffs--;
}

/* Every difference from old (NULL: nothing applied yet, so everything is added) to new.
 * plan->diffs has room for all of them. */
static void policy_diff(struct sk_policy_plan *plan, const struct sk_policy *old,
			const struct sk_policy *new)
{
	static const struct sk_policy none;
	if (!old)
		old = &none;
	for (size_t i = 0; i < old->npurposes; i++)
		if (!sk_policy_purpose(new, old->purposes[i].id))
			diff_add(plan, SK_PI_PURPOSE, SK_PO_REMOVED, old->purposes[i].id);
	for (size_t i = 0; i < new->npurposes; i++) {
		const struct sk_purpose *a = sk_policy_purpose(old, new->purposes[i].id);
		struct sk_policy_diff *d = diff_add(plan, SK_PI_PURPOSE, a ? SK_PO_CHANGED : SK_PO_ADDED,
						    new->purposes[i].id);
		if (a) {
			purpose_attrs(d, a, &new->purposes[i]);
			diff_keep(plan);
		}
	}
	for (size_t i = 0; i < old->nfields; i++)
		if (!sk_policy_field(new, old->fields[i].name))
			diff_add(plan, SK_PI_FIELD, SK_PO_REMOVED, old->fields[i].name);
	for (size_t i = 0; i < new->nfields; i++) {
		const struct sk_field_def *a = sk_policy_field(old, new->fields[i].name);
		struct sk_policy_diff *d = diff_add(plan, SK_PI_FIELD, a ? SK_PO_CHANGED : SK_PO_ADDED,
						    new->fields[i].name);
		if (a) {
			field_attrs(d, a, &new->fields[i]);
			diff_keep(plan);
		}
	}
	for (size_t i = 0; i < old->nforms; i++)
		if (!sk_policy_form(new, old->forms[i].id))
			diff_add(plan, SK_PI_FORM, SK_PO_REMOVED, old->forms[i].id);
	for (size_t i = 0; i < new->nforms; i++) {
		const struct sk_form *a = sk_policy_form(old, new->forms[i].id);
		struct sk_policy_diff *d = diff_add(plan, SK_PI_FORM, a ? SK_PO_CHANGED : SK_PO_ADDED,
						    new->forms[i].id);
		if (a) {
			form_attrs(d, a, &new->forms[i]);
			diff_keep(plan);
		}
	}
	if (old == &none)
		return;
	struct sk_policy_diff *d = diff_add(plan, SK_PI_SETTING, SK_PO_CHANGED, "organisation");
	attr(d, !str_eq(old->org_name, new->org_name), "name");
	attr(d, !str_eq(old->org_contact, new->org_contact), "contact");
	attr(d, !str_eq(old->org_address, new->org_address), "address");
	attr(d, !str_eq(old->org_privacy_url, new->org_privacy_url), "privacy_policy_url");
	attr(d, !str_eq(old->org_phone, new->org_phone), "phone");
	attr(d, !str_eq(old->org_jurisdiction, new->org_jurisdiction), "jurisdiction");
	attr(d, !str_eq(old->brand_logo_url, new->brand_logo_url) ||
		!str_eq(old->brand_primary, new->brand_primary) ||
		!str_eq(old->brand_background, new->brand_background) ||
		!str_eq(old->brand_text, new->brand_text) ||
		!str_eq(old->brand_stylesheet_url, new->brand_stylesheet_url), "brand");
	diff_keep(plan);
	d = diff_add(plan, SK_PI_SETTING, SK_PO_CHANGED, "retention");
	attr(d, !dur_eq(old->retain_no_basis, new->retain_no_basis), "no_basis");
	attr(d, !dur_eq(old->retain_inactive, new->retain_inactive), "inactive");
	diff_keep(plan);
}

/* Counts the holders of each removed purpose; names those held in plan->why. */
static int count_holders(struct sk_core *c, struct sk_policy_plan *plan, const char *file,
			 int force, int64_t now, struct sk_errctx *err)
{
	size_t len = 0, n = 0;
	for (size_t i = 0; i < plan->ndiffs; i++) {
		struct sk_policy_diff *d = &plan->diffs[i];
		if (d->item != SK_PI_PURPOSE || d->op != SK_PO_REMOVED)
			continue;
		int rc = sk__purpose_in_use(c, d->id, now, &d->holders, err);
		if (rc)
			return rc;
		if (d->holders == 0)
			continue;
		if (n++ == 0)
			len = (size_t)snprintf(plan->why, sizeof(plan->why), "%s: %s purposes that "
					       "contacts still hold:", file, force ? "dropping" :
					       "refusing to drop");
		if (len < sizeof(plan->why))
			len += (size_t)snprintf(plan->why + len, sizeof(plan->why) - len,
						"%s %s (%lld contact%s)", n > 1 ? "," : "", d->id,
						(long long)d->holders, d->holders == 1 ? "" : "s");
	}
	if (n && len < sizeof(plan->why))
		snprintf(plan->why + len, sizeof(plan->why) - len, "%s", force
			 ? "; their consent records stay in the ledger, and the gate now denies them "
			   "with unknown_purpose"
			 : "; keep them in the policy, or apply with --force (their consent records "
			   "stay in the ledger; the gate then denies them with unknown_purpose)");
	plan->refused = n && !force;
	plan->forced = n && force;
	return 0;
}

void sk_policy_plan_free(struct sk_policy_plan *p)
{
	if (!p)
		return;
	sk_free(p->diffs);
	sk_free(p->notices);
	sk_free(p);
}

/* Inside the transaction: compares p (parsed from text) with the newest applied policy,
 * counts the holders of dropped purposes, and stores unless dry, unchanged or refused. */
static int plan_and_store(struct sk_core *c, const char *text, size_t len, const char *file,
			  int flags, struct sk_policy *p, struct sk_policy_plan *plan,
			  struct sk_errctx *err)
{
	struct sk_policy *old = NULL;
	char *oldtext = NULL;
	size_t oldlen = 0;
	int64_t at, now = sk_time_now();
	int dry = flags & SK_POLICY_DRY_RUN, rc;

	rc = sk_store_policy_get(c->store, &oldtext, &oldlen, &plan->base_version, &at);
	if (rc == SK_ERR_NOT_FOUND) {
		plan->base_version = 0;
		rc = 0;
	} else if (rc) {
		sk__store_err(err, rc, "reading the policy");
		goto out;
	} else {
		plan->unchanged = oldlen == len && memcmp(oldtext, text, len) == 0;
		if (!plan->unchanged && (rc = sk_policy_parse_flags(oldtext, oldlen, "stored policy",
								     SK_POLICY_PARSE_STORED, &old, err)))
			goto out;
	}
	if (!plan->unchanged) {
		size_t room = p->npurposes + p->nfields + p->nforms + 2;
		if (old)
			room += old->npurposes + old->nfields + old->nforms;
		if (!(plan->diffs = sk_calloc(room, sizeof(*plan->diffs)))) {
			rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
			goto out;
		}
		policy_diff(plan, old, p);
		if ((rc = count_holders(c, plan, file, flags & SK_POLICY_FORCE, now, err)))
			goto out;
	}
	/* Notices: an unchanged file writes none, as its texts are the stored newest ones. */
	for (size_t i = 0; i < p->npurposes; i++)
		if ((rc = plan_notices(c, &p->purposes[i], now, dry || plan->unchanged ||
				       plan->refused, &plan->notices[i], err)))
			goto out;
	plan->nnotices = p->npurposes;
	plan->version = plan->base_version + !plan->unchanged;
	if (plan->refused && !dry) {
		rc = sk_errf(err, SK_ERR_POLICY, "%s", plan->why);
		goto out;
	}
	if (!dry && !plan->unchanged) {
		int version;
		rc = sk_store_policy_put(c->store, now, text, len, &version);
		if (rc) {
			sk__store_err(err, rc, "storing the policy");
			goto out;
		}
		plan->version = version;
	}
out:
	sk_policy_free(old);
	sk_free(oldtext);
	return rc;
}

int sk_policy_update(struct sk_core *c, const char *text, size_t len, const char *filename,
		     int flags, struct sk_policy_plan **out, struct sk_errctx *err)
{
	struct sk_policy *p = NULL;
	struct sk_policy_plan *plan = NULL;
	const char *file = filename ? filename : "policy";
	int dry = flags & SK_POLICY_DRY_RUN, rc;

	*out = NULL;
	rc = sk_policy_parse(text, len, file, &p, err);
	if (rc)
		return rc;
	if (!(plan = sk_calloc(1, sizeof(*plan))) ||
	    !(plan->notices = sk_calloc(p->npurposes, sizeof(*plan->notices)))) {
		rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = dry ? sk_core_read_begin(c, err) : sk__core_begin(c, err);
	if (rc)
		goto out;
	rc = plan_and_store(c, text, len, file, flags, p, plan, err);
	if (dry)
		sk_core_read_end(c);
	else
		rc = sk__core_end(c, rc, err);
	if (rc)
		goto out;
	if (!dry) {
		sk_policy_free(c->policy);
		c->policy = p;
		c->policy_version = plan->version;
		p = NULL;
	}
	*out = plan;
	plan = NULL;
out:
	sk_policy_free(p);
	sk_policy_plan_free(plan);
	return rc;
}

int sk_policy_apply(struct sk_core *c, const char *text, size_t len, const char *filename,
		    struct sk_notice_change **changes, size_t *nchanges, struct sk_errctx *err)
{
	struct sk_policy_plan *plan;
	int rc = sk_policy_update(c, text, len, filename, 0, &plan, err);
	if (rc)
		return rc;
	if (changes) {
		*changes = plan->notices;
		*nchanges = plan->nnotices;
		plan->notices = NULL;
	}
	sk_policy_plan_free(plan);
	return 0;
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
	rc = sk_policy_parse_flags(text, len, "stored policy", SK_POLICY_PARSE_STORED, &p, err);
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
