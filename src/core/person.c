/* person.c: the console's "find a person" use cases (docs/console.md, "Finding a person"): find
 * by exact address, the person's view as a role may see it, and the staff actions on them
 * (record a consent by phone or on paper, withdraw, rectify, mail a link, export, erase), each
 * audited with sk_staff_audit in the same transaction as what it did. */
#include "core/core_int.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "util/mem.h"
#include "util/sktime.h"

#define REF_MAX 128   /* bytes of a call id or a form's id */
#define NOTE_MAX 2000 /* bytes of the free text kept sealed */

/* Runs the action's end: commits the batch (with its audit row) or rolls it back. */
static int batch_end(struct sk_core *c, int rc, struct sk_errctx *err)
{
	if (rc) {
		sk_core_batch_rollback(c);
		return rc;
	}
	return sk_core_batch_commit(c, err);
}

static int may(const struct sk_staff *who, enum sk_can what, struct sk_errctx *err);

int sk_person_find(struct sk_core *c, const struct sk_staff *who, const char *email,
		   char outid[SK_ID_LEN + 1], int *suppressed, struct sk_errctx *err)
{
	int rc, s = 0;
	outid[0] = '\0';
	if (suppressed)
		*suppressed = 0;
	if ((rc = may(who, SK_CAN_FIND, err)))
		return rc;
	rc = sk_contact_find(c, email ? email : "", outid, err);
	if (rc && rc != SK_ERR_NOT_FOUND)
		return rc;
	if (rc) {
		struct sk_errctx e2 = {0};
		if (sk_suppressed(c, email, &s, &e2) == 0 && suppressed)
			*suppressed = s;
	}
	/* every lookup is audited, a miss too: its answer tells whether an address is known or
	 * suppressed; no answer goes out unaudited */
	int arc = sk_core_batch_begin(c, err);
	if (!arc)
		arc = batch_end(c, sk_staff_audit(c, who, "contact.find", outid,
						  !rc ? "found" : s ? "suppressed" : "none", err), err);
	if (arc) {
		outid[0] = '\0';
		return arc;
	}
	return rc ? sk_errf(err, SK_ERR_NOT_FOUND, "no contact has this address") : 0;
}

/* ---- the view ---- */

void sk_person_view_reset(struct sk_person_view *v)
{
	for (size_t i = 0; v->purposes && i < v->npurposes; i++) {
		struct sk_person_purpose *p = &v->purposes[i];
		sk_free(p->notice_text);
		if (p->evidence_json)
			sk_vault_wipe(p->evidence_json, strlen(p->evidence_json));
		sk_free(p->evidence_json);
		if (p->given_evidence_json)
			sk_vault_wipe(p->given_evidence_json, strlen(p->given_evidence_json));
		sk_free(p->given_evidence_json);
	}
	sk_free(v->purposes);
	sk_free(v->history);
	sk_contact_reset(&v->contact);
	memset(v, 0, sizeof(*v));
}

static int view_purpose(struct sk_core *c, const char *id, const char *email, int full,
			const struct sk_purpose *p, int64_t now, struct sk_person_purpose *out,
			struct sk_errctx *err)
{
	struct sk_proof pr;
	out->purpose = p;
	sk_gate_check(c, email, p->id, now, &out->gate);
	int rc = sk__purpose_proof(c, id, email, p->id, now, &out->status, &pr, err);
	if (rc <= 0)
		return rc;
	out->has_event = 1;
	out->event = pr.event;
	/* the summary's roles: the sealed evidence is not kept (it was opened by the proof,
	 * and is wiped here at once) */
	if (full) {
		out->notice_text = pr.notice_text;
		out->evidence_json = pr.evidence_json;
		out->given = pr.given;
		out->given_evidence_json = pr.given_evidence_json;
		pr.notice_text = pr.evidence_json = pr.given_evidence_json = NULL;
	}
	sk_proof_reset(&pr);
	return 0;
}

struct history {
	struct sk_consent_event *ev;
	size_t n, alloc;
};

static int history_add(void *arg, const struct sk_consent_event *ev)
{
	struct history *h = arg;
	if (h->n == h->alloc) {
		size_t na = h->alloc ? h->alloc * 2 : 16;
		struct sk_consent_event *nv = sk_realloc(h->ev, na * sizeof(*nv));
		if (!nv)
			return SK_ERR_NOMEM;
		h->ev = nv;
		h->alloc = na;
	}
	h->ev[h->n++] = *ev;
	return 0;
}

