/* idempotency.c: a creating request retried with the same Idempotency-Key gets the first
 * answer again and writes nothing. The answer is saved in the same transaction as the write
 * it answers, so a crash can never keep one without the other. */
#include "core/core_int.h"

#include <string.h>

#include "util/mem.h"

/* Keyed: the request may hold personal data, and the digest outlives an erasure for up to
 * SK_IDEM_TTL; without the key no one can test a guess against it. */
static void request_hash(struct sk_core *c, const void *request, size_t len,
			 uint8_t out[SK_HASH_LEN])
{
	sk_vault_keyed_hash(c->vault, "samtycke idempotency v1", request, len, out);
}

static int lookup(struct sk_core *c, const char *key_id, const char *idem_key,
		   const void *request, size_t len, struct sk_idem_rec *out, int *found,
		   struct sk_errctx *err)
{
	uint8_t h[SK_HASH_LEN];
	*found = 0;
	int rc = sk_store_idem_get(c->store, key_id, idem_key, out);
	if (rc == SK_ERR_NOT_FOUND)
		return 0;
	if (rc)
		return sk__store_err(err, rc, "reading idempotency keys");
	if (out->created_at < sk_time_now() - SK_IDEM_TTL)
		return 0;
	request_hash(c, request, len, h);
	if (!sk_vault_equal(h, out->request_hash, SK_HASH_LEN))
		return sk_errf(err, SK_ERR_IDEMPOTENCY_MISMATCH,
			       "this Idempotency-Key was used for a different request");
	*found = 1;
	return 0;
}

static int save(struct sk_core *c, const char *key_id, const char *idem_key,
		 const void *request, size_t len, int status, const char *body,
		 struct sk_errctx *err)
{
	struct sk_idem_rec r = {.status = status, .body = body, .created_at = sk_time_now()};
	sk_strlcpy(r.key_id, key_id, sizeof(r.key_id));
	if (sk_strlcpy(r.idem_key, idem_key, sizeof(r.idem_key)))
		return sk_errf(err, SK_ERR_INVALID, "Idempotency-Key is longer than 255 bytes");
	request_hash(c, request, len, r.request_hash);
	int rc = sk_store_idem_purge(c->store, r.created_at - SK_IDEM_TTL);
	if (!rc)
		rc = sk_store_idem_put(c->store, &r);
	return rc ? sk__store_err(err, rc, "saving an idempotent answer") : 0;
}

int sk_idem_run(struct sk_core *c, const char *key_id, const char *idem_key, const void *request,
		size_t len, sk_idem_fn fn, void *arg, struct sk_answer *replay,
		struct sk_errctx *err)
{
	struct sk_idem_rec stored;
	const char *body = NULL;
	int rc, found = 0, status = 0;

	replay->status = 0;
	replay->body = NULL;
	if (!idem_key)
		return fn(arg, &status, &body);
	size_t klen = strlen(idem_key);
	for (size_t i = 0; i < klen; i++)
		if (idem_key[i] < 0x20 || idem_key[i] > 0x7e)
			klen = 0;
	if (klen == 0 || klen > 255)
		return sk_errf(err, SK_ERR_INVALID, "Idempotency-Key must be 1 to 255 printable "
			       "ASCII characters");
	if ((rc = sk_core_batch_begin(c, err)))
		return rc;
	rc = lookup(c, key_id, idem_key, request, len, &stored, &found, err);
	if (!rc && found) {
		/* the stored body lives until the next store call: the rollback */
		if ((replay->body = sk_strdup(stored.body ? stored.body : "")))
			replay->status = stored.status;
		else
			rc = sk_errf(err, SK_ERR_NOMEM, "out of memory");
		sk_core_batch_rollback(c);
		return rc;
	}
	if (!rc)
		rc = fn(arg, &status, &body);
	if (!rc && status < 300)
		rc = save(c, key_id, idem_key, request, len, status, body, err);
	if (rc) {
		sk_core_batch_rollback(c);
		return rc;
	}
	return sk_core_batch_commit(c, err);
}
