/* str.c: hex, ids and bounded copies. */
#include "util/str.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "util/err.h"

void sk_hex(const uint8_t *p, size_t len, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * len] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int sk_unhex(const char *s, uint8_t *out, size_t len)
{
	if (strlen(s) != 2 * len)
		return SK_ERR_INVALID;
	for (size_t i = 0; i < len; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return SK_ERR_INVALID;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static _Thread_local int (*random_source)(void *p, size_t len);

void sk_random_set_source(int (*fn)(void *p, size_t len))
{
	random_source = fn;
}

int sk_random(void *p, size_t len)
{
	uint8_t *q = p;
	if (random_source)
		return random_source(p, len);
	while (len) {
		ssize_t n = getrandom(q, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return SK_ERR_IO;
		}
		q += n;
		len -= (size_t)n;
	}
	return 0;
}

int sk_id_new_at(const char prefix[2], uint64_t ms, char out[SK_ID_LEN + 1])
{
	/* base32 digits in ASCII order, so that ids compare as their times do */
	static const char b32[] = "234567abcdefghijklmnopqrstuvwxyz";
	uint8_t r[9];
	if (sk_random(r, sizeof(r)))
		return SK_ERR_IO;
	out[0] = prefix[0];
	out[1] = prefix[1];
	/* 10 characters of milliseconds (50 bits), so that new ids sort after old ones and
	 * land at the end of their B-trees; then 14 random characters (70 bits). */
	for (int i = 9; i >= 0; i--, ms >>= 5)
		out[2 + i] = b32[ms & 31];
	for (int i = 0; i < 14; i++) {
		int bit = i * 5, byte = bit / 8, off = bit % 8;
		unsigned v = (unsigned)r[byte] << 8 | (byte + 1 < 9 ? r[byte + 1] : 0);
		out[12 + i] = b32[(v >> (11 - off)) & 31];
	}
	out[SK_ID_LEN] = '\0';
	return 0;
}

int sk_id_new(const char prefix[2], char out[SK_ID_LEN + 1])
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return sk_id_new_at(prefix, (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000, out);
}

const char *sk_trim(const char *s, size_t *outlen)
{
	size_t n;
	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	*outlen = n;
	return s;
}

int sk_strlcpy(char *out, const char *s, size_t outlen)
{
	size_t n = strlen(s);
	if (n >= outlen) {
		memcpy(out, s, outlen - 1);
		out[outlen - 1] = '\0';
		return SK_ERR_TOO_LARGE;
	}
	memcpy(out, s, n + 1);
	return 0;
}

/* ---- URLs and sources without personal parts ---- */

/* Length of the valid UTF-8 character at p (at most n bytes available), or 0 when p does
 * not start one (stray continuation, overlong form, surrogate, beyond U+10FFFF, cut). */
size_t sk_utf8_char(const unsigned char *p, size_t n)
{
	size_t len;
	uint32_t cp;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* Output with a hard cap: whole UTF-8 characters only, controls and invalid bytes dropped. */
struct ubuf {
	char *out;
	size_t len, cap; /* cap: bytes available for text, terminator excluded */
	int cut;
};

static void ub_put(struct ubuf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n && !b->cut) {
		size_t k = sk_utf8_char(p + i, n - i);
		if (k == 0 || (k == 1 && (p[i] < 0x20 || p[i] == 0x7f))) {
			i++; /* dropped */
			continue;
		}
		if (b->len + k > b->cap) {
			b->cut = 1;
			break;
		}
		memcpy(b->out + b->len, p + i, k);
		b->len += k;
		i += k;
	}
}

static int ub_end(struct ubuf *b)
{
	if (b->out)
		b->out[b->len] = '\0';
	return b->cut ? SK_ERR_TOO_LARGE : 0;
}

/* The length of the scheme at s ("https" in "https://"), or 0 when s has none. */
static size_t url_scheme(const char *s, size_t n)
{
	size_t i = 0;
	if (n == 0 || !isalpha((unsigned char)s[0]))
		return 0;
	while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
		i++;
	return i < n && s[i] == ':' ? i : 0;
}

static void url_strip_n(struct ubuf *b, const char *s, size_t n)
{
	size_t sch = url_scheme(s, n), i = 0;
	if (sch) {
		ub_put(b, s, sch + 1); /* "scheme:" */
		i = sch + 1;
		if (!(n - i >= 2 && s[i] == '/' && s[i + 1] == '/'))
			return; /* opaque (mailto:, tel:, data:): the rest is the person */
	}
	if (n - i >= 2 && s[i] == '/' && s[i + 1] == '/') {
		size_t a = i + 2, e = a, at = 0;
		while (e < n && s[e] != '/' && s[e] != '?' && s[e] != '#') {
			if (s[e] == '@')
				at = e + 1; /* the last '@' ends the userinfo */
			e++;
		}
		ub_put(b, "//", 2);
		if (at)
			a = at;
		ub_put(b, s + a, e - a);
		i = e;
	}
	size_t e = i;
	while (e < n && s[e] != '?' && s[e] != '#')
		e++;
	ub_put(b, s + i, e - i);
}

int sk_url_strip(const char *in, char *out, size_t outlen)
{
	struct ubuf b = {out, 0, outlen ? outlen - 1 : 0, outlen == 0};
	if (outlen)
		url_strip_n(&b, in, strlen(in));
	return ub_end(&b);
}

int sk_source_strip(const char *in, char *out, size_t outlen)
{
	struct ubuf b = {out, 0, outlen ? outlen - 1 : 0, outlen == 0};
	const char *p = in;
	while (outlen && *p && !b.cut) {
		size_t ws = 0, w = 0;
		while (p[ws] && isspace((unsigned char)p[ws]))
			ws++;
		ub_put(&b, p, ws);
		p += ws;
		while (p[w] && !isspace((unsigned char)p[w]))
			w++;
		const char *q = memchr(p, '?', w);
		size_t j = 0, st;
		while (j + 3 <= w && memcmp(p + j, "://", 3) != 0)
			j++;
		if (j + 3 <= w) {
			/* the URL starts at its scheme; what comes before it ("page=") is kept */
			for (st = j; st && (isalnum((unsigned char)p[st - 1]) || p[st - 1] == '+' ||
					    p[st - 1] == '-' || p[st - 1] == '.'); st--)
				;
			ub_put(&b, p, st);
			url_strip_n(&b, p + st, w - st);
		} else if (w && (p[0] == '/' || q)) {
			size_t e = 0;
			while (e < w && p[e] != '?' && p[e] != '#')
				e++;
			ub_put(&b, p, e);
		} else {
			ub_put(&b, p, w);
		}
		p += w;
	}
	return ub_end(&b);
}
