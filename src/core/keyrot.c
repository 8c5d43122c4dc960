/* keyrot.c: the master key over time: the key check at open (and the completion of a rotation
 * killed between its commit and the rename of the key file), key generations, the one check
 * before anything new is wrapped or sealed, samtycke key rotate and key check
 * (docs/internals/vault.md "Key rotation"). */
#include "core/core_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/str.h"
#include "util/sktime.h"

#define META_KEY_CHECK "key_check"
#define META_KEY_GENERATION "key_generation"
#define META_KEY_CARRIED "key_carried"
#define REQUEST_AD "request/"  /* as core/form.c seals a request */
#define WEBHOOK_AD "webhook/"  /* as core/webhook.c seals a secret */

/* The database's key generation (1 when it was never rotated), read in the caller's
 * transaction if one is open. */
static int stored_generation(struct sk_core *c, int64_t *out, struct sk_errctx *err)
{
	return sk__meta_int(c, META_KEY_GENERATION, 1, "reading the key generation", out, err);
}

/* The vault takes the database's keys again: the key file (path, or the vault's own) must be
 * the one the database's check value names; the carried keys come with it. */
static int key_load(struct sk_core *c, const char *path, struct sk_errctx *err)
{
	char check[65], carried[SK_VAULT_CARRY_HEX];
	int64_t gen;
	int rc = sk_store_meta_get(c->store, META_KEY_CHECK, check, sizeof(check));
	if (rc)
		return sk__store_err(err, rc, "reading the key check value");
	if ((rc = stored_generation(c, &gen, err)))
		return rc;
	rc = sk_store_meta_get(c->store, META_KEY_CARRIED, carried, sizeof(carried));
	if (rc == SK_ERR_NOT_FOUND)
		carried[0] = '\0';
	else if (rc)
		return sk__store_err(err, rc, "reading the carried keys");
	rc = sk_vault_reload(c->vault, path, check, gen, carried, err);
	/* between a rotation's commit and its rename (another process): finish the rename */
	if (rc == SK_ERR_KEY && !path && sk_vault_rotate_finish(c->vault, check, gen - 1, err) == 0)
		rc = sk_vault_reload(c->vault, NULL, check, gen, carried, err);
	if (rc == SK_ERR_KEY)
		return sk_errf(err, SK_ERR_KEY, "the key file is behind the database (key generation "
			       "%" PRId64 "): copy the new key file from the host that ran 'samtycke "
			       "key rotate', then retry", gen);
	return rc;
}

int sk__key_open(struct sk_core *c, int init, struct sk_errctx *err)
{
	char want[65], have[65];
	int64_t gen;
	int rc;

	sk_vault_check_value(c->vault, want);
	if (init) {
		rc = sk_store_meta_set(c->store, META_KEY_CHECK, want);
		if (!rc)
			rc = sk_store_meta_set(c->store, META_KEY_GENERATION, "1");
		return rc ? sk__store_err(err, rc, "storing the key check value") : 0;
	}
	rc = sk_store_meta_get(c->store, META_KEY_CHECK, have, sizeof(have));
	if (rc == SK_ERR_NOT_FOUND)
		return sk_errf(err, SK_ERR_NOT_INITIALISED,
			       "database has no key check value: run 'samtycke init'");
	if (rc)
		return sk__store_err(err, rc, "reading the key check value");
	if (!sk_vault_equal(want, have, sizeof(want))) {
		/* a rotation killed after its commit, before its rename: finish it (keeping the
		 * old key file, as a rotation does unless told otherwise) */
		if ((rc = stored_generation(c, &gen, err)))
			return rc;
		rc = sk_vault_rotate_finish(c->vault, have, gen - 1, err);
		if (rc == SK_ERR_NOT_FOUND) {
			char kept[4096 + 32];
			int64_t k = gen;
			/* a key file kept for the database's generation (the key file is later:
			 * a backup from before a rotation, restored) */
			if (sk_vault_kept_path(c->vault, gen, kept, sizeof(kept)) == 0) {
				char later[4096 + 32];
				while (k < gen + 64 &&
				       sk_vault_kept_path(c->vault, k + 1, later, sizeof(later)) == 0)
					k++;
				return sk_errf(err, SK_ERR_KEY, "the key file is at generation %" PRId64
					       ", the database at generation %" PRId64 ": use the key "
					       "file of that generation, kept as %s", k + 1, gen, kept);
			}
			if (gen > 1)
				return sk_errf(err, SK_ERR_KEY, "the key file does not belong to this "
					       "database (it is at key generation %" PRId64 ": a key "
					       "file from before a rotation opens nothing; copy the new "
					       "one here)", gen);
			return sk_errf(err, SK_ERR_KEY,
				       "the key file does not belong to this database");
		}
		if (rc)
			return rc;
		snprintf(c->key_note, sizeof(c->key_note), "completed an interrupted key rotation: "
			 "the new key file replaced the old one");
	}
	if ((rc = stored_generation(c, &gen, err)))
		return rc;
	if (gen == sk_vault_generation(c->vault) && !c->key_note[0])
		return 0;
	return key_load(c, NULL, err);
}

