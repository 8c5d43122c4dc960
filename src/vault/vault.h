/* vault.h: everything cryptographic, on libsodium: the master key file, address
 * canonicalisation and the keyed email hash, per-contact data keys wrapped by the master key,
 * sealing and opening of personal fields, signed expiring tokens for links, SHA-256 for
 * notices (and ledger events before migration 7) and BLAKE2b-256 for newer ledger events. */
#ifndef SK_VAULT_H
#define SK_VAULT_H

#include <stddef.h>
#include <stdint.h>

#include "util/version.h"

struct sk_errctx;

#define SK_VAULT_KEY_LEN 32
#define SK_VAULT_WRAPPED_LEN (24 + SK_VAULT_KEY_LEN + 16) /* nonce, key, tag */
#define SK_VAULT_SEAL_OVERHEAD (24 + 16)
#define SK_EMAIL_MAX 254

struct sk_vault;

/* Writes a new random master key to path with mode 0600; refuses to overwrite a file. */
int sk_vault_keyfile_create(const char *path, struct sk_errctx *err);
/* Reads the master key; refuses a key file that others can read (mode & 077). */
int sk_vault_open(const char *path, struct sk_vault **out, struct sk_errctx *err);
/* Reads the first line of a file that holds a secret (serve's smtp-password-file) into out
 * (NUL-terminated, the rest of out zeroed); refuses, as the key file, a file group or others
 * may read, and an empty or too long first line (SK_ERR_USAGE naming what and path, never
 * the secret). */
int sk_vault_secret_read(const char *path, const char *what, char *out, size_t outlen,
			 struct sk_errctx *err);
void sk_vault_free(struct sk_vault *v);
/* A value derived from the master key, stored in the database to detect a wrong key file. */
void sk_vault_check_value(const struct sk_vault *v, char out[65]);

/* The MAC samtycke backup stores in its copy: HMAC-SHA-512-256 (crypto_auth) under subkey 7
 * of the current master key over a digest of the copy's content (core/backup.c). A backup
 * made before a key rotation verifies only with the key file it was made with. verify: 0, or
 * SK_ERR_KEY when mac is not digest's. */
#define SK_VAULT_BACKUP_MAC_LEN 32
void sk_vault_backup_mac(const struct sk_vault *v, const uint8_t digest[32],
			 uint8_t out[SK_VAULT_BACKUP_MAC_LEN]);
int sk_vault_backup_mac_verify(const struct sk_vault *v, const uint8_t digest[32],
			       const uint8_t mac[SK_VAULT_BACKUP_MAC_LEN]);

/* The erasure log's line MAC (store/erasures.c's format 2): HMAC-SHA-512-256 under a key
 * derived from the email hash key (carried over rotations unchanged), as hex (64 digits).
 * verify: 0, or SK_ERR_KEY. */
void sk_vault_erasure_mac(const struct sk_vault *v, const char *body, size_t len,
			  char out[2 * SK_VAULT_BACKUP_MAC_LEN + 1]);
int sk_vault_erasure_mac_verify(const struct sk_vault *v, const char *body, size_t len,
				const char *hex);

/* ---- key rotation (docs/internals/vault.md "Key rotation") ----
 * The keys a vault uses are one immutable set, read through an atomic pointer: a reload
 * publishes a new set while other threads go on with the one they hold (every set stays
 * allocated until sk_vault_free). */
#define SK_VAULT_OLD_TOKEN_KEYS 4
/* The key generation of the current set (1 for a database never rotated). */
int64_t sk_vault_generation(const struct sk_vault *v);
/* Reads the key file (path, or the vault's own when NULL) again; SK_ERR_KEY unless its check
 * value is want_check (when not NULL). carried (hex, from the database; NULL or "" when the
 * database has none) holds the keys carried over rotations: the email hash key of the first
 * generation and the earlier token keys, sealed under subkey 6 of the key of generation.
 * Publishes the new set at once. */
int sk_vault_reload(struct sk_vault *v, const char *path, const char *want_check,
		    int64_t generation, const char *carried, struct sk_errctx *err);
/* After a reload, sk_vault_datakey_unwrap and sk_vault_unseal_system also try the set before
 * (a read snapshot begun before a rotation's commit still holds what that set wrapped), for
 * SK_VAULT_PREV_GRACE_SECONDS only: after that the retired keys open nothing in this process
 * (the set stays allocated: a thread may hold it). sk_vault_set_prev_grace changes the grace
 * (tests; 0: never). */
