/* utm.c: the UTM link builder (utm.h, docs/utm.md): checks a landing page's URL and the
 * campaign values, and appends them to its query, percent-encoded (RFC 3986), with the rest
 * of the query and the fragment kept. Pure: no store, no policy. */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "core/utm.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/str.h"

_Static_assert(SK_UTM_URL_MAX == 2048 && SK_UTM_VALUE_MAX == 200, "SK_UTM_WHY_LIST says 2048 and 200");
#define OUT_CAP 16384 /* a URL of SK_UTM_URL_MAX and five values, each byte as %XX */

static const char *const utm_keys[] = {"utm_source", "utm_medium", "utm_campaign", "utm_term",
				       "utm_content"};
static const char *const field_names[] = {"source", "medium", "campaign", "term", "content"};

static int is_alnum(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

static int is_hex(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static int hexval(unsigned char ch)
{
	return ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10;
}

/* RFC 3986's unreserved characters, which are never encoded. */
static int is_unreserved(unsigned char ch)
{
	return is_alnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

/* A character a URL may hold as it is (RFC 3986: unreserved, gen-delims, sub-delims, '%'). */
static int is_url_char(unsigned char ch)
{
	return is_unreserved(ch) || (ch && strchr(":/?#[]@!$&'()*+,;=%", ch));
}

static const char *const why_text[] = {
	"",
#define SK__UTM_WHY_TEXT(name, text) text,
	SK_UTM_WHY_LIST(SK__UTM_WHY_TEXT)
#undef SK__UTM_WHY_TEXT
};

/* Refuses: field and why into *fault, "FIELD TEXT" into err. */
static int refuse(struct sk_utm_fault *fault, const char *field, enum sk_utm_why why,
		  struct sk_errctx *err)
{
	fault->field = field;
	fault->why = why;
	return sk_errf(err, SK_ERR_INVALID, "%s %s", field, why_text[why]);
}

/* The URL's own rules: characters, scheme, host, port. */
static int check_url(const char *url, struct sk_utm_fault *fault, struct sk_errctx *err)
{
	size_t len = url ? strlen(url) : 0, i, skip, hlen;
	const char *auth, *end, *host, *port;
	int nhash = 0;

	if (!len)
		return refuse(fault, "url", SK_UTM_REQUIRED, err);
	if (len > SK_UTM_URL_MAX)
		return refuse(fault, "url", SK_UTM_URL_TOO_LONG, err);
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)url[i];
		if (ch < 0x20 || ch == 0x7f)
			return refuse(fault, "url", SK_UTM_CONTROL, err);
		if (ch == ' ')
			return refuse(fault, "url", SK_UTM_SPACE, err);
		if (ch >= 0x80)
			return refuse(fault, "url", SK_UTM_NOT_ASCII, err);
		if (!is_url_char(ch))
			return refuse(fault, "url", SK_UTM_BAD_CHAR, err);
		if (ch == '%' && !(is_hex((unsigned char)url[i + 1]) &&
				   is_hex((unsigned char)url[i + 2])))
			return refuse(fault, "url", SK_UTM_BAD_PERCENT, err);
		if (ch == '#' && ++nhash > 1)
			return refuse(fault, "url", SK_UTM_TWO_HASHES, err);
	}
	if (!strncasecmp(url, "http://", 7))
		skip = 7;
	else if (!strncasecmp(url, "https://", 8))
		skip = 8;
	else
		return refuse(fault, "url", SK_UTM_SCHEME, err);
	auth = url + skip;
	end = auth + strcspn(auth, "/?#");
	if (memchr(auth, '@', (size_t)(end - auth)))
		return refuse(fault, "url", SK_UTM_USERINFO, err);
	host = auth;
	if (*host == '[') {
		const char *close = memchr(host, ']', (size_t)(end - host));
		if (!close || close == host + 1)
			return refuse(fault, "url", SK_UTM_IPV6_UNCLOSED, err);
		for (const char *p = host + 1; p < close; p++)
			if (!is_hex((unsigned char)*p) && *p != ':' && *p != '.')
				return refuse(fault, "url", SK_UTM_IPV6_BAD, err);
		port = close + 1;
		if (port < end && *port != ':')
			return refuse(fault, "url", SK_UTM_IPV6_TRAILING, err);
	} else {
		port = memchr(host, ':', (size_t)(end - host));
		if (!port)
			port = end;
		hlen = (size_t)(port - host);
		if (!hlen)
			return refuse(fault, "url", SK_UTM_NO_HOST, err);
		for (i = 0; i < hlen; i++)
			if (!is_alnum((unsigned char)host[i]) && host[i] != '-' && host[i] != '.')
				return refuse(fault, "url", SK_UTM_BAD_HOST, err);
	}
	if (port < end) { /* ":PORT" */
		long v = 0;
		size_t n = (size_t)(end - port - 1);
		if (n < 1 || n > 5)
			return refuse(fault, "url", SK_UTM_BAD_PORT, err);
		for (i = 1; i <= n; i++) {
			if (port[i] < '0' || port[i] > '9')
				return refuse(fault, "url", SK_UTM_BAD_PORT, err);
			v = v * 10 + (port[i] - '0');
		}
		if (v < 1 || v > 65535)
			return refuse(fault, "url", SK_UTM_BAD_PORT, err);
	}
	return 0;
}

/* One value: trimmed, checked, lowercased unless keep_case, percent-encoded onto b.
 * *present is 0 for an optional value left out. */
static int put_value(struct sk_buf *b, int k, const char *v, int required, int keep_case,
		     int *present, struct sk_utm_fault *fault, struct sk_errctx *err)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *name = field_names[k];
	size_t n = 0, i, cl;
	const unsigned char *p;
	int rc;

	*present = 0;
	if (v)
		v = sk_trim(v, &n);
	if (!n)
		return required ? refuse(fault, name, SK_UTM_REQUIRED, err) : 0;
	if (n > SK_UTM_VALUE_MAX)
		return refuse(fault, name, SK_UTM_VALUE_TOO_LONG, err);
	p = (const unsigned char *)v;
	for (i = 0; i < n; i += cl) {
		if (!(cl = sk_utf8_char(p + i, n - i)))
			return refuse(fault, name, SK_UTM_NOT_UTF8, err);
		if (p[i] < 0x20 || p[i] == 0x7f || (p[i] == 0xc2 && p[i + 1] < 0xa0))
			return refuse(fault, name, SK_UTM_CONTROL, err);
	}
	if ((rc = sk_buf_appends(b, b->len ? "&" : "")) ||
	    (rc = sk_buf_appends(b, utm_keys[k])) || (rc = sk_buf_appends(b, "=")))
		goto nomem;
	for (i = 0; i < n; i++) {
		unsigned char ch = p[i];
		if (!keep_case) {
			if (ch >= 'A' && ch <= 'Z')
				ch |= 0x20;
			/* U+00C0..U+00DE but U+00D7 (x): their lowercase is 0x20 above */
			else if (i > 0 && p[i - 1] == 0xc3 && ch >= 0x80 && ch <= 0x9e && ch != 0x97)
				ch += 0x20;
		}
		if (is_unreserved(ch))
			rc = sk_buf_append(b, &ch, 1);
		else
			rc = sk_buf_append(b, (char[]){'%', hex[ch >> 4], hex[ch & 15]}, 3);
		if (rc)
			goto nomem;
	}
	*present = 1;
	return 0;
nomem:
	return sk_errf(err, SK_ERR_NOMEM, "out of memory");
}

