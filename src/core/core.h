/* core.h: the domain of samtycke. A struct sk_core ties one store, the vault and the applied
 * policy together; contacts, the consent ledger and state, the gate and the audit all work
 * through it. Nothing here knows about SQL, sockets or the command line. */
#ifndef SK_CORE_H
#define SK_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/policy.h"
#include "core/vocab.h"
#include "store/store.h"
#include "util/err.h"
#include "util/version.h"

struct sk_vault;

/* The core: one store, the vault and the applied policy tied together. Opaque outside
 * src/core (core_int.h holds its fields); read it through the accessors below. */
struct sk_core;

/* Ties store and vault together (both stay the caller's). init != 0 stores the vault's check
 * value in a new database; otherwise the stored one must match (SK_ERR_KEY), and contacts
 * keyed under an older canonical form version are re-keyed first (canon_note says so). Loads
 * the newest applied policy, if any. */
int sk_core_open(struct sk_store *store, struct sk_vault *vault, int init, struct sk_core **out,
		 struct sk_errctx *err);
void sk_core_free(struct sk_core *c);
/* The applied policy (NULL until one is applied) and its version. */
const struct sk_policy *sk_core_policy(const struct sk_core *c);
int sk_core_policy_version(const struct sk_core *c);
/* What opening the core did that the operator should hear of (the re-keying of contacts to
 * a newer canonical form: ids only); "" when nothing. */
const char *sk_core_open_note(const struct sk_core *c);
/* Reads the newest applied policy again (after another process applied one). */
int sk_core_reload_policy(struct sk_core *c, struct sk_errctx *err);
/* SK_ERR_NO_POLICY unless a policy is applied. */
int sk_core_need_policy(struct sk_core *c, struct sk_errctx *err);
/* The version of the newest policy in the store (0: none), read without parsing it (the
 * store hands the text too, a few KiB, freed at once): a server compares it with
 * sk_core_policy_version every second to notice a policy applied elsewhere. */
int sk_core_policy_stored(struct sk_core *c, int *version, struct sk_errctx *err);

/* Leases (several servers on one store, docs/internals/serve.md): the store's lease_take and
 * lease_release, with an error message. Times are Unix milliseconds (sk_time_now_ms). */
int sk_core_lease_take(struct sk_core *c, const char *name, const char *holder, int64_t now_ms,
		       int64_t until_ms, int *got, struct sk_errctx *err);
int sk_core_lease_release(struct sk_core *c, const char *name, const char *holder,
			  struct sk_errctx *err);

/* Batches: between begin and commit, writes share one transaction (bulk work amortises the
 * sync). Without a batch every write is its own durable transaction. */
int sk_core_batch_begin(struct sk_core *c, struct sk_errctx *err);
int sk_core_batch_commit(struct sk_core *c, struct sk_errctx *err);
void sk_core_batch_rollback(struct sk_core *c);
/* Group commit (docs/internals/group-commit.md): many jobs, one write transaction, one
 * commit. Each job runs in its own savepoint; a job that returns an error has its writes
 * undone (and every read cached in the transaction forgotten) and keeps its own error,
 * while the others go on. Inside a job, batches and single writes join the group's
 * transaction (a batch's rollback undoes the job's writes so far). run returns 0 or an
 * SK_ERR_* code with its message in *err (the job's own errctx). */
struct sk_group_job {
	int (*run)(struct sk_core *c, void *arg, struct sk_errctx *err);
	void *arg;
	struct sk_errctx *err;    /* the job's: its own failure, or the group's */
	int rc;                   /* out: 0 when its writes are committed */
};
/* Runs the n jobs (n >= 1) in one transaction and commits once; the change hook runs once
 * after the commit when any job appended to the change feed. Returns 0 when the group
 * committed: jobs[i].rc says which jobs' writes are in it. Otherwise (the transaction could
 * not begin, a savepoint failed, or the commit failed) nothing of the group is stored, every
 * job that had succeeded gets the group's error in its rc and errctx, and err holds it. */
int sk_core_group_run(struct sk_core *c, struct sk_group_job *jobs, size_t n,
		      struct sk_errctx *err);
/* Bulk mode (sk_store_bulk's SK_BULK_*), outside a batch: SK_BULK_IMPORT around a long run
 * of batches (the import) moves the store's WAL checkpoint off the commit path and grows its
 * cache; SK_BULK_CHECKPOINT (the server's group-commit writer) moves the checkpoint only;
 * SK_BULK_OFF checkpoints once. */
int sk_core_bulk(struct sk_core *c, int on, struct sk_errctx *err);

/* The change hook: fn(arg) is called, on the committing thread, after every commit of this
 * process that appended to the change feed (a consent, a withdrawal, an erasure ...), so
 * that the webhook delivery of this process wakes at once instead of at its next poll;
 * other processes' changes are still found by the poll. Process-wide; fn must be quick and
 * must not call the core. Setting NULL waits for a call in progress: after it returns, arg
 * is no longer used. */
typedef void (*sk_change_hook)(void *arg);
void sk_core_set_change_hook(sk_change_hook fn, void *arg);

/* A read snapshot: every read until read_end sees the same moment of the store. Snapshots
 * nest (only the outermost begins and ends one), and inside a batch they are the batch. */
int sk_core_read_begin(struct sk_core *c, struct sk_errctx *err);
void sk_core_read_end(struct sk_core *c);

/* ---- policy (core/policy_apply.c) ---- */

struct sk_notice_change {
	char purpose[SK_PURPOSE_MAX];
	int version;
	int is_new; /* a new version was written (text changed or first apply) */
};

/* Validates and stores a policy; a changed notice text becomes a new version, old versions
 * stay. changes (may be NULL) gets one entry per purpose, *nchanges their number; the caller
 * frees *changes with sk_free. */
int sk_policy_apply(struct sk_core *c, const char *text, size_t len, const char *filename,
		    struct sk_notice_change **changes, size_t *nchanges, struct sk_errctx *err);

/* One difference between a policy file and the newest applied policy. */
enum sk_policy_item { SK_PI_PURPOSE, SK_PI_FIELD, SK_PI_FORM, SK_PI_SETTING };
enum sk_policy_op { SK_PO_ADDED, SK_PO_REMOVED, SK_PO_CHANGED };
struct sk_policy_diff {
	enum sk_policy_item item;
	enum sk_policy_op op;
	char id[SK_PURPOSE_MAX];  /* purpose id, field name, form id; organisation or retention */
	char attrs[256];          /* changed: the keys that differ, space-separated */
	int64_t holders;          /* a removed purpose: contacts still holding it */
};

/* What applying a policy file does (or, in a dry run, would do). */
struct sk_policy_plan {
	int base_version;         /* the newest applied policy's version; 0 when none */
	int version;              /* the version after applying: base_version when unchanged */
	int unchanged;            /* the file equals the newest applied policy byte for byte */
	int refused;              /* it drops a purpose that contacts hold, without force */
	int forced;               /* the same, with force: applied anyway */
	char why[1024];           /* the refusal (or, when forced, the warning); "" otherwise */
	struct sk_policy_diff *diffs;
	size_t ndiffs;
	struct sk_notice_change *notices; /* one per purpose of the file, in file order */
	size_t nnotices;
};

#define SK_POLICY_DRY_RUN 1  /* validate and compare; store nothing */
#define SK_POLICY_FORCE 2    /* drop purposes that contacts still hold */

/* Validates a policy file and compares it with the newest applied policy; unless a dry run,
 * stores it as sk_policy_apply does. A file equal to the newest applied policy stores
 * nothing. A file that drops a purpose with a live consent state (given and not expired,
 * pending, unverified) is refused with SK_ERR_POLICY naming each purpose and how many
 * contacts hold it, unless SK_POLICY_FORCE; a dry run reports that in the plan and returns
 * 0. *out (freed with sk_policy_plan_free) is set when 0 is returned. sk_policy_apply is
 * this without flags. */
int sk_policy_update(struct sk_core *c, const char *text, size_t len, const char *filename,
		     int flags, struct sk_policy_plan **out, struct sk_errctx *err);
void sk_policy_plan_free(struct sk_policy_plan *p);

/* ---- contacts (core/contact.c) ---- */

struct sk_field_value {
	const char *name;
	const char *value;
};

struct sk_contact {
	char id[SK_ID_LEN + 1];
	int64_t created_at;
	int64_t updated_at;
	struct sk_field_value *fields; /* email first, then by name; owned */
	size_t nfields;
};

void sk_contact_reset(struct sk_contact *ct);
/* Creates a contact. Every field must be declared and needed by some purpose (minimisation)
 * and valid for its type, or nothing is stored. SK_ERR_EXISTS when the address is known. */
int sk_contact_add(struct sk_core *c, const char *email, const struct sk_field_value *fields,
		   size_t nfields, char outid[SK_ID_LEN + 1], struct sk_errctx *err);
/* Finds by address (any variant of case and surrounding space) and opens its fields. */
int sk_contact_get(struct sk_core *c, const char *email, struct sk_contact *out,
		   struct sk_errctx *err);
int sk_contact_get_by_id(struct sk_core *c, const char *id, struct sk_contact *out,
			 struct sk_errctx *err);
/* The same without reading the contact's row (created_at and updated_at are left 0), for a
 * contact that a read in the same snapshot has shown to exist (an export candidate: its
 * consent state references it). SK_ERR_NOT_FOUND when it has no data key. */
int sk_contact_fields_by_id(struct sk_core *c, const char *id, struct sk_contact *out,
			    struct sk_errctx *err);
/* Sets fields of contact id (same rules as add); the address itself is not changed here.
 * A rectification entry names the fields and actor (never a value). */
int sk_contact_edit(struct sk_core *c, const char *id, const struct sk_field_value *fields,
		    size_t nfields, const char *actor, struct sk_errctx *err);
/* The same, and *out (sk_contact_reset it) gets the contact as the edit left it, read in the
 * same transaction: an error means nothing was changed. */
int sk_contact_edit_get(struct sk_core *c, const char *id, const struct sk_field_value *fields,
			size_t nfields, const char *actor, struct sk_contact *out,
			struct sk_errctx *err);
/* 0 when contact id exists; SK_ERR_NOT_FOUND when not. */
int sk_contact_exists(struct sk_core *c, const char *id, struct sk_errctx *err);
/* The contact id for an address; SK_ERR_NOT_FOUND when unknown. */
int sk_contact_find(struct sk_core *c, const char *email, char outid[SK_ID_LEN + 1],
		    struct sk_errctx *err);
/* What a command names a person by: an address (any variant) or a contact id as the change
 * feed, purge reports and exports give it ("c_...", no '@'). An id must name a contact
 * (SK_ERR_NOT_FOUND, "no contact has the id ...", otherwise); outid gets it and email the
 * address the contact keeps. An address is copied to email as written; outid gets its
 * contact's id, or "" when no contact has it (it may be new, or no address at all, which the
 * function it is handed to then says). email has SK_CONTACT_WHO_MAX bytes. */
#define SK_CONTACT_WHO_MAX 512
int sk_contact_resolve(struct sk_core *c, const char *who, char outid[SK_ID_LEN + 1],
		       char email[SK_CONTACT_WHO_MAX], struct sk_errctx *err);

/* ---- consent ledger and state (core/consent.c) ---- */

/* Actions, statuses and methods: enums, names and parsing come from core/vocab.h. */

/* Event flags (hashed with the event). */
#define SK_EV_UNVERIFIED 1 /* consent claimed without the evidence to prove it */
#define SK_EV_DOUBLE_OPT_IN 2 /* the purpose required confirmation when this was given */

/* What core hands out about consents: domain structs whose closed words are the enums of
 * core/vocab.h, never the store's records with their strings (those stay the storage
 * contract, store/store.h). core/domain.c converts, in one place. A stored word that is not
 * in its list (a tampered database) never reads as a valid value: a status becomes
 * SK_ST_UNKNOWN (the gate reads it as nothing recorded, which denies a consent, and denies
 * a legitimate interest with the error reason; ledger replay reports and repairs it); an action, a method or a change type fails the read with SK_ERR_CORRUPT naming table
 * and column, and nothing is handed on for that row. (struct sk_consent_event, not
 * sk_event: the tag sk_event is vocab.h's enum of webhook events.) */

/* One ledger event (its sealed evidence and hash links stay inside core). */
struct sk_consent_event {
	int64_t seq;
	char id[SK_ID_LEN + 1];
	char contact_id[SK_ID_LEN + 1];
	char purpose[SK_PURPOSE_MAX];
	enum sk_action action;
	int64_t occurred_at;
	int64_t recorded_at;
	enum sk_method method;
	char source[256];
	int notice_version;
	uint8_t notice_sha256[SK_HASH_LEN];
	char lang[8];
	int64_t valid_until;  /* 0: no limit */
	char actor[128];
	int flags;            /* SK_EV_* */
};

