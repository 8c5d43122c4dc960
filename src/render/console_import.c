/* console_import.c: the console's import pages (docs/console.md, "Importing"): the upload
 * form, a job's live progress, its counts and first rejects, the resume button; the
 * progress as JSON for /assets/console.js, and that script. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "render/console.h"

#define M(id) sk_con_msg(f->lang, SK_CON_##id)

int sk_con_import_form(struct sk_buf *b, const struct sk_con_frame *f, const char *const *names,
		       size_t n, const char *error, int no_dir)
{
	int rc = sk_con_begin(b, f, M(IMPORT_TITLE));
	if (!rc && no_dir)
		return sk_html(b, "<p class=\"error\">%s</p>\n", M(IMPORT_NO_DIR));
	if (!rc && error)
		rc = sk_html(b, "<div class=\"error\" role=\"alert\"><p>%s</p><p>%s</p></div>\n",
			     M(IMPORT_BAD), error);
	/* the page's language goes with the post, so that the answer is in it too */
	rc = rc ? rc : sk_html(b, "<p>%s</p>\n<form method=\"post\" action=\"/console/import?lang=%s\" "
			       "enctype=\"multipart/form-data\" class=\"imp-form\">", M(IMPORT_INTRO),
			       sk_lang_name(f->lang));
	rc = rc ? rc : sk_con_csrf(b, f);
	rc = rc ? rc : sk_html(b, "<label for=\"imp-csv\">%s</label><input type=\"file\" "
			       "id=\"imp-csv\" name=\"csv\" accept=\".csv,text/csv\" required>"
			       "<label for=\"imp-map\">%s</label><input type=\"file\" id=\"imp-map\" "
			       "name=\"map\" accept=\".json,.yaml,.yml,application/json\">"
			       "<label for=\"imp-saved\">%s</label><select id=\"imp-saved\" "
			       "name=\"saved\"><option value=\"\">%s</option>",
			       M(IMPORT_FILE), M(IMPORT_MAP_FILE), M(IMPORT_MAP_SAVED),
			       M(IMPORT_MAP_NONE));
	for (size_t i = 0; !rc && i < n; i++)
		rc = sk_html(b, "<option value=\"%s\">%s</option>", names[i], names[i]);
	rc = rc ? rc : sk_html(b, "</select><label for=\"imp-save\">%s</label><input type=\"text\" "
			       "id=\"imp-save\" name=\"save_as\" maxlength=\"40\" "
			       "pattern=\"[a-z0-9_\\-]{1,40}\" autocomplete=\"off\">"
			       "<fieldset><legend>%s</legend><label class=\"inline\"><input "
			       "type=\"radio\" name=\"mode\" value=\"dry_run\" checked> %s</label>"
			       "<label class=\"inline\"><input type=\"radio\" name=\"mode\" "
			       "value=\"import\"> %s</label></fieldset>"
			       "<p><button type=\"submit\">%s</button></p></form>\n",
			       M(IMPORT_MAP_SAVE_AS), M(IMPORT_MODE), M(IMPORT_MODE_DRY),
			       M(IMPORT_MODE_RUN), M(IMPORT_UPLOAD));
	return rc;
}

/* "M:SS" */
static void mmss(double s, char *out, size_t outlen)
{
	long t = s > 0 ? (long)(s + 0.5) : 0;
	snprintf(out, outlen, "%ld:%02ld", t / 60, t % 60);
}

static int counts(struct sk_buf *b, const struct sk_con_frame *f, const struct sk_import_job *j)
{
	const struct sk_import_counts *n = &j->counts;
	const struct {
		enum sk_con_msg m;
		long v;
		const char *key;
	} rows[] = {
		{SK_CON_IMPORT_C_ROWS, n->rows, "rows"},
		{SK_CON_IMPORT_C_CREATED, n->created, "created"},
		{SK_CON_IMPORT_C_UPDATED, n->updated, "updated"},
		{SK_CON_IMPORT_C_GIVEN, n->given, "given"},
		{SK_CON_IMPORT_C_UNVERIFIED, n->unverified, "unverified"},
		{SK_CON_IMPORT_C_REFUSED, n->refused, "refused"},
		{SK_CON_IMPORT_C_UNCHANGED, n->unchanged, "unchanged"},
		{SK_CON_IMPORT_C_REJECTED, n->rejected, "rejected"},
		{SK_CON_IMPORT_C_DROPPED, n->fields_dropped, "fields_dropped"},
	};
	char num[32];
	int rc = sk_html(b, "<h2 id=\"imp-counts-h\">%s</h2><table class=\"imp-counts\" "
			 "aria-labelledby=\"imp-counts-h\"><tbody>", M(IMPORT_COUNTS));
	for (size_t i = 0; !rc && i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(num, sizeof(num), "%ld", rows[i].v);
		rc = sk_html(b, "<tr data-count=\"%s\"><th scope=\"row\">%s</th><td class=\"num\">"
			     "%s</td></tr>", rows[i].key, sk_con_msg(f->lang, rows[i].m), num);
	}
	return rc ? rc : sk_html(b, "</tbody></table>\n");
}

