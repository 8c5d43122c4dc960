/* core_int.h: helpers shared by the files of src/core only. */
#ifndef SK_CORE_INT_H
#define SK_CORE_INT_H

#include "core/core.h"
#include "vault/vault.h"

/* Core keeps jansson inside, where it parses or stores JSON (a sealed form request below,
 * the policy, evidence, the outbox); nothing in core.h hands a json_t to a caller. */
struct json_t;

struct sk_core {
	struct sk_store *store;   /* borrowed */
	struct sk_vault *vault;   /* borrowed */
	struct sk_policy *policy; /* owned; NULL until a policy is applied */
	int policy_version;
	int in_batch;
	int in_group;             /* sk_core_group_run: a job runs in the group's transaction */
	int read_depth;           /* nested read snapshots */
	int changed;              /* the open transaction appended to the change feed */
	/* API keys checked in the last second; dropped when any core of this process revokes a
	 * key (key_cache_gen), so another process's revocation holds within a second */
	struct sk_key_rec key_cache[4];
	int64_t key_cache_at[4];
	/* keyed BLAKE2b of the whole key string each slot was checked with: a request that
	 * presents the same string is matched without its SHA-256 (keys.c) */
	uint8_t key_cache_mac[4][32];
	unsigned key_cache_gen;
	/* Set by sk_core_open when it upgraded the addresses to a new canonical form version
	 * (core/canon.c): what it did, and the ids of contacts it could not re-key; "" else. */
	char canon_note[512];
	/* Set by sk_core_open when it completed a key rotation killed before its rename. */
	char key_note[160];
	/* the key generation was compared in the open batch or group (keyrot.c) */
	int key_checked;
	/* sk_erasures_replay runs: what it erases again is not appended to the log again */
	int replaying;
};

/* ---- the master key over time (core/keyrot.c) ---- */
/* The key check of sk_core_open (init: stores the vault's check value and generation 1). */
int sk__key_open(struct sk_core *c, int init, struct sk_errctx *err);
/* The only ways to make something new with the master key: inside the write transaction
 * that stores it, the database's key generation is compared with the vault's, and a vault
 * behind reloads first (SK_ERR_KEY when its key file is behind the database). */
int sk__datakey_new(struct sk_core *c, const char *contact_id, uint8_t dk[SK_VAULT_KEY_LEN],
		    uint8_t wrapped[SK_VAULT_WRAPPED_LEN], struct sk_errctx *err);
int sk__seal_system(struct sk_core *c, const char *ad, const void *p, size_t len, uint8_t **out,
		    size_t *outlen, struct sk_errctx *err);
/* After an unwrap or unseal failed: 1 when the vault was behind and has reloaded (try
 * again), 0 otherwise. */
int sk__key_retry(struct sk_core *c);

/* The vault token tag of confirmation links (made by outbox.c, checked by form.c). */
#define SK__CONFIRM_TAG "confirm"

/* Seconds a client clock may run ahead: an occurred_at later than now plus this is refused. */
#define SK__FUTURE_SLACK 300

/* A write transaction unless a batch is open. */
int sk__core_begin(struct sk_core *c, struct sk_errctx *err);
/* Commits when rc is 0, rolls back otherwise (no-ops inside a batch); returns rc or the
 * commit's error. */
int sk__core_end(struct sk_core *c, int rc, struct sk_errctx *err);
/* A positive whole number kept in the meta table: dflt when key is absent; what names the
 * read in a storage error; SK_ERR_STORAGE when the stored text is not one. */
int sk__meta_int(struct sk_core *c, const char *key, int64_t dflt, const char *what,
		 int64_t *out, struct sk_errctx *err);
/* Storage failure: records a message naming the operation, never data. */
int sk__store_err(struct sk_errctx *err, int rc, const char *what);
/* Appends a change of type t to the change feed (core/consent.c); contact_id, purpose and
 * status may be NULL (stored as ""). A storage failure is recorded in err. */
