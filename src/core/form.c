/* form.c: web form submissions and their confirmation (docs/forms.md). An anonymous post is
 * a request, not a change: whatever it would change for a person the hub already knows, and
 * every consent that needs double opt-in, is held as a sealed request until the person
 * confirms it from their own mailbox. The confirmation mail is queued in the outbox in the
 * same transaction; the mail worker sends it. */
#include "core/core_int.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/mem.h"

#define REQUEST_AD "request/"
#define DAY 86400

/* With Global Privacy Control, tracking and profiling are given only by a tick on the form
 * page itself, not by a site's script posting JSON. */
static int gpc_withholds(const struct sk_form_input *in, const struct sk_purpose *p)
{
	return in->gpc && in->scripted && (p->kind == SK_KIND_TRACKING || p->kind == SK_KIND_PROFILING);
}

void sk_form_foresee(const struct sk_core *c, const struct sk_form_input *in,
		     struct sk_form_outcome *out)
{
	memset(out, 0, sizeof(*out));
	/* The form's own purpose (a registration) comes with every submission, unticked. */
	const struct sk_purpose *own = in->form->purpose ? sk_policy_purpose(c->policy,
									     in->form->purpose)
							 : NULL;
	if (own && own->double_opt_in)
		out->pending[out->npending++] = own->id;
	else if (own)
		out->given[out->ngiven++] = own->id;
	for (size_t i = 0; i < in->nconsents && i + 1 < SK_FORM_MAX_ITEMS; i++) {
		const struct sk_form_consent *fc = sk_form_consent(in->form, in->consents[i]);
		const struct sk_purpose *p = fc ? sk_policy_purpose(c->policy, fc->purpose) : NULL;
		if (!p)
			continue;
		if (gpc_withholds(in, p))
			out->ignored[out->nignored++] = p->id;
		else if (fc->double_opt_in || p->double_opt_in)
			out->pending[out->npending++] = p->id;
		else
			out->given[out->ngiven++] = p->id;
	}
}

/* Copies at most max bytes of s into a new string, cut on a character boundary, with every
 * byte that is not part of valid UTF-8, and every control character, replaced by '?'; so
 * that evidence is always valid JSON of a known size. */
static char *clean_text(const char *s, size_t max)
{
	size_t n = 0, len = s ? strlen(s) : 0;
	char *out = sk_malloc((len < max ? len : max) + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		unsigned char b = (unsigned char)s[i];
		size_t k = b < 0x80 ? 1 : (b & 0xe0) == 0xc0 ? 2 : (b & 0xf0) == 0xe0 ? 3
			 : (b & 0xf8) == 0xf0 ? 4 : 0;
		int ok = k > 0 && i + k <= len && !(k == 2 && b < 0xc2) && !(k == 4 && b > 0xf4);
		for (size_t j = 1; ok && j < k; j++)
			ok = ((unsigned char)s[i + j] & 0xc0) == 0x80;
		if (ok && k == 3) {
			unsigned char b1 = (unsigned char)s[i + 1];
			ok = !(b == 0xe0 && b1 < 0xa0) && !(b == 0xed && b1 >= 0xa0);
		}
		if (ok && k == 4) {
			unsigned char b1 = (unsigned char)s[i + 1];
			ok = !(b == 0xf0 && b1 < 0x90) && !(b == 0xf4 && b1 >= 0x90);
		}
		if (!ok || (k == 1 && (b < 0x20 || b == 0x7f)))
			k = 1;
		if (n + k > max)
			break;
		if (!ok || (k == 1 && (b < 0x20 || b == 0x7f)))
			out[n++] = '?';
		else
			memcpy(out + n, s + i, k), n += k;
		i += k;
	}
	out[n] = '\0';
	return out;
}

/* The page a submission came from, as evidence keeps it: an http or https URL's scheme,
 * host and path only (sk_url_strip); anything else is dropped. A query, a fragment or a
 * user:password@ may carry the person's address or name, and must not outlive an erasure in
 * the ledger's clear-text source. "" for a value that is not such a URL. */
