/* mapping.c: the import mapping, a JSON document that says which CSV column is the address,
 * which columns are which declared fields, and which columns carry the consent, its date and
 * its source for each purpose. Checked against the header and the policy before any row. The
 * console also takes it written in YAML (sk_import_map_yaml turns that into the JSON). */
#include <ctype.h>
#include <iconv.h>
#include <jansson.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>
#include <yaml.h>

#include "io/io.h"
#include "util/mem.h"

void sk_import_map_free(struct sk_import_map *m)
{
	if (!m)
		return;
	sk_free(m->email);
	sk_free(m->encoding);
	for (size_t i = 0; i < m->nfields; i++) {
		sk_free(m->fields[i].field);
		sk_free(m->fields[i].column);
	}
	sk_free(m->fields);
	for (size_t i = 0; i < m->nconsents; i++) {
		sk_free(m->consents[i].purpose);
		sk_free(m->consents[i].value);
		sk_free(m->consents[i].at);
		sk_free(m->consents[i].source);
	}
	sk_free(m->consents);
	sk_free(m);
}

/* A non-empty string member, or NULL when absent (optional); -1 for a wrong type. */
static int str_member(json_t *o, const char *key, int required, char **out, const char *where,
		      struct sk_errctx *err)
{
	json_t *v = json_object_get(o, key);
	*out = NULL;
	if (!v) {
		if (required)
			return sk_errf(err, SK_ERR_INVALID, "mapping: %s%s is missing", where, key);
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 255)
		return sk_errf(err, SK_ERR_INVALID, "mapping: %s%s must be a column name", where,
			       key);
	if (!(*out = sk_strdup(json_string_value(v))))
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	return 0;
}

/* "encoding": a name iconv knows (letters, digits, '-', '_', '.', ':'; at most 32). UTF-8
 * under any spelling is the default and stored as NULL: no conversion. */
static int encoding_member(json_t *o, char **out, struct sk_errctx *err)
{
	json_t *v = json_object_get(o, "encoding");
	const char *s;
	size_t n;
	*out = NULL;
	if (!v)
		return 0;
	if (!json_is_string(v) || (n = json_string_length(v)) == 0 || n > 32)
		goto bad;
	s = json_string_value(v);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.:", s[i]))
			goto bad;
	if (strcasecmp(s, "utf-8") == 0 || strcasecmp(s, "utf8") == 0)
		return 0;
	iconv_t cd = iconv_open("UTF-8", s);
	if (cd == (iconv_t)-1)
		return sk_errf(err, SK_ERR_INVALID, "mapping: encoding '%s' is not known to iconv "
			       "(such as windows-1252, latin1, utf-16)", s);
	iconv_close(cd);
	if (!(*out = sk_strdup(s)))
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	return 0;
bad:
	return sk_errf(err, SK_ERR_INVALID, "mapping: encoding must be a name such as "
		       "windows-1252, latin1 or utf-16");
}

int sk_import_map_parse(const char *text, size_t len, struct sk_import_map **out,
			struct sk_errctx *err)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je), *v;
	struct sk_import_map *m = NULL;
	const char *k;
	char where[128];
	int rc = 0;

	if (!root)
		return sk_errf(err, SK_ERR_INVALID, "mapping: malformed JSON at line %d, column %d",
			       je.line, je.column);
	if (!json_is_object(root)) {
		rc = sk_errf(err, SK_ERR_INVALID, "mapping: expected a JSON object");
		goto out;
	}
	json_object_foreach(root, k, v) {
		if (strcmp(k, "email") && strcmp(k, "fields") && strcmp(k, "consents") &&
		    strcmp(k, "encoding")) {
			rc = sk_errf(err, SK_ERR_INVALID, "mapping: unknown key '%.64s' (email, "
				     "fields, consents, encoding)", k);
			goto out;
		}
	}
	if (!(m = sk_calloc(1, sizeof(*m)))) {
		rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = str_member(root, "email", 1, &m->email, "", err)) ||
	    (rc = encoding_member(root, &m->encoding, err)))
		goto out;
	json_t *fields = json_object_get(root, "fields");
	if (fields && !json_is_object(fields)) {
		rc = sk_errf(err, SK_ERR_INVALID, "mapping: fields must be an object {field: column}");
		goto out;
	}
	if (fields && json_object_size(fields)) {
		m->fields = sk_calloc(json_object_size(fields), sizeof(*m->fields));
		if (!m->fields) {
			rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
			goto out;
		}
		json_object_foreach(fields, k, v) {
			struct sk_map_field *f = &m->fields[m->nfields++];
			if (!(f->field = sk_strdup(k))) {
				rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
				goto out;
			}
			if (!json_is_string(v) || json_string_length(v) == 0 ||
			    json_string_length(v) > 255) {
				rc = sk_errf(err, SK_ERR_INVALID, "mapping: fields.%.64s must be a "
					     "column name", k);
				goto out;
			}
			if (!(f->column = sk_strdup(json_string_value(v)))) {
				rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
				goto out;
			}
		}
	}
	json_t *consents = json_object_get(root, "consents");
	if (consents && !json_is_object(consents)) {
		rc = sk_errf(err, SK_ERR_INVALID, "mapping: consents must be an object "
			     "{purpose: {value, at, source}}");
		goto out;
	}
	if (consents && json_object_size(consents)) {
		m->consents = sk_calloc(json_object_size(consents), sizeof(*m->consents));
		if (!m->consents) {
			rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
			goto out;
		}
		json_object_foreach(consents, k, v) {
			struct sk_map_consent *mc = &m->consents[m->nconsents++];
			const char *k2;
			json_t *v2;
			if (!(mc->purpose = sk_strdup(k))) {
				rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
				goto out;
			}
			if (!json_is_object(v)) {
				rc = sk_errf(err, SK_ERR_INVALID, "mapping: consents.%.64s must be an "
					     "object {value, at, source}", k);
				goto out;
			}
			json_object_foreach(v, k2, v2) {
				if (strcmp(k2, "value") && strcmp(k2, "at") && strcmp(k2, "source")) {
					rc = sk_errf(err, SK_ERR_INVALID, "mapping: consents.%.64s: "
						     "unknown key '%.64s' (value, at, source)", k, k2);
					goto out;
				}
			}
			snprintf(where, sizeof(where), "consents.%.64s.", k);
			if ((rc = str_member(v, "value", 1, &mc->value, where, err)) ||
			    (rc = str_member(v, "at", 0, &mc->at, where, err)) ||
			    (rc = str_member(v, "source", 0, &mc->source, where, err)))
				goto out;
		}
	}
