/* console_utm.c: the UTM link builder in the staff console (GET /console/utm, docs/utm.md):
 * a form, the link built with its copy button, and each refusal next to its field, in
 * Swedish and English; and the link as JSON for the CLI and the API. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/utm.h"
#include "render/console.h"
#include "render/render.h"

#define M(name) sk_con_msg(f->lang, SK_CON_##name)

/* core's reasons, in SK_UTM_WHY_LIST's order after SK_UTM_OK */
static const enum sk_con_msg why_msg[] = {
	SK_CON_UTM_FAILED,
#define SK__UTM_WHY_MSG(name, text) SK_CON_UTM_WHY_##name,
	SK_UTM_WHY_LIST(SK__UTM_WHY_MSG)
#undef SK__UTM_WHY_MSG
};
_Static_assert(sizeof(why_msg) / sizeof(why_msg[0]) == SK_UTM_NWHY, "a message per reason");

json_t *sk_json_utm(const char *url)
{
	return json_pack("{s:s}", "url", url);
}

/* The refusal of field name among the faults, or NULL. */
static const struct sk_utm_fault *fault_of(const struct sk_utm_fault *faults, size_t n,
					   const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (faults[i].field && strcmp(faults[i].field, name) == 0)
			return &faults[i];
	return NULL;
}

/* One text field: its label, hint (hint < 0: none), the value given, and its refusal when
 * fault is not NULL (aria-invalid, described by the error and the hint). */
static int field(struct sk_buf *b, const struct sk_con_frame *f, const char *name,
		 enum sk_con_msg label, int hint, const char *value, int required,
		 const struct sk_utm_fault *fault)
{
	int bad = fault != NULL;
	char desc[64] = "";
	int rc = sk_html(b, "<label for=\"utm-%s\">%s</label>", name, sk_con_msg(f->lang, label));
	if (!rc && hint >= 0)
		rc = sk_html(b, "<p class=\"muted hint\" id=\"utm-%s-hint\">%s</p>", name,
			     sk_con_msg(f->lang, (enum sk_con_msg)hint));
	if (!rc && bad)
		rc = sk_html(b, "<p class=\"error field-error\" id=\"utm-%s-error\">%s</p>", name,
			     sk_con_msg(f->lang, why_msg[fault->why < SK_UTM_NWHY ? fault->why : 0]));
	rc = rc ? rc : sk_html(b, "<input type=\"text\" id=\"utm-%s\" name=\"%s\" value=\"%s\" "
			       "autocomplete=\"off\" spellcheck=\"false\"", name, name,
			       value ? value : "");
	if (!rc && required)
		rc = sk_html(b, " aria-required=\"true\"");
	if (bad)
		snprintf(desc, sizeof(desc), "utm-%s-error", name);
	if (hint >= 0) {
		size_t l = strlen(desc);
		snprintf(desc + l, sizeof(desc) - l, "%sutm-%s-hint", l ? " " : "", name);
	}
	if (!rc && *desc)
		rc = sk_html(b, " aria-describedby=\"%s\"", desc);
	if (!rc && bad)
		rc = sk_html(b, " aria-invalid=\"true\"");
	return rc ? rc : sk_html(b, ">\n");
}

int sk_con_utm(struct sk_buf *b, const struct sk_con_frame *f, const struct sk_utm_in *in,
	       const char *link, const struct sk_utm_fault *faults, size_t nfaults)
{
	static const struct sk_utm_in none = {0};
	if (!in)
		in = &none;
	int rc = sk_con_begin(b, f, M(UTM_TITLE));
	rc = rc ? rc : sk_html(b, "<p>%s</p>\n", M(UTM_INTRO));
	if (!rc && nfaults)
		rc = sk_html(b, "<p class=\"error\" role=\"alert\" id=\"utm-failed\">%s</p>\n",
			     M(UTM_FAILED));
	rc = rc ? rc : sk_html(b, "<form method=\"get\" action=\"/console/utm\" class=\"utm-form\" "
			       "novalidate>\n<input type=\"hidden\" name=\"lang\" value=\"%s\">\n",
			       sk_lang_name(f->lang));
	rc = rc ? rc : field(b, f, "url", SK_CON_UTM_URL, -1, in->url, 1,
			     fault_of(faults, nfaults, "url"));
	rc = rc ? rc : field(b, f, "source", SK_CON_UTM_SOURCE, SK_CON_UTM_SOURCE_HINT, in->source,
			     1, fault_of(faults, nfaults, "source"));
	rc = rc ? rc : field(b, f, "medium", SK_CON_UTM_MEDIUM, SK_CON_UTM_MEDIUM_HINT, in->medium,
			     1, fault_of(faults, nfaults, "medium"));
	rc = rc ? rc : field(b, f, "campaign", SK_CON_UTM_CAMPAIGN, SK_CON_UTM_CAMPAIGN_HINT,
			     in->campaign, 1, fault_of(faults, nfaults, "campaign"));
	rc = rc ? rc : field(b, f, "term", SK_CON_UTM_TERM, -1, in->term, 0,
			     fault_of(faults, nfaults, "term"));
	rc = rc ? rc : field(b, f, "content", SK_CON_UTM_CONTENT, -1, in->content, 0,
			     fault_of(faults, nfaults, "content"));
	rc = rc ? rc : sk_html(b, in->keep_case
				   ? "<p><label class=\"check\"><input type=\"checkbox\" "
				     "name=\"keep_case\" value=\"1\" checked> %s</label></p>\n"
				   : "<p><label class=\"check\"><input type=\"checkbox\" "
				     "name=\"keep_case\" value=\"1\"> %s</label></p>\n",
			       M(UTM_KEEP_CASE));
	rc = rc ? rc : sk_html(b, "<button type=\"submit\">%s</button>\n</form>\n", M(UTM_BUILD));
	if (!rc && link)
		rc = sk_html(b, "<section class=\"utm-result\" aria-labelledby=\"utm-result-h\">"
			     "<h2 id=\"utm-result-h\">%s</h2>\n<p><input type=\"text\" readonly "
			     "id=\"utm-link\" class=\"wide\" aria-labelledby=\"utm-result-h\" "
			     "value=\"%s\"> <button type=\"button\" id=\"utm-copy\" hidden "
			     "data-copied=\"%s\">%s</button> <span id=\"utm-copied\" "
			     "role=\"status\"></span></p>\n</section>\n<script "
			     "src=\"/assets/console.js\" defer></script>\n",
			     M(UTM_RESULT), link, M(UTM_COPIED), M(UTM_COPY));
	return rc;
}
