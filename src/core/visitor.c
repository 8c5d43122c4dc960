/* visitor.c: the visitor banner's use cases (docs/banner.md): its version hash, a visitor's
 * answers (append-only), what a visitor may be used for, the signed token that ties a browser
 * to a contact, and carrying a visitor's answers to the contact's ledger when it is tied. */
#include "core/core_int.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "util/mem.h"
#include "util/sktime.h"

#define DAY 86400
#define SOURCE_HEX 12 /* of the banner version, in the ledger's source "banner:..." */

static const char *const labels[SK_NLANG][SK_BANNER_NLABEL] = {
	[SK_LANG_SV] = {"Godkänn alla", "Avvisa alla", "Välj själv", "Spara mitt val",
			"Val om spårning"},
	[SK_LANG_EN] = {"Accept all", "Reject all", "Let me choose", "Save my choice",
			"Tracking choices"},
};

const char *sk_banner_label(int lang, enum sk_banner_label which)
{
	if (lang < 0 || lang >= SK_NLANG || (unsigned)which >= SK_BANNER_NLABEL)
		return "";
	return labels[lang][which];
}

/* ---- the version ---- */

/* Feeds one text into the hash as its length and bytes, so that no two lists of texts
 * hash alike. */
static int feed(json_t *list, const char *s)
{
	return json_array_append_new(list, json_string(s ? s : ""));
}

int sk_banner_version(struct sk_core *c, int lang, char *out, struct sk_errctx *err)
{
	const struct sk_policy *p = c->policy;
	char num[24];
	uint8_t h[SK_HASH_LEN];
	int rc = sk_core_need_policy(c, err);
	out[0] = '\0';
	if (rc)
		return rc;
	if (!p->banner.present)
		return sk_errf(err, SK_ERR_NOT_FOUND, "the policy has no banner");
	if (lang < 0 || lang >= SK_NLANG)
		return sk_errf(err, SK_ERR_INVALID, "lang: expected sv or en");
	/* a JSON array of the texts, in a fixed order: its serialisation is unambiguous */
	json_t *list = json_array();
	int bad = !list || feed(list, "samtycke-banner-1") || feed(list, sk_lang_name(lang)) ||
		  feed(list, p->banner.title[lang]) || feed(list, p->banner.intro[lang]);
	for (int i = 0; !bad && i < SK_BANNER_NLABEL; i++)
		bad = feed(list, labels[lang][i]);
	for (size_t i = 0; !bad && i < p->banner.npurposes; i++) {
		const struct sk_purpose *pu = sk_policy_purpose(p, p->banner.purposes[i]);
		char hex[2 * SK_HASH_LEN + 1];
		if (!pu) {
			bad = 1;
			break;
		}
		sk_vault_sha256(pu->notice[lang], strlen(pu->notice[lang]), h);
		for (int k = 0; k < SK_HASH_LEN; k++)
			snprintf(hex + 2 * k, 3, "%02x", h[k]);
		snprintf(num, sizeof(num), "%d", pu->notice_version);
		bad = feed(list, pu->id) || feed(list, pu->title[lang]) || feed(list, num) ||
		      feed(list, hex);
	}
	char *text = bad ? NULL : json_dumps(list, JSON_COMPACT);
	json_decref(list);
	if (!text)
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	sk_vault_sha256(text, strlen(text), h);
	free(text);
	for (int k = 0; k < SK_HASH_LEN; k++)
		snprintf(out + 2 * k, 3, "%02x", h[k]);
	return 0;
}

int sk_banner_view(struct sk_core *c, struct sk_banner_view *out, struct sk_errctx *err)
{
	memset(out, 0, sizeof(*out));
	for (int l = 0; l < SK_NLANG; l++) {
		int rc = sk_banner_version(c, l, out->version[l], err);
		if (rc)
			return rc;
	}
	out->policy = c->policy;
	return 0;
}

/* ---- reading a visitor ---- */

/* The last answer per purpose, in the order each purpose was first answered. */
struct latest {
	struct sk_visitor_answer_rec a[SK_VISITOR_MAX_CHOICES * 2];
	size_t n;
	int overflow;
};

