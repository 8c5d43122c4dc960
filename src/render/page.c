/* page.c: the HTML writer of the public pages, their message catalogue and the pages
 * themselves (page.h). Every value goes through sk_html's "%s", which escapes it: a title, a
 * notice text or an error message can never become markup. */
#include "render/page.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
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

const char *sk_page_method(int lang, enum sk_method m)
{
	switch (m) {
	case SK_METHOD_FORM: return sk_page_msg(lang, SK_MSG_M_FORM);
	case SK_METHOD_PREFERENCE_CENTRE: return sk_page_msg(lang, SK_MSG_M_PREFERENCE_CENTRE);
	case SK_METHOD_IMPORT: return sk_page_msg(lang, SK_MSG_M_IMPORT);
	case SK_METHOD_API: return sk_page_msg(lang, SK_MSG_M_API);
	case SK_METHOD_CLI: return sk_page_msg(lang, SK_MSG_M_CLI);
	case SK_METHOD_MAIL_LINK: return sk_page_msg(lang, SK_MSG_M_MAIL_LINK);
	case SK_METHOD_ONE_CLICK: return sk_page_msg(lang, SK_MSG_M_ONE_CLICK);
	case SK_METHOD_PHONE: return sk_page_msg(lang, SK_MSG_M_PHONE);
	case SK_METHOD_PAPER: return sk_page_msg(lang, SK_MSG_M_PAPER);
	case SK_METHOD_BANNER: return sk_page_msg(lang, SK_MSG_M_BANNER);
	}
	return sk_method_name(m);
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
		case 's': rc = sk_buf_append_html(b, va_arg(ap, const char *)); break;
		case 'd': rc = sk_buf_printf(b, "%d", va_arg(ap, int)); break;
		case '%': rc = sk_buf_append(b, "%", 1); break;
		default: rc = sk_buf_append(b, pc, pc[1] ? 2 : 1); break; /* not a conversion */
		}
		fmt = pc + (pc[1] ? 2 : 1);
	}
	va_end(ap);
	return rc;
}

/* ---- the look: one stylesheet, built from the brand's colours ---- */

/* a*t + b*(1-t), channel by channel, as "#rrggbb" in out[8] */
static void mix(const char *a, const char *b, double t, char out[8])
{
	unsigned char x[3], y[3];
	sk_colour_rgb(a, x);
	sk_colour_rgb(b, y);
	snprintf(out, 8, "#%02x%02x%02x", (unsigned)(x[0] * t + y[0] * (1 - t) + .5),
		 (unsigned)(x[1] * t + y[1] * (1 - t) + .5), (unsigned)(x[2] * t + y[2] * (1 - t) + .5));
}

/* Every text is drawn in the text colour on the background, or in the background colour on
 * the primary colour (buttons), or in the primary colour on the background (links): the
 * three pairs whose contrast the policy checks (core/policy.c), so that no brand the policy
 * takes makes a page unreadable. The mixed colours are only lines and borders. */
