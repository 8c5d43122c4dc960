/* campaign.c: mail campaigns under consent (docs/campaigns.md): creating one (templates with
 * merge fields limited to the purpose's fields), its preview and its queueing through the
 * gate's audience walk (core/audience.c), building each mail when the worker sends it (the
 * gate asked again), and the one-click unsubscribe, open pixel and click links of its mails. */
#include "core/core_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utm.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/str.h"

static const char *const langs[SK_NLANG] = {"sv", "en"};
static const char *const utm_keys[] = {"source", "medium", "campaign", "term", "content"};
#define NUTM (sizeof(utm_keys) / sizeof(utm_keys[0]))


/* ---- the description ---- */

static int utm_build(const json_t *doc, const char *target, char **out, const char **field,
		     struct sk_errctx *err);

static int field_of_purpose(const struct sk_purpose *p, const char *name)
{
	for (size_t i = 0; i < p->nfields; i++)
		if (strcmp(p->fields[i], name) == 0)
			return 1;
	return 0;
}

/* Checks every {{...}} of a template: a field the purpose lists, or link:N of the links. */
static int check_template(const struct sk_purpose *p, const char *what, const char *t,
			  size_t nlinks, struct sk_errctx *err)
{
	for (const char *s = strstr(t, "{{"); s; s = strstr(s, "{{")) {
		const char *e = strstr(s + 2, "}}");
		char name[80];
		if (!e)
			return sk_errf(err, SK_ERR_INVALID, "%s: a {{ without its }}", what);
		const char *a = s + 2, *b = e;
		while (a < b && *a == ' ')
			a++;
		while (b > a && b[-1] == ' ')
			b--;
		if ((size_t)(b - a) >= sizeof(name))
			return sk_errf(err, SK_ERR_INVALID, "%s: a merge field name is too long", what);
		memcpy(name, a, (size_t)(b - a));
		name[b - a] = '\0';
		if (strncmp(name, "link:", 5) == 0) {
			char *end;
			long n = strtol(name + 5, &end, 10);
			if (*end || end == name + 5 || n < 1 || (size_t)n > nlinks)
				return sk_errf(err, SK_ERR_INVALID, "%s: {{%s}} names no link of the "
					       "campaign's links", what, name);
		} else if (!field_of_purpose(p, name)) {
			return sk_errf(err, SK_ERR_INVALID, "%s: merge field %s is not one the purpose "
				       "%s lists", what, name, p->id);
		}
		s = e + 2;
	}
	return 0;
}

static int check_url(const char *u)
{
	if (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0)
		return 0;
	if (strlen(u) > 2000)
		return 0;
	for (const unsigned char *s = (const unsigned char *)u; *s; s++)
		if (*s <= ' ' || *s >= 0x7f || *s == '"' || *s == '<' || *s == '>' || *s == '\\')
			return 0;
	return 1;
}

/* The description as docs/campaigns.md gives it, checked against the policy. */
static int check_spec(struct sk_core *c, json_t *doc, const struct sk_purpose **pout,
		      struct sk_errctx *err)
{
	const char *name = json_string_value(json_object_get(doc, "name"));
	const char *purpose = json_string_value(json_object_get(doc, "purpose"));
	const struct sk_purpose *p;
	json_t *links = json_object_get(doc, "links"), *v, *seg, *utm;
	const char *k;
	size_t i, nlinks = 0;
	int nlang = 0;