static char *page_of(const char *url)
{
	char *p = sk_malloc(SK_FORM_PAGE_MAX + 1);
	if (!p)
		return NULL;
	p[0] = '\0';
	if (url && (strncasecmp(url, "https://", 8) == 0 || strncasecmp(url, "http://", 7) == 0))
		sk_url_strip(url, p, SK_FORM_PAGE_MAX + 1);
	const char *host = strstr(p, "://");
	if (host && (host[3] == '\0' || host[3] == '/'))
		p[0] = '\0';
	return p;
}

/* Fields that the purposes named need (minimisation), the address left out. */
static size_t fields_for(const struct sk_core *c, const struct sk_form_input *in,
			 const char *const *purposes, size_t n, struct sk_field_value *out)
{
	size_t k = 0;
	for (size_t i = 0; i < in->nfields; i++) {
		int needed = 0;
		if (strcmp(in->fields[i].name, "email") == 0 || !in->fields[i].value[0])
			continue;
		for (size_t j = 0; j < n && !needed; j++) {
			const struct sk_purpose *p = sk_policy_purpose(c->policy, purposes[j]);
			for (size_t f = 0; p && f < p->nfields && !needed; f++)
				needed = strcmp(p->fields[f], in->fields[i].name) == 0;
		}
		if (needed)
			out[k++] = in->fields[i];
	}
	return k;
}

/* What a submission records as its source and evidence. */
struct provenance {
	char source[256];
	char *evidence; /* JSON; owned */
};

static int provenance_make(struct sk_core *c, const struct sk_form_input *in,
			   struct provenance *pv, struct sk_errctx *err)
{
	char *page = page_of(in->page_url), *ua = clean_text(in->user_agent, SK_FORM_UA_MAX);
	json_t *ev = NULL;
	int rc = 0;

	if (!page || !ua)
		rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
	if (!rc) {
		/* The ledger's source is clear text that an erasure keeps, and a page's path is the
		 * visitor's to choose (/thanks/ADDRESS/): it names the site only, scheme
		 * and host. The whole page (path too) is in the sealed evidence, which an erasure
		 * shreds. */
		char *site = clean_text(page, 200);
		if (!site) {
			rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
		} else {
			char *host = strstr(site, "://");
			if (host)
				host[3 + strcspn(host + 3, "/")] = '\0';
			snprintf(pv->source, sizeof(pv->source), "form:%s v%d%s%s", in->form->id,
				 c->policy_version, site[0] ? " " : "", site);
		}
		sk_free(site);
	}
	if (!rc) {
		ev = json_pack("{s:s,s:i,s:s?,s:s,s:s?,s:b}", "form", in->form->id, "form_version",
			       c->policy_version, "page_url", page[0] ? page : NULL, "ip",
			       in->ip ? in->ip : "", "user_agent", ua[0] ? ua : NULL, "gpc", in->gpc);
		pv->evidence = ev ? json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		if (!pv->evidence)
			rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
	}
	json_decref(ev);
	sk_free(page);
	sk_free(ua);
	return rc;
}

/* A give for a purpose on consent; a form's own purpose on contract records no consent,
 * only the fields it needs. */
static int give(struct sk_core *c, const char *contact_id, const char *purpose, int version,
		const char *lang, int64_t at, int doi, const struct provenance *pv,
		struct sk_errctx *err)
{
	const struct sk_purpose *p = sk_policy_purpose(c->policy, purpose);
	if (p && p->basis != SK_BASIS_CONSENT)
		return 0;
	struct sk_consent_req req = {.contact_id = contact_id, .purpose = purpose,
				     .action = SK_ACT_GIVE, .method = sk_method_name(SK_METHOD_FORM), .source = pv->source,
				     .notice_version = version, .lang = lang, .occurred_at = at,
				     .actor = "form", .evidence_json = pv->evidence,
				     .double_opt_in = doi};
	return sk_consent_record(c, &req, NULL, err);
}

