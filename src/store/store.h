/* store.h: the one storage interface. A backend fills a table of methods (as SQLite's VFS
 * does); sk_store_open(uri, ...) picks the backend by the URI's scheme, and everything else
 * calls it through the sk_store_* wrappers generated below. No type of any database library
 * appears here.
 *
 * The contract: every guarantee core relies on, which a backend must keep (the long form is
 * "The contract" in docs/internals/store.md).
 *
 * 1. Results. Every method returns 0 or an SK_ERR_* code: NOT_FOUND when the single row asked
 *    for is absent; EXISTS when an insert meets a taken key (named per method); BUSY when the
 *    store cannot serve the call now and a later retry may succeed; NOMEM; TOO_LARGE when a
 *    value does not fit the caller's buffer; CORRUPT when a stored value cannot be one that
 *    samtycke wrote (sk_store_corrupt_where names the place); STORAGE for anything else. A
 *    failed call leaves nothing behind that the transaction's rollback would not undo.
 * 2. Handles. A handle is one connection, used by one thread at a time. Any number of handles
 *    (threads, processes, later servers) may be open on one store at once.
 * 3. Transactions. Methods never begin or end a transaction; outside one each call is atomic
 *    and durable on its own. begin(s, 1) starts a write transaction that excludes every other
 *    write transaction on the store, from any handle or process, from begin until commit or
 *    rollback: core reads the ledger head (ledger_last) and appends seq + 1, reads and
 *    rewrites state, so two writers must never interleave. begin waits for the writer before
 *    it (a bounded time, then BUSY); a write that has begun never fails half way for a
 *    concurrent writer. begin(s, 0) starts a read transaction: every read in it sees one
 *    consistent snapshot of committed data. commit returns only once the write is durable (an
 *    acknowledged consent survives a crash or a power loss). rollback undoes everything since
 *    begin and is a harmless 0 when no transaction is open (the backend may have ended it
 *    itself after an error).
 * 4. Order. The ledger and the change feed are numbered 1, 2, 3 ... without gaps, and become
 *    visible in commit order, which is seq order: a rolled-back append leaves no hole, and a
 *    reader that sees seq N sees every seq below N too. A poller that remembers the last seq
 *    it handled and reads "seq > cursor" therefore never skips a row that commits later.
 *    (Writers excluding each other give this; a free-running database sequence does not.)
 * 5. Returned memory. Records are copied into the caller's struct. A pointer inside a record
 *    that a read fills (notice text, idempotency body, webhook secret, request payload, event
 *    evidence) points into the handle and is valid until the next call on the same handle;
 *    inside an iteration callback, until the callback returns. A callback may call other
 *    methods on the same handle but must not start the same iteration again. What the caller
 *    passes in is borrowed for the call only.
 * 6. Erasure. A delete (contact_delete, field_delete, request_delete, ...) makes the rows
 *    unreadable to every reader from its commit on. scrub then makes them unrecoverable: once
 *    it returns 0, no byte of any row deleted before it remains in any file the backend owns
 *    (database, journal or log, temporary files). It answers BUSY at once (not after the
 *    usual wait) when a reader prevents that now; core records the scrub as owed and retries.
 * 7. Texts. A stored text is copied into the fixed field of its record; one that does not fit
 *    (or holds a NUL byte) fails the read with CORRUPT, never cut short.
 * 8. Schema. Opening an older store brings it up to date before open returns; a store made
 *    by a newer samtycke is refused. */
#ifndef SK_STORE_H
#define SK_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "util/str.h"
#include "util/version.h"

#define SK_STORE_VERSION 1

/* The on argument of sk_store_bulk. */
enum { SK_BULK_OFF = 0, SK_BULK_IMPORT = 1, SK_BULK_CHECKPOINT = 2 };

/* The write argument of sk_store_begin. */
enum { SK_TX_READ = 0, SK_TX_WRITE = 1, SK_TX_WRITE_LAZY = 2 };

#define SK_PURPOSE_MAX 64   /* purpose ids: [a-z0-9_], at most 63 chars */
#define SK_HASH_LEN 32
#define SK_FORM_MAX_PURPOSES 40 /* consent boxes and its own purpose on one form */

struct sk_store;
struct sk_errctx;

struct sk_contact_rec {
	char id[SK_ID_LEN + 1];
	uint8_t email_key[SK_HASH_LEN];
	int64_t created_at;
	int64_t updated_at;
};

struct sk_notice_rec {
	char purpose[SK_PURPOSE_MAX];
	int version;
	char lang[8];
	const char *text; /* writes: the caller's; reads: valid until the next store call */
	uint8_t sha256[SK_HASH_LEN];
	int64_t created_at;
};

/* One row of the append-only consent_ledger. On reads the pointers are valid only inside
 * the callback (or until the next store call). */
struct sk_event_rec {
	int64_t seq;
	char id[SK_ID_LEN + 1];
	char contact_id[SK_ID_LEN + 1];
	char purpose[SK_PURPOSE_MAX];
	char action[16];      /* give, refuse, withdraw, confirm, expire */
	int64_t occurred_at;
	int64_t recorded_at;
	char method[32];      /* form, preference_centre, import, api, cli, mail_link, one_click */
	char source[256];
	int notice_version;
	uint8_t notice_sha256[SK_HASH_LEN];
	char lang[8];
	int64_t valid_until;  /* 0: no limit */
	char actor[128];
	int flags;            /* SK_EV_* in core/consent.h */
	const uint8_t *evidence; /* sealed; may be NULL */
	size_t evidence_len;
	uint8_t prev_hash[SK_HASH_LEN];
	uint8_t hash[SK_HASH_LEN];
	/* How hash was computed (docs/internals/core.md, "The hash"): SK_LEDGER_HASH_SHA256 for
	 * events written before migration 7, SK_LEDGER_HASH_BLAKE2B since. 0 on an append means
	 * SK_LEDGER_HASH_CURRENT (sk_ledger_hash reads it the same way); reads give the stored
	 * number, whatever it is, so that the audit can judge it. */
	int hash_version;
};
#define SK_LEDGER_HASH_SHA256 1
#define SK_LEDGER_HASH_BLAKE2B 2
#define SK_LEDGER_HASH_CURRENT SK_LEDGER_HASH_BLAKE2B

/* Current consent state of one (contact, purpose). */
struct sk_state_rec {
	char contact_id[SK_ID_LEN + 1];
	char purpose[SK_PURPOSE_MAX];
	char status[16];      /* pending, given, refused, withdrawn, expired, unverified */
	int64_t seq;          /* ledger seq of the event that set it */
	char event_id[SK_ID_LEN + 1];
	int64_t updated_at;   /* occurred_at of that event */
	int64_t valid_until;  /* 0: no limit */
	int notice_version;
};

/* What the gate needs, read in one go. */
struct sk_gate_rec {
	int suppressed;
	char suppress_reason[32];
	int found;            /* a contact has this email_key */
	char contact_id[SK_ID_LEN + 1];
	int has_state;
	struct sk_state_rec state;
};

