/* policy.c: reads the YAML policy file into struct sk_policy. libyaml's events become a small
 * tree of nodes that remember their lines; the tree is then validated key by key, so that each
 * error names the file, the line and the key path. Also the field value checks and lookups of
 * purposes, fields and forms. */
#include "core/policy.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "util/err.h"
#include "util/mem.h"

#define MAX_BYTES (1024 * 1024)
#define MAX_SCALAR (64 * 1024)
#define MAX_DEPTH 16
#define MAX_PURPOSES 200
#define MAX_FIELDS 200
#define MAX_ID 63
#define MAX_FORMS 100
#define MAX_FORM_FIELDS 64
#define MAX_FORM_CONSENTS 32
#define MAX_FORM_ORIGINS 16
#define MAX_BANNER_PURPOSES 8
#define MAX_HOST 253
#define MAX_BRAND_URL 500
#define MIN_CONTRAST 4.5 /* WCAG 2 AA, normal text */

static const char *const lang_names[] = {"sv", "en", NULL};
static const char *const basis_names[] = {"consent", "legitimate_interest", "contract",
					  "legal_obligation", NULL};
static const char *const kind_names[] = {"communication", "profiling", "tracking", "other", NULL};
static const char *const type_names[] = {"email", "text", "phone", "country", NULL};
/* The longest value each field type takes; text fields may set their own. */
static const int type_max_length[] = {254, 200, 32, 2};

enum node_kind { NODE_MAP, NODE_SEQ, NODE_SCALAR };

struct node {
	enum node_kind kind;
	int line;             /* 1-based line where the node starts */
	int keyline;          /* for a mapping value, the line of its key; else line */
	char *str;            /* a scalar's text */
	const char *key;      /* a mapping key's text (for the key node and its value) */
	size_t index;         /* a list item's position */
	struct node *parent;
	struct node **kids;   /* mapping: key, value, key, value ...; list: the items */
	size_t nkids, alloc;
};

struct pctx {
	const char *file;
	struct sk_errctx *err;
	int flags;            /* SK_POLICY_PARSE_* */
};

/* --- errors -------------------------------------------------------------------------------- */

static void path_of(const struct node *n, char *buf, size_t size)
{
	if (!n->parent) {
		buf[0] = '\0';
		return;
	}
	path_of(n->parent, buf, size);
	size_t len = strlen(buf);
	if (n->parent->kind == NODE_SEQ)
		snprintf(buf + len, size - len, "[%zu]", n->index);
	else if (n->key)
		snprintf(buf + len, size - len, "%s%s", len ? "." : "", n->key);
}

static int perr(struct pctx *c, int line, const struct node *n, const char *key,
		const char *what)
{
	char path[256];
	path_of(n, path, sizeof(path));
	if (key) {
		size_t len = strlen(path);
		snprintf(path + len, sizeof(path) - len, "%s%s", len ? "." : "", key);
	}
	return sk_errf(c->err, SK_ERR_POLICY, "%s:%d: %s: %s", c->file, line,
		       path[0] ? path : "document", what);
}

/* An error about node n, on its line. */
static int __attribute__((format(printf, 3, 4)))
bad(struct pctx *c, const struct node *n, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return perr(c, n->line, n, NULL, what);
}

/* A required key is absent from map: reported on the line that introduces the map. */
static int missing(struct pctx *c, const struct node *map, const char *key)
{
	return perr(c, map->keyline, map, key, "missing");
}

static int nomem(struct pctx *c)
{
	return sk_errf(c->err, SK_ERR_NOMEM, "%s: out of memory while reading the policy", c->file);
}

/* --- the node tree ------------------------------------------------------------------------- */

static void node_free(struct node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	sk_free(n->kids);
	sk_free(n->str);
	sk_free(n);
}

static struct node *node_new(struct node *parent, enum node_kind kind, const yaml_mark_t *mark)
{
	struct node *n = sk_calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = kind;
	n->line = n->keyline = (int)mark->line + 1;
	n->parent = parent;
	if (parent && parent->kind == NODE_SEQ) {
		n->index = parent->nkids;
	} else if (parent && parent->nkids % 2 == 1) {
		n->key = parent->kids[parent->nkids - 1]->str;
		n->keyline = parent->kids[parent->nkids - 1]->line;
	}
	return n;
}

/* Appends n to its parent (or makes it the root); on error the caller still owns n. */
static int node_attach(struct pctx *c, struct node *n, struct node **root)
{
	struct node *p = n->parent;
	if (!p) {
		*root = n;
		return 0;
	}
	if (p->kind == NODE_MAP && p->nkids % 2 == 0) {
		if (n->kind != NODE_SCALAR)
			return bad(c, n, "mapping keys must be strings");
		n->key = n->str;
		for (size_t i = 0; i < p->nkids; i += 2)
			if (strcmp(p->kids[i]->str, n->str) == 0)
				return bad(c, n, "duplicate key");
	}
	if (p->nkids == p->alloc) {
		size_t alloc = p->alloc ? p->alloc * 2 : 8;
		struct node **kids = sk_realloc(p->kids, alloc * sizeof(*kids));
		if (!kids)
			return nomem(c);
		p->kids = kids;
		p->alloc = alloc;
	}
	p->kids[p->nkids++] = n;
	return 0;
}

static int tree_event(struct pctx *c, const yaml_event_t *ev, struct node **root,
		      struct node **cur, int *depth)
{
	enum node_kind kind;
	const yaml_char_t *anchor;
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (*root)
			return sk_errf(c->err, SK_ERR_POLICY, "%s:%d: document: only one document is "
				       "allowed", c->file, (int)ev->start_mark.line + 1);
		return 0;
	case YAML_ALIAS_EVENT:
		return sk_errf(c->err, SK_ERR_POLICY, "%s:%d: document: anchors and aliases are not "
			       "allowed", c->file, (int)ev->start_mark.line + 1);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		*cur = (*cur)->parent;
		(*depth)--;
		return 0;
	case YAML_SCALAR_EVENT:
		kind = NODE_SCALAR;
		anchor = ev->data.scalar.anchor;
		break;
	case YAML_SEQUENCE_START_EVENT:
		kind = NODE_SEQ;
		anchor = ev->data.sequence_start.anchor;
		break;
	case YAML_MAPPING_START_EVENT:
		kind = NODE_MAP;
		anchor = ev->data.mapping_start.anchor;
		break;
	default:
		return 0;
	}

	struct node *n = node_new(*cur, kind, &ev->start_mark);
	if (!n)
		return nomem(c);
	int rc = 0;
	if (anchor) {
		rc = bad(c, n, "anchors and aliases are not allowed");
	} else if (kind == NODE_SCALAR) {
		const char *s = (const char *)ev->data.scalar.value;
		size_t len = ev->data.scalar.length;
		if (len > MAX_SCALAR)
			rc = bad(c, n, "value longer than %d bytes", MAX_SCALAR);
		else if (memchr(s, '\0', len))
			rc = bad(c, n, "value contains a NUL character");
		else if (!(n->str = sk_strndup(s, len)))
			rc = nomem(c);
	} else if (*depth >= MAX_DEPTH) {
		rc = bad(c, n, "nested deeper than %d levels", MAX_DEPTH);
	}
	if (!rc)
		rc = node_attach(c, n, root);
	if (rc) {
		node_free(n);
		return rc;
	}
	if (kind != NODE_SCALAR) {
		*cur = n;
		(*depth)++;
	}
	return 0;
}

static int syntax_error(struct pctx *c, const yaml_parser_t *parser, const char *text, size_t len)
{
	if (parser->error == YAML_MEMORY_ERROR)
		return nomem(c);
	int line = (int)parser->problem_mark.line + 1;
	if (parser->error == YAML_READER_ERROR) {
		line = 1;
		for (size_t i = 0; i < parser->problem_offset && i < len; i++)
			line += text[i] == '\n';
	}
	return sk_errf(c->err, SK_ERR_POLICY, "%s:%d: syntax error: %s%s%s%s", c->file, line,
		       parser->problem ? parser->problem : "malformed YAML",
		       parser->context ? " (" : "", parser->context ? parser->context : "",
		       parser->context ? ")" : "");
}