static int latest_add(void *arg, const struct sk_visitor_answer_rec *a)
{
	struct latest *l = arg;
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->a[i].purpose, a->purpose) == 0) {
			l->a[i] = *a;
			return 0;
		}
	if (l->n == sizeof(l->a) / sizeof(l->a[0])) {
		l->overflow = 1; /* purposes no longer on the banner; not needed */
		return 0;
	}
	l->a[l->n++] = *a;
	return 0;
}

static const struct sk_visitor_answer_rec *latest_for(const struct latest *l,
						       const char *purpose)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->a[i].purpose, purpose) == 0)
			return &l->a[i];
	return NULL;
}

static int id_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n != SK_ID_LEN || id[0] != 'v' || id[1] != '_')
		return 0;
	for (size_t i = 2; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '2' && id[i] <= '7')))
			return 0;
	return 1;
}

static int visitor_read(struct sk_core *c, const char *id, struct sk_visitor_rec *v,
			struct sk_errctx *err)
{
	if (!id_ok(id))
		return sk_errf(err, SK_ERR_NOT_FOUND, "no visitor has the id given");
	int rc = sk_store_visitor_get(c->store, id, v);
	if (rc == SK_ERR_NOT_FOUND)
		return sk_errf(err, rc, "no visitor has the id given");
	return rc ? sk__store_err(err, rc, "reading a visitor") : 0;
}

int sk_visitor_contact(struct sk_core *c, const char *visitor_id, char *contact_id,
		       struct sk_errctx *err)
{
	struct sk_visitor_rec v;
	contact_id[0] = '\0';
	int rc = visitor_read(c, visitor_id, &v, err);
	if (rc == SK_ERR_NOT_FOUND) {
		sk_errctx_reset(err);
		return 0;
	}
	if (rc == 0)
		memcpy(contact_id, v.contact_id, SK_ID_LEN + 1);
	return rc;
}

int sk_visitor_given(struct sk_core *c, const char *visitor_id, const char *purpose,
		     int64_t now, int *given, struct sk_errctx *err)
{
	struct sk_visitor_rec v;
	struct latest l = {0};
	struct sk_contact ct = {0};
	*given = 0;
	if (!c->policy || !sk_policy_purpose(c->policy, purpose))
		return 0; /* an unknown purpose: 0 */
	int rc = visitor_read(c, visitor_id, &v, err);
	if (rc == SK_ERR_NOT_FOUND) {
		sk_errctx_reset(err);
		return 0;
	}
	if (rc)
		return rc;
	if ((rc = sk_store_visitor_answer_each(c->store, visitor_id, latest_add, &l)))
		return sk__store_err(err, rc, "reading a visitor's answers");
	const struct sk_visitor_answer_rec *a = latest_for(&l, purpose);
	if (v.contact_id[0]) {
		/* tied: the gate's answer for the contact, which the answers were carried to */
		struct sk_gate_result g;
		struct sk_state st;
		rc = sk_contact_get_by_id(c, v.contact_id, &ct, err);
		if (rc == SK_ERR_NOT_FOUND) {
			sk_errctx_reset(err);
			return 0;
		}
		if (rc)
			return rc;
		sk_gate_check(c, ct.fields[0].value, purpose, now, &g);
		sk_contact_reset(&ct);
		if (g.reason == SK_RSN_ERROR)
			return sk_errf(err, SK_ERR_STORAGE, "the gate could not be asked");
		if (!g.allowed)
			return 0;
		/* the browser's own refusal since the contact's last word holds for it */
		if (a && strcmp(a->action, "give") != 0) {
			rc = sk_consent_state(c, v.contact_id, purpose, &st, err);
			if (rc && rc != SK_ERR_NOT_FOUND)
				return rc;
			sk_errctx_reset(err);
			if (rc == SK_ERR_NOT_FOUND || a->at > st.updated_at)
				return 0;
		}
		*given = 1;
		return 0;
	}
	const struct sk_purpose *pu = sk_policy_purpose(c->policy, purpose);
	if (!a || strcmp(a->action, "give") != 0 || pu->basis != SK_BASIS_CONSENT)
		return 0;
	if (pu->validity.n && sk_time_add(a->at, pu->validity) <= now)
		return 0;
	*given = 1;
	return 0;
}