/* The consent state of one (contact, purpose), as stored (sk_state_status: at a time). */
struct sk_state {
	char contact_id[SK_ID_LEN + 1];
	char purpose[SK_PURPOSE_MAX];
	enum sk_status status;
	int64_t seq;          /* ledger seq of the event that set it */
	char event_id[SK_ID_LEN + 1];
	int64_t updated_at;   /* occurred_at of that event */
	int64_t valid_until;  /* 0: no limit */
	int notice_version;
};

/* One entry of the change feed. */
struct sk_change {
	int64_t seq;
	enum sk_change_type type;
	char contact_id[SK_ID_LEN + 1]; /* "" when no contact holds it (an unsuppressed address) */
	char purpose[SK_PURPOSE_MAX];   /* "" when not about one purpose */
	enum sk_status status;          /* consent changes: the new status; else SK_ST_UNKNOWN */
	int64_t at;
	/* score changes handed to a webhook (sk_webhook_job_next): the person's stored score
	 * at delivery, set only when sales_followup and lead_scoring are allowed; the feed
	 * itself has none */
	int64_t score;
};

/* Callbacks that walk them; a non-zero return stops the walk and is returned. */
typedef int (*sk_consent_event_fn)(void *arg, const struct sk_consent_event *ev);
typedef int (*sk_state_fn)(void *arg, const struct sk_state *st);
typedef int (*sk_change_fn)(void *arg, const struct sk_change *ch);

struct sk_consent_req {
	const char *email;          /* or contact_id */
	const char *contact_id;
	const char *purpose;
	enum sk_action action;
	const char *method;         /* one of SK_METHOD_LIST (core/vocab.h) */
	const char *source;         /* form and page, import batch, API key, connector */
	int notice_version;         /* 0: the current version */
	const char *lang;           /* "sv" or "en"; NULL: "en" */
	int64_t occurred_at;        /* 0: unknown (now for live methods; unverified for imports) */
	const char *actor;
	const char *evidence_json;  /* sealed with the contact's data key; NULL for none */
	int double_opt_in;          /* pending until confirmed, whatever the purpose says */
};

/* Appends one event to the ledger (hash-chained), updates the state and the change feed, in
 * one transaction. A give for an unknown address creates the contact. out (may be NULL)
 * receives the event as stored (without its evidence). */
int sk_consent_record(struct sk_core *c, const struct sk_consent_req *req,
		      struct sk_consent_event *out, struct sk_errctx *err);
/* The same, and *state gets the state the event left and *change_seq the number of the
 * change it appended to the change feed (not the ledger's seq), both written in the same
 * transaction, for the answer to whoever recorded it. */
int sk_consent_record_state(struct sk_core *c, const struct sk_consent_req *req,
			    struct sk_consent_event *out, struct sk_state *state,
			    int64_t *change_seq, struct sk_errctx *err);

/* Status of a state at time now: a given consent past its validity is expired. (The
 * transition itself, on stored rows, is sk_state_apply in core_int.h.) */
enum sk_status sk_state_status(const struct sk_state *st, int64_t now);

/* The stored state of (contact, purpose); SK_ERR_NOT_FOUND when no event exists. */
int sk_consent_state(struct sk_core *c, const char *contact_id, const char *purpose,
		     struct sk_state *out, struct sk_errctx *err);
/* History and state of one contact, in order. */
int sk_consent_states(struct sk_core *c, const char *contact_id, sk_state_fn cb, void *arg,
		      struct sk_errctx *err);
int sk_consent_history(struct sk_core *c, const char *contact_id, sk_consent_event_fn cb,
		       void *arg, struct sk_errctx *err);
/* Both of one contact, read at one moment: every state, then every event; SK_ERR_NOT_FOUND
 * when there is no contact id. */
int sk_consent_overview(struct sk_core *c, const char *contact_id, sk_state_fn state,
			void *state_arg, sk_consent_event_fn event, void *event_arg,
			struct sk_errctx *err);

/* The proof of the current state of (contact, purpose): the event that set it, the exact
 * notice text shown, and the opened evidence. */
struct sk_proof {
	struct sk_state state;
	struct sk_consent_event event;
	char *notice_text;             /* owned */
	char *evidence_json;           /* owned; NULL when none or no longer openable */
	int evidence_shredded;         /* the data key is gone (erased person) */
	struct sk_consent_event given; /* the give before a confirm (seq 0 when none) */
	char *given_evidence_json;     /* owned; that give's evidence, NULL when none */
};
void sk_proof_reset(struct sk_proof *p);
int sk_consent_proof(struct sk_core *c, const char *email, const char *purpose,
		     struct sk_proof *out, struct sk_errctx *err);

/* ---- double opt-in (core/pending.c) ---- */

/* Confirms every pending consent of contact_id set by ledger events first_seq..last_seq (one
 * form submission); *nconfirmed gets how many were still pending. */
int sk_pending_confirm(struct sk_core *c, const char *contact_id, int64_t first_seq,
		       int64_t last_seq, const char *evidence_json, int *nconfirmed,
		       struct sk_errctx *err);
/* Expires consents left pending for more than days, and deletes the personal data of each
 * contact that has nothing else (no consent given, refused or withdrawn); the ledger keeps
 * its events, sealed with a key that no longer exists. */
int sk_pending_expire(struct sk_core *c, int64_t now, int days, long *nexpired, long *ndeleted,
		      struct sk_errctx *err);

/* ---- web form submissions (core/form.c; docs/forms.md) ---- */

#define SK_FORM_MAX_ITEMS 128     /* fields or consents in one submission */
#define SK_FORM_MAILS_PER_DAY 3   /* confirmation mails to one address in 24 hours */
#define SK_FORM_PAGE_MAX 512      /* bytes of the page URL kept as evidence */
#define SK_FORM_UA_MAX 256        /* bytes of the user agent kept as evidence */
#define SK_OUTBOX_KEEP_DAYS 2     /* sent or failed mail rows are kept this long (the limit) */

/* One submission of a form (sk_form_check says whether it fits the form). */
struct sk_form_input {
	const struct sk_form *form;
	const char *email;            /* as typed */
	const struct sk_field_value *fields; /* the form's fields, email among them */
	size_t nfields;
	const char *const *consents;  /* purposes ticked */
	size_t nconsents;
	const char *lang;             /* "sv" or "en" */
	const char *page_url;         /* the page field or Referer; NULL when none */
	const char *ip;
	const char *user_agent;       /* NULL when none */
	int gpc;                      /* the browser sent Sec-GPC: 1 */
	int scripted;                 /* posted as JSON by a site's script */
	int robot;                    /* the field only robots fill (the honeypot) was filled */
	int can_mail;                 /* a mail server is configured */
	int link_days;                /* how long a confirmation link holds */
	const char *link_base;        /* the public URL its confirmation link starts with */
	/* the banner's visitor id the page's script added (field sk_visitor; docs/banner.md),
	 * NULL when none: a new address's consents given at once carry the visitor's answers
	 * to the contact; otherwise they are carried when the person confirms from the mail */
	const char *visitor_id;
};

/* What a submission of this form gives, the same for every address (an answer must not tell
 * whether an address is known): given at once for a new address, pending confirmation,
 * ignored under GPC. Names point into the policy. */
struct sk_form_outcome {
	const char *given[SK_FORM_MAX_ITEMS], *pending[SK_FORM_MAX_ITEMS],
		*ignored[SK_FORM_MAX_ITEMS];
	size_t ngiven, npending, nignored;
};

void sk_form_foresee(const struct sk_core *c, const struct sk_form_input *in,
		     struct sk_form_outcome *out);
/* Checks a submission against its form (only fields the form declares, every required one,
 * only consents it offers, once each, at least one unless the form has a purpose of its
 * own) and the same way for every address (the address itself, each field's value against
 * its declaration), so that an error cannot tell who is on file. sk_form_submit checks it
 * too. */
int sk_form_check(struct sk_core *c, const struct sk_form_input *in, struct sk_errctx *err);
/* Records a submission in one transaction, after sk_form_check. A form that needs
 * confirmation by mail is refused (SK_ERR_BUSY) without can_mail; a robot's post stores
 * nothing. For an address the hub does not know and that is not suppressed, consents that
 * need no confirmation are given at once with the fields they need. Everything else (double
 * opt-in consents; any change for a known person) is held as a sealed request with its
 * confirmation mail queued in the outbox, at most SK_FORM_MAILS_PER_DAY a day per address.
 * A suppressed address gets nothing stored and nothing sent. *out is the answer, the same
 * whatever happened (sk_form_foresee). */
int sk_form_submit(struct sk_core *c, const struct sk_form_input *in,
		   struct sk_form_outcome *out, struct sk_errctx *err);
/* The person followed the link in their mail: the request's fields are stored and its
 * consents given and confirmed (the give dated when it was submitted), in one transaction,
 * and the request deleted. A request that is gone, lapsed or whose address is now
 * suppressed confirms nothing (*nconfirmed 0, return 0). */
int sk_form_confirm(struct sk_core *c, const char *request_id, const char *evidence_json,
		    int *nconfirmed, struct sk_errctx *err);
/* What a confirmation link is about, for its page (docs/forms.md, "The confirmation link"). */
enum sk_link_state {
	SK_LINK_OPEN,      /* waiting for the person's confirmation */
	SK_LINK_CONFIRMED, /* confirmed already (kept until the link expires, without the
			      address or fields) */
	SK_LINK_GONE,      /* lapsed, or deleted with an erasure or a suppression */
};
struct sk_link_info {
	enum sk_link_state state;
	int lang; /* the submission's language (enum sk_lang), -1 when not known */
	/* the purposes asked for, from the policy in force (one dropped since is left out);
	 * for a link mailed before requests existed, none */
	const struct sk_purpose *purposes[SK_FORM_MAX_ITEMS];
	size_t npurposes;
	/* An open request's fields, stored with the consents when the person confirms (a known
	 * person's values replaced): their declarations and the values as posted, so that the
	 * page shows them before the person confirms. Values owned: sk_link_info_reset. */
	const struct sk_field_def *fields[SK_FORM_MAX_ITEMS];
	char *values[SK_FORM_MAX_ITEMS];
	size_t nfields;
};
void sk_link_info_reset(struct sk_link_info *info);
/* Checks the token of a confirmation link (/f/confirm/TOKEN): 0 when it is whole and
 * unexpired; SK_ERR_EXPIRED when only its time is past; SK_ERR_INVALID when it is altered,
 * malformed or made for another use. With info (may be NULL), and for a token that is whole
 * (expired too), says what the link is about: the request open, confirmed or gone, its
 * language and its purposes; a storage failure reading it is returned as such. */
int sk_form_link_check(struct sk_core *c, const char *token, struct sk_link_info *info,
		       struct sk_errctx *err);
/* The person confirmed from the link with token; the click's client address and user agent
 * (either may be NULL) are its evidence. Checks the token as sk_form_link_check does, then
 * confirms the request it names (sk_form_confirm) or, for a link mailed before requests
 * existed ("contact/first/last"), the consents that one submission left pending
 * (sk_pending_confirm). contact_id (may be NULL; SK_ID_LEN + 1 bytes) gets the id of the
 * contact whose consents were confirmed, "" when none was (for the page's link to the
 * preference centre). */
int sk_form_confirm_link(struct sk_core *c, const char *token, const char *ip,
			 const char *user_agent, int *nconfirmed, char *contact_id,
			 struct sk_errctx *err);
/* Deletes the requests whose link has expired (and their unsent mail), and outbox rows
 * older than SK_OUTBOX_KEEP_DAYS. */
int sk_form_requests_expire(struct sk_core *c, int64_t now, long *ndeleted,
			    struct sk_errctx *err);

/* ---- the preference centre (core/prefs.c; docs/preference-centre.md) ---- */

/* A person's own link to their data and choices: /p/TOKEN, a signed, expiring token (vault
 * tag SK_PREF_TAG) whose subject is the contact id, so it carries no address. A link is
 * bound to its contact: once the contact is erased it is invalid, whatever its time. */
#define SK_PREF_TAG "pref"
#define SK_PREF_LINK_DAYS 30      /* a mailed link holds this long (CLI and API may choose) */
#define SK_PREF_LINK_MAX 192      /* bytes of a token, with its NUL (the vault's SK_TOKEN_MAX) */

/* Mints a link token for contact id, valid until now + days (1 to 365). SK_ERR_NOT_FOUND
 * when there is no such contact. *expires (may be NULL) gets its expiry. A link mailed by
 * samtycke itself (sk_pref_link) and one handed out by the controller (the command line, the
 * API) are told apart inside the token, so that the evidence of a change made with it says
 * truthfully how the person came by it. */
enum sk_pref_via { SK_PREF_VIA_MAIL, SK_PREF_VIA_CLI, SK_PREF_VIA_API };
int sk_pref_link_via(struct sk_core *c, const char *contact_id, enum sk_pref_via via,
		     int64_t now, int days, char token[SK_PREF_LINK_MAX], int64_t *expires,
		     struct sk_errctx *err);
