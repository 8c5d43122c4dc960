/* utm.h: the UTM link builder (core/utm.c; docs/utm.md): a landing page's URL tagged with
 * utm_source, utm_medium, utm_campaign and optionally utm_term and utm_content, checked and
 * encoded once here for the CLI (samtycke utm), the API (GET /v1/utm), the console page and
 * the campaign links. Pure: no store, no policy. */
#ifndef SK_UTM_H
#define SK_UTM_H

#include <stddef.h>

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

/* Why a URL or value was refused: X(NAME, the English text after the field's name), the
 * message being "FIELD TEXT" (the console shows each in its own language). */
#define SK_UTM_WHY_LIST(X)                                                                   \
	X(REQUIRED, "is required")                                                           \
	X(URL_TOO_LONG, "is longer than 2048 bytes")                                         \
	X(VALUE_TOO_LONG, "is longer than 200 bytes")                                        \
	X(CONTROL, "must not hold control characters")                                       \
	X(SPACE, "must not hold spaces")                                                     \
	X(NOT_ASCII, "must be ASCII: percent-encode other characters")                       \
	X(BAD_CHAR, "holds a character that URLs do not allow (percent-encode it)")          \
	X(BAD_PERCENT, "holds a '%' that is not followed by two hex digits")                 \
	X(TWO_HASHES, "holds more than one '#'")                                             \
	X(SCHEME, "must start with http:// or https://")                                     \
	X(USERINFO, "must not carry a user name or password")                                \
	X(NO_HOST, "needs a host")                                                           \
	X(BAD_HOST, "has a host with characters a host name does not have (write an "        \
	  "international name in its xn-- form)")                                           \
	X(IPV6_UNCLOSED, "has an IPv6 host without its closing ']'")                         \
	X(IPV6_BAD, "has an IPv6 host that is not an address")                               \
	X(IPV6_TRAILING, "has characters after its IPv6 host")                               \
	X(BAD_PORT, "has a port that is not a number 1-65535")                               \
	X(NOT_UTF8, "is not valid UTF-8")
enum sk_utm_why {
	SK_UTM_OK,
#define SK__UTM_WHY_ENUM(name, text) SK_UTM_##name,
	SK_UTM_WHY_LIST(SK__UTM_WHY_ENUM)
#undef SK__UTM_WHY_ENUM
	SK_UTM_NWHY
};
/* A refusal: the field at fault and why (SK_UTM_OK and NULL when none). */
struct sk_utm_fault {
	const char *field;
	enum sk_utm_why why;
};
/* sk_utm_build with the refusal's reason in *fault (may be NULL), for the console. */
int sk_utm_build_why(const struct sk_utm_in *in, char **out, struct sk_utm_fault *fault,
		     struct sk_errctx *err);
/* Every field's refusal at once, in the order url, source, medium, campaign, term, content
 * (the first is sk_utm_build_why's), so that a form can mark them all: their number, 0 when
 * the link can be built. */
#define SK_UTM_NFIELDS 6
size_t sk_utm_faults(const struct sk_utm_in *in, struct sk_utm_fault out[SK_UTM_NFIELDS]);

#endif