out:
	json_decref(root);
	if (rc) {
		sk_import_map_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

static int col_find(const char *const *cols, size_t ncols, const char *name, int *out,
		    const char *what, struct sk_errctx *err)
{
	*out = -1;
	if (!name)
		return 0;
	for (size_t i = 0; i < ncols; i++)
		if (strcmp(cols[i], name) == 0) {
			*out = (int)i;
			return 0;
		}
	return sk_errf(err, SK_ERR_INVALID, "mapping: %s names column '%.64s', which is not in "
		       "the header", what, name);
}

int sk_import_map_bind(struct sk_import_map *m, const char *const *cols, size_t ncols,
		       const struct sk_policy *policy, struct sk_errctx *err)
{
	char what[160];
	int rc;

	for (size_t i = 0; i < ncols; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(cols[i], cols[j]) == 0)
				/* by position: a file without a header row has data in its
				 * first line, and this message is logged and kept */
				return sk_errf(err, SK_ERR_INVALID, "header: columns %zu and %zu "
					       "have the same name (is the first line a header?)",
					       j + 1, i + 1);
	if ((rc = col_find(cols, ncols, m->email, &m->email_i, "email", err)))
		return rc;
	for (size_t i = 0; i < m->nfields; i++) {
		struct sk_map_field *f = &m->fields[i];
		if (strcmp(f->field, "email") == 0)
			return sk_errf(err, SK_ERR_INVALID, "mapping: the address is mapped by "
				       "\"email\", not under fields");
		if (!sk_policy_field(policy, f->field) || !sk_policy_field_needed(policy, f->field))
			return sk_errf(err, SK_ERR_UNDECLARED_FIELD, "mapping: field '%.64s' is not "
				       "declared by any purpose in the policy", f->field);
		snprintf(what, sizeof(what), "fields.%.64s", f->field);
		if ((rc = col_find(cols, ncols, f->column, &f->col_i, what, err)))
			return rc;
	}
	for (size_t i = 0; i < m->nconsents; i++) {
		struct sk_map_consent *mc = &m->consents[i];
		const struct sk_purpose *p = sk_policy_purpose(policy, mc->purpose);
		if (!p)
			return sk_errf(err, SK_ERR_UNKNOWN_PURPOSE, "mapping: purpose '%.64s' is not "
				       "in the policy", mc->purpose);
		if (p->basis != SK_BASIS_CONSENT)
			return sk_errf(err, SK_ERR_INVALID, "mapping: purpose '%.64s' is not on "
				       "consent", mc->purpose);
		snprintf(what, sizeof(what), "consents.%.64s", mc->purpose);
		if ((rc = col_find(cols, ncols, mc->value, &mc->value_i, what, err)) ||
		    (rc = col_find(cols, ncols, mc->at, &mc->at_i, what, err)) ||
		    (rc = col_find(cols, ncols, mc->source, &mc->source_i, what, err)))
			return rc;
	}
	return 0;
}

/* ---- the mapping written in YAML (the console takes either) ---- */

/* One YAML node from the parser's events into *out: mappings become objects, sequences
 * arrays, scalars strings (the mapping's values are column names, so "1" stays "1").
 * Anchors and aliases are refused (nothing in a mapping needs them). depth bounds nesting. */
static int yaml_node(yaml_parser_t *p, yaml_event_t *ev, int depth, json_t **out,
		     struct sk_errctx *err)
{
	int rc = 0;
	*out = NULL;
	if (depth > 8)
		return sk_errf(err, SK_ERR_INVALID, "the mapping (YAML), line %zu: nested too deep",
			       ev->start_mark.line + 1);
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		*out = json_stringn((const char *)ev->data.scalar.value, ev->data.scalar.length);
		return *out ? 0 : sk_errf(err, SK_ERR_INVALID, "the mapping (YAML), line %zu: a "
					  "value is not UTF-8", ev->start_mark.line + 1);
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT: {
		int map = ev->type == YAML_MAPPING_START_EVENT;
		json_t *o = map ? json_object() : json_array();
		if (!o)
			return sk_errf(err, SK_ERR_NOMEM, "out of memory");
		for (;;) {
			yaml_event_t k, v;
			json_t *key = NULL, *val = NULL;
			if (!yaml_parser_parse(p, &k)) {
				rc = sk_errf(err, SK_ERR_INVALID, "the mapping (YAML), line %zu: %s",
					     p->problem_mark.line + 1,
					     p->problem ? p->problem : "malformed");
				break;
			}
			if (k.type == YAML_MAPPING_END_EVENT || k.type == YAML_SEQUENCE_END_EVENT) {
				yaml_event_delete(&k);
				break;
			}
			if (map) {
				if (k.type != YAML_SCALAR_EVENT) {
					rc = sk_errf(err, SK_ERR_INVALID, "the mapping (YAML), line "
						     "%zu: a key must be a name",
						     k.start_mark.line + 1);
					yaml_event_delete(&k);
					break;
				}
				rc = yaml_node(p, &k, depth + 1, &key, err);
				yaml_event_delete(&k);
				if (rc)
					break;
				if (!yaml_parser_parse(p, &v)) {
					json_decref(key);
					rc = sk_errf(err, SK_ERR_INVALID, "the mapping (YAML), line "
						     "%zu: %s", p->problem_mark.line + 1,
						     p->problem ? p->problem : "malformed");
					break;
				}
				rc = yaml_node(p, &v, depth + 1, &val, err);
				yaml_event_delete(&v);
				if (!rc && json_object_get(o, json_string_value(key)))
					rc = sk_errf(err, SK_ERR_INVALID, "the mapping (YAML): the key "
						     "'%.64s' is given twice", json_string_value(key));
				if (!rc)
					json_object_set(o, json_string_value(key), val);
				json_decref(key);
				json_decref(val);
			} else {
				rc = yaml_node(p, &k, depth + 1, &val, err);
				yaml_event_delete(&k);
				if (!rc)
					json_array_append(o, val);
				json_decref(val);
			}
			if (rc)
				break;
		}
		if (rc) {
			json_decref(o);
			return rc;
		}
		*out = o;
		return 0;
	}
	case YAML_ALIAS_EVENT:
	default:
		return sk_errf(err, SK_ERR_INVALID, "the mapping (YAML), line %zu: only keys, "
			       "values and nesting are allowed (no anchors or aliases)",
			       ev->start_mark.line + 1);
	}
}