	if (!json_is_object(doc))
		return sk_errf(err, SK_ERR_INVALID, "a campaign is a JSON object");
	json_object_foreach(doc, k, v) {
		static const char *const known[] = {"name", "purpose", "segment", "subject", "text",
						    "html", "links", "utm"};
		int ok = 0;
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			ok |= strcmp(k, known[i]) == 0;
		if (!ok)
			return sk_errf(err, SK_ERR_INVALID, "unknown key %.64s", k);
	}
	if (!name || !name[0] || strlen(name) >= sizeof(((struct sk_campaign_rec *)0)->name))
		return sk_errf(err, SK_ERR_INVALID, "name: 1 to 127 bytes");
	if (!purpose)
		return sk_errf(err, SK_ERR_INVALID, "purpose is required");
	if (!(p = sk_policy_purpose(c->policy, purpose)))
		return sk_errf(err, SK_ERR_UNKNOWN_PURPOSE, "purpose %.63s is not in the policy",
			       purpose);
	if (p->kind != SK_KIND_COMMUNICATION)
		return sk_errf(err, SK_ERR_INVALID, "purpose %s is not of kind communication", p->id);
	if (links && (!json_is_array(links) || json_array_size(links) > SK_CAMPAIGN_MAX_LINKS))
		return sk_errf(err, SK_ERR_INVALID, "links: a list of at most %d URLs",
			       SK_CAMPAIGN_MAX_LINKS);
	json_array_foreach(links, i, v) {
		if (!json_is_string(v) || !check_url(json_string_value(v)))
			return sk_errf(err, SK_ERR_INVALID, "links[%zu]: an http or https URL", i);
		nlinks++;
	}
	if ((utm = json_object_get(doc, "utm"))) {
		if (!json_is_object(utm))
			return sk_errf(err, SK_ERR_INVALID, "utm: an object");
		json_object_foreach(utm, k, v) {
			int ok = 0;
			for (i = 0; i < NUTM; i++)
				ok |= strcmp(k, utm_keys[i]) == 0;
			if (!ok || !json_is_string(v) || json_string_length(v) > 200)
				return sk_errf(err, SK_ERR_INVALID, "utm.%.32s: one of source, medium, "
					       "campaign, term, content, a text of at most 200 bytes", k);
		}
	}
	json_array_foreach(links, i, v) {
		char *built = NULL;
		const char *field = NULL;
		int rc = utm_build(doc, json_string_value(v), &built, &field, err);
		size_t blen = built ? strlen(built) : 0;
		sk_free(built);
		if (!rc && blen > SK_CAMPAIGN_LINK_BUILT_MAX) /* a click could not be answered */
			return sk_errf(err, SK_ERR_INVALID, "links[%zu]: with the UTM values longer "
				       "than %d bytes", i, SK_CAMPAIGN_LINK_BUILT_MAX);
		if (rc == SK_ERR_INVALID) {
			char why[sizeof(err->msg)];
			sk_strlcpy(why, err->msg, sizeof(why));
			return sk_errf(err, rc, "%s (links[%zu]): %s",
				       field && strcmp(field, "url") != 0 ? "utm" : "links", i, why);
		}
		if (rc)
			return rc;
	}
	if ((seg = json_object_get(doc, "segment"))) {
		if (!json_is_object(seg))
			return sk_errf(err, SK_ERR_INVALID, "segment: an object");
		json_object_foreach(seg, k, v) {
			if (strcmp(k, "fields") == 0) {
				const char *f;
				json_t *fv;
				if (!json_is_object(v))
					return sk_errf(err, SK_ERR_INVALID, "segment.fields: an object");
				json_object_foreach(v, f, fv) {
					if (!field_of_purpose(p, f))
						return sk_errf(err, SK_ERR_INVALID, "segment.fields: %.63s is "
							       "not a field the purpose %s lists", f, p->id);
					if (!json_is_string(fv))
						return sk_errf(err, SK_ERR_INVALID, "segment.fields.%.63s: a "
							       "text", f);
				}
			} else if (strcmp(k, "score_min") == 0 || strcmp(k, "score_max") == 0 ||
				   strcmp(k, "active_within_days") == 0) {
				if (!json_is_integer(v) || json_integer_value(v) < 0)
					return sk_errf(err, SK_ERR_INVALID, "segment.%s: a whole number, 0 "
						       "or more", k);
			} else {
				return sk_errf(err, SK_ERR_INVALID, "segment: unknown key %.64s", k);
			}
		}
	}
	static const char *const parts[] = {"subject", "text", "html"};
	for (size_t pi = 0; pi < 3; pi++) {
		json_t *o = json_object_get(doc, parts[pi]);
		if (o && !json_is_object(o))
			return sk_errf(err, SK_ERR_INVALID, "%s: an object by language (sv, en)",
				       parts[pi]);
		json_object_foreach(o, k, v) {
			char what[32];
			if (strcmp(k, "sv") != 0 && strcmp(k, "en") != 0)
				return sk_errf(err, SK_ERR_INVALID, "%s: language %.8s is not sv or en",
					       parts[pi], k);
			snprintf(what, sizeof(what), "%s.%s", parts[pi], k);
			if (!json_is_string(v) || !json_string_length(v) ||
			    json_string_length(v) > SK_CAMPAIGN_TEMPLATE_MAX)
				return sk_errf(err, SK_ERR_INVALID, "%s: a text of 1 to %d bytes", what,
					       SK_CAMPAIGN_TEMPLATE_MAX);
			if (pi == 0 && strpbrk(json_string_value(v), "\r\n"))
				return sk_errf(err, SK_ERR_INVALID, "%s: one line", what);
			int rc = check_template(p, what, json_string_value(v), nlinks, err);
			if (rc)
				return rc;
		}
	}
	for (int l = 0; l < SK_NLANG; l++) {
		int has_s = json_object_get(json_object_get(doc, "subject"), langs[l]) != NULL;
		int has_t = json_object_get(json_object_get(doc, "text"), langs[l]) != NULL;
		int has_h = json_object_get(json_object_get(doc, "html"), langs[l]) != NULL;
		if (has_s != has_t || (has_h && !has_t))
			return sk_errf(err, SK_ERR_INVALID, "%s: a subject and a plain text are both "
				       "required (html is optional)", langs[l]);
		nlang += has_t;
	}
	if (!nlang)
		return sk_errf(err, SK_ERR_INVALID, "subject and text: required in sv or en");
	*pout = p;
	return 0;
}

int sk_campaign_create(struct sk_core *c, const char *json, int64_t now,
		       char id[SK_ID_LEN + 1], struct sk_errctx *err)
{
	const struct sk_purpose *p = NULL;
	json_error_t jerr;
	struct sk_campaign_rec rec = {0};
	int rc;

	if ((rc = sk_core_need_policy(c, err)))
		return rc;
	json_t *doc = json_loads(json ? json : "", JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return sk_errf(err, SK_ERR_INVALID, "not JSON: %.200s (line %d)", jerr.text,
			       jerr.line);
	if ((rc = check_spec(c, doc, &p, err)))
		goto out;
	if ((rc = sk_id_new("g_", rec.id))) {
		rc = sk_errf(err, rc, "cannot make an id");
		goto out;
	}
	sk_strlcpy(rec.name, json_string_value(json_object_get(doc, "name")), sizeof(rec.name));
	sk_strlcpy(rec.purpose, p->id, sizeof(rec.purpose));
	sk_strlcpy(rec.status, "draft", sizeof(rec.status));
	rec.created_at = rec.updated_at = now;
	if (!(rec.spec = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS))) {
		rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = sk__core_begin(c, err)) == 0) {
		if ((rc = sk_store_campaign_put(c->store, &rec)))
			sk__store_err(err, rc, "storing the campaign");
		rc = sk__core_end(c, rc, err);
	}
	free(rec.spec);
	if (!rc)
		memcpy(id, rec.id, SK_ID_LEN + 1);