static int tree_build(struct pctx *c, const char *text, size_t len, struct node **out)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct node *root = NULL, *cur = NULL;
	int depth = 0, done = 0, rc = 0;

	if (!yaml_parser_initialize(&parser))
		return nomem(c);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = syntax_error(c, &parser, text, len);
			goto out;
		}
		rc = tree_event(c, &ev, &root, &cur, &depth);
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
		if (rc)
			goto out;
	}
	if (!root || root->kind != NODE_MAP) {
		rc = sk_errf(c->err, SK_ERR_POLICY, "%s:%d: document: expected a mapping", c->file,
			     root ? root->line : 1);
		goto out;
	}
	*out = root;
	root = NULL;
out:
	node_free(root);
	yaml_parser_delete(&parser);
	return rc;
}

/* --- reading values from the tree ---------------------------------------------------------- */

static const struct node *map_get(const struct node *map, const char *key)
{
	for (size_t i = 0; i + 1 < map->nkids; i += 2)
		if (strcmp(map->kids[i]->str, key) == 0)
			return map->kids[i + 1];
	return NULL;
}

static int want(struct pctx *c, const struct node *n, enum node_kind kind)
{
	static const char *const what[] = {"a mapping", "a list", "a string"};
	return n->kind == kind ? 0 : bad(c, n, "expected %s", what[kind]);
}

/* Every key of map must be one of allowed (NULL-terminated). */
static int check_keys(struct pctx *c, const struct node *map, const char *const *allowed)
{
	for (size_t i = 0; i < map->nkids; i += 2) {
		const char *const *a = allowed;
		while (*a && strcmp(*a, map->kids[i]->str) != 0)
			a++;
		if (!*a)
			return bad(c, map->kids[i], "unknown key");
	}
	return 0;
}

/* The value under key, which must be of the given kind; *out is NULL when absent and optional. */
static int get_node(struct pctx *c, const struct node *map, const char *key, int required,
		    enum node_kind kind, const struct node **out)
{
	*out = map_get(map, key);
	if (!*out)
		return required ? missing(c, map, key) : 0;
	return want(c, *out, kind);
}

static int get_str(struct pctx *c, const struct node *map, const char *key, char **out)
{
	const struct node *n;
	int rc = get_node(c, map, key, 1, NODE_SCALAR, &n);
	if (rc)
		return rc;
	if (strspn(n->str, " \t\r\n") == strlen(n->str))
		return bad(c, n, "must not be empty");
	*out = sk_strdup(n->str);
	return *out ? 0 : nomem(c);
}

/* A mapping of language to text, such as {sv: ..., en: ...}; required: both languages. */
static int get_texts(struct pctx *c, const struct node *map, const char *key, int required,
		     char *out[SK_NLANG])
{
	const struct node *t;
	int rc = get_node(c, map, key, required, NODE_MAP, &t);
	if (rc || !t)
		return rc;
	if ((rc = check_keys(c, t, lang_names)))
		return rc;
	for (int l = 0; l < SK_NLANG; l++)
		if ((required || map_get(t, lang_names[l])) &&
		    (rc = get_str(c, t, lang_names[l], &out[l])))
			return rc;
	return 0;
}

static int get_enum(struct pctx *c, const struct node *map, const char *key,
		    const char *const *names, int *out)
{
	const struct node *n;
	int rc = get_node(c, map, key, 1, NODE_SCALAR, &n);
	if (rc)
		return rc;
	char list[128] = "";
	for (int i = 0; names[i]; i++) {
		if (strcmp(names[i], n->str) == 0) {
			*out = i;
			return 0;
		}
		size_t len = strlen(list);
		snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "", names[i]);
	}
	return bad(c, n, "expected one of %s", list);
}

static int get_duration(struct pctx *c, const struct node *map, const char *key,
			struct sk_duration *out)
{
	const struct node *n;
	int rc = get_node(c, map, key, 0, NODE_SCALAR, &n);
	if (rc || !n)
		return rc;
	if (sk_duration_parse(n->str, out))
		return bad(c, n, "expected a duration such as '24 months'");
	return 0;
}

static int get_bool(struct pctx *c, const struct node *map, const char *key, int *out)
{
	const struct node *n;
	int rc = get_node(c, map, key, 0, NODE_SCALAR, &n);
	if (rc || !n)
		return rc;
	if (strcasecmp(n->str, "true") == 0 || strcasecmp(n->str, "yes") == 0)
		*out = 1;
	else if (strcasecmp(n->str, "false") == 0 || strcasecmp(n->str, "no") == 0)
		*out = 0;
	else
		return bad(c, n, "expected true or false");
	return 0;
}

/* A mapping key used as an id (purpose id, field name). */
static int check_id(struct pctx *c, const struct node *k)
{
	const char *s = k->str;
	size_t len = strlen(s);
	int ok = len >= 1 && len <= MAX_ID && s[0] >= 'a' && s[0] <= 'z';
	for (size_t i = 1; ok && i < len; i++)
		ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_';
	if (!ok)
		return bad(c, k, "expected an id: a lowercase letter, then lowercase letters, "
			   "digits or '_', at most %d characters", MAX_ID);
	return 0;
}

/* --- the policy ---------------------------------------------------------------------------- */

/* "https://" or "http://" followed by something. */
static int http_url_ok(const char *u)
{
	return (strncmp(u, "https://", 8) == 0 && u[8]) || (strncmp(u, "http://", 7) == 0 && u[7]);
}

/* organisation.address: one line, or a mapping of its parts (street_address required;
 * postal_code, locality, region, country optional), kept as parts and joined into the one
 * line ("street, postal_code locality, region, country") that notices and exports print. */
static int parse_address(struct pctx *c, const struct node *org, struct sk_policy *p)
{
	static const char *const keys[] = {"street_address", "postal_code", "locality", "region",
					   "country", NULL};
	const struct node *a = map_get(org, "address");
	int rc;
	if (a && a->kind != NODE_MAP && a->kind != NODE_SCALAR)
		return bad(c, a, "expected one line or a mapping with street_address and optionally "
			   "postal_code, locality, region, country");
	if (!a || a->kind != NODE_MAP)
		return get_str(c, org, "address", &p->org_address);
	if ((rc = check_keys(c, a, keys)) || (rc = get_str(c, a, "street_address", &p->org_street)) ||
	    (map_get(a, "postal_code") && (rc = get_str(c, a, "postal_code", &p->org_postal_code))) ||
	    (map_get(a, "locality") && (rc = get_str(c, a, "locality", &p->org_locality))) ||
	    (map_get(a, "region") && (rc = get_str(c, a, "region", &p->org_region))) ||
	    (map_get(a, "country") && (rc = get_str(c, a, "country", &p->org_country))))
		return rc;
	char *pc = p->org_postal_code, *lo = p->org_locality, *re = p->org_region,
	     *co = p->org_country;
	size_t len = strlen(p->org_street) + (pc ? strlen(pc) : 0) + (lo ? strlen(lo) : 0) +
		     (re ? strlen(re) : 0) + (co ? strlen(co) : 0) + 16;
	if (!(p->org_address = sk_malloc(len)))
		return nomem(c);
	snprintf(p->org_address, len, "%s%s%s%s%s%s%s%s%s", p->org_street, pc || lo ? ", " : "",
		 pc ? pc : "", pc && lo ? " " : "", lo ? lo : "", re ? ", " : "", re ? re : "",
		 co ? ", " : "", co ? co : "");
	return 0;
}

static const char *origin_problem(const char *s);

/* A brand URL (logo, stylesheet): https (http only for localhost and 127.0.0.1, for tests),
 * at most MAX_BRAND_URL bytes of printable ASCII without quotes, spaces, backslashes or angle
 * brackets, and an origin (scheme, host, port) that a Content-Security-Policy can name. */