static int rejects_table(struct sk_buf *b, const struct sk_con_frame *f,
			 const struct sk_import_job *j, const struct sk_import_reject *r, size_t n)
{
	char num[32];
	int rc = sk_html(b, "<h2 id=\"imp-rej-h\">%s</h2>", M(IMPORT_REJECTS));
	if (!rc && !n)
		return sk_html(b, "<p>%s</p>\n", M(IMPORT_REJ_NONE));
	rc = rc ? rc : sk_html(b, "<table class=\"imp-rejects\" aria-labelledby=\"imp-rej-h\">"
			       "<thead><tr><th scope=\"col\" class=\"num\">%s</th><th scope=\"col\">"
			       "%s</th><th scope=\"col\">%s</th></tr></thead><tbody>",
			       M(IMPORT_REJ_LINE), M(IMPORT_REJ_COLUMN), M(IMPORT_REJ_REASON));
	for (size_t i = 0; !rc && i < n; i++) {
		snprintf(num, sizeof(num), "%lld", r[i].line);
		rc = sk_html(b, "<tr><td class=\"num\">%s</td><td>%s</td><td><code>%s</code></td>"
			     "</tr>", num, r[i].column, r[i].reason);
	}
	rc = rc ? rc : sk_html(b, "</tbody></table>\n");
	return rc ? rc : sk_html(b, "<p><a href=\"/console/import/%s/rejects.csv\" download>%s</a>"
				 "</p>\n", j->id, M(IMPORT_REJ_FILE));
}

/* The bar and its text: value and max are the file's bytes read and in all. */
static int bar(struct sk_buf *b, const struct sk_con_frame *f, const struct sk_import_job *j,
	       int done, int active)
{
	char max[32], val[32], pct[32], rows[32], rate[32], left[48];
	long long tot = j->total_bytes > 0 ? j->total_bytes : 1;
	long long v = done ? tot : (j->bytes < tot ? j->bytes : tot);
	snprintf(max, sizeof(max), "%lld", tot);
	snprintf(val, sizeof(val), "%lld", v);
	snprintf(pct, sizeof(pct), "%lld %%", v * 100 / tot);
	snprintf(rows, sizeof(rows), "%ld", j->rows);
	snprintf(rate, sizeof(rate), "%.0f", j->rows_per_s);
	mmss(j->eta_s, left, sizeof(left));
	int rc = sk_html(b, "<h2 id=\"imp-progress-h\">%s</h2><progress id=\"imp-bar\" "
			 "aria-labelledby=\"imp-progress-h\" max=\"%s\" value=\"%s\">%s</progress>",
			 M(IMPORT_PROGRESS), max, val, pct);
	if (rc)
		return rc;
	/* the text the script rewrites (role status: read out when it changes) */
	rc = sk_html(b, "<p id=\"imp-text\" role=\"status\"><span id=\"imp-pct\">%s</span> \xc2\xb7 "
		     "<span id=\"imp-rows\">%s</span> %s", pct, rows, M(IMPORT_ROWS_DONE));
	if (!rc && active && j->state == SK_JOB_QUEUED)
		rc = sk_html(b, " \xc2\xb7 <span id=\"imp-state\">%s</span>", M(IMPORT_QUEUED));
	if (!rc && active)
		rc = sk_html(b, " \xc2\xb7 <span id=\"imp-rate\">%s</span> %s \xc2\xb7 "
			     "<span id=\"imp-left\">%s</span> %s", rate, M(IMPORT_RATE), left,
			     M(IMPORT_LEFT));
	else if (!rc && done)
		rc = sk_html(b, " \xc2\xb7 <strong id=\"imp-state\">%s</strong>", M(IMPORT_DONE));
	return rc ? rc : sk_html(b, "</p>\n");
}

