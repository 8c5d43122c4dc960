/* buf.c: the capped growable buffer. */
#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/err.h"
#include "util/mem.h"

void sk_buf_init(struct sk_buf *b, size_t cap)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
}

void sk_buf_reset(struct sk_buf *b)
{
	sk_free(b->data);
	sk_buf_init(b, b->cap);
}

void sk_buf_clear(struct sk_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static int buf_reserve(struct sk_buf *b, size_t extra)
{
	if (extra > b->cap || b->len > b->cap - extra)
		return SK_ERR_TOO_LARGE;
	size_t need = b->len + extra + 1;
	if (need <= b->alloc)
		return 0;
	size_t n = b->alloc ? b->alloc : 64;
	while (n < need)
		n *= 2;
	if (n > b->cap + 1)
		n = b->cap + 1;
	char *p = sk_realloc(b->data, n);
	if (!p)
		return SK_ERR_NOMEM;
	b->data = p;
	b->alloc = n;
	return 0;
}

int sk_buf_append(struct sk_buf *b, const void *p, size_t len)
{
	int rc = buf_reserve(b, len);
	if (rc)
		return rc;
	if (len)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int sk_buf_appends(struct sk_buf *b, const char *s)
{
	return sk_buf_append(b, s, strlen(s));
}

int sk_buf_printf(struct sk_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return SK_ERR_INVALID;
	int rc = buf_reserve(b, (size_t)n);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int sk_buf_append_field(struct sk_buf *b, const void *p, size_t len)
{
	if (len > 0xffffffffu)
		return SK_ERR_TOO_LARGE;
	unsigned char hdr[4] = {(unsigned char)(len >> 24), (unsigned char)(len >> 16),
				(unsigned char)(len >> 8), (unsigned char)len};
	int rc = sk_buf_append(b, hdr, 4);
	return rc ? rc : sk_buf_append(b, p, len);
}

int sk_buf_append_i64(struct sk_buf *b, int64_t v)
{
	unsigned char be[8];
	uint64_t u = (uint64_t)v;
	for (int i = 7; i >= 0; i--) {
		be[i] = (unsigned char)(u & 0xff);
		u >>= 8;
	}
	return sk_buf_append(b, be, 8);
}

char *sk_buf_steal(struct sk_buf *b, size_t *outlen)
{
	char *p = b->data;
	if (outlen)
		*outlen = b->len;
	sk_buf_init(b, b->cap);
	return p;
}

int sk_buf_append_html(struct sk_buf *b, const char *s)
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