/* Before anything new is wrapped or sealed, inside the write transaction that stores it:
 * the database's key generation must be the vault's, or the thing would be made with a key
 * that the rotation just retired (and lost with its key file). A vault behind reloads. */
static int key_write_check(struct sk_core *c, struct sk_errctx *err)
{
	/* writers are serialised, so the generation cannot move inside one write transaction:
	 * a batch or group (the import's bulk path) asks once, not once a row */
	int cache = c->in_batch || c->in_group;
	if (cache && c->key_checked)
		return 0;
	int64_t gen;
	int rc = stored_generation(c, &gen, err);
	rc = rc || gen == sk_vault_generation(c->vault) ? rc : key_load(c, NULL, err);
	c->key_checked = cache && !rc;
	return rc;
}

int sk__datakey_new(struct sk_core *c, const char *contact_id, uint8_t dk[SK_VAULT_KEY_LEN],
		    uint8_t wrapped[SK_VAULT_WRAPPED_LEN], struct sk_errctx *err)
{
	int rc = key_write_check(c, err);
	if (!rc)
		sk_vault_datakey_new(c->vault, contact_id, dk, wrapped);
	return rc;
}

int sk__seal_system(struct sk_core *c, const char *ad, const void *p, size_t len, uint8_t **out,
		    size_t *outlen, struct sk_errctx *err)
{
	int rc = key_write_check(c, err);
	if (!rc && (rc = sk_vault_seal_system(c->vault, ad, p, len, out, outlen)))
		rc = sk_errf(err, rc, "out of memory");
	return rc;
}

int sk_core_key_refresh(struct sk_core *c, int *reloaded, struct sk_errctx *err)
{
	int64_t gen;
	int rc = stored_generation(c, &gen, err);
	if (reloaded)
		*reloaded = 0;
	if (rc || gen == sk_vault_generation(c->vault))
		return rc;
	if (!(rc = key_load(c, NULL, err)) && reloaded)
		*reloaded = 1;
	return rc;
}

int sk__key_retry(struct sk_core *c)
{
	struct sk_errctx ignored = {0};
	int reloaded = 0;
	return sk_core_key_refresh(c, &reloaded, &ignored) == 0 && reloaded;
}

int64_t sk_core_key_generation(const struct sk_core *c)
{
	return sk_vault_generation(c->vault);
}

const char *sk_core_key_note(const struct sk_core *c)
{
	return c->key_note;
}

/* ---- samtycke key rotate ---- */

/* What the master key holds in one table, read whole before anything is written (a walk
 * must not run over rows it rewrites). */
struct sealed_row {
	char id[SK_ID_LEN + 1];
	uint8_t *blob;
	size_t len;
};
struct sealed_rows {
	int idcol, blobcol;
	struct sealed_row *v;
	size_t n, alloc;
};

static int sealed_row_add(void *arg, const struct sk_value *row, int ncols)
{
	struct sealed_rows *r = arg;
	const struct sk_value *id = &row[r->idcol], *b = &row[r->blobcol];
	if (ncols <= r->idcol || ncols <= r->blobcol || id->len > SK_ID_LEN)
		return SK_ERR_CORRUPT;
	if (r->n == r->alloc) {
		size_t na = r->alloc ? 2 * r->alloc : 64;
		struct sealed_row *nv = sk_realloc(r->v, na * sizeof(*nv));
		if (!nv)
			return SK_ERR_NOMEM;
		r->v = nv;
		r->alloc = na;
	}
	struct sealed_row *s = &r->v[r->n];
	memcpy(s->id, id->p, id->len);
	s->id[id->len] = '\0';
	s->len = b->type == SK_VALUE_BLOB ? b->len : 0;
	s->blob = sk_malloc(s->len ? s->len : 1);
	if (!s->blob)
		return SK_ERR_NOMEM;
	if (s->len)
		memcpy(s->blob, b->p, s->len);
	r->n++;
	return 0;
}

