/* public.c: what the public pages' handlers share (the forms, h_forms.c, and the preference
 * centre, h_prefs.c): the page's language, whether an Origin is the server's own, the client
 * address's rate-limit bucket, and the x-www-form-urlencoded body parser. */
#include <microhttpd.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/http_int.h"
#include "util/mem.h"
#include "util/str.h"

int sk_page_lang(struct sk_req *r, const char *given)
{
	r->vary_lang = 1;
	const char *q = given ? given : sk_req_arg(r, "lang");
	if (q && sk_lang_from_name(q) >= 0)
		return sk_lang_from_name(q);
	const char *al = sk_req_header(r, MHD_HTTP_HEADER_ACCEPT_LANGUAGE);
	for (const char *p = al; p && *p;) {
		p += strspn(p, " ,");
		if (strncasecmp(p, "sv", 2) == 0)
			return SK_LANG_SV;
		if (strncasecmp(p, "en", 2) == 0)
			return SK_LANG_EN;
		p += strcspn(p, ",");
	}
	return SK_LANG_EN;
}

/* The origin of url (scheme://host[:port], its path left out) in out; "" when url has none. */
static void origin_of(const char *url, char *out, size_t outlen)
{
	const char *sep = url ? strstr(url, "://") : NULL;
	size_t n = sep ? (size_t)(sep + 3 - url) + strcspn(sep + 3, "/?#") : 0;
	snprintf(out, outlen, "%.*s", n < outlen ? (int)n : 0, sep ? url : "");
}

int sk_origin_own(struct sk_req *r, const char *origin)
{
	const struct sk_server_config *cfg = sk_server_cfg();
	const char *host = sk_req_header(r, MHD_HTTP_HEADER_HOST);
	char own[300];
	if (!origin)
		return 1;
	origin_of(cfg->public_url, own, sizeof(own));
	if (own[0] && strcmp(own, origin) == 0)
		return 1;
	/* The request's own Host is the client's to write: with --public-url given, only that
	 * URL is our own origin (a rebound name must not pass as ours). Without it (the default
	 * http://LISTEN), the Host the browser used (localhost for 127.0.0.1, say) is ours too. */
	for (int i = 0; host && (!cfg->public_url || cfg->public_url_default) && i < 2; i++) {
		snprintf(own, sizeof(own), "%s://%s", i ? "https" : "http", host);
		if (strcmp(own, origin) == 0)
			return 1;
	}
	return 0;
}

void sk_client_bucket(const struct sk_req *r, char *out, size_t outlen)
{
	/* An IPv6 client's bucket is its /64: one host commonly holds the whole prefix, and a
	 * bucket per address would let it post without limit. */
	struct sk_ipaddr a;
	if (sk_ip_parse(r->ip, strlen(r->ip), &a) == 0 && a.family == AF_INET6) {
		memset(a.a + 8, 0, 8);
		char net[64];
		sk_ip_format(&a, net, sizeof(net));
		snprintf(out, outlen, "ip:%s/64", net);
	} else {
		snprintf(out, outlen, "ip:%s", r->ip);
	}
}

int sk_req_urlencoded(struct sk_req *r, sk_pair_fn take, void *arg, char **store)
{
	char *p = *store = sk_strndup(r->body.data ? r->body.data : "", r->body.len);
	if (!p)
		return sk_errf(&r->err, SK_ERR_NOMEM, "out of memory");
	while (*p) {
		char *amp = p + strcspn(p, "&"), *eq;
		int last = *amp == '\0';
		*amp = '\0';
		if (*p) {
			eq = strchr(p, '=');
			char *v = eq ? eq + 1 : p + strlen(p);
			if (eq)
				*eq = '\0';
			for (char *c = p; *c; c++)
				*c = *c == '+' ? ' ' : *c;
			for (char *c = v; *c; c++)
				*c = *c == '+' ? ' ' : *c;
			/* a %00 would cut a value short without a word (offers%00x as offers) */
			size_t np = MHD_http_unescape(p), nv = MHD_http_unescape(v);
			if (np != strlen(p) || nv != strlen(v))
				return sk_errf(&r->err, SK_ERR_INVALID, "a form field holds a NUL byte (%%00)");
			if (np == 0)
				return sk_errf(&r->err, SK_ERR_INVALID, "a form field has no name");
			int rc = take(arg, r, p, v);
			if (rc)
				return rc;
		}
		if (last)
			break;
		p = amp + 1;
	}
	return 0;
}

/* sk_req_form's pair: the field's slot, once. */
static int form_take(void *arg, struct sk_req *r, const char *k, const char *v)
{
	const struct sk_post_field *f = arg;
	for (; f->name; f++) {
		if (strcmp(f->name, k) != 0)
			continue;
		if (!f->value)
			return 0;
		if (*f->value)
			return sk_errf(&r->err, SK_ERR_INVALID, "field '%s' is given twice", k);
		*f->value = v;
		return 0;
	}
	return sk_errf(&r->err, SK_ERR_INVALID, "this form has no field '%.32s'", k);
}

int sk_req_form(struct sk_req *r, const struct sk_post_field *fields, char **store)
{
	for (const struct sk_post_field *f = fields; f->name; f++)
		if (f->value)
			*f->value = NULL;
	return sk_req_urlencoded(r, form_take, (void *)fields, store);
}
