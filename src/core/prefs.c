/* prefs.c: the preference centre's use cases (docs/preference-centre.md): a person's signed
 * link to their data and every purpose, changes as preference_centre ledger events, "mail me
 * my link" through the outbox, CSRF tokens of the public pages and the user agent class. */
#include "core/core_int.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/mem.h"
#include "util/sktime.h"

#define DAY 86400
#define CSRF_TAG "csrf"
#define CSRF_SECONDS (2 * 3600)
#define CSRF_BIND_BYTES 16 /* of the SHA-256 of what a CSRF token is bound to: 128 bits */

/* How the person came by the link (enum sk_pref_via): the token's subject is the contact id,
 * then ":cli" or ":api" for a link handed out by the controller; and what the evidence says. */
static const char *const via_tag[] = {"", ":cli", ":api"};
static const char *const via_text[] = {
	"link mailed by samtycke to the contact's own address",
	"link made with samtycke link and handed to the contact by the controller",
	"link made through the API and handed to the contact by the controller",
};

/* ---- links ---- */

int sk_pref_link(struct sk_core *c, const char *contact_id, int64_t now, int days,
		 char token[SK_PREF_LINK_MAX], int64_t *expires, struct sk_errctx *err)
{
	return sk_pref_link_via(c, contact_id, SK_PREF_VIA_MAIL, now, days, token, expires, err);
}

int sk_pref_link_via(struct sk_core *c, const char *contact_id, enum sk_pref_via via,
		     int64_t now, int days, char token[SK_PREF_LINK_MAX], int64_t *expires,
		     struct sk_errctx *err)
{
	char subject[SK_ID_LEN + 8];
	int rc;
	token[0] = '\0';
	if ((unsigned)via > SK_PREF_VIA_API)
		return sk_errf(err, SK_ERR_INVALID, "unknown kind of link");
	if (days < 1 || days > 365)
		return sk_errf(err, SK_ERR_INVALID, "days must be 1 to 365");
	if (!contact_id || strlen(contact_id) > SK_ID_LEN)
		return sk_errf(err, SK_ERR_NOT_FOUND, "no contact has the id given");
	if ((rc = sk_contact_exists(c, contact_id, err)))
		return rc;
	int64_t exp = now + (int64_t)days * DAY;
	snprintf(subject, sizeof(subject), "%s%s", contact_id, via_tag[via]);
	if ((rc = sk_vault_token_sign(c->vault, SK_PREF_TAG, subject, exp, token)))
		return sk_errf(err, rc, "could not sign the link");
	if (expires)
		*expires = exp;
	return 0;
}

/* sk_pref_check, and *expires and *via (either may be NULL) the link's expiry and how it
 * was given out. */
static int link_check(struct sk_core *c, const char *token, int64_t now,
		      char contact_id[SK_ID_LEN + 1], int64_t *expires, enum sk_pref_via *via,
		      struct sk_errctx *err)
{
	char subject[SK_TOKEN_MAX];
	int64_t exp = 0;
	int v = SK_PREF_VIA_MAIL;
	contact_id[0] = '\0';
	int rc = token ? sk_vault_token_verify(c->vault, SK_PREF_TAG, token, now, subject, &exp)
		       : SK_ERR_INVALID;
	if (rc != 0 && rc != SK_ERR_EXPIRED)
		return sk_errf(err, SK_ERR_INVALID, "the link is not valid");
	char *colon = strchr(subject, ':');
	if (colon) {
		for (v = SK_PREF_VIA_CLI; v <= SK_PREF_VIA_API && strcmp(colon, via_tag[v]) != 0; v++)
			;
		if (v > SK_PREF_VIA_API)
			return sk_errf(err, SK_ERR_INVALID, "the link is not valid");
		*colon = '\0';
	}
	if (strlen(subject) > SK_ID_LEN)
		return sk_errf(err, SK_ERR_INVALID, "the link is not valid");
	/* The link is bound to its contact: once erased, it is no link at all, expired or not. */
	int xrc = sk_contact_exists(c, subject, err);
	if (xrc == SK_ERR_NOT_FOUND)
		return sk_errf(err, SK_ERR_INVALID, "the link is not valid");
	if (xrc)
		return xrc;
	sk_strlcpy(contact_id, subject, SK_ID_LEN + 1);
	if (expires)
		*expires = exp;
	if (via)
		*via = (enum sk_pref_via)v;
	if (rc == SK_ERR_EXPIRED)
		return sk_errf(err, rc, "the link has expired");
	return 0;
}