int sk_person_view(struct sk_core *c, const struct sk_staff *who, const char *id, int64_t now,
		   struct sk_person_view *out, struct sk_errctx *err)
{
	struct history h = {0};
	int rc;
	memset(out, 0, sizeof(*out));
	if ((rc = sk_core_need_policy(c, err)))
		return rc;
	if (!who || !sk_role_may(who->role, SK_CAN_FIND))
		return sk_errf(err, SK_ERR_FORBIDDEN, "your role may not find a person");
	if (!id || strlen(id) > SK_ID_LEN)
		return sk_errf(err, SK_ERR_NOT_FOUND, "no such contact");
	out->at = now;
	out->full = sk_role_may(who->role, SK_CAN_EVIDENCE);
	if ((rc = sk_core_batch_begin(c, err)))
		return rc;
	if ((rc = sk_contact_get_by_id(c, id, &out->contact, err)))
		goto out;
	if (out->contact.nfields == 0 || strcmp(out->contact.fields[0].name, "email") != 0) {
		rc = sk_errf(err, SK_ERR_STORAGE, "the contact has no address");
		goto out;
	}
	const char *email = out->contact.fields[0].value;
	if ((rc = sk_suppressed(c, email, &out->suppressed, err)))
		goto out;
	const struct sk_policy *pol = c->policy;
	if (pol->npurposes &&
	    !(out->purposes = sk_calloc(pol->npurposes, sizeof(*out->purposes)))) {
		rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; !rc && i < pol->npurposes; i++) {
		rc = view_purpose(c, id, email, out->full, &pol->purposes[i], now,
				  &out->purposes[i], err);
		out->npurposes = i + 1;
	}
	if (!rc && out->full) {
		rc = sk_consent_history(c, id, history_add, &h, err);
		if (rc == SK_ERR_NOMEM)
			sk_errf(err, rc, "out of memory");
		/* newest first */
		for (size_t i = 0; !rc && i < h.n / 2; i++) {
			struct sk_consent_event t = h.ev[i];
			h.ev[i] = h.ev[h.n - 1 - i];
			h.ev[h.n - 1 - i] = t;
		}
		out->history = h.ev;
		out->nhistory = h.n;
		h.ev = NULL;
	}
	if (!rc)
		rc = sk_staff_audit(c, who, "contact.view", id, out->full ? "full" : "summary", err);
out:
	sk_free(h.ev);
	rc = batch_end(c, rc, err);
	if (rc)
		sk_person_view_reset(out);
	return rc;
}

/* ---- actions ---- */

/* The contact's address, read in the caller's transaction; *ct to be reset. */
static int person_get(struct sk_core *c, const char *id, struct sk_contact *ct,
		      struct sk_errctx *err)
{
	if (!id || strlen(id) > SK_ID_LEN)
		return sk_errf(err, SK_ERR_NOT_FOUND, "no such contact");
	int rc = sk_contact_get_by_id(c, id, ct, err);
	if (!rc && (ct->nfields == 0 || strcmp(ct->fields[0].name, "email") != 0))
		rc = sk_errf(err, SK_ERR_STORAGE, "the contact has no address");
	return rc;
}

static int may(const struct sk_staff *who, enum sk_can what, struct sk_errctx *err)
{
	if (!who || !sk_role_may(who->role, what))
		return sk_errf(err, SK_ERR_FORBIDDEN, "your role may not %s", sk_can_name(what));
	return 0;
}

/* Text an operator typed: at most max bytes, no control characters. */
static int text_ok(const char *s, size_t max)
{
	if (strlen(s) > max)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t')
			return 0;
	return 1;
}