int sk_pref_link(struct sk_core *c, const char *contact_id, int64_t now, int days,
		 char token[SK_PREF_LINK_MAX], int64_t *expires, struct sk_errctx *err);
/* Checks a link token at now: 0 and the contact id when it is whole, unexpired and its
 * contact exists; SK_ERR_EXPIRED when only its time is past (contact_id is then filled:
 * authentic, so that a fresh link can be mailed to the address on file); SK_ERR_INVALID
 * when it is altered, malformed, made for another use, or its contact is gone (erased);
 * a storage failure as such. */
int sk_pref_check(struct sk_core *c, const char *token, int64_t now,
		  char contact_id[SK_ID_LEN + 1], struct sk_errctx *err);

/* One purpose of the policy as the person's page shows it. */
struct sk_pref_purpose {
	const struct sk_purpose *purpose; /* the core's policy: valid until it reloads it */
	enum sk_status status;            /* as the gate sees it at the view's time;
					     SK_ST_UNKNOWN when nothing is recorded */
	int has_event;                    /* event and the texts below are set */
	struct sk_consent_event event;    /* the event that set the state */
	char *notice_text;                /* owned: the notice text shown then (its version and
					     language), NULL when no longer readable */
	char *page;                       /* owned: the page it was given on (sealed evidence),
					     NULL when none or shredded */
	int64_t confirmed_at;             /* when a double opt-in was confirmed; 0 when not */
	int changeable;                   /* on consent: the page offers give or withdraw */
};
/* Everything the page shows: the person's data and every purpose of the applied policy, in
 * policy order. */
struct sk_pref_view {
	int64_t at;                       /* the moment read; statuses are at this time */
	int64_t link_expires;
	struct sk_contact contact;        /* fields opened */
	struct sk_pref_purpose *purposes; /* owned */
	size_t npurposes;
};
void sk_pref_view_reset(struct sk_pref_view *v);
/* The view of the link's person at now (after sk_pref_check, which it repeats). */
int sk_pref_view(struct sk_core *c, const char *token, int64_t now, struct sk_pref_view *out,
		 struct sk_errctx *err);

/* One change made on the page: give or withdraw purpose. */
struct sk_pref_change {
	const char *purpose;
	int give;                         /* 1: give; 0: withdraw */
	const char *lang;                 /* the page's: "sv" or "en" */
	const char *page;                 /* the page's URL (evidence) */
	const char *user_agent;           /* reduced to its class in the evidence; may be NULL */
	int notice_version;               /* a give: the notice version the page showed beside
					     its button (0: the current one) */
};
/* Records a change made on the link's page: a ledger event with method preference_centre,
 * the notice version shown, and sealed evidence (page, time, user agent class, notice
 * version). A give of a double opt-in purpose counts as confirmed (the link went to the
 * person's own address) and its evidence says so. Only purposes on consent may be changed
 * (SK_ERR_INVALID otherwise, and for an unknown purpose); a give for a suppressed address
 * is refused (SK_ERR_FORBIDDEN). Giving what is given, or withdrawing what is not, records
 * nothing and returns 0. A give whose notice_version is not the current one (the text
 * changed since the page was shown) is SK_ERR_INVALID and records nothing. out (may be NULL)
 * gets the event, seq 0 when none. */
int sk_pref_set(struct sk_core *c, const char *token, const struct sk_pref_change *ch,
		int64_t now, struct sk_consent_event *out, struct sk_errctx *err);
/* The access export (sk_export) and the erasure (sk_forget) of the link's person. */
struct sk_access_export;
struct sk_erasure_receipt;
int sk_pref_export(struct sk_core *c, const char *token, int64_t now, const char *lang,
		   struct sk_access_export *out, struct sk_errctx *err);
int sk_pref_erase(struct sk_core *c, const char *token, int64_t now,
		  struct sk_erasure_receipt *out, struct sk_errctx *err);

/* "Mail me my link" (/p): for an unsuppressed address under the limit of
 * SK_FORM_MAILS_PER_DAY mails a day, queues a mail with a fresh link (outbox kind
 * "preflink:LANG"), which the mail worker sends only when a contact has the address (it is
 * not asked here, so that answering costs the same for every address); otherwise does
 * nothing. The caller answers the same either way, so this returns 0 for every valid
 * address (SK_ERR_INVALID_EMAIL for one that is not). */
int sk_pref_request(struct sk_core *c, const char *email, const char *lang, int64_t now,
		    struct sk_errctx *err);
/* The same for an expired link (sk_pref_check's SK_ERR_EXPIRED): a fresh link to the
 * address on file. An altered token is SK_ERR_INVALID. */
int sk_pref_renew(struct sk_core *c, const char *token, const char *lang, int64_t now,
		  struct sk_errctx *err);

/* CSRF tokens of the public pages' forms (no cookie is set): a signed token whose subject
 * binds it to what the form acts on (bound: a link token, or a fixed name for the /p
 * form), valid for two hours. sk_pref_csrf_check: 0, or SK_ERR_FORBIDDEN. */
int sk_pref_csrf(struct sk_core *c, const char *bound, int64_t now,
		 char out[SK_PREF_LINK_MAX]);
int sk_pref_csrf_check(struct sk_core *c, const char *bound, const char *csrf, int64_t now);

/* The class of a user agent for evidence: "bot", "mobile", "tablet", "desktop" or
 * "unknown" (never the string itself, which identifies a browser far more closely). */
const char *sk_ua_class(const char *user_agent);

/* ---- the mail outbox (core/outbox.c; docs/internals/mail.md) ---- */

/* The double opt-in mail: subject and body in lang ("sv" or "en"; anything else is
 * SK_ERR_INVALID) naming the controller and the n purpose titles, the link on a line of its
 * own, when it expires (UTC), and what happens if the person ignores it: nothing is
 * recorded; or, when the same submission gave other consents at once (others_given), that
 * the ones listed are not recorded and those stay. *subject and *text are sk_malloc'ed. */
int sk_mail_confirmation(const char *lang, const char *controller,
			 const char *const *purpose_titles, size_t n, int others_given,
			 const char *link, int64_t expires, char **subject, char **text,
			 struct sk_errctx *err);
/* The same, and with pref_link (may be NULL: none) a paragraph offering the preference
 * centre at that link (the person's own, or the /p page that mails one). */
int sk_mail_confirmation_pref(const char *lang, const char *controller,
			      const char *const *purpose_titles, size_t n, int others_given,
			      const char *link, int64_t expires, const char *pref_link,
			      char **subject, char **text, struct sk_errctx *err);
/* The preference link mail (outbox kind "preflink:LANG"): subject and body in lang ("sv" or
 * "en"), naming the controller and what the page shows, the link on a line of its own, when
 * it expires (UTC), and that a person who did not ask for it may ignore it. */
int sk_mail_preflink(const char *lang, const char *controller, const char *link,
		     int64_t expires, char **subject, char **text, struct sk_errctx *err);
/* The end of every campaign mail in lang ("sv" or "en"): who sends it and why, a visible
 * unsubscribe link (one click withdraws the purpose) and the preference centre's link; as
 * plain text, or (html 1) as an HTML paragraph with the links escaped. */
int sk_mail_campaign_footer(const char *lang, const char *controller, const char *unsub,
			    const char *pref, int html, char **out, struct sk_errctx *err);

/* A mail ready to send, built from what the outbox names. */
struct sk_outgoing {
	struct sk_outbox_rec rec;
	char to[512];                  /* the local part as written, the domain in A-labels */
	char *subject;                 /* owned */
	char *text;                    /* owned */
	char *html;                    /* owned; NULL: text only (campaign mails may have it) */
	char *list_unsub;              /* owned; List-Unsubscribe's value (RFC 8058); NULL: none */
	int campaign;                  /* 1: a campaign mail, paced by the worker */
};
void sk_outgoing_reset(struct sk_outgoing *m);
/* The next mail due at now, claimed and built (the double opt-in mail with its signed link
 * under the URL the form was posted to, else public_url; the preference link mail with a
 * fresh SK_PREF_LINK_DAYS link under public_url); SK_ERR_NOT_FOUND when none is due. A mail whose request is gone (confirmed,
 * lapsed, erased) is dropped on the way. */
int sk_outbox_take(struct sk_core *c, const char *public_url, int64_t now,
		   struct sk_outgoing *out, struct sk_errctx *err);
/* After an attempt: rc 0 marks it sent; SK_ERR_INVALID gives it up at once; anything else
 * is tried again with back-off, and given up SK_OUTBOX_RETRY_FOR after it was queued. why
 * (never an address) is kept as its last error. */
#define SK_OUTBOX_RETRY_FOR (24 * 3600)
int sk_outbox_done(struct sk_core *c, const struct sk_outgoing *m, int rc, const char *why,
		   int64_t now, struct sk_errctx *err);
/* ---- data-subject rights and disposal (core/rights.c; docs/rights.md) ---- */

/* The access export: everything held about one contact (render/rights.c gives its JSON). */
struct sk_export_event {
	struct sk_consent_event event;
	char *notice_text;             /* owned; NULL when that notice version is not stored */
	char *evidence_json;           /* owned; NULL when none or no longer openable */
};
/* One purpose the person has a consent state for, with its history in ledger order. */
struct sk_export_consent {
	struct sk_state state;
	struct sk_export_event *history; /* owned */
	size_t nhistory;
	/* For the ISO/IEC TS 27560 record fields (docs/rights.md): the purpose (NULL when no
	 * longer in the policy) and the event of history that set the state (NULL when none
	 * of them did). */
	const struct sk_purpose *purpose;
	const struct sk_export_event *last;
};
/* A system the data is shared with: an active API key that may read (scopes read or dsr),
 * or an enabled webhook endpoint. Strings owned. */
struct sk_export_share {
	int webhook;                   /* 0: an API key */
	char *name;                    /* the key's name; the endpoint's name, else its id */
	char *scopes;                  /* API key only, else NULL */
	char *url, *events;            /* webhook only, else NULL */
};
/* A rectification: when, which fields (comma-separated names), by whom. Strings owned. */
struct sk_export_rect {
	int64_t at;
	char *fields;
	char *actor;
};
struct sk_access_export {
	int64_t exported_at;           /* statuses are as the gate sees them at this time */
	int lang;                      /* SK_LANG_*: the language of purpose texts */
	const struct sk_policy *policy; /* the core's: valid until it reloads its policy */
	struct sk_contact contact;
	struct sk_export_consent *consents; /* the states that have events, in state order */
	size_t nconsents;
	const struct sk_purpose **purposes; /* of those consents, the ones in the policy */
	size_t npurposes;
	struct sk_export_share *shared;
	size_t nshared;
	struct sk_export_rect *rects;
	size_t nrects;
	/* the banner's visitors tied to the contact, with their answers (issue 16, helper
	 * visitor; docs/banner.md) */
	struct sk_visitor_view *visitors;
	size_t nvisitors;
	struct sk_send_rec *sends;     /* campaign: the send log, oldest first (helper campaign) */
	size_t nsends;
	/* ---- tracking and lead scoring (helper track; docs/tracking.md) ---- */
	struct sk_track_rec *track_events;  /* attached to the person, oldest first */
	size_t ntrack_events;
	int has_score;                      /* a stored score (lead_scoring given) */
	struct sk_score_rec score;
};
void sk_access_export_reset(struct sk_access_export *x);
/* Everything held about contact id (texts in lang: "sv" or "en"; NULL: "en"). *out is
 * filled (and to be reset by the caller) only when 0 is returned. */
int sk_export(struct sk_core *c, const char *id, const char *lang, struct sk_access_export *out,
	      struct sk_errctx *err);

/* The erasure receipt (render/rights.c gives its JSON). No owned memory. */
struct sk_erasure_receipt {
	char erasure_id[SK_ID_LEN + 1];
	char contact_id[SK_ID_LEN + 1]; /* "" when no contact had the address */
	int64_t erased_at;
	const char *const *categories;  /* what was deleted (static names); none when unknown */
	size_t ncategories;
	int suppressed;                 /* the address is on the suppression list (always 1) */
	long ledger_events_kept;
	int scrub_pending;              /* a reader kept the scrub from completing */
};
/* Erasure: deletes every row about the person and the data key, suppresses the address
 * (reason "erased"), appends an "erased" change, commits and scrubs (sk_scrub_retry).
 * *receipt gets the erasure receipt once the deletion is committed, with scrub_pending
 * set when a reader kept the scrub from completing. By address: an unknown address is
 * still suppressed. */
int sk_forget(struct sk_core *c, const char *id, struct sk_erasure_receipt *receipt,
	      struct sk_errctx *err);
int sk_forget_email(struct sk_core *c, const char *email, struct sk_erasure_receipt *receipt,
		    struct sk_errctx *err);
