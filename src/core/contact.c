/* contact.c: contacts, the data subjects. Only fields that some purpose needs may be stored
 * (minimisation); every value, the address included (as first written; the key comes from
 * its canonical form), is sealed with the contact's own data key, so the database holds no
 * personal data in clear. */
#include "core/core_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

#define FIELD_EMAIL "email"

/* Every field declared, needed by a purpose, valid, and named once; "email" is not set this
 * way (it is the contact's key). Nothing is written before this passes. */
static int fields_check(struct sk_core *c, const struct sk_field_value *fields, size_t n,
			struct sk_errctx *err)
{
	for (size_t i = 0; i < n; i++) {
		const struct sk_field_def *f = sk_policy_field(c->policy, fields[i].name);
		if (!f || !sk_policy_field_needed(c->policy, fields[i].name))
			return sk_errf(err, SK_ERR_UNDECLARED_FIELD,
				       "field '%.64s' is not declared by any purpose in the policy",
				       fields[i].name);
		if (strcmp(fields[i].name, FIELD_EMAIL) == 0)
			return sk_errf(err, SK_ERR_INVALID,
				       "field 'email' is the contact's address and cannot be set here");
		for (size_t j = 0; j < i; j++)
			if (strcmp(fields[i].name, fields[j].name) == 0)
				return sk_errf(err, SK_ERR_INVALID, "field '%.64s' is given twice",
					       fields[i].name);
		int rc = sk_policy_field_validate(f, fields[i].value, err);
		if (rc)
			return rc;
	}
	return 0;
}

int sk__field_store(struct sk_core *c, const char *contact_id, const uint8_t dk[SK_VAULT_KEY_LEN],
		    const char *name, const char *value, struct sk_errctx *err)
{
	char ad[128];
	uint8_t *sealed;
	size_t len;
	sk__seal_ad(contact_id, name, ad);
	int rc = sk_vault_seal(dk, ad, value, strlen(value), &sealed, &len);
	if (rc)
		return sk_errf(err, rc, "out of memory");
	rc = sk_store_field_put(c->store, contact_id, name, sealed, len);
	sk_free(sealed);
	return rc ? sk__store_err(err, rc, "storing a field") : 0;
}

int sk__contact_create(struct sk_core *c, const char *written, const uint8_t key[SK_HASH_LEN],
		       struct sk_contact_rec *out, uint8_t dk[SK_VAULT_KEY_LEN],
		       struct sk_errctx *err)
{
	uint8_t wrapped[SK_VAULT_WRAPPED_LEN];
	struct sk_contact_rec rec = {0};
	int rc;

	if (sk_id_new("c_", rec.id))
		return sk_errf(err, SK_ERR_IO, "no randomness for an id");
	memcpy(rec.email_key, key, SK_HASH_LEN);
	rec.created_at = rec.updated_at = sk_time_now();
	rc = sk_store_contact_insert(c->store, &rec);
	if (rc == SK_ERR_EXISTS)
		return sk_errf(err, rc, "a contact with this address exists");
	if (rc)
		return sk__store_err(err, rc, "creating a contact");
	if ((rc = sk__datakey_new(c, rec.id, dk, wrapped, err)))
		return rc;
	rc = sk_store_datakey_put(c->store, rec.id, wrapped, sizeof(wrapped));
	if (rc)
		return sk__store_err(err, rc, "storing a data key");
	rc = sk__field_store(c, rec.id, dk, FIELD_EMAIL, written, err);
	if (!rc)
		*out = rec;
	return rc;
}

/* Refuses an address on the suppression list (it outranks everything). */
static int not_suppressed(struct sk_core *c, const struct sk__addr *a, struct sk_errctx *err)
{
	struct sk_gate_rec g;
	int rc = sk__addr_lookup(c, a, "", &g);
	if (rc)
		return sk__store_err(err, rc, "reading the suppression list");
	if (g.suppressed)
		return sk_errf(err, SK_ERR_SUPPRESSED, "the address is on the suppression list (%s)",
			       g.suppress_reason);
	return 0;
}

