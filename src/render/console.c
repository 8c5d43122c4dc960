/* console.c: the staff console's message catalogue, its stylesheet and the frame every
 * console page shares (console.h). */
#include "render/console.h"

#include <string.h>

static const char *const msgs[][SK_NLANG] = {
#define SK__CON_MSG_TEXT(name, sv, en) {sv, en},
	SK_CON_MSG_LIST(SK__CON_MSG_TEXT)
#undef SK__CON_MSG_TEXT
};

const char *sk_con_msg(int lang, enum sk_con_msg m)
{
	return msgs[m][lang == SK_LANG_SV ? SK_LANG_SV : SK_LANG_EN];
}

static const struct {
	const char *path;
	enum sk_con_msg msg;
	enum sk_can can;
} nav[] = {
#define SK__CON_NAV_ROW(n, p, m, c) {p, SK_CON_##m, SK_CAN_##c},
	SK_CON_NAV_LIST(SK__CON_NAV_ROW)
#undef SK__CON_NAV_ROW
};

/* The console's own look, the same for every organisation (it is not shown to the public):
 * dark text on white, one blue for links, buttons and focus, a red for what cannot be undone.
 * Every pair passes WCAG AA. Page files add their rules in their own section below. */
const char sk_console_css[] =
	"*,*::before,*::after{box-sizing:border-box}\n"
	":root{--text:#1b1f24;--muted:#4f5863;--bg:#fff;--panel:#f5f7fa;--line:#d0d6de;"
	"--primary:#1d4ed8;--danger:#b42318;--ok:#067647}\n"
	"body{margin:0;background:var(--panel);color:var(--text);"
	"font:0.95rem/1.55 system-ui,-apple-system,\"Segoe UI\",Roboto,Arial,sans-serif}\n"
	"header.con{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.5rem;"
	"padding:.75rem 1.5rem;background:var(--bg);border-bottom:1px solid var(--line)}\n"
	"header.con .org{font-weight:700}\n"
	"header.con .who{margin-left:auto;color:var(--muted)}\n"
	"header.con form{display:inline;margin:0}\n"
	"nav.con{background:var(--bg);border-bottom:1px solid var(--line);padding:0 1.5rem}\n"
	"nav.con ul{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;margin:0;"
	"padding:0}\n"
	"nav.con a{display:inline-block;padding:.6rem 0;color:var(--text);text-decoration:none;"
	"border-bottom:3px solid transparent}\n"
	"nav.con a[aria-current=page]{border-bottom-color:var(--primary);font-weight:650}\n"
	"main{max-width:72rem;margin:1.5rem auto;padding:1.5rem;background:var(--bg);"
	"border:1px solid var(--line);border-radius:.5rem}\n"
	"h1{font-size:1.5rem;margin:0 0 1rem}\n"
	"h2{font-size:1.15rem;margin:1.5rem 0 .5rem}\n"
	"a{color:var(--primary)}\n"
	":focus-visible{outline:3px solid var(--primary);outline-offset:2px}\n"
	"table{border-collapse:collapse;width:100%;margin:0 0 1rem}\n"
	"th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid var(--line);"
	"vertical-align:top}\n"
	"td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}\n"
	"label{display:block;font-weight:600;margin:.75rem 0 .25rem}\n"
	"input[type=text],input[type=email],input[type=password],input[type=number],"
	"input[type=file],select,textarea{font:inherit;padding:.45rem .6rem;"
	"border:1px solid #6b7480;border-radius:.35rem;min-width:16rem;max-width:100%}\n"
	"button,.button{font:inherit;font-weight:600;padding:.45rem 1rem;color:#fff;"
	"background:var(--primary);border:1px solid var(--primary);border-radius:.35rem;"
	"cursor:pointer;text-decoration:none;display:inline-block}\n"
	"button.secondary,.button.secondary{color:var(--primary);background:var(--bg)}\n"
	"button.danger{background:var(--danger);border-color:var(--danger)}\n"
	".muted{color:var(--muted)}\n"
	".note{padding:.6rem .8rem;border-left:4px solid var(--primary);background:var(--panel)}\n"
	".error{padding:.6rem .8rem;border-left:4px solid var(--danger);background:#fef3f2}\n"
	"details{margin:.25rem 0}\n"
	"summary{cursor:pointer}\n"
	/* ---- the sign-in page and the audit trail (console_auth.c) ---- */
	"form.sign-in{max-width:26rem}\n"
	"form.sign-in input{width:100%}\n"
	"table.audit{font-size:.9rem}\n"
	"table.audit caption{text-align:left;font-weight:600;padding:.25rem 0}\n"
	"table.audit code{font-size:.85rem}\n"
	/* audiences, retention, webhooks and keys (console_admin.c) */
	"form.inline{display:inline;margin:0}\n"
	"form.inline label{display:inline;margin-right:.5rem}\n"
	".scroll{overflow-x:auto}\n"
	"fieldset{border:1px solid var(--line);border-radius:.35rem;margin:.75rem 0;"
	"padding:.5rem .75rem}\n"
	"label.check{display:inline-block;font-weight:400;margin:0 1rem 0 0}\n"
	"#once{display:inline-block;padding:.3rem .5rem;background:var(--bg);"
	"border:1px solid var(--line);word-break:break-all;user-select:all}\n"
	"td.lasterror{max-width:20rem;overflow-wrap:anywhere}\n"
	/* ---- overview: the overview and the purposes pages (console_overview.c) ---- */
	".ov-scroll{overflow-x:auto}\n"
	"figure.ov-chart{margin:0 0 .5rem}\n"
	"svg.ov-chart{display:block;max-width:48rem;height:auto}\n"
	"svg.ov-chart .give{fill:var(--primary)}\n"
	"svg.ov-chart .withdraw{fill:var(--danger)}\n"
	"svg.ov-chart .axis{stroke:var(--muted);stroke-width:1}\n"
	"svg.ov-chart .tick{fill:var(--muted);font-size:11px}\n"
	".key{display:inline-block;width:.9rem;height:.9rem;vertical-align:-.1rem;"
	"margin:0 .2rem 0 .6rem}\n"
	".key.give{background:var(--primary)}\n"
	".key.withdraw{background:var(--danger)}\n"
	"dl.ov-facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0 0 1rem}\n"
	"dl.ov-facts dt{font-weight:600}\n"
	"dl.ov-facts dd{margin:0}\n"
	"code.hash{word-break:break-all}\n"
	".bad{color:var(--danger)}\n"
	".pu-versions{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));"
	"gap:1rem;margin:0 0 1rem}\n"
	".pu-version{border:1px solid var(--line);border-radius:.35rem;padding:.5rem .75rem}\n"
	".pu-version h5{font-size:.95rem;margin:0 0 .25rem}\n"
	".notice{white-space:pre-wrap;margin:0}\n"
	"del{color:var(--danger);text-decoration:line-through}\n"
	"ins{color:var(--ok);text-decoration:underline}\n"
	".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);"
	"white-space:nowrap}\n"
	/* find a person (render/console_person.c) */
	"section.purpose,section.action{border-top:1px solid var(--line);padding:.25rem 0 .75rem}\n"
	"h3{font-size:1.05rem;margin:1rem 0 .25rem}\n"
	"h4{font-size:.95rem;margin:.75rem 0 .25rem}\n"
	".gate{font-weight:700;padding:.1rem .4rem;border-radius:.25rem;border:1px solid}\n"
	".gate.allowed{color:var(--ok)}\n"
	".gate.denied{color:var(--danger)}\n"
	"dl.ev{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.25rem 0}\n"
	"dl.ev dt{font-weight:600}\n"
	"dl.ev dd{margin:0}\n"
	"pre.evidence{white-space:pre-wrap;word-break:break-all;background:var(--panel);"
	"padding:.5rem;border:1px solid var(--line);border-radius:.35rem}\n"
	"blockquote.notice{margin:.25rem 0;padding:.5rem .8rem;border-left:4px solid var(--line);"
	"background:var(--panel)}\n"
	"section.action fieldset{border:0;padding:0;margin:.75rem 0 0}\n"
	"section.action legend{font-weight:600;padding:0}\n"
	"label.inline{display:inline-block;font-weight:400;margin:.25rem 1rem .25rem 0}\n"
	/* ---- import (render/console_import.c) ---- */
	".imp-form fieldset{border:1px solid var(--line);border-radius:.35rem;margin:1rem 0;"
	"padding:.5rem 1rem}\n"
	".imp-form label.inline{display:inline-flex;align-items:center;gap:.4rem;font-weight:400;"
	"margin:.25rem 1.5rem .25rem 0}\n"
	"progress#imp-bar{width:100%;height:1.25rem;margin:.25rem 0}\n"
	"table.imp-counts{width:auto;min-width:20rem}\n"
	/* ---- UTM links (render/console_utm.c) ---- */
	".utm-form input[type=text],#utm-link{width:100%;max-width:44rem;box-sizing:border-box}\n"
	".utm-form p.hint{margin:0 0 .25rem;font-size:.9rem}\n"
	".utm-form p.field-error{margin:.25rem 0;max-width:44rem;box-sizing:border-box}\n"
	".utm-form label.check{margin-top:.75rem}\n"
	".utm-result{margin-top:1.5rem}\n";