/* The scrub after an erasure (sk_store_scrub): afterwards no byte of the deleted rows is left
 * in any file the store owns (docs/internals/store.md). While another connection holds a
 * read transaction it cannot be; the erasure is still committed and answered, and the scrub
 * stays recorded (meta "scrub_pending": the time of the oldest erasure waiting) until a retry
 * completes it. sk_scrub_retry tries once (waiting at most a moment for readers): *pending is
 * 1 when the scrub still waits, 0 when none does. sk_scrub_pending only reads: *since is 0
 * when none waits. */
int sk_scrub_retry(struct sk_core *c, int *pending, struct sk_errctx *err);
int sk_scrub_pending(struct sk_core *c, int64_t *since, struct sk_errctx *err);
/* Why the purge deletes a contact, in the order the report lists them. */
#define SK_PURGE_REASON_LIST(X)                                                              \
	X(NEVER_CONSENTED, "never_consented")                                                \
	X(WITHDRAWN, "withdrawn")                                                            \
	X(EXPIRED, "expired")                                                                \
	X(PENDING, "pending")                                                                \
	X(UNVERIFIED, "unverified")                                                          \
	X(INACTIVE, "inactive")
enum sk_purge_reason {
#define SK__PURGE_ENUM(name, str) SK_PURGE_##name,
	SK_PURGE_REASON_LIST(SK__PURGE_ENUM)
#undef SK__PURGE_ENUM
	SK_PURGE_NREASONS
};
const char *sk_purge_reason_name(enum sk_purge_reason r);

/* The purge report (render/rights.c gives its JSON): contact ids by reason. */
struct sk_purge_report {
	int dry_run;
	long total;
	struct sk_purge_ids {
		char (*id)[SK_ID_LEN + 1]; /* owned */
		size_t n, alloc;
	} by_reason[SK_PURGE_NREASONS];
	long tracking_events;      /* tracking events past tracking.retention deleted (not
				    * counted in a dry run) */
};
void sk_purge_report_reset(struct sk_purge_report *r);
/* What has no basis left at now, by reason; unless dry_run, deletes it (one transaction per
 * contact). *out is filled (and to be reset by the caller) only when 0 is returned. */
int sk_purge(struct sk_core *c, int64_t now, int pending_days, int dry_run,
	     struct sk_purge_report *out, struct sk_errctx *err);

/* ---- the gate (core/gate.c) ---- */

struct sk_gate_result {
	int allowed;
	enum sk_reason reason; /* SK_REASON_LIST (core/vocab.h; sk_reason_name): consent,
				  legitimate_interest, contract, legal_obligation when allowed;
				  the others when denied */
	char contact_id[SK_ID_LEN + 1];
	char consent_id[SK_ID_LEN + 1]; /* the ledger event relied on, "" when none */
	int64_t valid_until;
};

/* May we process this address for this purpose at time now? Fails closed: any error
 * answers denied with reason "error". An allowed answer takes one store call; a denial
 * with nothing recorded asks a second time, for an unconfirmed form request. */
void sk_gate_check(struct sk_core *c, const char *email, const char *purpose, int64_t now,
		   struct sk_gate_result *out);
/* The gate for n addresses and one purpose, all read at one moment of the store: (*out)[i]
 * (n of them, freed with sk_free) answers emails[i], each failing closed on its own.
 * SK_ERR_TOO_LARGE (nothing checked) beyond SK_GATE_MANY_MAX addresses. */
#define SK_GATE_MANY_MAX 10000
int sk_gate_check_many(struct sk_core *c, const char *const *emails, size_t n,
		       const char *purpose, int64_t now, struct sk_gate_result **out,
		       struct sk_errctx *err);

/* The contacts the gate may allow for purpose, read through the state index rather than by
 * asking the gate for every contact: for a basis whose rule allows only a given consent, the
 * contacts holding a state of purpose stored as given and not suppressed under their key,
 * with id > after ("" or NULL: from the start), in id order, at most limit, into out (each
 * state with its key); *n of them. A superset: the gate (sk_gate_check_candidate, or
 * sk_gate_check) still decides each one. For a basis that
 * allows without a consent (legitimate interest, contract, legal obligation) nothing is
 * listed and *all is 1: every contact is a candidate. SK_ERR_UNKNOWN_PURPOSE. */
struct sk_gate_candidate {
	struct sk_state_rec state;        /* as the walk read it: the contact is state.contact_id */
	uint8_t email_key[SK_HASH_LEN];   /* the key the state is stored under */
};
int sk_gate_candidates(struct sk_core *c, const char *purpose, const char *after, long limit,
		       struct sk_gate_candidate *out, size_t *n, int *all, struct sk_errctx *err);
/* sk_gate_check for one candidate, read by sk_gate_candidates in the same read snapshot
 * (between sk_core_read_begin and sk_core_read_end) and for the same purpose: the same answer,
 * without the gate's lookup when the address (the contact's email field) has the key the
 * candidate's state is stored under. Then the walk has already read that state and found the
 * key not suppressed; only the address's legacy keys (non-ASCII letters) are still asked of
 * the suppression list. Otherwise (another key) it is sk_gate_check. The rule is the same
 * function in both. canon (may be NULL; SK_EMAIL_MAX + 1 bytes) gets the address's canonical
 * form, "" when the address is invalid. */
void sk_gate_check_candidate(struct sk_core *c, const struct sk_gate_candidate *cand,
			     const char *email, const char *purpose, int64_t now,
			     struct sk_gate_result *out, char *canon);

/* ---- suppression ---- */
int sk_suppress(struct sk_core *c, const char *email, const char *reason, struct sk_errctx *err);
/* Lifts a suppression (the person asked to come back) and appends an "unsuppressed" change;
 * SK_ERR_NOT_FOUND when the address is not suppressed. */
int sk_unsuppress(struct sk_core *c, const char *email, struct sk_errctx *err);
/* *out = 1 when the address is on the suppression list. */
int sk_suppressed(struct sk_core *c, const char *email, int *out, struct sk_errctx *err);

/* ---- ledger integrity (core/ledger.c) ---- */

/* Computes the hash of ev (all fields but hash, prev_hash included) by its hash_version:
 * SK_LEDGER_HASH_SHA256 (events written before migration 7) or SK_LEDGER_HASH_BLAKE2B (the
 * current one, also for 0). */
void sk_ledger_hash(const struct sk_event_rec *ev, uint8_t out[SK_HASH_LEN]);
/* Walks the whole ledger. 0 when whole; SK_ERR_CHAIN_BROKEN with *bad_seq set to the first
 * sequence number that is missing, altered or out of order, or whose hash version is unknown
 * or lower than an earlier event's (no downgrade). *count gets the events read. */
int sk_audit_verify(struct sk_core *c, int64_t *bad_seq, int64_t *count, uint8_t head[SK_HASH_LEN],
		    struct sk_errctx *err);

/* An audit: the ledger chain and whether an erasure's scrub still waits. */
struct sk_audit {
	int broken;               /* the chain is broken at first_bad_seq */
	int64_t events;           /* events read */
	int64_t first_bad_seq;
	uint8_t head[SK_HASH_LEN]; /* the hash of the last event, when whole */
	int64_t scrub_since;      /* the oldest erasure whose scrub waits; 0: none */
};
/* Verifies the chain (sk_audit_verify) and reads the waiting scrub (sk_scrub_pending); with
 * retry_scrub, a waiting scrub is tried once first (sk_scrub_retry: the command line; in the
 * daemon its scrubber thread does that). A broken chain is a finding, not an error: out says
 * so and 0 is returned. */
int sk_audit(struct sk_core *c, int retry_scrub, struct sk_audit *out, struct sk_errctx *err);

/* One difference between the state the ledger implies and the stored state. */
struct sk_replay_diff {
	const char *contact_id;
	const char *purpose;
	enum sk_status stored;   /* SK_ST_MISSING when no state is stored; a stored word that is
				    no status reads as SK_ST_UNKNOWN */
	enum sk_status derived;  /* SK_ST_MISSING when the ledger implies none */
};
typedef int (*sk_replay_cb)(void *arg, const struct sk_replay_diff *d);

/* Rebuilds the state from the ledger, reports every difference through cb, and when write
 * is set replaces the stored state with the rebuilt one. *ndiff gets the number found. */
int sk_ledger_replay(struct sk_core *c, int write, sk_replay_cb cb, void *arg, long *ndiff,
		     struct sk_errctx *err);

/* ---- backup and restore (core/backup.c, docs/operations.md, 4) ---- */

/* What a backup says of itself (the meta rows samtycke backup wrote into it). */
struct sk_backup_info {
	int known;               /* it holds them (a copy made otherwise does not) */
	int64_t taken_at_ms;     /* when the backup began (Unix ms) */
	int64_t ledger_seq;      /* its ledger head: 0 when the ledger is empty */
	uint8_t ledger_head[SK_HASH_LEN];
};
/* Stores in the copy samtycke backup just wrote (opened with sk_store_open) the keyed MAC
 * of its whole content (meta SK_META_BACKUP_MAC; sk_vault_backup_mac). */
int sk_backup_seal(struct sk_vault *vault, struct sk_store *copy, struct sk_errctx *err);
/* A backup checked on its own, before anything of the target is touched: its schema is the
 * one the migrations make (sk_store_schema_check), its MAC verifies with vault's key
 * (CORRUPT: changed after it was made, or made with another key file), vault opens it (its
 * key check value), its ledger chain is whole and ends at the head it recorded, and its stored
 * state equals its ledger (the checks migrate makes of its copy). *out gets its meta rows.
 * CHAIN_BROKEN, STATE_MISMATCH, KEY, NOT_INITIALISED (no samtycke database). */
int sk_backup_check(struct sk_vault *vault, struct sk_store *copy, struct sk_backup_info *out,
		    struct sk_errctx *err);

/* What a replay of the erasure log did. */
struct sk_erasures_report {
	long entries;            /* entries at or after the time, read */
	long erased;             /* contacts the store still had, erased again */
	long suppressed;         /* suppressions put back */
	long unsuppressed;       /* suppressions lifted again */
	long bad_lines;          /* lines of the log that are no entry (skipped) */
	long unverified;         /* entries whose MAC does not verify (skipped; exit 3) */
	int scrub_pending;       /* a reader kept the scrub from completing */
};
/* Seconds before a backup's time from which its log entries are replayed: an erasure logs
 * before it commits, so one that committed after the backup's snapshot began may have logged
 * a moment before; replaying in order what the backup already holds changes nothing. */
#define SK_ERASURES_SLACK_MS 60000
/* Does again, in the log's order, every entry of the erasure log at path (store/erasures.c)
 * with a time at or after since_ms: an erasure erases the contact if the store has it (the
 * erasure's own code, as sk_forget) and puts its suppression back; a suppression is put back;
 * an unsuppression lifted again. Idempotent; each entry in its own transaction; nothing is
 * appended to the log. IO when the log cannot be read. */
int sk_erasures_replay(struct sk_core *c, const char *path, int64_t since_ms,
		       struct sk_erasures_report *out, struct sk_errctx *err);

/* ---- moving a store (core/migrate.c, docs/migrate.md) ---- */

#define SK_MIGRATE_MAX_TABLES 32
struct sk_migrate_result {
	int ntables;
	const char *table[SK_MIGRATE_MAX_TABLES]; /* sk_store_tables' names, in its order */
	int64_t rows[SK_MIGRATE_MAX_TABLES];      /* rows copied per table */
	int64_t total;
	int64_t ledger_seq;                       /* the ledger's head: 0 when it is empty */
	uint8_t ledger_head[SK_HASH_LEN];
	int verified;                             /* the copy passed its checks and committed */
};
/* Called every progress_every rows copied: the table being copied and the rows so far. */
typedef void (*sk_migrate_progress_fn)(void *arg, const char *table, int64_t total);
/* Copies every row of from's store, as stored (ledger hashes, sealed fields, wrapped data
 * keys, cursors, meta), into to, a new store of any backend: one read snapshot of the
 * source, one write transaction on the target, each table of sk_store_tables in order
 * (rows_each -> rows_put). Before it commits, the copy is checked: the vault opens it
 * (sk_core_open), its chain is whole and ends at the source's head, and its state equals
 * what its ledger replays to. to must hold no row (SK_ERR_EXISTS, nothing written). Any
 * failure rolls the target back; err's message starts with "source:" or "target:". */
int sk_migrate(struct sk_core *from, struct sk_store *to, long progress_every,
	       sk_migrate_progress_fn progress, void *parg, struct sk_migrate_result *out,
	       struct sk_errctx *err);

/* ---- notices and the change feed ---- */

/* The notice of purpose in lang at version (0: current); text valid until the next call. */
int sk_notice_get(struct sk_core *c, const char *purpose, int version, const char *lang,
		  struct sk_notice_rec *out, struct sk_errctx *err);
/* Changes with seq > after, in order, at most limit (limit <= 0: all). */
int sk_changes(struct sk_core *c, int64_t after, long limit, sk_change_fn cb, void *arg,
	       struct sk_errctx *err);

