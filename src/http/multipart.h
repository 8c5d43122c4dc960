/* multipart.h: a small parser of multipart/form-data bodies (RFC 7578), for the console's
 * import upload (h_console_import.c): the parts point into the body (no copy), every name,
 * header block and part has a cap, and anything malformed is refused whole. */
#ifndef SK_MULTIPART_H
#define SK_MULTIPART_H

#include <stddef.h>

#include "util/err.h"

#define SK_MP_MAX_PARTS 16       /* parts in one body */
#define SK_MP_MAX_NAME 64        /* bytes of a part's name or file name */
#define SK_MP_MAX_HEADERS 2048   /* bytes of one part's header block */
#define SK_MP_MAX_BOUNDARY 70    /* RFC 2046 */

struct sk_mp_part {
	char name[SK_MP_MAX_NAME + 1];     /* the form field's name */
	char filename[SK_MP_MAX_NAME + 1]; /* the file's name (cut to the cap), "" for none */
	int is_file;                       /* a filename parameter was given */
	const char *data;                  /* into the body; not NUL-terminated */
	size_t len;
};

/* Parses body (len bytes) sent with the Content-Type content_type (multipart/form-data with
 * a boundary) into at most SK_MP_MAX_PARTS parts, in order; *nparts gets how many.
 * SK_ERR_INVALID (415 would be the caller's, for another type) when: the type is not
 * multipart/form-data or has no usable boundary; a part has no Content-Disposition
 * form-data with a name, a header line without CRLF, or a header block over the cap; two
 * parts share a name; there are more parts than the cap; the closing boundary is missing.
 * Messages name the part (its number or field name), never its content. */
int sk_mp_parse(const char *content_type, const char *body, size_t len,
		struct sk_mp_part *parts, size_t *nparts, struct sk_errctx *err);
/* The part named name, or NULL. */
const struct sk_mp_part *sk_mp_get(const struct sk_mp_part *parts, size_t nparts,
				   const char *name);

#endif
