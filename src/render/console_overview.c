/* console_overview.c: the staff console's overview (the figures of core/overview.c, with a
 * chart of gives and withdrawals per week as inline SVG and the same figures as a table) and
 * its purposes page (the applied policy, each notice's versions side by side with a word
 * diff, and the policy lint). Everything goes through sk_html; no style attribute (the CSP). */
#include "render/console.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/webhook.h"
#include "util/mem.h"
#include "util/sktime.h"
#include "util/str.h"

#define M(name) sk_con_msg(f->lang, SK_CON_##name)

/* int64 as text (sk_html has %d only) */
struct num {
	char s[24];
};
static struct num num(int64_t v)
{
	struct num n;
	snprintf(n.s, sizeof(n.s), "%" PRId64, v);
	return n;
}

/* <time datetime="RFC 3339">YYYY-MM-DD HH:MM UTC</time> */
static int html_time(struct sk_buf *b, int64_t t)
{
	char iso[SK_TIME_STRLEN], shown[32];
	sk_time_format(t, iso);
	snprintf(shown, sizeof(shown), "%.10s %.5s UTC", iso, iso + 11);
	return sk_html(b, "<time datetime=\"%s\">%s</time>", iso, shown);
}

/* A date (week starts): YYYY-MM-DD */
static void day_of(int64_t t, char out[11])
{
	char iso[SK_TIME_STRLEN];
	sk_time_format(t, iso);
	memcpy(out, iso, 10);
	out[10] = '\0';
}

/* A length of time in seconds, roughly: "3 d 4 h", "2 h 5 min", "7 min" */
static void age_of(int64_t secs, char *out, size_t len)
{
	if (secs < 0)
		secs = 0;
	if (secs >= 86400)
		snprintf(out, len, "%" PRId64 " d %" PRId64 " h", secs / 86400, secs % 86400 / 3600);
	else if (secs >= 3600)
		snprintf(out, len, "%" PRId64 " h %" PRId64 " min", secs / 3600, secs % 3600 / 60);
	else
		snprintf(out, len, "%" PRId64 " min", secs / 60);
}

static const char *basis_text(const struct sk_con_frame *f, enum sk_basis b)
{
	switch (b) {
	case SK_BASIS_CONSENT: return M(BASIS_CONSENT);
	case SK_BASIS_LEGITIMATE_INTEREST: return M(BASIS_LEGITIMATE_INTEREST);
	case SK_BASIS_CONTRACT: return M(BASIS_CONTRACT);
	case SK_BASIS_LEGAL_OBLIGATION: return M(BASIS_LEGAL_OBLIGATION);
	}
	return "?";
}

static const char *kind_text(const struct sk_con_frame *f, enum sk_kind k)
{
	switch (k) {
	case SK_KIND_COMMUNICATION: return M(KIND_COMMUNICATION);
	case SK_KIND_PROFILING: return M(KIND_PROFILING);
	case SK_KIND_TRACKING: return M(KIND_TRACKING);
	case SK_KIND_OTHER: return M(KIND_OTHER);
	}
	return "?";
}

/* "24 månader" / "24 months"; none (n 0) writes the text given */
static int html_duration(struct sk_buf *b, const struct sk_con_frame *f, struct sk_duration d,
			 const char *none)
{
	const char *unit;
	if (d.n == 0)
		return sk_html(b, "%s", none);
	switch (d.unit) {
	case 'd': unit = d.n == 1 ? M(DUR_DAY) : M(DUR_DAYS); break;
	case 'm': unit = d.n == 1 ? M(DUR_MONTH) : M(DUR_MONTHS); break;
	default: unit = d.n == 1 ? M(DUR_YEAR) : M(DUR_YEARS); break;
	}
	return sk_html(b, "%d %s", d.n, unit);
}

/* ---- the overview ---- */

static const enum sk_con_msg count_msg[SK_OV_NCOUNTS] = {
	SK_CON_OV_ALLOWED, SK_CON_OV_WITHDRAWN, SK_CON_OV_REFUSED, SK_CON_OV_EXPIRED,
	SK_CON_OV_PENDING, SK_CON_OV_UNVERIFIED, SK_CON_OV_SUPPRESSED,
};

