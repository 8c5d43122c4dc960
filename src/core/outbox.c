/* outbox.c: the mail outbox. Core queues a mail in the same transaction as what it is about
 * (a form request, a preference link asked for); the mail worker (src/mail/worker.c) takes the next one due, built here
 * from the request and the policy, sends it, and reports back: sent, retried with back-off,
 * or given up. See docs/internals/mail.md. */
#include "core/core_int.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "util/mem.h"

#define FIRST_WAIT 60   /* seconds before the first retry; doubles */
#define WAIT_CAP 3600
#define CLAIM_FOR 300   /* seconds a taken mail is not taken again (the SMTP timeout is 30) */

void sk_outgoing_reset(struct sk_outgoing *m)
{
	sk_free(m->subject);
	sk_free(m->text);
	sk_free(m->html);
	sk_free(m->list_unsub);
	sk_vault_wipe(m->to, sizeof(m->to));
	memset(m, 0, sizeof(*m));
}

/* The recipient for the envelope and To: the local part as the person wrote it, the domain
 * as its ASCII (A-label) form, which every server takes. */
int sk__outbox_recipient(const char *email, char *out, struct sk_errctx *err)
{
	char canon[SK_EMAIL_MAX + 1];
	int rc = sk_email_canonical(email, canon, err);
	const char *at = strrchr(email, '@'), *cat = strrchr(canon, '@');
	if (rc)
		return rc;
	while (*email == ' ' || *email == '\t')
		email++;
	snprintf(out, 512, "%.*s%s", (int)(at - email), email, cat);
	sk_vault_wipe(canon, sizeof(canon));
	return 0;
}

/* Builds the double opt-in mail of the request the outbox row names. */
static int build_confirm(struct sk_core *c, const char *public_url, int64_t now,
			 struct sk_outgoing *out, struct sk_errctx *err)
{
	struct sk_request_rec rec;
	const char *titles[SK_FORM_MAX_ITEMS];
	char token[SK_TOKEN_MAX], link[SK_TOKEN_MAX + 512];
	json_t *doc = NULL, *e;
	size_t i, n = 0;
	int rc = sk__request_open(c, out->rec.ref, now, &rec, &doc, err);
	if (rc)
		return rc;
	const char *lang = json_string_value(json_object_get(doc, "lang"));
	int lng = lang ? sk_lang_from_name(lang) : -1;
	const char *email = json_string_value(json_object_get(doc, "email"));
	if (lng < 0 || !email) {
		rc = sk_errf(err, SK_ERR_STORAGE, "request %s is not readable", rec.id);
		goto out;
	}
	json_array_foreach(json_object_get(doc, "consents"), i, e) {
		const struct sk_purpose *p = sk_policy_purpose(
			c->policy, json_string_value(json_object_get(e, "purpose")));
		if (p && n < SK_FORM_MAX_ITEMS)
			titles[n++] = p->title[lng];
	}
	/* whether the same submission recorded consents at once (so the mail must not say
	 * that ignoring it records nothing); a request made before 0.1.x holds no "given" */
	int others = json_array_size(json_object_get(doc, "given")) > 0;
	if (n == 0) {
		rc = sk_errf(err, SK_ERR_NOT_FOUND, "nothing left to confirm");
		goto out;
	}
	if ((rc = sk__outbox_recipient(email, out->to, err)))
		goto out;
	if ((rc = sk_vault_token_sign(c->vault, SK__CONFIRM_TAG, rec.id, rec.expires_at, token))) {
		rc = sk_errf(err, rc, "could not sign the confirmation link");
		goto out;
	}
	/* the link goes to the server the person used */
	const char *base = json_string_value(json_object_get(doc, "link_base"));
	if (!base)
		base = public_url;
	snprintf(link, sizeof(link), "%s/f/confirm/%s", base, token);
	/* The preference centre: a person already on file gets their own link (the mail goes
	 * to the address on file); anyone else the page that mails one. */
	char id[SK_ID_LEN + 1], pref[SK_PREF_LINK_MAX], pref_link[SK_PREF_LINK_MAX + 512];
	struct sk_errctx ignore = {0};
	if (sk_contact_find(c, email, id, &ignore) == 0 &&
	    sk_pref_link(c, id, now, SK_PREF_LINK_DAYS, pref, NULL, &ignore) == 0)
		snprintf(pref_link, sizeof(pref_link), "%s/p/%s", base, pref);
	else
		snprintf(pref_link, sizeof(pref_link), "%s/p", base);
	sk_vault_wipe(pref, sizeof(pref));
	rc = sk_mail_confirmation_pref(lang, c->policy->org_name, titles, n, others, link,
				       rec.expires_at, pref_link, &out->subject, &out->text, err);
out:
	json_decref(doc);
	return rc;
}

/* Builds the mail with a fresh preference link of the contact the outbox row names (kind
 * "preflink:LANG"): by its id (ref), or, for an address typed into /p (ref ""), the contact
 * under the row's email_key. No such contact (unknown, erased) or an address suppressed
 * since: nothing to send. */