/* ---- API keys (core/keys.c) ---- */

#define SK_KEY_STRLEN 96 /* "k_<24>.<64 hex>" plus NUL, with room */

/* A new key with a name unique among active keys and a comma-separated set of scopes out of
 * read, write, dsr, admin, metrics. The key is written to outkey and never stored: only its hash. */
int sk_key_create(struct sk_core *c, const char *name, const char *scopes,
		  char outkey[SK_KEY_STRLEN], struct sk_errctx *err);
/* The active key that key belongs to; SK_ERR_UNAUTHORIZED for anything else. The secret is
 * compared in constant time, and an unknown id costs the same comparison. */
int sk_key_authenticate(struct sk_core *c, const char *key, struct sk_key_rec *out,
			struct sk_errctx *err);
int sk_key_has_scope(const struct sk_key_rec *k, const char *scope);
int sk_key_revoke(struct sk_core *c, const char *name, struct sk_errctx *err);
int sk_key_list(struct sk_core *c, sk_key_cb cb, void *arg, struct sk_errctx *err);

/* ---- staff: the console's users, roles, sessions and audit trail (core/staff.c,
 * docs/console.md) ---- */

/* The roles, weakest first; each holds every scope of the ones before it. A role's scopes are
 * those an API key needs to sign in as it: X(NAME, name, scopes). */
#define SK_ROLE_LIST(X)                               \
	X(VIEWER, "viewer", "read")                   \
	X(MARKETER, "marketer", "read,write")         \
	X(DPO, "dpo", "read,write,dsr")               \
	X(ADMIN, "admin", "read,write,dsr,admin")
#define SK__ROLE_ENUM(n, s, sc) SK_ROLE_##n,
enum sk_role { SK_ROLE_LIST(SK__ROLE_ENUM) SK_ROLE_COUNT };
#undef SK__ROLE_ENUM
const char *sk_role_name(enum sk_role r);
/* The role named s; -1 when none. */
int sk_role_parse(const char *s);

/* What a role may do in the console: X(NAME, name, lowest role that may). The matrix is
 * docs/console.md's table; the console shows a link or button only when the role may use it,
 * and every route checks again. */
#define SK_CAN_LIST(X)                                                                    \
	X(VIEW, "view", VIEWER)            /* overview, purposes and notices, audience counts */ \
	X(FIND, "find", VIEWER)            /* find a person: fields, states, evidence summary */ \
	X(RECORD, "record", MARKETER)      /* record a consent by phone or paper; withdraw */ \
	X(RECTIFY, "rectify", MARKETER)    /* correct a field */                          \
	X(LINK, "link", MARKETER)          /* send a preference-centre link */            \
	X(IMPORT, "import", MARKETER)      /* dry runs and imports */                     \
	X(AUDIENCE, "audience", MARKETER)  /* export a purpose's allowed list */          \
	X(EVIDENCE, "evidence", DPO)       /* full evidence, notice texts, history, receipts */ \
	X(EXPORT, "export", DPO)           /* Art. 15/20 access export */                 \
	X(ERASE, "erase", DPO)             /* Art. 17 erasure */                          \
	X(RETENTION, "retention", DPO)     /* the purge report and running it */          \
	X(AUDIT, "audit", DPO)             /* read and export the staff audit trail */    \
	X(ADMIN, "admin", ADMIN)           /* webhooks, API keys, staff users */
#define SK__CAN_ENUM(n, s, r) SK_CAN_##n,
enum sk_can { SK_CAN_LIST(SK__CAN_ENUM) SK_CAN_COUNT };
#undef SK__CAN_ENUM
const char *sk_can_name(enum sk_can what);
/* 1 when role may do what. */
int sk_role_may(enum sk_role role, enum sk_can what);

/* A signed-in staff member: a user of the console, or an API key that signed in. */
struct sk_staff {
	char name[64];       /* the user's name; "key:KEYNAME" for an API key */
	enum sk_role role;
	char session_id[SK_ID_LEN + 1]; /* the session's id (never its secret) */
};

#define SK_SESSION_STRLEN 96   /* a session's cookie value, with its NUL, with room */
#define SK_CSRF_STRLEN 72      /* a CSRF token, with its NUL, with room */
#define SK_STAFF_PASSWORD_MIN 12 /* characters of a password, at least */

/* The actor that ledger events and rectifications record for a staff action:
 * "staff:NAME". */
void sk_staff_actor(const struct sk_staff *who, char *out, size_t outlen);

/* Audits one staff action inside the caller's batch (so that the action and its audit row
 * commit together): who, the action's name (a constant: "consent.record", "contact.erase",
 * "import.run", ...), its target (a contact id, purpose, key or endpoint name; never an
 * address) and an optional detail (a short constant text or counts; never personal data).
 * Reads of personal data are audited too ("contact.view", "contact.export"). */
int sk_staff_audit(struct sk_core *c, const struct sk_staff *who, const char *action,
		   const char *target, const char *detail, struct sk_errctx *err);

/* Users, sign-in, sessions and the CSRF token (core/staff.c, docs/console.md, "Signing in
 * and sessions"). A user's name is 1 to 63 letters, digits, '_', '.', '-' or '@'. */
#define SK_STAFF_LOCK_AFTER 5            /* failed sign-ins in a row that lock a user */
#define SK_STAFF_LOCK_SECONDS (15 * 60)  /* for this long */
#define SK_STAFF_IDLE_DEFAULT (30 * 60)  /* a session unused this long ends (serve's
					  * --console-idle-minutes) */
#define SK_STAFF_ABSOLUTE_DEFAULT (12 * 3600) /* and any session this long after sign-in
					       * (--console-session-hours) */
#define SK_STAFF_TOUCH_SECONDS 30        /* last_seen is written at most this often */

/* How long sessions last: seconds (0: the defaults above). */
struct sk_session_opts {
	int64_t idle;
	int64_t absolute;
};

/* A user as listed (never the hash). */
struct sk_staff_user {
	char name[64];
	enum sk_role role;
	int64_t created_at;
	int disabled;
	int failed;
	int64_t locked_until;
};
typedef int (*sk_staff_user_cb)(void *arg, const struct sk_staff_user *u);

/* Changes to users, each audited (by: who did it; NULL: the command line, audited as
 * "cli"). password: at least SK_STAFF_PASSWORD_MIN characters. add: EXISTS on a taken
 * name or one that differs from an existing name only in ASCII letter case, INVALID on the
 * reserved "cli" in any case; the others NOT_FOUND on an unknown one. passwd and disable
 * delete every session of the user in the same transaction as the change; unlock clears a
 * lock-out and the count of failures. */
int sk_staff_add(struct sk_core *c, const struct sk_staff *by, const char *name,
		 enum sk_role role, const char *password, struct sk_errctx *err);
int sk_staff_passwd(struct sk_core *c, const struct sk_staff *by, const char *name,
		    const char *password, struct sk_errctx *err);
int sk_staff_disable(struct sk_core *c, const struct sk_staff *by, const char *name,
		     struct sk_errctx *err);
int sk_staff_unlock(struct sk_core *c, const struct sk_staff *by, const char *name,
		    struct sk_errctx *err);
int sk_staff_list(struct sk_core *c, sk_staff_user_cb cb, void *arg, struct sk_errctx *err);
/* A new strong password (24 characters from an unambiguous alphabet) into out (>= 25). */
int sk_staff_password_new(char *out, size_t outlen);

/* Signs in by name and password: a new session into *out and its cookie value (the session's
 * id and secret) into cookie. An unknown name, a wrong password, a disabled user and a
 * locked one all answer SK_ERR_UNAUTHORIZED with one message, after the same work (an
 * unknown name is verified against a dummy hash). Each failure for a known user counts; the
 * SK_STAFF_LOCK_AFTER-th in a row locks it for SK_STAFF_LOCK_SECONDS. Audited:
 * "sign_in", "sign_in.failed", "sign_in.locked" (never the name typed when it is unknown). */
int sk_staff_sign_in(struct sk_core *c, const char *name, const char *password,
		     const struct sk_session_opts *o, struct sk_staff *out,
		     char cookie[SK_SESSION_STRLEN], struct sk_errctx *err);
/* Signs in with an API key (sk_key_authenticate): as the highest role whose scopes
 * (SK_ROLE_LIST) it holds all of; a key without read: SK_ERR_FORBIDDEN. The session ends
 * when the key is revoked. Audited as "key:NAME". */
int sk_staff_sign_in_key(struct sk_core *c, const char *key, const struct sk_session_opts *o,
			 struct sk_staff *out, char cookie[SK_SESSION_STRLEN],
			 struct sk_errctx *err);
/* The session of a cookie value: 0 with *out and its CSRF token, or SK_ERR_UNAUTHORIZED
 * (none, unknown, wrong secret, idle or past its absolute end, its user disabled or its key
 * revoked). Notes the use (last_seen) at most every SK_STAFF_TOUCH_SECONDS, outside any
 * transaction of the caller's: call it outside one. */
int sk_staff_session_check(struct sk_core *c, const char *cookie, const struct sk_session_opts *o,
			   struct sk_staff *out, char csrf[SK_CSRF_STRLEN], struct sk_errctx *err);
/* Ends who's session (audited "sign_out"). */
int sk_staff_sign_out(struct sk_core *c, const struct sk_staff *who, struct sk_errctx *err);
/* The CSRF token of a session: a keyed hash (the vault's) of its id, in hex. */
void sk_staff_csrf(struct sk_core *c, const char *session_id, char out[SK_CSRF_STRLEN]);
/* 1 when token is who's session's CSRF token (compared in constant time). */
int sk_staff_csrf_ok(struct sk_core *c, const struct sk_staff *who, const char *token);

/* The audit trail, newest first: rows with seq < before (0: from the newest), at most
 * limit (<= 0: all of it, for the export). */
int sk_staff_audit_read(struct sk_core *c, int64_t before, long limit, sk_staff_audit_cb cb,
			void *arg, struct sk_errctx *err);

/* ---- the console's pages' questions (the overview, audiences, ...: one section per page
 * file in core, each declared below its own heading) ---- */

/* ---- campaign audiences (core/audience.c; docs/console.md, "Audiences") ---- */

/* How many contacts the gate allows for one purpose at one moment, and why the others are
 * excluded: every contact asked, one read snapshot. */
struct sk_audience {
	int64_t at;                     /* the moment the gate was asked at */
	long contacts;                  /* contacts asked about */
	long allowed;                   /* of them, allowed */
	long by_reason[SK_NREASONS];    /* the gate's answers by reason (sk_reason_name), the
					   allowed reasons included; "error" fails closed */
	long segment;                   /* allowed by the gate but outside the visitor's
					   segment (sk_audience_walk); not in allowed */
};
/* The audience of purpose at now. SK_ERR_UNKNOWN_PURPOSE when the policy has no such
 * purpose; *out is filled only when 0 is returned. */
int sk_audience(struct sk_core *c, const char *purpose, int64_t now, struct sk_audience *out,
		struct sk_errctx *err);
/* The same walk (one read snapshot), with visit (may be NULL) called for every contact the
 * gate allows, with its fields, address and the gate's answer: it returns 0 to keep the
 * contact in the audience, SK_AUDIENCE_OUTSIDE when it is outside a segment (counted in
 * segment, not in allowed), or an error code (SK_ERR_*), which stops the walk and is
 * returned. Campaigns
 * (core/campaign.c) use it for their preview and to choose whom to queue. */
#define SK_AUDIENCE_OUTSIDE (-1)
typedef int (*sk_audience_visit)(void *arg, const struct sk_contact *ct, const char *email,
				 const struct sk_gate_result *g);
int sk_audience_walk(struct sk_core *c, const char *purpose, int64_t now, sk_audience_visit visit,
		     void *arg, struct sk_audience *out, struct sk_errctx *err);
/* ---- the console's overview and purposes pages (core/overview.c, core/textdiff.c;
 * docs/console.md, "The overview" and "Purposes and notices") ---- */

/* The last `audit verify` (the command line's, GET /v1/audit/verify's, the console's, the
 * server's at start), as recorded in the store's meta table. */
struct sk_audit_last {
	int64_t at;               /* when it ran; 0: never run (or never recorded) */
	int64_t events;           /* events it read */
	int64_t first_bad_seq;    /* 0: the chain was whole */
};
/* Records what an audit found (sk_audit, sk_audit_verify) at time at; outside a snapshot
 * (a write of its own). sk_audit_last reads it (out->at 0 when none is recorded). */
int sk_audit_record(struct sk_core *c, const struct sk_audit *a, int64_t at,
		    struct sk_errctx *err);
int sk_audit_last(struct sk_core *c, struct sk_audit_last *out, struct sk_errctx *err);

/* The overview's columns per purpose: what the gate answers now for the contacts that hold
 * a state of it, by the gate's own rule. X(NAME, name). */