/* The request: what the person asked for, sealed, and its confirmation mail queued. */
static int hold(struct sk_core *c, const struct sk_form_input *in, const uint8_t key[SK_HASH_LEN],
		const char *email, const char *const *purposes, size_t n,
		const char *const *given, size_t ngiven, const struct provenance *pv, int64_t now,
		struct sk_errctx *err)
{
	struct sk_field_value fields[SK_FORM_MAX_ITEMS];
	size_t nf = fields_for(c, in, purposes, n, fields);
	struct sk_request_rec r = {.created_at = now,
				   .expires_at = now + (int64_t)in->link_days * DAY};
	struct sk_outbox_rec m = {.kind = "confirm", .created_at = now, .next_attempt_at = now};
	char ad[64], *text = NULL;
	uint8_t *sealed = NULL;
	size_t slen = 0;
	json_t *doc = NULL, *fo = json_object(), *po = json_array(), *go = json_array();
	int rc = 0;

	/* the consents the same submission gave at once (the mail must not say that nothing is
	 * recorded); a purpose on another basis records no consent */
	for (size_t i = 0; go && i < ngiven; i++) {
		const struct sk_purpose *p = sk_policy_purpose(c->policy, given[i]);
		if (p && p->basis == SK_BASIS_CONSENT)
			json_array_append_new(go, json_string(given[i]));
	}
	if (sk_id_new("r_", r.id) || sk_id_new("m_", m.id)) {
		json_decref(fo);
		json_decref(po);
		json_decref(go);
		return sk_errf(err, SK_ERR_IO, "no randomness for an id");
	}
	for (size_t i = 0; fo && po && i < n; i++) {
		const struct sk_purpose *p = sk_policy_purpose(c->policy, purposes[i]);
		size_t len = strlen(r.purposes);
		/* room for every purpose of a form (SK_FORM_MAX_PURPOSES ids of 63 bytes) */
		snprintf(r.purposes + len, sizeof(r.purposes) - len, "%s%s", i ? "," : "", p->id);
		json_array_append_new(po, json_pack("{s:s,s:i}", "purpose", p->id, "notice_version",
						    p->notice_version));
	}
	for (size_t i = 0; fo && i < nf; i++)
		json_object_set_new(fo, fields[i].name, json_string(fields[i].value));
	if (fo && po && go)
		doc = json_pack("{s:s,s:s,s:s,s:I,s:o,s:o,s:s,s:s,s:s?,s:o}", "email", email, "form",
				in->form->id, "lang", in->lang, "at", (json_int_t)now, "consents", po,
				"fields", fo, "source", pv->source, "evidence", pv->evidence,
				"link_base", in->link_base, "given", go);
	else {
		json_decref(fo);
		json_decref(po);
		json_decref(go);
	}
	if (doc && in->visitor_id && *in->visitor_id)
		json_object_set_new(doc, "visitor", json_string(in->visitor_id));
	text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	snprintf(ad, sizeof(ad), REQUEST_AD "%s", r.id);
	if (!text) {
		rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = sk__seal_system(c, ad, text, strlen(text), &sealed, &slen, err)))
		goto out;
	memcpy(r.email_key, key, SK_HASH_LEN);
	r.payload = sealed;
	r.payload_len = slen;
	memcpy(m.email_key, key, SK_HASH_LEN);
	sk_strlcpy(m.ref, r.id, sizeof(m.ref));
	if ((rc = sk_store_request_put(c->store, &r)) || (rc = sk_store_outbox_put(c->store, &m)))
		sk__store_err(err, rc, "storing a request to confirm");
out:
	if (text)
		sk_vault_wipe(text, strlen(text));
	free(text);
	sk_free(sealed);
	return rc;
}

/* Every field one the form declares, every required one there, every consent one the form
 * offers, once each, and at least one unless the form has a purpose of its own. */