struct sk_change_rec {
	int64_t seq;
	char type[32];        /* consent, contact, erased, ... */
	char contact_id[SK_ID_LEN + 1];
	char purpose[SK_PURPOSE_MAX]; /* "" when not about one purpose */
	char status[16];      /* new state for consent changes, "" otherwise */
	int64_t at;
};

/* An API key: the secret itself is never stored, only its hash. */
struct sk_key_rec {
	char id[SK_ID_LEN + 1];
	char name[64];
	char scopes[64];      /* comma-separated: read,write,dsr,admin,metrics */
	uint8_t secret_hash[SK_HASH_LEN];
	int64_t created_at;
	int64_t revoked_at;   /* 0 while active */
};

/* A stored answer to a request made with an Idempotency-Key. */
struct sk_idem_rec {
	char key_id[SK_ID_LEN + 1];   /* the API key that made the request */
	char idem_key[256];
	uint8_t request_hash[SK_HASH_LEN];
	int status;
	const char *body;     /* reads: valid until the next store call */
	int64_t created_at;
};

/* A webhook endpoint and its delivery state (docs/internals/sync.md). The secret is sealed
 * by the vault's system key; cursor is the last change seq dealt with (delivered, filtered
 * out, or given up on). */
struct sk_webhook_rec {
	char id[SK_ID_LEN + 1];
	char name[64];
	char url[1024];
	char events[512];     /* comma-separated event names, or "all" */
	const uint8_t *secret; /* sealed; reads: valid until the next store call */
	size_t secret_len;
	int64_t created_at;
	int enabled;
	int64_t cursor;
	int failures;         /* failed attempts at the change after cursor */
	int64_t first_failure_at; /* 0 when the last attempt succeeded */
	int64_t next_attempt_at;
	int last_status;      /* HTTP status of the last attempt; 0: none or no answer */
	char last_error[256];
	int64_t last_attempt_at;
	int64_t nfailed;      /* changes given up on after the retry period */
	int64_t last_failed_seq;
};

/* An unconfirmed web form submission, held until the person confirms it from their mailbox
 * (docs/forms.md). What it asks for is sealed with the vault's system key; the purposes it
 * names are in clear so that the gate can say pending_confirmation. */
struct sk_request_rec {
	char id[SK_ID_LEN + 1];
	uint8_t email_key[SK_HASH_LEN];
	char purposes[SK_FORM_MAX_PURPOSES * SK_PURPOSE_MAX]; /* comma-separated purpose ids */
	int64_t created_at;
	int64_t expires_at;   /* its link stops working; then the request is deleted */
	const uint8_t *payload; /* sealed; reads: valid until the next store call */
	size_t payload_len;
};

/* A mail in the outbox, written in the same transaction as what it is about and sent by the
 * mail worker (docs/internals/mail.md). It names what to send (kind and ref), never an
 * address or a text: the worker builds the message when it sends. */
struct sk_outbox_rec {
	char id[SK_ID_LEN + 1];
	uint8_t email_key[SK_HASH_LEN]; /* the recipient's, for the per-address limit */
	char kind[16];        /* "confirm": the double opt-in mail of request ref; "preflink:sv" or
			       * "preflink:en": a preference link to contact ref (core/prefs.c) */
	char ref[SK_ID_LEN + 1];
	int64_t created_at;
	int64_t next_attempt_at;
	int attempts;
	int64_t sent_at;      /* 0 until sent */
	int64_t failed_at;    /* 0 unless given up */
	char last_error[256]; /* never an address */
};

/* A mail campaign (core/campaign.c; docs/campaigns.md). What it sends (segment, templates,
 * UTM values) is one JSON document, spec, that only core reads. */
struct sk_campaign_rec {
	char id[SK_ID_LEN + 1];
	char name[128];
	char purpose[SK_PURPOSE_MAX];
	char status[16];      /* "draft", "sending" (being queued), "queued" (all queued) */
	int64_t created_at;
	int64_t updated_at;
	char *spec;           /* campaign_get: owned (sk_free); campaign_each: NULL */
};

/* One row of a campaign's send log: one per (campaign, contact), so that nobody is queued
 * twice. id is the outbox row's ref. Deleted with the contact. */
struct sk_send_rec {
	char id[SK_ID_LEN + 1];
	char campaign_id[SK_ID_LEN + 1];
	char contact_id[SK_ID_LEN + 1];
	char state[16];       /* "queued", "sending", "sent", "skipped", "failed" */
	char reason[32];      /* skipped: the gate's reason; failed: why (never an address) */
	char consent_id[SK_ID_LEN + 1]; /* the ledger event the gate relied on, "" when none */
	char lang[4];
	int64_t queued_at;
	int64_t sent_at;      /* 0 until sent */
};
typedef int (*sk_campaign_cb)(void *arg, const struct sk_campaign_rec *c);
typedef int (*sk_send_cb)(void *arg, const struct sk_send_rec *r);

/* One stored value of a row (rows_each, rows_put): what a column holds, the same on every
 * backend. TEXT and BLOB point at len bytes (a TEXT is not NUL-terminated), valid like a
 * read's pointers (contract 5). */
enum { SK_VALUE_NULL, SK_VALUE_INT, SK_VALUE_TEXT, SK_VALUE_BLOB };
struct sk_value {
	int type;
	int64_t i;            /* SK_VALUE_INT */
	const void *p;        /* SK_VALUE_TEXT, SK_VALUE_BLOB */
	size_t len;
};

/* The tables every backend holds, with the same names and columns, in an order where the
 * rows a row refers to come first (store.c): what samtycke migrate copies. A backend's own
 * bookkeeping (its schema version, leases) is not among them. */
struct sk_store_table {
	const char *name;
	const char *columns;  /* comma-separated, in the order rows_each gives them */
	int ncols;
	const char *order;    /* the columns rows come ordered by (the primary key's, if any) */
};
extern const struct sk_store_table sk_store_tables[];
extern const int sk_store_ntables;
/* The table called name; NULL when there is none (a backend refuses such a name). */
const struct sk_store_table *sk_store_table(const char *name);

/* A staff user of the console (core/staff.c): the password only as its Argon2id hash string
 * (libsodium's crypto_pwhash_str, parameters included). */
struct sk_staff_rec {
	char name[64];
	char role[16];        /* viewer, marketer, dpo, admin */
	char hash[160];       /* crypto_pwhash_str's string (crypto_pwhash_STRBYTES = 128) */
	int64_t created_at;
	int disabled;
	int failed;           /* failed sign-ins in a row */
	int64_t locked_until; /* 0: not locked */
};

/* A console session: only the hash of its secret is stored. */
struct sk_session_rec {
	char id[SK_ID_LEN + 1];
	uint8_t secret_hash[SK_HASH_LEN];
	char staff[64];       /* the user's name, or "" for a key's session */
	char key_id[SK_ID_LEN + 1]; /* the API key that signed in, or "" */
	char who[80];         /* shown and audited: the user's name, or "key:NAME" */
	char role[16];
	int64_t created_at;
	int64_t last_seen;
	int64_t expires_at;   /* the absolute end */
};

