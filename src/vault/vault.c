/* vault.c: the master key, data keys, sealing, signed tokens and hashing, on libsodium. The
 * master key file holds one line, "samtycke-key-v1 " and 64 hex digits; subkeys for wrapping,
 * the email hash, the check value and the token MAC are derived from it with crypto_kdf. A
 * key rotation (core/keyrot.c) swaps the key file and reloads the keys, threads reading on. */
#include "vault/vault.h"

#include <errno.h>
#include <idn2.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <unistring/version.h>

#include "util/err.h"
#include "util/mem.h"
#include "util/str.h"

#define KEYFILE_TAG "samtycke-key-v1 "
#define KDF_CONTEXT "samtycke"

enum {
	SUBKEY_WRAP = 1,
	SUBKEY_EMAIL = 2,
	SUBKEY_CHECK = 3,
	SUBKEY_TOKEN = 4,
	SUBKEY_SYSTEM = 5,
	SUBKEY_CARRY = 6, /* seals the keys carried over a rotation (meta key_carried) */
	SUBKEY_BACKUP = 7 /* the MAC samtycke backup stores in its copy (meta backup_mac) */
};

/* A token key of an earlier generation, carried over a rotation: it verifies only the tokens
 * of sk_vault_token_verify_carried, and only those that expire by until; retired is when the
 * rotation retired it (a link it signed names a thing made before that; 0: not known, a
 * version-1 record). */
struct old_token {
	uint8_t key[crypto_auth_KEYBYTES];
	int64_t until;
	int64_t retired;
};

/* One set of keys, immutable once published: threads read the current one through an atomic
 * pointer; a reload publishes a new one, and the old ones stay allocated until
 * sk_vault_free (a rotation is rare: a few hundred bytes each). */
struct keyset {
	uint8_t wrap[SK_VAULT_KEY_LEN];
	uint8_t email[crypto_generichash_KEYBYTES];
	uint8_t check[SK_VAULT_KEY_LEN];
	uint8_t token[crypto_auth_KEYBYTES];
	uint8_t system[SK_VAULT_KEY_LEN]; /* seals the server's own secrets (webhook secrets) */
	uint8_t carry[SK_VAULT_KEY_LEN];
	uint8_t backup[crypto_auth_KEYBYTES];
	int64_t generation;
	size_t nold;
	struct old_token old[SK_VAULT_OLD_TOKEN_KEYS];
	struct keyset *prev; /* every set this vault ever had, freed with it */
	int64_t published;   /* CLOCK_MONOTONIC seconds when it became the current set */
};

struct sk_vault {
	_Atomic(struct keyset *) cur;
	_Atomic int64_t prev_grace; /* how long prev still opens (SK_VAULT_PREV_GRACE_SECONDS) */
	pthread_mutex_t mu;  /* reloads, one at a time */
	int lock_fd;         /* the key file, flock'ed while this process rotates it; -1 */
	char path[4096];     /* the key file */
};

static void vault_random(void *p, size_t len);

static const struct keyset *ks(const struct sk_vault *v)
{
	return atomic_load_explicit(&((struct sk_vault *)v)->cur, memory_order_acquire);
}

static int vault_init(void)
{
	return sodium_init() < 0 ? SK_ERR_CRYPTO : 0;
}

/* A new key file at path (O_EXCL, 0600, synced); owner (may be NULL): the file gets its
 * owner and group first (fchown, before any key is in it), or is not made. */
static int keyfile_write(const char *path, const struct stat *owner, struct sk_errctx *err)
{
	uint8_t master[crypto_kdf_KEYBYTES];
	char hex[2 * sizeof(master) + 1];
	int rc = 0, fd = -1;

	if (vault_init())
		return sk_errf(err, SK_ERR_CRYPTO, "libsodium failed to initialise");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = sk_errf(err, errno == EEXIST ? SK_ERR_EXISTS : SK_ERR_IO,
			     "cannot create key file %s: %s", path, strerror(errno));
		goto out;
	}
	struct stat st;
	if (owner && fstat(fd, &st) == 0 &&
	    (st.st_uid != owner->st_uid || st.st_gid != owner->st_gid) &&
	    fchown(fd, owner->st_uid, owner->st_gid) != 0) {
		rc = sk_errf(err, SK_ERR_KEY, "cannot give the new key file %s the owner of the key "
			     "file (uid %ld, gid %ld): %s; run 'samtycke key rotate' as that user",
			     path, (long)owner->st_uid, (long)owner->st_gid, strerror(errno));
		unlink(path);
		goto out;
	}
	crypto_kdf_keygen(master);
	sk_hex(master, sizeof(master), hex);
	char line[sizeof(KEYFILE_TAG) + sizeof(hex) + 1];
	int n = snprintf(line, sizeof(line), "%s%s\n", KEYFILE_TAG, hex);
	if (write(fd, line, (size_t)n) != n || fsync(fd) != 0) {
		rc = sk_errf(err, SK_ERR_IO, "cannot write key file %s: %s", path, strerror(errno));
		unlink(path);
	}
	sodium_memzero(line, sizeof(line));
out:
	if (fd >= 0)
		close(fd);
	sodium_memzero(master, sizeof(master));
	sodium_memzero(hex, sizeof(hex));
	return rc;
}

int sk_vault_keyfile_create(const char *path, struct sk_errctx *err)
{
	return keyfile_write(path, NULL, err);
}

/* Opens a file that holds a secret, refusing one that group or others may read (the rule
 * of the key file and of serve's smtp-password-file); what names it in errors. */
static int open_private(const char *path, const char *what, int code, FILE **out,
			struct sk_errctx *err)
{
	struct stat st;
	FILE *f = fopen(path, "re");
	*out = NULL;
	if (!f)
		return sk_errf(err, code, "cannot open %s %s: %s", what, path, strerror(errno));
	if (fstat(fileno(f), &st) != 0 || (st.st_mode & 077)) {
		fclose(f);
		return sk_errf(err, code, "%s %s must be readable by its owner only (chmod 600)",
			       what, path);
	}
	*out = f;
	return 0;
}