#define SK_OV_COUNT_LIST(X)         \
	X(ALLOWED, "allowed")       \
	X(WITHDRAWN, "withdrawn")   \
	X(REFUSED, "refused")       \
	X(EXPIRED, "expired")       \
	X(PENDING, "pending")       \
	X(UNVERIFIED, "unverified") \
	X(SUPPRESSED, "suppressed")
enum sk_ov_count {
#define SK__OV_ENUM(n, s) SK_OV_##n,
	SK_OV_COUNT_LIST(SK__OV_ENUM)
#undef SK__OV_ENUM
	SK_OV_NCOUNTS
};
const char *sk_ov_count_name(enum sk_ov_count i);

struct sk_overview_purpose {
	const struct sk_purpose *purpose; /* the core's policy: valid until it reloads it */
	int64_t n[SK_OV_NCOUNTS];
	int64_t requests;         /* unconfirmed form requests naming it (not yet a state) */
};
#define SK_OV_WEEKS 12
#define SK_OV_WEEK (7 * 86400)
struct sk_overview_supp {
	char reason[SK_PURPOSE_MAX];
	int64_t n;
};
/* Everything the overview shows: counts and states of the system, never a person. */
struct sk_overview {
	int64_t now;
	const struct sk_policy *policy;   /* NULL when none is applied */
	int policy_version;
	struct sk_overview_purpose *purposes; /* owned: one per purpose, in policy order */
	size_t npurposes;
	/* gives (a consent that took effect: a give that needs no confirmation and is no
	 * unverified claim, or a confirmation) and withdrawals per week, oldest first: week i
	 * starts at week_start[i] (Monday 00:00 UTC), the last is the week of now */
	int64_t week_start[SK_OV_WEEKS];
	int64_t gives[SK_OV_WEEKS];
	int64_t withdrawals[SK_OV_WEEKS];
	int64_t ledger_seq;               /* the ledger's head: 0 when empty */
	uint8_t ledger_head[SK_HASH_LEN];
	struct sk_audit_last verify;
	struct sk_webhook_info *webhooks; /* owned */
	size_t nwebhooks;
	int64_t outbox_waiting;           /* neither sent nor given up */
	int64_t outbox_oldest;            /* created_at of the oldest waiting; 0: none */
	int64_t outbox_failed;            /* given up, not yet purged */
	struct sk_overview_supp *supp;    /* owned, by reason */
	size_t nsupp;
};
void sk_overview_reset(struct sk_overview *o);
/* The overview at now, read in one snapshot. *out is filled (and to be reset by the caller)
 * only when 0 is returned. */
int sk_overview(struct sk_core *c, int64_t now, struct sk_overview *out, struct sk_errctx *err);

/* What GET /metrics reads from the store when it is scraped (docs/operations.md, "Metrics
 * and logs"): counts, sequence numbers, times and sizes, never a row about a person. */
struct sk_health {
	int64_t ledger_seq;               /* the ledger's head: 0 when empty */
	struct sk_audit_last verify;      /* the last audit verify recorded */
	struct sk_webhook_info *webhooks; /* owned: the enabled endpoints, with pending (counted
					   * in the first SK_HEALTH_PENDING_MAX changes after
					   * the cursor) and its oldest */
	size_t nwebhooks;
	int64_t outbox_waiting;           /* mails neither sent nor given up */
	int64_t outbox_oldest;            /* created_at of the oldest waiting; 0: none */
	int64_t outbox_failed;            /* given up, not yet purged */
	int64_t db_bytes;                 /* the database's size (store method db_size) */
};
#define SK_HEALTH_PENDING_MAX 10000L /* changes read per endpoint at most, in sk_health */
void sk_health_reset(struct sk_health *h);
/* The figures above, read in one snapshot. *out is filled (and to be reset by the caller)
 * only when 0 is returned. */
int sk_health(struct sk_core *c, struct sk_health *out, struct sk_errctx *err);

/* A word diff: a text as a list of runs of words (with the spaces after them) that are in
 * both versions, only in the old one or only in the new one. */
enum sk_diff_op { SK_DIFF_SAME, SK_DIFF_DEL, SK_DIFF_INS };
struct sk_diff_run {
	enum sk_diff_op op;
	const char *p;   /* into the old text (SAME, DEL) or the new one (INS) */
	size_t len;
};
#define SK_DIFF_MAX_WORDS 2000 /* past this in either text: one DEL and one INS of the whole */
/* The runs that turn a into b, in order (a longest common subsequence of words; words are
 * split at ASCII white space, which stays with the word before it). *out (sk_free) holds
 * *n runs pointing into a and b. */
int sk_word_diff(const char *a, const char *b, struct sk_diff_run **out, size_t *n,
		 struct sk_errctx *err);

/* A notice's versions: one per version of the purpose's notice, oldest first, with its
 * text in each language and when it was stored (the policy apply that made it). */
struct sk_notice_version {
	int version;
	int64_t since;                 /* created_at of the version */
	char *text[SK_NLANG];          /* owned; NULL when that language is not stored */
};
struct sk_notice_history {
	char purpose[SK_PURPOSE_MAX];
	struct sk_notice_version *v;   /* owned */
	size_t nv;
};
void sk_notice_history_reset(struct sk_notice_history *h);
/* Every stored version of purpose's notice. */
int sk_notice_history(struct sk_core *c, const char *purpose, struct sk_notice_history *out,
		      struct sk_errctx *err);

/* The policy lint: the checks `policy apply` makes, run again with today's rules on the
 * applied policy as stored (an older samtycke may have applied it before a rule existed).
 * ok 1 when it passes them all; otherwise finding holds what apply would say now. */
struct sk_policy_lint {
	int version;                   /* the applied policy's; 0: none applied */
	int64_t applied_at;
	int ok;
	char finding[1024];
};
int sk_policy_lint(struct sk_core *c, struct sk_policy_lint *out, struct sk_errctx *err);
/* ---- find a person and act on them (core/person.c; docs/console.md, "Finding a person").
 * Every function takes who is acting and audits what it did with sk_staff_audit in the same
 * transaction as the action (or the read), so that neither is stored without the other. ---- */

/* The contact id of an address, canonicalised as everywhere (sk_contact_find). Not found:
 * SK_ERR_NOT_FOUND, and *suppressed (may be NULL) says whether the address is on the
 * suppression list (staff may know that; the public never learns it). Every lookup is in the
 * audit trail ("contact.find": the id found or none, and found, none or suppressed). */
struct sk_consent_receipt;
int sk_person_find(struct sk_core *c, const struct sk_staff *who, const char *email,
		   char outid[SK_ID_LEN + 1], int *suppressed, struct sk_errctx *err);

/* One purpose of the policy as the person's page shows it. */
struct sk_person_purpose {
	const struct sk_purpose *purpose;  /* the core's policy */
	struct sk_gate_result gate;        /* the gate's answer at the view's time */
	enum sk_status status;             /* SK_ST_UNKNOWN when nothing is recorded */
	int has_event;                     /* event is the one the state rests on */
	struct sk_consent_event event;
	/* the full view only (SK_CAN_EVIDENCE), else NULL / seq 0: */
	char *notice_text;                 /* owned: the notice text shown (event's version) */
	char *evidence_json;               /* owned: the event's sealed evidence, opened */
	struct sk_consent_event given;     /* the give before a confirm (seq 0 when none) */
	char *given_evidence_json;         /* owned */
};
/* What the console shows of one person. */
struct sk_person_view {
	int64_t at;                        /* the moment read; statuses are at this time */
	int full;                          /* the viewer's role may see the full evidence */
	int suppressed;                    /* the address is on the suppression list */
	struct sk_contact contact;         /* fields opened; email first */
	struct sk_person_purpose *purposes; /* owned: every purpose of the policy, in order */
	size_t npurposes;
	struct sk_consent_event *history;  /* owned: the full view only; newest first */
	size_t nhistory;
};
void sk_person_view_reset(struct sk_person_view *v);
/* The person with contact id at now, as who's role may see it: the summary for every role
 * that may find, and for SK_CAN_EVIDENCE the sealed evidence, the notice texts and the
 * history (for the others they are not even read). Audited "contact.view". An unknown or
 * erased id: SK_ERR_NOT_FOUND (nothing audited). */
int sk_person_view(struct sk_core *c, const struct sk_staff *who, const char *id, int64_t now,
		   struct sk_person_view *out, struct sk_errctx *err);

/* A consent the person gave or refused by phone or on paper, or a withdrawal they asked
 * for, recorded by staff (SK_CAN_RECORD). */
struct sk_person_consent {
	const char *purpose;
	enum sk_action action;             /* give, refuse or withdraw */
	const char *method;                /* "phone" or "paper" */
	int64_t occurred_at;               /* when the person said it; 0: now; never later */
	int notice_version;                /* the version the person was told; 0: current */
	const char *lang;                  /* the notice's language: "sv" or "en" */
	const char *reference;             /* a call id or a scanned form's id; required for
					      give and refuse, optional for a withdrawal */
	const char *note;                  /* free text, sealed with the evidence; may be NULL */
};
/* Records it: a ledger event with the method, the actor sk_staff_actor(who), the source
 * "console" and sealed evidence (taken_by, reference, note, the notice version told). A give
 * of a double opt-in purpose is pending until the person confirms it: a preference-centre
 * link is mailed to the address on file (outbox "preflink:LANG"), where giving it confirms
 * it; *mailed (may be NULL) says so. A give for a suppressed address is SK_ERR_SUPPRESSED.
 * Audited "consent.record" (or "consent.withdraw"), target the contact id, detail the
 * purpose. out (may be NULL) gets the event. */
int sk_person_record(struct sk_core *c, const struct sk_staff *who, const char *id,
		     const struct sk_person_consent *in, int64_t now,
		     struct sk_consent_event *out, int *mailed, struct sk_errctx *err);
/* Corrects one declared field (not the address: SK_ERR_INVALID) of contact id with
 * sk_contact_edit, the rectification naming sk_staff_actor(who). Audited "contact.rectify",
 * detail the field's name (never its value). */
int sk_person_rectify(struct sk_core *c, const struct sk_staff *who, const char *id,
		      const char *field, const char *value, struct sk_errctx *err);
/* Queues a mail with a fresh preference-centre link (SK_PREF_VIA_MAIL, minted when the mail
 * is built) to the address on file, in lang; the link is never shown to staff. A suppressed
 * address gets none (SK_ERR_SUPPRESSED). Audited "contact.link". */
int sk_person_link(struct sk_core *c, const struct sk_staff *who, const char *id,
		   const char *lang, int64_t now, struct sk_errctx *err);
/* The access export (sk_export) of contact id, audited "contact.export". */
int sk_person_export(struct sk_core *c, const struct sk_staff *who, const char *id,
		     const char *lang, struct sk_access_export *out, struct sk_errctx *err);
/* The short code that confirms an erasure instead of the address: the last 6 characters of
 * the contact id, upper-cased. */
void sk_person_erase_code(const char *id, char out[8]);
/* Erases contact id (as sk_forget) once confirm is its address (any variant that
 * canonicalises the same) or sk_person_erase_code; anything else is SK_ERR_INVALID and
 * erases nothing. The erasure and its audit row ("contact.erase", target the contact id)
 * commit together; the scrub follows. */
int sk_person_erase(struct sk_core *c, const struct sk_staff *who, const char *id,
		    const char *confirm, struct sk_erasure_receipt *out, struct sk_errctx *err);
/* The Kantara receipt of ledger event event_id (sk_receipt), audited "contact.receipt"
 * (target the event's contact id, detail the event id). */
int sk_person_receipt(struct sk_core *c, const struct sk_staff *who, const char *event_id,
		      struct sk_consent_receipt *out, struct sk_errctx *err);

/* ---- idempotent requests (core/idempotency.c) ---- */

#define SK_IDEM_TTL (24 * 3600)

/* An answer as the adapter sends it: its status and body. */
struct sk_answer {
	int status;
	char *body;      /* owned (sk_malloc) */
};
/* Writes the answer of a request: *status and *body (valid until sk_idem_run returns). */
typedef int (*sk_idem_fn)(void *arg, int *status, const char **body);

/* Runs fn, honouring an Idempotency-Key. With idem_key NULL, fn just runs. With one (1 to
 * 255 printable ASCII bytes, else SK_ERR_INVALID), fn runs in one transaction: a retry of
 * the same request (request, len: its bytes as the adapter hashes them, e.g. method, route
 * and body) by the same API key within SK_IDEM_TTL gets the first answer in *replay (status
 * nonzero; the caller frees body) and fn is not called; the same key with another request
 * is SK_ERR_IDEMPOTENCY_MISMATCH; otherwise fn runs and, when it succeeds with a status
 * below 300, its answer is saved with its writes, so that neither outlives the other. */
int sk_idem_run(struct sk_core *c, const char *key_id, const char *idem_key, const void *request,
		size_t len, sk_idem_fn fn, void *arg, struct sk_answer *replay,
		struct sk_errctx *err);