/* One row of the staff audit trail (append-only): never personal data. */
struct sk_staff_audit_rec {
	int64_t seq;
	int64_t at;
	char who[80];
	char role[16];
	char action[48];
	char target[128];
	char detail[256];
};

/* A visitor of the web site (the banner, core/visitor.c): contact_id "" when not tied. */
struct sk_visitor_rec {
	char id[SK_ID_LEN + 1];
	char contact_id[SK_ID_LEN + 1];
	int64_t created_at;
	int64_t last_seen_at;
};
#define SK_VISITOR_PAGE_MAX 512   /* a page's URL without its query, NUL included */
#define SK_BANNER_VERSION_LEN 64  /* hex SHA-256 */
/* One banner answer of a visitor, append-only. */
struct sk_visitor_answer_rec {
	int64_t seq;                     /* set by visitor_answer_append */
	char visitor_id[SK_ID_LEN + 1];
	char purpose[64];
	char action[16];                 /* give, refuse, withdraw */
	int64_t at;
	char banner_version[SK_BANNER_VERSION_LEN + 1];
	int notice_version;
	uint8_t notice_sha256[SK_HASH_LEN];
	char lang[8];
	char page[SK_VISITOR_PAGE_MAX];
	char signal[8];                  /* click, gpc */
	char ua_class[16];
};
typedef int (*sk_visitor_cb)(void *arg, const struct sk_visitor_rec *v);
typedef int (*sk_visitor_answer_cb)(void *arg, const struct sk_visitor_answer_rec *a);

/* ---- tracking and lead scoring (issue 16; core/track.c, core/score.c) ---- */

/* Limits of what a tracking event stores (longer values are refused by core). */
#define SK_TRACK_NAME_MAX 100
#define SK_TRACK_URL_MAX 2000
#define SK_TRACK_UTM_MAX 200
#define SK_TRACK_REF_MAX 63     /* a visitor's or a campaign's id */
#define SK_COMPANY_MAX 200
#define SK_IP_TEXT_MAX 46       /* INET6_ADDRSTRLEN */
enum { SK_UTM_SOURCE, SK_UTM_MEDIUM, SK_UTM_CAMPAIGN, SK_UTM_TERM, SK_UTM_CONTENT, SK_NUTM };

/* One tracking event as stored. contact_id is "" unless the event is attached to a person
 * (lead_scoring given); ip is as stored (truncated unless ip_tracking was given); company
 * "" when none was looked up. */
struct sk_track_rec {
	char id[SK_ID_LEN + 1];
	int64_t at;
	char type[16];
	char name[SK_TRACK_NAME_MAX + 1];
	char url[SK_TRACK_URL_MAX + 1];
	char utm[SK_NUTM][SK_TRACK_UTM_MAX + 1];
	char visitor_id[SK_TRACK_REF_MAX + 1];
	char contact_id[SK_ID_LEN + 1];
	char campaign_id[SK_TRACK_REF_MAX + 1];
	char ip[SK_IP_TEXT_MAX + 1];
	char company[SK_COMPANY_MAX + 1];
};
typedef int (*sk_track_cb)(void *arg, const struct sk_track_rec *e);

/* A contact's stored score: whole points as last computed (for change detection), when,
 * from how many attached events, and the newest event's time. */
struct sk_score_rec {
	char contact_id[SK_ID_LEN + 1];
	int64_t score;
	int64_t computed_at;
	int64_t nevents;
	int64_t last_at;
};
typedef int (*sk_score_cb)(void *arg, const struct sk_score_rec *r);

/* An address in the company ranges: 16 bytes, big-endian, IPv4 mapped (::ffff:a.b.c.d), so
 * that bytewise order is numeric order on both backends. */
#define SK_IPKEY_LEN 16

/* Iteration callbacks: return 0 to go on; anything else stops and is returned. */
typedef int (*sk_row_cb)(void *arg, const struct sk_value *row, int ncols);
typedef int (*sk_field_cb)(void *arg, const char *name, const uint8_t *sealed, size_t len);
typedef int (*sk_event_cb)(void *arg, const struct sk_event_rec *ev);
typedef int (*sk_state_cb)(void *arg, const struct sk_state_rec *st);
/* A state with the email_key it is stored under (SK_HASH_LEN bytes). */
typedef int (*sk_state_key_cb)(void *arg, const struct sk_state_rec *st, const uint8_t *email_key);
typedef int (*sk_change_cb)(void *arg, const struct sk_change_rec *ch);
typedef int (*sk_key_cb)(void *arg, const struct sk_key_rec *k);
typedef int (*sk_contact_cb)(void *arg, const struct sk_contact_rec *c);
typedef int (*sk_webhook_cb)(void *arg, const struct sk_webhook_rec *w);
/* One group of an aggregate (the *_tally methods): its keys, as each method says, and the
 * number of rows in it; a key a method does not use is "" or 0. Counts only: never a row
 * about one person. */
struct sk_tally_rec {
	char a[SK_PURPOSE_MAX]; /* a purpose id, an action, a suppression reason */
	char b[16];             /* a status */
	int64_t x, y;
	int64_t min;            /* outbox_tally only */
	int64_t count;
};
typedef int (*sk_tally_cb)(void *arg, const struct sk_tally_rec *t);
/* A rectification: when, who, which fields (comma-separated names, never values). */
typedef int (*sk_rectification_cb)(void *arg, int64_t at, const char *actor, const char *fields);
typedef int (*sk_staff_cb)(void *arg, const struct sk_staff_rec *u);
typedef int (*sk_staff_audit_cb)(void *arg, const struct sk_staff_audit_rec *a);

/* The methods, once: X(name, (parameters), (arguments)). The first parameter is always
 * struct sk_store *s. From this list come the method table, the sk_store_* wrappers and the
 * fault-injecting backend. */