static int check_against_form(const struct sk_form_input *in, struct sk_errctx *err)
{
	const struct sk_form *f = in->form;
	for (size_t i = 0; i < in->nfields; i++)
		if (!sk_form_field(f, in->fields[i].name))
			return sk_errf(err, SK_ERR_UNDECLARED_FIELD,
				       "field '%.64s' is not part of this form", in->fields[i].name);
	for (size_t i = 0; i < f->nfields; i++) {
		int present = 0;
		for (size_t j = 0; j < in->nfields; j++)
			present |= strcmp(in->fields[j].name, f->fields[i].name) == 0 &&
				   in->fields[j].value[0];
		if (f->fields[i].required && !present)
			return sk_errf(err, SK_ERR_INVALID, "field '%s' is required", f->fields[i].name);
	}
	for (size_t i = 0; i < in->nconsents; i++) {
		if (!sk_form_consent(f, in->consents[i]))
			return sk_errf(err, SK_ERR_INVALID, "consent '%.63s' is not offered on this form",
				       in->consents[i]);
		for (size_t j = 0; j < i; j++)
			if (strcmp(in->consents[i], in->consents[j]) == 0)
				return sk_errf(err, SK_ERR_INVALID, "consent '%.63s' is given twice",
					       in->consents[i]);
	}
	if (in->nconsents == 0 && !f->purpose)
		return sk_errf(err, SK_ERR_INVALID, "tick at least one consent");
	return 0;
}

int sk_form_check(struct sk_core *c, const struct sk_form_input *in, struct sk_errctx *err)
{
	char written[SK_EMAIL_MAX + 1], canon[SK_EMAIL_MAX + 1];
	int rc = check_against_form(in, err);
	if (rc)
		return rc;
	rc = sk_email_forms(in->email, written, canon, err);
	sk_vault_wipe(written, sizeof(written));
	sk_vault_wipe(canon, sizeof(canon));
	if (rc) {
		char why[sizeof(err->msg)];
		sk_strlcpy(why, err->msg, sizeof(why));
		return sk_errf(err, rc, "field 'email': %.200s", why);
	}
	for (size_t i = 0; i < in->nfields; i++) {
		const struct sk_field_def *d = sk_policy_field(c->policy, in->fields[i].name);
		if (strcmp(in->fields[i].name, "email") == 0 || !in->fields[i].value[0])
			continue;
		if (!d)
			return sk_errf(err, SK_ERR_UNDECLARED_FIELD, "field '%.64s' is not declared",
				       in->fields[i].name);
		if ((rc = sk_policy_field_validate(d, in->fields[i].value, err)))
			return rc;
	}
	return 0;
}

int sk_form_submit(struct sk_core *c, const struct sk_form_input *in,
		   struct sk_form_outcome *out, struct sk_errctx *err)
{
	char canon[SK_EMAIL_MAX + 1], written[SK_EMAIL_MAX + 1], id[SK_ID_LEN + 1];
	struct sk_contact ct = {0};
	uint8_t key[SK_HASH_LEN];
	const char *now_list[SK_FORM_MAX_ITEMS], *held[SK_FORM_MAX_ITEMS];
	size_t nnow = 0, nheld = 0;
	struct provenance pv = {0};
	int64_t now = sk_time_now();
	int rc, suppressed = 0, known;