/* ---- the token ---- */

int sk_visitor_token(struct sk_core *c, const char *contact_id, int64_t now,
		     char token[SK_PREF_LINK_MAX], struct sk_errctx *err)
{
	int rc;
	token[0] = '\0';
	if (!contact_id || strlen(contact_id) > SK_ID_LEN)
		return sk_errf(err, SK_ERR_NOT_FOUND, "no contact has the id given");
	if ((rc = sk_contact_exists(c, contact_id, err)))
		return rc;
	if ((rc = sk_vault_token_sign(c->vault, SK_VISITOR_TAG, contact_id,
				      now + (int64_t)SK_VISITOR_TOKEN_MINUTES * 60, token)))
		return sk_errf(err, rc, "could not sign the token");
	return 0;
}

/* ---- carrying answers to a contact ---- */

/* The sealed evidence of a carried answer, as a form's: what was shown, where, how. */
static char *evidence_of(const struct sk_visitor_answer_rec *a, const char *how)
{
	char at[SK_TIME_STRLEN];
	sk_time_format(a->at, at);
	json_t *doc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:s}", "visitor", a->visitor_id,
				"banner_version", a->banner_version, "answered_at", at,
				"answer", a->action, "signal", a->signal, "user_agent_class",
				a->ua_class, "notice_version", a->notice_version, "page_url", a->page,
				"identified_by", how);
	char *s = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(doc);
	return s;
}

/* Carries one answer to contact_id unless the contact's own event for the purpose is as
 * late or later; inside the caller's batch. *done is 1 when an event was recorded. */
static int carry_one(struct sk_core *c, const char *contact_id,
		     const struct sk_visitor_answer_rec *a, const char *how, int64_t now,
		     int *done, struct sk_errctx *err)
{
	const struct sk_purpose *pu = sk_policy_purpose(c->policy, a->purpose);
	struct sk_state st;
	char source[SOURCE_HEX + 8];
	*done = 0;
	if (!pu || pu->basis != SK_BASIS_CONSENT)
		return 0;
	int rc = sk_consent_state(c, contact_id, a->purpose, &st, err);
	if (rc && rc != SK_ERR_NOT_FOUND)
		return rc;
	int known = rc == 0;
	sk_errctx_reset(err);
	/* later wins: the person's own event at or after the answer stands */
	if (known && st.updated_at >= a->at)
		return 0;
	enum sk_action act = SK_ACT_GIVE;
	enum sk_status cur = known ? sk_state_status(&st, now) : SK_ST_UNKNOWN;
	if (strcmp(a->action, "give") == 0 && pu->validity.n &&
	    sk_time_add(a->at, pu->validity) <= now)
		return 0; /* a give that has lapsed is no current answer */
	if (strcmp(a->action, "give") != 0) {
		/* a withdrawal of a consent the contact does not hold is a refusal */
		int holds = cur == SK_ST_GIVEN || cur == SK_ST_PENDING || cur == SK_ST_UNVERIFIED;
		act = holds ? SK_ACT_WITHDRAW : SK_ACT_REFUSE;
		if (cur == SK_ST_REFUSED)
			return 0; /* refused already: nothing new to say */
	} else if (cur == SK_ST_GIVEN) {
		return 0; /* given and in force; the give on record is the person's own */
	}
	char *evidence = evidence_of(a, how);
	if (!evidence)
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	snprintf(source, sizeof(source), "banner:%.*s", SOURCE_HEX, a->banner_version);
	struct sk_consent_req req = {.contact_id = contact_id, .purpose = a->purpose,
				     .action = act, .method = sk_method_name(SK_METHOD_BANNER),
				     .source = source, .notice_version = a->notice_version,
				     .lang = a->lang, .occurred_at = a->at, .actor = "banner",
				     .evidence_json = evidence};
	rc = sk_consent_record(c, &req, NULL, err);
	free(evidence);
	if (rc == SK_ERR_SUPPRESSED && act == SK_ACT_GIVE) {
		sk_errctx_reset(err);
		return 0; /* the suppression outranks the answer */
	}
	if (rc == 0)
		*done = 1;
	return rc;
}