static int record_check(struct sk_core *c, const struct sk_person_consent *in, int64_t now,
			const struct sk_purpose **outp, struct sk_errctx *err)
{
	const struct sk_purpose *p = in->purpose ? sk_policy_purpose(c->policy, in->purpose) : NULL;
	if (!p)
		return sk_errf(err, SK_ERR_UNKNOWN_PURPOSE, "no such purpose");
	if (p->basis != SK_BASIS_CONSENT)
		return sk_errf(err, SK_ERR_INVALID, "this purpose does not rest on consent");
	if (in->action != SK_ACT_GIVE && in->action != SK_ACT_REFUSE &&
	    in->action != SK_ACT_WITHDRAW)
		return sk_errf(err, SK_ERR_INVALID, "the action must be give, refuse or withdraw");
	if (!in->method || (strcmp(in->method, "phone") != 0 && strcmp(in->method, "paper") != 0))
		return sk_errf(err, SK_ERR_INVALID, "the method must be phone or paper");
	if (in->occurred_at > now)
		return sk_errf(err, SK_ERR_INVALID, "the time is in the future");
	if (in->occurred_at < 0)
		return sk_errf(err, SK_ERR_INVALID, "the time is not valid");
	if (in->notice_version < 0 || in->notice_version > p->notice_version)
		return sk_errf(err, SK_ERR_INVALID, "no such notice version");
	const char *ref = in->reference ? in->reference : "";
	while (*ref == ' ')
		ref++;
	if (in->action != SK_ACT_WITHDRAW && !*ref)
		return sk_errf(err, SK_ERR_INVALID, "a reference (a call id or the form's id) is "
			       "required");
	if (!text_ok(ref, REF_MAX))
		return sk_errf(err, SK_ERR_INVALID, "the reference is too long or not text");
	if (in->note && !text_ok(in->note, NOTE_MAX))
		return sk_errf(err, SK_ERR_INVALID, "the note is too long or not text");
	*outp = p;
	return 0;
}

int sk_person_record(struct sk_core *c, const struct sk_staff *who, const char *id,
		     const struct sk_person_consent *in, int64_t now,
		     struct sk_consent_event *out, int *mailed, struct sk_errctx *err)
{
	const struct sk_purpose *p = NULL;
	struct sk_contact ct = {0};
	struct sk_consent_event ev = {0};
	char actor[96], at[SK_TIME_STRLEN], *evidence = NULL;
	int rc, suppressed = 0;
	if (mailed)
		*mailed = 0;
	if ((rc = sk_core_need_policy(c, err)) || (rc = may(who, SK_CAN_RECORD, err)) ||
	    (rc = record_check(c, in, now, &p, err)))
		return rc;
	const char *lang = in->lang && strcmp(in->lang, "sv") == 0 ? "sv" : "en";
	int64_t when = in->occurred_at ? in->occurred_at : now;
	int version = in->notice_version ? in->notice_version : p->notice_version;
	int doi = in->action == SK_ACT_GIVE && p->double_opt_in;
	sk_staff_actor(who, actor, sizeof(actor));
	sk_time_format(now, at);
	json_t *doc = json_pack("{s:s,s:s,s:s,s:s,s:i,s:s}", "taken_by", actor, "method",
				in->method, "reference", in->reference ? in->reference : "",
				"recorded_in", "console", "notice_version", version,
				"recorded_at", at);
	if (doc && in->note && *in->note)
		json_object_set_new(doc, "note", json_string(in->note));
	if (doc && doi)
		json_object_set_new(doc, "double_opt_in",
				    json_string("pending: a preference-centre link was mailed to the "
						"address on file, where the person confirms it"));
	evidence = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(doc);
	if (!evidence)
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");

