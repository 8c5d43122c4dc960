/* h_contacts.c: /v1/contacts: create, find by address, read, change fields, and the consent
 * state and history of one contact. */
#include <string.h>

#include "http/http_int.h"
#include "util/sktime.h"

#define MAX_FIELDS 64

/* {"name":"value",..} into fields (pointing into o). */
static int fields_from_json(struct sk_req *r, json_t *o, struct sk_field_value *fields, size_t *n)
{
	const char *key;
	json_t *v;
	*n = 0;
	if (!o)
		return 0;
	if (!json_is_object(o))
		return sk_errf(&r->err, SK_ERR_INVALID, "'fields' must be an object");
	if (json_object_size(o) > MAX_FIELDS)
		return sk_errf(&r->err, SK_ERR_TOO_LARGE, "at most %d fields", MAX_FIELDS);
	json_object_foreach(o, key, v) {
		if (!json_is_string(v))
			return sk_errf(&r->err, SK_ERR_INVALID, "field '%.64s' must be a string", key);
		fields[*n].name = key;
		fields[(*n)++].value = json_string_value(v);
	}
	return 0;
}

/* The answer of a core call (rc) that fetched ct: the contact, or the error. */
static int reply_contact(struct sk_req *r, int rc, struct sk_contact *ct)
{
	if (!rc)
		rc = sk_reply_json(r, 200, sk_json_contact(ct));
	sk_contact_reset(ct);
	return rc;
}

static int contact_create(struct sk_req *r, void *arg)
{
	static const char *const keys[] = {"email", "fields", NULL};
	struct sk_field_value fields[MAX_FIELDS];
	char id[SK_ID_LEN + 1];
	const char *email;
	json_t *body;
	size_t n;
	int rc;
	(void)arg;

	if ((rc = sk_req_json(r, keys, &body)))
		return rc;
	if (!(rc = sk_json_str(r, body, "email", 1, &email)) &&
	    !(rc = fields_from_json(r, json_object_get(body, "fields"), fields, &n)) &&
	    !(rc = sk_contact_add(r->core, email, fields, n, id, &r->err)))
		rc = sk_reply_json(r, 201, sk_json_created(id));
	json_decref(body);
	return rc;
}

int sk_h_contact_create(struct sk_req *r)
{
	return sk_idempotent(r, contact_create, NULL);
}

int sk_h_contact_find(struct sk_req *r)
{
	struct sk_contact ct;
	const char *email = sk_req_arg(r, "email");
	if (!email)
		return sk_errf(&r->err, SK_ERR_INVALID, "give ?email=ADDRESS");
	return reply_contact(r, sk_contact_get(r->core, email, &ct, &r->err), &ct);
}

int sk_h_contact_get(struct sk_req *r)
{
	struct sk_contact ct;
	return reply_contact(r, sk_contact_get_by_id(r->core, r->param, &ct, &r->err), &ct);
}

int sk_h_contact_patch(struct sk_req *r)
{
	static const char *const keys[] = {"fields", NULL};
	struct sk_field_value fields[MAX_FIELDS];
	struct sk_contact ct = {0};
	json_t *body;
	size_t n;
	int rc;

	char actor[80];
	snprintf(actor, sizeof(actor), "api:%s", r->key.name);
	if ((rc = sk_req_json(r, keys, &body)))
		return rc;
	if (!(rc = fields_from_json(r, json_object_get(body, "fields"), fields, &n)))
		rc = sk_contact_edit_get(r->core, r->param, fields, n, actor, &ct, &r->err);
	rc = reply_contact(r, rc, &ct);
	json_decref(body);
	return rc;
}

int sk_h_contact_consents(struct sk_req *r)
{
	struct sk_json_list st = {json_array(), sk_time_now(), 0}, hist = {json_array(), st.now, 0};
	int rc;
	if (!(rc = sk_consent_overview(r->core, r->param, sk_json_list_state, &st,
				       sk_json_list_event, &hist, &r->err)))
		return sk_reply_json(r, 200, sk_json_consents(r->param, st.arr, hist.arr));
	json_decref(st.arr);
	json_decref(hist.arr);
	return rc;
}

/* POST /v1/contacts/{id}/preference-link: the contact's own link to the preference centre
 * under the server's --public-url; optional body {"days": N} (1 to 365, default 30). */
int sk_h_contact_pref_link(struct sk_req *r)
{
	static const char *const keys[] = {"days", NULL};
	const struct sk_server_config *cfg = sk_server_cfg();
	char token[SK_PREF_LINK_MAX], url[SK_PREF_LINK_MAX + 512], base[320];
	json_t *body = NULL, *d;
	int64_t expires = 0;
	int rc, days = SK_PREF_LINK_DAYS;

	if (r->body.len && (rc = sk_req_json(r, keys, &body)))
		return rc;
	if ((d = json_object_get(body, "days"))) {
		json_int_t v = json_is_integer(d) ? json_integer_value(d) : 0;
		if (v < 1 || v > 365) {
			json_decref(body);
			return sk_errf(&r->err, SK_ERR_INVALID, "'days' must be a whole number from 1 to 365");
		}
		days = (int)v;
	}
	json_decref(body);
	if (cfg->public_url)
		snprintf(base, sizeof(base), "%s", cfg->public_url);
	else
		snprintf(base, sizeof(base), "http://%s", cfg->listen);
	for (size_t n = strlen(base); n && base[n - 1] == '/'; n--)
		base[n - 1] = '\0';
	if ((rc = sk_pref_link_via(r->core, r->param, SK_PREF_VIA_API, sk_time_now(), days, token,
				   &expires, &r->err)))
		return rc;
	snprintf(url, sizeof(url), "%s/p/%s", base, token);
	return sk_reply_json(r, 201, sk_json_pref_link(url, expires));
}