static int get_brand_url(struct pctx *c, const struct node *brand, const char *key, char **out)
{
	static const char *const shape = "expected an https:// URL (http:// only for localhost "
		"or 127.0.0.1) of at most 500 bytes, without quotes, spaces or control characters";
	const struct node *n = map_get(brand, key);
	if (!n)
		return 0;
	int rc = get_str(c, brand, key, out);
	if (rc)
		return rc;
	const char *u = *out;
	int http = strncmp(u, "http://", 7) == 0;
	int ok = strlen(u) <= MAX_BRAND_URL && (strncmp(u, "https://", 8) == 0 || http);
	for (const unsigned char *q = (const unsigned char *)u; ok && *q; q++)
		ok = *q > 0x20 && *q < 0x7f && !strchr("\"'\\<>`", *q);
	if (!ok)
		return bad(c, n, "%s", shape);
	char origin[MAX_BRAND_URL + 1];
	if (sk_url_origin(u, origin, sizeof(origin)))
		return bad(c, n, "%s", shape);
	const char *why = origin_problem(origin);
	if (why)
		return bad(c, n, "%s", why);
	/* plain http only on this machine: the host is localhost or 127.0.0.1, with any port */
	const char *host = origin + 7, *end = host + strcspn(host, ":");
	int loopback = (end - host == 9 && strncmp(host, "localhost", 9) == 0) ||
		       (end - host == 9 && strncmp(host, "127.0.0.1", 9) == 0);
	if (http && !loopback)
		return bad(c, n, "%s", shape);
	return 0;
}

static int get_colour(struct pctx *c, const struct node *brand, const char *key, char **out)
{
	const struct node *n = map_get(brand, key);
	if (!n)
		return 0;
	int rc = get_str(c, brand, key, out);
	if (rc)
		return rc;
	if (sk_colour_rgb(*out, NULL))
		return bad(c, n, "expected a colour written #rrggbb, such as #1d4ed8");
	return 0;
}

/* organisation.brand: logo_url, primary, background, text, stylesheet_url, each optional.
 * The text must be readable on the background, and the button text (the background colour)
 * on the primary colour: WCAG AA's 4.5:1, with the defaults for colours left out. */
static int parse_brand(struct pctx *c, const struct node *org, struct sk_policy *p)
{
	static const char *const keys[] = {"logo_url", "primary", "background", "text",
					   "stylesheet_url", NULL};
	const struct node *b;
	int rc;
	if ((rc = get_node(c, org, "brand", 0, NODE_MAP, &b)) || !b)
		return rc;
	if ((rc = check_keys(c, b, keys)) ||
	    (rc = get_brand_url(c, b, "logo_url", &p->brand_logo_url)) ||
	    (rc = get_colour(c, b, "primary", &p->brand_primary)) ||
	    (rc = get_colour(c, b, "background", &p->brand_background)) ||
	    (rc = get_colour(c, b, "text", &p->brand_text)) ||
	    (rc = get_brand_url(c, b, "stylesheet_url", &p->brand_stylesheet_url)))
		return rc;
	const char *bg = sk_brand_background(p), *fg = sk_brand_text(p), *pr = sk_brand_primary(p);
	double r1 = sk_contrast(fg, bg), r2 = sk_contrast(bg, pr);
	char what[256];
	if (r1 < MIN_CONTRAST)
		snprintf(what, sizeof(what), "the text colour %s on the background %s has a contrast "
			 "of %.2f:1; at least 4.5:1 is needed (WCAG AA)", fg, bg, r1);
	else if (r2 < MIN_CONTRAST)
		snprintf(what, sizeof(what), "the button text (the background colour %s) on the "
			 "primary colour %s has a contrast of %.2f:1; at least 4.5:1 is needed (WCAG "
			 "AA)", bg, pr, r2);
	else
		return 0;
	return perr(c, b->keyline, b, NULL, what); /* on the line of "brand:" */
}

static int parse_org(struct pctx *c, const struct node *org, struct sk_policy *p)
{
	static const char *const keys[] = {"name", "contact", "address", "privacy_policy_url",
					   "phone", "jurisdiction", "brand", NULL};
	int rc;
	if ((rc = check_keys(c, org, keys)) || (rc = get_str(c, org, "name", &p->org_name)) ||
	    (rc = get_str(c, org, "contact", &p->org_contact)) ||
	    (rc = parse_address(c, org, p)) ||
	    (rc = get_str(c, org, "privacy_policy_url", &p->org_privacy_url)) ||
	    (map_get(org, "phone") && (rc = get_str(c, org, "phone", &p->org_phone))) ||
	    (map_get(org, "jurisdiction") &&
	     (rc = get_str(c, org, "jurisdiction", &p->org_jurisdiction))))
		return rc;
	if (!http_url_ok(p->org_privacy_url))
		return bad(c, map_get(org, "privacy_policy_url"),
			   "expected a URL starting with https:// or http://");
	return parse_brand(c, org, p);
}

static int parse_field(struct pctx *c, const struct node *k, const struct node *v,
		       struct sk_field_def *f)
{
	static const char *const keys[] = {"type", "max_length", "label", NULL};
	const struct node *ml;
	int type, rc;
	if ((rc = want(c, v, NODE_MAP)) || (rc = check_keys(c, v, keys)) ||
	    (rc = get_enum(c, v, "type", type_names, &type)))
		return rc;
	f->type = (enum sk_field_type)type;
	if (strcmp(k->str, "email") == 0 && f->type != SK_FIELD_EMAIL)
		return bad(c, map_get(v, "type"), "the field email must have type email");
	if (strcmp(k->str, "email") != 0 && f->type == SK_FIELD_EMAIL)
		return bad(c, map_get(v, "type"), "only the field named email may have type email");
	f->max_length = type_max_length[type];
	if ((rc = get_node(c, v, "max_length", 0, NODE_SCALAR, &ml)))
		return rc;
	if (ml && f->type != SK_FIELD_TEXT)
		return bad(c, ml, "only allowed for type text");
	if (ml) {
		size_t len = strlen(ml->str);
		long n = len >= 1 && len <= 5 && strspn(ml->str, "0123456789") == len
				 ? strtol(ml->str, NULL, 10) : 0;
		if (n < 1 || n > 10000)
			return bad(c, ml, "expected a number from 1 to 10000");
		f->max_length = (int)n;
	}
	return get_texts(c, v, "label", 0, f->label);
}

static int parse_fields(struct pctx *c, const struct node *fields, struct sk_policy *p)
{
	if (fields->nkids / 2 > MAX_FIELDS)
		return bad(c, fields, "more than %d fields", MAX_FIELDS);
	if (!map_get(fields, "email"))
		return missing(c, fields, "email");
	p->fields = sk_calloc(fields->nkids / 2, sizeof(*p->fields));
	if (!p->fields)
		return nomem(c);
	for (size_t i = 0; i < fields->nkids; i += 2) {
		const struct node *k = fields->kids[i];
		struct sk_field_def *f = &p->fields[p->nfields++];
		int rc = check_id(c, k);
		if (rc)
			return rc;
		if (!(f->name = sk_strdup(k->str)))
			return nomem(c);
		if ((rc = parse_field(c, k, fields->kids[i + 1], f)))
			return rc;
	}
	return 0;
}

static int parse_purpose_fields(struct pctx *c, const struct node *v, struct sk_policy *p,
				struct sk_purpose *pu)
{
	const struct node *list;
	int rc = get_node(c, v, "fields", 1, NODE_SEQ, &list);
	if (rc)
		return rc;
	if (list->nkids == 0)
		return bad(c, list, "expected a non-empty list of declared field names");
	if (!(pu->fields = sk_calloc(list->nkids, sizeof(*pu->fields))))
		return nomem(c);
	for (size_t i = 0; i < list->nkids; i++) {
		const struct node *n = list->kids[i];
		if ((rc = want(c, n, NODE_SCALAR)))
			return rc;
		if (!sk_policy_field(p, n->str))
			return bad(c, n, "not a declared field; declare it under fields");
		for (size_t j = 0; j < pu->nfields; j++)
			if (strcmp(pu->fields[j], n->str) == 0)
				return bad(c, n, "listed twice");
		if (!(pu->fields[pu->nfields] = sk_strdup(n->str)))
			return nomem(c);
		pu->nfields++;
	}
	return 0;
}

