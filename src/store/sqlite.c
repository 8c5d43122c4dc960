/* sqlite.c: the SQLite storage backend. One file in WAL mode, numbered migrations kept in
 * PRAGMA user_version, and every statement prepared once per connection and cached in the
 * handle. See docs/internals/store.md. */
#include "store/store.h"
#include "store/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/sqlite_tuning.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/sktime.h"
#include "util/str.h"

#define SQ_BUSY_TIMEOUT_MS 5000
#define SQ_CHECKPOINT_WAIT_MS 200
#define SQ_BULK_CHECKPOINT_MS 100 /* how often the bulk checkpointer looks at the WAL */
#define SQ_NOTICE_CACHE 16
#define SQ_ROWS_TABLES 32 /* at least sk_store_ntables (checked in rows_put) */
#define SQ_BULK_CACHE "-131072" /* KiB of page cache in bulk mode: 128 MiB */

/* Migration N is migrations[N - 1]; each ends by setting user_version to N and runs in one
 * transaction. Append new ones; never edit one that has shipped. */
static const char *const migrations[] = {
	/* 1: the initial schema */
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE policy_versions(version INTEGER PRIMARY KEY,"
	" applied_at INTEGER NOT NULL, text TEXT NOT NULL);"
	"CREATE TABLE notices(purpose TEXT, version INTEGER, lang TEXT, text TEXT NOT NULL,"
	" sha256 BLOB NOT NULL, created_at INTEGER NOT NULL,"
	" PRIMARY KEY(purpose, version, lang)) WITHOUT ROWID;"
	"CREATE TABLE contacts(id TEXT PRIMARY KEY, email_key BLOB NOT NULL UNIQUE,"
	" created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE contact_keys(contact_id TEXT PRIMARY KEY"
	" REFERENCES contacts(id) ON DELETE CASCADE, wrapped BLOB NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE contact_fields(contact_id TEXT REFERENCES contacts(id) ON DELETE CASCADE,"
	" name TEXT, sealed BLOB NOT NULL, PRIMARY KEY(contact_id, name)) WITHOUT ROWID;"
	"CREATE TABLE consent_ledger(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
	" contact_id TEXT NOT NULL, purpose TEXT NOT NULL, action TEXT NOT NULL,"
	" occurred_at INTEGER NOT NULL, recorded_at INTEGER NOT NULL, method TEXT NOT NULL,"
	" source TEXT NOT NULL, notice_version INTEGER NOT NULL, notice_sha256 BLOB NOT NULL,"
	" lang TEXT NOT NULL, valid_until INTEGER NOT NULL, actor TEXT NOT NULL,"
	" flags INTEGER NOT NULL, evidence BLOB, prev_hash BLOB NOT NULL, hash BLOB NOT NULL);"
	"CREATE INDEX consent_ledger_contact ON consent_ledger(contact_id, seq);"
	/* Keyed by the contact's email_key, so that the gate finds a state in one probe; the
	 * key is copied from contacts on every write (see SQ_STATE_PUT). */
	"CREATE TABLE consent_state(email_key BLOB NOT NULL, purpose TEXT NOT NULL,"
	" contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,"
	" status TEXT NOT NULL, seq INTEGER NOT NULL, event_id TEXT NOT NULL,"
	" updated_at INTEGER NOT NULL, valid_until INTEGER NOT NULL,"
	" notice_version INTEGER NOT NULL, PRIMARY KEY(email_key, purpose)) WITHOUT ROWID;"
	"CREATE UNIQUE INDEX consent_state_contact ON consent_state(contact_id, purpose);"
	"CREATE TABLE suppressions(email_key BLOB PRIMARY KEY, reason TEXT NOT NULL,"
	" at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE changes(seq INTEGER PRIMARY KEY, type TEXT NOT NULL,"
	" contact_id TEXT NOT NULL, purpose TEXT NOT NULL, status TEXT NOT NULL,"
	" at INTEGER NOT NULL);"
	"PRAGMA user_version = 1;",
	/* 2: API keys and idempotent requests */
	"CREATE TABLE api_keys(id TEXT PRIMARY KEY, name TEXT NOT NULL, scopes TEXT NOT NULL,"
	" secret_hash BLOB NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER NOT NULL)"
	" WITHOUT ROWID;"
	"CREATE UNIQUE INDEX api_keys_active_name ON api_keys(name) WHERE revoked_at = 0;"
	"CREATE TABLE idempotency(key_id TEXT, idem_key TEXT, request_hash BLOB NOT NULL,"
	" status INTEGER NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL,"
	" PRIMARY KEY(key_id, idem_key)) WITHOUT ROWID;"
	"CREATE INDEX idempotency_created ON idempotency(created_at);"
	"PRAGMA user_version = 2;",
	/* 3: rectifications (field names only, never values) */
	"CREATE TABLE rectifications(contact_id TEXT NOT NULL REFERENCES contacts(id)"
	" ON DELETE CASCADE, at INTEGER NOT NULL, actor TEXT NOT NULL, fields TEXT NOT NULL);"
	"CREATE INDEX rectifications_contact ON rectifications(contact_id, at);"
	"PRAGMA user_version = 3;",
	/* 4: webhook endpoints; each keeps its own cursor into the change feed */
	"CREATE TABLE webhooks(id TEXT PRIMARY KEY, name TEXT NOT NULL, url TEXT NOT NULL,"
	" events TEXT NOT NULL, secret BLOB NOT NULL, created_at INTEGER NOT NULL,"
	" enabled INTEGER NOT NULL, cursor INTEGER NOT NULL, failures INTEGER NOT NULL,"
	" first_failure_at INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL,"
	" last_status INTEGER NOT NULL, last_error TEXT NOT NULL,"
	" last_attempt_at INTEGER NOT NULL, nfailed INTEGER NOT NULL,"
	" last_failed_seq INTEGER NOT NULL) WITHOUT ROWID;"
	"PRAGMA user_version = 4;",
	/* 5: unconfirmed form submissions (sealed) and the mail outbox (docs/forms.md) */
	"CREATE TABLE form_requests(id TEXT PRIMARY KEY, email_key BLOB NOT NULL,"
	" purposes TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
	" payload BLOB NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX form_requests_key ON form_requests(email_key);"
	"CREATE INDEX form_requests_expiry ON form_requests(expires_at);"
	"CREATE TABLE mail_outbox(id TEXT PRIMARY KEY, email_key BLOB NOT NULL,"
	" kind TEXT NOT NULL, ref TEXT NOT NULL, created_at INTEGER NOT NULL,"
	" next_attempt_at INTEGER NOT NULL, attempts INTEGER NOT NULL, sent_at INTEGER NOT NULL,"
	" failed_at INTEGER NOT NULL, last_error TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX mail_outbox_due ON mail_outbox(next_attempt_at) WHERE sent_at = 0"
	" AND failed_at = 0;"
	"CREATE INDEX mail_outbox_key ON mail_outbox(email_key, created_at);"
	"PRAGMA user_version = 5;",
	/* 6 (issue 12, audit): a partial index of the pending consent states, so that pending
	 * expiry (the server's maintenance, at start and every hour) reads only those instead
	 * of every consent state */
	"CREATE INDEX consent_state_pending ON consent_state(updated_at)"
	" WHERE status = 'pending';"
	"PRAGMA user_version = 6;",
	/* 7 (issue 12, ledger2): the ledger's hash version. Events written before it keep
	 * version 1 (SHA-256, still verified); new ones are written with version 2 (BLAKE2b-256,
	 * the version inside the hashed fields). docs/internals/core.md, "The hash". */
	"ALTER TABLE consent_ledger ADD COLUMN hash_version INTEGER NOT NULL DEFAULT 1;"
	"PRAGMA user_version = 7;",
	/* 8 (issue 13): leases, so that work meant to run in one place (a webhook endpoint's
	 * delivery, the mail worker) does when several servers share the store */
	"CREATE TABLE leases(name TEXT PRIMARY KEY, holder TEXT NOT NULL, until INTEGER NOT NULL)"
	" WITHOUT ROWID;"
	"PRAGMA user_version = 8;",
	/* 9 (issue 15): the staff console's users, sessions (only a hash of each secret) and
	 * its audit trail (docs/console.md) */
	"CREATE TABLE staff_users(name TEXT PRIMARY KEY, role TEXT NOT NULL, hash TEXT NOT NULL,"
	" created_at INTEGER NOT NULL, disabled INTEGER NOT NULL, failed INTEGER NOT NULL,"
	" locked_until INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE staff_sessions(id TEXT PRIMARY KEY, secret_hash BLOB NOT NULL,"
	" staff TEXT NOT NULL, key_id TEXT NOT NULL, who TEXT NOT NULL, role TEXT NOT NULL,"
	" created_at INTEGER NOT NULL, last_seen INTEGER NOT NULL, expires_at INTEGER NOT NULL)"
	" WITHOUT ROWID;"
	"CREATE INDEX staff_sessions_expiry ON staff_sessions(expires_at);"
	"CREATE TABLE staff_audit(seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, who TEXT NOT NULL,"
	" role TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL);"
	"PRAGMA user_version = 9;",
	/* 10 (issue 16): the banner's visitors and their answers (docs/banner.md). A visitor
	 * tied to a contact goes with it (ON DELETE CASCADE); its answers go with it. */
	"CREATE TABLE visitors(id TEXT PRIMARY KEY, contact_id TEXT REFERENCES contacts(id)"
	" ON DELETE CASCADE, created_at INTEGER NOT NULL, last_seen_at INTEGER NOT NULL)"
	" WITHOUT ROWID;"
	"CREATE INDEX visitors_contact ON visitors(contact_id) WHERE contact_id IS NOT NULL;"
	"CREATE INDEX visitors_seen ON visitors(last_seen_at) WHERE contact_id IS NULL;"
	"CREATE TABLE visitor_answers(seq INTEGER PRIMARY KEY, visitor_id TEXT NOT NULL"
	" REFERENCES visitors(id) ON DELETE CASCADE, purpose TEXT NOT NULL, action TEXT NOT NULL,"
	" at INTEGER NOT NULL, banner_version TEXT NOT NULL, notice_version INTEGER NOT NULL,"
	" notice_sha256 BLOB NOT NULL, lang TEXT NOT NULL, page TEXT NOT NULL,"
	" signal TEXT NOT NULL, ua_class TEXT NOT NULL);"
	"CREATE INDEX visitor_answers_visitor ON visitor_answers(visitor_id, seq);"
	"PRAGMA user_version = 10;",
	/* 11 (issue 16): tracking events (contact_id only when attached to a person:
	 * lead_scoring given), the company ranges the user loads, and per-contact scores
	 * (docs/tracking.md, docs/scoring.md). */
	"CREATE TABLE track_events(id TEXT PRIMARY KEY, at INTEGER NOT NULL, type TEXT NOT NULL,"
	" name TEXT NOT NULL, url TEXT NOT NULL, utm_source TEXT NOT NULL,"
	" utm_medium TEXT NOT NULL, utm_campaign TEXT NOT NULL, utm_term TEXT NOT NULL,"
	" utm_content TEXT NOT NULL, visitor_id TEXT NOT NULL,"
	" contact_id TEXT REFERENCES contacts(id) ON DELETE CASCADE,"
	" campaign_id TEXT NOT NULL, ip TEXT NOT NULL, company TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX track_events_contact ON track_events(contact_id, at)"
	" WHERE contact_id IS NOT NULL;"
	"CREATE INDEX track_events_visitor ON track_events(visitor_id, at);"
	"CREATE INDEX track_events_at ON track_events(at);"
	"CREATE TABLE company_ranges(start_key BLOB NOT NULL, end_key BLOB NOT NULL,"
	" name TEXT NOT NULL, PRIMARY KEY(start_key, end_key)) WITHOUT ROWID;"
	"CREATE TABLE scores(contact_id TEXT PRIMARY KEY REFERENCES contacts(id)"
	" ON DELETE CASCADE, score INTEGER NOT NULL, computed_at INTEGER NOT NULL,"
	" nevents INTEGER NOT NULL, last_at INTEGER NOT NULL) WITHOUT ROWID;"
	"PRAGMA user_version = 11;",
	/* 12 (issue 16): mail campaigns and their send log, one row per (campaign, contact),
	 * deleted with the contact (docs/campaigns.md); the outbox's due index ordered as the
	 * next-mail query reads it. */
	"CREATE TABLE campaigns(id TEXT PRIMARY KEY, name TEXT NOT NULL, purpose TEXT NOT NULL,"
	" status TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
	" spec TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE campaign_sends(id TEXT PRIMARY KEY, campaign_id TEXT NOT NULL"
	" REFERENCES campaigns(id) ON DELETE CASCADE, contact_id TEXT NOT NULL"
	" REFERENCES contacts(id) ON DELETE CASCADE, state TEXT NOT NULL, reason TEXT NOT NULL,"
	" consent_id TEXT NOT NULL, lang TEXT NOT NULL, queued_at INTEGER NOT NULL,"
	" sent_at INTEGER NOT NULL, UNIQUE(campaign_id, contact_id)) WITHOUT ROWID;"
	"CREATE INDEX campaign_sends_contact ON campaign_sends(contact_id);"
	/* the outbox's next mail (SQ_OUTBOX_NEXT) read in index order, with no sort of every
	 * due row per mail: a campaign queues many at once; other mail (a confirmation, a
	 * preference link) first, so that a campaign never holds it up (docs/internals/store.md) */
	"DROP INDEX mail_outbox_due;"
	"CREATE INDEX mail_outbox_due ON mail_outbox((kind = 'campaign'), next_attempt_at,"
	" created_at)"
	" WHERE sent_at = 0 AND failed_at = 0;"
	"PRAGMA user_version = 12;",
};
#define SQ_NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

#define SQ_LEDGER_COLS                                                                \
	"seq, id, contact_id, purpose, action, occurred_at, recorded_at, method, source," \
	" notice_version, notice_sha256, lang, valid_until, actor, flags, evidence,"      \
	" prev_hash, hash, hash_version"
#define SQ_STATE_COLS \
	"contact_id, purpose, status, seq, event_id, updated_at, valid_until, notice_version"
#define SQ_CHANGE_COLS "seq, type, contact_id, purpose, status, at"
#define SQ_KEY_COLS "id, name, scopes, secret_hash, created_at, revoked_at"
#define SQ_REQUEST_COLS "id, email_key, purposes, created_at, expires_at, payload"
#define SQ_OUTBOX_COLS                                                                  \
	"id, email_key, kind, ref, created_at, next_attempt_at, attempts, sent_at, failed_at," \
	" last_error"
#define SQ_WEBHOOK_COLS                                                                 \
	"id, name, url, events, secret, created_at, enabled, cursor, failures,"            \
	" first_failure_at, next_attempt_at, last_status, last_error, last_attempt_at,"   \
	" nfailed, last_failed_seq"

#define SQ_STAFF_COLS "name, role, hash, created_at, disabled, failed, locked_until"
#define SQ_SESSION_COLS \
	"id, secret_hash, staff, key_id, who, role, created_at, last_seen, expires_at"
#define SQ_AUDIT_COLS "seq, at, who, role, action, target, detail"
#define SQ_TRACK_COLS                                                                  \
	"id, at, type, name, url, utm_source, utm_medium, utm_campaign, utm_term, utm_content," \
	" visitor_id, contact_id, campaign_id, ip, company"

enum sq_stmt {
	SQ_BEGIN_READ,
	SQ_BEGIN_WRITE,
	SQ_COMMIT,
	SQ_ROLLBACK,
	SQ_META_GET,
	SQ_META_SET,
	SQ_POLICY_PUT,
	SQ_POLICY_GET,
	SQ_NOTICE_PUT,
	SQ_NOTICE_GET,
	SQ_NOTICE_LATEST,
	SQ_CONTACT_INSERT,
	SQ_CONTACT_BY_KEY,
	SQ_CONTACT_BY_ID,
	SQ_CONTACT_TOUCH,
	SQ_DATAKEY_PUT,
	SQ_DATAKEY_GET,
	SQ_FIELD_PUT,
	SQ_FIELD_EACH,
	SQ_LEDGER_APPEND,
	SQ_LEDGER_LAST,
	SQ_LEDGER_EACH_ALL,
	SQ_LEDGER_EACH_CONTACT,
	SQ_STATE_PUT,
	SQ_STATE_GET,
	SQ_STATE_EACH_ALL,
	SQ_STATE_EACH_CONTACT,
	SQ_STATE_CLEAR,
	SQ_SUPPRESSION_PUT,
	SQ_GATE_LOOKUP,
	SQ_CHANGE_APPEND,
	SQ_CHANGE_EACH,
	SQ_LEDGER_GET,
	SQ_KEY_PUT,
	SQ_KEY_GET,
	SQ_KEY_EACH,
	SQ_KEY_REVOKE,
	SQ_IDEM_GET,
	SQ_IDEM_PUT,
	SQ_IDEM_PURGE,
	SQ_CONTACT_DELETE,
	SQ_CONTACT_KEY,
	SQ_NOTICE_PURPOSES,
	SQ_CONTACT_EACH,
	SQ_FIELD_DELETE,
	SQ_SUPPRESSION_DELETE,
	SQ_RECT_PUT,
	SQ_RECT_EACH,
	SQ_WEBHOOK_PUT,
	SQ_WEBHOOK_GET,
	SQ_WEBHOOK_EACH,
	SQ_WEBHOOK_DELETE,
	SQ_WEBHOOK_STATE,
	SQ_CHANGE_LAST,
	SQ_REQUEST_PUT,
	SQ_REQUEST_GET,
	SQ_REQUEST_DELETE,
	SQ_REQUEST_DELETE_KEY,
	SQ_OUTBOX_DELETE_KEY,
	SQ_OUTBOX_DELETE_EXPIRED,
	SQ_REQUEST_EXPIRE,
	SQ_REQUEST_PENDING,
	SQ_OUTBOX_PUT,
	SQ_OUTBOX_NEXT,
	SQ_OUTBOX_STATE,
	SQ_OUTBOX_COUNT,
	SQ_OUTBOX_PURGE,
	SQ_CONTACT_REKEY,
	SQ_STATE_REKEY,
	SQ_STATE_COUNT_LIVE,
	SQ_REQUEST_COUNT,
	SQ_STATE_PENDING_EACH,
	SQ_STATE_GIVEN_EACH,
	SQ_LEDGER_BY_CONTACT,
	SQ_STATE_PAGE,
	SQ_LEASE_TAKE,
	SQ_LEASE_RELEASE,
	SQ_LEASE_GET,
	SQ_STAFF_PUT,
	SQ_STAFF_GET,
	SQ_STAFF_UPDATE,
	SQ_STAFF_EACH,
	SQ_SESSION_PUT,
	SQ_SESSION_GET,
	SQ_SESSION_TOUCH,
	SQ_SESSION_DELETE,
	SQ_SESSION_PURGE,
	SQ_AUDIT_APPEND,
	SQ_AUDIT_EACH,
	SQ_WEBHOOK_SECRET_SET,
	SQ_STATE_TALLY,
	SQ_LEDGER_TALLY,
	SQ_SUPPRESSION_TALLY,
	SQ_OUTBOX_TALLY,
	SQ_SESSION_DELETE_STAFF,
	SQ_CAMPAIGN_PUT,
	SQ_CAMPAIGN_GET,
	SQ_CAMPAIGN_EACH,
	SQ_SEND_PUT,
	SQ_SEND_GET,
	SQ_SEND_STATE,
	SQ_SEND_TALLY,
	SQ_SEND_EACH_CONTACT,
	SQ_VISITOR_PUT,
	SQ_VISITOR_GET,
	SQ_VISITOR_BY_CONTACT,
	SQ_VISITOR_ANSWER_APPEND,
	SQ_VISITOR_ANSWER_EACH,
	SQ_VISITOR_PURGE_ANSWERS,
	SQ_VISITOR_PURGE,
	SQ_TRACK_PUT,
	SQ_TRACK_EACH_CONTACT,
	SQ_TRACK_EACH_VISITOR,
	SQ_TRACK_IP_SET,
	SQ_TRACK_FORGET_EVENTS,
	SQ_TRACK_FORGET_SCORE,
	SQ_TRACK_PURGE,
	SQ_COMPANY_CLEAR,
	SQ_COMPANY_PUT,
	SQ_COMPANY_FIND,
	SQ_SCORE_PUT,
	SQ_SCORE_GET,
	SQ_TRACK_DELETE_VISITORS,
	SQ_SCORE_EACH,
	SQ_TRACK_SWEEP_EACH,
	SQ_TRACK_COUNT_VISITOR,
	SQ_LEASE_LIVE,
	SQ_DATAKEY_REPLACE,
	SQ_REQUEST_RESEAL,
	SQ_DB_SIZE,
	SQ_NSTMT
};

#define SQ_CAMPAIGN_COLS "id, name, purpose, status, created_at, updated_at, spec"
#define SQ_SEND_COLS \
	"id, campaign_id, contact_id, state, reason, consent_id, lang, queued_at, sent_at"

static const char *const sq_sql[SQ_NSTMT] = {
	[SQ_BEGIN_READ] = "BEGIN",
	[SQ_BEGIN_WRITE] = "BEGIN IMMEDIATE",
	[SQ_COMMIT] = "COMMIT",
	[SQ_ROLLBACK] = "ROLLBACK",
	[SQ_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[SQ_META_SET] = "INSERT INTO meta(key, value) VALUES(?1, ?2)"
			" ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	/* version is the rowid: max + 1 */
	[SQ_POLICY_PUT] = "INSERT INTO policy_versions(applied_at, text) VALUES(?1, ?2)",
	[SQ_POLICY_GET] = "SELECT version, applied_at, text FROM policy_versions"
			  " ORDER BY version DESC LIMIT 1",
	[SQ_NOTICE_PUT] = "INSERT INTO notices(purpose, version, lang, text, sha256, created_at)"
			  " VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	/* ?2 = 0 asks for the newest version */
	[SQ_NOTICE_GET] = "SELECT purpose, version, lang, text, sha256, created_at FROM notices"
			  " WHERE purpose = ?1 AND lang = ?3 AND (?2 = 0 OR version = ?2)"
			  " ORDER BY version DESC LIMIT 1",
	[SQ_NOTICE_LATEST] = "SELECT coalesce(max(version), 0) FROM notices WHERE purpose = ?1",
	[SQ_CONTACT_INSERT] = "INSERT INTO contacts(id, email_key, created_at, updated_at)"
			      " VALUES(?1, ?2, ?3, ?4)",
	[SQ_CONTACT_BY_KEY] = "SELECT id, email_key, created_at, updated_at FROM contacts"
			      " WHERE email_key = ?1",
	[SQ_CONTACT_BY_ID] = "SELECT id, email_key, created_at, updated_at FROM contacts"
			     " WHERE id = ?1",
	[SQ_CONTACT_TOUCH] = "UPDATE contacts SET updated_at = ?2 WHERE id = ?1",
	[SQ_DATAKEY_PUT] = "INSERT INTO contact_keys(contact_id, wrapped) VALUES(?1, ?2)"
			   " ON CONFLICT(contact_id) DO UPDATE SET wrapped = excluded.wrapped",
	[SQ_DATAKEY_GET] = "SELECT wrapped FROM contact_keys WHERE contact_id = ?1",
	[SQ_FIELD_PUT] = "INSERT INTO contact_fields(contact_id, name, sealed) VALUES(?1, ?2, ?3)"
			 " ON CONFLICT(contact_id, name) DO UPDATE SET sealed = excluded.sealed",
	[SQ_FIELD_EACH] = "SELECT name, sealed FROM contact_fields WHERE contact_id = ?1"
			  " ORDER BY name",
	[SQ_LEDGER_APPEND] = "INSERT INTO consent_ledger(" SQ_LEDGER_COLS ") VALUES(?1, ?2, ?3,"
			     " ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
	[SQ_LEDGER_LAST] = "SELECT seq, hash FROM consent_ledger ORDER BY seq DESC LIMIT 1",
	[SQ_LEDGER_EACH_ALL] = "SELECT " SQ_LEDGER_COLS " FROM consent_ledger WHERE seq > ?1"
			       " ORDER BY seq",
	[SQ_LEDGER_EACH_CONTACT] = "SELECT " SQ_LEDGER_COLS " FROM consent_ledger"
				   " WHERE contact_id = ?2 AND seq > ?1 ORDER BY seq",
	/* The email_key comes from the contact: a state without its contact fails. */
	[SQ_STATE_PUT] = "INSERT INTO consent_state(email_key, " SQ_STATE_COLS ")"
			 " VALUES((SELECT email_key FROM contacts WHERE id = ?1),"
			 " ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
			 " ON CONFLICT(email_key, purpose) DO UPDATE SET status = excluded.status,"
			 " seq = excluded.seq, event_id = excluded.event_id,"
			 " updated_at = excluded.updated_at, valid_until = excluded.valid_until,"
			 " notice_version = excluded.notice_version",
	[SQ_STATE_GET] = "SELECT " SQ_STATE_COLS " FROM consent_state"
			 " WHERE contact_id = ?1 AND purpose = ?2",
	[SQ_STATE_EACH_ALL] = "SELECT " SQ_STATE_COLS " FROM consent_state"
			      " ORDER BY contact_id, purpose",
	[SQ_STATE_EACH_CONTACT] = "SELECT " SQ_STATE_COLS " FROM consent_state"
				  " WHERE contact_id = ?1 ORDER BY purpose",
	[SQ_STATE_CLEAR] = "DELETE FROM consent_state",
	[SQ_SUPPRESSION_PUT] = "INSERT INTO suppressions(email_key, reason, at) VALUES(?1, ?2, ?3)"
			       " ON CONFLICT(email_key) DO UPDATE SET reason = excluded.reason,"
			       " at = excluded.at",
	/* Always exactly one row: the suppression reason (NULL when none), the contact id
	 * (NULL when unknown), then the state of purpose ?2 (NULLs when none). A known state
	 * costs one probe of consent_state (and one of the small suppressions table); contacts
	 * is probed only when there is no state. */
	[SQ_GATE_LOOKUP] = "SELECT (SELECT reason FROM suppressions WHERE email_key = ?1),"
			   " CASE WHEN s.contact_id IS NULL"
			   " THEN (SELECT id FROM contacts WHERE email_key = ?1)"
			   " ELSE s.contact_id END,"
			   " s.contact_id, s.purpose, s.status, s.seq, s.event_id, s.updated_at,"
			   " s.valid_until, s.notice_version"
			   " FROM (SELECT 1) AS one"
			   " LEFT JOIN consent_state AS s ON s.email_key = ?1 AND s.purpose = ?2",
	/* seq NULL: the rowid, max + 1, so the feed has no gaps even after a rollback */
	[SQ_CHANGE_APPEND] = "INSERT INTO changes(" SQ_CHANGE_COLS ")"
			     " VALUES(NULL, ?1, ?2, ?3, ?4, ?5)",
	/* a negative LIMIT means none */
	[SQ_CHANGE_EACH] = "SELECT " SQ_CHANGE_COLS " FROM changes WHERE seq > ?1"
			   " ORDER BY seq LIMIT ?2",
	[SQ_LEDGER_GET] = "SELECT " SQ_LEDGER_COLS " FROM consent_ledger WHERE id = ?1",
	[SQ_KEY_PUT] = "INSERT INTO api_keys(" SQ_KEY_COLS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[SQ_KEY_GET] = "SELECT " SQ_KEY_COLS " FROM api_keys WHERE id = ?1",
	[SQ_KEY_EACH] = "SELECT " SQ_KEY_COLS " FROM api_keys ORDER BY created_at, name",
	[SQ_KEY_REVOKE] = "UPDATE api_keys SET revoked_at = ?2 WHERE name = ?1 AND revoked_at = 0",
	[SQ_IDEM_GET] = "SELECT request_hash, status, body, created_at FROM idempotency"
			" WHERE key_id = ?1 AND idem_key = ?2",
	[SQ_IDEM_PUT] = "INSERT INTO idempotency(key_id, idem_key, request_hash, status, body,"
			" created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[SQ_IDEM_PURGE] = "DELETE FROM idempotency WHERE created_at < ?1",
	/* fields, data key and states go by ON DELETE CASCADE */
	[SQ_CONTACT_DELETE] = "DELETE FROM contacts WHERE id = ?1",
	[SQ_CONTACT_KEY] = "SELECT email_key FROM contacts WHERE id = ?1",
	/* every purpose a policy ever had (each has a notice): the hot cache's keys */
	[SQ_NOTICE_PURPOSES] = "SELECT DISTINCT purpose FROM notices",
	[SQ_CONTACT_EACH] = "SELECT id, email_key, created_at, updated_at FROM contacts"
			    " WHERE id > ?1 ORDER BY id LIMIT ?2",
	[SQ_FIELD_DELETE] = "DELETE FROM contact_fields WHERE contact_id = ?1 AND name = ?2",
	[SQ_SUPPRESSION_DELETE] = "DELETE FROM suppressions WHERE email_key = ?1",
	[SQ_RECT_PUT] = "INSERT INTO rectifications(contact_id, at, actor, fields)"
			" VALUES(?1, ?2, ?3, ?4)",
	[SQ_RECT_EACH] = "SELECT at, actor, fields FROM rectifications WHERE contact_id = ?1"
			 " ORDER BY at, rowid",
	[SQ_WEBHOOK_PUT] = "INSERT INTO webhooks(" SQ_WEBHOOK_COLS ") VALUES(?1, ?2, ?3, ?4, ?5,"
			   " ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
	[SQ_WEBHOOK_GET] = "SELECT " SQ_WEBHOOK_COLS " FROM webhooks WHERE id = ?1",
	[SQ_WEBHOOK_EACH] = "SELECT " SQ_WEBHOOK_COLS " FROM webhooks ORDER BY id",
	[SQ_WEBHOOK_DELETE] = "DELETE FROM webhooks WHERE id = ?1",
	[SQ_WEBHOOK_STATE] = "UPDATE webhooks SET enabled = ?2, cursor = ?3, failures = ?4,"
			     " first_failure_at = ?5, next_attempt_at = ?6, last_status = ?7,"
			     " last_error = ?8, last_attempt_at = ?9, nfailed = ?10,"
			     " last_failed_seq = ?11 WHERE id = ?1",
	[SQ_CHANGE_LAST] = "SELECT coalesce(max(seq), 0) FROM changes",
	[SQ_REQUEST_PUT] = "INSERT INTO form_requests(" SQ_REQUEST_COLS ") VALUES(?1, ?2, ?3, ?4,"
			   " ?5, ?6)",
	[SQ_REQUEST_GET] = "SELECT " SQ_REQUEST_COLS " FROM form_requests WHERE id = ?1",
	[SQ_REQUEST_DELETE] = "DELETE FROM form_requests WHERE id = ?1",
	[SQ_REQUEST_DELETE_KEY] = "DELETE FROM form_requests WHERE email_key = ?1",
	[SQ_OUTBOX_DELETE_KEY] = "DELETE FROM mail_outbox WHERE email_key = ?1",
	/* the unsent mail of requests that are about to go */
	[SQ_OUTBOX_DELETE_EXPIRED] = "DELETE FROM mail_outbox WHERE sent_at = 0 AND kind = 'confirm'"
				     " AND ref IN (SELECT id FROM form_requests"
				     " WHERE expires_at <= ?1)",
	[SQ_REQUEST_EXPIRE] = "DELETE FROM form_requests WHERE expires_at <= ?1",
	[SQ_REQUEST_PENDING] = "SELECT EXISTS(SELECT 1 FROM form_requests WHERE email_key = ?1"
			       " AND expires_at > ?3"
			       " AND instr(',' || purposes || ',', ',' || ?2 || ',') > 0)",
	[SQ_OUTBOX_PUT] = "INSERT INTO mail_outbox(" SQ_OUTBOX_COLS ") VALUES(?1, ?2, ?3, ?4, ?5,"
			  " ?6, ?7, ?8, ?9, ?10)",
	[SQ_OUTBOX_NEXT] = "SELECT " SQ_OUTBOX_COLS " FROM mail_outbox WHERE sent_at = 0"
			   " AND failed_at = 0 AND next_attempt_at <= ?1"
			   " ORDER BY kind = 'campaign', next_attempt_at, created_at LIMIT 1",
	[SQ_OUTBOX_STATE] = "UPDATE mail_outbox SET next_attempt_at = ?2, attempts = ?3,"
			    " sent_at = ?4, failed_at = ?5, last_error = ?6 WHERE id = ?1",
	[SQ_OUTBOX_COUNT] = "SELECT count(*) FROM mail_outbox WHERE email_key = ?1"
			    " AND created_at >= ?2 AND kind <> 'campaign'",
	[SQ_OUTBOX_PURGE] = "DELETE FROM mail_outbox WHERE (sent_at > 0 OR failed_at > 0)"
			    " AND created_at < ?1",
	[SQ_CONTACT_REKEY] = "UPDATE contacts SET email_key = ?2 WHERE id = ?1",
	[SQ_STATE_REKEY] = "UPDATE consent_state SET email_key = ?2 WHERE contact_id = ?1",
	[SQ_STATE_COUNT_LIVE] = "SELECT count(*) FROM consent_state WHERE purpose = ?1"
				" AND (status IN ('pending', 'unverified') OR (status = 'given'"
				" AND (valid_until = 0 OR valid_until > ?2)))",
	[SQ_REQUEST_COUNT] = "SELECT count(*) FROM form_requests WHERE expires_at > ?2"
			     " AND instr(',' || purposes || ',', ',' || ?1 || ',') > 0",
	/* through consent_state_pending (migration 6): the pending rows only, then sorted */
	[SQ_STATE_PENDING_EACH] = "SELECT " SQ_STATE_COLS " FROM consent_state"
				  " INDEXED BY consent_state_pending"
				  " WHERE status = 'pending' AND updated_at < ?1"
				  " ORDER BY contact_id, purpose",
	/* through consent_state_contact, in contact order; the suppression probed by key */
	[SQ_STATE_GIVEN_EACH] = "SELECT " SQ_STATE_COLS ", s.email_key FROM consent_state AS s"
				" WHERE s.contact_id > ?2 AND s.purpose = ?1 AND s.status = 'given'"
				" AND NOT EXISTS (SELECT 1 FROM suppressions AS x"
				" WHERE x.email_key = s.email_key)"
				" ORDER BY s.contact_id LIMIT ?3",
	/* through consent_ledger_contact(contact_id, seq) */
	[SQ_LEDGER_BY_CONTACT] = "SELECT " SQ_LEDGER_COLS " FROM consent_ledger"
				 " INDEXED BY consent_ledger_contact ORDER BY contact_id, seq",
	/* through consent_state_contact(contact_id, purpose) */
	[SQ_STATE_PAGE] = "SELECT " SQ_STATE_COLS " FROM consent_state"
			  " WHERE (contact_id, purpose) > (?1, ?2)"
			  " ORDER BY contact_id, purpose LIMIT ?3",
	/* one statement: taken when free, expired or ours (a row changed), else left as is */
	[SQ_LEASE_TAKE] = "INSERT INTO leases(name, holder, until) VALUES(?1, ?2, ?4)"
			  " ON CONFLICT(name) DO UPDATE SET holder = excluded.holder,"
			  " until = excluded.until"
			  " WHERE leases.holder = excluded.holder OR leases.until <= ?3",
	[SQ_LEASE_RELEASE] = "DELETE FROM leases WHERE name = ?1 AND holder = ?2",
	[SQ_LEASE_GET] = "SELECT holder, until FROM leases WHERE name = ?1",
	[SQ_STAFF_PUT] = "INSERT INTO staff_users(" SQ_STAFF_COLS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[SQ_STAFF_GET] = "SELECT " SQ_STAFF_COLS " FROM staff_users WHERE name = ?1",
	[SQ_STAFF_UPDATE] = "UPDATE staff_users SET role = ?2, hash = ?3, disabled = ?5,"
			    " failed = ?6, locked_until = ?7 WHERE name = ?1 AND ?4 = ?4",
	[SQ_STAFF_EACH] = "SELECT " SQ_STAFF_COLS " FROM staff_users ORDER BY name",
	[SQ_SESSION_PUT] = "INSERT INTO staff_sessions(" SQ_SESSION_COLS ")"
			   " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[SQ_SESSION_GET] = "SELECT " SQ_SESSION_COLS " FROM staff_sessions WHERE id = ?1",
	[SQ_SESSION_TOUCH] = "UPDATE staff_sessions SET last_seen = ?2 WHERE id = ?1",
	[SQ_SESSION_DELETE] = "DELETE FROM staff_sessions WHERE id = ?1",
	[SQ_SESSION_PURGE] = "DELETE FROM staff_sessions WHERE expires_at <= ?1",
	[SQ_AUDIT_APPEND] = "INSERT INTO staff_audit(" SQ_AUDIT_COLS ")"
			    " VALUES((SELECT coalesce(max(seq), 0) + 1 FROM staff_audit), ?1, ?2, ?3,"
			    " ?4, ?5, ?6) RETURNING seq",
	[SQ_AUDIT_EACH] = "SELECT " SQ_AUDIT_COLS " FROM staff_audit WHERE seq < ?1"
			  " ORDER BY seq DESC LIMIT ?2",
	[SQ_WEBHOOK_SECRET_SET] = "UPDATE webhooks SET secret = ?2 WHERE id = ?1",
	/* the console's overview: aggregates only (store.h) */
	[SQ_STATE_TALLY] = "SELECT s.purpose, s.status,"
			   " (s.valid_until <> 0 AND s.valid_until <= ?1) AS lapsed,"
			   " EXISTS (SELECT 1 FROM suppressions AS x WHERE x.email_key = s.email_key)"
			   " AS supp, count(*) FROM consent_state AS s"
			   " GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
	[SQ_LEDGER_TALLY] = "SELECT action, (occurred_at - ?1) / ?2, flags, count(*)"
			    " FROM consent_ledger WHERE occurred_at >= ?1"
			    " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
	[SQ_SUPPRESSION_TALLY] = "SELECT reason, count(*) FROM suppressions GROUP BY 1 ORDER BY 1",
	[SQ_OUTBOX_TALLY] = "SELECT sent_at > 0, failed_at > 0, min(created_at), count(*)"
			    " FROM mail_outbox GROUP BY 1, 2 ORDER BY 1, 2",
	[SQ_SESSION_DELETE_STAFF] = "DELETE FROM staff_sessions WHERE staff = ?1 AND staff <> ''",
	[SQ_CAMPAIGN_PUT] = "INSERT INTO campaigns(" SQ_CAMPAIGN_COLS ") VALUES(?1, ?2, ?3, ?4, ?5,"
			    " ?6, ?7) ON CONFLICT(id) DO UPDATE SET status = excluded.status,"
			    " updated_at = excluded.updated_at",
	[SQ_CAMPAIGN_GET] = "SELECT " SQ_CAMPAIGN_COLS " FROM campaigns WHERE id = ?1",
	[SQ_CAMPAIGN_EACH] = "SELECT " SQ_CAMPAIGN_COLS " FROM campaigns"
			     " ORDER BY created_at DESC, id DESC",
	[SQ_SEND_PUT] = "INSERT INTO campaign_sends(" SQ_SEND_COLS ") VALUES(?1, ?2, ?3, ?4, ?5,"
			" ?6, ?7, ?8, ?9)",
	[SQ_SEND_GET] = "SELECT " SQ_SEND_COLS " FROM campaign_sends WHERE id = ?1",
	[SQ_SEND_STATE] = "UPDATE campaign_sends SET state = ?2, reason = ?3, consent_id = ?4,"
			  " sent_at = ?5 WHERE id = ?1",
	[SQ_SEND_TALLY] = "SELECT reason, state, count(*) FROM campaign_sends"
			  " WHERE campaign_id = ?1 GROUP BY 2, 1 ORDER BY 2, 1",
	[SQ_SEND_EACH_CONTACT] = "SELECT " SQ_SEND_COLS " FROM campaign_sends"
				 " WHERE contact_id = ?1 ORDER BY queued_at, id",
	/* visitors of the banner (issue 16) */
	[SQ_VISITOR_PUT] = "INSERT INTO visitors(id, contact_id, created_at, last_seen_at)"
			   " VALUES(?1, ?2, ?3, ?4) ON CONFLICT(id) DO UPDATE SET"
			   " contact_id = excluded.contact_id, last_seen_at = excluded.last_seen_at",
	[SQ_VISITOR_GET] = "SELECT id, contact_id, created_at, last_seen_at FROM visitors"
			   " WHERE id = ?1",
	[SQ_VISITOR_BY_CONTACT] = "SELECT id, contact_id, created_at, last_seen_at FROM visitors"
				  " WHERE contact_id = ?1 ORDER BY id",
	[SQ_VISITOR_ANSWER_APPEND] = "INSERT INTO visitor_answers(visitor_id, purpose, action, at,"
				     " banner_version, notice_version, notice_sha256, lang, page,"
				     " signal, ua_class) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
				     " ?10, ?11)",
	[SQ_VISITOR_ANSWER_EACH] = "SELECT seq, visitor_id, purpose, action, at, banner_version,"
				   " notice_version, notice_sha256, lang, page, signal, ua_class"
				   " FROM visitor_answers WHERE visitor_id = ?1 ORDER BY seq",
	[SQ_VISITOR_PURGE_ANSWERS] = "DELETE FROM visitor_answers WHERE visitor_id IN (SELECT id"
				     " FROM visitors WHERE contact_id IS NULL AND last_seen_at < ?1)",
	[SQ_VISITOR_PURGE] = "DELETE FROM visitors WHERE contact_id IS NULL AND last_seen_at < ?1",
	[SQ_TRACK_PUT] = "INSERT INTO track_events(" SQ_TRACK_COLS ") VALUES(?1, ?2, ?3, ?4, ?5,"
			 " ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
	[SQ_TRACK_EACH_CONTACT] = "SELECT " SQ_TRACK_COLS " FROM track_events"
				  " WHERE contact_id = ?1 ORDER BY at, id",
	[SQ_TRACK_EACH_VISITOR] = "SELECT " SQ_TRACK_COLS " FROM track_events"
				  " WHERE visitor_id = ?1 AND visitor_id <> '' ORDER BY at, id",
	[SQ_TRACK_IP_SET] = "UPDATE track_events SET ip = ?2, company = ?3 WHERE id = ?1",
	[SQ_TRACK_FORGET_EVENTS] = "DELETE FROM track_events WHERE contact_id = ?1",
	[SQ_TRACK_FORGET_SCORE] = "DELETE FROM scores WHERE contact_id = ?1",
	[SQ_TRACK_PURGE] = "DELETE FROM track_events WHERE at < ?1",
	[SQ_COMPANY_CLEAR] = "DELETE FROM company_ranges",
	[SQ_COMPANY_PUT] = "INSERT INTO company_ranges(start_key, end_key, name) VALUES(?1, ?2, ?3)"
			   " ON CONFLICT(start_key, end_key) DO UPDATE SET name = excluded.name",
	/* the narrowest range: the latest start, then the earliest end */
	[SQ_COMPANY_FIND] = "SELECT name FROM company_ranges WHERE start_key <= ?1"
			    " AND end_key >= ?1 ORDER BY start_key DESC, end_key LIMIT 1",
	[SQ_SCORE_PUT] = "INSERT INTO scores(contact_id, score, computed_at, nevents, last_at)"
			 " VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(contact_id) DO UPDATE SET"
			 " score = excluded.score, computed_at = excluded.computed_at,"
			 " nevents = excluded.nevents, last_at = excluded.last_at",
	[SQ_SCORE_GET] = "SELECT score, computed_at, nevents, last_at FROM scores"
			 " WHERE contact_id = ?1",
	/* contact_delete: the events of the visitors tied to the contact, never attached to it
	 * (no lead_scoring) but theirs all the same; the visitors go by their cascade after */
	[SQ_TRACK_DELETE_VISITORS] = "DELETE FROM track_events WHERE visitor_id IN"
				     " (SELECT id FROM visitors WHERE contact_id = ?1)",
	/* the consent sweep of the retention purge (helper fixsec16) */
	[SQ_SCORE_EACH] = "SELECT contact_id, score, computed_at, nevents, last_at FROM scores"
			  " ORDER BY contact_id",
	[SQ_TRACK_SWEEP_EACH] = "SELECT " SQ_TRACK_COLS " FROM track_events"
				" WHERE ip <> '' OR company <> '' OR contact_id IS NOT NULL"
				" ORDER BY at, id",
	[SQ_TRACK_COUNT_VISITOR] = "SELECT count(*) FROM track_events"
				   " WHERE visitor_id = ?1 AND at >= ?2",
	[SQ_LEASE_LIVE] = "SELECT count(*) FROM leases WHERE until > ?1",
	[SQ_DATAKEY_REPLACE] = "UPDATE contact_keys SET wrapped = ?2 WHERE contact_id = ?1",
	[SQ_REQUEST_RESEAL] = "UPDATE form_requests SET payload = ?2 WHERE id = ?1",
	[SQ_DB_SIZE] = "SELECT c.page_count * z.page_size FROM pragma_page_count() c,"
		       " pragma_page_size() z",
};

struct sq_hot;
static const struct sk_store_methods sq_methods;

struct sq_store {
	struct sk_store base;
	sqlite3 *db;
	char *notice_text; /* what the last notice_get pointed at */
	char *idem_body;   /* what the last idem_get pointed at */
	uint8_t *webhook_secret; /* what the last webhook_get pointed at */
	uint8_t *request_payload; /* what the last request_get pointed at */
	sqlite3_stmt *st[SQ_NSTMT];
	/* Reads cached inside one write transaction (BEGIN IMMEDIATE holds the write lock, so
	 * no other connection can change these rows until it ends); emptied at every begin,
	 * commit and rollback, and by every write that could make them stale. */
	int wtx;                 /* a write transaction is open */
	int lazy;                /* it was begun SK_TX_WRITE_LAZY: synchronous is NORMAL */
	int head_ok;             /* the ledger head */
	int64_t head_seq;
	uint8_t head_hash[SK_HASH_LEN];
	int contact_ok;          /* the last contact read or inserted by id */
	struct sk_contact_rec contact;
	int dk_ok;               /* the last data key read or written */
	char dk_id[SK_ID_LEN + 1];
	uint8_t dk[128];
	size_t dk_len;
	int gate_ok;             /* the last gate_lookup: (email_key, purpose) and its answer */
	uint8_t gate_key[SK_HASH_LEN];
	char gate_purpose[SK_PURPOSE_MAX];
	struct sk_gate_rec gate;
	/* a contact inserted in this transaction has no consent state but those put since:
	 * state_get answers NOT_FOUND for its other purposes without asking SQLite */
	int new_ok;
	char new_id[SK_ID_LEN + 1];
	size_t new_nput;
	char new_put[16][SK_PURPOSE_MAX];
	size_t nnotices;         /* notices read (a notice version never changes) */
	struct {
		struct sk_notice_rec rec;
		char *text;
	} notices[SQ_NOTICE_CACHE];
	/* the hot gate cache (below): answers of gate_lookup outside a transaction, valid
	 * while SQLite's WAL-index header is unchanged */
	const volatile uint32_t *shm; /* region 0 of the WAL index, SQLite's own mapping */
	struct sq_hot *hot;           /* the file's table */
	int hot_tried;
	/* contacts deleted in this transaction, forgotten by the hot cache at commit: their
	 * keys (at most SQ_HOT_ERASED; more, and the whole table is wiped) */
	uint8_t hot_erased[8][SK_HASH_LEN];
	int hot_nerased, hot_wipe_all;
	uint64_t hot_gen;             /* the generation and header this handle saw last */
	uint32_t hot_hdr[12];
	/* bulk mode: a second connection that checkpoints on its own thread */
	sqlite3 *ck_db;
	pthread_t ck_thread;
	pthread_mutex_t ck_mu;
	pthread_cond_t ck_cv;
	int ck_running, ck_stop;
	/* group commit (sq_savepoint): SAVEPOINT, RELEASE, ROLLBACK TO, prepared on first use */
	sqlite3_stmt *sp[3];
	/* rows_put's INSERT per table of sk_store_tables, prepared on first use */
	sqlite3_stmt *rows_put[SQ_ROWS_TABLES];
};

static void sq_cache_clear(struct sq_store *q)
{
	q->head_ok = q->contact_ok = q->dk_ok = q->gate_ok = q->new_ok = 0;
	memset(q->dk, 0, sizeof(q->dk));
	for (size_t i = 0; i < q->nnotices; i++)
		sk_free(q->notices[i].text);
	q->nnotices = 0;
}

/* The caches may be used: a write transaction of ours is still open. */
static int sq_cache_on(struct sq_store *q)
{
	return q->wtx && !sqlite3_get_autocommit(q->db);
}

static sqlite3_stmt *sq_stmt(struct sk_store *s, enum sq_stmt i)
{
	return ((struct sq_store *)s)->st[i];
}

/* SQLite (extended) result code to SK_ERR_*. Only inserts can hit a key constraint, and
 * for them a taken key is SK_ERR_EXISTS. */
static int sq_code(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return SK_ERR_BUSY;
	case SQLITE_NOMEM:
		return SK_ERR_NOMEM;
	case SQLITE_TOOBIG:
		return SK_ERR_TOO_LARGE;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
			return SK_ERR_EXISTS;
		return SK_ERR_STORAGE;
	default:
		return SK_ERR_STORAGE;
	}
}

/* Makes st ready for its next use; bound pointers are not kept past the call. */
static void sq_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static int sq_bindfail(sqlite3_stmt *st)
{
	int rc = sq_code(sqlite3_errcode(sqlite3_db_handle(st)));
	sq_done(st);
	return rc;
}

static int sq_text(sqlite3_stmt *st, int i, const char *s)
{
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* A NULL p binds SQL NULL. */
static int sq_blob(sqlite3_stmt *st, int i, const void *p, size_t len)
{
	return sqlite3_bind_blob64(st, i, p, len, SQLITE_STATIC);
}

/* Runs a statement that returns no rows and resets it. */
static int sq_run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sq_done(st);
	return rc == SQLITE_DONE ? 0 : sq_code(rc);
}

/* Steps to the first row: 0 with the row ready, or NOT_FOUND, or an error. The caller
 * resets the statement either way. */
static int sq_row(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? SK_ERR_NOT_FOUND : sq_code(rc);
}

/* 1 while st yields a row; at the end 0, with *rc set to 0 or the error. */
static int sq_next(sqlite3_stmt *st, int *rc)
{
	int r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		return 1;
	*rc = r == SQLITE_DONE ? 0 : sq_code(r);
	return 0;
}

/* Copies a text column into its fixed field. A text that does not fit (or holds a NUL byte)
 * was not written by samtycke, whose fields are the limits of what it writes: the read
 * fails with SK_ERR_CORRUPT, naming where ("consent_ledger.source"), rather than hand on a
 * cut value. Sets *rc only when it is still 0, so a row reader checks once at its end. */
static void sq_col_text(sqlite3_stmt *st, int i, char *out, size_t outlen, const char *where,
			int *rc)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	size_t n = t ? (size_t)sqlite3_column_bytes(st, i) : 0;
	if (n >= outlen || (n && memchr(t, '\0', n))) {
		out[0] = '\0';
		if (*rc == 0) {
			sk__store_corrupt(where);
			*rc = SK_ERR_CORRUPT;
		}
		return;
	}
	memcpy(out, t ? t : "", n);
	out[n] = '\0';
}