/* Carries the visitor's current answers; inside the caller's batch. */
static int carry(struct sk_core *c, const char *visitor_id, const char *contact_id,
		 const char *how, int64_t now, int *carried, struct sk_errctx *err)
{
	struct latest l = {0};
	int rc = sk_store_visitor_answer_each(c->store, visitor_id, latest_add, &l);
	if (rc)
		return sk__store_err(err, rc, "reading a visitor's answers");
	for (size_t i = 0; i < l.n && !rc; i++) {
		int done = 0;
		rc = carry_one(c, contact_id, &l.a[i], how, now, &done, err);
		if (carried)
			*carried += done;
	}
	return rc;
}

/* The tie and the carrying, inside the caller's batch. */
static int tie(struct sk_core *c, const char *visitor_id, const char *contact_id,
	       const char *how, int64_t now, int *carried, struct sk_errctx *err)
{
	struct sk_visitor_rec v;
	int rc;
	if ((rc = visitor_read(c, visitor_id, &v, err)) ||
	    (rc = sk_contact_exists(c, contact_id, err)))
		return rc;
	snprintf(v.contact_id, sizeof(v.contact_id), "%s", contact_id);
	v.last_seen_at = now;
	if ((rc = sk_store_visitor_put(c->store, &v)))
		return sk__store_err(err, rc, "tying a visitor");
	return carry(c, visitor_id, contact_id, how, now, carried, err);
}

int sk__visitor_tie(struct sk_core *c, const char *visitor_id, const char *contact_id,
		    const char *how, int64_t now, int *carried, struct sk_errctx *err)
{
	struct sk_visitor_rec v;
	if (carried)
		*carried = 0;
	if (!visitor_id || !id_ok(visitor_id))
		return 0;
	int rc = sk_store_visitor_get(c->store, visitor_id, &v);
	if (rc == SK_ERR_NOT_FOUND)
		return 0;
	if (rc)
		return sk__store_err(err, rc, "reading a visitor");
	return tie(c, visitor_id, contact_id, how, now, carried, err);
}

static int identify(struct sk_core *c, const char *visitor_id, const char *contact_id,
		    const char *how, int64_t now, int *carried, struct sk_errctx *err)
{
	int rc;
	if (carried)
		*carried = 0;
	if ((rc = sk_core_need_policy(c, err)))
		return rc;
	if ((rc = sk_core_batch_begin(c, err)))
		return rc;
	rc = tie(c, visitor_id, contact_id, how, now, carried, err);

	if (rc) {
		sk_core_batch_rollback(c);
		if (carried)
			*carried = 0;
		return rc;
	}
	return sk_core_batch_commit(c, err);
}

int sk_visitor_identify(struct sk_core *c, const char *visitor_id, const char *contact_id,
			int64_t now, int *carried, struct sk_errctx *err)
{
	return identify(c, visitor_id, contact_id, "form", now, carried, err);
}