int sk_pref_check(struct sk_core *c, const char *token, int64_t now,
		  char contact_id[SK_ID_LEN + 1], struct sk_errctx *err)
{
	return link_check(c, token, now, contact_id, NULL, NULL, err);
}

/* ---- the view ---- */

void sk_pref_view_reset(struct sk_pref_view *v)
{
	for (size_t i = 0; v->purposes && i < v->npurposes; i++) {
		sk_free(v->purposes[i].notice_text);
		sk_free(v->purposes[i].page);
	}
	sk_free(v->purposes);
	sk_contact_reset(&v->contact);
	memset(v, 0, sizeof(*v));
}

/* The page a consent was given on, from its opened evidence: "page" (the preference
 * centre's) or "page_url" (a form's); NULL when none. */
static char *page_from(const char *evidence_json)
{
	json_error_t je;
	json_t *ev = evidence_json ? json_loads(evidence_json, 0, &je) : NULL;
	const char *p = json_string_value(json_object_get(ev, "page"));
	if (!p)
		p = json_string_value(json_object_get(ev, "page_url"));
	char *out = p && *p ? sk_strdup(p) : NULL;
	json_decref(ev);
	return out;
}

/* One purpose's state, the event that set it, the notice text shown then and the page. */
static int view_purpose(struct sk_core *c, const char *contact_id, const char *email,
			const struct sk_purpose *p, int64_t now, struct sk_pref_purpose *out,
			struct sk_errctx *err)
{
	struct sk_proof pr;
	out->purpose = p;
	out->changeable = p->basis == SK_BASIS_CONSENT;
	int rc = sk__purpose_proof(c, contact_id, email, p->id, now, &out->status, &pr, err);
	if (rc <= 0)
		return rc;
	out->has_event = 1;
	out->event = pr.event;
	out->notice_text = pr.notice_text;
	pr.notice_text = NULL;
	/* a confirmation's own evidence is the click; the page is the give's before it */
	out->page = page_from(pr.evidence_json);
	if (!out->page && pr.given.seq)
		out->page = page_from(pr.given_evidence_json);
	if (pr.event.action == SK_ACT_CONFIRM)
		out->confirmed_at = pr.event.occurred_at ? pr.event.occurred_at : pr.event.recorded_at;
	sk_proof_reset(&pr);
	return 0;
}

int sk_pref_view(struct sk_core *c, const char *token, int64_t now, struct sk_pref_view *out,
		 struct sk_errctx *err)
{
	char id[SK_ID_LEN + 1];
	int rc;
	memset(out, 0, sizeof(*out));
	if ((rc = sk_core_need_policy(c, err)) || (rc = sk_core_read_begin(c, err)))
		return rc;
	if ((rc = link_check(c, token, now, id, &out->link_expires, NULL, err)) ||
	    (rc = sk_contact_get_by_id(c, id, &out->contact, err)))
		goto out;
	if (out->contact.nfields == 0 || strcmp(out->contact.fields[0].name, "email") != 0) {
		rc = sk_errf(err, SK_ERR_STORAGE, "the contact has no address");
		goto out;
	}
	out->at = now;
	const struct sk_policy *pol = c->policy;
	if (pol->npurposes &&
	    !(out->purposes = sk_calloc(pol->npurposes, sizeof(*out->purposes)))) {
		rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; !rc && i < pol->npurposes; i++) {
		rc = view_purpose(c, id, out->contact.fields[0].value, &pol->purposes[i], now,
				  &out->purposes[i], err);
		out->npurposes = i + 1;
	}
out:
	sk_core_read_end(c);
	if (rc)
		sk_pref_view_reset(out);
	return rc;
}

/* ---- changes ---- */

/* The page's URL as evidence keeps it: scheme, host and path, with the link's token cut
 * from the path (it is a key to the person's page while it holds). "" for no URL. */
