/* page.h: sending the public pages over HTTP. The pages themselves, their escaping and the
 * message catalogue are the renderer's (render/page.h, included here). */
#ifndef SK_HTTP_PAGE_H
#define SK_HTTP_PAGE_H

#include "http/http_int.h"
#include "render/page.h"

/* The policy as this request's page draws it: the core's, except that a page whose address
 * holds a link token (a route with {token}: /p/{token}..., /f/confirm/{token}) loads no
 * stylesheet from elsewhere (brand_stylesheet_url left out): CSS can read attribute values,
 * the token in the page's links and forms among them, and send them out in image requests.
 * NULL when no policy is applied. */
const struct sk_policy *sk_page_policy(struct sk_req *r);
/* Ends the page in b and makes it the reply (text/html) with status; frees b. rc is the
 * error of building it, if any. */
int sk_page_reply(struct sk_req *r, struct sk_buf *b, int status, int rc);
/* A whole page: a heading and one paragraph. */
int sk_reply_page(struct sk_req *r, int status, int lang, const char *title, const char *text);

#endif
