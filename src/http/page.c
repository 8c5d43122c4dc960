/* page.c: a page built by the renderer (render/page.c) becomes the reply: text/html with
 * the Content-Security-Policy the renderer chose for it, the buffer freed. */
#include "http/page.h"

#include <string.h>

#include "util/mem.h"

const struct sk_policy *sk_page_policy(struct sk_req *r)
{
	const struct sk_policy *pol = r->core ? sk_core_policy(r->core) : NULL;
	if (!pol || !pol->brand_stylesheet_url || !r->route || !strstr(r->route->path, "{token}"))
		return pol;
	r->page_pol = *pol;
	r->page_pol.brand_stylesheet_url = NULL;
	return &r->page_pol;
}

int sk_page_reply(struct sk_req *r, struct sk_buf *b, int status, int rc)
{
	const struct sk_policy *pol = sk_page_policy(r);
	struct sk_buf csp;
	sk_buf_init(&csp, 0);
	rc = rc ? rc : sk_page_end(b, pol);
	rc = rc ? rc : sk_reply_text(r, status, b->data);
	sk_buf_reset(b);
	r->content_type = "text/html; charset=utf-8";
	/* the page's own CSP: its brand's origins, and a form's framing sites (r->page_form) */
	if (!rc && !(rc = sk_page_csp(&csp, pol, r->page_form))) {
		sk_free(r->csp);
		r->csp = sk_buf_steal(&csp, NULL);
	}
	sk_buf_reset(&csp);
	return rc ? sk_errf(&r->err, SK_ERR_NOMEM, "out of memory") : 0;
}

int sk_reply_page(struct sk_req *r, int status, int lang, const char *title, const char *text)
{
	struct sk_buf b;
	int rc = sk_page_message(&b, sk_page_policy(r), lang, title, text);
	return sk_page_reply(r, &b, status, rc);
}