static void evidence_page(const char *url, char *out, size_t cap)
{
	out[0] = '\0';
	if (!url || !(strncasecmp(url, "https://", 8) == 0 || strncasecmp(url, "http://", 7) == 0))
		return;
	sk_url_strip(url, out, cap);
	char *host = strstr(out, "://");
	char *path = host ? strchr(host + 3, '/') : NULL;
	char *p = path ? strstr(path, "/p/") : NULL;
	if (p && strlen(p) > 3 && (size_t)(p + 3 - out) + sizeof("{token}") <= cap) {
		char *rest = strchr(p + 3, '/');
		char tail[SK_FORM_PAGE_MAX + 1] = "";
		if (rest)
			sk_strlcpy(tail, rest, sizeof(tail));
		snprintf(p + 3, cap - (size_t)(p + 3 - out), "{token}%s", tail);
	}
}

static int evidence_make(const struct sk_pref_change *ch, int64_t now, int version, int doi,
			 enum sk_pref_via via, char **out, struct sk_errctx *err)
{
	char page[SK_FORM_PAGE_MAX + 1], at[SK_TIME_STRLEN];
	evidence_page(ch->page, page, sizeof(page));
	sk_time_format(now, at);
	json_t *ev = json_pack("{s:s?,s:s,s:s,s:i,s:s}", "page", page[0] ? page : NULL, "at", at,
			       "user_agent_class", sk_ua_class(ch->user_agent), "notice_version",
			       version, "via", via_text[via]);
	if (ev && doi)
		json_object_set_new(ev, "double_opt_in", json_string("confirmed by the link"));
	*out = ev ? json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(ev);
	return *out ? 0 : sk_errf(err, SK_ERR_NOMEM, "out of memory");
}

int sk_pref_set(struct sk_core *c, const char *token, const struct sk_pref_change *ch,
		int64_t now, struct sk_consent_event *out, struct sk_errctx *err)
{
	char id[SK_ID_LEN + 1], *evidence = NULL;
	struct sk_contact ct = {0};
	struct sk_state st;
	int rc, suppressed = 0;

	if (out)
		memset(out, 0, sizeof(*out));
	if ((rc = sk_core_need_policy(c, err)))
		return rc;
	const struct sk_purpose *p = ch && ch->purpose ? sk_policy_purpose(c->policy, ch->purpose)
						       : NULL;
	if (!p)
		return sk_errf(err, SK_ERR_INVALID, "no such purpose");
	if (p->basis != SK_BASIS_CONSENT)
		return sk_errf(err, SK_ERR_INVALID, "this purpose does not rest on consent");
	/* the text the person read beside the button is the one the event names */
	if (ch->give && ch->notice_version && ch->notice_version != p->notice_version)
		return sk_errf(err, SK_ERR_INVALID, "the notice text has changed since the page was "
			       "shown: read it again below");
	const char *lang = ch->lang ? ch->lang : "en";
	if (sk_lang_from_name(lang) < 0)
		return sk_errf(err, SK_ERR_INVALID, "lang must be sv or en");
	int doi = ch->give && p->double_opt_in;
	enum sk_pref_via via;
	if ((rc = sk_core_batch_begin(c, err)))
		goto done;
	if ((rc = link_check(c, token, now, id, NULL, &via, err)) ||
	    (rc = evidence_make(ch, now, p->notice_version, doi, via, &evidence, err)) ||
	    (rc = sk_contact_get_by_id(c, id, &ct, err)))
		goto out;
	if (ct.nfields == 0 || strcmp(ct.fields[0].name, "email") != 0) {
		rc = sk_errf(err, SK_ERR_STORAGE, "the contact has no address");
		goto out;
	}
	/* A suppressed address is never brought back, not even by its own link. */
	if (ch->give && (rc = sk_suppressed(c, ct.fields[0].value, &suppressed, err)))
		goto out;
	if (suppressed) {
		rc = sk_errf(err, SK_ERR_FORBIDDEN, "the address is on the suppression list");
		goto out;
	}
	rc = sk_consent_state(c, id, p->id, &st, err);
	if (rc && rc != SK_ERR_NOT_FOUND)
		goto out;
	enum sk_status now_st = rc ? SK_ST_UNKNOWN : sk_state_status(&st, now);
	sk_errctx_reset(err);
	rc = 0;
	/* Nothing to do: recorded as nothing. */
	if (ch->give ? now_st == SK_ST_GIVEN
		     : !(now_st == SK_ST_GIVEN || now_st == SK_ST_PENDING ||
			 now_st == SK_ST_UNVERIFIED))
		goto out;
	struct sk_consent_req req = {.contact_id = id, .purpose = p->id,
				     .action = ch->give ? SK_ACT_GIVE : SK_ACT_WITHDRAW,
				     .method = sk_method_name(SK_METHOD_PREFERENCE_CENTRE),
				     .source = "preference_centre",
				     .notice_version = p->notice_version, .lang = lang,
				     .actor = "preference_centre", .evidence_json = evidence};
	rc = sk_consent_record(c, &req, out, err);
	/* The link went to the person's own address: a double opt-in give made with it is
	 * confirmed by it, at once and with the same evidence. */
	if (!rc && doi) {
		req.action = SK_ACT_CONFIRM;
		rc = sk_consent_record(c, &req, out, err);
	}
out:
	if (rc)
		sk_core_batch_rollback(c);
	else
		rc = sk_core_batch_commit(c, err);
done:
	sk_contact_reset(&ct);
	free(evidence);
	return rc;
}