static const char page_css[] =
	"*,*::before,*::after{box-sizing:border-box}\n"
	"html{-webkit-text-size-adjust:100%;text-size-adjust:100%}\n"
	"body{margin:0;padding:0 .75rem;background:var(--bg);color:var(--text);"
	"font:1rem/1.6 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,"
	"sans-serif}\n"
	"header.site,main,footer.site{max-width:42rem;margin-left:auto;margin-right:auto}\n"
	"header.site{display:flex;align-items:center;justify-content:space-between;gap:.75rem;"
	"padding:1.25rem .25rem 1rem}\n"
	"header.site img{display:block;position:relative;flex:none;width:9rem;height:2.75rem;"
	"object-fit:contain;object-position:left center}\n"
	/* drawn only while the logo has not loaded: the box stays, empty, instead of the
	 * browser's broken-image sign (the alt text still names the organisation) */
	"header.site img::after{content:\"\";position:absolute;inset:0;background:var(--bg)}\n"
	"header.site .org{font-weight:650;font-size:1.1rem;letter-spacing:.01em}\n"
	"main{background:var(--bg);border:1px solid var(--line);border-radius:.9rem;"
	"padding:1.5rem 1.25rem;box-shadow:0 1px 2px rgba(0,0,0,.05),0 8px 24px rgba(0,0,0,.06)}\n"
	"@media (min-width:40rem){body{padding:0 1.5rem}main{padding:2.25rem 2.75rem}"
	"header.site{padding-top:2.5rem}}\n"
	"footer.site{padding:1.25rem .25rem 2.5rem;font-size:.9rem;text-align:center}\n"
	"footer.site p{margin:.25rem 0}\n"
	"h1{font-size:1.65rem;line-height:1.25;margin:0 0 1rem;letter-spacing:-.01em}\n"
	"h2{font-size:1.2rem;line-height:1.3;margin:0 0 .5rem}\n"
	"h3{font-size:1.05rem;margin:1rem 0 .4rem}\n"
	"p,ul,ol,dl{margin:0 0 1rem}\n"
	"a{color:var(--primary);text-decoration-thickness:.08em;text-underline-offset:.18em}\n"
	"a:hover{text-decoration-thickness:.16em}\n"
	":focus-visible{outline:3px solid var(--primary);outline-offset:3px;border-radius:.2rem}\n"
	"label{display:block;font-weight:600;margin:1.1rem 0 .35rem}\n"
	"input[type=text],input[type=email],input[type=tel],select,textarea{display:block;"
	"width:100%;font:inherit;color:var(--text);background:var(--bg);padding:.65rem .8rem;"
	"border:1px solid var(--field);border-radius:.55rem;min-height:2.9rem}\n"
	"input:focus-visible,select:focus-visible,textarea:focus-visible{outline-offset:1px;"
	"border-color:var(--primary)}\n"
	"input[type=checkbox],input[type=radio]{width:1.3rem;height:1.3rem;margin:.15rem 0 0;"
	"flex:none;accent-color:var(--primary)}\n"
	".consent{display:flex;gap:.8rem;align-items:flex-start;margin:1rem 0;padding:1rem;"
	"border:1px solid var(--line);border-radius:.6rem}\n"
	".consent label{font-weight:400;margin:0}\n"
	".consent label strong{display:block;margin-bottom:.15rem}\n"
	".consent label br{display:none}\n"
	"p.purpose{margin:1.25rem 0;padding:.1rem 0 .1rem 1rem;border-left:4px solid var(--line)}\n"
	"button,.button{display:inline-flex;align-items:center;justify-content:center;"
	"min-height:2.9rem;padding:.6rem 1.35rem;font:inherit;font-weight:650;line-height:1.2;"
	"color:var(--bg);background:var(--primary);border:2px solid var(--primary);"
	"border-radius:.55rem;cursor:pointer;text-decoration:none}\n"
	"button:hover,.button:hover{box-shadow:0 2px 8px rgba(0,0,0,.18)}\n"
	"button:active,.button:active{transform:translateY(1px)}\n"
	"button.secondary,.button.secondary{color:var(--primary);background:var(--bg)}\n"
	"form p:last-child,main>:last-child{margin-bottom:0}\n"
	"section{margin:0 0 1.5rem}\n"
	"section.purpose{border-top:1px solid var(--line);padding-top:1.25rem;margin-top:1.5rem}\n"
	"section.purpose form{margin-top:.75rem}\n"
	"dl{display:grid;grid-template-columns:minmax(7rem,max-content) 1fr;gap:.35rem 1.25rem}\n"
	"dt{font-weight:600}\n"
	"dd{margin:0;overflow-wrap:anywhere}\n"
	"details{margin:.75rem 0 1rem;border:1px solid var(--line);border-radius:.55rem;"
	"padding:.55rem .9rem}\n"
	"details[open]{padding-bottom:.9rem}\n"
	"summary{cursor:pointer;font-weight:600}\n"
	"details[open] summary{margin-bottom:.5rem}\n"
	".status,[role=status],.error,[role=alert]{margin:0 0 1.25rem;padding:.8rem 1rem;"
	"border:1px solid var(--line);border-left:5px solid var(--primary);border-radius:.45rem}\n"
	".error,[role=alert]{border-left-color:var(--alert)}\n"
	".status:empty,[role=status]:empty,[role=alert]:empty{display:none}\n"
	"nav.lang{display:flex;justify-content:flex-end;gap:1rem;margin:-.5rem 0 1rem;"
	"font-size:.95rem}\n"
	"nav.lang ul{display:flex;gap:1rem;list-style:none;margin:0;padding:0}\n"
	"nav.lang [aria-current]{font-weight:700;color:var(--text);text-decoration:none}\n"
	"small,.small{font-size:.9rem}\n"
	"ul.purposes,ul.fields{padding-left:1.25rem}\n"
	".actions{display:flex;flex-wrap:wrap;gap:.75rem;align-items:center;margin:1.25rem 0 0}\n"
	".hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}\n"
	"@media (max-width:30rem){dl{grid-template-columns:1fr;gap:0}dd{margin-bottom:.6rem}"
	"button,.button{width:100%}h1{font-size:1.45rem}}\n"
	"@media (prefers-reduced-motion:reduce){*{transition:none!important}"
	"button:active,.button:active{transform:none}}\n";