int sk_contact_add(struct sk_core *c, const char *email, const struct sk_field_value *fields,
		   size_t nfields, char outid[SK_ID_LEN + 1], struct sk_errctx *err)
{
	struct sk__addr a;
	uint8_t dk[SK_VAULT_KEY_LEN];
	struct sk_contact_rec rec;
	int rc;

	if ((rc = sk_core_need_policy(c, err)) || (rc = fields_check(c, fields, nfields, err)) ||
	    (rc = sk__addr_parse(c, email, &a, err)))
		return rc;
	if ((rc = sk__core_begin(c, err)))
		goto out;
	rc = not_suppressed(c, &a, err);
	if (!rc)
		rc = sk__contact_create(c, a.written, a.key, &rec, dk, err);
	for (size_t i = 0; !rc && i < nfields; i++)
		rc = sk__field_store(c, rec.id, dk, fields[i].name, fields[i].value, err);
	if (!rc) {
		rc = sk__change_append(c, SK_CHG_CONTACT, rec.id, NULL, NULL, rec.created_at, err);
	}
	rc = sk__core_end(c, rc, err);
	if (!rc)
		memcpy(outid, rec.id, sizeof(rec.id));
out:
	sk__addr_wipe(&a);
	sk_vault_wipe(dk, sizeof(dk));
	return rc;
}

int sk__contact_add_checked(struct sk_core *c, const char *written,
			    const uint8_t key[SK_HASH_LEN], const struct sk_field_value *fields,
			    size_t nfields, char outid[SK_ID_LEN + 1], struct sk_errctx *err)
{
	uint8_t dk[SK_VAULT_KEY_LEN];
	struct sk_contact_rec rec;
	int rc;

	if (!c->in_batch)
		return sk_errf(err, SK_ERR_USAGE, "no batch is open");
	if ((rc = sk_core_need_policy(c, err)) || (rc = fields_check(c, fields, nfields, err)))
		return rc;
	rc = sk__contact_create(c, written, key, &rec, dk, err);
	for (size_t i = 0; !rc && i < nfields; i++)
		rc = sk__field_store(c, rec.id, dk, fields[i].name, fields[i].value, err);
	if (!rc)
		rc = sk__change_append(c, SK_CHG_CONTACT, rec.id, NULL, NULL, rec.created_at, err);
	if (!rc)
		memcpy(outid, rec.id, sizeof(rec.id));
	sk_vault_wipe(dk, sizeof(dk));
	return rc;
}

int sk_contact_exists(struct sk_core *c, const char *id, struct sk_errctx *err)
{
	struct sk_contact_rec rec;
	int rc = sk_store_contact_by_id(c->store, id, &rec);
	if (rc == SK_ERR_NOT_FOUND)
		return sk_errf(err, rc, "no such contact");
	return rc ? sk__store_err(err, rc, "reading a contact") : 0;
}

int sk_contact_find(struct sk_core *c, const char *email, char outid[SK_ID_LEN + 1],
		    struct sk_errctx *err)
{
	uint8_t key[SK_HASH_LEN];
	struct sk_contact_rec rec;
	int rc = sk__email_key(c, email, key, err);
	if (rc)
		return rc;
	rc = sk_store_contact_by_key(c->store, key, &rec);
	if (rc == SK_ERR_NOT_FOUND)
		return sk_errf(err, rc, "no contact has this address");
	if (rc)
		return sk__store_err(err, rc, "looking up a contact");
	memcpy(outid, rec.id, sizeof(rec.id));
	return 0;
}

void sk_contact_reset(struct sk_contact *ct)
{
	for (size_t i = 0; i < ct->nfields; i++) {
		sk_free((char *)ct->fields[i].name);
		if (ct->fields[i].value)
			sk_vault_wipe((char *)ct->fields[i].value, strlen(ct->fields[i].value));
		sk_free((char *)ct->fields[i].value);
	}
	sk_free(ct->fields);
	memset(ct, 0, sizeof(*ct));
}

struct open_ctx {
	struct sk_contact *ct;
	const uint8_t *dk;
	int rc;
	struct sk_errctx *err;
};