int sk_import_map_yaml(const char *text, size_t len, char **out, struct sk_errctx *err)
{
	yaml_parser_t p;
	yaml_event_t ev;
	json_t *root = NULL;
	int rc = 0;
	*out = NULL;
	if (!yaml_parser_initialize(&p))
		return sk_errf(err, SK_ERR_NOMEM, "out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	for (;;) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = sk_errf(err, SK_ERR_INVALID, "the mapping (YAML), line %zu: %s",
				     p.problem_mark.line + 1, p.problem ? p.problem : "malformed");
			break;
		}
		yaml_event_type_t t = ev.type;
		if (t == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (t == YAML_STREAM_START_EVENT || t == YAML_DOCUMENT_START_EVENT ||
		    t == YAML_DOCUMENT_END_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		if (root) {
			yaml_event_delete(&ev);
			rc = sk_errf(err, SK_ERR_INVALID, "the mapping (YAML) holds more than one "
				     "document");
			break;
		}
		rc = yaml_node(&p, &ev, 0, &root, err);
		yaml_event_delete(&ev);
		if (rc)
			break;
	}
	yaml_parser_delete(&p);
	if (!rc && !json_is_object(root))
		rc = sk_errf(err, SK_ERR_INVALID, "the mapping (YAML) must be keys and values");
	if (!rc) {
		char *s = json_dumps(root, JSON_COMPACT);
		*out = s ? sk_strdup(s) : NULL;
		free(s);
		if (!*out)
			rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
	}
	json_decref(root);
	return rc;
}