/* The form that runs (or resumes) the job. */
static int run_form(struct sk_buf *b, const struct sk_con_frame *f, const struct sk_import_job *j,
		    const char *label)
{
	int rc = sk_html(b, "<form method=\"post\" action=\"/console/import/%s/run?lang=%s\">", j->id,
			 sk_lang_name(f->lang));
	rc = rc ? rc : sk_con_csrf(b, f);
	return rc ? rc : sk_html(b, "<button type=\"submit\">%s</button></form>\n", label);
}

/* Inserts a refresh for browsers without JavaScript into the page's head (a <noscript>
 * there holds it, so that a browser running the script never reloads). */
static int refresh_head(struct sk_buf *b)
{
	static const char tag[] = "<noscript><meta http-equiv=\"refresh\" content=\"2\"></noscript>\n";
	char *h = b->data ? strstr(b->data, "</head>") : NULL;
	if (!h)
		return SK_ERR_INVALID;
	size_t at = (size_t)(h - b->data), len = b->len;
	int rc = sk_buf_append(b, tag, sizeof(tag) - 1); /* room first; then shift */
	if (rc)
		return rc;
	memmove(b->data + at + sizeof(tag) - 1, b->data + at, len - at);
	memcpy(b->data + at, tag, sizeof(tag) - 1);
	return 0;
}

int sk_con_import_job(struct sk_buf *b, const struct sk_con_frame *f,
		      const struct sk_import_job *j, int active, int has_upload,
		      const struct sk_import_reject *rejects, size_t nrejects)
{
	int done = j->state == SK_JOB_DONE;
	int rc = sk_con_begin(b, f, j->dry_run ? M(IMPORT_DRY_TITLE) : M(IMPORT_TITLE));
	if (!rc && active)
		rc = refresh_head(b);
	if (!rc && active) {
		rc = sk_html(b, "<div id=\"imp-live\" data-progress=\"/console/import/%s/progress\">",
			     j->id);
		rc = rc ? rc : bar(b, f, j, 0, 1);
		rc = rc ? rc : sk_html(b, "</div>\n<script src=\"/assets/console.js\" defer>"
				       "</script>\n");
		return rc;
	}
	if (!rc && j->state == SK_JOB_FAILED)
		return sk_html(b, "<div class=\"error\" role=\"alert\"><p>%s %s</p></div>\n<p><a "
			       "href=\"/console/import\">%s</a></p>\n", M(IMPORT_FAILED), j->error,
			       M(IMPORT_NEW));
	if (!rc && !done) { /* queued or running, but not in this server: interrupted */
		char num[32];
		snprintf(num, sizeof(num), "%ld", j->committed);
		rc = sk_html(b, "<p class=\"note\" id=\"imp-interrupted\">%s (%s %s)</p>\n",
				       M(IMPORT_INTERRUPTED), num, M(IMPORT_COMMITTED));
		if (!rc && j->error[0]) /* stopped by an error after rows were committed */
			rc = sk_html(b, "<p class=\"error\" role=\"alert\" id=\"imp-error\">%s</p>\n",
				     j->error);
		rc = rc ? rc : (has_upload ? run_form(b, f, j, M(IMPORT_RESUME))
					   : sk_html(b, "<p>%s</p>\n", M(IMPORT_GONE)));
		return rc ? rc : sk_html(b, "<p><a href=\"/console/import\">%s</a></p>\n",
					 M(IMPORT_NEW));
	}
	rc = rc ? rc : bar(b, f, j, 1, 0);
	if (!rc && j->error[0]) /* done, with a warning (its rejects file was not written) */
		rc = sk_html(b, "<p class=\"note warning\" role=\"status\" id=\"imp-warning\">"
			     "%s</p>\n", j->error);
	if (!rc && j->dry_run)
		rc = sk_html(b, "<p class=\"note\">%s</p>\n", M(IMPORT_DRY_DONE));
	if (!rc && j->already_complete)
		rc = sk_html(b, "<p class=\"note\">%s</p>\n", M(IMPORT_ALREADY));
	if (!rc && j->resumed_after) {
		char num[32];
		snprintf(num, sizeof(num), "%ld", j->resumed_after);
		rc = sk_html(b, "<p class=\"note\">%s %s.</p>\n", M(IMPORT_RESUMED), num);
	}
	rc = rc ? rc : counts(b, f, j);
	rc = rc ? rc : rejects_table(b, f, j, rejects, nrejects);
	if (!rc && j->dry_run)
		rc = has_upload ? run_form(b, f, j, M(IMPORT_RUN_NOW))
				: sk_html(b, "<p>%s</p>\n", M(IMPORT_GONE));
	return rc ? rc : sk_html(b, "<p><a href=\"/console/import\">%s</a></p>\n", M(IMPORT_NEW));
}