#define SK_STORE_METHOD_LIST(X)                                                              \
	/* Transactions (contract 3). write != 0: a write transaction that excludes every   */ \
	/* other writer until commit or rollback; 0: a read snapshot. rollback with none open */ \
	/* is 0. commit returns once the write is durable; with write == SK_TX_WRITE_LAZY it  */ \
	/* may return before: a crash can then lose that transaction, whole (never a part of */ \
	/* it, never an earlier one). */                                                        \
	X(begin, (struct sk_store * s, int write), (s, write))                                  \
	X(commit, (struct sk_store * s), (s))                                                   \
	X(rollback, (struct sk_store * s), (s))                                                 \
	/* Small settings (schema facts, key check value). NOT_FOUND when unset. */           \
	X(meta_get, (struct sk_store * s, const char *key, char *out, size_t outlen),           \
	  (s, key, out, outlen))                                                                \
	X(meta_set, (struct sk_store * s, const char *key, const char *value), (s, key, value)) \
	/* The policy file as applied, one row per apply; version counts from 1. */           \
	X(policy_put, (struct sk_store * s, int64_t at, const char *text, size_t len, int *outversion), \
	  (s, at, text, len, outversion))                                                      \
	/* Latest policy; *outtext is allocated with sk_malloc, the caller frees it. */       \
	X(policy_get, (struct sk_store * s, char **outtext, size_t *outlen, int *outversion, int64_t *outat), \
	  (s, outtext, outlen, outversion, outat))                                             \
	X(notice_put, (struct sk_store * s, const struct sk_notice_rec *n), (s, n))             \
	/* version 0: the newest version of that purpose and language. */                     \
	X(notice_get, (struct sk_store * s, const char *purpose, int version, const char *lang, \
		       struct sk_notice_rec *out), (s, purpose, version, lang, out))           \
	/* Highest version of a purpose's notice (any language); 0 when none. */              \
	X(notice_latest, (struct sk_store * s, const char *purpose, int *outversion),          \
	  (s, purpose, outversion))                                                            \
	X(contact_insert, (struct sk_store * s, const struct sk_contact_rec *c), (s, c))        \
	X(contact_by_key, (struct sk_store * s, const uint8_t *email_key, struct sk_contact_rec *out), \
	  (s, email_key, out))                                                                 \
	X(contact_by_id, (struct sk_store * s, const char *id, struct sk_contact_rec *out),     \
	  (s, id, out))                                                                        \
	X(contact_touch, (struct sk_store * s, const char *id, int64_t at), (s, id, at))        \
	/* The contact's data key, wrapped by the master key. */                              \
	X(datakey_put, (struct sk_store * s, const char *id, const uint8_t *wrapped, size_t len), \
	  (s, id, wrapped, len))                                                               \
	X(datakey_get, (struct sk_store * s, const char *id, uint8_t *out, size_t cap, size_t *outlen), \
	  (s, id, out, cap, outlen))                                                           \
	/* Sealed personal fields; put replaces a field of the same name. */                  \
	X(field_put, (struct sk_store * s, const char *id, const char *name, const uint8_t *sealed, \
		      size_t len), (s, id, name, sealed, len))                                  \
	X(field_each, (struct sk_store * s, const char *id, sk_field_cb cb, void *arg),         \
	  (s, id, cb, arg))                                                                    \
	/* The ledger. append inserts ev as given (seq included); EXISTS on a taken seq. Core */ \
	/* appends ledger_last + 1 inside a write transaction: gap-free (contract 4). */       \
	X(ledger_append, (struct sk_store * s, const struct sk_event_rec *ev), (s, ev))         \
	/* seq and hash of the newest event; seq 0 and a zero hash when empty. */             \
	X(ledger_last, (struct sk_store * s, int64_t *outseq, uint8_t *outhash),                \
	  (s, outseq, outhash))                                                                \
	/* Events in seq order; contact_id NULL for all contacts; seq > after. */             \
	X(ledger_each, (struct sk_store * s, const char *contact_id, int64_t after, sk_event_cb cb, \
			void *arg), (s, contact_id, after, cb, arg))                            \
	X(state_put, (struct sk_store * s, const struct sk_state_rec *st), (s, st))             \
	X(state_get, (struct sk_store * s, const char *contact_id, const char *purpose,         \
		      struct sk_state_rec *out), (s, contact_id, purpose, out))                 \
	/* contact_id NULL for every state, ordered by contact then purpose. */               \
	X(state_each, (struct sk_store * s, const char *contact_id, sk_state_cb cb, void *arg), \
	  (s, contact_id, cb, arg))                                                            \
	X(state_clear, (struct sk_store * s), (s))                                              \
	X(suppression_put, (struct sk_store * s, const uint8_t *email_key, const char *reason,  \
			    int64_t at), (s, email_key, reason, at))                             \
	/* One lookup for the gate: suppression, contact and state of one purpose. */         \
	X(gate_lookup, (struct sk_store * s, const uint8_t *email_key, const char *purpose,     \
			struct sk_gate_rec *out), (s, email_key, purpose, out))                   \
	/* The change feed: append sets ch->seq to the newest seq + 1 (gap-free, visible in */ \
	/* commit order: contract 4); each: seq > after, in seq order, at most limit (<= 0: all). */ \
	X(change_append, (struct sk_store * s, struct sk_change_rec *ch), (s, ch))              \
	X(change_each, (struct sk_store * s, int64_t after, long limit, sk_change_cb cb, void *arg), \
	  (s, after, limit, cb, arg))                                                          \
	/* One ledger event by its id, handed to cb; NOT_FOUND when absent. */                \
	X(ledger_get, (struct sk_store * s, const char *event_id, sk_event_cb cb, void *arg),  \
	  (s, event_id, cb, arg))                                                              \
	/* API keys. put fails with EXISTS when an active key has the name. */                \
	X(key_put, (struct sk_store * s, const struct sk_key_rec *k), (s, k))                   \
	X(key_get, (struct sk_store * s, const char *id, struct sk_key_rec *out), (s, id, out)) \
	X(key_each, (struct sk_store * s, sk_key_cb cb, void *arg), (s, cb, arg))               \
	/* Revokes the active key of that name; NOT_FOUND when there is none. */              \
	X(key_revoke, (struct sk_store * s, const char *name, int64_t at), (s, name, at))       \
	/* Idempotency: the stored answer for (API key, Idempotency-Key); NOT_FOUND. */       \
	X(idem_get, (struct sk_store * s, const char *key_id, const char *idem_key,             \
		     struct sk_idem_rec *out), (s, key_id, idem_key, out))                      \
	X(idem_put, (struct sk_store * s, const struct sk_idem_rec *r), (s, r))                 \
	X(idem_purge, (struct sk_store * s, int64_t before), (s, before))                       \
	/* Deletes a contact with its fields, data key and states; the ledger stays. */       \
	X(contact_delete, (struct sk_store * s, const char *id), (s, id))                       \
	/* After deleting personal data, outside a transaction: once it returns 0, no byte of */ \
	/* a deleted row remains in any file the backend owns; BUSY at once when a reader     */ \
	/* prevents that now (contract 6). */                                                 \
	X(scrub, (struct sk_store * s), (s))                                                    \
	/* Contacts in id order with id > after ("" for the start), at most limit. */         \
	X(contact_each, (struct sk_store * s, const char *after, long limit, sk_contact_cb cb,  \
			 void *arg), (s, after, limit, cb, arg))                                \
	X(field_delete, (struct sk_store * s, const char *id, const char *name), (s, id, name)) \
	X(suppression_delete, (struct sk_store * s, const uint8_t *email_key), (s, email_key))  \
	X(rectification_put, (struct sk_store * s, const char *id, int64_t at, const char *actor, \
			      const char *fields), (s, id, at, actor, fields))                  \
	X(rectification_each, (struct sk_store * s, const char *id, sk_rectification_cb cb,     \
			       void *arg), (s, id, cb, arg))                                      \
	/* Webhook endpoints. put inserts (EXISTS on a taken id); state writes the delivery */ \
	/* state (enabled, cursor, failures ...) and is 0 when the endpoint is gone. */        \
	X(webhook_put, (struct sk_store * s, const struct sk_webhook_rec *w), (s, w))           \
	X(webhook_get, (struct sk_store * s, const char *id, struct sk_webhook_rec *out),       \
	  (s, id, out))                                                                        \
	X(webhook_each, (struct sk_store * s, sk_webhook_cb cb, void *arg), (s, cb, arg))       \
	X(webhook_delete, (struct sk_store * s, const char *id), (s, id))                       \
	X(webhook_state, (struct sk_store * s, const struct sk_webhook_rec *w), (s, w))          \
	/* The newest change's seq; 0 when the feed is empty. */                              \
	X(change_last, (struct sk_store * s, int64_t *outseq), (s, outseq))                   \
	/* Unconfirmed form submissions; get: NOT_FOUND when absent. */                      \
	X(request_put, (struct sk_store * s, const struct sk_request_rec *r), (s, r))          \
	X(request_get, (struct sk_store * s, const char *id, struct sk_request_rec *out),      \
	  (s, id, out))                                                                        \
	X(request_delete, (struct sk_store * s, const char *id), (s, id))                       \
	/* Erasure: every request and outbox mail of an address. */                           \
	X(request_delete_key, (struct sk_store * s, const uint8_t *email_key), (s, email_key)) \
	/* Deletes the requests whose link expired at or before now, with their unsent mail. */ \
	X(request_expire, (struct sk_store * s, int64_t now, long *outn), (s, now, outn))      \
	/* *out = 1 when an unexpired request of the address names purpose. */                \
	X(request_pending, (struct sk_store * s, const uint8_t *email_key, const char *purpose, \
			    int64_t now, int *out), (s, email_key, purpose, now, out))            \
	/* The mail outbox. next: the oldest mail due at now (NOT_FOUND when none). */         \
	X(outbox_put, (struct sk_store * s, const struct sk_outbox_rec *m), (s, m))            \
	X(outbox_next, (struct sk_store * s, int64_t now, struct sk_outbox_rec *out),          \
	  (s, now, out))                                                                       \
	X(outbox_state, (struct sk_store * s, const struct sk_outbox_rec *m), (s, m))          \
	/* Mails to an address queued since (sent, waiting or failed). */                     \
	X(outbox_count, (struct sk_store * s, const uint8_t *email_key, int64_t since,          \
			 long *outn), (s, email_key, since, outn))                              \
	/* Deletes sent or failed mails created before. */                                    \
	X(outbox_purge, (struct sk_store * s, int64_t before), (s, before))                    \
	/* Gives a contact and its consent states another email_key (a new canonical form */  \
	/* version); EXISTS when another contact has that key; inside the caller's write. */  \
	X(contact_rekey, (struct sk_store * s, const char *id, const uint8_t *email_key),       \
	  (s, id, email_key))                                                                  \
	/* How many contacts hold a live consent state for purpose at now: given and not yet */ \
	/* past valid_until, pending, or unverified (policy apply refuses to drop these). */   \
	X(state_count_live, (struct sk_store * s, const char *purpose, int64_t now,           \
			     int64_t *outcount), (s, purpose, now, outcount))                      \
	/* How many unexpired form requests name purpose. */                                  \
	X(request_count, (struct sk_store * s, const char *purpose, int64_t now,              \
			  int64_t *outcount), (s, purpose, now, outcount))                       \
	/* Bulk mode, outside a transaction: on = SK_BULK_IMPORT (a long run of large */        \
	/* transactions) moves the WAL checkpoint off the commit path (the SQLite backend runs */ \
	/* it on a second thread and connection) and grows the page cache for large batches; */ \
	/* SK_BULK_CHECKPOINT (a server's writer of many small transactions) moves the */        \
	/* checkpoint only; SK_BULK_OFF stops either and checkpoints once. Asking for a mode */   \
	/* while one is on keeps the one that is on. */                                          \
	X(bulk, (struct sk_store * s, int on), (s, on))                                        \
	/* The pending states last written before `before`, ordered by contact then purpose; */ \
	/* reads only those (an index of pending states), never every state. */              \
	X(state_pending_each, (struct sk_store * s, int64_t before, sk_state_cb cb, void *arg), \
	  (s, before, cb, arg))                                                               \
	/* The states of purpose stored as 'given' whose key is not suppressed, of contacts */ \
	/* with id > after ("" for the start), in contact id order, at most limit (<= 0: all), */ \
	/* each with the email_key it is stored under. */                                     \
	X(state_given_each, (struct sk_store * s, const char *purpose, const char *after,     \
			     long limit, sk_state_key_cb cb, void *arg), (s, purpose, after, limit, cb, arg)) \
	/* Every event ordered by contact, then seq (streaming replay: one contact at a time). */ \
	X(ledger_each_by_contact, (struct sk_store * s, sk_event_cb cb, void *arg), (s, cb, arg)) \
	/* States after (after_contact, after_purpose) in (contact, purpose) order ("", "" for */ \
	/* the start), at most limit (<= 0: all). */                                          \
	X(state_page, (struct sk_store * s, const char *after_contact, const char *after_purpose, \
		       long limit, sk_state_cb cb, void *arg),                                  \
	  (s, after_contact, after_purpose, limit, cb, arg))                                   \
	/* For a long-running process with a handle per thread (serve): the handle's memory */ \
	/* stays its page cache whatever the size of the data. The SQLite backend stops */      \
	/* mapping the file (reads go through pread into the bounded page cache), so the */     \
	/* mapped pages of a large file do not pile up in each thread's share of RSS. */        \
	X(bound_memory, (struct sk_store * s), (s))                                        \
	/* The one savepoint of a write transaction (group commit, docs/internals/ */        \
	/* group-commit.md): op SK_SAVEPOINT_SET sets it, SK_SAVEPOINT_RELEASE keeps what */   \
	/* came since, SK_SAVEPOINT_UNDO undoes it (and forgets every read the backend cached */ \
	/* in the transaction) and releases it; the transaction stays open. */                \
	X(savepoint, (struct sk_store * s, int op), (s, op))                                \
	/* Moving a store between backends (samtycke migrate, docs/internals/store.md): */   \
	/* every row of table (a name in sk_store_tables) as stored, one callback per row */  \
	/* with the table's columns in its order, the rows in primary-key order. */          \
	X(rows_each, (struct sk_store * s, const char *table, sk_row_cb cb, void *arg),      \
	  (s, table, cb, arg))                                                                 \
	/* Inserts one such row as given (its ncols values); EXISTS on a taken key. */       \
	X(rows_put, (struct sk_store * s, const char *table, const struct sk_value *row),    \
	  (s, table, row))                                                                     \
	/* A lease: work that must run in one place at a time (a webhook endpoint's delivery, */ \
	/* the mail worker) when several servers share one store. take: *got = 1 when lease */ \
	/* name was free, had expired (its until <= now_ms) or is holder's already; it is    */ \
	/* then holder's until until_ms (a renewal when it was). Otherwise *got = 0 and        */ \
	/* nothing changes. Atomic on its own, outside a transaction (contract 3). release:  */ \
	/* frees it when holder has it, 0 either way. Times are Unix milliseconds. */          \
	X(lease_take, (struct sk_store * s, const char *name, const char *holder,            \
		       int64_t now_ms, int64_t until_ms, int *got),                              \
	  (s, name, holder, now_ms, until_ms, got))                                           \
	X(lease_release, (struct sk_store * s, const char *name, const char *holder),        \
	  (s, name, holder))                                                                   \
	/* Who holds lease name (several servers, docs/internals/serve.md): its holder into */ \
	/* holder (SK_LEASE_HOLDER_MAX bytes, cut) and its expiry (Unix ms) into *until_ms,  */ \
	/* expired or not; SK_ERR_NOT_FOUND when no row has that name. Reads only. */           \
	X(lease_get, (struct sk_store * s, const char *name, char *holder, int64_t *until_ms), \
	  (s, name, holder, until_ms))                                                         \
	/* Staff users of the console (core/staff.c). put: EXISTS on a taken name; update */  \
	/* writes role, hash, disabled, failed and locked_until (NOT_FOUND when absent); */    \
	/* each: by name. */                                                                   \
	X(staff_put, (struct sk_store * s, const struct sk_staff_rec *u), (s, u))              \
	X(staff_get, (struct sk_store * s, const char *name, struct sk_staff_rec *out),        \
	  (s, name, out))                                                                      \
	X(staff_update, (struct sk_store * s, const struct sk_staff_rec *u), (s, u))           \
	X(staff_each, (struct sk_store * s, sk_staff_cb cb, void *arg), (s, cb, arg))          \
	/* Console sessions. get: NOT_FOUND when absent; touch sets last_seen; delete is 0 */  \
	/* whether or not it was there; purge deletes those whose expires_at <= now. */       \
	X(session_put, (struct sk_store * s, const struct sk_session_rec *ss), (s, ss))        \
	X(session_get, (struct sk_store * s, const char *id, struct sk_session_rec *out),      \
	  (s, id, out))                                                                        \
	X(session_touch, (struct sk_store * s, const char *id, int64_t at), (s, id, at))       \
	X(session_delete, (struct sk_store * s, const char *id), (s, id))                      \
	X(session_purge, (struct sk_store * s, int64_t now), (s, now))                         \
	/* The staff audit trail, append-only: append sets a->seq to the newest + 1 (inside */ \
	/* a write transaction); each: seq < before (before <= 0: from the newest), newest */ \
	/* first, at most limit (<= 0: all). */                                                \
	X(staff_audit_append, (struct sk_store * s, struct sk_staff_audit_rec * a), (s, a))    \
	X(staff_audit_each, (struct sk_store * s, int64_t before, long limit,                 \
			     sk_staff_audit_cb cb, void *arg), (s, before, limit, cb, arg))          \
	/* Replaces webhook endpoint id's sealed secret (a rotation from the console); its   */ \
	/* delivery state is left as it is. SK_ERR_NOT_FOUND for an unknown id. */             \
	X(webhook_secret_set, (struct sk_store * s, const char *id, const uint8_t *secret,    \
			       size_t secret_len),                                             \
	  (s, id, secret, secret_len))                                                         \
	/* ---- the console's overview (core/overview.c): counts, never rows of people ---- */ \
	/* The consent states grouped by purpose (a), status as stored (b), x = 1 when */      \
	/* valid_until is set and <= now, else 0, y = 1 when the state's email_key is on the */ \
	/* suppression list, else 0; count of each group; in (a, b, x, y) order. */            \
	X(state_tally, (struct sk_store * s, int64_t now, sk_tally_cb cb, void *arg),          \
	  (s, now, cb, arg))                                                                   \
	/* The ledger events that occurred at or after since, grouped by action (a), x = */    \
	/* (occurred_at - since) / width (width > 0), y = flags; in (a, x, y) order. */        \
	X(ledger_tally, (struct sk_store * s, int64_t since, int64_t width, sk_tally_cb cb,    \
			 void *arg), (s, since, width, cb, arg))                                \
	/* The suppression list grouped by reason (a), in reason order. */                     \
	X(suppression_tally, (struct sk_store * s, sk_tally_cb cb, void *arg), (s, cb, arg))   \
	/* The mail outbox grouped by x = 1 when sent, y = 1 when given up; min = the oldest */ \
	/* created_at of the group; in (x, y) order. */                                         \
	X(outbox_tally, (struct sk_store * s, sk_tally_cb cb, void *arg), (s, cb, arg))        \
	/* Deletes every console session of staff user staff (not a key's: staff != ""); 0   */ \
	/* whether or not there were any. A password change and a disable (core/staff.c). */   \
	X(session_delete_staff, (struct sk_store * s, const char *staff), (s, staff))          \
	/* ---- visitors of the banner (issue 16, helper visitor; docs/banner.md) ---- */      \
	/* put inserts the visitor, or (same id) sets its contact_id and last_seen_at. A    */ \
	/* visitor tied to a contact goes with its contact_delete. */                           \
	X(visitor_put, (struct sk_store * s, const struct sk_visitor_rec *v), (s, v))          \
	X(visitor_get, (struct sk_store * s, const char *id, struct sk_visitor_rec *out),      \
	  (s, id, out))                                                                        \
	/* The visitors tied to contact_id, by id. */                                          \
	X(visitor_each_by_contact, (struct sk_store * s, const char *contact_id,               \
				    sk_visitor_cb cb, void *arg), (s, contact_id, cb, arg))      \
	/* Appends an answer (a->seq is set); answers are never changed. */                    \
	X(visitor_answer_append, (struct sk_store * s, struct sk_visitor_answer_rec * a), (s, a)) \
	/* A visitor's answers in the order they were recorded. */                             \
	X(visitor_answer_each, (struct sk_store * s, const char *visitor_id,                   \
				sk_visitor_answer_cb cb, void *arg), (s, visitor_id, cb, arg))   \
	/* Deletes the visitors never tied to a contact and not seen since before, with */     \
	/* their answers; *outcount (may be NULL) how many visitors went. */                   \
	X(visitor_purge, (struct sk_store * s, int64_t before, int64_t *outcount),             \
	  (s, before, outcount))                                                               \
	/* ---- tracking and lead scoring (issue 16, helper track; docs/tracking.md) ---- */   \
	/* Inserts a tracking event (e->contact_id "" stores none). */                         \
	X(track_put, (struct sk_store * s, const struct sk_track_rec *e), (s, e))              \
	/* The events attached to contact_id or, when contact_id is NULL, those of visitor_id, */ \
	/* in (at, id) order. */                                                                \
	X(track_each, (struct sk_store * s, const char *contact_id, const char *visitor_id,    \
		       sk_track_cb cb, void *arg), (s, contact_id, visitor_id, cb, arg))         \
	/* Rewrites one event's address and company (ip_tracking withdrawn). */               \
	X(track_ip_set, (struct sk_store * s, const char *id, const char *ip,                  \
			 const char *company), (s, id, ip, company))                             \
	/* Deletes the events attached to contact_id, those of the visitors tied to it, and */ \
	/* its score (lead_scoring withdrawn). */                                               \
	X(track_forget, (struct sk_store * s, const char *contact_id), (s, contact_id))       \
	/* Deletes the events that happened before before; *outn how many. */                 \
	X(track_purge, (struct sk_store * s, int64_t before, long *outn), (s, before, outn))   \
	/* The company ranges (SK_IPKEY_LEN-byte keys, start <= end): clear empties them. */   \
	X(company_clear, (struct sk_store * s), (s))                                           \
	X(company_put, (struct sk_store * s, const uint8_t *start, const uint8_t *end,         \
			const char *name), (s, start, end, name))                                 \
	/* The company of the narrowest range holding addr; NOT_FOUND when none. */           \
	X(company_find, (struct sk_store * s, const uint8_t *addr, char *out, size_t outlen),  \
	  (s, addr, out, outlen))                                                              \
	/* A contact's stored score: put replaces it; get NOT_FOUND when none. */              \
	X(score_put, (struct sk_store * s, const struct sk_score_rec *r), (s, r))              \
	X(score_get, (struct sk_store * s, const char *contact_id, struct sk_score_rec *out),  \
	  (s, contact_id, out))                                                         \
	/* ---- campaigns (issue 16, helper campaign; docs/campaigns.md) ---- */               \
	/* put: inserts, or for an id already stored updates its status and updated_at. */    \
	X(campaign_put, (struct sk_store * s, const struct sk_campaign_rec *c), (s, c))        \
	X(campaign_get, (struct sk_store * s, const char *id, struct sk_campaign_rec *out),    \
	  (s, id, out))                                                                        \
	/* every campaign, newest first (spec NULL) */                                        \
	X(campaign_each, (struct sk_store * s, sk_campaign_cb cb, void *arg), (s, cb, arg))    \
	/* a send-log row; EXISTS when (campaign_id, contact_id) already has one */           \
	X(send_put, (struct sk_store * s, const struct sk_send_rec *r), (s, r))                \
	X(send_get, (struct sk_store * s, const char *id, struct sk_send_rec *out), (s, id, out)) \
	/* sets state, reason, consent_id and sent_at of row r->id */                          \
	X(send_state, (struct sk_store * s, const struct sk_send_rec *r), (s, r))              \
	/* one campaign's send log grouped by state (b) and reason (a), in (b, a) order */    \
	X(send_tally, (struct sk_store * s, const char *campaign_id, sk_tally_cb cb, void *arg), \
	  (s, campaign_id, cb, arg))                                                           \
	/* one contact's send log, oldest first (the access export) */                         \
	X(send_each_contact, (struct sk_store * s, const char *contact_id, sk_send_cb cb,      \
			      void *arg), (s, contact_id, cb, arg))                              \
	/* ---- the consent sweep of the retention purge (issue 16, helper fixsec16) ---- */    \
	/* Every stored score (contact_id and score set), by contact id. */                    \
	X(score_each, (struct sk_store * s, sk_score_cb cb, void *arg), (s, cb, arg))           \
	/* Every event that keeps an address or is attached to a contact, in (at, id) order. */ \
	X(track_sweep_each, (struct sk_store * s, sk_track_cb cb, void *arg), (s, cb, arg))    \
	/* How many events of visitor_id happened at or after since (the per-visitor cap). */  \
	X(track_count_visitor, (struct sk_store * s, const char *visitor_id, int64_t since,    \
				int64_t *outn), (s, visitor_id, since, outn))                      \
	/* ---- operations (issue 17, helper metrics; docs/operations.md) ---- */             \
	/* The database's size in bytes: SQLite page_count * page_size (the main file, not   */ \
	/* its WAL), PostgreSQL pg_database_size of the current database. GET /metrics.      */ \
	X(db_size, (struct sk_store * s, int64_t *outbytes), (s, outbytes))                    \
	/* ---- key rotation (issue 17, helper keyrot) ---- */                                 \
	/* Replaces what the master key seals of row id: kind SK_SEALED_DATAKEY the wrapped   */ \
	/* data key of contact id, SK_SEALED_WEBHOOK a webhook's sealed secret,                */ \
	/* SK_SEALED_REQUEST a form request's sealed payload. NOT_FOUND when no such row.      */ \
	X(sealed_replace, (struct sk_store * s, int kind, const char *id, const uint8_t *blob, \
			   size_t len), (s, kind, id, blob, len))  \
	/* ---- backup and restore (issue 17, helper backup; docs/operations.md, 4) ---- */    \
	/* Copies the whole store, one snapshot read in one read transaction (writers go on), */ \
	/* into the new file path (made 0600; EXISTS when there is one), records in the copy's */ \
	/* meta taken_at_ms and its ledger head (SK_META_BACKUP_*), and syncs it; *outseq */   \
	/* and outhead get that head (0 and zeros for an empty ledger). USAGE on a backend */  \
	/* whose backups are made with its own tools (PostgreSQL: pg_dump). */                \
	X(backup_to, (struct sk_store * s, const char *path, int64_t taken_at_ms,            \
		      int64_t *outseq, uint8_t *outhead), (s, path, taken_at_ms, outseq, outhead)) \
	/* Replaces every page of the store with those of the SQLite file path (a backup */   \
	/* made by backup_to), as one write that other connections see whole or not at all; */ \
	/* outside a transaction. USAGE on PostgreSQL (pg_restore). */                        \
	X(restore_from, (struct sk_store * s, const char *path), (s, path))                   \
	/* How many leases are held at now_ms (until > now_ms): a server looks live. */       \
	X(lease_live, (struct sk_store * s, int64_t now_ms, int64_t *outn), (s, now_ms, outn))