static int open_field(void *arg, const char *name, const uint8_t *sealed, size_t len)
{
	struct open_ctx *o = arg;
	struct sk_contact *ct = o->ct;
	char ad[128], *value;
	size_t vlen;
	sk__seal_ad(ct->id, name, ad);
	if (sk_vault_unseal(o->dk, ad, sealed, len, &value, &vlen))
		return o->rc = sk_errf(o->err, SK_ERR_CRYPTO, "field '%.64s' cannot be opened", name);
	struct sk_field_value *f = sk_realloc(ct->fields, (ct->nfields + 1) * sizeof(*f));
	char *n = sk_strdup(name);
	if (!f || !n) {
		if (f)
			ct->fields = f;
		sk_free(n);
		sk_free(value);
		return o->rc = sk_errf(o->err, SK_ERR_NOMEM, "out of memory");
	}
	ct->fields = f;
	f[ct->nfields].name = n;
	f[ct->nfields].value = value;
	ct->nfields++;
	return 0;
}

static int field_order(const void *a, const void *b)
{
	const struct sk_field_value *x = a, *y = b;
	int ex = strcmp(x->name, FIELD_EMAIL) == 0, ey = strcmp(y->name, FIELD_EMAIL) == 0;
	if (ex != ey)
		return ey - ex;
	return strcmp(x->name, y->name);
}

int sk_contact_resolve(struct sk_core *c, const char *who, char outid[SK_ID_LEN + 1],
		       char email[SK_CONTACT_WHO_MAX], struct sk_errctx *err)
{
	struct sk_contact ct;
	int rc;
	outid[0] = email[0] = '\0';
	if (!who)
		return sk_errf(err, SK_ERR_USAGE, "no address or contact id given");
	if (strncmp(who, "c_", 2) != 0 || strchr(who, '@')) {
		if (strlen(who) >= SK_CONTACT_WHO_MAX)
			return sk_errf(err, SK_ERR_INVALID_EMAIL, "the address is longer than %d bytes",
				       SK_CONTACT_WHO_MAX - 1);
		sk_strlcpy(email, who, SK_CONTACT_WHO_MAX);
		rc = sk_contact_find(c, who, outid, err);
		if (rc == SK_ERR_NOT_FOUND || rc == SK_ERR_INVALID_EMAIL) {
			outid[0] = '\0';
			return 0;
		}
		return rc;
	}
	/* an id: it is no personal data, so the message may name it */
	if (strlen(who) > SK_ID_LEN)
		return sk_errf(err, SK_ERR_NOT_FOUND, "no contact has the id %.*s...", SK_ID_LEN, who);
	rc = sk_contact_get_by_id(c, who, &ct, err);
	if (rc == SK_ERR_NOT_FOUND)
		return sk_errf(err, rc, "no contact has the id %s", who);
	if (rc)
		return rc;
	for (size_t i = 0; i < ct.nfields; i++)
		if (strcmp(ct.fields[i].name, "email") == 0)
			sk_strlcpy(email, ct.fields[i].value, SK_CONTACT_WHO_MAX);
	sk_strlcpy(outid, ct.id, SK_ID_LEN + 1);
	sk_contact_reset(&ct);
	if (!email[0])
		return sk_errf(err, SK_ERR_CORRUPT, "contact %s has no address", who);
	return 0;
}

/* The data key and the opened fields of contact id into out (id, fields, nfields). */
static int open_fields(struct sk_core *c, const char *id, struct sk_contact *out,
		       struct sk_errctx *err)
{
	uint8_t dk[SK_VAULT_KEY_LEN];
	int rc;
	if ((rc = sk__datakey(c, id, dk, err)))
		return rc;
	sk_strlcpy(out->id, id, sizeof(out->id));
	struct open_ctx o = {out, dk, 0, err};
	rc = sk_store_field_each(c->store, id, open_field, &o);
	if (rc && !o.rc)
		sk__store_err(err, rc, "reading fields");
	sk_vault_wipe(dk, sizeof(dk));
	if (rc) {
		sk_contact_reset(out);
		return rc;
	}
	qsort(out->fields, out->nfields, sizeof(*out->fields), field_order);
	return 0;
}