/* ---- consent receipts (core/receipt.c) ---- */

/* What a receipt says about the consent, decided by core from the event (render/receipt.c
 * words it as consentType and termination; docs/rights.md has the table). */
enum sk_receipt_terms {
	SK_TERMS_GIVEN,      /* give or confirm: in force until valid_until or a withdrawal */
	SK_TERMS_PENDING,    /* a give waiting for its double opt-in confirmation */
	SK_TERMS_REFUSED,    /* refuse: never given */
	SK_TERMS_WITHDRAWN,  /* withdraw: ended at consent_at */
	SK_TERMS_EXPIRED,    /* expire: its validity ran out at consent_at */
	SK_TERMS_UNVERIFIED, /* a give claimed without evidence (SK_EV_UNVERIFIED): not relied on */
};
/* Kantara CR v1.1's categories (its appendices): the purpose category of each purpose kind
 * and the PII category of each field type, one table each in core/receipt.c. */
const char *sk_kind_purpose_category(enum sk_kind k);
const char *sk_field_pii_category(enum sk_field_type t);
#define SK_RECEIPT_PII_MAX 8

/* What a Kantara Consent Receipt v1.1 says about one ledger event (render/receipt.c gives
 * its JSON): the event, the controller and the purpose from the applied policy, and nothing
 * personal but the contact's opaque id. */
struct sk_consent_receipt {
	char event_id[SK_ID_LEN + 1];
	char contact_id[SK_ID_LEN + 1];
	char lang[8];                  /* the event's language, as stored */
	int text_lang;                 /* SK_LANG_* for the purpose's texts (en when unknown) */
	enum sk_action action;
	enum sk_receipt_terms terms;
	/* consentTimestamp: when the event happened; for an unverified give the time the import
	 * claimed, else 0 (none known: never the time it was recorded; docs/rights.md) */
	int64_t consent_at;
	int64_t recorded_at;           /* when samtycke recorded the event */
	int64_t valid_until;           /* 0: until withdrawn */
	char method[32];
	const char *method_phrase;     /* SK_METHOD_LIST's phrase (core/vocab.h) */
	char source[256];              /* stripped of a page's query (docs/rights.md) */
	char purpose_id[SK_PURPOSE_MAX];
	const struct sk_purpose *purpose; /* NULL when no longer in the policy */
	const char *purpose_category;  /* sk_kind_purpose_category; NULL without a purpose */
	/* the PII categories of the purpose's fields (and of what its kind records), each once,
	 * in Kantara's order; none without a purpose */
	const char *pii_categories[SK_RECEIPT_PII_MAX];
	size_t npii;
	const struct sk_policy *policy; /* the core's: valid until it reloads its policy */
};
/* The receipt for ledger event event_id: any event, so also the refusal, the withdrawal
 * and the expiry that end a consent. */
int sk_receipt(struct sk_core *c, const char *event_id, struct sk_consent_receipt *out,
	       struct sk_errctx *err);

/* The notice of a purpose at one version in every language, for the purpose list. */
struct sk_notice_set {
	int version;
	char *text[SK_NLANG];          /* owned */
	uint8_t sha256[SK_NLANG][SK_HASH_LEN];
};
/* The stored notice of every purpose of the applied policy at its current version, one set
 * per purpose in policy order; freed with sk_notice_sets_free(*out, npurposes). */
int sk_policy_notices(struct sk_core *c, struct sk_notice_set **out, struct sk_errctx *err);
void sk_notice_sets_free(struct sk_notice_set *n, size_t count);

/* ---- marketing under consent (issue 16; docs/marketing.md): the banner and visitors, web
 * and mail tracking, lead scoring, campaigns, UTM links. Each function asks the gate (or,
 * for an anonymous visitor, the visitor's own banner answer) itself; none acts without the
 * consent it needs. ---- */

/* The purposes the marketing functions ask for, by fixed id (docs/marketing.md). A policy
 * without one of them leaves what it governs off: the gate answers unknown_purpose, which
 * denies.
 * - ip_tracking: the full IP address of a visit is stored, and looked up in the company
 *   ranges; without it the address is truncated (IPv4 /24, IPv6 /48) before anything is
 *   written, and no company is looked up.
 * - lead_scoring: tracking events are attached to a person's profile (and scored); mails to
 *   the person carry an open pixel and per-person click links. Without it neither.
 * - sales_followup: a score leaves samtycke (the score.changed webhook, an export column). */
#define SK_PURPOSE_IP_TRACKING "ip_tracking"
#define SK_PURPOSE_LEAD_SCORING "lead_scoring"
#define SK_PURPOSE_SALES_FOLLOWUP "sales_followup"

/* -- visitors and the banner (core/visitor.c; docs/banner.md) -- */

/* An anonymous visitor of the web site, known by a pseudonymous random id ("v_" + 24 base32,
 * sk_id_new), which the banner script keeps in the browser. */

/* *given = 1 when purpose may be used for visitor_id at now: for a visitor tied to a
 * contact, the gate's answer for that contact (which the banner's answer was carried to),
 * unless the browser refused or withdrew it on the banner after the contact's own last
 * event for it (an answer of a tied browser is not carried until it is identified again,
 * but it is honoured for the browser at once); otherwise the visitor's own last banner answer for it (a give not since refused or
 * withdrawn, within the purpose's validity). An unknown visitor or purpose: 0. Fails closed:
 * on any error *given is 0 and the error is returned. */
int sk_visitor_given(struct sk_core *c, const char *visitor_id, const char *purpose,
		     int64_t now, int *given, struct sk_errctx *err);
/* The contact visitor_id is tied to (SK_ID_LEN + 1 bytes), "" when none. */
int sk_visitor_contact(struct sk_core *c, const char *visitor_id, char *contact_id,
		       struct sk_errctx *err);
/* A signed, expiring token (vault tag SK_VISITOR_TAG) that ties a browser's visitor to
 * contact_id: put into a tracked mail link's target (in the URL's fragment, never in a UTM
 * value), and read by the banner script, which hands it to POST /v/identify. */
#define SK_VISITOR_TAG "vid"
/* Short-lived: the script reads it on the landing page at once; a link kept or shared later
 * ties nothing (the mail's click token lasts SK_CAMPAIGN_TOKEN_DAYS, this one does not). */
#define SK_VISITOR_TOKEN_MINUTES 30
int sk_visitor_token(struct sk_core *c, const char *contact_id, int64_t now,
		     char token[SK_PREF_LINK_MAX], struct sk_errctx *err);

/* The banner's buttons, fixed per language (a part of its version). */
enum sk_banner_label {
	SK_BANNER_ACCEPT,   /* "Accept all" */
	SK_BANNER_REJECT,   /* "Reject all" */
	SK_BANNER_CHOOSE,   /* "Choose" */
	SK_BANNER_SAVE,     /* "Save my choice" */
	SK_BANNER_REOPEN,   /* the persistent link: "Cookie and tracking choices" */
	SK_BANNER_NLABEL
};
const char *sk_banner_label(int lang, enum sk_banner_label which);
/* The banner's version in lang (enum sk_lang): the hex SHA-256 of its texts in that
 * language (title, intro, button labels, and per purpose its id, title, notice version and
 * the SHA-256 of its notice text). A changed text makes a new version. SK_ERR_NOT_FOUND
 * when the policy has no banner. out has SK_BANNER_VERSION_LEN + 1 bytes. */
int sk_banner_version(struct sk_core *c, int lang, char *out, struct sk_errctx *err);

/* What /c.js is made of: the applied policy's banner (its texts, purposes and notices) and
 * its version in each language. SK_ERR_NOT_FOUND when the policy has no banner. */
struct sk_banner_view {
	const struct sk_policy *policy;   /* the core's: valid until it reloads its policy */
	char version[SK_NLANG][SK_BANNER_VERSION_LEN + 1];
};
int sk_banner_view(struct sk_core *c, struct sk_banner_view *out, struct sk_errctx *err);

/* One choice of an answer: purpose given (1) or not (0). */
struct sk_visitor_choice {
	const char *purpose;
	int give;
};
#define SK_VISITOR_MAX_CHOICES 8
/* A banner answer as the script posts it. */
struct sk_visitor_answer_in {
	const char *visitor_id;        /* NULL or "": a first answer; a visitor id is minted */
	const char *lang;              /* "sv" or "en" */
	const char *version;           /* the banner version shown (sk_banner_version) */
	const struct sk_visitor_choice *choices;
	size_t nchoices;
	const char *page;              /* the page's URL; kept without its query or fragment */
	const char *signal;            /* "click" or "gpc" (gpc: every choice a refusal) */
	const char *user_agent;        /* reduced to sk_ua_class; may be NULL */
};
/* Records an answer: one append-only row per choice (give; refuse, or withdraw when the
 * visitor's last answer for it was a give), with the banner version, the purpose's notice
 * version and text hash, language, page, signal and user-agent class. Checks first and
 * stores nothing on any error (SK_ERR_INVALID naming the field): each purpose one the
 * banner asks for, once; the version the current one for the language (else "version: the
 * banner has changed"); a known visitor_id (an unknown one: SK_ERR_NOT_FOUND). The post is
 * anonymous: even for a visitor tied to a contact nothing of the contact changes (the next
 * identification carries it); sk_visitor_given honours a refusal for the browser at once.
 * out_id (SK_ID_LEN + 1 bytes) gets the visitor id. */
int sk_visitor_answer(struct sk_core *c, const struct sk_visitor_answer_in *in, int64_t now,
		      char *out_id, struct sk_errctx *err);
/* Ties visitor_id to contact_id and carries each of its current answers (the last per
 * purpose) to the contact's ledger with sk_consent_record: method banner, the answer's own
 * time as occurred_at, its notice version, source "banner:" + the version's first 12 hex
 * digits, sealed evidence. A contact's own event for that purpose at or after the answer's
 * time wins: that answer is not carried. A give to a suppressed address is not carried.
 * SK_ERR_NOT_FOUND for an unknown visitor or contact. *carried (may be NULL) counts the
 * events recorded. */
int sk_visitor_identify(struct sk_core *c, const char *visitor_id, const char *contact_id,
			int64_t now, int *carried, struct sk_errctx *err);
/* sk_visitor_identify for the contact a token of sk_visitor_token names: SK_ERR_INVALID
 * (nothing tied) for a forged, altered or expired token, or one whose contact is gone, and
 * for a visitor whose current answers (the last per purpose) give nothing. */
int sk_visitor_identify_token(struct sk_core *c, const char *visitor_id, const char *token,
			      int64_t now, int *carried, struct sk_errctx *err);
/* A visitor with its answers, for GET /v1/visitors/{id} and the access export. */
struct sk_visitor_view {
	struct sk_visitor_rec visitor;
	struct sk_visitor_answer_rec *answers; /* owned, in order */
	size_t nanswers;
};
void sk_visitor_view_reset(struct sk_visitor_view *v);
int sk_visitor_get(struct sk_core *c, const char *visitor_id, struct sk_visitor_view *out,
		   struct sk_errctx *err);
/* The visitors tied to contact_id with their answers (*out: n of them, each reset and the
 * array freed with sk_visitor_views_free). */
int sk_visitor_by_contact(struct sk_core *c, const char *contact_id,
			  struct sk_visitor_view **out, size_t *n, struct sk_errctx *err);
void sk_visitor_views_free(struct sk_visitor_view *v, size_t n);
/* Notes that visitor_id was seen at now (tracking calls it for each event it keeps of a
 * visitor, so that the purge counts events too); inside the caller's batch when one is open.
 * An unknown or malformed visitor id is no error and changes nothing. */
int sk_visitor_touch(struct sk_core *c, const char *visitor_id, int64_t now,
		     struct sk_errctx *err);
/* A visitor never tied to a contact and not seen (no answer, identification or tracking
 * event) for this long is purged with the purge (sk_purge): 13 months, the longest a
 * consent choice is commonly kept. */
#define SK_VISITOR_KEEP_DAYS 395

/* -- tracking (core/track.c; docs/tracking.md) -- */

/* At most this many web events of one visitor are stored in any 24 hours (a visitor id is
 * all POST /t needs, so whoever knows one could fill its history): beyond it an event is
 * taken and answered as usual but not stored. */
#define SK_TRACK_VISITOR_DAY_MAX 500
/* One tracking event as it arrives: from the web site (POST /t: a page view or a custom
 * event with its UTM values) or from a mail (an open pixel, a click on a tracked link). */
