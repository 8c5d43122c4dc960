/* conf.c: the configuration file's syntax (conf.h): lines into key, value and line number;
 * what the keys mean is the caller's (src/cli/serve_options.c for serve). */
#include "util/conf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/err.h"
#include "util/mem.h"

void sk_conf_reset(struct sk_conf *c)
{
	for (size_t i = 0; i < c->n; i++) {
		sk_free(c->e[i].key);
		sk_free(c->e[i].value);
	}
	sk_free(c->e);
	c->e = NULL;
	c->n = 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* One line (without its newline, NUL-terminated in place) into key and value. */
static int parse_line(const char *path, int lineno, char *s, struct sk_conf *out,
		      struct sk_errctx *err)
{
	while (is_space(*s))
		s++;
	if (!*s || *s == '#')
		return 0;
	char *eq = strchr(s, '=');
	if (!eq)
		return sk_errf(err, SK_ERR_USAGE, "%s:%d: no \"=\" (a line is key = value)", path,
			       lineno);
	char *kend = eq;
	while (kend > s && is_space(kend[-1]))
		kend--;
	if (kend == s)
		return sk_errf(err, SK_ERR_USAGE, "%s:%d: no key before \"=\"", path, lineno);
	for (char *k = s; k < kend; k++)
		if (!is_key_char(*k))
			return sk_errf(err, SK_ERR_USAGE, "%s:%d: a key is letters, digits and "
				       "\"-\" only", path, lineno);
	char *v = eq + 1, *vend;
	while (is_space(*v))
		v++;
	if (*v == '"') {
		char *w = ++v, *r = v;
		for (;; r++) {
			if (!*r)
				return sk_errf(err, SK_ERR_USAGE, "%s:%d: unclosed quote", path,
					       lineno);
			if (*r == '"')
				break;
			if (*r == '\\') {
				if (r[1] != '"' && r[1] != '\\')
					return sk_errf(err, SK_ERR_USAGE, "%s:%d: unknown escape "
						       "(only \\\" and \\\\)", path, lineno);
				r++;
			}
			*w++ = *r;
		}
		vend = w;
		for (r++; is_space(*r); r++)
			;
		if (*r && *r != '#')
			return sk_errf(err, SK_ERR_USAGE, "%s:%d: text after the closing quote",
				       path, lineno);
	} else {
		vend = v + strcspn(v, "#");
		while (vend > v && is_space(vend[-1]))
			vend--;
	}
	struct sk_conf_entry *e = sk_realloc(out->e, (out->n + 1) * sizeof(*e));
	if (!e)
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	out->e = e;
	e += out->n;
	e->key = sk_strndup(s, (size_t)(kend - s));
	e->value = sk_strndup(v, (size_t)(vend - v));
	e->line = lineno;
	out->n++; /* counted even when a copy failed, so that reset frees the other */
	if (!e->key || !e->value)
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	return 0;
}

int sk_conf_parse(const char *path, const char *text, struct sk_conf *out,
		  struct sk_errctx *err)
{
	char *copy = sk_strdup(text);
	int rc = 0, lineno = 0;
	out->e = NULL;
	out->n = 0;
	if (!copy)
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	for (char *line = copy; line && !rc;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		rc = parse_line(path, ++lineno, line, out, err);
		line = nl ? nl + 1 : NULL;
	}
	sk_free(copy);
	if (rc)
		sk_conf_reset(out);
	return rc;
}

int sk_conf_read(const char *path, struct sk_conf *out, struct sk_errctx *err)
{
	out->e = NULL;
	out->n = 0;
	FILE *f = fopen(path, "re");
	if (!f)
		return sk_errf(err, SK_ERR_USAGE, "cannot read the configuration file %s: %s", path,
			       strerror(errno));
	char *text = sk_malloc(SK_CONF_MAX_BYTES + 1);
	size_t n = text ? fread(text, 1, SK_CONF_MAX_BYTES + 1, f) : 0;
	int bad = ferror(f);
	fclose(f);
	int rc;
	if (!text)
		rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
	else if (bad)
		rc = sk_errf(err, SK_ERR_USAGE, "cannot read the configuration file %s", path);
	else if (n > SK_CONF_MAX_BYTES)
		rc = sk_errf(err, SK_ERR_USAGE, "%s: longer than %d bytes", path, SK_CONF_MAX_BYTES);
	else if (memchr(text, '\0', n))
		rc = sk_errf(err, SK_ERR_USAGE, "%s: not a text file", path);
	else {
		text[n] = '\0';
		rc = sk_conf_parse(path, text, out, err);
	}
	sk_free(text);
	return rc;
}