/* The room for a lease holder's id ("host:pid:random"), its NUL included. */
#define SK_LEASE_HOLDER_MAX 128

enum { SK_SAVEPOINT_SET, SK_SAVEPOINT_RELEASE, SK_SAVEPOINT_UNDO };
/* What sealed_replace replaces. */
enum { SK_SEALED_DATAKEY, SK_SEALED_WEBHOOK, SK_SEALED_REQUEST };

struct sk_store_methods {
	int version;
	const char *name;
	void (*close)(struct sk_store *s);
#define SK__STORE_FIELD(name, params, args) int(*name) params;
	SK_STORE_METHOD_LIST(SK__STORE_FIELD)
#undef SK__STORE_FIELD
};

/* Every backend's handle starts with this. */
struct sk_store {
	const struct sk_store_methods *m;
};

/* The wrappers: sk_store_begin(s, 1), sk_store_ledger_append(s, &ev), ... */
#define SK__STORE_WRAPPER_DECL(name, params, args) int sk_store_##name params;
SK_STORE_METHOD_LIST(SK__STORE_WRAPPER_DECL)
#undef SK__STORE_WRAPPER_DECL

/* Closes and frees; NULL is a no-op. */
void sk_store_close(struct sk_store *s);

/* Where the last SK_ERR_CORRUPT on this thread was found, as "table.column" (a stored text
 * longer than its field); "" when none. Names a place, never a value. */