int sk_vault_secret_read(const char *path, const char *what, char *out, size_t outlen,
			 struct sk_errctx *err)
{
	FILE *f;
	int rc = open_private(path, what, SK_ERR_USAGE, &f, err);
	sodium_memzero(out, outlen);
	if (rc)
		return rc;
	size_t n = fread(out, 1, outlen - 1, f);
	int bad = ferror(f);
	out[n] = '\0';
	size_t len = strcspn(out, "\r\n");
	if (!bad && len == n && n == outlen - 1 && fgetc(f) != EOF)
		rc = sk_errf(err, SK_ERR_USAGE, "%s %s: its first line is longer than %zu bytes",
			     what, path, outlen - 2);
	else if (bad)
		rc = sk_errf(err, SK_ERR_USAGE, "cannot read %s %s", what, path);
	else if (len == 0)
		rc = sk_errf(err, SK_ERR_USAGE, "%s %s: its first line is empty", what, path);
	fclose(f);
	sodium_memzero(out + len, outlen - len);
	if (rc)
		sodium_memzero(out, outlen);
	return rc;
}

/* Reads a key file into a new keyset (generation 1, the email key its own: what the database
 * carries is applied by sk_vault_reload). */
static int keyset_read(const char *path, struct keyset **out, struct sk_errctx *err)
{
	uint8_t master[crypto_kdf_KEYBYTES];
	char line[128];
	struct keyset *k = NULL;
	int rc = 0;
	FILE *f = NULL;

	if ((rc = open_private(path, "key file", SK_ERR_KEY, &f, err)))
		goto out;
	size_t n = fread(line, 1, sizeof(line) - 1, f);
	line[n] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (strncmp(line, KEYFILE_TAG, strlen(KEYFILE_TAG)) != 0 ||
	    sk_unhex(line + strlen(KEYFILE_TAG), master, sizeof(master)) != 0) {
		rc = sk_errf(err, SK_ERR_KEY, "key file %s is not a samtycke key file", path);
		goto out;
	}
	k = sodium_malloc(sizeof(*k));
	if (!k) {
		rc = SK_ERR_NOMEM;
		goto out;
	}
	memset(k, 0, sizeof(*k));
	crypto_kdf_derive_from_key(k->wrap, sizeof(k->wrap), SUBKEY_WRAP, KDF_CONTEXT, master);
	crypto_kdf_derive_from_key(k->email, sizeof(k->email), SUBKEY_EMAIL, KDF_CONTEXT, master);
	crypto_kdf_derive_from_key(k->check, sizeof(k->check), SUBKEY_CHECK, KDF_CONTEXT, master);
	crypto_kdf_derive_from_key(k->token, sizeof(k->token), SUBKEY_TOKEN, KDF_CONTEXT, master);
	crypto_kdf_derive_from_key(k->system, sizeof(k->system), SUBKEY_SYSTEM, KDF_CONTEXT, master);
	crypto_kdf_derive_from_key(k->carry, sizeof(k->carry), SUBKEY_CARRY, KDF_CONTEXT, master);
	crypto_kdf_derive_from_key(k->backup, sizeof(k->backup), SUBKEY_BACKUP, KDF_CONTEXT,
				   master);
	k->generation = 1;
	*out = k;
out:
	if (f)
		fclose(f);
	sodium_memzero(line, sizeof(line));
	sodium_memzero(master, sizeof(master));
	return rc;
}

static void keyset_check_value(const struct keyset *k, char out[65])
{
	uint8_t h[32];
	static const char label[] = "samtycke key check";
	crypto_generichash(h, sizeof(h), (const uint8_t *)label, sizeof(label) - 1, k->check,
			   sizeof(k->check));
	sk_hex(h, sizeof(h), out);
}

static int64_t mono_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* Publishes k as v's current set (under v->mu); the one before stays allocated. */
static void keyset_publish(struct sk_vault *v, struct keyset *k)
{
	k->prev = atomic_load_explicit(&v->cur, memory_order_relaxed);
	k->published = mono_seconds();
	atomic_store_explicit(&v->cur, k, memory_order_release);
}

/* The set before k, for opening only, while the grace after k's publication lasts (a read
 * snapshot begun before a rotation's commit); NULL after it: the retired keys then open
 * nothing in this process, though the set stays allocated (a thread may still hold it). */
static const struct keyset *keyset_fallback(const struct sk_vault *v, const struct keyset *k)
{
	if (!k->prev)
		return NULL;
	int64_t grace = atomic_load_explicit(&((struct sk_vault *)v)->prev_grace,
					     memory_order_relaxed);
	return mono_seconds() - k->published < grace ? k->prev : NULL;
}

void sk_vault_set_prev_grace(struct sk_vault *v, int64_t seconds)
{
	atomic_store_explicit(&v->prev_grace, seconds, memory_order_relaxed);
}

int sk_vault_open(const char *path, struct sk_vault **out, struct sk_errctx *err)
{
	struct keyset *k = NULL;
	struct sk_vault *v = NULL;
	int rc;

	if (vault_init())
		return sk_errf(err, SK_ERR_CRYPTO, "libsodium failed to initialise");
	if (strlen(path) >= sizeof(v->path))
		return sk_errf(err, SK_ERR_KEY, "key file path is too long");
	if ((rc = keyset_read(path, &k, err)))
		return rc;
	v = sk_calloc(1, sizeof(*v));
	if (!v) {
		sodium_free(k);
		return SK_ERR_NOMEM;
	}
	pthread_mutex_init(&v->mu, NULL);
	v->lock_fd = -1;
	memcpy(v->path, path, strlen(path) + 1);
	k->published = mono_seconds();
	atomic_init(&v->cur, k);
	atomic_init(&v->prev_grace, SK_VAULT_PREV_GRACE_SECONDS);
	*out = v;
	return 0;
}

void sk_vault_free(struct sk_vault *v)
{
	if (!v)
		return;
	struct keyset *k = atomic_load(&v->cur);
	while (k) {
		struct keyset *prev = k->prev;
		sodium_free(k);
		k = prev;
	}
	sk_vault_rotate_unlock(v);
	pthread_mutex_destroy(&v->mu);
	sk_free(v);
}

void sk_vault_check_value(const struct sk_vault *v, char out[65])
{
	keyset_check_value(ks(v), out);
}

