/* canon.c: one person, one key. The address helpers every path uses (both keys of an
 * address, the one suppression-aware lookup), and the upgrade that re-keys contacts and
 * their consent states made under an older canonical form version. See
 * docs/internals/vault.md ("Canonical form versions"). */
#include "core/core_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

#define META_CANON "canon_version"
#define META_CANON_REPORT "canon_report"
#define FIELD_EMAIL "email"
#define PAGE 256

/* ---- addresses ---- */

int sk__addr_parse(struct sk_core *c, const char *email, struct sk__addr *a,
		   struct sk_errctx *err)
{
	char old[SK__LEGACY_MAX][SK_EMAIL_MAX + 1];
	int nonascii = 0;

	memset(a, 0, sizeof(*a));
	int rc = sk_email_forms(email, a->written, a->canon, err);
	if (rc)
		return rc;
	sk_vault_email_key(c->vault, a->canon, a->key);
	/* For an all-ASCII input both versions of the rules give the same form (the common
	 * case costs nothing more); only the rest can have been keyed differently. */
	for (const char *p = email; *p && !nonascii; p++)
		nonascii = (unsigned char)*p >= 0x80;
	if (!nonascii)
		return 0;
	a->nlegacy = sk_email_legacy_forms(email, a->canon, old, SK__LEGACY_MAX);
	for (size_t i = 0; i < a->nlegacy; i++)
		sk_vault_email_key(c->vault, old[i], a->legacy_key[i]);
	sk_vault_wipe(old, sizeof(old));
	return 0;
}

void sk__addr_wipe(struct sk__addr *a)
{
	sk_vault_wipe(a, sizeof(*a));
}

int sk__addr_lookup(struct sk_core *c, const struct sk__addr *a, const char *purpose,
		    struct sk_gate_rec *out)
{
	int rc = sk_store_gate_lookup(c->store, a->key, purpose ? purpose : "", out);
	return rc ? rc : sk__addr_legacy_suppressed(c, a, out);
}

int sk__addr_legacy_suppressed(struct sk_core *c, const struct sk__addr *a,
			       struct sk_gate_rec *out)
{
	struct sk_gate_rec old;
	int rc = 0;
	/* Only the suppression list is asked under the legacy keys: contacts and states were
	 * re-keyed when the database was upgraded. */
	for (size_t i = 0; !rc && !out->suppressed && i < a->nlegacy; i++) {
		if ((rc = sk_store_gate_lookup(c->store, a->legacy_key[i], "", &old)))
			break;
		if (old.suppressed) {
			out->suppressed = 1;
			memcpy(out->suppress_reason, old.suppress_reason,
			       sizeof(out->suppress_reason));
		}
	}
	return rc;
}

int sk__addr_suppress(struct sk_core *c, const struct sk__addr *a, const char *reason,
		      struct sk_errctx *err)
{
	return sk__suppress_key(c, a->key, reason, err);
}

struct email_ctx {
	const char *id;
	const uint8_t *dk;
	char *out; /* SK_EMAIL_MAX + 1 bytes */
	int found;
};

static int email_field(void *arg, const char *name, const uint8_t *sealed, size_t len)
{
	struct email_ctx *e = arg;
	char ad[128], *value;
	size_t vlen;
	if (strcmp(name, FIELD_EMAIL) != 0)
		return 0;
	sk__seal_ad(e->id, name, ad);
	if (sk_vault_unseal(e->dk, ad, sealed, len, &value, &vlen))
		return SK_ERR_CRYPTO;
	if (vlen <= SK_EMAIL_MAX) {
		memcpy(e->out, value, vlen + 1);
		e->found = 1;
	}
	sk_vault_wipe(value, vlen);
	sk_free(value);
	return 0;
}

/* The contact's stored address; SK_ERR_NOT_FOUND when it has none (or none that fits). */
static int contact_email(struct sk_core *c, const char *id, char out[SK_EMAIL_MAX + 1],
			 struct sk_errctx *err)
{
	uint8_t dk[SK_VAULT_KEY_LEN];
	int rc = sk__datakey(c, id, dk, err);
	if (rc)
		return rc;
	struct email_ctx e = {id, dk, out, 0};
	rc = sk_store_field_each(c->store, id, email_field, &e);
	sk_vault_wipe(dk, sizeof(dk));
	if (rc == SK_ERR_CRYPTO)
		return sk_errf(err, rc, "a contact's address cannot be opened");
	if (rc)
		return sk__store_err(err, rc, "reading a contact's address");
	return e.found ? 0 : sk_errf(err, SK_ERR_NOT_FOUND, "the contact has no address");
}

int sk__addr_unsuppress(struct sk_core *c, const struct sk__addr *a, int *lifted,
			struct sk_errctx *err)
{
	struct sk_gate_rec g;
	int rc = 0;