static int parse_purpose(struct pctx *c, const struct node *v, struct sk_policy *p,
			 struct sk_purpose *pu)
{
	static const char *const keys[] = {"kind", "legal_basis", "validity", "retention",
					   "double_opt_in", "fields", "title", "description",
					   "notice", NULL};
	int kind, basis, rc;
	if ((rc = want(c, v, NODE_MAP)) || (rc = check_keys(c, v, keys)) ||
	    (rc = get_enum(c, v, "kind", kind_names, &kind)) ||
	    (rc = get_enum(c, v, "legal_basis", basis_names, &basis)) ||
	    (rc = get_duration(c, v, "validity", &pu->validity)) ||
	    (rc = get_duration(c, v, "retention", &pu->retention)) ||
	    (rc = get_bool(c, v, "double_opt_in", &pu->double_opt_in)) ||
	    (rc = parse_purpose_fields(c, v, p, pu)) ||
	    (rc = get_texts(c, v, "title", 1, pu->title)) ||
	    (rc = get_texts(c, v, "description", 1, pu->description)) ||
	    (rc = get_texts(c, v, "notice", 1, pu->notice)))
		return rc;
	pu->kind = (enum sk_kind)kind;
	pu->basis = (enum sk_basis)basis;
	return 0;
}

static int parse_purposes(struct pctx *c, const struct node *purposes, struct sk_policy *p)
{
	if (purposes->nkids == 0)
		return bad(c, purposes, "expected at least one purpose");
	if (purposes->nkids / 2 > MAX_PURPOSES)
		return bad(c, purposes, "more than %d purposes", MAX_PURPOSES);
	p->purposes = sk_calloc(purposes->nkids / 2, sizeof(*p->purposes));
	if (!p->purposes)
		return nomem(c);
	for (size_t i = 0; i < purposes->nkids; i += 2) {
		const struct node *k = purposes->kids[i];
		struct sk_purpose *pu = &p->purposes[p->npurposes++];
		int rc = check_id(c, k);
		if (rc)
			return rc;
		if (!(pu->id = sk_strdup(k->str)))
			return nomem(c);
		if ((rc = parse_purpose(c, purposes->kids[i + 1], p, pu)))
			return rc;
	}
	return 0;
}

/* --- forms --------------------------------------------------------------------------------- */

/* Keys that would make a consent option pre-ticked; named in their own message. */
static const char *const preticked_keys[] = {"pre_ticked", "checked", "default", "selected", NULL};

#define NEVER_PRETICKED \
	"consent options are never pre-ticked and are always worded with the purpose's notice text"

/* Keys that would make a consent a condition of submitting the form; named in their own
 * message (GDPR Art. 7(4): consent is not freely given when a service depends on it). */
static const char *const required_keys[] = {"required", "mandatory", NULL};

#define NO_BUNDLING \
	"a consent option is always optional: submitting a form may not depend on giving a " \
	"consent (GDPR Art. 7(4)); what the form is for goes under the form's own purpose"

/* An optional URL such as success_url: http(s), with no spaces or control characters (it ends
 * up in a Location header). *out stays NULL when the key is absent. */
static int get_url(struct pctx *c, const struct node *map, const char *key, char **out)
{
	if (!map_get(map, key))
		return 0;
	int rc = get_str(c, map, key, out);
	if (rc)
		return rc;
	int ok = http_url_ok(*out);
	for (const unsigned char *u = (const unsigned char *)*out; ok && *u; u++)
		ok = *u > 0x20 && *u != 0x7f;
	if (!ok)
		return bad(c, map_get(map, key), "expected a URL starting with https:// or http://, "
			   "without spaces or control characters");
	return 0;
}

/* An origin as browsers send it: scheme "://" host [":" port], lowercase, without the default
 * port, path or trailing slash. Returns NULL when s is one, else what is wrong. */
static const char *origin_problem(const char *s)
{
	static const char *const shape = "expected an origin such as https://www.example.com: "
		"https:// or http://, a host and an optional port, nothing else";
	int https = strncmp(s, "https://", 8) == 0;
	if (!https && strncmp(s, "http://", 7) != 0)
		return shape;
	const char *h = s + (https ? 8 : 7), *e = h;
	if (*h == '[') { /* an IPv6 literal */
		e = h + 1 + strspn(h + 1, "0123456789abcdef:.");
		if (*e != ']' || e - h < 3)
			return shape;
		e++;
	} else {
		size_t label = 0;
		for (; *e && *e != ':' && *e != '/'; e++) {
			if (*e >= 'A' && *e <= 'Z')
				return "write the host in lowercase, as browsers send it";
			if (*e == '.') {
				if (label == 0 || e[-1] == '-')
					return shape;
				label = 0;
			} else if ((*e >= 'a' && *e <= 'z') || (*e >= '0' && *e <= '9') ||
				   (*e == '-' && label > 0)) {
				if (++label > 63)
					return shape;
			} else {
				return shape;
			}
		}
		if (label == 0 || e[-1] == '-')
			return shape;
	}
	if (e - h > MAX_HOST)
		return shape;
	if (*e == ':') {
		size_t n = strspn(e + 1, "0123456789");
		long port = n >= 1 && n <= 5 && e[1] != '0' ? strtol(e + 1, NULL, 10) : 0;
		if (port < 1 || port > 65535)
			return "expected a port from 1 to 65535 after ':'";
		if (port == (https ? 443 : 80))
			return "leave out the default port, as browsers do in the Origin header";
		e += 1 + n;
	}
	if (*e == '/')
		return "an origin has no path and no trailing slash: scheme, host and port only";
	return *e ? shape : NULL;
}

static int parse_form_fields(struct pctx *c, const struct node *fields, struct sk_policy *p,
			     struct sk_form *f)
{
	static const char *const keys[] = {"required", NULL};
	if (fields->nkids / 2 > MAX_FORM_FIELDS)
		return bad(c, fields, "more than %d fields", MAX_FORM_FIELDS);
	if (fields->nkids && !(f->fields = sk_calloc(fields->nkids / 2, sizeof(*f->fields))))
		return nomem(c);
	for (size_t i = 0; i < fields->nkids; i += 2) {
		const struct node *k = fields->kids[i], *v = fields->kids[i + 1], *req;
		struct sk_form_field *ff = &f->fields[f->nfields++];
		int rc;
		if (!sk_policy_field(p, k->str))
			return bad(c, k, "not a declared field; declare it under fields");
		if (!(ff->name = sk_strdup(k->str)))
			return nomem(c);
		if ((rc = want(c, v, NODE_MAP)) || (rc = check_keys(c, v, keys)) ||
		    (rc = get_bool(c, v, "required", &ff->required)))
			return rc;
		if (strcmp(k->str, "email") == 0) {
			if ((req = map_get(v, "required")) && !ff->required)
				return bad(c, req, "the email field is always required: it identifies "
					   "the contact");
			ff->required = 1;
		}
	}
	if (!map_get(fields, "email"))
		return missing(c, fields, "email");
	return 0;
}

