/* page.c: the HTML writer of the public pages, their message catalogue and the pages
 * themselves (page.h). Every value goes through sk_html's "%s", which escapes it: a title, a
 * notice text or an error message can never become markup. */
#include "render/page.h"

#include <stdarg.h>
#include <string.h>

static const char *const msgs[][SK_NLANG] = {
#define SK__PAGE_MSG_TEXT(name, sv, en) {sv, en},
	SK_PAGE_MSG_LIST(SK__PAGE_MSG_TEXT)
#undef SK__PAGE_MSG_TEXT
};

const char *sk_page_msg(int lang, enum sk_page_msg m)
{
	return msgs[m][lang == SK_LANG_SV ? SK_LANG_SV : SK_LANG_EN];
}

static int escape(struct sk_buf *b, const char *s)
{
	int rc = 0;
	for (; s && *s && !rc; s++) {
		switch (*s) {
		case '<': rc = sk_buf_appends(b, "&lt;"); break;
		case '>': rc = sk_buf_appends(b, "&gt;"); break;
		case '&': rc = sk_buf_appends(b, "&amp;"); break;
		case '"': rc = sk_buf_appends(b, "&quot;"); break;
		case '\'': rc = sk_buf_appends(b, "&#39;"); break;
		default: rc = sk_buf_append(b, s, 1);
		}
	}
	return rc;
}

int sk_html(struct sk_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc = 0;
	va_start(ap, fmt);
	while (*fmt && !rc) {
		const char *pc = strchr(fmt, '%');
		size_t n = pc ? (size_t)(pc - fmt) : strlen(fmt);
		if (n)
			rc = sk_buf_append(b, fmt, n);
		fmt += n;
		if (!pc || rc)
			break;
		switch (pc[1]) {
		case 's': rc = escape(b, va_arg(ap, const char *)); break;
		case 'd': rc = sk_buf_printf(b, "%d", va_arg(ap, int)); break;
		case '%': rc = sk_buf_append(b, "%", 1); break;
		default: rc = sk_buf_append(b, pc, pc[1] ? 2 : 1); break; /* not a conversion */
		}
		fmt = pc + (pc[1] ? 2 : 1);
	}
	va_end(ap);
	return rc;
}

int sk_page_begin(struct sk_buf *b, const struct sk_policy *pol, int lang, const char *title)
{
	(void)pol; /* the brand: not yet */
	sk_buf_init(b, SK_PAGE_MAX);
	return sk_html(b, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
		       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		       "<title>%s</title><style>body{font-family:system-ui,sans-serif;"
		       "max-width:36em;margin:2em auto;padding:0 1em;line-height:1.5}"
		       "label{display:block;margin:.8em 0 .2em}"
		       "input[type=text],input[type=email],input[type=tel]{width:100%%;"
		       "padding:.4em}.consent{display:flex;gap:.6em;margin:1em 0}"
		       ".consent input{margin-top:.3em}.hp{position:absolute;left:-10000px}"
		       "</style></head><body>\n<h1>%s</h1>\n",
		       sk_lang_name(lang), title, title);
}

int sk_page_end(struct sk_buf *b)
{
	return sk_buf_appends(b, "</body></html>\n");
}

int sk_page_message(struct sk_buf *b, const struct sk_policy *pol, int lang, const char *title,
		    const char *text)
{
	int rc = sk_page_begin(b, pol, lang, title);
	return rc ? rc : sk_html(b, "<p>%s</p>\n", text);
}

static const char *input_type(enum sk_field_type t)
{
	switch (t) {
	case SK_FIELD_EMAIL: return "email";
	case SK_FIELD_PHONE: return "tel";
	default: return "text";
	}
}

