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

size_t sk_log_json_escape(char *out, size_t cap, const char *s)
{
	size_t n = 0;
	for (; *s && n + 7 < cap; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\') {
			out[n++] = '\\';
			out[n++] = (char)ch;
		} else if (ch < 0x20) {
			n += (size_t)snprintf(out + n, cap - n, "\\u%04x", ch);
		} else {
			out[n++] = (char)ch;
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
