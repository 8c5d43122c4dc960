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

int sk_random(void *p, size_t len)
{
	uint8_t *q = p;
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