static int build_preflink(struct sk_core *c, const char *public_url, int64_t now,
			  struct sk_outgoing *out, struct sk_errctx *err)
{
	struct sk_contact ct = {0};
	struct sk_contact_rec rec;
	char token[SK_PREF_LINK_MAX], link[SK_PREF_LINK_MAX + 512];
	const char *lang = strcmp(out->rec.kind, "preflink:sv") == 0 ? "sv" : "en";
	const char *id = out->rec.ref;
	int64_t expires = 0;
	int suppressed = 0, rc = 0;
	if (!id[0]) {
		rc = sk_store_contact_by_key(c->store, out->rec.email_key, &rec);
		if (rc == SK_ERR_NOT_FOUND)
			return sk_errf(err, rc, "no contact has the address");
		if (rc)
			return sk__store_err(err, rc, "looking up a contact");
		id = rec.id;
	}
	if ((rc = sk_contact_get_by_id(c, id, &ct, err)))
		return rc;
	if (ct.nfields == 0 || strcmp(ct.fields[0].name, "email") != 0)
		rc = sk_errf(err, SK_ERR_STORAGE, "the contact has no address");
	else if (!(rc = sk_suppressed(c, ct.fields[0].value, &suppressed, err)) && suppressed)
		rc = sk_errf(err, SK_ERR_NOT_FOUND, "the address is suppressed");
	if (!rc)
		rc = sk__outbox_recipient(ct.fields[0].value, out->to, err);
	if (!rc)
		rc = sk_pref_link(c, ct.id, now, SK_PREF_LINK_DAYS, token, &expires, err);
	if (!rc) {
		snprintf(link, sizeof(link), "%s/p/%s", public_url, token);
		rc = sk_mail_preflink(lang, c->policy->org_name, link, expires, &out->subject,
				      &out->text, err);
		sk_vault_wipe(link, sizeof(link));
		sk_vault_wipe(token, sizeof(token));
	}
	sk_contact_reset(&ct);
	return rc;
}

int sk_outbox_take(struct sk_core *c, const char *public_url, int64_t now,
		   struct sk_outgoing *out, struct sk_errctx *err)
{
	int rc;
	memset(out, 0, sizeof(*out));
	if ((rc = sk_core_need_policy(c, err)))
		return rc;
	for (;;) {
		/* Claimed for a while, in one write transaction, so that the worker of another
		 * server on the same database does not send it too; if this one dies, the claim
		 * runs out and it is sent later (at least once). */
		if ((rc = sk__core_begin(c, err)))
			return rc;
		rc = sk_store_outbox_next(c->store, now, &out->rec);
		if (!rc) {
			struct sk_outbox_rec claim = out->rec;
			claim.next_attempt_at = now + CLAIM_FOR;
			rc = sk_store_outbox_state(c->store, &claim);
		}
		if (rc && rc != SK_ERR_NOT_FOUND)
			sk__store_err(err, rc, "reading the mail outbox");
		if ((rc = sk__core_end(c, rc, err)) == SK_ERR_NOT_FOUND)
			return sk_errf(err, rc, "no mail is due");
		if (rc)
			return rc;
		if (strcmp(out->rec.kind, "confirm") == 0)
			rc = build_confirm(c, public_url, now, out, err);
		else if (strncmp(out->rec.kind, "preflink", 8) == 0)
			rc = build_preflink(c, public_url, now, out, err);
		else if (strcmp(out->rec.kind, "campaign") == 0)
			rc = sk__campaign_build(c, public_url, now, out, err);
		else
			rc = sk_errf(err, SK_ERR_NOT_FOUND, "unknown kind of mail");
		if (rc == 0 || rc == SK_ERR_STORAGE || rc == SK_ERR_BUSY || rc == SK_ERR_NOMEM)
			return rc;
		/* What it was about is gone, or cannot be mailed: given up at once. */
		char why[sizeof(out->rec.last_error)];
		sk_strlcpy(why, rc == SK_ERR_NOT_FOUND ? "nothing left to send" : err->msg,
			   sizeof(why));
		struct sk_outbox_rec rec = out->rec;
		sk_outgoing_reset(out);
		if ((rc = sk_outbox_done(c, &(struct sk_outgoing){.rec = rec}, SK_ERR_INVALID, why,
					 now, err)))
			return rc;
	}
}

int sk_outbox_done(struct sk_core *c, const struct sk_outgoing *m, int rc, const char *why,
		   int64_t now, struct sk_errctx *err)
{
	struct sk_outbox_rec r = m->rec;
	r.attempts++;
	if (rc == 0) {
		r.sent_at = now;
		r.last_error[0] = '\0';
	} else {
		sk_strlcpy(r.last_error, why ? why : "", sizeof(r.last_error));
		int64_t wait = FIRST_WAIT;
		for (int i = 1; i < r.attempts && wait < WAIT_CAP; i++)
			wait *= 2;
		r.next_attempt_at = now + (wait < WAIT_CAP ? wait : WAIT_CAP);
		if (rc == SK_ERR_INVALID || r.next_attempt_at - r.created_at > SK_OUTBOX_RETRY_FOR)
			r.failed_at = now;
	}
	if (strcmp(r.kind, "campaign") != 0) {
		int src = sk_store_outbox_state(c->store, &r);
		return src ? sk__store_err(err, src, "saving the state of a mail") : 0;
	}
	/* a campaign mail: the outbox row and its send-log row in one transaction */
	int erc = sk__core_begin(c, err);
	if (erc)
		return erc;
	if ((erc = sk_store_outbox_state(c->store, &r)))
		sk__store_err(err, erc, "saving the state of a mail");
	else
		erc = sk__campaign_done(c, r.ref, rc == 0, r.failed_at != 0, now, err);
	return sk__core_end(c, erc, err);
}
