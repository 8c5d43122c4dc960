/* console_auth.c: the console's sign-in page (name and password, or an API key) and the
 * staff audit trail: its page (paged, newest first) and its exports, CSV (RFC 4180) and
 * JSON (docs/console.md, "The audit trail"). */
#include "render/console.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "util/sktime.h"

int sk_con_sign_in_page(struct sk_buf *b, const struct sk_con_frame *f, const char *next,
			const char *error, int key_error)
{
	int L = f->lang;
	int rc = sk_con_begin(b, f, sk_con_msg(L, SK_CON_SIGN_IN));
	if (!rc && error && !key_error)
		rc = sk_html(b, "<p class=\"error\" role=\"alert\" id=\"sign-in-error\">%s</p>\n", error);
	rc = rc ? rc : sk_html(b, "<form method=\"post\" action=\"/console/sign-in\" "
			       "class=\"sign-in\">\n");
	if (!rc && next && next[0])
		rc = sk_html(b, "<input type=\"hidden\" name=\"next\" value=\"%s\">\n", next);
	rc = rc ? rc : sk_html(b, "<label for=\"name\">%s</label>\n<input type=\"text\" id=\"name\" "
			       "name=\"name\" autocomplete=\"username\" required maxlength=\"63\" "
			       "autocapitalize=\"none\" spellcheck=\"false\">\n",
			       sk_con_msg(L, SK_CON_SIGN_IN_NAME));
	rc = rc ? rc : sk_html(b, "<label for=\"password\">%s</label>\n<input type=\"password\" "
			       "id=\"password\" name=\"password\" autocomplete=\"current-password\" "
			       "required>\n<p><button type=\"submit\">%s</button></p>\n</form>\n",
			       sk_con_msg(L, SK_CON_SIGN_IN_PASSWORD), sk_con_msg(L, SK_CON_SIGN_IN));
	rc = rc ? rc : sk_html(b, "<h2 id=\"key-title\">%s</h2>\n", sk_con_msg(L, SK_CON_SIGN_IN_KEY_TITLE));
	if (!rc && error && key_error)
		rc = sk_html(b, "<p class=\"error\" role=\"alert\" id=\"sign-in-error\">%s</p>\n", error);
	rc = rc ? rc : sk_html(b, "<form method=\"post\" action=\"/console/sign-in\" "
			       "class=\"sign-in\" aria-labelledby=\"key-title\">\n");
	if (!rc && next && next[0])
		rc = sk_html(b, "<input type=\"hidden\" name=\"next\" value=\"%s\">\n", next);
	rc = rc ? rc : sk_html(b, "<label for=\"key\">%s</label>\n<input type=\"password\" id=\"key\" "
			       "name=\"key\" autocomplete=\"off\" required aria-describedby=\"key-hint\">\n"
			       "<p class=\"muted\" id=\"key-hint\">%s</p>\n<p><button type=\"submit\" "
			       "class=\"secondary\">%s</button></p>\n</form>\n",
			       sk_con_msg(L, SK_CON_SIGN_IN_KEY), sk_con_msg(L, SK_CON_SIGN_IN_KEY_HINT),
			       sk_con_msg(L, SK_CON_SIGN_IN_KEY_TITLE));
	return rc;
}