void sk_vault_backup_mac(const struct sk_vault *v, const uint8_t digest[32],
			 uint8_t out[SK_VAULT_BACKUP_MAC_LEN])
{
	crypto_auth(out, digest, 32, ks(v)->backup);
}

int sk_vault_backup_mac_verify(const struct sk_vault *v, const uint8_t digest[32],
			       const uint8_t mac[SK_VAULT_BACKUP_MAC_LEN])
{
	return crypto_auth_verify(mac, digest, 32, ks(v)->backup) == 0 ? 0 : SK_ERR_KEY;
}

/* The erasure log's MAC key: a keyed hash of a label under the email hash key, which is
 * carried over every rotation unchanged, so a line logged before one still verifies. */
static void erasure_key(const struct sk_vault *v, uint8_t key[crypto_auth_KEYBYTES])
{
	static const char label[] = "samtycke erasure log";
	crypto_generichash(key, crypto_auth_KEYBYTES, (const uint8_t *)label, sizeof(label) - 1,
			   ks(v)->email, sizeof(ks(v)->email));
}

void sk_vault_erasure_mac(const struct sk_vault *v, const char *body, size_t len,
			  char out[2 * SK_VAULT_BACKUP_MAC_LEN + 1])
{
	uint8_t key[crypto_auth_KEYBYTES], mac[crypto_auth_BYTES];
	erasure_key(v, key);
	crypto_auth(mac, (const uint8_t *)body, len, key);
	sodium_memzero(key, sizeof(key));
	sk_hex(mac, sizeof(mac), out);
}

int sk_vault_erasure_mac_verify(const struct sk_vault *v, const char *body, size_t len,
				const char *hex)
{
	uint8_t key[crypto_auth_KEYBYTES], mac[crypto_auth_BYTES];
	if (!hex || strlen(hex) != 2 * sizeof(mac) || sk_unhex(hex, mac, sizeof(mac)) != 0)
		return SK_ERR_KEY;
	erasure_key(v, key);
	int rc = crypto_auth_verify(mac, (const uint8_t *)body, len, key) == 0 ? 0 : SK_ERR_KEY;
	sodium_memzero(key, sizeof(key));
	return rc;
}

int64_t sk_vault_generation(const struct sk_vault *v)
{
	return ks(v)->generation;
}

/* ---- key rotation (docs/internals/vault.md "Key rotation") ---- */

/* The carried keys, before sealing: version, generation, the email key, then nold times a
 * token key, its until and (version 2) the time the rotation retired it (8 bytes big-endian
 * each). Version 1 (no retired time) is still read. */
#define CARRY_VERSION 2
#define CARRY_AD "samtycke carried keys"
#define CARRY_ENTRY(ver) (crypto_auth_KEYBYTES + ((ver) == 1 ? 8 : 16))
#define CARRY_MAX (1 + 8 + 32 + 1 + SK_VAULT_OLD_TOKEN_KEYS * CARRY_ENTRY(CARRY_VERSION))

static void put_be64(uint8_t *p, int64_t v)
{
	uint64_t u = (uint64_t)v;
	for (int i = 7; i >= 0; i--, u >>= 8)
		p[i] = (uint8_t)u;
}

static int64_t get_be64(const uint8_t *p)
{
	uint64_t u = 0;
	for (int i = 0; i < 8; i++)
		u = u << 8 | p[i];
	return (int64_t)u;
}

/* Applies the carried keys (hex of the sealed blob) to k, which is of generation gen. */
static int keyset_carry_apply(struct keyset *k, int64_t gen, const char *hex,
			      struct sk_errctx *err)
{
	uint8_t sealed[CARRY_MAX + SK_VAULT_SEAL_OVERHEAD];
	size_t hlen = strlen(hex), plen = 0;
	char *plain = NULL;
	int rc = 0;

	if (hlen % 2 || hlen / 2 > sizeof(sealed) || hlen / 2 < SK_VAULT_SEAL_OVERHEAD ||
	    sk_unhex(hex, sealed, hlen / 2) != 0)
		return sk_errf(err, SK_ERR_KEY, "the database's carried keys are malformed");
	if (sk_vault_unseal(k->carry, CARRY_AD, sealed, hlen / 2, &plain, &plen))
		return sk_errf(err, SK_ERR_KEY, "the database's carried keys do not open with the "
			       "key file");
	const uint8_t *p = (const uint8_t *)plain;
	if (plen < 1 + 8 + 32 + 1 || (p[0] != 1 && p[0] != CARRY_VERSION) ||
	    get_be64(p + 1) != gen || p[41] > SK_VAULT_OLD_TOKEN_KEYS ||
	    plen != 42 + (size_t)p[41] * CARRY_ENTRY(p[0])) {
		rc = sk_errf(err, SK_ERR_KEY, "the database's carried keys are of another "
			     "generation or malformed");
		goto out;
	}
	memcpy(k->email, p + 9, 32);
	k->nold = p[41];
	for (size_t i = 0; i < k->nold; i++) {
		const uint8_t *q = p + 42 + i * CARRY_ENTRY(p[0]);
		memcpy(k->old[i].key, q, crypto_auth_KEYBYTES);
		k->old[i].until = get_be64(q + crypto_auth_KEYBYTES);
		k->old[i].retired = p[0] == 1 ? 0 : get_be64(q + crypto_auth_KEYBYTES + 8);
	}
	k->generation = gen;
out:
	sodium_memzero(plain, plen);
	sk_free(plain);
	return rc;
}

int sk_vault_reload(struct sk_vault *v, const char *path, const char *want_check,
		    int64_t generation, const char *carried, struct sk_errctx *err)
{
	struct keyset *k = NULL;
	char have[65];
	int rc;

	pthread_mutex_lock(&v->mu);
	if ((rc = keyset_read(path ? path : v->path, &k, err)))
		goto out;
	keyset_check_value(k, have);
	if (want_check && !sk_vault_equal(have, want_check, 64)) {
		rc = sk_errf(err, SK_ERR_KEY, "the key file is not the one of the database's key "
			     "generation %lld", (long long)generation);
		goto out;
	}
	if (carried && *carried && (rc = keyset_carry_apply(k, generation, carried, err)))
		goto out;
	if (!carried || !*carried)
		k->generation = generation;
	keyset_publish(v, k);
	k = NULL;
out:
	pthread_mutex_unlock(&v->mu);
	if (k)
		sodium_free(k);
	return rc;
}

