/* multipart.c: multipart/form-data (RFC 7578) for the console's import upload: the boundary
 * from the Content-Type, each part's Content-Disposition name and filename, its bytes as a
 * slice of the body. Strict: what a browser sends parses, anything else is refused whole. */
#include "http/multipart.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Skips spaces and tabs. */
static const char *ws(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

/* One parameter value at *p (quoted, or a token up to ';'), copied into out (cap bytes
 * with the NUL; cut when trunc, else refused when longer). 0, or -1 when malformed or too
 * long. */
static int param_value(const char **p, const char *end, char *out, size_t cap, int trunc)
{
	const char *s = *p, *v, *ve;
	if (s < end && *s == '"') {
		v = ++s;
		while (s < end && *s != '"')
			s++;
		if (s == end)
			return -1; /* a quote never closed */
		ve = s++;
	} else {
		v = s;
		while (s < end && *s != ';' && *s != ' ' && *s != '\t')
			s++;
		ve = s;
	}
	size_t n = (size_t)(ve - v);
	if (n >= cap) {
		if (!trunc)
			return -1;
		n = cap - 1;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return -1; /* control bytes (NUL, CR, LF) in a name */
	memcpy(out, v, n);
	out[n] = '\0';
	*p = s;
	return 0;
}

/* The Content-Disposition value [s, end): form-data; name="..."; filename="...". */
static int disposition(const char *s, const char *end, struct sk_mp_part *p)
{
	int named = 0;
	s = ws(s, end);
	if ((size_t)(end - s) < 9 || strncasecmp(s, "form-data", 9) != 0)
		return -1;
	s += 9;
	for (;;) {
		s = ws(s, end);
		if (s == end)
			break;
		if (*s++ != ';')
			return -1;
		s = ws(s, end);
		const char *k = s;
		while (s < end && *s != '=' && *s != ';' && *s != ' ' && *s != '\t')
			s++;
		size_t klen = (size_t)(s - k);
		s = ws(s, end);
		if (s == end || *s != '=')
			return -1;
		s = ws(s + 1, end);
		char scratch[SK_MP_MAX_NAME + 1];
		if (klen == 4 && strncasecmp(k, "name", 4) == 0) {
			if (named || param_value(&s, end, p->name, sizeof(p->name), 0) || !p->name[0])
				return -1;
			named = 1;
		} else if (klen == 8 && strncasecmp(k, "filename", 8) == 0) {
			if (p->is_file || param_value(&s, end, p->filename, sizeof(p->filename), 1))
				return -1;
			p->is_file = 1;
		} else if (param_value(&s, end, scratch, sizeof(scratch), 1)) {
			return -1; /* another parameter (filename*): read and ignored */
		}
	}
	return named ? 0 : -1;
}

/* The header block [s, end) of part number i (CRLF-separated lines). */
static int headers(const char *s, const char *end, struct sk_mp_part *p, size_t i,
		   struct sk_errctx *err)
{
	int seen = 0;
	if (memchr(s, '\0', (size_t)(end - s)))
		return sk_errf(err, SK_ERR_INVALID, "part %zu: a NUL byte in its headers", i + 1);
	while (s < end) {
		const char *e = s;
		while (e + 1 < end && !(e[0] == '\r' && e[1] == '\n'))
			e++;
		if (e + 1 >= end)
			e = end; /* the last line (its CRLF is the blank line's) */
		const char *colon = memchr(s, ':', (size_t)(e - s));
		if (!colon || memchr(s, '\n', (size_t)(e - s)) || memchr(s, '\r', (size_t)(e - s)))
			return sk_errf(err, SK_ERR_INVALID, "part %zu: a header line is malformed",
				       i + 1);
		if (colon - s == 19 && strncasecmp(s, "Content-Disposition", 19) == 0) {
			if (seen++ || disposition(colon + 1, e, p))
				return sk_errf(err, SK_ERR_INVALID, "part %zu: its Content-"
					       "Disposition is not form-data with a name", i + 1);
		}
		s = e + 2;
	}
	if (!seen)
		return sk_errf(err, SK_ERR_INVALID, "part %zu: no Content-Disposition", i + 1);
	return 0;
}

/* The boundary parameter of a multipart/form-data Content-Type, into out. */
static int boundary_of(const char *ct, char *out)
{
	const char *s = ct, *end;
	if (!ct || strncasecmp(ct, "multipart/form-data", 19) != 0)
		return -1;
	end = ct + strlen(ct);
	s += 19;
	for (;;) {
		s = ws(s, end);
		if (s == end)
			return -1;
		if (*s++ != ';')
			return -1;
		s = ws(s, end);
		const char *k = s;
		while (s < end && *s != '=' && *s != ';')
			s++;
		if (s == end || *s != '=')
			return -1;
		size_t klen = (size_t)(s - k);
		s++;
		char v[SK_MP_MAX_BOUNDARY + 1];
		if (param_value(&s, end, v, sizeof(v), 0))
			return -1;
		if (klen == 8 && strncasecmp(k, "boundary", 8) == 0) {
			size_t n = strlen(v);
			if (n == 0 || v[n - 1] == ' ')
				return -1;
			for (size_t i = 0; i < n; i++)
				if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e || v[i] == '"')
					return -1;
			memcpy(out, v, n + 1);
			return 0;
		}
	}
}

int sk_mp_parse(const char *content_type, const char *body, size_t len,
		struct sk_mp_part *parts, size_t *nparts, struct sk_errctx *err)
{
	char bnd[SK_MP_MAX_BOUNDARY + 1], delim[SK_MP_MAX_BOUNDARY + 5];
	const char *end = body + len, *s;
	size_t dlen, n = 0;

	*nparts = 0;
	if (boundary_of(content_type, bnd))
		return sk_errf(err, SK_ERR_INVALID, "the body must be multipart/form-data with a "
			       "boundary");
	/* "\r\n--BOUNDARY": every delimiter but a first one at the very start of the body */
	dlen = (size_t)snprintf(delim, sizeof(delim), "\r\n--%s", bnd);
	if (!body)
		return sk_errf(err, SK_ERR_INVALID, "the body is empty");
	if (len >= dlen - 2 && memcmp(body, delim + 2, dlen - 2) == 0) {
		s = body + dlen - 2;
	} else {
		const char *f = memmem(body, len, delim, dlen);
		if (!f)
			return sk_errf(err, SK_ERR_INVALID, "the body holds no part");
		s = f + dlen;
	}
	for (;;) {
		/* after a delimiter: "--" ends the body, else padding and CRLF begin a part */
		if (end - s >= 2 && s[0] == '-' && s[1] == '-')
			break;
		s = ws(s, end);
		if (end - s < 2 || s[0] != '\r' || s[1] != '\n')
			return sk_errf(err, SK_ERR_INVALID, "part %zu: its boundary line is "
				       "malformed", n + 1);
		s += 2;
		if (n == SK_MP_MAX_PARTS)
			return sk_errf(err, SK_ERR_INVALID, "more than %d parts", SK_MP_MAX_PARTS);
		struct sk_mp_part *p = &parts[n];
		memset(p, 0, sizeof(*p));
		/* the headers end at a blank line (CRLF CRLF), or at once for a part without */
		const char *hend;
		if (end - s >= 2 && s[0] == '\r' && s[1] == '\n') {
			hend = s;
		} else {
			size_t room = (size_t)(end - s);
			const char *b = memmem(s, room < SK_MP_MAX_HEADERS ? room : SK_MP_MAX_HEADERS,
					       "\r\n\r\n", 4);
			if (!b)
				return sk_errf(err, SK_ERR_INVALID, "part %zu: its headers do not "
					       "end within %d bytes", n + 1, SK_MP_MAX_HEADERS);
			hend = b + 2;
		}
		int rc = headers(s, hend, p, n, err);
		if (rc)
			return rc;
		if (hend == s)
			return sk_errf(err, SK_ERR_INVALID, "part %zu: no Content-Disposition",
				       n + 1);
		for (size_t i = 0; i < n; i++)
			if (strcmp(parts[i].name, p->name) == 0)
				return sk_errf(err, SK_ERR_INVALID, "the field '%s' is sent twice",
					       p->name);
		s = hend + 2;
		const char *next = memmem(s, (size_t)(end - s), delim, dlen);
		if (!next)
			return sk_errf(err, SK_ERR_INVALID, "part %zu ('%s'): the body ends "
				       "without its closing boundary", n + 1, p->name);
		p->data = s;
		p->len = (size_t)(next - s);
		n++;
		s = next + dlen;
	}
	*nparts = n;
	return 0;
}

const struct sk_mp_part *sk_mp_get(const struct sk_mp_part *parts, size_t nparts,
				   const char *name)
{
	for (size_t i = 0; i < nparts; i++)
		if (strcmp(parts[i].name, name) == 0)
			return &parts[i];
	return NULL;
}