int sk_con_audit_page(struct sk_buf *b, const struct sk_con_frame *f,
		      const struct sk_staff_audit_rec *rows, size_t n, int64_t older, int first)
{
	int L = f->lang;
	int rc = sk_con_begin(b, f, sk_con_msg(L, SK_CON_AUDIT_TITLE));
	rc = rc ? rc : sk_html(b, "<p>%s</p>\n<p>%s <a href=\"/console/audit.csv\" download>CSV</a>"
			       " \xc2\xb7 <a href=\"/console/audit.json\" download>JSON</a></p>\n",
			       sk_con_msg(L, SK_CON_AUDIT_INTRO), sk_con_msg(L, SK_CON_AUDIT_EXPORT));
	if (!rc && n == 0)
		rc = sk_html(b, "<p class=\"note\">%s</p>\n", sk_con_msg(L, SK_CON_AUDIT_EMPTY));
	if (!rc && n)
		rc = sk_html(b, "<table class=\"audit\">\n<caption>%s</caption>\n<thead><tr>"
			     "<th scope=\"col\" class=\"num\">%s</th><th scope=\"col\">%s</th>"
			     "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
			     "<th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
			     sk_con_msg(L, SK_CON_AUDIT_CAPTION), sk_con_msg(L, SK_CON_AUDIT_SEQ),
			     sk_con_msg(L, SK_CON_AUDIT_AT), sk_con_msg(L, SK_CON_AUDIT_WHO),
			     sk_con_msg(L, SK_CON_AUDIT_ROLE), sk_con_msg(L, SK_CON_AUDIT_ACTION),
			     sk_con_msg(L, SK_CON_AUDIT_TARGET), sk_con_msg(L, SK_CON_AUDIT_DETAIL));
	for (size_t i = 0; !rc && i < n; i++) {
		char at[SK_TIME_STRLEN], seq[24];
		sk_time_format(rows[i].at, at);
		snprintf(seq, sizeof(seq), "%lld", (long long)rows[i].seq);
		rc = sk_html(b, "<tr><td class=\"num\">%s</td><td><time datetime=\"%s\">%s</time></td>"
			     "<td>%s</td><td>%s</td><td><code>%s</code></td><td>%s</td><td>%s</td></tr>\n",
			     seq, at, at, rows[i].who, rows[i].role, rows[i].action, rows[i].target,
			     rows[i].detail);
	}
	if (!rc && n)
		rc = sk_html(b, "</tbody>\n</table>\n");
	if (!rc && (older > 0 || !first)) {
		rc = sk_html(b, "<nav aria-label=\"%s\"><p>", sk_con_msg(L, SK_CON_AUDIT_TITLE));
		if (!rc && !first)
			rc = sk_html(b, "<a href=\"/console/audit\">%s</a> ", sk_con_msg(L, SK_CON_AUDIT_NEWEST));
		if (!rc && older > 0) {
			char s[24];
			snprintf(s, sizeof(s), "%lld", (long long)older);
			rc = sk_html(b, "<a href=\"/console/audit?before=%s\" rel=\"next\">%s</a>", s,
				     sk_con_msg(L, SK_CON_AUDIT_OLDER));
		}
		rc = rc ? rc : sk_html(b, "</p></nav>\n");
	}
	return rc;
}

/* One CSV cell (RFC 4180): quoted when it holds a comma, quote or line break; one that a
 * spreadsheet would take for a formula (=, +, -, @) gets a leading apostrophe. */
static int csv_cell(struct sk_buf *b, const char *s, int last)
{
	int quote = strpbrk(s, ",\"\r\n") != NULL, rc = 0;
	if (quote)
		rc = sk_buf_appends(b, "\"");
	if (!rc && s[0] && strchr("=+-@", s[0]))
		rc = sk_buf_appends(b, "'");
	for (const char *p = s; !rc && *p; p++)
		rc = *p == '"' ? sk_buf_appends(b, "\"\"") : sk_buf_append(b, p, 1);
	if (!rc && quote)
		rc = sk_buf_appends(b, "\"");
	return rc ? rc : sk_buf_appends(b, last ? "\r\n" : ",");
}

int sk_con_audit_csv_head(struct sk_buf *b)
{
	return sk_buf_appends(b, "seq,at,who,role,action,target,detail\r\n");
}

int sk_con_audit_csv_row(struct sk_buf *b, const struct sk_staff_audit_rec *a)
{
	char at[SK_TIME_STRLEN], seq[24];
	sk_time_format(a->at, at);
	snprintf(seq, sizeof(seq), "%lld", (long long)a->seq);
	int rc = csv_cell(b, seq, 0);
	rc = rc ? rc : csv_cell(b, at, 0);
	rc = rc ? rc : csv_cell(b, a->who, 0);
	rc = rc ? rc : csv_cell(b, a->role, 0);
	rc = rc ? rc : csv_cell(b, a->action, 0);
	rc = rc ? rc : csv_cell(b, a->target, 0);
	return rc ? rc : csv_cell(b, a->detail, 1);
}

int sk_con_audit_json_row(json_t *list, const struct sk_staff_audit_rec *a)
{
	char at[SK_TIME_STRLEN];
	sk_time_format(a->at, at);
	json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s}", "seq", (json_int_t)a->seq, "at", at,
			      "who", a->who, "role", a->role, "action", a->action, "target",
			      a->target, "detail", a->detail);
	return o && json_array_append_new(list, o) == 0 ? 0 : SK_ERR_NOMEM;
}