int sk_contact_get_by_id(struct sk_core *c, const char *id, struct sk_contact *out,
			 struct sk_errctx *err)
{
	struct sk_contact_rec rec;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = sk_store_contact_by_id(c->store, id, &rec);
	if (rc == SK_ERR_NOT_FOUND)
		return sk_errf(err, rc, "no such contact");
	if (rc)
		return sk__store_err(err, rc, "reading a contact");
	if ((rc = open_fields(c, rec.id, out, err)))
		return rc;
	out->created_at = rec.created_at;
	out->updated_at = rec.updated_at;
	return 0;
}

int sk_contact_fields_by_id(struct sk_core *c, const char *id, struct sk_contact *out,
			    struct sk_errctx *err)
{
	memset(out, 0, sizeof(*out));
	if (strlen(id) > SK_ID_LEN)
		return sk_errf(err, SK_ERR_NOT_FOUND, "no such contact");
	return open_fields(c, id, out, err);
}

int sk_contact_get(struct sk_core *c, const char *email, struct sk_contact *out,
		   struct sk_errctx *err)
{
	char id[SK_ID_LEN + 1];
	memset(out, 0, sizeof(*out));
	int rc = sk_contact_find(c, email, id, err);
	return rc ? rc : sk_contact_get_by_id(c, id, out, err);
}

/* sk_contact_edit; out (may be NULL) gets the contact as the same transaction left it. */
static int edit(struct sk_core *c, const char *id, const struct sk_field_value *fields,
		size_t nfields, const char *actor, struct sk_contact *out, struct sk_errctx *err)
{
	char names[1024] = "";
	struct sk_contact_rec rec;
	uint8_t dk[SK_VAULT_KEY_LEN];
	int rc;

	if ((rc = sk_core_need_policy(c, err)) || (rc = fields_check(c, fields, nfields, err)))
		return rc;
	if (nfields == 0)
		return sk_errf(err, SK_ERR_INVALID, "nothing to change: give at least one field");
	if ((rc = sk__core_begin(c, err)))
		return rc;
	rc = sk_store_contact_by_id(c->store, id, &rec);
	if (rc == SK_ERR_NOT_FOUND)
		sk_errf(err, rc, "no such contact");
	else if (rc)
		sk__store_err(err, rc, "reading a contact");
	if (!rc)
		rc = sk__datakey(c, id, dk, err);
	for (size_t i = 0; !rc && i < nfields; i++) {
		size_t len = strlen(names);
		snprintf(names + len, sizeof(names) - len, "%s%s", i ? "," : "", fields[i].name);
		rc = sk__field_store(c, id, dk, fields[i].name, fields[i].value, err);
	}
	int64_t now = sk_time_now();
	if (!rc && (rc = sk_store_contact_touch(c->store, id, now)))
		sk__store_err(err, rc, "updating a contact");
	if (!rc && (rc = sk_store_rectification_put(c->store, id, now, actor ? actor : "", names)))
		sk__store_err(err, rc, "recording a rectification");
	if (!rc)
		rc = sk__change_append(c, SK_CHG_CONTACT, id, NULL, NULL, now, err);
	sk_vault_wipe(dk, sizeof(dk));
	if (!rc && out)
		rc = sk_contact_get_by_id(c, id, out, err);
	rc = sk__core_end(c, rc, err);
	if (rc && out)
		sk_contact_reset(out);
	return rc;
}

int sk_contact_edit(struct sk_core *c, const char *id, const struct sk_field_value *fields,
		    size_t nfields, const char *actor, struct sk_errctx *err)
{
	return edit(c, id, fields, nfields, actor, NULL, err);
}

int sk_contact_edit_get(struct sk_core *c, const char *id, const struct sk_field_value *fields,
			size_t nfields, const char *actor, struct sk_contact *out,
			struct sk_errctx *err)
{
	memset(out, 0, sizeof(*out));
	return edit(c, id, fields, nfields, actor, out, err);
}