int sk_visitor_identify_token(struct sk_core *c, const char *visitor_id, const char *token,
			      int64_t now, int *carried, struct sk_errctx *err)
{
	char subject[SK_TOKEN_MAX];
	int64_t exp = 0;
	if (carried)
		*carried = 0;
	if (!token || sk_vault_token_verify(c->vault, SK_VISITOR_TAG, token, now, subject, &exp) ||
	    strlen(subject) != SK_ID_LEN)
		return sk_errf(err, SK_ERR_INVALID, "token: not valid (altered, expired or not "
			       "made for this)");
	/* a visitor whose current answers give nothing is never tied (the script does not ask;
	 * a hand-made post must not either) */
	struct sk_visitor_rec v;
	struct latest l = {0};
	int gave = 0, rc;
	if (id_ok(visitor_id) && sk_store_visitor_get(c->store, visitor_id, &v) == 0) {
		if ((rc = sk_store_visitor_answer_each(c->store, visitor_id, latest_add, &l)))
			return sk__store_err(err, rc, "reading a visitor's answers");
		for (size_t i = 0; i < l.n; i++) {
			const struct sk_purpose *pu = sk_policy_purpose(c->policy, l.a[i].purpose);
			gave |= pu && strcmp(l.a[i].action, "give") == 0 &&
				(!pu->validity.n || sk_time_add(l.a[i].at, pu->validity) > now);
		}
		if (!gave) /* nothing given: not tied */
			return sk_errf(err, SK_ERR_INVALID, "visitor: has given nothing, so it is "
				       "not tied");
	}
	rc = identify(c, visitor_id, subject, "mail_link", now, carried, err);
	if (rc == SK_ERR_NOT_FOUND && id_ok(visitor_id)) {
		/* the token's contact is gone (erased): the token is no longer valid */
		struct sk_visitor_rec v;
		if (sk_store_visitor_get(c->store, visitor_id, &v) == 0) {
			sk_errctx_reset(err);
			return sk_errf(err, SK_ERR_INVALID, "token: not valid (altered, expired or "
				       "not made for this)");
		}
	}
	return rc;
}

/* ---- recording an answer ---- */

/* The page as kept: an http(s) URL without its query and fragment, at most
 * SK_VISITOR_PAGE_MAX - 1 bytes, no control characters; "" when none. */
static int page_clean(const char *page, char out[SK_VISITOR_PAGE_MAX], struct sk_errctx *err)
{
	out[0] = '\0';
	if (!page || !*page)
		return 0;
	size_t n = strcspn(page, "?#");
	if (strncmp(page, "https://", 8) != 0 && strncmp(page, "http://", 7) != 0)
		return sk_errf(err, SK_ERR_INVALID, "page: expected an http or https URL");
	if (n >= SK_VISITOR_PAGE_MAX)
		return sk_errf(err, SK_ERR_INVALID, "page: longer than %d bytes",
			       SK_VISITOR_PAGE_MAX - 1);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)page[i] < 0x20 || page[i] == 0x7f)
			return sk_errf(err, SK_ERR_INVALID, "page: holds a control character");
	memcpy(out, page, n);
	out[n] = '\0';
	return 0;
}

/* The checks of an answer, before anything is stored. */
static int answer_check(struct sk_core *c, const struct sk_visitor_answer_in *in, int *lang,
			char page[SK_VISITOR_PAGE_MAX], struct sk_errctx *err)
{
	const struct sk_policy *p = c->policy;
	char version[SK_BANNER_VERSION_LEN + 1];
	int rc;
	if (!p->banner.present)
		return sk_errf(err, SK_ERR_NOT_FOUND, "the policy has no banner");
	if ((*lang = in->lang ? sk_lang_from_name(in->lang) : -1) < 0)
		return sk_errf(err, SK_ERR_INVALID, "lang: expected sv or en");
	if (!in->signal || (strcmp(in->signal, "click") != 0 && strcmp(in->signal, "gpc") != 0))
		return sk_errf(err, SK_ERR_INVALID, "signal: expected click or gpc");
	if (!in->nchoices || in->nchoices > SK_VISITOR_MAX_CHOICES)
		return sk_errf(err, SK_ERR_INVALID, "choices: expected 1 to %d purposes",
			       SK_VISITOR_MAX_CHOICES);
	for (size_t i = 0; i < in->nchoices; i++) {
		const char *pu = in->choices[i].purpose;
		if (!pu || !sk_banner_has_purpose(p, pu))
			return sk_errf(err, SK_ERR_INVALID, "choices: a purpose the banner does "
				       "not ask for");
		for (size_t j = 0; j < i; j++)
			if (strcmp(in->choices[j].purpose, pu) == 0)
				return sk_errf(err, SK_ERR_INVALID, "choices: a purpose listed "
					       "twice");
		/* Global Privacy Control is a refusal: it never gives */
		if (in->choices[i].give && strcmp(in->signal, "gpc") == 0)
			return sk_errf(err, SK_ERR_INVALID, "signal: gpc refuses; it gives nothing");
	}
	if ((rc = page_clean(in->page, page, err)))
		return rc;
	if ((rc = sk_banner_version(c, *lang, version, err)))
		return rc;
	if (!in->version || strcmp(in->version, version) != 0)
		return sk_errf(err, SK_ERR_INVALID, "version: the banner has changed since it was "
			       "shown; reload the page and answer again");
	if (in->visitor_id && *in->visitor_id && !id_ok(in->visitor_id))
		return sk_errf(err, SK_ERR_INVALID, "visitor: not a visitor id");
	return 0;
}