static int parse_form_consent(struct pctx *c, const struct node *v, struct sk_policy *p,
			      struct sk_form *f, struct sk_form_consent *fc)
{
	const struct node *pn, *dn;
	int rc;
	if ((rc = want(c, v, NODE_MAP)))
		return rc;
	for (size_t i = 0; i < v->nkids; i += 2) {
		const char *key = v->kids[i]->str;
		if (strcmp(key, "purpose") == 0 || strcmp(key, "double_opt_in") == 0)
			continue;
		for (const char *const *t = preticked_keys; *t; t++)
			if (strcmp(*t, key) == 0)
				return bad(c, v->kids[i], "not allowed: " NEVER_PRETICKED);
		for (const char *const *t = required_keys; *t; t++)
			if (strcmp(*t, key) == 0)
				return bad(c, v->kids[i], "not allowed: " NO_BUNDLING);
		return bad(c, v->kids[i], "unknown key; a consent option has only purpose and "
			   "double_opt_in: " NEVER_PRETICKED);
	}
	if ((rc = get_node(c, v, "purpose", 1, NODE_SCALAR, &pn)))
		return rc;
	const struct sk_purpose *pu = sk_policy_purpose(p, pn->str);
	if (!pu)
		return bad(c, pn, "not a defined purpose; define it under purposes");
	if (pu->basis != SK_BASIS_CONSENT)
		return bad(c, pn, "the purpose is on legal basis %s; only purposes on legal basis "
			   "consent are asked for on a form", sk_basis_name(pu->basis));
	if (f->purpose && strcmp(f->purpose, pn->str) == 0)
		return bad(c, pn, "the form's own purpose; it is given by submitting the form, not "
			   "by a box");
	for (size_t i = 0; i < f->nconsents; i++)
		if (strcmp(f->consents[i].purpose, pn->str) == 0)
			return bad(c, pn, "purpose listed twice in this form");
	if (!(fc->purpose = sk_strdup(pn->str)))
		return nomem(c);
	f->nconsents++;
	/* A form may add double opt-in to a purpose, never take it away. */
	fc->double_opt_in = pu->double_opt_in;
	if ((rc = get_bool(c, v, "double_opt_in", &fc->double_opt_in)))
		return rc;
	if ((dn = map_get(v, "double_opt_in")) && pu->double_opt_in && !fc->double_opt_in)
		return bad(c, dn, "the purpose %s requires double opt-in", pu->id);
	return 0;
}

static int parse_form_consents(struct pctx *c, const struct node *list, struct sk_policy *p,
			       struct sk_form *f)
{
	if (list->nkids == 0 && !f->purpose)
		return bad(c, list, "expected at least one consent option (or the form's own "
			   "purpose)");
	if (list->nkids == 0)
		return 0;
	if (list->nkids > MAX_FORM_CONSENTS)
		return bad(c, list, "more than %d consent options", MAX_FORM_CONSENTS);
	if (!(f->consents = sk_calloc(list->nkids, sizeof(*f->consents))))
		return nomem(c);
	for (size_t i = 0; i < list->nkids; i++) {
		int rc = parse_form_consent(c, list->kids[i], p, f, &f->consents[f->nconsents]);
		if (rc)
			return rc;
	}
	return 0;
}

