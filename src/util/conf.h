/* conf.h: the syntax of serve's configuration file (docs/operations.md, "Configuration"):
 * `key = value` lines as in postgresql.conf, # comments, blank lines, a value optionally
 * double-quoted (then \" and \\ are its only escapes). Keys are checked by the caller. */
#ifndef SK_CONF_H
#define SK_CONF_H

#include <stddef.h>

struct sk_errctx;

#define SK_CONF_MAX_BYTES (1 << 20) /* a longer file is refused */

struct sk_conf_entry {
	char *key;
	char *value;
	int line;
};

struct sk_conf {
	struct sk_conf_entry *e;
	size_t n;
};

/* Parses text (named path in errors): SK_ERR_USAGE "PATH:LINE: WHY" on a line without "=",
 * an empty or malformed key, an unclosed quote, an unknown escape or text after a closing
 * quote. out is empty on failure. */
int sk_conf_parse(const char *path, const char *text, struct sk_conf *out,
		  struct sk_errctx *err);
/* Reads and parses the file path; SK_ERR_USAGE also when it cannot be read. */
int sk_conf_read(const char *path, struct sk_conf *out, struct sk_errctx *err);
void sk_conf_reset(struct sk_conf *c);

#endif