/* 1 when the query parameter p[0..n) is named one of the five utm_* (its name compared
 * after decoding %XX, in any letter case). */
static int is_utm_param(const char *p, size_t n)
{
	char name[16];
	size_t i, o = 0;
	for (i = 0; i < n && p[i] != '='; i++) {
		unsigned char ch = (unsigned char)p[i];
		if (ch == '%' && i + 2 < n && is_hex((unsigned char)p[i + 1]) &&
		    is_hex((unsigned char)p[i + 2])) {
			ch = (unsigned char)(hexval((unsigned char)p[i + 1]) << 4 |
					     hexval((unsigned char)p[i + 2]));
			i += 2;
		}
		if (o + 1 >= sizeof(name))
			return 0;
		name[o++] = (char)ch;
	}
	name[o] = 0;
	for (size_t k = 0; k < sizeof(utm_keys) / sizeof(utm_keys[0]); k++)
		if (!strcasecmp(name, utm_keys[k]))
			return 1;
	return 0;
}

int sk_utm_build(const struct sk_utm_in *in, char **out, const char **field,
		 struct sk_errctx *err)
{
	struct sk_utm_fault fault;
	int rc = sk_utm_build_why(in, out, &fault, err);
	if (field)
		*field = fault.field;
	return rc;
}