static int ov_purposes(struct sk_buf *b, const struct sk_con_frame *f, const struct sk_overview *o)
{
	int rc = sk_html(b, "<section aria-labelledby=\"ov-purposes\"><h2 id=\"ov-purposes\">%s</h2>\n",
			 M(OV_PURPOSES));
	if (!o->policy)
		return rc ? rc : sk_html(b, "<p>%s</p></section>\n", M(OV_NO_POLICY));
	rc = rc ? rc : sk_html(b, "<p class=\"muted\">%s</p>\n<div class=\"ov-scroll\" "
			       "tabindex=\"0\" role=\"region\" aria-labelledby=\"ov-purposes\">"
			       "<table class=\"ov-purposes\"><thead><tr><th scope=\"col\">%s</th>"
			       "<th scope=\"col\">%s</th>", M(OV_PURPOSES_NOTE), M(OV_PURPOSE),
			       M(OV_BASIS));
	for (int k = 0; !rc && k < SK_OV_NCOUNTS; k++)
		rc = sk_html(b, "<th scope=\"col\" class=\"num\">%s</th>", sk_con_msg(f->lang, count_msg[k]));
	rc = rc ? rc : sk_html(b, "<th scope=\"col\" class=\"num\">%s</th></tr></thead><tbody>\n",
			       M(OV_REQUESTS));
	int other_basis = 0;
	for (size_t i = 0; !rc && i < o->npurposes; i++) {
		const struct sk_overview_purpose *op = &o->purposes[i];
		const struct sk_purpose *p = op->purpose;
		other_basis |= p->basis != SK_BASIS_CONSENT;
		rc = sk_html(b, "<tr data-purpose=\"%s\"><th scope=\"row\">%s <code>%s</code></th>"
			     "<td>%s</td>", p->id, p->title[f->lang == SK_LANG_SV ? SK_LANG_SV : SK_LANG_EN],
			     p->id, basis_text(f, p->basis));
		for (int k = 0; !rc && k < SK_OV_NCOUNTS; k++)
			rc = sk_html(b, "<td class=\"num\" data-count=\"%s\">%s</td>", sk_ov_count_name(k),
				     num(op->n[k]).s);
		rc = rc ? rc : sk_html(b, "<td class=\"num\" data-count=\"requests\">%s</td></tr>\n",
				       num(op->requests).s);
	}
	rc = rc ? rc : sk_html(b, "</tbody></table></div>\n");
	if (!rc && other_basis)
		rc = sk_html(b, "<p class=\"muted\">%s</p>\n", M(OV_NONCONSENT_NOTE));
	return rc ? rc : sk_html(b, "</section>\n");
}

/* The chart's geometry (SVG user units) */
#define CH_W 640
#define CH_H 240
#define CH_LEFT 44
#define CH_BOTTOM 28
#define CH_TOP 12