out:
	json_decref(doc);
	return rc;
}

int sk_campaign_get(struct sk_core *c, const char *id, struct sk_campaign_rec *out,
		    struct sk_errctx *err)
{
	int rc = sk_store_campaign_get(c->store, id ? id : "", out);
	if (rc == SK_ERR_NOT_FOUND)
		return sk_errf(err, rc, "no such campaign");
	return rc ? sk__store_err(err, rc, "reading a campaign") : 0;
}

int sk_campaign_list(struct sk_core *c, sk_campaign_cb cb, void *arg, struct sk_errctx *err)
{
	int rc = sk_store_campaign_each(c->store, cb, arg);
	return rc ? sk__store_err(err, rc, "listing campaigns") : 0;
}

/* A stored campaign with its description parsed. */
struct campaign {
	struct sk_campaign_rec rec;
	json_t *doc;
	const struct sk_purpose *p;
};

static void campaign_reset(struct campaign *k)
{
	sk_free(k->rec.spec);
	json_decref(k->doc);
	memset(k, 0, sizeof(*k));
}

static int campaign_open(struct sk_core *c, const char *id, struct campaign *k,
			 struct sk_errctx *err)
{
	int rc;
	memset(k, 0, sizeof(*k));
	if ((rc = sk_core_need_policy(c, err)) || (rc = sk_campaign_get(c, id, &k->rec, err)))
		return rc;
	if (!(k->doc = json_loads(k->rec.spec, 0, NULL))) {
		campaign_reset(k);
		return sk_errf(err, SK_ERR_CORRUPT, "the campaign's description is not readable");
	}
	if (!(k->p = sk_policy_purpose(c->policy, k->rec.purpose))) {
		campaign_reset(k);
		return sk_errf(err, SK_ERR_UNKNOWN_PURPOSE, "the campaign's purpose is no longer in "
			       "the policy");
	}
	return 0;
}

/* ---- the segment ---- */

static const char *field_value(const struct sk_contact *ct, const char *name)
{
	for (size_t i = 0; i < ct->nfields; i++)
		if (strcmp(ct->fields[i].name, name) == 0)
			return ct->fields[i].value;
	return NULL;
}

/* The contact's lead score and last activity at now (sk_score_get): 1 when it has a score,
 * 0 when none (no lead_scoring, or any failure), so a segment on the score or on activity
 * never matches a contact without one. */
static int score_of(struct sk_core *c, const char *contact_id, int64_t now, long *score,
		    int64_t *last)
{
	struct sk_score s;
	struct sk_errctx ignore = {0};
	if (sk_score_get(c, contact_id, now, &s, &ignore) || !s.has)
		return 0;
	*score = (long)s.score;
	*last = s.last_activity;
	return 1;
}

/* 1 when the contact is in the campaign's segment (no segment: everyone). */
static int in_segment(struct sk_core *c, const json_t *doc, const struct sk_contact *ct,
		      int64_t now)
{
	json_t *seg = json_object_get(doc, "segment"), *v;
	const char *k;
	json_object_foreach(json_object_get(seg, "fields"), k, v) {
		const char *have = field_value(ct, k);
		if (!have || strcmp(have, json_string_value(v)) != 0)
			return 0;
	}
	json_t *min = json_object_get(seg, "score_min"), *max = json_object_get(seg, "score_max");
	json_t *days = json_object_get(seg, "active_within_days");
	if (min || max || days) {
		long score;
		int64_t last;
		if (!score_of(c, ct->id, now, &score, &last)) /* no score: never matches */
			return 0;
		if (days && !last) /* no activity at all: not active within any days */
			return 0;
		if ((min && score < json_integer_value(min)) ||
		    (max && score > json_integer_value(max)) ||
		    (days && last < now - (int64_t)json_integer_value(days) * 86400))
			return 0;
	}
	return 1;
}

/* ---- preview and send ---- */

struct pick {
	struct sk_core *c;
	const struct campaign *k;
	int64_t now;
	int collect;                  /* send: keep the contacts */
	struct pick_row {
		char contact_id[SK_ID_LEN + 1];
		char consent_id[SK_ID_LEN + 1];
		uint8_t key[SK_HASH_LEN];
	} *rows;
	size_t n, cap;
};

static int pick_visit(void *arg, const struct sk_contact *ct, const char *email,
		      const struct sk_gate_result *g)
{
	struct pick *pk = arg;
	struct sk_errctx ignore = {0};
	if (!in_segment(pk->c, pk->k->doc, ct, pk->now))
		return SK_AUDIENCE_OUTSIDE;
	if (!pk->collect)
		return 0;
	if (pk->n == pk->cap) {
		size_t cap = pk->cap ? pk->cap * 2 : 256;
		void *r = sk_realloc(pk->rows, cap * sizeof(*pk->rows));
		if (!r)
			return SK_ERR_NOMEM;
		pk->rows = r;
		pk->cap = cap;
	}
	struct pick_row *row = &pk->rows[pk->n];
	if (sk__email_key(pk->c, email, row->key, &ignore))
		return 0; /* an address that cannot be mailed: left out */
	memcpy(row->contact_id, ct->id, sizeof(row->contact_id));
	memcpy(row->consent_id, g->consent_id, sizeof(row->consent_id));
	pk->n++;
	return 0;
}