int sk__change_append(struct sk_core *c, enum sk_change_type t, const char *contact_id,
		      const char *purpose, const char *status, int64_t at, struct sk_errctx *err);
/* The same; *seq (may be NULL) gets the change's number in the feed. */
int sk__change_append_seq(struct sk_core *c, enum sk_change_type t, const char *contact_id,
			  const char *purpose, const char *status, int64_t at, int64_t *seq,
			  struct sk_errctx *err);
/* Canonical address and its email_key. */
int sk__email_key(struct sk_core *c, const char *email, uint8_t key[SK_HASH_LEN],
		  struct sk_errctx *err);

/* An address as the core handles it: as written (trimmed), canonical, its email_key, and the
 * keys that the legacy rules (canonical form version 1) gave it and its usual other
 * spellings where they differ (sk_email_legacy_forms), since suppression entries made before
 * version 2 are only keyed hashes and cannot be re-keyed. */
#define SK__LEGACY_MAX SK_EMAIL_LEGACY_MAX
struct sk__addr {
	char written[SK_EMAIL_MAX + 1];
	char canon[SK_EMAIL_MAX + 1];
	uint8_t key[SK_HASH_LEN];
	size_t nlegacy;
	uint8_t legacy_key[SK__LEGACY_MAX][SK_HASH_LEN];
};
/* A purpose's state as of now in *status (SK_ST_UNKNOWN when it has none) and, when it has
 * one, the event that set it in *out (sk_consent_proof: its notice text and opened
 * evidence, sk_proof_reset after). Returns 1 with a proof, 0 without one, or an error. The
 * preference centre's and the console's person pages both show this. */
int sk__purpose_proof(struct sk_core *c, const char *contact_id, const char *email,
		      const char *purpose, int64_t now, enum sk_status *status,
		      struct sk_proof *out, struct sk_errctx *err);
/* Canonicalises email (SK_ERR_INVALID_EMAIL with the reason) and computes both keys. */
int sk__addr_parse(struct sk_core *c, const char *email, struct sk__addr *a,
		   struct sk_errctx *err);
void sk__addr_wipe(struct sk__addr *a);
/* The one lookup of an address: contact and state of purpose ("" for none) under the key,
 * and the suppression list under the key and the legacy key. Returns the store's code. Every
 * suppression check (gate, contact add, consent, import, forget) goes through here. */
int sk__addr_lookup(struct sk_core *c, const struct sk__addr *a, const char *purpose,
		    struct sk_gate_rec *out);
/* The second half of sk__addr_lookup: sets out->suppressed (and its reason) when the address
 * is suppressed under one of its legacy keys; nothing is asked when it has none (ASCII). */
int sk__addr_legacy_suppressed(struct sk_core *c, const struct sk__addr *a,
			       struct sk_gate_rec *out);
/* Puts the address's email_key on the suppression list; inside the caller's transaction. */
int sk__addr_suppress(struct sk_core *c, const struct sk__addr *a, const char *reason,
		      struct sk_errctx *err);
/* Lifts the address's suppression entries (its email_key and its legacy keys); inside the
 * caller's transaction. *lifted says whether there was any. */
int sk__addr_unsuppress(struct sk_core *c, const struct sk__addr *a, int *lifted,
			struct sk_errctx *err);
/* Re-keys contacts and their states made under an older canonical form version; run by
 * sk_core_open (core/canon.c). */
int sk__canon_upgrade(struct sk_core *c, struct sk_errctx *err);
/* The contact's unwrapped data key; SK_ERR_NOT_FOUND when it was destroyed. */
int sk__datakey(struct sk_core *c, const char *contact_id, uint8_t dk[SK_VAULT_KEY_LEN],
		struct sk_errctx *err);
