/* keys.c: API keys. A key is "<id>.<secret>": the id finds the row, the secret (32 random
 * bytes, hex) is checked against its stored SHA-256 in constant time. The secret is shown
 * once, at creation, and never stored. */
#include "core/core_int.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "util/sktime.h"

#define SECRET_LEN 32

/* Bumped by every revocation in this process: each core drops its cached keys when the
 * number differs from the one its cache was filled under, so a revocation through the API
 * holds at once for every worker thread of the server. */
static atomic_uint key_generation;

/* metrics: GET /metrics only (docs/operations.md); it grants nothing else, and no other
 * scope grants it (admin neither: each scope names its routes, as admin does not grant read). */
static const char *const scope_names[] = {"read", "write", "dsr", "admin", "metrics"};

static int scope_valid(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(scope_names) / sizeof(scope_names[0]); i++)
		if (strlen(scope_names[i]) == len && strncmp(s, scope_names[i], len) == 0)
			return 1;
	return 0;
}

int sk_key_has_scope(const struct sk_key_rec *k, const char *scope)
{
	size_t want = strlen(scope);
	for (const char *p = k->scopes; *p;) {
		size_t len = strcspn(p, ",");
		if (len == want && strncmp(p, scope, len) == 0)
			return 1;
		p += len + (p[len] == ',');
	}
	return 0;
}

static int name_valid(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > 63)
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("_.-", *p)))
			return 0;
	return 1;
}

int sk_key_create(struct sk_core *c, const char *name, const char *scopes,
		  char outkey[SK_KEY_STRLEN], struct sk_errctx *err)
{
	struct sk_key_rec k = {0};
	uint8_t secret[SECRET_LEN];
	char hex[2 * SECRET_LEN + 1];
	int rc;

	if (!name_valid(name))
		return sk_errf(err, SK_ERR_INVALID, "a key name is 1 to 63 letters, digits, '_', "
			       "'.' or '-'");
	if (!*scopes || sk_strlcpy(k.scopes, scopes, sizeof(k.scopes)))
		return sk_errf(err, SK_ERR_INVALID, "give one or more scopes");
	for (const char *p = scopes; *p;) {
		size_t len = strcspn(p, ",");
		if (!scope_valid(p, len))
			return sk_errf(err, SK_ERR_INVALID, "scope '%.*s' is not one of read, write, "
				       "dsr, admin, metrics", (int)(len > 16 ? 16 : len), p);
		p += len + (p[len] == ',');
	}
	sk_strlcpy(k.name, name, sizeof(k.name));
	if (sk_id_new("k_", k.id) || sk_random(secret, sizeof(secret)))
		return sk_errf(err, SK_ERR_IO, "no randomness for a key");
	sk_hex(secret, sizeof(secret), hex);
	sk_vault_sha256(hex, strlen(hex), k.secret_hash);
	k.created_at = sk_time_now();
	if ((rc = sk__core_begin(c, err)))
		goto out;
	rc = sk_store_key_put(c->store, &k);
	if (rc == SK_ERR_EXISTS)
		sk_errf(err, rc, "an active key named '%s' exists", name);
	else if (rc)
		sk__store_err(err, rc, "storing a key");
	rc = sk__core_end(c, rc, err);
	if (!rc)
		snprintf(outkey, SK_KEY_STRLEN, "%s.%s", k.id, hex);
out:
	sk_vault_wipe(secret, sizeof(secret));
	sk_vault_wipe(hex, sizeof(hex));
	return rc;
}

