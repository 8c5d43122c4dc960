/* page.c: the HTML writer of the public pages and their message catalogue (page.h). Every
 * value goes through sk_html's "%s", which escapes it: a title, a notice text or an error
 * message can never become markup. */
#include "http/page.h"

#include <stdarg.h>
#include <string.h>

#define PAGE_MAX (1 << 20)

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

int sk_page_begin(struct sk_buf *b, int lang, const char *title)
{
	sk_buf_init(b, PAGE_MAX);
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

int sk_page_reply(struct sk_req *r, struct sk_buf *b, int status, int rc)
{
	rc = rc ? rc : sk_buf_appends(b, "</body></html>\n");
	rc = rc ? rc : sk_reply_text(r, status, b->data);
	sk_buf_reset(b);
	r->content_type = "text/html; charset=utf-8";
	return rc ? sk_errf(&r->err, SK_ERR_NOMEM, "out of memory") : 0;
}

int sk_reply_page(struct sk_req *r, int status, int lang, const char *title, const char *text)
{
	struct sk_buf b;
	int rc = sk_page_begin(&b, lang, title);
	rc = rc ? rc : sk_html(&b, "<p>%s</p>\n", text);
	return sk_page_reply(r, &b, status, rc);
}