int sk_page_css(struct sk_buf *b, const struct sk_policy *pol)
{
	const char *pr = sk_brand_primary(pol), *bg = sk_brand_background(pol),
		   *fg = sk_brand_text(pol);
	char line[8], field[8], alert[8];
	mix(fg, bg, .16, line);
	mix(fg, bg, .62, field);
	/* a red pulled towards the text colour: a border only, never text */
	mix("#c62828", fg, .8, alert);
	unsigned char rgb[3];
	sk_colour_rgb(bg, rgb);
	/* form controls drawn light or dark to match the background */
	const char *scheme = rgb[0] * 299 + rgb[1] * 587 + rgb[2] * 114 > 128000 ? "light" : "dark";
	sk_buf_init(b, SK_PAGE_MAX);
	int rc = sk_buf_printf(b, "/* samtycke: the public pages (the brand of the applied policy) */\n"
			       ":root{--primary:%s;--bg:%s;--text:%s;--line:%s;--field:%s;"
			       "--alert:%s;color-scheme:%s}\n", pr, bg, fg, line, field, alert,
			       scheme);
	return rc ? rc : sk_buf_appends(b, page_css);
}

/* FNV-1a of the stylesheet, as 8 hex digits in out[9]: the version in its URL, so that a new
 * brand (or a new samtycke) is a new address and the old one may be cached. */
static int css_version(const struct sk_policy *pol, char out[9])
{
	struct sk_buf css;
	int rc = sk_page_css(&css, pol);
	uint32_t h = 2166136261u;
	for (size_t i = 0; !rc && i < css.len; i++)
		h = (h ^ (unsigned char)css.data[i]) * 16777619u;
	snprintf(out, 9, "%08x", (unsigned)h);
	sk_buf_reset(&css);
	return rc;
}

/* ---- the Content-Security-Policy of a page ---- */

/* The origin of url, when it can be named in a CSP source list (scheme, host of letters,
 * digits, '.', '-', an IPv6 literal, a port): else "" and the source is left out. */