/* sk_key_authenticate, with mac the caller's (wiped by it after). */
static int key_authenticate(struct sk_core *c, const char *key, struct sk_key_rec *out,
			    uint8_t mac[32], struct sk_errctx *err)
{
	char id[SK_ID_LEN + 1] = "";
	uint8_t h[SK_HASH_LEN];
	const char *dot = key ? strchr(key, '.') : NULL;
	int known = 0;

	memset(out, 0, sizeof(*out));
	int64_t now = sk_time_now();
	int slot = -1;
	unsigned gen = atomic_load(&key_generation);
	if (c->key_cache_gen != gen) {
		memset(c->key_cache_at, 0, sizeof(c->key_cache_at));
		memset(c->key_cache, 0, sizeof(c->key_cache));
		memset(c->key_cache_mac, 0, sizeof(c->key_cache_mac));
		c->key_cache_gen = gen;
	}
	/* A key string checked within the last second, presented again: matched by its keyed
	 * BLAKE2b (the vault's secret, a tag of its own), compared in constant time, which costs
	 * a fifth of the SHA-256 below. Nothing of the key itself is kept. */
	if (key && c->vault) {
		sk_vault_keyed_hash(c->vault, "api key cache", key, strlen(key), mac);
		for (int i = 0; i < 4; i++)
			if (now - c->key_cache_at[i] < 1 &&
			    sk_vault_equal(mac, c->key_cache_mac[i], 32)) {
				*out = c->key_cache[i];
				return 0;
			}
	}
	sk_vault_sha256(dot ? dot + 1 : "", dot ? strlen(dot + 1) : 0, h);
	if (dot && dot - key == SK_ID_LEN && strlen(dot + 1) == 2 * SECRET_LEN) {
		memcpy(id, key, SK_ID_LEN);
		/* A key checked within the last second is taken from the cache (by id, then its
		 * hash compared in constant time below, as for one read from the store). */
		for (int i = 0; i < 4 && slot < 0; i++)
			if (now - c->key_cache_at[i] < 1 && strcmp(c->key_cache[i].id, id) == 0)
				slot = i;
		int rc = 0;
		if (slot >= 0)
			*out = c->key_cache[slot];
		else
			rc = sk_store_key_get(c->store, id, out);
		if (rc && rc != SK_ERR_NOT_FOUND)
			return sk__store_err(err, rc, "reading API keys");
		known = rc == 0;
	}
	/* The same work whether or not the id is known. */
	int match = sk_vault_equal(h, out->secret_hash, SK_HASH_LEN);
	if (known && match && !out->revoked_at && slot < 0) {
		slot = (int)(h[0] & 3);
		c->key_cache[slot] = *out;
		c->key_cache_at[slot] = now;
		if (key && c->vault)
			memcpy(c->key_cache_mac[slot], mac, 32);
		else
			memset(c->key_cache_at + slot, 0, sizeof(c->key_cache_at[slot]));
	}
	if (!known || !match || out->revoked_at) {
		memset(out, 0, sizeof(*out));
		return sk_errf(err, SK_ERR_UNAUTHORIZED, "missing, unknown or revoked API key");
	}
	return 0;
}

int sk_key_authenticate(struct sk_core *c, const char *key, struct sk_key_rec *out,
			struct sk_errctx *err)
{
	uint8_t mac[32]; /* the keyed digest of the key string: not left on the stack */
	int rc = key_authenticate(c, key, out, mac, err);
	sk_vault_wipe(mac, sizeof(mac));
	return rc;
}

int sk_key_revoke(struct sk_core *c, const char *name, struct sk_errctx *err)
{
	memset(c->key_cache_at, 0, sizeof(c->key_cache_at));
	memset(c->key_cache_mac, 0, sizeof(c->key_cache_mac));
	int rc = sk__core_begin(c, err);
	if (rc)
		return rc;
	rc = sk_store_key_revoke(c->store, name, sk_time_now());
	if (rc == SK_ERR_NOT_FOUND)
		sk_errf(err, rc, "no active key is named '%.63s'", name);
	else if (rc)
		sk__store_err(err, rc, "revoking a key");
	rc = sk__core_end(c, rc, err);
	if (!rc)
		atomic_fetch_add(&key_generation, 1);
	return rc;
}

int sk_key_list(struct sk_core *c, sk_key_cb cb, void *arg, struct sk_errctx *err)
{
	int rc = sk_store_key_each(c->store, cb, arg);
	return rc ? sk__store_err(err, rc, "reading API keys") : 0;
}