static void sealed_rows_free(struct sealed_rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		sk_free(r->v[i].blob);
	sk_free(r->v);
	memset(r, 0, sizeof(*r));
}

/* The three kinds of things the master key seals: table, its id and sealed columns (as
 * rows_each gives them), the associated data's prefix (NULL: a data key, bound to the id). */
static const struct sealed_kind {
	int kind;
	const char *table;
	int idcol, blobcol;
	const char *ad;
} sealed_kinds[] = {
	{SK_SEALED_DATAKEY, "contact_keys", 0, 1, NULL},
	{SK_SEALED_WEBHOOK, "webhooks", 0, 4, WEBHOOK_AD},
	{SK_SEALED_REQUEST, "form_requests", 0, 5, REQUEST_AD},
};

static int sealed_read(struct sk_core *c, const struct sealed_kind *k, struct sealed_rows *r,
		       struct sk_errctx *err)
{
	memset(r, 0, sizeof(*r));
	r->idcol = k->idcol;
	r->blobcol = k->blobcol;
	int rc = sk_store_rows_each(c->store, k->table, sealed_row_add, r);
	return rc ? sk__store_err(err, rc, "reading what the master key seals") : 0;
}

/* Opens one sealed thing with v (and, for a rotation, makes it again under nv into *out). */
static int sealed_redo(const struct sealed_kind *k, const struct sk_vault *v,
		       const struct sk_vault *nv, const struct sealed_row *row, uint8_t **out,
		       size_t *outlen)
{
	char ad[SK_ID_LEN + 16];
	*out = NULL;
	*outlen = 0;
	if (!k->ad) {
		uint8_t dk[SK_VAULT_KEY_LEN], *w;
		if (!nv) {
			int rc = sk_vault_datakey_unwrap(v, row->id, row->blob, row->len, dk);
			sk_vault_wipe(dk, sizeof(dk));
			return rc;
		}
		if (!(w = sk_malloc(SK_VAULT_WRAPPED_LEN)))
			return SK_ERR_NOMEM;
		if (sk_vault_datakey_rewrap(v, nv, row->id, row->blob, row->len, w)) {
			sk_free(w);
			return SK_ERR_CRYPTO;
		}
		*out = w;
		*outlen = SK_VAULT_WRAPPED_LEN;
		return 0;
	}
	snprintf(ad, sizeof(ad), "%s%s", k->ad, row->id);
	if (nv)
		return sk_vault_reseal_system(v, nv, ad, row->blob, row->len, out, outlen);
	char *plain = NULL;
	size_t plen = 0;
	int rc = sk_vault_unseal_system(v, ad, row->blob, row->len, &plain, &plen);
	if (!rc) {
		sk_vault_wipe(plain, plen);
		sk_free(plain);
	}
	return rc;
}

int sk_master_key_check(struct sk_core *c, struct sk_master_key_report *out, struct sk_errctx *err)
{
	int rc = 0;
	memset(out, 0, sizeof(*out));
	if ((rc = sk_core_key_refresh(c, NULL, err))) /* the key file as it is now */
		return rc;
	out->generation = sk_vault_generation(c->vault);
	if ((rc = sk_core_read_begin(c, err)))
		return rc;
	for (size_t i = 0; !rc && i < sizeof(sealed_kinds) / sizeof(sealed_kinds[0]); i++) {
		const struct sealed_kind *k = &sealed_kinds[i];
		struct sealed_rows r;
		if ((rc = sealed_read(c, k, &r, err))) {
			sealed_rows_free(&r);
			break;
		}
		for (size_t j = 0; j < r.n; j++) {
			uint8_t *ignored;
			size_t ilen;
			int bad = sealed_redo(k, c->vault, NULL, &r.v[j], &ignored, &ilen) != 0;
			out->ok[k->kind] += !bad;
			out->failed[k->kind] += bad;
		}
		sealed_rows_free(&r);
	}
	sk_core_read_end(c);
	if (rc)
		return rc;
	if (out->failed[0] || out->failed[1] || out->failed[2])
		return sk_errf(err, SK_ERR_CRYPTO, "%" PRId64 " data keys, %" PRId64 " webhook secrets "
			       "and %" PRId64 " form requests do not open with the key file",
			       out->failed[SK_SEALED_DATAKEY], out->failed[SK_SEALED_WEBHOOK],
			       out->failed[SK_SEALED_REQUEST]);
	return 0;
}