const char *sk_store_corrupt_where(void);

/* Opens the store that uri names, the backend chosen by the scheme (as SQLite finds a VFS
 * by name; the table is in store.c):
 *   sqlite:PATH          the SQLite database file PATH, as written (relative or absolute)
 *   sqlite:///ABS/PATH   the same for an absolute path (RFC 8089 style: an empty host)
 *   PATH                 a plain path, no "scheme:" before its first '/': sqlite:PATH
 *   postgresql://, postgres://   PostgreSQL (pg.c): the whole URI goes to libpq; the database
 *                                must exist (init makes the schema in it)
 * Schemes are case-insensitive; a sqlite URI has no percent-decoding and no query part.
 * create != 0: the store must not exist yet (EXISTS) and is created and migrated; otherwise it
 * must exist and be initialised (NOT_INITIALISED). An empty URI, an unknown scheme, a
 * sqlite URI without a path, or a postgresql URI that libpq cannot parse fails with
 * SK_ERR_USAGE; the message names the scheme, never the rest of the URI (a server URI may
 * hold a password). */
int sk_store_open(const char *uri, int create, struct sk_store **out, struct sk_errctx *err);
/* sk_store_open of an existing store for a thread of a long-running process (the server's
 * threads, its mail worker and webhook delivery), with bound_memory set. */