int sk_con_begin(struct sk_buf *b, const struct sk_con_frame *f, const char *title)
{
	const char *org = f->pol ? f->pol->org_name : NULL;
	sk_buf_init(b, SK_PAGE_MAX);
	int rc = sk_html(b, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
			 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
			 "<title>%s \xc2\xb7 %s</title>\n<link rel=\"stylesheet\" "
			 "href=\"/assets/console.css\">\n</head>\n<body>\n<header class=\"con\">"
			 "<span class=\"org\">%s%s%s</span>",
			 sk_lang_name(f->lang), title, sk_con_msg(f->lang, SK_CON_CONSOLE), org,
			 org ? " \xc2\xb7 " : "", sk_con_msg(f->lang, SK_CON_CONSOLE));
	/* the other language: the same address with ?lang= (a GET of the page shown) */
	rc = rc ? rc : sk_html(b, "<a href=\"?lang=%s\" lang=\"%s\">%s</a>",
			       f->lang == SK_LANG_SV ? "en" : "sv", f->lang == SK_LANG_SV ? "en" : "sv",
			       sk_con_msg(f->lang, SK_CON_LANG_OTHER));
	if (!rc && f->who) {
		rc = sk_html(b, "<span class=\"who\">%s %s (%s)</span><form method=\"post\" "
			     "action=\"/console/sign-out\">", sk_con_msg(f->lang, SK_CON_SIGNED_IN_AS),
			     f->who->name, sk_role_name(f->who->role));
		rc = rc ? rc : sk_con_csrf(b, f);
		rc = rc ? rc : sk_html(b, "<button type=\"submit\" class=\"secondary\">%s</button>"
				       "</form>", sk_con_msg(f->lang, SK_CON_SIGN_OUT));
	}
	rc = rc ? rc : sk_html(b, "</header>\n");
	if (!rc && f->who) {
		rc = sk_html(b, "<nav class=\"con\" aria-label=\"%s\"><ul>",
			     sk_con_msg(f->lang, SK_CON_NAV_LABEL));
		for (size_t i = 0; !rc && i < sizeof(nav) / sizeof(nav[0]); i++) {
			if (!sk_role_may(f->who->role, nav[i].can))
				continue;
			/* (the attribute in the format: a %s argument would be escaped) */
			rc = sk_html(b, (size_t)f->nav == i
					 ? "<li><a href=\"%s\" aria-current=\"page\">%s</a></li>"
					 : "<li><a href=\"%s\">%s</a></li>",
				     nav[i].path, sk_con_msg(f->lang, nav[i].msg));
		}
		rc = rc ? rc : sk_html(b, "</ul></nav>\n");
	}
	return rc ? rc : sk_html(b, "<main id=\"main\">\n<h1>%s</h1>\n", title);
}

int sk_con_end(struct sk_buf *b)
{
	return sk_buf_appends(b, "</main>\n</body></html>\n");
}

int sk_con_csrf(struct sk_buf *b, const struct sk_con_frame *f)
{
	return sk_html(b, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", f->csrf ? f->csrf : "");
}

int sk_con_message(struct sk_buf *b, const struct sk_con_frame *f, const char *title,
		   const char *text)
{
	int rc = sk_con_begin(b, f, title);
	return rc ? rc : sk_html(b, "<p>%s</p>\n", text);
}