int sk_visitor_answer(struct sk_core *c, const struct sk_visitor_answer_in *in, int64_t now,
		      char *out_id, struct sk_errctx *err)
{
	struct sk_visitor_rec v = {0};
	struct latest l = {0};
	char page[SK_VISITOR_PAGE_MAX], version[SK_BANNER_VERSION_LEN + 1];
	int lang = SK_LANG_EN, rc;
	out_id[0] = '\0';
	if ((rc = sk_core_need_policy(c, err)) || (rc = answer_check(c, in, &lang, page, err)) ||
	    (rc = sk_banner_version(c, lang, version, err)))
		return rc;
	if ((rc = sk_core_batch_begin(c, err)))
		return rc;
	if (in->visitor_id && *in->visitor_id) {
		if ((rc = visitor_read(c, in->visitor_id, &v, err)))
			goto out;
		if ((rc = sk_store_visitor_answer_each(c->store, v.id, latest_add, &l))) {
			rc = sk__store_err(err, rc, "reading a visitor's answers");
			goto out;
		}
	} else {
		if (sk_id_new("v_", v.id)) {
			rc = sk_errf(err, SK_ERR_CRYPTO, "could not make a visitor id");
			goto out;
		}
		v.created_at = now;
	}
	v.last_seen_at = now;
	if ((rc = sk_store_visitor_put(c->store, &v))) {
		rc = sk__store_err(err, rc, "storing a visitor");
		goto out;
	}
	for (size_t i = 0; i < in->nchoices && !rc; i++) {
		const struct sk_purpose *pu = sk_policy_purpose(c->policy, in->choices[i].purpose);
		const struct sk_visitor_answer_rec *last = latest_for(&l, pu->id);
		struct sk_visitor_answer_rec a = {.at = now, .notice_version = pu->notice_version};
		const char *act = "give";
		if (!in->choices[i].give)
			act = last && strcmp(last->action, "give") == 0 ? "withdraw" : "refuse";
		memcpy(a.visitor_id, v.id, sizeof(a.visitor_id));
		snprintf(a.purpose, sizeof(a.purpose), "%s", pu->id);
		snprintf(a.action, sizeof(a.action), "%s", act);
		memcpy(a.banner_version, version, sizeof(a.banner_version));
		sk_vault_sha256(pu->notice[lang], strlen(pu->notice[lang]), a.notice_sha256);
		snprintf(a.lang, sizeof(a.lang), "%s", sk_lang_name(lang));
		memcpy(a.page, page, sizeof(a.page));
		snprintf(a.signal, sizeof(a.signal), "%s", in->signal);
		snprintf(a.ua_class, sizeof(a.ua_class), "%s", sk_ua_class(in->user_agent));
		if ((rc = sk_store_visitor_answer_append(c->store, &a)))
			rc = sk__store_err(err, rc, "storing an answer");
	}
	/* Even a visitor tied to a contact posts anonymously: nothing of the person changes
	 * here (the next identification carries the answer); sk_visitor_given honours a
	 * refusal for this browser at once. */
out:
	if (rc) {
		sk_core_batch_rollback(c);
		return rc;
	}
	if ((rc = sk_core_batch_commit(c, err)))
		return rc;
	memcpy(out_id, v.id, SK_ID_LEN + 1);
	return 0;
}

