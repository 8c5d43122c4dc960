/* serve_options.c: serve's options table (serve_options.h) and its sources: checking a value
 * against the table, the configuration file's keys, the environment's SAMTYCKE_* variables.
 * cmd_serve.c merges them with the flags and applies them. */
#include "cli/serve_options.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sync/sync.h" /* sk_delivery_proxy_check */
#include "util/conf.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/net.h"

const struct sk_serve_opt sk_serve_opts[SK_SO_COUNT] = {
#define SK__SO_ROW(id, key, kind, lo, hi, arg, more, def, reload, meaning)                   \
	[SK_SO_##id] = {key, SK_SO_##kind, lo, hi, arg, def, reload, meaning},
	SK_SERVE_OPTIONS(SK__SO_ROW)
#undef SK__SO_ROW
};

void sk_serve_src_reset(struct sk_serve_src *s)
{
	for (int i = 0; i < SK_SO_COUNT; i++)
		sk_free(s->v[i]);
	memset(s, 0, sizeof(*s));
}

int sk_serve_opt_find(const char *key)
{
	for (int i = 0; i < SK_SO_COUNT; i++)
		if (strcmp(sk_serve_opts[i].key, key) == 0)
			return i;
	return -1;
}

void sk_serve_env_name(const char *key, char *out, size_t outlen)
{
	size_t n = (size_t)snprintf(out, outlen, "SAMTYCKE_%s", key);
	for (size_t i = 9; i < n && i < outlen; i++)
		out[i] = out[i] == '-' ? '_' : (char)toupper((unsigned char)out[i]);
}

/* One of a CHOICE's words ("required|try"). */
static int choice_has(const char *words, const char *v)
{
	size_t n = strlen(v);
	for (const char *w = words; *w;) {
		size_t len = strcspn(w, "|");
		if (n && len == n && strncmp(w, v, n) == 0)
			return 1;
		w += len + (w[len] == '|');
	}
	return 0;
}

int sk_serve_opt_check(int id, const char *value, const char *where, struct sk_errctx *err)
{
	const struct sk_serve_opt *o = &sk_serve_opts[id];
	char *end;
	double v;
	switch (o->kind) {
	case SK_SO_INT:
	case SK_SO_NUM:
		v = strtod(value, &end);
		if (!*value || isspace((unsigned char)*value) || *end || !isfinite(v) || v < o->lo ||
		    v > o->hi || (o->kind == SK_SO_INT && v != floor(v)))
			return sk_errf(err, SK_ERR_USAGE, "%s: must be a %s from %.15g to %.15g", where,
				       o->kind == SK_SO_INT ? "whole number" : "number", o->lo, o->hi);
		return 0;
	case SK_SO_FLAG:
		if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
			return sk_errf(err, SK_ERR_USAGE, "%s: must be true or false", where);
		return 0;
	case SK_SO_CHOICE:
		if (!choice_has(o->arg, value))
			return sk_errf(err, SK_ERR_USAGE, "%s: must be one of %s", where, o->arg);
		return 0;
	default:
		if (!*value || strchr(value, '\n'))
			return sk_errf(err, SK_ERR_USAGE, "%s: needs a value", where);
		struct sk_cidr cidr;
		if (id == SK_SO_TRUSTED_PROXY && sk_cidr_parse(value, &cidr))
			return sk_errf(err, SK_ERR_USAGE, "%s: '%.64s' is not an IPv4 or IPv6 address "
				       "with an optional /PREFIX-LENGTH", where, value);
		if (id == SK_SO_LISTEN || id == SK_SO_METRICS_LISTEN) {
			struct sk_errctx e = {0};
			if (sk_http_listen_check(value, &e)) /* "--listen takes ..." */
				return sk_errf(err, SK_ERR_USAGE, "%s: %s", where,
					       strncmp(e.msg, "--listen ", 9) == 0 ? e.msg + 9 : e.msg);
		}
		if (id == SK_SO_WEBHOOK_PROXY) {
			struct sk_errctx e = {0};
			if (sk_delivery_proxy_check(value, &e))
				return sk_errf(err, SK_ERR_USAGE, "%s: %s", where, e.msg);
		}
		return 0;
	}
}

int sk_serve_src_set(struct sk_serve_src *s, int id, const char *value, const char *where,
		     struct sk_errctx *err)
{
	int rc = sk_serve_opt_check(id, value, where, err);
	if (rc)
		return rc;
	char *nv;
	if (sk_serve_opts[id].kind == SK_SO_LIST && s->v[id]) {
		size_t have = 1, a = strlen(s->v[id]), b = strlen(value);
		for (const char *p = s->v[id]; *p; p++)
			have += *p == '\n';
		if (have >= SK_MAX_TRUSTED_PROXIES)
			return sk_errf(err, SK_ERR_USAGE, "%s: at most %d values", where,
				       SK_MAX_TRUSTED_PROXIES);
		if ((nv = sk_malloc(a + b + 2))) {
			memcpy(nv, s->v[id], a);
			nv[a] = '\n';
			memcpy(nv + a + 1, value, b + 1);
		}
	} else {
		nv = sk_strdup(value);
	}
	if (!nv)
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	sk_free(s->v[id]);
	s->v[id] = nv;
	return 0;
}

int sk_serve_src_file(const char *path, struct sk_serve_src *out, struct sk_errctx *err)
{
	struct sk_conf conf;
	char where[600];
	struct stat st;
	memset(out, 0, sizeof(*out));
	/* a file others may write could name another database, key file or erasure log */
	if (stat(path, &st) == 0 && (st.st_mode & 022))
		return sk_errf(err, SK_ERR_USAGE, "%s: the configuration file may be written by "
			       "group or others: refused (chmod go-w %s)", path, path);
	int rc = sk_conf_read(path, &conf, err);
	for (size_t i = 0; !rc && i < conf.n; i++) {
		const struct sk_conf_entry *e = &conf.e[i];
		int id = sk_serve_opt_find(e->key);
		if (strcmp(e->key, "smtp-password") == 0)
			rc = sk_errf(err, SK_ERR_USAGE, "%s:%d: smtp-password: the configuration file "
				     "holds no secret; name a file readable by its owner only with "
				     "smtp-password-file", path, e->line);
		else if (id < 0)
			rc = sk_errf(err, SK_ERR_USAGE, "%s:%d: unknown key \"%s\"", path, e->line,
				     e->key);
		else if (out->v[id] && sk_serve_opts[id].kind != SK_SO_LIST)
			rc = sk_errf(err, SK_ERR_USAGE, "%s:%d: %s given twice (first on line %d)",
				     path, e->line, e->key, out->line[id]);
		if (rc)
			break;
		snprintf(where, sizeof(where), "%s:%d: %s", path, e->line, e->key);
		if ((rc = sk_serve_src_set(out, id, e->value, where, err)))
			break;
		if (!out->line[id])
			out->line[id] = e->line;
	}
	sk_conf_reset(&conf);
	if (rc)
		sk_serve_src_reset(out);
	return rc;
}

int sk_serve_src_env(struct sk_serve_src *out, struct sk_errctx *err)
{
	char name[64];
	int rc = 0;
	memset(out, 0, sizeof(*out));
	for (int id = 0; !rc && id < SK_SO_COUNT; id++) {
		sk_serve_env_name(sk_serve_opts[id].key, name, sizeof(name));
		const char *v = getenv(name);
		if (!v || !*v)
			continue;
		if (sk_serve_opts[id].kind != SK_SO_LIST) {
			rc = sk_serve_src_set(out, id, v, name, err);
			continue;
		}
		char *copy = sk_strdup(v), *save = NULL;
		if (!copy)
			rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
		for (char *t = copy ? strtok_r(copy, ", \t", &save) : NULL; t && !rc;
		     t = strtok_r(NULL, ", \t", &save))
			rc = sk_serve_src_set(out, id, t, name, err);
		sk_free(copy);
	}
	if (rc)
		sk_serve_src_reset(out);
	return rc;
}
