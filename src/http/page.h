/* page.h: sending the public pages over HTTP. The pages themselves, their escaping and the
 * message catalogue are the renderer's (render/page.h, included here). */
#ifndef SK_HTTP_PAGE_H
#define SK_HTTP_PAGE_H

#include "http/http_int.h"
#include "render/page.h"

/* Ends the page in b and makes it the reply (text/html) with status; frees b. rc is the
 * error of building it, if any. */
int sk_page_reply(struct sk_req *r, struct sk_buf *b, int status, int rc);
/* A whole page: a heading and one paragraph. */
int sk_reply_page(struct sk_req *r, int status, int lang, const char *title, const char *text);

#endif