/* An integer column the gate's answer rests on (a consent's valid_until): anything but an
 * integer (NULL, a text, a real: a tampered database) fails the read with CORRUPT instead of
 * reading as 0, which would mean "no limit". */
static int64_t sq_col_int(sqlite3_stmt *st, int i, const char *where, int *rc)
{
	if (sqlite3_column_type(st, i) != SQLITE_INTEGER) {
		if (*rc == 0) {
			sk__store_corrupt(where);
			*rc = SK_ERR_CORRUPT;
		}
		return 0;
	}
	return sqlite3_column_int64(st, i);
}

/* Hashes of the wrong length are zero-filled, not refused: the audit reports the row as a
 * broken chain. */
static void sq_col_hash(sqlite3_stmt *st, int i, uint8_t out[SK_HASH_LEN])
{
	const void *p = sqlite3_column_blob(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i);
	memset(out, 0, SK_HASH_LEN);
	if (p)
		memcpy(out, p, n < SK_HASH_LEN ? n : SK_HASH_LEN);
}

static int sq_contact_row(sqlite3_stmt *st, struct sk_contact_rec *out)
{
	int rc = 0;
	memset(out, 0, sizeof(*out));
	sq_col_text(st, 0, out->id, sizeof(out->id), "contacts.id", &rc);
	sq_col_hash(st, 1, out->email_key);
	out->created_at = sqlite3_column_int64(st, 2);
	out->updated_at = sqlite3_column_int64(st, 3);
	return rc;
}