int sk_campaign_preview(struct sk_core *c, const char *id, int64_t now, struct sk_audience *out,
			struct sk_errctx *err)
{
	struct campaign k;
	int rc = campaign_open(c, id, &k, err);
	if (rc)
		return rc;
	struct pick pk = {.c = c, .k = &k, .now = now};
	rc = sk_audience_walk(c, k.rec.purpose, now, pick_visit, &pk, out, err);
	campaign_reset(&k);
	return rc;
}

static int set_status(struct sk_core *c, struct campaign *k, const char *status, int64_t now,
		      struct sk_errctx *err)
{
	int rc = sk__core_begin(c, err);
	if (rc)
		return rc;
	sk_strlcpy(k->rec.status, status, sizeof(k->rec.status));
	k->rec.updated_at = now;
	if ((rc = sk_store_campaign_put(c->store, &k->rec)))
		sk__store_err(err, rc, "saving the campaign's status");
	return sk__core_end(c, rc, err);
}

/* The language a person is written to: the one the consent relied on was given in, when the
 * campaign has it; otherwise the campaign's first. */
static int event_lang(void *arg, const struct sk_event_rec *ev)
{
	sk_strlcpy(arg, ev->lang, 8);
	return 0;
}

static const char *lang_for(struct sk_core *c, const json_t *doc, const char *consent_id)
{
	char lang[8] = "";
	const json_t *text = json_object_get(doc, "text");
	if (consent_id[0] && sk_store_ledger_get(c->store, consent_id, event_lang, lang) == 0 &&
	    lang[0] && json_object_get(text, lang))
		return strcmp(lang, "sv") == 0 ? "sv" : "en";
	return json_object_get(text, "sv") ? "sv" : "en";
}

int sk_campaign_send(struct sk_core *c, const char *id, int64_t now, long *queued,
		     struct sk_errctx *err)
{
	struct campaign k;
	struct sk_audience a;
	long added = 0;
	int rc = campaign_open(c, id, &k, err);
	if (rc)
		return rc;
	struct pick pk = {.c = c, .k = &k, .now = now, .collect = 1};
	if ((rc = set_status(c, &k, "sending", now, err)) ||
	    (rc = sk_audience_walk(c, k.rec.purpose, now, pick_visit, &pk, &a, err)))
		goto out;
	for (size_t i = 0; !rc && i < pk.n; i += SK_CAMPAIGN_BATCH) {
		if ((rc = sk__core_begin(c, err)))
			break;
		for (size_t j = i; !rc && j < pk.n && j < i + SK_CAMPAIGN_BATCH; j++) {
			struct sk_send_rec r = {0};
			struct sk_outbox_rec m = {0};
			if ((rc = sk_id_new("q_", r.id)) || (rc = sk_id_new("m_", m.id))) {
				sk_errf(err, rc, "cannot make an id");
				break;
			}
			memcpy(r.campaign_id, k.rec.id, sizeof(r.campaign_id));
			memcpy(r.contact_id, pk.rows[j].contact_id, sizeof(r.contact_id));
			memcpy(r.consent_id, pk.rows[j].consent_id, sizeof(r.consent_id));
			sk_strlcpy(r.state, "queued", sizeof(r.state));
			sk_strlcpy(r.lang, lang_for(c, k.doc, r.consent_id), sizeof(r.lang));
			r.queued_at = now;
			rc = sk_store_send_put(c->store, &r);
			if (rc == SK_ERR_EXISTS) { /* queued by an earlier run */
				rc = 0;
				continue;
			}
			memcpy(m.email_key, pk.rows[j].key, SK_HASH_LEN);
			sk_strlcpy(m.kind, "campaign", sizeof(m.kind));
			memcpy(m.ref, r.id, sizeof(m.ref));
			m.created_at = m.next_attempt_at = now;
			if (!rc)
				rc = sk_store_outbox_put(c->store, &m);
			if (rc)
				sk__store_err(err, rc, "queueing a campaign mail");
			else
				added++;
		}
		rc = sk__core_end(c, rc, err);
	}
	if (!rc)
		rc = set_status(c, &k, "queued", now, err);
out:
	sk_free(pk.rows);
	campaign_reset(&k);
	if (queued)
		*queued = added;
	return rc;
}

struct status_acc {
	struct sk_campaign_status *st;
};

static int status_row(void *arg, const struct sk_tally_rec *t)
{
	struct sk_campaign_status *st = arg;
	long n = (long)t->count;
	if (strcmp(t->b, "queued") == 0)
		st->queued += n;
	else if (strcmp(t->b, "sending") == 0)
		st->sending += n;
	else if (strcmp(t->b, "sent") == 0)
		st->sent += n;
	else if (strcmp(t->b, "failed") == 0)
		st->failed += n;
	else if (strcmp(t->b, "skipped") == 0) {
		int r = sk_reason_from_name(t->a);
		st->skipped += n;
		if (r >= 0 && r < SK_NREASONS)
			st->skipped_by[r] += n;
	}
	return 0;
}