#define SK_VAULT_PREV_GRACE_SECONDS 60
void sk_vault_set_prev_grace(struct sk_vault *v, int64_t seconds);
/* Refuses a key folder that group or others may write (SK_ERR_KEY, naming it); locks
 * KEYFILE.lock (0600, made when missing, given the key file's owner when it can be; flock:
 * SK_ERR_BUSY while another process rotates it), writes a new key file beside the key file
 * (its path and ".rotate"; O_EXCL, 0600, the key file's owner and group (SK_ERR_KEY, nothing
 * left, when they cannot be given), fsync, then fsync of the folder), removing a leftover of
 * an earlier rotation first, and opens it as *outnew. The lock holds until
 * sk_vault_rotate_unlock (or abandon, or sk_vault_free). */
int sk_vault_rotate_begin(struct sk_vault *v, struct sk_vault **outnew, struct sk_errctx *err);
void sk_vault_rotate_unlock(struct sk_vault *v);
/* Removes the new key file again (a rotation that did not commit), unlocks, frees nv. */
void sk_vault_rotate_abandon(struct sk_vault *v, struct sk_vault *nv);
/* When the new key file beside v's exists and its check value is want_check (the database
 * committed to it), renames it over the key file and syncs the folder: 0 (0 too when another
 * process renamed it already: the key file's check value is want_check). SK_ERR_NOT_FOUND
 * when there is none, or it is not the database's. keep_gen > 0: the old key file is kept
 * first as KEYFILE.gen-KEEP_GEN (the same file under a second name: its owner and mode 0600),
 * for the backups made before the rotation; SK_ERR_IO when it cannot be (nothing renamed).
 * v's keys are not reloaded. */
int sk_vault_rotate_finish(struct sk_vault *v, const char *want_check, int64_t keep_gen,
			   struct sk_errctx *err);
/* The name of the key file kept for generation (KEYFILE.gen-N) into out: 0 when that file
 * exists, SK_ERR_NOT_FOUND when not, SK_ERR_INVALID when cap is too small. */
int sk_vault_kept_path(const struct sk_vault *v, int64_t generation, char *out, size_t cap);
/* The carried keys for generation (nv's), sealed under nv, as hex into out: old's email hash
 * key, old's token key (verifying until keep_until) and old's own carried token keys that
 * still verify at now. SK_ERR_INVALID when out is too small (SK_VAULT_CARRY_HEX holds it). */
#define SK_VAULT_CARRY_HEX (2 * (42 + SK_VAULT_OLD_TOKEN_KEYS * 48 + SK_VAULT_SEAL_OVERHEAD) + 1)
int sk_vault_carry_seal(const struct sk_vault *old, const struct sk_vault *nv, int64_t now,
			int64_t keep_until, int64_t generation, char *out, size_t outlen);
/* A data key wrapped by old, wrapped by nv instead; SK_ERR_CRYPTO when old cannot open it. */
int sk_vault_datakey_rewrap(const struct sk_vault *old, const struct sk_vault *nv,
			    const char *contact_id, const uint8_t *wrapped, size_t len,
			    uint8_t out[SK_VAULT_WRAPPED_LEN]);
/* A system secret sealed by old, sealed by nv instead (*out with sk_malloc). */
int sk_vault_reseal_system(const struct sk_vault *old, const struct sk_vault *nv, const char *ad,
			   const uint8_t *c, size_t clen, uint8_t **out, size_t *outlen);

/* The rules of the canonical form have a version; a database records the version its keys
 * were made with (meta "canon_version"), and the core re-keys contacts when it is older. */
#define SK_EMAIL_CANON_VERSION 2
/* Canonical form of an address (version 2): valid UTF-8 only (the message names the first
 * bad byte); surrounding Unicode white space trimmed; no control, formatting or space
 * character inside; no RFC 2047 encoded word (=?...?=); the local part NFC-normalised and
 * fully lowercased (libunistring), 1 to 64 bytes before and after; the domain lowercased and
 * in IDNA A-label form. The error message says what is wrong, never the address. out holds
 * SK_EMAIL_MAX + 1 bytes. */
int sk_email_canonical(const char *in, char out[SK_EMAIL_MAX + 1], struct sk_errctx *err);
/* The same, and also the address as written: the input with its surrounding white space
 * trimmed, byte for byte (written may be NULL). */
int sk_email_forms(const char *in, char written[SK_EMAIL_MAX + 1], char out[SK_EMAIL_MAX + 1],
		   struct sk_errctx *err);
/* The address for an SMTP envelope and the address headers: the local part byte for byte as
 * given (after the last '@' is the domain), the domain lowercased and in IDNA A-label form,
 * which every mail server takes, with SMTPUTF8 or without (RFC 6531 3.2). SK_ERR_INVALID
 * when there is no '@' or the domain is no valid (internationalised) domain name; the message
 * never holds the address. out holds SK_EMAIL_MAX + 1 bytes. */