/* SQ_STATE_COLS starting at column c. */
static int sq_state_row(sqlite3_stmt *st, int c, struct sk_state_rec *out)
{
	int rc = 0;
	memset(out, 0, sizeof(*out));
	sq_col_text(st, c, out->contact_id, sizeof(out->contact_id), "consent_state.contact_id", &rc);
	sq_col_text(st, c + 1, out->purpose, sizeof(out->purpose), "consent_state.purpose", &rc);
	sq_col_text(st, c + 2, out->status, sizeof(out->status), "consent_state.status", &rc);
	out->seq = sqlite3_column_int64(st, c + 3);
	sq_col_text(st, c + 4, out->event_id, sizeof(out->event_id), "consent_state.event_id", &rc);
	out->updated_at = sqlite3_column_int64(st, c + 5);
	out->valid_until = sq_col_int(st, c + 6, "consent_state.valid_until", &rc);
	out->notice_version = sqlite3_column_int(st, c + 7);
	return rc;
}

/* SQ_LEDGER_COLS. */
static int sq_event_row(sqlite3_stmt *st, struct sk_event_rec *ev)
{
	int rc = 0;
	memset(ev, 0, sizeof(*ev));
	ev->seq = sqlite3_column_int64(st, 0);
	sq_col_text(st, 1, ev->id, sizeof(ev->id), "consent_ledger.id", &rc);
	sq_col_text(st, 2, ev->contact_id, sizeof(ev->contact_id), "consent_ledger.contact_id", &rc);
	sq_col_text(st, 3, ev->purpose, sizeof(ev->purpose), "consent_ledger.purpose", &rc);
	sq_col_text(st, 4, ev->action, sizeof(ev->action), "consent_ledger.action", &rc);
	ev->occurred_at = sqlite3_column_int64(st, 5);
	ev->recorded_at = sqlite3_column_int64(st, 6);
	sq_col_text(st, 7, ev->method, sizeof(ev->method), "consent_ledger.method", &rc);
	sq_col_text(st, 8, ev->source, sizeof(ev->source), "consent_ledger.source", &rc);
	ev->notice_version = sqlite3_column_int(st, 9);
	sq_col_hash(st, 10, ev->notice_sha256);
	sq_col_text(st, 11, ev->lang, sizeof(ev->lang), "consent_ledger.lang", &rc);
	ev->valid_until = sqlite3_column_int64(st, 12);
	sq_col_text(st, 13, ev->actor, sizeof(ev->actor), "consent_ledger.actor", &rc);
	ev->flags = sqlite3_column_int(st, 14);
	ev->evidence = sqlite3_column_blob(st, 15);
	ev->evidence_len = ev->evidence ? (size_t)sqlite3_column_bytes(st, 15) : 0;
	sq_col_hash(st, 16, ev->prev_hash);
	sq_col_hash(st, 17, ev->hash);
	ev->hash_version = sqlite3_column_int(st, 18);
	return rc;
}

/* Each row of a bound statement of states (or events) to cb, in order; a nonzero return
 * of cb stops the walk and is returned. The statement is reset either way. */
static int sq_state_walk(sqlite3_stmt *st, sk_state_cb cb, void *arg)
{
	struct sk_state_rec r;
	int rc = 0;
	while (rc == 0 && sq_next(st, &rc)) {
		if ((rc = sq_state_row(st, 0, &r)) == 0)
			rc = cb(arg, &r);
	}
	sq_done(st);
	return rc;
}

static int sq_event_walk(sqlite3_stmt *st, sk_event_cb cb, void *arg)
{
	struct sk_event_rec ev;
	int rc = 0;
	while (rc == 0 && sq_next(st, &rc)) {
		if ((rc = sq_event_row(st, &ev)) == 0)
			rc = cb(arg, &ev);
	}
	sq_done(st);
	return rc;
}


static int sq_change_row(sqlite3_stmt *st, struct sk_change_rec *ch)
{
	int rc = 0;
	memset(ch, 0, sizeof(*ch));
	ch->seq = sqlite3_column_int64(st, 0);
	sq_col_text(st, 1, ch->type, sizeof(ch->type), "changes.type", &rc);
	sq_col_text(st, 2, ch->contact_id, sizeof(ch->contact_id), "changes.contact_id", &rc);
	sq_col_text(st, 3, ch->purpose, sizeof(ch->purpose), "changes.purpose", &rc);
	sq_col_text(st, 4, ch->status, sizeof(ch->status), "changes.status", &rc);
	ch->at = sqlite3_column_int64(st, 5);
	return rc;
}

/* A lazy write transaction (SK_TX_WRITE_LAZY) runs with synchronous = NORMAL: in WAL mode
 * its commit does not sync the WAL, and a crash may lose it but never corrupts the database
 * (SQLite's documentation of PRAGMA synchronous). Every other one runs at FULL. */
static int sq_lazy(struct sq_store *q, int on)
{
	if (q->lazy == on)
		return 0;
	int rc = sqlite3_exec(q->db, on ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL",
			      NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		q->lazy = on;
	return rc == SQLITE_OK ? 0 : sq_code(rc);
}

static int sq_begin(struct sk_store *s, int write)
{
	struct sq_store *q = (struct sq_store *)s;
	sq_cache_clear(q);
	q->wtx = 0;
	int rc = sq_lazy(q, write == SK_TX_WRITE_LAZY);
	if (!rc)
		rc = sq_run(sq_stmt(s, write ? SQ_BEGIN_WRITE : SQ_BEGIN_READ));
	if (rc) /* no transaction: the next autocommit write must be durable */
		(void)sq_lazy(q, 0);
	q->wtx = write && rc == 0;
	return rc;
}

static void sq_hot_forget(struct sq_store *q);

static int sq_commit(struct sk_store *s)
{
	struct sq_store *q = (struct sq_store *)s;
	sq_cache_clear(q);
	q->wtx = 0;
	int rc = sq_run(sq_stmt(s, SQ_COMMIT));
	int back = sq_lazy(q, 0);
	if (sqlite3_get_autocommit(q->db))
		sq_hot_forget(q); /* committed (or rolled back by SQLite: forgetting loses nothing) */
	return rc ? rc : back;
}

static int sq_rollback(struct sk_store *s)
{
	struct sq_store *q = (struct sq_store *)s;
	q->hot_nerased = q->hot_wipe_all = 0;
	sq_cache_clear(q);
	q->wtx = 0;
	/* Autocommit: no transaction is active, or SQLite has already rolled it back. */
	int rc = sqlite3_get_autocommit(q->db) ? 0 : sq_run(sq_stmt(s, SQ_ROLLBACK));
	int back = sq_lazy(q, 0);
	return rc ? rc : back;
}

static int sq_meta_get(struct sk_store *s, const char *key, char *out, size_t outlen)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_META_GET);
	int rc;

	if (sq_text(st, 1, key))
		return sq_bindfail(st);
	rc = sq_row(st);
	if (rc == 0) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		rc = sk_strlcpy(out, v ? v : "", outlen);
	}
	sq_done(st);
	return rc;
}

static int sq_meta_set(struct sk_store *s, const char *key, const char *value)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_META_SET);

	if (sq_text(st, 1, key) || sq_text(st, 2, value))
		return sq_bindfail(st);
	return sq_run(st);
}

static int sq_policy_put(struct sk_store *s, int64_t at, const char *text, size_t len,
			 int *outversion)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_POLICY_PUT);
	int rc;

	if (sqlite3_bind_int64(st, 1, at) ||
	    sqlite3_bind_text64(st, 2, text, len, SQLITE_STATIC, SQLITE_UTF8))
		return sq_bindfail(st);
	rc = sq_run(st);
	if (rc == 0)
		*outversion = (int)sqlite3_last_insert_rowid(((struct sq_store *)s)->db);
	return rc;
}

static int sq_policy_get(struct sk_store *s, char **outtext, size_t *outlen, int *outversion,
			 int64_t *outat)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_POLICY_GET);
	int rc = sq_row(st);

	if (rc == 0) {
		const char *t = (const char *)sqlite3_column_text(st, 2);
		size_t n = (size_t)sqlite3_column_bytes(st, 2);
		*outtext = sk_strndup(t ? t : "", n);
		if (!*outtext) {
			rc = SK_ERR_NOMEM;
		} else {
			*outlen = n;
			*outversion = sqlite3_column_int(st, 0);
			*outat = sqlite3_column_int64(st, 1);
		}
	}
	sq_done(st);
	return rc;
}

static int sq_notice_put(struct sk_store *s, const struct sk_notice_rec *n)
{
	sq_cache_clear((struct sq_store *)s);
	sqlite3_stmt *st = sq_stmt(s, SQ_NOTICE_PUT);

	if (sq_text(st, 1, n->purpose) || sqlite3_bind_int(st, 2, n->version) ||
	    sq_text(st, 3, n->lang) || sq_text(st, 4, n->text) ||
	    sq_blob(st, 5, n->sha256, SK_HASH_LEN) || sqlite3_bind_int64(st, 6, n->created_at))
		return sq_bindfail(st);
	return sq_run(st);
}

static int sq_notice_get(struct sk_store *s, const char *purpose, int version, const char *lang,
			 struct sk_notice_rec *out)
{
	struct sq_store *q = (struct sq_store *)s;
	sqlite3_stmt *st = q->st[SQ_NOTICE_GET];
	int rc;

	sk_free(q->notice_text);
	q->notice_text = NULL;
	if (sq_cache_on(q)) {
		for (size_t i = 0; i < q->nnotices; i++) {
			const struct sk_notice_rec *n = &q->notices[i].rec;
			if (n->version != version || strcmp(n->purpose, purpose) ||
			    strcmp(n->lang, lang))
				continue;
			/* a copy: out->text stays valid until the next notice_get, as before */
			if (!(q->notice_text = sk_strndup(q->notices[i].text,
							  strlen(q->notices[i].text))))
				return SK_ERR_NOMEM;
			*out = *n;
			out->text = q->notice_text;
			return 0;
		}
	}
	if (sq_text(st, 1, purpose) || sqlite3_bind_int(st, 2, version) || sq_text(st, 3, lang))
		return sq_bindfail(st);
	rc = sq_row(st);
	if (rc == 0) {
		const char *t = (const char *)sqlite3_column_text(st, 3);
		q->notice_text = sk_strndup(t ? t : "", (size_t)sqlite3_column_bytes(st, 3));
		if (!q->notice_text) {
			rc = SK_ERR_NOMEM;
		} else {
			memset(out, 0, sizeof(*out));
			sq_col_text(st, 0, out->purpose, sizeof(out->purpose), "notices.purpose", &rc);
			out->version = sqlite3_column_int(st, 1);
			sq_col_text(st, 2, out->lang, sizeof(out->lang), "notices.lang", &rc);
			out->text = q->notice_text;
			sq_col_hash(st, 4, out->sha256);
			out->created_at = sqlite3_column_int64(st, 5);
		}
	}
	sq_done(st);
	if (rc == 0 && sq_cache_on(q) && q->nnotices < SQ_NOTICE_CACHE &&
	    (q->notices[q->nnotices].text = sk_strndup(out->text, strlen(out->text)))) {
		q->notices[q->nnotices].rec = *out;
		q->notices[q->nnotices].rec.text = NULL;
		q->nnotices++;
	}
	return rc;
}

static int sq_notice_latest(struct sk_store *s, const char *purpose, int *outversion)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_NOTICE_LATEST);
	int rc;

	if (sq_text(st, 1, purpose))
		return sq_bindfail(st);
	rc = sq_row(st);
	if (rc == 0)
		*outversion = sqlite3_column_int(st, 0);
	sq_done(st);
	return rc;
}

static int sq_contact_insert(struct sk_store *s, const struct sk_contact_rec *c)
{
	struct sq_store *q = (struct sq_store *)s;
	sqlite3_stmt *st = sq_stmt(s, SQ_CONTACT_INSERT);

	q->contact_ok = q->gate_ok = q->new_ok = 0;
	if (sq_text(st, 1, c->id) || sq_blob(st, 2, c->email_key, SK_HASH_LEN) ||
	    sqlite3_bind_int64(st, 3, c->created_at) || sqlite3_bind_int64(st, 4, c->updated_at))
		return sq_bindfail(st);
	int rc = sq_run(st);
	if (rc == 0 && sq_cache_on(q)) {
		q->contact = *c;
		q->contact_ok = 1;
		q->new_ok = strlen(c->id) < sizeof(q->new_id);
		if (q->new_ok)
			sk_strlcpy(q->new_id, c->id, sizeof(q->new_id));
		q->new_nput = 0;
	}
	return rc;
}

static int sq_contact_by_key(struct sk_store *s, const uint8_t *email_key,
			     struct sk_contact_rec *out)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_CONTACT_BY_KEY);
	int rc;

	if (sq_blob(st, 1, email_key, SK_HASH_LEN))
		return sq_bindfail(st);
	rc = sq_row(st);
	if (rc == 0)
		rc = sq_contact_row(st, out);
	sq_done(st);
	return rc;
}

static int sq_contact_by_id(struct sk_store *s, const char *id, struct sk_contact_rec *out)
{
	struct sq_store *q = (struct sq_store *)s;
	sqlite3_stmt *st = sq_stmt(s, SQ_CONTACT_BY_ID);
	int rc;

	if (q->contact_ok && sq_cache_on(q) && strcmp(q->contact.id, id) == 0) {
		*out = q->contact;
		return 0;
	}
	q->contact_ok = 0;
	if (sq_text(st, 1, id))
		return sq_bindfail(st);
	rc = sq_row(st);
	if (rc == 0)
		rc = sq_contact_row(st, out);
	sq_done(st);
	if (rc == 0 && sq_cache_on(q)) {
		q->contact = *out;
		q->contact_ok = 1;
	}
	return rc;
}

static int sq_contact_touch(struct sk_store *s, const char *id, int64_t at)
{
	struct sq_store *q = (struct sq_store *)s;
	sqlite3_stmt *st = sq_stmt(s, SQ_CONTACT_TOUCH);
	int rc;

	q->contact_ok = 0;
	if (sq_text(st, 1, id) || sqlite3_bind_int64(st, 2, at))
		return sq_bindfail(st);
	rc = sq_run(st);
	if (rc == 0 && sqlite3_changes(((struct sq_store *)s)->db) == 0)
		rc = SK_ERR_NOT_FOUND;
	return rc;
}

/* The wrapped (never the plain) data key, cached for the next datakey_get of its contact. */
static void sq_dk_keep(struct sq_store *q, const char *id, const uint8_t *wrapped, size_t len)
{
	q->dk_ok = sq_cache_on(q) && len <= sizeof(q->dk) && strlen(id) < sizeof(q->dk_id);
	if (!q->dk_ok)
		return;
	sk_strlcpy(q->dk_id, id, sizeof(q->dk_id));
	if (len)
		memcpy(q->dk, wrapped, len);
	q->dk_len = len;
}

