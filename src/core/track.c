/* track.c: tracking events (POST /t page views and custom events, mail opens and clicks),
 * each rule applied before anything is written: the IP address truncated unless ip_tracking
 * is given, the company looked up only when it is, the event attached to a person only with
 * lead_scoring given; the company ranges; what ends with a consent; the retention purge.
 * docs/tracking.md. */
#include "core/core_int.h"

#include <string.h>

#include "util/mem.h"
#include "util/net.h"
#include "util/str.h"

/* The gate for a contact by id (core_int.h): its address, asked of sk_gate_check. */
int sk__gate_contact(struct sk_core *c, const char *contact_id, const char *purpose,
		     int64_t now, struct sk_gate_result *out, struct sk_errctx *err)
{
	struct sk_contact ct;
	const char *email = NULL;
	memset(out, 0, sizeof(*out));
	out->reason = SK_RSN_ERROR;
	int rc = sk_contact_fields_by_id(c, contact_id, &ct, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < ct.nfields && !email; i++)
		if (strcmp(ct.fields[i].name, "email") == 0)
			email = ct.fields[i].value;
	sk_gate_check(c, email ? email : "", purpose, now, out);
	sk_contact_reset(&ct);
	return 0;
}

static int is_web(const char *type)
{
	return strcmp(type, "page_view") == 0 || strcmp(type, "event") == 0;
}

static int is_mail(const char *type)
{
	return strcmp(type, "mail_open") == 0 || strcmp(type, "mail_click") == 0;
}