/* Associated data for a sealed value: "<contact id>/<name>". out holds 128 bytes. */
void sk__seal_ad(const char *contact_id, const char *name, char out[128]);
/* Creates a contact row with a fresh data key, its "email" field the address as written;
 * the caller holds a write transaction. */
int sk__contact_create(struct sk_core *c, const char *written, const uint8_t key[SK_HASH_LEN],
		       struct sk_contact_rec *out, uint8_t dk[SK_VAULT_KEY_LEN],
		       struct sk_errctx *err);
/* sk_contact_add for an address the caller has parsed (written form and key) and looked up
 * (neither suppressed nor a contact) in the batch it holds open: the import's deferred
 * write (core/import.c), so the suppression list is not asked twice. SK_ERR_USAGE outside
 * a batch. */
int sk__contact_add_checked(struct sk_core *c, const char *written,
			    const uint8_t key[SK_HASH_LEN], const struct sk_field_value *fields,
			    size_t nfields, char outid[SK_ID_LEN + 1], struct sk_errctx *err);
/* Seals and stores one field of a contact. */
int sk__field_store(struct sk_core *c, const char *contact_id, const uint8_t dk[SK_VAULT_KEY_LEN],
		    const char *name, const char *value, struct sk_errctx *err);
/* A sk_event_cb that copies the event into arg (a struct sk_event_rec), evidence left out. */
int sk__copy_event(void *arg, const struct sk_event_rec *ev);
/* A growable list of states, filled by sk__states_add (an sk_state_cb). */
struct sk__states {
	struct sk_state_rec *st;
	size_t n, alloc;
};
int sk__states_add(void *arg, const struct sk_state_rec *st);

/* Deletes the fields that no purpose with a live basis needs any more (after a consent
 * ended); the address stays. *ndeleted tells how many went, so that the caller appends a
 * "contact" change (a CRM holding copies must delete them too). Inside the caller's
 * transaction. */
int sk__fields_cleanup(struct sk_core *c, const char *contact_id, int *ndeleted,
		       struct sk_errctx *err);
/* Inside a transaction that deletes personal data: records that a store scrub is owed (meta
 * "scrub_pending"), so that a crash or a reader between the commit and the scrub leaves it
 * recorded, not forgotten. After the commit, call sk_scrub_retry (docs/rights.md). */
int sk__scrub_mark(struct sk_core *c, struct sk_errctx *err);
/* Deletes a contact's rows and data key, suppresses its address when reason is not NULL,
 * appends an "erased" change and marks the scrub owed; inside the caller's transaction. */
int sk__contact_erase(struct sk_core *c, const struct sk_contact_rec *ct, const char *reason,
		      struct sk_errctx *err);
/* Puts an address's key on the suppression list and deletes its unconfirmed form requests
 * and unsent mail; inside the caller's transaction. */
/* Appends an entry to the erasure log (store/erasures.c) and syncs it: op "erase",
 * "suppress" or "unsuppress", contact_id and key may be NULL, reason NULL or "". Nothing while
 * replaying. A failure is SK_ERR_IO in err: the erasure fails before it commits
 * (docs/operations.md, 4). */
int sk__erasure_log(struct sk_core *c, const char *op, const char *contact_id,
		    const uint8_t *key, const char *reason, struct sk_errctx *err);
/* Puts key on the suppression list (and drops its unconfirmed requests) without a log entry:
 * the erasure that calls it has written its own. */
int sk__suppress_key_put(struct sk_core *c, const uint8_t key[SK_HASH_LEN], const char *reason,
			 struct sk_errctx *err);
/* The checks of a copy of a store (migrate's target, a backup to restore), by the code of
 * audit verify and ledger replay --check: vault opens it (the key check value), its ledger
 * chain is whole, ends at want_seq and want_head when want_head is not NULL, and its stored
 * state equals what its ledger replays to. side names the copy in messages ("target",
 * "backup"); in_tx: its reads run in the caller's open write transaction. */
