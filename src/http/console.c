/* console.c: a console page built by the renderer (render/console*.c) becomes the reply:
 * text/html, never cached, with the console's Content-Security-Policy: its own stylesheet
 * and script only, nothing from elsewhere, no framing. */
#include "http/http_int.h"

#include <string.h>

#include "util/mem.h"

/* script-src 'self': the console's progressive enhancements (/assets/console.js) */
#define CONSOLE_CSP                                                                          \
	"default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; "       \
	"img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

void sk_con_frame_of(struct sk_req *r, enum sk_con_nav nav, struct sk_con_frame *out)
{
	*out = (struct sk_con_frame){
		.pol = r->core ? sk_core_policy(r->core) : NULL,
		.lang = sk_page_lang(r, NULL),
		.who = r->staff.name[0] ? &r->staff : NULL,
		.csrf = r->csrf[0] ? r->csrf : NULL,
		.nav = nav,
	};
}

int sk_con_reply(struct sk_req *r, struct sk_buf *b, int status, int rc)
{
	rc = rc ? rc : sk_con_end(b);
	rc = rc ? rc : sk_reply_text(r, status, b->data);
	sk_buf_reset(b);
	if (rc)
		return sk_errf(&r->err, SK_ERR_NOMEM, "out of memory");
	r->content_type = "text/html; charset=utf-8";
	sk_free(r->csp);
	r->csp = sk_strdup(CONSOLE_CSP);
	return r->csp ? 0 : sk_errf(&r->err, SK_ERR_NOMEM, "out of memory");
}