/* path + ".rotate": the new key file until the database has committed to it. */
static int tmp_path(const struct sk_vault *v, char out[sizeof(v->path) + 8])
{
	int n = snprintf(out, sizeof(v->path) + 8, "%s.rotate", v->path);
	return n > 0 && (size_t)n < sizeof(v->path) + 8 ? 0 : SK_ERR_KEY;
}

/* The folder that holds path. */
static void dir_of(const char *path, char dir[4096 + 8])
{
	snprintf(dir, 4096 + 8, "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, 4096 + 8, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
}

/* fsync of the folder that holds path, so that a rename in it is durable. */
static int dir_sync(const char *path)
{
	char dir[4096 + 8];
	dir_of(path, dir);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return SK_ERR_IO;
	int rc = fsync(fd) == 0 ? 0 : SK_ERR_IO;
	close(fd);
	return rc;
}

int sk_vault_rotate_begin(struct sk_vault *v, struct sk_vault **outnew, struct sk_errctx *err)
{
	char tmp[sizeof(v->path) + 8];
	int rc;

	if (tmp_path(v, tmp))
		return sk_errf(err, SK_ERR_KEY, "key file path is too long");
	/* one rotation of a key file at a time: a second one would remove the first one's new
	 * key file, which its database may be about to commit to */
	if (v->lock_fd >= 0)
		return sk_errf(err, SK_ERR_BUSY, "a key rotation of %s is running", v->path);
	/* the folder: whoever may write it could rename KEYFILE.rotate away or put another
	 * file in its place between the write and the rename */
	char dir[4096 + 8], lock[sizeof(v->path) + 8];
	struct stat dst, owner;
	dir_of(v->path, dir);
	if (stat(dir, &dst) != 0)
		return sk_errf(err, SK_ERR_KEY, "cannot read the key file's folder %s: %s", dir,
			       strerror(errno));
	if (dst.st_mode & (S_IWGRP | S_IWOTH))
		return sk_errf(err, SK_ERR_KEY, "the key file's folder %s may be written by group "
			       "or others: a key rotation there is refused (chmod go-w %s)", dir, dir);
	/* the new key file gets the key file's owner and group (a rotation run as root must not
	 * leave a key file the service cannot read), and so does the lock file */
	if (stat(v->path, &owner) != 0)
		return sk_errf(err, SK_ERR_KEY, "cannot read key file %s: %s", v->path,
			       strerror(errno));
	/* the lock is on a file of its own: the key file's inode is replaced by the rename */
	snprintf(lock, sizeof(lock), "%s.lock", v->path);
	v->lock_fd = open(lock, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (v->lock_fd < 0)
		return sk_errf(err, SK_ERR_KEY, "cannot open the rotation lock %s: %s", lock,
			       strerror(errno));
	struct stat lst;
	if (fstat(v->lock_fd, &lst) == 0 &&
	    (lst.st_uid != owner.st_uid || lst.st_gid != owner.st_gid))
		(void)!fchown(v->lock_fd, owner.st_uid, owner.st_gid); /* the service's, if we can */
	if (flock(v->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		sk_vault_rotate_unlock(v);
		return sk_errf(err, SK_ERR_BUSY, "another key rotation of %s is running", v->path);
	}
	/* a leftover of a rotation killed before its commit: the database never used it (an
	 * opening would have completed one that it did); the new key file's folder entry is
	 * synced before the database can commit to it */
	if (unlink(tmp) != 0 && errno != ENOENT)
		rc = sk_errf(err, SK_ERR_IO, "cannot remove %s: %s", tmp, strerror(errno));
	else if (!(rc = keyfile_write(tmp, &owner, err))) {
		if (dir_sync(tmp) != 0)
			rc = sk_errf(err, SK_ERR_IO, "cannot sync the key file's folder: %s",
				     strerror(errno));
		else
			rc = sk_vault_open(tmp, outnew, err);
		if (rc)
			unlink(tmp);
	}
	if (rc)
		sk_vault_rotate_unlock(v);
	return rc;
}

void sk_vault_rotate_unlock(struct sk_vault *v)
{
	if (v->lock_fd >= 0)
		close(v->lock_fd); /* the flock goes with it */
	v->lock_fd = -1;
}

void sk_vault_rotate_abandon(struct sk_vault *v, struct sk_vault *nv)
{
	char tmp[sizeof(v->path) + 8];
	if (!tmp_path(v, tmp))
		unlink(tmp);
	sk_vault_rotate_unlock(v);
	sk_vault_free(nv);
}

int sk_vault_kept_path(const struct sk_vault *v, int64_t generation, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s.gen-%" PRId64, v->path, generation);
	if (n < 0 || (size_t)n >= cap)
		return SK_ERR_INVALID;
	return access(out, F_OK) == 0 ? 0 : SK_ERR_NOT_FOUND;
}

/* Before the rename: the key file, while it is still the old key (not want_check), gets a
 * second name KEYFILE.gen-N (a hard link: the same file, so the same owner and mode), which
 * the rename leaves behind. One that exists already is a completion's done before. */
static int keep_old(const struct sk_vault *v, const char *want_check, int64_t gen,
		    struct sk_errctx *err)
{
	char kept[sizeof(v->path) + 32], have[65];
	struct keyset *k = NULL;
	struct sk_errctx ignored = {0};
	int rc = sk_vault_kept_path(v, gen, kept, sizeof(kept));
	if (rc == SK_ERR_INVALID)
		return sk_errf(err, SK_ERR_KEY, "key file path is too long");
	if (keyset_read(v->path, &k, &ignored))
		return 0; /* no old key file to keep */
	keyset_check_value(k, have);
	sodium_free(k);
	if (sk_vault_equal(have, want_check, 64))
		return 0; /* renamed already: the key file is the new key */
	if (link(v->path, kept) != 0 && errno != EEXIST)
		return sk_errf(err, SK_ERR_IO, "cannot keep the old key file as %s: %s", kept,
			       strerror(errno));
	/* another process renamed between the read and the link: that name is not the old key */
	if (keyset_read(kept, &k, &ignored) == 0) {
		keyset_check_value(k, have);
		sodium_free(k);
		if (sk_vault_equal(have, want_check, 64))
			unlink(kept);
	}
	return 0;
}

int sk_vault_rotate_finish(struct sk_vault *v, const char *want_check, int64_t keep_gen,
			   struct sk_errctx *err)
{
	char tmp[sizeof(v->path) + 8], have[65];
	struct keyset *k = NULL;
	struct sk_errctx ignored = {0};

	if (tmp_path(v, tmp))
		return SK_ERR_NOT_FOUND;
	if (keyset_read(tmp, &k, &ignored)) {
		/* none, or not whole: not the database's; or another process renamed it already */
		if (keyset_read(v->path, &k, &ignored))
			return SK_ERR_NOT_FOUND;
		keyset_check_value(k, have);
		sodium_free(k);
		return sk_vault_equal(have, want_check, 64) ? 0 : SK_ERR_NOT_FOUND;
	}
	keyset_check_value(k, have);
	sodium_free(k);
	if (!sk_vault_equal(have, want_check, 64))
		return SK_ERR_NOT_FOUND;
	int rc;
	if (keep_gen > 0 && (rc = keep_old(v, want_check, keep_gen, err)))
		return rc;
	if (rename(tmp, v->path) != 0) {
		/* another process completed it first: the key file is the new one then */
		if (errno != ENOENT)
			return sk_errf(err, SK_ERR_IO, "cannot rename %s over the key file: %s", tmp,
				       strerror(errno));
	}
	if (dir_sync(v->path))
		return sk_errf(err, SK_ERR_IO, "cannot sync the key file's folder: %s",
			       strerror(errno));
	return 0;
}

int sk_vault_carry_seal(const struct sk_vault *old, const struct sk_vault *nv, int64_t now,
			int64_t keep_until, int64_t generation, char *out, size_t outlen)
{
	const struct keyset *o = ks(old), *n = ks(nv);
	uint8_t plain[CARRY_MAX], *sealed = NULL;
	size_t len = 42, slen = 0, nold = 0;
	int rc;

	plain[0] = CARRY_VERSION;
	put_be64(plain + 1, generation);
	memcpy(plain + 9, o->email, 32);
	/* the token key that signed until now, then those carried before that still verify */
	memcpy(plain + len, o->token, crypto_auth_KEYBYTES);
	put_be64(plain + len + crypto_auth_KEYBYTES, keep_until);
	put_be64(plain + len + crypto_auth_KEYBYTES + 8, now);
	len += CARRY_ENTRY(CARRY_VERSION);
	nold++;
	for (size_t i = 0; i < o->nold && nold < SK_VAULT_OLD_TOKEN_KEYS; i++) {
		if (o->old[i].until <= now)
			continue;
		memcpy(plain + len, o->old[i].key, crypto_auth_KEYBYTES);
		put_be64(plain + len + crypto_auth_KEYBYTES, o->old[i].until);
		put_be64(plain + len + crypto_auth_KEYBYTES + 8, o->old[i].retired);
		len += CARRY_ENTRY(CARRY_VERSION);
		nold++;
	}
	plain[41] = (uint8_t)nold;
	rc = sk_vault_seal(n->carry, CARRY_AD, plain, len, &sealed, &slen);
	sodium_memzero(plain, sizeof(plain));
	if (rc)
		return rc;
	if (2 * slen + 1 > outlen)
		rc = SK_ERR_INVALID;
	else
		sk_hex(sealed, slen, out);
	sk_free(sealed);
	return rc;
}

int sk_vault_datakey_rewrap(const struct sk_vault *old, const struct sk_vault *nv,
			    const char *contact_id, const uint8_t *wrapped, size_t len,
			    uint8_t out[SK_VAULT_WRAPPED_LEN])
{
	uint8_t dk[SK_VAULT_KEY_LEN];
	const struct keyset *n = ks(nv);
	if (sk_vault_datakey_unwrap(old, contact_id, wrapped, len, dk))
		return SK_ERR_CRYPTO;
	vault_random(out, 24);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + 24, NULL, dk, SK_VAULT_KEY_LEN,
						   (const uint8_t *)contact_id, strlen(contact_id),
						   NULL, out, n->wrap);
	sodium_memzero(dk, sizeof(dk));
	return 0;
}

int sk_vault_reseal_system(const struct sk_vault *old, const struct sk_vault *nv, const char *ad,
			   const uint8_t *c, size_t clen, uint8_t **out, size_t *outlen)
{
	char *plain = NULL;
	size_t plen = 0;
	int rc = sk_vault_unseal_system(old, ad, c, clen, &plain, &plen);
	if (rc)
		return rc;
	rc = sk_vault_seal_system(nv, ad, plain, plen, out, outlen);
	sodium_memzero(plain, plen);
	sk_free(plain);
	return rc;
}

void sk_vault_email_key(const struct sk_vault *v, const char *canonical, uint8_t out[32])
{
	crypto_generichash(out, 32, (const uint8_t *)canonical, strlen(canonical), ks(v)->email,
			   sizeof(ks(v)->email));
}

void sk_vault_keyed_hash(const struct sk_vault *v, const char *tag, const void *p, size_t len,
			 uint8_t out[32])
{
	crypto_generichash_state st;
	uint8_t zero = 0;
	crypto_generichash_init(&st, ks(v)->email, sizeof(ks(v)->email), 32);
	crypto_generichash_update(&st, (const uint8_t *)tag, strlen(tag));
	crypto_generichash_update(&st, &zero, 1);
	crypto_generichash_update(&st, p, len);
	crypto_generichash_final(&st, out, 32);
}

/* ---- user-space randomness for bulk work (sk_vault_rng_seed) ---- */

#define RNG_BLOCK 4096
static _Thread_local struct {
	int on;
	size_t used;                 /* bytes of out handed out */
	uint8_t seed[randombytes_SEEDBYTES];
	uint8_t out[RNG_BLOCK];      /* the last 32 bytes are the next seed, never handed out */
} rng;

static void rng_refill(void)
{
	randombytes_buf_deterministic(rng.out, sizeof(rng.out), rng.seed);
	memcpy(rng.seed, rng.out + RNG_BLOCK - randombytes_SEEDBYTES, randombytes_SEEDBYTES);
	sodium_memzero(rng.out + RNG_BLOCK - randombytes_SEEDBYTES, randombytes_SEEDBYTES);
	rng.used = 0;
}

/* Every random byte of the vault comes from here. */
static void vault_random(void *p, size_t len)
{
	uint8_t *q = p;
	if (!rng.on) {
		randombytes_buf(p, len);
		return;
	}
	while (len) {
		size_t avail = RNG_BLOCK - randombytes_SEEDBYTES - rng.used;
		if (!avail) {
			rng_refill();
			continue;
		}
		size_t n = len < avail ? len : avail;
		memcpy(q, rng.out + rng.used, n);
		sodium_memzero(rng.out + rng.used, n); /* handed out once, then gone */
		rng.used += n;
		q += n;
		len -= n;
	}
}

static int rng_source(void *p, size_t len)
{
	vault_random(p, len);
	return 0;
}

int sk_vault_rng_seed(void)
{
	sk_vault_rng_stop();
	if (vault_init())
		return SK_ERR_CRYPTO;
	if (sk_random(rng.seed, sizeof(rng.seed))) /* the kernel: the source is reset above */
		return SK_ERR_IO;
	rng.on = 1;
	rng_refill();
	sk_random_set_source(rng_source);
	return 0;
}

void sk_vault_rng_stop(void)
{
	sk_random_set_source(NULL);
	rng.on = 0;
	sodium_memzero(&rng, sizeof(rng));
}

int sk_vault_datakey_new(const struct sk_vault *v, const char *contact_id,
			 uint8_t dk[SK_VAULT_KEY_LEN], uint8_t wrapped[SK_VAULT_WRAPPED_LEN])
{
	vault_random(dk, SK_VAULT_KEY_LEN);
	vault_random(wrapped, 24);
	crypto_aead_xchacha20poly1305_ietf_encrypt(wrapped + 24, NULL, dk, SK_VAULT_KEY_LEN,
						   (const uint8_t *)contact_id, strlen(contact_id),
						   NULL, wrapped, ks(v)->wrap);
	return 0;
}

int sk_vault_datakey_unwrap(const struct sk_vault *v, const char *contact_id,
			    const uint8_t *wrapped, size_t len, uint8_t dk[SK_VAULT_KEY_LEN])
{
	if (len != SK_VAULT_WRAPPED_LEN)
		return SK_ERR_CRYPTO;
	/* the set before the current one too: a read snapshot begun before a rotation's commit
	 * still holds what it wrapped (opening only; nothing new is made with it) */
	const struct keyset *k = ks(v);
	const struct keyset *try[2] = {k, keyset_fallback(v, k)};
	for (int i = 0; i < 2 && try[i]; i++)
		if (crypto_aead_xchacha20poly1305_ietf_decrypt(dk, NULL, NULL, wrapped + 24, len - 24,
							       (const uint8_t *)contact_id,
							       strlen(contact_id), wrapped,
							       try[i]->wrap) == 0)
			return 0;
	return SK_ERR_CRYPTO;
}

int sk_vault_seal(const uint8_t dk[SK_VAULT_KEY_LEN], const char *ad, const void *p, size_t len,
		  uint8_t **out, size_t *outlen)
{
	size_t n = len + SK_VAULT_SEAL_OVERHEAD;
	uint8_t *c = sk_malloc(n);
	if (!c)
		return SK_ERR_NOMEM;
	vault_random(c, 24);
	crypto_aead_xchacha20poly1305_ietf_encrypt(c + 24, NULL, p, len, (const uint8_t *)ad,
						   strlen(ad), NULL, c, dk);
	*out = c;
	*outlen = n;
	return 0;
}

int sk_vault_unseal(const uint8_t dk[SK_VAULT_KEY_LEN], const char *ad, const uint8_t *c,
		    size_t clen, char **out, size_t *outlen)
{
	if (clen < SK_VAULT_SEAL_OVERHEAD)
		return SK_ERR_CRYPTO;
	size_t n = clen - SK_VAULT_SEAL_OVERHEAD;
	char *p = sk_malloc(n + 1);
	if (!p)
		return SK_ERR_NOMEM;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt((uint8_t *)p, NULL, NULL, c + 24, clen - 24,
						       (const uint8_t *)ad, strlen(ad), c, dk) != 0) {
		sk_free(p);
		return SK_ERR_CRYPTO;
	}
	p[n] = '\0';
	*out = p;
	*outlen = n;
	return 0;
}

/* Tokens: PAYLOAD "." MAC, both base64url without padding. PAYLOAD is subject || 0 ||
 * expires (8 bytes, big-endian); MAC is HMAC-SHA-512-256 (crypto_auth) under subkey 4 over
 * tag || 0 || PAYLOAD, so the tag is bound without being carried. */
#define TOKEN_PAYLOAD_MAX (SK_TOKEN_SUBJECT_MAX + 1 + 8)
#define TOKEN_PAYLOAD_MIN (1 + 8)
#define TOKEN_B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING
/* Encoded lengths without the NUL. */
#define TOKEN_B64_LEN(n) (sodium_base64_ENCODED_LEN((n), TOKEN_B64) - 1)

_Static_assert(TOKEN_B64_LEN(TOKEN_PAYLOAD_MAX) + 1 + TOKEN_B64_LEN(crypto_auth_BYTES) <
		       SK_TOKEN_MAX,
	       "SK_TOKEN_MAX too small for the longest token");

/* The MAC input: tag || 0 || payload; returns its length, or 0 when the tag is out of
 * bounds. */
static size_t token_mac_input(const char *tag, const uint8_t *payload, size_t len,
			      uint8_t msg[SK_TOKEN_TAG_MAX + 1 + TOKEN_PAYLOAD_MAX])
{
	size_t tlen = tag ? strnlen(tag, SK_TOKEN_TAG_MAX + 1) : 0;
	if (tlen == 0 || tlen > SK_TOKEN_TAG_MAX || len > TOKEN_PAYLOAD_MAX)
		return 0;
	memcpy(msg, tag, tlen);
	msg[tlen] = 0;
	memcpy(msg + tlen + 1, payload, len);
	return tlen + 1 + len;
}

int sk_vault_token_sign(const struct sk_vault *v, const char *tag, const char *subject,
			int64_t expires, char out[SK_TOKEN_MAX])
{
	uint8_t payload[TOKEN_PAYLOAD_MAX], msg[SK_TOKEN_TAG_MAX + 1 + TOKEN_PAYLOAD_MAX];
	uint8_t mac[crypto_auth_BYTES];
	size_t slen = subject ? strnlen(subject, SK_TOKEN_SUBJECT_MAX + 1) : SIZE_MAX;

	out[0] = '\0';
	if (slen > SK_TOKEN_SUBJECT_MAX)
		return SK_ERR_INVALID;
	memcpy(payload, subject, slen);
	payload[slen] = 0;
	uint64_t u = (uint64_t)expires;
	for (int i = 7; i >= 0; i--, u >>= 8)
		payload[slen + 1 + (size_t)i] = (uint8_t)u;
	size_t plen = slen + 1 + 8;
	size_t mlen = token_mac_input(tag, payload, plen, msg);
	if (mlen == 0)
		return SK_ERR_INVALID;
	crypto_auth(mac, msg, mlen, ks(v)->token);
	sodium_bin2base64(out, SK_TOKEN_MAX, payload, plen, TOKEN_B64);
	size_t n = strlen(out);
	out[n++] = '.';
	sodium_bin2base64(out + n, SK_TOKEN_MAX - n, mac, sizeof(mac), TOKEN_B64);
	return 0;
}

/* carried: the old token keys of the keyset verify too, each a token that expires by its
 * until, while now is before it; *retired (when carried) is 0 for the current key, else the
 * time the matching key was retired (SK_VAULT_RETIRED_UNKNOWN when not recorded). */
static int token_verify(const struct sk_vault *v, const char *tag, const char *token,
			int64_t now, char subject[SK_TOKEN_MAX], int64_t *expires, int carried,
			int64_t *retired)
{
	const struct keyset *k = ks(v);
	int64_t until = INT64_MAX;
	uint8_t payload[TOKEN_PAYLOAD_MAX], msg[SK_TOKEN_TAG_MAX + 1 + TOKEN_PAYLOAD_MAX];
	uint8_t mac[crypto_auth_BYTES];
	size_t plen = 0, maclen = 0;

	subject[0] = '\0';
	if (expires)
		*expires = 0;
	if (retired)
		*retired = 0;
	/* Lengths first: nothing longer than the longest token is decoded. */
	size_t len = token ? strnlen(token, SK_TOKEN_MAX) : SK_TOKEN_MAX;
	if (len >= SK_TOKEN_MAX)
		return SK_ERR_INVALID;
	const char *dot = memchr(token, '.', len);
	if (!dot)
		return SK_ERR_INVALID;
	size_t p64 = (size_t)(dot - token), m64 = len - p64 - 1;
	if (p64 < TOKEN_B64_LEN(TOKEN_PAYLOAD_MIN) || p64 > TOKEN_B64_LEN(TOKEN_PAYLOAD_MAX) ||
	    m64 != TOKEN_B64_LEN(crypto_auth_BYTES))
		return SK_ERR_INVALID;
	/* libsodium refuses characters outside the alphabet (a second '.' included), trailing
	 * garbage and non-zero padding bits, so each token has one spelling. */
	if (sodium_base642bin(payload, sizeof(payload), token, p64, NULL, &plen, NULL,
			      TOKEN_B64) != 0 ||
	    sodium_base642bin(mac, sizeof(mac), dot + 1, m64, NULL, &maclen, NULL, TOKEN_B64) != 0 ||
	    maclen != sizeof(mac) || plen < TOKEN_PAYLOAD_MIN)
		return SK_ERR_INVALID;
	size_t mlen = token_mac_input(tag, payload, plen, msg);
	if (mlen == 0)
		return SK_ERR_INVALID;
	if (crypto_auth_verify(mac, msg, mlen, k->token) != 0) {
		size_t i = 0;
		for (; carried && i < k->nold; i++)
			if (now < k->old[i].until &&
			    crypto_auth_verify(mac, msg, mlen, k->old[i].key) == 0)
				break;
		if (!carried || i == k->nold)
			return SK_ERR_INVALID;
		until = k->old[i].until;
		if (retired)
			*retired = k->old[i].retired ? k->old[i].retired : SK_VAULT_RETIRED_UNKNOWN;
	}
	/* Authentic from here on; the structure is checked all the same. */
	size_t slen = plen - 9;
	if (payload[slen] != 0 || memchr(payload, 0, slen) != NULL)
		return SK_ERR_INVALID;
	uint64_t u = 0;
	for (size_t i = 0; i < 8; i++)
		u = u << 8 | payload[slen + 1 + i];
	int64_t exp = (int64_t)u;
	if (exp > until)
		return SK_ERR_INVALID; /* longer than any link the old key signed: forged */
	memcpy(subject, payload, slen);
	subject[slen] = '\0';
	if (expires)
		*expires = exp;
	return now < exp ? 0 : SK_ERR_EXPIRED;
}

int sk_vault_token_verify(const struct sk_vault *v, const char *tag, const char *token,
			  int64_t now, char subject[SK_TOKEN_MAX], int64_t *expires)
{
	return token_verify(v, tag, token, now, subject, expires, 0, NULL);
}

int sk_vault_token_verify_carried(const struct sk_vault *v, const char *tag, const char *token,
				  int64_t now, char subject[SK_TOKEN_MAX], int64_t *expires,
				  int64_t *retired)
{
	return token_verify(v, tag, token, now, subject, expires, 1, retired);
}

void sk_vault_sha256(const void *p, size_t len, uint8_t out[32])
{
	crypto_hash_sha256(out, p, len);
}

_Static_assert(sizeof(crypto_hash_sha256_state) <= sizeof(((struct sk_hasher *)0)->opaque),
	       "sk_hasher too small for libsodium's SHA-256 state");
_Static_assert(sizeof(crypto_generichash_state) <= sizeof(((struct sk_hasher *)0)->opaque),
	       "sk_hasher too small for libsodium's BLAKE2b state");

#define H_SHA(h) ((crypto_hash_sha256_state *)(void *)(h)->opaque)
#define H_B2B(h) ((crypto_generichash_state *)(void *)(h)->opaque)

void sk_hasher_init(struct sk_hasher *h)
{
	h->blake2b = 0;
	crypto_hash_sha256_init(H_SHA(h));
}

void sk_hasher_init_blake2b(struct sk_hasher *h)
{
	h->blake2b = 1;
	/* unkeyed, 32 bytes: cannot fail with these sizes */
	(void)crypto_generichash_init(H_B2B(h), NULL, 0, 32);
}

void sk_hasher_update(struct sk_hasher *h, const void *p, size_t len)
{
	if (h->blake2b)
		(void)crypto_generichash_update(H_B2B(h), p, len);
	else
		crypto_hash_sha256_update(H_SHA(h), p, len);
}

void sk_hasher_field(struct sk_hasher *h, const void *p, size_t len)
{
	uint8_t be[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
			 (uint8_t)len};
	sk_hasher_update(h, be, 4);
	if (len)
		sk_hasher_update(h, p, len);
}

void sk_hasher_str(struct sk_hasher *h, const char *s)
{
	sk_hasher_field(h, s, strlen(s));
}

void sk_hasher_i64(struct sk_hasher *h, int64_t v)
{
	uint8_t be[8];
	uint64_t u = (uint64_t)v;
	for (int i = 7; i >= 0; i--, u >>= 8)
		be[i] = (uint8_t)u;
	sk_hasher_field(h, be, 8);
}

void sk_hasher_final(struct sk_hasher *h, uint8_t out[32])
{
	if (h->blake2b)
		(void)crypto_generichash_final(H_B2B(h), out, 32);
	else
		crypto_hash_sha256_final(H_SHA(h), out);
}

int sk_vault_equal(const void *a, const void *b, size_t len)
{
	return sodium_memcmp(a, b, len) == 0;
}

int sk_vault_password_hash(const char *password, char out[SK_PWHASH_MAX])
{
	if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return SK_ERR_NOMEM;
	return 0;
}

int sk_vault_password_verify(const char *hash, const char *password)
{
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

static char dummy_hash[SK_PWHASH_MAX];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void dummy_make(void)
{
	uint8_t pw[24];
	char hex[49];
	randombytes_buf(pw, sizeof(pw));
	sodium_bin2hex(hex, sizeof(hex), pw, sizeof(pw));
	if (sk_vault_password_hash(hex, dummy_hash))
		dummy_hash[0] = '\0';
	sodium_memzero(hex, sizeof(hex));
}

const char *sk_vault_password_dummy(void)
{
	pthread_once(&dummy_once, dummy_make);
	return dummy_hash;
}

void sk_vault_wipe(void *p, size_t len)
{
	sodium_memzero(p, len);
}

int sk_vault_seal_system(const struct sk_vault *v, const char *ad, const void *p, size_t len,
			 uint8_t **out, size_t *outlen)
{
	return sk_vault_seal(ks(v)->system, ad, p, len, out, outlen);
}

int sk_vault_unseal_system(const struct sk_vault *v, const char *ad, const uint8_t *c,
			   size_t clen, char **out, size_t *outlen)
{
	const struct keyset *k = ks(v), *prev = keyset_fallback(v, k);
	int rc = sk_vault_unseal(k->system, ad, c, clen, out, outlen);
	if (rc == SK_ERR_CRYPTO && prev) /* as in sk_vault_datakey_unwrap */
		rc = sk_vault_unseal(prev->system, ad, c, clen, out, outlen);
	return rc;
}

/* ---- Standard Webhooks ---- */

#define WHSEC_PREFIX "whsec_"
#define WHSEC_BYTES 24

int sk_vault_whsec_new(char out[SK_WHSEC_MAX])
{
	uint8_t raw[WHSEC_BYTES];
	if (sk_random(raw, sizeof(raw)))
		return SK_ERR_IO;
	memcpy(out, WHSEC_PREFIX, strlen(WHSEC_PREFIX));
	sodium_bin2base64(out + strlen(WHSEC_PREFIX), SK_WHSEC_MAX - strlen(WHSEC_PREFIX), raw,
			  sizeof(raw), sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(raw, sizeof(raw));
	return 0;
}

int sk_vault_whsec_sign(const char *secret, const char *msg_id, int64_t timestamp,
			const void *body, size_t len, char out[SK_WHSIG_MAX])
{
	uint8_t key[64], mac[crypto_auth_hmacsha256_BYTES];
	size_t keylen = 0, plen = strlen(WHSEC_PREFIX);
	char ts[24];
	crypto_auth_hmacsha256_state st;

	if (strncmp(secret, WHSEC_PREFIX, plen) != 0 ||
	    sodium_base642bin(key, sizeof(key), secret + plen, strlen(secret + plen), NULL, &keylen,
			      NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    keylen == 0)
		return SK_ERR_INVALID;
	snprintf(ts, sizeof(ts), "%lld", (long long)timestamp);
	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)msg_id, strlen(msg_id));
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)".", 1);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)ts, strlen(ts));
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)".", 1);
	crypto_auth_hmacsha256_update(&st, body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(out, "v1,", 3);
	sodium_bin2base64(out + 3, SK_WHSIG_MAX - 3, mac, sizeof(mac),
			  sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(&st, sizeof(st));
	return 0;
}

void sk_vault_versions(sk_version_fn *fn, void *arg)
{
	char unistring[16];
	/* libunistring keeps its version as (major << 16) + (minor << 8) + subminor in a variable
	 * (no call returns it); GNU names a release without its subminor when that is 0 */
	int v = _libunistring_version;
	if (v & 0xff)
		snprintf(unistring, sizeof(unistring), "%d.%d.%d", v >> 16, v >> 8 & 0xff, v & 0xff);
	else
		snprintf(unistring, sizeof(unistring), "%d.%d", v >> 16, v >> 8 & 0xff);
	fn(arg, "libsodium", sodium_version_string());
	fn(arg, "libidn2", idn2_check_version(NULL));
	fn(arg, "libunistring", unistring);
}