static int ov_chart(struct sk_buf *b, const struct sk_con_frame *f, const struct sk_overview *o)
{
	int64_t max = 1;
	char day[11];
	for (int i = 0; i < SK_OV_WEEKS; i++) {
		if (o->gives[i] > max)
			max = o->gives[i];
		if (o->withdrawals[i] > max)
			max = o->withdrawals[i];
	}
	int rc = sk_html(b, "<section aria-labelledby=\"ov-chart\"><h2 id=\"ov-chart\">%s</h2>\n"
			 "<figure class=\"ov-chart\"><svg class=\"ov-chart\" role=\"img\" "
			 "aria-labelledby=\"ov-chart-title ov-chart-desc\" "
			 "viewBox=\"0 0 640 240\" width=\"100%%\" preserveAspectRatio=\"xMidYMid meet\">"
			 "<title id=\"ov-chart-title\">%s</title><desc id=\"ov-chart-desc\">%s</desc>\n",
			 M(OV_CHART), M(OV_CHART), M(OV_CHART_DESC));
	const int plot_h = CH_H - CH_BOTTOM - CH_TOP;
	const int slot = (CH_W - CH_LEFT) / SK_OV_WEEKS; /* 49 */
	/* the axis and its two labels: 0 and the largest figure */
	rc = rc ? rc : sk_buf_printf(b, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
				     "<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>"
				     "<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"end\">%" PRId64
				     "</text>\n", CH_LEFT, CH_H - CH_BOTTOM, CH_W, CH_H - CH_BOTTOM,
				     CH_LEFT - 6, CH_H - CH_BOTTOM, CH_LEFT - 6, CH_TOP + 10, max);
	for (int i = 0; !rc && i < SK_OV_WEEKS; i++) {
		int x = CH_LEFT + i * slot + 6;
		int hg = (int)(o->gives[i] * plot_h / max);
		int hw = (int)(o->withdrawals[i] * plot_h / max);
		day_of(o->week_start[i], day);
		rc = sk_buf_printf(b, "<g><rect class=\"give\" x=\"%d\" y=\"%d\" width=\"17\" "
				   "height=\"%d\"/><rect class=\"withdraw\" x=\"%d\" y=\"%d\" "
				   "width=\"17\" height=\"%d\"/><text class=\"tick\" x=\"%d\" y=\"%d\" "
				   "text-anchor=\"middle\">%.5s</text></g>\n",
				   x, CH_H - CH_BOTTOM - hg, hg, x + 18, CH_H - CH_BOTTOM - hw, hw,
				   x + 17, CH_H - 10, day + 5);
	}
	rc = rc ? rc : sk_html(b, "</svg><figcaption><span class=\"key give\"></span> %s "
			       "<span class=\"key withdraw\"></span> %s</figcaption></figure>\n"
			       "<table class=\"ov-weeks\"><caption>%s</caption><thead><tr>"
			       "<th scope=\"col\">%s</th><th scope=\"col\" class=\"num\">%s</th>"
			       "<th scope=\"col\" class=\"num\">%s</th></tr></thead><tbody>\n",
			       M(OV_GIVES), M(OV_WITHDRAWALS), M(OV_CHART), M(OV_WEEK), M(OV_GIVES),
			       M(OV_WITHDRAWALS));
	for (int i = 0; !rc && i < SK_OV_WEEKS; i++) {
		day_of(o->week_start[i], day);
		rc = sk_html(b, "<tr><th scope=\"row\"><time datetime=\"%s\">%s</time></th>"
			     "<td class=\"num\" data-gives>%s</td><td class=\"num\" data-withdrawals>%s"
			     "</td></tr>\n", day, day, num(o->gives[i]).s, num(o->withdrawals[i]).s);
	}
	return rc ? rc : sk_html(b, "</tbody></table></section>\n");
}

static int ov_ledger(struct sk_buf *b, const struct sk_con_frame *f, const struct sk_overview *o,
		     int can_verify)
{
	char hex[2 * SK_HASH_LEN + 1];
	int rc = sk_html(b, "<section aria-labelledby=\"ov-ledger\"><h2 id=\"ov-ledger\">%s</h2>\n"
			 "<dl class=\"ov-facts\">", M(OV_LEDGER));
	if (!rc && o->ledger_seq == 0) {
		rc = sk_html(b, "<dt>%s</dt><dd>%s</dd>", M(OV_HEAD_SEQ), M(OV_LEDGER_EMPTY));
	} else if (!rc) {
		sk_hex(o->ledger_head, SK_HASH_LEN, hex);
		rc = sk_html(b, "<dt>%s</dt><dd data-ledger-seq>%s</dd><dt>%s</dt><dd><code "
			     "class=\"hash\" data-ledger-head>%s</code></dd>", M(OV_HEAD_SEQ),
			     num(o->ledger_seq).s, M(OV_HEAD_HASH), hex);
	}
	rc = rc ? rc : sk_html(b, "<dt>%s</dt><dd data-verify>", M(OV_VERIFY_LAST));
	if (!rc && !o->verify.at) {
		rc = sk_html(b, "%s", M(OV_VERIFY_NEVER));
	} else if (!rc) {
		rc = html_time(b, o->verify.at);
		if (!rc && o->verify.first_bad_seq)
			rc = sk_html(b, ": <strong class=\"bad\">%s %s</strong>", M(OV_VERIFY_BROKEN),
				     num(o->verify.first_bad_seq).s);
		else if (!rc)
			rc = sk_html(b, ": %s %s", M(OV_VERIFY_WHOLE), num(o->verify.events).s);
	}
	rc = rc ? rc : sk_html(b, "</dd></dl>\n");
	if (!rc && can_verify) {
		/* ?lang=: the answer (303 to the overview) in the language of this page */
		rc = sk_html(b, "<form method=\"post\" action=\"/console/verify?lang=%s\">",
			     f->lang == SK_LANG_SV ? "sv" : "en");
		rc = rc ? rc : sk_con_csrf(b, f);
		rc = rc ? rc : sk_html(b, "<button type=\"submit\">%s</button></form>\n",
				       M(OV_VERIFY_RUN));
	}
	return rc ? rc : sk_html(b, "</section>\n");
}