int sk_campaign_status(struct sk_core *c, const char *id, struct sk_campaign_status *out,
		       struct sk_errctx *err)
{
	struct sk_campaign_rec rec;
	int rc = sk_campaign_get(c, id, &rec, err);
	if (rc)
		return rc;
	sk_free(rec.spec);
	memset(out, 0, sizeof(*out));
	rc = sk_store_send_tally(c->store, rec.id, status_row, out);
	return rc ? sk__store_err(err, rc, "counting the send log") : 0;
}

int sk_campaign_sends_of(struct sk_core *c, const char *contact_id, sk_send_cb cb, void *arg,
			 struct sk_errctx *err)
{
	int rc = sk_store_send_each_contact(c->store, contact_id, cb, arg);
	return rc ? sk__store_err(err, rc, "reading the send log") : 0;
}

/* ---- building a mail ---- */

/* target with the campaign's UTM values (sk_utm_build: the query kept, the fragment last);
 * target as it is when the campaign has none. */
static int utm_build(const json_t *doc, const char *target, char **out, const char **field,
		     struct sk_errctx *err)
{
	const json_t *utm = json_object_get(doc, "utm");
	if (!utm || !json_object_size(utm))
		return (*out = sk_strdup(target)) ? 0 : SK_ERR_NOMEM;
	struct sk_utm_in in = {
		.url = target,
		.source = json_string_value(json_object_get(utm, "source")),
		.medium = json_string_value(json_object_get(utm, "medium")),
		.campaign = json_string_value(json_object_get(utm, "campaign")),
		.term = json_string_value(json_object_get(utm, "term")),
		.content = json_string_value(json_object_get(utm, "content")),
	};
	return sk_utm_build(&in, out, field, err);
}

static int utm_link(const json_t *doc, const char *target, struct sk_buf *b)
{
	struct sk_errctx ignore = {0};
	char *link = NULL;
	int rc = utm_build(doc, target, &link, NULL, &ignore);
	if (!rc)
		rc = sk_buf_appends(b, link);
	sk_free(link);
	return rc;
}

/* What a mail to one person is made with. */
struct mailctx {
	struct sk_core *c;
	const json_t *doc;
	const struct sk_contact *ct;
	const char *public_url;
	const char *row_id;
	int tracked;                    /* lead_scoring allowed at send time */
	int64_t expires;
};

/* The URL of link n (1-based): a signed click link when tracked, else the plain target with
 * the UTM values. */
static int link_url(const struct mailctx *m, long n, struct sk_buf *b)
{
	const char *target = json_string_value(json_array_get(json_object_get(m->doc, "links"),
							      (size_t)(n - 1)));
	if (!target)
		return SK_ERR_INVALID;
	if (!m->tracked)
		return utm_link(m->doc, target, b);
	char subject[SK_TOKEN_MAX], token[SK_TOKEN_MAX];
	snprintf(subject, sizeof(subject), "%s.%ld", m->row_id, n);
	int rc = sk_vault_token_sign(m->c->vault, SK_CAMPAIGN_LINK_TAG, subject, m->expires, token);
	return rc ? rc : sk_buf_printf(b, "%s/l/%s", m->public_url, token);
}

/* Fills a checked template: fields by their value (HTML-escaped in HTML), links by URL. */
static int render(const struct mailctx *m, const char *t, int html, struct sk_buf *b)
{
	int rc = 0;
	const char *s = t;
	for (const char *o; !rc && (o = strstr(s, "{{"));) {
		const char *e = strstr(o + 2, "}}");
		if (!e)
			break;
		char name[80];
		const char *a = o + 2, *z = e;
		while (a < z && *a == ' ')
			a++;
		while (z > a && z[-1] == ' ')
			z--;
		snprintf(name, sizeof(name), "%.*s", (int)(z - a), a);
		if ((rc = sk_buf_append(b, s, (size_t)(o - s))))
			break;
		if (strncmp(name, "link:", 5) == 0) {
			struct sk_buf u;
			sk_buf_init(&u, 8192);
			rc = link_url(m, strtol(name + 5, NULL, 10), &u);
			if (!rc && u.len)
				rc = html ? sk_buf_append_html(b, u.data) : sk_buf_appends(b, u.data);
			sk_buf_reset(&u);
		} else if (field_of_purpose(sk_policy_purpose(m->c->policy,
							       json_string_value(json_object_get(
								       m->doc, "purpose"))),
					    name)) {
			const char *v = field_value(m->ct, name);
			if (v)
				rc = html ? sk_buf_append_html(b, v) : sk_buf_appends(b, v);
		}
		s = e + 2;
	}
	if (!rc)
		rc = sk_buf_appends(b, s);
	return rc;
}

int sk__campaign_build(struct sk_core *c, const char *public_url, int64_t now,
		       struct sk_outgoing *out, struct sk_errctx *err)
{
	struct sk_send_rec r;
	struct campaign k = {0};
	struct sk_contact ct = {0};
	struct sk_gate_result g;
	struct sk_buf t, h, s;
	char pref[SK_PREF_LINK_MAX], token[SK_TOKEN_MAX], unsub[SK_TOKEN_MAX + 512];
	char pref_link[SK_PREF_LINK_MAX + 512];
	int rc;