int sk_email_ascii_domain(const char *in, char out[SK_EMAIL_MAX + 1], struct sk_errctx *err);
/* Version 1 of the rules, kept to find suppression keys made under it: trimmed, ASCII
 * letters lowercased, other bytes as they come, IDNA (A-label) domain. */
int sk_email_canonical_legacy(const char *in, char out[SK_EMAIL_MAX + 1], struct sk_errctx *err);
/* The forms the legacy rules gave to the address that canonicalises to canon (in is the
 * input it came from): that of in itself, and those of its other spellings: each letter
 * outside ASCII in either case when there are at most SK_EMAIL_LEGACY_LETTERS of them (else
 * all lower, all upper, capitalised), each composed and decomposed. Only forms that differ
 * from canon and from each other, at most max (SK_EMAIL_LEGACY_MAX holds them all); returns
 * how many. An address with an ASCII local part has none: both rule versions agree on it. */
#define SK_EMAIL_LEGACY_LETTERS 3
#define SK_EMAIL_LEGACY_MAX (1 + 2 * (1 << SK_EMAIL_LEGACY_LETTERS))
size_t sk_email_legacy_forms(const char *in, const char *canon,
			     char out[][SK_EMAIL_MAX + 1], size_t max);
/* email_key = keyed BLAKE2b-256(server secret, canonical address). */
void sk_vault_email_key(const struct sk_vault *v, const char *canonical, uint8_t out[32]);
/* Keyed BLAKE2b-256 of tag and data (the same secret, another domain): a digest of something
 * that may hold personal data, which no one without the key can test a guess against. */
void sk_vault_keyed_hash(const struct sk_vault *v, const char *tag, const void *p, size_t len,
			 uint8_t out[32]);

/* A new random data key for a contact, and the same key wrapped by the master key (bound
 * to the contact id). wrapped holds SK_VAULT_WRAPPED_LEN bytes. */
int sk_vault_datakey_new(const struct sk_vault *v, const char *contact_id,
			 uint8_t dk[SK_VAULT_KEY_LEN], uint8_t wrapped[SK_VAULT_WRAPPED_LEN]);
int sk_vault_datakey_unwrap(const struct sk_vault *v, const char *contact_id,
			    const uint8_t *wrapped, size_t len, uint8_t dk[SK_VAULT_KEY_LEN]);

/* XChaCha20-Poly1305 with associated data ad (a field's name and owner, so that sealed
 * values cannot be moved between fields or contacts). *out is allocated with sk_malloc. */
int sk_vault_seal(const uint8_t dk[SK_VAULT_KEY_LEN], const char *ad, const void *p, size_t len,
		  uint8_t **out, size_t *outlen);
/* Opens a sealed value; the plaintext gets a terminating NUL (not counted in *outlen). */
int sk_vault_unseal(const uint8_t dk[SK_VAULT_KEY_LEN], const char *ad, const uint8_t *c,
		    size_t clen, char **out, size_t *outlen);

/* Signed tokens for links in mails and on pages (see docs/internals/mail.md). */
#define SK_TOKEN_MAX 192
#define SK_TOKEN_SUBJECT_MAX 100
#define SK_TOKEN_TAG_MAX 32
/* A URL-safe token ([A-Za-z0-9_-] and one '.') binding subject (at most
 * SK_TOKEN_SUBJECT_MAX bytes, no NUL) and an expiry time to a MAC made with a key derived
 * from the master key; tag (1 to SK_TOKEN_TAG_MAX bytes) separates uses ("confirm",
 * "unsubscribe"). SK_ERR_INVALID for a subject or tag out of bounds. */
int sk_vault_token_sign(const struct sk_vault *v, const char *tag, const char *subject,
			int64_t expires, char out[SK_TOKEN_MAX]);
/* 0 and the subject when token is whole and unexpired at now (now < expires);
 * SK_ERR_INVALID when it is malformed or altered (or made for another tag), and subject is
 * then empty; SK_ERR_EXPIRED when only its time is past, and subject and *expires are then
 * filled (they are authentic) so that a page can say which link expired. expires may be
 * NULL. */
int sk_vault_token_verify(const struct sk_vault *v, const char *tag, const char *token,
			  int64_t now, char subject[SK_TOKEN_MAX], int64_t *expires);
/* The same, and a token signed by the token key of an earlier generation (carried over a
 * rotation) verifies too while now is before that key's until, when its expiry is not later
 * than that until. *retired (may be NULL) says which key matched: 0 the current one, else the
 * time the rotation retired the carried key that matched (SK_VAULT_RETIRED_UNKNOWN for a key
 * carried before that time was recorded): the caller accepts it only for a thing made before
 * then. Only for links that take consent away or only show (unsubscribe, open, click): never
 * for one that gives consent or hands out anything (docs/internals/vault.md "Key rotation"). */