static int sq_datakey_put(struct sk_store *s, const char *id, const uint8_t *wrapped, size_t len)
{
	struct sq_store *q = (struct sq_store *)s;
	sqlite3_stmt *st = sq_stmt(s, SQ_DATAKEY_PUT);

	q->dk_ok = 0;
	if (sq_text(st, 1, id) || sq_blob(st, 2, wrapped, len))
		return sq_bindfail(st);
	int rc = sq_run(st);
	if (rc == 0)
		sq_dk_keep(q, id, wrapped, len);
	return rc;
}

static int sq_datakey_get(struct sk_store *s, const char *id, uint8_t *out, size_t cap,
			  size_t *outlen)
{
	struct sq_store *q = (struct sq_store *)s;
	sqlite3_stmt *st = sq_stmt(s, SQ_DATAKEY_GET);
	int rc;

	if (q->dk_ok && sq_cache_on(q) && strcmp(q->dk_id, id) == 0) {
		*outlen = q->dk_len;
		if (q->dk_len > cap)
			return SK_ERR_TOO_LARGE;
		memcpy(out, q->dk, q->dk_len);
		return 0;
	}
	q->dk_ok = 0;
	if (sq_text(st, 1, id))
		return sq_bindfail(st);
	rc = sq_row(st);
	if (rc == 0) {
		const void *p = sqlite3_column_blob(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		*outlen = n;
		if (n > cap)
			rc = SK_ERR_TOO_LARGE;
		else if (n)
			memcpy(out, p, n);
		if (rc == 0)
			sq_dk_keep(q, id, p, n);
	}
	sq_done(st);
	return rc;
}

static int sq_field_put(struct sk_store *s, const char *id, const char *name,
			const uint8_t *sealed, size_t len)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_FIELD_PUT);

	if (sq_text(st, 1, id) || sq_text(st, 2, name) || sq_blob(st, 3, sealed, len))
		return sq_bindfail(st);
	return sq_run(st);
}

static int sq_field_each(struct sk_store *s, const char *id, sk_field_cb cb, void *arg)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_FIELD_EACH);
	int rc = 0;

	if (sq_text(st, 1, id))
		return sq_bindfail(st);
	while (rc == 0 && sq_next(st, &rc)) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const uint8_t *sealed = sqlite3_column_blob(st, 1);
		rc = cb(arg, name ? name : "", sealed, (size_t)sqlite3_column_bytes(st, 1));
	}
	sq_done(st);
	return rc;
}

static int sq_ledger_append(struct sk_store *s, const struct sk_event_rec *ev)
{
	struct sq_store *q = (struct sq_store *)s;
	sqlite3_stmt *st = sq_stmt(s, SQ_LEDGER_APPEND);

	q->head_ok = 0;

	if (sqlite3_bind_int64(st, 1, ev->seq) || sq_text(st, 2, ev->id) ||
	    sq_text(st, 3, ev->contact_id) || sq_text(st, 4, ev->purpose) ||
	    sq_text(st, 5, ev->action) || sqlite3_bind_int64(st, 6, ev->occurred_at) ||
	    sqlite3_bind_int64(st, 7, ev->recorded_at) || sq_text(st, 8, ev->method) ||
	    sq_text(st, 9, ev->source) || sqlite3_bind_int(st, 10, ev->notice_version) ||
	    sq_blob(st, 11, ev->notice_sha256, SK_HASH_LEN) || sq_text(st, 12, ev->lang) ||
	    sqlite3_bind_int64(st, 13, ev->valid_until) || sq_text(st, 14, ev->actor) ||
	    sqlite3_bind_int(st, 15, ev->flags) || sq_blob(st, 16, ev->evidence, ev->evidence_len) ||
	    sq_blob(st, 17, ev->prev_hash, SK_HASH_LEN) || sq_blob(st, 18, ev->hash, SK_HASH_LEN) ||
	    sqlite3_bind_int(st, 19, ev->hash_version ? ev->hash_version : SK_LEDGER_HASH_CURRENT))
		return sq_bindfail(st);
	int rc = sq_run(st);
	if (rc == 0 && sq_cache_on(q)) {
		/* the newest event is the head: the next append reads it from here */
		q->head_seq = ev->seq;
		memcpy(q->head_hash, ev->hash, SK_HASH_LEN);
		q->head_ok = 1;
	}
	return rc;
}

static int sq_ledger_last(struct sk_store *s, int64_t *outseq, uint8_t *outhash)
{
	struct sq_store *q = (struct sq_store *)s;
	sqlite3_stmt *st = sq_stmt(s, SQ_LEDGER_LAST);

	if (q->head_ok && sq_cache_on(q)) {
		*outseq = q->head_seq;
		memcpy(outhash, q->head_hash, SK_HASH_LEN);
		return 0;
	}
	int rc = sq_row(st);

	if (rc == 0) {
		*outseq = sqlite3_column_int64(st, 0);
		sq_col_hash(st, 1, outhash);
	} else if (rc == SK_ERR_NOT_FOUND) {
		*outseq = 0;
		memset(outhash, 0, SK_HASH_LEN);
		rc = 0;
	}
	sq_done(st);
	if (rc == 0 && sq_cache_on(q)) {
		q->head_seq = *outseq;
		memcpy(q->head_hash, outhash, SK_HASH_LEN);
		q->head_ok = 1;
	}
	return rc;
}

static int sq_ledger_each(struct sk_store *s, const char *contact_id, int64_t after,
			  sk_event_cb cb, void *arg)
{
	sqlite3_stmt *st = sq_stmt(s, contact_id ? SQ_LEDGER_EACH_CONTACT : SQ_LEDGER_EACH_ALL);

	if (sqlite3_bind_int64(st, 1, after) || (contact_id && sq_text(st, 2, contact_id)))
		return sq_bindfail(st);
	return sq_event_walk(st, cb, arg);
}

static int sq_state_put(struct sk_store *s, const struct sk_state_rec *r)
{
	struct sq_store *q = (struct sq_store *)s;
	sqlite3_stmt *st = sq_stmt(s, SQ_STATE_PUT);

	q->gate_ok = 0;
	if (q->new_ok && strcmp(r->contact_id, q->new_id) == 0) {
		/* from now on its state for this purpose is asked of SQLite */
		if (q->new_nput == sizeof(q->new_put) / sizeof(q->new_put[0]) ||
		    strlen(r->purpose) >= SK_PURPOSE_MAX)
			q->new_ok = 0;
		else
			sk_strlcpy(q->new_put[q->new_nput++], r->purpose, SK_PURPOSE_MAX);
	}

	if (sq_text(st, 1, r->contact_id) || sq_text(st, 2, r->purpose) ||
	    sq_text(st, 3, r->status) || sqlite3_bind_int64(st, 4, r->seq) ||
	    sq_text(st, 5, r->event_id) || sqlite3_bind_int64(st, 6, r->updated_at) ||
	    sqlite3_bind_int64(st, 7, r->valid_until) || sqlite3_bind_int(st, 8, r->notice_version))
		return sq_bindfail(st);
	return sq_run(st);
}

static int sq_state_get(struct sk_store *s, const char *contact_id, const char *purpose,
			struct sk_state_rec *out)
{
	struct sq_store *q = (struct sq_store *)s;
	sqlite3_stmt *st = sq_stmt(s, SQ_STATE_GET);
	int rc;

	if (q->new_ok && sq_cache_on(q) && strcmp(contact_id, q->new_id) == 0) {
		size_t i = 0;
		while (i < q->new_nput && strcmp(q->new_put[i], purpose))
			i++;
		if (i == q->new_nput)
			return SK_ERR_NOT_FOUND; /* a new contact, and no state put for purpose */
	}

	if (sq_text(st, 1, contact_id) || sq_text(st, 2, purpose))
		return sq_bindfail(st);
	rc = sq_row(st);
	if (rc == 0)
		rc = sq_state_row(st, 0, out);
	sq_done(st);
	return rc;
}

static int sq_state_each(struct sk_store *s, const char *contact_id, sk_state_cb cb, void *arg)
{
	sqlite3_stmt *st = sq_stmt(s, contact_id ? SQ_STATE_EACH_CONTACT : SQ_STATE_EACH_ALL);

	if (contact_id && sq_text(st, 1, contact_id))
		return sq_bindfail(st);
	return sq_state_walk(st, cb, arg);
}

static int sq_state_clear(struct sk_store *s)
{
	sq_cache_clear((struct sq_store *)s);
	return sq_run(sq_stmt(s, SQ_STATE_CLEAR));
}

static int sq_suppression_put(struct sk_store *s, const uint8_t *email_key, const char *reason,
			      int64_t at)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_SUPPRESSION_PUT);

	((struct sq_store *)s)->gate_ok = 0;

	if (sq_blob(st, 1, email_key, SK_HASH_LEN) || sq_text(st, 2, reason) ||
	    sqlite3_bind_int64(st, 3, at))
		return sq_bindfail(st);
	return sq_run(st);
}

/* ---- the hot gate cache ----
 *
 * gate_lookup called outside a transaction (the server's check path) is answered from a
 * table of earlier answers while nothing has been committed to the database since they were
 * read, by any connection of any process. "Nothing committed since" is read from SQLite's
 * own WAL index: every commit in WAL mode rewrites the index header (frame count, frame
 * checksums, salts and the header's own checksum) in the shared memory that every
 * connection maps, before the commit returns; SQLite itself decides whether its page cache
 * is still valid by comparing that header (walIndexTryHdr in wal.c). So each lookup reads
 * the header (both copies, which a writer writes in turn: when they differ, a commit is
 * under way and the cache is not used), and when it differs from the one the table was
 * filled under, every entry is dropped at once (a new generation). An entry is filled from
 * a lookup whose header was read before its statement took its snapshot: its answer is as
 * new as that header or newer, and a header still equal to it means no commit since.
 * Inside a transaction the table is neither read nor filled, so a snapshot stays one.
 *
 * One table per database file and process (by device and inode), shared by the handles of
 * all threads, entries under 64 striped mutexes; each handle remembers the last header and
 * generation it saw, so that only a change takes the table's own mutex. Size:
 * SK_SQLITE_HOT_SLOTS entries (sqlite_tuning.h), allocated on first use, freed with the
 * last handle on the file. */

#define SQ_WALHDR_WORDS 12     /* one copy of the WAL-index header: 48 bytes (wal.c) */
#define SQ_WALINDEX_PGSZ 32768 /* the size of a WAL-index region (wal.c, WALINDEX_PGSZ) */
#define SQ_HOT_STRIPES 64
#define SQ_HOT_FILES 8         /* databases with a table at once; more go without */
#define SQ_HOT_ERASED 8        /* erased keys a transaction remembers one by one */

/* One answer, packed (the record's repeated contact id and purpose are kept once): about
 * 200 bytes. An answer that does not pack and unpack to the same bytes is not kept. */
struct sq_hot_slot {
	uint64_t gen; /* 0: empty */
	uint8_t key[SK_HASH_LEN];
	char purpose[32];
	uint8_t suppressed, found, has_state;
	char reason[24];
	char contact_id[SK_ID_LEN + 1];
	char status[16];
	char event_id[SK_ID_LEN + 1];
	int32_t notice_version;
	int64_t seq, updated_at, valid_until;
};

_Static_assert((SK_SQLITE_HOT_SLOTS & (SK_SQLITE_HOT_SLOTS - 1)) == 0 && SK_SQLITE_HOT_SLOTS >= 2,
	       "SK_SQLITE_HOT_SLOTS is a power of two");

struct sq_hot {
	dev_t dev;
	ino_t ino;
	int refs;                      /* handles using it; under sq_hot_files_mu */
	pthread_mutex_t mu;            /* gen and hdr */
	uint64_t gen;                  /* the generation of the header below */
	uint32_t hdr[SQ_WALHDR_WORDS]; /* the header the current generation is filled under */
	atomic_long hits, misses;      /* for the tests (sk__store_sqlite_hot_stats) */
	pthread_mutex_t stripe[SQ_HOT_STRIPES];
	struct sq_hot_slot slot[SK_SQLITE_HOT_SLOTS];
};

static pthread_mutex_t sq_hot_files_mu = PTHREAD_MUTEX_INITIALIZER;
static struct sq_hot *sq_hot_files[SQ_HOT_FILES];

/* The table of the file at path, made on first use; NULL when there is no room. */
static struct sq_hot *sq_hot_acquire(const char *path)
{
	struct stat sb;
	struct sq_hot *t = NULL;
	int free_at = -1;
	if (!path || !*path || stat(path, &sb) != 0)
		return NULL;
	pthread_mutex_lock(&sq_hot_files_mu);
	for (int i = 0; i < SQ_HOT_FILES && !t; i++) {
		if (!sq_hot_files[i])
			free_at = free_at < 0 ? i : free_at;
		else if (sq_hot_files[i]->dev == sb.st_dev && sq_hot_files[i]->ino == sb.st_ino)
			t = sq_hot_files[i];
	}
	if (!t && free_at >= 0 && (t = sk_calloc(1, sizeof(*t)))) {
		t->dev = sb.st_dev;
		t->ino = sb.st_ino;
		pthread_mutex_init(&t->mu, NULL);
		for (int i = 0; i < SQ_HOT_STRIPES; i++)
			pthread_mutex_init(&t->stripe[i], NULL);
		sq_hot_files[free_at] = t;
	}
	if (t)
		t->refs++;
	pthread_mutex_unlock(&sq_hot_files_mu);
	return t;
}

static void sq_hot_release(struct sq_hot *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&sq_hot_files_mu);
	if (--t->refs == 0) {
		for (int i = 0; i < SQ_HOT_FILES; i++)
			if (sq_hot_files[i] == t)
				sq_hot_files[i] = NULL;
		pthread_mutex_destroy(&t->mu);
		for (int i = 0; i < SQ_HOT_STRIPES; i++)
			pthread_mutex_destroy(&t->stripe[i]);
		sk_free(t);
	}
	pthread_mutex_unlock(&sq_hot_files_mu);
}

/* The WAL index as SQLite maps it for this connection (region 0, through the VFS's own
 * xShmMap on the database file), and the file's table, once. Asked only after a statement
 * ran, so that the connection has its WAL open and the region stays mapped until the
 * connection closes. Without either, the handle goes without the cache. */
static void sq_hot_attach(struct sq_store *q)
{
	sqlite3_file *f = NULL;
	void volatile *p = NULL;
	q->hot_tried = 1;
	if (sqlite3_file_control(q->db, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK ||
	    !f || !f->pMethods || f->pMethods->iVersion < 2 || !f->pMethods->xShmMap)
		return;
	if (f->pMethods->xShmMap(f, 0, SQ_WALINDEX_PGSZ, 0, &p) != SQLITE_OK || !p)
		return;
	if ((q->hot = sq_hot_acquire(sqlite3_db_filename(q->db, "main"))))
		q->shm = p;
}

/* Reads the header into out: 0, or -1 when it cannot be trusted now (not initialised, or
 * the two copies differ: a commit is writing it). */
static int sq_walhdr(const volatile uint32_t *h, uint32_t out[SQ_WALHDR_WORDS])
{
	uint32_t two[SQ_WALHDR_WORDS];
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	for (int i = 0; i < SQ_WALHDR_WORDS; i++)
		out[i] = h[i];
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	for (int i = 0; i < SQ_WALHDR_WORDS; i++)
		two[i] = h[SQ_WALHDR_WORDS + i];
	/* word 0 is the WAL-index format (3007000 in every SQLite 3.7 and later: another one
	 * means a layout this code does not know); byte 12 is isInit */
	if (memcmp(out, two, sizeof(two)) != 0 || out[0] != 3007000 ||
	    ((const uint8_t *)out)[12] == 0)
		return -1;
	return 0;
}

/* The generation the table may be used under for this lookup, or 0 when it may not. */
static uint64_t sq_hot_gen(struct sq_store *q)
{
	uint32_t h[SQ_WALHDR_WORDS];
	struct sq_hot *t = q->hot;
	/* No transaction of any kind open on the handle: not a BEGIN, and not the implicit
	 * read snapshot of a statement still stepping (an iteration whose callback asks the
	 * gate), which would read an older moment than the header below says. */
	if (!t || q->wtx || !sqlite3_get_autocommit(q->db) ||
	    sqlite3_txn_state(q->db, "main") != SQLITE_TXN_NONE || sq_walhdr(q->shm, h))
		return 0;
	/* The header this handle saw last, unchanged: no commit since, so no handle has seen a
	 * newer one, and the generation it had then still holds. */
	if (q->hot_gen && memcmp(q->hot_hdr, h, sizeof(h)) == 0)
		return q->hot_gen;
	pthread_mutex_lock(&t->mu);
	if (t->gen == 0 || memcmp(t->hdr, h, sizeof(h)) != 0) {
		memcpy(t->hdr, h, sizeof(h));
		t->gen++;
	}
	q->hot_gen = t->gen;
	pthread_mutex_unlock(&t->mu);
	memcpy(q->hot_hdr, h, sizeof(h));
	return q->hot_gen;
}

static size_t sq_hot_index(const uint8_t *key, const char *purpose)
{
	uint32_t h;
	memcpy(&h, key, sizeof(h)); /* a keyed hash already: its bytes are uniform */
	for (const char *p = purpose; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return (h & (SK_SQLITE_HOT_SLOTS - 1)) & ~(size_t)1; /* two slots per set */
}

static void sq_hot_unpack(const struct sq_hot_slot *e, struct sk_gate_rec *out)
{
	memset(out, 0, sizeof(*out));
	out->suppressed = e->suppressed;
	memcpy(out->suppress_reason, e->reason, sizeof(e->reason));
	out->found = e->found;
	memcpy(out->contact_id, e->contact_id, sizeof(e->contact_id));
	out->has_state = e->has_state;
	if (!e->has_state)
		return;
	memcpy(out->state.contact_id, e->contact_id, sizeof(e->contact_id));
	memcpy(out->state.purpose, e->purpose, sizeof(e->purpose));
	memcpy(out->state.status, e->status, sizeof(e->status));
	out->state.seq = e->seq;
	memcpy(out->state.event_id, e->event_id, sizeof(e->event_id));
	out->state.updated_at = e->updated_at;
	out->state.valid_until = e->valid_until;
	out->state.notice_version = e->notice_version;
}

/* 0 when rec packs into e without loss (checked by unpacking it again). */
static int sq_hot_pack(struct sq_hot_slot *e, const uint8_t *key, const char *purpose,
		       const struct sk_gate_rec *rec)
{
	struct sk_gate_rec back;
	memset(e, 0, sizeof(*e));
	memcpy(e->key, key, SK_HASH_LEN);
	if (sk_strlcpy(e->purpose, purpose, sizeof(e->purpose)) ||
	    sk_strlcpy(e->reason, rec->suppress_reason, sizeof(e->reason)) ||
	    sk_strlcpy(e->contact_id, rec->contact_id, sizeof(e->contact_id)) ||
	    sk_strlcpy(e->status, rec->state.status, sizeof(e->status)) ||
	    sk_strlcpy(e->event_id, rec->state.event_id, sizeof(e->event_id)))
		return -1;
	e->suppressed = (uint8_t)rec->suppressed;
	e->found = (uint8_t)rec->found;
	e->has_state = (uint8_t)rec->has_state;
	e->seq = rec->state.seq;
	e->updated_at = rec->state.updated_at;
	e->valid_until = rec->state.valid_until;
	e->notice_version = rec->state.notice_version;
	sq_hot_unpack(e, &back);
	return memcmp(&back, rec, sizeof(back)) != 0 ? -1 : 0;
}

/* 1 and the answer in out when the table holds it under generation gen. */
static int sq_hot_get(struct sq_hot *t, uint64_t gen, const uint8_t *key, const char *purpose,
		      struct sk_gate_rec *out)
{
	size_t i = sq_hot_index(key, purpose);
	int found = 0;
	pthread_mutex_t *mu = &t->stripe[(i >> 1) % SQ_HOT_STRIPES];
	pthread_mutex_lock(mu);
	for (size_t j = i; j < i + 2 && !found; j++) {
		const struct sq_hot_slot *e = &t->slot[j];
		if (e->gen == gen && memcmp(e->key, key, SK_HASH_LEN) == 0 &&
		    strcmp(e->purpose, purpose) == 0) {
			sq_hot_unpack(e, out);
			found = 1;
		}
	}
	pthread_mutex_unlock(mu);
	atomic_fetch_add_explicit(found ? &t->hits : &t->misses, 1, memory_order_relaxed);
	return found;
}

/* Keeps an answer read under generation gen, the newest first in its set. */
static void sq_hot_put(struct sq_hot *t, uint64_t gen, const uint8_t *key, const char *purpose,
		       const struct sk_gate_rec *rec)
{
	struct sq_hot_slot e;
	size_t i = sq_hot_index(key, purpose);
	if (sq_hot_pack(&e, key, purpose, rec))
		return;
	e.gen = gen;
	pthread_mutex_t *mu = &t->stripe[(i >> 1) % SQ_HOT_STRIPES];
	pthread_mutex_lock(mu);
	if (t->slot[i].gen == gen)
		t->slot[i + 1] = t->slot[i];
	t->slot[i] = e;
	pthread_mutex_unlock(mu);
}

/* After a commit that deleted contacts (an erasure, a purge): every kept answer is zeroed.
 * They are all of an older generation by then and could never answer again, but they would
 * keep the link of an erased address's key to its contact id in memory, which the erasure
 * removed from the database. Slots never filled are only read (no page is touched for
 * writing). */
static void sq_hot_wipe(struct sq_hot *t)
{
	for (size_t i = 0; i < SK_SQLITE_HOT_SLOTS; i += 2) {
		pthread_mutex_t *mu = &t->stripe[(i >> 1) % SQ_HOT_STRIPES];
		pthread_mutex_lock(mu);
		for (size_t j = i; j < i + 2; j++)
			if (t->slot[j].gen)
				explicit_bzero(&t->slot[j], sizeof(t->slot[j]));
		pthread_mutex_unlock(mu);
	}
}

/* After a commit that deleted contacts (an erasure, a purge): the answers kept for their
 * keys are zeroed, under every purpose a policy ever had (two slots each), or the whole table
 * when the transaction deleted more than SQ_HOT_ERASED. They could not answer again (the
 * commit changed the header), but they would keep the link of an erased address's key to its
 * contact and consent ids in memory, which the erasure removed from the database. */
static void sq_hot_forget(struct sq_store *q)
{
	if (!q->hot_nerased && !q->hot_wipe_all)
		return; /* nothing deleted (every other commit) */
	if (q->hot && q->hot_wipe_all) {
		sq_hot_wipe(q->hot);
	} else if (q->hot && q->hot_nerased) {
		sqlite3_stmt *st = sq_stmt(&q->base, SQ_NOTICE_PURPOSES);
		int rc = 0, n = 0;
		char purpose[SK_PURPOSE_MAX];
		while (sq_next(st, &rc)) {
			sq_col_text(st, 0, purpose, sizeof(purpose), "notices.purpose", &rc);
			if (rc)
				break;
			n++;
			for (int k = 0; k < q->hot_nerased; k++) {
				size_t i = sq_hot_index(q->hot_erased[k], purpose);
				pthread_mutex_t *mu = &q->hot->stripe[(i >> 1) % SQ_HOT_STRIPES];
				pthread_mutex_lock(mu);
				for (size_t j = i; j < i + 2; j++)
					if (memcmp(q->hot->slot[j].key, q->hot_erased[k], SK_HASH_LEN) == 0)
						explicit_bzero(&q->hot->slot[j], sizeof(q->hot->slot[j]));
				pthread_mutex_unlock(mu);
			}
		}
		sq_done(st);
		if (rc || n == 0) /* the purposes could not be read: forget them all */
			sq_hot_wipe(q->hot);
	}
	explicit_bzero(q->hot_erased, sizeof(q->hot_erased));
	q->hot_nerased = q->hot_wipe_all = 0;
}

long sk__store_sqlite_hot_kept(struct sk_store *s)
{
	struct sq_store *q = (struct sq_store *)s;
	long n = 0;
	if (!s || s->m != &sq_methods || !q->hot)
		return -1;
	for (size_t i = 0; i < SK_SQLITE_HOT_SLOTS; i += 2) {
		pthread_mutex_t *mu = &q->hot->stripe[(i >> 1) % SQ_HOT_STRIPES];
		pthread_mutex_lock(mu);
		n += (q->hot->slot[i].gen != 0) + (q->hot->slot[i + 1].gen != 0);
		pthread_mutex_unlock(mu);
	}
	return n;
}

int sk__store_sqlite_hot_stats(struct sk_store *s, long *hits, long *misses)
{
	struct sq_store *q = (struct sq_store *)s;
	if (!s || s->m != &sq_methods || !q->hot)
		return -1;
	*hits = atomic_load(&q->hot->hits);
	*misses = atomic_load(&q->hot->misses);
	return 0;
}

static int sq_gate_lookup(struct sk_store *s, const uint8_t *email_key, const char *purpose,
			  struct sk_gate_rec *out)
{
	struct sq_store *q = (struct sq_store *)s;
	sqlite3_stmt *st = sq_stmt(s, SQ_GATE_LOOKUP);
	int rc;

	if (q->gate_ok && sq_cache_on(q) && memcmp(q->gate_key, email_key, SK_HASH_LEN) == 0 &&
	    strcmp(q->gate_purpose, purpose) == 0) {
		*out = q->gate;
		return 0;
	}
	q->gate_ok = 0;
	/* outside a transaction: the hot cache, while no commit happened since */
	uint64_t hot = sq_hot_gen(q);
	if (hot && sq_hot_get(q->hot, hot, email_key, purpose, out))
		return 0;
	memset(out, 0, sizeof(*out));
	if (sq_blob(st, 1, email_key, SK_HASH_LEN) || sq_text(st, 2, purpose))
		return sq_bindfail(st);
	rc = sq_row(st);
	if (rc == 0) {
		out->suppressed = sqlite3_column_type(st, 0) != SQLITE_NULL;
		sq_col_text(st, 0, out->suppress_reason, sizeof(out->suppress_reason),
			    "suppressions.reason", &rc);
		out->found = sqlite3_column_type(st, 1) != SQLITE_NULL;
		sq_col_text(st, 1, out->contact_id, sizeof(out->contact_id), "contacts.id", &rc);
		out->has_state = sqlite3_column_type(st, 2) != SQLITE_NULL;
		if (out->has_state && rc == 0)
			rc = sq_state_row(st, 2, &out->state);
	}
	sq_done(st);
	if (rc == 0 && hot)
		sq_hot_put(q->hot, hot, email_key, purpose, out);
	if (!q->hot_tried && rc == 0)
		sq_hot_attach(q);
	if (rc == 0 && sq_cache_on(q) && strlen(purpose) < sizeof(q->gate_purpose)) {
		memcpy(q->gate_key, email_key, SK_HASH_LEN);
		sk_strlcpy(q->gate_purpose, purpose, sizeof(q->gate_purpose));
		q->gate = *out;
		q->gate_ok = 1;
	}
	return rc;
}

static int sq_change_append(struct sk_store *s, struct sk_change_rec *ch)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_CHANGE_APPEND);
	int rc;

	if (sq_text(st, 1, ch->type) || sq_text(st, 2, ch->contact_id) ||
	    sq_text(st, 3, ch->purpose) || sq_text(st, 4, ch->status) ||
	    sqlite3_bind_int64(st, 5, ch->at))
		return sq_bindfail(st);
	rc = sq_run(st);
	if (rc == 0)
		ch->seq = sqlite3_last_insert_rowid(((struct sq_store *)s)->db);
	return rc;
}

