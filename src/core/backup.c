/* backup.c: samtycke restore's use cases: a backup checked on its own before it replaces
 * anything (the checks migrate makes of its copy), and the erasure log's entries done again on
 * a restored store, so that an erasure made after the backup stays done (docs/operations.md,
 * 4; docs/rights.md). */
#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"
#include "util/str.h"

/* A meta row as a number; 0 when absent. */
static int meta_i64(struct sk_store *s, const char *key, int64_t *out)
{
	char v[64];
	int rc = sk_store_meta_get(s, key, v, sizeof(v));
	*out = 0;
	if (rc == SK_ERR_NOT_FOUND)
		return 0;
	if (rc)
		return rc;
	*out = strtoll(v, NULL, 10);
	return 0;
}

int sk_backup_seal(struct sk_vault *vault, struct sk_store *copy, struct sk_errctx *err)
{
	uint8_t d[32], mac[SK_VAULT_BACKUP_MAC_LEN];
	char hex[2 * SK_VAULT_BACKUP_MAC_LEN + 1];
	int rc;
	if ((rc = sk_store_begin(copy, SK_TX_WRITE)))
		return sk__store_err(err, rc, "writing the backup's MAC");
	if (!(rc = sk__store_digest(copy, SK_META_BACKUP_MAC, d))) {
		sk_vault_backup_mac(vault, d, mac);
		sk_hex(mac, sizeof(mac), hex);
		rc = sk_store_meta_set(copy, SK_META_BACKUP_MAC, hex);
	}
	if (!rc)
		rc = sk_store_commit(copy);
	else
		sk_store_rollback(copy);
	return rc ? sk__store_err(err, rc, "writing the backup's MAC") : 0;
}

/* The copy's MAC, checked against its content with vault's key. */
static int mac_check(struct sk_vault *vault, struct sk_store *copy, struct sk_errctx *err)
{
	uint8_t d[32], mac[SK_VAULT_BACKUP_MAC_LEN];
	char hex[2 * SK_VAULT_BACKUP_MAC_LEN + 8];
	int rc = sk_store_meta_get(copy, SK_META_BACKUP_MAC, hex, sizeof(hex));
	if (rc == SK_ERR_NOT_FOUND)
		return sk_errf(err, SK_ERR_CORRUPT, "backup: it holds no MAC (only a copy made by "
			       "samtycke backup is restored)");
	if (rc)
		return sk__store_err(err, rc, "reading the backup's MAC");
	if ((rc = sk_store_begin(copy, SK_TX_READ)))
		return sk__store_err(err, rc, "reading the backup");
	rc = sk__store_digest(copy, SK_META_BACKUP_MAC, d);
	sk_store_rollback(copy);
	if (rc)
		return sk__store_err(err, rc, "reading the backup");
	if (sk_unhex(hex, mac, sizeof(mac)) != 0 || sk_vault_backup_mac_verify(vault, d, mac) != 0)
		return sk_errf(err, SK_ERR_CORRUPT, "backup: its MAC does not verify: the backup "
			       "was changed after it was made, or was made with another key file");
	return 0;
}

int sk_backup_check(struct sk_vault *vault, struct sk_store *copy, struct sk_backup_info *out,
		    struct sk_errctx *err)
{
	char hex[2 * SK_HASH_LEN + 8];
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = sk_store_schema_check(copy, err))) {
		char msg[sizeof(err->msg)];
		sk_strlcpy(msg, err ? err->msg : "its schema differs", sizeof(msg));
		return sk_errf(err, rc, "backup: %s", msg);
	}
	if ((rc = meta_i64(copy, SK_META_BACKUP_AT, &out->taken_at_ms)) ||
	    (rc = meta_i64(copy, SK_META_BACKUP_SEQ, &out->ledger_seq)))
		return sk__store_err(err, rc, "reading the backup's time");
	rc = sk_store_meta_get(copy, SK_META_BACKUP_HEAD, hex, sizeof(hex));
	if (rc == 0 && out->taken_at_ms > 0) {
		if (sk_unhex(hex, out->ledger_head, SK_HASH_LEN) != 0)
			return sk_errf(err, SK_ERR_CORRUPT, "backup: its recorded ledger head is no "
				       "hash");
		out->known = 1;
	} else if (rc != 0 && rc != SK_ERR_NOT_FOUND) {
		return sk__store_err(err, rc, "reading the backup's ledger head");
	}
	/* A copy made otherwise (cp of a stopped server's file) is checked too; its whole
	 * erasure log is replayed then (known 0). */
	if ((rc = sk__verify_copy(vault, copy, 0, "backup", out->ledger_seq,
				  out->known ? out->ledger_head : NULL, err)))
		return rc;
	/* last: a wrong key file or a broken chain is named as such first */
	return mac_check(vault, copy, err);
}