	if ((rc = sk_core_need_policy(c, err)))
		return rc;
	sk_form_foresee(c, in, out);
	/* The same checks, and the same error, whatever the address: an answer that differed
	 * for a known one would tell who is on file. */
	if ((rc = sk_form_check(c, in, err)))
		return rc;
	/* Decided by the form alone, before anything is stored, so that the answer cannot tell
	 * whether the address is known. */
	if (out->npending && !in->can_mail)
		return sk_errf(err, SK_ERR_BUSY, "this form needs confirmation by e-mail, and no "
			       "mail server is configured");
	/* A robot gets the answer a person would, and nothing is kept or sent. */
	if (in->robot)
		return 0;
	if ((rc = sk_email_forms(in->email, written, canon, err)))
		return rc;
	sk_vault_email_key(c->vault, canon, key);
	sk_vault_wipe(canon, sizeof(canon));
	if ((rc = provenance_make(c, in, &pv, err)))
		return rc;
	if ((rc = sk_core_batch_begin(c, err)))
		goto done;
	if ((rc = sk_suppressed(c, in->email, &suppressed, err)) || suppressed)
		goto out; /* nothing stored, nothing sent; the answer is the same */
	rc = sk_contact_find(c, in->email, id, err);
	if (rc && rc != SK_ERR_NOT_FOUND)
		goto out;
	known = rc == 0;
	rc = 0;
	/* A new address gets at once what needs no confirmation; everything for a known
	 * person, and every double opt-in, waits for their mailbox. */
	for (size_t i = 0; i < out->ngiven; i++)
		if (known)
			held[nheld++] = out->given[i];
		else
			now_list[nnow++] = out->given[i];
	for (size_t i = 0; i < out->npending; i++)
		held[nheld++] = out->pending[i];
	if (nnow) {
		struct sk_field_value fields[SK_FORM_MAX_ITEMS];
		size_t nf = fields_for(c, in, now_list, nnow, fields);
		rc = sk_contact_add(c, in->email, fields, nf, id, err);
		for (size_t i = 0; !rc && i < nnow; i++)
			rc = give(c, id, now_list[i], 0, in->lang, 0, 0, &pv, err);
		/* a new person: the banner's answers of their browser go with what they gave */
		if (!rc)
			rc = sk__visitor_tie(c, in->visitor_id, id, "form", now, NULL, err);
	}
	if (!rc && nheld && in->can_mail) {
		long sent = 0;
		/* A known person is mailed at the address on file, never at the spelling of the
		 * post: spellings that share a key (case, a Kelvin sign for a k) may be another
		 * mailbox. */
		const char *to = written;
		if (known && !(rc = sk_contact_get_by_id(c, id, &ct, err))) {
			if (ct.nfields == 0 || strcmp(ct.fields[0].name, "email") != 0)
				rc = sk_errf(err, SK_ERR_STORAGE, "contact %s has no address", id);
			else
				to = ct.fields[0].value;
		}
		if (!rc && (rc = sk_store_outbox_count(c->store, key, now - DAY, &sent)))
			sk__store_err(err, rc, "counting confirmation mails");
		if (!rc && sent < SK_FORM_MAILS_PER_DAY)
			rc = hold(c, in, key, to, held, nheld, now_list, nnow, &pv, now, err);
	}
out:
	if (rc)
		sk_core_batch_rollback(c);
	else
		rc = sk_core_batch_commit(c, err);
done:
	sk_contact_reset(&ct);
	sk_vault_wipe(written, sizeof(written));
	free(pv.evidence);
	return rc;
}

/* ---- confirmation ---- */

/* Reads request id, lapsed or not, and opens its sealed JSON: the request, or after its
 * confirmation what is kept of it ({"confirmed_at", "lang", "consents"}: no address, no
 * fields) until its link expires, so that the link can say it was confirmed. */
static int request_read(struct sk_core *c, const char *id, struct sk_request_rec *rec,
			json_t **out, struct sk_errctx *err)
{
	char ad[64], *text = NULL;
	size_t len;
	json_error_t je;
	int rc = sk_store_request_get(c->store, id, rec);

	*out = NULL;
	if (rc == SK_ERR_NOT_FOUND)
		return sk_errf(err, SK_ERR_NOT_FOUND, "no such request");
	if (rc)
		return sk__store_err(err, rc, "reading a request");
	snprintf(ad, sizeof(ad), REQUEST_AD "%s", rec->id);
	if (sk_vault_unseal_system(c->vault, ad, rec->payload, rec->payload_len, &text, &len) &&
	    (!sk__key_retry(c) ||
	     sk_vault_unseal_system(c->vault, ad, rec->payload, rec->payload_len, &text, &len)))
		return sk_errf(err, SK_ERR_CRYPTO, "request %s cannot be opened", rec->id);
	*out = json_loadb(text, len, 0, &je);
	sk_vault_wipe(text, len);
	sk_free(text);
	return *out ? 0 : sk_errf(err, SK_ERR_STORAGE, "request %s is not readable", rec->id);
}

