/* utm.h: the UTM link builder (core/utm.c; docs/utm.md): a landing page's URL tagged with
 * utm_source, utm_medium, utm_campaign and optionally utm_term and utm_content, checked and
 * encoded once here for the CLI (samtycke utm), the API (GET /v1/utm), the console page and
 * the campaign links. Pure: no store, no policy. */
#ifndef SK_UTM_H
#define SK_UTM_H

#include "util/err.h"

#define SK_UTM_URL_MAX 2048  /* bytes of the URL given (the link built may be longer) */
#define SK_UTM_VALUE_MAX 200 /* bytes of one value, after trimming */

struct sk_utm_in {
	const char *url;
	const char *source, *medium, *campaign; /* required */
	const char *term, *content;             /* NULL or empty (after trimming): left out */
	int keep_case;                          /* 1: the values keep their letter case */
};

/* Builds the tagged link into *out (sk_free it). The URL must be http or https with a host,
 * at most SK_UTM_URL_MAX bytes of printable ASCII that RFC 3986 allows (no space, no control
 * character, no user name or password, every '%' followed by two hex digits). Each value is
 * trimmed of white space, must be valid UTF-8 without control characters and at most
 * SK_UTM_VALUE_MAX bytes, and is lowercased (A-Z and the Latin-1 letters such as Å, Ä, Ö)
 * unless keep_case. The values are percent-encoded (RFC 3986: all but A-Z a-z 0-9 - . _ ~)
 * and appended to the query in the order source, medium, campaign, term, content; the
 * URL's other query parameters keep their place, and its fragment stays last. Every utm_*
 * of the five names already in the query is replaced: removed, also one that this link
 * does not set (a stale utm_term never mixes with a new campaign). Returns 0,
 * SK_ERR_INVALID with *field (may be NULL) the name of the field at fault ("url",
 * "source", "medium", "campaign", "term", "content") and the reason in err (no value
 * quoted), or SK_ERR_NOMEM. */
int sk_utm_build(const struct sk_utm_in *in, char **out, const char **field,
		 struct sk_errctx *err);

#endif