static int sq_change_each(struct sk_store *s, int64_t after, long limit, sk_change_cb cb,
			  void *arg)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_CHANGE_EACH);
	struct sk_change_rec ch;
	int rc = 0;

	if (sqlite3_bind_int64(st, 1, after) || sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1))
		return sq_bindfail(st);
	while (rc == 0 && sq_next(st, &rc)) {
		if ((rc = sq_change_row(st, &ch)) == 0)
			rc = cb(arg, &ch);
	}
	sq_done(st);
	return rc;
}

static int sq_ledger_get(struct sk_store *s, const char *event_id, sk_event_cb cb, void *arg)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_LEDGER_GET);
	struct sk_event_rec ev;
	int rc;

	if (sq_text(st, 1, event_id))
		return sq_bindfail(st);
	rc = sq_row(st);
	if (rc == 0) {
		if ((rc = sq_event_row(st, &ev)) == 0)
			rc = cb(arg, &ev);
	}
	sq_done(st);
	return rc;
}

static int sq_key_row(sqlite3_stmt *st, struct sk_key_rec *k)
{
	int rc = 0;
	memset(k, 0, sizeof(*k));
	sq_col_text(st, 0, k->id, sizeof(k->id), "api_keys.id", &rc);
	sq_col_text(st, 1, k->name, sizeof(k->name), "api_keys.name", &rc);
	sq_col_text(st, 2, k->scopes, sizeof(k->scopes), "api_keys.scopes", &rc);
	sq_col_hash(st, 3, k->secret_hash);
	k->created_at = sqlite3_column_int64(st, 4);
	k->revoked_at = sqlite3_column_int64(st, 5);
	return rc;
}

static int sq_key_put(struct sk_store *s, const struct sk_key_rec *k)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_KEY_PUT);

	if (sq_text(st, 1, k->id) || sq_text(st, 2, k->name) || sq_text(st, 3, k->scopes) ||
	    sq_blob(st, 4, k->secret_hash, SK_HASH_LEN) || sqlite3_bind_int64(st, 5, k->created_at) ||
	    sqlite3_bind_int64(st, 6, k->revoked_at))
		return sq_bindfail(st);
	return sq_run(st);
}

static int sq_key_get(struct sk_store *s, const char *id, struct sk_key_rec *out)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_KEY_GET);
	int rc;

	if (sq_text(st, 1, id))
		return sq_bindfail(st);
	rc = sq_row(st);
	if (rc == 0)
		rc = sq_key_row(st, out);
	sq_done(st);
	return rc;
}

static int sq_key_each(struct sk_store *s, sk_key_cb cb, void *arg)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_KEY_EACH);
	struct sk_key_rec k;
	int rc = 0;

	while (rc == 0 && sq_next(st, &rc)) {
		if ((rc = sq_key_row(st, &k)) == 0)
			rc = cb(arg, &k);
	}
	sq_done(st);
	return rc;
}

static int sq_key_revoke(struct sk_store *s, const char *name, int64_t at)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_KEY_REVOKE);
	int rc;

	if (sq_text(st, 1, name) || sqlite3_bind_int64(st, 2, at))
		return sq_bindfail(st);
	rc = sq_run(st);
	if (rc == 0 && sqlite3_changes(((struct sq_store *)s)->db) == 0)
		rc = SK_ERR_NOT_FOUND;
	return rc;
}

static int sq_idem_get(struct sk_store *s, const char *key_id, const char *idem_key,
		       struct sk_idem_rec *out)
{
	struct sq_store *q = (struct sq_store *)s;
	sqlite3_stmt *st = sq_stmt(s, SQ_IDEM_GET);
	int rc;

	if (sq_text(st, 1, key_id) || sq_text(st, 2, idem_key))
		return sq_bindfail(st);
	rc = sq_row(st);
	if (rc == 0) {
		const char *body = (const char *)sqlite3_column_text(st, 2);
		sk_free(q->idem_body);
		q->idem_body = sk_strdup(body ? body : "");
		if (!q->idem_body) {
			rc = SK_ERR_NOMEM;
		} else {
			memset(out, 0, sizeof(*out));
			sk_strlcpy(out->key_id, key_id, sizeof(out->key_id));
			sk_strlcpy(out->idem_key, idem_key, sizeof(out->idem_key));
			sq_col_hash(st, 0, out->request_hash);
			out->status = sqlite3_column_int(st, 1);
			out->body = q->idem_body;
			out->created_at = sqlite3_column_int64(st, 3);
		}
	}
	sq_done(st);
	return rc;
}

static int sq_idem_put(struct sk_store *s, const struct sk_idem_rec *r)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_IDEM_PUT);

	if (sq_text(st, 1, r->key_id) || sq_text(st, 2, r->idem_key) ||
	    sq_blob(st, 3, r->request_hash, SK_HASH_LEN) || sqlite3_bind_int(st, 4, r->status) ||
	    sq_text(st, 5, r->body) || sqlite3_bind_int64(st, 6, r->created_at))
		return sq_bindfail(st);
	return sq_run(st);
}

static int sq_idem_purge(struct sk_store *s, int64_t before)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_IDEM_PURGE);

	if (sqlite3_bind_int64(st, 1, before))
		return sq_bindfail(st);
	return sq_run(st);
}

static int sq_contact_delete(struct sk_store *s, const char *id)
{
	struct sq_store *q = (struct sq_store *)s;
	sqlite3_stmt *st;
	uint8_t key[SK_HASH_LEN];
	int rc, have_key = 0;

	/* the key, for the hot gate cache to forget once the deletion commits */
	if (!q->hot_tried)
		sq_hot_attach(q);
	if (q->hot) {
		st = sq_stmt(s, SQ_CONTACT_KEY);
		if (sq_text(st, 1, id))
			return sq_bindfail(st);
		if ((rc = sq_row(st)) == 0 && sqlite3_column_bytes(st, 0) == SK_HASH_LEN) {
			memcpy(key, sqlite3_column_blob(st, 0), SK_HASH_LEN);
			have_key = 1;
		}
		sq_done(st);
	}
	sq_cache_clear(q); /* its data key, contact and events may go */

	/* tracking events of its visitors (the attached ones go by the cascade) */
	st = sq_stmt(s, SQ_TRACK_DELETE_VISITORS);
	if (sq_text(st, 1, id))
		return sq_bindfail(st);
	if ((rc = sq_run(st)))
		return rc;
	st = sq_stmt(s, SQ_CONTACT_DELETE);
	if (sq_text(st, 1, id))
		return sq_bindfail(st);
	rc = sq_run(st);
	if (rc == 0 && sqlite3_changes(q->db) == 0)
		rc = SK_ERR_NOT_FOUND;
	if (rc == 0 && q->hot) {
		if (!have_key || q->hot_nerased == SQ_HOT_ERASED)
			q->hot_wipe_all = 1;
		else
			memcpy(q->hot_erased[q->hot_nerased++], key, SK_HASH_LEN);
		if (sqlite3_get_autocommit(q->db))
			sq_hot_forget(q);
	}
	return rc;
}

/* The scrub is a WAL checkpoint that truncates the WAL: secure_delete has zeroed the freed
 * pages, so once the WAL's pages are in the database file and the WAL is empty, no deleted
 * byte is left (temp_store is MEMORY: no temporary files). It waits for readers only a moment
 * (SQ_CHECKPOINT_WAIT_MS), not the full busy timeout: an erasure is answered at once and its
 * scrub retried later (docs/rights.md). Another connection's checkpoint in progress (the
 * server writer's checkpointer runs one every 100 ms) makes SQLite answer BUSY at once,
 * without its busy handler: that is tried again every 5 ms within the same moment. */
static int sq_scrub(struct sk_store *s)
{
	sqlite3 *db = ((struct sq_store *)s)->db;
	struct timespec t0, t;
	int rc;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sqlite3_busy_timeout(db, SQ_CHECKPOINT_WAIT_MS);
	for (;;) {
		rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t);
		long ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if ((rc & 0xff) != SQLITE_BUSY || ms >= SQ_CHECKPOINT_WAIT_MS)
			break;
		sqlite3_sleep(5);
	}
	sqlite3_busy_timeout(db, SQ_BUSY_TIMEOUT_MS);
	return rc == SQLITE_OK ? 0 : sq_code(rc);
}

static int sq_contact_each(struct sk_store *s, const char *after, long limit, sk_contact_cb cb,
			   void *arg)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_CONTACT_EACH);
	struct sk_contact_rec c;
	int rc = 0;

	if (sq_text(st, 1, after) || sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1))
		return sq_bindfail(st);
	while (rc == 0 && sq_next(st, &rc)) {
		if ((rc = sq_contact_row(st, &c)) == 0)
			rc = cb(arg, &c);
	}
	sq_done(st);
	return rc;
}

static int sq_field_delete(struct sk_store *s, const char *id, const char *name)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_FIELD_DELETE);
	if (sq_text(st, 1, id) || sq_text(st, 2, name))
		return sq_bindfail(st);
	return sq_run(st);
}

static int sq_suppression_delete(struct sk_store *s, const uint8_t *email_key)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_SUPPRESSION_DELETE);
	((struct sq_store *)s)->gate_ok = 0;
	if (sq_blob(st, 1, email_key, SK_HASH_LEN))
		return sq_bindfail(st);
	return sq_run(st);
}

static int sq_rectification_put(struct sk_store *s, const char *id, int64_t at, const char *actor,
				const char *fields)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_RECT_PUT);
	if (sq_text(st, 1, id) || sqlite3_bind_int64(st, 2, at) || sq_text(st, 3, actor) ||
	    sq_text(st, 4, fields))
		return sq_bindfail(st);
	return sq_run(st);
}

static int sq_rectification_each(struct sk_store *s, const char *id, sk_rectification_cb cb,
				 void *arg)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_RECT_EACH);
	int rc = 0;

	if (sq_text(st, 1, id))
		return sq_bindfail(st);
	while (rc == 0 && sq_next(st, &rc))
		rc = cb(arg, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
			(const char *)sqlite3_column_text(st, 2));
	sq_done(st);
	return rc;
}

static int sq_webhook_row(sqlite3_stmt *st, struct sk_webhook_rec *w)
{
	int rc = 0;
	memset(w, 0, sizeof(*w));
	sq_col_text(st, 0, w->id, sizeof(w->id), "webhooks.id", &rc);
	sq_col_text(st, 1, w->name, sizeof(w->name), "webhooks.name", &rc);
	sq_col_text(st, 2, w->url, sizeof(w->url), "webhooks.url", &rc);
	sq_col_text(st, 3, w->events, sizeof(w->events), "webhooks.events", &rc);
	w->secret = sqlite3_column_blob(st, 4);
	w->secret_len = w->secret ? (size_t)sqlite3_column_bytes(st, 4) : 0;
	w->created_at = sqlite3_column_int64(st, 5);
	w->enabled = sqlite3_column_int(st, 6);
	w->cursor = sqlite3_column_int64(st, 7);
	w->failures = sqlite3_column_int(st, 8);
	w->first_failure_at = sqlite3_column_int64(st, 9);
	w->next_attempt_at = sqlite3_column_int64(st, 10);
	w->last_status = sqlite3_column_int(st, 11);
	sq_col_text(st, 12, w->last_error, sizeof(w->last_error), "webhooks.last_error", &rc);
	w->last_attempt_at = sqlite3_column_int64(st, 13);
	w->nfailed = sqlite3_column_int64(st, 14);
	w->last_failed_seq = sqlite3_column_int64(st, 15);
	return rc;
}

/* The delivery state columns ?2..?11 of SQ_WEBHOOK_STATE, which SQ_WEBHOOK_PUT shares from ?7. */
static int sq_webhook_bind_state(sqlite3_stmt *st, int c, const struct sk_webhook_rec *w)
{
	return sqlite3_bind_int(st, c, w->enabled) || sqlite3_bind_int64(st, c + 1, w->cursor) ||
	       sqlite3_bind_int(st, c + 2, w->failures) ||
	       sqlite3_bind_int64(st, c + 3, w->first_failure_at) ||
	       sqlite3_bind_int64(st, c + 4, w->next_attempt_at) ||
	       sqlite3_bind_int(st, c + 5, w->last_status) || sq_text(st, c + 6, w->last_error) ||
	       sqlite3_bind_int64(st, c + 7, w->last_attempt_at) ||
	       sqlite3_bind_int64(st, c + 8, w->nfailed) ||
	       sqlite3_bind_int64(st, c + 9, w->last_failed_seq);
}

static int sq_webhook_put(struct sk_store *s, const struct sk_webhook_rec *w)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_WEBHOOK_PUT);

	if (sq_text(st, 1, w->id) || sq_text(st, 2, w->name) || sq_text(st, 3, w->url) ||
	    sq_text(st, 4, w->events) || sq_blob(st, 5, w->secret, w->secret_len) ||
	    sqlite3_bind_int64(st, 6, w->created_at) || sq_webhook_bind_state(st, 7, w))
		return sq_bindfail(st);
	return sq_run(st);
}

/* The secret points into the statement: it is copied to the handle so that it outlives
 * the reset. */
static int sq_webhook_get(struct sk_store *s, const char *id, struct sk_webhook_rec *out)
{
	struct sq_store *q = (struct sq_store *)s;
	sqlite3_stmt *st = sq_stmt(s, SQ_WEBHOOK_GET);
	int rc;

	if (sq_text(st, 1, id))
		return sq_bindfail(st);
	rc = sq_row(st);
	if (rc == 0 && (rc = sq_webhook_row(st, out)) == 0) {
		sk_free(q->webhook_secret);
		q->webhook_secret = out->secret_len ? sk_memdup(out->secret, out->secret_len) : NULL;
		if (out->secret_len && !q->webhook_secret)
			rc = SK_ERR_NOMEM;
		out->secret = q->webhook_secret;
	}
	sq_done(st);
	return rc;
}

static int sq_webhook_each(struct sk_store *s, sk_webhook_cb cb, void *arg)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_WEBHOOK_EACH);
	struct sk_webhook_rec w;
	int rc = 0;

	while (rc == 0 && sq_next(st, &rc)) {
		if ((rc = sq_webhook_row(st, &w)) == 0)
			rc = cb(arg, &w);
	}
	sq_done(st);
	return rc;
}

static int sq_webhook_delete(struct sk_store *s, const char *id)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_WEBHOOK_DELETE);
	int rc;

	if (sq_text(st, 1, id))
		return sq_bindfail(st);
	rc = sq_run(st);
	if (rc == 0 && sqlite3_changes(((struct sq_store *)s)->db) == 0)
		rc = SK_ERR_NOT_FOUND;
	return rc;
}

static int sq_webhook_state(struct sk_store *s, const struct sk_webhook_rec *w)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_WEBHOOK_STATE);

	if (sq_text(st, 1, w->id) || sq_webhook_bind_state(st, 2, w))
		return sq_bindfail(st);
	return sq_run(st);
}

static int sq_change_last(struct sk_store *s, int64_t *outseq)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_CHANGE_LAST);
	int rc = sq_row(st);

	if (rc == 0)
		*outseq = sqlite3_column_int64(st, 0);
	sq_done(st);
	return rc;
}

/* ---- unconfirmed form submissions and the mail outbox ---- */

static int sq_request_put(struct sk_store *s, const struct sk_request_rec *r)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_REQUEST_PUT);

	if (sq_text(st, 1, r->id) || sq_blob(st, 2, r->email_key, SK_HASH_LEN) ||
	    sq_text(st, 3, r->purposes) || sqlite3_bind_int64(st, 4, r->created_at) ||
	    sqlite3_bind_int64(st, 5, r->expires_at) ||
	    sq_blob(st, 6, r->payload, r->payload_len))
		return sq_bindfail(st);
	return sq_run(st);
}

/* The payload is copied to the handle so that it outlives the reset. */
static int sq_request_get(struct sk_store *s, const char *id, struct sk_request_rec *out)
{
	struct sq_store *q = (struct sq_store *)s;
	sqlite3_stmt *st = sq_stmt(s, SQ_REQUEST_GET);
	int rc;

	if (sq_text(st, 1, id))
		return sq_bindfail(st);
	rc = sq_row(st);
	if (rc == 0) {
		memset(out, 0, sizeof(*out));
		sq_col_text(st, 0, out->id, sizeof(out->id), "form_requests.id", &rc);
		sq_col_hash(st, 1, out->email_key);
		sq_col_text(st, 2, out->purposes, sizeof(out->purposes), "form_requests.purposes", &rc);
		out->created_at = sqlite3_column_int64(st, 3);
		out->expires_at = sqlite3_column_int64(st, 4);
		const void *p = sqlite3_column_blob(st, 5);
		out->payload_len = p ? (size_t)sqlite3_column_bytes(st, 5) : 0;
		sk_free(q->request_payload);
		q->request_payload = out->payload_len ? sk_memdup(p, out->payload_len) : NULL;
		if (!rc && out->payload_len && !q->request_payload)
			rc = SK_ERR_NOMEM;
		out->payload = q->request_payload;
	}
	sq_done(st);
	return rc;
}

static int sq_delete_by(struct sk_store *s, enum sq_stmt i, const char *id)
{
	sqlite3_stmt *st = sq_stmt(s, i);
	if (sq_text(st, 1, id))
		return sq_bindfail(st);
	return sq_run(st);
}

static int sq_request_delete(struct sk_store *s, const char *id)
{
	return sq_delete_by(s, SQ_REQUEST_DELETE, id);
}

static int sq_delete_by_key(struct sk_store *s, enum sq_stmt i, const uint8_t *key)
{
	sqlite3_stmt *st = sq_stmt(s, i);
	if (sq_blob(st, 1, key, SK_HASH_LEN))
		return sq_bindfail(st);
	return sq_run(st);
}

static int sq_request_delete_key(struct sk_store *s, const uint8_t *email_key)
{
	int rc = sq_delete_by_key(s, SQ_REQUEST_DELETE_KEY, email_key);
	return rc ? rc : sq_delete_by_key(s, SQ_OUTBOX_DELETE_KEY, email_key);
}