int sk_master_key_rotate(struct sk_core *c, const struct sk_master_key_opts *o,
		  struct sk_master_key_report *out, struct sk_errctx *err)
{
	struct sk_vault *nv = NULL;
	char check[65], have[65], gen_s[32], carried[SK_VAULT_CARRY_HEX];
	int64_t gen = 0, now = sk_time_now();
	int rc, committed = 0;

	memset(out, 0, sizeof(*out));
	if ((rc = sk_vault_rotate_begin(c->vault, &nv, err)))
		return rc;
	if (o && o->step)
		o->step(o->arg, "written");
	if ((rc = sk__core_begin(c, err)))
		goto out;
	/* in the transaction: the key this process holds must still be the database's (a
	 * rotation elsewhere since would make this one wrap with a retired key) */
	sk_vault_check_value(c->vault, check);
	rc = sk_store_meta_get(c->store, META_KEY_CHECK, have, sizeof(have));
	if (rc)
		rc = sk__store_err(err, rc, "reading the key check value");
	else if (!sk_vault_equal(check, have, 64))
		rc = sk_errf(err, SK_ERR_KEY, "the database was rotated to another key "
			     "meanwhile: run 'samtycke key rotate' again");
	if (!rc)
		rc = stored_generation(c, &gen, err);
	if (!rc) {
		gen++;
		snprintf(gen_s, sizeof(gen_s), "%" PRId64, gen);
		if ((rc = sk_store_meta_set(c->store, META_KEY_GENERATION, gen_s)))
			rc = sk__store_err(err, rc, "storing the key generation");
	}
	for (size_t i = 0; !rc && i < sizeof(sealed_kinds) / sizeof(sealed_kinds[0]); i++) {
		const struct sealed_kind *k = &sealed_kinds[i];
		struct sealed_rows r;
		rc = sealed_read(c, k, &r, err);
		for (size_t j = 0; !rc && j < r.n; j++) {
			uint8_t *blob = NULL;
			size_t len = 0;
			if ((rc = sealed_redo(k, c->vault, nv, &r.v[j], &blob, &len))) {
				rc = sk_errf(err, SK_ERR_CRYPTO, "a %s does not open with the key "
					     "file: nothing was changed ('samtycke key check' counts "
					     "them)", k->ad ? "system secret" : "data key");
				break;
			}
			rc = sk_store_sealed_replace(c->store, k->kind, r.v[j].id, blob, len);
			sk_free(blob);
			if (rc)
				rc = sk__store_err(err, rc, "storing a re-sealed key");
			else
				out->ok[k->kind]++;
		}
		sealed_rows_free(&r);
	}
	if (!rc) {
		int64_t keep = o && o->old_links_until > now ? o->old_links_until
							     : now + SK_KEY_OLD_LINK_SECONDS;
		sk_vault_check_value(nv, check);
		if ((rc = sk_vault_carry_seal(c->vault, nv, now, keep, gen, carried,
					      sizeof(carried))))
			rc = sk_errf(err, rc, "cannot seal the carried keys");
		else if ((rc = sk_store_meta_set(c->store, META_KEY_CHECK, check)) ||
			 (rc = sk_store_meta_set(c->store, META_KEY_CARRIED, carried)))
			rc = sk__store_err(err, rc, "storing the new key check value");
	}
	if (!rc && o && o->step)
		o->step(o->arg, "rewrapped");
	rc = sk__core_end(c, rc, err);
	if (rc)
		goto out;
	committed = 1;
	out->generation = gen;
	if (o && o->step)
		o->step(o->arg, "committed");
	/* the database is on the new key from here: a failure now leaves the new key file
	 * beside the old one, and the next opening completes the rename */
	if ((rc = sk_vault_rotate_finish(c->vault, check, o && o->discard_old_key ? 0 : gen - 1,
					 err))) {
		if (rc == SK_ERR_NOT_FOUND)
			rc = sk_errf(err, SK_ERR_IO, "the new key file is gone before its rename");
		goto out;
	}
	if (o && o->step)
		o->step(o->arg, "renamed");
	rc = key_load(c, NULL, err);
out:
	if (!committed) {
		sk_vault_rotate_abandon(c->vault, nv);
	} else {
		sk_vault_rotate_unlock(c->vault);
		sk_vault_free(nv);
	}
	sk_vault_wipe(carried, sizeof(carried));
	return rc;
}