	sk_buf_init(&t, 2 * SK_CAMPAIGN_TEMPLATE_MAX);
	sk_buf_init(&h, 2 * SK_CAMPAIGN_TEMPLATE_MAX);
	sk_buf_init(&s, 4096);
	rc = sk_store_send_get(c->store, out->rec.ref, &r);
	if (rc == SK_ERR_NOT_FOUND) {
		rc = sk_errf(err, rc, "the send-log row is gone");
		goto out;
	}
	if (rc) {
		rc = sk__store_err(err, rc, "reading the send log");
		goto out;
	}
	if (strcmp(r.state, "sending") == 0) {
		/* claimed before, and not known to be sent (the process died): at most once */
		sk_strlcpy(r.state, "failed", sizeof(r.state));
		sk_strlcpy(r.reason, "interrupted", sizeof(r.reason));
		if ((rc = sk__core_begin(c, err)) == 0) {
			if ((rc = sk_store_send_state(c->store, &r)))
				sk__store_err(err, rc, "saving the send log");
			rc = sk__core_end(c, rc, err);
		}
		if (!rc)
			rc = sk_errf(err, SK_ERR_INVALID, "interrupted while sending: not sent again");
		goto out;
	}
	if (strcmp(r.state, "queued") != 0) {
		rc = sk_errf(err, SK_ERR_NOT_FOUND, "nothing left to send");
		goto out;
	}
	if ((rc = campaign_open(c, r.campaign_id, &k, err)))
		goto out;
	rc = sk_contact_get_by_id(c, r.contact_id, &ct, err);
	const char *email = rc ? NULL : field_value(&ct, "email");
	if (rc || !email) {
		rc = rc ? rc : sk_errf(err, SK_ERR_NOT_FOUND, "the contact has no address");
		goto out;
	}
	/* the gate, again, at the moment of sending */
	sk_gate_check(c, email, k.rec.purpose, now, &g);
	if (!g.allowed) {
		sk_strlcpy(r.state, "skipped", sizeof(r.state));
		sk_strlcpy(r.reason, sk_reason_name(g.reason), sizeof(r.reason));
		if ((rc = sk__core_begin(c, err)) == 0) {
			if ((rc = sk_store_send_state(c->store, &r)))
				sk__store_err(err, rc, "saving the send log");
			rc = sk__core_end(c, rc, err);
		}
		if (!rc)
			rc = sk_errf(err, SK_ERR_NOT_FOUND, "the gate denies it now (%s)",
				     sk_reason_name(g.reason));
		goto out;
	}
	struct sk_gate_result lead;
	sk_gate_check(c, email, SK_PURPOSE_LEAD_SCORING, now, &lead);
	struct mailctx m = {c, k.doc, &ct, public_url, r.id, lead.allowed != 0,
			    now + (int64_t)SK_CAMPAIGN_TOKEN_DAYS * 86400};
	const char *lang = r.lang;
	const char *tt = json_string_value(json_object_get(json_object_get(k.doc, "text"), lang));
	if (!tt) {
		lang = strcmp(lang, "sv") == 0 ? "en" : "sv";
		tt = json_string_value(json_object_get(json_object_get(k.doc, "text"), lang));
	}
	const char *ts = json_string_value(json_object_get(json_object_get(k.doc, "subject"), lang));
	const char *th = json_string_value(json_object_get(json_object_get(k.doc, "html"), lang));
	if ((rc = sk_vault_token_sign(c->vault, SK_CAMPAIGN_UNSUB_TAG, r.id, m.expires, token))) {
		rc = sk_errf(err, rc, "could not sign the unsubscribe link");
		goto out;
	}
	snprintf(unsub, sizeof(unsub), "%s/u/%s", public_url, token);
	if ((rc = sk_pref_link(c, ct.id, now, SK_PREF_LINK_DAYS, pref, NULL, err)))
		goto out;
	snprintf(pref_link, sizeof(pref_link), "%s/p/%s", public_url, pref);
	sk_vault_wipe(pref, sizeof(pref));
	if ((rc = render(&m, ts, 0, &s)) || (rc = render(&m, tt, 0, &t)) ||
	    (th && (rc = render(&m, th, 1, &h)))) {
		rc = sk_errf(err, rc, "cannot fill the campaign's templates");
		goto out;
	}
	if (m.tracked && th) {
		char subject[SK_TOKEN_MAX], otoken[SK_TOKEN_MAX];
		snprintf(subject, sizeof(subject), "%s", r.id);
		if ((rc = sk_vault_token_sign(c->vault, SK_CAMPAIGN_OPEN_TAG, subject, m.expires,
					      otoken)) ||
		    (rc = sk_buf_printf(&h, "\n<img src=\"%s/o/%s\" width=\"1\" height=\"1\" alt=\"\">",
					public_url, otoken))) {
			rc = sk_errf(err, rc, "cannot add the open pixel");
			goto out;
		}
	}
	char *footer = NULL, *hfooter = NULL;
	if ((rc = sk_mail_campaign_footer(lang, c->policy->org_name, unsub, pref_link, 0, &footer,
					  err)) ||
	    (th && (rc = sk_mail_campaign_footer(lang, c->policy->org_name, unsub, pref_link, 1,
						 &hfooter, err))))
		goto out_footer;
	if ((rc = sk_buf_appends(&t, footer)) || (th && (rc = sk_buf_appends(&h, hfooter)))) {
		rc = sk_errf(err, rc, "the campaign mail is too long");
		goto out_footer;
	}
	if ((rc = sk__outbox_recipient(email, out->to, err)))
		goto out_footer;
	struct sk_buf lu;
	sk_buf_init(&lu, 2048);
	if (sk_buf_printf(&lu, "<%s>", unsub) ||
	    (c->policy->org_contact && c->policy->org_contact[0] &&
	     !strpbrk(c->policy->org_contact, "<>\r\n ,") &&
	     sk_buf_printf(&lu, ", <mailto:%s?subject=unsubscribe>", c->policy->org_contact))) {
		sk_buf_reset(&lu);
		rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
		goto out_footer;
	}
	out->list_unsub = sk_buf_steal(&lu, NULL);
	out->subject = sk_buf_steal(&s, NULL);
	out->text = sk_buf_steal(&t, NULL);
	out->html = th ? sk_buf_steal(&h, NULL) : NULL;
	out->campaign = 1;
	if (!out->subject || !out->text || (th && !out->html) || !out->list_unsub) {
		rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
		goto out_footer;
	}
	/* built: the row is marked sending, committed, before the mail is handed to SMTP (a
	 * row found sending later was claimed by a process that died: never sent again) */
	sk_strlcpy(r.state, "sending", sizeof(r.state));
	memcpy(r.consent_id, g.consent_id, sizeof(r.consent_id));
	if ((rc = sk__core_begin(c, err)) == 0) {
		if ((rc = sk_store_send_state(c->store, &r)))
			sk__store_err(err, rc, "saving the send log");
		rc = sk__core_end(c, rc, err);
	}
	if (rc) {
		struct sk_outbox_rec keep = out->rec;
		sk_outgoing_reset(out);
		out->rec = keep;
	}
out_footer:
	sk_free(footer);
	sk_free(hfooter);
out:
	sk_vault_wipe(unsub, sizeof(unsub));
	sk_buf_reset(&t);
	sk_buf_reset(&h);
	sk_buf_reset(&s);
	sk_contact_reset(&ct);
	campaign_reset(&k);
	return rc;
}