static int sq_request_expire(struct sk_store *s, int64_t now, long *outn)
{
	sqlite3_stmt *a = sq_stmt(s, SQ_OUTBOX_DELETE_EXPIRED), *b = sq_stmt(s, SQ_REQUEST_EXPIRE);
	int rc;

	if (sqlite3_bind_int64(a, 1, now))
		return sq_bindfail(a);
	if ((rc = sq_run(a)))
		return rc;
	if (sqlite3_bind_int64(b, 1, now))
		return sq_bindfail(b);
	rc = sq_run(b);
	if (!rc)
		*outn = (long)sqlite3_changes(((struct sq_store *)s)->db);
	return rc;
}

static int sq_request_pending(struct sk_store *s, const uint8_t *email_key, const char *purpose,
			      int64_t now, int *out)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_REQUEST_PENDING);
	int rc;

	if (sq_blob(st, 1, email_key, SK_HASH_LEN) || sq_text(st, 2, purpose) ||
	    sqlite3_bind_int64(st, 3, now))
		return sq_bindfail(st);
	rc = sq_row(st);
	if (rc == 0)
		*out = sqlite3_column_int(st, 0);
	sq_done(st);
	return rc;
}

static int sq_outbox_put(struct sk_store *s, const struct sk_outbox_rec *m)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_OUTBOX_PUT);

	if (sq_text(st, 1, m->id) || sq_blob(st, 2, m->email_key, SK_HASH_LEN) ||
	    sq_text(st, 3, m->kind) || sq_text(st, 4, m->ref) ||
	    sqlite3_bind_int64(st, 5, m->created_at) ||
	    sqlite3_bind_int64(st, 6, m->next_attempt_at) || sqlite3_bind_int(st, 7, m->attempts) ||
	    sqlite3_bind_int64(st, 8, m->sent_at) || sqlite3_bind_int64(st, 9, m->failed_at) ||
	    sq_text(st, 10, m->last_error))
		return sq_bindfail(st);
	return sq_run(st);
}

static int sq_outbox_next(struct sk_store *s, int64_t now, struct sk_outbox_rec *out)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_OUTBOX_NEXT);
	int rc;

	if (sqlite3_bind_int64(st, 1, now))
		return sq_bindfail(st);
	rc = sq_row(st);
	if (rc == 0) {
		memset(out, 0, sizeof(*out));
		sq_col_text(st, 0, out->id, sizeof(out->id), "mail_outbox.id", &rc);
		sq_col_hash(st, 1, out->email_key);
		sq_col_text(st, 2, out->kind, sizeof(out->kind), "mail_outbox.kind", &rc);
		sq_col_text(st, 3, out->ref, sizeof(out->ref), "mail_outbox.ref", &rc);
		out->created_at = sqlite3_column_int64(st, 4);
		out->next_attempt_at = sqlite3_column_int64(st, 5);
		out->attempts = sqlite3_column_int(st, 6);
		out->sent_at = sqlite3_column_int64(st, 7);
		out->failed_at = sqlite3_column_int64(st, 8);
		sq_col_text(st, 9, out->last_error, sizeof(out->last_error), "mail_outbox.last_error",
			    &rc);
	}
	sq_done(st);
	return rc;
}

static int sq_outbox_state(struct sk_store *s, const struct sk_outbox_rec *m)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_OUTBOX_STATE);

	if (sq_text(st, 1, m->id) || sqlite3_bind_int64(st, 2, m->next_attempt_at) ||
	    sqlite3_bind_int(st, 3, m->attempts) || sqlite3_bind_int64(st, 4, m->sent_at) ||
	    sqlite3_bind_int64(st, 5, m->failed_at) || sq_text(st, 6, m->last_error))
		return sq_bindfail(st);
	return sq_run(st);
}

static int sq_outbox_count(struct sk_store *s, const uint8_t *email_key, int64_t since,
			   long *outn)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_OUTBOX_COUNT);
	int rc;

	if (sq_blob(st, 1, email_key, SK_HASH_LEN) || sqlite3_bind_int64(st, 2, since))
		return sq_bindfail(st);
	rc = sq_row(st);
	if (rc == 0)
		*outn = (long)sqlite3_column_int64(st, 0);
	sq_done(st);
	return rc;
}

static int sq_outbox_purge(struct sk_store *s, int64_t before)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_OUTBOX_PURGE);
	if (sqlite3_bind_int64(st, 1, before))
		return sq_bindfail(st);
	return sq_run(st);
}

/* The contact first: a key another contact holds fails there (EXISTS), before any state
 * moves; the caller's transaction makes the pair one change. */
static int sq_contact_rekey(struct sk_store *s, const char *id, const uint8_t *email_key)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_CONTACT_REKEY);
	sq_cache_clear((struct sq_store *)s);
	if (sq_text(st, 1, id) || sq_blob(st, 2, email_key, SK_HASH_LEN))
		return sq_bindfail(st);
	int rc = sq_run(st);
	if (rc == 0 && sqlite3_changes(((struct sq_store *)s)->db) == 0)
		rc = SK_ERR_NOT_FOUND;
	if (rc)
		return rc;
	st = sq_stmt(s, SQ_STATE_REKEY);
	if (sq_text(st, 1, id) || sq_blob(st, 2, email_key, SK_HASH_LEN))
		return sq_bindfail(st);
	return sq_run(st);
}

/* count(*) of a statement bound with (purpose, now). */
static int sq_count_purpose(struct sk_store *s, enum sq_stmt i, const char *purpose, int64_t now,
			    int64_t *outcount)
{
	sqlite3_stmt *st = sq_stmt(s, i);
	int rc;

	if (sq_text(st, 1, purpose) || sqlite3_bind_int64(st, 2, now))
		return sq_bindfail(st);
	rc = sq_row(st);
	if (rc == 0)
		*outcount = sqlite3_column_int64(st, 0);
	sq_done(st);
	return rc;
}

static int sq_state_count_live(struct sk_store *s, const char *purpose, int64_t now,
			       int64_t *outcount)
{
	return sq_count_purpose(s, SQ_STATE_COUNT_LIVE, purpose, now, outcount);
}

static int sq_request_count(struct sk_store *s, const char *purpose, int64_t now,
			    int64_t *outcount)
{
	return sq_count_purpose(s, SQ_REQUEST_COUNT, purpose, now, outcount);
}

/* ---- bulk mode: the WAL checkpoint off the commit path ----
 * With wal_autocheckpoint on (1,000 pages), every import commit that grows the WAL past it
 * ran a checkpoint inside sqlite3_step(COMMIT): pages copied into the database file and two
 * more fsyncs, on the writer's time. In bulk mode the writer's connection checkpoints never;
 * a second connection on its own thread runs a PASSIVE checkpoint every
 * SQ_BULK_CHECKPOINT_MS (PASSIVE takes no lock the writer waits for), so the copying runs on
 * the other core while the writer goes on, and the writer restarts the WAL at the start of
 * its next transaction once everything is copied (so the WAL stays about a batch long). */
static void *sq_ckpt_main(void *arg)
{
	struct sq_store *q = arg;
	pthread_mutex_lock(&q->ck_mu);
	while (!q->ck_stop) {
		struct timespec t;
		sk_deadline(SQ_BULK_CHECKPOINT_MS, &t);
		pthread_cond_timedwait(&q->ck_cv, &q->ck_mu, &t);
		if (q->ck_stop)
			break;
		pthread_mutex_unlock(&q->ck_mu);
		(void)sqlite3_wal_checkpoint_v2(q->ck_db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&q->ck_mu);
	}
	pthread_mutex_unlock(&q->ck_mu);
	return NULL;
}

static void sq_bulk_stop(struct sq_store *q)
{
	if (!q->ck_running)
		return;
	pthread_mutex_lock(&q->ck_mu);
	q->ck_stop = 1;
	pthread_cond_signal(&q->ck_cv);
	pthread_mutex_unlock(&q->ck_mu);
	pthread_join(q->ck_thread, NULL);
	pthread_cond_destroy(&q->ck_cv);
	pthread_mutex_destroy(&q->ck_mu);
	sqlite3_close_v2(q->ck_db);
	q->ck_db = NULL;
	q->ck_running = 0;
}

static int sq_bulk(struct sk_store *s, int on)
{
	struct sq_store *q = (struct sq_store *)s;
	int rc;

	if (!sqlite3_get_autocommit(q->db))
		return SK_ERR_USAGE; /* only between transactions */
	if (on == SK_BULK_OFF) {
		sq_bulk_stop(q);
		/* the cache as it was; the map is left as the handle has it (bound_memory) */
		rc = sqlite3_exec(q->db, "PRAGMA wal_autocheckpoint = 1000;" SK_SQLITE_CACHE, NULL,
				  NULL, NULL);
		if (rc == SQLITE_OK) /* what is left in the WAL, once, as autocheckpoint would */
			rc = sqlite3_wal_checkpoint_v2(q->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL,
						       NULL);
		/* busy: another connection checkpoints now; the next one does the rest */
		return rc == SQLITE_OK || (rc & 0xff) == SQLITE_BUSY ? 0 : sq_code(rc);
	}
	if (on != SK_BULK_IMPORT && on != SK_BULK_CHECKPOINT)
		return SK_ERR_USAGE;
	if (q->ck_running)
		return 0;
	const char *path = sqlite3_db_filename(q->db, "main");
	if (!path || !*path)
		return 0; /* a temporary database: nothing to checkpoint */
	rc = sqlite3_open_v2(path, &q->ck_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(q->ck_db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_close_v2(q->ck_db);
		q->ck_db = NULL;
		return sq_code(rc);
	}
	q->ck_stop = 0;
	pthread_mutex_init(&q->ck_mu, NULL);
	pthread_cond_init(&q->ck_cv, NULL);
	if (pthread_create(&q->ck_thread, NULL, sq_ckpt_main, q)) {
		pthread_cond_destroy(&q->ck_cv);
		pthread_mutex_destroy(&q->ck_mu);
		sqlite3_close_v2(q->ck_db);
		q->ck_db = NULL;
		return SK_ERR_NOMEM;
	}
	q->ck_running = 1;
	/* for the import, a page cache that holds the pages a large batch touches again and
	 * again (the email_key-ordered trees), so that each is written to the WAL once per
	 * batch; a server's writer keeps its bounded cache */
	rc = sqlite3_exec(q->db, on == SK_BULK_IMPORT ? "PRAGMA wal_autocheckpoint = 0; PRAGMA "
			  "cache_size = " SQ_BULK_CACHE : "PRAGMA wal_autocheckpoint = 0", NULL, NULL,
			  NULL);
	if (rc != SQLITE_OK) {
		sq_bulk_stop(q);
		return sq_code(rc);
	}
	return 0;
}

static int sq_state_pending_each(struct sk_store *s, int64_t before, sk_state_cb cb, void *arg)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_STATE_PENDING_EACH);

	if (sqlite3_bind_int64(st, 1, before) != SQLITE_OK)
		return sq_bindfail(st);
	return sq_state_walk(st, cb, arg);
}

static int sq_state_given_each(struct sk_store *s, const char *purpose, const char *after,
			       long limit, sk_state_key_cb cb, void *arg)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_STATE_GIVEN_EACH);
	struct sk_state_rec r;
	uint8_t key[SK_HASH_LEN];
	int rc = 0;

	if (sq_text(st, 1, purpose) || sq_text(st, 2, after) ||
	    sqlite3_bind_int64(st, 3, limit > 0 ? limit : -1))
		return sq_bindfail(st);
	while (rc == 0 && sq_next(st, &rc)) {
		if ((rc = sq_state_row(st, 0, &r)) == 0) {
			sq_col_hash(st, 8, key);
			rc = cb(arg, &r, key);
		}
	}
	sq_done(st);
	return rc;
}

static int sq_ledger_each_by_contact(struct sk_store *s, sk_event_cb cb, void *arg)
{
	return sq_event_walk(sq_stmt(s, SQ_LEDGER_BY_CONTACT), cb, arg);
}

static int sq_state_page(struct sk_store *s, const char *after_contact, const char *after_purpose,
			 long limit, sk_state_cb cb, void *arg)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_STATE_PAGE);

	if (sq_text(st, 1, after_contact) || sq_text(st, 2, after_purpose) ||
	    sqlite3_bind_int64(st, 3, limit > 0 ? limit : -1))
		return sq_bindfail(st);
	return sq_state_walk(st, cb, arg);
}

static void sq_close(struct sk_store *s)
{
	struct sq_store *q = (struct sq_store *)s;

	sq_bulk_stop(q);
	sq_cache_clear(q);
	q->shm = NULL; /* SQLite's mapping: it goes with the connection */
	sq_hot_release(q->hot);
	for (int i = 0; i < SQ_NSTMT; i++)
		sqlite3_finalize(q->st[i]);
	for (int i = 0; i < 3; i++)
		sqlite3_finalize(q->sp[i]);
	for (int i = 0; i < SQ_ROWS_TABLES; i++)
		sqlite3_finalize(q->rows_put[i]);
	sqlite3_close_v2(q->db);
	sk_free(q->notice_text);
	sk_free(q->idem_body);
	sk_free(q->webhook_secret);
	sk_free(q->request_payload);
	sk_free(q);
}

/* mmap_size 0 unmaps at once when no statement is running (docs/internals/store.md,
 * "Memory of a server"). */
static int sq_bound_memory(struct sk_store *s)
{
	struct sq_store *q = (struct sq_store *)s;
	int rc = sqlite3_exec(q->db, "PRAGMA mmap_size = 0;", NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : sq_code(rc);
}

/* Group commit (docs/internals/group-commit.md): a job's writes inside the open write
 * transaction. Undoing them also empties the transaction's read caches (the ledger head
 * above all: a head cached from an undone append would break the hash chain). Fixed SQL,
 * nothing bound. */
static int sq_savepoint(struct sk_store *s, int op)
{
	static const char *const sql[3] = {"SAVEPOINT sk_job", "RELEASE sk_job",
					   "ROLLBACK TO sk_job"};
	struct sq_store *q = (struct sq_store *)s;
	if (op < SK_SAVEPOINT_SET || op > SK_SAVEPOINT_UNDO)
		return SK_ERR_USAGE;
	if (!q->wtx || sqlite3_get_autocommit(q->db))
		return SK_ERR_STORAGE; /* no write transaction of ours is open */
	for (int i = 0; i < 3; i++) {
		int rc = q->sp[i] ? SQLITE_OK : sqlite3_prepare_v2(q->db, sql[i], -1, &q->sp[i], NULL);
		if (rc != SQLITE_OK)
			return sq_code(rc);
	}
	if (op == SK_SAVEPOINT_UNDO) {
		sq_cache_clear(q);
		int rc = sq_run(q->sp[2]); /* ROLLBACK TO keeps the savepoint: release it too */
		return rc ? rc : sq_run(q->sp[SK_SAVEPOINT_RELEASE]);
	}
	return sq_run(q->sp[op]);
}

/* ---- moving a store (samtycke migrate) ---- */

/* Every row of a table of sk_store_tables, as SQLite holds it, through the table's constant
 * SELECT (sk__store_rows_sql); a name that is no table's is refused. */
static int sq_rows_each(struct sk_store *s, const char *table, sk_row_cb cb, void *arg)
{
	struct sq_store *q = (struct sq_store *)s;
	const struct sk_store_table *t = sk_store_table(table);
	struct sk_value row[32];
	sqlite3_stmt *st;
	int rc = 0;

	if (!t || t->ncols > 32)
		return SK_ERR_USAGE;
	rc = sqlite3_prepare_v2(q->db, sk__store_rows_sql[t - sk_store_tables].select, -1, &st,
				NULL);
	if (rc != SQLITE_OK)
		return sq_code(rc);
	rc = 0;
	while (rc == 0 && sq_next(st, &rc)) {
		for (int i = 0; i < t->ncols; i++) {
			struct sk_value *v = &row[i];
			memset(v, 0, sizeof(*v));
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_INTEGER:
				v->type = SK_VALUE_INT;
				v->i = sqlite3_column_int64(st, i);
				break;
			case SQLITE_TEXT:
				v->type = SK_VALUE_TEXT;
				v->p = sqlite3_column_text(st, i);
				v->len = (size_t)sqlite3_column_bytes(st, i);
				break;
			case SQLITE_BLOB:
				v->type = SK_VALUE_BLOB;
				v->p = sqlite3_column_blob(st, i);
				v->len = (size_t)sqlite3_column_bytes(st, i);
				if (!v->p)
					v->p = ""; /* an empty blob is not NULL */
				break;
			case SQLITE_NULL:
				v->type = SK_VALUE_NULL;
				break;
			default: /* a REAL: samtycke writes none */
				sk__store_corrupt(t->name);
				rc = SK_ERR_CORRUPT;
			}
		}
		if (rc == 0)
			rc = cb(arg, row, t->ncols);
	}
	sqlite3_finalize(st);
	return rc;
}

/* Inserts one row through the table's INSERT, prepared once per handle. */
static int sq_rows_put(struct sk_store *s, const char *table, const struct sk_value *row)
{
	const struct sk_store_table *t = sk_store_table(table);
	struct sq_store *q = (struct sq_store *)s;
	int ti = t ? (int)(t - sk_store_tables) : -1;
	int rc = 0;

	if (ti < 0 || ti >= SQ_ROWS_TABLES)
		return SK_ERR_USAGE;
	if (!q->rows_put[ti] &&
	    (rc = sqlite3_prepare_v2(q->db, sk__store_rows_sql[ti].insert, -1, &q->rows_put[ti],
				     NULL)) != SQLITE_OK)
		return sq_code(rc);
	sqlite3_stmt *st = q->rows_put[ti];
	sq_cache_clear(q); /* a written row may be one a cache holds */
	for (int i = 0; i < t->ncols && rc == SQLITE_OK; i++) {
		const struct sk_value *v = &row[i];
		switch (v->type) {
		case SK_VALUE_INT:
			rc = sqlite3_bind_int64(st, i + 1, v->i);
			break;
		case SK_VALUE_TEXT:
			rc = sqlite3_bind_text64(st, i + 1, v->p, v->len, SQLITE_STATIC, SQLITE_UTF8);
			break;
		case SK_VALUE_BLOB:
			rc = sqlite3_bind_blob64(st, i + 1, v->p ? v->p : "", v->len, SQLITE_STATIC);
			break;
		case SK_VALUE_NULL:
			rc = sqlite3_bind_null(st, i + 1);
			break;
		default:
			sq_done(st);
			return SK_ERR_USAGE;
		}
	}
	if (rc != SQLITE_OK)
		return sq_bindfail(st);
	return sq_run(st);
}

/* ---- leases ---- */

static int sq_lease_take(struct sk_store *s, const char *name, const char *holder,
			 int64_t now_ms, int64_t until_ms, int *got)
{
	struct sq_store *q = (struct sq_store *)s;
	sqlite3_stmt *st = sq_stmt(s, SQ_LEASE_TAKE);
	*got = 0;
	if (sq_text(st, 1, name) || sq_text(st, 2, holder) || sqlite3_bind_int64(st, 3, now_ms) ||
	    sqlite3_bind_int64(st, 4, until_ms))
		return sq_bindfail(st);
	int rc = sq_run(st);
	if (rc == 0)
		*got = sqlite3_changes(q->db) > 0;
	return rc;
}

static int sq_lease_release(struct sk_store *s, const char *name, const char *holder)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_LEASE_RELEASE);
	if (sq_text(st, 1, name) || sq_text(st, 2, holder))
		return sq_bindfail(st);
	return sq_run(st);
}

static int sq_lease_get(struct sk_store *s, const char *name, char *holder, int64_t *until_ms)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_LEASE_GET);
	holder[0] = '\0';
	*until_ms = 0;
	if (sq_text(st, 1, name))
		return sq_bindfail(st);
	int rc = sq_row(st);
	if (rc == 0) {
		const char *h = (const char *)sqlite3_column_text(st, 0);
		sk_strlcpy(holder, h ? h : "", SK_LEASE_HOLDER_MAX);
		*until_ms = sqlite3_column_int64(st, 1);
	}
	sq_done(st);
	return rc;
}

/* ---- the staff console: users, sessions, the audit trail ---- */

static int sq_staff_row(sqlite3_stmt *st, struct sk_staff_rec *u)
{
	int rc = 0;
	memset(u, 0, sizeof(*u));
	sq_col_text(st, 0, u->name, sizeof(u->name), "staff_users.name", &rc);
	sq_col_text(st, 1, u->role, sizeof(u->role), "staff_users.role", &rc);
	sq_col_text(st, 2, u->hash, sizeof(u->hash), "staff_users.hash", &rc);
	u->created_at = sqlite3_column_int64(st, 3);
	u->disabled = sqlite3_column_int(st, 4);
	u->failed = sqlite3_column_int(st, 5);
	u->locked_until = sqlite3_column_int64(st, 6);
	return rc;
}

static int sq_staff_bind(sqlite3_stmt *st, const struct sk_staff_rec *u)
{
	return sq_text(st, 1, u->name) || sq_text(st, 2, u->role) || sq_text(st, 3, u->hash) ||
	       sqlite3_bind_int64(st, 4, u->created_at) || sqlite3_bind_int(st, 5, u->disabled) ||
	       sqlite3_bind_int(st, 6, u->failed) || sqlite3_bind_int64(st, 7, u->locked_until);
}

static int sq_staff_put(struct sk_store *s, const struct sk_staff_rec *u)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_STAFF_PUT);
	if (sq_staff_bind(st, u))
		return sq_bindfail(st);
	return sq_run(st);
}

static int sq_staff_get(struct sk_store *s, const char *name, struct sk_staff_rec *out)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_STAFF_GET);
	if (sq_text(st, 1, name))
		return sq_bindfail(st);
	int rc = sq_row(st);
	if (rc == 0)
		rc = sq_staff_row(st, out);
	sq_done(st);
	return rc;
}

static int sq_staff_update(struct sk_store *s, const struct sk_staff_rec *u)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_STAFF_UPDATE);
	if (sq_staff_bind(st, u))
		return sq_bindfail(st);
	int rc = sq_run(st);
	if (rc == 0 && sqlite3_changes(((struct sq_store *)s)->db) == 0)
		rc = SK_ERR_NOT_FOUND;
	return rc;
}

static int sq_staff_each(struct sk_store *s, sk_staff_cb cb, void *arg)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_STAFF_EACH);
	struct sk_staff_rec u;
	int rc = 0;
	while (rc == 0 && sq_next(st, &rc))
		if ((rc = sq_staff_row(st, &u)) == 0)
			rc = cb(arg, &u);
	sq_done(st);
	return rc;
}