static void csp_origin(const char *url, char *out, size_t size)
{
	if (!url || sk_url_origin(url, out, size) ||
	    out[strspn(out, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:/[]")])
		out[0] = '\0';
}

/* Appends " origin" of url to the directive that begins at b->data + from, unless it is
 * there already. */
static int csp_source(struct sk_buf *b, size_t from, const char *url)
{
	char o[SK_URL_ORIGIN_MAX];
	csp_origin(url, o, sizeof(o));
	size_t n = strlen(o);
	for (const char *p = b->data + from; n && (p = strstr(p, o)); p += n)
		if (p[-1] == ' ' && (p[n] == ' ' || p[n] == '\0'))
			return 0;
	return n ? sk_buf_printf(b, " %s", o) : 0;
}

int sk_page_csp(struct sk_buf *b, const struct sk_policy *pol, const struct sk_form *form)
{
	const char *logo = pol ? pol->brand_logo_url : NULL;
	size_t at;
	sk_buf_init(b, 16384);
	int rc = sk_buf_appends(b, "default-src 'none'; style-src 'self'");
	rc = rc ? rc : csp_source(b, 0, pol ? pol->brand_stylesheet_url : NULL);
	rc = rc ? rc : sk_buf_appends(b, "; img-src");
	at = b->len;
	rc = rc ? rc : logo ? csp_source(b, at, logo) : sk_buf_appends(b, " 'none'");
	/* Chrome applies form-action to the redirect after a post too: a form page allows the
	 * form's success_url and error_url */
	rc = rc ? rc : sk_buf_appends(b, "; form-action 'self'");
	at = b->len;
	rc = rc || !form ? rc : csp_source(b, at, form->success_url);
	rc = rc || !form ? rc : csp_source(b, at, form->error_url);
	rc = rc ? rc : sk_buf_appends(b, "; base-uri 'none'; frame-ancestors");
	/* only a form's pages may be framed, and only by the sites the form names */
	at = b->len;
	for (size_t i = 0; !rc && form && i < form->norigins; i++)
		rc = csp_source(b, at, form->origins[i]);
	return rc || b->len > at ? rc : sk_buf_appends(b, " 'none'");
}

int sk_page_begin(struct sk_buf *b, const struct sk_policy *pol, int lang, const char *title)
{
	char v[9];
	int rc = css_version(pol, v);
	sk_buf_init(b, SK_PAGE_MAX);
	rc = rc ? rc : sk_html(b, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
			       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
			       "<title>%s%s%s</title>\n<link rel=\"stylesheet\" "
			       "href=\"/assets/page.css?v=%s\">\n", sk_lang_name(lang), title,
			       pol ? " \xc2\xb7 " : "", pol ? pol->org_name : NULL, v);
	if (!rc && pol && pol->brand_stylesheet_url)
		rc = sk_html(b, "<link rel=\"stylesheet\" href=\"%s\">\n", pol->brand_stylesheet_url);
	rc = rc ? rc : sk_html(b, "</head>\n<body>\n<header class=\"site\">");
	/* the logo in a fixed box, named by the organisation's name: a logo that does not load
	 * leaves the header as it was */
	if (!rc && pol && pol->brand_logo_url)
		rc = sk_html(b, "<img src=\"%s\" alt=\"%s\" width=\"144\" height=\"44\">",
			     pol->brand_logo_url, pol->org_name);
	if (!rc && pol)
		rc = sk_html(b, "<span class=\"org\">%s</span>", pol->org_name);
	return rc ? rc : sk_html(b, "</header>\n<main id=\"main\">\n<h1>%s</h1>\n", title);
}

/* The language sk_page_begin wrote into the page's <html lang>. */
static int page_lang_of(const struct sk_buf *b)
{
	const char *l = b->data ? strstr(b->data, "<html lang=\"") : NULL;
	return l && strncmp(l + 12, "sv\"", 3) == 0 ? SK_LANG_SV : SK_LANG_EN;
}

int sk_page_end(struct sk_buf *b, const struct sk_policy *pol)
{
	int lang = page_lang_of(b);
	int rc = sk_buf_appends(b, "</main>\n<footer class=\"site\">");
	if (!rc && pol)
		rc = sk_html(b, "<p>%s &middot; <a href=\"%s\">%s</a></p>", pol->org_name,
			     pol->org_privacy_url, sk_page_msg(lang, SK_MSG_PRIVACY));
	return rc ? rc : sk_buf_appends(b, "</footer>\n</body></html>\n");
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
				 "<p class=\"actions\"><button type=\"submit\">%s</button></p>\n"
				 "</form>\n",
				 sk_page_msg(lang, SK_MSG_HONEYPOT_LABEL), honeypot,
				 sk_page_msg(lang, SK_MSG_SEND));
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