/* A value of an event: at most max bytes, no control characters. */
static int value_ok(const char *v, size_t max)
{
	if (!v)
		return 1;
	size_t n = strlen(v);
	if (n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return 0;
	return 1;
}

static int check_in(const struct sk_track_in *in, struct sk_errctx *err)
{
	const char *utm[SK_NUTM] = {in->utm_source, in->utm_medium, in->utm_campaign,
				    in->utm_term, in->utm_content};
	static const char *const utm_name[SK_NUTM] = {"utm.source", "utm.medium", "utm.campaign",
						      "utm.term", "utm.content"};
	if (!in->type || (!is_web(in->type) && !is_mail(in->type)))
		return sk_errf(err, SK_ERR_INVALID, "type: expected page_view, event, mail_open or "
			       "mail_click");
	if (strcmp(in->type, "event") == 0 && (!in->name || !in->name[0]))
		return sk_errf(err, SK_ERR_INVALID, "name: an event needs a name");
	if (!value_ok(in->name, SK_TRACK_NAME_MAX))
		return sk_errf(err, SK_ERR_INVALID, "name: at most %d characters, no control "
			       "characters", SK_TRACK_NAME_MAX);
	if (!value_ok(in->url, SK_TRACK_URL_MAX))
		return sk_errf(err, SK_ERR_INVALID, "url: at most %d characters, no control "
			       "characters", SK_TRACK_URL_MAX);
	for (int i = 0; i < SK_NUTM; i++)
		if (!value_ok(utm[i], SK_TRACK_UTM_MAX))
			return sk_errf(err, SK_ERR_INVALID, "%s: at most %d characters, no control "
				       "characters", utm_name[i], SK_TRACK_UTM_MAX);
	if (is_web(in->type) && (!in->visitor_id || !in->visitor_id[0] ||
				 !value_ok(in->visitor_id, SK_TRACK_REF_MAX)))
		return sk_errf(err, SK_ERR_INVALID, "visitor: a web event needs the visitor id");
	if (is_mail(in->type) && (!in->contact_id || strlen(in->contact_id) != SK_ID_LEN))
		return sk_errf(err, SK_ERR_INVALID, "contact: a mail event needs the contact id");
	if (!value_ok(in->campaign_id, SK_TRACK_REF_MAX))
		return sk_errf(err, SK_ERR_INVALID, "campaign: at most %d characters",
			       SK_TRACK_REF_MAX);
	return 0;
}

/* What the consents allow for this event: *ipt (the full address and the company), *attach
 * (the contact to attach it to, "" when none) and *keep (whether it is stored at all). */
static int decide(struct sk_core *c, const struct sk_track_in *in, int64_t now, int *ipt,
		  char attach[SK_ID_LEN + 1], int *keep, struct sk_errctx *err)
{
	struct sk_gate_result g;
	int rc;
	*ipt = 0;
	*keep = 0;
	attach[0] = '\0';
	if (is_mail(in->type)) {
		rc = sk__gate_contact(c, in->contact_id, SK_PURPOSE_IP_TRACKING, now, &g, err);
		if (rc == SK_ERR_NOT_FOUND) /* erased since the mail went: nothing to keep */
			return 0;
		if (rc)
			return rc;
		*ipt = g.allowed;
		if ((rc = sk__gate_contact(c, in->contact_id, SK_PURPOSE_LEAD_SCORING, now, &g,
					   err)))
			return rc;
		if (g.allowed) /* lead_scoring given: the event is the person's */
			sk_strlcpy(attach, in->contact_id, SK_ID_LEN + 1);
		/* not the person's now: not stored. Its time would tie it to the send log, and an
		 * event of nobody (ip_tracking alone) could never be found again when that
		 * consent ends, so its full address would outlive it. */
		*keep = attach[0] != '\0';
		return 0;
	}
	int ls = 0;
	if ((rc = sk_visitor_given(c, in->visitor_id, SK_PURPOSE_IP_TRACKING, now, ipt, err)) ||
	    (rc = sk_visitor_given(c, in->visitor_id, SK_PURPOSE_LEAD_SCORING, now, &ls, err)))
		return rc;
	if (!*ipt && !ls)
		return 0; /* neither given: the event is not stored */
	*keep = 1;
	char contact[SK_ID_LEN + 1] = "";
	if (ls && (rc = sk_visitor_contact(c, in->visitor_id, contact, err)))
		return rc;
	if (contact[0]) {
		/* a visitor tied to a contact: the contact's own lead_scoring decides */
		rc = sk__gate_contact(c, contact, SK_PURPOSE_LEAD_SCORING, now, &g, err);
		if (rc && rc != SK_ERR_NOT_FOUND)
			return rc;
		if (rc == 0 && g.allowed)
			sk_strlcpy(attach, contact, SK_ID_LEN + 1);
	}
	return 0;
}

/* The address as it may be stored: truncated unless ipt; the company looked up only when
 * ipt. An address that does not parse is not stored. */
static int address(struct sk_core *c, const char *ip, int ipt, struct sk_track_rec *e)
{
	struct sk_ipaddr a;
	e->ip[0] = e->company[0] = '\0';
	if (!ip || sk_ip_parse(ip, strlen(ip), &a))
		return 0;
	if (!ipt)
		sk_ip_truncate(&a); /* no ip_tracking: the /24 or /48 only is ever written */
	sk_ip_format(&a, e->ip, sizeof(e->ip));
	if (!ipt)
		return 0;
	uint8_t key[SK_IPKEY_LEN];
	sk_ip_key(&a, key);
	int rc = sk_store_company_find(c->store, key, e->company, sizeof(e->company));
	return rc == SK_ERR_NOT_FOUND ? 0 : rc;
}

int sk_track_record(struct sk_core *c, const struct sk_track_in *in, int *stored,
		    struct sk_errctx *err)
{
	struct sk_track_rec *e = NULL;
	char attach[SK_ID_LEN + 1];
	int rc, ipt, keep;
	int64_t now = in->at ? in->at : sk_time_now();
	const char *utm[SK_NUTM] = {in->utm_source, in->utm_medium, in->utm_campaign,
				    in->utm_term, in->utm_content};

	if (stored)
		*stored = 0;
	if ((rc = sk_core_need_policy(c, err)) || (rc = check_in(in, err)))
		return rc;
	if (!(e = sk_calloc(1, sizeof(*e))))
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	if ((rc = sk__core_begin(c, err)))
		goto done;
	if ((rc = decide(c, in, now, &ipt, attach, &keep, err)) || !keep)
		goto out;
	if (is_web(in->type)) { /* the per-visitor cap: beyond it, not stored */
		int64_t today = 0;
		if ((rc = sk_store_track_count_visitor(c->store, in->visitor_id, now - 86400,
						       &today))) {
			sk__store_err(err, rc, "counting a visitor's events");
			goto out;
		}
		if (today >= SK_TRACK_VISITOR_DAY_MAX)
			goto out;
	}
	if (sk_id_new("t_", e->id)) {
		rc = sk_errf(err, SK_ERR_IO, "no randomness for an id");
		goto out;
	}
	e->at = now;
	sk_strlcpy(e->type, in->type, sizeof(e->type));
	sk_strlcpy(e->name, in->name ? in->name : "", sizeof(e->name));
	sk_strlcpy(e->url, in->url ? in->url : "", sizeof(e->url));
	for (int i = 0; i < SK_NUTM; i++)
		sk_strlcpy(e->utm[i], utm[i] ? utm[i] : "", sizeof(e->utm[i]));
	sk_strlcpy(e->visitor_id, in->visitor_id ? in->visitor_id : "", sizeof(e->visitor_id));
	sk_strlcpy(e->contact_id, attach, sizeof(e->contact_id));
	sk_strlcpy(e->campaign_id, in->campaign_id ? in->campaign_id : "", sizeof(e->campaign_id));
	if ((rc = address(c, in->ip, ipt, e))) {
		sk__store_err(err, rc, "looking up the company");
		goto out;
	}
	if ((rc = sk_store_track_put(c->store, e))) {
		sk__store_err(err, rc, "storing a tracking event");
		goto out;
	}
	/* a web event kept is a sighting of its visitor: the untied-visitor purge counts it */
	if (e->visitor_id[0] && (rc = sk__visitor_touch(c, e->visitor_id, now, err)))
		goto out;
	if (attach[0])
		rc = sk__score_update(c, attach, now, err);
	if (!rc && stored)
		*stored = 1;
out:
	rc = sk__core_end(c, rc, err);
	if (rc && stored)
		*stored = 0;
done:
	sk_free(e);
	return rc;
}

int sk_track_events(struct sk_core *c, const char *contact_id, sk_track_cb cb, void *arg,
		    struct sk_errctx *err)
{
	int rc = sk_store_track_each(c->store, contact_id, NULL, cb, arg);
	return rc ? sk__store_err(err, rc, "reading tracking events") : 0;
}

int sk_track_visitor_events(struct sk_core *c, const char *visitor_id, sk_track_cb cb,
			    void *arg, struct sk_errctx *err)
{
	int rc = sk_store_track_each(c->store, NULL, visitor_id, cb, arg);
	return rc ? sk__store_err(err, rc, "reading tracking events") : 0;
}

/* ---- the access export ---- */

static int export_add(void *arg, const struct sk_track_rec *e)
{
	struct sk_access_export *x = arg;
	size_t n = x->ntrack_events;
	if (n == 0 || (n >= 16 && (n & (n - 1)) == 0)) { /* full at 0, 16, 32, 64, ... */
		size_t na = x->ntrack_events ? x->ntrack_events * 2 : 16;
		void *p = sk_realloc(x->track_events, na * sizeof(*x->track_events));
		if (!p)
			return SK_ERR_NOMEM;
		x->track_events = p;
	}
	x->track_events[x->ntrack_events++] = *e;
	return 0;
}

int sk__track_export(struct sk_core *c, const char *contact_id, struct sk_access_export *x,
		     struct sk_errctx *err)
{
	int rc = sk_store_track_each(c->store, contact_id, NULL, export_add, x);
	if (rc)
		return sk__store_err(err, rc, "reading tracking events");
	rc = sk_store_score_get(c->store, contact_id, &x->score);
	if (rc == SK_ERR_NOT_FOUND)
		return 0;
	if (rc)
		return sk__store_err(err, rc, "reading the score");
	x->has_score = 1;
	return 0;
}

/* ---- what ends with a consent ---- */

/* The attached events' ids and their addresses truncated, read before any is rewritten. */
struct truncs {
	struct trunc {
		char id[SK_ID_LEN + 1];
		char ip[SK_IP_TEXT_MAX + 1];
	} *t;
	size_t n, alloc;
};

static int truncs_add(void *arg, const struct sk_track_rec *e)
{
	struct truncs *l = arg;
	struct sk_ipaddr a;
	if (!e->ip[0] && !e->company[0])
		return 0;
	if (l->n == l->alloc) {
		size_t na = l->alloc ? l->alloc * 2 : 64;
		void *p = sk_realloc(l->t, na * sizeof(*l->t));
		if (!p)
			return SK_ERR_NOMEM;
		l->t = p;
		l->alloc = na;
	}
	struct trunc *t = &l->t[l->n++];
	memcpy(t->id, e->id, sizeof(t->id));
	t->ip[0] = '\0';
	if (sk_ip_parse(e->ip, strlen(e->ip), &a) == 0) {
		sk_ip_truncate(&a);
		sk_ip_format(&a, t->ip, sizeof(t->ip));
	}
	return 0;
}

struct vwalk {
	struct sk_store *store;
	struct truncs *l;
};

static int visitor_events(void *arg, const struct sk_visitor_rec *v)
{
	struct vwalk *w = arg;
	return sk_store_track_each(w->store, NULL, v->id, truncs_add, w->l);
}

int sk__track_basis_ended(struct sk_core *c, const char *contact_id, const char *purpose,
			  struct sk_errctx *err)
{
	int rc;
	if (strcmp(purpose, SK_PURPOSE_LEAD_SCORING) == 0) {
		/* the score and the behavioural history go at once, in the caller's transaction */
		if ((rc = sk_store_track_forget(c->store, contact_id)))
			return sk__store_err(err, rc, "deleting tracking events");
		return 0;
	}
	if (strcmp(purpose, SK_PURPOSE_IP_TRACKING) != 0)
		return 0;
	/* ip_tracking: the addresses of the person's events (attached, or of the visitors tied
	 * to them) are truncated and their companies cleared (docs/tracking.md) */
	struct truncs l = {0};
	struct vwalk w = {c->store, &l};
	rc = sk_store_track_each(c->store, contact_id, NULL, truncs_add, &l);
	if (!rc)
		rc = sk_store_visitor_each_by_contact(c->store, contact_id, visitor_events, &w);
	for (size_t i = 0; !rc && i < l.n; i++)
		rc = sk_store_track_ip_set(c->store, l.t[i].id, l.t[i].ip, "");
	sk_free(l.t);
	return rc ? sk__store_err(err, rc, "truncating tracked addresses") : 0;
}

/* ---- the company ranges ---- */

int sk_company_range_keys(const struct sk_company_range *r, uint8_t start[SK_IPKEY_LEN],
			  uint8_t end[SK_IPKEY_LEN], struct sk_errctx *err)
{
	if (!r->name || !r->name[0] || !value_ok(r->name, SK_COMPANY_MAX))
		return sk_errf(err, SK_ERR_INVALID, "name: expected a company name of 1 to %d "
			       "characters", SK_COMPANY_MAX);
	if (r->network) {
		struct sk_cidr cidr;
		if (sk_cidr_parse(r->network, &cidr))
			return sk_errf(err, SK_ERR_INVALID, "network: expected a network such as "
				       "192.0.2.0/24 or 2001:db8::/32");
		sk_cidr_keys(&cidr, start, end);
		return 0;
	}
	struct sk_ipaddr a, b;
	if (!r->first || sk_ip_parse(r->first, strlen(r->first), &a))
		return sk_errf(err, SK_ERR_INVALID, "first: expected an IP address");
	if (!r->last || sk_ip_parse(r->last, strlen(r->last), &b))
		return sk_errf(err, SK_ERR_INVALID, "last: expected an IP address");
	if (a.family != b.family)
		return sk_errf(err, SK_ERR_INVALID, "last: not of the first address's family");
	sk_ip_key(&a, start);
	sk_ip_key(&b, end);
	if (memcmp(start, end, SK_IPKEY_LEN) > 0)
		return sk_errf(err, SK_ERR_INVALID, "last: before the first address");
	return 0;
}

int sk_company_load(struct sk_core *c, const struct sk_company_range *r, size_t n,
		    size_t *bad_index, struct sk_errctx *err)
{
	uint8_t a[SK_IPKEY_LEN], b[SK_IPKEY_LEN];
	int rc;
	if (bad_index)
		*bad_index = 0;
	for (size_t i = 0; i < n; i++) {
		if ((rc = sk_company_range_keys(&r[i], a, b, err))) {
			if (bad_index)
				*bad_index = i;
			return rc;
		}
	}
	if ((rc = sk__core_begin(c, err)))
		return rc;
	if ((rc = sk_store_company_clear(c->store)))
		sk__store_err(err, rc, "clearing the company ranges");
	for (size_t i = 0; !rc && i < n; i++) {
		(void)sk_company_range_keys(&r[i], a, b, NULL);
		if ((rc = sk_store_company_put(c->store, a, b, r[i].name)))
			sk__store_err(err, rc, "storing a company range");
	}
	return sk__core_end(c, rc, err);
}

int sk_company_lookup(struct sk_core *c, const char *ip, char *out, struct sk_errctx *err)
{
	struct sk_ipaddr a;
	uint8_t key[SK_IPKEY_LEN];
	out[0] = '\0';
	if (!ip || sk_ip_parse(ip, strlen(ip), &a))
		return sk_errf(err, SK_ERR_INVALID, "expected an IP address");
	sk_ip_key(&a, key);
	int rc = sk_store_company_find(c->store, key, out, SK_COMPANY_MAX + 1);
	if (rc == SK_ERR_NOT_FOUND)
		return sk_errf(err, rc, "no company range holds that address");
	return rc ? sk__store_err(err, rc, "looking up the company") : 0;
}

/* ---- retention ---- */

/* ---- the consent sweep of the purge (a consent lapsed by validity: no event ended it) ---- */

struct sweep {
	struct sk_core *c;
	int64_t now;
	char (*lapsed)[SK_ID_LEN + 1]; /* contacts whose lead_scoring the gate no longer allows */
	size_t nlapsed, alloc;
	struct truncs l;               /* events to truncate: ip_tracking no longer allowed */
};

/* Whether the gate allows purpose for contact_id at now; a gate error counts as allowed
 * here (the sweep deletes nothing it cannot decide; the next purge tries again). */
static int sweep_allowed(struct sweep *w, const char *contact_id, const char *purpose)
{
	struct sk_gate_result g;
	struct sk_errctx ignore = {0};
	int rc = sk__gate_contact(w->c, contact_id, purpose, w->now, &g, &ignore);
	return rc || g.reason == SK_RSN_ERROR || g.allowed;
}

static int lapsed_add(struct sweep *w, const char *contact_id)
{
	for (size_t i = 0; i < w->nlapsed; i++)
		if (strcmp(w->lapsed[i], contact_id) == 0)
			return 0;
	if (w->nlapsed == w->alloc) {
		size_t na = w->alloc ? w->alloc * 2 : 16;
		void *p = sk_realloc(w->lapsed, na * sizeof(*w->lapsed));
		if (!p)
			return SK_ERR_NOMEM;
		w->lapsed = p;
		w->alloc = na;
	}
	sk_strlcpy(w->lapsed[w->nlapsed++], contact_id, SK_ID_LEN + 1);
	return 0;
}

static int sweep_score(void *arg, const struct sk_score_rec *r)
{
	struct sweep *w = arg;
	return sweep_allowed(w, r->contact_id, SK_PURPOSE_LEAD_SCORING) ? 0
									: lapsed_add(w, r->contact_id);
}

static int sweep_event(void *arg, const struct sk_track_rec *e)
{
	struct sweep *w = arg;
	struct sk_ipaddr a;
	char t[SK_IP_TEXT_MAX + 1] = "";
	int rc, ipt = 1;
	if (e->contact_id[0] && !sweep_allowed(w, e->contact_id, SK_PURPOSE_LEAD_SCORING) &&
	    (rc = lapsed_add(w, e->contact_id)))
		return rc;
	if (sk_ip_parse(e->ip, strlen(e->ip), &a) == 0) {
		sk_ip_truncate(&a);
		sk_ip_format(&a, t, sizeof(t));
	}
	if (!e->company[0] && strcmp(t, e->ip) == 0)
		return 0; /* already truncated (or none) */
	if (e->contact_id[0]) {
		ipt = sweep_allowed(w, e->contact_id, SK_PURPOSE_IP_TRACKING);
	} else if (e->visitor_id[0]) {
		/* the visitor's own answer, or for a tied one its contact's gate */
		struct sk_errctx ignore = {0};
		if (sk_visitor_given(w->c, e->visitor_id, SK_PURPOSE_IP_TRACKING, w->now, &ipt,
				     &ignore))
			ipt = 1; /* undecided: left for the next purge */
	}
	return ipt ? 0 : truncs_add(&w->l, e);
}

/* Ends what a consent lapsed by validity allowed: the score and history of each contact
 * whose lead_scoring the gate no longer allows (with their tied visitors' events, as a
 * withdrawal); the stored addresses of the events whose contact or visitor no longer has
 * ip_tracking truncated, their companies cleared. Inside the caller's transaction; *n
 * counts the contacts and events changed. */
static int sweep(struct sk_core *c, int64_t now, long *n, struct sk_errctx *err)
{
	struct sweep w = {.c = c, .now = now};
	int rc = sk_store_score_each(c->store, sweep_score, &w);
	if (!rc)
		rc = sk_store_track_sweep_each(c->store, sweep_event, &w);
	for (size_t i = 0; !rc && i < w.l.n; i++)
		rc = sk_store_track_ip_set(c->store, w.l.t[i].id, w.l.t[i].ip, "");
	for (size_t i = 0; !rc && i < w.nlapsed; i++)
		rc = sk_store_track_forget(c->store, w.lapsed[i]);
	if (!rc)
		*n = (long)(w.l.n + w.nlapsed);
	sk_free(w.l.t);
	sk_free(w.lapsed);
	return rc ? sk__store_err(err, rc, "sweeping lapsed tracking consents") : 0;
}

int sk_track_purge(struct sk_core *c, int64_t now, long *n, struct sk_errctx *err)
{
	int rc;
	*n = 0;
	if ((rc = sk_core_need_policy(c, err)))
		return rc;
	const struct sk_policy *p = sk_core_policy(c);
	/* now minus the retention: the moment that lies one retention before now */
	int64_t span = sk_time_add(now, p->track_retention) - now;
	if ((rc = sk__core_begin(c, err)))
		return rc;
	long swept = 0;
	if ((rc = sk_store_track_purge(c->store, now - span, n)))
		sk__store_err(err, rc, "purging tracking events");
	else if (!(rc = sweep(c, now, &swept, err)) && (*n += swept))
		rc = sk__scrub_mark(c, err); /* no byte of them may stay in the files */
	return sk__core_end(c, rc, err);
}