int sk__verify_copy(struct sk_vault *vault, struct sk_store *copy, int in_tx, const char *side,
		    int64_t want_seq, const uint8_t *want_head, struct sk_errctx *err);
/* A digest of every row of every table of s (core/migrate.c), the meta row skip_meta left
 * out; a store error as is. */
int sk__store_digest(struct sk_store *s, const char *skip_meta, uint8_t out[32]);
int sk__suppress_key(struct sk_core *c, const uint8_t key[SK_HASH_LEN], const char *reason,
		     struct sk_errctx *err);
/* Reads request id (lapsed at now counts as gone: NOT_FOUND; one confirmed already is
 * SK_ERR_EXISTS) and opens its sealed JSON. */
int sk__request_open(struct sk_core *c, const char *id, int64_t now, struct sk_request_rec *rec,
		     struct json_t **out, struct sk_errctx *err);
/* Loads the newest policy from the store into c (no-op when none is applied). */
int sk__policy_load(struct sk_core *c, struct sk_errctx *err);
/* How many contacts still hold purpose at now: live consent states (given and not expired,
 * pending, unverified). The one place that decides whether a purpose may be dropped from
 * the policy; pending form requests naming the purpose are to be counted here too. */
int sk__purpose_in_use(struct sk_core *c, const char *purpose, int64_t now, int64_t *outn,
		       struct sk_errctx *err);

/* The gate's rule (gate.c): 1 when a purpose on basis b allows an address that is not
 * suppressed and whose effective status is s. The overview counts by it too. */
int sk__gate_allows(enum sk_basis b, enum sk_status s);

/* ---- stored rows (core works on the store's records inside) ---- */

/* The pure state transition: the state after ev, given the state before (status "unknown"
 * when none). Used by recording and by replay alike, so the two cannot disagree. */
void sk_state_apply(struct sk_state_rec *st, const struct sk_event_rec *ev);
/* Status of a stored state at time now: a given consent past its validity is expired; a
 * stored word that is no status is SK_ST_UNKNOWN. */
enum sk_status sk_state_effective(const struct sk_state_rec *st, int64_t now);

/* ---- the public boundary: records to domain structs (core/domain.c) ---- */

/* A stored status word as an enum: SK_ST_UNKNOWN for "" and for any word that is none of
 * SK_STATUS_LIST. */
enum sk_status sk__status_from_stored(const char *word);
/* The conversions. An event or change whose action, method or type is none of its list is
 * SK_ERR_CORRUPT (out unspecified); *where (may be NULL) then names "table.column". */
int sk__event_from_rec(const struct sk_event_rec *r, struct sk_consent_event *out,
		       const char **where);
void sk__state_from_rec(const struct sk_state_rec *r, struct sk_state *out);
int sk__change_from_rec(const struct sk_change_rec *r, struct sk_change *out,
			const char **where);
/* Relays for the store's walks: pass sk__relay_event (an sk_event_cb) with a struct
 * sk__relay as its arg, and each record reaches fn converted. A corrupt row stops the walk
 * with SK_ERR_CORRUPT and sets where. */
struct sk__relay {
	sk_consent_event_fn event; /* the one that the relay passed calls */
	sk_state_fn state;
	sk_change_fn change;
	void *arg;
	const char *where;    /* set on SK_ERR_CORRUPT by a conversion */
};
int sk__relay_event(void *arg, const struct sk_event_rec *r);
int sk__relay_state(void *arg, const struct sk_state_rec *r);
int sk__relay_change(void *arg, const struct sk_change_rec *r);
/* SK_ERR_CORRUPT recorded in err: while what, the column where holds a word outside its
 * list (the word itself is never repeated). */
int sk__corrupt_word(struct sk_errctx *err, const char *what, const char *where);
/* A walk's failure, recorded in err: a conversion's SK_ERR_CORRUPT names its column
 * (x->where); anything else (the callback's own codes too) as sk__store_err. Returns rc. */
