/* log.c: the server's own lines on stderr, as text or as one JSON object per line
 * (util/log.h). Each line goes out in one write(2), so lines of threads never interleave. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "util/sktime.h"

static atomic_int log_json;

void sk_log_set_json(int json)
{
	atomic_store(&log_json, json != 0);
}

int sk_log_json(void)
{
	return atomic_load(&log_json);
}

static const char *level_name(enum sk_log_level level)
{
	return level == SK_LOG_ERROR ? "error" : level == SK_LOG_WARN ? "warning" : "info";
}

/* The length of the well-formed UTF-8 sequence at s (1 to 4), or 0 when the bytes there are
 * none (a stray continuation byte, an overlong form, a surrogate, beyond U+10FFFF, cut). */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf; /* the range of the second byte */
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
	else
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

size_t sk_log_json_escape(char *out, size_t cap, const char *s)
{
	size_t n = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p && n + 7 < cap) {
		unsigned char ch = *p;
		size_t len;
		if (ch == '"' || ch == '\\') {
			out[n++] = '\\';
			out[n++] = (char)ch;
			p++;
		} else if (ch < 0x20 || ch == 0x7f) {
			n += (size_t)snprintf(out + n, cap - n, "\\u%04x", ch);
			p++;
		} else if (ch < 0x80) {
			out[n++] = (char)ch;
			p++;
		} else if ((len = utf8_len(p))) {
			memcpy(out + n, p, len); /* len <= 4 < 7: it fits */
			n += len;
			p += len;
		} else {
			/* not UTF-8: U+FFFD, so that the line stays valid JSON */
			memcpy(out + n, "\\ufffd", 6);
			n += 6;
			p++;
		}
	}
	if (cap)
		out[n] = '\0';
	return n;
}

void sk_log(enum sk_log_level level, const char *fmt, ...)
{
	char msg[1024], line[3072];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	size_t n;
	if (!sk_log_json()) {
		int k = snprintf(line, sizeof(line), "samtycke: %s\n", msg);
		n = k < 0 ? 0 : (size_t)k < sizeof(line) ? (size_t)k : sizeof(line) - 1;
	} else {
		char at[SK_TIME_STRLEN];
		sk_time_format(sk_time_now(), at);
		int k = snprintf(line, sizeof(line), "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":\"", at,
				 level_name(level));
		n = (size_t)k;
		n += sk_log_json_escape(line + n, sizeof(line) - n - 3, msg);
		memcpy(line + n, "\"}\n", 3);
		n += 3;
	}
	if (n && write(STDERR_FILENO, line, n) < 0)
		return;
}