int sk__request_open(struct sk_core *c, const char *id, int64_t now, struct sk_request_rec *rec,
		     json_t **out, struct sk_errctx *err)
{
	int rc = request_read(c, id, rec, out, err);
	if (!rc && rec->expires_at <= now)
		rc = sk_errf(err, SK_ERR_NOT_FOUND, "no such request");
	else if (!rc && json_object_get(*out, "confirmed_at"))
		rc = sk_errf(err, SK_ERR_EXISTS, "the request was confirmed already");
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* After a confirmation: the request is replaced by what its link needs to say so (the
 * language and the purposes, sealed as the request was), under the same id and address
 * key, so that it expires with the link and goes with an erasure; no purpose in clear, so
 * that the gate and the policy's holder count do not see it. */
static int request_settle(struct sk_core *c, const struct sk_request_rec *rec, json_t *doc,
			  int64_t now, struct sk_errctx *err)
{
	struct sk_request_rec t = *rec;
	char ad[64], *text = NULL;
	uint8_t *sealed = NULL;
	size_t slen = 0;
	json_t *kept = json_pack("{s:I,s:O?,s:O?}", "confirmed_at", (json_int_t)now, "lang",
				 json_object_get(doc, "lang"), "consents",
				 json_object_get(doc, "consents"));
	int rc = sk_store_request_delete(c->store, rec->id);
	if (rc)
		return sk__store_err(err, rc, "deleting a confirmed request");
	text = kept ? json_dumps(kept, JSON_COMPACT) : NULL;
	json_decref(kept);
	snprintf(ad, sizeof(ad), REQUEST_AD "%s", rec->id);
	if (!text)
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	if ((rc = sk__seal_system(c, ad, text, strlen(text), &sealed, &slen, err))) {
		free(text);
		return rc;
	}
	t.purposes[0] = '\0';
	t.payload = sealed;
	t.payload_len = slen;
	if ((rc = sk_store_request_put(c->store, &t)))
		sk__store_err(err, rc, "keeping a confirmed request");
	free(text);
	sk_free(sealed);
	return rc;
}

/* The fields held, as far as the policy still declares and needs them. */
static size_t held_fields(struct sk_core *c, json_t *fo, struct sk_field_value *out)
{
	const char *k;
	json_t *v;
	size_t n = 0;
	json_object_foreach(fo, k, v) {
		if (n < SK_FORM_MAX_ITEMS && json_is_string(v) && sk_policy_field(c->policy, k) &&
		    sk_policy_field_needed(c->policy, k)) {
			out[n].name = k;
			out[n++].value = json_string_value(v);
		}
	}
	return n;
}

/* sk_form_confirm; contact (may be NULL) gets the id of the contact confirmed, "" when none. */
static int form_confirm(struct sk_core *c, const char *request_id, const char *evidence_json,
			int *nconfirmed, char *contact, struct sk_errctx *err)
{
	struct sk_request_rec rec;
	struct sk_field_value fields[SK_FORM_MAX_ITEMS];
	char id[SK_ID_LEN + 1];
	json_t *doc = NULL, *e;
	size_t i;
	int rc, suppressed = 0, n = 0;

	*nconfirmed = 0;
	if ((rc = sk_core_need_policy(c, err)) || (rc = sk_core_batch_begin(c, err)))
		return rc;
	rc = sk__request_open(c, request_id, sk_time_now(), &rec, &doc, err);
	if (rc == SK_ERR_NOT_FOUND || rc == SK_ERR_EXISTS) { /* gone, or confirmed already */
		sk_core_batch_rollback(c);
		sk_errctx_reset(err);
		return 0;
	}
	const char *email = json_string_value(json_object_get(doc, "email"));
	const char *lang = json_string_value(json_object_get(doc, "lang"));
	struct provenance pv = {.evidence = (char *)json_string_value(json_object_get(doc, "evidence"))};
	sk_strlcpy(pv.source, json_string_value(json_object_get(doc, "source")) ?
		   json_string_value(json_object_get(doc, "source")) : "", sizeof(pv.source));
	int64_t at = json_integer_value(json_object_get(doc, "at"));
	if (!rc && (!email || !lang))
		rc = sk_errf(err, SK_ERR_STORAGE, "request %s is not readable", rec.id);
	if (!rc)
		rc = sk_suppressed(c, email, &suppressed, err);
	if (rc || suppressed)
		goto out;
	size_t nf = held_fields(c, json_object_get(doc, "fields"), fields);
	rc = sk_contact_find(c, email, id, err);
	if (rc == SK_ERR_NOT_FOUND) {
		sk_errctx_reset(err);
		rc = sk_contact_add(c, email, fields, nf, id, err);
	} else if (!rc && nf) {
		rc = sk_contact_edit(c, id, fields, nf, "form", err);
	}
	json_array_foreach(json_object_get(doc, "consents"), i, e) {
		const char *purpose = json_string_value(json_object_get(e, "purpose"));
		if (rc)
			break;
		if (!purpose || !sk_policy_purpose(c->policy, purpose))
			continue; /* dropped from the policy since */
		int version = (int)json_integer_value(json_object_get(e, "notice_version"));
		if (sk_policy_purpose(c->policy, purpose)->basis != SK_BASIS_CONSENT)
			continue; /* its fields are stored above; no consent to record */
		rc = give(c, id, purpose, version, lang, at, 1, &pv, err);
		struct sk_consent_req req = {.contact_id = id, .purpose = purpose,
					     .action = SK_ACT_CONFIRM, .method = sk_method_name(SK_METHOD_MAIL_LINK),
					     .source = "mail:double-opt-in", .notice_version = version,
					     .lang = lang, .actor = "form",
					     .evidence_json = evidence_json};
		if (!rc)
			rc = sk_consent_record(c, &req, NULL, err);
		n += !rc;
	}
	/* confirmed from the person's own mailbox: the banner's answers of the browser that
	 * posted the form go with it */
	if (!rc && n)
		rc = sk__visitor_tie(c, json_string_value(json_object_get(doc, "visitor")), id,
				     "form_confirmed", sk_time_now(), NULL, err);
out:
	if (!rc && suppressed && (rc = sk_store_request_delete(c->store, rec.id)))
		sk__store_err(err, rc, "deleting a confirmed request");
	else if (!rc && !suppressed)
		rc = request_settle(c, &rec, doc, sk_time_now(), err);
	json_decref(doc);
	if (rc) {
		sk_core_batch_rollback(c);
		return rc;
	}
	if ((rc = sk_core_batch_commit(c, err)))
		return rc;
	*nconfirmed = n;
	if (contact && n)
		sk_strlcpy(contact, id, SK_ID_LEN + 1);
	return 0;
}

int sk_form_confirm(struct sk_core *c, const char *request_id, const char *evidence_json,
		    int *nconfirmed, struct sk_errctx *err)
{
	return form_confirm(c, request_id, evidence_json, nconfirmed, NULL, err);
}

/* What the request of a whole token is about (sk_form_link_check). */
static int link_info(struct sk_core *c, const char *subject, int64_t now,
		     struct sk_link_info *info, struct sk_errctx *err)
{
	struct sk_request_rec rec;
	json_t *doc = NULL, *e;
	size_t i;
	if (strncmp(subject, "r_", 2) != 0)
		return 0; /* a link mailed before requests existed: nothing more is known */
	int rc = request_read(c, subject, &rec, &doc, err);
	if (rc == SK_ERR_NOT_FOUND) {
		sk_errctx_reset(err);
		info->state = SK_LINK_GONE;
		return 0;
	}
	if (rc)
		return rc;
	const char *lang = json_string_value(json_object_get(doc, "lang"));
	info->lang = lang ? sk_lang_from_name(lang) : -1;
	info->state = json_object_get(doc, "confirmed_at") ? SK_LINK_CONFIRMED
			: rec.expires_at <= now ? SK_LINK_GONE : SK_LINK_OPEN;
	json_array_foreach(json_object_get(doc, "consents"), i, e) {
		const struct sk_purpose *p = c->policy ? sk_policy_purpose(
			c->policy, json_string_value(json_object_get(e, "purpose"))) : NULL;
		if (p && info->npurposes < SK_FORM_MAX_ITEMS)
			info->purposes[info->npurposes++] = p;
	}
	/* What confirming would store besides the consents: the person sees it first, since
	 * anyone may have typed their address into the form. */
	struct sk_field_value held[SK_FORM_MAX_ITEMS];
	size_t nf = info->state == SK_LINK_OPEN && c->policy
			    ? held_fields(c, json_object_get(doc, "fields"), held) : 0;
	for (i = 0; i < nf && !rc; i++) {
		if (strcmp(held[i].name, "email") == 0)
			continue;
		info->fields[info->nfields] = sk_policy_field(c->policy, held[i].name);
		if (!(info->values[info->nfields++] = sk_strdup(held[i].value)))
			rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
	}
	json_decref(doc);
	if (rc)
		sk_link_info_reset(info);
	return rc;
}

void sk_link_info_reset(struct sk_link_info *info)
{
	for (size_t i = 0; i < info->nfields; i++) {
		if (info->values[i])
			sk_vault_wipe(info->values[i], strlen(info->values[i]));
		sk_free(info->values[i]);
		info->values[i] = NULL;
	}
	info->nfields = 0;
}

int sk_form_link_check(struct sk_core *c, const char *token, struct sk_link_info *info,
		       struct sk_errctx *err)
{
	char subject[SK_TOKEN_MAX];
	int64_t now = sk_time_now();
	int rc = sk_vault_token_verify(c->vault, SK__CONFIRM_TAG, token, now, subject, NULL);
	if (info) {
		memset(info, 0, sizeof(*info));
		info->state = rc == SK_ERR_EXPIRED ? SK_LINK_GONE : SK_LINK_OPEN;
		info->lang = -1;
	}
	/* the MAC holds (expired or not): what the link is about */
	if (info && (rc == 0 || rc == SK_ERR_EXPIRED)) {
		int irc = link_info(c, subject, now, info, err);
		if (irc) {
			sk_vault_wipe(subject, sizeof(subject));
			return irc;
		}
	}
	sk_vault_wipe(subject, sizeof(subject));
	if (rc == SK_ERR_EXPIRED)
		return sk_errf(err, rc, "the confirmation link has expired");
	if (rc)
		return sk_errf(err, SK_ERR_INVALID, "the confirmation link is not valid");
	return 0;
}

int sk_form_confirm_link(struct sk_core *c, const char *token, const char *ip,
			 const char *user_agent, int *nconfirmed, char *contact_id,
			 struct sk_errctx *err)
{
	char subject[SK_TOKEN_MAX], contact[SK_ID_LEN + 1], *evidence;
	long long first, last;
	int rc;

	*nconfirmed = 0;
	if (contact_id)
		contact_id[0] = '\0';
	rc = sk_vault_token_verify(c->vault, SK__CONFIRM_TAG, token, sk_time_now(), subject, NULL);
	if (rc == SK_ERR_EXPIRED)
		return sk_errf(err, rc, "the confirmation link has expired");
	if (rc)
		return sk_errf(err, SK_ERR_INVALID, "the confirmation link is not valid");
	/* The click is the evidence: where from and with what, nothing else. */
	json_t *ev = json_pack("{s:s?,s:s?}", "ip", ip, "user_agent", user_agent);
	evidence = ev ? json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(ev);
	if (!evidence)
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	/* A request id ("r_..."), or for links mailed before requests existed
	 * "contact/first/last": the pending consents that one submission set. */
	if (strncmp(subject, "r_", 2) == 0)
		rc = form_confirm(c, subject, evidence, nconfirmed, contact_id, err);
	else if (sscanf(subject, "%26[^/]/%lld/%lld", contact, &first, &last) == 3 && first > 0 &&
		 last >= first) {
		rc = sk_pending_confirm(c, contact, first, last, evidence, nconfirmed, err);
		if (!rc && *nconfirmed && contact_id)
			sk_strlcpy(contact_id, contact, SK_ID_LEN + 1);
	}
	free(evidence);
	return rc;
}

int sk_form_requests_expire(struct sk_core *c, int64_t now, long *ndeleted,
			    struct sk_errctx *err)
{
	int rc = sk__core_begin(c, err);
	*ndeleted = 0;
	if (rc)
		return rc;
	if ((rc = sk_store_request_expire(c->store, now, ndeleted)))
		sk__store_err(err, rc, "deleting lapsed requests");
	else if ((rc = sk_store_outbox_purge(c->store, now - SK_OUTBOX_KEEP_DAYS * DAY)))
		sk__store_err(err, rc, "deleting old mail from the outbox");
	return sk__core_end(c, rc, err);
}