int sk__relay_err(struct sk_errctx *err, int rc, const struct sk__relay *x, const char *what);

/* The parts of sk_forget, for an erasure that commits with something else (the console's,
 * with its audit row: core/person.c): sk__forget_in deletes contact id inside the caller's
 * transaction (*events: its ledger events, which stay); after the commit, sk__forget_done
 * scrubs and fills the receipt. */
int sk__forget_in(struct sk_core *c, const char *id, long *events, struct sk_errctx *err);
int sk__forget_done(struct sk_core *c, const char *id, long events,
		    struct sk_erasure_receipt *receipt, struct sk_errctx *err);
/* Queues a preference-link mail (outbox "preflink:LANG") for the address with key, ref the
 * contact id ("" to be found by the key), within the daily limit; inside the caller's batch
 * (core/prefs.c). */
int sk__pref_queue_link(struct sk_core *c, const uint8_t key[SK_HASH_LEN], const char *ref,
			const char *lang, int64_t now, struct sk_errctx *err);

/* Ties visitor_id (the banner's, handed in by a form submission or its confirmation) to
 * contact_id and carries its answers (core/visitor.c), inside the caller's batch; how
 * names the identification in the evidence. A visitor id that is empty, malformed or
 * unknown ties nothing and is no error (0). */
int sk__visitor_tie(struct sk_core *c, const char *visitor_id, const char *contact_id,
		    const char *how, int64_t now, int *carried, struct sk_errctx *err);
/* sk_visitor_touch inside the caller's transaction (tracking's write: sk_track_record). */
int sk__visitor_touch(struct sk_core *c, const char *visitor_id, int64_t now,
		      struct sk_errctx *err);

/* ---- tracking and lead scoring (issue 16, helper track) ---- */
/* The access export's tracking part: the attached events and the stored score; inside the
 * export's read snapshot. */
int sk__track_export(struct sk_core *c, const char *contact_id, struct sk_access_export *x,
		     struct sk_errctx *err);
/* The gate for a contact by id: its address asked of sk_gate_check. NOT_FOUND (and out
 * denied) for an unknown contact; any other failure denies with reason error. */
int sk__gate_contact(struct sk_core *c, const char *contact_id, const char *purpose,
		     int64_t now, struct sk_gate_result *out, struct sk_errctx *err);
/* Recomputes and stores contact_id's score at now; a change of at least one whole point
 * appends a "score" change. Inside the caller's write transaction. */
int sk__score_update(struct sk_core *c, const char *contact_id, int64_t now,
		     struct sk_errctx *err);
/* A consent of purpose ended for contact_id (withdraw, refuse, expire; core/consent.c):
 * lead_scoring deletes the score and the attached events; ip_tracking truncates the stored
 * addresses of the attached events and clears their companies. Inside the caller's write
 * transaction. */
int sk__track_basis_ended(struct sk_core *c, const char *contact_id, const char *purpose,
			  struct sk_errctx *err);
/* A recipient for the envelope and To (512 bytes): the local part as written, the domain in
 * A-labels (core/outbox.c). */
int sk__outbox_recipient(const char *email, char *out, struct sk_errctx *err);
/* Builds the campaign mail of outbox row m (kind "campaign"): asks the gate again for the
 * recipient at now; a denied one is marked skipped with the reason and SK_ERR_NOT_FOUND is
 * returned (nothing to send). A row already marked sending (claimed before a crash, not
 * known to be sent) is marked failed ("interrupted") and not sent again: at most once. */
int sk__campaign_build(struct sk_core *c, const char *public_url, int64_t now,
		       struct sk_outgoing *out, struct sk_errctx *err);
/* After the attempt of a campaign mail: its send-log row sent, back to queued (a retry), or
 * failed. */
int sk__campaign_done(struct sk_core *c, const char *row_id, int sent, int given_up, int64_t now,
		      struct sk_errctx *err);

#endif