/* ---- access and erasure ---- */

int sk_pref_export(struct sk_core *c, const char *token, int64_t now, const char *lang,
		   struct sk_access_export *out, struct sk_errctx *err)
{
	char id[SK_ID_LEN + 1];
	int rc = link_check(c, token, now, id, NULL, NULL, err);
	return rc ? rc : sk_export(c, id, lang, out, err);
}

int sk_pref_erase(struct sk_core *c, const char *token, int64_t now,
		  struct sk_erasure_receipt *out, struct sk_errctx *err)
{
	char id[SK_ID_LEN + 1];
	int rc = link_check(c, token, now, id, NULL, NULL, err);
	return rc ? rc : sk_forget(c, id, out, err);
}

/* ---- "mail me my link" ---- */

/* Queues a preflink mail for the address with key (ref: the contact id, or "" to be found by
 * the key when the mail is built), unless the address has had SK_FORM_MAILS_PER_DAY mails in
 * the last day; inside the caller's batch. Whether it is suppressed is asked when the mail is
 * built (outbox.c drops it then), so that asking costs the same for a suppressed address. */
int sk__pref_queue_link(struct sk_core *c, const uint8_t key[SK_HASH_LEN], const char *ref,
			const char *lang, int64_t now, struct sk_errctx *err)
{
	struct sk_outbox_rec m = {.created_at = now, .next_attempt_at = now};
	long sent = 0;
	int rc;
	memcpy(m.email_key, key, SK_HASH_LEN);
	if ((rc = sk_store_outbox_count(c->store, m.email_key, now - DAY, &sent)))
		return sk__store_err(err, rc, "counting mails");
	if (sent >= SK_FORM_MAILS_PER_DAY)
		return 0; /* the limit: nothing queued, the same answer */
	if (sk_id_new("m_", m.id))
		return sk_errf(err, SK_ERR_IO, "no randomness for an id");
	/* the language rides in the kind: the outbox row names what to send, nothing more */
	snprintf(m.kind, sizeof(m.kind), "preflink:%s", lang && strcmp(lang, "sv") == 0 ? "sv"
										   : "en");
	sk_strlcpy(m.ref, ref, sizeof(m.ref));
	if ((rc = sk_store_outbox_put(c->store, &m)))
		sk__store_err(err, rc, "queueing a mail");
	return rc;
}

/* Whether the address is on file, or suppressed, is not asked here but when the mail is built
 * (outbox.c): answering costs the same for every address (one queued row under the address's
 * keyed hash), so neither the answer nor its time tells who is or was on file. */
int sk_pref_request(struct sk_core *c, const char *email, const char *lang, int64_t now,
		    struct sk_errctx *err)
{
	struct sk__addr a;
	int rc = sk__addr_parse(c, email ? email : "", &a, err);
	if (rc)
		return rc;
	if (!(rc = sk_core_batch_begin(c, err))) {
		rc = sk__pref_queue_link(c, a.key, "", lang, now, err);
		if (rc)
			sk_core_batch_rollback(c);
		else
			rc = sk_core_batch_commit(c, err);
	}
	sk__addr_wipe(&a);
	return rc;
}