static int str_listed(char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

/* A list of exact origins (a form's allowed_origins, the banner's origins). */
static int parse_origins(struct pctx *c, const struct node *list, char ***out, size_t *nout)
{
	if (list->nkids > MAX_FORM_ORIGINS)
		return bad(c, list, "more than %d origins", MAX_FORM_ORIGINS);
	if (list->nkids && !(*out = sk_calloc(list->nkids, sizeof(**out))))
		return nomem(c);
	for (size_t i = 0; i < list->nkids; i++) {
		const struct node *n = list->kids[i];
		const char *why;
		int rc = want(c, n, NODE_SCALAR);
		if (rc)
			return rc;
		if ((why = origin_problem(n->str)))
			return bad(c, n, "%s", why);
		if (str_listed(*out, *nout, n->str))
			return bad(c, n, "listed twice");
		if (!((*out)[*nout] = sk_strdup(n->str)))
			return nomem(c);
		(*nout)++;
	}
	return 0;
}

/* 1 when the purpose lists the field. */
static int purpose_needs(const struct sk_purpose *pu, const char *field)
{
	for (size_t k = 0; k < pu->nfields; k++)
		if (strcmp(pu->fields[k], field) == 0)
			return 1;
	return 0;
}

/* Minimisation: each field of the form is listed by the form's own purpose or by one of its
 * consent purposes. */
static int check_form_minimal(struct pctx *c, const struct node *fields,
			      const struct sk_policy *p, const struct sk_form *f)
{
	const struct sk_purpose *own = f->purpose ? sk_policy_purpose(p, f->purpose) : NULL;
	for (size_t i = 0; i < f->nfields; i++) {
		int needed = own && purpose_needs(own, f->fields[i].name);
		for (size_t j = 0; !needed && j < f->nconsents; j++)
			needed = purpose_needs(sk_policy_purpose(p, f->consents[j].purpose),
					       f->fields[i].name);
		if (!needed)
			return bad(c, fields->kids[2 * i], "no consent purpose of this form needs it "
				   "(minimisation); ask only for fields that a purpose on this form "
				   "lists");
	}
	return 0;
}

/* No bundling (GDPR Art. 7(4)): a required field is one that what the form is for needs.
 * With its own purpose, that purpose must list every required field; without one, every
 * consent option must, so that ticking any one of them never calls for data only another
 * needs. email is exempt: it identifies the contact. */
static int check_form_unbundled(struct pctx *c, const struct node *fields,
				const struct sk_policy *p, const struct sk_form *f)
{
	const struct sk_purpose *own = f->purpose ? sk_policy_purpose(p, f->purpose) : NULL;
	if (c->flags & SK_POLICY_PARSE_STORED)
		return 0;
	for (size_t i = 0; i < f->nfields; i++) {
		const char *name = f->fields[i].name;
		const struct node *req = map_get(fields->kids[2 * i + 1], "required");
		if (!f->fields[i].required || strcmp(name, "email") == 0)
			continue;
		if (own && !purpose_needs(own, name))
			return bad(c, req, "the form's own purpose %s does not list this field, so "
				   "only a consent option needs it: submitting the form may not depend "
				   "on giving data for a consent (GDPR Art. 7(4)); make it required: "
				   "false", own->id);
		for (size_t j = 0; !own && j < f->nconsents; j++)
			if (!purpose_needs(sk_policy_purpose(p, f->consents[j].purpose), name))
				return bad(c, req, "the consent option %s does not need this field, so "
					   "a person ticking only %s would have to give data for another "
					   "consent (GDPR Art. 7(4)); make it required: false",
					   f->consents[j].purpose, f->consents[j].purpose);
	}
	return 0;
}

/* The form's own purpose: on legal basis contract, or consent of kind other. A marketing
 * purpose (communication, profiling, tracking) on consent can only be an unticked box. */
static int parse_form_purpose(struct pctx *c, const struct node *v, const struct sk_policy *p,
			      struct sk_form *f)
{
	const struct node *pn;
	int rc = get_node(c, v, "purpose", 0, NODE_SCALAR, &pn);
	if (rc || !pn)
		return rc;
	const struct sk_purpose *pu = sk_policy_purpose(p, pn->str);
	if (!pu)
		return bad(c, pn, "not a defined purpose; define it under purposes");
	if (pu->basis == SK_BASIS_CONSENT && pu->kind != SK_KIND_OTHER)
		return bad(c, pn, "the purpose is a %s consent; submitting a form may not depend on "
			   "it (GDPR Art. 7(4)): offer it as an unticked consent option, and make "
			   "what the form is for (such as a registration) its own purpose of kind "
			   "other", sk_kind_name(pu->kind));
	if (pu->basis != SK_BASIS_CONSENT && pu->basis != SK_BASIS_CONTRACT)
		return bad(c, pn, "the purpose is on legal basis %s; a form's own purpose is on "
			   "legal basis contract (a registration) or consent", sk_basis_name(pu->basis));
	f->purpose = sk_strdup(pn->str);
	return f->purpose ? 0 : nomem(c);
}

static int parse_form(struct pctx *c, const struct node *v, struct sk_policy *p, struct sk_form *f)
{
	static const char *const keys[] = {"title", "purpose", "fields", "consents",
					   "success_url", "error_url", "allowed_origins", NULL};
	const struct node *fields, *consents, *origins;
	int rc;
	if ((rc = want(c, v, NODE_MAP)) || (rc = check_keys(c, v, keys)) ||
	    (rc = get_texts(c, v, "title", 1, f->title)) ||
	    (rc = parse_form_purpose(c, v, p, f)) ||
	    (rc = get_node(c, v, "fields", 1, NODE_MAP, &fields)) ||
	    (rc = parse_form_fields(c, fields, p, f)) ||
	    (rc = get_node(c, v, "consents", !f->purpose, NODE_SEQ, &consents)) ||
	    (consents && (rc = parse_form_consents(c, consents, p, f))) ||
	    (rc = check_form_minimal(c, fields, p, f)) ||
	    (rc = check_form_unbundled(c, fields, p, f)) ||
	    (rc = get_url(c, v, "success_url", &f->success_url)) ||
	    (rc = get_url(c, v, "error_url", &f->error_url)) ||
	    (rc = get_node(c, v, "allowed_origins", 0, NODE_SEQ, &origins)) ||
	    (origins && (rc = parse_origins(c, origins, &f->origins, &f->norigins))))
		return rc;
	return 0;
}

static int parse_forms(struct pctx *c, const struct node *forms, struct sk_policy *p)
{
	if (forms->nkids / 2 > MAX_FORMS)
		return bad(c, forms, "more than %d forms", MAX_FORMS);
	if (forms->nkids && !(p->forms = sk_calloc(forms->nkids / 2, sizeof(*p->forms))))
		return nomem(c);
	for (size_t i = 0; i < forms->nkids; i += 2) {
		const struct node *k = forms->kids[i];
		struct sk_form *f = &p->forms[p->nforms++];
		int rc = check_id(c, k);
		if (rc)
			return rc;
		if (!(f->id = sk_strdup(k->str)))
			return nomem(c);
		if ((rc = parse_form(c, forms->kids[i + 1], p, f)))
			return rc;
	}
	return 0;
}

/* A purpose the banner may ask an anonymous visitor for: on consent, of kind tracking or
 * profiling. */
static int banner_purpose_ok(const struct sk_purpose *pu)
{
	return pu && pu->basis == SK_BASIS_CONSENT &&
	       (pu->kind == SK_KIND_TRACKING || pu->kind == SK_KIND_PROFILING);
}

static int add_banner_purpose(struct pctx *c, struct sk_banner *b, const char *id)
{
	if (!(b->purposes[b->npurposes] = sk_strdup(id)))
		return nomem(c);
	b->npurposes++;
	return 0;
}

/* banner: {origins: [...], title: {sv, en}, intro: {sv, en}, purposes: [...]} */
static int parse_banner(struct pctx *c, const struct node *root, struct sk_policy *p)
{
	static const char *const keys[] = {"origins", "title", "intro", "purposes", NULL};
	static const char *const defaults[] = {"ip_tracking", "lead_scoring"};
	struct sk_banner *b = &p->banner;
	const struct node *v, *origins, *purposes;
	int rc;
	if ((rc = get_node(c, root, "banner", 0, NODE_MAP, &v)) || !v)
		return rc;
	b->present = 1;
	if ((rc = check_keys(c, v, keys)) ||
	    (rc = get_node(c, v, "origins", 1, NODE_SEQ, &origins)) ||
	    (rc = parse_origins(c, origins, &b->origins, &b->norigins)) ||
	    (rc = get_texts(c, v, "title", 1, b->title)) ||
	    (rc = get_texts(c, v, "intro", 1, b->intro)) ||
	    (rc = get_node(c, v, "purposes", 0, NODE_SEQ, &purposes)))
		return rc;
	if (!b->norigins)
		return bad(c, origins, "list at least one origin: the web site that loads the banner");
	if (!(b->purposes = sk_calloc(MAX_BANNER_PURPOSES, sizeof(*b->purposes))))
		return nomem(c);
	if (!purposes) {
		for (size_t i = 0; i < 2; i++)
			if (banner_purpose_ok(sk_policy_purpose(p, defaults[i])) &&
			    (rc = add_banner_purpose(c, b, defaults[i])))
				return rc;
	} else {
		if (purposes->nkids > MAX_BANNER_PURPOSES)
			return bad(c, purposes, "more than %d purposes", MAX_BANNER_PURPOSES);
		for (size_t i = 0; i < purposes->nkids; i++) {
			const struct node *n = purposes->kids[i];
			if ((rc = want(c, n, NODE_SCALAR)))
				return rc;
			const struct sk_purpose *pu = sk_policy_purpose(p, n->str);
			if (!pu)
				return bad(c, n, "not a defined purpose; define it under purposes");
			if (!banner_purpose_ok(pu))
				return bad(c, n, "the banner asks an anonymous visitor only for a "
					   "purpose on consent of kind tracking or profiling");
			if (sk_banner_has_purpose(p, n->str))
				return bad(c, n, "listed twice");
			if ((rc = add_banner_purpose(c, b, n->str)))
				return rc;
		}
	}
	if (!b->npurposes)
		return bad(c, v, "the banner has no purpose to ask for: declare ip_tracking or "
			   "lead_scoring (on consent), or list purposes");
	return 0;
}

/* retention: {no_basis: 30 days, inactive: 24 months} */
static int parse_retention(struct pctx *c, const struct node *root, struct sk_policy *p)
{
	static const char *const keys[] = {"no_basis", "inactive", NULL};
	const struct node *r;
	int rc;
	p->retain_no_basis = (struct sk_duration){30, 'd'};
	if ((rc = get_node(c, root, "retention", 0, NODE_MAP, &r)) || !r)
		return rc;
	if ((rc = check_keys(c, r, keys)) ||
	    (rc = get_duration(c, r, "no_basis", &p->retain_no_basis)) ||
	    (rc = get_duration(c, r, "inactive", &p->retain_inactive)))
		return rc;
	return 0;
}

/* ---- tracking and lead scoring (issue 16, helper track; docs/scoring.md) ---- */

static const char *const track_types[] = {"page_view", "event", "mail_open", "mail_click",
					  NULL};

/* An integer scalar within [lo, hi]. */
static int get_long(struct pctx *c, const struct node *map, const char *key, int required,
		    long lo, long hi, long *out)
{
	const struct node *n;
	char *end;
	int rc = get_node(c, map, key, required, NODE_SCALAR, &n);
	if (rc || !n)
		return rc;
	errno = 0;
	long v = strtol(n->str, &end, 10);
	if (!n->str[0] || *end || errno || v < lo || v > hi)
		return bad(c, n, "expected a whole number from %ld to %ld", lo, hi);
	*out = v;
	return 0;
}

/* An optional non-empty string of at most max bytes, without control characters. */
static int get_opt_str(struct pctx *c, const struct node *map, const char *key, size_t max,
		       char **out)
{
	const struct node *n;
	int rc = get_node(c, map, key, 0, NODE_SCALAR, &n);
	if (rc || !n)
		return rc;
	size_t len = strlen(n->str);
	if (!len || len > max)
		return bad(c, n, "expected a text of 1 to %zu characters", max);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)n->str[i] < 0x20 || n->str[i] == 0x7f)
			return bad(c, n, "must not hold control characters");
	*out = sk_strdup(n->str);
	return *out ? 0 : nomem(c);
}

static int parse_score_rule(struct pctx *c, const struct node *v, struct sk_score_rule *r)
{
	static const char *const keys[] = {"type", "name", "url", "utm", "points", "half_life",
					   NULL};
	static const char *const utm_keys[] = {"source", "medium", "campaign", "term", "content",
					       NULL};
	const struct node *t, *utm;
	int rc;
	if ((rc = want(c, v, NODE_MAP)) || (rc = check_keys(c, v, keys)))
		return rc;
	if ((rc = get_node(c, v, "type", 0, NODE_SCALAR, &t)))
		return rc;
	if (t) {
		int ty;
		if ((rc = get_enum(c, v, "type", track_types, &ty)))
			return rc;
		if (!(r->type = sk_strdup(track_types[ty])))
			return nomem(c);
	}
	if ((rc = get_opt_str(c, v, "name", 100, &r->name)) ||
	    (rc = get_opt_str(c, v, "url", 2000, &r->url)) ||
	    (rc = get_long(c, v, "points", 1, -SK_SCORE_POINTS_MAX, SK_SCORE_POINTS_MAX,
			   &r->points)) ||
	    (rc = get_duration(c, v, "half_life", &r->half_life)) ||
	    (rc = get_node(c, v, "utm", 0, NODE_MAP, &utm)))
		return rc;
	if (utm) {
		if ((rc = check_keys(c, utm, utm_keys)))
			return rc;
		for (int i = 0; i < 5; i++)
			if ((rc = get_opt_str(c, utm, utm_keys[i], 200, &r->utm[i])))
				return rc;
	}
	return 0;
}