#define SK_VAULT_RETIRED_UNKNOWN INT64_MAX
int sk_vault_token_verify_carried(const struct sk_vault *v, const char *tag, const char *token,
				  int64_t now, char subject[SK_TOKEN_MAX], int64_t *expires,
				  int64_t *retired);

/* Randomness for bulk work (the import makes about 11 draws a row; each was a getrandom
 * call). sk_vault_rng_seed takes a fresh 32-byte seed from the kernel and, until
 * sk_vault_rng_stop, every draw on this thread (data keys, nonces, ids through sk_random)
 * comes from libsodium's randombytes_buf_deterministic (ChaCha20) under that seed, in blocks
 * of 4 KiB whose last 32 bytes seed the next block (no block is ever drawn twice, and an
 * earlier block cannot be computed from a later state). Seed it again per batch.
 * SK_ERR_IO when the kernel gives no randomness (and then every draw goes to the kernel).
 * Other threads are not affected. */
int sk_vault_rng_seed(void);
void sk_vault_rng_stop(void);

void sk_vault_sha256(const void *p, size_t len, uint8_t out[32]);
/* Incremental SHA-256 (sk_hasher_init) or unkeyed BLAKE2b-256 (sk_hasher_init_blake2b,
 * libsodium's crypto_generichash) over length-prefixed fields (4-byte big-endian length, then
 * the bytes), so that no two different field lists hash alike. */
struct sk_hasher {
	_Alignas(64) unsigned char opaque[448];
	int blake2b;
};
void sk_hasher_init(struct sk_hasher *h);
void sk_hasher_init_blake2b(struct sk_hasher *h);
void sk_hasher_field(struct sk_hasher *h, const void *p, size_t len);
void sk_hasher_str(struct sk_hasher *h, const char *s);
void sk_hasher_i64(struct sk_hasher *h, int64_t v);
void sk_hasher_final(struct sk_hasher *h, uint8_t out[32]);
/* Plain bytes, no framing: the SHA-256 of a stream, as sha256sum gives it. */
void sk_hasher_update(struct sk_hasher *h, const void *p, size_t len);
/* Constant-time comparison: 1 when equal. */
int sk_vault_equal(const void *a, const void *b, size_t len);
/* Staff passwords (core/staff.c): libsodium's crypto_pwhash_str, Argon2id at the
 * "interactive" limits, its string (parameters and salt included) into out (SK_PWHASH_MAX
 * bytes). verify: 1 when password matches hash. A hash string that is not one (a
 * dummy's "") costs the same as a mismatch only through sk_vault_password_dummy. */
#define SK_PWHASH_MAX 128
int sk_vault_password_hash(const char *password, char out[SK_PWHASH_MAX]);
int sk_vault_password_verify(const char *hash, const char *password);
/* A fixed hash of a random password, made once per process: what an unknown name's
 * sign-in is verified against, so that it costs what a wrong password costs. */
const char *sk_vault_password_dummy(void);
void sk_vault_wipe(void *p, size_t len);

/* Sealing of the server's own secrets (webhook signing secrets) under subkey 5 of the master
 * key, as sk_vault_seal and sk_vault_unseal do with a data key. */
int sk_vault_seal_system(const struct sk_vault *v, const char *ad, const void *p, size_t len,
			 uint8_t **out, size_t *outlen);
int sk_vault_unseal_system(const struct sk_vault *v, const char *ad, const uint8_t *c,
			   size_t clen, char **out, size_t *outlen);

/* ---- Standard Webhooks (HMAC-SHA256) ---- */

#define SK_WHSEC_MAX 64 /* "whsec_" and base64 of 24 bytes, with room */
#define SK_WHSIG_MAX 64 /* "v1," and base64 of 32 bytes, with room */
/* A new endpoint secret: "whsec_" and base64 of 24 random bytes. SK_ERR_IO without
 * randomness. */
int sk_vault_whsec_new(char out[SK_WHSEC_MAX]);
/* "v1," base64(HMAC-SHA256(secret bytes, msg_id "." timestamp "." body)); SK_ERR_INVALID for
 * a secret that is not "whsec_" and base64. */
int sk_vault_whsec_sign(const char *secret, const char *msg_id, int64_t timestamp,
			const void *body, size_t len, char out[SK_WHSIG_MAX]);

/* libsodium, libidn2 and libunistring, with the versions they run with (samtycke --version). */
void sk_vault_versions(sk_version_fn *fn, void *arg);

#endif