int sk_store_open_resident(const char *uri, struct sk_store **out, struct sk_errctx *err);

/* The local file that uri's store keeps its data in (the path of a sqlite URI, or a plain
 * path), pointing into uri; NULL when the store is no local file or uri is not valid. For
 * names derived from it (the default key file) and for removing a failed init. */
const char *sk_store_uri_file(const char *uri);

/* The meta rows backup_to writes into a copy: when it was taken (Unix ms), the ledger's
 * last sequence number and the hex of its hash at that moment. */
#define SK_META_BACKUP_AT "backup_taken_at_ms"
#define SK_META_BACKUP_SEQ "backup_ledger_seq"
#define SK_META_BACKUP_HEAD "backup_ledger_head"
/* The keyed MAC samtycke backup stores in its copy (hex; core/backup.c): over every row of
 * every table, this row left out. */
#define SK_META_BACKUP_MAC "backup_mac"

/* For an untrusted SQLite file (a backup being restored), s opened with sk_store_open: its
 * sqlite_schema (every table, index, trigger and view: type, name, table, sql) must be the one
 * this binary's migrations make in a new database; SK_ERR_CORRUPT naming the first object
 * that differs, SK_ERR_USAGE for a store that is no SQLite file. (Every SQLite store
 * is opened with SQLITE_DBCONFIG_DEFENSIVE and trusted_schema OFF.) */