/* tracking: {retention: 90 days}; scoring: {cap: 100, rules: [...]} */
static int parse_tracking(struct pctx *c, const struct node *root, struct sk_policy *p)
{
	static const char *const tkeys[] = {"retention", NULL};
	static const char *const skeys[] = {"cap", "rules", NULL};
	const struct node *t, *sc, *rules;
	int rc;
	p->track_retention = (struct sk_duration){90, 'd'};
	p->score_cap = 100;
	if ((rc = get_node(c, root, "tracking", 0, NODE_MAP, &t)))
		return rc;
	if (t) {
		const struct node *rn = map_get(t, "retention");
		if ((rc = check_keys(c, t, tkeys)) ||
		    (rc = get_duration(c, t, "retention", &p->track_retention)))
			return rc;
		if (rn && p->track_retention.n == 0)
			return bad(c, rn, "expected a duration such as '90 days'");
	}
	if ((rc = get_node(c, root, "scoring", 0, NODE_MAP, &sc)) || !sc)
		return rc;
	if ((rc = check_keys(c, sc, skeys)) ||
	    (rc = get_long(c, sc, "cap", 0, 1, 1000000, &p->score_cap)) ||
	    (rc = get_node(c, sc, "rules", 0, NODE_SEQ, &rules)) || !rules)
		return rc;
	if (rules->nkids > SK_SCORE_MAX_RULES)
		return bad(c, rules, "more than %d rules", SK_SCORE_MAX_RULES);
	if (rules->nkids && !(p->score_rules = sk_calloc(rules->nkids, sizeof(*p->score_rules))))
		return nomem(c);
	for (size_t i = 0; i < rules->nkids; i++) {
		p->nscore_rules++;
		if ((rc = parse_score_rule(c, rules->kids[i], &p->score_rules[i])))
			return rc;
	}
	return 0;
}

static int parse_policy(struct pctx *c, const struct node *root, struct sk_policy *p)
{
	static const char *const keys[] = {"organisation", "fields", "purposes", "forms",
					   "retention", "banner", "tracking", "scoring", NULL};
	const struct node *org, *fields, *purposes, *forms;
	int rc;
	if ((rc = check_keys(c, root, keys)) ||
	    (rc = get_node(c, root, "organisation", 1, NODE_MAP, &org)) ||
	    (rc = parse_org(c, org, p)) ||
	    (rc = get_node(c, root, "fields", 1, NODE_MAP, &fields)) ||
	    (rc = parse_fields(c, fields, p)) ||
	    (rc = get_node(c, root, "purposes", 1, NODE_MAP, &purposes)) ||
	    (rc = parse_purposes(c, purposes, p)))
		return rc;
	for (size_t i = 0; i < p->nfields; i++)
		if (!sk_policy_field_needed(p, p->fields[i].name))
			return bad(c, fields->kids[2 * i], "not needed by any purpose; declare only "
				   "the fields that a purpose needs");
	if ((rc = get_node(c, root, "forms", 0, NODE_MAP, &forms)) ||
	    (forms && (rc = parse_forms(c, forms, p))) ||
	    (rc = parse_banner(c, root, p)))
		return rc;
	if ((rc = parse_tracking(c, root, p)))
		return rc;
	return parse_retention(c, root, p);
}

int sk_policy_parse(const char *text, size_t len, const char *filename, struct sk_policy **out,
		    struct sk_errctx *err)
{
	return sk_policy_parse_flags(text, len, filename, 0, out, err);
}

int sk_policy_parse_flags(const char *text, size_t len, const char *filename, int flags,
			  struct sk_policy **out, struct sk_errctx *err)
{
	struct pctx c = {filename ? filename : "policy", err, flags};
	struct node *root = NULL;
	struct sk_policy *p = NULL;
	int rc;

	if (len > MAX_BYTES)
		return sk_errf(err, SK_ERR_TOO_LARGE, "%s: the policy is %zu bytes; at most 1 MiB "
			       "(%d bytes) is allowed", c.file, len, MAX_BYTES);
	if ((rc = tree_build(&c, text ? text : "", text ? len : 0, &root)))
		goto out;
	if (!(p = sk_calloc(1, sizeof(*p)))) {
		rc = nomem(&c);
		goto out;
	}
	if ((rc = parse_policy(&c, root, p)))
		goto out;
	*out = p;
	p = NULL;
out:
	node_free(root);
	sk_policy_free(p);
	return rc;
}

void sk_policy_free(struct sk_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nscore_rules; i++) {
		struct sk_score_rule *r = &p->score_rules[i];
		sk_free(r->type);
		sk_free(r->name);
		sk_free(r->url);
		for (int k = 0; k < 5; k++)
			sk_free(r->utm[k]);
	}
	sk_free(p->score_rules);
	sk_free(p->org_name);
	sk_free(p->org_contact);
	sk_free(p->org_address);
	sk_free(p->org_street);
	sk_free(p->org_postal_code);
	sk_free(p->org_locality);
	sk_free(p->org_region);
	sk_free(p->org_country);
	sk_free(p->org_privacy_url);
	sk_free(p->org_phone);
	sk_free(p->org_jurisdiction);
	sk_free(p->brand_logo_url);
	sk_free(p->brand_primary);
	sk_free(p->brand_background);
	sk_free(p->brand_text);
	sk_free(p->brand_stylesheet_url);
	for (size_t i = 0; i < p->nfields; i++) {
		sk_free(p->fields[i].name);
		for (int l = 0; l < SK_NLANG; l++)
			sk_free(p->fields[i].label[l]);
	}
	sk_free(p->fields);
	for (size_t i = 0; i < p->npurposes; i++) {
		struct sk_purpose *pu = &p->purposes[i];
		sk_free(pu->id);
		for (int l = 0; l < SK_NLANG; l++) {
			sk_free(pu->title[l]);
			sk_free(pu->description[l]);
			sk_free(pu->notice[l]);
		}
		for (size_t j = 0; j < pu->nfields; j++)
			sk_free(pu->fields[j]);
		sk_free(pu->fields);
	}
	sk_free(p->purposes);
	for (size_t i = 0; i < p->nforms; i++) {
		struct sk_form *f = &p->forms[i];
		sk_free(f->id);
		sk_free(f->purpose);
		for (int l = 0; l < SK_NLANG; l++)
			sk_free(f->title[l]);
		for (size_t j = 0; j < f->nfields; j++)
			sk_free(f->fields[j].name);
		sk_free(f->fields);
		for (size_t j = 0; j < f->nconsents; j++)
			sk_free(f->consents[j].purpose);
		sk_free(f->consents);
		sk_free(f->success_url);
		sk_free(f->error_url);
		for (size_t j = 0; j < f->norigins; j++)
			sk_free(f->origins[j]);
		sk_free(f->origins);
	}
	sk_free(p->forms);
	for (int l = 0; l < SK_NLANG; l++) {
		sk_free(p->banner.title[l]);
		sk_free(p->banner.intro[l]);
	}
	for (size_t j = 0; j < p->banner.npurposes; j++)
		sk_free(p->banner.purposes[j]);
	sk_free(p->banner.purposes);
	for (size_t j = 0; j < p->banner.norigins; j++)
		sk_free(p->banner.origins[j]);
	sk_free(p->banner.origins);
	sk_free(p);
}

/* --- lookups ------------------------------------------------------------------------------- */

struct sk_purpose *sk_policy_purpose_mut(struct sk_policy *p, const char *id)
{
	if (!p || !id)
		return NULL;
	for (size_t i = 0; i < p->npurposes; i++)
		if (strcmp(p->purposes[i].id, id) == 0)
			return &p->purposes[i];
	return NULL;
}