/* The site of a webhook's URL (scheme://host[:port]) in out: every role sees the overview,
 * and an endpoint's path, query or user info is often its secret (a token in the path, a
 * password before the host); the whole URL is on the admin page only. */
static void site_of(const char *url, char *out, size_t outlen)
{
	const char *sep = strstr(url, "://");
	if (!sep) {
		snprintf(out, outlen, "?");
		return;
	}
	const char *host = sep + 3;
	size_t n = strcspn(host, "/?#");
	for (size_t j = n; j > 0; j--)
		if (host[j - 1] == '@') {
			n -= j;
			host += j;
			break;
		}
	snprintf(out, outlen, "%.*s%.*s", (int)(sep + 3 - url), url, (int)n, host);
}

static int ov_webhooks(struct sk_buf *b, const struct sk_con_frame *f, const struct sk_overview *o)
{
	int rc = sk_html(b, "<section aria-labelledby=\"ov-webhooks\"><h2 id=\"ov-webhooks\">%s</h2>\n",
			 M(OV_WEBHOOKS));
	if (!o->nwebhooks)
		return rc ? rc : sk_html(b, "<p>%s</p></section>\n", M(OV_WH_NONE));
	rc = rc ? rc : sk_html(b, "<div class=\"ov-scroll\" tabindex=\"0\" role=\"region\" "
			       "aria-labelledby=\"ov-webhooks\"><table class=\"ov-webhooks\"><thead><tr>"
			       "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s"
			       "</th><th scope=\"col\" class=\"num\">%s</th><th scope=\"col\">%s</th>"
			       "</tr></thead><tbody>\n", M(OV_NAME), M(OV_URL), M(OV_WH_STATE),
			       M(OV_WH_LAG), M(OV_WH_ERROR));
	for (size_t i = 0; !rc && i < o->nwebhooks; i++) {
		const struct sk_webhook_info *w = &o->webhooks[i];
		char status[16] = "", site[300];
		site_of(w->url, site, sizeof(site));
		if (w->last_status)
			snprintf(status, sizeof(status), "HTTP %d: ", w->last_status);
		rc = sk_html(b, "<tr><th scope=\"row\">%s</th><td><code>%s</code></td><td>%s</td>"
			     "<td class=\"num\" data-lag>%s</td><td>%s%s</td></tr>\n",
			     w->name[0] ? w->name : w->id, site,
			     w->enabled ? M(OV_WH_ENABLED) : M(OV_WH_DISABLED), num(w->pending).s,
			     w->last_error[0] ? status : "",
			     w->last_error[0] ? w->last_error : M(OV_NONE));
	}
	return rc ? rc : sk_html(b, "</tbody></table></div></section>\n");
}

static int ov_outbox(struct sk_buf *b, const struct sk_con_frame *f, const struct sk_overview *o)
{
	char age[48];
	age_of(o->now - o->outbox_oldest, age, sizeof(age));
	return sk_html(b, "<section aria-labelledby=\"ov-outbox\"><h2 id=\"ov-outbox\">%s</h2>\n"
		       "<dl class=\"ov-facts\"><dt>%s</dt><dd data-outbox-waiting>%s</dd><dt>%s</dt>"
		       "<dd data-outbox-oldest>%s</dd><dt>%s</dt><dd data-outbox-failed>%s</dd></dl>"
		       "</section>\n", M(OV_OUTBOX), M(OV_OUTBOX_WAITING), num(o->outbox_waiting).s,
		       M(OV_OUTBOX_OLDEST), o->outbox_waiting ? age : M(OV_NONE), M(OV_OUTBOX_FAILED),
		       num(o->outbox_failed).s);
}