	*lifted = 0;
	for (size_t i = 0; !rc && i <= a->nlegacy; i++) {
		const uint8_t *key = i == 0 ? a->key : a->legacy_key[i - 1];
		if (!(rc = sk_store_gate_lookup(c->store, key, "", &g)) && g.suppressed &&
		    !(rc = sk_store_suppression_delete(c->store, key)))
			*lifted = 1;
	}
	return rc ? sk__store_err(err, rc, "lifting a suppression") : 0;
}

/* ---- the upgrade ---- */

struct upgrade {
	struct sk_core *c;
	long rekeyed;
	json_t *parked;        /* [{"id":..., "kept":...}] */
	json_t *unconvertible; /* [id, ...] */
};

struct page {
	struct sk_contact_rec rec[PAGE];
	size_t n;
};

static int page_add(void *arg, const struct sk_contact_rec *r)
{
	struct page *p = arg;
	if (p->n < PAGE)
		p->rec[p->n++] = *r;
	return 0;
}

/* A key no address can have: where a contact goes that lost its key to an older one. */
static void parked_key(struct sk_core *c, const char *id, uint8_t out[SK_HASH_LEN])
{
	sk_vault_keyed_hash(c->vault, "canon-parked", id, strlen(id), out);
}

static int older(const struct sk_contact_rec *a, const struct sk_contact_rec *b)
{
	if (a->created_at != b->created_at)
		return a->created_at < b->created_at;
	return strcmp(a->id, b->id) < 0;
}

static int rekey(struct upgrade *u, const char *id, const uint8_t key[SK_HASH_LEN],
		 struct sk_errctx *err)
{
	int rc = sk_store_contact_rekey(u->c->store, id, key);
	return rc ? sk__store_err(err, rc, "re-keying a contact") : 0;
}

static int park(struct upgrade *u, const struct sk_contact_rec *loser, const char *kept,
		struct sk_errctx *err)
{
	uint8_t pk[SK_HASH_LEN];
	parked_key(u->c, loser->id, pk);
	int rc = rekey(u, loser->id, pk, err);
	if (!rc && json_array_append_new(u->parked,
					 json_pack("{s:s,s:s}", "id", loser->id, "kept", kept)))
		rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
	return rc;
}

/* One contact: its key under the current rules, from its stored address. */
static int upgrade_one(struct upgrade *u, const struct sk_contact_rec *rec, struct sk_errctx *err)
{
	char email[SK_EMAIL_MAX + 1], canon[SK_EMAIL_MAX + 1];
	uint8_t key[SK_HASH_LEN], pk[SK_HASH_LEN];
	struct sk_contact_rec other;
	struct sk_errctx why = {0};
	int rc;

	parked_key(u->c, rec->id, pk);
	if (sk_vault_equal(rec->email_key, pk, SK_HASH_LEN))
		return 0; /* parked on an earlier page, and reported then */
	rc = contact_email(u->c, rec->id, email, err);
	if (rc && rc != SK_ERR_NOT_FOUND)
		return rc;
	if (rc || sk_email_canonical(email, canon, &why)) {
		/* no address, or one stored before version 2 and refused now (not UTF-8, say):
		 * it keeps its key */
		sk_vault_wipe(email, sizeof(email));
		return json_array_append_new(u->unconvertible, json_string(rec->id))
			       ? sk_errf(err, SK_ERR_NOMEM, "out of memory")
			       : 0;
	}
	sk_vault_email_key(u->c->vault, canon, key);
	sk_vault_wipe(email, sizeof(email));
	sk_vault_wipe(canon, sizeof(canon));
	if (sk_vault_equal(key, rec->email_key, SK_HASH_LEN))
		return 0;
	rc = sk_store_contact_by_key(u->c->store, key, &other);
	if (rc == SK_ERR_NOT_FOUND) {
		if (!(rc = rekey(u, rec->id, key, err)))
			u->rekeyed++;
		return rc;
	}
	if (rc)
		return sk__store_err(err, rc, "looking up a contact");
	/* Two contacts are one person under the new rules: the older keeps the key, the other
	 * is kept apart (reachable by its id) and reported. */
	if (older(rec, &other)) {
		if (!(rc = park(u, &other, rec->id, err)) && !(rc = rekey(u, rec->id, key, err)))
			u->rekeyed++;
		return rc;
	}
	return park(u, rec, other.id, err);
}