int sk__campaign_done(struct sk_core *c, const char *row_id, int sent, int given_up, int64_t now,
		      struct sk_errctx *err)
{
	struct sk_send_rec r;
	int rc = sk_store_send_get(c->store, row_id, &r);
	if (rc == SK_ERR_NOT_FOUND) /* erased meanwhile */
		return 0;
	if (rc)
		return sk__store_err(err, rc, "reading the send log");
	if (strcmp(r.state, "sending") != 0 && strcmp(r.state, "queued") != 0)
		return 0; /* skipped, failed or sent already: as it is */
	if (sent) {
		sk_strlcpy(r.state, "sent", sizeof(r.state));
		r.sent_at = now;
	} else if (given_up) {
		sk_strlcpy(r.state, "failed", sizeof(r.state));
		sk_strlcpy(r.reason, "undeliverable", sizeof(r.reason));
	} else {
		sk_strlcpy(r.state, "queued", sizeof(r.state)); /* not sent: tried again */
	}
	rc = sk_store_send_state(c->store, &r);
	return rc ? sk__store_err(err, rc, "saving the send log") : 0;
}

/* ---- the links of a mail ---- */

/* The send-log row a token names: SK_ERR_INVALID when forged or for a row gone (the
 * contact erased); SK_ERR_EXPIRED. n (may be NULL) gets a click link's index. *old is set
 * when a key retired by a rotation signed the token: the caller then only takes consent
 * away or redirects, and records or hands out nothing (whoever holds a retired key file
 * can sign such links). */
static int token_row(struct sk_core *c, const char *tag, const char *token, int64_t now,
		     struct sk_send_rec *row, long *n, int *old, struct sk_errctx *err)
{
	char subject[SK_TOKEN_MAX];
	int64_t retired = 0;
	int rc;
	*old = 0;
	if (!token || strlen(token) >= SK_TOKEN_MAX)
		return sk_errf(err, SK_ERR_INVALID, "the link is not valid");
	/* unsubscribe, open and click take consent away or only count: a link mailed before a
	 * key rotation keeps working (docs/internals/vault.md "Key rotation") */
	rc = sk_vault_token_verify_carried(c->vault, tag, token, now, subject, NULL, &retired);
	if (rc == SK_ERR_EXPIRED)
		return sk_errf(err, rc, "the link has expired");
	if (rc)
		return sk_errf(err, SK_ERR_INVALID, "the link is not valid");
	if (n) {
		char *dot = strrchr(subject, '.');
		if (!dot)
			return sk_errf(err, SK_ERR_INVALID, "the link is not valid");
		*dot = '\0';
		*n = strtol(dot + 1, NULL, 10);
	}
	rc = sk_store_send_get(c->store, subject, row);
	if (rc == SK_ERR_NOT_FOUND)
		return sk_errf(err, SK_ERR_INVALID, "the link is not valid");
	if (rc)
		return sk__store_err(err, rc, "reading the send log");
	/* a retired key signed only the mails queued before its rotation (a server reloads the
	 * new key within a second: the margin) */
	if (retired && row->queued_at - SK_KEY_RETIRED_GRACE_SECONDS >= retired)
		return sk_errf(err, SK_ERR_INVALID, "the link is not valid");
	*old = retired != 0;
	return 0;
}

int sk_campaign_unsub_check(struct sk_core *c, const char *token, int64_t now,
			    struct sk_send_rec *row, char *purpose, struct sk_errctx *err)
{
	struct sk_campaign_rec k;
	int old;
	int rc = token_row(c, SK_CAMPAIGN_UNSUB_TAG, token, now, row, NULL, &old, err);
	if (rc)
		return rc;
	if ((rc = sk_campaign_get(c, row->campaign_id, &k, err)))
		return rc == SK_ERR_NOT_FOUND ? sk_errf(err, SK_ERR_INVALID, "the link is not valid")
					      : rc;
	sk_free(k.spec);
	sk_strlcpy(purpose, k.purpose, SK_PURPOSE_MAX);
	return 0;
}