static int ov_supp(struct sk_buf *b, const struct sk_con_frame *f, const struct sk_overview *o)
{
	int rc = sk_html(b, "<section aria-labelledby=\"ov-supp\"><h2 id=\"ov-supp\">%s</h2>\n",
			 M(OV_SUPP));
	if (!o->nsupp)
		return rc ? rc : sk_html(b, "<p>%s</p></section>\n", M(OV_SUPP_NONE));
	rc = rc ? rc : sk_html(b, "<table class=\"ov-supp\"><thead><tr><th scope=\"col\">%s</th>"
			       "<th scope=\"col\" class=\"num\">%s</th></tr></thead><tbody>\n",
			       M(OV_REASON), M(OV_COUNT));
	for (size_t i = 0; !rc && i < o->nsupp; i++)
		rc = sk_html(b, "<tr><th scope=\"row\"><code>%s</code></th><td class=\"num\" "
			     "data-supp=\"%s\">%s</td></tr>\n", o->supp[i].reason, o->supp[i].reason,
			     num(o->supp[i].n).s);
	return rc ? rc : sk_html(b, "</tbody></table></section>\n");
}

int sk_con_overview(struct sk_buf *b, const struct sk_con_frame *f, const struct sk_overview *o,
		    int can_verify)
{
	int rc = sk_con_begin(b, f, M(OVERVIEW_TITLE));
	rc = rc ? rc : ov_purposes(b, f, o);
	rc = rc ? rc : ov_chart(b, f, o);
	rc = rc ? rc : ov_ledger(b, f, o, can_verify);
	rc = rc ? rc : ov_webhooks(b, f, o);
	rc = rc ? rc : ov_outbox(b, f, o);
	return rc ? rc : ov_supp(b, f, o);
}

/* ---- the purposes page ---- */

/* One version's text in one language: plain, or with prev the changes from it. */
static int notice_text(struct sk_buf *b, const struct sk_con_frame *f, const char *prev,
		       const char *text)
{
	struct sk_diff_run *runs = NULL;
	size_t n = 0;
	struct sk_errctx err = {0};
	if (!prev)
		return sk_html(b, "<p class=\"notice\">%s</p>", text);
	if (sk_word_diff(prev, text, &runs, &n, &err))
		return SK_ERR_NOMEM;
	int rc = sk_html(b, "<p class=\"notice\">");
	for (size_t i = 0; !rc && i < n; i++) {
		char *s = sk_malloc(runs[i].len + 1);
		if (!s) {
			rc = SK_ERR_NOMEM;
			break;
		}
		memcpy(s, runs[i].p, runs[i].len);
		s[runs[i].len] = '\0';
		switch (runs[i].op) {
		case SK_DIFF_SAME: rc = sk_html(b, "%s", s); break;
		case SK_DIFF_DEL:
			rc = sk_html(b, "<del><span class=\"sr\">[%s] </span>%s</del>", M(PU_REMOVED), s);
			break;
		case SK_DIFF_INS:
			rc = sk_html(b, "<ins><span class=\"sr\">[%s] </span>%s</ins>", M(PU_ADDED), s);
			break;
		}
		sk_free(s);
	}
	sk_free(runs);
	return rc ? rc : sk_html(b, "</p>");
}

static int pu_notices(struct sk_buf *b, const struct sk_con_frame *f, const struct sk_purpose *p,
		      const struct sk_notice_history *h)
{
	int rc = sk_html(b, "<h3>%s</h3>\n", M(PU_NOTICES));
	if (!rc && h->nv > 1)
		rc = sk_html(b, "<p class=\"muted\">%s</p>\n", M(PU_DIFF_LEGEND));
	for (int l = 0; !rc && l < SK_NLANG; l++) {
		rc = sk_html(b, "<h4>%s</h4>\n<div class=\"pu-versions\" data-purpose=\"%s\" "
			     "data-lang=\"%s\">", l == SK_LANG_SV ? M(PU_LANG_SV) : M(PU_LANG_EN), p->id,
			     l == SK_LANG_SV ? "sv" : "en");
		for (size_t v = 0; !rc && v < h->nv; v++) {
			const struct sk_notice_version *nv = &h->v[v];
			rc = sk_html(b, "<article class=\"pu-version\" data-version=\"%d\"><h5>%s %d, %s ",
				     nv->version, M(PU_VERSION), nv->version, M(PU_SINCE));
			rc = rc ? rc : html_time(b, nv->since);
			rc = rc ? rc : sk_html(b, "</h5><div lang=\"%s\">", l == SK_LANG_SV ? "sv" : "en");
			if (!rc && !nv->text[l])
				rc = sk_html(b, "<p class=\"muted\">%s</p>", M(PU_NO_TEXT));
			else if (!rc)
				rc = notice_text(b, f, v > 0 ? h->v[v - 1].text[l] : NULL, nv->text[l]);
			rc = rc ? rc : sk_html(b, "</div></article>");
		}
		rc = rc ? rc : sk_html(b, "</div>\n");
	}
	return rc;
}