int sk__visitor_touch(struct sk_core *c, const char *visitor_id, int64_t now,
		      struct sk_errctx *err)
{
	struct sk_visitor_rec v;
	if (!id_ok(visitor_id))
		return 0;
	int rc = sk_store_visitor_get(c->store, visitor_id, &v);
	if (rc == 0 && v.last_seen_at < now) {
		v.last_seen_at = now;
		rc = sk_store_visitor_put(c->store, &v);
	}
	if (rc == SK_ERR_NOT_FOUND)
		rc = 0;
	else if (rc)
		rc = sk__store_err(err, rc, "noting a visitor seen");
	return rc;
}

int sk_visitor_touch(struct sk_core *c, const char *visitor_id, int64_t now,
		     struct sk_errctx *err)
{
	int rc = sk__core_begin(c, err);
	if (rc)
		return rc;
	return sk__core_end(c, sk__visitor_touch(c, visitor_id, now, err), err);
}

/* ---- views ---- */

struct grow {
	struct sk_visitor_answer_rec *a;
	size_t n, alloc;
};

static int grow_add(void *arg, const struct sk_visitor_answer_rec *a)
{
	struct grow *g = arg;
	if (g->n == g->alloc) {
		size_t na = g->alloc ? 2 * g->alloc : 8;
		void *p = sk_realloc(g->a, na * sizeof(*g->a));
		if (!p)
			return SK_ERR_NOMEM;
		g->a = p;
		g->alloc = na;
	}
	g->a[g->n++] = *a;
	return 0;
}

void sk_visitor_view_reset(struct sk_visitor_view *v)
{
	sk_free(v->answers);
	memset(v, 0, sizeof(*v));
}

static int view_fill(struct sk_core *c, struct sk_visitor_view *out, struct sk_errctx *err)
{
	struct grow g = {0};
	int rc = sk_store_visitor_answer_each(c->store, out->visitor.id, grow_add, &g);
	if (rc) {
		sk_free(g.a);
		return rc == SK_ERR_NOMEM ? sk_errf(err, rc, "out of memory")
					  : sk__store_err(err, rc, "reading a visitor's answers");
	}
	out->answers = g.a;
	out->nanswers = g.n;
	return 0;
}

int sk_visitor_get(struct sk_core *c, const char *visitor_id, struct sk_visitor_view *out,
		   struct sk_errctx *err)
{
	memset(out, 0, sizeof(*out));
	int rc = sk_core_read_begin(c, err);
	if (rc)
		return rc;
	if (!(rc = visitor_read(c, visitor_id, &out->visitor, err)))
		rc = view_fill(c, out, err);
	sk_core_read_end(c);
	if (rc)
		sk_visitor_view_reset(out);
	return rc;
}

struct views {
	struct sk_visitor_view *v;
	size_t n, alloc;
};

static int views_add(void *arg, const struct sk_visitor_rec *r)
{
	struct views *w = arg;
	if (w->n == w->alloc) {
		size_t na = w->alloc ? 2 * w->alloc : 4;
		void *p = sk_realloc(w->v, na * sizeof(*w->v));
		if (!p)
			return SK_ERR_NOMEM;
		w->v = p;
		w->alloc = na;
	}
	memset(&w->v[w->n], 0, sizeof(w->v[0]));
	w->v[w->n++].visitor = *r;
	return 0;
}

void sk_visitor_views_free(struct sk_visitor_view *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		sk_visitor_view_reset(&v[i]);
	sk_free(v);
}

int sk_visitor_by_contact(struct sk_core *c, const char *contact_id,
			  struct sk_visitor_view **out, size_t *n, struct sk_errctx *err)
{
	struct views w = {0};
	*out = NULL;
	*n = 0;
	int rc = sk_core_read_begin(c, err);
	if (rc)
		return rc;
	if ((rc = sk_store_visitor_each_by_contact(c->store, contact_id, views_add, &w)))
		rc = rc == SK_ERR_NOMEM ? sk_errf(err, rc, "out of memory")
					: sk__store_err(err, rc, "reading a contact's visitors");
	for (size_t i = 0; i < w.n && !rc; i++)
		rc = view_fill(c, &w.v[i], err);
	sk_core_read_end(c);
	if (rc) {
		sk_visitor_views_free(w.v, w.n);
		return rc;
	}
	*out = w.v;
	*n = w.n;
	return 0;
}