const struct sk_purpose *sk_policy_purpose(const struct sk_policy *p, const char *id)
{
	return sk_policy_purpose_mut((struct sk_policy *)p, id);
}

const struct sk_field_def *sk_policy_field(const struct sk_policy *p, const char *name)
{
	if (!p || !name)
		return NULL;
	for (size_t i = 0; i < p->nfields; i++)
		if (strcmp(p->fields[i].name, name) == 0)
			return &p->fields[i];
	return NULL;
}

int sk_policy_field_needed(const struct sk_policy *p, const char *name)
{
	if (!p || !name)
		return 0;
	for (size_t i = 0; i < p->npurposes; i++)
		for (size_t j = 0; j < p->purposes[i].nfields; j++)
			if (strcmp(p->purposes[i].fields[j], name) == 0)
				return 1;
	return 0;
}

const struct sk_form *sk_policy_form(const struct sk_policy *p, const char *id)
{
	if (!p || !id)
		return NULL;
	for (size_t i = 0; i < p->nforms; i++)
		if (strcmp(p->forms[i].id, id) == 0)
			return &p->forms[i];
	return NULL;
}

const struct sk_form_field *sk_form_field(const struct sk_form *f, const char *name)
{
	if (!f || !name)
		return NULL;
	for (size_t i = 0; i < f->nfields; i++)
		if (strcmp(f->fields[i].name, name) == 0)
			return &f->fields[i];
	return NULL;
}

const struct sk_form_consent *sk_form_consent(const struct sk_form *f, const char *purpose)
{
	if (!f || !purpose)
		return NULL;
	for (size_t i = 0; i < f->nconsents; i++)
		if (strcmp(f->consents[i].purpose, purpose) == 0)
			return &f->consents[i];
	return NULL;
}

int sk_policy_site_origin_allowed(const struct sk_policy *p, const char *origin)
{
	return p && p->banner.present &&
	       str_listed(p->banner.origins, p->banner.norigins, origin);
}

int sk_banner_has_purpose(const struct sk_policy *p, const char *purpose)
{
	return p && purpose && str_listed(p->banner.purposes, p->banner.npurposes, purpose);
}

int sk_form_origin_allowed(const struct sk_form *f, const char *origin)
{
	if (!f || !origin)
		return 0;
	for (size_t i = 0; i < f->norigins; i++)
		if (strcmp(f->origins[i], origin) == 0)
			return 1;
	return 0;
}

/* --- field values -------------------------------------------------------------------------- */

/* Decodes one UTF-8 sequence; returns its length, or 0 when it is malformed, overlong, a
 * surrogate or beyond U+10FFFF. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	size_t n = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3
		 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (n == 0)
		return 0;
	uint32_t v = n == 1 ? s[0] : s[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min[n] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

/* Valid UTF-8 without control characters (C0, DEL, C1); tabs and newlines are refused too. */
static int text_ok(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	while (*u) {
		uint32_t cp;
		size_t n = utf8_next(u, &cp);
		if (n == 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return 0;
		u += n;
	}
	return 1;
}

static int email_ok(const char *s)
{
	const char *at = strchr(s, '@');
	if (!at || at == s || !at[1] || strchr(at + 1, '@') || strchr(s, ' '))
		return 0;
	return text_ok(s);
}

static int phone_ok(const char *s)
{
	size_t len = strlen(s), digits = 0;
	for (size_t i = s[0] == '+'; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (!strchr(" -()", s[i]))
			return 0;
	}
	return len >= 4 && len <= 32 && digits >= 4;
}

static int country_ok(const char *s)
{
	return s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' && !s[2];
}

int sk_policy_field_validate(const struct sk_field_def *f, const char *value,
			     struct sk_errctx *err)
{
	int code = f->type == SK_FIELD_EMAIL ? SK_ERR_INVALID_EMAIL : SK_ERR_INVALID;
	if (!value)
		return sk_errf(err, code, "%s: missing", f->name);
	if (strlen(value) > (size_t)f->max_length)
		return sk_errf(err, code, "%s: longer than %d bytes", f->name, f->max_length);
	switch (f->type) {
	case SK_FIELD_EMAIL:
		if (!email_ok(value))
			return sk_errf(err, code, "%s: not a valid e-mail address", f->name);
		break;
	case SK_FIELD_TEXT:
		if (!text_ok(value))
			return sk_errf(err, code, "%s: expected UTF-8 text without control "
				       "characters", f->name);
		break;
	case SK_FIELD_PHONE:
		if (!phone_ok(value))
			return sk_errf(err, code, "%s: expected a phone number: an optional '+', then "
				       "at least 4 digits, spaces, '-', '(' or ')'", f->name);
		break;
	case SK_FIELD_COUNTRY:
		if (!country_ok(value))
			return sk_errf(err, code, "%s: expected a two-letter country code such as SE",
				       f->name);
		break;
	}
	return 0;
}

/* --- names --------------------------------------------------------------------------------- */

int sk_lang_from_name(const char *name)
{
	for (int l = 0; name && l < SK_NLANG; l++)
		if (strcmp(lang_names[l], name) == 0)
			return l;
	return -1;
}

const char *sk_lang_name(int lang)
{
	return lang >= 0 && lang < SK_NLANG ? lang_names[lang] : NULL;
}

const char *sk_basis_name(enum sk_basis b)
{
	return (unsigned)b <= SK_BASIS_LEGAL_OBLIGATION ? basis_names[b] : NULL;
}

const char *sk_kind_name(enum sk_kind k)
{
	return (unsigned)k <= SK_KIND_OTHER ? kind_names[k] : NULL;
}

const char *sk_field_type_name(enum sk_field_type t)
{
	return (unsigned)t <= SK_FIELD_COUNTRY ? type_names[t] : NULL;
}

/* --- the brand's colours and URLs ---------------------------------------------------------- */

int sk_colour_rgb(const char *s, unsigned char out[3])
{
	if (!s || s[0] != '#' || strlen(s) != 7 || strspn(s + 1, "0123456789abcdefABCDEF") != 6)
		return -1;
	for (int i = 0; out && i < 3; i++) {
		char h[3] = {s[1 + 2 * i], s[2 + 2 * i], '\0'};
		out[i] = (unsigned char)strtol(h, NULL, 16);
	}
	return 0;
}

/* WCAG 2's relative luminance of an sRGB colour. */
static double luminance(const unsigned char rgb[3])
{
	static const double w[3] = {0.2126, 0.7152, 0.0722};
	double l = 0;
	for (int i = 0; i < 3; i++) {
		double v = rgb[i] / 255.0;
		l += w[i] * (v <= 0.03928 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4));
	}
	return l;
}

double sk_contrast(const char *a, const char *b)
{
	unsigned char x[3], y[3];
	if (sk_colour_rgb(a, x) || sk_colour_rgb(b, y))
		return 0;
	double la = luminance(x), lb = luminance(y);
	return la > lb ? (la + 0.05) / (lb + 0.05) : (lb + 0.05) / (la + 0.05);
}

const char *sk_brand_primary(const struct sk_policy *p)
{
	return p && p->brand_primary ? p->brand_primary : SK_BRAND_PRIMARY;
}

const char *sk_brand_background(const struct sk_policy *p)
{
	return p && p->brand_background ? p->brand_background : SK_BRAND_BACKGROUND;
}

const char *sk_brand_text(const struct sk_policy *p)
{
	return p && p->brand_text ? p->brand_text : SK_BRAND_TEXT;
}

int sk_url_origin(const char *url, char *out, size_t size)
{
	const char *h = strstr(url, "://");
	if (!h || h == url)
		return -1;
	h += 3;
	size_t n = (size_t)(h - url) + strcspn(h, "/?#");
	if (n == (size_t)(h - url) || n >= size || memchr(h, '@', n - (size_t)(h - url)))
		return -1;
	memcpy(out, url, n);
	out[n] = '\0';
	return 0;
}