int sk_campaign_unsubscribe(struct sk_core *c, const char *token, int64_t now,
			    struct sk_errctx *err)
{
	struct sk_send_rec row;
	struct sk_state st;
	char purpose[SK_PURPOSE_MAX], source[64];
	int rc;
	if ((rc = sk_core_need_policy(c, err)) ||
	    (rc = sk_campaign_unsub_check(c, token, now, &row, purpose, err)))
		return rc;
	/* a repeat (or a purpose not given now) changes nothing */
	rc = sk_consent_state(c, row.contact_id, purpose, &st, err);
	if (rc == SK_ERR_NOT_FOUND || (rc == 0 && st.status != SK_ST_GIVEN &&
				       st.status != SK_ST_PENDING)) {
		sk_errctx_reset(err);
		return 0;
	}
	if (rc)
		return rc;
	snprintf(source, sizeof(source), "campaign:%s", row.campaign_id);
	struct sk_consent_req req = {.contact_id = row.contact_id,
				     .purpose = purpose,
				     .action = SK_ACT_WITHDRAW,
				     .method = "one_click",
				     .source = source,
				     .lang = row.lang,
				     .occurred_at = now,
				     .actor = "one_click"};
	return sk_consent_record(c, &req, NULL, err);
}

int sk_campaign_open(struct sk_core *c, const char *token, const char *ip, int64_t now,
		     struct sk_errctx *err)
{
	struct sk_send_rec row;
	int old;
	int rc = token_row(c, SK_CAMPAIGN_OPEN_TAG, token, now, &row, NULL, &old, err);
	if (rc || old) /* a retired key's open: the pixel only, nothing recorded */
		return rc;
	struct sk_track_in in = {.type = "mail_open", .contact_id = row.contact_id,
				 .campaign_id = row.campaign_id, .ip = ip, .at = now};
	return sk_track_record(c, &in, NULL, err);
}

/* Whether a click on target may carry a visitor token for contact_id: only while the gate
 * allows lead_scoring for the contact now, and only to a page of one of the policy's banner
 * origins (the only pages whose script reads it); never to a third party. */
static int visitor_token_fits(struct sk_core *c, const char *contact_id, const char *target,
			      int64_t now)
{
	struct sk_gate_result g;
	struct sk_errctx ignore = {0};
	const char *host = strstr(target, "://");
	char origin[SK_CAMPAIGN_URL_MAX];
	if (!host)
		return 0;
	size_t n = (size_t)(host + 3 - target) + strcspn(host + 3, "/?#");
	if (n >= sizeof(origin))
		return 0;
	memcpy(origin, target, n);
	origin[n] = '\0';
	if (!sk_policy_site_origin_allowed(c->policy, origin))
		return 0;
	if (sk__gate_contact(c, contact_id, SK_PURPOSE_LEAD_SCORING, now, &g, &ignore))
		return 0;
	return g.allowed; /* lead_scoring allowed now */
}

int sk_campaign_click(struct sk_core *c, const char *token, const char *ip, int64_t now,
		      char *target, struct sk_errctx *err)
{
	struct sk_send_rec row;
	struct campaign k;
	long n = 0;
	int old = 0;
	int rc = token_row(c, SK_CAMPAIGN_LINK_TAG, token, now, &row, &n, &old, err);
	if (rc || (rc = campaign_open(c, row.campaign_id, &k, err)))
		return rc == SK_ERR_NOT_FOUND ? sk_errf(err, SK_ERR_INVALID, "the link is not valid")
					      : rc;
	const char *to = json_string_value(json_array_get(json_object_get(k.doc, "links"),
							  (size_t)(n - 1)));
	struct sk_buf b;
	/* what a redirect can answer: a click that cannot be answered records nothing */
	sk_buf_init(&b, SK_CAMPAIGN_REDIRECT_MAX - 1);
	if (!to || n < 1)
		rc = sk_errf(err, SK_ERR_INVALID, "the link is not valid");
	else if ((rc = utm_link(k.doc, to, &b)))
		rc = sk_errf(err, SK_ERR_INVALID, "the link is too long");
	/* a click signed by a retired key only redirects: no visitor token, nothing recorded */
	if (!rc && !old && !strchr(b.data ? b.data : "", '#') &&
	    visitor_token_fits(c, row.contact_id, to, now)) {
		char vt[SK_PREF_LINK_MAX];
		struct sk_errctx ignore = {0};
		if (sk_visitor_token(c, row.contact_id, now, vt, &ignore) == 0 &&
		    sk_buf_printf(&b, "#sk_vt=%s", vt))
			rc = sk_errf(err, SK_ERR_INVALID, "the link is too long");
		sk_vault_wipe(vt, sizeof(vt));
	}
	if (!rc)
		sk_strlcpy(target, b.data ? b.data : "", SK_CAMPAIGN_URL_MAX);
	if (!rc && !old) {
		struct sk_track_in in = {.type = "mail_click", .url = to,
					 .contact_id = row.contact_id,
					 .campaign_id = row.campaign_id, .ip = ip, .at = now};
		struct sk_errctx ignore = {0};
		sk_track_record(c, &in, NULL, &ignore); /* the redirect goes on regardless */
	}
	sk_buf_reset(&b);
	campaign_reset(&k);
	return rc;
}