static int pu_purpose(struct sk_buf *b, const struct sk_con_frame *f, const struct sk_purpose *p,
		      const struct sk_notice_history *h)
{
	int l = f->lang == SK_LANG_SV ? SK_LANG_SV : SK_LANG_EN;
	int rc = sk_html(b, "<section class=\"pu-purpose\" aria-labelledby=\"pu-%s\" "
			 "data-purpose=\"%s\"><h2 id=\"pu-%s\">%s</h2>\n<dl class=\"ov-facts\">"
			 "<dt>%s</dt><dd><code>%s</code></dd><dt>%s</dt><dd><span lang=\"sv\">%s</span>"
			 " / <span lang=\"en\">%s</span></dd><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>%s</dd>"
			 "<dt>%s</dt><dd>",
			 p->id, p->id, p->id, p->title[l], M(PU_ID), p->id, M(PU_TITLE),
			 p->title[SK_LANG_SV], p->title[SK_LANG_EN], M(PU_KIND), kind_text(f, p->kind),
			 M(OV_BASIS), basis_text(f, p->basis), M(PU_VALIDITY));
	rc = rc ? rc : html_duration(b, f, p->validity, M(PU_UNTIL_WITHDRAWN));
	rc = rc ? rc : sk_html(b, "</dd><dt>%s</dt><dd>", M(PU_RETENTION));
	rc = rc ? rc : html_duration(b, f, p->retention, M(OV_NONE));
	rc = rc ? rc : sk_html(b, "</dd><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>", M(PU_DOI),
			       p->double_opt_in ? M(PU_YES) : M(PU_NO), M(PU_FIELDS));
	for (size_t i = 0; !rc && i < p->nfields; i++)
		rc = sk_html(b, "%s<code>%s</code>", i ? ", " : "", p->fields[i]);
	if (!rc && !p->nfields)
		rc = sk_html(b, "%s", M(OV_NONE));
	rc = rc ? rc : sk_html(b, "</dd></dl>\n");
	rc = rc ? rc : pu_notices(b, f, p, h);
	return rc ? rc : sk_html(b, "</section>\n");
}

static int pu_lint(struct sk_buf *b, const struct sk_con_frame *f, const struct sk_policy_lint *lint)
{
	int rc = sk_html(b, "<section aria-labelledby=\"pu-lint\" data-lint=\"%s\">"
			 "<h2 id=\"pu-lint\">%s</h2>\n<p>%s</p><ul>"
			 "<li>%s</li><li>%s</li><li>%s</li><li>%s</li><li>%s</li></ul>\n",
			 lint->ok ? "ok" : "finding", M(PU_LINT), M(PU_LINT_INTRO), M(PU_LINT_C1),
			 M(PU_LINT_C2), M(PU_LINT_C3), M(PU_LINT_C4), M(PU_LINT_C5));
	if (!rc && lint->ok)
		rc = sk_html(b, "<p class=\"note\">%s</p>\n", M(PU_LINT_OK));
	else if (!rc)
		rc = sk_html(b, "<div class=\"error\"><p>%s</p><p><code>%s</code></p></div>\n",
			     M(PU_LINT_FINDING), lint->finding);
	return rc ? rc : sk_html(b, "</section>\n");
}

int sk_con_purposes(struct sk_buf *b, const struct sk_con_frame *f,
		    const struct sk_notice_history *hist, const struct sk_policy_lint *lint)
{
	int rc = sk_con_begin(b, f, M(PURPOSES_TITLE));
	if (!f->pol)
		return rc ? rc : sk_html(b, "<p>%s</p>\n", M(OV_NO_POLICY));
	rc = rc ? rc : sk_html(b, "<p>%s %d, %s ", M(PU_POLICY), lint->version, M(PU_APPLIED));
	rc = rc ? rc : html_time(b, lint->applied_at);
	rc = rc ? rc : sk_html(b, "</p>\n");
	for (size_t i = 0; !rc && i < f->pol->npurposes; i++)
		rc = pu_purpose(b, f, &f->pol->purposes[i], &hist[i]);
	return rc ? rc : pu_lint(b, f, lint);
}
