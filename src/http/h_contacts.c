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

static int reply_contact(struct sk_req *r, int status, const char *id)
{
	struct sk_contact ct;
	int rc = sk_contact_get_by_id(r->core, id, &ct, &r->err);
	if (rc)
		return rc;
	rc = sk_reply_json(r, status, sk_json_contact(&ct));
	sk_contact_reset(&ct);
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
		rc = sk_reply_json(r, 201, json_pack("{s:s}", "id", id));
	json_decref(body);
	return rc;
}

int sk_h_contact_create(struct sk_req *r)
{
	return sk_idempotent(r, contact_create, NULL);
}

int sk_h_contact_find(struct sk_req *r)
{
	char id[SK_ID_LEN + 1];
	const char *email = sk_req_arg(r, "email");
	if (!email)
		return sk_errf(&r->err, SK_ERR_INVALID, "give ?email=ADDRESS");
	int rc = sk_contact_find(r->core, email, id, &r->err);
	return rc ? rc : reply_contact(r, 200, id);
}

int sk_h_contact_get(struct sk_req *r)
{
	return reply_contact(r, 200, r->param);
}

int sk_h_contact_patch(struct sk_req *r)
{
	static const char *const keys[] = {"fields", NULL};
	struct sk_field_value fields[MAX_FIELDS];
	json_t *body;
	size_t n;
	int rc;

	char actor[80];
	snprintf(actor, sizeof(actor), "api:%s", r->key.name);
	if ((rc = sk_req_json(r, keys, &body)))
		return rc;
	if (!(rc = fields_from_json(r, json_object_get(body, "fields"), fields, &n)) &&
	    !(rc = sk_contact_edit(r->core, r->param, fields, n, actor, &r->err)))
		rc = reply_contact(r, 200, r->param);
	json_decref(body);
	return rc;
}

struct list_ctx {
	json_t *arr;
	int64_t now;
};

static int add_state(void *arg, const struct sk_state *st)
{
	struct list_ctx *x = arg;
	return json_array_append_new(x->arr, sk_json_state(st, x->now)) ? SK_ERR_NOMEM : 0;
}

static int add_event(void *arg, const struct sk_consent_event *ev)
{
	struct list_ctx *x = arg;
	return json_array_append_new(x->arr, sk_json_event(ev)) ? SK_ERR_NOMEM : 0;
}

int sk_h_contact_consents(struct sk_req *r)
{
	struct list_ctx st = {json_array(), sk_time_now()}, hist = {json_array(), st.now};
	int rc;
	if (!(rc = sk_contact_exists(r->core, r->param, &r->err)) &&
	    !(rc = sk_consent_states(r->core, r->param, add_state, &st, &r->err)) &&
	    !(rc = sk_consent_history(r->core, r->param, add_event, &hist, &r->err)))
		return sk_reply_json(r, 200, json_pack("{s:s,s:o,s:o}", "contact_id", r->param,
						       "state", st.arr, "history", hist.arr));
	json_decref(st.arr);
	json_decref(hist.arr);
	return rc;
}