struct sk_track_in {
	const char *type;          /* "page_view", "event", "mail_open", "mail_click" */
	const char *name;          /* a custom event's name; NULL otherwise */
	const char *url;           /* the page, or a clicked link's target; NULL when none */
	const char *utm_source, *utm_medium, *utm_campaign, *utm_term, *utm_content; /* or NULL */
	const char *visitor_id;    /* web events: the banner's visitor; NULL for mail events */
	const char *contact_id;    /* mail events: the contact the signed link names; else NULL */
	const char *campaign_id;   /* mail events: the campaign; else NULL */
	const char *ip;            /* the client's address as the server saw it; NULL when none */
	int64_t at;
};
/* Records one event, each rule applied here: the IP address truncated unless ip_tracking is
 * given (and the company looked up only when it is); the event attached to a contact only
 * with lead_scoring given (for a visitor: one tied to a contact); the contact's score moved
 * by the policy's scoring rules. *stored (may be NULL) is 1 when a row was written (an
 * event that no consent allows to keep is dropped, 0). */
int sk_track_record(struct sk_core *c, const struct sk_track_in *in, int *stored,
		    struct sk_errctx *err);
/* The events attached to contact_id (lead_scoring given), oldest first, to cb (the access
 * export; GET score counts them). */
int sk_track_events(struct sk_core *c, const char *contact_id, sk_track_cb cb, void *arg,
		    struct sk_errctx *err);
/* The events of an anonymous visitor, oldest first: what POST /t stored (tests, checks). */
int sk_track_visitor_events(struct sk_core *c, const char *visitor_id, sk_track_cb cb,
			    void *arg, struct sk_errctx *err);
/* The company ranges (samtycke companies load; docs/tracking.md): replaces them all with
 * those of a CSV file's rows, in one transaction. Each row: a network in CIDR form and a
 * name, or a first address, a last address and a name. */
struct sk_company_range {
	const char *network;      /* "192.0.2.0/24", or NULL when first and last are given */
	const char *first, *last; /* the range's first and last address; NULL with network */
	const char *name;
};
/* Checks one range (message names the field) and fills its keys. */
int sk_company_range_keys(const struct sk_company_range *r, uint8_t start[SK_IPKEY_LEN],
			  uint8_t end[SK_IPKEY_LEN], struct sk_errctx *err);
/* Replaces the ranges with n ranges (all or nothing); a bad one: SK_ERR_INVALID naming its
 * index (err) and nothing stored. */
int sk_company_load(struct sk_core *c, const struct sk_company_range *r, size_t n,
		    size_t *bad_index, struct sk_errctx *err);
/* The company of ip (SK_COMPANY_MAX + 1 bytes): NOT_FOUND when none; INVALID when ip is no
 * address. */
int sk_company_lookup(struct sk_core *c, const char *ip, char *out, struct sk_errctx *err);
/* Deletes the tracking events past the policy's tracking.retention at now (sk_purge calls
 * it), and sweeps what a consent lapsed by validity (no event) allowed: the score and the
 * history (attached events, tied visitors' events) of each contact whose lead_scoring the
 * gate no longer allows; the addresses of the events whose contact or visitor no longer
 * has ip_tracking truncated, their companies cleared. *n: the events deleted by age plus
 * the contacts and events the sweep changed. */
int sk_track_purge(struct sk_core *c, int64_t now, long *n, struct sk_errctx *err);

/* -- lead scoring (core/score.c; docs/scoring.md) -- */

struct sk_score {
	int has;                /* 1: lead_scoring given, the score below; 0: none */
	enum sk_reason reason;  /* the gate's reason for lead_scoring */
	double score;           /* at now: each attached event's points decayed, capped */
	int64_t stored;         /* the score as last stored, in whole points */
	int64_t computed_at;    /* when it was stored; 0 when never */
	long nevents;           /* attached events */
	int64_t last_activity;  /* the newest attached event; 0 when none */
};
/* The score of contact_id at now, or none (has 0, with the gate's reason) without
 * lead_scoring. SK_ERR_NOT_FOUND for an unknown contact. */
int sk_score_get(struct sk_core *c, const char *contact_id, int64_t now, struct sk_score *out,
		 struct sk_errctx *err);
/* The score that may leave samtycke for the contact (the contacts export's column): its
 * stored score in whole points, *has 1, only when the gate allows both sales_followup and
 * lead_scoring for email at now and a score is stored; else *has 0. Fails closed (*has 0)
 * on a gate error. */
int sk_score_shared(struct sk_core *c, const char *contact_id, const char *email, int64_t now,
		    int *has, int64_t *score, struct sk_errctx *err);
/* The points one event earns at now under the policy's rules, before the cap (pure). */
double sk_score_event(const struct sk_policy *p, const struct sk_track_rec *e, int64_t now);
/* 1 when url matches pattern ('*' any run of characters, ASCII case-insensitive). */
int sk_score_url_match(const char *pattern, const char *url);

/* -- campaigns (core/campaign.c; docs/campaigns.md) -- */

/* Vault tags of the links in a campaign mail; each token's subject is the send-log row id
 * (which names the campaign, so its purpose, and the contact, and goes with the contact's
 * erasure), the click link's "ROW.N" for the campaign's link N. */
#define SK_CAMPAIGN_UNSUB_TAG "unsub"
#define SK_CAMPAIGN_OPEN_TAG "mopen"
#define SK_CAMPAIGN_LINK_TAG "mlink"
#define SK_CAMPAIGN_TOKEN_DAYS 400   /* how long the links of a campaign mail work */
#define SK_CAMPAIGN_MAX_LINKS 50
#define SK_CAMPAIGN_TEMPLATE_MAX (64 * 1024) /* bytes of one template */
#define SK_CAMPAIGN_BATCH 200        /* recipients queued per write transaction */

/* Creates a campaign from its JSON description (docs/campaigns.md): name, purpose (of kind
 * communication), an optional segment, subject and text templates in sv and/or en (html
 * optional), links, utm values. Merge fields are limited to the purpose's fields; an
 * unknown or not-allowed one is SK_ERR_INVALID naming it. id gets the new campaign's id. */
int sk_campaign_create(struct sk_core *c, const char *json, int64_t now,
		       char id[SK_ID_LEN + 1], struct sk_errctx *err);
/* The campaign and its description (rec.spec owned: sk_free). SK_ERR_NOT_FOUND. */
int sk_campaign_get(struct sk_core *c, const char *id, struct sk_campaign_rec *out,
		    struct sk_errctx *err);
/* Every campaign, newest first. */
int sk_campaign_list(struct sk_core *c, sk_campaign_cb cb, void *arg, struct sk_errctx *err);
/* Who a send at now would reach: the gate's audience of the campaign's purpose, with the
 * allowed contacts outside its segment counted in out->segment. */
int sk_campaign_preview(struct sk_core *c, const char *id, int64_t now, struct sk_audience *out,
			struct sk_errctx *err);
/* Queues the campaign: one send-log row and one outbox mail (kind "campaign", ref the row)
 * per contact the gate allows and the segment holds, SK_CAMPAIGN_BATCH per transaction. A
 * contact already in the send log is never queued again, so running it again (after a crash)
 * only adds whom the first run did not reach. *queued (may be NULL): rows added now. */
int sk_campaign_send(struct sk_core *c, const char *id, int64_t now, long *queued,
		     struct sk_errctx *err);
/* A campaign's send log counted by state and reason. */
struct sk_campaign_status {
	long queued, sending, sent, failed, skipped;
	long skipped_by[SK_NREASONS];  /* skipped by the gate's reason at send time */
};
int sk_campaign_status(struct sk_core *c, const char *id, struct sk_campaign_status *out,
		       struct sk_errctx *err);
/* The one-click unsubscribe (GET shows, POST acts: h_campaigns.c): the token's row, checked
 * (SK_ERR_INVALID forged or for a row gone, as after erasure; SK_ERR_EXPIRED), and the
 * purpose it would withdraw (purpose: SK_PURPOSE_MAX bytes). */
int sk_campaign_unsub_check(struct sk_core *c, const char *token, int64_t now,
			    struct sk_send_rec *row, char *purpose, struct sk_errctx *err);
/* Withdraws the token's purpose for its contact at once (sk_consent_record, method
 * one_click, source "campaign:ID"). Repeating it is harmless: a purpose no longer given is
 * left as it is. */
int sk_campaign_unsubscribe(struct sk_core *c, const char *token, int64_t now,
			    struct sk_errctx *err);
/* The open pixel and the tracked link (GET /o/TOKEN, /l/TOKEN): recorded through
 * sk_track_record (mail_open, mail_click) for the token's contact and campaign. A click
 * gives target (SK_CAMPAIGN_URL_MAX bytes): the link's target with the campaign's UTM values
 * and "#sk_vt=TOKEN" (sk_visitor_token) only when the target has no fragment, its origin is
 * one of the policy's banner origins and the gate allows lead_scoring for the contact at the
 * click. A token signed by a key retired by a rotation (carried, docs/internals/vault.md
 * "Key rotation") counts only for a mail queued before that rotation, and then the pixel
 * and the redirect (to the bare target with its UTM values) are all it gets: nothing is
 * recorded and no visitor token is made. SK_ERR_INVALID for a bad token. */
#define SK_CAMPAIGN_URL_MAX 4096
/* The room of a redirect's Location (with its NUL; http_int.h's location): a campaign's
 * link with its UTM values must leave room in it for "#sk_vt=" and a visitor token, so
 * that every click can be answered (checked at create; a click that cannot be answered
 * records nothing). */
#define SK_CAMPAIGN_REDIRECT_MAX 1024
#define SK_CAMPAIGN_LINK_BUILT_MAX (SK_CAMPAIGN_REDIRECT_MAX - 1 - 7 - (SK_PREF_LINK_MAX - 1))
int sk_campaign_open(struct sk_core *c, const char *token, const char *ip, int64_t now,
		     struct sk_errctx *err);
int sk_campaign_click(struct sk_core *c, const char *token, const char *ip, int64_t now,
		      char *target, struct sk_errctx *err);
/* One contact's send log (the access export). */
int sk_campaign_sends_of(struct sk_core *c, const char *contact_id, sk_send_cb cb, void *arg,
			 struct sk_errctx *err);
/* jansson and libyaml, with the versions they run with (samtycke --version). */
void sk_core_versions(sk_version_fn *fn, void *arg);

/* ---- the master key over time (core/keyrot.c, docs/internals/vault.md "Key rotation") ---- */

/* How long the token key of the generation before a rotation still verifies the links that
 * take consent away or only count (unsubscribe, open, click): the life of the longest such
 * link, so that every one mailed before the rotation works to its end. */
#define SK_KEY_OLD_LINK_SECONDS ((int64_t)SK_CAMPAIGN_TOKEN_DAYS * 86400)
/* A retired token key's link counts only for a mail queued before the rotation plus this
 * margin: a server reloads the key within a second, and hosts' clocks differ a little. */
#define SK_KEY_RETIRED_GRACE_SECONDS 60

/* Counts by what the master key seals (SK_SEALED_DATAKEY, _WEBHOOK, _REQUEST of store.h). */
struct sk_master_key_report {
	int64_t generation;   /* the key generation after the rotation, or checked */
	int64_t ok[3];        /* re-wrapped or re-sealed (rotate), opened (check) */
	int64_t failed[3];    /* check: did not open */
};
struct sk_master_key_opts {
	/* called at each step ("written": the new key file is beside the old; "rewrapped":
	 * inside the transaction, all done, before the commit; "committed"; "renamed"), for
	 * tests that kill the process there; may be NULL */
	void (*step)(void *arg, const char *step);
	void *arg;
	int64_t old_links_until; /* 0: now + SK_KEY_OLD_LINK_SECONDS */
	int discard_old_key;     /* 0: the old key file is kept as KEYFILE.gen-N (N the old
				  * generation) for the backups made before; 1: it is replaced */
};
/* samtycke key rotate: a new master key file written beside the old one; in one write
 * transaction every data key re-wrapped, every system secret (webhook secrets, form
 * requests) re-sealed, the email hash key and the old token key carried (sealed under the
 * new key), the check value and generation (+1) stored; then the new key file renamed over
 * the old, which is kept as KEYFILE.gen-N (sk_vault_kept_path) unless o->discard_old_key. Any failure before the commit changes nothing (SK_ERR_CRYPTO when something does
 * not open with the current key). The vault holds the new keys afterwards. */
int sk_master_key_rotate(struct sk_core *c, const struct sk_master_key_opts *o,
		  struct sk_master_key_report *out, struct sk_errctx *err);
/* samtycke key check: opens every data key and system secret with the vault; SK_ERR_CRYPTO
 * (counts only) when any does not. */
int sk_master_key_check(struct sk_core *c, struct sk_master_key_report *out, struct sk_errctx *err);
/* A server's check (every second, and after an unwrap failed): when the database's key
 * generation is not the vault's, the vault reloads the key file (*reloaded = 1; may be
 * NULL); SK_ERR_KEY while the key file is behind (copy the new one to this host). */
int sk_core_key_refresh(struct sk_core *c, int *reloaded, struct sk_errctx *err);
/* The key generation the core's vault holds now. */
int64_t sk_core_key_generation(const struct sk_core *c);
/* What opening completed of an interrupted key rotation; "" when nothing. */
const char *sk_core_key_note(const struct sk_core *c);

#endif