static int sq_session_put(struct sk_store *s, const struct sk_session_rec *ss)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_SESSION_PUT);
	if (sq_text(st, 1, ss->id) || sq_blob(st, 2, ss->secret_hash, SK_HASH_LEN) ||
	    sq_text(st, 3, ss->staff) || sq_text(st, 4, ss->key_id) || sq_text(st, 5, ss->who) ||
	    sq_text(st, 6, ss->role) || sqlite3_bind_int64(st, 7, ss->created_at) ||
	    sqlite3_bind_int64(st, 8, ss->last_seen) || sqlite3_bind_int64(st, 9, ss->expires_at))
		return sq_bindfail(st);
	return sq_run(st);
}

static int sq_session_get(struct sk_store *s, const char *id, struct sk_session_rec *out)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_SESSION_GET);
	if (sq_text(st, 1, id))
		return sq_bindfail(st);
	int rc = sq_row(st);
	if (rc == 0) {
		memset(out, 0, sizeof(*out));
		sq_col_text(st, 0, out->id, sizeof(out->id), "staff_sessions.id", &rc);
		sq_col_hash(st, 1, out->secret_hash);
		sq_col_text(st, 2, out->staff, sizeof(out->staff), "staff_sessions.staff", &rc);
		sq_col_text(st, 3, out->key_id, sizeof(out->key_id), "staff_sessions.key_id", &rc);
		sq_col_text(st, 4, out->who, sizeof(out->who), "staff_sessions.who", &rc);
		sq_col_text(st, 5, out->role, sizeof(out->role), "staff_sessions.role", &rc);
		out->created_at = sqlite3_column_int64(st, 6);
		out->last_seen = sqlite3_column_int64(st, 7);
		out->expires_at = sqlite3_column_int64(st, 8);
	}
	sq_done(st);
	return rc;
}

static int sq_session_touch(struct sk_store *s, const char *id, int64_t at)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_SESSION_TOUCH);
	if (sq_text(st, 1, id) || sqlite3_bind_int64(st, 2, at))
		return sq_bindfail(st);
	return sq_run(st);
}

static int sq_session_delete(struct sk_store *s, const char *id)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_SESSION_DELETE);
	if (sq_text(st, 1, id))
		return sq_bindfail(st);
	return sq_run(st);
}

static int sq_session_purge(struct sk_store *s, int64_t now)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_SESSION_PURGE);
	if (sqlite3_bind_int64(st, 1, now))
		return sq_bindfail(st);
	return sq_run(st);
}

static int sq_staff_audit_append(struct sk_store *s, struct sk_staff_audit_rec *a)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_AUDIT_APPEND);
	if (sqlite3_bind_int64(st, 1, a->at) || sq_text(st, 2, a->who) || sq_text(st, 3, a->role) ||
	    sq_text(st, 4, a->action) || sq_text(st, 5, a->target) || sq_text(st, 6, a->detail))
		return sq_bindfail(st);
	int rc = sq_row(st);
	if (rc == 0)
		a->seq = sqlite3_column_int64(st, 0);
	if (rc == 0 && sqlite3_step(st) != SQLITE_DONE)
		rc = SK_ERR_STORAGE;
	sq_done(st);
	return rc;
}

static int sq_staff_audit_each(struct sk_store *s, int64_t before, long limit,
			       sk_staff_audit_cb cb, void *arg)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_AUDIT_EACH);
	struct sk_staff_audit_rec a;
	int rc = 0;
	if (sqlite3_bind_int64(st, 1, before > 0 ? before : INT64_MAX) ||
	    sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1))
		return sq_bindfail(st);
	while (rc == 0 && sq_next(st, &rc)) {
		memset(&a, 0, sizeof(a));
		a.seq = sqlite3_column_int64(st, 0);
		a.at = sqlite3_column_int64(st, 1);
		sq_col_text(st, 2, a.who, sizeof(a.who), "staff_audit.who", &rc);
		sq_col_text(st, 3, a.role, sizeof(a.role), "staff_audit.role", &rc);
		sq_col_text(st, 4, a.action, sizeof(a.action), "staff_audit.action", &rc);
		sq_col_text(st, 5, a.target, sizeof(a.target), "staff_audit.target", &rc);
		sq_col_text(st, 6, a.detail, sizeof(a.detail), "staff_audit.detail", &rc);
		if (rc == 0)
			rc = cb(arg, &a);
	}
	sq_done(st);
	return rc;
}

static int sq_webhook_secret_set(struct sk_store *s, const char *id, const uint8_t *secret,
				 size_t secret_len)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_WEBHOOK_SECRET_SET);
	int rc;

	if (sq_text(st, 1, id) || sq_blob(st, 2, secret, secret_len))
		return sq_bindfail(st);
	rc = sq_run(st);
	if (rc == 0 && sqlite3_changes(((struct sq_store *)s)->db) == 0)
		rc = SK_ERR_NOT_FOUND;
	return rc;
}

/* ---- the console's overview: aggregates (store.h) ---- */

/* Walks a tally statement: na text columns (into a, then b; wa and wb name them for a
 * CORRUPT), then nint integers into the fields slot names (0: x, 1: y, 2: min), then the
 * count. */
static int sq_tally_walk(sqlite3_stmt *st, int na, const char *wa, const char *wb, int nint,
			 const int *slot, sk_tally_cb cb, void *arg)
{
	struct sk_tally_rec t;
	int rc = 0;
	while (rc == 0 && sq_next(st, &rc)) {
		memset(&t, 0, sizeof(t));
		if (na > 0)
			sq_col_text(st, 0, t.a, sizeof(t.a), wa, &rc);
		if (na > 1)
			sq_col_text(st, 1, t.b, sizeof(t.b), wb, &rc);
		for (int i = 0; i < nint; i++) {
			int64_t v = sqlite3_column_int64(st, na + i);
			int64_t *dst[] = {&t.x, &t.y, &t.min};
			*dst[slot[i]] = v;
		}
		t.count = sqlite3_column_int64(st, na + nint);
		if (rc == 0)
			rc = cb(arg, &t);
	}
	sq_done(st);
	return rc;
}

static int sq_state_tally(struct sk_store *s, int64_t now, sk_tally_cb cb, void *arg)
{
	static const int slot[] = {0, 1};
	sqlite3_stmt *st = sq_stmt(s, SQ_STATE_TALLY);
	if (sqlite3_bind_int64(st, 1, now))
		return sq_bindfail(st);
	return sq_tally_walk(st, 2, "consent_state.purpose", "consent_state.status", 2, slot, cb,
			     arg);
}

static int sq_ledger_tally(struct sk_store *s, int64_t since, int64_t width, sk_tally_cb cb,
			   void *arg)
{
	static const int slot[] = {0, 1};
	sqlite3_stmt *st = sq_stmt(s, SQ_LEDGER_TALLY);
	if (width <= 0)
		return SK_ERR_USAGE;
	if (sqlite3_bind_int64(st, 1, since) || sqlite3_bind_int64(st, 2, width))
		return sq_bindfail(st);
	return sq_tally_walk(st, 1, "consent_ledger.action", NULL, 2, slot, cb, arg);
}

static int sq_suppression_tally(struct sk_store *s, sk_tally_cb cb, void *arg)
{
	return sq_tally_walk(sq_stmt(s, SQ_SUPPRESSION_TALLY), 1, "suppressions.reason", NULL, 0,
			     NULL, cb, arg);
}

static int sq_outbox_tally(struct sk_store *s, sk_tally_cb cb, void *arg)
{
	static const int slot[] = {0, 1, 2};
	return sq_tally_walk(sq_stmt(s, SQ_OUTBOX_TALLY), 0, NULL, NULL, 3, slot, cb, arg);
}

static int sq_session_delete_staff(struct sk_store *s, const char *staff)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_SESSION_DELETE_STAFF);
	if (sq_text(st, 1, staff))
		return sq_bindfail(st);
	return sq_run(st);
}

/* ---- visitors of the banner (issue 16, store.h) ---- */

static int sq_visitor_put(struct sk_store *s, const struct sk_visitor_rec *v)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_VISITOR_PUT);
	if (sq_text(st, 1, v->id) || sq_text(st, 2, v->contact_id[0] ? v->contact_id : NULL) ||
	    sqlite3_bind_int64(st, 3, v->created_at) || sqlite3_bind_int64(st, 4, v->last_seen_at))
		return sq_bindfail(st);
	return sq_run(st);
}

static void sq_visitor_row(sqlite3_stmt *st, struct sk_visitor_rec *v, int *rc)
{
	memset(v, 0, sizeof(*v));
	sq_col_text(st, 0, v->id, sizeof(v->id), "visitors.id", rc);
	sq_col_text(st, 1, v->contact_id, sizeof(v->contact_id), "visitors.contact_id", rc);
	v->created_at = sqlite3_column_int64(st, 2);
	v->last_seen_at = sqlite3_column_int64(st, 3);
}

static int sq_visitor_get(struct sk_store *s, const char *id, struct sk_visitor_rec *out)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_VISITOR_GET);
	if (sq_text(st, 1, id))
		return sq_bindfail(st);
	int rc = sq_row(st);
	if (rc == 0)
		sq_visitor_row(st, out, &rc);
	sq_done(st);
	return rc;
}

static int sq_visitor_each_by_contact(struct sk_store *s, const char *contact_id,
				      sk_visitor_cb cb, void *arg)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_VISITOR_BY_CONTACT);
	struct sk_visitor_rec v;
	int rc = 0;
	if (sq_text(st, 1, contact_id))
		return sq_bindfail(st);
	while (rc == 0 && sq_next(st, &rc)) {
		sq_visitor_row(st, &v, &rc);
		if (rc == 0)
			rc = cb(arg, &v);
	}
	sq_done(st);
	return rc;
}

static int sq_visitor_answer_append(struct sk_store *s, struct sk_visitor_answer_rec *a)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_VISITOR_ANSWER_APPEND);
	if (sq_text(st, 1, a->visitor_id) || sq_text(st, 2, a->purpose) ||
	    sq_text(st, 3, a->action) || sqlite3_bind_int64(st, 4, a->at) ||
	    sq_text(st, 5, a->banner_version) || sqlite3_bind_int64(st, 6, a->notice_version) ||
	    sq_blob(st, 7, a->notice_sha256, SK_HASH_LEN) || sq_text(st, 8, a->lang) ||
	    sq_text(st, 9, a->page) || sq_text(st, 10, a->signal) || sq_text(st, 11, a->ua_class))
		return sq_bindfail(st);
	int rc = sq_run(st);
	if (rc == 0)
		a->seq = sqlite3_last_insert_rowid(((struct sq_store *)s)->db);
	return rc;
}

static int sq_visitor_answer_each(struct sk_store *s, const char *visitor_id,
				  sk_visitor_answer_cb cb, void *arg)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_VISITOR_ANSWER_EACH);
	struct sk_visitor_answer_rec a;
	int rc = 0;
	if (sq_text(st, 1, visitor_id))
		return sq_bindfail(st);
	while (rc == 0 && sq_next(st, &rc)) {
		memset(&a, 0, sizeof(a));
		a.seq = sqlite3_column_int64(st, 0);
		sq_col_text(st, 1, a.visitor_id, sizeof(a.visitor_id), "visitor_answers.visitor_id", &rc);
		sq_col_text(st, 2, a.purpose, sizeof(a.purpose), "visitor_answers.purpose", &rc);
		sq_col_text(st, 3, a.action, sizeof(a.action), "visitor_answers.action", &rc);
		a.at = sqlite3_column_int64(st, 4);
		sq_col_text(st, 5, a.banner_version, sizeof(a.banner_version),
			    "visitor_answers.banner_version", &rc);
		a.notice_version = (int)sqlite3_column_int64(st, 6);
		sq_col_hash(st, 7, a.notice_sha256);
		sq_col_text(st, 8, a.lang, sizeof(a.lang), "visitor_answers.lang", &rc);
		sq_col_text(st, 9, a.page, sizeof(a.page), "visitor_answers.page", &rc);
		sq_col_text(st, 10, a.signal, sizeof(a.signal), "visitor_answers.signal", &rc);
		sq_col_text(st, 11, a.ua_class, sizeof(a.ua_class), "visitor_answers.ua_class", &rc);
		if (rc == 0)
			rc = cb(arg, &a);
	}
	sq_done(st);
	return rc;
}

static int sq_visitor_purge(struct sk_store *s, int64_t before, int64_t *outcount)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_VISITOR_PURGE_ANSWERS);
	int rc;
	if (sqlite3_bind_int64(st, 1, before))
		return sq_bindfail(st);
	if ((rc = sq_run(st)))
		return rc;
	st = sq_stmt(s, SQ_VISITOR_PURGE);
	if (sqlite3_bind_int64(st, 1, before))
		return sq_bindfail(st);
	rc = sq_run(st);
	if (rc == 0 && outcount)
		*outcount = sqlite3_changes(((struct sq_store *)s)->db);
	return rc;
}

/* ---- tracking and lead scoring ---- */

static int sq_track_put(struct sk_store *s, const struct sk_track_rec *e)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_TRACK_PUT);
	int bad = sq_text(st, 1, e->id) || sqlite3_bind_int64(st, 2, e->at) ||
		  sq_text(st, 3, e->type) || sq_text(st, 4, e->name) || sq_text(st, 5, e->url);
	for (int i = 0; !bad && i < SK_NUTM; i++)
		bad = sq_text(st, 6 + i, e->utm[i]);
	if (bad || sq_text(st, 11, e->visitor_id) ||
	    sq_text(st, 12, e->contact_id[0] ? e->contact_id : NULL) ||
	    sq_text(st, 13, e->campaign_id) || sq_text(st, 14, e->ip) ||
	    sq_text(st, 15, e->company))
		return sq_bindfail(st);
	return sq_run(st);
}

static int sq_track_row(sqlite3_stmt *st, struct sk_track_rec *e)
{
	static const char *const utm_where[SK_NUTM] = {
		"track_events.utm_source", "track_events.utm_medium", "track_events.utm_campaign",
		"track_events.utm_term", "track_events.utm_content"};
	int rc = 0;
	memset(e, 0, sizeof(*e));
	sq_col_text(st, 0, e->id, sizeof(e->id), "track_events.id", &rc);
	e->at = sqlite3_column_int64(st, 1);
	sq_col_text(st, 2, e->type, sizeof(e->type), "track_events.type", &rc);
	sq_col_text(st, 3, e->name, sizeof(e->name), "track_events.name", &rc);
	sq_col_text(st, 4, e->url, sizeof(e->url), "track_events.url", &rc);
	for (int i = 0; i < SK_NUTM; i++)
		sq_col_text(st, 5 + i, e->utm[i], sizeof(e->utm[i]), utm_where[i], &rc);
	sq_col_text(st, 10, e->visitor_id, sizeof(e->visitor_id), "track_events.visitor_id", &rc);
	sq_col_text(st, 11, e->contact_id, sizeof(e->contact_id), "track_events.contact_id", &rc);
	sq_col_text(st, 12, e->campaign_id, sizeof(e->campaign_id), "track_events.campaign_id",
		    &rc);
	sq_col_text(st, 13, e->ip, sizeof(e->ip), "track_events.ip", &rc);
	sq_col_text(st, 14, e->company, sizeof(e->company), "track_events.company", &rc);
	return rc;
}

/* Each event row of the bound statement st to cb, in order. */
static int sq_track_rows(sqlite3_stmt *st, sk_track_cb cb, void *arg)
{
	struct sk_track_rec *e = sk_malloc(sizeof(*e));
	int rc = 0;
	if (!e) {
		sq_done(st);
		return SK_ERR_NOMEM;
	}
	while (rc == 0 && sq_next(st, &rc)) {
		if ((rc = sq_track_row(st, e)) == 0)
			rc = cb(arg, e);
	}
	sq_done(st);
	sk_free(e);
	return rc;
}

static int sq_track_each(struct sk_store *s, const char *contact_id, const char *visitor_id,
			 sk_track_cb cb, void *arg)
{
	sqlite3_stmt *st = sq_stmt(s, contact_id ? SQ_TRACK_EACH_CONTACT : SQ_TRACK_EACH_VISITOR);
	if (sq_text(st, 1, contact_id ? contact_id : visitor_id ? visitor_id : ""))
		return sq_bindfail(st);
	return sq_track_rows(st, cb, arg);
}

static int sq_track_ip_set(struct sk_store *s, const char *id, const char *ip,
			   const char *company)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_TRACK_IP_SET);
	if (sq_text(st, 1, id) || sq_text(st, 2, ip) || sq_text(st, 3, company))
		return sq_bindfail(st);
	return sq_run(st);
}

static int sq_track_forget(struct sk_store *s, const char *contact_id)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_TRACK_FORGET_EVENTS);
	int rc;
	if (sq_text(st, 1, contact_id))
		return sq_bindfail(st);
	if ((rc = sq_run(st)))
		return rc;
	/* the events of the visitors tied to the contact too: linkable to the person */
	st = sq_stmt(s, SQ_TRACK_DELETE_VISITORS); /* lead_scoring ended */
	if (sq_text(st, 1, contact_id))
		return sq_bindfail(st);
	if ((rc = sq_run(st)))
		return rc;
	st = sq_stmt(s, SQ_TRACK_FORGET_SCORE);
	if (sq_text(st, 1, contact_id))
		return sq_bindfail(st);
	return sq_run(st);
}

static int sq_track_purge(struct sk_store *s, int64_t before, long *outn)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_TRACK_PURGE);
	int rc;
	if (sqlite3_bind_int64(st, 1, before))
		return sq_bindfail(st);
	rc = sq_run(st);
	*outn = rc ? 0 : (long)sqlite3_changes(((struct sq_store *)s)->db);
	return rc;
}

static int sq_score_each(struct sk_store *s, sk_score_cb cb, void *arg)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_SCORE_EACH);
	struct sk_score_rec r;
	int rc = 0;
	while (rc == 0 && sq_next(st, &rc)) {
		memset(&r, 0, sizeof(r));
		sq_col_text(st, 0, r.contact_id, sizeof(r.contact_id), "scores.contact_id", &rc);
		r.score = sqlite3_column_int64(st, 1);
		r.computed_at = sqlite3_column_int64(st, 2);
		r.nevents = sqlite3_column_int64(st, 3);
		r.last_at = sqlite3_column_int64(st, 4);
		if (rc == 0)
			rc = cb(arg, &r);
	}
	sq_done(st);
	return rc;
}

static int sq_track_sweep_each(struct sk_store *s, sk_track_cb cb, void *arg)
{
	return sq_track_rows(sq_stmt(s, SQ_TRACK_SWEEP_EACH), cb, arg);
}

static int sq_track_count_visitor(struct sk_store *s, const char *visitor_id, int64_t since,
				  int64_t *outn)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_TRACK_COUNT_VISITOR);
	int rc;
	*outn = 0;
	if (sq_text(st, 1, visitor_id) || sqlite3_bind_int64(st, 2, since))
		return sq_bindfail(st);
	if ((rc = sq_row(st)) == 0)
		*outn = sqlite3_column_int64(st, 0);
	sq_done(st);
	return rc;
}

static int sq_db_size(struct sk_store *s, int64_t *outbytes)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_DB_SIZE);
	int rc;
	*outbytes = 0;
	if ((rc = sq_row(st)) == 0)
		*outbytes = sqlite3_column_int64(st, 0);
	sq_done(st);
	return rc;
}

static int sq_sealed_replace(struct sk_store *s, int kind, const char *id, const uint8_t *blob,
			     size_t len)
{
	struct sq_store *q = (struct sq_store *)s;
	int which = kind == SK_SEALED_DATAKEY   ? SQ_DATAKEY_REPLACE
		    : kind == SK_SEALED_WEBHOOK ? SQ_WEBHOOK_SECRET_SET
		    : kind == SK_SEALED_REQUEST ? SQ_REQUEST_RESEAL
						: -1;
	if (which < 0)
		return SK_ERR_INVALID;
	sqlite3_stmt *st = sq_stmt(s, which);
	q->dk_ok = 0; /* the cached data key is the old wrapping */
	if (sq_text(st, 1, id) || sq_blob(st, 2, blob, len))
		return sq_bindfail(st);
	int rc = sq_run(st);
	if (rc == 0 && sqlite3_changes(q->db) == 0)
		rc = SK_ERR_NOT_FOUND;
	return rc;
}

/* ---- backup and restore (docs/operations.md, 4) ---- */

static pthread_once_t sq_config_once; /* defined with the open function below */
static void sq_config(void);

/* Times a backup step that found a lock taken is tried again, and the pause between. */
#define SQ_BACKUP_TRIES 200
#define SQ_BACKUP_PAUSE_MS 25

/* Copies database src into dst with the backup API: one sqlite3_backup_step(-1), which reads
 * every page in one read transaction of src (in WAL mode that snapshot does not block the
 * writers, and writers do not make it start over, as they make steps of N pages do: see
 * docs/operations.md, 4). A lock taken (BUSY, LOCKED) is waited for. */
static int sq_backup_copy(sqlite3 *dst, sqlite3 *src)
{
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	int rc, tries = 0;
	if (!b)
		return sq_code(sqlite3_extended_errcode(dst));
	do {
		rc = sqlite3_backup_step(b, -1);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(SQ_BACKUP_PAUSE_MS);
	} while ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && ++tries < SQ_BACKUP_TRIES);
	int f = sqlite3_backup_finish(b);
	if (rc == SQLITE_DONE)
		rc = f;
	return rc == SQLITE_OK ? 0 : sq_code(rc);
}

/* fsync of a file or a folder by its path. */
static int sq_sync_path(const char *path, int dir)
{
	int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return SK_ERR_IO;
	int rc = fsync(fd) == 0 ? 0 : SK_ERR_IO;
	close(fd);
	return rc;
}

/* The folder of path, into out. */
static void sq_dirname(const char *path, char *out, size_t cap)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		sk_strlcpy(out, ".", cap);
	else if (slash == path)
		sk_strlcpy(out, "/", cap);
	else
		snprintf(out, cap, "%.*s", (int)(slash - path), path);
}