int sk_page_form(struct sk_buf *b, const struct sk_policy *pol, const struct sk_form *f,
		 int lang, const char *honeypot)
{
	int rc = sk_page_begin(b, pol, lang, f->title[lang]);
	rc = rc ? rc : sk_html(b, "<form method=\"post\" action=\"/f/%s\">\n"
			       "<input type=\"hidden\" name=\"lang\" value=\"%s\">\n", f->id,
			       sk_lang_name(lang));
	for (size_t i = 0; !rc && i < f->nfields; i++) {
		const struct sk_field_def *d = sk_policy_field(pol, f->fields[i].name);
		int req = f->fields[i].required;
		rc = sk_html(b, "<label for=\"f-%s\">%s%s</label><input type=\"%s\" id=\"f-%s\" "
			     "name=\"%s\" maxlength=\"%d\"%s>\n", d->name,
			     d->label[lang] ? d->label[lang] : d->name, req ? " *" : "",
			     input_type(d->type), d->name, d->name, d->max_length,
			     req ? " required" : "");
	}
	/* The form's own purpose: what sending the form does, said in its notice text, with no
	 * box (it is not a consent to give or withhold beside the others). */
	const struct sk_purpose *own = f->purpose ? sk_policy_purpose(pol, f->purpose) : NULL;
	if (!rc && own)
		rc = sk_html(b, "<p class=\"purpose\"><strong>%s</strong><br>%s</p>\n",
			     own->title[lang], own->notice[lang]);
	/* Each consent: its own box, never ticked, worded with the purpose's notice text. */
	for (size_t i = 0; !rc && i < f->nconsents; i++) {
		const struct sk_purpose *p = sk_policy_purpose(pol, f->consents[i].purpose);
		rc = sk_html(b, "<div class=\"consent\"><input type=\"checkbox\" id=\"c-%s\" "
			     "name=\"consent\" value=\"%s\"><label for=\"c-%s\"><strong>%s</strong>"
			     "<br>%s</label></div>\n", p->id, p->id, p->id, p->title[lang],
			     p->notice[lang]);
	}
	return rc ? rc : sk_html(b, "<div class=\"hp\" aria-hidden=\"true\"><label for=\"hp\">"
				 "%s</label><input type=\"text\" id=\"hp\" name=\"%s\" "
				 "tabindex=\"-1\" autocomplete=\"off\"></div>\n"
				 "<p><button type=\"submit\">%s</button></p>\n</form>\n"
				 "<p><small>%s &middot; <a href=\"%s\">%s</a></small></p>\n",
				 sk_page_msg(lang, SK_MSG_HONEYPOT_LABEL), honeypot,
				 sk_page_msg(lang, SK_MSG_SEND), pol->org_name,
				 pol->org_privacy_url, sk_page_msg(lang, SK_MSG_PRIVACY));
}

/* "<p>intro</p><ul><li>title</li>...</ul>", the titles in lang. */
static int purpose_list(struct sk_buf *b, int lang, const char *intro,
			const struct sk_link_info *info)
{
	int rc = sk_html(b, "<p>%s</p>\n<ul class=\"purposes\">\n", intro);
	for (size_t i = 0; !rc && i < info->npurposes; i++)
		rc = sk_html(b, "<li>%s</li>\n", info->purposes[i]->title[lang]);
	return rc ? rc : sk_html(b, "</ul>\n");
}

int sk_page_confirm(struct sk_buf *b, const struct sk_policy *pol, int lang, const char *token,
		    const struct sk_link_info *info)
{
	const char *title = sk_page_msg(lang, SK_MSG_CONFIRM);
	int rc = sk_page_begin(b, pol, lang, title);
	if (!rc && info && info->npurposes)
		rc = purpose_list(b, lang, sk_page_msg(lang, SK_MSG_CONFIRM_WHAT), info);
	else if (!rc)
		rc = sk_html(b, "<p>%s</p>\n", sk_page_msg(lang, SK_MSG_CONFIRM_TEXT));
	/* the details that would be saved with it, as posted: the person checks them first */
	if (!rc && info && info->nfields) {
		rc = sk_html(b, "<p>%s</p>\n<ul class=\"fields\">\n",
			     sk_page_msg(lang, SK_MSG_CONFIRM_FIELDS));
		for (size_t i = 0; !rc && i < info->nfields; i++) {
			const struct sk_field_def *d = info->fields[i];
			rc = sk_html(b, "<li>%s: %s</li>\n", d->label[lang] ? d->label[lang] : d->name,
				     info->values[i]);
		}
		rc = rc ? rc : sk_html(b, "</ul>\n");
	}
	return rc ? rc : sk_html(b, "<form method=\"post\" action=\"/f/confirm/%s\">"
				 "<button type=\"submit\">%s</button></form>\n", token, title);
}

int sk_page_confirmed(struct sk_buf *b, const struct sk_policy *pol, int lang,
		      const struct sk_link_info *info, int already, const char *pref_url)
{
	int rc = sk_page_begin(b, pol, lang, sk_page_msg(lang, already ? SK_MSG_ALREADY_CONFIRMED
								  : SK_MSG_THANKS));
	if (rc)
		return rc;
	if (info && info->npurposes)
		rc = purpose_list(b, lang, sk_page_msg(lang, already ? SK_MSG_ALREADY_CONFIRMED_TEXT
								     : SK_MSG_CONFIRMED_WHAT), info);
	else
		rc = sk_html(b, "<p>%s</p>\n", sk_page_msg(lang, SK_MSG_CONFIRMED));
	if (!rc && already)
		rc = sk_html(b, "<p>%s</p>\n", sk_page_msg(lang, SK_MSG_ALREADY_CONFIRMED_DONE));
	if (!rc && pref_url)
		rc = sk_html(b, "<p><a href=\"%s\">%s</a></p>\n", pref_url,
			     sk_page_msg(lang, SK_MSG_SEE_CHOICES));
	return rc;
}