struct replay_ctx {
	struct sk_core *c;
	struct sk_erasures_report *out;
	struct sk_errctx *err;
};

/* One entry, in its own write transaction. */
static int replay_entry(void *arg, const struct sk_erasure_entry *e)
{
	struct replay_ctx *x = arg;
	struct sk_core *c = x->c;
	const char *reason = e->reason[0] ? e->reason : NULL;
	struct sk_gate_rec g;
	char body[256];
	int n = sk_erasure_entry_body(e, body, sizeof(body));
	/* a line that does not verify (written by someone without the key, or a version 1
	 * line) is not done: counted, and the command exits 3 */
	if (n < 0 || sk_vault_erasure_mac_verify(c->vault, body, (size_t)n, e->mac) != 0) {
		x->out->unverified++;
		return 0;
	}
	int rc = sk__core_begin(c, x->err);
	if (rc)
		return rc;
	x->out->entries++;
	if (strcmp(e->op, "erase") == 0) {
		struct sk_contact_rec ct;
		rc = sk_store_contact_by_id(c->store, e->contact_id, &ct);
		if (rc == 0) {
			/* the erasure's own code: data key, fields, state and the rest with the
			 * contact, the suppression under the key it had, the change, the scrub */
			if (!(rc = sk__contact_erase(c, &ct, reason, x->err)))
				x->out->erased++;
		} else if (rc == SK_ERR_NOT_FOUND) {
			rc = 0; /* erased already (or never restored): only the suppression */
			if (reason && e->has_key &&
			    !(rc = sk__suppress_key_put(c, e->key, reason, x->err)))
				x->out->suppressed++;
		} else {
			sk__store_err(x->err, rc, "reading a contact");
		}
	} else if (strcmp(e->op, "suppress") == 0) {
		if (!(rc = sk__suppress_key_put(c, e->key, reason ? reason : "erased", x->err)))
			x->out->suppressed++;
	} else { /* unsuppress: the person came back after an erasure */
		if ((rc = sk_store_gate_lookup(c->store, e->key, "", &g)))
			sk__store_err(x->err, rc, "reading the suppression list");
		else if (g.suppressed && (rc = sk_store_suppression_delete(c->store, e->key)))
			sk__store_err(x->err, rc, "lifting a suppression");
		else if (g.suppressed)
			x->out->unsuppressed++;
	}
	return sk__core_end(c, rc, x->err);
}

int sk_erasures_replay(struct sk_core *c, const char *path, int64_t since_ms,
		       struct sk_erasures_report *out, struct sk_errctx *err)
{
	struct replay_ctx x = {c, out, err};
	int rc;
	memset(out, 0, sizeof(*out));
	if (!path || !path[0])
		return sk_errf(err, SK_ERR_USAGE, "no erasure log is set");
	c->replaying = 1;
	rc = sk_erasure_log_each(path, since_ms, replay_entry, &x, &out->bad_lines);
	c->replaying = 0;
	if (rc == SK_ERR_IO)
		return sk_errf(err, rc, "cannot read the erasure log %s", path);
	if (rc)
		return rc;
	if (out->erased) { /* as after an erasure: nothing of them left in the WAL */
		struct sk_errctx scrub_err = {0};
		if (sk_scrub_retry(c, &out->scrub_pending, &scrub_err))
			out->scrub_pending = 1;
	}
	return 0;
}
