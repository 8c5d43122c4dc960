/* buf.h: a growable byte buffer with a hard cap (as curl's dynbuf). Appending past the cap
 * fails with SK_ERR_TOO_LARGE and leaves the buffer as it was. The content is always
 * NUL-terminated, so a buffer of text can be used as a C string. */
#ifndef SK_BUF_H
#define SK_BUF_H

#include <stddef.h>
#include <stdint.h>

struct sk_buf {
	char *data;
	size_t len;
	size_t alloc;
	size_t cap;
};

void sk_buf_init(struct sk_buf *b, size_t cap);
void sk_buf_reset(struct sk_buf *b);          /* frees the memory */
void sk_buf_clear(struct sk_buf *b);          /* keeps the memory, length 0 */
int sk_buf_append(struct sk_buf *b, const void *p, size_t len);
int sk_buf_appends(struct sk_buf *b, const char *s);
int sk_buf_printf(struct sk_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Length-prefixed field (4-byte big-endian length, then the bytes): unambiguous framing
 * for anything that is hashed. */
int sk_buf_append_field(struct sk_buf *b, const void *p, size_t len);
/* Appends s (NULL: nothing) HTML-escaped: < > & " and ' as entities. */
int sk_buf_append_html(struct sk_buf *b, const char *s);
int sk_buf_append_i64(struct sk_buf *b, int64_t v);
/* Hand the content to the caller (who frees it with sk_free); the buffer is left empty. */
char *sk_buf_steal(struct sk_buf *b, size_t *outlen);

#endif