	if ((rc = sk_core_batch_begin(c, err)))
		goto done;
	if ((rc = person_get(c, id, &ct, err)))
		goto out;
	if (in->action == SK_ACT_GIVE &&
	    (rc = sk_suppressed(c, ct.fields[0].value, &suppressed, err)))
		goto out;
	if (suppressed) {
		rc = sk_errf(err, SK_ERR_SUPPRESSED, "the address is on the suppression list");
		goto out;
	}
	struct sk_state st;
	rc = sk_consent_state(c, ct.id, p->id, &st, err);
	if (rc && rc != SK_ERR_NOT_FOUND)
		goto out;
	int known = !rc;
	enum sk_status now_st = known ? sk_state_status(&st, now) : SK_ST_UNKNOWN;
	sk_errctx_reset(err);
	rc = 0;
	/* only a consent in force (or waiting, or claimed) can be withdrawn */
	if (in->action == SK_ACT_WITHDRAW && now_st != SK_ST_GIVEN && now_st != SK_ST_PENDING &&
	    now_st != SK_ST_UNVERIFIED) {
		rc = sk_errf(err, SK_ERR_INVALID, "there is no consent to withdraw for this purpose");
		goto out;
	}
	/* a paper form or call from before the person's own later withdrawal or refusal would
	 * overturn it: a backlog of old forms never brings back a consent they took back */
	if (in->action == SK_ACT_GIVE && known &&
	    (st.status == SK_ST_WITHDRAWN || st.status == SK_ST_REFUSED) && when <= st.updated_at) {
		char last[SK_TIME_STRLEN];
		sk_time_format(st.updated_at, last);
		rc = sk_errf(err, SK_ERR_INVALID, "the person %s this consent at %s; a consent "
			     "recorded now must be dated after that",
			     st.status == SK_ST_WITHDRAWN ? "withdrew" : "refused", last);
		goto out;
	}
	struct sk_consent_req req = {.contact_id = ct.id, .purpose = p->id,
				     .action = in->action, .method = in->method,
				     .source = "console", .notice_version = version, .lang = lang,
				     .occurred_at = when, .actor = actor,
				     .evidence_json = evidence, .double_opt_in = doi};
	if ((rc = sk_consent_record(c, &req, &ev, err)))
		goto out;
	if (doi) {
		struct sk__addr a;
		if (!(rc = sk__addr_parse(c, ct.fields[0].value, &a, err))) {
			rc = sk__pref_queue_link(c, a.key, ct.id, lang, now, err);
			sk__addr_wipe(&a);
		}
		if (rc)
			goto out;
		if (mailed)
			*mailed = 1;
	}
	rc = sk_staff_audit(c, who,
			    in->action == SK_ACT_WITHDRAW ? "consent.withdraw" : "consent.record",
			    ct.id, p->id, err);
out:
	rc = batch_end(c, rc, err);
	if (!rc && out)
		*out = ev;
done:
	sk_contact_reset(&ct);
	sk_vault_wipe(evidence, strlen(evidence));
	free(evidence);
	return rc;
}

int sk_person_rectify(struct sk_core *c, const struct sk_staff *who, const char *id,
		      const char *field, const char *value, struct sk_errctx *err)
{
	char actor[96];
	int rc;
	if ((rc = sk_core_need_policy(c, err)) || (rc = may(who, SK_CAN_RECTIFY, err)))
		return rc;
	if (!field || !value)
		return sk_errf(err, SK_ERR_INVALID, "a field and its value are required");
	if (strcmp(field, "email") == 0)
		return sk_errf(err, SK_ERR_INVALID, "the address is not corrected here: erase and "
			       "add the person again, or ask them to");
	sk_staff_actor(who, actor, sizeof(actor));
	struct sk_field_value fv = {.name = field, .value = value};
	if ((rc = sk_core_batch_begin(c, err)))
		return rc;
	if (!id || strlen(id) > SK_ID_LEN)
		rc = sk_errf(err, SK_ERR_NOT_FOUND, "no such contact");
	if (!rc)
		rc = sk_contact_edit(c, id, &fv, 1, actor, err);
	if (!rc)
		rc = sk_staff_audit(c, who, "contact.rectify", id, field, err);
	return batch_end(c, rc, err);
}

int sk_person_link(struct sk_core *c, const struct sk_staff *who, const char *id,
		   const char *lang, int64_t now, struct sk_errctx *err)
{
	struct sk_contact ct = {0};
	struct sk__addr a;
	int rc, suppressed = 0, parsed = 0;
	if ((rc = sk_core_need_policy(c, err)) || (rc = may(who, SK_CAN_LINK, err)))
		return rc;
	if ((rc = sk_core_batch_begin(c, err)))
		return rc;
	if ((rc = person_get(c, id, &ct, err)) ||
	    (rc = sk_suppressed(c, ct.fields[0].value, &suppressed, err)))
		goto out;
	if (suppressed) {
		rc = sk_errf(err, SK_ERR_SUPPRESSED, "the address is on the suppression list");
		goto out;
	}
	if ((rc = sk__addr_parse(c, ct.fields[0].value, &a, err)))
		goto out;
	parsed = 1;
	rc = sk__pref_queue_link(c, a.key, ct.id, lang && strcmp(lang, "sv") == 0 ? "sv" : "en",
				 now, err);
	if (!rc)
		rc = sk_staff_audit(c, who, "contact.link", ct.id, NULL, err);
out:
	if (parsed)
		sk__addr_wipe(&a);
	sk_contact_reset(&ct);
	return batch_end(c, rc, err);
}