/* Writes the backup's meta rows into the copy dst: taken_at_ms and its ledger head. */
static int sq_backup_meta(sqlite3 *dst, int64_t taken_at_ms, int64_t *outseq, uint8_t *outhead)
{
	static const char *const put = "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)";
	sqlite3_stmt *st = NULL;
	char v[2 * SK_HASH_LEN + 1];
	int rc;
	*outseq = 0;
	memset(outhead, 0, SK_HASH_LEN);
	if (sqlite3_prepare_v2(dst, "SELECT seq, hash FROM consent_ledger ORDER BY seq DESC "
				    "LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return SK_ERR_STORAGE;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const void *h = sqlite3_column_blob(st, 1);
		*outseq = sqlite3_column_int64(st, 0);
		if (h && sqlite3_column_bytes(st, 1) == SK_HASH_LEN)
			memcpy(outhead, h, SK_HASH_LEN);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sq_code(rc);
	if (sqlite3_prepare_v2(dst, put, -1, &st, NULL) != SQLITE_OK)
		return SK_ERR_STORAGE;
	for (int i = 0; i < 3 && rc == SQLITE_DONE; i++) {
		const char *key = i == 0 ? SK_META_BACKUP_AT : i == 1 ? SK_META_BACKUP_SEQ
								    : SK_META_BACKUP_HEAD;
		if (i == 2)
			sk_hex(outhead, SK_HASH_LEN, v);
		else
			snprintf(v, sizeof(v), "%lld", (long long)(i == 0 ? taken_at_ms : *outseq));
		if (sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_text(st, 2, v, -1, SQLITE_TRANSIENT) != SQLITE_OK)
			rc = SQLITE_ERROR;
		else
			rc = sqlite3_step(st);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sq_code(rc);
}

/* A new file path (O_EXCL, 0600) holding a copy of src as one file in rollback-journal mode
 * (a backup is one self-contained file, which any SQLite opens read-only), synced; with
 * taken_at_ms > 0 the backup's meta rows written into it (sq_backup_meta). */
static int sq_copy_into_new(sqlite3 *src, const char *path, int64_t taken_at_ms,
			    int64_t *outseq, uint8_t *outhead)
{
	sqlite3 *dst = NULL;
	int rc, fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST ? SK_ERR_EXISTS : SK_ERR_IO;
	close(fd);
	rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		rc = SK_ERR_IO;
	else if (!(rc = sq_backup_copy(dst, src)) &&
		 sqlite3_exec(dst, "PRAGMA journal_mode = DELETE;", NULL, NULL, NULL) != SQLITE_OK)
		rc = SK_ERR_STORAGE;
	if (!rc && taken_at_ms > 0)
		rc = sq_backup_meta(dst, taken_at_ms, outseq, outhead);
	if (sqlite3_close(dst) != SQLITE_OK && !rc)
		rc = SK_ERR_STORAGE;
	if (!rc)
		rc = sq_sync_path(path, 0);
	if (rc)
		sk_store_file_remove(path);
	return rc;
}

int sk_store_file_journal_delete(const char *path)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "PRAGMA journal_mode = DELETE;", NULL, NULL, NULL);
	rc = rc == SQLITE_OK ? 0 : SK_ERR_STORAGE;
	if (sqlite3_close(db) != SQLITE_OK && !rc)
		rc = SK_ERR_STORAGE;
	return rc ? rc : sq_sync_path(path, 0);
}

static int sq_backup_to(struct sk_store *s, const char *path, int64_t taken_at_ms,
			int64_t *outseq, uint8_t *outhead)
{
	struct sq_store *q = (struct sq_store *)s;
	*outseq = 0;
	memset(outhead, 0, SK_HASH_LEN);
	if (q->wtx || taken_at_ms <= 0)
		return SK_ERR_USAGE; /* a copy is of committed data: outside a transaction */
	return sq_copy_into_new(q->db, path, taken_at_ms, outseq, outhead);
}

static int sq_restore_from(struct sk_store *s, const char *path)
{
	struct sq_store *q = (struct sq_store *)s;
	sqlite3 *src = NULL;
	int rc;
	if (q->wtx)
		return SK_ERR_USAGE;
	if (sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		sqlite3_close(src);
		return SK_ERR_IO;
	}
	sq_cache_clear(q);
	/* The destination keeps its WAL mode (SQLite sets it on the copied first page). */
	rc = sq_backup_copy(q->db, src);
	sq_cache_clear(q);
	sqlite3_close(src);
	return rc;
}

static int sq_lease_live(struct sk_store *s, int64_t now_ms, int64_t *outn)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_LEASE_LIVE);
	int rc;
	*outn = 0;
	if (sqlite3_bind_int64(st, 1, now_ms))
		return sq_bindfail(st);
	if ((rc = sq_row(st)) == 0)
		*outn = sqlite3_column_int64(st, 0);
	sq_done(st);
	return rc;
}

int sk_store_file_copy(const char *from, const char *to, struct sk_errctx *err)
{
	sqlite3 *src = NULL;
	int rc;
	pthread_once(&sq_config_once, sq_config);
	if (access(from, R_OK) != 0)
		return sk_errf(err, SK_ERR_IO, "cannot read %s: %s", from, strerror(errno));
	if (sqlite3_open_v2(from, &src, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		sqlite3_close(src);
		return sk_errf(err, SK_ERR_IO, "cannot open %s as a SQLite database", from);
	}
	int64_t seq;
	uint8_t head[SK_HASH_LEN];
	rc = sq_copy_into_new(src, to, 0, &seq, head);
	sqlite3_close(src);
	if (rc == SK_ERR_EXISTS)
		return sk_errf(err, rc, "%s already exists", to);
	if (rc)
		return sk_errf(err, rc == SK_ERR_BUSY ? rc : SK_ERR_IO, "cannot copy %s: it is no "
			       "readable SQLite database (%s)", from, sk_err_name(rc));
	return 0;
}

int sk_store_file_install(const char *tmp, const char *path, int replace,
			  struct sk_errctx *err)
{
	char dir[4096];
	if (replace) {
		if (rename(tmp, path) != 0)
			return sk_errf(err, SK_ERR_IO, "cannot rename into %s: %s", path,
				       strerror(errno));
	} else {
		/* link refuses an existing name atomically, where rename would replace it */
		if (link(tmp, path) != 0)
			return sk_errf(err, errno == EEXIST ? SK_ERR_EXISTS : SK_ERR_IO,
				       "cannot make %s: %s", path, strerror(errno));
		unlink(tmp);
	}
	sq_dirname(path, dir, sizeof(dir));
	if (sq_sync_path(dir, 1))
		return sk_errf(err, SK_ERR_IO, "cannot sync the folder of %s", path);
	return 0;
}

void sk_store_file_remove(const char *path)
{
	char p[4200];
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-journal", path);
	unlink(p);
}

static int sq_company_clear(struct sk_store *s)
{
	return sq_run(sq_stmt(s, SQ_COMPANY_CLEAR));
}

static int sq_company_put(struct sk_store *s, const uint8_t *start, const uint8_t *end,
			  const char *name)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_COMPANY_PUT);
	if (sq_blob(st, 1, start, SK_IPKEY_LEN) || sq_blob(st, 2, end, SK_IPKEY_LEN) ||
	    sq_text(st, 3, name))
		return sq_bindfail(st);
	return sq_run(st);
}

static int sq_company_find(struct sk_store *s, const uint8_t *addr, char *out, size_t outlen)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_COMPANY_FIND);
	int rc;
	if (sq_blob(st, 1, addr, SK_IPKEY_LEN))
		return sq_bindfail(st);
	if ((rc = sq_row(st)) == 0)
		sq_col_text(st, 0, out, outlen, "company_ranges.name", &rc);
	sq_done(st);
	return rc;
}

static int sq_score_put(struct sk_store *s, const struct sk_score_rec *r)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_SCORE_PUT);
	if (sq_text(st, 1, r->contact_id) || sqlite3_bind_int64(st, 2, r->score) ||
	    sqlite3_bind_int64(st, 3, r->computed_at) || sqlite3_bind_int64(st, 4, r->nevents) ||
	    sqlite3_bind_int64(st, 5, r->last_at))
		return sq_bindfail(st);
	return sq_run(st);
}

static int sq_score_get(struct sk_store *s, const char *contact_id, struct sk_score_rec *out)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_SCORE_GET);
	int rc;
	memset(out, 0, sizeof(*out));
	if (sq_text(st, 1, contact_id))
		return sq_bindfail(st);
	if ((rc = sq_row(st)) == 0) {
		sk_strlcpy(out->contact_id, contact_id, sizeof(out->contact_id));
		out->score = sqlite3_column_int64(st, 0);
		out->computed_at = sqlite3_column_int64(st, 1);
		out->nevents = sqlite3_column_int64(st, 2);
		out->last_at = sqlite3_column_int64(st, 3);
	}
	sq_done(st);
	return rc;
}

/* ---- campaigns ---- */

static int sq_campaign_put(struct sk_store *s, const struct sk_campaign_rec *c)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_CAMPAIGN_PUT);
	if (sq_text(st, 1, c->id) || sq_text(st, 2, c->name) || sq_text(st, 3, c->purpose) ||
	    sq_text(st, 4, c->status) || sqlite3_bind_int64(st, 5, c->created_at) ||
	    sqlite3_bind_int64(st, 6, c->updated_at) || sq_text(st, 7, c->spec ? c->spec : "{}"))
		return sq_bindfail(st);
	return sq_run(st);
}

static void sq_campaign_row(sqlite3_stmt *st, struct sk_campaign_rec *out, int *rc)
{
	memset(out, 0, sizeof(*out));
	sq_col_text(st, 0, out->id, sizeof(out->id), "campaigns.id", rc);
	sq_col_text(st, 1, out->name, sizeof(out->name), "campaigns.name", rc);
	sq_col_text(st, 2, out->purpose, sizeof(out->purpose), "campaigns.purpose", rc);
	sq_col_text(st, 3, out->status, sizeof(out->status), "campaigns.status", rc);
	out->created_at = sqlite3_column_int64(st, 4);
	out->updated_at = sqlite3_column_int64(st, 5);
}

static int sq_campaign_get(struct sk_store *s, const char *id, struct sk_campaign_rec *out)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_CAMPAIGN_GET);
	int rc;
	if (sq_text(st, 1, id))
		return sq_bindfail(st);
	rc = sq_row(st);
	if (rc == 0) {
		sq_campaign_row(st, out, &rc);
		const char *t = (const char *)sqlite3_column_text(st, 6);
		if (rc == 0 && !(out->spec = sk_strdup(t ? t : "{}")))
			rc = SK_ERR_NOMEM;
	}
	sq_done(st);
	return rc;
}

static int sq_campaign_each(struct sk_store *s, sk_campaign_cb cb, void *arg)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_CAMPAIGN_EACH);
	struct sk_campaign_rec c;
	int rc = 0;
	while (rc == 0 && sq_next(st, &rc)) {
		sq_campaign_row(st, &c, &rc);
		if (rc == 0)
			rc = cb(arg, &c);
	}
	sq_done(st);
	return rc;
}

static int sq_send_put(struct sk_store *s, const struct sk_send_rec *r)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_SEND_PUT);
	if (sq_text(st, 1, r->id) || sq_text(st, 2, r->campaign_id) ||
	    sq_text(st, 3, r->contact_id) || sq_text(st, 4, r->state) || sq_text(st, 5, r->reason) ||
	    sq_text(st, 6, r->consent_id) || sq_text(st, 7, r->lang) ||
	    sqlite3_bind_int64(st, 8, r->queued_at) || sqlite3_bind_int64(st, 9, r->sent_at))
		return sq_bindfail(st);
	return sq_run(st);
}

static void sq_send_row(sqlite3_stmt *st, struct sk_send_rec *out, int *rc)
{
	memset(out, 0, sizeof(*out));
	sq_col_text(st, 0, out->id, sizeof(out->id), "campaign_sends.id", rc);
	sq_col_text(st, 1, out->campaign_id, sizeof(out->campaign_id), "campaign_sends.campaign_id",
		    rc);
	sq_col_text(st, 2, out->contact_id, sizeof(out->contact_id), "campaign_sends.contact_id",
		    rc);
	sq_col_text(st, 3, out->state, sizeof(out->state), "campaign_sends.state", rc);
	sq_col_text(st, 4, out->reason, sizeof(out->reason), "campaign_sends.reason", rc);
	sq_col_text(st, 5, out->consent_id, sizeof(out->consent_id), "campaign_sends.consent_id",
		    rc);
	sq_col_text(st, 6, out->lang, sizeof(out->lang), "campaign_sends.lang", rc);
	out->queued_at = sqlite3_column_int64(st, 7);
	out->sent_at = sqlite3_column_int64(st, 8);
}

static int sq_send_get(struct sk_store *s, const char *id, struct sk_send_rec *out)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_SEND_GET);
	int rc;
	if (sq_text(st, 1, id))
		return sq_bindfail(st);
	rc = sq_row(st);
	if (rc == 0)
		sq_send_row(st, out, &rc);
	sq_done(st);
	return rc;
}

static int sq_send_state(struct sk_store *s, const struct sk_send_rec *r)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_SEND_STATE);
	if (sq_text(st, 1, r->id) || sq_text(st, 2, r->state) || sq_text(st, 3, r->reason) ||
	    sq_text(st, 4, r->consent_id) || sqlite3_bind_int64(st, 5, r->sent_at))
		return sq_bindfail(st);
	return sq_run(st);
}

static int sq_send_tally(struct sk_store *s, const char *campaign_id, sk_tally_cb cb, void *arg)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_SEND_TALLY);
	if (sq_text(st, 1, campaign_id))
		return sq_bindfail(st);
	return sq_tally_walk(st, 2, "campaign_sends.reason", "campaign_sends.state", 0, NULL, cb,
			     arg);
}

static int sq_send_each_contact(struct sk_store *s, const char *contact_id, sk_send_cb cb,
				void *arg)
{
	sqlite3_stmt *st = sq_stmt(s, SQ_SEND_EACH_CONTACT);
	struct sk_send_rec r;
	int rc = 0;
	if (sq_text(st, 1, contact_id))
		return sq_bindfail(st);
	while (rc == 0 && sq_next(st, &rc)) {
		sq_send_row(st, &r, &rc);
		if (rc == 0)
			rc = cb(arg, &r);
	}
	sq_done(st);
	return rc;
}

static const struct sk_store_methods sq_methods = {
	.version = SK_STORE_VERSION,
	.name = "sqlite",
	.close = sq_close,
#define SQ__ENTRY(name, params, args) .name = sq_##name,
	SK_STORE_METHOD_LIST(SQ__ENTRY)
#undef SQ__ENTRY
};

/* An SK_ERR_* for the connection's last failure, with SQLite's message (which names no
 * row values: only open, pragma, migration and prepare failures come here). */
static int sq_fail(sqlite3 *db, int rc, const char *path, const char *what,
		   struct sk_errctx *err)
{
	return sk_errf(err, sq_code(rc), "%s: %s: %s", path, what, sqlite3_errmsg(db));
}

static int sq_pragmas(sqlite3 *db, const char *path, struct sk_errctx *err)
{
	sqlite3_stmt *st = NULL;
	const char *mode;
	int rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = sq_fail(db, rc, path, "setting journal_mode", err);
		goto out;
	}
	mode = (const char *)sqlite3_column_text(st, 0);
	if (!mode || strcmp(mode, "wal") != 0) {
		rc = sk_errf(err, SK_ERR_STORAGE, "%s: cannot use WAL journal mode", path);
		goto out;
	}
	rc = sqlite3_exec(db,
			  "PRAGMA synchronous = FULL;"
			  "PRAGMA secure_delete = ON;"
			  "PRAGMA foreign_keys = ON;"
			  "PRAGMA temp_store = MEMORY;" SK_SQLITE_TUNING,
			  NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		rc = sq_fail(db, rc, path, "setting pragmas", err);
out:
	sqlite3_finalize(st);
	return rc;
}

static int sq_user_version(sqlite3 *db, int *out)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Refuses a file that init did not make, before anything (even the journal mode) is
 * written to it. */
static int sq_check_initialised(sqlite3 *db, int create, const char *path,
				struct sk_errctx *err)
{
	int v = 0, rc = sq_user_version(db, &v);

	if (rc != SQLITE_OK)
		return sq_fail(db, rc, path, "reading the schema version", err);
	if (v == 0 && !create)
		return sk_errf(err, SK_ERR_NOT_INITIALISED,
			       "%s: not a samtycke database; run init first", path);
	return 0;
}

/* Applies the pending migrations, each in its own write transaction. The version is read
 * again under the write lock, as another process may be migrating the same file. */
static int sq_migrate(sqlite3 *db, const char *path, struct sk_errctx *err)
{
	int v = 0, rc;

	while ((rc = sq_user_version(db, &v)) == SQLITE_OK && v < SQ_NMIGRATIONS) {
		rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			rc = sq_user_version(db, &v);
		if (rc == SQLITE_OK && v < SQ_NMIGRATIONS)
			rc = sqlite3_exec(db, migrations[v], NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			rc = sq_fail(db, rc, path, "migrating the schema", err);
			if (!sqlite3_get_autocommit(db))
				sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return rc;
		}
	}
	if (rc != SQLITE_OK)
		return sq_fail(db, rc, path, "reading the schema version", err);
	if (v > SQ_NMIGRATIONS)
		return sk_errf(err, SK_ERR_STORAGE,
			       "%s: schema version %d is newer than this samtycke knows (%d)", path,
			       v, SQ_NMIGRATIONS);
	return 0;
}

/* No schema object of the file is trusted: no function with side effects in a trigger or
 * view, no writable_schema, no direct writes to the schema (a backup may be tampered with). */
static int sq_untrusting(sqlite3 *db, const char *path, struct sk_errctx *err)
{
	int rc = sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
	if (rc != SQLITE_OK)
		return sq_fail(db, rc, path, "setting the defensive mode", err);
	return 0;
}

int sk_store_schema_check(struct sk_store *s, struct sk_errctx *err)
{
	static const char *const q = "SELECT type, name, tbl_name, sql FROM sqlite_schema "
				     "ORDER BY type, name";
	struct sq_store *x = (struct sq_store *)s;
	sqlite3 *ref = NULL;
	sqlite3_stmt *a = NULL, *b = NULL;
	int rc, ra, rb;

	if (!s || s->m != &sq_methods)
		return sk_errf(err, SK_ERR_USAGE, "the schema check is of a SQLite file");
	/* the reference: a new database made by this binary's migrations */
	if (sqlite3_open_v2(":memory:", &ref, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		sqlite3_close(ref);
		return sk_errf(err, SK_ERR_NOMEM, "cannot open a database in memory");
	}
	if ((rc = sq_migrate(ref, ":memory:", err)))
		goto out;
	if (sqlite3_prepare_v2(ref, q, -1, &a, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(x->db, q, -1, &b, NULL) != SQLITE_OK) {
		rc = sk_errf(err, SK_ERR_STORAGE, "reading the schema");
		goto out;
	}
	for (;;) {
		ra = sqlite3_step(a);
		rb = sqlite3_step(b);
		if (ra == SQLITE_DONE && rb == SQLITE_DONE)
			break;
		if (ra != SQLITE_ROW && ra != SQLITE_DONE) {
			rc = sk_errf(err, SK_ERR_STORAGE, "reading the schema");
			goto out;
		}
		if (rb != SQLITE_ROW && rb != SQLITE_DONE) {
			rc = sq_fail(x->db, rb, "the copy", "reading its schema", err);
			goto out;
		}
		if (rb == SQLITE_DONE) {
			rc = sk_errf(err, SK_ERR_CORRUPT, "its schema lacks the %s %s",
				     (const char *)sqlite3_column_text(a, 0),
				     (const char *)sqlite3_column_text(a, 1));
			goto out;
		}
		for (int i = 0; i < 4; i++) {
			const char *va = (const char *)sqlite3_column_text(a, i);
			const char *vb = ra == SQLITE_ROW ? (const char *)sqlite3_column_text(b, i)
							  : NULL;
			if (ra == SQLITE_DONE || (va == NULL) != (vb == NULL) ||
			    (va && strcmp(va, vb) != 0)) {
				const char *t = (const char *)sqlite3_column_text(b, 0);
				const char *n = (const char *)sqlite3_column_text(b, 1);
				rc = sk_errf(err, SK_ERR_CORRUPT, "its schema differs from the one "
					     "this samtycke makes, at the %.20s %.80s", t ? t : "?",
					     n ? n : "?");
				goto out;
			}
		}
	}
	rc = 0;
out:
	sqlite3_finalize(a);
	sqlite3_finalize(b);
	sqlite3_close(ref);
	return rc;
}

static int sq_prepare(struct sq_store *q, const char *path, struct sk_errctx *err)
{
	for (int i = 0; i < SQ_NSTMT; i++) {
		int rc = sqlite3_prepare_v3(q->db, sq_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					    &q->st[i], NULL);
		if (rc != SQLITE_OK)
			return sq_fail(q->db, rc, path, "preparing statements", err);
	}
	return 0;
}

/* Once per process, before SQLite's first use: no memory statistics (sqlite3_memory_used
 * is never read here), so that SQLite's allocations take no global mutex. */
static pthread_once_t sq_config_once = PTHREAD_ONCE_INIT;
static void sq_config(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); /* SQLITE_MISUSE once initialised */
}

int sk__store_open_sqlite(const char *path, int create, struct sk_store **out,
			  struct sk_errctx *err)
{
	struct sq_store *q = NULL;
	int made = 0, rc;

	if (create) {
		/* The file is made here, not by SQLite, so that creating is atomic and the
		 * database (and its WAL, which SQLite gives the same mode) is private. */
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno == EEXIST)
			return sk_errf(err, SK_ERR_EXISTS, "%s already exists", path);
		if (fd < 0)
			return sk_errf(err, SK_ERR_IO, "cannot create %s: %s", path, strerror(errno));
		close(fd);
		made = 1;
	}
	q = sk_calloc(1, sizeof(*q));
	if (!q) {
		rc = sk_errf(err, SK_ERR_NOMEM, "out of memory opening %s", path);
		goto out;
	}
	q->base.m = &sq_methods;
	pthread_once(&sq_config_once, sq_config);
	/* NOMUTEX: a handle is used by one thread at a time (store.h, docs/internals/store.md),
	 * so SQLite's per-connection mutex (entered on every call) guards nothing; the bulk
	 * checkpointer has its own connection (sq_bulk) */
	rc = sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		if (rc == SQLITE_CANTOPEN && access(path, F_OK) != 0 && errno == ENOENT)
			rc = sk_errf(err, SK_ERR_NOT_INITIALISED, "%s does not exist; run init first",
				     path);
		else
			rc = sq_fail(q->db, rc, path, "opening", err);
		goto out;
	}
	sqlite3_extended_result_codes(q->db, 1);
	sqlite3_busy_timeout(q->db, SQ_BUSY_TIMEOUT_MS);
	if ((rc = sq_untrusting(q->db, path, err)) ||
	    (rc = sq_check_initialised(q->db, create, path, err)) ||
	    (rc = sq_pragmas(q->db, path, err)) || (rc = sq_migrate(q->db, path, err)) ||
	    (rc = sq_prepare(q, path, err)))
		goto out;
	*out = &q->base;
out:
	if (rc) {
		if (q)
			sq_close(&q->base);
		if (made)
			unlink(path);
	}
	return rc;
}