int sk_store_schema_check(struct sk_store *s, struct sk_errctx *err);

/* Copies the SQLite store file from (opened read-only, never changed) into the new file to
 * (0600; EXISTS when it exists), one snapshot, synced. The restore checks this copy, so that
 * the bytes it checked are the bytes it restores. IO when from is missing or no SQLite
 * file. */
int sk_store_file_copy(const char *from, const char *to, struct sk_errctx *err);
/* Renames the finished file tmp to path, syncing the directory: with replace 0 an existing
 * path is refused (EXISTS, tmp left for the caller to remove). */
int sk_store_file_install(const char *tmp, const char *path, int replace, struct sk_errctx *err);
/* Puts the SQLite file path (no process having it open) back in rollback-journal mode, one
 * self-contained file, synced (a backup after sk_store_open wrote its MAC). */
int sk_store_file_journal_delete(const char *path);
/* Removes a SQLite file and its -wal and -shm, if there. */
void sk_store_file_remove(const char *path);

/* ---- the erasure log (store/erasures.c; docs/operations.md, 4; docs/rights.md) ----
 * A text file outside the database (DATABASE.erasures by default) that every erasure,
 * suppression and unsuppression is appended to and synced, so that a restored backup can
 * have them done again (sk_erasures_replay in core). One line per entry:
 *   2 AT_MS OP CONTACT_ID KEY_HEX REASON MAC      ("-" for an empty field)
 * OP erase, suppress or unsuppress; KEY_HEX the keyed hash the suppression list holds (never
 * an address or a value); MAC the hex of the vault's keyed MAC over the line before " MAC"
 * (sk_vault_erasure_mac; made and checked in core). A version 1 line (no MAC) is read with an
 * empty mac. The file is opened O_NOFOLLOW and refused (IO) when group or others may write it
 * or another user owns it. */
struct sk_erasure_entry {
	int64_t at_ms;
	char op[16];                    /* "erase", "suppress", "unsuppress" */
	char contact_id[SK_ID_LEN + 1]; /* "" when none */
	int has_key;
	uint8_t key[SK_HASH_LEN];
	char reason[32];                /* "" when none */
	char mac[2 * 32 + 1];           /* hex; "" when none (a version 1 line) */
};
/* The text of e that its MAC covers: "2 AT_MS OP CONTACT_ID KEY_HEX REASON"; its length, or
 * -1 when it does not fit cap or a field holds a space. */
int sk_erasure_entry_body(const struct sk_erasure_entry *e, char *out, size_t cap);
/* The log of this process: set once at start (the command line's --erasure-log, or the
 * default it derives), before any thread runs; "" (the default) logs nothing. */
void sk_erasure_log_set(const char *path);
const char *sk_erasure_log_path(void);
/* Appends e (its mac set) as one line with one write (O_APPEND: lines of several processes never mix) and
 * fsyncs it (and the folder when the file was made); 0 when no log is set. IO on failure. */
int sk_erasure_log_append(const struct sk_erasure_entry *e);
/* serve's start check: path can be appended to (opened O_WRONLY | O_APPEND | O_CREAT, 0600,
 * made when missing, the folder then synced); IO naming path and why otherwise. */
int sk_erasure_log_writable(const char *path, struct sk_errctx *err);
typedef int (*sk_erasure_cb)(void *arg, const struct sk_erasure_entry *e);
/* The entries of the log at path with at_ms >= since_ms, in file order; *outbad (may be
 * NULL) counts lines that are no entry (skipped: a line cut by a crash). A missing file has
 * no entries. IO when it cannot be read; cb's non-zero return stops and is returned. */
int sk_erasure_log_each(const char *path, int64_t since_ms, sk_erasure_cb cb, void *arg,
			long *outbad);

/* uri as it may be shown (samtycke init prints the store it made): a password in it, in
 * the user part (scheme://user:PASSWORD@host) or as a password= parameter, reads "***".
 * Cut to fit out (cap > 0). */
void sk_store_uri_shown(const char *uri, char *out, size_t cap);

/* Fault injection for tests (src/store/fault.c): wraps inner (taking ownership) so that the
 * fail_at-th method call from now (1-based) and, when sticky, every later call fails with
 * SK_ERR_STORAGE. fail_at 0 never fails. sk_store_fault_calls tells how many calls passed. */
int sk_store_fault_wrap(struct sk_store *inner, long fail_at, int sticky, struct sk_store **out);
void sk_store_fault_set(struct sk_store *s, long fail_at, int sticky);
long sk_store_fault_calls(struct sk_store *s);

/* SQLite and libpq, with the versions they run with (samtycke --version). */
void sk_store_versions(sk_version_fn *fn, void *arg);

#endif