int sk_person_export(struct sk_core *c, const struct sk_staff *who, const char *id,
		     const char *lang, struct sk_access_export *out, struct sk_errctx *err)
{
	int rc;
	memset(out, 0, sizeof(*out));
	if ((rc = may(who, SK_CAN_EXPORT, err)))
		return rc;
	if (!id || strlen(id) > SK_ID_LEN)
		return sk_errf(err, SK_ERR_NOT_FOUND, "no such contact");
	if ((rc = sk_core_batch_begin(c, err)))
		return rc;
	rc = sk_export(c, id, lang, out, err);
	if (!rc && (rc = sk_staff_audit(c, who, "contact.export", id, NULL, err)))
		sk_access_export_reset(out);
	return batch_end(c, rc, err);
}

void sk_person_erase_code(const char *id, char out[8])
{
	size_t n = strlen(id), k = n < 6 ? n : 6;
	for (size_t i = 0; i < k; i++)
		out[i] = (char)toupper((unsigned char)id[n - k + i]);
	out[k] = '\0';
}

/* Whether confirm is the address (canonically) or the erasure code of contact ct. */
static int confirmed(struct sk_core *c, const struct sk_contact *ct, const char *confirm)
{
	char code[8], a[SK_EMAIL_MAX + 1], b[SK_EMAIL_MAX + 1];
	struct sk_errctx e = {0};
	int ok = 0;
	sk_person_erase_code(ct->id, code);
	while (*confirm == ' ')
		confirm++;
	char typed[16];
	sk_strlcpy(typed, confirm, sizeof(typed));
	for (char *p = typed; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	for (size_t n = strlen(typed); n && typed[n - 1] == ' '; n--)
		typed[n - 1] = '\0';
	if (strlen(confirm) < sizeof(typed) && strcmp(typed, code) == 0)
		return 1;
	(void)c;
	if (sk_email_canonical(confirm, a, &e) == 0 &&
	    sk_email_canonical(ct->fields[0].value, b, &e) == 0)
		ok = strcmp(a, b) == 0;
	sk_vault_wipe(a, sizeof(a));
	sk_vault_wipe(b, sizeof(b));
	return ok;
}

int sk_person_erase(struct sk_core *c, const struct sk_staff *who, const char *id,
		    const char *confirm, struct sk_erasure_receipt *out, struct sk_errctx *err)
{
	struct sk_contact ct = {0};
	long events = 0;
	int rc;
	memset(out, 0, sizeof(*out));
	if ((rc = may(who, SK_CAN_ERASE, err)))
		return rc;
	if ((rc = sk_core_batch_begin(c, err)))
		return rc;
	if ((rc = person_get(c, id, &ct, err)))
		goto out;
	if (!confirm || !confirmed(c, &ct, confirm)) {
		rc = sk_errf(err, SK_ERR_INVALID, "the confirmation does not match: nothing was "
			     "erased");
		goto out;
	}
	if (!(rc = sk__forget_in(c, ct.id, &events, err)))
		rc = sk_staff_audit(c, who, "contact.erase", ct.id, NULL, err);
out:
	rc = batch_end(c, rc, err);
	if (!rc)
		rc = sk__forget_done(c, ct.id, events, out, err);
	sk_contact_reset(&ct);
	return rc;
}

int sk_person_receipt(struct sk_core *c, const struct sk_staff *who, const char *event_id,
		      struct sk_consent_receipt *out, struct sk_errctx *err)
{
	int rc;
	if ((rc = may(who, SK_CAN_EVIDENCE, err)))
		return rc;
	if ((rc = sk_core_batch_begin(c, err)))
		return rc;
	rc = sk_receipt(c, event_id, out, err);
	if (!rc)
		rc = sk_staff_audit(c, who, "contact.receipt", out->contact_id, out->event_id,
				    err);
	return batch_end(c, rc, err);
}