static void upgrade_note(struct sk_core *c, const struct upgrade *u)
{
	size_t np = json_array_size(u->parked), nu = json_array_size(u->unconvertible);
	int n = snprintf(c->canon_note, sizeof(c->canon_note),
			 "addresses upgraded to canonical form version %d: %ld contacts re-keyed",
			 SK_EMAIL_CANON_VERSION, u->rekeyed);
	if (np)
		n += snprintf(c->canon_note + n, sizeof(c->canon_note) - (size_t)n,
			      "; %zu kept apart because an older contact has the same address now "
			      "(found only by id):", np);
	for (size_t i = 0; i < np && n > 0 && (size_t)n < sizeof(c->canon_note); i++)
		n += snprintf(c->canon_note + n, sizeof(c->canon_note) - (size_t)n, " %s (as %s)",
			      json_string_value(json_object_get(json_array_get(u->parked, i), "id")),
			      json_string_value(json_object_get(json_array_get(u->parked, i), "kept")));
	if (nu && n > 0 && (size_t)n < sizeof(c->canon_note))
		n += snprintf(c->canon_note + n, sizeof(c->canon_note) - (size_t)n,
			      "; %zu whose stored address the new rules refuse (found only by id):", nu);
	for (size_t i = 0; i < nu && n > 0 && (size_t)n < sizeof(c->canon_note); i++)
		n += snprintf(c->canon_note + n, sizeof(c->canon_note) - (size_t)n, " %s",
			      json_string_value(json_array_get(u->unconvertible, i)));
	if (n > 0 && (size_t)n >= sizeof(c->canon_note))
		memcpy(c->canon_note + sizeof(c->canon_note) - 5, "...", 4);
}

static int canon_version(struct sk_core *c, long *out, struct sk_errctx *err)
{
	/* 1: databases made before versions were recorded */
	int64_t v;
	int rc = sk__meta_int(c, META_CANON, 1, "reading the canonical form version", &v, err);
	*out = (long)v;
	return rc;
}

int sk__canon_upgrade(struct sk_core *c, struct sk_errctx *err)
{
	struct page *page = NULL;
	struct upgrade u = {c, 0, json_array(), json_array()};
	char after[SK_ID_LEN + 1] = "", ver[16];
	char *report = NULL;
	json_t *rep = NULL;
	long v;
	int rc;

	if ((rc = canon_version(c, &v, err)))
		goto done;
	if (v > SK_EMAIL_CANON_VERSION) {
		rc = sk_errf(err, SK_ERR_STORAGE,
			     "the database's addresses are keyed by a newer version of samtycke");
		goto done;
	}
	if (v == SK_EMAIL_CANON_VERSION)
		goto done;
	if (!u.parked || !u.unconvertible || !(page = sk_malloc(sizeof(*page)))) {
		rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
		goto done;
	}
	/* One write transaction: all of it or nothing, so a crash leaves version 1 and the next
	 * open starts again. Another process may have finished meanwhile: ask again inside. */
	if ((rc = sk_store_begin(c->store, 1))) {
		sk__store_err(err, rc, "starting the address upgrade");
		goto done;
	}
	if ((rc = canon_version(c, &v, err)) || v >= SK_EMAIL_CANON_VERSION)
		goto end;
	/* Page by page in id order (ids never change), each page read before any write. */
	for (;;) {
		page->n = 0;
		if ((rc = sk_store_contact_each(c->store, after, PAGE, page_add, page))) {
			sk__store_err(err, rc, "listing contacts");
			goto end;
		}
		for (size_t i = 0; i < page->n; i++)
			if ((rc = upgrade_one(&u, &page->rec[i], err)))
				goto end;
		if (page->n < PAGE)
			break;
		memcpy(after, page->rec[PAGE - 1].id, sizeof(after));
	}
	snprintf(ver, sizeof(ver), "%d", SK_EMAIL_CANON_VERSION);
	if ((rc = sk_store_meta_set(c->store, META_CANON, ver))) {
		sk__store_err(err, rc, "recording the canonical form version");
		goto end;
	}
	if (json_array_size(u.parked) || json_array_size(u.unconvertible)) {
		rep = json_pack("{s:i,s:I,s:I,s:O,s:O}", "version", SK_EMAIL_CANON_VERSION, "at",
				(json_int_t)sk_time_now(), "rekeyed", (json_int_t)u.rekeyed, "parked",
				u.parked, "unconvertible", u.unconvertible);
		report = rep ? json_dumps(rep, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		if (!report)
			rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
		else if ((rc = sk_store_meta_set(c->store, META_CANON_REPORT, report)))
			sk__store_err(err, rc, "recording the upgrade report");
	}
end:
	if (rc) {
		sk_store_rollback(c->store);
	} else if ((rc = sk_store_commit(c->store))) {
		sk_store_rollback(c->store);
		sk__store_err(err, rc, "committing the address upgrade");
	} else if (u.rekeyed || json_array_size(u.parked) || json_array_size(u.unconvertible)) {
		upgrade_note(c, &u);
	}
done:
	free(report); /* jansson's default allocator */
	json_decref(rep);
	json_decref(u.parked);
	json_decref(u.unconvertible);
	sk_free(page);
	return rc;
}