int sk_utm_build_why(const struct sk_utm_in *in, char **out, struct sk_utm_fault *fault,
		     struct sk_errctx *err)
{
	struct sk_utm_fault ignored;
	const char *vals[5] = {in->source, in->medium, in->campaign, in->term, in->content};
	struct sk_buf tags, b;
	const char *q, *frag, *p;
	size_t baselen;
	int rc, present, any = 0;

	*out = NULL;
	if (!fault)
		fault = &ignored;
	fault->field = NULL;
	fault->why = SK_UTM_OK;
	sk_buf_init(&tags, OUT_CAP);
	sk_buf_init(&b, OUT_CAP);
	if ((rc = check_url(in->url, fault, err)))
		goto out;
	for (int k = 0; k < 5; k++)
		if ((rc = put_value(&tags, k, vals[k], k < 3, in->keep_case, &present, fault, err)))
			goto out;

	frag = in->url + strcspn(in->url, "#");
	q = memchr(in->url, '?', (size_t)(frag - in->url));
	baselen = (size_t)((q ? q : frag) - in->url);
	if ((rc = sk_buf_append(&b, in->url, baselen)) || (rc = sk_buf_appends(&b, "?")))
		goto nomem;
	/* the query's other parameters, in their order; empty ones ("&&") dropped */
	for (p = q ? q + 1 : frag; p < frag;) {
		const char *amp = memchr(p, '&', (size_t)(frag - p));
		size_t n = (size_t)((amp ? amp : frag) - p);
		if (n && !is_utm_param(p, n)) {
			if ((any && (rc = sk_buf_appends(&b, "&"))) || (rc = sk_buf_append(&b, p, n)))
				goto nomem;
			any = 1;
		}
		p += n + (amp != NULL);
	}
	if ((any && (rc = sk_buf_appends(&b, "&"))) ||
	    (rc = sk_buf_append(&b, tags.data, tags.len)) || (rc = sk_buf_appends(&b, frag)))
		goto nomem;
	*out = sk_buf_steal(&b, NULL);
	rc = 0;
	goto out;
nomem:
	rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
out:
	sk_buf_reset(&tags);
	sk_buf_reset(&b);
	return rc;
}

size_t sk_utm_faults(const struct sk_utm_in *in, struct sk_utm_fault out[SK_UTM_NFIELDS])
{
	const char *vals[5] = {in->source, in->medium, in->campaign, in->term, in->content};
	struct sk_errctx err;
	struct sk_buf scratch;
	size_t n = 0;
	int present;

	sk_buf_init(&scratch, OUT_CAP);
	if (check_url(in->url, &out[n], &err) == SK_ERR_INVALID)
		n++;
	for (int k = 0; k < 5; k++) {
		sk_buf_clear(&scratch);
		if (put_value(&scratch, k, vals[k], k < 3, in->keep_case, &present, &out[n], &err) ==
		    SK_ERR_INVALID)
			n++;
	}
	sk_buf_reset(&scratch);
	return n;
}