json_t *sk_con_import_progress_json(const struct sk_import_job *j, int active)
{
	const char *state = sk_job_state_name(j->state);
	if (!active && (j->state == SK_JOB_QUEUED || j->state == SK_JOB_RUNNING))
		state = "interrupted";
	return json_pack("{s:s,s:s,s:b,s:I,s:I,s:I,s:I,s:f,s:f,s:b}", "id", j->id, "state", state,
			 "dry_run", j->dry_run, "rows", (json_int_t)j->rows, "committed",
			 (json_int_t)j->committed, "bytes",
			 (json_int_t)(j->state == SK_JOB_DONE ? j->total_bytes : j->bytes),
			 "total_bytes", (json_int_t)j->total_bytes, "rows_per_s", j->rows_per_s,
			 "eta_s", j->state == SK_JOB_DONE ? 0.0 : j->eta_s, "done",
			 j->state == SK_JOB_DONE || j->state == SK_JOB_FAILED);
}

/* Polls the progress once a second and updates the bar and its text in place; reloads the
 * page when the job is over (the page then shows the counts). The UTM page's copy button.
 * No inline script: the CSP's script-src 'self' serves this file only. */
const char sk_console_js[] =
	"/* console.js: the staff console's progressive enhancements (docs/console.md) */\n"
	"'use strict';\n"
	"(function () {\n"
	"  var live = document.getElementById('imp-live');\n"
	"  if (!live) return;\n"
	"  var url = live.getAttribute('data-progress');\n"
	"  var bar = document.getElementById('imp-bar');\n"
	"  function set(id, text) {\n"
	"    var e = document.getElementById(id);\n"
	"    if (e) e.textContent = text;\n"
	"  }\n"
	"  function mmss(s) {\n"
	"    s = Math.max(0, Math.round(s));\n"
	"    var m = Math.floor(s / 60), r = s % 60;\n"
	"    return m + ':' + (r < 10 ? '0' : '') + r;\n"
	"  }\n"
	"  function tick() {\n"
	"    fetch(url, {credentials: 'same-origin', cache: 'no-store'}).then(function (res) {\n"
	"      if (!res.ok) throw new Error('status ' + res.status);\n"
	"      return res.json();\n"
	"    }).then(function (p) {\n"
	"      var max = p.total_bytes > 0 ? p.total_bytes : 1;\n"
	"      var val = Math.min(p.bytes, max);\n"
	"      bar.max = max;\n"
	"      bar.value = val;\n"
	"      var pct = Math.floor(val * 100 / max) + ' %';\n"
	"      bar.textContent = pct;\n"
	"      set('imp-pct', pct);\n"
	"      set('imp-rows', String(p.rows));\n"
	"      set('imp-rate', String(Math.round(p.rows_per_s)));\n"
	"      set('imp-left', mmss(p.eta_s));\n"
	"      if (p.done || p.state === 'interrupted') {\n"
	"        window.location.reload();\n"
	"        return;\n"
	"      }\n"
	"      setTimeout(tick, 1000);\n"
	"    }).catch(function () { setTimeout(tick, 3000); });\n"
	"  }\n"
	"  setTimeout(tick, 500);\n"
	"})();\n"
	/* the UTM page (render/console_utm.c): the copy button, shown only when it can work */
	"(function () {\n"
	"  var btn = document.getElementById('utm-copy');\n"
	"  var link = document.getElementById('utm-link');\n"
	"  if (!btn || !link) return;\n"
	"  var said = document.getElementById('utm-copied');\n"
	"  function done() { said.textContent = btn.getAttribute('data-copied'); }\n"
	"  function bySelect() {\n"
	"    link.focus();\n"
	"    link.select();\n"
	"    try { if (document.execCommand('copy')) done(); } catch (e) { /* left selected */ }\n"
	"  }\n"
	"  btn.hidden = false;\n"
	"  btn.addEventListener('click', function () {\n"
	"    said.textContent = '';\n"
	"    if (navigator.clipboard && navigator.clipboard.writeText)\n"
	"      navigator.clipboard.writeText(link.value).then(done, bySelect);\n"
	"    else\n"
	"      bySelect();\n"
	"  });\n"
	"})();\n";
