/* log.h: the server's own lines on stderr (not the access log): "samtycke: MESSAGE", or with
 * serve --log-format json one JSON object per line (docs/operations.md, "Metrics and logs").
 * A message never holds personal data: ids and counts only. */
#ifndef SK_LOG_H
#define SK_LOG_H

#include <stddef.h>

enum sk_log_level { SK_LOG_INFO, SK_LOG_WARN, SK_LOG_ERROR };

/* 0: text (the default), 1: JSON. Set once by serve before its threads start (or on SIGHUP,
 * between lines: each line is written whole with one write). */
void sk_log_set_json(int json);
int sk_log_json(void);
/* Writes one line to stderr, whole. */
void sk_log(enum sk_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes s into out (cap bytes, NUL included) as the body of a JSON string: quote, backslash
 * and control bytes (DEL too) escaped, well-formed UTF-8 as it is, any other byte as \ufffd
 * (so that the line is valid JSON whatever s holds); cut short to fit, never inside a
 * character. Returns its length.
 * The access log's JSON lines use it too. */
size_t sk_log_json_escape(char *out, size_t cap, const char *s);

#endif