int sk_pref_renew(struct sk_core *c, const char *token, const char *lang, int64_t now,
		  struct sk_errctx *err)
{
	char id[SK_ID_LEN + 1];
	struct sk_contact ct = {0};
	int suppressed = 0;
	int rc = sk_core_batch_begin(c, err);
	if (rc)
		return rc;
	rc = link_check(c, token, now, id, NULL, NULL, err);
	if (rc == SK_ERR_EXPIRED) {
		sk_errctx_reset(err);
		rc = 0;
	}
	if (!rc && !(rc = sk_contact_get_by_id(c, id, &ct, err))) {
		uint8_t key[SK_HASH_LEN];
		if (ct.nfields == 0 || strcmp(ct.fields[0].name, "email") != 0)
			rc = sk_errf(err, SK_ERR_STORAGE, "the contact has no address");
		else if (!(rc = sk__email_key(c, ct.fields[0].value, key, err)) &&
			 !(rc = sk_suppressed(c, ct.fields[0].value, &suppressed, err)) && !suppressed)
			rc = sk__pref_queue_link(c, key, id, lang, now, err);
	}
	if (rc)
		sk_core_batch_rollback(c);
	else
		rc = sk_core_batch_commit(c, err);
	sk_contact_reset(&ct);
	return rc;
}

/* ---- CSRF ---- */

/* What a CSRF token's subject holds: hex of the first CSRF_BIND_BYTES of a SHA-256 over
 * "csrf" and bound (a link token is a secret; only a part of its hash goes into the CSRF
 * token, which a page shows). */
static void csrf_subject(const char *bound, char out[2 * CSRF_BIND_BYTES + 1])
{
	struct sk_hasher h;
	uint8_t d[32];
	static const char hex[] = "0123456789abcdef";
	sk_hasher_init(&h);
	sk_hasher_str(&h, CSRF_TAG);
	sk_hasher_str(&h, bound ? bound : "");
	sk_hasher_final(&h, d);
	for (int i = 0; i < CSRF_BIND_BYTES; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * CSRF_BIND_BYTES] = '\0';
}

int sk_pref_csrf(struct sk_core *c, const char *bound, int64_t now, char out[SK_PREF_LINK_MAX])
{
	char subject[2 * CSRF_BIND_BYTES + 1];
	csrf_subject(bound, subject);
	out[0] = '\0';
	return sk_vault_token_sign(c->vault, CSRF_TAG, subject, now + CSRF_SECONDS, out);
}

int sk_pref_csrf_check(struct sk_core *c, const char *bound, const char *csrf, int64_t now)
{
	char want[2 * CSRF_BIND_BYTES + 1], got[SK_TOKEN_MAX];
	if (!csrf || !*csrf ||
	    sk_vault_token_verify(c->vault, CSRF_TAG, csrf, now, got, NULL) != 0)
		return SK_ERR_FORBIDDEN;
	csrf_subject(bound, want);
	int ok = strlen(got) == sizeof(want) - 1 && sk_vault_equal(got, want, sizeof(want) - 1);
	return ok ? 0 : SK_ERR_FORBIDDEN;
}

/* ---- the user agent class ---- */

static int has(const char *s, const char *word)
{
	size_t n = strlen(word);
	for (; *s; s++)
		if (strncasecmp(s, word, n) == 0)
			return 1;
	return 0;
}

/* By words in the string, first match wins: a robot's ("bot", "crawl", "spider", "slurp",
 * tools: "curl/", "wget/", "python-", "go-http-client"), a tablet's ("ipad", "tablet", or
 * "android" without "mobile"), a phone's ("mobi", "iphone", "android"), a desktop browser's
 * ("windows", "macintosh", "x11", "linux", "cros"); anything else is "unknown". */
const char *sk_ua_class(const char *ua)
{
	static const char *const bots[] = {"bot", "crawl", "spider", "slurp", "curl/", "wget/",
					   "python-", "go-http-client", NULL};
	static const char *const desktops[] = {"windows", "macintosh", "x11", "linux", "cros",
					       NULL};
	if (!ua || !*ua)
		return "unknown";
	for (int i = 0; bots[i]; i++)
		if (has(ua, bots[i]))
			return "bot";
	if (has(ua, "ipad") || has(ua, "tablet") || (has(ua, "android") && !has(ua, "mobile")))
		return "tablet";
	if (has(ua, "mobi") || has(ua, "iphone") || has(ua, "android"))
		return "mobile";
	for (int i = 0; desktops[i]; i++)
		if (has(ua, desktops[i]))
			return "desktop";
	return "unknown";
}
